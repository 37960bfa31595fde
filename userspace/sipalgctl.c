// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl: per-port policy, counters, flows and offline rewriting for the
 * sipalg SIP ALG.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sipalgctl.h"

#ifndef SIPALG_VERSION
#define SIPALG_VERSION "0.1"
#endif

struct opts g_opts;
const char *g_prog = "sipalgctl";
const char *g_err_where;

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (g_err_where) {
		/* a line of a file: "FILE:LINE: why", no hint to --help */
		fprintf(stderr, "%s: %s: ", g_prog, g_err_where);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		return EX_USAGE;
	}
	fprintf(stderr, "%s: %s%s", g_prog, cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help'.\n", g_prog, cmd ? cmd : "",
		cmd ? " " : "");
	return EX_USAGE;
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "help");
}

bool parse_proto(const char *s, uint8_t *proto, const char *cmd)
{
	if (!strcmp(s, "udp")) {
		*proto = IPPROTO_UDP;
		return true;
	}
	if (!strcmp(s, "tcp")) {
		*proto = IPPROTO_TCP;
		return true;
	}
	usage_err(cmd, "unknown protocol \"%s\": expected udp or tcp", s);
	return false;
}

const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" :
	       "?";
}

bool parse_port(const char *s, uint16_t *port, const char *cmd)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s)) {
		usage_err(cmd, "bad port \"%s\": expected a number from 1 to 65535",
			  s);
		return false;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v < 1 || v > 65535) {
		usage_err(cmd, "port out of range: %s (expected 1 to 65535)", s);
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

bool global_opt(const char *o)
{
	if (!strcmp(o, "-j") || !strcmp(o, "--json"))
		g_opts.json = true;
	else if (!strcmp(o, "-p") || !strcmp(o, "--pretty"))
		g_opts.pretty = true;
	else if (!strcmp(o, "-jp") || !strcmp(o, "-pj"))
		g_opts.json = g_opts.pretty = true;
	else if (!strcmp(o, "-4"))
		g_opts.family = 4;
	else if (!strcmp(o, "-6"))
		g_opts.family = 6;
	else
		return false;
	return true;
}

int take_global_opts(const char *cmd, int *argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i];

		if (global_opt(a))
			continue;
		/*
		 * --help is the command's to answer, "-1" a (bad) port for it
		 * to refuse, "-" a word
		 */
		if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9') &&
		    !is_help(a))
			return usage_err(cmd, "unknown option \"%s\"", a);
		argv[n++] = argv[i];
	}
	*argc = n;
	return EX_OK;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl [OPTIONS] COMMAND [ARGS...]\n"
"\n"
"Commands:\n"
"  policy set|del|show|flush   per-port policy of the sipalg ALG\n"
"  policy save|restore         all policies to / from a file (policies.conf)\n"
"  stats [show|reset]          counters, per network namespace and per port\n"
"  flows                       SIP connections and pinholes (helper sipalg)\n"
"  rewrite                     show how the ALG would rewrite one message\n"
"  monitor                     the messages the ALG handles, live\n"
"  calls                       the calls the ALG tracks\n"
"  registrations               the registrations the ALG tracks\n"
"  help                        this text\n"
"\n"
"Options:\n"
"  -j, --json     JSON output (policy show, stats, flows, calls,\n"
"                 registrations; monitor: one object a line)\n"
"  -p, --pretty   indent JSON output\n"
"  -4, -6         policy: only IPv4 / IPv6 flows; flows: only that family\n"
"  -h, --help     help (also after a command: sipalgctl policy --help)\n"
"  -V, --version  print the version\n"
"-j, -p, -4 and -6 go before or after the command (sipalgctl monitor -j),\n"
"except after policy save, policy restore and rewrite.\n"
"\n"
"Exit status: 0 success, 1 the kernel or the system refused, 2 usage error\n"
"(also a bad line in a policy file, rewrite input over 65535 bytes),\n"
"3 rewrite: the ALG would drop the message, 4 the sipalg module is not\n"
"loaded, 5 permission denied (every command that talks to the module\n"
"needs CAP_NET_ADMIN).\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i];

		if (global_opt(o)) {
			continue;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("sipalgctl %s\n", SIPALG_VERSION);
			return EX_OK;
		} else if (!strcmp(o, "--")) {
			i++;
			break;
		} else {
			return usage_err(NULL, "unknown option \"%s\"", o);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;
	if (!strcmp(cmd, "policy") || !strcmp(cmd, "pol"))
		return cmd_policy(argc, argv);
	if (!strcmp(cmd, "stats") || !strcmp(cmd, "statistics"))
		return cmd_stats(argc, argv);
	if (!strcmp(cmd, "flows") || !strcmp(cmd, "flow"))
		return cmd_flows(argc, argv);
	if (!strcmp(cmd, "rewrite"))
		return cmd_rewrite(argc, argv);
	if (!strcmp(cmd, "monitor") || !strcmp(cmd, "mon"))
		return cmd_monitor(argc, argv);
	if (!strcmp(cmd, "calls") || !strcmp(cmd, "call"))
		return cmd_calls(argc, argv);
	if (!strcmp(cmd, "registrations") || !strcmp(cmd, "reg"))
		return cmd_registrations(argc, argv);
	if (is_help(cmd)) {
		usage(stdout);
		return EX_OK;
	}
	return usage_err(NULL, "unknown command \"%s\": expected policy, stats, flows, rewrite, monitor, calls or registrations",
			 cmd);
}
