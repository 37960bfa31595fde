// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: what `sipalgctl monitor` shows. Every SIP message the helper
 * handles gives one event, sent when its outcome is known: at commit
 * (helper.c, sipalg_msg_commit: forwarded, rewritten or not) or where it
 * is dropped (udp.c). A TCP message the router held over several segments
 * is committed once, when it leaves whole; a retransmission produced again
 * is not committed, so it gives no event.
 *
 * The events go to the family's multicast group "monitor" of the
 * message's network namespace only (genlmsg_multicast_netns), and only a
 * socket with CAP_NET_ADMIN in the namespace's user namespace may join it
 * (GENL_MCAST_CAP_NET_ADMIN, see compat.h). When nobody listens, the whole
 * cost is the genl_has_listeners() check of sipalg_mon_start(), once per
 * message: p->mon stays NULL and nothing else runs.
 *
 * Packet path: nothing sleeps (GFP_ATOMIC), nothing waits for the
 * listener. An event that cannot go (no memory, a listener's socket full,
 * over monitor_rate per second) is lost and counted (SIPALG_CTR_MON_LOST,
 * `sipalgctl stats`: monitor-lost). Bounds: an event is at most
 * SIPALG_MON_SIZE bytes; each line's text at most SIPALG_EV_LINE_MAX,
 * the Call-ID at most SIPALG_EV_CALLID_MAX (cut, and marked so); lines or
 * pinholes that do not fit are counted in the event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "sipalg.h"
#include "monitor.h"
#include "compat.h"

const struct genl_multicast_group sipalg_mcgrps[SIPALG_N_MCGRPS] = {
	{ .name = SIPALG_MCGRP_MONITOR, .flags = SIPALG_MCAST_ADMIN },
};

/* bytes of one event message: fits an order-1 allocation with its skb */
#define SIPALG_MON_SIZE		6144

static unsigned int sipalg_mon_rate = 10000;
module_param_named(monitor_rate, sipalg_mon_rate, uint, 0444);
MODULE_PARM_DESC(monitor_rate,
		 "most monitor events sent per second, all namespaces (default 10000; fixed at load); more are lost and counted");

static struct ratelimit_state sipalg_mon_rs;

int sipalg_mon_init(void)
{
	ratelimit_state_init(&sipalg_mon_rs, HZ, max(sipalg_mon_rate, 1U));
	/* a lost event is counted; the log stays quiet */
	ratelimit_set_flags(&sipalg_mon_rs, RATELIMIT_MSG_ON_RELEASE);
	return 0;
}

#ifdef SIPALG_BENCH_NOMON
/* make bench-helper checks for this tag (scripts/bench-helper.sh) */
MODULE_INFO(sipalg_bench, "nomon");
#else
static bool sipalg_mon_listening(struct net *net)
{
	return genl_has_listeners(&sipalg_genl_family, net, 0);
}

void sipalg_mon_start(struct sipalg_pkt *p, struct sipalg_scratch *s)
{
	p->mon = NULL;
	if (!sipalg_mon_listening(p->net))
		return;
	s->mon.n_pins = 0;
	s->mon.pins_cut = 0;
	p->mon = &s->mon;
}

void sipalg_mon_pin(struct sipalg_pkt *p, const struct nf_conntrack_expect *exp,
		    bool opened)
{
	struct sipalg_mon_rec *r = p->mon;
	struct sipalg_mon_pin *x;

	if (!r)
		return;
	if (r->n_pins >= SIPALG_MON_PINS) {
		r->pins_cut++;
		return;
	}
	x = &r->pin[r->n_pins++];
	x->opened = opened;
	x->class = exp->class;
	x->l4proto = exp->tuple.dst.protonum;
	x->src = exp->tuple.src.u3;
	x->any_src = nf_inet_addr_cmp(&exp->mask.src.u3,
				      &(union nf_inet_addr){});
	x->dst = exp->tuple.dst.u3;
	x->dport = exp->tuple.dst.u.all;
}

/* a string attribute of at most max bytes of b[0..n): cut when longer */
static int sipalg_mon_put_text(struct sk_buff *skb, int type, const u8 *b,
			       size_t n, size_t max, bool *cut)
{
	struct nlattr *a;

	if (n > max) {
		n = max;
		*cut = true;
	}
	a = nla_reserve(skb, type, n + 1);
	if (!a)
		return -EMSGSIZE;
	memcpy(nla_data(a), b, n);
	((u8 *)nla_data(a))[n] = 0;
	return 0;
}

static int sipalg_mon_put_tuple(struct sk_buff *skb, int type, int alen,
				const union nf_inet_addr *src, __be16 sport,
				const union nf_inet_addr *dst, __be16 dport)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put(skb, SIPALG_TUP_SRC, alen, src) ||
	    nla_put_u16(skb, SIPALG_TUP_SPORT, ntohs(sport)) ||
	    nla_put(skb, SIPALG_TUP_DST, alen, dst) ||
	    nla_put_u16(skb, SIPALG_TUP_DPORT, ntohs(dport)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* the lines the plan changed, each as it came and as it leaves */
static int sipalg_mon_put_edits(struct sk_buff *skb, const struct sipalg_pkt *p,
				const struct sipalg_scratch *s)
{
	const struct sa_plan *plan = &s->plan;
	struct sa_line_edit le;
	struct nlattr *nest, *a;
	u32 cut = 0;
	u16 i = 0;
	bool c;

	while (i < plan->n) {
		i = sa_line_next(p->msg, p->msg_len, &s->msg, plan, i, &le);
		if (cut) {
			cut++;
			continue;
		}
		c = false;
		nest = nla_nest_start(skb, SIPALG_EV_EDIT);
		if (!nest)
			goto full;
		if (nla_put_u8(skb, SIPALG_EDIT_WHERE, le.where) ||
		    nla_put_u32(skb, SIPALG_EDIT_N, le.n) ||
		    sipalg_mon_put_text(skb, SIPALG_EDIT_NAME,
					p->msg + le.name.off, le.name.len, 64,
					&c) ||
		    sipalg_mon_put_text(skb, SIPALG_EDIT_BEFORE, p->msg + le.off,
					le.len, SIPALG_EV_LINE_MAX, &c))
			goto cancel;
		a = nla_reserve(skb, SIPALG_EDIT_AFTER,
				min_t(u32, le.new_len, SIPALG_EV_LINE_MAX) + 1);
		if (!a)
			goto cancel;
		((u8 *)nla_data(a))[sa_line_apply(p->msg, plan, &le, nla_data(a),
						  SIPALG_EV_LINE_MAX)] = 0;
		if (le.new_len > SIPALG_EV_LINE_MAX)
			c = true;
		if (c && nla_put_flag(skb, SIPALG_EDIT_CUT))
			goto cancel;
		nla_nest_end(skb, nest);
		continue;
cancel:
		nla_nest_cancel(skb, nest);
full:
		cut = 1;
	}
	if (cut && nla_put_u32(skb, SIPALG_EV_EDITS_CUT, cut))
		return -EMSGSIZE;
	return 0;
}

static int sipalg_mon_put_pins(struct sk_buff *skb, const struct sipalg_mon_rec *r,
			       int alen)
{
	u32 cut = r->pins_cut;
	struct nlattr *nest;
	unsigned int i;

	for (i = 0; i < r->n_pins; i++) {
		const struct sipalg_mon_pin *x = &r->pin[i];

		nest = nla_nest_start(skb, SIPALG_EV_PINHOLE);
		if (!nest ||
		    nla_put_u8(skb, SIPALG_PH_OPENED, x->opened) ||
		    nla_put_u8(skb, SIPALG_PH_CLASS, x->class) ||
		    nla_put_u8(skb, SIPALG_PH_L4, x->l4proto) ||
		    (!x->any_src && nla_put(skb, SIPALG_PH_SRC, alen, &x->src)) ||
		    nla_put(skb, SIPALG_PH_DST, alen, &x->dst) ||
		    nla_put_u16(skb, SIPALG_PH_DPORT, ntohs(x->dport))) {
			if (nest)
				nla_nest_cancel(skb, nest);
			cut += r->n_pins - i;
			break;
		}
		nla_nest_end(skb, nest);
	}
	if (cut && nla_put_u32(skb, SIPALG_EV_PINHOLES_CUT, cut))
		return -EMSGSIZE;
	return 0;
}

static int sipalg_mon_fill(struct sk_buff *skb, const struct sipalg_pkt *p,
			   const struct sipalg_scratch *s, bool parsed,
			   unsigned int verdict, unsigned int reason)
{
	const struct nf_conntrack_tuple *in = &p->ct->tuplehash[p->dir].tuple;
	const struct nf_conntrack_tuple *back = &p->ct->tuplehash[!p->dir].tuple;
	int alen = nf_ct_l3num(p->ct) == AF_INET ? 4 : 16;
	const struct sa_msg *m = &s->msg;
	struct nlattr *ev;
	const char *name;
	bool cut = false;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &sipalg_genl_family, 0, SIPALG_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	ev = nla_nest_start(skb, SIPALG_A_EVENT);
	if (!ev ||
	    nla_put_u64_64bit(skb, SIPALG_EV_TIME, ktime_get_real_ns(),
			      SIPALG_EV_PAD) ||
	    nla_put_u8(skb, SIPALG_EV_DIR, p->dir) ||
	    nla_put_u8(skb, SIPALG_EV_L3, nf_ct_l3num(p->ct)) ||
	    nla_put_u8(skb, SIPALG_EV_L4, p->l4proto) ||
	    nla_put_u16(skb, SIPALG_EV_PORT, p->port) ||
	    /* as it came, and as it leaves: the reverse of the reply tuple */
	    sipalg_mon_put_tuple(skb, SIPALG_EV_BEFORE, alen, &in->src.u3,
				 in->src.u.all, &in->dst.u3, in->dst.u.all) ||
	    sipalg_mon_put_tuple(skb, SIPALG_EV_AFTER, alen, &back->dst.u3,
				 back->dst.u.all, &back->src.u3,
				 back->src.u.all) ||
	    nla_put_u8(skb, SIPALG_EV_VERDICT, verdict) ||
	    nla_put_u32(skb, SIPALG_EV_REASON, reason) ||
	    (reason && nla_put_string(skb, SIPALG_EV_REASON_NAME,
				      sipalg_reason_name(reason))) ||
	    nla_put_u32(skb, SIPALG_EV_LEN, p->msg_len))
		goto cancel;
	if (parsed) {
		name = sa_method_name(m->is_request ? m->method : m->cseq_method);
		if (m->is_request && m->method_span.len)
			sipalg_mon_put_text(skb, SIPALG_EV_METHOD,
					    p->msg + m->method_span.off,
					    m->method_span.len, 32, &cut);
		else if (name)
			nla_put_string(skb, SIPALG_EV_METHOD, name);
		if ((!m->is_request &&
		     nla_put_u16(skb, SIPALG_EV_STATUS, m->status)) ||
		    nla_put_u32(skb, SIPALG_EV_CSEQ, m->cseq) ||
		    (m->call_id.len &&
		     sipalg_mon_put_text(skb, SIPALG_EV_CALL_ID,
					 p->msg + m->call_id.off,
					 m->call_id.len, SIPALG_EV_CALLID_MAX,
					 &cut)))
			goto cancel;
	}
	if (verdict == SIPALG_VERDICT_REWRITTEN) {
		if (nla_put_u32(skb, SIPALG_EV_NEW_LEN,
				p->msg_len + s->plan.delta) ||
		    sipalg_mon_put_edits(skb, p, s))
			goto cancel;
	} else if (nla_put_u32(skb, SIPALG_EV_NEW_LEN, p->msg_len)) {
		goto cancel;
	}
	if (p->mon && sipalg_mon_put_pins(skb, p->mon, alen))
		goto cancel;
	nla_nest_end(skb, ev);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static void sipalg_mon_send(const struct sipalg_pkt *p,
			    const struct sipalg_scratch *s, bool parsed,
			    unsigned int verdict, unsigned int reason)
{
	struct sk_buff *skb;
	int ret;

	if (!__ratelimit(&sipalg_mon_rs))
		goto lost;
	skb = genlmsg_new(SIPALG_MON_SIZE, GFP_ATOMIC);
	if (!skb)
		goto lost;
	if (sipalg_mon_fill(skb, p, s, parsed, verdict, reason)) {
		nlmsg_free(skb);
		goto lost;
	}
	ret = genlmsg_multicast_netns(&sipalg_genl_family, p->net, skb, 0, 0,
				      GFP_ATOMIC);
	/* -ESRCH: the last listener just left, nothing lost */
	if (ret && ret != -ESRCH)
		goto lost;
	return;
lost:
	sipalg_count(p->net, p->l4proto, p->port, SIPALG_CTR_MON_LOST, 0);
}

void sipalg_mon_msg(const struct sipalg_pkt *p, const struct sipalg_scratch *s,
		    const struct sipalg_decision *dec, unsigned int verdict)
{
	/* not SIP at all (STUN and the like share SIP ports): no event */
	if (!p->mon || dec->r == SA_R_NOT_SIP)
		return;
	sipalg_mon_send(p, s, dec->parsed, verdict, dec->r);
}

void sipalg_mon_unparsed(struct sipalg_pkt *p, struct sipalg_scratch *s,
			 unsigned int len, unsigned int verdict,
			 unsigned int reason)
{
	if (reason == SA_R_NOT_SIP || !sipalg_mon_listening(p->net))
		return;
	p->mon = NULL;
	p->msg = s->buf;
	p->msg_len = len;
	sipalg_mon_send(p, s, false, verdict, reason);
}
#endif /* !SIPALG_BENCH_NOMON */
