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
 */
#include <errno.h>
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
	const struct nlattr *a;
	uint8_t proto = 0;
	uint16_t port = 0;
	size_t i;

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
	if (!proto)
		return put_stats(buf, &fake_total, cb, data);
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
