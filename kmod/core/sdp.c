// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: message bodies. application/sdp (RFC 4566/8866) directly, or as
 * a part of a multipart body (RFC 2046), is parsed into struct sa_sdp:
 * the spans of every address and port the planner may rewrite, and the
 * media endpoints the module opens pinholes for.
 */
#include "sa_util.h"

/* next SP-separated field in m[*p..e); false when none is left */
static inline bool sa_field(const uint8_t *m, uint32_t *p, uint32_t e,
			    struct sa_span *f)
{
	uint32_t s = *p, q;

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
 */
static bool sa_sdp_conn(const uint8_t *m, uint32_t *p, uint32_t e,
			struct sa_span *atype, struct sa_span *addr,
			struct sa_ip *ip)
{
	struct sa_span nt, at, a;
	const uint8_t *sl;

	memset(ip, 0, sizeof(*ip));
	if (!sa_field(m, p, e, &nt) || !sa_field(m, p, e, &at) ||
	    !sa_field(m, p, e, &a))
		return false;
	sl = memchr(m + a.off, '/', a.len);
	if (sl)
		a.len = sl - (m + a.off);
	if (!a.len)
		return false;
	*atype = at;
	*addr = a;
	if (!sa_ieq(m + nt.off, nt.len, "in", 2))
		return true;
	if (sa_ieq(m + at.off, at.len, "ip4", 3))
		sa_parse_ip4(m + a.off, a.len, ip);
	else if (sa_ieq(m + at.off, at.len, "ip6", 3))
		sa_parse_ip6(m + a.off, a.len, ip);
	return true;
}

static uint8_t sa_media_type(const uint8_t *p, uint32_t n)
{
	if (sa_ieq(p, n, "audio", 5))
		return SA_MT_AUDIO;
	if (sa_ieq(p, n, "video", 5))
		return SA_MT_VIDEO;
	if (sa_ieq(p, n, "image", 5))
		return SA_MT_IMAGE;
	if (sa_ieq(p, n, "text", 4))
		return SA_MT_TEXT;
	if (sa_ieq(p, n, "application", 11))
		return SA_MT_APPLICATION;
	if (sa_ieq(p, n, "message", 7))
		return SA_MT_MESSAGE;
	return SA_MT_OTHER;
}

static int sa_media_dir(const uint8_t *p, uint32_t n)
{
	if (n == 8 && !memcmp(p, "sendrecv", 8))
		return SA_MD_SENDRECV;
	if (n == 8 && !memcmp(p, "sendonly", 8))
		return SA_MD_SENDONLY;
	if (n == 8 && !memcmp(p, "recvonly", 8))
		return SA_MD_RECVONLY;
	if (n == 8 && !memcmp(p, "inactive", 8))
		return SA_MD_INACTIVE;
	return -1;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static enum sa_reason sa_sdp_m(const uint8_t *m, uint32_t p, uint32_t e,
			       struct sa_media *md)
{
	struct sa_span f, proto;
	const uint8_t *sl;
	uint32_t v, n = 1;

	memset(md, 0, sizeof(*md));
	if (!sa_field(m, &p, e, &f))
		return SA_R_BAD_SDP;
	md->type = sa_media_type(m + f.off, f.len);
	if (!sa_field(m, &p, e, &f))
		return SA_R_BAD_SDP;
	sl = memchr(m + f.off, '/', f.len);
	if (sl) {
		uint32_t d = sl - (m + f.off);

		if (!sa_parse_uint(sl + 1, f.len - d - 1, 65535, &n) || !n)
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
static enum sa_reason sa_sdp_rtcp(const uint8_t *m, uint32_t p, uint32_t e,
				  struct sa_media *md)
{
	struct sa_span f;
	uint32_t v;

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
static enum sa_reason sa_sdp_o(const uint8_t *m, uint32_t p, uint32_t e,
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

enum sa_reason sa_parse_sdp(const uint8_t *m, uint32_t s, uint32_t e,
			    struct sa_sdp *sdp)
{
	struct sa_media *md = NULL;
	uint32_t pos = s, ls, le, i;
	bool have_o = false;
	enum sa_reason r;
	const uint8_t *lf;
	int dir, sess_dir = SA_MD_SENDRECV;

	memset(sdp, 0, offsetof(struct sa_sdp, media));
	sdp->present = 1;
	sdp->body = sa_mkspan(s, e - s);
	if (e - s < 2 || m[s] != 'v' || m[s + 1] != '=')
		return SA_R_BAD_SDP;
	while (pos < e) {
		ls = pos;
		lf = memchr(m + pos, '\n', e - pos);
		le = lf ? (uint32_t)(lf - m) : e;
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
			if (md) {
				if (md->c_addr.len)
					return SA_R_BAD_SDP;
				ls += 2;
				if (!sa_sdp_conn(m, &ls, le, &md->c_atype,
						 &md->c_addr, &md->c_ip))
					return SA_R_BAD_SDP;
			} else {
				if (sdp->c_addr.len)
					return SA_R_BAD_SDP;
				ls += 2;
				if (!sa_sdp_conn(m, &ls, le, &sdp->c_atype,
						 &sdp->c_addr, &sdp->c_ip))
					return SA_R_BAD_SDP;
			}
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
			if (le - ls >= 5 && !memcmp(m + ls, "rtcp:", 5)) {
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
static int sa_content_type(const uint8_t *m, uint32_t s, uint32_t e,
			   struct sa_span *boundary)
{
	uint32_t p = s, t, ts, te;
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
		uint32_t ns, ne, vs, ve;

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
static bool sa_is_delim(const uint8_t *m, uint32_t p, uint32_t e,
			const struct sa_span *b)
{
	return e - p >= b->len + 2 && m[p] == '-' && m[p + 1] == '-' &&
	       !memcmp(m + p + 2, m + b->off, b->len);
}

/* offset of the next line start at or after p that is a delimiter, or e */
static uint32_t sa_next_delim(const uint8_t *m, uint32_t p, uint32_t e,
			      const struct sa_span *b)
{
	const uint8_t *lf;

	for (;;) {
		if (sa_is_delim(m, p, e, b))
			return p;
		lf = memchr(m + p, '\n', e - p);
		if (!lf)
			return e;
		p = lf - m + 1;
	}
}

/*
 * One part m[s..e): its headers (Content-Type, Content-Length), then its
 * content. e excludes the line break before the next delimiter (RFC 2046:
 * it belongs to the delimiter); a part Content-Length may count it or not
 * (brk is its length).
 */
static enum sa_reason sa_part(const uint8_t *m, uint32_t s, uint32_t e,
			      uint32_t brk, struct sa_msg *msg)
{
	struct sa_span ctype = { 0, 0 }, clen = { 0, 0 }, bnd;
	uint32_t p = s, ls, le, c, n, v = 0, vs;
	const uint8_t *lf;
	enum sa_reason r;
	int ct;

	for (;;) {
		if (p >= e)
			return SA_R_BAD_MULTIPART;
		ls = p;
		lf = memchr(m + p, '\n', e - p);
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
	if (ct == SA_CT_MULTIPART)
		return SA_R_BAD_MULTIPART;	/* nested: not descended */
	if (ct != SA_CT_SDP || p == e)
		return SA_R_OK;
	if (msg->sdp.present)
		return SA_R_BAD_MULTIPART;	/* two SDP parts: ambiguous */
	r = sa_parse_sdp(m, p, e, &msg->sdp);
	if (r)
		return r;
	msg->sdp.part_clen = clen;
	msg->sdp.part_clen_val = v;
	return SA_R_OK;
}

static enum sa_reason sa_multipart(const uint8_t *m, struct sa_msg *msg,
				   const struct sa_span *b)
{
	uint32_t e = msg->body.off + msg->body.len, p, ps, pe;
	enum sa_reason r;

	if (!b->len || b->len > 70)
		return SA_R_BAD_MULTIPART;
	p = sa_next_delim(m, msg->body.off, e, b);
	for (;;) {
		if (p >= e)
			return SA_R_BAD_MULTIPART;	/* no close delimiter */
		p += 2 + b->len;
		if (e - p >= 2 && m[p] == '-' && m[p + 1] == '-')
			return SA_R_OK;			/* close delimiter */
		while (p < e && (m[p] == ' ' || m[p] == '\t'))
			p++;
		if (p < e && m[p] == '\r')
			p++;
		if (p >= e || m[p] != '\n')
			return SA_R_BAD_MULTIPART;
		ps = ++p;
		p = sa_next_delim(m, ps, e, b);
		if (p >= e)
			return SA_R_BAD_MULTIPART;
		/* the line break before the delimiter belongs to it */
		pe = p;
		if (pe > ps && m[pe - 1] == '\n')
			pe--;
		if (pe > ps && m[pe - 1] == '\r')
			pe--;
		r = sa_part(m, ps, pe, p - pe, msg);
		if (r)
			return r;
	}
}

enum sa_reason sa_parse_body(const uint8_t *msg, struct sa_msg *m)
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
