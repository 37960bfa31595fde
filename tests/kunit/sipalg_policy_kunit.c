// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the per-port policy table and counters (kmod/policy.c), and the
 * "sipalg" generic netlink family (kmod/netlink.c) driven through a real
 * netlink socket, so attribute validation runs exactly as for sipalgctl.
 *
 * The tests use init_net's table and leave it empty.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/genetlink.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "policy.h"

static const struct sipalg_pol_key key_udp_any = {
	.family = SIPALG_FAMILY_ANY, .l4proto = IPPROTO_UDP, .port = 5070,
};

static int policy_init(struct kunit *test)
{
	sipalg_pol_flush(&init_net);
	KUNIT_ASSERT_EQ(test, sipalg_pol_count(&init_net), 0U);
	return 0;
}

static void policy_exit(struct kunit *test)
{
	sipalg_pol_flush(&init_net);
	sipalg_stats_reset(&init_net);
}

/* ---------------------------------------------------------- the table */

/* the packet path's lookup, for the policy set for both families */
static u32 pol_any(u8 l4proto, u16 port)
{
	return sipalg_policy_get_af(&init_net, SIPALG_FAMILY_ANY, l4proto, port);
}

static void policy_set_lookup_del(struct kunit *test)
{
	struct sipalg_pol_key k4 = key_udp_any;
	struct sipalg_pol_view v;

	k4.family = SIPALG_FAMILY_INET;
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 5070), 0U);
	KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &key_udp_any,
					     SIPALG_POLICY_FORCE_RPORT), 0);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 1U);
	KUNIT_ASSERT_EQ(test, sipalg_pol_lookup(&init_net, &key_udp_any, &v), 0);
	KUNIT_EXPECT_TRUE(test, v.has_policy);
	KUNIT_EXPECT_EQ(test, v.flags, (u32)SIPALG_POLICY_FORCE_RPORT);
	KUNIT_EXPECT_EQ(test, v.key.port, 5070);

	/* the policy for both families answers for each, not for TCP */
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_FORCE_RPORT);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV4,
						   IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_FORCE_RPORT);
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_TCP, 5070), 0U);
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 5071), 0U);

	/* a family-specific policy wins for that family only */
	KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k4,
					     SIPALG_POLICY_STATIC_PORT), 0);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 2U);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV4,
						   IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_STATIC_PORT);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV6,
						   IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_FORCE_RPORT);

	/* replacing does not add an entry */
	KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k4, SIPALG_POLICY_DISABLE), 0);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 2U);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV4,
						   IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_DISABLE);

	KUNIT_EXPECT_EQ(test, sipalg_pol_del(&init_net, &k4), 0);
	KUNIT_EXPECT_EQ(test, sipalg_pol_del(&init_net, &k4), -ENOENT);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV4,
						   IPPROTO_UDP, 5070),
			(u32)SIPALG_POLICY_FORCE_RPORT);
	KUNIT_EXPECT_EQ(test, sipalg_pol_lookup(&init_net, &k4, &v), -ENOENT);

	sipalg_pol_flush(&init_net);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 0U);
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 5070), 0U);
}

/* SIPALG_MAX_POLICIES entries, then -ENOSPC; replacing still works */
static void policy_table_full(struct kunit *test)
{
	struct sipalg_pol_key k = key_udp_any;
	unsigned int i;

	for (i = 0; i < SIPALG_MAX_POLICIES; i++) {
		k.port = 10000 + i;
		KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k,
						     SIPALG_POLICY_FORCE_RPORT), 0);
	}
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net),
			(unsigned int)SIPALG_MAX_POLICIES);
	k.port = 9999;
	KUNIT_EXPECT_EQ(test, sipalg_pol_set(&init_net, &k, 0), -ENOSPC);
	k.port = 10000;
	KUNIT_EXPECT_EQ(test, sipalg_pol_set(&init_net, &k, SIPALG_POLICY_DISABLE), 0);
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 10000),
			(u32)SIPALG_POLICY_DISABLE);
	KUNIT_EXPECT_EQ(test, sipalg_pol_del(&init_net, &k), 0);
	k.port = 9999;
	KUNIT_EXPECT_EQ(test, sipalg_pol_set(&init_net, &k, 0), 0);
	sipalg_pol_flush(&init_net);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 0U);
}

/* counters per port and reason; out-of-range reasons are not written */
static void policy_counters(struct kunit *test)
{
	const struct sipalg_ctrs __percpu *c;
	struct sipalg_pol_key k = key_udp_any;

	k.port = 5099;
	sipalg_stats_reset(&init_net);
	sipalg_count(&init_net, IPPROTO_UDP, 5099, SIPALG_CTR_SEEN, 0);
	sipalg_count(&init_net, IPPROTO_UDP, 5099, SIPALG_CTR_SEEN, 0);
	sipalg_count(&init_net, IPPROTO_UDP, 5099, SIPALG_CTR_UNCHANGED,
		     SA_R_BAD_VIA);
	sipalg_count(&init_net, IPPROTO_UDP, 5099, SIPALG_CTR_DROPPED,
		     SIPALG_R_MANGLE_FAILED);
	sipalg_count(&init_net, IPPROTO_UDP, 5099, SIPALG_CTR_DROPPED, 100000);

	rcu_read_lock();
	c = sipalg_port_ctrs(&init_net, IPPROTO_UDP, 5099);
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c) {
		KUNIT_EXPECT_EQ(test, sipalg_ctr_read(c, SIPALG_CTR_SEEN), 2LL);
		KUNIT_EXPECT_EQ(test,
				sipalg_ctr_reason_read(c, SIPALG_CTR_UNCHANGED,
						       SA_R_BAD_VIA), 1LL);
		KUNIT_EXPECT_EQ(test,
				sipalg_ctr_reason_read(c, SIPALG_CTR_DROPPED,
						       SIPALG_R_MANGLE_FAILED),
				1LL);
	}
	KUNIT_EXPECT_NULL(test, sipalg_port_ctrs(&init_net, IPPROTO_TCP, 5099));
	rcu_read_unlock();
	c = sipalg_totals(&init_net);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_GE(test, sipalg_ctr_read(c, SIPALG_CTR_SEEN), 2LL);

	/* a policy set and removed on a counted port keeps its counters */
	KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k, SIPALG_POLICY_FORCE_RPORT), 0);
	KUNIT_ASSERT_EQ(test, sipalg_pol_del(&init_net, &k), 0);
	rcu_read_lock();
	c = sipalg_port_ctrs(&init_net, IPPROTO_UDP, 5099);
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c)
		KUNIT_EXPECT_EQ(test, sipalg_ctr_read(c, SIPALG_CTR_SEEN), 2LL);
	rcu_read_unlock();

	sipalg_stats_reset(&init_net);
	rcu_read_lock();
	c = sipalg_port_ctrs(&init_net, IPPROTO_UDP, 5099);
	if (c)
		KUNIT_EXPECT_EQ(test, sipalg_ctr_read(c, SIPALG_CTR_SEEN), 0LL);
	rcu_read_unlock();
}

/*
 * Ports without a policy get counters while fewer than a bound of them
 * exist. Setting and removing policies must not use those slots up: after
 * policies on many ports came and went, a new port is still counted.
 */
static void policy_counter_slots_kept(struct kunit *test)
{
	struct sipalg_pol_key k = key_udp_any;
	const struct sipalg_ctrs __percpu *c;
	unsigned int i;
	s64 seen;

	for (i = 0; i < 200; i++) {
		k.port = 20000 + i;
		KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k, 0), 0);
	}
	sipalg_pol_flush(&init_net);
	for (i = 0; i < 200; i += 2) {
		k.port = 20000 + i;
		KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k, 0), 0);
		KUNIT_ASSERT_EQ(test, sipalg_pol_del(&init_net, &k), 0);
	}
	sipalg_count(&init_net, IPPROTO_TCP, 5098, SIPALG_CTR_SEEN, 0);
	rcu_read_lock();
	c = sipalg_port_ctrs(&init_net, IPPROTO_TCP, 5098);
	seen = c ? sipalg_ctr_read(c, SIPALG_CTR_SEEN) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ_MSG(test, seen, 1LL,
			    "no counter slot left for a new port after policies came and went");
}

static void policy_reason_names(struct kunit *test)
{
	unsigned int r;

	for (r = 0; r < SIPALG_R_MAX; r++) {
		const char *n = sipalg_reason_name(r);

		KUNIT_ASSERT_NOT_NULL_MSG(test, n, "reason %u", r);
		KUNIT_EXPECT_GT_MSG(test, strlen(n), (size_t)0, "reason %u", r);
	}
	KUNIT_EXPECT_NOT_NULL(test, sipalg_reason_name(SIPALG_R_MAX));
	KUNIT_EXPECT_NOT_NULL(test, sipalg_reason_name(~0U));
}

/* which refusals policy strict drops: UDP, every reason but ok / not-sip */
static void policy_strict_drops(struct kunit *test)
{
	const u32 all = SIPALG_POLICY_FORCE_RPORT | SIPALG_POLICY_STATIC_PORT |
			SIPALG_POLICY_STRICT;
	unsigned int r;

	for (r = SA_R_OK + 1; r < SA_R_MAX; r++) {
		bool want = r != SA_R_NOT_SIP;

		KUNIT_EXPECT_EQ_MSG(test, sipalg_policy_drops(SIPALG_POLICY_STRICT,
							      IPPROTO_UDP, r),
				    want, "reason %s", sipalg_reason_name(r));
		KUNIT_EXPECT_EQ_MSG(test, sipalg_policy_drops(all, IPPROTO_UDP, r),
				    want, "reason %s", sipalg_reason_name(r));
		/* not strict, not UDP, or disable: never */
		KUNIT_EXPECT_FALSE(test, sipalg_policy_drops(0, IPPROTO_UDP, r));
		KUNIT_EXPECT_FALSE(test, sipalg_policy_drops(SIPALG_POLICY_FORCE_RPORT |
							     SIPALG_POLICY_STATIC_PORT,
							     IPPROTO_UDP, r));
		KUNIT_EXPECT_FALSE(test, sipalg_policy_drops(SIPALG_POLICY_STRICT,
							     IPPROTO_TCP, r));
		KUNIT_EXPECT_FALSE(test, sipalg_policy_drops(SIPALG_POLICY_STRICT |
							     SIPALG_POLICY_DISABLE,
							     IPPROTO_UDP, r));
	}
	/* nothing refused: nothing dropped */
	KUNIT_EXPECT_FALSE(test, sipalg_policy_drops(SIPALG_POLICY_STRICT,
						     IPPROTO_UDP, SA_R_OK));
}

/* a strict drop is counted as dropped with its reason, nothing else */
static void policy_strict_drop_counts(struct kunit *test)
{
	const struct sipalg_ctrs __percpu *c;
	s64 dropped = -1, via = -1, unchanged = -1;

	sipalg_stats_reset(&init_net);
	KUNIT_EXPECT_FALSE(test, sipalg_policy_drop(&init_net, IPPROTO_UDP, 5097,
						    SIPALG_POLICY_FORCE_RPORT,
						    SA_R_BAD_VIA));
	KUNIT_EXPECT_FALSE(test, sipalg_policy_drop(&init_net, IPPROTO_UDP, 5097,
						    SIPALG_POLICY_STRICT,
						    SA_R_NOT_SIP));
	KUNIT_EXPECT_FALSE(test, sipalg_policy_drop(&init_net, IPPROTO_TCP, 5097,
						    SIPALG_POLICY_STRICT,
						    SA_R_BAD_VIA));
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, sipalg_port_ctrs(&init_net, IPPROTO_UDP, 5097));
	KUNIT_EXPECT_NULL(test, sipalg_port_ctrs(&init_net, IPPROTO_TCP, 5097));
	rcu_read_unlock();

	KUNIT_EXPECT_TRUE(test, sipalg_policy_drop(&init_net, IPPROTO_UDP, 5097,
						   SIPALG_POLICY_STRICT,
						   SA_R_BAD_VIA));
	KUNIT_EXPECT_TRUE(test, sipalg_policy_drop(&init_net, IPPROTO_UDP, 5097,
						   SIPALG_POLICY_FORCE_RPORT |
						   SIPALG_POLICY_STRICT,
						   SA_R_BAD_CLEN));
	rcu_read_lock();
	c = sipalg_port_ctrs(&init_net, IPPROTO_UDP, 5097);
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c) {
		dropped = sipalg_ctr_read(c, SIPALG_CTR_DROPPED);
		via = sipalg_ctr_reason_read(c, SIPALG_CTR_DROPPED,
					     SA_R_BAD_VIA);
		unchanged = sipalg_ctr_read(c, SIPALG_CTR_UNCHANGED);
	}
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, dropped, 2LL);
	KUNIT_EXPECT_EQ(test, via, 1LL);
	KUNIT_EXPECT_EQ(test, unchanged, 0LL);
}

/* ------------------------------------------------------------- netlink */

struct nl_sock {
	struct socket *sock;
	struct file *file;
	u16 family;
	u32 seq;
};

struct nl_req {
	u8 buf[512];
	unsigned int len;
};

#define NL_REPLY_MAX	4096

static void nl_start(struct nl_req *r, u8 cmd)
{
	struct genlmsghdr *g;

	memset(r, 0, sizeof(*r));
	r->len = NLMSG_HDRLEN + GENL_HDRLEN;
	g = (struct genlmsghdr *)(r->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = SIPALG_GENL_VERSION;
}

static void nl_put(struct nl_req *r, u16 type, const void *data, u16 dlen)
{
	struct nlattr *a = (struct nlattr *)(r->buf + r->len);

	if (r->len + nla_total_size(dlen) > sizeof(r->buf))
		return;
	a->nla_type = type;
	a->nla_len = nla_attr_size(dlen);
	memcpy(nla_data(a), data, dlen);
	r->len += nla_total_size(dlen);
}

static void nl_put_u8(struct nl_req *r, u16 type, u8 v)
{
	nl_put(r, type, &v, sizeof(v));
}

static void nl_put_u16(struct nl_req *r, u16 type, u16 v)
{
	nl_put(r, type, &v, sizeof(v));
}

static void nl_put_u32(struct nl_req *r, u16 type, u32 v)
{
	nl_put(r, type, &v, sizeof(v));
}

/*
 * Send r to the genetlink family (NLM_F_ACK) and read until the ACK: the
 * error the kernel answered (0 = success). The attributes of a data reply
 * that came before the ACK are copied to reply (NL_REPLY_MAX bytes),
 * their length to *rlen.
 */
static int nl_do(struct kunit *test, struct nl_sock *s, u16 type,
		 struct nl_req *r, void *reply, int *rlen)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	struct msghdr msg = {};
	struct kvec iov;
	u8 *rx;
	int n, ret = -ETIMEDOUT;

	nlh->nlmsg_len = r->len;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	msg.msg_name = &kernel;
	msg.msg_namelen = sizeof(kernel);
	iov.iov_base = r->buf;
	iov.iov_len = r->len;
	n = kernel_sendmsg(s->sock, &msg, &iov, 1, r->len);
	KUNIT_ASSERT_EQ(test, n, (int)r->len);
	if (rlen)
		*rlen = 0;

	rx = kunit_kzalloc(test, 8192, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rx);
	for (;;) {
		struct nlmsghdr *h;
		int left;

		memset(&msg, 0, sizeof(msg));
		iov.iov_base = rx;
		iov.iov_len = 8192;
		/* the family answers synchronously: everything is queued */
		n = kernel_recvmsg(s->sock, &msg, &iov, 1, 8192, MSG_DONTWAIT);
		if (n <= 0)
			break;
		for (h = (struct nlmsghdr *)rx, left = n; nlmsg_ok(h, left);
		     h = nlmsg_next(h, &left)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);

				ret = e->error;
				kunit_kfree(test, rx);
				return ret;
			}
			if (reply && rlen) {
				int alen = nlmsg_len(h) - GENL_HDRLEN;

				alen = clamp(alen, 0, NL_REPLY_MAX);
				memcpy(reply, (u8 *)nlmsg_data(h) + GENL_HDRLEN, alen);
				*rlen = alen;
			}
		}
	}
	kunit_kfree(test, rx);
	return ret;
}

static void nl_open(struct kunit *test, struct nl_sock *s)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	struct nl_req r;
	struct nlattr *a;
	void *reply;
	int ret, rlen;

	memset(s, 0, sizeof(*s));
	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC,
			       &s->sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* a file gives the socket credentials for the admin commands */
	s->file = sock_alloc_file(s->sock, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(s->file));
	ret = kernel_bind(s->sock, (struct sockaddr *)&me, sizeof(me));
	KUNIT_ASSERT_EQ(test, ret, 0);

	reply = kunit_kzalloc(test, NL_REPLY_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reply);
	nl_start(&r, CTRL_CMD_GETFAMILY);
	nl_put(&r, CTRL_ATTR_FAMILY_NAME, SIPALG_GENL_NAME,
	       sizeof(SIPALG_GENL_NAME));
	ret = nl_do(test, s, GENL_ID_CTRL, &r, reply, &rlen);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "genetlink family \"%s\" not found",
			    SIPALG_GENL_NAME);
	a = nla_find(reply, rlen, CTRL_ATTR_FAMILY_ID);
	KUNIT_ASSERT_NOT_NULL(test, a);
	s->family = nla_get_u16(a);
}

static void nl_close(struct nl_sock *s)
{
	if (s->file && !IS_ERR(s->file))
		fput(s->file);		/* releases the socket too */
	else if (s->sock)
		sock_release(s->sock);
}

static void nl_key(struct nl_req *r, u8 l4, u16 port)
{
	nl_put_u8(r, SIPALG_A_L4PROTO, l4);
	nl_put_u16(r, SIPALG_A_PORT, port);
}

/* set, get, delete one policy through netlink */
static void nl_policy_roundtrip(struct kunit *test)
{
	struct nl_sock s;
	struct nl_req r;
	struct nlattr *a;
	void *reply = kunit_kzalloc(test, NL_REPLY_MAX, GFP_KERNEL);
	int rlen;

	KUNIT_ASSERT_NOT_NULL(test, reply);
	nl_open(test, &s);

	nl_start(&r, SIPALG_CMD_POLICY_SET);
	nl_key(&r, IPPROTO_UDP, 5080);
	nl_put_u32(&r, SIPALG_A_POLICY, SIPALG_POLICY_FORCE_RPORT);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, pol_any(IPPROTO_UDP, 5080),
			(u32)SIPALG_POLICY_FORCE_RPORT);

	nl_start(&r, SIPALG_CMD_POLICY_GET);
	nl_key(&r, IPPROTO_UDP, 5080);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, reply, &rlen), 0);
	a = nla_find(reply, rlen, SIPALG_A_POLICY);
	KUNIT_EXPECT_NOT_NULL(test, a);
	if (a)
		KUNIT_EXPECT_EQ(test, nla_get_u32(a), (u32)SIPALG_POLICY_FORCE_RPORT);
	a = nla_find(reply, rlen, SIPALG_A_PORT);
	KUNIT_EXPECT_NOT_NULL(test, a);
	if (a)
		KUNIT_EXPECT_EQ(test, nla_get_u16(a), 5080);

	/* strict (version 2) combines with the others on a UDP port */
	nl_start(&r, SIPALG_CMD_POLICY_SET);
	nl_key(&r, IPPROTO_UDP, 5080);
	nl_put_u32(&r, SIPALG_A_POLICY,
		   SIPALG_POLICY_FORCE_RPORT | SIPALG_POLICY_STRICT);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, sipalg_policy_get_af(&init_net, NFPROTO_IPV4,
						   IPPROTO_UDP, 5080),
			(u32)(SIPALG_POLICY_FORCE_RPORT | SIPALG_POLICY_STRICT));
	nl_start(&r, SIPALG_CMD_POLICY_GET);
	nl_key(&r, IPPROTO_UDP, 5080);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, reply, &rlen), 0);
	a = nla_find(reply, rlen, SIPALG_A_POLICY);
	KUNIT_EXPECT_NOT_NULL(test, a);
	if (a)
		KUNIT_EXPECT_EQ(test, nla_get_u32(a),
				(u32)(SIPALG_POLICY_FORCE_RPORT |
				      SIPALG_POLICY_STRICT));

	nl_start(&r, SIPALG_CMD_POLICY_DEL);
	nl_key(&r, IPPROTO_UDP, 5080);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, NULL, NULL), -ENOENT);
	nl_start(&r, SIPALG_CMD_POLICY_GET);
	nl_key(&r, IPPROTO_UDP, 5080);
	KUNIT_EXPECT_EQ(test, nl_do(test, &s, s.family, &r, NULL, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 0U);
	nl_close(&s);
}

/* requests the family must refuse, with the error it must give */
struct nl_bad_case {
	const char *what;
	int err;		/* expected error; 1 = any error */
	int fam;		/* FAMILY attr, -1 = none */
	int l4;			/* L4PROTO attr, -1 = none */
	int port;		/* PORT attr (u16), -1 = none */
	s64 policy;		/* POLICY attr (u32), -1 = none */
	int extra;		/* an extra attribute type, 0 = none */
	bool short_port;	/* PORT as one byte */
};

static const struct nl_bad_case nl_bad_cases[] = {
	{ "no attributes", -EINVAL, -1, -1, -1, -1, 0, false },
	{ "no port", -EINVAL, -1, IPPROTO_UDP, -1, 1, 0, false },
	{ "no policy", -EINVAL, -1, IPPROTO_UDP, 5060, -1, 0, false },
	{ "port 0", -ERANGE, -1, IPPROTO_UDP, 0, 1, 0, false },
	{ "l4proto 1", -ERANGE, -1, 1, 5060, 1, 0, false },
	{ "l4proto 7", -EINVAL, -1, 7, 5060, 1, 0, false },
	{ "family 3", -EINVAL, 3, IPPROTO_UDP, 5060, 1, 0, false },
	{ "family 11", -ERANGE, 11, IPPROTO_UDP, 5060, 1, 0, false },
	{ "unknown policy bit", -EINVAL, -1, IPPROTO_UDP, 5060,
	  SIPALG_POLICY_ALL + 1, 0, false },
	{ "disable with rport", -EINVAL, -1, IPPROTO_UDP, 5060,
	  SIPALG_POLICY_DISABLE | SIPALG_POLICY_FORCE_RPORT, 0, false },
	{ "disable with strict", -EINVAL, -1, IPPROTO_UDP, 5060,
	  SIPALG_POLICY_DISABLE | SIPALG_POLICY_STRICT, 0, false },
	{ "strict on TCP", -EINVAL, -1, IPPROTO_TCP, 5060,
	  SIPALG_POLICY_STRICT, 0, false },
	{ "strict on TCP, one family", -EINVAL, SIPALG_FAMILY_INET6,
	  IPPROTO_TCP, 5060, SIPALG_POLICY_STRICT | SIPALG_POLICY_FORCE_RPORT,
	  0, false },
	{ "stats in a request", -EINVAL, -1, IPPROTO_UDP, 5060, 1,
	  SIPALG_A_STATS, false },
	{ "pad in a request", -EINVAL, -1, IPPROTO_UDP, 5060, 1, SIPALG_A_PAD,
	  false },
	{ "unknown attribute", -EINVAL, -1, IPPROTO_UDP, 5060, 1,
	  SIPALG_A_MAX + 1, false },
	{ "one-byte port", 1, -1, IPPROTO_UDP, 5060, 1, 0, true },
};

static void nl_policy_rejects(struct kunit *test)
{
	struct nl_sock s;
	struct nl_req r;
	unsigned int i;
	int err;

	nl_open(test, &s);
	for (i = 0; i < ARRAY_SIZE(nl_bad_cases); i++) {
		const struct nl_bad_case *c = &nl_bad_cases[i];

		nl_start(&r, SIPALG_CMD_POLICY_SET);
		if (c->fam >= 0)
			nl_put_u8(&r, SIPALG_A_FAMILY, c->fam);
		if (c->l4 >= 0)
			nl_put_u8(&r, SIPALG_A_L4PROTO, c->l4);
		if (c->port >= 0 && c->short_port)
			nl_put_u8(&r, SIPALG_A_PORT, c->port & 0xff);
		else if (c->port >= 0)
			nl_put_u16(&r, SIPALG_A_PORT, c->port);
		if (c->policy >= 0)
			nl_put_u32(&r, SIPALG_A_POLICY, c->policy);
		if (c->extra)
			nl_put_u32(&r, c->extra, 0);
		err = nl_do(test, &s, s.family, &r, NULL, NULL);
		if (c->err == 1)
			KUNIT_EXPECT_LT_MSG(test, err, 0, "%s", c->what);
		else
			KUNIT_EXPECT_EQ_MSG(test, err, c->err, "%s", c->what);
	}
	/* nothing of it reached the table */
	KUNIT_EXPECT_EQ(test, sipalg_pol_count(&init_net), 0U);
	nl_close(&s);
}

/*
 * Dump every policy: with SIPALG_MAX_POLICIES entries the dump takes
 * several rounds (message buffers), each resuming where the last stopped.
 * Every port must come exactly once.
 */
static void nl_policy_dump_all(struct kunit *test)
{
	struct sipalg_pol_key k = key_udp_any;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	unsigned long *seen;
	struct nl_sock s;
	struct nl_req r;
	struct nlmsghdr *nlh = (struct nlmsghdr *)r.buf;
	struct msghdr msg = {};
	struct kvec iov;
	unsigned int i, n = 0, dups = 0, rounds = 0;
	bool done = false;
	u8 *rx;
	int len;

	seen = kunit_kzalloc(test, BITS_TO_LONGS(SIPALG_MAX_POLICIES) *
			     sizeof(long), GFP_KERNEL);
	rx = kunit_kzalloc(test, 65536, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	KUNIT_ASSERT_NOT_NULL(test, rx);
	for (i = 0; i < SIPALG_MAX_POLICIES; i++) {
		k.port = 30000 + i;
		KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &k,
						     SIPALG_POLICY_FORCE_RPORT), 0);
	}

	nl_open(test, &s);
	nl_start(&r, SIPALG_CMD_POLICY_GET);
	nlh->nlmsg_len = r.len;
	nlh->nlmsg_type = s.family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++s.seq;
	msg.msg_name = &kernel;
	msg.msg_namelen = sizeof(kernel);
	iov.iov_base = r.buf;
	iov.iov_len = r.len;
	KUNIT_ASSERT_EQ(test, kernel_sendmsg(s.sock, &msg, &iov, 1, r.len),
			(int)r.len);

	while (!done && rounds < 1000) {
		struct nlmsghdr *h;
		int left;

		memset(&msg, 0, sizeof(msg));
		iov.iov_base = rx;
		iov.iov_len = 65536;
		/* each read lets the kernel fill the next dump buffer */
		len = kernel_recvmsg(s.sock, &msg, &iov, 1, 65536, MSG_DONTWAIT);
		if (len <= 0)
			break;
		rounds++;
		for (h = (struct nlmsghdr *)rx, left = len; nlmsg_ok(h, left);
		     h = nlmsg_next(h, &left)) {
			struct nlattr *a;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			KUNIT_ASSERT_NE(test, h->nlmsg_type, NLMSG_ERROR);
			a = nla_find((struct nlattr *)((u8 *)nlmsg_data(h) + GENL_HDRLEN),
				     nlmsg_len(h) - GENL_HDRLEN, SIPALG_A_PORT);
			KUNIT_ASSERT_NOT_NULL(test, a);
			i = nla_get_u16(a) - 30000;
			KUNIT_ASSERT_LT(test, i, (unsigned int)SIPALG_MAX_POLICIES);
			if (__test_and_set_bit(i, seen))
				dups++;
			n++;
		}
	}
	nl_close(&s);
	KUNIT_EXPECT_TRUE_MSG(test, done, "no NLMSG_DONE after %u reads", rounds);
	KUNIT_EXPECT_EQ(test, dups, 0U);
	KUNIT_EXPECT_EQ(test, n, (unsigned int)SIPALG_MAX_POLICIES);
	KUNIT_EXPECT_GT_MSG(test, rounds, 1U, "the dump fit one buffer: resume untested");
}

static struct kunit_case sipalg_policy_cases[] = {
	KUNIT_CASE(policy_set_lookup_del),
	KUNIT_CASE(policy_counters),
	KUNIT_CASE(policy_table_full),
	KUNIT_CASE(policy_counter_slots_kept),
	KUNIT_CASE(policy_reason_names),
	KUNIT_CASE(policy_strict_drops),
	KUNIT_CASE(policy_strict_drop_counts),
	KUNIT_CASE(nl_policy_roundtrip),
	KUNIT_CASE(nl_policy_rejects),
	KUNIT_CASE(nl_policy_dump_all),
	{}
};

static struct kunit_suite sipalg_policy_suite = {
	.name = "sipalg_policy",
	.init = policy_init,
	.exit = policy_exit,
	.test_cases = sipalg_policy_cases,
};

kunit_test_suite(sipalg_policy_suite);
