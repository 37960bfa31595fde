// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: the NAT mapping of a connection as the core sees it, and the
 * pinholes (conntrack expectations) for media and for inbound signalling to
 * registered phones.
 *
 * Media: for every m= line of an SDP body, whose address is its sender's own
 * address, the receiver will send RTP and RTCP to the address the SDP shows
 * after the rewrite. An expectation for each lets that media in and NATs it
 * to the sender's real address and port (sipalg_media_follow). For a sender
 * behind the NAT the port shown is the first free pair from its own port
 * upwards, in steps of 2, so the public port is the one the pinhole holds.
 *
 * Where the media comes from: the pinhole admits (any port of) the address
 * that the other party's latest SDP of the call names for the same m= line
 * (RFC 3264 pairs offer and answer by their index), as written by that
 * party, before any rewrite: a proxy or a trunk's SIP server relays the
 * signalling, a media server or the far phone elsewhere sends the media.
 * Until the other party's SDP passes (an offer waiting for its answer), and
 * when it names no usable address (none, 0.0.0.0, another family), the
 * signalling peer (the receiver of the message) is the source. Each SDP
 * passing records what it names (struct sipalg_msrc) and moves the other
 * side's pinholes of the call that admit another source to the one it
 * names (sipalg_src_learn). Under the media-any policy the pinholes admit
 * any source, as the in-tree helper's sip_direct_media=0 does.
 *
 * Calls: one signalling connection (a PBX's trunk) carries many calls, so
 * each media expectation is remembered with its call (a keyed hash of the
 * Call-ID) in a table per connection. A BYE, a CANCEL or a final failure of
 * an INVITE removes that call's pinholes only; an SDP (offer or answer:
 * INVITE, re-INVITE, UPDATE, PRACK, ACK, their responses), once its
 * message passes, removes the pinholes its sender's earlier SDP of the call
 * opened and this one no longer names (hold with a=inactive or port 0, a
 * moved port). A pinhole the table does not know (table full, no memory,
 * the first packet of a connection, a message without Call-ID) is removed,
 * as it always was, by the end of any call of the connection; counted in
 * sipalg_pins_untracked.
 *
 * Registrations: a REGISTER from behind the NAT opens a permanent, inactive
 * expectation from the registrar to the Contact's public address, made
 * active with the registration's lifetime by a 2xx, removed by an
 * expires=0, a final failure or the lifetime's end.
 *
 * HA pair: on a backup router, conntrackd's copies of the first router's
 * pinholes arrive as class 0 with sipalg's media functions, tied to no call
 * the helper knows (sipalg_exp_copy). They go with the end of any call of
 * the connection, as untracked pinholes do, and whenever one is in the way
 * of a pinhole sipalg opens (sipalg_expect_related, counted in
 * sipalg_pins_stale).
 *
 * Limits (sipalg_pin_check, before every nf_ct_expect_related, so that
 * they hold on every kernel whatever copy of the expectation policy it
 * registered): one SDP opens at most call_pinholes media pinholes; a
 * connection holds at most pinhole_table media expectations and, per
 * class, the policy's max_expected (so the kernel never evicts a pinhole
 * of another call to make room); all its expectations together at most
 * pinhole_share percent of nf_conntrack_expect_max; a registration opens
 * pinholes for at most reg_contacts Contacts and none below port 1024
 * unless reg_low_ports is set. Each refusal is counted by reason
 * (SIPALG_CTR_PINHOLE_REFUSED) and logged, rate-limited, naming the flow.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_helper.h>
#include <net/ipv6.h>

#include "sipalg.h"
#include "compat.h"

/* the lowest unprivileged port (the kernel's PROT_SOCK) */
#define SIPALG_PORT_UNPRIV	1024

/*
 * The pinhole table of a connection. An expectation of the connection is
 * identified by its direction and destination port: the kernel replaces an
 * expectation of the same master, class and tuple, and the tuple's
 * addresses follow from the direction. pin[] is sorted by (dir, port); a
 * pin may outlive its expectation (used by the media, expired): the dead
 * ones are collected when the table is full, before it grows.
 *
 * Bounds: at most sipalg_pin_max pins (the media classes' max_expected
 * together, so that after collection the live ones always fit), allocated
 * (GFP_ATOMIC) as the connection's calls need them: one allocation of
 * 56 bytes (kmalloc-64) for a first audio call (its 4 pins, RTP and RTCP
 * both ways, of 8 bytes after the 24-byte header), doubled with krealloc
 * when mostly live, freed with the connection's object (struct
 * sipalg_conn: helper destroy callback, or module unload).
 * Only a confirmed conntrack gets one: the kernel frees an unconfirmed one
 * (its first packet dropped) without calling the destroy callback.
 *
 * Locking: a table hangs from its connection's object and is only touched
 * under sipalg_ct_lock(ct); expectations are only looked at under
 * nf_conntrack_expect_lock, taken inside it.
 *
 * Call-IDs are hashed (siphash, folded to 32 bits) with a random key that
 * a peer does not know, so it cannot make two collide on purpose; by
 * chance, two of n calls of one connection share a hash with odds of about
 * n^2 / 2^33. Should two calls of a connection share a hash,
 * the end of one removes the other's pinholes not yet used by the media;
 * nothing worse.
 */
struct sipalg_pin {
	u32 call;		/* sipalg_call_id() of the call */
	u16 port;		/* the expectation's destination port */
	u8 dir:2;		/* the expectation's direction, | SIPALG_PIN_OUT */
	u8 media:6;		/* index of the m= line that opened it */
	u8 mark;		/* SIPALG_PIN_* */
};

/*
 * dir of an outbound pin (sipalg_out_open): the NATed side's own media
 * leaving from its public port; its port is the expectation's source port
 * (the sender's real one), as its destination is the other party's.
 */
#define SIPALG_PIN_OUT		0x02

/*
 * Where a side's media comes from: the address its latest SDP of the call
 * named for m= line media (as written, before any rewrite). src[] is
 * sorted by (call, dir, media). At most sipalg_pin_max of them (an m= line
 * named is a pinhole pair on the other side), allocated as needed like
 * pin[], freed with the table; those of a call go with its end, and when
 * the table is full those whose call holds no pin are collected. Past the
 * bound the signalling peer stays the source (counted in
 * sipalg_src_unknown).
 */
struct sipalg_msrc {
	u32 call;		/* sipalg_call_id() of the call */
	u8 dir;			/* direction of the SDP's message */
	u8 media;		/* m= line index */
	u8 live;		/* collection mark */
	union nf_inet_addr addr;
	u16 rtp, rtcp;		/* its ports there (rtcp 0: none) */
};

/*
 * first allocation: an audio call's two sides, 56 bytes (kmalloc-64; 4
 * took kmalloc-128)
 */
#define SIPALG_SRC_MIN		2

static void sipalg_src_drop_call(struct sipalg_calls *c, u32 call);

#define SIPALG_PIN_FRESH	0x01	/* named by the message being handled */
#define SIPALG_PIN_LIVE		0x02	/* its expectation exists (collection) */
#define SIPALG_PIN_RTCP		0x04	/* the RTCP one of its pair */

/* sipalg_pkt.sdp: what the message's SDP did */
#define SIPALG_SDP_NONE		0	/* none, or no call to tie it to */
#define SIPALG_SDP_WHOLE	1	/* every pinhole it names is open */
#define SIPALG_SDP_PART		2	/* some could not be opened */

/*
 * first allocation: an audio call's RTP and RTCP both ways, 56 bytes
 * (kmalloc-64; 7 pins took kmalloc-96)
 */
#define SIPALG_PINS_MIN		4

struct sipalg_calls {
	u16 n;
	u16 size;
	bool untracked;		/* it may have media expectations pin[] lacks */
	u16 n_src;
	u16 size_src;
	struct sipalg_msrc *src;	/* sorted by sipalg_src_key() */
	struct sipalg_pin pin[];
};

static siphash_key_t sipalg_call_key __read_mostly;
unsigned int sipalg_pin_max __read_mostly = SIPALG_PINS_MIN;
/* the expectation policy the helpers were registered with (main.c) */
static const struct nf_conntrack_expect_policy *sipalg_exp_pol;

/*
 * The limits (module parameters, read at each use): see the top of the
 * file and README, "Limits".
 */
unsigned int sipalg_call_pins __read_mostly = SIPALG_CALL_PINS_DEFAULT;
unsigned int sipalg_pin_table __read_mostly = SIPALG_PIN_TABLE_DEFAULT;
unsigned int sipalg_pin_share __read_mostly = SIPALG_PIN_SHARE_DEFAULT;
bool sipalg_reg_low_ports __read_mostly;
unsigned int sipalg_reg_contacts __read_mostly = SIPALG_REG_CONTACTS_DEFAULT;

SIPALG_PARAM_UINT_RANGE(call_pins, 0, 2 * SA_MAX_MEDIA);
module_param_cb(call_pinholes, &sipalg_call_pins_ops, &sipalg_call_pins, 0644);
MODULE_PARM_DESC(call_pinholes,
		 "most media pinholes one side's SDP of a call opens (default 4: audio and video, RTP and RTCP)");

SIPALG_PARAM_UINT_RANGE(pin_table, 1, SIPALG_PIN_TABLE_MAX);
module_param_cb(pinhole_table, &sipalg_pin_table_ops, &sipalg_pin_table, 0644);
MODULE_PARM_DESC(pinhole_table,
		 "most media pinholes one connection holds (default 128, at most 224)");

SIPALG_PARAM_UINT_RANGE(pin_share, 1, 100);
module_param_cb(pinhole_share, &sipalg_pin_share_ops, &sipalg_pin_share, 0644);
MODULE_PARM_DESC(pinhole_share,
		 "percent of nf_conntrack_expect_max one connection's pinholes may take (default 10)");

module_param_named(reg_low_ports, sipalg_reg_low_ports, bool, 0644);
MODULE_PARM_DESC(reg_low_ports,
		 "REGISTER Contacts on ports below 1024 open pinholes (default N)");

SIPALG_PARAM_UINT_RANGE(reg_contacts, 0, SIPALG_REG_CONTACTS_MAX);
module_param_cb(reg_contacts, &sipalg_reg_contacts_ops, &sipalg_reg_contacts, 0644);
MODULE_PARM_DESC(reg_contacts,
		 "most Contacts of a connection's registration that open pinholes (default 2, at most 4)");

/*
 * nf_conntrack_expect_max, which the kernel does not export: read from its
 * sysctl at load and again, from a work item, at most every 10 s when a
 * pinhole is checked (or at once after the kernel refused one for a full
 * table). Until a read succeeds, the kernel's default (4 per bucket).
 */
#define SIPALG_EXPECT_MAX_FILE	"/proc/sys/net/netfilter/nf_conntrack_expect_max"
#define SIPALG_EXPECT_MAX_AGE	(10 * HZ)

unsigned int sipalg_expect_max __read_mostly;
static unsigned long sipalg_expect_max_at;

static void sipalg_expect_max_read(struct work_struct *work)
{
	struct file *f;
	loff_t pos = 0;
	char buf[16];
	ssize_t n;
	unsigned int v;

	f = filp_open(SIPALG_EXPECT_MAX_FILE, O_RDONLY, 0);
	if (IS_ERR(f))
		return;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (!kstrtouint(buf, 10, &v) && v)
		WRITE_ONCE(sipalg_expect_max, v);
}

static DECLARE_WORK(sipalg_expect_max_work, sipalg_expect_max_read);

static void sipalg_expect_max_refresh(bool now)
{
	unsigned long at = READ_ONCE(sipalg_expect_max_at);

	/* at once, but not more than once a second under a flood */
	if (time_before(jiffies, at + (now ? HZ : SIPALG_EXPECT_MAX_AGE)))
		return;
	WRITE_ONCE(sipalg_expect_max_at, jiffies);
	schedule_work(&sipalg_expect_max_work);
}

atomic_long_t sipalg_pins_untracked = ATOMIC_LONG_INIT(0);
atomic_long_t sipalg_src_unknown = ATOMIC_LONG_INIT(0);
atomic_long_t sipalg_pins_stale = ATOMIC_LONG_INIT(0);

module_param_cb(untracked_pinholes, &sipalg_param_counter_ops,
		&sipalg_pins_untracked, 0444);
MODULE_PARM_DESC(untracked_pinholes,
		 "media pinholes not tracked per call (read only): removed by the end of any call of their connection");

module_param_cb(unrecorded_media_sources, &sipalg_param_counter_ops,
		&sipalg_src_unknown, 0444);
MODULE_PARM_DESC(unrecorded_media_sources,
		 "media sources an SDP named that a full table could not record (read only): their pinholes admit the signalling peer");

module_param_cb(stale_pinholes, &sipalg_param_counter_ops, &sipalg_pins_stale,
		0444);
MODULE_PARM_DESC(stale_pinholes,
		 "expectations of a connection removed because they were in the way of a pinhole it needed (read only): copies from conntrackd, stale ones");

static int sipalg_expect_max_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(sipalg_expect_max));
}

static const struct kernel_param_ops sipalg_expect_max_ops = {
	.set = sipalg_param_ro_set,
	.get = sipalg_expect_max_get,
};

module_param_cb(expect_max, &sipalg_expect_max_ops, NULL, 0444);
MODULE_PARM_DESC(expect_max,
		 "nf_conntrack_expect_max as last read, the base of pinhole_share (read only)");

/* the most expectations one connection may hold: its share of the table */
unsigned int sipalg_share_cap(void)
{
	unsigned int max, share, cap, floor;

	sipalg_expect_max_refresh(false);
	max = READ_ONCE(sipalg_expect_max);
	share = READ_ONCE(sipalg_pin_share);
	cap = (unsigned int)div_u64((u64)max * share, 100);
	/* never less than one call's: both sides' pinholes and the outbound ones */
	floor = 3 * READ_ONCE(sipalg_call_pins);
	return max(cap, floor);
}

/*
 * May the connection open n more expectations of class? 0, or the reason
 * it may not (SIPALG_R_*). Counts what the kernel holds for it, whatever
 * made them (an expectation that replaces one of the same tuple is counted
 * as new: the bound errs on the safe side).
 */
unsigned int sipalg_pin_check(const struct nf_conn *ct, unsigned int class,
			      unsigned int n)
{
	const struct nf_conn_help *help = nfct_help(ct);
	unsigned int all = 0, media = 0, c, v;

	if (!help)
		return SIPALG_R_TABLE_FULL;
	for (c = 0; c < SIPALG_EXP_MAX; c++) {
		v = READ_ONCE(help->expecting[c]);
		all += v;
		if (c != SIPALG_EXP_SIGNALLING)
			media += v;
	}
	if (READ_ONCE(help->expecting[class]) + n > sipalg_exp_pol[class].max_expected)
		return SIPALG_R_TABLE_FULL;
	if (class != SIPALG_EXP_SIGNALLING &&
	    media + n > READ_ONCE(sipalg_pin_table))
		return SIPALG_R_TABLE_FULL;
	if (all + n > sipalg_share_cap())
		return SIPALG_R_SHARE;
	return 0;
}

/* a pinhole to port that a bound refused: counted, logged naming the flow */
static void sipalg_pin_refused(const struct sipalg_pkt *p, unsigned int reason,
			       u16 port)
{
	const struct nf_conntrack_tuple *t =
		&p->ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const char *proto = p->l4proto == IPPROTO_TCP ? "tcp" : "udp";

	sipalg_count_p(p, SIPALG_CTR_PINHOLE_REFUSED, reason);
	if (reason == SIPALG_R_KERNEL_FULL)
		sipalg_expect_max_refresh(true);
	if (!net_ratelimit())
		return;
	if (nf_ct_l3num(p->ct) == NFPROTO_IPV4)
		pr_info("pinhole to port %u refused (%s) on %s %pI4:%u -> %pI4:%u\n",
			port, sipalg_reason_name(reason), proto,
			&t->src.u3.ip, ntohs(t->src.u.all),
			&t->dst.u3.ip, ntohs(t->dst.u.all));
	else
		pr_info("pinhole to port %u refused (%s) on %s [%pI6c]:%u -> [%pI6c]:%u\n",
			port, sipalg_reason_name(reason), proto,
			&t->src.u3.in6, ntohs(t->src.u.all),
			&t->dst.u3.in6, ntohs(t->dst.u.all));
}

/* the message's call: keyed hash of its Call-ID, 0 when it has none */
static u32 sipalg_call_id(const u8 *msg, const struct sa_msg *m)
{
	u64 h;

	if (!m->call_id.len)
		return 0;
	h = siphash(msg + m->call_id.off, m->call_id.len, &sipalg_call_key);
	h ^= h >> 32;
	return (u32)h ? (u32)h : 1;
}

static bool sipalg_exp_media(const struct nf_conntrack_expect *exp)
{
	return exp->class != SIPALG_EXP_SIGNALLING;
}

static void sipalg_media_expected(struct nf_conn *ct,
				  struct nf_conntrack_expect *exp);
static void sipalg_media_out_expected(struct nf_conn *ct,
				      struct nf_conntrack_expect *exp);

/*
 * A copy of a media pinhole made through ctnetlink: conntrackd (1.4.7, as
 * t-84 measured it on 6.12), committing on a backup router, loses the
 * first router's class, so they arrive as class 0, and their expectation
 * function too. sipalg gives class 0 only to registration pinholes, always
 * PERMANENT (nf_nat_follow_master): one with a media function, or one
 * without that flag, is such a copy. No call the helper knows holds it; it goes with
 * the media pinholes (a call's end that finds no table, or one that knows
 * of untracked pinholes) and whenever it is in the way of a pinhole sipalg
 * needs (sipalg_expect_related). It never counts as a registration's.
 */
static bool sipalg_exp_copy(const struct nf_conntrack_expect *exp)
{
	return exp->class == SIPALG_EXP_SIGNALLING &&
	       (exp->expectfn == sipalg_media_expected ||
		exp->expectfn == sipalg_media_out_expected ||
		!(READ_ONCE(exp->flags) & NF_CT_EXPECT_PERMANENT));
}

/* a registration pinhole (not a copy of a media one) */
static bool sipalg_exp_reg(const struct nf_conntrack_expect *exp)
{
	return exp->class == SIPALG_EXP_SIGNALLING && !sipalg_exp_copy(exp);
}

/* a media expectation's pin key (dir, port) */
static void sipalg_exp_key(const struct nf_conntrack_expect *exp,
			   unsigned int *dir, u16 *port)
{
	if (exp->expectfn == sipalg_media_out_expected) {
		*dir = exp->dir | SIPALG_PIN_OUT;
		*port = ntohs(exp->tuple.src.u.udp.port);
	} else {
		*dir = exp->dir;
		*port = ntohs(exp->tuple.dst.u.udp.port);
	}
}

static u32 sipalg_pin_key(unsigned int dir, u16 port)
{
	return (u32)dir << 16 | port;
}

/*
 * The binary search of the connection's two sorted tables: the index of
 * the entry with key, or where it would go. key_at(c, i) is the key of
 * entry i; always inlined, so that it is a direct call for each table.
 */
static __always_inline unsigned int
sipalg_table_pos(const struct sipalg_calls *c, unsigned int n, u64 key,
		 u64 (*key_at)(const struct sipalg_calls *c, unsigned int i),
		 bool *found)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		u64 k = key_at(c, mid);

		if (k == key) {
			*found = true;
			return mid;
		}
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static u64 sipalg_pin_key_at(const struct sipalg_calls *c, unsigned int i)
{
	return sipalg_pin_key(c->pin[i].dir, c->pin[i].port);
}

/* the index of the pin (dir, port), or where it would go */
static unsigned int sipalg_pin_pos(const struct sipalg_calls *c,
				   unsigned int dir, u16 port, bool *found)
{
	return sipalg_table_pos(c, c->n, sipalg_pin_key(dir, port),
				sipalg_pin_key_at, found);
}

/* the connection's table, if it has one */
static struct sipalg_calls *sipalg_calls_find(const struct nf_conn *ct)
{
	const struct sipalg_conn *conn = sipalg_conn(ct);

	if (!(sipalg_ct_data(ct)->flags & SIPALG_F_CALLS) || !conn)
		return NULL;
	return conn->calls;
}

/* the connection's table, made when first needed */
static struct sipalg_calls *sipalg_calls_get(struct nf_conn *ct)
{
	struct sipalg_ct *d = sipalg_ct_data(ct);
	const struct nf_conn_help *help = nfct_help(ct);
	struct sipalg_conn *conn;
	struct sipalg_calls *c;
	unsigned int class;

	/* unconfirmed: the kernel would free it without the destroy callback */
	if (!nf_ct_is_confirmed(ct))
		return NULL;
	conn = sipalg_conn_get(ct);
	if (!conn)
		return NULL;
	c = conn->calls;
	if (c && (d->flags & SIPALG_F_CALLS))
		return c;
	if (!c) {
		c = kzalloc(struct_size(c, pin, SIPALG_PINS_MIN),
			    GFP_ATOMIC | __GFP_NOWARN);
		if (!c)
			return NULL;
		c->size = SIPALG_PINS_MIN;
		conn->calls = c;
	}
	c->n = 0;
	/* pinholes opened before the table: the first packet's, say */
	c->untracked = false;
	for (class = SIPALG_EXP_AUDIO; class < SIPALG_EXP_MAX; class++)
		if (READ_ONCE(help->expecting[class]))
			c->untracked = true;
	/* and copies from the other router of an HA pair */
	if (!c->untracked && READ_ONCE(help->expecting[SIPALG_EXP_SIGNALLING])) {
		struct nf_conntrack_expect *exp;

		spin_lock_bh(&nf_conntrack_expect_lock);
		hlist_for_each_entry(exp, &help->expectations, lnode)
			if (sipalg_exp_copy(exp))
				c->untracked = true;
		spin_unlock_bh(&nf_conntrack_expect_lock);
	}
	d->flags |= SIPALG_F_CALLS;
	return c;
}

/* the connection's object goes (conn.c) */
void sipalg_calls_release(struct sipalg_calls *c)
{
	if (c)
		kfree(c->src);
	kfree(c);
}

/* keep the pins whose expectation still exists */
static void sipalg_pins_collect(struct sipalg_calls *c, struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	unsigned int i, j, kdir;
	bool found;
	u16 kport;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (!sipalg_exp_media(exp))
			continue;
		sipalg_exp_key(exp, &kdir, &kport);
		i = sipalg_pin_pos(c, kdir, kport, &found);
		if (found)
			c->pin[i].mark |= SIPALG_PIN_LIVE;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = j = 0; i < c->n; i++) {
		if (!(c->pin[i].mark & SIPALG_PIN_LIVE))
			continue;
		c->pin[i].mark &= ~SIPALG_PIN_LIVE;
		c->pin[j++] = c->pin[i];
	}
	c->n = j;
}

/*
 * Room for one more pin: collect the dead ones, grow up to the bound. The
 * table may move (*cp is updated); its bucket is under the same lock.
 */
static bool sipalg_pins_room(struct sipalg_calls **cp, struct nf_conn *ct)
{
	unsigned int limit = min(READ_ONCE(sipalg_pin_max),
				 READ_ONCE(sipalg_pin_table)), size;
	struct sipalg_calls *c = *cp, *nc;

	if (c->n < c->size && c->n < limit)
		return true;
	sipalg_pins_collect(c, ct);
	if (c->n >= limit)
		return false;
	/* grow only when mostly live, so that collecting pays */
	if (c->n < c->size - c->size / 4)
		return true;
	size = min(max_t(unsigned int, 2 * c->size, SIPALG_PINS_MIN), limit);
	if (size <= c->size)
		return c->n < c->size;
	nc = krealloc(c, struct_size(c, pin, size), GFP_ATOMIC | __GFP_NOWARN);
	if (!nc)
		return c->n < c->size;	/* c is untouched */
	nc->size = size;
	sipalg_conn(ct)->calls = nc;
	*cp = nc;
	return true;
}

/* the expectation (dir, port) was just made for the message's call */
static void sipalg_pin_add(struct sipalg_pkt *p, struct sipalg_calls **cp,
			   unsigned int dir, u16 port, unsigned int media,
			   u8 mark)
{
	struct sipalg_calls *c = *cp;
	struct sipalg_pin *pin;
	unsigned int i;
	bool found;

	if (c && p->call) {
		i = sipalg_pin_pos(c, dir, port, &found);
		if (!found && sipalg_pins_room(cp, p->ct)) {
			/* collecting may have moved it, growing the table */
			c = *cp;
			i = sipalg_pin_pos(c, dir, port, &found);
			if (!found) {
				memmove(&c->pin[i + 1], &c->pin[i],
					(c->n - i) * sizeof(*c->pin));
				c->n++;
				found = true;
			}
		}
		if (found) {
			pin = &c->pin[i];
			pin->call = p->call;
			pin->port = port;
			pin->dir = dir;
			pin->media = media;
			pin->mark = SIPALG_PIN_FRESH | mark;
			return;
		}
	}
	if (c)
		c->untracked = true;
	atomic_long_inc(&sipalg_pins_untracked);
}

/*
 * Would a and b, expectations of one connection, clash: does a packet
 * exist that both would take? The kernel's rule: equal destinations, and
 * equal sources where both masks look.
 */
static bool sipalg_exp_clash(const struct nf_conntrack_expect *a,
			     const struct nf_conntrack_expect *b)
{
	struct nf_conntrack_tuple_mask m;
	unsigned int i;

	m.src.u.all = a->mask.src.u.all & b->mask.src.u.all;
	for (i = 0; i < ARRAY_SIZE(m.src.u3.all); i++)
		m.src.u3.all[i] = a->mask.src.u3.all[i] & b->mask.src.u3.all[i];
	return nf_ct_tuple_mask_cmp(&a->tuple, &b->tuple, &m);
}

/*
 * An expectation of the connection in the way of a new pinhole that no
 * call the helper knows holds: a copy (sipalg_exp_copy), or a media one
 * that the table c, knowing every pinhole of the connection, does not
 * hold. A registration's, or a pinhole of a known call, is never stale.
 */
static bool sipalg_exp_stale(const struct sipalg_calls *c,
			     const struct nf_conntrack_expect *exp)
{
	unsigned int kdir;
	bool found;
	u16 kport;

	if (sipalg_exp_copy(exp))
		return true;
	if (!sipalg_exp_media(exp) || !c || c->untracked)
		return false;
	sipalg_exp_key(exp, &kdir, &kport);
	sipalg_pin_pos(c, kdir, kport, &found);
	return !found;
}

/*
 * nf_ct_expect_related() for a pinhole of the message's connection (c: its
 * table, may be NULL). The kernel refuses a pinhole when an expectation
 * with the same tuple but another class is there (-EALREADY), or one that
 * would take some of its packets (-EBUSY). When those in its way on this
 * connection are stale (sipalg_exp_stale: on a backup router, conntrackd's
 * copies of the first router's pinholes, which rtrB's BYE of their call
 * may not remove), they go, each counted (stale_pinholes, and as a pinhole
 * removed), and the kernel is asked once more; never more than once.
 */
static int sipalg_expect_related(struct sipalg_pkt *p,
				 const struct sipalg_calls *c,
				 struct nf_conntrack_expect *exp)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *old;
	struct hlist_node *next;
	unsigned int n = 0;
	int ret;

	ret = nf_ct_expect_related(exp, 0);
	if ((ret != -EALREADY && ret != -EBUSY) || !help)
		return ret;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry_safe(old, next, &help->expectations, lnode) {
		if (!sipalg_exp_clash(old, exp) || !sipalg_exp_stale(c, old))
			continue;
		sipalg_mon_pin(p, old, false);
		nf_ct_unlink_expect(old);
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	if (!n)
		return ret;
	atomic_long_add(n, &sipalg_pins_stale);
	while (n--)
		sipalg_count_p(p, SIPALG_CTR_PINHOLE_EXPIRED, 0);
	return nf_ct_expect_related(exp, 0);
}

/*
 * Whether a pin goes: the call's (end of a call), or (the side's new SDP,
 * sdp) those of the call in direction dir that the SDP did not name.
 */
static bool sipalg_pin_goes(const struct sipalg_pin *pin, u32 call,
			    unsigned int dir, bool sdp)
{
	if (!call || pin->call != call)
		return false;
	return !sdp || (pin->dir == dir && !(pin->mark & SIPALG_PIN_FRESH));
}

/*
 * Remove the pins that go (sipalg_pin_goes) and their pinholes; at the end
 * of a call (!sdp) every untracked pinhole too.
 */
static void sipalg_pins_remove(struct sipalg_pkt *p, struct sipalg_calls *c,
			       unsigned int dir, bool sdp)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *exp;
	struct hlist_node *next;
	unsigned int i, j, n = 0, kdir;
	bool found;
	u16 kport;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry_safe(exp, next, &help->expectations, lnode) {
		if (sipalg_exp_copy(exp)) {
			/* no pin is a copy's: it goes as an untracked one */
			found = false;
		} else if (sipalg_exp_media(exp)) {
			sipalg_exp_key(exp, &kdir, &kport);
			i = sipalg_pin_pos(c, kdir, kport, &found);
		} else {
			continue;
		}
		if (found ? !sipalg_pin_goes(&c->pin[i], p->call, dir, sdp) :
			    sdp || !c->untracked)
			continue;
		sipalg_mon_pin(p, exp, false);
		nf_ct_unlink_expect(exp);
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = j = 0; i < c->n; i++)
		if (!sipalg_pin_goes(&c->pin[i], p->call, dir, sdp))
			c->pin[j++] = c->pin[i];
	c->n = j;
	if (!sdp) {
		c->untracked = false;
		sipalg_src_drop_call(c, p->call);
	}
	while (n--)
		sipalg_count_p(p, SIPALG_CTR_PINHOLE_EXPIRED, 0);
}

static u64 sipalg_src_key(u32 call, unsigned int dir, unsigned int media)
{
	return (u64)call << 16 | dir << 8 | media;
}

static u64 sipalg_src_key_at(const struct sipalg_calls *c, unsigned int i)
{
	const struct sipalg_msrc *r = &c->src[i];

	return sipalg_src_key(r->call, r->dir, r->media);
}

/* the index of the record key, or where it would go */
static unsigned int sipalg_src_pos(const struct sipalg_calls *c, u64 key,
				   bool *found)
{
	return sipalg_table_pos(c, c->n_src, key, sipalg_src_key_at, found);
}

/* what the call's side dir named for m= line media, or NULL */
static const struct sipalg_msrc *
sipalg_src_rec(const struct sipalg_calls *c, u32 call, unsigned int dir,
	       unsigned int media)
{
	unsigned int i;
	bool found;

	if (!c || !call)
		return NULL;
	i = sipalg_src_pos(c, sipalg_src_key(call, dir, media), &found);
	return found ? &c->src[i] : NULL;
}

/* where the media of m= line media of the call's side dir comes from */
static const union nf_inet_addr *
sipalg_src_find(const struct sipalg_calls *c, u32 call, unsigned int dir,
		unsigned int media)
{
	const struct sipalg_msrc *r = sipalg_src_rec(c, call, dir, media);

	return r ? &r->addr : NULL;
}

/* the call ends: its records go */
static void sipalg_src_drop_call(struct sipalg_calls *c, u32 call)
{
	unsigned int i, j;

	if (!call)
		return;
	for (i = j = 0; i < c->n_src; i++)
		if (c->src[i].call != call)
			c->src[j++] = c->src[i];
	c->n_src = j;
}

/* a refused stream: its record goes */
static void sipalg_src_del(struct sipalg_calls *c, u32 call, unsigned int dir,
			   unsigned int media)
{
	unsigned int i;
	bool found;

	i = sipalg_src_pos(c, sipalg_src_key(call, dir, media), &found);
	if (!found)
		return;
	memmove(&c->src[i], &c->src[i + 1], (c->n_src - i - 1) * sizeof(*c->src));
	c->n_src--;
}

/* keep the records a pin of their call still uses */
static void sipalg_src_collect(struct sipalg_calls *c)
{
	unsigned int i, j;
	bool found;

	for (i = 0; i < c->n; i++) {
		const struct sipalg_pin *pin = &c->pin[i];

		j = sipalg_src_pos(c, sipalg_src_key(pin->call, pin->dir,
						     pin->media), &found);
		if (found)
			c->src[j].live = 1;
	}
	for (i = j = 0; i < c->n_src; i++) {
		if (!c->src[i].live)
			continue;
		c->src[i].live = 0;
		c->src[j++] = c->src[i];
	}
	c->n_src = j;
}

/* room for one more record: grow up to the bound, then collect */
static bool sipalg_src_room(struct sipalg_calls *c)
{
	unsigned int limit = READ_ONCE(sipalg_pin_max), size;
	struct sipalg_msrc *ns;

	if (c->n_src < c->size_src && c->n_src < limit)
		return true;
	if (c->n_src >= limit) {
		sipalg_src_collect(c);
		return c->n_src < limit && c->n_src < c->size_src;
	}
	size = min(max_t(unsigned int, 2 * c->size_src, SIPALG_SRC_MIN), limit);
	ns = krealloc(c->src, size * sizeof(*ns), GFP_ATOMIC | __GFP_NOWARN);
	if (!ns)
		return false;
	c->src = ns;
	c->size_src = size;
	return true;
}

/* record that the media of m= line media of the call's side dir comes from a */
static void sipalg_src_set(struct sipalg_calls *c, u32 call, unsigned int dir,
			   unsigned int media, const union nf_inet_addr *a,
			   u16 rtp, u16 rtcp)
{
	u64 key = sipalg_src_key(call, dir, media);
	struct sipalg_msrc *r;
	unsigned int i;
	bool found;

	i = sipalg_src_pos(c, key, &found);
	if (!found) {
		if (!sipalg_src_room(c)) {
			atomic_long_inc(&sipalg_src_unknown);
			return;
		}
		/* collecting may have moved it */
		i = sipalg_src_pos(c, key, &found);
		memmove(&c->src[i + 1], &c->src[i],
			(c->n_src - i) * sizeof(*c->src));
		c->n_src++;
	}
	r = &c->src[i];
	r->call = call;
	r->dir = dir;
	r->media = media;
	r->live = 0;
	r->addr = *a;
	r->rtp = rtp;
	r->rtcp = rtcp;
}

/*
 * An SDP's address as a source of media on this connection: an IP literal
 * of the connection's family, not the unspecified address (the old way to
 * hold a call, RFC 2543).
 */
static bool sipalg_sdp_src(const struct nf_conn *ct, const struct sa_ip *ip,
			   union nf_inet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (nf_ct_l3num(ct) == NFPROTO_IPV4) {
		if (ip->family != 4)
			return false;
		memcpy(&a->ip, ip->addr, 4);
		return a->ip != 0;
	}
	if (ip->family != 6)
		return false;
	memcpy(a->ip6, ip->addr, 16);
	return !ipv6_addr_any(&a->in6);
}

/*
 * The pinhole of pin (the call's side pin->dir sends to it) admits a
 * instead of another single source: a new expectation with the same tuple
 * but its source. The old one goes first, so the new one never makes the
 * kernel evict another pinhole at the class's bound.
 */
static void sipalg_pin_move(struct sipalg_pkt *p, const struct sipalg_pin *pin,
			    const union nf_inet_addr *a)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *exp, *old;
	union nf_inet_addr dst, saved_addr;
	union nf_conntrack_man_proto saved_proto;
	void (*fn)(struct nf_conn *ct, struct nf_conntrack_expect *exp);
	unsigned int class = 0;
	__be16 port = htons(pin->port);
	int ret;

	exp = nf_ct_expect_alloc(p->ct);
	if (!exp)
		return;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(old, &help->expectations, lnode) {
		if (!sipalg_exp_media(old) || old->dir != pin->dir ||
		    old->expectfn == sipalg_media_out_expected ||
		    old->tuple.dst.u.udp.port != port)
			continue;
		/* any source (media-any), or already this one: stays */
		if (nf_inet_addr_cmp(&old->tuple.src.u3, a) ||
		    !old->mask.src.u3.all[0])
			break;
		class = old->class;
		dst = old->tuple.dst.u3;
		saved_addr = old->saved_addr;
		saved_proto = old->saved_proto;
		fn = old->expectfn;
		nf_ct_unlink_expect(old);
		spin_unlock_bh(&nf_conntrack_expect_lock);

		nf_ct_expect_init(exp, class, nf_ct_l3num(p->ct), a, &dst,
				  IPPROTO_UDP, NULL, &port);
		exp->dir = pin->dir;
		exp->saved_addr = saved_addr;
		exp->saved_proto = saved_proto;
		exp->expectfn = fn;
		ret = sipalg_expect_related(p, sipalg_calls_find(p->ct), exp);
		if (ret) {
			sipalg_count_p(p, SIPALG_CTR_PINHOLE_EXPIRED, 0);
			net_info_ratelimited("media pinhole for port %u not moved: %d\n",
					     pin->port, ret);
		}
		nf_ct_expect_put(exp);
		return;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	nf_ct_expect_put(exp);
}

/* the call's outbound pins and their expectations go */
static void sipalg_out_remove(struct sipalg_pkt *p, struct sipalg_calls *c)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *exp;
	struct hlist_node *next;
	unsigned int i, j, kdir;
	bool found;
	u16 kport;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry_safe(exp, next, &help->expectations, lnode) {
		if (exp->expectfn != sipalg_media_out_expected)
			continue;
		sipalg_exp_key(exp, &kdir, &kport);
		i = sipalg_pin_pos(c, kdir, kport, &found);
		if (found && c->pin[i].call == p->call)
			nf_ct_unlink_expect(exp);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = j = 0; i < c->n; i++)
		if (!(c->pin[i].call == p->call &&
		      (c->pin[i].dir & SIPALG_PIN_OUT)))
			c->pin[j++] = c->pin[i];
	c->n = j;
}

/* an outbound pin to make: a pinhole of the call towards a NATed receiver */
struct sipalg_out_todo {
	u16 port;
	u8 dir;
	u8 media;
	u8 rtcp;
};

#define SIPALG_OUT_MAX		16

/*
 * Outbound media: the NATed side's RTP and RTCP leave the NAT from the
 * public ports its SDP showed, so that the other party reaches it on one
 * mapping whether it answers to the source (latching) or sends to the
 * SDP's port; else the NAT's own choice of port for the phone's first
 * packet takes the reply tuple the other party's media needs. For each
 * pinhole of the call towards a NATed receiver whose other party's SDP
 * named an address and port, an expectation for the receiver's own media:
 * from its real address and port to that address and port, source-NATed
 * to the pinhole's public address and port (sipalg_media_out_expected).
 * Where one already covers that flow (the other party's own address:
 * the pinholes its SDP opened) the kernel refuses the clash and that one
 * stays. Rebuilt whenever an SDP of the call passes; tracked as the
 * call's pins (dir | SIPALG_PIN_OUT), so the call's end removes them.
 */
static void sipalg_out_open(struct sipalg_pkt *p, struct sipalg_calls **cp)
{
	const struct nf_conntrack_tuple_hash *th = p->ct->tuplehash;
	struct nf_conn_help *help = nfct_help(p->ct);
	struct sipalg_out_todo todo[SIPALG_OUT_MAX];
	union nf_inet_addr pub, real, to;
	struct nf_conntrack_expect *exp;
	const struct sipalg_msrc *r;
	__be16 real_port, dport;
	unsigned int n = 0, i, class, why;
	bool found;
	int ret;

	sipalg_out_remove(p, *cp);
	for (i = 0; i < (*cp)->n && n < SIPALG_OUT_MAX; i++) {
		const struct sipalg_pin *pin = &(*cp)->pin[i];

		if (pin->call != p->call || (pin->dir & SIPALG_PIN_OUT))
			continue;
		todo[n].port = pin->port;
		todo[n].dir = pin->dir;
		todo[n].media = pin->media;
		todo[n].rtcp = !!(pin->mark & SIPALG_PIN_RTCP);
		n++;
	}
	for (i = 0; i < n; i++) {
		r = sipalg_src_rec(*cp, p->call, todo[i].dir, todo[i].media);
		if (!r || !(todo[i].rtcp ? r->rtcp : r->rtp))
			continue;
		to = r->addr;
		/*
		 * The other party's own address, NATed too (a hairpin): the
		 * receiver sends to the rewritten one, which the other
		 * party's own pinholes cover.
		 */
		if (nf_inet_addr_cmp(&to, &th[todo[i].dir].tuple.src.u3) &&
		    !nf_inet_addr_cmp(&to, &th[!todo[i].dir].tuple.dst.u3))
			continue;
		dport = htons(todo[i].rtcp ? r->rtcp : r->rtp);
		found = false;
		spin_lock_bh(&nf_conntrack_expect_lock);
		hlist_for_each_entry(exp, &help->expectations, lnode) {
			if (!sipalg_exp_media(exp) ||
			    exp->expectfn == sipalg_media_out_expected ||
			    exp->dir != todo[i].dir ||
			    ntohs(exp->tuple.dst.u.udp.port) != todo[i].port)
				continue;
			class = exp->class;
			pub = exp->tuple.dst.u3;
			real = exp->saved_addr;
			real_port = exp->saved_proto.udp.port;
			found = true;
			break;
		}
		spin_unlock_bh(&nf_conntrack_expect_lock);
		/* a receiver that is not NATed sends from where it is */
		if (!found || nf_inet_addr_cmp(&pub, &real))
			continue;
		why = sipalg_pin_check(p->ct, class, 1);
		if (why) {
			sipalg_pin_refused(p, why, ntohs(real_port));
			continue;
		}
		exp = nf_ct_expect_alloc(p->ct);
		if (!exp)
			break;
		nf_ct_expect_init(exp, class, nf_ct_l3num(p->ct), &real, &to,
				  IPPROTO_UDP, &real_port, &dport);
		exp->dir = !todo[i].dir;
		exp->saved_addr = pub;
		exp->saved_proto.udp.port = htons(todo[i].port);
		exp->expectfn = sipalg_media_out_expected;
		ret = sipalg_expect_related(p, *cp, exp);
		if (ret == 0)
			sipalg_pin_add(p, cp, exp->dir | SIPALG_PIN_OUT,
				       ntohs(real_port), todo[i].media, 0);
		else if (ret == -EMFILE)
			sipalg_pin_refused(p, SIPALG_R_KERNEL_FULL,
					   ntohs(real_port));
		nf_ct_expect_put(exp);
	}
}

/*
 * The message's SDP passes: record where its sender's media comes from,
 * per m= line (a refused line, port 0, forgets it; an inactive one or one
 * without a usable address keeps what the side named before), and move the
 * pinholes of the
 * call that its sender's media is to use (direction p->dir) to those
 * sources.
 */
static void sipalg_src_learn(struct sipalg_pkt *p, struct sipalg_calls **cp,
			     const struct sa_msg *m)
{
	struct sipalg_calls *c = *cp;
	const union nf_inet_addr *a;
	union nf_inet_addr addr;
	unsigned int i;

	for (i = 0; i < m->sdp.n_media && i < SA_MAX_MEDIA; i++) {
		const struct sa_media *md = &m->sdp.media[i];

		if (!md->rtp_port) {
			sipalg_src_del(c, p->call, p->dir, i);
			continue;
		}
		if (md->dir == SA_MD_INACTIVE ||
		    !sipalg_sdp_src(p->ct, &md->addr, &addr))
			continue;
		sipalg_src_set(c, p->call, p->dir, i, &addr, md->rtp_port,
			       md->rtcp_port);
	}
	if (!(p->policy & SIPALG_POLICY_MEDIA_ANY)) {
		for (i = 0; i < c->n; i++) {
			const struct sipalg_pin *pin = &c->pin[i];

			if (pin->call != p->call || pin->dir != p->dir)
				continue;
			a = sipalg_src_find(c, p->call, p->dir, pin->media);
			if (a)
				sipalg_pin_move(p, pin, a);
		}
	}
	sipalg_out_open(p, cp);
}

/* a message is parsed: its call, nothing done yet */
void sipalg_expect_msg_init(struct sipalg_pkt *p, const u8 *msg,
			    const struct sa_msg *m)
{
	p->call = sipalg_call_id(msg, m);
	p->sdp = SIPALG_SDP_NONE;
}

/*
 * The message passes: its sender's earlier pinholes of the call that its
 * SDP did not name again go, unless one it names could not be opened
 * (then all stay, to expire). A dropped message removes nothing: its peer
 * never saw the SDP. (Its FRESH marks stay until the side's next SDP of
 * the call: they keep pins, never remove one.)
 */
void sipalg_expect_media_done(struct sipalg_pkt *p, const struct sa_msg *m)
{
	unsigned int i, dir = !p->dir;
	struct sipalg_calls *c;

	if (p->sdp == SIPALG_SDP_NONE)
		return;
	c = sipalg_calls_find(p->ct);
	if (!c)
		return;
	if (p->sdp == SIPALG_SDP_WHOLE)
		sipalg_pins_remove(p, c, dir, true);
	for (i = 0; i < c->n; i++)
		if (c->pin[i].call == p->call && c->pin[i].dir == dir)
			c->pin[i].mark &= ~SIPALG_PIN_FRESH;
	sipalg_src_learn(p, &c, m);
	p->sdp = SIPALG_SDP_NONE;
}

/* a BYE, a CANCEL or a final failure: the call's pinholes go */
void sipalg_expect_call_end(struct sipalg_pkt *p)
{
	struct sipalg_calls *c = sipalg_calls_find(p->ct);

	if (c)
		sipalg_pins_remove(p, c, !p->dir, false);
	else
		/* nothing known per call: every media pinhole goes */
		sipalg_expect_flush(p, true, false);
}

static void sipalg_ep_from(struct sa_ep *ep, u8 l3num,
			   const union nf_inet_addr *a, __be16 port)
{
	memset(ep, 0, sizeof(*ep));
	if (l3num == NFPROTO_IPV4) {
		ep->ip.family = 4;
		memcpy(ep->ip.addr, &a->ip, 4);
	} else {
		ep->ip.family = 6;
		memcpy(ep->ip.addr, a->ip6, 16);
	}
	ep->port = ntohs(port);
}

/*
 * For tuples orig (A -> B) and reply (B' -> A'): a message in direction dir
 * is sent from tuple[dir].src and seen by the far side as from
 * tuple[!dir].dst; it is addressed to tuple[dir].dst, which really is
 * tuple[!dir].src.
 */
void sipalg_ctx_from_ct(const struct nf_conn *ct, enum ip_conntrack_dir dir,
			struct sa_ctx *ctx)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *r = &ct->tuplehash[!dir].tuple;
	u8 l3 = nf_ct_l3num(ct);

	memset(ctx, 0, sizeof(*ctx));
	ctx->transport = nf_ct_protonum(ct) == IPPROTO_TCP ? SA_T_TCP : SA_T_UDP;
	sipalg_ep_from(&ctx->src_from, l3, &t->src.u3, t->src.u.all);
	sipalg_ep_from(&ctx->src_to, l3, &r->dst.u3, r->dst.u.all);
	sipalg_ep_from(&ctx->dst_from, l3, &t->dst.u3, t->dst.u.all);
	sipalg_ep_from(&ctx->dst_to, l3, &r->src.u3, r->src.u.all);
}

static unsigned int sipalg_media_class(u8 type)
{
	switch (type) {
	case SA_MT_AUDIO:
		return SIPALG_EXP_AUDIO;
	case SA_MT_VIDEO:
		return SIPALG_EXP_VIDEO;
	default:
		return SIPALG_EXP_OTHER;
	}
}

/*
 * NAT a media connection like its signalling connection: to the address
 * and port the pinhole was opened for (the SDP's sender's real ones, as
 * nf_nat_follow_master does), and from the address the receiver knows the
 * source by. Media from the signalling peer comes from what the master's
 * NAT shows it as (a hairpin's public address), like nf_nat_follow_master;
 * media from any other host comes from that host as its SDP named it (the
 * ALG rewrites no address but the NATed side's own).
 */
static void sipalg_media_follow(struct nf_conn *ct,
				struct nf_conntrack_expect *exp)
{
	const struct nf_conn *master = ct->master;
	const union nf_inet_addr *src = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.u3;
	struct nf_nat_range2 range;

	memset(&range, 0, sizeof(range));
	range.flags = NF_NAT_RANGE_MAP_IPS;
	if (nf_inet_addr_cmp(src, &master->tuplehash[exp->dir].tuple.src.u3))
		range.min_addr = master->tuplehash[!exp->dir].tuple.dst.u3;
	else
		range.min_addr = *src;
	range.max_addr = range.min_addr;
	nf_nat_setup_info(ct, &range, NF_NAT_MANIP_SRC);

	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_proto = exp->saved_proto;
	range.max_proto = exp->saved_proto;
	range.min_addr = master->tuplehash[!exp->dir].tuple.src.u3;
	range.max_addr = range.min_addr;
	nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
}

/*
 * A media connection arrives on a pinhole: mark it so the helper (which it
 * inherits with the expectation, so that unloading the module finds it)
 * leaves its packets alone, and NAT it like the signalling connection.
 */
static void sipalg_media_expected(struct nf_conn *ct,
				  struct nf_conntrack_expect *exp)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (help)
		((struct sipalg_ct *)help->data)->flags |= SIPALG_F_MEDIA;
	if (exp->master->status & IPS_NAT_MASK)
		sipalg_media_follow(ct, exp);
}

/*
 * The NATed side's own media leaves on an outbound pinhole
 * (sipalg_out_open): from the public port its SDP showed, when that
 * mapping is free; else the NAT's own choice stays, counted as a fallback
 * (the inbound pinhole still holds the public port).
 */
static void sipalg_media_out_expected(struct nf_conn *ct,
				      struct nf_conntrack_expect *exp)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_tuple r;
	struct nf_nat_range2 range;

	if (help)
		((struct sipalg_ct *)help->data)->flags |= SIPALG_F_MEDIA;
	r = ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	r.dst.u3 = exp->saved_addr;
	r.dst.u.udp.port = exp->saved_proto.udp.port;
	if (nf_conntrack_tuple_taken(&r, ct)) {
		sipalg_count(nf_ct_net(ct), IPPROTO_UDP, sipalg_ct_port(ct),
			     SIPALG_CTR_MEDIA_PORT_FALLBACK, 0);
		return;
	}
	memset(&range, 0, sizeof(range));
	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr = exp->saved_addr;
	range.max_addr = exp->saved_addr;
	range.min_proto = exp->saved_proto;
	range.max_proto = exp->saved_proto;
	nf_nat_setup_info(ct, &range, NF_NAT_MANIP_SRC);
}

/* so that ctnetlink (conntrackd) can name it and make expectations with it */
static struct nf_ct_helper_expectfn sipalg_media_fn = {
	.name		= SIPALG_NAME,
	.expectfn	= sipalg_media_expected,
};

static struct nf_ct_helper_expectfn sipalg_media_out_fn = {
	.name		= SIPALG_NAME "-out",
	.expectfn	= sipalg_media_out_expected,
};

/* module init, before the helpers are registered */
void sipalg_expect_init(const struct nf_conntrack_expect_policy *pol)
{
	unsigned int class, n = 0;

	/* the first tables fit the slab sizes their comments give */
	BUILD_BUG_ON(struct_size((struct sipalg_calls *)NULL, pin,
				 SIPALG_PINS_MIN) > 64);
	BUILD_BUG_ON(SIPALG_SRC_MIN * sizeof(struct sipalg_msrc) > 64);

	for (class = SIPALG_EXP_AUDIO; class < SIPALG_EXP_MAX; class++)
		n += pol[class].max_expected;
	sipalg_pin_max = n;
	sipalg_exp_pol = pol;
	sipalg_expect_max = nf_ct_expect_hsize * 4;
	sipalg_expect_max_read(NULL);
	sipalg_expect_max_at = jiffies;
	get_random_bytes(&sipalg_call_key, sizeof(sipalg_call_key));
	nf_ct_helper_expectfn_register(&sipalg_media_fn);
	nf_ct_helper_expectfn_register(&sipalg_media_out_fn);
}

/* module exit (or init failing), before the helpers are unregistered */
void sipalg_expect_unregister(void)
{
	nf_ct_helper_expectfn_unregister(&sipalg_media_out_fn);
	nf_ct_helper_expectfn_unregister(&sipalg_media_fn);
}

/*
 * Module exit, after the helpers are unregistered (which waits for RCU
 * readers): expectations made through ctnetlink with our function (the
 * tables go with their connections' objects, conn.c).
 */
void sipalg_expect_exit(void)
{
	cancel_work_sync(&sipalg_expect_max_work);
	nf_ct_helper_expectfn_destroy(&sipalg_media_out_fn);
	nf_ct_helper_expectfn_destroy(&sipalg_media_fn);
}

/*
 * One expectation towards the message's sender: from src (any port; NULL:
 * any address) to the sender's public address and port pub over l4proto,
 * NATed to the sender's real address and port real, set up by fn. The
 * media's pinholes and the registration's are such.
 */
static struct nf_conntrack_expect *
sipalg_sender_exp(struct sipalg_pkt *p, unsigned int class, u8 l4proto,
		  const union nf_inet_addr *src, u16 pub, u16 real,
		  void (*fn)(struct nf_conn *ct,
			     struct nf_conntrack_expect *exp))
{
	const struct nf_conntrack_tuple *t = &p->ct->tuplehash[p->dir].tuple;
	const struct nf_conntrack_tuple *r = &p->ct->tuplehash[!p->dir].tuple;
	struct nf_conntrack_expect *exp;
	__be16 port = htons(pub);

	exp = nf_ct_expect_alloc(p->ct);
	if (!exp)
		return NULL;
	nf_ct_expect_init(exp, class, nf_ct_l3num(p->ct), src, &r->dst.u3,
			  l4proto, NULL, &port);
	exp->dir = !p->dir;
	exp->saved_addr = t->src.u3;
	exp->saved_proto.all = htons(real);
	exp->expectfn = fn;
	return exp;
}

/*
 * The source the pinholes for m= line media of the message's SDP admit:
 * what the other party's latest SDP of the call named for that line, else
 * the receiver of the message (the signalling peer); under media-any, any
 * (*any set, *a unused).
 */
static void sipalg_media_src(const struct sipalg_pkt *p,
			     const struct sipalg_calls *c, unsigned int media,
			     union nf_inet_addr *a, bool *any)
{
	const union nf_inet_addr *learnt;

	*any = p->policy & SIPALG_POLICY_MEDIA_ANY;
	learnt = sipalg_src_find(c, p->call, !p->dir, media);
	*a = learnt ? *learnt : p->ct->tuplehash[!p->dir].tuple.src.u3;
}

/*
 * RTP at pub and RTCP at pub + (rtcp - rtp), for m= line media: both, or
 * neither; remembered in the table c (may be NULL) as the message's call's.
 * *left: how many more the message's SDP may open (call_pinholes), less
 * what this opens. -ENOSPC with *why when a bound refuses the pair,
 * -EMFILE (why SIPALG_R_KERNEL_FULL) when the kernel's table is full.
 */
static int sipalg_media_pair(struct sipalg_pkt *p, struct sipalg_calls **c,
			     unsigned int class, unsigned int media, u16 pub,
			     u16 rtp, u16 rtcp, unsigned int *left,
			     unsigned int *why)
{
	struct nf_conntrack_expect *e_rtp, *e_rtcp = NULL;
	u16 pub_rtcp = pub + (rtcp - rtp);
	unsigned int need = rtcp && pub_rtcp != pub ? 2 : 1;
	union nf_inet_addr src;
	bool any;
	int ret;

	if (need > *left) {
		*why = SIPALG_R_CALL_LIMIT;
		return -ENOSPC;
	}
	*why = sipalg_pin_check(p->ct, class, need);
	if (*why)
		return -ENOSPC;
	sipalg_media_src(p, *c, media, &src, &any);
	e_rtp = sipalg_sender_exp(p, class, IPPROTO_UDP, any ? NULL : &src,
				  pub, rtp, sipalg_media_expected);
	if (!e_rtp)
		return -ENOMEM;
	if (rtcp && pub_rtcp != pub) {
		e_rtcp = sipalg_sender_exp(p, class, IPPROTO_UDP,
					   any ? NULL : &src, pub_rtcp, rtcp,
					   sipalg_media_expected);
		if (!e_rtcp) {
			nf_ct_expect_put(e_rtp);
			return -ENOMEM;
		}
	}
	ret = sipalg_expect_related(p, *c, e_rtp);
	if (ret == 0 && e_rtcp) {
		ret = sipalg_expect_related(p, *c, e_rtcp);
		if (ret)
			nf_ct_unexpect_related(e_rtp);
	}
	if (ret == -EMFILE)
		*why = SIPALG_R_KERNEL_FULL;
	if (ret == 0) {
		*left -= need;
		sipalg_count_p(p, SIPALG_CTR_PINHOLE_OPENED, 0);
		sipalg_mon_pin(p, e_rtp, true);
		if (e_rtcp)
			sipalg_mon_pin(p, e_rtcp, true);
		if (any)
			sipalg_count_p(p, SIPALG_CTR_PINHOLE_ANY_SOURCE, 0);
		sipalg_pin_add(p, c, e_rtp->dir, pub, media, 0);
		if (e_rtcp)
			sipalg_pin_add(p, c, e_rtcp->dir, pub_rtcp, media,
				       SIPALG_PIN_RTCP);
	}
	nf_ct_expect_put(e_rtp);
	if (e_rtcp)
		nf_ct_expect_put(e_rtcp);
	return ret;
}

#define SIPALG_PORT_TRIES	128
/* the farthest RTCP may sit above RTP and still be followed */
#define SIPALG_RTCP_GAP_MAX	64
/* public media ports: unprivileged, with room for RTCP above */
#define SIPALG_MEDIA_PORT_MIN	SIPALG_PORT_UNPRIV
#define SIPALG_MEDIA_PORT_MAX	(U16_MAX - SIPALG_RTCP_GAP_MAX)

/*
 * The pinholes an SDP asks for, remembered as its call's (marked FRESH
 * until sipalg_expect_media_done()).
 */
void sipalg_expect_media(struct sipalg_pkt *p, const struct sa_msg *m,
			 struct sa_ctx *ctx)
{
	bool natted = sipalg_addr_natted(ctx);
	unsigned int i, left = READ_ONCE(sipalg_call_pins), why;
	struct sipalg_calls *c;
	bool whole = true;

	c = p->call ? sipalg_calls_get(p->ct) : sipalg_calls_find(p->ct);

	for (i = 0; i < m->sdp.n_media && i < SA_MAX_MEDIA; i++) {
		const struct sa_media *md = &m->sdp.media[i];
		unsigned int class = sipalg_media_class(md->type);
		u16 rtp = md->rtp_port, rtcp = md->rtcp_port, pub;
		unsigned int tries;
		int ret = -EINVAL;

		if (!rtp || md->dir == SA_MD_INACTIVE)
			continue;
		/* RTCP elsewhere than just above RTP: too odd to follow */
		if (rtcp && (rtcp < rtp || rtcp - rtp > SIPALG_RTCP_GAP_MAX))
			rtcp = 0;
		if (sa_ip_eq(&md->addr, &ctx->src_from.ip)) {
			/* the sender's own address: try its port, then up */
			pub = rtp;
			for (tries = 0; tries < (natted ? SIPALG_PORT_TRIES : 1);
			     tries++, pub += 2) {
				if (pub < SIPALG_MEDIA_PORT_MIN ||
				    pub > SIPALG_MEDIA_PORT_MAX)
					break;
				ret = sipalg_media_pair(p, &c, class, i, pub,
							rtp, rtcp, &left, &why);
				if (ret != -EBUSY && ret != -EALREADY)
					break;
			}
			if (ret == -ENOSPC || ret == -EMFILE) {
				/*
				 * Past call_pinholes the SDP's other streams
				 * never get one: that alone still replaces
				 * the side's earlier pinholes of the call.
				 */
				if (why != SIPALG_R_CALL_LIMIT)
					whole = false;
				sipalg_pin_refused(p, why, rtp);
				continue;
			}
			if (ret) {
				whole = false;
				sipalg_count_p(p, SIPALG_CTR_UNCHANGED,
					       SIPALG_R_EXPECT_FAILED);
				net_info_ratelimited("no pinhole for media port %u: %d\n",
						     rtp, ret);
				continue;
			}
			if (natted && pub != rtp)
				ctx->media_port[i] = pub;
		} else if (natted && sa_ip_eq(&md->addr, &ctx->src_to.ip)) {
			/* already shows the public address: same port */
			ret = sipalg_media_pair(p, &c, class, i, rtp, rtp, rtcp,
						&left, &why);
			if (ret == -ENOSPC || ret == -EMFILE)
				sipalg_pin_refused(p, why, rtp);
			if (ret && !(ret == -ENOSPC && why == SIPALG_R_CALL_LIMIT))
				whole = false;
		}
	}
	if (c && p->call)
		p->sdp = whole ? SIPALG_SDP_WHOLE : SIPALG_SDP_PART;
}

/* remove this connection's expectations: media classes, signalling, or both */
void sipalg_expect_flush(struct sipalg_pkt *p, bool media, bool signalling)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *exp;
	struct hlist_node *next;
	unsigned int n = 0;

	if (!help || hlist_empty(&help->expectations))
		return;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry_safe(exp, next, &help->expectations, lnode) {
		bool sig = sipalg_exp_reg(exp);

		if ((sig && !signalling) || (!sig && !media))
			continue;
		sipalg_mon_pin(p, exp, false);
		nf_ct_unlink_expect(exp);
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	while (n--)
		sipalg_count_p(p, SIPALG_CTR_PINHOLE_EXPIRED, 0);
}

static u32 sipalg_reg_secs(s32 expires)
{
	if (expires < 0)
		return SIPALG_REG_DEFAULT_SECS;
	return min_t(u32, expires, SIPALG_REG_MAX_SECS);
}

/*
 * Whether the connection may open a registration pinhole to port: 0, or
 * why not. One to the same port replaces the one there (the kernel's
 * rule for an expectation of the same master and tuple): a refresh never
 * counts twice.
 */
static unsigned int sipalg_reg_check(struct sipalg_pkt *p, u16 port)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct nf_conntrack_expect *exp;
	unsigned int others = 0;
	bool same = false;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (!sipalg_exp_reg(exp))
			continue;
		if (ntohs(exp->tuple.dst.u.all) == port)
			same = true;
		else
			others++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	if (others >= READ_ONCE(sipalg_reg_contacts))
		return SIPALG_R_REG_CONTACTS;
	return same ? 0 : sipalg_pin_check(p->ct, SIPALG_EXP_SIGNALLING, 1);
}

/*
 * REGISTER from behind the NAT: an inactive pinhole from the registrar to
 * each Contact that names the sender's address, as rewritten; none to a
 * port below 1024 (unless reg_low_ports), at most reg_contacts of them.
 */
void sipalg_expect_register(struct sipalg_pkt *p, const struct sa_msg *m,
			    const struct sa_ctx *ctx)
{
	const struct nf_conntrack_tuple *r = &p->ct->tuplehash[!p->dir].tuple;
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	s32 expires = m->expires;
	unsigned int i, why;

	for (i = 0; i < m->n_contact && i < SA_MAX_CONTACTS; i++) {
		const struct sa_contact *c = &m->contact[i];
		struct nf_conntrack_expect *exp;
		u16 real, pub;
		int ret;

		if (c->star) {
			expires = 0;
			continue;
		}
		if (c->expires >= 0)
			expires = c->expires;
		/* an unregistration opens nothing */
		if (expires == 0)
			continue;
		if (!sa_ip_eq(&c->hp.ep.ip, &ctx->src_from.ip))
			continue;
		real = sa_hp_port(&c->hp);
		/* the Contact that named the source port now names the NAT's */
		pub = real == ctx->src_from.port ? ctx->src_to.port : real;
		/* nothing of it translated: reachable as written */
		if (!sipalg_addr_natted(ctx) && pub == real)
			continue;

		if ((real < SIPALG_PORT_UNPRIV || pub < SIPALG_PORT_UNPRIV) &&
		    !READ_ONCE(sipalg_reg_low_ports))
			why = SIPALG_R_LOW_PORT;
		else
			why = sipalg_reg_check(p, pub);
		if (why) {
			sipalg_pin_refused(p, why, pub);
			continue;
		}
		exp = sipalg_sender_exp(p, SIPALG_EXP_SIGNALLING,
					nf_ct_protonum(p->ct), &r->src.u3, pub,
					real, nf_nat_follow_master);
		if (!exp)
			break;
		/* opened by the registrar's 2xx; a refresh keeps it open */
		exp->flags = NF_CT_EXPECT_PERMANENT;
		if (!(d->flags & SIPALG_F_REGISTERED))
			exp->flags |= NF_CT_EXPECT_INACTIVE;
		ret = nf_ct_expect_related(exp, 0);
		if (ret == 0) {
			sipalg_count_p(p, SIPALG_CTR_PINHOLE_OPENED, 0);
			sipalg_mon_pin(p, exp, true);
		} else if (ret == -EMFILE) {
			sipalg_pin_refused(p, SIPALG_R_KERNEL_FULL, pub);
		} else if (ret != -EALREADY) {
			net_info_ratelimited("no registration pinhole for port %u: %d\n",
					     pub, ret);
		}
		nf_ct_expect_put(exp);
	}
	d->req_expires = expires < 0 ? -1 : (s32)sipalg_reg_secs(expires);
	d->flags |= SIPALG_F_ASKED;
}

/* the registration's lifetime as the registrar's response grants it */
static s32 sipalg_reg_granted(const struct sa_msg *m, const struct sa_ctx *ctx,
			      s32 asked)
{
	s32 best = -1;
	unsigned int i;

	for (i = 0; i < m->n_contact && i < SA_MAX_CONTACTS; i++) {
		const struct sa_contact *c = &m->contact[i];

		if (c->star || c->expires < 0)
			continue;
		/* our binding reads the public address before the reverse
		 * rewrite, the private one after
		 */
		if (!sa_ip_eq(&c->hp.ep.ip, &ctx->dst_from.ip) &&
		    !sa_ip_eq(&c->hp.ep.ip, &ctx->dst_to.ip))
			continue;
		if (c->expires > best)
			best = c->expires;
	}
	if (best >= 0)
		return best;
	if (m->expires >= 0)
		return m->expires;
	if (m->n_contact == 0)
		return asked < 0 ? 0 : asked;
	return asked;
}

/* a final response to a REGISTER, travelling back to the phone */
void sipalg_expect_register_reply(struct sipalg_pkt *p, const struct sa_msg *m,
				  const struct sa_ctx *ctx)
{
	struct nf_conn_help *help = nfct_help(p->ct);
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	struct nf_conntrack_expect *exp;
	s32 secs;

	if (m->status < 200)
		return;
	if (m->status >= 300) {
		/* a challenge leaves the pinhole waiting for the retry */
		if (sa_status_challenge(m->status))
			return;
		if (!(d->flags & SIPALG_F_REGISTERED))
			sipalg_expect_flush(p, false, true);
		return;
	}
	secs = sipalg_reg_granted(m, ctx, (d->flags & SIPALG_F_ASKED) ?
				  d->req_expires : -1);
	if (secs < 0)
		secs = SIPALG_REG_DEFAULT_SECS;
	if (secs == 0) {
		d->flags &= ~SIPALG_F_REGISTERED;
		d->reg_until = 0;
		sipalg_expect_flush(p, false, true);
		return;
	}
	secs = sipalg_reg_secs(secs);
	d->flags |= SIPALG_F_REGISTERED;
	d->reg_until = nfct_time_stamp + secs * HZ;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (!sipalg_exp_reg(exp))
			continue;
		WRITE_ONCE(exp->flags,
			   READ_ONCE(exp->flags) & ~NF_CT_EXPECT_INACTIVE);
		WRITE_ONCE(exp->timeout, nfct_time_stamp +
			   (secs + SIPALG_REG_GRACE_SECS) * HZ);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	sipalg_reg_refresh(p);
}

/* keep a registered phone's connection alive as long as its registration */
void sipalg_reg_refresh(struct sipalg_pkt *p)
{
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	s32 left;

	if (!(d->flags & SIPALG_F_REGISTERED))
		return;
	left = (s32)(d->reg_until - nfct_time_stamp);
	if (left <= 0) {
		d->flags &= ~SIPALG_F_REGISTERED;
		return;
	}
	if (nf_ct_protonum(p->ct) != IPPROTO_UDP)
		return;
	sipalg_ct_extend(p->ct, left + SIPALG_REG_GRACE_SECS * HZ);
}

/*
 * For sipalgctl calls (calls.c): the pins of call in the connection's
 * table, at most max, and whether each one's expectation is gone (taken
 * by the media, or expired). Under sipalg_ct_lock(ct).
 */
unsigned int sipalg_calls_pins(struct nf_conn *ct, u32 call,
			       struct sipalg_pin_info *out, unsigned int max)
{
	struct sipalg_calls *c = sipalg_calls_find(ct);
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	unsigned int i, n = 0, kdir;
	u16 kport;

	if (!c || !help || !call)
		return 0;
	for (i = 0; i < c->n && n < max; i++) {
		const struct sipalg_pin *pin = &c->pin[i];

		if (pin->call != call)
			continue;
		out[n].port = pin->port;
		out[n].dir = pin->dir & ~SIPALG_PIN_OUT;
		out[n].out = pin->dir & SIPALG_PIN_OUT;
		out[n].rtcp = pin->mark & SIPALG_PIN_RTCP;
		out[n].used = true;
		n++;
	}
	if (!n)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (!sipalg_exp_media(exp))
			continue;
		sipalg_exp_key(exp, &kdir, &kport);
		for (i = 0; i < n; i++)
			if (out[i].port == kport &&
			    (out[i].dir | (out[i].out ? SIPALG_PIN_OUT : 0)) == kdir)
				out[i].used = false;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return n;
}
