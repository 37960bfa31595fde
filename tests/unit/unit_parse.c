// SPDX-License-Identifier: GPL-2.0
/* sa_parse: start line, headers, long/compact forms, folding, refusals */
#include <stdlib.h>
#include "tutil.h"
#include "units.h"
#include "sa_util.h"

static struct sa_msg m;

static enum sa_reason parse(const char *s, enum sa_transport t)
{
	return sa_parse((const uint8_t *)s, strlen(s), t, &m);
}

static void ip_is(const struct sa_ip *ip, const char *exp, int line)
{
	char buf[64];

	sa_ip_str(ip, buf);
	if (strcmp(buf, exp))
		t_fail(__FILE__, line, "address %s, expected %s", buf, exp);
}

#define IP_IS(ip, s) ip_is(ip, s, __LINE__)

static const char reg[] =
	L("REGISTER sip:registrar.example.com SIP/2.0")
	L("Via: SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bKnashds7")
	L("Max-Forwards: 70")
	L("To: Bob <sip:bob@example.com>")
	L("From: Bob <sip:bob@example.com>;tag=456248")
	L("Call-ID: 843817637684230@998sdasdh09")
	L("CSeq: 1826 REGISTER")
	L("Contact: <sip:bob@10.0.0.2:5062;transport=udp>;expires=3600")
	L("Expires: 7200")
	L("Content-Length: 0")
	L("");

static void parse_register(void)
{
	const uint8_t *b = (const uint8_t *)reg;

	T_EQ(parse(reg, SA_T_UDP), SA_R_OK);
	T_EQ(m.is_request, 1);
	T_EQ(m.method, SA_M_REGISTER);
	T_SPAN(b, m.method_span, "REGISTER");
	T_SPAN(b, m.ruri_span, "sip:registrar.example.com");
	T_SPAN(b, m.ruri.host, "registrar.example.com");
	T_EQ(m.ruri.ep.ip.family, 0);
	T_EQ(m.ruri.def_port, 5060);
	T_EQ(m.n_via, 1);
	T_SPAN(b, m.top_via.transport, "UDP");
	T_SPAN(b, m.top_via.sent_by.host, "10.0.0.2");
	T_SPAN(b, m.top_via.sent_by.port, "5060");
	T_EQ(m.top_via.sent_by.ep.port, 5060);
	IP_IS(&m.top_via.sent_by.ep.ip, "10.0.0.2");
	T_EQ(m.top_via.has_rport, 1);
	T_EQ(m.top_via.rport.len, 0);
	T_EQ(m.top_via.received.len, 0);
	/* params_end: just after "z9hG4bKnashds7" */
	T_EQ(m.top_via.params_end,
	     strstr(reg, "nashds7") - reg + strlen("nashds7"));
	T_EQ(m.n_contact, 1);
	T_SPAN(b, m.contact[0].hp.host, "10.0.0.2");
	T_SPAN(b, m.contact[0].hp.port, "5062");
	T_EQ(m.contact[0].expires, 3600);
	T_EQ(m.expires, 7200);
	T_EQ(m.cseq, 1826);
	T_EQ(m.cseq_method, SA_M_REGISTER);
	T_SPAN(b, m.call_id, "843817637684230@998sdasdh09");
	T_SPAN(b, m.from.host, "example.com");
	T_EQ(m.has_clen, 1);
	T_EQ(m.clen_val, 0);
	T_EQ(m.hdr_len, strlen(reg));
	T_EQ(m.body.len, 0);
	T_EQ(m.sdp.present, 0);
}

/* compact forms, bare LF, folding, several Vias and Contacts per header */
static const char compact[] =
	"INVITE sip:bob@198.51.100.2:5070;transport=udp SIP/2.0\n"
	"v: SIP/2.0/UDP 10.0.0.2\n"
	"   ;branch=z9hG4bK1 ;received=192.0.2.1 ;rport=5061,\n"
	" SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2\n"
	"V: SIP/2.0/UDP [2001:db8::9]:5080;branch=z9hG4bK3\n"
	"f: \"Alice, A.\" <sip:alice@10.0.0.2>;tag=1\n"
	"t: sip:bob@198.51.100.2\n"
	"i: c1\n"
	"cseq: 7 INVITE\n"
	"m: \"x,y\" <sip:a@10.0.0.2:5062>;q=0.5, sip:b@10.0.0.3;expires=60,\n"
	"\t<sips:c@[2001:db8::2]>\n"
	"c: application/sdp\n"
	"k: 100rel\n"
	"s: hello\n"
	"l: 0\n"
	"\n";

static void parse_compact_folded(void)
{
	const uint8_t *b = (const uint8_t *)compact;

	T_EQ(parse(compact, SA_T_UDP), SA_R_OK);
	T_EQ(m.method, SA_M_INVITE);
	T_SPAN(b, m.ruri.host, "198.51.100.2");
	T_EQ(m.ruri.ep.port, 5070);
	T_EQ(m.n_via, 3);
	T_SPAN(b, m.top_via.sent_by.host, "10.0.0.2");
	T_EQ(m.top_via.sent_by.port.len, 0);
	T_EQ(m.top_via.sent_by.def_port, 5060);
	T_SPAN(b, m.top_via.received, "192.0.2.1");
	IP_IS(&m.top_via.received_ip, "192.0.2.1");
	T_SPAN(b, m.top_via.rport, "5061");
	T_EQ(m.top_via.rport_val, 5061);
	T_EQ(b[m.top_via.params_end], ',');
	T_SPAN(b, m.from.host, "10.0.0.2");
	T_SPAN(b, m.to.host, "198.51.100.2");
	T_EQ(m.n_contact, 3);
	T_SPAN(b, m.contact[0].hp.host, "10.0.0.2");
	T_EQ(m.contact[0].hp.ep.port, 5062);
	T_SPAN(b, m.contact[1].hp.host, "10.0.0.3");
	T_EQ(m.contact[1].expires, 60);
	T_SPAN(b, m.contact[2].hp.host, "[2001:db8::2]");
	T_EQ(m.contact[2].hp.def_port, 5061);
	IP_IS(&m.contact[2].hp.ep.ip, "2001:db8::2");
	T_SPAN(b, m.ctype, "application/sdp");
	T_EQ(m.clen_val, 0);
	T_EQ(m.cseq, 7);
}

static const char resp[] =
	L("SIP/2.0 180 Ringing")
	L("Via: SIP/2.0/TLS [2001:db8::2];branch=z9hG4bK1;received=[2001:db8::99];rport=4711")
	L("Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK0")
	L("Record-Route: <sip:10.0.0.5;lr>,<sip:proxy.example.com;lr>")
	L("Record-Route: <sips:[2001:db8::7]:5071;lr>")
	L("Route: <sip:192.0.2.8:5080;lr>")
	L("From: <sip:a@example.com>;tag=1")
	L("To: <sip:b@example.com>;tag=2")
	L("CSeq: 2 INVITE")
	L("Call-ID: x")
	L("Contact: *")
	L("Content-Length: 0")
	L("");

static void parse_response(void)
{
	const uint8_t *b = (const uint8_t *)resp;

	T_EQ(parse(resp, SA_T_UDP), SA_R_OK);
	T_EQ(m.is_request, 0);
	T_EQ(m.status, 180);
	T_EQ(m.method, SA_M_INVITE);
	T_EQ(m.n_via, 2);
	T_SPAN(b, m.top_via.transport, "TLS");
	T_SPAN(b, m.top_via.sent_by.host, "[2001:db8::2]");
	T_EQ(m.top_via.sent_by.def_port, 5061);
	T_SPAN(b, m.top_via.received, "[2001:db8::99]");
	IP_IS(&m.top_via.received_ip, "2001:db8::99");
	T_EQ(m.top_via.rport_val, 4711);
	T_EQ(m.n_rr, 3);
	T_SPAN(b, m.record_route[0].host, "10.0.0.5");
	T_SPAN(b, m.record_route[1].host, "proxy.example.com");
	T_SPAN(b, m.record_route[2].host, "[2001:db8::7]");
	T_EQ(m.record_route[2].ep.port, 5071);
	T_EQ(m.n_route, 1);
	T_EQ(m.route[0].ep.port, 5080);
	T_EQ(m.n_contact, 1);
	T_EQ(m.contact[0].star, 1);
}

static void parse_schemes(void)
{
	static const char s[] =
		L("MESSAGE tel:+1-201-555-0123 SIP/2.0")
		L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1")
		L("From: <im:alice@example.com>;tag=1")
		L("To: <tel:+12015550123>")
		L("Contact: <urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>")
		L("Content-Length: 0")
		L("");

	T_EQ(parse(s, SA_T_UDP), SA_R_OK);
	T_EQ(m.method, SA_M_MESSAGE);
	T_EQ(m.ruri.host.len, 0);
	T_EQ(m.from.host.len, 0);
	T_EQ(m.contact[0].hp.host.len, 0);
}

struct bad_case {
	const char *name;
	const char *msg;
	enum sa_reason why;
	enum sa_transport t;
};

#define HDRS L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1") \
	L("From: <sip:a@10.0.0.2>;tag=1") L("To: <sip:b@10.0.0.9>") \
	L("Call-ID: c") L("CSeq: 1 INVITE")
#define REQ L("INVITE sip:b@10.0.0.9 SIP/2.0") HDRS

static const struct bad_case bad[] = {
	{ "UDP Content-Length larger than the body",
	  REQ L("Content-Length: 5") L("") "abcd", SA_R_BAD_CLEN, SA_T_UDP },
	{ "UDP Content-Length smaller than the body",
	  REQ L("Content-Length: 3") L("") "abcd", SA_R_BAD_CLEN, SA_T_UDP },
	{ "duplicate Content-Length",
	  REQ L("Content-Length: 0") L("l: 0") L(""), SA_R_BAD_CLEN, SA_T_UDP },
	{ "TCP without Content-Length", REQ L(""), SA_R_NO_CLEN, SA_T_TCP },
	{ "Content-Length with a sign",
	  REQ L("Content-Length: +0") L(""), SA_R_BAD_CLEN, SA_T_UDP },
	{ "SIP/3.0 request", L("INVITE sip:b@10.0.0.9 SIP/3.0") HDRS L(""),
	  SA_R_BAD_START_LINE, SA_T_UDP },
	{ "SIP/2.1 response", L("SIP/2.1 200 OK") HDRS L(""),
	  SA_R_BAD_START_LINE, SA_T_UDP },
	{ "status code 1000", L("SIP/2.0 1000 Big") HDRS L(""),
	  SA_R_BAD_START_LINE, SA_T_UDP },
	{ "two spaces in the request line",
	  L("INVITE  sip:b@10.0.0.9 SIP/2.0") HDRS L(""),
	  SA_R_BAD_START_LINE, SA_T_UDP },
	{ "HTTP", L("GET / HTTP/1.1") L("Host: a") L(""), SA_R_NOT_SIP,
	  SA_T_UDP },
	{ "no blank line", REQ, SA_R_TRUNCATED, SA_T_UDP },
	{ "header line without colon", REQ L("Bogus header") L(""),
	  SA_R_BAD_HEADER, SA_T_UDP },
	{ "folding before any header",
	  L("INVITE sip:b@10.0.0.9 SIP/2.0") L(" x: y") HDRS L(""),
	  SA_R_BAD_HEADER, SA_T_UDP },
	{ "no Via", L("INVITE sip:b@10.0.0.9 SIP/2.0") L("l: 0") L(""),
	  SA_R_BAD_VIA, SA_T_UDP },
	{ "Via rport out of range",
	  L("OPTIONS sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2;rport=70000") L(""),
	  SA_R_BAD_VIA, SA_T_UDP },
	{ "two received= in the top Via",
	  L("OPTIONS sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2;received=1.2.3.4;received=1.2.3.5")
	  L(""), SA_R_BAD_VIA, SA_T_UDP },
	{ "Via port 0", L("OPTIONS sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2:0") L(""), SA_R_BAD_VIA, SA_T_UDP },
	{ "Via without sent-by", L("OPTIONS sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP ;branch=1") L(""), SA_R_BAD_VIA, SA_T_UDP },
	{ "Contact 10.0.0.256", REQ L("Contact: <sip:a@10.0.0.256>") L(""),
	  SA_R_BAD_CONTACT, SA_T_UDP },
	{ "Contact IPv6 without brackets end",
	  REQ L("Contact: <sip:a@[2001:db8::1>") L(""),
	  SA_R_BAD_CONTACT, SA_T_UDP },
	{ "Contact * with another contact",
	  REQ L("Contact: *, <sip:a@10.0.0.2>") L(""), SA_R_BAD_CONTACT,
	  SA_T_UDP },
	{ "Contact empty element", REQ L("Contact: <sip:a@h>,,<sip:b@h>") L(""),
	  SA_R_BAD_CONTACT, SA_T_UDP },
	{ "unterminated quote in From",
	  L("INVITE sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1")
	  L("From: \"Alice <sip:a@10.0.0.2>;tag=1") L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "Request-URI IPv6 with three colons",
	  L("INVITE sip:b@[2001:db8:::192.0.2.1] SIP/2.0") HDRS L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "Request-URI IPv6 without brackets",
	  L("INVITE sip:b@2001:db8::1 SIP/2.0") HDRS L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "Request-URI with port 65536",
	  L("INVITE sip:b@10.0.0.9:65536 SIP/2.0") HDRS L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "two From headers", REQ L("From: <sip:c@h>") L(""),
	  SA_R_BAD_HEADER, SA_T_UDP },
	{ "Record-Route not closed", REQ L("Record-Route: <sip:10.0.0.5;lr") L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "CSeq method not the request's",
	  L("INVITE sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1")
	  L("CSeq: 1 OPTIONS") L(""), SA_R_BAD_HEADER, SA_T_UDP },
	{ "white space inside the Request-URI",
	  L("INVITE sip:b@10.0.0.9; lr SIP/2.0") HDRS L(""),
	  SA_R_BAD_START_LINE, SA_T_UDP },
	{ "headers in a SIP Request-URI",
	  L("INVITE sip:b@10.0.0.9?Route=x SIP/2.0") HDRS L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "<> around the Request-URI",
	  L("INVITE <sip:b@10.0.0.9> SIP/2.0") HDRS L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "spaces inside <> of a name-addr",
	  REQ L("Contact: < sip:a@10.0.0.2 >") L(""), SA_R_BAD_CONTACT,
	  SA_T_UDP },
	{ "unquoted display name with a comma in To",
	  L("INVITE sip:b@10.0.0.9 SIP/2.0")
	  L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1")
	  L("To: Watson, Thomas <sip:t@10.0.0.9>") L(""),
	  SA_R_BAD_URI, SA_T_UDP },
	{ "Content-Length over 64 KiB", REQ L("Content-Length: 70000") L(""),
	  SA_R_TOO_BIG, SA_T_UDP },
	{ "4 zero bytes (a keep-alive of some devices)", "\0\0\0\0",
	  SA_R_NOT_SIP, SA_T_UDP },
};

static void parse_refusals(void)
{
	unsigned int i;
	enum sa_reason r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i].msg);

		if (!n)
			n = 4;	/* the NUL bytes case */
		r = sa_parse((const uint8_t *)bad[i].msg, n, bad[i].t, &m);
		if (r != bad[i].why)
			t_fail(__FILE__, __LINE__, "%s: got %s, expected %s",
			       bad[i].name, sa_reason_str(r),
			       sa_reason_str(bad[i].why));
	}
}

static void parse_too_many(void)
{
	static char buf[8192];
	int n, i;

	n = snprintf(buf, sizeof(buf), "%s", REQ);
	for (i = 0; i < SA_MAX_CONTACTS; i++)
		n += snprintf(buf + n, sizeof(buf) - n,
			      L("Contact: <sip:a@10.0.0.%d>"), i + 1);
	snprintf(buf + n, sizeof(buf) - n, L(""));
	T_EQ(parse(buf, SA_T_UDP), SA_R_OK);
	T_EQ(m.n_contact, SA_MAX_CONTACTS);
	snprintf(buf + n, sizeof(buf) - n, L("m: <sip:x@10.0.0.99>") L(""));
	T_EQ(parse(buf, SA_T_UDP), SA_R_TOO_MANY);

	n = snprintf(buf, sizeof(buf), "%s", REQ);
	for (i = 0; i <= SA_MAX_ROUTES; i++)
		n += snprintf(buf + n, sizeof(buf) - n,
			      L("Record-Route: <sip:10.1.0.%d;lr>"), i + 1);
	snprintf(buf + n, sizeof(buf) - n, L(""));
	T_EQ(parse(buf, SA_T_UDP), SA_R_TOO_MANY);
}

/* what real devices send that RFC 3261 does not allow, accepted */
static void parse_tolerated(void)
{
	static const char s[] =
		L("INVITE sip:@198.51.100.2 SIP/2.0")
		L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1")
		L("Contact: <sip:@10.0.0.2:5060>")
		L("l: 0")
		L("");
	const uint8_t *b = (const uint8_t *)s;

	T_EQ(parse(s, SA_T_UDP), SA_R_OK);
	T_SPAN(b, m.ruri.host, "198.51.100.2");
	T_SPAN(b, m.contact[0].hp.host, "10.0.0.2");
	T_EQ(m.contact[0].hp.ep.port, 5060);
}

static void parse_leading_crlf_and_encoding(void)
{
	static const char s[] =
		L("") L("")
		L("INVITE sip:b@10.0.0.9 SIP/2.0")
		HDRS
		L("Content-Type: application/sdp")
		L("Content-Encoding: gzip")
		L("Content-Length: 4")
		L("")
		"\x1f\x8b\x08\x00";

	T_EQ(sa_parse((const uint8_t *)s, sizeof(s) - 1, SA_T_UDP, &m),
	     SA_R_OK);
	T_EQ(m.start_line.off, 4);
	T_EQ(m.body_encoded, 1);
	T_EQ(m.sdp.present, 0);
}

/*
 * sa_memchr_swar, the core's memchr in kernels with no arch memchr,
 * against the C library's: every length up to 40, the byte at every place
 * or nowhere, a second one after it, and in every other byte the values
 * next to it (c - 1, c + 1, c ^ 0x80: the ones a carry or borrow across
 * bytes would confuse), for c = LF, 0x00, 0x7f, 0x80 and 0xff. Each buffer
 * is a heap block of exactly n bytes: these tests run under ASan, which
 * stops on a read past p + n.
 */
static void parse_memchr_swar(void)
{
	static const u8 cs[] = { '\n', 0x00, 0x7f, 0x80, 0xff };
	unsigned int ci, n, at, k, bad = 0;
	const u8 *got;
	u8 *buf;

	for (ci = 0; ci < sizeof(cs); ci++) {
		u8 c = cs[ci];

		for (n = 0; n <= 40; n++) {
			for (at = 0; at <= n; at++) {
				buf = malloc(n ? n : 1);
				if (!buf)
					abort();
				for (k = 0; k < n; k++)
					buf[k] = k % 3 == 0 ? (u8)(c - 1) :
						 k % 3 == 1 ? (u8)(c + 1) :
							      (u8)(c ^ 0x80);
				if (at < n)
					buf[at] = c;
				if (at + 5 < n)
					buf[at + 5] = c;
				got = sa_memchr_swar(buf, c, n);
				if (got != (const u8 *)memchr(buf, c, n) &&
				    !bad++)
					t_fail(__FILE__, __LINE__,
					       "c 0x%02x, length %u, at %u: offset %ld",
					       c, n, at,
					       got ? (long)(got - buf) : -1L);
				free(buf);
			}
		}
	}
	T_EQ(bad, 0);
}

void units_parse(void)
{
	t_run("parse: sa_memchr_swar (the kernel's, eight bytes a step) finds what memchr finds",
	      parse_memchr_swar);
	t_run("parse: REGISTER fields", parse_register);
	t_run("parse: compact forms, bare LF, folding, comma lists",
	      parse_compact_folded);
	t_run("parse: response with IPv6 Via, received=[..], Record-Route, Contact *",
	      parse_response);
	t_run("parse: tel:/im:/urn: URIs are not mapped", parse_schemes);
	t_run("parse: malformed messages refused with their reason",
	      parse_refusals);
	t_run("parse: more than SA_MAX_CONTACTS / SA_MAX_ROUTES refused",
	      parse_too_many);
	t_run("parse: empty user part (sip:@host) from real devices accepted",
	      parse_tolerated);
	t_run("parse: CRLFs before the start line, encoded body not parsed",
	      parse_leading_crlf_and_encoding);
}
