// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: SIP over TCP. A segment may carry several messages, and a message
 * may be split over several segments.
 *
 * Whole messages in a segment are rewritten in place, one after the other.
 * A message whose end is not in the segment yet is held back: its bytes are
 * cut from the segment (the NAT's sequence adjustment makes the sender see
 * them acknowledged, the receiver never sees them) and kept in a small
 * per-connection buffer. The next segment in sequence gets them put back in
 * front of its own bytes, so that the message is whole inside that segment
 * and is rewritten like any other. A message is therefore always rewritten
 * completely, and the receiver's byte stream is always the sender's, edits
 * aside.
 *
 * Bounds and failures:
 *   - at most SIPALG_TCP_HOLD bytes are held per direction. A longer
 *     incomplete message is passed unchanged and the direction loses
 *     framing for the rest of the connection (counted TCP_OVERFLOW);
 *   - holding needs the NAT's sequence adjustment (only NATed connections
 *     have it): without it split messages pass unchanged;
 *   - while bytes are held, a segment that does not continue the stream
 *     exactly is dropped (counted TCP_GAP) and the sender retransmits; a
 *     retransmission of the segment the held bytes came from is handled
 *     again from scratch, which gives the same result;
 *   - a retransmission of bytes already passed is rewritten and cut exactly
 *     as the first time (the receiver's copy and the sequence adjustment
 *     stay right) but changes no state; one that does not start where a
 *     message did is passed unchanged (counted TCP_GAP);
 *   - the buffer is allocated (GFP_ATOMIC) the first time something is held
 *     and freed with the conntrack (helper destroy callback) or at module
 *     unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "sipalg.h"

#define SIPALG_TCP_HOLD		8192

struct sipalg_tcp_dir {
	u32 held_seq;		/* seq of the segment the held message began in */
	u16 held;		/* bytes held */
	u8 held_fresh;		/* that segment began with nothing held */
	u8 buf[SIPALG_TCP_HOLD];
};

struct sipalg_tcp {
	struct list_head list;
	struct sipalg_tcp_dir d[IP_CT_DIR_MAX];
};

static LIST_HEAD(sipalg_tcp_list);
static DEFINE_SPINLOCK(sipalg_tcp_list_lock);

static struct sipalg_tcp *sipalg_tcp_get(struct nf_conn *ct,
					 struct sipalg_ct *d)
{
	struct sipalg_tcp *t = d->tcp;

	if (t)
		return t;
	/* its destroy callback may have run already: nothing would free it */
	if (nf_ct_is_dying(ct))
		return NULL;
	t = kmalloc(sizeof(*t), GFP_ATOMIC | __GFP_NOWARN);
	if (!t)
		return NULL;
	t->d[0].held = 0;
	t->d[1].held = 0;
	spin_lock_bh(&sipalg_tcp_list_lock);
	list_add(&t->list, &sipalg_tcp_list);
	spin_unlock_bh(&sipalg_tcp_list_lock);
	d->tcp = t;
	return t;
}

/* the conntrack dies (helper destroy callback) */
void sipalg_tcp_free(struct nf_conn *ct)
{
	spinlock_t *lock = sipalg_ct_lock(ct);
	struct sipalg_tcp *t;
	struct sipalg_ct *d;

	if (nf_ct_protonum(ct) != IPPROTO_TCP || !nfct_help(ct))
		return;
	d = sipalg_ct_data(ct);
	spin_lock_bh(lock);
	t = d->tcp;
	d->tcp = NULL;
	spin_unlock_bh(lock);
	if (!t)
		return;
	spin_lock_bh(&sipalg_tcp_list_lock);
	list_del(&t->list);
	spin_unlock_bh(&sipalg_tcp_list_lock);
	kfree(t);
}

/*
 * Module unload, after the helpers are unregistered: conntracks still alive
 * keep a stale pointer in their (no longer used) helper area.
 */
void sipalg_tcp_free_all(void)
{
	struct sipalg_tcp *t, *n;

	spin_lock_bh(&sipalg_tcp_list_lock);
	list_for_each_entry_safe(t, n, &sipalg_tcp_list, list) {
		list_del(&t->list);
		kfree(t);
	}
	spin_unlock_bh(&sipalg_tcp_list_lock);
}

/* the segment's sequence number as it leaves (the skb may have moved) */
static __be32 sipalg_tcp_seq(const struct sipalg_pkt *p)
{
	return ((struct tcphdr *)(p->skb->data + p->protoff))->seq;
}

static int sipalg_tcp_segment(struct sipalg_pkt *p, u32 seq, unsigned int len)
{
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	struct sipalg_scratch *s = sipalg_scratch_get();
	u8 lost = SIPALG_TCP_LOST(p->dir), synced = SIPALG_TCP_SYNCED(p->dir);
	struct sipalg_tcp *t = d->tcp;
	struct sipalg_tcp_dir *td = t ? &t->d[p->dir] : NULL;
	unsigned int held = td ? td->held : 0, total, pos = 0, tail = 0;
	bool can_hold = nfct_seqadj(p->ct), fresh, again = false;
	int acc = 0;

	if (d->tcp_flags & lost)
		return NF_ACCEPT;
	if ((d->tcp_flags & synced) && seq != d->next_seq[p->dir]) {
		if (held && td->held_fresh && seq == td->held_seq) {
			/* the segment the held bytes came from, again */
			held = 0;
		} else if (held || after(seq, d->next_seq[p->dir])) {
			sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_TCP_GAP);
			return NF_DROP;
		}
		/* a retransmission: handled like the first time if it
		 * starts where a message did, else passed as it is
		 */
		again = true;
	}
	fresh = held == 0;

	total = held + len;
	if (total > SA_MAX_MSG) {
		/* cannot even look at it: give back what is held, pass all */
		if (held && (sipalg_nat_prepare(p, held) ||
			     !sipalg_nat_insert(p, 0, 0, td->buf, held))) {
			sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_NOMEM);
			return NF_DROP;
		}
		if (held)
			nf_ct_seqadj_set(p->ct, p->ctinfo,
					 sipalg_tcp_seq(p), held);
		sipalg_count_p(p, SIPALG_CTR_UNCHANGED, SIPALG_R_TCP_OVERFLOW);
		d->tcp_flags |= lost;
		if (td)
			td->held = 0;
		return NF_ACCEPT;
	}
	if (held)
		memcpy(s->buf, td->buf, held);
	if (skb_copy_bits(p->skb, p->dataoff, s->buf + held, len))
		return NF_ACCEPT;

	/* put the held bytes back in front: the payload now reads as s->buf */
	if (held) {
		if (sipalg_nat_prepare(p, held) ||
		    !sipalg_nat_insert(p, 0, 0, td->buf, held)) {
			sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_NOMEM);
			return NF_DROP;
		}
	}

	while (pos < total) {
		enum sa_reason why = SA_R_OK;
		enum sa_frame_result fr;
		size_t mlen = 0;

		fr = sa_frame(s->buf + pos, total - pos, SA_T_TCP, &mlen, &why);
		if (fr == SA_FRAME_MSG && mlen > 0 && mlen <= total - pos) {
			if (pos < held)
				sipalg_count_p(p, SIPALG_CTR_TCP_REASM, 0);
			if (sipalg_do_msg(p, s, pos, mlen, &acc) == SIPALG_DROP)
				return NF_DROP;	/* nothing committed: retried */
			pos += mlen;
			continue;
		}
		if (fr == SA_FRAME_KEEPALIVE && mlen > 0 && mlen <= total - pos) {
			pos += mlen;
			continue;
		}
		if (fr == SA_FRAME_NEED_MORE) {
			tail = total - pos;
			/* a retransmission is cut as the first time, but
			 * what it cuts was held then and is not held again
			 */
			if (tail <= SIPALG_TCP_HOLD && can_hold && !t && !again)
				t = sipalg_tcp_get(p->ct, d);
			if (tail <= SIPALG_TCP_HOLD && can_hold && (t || again)) {
				td = t ? &t->d[p->dir] : NULL;
				break;
			}
			/* too long to hold, no memory, or no NAT sequence
			 * adjustment to hold with
			 */
			sipalg_count_p(p, SIPALG_CTR_UNCHANGED,
				       tail > SIPALG_TCP_HOLD ? SIPALG_R_TCP_OVERFLOW :
				       can_hold ? SIPALG_R_NOMEM : SA_R_TRUNCATED);
			net_info_ratelimited("split TCP message of %u+ bytes passed unchanged\n",
					     tail);
			tail = 0;
		} else {
			sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
			sipalg_count_p(p, SIPALG_CTR_UNCHANGED, why);
		}
		/* the stream cannot be framed from here on */
		if (again)
			sipalg_count_p(p, SIPALG_CTR_UNCHANGED, SIPALG_R_TCP_GAP);
		else
			d->tcp_flags |= lost;
		tail = 0;
		break;
	}

	if (tail) {
		/* hold the incomplete message: cut it from the segment */
		if (!sipalg_nat_insert(p, pos + acc, tail, NULL, 0)) {
			sipalg_count_p(p, SIPALG_CTR_DROPPED,
				       SIPALG_R_MANGLE_FAILED);
			return NF_DROP;
		}
		acc -= tail;
	}
	if ((int)held + acc)
		nf_ct_seqadj_set(p->ct, p->ctinfo, sipalg_tcp_seq(p),
				 (int)held + acc);

	/* commit */
	if (!(d->tcp_flags & synced) || after(seq + len, d->next_seq[p->dir]))
		d->next_seq[p->dir] = seq + len;
	d->tcp_flags |= synced;
	if (td && !again) {
		if (tail) {
			memmove(td->buf, s->buf + pos, tail);
			if (pos >= held) {
				/* the held message began in this segment */
				td->held_seq = seq;
				td->held_fresh = fresh;
			}
		}
		td->held = tail;
	}
	return NF_ACCEPT;
}

int sipalg_help_tcp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct tcphdr _th;
	const struct tcphdr *th;
	struct sipalg_pkt p;
	spinlock_t *lock;
	unsigned int len;
	int ret;

	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY)
		return NF_ACCEPT;
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	p.dataoff = protoff + th->doff * 4;
	if (skb->len <= p.dataoff)
		return NF_ACCEPT;
	len = skb->len - p.dataoff;
	if (!sipalg_pkt_init(&p, skb, protoff, ct, ctinfo))
		return NF_ACCEPT;

	lock = sipalg_ct_lock(ct);
	spin_lock_bh(lock);
	ret = sipalg_tcp_segment(&p, ntohl(th->seq), len);
	spin_unlock_bh(lock);
	return ret;
}
