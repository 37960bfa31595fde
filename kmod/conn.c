// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: what the packet path shares per connection and per CPU: the
 * hashed locks that serialise the helper on one connection, the
 * connection's hash and policy port, the per-CPU scratch space, and the
 * destroy callback that frees what the helper owns.
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
		sipalg_scratch_tbl[cpu] = vzalloc(sizeof(struct sipalg_scratch));
		if (!sipalg_scratch_tbl[cpu]) {
			sipalg_scratch_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/* a conntrack with this helper dies: free what the helper owns */
void sipalg_destroy(struct nf_conn *ct)
{
	sipalg_calls_free(ct);
	sipalg_tcp_free(ct);
}
