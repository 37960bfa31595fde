/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipalg: what the generic netlink family (netlink.c) shares with the
 * monitor's events (monitor.c: the multicast group "monitor",
 * SIPALG_CMD_EVENT) and the call and registration dumps (calls.c).
 */
#ifndef SIPALG_MONITOR_H
#define SIPALG_MONITOR_H

#include <linux/netfilter.h>
#include <net/genetlink.h>

extern struct genl_family sipalg_genl_family;	/* netlink.c */

#define SIPALG_N_MCGRPS	1
extern const struct genl_multicast_group sipalg_mcgrps[SIPALG_N_MCGRPS];

/* the pinholes a message opened and closed, kept for its event */
#define SIPALG_MON_PINS	8

struct sipalg_mon_pin {
	union nf_inet_addr src, dst;
	__be16 dport;
	u8 opened;
	u8 any_src;
	u8 class;
	u8 l4proto;
};

struct sipalg_mon_rec {
	u8 n_pins;
	u16 pins_cut;
	struct sipalg_mon_pin pin[SIPALG_MON_PINS];
};

int sipalg_mon_init(void);

/* calls.c: SIPALG_CMD_CALL_GET and SIPALG_CMD_REG_GET */
int sipalg_nl_call_dump(struct sk_buff *skb, struct netlink_callback *cb);
int sipalg_nl_reg_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* SIPALG_MONITOR_H */
