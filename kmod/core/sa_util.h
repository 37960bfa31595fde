/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipcore internals: character classes, bounded number and address
 * parsing, text formatting. Not part of the API.
 */
#ifndef SIPALG_SA_UTIL_H
#define SIPALG_SA_UTIL_H

#include "sipcore.h"

/*
 * __always_inline comes from the kernel's compiler_types.h, or in
 * userspace from glibc's sys/cdefs.h (through string.h); unlikely() from
 * linux/compiler.h.
 */
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

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

extern const u16 sa_ctype[256];

static inline bool sa_isdigit(u8 c)
{
	return sa_ctype[c] & SA_C_DIGIT;
}

static inline bool sa_istoken(u8 c)
{
	return sa_ctype[c] & SA_C_TOKEN;
}

static inline bool sa_isws(u8 c)
{
	return sa_ctype[c] & SA_C_WS;
}

static inline u8 sa_lower(u8 c)
{
	return c + (((unsigned int)(c - 'A') < 26u) << 5);
}

/*
 * memset(p, 0, n) for a constant n, as memsets of at most 64 bytes: the
 * compiler writes those with plain stores, where one longer memset may
 * become "rep stos", whose start-up costs more than all the stores.
 */
static __always_inline void sa_zero(void *p, size_t n)
{
	char *c = p;

	while (n > 64) {
		memset(c, 0, 64);
		c += 64;
		n -= 64;
	}
	memset(c, 0, n);
}

static inline struct sa_span sa_mkspan(u32 off, u32 len)
{
	struct sa_span s = { off, len };

	return s;
}

/*
 * Unaligned loads of 2, 4 and 8 bytes. Each is one load of its own width:
 * never assemble a word from narrower stores (the load that follows would
 * wait for a failed store-to-load forward).
 */
static inline u16 sa_ld16(const void *p)
{
	u16 v;

	memcpy(&v, p, 2);
	return v;
}

static inline u32 sa_ld32(const void *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static inline u64 sa_ld64(const void *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * p[0..n) equals the lower-case literal lit of the same length n (1..16),
 * ignoring case, for a p made of token characters only: OR-ing 0x20 into
 * a token character gives lit's byte only for that byte itself or its
 * upper-case letter ('-' would also come from CR, which is no token).
 * Reads exactly n bytes of p, as two (possibly overlapping) loads of the
 * widest size that fits; n is a constant after inlining.
 */
static __always_inline bool sa_tok_ieq(const u8 *p, const char *lit,
				       size_t n)
{
	const u64 sp = 0x2020202020202020ULL;		/* lit has 0x20 set */

	if (n >= 8)
		return !(((sa_ld64(p) | sp) ^ (sa_ld64(lit) | sp)) |
			 ((sa_ld64(p + n - 8) | sp) ^
			  (sa_ld64(lit + n - 8) | sp)));
	if (n >= 4)
		return !(((sa_ld32(p) | sp) ^ (sa_ld32(lit) | sp)) |
			 ((sa_ld32(p + n - 4) | sp) ^
			  (sa_ld32(lit + n - 4) | sp)));
	if (n >= 2)
		return !(((sa_ld16(p) | sp) ^ (sa_ld16(lit) | sp)) |
			 ((sa_ld16(p + n - 2) | sp) ^
			  (sa_ld16(lit + n - 2) | sp)));
	return (p[0] | 0x20) == (lit[0] | 0x20);
}

/*
 * The bytes of x with 'A'..'Z' turned into lower case, all at once: per
 * byte, bit 7 of ge is set when its low 7 bits are >= 'A', of gt when
 * they are > 'Z' (no carry crosses a byte); bytes >= 0x80 are left alone.
 */
static inline u64 sa_lower8(u64 x)
{
	const u64 ones = 0x0101010101010101ULL;
	const u64 high = 0x8080808080808080ULL;
	u64 lo7 = x & ~high;
	u64 ge = lo7 + (0x80 - 'A') * ones;
	u64 gt = lo7 + (0x7f - 'Z') * ones;

	return x | ((ge & ~gt & ~x & high) >> 2);
}

/*
 * p[0..n) equals the lower-case literal lit (of length litlen), ignoring
 * case, for any bytes. litlen is a constant after inlining: the compare is
 * a few word loads, never a byte loop.
 */
static __always_inline bool sa_ieq(const u8 *p, size_t n,
				   const char *lit, size_t litlen)
{
	size_t i;

	if (n != litlen)
		return false;
	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			if (sa_lower8(sa_ld64(p + i)) != sa_ld64(lit + i))
				return false;
		return sa_lower8(sa_ld64(p + n - 8)) == sa_ld64(lit + n - 8);
	}
	if (n >= 4)
		return !((sa_lower8(sa_ld32(p)) ^ sa_ld32(lit)) |
			 (sa_lower8(sa_ld32(p + n - 4)) ^
			  sa_ld32(lit + n - 4)));
	if (n >= 2)
		return !((sa_lower8(sa_ld16(p)) ^ sa_ld16(lit)) |
			 (sa_lower8(sa_ld16(p + n - 2)) ^
			  sa_ld16(lit + n - 2)));
	return !n || sa_lower(p[0]) == (u8)lit[0];
}

/* p[0..n) equals the literal lit of the same constant length n (2..16) */
static __always_inline bool sa_eq(const u8 *p, const char *lit, size_t n)
{
	if (n >= 8)
		return !((sa_ld64(p) ^ sa_ld64(lit)) |
			 (sa_ld64(p + n - 8) ^ sa_ld64(lit + n - 8)));
	if (n >= 4)
		return !((sa_ld32(p) ^ sa_ld32(lit)) |
			 (sa_ld32(p + n - 4) ^ sa_ld32(lit + n - 4)));
	return !((sa_ld16(p) ^ sa_ld16(lit)) |
		 (sa_ld16(p + n - 2) ^ sa_ld16(lit + n - 2)));
}

/*
 * Bit 7 of each byte of the result is set when that byte of x is a
 * letter, a digit, '-' or '.': the characters that make most of header
 * names, host names, tags and branches. Computed on the 7 low bits (no
 * carry crosses a byte); bytes >= 0x80 are none of them.
 */
static inline u64 sa_swar_common(u64 x)
{
	const u64 ones = 0x0101010101010101ULL;
	const u64 high = 0x8080808080808080ULL;
	u64 lo = x & ~high, l = lo | 0x20 * ones;
	u64 alpha, dig;

	/* letters: l (case folded) in 'a'..'z' */
	alpha = (l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'z' - 1) * ones);
	/* '-' '.' '/' and digits: lo in 0x2d..0x39, then not '/' */
	dig = (lo + (0x80 - '-') * ones) & ~(lo + (0x80 - '9' - 1) * ones);
	dig &= (lo ^ '/' * ones) + 0x7f * ones;
	return (alpha | dig) & ~x & high;
}

/*
 * The first offset from pos on (up to end) whose byte is not in the class
 * cls (sa_ctype bits), or with in false, the first whose byte is: for runs
 * where letters, digits, '-' and '.' (which must all qualify) are the
 * rule, eight bytes a step while they all are such, then byte by byte.
 * Worth it on runs of 8 bytes and more (host names, branch values); it
 * costs on short ones.
 */
static __always_inline u32 sa_skip_class(const u8 *m, u32 pos,
					 u32 end, u16 cls,
					 bool in)
{
	const u64 high = 0x8080808080808080ULL;
	u64 bad;

	while (pos + 8 <= end) {
		bad = ~sa_swar_common(sa_ld64(m + pos)) & high;
		if (bad) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			pos += __builtin_clzll(bad) >> 3;
#else
			pos += __builtin_ctzll(bad) >> 3;
#endif
			break;
		}
		pos += 8;
	}
	while (pos < end && !(sa_ctype[m[pos]] & cls) == !in)
		pos++;
	return pos;
}

/*
 * memchr(p, c, n) as eight bytes a step, for kernels whose memchr is
 * lib/string.c's, which tests one byte per loop (x86-64 has no arch
 * version; arm64 has one and defines __HAVE_ARCH_MEMCHR). Every header
 * and SDP line of a message is searched for its LF, so that loop ran
 * over every byte at least once (twice on TCP, framing and parsing). In
 * userspace the C library's vector memchr is faster still: sa_memchr()
 * is that there, and the unit tests hold this one to it.
 *
 * Per word, a byte of x = w ^ (c in every byte) is zero where w holds c;
 * ((x & 7f..) + 7f..) | x | 7f.. has bit 7 clear exactly in those bytes
 * (no carry crosses a byte, so unlike the shorter (x - 01..) & ~x test no
 * byte after a match is flagged, on either byte order). Never reads
 * outside p[0..n): the last partial word is one load ending at p + n,
 * over bytes already searched.
 */
static inline const u8 *sa_memchr_swar(const u8 *p, u8 c, size_t n)
{
	const u64 lo7 = 0x7f7f7f7f7f7f7f7fULL;
	const u64 cc = c * 0x0101010101010101ULL;
	size_t i = 0;
	u64 x, hit;

	if (n < 8) {
		for (; i < n; i++)
			if (p[i] == c)
				return p + i;
		return NULL;
	}
	for (;;) {
		if (i > n - 8)
			i = n - 8;
		x = sa_ld64(p + i) ^ cc;
		hit = ~(((x & lo7) + lo7) | x | lo7);
		if (hit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			return p + i + (__builtin_clzll(hit) >> 3);
#else
			return p + i + (__builtin_ctzll(hit) >> 3);
#endif
		}
		if (i == n - 8)
			return NULL;
		i += 8;
	}
}

static inline const u8 *sa_memchr(const u8 *p, u8 c, size_t n)
{
#if defined(__KERNEL__) && !defined(__HAVE_ARCH_MEMCHR)
	return sa_memchr_swar(p, c, n);
#else
	return memchr(p, c, n);
#endif
}

/* whole of p[0..n) is 1..10 digits with value <= max */
bool sa_parse_uint(const u8 *p, size_t n, u32 max, u32 *out);
/* skip SP/HT/CR/LF forward from pos, up to end */
static inline u32 sa_skip_ws(const u8 *m, u32 pos,
			     u32 end)
{
	while (pos < end && sa_isws(m[pos]))
		pos++;
	return pos;
}

/* end of a quoted string starting at pos (on the '"'): offset after the
 * closing quote, or 0 when unterminated
 */
u32 sa_skip_quoted(const u8 *m, u32 pos, u32 end);

/*
 * The IPv4 dotted quad at the start of p[0..n): octets of 1 to 3 digits
 * (at most 255) taken greedily. Returns its length with the address in *w
 * (first octet in the high byte), or 0 when p does not start with one.
 */
static inline u32 sa_ip4_prefix(const u8 *p, u32 n,
				u32 *w)
{
	u32 i = 0, v, d, k, a = 0;

	for (k = 0; k < 4; k++) {
		if (k) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
		v = i < n ? (u32)p[i] - '0' : 10;
		if (v > 9)
			return 0;
		i++;
		d = i < n ? (u32)p[i] - '0' : 10;
		if (d <= 9) {
			v = v * 10 + d;
			i++;
			d = i < n ? (u32)p[i] - '0' : 10;
			if (d <= 9) {
				v = v * 10 + d;
				i++;
				if (v > 255)
					return 0;
			}
		}
		/*
		 * kept in a register: bytes stored one by one and read back
		 * as a word would stall the load
		 */
		a = a << 8 | v;
	}
	*w = a;
	return i;
}

static inline void sa_ip4_set(struct sa_ip *ip, u32 w)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	ip->addr[0] = w >> 24;
	ip->addr[1] = w >> 16;
	ip->addr[2] = w >> 8;
	ip->addr[3] = w;
}

bool sa_parse_ip4(const u8 *p, size_t n, struct sa_ip *ip);
bool sa_parse_ip6(const u8 *p, size_t n, struct sa_ip *ip);
size_t sa_fmt_uint(u32 v, char *buf);

/*
 * Parse host[:port] at m[pos..end). On success fill hp (def_port set by the
 * caller) and return the offset after it; return 0 when malformed.
 */
u32 sa_parse_hostport(const u8 *m, u32 pos, u32 end,
		      struct sa_hostport *hp);

/*
 * Parse a URI occupying exactly m[s..e). sip:/sips: URIs fill hp (host
 * span len 0 when the URI is another scheme). Returns false when a sip/sips
 * URI is malformed.
 */
bool sa_parse_uri(const u8 *m, u32 s, u32 e,
		  struct sa_hostport *hp);

/* SDP / multipart (sdp.c) */
enum sa_reason sa_parse_sdp(const u8 *m, u32 s, u32 e,
			    struct sa_sdp *sdp);
enum sa_reason sa_parse_body(const u8 *msg, struct sa_msg *m);

#endif /* SIPALG_SA_UTIL_H */
