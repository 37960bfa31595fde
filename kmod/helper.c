// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: one SIP message, whatever its transport: decide (parse it, choose
 * the media ports by opening pinholes, plan the rewrite that makes it match
 * the NAT mapping), and, once the transport (udp.c, tcp.c) has written it,
 * commit (count it, act on what it means: registrations, call teardown,
 * Cisco 79xx-style response routing).
 *
 * The helper runs at conntrack confirmation, after NAT chose the mapping
 * and rewrote the packet's headers: the conntrack tuples give the mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "sipalg.h"

/*
 * A request from the NATed side whose top Via (or Contact) names the
 * sender's address with a port other than the one it sends from: the phone
 * listens there (Cisco 79xx send from an ephemeral port and want responses
 * and requests on their Via port 5060). The core leaves such fields alone
 * (plan->ip_only); we rewrite them to the NAT's mapping of the source port
 * as if they had named it, and over UDP, unless the request asks for
 * symmetric responses (;rport or the force-rport policy), send what comes
 * back on this connection to that port. Returns the port, or 0.
 */
static u16 sipalg_listen_port(struct sipalg_pkt *p, const struct sa_msg *m,
			      const struct sa_ctx *ctx)
{
	const struct sa_via *v = &m->top_via;
	unsigned int i;

	if (m->n_via && sa_hp_match(&v->sent_by, &ctx->src_from) == SA_MATCH_IP) {
		if (p->l4proto == IPPROTO_UDP &&
		    (v->has_rport || (p->policy & SIPALG_POLICY_FORCE_RPORT)))
			return 0;
		return sa_hp_port(&v->sent_by);
	}
	if (p->l4proto != IPPROTO_TCP)
		return 0;
	for (i = 0; i < m->n_contact && i < SA_MAX_CONTACTS; i++) {
		const struct sa_hostport *hp = &m->contact[i].hp;

		if (!m->contact[i].star &&
		    sa_hp_match(hp, &ctx->src_from) == SA_MATCH_IP)
			return sa_hp_port(hp);
	}
	return 0;
}

/*
 * What a message from a NATed sender says of that sender: it writes its own
 * public address (static NAT that it is configured for, as a DMZ host or
 * an SBC's outside leg does), or its private one. The top Via of a request,
 * then its Contacts, then its SDP's c= tell; the first that names either
 * decides.
 */
static u8 sipalg_self_pub(const struct sa_msg *m, const struct sa_ctx *ctx)
{
	const struct sa_ip *pub = &ctx->src_to.ip, *priv = &ctx->src_from.ip;
	const struct sa_ip *ip;
	unsigned int i;

	if (sa_ip_eq(pub, priv) || !pub->family)
		return SIPALG_SELF_NONE;
	for (i = 0; i < m->n_contact + 2 && i < SA_MAX_CONTACTS + 2; i++) {
		if (i == 0)
			ip = m->is_request && m->n_via ?
			     &m->top_via.sent_by.ep.ip : NULL;
		else if (i == 1)
			ip = m->sdp.present && m->sdp.n_media ?
			     &m->sdp.media[0].addr : NULL;
		else
			ip = m->contact[i - 2].star ? NULL :
			     &m->contact[i - 2].hp.ep.ip;
		if (!ip)
			continue;
		if (sa_ip_eq(ip, pub))
			return SIPALG_SELF_PUBLIC;
		if (sa_ip_eq(ip, priv))
			return SIPALG_SELF_PRIVATE;
	}
	return SIPALG_SELF_NONE;
}

/* what a message means beyond its rewrite */
static void sipalg_signalling(struct sipalg_pkt *p, const struct sa_msg *m,
			      const struct sa_ctx *ctx)
{
	/* an SDP passing replaces its sender's earlier one in the call */
	sipalg_expect_media_done(p, m);
	if (m->is_request) {
		switch (m->method) {
		case SA_M_REGISTER:
			sipalg_expect_register(p, m, ctx);
			break;
		case SA_M_BYE:
		case SA_M_CANCEL:
			sipalg_expect_call_end(p);
			break;
		default:
			break;
		}
		return;
	}
	switch (m->method) {
	case SA_M_REGISTER:
		sipalg_expect_register_reply(p, m, ctx);
		break;
	case SA_M_INVITE:
		/* a failed call; 401/407 and 491 are retried in the dialog */
		if (m->status >= 300 && !sa_status_retried(m->status))
			sipalg_expect_call_end(p);
		break;
	default:
		break;
	}
}

/*
 * Decide what one whole message msg[0..len) does: parse it, fill its
 * context, choose its media ports (pinholes, see below) and plan its
 * rewrite. Nothing is counted and nothing the message means is acted on
 * here: that is sipalg_msg_commit(), once the message is certain to leave.
 *
 * Media ports are chosen by opening their pinholes (the first free port
 * pair is the one an expectation can be made for), so those are made
 * here. Where a message may still be refused after that (strict), the
 * refusal is checked with a first plan before any pinhole: a strict drop
 * opens none. A message the TCP path produces again for a retransmission
 * (p->replay) opens the same ones again (the kernel replaces an
 * expectation of the same master and tuple), counting nothing.
 */
void sipalg_msg_decide(struct sipalg_pkt *p, struct sipalg_scratch *s,
		       const u8 *msg, unsigned int len,
		       struct sipalg_decision *dec)
{
	enum sa_transport tr = p->l4proto == IPPROTO_TCP ? SA_T_TCP : SA_T_UDP;
	struct sipalg_ct *d = sipalg_ct_data(p->ct);
	struct sa_msg *m = &s->msg;
	struct sa_ctx *ctx = &s->ctx;
	struct sa_plan *plan = &s->plan;
	bool natted;
	u16 listen;

	memset(dec, 0, sizeof(*dec));
	p->msg = msg;
	p->msg_len = len;
	sipalg_mon_start(p, s);
	dec->r = sa_parse(msg, len, tr, m);
	if (dec->r != SA_R_OK) {
		dec->drop = sipalg_policy_drops(p->policy, p->l4proto, dec->r);
		return;
	}
	dec->parsed = true;

	sipalg_ctx_from_ct(p->ct, p->dir, ctx);
	sipalg_expect_msg_init(p, msg, m);
	dec->self_pub = sipalg_self_pub(m, ctx);
	/*
	 * A receiver that writes its own public address gets back what it
	 * wrote: nothing of it is mapped to its private address.
	 */
	if (d->flags & SIPALG_F_SELF_PUB(!p->dir))
		ctx->dst_to = ctx->dst_from;
	natted = sipalg_natted(ctx);
	/* ;rport goes into requests from the NATed side only */
	if ((p->policy & SIPALG_POLICY_FORCE_RPORT) && natted && m->is_request)
		ctx->policy |= SA_POL_FORCE_RPORT;
	/* what comes back to a phone that listens on its Via port */
	if (p->l4proto == IPPROTO_UDP && d->via_port[!p->dir]) {
		dec->fwd_port = d->via_port[!p->dir];
		if (!m->is_request)
			ctx->via_port_restore = dec->fwd_port;
	}
	if (m->sdp.present && (p->policy & SIPALG_POLICY_STRICT)) {
		dec->r = sa_plan(msg, m, ctx, plan);
		if (sipalg_policy_drops(p->policy, p->l4proto, dec->r)) {
			dec->drop = true;
			return;
		}
	}
	if (m->sdp.present)
		sipalg_expect_media(p, m, ctx);

	dec->r = sa_plan(msg, m, ctx, plan);
	if (m->is_request) {
		listen = 0;
		if (dec->r == SA_R_OK && natted &&
		    (plan->ip_only & (SA_IPONLY_VIA | SA_IPONLY_CONTACT)))
			listen = sipalg_listen_port(p, m, ctx);
		if (listen) {
			ctx->src_from.port = listen;
			dec->r = sa_plan(msg, m, ctx, plan);
		}
		if (p->l4proto == IPPROTO_UDP && m->n_via &&
		    sa_hp_match(&m->top_via.sent_by, &ctx->src_from) != SA_MATCH_NONE) {
			dec->set_via = true;
			dec->via_port = listen;
		}
	}
	if (dec->r != SA_R_OK) {
		/* strict: refused means dropped */
		dec->drop = sipalg_policy_drops(p->policy, p->l4proto, dec->r);
		return;
	}
	if (!plan->n)
		return;
	if (p->l4proto == IPPROTO_TCP && plan->delta && !nfct_seqadj(p->ct)) {
		/* no NAT on this connection, nothing may change size */
		dec->r = SIPALG_R_MANGLE_FAILED;
		return;
	}
	dec->rewrite = true;
}

/*
 * The message leaves the router (rewritten when rewritten is set, else as
 * it came): count it, then act on what it means. Runs once per message.
 */
void sipalg_msg_commit(struct sipalg_pkt *p, struct sipalg_scratch *s,
		       const struct sipalg_decision *dec, bool rewritten)
{
	struct sipalg_ct *d = sipalg_ct_data(p->ct);

	sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
	if (rewritten) {
		sipalg_count_p(p, SIPALG_CTR_REWRITTEN, 0);
	} else {
		sipalg_count_p(p, SIPALG_CTR_UNCHANGED, dec->r);
		if (dec->r != SA_R_OK && dec->r != SA_R_NOT_SIP)
			net_info_ratelimited("message not rewritten: %s\n",
					     sipalg_reason_name(dec->r));
	}
	if (!dec->parsed)
		goto out;
	if (dec->set_via)
		d->via_port[p->dir] = dec->via_port;
	if (dec->self_pub == SIPALG_SELF_PUBLIC)
		d->flags |= SIPALG_F_SELF_PUB(p->dir);
	else if (dec->self_pub == SIPALG_SELF_PRIVATE)
		d->flags &= ~SIPALG_F_SELF_PUB(p->dir);
	sipalg_signalling(p, &s->msg, &s->ctx);
	sipalg_dlg_commit(p, &s->msg, rewritten ? &s->plan : NULL);
	if (dec->fwd_port)
		sipalg_nat_set_dport(p, dec->fwd_port);
out:
	sipalg_mon_msg(p, s, dec, rewritten ? SIPALG_VERDICT_REWRITTEN :
					      SIPALG_VERDICT_UNCHANGED);
}

/*
 * A packet the helper drops goes to the netfilter log too, as the in-tree
 * helpers log theirs: "nf_ct_sipalg: dropping packet: WHAT: REASON", shown
 * once a logger is bound (net.netfilter.nf_log.*). nf_ct_helper_log uses
 * the connection's helper unchecked: it has one when called from it, and
 * it is checked all the same. It does not sleep (its buffer is GFP_ATOMIC)
 * and takes no lock that is held while sipalg_ct_lock(ct) is taken, so it
 * is called where the drop is decided, under that lock, as
 * nf_conntrack_ftp calls it under nf_ftp_lock.
 */
void sipalg_drop_log(const struct sipalg_pkt *p, const char *what,
		     unsigned int reason)
{
	const struct nf_conn_help *help = nfct_help(p->ct);

	if (help && rcu_access_pointer(help->helper))
		nf_ct_helper_log(p->skb, p->ct, "%s: %s", what,
				 sipalg_reason_name(reason));
}

/* a packet the helper drops: counted DROPPED with the reason, and logged */
void sipalg_drop(const struct sipalg_pkt *p, const char *what,
		 unsigned int reason)
{
	sipalg_count_p(p, SIPALG_CTR_DROPPED, reason);
	sipalg_drop_log(p, what, reason);
}

/* the packet and its connection, without the policy */
void sipalg_pkt_fill(struct sipalg_pkt *p, struct sk_buff *skb,
		     unsigned int protoff, struct nf_conn *ct,
		     enum ip_conntrack_info ctinfo)
{
	p->skb = skb;
	p->replay = false;
	p->mon = NULL;
	p->msg = NULL;
	p->msg_len = 0;
	p->ct = ct;
	p->ctinfo = ctinfo;
	p->dir = CTINFO2DIR(ctinfo);
	p->protoff = protoff;
	p->net = nf_ct_net(ct);
	p->l4proto = nf_ct_protonum(ct);
	p->port = sipalg_ct_port(ct);
}

bool sipalg_pkt_init(struct sipalg_pkt *p, struct sk_buff *skb,
		     unsigned int protoff, struct nf_conn *ct,
		     enum ip_conntrack_info ctinfo)
{
	/* ICMP errors and the like reach helpers too: not SIP */
	if (ctinfo != IP_CT_NEW && ctinfo != IP_CT_ESTABLISHED &&
	    ctinfo != IP_CT_ESTABLISHED_REPLY)
		return false;
	if (READ_ONCE(sipalg_ct_data(ct)->flags) & SIPALG_F_MEDIA)
		return false;
	sipalg_pkt_fill(p, skb, protoff, ct, ctinfo);
	p->policy = sipalg_policy_get_af(p->net, nf_ct_l3num(ct), p->l4proto,
					 p->port);
	if (p->policy & SIPALG_POLICY_DISABLE) {
		sipalg_count_p(p, SIPALG_CTR_SEEN, 0);
		sipalg_count_p(p, SIPALG_CTR_UNCHANGED, SIPALG_R_POLICY_DISABLED);
		return false;
	}
	return true;
}
