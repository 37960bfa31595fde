// SPDX-License-Identifier: GPL-2.0
/*
 * Per-netns policy table and counters.
 *
 * Each network namespace holds a small hash of entries keyed by (address
 * family, L4 protocol, port). An entry holds a policy, counters, or both:
 * counters live in the family-independent entry of a port, created on the
 * first count for that port when there is room. Readers (the packet path)
 * walk the hash under RCU without locks; writers take the per-netns spinlock
 * and free entries after a grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/in.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/rculist.h>
#include <net/netns/generic.h>

#include "policy.h"

#define SIPALG_HASH_BITS	6
/* ports counted without a policy: bounded separately from policies */
#define SIPALG_MAX_COUNTED	64

struct sipalg_entry {
	struct hlist_node node;
	struct rcu_head rcu;
	struct sipalg_pol_key key;
	bool has_policy;
	u32 flags;
	/* per-CPU, in family-any entries only (else NULL) */
	struct sipalg_ctrs __percpu *ctrs;
};

struct sipalg_net {
	spinlock_t lock;		/* writers of hash and the counts below */
	unsigned int n_policies;
	unsigned int n_counted;		/* entries holding counters only */
	struct hlist_head hash[1 << SIPALG_HASH_BITS];
	struct sipalg_ctrs __percpu *total;
};

static unsigned int sipalg_net_id __read_mostly;

static struct sipalg_net *sipalg_pernet(const struct net *net)
{
	return net_generic(net, sipalg_net_id);
}

static u32 sipalg_hash(const struct sipalg_pol_key *k)
{
	return hash_32(((u32)k->family << 24) | ((u32)k->l4proto << 16) |
		       k->port, SIPALG_HASH_BITS);
}

static bool key_eq(const struct sipalg_pol_key *a,
		   const struct sipalg_pol_key *b)
{
	return a->family == b->family && a->l4proto == b->l4proto &&
	       a->port == b->port;
}

/* under rcu_read_lock or sn->lock */
static struct sipalg_entry *sipalg_find(struct sipalg_net *sn,
					const struct sipalg_pol_key *k)
{
	struct sipalg_entry *e;

	hlist_for_each_entry_rcu(e, &sn->hash[sipalg_hash(k)], node,
				 lockdep_is_held(&sn->lock))
		if (key_eq(&e->key, k))
			return e;
	return NULL;
}

u32 sipalg_policy_get_af(const struct net *net, u8 family, u8 l4proto,
			 u16 port)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_pol_key k = { family, l4proto, port };
	struct sipalg_entry *e;
	u32 flags = 0;

	rcu_read_lock();
	if (family != SIPALG_FAMILY_ANY) {
		e = sipalg_find(sn, &k);
		if (e && READ_ONCE(e->has_policy)) {
			flags = READ_ONCE(e->flags);
			goto out;
		}
	}
	k.family = SIPALG_FAMILY_ANY;
	e = sipalg_find(sn, &k);
	if (e && READ_ONCE(e->has_policy))
		flags = READ_ONCE(e->flags);
out:
	rcu_read_unlock();
	return flags;
}

/* this CPU's copy; any context (this_cpu_inc is irq-safe) */
static void ctrs_add(struct sipalg_ctrs __percpu *c, enum sipalg_ctr ctr,
		     unsigned int reason)
{
	this_cpu_inc(c->c[ctr]);
	if (reason >= SIPALG_R_MAX)
		return;
	if (ctr == SIPALG_CTR_UNCHANGED)
		this_cpu_inc(c->unchanged[reason]);
	else if (ctr == SIPALG_CTR_DROPPED)
		this_cpu_inc(c->dropped[reason]);
	else if (ctr == SIPALG_CTR_PINHOLE_REFUSED)
		this_cpu_inc(c->refused[reason]);
}

/* the per-reason list of counter ctr, NULL if it has none */
static const u64 *ctrs_reasons(const struct sipalg_ctrs *c,
			       enum sipalg_ctr ctr)
{
	if (ctr == SIPALG_CTR_UNCHANGED)
		return c->unchanged;
	if (ctr == SIPALG_CTR_DROPPED)
		return c->dropped;
	if (ctr == SIPALG_CTR_PINHOLE_REFUSED)
		return c->refused;
	return NULL;
}

void sipalg_ctrs_sum(const struct sipalg_ctrs __percpu *pc,
		     struct sipalg_ctrs *sum)
{
	unsigned int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct sipalg_ctrs *c = per_cpu_ptr(pc, cpu);

		for (i = 0; i < SIPALG_CTR_MAX; i++)
			sum->c[i] += READ_ONCE(c->c[i]);
		for (i = 0; i < SIPALG_R_MAX; i++) {
			sum->unchanged[i] += READ_ONCE(c->unchanged[i]);
			sum->dropped[i] += READ_ONCE(c->dropped[i]);
			sum->refused[i] += READ_ONCE(c->refused[i]);
		}
	}
}

u64 sipalg_ctr_read(const struct sipalg_ctrs __percpu *pc,
		    enum sipalg_ctr ctr)
{
	unsigned int cpu;
	u64 n = 0;

	if (ctr >= SIPALG_CTR_MAX)
		return 0;
	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(pc, cpu)->c[ctr]);
	return n;
}

u64 sipalg_ctr_reason_read(const struct sipalg_ctrs __percpu *pc,
			   enum sipalg_ctr ctr, unsigned int reason)
{
	unsigned int cpu;
	u64 n = 0;

	if (reason >= SIPALG_R_MAX)
		return 0;
	for_each_possible_cpu(cpu) {
		const u64 *v = ctrs_reasons(per_cpu_ptr(pc, cpu), ctr);

		if (!v)
			return 0;
		n += READ_ONCE(v[reason]);
	}
	return n;
}

/* writers only: increments running on other CPUs meanwhile may be lost */
static void ctrs_zero(struct sipalg_ctrs __percpu *pc)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(pc, cpu), 0, sizeof(struct sipalg_ctrs));
}

/* does an entry with this key hold counters? only family-any ones do */
static bool key_counts(const struct sipalg_pol_key *k)
{
	return k->family == SIPALG_FAMILY_ANY;
}

static struct sipalg_entry *sipalg_entry_new(const struct sipalg_pol_key *k,
					     gfp_t gfp)
{
	struct sipalg_entry *e = kzalloc(sizeof(*e), gfp);

	if (!e)
		return NULL;
	e->key = *k;
	if (key_counts(k)) {
		e->ctrs = alloc_percpu_gfp(struct sipalg_ctrs, gfp);
		if (!e->ctrs) {
			kfree(e);
			return NULL;
		}
	}
	return e;
}

static void sipalg_entry_free(struct sipalg_entry *e)
{
	if (!e)
		return;
	free_percpu(e->ctrs);
	kfree(e);
}

static void sipalg_entry_free_rcu(struct rcu_head *head)
{
	sipalg_entry_free(container_of(head, struct sipalg_entry, rcu));
}

void sipalg_count(const struct net *net, u8 l4proto, u16 port,
		  enum sipalg_ctr ctr, unsigned int reason)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_pol_key k = { SIPALG_FAMILY_ANY, l4proto, port };
	struct sipalg_entry *e, *n;

	if (ctr >= SIPALG_CTR_MAX)
		return;
	ctrs_add(sn->total, ctr, reason);

	rcu_read_lock();
	e = sipalg_find(sn, &k);
	if (e) {
		ctrs_add(e->ctrs, ctr, reason);
		rcu_read_unlock();
		return;
	}
	rcu_read_unlock();

	/* first count for this port: make an entry if the bound allows */
	if (READ_ONCE(sn->n_counted) >= SIPALG_MAX_COUNTED)
		return;
	n = sipalg_entry_new(&k, GFP_ATOMIC);
	if (!n)
		return;
	spin_lock_bh(&sn->lock);
	e = sipalg_find(sn, &k);
	if (!e && sn->n_counted < SIPALG_MAX_COUNTED) {
		hlist_add_head_rcu(&n->node, &sn->hash[sipalg_hash(&k)]);
		sn->n_counted++;
		e = n;
		n = NULL;
	}
	if (e)
		ctrs_add(e->ctrs, ctr, reason);
	spin_unlock_bh(&sn->lock);
	sipalg_entry_free(n);
}

bool sipalg_policy_drops(u32 policy, u8 l4proto, unsigned int reason)
{
	if (!(policy & SIPALG_POLICY_STRICT) || (policy & SIPALG_POLICY_DISABLE))
		return false;
	/* a dropped TCP segment comes back: strict is refused for TCP ports */
	if (l4proto != IPPROTO_UDP)
		return false;
	return sa_reason_drops((enum sa_reason)reason);
}

bool sipalg_policy_drop(const struct net *net, u8 l4proto, u16 port,
			u32 policy, unsigned int reason)
{
	if (!sipalg_policy_drops(policy, l4proto, reason))
		return false;
	sipalg_count(net, l4proto, port, SIPALG_CTR_DROPPED, reason);
	net_info_ratelimited("udp port %u: message dropped by policy strict: %s\n",
			     port, sipalg_reason_name(reason));
	return true;
}

static const char *const sipalg_reason_names[] = {
	[SIPALG_R_POLICY_DISABLED - SA_R_MAX]	= "policy-disabled",
	[SIPALG_R_TCP_OVERFLOW - SA_R_MAX]	= "tcp-overflow",
	[SIPALG_R_TCP_GAP - SA_R_MAX]		= "tcp-gap",
	[SIPALG_R_MANGLE_FAILED - SA_R_MAX]	= "mangle-failed",
	[SIPALG_R_EXPECT_FAILED - SA_R_MAX]	= "expect-failed",
	[SIPALG_R_NOMEM - SA_R_MAX]		= "nomem",
	[SIPALG_R_TCP_BUDGET - SA_R_MAX]	= "tcp-budget",
	[SIPALG_R_TCP_EXPIRED - SA_R_MAX]	= "tcp-hold-expired",
	[SIPALG_R_TCP_NOSEQADJ - SA_R_MAX]	= "tcp-no-seqadj",
	[SIPALG_R_COPY_FAILED - SA_R_MAX]	= "copy-failed",
	[SIPALG_R_CALL_LIMIT - SA_R_MAX]	= "call-limit",
	[SIPALG_R_SHARE - SA_R_MAX]		= "share",
	[SIPALG_R_TABLE_FULL - SA_R_MAX]	= "table-full",
	[SIPALG_R_LOW_PORT - SA_R_MAX]		= "low-port",
	[SIPALG_R_REG_CONTACTS - SA_R_MAX]	= "reg-contacts",
	[SIPALG_R_KERNEL_FULL - SA_R_MAX]	= "kernel-full",
};

const char *sipalg_reason_name(unsigned int reason)
{
	if (reason < SA_R_MAX)
		return sa_reason_str(reason);
	if (reason < SIPALG_R_MAX)
		return sipalg_reason_names[reason - SA_R_MAX];
	return "unknown";
}

/* does an entry still serve a purpose without its policy? */
static bool entry_counts(const struct sipalg_entry *e)
{
	return key_counts(&e->key);
}

int sipalg_pol_set(struct net *net, const struct sipalg_pol_key *k, u32 flags)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e, *n;
	int ret = 0;

	n = sipalg_entry_new(k, GFP_KERNEL);
	if (!n)
		return -ENOMEM;

	spin_lock_bh(&sn->lock);
	e = sipalg_find(sn, k);
	if (e && e->has_policy) {
		WRITE_ONCE(e->flags, flags);
		goto out;
	}
	if (sn->n_policies >= SIPALG_MAX_POLICIES) {
		ret = -ENOSPC;
		goto out;
	}
	if (e) {
		/* an entry holding counters only gets a policy */
		sn->n_counted--;
	} else {
		hlist_add_head_rcu(&n->node, &sn->hash[sipalg_hash(k)]);
		e = n;
		n = NULL;
	}
	WRITE_ONCE(e->flags, flags);
	WRITE_ONCE(e->has_policy, true);
	sn->n_policies++;
out:
	spin_unlock_bh(&sn->lock);
	sipalg_entry_free(n);
	return ret;
}

/* the port has counted at least one message */
static bool entry_has_counted(const struct sipalg_entry *e)
{
	return sipalg_ctr_read(e->ctrs, SIPALG_CTR_SEEN) != 0;
}

/*
 * sn->lock held: e loses its policy. Its counters stay (as a counter slot)
 * only when the port has counted something; otherwise removed policies
 * would use up the slots for ports that never saw a message.
 */
static void sipalg_pol_drop(struct sipalg_net *sn, struct sipalg_entry *e)
{
	sn->n_policies--;
	if (entry_counts(e) && entry_has_counted(e) &&
	    sn->n_counted < SIPALG_MAX_COUNTED) {
		/* keep the port's counters */
		WRITE_ONCE(e->has_policy, false);
		WRITE_ONCE(e->flags, 0);
		sn->n_counted++;
		return;
	}
	hlist_del_rcu(&e->node);
	call_rcu(&e->rcu, sipalg_entry_free_rcu);
}

int sipalg_pol_del(struct net *net, const struct sipalg_pol_key *k)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e;
	int ret = -ENOENT;

	spin_lock_bh(&sn->lock);
	e = sipalg_find(sn, k);
	if (e && e->has_policy) {
		sipalg_pol_drop(sn, e);
		ret = 0;
	}
	spin_unlock_bh(&sn->lock);
	return ret;
}

void sipalg_pol_flush(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	spin_lock_bh(&sn->lock);
	for (i = 0; i < ARRAY_SIZE(sn->hash); i++)
		hlist_for_each_entry_safe(e, tmp, &sn->hash[i], node)
			if (e->has_policy)
				sipalg_pol_drop(sn, e);
	spin_unlock_bh(&sn->lock);
}

int sipalg_pol_lookup(struct net *net, const struct sipalg_pol_key *k,
		      struct sipalg_pol_view *v)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	e = sipalg_find(sn, k);
	if (e && READ_ONCE(e->has_policy)) {
		v->key = e->key;
		v->has_policy = true;
		v->flags = READ_ONCE(e->flags);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

unsigned int sipalg_pol_count(struct net *net)
{
	return READ_ONCE(sipalg_pernet(net)->n_policies);
}

void sipalg_stats_reset(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e;
	unsigned int i;

	spin_lock_bh(&sn->lock);
	ctrs_zero(sn->total);
	for (i = 0; i < ARRAY_SIZE(sn->hash); i++)
		hlist_for_each_entry(e, &sn->hash[i], node)
			if (e->ctrs)
				ctrs_zero(e->ctrs);
	spin_unlock_bh(&sn->lock);
}

/*
 * *pos encodes bucket (high bits) and index inside the bucket (low 16
 * bits), so a dump resumes where the previous message buffer filled up.
 */
int sipalg_pol_walk(struct net *net, unsigned long *pos,
		    int (*fn)(void *arg, const struct sipalg_pol_view *v,
			      const struct sipalg_ctrs __percpu *c),
		    void *arg)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	unsigned long b = *pos >> 16, idx = *pos & 0xffff;
	struct sipalg_entry *e;
	int ret = 0;

	rcu_read_lock();
	for (; b < ARRAY_SIZE(sn->hash); b++, idx = 0) {
		unsigned long i = 0;

		hlist_for_each_entry_rcu(e, &sn->hash[b], node) {
			struct sipalg_pol_view v;

			if (i++ < idx)
				continue;
			v.key = e->key;
			v.has_policy = READ_ONCE(e->has_policy);
			v.flags = READ_ONCE(e->flags);
			ret = fn(arg, &v, e->ctrs);
			if (ret) {
				*pos = (b << 16) | (i - 1);
				goto out;
			}
		}
	}
	*pos = b << 16;
out:
	rcu_read_unlock();
	return ret;
}

const struct sipalg_ctrs __percpu *sipalg_totals(struct net *net)
{
	return sipalg_pernet(net)->total;
}

const struct sipalg_ctrs __percpu *sipalg_port_ctrs(struct net *net,
						    u8 l4proto, u16 port)
{
	struct sipalg_pol_key k = { SIPALG_FAMILY_ANY, l4proto, port };
	struct sipalg_entry *e = sipalg_find(sipalg_pernet(net), &k);

	return e ? e->ctrs : NULL;
}

static int __net_init sipalg_net_init(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	unsigned int i;

	int ret;

	spin_lock_init(&sn->lock);
	for (i = 0; i < ARRAY_SIZE(sn->hash); i++)
		INIT_HLIST_HEAD(&sn->hash[i]);
	sn->total = alloc_percpu(struct sipalg_ctrs);
	if (!sn->total)
		return -ENOMEM;
	ret = sipalg_static_port_net_init(net);
	if (ret) {
		free_percpu(sn->total);
		sn->total = NULL;
	}
	return ret;
}

static void __net_exit sipalg_net_exit(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	sipalg_static_port_net_exit(net);
	spin_lock_bh(&sn->lock);
	for (i = 0; i < ARRAY_SIZE(sn->hash); i++)
		hlist_for_each_entry_safe(e, tmp, &sn->hash[i], node) {
			hlist_del_rcu(&e->node);
			call_rcu(&e->rcu, sipalg_entry_free_rcu);
		}
	sn->n_policies = 0;
	sn->n_counted = 0;
	spin_unlock_bh(&sn->lock);
	/* the namespace is going: nothing counts in it any more */
	free_percpu(sn->total);
	sn->total = NULL;
}

static struct pernet_operations sipalg_net_ops = {
	.init	= sipalg_net_init,
	.exit	= sipalg_net_exit,
	.id	= &sipalg_net_id,
	.size	= sizeof(struct sipalg_net),
};

/* the per-namespace state: policies, counters, static-port hooks */
int __init sipalg_pernet_init(void)
{
	return register_pernet_subsys(&sipalg_net_ops);
}

void sipalg_pernet_exit(void)
{
	unregister_pernet_subsys(&sipalg_net_ops);
	rcu_barrier();	/* entries freed by call_rcu callbacks in this module */
}
