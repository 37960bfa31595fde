// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: the NAT mapping of a connection as the core sees it, and the
 * pinholes (conntrack expectations) for media and for inbound signalling to
 * registered phones.
 *
 * Media: for every m= line of an SDP body, whose address is its sender's own
 * address, the receiver will send RTP and RTCP to the address the SDP shows
 * after the rewrite. An expectation for each (from the receiver's address,
 * any port) lets that media in and NATs it to follow the signalling
 * connection (nf_nat_follow_master): to the sender's real address and port,
 * and from the address the sender knows the receiver by. For a sender behind
 * the NAT the port shown is the first free pair from its own port upwards,
 * in steps of 2, so the public port is the one the pinhole holds.
 *
 * Registrations: a REGISTER from behind the NAT opens a permanent, inactive
 * expectation from the registrar to the Contact's public address, made
 * active with the registration's lifetime by a 2xx, removed by an
 * expires=0, a final failure or the lifetime's end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_nat_helper.h>

#include "sipalg.h"
#include "compat.h"

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
		nf_nat_follow_master(ct, exp);
}

/*
 * One media expectation: from the receiver of the message (any port) to
 * the sender's public address and port pub, NATed to the sender's real
 * address and port real.
 */
static struct nf_conntrack_expect *
sipalg_media_exp(struct sipalg_pkt *p, unsigned int class, u16 pub, u16 real)
{
	const struct nf_conntrack_tuple *t = &p->ct->tuplehash[p->dir].tuple;
	const struct nf_conntrack_tuple *r = &p->ct->tuplehash[!p->dir].tuple;
	struct nf_conntrack_expect *exp;
	__be16 port = htons(pub);

	exp = nf_ct_expect_alloc(p->ct);
	if (!exp)
		return NULL;
	nf_ct_expect_init(exp, class, nf_ct_l3num(p->ct), &r->src.u3,
			  &r->dst.u3, IPPROTO_UDP, NULL, &port);
	exp->dir = !p->dir;
	exp->saved_addr = t->src.u3;
	exp->saved_proto.udp.port = htons(real);
	exp->expectfn = sipalg_media_expected;
	return exp;
}

/* RTP at pub and RTCP at pub + (rtcp - rtp): both, or neither */
static int sipalg_media_pair(struct sipalg_pkt *p, unsigned int class,
			     u16 pub, u16 rtp, u16 rtcp)
{
	struct nf_conntrack_expect *e_rtp, *e_rtcp = NULL;
	u16 pub_rtcp = pub + (rtcp - rtp);
	int ret;

	e_rtp = sipalg_media_exp(p, class, pub, rtp);
	if (!e_rtp)
		return -ENOMEM;
	if (rtcp && pub_rtcp != pub) {
		e_rtcp = sipalg_media_exp(p, class, pub_rtcp, rtcp);
		if (!e_rtcp) {
			nf_ct_expect_put(e_rtp);
			return -ENOMEM;
		}
	}
	ret = nf_ct_expect_related(e_rtp, 0);
	if (ret == 0 && e_rtcp) {
		ret = nf_ct_expect_related(e_rtcp, 0);
		if (ret)
			nf_ct_unexpect_related(e_rtp);
	}
	if (ret == 0)
		sipalg_count_p(p, SIPALG_CTR_PINHOLE_OPENED, 0);
	nf_ct_expect_put(e_rtp);
	if (e_rtcp)
		nf_ct_expect_put(e_rtcp);
	return ret;
}

#define SIPALG_PORT_TRIES	128

void sipalg_expect_media(struct sipalg_pkt *p, const struct sa_msg *m,
			 struct sa_ctx *ctx)
{
	bool natted = !sa_ip_eq(&ctx->src_from.ip, &ctx->src_to.ip);
	unsigned int i;

	for (i = 0; i < m->sdp.n_media && i < SA_MAX_MEDIA; i++) {
		const struct sa_media *md = &m->sdp.media[i];
		unsigned int class = sipalg_media_class(md->type);
		u16 rtp = md->rtp_port, rtcp = md->rtcp_port, pub;
		unsigned int tries;
		int ret = -EINVAL;

		if (!rtp || md->dir == SA_MD_INACTIVE)
			continue;
		/* RTCP elsewhere than just above RTP: too odd to follow */
		if (rtcp && (rtcp < rtp || rtcp - rtp > 64))
			rtcp = 0;
		if (sa_ip_eq(&md->addr, &ctx->src_from.ip)) {
			/* the sender's own address: try its port, then up */
			pub = rtp;
			for (tries = 0; tries < (natted ? SIPALG_PORT_TRIES : 1);
			     tries++, pub += 2) {
				if (pub < 1024 || pub > 65535 - 64)
					break;
				ret = sipalg_media_pair(p, class, pub, rtp, rtcp);
				if (ret != -EBUSY && ret != -EALREADY)
					break;
			}
			if (ret) {
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
			sipalg_media_pair(p, class, rtp, rtp, rtcp);
		}
	}
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
		bool sig = exp->class == SIPALG_EXP_SIGNALLING;

		if ((sig && !signalling) || (!sig && !media))
			continue;
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
 * REGISTER from behind the NAT: an inactive pinhole from the registrar to
 * each Contact that names the sender's address, as rewritten.
 */
void sipalg_expect_register(struct sipalg_pkt *p, const struct sa_msg *m,
			    const struct sa_ctx *ctx)
{
	const struct nf_conntrack_tuple *t = &p->ct->tuplehash[p->dir].tuple;
	const struct nf_conntrack_tuple *r = &p->ct->tuplehash[!p->dir].tuple;
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	bool natted = !sa_ip_eq(&ctx->src_from.ip, &ctx->src_to.ip);
	s32 expires = m->expires;
	unsigned int i;

	for (i = 0; i < m->n_contact && i < SA_MAX_CONTACTS; i++) {
		const struct sa_contact *c = &m->contact[i];
		struct nf_conntrack_expect *exp;
		u16 real, pub;
		__be16 port;
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
		if (!natted || !sa_ip_eq(&c->hp.ep.ip, &ctx->src_from.ip))
			continue;
		real = c->hp.ep.port ? c->hp.ep.port : 5060;
		/* the Contact that named the source port now names the NAT's */
		pub = real == ctx->src_from.port ? ctx->src_to.port : real;

		exp = nf_ct_expect_alloc(p->ct);
		if (!exp)
			break;
		port = htons(pub);
		nf_ct_expect_init(exp, SIPALG_EXP_SIGNALLING, nf_ct_l3num(p->ct),
				  &r->src.u3, &r->dst.u3, nf_ct_protonum(p->ct),
				  NULL, &port);
		/* opened by the registrar's 2xx; a refresh keeps it open */
		exp->flags = NF_CT_EXPECT_PERMANENT;
		if (!(d->flags & SIPALG_F_REGISTERED))
			exp->flags |= NF_CT_EXPECT_INACTIVE;
		exp->dir = !p->dir;
		exp->saved_addr = t->src.u3;
		exp->saved_proto.all = htons(real);
		exp->expectfn = nf_nat_follow_master;
		ret = nf_ct_expect_related(exp, 0);
		if (ret == 0)
			sipalg_count_p(p, SIPALG_CTR_PINHOLE_OPENED, 0);
		else if (ret != -EALREADY)
			net_info_ratelimited("no registration pinhole for port %u: %d\n",
					     pub, ret);
		nf_ct_expect_put(exp);
	}
	d->req_expires = expires < 0 ? -1 : (s32)sipalg_reg_secs(expires);
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
		if (m->status == 401 || m->status == 407)
			return;
		if (!(d->flags & SIPALG_F_REGISTERED))
			sipalg_expect_flush(p, false, true);
		return;
	}
	secs = sipalg_reg_granted(m, ctx, d->req_expires);
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
		if (exp->class != SIPALG_EXP_SIGNALLING)
			continue;
		exp->flags &= ~NF_CT_EXPECT_INACTIVE;
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
