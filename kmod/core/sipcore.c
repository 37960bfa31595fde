// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: framing of SIP messages on UDP and TCP, and parsing of the start
 * line and headers into struct sa_msg. The body (SDP, multipart) is parsed
 * in sdp.c, the rewrite is planned in plan.c.
 *
 * Lines end in CRLF or a bare LF. A header continues on the next line when
 * that line starts with SP or HT (folding): inside a value CR and LF are
 * then plain white space to every tokenizer below.
 */
#include "sa_util.h"

static const char * const sa_reason_names[SA_R_MAX] = {
	[SA_R_OK] = "ok",
	[SA_R_NOT_SIP] = "not-sip",
	[SA_R_TRUNCATED] = "truncated",
	[SA_R_BAD_START_LINE] = "bad-start-line",
	[SA_R_BAD_HEADER] = "bad-header",
	[SA_R_NO_CLEN] = "no-content-length",
	[SA_R_BAD_CLEN] = "bad-content-length",
	[SA_R_BAD_VIA] = "bad-via",
	[SA_R_BAD_CONTACT] = "bad-contact",
	[SA_R_BAD_URI] = "bad-uri",
	[SA_R_BAD_SDP] = "bad-sdp",
	[SA_R_BAD_MULTIPART] = "bad-multipart",
	[SA_R_TOO_MANY] = "too-many",
	[SA_R_TOO_BIG] = "too-big",
	[SA_R_CONFLICT] = "conflict",
	[SA_R_MP_DEPTH] = "multipart-too-deep",
};

const char *sa_reason_str(enum sa_reason r)
{
	if ((unsigned int)r >= SA_R_MAX || !sa_reason_names[r])
		return "unknown";
	return sa_reason_names[r];
}

/* ---------------------------------------------------------------- lines */

struct sa_hdr {
	u32 name;
	u32 name_len;
	u32 val;		/* value, trimmed by sa_hdr_trim() */
	u32 val_end;
	u32 next;		/* first byte of the next line */
};

/*
 * Read the (possibly folded) header line at pos. Returns 1 with h filled,
 * 0 for the blank line that ends the headers (h->next just after it), or a
 * negative enum sa_reason.
 */
static inline int sa_hdr_next(const u8 *m, u32 len,
			      u32 pos, struct sa_hdr *h)
{
	const u8 *lf;
	u32 eol, p;

	if (pos >= len)
		return -SA_R_TRUNCATED;
	lf = sa_memchr(m + pos, '\n', len - pos);
	if (!lf)
		return -SA_R_TRUNCATED;
	eol = lf - m;
	/* m[eol] is '\n': no token character, no SP/HT, no ':' */
	p = pos;
	while (sa_istoken(m[p]))
		p++;
	if (p == pos) {
		/* the blank line ("" or CR) that ends the headers */
		if (eol == pos || (eol == pos + 1 && m[pos] == '\r')) {
			h->next = eol + 1;
			return 0;
		}
		return -SA_R_BAD_HEADER;
	}
	h->name = pos;
	h->name_len = p - pos;
	while (m[p] == ' ' || m[p] == '\t')
		p++;
	if (m[p] != ':')
		return -SA_R_BAD_HEADER;
	h->val = p + 1;		/* untrimmed: see sa_hdr_trim() */
	while (unlikely(eol + 1 < len &&
			(m[eol + 1] == ' ' || m[eol + 1] == '\t'))) {
		lf = sa_memchr(m + eol + 1, '\n', len - eol - 1);
		if (!lf)
			return -SA_R_TRUNCATED;
		eol = lf - m;
	}
	h->next = eol + 1;
	h->val_end = eol;
	return 1;
}

/* trim the white space (folding included) around a header's value */
static inline void sa_hdr_trim(const u8 *m, struct sa_hdr *h)
{
	u32 end = h->val_end;

	while (end > h->val && sa_isws(m[end - 1]))
		end--;
	h->val = sa_skip_ws(m, h->val, end);
	h->val_end = end;
}

enum sa_hdr_id {
	H_OTHER, H_VIA, H_CONTACT, H_FROM, H_TO, H_CALLID, H_CSEQ, H_CLEN,
	H_CTYPE, H_RR, H_ROUTE, H_EXPIRES, H_CENC,
};

/*
 * A switch on the name's length, not a table. make bench-core, 2026-12-03,
 * 5 interleaved runs each, median parse ns (quiet-run spread of the switch):
 *   switch               REGISTER 478 (464-479)  INVITE+SDP 763 (751-766)
 *                        200 OK+SDP 727 (721-733)
 *   table by length      503, 791, 757: slower on all three
 *   perfect hash (length, first and last letter, one compare)
 *                        481, 768, 746: slower on 200 OK+SDP
 * The switch compares with loads of a constant width; a table's compare
 * chooses the width at run time.
 */
#define SA_IS(lit) sa_tok_ieq(p, lit, sizeof(lit) - 1)

/* p[0..n) is a header name: token characters only (sa_hdr_next) */
static enum sa_hdr_id sa_hdr_id(const u8 *p, u32 n)
{
	switch (n) {
	case 1:
		switch (sa_lower(p[0])) {
		case 'v': return H_VIA;
		case 'm': return H_CONTACT;
		case 'f': return H_FROM;
		case 't': return H_TO;
		case 'i': return H_CALLID;
		case 'l': return H_CLEN;
		case 'c': return H_CTYPE;
		case 'e': return H_CENC;
		}
		return H_OTHER;
	case 2:
		return SA_IS("to") ? H_TO : H_OTHER;
	case 3:
		return SA_IS("via") ? H_VIA : H_OTHER;
	case 4:
		if (SA_IS("from"))
			return H_FROM;
		return SA_IS("cseq") ? H_CSEQ : H_OTHER;
	case 5:
		return SA_IS("route") ? H_ROUTE : H_OTHER;
	case 7:
		if (SA_IS("contact"))
			return H_CONTACT;
		if (SA_IS("call-id"))
			return H_CALLID;
		return SA_IS("expires") ? H_EXPIRES : H_OTHER;
	case 12:
		if (sa_lower(p[0]) == 'c')
			return SA_IS("content-type") ? H_CTYPE : H_OTHER;
		return SA_IS("record-route") ? H_RR : H_OTHER;
	case 14:
		return SA_IS("content-length") ? H_CLEN : H_OTHER;
	case 16:
		return SA_IS("content-encoding") ? H_CENC : H_OTHER;
	}
	return H_OTHER;
}

/*
 * Content-Length value: 1 to 10 digits, nothing else (no sign, no second
 * value), at most 2^32 - 1. Callers refuse values over SA_MAX_MSG.
 */
static bool sa_clen_value(const u8 *m, const struct sa_hdr *h,
			  u32 *v)
{
	return sa_parse_uint(m + h->val, h->val_end - h->val, 0xffffffffU, v);
}

/* ---------------------------------------------------------------- framing */

static enum sa_reason sa_start_kind(const u8 *m, u32 s,
				    u32 e, u32 *sp1, u32 *sp2);

enum sa_frame_result sa_frame(const u8 *buf, size_t len,
			      enum sa_transport t, size_t *msg_len,
			      enum sa_reason *why)
{
	u32 pos = 0, lim, clen = 0, sp1, sp2;
	bool have_clen = false;
	struct sa_hdr h;
	const u8 *lf;
	int r;

	*why = SA_R_OK;
	*msg_len = 0;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	if (t == SA_T_UDP) {
		/* one message per datagram; leading CRLFs are sa_parse's */
		if (!len) {
			*why = SA_R_TRUNCATED;
			return SA_FRAME_ERROR;
		}
		if (len > SA_MAX_MSG) {
			*why = SA_R_TOO_BIG;
			return SA_FRAME_ERROR;
		}
		*msg_len = len;
		return pos == len ? SA_FRAME_KEEPALIVE : SA_FRAME_MSG;
	}
	if (pos) {
		/* RFC 5626 keep-alive, or CRLFs before a start line */
		*msg_len = pos;
		return SA_FRAME_KEEPALIVE;
	}
	lim = len > SA_MAX_MSG ? SA_MAX_MSG : len;
	lf = sa_memchr(buf, '\n', lim);
	if (!lf)
		goto more;
	pos = lf - buf + 1;
	r = sa_start_kind(buf, 0, (pos > 1 && buf[pos - 2] == '\r') ?
			  pos - 2 : pos - 1, &sp1, &sp2);
	if (r) {
		*why = r;
		return SA_FRAME_ERROR;
	}
	for (;;) {
		r = sa_hdr_next(buf, lim, pos, &h);
		if (r == -SA_R_TRUNCATED)
			goto more;
		if (r < 0) {
			*why = -r;
			return SA_FRAME_ERROR;
		}
		if (r == 0)
			break;
		/* only "Content-Length" and its compact "l" can be it */
		if ((h.name_len == 14 || h.name_len == 1) &&
		    sa_hdr_id(buf + h.name, h.name_len) == H_CLEN) {
			u32 v;

			sa_hdr_trim(buf, &h);
			if (have_clen || !sa_clen_value(buf, &h, &v)) {
				*why = SA_R_BAD_CLEN;
				return SA_FRAME_ERROR;
			}
			have_clen = true;
			clen = v;
		}
		pos = h.next;
	}
	if (!have_clen) {
		*why = SA_R_NO_CLEN;
		return SA_FRAME_ERROR;
	}
	if (clen > SA_MAX_MSG || (size_t)h.next + clen > SA_MAX_MSG) {
		*why = SA_R_TOO_BIG;
		return SA_FRAME_ERROR;
	}
	if ((size_t)h.next + clen > len)
		return SA_FRAME_NEED_MORE;
	*msg_len = h.next + clen;
	return SA_FRAME_MSG;
more:
	if (len >= SA_MAX_MSG) {
		*why = SA_R_TOO_BIG;
		return SA_FRAME_ERROR;
	}
	return SA_FRAME_NEED_MORE;
}

/* ---------------------------------------------------------------- values */

/*
 * End of the comma-separated element starting at pos in m[..end): the
 * offset of the separating ',' or end. Commas inside quoted strings (and
 * inside <...> when angle is set) do not separate. Returns 0 when a quote
 * or '<' is not closed.
 */
static u32 sa_elem_end(const u8 *m, u32 pos, u32 end,
		       bool angle)
{
	const u8 *gt;

	while (pos < end) {
		while (pos < end && !(sa_ctype[m[pos]] & SA_C_ESPEC))
			pos++;
		if (pos >= end)
			break;
		switch (m[pos]) {
		case ',':
			return pos;
		case '"':
			pos = sa_skip_quoted(m, pos, end);
			if (!pos)
				return 0;
			continue;
		case '<':
			if (!angle)
				break;
			gt = sa_memchr(m + pos, '>', end - pos);
			if (!gt)
				return 0;
			pos = gt - m;
			break;
		}
		pos++;
	}
	return end;
}

struct sa_param {
	u32 name, name_len;
	u32 val, val_len;	/* val_len 0 and has_val 0 for a bare name */
	bool has_val;
};

/*
 * Parse ";name[=value]" at pos (on the ';'). Returns the offset after it,
 * or 0 when malformed.
 */
static u32 sa_param(const u8 *m, u32 pos, u32 end,
		    struct sa_param *pr)
{
	pos = sa_skip_ws(m, pos + 1, end);
	pr->name = pos;
	while (pos < end && sa_istoken(m[pos]))
		pos++;
	pr->name_len = pos - pr->name;
	pr->has_val = false;
	pr->val = pos;
	pr->val_len = 0;
	if (!pr->name_len)
		return 0;
	pos = sa_skip_ws(m, pos, end);
	if (pos < end && m[pos] == '=') {
		pos = sa_skip_ws(m, pos + 1, end);
		pr->has_val = true;
		pr->val = pos;
		if (pos < end && m[pos] == '"') {
			pos = sa_skip_quoted(m, pos, end);
			if (!pos)
				return 0;
		} else {
			pos = sa_skip_class(m, pos, end, SA_C_PSTOP,
					    false);
		}
		pr->val_len = pos - pr->val;
		if (!pr->val_len)
			return 0;
	}
	return pos;
}

/*
 * The via-parm starting at s, up to the ',' that ends it or end: the top
 * Via of the message. *next is the offset of that ',' (or end).
 */
static enum sa_reason sa_parse_via(const u8 *m, u32 s, u32 end,
				   struct sa_via *v, u32 *next)
{
	u32 p = s, q, i;
	struct sa_param pr;

	sa_zero(v, sizeof(*v));
	/* sent-protocol: name LWS? "/" LWS? version LWS? "/" LWS? transport */
	i = 0;
	p = sa_skip_ws(m, p, end);
	if (end - p > 8 && sa_ieq(m + p, 8, "sip/2.0/", 8)) {
		/* as written by everyone: on to the transport */
		p += 8;
		i = 2;
	}
	for (; i < 3; i++) {
		p = sa_skip_ws(m, p, end);
		q = p;
		while (p < end && sa_istoken(m[p]))
			p++;
		if (p == q)
			return SA_R_BAD_VIA;
		if (i == 2)
			v->transport = sa_mkspan(q, p - q);
		else if (i == 0 && !sa_ieq(m + q, p - q, "sip", 3))
			return SA_R_BAD_VIA;
		p = sa_skip_ws(m, p, end);
		if (i < 2) {
			if (p >= end || m[p] != '/')
				return SA_R_BAD_VIA;
			p++;
		}
	}
	q = p;
	p = sa_parse_hostport(m, p, end, &v->sent_by);
	if (!p || p == q || (q > s && !sa_isws(m[q - 1])))
		return SA_R_BAD_VIA;
	v->sent_by.def_port = sa_ieq(m + v->transport.off, v->transport.len,
				     "tls", 3) ? SA_PORT_SIPS : SA_PORT_SIP;
	v->params_end = p;
	p = sa_skip_ws(m, p, end);
	while (p < end && m[p] == ';') {
		p = sa_param(m, p, end, &pr);
		if (!p)
			return SA_R_BAD_VIA;
		v->params_end = p;
		if (sa_ieq(m + pr.name, pr.name_len, "rport", 5)) {
			u32 val;

			if (v->has_rport)
				return SA_R_BAD_VIA;
			v->has_rport = 1;
			if (pr.has_val) {
				if (!sa_parse_uint(m + pr.val, pr.val_len,
						   65535, &val) || !val)
					return SA_R_BAD_VIA;
				v->rport = sa_mkspan(pr.val, pr.val_len);
				v->rport_val = val;
			}
		} else if (sa_ieq(m + pr.name, pr.name_len, "received", 8)) {
			const u8 *a = m + pr.val;
			u32 n = pr.val_len;

			if (v->received.len || !pr.has_val)
				return SA_R_BAD_VIA;
			v->received = sa_mkspan(pr.val, pr.val_len);
			if (n > 2 && a[0] == '[' && a[n - 1] == ']')
				sa_parse_ip6(a + 1, n - 2, &v->received_ip);
			else if (!sa_parse_ip4(a, n, &v->received_ip))
				sa_parse_ip6(a, n, &v->received_ip);
		}
		p = sa_skip_ws(m, p, end);
	}
	if (p < end && m[p] != ',')
		return SA_R_BAD_VIA;
	v->value = sa_mkspan(s, v->params_end - s);
	*next = p;
	return SA_R_OK;
}

/*
 * The name-addr or addr-spec element starting at s, up to the ',' that
 * ends it or end (From, To, Contact, Route, Record-Route), with its header
 * parameters; *expires gets an expires= parameter (when expires is not
 * NULL). *next is the offset of that ',' (or end).
 */
static enum sa_reason sa_parse_naddr(const u8 *m, u32 s,
				     u32 end, struct sa_hostport *hp,
				     s32 *expires, u32 *next)
{
	u32 p = sa_skip_ws(m, s, end), us, ue, v;
	struct sa_param pr;
	const u8 *gt;

	if (p < end && m[p] == '"') {
		p = sa_skip_quoted(m, p, end);
		if (!p)
			return SA_R_BAD_URI;
		p = sa_skip_ws(m, p, end);
		if (p >= end || m[p] != '<')
			return SA_R_BAD_URI;
	} else {
		u32 q = p;

		while (q < end && (sa_istoken(m[q]) || sa_isws(m[q])))
			q++;
		if (q < end && m[q] == '<')
			p = q;
	}
	if (p < end && m[p] == '<') {
		us = p + 1;
		gt = sa_memchr(m + us, '>', end - us);
		if (!gt)
			return SA_R_BAD_URI;
		ue = gt - m;
		p = ue + 1;
	} else {
		/* addr-spec: no ',' ';' '?' in the URI (RFC 3261 20) */
		us = p;
		while (p < end && m[p] != ';' && m[p] != '?' && m[p] != ',' &&
		       !sa_isws(m[p]))
			p++;
		ue = p;
	}
	if (us == ue || !sa_parse_uri(m, us, ue, hp))
		return SA_R_BAD_URI;
	p = sa_skip_ws(m, p, end);
	while (p < end && m[p] == ';') {
		p = sa_param(m, p, end, &pr);
		if (!p)
			return SA_R_BAD_URI;
		if (expires && pr.has_val &&
		    sa_ieq(m + pr.name, pr.name_len, "expires", 7) &&
		    sa_parse_uint(m + pr.val, pr.val_len, 0x7fffffff, &v))
			*expires = v;
		p = sa_skip_ws(m, p, end);
	}
	if (p < end && m[p] != ',')
		return SA_R_BAD_URI;
	*next = p;
	return SA_R_OK;
}

/* a header whose value is a comma-separated list of name-addr/addr-spec */
static enum sa_reason sa_parse_list(const u8 *m, const struct sa_hdr *h,
				    enum sa_hdr_id id, struct sa_msg *msg)
{
	enum sa_reason bad = id == H_CONTACT ? SA_R_BAD_CONTACT : SA_R_BAD_URI;
	u32 p = h->val, end = h->val_end, next;
	struct sa_hostport *hp;
	struct sa_contact *c;
	bool star = false;

	for (;;) {
		p = sa_skip_ws(m, p, end);
		if (p >= end || m[p] == ',')
			return bad;	/* empty element */
		if (id == H_CONTACT) {
			if (msg->n_contact >= SA_MAX_CONTACTS)
				return SA_R_TOO_MANY;
			c = &msg->contact[msg->n_contact++];
			memset(c, 0, sizeof(*c));
			c->expires = -1;
			next = sa_skip_ws(m, p + 1, end);
			if (m[p] == '*' && (next == end || m[next] == ',')) {
				star = true;
				c->star = 1;
			} else if (sa_parse_naddr(m, p, end, &c->hp,
						  &c->expires, &next)) {
				return SA_R_BAD_CONTACT;
			}
		} else {
			if (id == H_RR) {
				if (msg->n_rr >= SA_MAX_ROUTES)
					return SA_R_TOO_MANY;
				hp = &msg->record_route[msg->n_rr++];
			} else {
				if (msg->n_route >= SA_MAX_ROUTES)
					return SA_R_TOO_MANY;
				hp = &msg->route[msg->n_route++];
			}
			if (sa_parse_naddr(m, p, end, hp, NULL, &next))
				return SA_R_BAD_URI;
		}
		if (next >= end)
			break;
		p = next + 1;	/* after the ',' */
	}
	/* "Contact: *" stands alone */
	if (star && msg->n_contact != 1)
		return SA_R_BAD_CONTACT;
	return SA_R_OK;
}

static enum sa_reason sa_parse_vias(const u8 *m, const struct sa_hdr *h,
				    struct sa_msg *msg)
{
	u32 p = h->val, end = h->val_end, next;
	enum sa_reason r;

	for (;;) {
		p = sa_skip_ws(m, p, end);
		if (p >= end || m[p] == ',')
			return SA_R_BAD_VIA;	/* empty element */
		if (msg->n_via == 0) {
			r = sa_parse_via(m, p, end, &msg->top_via, &next);
			if (r)
				return r;
		} else {
			/* other Vias are only counted */
			next = sa_elem_end(m, p, end, false);
			if (!next)
				return SA_R_BAD_VIA;
		}
		if (msg->n_via == 0xffff)
			return SA_R_TOO_MANY;
		msg->n_via++;
		if (next >= end)
			break;
		p = next + 1;
	}
	return SA_R_OK;
}

/* the methods the core knows, by id: their names and lengths */
#define SA_METHOD(lit) { lit, sizeof(lit) - 1 }

static const struct {
	char name[10];
	u8 len;
} sa_methods[SA_M_PUBLISH + 1] = {
	[SA_M_INVITE] = SA_METHOD("INVITE"),	[SA_M_ACK] = SA_METHOD("ACK"),
	[SA_M_BYE] = SA_METHOD("BYE"),		[SA_M_CANCEL] = SA_METHOD("CANCEL"),
	[SA_M_REGISTER] = SA_METHOD("REGISTER"),
	[SA_M_OPTIONS] = SA_METHOD("OPTIONS"),
	[SA_M_UPDATE] = SA_METHOD("UPDATE"),	[SA_M_PRACK] = SA_METHOD("PRACK"),
	[SA_M_INFO] = SA_METHOD("INFO"),
	[SA_M_SUBSCRIBE] = SA_METHOD("SUBSCRIBE"),
	[SA_M_NOTIFY] = SA_METHOD("NOTIFY"),	[SA_M_REFER] = SA_METHOD("REFER"),
	[SA_M_MESSAGE] = SA_METHOD("MESSAGE"),
	[SA_M_PUBLISH] = SA_METHOD("PUBLISH"),
};

/* the methods by first letter: no letter starts more than two */
static const u8 sa_method_first[26][2] = {
	['A' - 'A'] = { SA_M_ACK },
	['B' - 'A'] = { SA_M_BYE },
	['C' - 'A'] = { SA_M_CANCEL },
	['I' - 'A'] = { SA_M_INVITE, SA_M_INFO },
	['M' - 'A'] = { SA_M_MESSAGE },
	['N' - 'A'] = { SA_M_NOTIFY },
	['O' - 'A'] = { SA_M_OPTIONS },
	['P' - 'A'] = { SA_M_PRACK, SA_M_PUBLISH },
	['R' - 'A'] = { SA_M_REGISTER, SA_M_REFER },
	['S' - 'A'] = { SA_M_SUBSCRIBE },
	['U' - 'A'] = { SA_M_UPDATE },
};

const char *sa_method_name(u8 method)
{
	if (method > SA_M_PUBLISH || !sa_methods[method].len)
		return NULL;
	return sa_methods[method].name;
}

/* methods are case-sensitive (RFC 3261 section 7.1) */
static u8 sa_method_id(const u8 *p, u32 n)
{
	const u8 *cand;
	unsigned int i;

	if (!n || (u8)(p[0] - 'A') >= 26)
		return SA_M_UNKNOWN;
	cand = sa_method_first[p[0] - 'A'];
	for (i = 0; i < 2 && cand[i]; i++)
		if (sa_methods[cand[i]].len == n &&
		    sa_eq(p, sa_methods[cand[i]].name, n))
			return cand[i];
	return SA_M_UNKNOWN;
}

static bool sa_is_sip20(const u8 *p, u32 n)
{
	return sa_ieq(p, n, "sip/2.0", 7);
}

static bool sa_is_sipver(const u8 *p, u32 n)
{
	return n >= 4 && sa_ieq(p, 4, "sip/", 4);
}

/*
 * Is m[s..e) a SIP/2.0 start line? SA_R_OK, SA_R_NOT_SIP when it is not
 * SIP at all (HTTP, binary, ...), SA_R_BAD_START_LINE when it is SIP but
 * malformed or another version. On SA_R_OK *sp1 is the offset of the
 * first SP, and for a Request-Line *sp2 the offset just after the last.
 */
static enum sa_reason sa_start_kind(const u8 *m, u32 s, u32 e,
				    u32 *sp1, u32 *sp2)
{
	u32 p = s, q, i;

	while (p < e && m[p] != ' ')
		p++;
	if (p == e || p == s)
		return SA_R_NOT_SIP;
	*sp1 = p;
	if (sa_is_sipver(m + s, p - s))
		return sa_is_sip20(m + s, p - s) ? SA_R_OK :
						   SA_R_BAD_START_LINE;
	for (i = s; i < p; i++)
		if (!sa_istoken(m[i]))
			return SA_R_NOT_SIP;
	q = e;
	while (q > p && m[q - 1] != ' ')
		q--;
	*sp2 = q;
	if (!sa_is_sipver(m + q, e - q))
		return SA_R_NOT_SIP;
	if (!sa_is_sip20(m + q, e - q))
		return SA_R_BAD_START_LINE;
	return SA_R_OK;
}

/* the start line m[s..e) */
static enum sa_reason sa_parse_start(const u8 *m, u32 s, u32 e,
				     struct sa_msg *msg)
{
	u32 p = s, sp2 = e;
	enum sa_reason r = sa_start_kind(m, s, e, &p, &sp2);
	u32 v;

	if (r)
		return r;
	if (sa_is_sipver(m + s, p - s)) {
		/* Status-Line: SIP-Version SP Status-Code SP Reason-Phrase */
		p++;
		if (e - p < 3 || !sa_parse_uint(m + p, 3, 699, &v) || v < 100)
			return SA_R_BAD_START_LINE;
		if (e - p > 3 && m[p + 3] != ' ')
			return SA_R_BAD_START_LINE;
		msg->is_request = 0;
		msg->status = v;
		return SA_R_OK;
	}
	/* Request-Line: Method SP Request-URI SP SIP-Version */
	msg->is_request = 1;
	msg->method_span = sa_mkspan(s, p - s);
	msg->method = sa_method_id(m + s, p - s);
	if (sp2 - 1 <= p + 1)
		return SA_R_BAD_START_LINE;
	/* one SP each side, no white space in the URI (RFC 4475 3.1.2.8) */
	msg->ruri_span = sa_mkspan(p + 1, sp2 - 1 - (p + 1));
	if (sa_memchr(m + p + 1, ' ', msg->ruri_span.len) ||
	    sa_memchr(m + p + 1, '\t', msg->ruri_span.len))
		return SA_R_BAD_START_LINE;
	if (!sa_parse_uri(m, p + 1, sp2 - 1, &msg->ruri))
		return SA_R_BAD_URI;
	/* no headers in a SIP Request-URI (RFC 3261 19.1.5) */
	if (msg->ruri.def_port) {
		u32 h = msg->ruri.host.off + msg->ruri.host.len;

		if (sa_memchr(m + h, '?', sp2 - 1 - h))
			return SA_R_BAD_URI;
	}
	return SA_R_OK;
}

static void sa_msg_init(struct sa_msg *m)
{
	const size_t via_end = offsetof(struct sa_msg, top_via) +
			       sizeof(m->top_via);

	/*
	 * The arrays are filled up to their counts, everything else is zero.
	 * top_via is skipped: a parsed message has one, and sa_parse_via()
	 * writes all of it.
	 */
	sa_zero(m, offsetof(struct sa_msg, top_via));
	sa_zero((char *)m + via_end,
		offsetof(struct sa_msg, contact) - via_end);
	m->expires = -1;
	sa_zero(&m->sdp, offsetof(struct sa_sdp, media));
}

static enum sa_reason sa_parse_header(const u8 *m, struct sa_hdr *h,
				      struct sa_msg *msg)
{
	enum sa_hdr_id id = sa_hdr_id(m + h->name, h->name_len);
	u32 v, p, n;
	enum sa_reason r;

	if (id == H_OTHER)
		return SA_R_OK;
	sa_hdr_trim(m, h);
	n = h->val_end - h->val;

	switch (id) {
	case H_VIA:
		return sa_parse_vias(m, h, msg);
	case H_CONTACT:
	case H_RR:
	case H_ROUTE:
		return sa_parse_list(m, h, id, msg);
	case H_FROM:
	case H_TO:
		if ((id == H_FROM ? msg->has_from : msg->has_to))
			return SA_R_BAD_HEADER;
		r = sa_parse_naddr(m, h->val, h->val_end,
				   id == H_FROM ? &msg->from : &msg->to, NULL,
				   &p);
		if (r)
			return r;
		if (p != h->val_end)
			return SA_R_BAD_URI;	/* one value only */
		if (id == H_FROM)
			msg->has_from = 1;
		else
			msg->has_to = 1;
		return SA_R_OK;
	case H_CALLID:
		msg->call_id = sa_mkspan(h->val, n);
		return SA_R_OK;
	case H_CSEQ:
		p = h->val;
		while (p < h->val_end && sa_isdigit(m[p]))
			p++;
		if (!sa_parse_uint(m + h->val, p - h->val, 0xffffffffU, &v))
			return SA_R_BAD_HEADER;
		msg->cseq = v;
		if (p >= h->val_end || !sa_isws(m[p]))
			return SA_R_BAD_HEADER;
		p = sa_skip_ws(m, p, h->val_end);
		/* the request's own method (RFC 3261 8.1.1.5) */
		if (msg->is_request &&
		    (h->val_end - p != msg->method_span.len ||
		     memcmp(m + p, m + msg->method_span.off, h->val_end - p)))
			return SA_R_BAD_HEADER;
		msg->cseq_method = sa_method_id(m + p, h->val_end - p);
		return SA_R_OK;
	case H_CLEN:
		if (msg->has_clen || !sa_clen_value(m, h, &v))
			return SA_R_BAD_CLEN;
		if (v > SA_MAX_MSG)
			return SA_R_TOO_BIG;
		msg->has_clen = 1;
		msg->clen = sa_mkspan(h->val, n);
		msg->clen_val = v;
		return SA_R_OK;
	case H_CTYPE:
		if (msg->ctype.len)
			return SA_R_BAD_HEADER;
		msg->ctype = sa_mkspan(h->val, n);
		return SA_R_OK;
	case H_CENC:
		if (!sa_ieq(m + h->val, n, "identity", 8))
			msg->body_encoded = 1;
		return SA_R_OK;
	case H_EXPIRES:
		if (sa_parse_uint(m + h->val, n, 0x7fffffff, &v))
			msg->expires = v;
		return SA_R_OK;
	default:
		return SA_R_OK;
	}
}

enum sa_reason sa_parse(const u8 *msg, size_t len, enum sa_transport t,
			struct sa_msg *m)
{
	u32 pos = 0, s, e, blen;
	const u8 *lf;
	struct sa_hdr h;
	enum sa_reason r;
	int rc;

	sa_msg_init(m);
	if (len > SA_MAX_MSG)
		return SA_R_TOO_BIG;
	/* RFC 3261 7.5: CRLFs before the start line are ignored */
	while (pos < len && (msg[pos] == '\r' || msg[pos] == '\n'))
		pos++;
	if (pos == len)
		return SA_R_NOT_SIP;
	lf = sa_memchr(msg + pos, '\n', len - pos);
	if (!lf) {
		/* a SIP start line begins with a method or "SIP/" */
		return (msg[pos] >= 'A' && msg[pos] <= 'Z') ? SA_R_TRUNCATED :
							      SA_R_NOT_SIP;
	}
	s = pos;
	e = lf - msg;
	if (e > s && msg[e - 1] == '\r')
		e--;
	m->start_line = sa_mkspan(s, e - s);
	r = sa_parse_start(msg, s, e, m);
	if (r)
		return r;
	pos = lf - msg + 1;
	for (;;) {
		rc = sa_hdr_next(msg, len, pos, &h);
		if (rc < 0)
			return -rc;
		if (rc == 0)
			break;
		r = sa_parse_header(msg, &h, m);
		if (r)
			return r;
		pos = h.next;
	}
	m->hdr_len = h.next;
	blen = len - h.next;
	m->body = sa_mkspan(h.next, blen);
	if (!m->is_request)
		m->method = m->cseq_method;
	if (!m->n_via)
		return SA_R_BAD_VIA;
	if (t == SA_T_TCP && !m->has_clen)
		return SA_R_NO_CLEN;
	if (m->has_clen && m->clen_val != blen)
		return SA_R_BAD_CLEN;
	return sa_parse_body(msg, m);
}
