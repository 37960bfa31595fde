/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels sipalg builds for (Debian's
 * 6.1 and 6.12), in one place.
 */
#ifndef SIPALG_COMPAT_H
#define SIPALG_COMPAT_H

#include <net/netfilter/nf_conntrack.h>

/*
 * Extend a conntrack's timeout to at least extra jiffies from now. (The
 * kernel's nf_ct_refresh() lost its skb argument in 6.10 and always sets,
 * even when that shortens the timeout: do it here, the same way on both.)
 */
static inline void sipalg_ct_extend(struct nf_conn *ct, u32 extra)
{
	u32 until = extra;

	if (test_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status))
		return;
	if (!nf_ct_is_confirmed(ct)) {
		if ((s32)(until - READ_ONCE(ct->timeout)) > 0)
			WRITE_ONCE(ct->timeout, until);
		return;
	}
	until += nfct_time_stamp;
	if ((s32)(until - READ_ONCE(ct->timeout)) > 0)
		WRITE_ONCE(ct->timeout, until);
}

#endif /* SIPALG_COMPAT_H */
