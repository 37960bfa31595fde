/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipcore internals: character classes, bounded number and address
 * parsing, text formatting. Not part of the API.
 */
#ifndef SIPALG_SA_UTIL_H
#define SIPALG_SA_UTIL_H

#include "sipcore.h"

/* character classes (bit flags in sa_ctype[]) */
#define SA_C_DIGIT	0x01
#define SA_C_ALPHA	0x02
#define SA_C_TOKEN	0x04	/* RFC 3261 token */
#define SA_C_HOST	0x08	/* hostname characters: alnum - . _ */
#define SA_C_WS		0x10	/* SP HT CR LF (CR/LF only inside folded values) */
#define SA_C_HEX	0x20
#define SA_C_ESPEC	0x40	/* , " < : what matters when splitting a list */
#define SA_C_PSTOP	0x80	/* ends an unquoted parameter value */
#define SA_C_URIBAD	0x100	/* never inside a URI: controls SP " < > DEL */
#define SA_C_SCHEME	0x200	/* URI scheme characters after the first */
#define SA_C_AT		0x400	/* '@' */

extern const uint16_t sa_ctype[256];

static inline bool sa_isdigit(uint8_t c)
{
	return sa_ctype[c] & SA_C_DIGIT;
}

static inline bool sa_istoken(uint8_t c)
{
	return sa_ctype[c] & SA_C_TOKEN;
}

static inline bool sa_isws(uint8_t c)
{
	return sa_ctype[c] & SA_C_WS;
}

static inline uint8_t sa_lower(uint8_t c)
{
	return c + (((unsigned int)(c - 'A') < 26u) << 5);
}

static inline struct sa_span sa_mkspan(uint32_t off, uint32_t len)
{
	struct sa_span s = { off, len };

	return s;
}

/* p[0..n) equals the lower-case literal lit (of length n), ignoring case */
static inline bool sa_ieq(const uint8_t *p, size_t n, const char *lit,
			  size_t litlen)
{
	size_t i;

	if (n != litlen)
		return false;
	for (i = 0; i < n; i++)
		if (sa_lower(p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* up to 8 bytes of p, zero-extended; n is a constant after inlining */
static inline uint64_t sa_ld(const void *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

/*
 * p[0..n) equals the lower-case literal lit of the same length n (2..16),
 * ignoring case, for a p made of token characters only: OR-ing 0x20 into
 * a token character gives lit's byte only for that byte itself or its
 * upper-case letter ('-' would also come from CR, which is no token).
 * Reads exactly n bytes of p, a word or two at a time.
 */
static inline bool sa_tok_ieq(const uint8_t *p, const char *lit, size_t n)
{
	const uint64_t sp = 0x2020202020202020ULL;	/* lit has 0x20 set */
	size_t h = n > 8 ? 8 : n;

	if ((sa_ld(p, h) | sp) != (sa_ld(lit, h) | sp))
		return false;
	if (n <= 8)
		return true;
	return (sa_ld(p + n - 8, 8) | sp) == sa_ld(lit + n - 8, 8);
}

/* sa_ip_eq(), inlined for the planner */
static inline bool sa_ip_same(const struct sa_ip *a, const struct sa_ip *b)
{
	uint64_t x[2], y[2];
	uint32_t u, v;

	if (a->family != b->family || !a->family)
		return false;
	if (a->family == 4) {
		memcpy(&u, a->addr, 4);
		memcpy(&v, b->addr, 4);
		return u == v;
	}
	memcpy(x, a->addr, 16);
	memcpy(y, b->addr, 16);
	return x[0] == y[0] && x[1] == y[1];
}

/* whole of p[0..n) is 1..10 digits with value <= max */
bool sa_parse_uint(const uint8_t *p, size_t n, uint32_t max, uint32_t *out);
/* skip SP/HT/CR/LF forward from pos, up to end */
static inline uint32_t sa_skip_ws(const uint8_t *m, uint32_t pos,
				  uint32_t end)
{
	while (pos < end && sa_isws(m[pos]))
		pos++;
	return pos;
}

/* end of a quoted string starting at pos (on the '"'): offset after the
 * closing quote, or 0 when unterminated
 */
uint32_t sa_skip_quoted(const uint8_t *m, uint32_t pos, uint32_t end);

bool sa_parse_ip4(const uint8_t *p, size_t n, struct sa_ip *ip);
bool sa_parse_ip6(const uint8_t *p, size_t n, struct sa_ip *ip);
size_t sa_fmt_uint(uint32_t v, char *buf);

/*
 * Parse host[:port] at m[pos..end). On success fill hp (def_port set by the
 * caller) and return the offset after it; return 0 when malformed.
 */
uint32_t sa_parse_hostport(const uint8_t *m, uint32_t pos, uint32_t end,
			   struct sa_hostport *hp);

/*
 * Parse a URI occupying exactly m[s..e). sip:/sips: URIs fill hp (host
 * span len 0 when the URI is another scheme). Returns false when a sip/sips
 * URI is malformed.
 */
bool sa_parse_uri(const uint8_t *m, uint32_t s, uint32_t e,
		  struct sa_hostport *hp);

/* SDP / multipart (sdp.c) */
enum sa_reason sa_parse_sdp(const uint8_t *m, uint32_t s, uint32_t e,
			    struct sa_sdp *sdp);
enum sa_reason sa_parse_body(const uint8_t *msg, struct sa_msg *m);

#endif /* SIPALG_SA_UTIL_H */
