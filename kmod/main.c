// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: a SIP application-level gateway for netfilter conntrack and NAT.
 *
 * Module entry: registers the "sipalg" conntrack helpers for SIP over UDP
 * and TCP, IPv4 and IPv6, on the configured ports.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "sipcore.h"

#define SIPALG_NAME		"sipalg"
#define SIPALG_MAX_PORTS	8

static unsigned short ports[SIPALG_MAX_PORTS] = { 5060 };
static unsigned int ports_c;
module_param_array(ports, ushort, &ports_c, 0400);
MODULE_PARM_DESC(ports, "SIP ports the helpers are registered for (default 5060)");

static const struct nf_conntrack_expect_policy sipalg_exp_policy = {
	.max_expected	= 64,
	.timeout	= 180,
};

/* per port: UDP/IPv4, UDP/IPv6, TCP/IPv4, TCP/IPv6 */
static struct nf_conntrack_helper sipalg_helpers[SIPALG_MAX_PORTS * 4] __read_mostly;

static int sipalg_help(struct sk_buff *skb, unsigned int protoff,
		       struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	return NF_ACCEPT;
}

static int __init sipalg_init(void)
{
	unsigned int i, n = 0;
	int ret;

	if (ports_c == 0)
		ports_c = 1;

	for (i = 0; i < ports_c; i++) {
		static const u16 l3[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
		static const u8 l4[] = { IPPROTO_UDP, IPPROTO_TCP };
		unsigned int a, b;

		for (b = 0; b < ARRAY_SIZE(l4); b++)
			for (a = 0; a < ARRAY_SIZE(l3); a++)
				nf_ct_helper_init(&sipalg_helpers[n++], l3[a],
						  l4[b], SIPALG_NAME, 5060,
						  ports[i], i, &sipalg_exp_policy,
						  0, sipalg_help, NULL,
						  THIS_MODULE);
	}

	ret = nf_conntrack_helpers_register(sipalg_helpers, n);
	if (ret < 0) {
		pr_err("failed to register helpers: %d\n", ret);
		return ret;
	}
	pr_info("registered on %u port(s)\n", ports_c);
	return 0;
}

static void __exit sipalg_exit(void)
{
	nf_conntrack_helpers_unregister(sipalg_helpers, ports_c * 4);
}

module_init(sipalg_init);
module_exit(sipalg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SIP ALG for netfilter conntrack and NAT");
MODULE_ALIAS("nfct-helper-" SIPALG_NAME);
