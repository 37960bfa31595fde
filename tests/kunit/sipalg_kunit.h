/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by sipalg's KUnit suites: SIP messages in exact-size
 * kmalloc'ed buffers (so KASAN reports a read one byte past the end), and
 * an independent application of a struct sa_plan that checks the plan's
 * promises (sorted, not overlapping, inside the message, delta right).
 */
#ifndef SIPALG_KUNIT_H
#define SIPALG_KUNIT_H

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kernel.h>

#include "sipcore.h"

/* messages shared by the suites; the expected rewrites use them too */
/* An INVITE from a phone at IP:PORT over TRANSPORT, with its SDP offer. */
#define INVITE_HDRS(transport, ip, port)				\
	"INVITE sip:bob@example.com SIP/2.0\r\n"			\
	"Via: SIP/2.0/" transport " " ip ":" port			\
		";branch=z9hG4bK776asdhds\r\n"				\
	"Max-Forwards: 70\r\n"						\
	"To: Bob <sip:bob@example.com>\r\n"				\
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"	\
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"			\
	"CSeq: 314159 INVITE\r\n"					\
	"Contact: <sip:alice@" ip ":" port ">\r\n"			\
	"Content-Type: application/sdp\r\n"

#define SDP_BODY_AT(atype, ip, mport)					\
	"v=0\r\n"							\
	"o=alice 2890844526 2890844526 IN " atype " " ip "\r\n"		\
	"s=-\r\n"							\
	"c=IN " atype " " ip "\r\n"					\
	"t=0 0\r\n"							\
	"m=audio " mport " RTP/AVP 0\r\n"				\
	"a=rtpmap:0 PCMU/8000\r\n"

#define SDP_BODY(ip, mport)	SDP_BODY_AT("IP4", ip, mport)

/* A BYE without a body, and an OPTIONS, to share a TCP stream with it. */
#define BYE_HDRS(ip, port)						\
	"BYE sip:bob@198.51.100.10:5060 SIP/2.0\r\n"			\
	"Via: SIP/2.0/TCP " ip ":" port ";branch=z9hG4bKnashds7\r\n"	\
	"Max-Forwards: 70\r\n"						\
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"			\
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"	\
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"			\
	"CSeq: 314160 BYE\r\n"

#define OPTIONS_HDRS(ip, port)						\
	"OPTIONS sip:carol@example.com SIP/2.0\r\n"			\
	"Via: SIP/2.0/TCP " ip ":" port ";branch=z9hG4bKhjhs8ass877\r\n" \
	"Max-Forwards: 70\r\n"						\
	"To: <sip:carol@example.com>\r\n"				\
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"	\
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"			\
	"CSeq: 63104 OPTIONS\r\n"					\
	"Contact: <sip:alice@" ip ":" port ";transport=tcp>\r\n"	\
	"Accept: application/sdp\r\n"

struct sk_buf {
	u8 *data;	/* exactly len bytes, no terminator */
	size_t len;
	char *str;	/* the same bytes NUL-terminated, for messages */
};

/* copy len bytes into a buffer of exactly that size (at least 1 byte) */
static inline u8 *sk_exact(struct kunit *test, const void *src, size_t len)
{
	u8 *p = kunit_kmalloc(test, len ? len : 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, src, len);
	return p;
}

/*
 * A SIP message from its header lines (each ending in CRLF, without
 * Content-Length) and its body: adds "Content-Length: <body length>" and the
 * blank line. Returns it in an exact-size buffer.
 */
static inline struct sk_buf sk_msg(struct kunit *test, const char *hdrs,
				   const char *body)
{
	struct sk_buf b;
	size_t blen = strlen(body);
	int n;
	char *s;

	n = snprintf(NULL, 0, "%sContent-Length: %zu\r\n\r\n%s", hdrs, blen,
		     body);
	s = kunit_kmalloc(test, n + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	snprintf(s, n + 1, "%sContent-Length: %zu\r\n\r\n%s", hdrs, blen, body);
	b.len = n;
	b.data = sk_exact(test, s, b.len);
	b.str = s;
	return b;
}

/* the same, several messages back to back (a TCP stream) */
static inline struct sk_buf sk_concat(struct kunit *test,
				      const struct sk_buf *parts, int n)
{
	struct sk_buf b;
	size_t off = 0;
	int i;

	b.len = 0;
	for (i = 0; i < n; i++)
		b.len += parts[i].len;
	b.str = kunit_kzalloc(test, b.len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.str);
	for (i = 0; i < n; i++) {
		memcpy(b.str + off, parts[i].data, parts[i].len);
		off += parts[i].len;
	}
	b.data = sk_exact(test, b.str, b.len);
	return b;
}

static inline void sk_ep4(struct sa_ep *ep, u8 a, u8 b, u8 c, u8 d, u16 port)
{
	memset(ep, 0, sizeof(*ep));
	ep->ip.family = 4;
	ep->ip.addr[0] = a;
	ep->ip.addr[1] = b;
	ep->ip.addr[2] = c;
	ep->ip.addr[3] = d;
	ep->port = port;
}

static inline void sk_ep6(struct sa_ep *ep, const u8 addr[16], u16 port)
{
	memset(ep, 0, sizeof(*ep));
	ep->ip.family = 6;
	memcpy(ep->ip.addr, addr, 16);
	ep->port = port;
}

/* the span's bytes as a NUL-terminated string, for KUNIT_EXPECT_STREQ */
static inline const char *sk_span(struct kunit *test, const u8 *msg,
				  size_t len, struct sa_span s)
{
	char *p;

	KUNIT_ASSERT_LE(test, (size_t)s.off + s.len, len);
	p = kunit_kzalloc(test, s.len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, msg + s.off, s.len);
	return p;
}

/*
 * Apply plan to msg[0..len) independently of the core, checking on the way
 * that every edit is in order, inside the message and inside the plan's
 * text. Returns the result NUL-terminated (its length in *out_len).
 */
static inline char *sk_apply(struct kunit *test, const u8 *msg, size_t len,
			     const struct sa_plan *p, size_t *out_len)
{
	size_t pos = 0, o = 0, newlen;
	char *out;
	int i;

	KUNIT_ASSERT_LE(test, p->n, SA_MAX_EDITS);
	KUNIT_ASSERT_LE(test, p->text_used, SA_EDIT_TEXT);
	KUNIT_ASSERT_GE(test, (long long)len + p->delta, 0LL);
	newlen = len + p->delta;
	out = kunit_kzalloc(test, newlen + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < p->n; i++) {
		const struct sa_edit *e = &p->e[i];

		KUNIT_ASSERT_GE_MSG(test, (size_t)e->off, pos, "edit %d out of order", i);
		KUNIT_ASSERT_LE_MSG(test, (size_t)e->off + e->len, len,
				    "edit %d past the end", i);
		KUNIT_ASSERT_LE_MSG(test, e->text_off + e->text_len, p->text_used,
				    "edit %d text outside the plan", i);
		KUNIT_ASSERT_LE(test, o + (e->off - pos) + e->text_len, newlen);
		memcpy(out + o, msg + pos, e->off - pos);
		o += e->off - pos;
		memcpy(out + o, p->text + e->text_off, e->text_len);
		o += e->text_len;
		pos = e->off + e->len;
	}
	KUNIT_ASSERT_EQ_MSG(test, o + (len - pos), newlen,
			    "plan delta %d does not match its edits", p->delta);
	memcpy(out + o, msg + pos, len - pos);
	*out_len = newlen;
	return out;
}

#endif /* SIPALG_KUNIT_H */
