// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: message bodies. application/sdp (RFC 4566/8866) directly, or as
 * a part of a multipart body (RFC 2046; nested multiparts looked into up to
 * SA_MAX_MP_DEPTH levels), is parsed into struct sa_sdp: the spans of
 * every address and port the planner may rewrite, and the media endpoints
 * the module opens pinholes for.
 */
#include "sa_util.h"

/* next SP-separated field in m[*p..e); false when none is left */
static inline bool sa_field(const u8 *m, u32 *p, u32 e,
			    struct sa_span *f)
{
	u32 s = *p, q;

	while (s < e && sa_isws(m[s]))
		s++;
	q = s;
	while (q < e && !sa_isws(m[q]))
		q++;
	*p = q;
	*f = sa_mkspan(s, q - s);
	return q > s;
}

/*
 * "<nettype> <addrtype> <address>" at m[*p..e), the tail of o=, c= and
 * a=rtcp:. The address span stops before a "/ttl/n" suffix. The address is
 * parsed when nettype is IN and addrtype IP4/IP6; a name leaves family 0.
 * *p is left inside the address field.
 */
static bool sa_sdp_conn(const u8 *m, u32 *p, u32 e,
			struct sa_span *atype, struct sa_span *addr,
			struct sa_ip *ip)
{
	struct sa_span nt, at;
	u32 s, q, w;
	int kind = 0;	/* 4: IN IP4, 6: IN IP6 */

	memset(ip, 0, sizeof(*ip));
	if (!sa_field(m, p, e, &nt) || !sa_field(m, p, e, &at))
		return false;
	if (nt.len == 2 && sa_ieq(m + nt.off, 2, "in", 2) && at.len == 3) {
		if (sa_ieq(m + at.off, 3, "ip4", 3))
			kind = 4;
		else if (sa_ieq(m + at.off, 3, "ip6", 3))
			kind = 6;
	}
	/* the address field, up to its first '/' */
	s = *p;
	while (s < e && sa_isws(m[s]))
		s++;
	if (kind == 4 && s < e) {
		/* a dotted quad in one pass, when it is all of the address */
		q = s + sa_ip4_prefix(m + s, e - s, &w);
		if (q > s && (q == e || sa_isws(m[q]) || m[q] == '/')) {
			sa_ip4_set(ip, w);
			goto done;
		}
	}
	q = s;
	while (q < e && !sa_isws(m[q]) && m[q] != '/')
		q++;
	if (q == s)
		return false;
	if (kind == 4)
		sa_parse_ip4(m + s, q - s, ip);
	else if (kind == 6)
		sa_parse_ip6(m + s, q - s, ip);
done:
	*p = q;
	*atype = at;
	*addr = sa_mkspan(s, q - s);
	return true;
}

static u8 sa_media_type(const u8 *p, u32 n)
{
	switch (n) {
	case 4:
		return sa_ieq(p, 4, "text", 4) ? SA_MT_TEXT : SA_MT_OTHER;
	case 5:
		if (sa_ieq(p, 5, "audio", 5))
			return SA_MT_AUDIO;
		if (sa_ieq(p, 5, "video", 5))
			return SA_MT_VIDEO;
		return sa_ieq(p, 5, "image", 5) ? SA_MT_IMAGE : SA_MT_OTHER;
	case 7:
		return sa_ieq(p, 7, "message", 7) ? SA_MT_MESSAGE : SA_MT_OTHER;
	case 11:
		return sa_ieq(p, 11, "application", 11) ? SA_MT_APPLICATION :
							  SA_MT_OTHER;
	}
	return SA_MT_OTHER;
}

static int sa_media_dir(const u8 *p, u32 n)
{
	if (n != 8)
		return -1;
	if (sa_eq(p, "sendrecv", 8))
		return SA_MD_SENDRECV;
	if (sa_eq(p, "sendonly", 8))
		return SA_MD_SENDONLY;
	if (sa_eq(p, "recvonly", 8))
		return SA_MD_RECVONLY;
	if (sa_eq(p, "inactive", 8))
		return SA_MD_INACTIVE;
	return -1;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static enum sa_reason sa_sdp_m(const u8 *m, u32 p, u32 e,
			       struct sa_media *md)
{
	struct sa_span f, proto;
	u32 v, n = 1, d;

	sa_zero(md, sizeof(*md));
	if (!sa_field(m, &p, e, &f))
		return SA_R_BAD_SDP;
	md->type = sa_media_type(m + f.off, f.len);
	if (!sa_field(m, &p, e, &f))
		return SA_R_BAD_SDP;
	for (d = 0; d < f.len && m[f.off + d] != '/'; d++)
		;
	if (d < f.len) {
		if (!sa_parse_uint(m + f.off + d + 1, f.len - d - 1, 65535,
				   &n) || !n)
			return SA_R_BAD_SDP;
		f.len = d;
	}
	if (!sa_parse_uint(m + f.off, f.len, 65535, &v))
		return SA_R_BAD_SDP;
	if (!sa_field(m, &p, e, &proto))
		return SA_R_BAD_SDP;
	md->port = f;
	md->rtp_port = v;
	md->nports = n;
	return SA_R_OK;
}

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605) */
static enum sa_reason sa_sdp_rtcp(const u8 *m, u32 p, u32 e,
				  struct sa_media *md)
{
	struct sa_span f;
	u32 v;

	if (md->rtcp_explicit)
		return SA_R_BAD_SDP;
	if (!sa_field(m, &p, e, &f) ||
	    !sa_parse_uint(m + f.off, f.len, 65535, &v) || !v)
		return SA_R_BAD_SDP;
	md->rtcp_explicit = 1;
	md->rtcp_port = v;
	md->rtcp_port_span = f;
	while (p < e && (m[p] == ' ' || m[p] == '\t'))
		p++;
	if (p == e)
		return SA_R_OK;
	if (!sa_sdp_conn(m, &p, e, &md->rtcp_atype, &md->rtcp_addr_span,
			 &md->rtcp_addr))
		return SA_R_BAD_SDP;
	return SA_R_OK;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static enum sa_reason sa_sdp_o(const u8 *m, u32 p, u32 e,
			       struct sa_sdp *sdp)
{
	struct sa_span f;
	int i;

	for (i = 0; i < 3; i++)
		if (!sa_field(m, &p, e, &f))
			return SA_R_BAD_SDP;
	if (!sa_sdp_conn(m, &p, e, &sdp->o_atype, &sdp->o_addr, &sdp->o_ip))
		return SA_R_BAD_SDP;
	return SA_R_OK;
}

enum sa_reason sa_parse_sdp(const u8 *m, u32 s, u32 e,
			    struct sa_sdp *sdp)
{
	struct sa_media *md = NULL;
	struct sa_span *c_atype, *c_addr;
	struct sa_ip *c_ip;
	u32 pos = s, ls, le, i;
	bool have_o = false;
	enum sa_reason r;
	const u8 *lf;
	int dir, sess_dir = SA_MD_SENDRECV;

	sa_zero(sdp, offsetof(struct sa_sdp, media));
	sdp->present = 1;
	sdp->body = sa_mkspan(s, e - s);
	if (e - s < 2 || m[s] != 'v' || m[s + 1] != '=')
		return SA_R_BAD_SDP;
	while (pos < e) {
		ls = pos;
		lf = sa_memchr(m + pos, '\n', e - pos);
		le = lf ? (u32)(lf - m) : e;
		pos = lf ? le + 1 : e;
		if (le > ls && m[le - 1] == '\r')
			le--;
		if (le == ls)
			continue;
		if (le - ls < 2 || m[ls + 1] != '=' ||
		    m[ls] < 'a' || m[ls] > 'z')
			return SA_R_BAD_SDP;
		switch (m[ls]) {
		case 'o':
			if (have_o || md)
				return SA_R_BAD_SDP;
			have_o = true;
			r = sa_sdp_o(m, ls + 2, le, sdp);
			if (r)
				return r;
			break;
		case 'c':
			/* the session's before the first m=, else the media's */
			c_atype = md ? &md->c_atype : &sdp->c_atype;
			c_addr = md ? &md->c_addr : &sdp->c_addr;
			c_ip = md ? &md->c_ip : &sdp->c_ip;
			ls += 2;
			/* at most one c= at each level */
			if (c_addr->len ||
			    !sa_sdp_conn(m, &ls, le, c_atype, c_addr, c_ip))
				return SA_R_BAD_SDP;
			break;
		case 'm':
			if (sdp->n_media >= SA_MAX_MEDIA)
				return SA_R_TOO_MANY;
			md = &sdp->media[sdp->n_media];
			r = sa_sdp_m(m, ls + 2, le, md);
			if (r)
				return r;
			md->dir = 0xff;
			sdp->n_media++;
			break;
		case 'a':
			ls += 2;
			if (le - ls >= 5 && sa_eq(m + ls, "rtcp:", 5)) {
				if (!md)
					break;	/* media-level only: ignored */
				r = sa_sdp_rtcp(m, ls + 5, le, md);
				if (r)
					return r;
				break;
			}
			dir = sa_media_dir(m + ls, le - ls);
			if (dir < 0)
				break;
			if (md)
				md->dir = dir;
			else
				sess_dir = dir;
			break;
		}
	}
	for (i = 0; i < sdp->n_media; i++) {
		md = &sdp->media[i];
		md->addr = md->c_addr.len ? md->c_ip : sdp->c_ip;
		if (md->dir == 0xff)
			md->dir = sess_dir;
		if (!md->rtcp_explicit)
			md->rtcp_port = (md->rtp_port && md->rtp_port < 65535) ?
					md->rtp_port + 1 : 0;
		if (!md->rtcp_addr_span.len)
			md->rtcp_addr = md->addr;
	}
	return SA_R_OK;
}

/* ---------------------------------------------------------------- types */

enum sa_ctype {
	SA_CT_OTHER, SA_CT_SDP, SA_CT_MULTIPART,
};

/*
 * Content-Type value m[s..e): type/subtype and, for multipart, the
 * boundary parameter (quotes removed).
 */
static int sa_content_type(const u8 *m, u32 s, u32 e,
			   struct sa_span *boundary)
{
	u32 p = s, t, ts, te;
	int ct = SA_CT_OTHER;

	boundary->len = 0;
	while (p < e && sa_istoken(m[p]))
		p++;
	t = p;
	p = sa_skip_ws(m, p, e);
	if (p >= e || m[p] != '/')
		return -1;
	p = sa_skip_ws(m, p + 1, e);
	ts = p;
	while (p < e && sa_istoken(m[p]))
		p++;
	te = p;
	if (t == s || te == ts)
		return -1;
	/* both are tokens: sa_tok_ieq() applies */
	if (t - s == 11 && sa_tok_ieq(m + s, "application", 11) &&
	    te - ts == 3 && sa_tok_ieq(m + ts, "sdp", 3))
		ct = SA_CT_SDP;
	else if (t - s == 9 && sa_tok_ieq(m + s, "multipart", 9))
		ct = SA_CT_MULTIPART;
	p = sa_skip_ws(m, p, e);
	while (p < e && m[p] == ';') {
		u32 ns, ne, vs, ve;

		p = sa_skip_ws(m, p + 1, e);
		ns = p;
		while (p < e && sa_istoken(m[p]))
			p++;
		ne = p;
		p = sa_skip_ws(m, p, e);
		if (ns == ne || p >= e || m[p] != '=')
			return -1;
		p = sa_skip_ws(m, p + 1, e);
		if (p < e && m[p] == '"') {
			vs = p + 1;
			p = sa_skip_quoted(m, p, e);
			if (!p)
				return -1;
			ve = p - 1;
		} else {
			vs = p;
			while (p < e && !sa_isws(m[p]) && m[p] != ';')
				p++;
			ve = p;
		}
		if (sa_ieq(m + ns, ne - ns, "boundary", 8)) {
			if (boundary->len)
				return -1;
			*boundary = sa_mkspan(vs, ve - vs);
		}
		p = sa_skip_ws(m, p, e);
	}
	if (p != e)
		return -1;
	return ct;
}

/* ---------------------------------------------------------------- multipart */

/* m[p..e) starts with "--" boundary */
static bool sa_is_delim(const u8 *m, u32 p, u32 e,
			const struct sa_span *b)
{
	return e - p >= b->len + 2 && m[p] == '-' && m[p + 1] == '-' &&
	       !memcmp(m + p + 2, m + b->off, b->len);
}

/* offset of the next line start at or after p that is a delimiter, or e */
static u32 sa_next_delim(const u8 *m, u32 p, u32 e,
			 const struct sa_span *b)
{
	const u8 *lf;

	for (;;) {
		if (sa_is_delim(m, p, e, b))
			return p;
		lf = sa_memchr(m + p, '\n', e - p);
		if (!lf)
			return e;
		p = lf - m + 1;
	}
}

/* one multipart level: the body's, or a multipart part's (nested) */
struct sa_mp_level {
	struct sa_span b;	/* its boundary */
	u32 e;			/* where its body ends */
	u32 next;		/* the next delimiter line in it (or e) */
	struct sa_span clen;	/* nested: its part's Content-Length */
	u32 clen_val;
};

/*
 * One part m[s..e) of level st[depth - 1]: its headers (Content-Type,
 * Content-Length), then its content. e excludes the line break before the
 * next delimiter (RFC 2046: it belongs to the delimiter); a part
 * Content-Length may count it or not (brk is its length). A multipart part
 * fills *sub (a boundary of non-zero length) for the caller to look into.
 */
static enum sa_reason sa_part(const u8 *m, u32 s, u32 e,
			      u32 brk, struct sa_msg *msg,
			      const struct sa_mp_level *st, unsigned int depth,
			      struct sa_mp_level *sub)
{
	struct sa_span ctype = { 0, 0 }, clen = { 0, 0 }, bnd;
	u32 p = s, ls, le, c, n, v = 0, vs;
	struct sa_sdp *sdp = &msg->sdp;
	const u8 *lf;
	enum sa_reason r;
	unsigned int i;
	int ct;

	for (;;) {
		if (p >= e)
			return SA_R_BAD_MULTIPART;
		ls = p;
		lf = sa_memchr(m + p, '\n', e - p);
		if (!lf)
			return SA_R_BAD_MULTIPART;
		le = lf - m;
		p = le + 1;
		if (le > ls && m[le - 1] == '\r')
			le--;
		if (le == ls)
			break;
		/* part headers are not folded by anyone we know: refuse */
		c = ls;
		while (c < le && sa_istoken(m[c]))
			c++;
		n = c - ls;
		c = sa_skip_ws(m, c, le);
		if (!n || c >= le || m[c] != ':')
			return SA_R_BAD_MULTIPART;
		vs = sa_skip_ws(m, c + 1, le);
		while (le > vs && sa_isws(m[le - 1]))
			le--;
		if (sa_ieq(m + ls, n, "content-type", 12) ||
		    sa_ieq(m + ls, n, "c", 1)) {
			if (ctype.len)
				return SA_R_BAD_MULTIPART;
			ctype = sa_mkspan(vs, le - vs);
		} else if (sa_ieq(m + ls, n, "content-length", 14) ||
			   sa_ieq(m + ls, n, "l", 1)) {
			if (clen.len ||
			    !sa_parse_uint(m + vs, le - vs, SA_MAX_MSG, &v))
				return SA_R_BAD_MULTIPART;
			clen = sa_mkspan(vs, le - vs);
		} else if (sa_ieq(m + ls, n, "content-encoding", 16) ||
			   sa_ieq(m + ls, n, "content-transfer-encoding", 25)) {
			/* an encoded part is opaque: leave it alone */
			return SA_R_OK;
		}
	}
	if (clen.len && v != e - p && v != e - p + brk)
		return SA_R_BAD_MULTIPART;
	if (!ctype.len)
		return SA_R_OK;	/* text/plain by default */
	ct = sa_content_type(m, ctype.off, ctype.off + ctype.len, &bnd);
	if (ct < 0)
		return SA_R_BAD_MULTIPART;
	if (ct == SA_CT_MULTIPART) {
		/* nested (mixed, alternative, related, ...): look into it */
		if (depth >= SA_MAX_MP_DEPTH)
			return SA_R_MP_DEPTH;
		if (!bnd.len || bnd.len > SA_MP_BOUNDARY_MAX)
			return SA_R_BAD_MULTIPART;
		sub->b = bnd;
		sub->e = e;
		sub->next = sa_next_delim(m, p, e, &bnd);
		sub->clen = clen;
		sub->clen_val = v;
		return SA_R_OK;
	}
	if (ct != SA_CT_SDP || p == e)
		return SA_R_OK;
	if (sdp->present)
		return SA_R_BAD_MULTIPART;	/* two SDP parts: ambiguous */
	r = sa_parse_sdp(m, p, e, sdp);
	if (r)
		return r;
	sdp->part_clen = clen;
	sdp->part_clen_val = v;
	/* the multipart parts that hold it, innermost first */
	sdp->mp_depth = depth;
	for (i = 1; i < depth; i++) {
		sdp->outer_clen[i - 1] = st[depth - i].clen;
		sdp->outer_clen_val[i - 1] = st[depth - i].clen_val;
	}
	return SA_R_OK;
}

/*
 * A multipart body, and the multipart parts nested in it up to
 * SA_MAX_MP_DEPTH levels: a stack of levels, no recursion. Each part is
 * read once; a nested multipart is read whole before the part after it.
 */
static enum sa_reason sa_multipart(const u8 *m, struct sa_msg *msg,
				   const struct sa_span *b)
{
	struct sa_mp_level st[SA_MAX_MP_DEPTH], sub, *l;
	unsigned int depth = 1;
	u32 e, p, ps, pe;
	enum sa_reason r;

	if (!b->len || b->len > SA_MP_BOUNDARY_MAX)
		return SA_R_BAD_MULTIPART;
	l = &st[0];
	l->b = *b;
	l->e = msg->body.off + msg->body.len;
	l->next = sa_next_delim(m, msg->body.off, l->e, b);
	l->clen = sa_mkspan(0, 0);
	l->clen_val = 0;
	while (depth) {
		l = &st[depth - 1];
		e = l->e;
		p = l->next;
		if (p >= e)
			return SA_R_BAD_MULTIPART;	/* no close delimiter */
		p += 2 + l->b.len;
		if (e - p >= 2 && m[p] == '-' && m[p + 1] == '-') {
			depth--;			/* close delimiter */
			continue;
		}
		while (p < e && (m[p] == ' ' || m[p] == '\t'))
			p++;
		if (p < e && m[p] == '\r')
			p++;
		if (p >= e || m[p] != '\n')
			return SA_R_BAD_MULTIPART;
		ps = ++p;
		p = sa_next_delim(m, ps, e, &l->b);
		if (p >= e)
			return SA_R_BAD_MULTIPART;
		l->next = p;
		/* the line break before the delimiter belongs to it */
		pe = p;
		if (pe > ps && m[pe - 1] == '\n')
			pe--;
		if (pe > ps && m[pe - 1] == '\r')
			pe--;
		sub.b.len = 0;
		r = sa_part(m, ps, pe, p - pe, msg, st, depth, &sub);
		if (r)
			return r;
		if (sub.b.len)
			st[depth++] = sub;
	}
	return SA_R_OK;
}

enum sa_reason sa_parse_body(const u8 *msg, struct sa_msg *m)
{
	struct sa_span b;
	int ct;

	if (!m->body.len || m->body_encoded || !m->ctype.len)
		return SA_R_OK;
	ct = sa_content_type(msg, m->ctype.off, m->ctype.off + m->ctype.len,
			     &b);
	if (ct < 0)
		return SA_R_BAD_HEADER;
	if (ct == SA_CT_SDP)
		return sa_parse_sdp(msg, m->body.off,
				    m->body.off + m->body.len, &m->sdp);
	if (ct == SA_CT_MULTIPART)
		return sa_multipart(msg, m, &b);
	return SA_R_OK;
}
