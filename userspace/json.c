// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl's output: one print path for text and JSON. A report is written
 * once, as a sequence of pr_* calls; each field names its JSON key and its
 * text format, and goes out in whichever form -j chose. Below them, a
 * streaming JSON writer that keeps a stack of "first element written" flags
 * to place commas; -p indents.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>

#include "sipalgctl.h"
#include "genl.h"

#define JS_DEPTH 16

static int depth;
static bool nonempty[JS_DEPTH];

static void js_indent(void)
{
	int i;

	if (!g_opts.pretty)
		return;
	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("  ", stdout);
}

void js_escape(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* comma, indent and "key": for the next value */
static void js_key(const char *key)
{
	/* sipalgctl nests at most a few levels: JS_DEPTH is never reached */
	if (depth > 0 && depth <= JS_DEPTH) {
		if (nonempty[depth - 1])
			putchar(',');
		nonempty[depth - 1] = true;
		js_indent();
	}
	if (key) {
		js_escape(stdout, key, strlen(key));
		putchar(':');
		if (g_opts.pretty)
			putchar(' ');
	}
}

static void js_open(const char *key, char c)
{
	js_key(key);
	putchar(c);
	if (depth < JS_DEPTH)
		nonempty[depth] = false;
	depth++;
}

static void js_close(char c)
{
	depth--;
	if (depth < JS_DEPTH && nonempty[depth])
		js_indent();
	putchar(c);
}

static void js_begin_obj(const char *key)
{
	js_open(key, '{');
}

static void js_end_obj(void)
{
	js_close('}');
}

static void js_begin_arr(const char *key)
{
	js_open(key, '[');
}

static void js_end_arr(void)
{
	js_close(']');
}

static void js_str(const char *key, const char *val)
{
	js_key(key);
	js_escape(stdout, val, strlen(val));
}

static void js_u64(const char *key, uint64_t val)
{
	js_key(key);
	printf("%" PRIu64, val);
}

static void js_bool(const char *key, bool val)
{
	js_key(key);
	fputs(val ? "true" : "false", stdout);
}

static void js_null(const char *key)
{
	js_key(key);
	fputs("null", stdout);
}

static void js_finish(void)
{
	putchar('\n');
}

/* ------------------------------------------------------ the print layer */

/* does a field printed in modes m go out now, and in which form */
static bool pr_json(int m)
{
	return g_opts.json && (m & PR_JSON);
}

static bool pr_fp(int m, const char *fmt)
{
	return !g_opts.json && (m & PR_TEXT) && fmt;
}

void pr_obj_open(const char *key)
{
	if (g_opts.json)
		js_begin_obj(key);
}

void pr_obj_close(void)
{
	if (g_opts.json)
		js_end_obj();
}

void pr_arr_open(const char *key)
{
	if (g_opts.json)
		js_begin_arr(key);
}

void pr_arr_close(void)
{
	if (g_opts.json)
		js_end_arr();
}

void pr_end(void)
{
	if (g_opts.json)
		js_finish();
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (g_opts.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void pr_str(int m, const char *key, const char *fmt, const char *val)
{
	if (pr_json(m))
		js_str(key, val);
	else if (pr_fp(m, fmt))
		printf(fmt, val);
}

void pr_uint(int m, const char *key, const char *fmt, unsigned int val)
{
	if (pr_json(m))
		js_u64(key, val);
	else if (pr_fp(m, fmt))
		printf(fmt, val);
}

void pr_u64(int m, const char *key, const char *fmt, uint64_t val)
{
	if (pr_json(m))
		js_u64(key, val);
	else if (pr_fp(m, fmt))
		printf(fmt, val);
}

void pr_bool(int m, const char *key, const char *fmt, bool val)
{
	if (pr_json(m))
		js_bool(key, val);
	else if (pr_fp(m, fmt))
		printf(fmt, val ? "true" : "false");
}

void pr_null(const char *key)
{
	if (g_opts.json)
		js_null(key);
}

void pr_endpoint(int m, const char *addr_key, const char *port_key,
		 const char *fmt, int alen, const uint8_t *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 8];

	if (pr_json(m)) {
		fmt_address(alen, addr, buf, sizeof(buf));
		js_str(addr_key, buf);
		js_u64(port_key, port);
	} else if (pr_fp(m, fmt)) {
		fmt_endpoint(alen, addr, port, buf, sizeof(buf));
		printf(fmt, buf);
	}
}

/*
 * JSON strings hold text, and packet bytes need not be UTF-8: valid UTF-8
 * goes as it is (escaped by js_escape), otherwise every byte over 0x7f
 * becomes '?', so the document stays valid JSON.
 */
static bool utf8_ok(const unsigned char *p)
{
	int more;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			more = 1;
		else if ((*p & 0xf0) == 0xe0)
			more = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			more = 3;
		else
			return false;
		for (p++; more; more--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

void pr_pkt(int m, const char *key, const char *fmt, const char *val)
{
	char buf[4 * PR_PKT_MAX + 1];
	const unsigned char *p = (const unsigned char *)val;
	size_t i, n = 0;

	if (pr_json(m)) {
		if (utf8_ok(p)) {
			js_str(key, val);
			return;
		}
		for (i = 0; p[i] && i < PR_PKT_MAX; i++)
			buf[n++] = p[i] >= 0x80 ? '?' : (char)p[i];
		buf[n] = 0;
		js_str(key, buf);
	} else if (pr_fp(m, fmt)) {
		/* for a terminal: printable ASCII as it is, the rest \xNN */
		for (i = 0; p[i] && i < PR_PKT_MAX; i++) {
			if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
				buf[n++] = (char)p[i];
			else
				n += (size_t)sprintf(buf + n, "\\x%02x", p[i]);
		}
		buf[n] = 0;
		printf(fmt, buf);
	}
}
