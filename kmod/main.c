// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: a SIP application-level gateway for netfilter conntrack and NAT.
 *
 * Module entry and exit: the module parameters of the helper, the
 * expectation policy, and the "sipalg" conntrack helpers for SIP over UDP
 * and TCP, IPv4 and IPv6, on the configured ports; init and exit of every
 * part, in order (the per-connection locks and the per-CPU scratch space
 * are in conn.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "sipalg.h"
#include "compat.h"

#define SIPALG_MAX_PORTS	8

/*
 * A read-only parameter refuses a value at load too (modprobe sipalg
 * tcp_held=1): the kernel calls an ops' .set for a load argument without
 * checking that there is one, so every read-only ops has this one.
 */
int sipalg_param_ro_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

/* a counter shown read-only: kp->arg is its atomic_long_t */
static int sipalg_param_counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

const struct kernel_param_ops sipalg_param_counter_ops = {
	.set = sipalg_param_ro_set,
	.get = sipalg_param_counter_get,
};

static unsigned short ports[SIPALG_MAX_PORTS] = { 5060 };
static unsigned int ports_c;
module_param_array(ports, ushort, &ports_c, 0400);
MODULE_PARM_DESC(ports, "SIP ports the helpers are registered for (default 5060)");

#ifdef SIPALG_BENCH_SPIN
#include <linux/ktime.h>
static unsigned int bench_spin_ns;
module_param(bench_spin_ns, uint, 0600);
MODULE_PARM_DESC(bench_spin_ns, "test build only: ns each help() call busy-waits first (0)");

void sipalg_bench_spin(void)
{
	unsigned int ns = READ_ONCE(bench_spin_ns);
	u64 t0;

	if (!ns)
		return;
	t0 = ktime_get_ns();
	while (ktime_get_ns() - t0 < ns)
		cpu_relax();
}
#endif

/*
 * A UDP SIP flow is kept at least this long after each message, so the
 * signalling of a call held open (or a phone idle between re-registrations)
 * keeps its NAT mapping: UDP's own 30/120 s would hand the BYE a new port.
 */
unsigned int sipalg_sig_timeout __read_mostly = 3600;
module_param_named(sip_timeout, sipalg_sig_timeout, uint, 0600);
MODULE_PARM_DESC(sip_timeout, "seconds a UDP SIP flow stays after each message (default 3600)");

/*
 * Expectations per connection and class: the kernel's own ceiling (past
 * it, nf_ct_expect_related() evicts the connection's oldest expectation of
 * the class). sipalg checks its own limits first (expect.c:
 * call_pinholes, pinhole_table, pinhole_share, reg_contacts), so it never
 * lets the kernel evict one call's pinhole for another's; these figures
 * are what those limits may be raised to. The in-tree helper allows 4
 * audio, 4 video, 2 image and 1 signalling per connection, enough for
 * one phone's call; a PBX trunk carries many calls on one connection, so
 * ours are higher (README, "Limits"). The media classes together make
 * SIPALG_PIN_TABLE_MAX, the signalling one SIPALG_REG_CONTACTS_MAX. On
 * 7.1.5 and later the kernel registers a copy of this array: it is never
 * changed after registration.
 */
static const struct nf_conntrack_expect_policy sipalg_exp_policy[SIPALG_EXP_MAX] = {
	[SIPALG_EXP_SIGNALLING] = {
		.name		= "signalling",
		.max_expected	= SIPALG_REG_CONTACTS_MAX,
		.timeout	= SIPALG_REG_DEFAULT_SECS,
	},
	[SIPALG_EXP_AUDIO] = {
		.name		= "audio",
		.max_expected	= 128,
		.timeout	= 300,
	},
	[SIPALG_EXP_VIDEO] = {
		.name		= "video",
		.max_expected	= 64,
		.timeout	= 300,
	},
	[SIPALG_EXP_OTHER] = {
		.name		= "other",
		.max_expected	= 32,
		.timeout	= 300,
	},
};

/*
 * per port: UDP/IPv4, UDP/IPv6, TCP/IPv4, TCP/IPv6; the templates, and what
 * the kernel registered for them (compat.h)
 */
static struct nf_conntrack_helper sipalg_helpers[SIPALG_MAX_PORTS * 4] __read_mostly;
static struct nf_conntrack_helper *sipalg_helper_reg[SIPALG_MAX_PORTS * 4];
static unsigned int sipalg_nhelpers;

/* the helper templates: per port, UDP and TCP over IPv4 and IPv6 */
static int __init sipalg_helpers_init(void)
{
	static const u16 l3[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	static const u8 l4[] = { IPPROTO_UDP, IPPROTO_TCP };
	unsigned int i, a, b, n = 0;

	if (ports_c == 0)
		ports_c = 1;
	for (i = 0; i < ports_c; i++) {
		if (!ports[i]) {
			pr_err("port 0 in ports=\n");
			return -EINVAL;
		}
		for (b = 0; b < ARRAY_SIZE(l4); b++) {
			for (a = 0; a < ARRAY_SIZE(l3); a++) {
				struct nf_conntrack_helper *h = &sipalg_helpers[n++];

				/* the first port's helpers are "sipalg", the
				 * others "sipalg-PORT"
				 */
				nf_ct_helper_init(h, l3[a], l4[b], SIPALG_NAME,
						  ports[0], ports[i], i,
						  sipalg_exp_policy,
						  SIPALG_EXP_MAX - 1,
						  l4[b] == IPPROTO_UDP ?
						  sipalg_help_udp :
						  sipalg_help_tcp,
						  NULL, THIS_MODULE);
				h->destroy = sipalg_destroy;
			}
		}
	}
	sipalg_nhelpers = n;
	return 0;
}

/*
 * In order: what the packet path needs (locks, scratch), the per-namespace
 * state (policies, counters, static-port hooks), the netlink family, the
 * expectation function, and last the helpers, after which packets come.
 * Each failure undoes what came before it, in reverse.
 */
static int __init sipalg_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct sipalg_ct) > sizeof_field(struct nf_conn_help, data));
	BUILD_BUG_ON(128 + 64 + 32 != SIPALG_PIN_TABLE_MAX);

	ret = sipalg_helpers_init();
	if (ret)
		return ret;
	sipalg_locks_init();
	ret = sipalg_scratch_alloc();
	if (ret)
		return ret;
	ret = sipalg_pernet_init();
	if (ret) {
		pr_err("per-namespace init failed: %d\n", ret);
		goto err_scratch;
	}
	ret = sipalg_nl_init();
	if (ret) {
		pr_err("netlink family registration failed: %d\n", ret);
		goto err_pernet;
	}
	sipalg_expect_init(sipalg_exp_policy);
	ret = sipalg_helpers_register(sipalg_helpers, sipalg_helper_reg,
				      sipalg_nhelpers);
	if (ret) {
		pr_err("failed to register helpers: %d\n", ret);
		goto err_expect;
	}
	pr_info("registered on %u port(s)\n", ports_c);
	return 0;

err_expect:
	sipalg_expect_unregister();
	synchronize_rcu();
	sipalg_expect_exit();
	sipalg_nl_exit();
err_pernet:
	sipalg_pernet_exit();
err_scratch:
	sipalg_scratch_free();
	return ret;
}

static void __exit sipalg_exit(void)
{
	/*
	 * No new expectation through ctnetlink with our function; then
	 * remove our expectations, make sure no conntrack calls help() or
	 * the destroy callback again (compat.h: the kernels differ) and wait
	 * for RCU readers: afterwards the pinhole tables and the reassembly
	 * buffers are ours alone.
	 */
	sipalg_expect_unregister();
	sipalg_helpers_unregister(sipalg_helpers, sipalg_helper_reg,
				  sipalg_nhelpers);
	sipalg_expect_exit();
	sipalg_conn_free_all();
	sipalg_nl_exit();
	sipalg_pernet_exit();
	sipalg_scratch_free();
}

module_init(sipalg_init);
module_exit(sipalg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SIP ALG for netfilter conntrack and NAT");
MODULE_ALIAS("nfct-helper-" SIPALG_NAME);
