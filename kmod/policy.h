/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-netns, per-port policy and counters: what the packet path asks.
 * Implemented in policy.c (table, RCU lookups, counters), netlink.c (the
 * "sipalg" generic netlink family, uapi/sipalg_nl.h) and static_port.c (the
 * POSTROUTING hooks that keep a client's source port).
 */
#ifndef SIPALG_POLICY_H
#define SIPALG_POLICY_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include "sipcore.h"
#include "sipalg_nl.h"

enum sipalg_ctr {
	SIPALG_CTR_SEEN,		/* SIP messages looked at */
	SIPALG_CTR_REWRITTEN,		/* forwarded with edits */
	SIPALG_CTR_UNCHANGED,		/* forwarded byte-identical (reason) */
	SIPALG_CTR_DROPPED,		/* dropped (reason) */
	SIPALG_CTR_TCP_REASM,		/* TCP messages reassembled across segments */
	SIPALG_CTR_PINHOLE_OPENED,	/* expectations created */
	SIPALG_CTR_PINHOLE_EXPIRED,	/* expectations expired or removed */
	SIPALG_CTR_STATIC_KEPT,		/* static-port: client port kept (static_port.c) */
	SIPALG_CTR_STATIC_FALLBACK,	/* static-port: port taken, NAT's choice kept */
	SIPALG_CTR_PINHOLE_ANY_SOURCE,	/* media-any: pinhole pairs from any source */
	SIPALG_CTR_MEDIA_PORT_FALLBACK,	/* outbound media: public port taken, NAT's choice */
	SIPALG_CTR_PINHOLE_REFUSED,	/* pinholes not opened: a bound (reason) */
	SIPALG_CTR_MON_LOST,		/* monitor events not sent (monitor.c) */
	SIPALG_CTR_MAX
};

/*
 * Reasons counted with SIPALG_CTR_UNCHANGED / SIPALG_CTR_DROPPED: values
 * below SA_R_MAX are the core's enum sa_reason, then the module's own.
 */
enum sipalg_reason {
	SIPALG_R_POLICY_DISABLED = SA_R_MAX,	/* port has policy disable */
	SIPALG_R_TCP_OVERFLOW,		/* reassembly bound exceeded */
	SIPALG_R_TCP_GAP,		/* out-of-order / retransmitted segment */
	SIPALG_R_MANGLE_FAILED,		/* nf_nat_mangle_*_packet failed */
	SIPALG_R_EXPECT_FAILED,		/* could not open a pinhole */
	SIPALG_R_NOMEM,
	SIPALG_R_TCP_BUDGET,		/* TCP: global budget of held bytes used up */
	SIPALG_R_TCP_EXPIRED,		/* TCP: held longer than tcp_hold_ms */
	SIPALG_R_TCP_NOSEQADJ,		/* TCP: split message, no NAT seq adjustment */
	SIPALG_R_COPY_FAILED,		/* skb_copy_bits failed: passed as it is */
	/* pinholes refused (SIPALG_CTR_PINHOLE_REFUSED), expect.c */
	SIPALG_R_CALL_LIMIT,		/* call_pinholes: one SDP's share */
	SIPALG_R_SHARE,			/* pinhole_share of nf_conntrack_expect_max */
	SIPALG_R_TABLE_FULL,		/* pinhole_table, or a class's max_expected */
	SIPALG_R_LOW_PORT,		/* REGISTER Contact port below 1024 */
	SIPALG_R_REG_CONTACTS,		/* reg_contacts: Contacts of a registration */
	SIPALG_R_KERNEL_FULL,		/* the namespace's expectation table is full */
	SIPALG_R_MAX
};

/*
 * Packet path (any context; takes rcu_read_lock itself): the policy flags
 * for a port (0 = default), for one address family (NFPROTO_IPV4 /
 * NFPROTO_IPV6, which equal AF_INET / AF_INET6; SIPALG_FAMILY_ANY for the
 * policy set for both): a family-specific policy wins over a policy set for
 * both families.
 */
u32 sipalg_policy_get_af(const struct net *net, u8 family, u8 l4proto,
			 u16 port);

/*
 * Packet path: count an event for a port; reason only for UNCHANGED,
 * DROPPED and PINHOLE_REFUSED.
 */
void sipalg_count(const struct net *net, u8 l4proto, u16 port,
		  enum sipalg_ctr ctr, unsigned int reason);

/*
 * Does a port with these policy flags drop a message the ALG refuses for
 * reason (the core's enum sa_reason)? Only strict does, on UDP, for every
 * reason but SA_R_OK (nothing refused) and SA_R_NOT_SIP (not SIP at all:
 * STUN and other keep-alives share SIP ports); disable never does.
 */
bool sipalg_policy_drops(u32 policy, u8 l4proto, unsigned int reason);

/*
 * Packet path: a message the ALG refuses for reason. When the policy drops
 * it (sipalg_policy_drops), counts it as DROPPED with the reason, logs it
 * rate-limited and returns true: the caller drops the packet. Else counts
 * nothing and returns false.
 */
bool sipalg_policy_drop(const struct net *net, u8 l4proto, u16 port,
			u32 policy, unsigned int reason);

int sipalg_pernet_init(void);	/* policies, counters, static-port hooks */
void sipalg_pernet_exit(void);

/* ---- inside the policy area only (policy.c, netlink.c, static_port.c) */

/*
 * Counters: one copy per CPU (alloc_percpu, this_cpu_inc in the packet
 * path), summed when read. A plain struct sipalg_ctrs also holds such a sum.
 */
struct sipalg_ctrs {
	u64 c[SIPALG_CTR_MAX];
	u64 unchanged[SIPALG_R_MAX];
	u64 dropped[SIPALG_R_MAX];
	u64 refused[SIPALG_R_MAX];
};

/* the sum over all CPUs of per-CPU counters pc, into *sum */
void sipalg_ctrs_sum(const struct sipalg_ctrs __percpu *pc,
		     struct sipalg_ctrs *sum);
/* one counter summed over all CPUs; reason only for the per-reason lists */
u64 sipalg_ctr_read(const struct sipalg_ctrs __percpu *pc,
		    enum sipalg_ctr ctr);
u64 sipalg_ctr_reason_read(const struct sipalg_ctrs __percpu *pc,
			   enum sipalg_ctr ctr, unsigned int reason);

struct sipalg_pol_key {
	u8 family;			/* SIPALG_FAMILY_* */
	u8 l4proto;
	u16 port;
};

/* a snapshot of one table entry, for netlink replies */
struct sipalg_pol_view {
	struct sipalg_pol_key key;
	bool has_policy;
	u32 flags;
};

const char *sipalg_reason_name(unsigned int reason);

/* the TCP path's bytes held and their budget, whole module (tcp.c) */
long sipalg_tcp_held_bytes(void);
unsigned long sipalg_tcp_hold_budget(void);

/* -ENOSPC when the namespace holds SIPALG_MAX_POLICIES policies */
int sipalg_pol_set(struct net *net, const struct sipalg_pol_key *k, u32 flags);
int sipalg_pol_del(struct net *net, const struct sipalg_pol_key *k);
void sipalg_pol_flush(struct net *net);
int sipalg_pol_lookup(struct net *net, const struct sipalg_pol_key *k,
		      struct sipalg_pol_view *v);
unsigned int sipalg_pol_count(struct net *net);
void sipalg_stats_reset(struct net *net);

/*
 * Walk the table from position *pos (0 at first), calling fn under
 * rcu_read_lock for each entry, with its per-CPU counters when it holds any
 * (else NULL); stops when fn returns non-zero and leaves *pos at that entry.
 */
int sipalg_pol_walk(struct net *net, unsigned long *pos,
		    int (*fn)(void *arg, const struct sipalg_pol_view *v,
			      const struct sipalg_ctrs __percpu *c),
		    void *arg);
const struct sipalg_ctrs __percpu *sipalg_totals(struct net *net);
/* counters of one port (rcu_read_lock held by the caller), NULL if none */
const struct sipalg_ctrs __percpu *sipalg_port_ctrs(struct net *net,
						    u8 l4proto, u16 port);

int sipalg_nl_init(void);
void sipalg_nl_exit(void);

/* static_port.c: per-netns POSTROUTING hooks */
int sipalg_static_port_net_init(struct net *net);
void sipalg_static_port_net_exit(struct net *net);

#endif /* SIPALG_POLICY_H */
