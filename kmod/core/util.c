// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore helpers: character classes, bounded number parsing, IPv4/IPv6
 * text <-> binary, host[:port] and sip:/sips: URI parsing.
 */
#include "sa_util.h"

#define D (SA_C_DIGIT | SA_C_TOKEN | SA_C_HOST | SA_C_HEX | SA_C_SCHEME)
#define X (SA_C_ALPHA | SA_C_TOKEN | SA_C_HOST | SA_C_HEX | SA_C_SCHEME)
#define A (SA_C_ALPHA | SA_C_TOKEN | SA_C_HOST | SA_C_SCHEME)
#define W (SA_C_WS | SA_C_PSTOP | SA_C_URIBAD)

const u16 sa_ctype[256] = {
	[0 ... 8] = SA_C_URIBAD,
	['\t'] = W, ['\n'] = W,
	[11 ... 12] = SA_C_URIBAD,
	['\r'] = W,
	[14 ... 31] = SA_C_URIBAD,
	[' '] = W,
	['0' ... '9'] = D,
	['a' ... 'f'] = X, ['A' ... 'F'] = X,
	['g' ... 'z'] = A, ['G' ... 'Z'] = A,
	['-'] = SA_C_TOKEN | SA_C_HOST | SA_C_SCHEME,
	['.'] = SA_C_TOKEN | SA_C_HOST | SA_C_SCHEME,
	['+'] = SA_C_TOKEN | SA_C_SCHEME,
	['_'] = SA_C_TOKEN | SA_C_HOST,
	['!'] = SA_C_TOKEN, ['%'] = SA_C_TOKEN, ['*'] = SA_C_TOKEN,
	['`'] = SA_C_TOKEN, ['\''] = SA_C_TOKEN, ['~'] = SA_C_TOKEN,
	['"'] = SA_C_ESPEC | SA_C_PSTOP | SA_C_URIBAD,
	['<'] = SA_C_ESPEC | SA_C_PSTOP | SA_C_URIBAD,
	['>'] = SA_C_PSTOP | SA_C_URIBAD,
	[','] = SA_C_ESPEC | SA_C_PSTOP,
	[';'] = SA_C_PSTOP,
	[0x7f] = SA_C_URIBAD,
	['@'] = SA_C_AT,
};

#undef D
#undef X
#undef A
#undef W

bool sa_parse_uint(const u8 *p, size_t n, u32 max, u32 *out)
{
	u64 v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	/* 10 digits fit in 64 bits: one range check at the end */
	for (i = 0; i < n; i++) {
		u32 d = (u32)p[i] - '0';

		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	/* 4294967290 and up are refused as out of range, whatever max is */
	if (v > max || v > 4294967289ULL)
		return false;
	*out = v;
	return true;
}

u32 sa_skip_quoted(const u8 *m, u32 pos, u32 end)
{
	pos++;
	while (pos < end) {
		if (m[pos] == '\\') {
			pos += 2;
			continue;
		}
		if (m[pos] == '"')
			return pos + 1;
		pos++;
	}
	return 0;
}

bool sa_parse_ip4(const u8 *p, size_t n, struct sa_ip *ip)
{
	u32 w;

	if (n < 7 || n > 15 || sa_ip4_prefix(p, n, &w) != n)
		return false;
	sa_ip4_set(ip, w);
	return true;
}

static int sa_hexval(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sa_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 4291 section 2.2 text forms, with an optional trailing dotted quad */
bool sa_parse_ip6(const u8 *p, size_t n, struct sa_ip *ip)
{
	u8 a[16];
	int ngroups = 0, gap = -1, i;
	size_t pos = 0;

	if (n < 2 || n > 45)
		return false;
	if (p[0] == ':') {
		if (p[1] != ':')
			return false;
		gap = 0;
		pos = 2;
		if (pos == n)
			goto done;
	}
	for (;;) {
		size_t start = pos;
		u32 v = 0;
		int h;

		while (pos < n && pos - start < 5 &&
		       (h = sa_hexval(p[pos])) >= 0) {
			v = v * 16 + h;
			pos++;
		}
		if (pos == start || pos - start > 4)
			return false;
		if (pos < n && p[pos] == '.') {
			/* embedded IPv4 in the last 32 bits */
			struct sa_ip v4;

			if (ngroups > 6 || !sa_parse_ip4(p + start, n - start, &v4))
				return false;
			memcpy(a + 2 * ngroups, v4.addr, 4);
			ngroups += 2;
			break;
		}
		if (ngroups >= 8)
			return false;
		a[2 * ngroups] = v >> 8;
		a[2 * ngroups + 1] = v & 0xff;
		ngroups++;
		if (pos == n)
			break;
		if (p[pos] != ':' || pos + 1 >= n)
			return false;
		pos++;
		if (p[pos] == ':') {
			if (gap >= 0)
				return false;
			gap = ngroups;
			pos++;
			if (pos == n)
				break;
		}
	}
done:
	if (gap < 0) {
		if (ngroups != 8)
			return false;
	} else {
		int tail = ngroups - gap;

		if (ngroups > 7)
			return false;
		/* move the groups after "::" to the end, zero the gap */
		for (i = tail - 1; i >= 0; i--) {
			a[16 - 2 * (tail - i)] = a[2 * (gap + i)];
			a[16 - 2 * (tail - i) + 1] = a[2 * (gap + i) + 1];
		}
		memset(a + 2 * gap, 0, 16 - 2 * ngroups);
	}
	memset(ip, 0, sizeof(*ip));
	ip->family = 6;
	memcpy(ip->addr, a, 16);
	return true;
}

size_t sa_fmt_uint(u32 v, char *buf)
{
	size_t n, i;
	u32 t;

	/* ports and message lengths have at most 5 digits */
	n = 1 + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000);
	if (unlikely(v >= 100000))
		n += 1 + (v >= 1000000) + (v >= 10000000) +
		     (v >= 100000000) + (v >= 1000000000);
	/* two digits at a time, from the end */
	i = n;
	while (v >= 10) {
		t = v % 100;
		v /= 100;
		buf[--i] = '0' + t % 10;
		buf[--i] = '0' + t / 10;
	}
	if (i)
		buf[0] = '0' + v;
	return n;
}

/*
 * An IPv4 address byte as text: its digits, NUL padded to 4 bytes, and in
 * the last byte the number of digits. Formatting copies the 4 bytes
 * (writing past the digits, where the next write goes): no division, no
 * branch on the value, no dependency chain.
 */
#define SA_O(v) { \
	'0' + ((v) >= 100 ? (v) / 100 : (v) >= 10 ? (v) / 10 : (v)) % 10, \
	(v) >= 100 ? '0' + (v) / 10 % 10 : (v) >= 10 ? '0' + (v) % 10 : 0, \
	(v) >= 100 ? '0' + (v) % 10 : 0, \
	(v) >= 100 ? 3 : (v) >= 10 ? 2 : 1 }

static const char sa_oct[256][4] = {
	SA_O(0), SA_O(1), SA_O(2), SA_O(3), SA_O(4), SA_O(5), SA_O(6), SA_O(7),
	SA_O(8), SA_O(9), SA_O(10), SA_O(11), SA_O(12), SA_O(13), SA_O(14),
	SA_O(15), SA_O(16), SA_O(17), SA_O(18), SA_O(19), SA_O(20), SA_O(21),
	SA_O(22), SA_O(23), SA_O(24), SA_O(25), SA_O(26), SA_O(27), SA_O(28),
	SA_O(29), SA_O(30), SA_O(31), SA_O(32), SA_O(33), SA_O(34), SA_O(35),
	SA_O(36), SA_O(37), SA_O(38), SA_O(39), SA_O(40), SA_O(41), SA_O(42),
	SA_O(43), SA_O(44), SA_O(45), SA_O(46), SA_O(47), SA_O(48), SA_O(49),
	SA_O(50), SA_O(51), SA_O(52), SA_O(53), SA_O(54), SA_O(55), SA_O(56),
	SA_O(57), SA_O(58), SA_O(59), SA_O(60), SA_O(61), SA_O(62), SA_O(63),
	SA_O(64), SA_O(65), SA_O(66), SA_O(67), SA_O(68), SA_O(69), SA_O(70),
	SA_O(71), SA_O(72), SA_O(73), SA_O(74), SA_O(75), SA_O(76), SA_O(77),
	SA_O(78), SA_O(79), SA_O(80), SA_O(81), SA_O(82), SA_O(83), SA_O(84),
	SA_O(85), SA_O(86), SA_O(87), SA_O(88), SA_O(89), SA_O(90), SA_O(91),
	SA_O(92), SA_O(93), SA_O(94), SA_O(95), SA_O(96), SA_O(97), SA_O(98),
	SA_O(99), SA_O(100), SA_O(101), SA_O(102), SA_O(103), SA_O(104),
	SA_O(105), SA_O(106), SA_O(107), SA_O(108), SA_O(109), SA_O(110),
	SA_O(111), SA_O(112), SA_O(113), SA_O(114), SA_O(115), SA_O(116),
	SA_O(117), SA_O(118), SA_O(119), SA_O(120), SA_O(121), SA_O(122),
	SA_O(123), SA_O(124), SA_O(125), SA_O(126), SA_O(127), SA_O(128),
	SA_O(129), SA_O(130), SA_O(131), SA_O(132), SA_O(133), SA_O(134),
	SA_O(135), SA_O(136), SA_O(137), SA_O(138), SA_O(139), SA_O(140),
	SA_O(141), SA_O(142), SA_O(143), SA_O(144), SA_O(145), SA_O(146),
	SA_O(147), SA_O(148), SA_O(149), SA_O(150), SA_O(151), SA_O(152),
	SA_O(153), SA_O(154), SA_O(155), SA_O(156), SA_O(157), SA_O(158),
	SA_O(159), SA_O(160), SA_O(161), SA_O(162), SA_O(163), SA_O(164),
	SA_O(165), SA_O(166), SA_O(167), SA_O(168), SA_O(169), SA_O(170),
	SA_O(171), SA_O(172), SA_O(173), SA_O(174), SA_O(175), SA_O(176),
	SA_O(177), SA_O(178), SA_O(179), SA_O(180), SA_O(181), SA_O(182),
	SA_O(183), SA_O(184), SA_O(185), SA_O(186), SA_O(187), SA_O(188),
	SA_O(189), SA_O(190), SA_O(191), SA_O(192), SA_O(193), SA_O(194),
	SA_O(195), SA_O(196), SA_O(197), SA_O(198), SA_O(199), SA_O(200),
	SA_O(201), SA_O(202), SA_O(203), SA_O(204), SA_O(205), SA_O(206),
	SA_O(207), SA_O(208), SA_O(209), SA_O(210), SA_O(211), SA_O(212),
	SA_O(213), SA_O(214), SA_O(215), SA_O(216), SA_O(217), SA_O(218),
	SA_O(219), SA_O(220), SA_O(221), SA_O(222), SA_O(223), SA_O(224),
	SA_O(225), SA_O(226), SA_O(227), SA_O(228), SA_O(229), SA_O(230),
	SA_O(231), SA_O(232), SA_O(233), SA_O(234), SA_O(235), SA_O(236),
	SA_O(237), SA_O(238), SA_O(239), SA_O(240), SA_O(241), SA_O(242),
	SA_O(243), SA_O(244), SA_O(245), SA_O(246), SA_O(247), SA_O(248),
	SA_O(249), SA_O(250), SA_O(251), SA_O(252), SA_O(253), SA_O(254),
	SA_O(255),
};

#undef SA_O

/* writes 4 bytes, returns how many are digits */
static inline size_t sa_fmt_octet(u32 v, char *buf)
{
	memcpy(buf, sa_oct[v], 4);
	return sa_oct[v][3];
}

static const char sa_hexdig[] = "0123456789abcdef";

/* RFC 5952: lower case, no leading zeros, longest zero run (>= 2) as "::" */
size_t sa_ip_str(const struct sa_ip *ip, char *buf)
{
	int best = -1, bestlen = 1, run = 0, i;
	size_t n = 0;

	if (ip->family == 4) {
		/* each octet writes past its digits: the next one overwrites */
		for (i = 0; i < 4; i++) {
			n += sa_fmt_octet(ip->addr[i], buf + n);
			buf[n++] = '.';
		}
		buf[--n] = 0;
		return n;
	}
	if (ip->family != 6) {
		buf[0] = 0;
		return 0;
	}
	for (i = 0; i < 8; i++) {
		if (!ip->addr[2 * i] && !ip->addr[2 * i + 1]) {
			run++;
			if (run > bestlen) {
				bestlen = run;
				best = i - run + 1;
			}
		} else {
			run = 0;
		}
	}
	for (i = 0; i < 8; i++) {
		unsigned int g = (ip->addr[2 * i] << 8) | ip->addr[2 * i + 1];
		int sh, started = 0;

		if (i == best) {
			buf[n++] = ':';
			if (i == 0)
				buf[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		for (sh = 12; sh >= 0; sh -= 4) {
			unsigned int d = (g >> sh) & 0xf;

			if (d || started || sh == 0) {
				buf[n++] = sa_hexdig[d];
				started = 1;
			}
		}
		if (i < 7)
			buf[n++] = ':';
	}
	buf[n] = 0;
	return n;
}

bool sa_ip_from_str(const char *s, size_t n, struct sa_ip *ip)
{
	const u8 *p = (const u8 *)s;

	if (n >= 2 && p[0] == '[' && p[n - 1] == ']')
		return sa_parse_ip6(p + 1, n - 2, ip);
	if (sa_memchr(p, ':', n))
		return sa_parse_ip6(p, n, ip);
	return sa_parse_ip4(p, n, ip);
}

/* ZoneID = 1*( unreserved / pct-encoded ), after "%25", up to e */
static bool sa_ip6_zone_ok(const u8 *z, const u8 *e)
{
	if (e - z < 4 || z[1] != '2' || z[2] != '5')
		return false;
	for (z += 3; z < e; z++) {
		if (*z == '%') {
			if (e - z < 3 || !(sa_ctype[z[1]] & SA_C_HEX) ||
			    !(sa_ctype[z[2]] & SA_C_HEX))
				return false;
			z += 2;
		} else if (!(sa_ctype[*z] & SA_C_HOST) && *z != '~') {
			/* unreserved: the host characters and '~' */
			return false;
		}
	}
	return true;
}

u32 sa_parse_hostport(const u8 *m, u32 pos, u32 end,
		      struct sa_hostport *hp)
{
	u32 s = pos, digits_dots = 1, v, d, w;

	memset(&hp->ep, 0, sizeof(hp->ep));
	hp->port = sa_mkspan(0, 0);
	if (pos >= end)
		return 0;
	if (sa_isdigit(m[pos])) {
		/*
		 * An IPv4 address in one pass: what follows it must end the
		 * host, else the host is looked at whole below.
		 */
		v = sa_ip4_prefix(m + pos, end - pos, &w);
		if (v && (pos + v == end ||
			  !(sa_ctype[m[pos + v]] & SA_C_HOST))) {
			sa_ip4_set(&hp->ep.ip, w);
			pos += v;
			goto port;
		}
	}
	if (m[pos] == '[') {
		const u8 *rb = sa_memchr(m + pos, ']', end - pos);
		const u8 *zone;

		if (!rb)
			return 0;
		pos = rb - m;
		zone = sa_memchr(m + s + 1, '%', pos - s - 1);
		if (zone) {
			/*
			 * RFC 6874: [fe80::1%25eth0]. A zone names a link-local
			 * address, which no NAT translates: valid, but to us a
			 * name that matches nothing.
			 */
			struct sa_ip ll;

			if (!sa_ip6_zone_ok(zone, m + pos) ||
			    !sa_parse_ip6(m + s + 1, zone - (m + s + 1), &ll))
				return 0;
		} else if (!sa_parse_ip6(m + s + 1, pos - s - 1, &hp->ep.ip)) {
			return 0;
		}
		pos++;
	} else {
		pos = sa_skip_class(m, pos, end, SA_C_HOST, true);
		if (pos == s)
			return 0;
		if (sa_isdigit(m[s]) &&
		    !sa_parse_ip4(m + s, pos - s, &hp->ep.ip)) {
			/* digits and dots only: a broken IPv4 address */
			for (v = s; v < pos; v++)
				if (!sa_isdigit(m[v]) && m[v] != '.')
					digits_dots = 0;
			if (digits_dots)
				return 0;
		}
		if (!hp->ep.ip.family &&
		    (m[s] == '.' || m[s] == '-' || m[pos - 1] == '-'))
			return 0;
	}
port:
	hp->host = sa_mkspan(s, pos - s);
	if (pos < end && m[pos] == ':') {
		u32 ps = ++pos;

		/* 1 to 10 digits, 1 to 65535 */
		v = 0;
		while (pos < end && (d = (u32)m[pos] - '0') <= 9) {
			v = v * 10 + d;
			if (v > 65535)
				return 0;
			pos++;
		}
		if (pos == ps || pos - ps > 10 || !v)
			return 0;
		hp->port = sa_mkspan(ps, pos - ps);
		hp->ep.port = v;
	}
	return pos;
}

bool sa_parse_uri(const u8 *m, u32 s, u32 e,
		  struct sa_hostport *hp)
{
	const u8 *at;
	u32 pos, ue;
	u16 def_port = 0;

	memset(hp, 0, sizeof(*hp));
	/*
	 * scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; "sip:"
	 * and "sips:" (almost every URI we see) are such a scheme.
	 */
	if (e - s >= 4 && sa_ieq(m + s, 4, "sip:", 4)) {
		def_port = SA_PORT_SIP;
		pos = s + 4;
	} else if (e - s >= 5 && sa_ieq(m + s, 5, "sips:", 5)) {
		def_port = SA_PORT_SIPS;
		pos = s + 5;
	} else {
		if (s >= e || !(sa_ctype[m[s]] & SA_C_ALPHA))
			return false;
		pos = s + 1;
		while (pos < e && (sa_ctype[m[pos]] & SA_C_SCHEME))
			pos++;
		if (pos >= e || m[pos] != ':')
			return false;
	}
	/*
	 * The first '@' ends the userinfo (none may follow in host, params
	 * or headers: RFC 3261 25.1). No white space, controls or
	 * delimiters of the enclosing header in the userinfo (the host is
	 * checked by its own parser) nor at the end of the URI; parameters
	 * are not looked into.
	 */
	at = sa_memchr(m + pos, '@', e - pos);
	if (at) {
		ue = at - m;
		/* the scheme has none of them: check from pos on */
		while (pos < ue)
			if (sa_ctype[m[pos++]] & SA_C_URIBAD)
				return false;
	}
	if (sa_ctype[m[e - 1]] & SA_C_URIBAD)
		return false;
	if (!def_port)
		return true;	/* another scheme: nothing to map */
	hp->def_port = def_port;
	/* an empty user ("sip:@host") is invalid but sent by real devices */
	pos = at ? at - m + 1 : pos;
	pos = sa_parse_hostport(m, pos, e, hp);
	if (!pos)
		return false;
	return pos == e || m[pos] == ';' || m[pos] == '?';
}

enum sa_match sa_hp_match(const struct sa_hostport *hp, const struct sa_ep *ep)
{
	u16 port = sa_hp_port(hp);

	if (!sa_ip_eq(&hp->ep.ip, &ep->ip))
		return SA_MATCH_NONE;
	return port == ep->port ? SA_MATCH_FULL : SA_MATCH_IP;
}
