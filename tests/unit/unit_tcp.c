// SPDX-License-Identifier: GPL-2.0
/*
 * sa_tcp (kmod/core/sa_tcp.c) driven by a model: a TCP sender (Nagle,
 * retransmission timeout with new segment boundaries, tail loss probe,
 * fast retransmit), links that lose, delay and reorder packets both ways,
 * the router (sa_tcp plus a deterministic "rewrite" that grows or shrinks
 * each message), and a receiver (in-order delivery, out-of-order queue,
 * SACK, Linux's rate limit on answering out-of-window segments).
 *
 * Every run checks the invariants of sa_tcp.h:
 *   1. the receiver gets exactly the rewritten stream (messages rewritten
 *      up to where the router gave up, if it did, and the input unchanged
 *      from there), with no stall: the sender has its last byte
 *      acknowledged within the simulated time;
 *      every ACK and SACK block the sender gets covers only output the
 *      receiver has (custody aside), and never bytes not sent;
 *   2. custody only while the receiver has all output and the sender sent
 *      held bytes again;
 *   3. never more than hold_max bytes held; giving up only with a reason
 *      the run can cause (a message over hold_max, a refused hold, time);
 *   4. each message's effects exactly once (fresh), none for messages
 *      after the place the router gave up.
 *
 * Seeded: SIPALG_TCP_SEED picks the first seed, SIPALG_TCP_RUNS the runs per
 * scenario (make check: 150; make fuzz: many more). A failure names its
 * seed, to run again alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sa_tcp.h"
#include "units.h"

#define M_MAXLEN	(1 << 20)	/* input stream */
#define M_MAXMSG	512
#define M_MAXPKT	4096		/* packets in flight in the model */
#define M_SIM_MS	600000		/* 10 simulated minutes: a stall */

static uint64_t rng_state;
static bool trace;
/* what the runs of a scenario went through, for its test name */
static unsigned long n_custody, n_regen, n_lost, n_dup, n_drop, n_giveup;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint32_t rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static bool chance(unsigned int per_mille)
{
	return rnd() % 1000 < per_mille;
}

struct scen {
	const char *name;
	unsigned int loss_fwd, loss_out, loss_ack;	/* per mille */
	unsigned int jitter;		/* ms of random extra delay */
	unsigned int refuse_hold;	/* per mille of hold() refused */
	uint32_t max_msg;		/* largest message */
	uint32_t hold_max, hold_ms;
	uint32_t room;			/* output bytes per segment at most */
	bool nagle;
	unsigned int write_gap;		/* ms between the app's writes, at most */
	unsigned int giveup;		/* per mille of FRAME the caller cannot do */
};

struct pkt {
	uint32_t t;		/* delivery time */
	uint32_t id;		/* sending order: FIFO among equal times */
	uint8_t kind;		/* 0 data to router, 1 data to receiver, 2 ack to router, 3 ack to sender */
	uint32_t seq, len;
	uint32_t ack;
	uint32_t sack[3][2];
	uint8_t nsack;
	uint8_t *b;
};

/* the whole model state of one run */
struct model {
	const struct scen *sc;
	uint32_t isn;
	/* input */
	uint8_t *in;
	uint32_t in_len;
	uint32_t mstart[M_MAXMSG + 1];	/* message starts (offsets), and the end */
	uint32_t mout[M_MAXMSG + 1];	/* output offset of each message start */
	bool keepalive[M_MAXMSG];
	unsigned int nmsg;
	unsigned int fresh[M_MAXMSG];
	/* app writes */
	uint32_t wr_end[64], wr_t[64];
	unsigned int nwr;
	/* sender */
	uint32_t avail, una, nxt, rtx, cwnd, mss, last_len;
	uint32_t rto_at, tlp_at;
	unsigned int backoff, dupacks;
	bool tlp_done;
	/* router */
	struct sa_tcp_dir d;
	struct sa_tcp_cfg cfg;
	uint8_t *hold;
	uint32_t hold_len;
	uint8_t *cust;
	uint32_t cust_len;
	bool from_cust;
	uint8_t *obuf;
	uint32_t olen, oroom;
	bool ever_custody;
	/* receiver (offsets from isn in o) */
	uint8_t *rcv;
	uint8_t *have;		/* which output bytes arrived */
	uint32_t rcv_nxt;
	uint32_t oow_last;
	bool oow_ever;
	/* network */
	struct pkt q[M_MAXPKT];
	unsigned int nq;
	uint32_t ids;
	uint32_t now;
	char err[256];
};

static void merr(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void merr(struct model *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- the rewrite */

static uint32_t fnv(const uint8_t *b, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* a message's output: its bytes, shortened by 1-3 or grown by 0-5 */
static size_t rewrite(const uint8_t *msg, size_t len, uint8_t *out)
{
	uint32_t k = fnv(msg, len) % 9;

	if (k < 3) {
		memcpy(out, msg, len - (k + 1));
		return len - (k + 1);
	}
	memcpy(out, msg, len);
	memset(out + len, '#', k - 3);
	return len + k - 3;
}

static size_t rewrite_len(const uint8_t *msg, size_t len)
{
	uint32_t k = fnv(msg, len) % 9;

	return k < 3 ? len - (k + 1) : len + k - 3;
}

/* --------------------------------------------------------------- the input */

static void gen_input(struct model *m)
{
	uint32_t pos = 0, o = 0;
	unsigned int i;

	m->nmsg = rnd_in(3, 40);
	for (i = 0; i < m->nmsg; i++) {
		uint8_t *p = m->in + pos;
		uint32_t body, n;

		m->mstart[i] = pos;
		m->mout[i] = o;
		if (i && chance(80)) {
			n = rnd_in(1, 2) * 2;
			memcpy(p, "\r\n\r\n", n);
			m->keepalive[i] = true;
			pos += n;
			o += n;
			continue;
		}
		body = rnd_in(0, m->sc->max_msg);
		n = sprintf((char *)p, "OPTIONS sip:%u@x SIP/2.0\r\nVia: SIP/2.0/TCP h\r\nContent-Length: %u\r\n\r\n",
			    rnd(), body);
		memset(p + n, 'a' + i % 26, body);
		n += body;
		m->keepalive[i] = false;
		o += rewrite_len(p, n);
		pos += n;
	}
	m->mstart[m->nmsg] = pos;
	m->mout[m->nmsg] = o;
	m->in_len = pos;
	/* the app writes it in pieces, at times */
	m->nwr = rnd_in(1, 8);
	for (i = 0; i < m->nwr; i++) {
		m->wr_end[i] = i + 1 == m->nwr ? pos :
			       rnd_in(i ? m->wr_end[i - 1] : 0, pos);
		m->wr_t[i] = i ? m->wr_t[i - 1] + rnd_in(0, m->sc->write_gap) : 0;
	}
}

/* the message index starting at input offset off, or -1 */
static int msg_at(const struct model *m, uint32_t off)
{
	unsigned int lo = 0, hi = m->nmsg + 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->mstart[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo <= m->nmsg && m->mstart[lo] == off ? (int)lo : -1;
}

/*
 * The output offset of input offset off, where it is defined: a message
 * start before the place the router gave up, or any offset after it.
 * false where it is not (inside a rewritten message).
 */
static bool truth(const struct model *m, uint32_t off, uint32_t *o)
{
	int i;

	if ((m->d.flags & SA_TCP_LOST) && off >= m->d.lost_c - m->isn) {
		uint32_t lc = m->d.lost_c - m->isn;

		i = msg_at(m, lc);
		if (i < 0)
			return false;
		*o = m->mout[i] + (off - lc);
		return true;
	}
	i = msg_at(m, off);
	if (i >= 0) {
		*o = m->mout[i];
		return true;
	}
	/* inside a keep-alive: its bytes go out as they are */
	for (i = 0; i < (int)m->nmsg; i++)
		if (m->keepalive[i] && off > m->mstart[i] &&
		    off < m->mstart[i + 1]) {
			*o = m->mout[i] + (off - m->mstart[i]);
			return true;
		}
	return false;
}

/* ------------------------------------------------------------- the network */

static struct pkt *send_pkt(struct model *m, uint8_t kind, unsigned int loss)
{
	struct pkt *p;

	if (chance(loss) || m->nq == M_MAXPKT)
		return NULL;
	p = &m->q[m->nq++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->id = m->ids++;
	p->t = m->now + 2 + rnd_in(0, m->sc->jitter);
	/* a link without jitter keeps its order */
	if (!m->sc->jitter)
		p->t = m->now + 2;
	return p;
}

static void data_to(struct model *m, uint8_t kind, unsigned int loss,
		    uint32_t seq, const uint8_t *b, uint32_t len)
{
	struct pkt *p = send_pkt(m, kind, loss);

	if (!p)
		return;
	p->seq = seq;
	p->len = len;
	p->b = malloc(len ? len : 1);
	memcpy(p->b, b, len);
}

/* ---------------------------------------------------------------- sender */

static void snd_segment(struct model *m, uint32_t off, uint32_t len)
{
	data_to(m, 0, m->sc->loss_fwd, m->isn + off, m->in + off, len);
	m->last_len = len;
	if (!m->rto_at)
		m->rto_at = m->now + (200u << m->backoff);
	m->tlp_at = m->now + 30;
	m->tlp_done = false;
}

static void snd_push(struct model *m)
{
	unsigned int i;

	for (i = 0; i < m->nwr; i++)
		if (m->wr_t[i] <= m->now && m->wr_end[i] > m->avail)
			m->avail = m->wr_end[i];
	/* retransmissions first (after a timeout), with today's MSS */
	while (m->rtx < m->nxt && m->rtx - m->una < m->cwnd) {
		uint32_t len = m->nxt - m->rtx;

		if (len > m->mss)
			len = m->mss;
		snd_segment(m, m->rtx, len);
		m->rtx += len;
	}
	while (m->nxt < m->avail && m->nxt - m->una < m->cwnd) {
		uint32_t len = m->avail - m->nxt;

		if (len > m->mss)
			len = m->mss;
		if (len > m->cwnd - (m->nxt - m->una))
			len = m->cwnd - (m->nxt - m->una);
		/* Nagle: a small segment waits for everything to be acked */
		if (m->sc->nagle && len < m->mss && m->una != m->nxt)
			break;
		snd_segment(m, m->nxt, len);
		m->nxt += len;
		m->rtx = m->nxt;
	}
}

static void snd_timers(struct model *m)
{
	if (m->una == m->nxt) {
		m->rto_at = 0;
		return;
	}
	if (m->rto_at && m->now >= m->rto_at) {
		/* timeout: again from the first unacknowledged byte, new MSS */
		m->mss = rnd_in(40, 1460);
		m->rtx = m->una;
		m->cwnd = m->mss;
		if (m->backoff < 6)
			m->backoff++;
		m->rto_at = 0;
		snd_push(m);
		if (!m->rto_at)
			m->rto_at = m->now + (200u << m->backoff);
		return;
	}
	if (!m->tlp_done && m->now >= m->tlp_at) {
		/* tail loss probe: new data (past Nagle), else the last segment */
		m->tlp_done = true;
		if (m->nxt < m->avail) {
			uint32_t len = m->avail - m->nxt;

			if (len > m->mss)
				len = m->mss;
			snd_segment(m, m->nxt, len);
			m->nxt += len;
			m->rtx = m->nxt;
		} else {
			uint32_t len = m->last_len < m->nxt - m->una ?
				       m->last_len : m->nxt - m->una;

			snd_segment(m, m->nxt - len, len);
		}
		m->tlp_done = true;
	}
}

static void snd_ack(struct model *m, const struct pkt *p)
{
	uint32_t a = p->ack - m->isn;
	unsigned int i;

	if (a > m->nxt && (int32_t)(a - m->nxt) > 0) {
		merr(m, "ACK %u of bytes never sent (nxt %u)", a, m->nxt);
		return;
	}
	for (i = 0; i < p->nsack; i++) {
		uint32_t s = p->sack[i][0] - m->isn, e = p->sack[i][1] - m->isn;

		if ((int32_t)(e - m->nxt) > 0 || (int32_t)(e - s) <= 0)
			merr(m, "SACK block [%u, %u) bad (nxt %u)", s, e, m->nxt);
	}
	if ((int32_t)(a - m->una) > 0) {
		m->una = a;
		if ((int32_t)(m->rtx - a) < 0)
			m->rtx = a;
		m->backoff = 0;
		m->dupacks = 0;
		m->rto_at = m->una == m->nxt ? 0 : m->now + 200;
		if (m->cwnd < 64000)
			m->cwnd += m->mss;
	} else if (a == m->una && m->una != m->nxt && ++m->dupacks == 3) {
		/* fast retransmit of one segment */
		uint32_t len = m->nxt - m->una < m->mss ? m->nxt - m->una : m->mss;

		snd_segment(m, m->una, len);
	}
}

/* ---------------------------------------------------------------- router */

static long r_msg(void *arg, const uint8_t *msg, size_t len, uint32_t c,
		  bool fresh)
{
	struct model *m = arg;
	size_t n = rewrite_len(msg, len);
	int i = msg_at(m, c - m->isn);

	if (i < 0 || m->keepalive[i] || m->mstart[i + 1] - m->mstart[i] != len ||
	    memcmp(msg, m->in + m->mstart[i], len)) {
		merr(m, "msg() at %u (%zu bytes) is not a message of the input",
		     c - m->isn, len);
		return SA_TCP_NOROOM;
	}
	if (m->olen + n > m->oroom)
		return SA_TCP_NOROOM;
	if (fresh)
		m->fresh[i]++;
	else if (!m->fresh[i])
		merr(m, "message %d produced again before it was ever fresh", i);
	m->olen += rewrite(msg, len, m->obuf + m->olen);
	return n;
}

static long r_raw(void *arg, const uint8_t *b, size_t len)
{
	struct model *m = arg;

	if (len > m->oroom - m->olen)
		len = m->oroom - m->olen;
	memcpy(m->obuf + m->olen, b, len);
	m->olen += len;
	return len;
}

/*
 * hold_max, or while output is produced again (before top: a message
 * framed once) up to the largest message
 */
static uint32_t hold_limit(const struct model *m)
{
	return (int32_t)(sa_tcp_cur(&m->d)->c - m->d.top.c) < 0 ?
	       SA_MAX_MSG : m->cfg.hold_max;
}

static bool r_hold(void *arg, const uint8_t *b, size_t len)
{
	struct model *m = arg;
	uint32_t at = sa_tcp_cur(&m->d)->c - m->isn;

	/* refused only for more than the buffers it has (see sa_tcp.h) */
	if (len > m->hold_len && (!m->from_cust || len > m->cust_len) &&
	    chance(m->sc->refuse_hold))
		return false;
	if (len > hold_limit(m))
		merr(m, "hold() of %zu bytes, over hold_max", len);
	if (len && (at + len > m->in_len || memcmp(b, m->in + at, len)))
		merr(m, "held bytes are not the input's at %u", at);
	if (len)
		memcpy(m->hold, b, len);
	m->hold_len = len;
	return true;
}

static bool r_keep(void *arg, const uint8_t *b, size_t len)
{
	struct model *m = arg;
	uint32_t at = m->d.cust.c - m->isn;

	if (len && (at + len > m->in_len || memcmp(b, m->in + at, len)))
		merr(m, "custody bytes are not the input's at %u", at);
	if (len)
		memcpy(m->cust, b, len);
	m->cust_len = len;
	return true;
}

static const struct sa_tcp_ops r_ops = {
	.msg = r_msg,
	.raw = r_raw,
	.hold = r_hold,
	.keep = r_keep,
};

static void rtr_data(struct model *m, const struct pkt *p)
{
	struct sa_tcp_seg seg = { .seq = p->seq, .len = p->len, .now = m->now };
	struct sa_tcp_res res;
	static uint8_t inbuf[2 * 65536];
	uint32_t n;

	sa_tcp_classify(&m->d, &m->cfg, &seg);
	n_regen += seg.regen;
	switch (seg.act) {
	case SA_TCP_DROP:
		n_drop++;
		if (trace)
			fprintf(stderr, "       drop %u+%u: next %u\n", p->seq - m->isn,
				p->len, sa_tcp_next(&m->d) - m->isn);
		return;
	case SA_TCP_RAW:
		data_to(m, 1, m->sc->loss_out, seg.out, p->b, p->len);
		return;
	case SA_TCP_DUP:
		n_dup++;
		data_to(m, 1, m->sc->loss_out, seg.out, p->b, 1);
		return;
	case SA_TCP_FRAME:
		break;
	}
	if (m->sc->giveup && chance(m->sc->giveup)) {
		/* the kernel's no memory / failed copy, before any framing */
		if (!sa_tcp_giveup(&m->d, &seg)) {
			n_drop++;
			return;
		}
		if (seg.act != SA_TCP_RAW || m->d.held ||
		    !(m->d.flags & SA_TCP_LOST))
			merr(m, "given up, but not raw with nothing held");
		/* the held bytes go: the sender sends them again */
		m->hold_len = 0;
		n_giveup++;
		data_to(m, 1, m->sc->loss_out, seg.out, p->b, p->len);
		return;
	}
	if (!seg.regen && seg.held != m->hold_len)
		merr(m, "classify says %u held, the router holds %u", seg.held,
		     m->hold_len);
	if (seg.from_cust && seg.held > m->cust_len)
		merr(m, "custody regeneration wants %u bytes, %u kept", seg.held,
		     m->cust_len);
	memcpy(inbuf, seg.from_cust ? m->cust : m->hold, seg.held);
	n = p->len - seg.skip;
	memcpy(inbuf + seg.held, p->b + seg.skip, n);
	m->olen = 0;
	m->from_cust = seg.from_cust;
	sa_tcp_frame(&m->d, &m->cfg, &seg, inbuf, seg.held + n, &r_ops, m, &res);
	if (m->d.held > hold_limit(m))
		merr(m, "%u bytes held, over hold_max", m->d.held);
	if (m->d.held != m->hold_len)
		merr(m, "state says %u held, hold() kept %u", m->d.held,
		     m->hold_len);
	if (res.why == SA_TCP_W_GAP || res.why == SA_TCP_W_FRAME ||
	    res.why == SA_TCP_W_NOHOLD || res.why == SA_TCP_W_FIN ||
	    (res.why == SA_TCP_W_BUDGET && !m->sc->refuse_hold) ||
	    (res.why == SA_TCP_W_HOLD_MAX && m->sc->max_msg + 200 < m->cfg.hold_max &&
	     m->sc->room > 2 * m->sc->max_msg + 400) ||
	    (res.why == SA_TCP_W_EXPIRED && m->sc->hold_ms > M_SIM_MS))
		merr(m, "gave up framing for no cause of this run: %s",
		     sa_tcp_why_str(res.why));
	if (res.out_len)
		data_to(m, 1, m->sc->loss_out, seg.out, m->obuf, res.out_len);
	if (res.custody) {
		if (!seg.rexmit && !m->ever_custody)
			merr(m, "custody for a segment that sent nothing again");
		if ((int32_t)(m->rcv_nxt + m->isn - sa_tcp_cur(&m->d)->o) < 0)
			merr(m, "custody while the receiver lacks output");
		m->ever_custody = true;
		n_custody++;
		data_to(m, 1, m->sc->loss_out, res.probe, m->obuf, 1);
	}
}

/* the receiver has every output byte in [s, e) */
static bool rcv_has(const struct model *m, uint32_t s, uint32_t e)
{
	for (; s < e; s++)
		if (s >= m->rcv_nxt && !m->have[s])
			return false;
	return true;
}

static void rtr_ack(struct model *m, const struct pkt *p)
{
	struct pkt *q = send_pkt(m, 3, 0);
	uint32_t c, o, a = p->ack - m->isn;
	unsigned int i;
	bool custody = m->d.flags & SA_TCP_CUSTODY;
	uint32_t cust_end = sa_tcp_next(&m->d);

	c = sa_tcp_map_ack(&m->d, p->ack, true);
	if (!m->d.cust_len)
		m->cust_len = 0;
	if (!m->d.held)
		m->hold_len = 0;
	/* invariant 1: the sender learns only of output the receiver has */
	if (!(custody && c == cust_end) &&
	    (!truth(m, c - m->isn, &o) || o > m->rcv_nxt))
		merr(m, "ACK %u mapped to %u: the receiver lacks its output (%u, has %u)",
		     a, c - m->isn, truth(m, c - m->isn, &o) ? o : 0, m->rcv_nxt);
	if (!q)
		return;
	q->ack = c;
	for (i = 0; i < p->nsack; i++) {
		uint32_t s = p->sack[i][0], e = p->sack[i][1], os, oe;

		if (!sa_tcp_map_sack(&m->d, &s, &e))
			continue;
		if (!truth(m, s - m->isn, &os) || !truth(m, e - m->isn, &oe) ||
		    !rcv_has(m, os, oe))
			merr(m, "SACK [%u, %u) mapped to [%u, %u) beyond it",
			     p->sack[i][0] - m->isn, p->sack[i][1] - m->isn,
			     s - m->isn, e - m->isn);
		q->sack[q->nsack][0] = s;
		q->sack[q->nsack][1] = e;
		q->nsack++;
	}
}

/* -------------------------------------------------------------- receiver */

static void rcv_send_ack(struct model *m)
{
	struct pkt *p = send_pkt(m, 2, m->sc->loss_ack);
	uint32_t i = m->rcv_nxt, lim = m->mout[m->nmsg] + 64;

	if (!p)
		return;
	p->ack = m->isn + m->rcv_nxt;
	/* SACK blocks: the first runs of bytes above rcv_nxt */
	while (i < lim && p->nsack < 3) {
		uint32_t s;

		while (i < lim && !m->have[i])
			i++;
		if (i >= lim)
			break;
		s = i;
		while (i < lim && m->have[i])
			i++;
		p->sack[p->nsack][0] = m->isn + s;
		p->sack[p->nsack][1] = m->isn + i;
		p->nsack++;
	}
}

static void rcv_data(struct model *m, const struct pkt *p)
{
	uint32_t s = p->seq - m->isn, e = s + p->len, i;
	uint32_t lim = m->mout[m->nmsg] + 64;

	if ((int32_t)(e - m->rcv_nxt) < 0) {
		/* out of window (Linux: tcp_sequence): answered 2 per second */
		if (!m->oow_ever || m->now - m->oow_last >= 500) {
			m->oow_ever = true;
			m->oow_last = m->now;
			rcv_send_ack(m);
		}
		return;
	}
	for (i = 0; i < p->len; i++) {
		uint32_t at = s + i;

		if ((int32_t)(at - m->rcv_nxt) < 0)
			continue;	/* a duplicate: the first copy stays */
		if (at >= lim) {
			merr(m, "output byte at %u, past the whole output", at);
			return;
		}
		if (!m->have[at]) {
			m->have[at] = 1;
			m->rcv[at] = p->b[i];
		}
	}
	while (m->rcv_nxt < lim && m->have[m->rcv_nxt])
		m->rcv_nxt++;
	rcv_send_ack(m);
}

/* ------------------------------------------------------------------- run */


static void deliver(struct model *m, struct pkt *p)
{
	if (trace)
		fprintf(stderr, "%6u %s seq %u len %u ack %u | cur %u/%u held %u top %u/%u acked %u k %u n %u fl %x\n",
			m->now, (const char *[]){ "data>rtr", "data>rcv", "ack>rtr", "ack>snd" }[p->kind],
			p->seq - m->isn, p->len, p->ack - m->isn,
			sa_tcp_cur(&m->d)->c - m->isn, sa_tcp_cur(&m->d)->o - m->isn,
			m->d.held, m->d.top.c - m->isn, m->d.top.o - m->isn,
			m->d.acked - m->isn, m->d.k, m->d.n, m->d.flags);
	switch (p->kind) {
	case 0:
		rtr_data(m, p);
		break;
	case 1:
		rcv_data(m, p);
		break;
	case 2:
		rtr_ack(m, p);
		break;
	case 3:
		snd_ack(m, p);
		break;
	}
	free(p->b);
}

static bool run_one(const struct scen *sc, uint64_t seed, char *why, size_t wl)
{
	struct model *m = calloc(1, sizeof(*m));
	uint32_t exp_len, lc, o;
	bool ok = true;
	unsigned int i;
	int li;

	rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
	m->sc = sc;
	m->in = malloc(M_MAXLEN);
	m->obuf = malloc(2 * 65536);
	m->hold = malloc(SA_MAX_MSG + 1);
	m->cust = malloc(SA_MAX_MSG + 1);
	m->rcv = calloc(1, M_MAXLEN + 65536);
	m->have = calloc(1, M_MAXLEN + 65536);
	m->isn = rnd();
	m->cfg.hold_max = sc->hold_max;
	m->cfg.hold_ms = sc->hold_ms;
	m->oroom = sc->room;
	gen_input(m);
	sa_tcp_init(&m->d, m->isn, 0, true);
	m->mss = rnd_in(40, 1460);
	m->cwnd = rnd_in(2, 30) * m->mss;

	for (m->now = 0; m->now < M_SIM_MS && !m->err[0]; m->now++) {
		snd_push(m);
		snd_timers(m);
		for (;;) {
			int best = -1;
			struct pkt p;

			for (i = 0; i < m->nq; i++)
				if (m->q[i].t <= m->now &&
				    (best < 0 || m->q[i].t < m->q[best].t ||
				     (m->q[i].t == m->q[best].t &&
				      m->q[i].id < m->q[best].id)))
					best = i;
			if (best < 0)
				break;
			p = m->q[best];
			m->q[best] = m->q[--m->nq];
			deliver(m, &p);
		}
		if (m->una == m->in_len && !m->nq)
			break;
	}
	for (i = 0; i < m->nq; i++)
		free(m->q[i].b);

	/* what the receiver should have: rewritten up to where it gave up */
	lc = m->in_len;
	if (m->d.flags & SA_TCP_LOST) {
		lc = m->d.lost_c - m->isn;
		n_lost++;
	}
	li = msg_at(m, lc);
	if (!m->err[0] && li < 0)
		merr(m, "gave up framing at %u, not a message start", lc);
	if (!m->err[0] && m->una != m->in_len)
		merr(m, "stalled: %u of %u bytes acknowledged after %u s (held %u, custody %d)",
		     m->una, m->in_len, m->now / 1000, m->d.held,
		     !!(m->d.flags & SA_TCP_CUSTODY));
	if (!m->err[0]) {
		o = m->mout[li];
		exp_len = o + (m->in_len - lc);
		if (m->rcv_nxt != exp_len)
			merr(m, "receiver has %u bytes, expected %u", m->rcv_nxt,
			     exp_len);
		for (i = 0; i < (unsigned int)li && !m->err[0]; i++) {
			uint8_t tmp[70000];
			size_t n;

			if (m->keepalive[i]) {
				if (memcmp(m->rcv + m->mout[i], m->in + m->mstart[i],
					   m->mstart[i + 1] - m->mstart[i]))
					merr(m, "keep-alive %u differs", i);
				continue;
			}
			n = rewrite(m->in + m->mstart[i],
				    m->mstart[i + 1] - m->mstart[i], tmp);
			if (memcmp(m->rcv + m->mout[i], tmp, n))
				merr(m, "message %u differs at the receiver", i);
			if (m->fresh[i] != 1)
				merr(m, "message %u had its effects %u times", i,
				     m->fresh[i]);
		}
		if (!m->err[0] &&
		    memcmp(m->rcv + o, m->in + lc, m->in_len - lc))
			merr(m, "the unchanged rest differs at the receiver");
		for (i = li; i < m->nmsg && !m->err[0]; i++)
			if (m->fresh[i])
				merr(m, "message %u after giving up had effects", i);
	}
	if (m->err[0]) {
		snprintf(why, wl, "%s", m->err);
		ok = false;
	}
	free(m->in);
	free(m->obuf);
	free(m->hold);
	free(m->cust);
	free(m->rcv);
	free(m->have);
	free(m);
	return ok;
}

static const struct scen scens[] = {
	{ "clean, Nagle", 0, 0, 0, 0, 0, 3000, 8192, 2000, 65000, true, 700, 0 },
	{ "clean, no Nagle", 0, 0, 0, 0, 0, 3000, 8192, 2000, 65000, false, 700, 0 },
	{ "loss before the router", 50, 0, 0, 10, 0, 3000, 8192, 5000, 65000, true, 300, 0 },
	{ "loss after the router", 0, 50, 0, 10, 0, 3000, 8192, 5000, 65000, true, 300, 0 },
	{ "ACK loss", 0, 0, 100, 10, 0, 3000, 8192, 5000, 65000, false, 300, 0 },
	{ "loss everywhere, reordering", 30, 30, 30, 40, 0, 3000, 8192, 5000, 65000, true, 300, 0 },
	{ "small output room", 10, 10, 10, 10, 0, 3000, 8192, 5000, 6400, true, 300, 0 },
	{ "messages over hold_max", 10, 10, 10, 10, 0, 12000, 8192, 5000, 65000, true, 300, 0 },
	{ "holds refused (budget)", 10, 10, 10, 10, 200, 3000, 8192, 5000, 65000, true, 300, 0 },
	{ "short hold time", 10, 10, 10, 10, 0, 3000, 8192, 150, 65000, true, 900, 0 },
	{ "framing given up by the caller (no memory)", 20, 20, 20, 10, 0, 3000, 8192, 5000, 65000, true, 300, 30 },
};

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 10) : def;
}

static unsigned int cur_scen;

static void t_model(void)
{
	const struct scen *sc = &scens[cur_scen];
	unsigned int runs = env_uint("SIPALG_TCP_RUNS", 150);
	unsigned int seed0 = env_uint("SIPALG_TCP_SEED", 1), i;
	char why[300];

	t_name("tcp-model %s: %u seeded runs", sc->name, runs);
	trace = env_uint("SIPALG_TCP_TRACE", 0);
	for (i = 0; i < runs; i++) {
		if (!run_one(sc, seed0 + i, why, sizeof(why))) {
			t_fail(__FILE__, __LINE__, "seed %u: %s", seed0 + i, why);
			return;
		}
	}
	t_name("tcp-model %s: %u seeded runs (custody %lu, framed again %lu, 1-byte duplicates %lu, drops %lu, runs given up %lu, by the caller %lu)",
	       sc->name, runs, n_custody, n_regen, n_dup, n_drop, n_lost,
	       n_giveup);
}

/*
 * A connection picked up without its SYN (conntrack -F while the first 300
 * bytes were held by the conntrack before): numbering begins at the first
 * segment seen, 301; the receiver's ACK of 1 (it lacks bytes 1-300) maps
 * to 1 and is not taken as the receiver having what numbering began with;
 * the sender's retransmission of 1-300 then passes as it is, at 1.
 */
static void t_pickup(void)
{
	struct sa_tcp_cfg cfg = { .hold_max = 8192, .hold_ms = 2000 };
	struct sa_tcp_seg seg = { .seq = 301, .len = 81 };
	struct sa_tcp_dir d;

	sa_tcp_init(&d, 301, 0, false);
	T_EQ(sa_tcp_map_ack(&d, 1, true), 1);
	T_OK(!(d.flags & SA_TCP_ACKED));
	seg.seq = 1;
	seg.len = 300;
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_RAW);
	T_EQ(seg.out, 1);
}

/* the picked-up stream's first bytes are a message's tail: passed, not held */
static uint8_t pk_out[256];
static size_t pk_len;

static long pk_msg(void *arg, const uint8_t *m, size_t len, uint32_t c,
		   bool fresh)
{
	(void)arg; (void)c; (void)fresh;
	memcpy(pk_out + pk_len, m, len);
	pk_len += len;
	return len;
}

static long pk_raw(void *arg, const uint8_t *b, size_t len)
{
	return pk_msg(arg, b, len, 0, false);
}

static bool pk_hold(void *arg, const uint8_t *b, size_t len)
{
	(void)arg; (void)b;
	T_EQ(len, 0);
	return true;
}

static void t_pickup_tail(void)
{
	static const char tail[] = "ansport=tcp>\r\nContent-Length: 0\r\n\r\n";
	static const char opt[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	const struct sa_tcp_ops ops = { pk_msg, pk_raw, pk_hold, pk_hold };
	struct sa_tcp_cfg cfg = { .hold_max = 8192, .hold_ms = 2000 };
	struct sa_tcp_seg seg = { .seq = 301, .len = sizeof(tail) - 1 };
	struct sa_tcp_res res;
	struct sa_tcp_dir d;

	sa_tcp_init(&d, 301, 0, false);
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	sa_tcp_frame(&d, &cfg, &seg, (const uint8_t *)tail, seg.len, &ops,
		     NULL, &res);
	T_EQ(res.out_len, sizeof(tail) - 1);
	T_EQ(res.held, 0);
	T_EQ(d.held, 0);
	T_EQ(sa_tcp_next(&d), 301 + sizeof(tail) - 1);
	/*
	 * the receiver lacks 1-300 and SACKs the tail: the sender learns it
	 * (its fast retransmission of 1-300 follows, which passes as it is)
	 */
	{
		uint32_t s = 301, e = 301 + sizeof(tail) - 1;

		T_EQ(sa_tcp_map_ack(&d, 1, true), 1);
		T_OK(sa_tcp_map_sack(&d, &s, &e));
		T_EQ(s, 301);
		T_EQ(e, 301 + sizeof(tail) - 1);
	}
	/* the next message is framed */
	pk_len = 0;
	seg.seq = sa_tcp_next(&d);
	seg.len = sizeof(opt) - 1;
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	sa_tcp_frame(&d, &cfg, &seg, (const uint8_t *)opt, seg.len, &ops,
		     NULL, &res);
	T_EQ(res.msgs, 1);
	T_BYTES(pk_out, pk_len, opt);
}

/*
 * The caller gives up framing (no memory for the output, a failed copy):
 * from the next message start on, everything passes as it is, at the
 * offset already committed there; held bytes go (the sender has no ACK
 * for them, so it sends them again, and they pass too).
 */
static uint8_t gu_held[64];
static size_t gu_held_len;

static long gu_msg(void *arg, const uint8_t *m, size_t len, uint32_t c,
		   bool fresh)
{
	/* every message grows by 3 bytes */
	(void)arg; (void)c; (void)fresh;
	memcpy(pk_out + pk_len, m, len);
	memcpy(pk_out + pk_len + len, "###", 3);
	pk_len += len + 3;
	return len + 3;
}

static bool gu_hold(void *arg, const uint8_t *b, size_t len)
{
	(void)arg;
	if (len > sizeof(gu_held))
		return false;
	memmove(gu_held, b, len);
	gu_held_len = len;
	return true;
}

static void t_giveup(void)
{
	/* 46 bytes, then 30 of a second message */
	static const char in[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n"
				 "OPTIONS sip:c@d SIP/2.0\r\nCont";
	const struct sa_tcp_ops ops = { gu_msg, pk_raw, gu_hold, gu_hold };
	struct sa_tcp_cfg cfg = { .hold_max = 8192, .hold_ms = 2000 };
	struct sa_tcp_seg seg = { .seq = 1001, .len = 56 };
	struct sa_tcp_res res;
	struct sa_tcp_dir d, c;

	pk_len = 0;
	gu_held_len = 0;
	sa_tcp_init(&d, 1001, 0, true);
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	/* the first message out, 49 bytes; 10 of the second held */
	sa_tcp_frame(&d, &cfg, &seg, (const uint8_t *)in, 56, &ops, NULL, &res);
	T_EQ(res.out_len, 49);
	T_EQ(d.held, 10);
	T_EQ(sa_tcp_cur(&d)->c, 1047);
	T_EQ(sa_tcp_cur(&d)->o, 1050);
	T_EQ(sa_tcp_offset(&d), 3);

	/* a retransmission from 1001: its first bytes went out rewritten */
	seg = (struct sa_tcp_seg){ .seq = 1001, .len = 66 };
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	T_OK(!sa_tcp_giveup(&d, &seg));
	T_EQ(seg.act, SA_TCP_FRAME);
	T_OK(!(d.flags & SA_TCP_LOST));
	T_EQ(d.held, 10);

	/* held bytes in custody, a segment after them: they would be lost */
	c = d;
	c.flags |= SA_TCP_CUSTODY;
	seg = (struct sa_tcp_seg){ .seq = 1057, .len = 20 };
	sa_tcp_classify(&c, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	T_OK(!sa_tcp_giveup(&c, &seg));
	T_OK(!(c.flags & SA_TCP_LOST));

	/* the next segment, 1057+20, cannot be framed: it goes at 1060 */
	seg = (struct sa_tcp_seg){ .seq = 1057, .len = 20 };
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_FRAME);
	T_EQ(seg.held, 10);
	T_OK(sa_tcp_giveup(&d, &seg));
	T_EQ(seg.act, SA_TCP_RAW);
	T_EQ(seg.out, 1060);
	T_EQ(d.held, 0);
	T_OK(d.flags & SA_TCP_LOST);
	T_EQ(d.lost_c, 1047);
	T_EQ(d.lost_o, 1050);
	/* the committed offset stays: the kernel's adjustment is unchanged */
	T_EQ(sa_tcp_offset(&d), 3);
	T_EQ(sa_tcp_map_seq(&d, 1077), 1080);

	/* the held bytes come again from the sender: raw, at 1050 */
	seg = (struct sa_tcp_seg){ .seq = 1047, .len = 10 };
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_RAW);
	T_EQ(seg.out, 1050);
	/* and later ones: raw, 3 on */
	seg = (struct sa_tcp_seg){ .seq = 1077, .len = 100 };
	sa_tcp_classify(&d, &cfg, &seg);
	T_EQ(seg.act, SA_TCP_RAW);
	T_EQ(seg.out, 1080);
	/* ACKs: below the first message's end and after it, by the offset */
	T_EQ(sa_tcp_map_ack(&d, 1050, true), 1047);
	T_EQ(sa_tcp_map_ack(&d, 1180, true), 1177);
	/* a second give-up changes nothing */
	seg = (struct sa_tcp_seg){ .seq = 1177, .len = 5, .act = SA_TCP_FRAME };
	sa_tcp_giveup(&d, &seg);
	T_EQ(d.lost_c, 1047);
	T_EQ(d.lost_o, 1050);
}

void units_tcp(void)
{
	t_run("tcp: picked up without a SYN, the bytes before pass as they are", t_pickup);
	t_run("tcp: picked up inside a message: its tail passes, the next is framed", t_pickup_tail);
	t_run("tcp: framing given up by the caller: raw from the next message start, at its offset", t_giveup);
	unsigned int only = env_uint("SIPALG_TCP_SCEN", 0);

	for (cur_scen = 0; cur_scen < sizeof(scens) / sizeof(scens[0]); cur_scen++)
		if (!only || only == cur_scen + 1)
			t_run("tcp-model", t_model);
}
