/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels sipalg builds for (Debian's
 * 6.1 and 6.12, Debian sid's 7.2), in one place.
 */
#ifndef SIPALG_COMPAT_H
#define SIPALG_COMPAT_H

#include <linux/version.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/genetlink.h>

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

/*
 * Helper registration. Up to 7.1, the kernel registers the module's own
 * struct nf_conntrack_helper, and unregistering detaches it from every
 * conntrack (nf_ct_iterate_destroy() with "unhelp"), so no conntrack reaches
 * the module afterwards.
 *
 * Since "netfilter: nf_conntrack_helper: dynamically allocate struct
 * nf_conntrack_helper" (6031487d4e27, first released in 7.2; backported to
 * 7.1.5 as a1572284b14e) registration allocates a copy of each template and
 * hands its address back; unregistering takes the copies. And since
 * "netfilter: nf_conntrack_helper: add refcounting from datapath"
 * (ac46f3f35b6e, 7.2) every conntrack holds a reference to its copy and
 * unregistering no longer detaches it: it only clears ->help, waits for RCU
 * readers and removes the helper's expectations. A conntrack that outlives
 * the module still calls the copy's ->destroy when it dies. The in-tree
 * helpers leave no code pointer in the copy for that (pptp's cleanup moved
 * into the GRE tracker, in the core); sipalg clears ->destroy before
 * unregistering, and unregistering's synchronize_rcu() then waits for a
 * destroy callback that had already read it. What such conntracks owned is
 * freed with the rest at unload (sipalg_conn_free_all()).
 *
 * reg[] receives what the kernel registered: the copies, or before 7.1.5
 * the templates themselves.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 5)
#define SIPALG_HELPER_COPIES 1
#else
#define SIPALG_HELPER_COPIES 0
#endif

static inline int sipalg_helpers_register(struct nf_conntrack_helper *tmpl,
					  struct nf_conntrack_helper **reg,
					  unsigned int n)
{
#if SIPALG_HELPER_COPIES
	return nf_conntrack_helpers_register(tmpl, n, reg);
#else
	unsigned int i;
	int ret;

	ret = nf_conntrack_helpers_register(tmpl, n);
	for (i = 0; i < n; i++)
		reg[i] = ret ? NULL : &tmpl[i];
	return ret;
#endif
}

static inline void sipalg_helpers_unregister(struct nf_conntrack_helper *tmpl,
					     struct nf_conntrack_helper **reg,
					     unsigned int n)
{
#if SIPALG_HELPER_COPIES
	unsigned int i;

	for (i = 0; i < n; i++)
		WRITE_ONCE(reg[i]->destroy, NULL);
	nf_conntrack_helpers_unregister(reg, n);
#else
	nf_conntrack_helpers_unregister(tmpl, n);
#endif
}

/*
 * The monitor's multicast group admits listeners with CAP_NET_ADMIN in the
 * namespace's user namespace only. The flag that says so,
 * GENL_MCAST_CAP_NET_ADMIN ("genetlink: add CAP_NET_ADMIN test for
 * multicast bind", 4d54cc32112d, 6.6), is in every kernel sipalg builds
 * for: 6.12 and 7.2, and Debian's 6.1 (backported to 6.1.y: 6.1.0-57's
 * headers define it and linux-source-6.1's genl_bind() checks it; looked
 * at in both). A kernel without it would let anyone
 * read every SIP message's Call-ID: refuse to build for it.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define SIPALG_MCAST_ADMIN	GENL_MCAST_CAP_NET_ADMIN
#else
#error "no GENL_MCAST_CAP_NET_ADMIN in this kernel: the monitor group would be open to everyone"
#endif

/*
 * Not needed on any kernel sipalg builds for: "netfilter: ctnetlink:
 * restrict expectfn to helper" (posted to netfilter-devel in April 2026)
 * adds a .helper name to struct nf_ct_helper_expectfn, but Debian's 7.2.13
 * headers and linux-source-7.2 do not have it: checked, not guessed. When
 * a kernel has it, expect.c's sipalg_media_fn gets .helper = SIPALG_NAME
 * here, guarded by that kernel's version.
 */

#endif /* SIPALG_COMPAT_H */
