/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test harness printing the project's test format:
 *   PASS name | FAIL name: why | SKIP name: why
 * and "N passed, M failed, K skipped" at the end.
 *
 * Every test runs in a forked child, so a crash or a sanitizer abort in one
 * test is reported as that test's failure and the others still run.
 */
#ifndef SIPALG_TEST_HARNESS_H
#define SIPALG_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* rename the running test (for names that carry counts) */
void t_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int t_failed_now(void);

void t_run(const char *name, void (*fn)(void));
void t_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int t_summary(void);

#define T_OK(c) do { \
	if (!(c)) \
		t_fail(__FILE__, __LINE__, "%s", #c); \
} while (0)

#define T_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) \
		t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
		       #a, _a, #b, _b); \
} while (0)

/* the bytes of span s in buf equal the string lit */
#define T_SPAN(buf, s, lit) do { \
	size_t _n = strlen(lit); \
	if ((s).len != _n || memcmp((buf) + (s).off, lit, _n)) \
		t_fail(__FILE__, __LINE__, "%s is \"%.*s\", expected \"%s\"", \
		       #s, (int)(s).len, (const char *)(buf) + (s).off, lit); \
} while (0)

/* bytes got[0..n) equal the string exp */
void t_eq_bytes(const char *file, int line, const void *got, size_t n,
		const char *exp);
#define T_BYTES(got, n, exp) t_eq_bytes(__FILE__, __LINE__, got, n, exp)

#endif
