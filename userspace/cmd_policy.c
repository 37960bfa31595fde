// SPDX-License-Identifier: GPL-2.0
/* sipalgctl policy set|del|show|flush */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

static const struct {
	const char *name;
	uint32_t flag;
} pol_names[] = {
	{ "force-rport", SIPALG_POLICY_FORCE_RPORT },
	{ "static-port", SIPALG_POLICY_STATIC_PORT },
	{ "strict", SIPALG_POLICY_STRICT },
	{ "media-any", SIPALG_POLICY_MEDIA_ANY },
	{ "disable", SIPALG_POLICY_DISABLE },
};

#define N_POL_NAMES (sizeof(pol_names) / sizeof(pol_names[0]))
/* the first module netlink version that knows policy strict */
#define GENL_VERSION_STRICT 2
/* ... and policy media-any */
#define GENL_VERSION_MEDIA_ANY 3

static void policy_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl [-4|-6] policy set {udp|tcp} PORT POLICY [POLICY...]\n"
"       sipalgctl [-4|-6] policy del {udp|tcp} PORT\n"
"       sipalgctl [-j [-p]] [-4|-6] policy show [{udp|tcp} [PORT]]\n"
"       sipalgctl policy flush\n"
"       sipalgctl policy save\n"
"       sipalgctl policy restore [-c|--check] FILE\n"
"\n"
"POLICY is one of:\n"
"  default      rewrite as the ALG does without a policy\n"
"  force-rport  add ;rport to the top Via of requests that lack it, and\n"
"               send UDP responses back to the port the request came from\n"
"  static-port  new flows to or from PORT that the router source-NATs keep\n"
"               the client's source port when it is free (needs an SNAT or\n"
"               masquerade rule; counted as a fallback when the port is taken)\n"
"  strict       drop what the ALG refuses: a SIP message it cannot parse or\n"
"               rewrite safely is dropped (counted as dropped, with the\n"
"               reason) instead of forwarded unchanged; keep-alives and what\n"
"               is not SIP at all still pass. UDP ports only\n"
"  media-any    media pinholes of calls signalled on PORT admit any source\n"
"               address, not only the one the other party's SDP names (media\n"
"               servers behind load balancers; the in-tree helper's\n"
"               sip_direct_media=0); counted as pinholes-any-source\n"
"  disable      the ALG leaves PORT alone: no rewrite, no pinholes\n"
"force-rport, static-port, strict and media-any combine (as several words\n"
"or joined with commas: force-rport,strict); default and disable stand\n"
"alone.\n"
"\n"
"PORT is the SIP port of the connection (1-65535): a request's destination\n"
"port, as the ALG's helper is attached to it. -4 or -6 restricts the policy\n"
"to IPv4 or IPv6 flows; a family-specific policy wins over one for both.\n"
"A policy takes effect on the next message of existing connections.\n"
"Changing policies needs CAP_NET_ADMIN in the network namespace.\n"
"\n"
"save prints every policy, one line per port: [-4|-6] PROTO PORT POLICY,\n"
"the arguments of policy set; '#' starts a comment. restore FILE (- for\n"
"standard input) makes the policies exactly those of FILE, all or nothing:\n"
"the whole file is checked first (an error names FILE:LINE, exit 2), and\n"
"if the kernel refuses a line the policies from before are put back.\n"
"--check only checks the file. The boot unit sipalg.service restores\n"
"/etc/sipalg/policies.conf.\n");
}

/* flags a newer module may hold that this tool has no name for */
static uint32_t unknown_flags(uint32_t flags)
{
	size_t i;

	for (i = 0; i < N_POL_NAMES; i++)
		flags &= ~pol_names[i].flag;
	return flags;
}

/*
 * The words of a policy, in pol_names order: "default" for none, bits this
 * tool has no name for as one "0x..." (in hex, hexlen bytes); returns how
 * many, at most N_POL_NAMES + 1.
 */
static size_t policy_words(uint32_t flags, const char **w, char *hex,
			   size_t hexlen)
{
	size_t i, n = 0;

	if (!flags) {
		w[n++] = "default";
		return n;
	}
	for (i = 0; i < N_POL_NAMES; i++)
		if (flags & pol_names[i].flag)
			w[n++] = pol_names[i].name;
	if (unknown_flags(flags)) {
		snprintf(hex, hexlen, "0x%x", unknown_flags(flags));
		w[n++] = hex;
	}
	return n;
}

void fmt_policy(uint32_t flags, char *buf, size_t len)
{
	const char *w[N_POL_NAMES + 1];
	size_t i, nw, n = 0;
	char hex[16];

	buf[0] = 0;
	nw = policy_words(flags, w, hex, sizeof(hex));
	for (i = 0; i < nw && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", w[i]);
}

bool policy_parse(const char *cmd, const char *w, uint32_t *flags,
		  bool *seen_def)
{
	char *copy, *tok, *save = NULL;
	size_t wl = strlen(w);
	bool ok = true;

	/* strtok would skip empty names: "," is no policy, not default */
	if (!wl || w[0] == ',' || w[wl - 1] == ',' || strstr(w, ",,")) {
		usage_err(cmd,
			  "empty policy name in \"%s\": expected a comma-separated list of default, force-rport, static-port, strict, media-any or disable",
			  w);
		return false;
	}
	copy = strdup(w);
	if (!copy) {
		err_msg("out of memory");
		return false;
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		bool found = false;

		if (!strcmp(tok, "default")) {
			*seen_def = true;
			continue;
		}
		for (i = 0; i < N_POL_NAMES; i++)
			if (!strcmp(tok, pol_names[i].name)) {
				*flags |= pol_names[i].flag;
				found = true;
			}
		if (!found) {
			usage_err(cmd,
				  "unknown policy \"%s\": expected default, force-rport, static-port, strict, media-any or disable",
				  tok);
			ok = false;
			break;
		}
	}
	free(copy);
	return ok;
}

int policy_check(const char *cmd, uint32_t flags, bool seen_def,
		 uint8_t proto)
{
	if (seen_def && flags)
		return usage_err(cmd,
				 "default cannot be combined with another policy");
	if ((flags & SIPALG_POLICY_DISABLE) && flags != SIPALG_POLICY_DISABLE)
		return usage_err(cmd,
				 "disable cannot be combined with another policy");
	if ((flags & SIPALG_POLICY_STRICT) && proto != IPPROTO_UDP)
		return usage_err(cmd,
				 "strict applies to UDP ports only: a router that drops a TCP segment only makes the sender retransmit it, stalling the connection");
	return EX_OK;
}

static uint8_t family_attr(void)
{
	return g_opts.family == 4 ? SIPALG_FAMILY_INET :
	       g_opts.family == 6 ? SIPALG_FAMILY_INET6 : SIPALG_FAMILY_ANY;
}

static const char *family_name(uint8_t f)
{
	return f == SIPALG_FAMILY_INET ? "inet" :
	       f == SIPALG_FAMILY_INET6 ? "inet6" : "any";
}

static void put_key(struct nlmsghdr *nlh, uint8_t proto, uint16_t port)
{
	mnl_attr_put_u8(nlh, SIPALG_A_FAMILY, family_attr());
	mnl_attr_put_u8(nlh, SIPALG_A_L4PROTO, proto);
	mnl_attr_put_u16(nlh, SIPALG_A_PORT, port);
}

/* PROTO PORT, exactly */
static int parse_key(const char *cmd, int argc, char **argv, uint8_t *proto,
		     uint16_t *port)
{
	if (argc < 2)
		return usage_err(cmd, "needs a protocol (udp or tcp) and a port");
	if (!parse_proto(argv[0], proto, cmd) || !parse_port(argv[1], port, cmd))
		return EX_USAGE;
	return EX_OK;
}

static int policy_set(int argc, char **argv)
{
	uint32_t flags = 0;
	bool seen_def = false;
	struct nlmsghdr *nlh;
	struct genl g;
	uint16_t port;
	uint8_t proto;
	int i, rc;

	rc = parse_key("policy set", argc, argv, &proto, &port);
	if (rc)
		return rc;
	if (argc < 3)
		return usage_err("policy set",
				 "needs a policy after the port: default, force-rport, static-port, strict, media-any or disable");
	for (i = 2; i < argc; i++)
		if (!policy_parse("policy set", argv[i], &flags, &seen_def))
			return EX_USAGE;
	rc = policy_check("policy set", flags, seen_def, proto);
	if (rc)
		return rc;

	rc = genl_open(&g);
	if (rc)
		return rc;
	if ((flags & SIPALG_POLICY_STRICT) && g.version < GENL_VERSION_STRICT) {
		err_msg("cannot set the policy: the loaded sipalg module does not know policy strict (its netlink version is %u, strict needs %u): update the module",
			g.version, GENL_VERSION_STRICT);
		genl_close(&g);
		return EX_FAIL;
	}
	if ((flags & SIPALG_POLICY_MEDIA_ANY) && g.version < GENL_VERSION_MEDIA_ANY) {
		err_msg("cannot set the policy: the loaded sipalg module does not know policy media-any (its netlink version is %u, media-any needs %u): update the module",
			g.version, GENL_VERSION_MEDIA_ANY);
		genl_close(&g);
		return EX_FAIL;
	}
	nlh = genl_req(&g, SIPALG_CMD_POLICY_SET, 0);
	put_key(nlh, proto, port);
	mnl_attr_put_u32(nlh, SIPALG_A_POLICY, flags);
	rc = genl_talk(&g, nlh, NULL, NULL, "cannot set the policy");
	genl_close(&g);
	return rc;
}

static int policy_del(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct genl g;
	uint16_t port;
	uint8_t proto;
	int rc;

	rc = parse_key("policy del", argc, argv, &proto, &port);
	if (rc)
		return rc;
	if (argc > 2)
		return usage_err("policy del", "unexpected argument \"%s\"",
				 argv[2]);
	rc = genl_open(&g);
	if (rc)
		return rc;
	nlh = genl_req(&g, SIPALG_CMD_POLICY_DEL, 0);
	put_key(nlh, proto, port);
	rc = genl_talk(&g, nlh, NULL, NULL, "cannot delete the policy");
	genl_close(&g);
	return rc;
}

static int policy_flush(int argc, char **argv)
{
	struct genl g;
	int rc;

	if (argc > 0)
		return usage_err("policy flush", "unexpected argument \"%s\"",
				 argv[0]);
	rc = genl_open(&g);
	if (rc)
		return rc;
	rc = genl_talk(&g, genl_req(&g, SIPALG_CMD_POLICY_FLUSH, 0), NULL,
		       NULL, "cannot flush the policies");
	genl_close(&g);
	return rc;
}

struct show_ctx {
	struct pol_row *rows;
	size_t n, cap;
};

static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct show_ctx *c = data;
	struct pol_row r = { 0 };
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_A_FAMILY:
			r.family = mnl_attr_get_u8(a);
			break;
		case SIPALG_A_L4PROTO:
			r.proto = mnl_attr_get_u8(a);
			break;
		case SIPALG_A_PORT:
			r.port = mnl_attr_get_u16(a);
			break;
		case SIPALG_A_POLICY:
			r.flags = mnl_attr_get_u32(a);
			break;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct pol_row *n = realloc(c->rows, cap * sizeof(*n));

		if (!n)
			return MNL_CB_ERROR;
		c->rows = n;
		c->cap = cap;
	}
	c->rows[c->n++] = r;
	return MNL_CB_OK;
}

static int row_cmp(const void *a, const void *b)
{
	const struct pol_row *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto == IPPROTO_UDP ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->family - y->family;
}

int policy_dump(struct genl *g, struct pol_row **rows, size_t *n)
{
	struct show_ctx c = { 0 };
	int rc;

	rc = genl_talk(g, genl_req(g, SIPALG_CMD_POLICY_GET, NLM_F_DUMP),
		       policy_cb, &c, "cannot list the policies");
	if (rc) {
		free(c.rows);
		return rc;
	}
	if (c.n)
		qsort(c.rows, c.n, sizeof(*c.rows), row_cmp);
	*rows = c.rows;
	*n = c.n;
	return EX_OK;
}

static int policy_show(int argc, char **argv)
{
	struct show_ctx c = { 0 };
	uint8_t proto = 0;
	uint16_t port = 0;
	struct genl g;
	size_t i;
	int rc;

	if (argc > 0 && !parse_proto(argv[0], &proto, "policy show"))
		return EX_USAGE;
	if (argc > 1 && !parse_port(argv[1], &port, "policy show"))
		return EX_USAGE;
	if (argc > 2)
		return usage_err("policy show", "unexpected argument \"%s\"",
				 argv[2]);
	rc = genl_open(&g);
	if (rc)
		return rc;
	rc = policy_dump(&g, &c.rows, &c.n);
	genl_close(&g);
	if (rc)
		return rc;

	pr_text("%-5s %-5s %-6s %s\n", "proto", "port", "family", "policy");
	pr_arr_open(NULL);
	for (i = 0; i < c.n; i++) {
		struct pol_row *r = &c.rows[i];
		const char *w[N_POL_NAMES + 1];
		size_t k, nw;
		char hex[16];

		if ((proto && r->proto != proto) || (port && r->port != port) ||
		    (g_opts.family && r->family != family_attr()))
			continue;
		pr_obj_open(NULL);
		pr_str(PR_ANY, "proto", "%-5s ", proto_name(r->proto));
		pr_uint(PR_ANY, "port", "%-5u ", r->port);
		pr_str(PR_ANY, "family", "%-6s ", family_name(r->family));
		/* text: the words joined with commas; JSON: a list */
		nw = policy_words(r->flags, w, hex, sizeof(hex));
		pr_arr_open("policy");
		for (k = 0; k < nw; k++)
			pr_str(PR_ANY, NULL, k ? ",%s" : "%s", w[k]);
		pr_arr_close();
		pr_obj_close();
		pr_text("\n");
	}
	pr_arr_close();
	pr_end();
	free(c.rows);
	return EX_OK;
}

int cmd_policy(int argc, char **argv)
{
	const char *verb;

	/* -j, -4 ... between policy and the verb */
	while (argc > 0 && global_opt(argv[0])) {
		argc--;
		argv++;
	}
	if (argc < 1)
		return usage_err("policy", "needs a verb: set, del, show, flush, save or restore");
	verb = argv[0];
	if (is_help(verb)) {
		policy_usage(stdout);
		return EX_OK;
	}
	argc--;
	argv++;
	/* -j, -4 ... after the verb too; save and restore have their own */
	if (strcmp(verb, "save") && strcmp(verb, "restore")) {
		int rc = take_global_opts("policy", &argc, argv);

		if (rc)
			return rc;
	}
	if (argc > 0 && is_help(argv[0])) {
		policy_usage(stdout);
		return EX_OK;
	}
	if (!strcmp(verb, "set") || !strcmp(verb, "add") ||
	    !strcmp(verb, "replace"))
		return policy_set(argc, argv);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return policy_del(argc, argv);
	if (!strcmp(verb, "show") || !strcmp(verb, "list") ||
	    !strcmp(verb, "ls"))
		return policy_show(argc, argv);
	if (!strcmp(verb, "flush"))
		return policy_flush(argc, argv);
	if (!strcmp(verb, "save"))
		return policy_save(argc, argv);
	if (!strcmp(verb, "restore"))
		return policy_restore(argc, argv);
	return usage_err("policy", "unknown verb \"%s\": expected set, del, show, flush, save or restore",
			 verb);
}
