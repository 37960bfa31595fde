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
 * UDP: edits are applied in the packet from the last to the first, so the
 * offsets the plan gives (in the original message) stay right.
 *
 * TCP: tcp.c builds the segment's new payload in the packet from a copy of
 * the old one (tcp_nat.h); a message with a plan is written there
 * rewritten (sa_apply()), in one pass, and tcp.c takes care of sequence
 * numbers. Room is made before anything is written; a rewrite that does
 * not fit leaves the message to the next segment.
 */
#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat_helper.h>

#include "sipalg.h"
#include "tcp_nat.h"


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
	struct sipalg_tcp_out *o = p->out;
	struct sk_buff *skb = p->skb;
	int room;

	if (o) {
		/*
		 * The rewritten message, whole, after what is built. One that
		 * does not fit in this segment goes in the next one: nothing
		 * is written (sipalg_nat_apply()), and tcp.c holds it.
		 */
		room = sipalg_tcp_out_reserve(o, o->mlen + max(grow, 0));
		if (room == -E2BIG) {
			o->full = true;
			return 0;
		}
		if (room)
			o->nomem = true;
		return room;
	}

	if (skb->len + grow > 65535)
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
	if (p->l4proto == IPPROTO_UDP)
		return nf_nat_mangle_udp_packet(p->skb, p->ct, p->ctinfo,
						p->protoff, off, len, text,
						tlen);
	return __nf_nat_mangle_tcp_packet(p->skb, p->ct, p->ctinfo, p->protoff,
					  off, len, text, tlen, false);
}

/*
 * Apply plan to the message that starts base bytes into the payload; or,
 * when a TCP payload is being built, write the message rewritten at its
 * end (base unused). Returns false when an edit failed (the packet must
 * then be dropped).
 */
bool sipalg_nat_apply(struct sipalg_pkt *p, unsigned int base,
		      const struct sa_plan *plan)
{
	struct sipalg_tcp_out *o = p->out;
	unsigned int i;
	size_t n;

	if (o) {
		/* sipalg_nat_prepare() reserved the room, or found none */
		if (o->full)
			return true;
		n = sa_apply(o->msg, o->mlen, plan, sipalg_tcp_out_ptr(o),
			     p->skb->len - p->dataoff - o->len);
		if (!n)
			return false;
		o->len += n;
		o->applied = true;
		return true;
	}

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

/* replace len payload bytes at off by text (in place) */
bool sipalg_nat_insert(struct sipalg_pkt *p, unsigned int off,
		       unsigned int len, const void *text, unsigned int tlen)
{
	return sipalg_mangle(p, off, len, text, tlen);
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
	if (uh->check || skb->ip_summed == CHECKSUM_PARTIAL) {
		inet_proto_csum_replace2(&uh->check, skb, uh->dest, newp, false);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	}
	uh->dest = newp;
}
