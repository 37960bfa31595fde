// SPDX-License-Identifier: GPL-2.0
/* placeholder until the policy table and netlink family land */
#include "policy.h"

u32 sipalg_policy_get(const struct net *net, u8 l4proto, u16 port)
{
	return 0;
}

void sipalg_count(const struct net *net, u8 l4proto, u16 port,
		  enum sipalg_ctr ctr, unsigned int reason)
{
}

int sipalg_policy_init(void)
{
	return 0;
}

void sipalg_policy_exit(void)
{
}
