// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: the rewrite planner. Given a parsed message and the NAT mapping
 * of the direction it travels, list the edits (sorted, not overlapping)
 * that make every address field we own match the mapping. The exact rule
 * for each field is documented in sipcore.h above sa_plan().
 */
#include "sa_util.h"

/*
 * The longest text one edit writes: "[IPv6]:port" (1 + 39 + 1 + 1 + 5),
 * or 10 digits.
 */
#define SA_EDIT_MAXTEXT	48

/*
 * Every text is formatted where it goes: at the end of plan->text when the
 * longest text fits there (sa_edit() then copies nothing), else into tmp
 * (SA_EDIT_MAXTEXT bytes) for sa_edit() to copy or refuse. Never format
 * once and copy many times: a copy that loads bytes stored one at a time
 * just before waits for them (no store-to-load forwarding), which costs
 * more than formatting again.
 */
static inline char *sa_text(struct sa_plan *p, char *tmp)
{
	if (p->text_used + SA_EDIT_MAXTEXT <= SA_EDIT_TEXT)
		return p->text + p->text_used;
	return tmp;
}

static void sa_edit(struct sa_plan *p, u32 off, u32 len,
		    const char *t, u32 n)
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
	if (t != p->text + p->text_used)
		memcpy(p->text + p->text_used, t, n);
	p->text_used += n;
	p->delta += (s32)n - (s32)len;
}

/* an address as written in a URI or Via: IPv6 in brackets */
static size_t sa_fmt_host(const struct sa_ip *ip, char *buf, bool bracket)
{
	size_t n;

	if (ip->family != 6 || !bracket)
		return sa_ip_str(ip, buf);
	buf[0] = '[';
	n = 1 + sa_ip_str(ip, buf + 1);
	buf[n++] = ']';
	return n;
}

/* the decimal digits of v as an edit replacing m[off..off+len) */
static void sa_edit_uint(struct sa_plan *p, u32 off, u32 len,
			 u32 v)
{
	char tmp[SA_EDIT_MAXTEXT], *buf = sa_text(p, tmp);

	sa_edit(p, off, len, buf, sa_fmt_uint(v, buf));
}

/*
 * When hp is exactly from (IP, and port with an absent port counting as
 * hp->def_port), write to->ip and the port newport (0: keep the port).
 * Returns true on a match. An IP-only match sets ip_flag in plan->ip_only.
 */
static bool sa_map_hp(struct sa_plan *p, const struct sa_hostport *hp,
		      const struct sa_ep *from, const struct sa_ep *to,
		      u16 newport, u16 ip_flag)
{
	u16 cur = sa_hp_port(hp);
	char tmp[SA_EDIT_MAXTEXT], *buf;
	bool ipchg, portchg;
	size_t n = 0;

	if (!hp->host.len || !sa_ip_eq(&hp->ep.ip, &from->ip))
		return false;
	if (cur != from->port) {
		p->ip_only |= ip_flag;
		return false;
	}
	if (!to->ip.family)
		return true;
	ipchg = !sa_ip_eq(&hp->ep.ip, &to->ip);
	portchg = newport && newport != cur;
	buf = sa_text(p, tmp);
	if (ipchg)
		n = sa_fmt_host(&to->ip, buf, true);
	if (ipchg && !portchg) {
		sa_edit(p, hp->host.off, hp->host.len, buf, n);
	} else if (ipchg) {
		u32 end = hp->port.len ? hp->port.off + hp->port.len :
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
static void sa_map_either(struct sa_plan *p, const struct sa_ctx *c,
			  const struct sa_hostport *hp, u16 ip_flag)
{
	/* only an IP literal can match (the ctx IPs are literals or none) */
	if (!hp->ep.ip.family)
		return;
	if (!sa_map_hp(p, hp, &c->src_from, &c->src_to, c->src_to.port,
		       ip_flag))
		sa_map_hp(p, hp, &c->dst_from, &c->dst_to, c->dst_to.port,
			  ip_flag);
}

/* an SDP address (IP only) and its addrtype token */
static void sa_map_sdp_addr(struct sa_plan *p, const struct sa_ctx *c,
			    const struct sa_span *addr, const struct sa_ip *ip,
			    const struct sa_span *atype)
{
	char tmp[SA_EDIT_MAXTEXT], *buf;

	if (!addr->len || !sa_ip_eq(ip, &c->src_from.ip) ||
	    !c->src_to.ip.family || sa_ip_eq(ip, &c->src_to.ip))
		return;
	if (c->src_to.ip.family != ip->family)
		sa_edit(p, atype->off, atype->len,
			c->src_to.ip.family == 4 ? "IP4" : "IP6", 3);
	buf = sa_text(p, tmp);
	sa_edit(p, addr->off, addr->len, buf, sa_ip_str(&c->src_to.ip, buf));
}

static void sa_plan_via(struct sa_plan *p, const struct sa_ctx *c,
			const u8 *msg, const struct sa_msg *m)
{
	const struct sa_via *v = &m->top_via;
	const struct sa_ip *seen;
	char tmp[SA_EDIT_MAXTEXT], *buf;
	size_t n;

	if (m->is_request) {
		sa_map_hp(p, &v->sent_by, &c->src_from, &c->src_to,
			  c->src_to.port, SA_IPONLY_VIA);
		if ((c->policy & SA_POL_FORCE_RPORT) && !v->has_rport)
			sa_edit(p, v->params_end, 0, ";rport", 6);
		return;
	}
	sa_map_hp(p, &v->sent_by, &c->dst_from, &c->dst_to,
		  c->via_port_restore ? c->via_port_restore : c->dst_to.port,
		  SA_IPONLY_VIA);
	if (!c->dst_to.ip.family)
		return;
	/* received= alone, or with the rport= the server saw: one endpoint */
	if (v->received.len && sa_ip_eq(&v->received_ip, &c->dst_from.ip) &&
	    (!v->rport.len || v->rport_val == c->dst_from.port) &&
	    !sa_ip_eq(&v->received_ip, &c->dst_to.ip)) {
		buf = sa_text(p, tmp);
		n = sa_fmt_host(&c->dst_to.ip, buf,
				msg[v->received.off] == '[');
		sa_edit(p, v->received.off, v->received.len, buf, n);
	}
	seen = v->received.len ? &v->received_ip : &v->sent_by.ep.ip;
	if (v->rport.len && v->rport_val == c->dst_from.port &&
	    sa_ip_eq(seen, &c->dst_from.ip) && c->dst_to.port &&
	    c->dst_to.port != v->rport_val)
		sa_edit_uint(p, v->rport.off, v->rport.len, c->dst_to.port);
}

static void sa_plan_sdp(struct sa_plan *p, const struct sa_ctx *c,
			const struct sa_msg *m)
{
	const struct sa_sdp *s = &m->sdp;
	unsigned int i;

	sa_map_sdp_addr(p, c, &s->o_addr, &s->o_ip, &s->o_atype);
	sa_map_sdp_addr(p, c, &s->c_addr, &s->c_ip, &s->c_atype);
	for (i = 0; i < s->n_media; i++) {
		const struct sa_media *md = &s->media[i];
		u16 np = c->media_port[i];

		sa_map_sdp_addr(p, c, &md->c_addr, &md->c_ip, &md->c_atype);
		if (np && md->rtp_port && np != md->rtp_port) {
			sa_edit_uint(p, md->port.off, md->port.len, np);
			if (md->rtcp_explicit) {
				s32 rp = c->rtcp_port[i];

				if (!rp)
					rp = (s32)np + md->rtcp_port -
					     md->rtp_port;
				if (rp < 1 || rp > 65535) {
					p->reason = SA_R_BAD_SDP;
					return;
				}
				if (rp != md->rtcp_port)
					sa_edit_uint(p, md->rtcp_port_span.off,
						     md->rtcp_port_span.len,
						     rp);
			}
		}
		sa_map_sdp_addr(p, c, &md->rtcp_addr_span, &md->rtcp_addr,
				&md->rtcp_atype);
	}
}

/* a Content-Length value rewritten to v */
static void sa_set_number(struct sa_plan *p, const struct sa_span *sp,
			  s32 v)
{
	if (v < 0 || v > SA_MAX_MSG) {
		if (!p->reason)
			p->reason = SA_R_TOO_BIG;
		return;
	}
	sa_edit_uint(p, sp->off, sp->len, v);
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

enum sa_reason sa_plan(const u8 *msg, const struct sa_msg *m,
		       const struct sa_ctx *c, struct sa_plan *p)
{
	s32 hdr_delta;
	unsigned int i;

	p->reason = SA_R_OK;
	p->n = 0;
	p->text_used = 0;
	p->delta = 0;
	p->ip_only = 0;

	/* headers first: p->delta counts every edit as it is added */
	if (m->is_request)
		sa_map_hp(p, &m->ruri, &c->dst_from, &c->dst_to,
			  c->dst_to.port, SA_IPONLY_RURI);
	sa_plan_via(p, c, msg, m);
	for (i = 0; i < m->n_contact; i++)
		if (!m->contact[i].star)
			sa_map_either(p, c, &m->contact[i].hp,
				      SA_IPONLY_CONTACT);
	for (i = 0; i < m->n_rr; i++)
		sa_map_either(p, c, &m->record_route[i], SA_IPONLY_ROUTE);
	for (i = 0; i < m->n_route; i++)
		sa_map_either(p, c, &m->route[i], SA_IPONLY_ROUTE);
	sa_map_either(p, c, &m->from, SA_IPONLY_FROM_TO);
	sa_map_either(p, c, &m->to, SA_IPONLY_FROM_TO);
	hdr_delta = p->delta;
	/* then the body: what changes its size is p->delta - hdr_delta */
	if (m->sdp.present)
		sa_plan_sdp(p, c, m);

	if (!p->reason && p->delta != hdr_delta) {
		/*
		 * Innermost first: each Content-Length counts the edits of
		 * the ones inside it too.
		 */
		if (m->sdp.part_clen.len)
			sa_set_number(p, &m->sdp.part_clen,
				      (s32)m->sdp.part_clen_val +
				      p->delta - hdr_delta);
		for (i = 0; i + 1 < m->sdp.mp_depth && i < SA_MAX_MP_DEPTH - 1; i++) {
			const struct sa_span *cl = &m->sdp.outer_clen[i];

			if (cl->len)
				sa_set_number(p, cl,
					      (s32)m->sdp.outer_clen_val[i] +
					      p->delta - hdr_delta);
		}
		if (m->has_clen)
			sa_set_number(p, &m->clen, (s32)m->clen_val +
				      p->delta - hdr_delta);
	}
	if (!p->reason) {
		sa_sort(p);
		if ((s32)m->hdr_len + (s32)m->body.len + p->delta >
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

size_t sa_apply(const u8 *msg, size_t len, const struct sa_plan *p,
		u8 *out, size_t cap)
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
