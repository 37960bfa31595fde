// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: applying a rewrite plan to the packet with the kernel's NAT
 * mangling helpers.
 *
 * A message is rewritten whole or not at all. Every way a mangling helper
 * can fail (an unwritable or non-linear skb, too little tailroom, a packet
 * growing past 64 KiB) is checked and prepared for before the first edit:
 * afterwards the edits cannot fail, and should one fail anyway the packet
 * is dropped rather than forwarded half-rewritten.
 *
 * Edits are applied in the packet from the last to the first, so the
 * offsets the plan gives (in the original message) stay right. (SIP over
 * TCP is written by tcp.c: each segment's payload is built anew.)
 */
#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat_helper.h>

#include "sipalg.h"

/* the most the packet grows at any point while the plan is applied */
int sipalg_plan_growth(const struct sa_plan *plan)
{
	int cum = 0, max = 0;
	unsigned int i;

	for (i = plan->n; i-- > 0;) {
		cum += (int)plan->e[i].text_len - (int)plan->e[i].len;
		if (cum > max)
			max = cum;
	}
	return max;
}

/* make the skb writable, linear, and able to grow by grow bytes */
int sipalg_nat_prepare(struct sipalg_pkt *p, int grow)
{
	struct sk_buff *skb = p->skb;
	int room;

	if (skb->len + grow > U16_MAX)	/* an IP packet's length field */
		return -E2BIG;
	if (skb_ensure_writable(skb, skb->len))
		return -ENOMEM;
	room = skb_tailroom(skb);
	if (grow > room &&
	    pskb_expand_head(skb, 0, grow - room, GFP_ATOMIC))
		return -ENOMEM;
	return 0;
}

static bool sipalg_mangle(struct sipalg_pkt *p, unsigned int off,
			  unsigned int len, const char *text, unsigned int tlen)
{
	return nf_nat_mangle_udp_packet(p->skb, p->ct, p->ctinfo, p->protoff,
					off, len, text, tlen);
}

/*
 * Apply plan to the message that starts base bytes into the payload.
 * Returns false when an edit failed (the packet must then be dropped).
 */
bool sipalg_nat_apply(struct sipalg_pkt *p, unsigned int base,
		      const struct sa_plan *plan)
{
	unsigned int i;

	for (i = plan->n; i-- > 0;) {
		const struct sa_edit *e = &plan->e[i];

		if (e->text_off + e->text_len > SA_EDIT_TEXT)
			return false;
		if (!sipalg_mangle(p, base + e->off, e->len,
				   plan->text + e->text_off, e->text_len))
			return false;
	}
	return true;
}

void sipalg_l4_port_set(struct sk_buff *skb, __be16 *field, __sum16 *check,
			__be16 port, bool udp)
{
	inet_proto_csum_replace2(check, skb, *field, port, false);
	if (udp && !*check)
		*check = CSUM_MANGLED_0;
	*field = port;
}

/* send a UDP response to the port its request's Via named */
void sipalg_nat_set_dport(struct sipalg_pkt *p, u16 port)
{
	struct sk_buff *skb = p->skb;
	struct udphdr *uh;
	__be16 newp = htons(port);

	if (skb_ensure_writable(skb, p->protoff + sizeof(*uh)))
		return;
	uh = (struct udphdr *)(skb->data + p->protoff);
	if (uh->dest == newp)
		return;
	/* a datagram sent without checksum stays without */
	if (uh->check || skb->ip_summed == CHECKSUM_PARTIAL)
		sipalg_l4_port_set(skb, &uh->dest, &uh->check, newp, true);
	else
		uh->dest = newp;
}
