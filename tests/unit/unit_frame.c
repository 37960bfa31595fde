// SPDX-License-Identifier: GPL-2.0
/* sa_frame: UDP datagrams, TCP streams, keep-alives */
#include "tutil.h"
#include "units.h"

static enum sa_frame_result fr(const char *s, size_t n, enum sa_transport t,
			       size_t *len, enum sa_reason *why)
{
	return sa_frame((const uint8_t *)s, n, t, len, why);
}

/* 33 bytes of headers (with the blank line), 4 bytes of body */
#define MSG1 L("OPTIONS sip:a@b SIP/2.0") L("l: 4") L("") "abcd"
#define MSG2 L("SIP/2.0 200 OK") L("Content-Length: 0") L("")

static void frame_udp(void)
{
	enum sa_reason why;
	size_t len;

	T_EQ(fr(MSG1, strlen(MSG1), SA_T_UDP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, strlen(MSG1));
	/* a datagram of CRLFs only is a keep-alive, passed whole */
	T_EQ(fr("\r\n\r\n", 4, SA_T_UDP, &len, &why), SA_FRAME_KEEPALIVE);
	T_EQ(len, 4);
	/* a datagram is one message whatever its CRLF prefix */
	T_EQ(fr("\r\n" MSG2, 2 + strlen(MSG2), SA_T_UDP, &len, &why),
	     SA_FRAME_MSG);
	T_EQ(len, 2 + strlen(MSG2));
}

static void frame_tcp_stream(void)
{
	const char *s = MSG1 MSG2 "\r\n\r\n" MSG1;
	size_t n = strlen(s), off = 0, len;
	enum sa_reason why;

	/* "OPTIONS sip:a@b SIP/2.0\r\n" 25 + "l: 4\r\n" 6 + "\r\n" 2 + 4 */
	T_EQ(strlen(MSG1), 37);
	T_EQ(fr(s, n, SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, 37);
	off += len;
	T_EQ(fr(s + off, n - off, SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, strlen(MSG2));
	off += len;
	T_EQ(fr(s + off, n - off, SA_T_TCP, &len, &why), SA_FRAME_KEEPALIVE);
	T_EQ(len, 4);
	off += len;
	T_EQ(fr(s + off, n - off, SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, 37);
	T_EQ(off + len, n);
}

static void frame_tcp_split(void)
{
	enum sa_reason why;
	size_t len, i;

	/* every strict prefix of a message needs more bytes */
	for (i = 0; i < strlen(MSG1); i++)
		if (fr(MSG1, i, SA_T_TCP, &len, &why) != SA_FRAME_NEED_MORE)
			t_fail(__FILE__, __LINE__, "prefix %zu not NEED_MORE",
			       i);
	T_EQ(fr(MSG1, strlen(MSG1), SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, 37);
}

static void frame_tcp_bare_lf(void)
{
	const char *s = "BYE sip:x@y SIP/2.0\nl: 2\n\nhiINVITE";
	enum sa_reason why;
	size_t len;

	/* 20 + 5 + 1 + 2 */
	T_EQ(fr(s, strlen(s), SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, 28);
}

static void frame_tcp_errors(void)
{
	enum sa_reason why;
	size_t len;
	const char *nocl = L("BYE sip:x@y SIP/2.0") L("Via: SIP/2.0/TCP h") L("");
	const char *two = L("BYE sip:x@y SIP/2.0") L("l: 0") L("Content-Length: 0") L("");
	const char *big = L("BYE sip:x@y SIP/2.0") L("Content-Length: 70000") L("");
	const char *neg = L("BYE sip:x@y SIP/2.0") L("Content-Length: -1") L("");
	const char *huge = L("BYE sip:x@y SIP/2.0") L("Content-Length: 99999999999") L("");
	const char *http = L("GET / HTTP/1.1") L("Host: x");
	const char *v3 = L("BYE sip:x@y SIP/3.0") L("l: 0");

	T_EQ(fr(nocl, strlen(nocl), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_NO_CLEN);
	T_EQ(fr(two, strlen(two), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_BAD_CLEN);
	T_EQ(fr(big, strlen(big), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_TOO_BIG);
	T_EQ(fr(neg, strlen(neg), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_BAD_CLEN);
	/* 11 digits: not a 32-bit number (CVE-2026-23457's truncation) */
	T_EQ(fr(huge, strlen(huge), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_BAD_CLEN);
	/* known not to be SIP as soon as the first line is complete */
	T_EQ(fr(http, strlen(http), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_NOT_SIP);
	T_EQ(fr(v3, strlen(v3), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_BAD_START_LINE);
}

static void frame_tcp_too_big(void)
{
	static char buf[SA_MAX_MSG + 100];
	enum sa_reason why;
	size_t len;
	int n;

	/* headers that never end */
	n = snprintf(buf, sizeof(buf), L("BYE sip:x@y SIP/2.0"));
	memset(buf + n, 'a', sizeof(buf) - n);
	T_EQ(fr(buf, sizeof(buf), SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_TOO_BIG);
	/* fine headers, body that makes the message too big */
	n = snprintf(buf, sizeof(buf),
		     L("BYE sip:x@y SIP/2.0") L("l: 65530") L(""));
	T_EQ(fr(buf, n, SA_T_TCP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_TOO_BIG);
	/* and a UDP datagram over the bound */
	T_EQ(fr(buf, sizeof(buf), SA_T_UDP, &len, &why), SA_FRAME_ERROR);
	T_EQ(why, SA_R_TOO_BIG);
}

void units_frame(void)
{
	t_run("frame: UDP datagram, keep-alive, CRLF prefix", frame_udp);
	t_run("frame: TCP stream of 3 messages and a CRLFCRLF keep-alive",
	      frame_tcp_stream);
	t_run("frame: TCP message split at every byte needs more",
	      frame_tcp_split);
	t_run("frame: TCP bare LF and compact Content-Length", frame_tcp_bare_lf);
	t_run("frame: TCP no/duplicate/huge/negative Content-Length, not SIP, SIP/3.0",
	      frame_tcp_errors);
	t_run("frame: TCP and UDP over 64 KiB", frame_tcp_too_big);
}
