// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int passed, failed, skipped;
static int cur_failed;
static char cur_name[512];
static char cur_why[2048];
static int result_fd = -1;

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (cur_failed++)
		return;		/* keep the first reason */
	n = snprintf(cur_why, sizeof(cur_why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(cur_why + n, sizeof(cur_why) - n, fmt, ap);
	va_end(ap);
}

int t_failed_now(void)
{
	return cur_failed;
}

void t_name(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur_name, sizeof(cur_name), fmt, ap);
	va_end(ap);
}

void t_eq_bytes(const char *file, int line, const void *got, size_t n,
		const char *exp)
{
	size_t el = strlen(exp), i;
	const char *g = got;

	if (n == el && !memcmp(got, exp, n))
		return;
	for (i = 0; i < n && i < el && g[i] == exp[i]; i++)
		;
	t_fail(file, line,
	       "output differs at byte %zu (got %zu bytes, expected %zu):\n"
	       "--- got from there: \"%.*s\"\n--- expected: \"%.*s\"",
	       i, n, el, (int)(n - i > 60 ? 60 : n - i), g + i,
	       (int)(el - i > 60 ? 60 : el - i), exp + i);
}

static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\r')
			*s = ' ';
		else if (*s == '\n')
			*s = '|';
}

void t_run(const char *name, void (*fn)(void))
{
	int pfd[2], status;
	char buf[sizeof(cur_name) + sizeof(cur_why) + 8];
	ssize_t n, got = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(pfd)) {
		perror("pipe");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(pfd[0]);
		result_fd = pfd[1];
		cur_failed = 0;
		cur_why[0] = 0;
		snprintf(cur_name, sizeof(cur_name), "%s", name);
		fn();
		n = snprintf(buf, sizeof(buf), "%c%s%c%s", cur_failed ? 'F' : 'P',
			     cur_name, 0, cur_why);
		if (write(result_fd, buf, n + 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(pfd[0]);
	buf[got] = 0;
	waitpid(pid, &status, 0);
	if (got < 2 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		failed++;
		if (WIFSIGNALED(status))
			printf("FAIL %s: crashed with signal %d (sanitizer report on stderr)\n",
			       name, WTERMSIG(status));
		else
			printf("FAIL %s: exited %d without a result (sanitizer report on stderr)\n",
			       name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return;
	}
	if (buf[0] == 'P') {
		passed++;
		printf("PASS %s\n", buf + 1);
	} else {
		char *why = buf + 1 + strlen(buf + 1) + 1;

		failed++;
		flatten(why);
		printf("FAIL %s: %s\n", buf + 1, why);
	}
	fflush(stdout);
}

void t_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	skipped++;
	printf("SKIP %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int t_summary(void)
{
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
