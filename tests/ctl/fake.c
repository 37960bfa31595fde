// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend kernel for tests/ctl: linked into sipalgctl-fake with
 * -Wl,--wrap for genl_open, genl_close and genl_talk (the sipalg family)
 * and for the libnetfilter_conntrack dump calls (flows). Every request is
 * answered from the fixed tables below, so run.sh can compare the output of
 * policy show, stats, calls, registrations and flows, in text and JSON,
 * with expectations written by hand from these tables.
 *
 * SIPALGCTL_FAKE=empty answers every dump with nothing; SIPALGCTL_FAKE=named
 * leaves out the policy with a bit sipalgctl has no name for.
 *
 * monitor: mnl_socket_setsockopt (joining the group), mnl_socket_get_fd,
 * poll and mnl_socket_recvfrom are wrapped too. The monitor socket delivers
 * the three events of fake_events[], one per receive, then "Ctrl-C" (poll
 * raises SIGINT). SIPALGCTL_FAKE=lost also makes the first receive fail
 * with ENOBUFS (the socket overflowed) and the namespace's monitor-lost
 * counter grow by 3 between two stats requests; SIPALGCTL_FAKE=eperm
 * refuses to join the group (no CAP_NET_ADMIN).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

#define FAKE_FAMILY_ID 0x42

int __wrap_genl_open(struct genl *g);
void __wrap_genl_close(struct genl *g);
int __wrap_genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data, const char *what);

static bool fake_is(const char *what)
{
	const char *e = getenv("SIPALGCTL_FAKE");

	return e && !strcmp(e, what);
}

static bool empty(void)
{
	return fake_is("empty");
}

int __wrap_genl_open(struct genl *g)
{
	memset(g, 0, sizeof(*g));
	g->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!g->buf)
		return EX_FAIL;
	g->family_id = FAKE_FAMILY_ID;
	g->version = SIPALG_GENL_VERSION;
	g->mon_group = 1;
	return EX_OK;
}

void __wrap_genl_close(struct genl *g)
{
	free(g->buf);
	g->buf = NULL;
}

/* a reply message in buf for the request's command */
static struct nlmsghdr *reply(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = FAKE_FAMILY_ID;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = SIPALG_GENL_VERSION;
	return nlh;
}

static void put_v4(struct nlmsghdr *nlh, uint16_t type, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	mnl_attr_put(nlh, type, 4, &a);
}

static void put_v6(struct nlmsghdr *nlh, uint16_t type, const char *ip)
{
	struct in6_addr a;

	inet_pton(AF_INET6, ip, &a);
	mnl_attr_put(nlh, type, 16, &a);
}

static void put_ip(struct nlmsghdr *nlh, uint16_t type, const char *ip)
{
	if (strchr(ip, ':'))
		put_v6(nlh, type, ip);
	else
		put_v4(nlh, type, ip);
}

/* ------------------------------------------------------------- policies */
static const struct {
	uint8_t family, proto;
	uint16_t port;
	uint32_t flags;
} fake_pol[] = {
	/* deliberately out of order: policy show sorts */
	{ SIPALG_FAMILY_ANY, IPPROTO_TCP, 5061, SIPALG_POLICY_DISABLE },
	{ SIPALG_FAMILY_INET6, IPPROTO_UDP, 5060,
	  SIPALG_POLICY_FORCE_RPORT | SIPALG_POLICY_STRICT },
	{ SIPALG_FAMILY_ANY, IPPROTO_UDP, 5080,
	  SIPALG_POLICY_STATIC_PORT | SIPALG_POLICY_MEDIA_ANY | 0x100 },
	{ SIPALG_FAMILY_ANY, IPPROTO_UDP, 5060, 0 },
	{ SIPALG_FAMILY_INET, IPPROTO_TCP, 5061, SIPALG_POLICY_FORCE_RPORT },
};

static int talk_policy(char *buf, mnl_cb_t cb, void *data)
{
	size_t i;

	for (i = 0; i < sizeof(fake_pol) / sizeof(fake_pol[0]); i++) {
		struct nlmsghdr *nlh = reply(buf, SIPALG_CMD_POLICY_GET);

		if (fake_is("named") && (fake_pol[i].flags & 0x100))
			continue;

		mnl_attr_put_u8(nlh, SIPALG_A_FAMILY, fake_pol[i].family);
		mnl_attr_put_u8(nlh, SIPALG_A_L4PROTO, fake_pol[i].proto);
		mnl_attr_put_u16(nlh, SIPALG_A_PORT, fake_pol[i].port);
		mnl_attr_put_u32(nlh, SIPALG_A_POLICY, fake_pol[i].flags);
		if (cb(nlh, data) < 0)
			return EX_FAIL;
	}
	return EX_OK;
}

/* ---------------------------------------------------------------- stats */
struct fake_reason {
	uint32_t id;
	const char *name;
	uint64_t count;
};

static void put_reasons(struct nlmsghdr *nlh, uint16_t type,
			const struct fake_reason *r)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	for (; r && r->name; r++) {
		struct nlattr *one = mnl_attr_nest_start(nlh, SIPALG_REASON);

		mnl_attr_put_u32(nlh, SIPALG_REASON_ID, r->id);
		mnl_attr_put_strz(nlh, SIPALG_REASON_NAME, r->name);
		mnl_attr_put_u64(nlh, SIPALG_REASON_COUNT, r->count);
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, nest);
}

struct fake_stats {
	uint8_t proto;		/* 0: the namespace total */
	uint16_t port;
	uint64_t v[SIPALG_STAT_MAX + 1];
	struct fake_reason unch[3], drop[3], ref[3];
};

static const struct fake_stats fake_total = {
	.v = {
		[SIPALG_STAT_SEEN] = 12, [SIPALG_STAT_REWRITTEN] = 7,
		[SIPALG_STAT_UNCHANGED] = 4, [SIPALG_STAT_DROPPED] = 1,
		[SIPALG_STAT_TCP_REASM] = 2, [SIPALG_STAT_PINHOLE_OPENED] = 6,
		[SIPALG_STAT_PINHOLE_EXPIRED] = 5,
		[SIPALG_STAT_STATIC_KEPT] = 3,
		[SIPALG_STAT_STATIC_FALLBACK] = 1,
		[SIPALG_STAT_PINHOLE_ANY_SOURCE] = 2,
		[SIPALG_STAT_MEDIA_PORT_FALLBACK] = 1,
		[SIPALG_STAT_PINHOLE_REFUSED] = 1,
		[SIPALG_STAT_MONITOR_LOST] = 9,
	},
	.unch = { { 1, "not-sip", 3 }, { 4, "bad-via", 1 } },
	.drop = { { 7, "bad-content-length", 1 } },
	.ref = { { 2, "call-limit", 1 } },
};

/* two ports, in the wrong order: stats sorts them (udp first) */
static const struct fake_stats fake_ports[] = {
	{
		.proto = IPPROTO_TCP, .port = 5061,
		.v = {
			[SIPALG_STAT_SEEN] = 3, [SIPALG_STAT_REWRITTEN] = 1,
			[SIPALG_STAT_UNCHANGED] = 1,
			[SIPALG_STAT_DROPPED] = 1,
			[SIPALG_STAT_TCP_REASM] = 2,
		},
		.unch = { { 4, "bad-via", 1 } },
		.drop = { { 7, "bad-content-length", 1 } },
	},
	{
		.proto = IPPROTO_UDP, .port = 5060,
		.v = {
			[SIPALG_STAT_SEEN] = 9, [SIPALG_STAT_REWRITTEN] = 6,
			[SIPALG_STAT_UNCHANGED] = 3,
			[SIPALG_STAT_PINHOLE_OPENED] = 6,
			[SIPALG_STAT_PINHOLE_EXPIRED] = 5,
			[SIPALG_STAT_PINHOLE_REFUSED] = 1,
		},
		.unch = { { 1, "not-sip", 3 } },
		.ref = { { 2, "call-limit", 1 } },
	},
};

static int put_stats(char *buf, const struct fake_stats *s, mnl_cb_t cb,
		     void *data)
{
	struct nlmsghdr *nlh = reply(buf, SIPALG_CMD_STATS_GET);
	struct nlattr *nest;
	int t;

	if (s->proto) {
		mnl_attr_put_u8(nlh, SIPALG_A_L4PROTO, s->proto);
		mnl_attr_put_u16(nlh, SIPALG_A_PORT, s->port);
	} else {
		mnl_attr_put_u32(nlh, SIPALG_A_N_POLICIES, 3);
		mnl_attr_put_u64(nlh, SIPALG_A_TCP_HELD, 1200);
		mnl_attr_put_u64(nlh, SIPALG_A_TCP_BUDGET, 4194304);
	}
	nest = mnl_attr_nest_start(nlh, SIPALG_A_STATS);
	for (t = SIPALG_STAT_SEEN; t <= SIPALG_STAT_MAX; t++) {
		if (t == SIPALG_STAT_UNCHANGED_REASONS)
			put_reasons(nlh, t, s->unch);
		else if (t == SIPALG_STAT_DROPPED_REASONS)
			put_reasons(nlh, t, s->drop);
		else if (t == SIPALG_STAT_PINHOLE_REFUSED_REASONS)
			put_reasons(nlh, t, s->ref);
		else
			mnl_attr_put_u64(nlh, t, s->v[t]);
	}
	mnl_attr_nest_end(nlh, nest);
	return cb(nlh, data) < 0 ? EX_FAIL : EX_OK;
}

static int talk_stats(char *buf, const struct nlmsghdr *req, mnl_cb_t cb,
		      void *data, const char *what)
{
	static unsigned int total_asked;
	struct fake_stats total = fake_total;
	const struct nlattr *a;
	uint8_t proto = 0;
	uint16_t port = 0;
	size_t i;

	if (fake_is("lost"))
		total.v[SIPALG_STAT_MONITOR_LOST] += 3 * total_asked;
	if (req->nlmsg_flags & NLM_F_DUMP) {
		if (empty())
			return EX_OK;
		for (i = 0; i < sizeof(fake_ports) / sizeof(fake_ports[0]); i++)
			if (put_stats(buf, &fake_ports[i], cb, data))
				return EX_FAIL;
		return EX_OK;
	}
	mnl_attr_for_each(a, req, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == SIPALG_A_L4PROTO)
			proto = mnl_attr_get_u8(a);
		if (mnl_attr_get_type(a) == SIPALG_A_PORT)
			port = mnl_attr_get_u16(a);
	}
	if (!proto) {
		total_asked++;
		return put_stats(buf, &total, cb, data);
	}
	for (i = 0; i < sizeof(fake_ports) / sizeof(fake_ports[0]); i++)
		if (fake_ports[i].proto == proto && fake_ports[i].port == port)
			return put_stats(buf, &fake_ports[i], cb, data);
	err_msg("%s: %s", what, strerror(ENOENT));
	return EX_FAIL;
}

/* ------------------------------------------------------ calls, regs */
static void put_party(struct nlmsghdr *nlh, uint16_t type, const char *priv,
		      uint16_t pport, const char *pub, uint16_t pubport)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	put_ip(nlh, SIPALG_PT_PRIV, priv);
	mnl_attr_put_u16(nlh, SIPALG_PT_PRIV_PORT, pport);
	put_ip(nlh, SIPALG_PT_PUB, pub);
	mnl_attr_put_u16(nlh, SIPALG_PT_PUB_PORT, pubport);
	mnl_attr_nest_end(nlh, nest);
}

static void put_pin(struct nlmsghdr *nlh, const char *ip, uint16_t port,
		    bool rtcp, uint8_t used, bool out)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, SIPALG_CL_PINHOLE);

	put_ip(nlh, SIPALG_PH_DST, ip);
	mnl_attr_put_u16(nlh, SIPALG_PH_DPORT, port);
	if (rtcp)
		mnl_attr_put(nlh, SIPALG_PH_RTCP, 0, NULL);
	mnl_attr_put_u8(nlh, SIPALG_PH_USED, used);
	if (out)
		mnl_attr_put(nlh, SIPALG_PH_OUTBOUND, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
}

static int talk_calls(char *buf, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh;
	struct nlattr *c;

	if (empty())
		return EX_OK;
	/* an IPv4 call, answered, with three media pinholes */
	nlh = reply(buf, SIPALG_CMD_CALL_GET);
	c = mnl_attr_nest_start(nlh, SIPALG_A_CALL);
	mnl_attr_put_strz(nlh, SIPALG_CL_CALL_ID, "c2@10.0.0.2");
	mnl_attr_put_u8(nlh, SIPALG_CL_L3, AF_INET);
	mnl_attr_put_u8(nlh, SIPALG_CL_L4, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, SIPALG_CL_PORT, 5060);
	mnl_attr_put_u8(nlh, SIPALG_CL_STATE, SIPALG_CALL_CONFIRMED);
	put_party(nlh, SIPALG_CL_CALLER, "10.0.0.2", 5060, "198.51.100.1", 40000);
	put_party(nlh, SIPALG_CL_CALLEE, "203.0.113.10", 5060, "203.0.113.10", 5060);
	mnl_attr_put_u32(nlh, SIPALG_CL_AGE, 42);
	mnl_attr_put_strz(nlh, SIPALG_CL_LAST, "200 INVITE");
	mnl_attr_put_u32(nlh, SIPALG_CL_LAST_AGO, 40);
	put_pin(nlh, "198.51.100.1", 4000, false, 1, false);
	put_pin(nlh, "198.51.100.1", 4001, true, 0, false);
	put_pin(nlh, "10.0.0.2", 4000, false, 0, true);
	mnl_attr_nest_end(nlh, c);
	if (cb(nlh, data) < 0)
		return EX_FAIL;
	/* a message with no call in it is skipped */
	nlh = reply(buf, SIPALG_CMD_CALL_GET);
	if (cb(nlh, data) < 0)
		return EX_FAIL;
	/*
	 * an IPv6 call over TCP, on hold, no pinholes; its Call-ID has a
	 * backslash, a control byte and a byte over 0x7f
	 */
	nlh = reply(buf, SIPALG_CMD_CALL_GET);
	c = mnl_attr_nest_start(nlh, SIPALG_A_CALL);
	mnl_attr_put_strz(nlh, SIPALG_CL_CALL_ID, "x\\y\001z\xe9");
	mnl_attr_put_u8(nlh, SIPALG_CL_L3, AF_INET6);
	mnl_attr_put_u8(nlh, SIPALG_CL_L4, IPPROTO_TCP);
	mnl_attr_put_u8(nlh, SIPALG_CL_STATE, SIPALG_CALL_HOLD);
	put_party(nlh, SIPALG_CL_CALLER, "fd00::2", 5061, "2001:db8::1", 40001);
	put_party(nlh, SIPALG_CL_CALLEE, "2001:db8::10", 5061, "2001:db8::10", 5061);
	mnl_attr_put_u32(nlh, SIPALG_CL_AGE, 300);
	mnl_attr_put_strz(nlh, SIPALG_CL_LAST, "INVITE");
	mnl_attr_put_u32(nlh, SIPALG_CL_LAST_AGO, 7);
	mnl_attr_nest_end(nlh, c);
	return cb(nlh, data) < 0 ? EX_FAIL : EX_OK;
}

static int talk_regs(char *buf, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh;
	struct nlattr *r;

	if (empty())
		return EX_OK;
	nlh = reply(buf, SIPALG_CMD_REG_GET);
	r = mnl_attr_nest_start(nlh, SIPALG_A_REG);
	mnl_attr_put_strz(nlh, SIPALG_RG_AOR, "sip:100@203.0.113.10");
	mnl_attr_put_strz(nlh, SIPALG_RG_CONTACT, "<sip:100@10.0.0.2:5060>");
	mnl_attr_put_u8(nlh, SIPALG_RG_L3, AF_INET);
	mnl_attr_put_u8(nlh, SIPALG_RG_L4, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, SIPALG_RG_PORT, 5060);
	put_party(nlh, SIPALG_RG_PHONE, "10.0.0.2", 5060, "198.51.100.1", 40000);
	put_ip(nlh, SIPALG_RG_REGISTRAR, "203.0.113.10");
	mnl_attr_put_u16(nlh, SIPALG_RG_REGISTRAR_PORT, 5060);
	mnl_attr_put_u32(nlh, SIPALG_RG_EXPIRES, 3541);
	mnl_attr_nest_end(nlh, r);
	if (cb(nlh, data) < 0)
		return EX_FAIL;
	nlh = reply(buf, SIPALG_CMD_REG_GET);
	r = mnl_attr_nest_start(nlh, SIPALG_A_REG);
	mnl_attr_put_strz(nlh, SIPALG_RG_AOR, "sip:b\\ob@[2001:db8::10]");
	mnl_attr_put_strz(nlh, SIPALG_RG_CONTACT, "<sip:bob@[fd00::3]:5062;ob>");
	mnl_attr_put_u8(nlh, SIPALG_RG_L3, AF_INET6);
	mnl_attr_put_u8(nlh, SIPALG_RG_L4, IPPROTO_TCP);
	put_party(nlh, SIPALG_RG_PHONE, "fd00::3", 5062, "2001:db8::1", 40002);
	put_ip(nlh, SIPALG_RG_REGISTRAR, "2001:db8::10");
	mnl_attr_put_u16(nlh, SIPALG_RG_REGISTRAR_PORT, 5061);
	mnl_attr_put_u32(nlh, SIPALG_RG_EXPIRES, 60);
	mnl_attr_nest_end(nlh, r);
	return cb(nlh, data) < 0 ? EX_FAIL : EX_OK;
}

int __wrap_genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data, const char *what)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	int rc = EX_OK;

	(void)g;
	if (!buf)
		return EX_FAIL;
	switch (gh->cmd) {
	case SIPALG_CMD_POLICY_GET:
		if (!empty())
			rc = talk_policy(buf, cb, data);
		break;
	case SIPALG_CMD_STATS_GET:
		rc = talk_stats(buf, nlh, cb, data, what);
		break;
	case SIPALG_CMD_CALL_GET:
		rc = talk_calls(buf, cb, data);
		break;
	case SIPALG_CMD_REG_GET:
		rc = talk_regs(buf, cb, data);
		break;
	default:
		/* set, del, flush, reset: accepted */
		break;
	}
	free(buf);
	return rc;
}

/* ------------------------------------------------------ monitor events */
int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type,
				 void *buf, socklen_t len);
int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t size);

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src,
		      uint16_t sport, const char *dst, uint16_t dport)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	put_ip(nlh, SIPALG_TUP_SRC, src);
	mnl_attr_put_u16(nlh, SIPALG_TUP_SPORT, sport);
	put_ip(nlh, SIPALG_TUP_DST, dst);
	mnl_attr_put_u16(nlh, SIPALG_TUP_DPORT, dport);
	mnl_attr_nest_end(nlh, nest);
}

static void put_edit(struct nlmsghdr *nlh, uint8_t where, const char *name,
		     const char *before, const char *after, bool cut)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, SIPALG_EV_EDIT);

	mnl_attr_put_u8(nlh, SIPALG_EDIT_WHERE, where);
	mnl_attr_put_strz(nlh, SIPALG_EDIT_NAME, name);
	mnl_attr_put_strz(nlh, SIPALG_EDIT_BEFORE, before);
	mnl_attr_put_strz(nlh, SIPALG_EDIT_AFTER, after);
	mnl_attr_put_u32(nlh, SIPALG_EDIT_N, 1);
	if (cut)
		mnl_attr_put(nlh, SIPALG_EDIT_CUT, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
}

static void put_ev_pin(struct nlmsghdr *nlh, uint8_t opened, uint8_t class,
		       const char *src, const char *dst, uint16_t dport)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, SIPALG_EV_PINHOLE);

	mnl_attr_put_u8(nlh, SIPALG_PH_OPENED, opened);
	mnl_attr_put_u8(nlh, SIPALG_PH_CLASS, class);
	mnl_attr_put_u8(nlh, SIPALG_PH_L4, IPPROTO_UDP);
	if (src)
		put_ip(nlh, SIPALG_PH_SRC, src);
	put_ip(nlh, SIPALG_PH_DST, dst);
	mnl_attr_put_u16(nlh, SIPALG_PH_DPORT, dport);
	mnl_attr_nest_end(nlh, nest);
}

static void put_ev_head(struct nlmsghdr *nlh, uint64_t time, uint8_t dir,
			uint8_t l3, uint8_t l4, uint16_t port)
{
	mnl_attr_put_u64(nlh, SIPALG_EV_TIME, time);
	mnl_attr_put_u8(nlh, SIPALG_EV_DIR, dir);
	mnl_attr_put_u8(nlh, SIPALG_EV_L3, l3);
	mnl_attr_put_u8(nlh, SIPALG_EV_L4, l4);
	mnl_attr_put_u16(nlh, SIPALG_EV_PORT, port);
}

/*
 * a UDP INVITE through the NAT, rewritten (the README's excerpt): four
 * lines changed (a Contact with UTF-8 in it, one line cut), two more left
 * out, a pinhole opened, one closed, one more left out
 */
static void ev_invite(struct nlmsghdr *nlh)
{
	/* 2025-12-03 15:40:19.123456789 UTC */
	put_ev_head(nlh, 1764776419123456789ULL, 0, AF_INET, IPPROTO_UDP, 5060);
	put_tuple(nlh, SIPALG_EV_BEFORE, "192.168.1.2", 5060, "198.51.100.2", 5060);
	put_tuple(nlh, SIPALG_EV_AFTER, "198.51.100.1", 36205, "198.51.100.2", 5060);
	mnl_attr_put_strz(nlh, SIPALG_EV_METHOD, "INVITE");
	mnl_attr_put_u32(nlh, SIPALG_EV_CSEQ, 1);
	mnl_attr_put_strz(nlh, SIPALG_EV_CALL_ID, "1-256@192.168.1.2");
	mnl_attr_put_u8(nlh, SIPALG_EV_VERDICT, SIPALG_VERDICT_REWRITTEN);
	mnl_attr_put_u32(nlh, SIPALG_EV_LEN, 812);
	mnl_attr_put_u32(nlh, SIPALG_EV_NEW_LEN, 816);
	put_edit(nlh, 1, "Via",
		 "Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK-256-1-0",
		 "Via: SIP/2.0/UDP 198.51.100.1:36205;branch=z9hG4bK-256-1-0",
		 false);
	put_edit(nlh, 1, "Contact",
		 "Contact: \"Jos\xc3\xa9\" <sip:sipp@192.168.1.2:5060>",
		 "Contact: \"Jos\xc3\xa9\" <sip:sipp@198.51.100.1:36205>",
		 false);
	put_edit(nlh, 2, "c=", "c=IN IP4 192.168.1.2", "c=IN IP4 198.51.100.1",
		 false);
	put_edit(nlh, 0, "", "INVITE sip:a@192.168.1.2", "INVITE sip:a@198.5",
		 true);
	mnl_attr_put_u32(nlh, SIPALG_EV_EDITS_CUT, 2);
	put_ev_pin(nlh, 1, 1, "198.51.100.2", "198.51.100.1", 6000);
	put_ev_pin(nlh, 0, 2, NULL, "198.51.100.1", 6002);
	mnl_attr_put_u32(nlh, SIPALG_EV_PINHOLES_CUT, 1);
}

/*
 * an IPv6 180 over TCP, forwarded unchanged (bad-via); its Call-ID has a
 * backslash, a control byte and a byte over 0x7f that is not UTF-8
 */
static void ev_ringing(struct nlmsghdr *nlh)
{
	/* 2025-12-03 15:40:20.000999999 UTC */
	put_ev_head(nlh, 1764776420000999999ULL, 1, AF_INET6, IPPROTO_TCP, 5061);
	put_tuple(nlh, SIPALG_EV_BEFORE, "2001:db8::10", 5061, "2001:db8::1", 40100);
	put_tuple(nlh, SIPALG_EV_AFTER, "2001:db8::10", 5061, "fd00::2", 40100);
	mnl_attr_put_strz(nlh, SIPALG_EV_METHOD, "INVITE");
	mnl_attr_put_u16(nlh, SIPALG_EV_STATUS, 180);
	mnl_attr_put_u32(nlh, SIPALG_EV_CSEQ, 7);
	mnl_attr_put_strz(nlh, SIPALG_EV_CALL_ID, "x\\y\001z\xe9");
	mnl_attr_put_u8(nlh, SIPALG_EV_VERDICT, SIPALG_VERDICT_UNCHANGED);
	mnl_attr_put_u32(nlh, SIPALG_EV_REASON, 4);
	mnl_attr_put_strz(nlh, SIPALG_EV_REASON_NAME, "bad-via");
	mnl_attr_put_u32(nlh, SIPALG_EV_LEN, 433);
	mnl_attr_put_u32(nlh, SIPALG_EV_NEW_LEN, 433);
}

/* TCP bytes never framed as a message, dropped: no method, CSeq, Call-ID */
static void ev_raw(struct nlmsghdr *nlh)
{
	/* 2025-12-03 23:59:59.5 UTC */
	put_ev_head(nlh, 1764806399500000000ULL, 0, AF_INET, IPPROTO_TCP, 5061);
	put_tuple(nlh, SIPALG_EV_BEFORE, "10.0.0.3", 40000, "203.0.113.20", 5061);
	put_tuple(nlh, SIPALG_EV_AFTER, "198.51.100.1", 40001, "203.0.113.20", 5061);
	mnl_attr_put_u8(nlh, SIPALG_EV_VERDICT, SIPALG_VERDICT_DROPPED);
	mnl_attr_put_u32(nlh, SIPALG_EV_REASON, 21);
	mnl_attr_put_strz(nlh, SIPALG_EV_REASON_NAME, "tcp-gap");
	mnl_attr_put_u32(nlh, SIPALG_EV_LEN, 1380);
	mnl_attr_put_u32(nlh, SIPALG_EV_NEW_LEN, 0);
}

static void (*const fake_events[])(struct nlmsghdr *) = {
	ev_invite, ev_ringing, ev_raw,
};
#define N_EVENTS (sizeof(fake_events) / sizeof(fake_events[0]))
static unsigned int ev_next;
static bool ev_overflowed;

int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type,
				 void *buf, socklen_t len)
{
	(void)nl;
	(void)type;
	(void)buf;
	(void)len;
	if (fake_is("eperm")) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl)
{
	(void)nl;
	return -1;	/* setsockopt(SO_RCVBUF) fails, as it may: ignored */
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)timeout;
	if (ev_next >= N_EVENTS) {
		/* all delivered: the user presses Ctrl-C */
		raise(SIGINT);
		errno = EINTR;
		return -1;
	}
	if (n)
		fds[0].revents = POLLIN;
	return 1;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t size)
{
	struct nlmsghdr *nlh;
	struct nlattr *ev;

	(void)nl;
	if (fake_is("lost") && !ev_overflowed) {
		ev_overflowed = true;
		errno = ENOBUFS;
		return -1;
	}
	if (ev_next >= N_EVENTS || size < (size_t)MNL_SOCKET_BUFFER_SIZE) {
		errno = EAGAIN;
		return -1;
	}
	nlh = reply(buf, SIPALG_CMD_EVENT);
	ev = mnl_attr_nest_start(nlh, SIPALG_A_EVENT);
	fake_events[ev_next++](nlh);
	mnl_attr_nest_end(nlh, ev);
	return nlh->nlmsg_len;
}

/* ------------------------------------------------ conntrack (flows) */
struct nfct_handle *__wrap_nfct_open(uint8_t subsys_id, unsigned int subscriptions);
int __wrap_nfct_close(struct nfct_handle *h);
int __wrap_nfct_callback_register(struct nfct_handle *h,
				  enum nf_conntrack_msg_type type,
				  int (*cb)(enum nf_conntrack_msg_type,
					    struct nf_conntrack *, void *),
				  void *data);
int __wrap_nfct_query(struct nfct_handle *h, const enum nf_conntrack_query q,
		      const void *data);
int __wrap_nfexp_callback_register(struct nfct_handle *h,
				   enum nf_conntrack_msg_type type,
				   int (*cb)(enum nf_conntrack_msg_type,
					     struct nf_expect *, void *),
				   void *data);
int __wrap_nfexp_query(struct nfct_handle *h, const enum nf_conntrack_query q,
		       const void *data);

static int fake_handle;
static int (*ct_cb)(enum nf_conntrack_msg_type, struct nf_conntrack *, void *);
static int (*exp_cb)(enum nf_conntrack_msg_type, struct nf_expect *, void *);
static void *cb_data;

struct nfct_handle *__wrap_nfct_open(uint8_t subsys_id, unsigned int subscriptions)
{
	(void)subsys_id;
	(void)subscriptions;
	return (struct nfct_handle *)&fake_handle;
}

int __wrap_nfct_close(struct nfct_handle *h)
{
	(void)h;
	return 0;
}

int __wrap_nfct_callback_register(struct nfct_handle *h,
				  enum nf_conntrack_msg_type type,
				  int (*cb)(enum nf_conntrack_msg_type,
					    struct nf_conntrack *, void *),
				  void *data)
{
	(void)h;
	(void)type;
	ct_cb = cb;
	cb_data = data;
	return 0;
}

int __wrap_nfexp_callback_register(struct nfct_handle *h,
				   enum nf_conntrack_msg_type type,
				   int (*cb)(enum nf_conntrack_msg_type,
					     struct nf_expect *, void *),
				   void *data)
{
	(void)h;
	(void)type;
	exp_cb = cb;
	cb_data = data;
	return 0;
}

/* a conntrack entry: orig src -> dst, reply src -> dst */
static struct nf_conntrack *fake_ct(uint8_t l4, const char *os, uint16_t osp,
				    const char *od, uint16_t odp,
				    const char *rs, uint16_t rsp,
				    const char *rd, uint16_t rdp)
{
	struct nf_conntrack *ct = nfct_new();
	bool v6 = strchr(os, ':');
	uint8_t a[16];

	nfct_set_attr_u8(ct, ATTR_L3PROTO, v6 ? AF_INET6 : AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, l4);
#define FAKE_IP(ip, a4, a6) do { \
		inet_pton(v6 ? AF_INET6 : AF_INET, ip, a); \
		nfct_set_attr(ct, v6 ? a6 : a4, a); \
	} while (0)
	FAKE_IP(os, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC);
	FAKE_IP(od, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST);
	FAKE_IP(rs, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC);
	FAKE_IP(rd, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST);
#undef FAKE_IP
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(osp));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(odp));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(rsp));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(rdp));
	return ct;
}

static void ct_send(struct nf_conntrack *ct, const char *helper,
		    uint32_t timeout, uint32_t status)
{
	if (helper)
		nfct_set_attr(ct, ATTR_HELPER_NAME, helper);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	ct_cb(NFCT_T_UPDATE, ct, cb_data);
	nfct_destroy(ct);
}

int __wrap_nfct_query(struct nfct_handle *h, const enum nf_conntrack_query q,
		      const void *data)
{
	(void)h;
	(void)q;
	(void)data;
	if (empty())
		return 0;
	ct_send(fake_ct(IPPROTO_UDP, "10.0.0.2", 5060, "203.0.113.10", 5060,
			"203.0.113.10", 5060, "198.51.100.1", 40000),
		"sipalg", 172, IPS_ASSURED | IPS_SEEN_REPLY);
	/* another helper's and a helperless flow: not listed */
	ct_send(fake_ct(IPPROTO_TCP, "10.0.0.3", 40000, "203.0.113.20", 21,
			"203.0.113.20", 21, "198.51.100.1", 40001),
		"ftp", 300, IPS_ASSURED);
	ct_send(fake_ct(IPPROTO_UDP, "10.0.0.4", 53, "203.0.113.53", 53,
			"203.0.113.53", 53, "198.51.100.1", 53),
		NULL, 30, 0);
	ct_send(fake_ct(IPPROTO_TCP, "fd00::2", 40100, "2001:db8::10", 5061,
			"2001:db8::10", 5061, "2001:db8::1", 40100),
		"sipalg", 431990, 0);
	return 0;
}

static void exp_send(struct nf_conntrack *master, struct nf_conntrack *exp_ct,
		     const char *helper, uint32_t timeout)
{
	struct nf_expect *e = nfexp_new();

	nfexp_set_attr(e, ATTR_EXP_MASTER, master);
	nfexp_set_attr(e, ATTR_EXP_EXPECTED, exp_ct);
	nfexp_set_attr(e, ATTR_EXP_HELPER_NAME, helper);
	nfexp_set_attr_u32(e, ATTR_EXP_TIMEOUT, timeout);
	exp_cb(NFCT_T_UPDATE, e, cb_data);
	nfexp_destroy(e);
	nfct_destroy(master);
	nfct_destroy(exp_ct);
}

int __wrap_nfexp_query(struct nfct_handle *h, const enum nf_conntrack_query q,
		       const void *data)
{
	(void)h;
	(void)q;
	(void)data;
	if (empty())
		return 0;
	exp_send(fake_ct(IPPROTO_UDP, "10.0.0.2", 5060, "203.0.113.10", 5060,
			 "203.0.113.10", 5060, "198.51.100.1", 40000),
		 fake_ct(IPPROTO_UDP, "203.0.113.10", 0, "198.51.100.1", 4000,
			 "198.51.100.1", 4000, "203.0.113.10", 0),
		 "sipalg", 179);
	exp_send(fake_ct(IPPROTO_TCP, "10.0.0.3", 40000, "203.0.113.20", 21,
			 "203.0.113.20", 21, "198.51.100.1", 40001),
		 fake_ct(IPPROTO_TCP, "203.0.113.20", 0, "198.51.100.1", 50000,
			 "198.51.100.1", 50000, "203.0.113.20", 0),
		 "ftp", 290);
	exp_send(fake_ct(IPPROTO_TCP, "fd00::2", 40100, "2001:db8::10", 5061,
			 "2001:db8::10", 5061, "2001:db8::1", 40100),
		 fake_ct(IPPROTO_UDP, "2001:db8::10", 0, "2001:db8::1", 4002,
			 "2001:db8::1", 4002, "2001:db8::10", 0),
		 "sipalg", 58);
	return 0;
}
