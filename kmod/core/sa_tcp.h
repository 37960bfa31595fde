/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sa_tcp: one direction of a SIP-over-TCP connection through the ALG, as
 * numbers and decisions only. Pure C with no kernel dependencies, like the
 * rest of the core: kmod/tcp.c drives it with packets, tests/unit/unit_tcp.c
 * with a model sender, network and receiver.
 *
 * The sender's stream is numbered c (its sequence numbers), what the
 * receiver gets o. The output is a function of the input: messages framed
 * one after the other, each rewritten whole (or left as it is), so a given
 * stretch of input always gives the same output, and any message start is
 * a place from which the output can be produced again.
 *
 * What it keeps: points (c, o) where a message starts in both streams,
 * from the receiver's cumulative ACK up to the head, the furthest the
 * stream has been ("top": messages starting before it were committed once
 * already). "cur" is where the next message starts: the head, or an
 * earlier point while a retransmission is framed again. Bytes of an
 * incomplete message after cur are held (the caller keeps them; here only
 * their count).
 *
 * Invariants, each enforced where it says:
 *   1. Transparency: the receiver gets exactly the rewritten stream. A
 *      segment is framed only in sequence (sa_tcp_classify()); a
 *      retransmission starts again from a message start, and gives the
 *      same output there; what cannot be placed is dropped, and the sender
 *      sends it again from a place that can (its snd_una, which ACK
 *      mapping keeps at message starts). The sender is never told that
 *      bytes arrived that did not (sa_tcp_map_ack(), sa_tcp_map_sack()),
 *      except for custody (2). Bytes the receiver
 *      never got (held ones) sent again with other contents: it gets one
 *      copy or the other, whole (both are the sender's stream); output it
 *      got is produced again from the same bytes (a sender that changes
 *      bytes it had sent corrupts its own stream, as without the ALG).
 *   2. Least custody: held bytes are reported received to the sender only
 *      when the sender shows that it waits for them: it sent them again
 *      (a retransmission timeout or a tail loss probe) while the receiver
 *      had every byte of output. Only then can a Nagle sender, or one whose
 *      window collapsed after a timeout, be stuck behind them
 *      (sa_tcp_frame(): SA_TCP_CUSTODY).
 *   3. Bounded: at most cfg->hold_max bytes are held, for at most
 *      cfg->hold_ms, and only when the caller's hold() accepts them (its
 *      global budget); past any of these the rest of the direction passes
 *      unchanged (SA_TCP_LOST), never dropped, never reset.
 *   4. Exactly once: a message's msg() callback says fresh only the first
 *      time its start is reached (c at or after top); regenerated output
 *      for a retransmission is not fresh and must have no effects.
 */
#ifndef SIPALG_SA_TCP_H
#define SIPALG_SA_TCP_H

#include "sipcore.h"

#define SA_TCP_PTS		24	/* message starts remembered per direction */
#define SA_TCP_HOLD_DEFAULT	8192	/* most bytes held per direction */

/* sa_tcp_dir.flags */
#define SA_TCP_INIT		0x01	/* numbering started */
#define SA_TCP_ACKED		0x02	/* acked holds a receiver ACK */
#define SA_TCP_CUSTODY		0x04	/* the held bytes were reported received */
#define SA_TCP_LOST		0x08	/* framing given up from lost_c on */
#define SA_TCP_NOHOLD		0x10	/* numbers may not change: hold nothing */
#define SA_TCP_UNSYNC		0x20	/* picked up without a SYN, no message yet */

struct sa_tcp_pt {
	u32 c;
	u32 o;
};

struct sa_tcp_dir {
	struct sa_tcp_pt pt[SA_TCP_PTS];	/* ascending; pt[n - 1] the head */
	struct sa_tcp_pt top;		/* the furthest cur has been */
	u32 acked;			/* the receiver's highest ACK (o) */
	struct sa_tcp_pt sync;		/* framing began here: before, raw */
	u32 lost_c;			/* with SA_TCP_LOST: raw from here on, */
	u32 lost_o;			/* ... to here on */
	struct sa_tcp_pt cust;		/* where the custody message starts */
	u32 cust_len;			/* bytes after cust.c reported received */
	u32 cust_oend;			/* o its output ends at (once out) */
	u32 held;			/* bytes held after cur.c */
	u32 held_since;			/* ms (caller's clock) holding began */
	u8 n;
	u8 k;				/* cur is pt[k]; the ones after: known ahead */
	u8 flags;
};

struct sa_tcp_cfg {
	u32 hold_max;			/* bytes */
	u32 hold_ms;			/* most time bytes stay held */
};

/* what to do with a segment (sa_tcp_classify) */
enum sa_tcp_act {
	SA_TCP_FRAME,	/* frame: held bytes, then the segment from skip on */
	SA_TCP_RAW,	/* forward its bytes as they are, at out */
	SA_TCP_DUP,	/* the receiver has it all: 1 byte at out (its ACK - 1) */
	SA_TCP_DROP,	/* cannot be placed: drop it, it comes again */
};

/* why a direction gave up framing, or a segment was dropped */
enum sa_tcp_why {
	SA_TCP_W_NONE,
	SA_TCP_W_GAP,		/* drop: after a gap, or inside a message */
	SA_TCP_W_HOLD_MAX,	/* lost: the message is longer than hold_max */
	SA_TCP_W_BUDGET,	/* lost: hold() refused (global budget, memory) */
	SA_TCP_W_EXPIRED,	/* lost: held longer than hold_ms */
	SA_TCP_W_FRAME,		/* lost: not SIP from here (see res->frame_why) */
	SA_TCP_W_FIN,		/* the stream ended inside a message */
	SA_TCP_W_NOHOLD,	/* lost: a split message, and nothing may hold */
};

struct sa_tcp_seg {
	/* in */
	u32 seq;
	u32 len;
	u32 now;		/* ms */
	bool fin;
	/* out */
	enum sa_tcp_act act;
	enum sa_tcp_why why;	/* with SA_TCP_DROP */
	u32 skip;		/* FRAME: segment bytes already handled */
	u32 held;		/* FRAME: held bytes in front of them */
	u32 out;		/* o of the first output byte */
	bool rexmit;		/* it sends held bytes again */
	bool regen;		/* FRAME from an earlier message start, */
	u8 regen_pt;		/* ... pt[regen_pt] */
	bool from_cust;		/* ... the custody one: held bytes are its copy */
};

/*
 * The caller's side of sa_tcp_frame(). Return values: the bytes written,
 * or SA_TCP_NOROOM when the output has no room for it in this segment.
 */
#define SA_TCP_NOROOM	(-1)

struct sa_tcp_ops {
	/*
	 * One whole message at stream position c: write its output (rewritten
	 * or not) and, when fresh, run its effects. Must give the same bytes
	 * for the same message every time.
	 */
	long (*msg)(void *arg, const u8 *m, size_t len, u32 c,
		    bool fresh);
	/*
	 * Bytes to forward unchanged (keep-alives, a direction given up): as
	 * many as there is room for; returns how many.
	 */
	long (*raw)(void *arg, const u8 *b, size_t len);
	/*
	 * Keep b[0..len) as the held bytes (they replace the old ones, which
	 * are b's first bytes when any were held, or the custody copy's with
	 * sa_tcp_seg.from_cust); len 0 frees them. false: refused (budget,
	 * memory). A hold of no more bytes than that must not fail: the
	 * buffer they are in can be kept (custody bytes must never be lost).
	 */
	bool (*hold)(void *arg, const u8 *b, size_t len);
	/*
	 * Keep a copy of b[0..len), the bytes of a message in custody, which
	 * now goes out: the sender will not send them again, and should the
	 * output be lost after the router, they are needed to produce it
	 * again (sa_tcp_seg.from_cust). The copy may go once d->cust_len is
	 * 0. false: no memory (the message then has no such protection).
	 */
	bool (*keep)(void *arg, const u8 *b, size_t len);
};

struct sa_tcp_res {
	u32 out_len;		/* output bytes */
	u32 consumed;		/* input bytes output or held; the rest is cut */
	u32 msgs;		/* messages output */
	u32 reasm;		/* of them, begun in held bytes (fresh only) */
	enum sa_tcp_why why;	/* the direction gave up framing (or NONE) */
	enum sa_reason frame_why;	/* with SA_TCP_W_FRAME */
	bool held;		/* ends with bytes held */
	bool custody;		/* custody taken: forward 1 byte at probe */
	bool fin_ok;		/* the FIN may go (nothing was cut) */
	u32 probe;		/* o of the custody probe byte */
};

/* start numbering at next (c); base: offset someone set before (synproxy) */
void sa_tcp_init(struct sa_tcp_dir *d, u32 next, s32 base,
		 bool syn_seen);

/* the direction's current start of the next message */
static inline const struct sa_tcp_pt *sa_tcp_cur(const struct sa_tcp_dir *d)
{
	return &d->pt[d->k];
}

/* c of the next byte expected in sequence */
static inline u32 sa_tcp_next(const struct sa_tcp_dir *d)
{
	return sa_tcp_cur(d)->c + d->held;
}

/*
 * The offset (o - c) for new bytes: what the kernel's own sequence
 * adjustment should hold, so that once this state is gone (module
 * unloaded) the sender's bytes from top on reach the receiver where they
 * belong: a message held without custody is sent again by the sender and
 * then arrives unchanged.
 */
static inline s32 sa_tcp_offset(const struct sa_tcp_dir *d)
{
	return (s32)(d->top.o - d->top.c);
}

/* decide what a segment of the direction is (fills seg's out fields) */
void sa_tcp_classify(struct sa_tcp_dir *d, const struct sa_tcp_cfg *cfg,
		     struct sa_tcp_seg *seg);

/*
 * The caller cannot frame seg (classified FRAME): give the direction up
 * from its next message start, so that seg and all after it pass as they
 * are. Held bytes are forgotten (the caller frees them). false: refused
 * (a retransmission framed again, or bytes in custody it lacks); seg is
 * then unchanged and should be dropped. See sa_tcp.c.
 */
bool sa_tcp_giveup(struct sa_tcp_dir *d, struct sa_tcp_seg *seg);

/*
 * Frame a FRAME segment: in[0..in_len) is the held bytes (seg->held) then
 * the segment's bytes from seg->skip (in_len may stop short of the
 * segment's end: the rest is cut). Calls ops in stream order and updates d.
 */
void sa_tcp_frame(struct sa_tcp_dir *d, const struct sa_tcp_cfg *cfg,
		  const struct sa_tcp_seg *seg, const u8 *in,
		  size_t in_len, const struct sa_tcp_ops *ops, void *arg,
		  struct sa_tcp_res *res);

/* o for a sender's number without payload (a pure ACK, a window probe) */
u32 sa_tcp_map_seq(const struct sa_tcp_dir *d, u32 c);

/*
 * The sender's number for the receiver's ACK a (o): the furthest c below
 * which the receiver has every byte (custody aside). With cumulative set, a
 * is the receiver's cumulative ACK: remembered, and the points below it
 * forgotten.
 */
u32 sa_tcp_map_ack(struct sa_tcp_dir *d, u32 a, bool cumulative);

/* a SACK block [*s, *e) (o) in c; false when no whole message is in it */
bool sa_tcp_map_sack(const struct sa_tcp_dir *d, u32 *s, u32 *e);

const char *sa_tcp_why_str(enum sa_tcp_why w);

#endif /* SIPALG_SA_TCP_H */
