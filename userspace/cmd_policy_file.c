// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl policy save | policy restore [-c] FILE: every policy of the
 * network namespace to and from a file such as /etc/sipalg/policies.conf.
 *
 * The file: one policy per line, the arguments of `sipalgctl [-4|-6] policy
 * set` (e.g. "udp 5060 force-rport,strict", "-6 tcp 5061 disable"); '#'
 * starts a comment, blank lines are ignored. A port (with its family) may
 * appear once. restore makes the namespace's policies exactly the file's.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

/* a longer line is refused: no policy line comes close */
#define PFILE_LINE_MAX	1024
/* "FILE:LINE" */
#define WHERE_MAX	4200
/* a file with more lines than this many policies is refused unread */
#define PFILE_MAX	(16 * SIPALG_MAX_POLICIES)

struct pentry {
	struct pol_row r;
	unsigned int line;
};

static const char *fam_opt(uint8_t family)
{
	return family == SIPALG_FAMILY_INET ? "-4 " :
	       family == SIPALG_FAMILY_INET6 ? "-6 " : "";
}

static bool same_key(const struct pol_row *a, const struct pol_row *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->port == b->port;
}

/* one line, its comment and line end cut off; EX_OK or EX_USAGE */
static int parse_line(char *s, struct pentry *e, bool *empty)
{
	char *tok[64], *save = NULL, *t;
	int n = 0, i = 0;
	bool seen_def = false;

	*empty = false;
	for (t = strtok_r(s, " \t\r\v\f", &save); t;
	     t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == (int)(sizeof(tok) / sizeof(tok[0])))
			return usage_err(NULL, "too many words");
		tok[n++] = t;
	}
	if (!n) {
		*empty = true;
		return EX_OK;
	}
	e->r.family = SIPALG_FAMILY_ANY;
	if (!strcmp(tok[0], "-4") || !strcmp(tok[0], "-6")) {
		e->r.family = tok[0][1] == '4' ? SIPALG_FAMILY_INET :
			      SIPALG_FAMILY_INET6;
		i++;
	}
	if (n - i < 3)
		return usage_err(NULL, "expected [-4|-6] {udp|tcp} PORT POLICY, as for policy set");
	if (!parse_proto(tok[i], &e->r.proto, NULL) ||
	    !parse_port(tok[i + 1], &e->r.port, NULL))
		return EX_USAGE;
	e->r.flags = 0;
	for (i += 2; i < n; i++) {
		if (!strcmp(tok[i], "-4") || !strcmp(tok[i], "-6"))
			return usage_err(NULL, "%s comes first on the line", tok[i]);
		if (!policy_parse(NULL, tok[i], &e->r.flags, &seen_def))
			return EX_USAGE;
	}
	return policy_check(NULL, e->r.flags, seen_def, e->r.proto);
}

/*
 * Read and check all of FILE ("-": standard input) before anything is sent.
 * EX_OK with the entries, EX_USAGE naming FILE:LINE, EX_FAIL when it cannot
 * be read.
 */
static int parse_file(const char *path, struct pentry **out, size_t *nout)
{
	const char *name = strcmp(path, "-") ? path : "(standard input)";
	struct pentry *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	unsigned int line = 0;
	char *buf = NULL, where[WHERE_MAX];
	int rc = EX_OK;
	ssize_t got;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		err_msg("cannot open %s: %s", path, strerror(errno));
		return EX_FAIL;
	}
	g_err_where = where;
	while (rc == EX_OK && (got = getline(&buf, &len, f)) >= 0) {
		struct pentry e = { .line = ++line };
		bool empty;
		char *hash;
		size_t k;

		snprintf(where, sizeof(where), "%s:%u", name, line);
		if (memchr(buf, 0, (size_t)got)) {
			rc = usage_err(NULL, "a NUL byte: not a text file");
			break;
		}
		if (got > PFILE_LINE_MAX) {
			rc = usage_err(NULL, "line longer than %d bytes",
				       PFILE_LINE_MAX);
			break;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		buf[strcspn(buf, "\n")] = 0;
		rc = parse_line(buf, &e, &empty);
		if (rc || empty)
			continue;
		for (k = 0; k < n; k++)
			if (same_key(&v[k].r, &e.r)) {
				rc = usage_err(NULL, "%s%s %u is already on line %u",
					       fam_opt(e.r.family),
					       proto_name(e.r.proto), e.r.port,
					       v[k].line);
				break;
			}
		if (rc)
			break;
		if (n == PFILE_MAX) {
			rc = usage_err(NULL, "more than %d policies", PFILE_MAX);
			break;
		}
		if (n == cap) {
			struct pentry *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err_msg("out of memory");
				rc = EX_FAIL;
				break;
			}
			v = nv;
		}
		v[n++] = e;
	}
	g_err_where = NULL;
	if (rc == EX_OK && ferror(f)) {
		err_msg("cannot read %s: %s", name, strerror(errno));
		rc = EX_FAIL;
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return EX_OK;
}

static int send_op(struct genl *g, const struct pol_row *r, bool set,
		   const char *what)
{
	struct nlmsghdr *nlh;

	nlh = genl_req(g, set ? SIPALG_CMD_POLICY_SET : SIPALG_CMD_POLICY_DEL,
		       0);
	mnl_attr_put_u8(nlh, SIPALG_A_FAMILY, r->family);
	mnl_attr_put_u8(nlh, SIPALG_A_L4PROTO, r->proto);
	mnl_attr_put_u16(nlh, SIPALG_A_PORT, r->port);
	if (set)
		mnl_attr_put_u32(nlh, SIPALG_A_POLICY, r->flags);
	return genl_talk(g, nlh, NULL, NULL, what);
}

/* a change made, and what the port held before it */
struct undo {
	struct pol_row r;	/* key, and the flags it had */
	bool had;		/* it had a policy (else: delete it) */
};

/*
 * How atomic restore is. The module has no transaction, so restore is
 * all or nothing as far as one process can make it:
 * - nothing is sent before the whole file has been read and checked;
 * - ports that leave the table are deleted first, then the file's
 *   policies are set (ports already as the file says are left alone), so
 *   the table never holds more than max(before, file) policies and no
 *   port passes through "no policy" on its way from one policy to another;
 * - if the kernel refuses a change (the 256-policy bound, a policy this
 *   module does not know, permissions), every change made so far is undone
 *   in reverse order, which puts back exactly the table read at the start;
 * - SIGINT, SIGTERM, SIGHUP and SIGQUIT are held off while changing.
 * It is not atomic for packets: each port switches by itself (a message
 * sees its port's old or new policy, never a mix), so two ports may briefly
 * disagree. Another writer changing policies at the same time, SIGKILL, or
 * a failure of the undo itself (reported, exit 1) can leave a mix; run
 * restore again then.
 */
static int apply(struct genl *g, const char *name, const struct pentry *v,
		 size_t n, const struct pol_row *old, size_t nold)
{
	struct undo *u = calloc(nold + n + 1, sizeof(*u));
	char what[WHERE_MAX + 64];
	size_t nu = 0, i, k;
	int rc = EX_OK, urc = EX_OK;

	if (!u) {
		err_msg("out of memory");
		return EX_FAIL;
	}
	for (i = 0; i < nold && !rc; i++) {
		for (k = 0; k < n && !same_key(&old[i], &v[k].r); k++)
			;
		if (k < n)
			continue;
		snprintf(what, sizeof(what),
			 "%s: cannot delete the policy of %s%s %u (not in the file)",
			 name, fam_opt(old[i].family), proto_name(old[i].proto),
			 old[i].port);
		rc = send_op(g, &old[i], false, what);
		if (!rc)
			u[nu++] = (struct undo){ .r = old[i], .had = true };
	}
	for (k = 0; k < n && !rc; k++) {
		const struct pol_row *was = NULL;

		for (i = 0; i < nold && !was; i++)
			if (same_key(&old[i], &v[k].r))
				was = &old[i];
		if (was && was->flags == v[k].r.flags)
			continue;
		snprintf(what, sizeof(what), "%s:%u: cannot set the policy",
			 name, v[k].line);
		rc = send_op(g, &v[k].r, true, what);
		if (!rc)
			u[nu++] = (struct undo){
				.r = was ? *was : v[k].r, .had = !!was };
	}
	if (rc) {
		while (nu--) {
			int r = send_op(g, &u[nu].r, u[nu].had,
					"cannot put back the policy from before");

			urc = urc ? urc : r;
		}
		if (urc)
			err_msg("the policies now differ from before and from %s: see 'sipalgctl policy show', then restore again",
				name);
		else
			err_msg("nothing changed: the policies are as they were before");
	}
	free(u);
	return rc;
}

int policy_restore(int argc, char **argv)
{
	struct pol_row *old = NULL;
	struct pentry *v = NULL;
	sigset_t block, prev;
	bool check = false;
	const char *path, *name;
	size_t n = 0, nold = 0;
	struct genl g;
	int rc;

	if (argc > 0 && (!strcmp(argv[0], "-c") || !strcmp(argv[0], "--check"))) {
		check = true;
		argc--;
		argv++;
	}
	if (argc < 1)
		return usage_err("policy restore", "needs a file (- for standard input)");
	if (argc > 1)
		return usage_err("policy restore", "unexpected argument \"%s\"",
				 argv[1]);
	if (g_opts.family)
		return usage_err("policy restore",
				 "-4 and -6 belong on the file's lines");
	path = argv[0];
	name = strcmp(path, "-") ? path : "(standard input)";
	rc = parse_file(path, &v, &n);
	if (rc || check) {
		free(v);
		return rc;
	}
	rc = genl_open(&g);
	if (rc)
		goto out;
	rc = policy_dump(&g, &old, &nold);
	if (rc)
		goto out_close;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &prev);
	rc = apply(&g, name, v, n, old, nold);
	sigprocmask(SIG_SETMASK, &prev, NULL);
out_close:
	genl_close(&g);
out:
	free(old);
	free(v);
	return rc;
}

int policy_save(int argc, char **argv)
{
	struct pol_row *rows = NULL;
	size_t n = 0, i;
	struct genl g;
	int rc;

	if (argc > 0)
		return usage_err("policy save", "unexpected argument \"%s\"",
				 argv[0]);
	if (g_opts.family || g_opts.json)
		return usage_err("policy save",
				 "saves every policy as policy lines: no -4, -6 or -j (use policy show)");
	rc = genl_open(&g);
	if (rc)
		return rc;
	rc = policy_dump(&g, &rows, &n);
	genl_close(&g);
	if (rc)
		return rc;
	/* a line restore could not read back is no save: refuse, print none */
	for (i = 0; i < n; i++) {
		char pol[64];

		fmt_policy(rows[i].flags, pol, sizeof(pol));
		if (strstr(pol, "0x")) {
			err_msg("cannot save %s%s %u: its policy %s holds flags this sipalgctl has no name for: update sipalgctl",
				fam_opt(rows[i].family),
				proto_name(rows[i].proto), rows[i].port, pol);
			free(rows);
			return EX_FAIL;
		}
	}
	printf("# sipalg policies (sipalgctl policy save): [-4|-6] PROTO PORT POLICY\n");
	for (i = 0; i < n; i++) {
		char pol[64];

		fmt_policy(rows[i].flags, pol, sizeof(pol));
		printf("%s%s %u %s\n", fam_opt(rows[i].family),
		       proto_name(rows[i].proto), rows[i].port, pol);
	}
	free(rows);
	if (fflush(stdout) || ferror(stdout)) {
		err_msg("cannot write the policies: %s", strerror(errno));
		return EX_FAIL;
	}
	return EX_OK;
}
