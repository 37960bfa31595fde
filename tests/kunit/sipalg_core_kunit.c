// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the SIP/SDP core (kmod/core) inside the kernel, on kernel memory.
 *
 * Every message sits in a kmalloc'ed buffer of exactly its size, so a read
 * one byte past the end is a KASAN report (and a failed test). Expected
 * rewrites are written out by hand below; Content-Length is computed from
 * the body by sk_msg().
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sipalg_kunit.h"

static struct sa_msg *new_msg(struct kunit *test)
{
	struct sa_msg *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	return m;
}

static struct sa_plan *new_plan(struct kunit *test)
{
	struct sa_plan *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static struct sa_ctx *new_ctx(struct kunit *test, enum sa_transport t)
{
	struct sa_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->transport = t;
	/* the far side is not translated: 198.51.100.10:5060 both ways */
	sk_ep4(&c->dst_from, 198, 51, 100, 10, 5060);
	c->dst_to = c->dst_from;
	return c;
}

/*
 * Frame, parse and plan msg (in an exact-size copy), apply the plan with
 * sk_apply() and compare with want.
 */
static void expect_rewrite(struct kunit *test, const struct sk_buf *in,
			   const struct sa_ctx *ctx, const struct sk_buf *want)
{
	struct sa_msg *m = new_msg(test);
	struct sa_plan *p = new_plan(test);
	enum sa_reason why = SA_R_OK;
	size_t mlen = 0, olen = 0;
	enum sa_reason r;
	char *out;

	KUNIT_ASSERT_EQ(test, sa_frame(in->data, in->len, ctx->transport,
				       &mlen, &why), SA_FRAME_MSG);
	KUNIT_ASSERT_EQ(test, mlen, in->len);
	r = sa_parse(in->data, in->len, ctx->transport, m);
	KUNIT_ASSERT_EQ_MSG(test, r, SA_R_OK, "parse: %s", sa_reason_str(r));
	r = sa_plan(in->data, m, ctx, p);
	KUNIT_ASSERT_EQ_MSG(test, r, SA_R_OK, "plan: %s", sa_reason_str(r));
	KUNIT_EXPECT_EQ(test, p->reason, SA_R_OK);
	out = sk_apply(test, in->data, in->len, p, &olen);
	KUNIT_EXPECT_EQ(test, p->delta, (s32)want->len - (s32)in->len);
	KUNIT_EXPECT_STREQ(test, out, want->str);
}

/* ------------------------------------------------------------- framing */

static void core_frame_udp(struct kunit *test)
{
	struct sk_buf b = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				 SDP_BODY("10.0.0.2", "49170"));
	enum sa_reason why = SA_R_OK;
	size_t mlen = 0;

	KUNIT_EXPECT_EQ(test, sa_frame(b.data, b.len, SA_T_UDP, &mlen, &why),
			SA_FRAME_MSG);
	KUNIT_EXPECT_EQ(test, mlen, b.len);
}

/* three messages in one TCP segment: three frames, in order */
static void core_frame_tcp_several(struct kunit *test)
{
	struct sk_buf parts[3] = {
		sk_msg(test, INVITE_HDRS("TCP", "10.0.0.2", "5060"),
		       SDP_BODY("10.0.0.2", "49170")),
		sk_msg(test, BYE_HDRS("10.0.0.2", "5060"), ""),
		sk_msg(test, OPTIONS_HDRS("10.0.0.2", "5060"), ""),
	};
	struct sk_buf s = sk_concat(test, parts, 3);
	enum sa_reason why;
	size_t off = 0, mlen;
	int i;

	for (i = 0; i < 3; i++) {
		mlen = 0;
		why = SA_R_OK;
		KUNIT_ASSERT_EQ_MSG(test, sa_frame(s.data + off, s.len - off,
						   SA_T_TCP, &mlen, &why),
				    SA_FRAME_MSG, "message %d", i);
		KUNIT_EXPECT_EQ_MSG(test, mlen, parts[i].len, "message %d", i);
		off += parts[i].len;
	}
	KUNIT_EXPECT_EQ(test, off, s.len);
}

/*
 * Every cut of a two-message TCP stream, each in a buffer of exactly the
 * cut's size: the whole first message frames, an incomplete message asks
 * for more, and nothing is read past the cut (KASAN).
 */
static void core_frame_tcp_partial(struct kunit *test)
{
	struct sk_buf parts[2] = {
		sk_msg(test, INVITE_HDRS("TCP", "10.0.0.2", "5060"),
		       SDP_BODY("10.0.0.2", "49170")),
		sk_msg(test, BYE_HDRS("10.0.0.2", "5060"), ""),
	};
	struct sk_buf s = sk_concat(test, parts, 2);
	enum sa_frame_result fr;
	enum sa_reason why;
	size_t cut, mlen;
	u8 *buf;

	for (cut = 1; cut < s.len; cut++) {
		buf = kmalloc(cut, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		memcpy(buf, s.data, cut);
		mlen = 0;
		why = SA_R_OK;
		fr = sa_frame(buf, cut, SA_T_TCP, &mlen, &why);
		if (cut < parts[0].len) {
			KUNIT_EXPECT_EQ_MSG(test, fr, SA_FRAME_NEED_MORE,
					    "cut at %zu", cut);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, fr, SA_FRAME_MSG,
					    "cut at %zu", cut);
			KUNIT_EXPECT_EQ(test, mlen, parts[0].len);
			if (cut > parts[0].len) {
				fr = sa_frame(buf + parts[0].len,
					      cut - parts[0].len, SA_T_TCP,
					      &mlen, &why);
				KUNIT_EXPECT_EQ_MSG(test, fr, SA_FRAME_NEED_MORE,
						    "second message cut at %zu",
						    cut - parts[0].len);
			}
		}
		kfree(buf);
		if (test->status == KUNIT_FAILURE)
			break;	/* one report is enough */
	}
}

/* CRLF keep-alives before a message are passed on as such */
static void core_frame_keepalive(struct kunit *test)
{
	struct sk_buf parts[2] = {
		{ .data = sk_exact(test, "\r\n\r\n", 4), .len = 4 },
		sk_msg(test, OPTIONS_HDRS("10.0.0.2", "5060"), ""),
	};
	struct sk_buf s = sk_concat(test, parts, 2);
	enum sa_frame_result fr;
	enum sa_reason why;
	size_t off = 0, mlen;
	int guard = 0;

	for (;;) {
		mlen = 0;
		fr = sa_frame(s.data + off, s.len - off, SA_T_TCP, &mlen, &why);
		if (fr != SA_FRAME_KEEPALIVE)
			break;
		KUNIT_ASSERT_GT(test, mlen, (size_t)0);
		off += mlen;
		KUNIT_ASSERT_LT(test, ++guard, 5);
	}
	KUNIT_EXPECT_EQ(test, off, (size_t)4);
	KUNIT_EXPECT_EQ(test, fr, SA_FRAME_MSG);
	KUNIT_EXPECT_EQ(test, mlen, parts[1].len);
}

/* over TCP, a message without Content-Length cannot be framed */
static void core_frame_tcp_no_clen(struct kunit *test)
{
	static const char s[] = OPTIONS_HDRS("10.0.0.2", "5060") "\r\n";
	u8 *b = sk_exact(test, s, sizeof(s) - 1);
	enum sa_reason why = SA_R_OK;
	size_t mlen = 0;

	KUNIT_EXPECT_EQ(test, sa_frame(b, sizeof(s) - 1, SA_T_TCP, &mlen, &why),
			SA_FRAME_ERROR);
	KUNIT_EXPECT_EQ(test, why, SA_R_NO_CLEN);
}

/* a Content-Length of 2^32 must not wrap to 0 and frame a short message */
static void core_frame_clen_overflow(struct kunit *test)
{
	static const char s[] = OPTIONS_HDRS("10.0.0.2", "5060")
		"Content-Length: 4294967296\r\n\r\n";
	u8 *b = sk_exact(test, s, sizeof(s) - 1);
	enum sa_frame_result fr;
	enum sa_reason why = SA_R_OK;
	size_t mlen = 0;

	fr = sa_frame(b, sizeof(s) - 1, SA_T_TCP, &mlen, &why);
	KUNIT_EXPECT_NE(test, fr, SA_FRAME_MSG);
	KUNIT_EXPECT_NE(test, fr, SA_FRAME_KEEPALIVE);
	if (fr == SA_FRAME_ERROR)
		KUNIT_EXPECT_TRUE_MSG(test, why == SA_R_BAD_CLEN || why == SA_R_TOO_BIG,
				      "why: %s", sa_reason_str(why));
}

/* -------------------------------------------------------------- parsing */

static void core_parse_invite(struct kunit *test)
{
	struct sk_buf b = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				 SDP_BODY("10.0.0.2", "49170"));
	static const u8 ip[4] = { 10, 0, 0, 2 };
	struct sa_msg *m = new_msg(test);
	const struct sa_media *md;

	KUNIT_ASSERT_EQ(test, sa_parse(b.data, b.len, SA_T_UDP, m), SA_R_OK);
	KUNIT_EXPECT_TRUE(test, m->is_request);
	KUNIT_EXPECT_EQ(test, m->method, SA_M_INVITE);
	KUNIT_EXPECT_EQ(test, m->cseq, 314159U);
	KUNIT_EXPECT_STREQ(test, sk_span(test, b.data, b.len, m->call_id),
			   "a84b4c76e66710@pc33.example.com");
	KUNIT_EXPECT_EQ(test, m->n_via, 1);
	KUNIT_EXPECT_STREQ(test, sk_span(test, b.data, b.len,
					 m->top_via.transport), "UDP");
	KUNIT_EXPECT_EQ(test, m->top_via.sent_by.ep.ip.family, 4);
	KUNIT_EXPECT_EQ(test, memcmp(m->top_via.sent_by.ep.ip.addr, ip, 4), 0);
	KUNIT_EXPECT_EQ(test, m->top_via.sent_by.ep.port, 5060);
	KUNIT_EXPECT_FALSE(test, m->top_via.has_rport);
	KUNIT_EXPECT_EQ(test, m->n_contact, 1);
	KUNIT_EXPECT_EQ(test, m->contact[0].hp.ep.port, 5060);
	KUNIT_EXPECT_STREQ(test, sk_span(test, b.data, b.len,
					 m->contact[0].hp.host), "10.0.0.2");
	KUNIT_EXPECT_EQ(test, m->from.ep.ip.family, 0);	/* example.com */
	KUNIT_EXPECT_TRUE(test, m->has_clen);
	KUNIT_EXPECT_EQ(test, m->clen_val, (u32)strlen(SDP_BODY("10.0.0.2", "49170")));
	KUNIT_EXPECT_EQ(test, m->body.off + m->body.len, (u32)b.len);

	KUNIT_ASSERT_TRUE(test, m->sdp.present);
	KUNIT_EXPECT_EQ(test, memcmp(m->sdp.c_ip.addr, ip, 4), 0);
	KUNIT_EXPECT_EQ(test, memcmp(m->sdp.o_ip.addr, ip, 4), 0);
	KUNIT_ASSERT_EQ(test, m->sdp.n_media, 1);
	md = &m->sdp.media[0];
	KUNIT_EXPECT_EQ(test, md->type, SA_MT_AUDIO);
	KUNIT_EXPECT_EQ(test, md->rtp_port, 49170);
	KUNIT_EXPECT_EQ(test, md->rtcp_port, 49171);
	KUNIT_EXPECT_EQ(test, md->nports, 1);
	KUNIT_EXPECT_EQ(test, md->addr.family, 4);
	KUNIT_EXPECT_EQ(test, memcmp(md->addr.addr, ip, 4), 0);
	KUNIT_EXPECT_STREQ(test, sk_span(test, b.data, b.len, md->port), "49170");
}

/*
 * Every strict prefix of a UDP message, in a buffer of exactly its size, is
 * refused (no end of headers, or a body shorter than Content-Length) and
 * never read past its end.
 */
static void core_parse_prefixes(struct kunit *test)
{
	struct sk_buf b = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				 SDP_BODY("10.0.0.2", "49170"));
	struct sa_msg *m = new_msg(test);
	enum sa_reason r;
	size_t cut;
	u8 *buf;

	for (cut = 1; cut < b.len; cut++) {
		buf = kmalloc(cut, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		memcpy(buf, b.data, cut);
		r = sa_parse(buf, cut, SA_T_UDP, m);
		KUNIT_EXPECT_NE_MSG(test, r, SA_R_OK, "prefix of %zu bytes", cut);
		kfree(buf);
		if (test->status == KUNIT_FAILURE)
			break;
	}
}

/* a UDP body that does not match Content-Length is refused */
static void core_parse_bad_clen(struct kunit *test)
{
	static const char s[] = INVITE_HDRS("UDP", "10.0.0.2", "5060")
		"Content-Length: 500\r\n\r\n" SDP_BODY("10.0.0.2", "49170");
	static const char dup[] = OPTIONS_HDRS("10.0.0.2", "5060")
		"Content-Length: 0\r\nContent-Length: 4\r\n\r\nabcd";
	struct sa_msg *m = new_msg(test);
	struct sa_plan *p = new_plan(test);
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);
	u8 *b = sk_exact(test, s, sizeof(s) - 1);
	enum sa_reason r;

	r = sa_parse(b, sizeof(s) - 1, SA_T_UDP, m);
	KUNIT_EXPECT_TRUE_MSG(test, r == SA_R_BAD_CLEN || r == SA_R_TRUNCATED,
			      "got %s", sa_reason_str(r));
	b = sk_exact(test, dup, sizeof(dup) - 1);
	r = sa_parse(b, sizeof(dup) - 1, SA_T_UDP, m);
	KUNIT_EXPECT_EQ_MSG(test, r, SA_R_BAD_CLEN, "got %s", sa_reason_str(r));

	/* and sa_plan on a message that did parse plans nothing for identity */
	b = sk_exact(test, s, sizeof(s) - 1);
	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	c->src_to = c->src_from;
	if (sa_parse(b, sizeof(s) - 1, SA_T_UDP, m) == SA_R_OK) {
		sa_plan(b, m, c, p);
		KUNIT_EXPECT_EQ(test, p->n, 0);
	}
}

/* ------------------------------------------------------------- planning */

/* NAT to a longer address and port: the message grows */
static void core_plan_grow(struct kunit *test)
{
	struct sk_buf in = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				  SDP_BODY("10.0.0.2", "49170"));
	struct sk_buf want = sk_msg(test,
				    INVITE_HDRS("UDP", "203.0.113.77", "61000"),
				    SDP_BODY("203.0.113.77", "40000"));
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);

	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	sk_ep4(&c->src_to, 203, 0, 113, 77, 61000);
	c->media_port[0] = 40000;
	expect_rewrite(test, &in, c, &want);
	KUNIT_EXPECT_GT(test, want.len, in.len);
}

/* NAT to a shorter address and port: the message shrinks */
static void core_plan_shrink(struct kunit *test)
{
	struct sk_buf in = sk_msg(test,
				  INVITE_HDRS("UDP", "192.168.100.200", "15060"),
				  SDP_BODY("192.168.100.200", "49170"));
	struct sk_buf want = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.1", "5060"),
				    SDP_BODY("10.0.0.1", "49170"));
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);

	sk_ep4(&c->src_from, 192, 168, 100, 200, 15060);
	sk_ep4(&c->src_to, 10, 0, 0, 1, 5060);
	expect_rewrite(test, &in, c, &want);
	KUNIT_EXPECT_LT(test, want.len, in.len);
}

/* an identity mapping plans no edit */
static void core_plan_identity(struct kunit *test)
{
	struct sk_buf b = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				 SDP_BODY("10.0.0.2", "49170"));
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);
	struct sa_msg *m = new_msg(test);
	struct sa_plan *p = new_plan(test);

	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	c->src_to = c->src_from;
	KUNIT_ASSERT_EQ(test, sa_parse(b.data, b.len, SA_T_UDP, m), SA_R_OK);
	KUNIT_EXPECT_EQ(test, sa_plan(b.data, m, c, p), SA_R_OK);
	KUNIT_EXPECT_EQ(test, p->n, 0);
	KUNIT_EXPECT_EQ(test, p->delta, 0);
}

/*
 * A TCP segment holding a whole INVITE, a whole BYE and the head of an
 * OPTIONS: the first two are framed, parsed and rewritten one by one (each
 * copied into its own exact-size buffer), the third waits for more.
 */
static void core_plan_tcp_segment(struct kunit *test)
{
	struct sk_buf parts[3] = {
		sk_msg(test, INVITE_HDRS("TCP", "10.0.0.2", "5060"),
		       SDP_BODY("10.0.0.2", "49170")),
		sk_msg(test, BYE_HDRS("10.0.0.2", "5060"), ""),
		sk_msg(test, OPTIONS_HDRS("10.0.0.2", "5060"), ""),
	};
	struct sk_buf want[2] = {
		sk_msg(test, INVITE_HDRS("TCP", "203.0.113.77", "61000"),
		       SDP_BODY("203.0.113.77", "49170")),
		sk_msg(test, BYE_HDRS("203.0.113.77", "61000"), ""),
	};
	struct sa_ctx *c = new_ctx(test, SA_T_TCP);
	struct sk_buf seg, one;
	enum sa_reason why;
	size_t off = 0, mlen;
	int i;

	parts[2].len -= 20;	/* the OPTIONS is cut short */
	seg = sk_concat(test, parts, 3);
	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	sk_ep4(&c->src_to, 203, 0, 113, 77, 61000);
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, sa_frame(seg.data + off, seg.len - off,
					       SA_T_TCP, &mlen, &why),
				SA_FRAME_MSG);
		KUNIT_ASSERT_EQ(test, mlen, parts[i].len);
		one.data = sk_exact(test, seg.data + off, mlen);
		one.len = mlen;
		expect_rewrite(test, &one, c, &want[i]);
		off += mlen;
	}
	KUNIT_EXPECT_EQ(test, sa_frame(seg.data + off, seg.len - off, SA_T_TCP,
				       &mlen, &why), SA_FRAME_NEED_MORE);
}

/* the force-rport policy adds ;rport at the end of the top Via */
static void core_plan_force_rport(struct kunit *test)
{
	struct sk_buf in = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.2", "5060"),
				  SDP_BODY("10.0.0.2", "49170"));
	struct sk_buf want = sk_msg(test,
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.77:61000;branch=z9hG4bK776asdhds;rport\r\n"
		"Max-Forwards: 70\r\n"
		"To: Bob <sip:bob@example.com>\r\n"
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:alice@203.0.113.77:61000>\r\n"
		"Content-Type: application/sdp\r\n",
		SDP_BODY("203.0.113.77", "49170"));
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);

	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	sk_ep4(&c->src_to, 203, 0, 113, 77, 61000);
	c->policy = SA_POL_FORCE_RPORT;
	expect_rewrite(test, &in, c, &want);
}

/*
 * The 200 OK coming back through the NAT (reply direction): the top Via,
 * its received= and rport= are mapped back to the phone; the server's own
 * Contact and SDP stay as they are.
 */
#define OK_HDRS(via)							\
	"SIP/2.0 200 OK\r\n"						\
	"Via: SIP/2.0/UDP " via "\r\n"					\
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"			\
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"	\
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"			\
	"CSeq: 314159 INVITE\r\n"					\
	"Contact: <sip:bob@198.51.100.10:5060>\r\n"			\
	"Content-Type: application/sdp\r\n"

static void core_plan_response(struct kunit *test)
{
	struct sk_buf in = sk_msg(test,
		OK_HDRS("203.0.113.77:61000;branch=z9hG4bK776asdhds;received=203.0.113.77;rport=61000"),
		SDP_BODY("198.51.100.10", "3456"));
	struct sk_buf want = sk_msg(test,
		OK_HDRS("10.0.0.2:5060;branch=z9hG4bK776asdhds;received=10.0.0.2;rport=5060"),
		SDP_BODY("198.51.100.10", "3456"));
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);

	/* reply direction: the server is not translated, the phone is */
	sk_ep4(&c->src_from, 198, 51, 100, 10, 5060);
	c->src_to = c->src_from;
	sk_ep4(&c->dst_from, 203, 0, 113, 77, 61000);
	sk_ep4(&c->dst_to, 10, 0, 0, 2, 5060);
	expect_rewrite(test, &in, c, &want);
}

/* a new m= port moves a=rtcp: with it, keeping the offset */
static void core_plan_media_port_rtcp(struct kunit *test)
{
	static const char hdrs[] = INVITE_HDRS("UDP", "10.0.0.2", "5060");
	static const char pub_hdrs[] = INVITE_HDRS("UDP", "203.0.113.77", "61000");
	struct sk_buf in = sk_msg(test, hdrs,
				  "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\n"
				  "c=IN IP4 10.0.0.2\r\nt=0 0\r\n"
				  "m=audio 49170 RTP/AVP 0\r\n"
				  "a=rtcp:49171 IN IP4 10.0.0.2\r\n"
				  "m=video 51372 RTP/AVP 31\r\n"
				  "a=rtcp:51379\r\n");
	struct sk_buf want = sk_msg(test, pub_hdrs,
				    "v=0\r\no=- 1 1 IN IP4 203.0.113.77\r\ns=-\r\n"
				    "c=IN IP4 203.0.113.77\r\nt=0 0\r\n"
				    "m=audio 1200 RTP/AVP 0\r\n"
				    "a=rtcp:1201 IN IP4 203.0.113.77\r\n"
				    "m=video 60000 RTP/AVP 31\r\n"
				    "a=rtcp:60007\r\n");
	struct sa_ctx *c = new_ctx(test, SA_T_UDP);

	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	sk_ep4(&c->src_to, 203, 0, 113, 77, 61000);
	c->media_port[0] = 1200;
	c->media_port[1] = 60000;
	expect_rewrite(test, &in, c, &want);
}

/*
 * Deterministic mutations of a message (every byte replaced by each of a
 * set of delimiters, every byte deleted), each in an exact-size buffer:
 * frame, parse and plan must stay inside the buffer (KASAN), free of
 * undefined behaviour (UBSAN), and any plan must keep its promises.
 */
static void core_mutations(struct kunit *test)
{
	static const char subst[] = { ':', ';', ',', ' ', '\r', '\n', '\0', '[',
				      ']', '"', '<', '>', '/', '=', '0', '9' };
	struct sk_buf b = sk_msg(test, INVITE_HDRS("TCP", "10.0.0.2", "5060"),
				 "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\n"
				 "c=IN IP4 10.0.0.2\r\nt=0 0\r\n"
				 "m=audio 49170 RTP/AVP 0\r\na=rtcp:49171\r\n"
				 "m=video 51372/2 RTP/AVP 31\r\n");
	struct sa_msg *m = new_msg(test);
	struct sa_plan *p = new_plan(test);
	struct sa_ctx *c = new_ctx(test, SA_T_TCP);
	unsigned int pos, k, runs = 0, parsed = 0;
	enum sa_reason why;
	size_t mlen, olen;
	u8 *buf;

	sk_ep4(&c->src_from, 10, 0, 0, 2, 5060);
	sk_ep4(&c->src_to, 203, 0, 113, 77, 61000);
	c->media_port[0] = 40000;
	c->policy = SA_POL_FORCE_RPORT;
	for (pos = 0; pos < b.len; pos++) {
		for (k = 0; k <= ARRAY_SIZE(subst); k++) {
			size_t len = k < ARRAY_SIZE(subst) ? b.len : b.len - 1;

			buf = kmalloc(len, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, buf);
			if (k < ARRAY_SIZE(subst)) {
				memcpy(buf, b.data, len);
				buf[pos] = subst[k];
			} else {	/* delete the byte at pos */
				memcpy(buf, b.data, pos);
				memcpy(buf + pos, b.data + pos + 1, len - pos);
			}
			mlen = 0;
			sa_frame(buf, len, SA_T_TCP, &mlen, &why);
			sa_frame(buf, len, SA_T_UDP, &mlen, &why);
			if (sa_parse(buf, len, SA_T_TCP, m) == SA_R_OK) {
				parsed++;
				memset(p, 0, sizeof(*p));
				if (sa_plan(buf, m, c, p) == SA_R_OK)
					sk_apply(test, buf, len, p, &olen);
				else
					KUNIT_EXPECT_EQ(test, p->n, 0);
			}
			sa_parse(buf, len, SA_T_UDP, m);
			kfree(buf);
			runs++;
		}
		if (test->status == KUNIT_FAILURE)
			break;
	}
	kunit_info(test, "%u mutants, %u parsed", runs, parsed);
	KUNIT_EXPECT_GT(test, parsed, 0U);
}

static struct kunit_case sipalg_core_cases[] = {
	KUNIT_CASE(core_frame_udp),
	KUNIT_CASE(core_frame_tcp_several),
	KUNIT_CASE(core_frame_tcp_partial),
	KUNIT_CASE(core_frame_keepalive),
	KUNIT_CASE(core_frame_tcp_no_clen),
	KUNIT_CASE(core_frame_clen_overflow),
	KUNIT_CASE(core_parse_invite),
	KUNIT_CASE(core_parse_prefixes),
	KUNIT_CASE(core_parse_bad_clen),
	KUNIT_CASE(core_plan_grow),
	KUNIT_CASE(core_plan_shrink),
	KUNIT_CASE(core_plan_identity),
	KUNIT_CASE(core_plan_tcp_segment),
	KUNIT_CASE(core_plan_force_rport),
	KUNIT_CASE(core_plan_response),
	KUNIT_CASE(core_plan_media_port_rtcp),
	KUNIT_CASE(core_mutations),
	{}
};

static struct kunit_suite sipalg_core_suite = {
	.name = "sipalg_core",
	.test_cases = sipalg_core_cases,
};

kunit_test_suite(sipalg_core_suite);
