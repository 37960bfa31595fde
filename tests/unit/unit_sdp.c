// SPDX-License-Identifier: GPL-2.0
/* SDP bodies: media lines, a=rtcp, multipart */
#include "tutil.h"
#include "units.h"

#define REQH(cl, ct) \
	L("INVITE sip:bob@198.51.100.2 SIP/2.0") \
	L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1") \
	L("Content-Type: " ct) \
	L("Content-Length: " cl) \
	L("")

/*
 * 205 bytes: v 5, o 25, s 5, c 19, t 7, m=audio 25, a=rtcp 14,
 * m=video 26, c 19, a=rtcp 14, m=image 25, m=text 21
 */
#define MEDIA4 \
	L("v=0") \
	L("o=- 1 1 IN IP4 10.0.0.2") \
	L("s=-") \
	L("c=IN IP4 10.0.0.2") \
	L("t=0 0") \
	L("m=audio 10000 RTP/AVP 0") \
	L("a=rtcp:10001") \
	L("m=video 10002 RTP/AVP 31") \
	L("c=IN IP4 10.0.0.3") \
	L("a=rtcp:10007") \
	L("m=image 10004 udptl t38") \
	L("m=text 0 RTP/AVP 98")

static void sdp_media_parse(void)
{
	static const char s[] = REQH("205", "application/sdp") MEDIA4;
	static struct sa_msg m;
	const struct sa_media *md = m.sdp.media;
	const uint8_t *b = (const uint8_t *)s;
	char buf[48];

	T_EQ(sa_parse(b, strlen(s), SA_T_UDP, &m), SA_R_OK);
	T_EQ(m.sdp.present, 1);
	T_EQ(m.sdp.n_media, 4);
	T_SPAN(b, m.sdp.o_addr, "10.0.0.2");
	T_SPAN(b, m.sdp.c_addr, "10.0.0.2");
	T_EQ(md[0].type, SA_MT_AUDIO);
	T_EQ(md[0].rtp_port, 10000);
	T_EQ(md[0].rtcp_port, 10001);
	T_EQ(md[0].rtcp_explicit, 1);
	T_EQ(md[0].rtcp_addr_span.len, 0);
	sa_ip_str(&md[0].rtcp_addr, buf);
	T_OK(!strcmp(buf, "10.0.0.2"));
	T_EQ(md[1].type, SA_MT_VIDEO);
	T_SPAN(b, md[1].c_addr, "10.0.0.3");
	sa_ip_str(&md[1].addr, buf);
	T_OK(!strcmp(buf, "10.0.0.3"));
	T_EQ(md[1].rtcp_port, 10007);
	T_EQ(md[2].type, SA_MT_IMAGE);
	T_EQ(md[2].rtcp_explicit, 0);
	T_EQ(md[2].rtcp_port, 10005);
	sa_ip_str(&md[2].addr, buf);
	T_OK(!strcmp(buf, "10.0.0.2"));
	T_EQ(md[3].type, SA_MT_TEXT);
	T_EQ(md[3].rtp_port, 0);
	T_EQ(md[3].rtcp_port, 0);
}

static void sdp_media_rewrite(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	c.media_port[0] = 20000;
	c.media_port[1] = 20002;
	c.media_port[2] = 20004;
	c.media_port[3] = 20006;
	/* session o=/c= +4 each; media c= 10.0.0.3 is not ours */
	T_REWRITE(REQH("205", "application/sdp") MEDIA4, &c,
		  REQH("213", "application/sdp")
		  L("v=0")
		  L("o=- 1 1 IN IP4 198.51.100.1")
		  L("s=-")
		  L("c=IN IP4 198.51.100.1")
		  L("t=0 0")
		  L("m=audio 20000 RTP/AVP 0")
		  L("a=rtcp:20001")
		  L("m=video 20002 RTP/AVP 31")
		  L("c=IN IP4 10.0.0.3")
		  L("a=rtcp:20007")
		  L("m=image 20004 udptl t38")
		  L("m=text 0 RTP/AVP 98"));
	/* the module can set the RTCP port itself */
	c.rtcp_port[1] = 30001;
	T_REWRITE(REQH("205", "application/sdp") MEDIA4, &c,
		  REQH("213", "application/sdp")
		  L("v=0")
		  L("o=- 1 1 IN IP4 198.51.100.1")
		  L("s=-")
		  L("c=IN IP4 198.51.100.1")
		  L("t=0 0")
		  L("m=audio 20000 RTP/AVP 0")
		  L("a=rtcp:20001")
		  L("m=video 20002 RTP/AVP 31")
		  L("c=IN IP4 10.0.0.3")
		  L("a=rtcp:30001")
		  L("m=image 20004 udptl t38")
		  L("m=text 0 RTP/AVP 98"));
}

/*
 * multipart/mixed, 258 bytes: delimiter 21, Content-Type 31, blank 2,
 * SDP 86, delimiter 21, Content-Type 49, blank 2, payload 23, close 23.
 * The SDP part's last CRLF belongs to the delimiter after it.
 */
#define MP_HEAD(cl) REQH(cl, "multipart/mixed;boundary=unique-boundary-1")
#define MP_SDP(addr) \
	L("--unique-boundary-1") \
	L("Content-Type: application/sdp") \
	L("") \
	L("v=0") \
	L("o=- 1 1 IN IP4 " addr) \
	L("s=-") \
	L("c=IN IP4 " addr) \
	L("t=0 0") \
	L("m=audio 10000 RTP/AVP 0")
#define MP_ISUP \
	L("--unique-boundary-1") \
	L("Content-Type: application/isup;version=itu-t92+") \
	L("") \
	L("ISUP-PAYLOAD-10.0.0.2") \
	L("--unique-boundary-1--")

static void sdp_multipart(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	T_REWRITE(MP_HEAD("258") MP_SDP("10.0.0.2") MP_ISUP, &c,
		  MP_HEAD("266") MP_SDP("198.51.100.1") MP_ISUP);
	T_EQ(t_msg.sdp.n_media, 1);
}

/*
 * The SDP part with its own Content-Length (86 -> 94): both rewritten.
 * This sender counted the CRLF that RFC 2046 gives to the delimiter (84
 * would be exact): both are accepted.
 */
static void sdp_multipart_part_clen(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	/* 258 + "Content-Length: 86\r\n" (20) = 278; then +8 */
	T_REWRITE(REQH("278", "multipart/mixed; boundary=\"unique-boundary-1\"")
		  L("--unique-boundary-1")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 86")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 10.0.0.2")
		  L("s=-")
		  L("c=IN IP4 10.0.0.2")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0")
		  MP_ISUP, &c,
		  REQH("286", "multipart/mixed; boundary=\"unique-boundary-1\"")
		  L("--unique-boundary-1")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 94")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 198.51.100.1")
		  L("s=-")
		  L("c=IN IP4 198.51.100.1")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0")
		  MP_ISUP);
}

static void sdp_multipart_refused(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	/* two SDP parts: which one? (258 + 140) */
	T_UNCHANGED(MP_HEAD("398") MP_SDP("10.0.0.2") MP_SDP("10.0.0.2")
		    MP_ISUP, &c, SA_R_BAD_MULTIPART);
	/* no close delimiter (258 - 23) */
	T_UNCHANGED(MP_HEAD("235") MP_SDP("10.0.0.2")
		    L("--unique-boundary-1")
		    L("Content-Type: application/isup;version=itu-t92+")
		    L("")
		    L("ISUP-PAYLOAD-10.0.0.2"), &c, SA_R_BAD_MULTIPART);
	/* nested multipart is not descended: 21 + 42 + 2 + 23 = 88 */
	T_UNCHANGED(MP_HEAD("88")
		    L("--unique-boundary-1")
		    L("Content-Type: multipart/mixed;boundary=x")
		    L("")
		    L("--unique-boundary-1--"), &c, SA_R_BAD_MULTIPART);
	/* no boundary parameter */
	T_UNCHANGED(REQH("23", "multipart/mixed") L("--unique-boundary-1--"),
		    &c, SA_R_BAD_MULTIPART);
}

static void sdp_refusals(void)
{
	static char buf[4096];
	struct sa_ctx c;
	int n, i;

	t_snat_orig(&c);
	/* not starting with v= */
	T_UNCHANGED(REQH("19", "application/sdp") L("c=IN IP4 10.0.0.2"),
		    &c, SA_R_BAD_SDP);
	/* two session-level c= */
	T_UNCHANGED(REQH("43", "application/sdp") L("v=0")
		    L("c=IN IP4 10.0.0.2") L("c=IN IP4 10.0.0.3"),
		    &c, SA_R_BAD_SDP);
	/* a line that is not x= */
	T_UNCHANGED(REQH("28", "application/sdp") L("v=0")
		    L("c=IN IP4 10.0.0.2") "junk", &c, SA_R_BAD_SDP);
	/* two a=rtcp: in one media */
	T_UNCHANGED(REQH("58", "application/sdp") L("v=0")
		    L("m=audio 10000 RTP/AVP 0") L("a=rtcp:10001")
		    L("a=rtcp:10003"), &c, SA_R_BAD_SDP);
	/* more than SA_MAX_MEDIA m= lines */
	n = 0;
	for (i = 0; i <= SA_MAX_MEDIA; i++)
		n += snprintf(buf + n, sizeof(buf) - n,
			      L("m=audio %d RTP/AVP 0"), 10000 + 2 * i);
	{
		static char msg[8192];

		snprintf(msg, sizeof(msg), REQH("%d", "application/sdp")
			 L("v=0") "%s", n + 5, buf);
		T_UNCHANGED(msg, &c, SA_R_TOO_MANY);
	}
}

/* session-level direction, a=rtcp-mux is not a=rtcp:, multicast TTL */
static void sdp_details(void)
{
	static const char s[] =
		REQH("138", "Application/SDP ; charset=x")
		L("v=0")
		L("c=IN IP4 224.2.1.1/127/3")
		L("a=sendonly")
		L("m=audio 10000/2 RTP/AVP 0")
		L("a=rtcp-mux")
		L("a=rtcp-fb:* nack")
		L("m=video 10004 RTP/AVP 31")
		L("a=inactive");
	static struct sa_msg m;
	const uint8_t *b = (const uint8_t *)s;

	T_EQ(sa_parse(b, strlen(s), SA_T_UDP, &m), SA_R_OK);
	T_EQ(m.sdp.n_media, 2);
	T_SPAN(b, m.sdp.c_addr, "224.2.1.1");
	T_EQ(m.sdp.media[0].nports, 2);
	T_EQ(m.sdp.media[0].rtcp_explicit, 0);
	T_EQ(m.sdp.media[0].dir, SA_MD_SENDONLY);
	T_EQ(m.sdp.media[1].dir, SA_MD_INACTIVE);
}

void units_sdp(void)
{
	t_run("sdp: four media lines, a=rtcp ports, media-level c=, port 0",
	      sdp_media_parse);
	t_run("sdp: m= ports and a=rtcp follow media_port[], rtcp_port[] override",
	      sdp_media_rewrite);
	t_run("sdp: multipart/mixed SDP part rewritten, ISUP part untouched",
	      sdp_multipart);
	t_run("sdp: multipart part Content-Length rewritten too",
	      sdp_multipart_part_clen);
	t_run("sdp: two SDP parts, no close delimiter, nested multipart refused",
	      sdp_multipart_refused);
	t_run("sdp: malformed SDP and too many m= refused", sdp_refusals);
	t_run("sdp: session direction, rtcp-mux, multicast TTL, m= port/n",
	      sdp_details);
}
