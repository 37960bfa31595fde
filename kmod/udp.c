// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: SIP over UDP, the transport. A datagram holds one message: it is
 * decided (helper.c), rewritten in place with the kernel's NAT mangling
 * (nat.c), then committed; under the strict policy a message the ALG
 * refuses is dropped before anything happened. A datagram over SA_MAX_MSG,
 * or one that is not SIP (STUN keep-alives share SIP ports), passes as it
 * is. Each message keeps the flow sip_timeout seconds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/netfilter/nf_conntrack.h>

#include "sipalg.h"
#include "compat.h"

/* one UDP datagram's message, buf[0..len) in the scratch copy */
static enum sipalg_verdict sipalg_udp_msg(struct sipalg_pkt *p,
					  struct sipalg_scratch *s,
					  unsigned int len)
{
	struct sipalg_decision dec;
	bool rewritten = false;
	int err;

	sipalg_msg_decide(p, s, s->buf, len, &dec);
	if (dec.drop) {
		sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
		sipalg_policy_drop(p->net, p->l4proto, p->port, p->policy,
				   dec.r);
		sipalg_drop_log(p, "policy strict", dec.r);
		sipalg_mon_msg(p, s, &dec, SIPALG_VERDICT_DROPPED);
		return SIPALG_DROP;
	}
	if (dec.rewrite) {
		err = sipalg_nat_prepare(p, sipalg_plan_growth(&s->plan));
		if (err) {
			dec.r = err == -E2BIG ? SA_R_TOO_BIG : SIPALG_R_NOMEM;
		} else if (sipalg_nat_apply(p, 0, &s->plan)) {
			rewritten = true;
		} else {
			/* prepared for, so it cannot happen: never half */
			sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
			net_warn_ratelimited("rewrite failed midway, packet dropped\n");
			dec.r = SIPALG_R_MANGLE_FAILED;
			sipalg_drop(p, "rewrite failed midway", dec.r);
			sipalg_mon_msg(p, s, &dec, SIPALG_VERDICT_DROPPED);
			return SIPALG_DROP;
		}
	}
	sipalg_msg_commit(p, s, &dec, rewritten);
	return SIPALG_PASS;
}

int sipalg_help_udp(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct sipalg_scratch *s;
	struct sipalg_pkt p;
	enum sipalg_verdict v = SIPALG_PASS;
	enum sa_frame_result fr = SA_FRAME_ERROR;
	enum sa_reason why = SA_R_OK;
	unsigned int len;
	size_t mlen = 0;
	spinlock_t *lock;	/* sipalg_ct_lock(ct) */

	sipalg_bench_spin();
	p.dataoff = protoff + sizeof(struct udphdr);
	if (skb->len <= p.dataoff)
		return NF_ACCEPT;
	if (!sipalg_pkt_init(&p, skb, protoff, ct, ctinfo))
		return NF_ACCEPT;
	len = skb->len - p.dataoff;

	lock = sipalg_ct_lock(ct);
	spin_lock_bh(lock);
	s = sipalg_scratch_get();
	if (len > SA_MAX_MSG) {
		sipalg_count_p(&p, SIPALG_CTR_SEEN, 0);
		sipalg_count_p(&p, SIPALG_CTR_UNCHANGED, SA_R_TOO_BIG);
		sipalg_mon_unparsed(&p, s, len, SIPALG_VERDICT_UNCHANGED,
				    SA_R_TOO_BIG);
		goto out;
	}
	if (skb_copy_bits(skb, p.dataoff, s->buf, len)) {
		/* cannot be for len within the packet: counted if it is */
		sipalg_count_p(&p, SIPALG_CTR_SEEN, 0);
		sipalg_count_p(&p, SIPALG_CTR_UNCHANGED, SIPALG_R_COPY_FAILED);
		goto out;
	}

	fr = sa_frame(s->buf, len, SA_T_UDP, &mlen, &why);
	switch (fr) {
	case SA_FRAME_MSG:
		v = sipalg_udp_msg(&p, s, min_t(size_t, mlen, len));
		break;
	case SA_FRAME_KEEPALIVE:
		break;
	default:
		/* SA_FRAME_ERROR: UDP never yields SA_FRAME_NEED_MORE */
		sipalg_count_p(&p, SIPALG_CTR_SEEN, 0);
		sipalg_count_p(&p, SIPALG_CTR_UNCHANGED, why);
		sipalg_mon_unparsed(&p, s, len, SIPALG_VERDICT_UNCHANGED,
				    why);
		break;
	}
out:
	sipalg_reg_refresh(&p);
	if (v != SIPALG_DROP &&
	    (fr == SA_FRAME_MSG || fr == SA_FRAME_KEEPALIVE))
		sipalg_ct_extend(ct, READ_ONCE(sipalg_sig_timeout) * HZ);
	spin_unlock_bh(lock);
	return v == SIPALG_DROP ? NF_DROP : NF_ACCEPT;
}
