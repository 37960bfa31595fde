// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: what the packet path shares per connection and per CPU: the
 * hashed locks that serialise the helper on one connection, the
 * connection's hash and policy port, the per-CPU scratch space, and the
 * one object per connection (struct sipalg_conn) with its one free path.
 */
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/netfilter/nf_conntrack.h>

#include "sipalg.h"

/*
 * Packets of one connection may be handled on several CPUs at once (both
 * directions, or retransmissions): the helper's state and its rewrites are
 * serialised by a lock picked by hashing the conntrack.
 */
#define SIPALG_LOCK_BITS	6
static spinlock_t sipalg_locks[1 << SIPALG_LOCK_BITS];

void sipalg_locks_init(void)
{
	unsigned int i;

	BUILD_BUG_ON(SIPALG_CT_HASH_BITS < SIPALG_LOCK_BITS);
	for (i = 0; i < (1 << SIPALG_LOCK_BITS); i++)
		spin_lock_init(&sipalg_locks[i]);
}

unsigned int sipalg_ct_hash(const struct nf_conn *ct)
{
	return hash_ptr(ct, SIPALG_CT_HASH_BITS);
}

spinlock_t *sipalg_ct_lock(const struct nf_conn *ct)
{
	return &sipalg_locks[sipalg_ct_hash(ct) >>
			     (SIPALG_CT_HASH_BITS - SIPALG_LOCK_BITS)];
}

u16 sipalg_ct_port(const struct nf_conn *ct)
{
	const struct nf_conn *c = ct->master ? ct->master : ct;

	return ntohs(c->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u.all);
}

/*
 * Scratch space (a copy of the message, its parse and its rewrite plan: too
 * big for the stack), one per CPU, used with a sipalg_ct_lock held (bottom
 * halves off, no preemption).
 */
static struct sipalg_scratch **sipalg_scratch_tbl;

struct sipalg_scratch *sipalg_scratch_get(void)
{
	return sipalg_scratch_tbl[smp_processor_id()];
}

void sipalg_scratch_free(void)
{
	unsigned int cpu;

	if (!sipalg_scratch_tbl)
		return;
	for_each_possible_cpu(cpu)
		vfree(sipalg_scratch_tbl[cpu]);
	kfree(sipalg_scratch_tbl);
	sipalg_scratch_tbl = NULL;
}

int sipalg_scratch_alloc(void)
{
	unsigned int cpu;

	sipalg_scratch_tbl = kcalloc(nr_cpu_ids, sizeof(*sipalg_scratch_tbl),
				     GFP_KERNEL);
	if (!sipalg_scratch_tbl)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		sipalg_scratch_tbl[cpu] = vzalloc(sizeof(*sipalg_scratch_tbl[cpu]));
		if (!sipalg_scratch_tbl[cpu]) {
			sipalg_scratch_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/* newest first: ids (sipalg_conn_seq) decrease along the list */
static LIST_HEAD(sipalg_conns);
static DEFINE_SPINLOCK(sipalg_conns_lock);
static unsigned long sipalg_conn_seq;

struct sipalg_conn *sipalg_conn_get(struct nf_conn *ct)
{
	struct sipalg_ct *d = sipalg_ct_data(ct);
	struct sipalg_conn *c = d->conn;

	if (c)
		return c;
	/* its destroy callback may have run already: nothing would free it */
	if (nf_ct_is_dying(ct))
		return NULL;
	c = kzalloc(sizeof(*c), GFP_ATOMIC | __GFP_NOWARN);
	if (!c)
		return NULL;
	spin_lock_bh(&sipalg_conns_lock);
	c->id = ++sipalg_conn_seq;
	list_add(&c->node, &sipalg_conns);
	spin_unlock_bh(&sipalg_conns_lock);
	d->conn = c;
	return c;
}

/*
 * For the netlink dumps (calls.c): the conntrack of the newest connection
 * object of net whose id is at most bound, with a reference held (the
 * caller puts it), and its id in *id; NULL when there is none. Only
 * objects whose ->ct is set count: it is set on a confirmed conntrack
 * (calls.c), whose destroy callback unlists the object before the
 * conntrack is freed, so under the list's lock it is valid (an object made
 * for an unconfirmed conntrack that the kernel then freed without the
 * callback never gets it). One already dying is passed over.
 */
struct nf_conn *sipalg_conn_next(const struct net *net, unsigned long bound,
				 unsigned long *id)
{
	struct nf_conn *ct = NULL;
	struct sipalg_conn *c;

	spin_lock_bh(&sipalg_conns_lock);
	list_for_each_entry(c, &sipalg_conns, node) {
		struct nf_conn *x = READ_ONCE(c->ct);

		if (!x || c->id > bound || !net_eq(nf_ct_net(x), net))
			continue;
		if (!refcount_inc_not_zero(&x->ct_general.use))
			continue;
		ct = x;
		*id = c->id;
		break;
	}
	spin_unlock_bh(&sipalg_conns_lock);
	return ct;
}

static void sipalg_conn_release(struct sipalg_conn *c)
{
	sipalg_tcp_release(c->tcp);
	sipalg_calls_release(c->calls);
	sipalg_dlgs_release(c->dlgs);
	kfree(c);
}

/* a conntrack with this helper dies: free what the helper owns */
void sipalg_destroy(struct nf_conn *ct)
{
	spinlock_t *lock = sipalg_ct_lock(ct);
	struct sipalg_conn *c;
	struct sipalg_ct *d;

	if (!nfct_help(ct))
		return;
	d = sipalg_ct_data(ct);
	spin_lock_bh(lock);
	c = d->conn;
	d->conn = NULL;
	d->flags &= ~SIPALG_F_CALLS;
	spin_unlock_bh(lock);
	if (!c)
		return;
	spin_lock_bh(&sipalg_conns_lock);
	list_del(&c->node);
	spin_unlock_bh(&sipalg_conns_lock);
	sipalg_conn_release(c);
}

/*
 * Module unload, after the helpers are unregistered: conntracks still alive
 * keep a stale pointer in their (no longer used) helper area; nothing
 * reaches the objects any more. (A conntrack whose helper ctnetlink took
 * away gets no destroy callback: its object waits here for the unload.)
 */
void sipalg_conn_free_all(void)
{
	struct sipalg_conn *c, *n;

	spin_lock_bh(&sipalg_conns_lock);
	list_for_each_entry_safe(c, n, &sipalg_conns, node) {
		list_del(&c->node);
		sipalg_conn_release(c);
	}
	spin_unlock_bh(&sipalg_conns_lock);
}
