// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: SIP over TCP. A segment may carry several messages, and a message
 * may be split over several segments.
 *
 * Each segment's payload is rebuilt from a copy of it: its whole messages,
 * each rewritten, one after the other (nat.c writes a rewritten message,
 * tcp_nat.h). A message whose end is not in the segment yet is held back:
 * it is left out of the segment and kept in a small per-direction buffer,
 * and the next segment in sequence gets it in front of its own bytes, so
 * the message is rewritten whole. The receiver's byte stream is the
 * sender's, edits aside.
 *
 * Sequence numbers. Rewritten streams change length, so what the receiver
 * sees is renumbered: the segment's output goes where the last one's ended,
 * and its acknowledgements and SACK blocks are mapped back into the
 * sender's numbers. The kernel's own sequence adjustment (nf_ct_seqadj)
 * keeps one correction per direction and maps anything older than the
 * last rewritten segment wrongly: a retransmission, a late ACK, a SACK
 * block above a loss. Conntrack's TCP window check uses it too, and a SACK
 * block it maps too high makes the ACK "invalid": the ACK then misses the
 * NAT, reaches the router itself, and its reply resets the connection. So
 * sipalg numbers the segments itself and keeps the kernel's correction at
 * one constant offset per direction (what the next new byte gets; the
 * kernel adds it after the helper, and sipalg writes the numbers it wants
 * minus it). Conntrack's check, and the kernel alone once the module is
 * unloaded, then see that offset, which is exact for new data and for the
 * ACK of everything sent, and never maps an ACK or SACK block too high.
 *
 * Per direction sipalg remembers positions where a message starts in the
 * sender's stream and where its output starts in the receiver's (up to
 * SIPALG_TCP_POINTS, about one per SIPALG_TCP_POINT_GAP bytes, the oldest
 * thinned out when full; the first one is the receiver's ACK). An ACK is
 * mapped to the last such position at or below it, a SACK block to the
 * positions inside it: the sender is never told that bytes arrived that
 * did not, and held bytes are not acknowledged (the sender keeps them
 * until their message has left). Retransmissions therefore start at a
 * remembered position: the stream is taken up again from there, and gives
 * the same output again (the head of the stream is remembered, for the
 * sender to go on from there). A retransmission of bytes already
 * acknowledged is forwarded empty, one byte below what the receiver has,
 * which makes it acknowledge again. Anything else out of sequence is
 * dropped (TCP_GAP), and the sender sends it again: a loss before the
 * router costs the sender a timeout, as the segments after it cannot be
 * framed. The stream's first byte is known from the SYN; on a connection
 * picked up without one, bytes from before the first segment seen pass
 * unchanged.
 *
 * One exception to "held bytes are not acknowledged": a segment all of
 * whose bytes are held (a message longer than it) leaves nothing to
 * forward, and a sender that waits for an ACK before sending more (a
 * retransmission after a timeout, a small window) would wait forever. Such
 * a segment is forwarded empty one byte below what the receiver has, the
 * receiver's ACK for it is mapped to the end of the held bytes (custody),
 * and a copy of them is kept until the receiver has their message.
 *
 * Sizes. A segment rewritten larger than the route's MTU (a full-sized
 * segment with messages that grew, or held bytes in front) is turned into
 * a GSO packet of MTU-sized segments: the stack splits it (or the NIC
 * does), where it would otherwise drop it and send "fragmentation needed"
 * with the MTU the sender already uses. A payload never grows past 64 KiB:
 * the messages that do not fit are held for the next segment.
 *
 * Bounds and failures:
 *   - at most SIPALG_TCP_HOLD bytes are held per direction. A longer
 *     incomplete message is passed unchanged and the direction loses
 *     framing for the rest of the connection (counted TCP_OVERFLOW); when
 *     it is the room left in the segment that would need more, the segment
 *     is dropped (TCP_OVERFLOW) and comes again, smaller;
 *   - holding and renumbering need the NAT's sequence adjustment extension
 *     (only NATed connections have it): without it split messages pass
 *     unchanged and nothing changes length;
 *   - the state (under 1 KiB per connection, plus the hold buffer when
 *     something is held) is allocated (GFP_ATOMIC) with the first segment
 *     and freed with the conntrack (helper destroy callback) or at module
 *     unload; a failed allocation drops the segment (NOMEM);
 *   - the kernel applies the offset after the helper has returned: a packet
 *     of the other direction handled on another CPU in between can move it
 *     (the kernel's own helpers have the same window).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "sipalg.h"
#include "tcp_nat.h"

#define SIPALG_TCP_HOLD		8192	/* most bytes held per direction */
#define SIPALG_TCP_POINTS	48	/* stream positions kept per direction */
#define SIPALG_TCP_POINT_GAP	1024	/* sender bytes between two of them */

/* a message starts at the sender's sequence number c, its output at o */
struct sipalg_tcp_pt {
	u32 c;
	u32 o;
};

/*
 * A state the stream can be taken up again from: next byte expected at
 * pt.c, next output byte at pt.o, and the len bytes before pt.c (buf)
 * held.
 */
struct sipalg_tcp_mark {
	struct sipalg_tcp_pt pt;
	u8 *buf;
	u16 len;
	bool valid;
};

struct sipalg_tcp_dir {
	bool init;
	bool acked;		/* the receiver has acknowledged pt[0] */
	u8 n;			/* positions in pt[] */
	u16 held;		/* bytes in hold[]: the last ones before next_seq */
	u32 out_next;		/* where the next output byte goes */
	s32 kx;			/* the offset the kernel has for this direction */
	u8 *hold;		/* SIPALG_TCP_HOLD bytes, allocated on first use */
	struct sipalg_tcp_mark custody;	/* held bytes reported received */
	struct sipalg_tcp_mark resume;	/* where the stream was before a retransmission */
	struct sipalg_tcp_pt pt[SIPALG_TCP_POINTS];	/* ascending, pt[0] acknowledged */
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
	t = kzalloc(sizeof(*t), GFP_ATOMIC | __GFP_NOWARN);
	if (!t)
		return NULL;
	spin_lock_bh(&sipalg_tcp_list_lock);
	list_add(&t->list, &sipalg_tcp_list);
	spin_unlock_bh(&sipalg_tcp_list_lock);
	d->tcp = t;
	return t;
}

static void sipalg_tcp_mark_clear(struct sipalg_tcp_mark *m)
{
	kfree(m->buf);
	m->buf = NULL;
	m->len = 0;
	m->valid = false;
}

static int sipalg_tcp_mark_set(struct sipalg_tcp_mark *m, u32 c, u32 o,
			       const u8 *bytes, unsigned int len)
{
	u8 *buf = NULL;

	if (len) {
		buf = kmemdup(bytes, len, GFP_ATOMIC | __GFP_NOWARN);
		if (!buf)
			return -ENOMEM;
	}
	kfree(m->buf);
	m->buf = buf;
	m->len = len;
	m->pt.c = c;
	m->pt.o = o;
	m->valid = true;
	return 0;
}

static void sipalg_tcp_release(struct sipalg_tcp *t)
{
	unsigned int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		kfree(t->d[i].hold);
		sipalg_tcp_mark_clear(&t->d[i].custody);
		sipalg_tcp_mark_clear(&t->d[i].resume);
	}
	kfree(t);
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
	sipalg_tcp_release(t);
}

/*
 * Module unload, after the helpers are unregistered: conntracks still alive
 * keep a stale pointer in their (no longer used) helper area. The kernel
 * goes on applying each direction's offset to their new data.
 */
void sipalg_tcp_free_all(void)
{
	struct sipalg_tcp *t, *n;

	spin_lock_bh(&sipalg_tcp_list_lock);
	list_for_each_entry_safe(t, n, &sipalg_tcp_list, list) {
		list_del(&t->list);
		sipalg_tcp_release(t);
	}
	spin_unlock_bh(&sipalg_tcp_list_lock);
}

/* ------------------------------------------------ positions and numbers */

/* start numbering a direction whose next byte is next */
static void sipalg_tcp_dir_init(struct nf_conn *ct, enum ip_conntrack_dir dir,
				struct sipalg_tcp_dir *td, u32 next)
{
	struct nf_conn_seqadj *sa = nfct_seqadj(ct);
	s32 base = 0;

	/* an offset someone else set before (synproxy): start from it */
	if (sa) {
		spin_lock_bh(&ct->lock);
		base = sa->seq[dir].offset_after;
		spin_unlock_bh(&ct->lock);
	}
	td->kx = base;
	td->out_next = next + base;
	td->pt[0].c = next;
	td->pt[0].o = td->out_next;
	td->n = 1;
	td->init = true;
}

/*
 * Remember that a message starts at c, its output at o. In order: a
 * retransmission handled again adds the positions inside it, which the
 * receiver's ACKs may need.
 */
static void sipalg_tcp_pt_add(struct sipalg_tcp_dir *td, u32 c, u32 o)
{
	unsigned int i, j;

	/* below what the receiver acknowledged: of no more use */
	if (!after(c, td->pt[0].c))
		return;
	for (i = td->n; i > 0 && !before(td->pt[i - 1].c, c); i--)
		if (td->pt[i - 1].c == c)
			return;
	if (td->n == SIPALG_TCP_POINTS) {
		/* keep the acknowledged one and every other one after it */
		for (j = 1; 2 * j < td->n; j++)
			td->pt[j] = td->pt[2 * j];
		td->n = j;
		for (i = td->n; i > 0 && after(td->pt[i - 1].c, c); i--)
			;
	}
	memmove(td->pt + i + 1, td->pt + i, (td->n - i) * sizeof(td->pt[0]));
	td->pt[i].c = c;
	td->pt[i].o = o;
	td->n++;
}

/*
 * The furthest the stream has been: the sender's next new byte (c) and
 * where its output goes (o). Past the current position while a
 * retransmission is being handled. *held: bytes held there.
 */
static struct sipalg_tcp_pt sipalg_tcp_head(const struct sipalg_tcp_dir *td,
					    u32 next, unsigned int *held)
{
	struct sipalg_tcp_pt h = { .c = next, .o = td->out_next };

	*held = td->held;
	if (td->resume.valid && after(td->resume.pt.c, next)) {
		h = td->resume.pt;
		*held = td->resume.len;
	}
	return h;
}

/*
 * The sender's number below which the receiver has every byte, for the
 * receiver's ACK a; next: the sender's next byte. With ack set, a is the
 * receiver's cumulative ACK: the positions below it are forgotten.
 */
static u32 sipalg_tcp_map_ack(struct sipalg_tcp_dir *td, u32 a, bool ack,
			      u32 next)
{
	unsigned int i, held;
	struct sipalg_tcp_pt h = sipalg_tcp_head(td, next, &held);
	u32 c;

	if (before(a, td->pt[0].o))
		return td->pt[0].c - (td->pt[0].o - a);
	for (i = td->n - 1; before(a, td->pt[i].o); i--)
		;
	c = td->pt[i].c;
	if (td->custody.valid && !before(a, td->custody.pt.o) &&
	    after(td->custody.pt.c, c))
		c = td->custody.pt.c;
	/* all output, and the FIN after it: exact */
	if (!held && !before(a, h.o))
		c = h.c + (a - h.o);
	if (!ack)
		return c;
	if (i) {
		memmove(td->pt, td->pt + i, (td->n - i) * sizeof(td->pt[0]));
		td->n -= i;
	}
	td->acked = true;
	/* the message the custody bytes began has arrived */
	if (td->custody.valid && after(td->pt[0].c, td->custody.pt.c))
		sipalg_tcp_mark_clear(&td->custody);
	return c;
}

/* a SACK block [*s, *e) of the receiver's; false when it maps to nothing */
static bool sipalg_tcp_map_sack(struct sipalg_tcp_dir *td, u32 *s, u32 *e,
				u32 next)
{
	unsigned int i;
	u32 cs, ce;

	for (i = 0; i < td->n && before(td->pt[i].o, *s); i++)
		;
	if (i == td->n)
		return false;
	cs = td->pt[i].c;
	ce = sipalg_tcp_map_ack(td, *e, false, next);
	if (!after(ce, cs))
		return false;
	*s = cs;
	*e = ce;
	return true;
}

static void sipalg_tcp_put32(struct sk_buff *skb, struct tcphdr *th,
			     __be32 *field, u32 val)
{
	__be32 v = htonl(val);

	if (*field == v)
		return;
	inet_proto_csum_replace4(&th->check, skb, *field, v, false);
	*field = v;
}

/*
 * Map the ACK and SACK blocks of a packet (its header writable) for td, the
 * other direction (next byte next); the kernel then subtracts x from each.
 */
static void sipalg_tcp_acks(struct sk_buff *skb, unsigned int protoff,
			    struct sipalg_tcp_dir *td, s32 x, u32 next)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + protoff);
	unsigned int optoff = protoff + sizeof(*th);
	unsigned int optend = protoff + th->doff * 4;

	if (!th->ack)
		return;
	sipalg_tcp_put32(skb, th, &th->ack_seq,
			 sipalg_tcp_map_ack(td, ntohl(th->ack_seq), true, next) +
			 x);
	while (optoff < optend) {
		u8 *op = skb->data + optoff;
		unsigned int b;

		if (op[0] == TCPOPT_EOL)
			return;
		if (op[0] == TCPOPT_NOP) {
			optoff++;
			continue;
		}
		if (optoff + 1 == optend || optoff + op[1] > optend || op[1] < 2)
			return;
		if (op[0] == TCPOPT_SACK && op[1] >= 2 + TCPOLEN_SACK_PERBLOCK &&
		    (op[1] - 2) % TCPOLEN_SACK_PERBLOCK == 0) {
			for (b = 2; b < op[1]; b += TCPOLEN_SACK_PERBLOCK) {
				struct tcp_sack_block_wire *sb = (void *)(op + b);
				u32 s = ntohl(sb->start_seq), e = ntohl(sb->end_seq);

				/* nothing to report: an empty block is ignored */
				if (!sipalg_tcp_map_sack(td, &s, &e, next))
					s = e = sipalg_tcp_map_ack(td, e, false,
								   next);
				sipalg_tcp_put32(skb, th, &sb->start_seq, s + x);
				sipalg_tcp_put32(skb, th, &sb->end_seq, e + x);
			}
		}
		optoff += op[1];
	}
}

/*
 * The kernel's offset for dir: what the next new byte gets. Conntrack maps
 * the receiver's ACKs back with it: from the head, an ACK of all output
 * maps to the last byte the sender sent, no further.
 */
static void sipalg_tcp_kernel(struct nf_conn *ct, enum ip_conntrack_dir dir,
			      struct sipalg_tcp_dir *td, u32 next)
{
	struct nf_conn_seqadj *sa = nfct_seqadj(ct);
	unsigned int held;
	struct sipalg_tcp_pt h = sipalg_tcp_head(td, next, &held);
	s32 x = (s32)(h.o - h.c);

	if (!sa || x == td->kx)
		return;
	spin_lock_bh(&ct->lock);
	sa->seq[dir].correction_pos = h.c;
	sa->seq[dir].offset_before = x;
	sa->seq[dir].offset_after = x;
	spin_unlock_bh(&ct->lock);
	set_bit(IPS_SEQ_ADJUST_BIT, &ct->status);
	td->kx = x;
}

/* ----------------------------------------------------- building payloads */

int sipalg_tcp_out_reserve(struct sipalg_tcp_out *o, unsigned int n)
{
	struct sk_buff *skb = o->p->skb;
	unsigned int have = skb->len - o->p->dataoff;
	unsigned int want = o->len + n;
	int room;

	if (want > o->limit)
		return -E2BIG;
	if (want <= have)
		return 0;
	room = skb_tailroom(skb);
	/* some more than asked: the next messages need room too */
	if (want - have > room &&
	    pskb_expand_head(skb, 0, want - have - room + 1024, GFP_ATOMIC))
		return -ENOMEM;
	__skb_put(skb, want - have);
	return 0;
}

static bool sipalg_tcp_out_copy(struct sipalg_tcp_out *o, const void *src,
				unsigned int n)
{
	if (sipalg_tcp_out_reserve(o, n))
		return false;
	memcpy(sipalg_tcp_out_ptr(o), src, n);
	o->len += n;
	return true;
}

/*
 * The payload is built, o->len bytes: cut the packet there, then set the
 * IP length and the TCP checksum; a packet larger than its route's MTU
 * becomes a GSO packet.
 */
static int sipalg_tcp_out_done(struct sipalg_tcp_out *o)
{
	struct sipalg_pkt *p = o->p;
	struct sk_buff *skb = p->skb;
	struct skb_shared_info *si = skb_shinfo(skb);
	bool v4 = nf_ct_l3num(p->ct) == NFPROTO_IPV4;
	unsigned int l4len, mtu;
	struct tcphdr *th;
	__wsum csum;

	if (pskb_trim(skb, p->dataoff + o->len))
		return -ENOMEM;
	l4len = skb->len - p->protoff;
	th = (struct tcphdr *)(skb->data + p->protoff);
	if (v4) {
		ip_hdr(skb)->tot_len = htons(skb->len);
		ip_send_check(ip_hdr(skb));
	} else {
		ipv6_hdr(skb)->payload_len =
			htons(skb->len - sizeof(struct ipv6hdr));
	}

	if (skb_is_gso(skb)) {
		if (o->len <= si->gso_size)
			skb_gso_reset(skb);
		else
			si->gso_segs = DIV_ROUND_UP(o->len, si->gso_size);
	} else if (skb_dst(skb)) {
		mtu = dst_mtu(skb_dst(skb));
		if (skb->len > mtu && mtu > p->dataoff) {
			si->gso_size = mtu - p->dataoff;
			si->gso_type = v4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6;
			si->gso_segs = DIV_ROUND_UP(o->len, si->gso_size);
			/* segmentation needs the checksum left to it */
			if (skb->ip_summed != CHECKSUM_PARTIAL) {
				skb->ip_summed = CHECKSUM_PARTIAL;
				skb->csum_start = skb_headroom(skb) + p->protoff;
				skb->csum_offset = offsetof(struct tcphdr, check);
			}
		}
	}

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		/* the pseudo-header only: the rest is left to the NIC/stack */
		if (v4)
			th->check = ~tcp_v4_check(l4len, ip_hdr(skb)->saddr,
						  ip_hdr(skb)->daddr, 0);
		else
			th->check = ~tcp_v6_check(l4len, &ipv6_hdr(skb)->saddr,
						  &ipv6_hdr(skb)->daddr, 0);
		return 0;
	}
	th->check = 0;
	csum = skb_checksum(skb, p->protoff, l4len, 0);
	if (v4)
		th->check = tcp_v4_check(l4len, ip_hdr(skb)->saddr,
					 ip_hdr(skb)->daddr, csum);
	else
		th->check = tcp_v6_check(l4len, &ipv6_hdr(skb)->saddr,
					 &ipv6_hdr(skb)->daddr, csum);
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/* forward the packet without payload */
static int sipalg_tcp_empty(struct sipalg_pkt *p)
{
	struct sipalg_tcp_out o = { .p = p };

	if (skb_ensure_writable(p->skb, p->dataoff))
		return -ENOMEM;
	return sipalg_tcp_out_done(&o);
}

static int sipalg_tcp_hold_buf(struct sipalg_tcp_dir *td)
{
	if (!td->hold)
		td->hold = kmalloc(SIPALG_TCP_HOLD, GFP_ATOMIC | __GFP_NOWARN);
	return td->hold ? 0 : -ENOMEM;
}

/* -------------------------------------------------------------- segments */

enum sipalg_tcp_resync {
	SIPALG_TCP_GO,		/* handle the segment in sequence */
	SIPALG_TCP_OLD,		/* from before the first segment seen: as it is */
	SIPALG_TCP_PROBE,	/* the receiver has it all: forward it empty */
	SIPALG_TCP_GAP,		/* nothing to take the stream up from: drop */
	SIPALG_TCP_NOMEM,
};

/*
 * A segment of dir that does not continue the stream (seq is not next):
 * take the stream up again where the segment starts, if that is a known
 * position. *skip: bytes at its start the receiver has acknowledged.
 */
static enum sipalg_tcp_resync
sipalg_tcp_resync(struct sipalg_ct *d, enum ip_conntrack_dir dir,
		  struct sipalg_tcp_dir *td, u32 seq, unsigned int len,
		  unsigned int *skip, u32 *probe)
{
	const struct sipalg_tcp_mark *m = NULL;
	const struct sipalg_tcp_pt *to = NULL;
	u32 next = d->next_seq[dir];
	unsigned int i;

	*skip = 0;
	if (before(seq, td->pt[0].c)) {
		/* numbering began after it (no SYN seen): it was not framed */
		if (!td->acked) {
			*probe = td->pt[0].o - (td->pt[0].c - seq);
			return SIPALG_TCP_OLD;
		}
		if (!after(seq + len, td->pt[0].c)) {
			*probe = td->pt[0].o - 1;
			return SIPALG_TCP_PROBE;
		}
		*skip = td->pt[0].c - seq;
		seq = td->pt[0].c;
	}
	if (seq == next)
		return SIPALG_TCP_GO;
	for (i = 0; i < td->n && !to; i++)
		if (td->pt[i].c == seq)
			to = &td->pt[i];
	if (!to && td->custody.valid && td->custody.pt.c == seq)
		m = &td->custody;
	if (!to && !m && td->resume.valid && td->resume.pt.c == seq)
		m = &td->resume;
	if (!to && !m)
		return SIPALG_TCP_GAP;
	if (m && m->len && sipalg_tcp_hold_buf(td))
		return SIPALG_TCP_NOMEM;
	/* going back: remember where the stream was, to come back to it */
	if (before(seq, next) &&
	    (!td->resume.valid || after(next, td->resume.pt.c)) &&
	    sipalg_tcp_mark_set(&td->resume, next, td->out_next, td->hold,
				td->held))
		return SIPALG_TCP_NOMEM;
	if (m) {
		to = &m->pt;
		if (m->len)
			memcpy(td->hold, m->buf, m->len);
		td->held = m->len;
	} else {
		td->held = 0;
	}
	d->next_seq[dir] = to->c;
	td->out_next = to->o;
	if (m == &td->resume)
		sipalg_tcp_mark_clear(&td->resume);
	return SIPALG_TCP_GO;
}

/*
 * One segment of p->dir with payload, seq..seq+len (and FIN when fin);
 * td is the direction's numbering (NULL: the connection has no NAT
 * sequence adjustment, nothing may change length). pass: the port's policy
 * is "disable", messages are framed and passed unchanged. On NF_ACCEPT,
 * *out is where the segment's output starts.
 */
static int sipalg_tcp_segment(struct sipalg_pkt *p, struct sipalg_tcp_dir *td,
			      u32 seq, unsigned int len, bool fin, bool pass,
			      u32 *out)
{
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	struct sipalg_scratch *s = sipalg_scratch_get();
	u8 lost = SIPALG_TCP_LOST(p->dir), synced = SIPALG_TCP_SYNCED(p->dir);
	unsigned int held = 0, total, avail, over = 0, pos = 0, skip = 0;
	unsigned int keep, last_pt = 0;
	struct sipalg_tcp_out o = { .p = p };
	bool commit = true, hold = false, unchanged = false;
	u32 next, base, probe;
	int acc = 0;

	if (!(d->tcp_flags & synced)) {
		d->next_seq[p->dir] = seq;
		d->tcp_flags |= synced;
	}
	next = d->next_seq[p->dir];
	if (d->tcp_flags & lost) {
		/* nothing is framed (nor held) any more: same bytes out */
		if (td)
			*out = td->out_next + (seq - next);
		if (after(seq + len, next)) {
			if (td) {
				td->out_next += seq + len - next;
				sipalg_tcp_pt_add(td, seq + len, td->out_next);
			}
			d->next_seq[p->dir] = seq + len;
		}
		return NF_ACCEPT;
	}

	if (seq != next && td) {
		switch (sipalg_tcp_resync(d, p->dir, td, seq, len, &skip,
					  &probe)) {
		case SIPALG_TCP_GO:
			break;
		case SIPALG_TCP_OLD:
			*out = probe;
			return NF_ACCEPT;
		case SIPALG_TCP_PROBE:
			if (sipalg_tcp_empty(p))
				goto nomem;
			*out = probe;
			return NF_ACCEPT;
		case SIPALG_TCP_GAP:
			sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_TCP_GAP);
			return NF_DROP;
		case SIPALG_TCP_NOMEM:
			goto nomem;
		}
		seq += skip;
		len -= skip;
		next = d->next_seq[p->dir];
	} else if (seq != next) {
		/*
		 * no numbering: a segment after a gap cannot be framed; one
		 * before is a retransmission, handled as the first time if it
		 * starts where a message did, else passed as it is
		 */
		if (after(seq, next)) {
			sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_TCP_GAP);
			return NF_DROP;
		}
		commit = false;
	}

	if (td)
		held = td->held;
	/* the copy: held bytes, then as much of the segment as fits */
	avail = min_t(unsigned int, len, SA_MAX_MSG - held);
	over = len - avail;
	total = held + avail;
	base = next - held;
	if (held)
		memcpy(s->buf, td->hold, held);
	if (skb_copy_bits(p->skb, p->dataoff + skip, s->buf + held, avail) ||
	    skb_ensure_writable(p->skb, p->skb->len))
		goto nomem;
	if (over) {
		/* what did not fit waits in the hold buffer (its bytes are
		 * in the copy now); it needs holding in any case
		 */
		if (over > SIPALG_TCP_HOLD)
			goto overflow;
		if (skb_copy_bits(p->skb, p->dataoff + skip + avail, td->hold,
				  over))
			goto nomem;
	}

	/* the payload is rebuilt from the copy, from its start */
	o.limit = 65535 - p->dataoff;
	p->out = &o;
	while (pos < total) {
		enum sa_reason why = SA_R_OK;
		enum sa_frame_result fr;
		size_t mlen = 0;

		fr = sa_frame(s->buf + pos, total - pos, SA_T_TCP, &mlen, &why);
		if (fr == SA_FRAME_MSG && mlen > 0 && mlen <= total - pos) {
			if (o.len + mlen > o.limit)
				break;		/* held for the next segment */
			if (pass) {
				if (!sipalg_tcp_out_copy(&o, s->buf + pos, mlen))
					goto nomem_out;
			} else {
				o.msg = s->buf + pos;
				o.mlen = mlen;
				o.applied = false;
				o.full = false;
				if (pos < held)
					sipalg_count_p(p, SIPALG_CTR_TCP_REASM, 0);
				if (sipalg_do_msg(p, s, pos, mlen, &acc) ==
				    SIPALG_DROP) {
					/* nothing committed: retried */
					p->out = NULL;
					goto drop;
				}
				if (o.nomem)
					goto nomem_out;
				if (o.full && o.len)
					break;	/* held for the next segment */
				if (o.full)	/* fits in no segment */
					sipalg_count_p(p, SIPALG_CTR_UNCHANGED,
						       SA_R_TOO_BIG);
				if (!o.applied &&
				    !sipalg_tcp_out_copy(&o, s->buf + pos, mlen))
					goto nomem_out;
			}
			pos += mlen;
			if (td && commit && pos - last_pt >= SIPALG_TCP_POINT_GAP &&
			    pos < total) {
				sipalg_tcp_pt_add(td, base + pos,
						  td->out_next + o.len);
				last_pt = pos;
			}
			continue;
		}
		if (fr == SA_FRAME_KEEPALIVE && mlen > 0 && mlen <= total - pos) {
			if (o.len + mlen > o.limit)
				break;
			if (!sipalg_tcp_out_copy(&o, s->buf + pos, mlen))
				goto nomem_out;
			pos += mlen;
			continue;
		}
		if (fr == SA_FRAME_NEED_MORE)
			break;
		/* not SIP: the stream cannot be framed from here on */
		sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
		sipalg_count_p(p, SIPALG_CTR_UNCHANGED, why);
		if (!commit)
			sipalg_count_p(p, SIPALG_CTR_UNCHANGED, SIPALG_R_TCP_GAP);
		unchanged = true;
		break;
	}
	p->out = NULL;

	/* the rest, copy[pos..total) and the over bytes: held, or passed */
	keep = total - pos + over;
	if (keep && !unchanged) {
		if (td && commit && !fin && keep <= SIPALG_TCP_HOLD) {
			hold = true;
		} else if (commit) {
			/* too long to hold, the stream ends, or nothing to
			 * hold with (no NAT sequence adjustment)
			 */
			sipalg_count_p(p, SIPALG_CTR_UNCHANGED,
				       keep > SIPALG_TCP_HOLD ?
				       SIPALG_R_TCP_OVERFLOW : SA_R_TRUNCATED);
			net_info_ratelimited("split TCP message of %u+ bytes passed unchanged\n",
					     keep);
			unchanged = true;
		}
		/* else a retransmission is cut as the first time: what it
		 * cuts was held then and is not held again
		 */
	}
	if (keep && unchanged) {
		/* the rest as it came (the over bytes wait in hold[]) */
		if (o.len + keep > o.limit)
			goto overflow;
		if (!sipalg_tcp_out_copy(&o, s->buf + pos, total - pos) ||
		    (over && !sipalg_tcp_out_copy(&o, td->hold, over)))
			goto nomem;
	}
	if ((hold && sipalg_tcp_hold_buf(td)) || sipalg_tcp_out_done(&o))
		goto nomem;

	/* commit */
	if (!commit) {
		*out = seq;
		return NF_ACCEPT;
	}
	d->next_seq[p->dir] = seq + len;
	if (unchanged)
		d->tcp_flags |= lost;
	if (!td)
		return NF_ACCEPT;
	*out = td->out_next;
	td->out_next += o.len;
	td->held = hold ? keep : 0;
	if (hold) {
		if (over)
			memmove(td->hold + total - pos, td->hold, over);
		memcpy(td->hold, s->buf + pos, total - pos);
		/* a message starts where the held bytes do */
		sipalg_tcp_pt_add(td, base + pos, td->out_next);
	} else {
		sipalg_tcp_pt_add(td, seq + len, td->out_next);
	}
	if (td->resume.valid && !before(seq + len, td->resume.pt.c))
		sipalg_tcp_mark_clear(&td->resume);
	if (!o.len && hold) {
		/* nothing to forward: see "custody" above */
		if (sipalg_tcp_mark_set(&td->custody, seq + len, td->out_next,
					td->hold, td->held))
			net_info_ratelimited("no memory to keep held bytes\n");
		*out = td->out_next - 1;
	}
	return NF_ACCEPT;

overflow:
	if (held && over)
		memcpy(td->hold, s->buf, held);
	sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_TCP_OVERFLOW);
	return NF_DROP;
nomem_out:
	p->out = NULL;
nomem:
	sipalg_count_p(p, SIPALG_CTR_DROPPED, SIPALG_R_NOMEM);
drop:
	/* the hold buffer may have the over bytes: it gets the held back */
	if (held && over)
		memcpy(td->hold, s->buf, held);
	return NF_DROP;
}

int sipalg_help_tcp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	/* whether the kernel adjusts this packet: it looked before the helper */
	bool adj = test_bit(IPS_SEQ_ADJUST_BIT, &ct->status);
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	struct sipalg_ct *d = sipalg_ct_data(ct);
	u8 synced = SIPALG_TCP_SYNCED(dir);
	struct sipalg_tcp_dir *td = NULL;
	struct sipalg_pkt p = {};
	struct tcphdr _th, *th;
	struct sipalg_tcp *t;
	bool rewrite, fin;
	unsigned int len;
	spinlock_t *lock;
	u32 seq, out;
	int ret = NF_ACCEPT;

	/*
	 * From the first packet on, have the kernel adjust every packet (by
	 * 0 until something changes length): whether it adjusts one is
	 * decided before the helper runs, so the first packet to change a
	 * length is too late to ask.
	 */
	if (!adj && nfct_seqadj(ct))
		set_bit(IPS_SEQ_ADJUST_BIT, &ct->status);
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	lock = sipalg_ct_lock(ct);
	if (th->syn) {
		/* the stream starts after it (whatever arrives first) */
		spin_lock_bh(lock);
		if (!d->tcp || !d->tcp->d[dir].init) {
			d->next_seq[dir] = ntohl(th->seq) + 1;
			d->tcp_flags |= synced;
		}
		spin_unlock_bh(lock);
		return NF_ACCEPT;
	}
	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY)
		return NF_ACCEPT;
	p.dataoff = protoff + th->doff * 4;
	if (skb->len < p.dataoff)
		return NF_ACCEPT;
	len = skb->len - p.dataoff;
	seq = ntohl(th->seq);
	fin = th->fin;
	rewrite = len && sipalg_pkt_init(&p, skb, protoff, ct, ctinfo);

	spin_lock_bh(lock);
	t = d->tcp;
	if (!t && rewrite && nfct_seqadj(ct)) {
		t = sipalg_tcp_get(ct, d);
		if (!t) {
			sipalg_count_p(&p, SIPALG_CTR_DROPPED, SIPALG_R_NOMEM);
			ret = NF_DROP;
			goto out;
		}
	}
	if (t) {
		td = &t->d[dir];
		if (!(d->tcp_flags & synced)) {
			d->next_seq[dir] = seq;
			d->tcp_flags |= synced;
		}
		if (!td->init)
			sipalg_tcp_dir_init(ct, dir, td, d->next_seq[dir]);
	}
	out = seq;
	if (len || (fin && td && td->held)) {
		if (!rewrite && !td)
			goto out;
		if (!rewrite) {
			/* policy "disable": framed, passed unchanged */
			p.skb = skb;
			p.ct = ct;
			p.ctinfo = ctinfo;
			p.dir = dir;
			p.protoff = protoff;
			p.net = nf_ct_net(ct);
			p.l4proto = IPPROTO_TCP;
			p.port = sipalg_ct_port(ct);
		}
		ret = sipalg_tcp_segment(&p, td, seq, len, fin, !rewrite, &out);
		if (ret != NF_ACCEPT || !td)
			goto out;
	} else if (td) {
		/* no payload: numbered from the head, as the sender is */
		unsigned int held;
		struct sipalg_tcp_pt h = sipalg_tcp_head(td, d->next_seq[dir],
							 &held);

		out = h.o + (seq - h.c);
	} else {
		goto out;
	}

	if (skb_ensure_writable(skb, protoff + sizeof(*th)) ||
	    skb_ensure_writable(skb, protoff +
				((struct tcphdr *)(skb->data + protoff))->doff * 4)) {
		ret = NF_DROP;
		goto out;
	}
	th = (struct tcphdr *)(skb->data + protoff);
	if (t->d[!dir].init)
		sipalg_tcp_acks(skb, protoff, &t->d[!dir],
				adj ? t->d[!dir].kx : 0, d->next_seq[!dir]);
	sipalg_tcp_kernel(ct, dir, td, d->next_seq[dir]);
	sipalg_tcp_put32(skb, th, &th->seq, out - (adj ? td->kx : 0));
out:
	spin_unlock_bh(lock);
	return ret;
}
