// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the sipcore: frame the input as a UDP datagram and
 * as a TCP stream, parse every message, plan and apply a rewrite with two
 * mappings (one derived from the message's own addresses, one fixed), and
 * abort on any broken invariant:
 *   - edits sorted, disjoint, inside the message; a refusal has no edit;
 *   - the output is len + delta long, parses again, with a Content-Length
 *     equal to its body, and the same number of Vias/Contacts/media;
 *   - planning the output again with the same mapping changes nothing.
 * ASan/UBSan catch every out-of-bounds read and undefined operation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sipcore.h"

static struct sa_msg m, m2;
static struct sa_plan p, p2;
static uint8_t out[SA_MAX_MSG + 8192];

#define CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "invariant failed: %s (line %d)\n", #c, \
			__LINE__); \
		abort(); \
	} \
} while (0)

static void ep(struct sa_ep *e, const char *ip, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	CHECK(sa_ip_from_str(ip, strlen(ip), &e->ip));
	e->port = port;
}

static bool ep_of(const struct sa_hostport *hp, struct sa_ep *e)
{
	if (!hp->host.len || !hp->ep.ip.family)
		return false;
	e->ip = hp->ep.ip;
	e->port = sa_hp_port(hp);
	return true;
}

static bool ep_eq(const struct sa_ep *a, const struct sa_ep *b)
{
	return sa_ip_eq(&a->ip, &b->ip) && a->port == b->port;
}

static void derive(const struct sa_msg *msg, enum sa_transport t,
		   struct sa_ctx *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->transport = t;
	c->policy = SA_POL_FORCE_RPORT;
	ep(&c->src_from, "192.0.2.250", 1);
	c->src_to = c->src_from;
	ep(&c->dst_from, "192.0.2.251", 1);
	c->dst_to = c->dst_from;
	if ((msg->is_request && ep_of(&msg->top_via.sent_by, &c->src_from)) ||
	    (msg->n_contact && ep_of(&msg->contact[0].hp, &c->src_from)))
		ep(&c->src_to, c->src_from.ip.family == 6 ?
		   "2001:db8:77::77" : "203.0.113.77", 40000);
	if (ep_of(msg->is_request ? &msg->ruri : &msg->top_via.sent_by,
		  &c->dst_from) && !ep_eq(&c->dst_from, &c->src_from))
		ep(&c->dst_to, c->dst_from.ip.family == 6 ?
		   "2001:db8:222::2" : "192.0.2.222", 5070);
	else
		c->dst_to = c->dst_from;
	for (i = 0; i < msg->sdp.n_media; i++)
		if (msg->sdp.media[i].rtp_port &&
		    msg->sdp.media[i].rtp_port < 60000)
			c->media_port[i] = msg->sdp.media[i].rtp_port + 4000;
	c->via_port_restore = msg->is_request ? 0 : 5062;
}

static void fixed(enum sa_transport t, bool reply, struct sa_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->transport = t;
	if (!reply) {
		ep(&c->src_from, "10.0.0.2", 5060);
		ep(&c->src_to, "198.51.100.1", 40000);
		ep(&c->dst_from, "198.51.100.2", 5060);
		ep(&c->dst_to, "198.51.100.2", 5060);
		c->policy = SA_POL_FORCE_RPORT;
		c->media_port[0] = 40002;
		c->media_port[1] = 40004;
		c->rtcp_port[1] = 40009;
	} else {
		ep(&c->src_from, "198.51.100.2", 5060);
		ep(&c->src_to, "198.51.100.2", 5060);
		ep(&c->dst_from, "198.51.100.1", 40000);
		ep(&c->dst_to, "10.0.0.2", 5060);
	}
}

static void one_ctx(const uint8_t *msg, size_t len, enum sa_transport t,
		    const struct sa_ctx *c)
{
	enum sa_reason r;
	size_t olen;
	unsigned int i;

	r = sa_plan(msg, &m, c, &p);
	CHECK(r < SA_R_MAX);
	if (r != SA_R_OK) {
		CHECK(p.n == 0 && p.delta == 0);
		return;
	}
	for (i = 0; i < p.n; i++) {
		CHECK(p.e[i].off + p.e[i].len <= len);
		CHECK(p.e[i].text_off + p.e[i].text_len <= p.text_used);
		if (i)
			CHECK(p.e[i - 1].off + p.e[i - 1].len <= p.e[i].off);
	}
	olen = sa_apply(msg, len, &p, out, sizeof(out));
	CHECK(olen == (size_t)((long)len + p.delta));
	if (!p.n)
		return;
	CHECK(sa_parse(out, olen, t, &m2) == SA_R_OK);
	CHECK(!m2.has_clen || m2.clen_val == m2.body.len);
	CHECK(m2.n_via == m.n_via && m2.n_contact == m.n_contact &&
	      m2.n_rr == m.n_rr && m2.n_route == m.n_route &&
	      m2.sdp.n_media == m.sdp.n_media);
	/* a mapping whose "to" side is another's "from" is not idempotent */
	if (ep_eq(&c->src_to, &c->dst_from) || ep_eq(&c->dst_to, &c->src_from) ||
	    sa_ip_eq(&c->src_to.ip, &c->src_from.ip))
		return;
	CHECK(sa_plan(out, &m2, c, &p2) == SA_R_OK);
	CHECK(p2.n == 0);
}

static void one_msg(const uint8_t *msg, size_t len, enum sa_transport t)
{
	struct sa_ctx c;
	enum sa_reason r;

	r = sa_parse(msg, len, t, &m);
	CHECK(r < SA_R_MAX && sa_reason_str(r));
	if (r != SA_R_OK)
		return;
	CHECK(m.hdr_len <= len && m.body.off + m.body.len == len);
	CHECK(m.n_contact <= SA_MAX_CONTACTS && m.sdp.n_media <= SA_MAX_MEDIA);
	derive(&m, t, &c);
	one_ctx(msg, len, t, &c);
	fixed(t, false, &c);
	one_ctx(msg, len, t, &c);
	fixed(t, true, &c);
	one_ctx(msg, len, t, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sa_frame_result fr;
	enum sa_reason why;
	size_t off = 0, n;

	fr = sa_frame(data, size, SA_T_UDP, &n, &why);
	if (fr == SA_FRAME_MSG) {
		CHECK(n == size);
		one_msg(data, size, SA_T_UDP);
	}
	/* the same bytes as a TCP stream */
	while (off < size) {
		fr = sa_frame(data + off, size - off, SA_T_TCP, &n, &why);
		if (fr == SA_FRAME_NEED_MORE || fr == SA_FRAME_ERROR)
			break;
		CHECK(n > 0 && n <= size - off);
		if (fr == SA_FRAME_MSG) {
			/* a framed message is complete: it never needs more */
			CHECK(sa_parse(data + off, n, SA_T_TCP, &m) !=
			      SA_R_TRUNCATED);
			one_msg(data + off, n, SA_T_TCP);
		}
		off += n;
	}
	return 0;
}
