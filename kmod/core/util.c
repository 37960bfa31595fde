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

const uint16_t sa_ctype[256] = {
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

bool sa_parse_uint(const uint8_t *p, size_t n, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (!sa_isdigit(p[i]))
			return false;
		/* 429496729 * 10 + 9 still fits in 32 bits */
		if (v > 429496728U)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

uint32_t sa_skip_quoted(const uint8_t *m, uint32_t pos, uint32_t end)
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

bool sa_parse_ip4(const uint8_t *p, size_t n, struct sa_ip *ip)
{
	uint32_t v, d;
	uint8_t a[4];
	size_t i = 0;
	int k;

	if (n < 7 || n > 15)
		return false;
	for (k = 0; k < 4; k++) {
		/* i < n: n >= 7 at first, and a '.' is never the last byte */
		v = (uint32_t)p[i++] - '0';
		if (v > 9)
			return false;
		d = i < n ? (uint32_t)p[i] - '0' : 10;
		if (d <= 9) {
			v = v * 10 + d;
			i++;
			d = i < n ? (uint32_t)p[i] - '0' : 10;
			if (d <= 9) {
				v = v * 10 + d;
				i++;
				if (v > 255)
					return false;
			}
		}
		a[k] = v;
		if (k < 3) {
			if (i + 1 >= n || p[i] != '.')
				return false;
			i++;
		}
	}
	if (i != n)
		return false;
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	memcpy(ip->addr, a, 4);
	return true;
}

static int sa_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sa_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 4291 section 2.2 text forms, with an optional trailing dotted quad */
bool sa_parse_ip6(const uint8_t *p, size_t n, struct sa_ip *ip)
{
	uint8_t a[16];
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
		uint32_t v = 0;
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

size_t sa_fmt_uint(uint32_t v, char *buf)
{
	size_t n = 1, i;
	uint32_t t = v;

	while (t >= 10) {
		t /= 10;
		n++;
	}
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

/* an IPv4 address byte: 1 to 3 digits */
static size_t sa_fmt_u8(uint32_t v, char *buf)
{
	size_t n = 0;

	if (v >= 100) {
		buf[n++] = '0' + v / 100;
		v %= 100;
		buf[n++] = '0' + v / 10;
	} else if (v >= 10) {
		buf[n++] = '0' + v / 10;
	}
	buf[n++] = '0' + v % 10;
	return n;
}

static const char sa_hexdig[] = "0123456789abcdef";

/* RFC 5952: lower case, no leading zeros, longest zero run (>= 2) as "::" */
size_t sa_ip_str(const struct sa_ip *ip, char *buf)
{
	int best = -1, bestlen = 1, run = 0, i;
	size_t n = 0;

	if (ip->family == 4) {
		for (i = 0; i < 4; i++) {
			if (i)
				buf[n++] = '.';
			n += sa_fmt_u8(ip->addr[i], buf + n);
		}
		buf[n] = 0;
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
	const uint8_t *p = (const uint8_t *)s;

	if (n >= 2 && p[0] == '[' && p[n - 1] == ']')
		return sa_parse_ip6(p + 1, n - 2, ip);
	if (memchr(p, ':', n))
		return sa_parse_ip6(p, n, ip);
	return sa_parse_ip4(p, n, ip);
}

bool sa_ip_eq(const struct sa_ip *a, const struct sa_ip *b)
{
	return sa_ip_same(a, b);
}

uint32_t sa_parse_hostport(const uint8_t *m, uint32_t pos, uint32_t end,
			   struct sa_hostport *hp)
{
	uint32_t s = pos, digits_dots = 1, v;

	memset(&hp->ep, 0, sizeof(hp->ep));
	hp->port = sa_mkspan(0, 0);
	if (pos < end && m[pos] == '[') {
		const uint8_t *rb = memchr(m + pos, ']', end - pos);

		if (!rb)
			return 0;
		pos = rb - m;
		if (!sa_parse_ip6(m + s + 1, pos - s - 1, &hp->ep.ip))
			return 0;
		pos++;
	} else {
		while (pos < end && (sa_ctype[m[pos]] & SA_C_HOST))
			pos++;
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
	hp->host = sa_mkspan(s, pos - s);
	if (pos < end && m[pos] == ':') {
		uint32_t ps = ++pos;

		while (pos < end && sa_isdigit(m[pos]))
			pos++;
		if (!sa_parse_uint(m + ps, pos - ps, 65535, &v) || !v)
			return 0;
		hp->port = sa_mkspan(ps, pos - ps);
		hp->ep.port = v;
	}
	return pos;
}

bool sa_parse_uri(const uint8_t *m, uint32_t s, uint32_t e,
		  struct sa_hostport *hp)
{
	const uint8_t *at;
	uint32_t pos;

	memset(hp, 0, sizeof(*hp));
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (s >= e || !(sa_ctype[m[s]] & SA_C_ALPHA))
		return false;
	pos = s + 1;
	while (pos < e && (sa_ctype[m[pos]] & SA_C_SCHEME))
		pos++;
	if (pos >= e || m[pos] != ':')
		return false;
	/*
	 * The first '@' ends the userinfo (none may follow in host, params
	 * or headers: RFC 3261 25.1). No white space, controls or
	 * delimiters of the enclosing header in the userinfo (the host is
	 * checked by its own parser) nor at the end of the URI; parameters
	 * are not looked into.
	 */
	at = memchr(m + s, '@', e - s);
	for (pos = s; pos < (at ? (uint32_t)(at - m) : s); pos++)
		if (sa_ctype[m[pos]] & SA_C_URIBAD)
			return false;
	if (sa_ctype[m[e - 1]] & SA_C_URIBAD)
		return false;
	if (e - s >= 4 && sa_ieq(m + s, 4, "sip:", 4)) {
		hp->def_port = 5060;
		pos = s + 4;
	} else if (e - s >= 5 && sa_ieq(m + s, 5, "sips:", 5)) {
		hp->def_port = 5061;
		pos = s + 5;
	} else {
		return true;	/* another scheme: nothing to map */
	}
	/* an empty user ("sip:@host") is invalid but sent by real devices */
	if (at)
		pos = at - m + 1;
	pos = sa_parse_hostport(m, pos, e, hp);
	if (!pos)
		return false;
	return pos == e || m[pos] == ';' || m[pos] == '?';
}

enum sa_match sa_hp_match(const struct sa_hostport *hp, const struct sa_ep *ep)
{
	uint16_t port = hp->ep.port ? hp->ep.port : hp->def_port;

	if (!sa_ip_eq(&hp->ep.ip, &ep->ip))
		return SA_MATCH_NONE;
	return port == ep->port ? SA_MATCH_FULL : SA_MATCH_IP;
}
