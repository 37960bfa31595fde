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
	/* a nested multipart without its close delimiter: 21 + 42 + 2 + 23 */
	T_UNCHANGED(MP_HEAD("88")
		    L("--unique-boundary-1")
		    L("Content-Type: multipart/mixed;boundary=x")
		    L("")
		    L("--unique-boundary-1--"), &c, SA_R_BAD_MULTIPART);
	/* no boundary parameter */
	T_UNCHANGED(REQH("23", "multipart/mixed") L("--unique-boundary-1--"),
		    &c, SA_R_BAD_MULTIPART);
}

/*
 * SDP in a multipart/alternative inside the multipart/mixed body (two
 * levels), every part with its own Content-Length. The inner body, 201
 * bytes: delimiter 9, Content-Type 31, Content-Length 20, blank 2, SDP 86,
 * delimiter 9, Content-Type 26, blank 2, "hello" 7, close 9 (its CRLF
 * belongs to the outer delimiter). The SDP part's Content-Length is the
 * exact 84. The body, 381 bytes: delimiter 9, Content-Type 52,
 * Content-Length 21, blank 2, inner body 201, CRLF 2, delimiter 9,
 * Content-Type 49, blank 2, payload 23, close 11.
 * Two addresses of 8 -> 12 characters: SDP +8, so 84 -> 92, 201 -> 209,
 * 381 -> 389 (no digit count changes).
 */
#define NEST2_SDP(addr) \
	L("--inner") \
	L("Content-Type: application/sdp") \
	L("Content-Length: " NEST2_SDPLEN) \
	L("") \
	L("v=0") \
	L("o=- 1 1 IN IP4 " addr) \
	L("s=-") \
	L("c=IN IP4 " addr) \
	L("t=0 0") \
	L("m=audio 10000 RTP/AVP 0") \
	L("--inner") \
	L("Content-Type: text/plain") \
	L("") \
	L("hello") \
	"--inner--"
#define NEST2(cl, pcl, addr) \
	REQH(cl, "multipart/mixed;boundary=outer") \
	L("--outer") \
	L("Content-Type: multipart/alternative;boundary=inner") \
	L("Content-Length: " pcl) \
	L("") \
	NEST2_SDP(addr) \
	L("") \
	L("--outer") \
	L("Content-Type: application/isup;version=itu-t92+") \
	L("") \
	L("ISUP-PAYLOAD-10.0.0.2") \
	L("--outer--")

static void sdp_multipart_nested(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
#define NEST2_SDPLEN "84"
	static const char in[] = NEST2("381", "201", "10.0.0.2");
#undef NEST2_SDPLEN
#define NEST2_SDPLEN "92"
	static const char out[] = NEST2("389", "209", "198.51.100.1");
#undef NEST2_SDPLEN
	const uint8_t *b = (const uint8_t *)in;

	T_EQ(sa_parse(b, strlen(in), SA_T_UDP, &t_msg), SA_R_OK);
	T_EQ(t_msg.sdp.mp_depth, 2);
	T_SPAN(b, t_msg.sdp.part_clen, "84");
	T_SPAN(b, t_msg.sdp.outer_clen[0], "201");
	T_SPAN(b, t_msg.sdp.body, "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\n"
	       "c=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0");
	T_REWRITE(in, &c, out);
	T_EQ(t_msg.sdp.n_media, 1);
}

/*
 * Three levels: multipart/related > multipart/alternative > multipart/mixed
 * > SDP, whose Content-Length 99 counts the CRLF before the delimiter (RFC
 * 2046 gives it to the delimiter; accepted either way). SDP 99 bytes (86 +
 * "a=label:abc" 13). Level 3 body, 164: delimiter 6, Content-Type 31,
 * Content-Length 20, blank 2, SDP 99, close 6. Level 2 body, 244:
 * delimiter 6, Content-Type 43, Content-Length 21, blank 2, 164, CRLF 2,
 * close 6; its part says 246 (with the CRLF). Body, 381: delimiter 6,
 * Content-Type 52, Content-Length 21, blank 2, 244, CRLF 2, delimiter 6,
 * Content-Type 25, blank 2, "PNG10.0.0.2" 13 (not SDP: untouched), close 8.
 * Rewritten: SDP +8, so 99 -> 107 (one more digit), level 3 body +9:
 * 164 -> 173, level 2 body +9: 246 -> 255, message 381 -> 390.
 */
#define NEST3(cl, c1, c2, c3, addr) \
	REQH(cl, "multipart/related;boundary=L1") \
	L("--L1") \
	L("Content-Type: multipart/alternative; boundary=\"L2\"") \
	L("Content-Length: " c1) \
	L("") \
	L("--L2") \
	L("Content-Type: multipart/mixed;boundary=L3") \
	L("Content-Length: " c2) \
	L("") \
	L("--L3") \
	L("Content-Type: application/sdp") \
	L("Content-Length: " c3) \
	L("") \
	L("v=0") \
	L("o=- 1 1 IN IP4 " addr) \
	L("s=-") \
	L("c=IN IP4 " addr) \
	L("t=0 0") \
	L("m=audio 10000 RTP/AVP 0") \
	L("a=label:abc") \
	L("--L3--") \
	L("--L2--") \
	L("--L1") \
	L("Content-Type: image/png") \
	L("") \
	L("PNG10.0.0.2") \
	L("--L1--")

static void sdp_multipart_nested3(void)
{
	static const char in[] = NEST3("381", "246", "164", "99", "10.0.0.2");
	const uint8_t *b = (const uint8_t *)in;
	struct sa_ctx c;

	t_snat_orig(&c);
	T_EQ(sa_parse(b, strlen(in), SA_T_UDP, &t_msg), SA_R_OK);
	T_EQ(t_msg.sdp.mp_depth, 3);
	T_SPAN(b, t_msg.sdp.part_clen, "99");
	T_SPAN(b, t_msg.sdp.outer_clen[0], "164");
	T_SPAN(b, t_msg.sdp.outer_clen[1], "246");
	T_REWRITE(in, &c,
		  NEST3("390", "255", "173", "107", "198.51.100.1"));
	/* and back: the reply mapping undoes it, byte for byte */
	t_snat_reply(&c);
	T_REWRITE(NEST3("390", "255", "173", "107", "198.51.100.1"), &c,
		  NEST3("390", "255", "173", "107", "198.51.100.1"));
}

/*
 * A body (boundary b0) whose first part is a multipart (b1), whose first
 * part is ... for levels levels, then inner, then the close delimiters;
 * returns its length.
 */
static size_t nest_body(char *m, size_t cap, int levels, const char *inner)
{
	size_t n = 0;
	int i;

	for (i = 0; i < levels; i++)
		n += snprintf(m + n, cap - n, L("--b%d")
			      L("Content-Type: multipart/mixed;boundary=b%d")
			      L(""), i, i + 1);
	n += snprintf(m + n, cap - n, "%s", inner);
	for (i = levels; i >= 0; i--)
		n += snprintf(m + n, cap - n, L("--b%d--"), i);
	return n;
}

static void sdp_multipart_nested_refused(void)
{
	static char body[2048], msg[4096];
	static const char sdp[] =
		L("--b%d")
		L("Content-Type: application/sdp")
		L("")
		L("v=0")
		L("c=IN IP4 10.0.0.2");
	char inner[256];
	struct sa_ctx c;
	size_t n;

	t_snat_orig(&c);
	/* SDP three levels down: rewritten; four levels down: refused */
	snprintf(inner, sizeof(inner), sdp, 2);
	n = nest_body(body, sizeof(body), 2, inner);
	snprintf(msg, sizeof(msg), REQH("%zu", "multipart/mixed;boundary=b0")
		 "%s", n, body);
	T_EQ(sa_parse((const uint8_t *)msg, strlen(msg), SA_T_UDP, &t_msg),
	     SA_R_OK);
	T_EQ(t_msg.sdp.mp_depth, 3);
	T_SPAN((const uint8_t *)msg, t_msg.sdp.c_addr, "10.0.0.2");
	snprintf(inner, sizeof(inner), sdp, 3);
	n = nest_body(body, sizeof(body), 3, inner);
	snprintf(msg, sizeof(msg), REQH("%zu", "multipart/mixed;boundary=b0")
		 "%s", n, body);
	T_UNCHANGED(msg, &c, SA_R_MP_DEPTH);
	T_OK(!strcmp(sa_reason_str(SA_R_MP_DEPTH), "multipart-too-deep"));

	/* two SDP parts, one nested: which one? */
	snprintf(inner, sizeof(inner), sdp, 1);
	n = nest_body(body, sizeof(body), 1, inner);
	snprintf(msg, sizeof(msg), REQH("%zu", "multipart/mixed;boundary=b0")
		 L("--b0") L("Content-Type: application/sdp") L("")
		 L("v=0") "%s", n + 44, body);
	T_UNCHANGED(msg, &c, SA_R_BAD_MULTIPART);

	/*
	 * An inner boundary that the outer one is a prefix of: its lines
	 * look like outer delimiters (here one cuts the part short): refused.
	 * 6 + 44 + 2 + 7 + 26 + 2 + 3 + 9 + 8 = 107
	 */
	T_UNCHANGED(REQH("107", "multipart/mixed;boundary=ab")
		    L("--ab")
		    L("Content-Type: multipart/mixed;boundary=abc")
		    L("")
		    L("--abc")
		    L("Content-Type: text/plain")
		    L("")
		    L("x")
		    L("--abc--")
		    L("--ab--"), &c, SA_R_BAD_MULTIPART);
	/* a nested multipart part without a boundary: 6 + 31 + 2 + 8 = 47 */
	T_UNCHANGED(REQH("47", "multipart/mixed;boundary=ab")
		    L("--ab")
		    L("Content-Type: multipart/mixed")
		    L("")
		    L("--ab--"), &c, SA_R_BAD_MULTIPART);
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
	/* two c= in one media */
	T_UNCHANGED(REQH("68", "application/sdp") L("v=0")
		    L("m=audio 10000 RTP/AVP 0")
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
	t_run("sdp: two SDP parts, no close delimiter, no boundary refused",
	      sdp_multipart_refused);
	t_run("sdp: SDP in multipart/alternative in multipart/mixed, all Content-Lengths",
	      sdp_multipart_nested);
	t_run("sdp: SDP three multipart levels down, part Content-Length gains a digit",
	      sdp_multipart_nested3);
	t_run("sdp: four levels refused (multipart-too-deep), nested second SDP, bad nesting",
	      sdp_multipart_nested_refused);
	t_run("sdp: malformed SDP and too many m= refused", sdp_refusals);
	t_run("sdp: session direction, rtcp-mux, multicast TTL, m= port/n",
	      sdp_details);
}
