// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl flows: the conntrack entries that have the sipalg helper
 * attached, and the expectations (pinholes) it opened, read with
 * libnetfilter_conntrack.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "sipalgctl.h"
#include "sipalg_nl.h"

struct flows_ctx {
	unsigned int n;
};

static void flows_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl flows [-j [-p]] [-4|-6]\n"
"\n"
"Lists the connections the sipalg helper is attached to (conntrack entries\n"
"with helper=" SIPALG_GENL_NAME "), then the pinholes it opened (expectations of that\n"
"helper), in this network namespace. Reading conntrack needs CAP_NET_ADMIN.\n"
"Connections: protocol, original tuple, reply tuple (as NAT rewrote it),\n"
"seconds left, and [assured] once traffic was seen both ways.\n"
"Pinholes: the expected flow, the connection that opened it, seconds left.\n");
}

struct tuple_attrs {
	int src4, dst4, src6, dst6, sport, dport;
};

static const struct tuple_attrs orig_attrs = {
	ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_SRC,
	ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
};

static const struct tuple_attrs repl_attrs = {
	ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_SRC,
	ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
};

static void ep_fmt(const struct nf_conntrack *ct, int a4, int a6, int ap,
		   char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	uint8_t l3 = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	uint16_t port = ntohs(nfct_get_attr_u16(ct, ap));

	if (l3 == AF_INET6) {
		if (nfct_attr_is_set(ct, a6) > 0)
			inet_ntop(AF_INET6, nfct_get_attr(ct, a6), ip,
				  sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, port);
	} else {
		uint32_t v4 = nfct_get_attr_u32(ct, a4);

		inet_ntop(AF_INET, &v4, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, port);
	}
}

static void tuple_fmt(const struct nf_conntrack *ct,
		      const struct tuple_attrs *t, char *src, char *dst,
		      size_t len)
{
	ep_fmt(ct, t->src4, t->src6, t->sport, src, len);
	ep_fmt(ct, t->dst4, t->dst6, t->dport, dst, len);
}

static const char *l4name(const struct nf_conntrack *ct)
{
	uint8_t p = nfct_get_attr_u8(ct, ATTR_L4PROTO);

	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_TCP ? "tcp" : "other";
}

static bool family_ok(const struct nf_conntrack *ct)
{
	uint8_t l3 = nfct_get_attr_u8(ct, ATTR_L3PROTO);

	return !g_opts.family || (g_opts.family == 4 && l3 == AF_INET) ||
	       (g_opts.family == 6 && l3 == AF_INET6);
}

/*
 * a flow's two ends: JSON {"src": ..., "dst": ...} under key (in the object
 * open now when key is NULL); text src_fmt with src, then " -> dst"
 */
static void pr_flow(const char *key, const char *src_fmt, const char *src,
		    const char *dst)
{
	if (key)
		pr_obj_open(key);
	pr_str(PR_ANY, "src", src_fmt, src);
	pr_str(PR_ANY, "dst", " -> %s", dst);
	if (key)
		pr_obj_close();
}

static int ct_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		 void *data)
{
	struct flows_ctx *c = data;
	const char *helper;
	char os[64], od[64], rs[64], rd[64];
	uint32_t timeout, status;

	(void)type;
	if (nfct_attr_is_set(ct, ATTR_HELPER_NAME) <= 0)
		return NFCT_CB_CONTINUE;
	helper = nfct_get_attr(ct, ATTR_HELPER_NAME);
	if (!helper || strcmp(helper, SIPALG_GENL_NAME) || !family_ok(ct))
		return NFCT_CB_CONTINUE;
	tuple_fmt(ct, &orig_attrs, os, od, sizeof(os));
	tuple_fmt(ct, &repl_attrs, rs, rd, sizeof(rs));
	timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	status = nfct_get_attr_u32(ct, ATTR_STATUS);
	pr_obj_open(NULL);
	pr_str(PR_ANY, "proto", "%-4s ", l4name(ct));
	pr_str(PR_JSON, "family", NULL,
	       nfct_get_attr_u8(ct, ATTR_L3PROTO) == AF_INET6 ? "inet6" : "inet");
	pr_flow("orig", "%s", os, od);
	pr_flow("reply", "  reply %s", rs, rd);
	pr_uint(PR_ANY, "timeout", "  %us", timeout);
	/* text: a mark when set */
	pr_bool(status & IPS_ASSURED ? PR_ANY : PR_JSON, "assured",
		" [assured]", status & IPS_ASSURED);
	pr_obj_close();
	pr_text("\n");
	c->n++;
	return NFCT_CB_CONTINUE;
}

static int exp_cb(enum nf_conntrack_msg_type type, struct nf_expect *exp,
		  void *data)
{
	struct flows_ctx *c = data;
	const struct nf_conntrack *master, *expected;
	const char *helper;
	char es[64], ed[64], ms[64], md[64];
	uint32_t timeout;

	(void)type;
	if (nfexp_attr_is_set(exp, ATTR_EXP_HELPER_NAME) <= 0)
		return NFCT_CB_CONTINUE;
	helper = nfexp_get_attr(exp, ATTR_EXP_HELPER_NAME);
	if (!helper || strcmp(helper, SIPALG_GENL_NAME))
		return NFCT_CB_CONTINUE;
	master = nfexp_get_attr(exp, ATTR_EXP_MASTER);
	expected = nfexp_get_attr(exp, ATTR_EXP_EXPECTED);
	if (!master || !expected || !family_ok(expected))
		return NFCT_CB_CONTINUE;
	tuple_fmt(expected, &orig_attrs, es, ed, sizeof(es));
	tuple_fmt(master, &orig_attrs, ms, md, sizeof(ms));
	timeout = nfexp_get_attr_u32(exp, ATTR_EXP_TIMEOUT);
	pr_obj_open(NULL);
	pr_str(PR_ANY, "proto", "%-4s ", l4name(expected));
	pr_flow(NULL, "%s", es, ed);
	pr_obj_open("master");
	pr_str(PR_ANY, "proto", "  for %s", l4name(master));
	pr_flow(NULL, " %s", ms, md);
	pr_obj_close();
	pr_uint(PR_ANY, "timeout", "  %us", timeout);
	pr_obj_close();
	pr_text("\n");
	c->n++;
	return NFCT_CB_CONTINUE;
}

static int dump_err(const char *what)
{
	if (errno == EPERM) {
		err_msg("flows: permission denied reading %s: needs CAP_NET_ADMIN (run as root)",
			what);
		return EX_PERM;
	}
	err_msg("flows: cannot read %s: %s", what, strerror(errno));
	return EX_FAIL;
}

/* a list: JSON "name": [, text a "name:" heading */
static void pr_list(const char *name)
{
	pr_arr_open(name);
	pr_text("%s:\n", name);
}

int cmd_flows(int argc, char **argv)
{
	struct flows_ctx cc = { 0 }, ec = { 0 };
	struct nfct_handle *h;
	uint32_t fam = AF_UNSPEC;
	int rc = EX_OK;

	rc = take_global_opts("flows", &argc, argv);
	if (rc)
		return rc;
	if (argc > 0 && is_help(argv[0])) {
		flows_usage(stdout);
		return EX_OK;
	}
	if (argc > 0)
		return usage_err("flows", "unexpected argument \"%s\"", argv[0]);

	if (g_opts.family)
		fam = g_opts.family == 4 ? AF_INET : AF_INET6;
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		err_msg("flows: cannot open a conntrack netlink socket: %s",
			strerror(errno));
		return EX_FAIL;
	}
	pr_obj_open(NULL);
	pr_list("connections");
	nfct_callback_register(h, NFCT_T_ALL, ct_cb, &cc);
	if (nfct_query(h, NFCT_Q_DUMP, &fam) < 0)
		rc = dump_err("the conntrack table");
	nfct_close(h);
	pr_arr_close();
	if (rc)
		goto out;

	h = nfct_open(EXPECT, 0);
	if (!h) {
		err_msg("flows: cannot open a conntrack netlink socket: %s",
			strerror(errno));
		rc = EX_FAIL;
		goto out;
	}
	pr_list("pinholes");
	nfexp_callback_register(h, NFCT_T_ALL, exp_cb, &ec);
	if (nfexp_query(h, NFCT_Q_DUMP, &fam) < 0)
		rc = dump_err("the expectation table");
	nfct_close(h);
	pr_arr_close();
out:
	pr_obj_close();
	pr_end();
	return rc;
}
