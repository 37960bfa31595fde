// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: the rewrite planner. Given a parsed message and the NAT mapping
 * of the direction it travels, list the edits (sorted, not overlapping)
 * that make every address field we own match the mapping. The exact rule
 * for each field is documented in sipcore.h above sa_plan().
 */
#include "sa_util.h"

static void sa_edit(struct sa_plan *p, uint32_t off, uint32_t len,
		    const char *t, uint32_t n)
{
	struct sa_edit *e;

	if (p->reason)
		return;
	if (p->n >= SA_MAX_EDITS || p->text_used + n > SA_EDIT_TEXT) {
		p->reason = SA_R_TOO_MANY;
		return;
	}
	e = &p->e[p->n++];
	e->off = off;
	e->len = len;
	e->text_off = p->text_used;
	e->text_len = n;
	memcpy(p->text + p->text_used, t, n);
	p->text_used += n;
}

/*
 * The text of the two "to" addresses, formatted once per plan: every
 * edit writes one of them.
 */
struct sa_totext {
	const struct sa_ctx *c;
	char src[40], dst[40];
	uint8_t src_len, dst_len;
};

/* formatted on first use: 0xff = not yet */
static void sa_totext_init(struct sa_totext *tt, const struct sa_ctx *c)
{
	tt->c = c;
	tt->src_len = 0xff;
	tt->dst_len = 0xff;
}

static const char *sa_totext_src(struct sa_totext *tt)
{
	if (tt->src_len == 0xff)
		tt->src_len = sa_ip_str(&tt->c->src_to.ip, tt->src);
	return tt->src;
}

static const char *sa_totext_dst(struct sa_totext *tt)
{
	if (tt->dst_len == 0xff)
		tt->dst_len = sa_ip_str(&tt->c->dst_to.ip, tt->dst);
	return tt->dst;
}

/* an address as written in a URI or Via: IPv6 in brackets */
static size_t sa_fmt_host(struct sa_totext *tt, const struct sa_ip *ip,
			  char *buf, bool bracket)
{
	size_t n = 0, l;
	const char *t;

	if (ip == &tt->c->src_to.ip) {
		t = sa_totext_src(tt);
		l = tt->src_len;
	} else if (ip == &tt->c->dst_to.ip) {
		t = sa_totext_dst(tt);
		l = tt->dst_len;
	} else {
		t = NULL;
		l = 0;
	}
	if (ip->family == 6 && bracket)
		buf[n++] = '[';
	if (t)
		memcpy(buf + n, t, l);
	else
		l = sa_ip_str(ip, buf + n);
	n += l;
	if (ip->family == 6 && bracket)
		buf[n++] = ']';
	return n;
}

/*
 * When hp is exactly from (IP, and port with an absent port counting as
 * hp->def_port), write to->ip and the port newport (0: keep the port).
 * Returns true on a match. An IP-only match sets ip_flag in plan->ip_only.
 */
static bool sa_map_hp(struct sa_plan *p, struct sa_totext *tt,
		      const struct sa_hostport *hp,
		      const struct sa_ep *from, const struct sa_ep *to,
		      uint16_t newport, uint16_t ip_flag)
{
	uint16_t cur = hp->ep.port ? hp->ep.port : hp->def_port;
	bool ipchg, portchg;
	char buf[64];
	size_t n = 0;

	if (!hp->host.len || !sa_ip_same(&hp->ep.ip, &from->ip))
		return false;
	if (cur != from->port) {
		p->ip_only |= ip_flag;
		return false;
	}
	if (!to->ip.family)
		return true;
	ipchg = !sa_ip_same(&hp->ep.ip, &to->ip);
	portchg = newport && newport != cur;
	if (ipchg)
		n = sa_fmt_host(tt, &to->ip, buf, true);
	if (ipchg && !portchg) {
		sa_edit(p, hp->host.off, hp->host.len, buf, n);
	} else if (ipchg) {
		uint32_t end = hp->port.len ? hp->port.off + hp->port.len :
					      hp->host.off + hp->host.len;

		buf[n++] = ':';
		n += sa_fmt_uint(newport, buf + n);
		sa_edit(p, hp->host.off, end - hp->host.off, buf, n);
	} else if (portchg) {
		if (hp->port.len) {
			n = sa_fmt_uint(newport, buf);
			sa_edit(p, hp->port.off, hp->port.len, buf, n);
		} else {
			buf[0] = ':';
			n = 1 + sa_fmt_uint(newport, buf + 1);
			sa_edit(p, hp->host.off + hp->host.len, 0, buf, n);
		}
	}
	return true;
}

/* fields that belong to either side: src mapping first, then dst */
static void sa_map_either(struct sa_plan *p, struct sa_totext *tt,
			  const struct sa_hostport *hp, uint16_t ip_flag)
{
	const struct sa_ctx *c = tt->c;

	if (!sa_map_hp(p, tt, hp, &c->src_from, &c->src_to, c->src_to.port,
		       ip_flag))
		sa_map_hp(p, tt, hp, &c->dst_from, &c->dst_to, c->dst_to.port,
			  ip_flag);
}

/* an SDP address (IP only) and its addrtype token */
static void sa_map_sdp_addr(struct sa_plan *p, struct sa_totext *tt,
			    const struct sa_span *addr, const struct sa_ip *ip,
			    const struct sa_span *atype)
{
	const struct sa_ctx *c = tt->c;

	if (!addr->len || !sa_ip_same(ip, &c->src_from.ip) ||
	    !c->src_to.ip.family || sa_ip_same(ip, &c->src_to.ip))
		return;
	if (c->src_to.ip.family != ip->family)
		sa_edit(p, atype->off, atype->len,
			c->src_to.ip.family == 4 ? "IP4" : "IP6", 3);
	sa_totext_src(tt);
	sa_edit(p, addr->off, addr->len, tt->src, tt->src_len);
}

static void sa_plan_via(struct sa_plan *p, struct sa_totext *tt,
			const uint8_t *msg, const struct sa_msg *m)
{
	const struct sa_ctx *c = tt->c;
	const struct sa_via *v = &m->top_via;
	const struct sa_ip *seen;
	char buf[48];
	size_t n;

	if (m->is_request) {
		sa_map_hp(p, tt, &v->sent_by, &c->src_from, &c->src_to,
			  c->src_to.port, SA_IPONLY_VIA);
		if ((c->policy & SA_POL_FORCE_RPORT) && !v->has_rport)
			sa_edit(p, v->params_end, 0, ";rport", 6);
		return;
	}
	sa_map_hp(p, tt, &v->sent_by, &c->dst_from, &c->dst_to,
		  c->via_port_restore ? c->via_port_restore : c->dst_to.port,
		  SA_IPONLY_VIA);
	if (!c->dst_to.ip.family)
		return;
	/* received= alone, or with the rport= the server saw: one endpoint */
	if (v->received.len && sa_ip_same(&v->received_ip, &c->dst_from.ip) &&
	    (!v->rport.len || v->rport_val == c->dst_from.port) &&
	    !sa_ip_same(&v->received_ip, &c->dst_to.ip)) {
		n = sa_fmt_host(tt, &c->dst_to.ip, buf,
				msg[v->received.off] == '[');
		sa_edit(p, v->received.off, v->received.len, buf, n);
	}
	seen = v->received.len ? &v->received_ip : &v->sent_by.ep.ip;
	if (v->rport.len && v->rport_val == c->dst_from.port &&
	    sa_ip_same(seen, &c->dst_from.ip) && c->dst_to.port &&
	    c->dst_to.port != v->rport_val) {
		n = sa_fmt_uint(c->dst_to.port, buf);
		sa_edit(p, v->rport.off, v->rport.len, buf, n);
	}
}

static void sa_plan_sdp(struct sa_plan *p, struct sa_totext *tt,
			const struct sa_msg *m)
{
	const struct sa_ctx *c = tt->c;
	const struct sa_sdp *s = &m->sdp;
	char buf[8];
	unsigned int i;
	size_t n;

	sa_map_sdp_addr(p, tt, &s->o_addr, &s->o_ip, &s->o_atype);
	sa_map_sdp_addr(p, tt, &s->c_addr, &s->c_ip, &s->c_atype);
	for (i = 0; i < s->n_media; i++) {
		const struct sa_media *md = &s->media[i];
		uint16_t np = c->media_port[i];

		sa_map_sdp_addr(p, tt, &md->c_addr, &md->c_ip, &md->c_atype);
		if (np && md->rtp_port && np != md->rtp_port) {
			n = sa_fmt_uint(np, buf);
			sa_edit(p, md->port.off, md->port.len, buf, n);
			if (md->rtcp_explicit) {
				int32_t rp = c->rtcp_port[i];

				if (!rp)
					rp = (int32_t)np + md->rtcp_port -
					     md->rtp_port;
				if (rp < 1 || rp > 65535) {
					p->reason = SA_R_BAD_SDP;
					return;
				}
				if (rp != md->rtcp_port) {
					n = sa_fmt_uint(rp, buf);
					sa_edit(p, md->rtcp_port_span.off,
						md->rtcp_port_span.len, buf, n);
				}
			}
		}
		sa_map_sdp_addr(p, tt, &md->rtcp_addr_span, &md->rtcp_addr,
				&md->rtcp_atype);
	}
}

static int32_t sa_delta_from(const struct sa_plan *p, uint32_t from)
{
	int32_t d = 0;
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].off >= from)
			d += (int32_t)p->e[i].text_len - (int32_t)p->e[i].len;
	return d;
}

static void sa_set_number(struct sa_plan *p, const struct sa_span *sp,
			  int32_t v)
{
	char buf[12];
	size_t n;

	if (v < 0 || v > SA_MAX_MSG) {
		if (!p->reason)
			p->reason = SA_R_TOO_BIG;
		return;
	}
	n = sa_fmt_uint(v, buf);
	sa_edit(p, sp->off, sp->len, buf, n);
}

static void sa_sort(struct sa_plan *p)
{
	unsigned int i, j;
	struct sa_edit t;

	/* stable: insertions at one offset keep the order they were added */
	for (i = 1; i < p->n; i++) {
		t = p->e[i];
		for (j = i; j > 0 && p->e[j - 1].off > t.off; j--)
			p->e[j] = p->e[j - 1];
		p->e[j] = t;
	}
	for (i = 1; i < p->n; i++)
		if (p->e[i - 1].off + p->e[i - 1].len > p->e[i].off)
			p->reason = SA_R_CONFLICT;
}

enum sa_reason sa_plan(const uint8_t *msg, const struct sa_msg *m,
		       const struct sa_ctx *c, struct sa_plan *p)
{
	struct sa_totext tt;
	int32_t body_delta;
	unsigned int i;

	p->reason = SA_R_OK;
	p->n = 0;
	p->text_used = 0;
	p->delta = 0;
	p->ip_only = 0;
	sa_totext_init(&tt, c);

	if (m->is_request)
		sa_map_hp(p, &tt, &m->ruri, &c->dst_from, &c->dst_to,
			  c->dst_to.port, SA_IPONLY_RURI);
	sa_plan_via(p, &tt, msg, m);
	for (i = 0; i < m->n_contact; i++)
		if (!m->contact[i].star)
			sa_map_either(p, &tt, &m->contact[i].hp,
				      SA_IPONLY_CONTACT);
	for (i = 0; i < m->n_rr; i++)
		sa_map_either(p, &tt, &m->record_route[i], SA_IPONLY_ROUTE);
	for (i = 0; i < m->n_route; i++)
		sa_map_either(p, &tt, &m->route[i], SA_IPONLY_ROUTE);
	sa_map_either(p, &tt, &m->from, SA_IPONLY_FROM_TO);
	sa_map_either(p, &tt, &m->to, SA_IPONLY_FROM_TO);
	if (m->sdp.present)
		sa_plan_sdp(p, &tt, m);

	if (!p->reason) {
		body_delta = sa_delta_from(p, m->hdr_len);
		if (body_delta && m->sdp.part_clen.len) {
			sa_set_number(p, &m->sdp.part_clen,
				      (int32_t)m->sdp.part_clen_val +
				      body_delta);
			body_delta = sa_delta_from(p, m->hdr_len);
		}
		if (body_delta && m->has_clen)
			sa_set_number(p, &m->clen,
				      (int32_t)m->clen_val + body_delta);
	}
	if (!p->reason) {
		sa_sort(p);
		p->delta = sa_delta_from(p, 0);
		if ((int32_t)m->hdr_len + (int32_t)m->body.len + p->delta >
		    SA_MAX_MSG)
			p->reason = SA_R_TOO_BIG;
	}
	if (p->reason) {
		p->n = 0;
		p->text_used = 0;
		p->delta = 0;
	}
	return p->reason;
}

size_t sa_apply(const uint8_t *msg, size_t len, const struct sa_plan *p,
		uint8_t *out, size_t cap)
{
	long nl = (long)len + p->delta;
	size_t in = 0, o = 0;
	unsigned int i;

	if (nl <= 0 || (size_t)nl > cap)
		return 0;
	for (i = 0; i < p->n; i++) {
		const struct sa_edit *e = &p->e[i];

		if (e->off < in || e->off + e->len > len ||
		    o + (e->off - in) + e->text_len > cap ||
		    e->text_off + e->text_len > p->text_used)
			return 0;
		memcpy(out + o, msg + in, e->off - in);
		o += e->off - in;
		memcpy(out + o, p->text + e->text_off, e->text_len);
		o += e->text_len;
		in = e->off + e->len;
	}
	if (o + (len - in) > cap)
		return 0;
	memcpy(out + o, msg + in, len - in);
	return o + len - in;
}
