// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl monitor [--port P] [--call-id ID] [--count N]: the module's
 * events (uapi/sipalg_nl.h, SIPALG_CMD_EVENT), one per SIP message, as
 * they happen: a marked diff of the lines the router changed, or with -j
 * one JSON object per line. Every string in an event comes from packet
 * bytes: printed escaped, never as it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define MON_VERSION	4	/* the module version that has the events */
#define MAX_EDITS	64
#define MAX_PINS	16
#define TXT		(SIPALG_EV_LINE_MAX + 1)

static void monitor_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl monitor [-j] [--port PORT] [--call-id ID] [--count N]\n"
"\n"
"The SIP messages the sipalg ALG handles in this network namespace, one\n"
"event each, as they happen: time, direction, the addresses before and\n"
"after NAT, method or status, CSeq, Call-ID, the verdict (rewritten,\n"
"unchanged or dropped, with the reason), each line the rewrite changed\n"
"as it came and, marked *, as it left, and the pinholes opened and closed.\n"
"-j prints one JSON object per line. Ctrl-C stops it (exit 0); it then\n"
"prints on standard error how many events it showed and how many the\n"
"module could not send meanwhile (monitor-lost in sipalgctl stats).\n"
"  --port PORT    only messages with PORT as a source or destination port\n"
"  --call-id ID   only messages of that Call-ID\n"
"  --count N      stop after N events\n"
"Needs CAP_NET_ADMIN in the network namespace (exit 5 without it).\n");
}

struct mon_tuple {
	bool has;
	int alen;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct mon_edit {
	uint8_t where;
	uint32_t n;
	bool cut;
	char name[72], before[TXT], after[TXT];
};

struct mon_pin {
	uint8_t opened, class, l4;
	int alen;
	bool has_src;
	uint8_t src[16], dst[16];
	uint16_t dport;
};

struct mon_event {
	uint64_t time;
	uint8_t dir, l3, l4, verdict;
	uint16_t port, status;
	bool has_status, has_cseq;
	uint32_t cseq, reason, len, new_len, edits_cut, pins_cut;
	char method[40], call_id[SIPALG_EV_CALLID_MAX + 8], reason_name[40];
	bool has_call_id;
	struct mon_tuple before, after;
	unsigned int n_edits, n_pins;
	struct mon_edit edit[MAX_EDITS];
	struct mon_pin pin[MAX_PINS];
};

struct mon_opts {
	bool has_port;
	uint16_t port;
	const char *call_id;
	unsigned long count;
	unsigned long shown;
};

static volatile sig_atomic_t mon_stop;

static void mon_signal(int sig)
{
	(void)sig;
	mon_stop = 1;
}

static void parse_tuple(const struct nlattr *nest, struct mon_tuple *t)
{
	const struct nlattr *a;

	t->has = true;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_TUP_SRC:
			t->alen = genl_attr_addr(a, t->src);
			break;
		case SIPALG_TUP_DST:
			genl_attr_addr(a, t->dst);
			break;
		case SIPALG_TUP_SPORT:
			t->sport = mnl_attr_get_u16(a);
			break;
		case SIPALG_TUP_DPORT:
			t->dport = mnl_attr_get_u16(a);
			break;
		}
	}
}

static void parse_edit(const struct nlattr *nest, struct mon_edit *e)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_EDIT_WHERE:
			e->where = mnl_attr_get_u8(a);
			break;
		case SIPALG_EDIT_N:
			e->n = mnl_attr_get_u32(a);
			break;
		case SIPALG_EDIT_NAME:
			genl_attr_str(a, e->name, sizeof(e->name));
			break;
		case SIPALG_EDIT_BEFORE:
			genl_attr_str(a, e->before, sizeof(e->before));
			break;
		case SIPALG_EDIT_AFTER:
			genl_attr_str(a, e->after, sizeof(e->after));
			break;
		case SIPALG_EDIT_CUT:
			e->cut = true;
			break;
		}
	}
}

static void parse_pin(const struct nlattr *nest, struct mon_pin *p)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_PH_OPENED:
			p->opened = mnl_attr_get_u8(a);
			break;
		case SIPALG_PH_CLASS:
			p->class = mnl_attr_get_u8(a);
			break;
		case SIPALG_PH_L4:
			p->l4 = mnl_attr_get_u8(a);
			break;
		case SIPALG_PH_SRC:
			p->has_src = genl_attr_addr(a, p->src) != 0;
			break;
		case SIPALG_PH_DST:
			p->alen = genl_attr_addr(a, p->dst);
			break;
		case SIPALG_PH_DPORT:
			p->dport = mnl_attr_get_u16(a);
			break;
		}
	}
}

static void parse_event(const struct nlattr *nest, struct mon_event *ev)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_EV_TIME:
			ev->time = mnl_attr_get_u64(a);
			break;
		case SIPALG_EV_DIR:
			ev->dir = mnl_attr_get_u8(a);
			break;
		case SIPALG_EV_L3:
			ev->l3 = mnl_attr_get_u8(a);
			break;
		case SIPALG_EV_L4:
			ev->l4 = mnl_attr_get_u8(a);
			break;
		case SIPALG_EV_PORT:
			ev->port = mnl_attr_get_u16(a);
			break;
		case SIPALG_EV_BEFORE:
			parse_tuple(a, &ev->before);
			break;
		case SIPALG_EV_AFTER:
			parse_tuple(a, &ev->after);
			break;
		case SIPALG_EV_METHOD:
			genl_attr_str(a, ev->method, sizeof(ev->method));
			break;
		case SIPALG_EV_STATUS:
			ev->status = mnl_attr_get_u16(a);
			ev->has_status = true;
			break;
		case SIPALG_EV_CSEQ:
			ev->cseq = mnl_attr_get_u32(a);
			ev->has_cseq = true;
			break;
		case SIPALG_EV_CALL_ID:
			genl_attr_str(a, ev->call_id, sizeof(ev->call_id));
			ev->has_call_id = true;
			break;
		case SIPALG_EV_VERDICT:
			ev->verdict = mnl_attr_get_u8(a);
			break;
		case SIPALG_EV_REASON:
			ev->reason = mnl_attr_get_u32(a);
			break;
		case SIPALG_EV_REASON_NAME:
			genl_attr_str(a, ev->reason_name, sizeof(ev->reason_name));
			break;
		case SIPALG_EV_LEN:
			ev->len = mnl_attr_get_u32(a);
			break;
		case SIPALG_EV_NEW_LEN:
			ev->new_len = mnl_attr_get_u32(a);
			break;
		case SIPALG_EV_EDIT:
			if (ev->n_edits < MAX_EDITS)
				parse_edit(a, &ev->edit[ev->n_edits++]);
			else
				ev->edits_cut++;
			break;
		case SIPALG_EV_EDITS_CUT:
			ev->edits_cut += mnl_attr_get_u32(a);
			break;
		case SIPALG_EV_PINHOLE:
			if (ev->n_pins < MAX_PINS)
				parse_pin(a, &ev->pin[ev->n_pins++]);
			else
				ev->pins_cut++;
			break;
		case SIPALG_EV_PINHOLES_CUT:
			ev->pins_cut += mnl_attr_get_u32(a);
			break;
		}
	}
}

static const char *verdict_name(uint8_t v)
{
	switch (v) {
	case SIPALG_VERDICT_REWRITTEN:
		return "rewritten";
	case SIPALG_VERDICT_UNCHANGED:
		return "unchanged";
	case SIPALG_VERDICT_DROPPED:
		return "dropped";
	}
	return "?";
}

static const char *class_name(uint8_t c)
{
	static const char *const n[] = { "signalling", "audio", "video",
					 "other" };

	return c < 4 ? n[c] : "?";
}

static const char *where_name(uint8_t w)
{
	return w == 0 ? "start-line" : w == 1 ? "header" : w == 2 ? "body" :
	       "?";
}

static void fmt_time(uint64_t ns, char *buf, size_t len, bool iso)
{
	time_t sec = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char b[32];

	if (iso) {
		gmtime_r(&sec, &tm);
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%06" PRIu64 "Z", b,
			 (uint64_t)(ns % 1000000000U) / 1000);
	} else {
		localtime_r(&sec, &tm);
		strftime(b, sizeof(b), "%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%06" PRIu64, b,
			 (uint64_t)(ns % 1000000000U) / 1000);
	}
}

/* a tuple: "key": {src, sport, dst, dport} in JSON, one line in text */
static void print_tuple(const char *key, const char *label,
			const struct mon_tuple *tp)
{
	pr_obj_open(key);
	pr_endpoint(PR_ANY, "src", "sport", label, tp->alen, tp->src,
		    tp->sport);
	pr_endpoint(PR_ANY, "dst", "dport", " -> %s\n", tp->alen, tp->dst,
		    tp->dport);
	pr_obj_close();
}

/*
 * one event, text and JSON from the same calls: the text is a header line
 * (local time, method or status, transport, direction, verdict), the
 * tuples, the Call-ID and a marked diff; the JSON object holds more fields
 * in another order, so some are PR_TEXT or PR_JSON only
 */
static void print_event(const struct mon_event *ev)
{
	const char *dir = ev->dir ? "reply" : "original";
	char iso[64], t[64], ip[INET6_ADDRSTRLEN];
	unsigned int i;

	fmt_time(ev->time, iso, sizeof(iso), true);
	fmt_time(ev->time, t, sizeof(t), false);
	pr_obj_open(NULL);
	pr_str(PR_JSON, "time", NULL, iso);
	pr_str(PR_TEXT, NULL, "=== %s  ", t);
	pr_u64(PR_JSON, "time_ns", NULL, ev->time);
	if (ev->has_status) {
		pr_uint(PR_TEXT, NULL, "%u  ", ev->status);
		pr_uint(PR_TEXT, NULL, "(CSeq %u ", ev->cseq);
		pr_pkt(PR_TEXT, NULL, "%s)", ev->method[0] ? ev->method : "?");
	} else if (ev->method[0]) {
		pr_pkt(PR_TEXT, NULL, "%s", ev->method);
		if (ev->has_cseq) {
			pr_uint(PR_TEXT, NULL, "  (CSeq %u ", ev->cseq);
			pr_pkt(PR_TEXT, NULL, "%s)", ev->method);
		}
	} else {
		pr_text("(not parsed)");
	}
	pr_str(PR_JSON, "dir", NULL, dir);
	pr_str(PR_JSON, "family", NULL, ev->l3 == AF_INET6 ? "inet6" : "inet");
	pr_str(PR_ANY, "transport", "  %s ", proto_name(ev->l4));
	pr_str(PR_TEXT, NULL, "%s  ", dir);
	pr_str(PR_TEXT, NULL, "%s", verdict_name(ev->verdict));
	if (ev->reason)
		pr_str(PR_TEXT, NULL, " (%s)",
		       ev->reason_name[0] ? ev->reason_name : "?");
	pr_text("\n");
	pr_uint(PR_JSON, "port", NULL, ev->port);

	print_tuple("before", "  came in   %s", &ev->before);
	print_tuple("after", "  left      %s", &ev->after);

	if (ev->method[0])
		pr_pkt(PR_JSON, "method", NULL, ev->method);
	else
		pr_null("method");
	if (ev->has_status)
		pr_uint(PR_JSON, "status", NULL, ev->status);
	if (ev->has_cseq)
		pr_uint(PR_JSON, "cseq", NULL, ev->cseq);
	if (ev->has_call_id)
		pr_pkt(PR_ANY, "call_id", "  Call-ID   %s\n", ev->call_id);
	else
		pr_null("call_id");
	pr_str(PR_JSON, "verdict", NULL, verdict_name(ev->verdict));
	if (ev->reason)
		pr_str(PR_JSON, "reason", NULL,
		       ev->reason_name[0] ? ev->reason_name : "?");
	else
		pr_null("reason");
	pr_uint(PR_JSON, "len", NULL, ev->len);
	pr_uint(PR_JSON, "new_len", NULL, ev->new_len);

	/* each changed line as it came and, marked *, as it left */
	pr_arr_open("edits");
	for (i = 0; i < ev->n_edits; i++) {
		const struct mon_edit *e = &ev->edit[i];
		const char *cut = e->cut ? " [cut]" : "";

		pr_obj_open(NULL);
		pr_str(PR_JSON, "where", NULL, where_name(e->where));
		pr_pkt(PR_JSON, "name", NULL, e->name);
		pr_pkt(PR_ANY, "before", "      %s", e->before);
		pr_text("%s", cut);
		pr_pkt(PR_ANY, "after", "\n    * %s", e->after);
		pr_text("%s\n", cut);
		pr_uint(PR_JSON, "edits", NULL, e->n);
		pr_bool(PR_JSON, "cut", NULL, e->cut);
		pr_obj_close();
	}
	pr_arr_close();
	/* in text only when some were left out */
	pr_uint(ev->edits_cut ? PR_ANY : PR_JSON, "edits_cut",
		"    (%u more lines changed, not shown)\n", ev->edits_cut);

	pr_arr_open("pinholes");
	for (i = 0; i < ev->n_pins; i++) {
		const struct mon_pin *p = &ev->pin[i];

		pr_obj_open(NULL);
		pr_str(PR_ANY, "action", "  pinhole %s  ",
		       p->opened ? "opened" : "closed");
		pr_str(PR_JSON, "class", NULL, class_name(p->class));
		pr_str(PR_ANY, "transport", "%s ", proto_name(p->l4));
		pr_endpoint(PR_ANY, "addr", "port", "%s", p->alen, p->dst,
			    p->dport);
		if (p->has_src) {
			fmt_address(p->alen, p->src, ip, sizeof(ip));
			pr_str(PR_ANY, "from", " from %s", ip);
		} else {
			pr_null("from");
			pr_text(" from any source");
		}
		pr_str(PR_TEXT, NULL, " (%s)\n", class_name(p->class));
		pr_obj_close();
	}
	pr_arr_close();
	pr_uint(ev->pins_cut ? PR_ANY : PR_JSON, "pinholes_cut",
		"  (%u more pinholes, not shown)\n", ev->pins_cut);
	pr_obj_close();
	pr_end();
}

static bool mon_match(const struct mon_opts *o, const struct mon_event *ev)
{
	if (o->has_port && ev->port != o->port &&
	    ev->before.sport != o->port && ev->before.dport != o->port &&
	    ev->after.sport != o->port && ev->after.dport != o->port)
		return false;
	if (o->call_id && (!ev->has_call_id || strcmp(o->call_id, ev->call_id)))
		return false;
	return true;
}

static int mon_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon_opts *o = data;
	static struct mon_event ev;
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (gh->cmd != SIPALG_CMD_EVENT)
		return MNL_CB_OK;
	memset(&ev, 0, sizeof(ev));
	mnl_attr_for_each(a, nlh, sizeof(*gh))
		if (mnl_attr_get_type(a) == SIPALG_A_EVENT)
			parse_event(a, &ev);
	if (!mon_match(o, &ev))
		return MNL_CB_OK;
	print_event(&ev);
	fflush(stdout);
	o->shown++;
	if (o->count && o->shown >= o->count)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static int stats_lost_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *s;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != SIPALG_A_STATS)
			continue;
		mnl_attr_for_each_nested(s, a)
			if (mnl_attr_get_type(s) == SIPALG_STAT_MONITOR_LOST &&
			    mnl_attr_get_payload_len(s) == 8)
				*(uint64_t *)data = mnl_attr_get_u64(s);
	}
	return MNL_CB_OK;
}

/* the namespace's count of events not sent */
static uint64_t mon_lost(struct genl *g)
{
	uint64_t lost = 0;

	if (genl_talk(g, genl_req(g, SIPALG_CMD_STATS_GET, 0), stats_lost_cb,
		      &lost, "stats"))
		return 0;
	return lost;
}

static int mon_loop(struct genl *ev, struct mon_opts *o)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 4);
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ev->nl),
			      .events = POLLIN };
	unsigned long overruns = 0;
	int rc = EX_OK;

	if (!buf) {
		err_msg("out of memory");
		return EX_FAIL;
	}
	while (!mon_stop) {
		ssize_t n;
		int r = poll(&pfd, 1, 500);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_msg("monitor: poll: %s", strerror(errno));
			rc = EX_FAIL;
			break;
		}
		if (!r)
			continue;
		n = mnl_socket_recvfrom(ev->nl, buf, MNL_SOCKET_BUFFER_SIZE * 4);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ENOBUFS) {
				/* our socket was full: the module counts them */
				overruns++;
				continue;
			}
			err_msg("monitor: receive: %s", strerror(errno));
			rc = EX_FAIL;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, 0, 0, mon_cb, o);
		if (r == MNL_CB_STOP)
			break;
	}
	free(buf);
	if (overruns)
		err_msg("monitor: this socket overflowed %lu times", overruns);
	return rc;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon_opts o = { 0 };
	struct sigaction sa;
	struct genl ev, g;
	uint64_t lost0, lost1;
	int i, rc, grp, size = 4 << 20;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (is_help(a)) {
			monitor_usage(stdout);
			return EX_OK;
		}
		if (!strcmp(a, "--port") || !strcmp(a, "--call-id") ||
		    !strcmp(a, "--count")) {
			if (i + 1 >= argc)
				return usage_err("monitor", "%s needs a value", a);
			i++;
			if (!strcmp(a, "--port")) {
				if (!parse_port(argv[i], &o.port, "monitor"))
					return EX_USAGE;
				o.has_port = true;
			} else if (!strcmp(a, "--call-id")) {
				if (!argv[i][0])
					return usage_err("monitor", "--call-id needs a non-empty Call-ID");
				o.call_id = argv[i];
			} else {
				char *end;

				errno = 0;
				o.count = strtoul(argv[i], &end, 10);
				if (!argv[i][0] || *end || errno || !o.count ||
				    argv[i][0] == '-')
					return usage_err("monitor", "bad count \"%s\": expected a number of events, 1 or more",
							 argv[i]);
			}
			continue;
		}
		/* -j, -p (and -4/-6, refused below) after the command too */
		if (global_opt(a))
			continue;
		if (a[0] == '-' && a[1])
			return usage_err("monitor", "unknown option \"%s\"", a);
		return usage_err("monitor", "unexpected argument \"%s\"", a);
	}
	if (g_opts.family)
		return usage_err("monitor", "-4/-6 do not apply: it shows both address families");

	rc = genl_open(&ev);
	if (rc)
		return rc;
	if (ev.version < MON_VERSION || !ev.mon_group) {
		err_msg("monitor: the loaded sipalg module speaks netlink version %u, monitor needs version %u: update the module",
			ev.version, MON_VERSION);
		genl_close(&ev);
		return EX_FAIL;
	}
	grp = (int)ev.mon_group;
	if (mnl_socket_setsockopt(ev.nl, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		int e = errno;

		genl_close(&ev);
		if (e == EPERM || e == EACCES) {
			err_msg("monitor: permission denied: watching the ALG's messages needs CAP_NET_ADMIN in this network namespace (run as root)");
			return EX_PERM;
		}
		err_msg("monitor: cannot join the monitor group: %s",
			strerror(e));
		return EX_FAIL;
	}
	/* room for bursts; the privileged may go past rmem_max */
	if (setsockopt(mnl_socket_get_fd(ev.nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(ev.nl), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));

	rc = genl_open(&g);
	if (rc) {
		genl_close(&ev);
		return rc;
	}
	lost0 = mon_lost(&g);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mon_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = mon_loop(&ev, &o);
	lost1 = mon_lost(&g);
	fflush(stdout);
	fprintf(stderr, "%s: monitor: %lu events shown, %" PRIu64 " lost\n",
		g_prog, o.shown, lost1 >= lost0 ? lost1 - lost0 : 0);
	genl_close(&g);
	genl_close(&ev);
	return rc;
}
