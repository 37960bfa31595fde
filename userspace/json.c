// SPDX-License-Identifier: GPL-2.0
/*
 * A streaming JSON writer: enough for sipalgctl's reports. Keeps a stack of
 * "first element written" flags to place commas; -p indents.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "sipalgctl.h"

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

void js_begin_obj(const char *key)
{
	js_open(key, '{');
}

void js_end_obj(void)
{
	js_close('}');
}

void js_begin_arr(const char *key)
{
	js_open(key, '[');
}

void js_end_arr(void)
{
	js_close(']');
}

void js_str(const char *key, const char *val)
{
	js_key(key);
	js_escape(stdout, val, strlen(val));
}

void js_u64(const char *key, uint64_t val)
{
	js_key(key);
	printf("%" PRIu64, val);
}

void js_bool(const char *key, bool val)
{
	js_key(key);
	fputs(val ? "true" : "false", stdout);
}

void js_null(const char *key)
{
	js_key(key);
	fputs("null", stdout);
}

void js_finish(void)
{
	putchar('\n');
}
