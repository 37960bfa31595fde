// SPDX-License-Identifier: GPL-2.0
/*
 * The "sipalg" generic netlink family: set, get, delete and dump per-port
 * policies, read and reset counters. See uapi/sipalg_nl.h for the protocol.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/stringify.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/netlink.h>

#include "policy.h"
#include "monitor.h"

static const struct nla_policy sipalg_nl_policy[SIPALG_A_MAX + 1] = {
	[SIPALG_A_PAD]		= { .type = NLA_REJECT,
				    .reject_message = "padding is not a request attribute" },
	[SIPALG_A_FAMILY]	= NLA_POLICY_MAX(NLA_U8, SIPALG_FAMILY_INET6),
	[SIPALG_A_L4PROTO]	= NLA_POLICY_RANGE(NLA_U8, IPPROTO_TCP,
						   IPPROTO_UDP),
	[SIPALG_A_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[SIPALG_A_POLICY]	= NLA_POLICY_MASK(NLA_U32, SIPALG_POLICY_ALL),
	/* reply-only attributes */
	[SIPALG_A_STATS]	= { .type = NLA_REJECT,
				    .reject_message = "counters are read-only" },
	[SIPALG_A_N_POLICIES]	= { .type = NLA_REJECT,
				    .reject_message = "the policy count is read-only" },
	[SIPALG_A_TCP_HELD]	= { .type = NLA_REJECT,
				    .reject_message = "the bytes held are read-only" },
	[SIPALG_A_TCP_BUDGET]	= {
		.type = NLA_REJECT,
		.reject_message = "the budget is a module parameter (tcp_hold_budget)"
	},
	[SIPALG_A_EVENT]	= { .type = NLA_REJECT,
				    .reject_message = "events are sent by the module only" },
	[SIPALG_A_CALL]		= { .type = NLA_REJECT,
				    .reject_message = "calls are read-only" },
	[SIPALG_A_REG]		= { .type = NLA_REJECT,
				    .reject_message = "registrations are read-only" },
};

/* the values the policy ranges above cannot express */
static int sipalg_nl_key(struct genl_info *info, struct sipalg_pol_key *k)
{
	struct nlattr **a = info->attrs;

	if (GENL_REQ_ATTR_CHECK(info, SIPALG_A_L4PROTO)) {
		GENL_SET_ERR_MSG(info, "missing L4 protocol (SIPALG_A_L4PROTO)");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, SIPALG_A_PORT)) {
		GENL_SET_ERR_MSG(info, "missing port (SIPALG_A_PORT)");
		return -EINVAL;
	}

	k->l4proto = nla_get_u8(a[SIPALG_A_L4PROTO]);
	if (k->l4proto != IPPROTO_UDP && k->l4proto != IPPROTO_TCP) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[SIPALG_A_L4PROTO],
				    "L4 protocol must be UDP (17) or TCP (6)");
		return -EINVAL;
	}
	k->port = nla_get_u16(a[SIPALG_A_PORT]);
	k->family = SIPALG_FAMILY_ANY;
	if (a[SIPALG_A_FAMILY]) {
		k->family = nla_get_u8(a[SIPALG_A_FAMILY]);
		if (k->family != SIPALG_FAMILY_ANY &&
		    k->family != SIPALG_FAMILY_INET &&
		    k->family != SIPALG_FAMILY_INET6) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[SIPALG_A_FAMILY],
					    "address family must be 0 (both), AF_INET or AF_INET6");
			return -EINVAL;
		}
	}
	return 0;
}

static int sipalg_put_key(struct sk_buff *skb, const struct sipalg_pol_key *k)
{
	if (nla_put_u8(skb, SIPALG_A_FAMILY, k->family) ||
	    nla_put_u8(skb, SIPALG_A_L4PROTO, k->l4proto) ||
	    nla_put_u16(skb, SIPALG_A_PORT, k->port))
		return -EMSGSIZE;
	return 0;
}

static int sipalg_put_reasons(struct sk_buff *skb, int type,
			      const u64 *v)
{
	struct nlattr *list, *r;
	unsigned int i;

	list = nla_nest_start(skb, type);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < SIPALG_R_MAX; i++) {
		u64 n = v[i];

		if (!n)
			continue;
		r = nla_nest_start(skb, SIPALG_REASON);
		if (!r ||
		    nla_put_u32(skb, SIPALG_REASON_ID, i) ||
		    nla_put_string(skb, SIPALG_REASON_NAME,
				   sipalg_reason_name(i)) ||
		    nla_put_u64_64bit(skb, SIPALG_REASON_COUNT, n,
				      SIPALG_REASON_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, r);
	}
	nla_nest_end(skb, list);
	return 0;
}

static const u16 sipalg_stat_attr[SIPALG_CTR_MAX] = {
	[SIPALG_CTR_SEEN]		= SIPALG_STAT_SEEN,
	[SIPALG_CTR_REWRITTEN]		= SIPALG_STAT_REWRITTEN,
	[SIPALG_CTR_UNCHANGED]		= SIPALG_STAT_UNCHANGED,
	[SIPALG_CTR_DROPPED]		= SIPALG_STAT_DROPPED,
	[SIPALG_CTR_TCP_REASM]		= SIPALG_STAT_TCP_REASM,
	[SIPALG_CTR_PINHOLE_OPENED]	= SIPALG_STAT_PINHOLE_OPENED,
	[SIPALG_CTR_PINHOLE_EXPIRED]	= SIPALG_STAT_PINHOLE_EXPIRED,
	[SIPALG_CTR_STATIC_KEPT]	= SIPALG_STAT_STATIC_KEPT,
	[SIPALG_CTR_STATIC_FALLBACK]	= SIPALG_STAT_STATIC_FALLBACK,
	[SIPALG_CTR_PINHOLE_ANY_SOURCE]	= SIPALG_STAT_PINHOLE_ANY_SOURCE,
	[SIPALG_CTR_MEDIA_PORT_FALLBACK]	= SIPALG_STAT_MEDIA_PORT_FALLBACK,
	[SIPALG_CTR_PINHOLE_REFUSED]	= SIPALG_STAT_PINHOLE_REFUSED,
	[SIPALG_CTR_MON_LOST]		= SIPALG_STAT_MONITOR_LOST,
};

/* c: the counters summed over all CPUs */
static int sipalg_put_stats(struct sk_buff *skb, const struct sipalg_ctrs *c)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, SIPALG_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < SIPALG_CTR_MAX; i++)
		if (nla_put_u64_64bit(skb, sipalg_stat_attr[i],
				      c->c[i],
				      SIPALG_STAT_PAD))
			return -EMSGSIZE;
	if (sipalg_put_reasons(skb, SIPALG_STAT_UNCHANGED_REASONS,
			       c->unchanged) ||
	    sipalg_put_reasons(skb, SIPALG_STAT_DROPPED_REASONS, c->dropped) ||
	    sipalg_put_reasons(skb, SIPALG_STAT_PINHOLE_REFUSED_REASONS,
			       c->refused))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* ------------------------------------------------------------- policies */

static int sipalg_nl_policy_set(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sipalg_pol_key k;
	u32 flags;
	int ret;

	ret = sipalg_nl_key(info, &k);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, SIPALG_A_POLICY)) {
		GENL_SET_ERR_MSG(info, "missing policy flags (SIPALG_A_POLICY)");
		return -EINVAL;
	}
	flags = nla_get_u32(info->attrs[SIPALG_A_POLICY]);
	if ((flags & SIPALG_POLICY_DISABLE) && flags != SIPALG_POLICY_DISABLE) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SIPALG_A_POLICY],
				    "disable cannot be combined with another policy");
		return -EINVAL;
	}
	if ((flags & SIPALG_POLICY_STRICT) && k.l4proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SIPALG_A_POLICY],
				    "strict applies to UDP ports only: a dropped TCP segment is retransmitted and stalls the connection");
		return -EINVAL;
	}
	ret = sipalg_pol_set(net, &k, flags);
	if (ret == -ENOSPC)
		GENL_SET_ERR_MSG(info, "policy table full: "
				 __stringify(SIPALG_MAX_POLICIES)
				 " policies per network namespace");
	return ret;
}

static int sipalg_fill_policy(struct sk_buff *skb, u32 portid, u32 seq,
			      int nlflags, const struct sipalg_pol_view *v)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &sipalg_genl_family, nlflags,
			  SIPALG_CMD_POLICY_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (sipalg_put_key(skb, &v->key) ||
	    nla_put_u32(skb, SIPALG_A_POLICY, v->flags)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int sipalg_nl_policy_get(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sipalg_pol_view v;
	struct sipalg_pol_key k;
	struct sk_buff *msg;
	int ret;

	ret = sipalg_nl_key(info, &k);
	if (ret)
		return ret;
	if (sipalg_pol_lookup(net, &k, &v)) {
		GENL_SET_ERR_MSG(info, "no policy for this port");
		return -ENOENT;
	}
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = sipalg_fill_policy(msg, info->snd_portid, info->snd_seq, 0, &v);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

struct sipalg_dump_arg {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	struct sipalg_ctrs *sum;	/* stats dumps: room for one sum */
};

static int sipalg_dump_policy_one(void *arg, const struct sipalg_pol_view *v,
				  const struct sipalg_ctrs __percpu *c)
{
	struct sipalg_dump_arg *d = arg;

	if (!v->has_policy)
		return 0;
	return sipalg_fill_policy(d->skb, NETLINK_CB(d->cb->skb).portid,
				  d->cb->nlh->nlmsg_seq, NLM_F_MULTI, v);
}

static int sipalg_nl_policy_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct sipalg_dump_arg d = { skb, cb, NULL };

	sipalg_pol_walk(sock_net(cb->skb->sk), &cb->args[0],
			sipalg_dump_policy_one, &d);
	return skb->len;
}

static int sipalg_nl_policy_del(struct sk_buff *skb, struct genl_info *info)
{
	struct sipalg_pol_key k;
	int ret;

	ret = sipalg_nl_key(info, &k);
	if (ret)
		return ret;
	ret = sipalg_pol_del(genl_info_net(info), &k);
	if (ret == -ENOENT)
		GENL_SET_ERR_MSG(info, "no policy for this port");
	return ret;
}

static int sipalg_nl_policy_flush(struct sk_buff *skb, struct genl_info *info)
{
	sipalg_pol_flush(genl_info_net(info));
	return 0;
}

/* ------------------------------------------------------------- counters */

static int sipalg_fill_stats(struct sk_buff *skb, u32 portid, u32 seq,
			     int nlflags, const struct sipalg_pol_key *k,
			     const struct sipalg_ctrs *c, struct net *net)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &sipalg_genl_family, nlflags,
			  SIPALG_CMD_STATS_GET);
	if (!hdr)
		return -EMSGSIZE;
	if ((k && sipalg_put_key(skb, k)) ||
	    (!k && nla_put_u32(skb, SIPALG_A_N_POLICIES,
			       sipalg_pol_count(net))) ||
	    (!k && nla_put_u64_64bit(skb, SIPALG_A_TCP_HELD,
				     max(sipalg_tcp_held_bytes(), 0L),
				     SIPALG_A_PAD)) ||
	    (!k && nla_put_u64_64bit(skb, SIPALG_A_TCP_BUDGET,
				     sipalg_tcp_hold_budget(), SIPALG_A_PAD)) ||
	    sipalg_put_stats(skb, c)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int sipalg_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	const struct sipalg_ctrs __percpu *c;
	struct sipalg_ctrs *sum;
	struct sipalg_pol_key k;
	struct sk_buff *msg;
	bool port;
	int ret;

	port = info->attrs[SIPALG_A_L4PROTO] || info->attrs[SIPALG_A_PORT];
	if (port) {
		ret = sipalg_nl_key(info, &k);
		if (ret)
			return ret;
		if (k.family != SIPALG_FAMILY_ANY) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[SIPALG_A_FAMILY],
					    "counters are kept per port for both address families");
			return -EINVAL;
		}
	}
	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		kfree(sum);
		return -ENOMEM;
	}

	rcu_read_lock();
	c = port ? sipalg_port_ctrs(net, k.l4proto, k.port) : sipalg_totals(net);
	if (!c) {
		rcu_read_unlock();
		kfree(sum);
		nlmsg_free(msg);
		GENL_SET_ERR_MSG(info, "nothing counted for this port");
		return -ENOENT;
	}
	sipalg_ctrs_sum(c, sum);
	rcu_read_unlock();
	ret = sipalg_fill_stats(msg, info->snd_portid, info->snd_seq, 0,
				port ? &k : NULL, sum, net);
	kfree(sum);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int sipalg_dump_stats_one(void *arg, const struct sipalg_pol_view *v,
				 const struct sipalg_ctrs __percpu *c)
{
	struct sipalg_dump_arg *d = arg;

	if (!c)
		return 0;
	sipalg_ctrs_sum(c, d->sum);
	return sipalg_fill_stats(d->skb, NETLINK_CB(d->cb->skb).portid,
				 d->cb->nlh->nlmsg_seq, NLM_F_MULTI, &v->key,
				 d->sum, NULL);
}

static int sipalg_nl_stats_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct sipalg_dump_arg d = { skb, cb, NULL };

	d.sum = kmalloc(sizeof(*d.sum), GFP_KERNEL);
	if (!d.sum)
		return -ENOMEM;
	sipalg_pol_walk(sock_net(cb->skb->sk), &cb->args[0],
			sipalg_dump_stats_one, &d);
	kfree(d.sum);
	return skb->len;
}

static int sipalg_nl_stats_reset(struct sk_buff *skb, struct genl_info *info)
{
	sipalg_stats_reset(genl_info_net(info));
	return 0;
}

static const struct genl_small_ops sipalg_nl_ops[] = {
	{
		.cmd	= SIPALG_CMD_POLICY_SET,
		.doit	= sipalg_nl_policy_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_POLICY_GET,
		.doit	= sipalg_nl_policy_get,
		.dumpit	= sipalg_nl_policy_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_POLICY_DEL,
		.doit	= sipalg_nl_policy_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_POLICY_FLUSH,
		.doit	= sipalg_nl_policy_flush,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_STATS_GET,
		.doit	= sipalg_nl_stats_get,
		.dumpit	= sipalg_nl_stats_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_STATS_RESET,
		.doit	= sipalg_nl_stats_reset,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	/* version 4: the tables of calls.c */
	{
		.cmd	= SIPALG_CMD_CALL_GET,
		.dumpit	= sipalg_nl_call_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SIPALG_CMD_REG_GET,
		.dumpit	= sipalg_nl_reg_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

MODULE_ALIAS_GENL_FAMILY(SIPALG_GENL_NAME);

struct genl_family sipalg_genl_family __ro_after_init = {
	.name		= SIPALG_GENL_NAME,
	.version	= SIPALG_GENL_VERSION,
	.maxattr	= SIPALG_A_MAX,
	.policy		= sipalg_nl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= sipalg_nl_ops,
	.n_small_ops	= ARRAY_SIZE(sipalg_nl_ops),
	.mcgrps		= sipalg_mcgrps,
	.n_mcgrps	= SIPALG_N_MCGRPS,
	/* every command is strictly validated and rejects reserved bits */
	.resv_start_op	= SIPALG_CMD_POLICY_SET,
};

int __init sipalg_nl_init(void)
{
	sipalg_mon_init();
	return genl_register_family(&sipalg_genl_family);
}

void sipalg_nl_exit(void)
{
	genl_unregister_family(&sipalg_genl_family);
}
