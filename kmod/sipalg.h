/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipalg: what the helper's files (main.c, conn.c, helper.c, udp.c, tcp.c,
 * nat.c, expect.c) share with each other. Nothing here is seen by the core
 * or the policy area.
 */
#ifndef SIPALG_SIPALG_H
#define SIPALG_SIPALG_H

#include <linux/moduleparam.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "sipcore.h"
#include "policy.h"
#include "monitor.h"

#define SIPALG_NAME		"sipalg"

/* expectation classes (indexes into the helper's expectation policy) */
enum sipalg_exp_class {
	SIPALG_EXP_SIGNALLING,	/* inbound SIP to a registered Contact */
	SIPALG_EXP_AUDIO,
	SIPALG_EXP_VIDEO,
	SIPALG_EXP_OTHER,	/* image (T.38), text, application, ... */
	SIPALG_EXP_MAX
};

/* seconds a UDP SIP flow is kept after each message (module parameter) */
extern unsigned int sipalg_sig_timeout;

/* module parameters (main.c): the .set of every read-only one */
int sipalg_param_ro_set(const char *val, const struct kernel_param *kp);
/* a counter, read-only: module_param_cb(name, &these, &its_atomic_long, 0444) */
extern const struct kernel_param_ops sipalg_param_counter_ops;

/*
 * The ops sipalg_NAME_ops of an unsigned int parameter that takes values
 * in [lo, hi] only (module_param_cb(..., &sipalg_NAME_ops, &var, 0644)).
 */
#define SIPALG_PARAM_UINT_RANGE(name, lo, hi)				\
static int sipalg_##name##_set(const char *val,			\
			       const struct kernel_param *kp)		\
{									\
	return param_set_uint_minmax(val, kp, lo, hi);			\
}									\
static const struct kernel_param_ops sipalg_##name##_ops = {		\
	.set = sipalg_##name##_set,					\
	.get = param_get_uint,						\
}

/* longest registration lifetime honoured for pinholes and ct timeouts */
#define SIPALG_REG_MAX_SECS	(24 * 3600)
/* extra time given to a registration pinhole beyond its Expires */
#define SIPALG_REG_GRACE_SECS	30
/* default registration lifetime when the messages name none (RFC 3261) */
#define SIPALG_REG_DEFAULT_SECS	3600

struct sipalg_tcp;
struct sipalg_calls;
struct sipalg_dlgs;

/*
 * What the helper keeps for one conntrack beyond the helper area, in one
 * object made on first need (conn.c): its TCP state (tcp.c) and its
 * pinhole table (expect.c). Reached from sipalg_ct.conn, freed on one
 * path (the helper's destroy callback), and on the module's list for the
 * unload walk. Its fields are only touched under sipalg_ct_lock(ct).
 */
struct sipalg_conn {
	struct list_head node;
	struct sipalg_tcp *tcp;
	struct sipalg_calls *calls;
	struct sipalg_dlgs *dlgs;	/* calls.c: what sipalgctl calls shows */
	struct nf_conn *ct;		/* its conntrack, once confirmed (dumps) */
	unsigned long id;		/* creation order (dumps resume by it) */
};

/*
 * Per-connection state in the conntrack helper extension (nfct_help_data:
 * 32 bytes at most). Written only under sipalg_ct_lock(ct).
 */
struct sipalg_ct {
	struct sipalg_conn *conn;	/* made on first need (conn.c) */
	u32 reg_until;		/* nfct_time_stamp when the registration ends */
	s32 req_expires;	/* lifetime the last REGISTER asked, if F_ASKED */
	u16 via_port[IP_CT_DIR_MAX];	/* forced response port per request dir */
	u8 flags;		/* SIPALG_F_* */
	u8 tcp_flags;		/* SIPALG_TCP_* per direction */
	u32 next_seq[IP_CT_DIR_MAX];	/* TCP: the first byte, after the SYN */
};

#define SIPALG_F_REGISTERED	0x01	/* a REGISTER got a 2xx with a lifetime */
#define SIPALG_F_MEDIA		0x02	/* a media connection: nothing to do */
#define SIPALG_F_CALLS		0x04	/* has a pinhole table (expect.c) */
/*
 * The NATed sender of direction dir writes its own public address (a host
 * with static NAT that knows it): messages to it keep that address.
 */
#define SIPALG_F_SELF_PUB(dir)	(0x08 << (dir))
/*
 * req_expires holds what a REGISTER asked. A flag, not a -1 in the field,
 * because all-zero must mean "nothing known": the helper data of a
 * conntrack made through ctnetlink (conntrackd on an HA backup) is zeroed
 * (conntrackd does not carry CTA_HELP_INFO, and sipalg has no
 * from_nlattr), and a registrar's 2xx without a lifetime must not read as
 * "expires 0" and drop the phone's pinholes.
 */
#define SIPALG_F_ASKED		0x20

#define SIPALG_TCP_SYNCED(dir)	(0x01 << (dir))	/* next_seq[dir]: from a SYN */

static inline struct sipalg_ct *sipalg_ct_data(const struct nf_conn *ct)
{
	return nfct_help_data(ct);
}

/*
 * A connection's hash (conn.c): it picks the connection's lock (its top
 * SIPALG_LOCK_BITS bits) and its bucket in tables kept beside the
 * conntrack, which that lock therefore protects.
 */
#define SIPALG_CT_HASH_BITS	10
unsigned int sipalg_ct_hash(const struct nf_conn *ct);

/*
 * The connection's object, made when first needed: NULL when there is no
 * memory or the conntrack is dying. (The kernel frees an unconfirmed
 * conntrack without the destroy callback: its object then waits for the
 * unload walk, so expect.c asks for one only on a confirmed conntrack;
 * TCP asks on a stream's first payload, which for a connection picked up
 * without its SYN is the unconfirmed first packet.) Under the lock.
 */
struct sipalg_conn *sipalg_conn_get(struct nf_conn *ct);

static inline struct sipalg_conn *sipalg_conn(const struct nf_conn *ct)
{
	return sipalg_ct_data(ct)->conn;
}

/* the dumps' walk (conn.c): a referenced conntrack of net, id <= bound */
struct nf_conn *sipalg_conn_next(const struct net *net, unsigned long bound,
				 unsigned long *id);

/* module unload, after the helpers are unregistered: every object goes */
void sipalg_conn_free_all(void);

/* hashed locks serialising the helper on one connection (conn.c) */
void sipalg_locks_init(void);
spinlock_t *sipalg_ct_lock(const struct nf_conn *ct);

/* the port whose policy and counters apply to this connection */
u16 sipalg_ct_port(const struct nf_conn *ct);

/* one message being handled: what every stage needs */
struct sipalg_pkt {
	struct sk_buff *skb;
	struct nf_conn *ct;
	enum ip_conntrack_info ctinfo;
	enum ip_conntrack_dir dir;
	unsigned int protoff;
	unsigned int dataoff;		/* payload start, from skb->data */
	struct net *net;
	u8 l4proto;
	u16 port;			/* policy / counter port */
	u32 policy;
	u32 call;			/* its Call-ID's keyed hash, 0 = none */
	u8 sdp;				/* what its SDP did (expect.c) */
	bool replay;			/* TCP: produced again, counts nothing */
	const u8 *msg;			/* the message as it came (decide) */
	unsigned int msg_len;
	struct sipalg_mon_rec *mon;	/* a monitor listens: its record */
};

/* what a message will do (sipalg_msg_decide) */
struct sipalg_decision {
	unsigned int r;			/* sa_reason or SIPALG_R_*: why not */
	bool parsed;
	bool rewrite;			/* s->plan applies */
	bool drop;			/* refused under policy strict */
	bool set_via;			/* UDP: remember via_port for p->dir */
	u8 self_pub;			/* SIPALG_SELF_*: what the sender wrote of itself */
	u16 via_port;
	u16 fwd_port;			/* UDP: send it to this port */
};

#define SIPALG_SELF_NONE	0	/* nothing that tells */
#define SIPALG_SELF_PUBLIC	1	/* its public address: it knows its NAT */
#define SIPALG_SELF_PRIVATE	2	/* its own (private) address */

/* per-CPU scratch space: the message copy, the parse and the plan */
struct sipalg_scratch {
	struct sa_msg msg;
	struct sa_plan plan;
	struct sa_ctx ctx;
	struct sipalg_mon_rec mon;
	u8 buf[SA_MAX_MSG + 1];
};

struct sipalg_scratch *sipalg_scratch_get(void);
int sipalg_scratch_alloc(void);
void sipalg_scratch_free(void);

enum sipalg_verdict {
	SIPALG_PASS,		/* forward (rewritten or not) */
	SIPALG_DROP,		/* drop the packet */
};

/* nat.c: UDP */
int sipalg_nat_prepare(struct sipalg_pkt *p, int grow);
bool sipalg_nat_apply(struct sipalg_pkt *p, unsigned int base,
		      const struct sa_plan *plan);
int sipalg_plan_growth(const struct sa_plan *plan);
void sipalg_nat_set_dport(struct sipalg_pkt *p, u16 port);
/*
 * Set a UDP or TCP header's port *field to port and update its checksum
 * *check to match (a UDP result of 0, which would mean "no checksum", is
 * sent as CSUM_MANGLED_0). The caller decides whether a UDP datagram
 * without checksum keeps none (then it does not call this).
 */
void sipalg_l4_port_set(struct sk_buff *skb, __be16 *field, __sum16 *check,
			__be16 port, bool udp);

/*
 * What the NAT does to the sender's side of ctx (from sipalg_ctx_from_ct):
 * translates its address (and maybe its port), or translates either.
 * Media goes by the first (an SDP names an address, and a NAT that keeps
 * it leaves media ports alone); the signalling's own port by the second.
 */
static inline bool sipalg_addr_natted(const struct sa_ctx *ctx)
{
	return !sa_ip_eq(&ctx->src_from.ip, &ctx->src_to.ip);
}

static inline bool sipalg_natted(const struct sa_ctx *ctx)
{
	return sipalg_addr_natted(ctx) ||
	       ctx->src_from.port != ctx->src_to.port;
}

/* expect.c */
void sipalg_ctx_from_ct(const struct nf_conn *ct, enum ip_conntrack_dir dir,
			struct sa_ctx *ctx);
void sipalg_expect_media(struct sipalg_pkt *p, const struct sa_msg *m,
			 struct sa_ctx *ctx);
void sipalg_expect_flush(struct sipalg_pkt *p, bool media, bool signalling);
void sipalg_expect_call_end(struct sipalg_pkt *p);
void sipalg_expect_msg_init(struct sipalg_pkt *p, const u8 *msg,
			    const struct sa_msg *m);
void sipalg_expect_media_done(struct sipalg_pkt *p, const struct sa_msg *m);
void sipalg_calls_release(struct sipalg_calls *c);
void sipalg_expect_init(const struct nf_conntrack_expect_policy *pol);
void sipalg_expect_unregister(void);
void sipalg_expect_exit(void);
/* most media pinholes a connection's table tracks (set by sipalg_expect_init) */
extern unsigned int sipalg_pin_max;
/*
 * The pinhole limits (module parameters, expect.c; README "Limits"): per
 * SDP of a call, per connection, its share of the kernel's table, and for
 * registrations.
 */
#define SIPALG_CALL_PINS_DEFAULT	4	/* audio + video, RTP + RTCP */
#define SIPALG_PIN_TABLE_DEFAULT	128
#define SIPALG_PIN_TABLE_MAX		224	/* the media classes' max_expected */
#define SIPALG_PIN_SHARE_DEFAULT	10	/* percent of nf_conntrack_expect_max */
#define SIPALG_REG_CONTACTS_DEFAULT	2
#define SIPALG_REG_CONTACTS_MAX		4	/* the signalling class's max_expected */
extern unsigned int sipalg_call_pins;
extern unsigned int sipalg_pin_table;
extern unsigned int sipalg_pin_share;
extern bool sipalg_reg_low_ports;
extern unsigned int sipalg_reg_contacts;
/* nf_conntrack_expect_max as last read */
extern unsigned int sipalg_expect_max;
unsigned int sipalg_share_cap(void);
unsigned int sipalg_pin_check(const struct nf_conn *ct, unsigned int class,
			      unsigned int n);
/* media pinholes opened without being tracked per call */
extern atomic_long_t sipalg_pins_untracked;
/* media sources not recorded (table full): the signalling peer stayed the source */
extern atomic_long_t sipalg_src_unknown;
/* expectations removed as stale, in the way of a pinhole (HA copies) */
extern atomic_long_t sipalg_pins_stale;
void sipalg_expect_register(struct sipalg_pkt *p, const struct sa_msg *m,
			    const struct sa_ctx *ctx);
void sipalg_expect_register_reply(struct sipalg_pkt *p, const struct sa_msg *m,
				  const struct sa_ctx *ctx);
void sipalg_reg_refresh(struct sipalg_pkt *p);

/* helper.c */
void sipalg_pkt_fill(struct sipalg_pkt *p, struct sk_buff *skb,
		     unsigned int protoff, struct nf_conn *ct,
		     enum ip_conntrack_info ctinfo);
bool sipalg_pkt_init(struct sipalg_pkt *p, struct sk_buff *skb,
		     unsigned int protoff, struct nf_conn *ct,
		     enum ip_conntrack_info ctinfo);
void sipalg_msg_decide(struct sipalg_pkt *p, struct sipalg_scratch *s,
		       const u8 *msg, unsigned int len,
		       struct sipalg_decision *dec);
void sipalg_msg_commit(struct sipalg_pkt *p, struct sipalg_scratch *s,
		       const struct sipalg_decision *dec, bool rewritten);
void sipalg_drop_log(const struct sipalg_pkt *p, const char *what,
		     unsigned int reason);
void sipalg_drop(const struct sipalg_pkt *p, const char *what,
		 unsigned int reason);

/* the transports' help(): udp.c, tcp.c */
/*
 * Only in the instrument-check build of make bench-helper (Kbuild, with
 * SIPALG_BENCH_SPIN=1): each help() call first busy-waits bench_spin_ns
 * nanoseconds, a known extra cost the measurement must show at its size.
 * The production module has no such parameter and no such code.
 */
#ifdef SIPALG_BENCH_SPIN
void sipalg_bench_spin(void);
#else
static inline void sipalg_bench_spin(void)
{
}
#endif
int sipalg_help_udp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo);
int sipalg_help_tcp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo);

/*
 * monitor.c: a message's event. sipalg_mon_start (decide) checks for a
 * listener, the one cost when there is none; sipalg_mon_pin records a
 * pinhole opened or closed; sipalg_mon_msg sends the event of a decided
 * message (verdict SIPALG_VERDICT_*), sipalg_mon_unparsed that of bytes
 * never framed as a message: a datagram refused, or TCP bytes its stream
 * gave up on (verdict, reason; no method, CSeq or Call-ID).
 */
/*
 * Only in make bench-helper's baseline build (Kbuild, SIPALG_BENCH_NOMON=1):
 * the four are empty, so a message costs nothing for the monitor, not even
 * the listener check; the production module has no such build.
 */
#ifndef SIPALG_BENCH_NOMON
void sipalg_mon_start(struct sipalg_pkt *p, struct sipalg_scratch *s);
void sipalg_mon_pin(struct sipalg_pkt *p, const struct nf_conntrack_expect *exp,
		    bool opened);
void sipalg_mon_msg(const struct sipalg_pkt *p, const struct sipalg_scratch *s,
		    const struct sipalg_decision *dec, unsigned int verdict);
void sipalg_mon_unparsed(struct sipalg_pkt *p, struct sipalg_scratch *s,
			 unsigned int len, unsigned int verdict,
			 unsigned int reason);
#else
static inline void sipalg_mon_start(struct sipalg_pkt *p,
				    struct sipalg_scratch *s)
{
	p->mon = NULL;
}

static inline void sipalg_mon_pin(struct sipalg_pkt *p,
				  const struct nf_conntrack_expect *exp,
				  bool opened)
{
}

static inline void sipalg_mon_msg(const struct sipalg_pkt *p,
				  const struct sipalg_scratch *s,
				  const struct sipalg_decision *dec,
				  unsigned int verdict)
{
}

static inline void sipalg_mon_unparsed(struct sipalg_pkt *p,
				       struct sipalg_scratch *s,
				       unsigned int len, unsigned int verdict,
				       unsigned int reason)
{
}
#endif

/* expect.c: a call's media pinholes, for sipalgctl calls */
struct sipalg_pin_info {
	u16 port;
	u8 dir;
	bool out, rtcp, used;
};

unsigned int sipalg_calls_pins(struct nf_conn *ct, u32 call,
			       struct sipalg_pin_info *out, unsigned int max);

/*
 * calls.c: the calls and registration of a connection as sipalgctl shows
 * them, kept up at commit (sipalg_dlg_commit, under the connection's
 * lock), and their netlink dumps.
 */
void sipalg_dlg_commit(struct sipalg_pkt *p, const struct sa_msg *m,
		       const struct sa_plan *plan);
void sipalg_dlgs_release(struct sipalg_dlgs *g);

/* tcp.c */
void sipalg_tcp_release(struct sipalg_tcp *t);

#if IS_ENABLED(CONFIG_SIPALG_KUNIT_TEST)
/* KUnit only: the next TCP segment framed fails this way (then 0 again) */
enum {
	SIPALG_TCP_FAIL_NONE,
	SIPALG_TCP_FAIL_NOMEM,		/* the payload's room */
	SIPALG_TCP_FAIL_COPY,		/* skb_copy_bits */
	SIPALG_TCP_FAIL_HDR,		/* the TCP header made writable */
};

extern int sipalg_tcp_fail_next;
#endif

void sipalg_destroy(struct nf_conn *ct);

static inline void sipalg_count_p(const struct sipalg_pkt *p,
				  enum sipalg_ctr ctr, unsigned int reason)
{
	/* a message produced again was counted the first time */
	if (p->replay)
		return;
	sipalg_count(p->net, p->l4proto, p->port, ctr, reason);
}

#endif /* SIPALG_SIPALG_H */
