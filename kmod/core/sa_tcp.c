// SPDX-License-Identifier: GPL-2.0
/*
 * sa_tcp: the numbers and decisions of one direction of SIP over TCP
 * (sa_tcp.h says what it keeps and which invariant each part enforces).
 * Every loop is bounded by SA_TCP_PTS or by the input's length.
 */
#include "sa_tcp.h"

static inline bool sa_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool sa_after(u32 a, u32 b)
{
	return sa_before(b, a);
}

void sa_tcp_init(struct sa_tcp_dir *d, u32 next, s32 base,
		 bool syn_seen)
{
	memset(d, 0, sizeof(*d));
	d->pt[0].c = next;
	d->pt[0].o = next + (u32)base;
	d->n = 1;
	d->top = d->pt[0];
	d->sync = d->pt[0];
	d->flags = SA_TCP_INIT;
	if (syn_seen) {
		/* the receiver has everything before the first byte */
		d->acked = d->pt[0].o;
		d->flags |= SA_TCP_ACKED;
	} else {
		d->flags |= SA_TCP_UNSYNC;
	}
}

/*
 * Whether bytes can be the start of a message: a keep-alive, a request's
 * method and a space, or a status line. A stream picked up without its SYN
 * (conntrack -F, a failover) may begin inside a message.
 */
static bool sa_tcp_starts_msg(const u8 *b, size_t len)
{
	size_t i;

	if (!len)
		return false;
	if (b[0] == '\r' || b[0] == '\n')
		return true;
	if (len >= 4 && !memcmp(b, "SIP/", 4))
		return true;
	for (i = 0; i < len && i < 17; i++) {
		if (b[i] == ' ')
			return i > 0;
		if (b[i] < 'A' || b[i] > 'Z')
			return false;
	}
	return false;
}

/* the last point whose o is at or below a; -1 when a is below them all */
static int sa_tcp_floor(const struct sa_tcp_dir *d, u32 a)
{
	int i;

	for (i = d->n - 1; i >= 0; i--)
		if (!sa_after(d->pt[i].o, a))
			return i;
	return -1;
}

/* make room for one more point: keep pt[0], cur, the head, every other one */
static void sa_tcp_thin(struct sa_tcp_dir *d)
{
	unsigned int i, j = 1, k = 0;

	if (d->n < SA_TCP_PTS)
		return;
	for (i = 1; i < d->n; i++) {
		if (i != d->k && i != d->n - 1u && (i & 1))
			continue;
		if (i == d->k)
			k = j;
		d->pt[j++] = d->pt[i];
	}
	d->n = j;
	d->k = k;
}

/* a point at index i (the ones from i on move up) */
static void sa_tcp_insert(struct sa_tcp_dir *d, unsigned int i, u32 c,
			  u32 o)
{
	memmove(d->pt + i + 1, d->pt + i, (d->n - i) * sizeof(d->pt[0]));
	d->pt[i].c = c;
	d->pt[i].o = o;
	d->n++;
}

/*
 * cur moves to (c, o), a new message start, once the bytes before it went
 * out. While framing again it meets the points known ahead.
 */
static void sa_tcp_advance(struct sa_tcp_dir *d, u32 c, u32 o)
{
	if (c == sa_tcp_cur(d)->c)
		return;
	/* the message whose bytes were in custody has gone */
	d->flags &= ~SA_TCP_CUSTODY;
	if (d->k + 1u < d->n) {
		struct sa_tcp_pt *nx = &d->pt[d->k + 1];

		if (nx->c == c) {
			/* produced again the same (a rewrite that is not
			 * deterministic would show here: the later points
			 * then follow the new output)
			 */
			nx->o = o;
			d->k++;
			return;
		}
		if (sa_before(c, nx->c)) {
			sa_tcp_thin(d);
			sa_tcp_insert(d, d->k + 1, c, o);
			d->k++;
			return;
		}
		/* framed otherwise than the first time: forget what was ahead */
		d->n = d->k + 1;
	}
	sa_tcp_thin(d);
	d->pt[d->n].c = c;
	d->pt[d->n].o = o;
	d->k = d->n++;
	if (sa_after(c, d->top.c)) {
		d->top.c = c;
		d->top.o = o;
	}
}

static void sa_tcp_lose(struct sa_tcp_dir *d, u32 c, u32 o)
{
	if (d->flags & SA_TCP_LOST)
		return;
	d->flags |= SA_TCP_LOST;
	d->lost_c = c;
	d->lost_o = o;
}

/*
 * Give up framing because the caller cannot (no memory, a failed copy),
 * before anything of seg was framed. Only from the head: cur is top, not a
 * regeneration (output the receiver may partly have must come again the
 * same, so that one is refused: the caller drops it and it comes again).
 *
 * Given up at cur, the next message start, at cur's offset: that is the
 * offset already committed (sa_tcp_offset() is top's), so the kernel's
 * adjustment, the ACK mapping below cur and every point before stay as
 * they are, and from cur on c maps to o by that one constant. Held bytes
 * were never output, so they are dropped here: without custody the sender
 * still waits for them (ACKs map to cur at most) and sends them again,
 * and they then go raw. In custody they were reported received, so the
 * sender will not: refused then, unless the segment begins at cur and so
 * carries them. A segment that begins before cur is refused as well: its
 * first bytes went out framed, and raw ones must not land on them.
 */
bool sa_tcp_giveup(struct sa_tcp_dir *d, struct sa_tcp_seg *seg)
{
	const struct sa_tcp_pt *cur = sa_tcp_cur(d);

	if (seg->act != SA_TCP_FRAME || seg->regen || seg->from_cust ||
	    cur->c != d->top.c)
		return false;
	/* bytes before cur went out framed: never raw over them */
	if (sa_before(seg->seq, cur->c))
		return false;
	if ((d->flags & SA_TCP_CUSTODY) && d->held && seg->seq != cur->c)
		return false;
	sa_tcp_lose(d, cur->c, cur->o);
	d->held = 0;
	d->flags &= ~SA_TCP_CUSTODY;
	seg->act = SA_TCP_RAW;
	seg->held = 0;
	seg->skip = 0;
	seg->out = d->lost_o + (seg->seq - d->lost_c);
	return true;
}

void sa_tcp_classify(struct sa_tcp_dir *d, const struct sa_tcp_cfg *cfg,
		     struct sa_tcp_seg *seg)
{
	const struct sa_tcp_pt *cur = sa_tcp_cur(d);
	u32 next = cur->c + d->held, end = seg->seq + seg->len;
	u32 lo = seg->seq;
	unsigned int i;
	int a = 0;

	(void)cfg;
	seg->act = SA_TCP_DROP;
	seg->why = SA_TCP_W_NONE;
	seg->skip = 0;
	seg->held = 0;
	seg->out = cur->o;
	seg->rexmit = false;
	seg->regen = false;
	seg->regen_pt = 0;
	seg->from_cust = false;

	/*
	 * The sender goes on after bytes in custody whose message went out,
	 * and the receiver lacks that output: it is produced again from the
	 * copy kept (the sender will never send those bytes again).
	 */
	if (d->cust_len && d->cust_oend && (cur->c != d->cust.c || !d->held) &&
	    sa_after(seg->seq, d->cust.c) &&
	    !sa_after(seg->seq, d->cust.c + d->cust_len) &&
	    sa_after(end, d->cust.c + d->cust_len) &&
	    (!(d->flags & SA_TCP_ACKED) || sa_before(d->acked, d->cust_oend))) {
		seg->act = SA_TCP_FRAME;
		seg->regen = true;
		seg->from_cust = true;
		seg->held = d->cust_len;
		seg->skip = d->cust.c + d->cust_len - seg->seq;
		seg->out = d->cust.o;
		return;
	}
	/* given up: the same bytes, at the offset they had then */
	if ((d->flags & SA_TCP_LOST) && !sa_before(seg->seq, d->lost_c)) {
		seg->act = SA_TCP_RAW;
		seg->out = d->lost_o + (seg->seq - d->lost_c);
		return;
	}
	if (!sa_after(end, d->pt[0].c)) {
		if (!(d->flags & SA_TCP_ACKED)) {
			/* from before numbering began (no SYN seen): as it is */
			seg->act = SA_TCP_RAW;
			seg->out = d->pt[0].o - (d->pt[0].c - seg->seq);
		} else {
			seg->act = SA_TCP_DUP;
			seg->out = d->acked - 1;
		}
		return;
	}
	/* what the receiver has needs no sending again */
	if (d->flags & SA_TCP_ACKED)
		a = sa_tcp_floor(d, d->acked);
	if (a > 0 && sa_before(lo, d->pt[a].c))
		lo = d->pt[a].c;
	else if (sa_before(lo, d->pt[0].c))
		lo = d->pt[0].c;
	if (!sa_before(lo, end)) {
		seg->act = SA_TCP_DUP;
		seg->out = d->acked - 1;
		return;
	}
	if (sa_before(lo, cur->c) || sa_after(lo, next)) {
		/* elsewhere than cur: from a message start in the segment */
		for (i = 0; i < d->n && sa_before(d->pt[i].c, lo); i++)
			;
		if (i == d->n || !sa_before(d->pt[i].c, end) || i > d->k ||
		    (i != d->k && (d->flags & SA_TCP_CUSTODY))) {
			/*
			 * Inside a message, or past a gap (never forward over
			 * output the receiver may lack): it comes again.
			 */
			seg->why = SA_TCP_W_GAP;
			return;
		}
		if (i != d->k) {
			seg->act = SA_TCP_FRAME;
			seg->regen = true;
			seg->regen_pt = i;
			seg->skip = d->pt[i].c - seg->seq;
			seg->out = d->pt[i].o;
			return;
		}
		/* from cur on: what it has before cur is of no use */
		lo = cur->c;
	}
	if (!sa_after(end, next) && !d->held) {
		seg->act = SA_TCP_DUP;
		seg->out = d->acked - 1;
		return;
	}
	seg->act = SA_TCP_FRAME;
	seg->held = d->held;
	seg->skip = sa_after(end, next) ? next - seg->seq : seg->len;
	seg->rexmit = sa_before(seg->seq, next);
}

void sa_tcp_frame(struct sa_tcp_dir *d, const struct sa_tcp_cfg *cfg,
		  const struct sa_tcp_seg *seg, const u8 *in,
		  size_t in_len, const struct sa_tcp_ops *ops, void *arg,
		  struct sa_tcp_res *res)
{
	size_t pos = 0, raw_from = in_len + 1, rest;
	u32 o = 0, base_c, base_o, old_held;
	bool holding = false, cust_out;
	unsigned int k;
	long r;

	memset(res, 0, sizeof(*res));
	res->fin_ok = true;
	if (seg->from_cust) {
		/* back to the custody message's start (cust >= pt[0]) */
		for (k = 0; k < d->n && sa_before(d->pt[k].c, d->cust.c); k++)
			;
		if (k == d->n || d->pt[k].c != d->cust.c) {
			sa_tcp_thin(d);
			for (k = 0; k < d->n && sa_before(d->pt[k].c, d->cust.c);
			     k++)
				;
			sa_tcp_insert(d, k, d->cust.c, d->cust.o);
		}
		d->k = k;
		d->held = 0;
		/* its bytes are the router's again: see custody below */
		d->flags |= SA_TCP_CUSTODY;
		old_held = seg->held;
	} else if (seg->regen) {
		d->k = seg->regen_pt;
		d->held = 0;
		d->flags &= ~SA_TCP_CUSTODY;
		old_held = 0;
	} else {
		old_held = d->held;
	}
	cust_out = (d->flags & SA_TCP_CUSTODY) && d->cust_len;
	base_c = sa_tcp_cur(d)->c;
	base_o = sa_tcp_cur(d)->o;

	/* a retransmission below where framing was given up: raw from there */
	if ((d->flags & SA_TCP_LOST) && !sa_before(d->lost_c, base_c) &&
	    d->lost_c - base_c <= in_len)
		raw_from = d->lost_c - base_c;
	/* held too long: released unchanged, with what follows */
	if (old_held && !sa_before(base_c, d->top.c) && cfg->hold_ms &&
	    seg->now - d->held_since >= cfg->hold_ms) {
		res->why = SA_TCP_W_EXPIRED;
		sa_tcp_lose(d, base_c, base_o);
		raw_from = 0;
	}

	if ((d->flags & SA_TCP_UNSYNC) && !old_held && !seg->regen) {
		if (!sa_tcp_starts_msg(in, in_len)) {
			/*
			 * Inside a message the router never saw begin: as it
			 * is, and numbering begins again after it (the same
			 * offset: nothing changed size).
			 */
			r = ops->raw(arg, in, in_len);
			d->pt[0].c = base_c + r;
			d->pt[0].o = base_o + r;
			d->top = d->pt[0];
			d->sync = d->pt[0];
			res->out_len = r;
			res->consumed = r;
			res->fin_ok = (size_t)r == in_len &&
				      in_len == seg->held + (seg->len - seg->skip);
			return;
		}
		d->flags &= ~SA_TCP_UNSYNC;
	}

	while (pos < in_len) {
		enum sa_reason why = SA_R_OK;
		enum sa_frame_result fr;
		size_t mlen = 0;

		if (pos >= raw_from) {
			r = ops->raw(arg, in + pos, in_len - pos);
			o += r;
			pos += r;
			break;
		}
		fr = sa_frame(in + pos, in_len - pos, SA_T_TCP, &mlen, &why);
		if (fr == SA_FRAME_MSG && mlen && mlen <= in_len - pos &&
		    pos + mlen <= raw_from) {
			u32 c = base_c + pos;

			r = ops->msg(arg, in + pos, mlen, c,
				     !sa_before(c, d->top.c));
			if (r == SA_TCP_NOROOM && !o && !pos) {
				/* alone in a segment it does not fit: never will */
				res->why = SA_TCP_W_HOLD_MAX;
				sa_tcp_lose(d, base_c, base_o);
				raw_from = 0;
				continue;
			}
			if (r == SA_TCP_NOROOM)
				break;
			if (pos < old_held && !sa_before(c, d->top.c))
				res->reasm++;
			o += r;
			pos += mlen;
			res->msgs++;
			if (pos == mlen && cust_out) {
				/* the custody message goes: keep its bytes */
				if (d->cust_len > mlen)
					d->cust_len = mlen;
				if (!ops->keep(arg, in, d->cust_len))
					d->cust_len = 0;
				d->cust_oend = base_o + o;
			}
			sa_tcp_advance(d, base_c + pos, base_o + o);
			continue;
		}
		if (fr == SA_FRAME_KEEPALIVE && mlen && mlen <= in_len - pos &&
		    pos + mlen <= raw_from) {
			r = ops->raw(arg, in + pos, mlen);
			o += r;
			pos += r;
			if ((size_t)r < mlen)
				break;
			sa_tcp_advance(d, base_c + pos, base_o + o);
			continue;
		}
		if (fr == SA_FRAME_NEED_MORE)
			break;
		if (fr == SA_FRAME_MSG || fr == SA_FRAME_KEEPALIVE) {
			/* it crosses the place where framing was given up */
			raw_from = pos;
			continue;
		}
		/* not SIP: nothing from here on can be framed */
		res->why = SA_TCP_W_FRAME;
		res->frame_why = why;
		sa_tcp_lose(d, base_c + pos, base_o + o);
		raw_from = pos;
	}

	rest = in_len - pos;
	if (rest && pos < raw_from && sa_before(base_c + pos, d->top.c)) {
		/*
		 * Output produced again: it must be what it was, so nothing
		 * is given up here. Held as before (its message was framed
		 * once, so it is at most SA_MAX_MSG), or else cut: the sender
		 * sends it again.
		 */
		if (!(d->flags & SA_TCP_NOHOLD) && !seg->fin &&
		    rest <= SA_MAX_MSG && ops->hold(arg, in + pos, rest)) {
			holding = true;
		} else if (!pos && old_held && rest > old_held &&
			   ops->hold(arg, in, old_held)) {
			/* what was held stays (custody bytes among them) */
			holding = true;
			in_len = old_held;
			rest = old_held;
		}
	} else if (rest && pos < raw_from) {
		/* an incomplete message (or one with no room here): hold it */
		if (d->flags & SA_TCP_NOHOLD)
			res->why = SA_TCP_W_NOHOLD;
		else if (seg->fin)
			res->why = SA_TCP_W_FIN;
		else if (rest > cfg->hold_max)
			res->why = SA_TCP_W_HOLD_MAX;
		else if (!ops->hold(arg, in + pos, rest))
			res->why = SA_TCP_W_BUDGET;
		else
			holding = true;
		if (!holding) {
			sa_tcp_lose(d, base_c + pos, base_o + o);
			r = ops->raw(arg, in + pos, rest);
			o += r;
			pos += r;
		}
	}
	if (cust_out && (d->flags & SA_TCP_CUSTODY) && o) {
		/* given up at the custody message: its bytes went out raw */
		if (d->cust_len > o)
			d->cust_len = o;
		if (!ops->keep(arg, in, d->cust_len))
			d->cust_len = 0;
		d->cust_oend = base_o + d->cust_len;
		d->flags &= ~SA_TCP_CUSTODY;
	}
	if (holding) {
		/* the time runs from the first byte of this message held */
		if (!old_held || pos)
			d->held_since = seg->now;
		d->held = rest;
		pos = in_len;
	} else {
		if (old_held || seg->regen)
			ops->hold(arg, NULL, 0);
		d->held = 0;
		/* nothing held: nothing is in custody (a copy may still be) */
		if (!o)
			d->flags &= ~SA_TCP_CUSTODY;
	}
	/* what neither went out nor is held comes again from the sender */
	if (pos < in_len || in_len < seg->held + (seg->len - seg->skip))
		res->fin_ok = false;	/* (in_len is what was kept) */
	if ((d->flags & SA_TCP_LOST) && !sa_before(base_c + pos, d->lost_c) &&
	    sa_after(base_c + pos, d->top.c)) {
		/* raw bytes past the head: the head moves with them */
		d->top.c = base_c + pos;
		d->top.o = base_o + o;
	}
	res->consumed = pos;
	res->out_len = o;
	res->held = holding;

	/*
	 * Custody: nothing goes out, the sender sent held bytes again (or
	 * custody of this message was taken before) and the receiver has
	 * every byte of output: a 1-byte duplicate of what it has makes it
	 * acknowledge at once, and that ACK is mapped to cover the held
	 * bytes.
	 */
	if (holding && !o && (d->flags & SA_TCP_ACKED) &&
	    d->acked == sa_tcp_cur(d)->o &&
	    (seg->rexmit || (d->flags & SA_TCP_CUSTODY)) &&
	    (!d->cust_len || d->cust.c == sa_tcp_cur(d)->c)) {
		if (!(d->flags & SA_TCP_CUSTODY)) {
			d->cust = *sa_tcp_cur(d);
			d->cust_len = 0;
			d->cust_oend = 0;
		}
		d->flags |= SA_TCP_CUSTODY;
		res->custody = true;
		res->probe = d->acked - 1;
	}
}

u32 sa_tcp_map_seq(const struct sa_tcp_dir *d, u32 c)
{
	const struct sa_tcp_pt *cur = sa_tcp_cur(d);
	int i;

	if ((d->flags & SA_TCP_LOST) && !sa_before(c, d->lost_c))
		return d->lost_o + (c - d->lost_c);
	if (!sa_before(c, cur->c))
		return cur->o;
	for (i = d->n - 1; i >= 0; i--)
		if (!sa_after(d->pt[i].c, c))
			return d->pt[i].o;
	return d->pt[0].o - (d->pt[0].c - c);
}

/* the mapping of an ACK, without remembering it */
static u32 sa_tcp_ack_c(const struct sa_tcp_dir *d, u32 a)
{
	const struct sa_tcp_pt *cur = sa_tcp_cur(d);
	int i;

	if ((d->flags & SA_TCP_LOST) && !sa_before(a, d->lost_o))
		return d->lost_c + (a - d->lost_o);
	i = sa_tcp_floor(d, a);
	if (i < 0) {
		/* an old ACK (the receiver has pt[0] since), or bytes from
		 * before numbering began, which went out as they were
		 */
		if (d->flags & SA_TCP_ACKED)
			return d->pt[0].c;
		return d->pt[0].c - (d->pt[0].o - a);
	}
	if (i != d->k)
		return d->pt[i].c;
	if (d->held && (d->flags & SA_TCP_CUSTODY))
		return cur->c + d->held;
	/* all output at the head (and a FIN after it): exact */
	if (!d->held && d->k == d->n - 1u)
		return cur->c + (a - cur->o);
	return cur->c;
}

u32 sa_tcp_map_ack(struct sa_tcp_dir *d, u32 a, bool cumulative)
{
	u32 c = sa_tcp_ack_c(d, a);
	int i;

	if (!cumulative)
		return c;
	/* ACKs beyond all output are bogus: not remembered */
	if (sa_after(a, d->top.o + 1) &&
	    !((d->flags & SA_TCP_LOST) && !sa_before(a, d->lost_o)))
		return c;
	/* held bytes now reported received: in custody */
	if ((d->flags & SA_TCP_CUSTODY) && sa_tcp_floor(d, a) == d->k &&
	    d->held > d->cust_len)
		d->cust_len = d->held;
	/* the receiver has the custody message's output: the copy may go */
	if (d->cust_len && d->cust_oend && !sa_before(a, d->cust_oend))
		d->cust_len = 0;
	/*
	 * Below where numbering began (picked up without a SYN): the receiver
	 * lacks bytes the sender will send again as they were, nothing to
	 * remember
	 */
	if (sa_before(a, d->pt[0].o))
		return c;
	if (!(d->flags & SA_TCP_ACKED) || sa_after(a, d->acked)) {
		d->acked = a;
		d->flags |= SA_TCP_ACKED;
		i = sa_tcp_floor(d, a);
		if (i > d->k) {
			/* the receiver has what was being framed again */
			d->k = i;
			d->held = 0;
			d->flags &= ~SA_TCP_CUSTODY;
		}
		if (i > 0 && i <= d->k) {
			memmove(d->pt, d->pt + i, (d->n - i) * sizeof(d->pt[0]));
			d->n -= i;
			d->k -= i;
		}
	}
	return c;
}

bool sa_tcp_map_sack(const struct sa_tcp_dir *d, u32 *s, u32 *e)
{
	u32 cs, ce;
	unsigned int i;

	if ((d->flags & SA_TCP_LOST) && !sa_before(*s, d->lost_o)) {
		cs = d->lost_c + (*s - d->lost_o);
	} else if (sa_before(*s, d->sync.o)) {
		/* before framing began: those bytes went out as they were */
		cs = d->sync.c - (d->sync.o - *s);
	} else {
		for (i = 0; i < d->n && sa_before(d->pt[i].o, *s); i++)
			;
		if (i == d->n)
			return false;
		cs = d->pt[i].c;
	}
	/* a block past all output ends there (the exact mapping past the
	 * head is for a FIN, which no SACK block covers)
	 */
	if (!sa_after(*e, d->sync.o))
		ce = d->sync.c - (d->sync.o - *e);
	else if (sa_after(*e, d->top.o) &&
		 !((d->flags & SA_TCP_LOST) && !sa_before(*e, d->lost_o)))
		ce = sa_tcp_ack_c(d, d->top.o);
	else
		ce = sa_tcp_ack_c(d, *e);
	if (!sa_after(ce, cs))
		return false;
	*s = cs;
	*e = ce;
	return true;
}

const char *sa_tcp_why_str(enum sa_tcp_why w)
{
	static const char *const names[SA_TCP_W_NOHOLD + 1] = {
		[SA_TCP_W_NONE]		= "none",
		[SA_TCP_W_GAP]		= "tcp-gap",
		[SA_TCP_W_HOLD_MAX]	= "tcp-overflow",
		[SA_TCP_W_BUDGET]	= "tcp-budget",
		[SA_TCP_W_EXPIRED]	= "tcp-hold-expired",
		[SA_TCP_W_FRAME]	= "tcp-not-sip",
		[SA_TCP_W_FIN]		= "truncated",
		[SA_TCP_W_NOHOLD]	= "tcp-no-seqadj",
	};

	if ((unsigned int)w <= SA_TCP_W_NOHOLD && names[w])
		return names[w];
	return "?";
}
