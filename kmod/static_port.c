// SPDX-License-Identifier: GPL-2.0
/*
 * static-port: keep a SIP client's source port across the router's source
 * NAT when that mapping is free.
 *
 * The conntrack helper runs after NAT has chosen a mapping, so this acts
 * where the mapping is made: a POSTROUTING hook right after the NAT hooks
 * (priority NF_IP_PRI_NAT_SRC + 1). It only touches flows the router has
 * just source-NATed itself: a new, unconfirmed conntrack whose SNAT is set
 * up (IPS_SRC_NAT) with a source port other than the client's, and whose
 * original destination or source port has a static-port policy. Then, when
 * the reply tuple with the client's port is not taken, it moves the mapping
 * to that port (same address the NAT chose) and fixes the packet's source
 * port; otherwise it leaves the NAT's choice and counts a fallback. Flows
 * that are not source-NATed are never touched, so static-port needs an SNAT
 * or masquerade rule to have any effect; with a plain masquerade (no
 * random/fully-random, no port range) the NAT already keeps free ports and
 * this only counts them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/checksum.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_tuple.h>

#include "sipalg.h"

/* write the new source port into the transport header, fixing the checksum */
static bool sipalg_set_sport(struct sk_buff *skb, u8 family, u8 l4proto,
			     __be16 port)
{
	unsigned int thoff, hlen;
	__be16 *sport;
	__sum16 *check;

	if (family == NFPROTO_IPV4) {
		thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	} else {
		__be16 frag_off;
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		int off;

		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
				       sizeof(struct ipv6hdr), &nexthdr,
				       &frag_off);
		if (off < 0 || nexthdr != l4proto)
			return false;
		thoff = off;
	}
	hlen = l4proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
					 sizeof(struct udphdr);
	if (skb_ensure_writable(skb, thoff + hlen))
		return false;

	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);

		sport = &th->source;
		check = &th->check;
	} else {
		struct udphdr *uh = (struct udphdr *)(skb->data + thoff);

		sport = &uh->source;
		check = &uh->check;
		/* IPv4 UDP without checksum stays without */
		if (family == NFPROTO_IPV4 && !uh->check) {
			*sport = port;
			return true;
		}
	}
	sipalg_l4_port_set(skb, sport, check, port, l4proto == IPPROTO_UDP);
	return true;
}

static unsigned int sipalg_static_port_hook(void *priv, struct sk_buff *skb,
					    const struct nf_hook_state *state)
{
	const struct nf_conntrack_tuple *o;
	struct nf_conntrack_tuple r;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	u16 port;
	u8 l4proto, family;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct) ||
	    !(ct->status & IPS_SRC_NAT))
		return NF_ACCEPT;

	o = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	l4proto = o->dst.protonum;
	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP)
		return NF_ACCEPT;
	family = nf_ct_l3num(ct);

	port = ntohs(o->dst.u.all);
	if (!(sipalg_policy_get_af(state->net, family, l4proto, port) &
	      SIPALG_POLICY_STATIC_PORT)) {
		port = ntohs(o->src.u.all);
		if (!(sipalg_policy_get_af(state->net, family, l4proto, port) &
		      SIPALG_POLICY_STATIC_PORT))
			return NF_ACCEPT;
	}

	r = ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	if (r.dst.u.all == o->src.u.all) {
		/* the NAT kept the client's port by itself */
		sipalg_count(state->net, l4proto, port, SIPALG_CTR_STATIC_KEPT, 0);
		return NF_ACCEPT;
	}
	r.dst.u.all = o->src.u.all;
	if (nf_conntrack_tuple_taken(&r, ct) ||
	    !sipalg_set_sport(skb, family, l4proto, o->src.u.all)) {
		sipalg_count(state->net, l4proto, port,
			     SIPALG_CTR_STATIC_FALLBACK, 0);
		return NF_ACCEPT;
	}
	/* unconfirmed: the reply tuple is in no hash yet */
	nf_conntrack_alter_reply(ct, &r);
	sipalg_count(state->net, l4proto, port, SIPALG_CTR_STATIC_KEPT, 0);
	return NF_ACCEPT;
}

static const struct nf_hook_ops sipalg_static_port_ops[] = {
	{
		.hook		= sipalg_static_port_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_NAT_SRC + 1,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= sipalg_static_port_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP6_PRI_NAT_SRC + 1,
	},
#endif
};

int sipalg_static_port_net_init(struct net *net)
{
	return nf_register_net_hooks(net, sipalg_static_port_ops,
				     ARRAY_SIZE(sipalg_static_port_ops));
}

void sipalg_static_port_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, sipalg_static_port_ops,
				ARRAY_SIZE(sipalg_static_port_ops));
}
