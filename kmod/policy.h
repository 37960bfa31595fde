/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-netns, per-port policy and counters: what the packet path asks.
 * Implemented in policy.c (table, RCU lookups) and netlink.c (genl family).
 */
#ifndef SIPALG_POLICY_H
#define SIPALG_POLICY_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include "sipcore.h"

/* policy flags (also the uapi values, see uapi/sipalg_nl.h) */
#define SIPALG_POL_FORCE_RPORT	0x1
#define SIPALG_POL_STATIC_PORT	0x2
#define SIPALG_POL_DISABLE	0x4

enum sipalg_ctr {
	SIPALG_CTR_SEEN,		/* SIP messages looked at */
	SIPALG_CTR_REWRITTEN,		/* forwarded with edits */
	SIPALG_CTR_UNCHANGED,		/* forwarded byte-identical (reason) */
	SIPALG_CTR_DROPPED,		/* dropped (reason) */
	SIPALG_CTR_TCP_REASM,		/* TCP messages reassembled across segments */
	SIPALG_CTR_PINHOLE_OPENED,	/* expectations created */
	SIPALG_CTR_PINHOLE_EXPIRED,	/* expectations expired or removed */
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
	SIPALG_R_MAX
};

/* Packet path, under rcu_read_lock(): the policy flags for a port (0 = default). */
u32 sipalg_policy_get(const struct net *net, u8 l4proto, u16 port);

/* Packet path: count an event for a port; reason only for UNCHANGED/DROPPED. */
void sipalg_count(const struct net *net, u8 l4proto, u16 port,
		  enum sipalg_ctr ctr, unsigned int reason);

int sipalg_policy_init(void);		/* pernet ops + genl family */
void sipalg_policy_exit(void);

#endif /* SIPALG_POLICY_H */
