// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: SIP over TCP, the transport. A segment may carry several
 * messages, and a message may be split over several segments.
 *
 * What to do with each segment, where its bytes go in the receiver's
 * stream, and how the receiver's ACK and SACK blocks map back are decided
 * by the core's sa_tcp (kmod/core/sa_tcp.h: its invariants, transparency,
 * least custody, bounds and exactly-once effects, are stated and enforced
 * there and tested in userspace against a model sender and receiver).
 * This file does what needs the kernel: it copies the held bytes and the
 * segment into the scratch buffer, rebuilds the segment's payload in the
 * packet (each message decided, written rewritten or not, then committed:
 * helper.c), keeps the held bytes within their bounds, writes the sequence
 * and acknowledgment numbers, and keeps the kernel's own sequence
 * adjustment at the offset new bytes get.
 *
 * What the router holds, for how long, what it acknowledges:
 *   - the bytes of one incomplete message per direction, at most
 *     tcp_hold_max bytes (per direction) and tcp_hold_ms milliseconds,
 *     within tcp_hold_budget bytes for the whole module. Past any of them
 *     the direction's bytes pass unchanged from there on (counted
 *     tcp-overflow, tcp-budget, tcp-hold-expired), nothing is dropped;
 *   - held bytes are not acknowledged to the sender, except in custody:
 *     when the sender sends them again (a timeout or a tail loss probe:
 *     it waits for them, as a Nagle sender does for its next small write)
 *     while the receiver has all output. A 1-byte duplicate of what the
 *     receiver has then makes it acknowledge at once (Linux answers an
 *     out-of-window segment at most twice a second, a duplicate at once),
 *     and that ACK is mapped to cover the held bytes. A copy of them stays
 *     until the receiver has their message, to produce it again should
 *     that output be lost after the router.
 *
 * When the router loses this state (rmmod, conntrack -F, a failover):
 * the kernel's sequence adjustment keeps the offset of the head (where
 * the held message starts), so a message held without custody is sent
 * again by the sender and reaches the receiver unchanged, in its place.
 * What remains lost is the custody bytes of at most one message per
 * direction, between their custody ACK and the receiver's ACK of their
 * message: the sender believes them delivered and will not send them
 * again, so the connection stalls there. A new conntrack (conntrack -F)
 * starts without the old offset: a connection whose messages changed
 * size cannot survive that, with this ALG or any other that rewrites TCP.
 *
 * Sizes. A segment rewritten larger than the route's MTU (a full-sized
 * segment with messages that grew, or held bytes in front) is turned into
 * a GSO packet of MTU-sized segments: the stack splits it (or the NIC
 * does), where it would otherwise drop it and send "fragmentation needed"
 * with the MTU the sender already uses. A payload never grows past 64 KiB:
 * what does not fit waits, held, for the next segment, or (a segment
 * larger than that: BIG TCP) is cut and sent again by the sender.
 *
 * Why not nf_ct_seqadj alone, and __nf_nat_mangle_tcp_packet: seqadj keeps
 * one correction per direction, so it maps anything older than the last
 * rewritten segment wrongly (a retransmission, a late ACK, a SACK block
 * above a loss), and a SACK block mapped too high makes conntrack call the
 * ACK invalid and the router then resets the connection. So sa_tcp
 * numbers the stream, and the kernel's adjustment is kept at one constant
 * offset per direction (nf_ct_seqadj_init()): exact for new data and for
 * the ACK of all output, never too high for an ACK. Each payload is built
 * anew rather than edited in place, since held bytes go in front of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
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
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "sipalg.h"
#include "sa_tcp.h"

/* the most a payload may hold: an IP packet's 64 KiB, less the headers */
#define SIPALG_TCP_PAYLOAD_MAX(dataoff)	(IP_MAX_MTU - (dataoff))

static unsigned int sipalg_tcp_hold_max __read_mostly = SA_TCP_HOLD_DEFAULT;
module_param_named(tcp_hold_max, sipalg_tcp_hold_max, uint, 0644);
MODULE_PARM_DESC(tcp_hold_max, "most bytes of a split TCP message held per direction (default 8192)");

static unsigned int sipalg_tcp_hold_ms __read_mostly = 2000;
module_param_named(tcp_hold_ms, sipalg_tcp_hold_ms, uint, 0644);
MODULE_PARM_DESC(tcp_hold_ms, "most milliseconds a split TCP message is held (default 2000)");

/* a home or small office router: a few hundred split messages at once */
static unsigned long sipalg_tcp_budget __read_mostly = 4UL << 20;
module_param_named(tcp_hold_budget, sipalg_tcp_budget, ulong, 0444);
MODULE_PARM_DESC(tcp_hold_budget, "most bytes held for split TCP messages, all connections (default 4 MiB)");

/* bytes held now (hold buffers and custody copies) */
static atomic_long_t sipalg_tcp_held = ATOMIC_LONG_INIT(0);

module_param_cb(tcp_held, &sipalg_param_counter_ops, &sipalg_tcp_held, 0444);
MODULE_PARM_DESC(tcp_held, "bytes held now for split TCP messages (read only)");

long sipalg_tcp_held_bytes(void)
{
	return atomic_long_read(&sipalg_tcp_held);
}

unsigned long sipalg_tcp_hold_budget(void)
{
	return sipalg_tcp_budget;
}

/* one direction: sa_tcp's numbers, the bytes it holds, the kernel's offset */
struct sipalg_tcp_half {
	struct sa_tcp_dir st;
	u8 *hold;
	u8 *cust;
	u32 hold_size;
	u32 cust_size;
	s32 kx;			/* the offset the kernel has */
	bool init;
};

struct sipalg_tcp {
	struct sipalg_tcp_half h[IP_CT_DIR_MAX];
};

/* ------------------------------------------------------- held bytes */

/*
 * Set *buf to b[0..len) (b is never inside *buf); len 0 frees it. Growth
 * counts against the budget unless must (bytes already accounted for).
 */
static bool sipalg_tcp_buf_set(u8 **buf, u32 *size, const u8 *b, size_t len,
			       bool must)
{
	long grow;
	u8 *nb;

	if (!len) {
		if (*buf)
			atomic_long_sub(*size, &sipalg_tcp_held);
		kfree(*buf);
		*buf = NULL;
		*size = 0;
		return true;
	}
	if (len <= *size) {
		memcpy(*buf, b, len);
		return true;
	}
	grow = len - *size;
	if (atomic_long_add_return(grow, &sipalg_tcp_held) >
	    (long)READ_ONCE(sipalg_tcp_budget) && !must) {
		atomic_long_sub(grow, &sipalg_tcp_held);
		return false;
	}
	nb = kmalloc(len, GFP_ATOMIC | __GFP_NOWARN);
	if (!nb) {
		atomic_long_sub(grow, &sipalg_tcp_held);
		return false;
	}
	memcpy(nb, b, len);
	kfree(*buf);
	*buf = nb;
	*size = len;
	return true;
}

/* free the buffers sa_tcp no longer needs: nothing held, no custody copy */
static void sipalg_tcp_half_trim(struct sipalg_tcp_half *h)
{
	if (!h->st.held && h->hold)
		sipalg_tcp_buf_set(&h->hold, &h->hold_size, NULL, 0, true);
	if (!h->st.cust_len && h->cust)
		sipalg_tcp_buf_set(&h->cust, &h->cust_size, NULL, 0, true);
}

/* the connection's object goes (conn.c) */
void sipalg_tcp_release(struct sipalg_tcp *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		sipalg_tcp_buf_set(&t->h[i].hold, &t->h[i].hold_size, NULL, 0,
				   true);
		sipalg_tcp_buf_set(&t->h[i].cust, &t->h[i].cust_size, NULL, 0,
				   true);
	}
	kfree(t);
}

static struct sipalg_tcp *sipalg_tcp_get(struct nf_conn *ct)
{
	struct sipalg_conn *c = sipalg_conn_get(ct);

	if (!c)
		return NULL;
	if (!c->tcp)
		c->tcp = kzalloc(sizeof(*c->tcp), GFP_ATOMIC | __GFP_NOWARN);
	return c->tcp;
}

/* ------------------------------------------------ the kernel's offset */

/*
 * Have the kernel add x to the sequence numbers of dir's packets from now
 * on, and map the other side's ACKs back by it: one constant offset. A
 * constant other than 0 is what nf_ct_seqadj_init() sets. 0 again, once
 * another was set, no call of the kernel's sets (nf_ct_seqadj_set() only
 * adds a correction at a position), so that one case writes the two
 * fields itself, under the lock the kernel reads them with.
 *
 * Neither way tells the conntrack's event listeners (only
 * nf_ct_seqadj_set()'s callers that cache IPCT_SEQADJ do, and the NAT
 * helpers do not), and ctnetlink puts the offsets into an update event only
 * when IPCT_SEQADJ is among its events. So every change is cached as one:
 * conntrackd then carries the offsets to the backup router, where ctnetlink
 * sets them on the conntrack it creates and sipalg_tcp_half_init() starts
 * from them. Without them the backup numbers the stream as the ends never
 * saw it, and the connection stalls at the first segment after a failover.
 */
static void sipalg_tcp_kernel(struct nf_conn *ct, enum ip_conntrack_dir dir,
			      struct sipalg_tcp_half *h)
{
	struct nf_conn_seqadj *sa = nfct_seqadj(ct);
	s32 x = sa_tcp_offset(&h->st);

	if (!sa || x == h->kx)
		return;
	if (x) {
		/* (it takes ct->lock itself) */
		nf_ct_seqadj_init(ct, dir == IP_CT_DIR_ORIGINAL ?
				  IP_CT_ESTABLISHED : IP_CT_ESTABLISHED_REPLY, x);
	} else {
		spin_lock_bh(&ct->lock);
		sa->seq[dir].offset_before = 0;
		sa->seq[dir].offset_after = 0;
		spin_unlock_bh(&ct->lock);
	}
	nf_conntrack_event_cache(IPCT_SEQADJ, ct);
	h->kx = x;
}

/*
 * Start numbering dir at next; an offset set before stays (synproxy's, or
 * the one conntrackd carried from the other router: sipalg_tcp_kernel()).
 *
 * After a failover this is how the stream's state is rebuilt on the backup:
 * conntrackd created the conntrack with the offsets the primary last
 * reported, and numbering resumes from them at the first segment seen, as
 * if nothing had changed size before it. What the backup cannot rebuild:
 *   - sa_tcp's points for bytes older than that segment: a retransmission
 *     of them passes unchanged at the synced offset, which is exact only
 *     for bytes after the last change of size on the primary (in practice
 *     the one message in flight at the failover);
 *   - the bytes the primary held (an incomplete message) and custody
 *     copies: lost by design, the sender sends a held message again, but
 *     not custody bytes (see the top of this file);
 *   - an offset changed in the last moments before the failover, before
 *     conntrackd sent it: the next segment then lands off by that change.
 */
static void sipalg_tcp_half_init(struct nf_conn *ct, enum ip_conntrack_dir dir,
				 struct sipalg_tcp_half *h, u32 next,
				 bool syn_seen, bool can_hold)
{
	struct nf_conn_seqadj *sa = nfct_seqadj(ct);
	s32 base = 0;

	if (sa) {
		spin_lock_bh(&ct->lock);
		base = sa->seq[dir].offset_after;
		spin_unlock_bh(&ct->lock);
	}
	sa_tcp_init(&h->st, next, base, syn_seen);
	if (!can_hold)
		h->st.flags |= SA_TCP_NOHOLD;
	h->kx = base;
	h->init = true;
}

/* ----------------------------------------------------- building payloads */

/* a segment's new payload, built in the packet from the scratch copy */
struct sipalg_tcp_out {
	struct sipalg_pkt *p;
	struct sipalg_scratch *s;
	struct sipalg_tcp_half *h;
	unsigned int len;	/* payload bytes built so far */
	unsigned int limit;	/* the most the payload may hold */
	bool pass;		/* policy disable: framed, never rewritten */
	bool from_cust;
};

/*
 * Room for n more payload bytes after the o->len built: 0, -E2BIG (past
 * o->limit) or -ENOMEM. The packet's data may move.
 */
static int sipalg_tcp_out_reserve(struct sipalg_tcp_out *o, unsigned int n)
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
	    pskb_expand_head(skb, 0, want - have - room + SZ_1K, GFP_ATOMIC))
		return -ENOMEM;
	__skb_put(skb, want - have);
	return 0;
}

/*
 * Before a payload is rebuilt: its bytes are in the scratch copy, so the
 * packet keeps its headers only (writable), with room after them for about
 * n bytes of output (and some growth). Not pulling the old payload into the head saves a copy
 * of it (a GSO packet's payload is in page fragments); reserving room for
 * all of it at once saves growing the head message by message. Fails
 * (-ENOMEM) with the packet's payload still there.
 */
#if IS_ENABLED(CONFIG_SIPALG_KUNIT_TEST)
int sipalg_tcp_fail_next;
EXPORT_SYMBOL_GPL(sipalg_tcp_fail_next);

static bool sipalg_tcp_fail(int how)
{
	if (READ_ONCE(sipalg_tcp_fail_next) != how)
		return false;
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_NONE);
	return true;
}
#else
#define SIPALG_TCP_FAIL_NOMEM	0
#define SIPALG_TCP_FAIL_COPY	0
#define SIPALG_TCP_FAIL_HDR	0
static inline bool sipalg_tcp_fail(int how)
{
	return false;
}
#endif

/*
 * Room for n output bytes after the headers. On failure the payload is as
 * it was (the segment can still pass unchanged): everything that can fail
 * comes before the trim, which cannot once the skb is not cloned.
 */
static int sipalg_tcp_out_begin(struct sipalg_tcp_out *o, unsigned int n)
{
	struct sk_buff *skb = o->p->skb;
	unsigned int want = min(n + SZ_512, o->limit);
	int room;

	if (sipalg_tcp_fail(SIPALG_TCP_FAIL_NOMEM))
		return -ENOMEM;
	if (skb_ensure_writable(skb, o->p->dataoff) ||
	    (skb_cloned(skb) && pskb_expand_head(skb, 0, 0, GFP_ATOMIC)))
		return -ENOMEM;
	/* the tail room once the linear payload is trimmed off */
	room = skb_tailroom(skb) + skb_headlen(skb) - o->p->dataoff;
	if (want > room && pskb_expand_head(skb, 0, want - room, GFP_ATOMIC))
		return -ENOMEM;
	/* not cloned: trimming cannot fail, and the fragments go */
	if (pskb_trim(skb, o->p->dataoff))
		return -ENOMEM;
	return 0;
}

static u8 *sipalg_tcp_out_ptr(const struct sipalg_tcp_out *o)
{
	return o->p->skb->data + o->p->dataoff + o->len;
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

/* ------------------------------------------------ sa_tcp's callbacks */

/*
 * One whole message: decided, written (rewritten or not), then, the first
 * time (fresh), committed. Its output depends on the message alone, so a
 * retransmission produces it the same: a message is rewritten when its
 * plan says so, whatever the room. Room is checked before anything
 * happens: a message goes in only when even its largest rewrite
 * (SA_EDIT_TEXT more bytes) fits, or when it is the first of the payload
 * (a message alone always fits: sa_frame() takes at most SA_MAX_MSG).
 */
static long sipalg_tcp_msg(void *arg, const u8 *m, size_t len, u32 c,
			   bool fresh)
{
	struct sipalg_tcp_out *o = arg;
	struct sipalg_pkt *p = o->p;
	struct sipalg_scratch *s = o->s;
	struct sipalg_decision dec;
	unsigned int start = o->len;
	size_t n = 0;

	if ((o->len && o->len + len + SA_EDIT_TEXT > o->limit) ||
	    o->len + len > o->limit)
		return SA_TCP_NOROOM;
	if (o->pass) {
		if (!sipalg_tcp_out_copy(o, m, len))
			return SA_TCP_NOROOM;
		return len;
	}
	p->replay = !fresh;
	sipalg_msg_decide(p, s, m, len, &dec);
	if (dec.rewrite &&
	    !sipalg_tcp_out_reserve(o, len + max(sipalg_plan_growth(&s->plan),
						 s->plan.delta)))
		n = sa_apply(m, len, &s->plan, sipalg_tcp_out_ptr(o),
			     p->skb->len - p->dataoff - o->len);
	if (n) {
		o->len += n;
	} else {
		if (dec.rewrite) {
			/* no memory to grow the packet: unchanged, counted */
			dec.rewrite = false;
			dec.r = SIPALG_R_NOMEM;
		}
		if (!sipalg_tcp_out_copy(o, m, len)) {
			o->len = start;
			p->replay = false;
			return SA_TCP_NOROOM;
		}
	}
	if (fresh)
		sipalg_msg_commit(p, s, &dec, n);
	p->replay = false;
	return o->len - start;
}

static long sipalg_tcp_raw(void *arg, const u8 *b, size_t len)
{
	struct sipalg_tcp_out *o = arg;

	len = min_t(size_t, len, o->limit - o->len);
	if (!len)
		return 0;
	if (!sipalg_tcp_out_copy(o, b, len))
		return 0;
	return len;
}

static bool sipalg_tcp_hold(void *arg, const u8 *b, size_t len)
{
	struct sipalg_tcp_out *o = arg;
	struct sipalg_tcp_half *h = o->h;
	bool must = len <= h->hold_size ||
		    (o->from_cust && len <= h->cust_size);

	return sipalg_tcp_buf_set(&h->hold, &h->hold_size, b, len, must);
}

static bool sipalg_tcp_keep(void *arg, const u8 *b, size_t len)
{
	struct sipalg_tcp_half *h = ((struct sipalg_tcp_out *)arg)->h;

	/* the held bytes it copies are freed right after: accounted already */
	return sipalg_tcp_buf_set(&h->cust, &h->cust_size, b, len, true);
}

static const struct sa_tcp_ops sipalg_tcp_ops = {
	.msg = sipalg_tcp_msg,
	.raw = sipalg_tcp_raw,
	.hold = sipalg_tcp_hold,
	.keep = sipalg_tcp_keep,
};

/*
 * Bytes that pass unchanged, never a message (len of them in s): counted
 * once with the reason, shown once to a monitor; logged when the rest of
 * the direction passes too (why).
 */
static void sipalg_tcp_unchanged(struct sipalg_pkt *p, struct sipalg_scratch *s,
				 unsigned int len, unsigned int reason,
				 const char *why)
{
	sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
	sipalg_count_p(p, SIPALG_CTR_UNCHANGED, reason);
	sipalg_mon_unparsed(p, s, len, SIPALG_VERDICT_UNCHANGED, reason);
	if (why)
		net_info_ratelimited("TCP port %u: the rest of a stream passes unchanged: %s\n",
				     p->port, why);
}

/* what sa_tcp gave up for, with the bytes it held or framed (len) */
static void sipalg_tcp_count_why(struct sipalg_pkt *p, struct sipalg_scratch *s,
				 unsigned int len, const struct sa_tcp_res *r)
{
	unsigned int reason;

	switch (r->why) {
	case SA_TCP_W_HOLD_MAX:
		reason = SIPALG_R_TCP_OVERFLOW;
		break;
	case SA_TCP_W_BUDGET:
		reason = SIPALG_R_TCP_BUDGET;
		break;
	case SA_TCP_W_EXPIRED:
		reason = SIPALG_R_TCP_EXPIRED;
		break;
	case SA_TCP_W_FRAME:
		reason = r->frame_why;
		break;
	case SA_TCP_W_FIN:
		reason = SA_R_TRUNCATED;
		break;
	case SA_TCP_W_NOHOLD:
		reason = SIPALG_R_TCP_NOSEQADJ;
		break;
	default:
		return;
	}
	sipalg_tcp_unchanged(p, s, len, reason, r->why == SA_TCP_W_FRAME ?
			     NULL : sa_tcp_why_str(r->why));
}

/* ------------------------------------------------------------ packets */

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
 * Map the ACK and SACK blocks of a packet (its header writable) for h, the
 * other direction; the kernel then subtracts x from each. A SACK block
 * that covers no whole message is left out (the option shrinks, NOPs
 * after it; the whole option becomes NOPs when no block is left).
 */
static void sipalg_tcp_acks(struct sk_buff *skb, unsigned int protoff,
			    struct sipalg_tcp_half *h, s32 x)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + protoff);
	u8 *opt = (u8 *)(th + 1), before[MAX_TCP_OPTION_SPACE];
	unsigned int optlen = th->doff * 4 - sizeof(*th), i = 0, b, kept;
	bool changed = false;

	if (!th->ack)
		return;
	sipalg_tcp_put32(skb, th, &th->ack_seq,
			 sa_tcp_map_ack(&h->st, ntohl(th->ack_seq), true) + x);
	if (optlen > sizeof(before))
		return;
	memcpy(before, opt, optlen);
	while (i < optlen) {
		u8 *op = opt + i;

		if (op[0] == TCPOPT_EOL)
			break;
		if (op[0] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 == optlen || op[1] < 2 || i + op[1] > optlen)
			break;
		if (op[0] == TCPOPT_SACK && op[1] >= 2 + TCPOLEN_SACK_PERBLOCK &&
		    (op[1] - 2) % TCPOLEN_SACK_PERBLOCK == 0) {
			unsigned int olen = op[1];

			kept = 2;
			for (b = 2; b < olen; b += TCPOLEN_SACK_PERBLOCK) {
				__be32 w[2];
				u32 s, e;

				memcpy(w, before + i + b, sizeof(w));
				s = ntohl(w[0]);
				e = ntohl(w[1]);
				if (!sa_tcp_map_sack(&h->st, &s, &e))
					continue;
				w[0] = htonl(s + x);
				w[1] = htonl(e + x);
				memcpy(op + kept, w, sizeof(w));
				kept += TCPOLEN_SACK_PERBLOCK;
			}
			if (kept == 2) {
				memset(op, TCPOPT_NOP, olen);
			} else {
				op[1] = kept;
				memset(op + kept, TCPOPT_NOP, olen - kept);
			}
			changed = true;
			i += olen;
			continue;
		}
		i += op[1];
	}
	if (!changed)
		return;
	/* 16-bit words from the header's start: the options begin at 20 */
	for (i = 0; i < optlen; i += 2)
		inet_proto_csum_replace2(&th->check, skb,
					 *(__be16 *)(before + i),
					 *(__be16 *)(opt + i), false);
}

/*
 * The segment is dropped, with nothing of it done: the sender sends it
 * again. Counted with the reason, and logged (sipalg_drop).
 */
static int sipalg_tcp_drop(struct sipalg_pkt *p, const char *what,
			   unsigned int reason)
{
	sipalg_drop(p, what, reason);
	return NF_DROP;
}

/* keep the first n payload bytes (1: a duplicate for the receiver to ACK) */
static int sipalg_tcp_trim(struct sipalg_pkt *p, unsigned int n)
{
	struct sipalg_tcp_out o = { .p = p, .len = n };

	if (skb_ensure_writable(p->skb, p->dataoff + n))
		return -ENOMEM;
	return sipalg_tcp_out_done(&o);
}

/*
 * The segment cannot be framed (no memory, a failed copy) and nothing of it
 * changed: it passes unchanged, and so does the rest of the direction,
 * counted with the reason; or, when sa_tcp refuses, it is dropped.
 */
static int sipalg_tcp_giveup(struct sipalg_pkt *p, struct sipalg_tcp_half *h,
			     struct sa_tcp_seg *seg, struct sipalg_scratch *s,
			     unsigned int len, unsigned int reason, u32 *seq)
{
	if (!sa_tcp_giveup(&h->st, seg)) {
		sipalg_mon_unparsed(p, s, len, SIPALG_VERDICT_DROPPED, reason);
		return sipalg_tcp_drop(p, "tcp segment not framed", reason);
	}
	/* what was held goes: the sender has no ACK for it, it comes again */
	sipalg_tcp_half_trim(h);
	sipalg_tcp_unchanged(p, s, len, reason, reason == SIPALG_R_NOMEM ?
			     "nomem" : "copy-failed");
	*seq = seg->out;
	return NF_ACCEPT;
}

/*
 * Frame a segment (sa_tcp says FRAME): the held bytes and the segment's
 * into the scratch copy, the payload rebuilt from it. *seq: where it goes.
 * Returns NF_ACCEPT, or NF_DROP (no memory, nothing changed, and sa_tcp
 * could not give the direction up).
 */
static int sipalg_tcp_frame(struct sipalg_pkt *p, struct sipalg_tcp_half *h,
			    struct sa_tcp_seg *seg, bool pass, u32 *seq,
			    bool *clear_fin)
{
	struct sipalg_scratch *s = sipalg_scratch_get();
	const u8 *held = seg->from_cust ? h->cust : h->hold;
	struct sipalg_tcp_out o = { .p = p, .s = s, .h = h, .pass = pass,
				    .from_cust = seg->from_cust };
	struct sa_tcp_cfg cfg = {
		.hold_max = min_t(u32, READ_ONCE(sipalg_tcp_hold_max), SA_MAX_MSG),
		.hold_ms = READ_ONCE(sipalg_tcp_hold_ms),
	};
	unsigned int n = seg->len - seg->skip, in_len;
	struct sa_tcp_res res;
	u8 first = 0;

	if (seg->held && !held) {
		/* cannot be (held bytes are kept), but if it were: counted */
		return sipalg_tcp_drop(p, "tcp held bytes missing",
				       SIPALG_R_NOMEM);
	}
	if (seg->held)
		memcpy(s->buf, held, seg->held);
	n = min_t(unsigned int, n, sizeof(s->buf) - seg->held);
	in_len = seg->held + n;
	o.limit = SIPALG_TCP_PAYLOAD_MAX(p->dataoff);
	/*
	 * Nothing is changed yet: the direction is given up from its next
	 * message start (sa_tcp_giveup()), and the segment passes as it is,
	 * like a UDP datagram. Where that cannot be (a retransmission framed
	 * again, bytes in custody), it is dropped and comes again.
	 */
	if (sipalg_tcp_fail(SIPALG_TCP_FAIL_COPY) ||
	    skb_copy_bits(p->skb, p->dataoff + seg->skip, s->buf + seg->held, n))
		return sipalg_tcp_giveup(p, h, seg, s, seg->held,
					 SIPALG_R_COPY_FAILED, seq);
	if (sipalg_tcp_out_begin(&o, in_len))
		return sipalg_tcp_giveup(p, h, seg, s, in_len, SIPALG_R_NOMEM,
					 seq);
	if (in_len)
		first = s->buf[0];

	sa_tcp_frame(&h->st, &cfg, seg, s->buf, in_len, &sipalg_tcp_ops, &o,
		     &res);
	sipalg_tcp_count_why(p, s, in_len, &res);
	while (res.reasm--)
		sipalg_count_p(p, SIPALG_CTR_TCP_REASM, 0);
	sipalg_tcp_half_trim(h);

	*seq = seg->out;
	*clear_fin = !res.fin_ok;
	if (!res.out_len && res.custody) {
		/* a byte the receiver has, for it to ACK at once */
		*seq = res.probe;
		o.len = 0;
		if (!sipalg_tcp_out_copy(&o, &first, 1))
			o.len = 0;
	}
	/* the payload is built whatever happens next: never half */
	if (sipalg_tcp_out_done(&o))
		net_warn_ratelimited("could not finish a TCP payload\n");
	return NF_ACCEPT;
}

int sipalg_help_tcp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	/* whether the kernel adjusts this packet: it looked before the helper */
	bool adj = test_bit(IPS_SEQ_ADJUST_BIT, &ct->status);
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	struct sipalg_ct *d = sipalg_ct_data(ct);
	u8 synced = SIPALG_TCP_SYNCED(dir);
	struct sipalg_tcp_half *h = NULL;
	bool rewrite, clear_fin = false;
	struct sipalg_pkt p = {};
	struct tcphdr _th, *th;
	struct sa_tcp_seg seg;
	struct sipalg_tcp *t;
	unsigned int len;
	spinlock_t *lock;	/* sipalg_ct_lock(ct) */
	u32 out;
	int ret = NF_ACCEPT;

	sipalg_bench_spin();
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
		struct sipalg_conn *c;

		/* the stream starts after it (whatever arrives first) */
		spin_lock_bh(lock);
		c = sipalg_conn(ct);
		if (!c || !c->tcp || !c->tcp->h[dir].init) {
			d->next_seq[dir] = ntohl(th->seq) + 1;
			d->tcp_flags |= synced;
		}
		spin_unlock_bh(lock);
		return NF_ACCEPT;
	}
	/*
	 * A connection picked up without its SYN (conntrack -F, a failover)
	 * is NEW on its first packet: that one is part of the stream too.
	 */
	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY &&
	    ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	p.dataoff = protoff + th->doff * 4;
	if (skb->len < p.dataoff)
		return NF_ACCEPT;
	len = skb->len - p.dataoff;
	seg.seq = ntohl(th->seq);
	seg.len = len;
	seg.fin = th->fin;
	seg.now = jiffies_to_msecs(jiffies);
	rewrite = len && sipalg_pkt_init(&p, skb, protoff, ct, ctinfo);
	/* policy "disable" (or no payload): framed, never rewritten */
	if (!rewrite)
		sipalg_pkt_fill(&p, skb, protoff, ct, ctinfo);

	spin_lock_bh(lock);
	t = sipalg_conn(ct) ? sipalg_conn(ct)->tcp : NULL;
	if (!t && rewrite) {
		t = sipalg_tcp_get(ct);
		if (!t) {
			/* nothing was ever renumbered: it passes as it is */
			sipalg_count_p(&p, SIPALG_CTR_SEEN, 0);
			sipalg_count_p(&p, SIPALG_CTR_UNCHANGED, SIPALG_R_NOMEM);
			sipalg_mon_unparsed(&p, sipalg_scratch_get(), len,
					    SIPALG_VERDICT_UNCHANGED,
					    SIPALG_R_NOMEM);
			goto out;
		}
	}
	if (!t)
		goto out;
	h = &t->h[dir];
	if (!h->init) {
		bool syn = d->tcp_flags & synced;

		sipalg_tcp_half_init(ct, dir, h, syn ? d->next_seq[dir] : seg.seq,
				     syn, nfct_seqadj(ct));
	}

	/*
	 * Its sequence number will be written: before anything else happens
	 * (framing, a message's effects), so that a packet it cannot be
	 * written in is dropped with nothing done, and comes again.
	 */
	if (sipalg_tcp_fail(SIPALG_TCP_FAIL_HDR) ||
	    skb_ensure_writable(skb, p.dataoff)) {
		net_dbg_ratelimited("TCP port %u: no memory for a writable header, segment dropped\n",
				    p.port);
		ret = sipalg_tcp_drop(&p, "tcp header not writable",
				      SIPALG_R_NOMEM);
		goto out;
	}

	out = sa_tcp_map_seq(&h->st, seg.seq);
	if (len || (seg.fin && h->st.held)) {
		sa_tcp_classify(&h->st, NULL, &seg);
		switch (seg.act) {
		case SA_TCP_DROP:
			/* the sender sends it again, from where it can go */
			sipalg_mon_unparsed(&p, sipalg_scratch_get(), len,
					    SIPALG_VERDICT_DROPPED,
					    SIPALG_R_TCP_GAP);
			net_dbg_ratelimited("TCP port %u: segment %u+%u cannot be placed in the stream, dropped\n",
					    p.port, seg.seq, seg.len);
			ret = sipalg_tcp_drop(&p, "tcp segment cannot be placed",
					      SIPALG_R_TCP_GAP);
			goto out;
		case SA_TCP_RAW:
			out = seg.out;
			break;
		case SA_TCP_DUP:
			out = seg.out;
			if (len > 1 && sipalg_tcp_trim(&p, 1)) {
				/* a duplicate, nothing lost: it comes again */
				ret = sipalg_tcp_drop(&p, "tcp duplicate not trimmed",
						      SIPALG_R_NOMEM);
				goto out;
			}
			break;
		case SA_TCP_FRAME:
			ret = sipalg_tcp_frame(&p, h, &seg, !rewrite, &out,
					       &clear_fin);
			if (ret != NF_ACCEPT)
				goto out;
			break;
		}
	}

	/* framing may have moved the packet's data */
	th = (struct tcphdr *)(skb->data + protoff);
	if (clear_fin && th->fin) {
		/* bytes before it come again: so does the FIN */
		__be16 *flags = (__be16 *)((u8 *)th + 12);
		__be16 old = *flags;

		th->fin = 0;
		inet_proto_csum_replace2(&th->check, skb, old, *flags, false);
	}
	if (t->h[!dir].init) {
		sipalg_tcp_acks(skb, protoff, &t->h[!dir],
				adj ? t->h[!dir].kx : 0);
		/* the other direction's ACK may have freed what it held */
		sipalg_tcp_half_trim(&t->h[!dir]);
	}
	sipalg_tcp_kernel(ct, dir, h);
	sipalg_tcp_put32(skb, th, &th->seq, out - (adj ? h->kx : 0));
out:
	spin_unlock_bh(lock);
	return ret;
}
