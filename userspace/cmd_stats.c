// SPDX-License-Identifier: GPL-2.0
/* sipalgctl stats [show] [{udp|tcp} PORT] | stats reset */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

#define MAX_REASONS 64

struct reason {
	uint32_t id;
	char name[32];
	uint64_t count;
};

struct stats {
	bool has_port;
	uint8_t proto;
	uint16_t port;
	bool has_npol;
	uint32_t npol;
	bool has_tcp;
	uint64_t tcp_held, tcp_budget;
	uint64_t v[SIPALG_STAT_MAX + 1];
	unsigned int n_unch, n_drop, n_ref;
	struct reason unch[MAX_REASONS], drop[MAX_REASONS], ref[MAX_REASONS];
};

/*
 * The counters in the order they are printed, by their JSON key; the text
 * names them with '-' for '_' (tcp_reassembled: tcp-reassembled).
 */
static const struct {
	int attr;
	const char *key;
} stat_names[] = {
	{ SIPALG_STAT_SEEN, "seen" },
	{ SIPALG_STAT_REWRITTEN, "rewritten" },
	{ SIPALG_STAT_UNCHANGED, "unchanged" },
	{ SIPALG_STAT_DROPPED, "dropped" },
	{ SIPALG_STAT_TCP_REASM, "tcp_reassembled" },
	{ SIPALG_STAT_PINHOLE_OPENED, "pinholes_opened" },
	{ SIPALG_STAT_PINHOLE_EXPIRED, "pinholes_expired" },
	{ SIPALG_STAT_STATIC_KEPT, "static_port_kept" },
	{ SIPALG_STAT_STATIC_FALLBACK, "static_port_fallback" },
	{ SIPALG_STAT_PINHOLE_ANY_SOURCE, "pinholes_any_source" },
	{ SIPALG_STAT_MEDIA_PORT_FALLBACK, "media_port_fallback" },
	{ SIPALG_STAT_PINHOLE_REFUSED, "pinholes_refused" },
	{ SIPALG_STAT_MONITOR_LOST, "monitor_lost" },
};

static void stats_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl stats [show] [{udp|tcp} PORT] [-j [-p]]\n"
"       sipalgctl stats reset\n"
"\n"
"Counters of the sipalg ALG in this network namespace: the namespace\n"
"totals, then one line per port (ports with a policy, and ports the ALG\n"
"counted messages for). With a protocol and port, only that port.\n"
"  seen                  SIP messages looked at\n"
"  rewritten             forwarded with edits\n"
"  unchanged             forwarded byte-identical, with the reasons\n"
"  dropped               dropped, with the reasons\n"
"  tcp-reassembled       TCP messages reassembled from several segments\n"
"  pinholes-opened       expectations created (media, registrations)\n"
"  pinholes-expired      expectations expired or removed\n"
"  static-port-kept      static-port flows that kept the client's port\n"
"  static-port-fallback  static-port flows whose port was taken\n"
"  pinholes-any-source   media pinhole pairs opened from any source (media-any)\n"
"  media-port-fallback   a phone's media left from another port than its SDP\n"
"                        showed (that public port was taken)\n"
"  pinholes-refused      pinholes a limit refused, with the reasons: call-limit,\n"
"                        table-full, share, low-port, reg-contacts, kernel-full\n"
"                        (README, \"Limits\")\n"
"  monitor-lost          monitor events not sent (no memory, a listener's\n"
"                        socket full, over the monitor_rate parameter)\n"
"reset zeroes every counter (needs CAP_NET_ADMIN).\n");
}

static void parse_reasons(const struct nlattr *nest, struct reason *out,
			  unsigned int *n)
{
	const struct nlattr *r, *a;

	mnl_attr_for_each_nested(r, nest) {
		struct reason x = { 0 };

		if (mnl_attr_get_type(r) != SIPALG_REASON || *n >= MAX_REASONS)
			continue;
		mnl_attr_for_each_nested(a, r) {
			switch (mnl_attr_get_type(a)) {
			case SIPALG_REASON_ID:
				x.id = mnl_attr_get_u32(a);
				break;
			case SIPALG_REASON_NAME:
				snprintf(x.name, sizeof(x.name), "%.*s",
					 (int)mnl_attr_get_payload_len(a),
					 (const char *)mnl_attr_get_payload(a));
				break;
			case SIPALG_REASON_COUNT:
				x.count = mnl_attr_get_u64(a);
				break;
			}
		}
		/* the name is NUL-terminated: cut at it */
		x.name[strnlen(x.name, sizeof(x.name) - 1)] = 0;
		out[(*n)++] = x;
	}
}

static void parse_stats(const struct nlattr *nest, struct stats *s)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		int t = mnl_attr_get_type(a);

		if (t == SIPALG_STAT_UNCHANGED_REASONS)
			parse_reasons(a, s->unch, &s->n_unch);
		else if (t == SIPALG_STAT_DROPPED_REASONS)
			parse_reasons(a, s->drop, &s->n_drop);
		else if (t == SIPALG_STAT_PINHOLE_REFUSED_REASONS)
			parse_reasons(a, s->ref, &s->n_ref);
		else if (t > SIPALG_STAT_PAD && t <= SIPALG_STAT_MAX &&
			 mnl_attr_get_payload_len(a) == sizeof(uint64_t))
			s->v[t] = mnl_attr_get_u64(a);
	}
}

struct coll {
	struct stats *v;
	size_t n, cap;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coll *c = data;
	struct stats *s;
	struct nlattr *a;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct stats *n = realloc(c->v, cap * sizeof(*n));

		if (!n)
			return MNL_CB_ERROR;
		c->v = n;
		c->cap = cap;
	}
	s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_A_L4PROTO:
			s->proto = mnl_attr_get_u8(a);
			s->has_port = true;
			break;
		case SIPALG_A_PORT:
			s->port = mnl_attr_get_u16(a);
			break;
		case SIPALG_A_N_POLICIES:
			s->npol = mnl_attr_get_u32(a);
			s->has_npol = true;
			break;
		case SIPALG_A_TCP_HELD:
			s->tcp_held = mnl_attr_get_u64(a);
			s->has_tcp = true;
			break;
		case SIPALG_A_TCP_BUDGET:
			s->tcp_budget = mnl_attr_get_u64(a);
			break;
		case SIPALG_A_STATS:
			parse_stats(a, s);
			break;
		}
	}
	return MNL_CB_OK;
}

/* one count: JSON "key": n, text " label n" */
static void pr_count(const char *key, const char *label, uint64_t n)
{
	pr_text(" %s", label);
	pr_u64(PR_ANY, key, " %" PRIu64, n);
}

/* JSON: an object, empty or not; text: a line when there are any */
static void print_reasons(const char *key, const char *what,
			  const struct reason *r, unsigned int n)
{
	unsigned int i;

	pr_obj_open(key);
	if (n)
		pr_text("    %s:", what);
	for (i = 0; i < n; i++)
		pr_count(r[i].name, r[i].name, r[i].count);
	if (n)
		pr_text("\n");
	pr_obj_close();
}

static void print_stats(const char *key, const struct stats *s)
{
	size_t i;

	pr_obj_open(key);
	if (s->has_port) {
		pr_str(PR_ANY, "proto", "%s ", proto_name(s->proto));
		pr_uint(PR_ANY, "port", "%u:\n", s->port);
	}
	/* text heads the total with it; JSON has it when the kernel sent it */
	pr_uint((s->has_port ? 0 : PR_TEXT) | (s->has_npol ? PR_JSON : 0),
		"policies", "namespace total (%u policies):\n", s->npol);
	pr_text("   ");
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++) {
		char label[32];
		size_t k;

		snprintf(label, sizeof(label), "%s", stat_names[i].key);
		for (k = 0; label[k]; k++)
			if (label[k] == '_')
				label[k] = '-';
		pr_count(stat_names[i].key, label, s->v[stat_names[i].attr]);
	}
	pr_text("\n");
	print_reasons("unchanged_reasons", "unchanged", s->unch, s->n_unch);
	print_reasons("dropped_reasons", "dropped", s->drop, s->n_drop);
	print_reasons("pinholes_refused_reasons", "pinholes refused", s->ref,
		      s->n_ref);
	if (s->has_tcp) {
		pr_u64(PR_ANY, "tcp_held", "    tcp held: %" PRIu64, s->tcp_held);
		pr_u64(PR_ANY, "tcp_hold_budget",
		       " of %" PRIu64 " bytes (all namespaces)\n", s->tcp_budget);
	}
	pr_obj_close();
}

static int stats_cmp(const void *a, const void *b)
{
	const struct stats *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto == IPPROTO_UDP ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static int stats_show(int argc, char **argv)
{
	struct coll total = { 0 }, ports = { 0 };
	char what[64];
	struct nlmsghdr *nlh;
	uint8_t proto = 0;
	uint16_t port = 0;
	struct genl g;
	size_t i;
	int rc;

	if (argc == 1)
		return usage_err("stats", "a protocol needs a port: stats %s PORT",
				 argv[0]);
	if (argc >= 2 && (!parse_proto(argv[0], &proto, "stats") ||
			  !parse_port(argv[1], &port, "stats")))
		return EX_USAGE;
	if (argc > 2)
		return usage_err("stats", "unexpected argument \"%s\"", argv[2]);
	if (g_opts.family)
		return usage_err("stats", "counters are per port for both address families: drop -4/-6");

	rc = genl_open(&g);
	if (rc)
		return rc;
	nlh = genl_req(&g, SIPALG_CMD_STATS_GET, 0);
	if (proto) {
		mnl_attr_put_u8(nlh, SIPALG_A_L4PROTO, proto);
		mnl_attr_put_u16(nlh, SIPALG_A_PORT, port);
	}
	/* a port with nothing counted: the kernel's ENOENT, exit 1 */
	if (proto)
		snprintf(what, sizeof(what), "cannot read the counters of %s %u",
			 proto_name(proto), port);
	rc = genl_talk(&g, nlh, stats_cb, proto ? &ports : &total,
		       proto ? what : "cannot read the counters");
	if (!rc && !proto)
		rc = genl_talk(&g, genl_req(&g, SIPALG_CMD_STATS_GET,
					    NLM_F_DUMP),
			       stats_cb, &ports, "cannot read the counters");
	genl_close(&g);
	if (rc)
		goto out;
	if (ports.n)
		qsort(ports.v, ports.n, sizeof(*ports.v), stats_cmp);

	pr_obj_open(NULL);
	if (total.n)
		print_stats("total", &total.v[0]);
	pr_arr_open("ports");
	for (i = 0; i < ports.n; i++)
		print_stats(NULL, &ports.v[i]);
	pr_arr_close();
	pr_obj_close();
	pr_end();
out:
	free(total.v);
	free(ports.v);
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	struct genl g;
	int rc;

	rc = take_global_opts("stats", &argc, argv);
	if (rc)
		return rc;
	if (argc > 0 && is_help(argv[0])) {
		stats_usage(stdout);
		return EX_OK;
	}
	if (argc > 1 && is_help(argv[1])) {
		stats_usage(stdout);
		return EX_OK;
	}
	if (argc > 0 && !strcmp(argv[0], "show"))
		return stats_show(argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "reset")) {
		if (argc > 1)
			return usage_err("stats reset",
					 "unexpected argument \"%s\"", argv[1]);
		rc = genl_open(&g);
		if (rc)
			return rc;
		rc = genl_talk(&g, genl_req(&g, SIPALG_CMD_STATS_RESET, 0),
			       NULL, NULL, "cannot reset the counters");
		genl_close(&g);
		return rc;
	}
	return stats_show(argc, argv);
}
