// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: the calls and registrations of each connection as `sipalgctl
 * calls` and `sipalgctl registrations` show them, and their netlink dumps
 * (uapi/sipalg_nl.h, SIPALG_CMD_CALL_GET, SIPALG_CMD_REG_GET).
 *
 * Kept up when a message is committed (sipalg_dlg_commit, from helper.c),
 * under the connection's lock, on a confirmed conntrack only (an
 * unconfirmed one may be freed without the destroy callback that frees
 * this): a call whose INVITE opened the flow is first seen at its first
 * response, which names the same Call-ID.
 *
 * A call (by its Call-ID's keyed hash, sipalg_pkt.call) is early from its
 * INVITE or first provisional response, confirmed by a 2xx to an INVITE,
 * on hold while the latest SDP of the call holds the media (sendonly,
 * recvonly, inactive or c=0.0.0.0 on a stream that is not refused), ending
 * after a BYE or CANCEL; it goes with the final response to the BYE, or
 * a final failure of its first INVITE (a failed re-INVITE leaves the call
 * as it was). The registration is the To and first Contact of the latest
 * REGISTER or its 2xx; the lifetime is what expect.c keeps (reg_until).
 *
 * Bounds: sipalg_calls_max calls per connection (module parameter
 * calls_max, default 256, fixed at load), in a sorted array that grows
 * (GFP_ATOMIC) by doubling from 1 (a phone's connection mostly carries
 * one call at a time: 96 bytes of slab, where 4 took 512); past it, a call
 * ending is replaced, else the new call is not shown, counted in
 * untracked_calls. Texts are cut: Call-ID SIPALG_DLG_ID bytes, AOR and
 * Contact SIPALG_DLG_URI. Freed with the connection's object (conn.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/netfilter/nf_conntrack.h>

#include "sipalg.h"
#include "monitor.h"

#define SIPALG_DLG_ID		64
#define SIPALG_DLG_URI		96
#define SIPALG_DLG_MIN		1
#define SIPALG_DLG_PINS		16

static unsigned int sipalg_calls_max = 256;
module_param_named(calls_max, sipalg_calls_max, uint, 0444);
MODULE_PARM_DESC(calls_max,
		 "calls per connection that sipalgctl calls can show (default 256; fixed at load)");

static atomic_long_t sipalg_calls_untracked = ATOMIC_LONG_INIT(0);
static atomic_long_t sipalg_calls_nomem = ATOMIC_LONG_INIT(0);

module_param_cb(untracked_calls, &sipalg_param_counter_ops,
		&sipalg_calls_untracked, 0444);
MODULE_PARM_DESC(untracked_calls,
		 "calls not shown by sipalgctl calls: their connection's table was full (read only)");

module_param_cb(unrecorded_calls, &sipalg_param_counter_ops,
		&sipalg_calls_nomem, 0444);
MODULE_PARM_DESC(unrecorded_calls,
		 "calls or registrations that sipalgctl calls or registrations could not record or update: no memory (read only)");

struct sipalg_dlg {
	u32 call;		/* sipalg_call_id() of the Call-ID */
	u32 created;		/* nfct_time_stamp */
	u32 last;
	u16 last_status;	/* 0: a request */
	u8 last_method;		/* enum sa_method */
	u8 state;		/* SIPALG_CALL_* */
	u8 caller;		/* direction of the INVITE */
	u8 id_len;
	char id[SIPALG_DLG_ID];
};

/*
 * A connection's registration texts, only where one was seen: the AOR
 * then the Contact (sipalg_dlgs' aor_len and contact_len), allocated to
 * fit (a phone's two URIs mostly fit kmalloc-64, where two fixed
 * SIPALG_DLG_URI arrays took 192 bytes) and made again only when a
 * REGISTER's texts need more room than there is.
 */
struct sipalg_reg_text {
	u8 size;		/* bytes of text[] */
	char text[];
};

struct sipalg_dlgs {
	u16 n, size;
	u8 reg_dir;		/* direction of the REGISTER */
	u8 aor_len, contact_len;
	struct sipalg_reg_text *reg;	/* NULL until a REGISTER or its 2xx */
	struct sipalg_dlg *d;	/* sorted by call */
};

void sipalg_dlgs_release(struct sipalg_dlgs *g)
{
	if (!g)
		return;
	kfree(g->reg);
	kfree(g->d);
	kfree(g);
}

static struct sipalg_dlgs *sipalg_dlgs_get(struct nf_conn *ct)
{
	struct sipalg_conn *conn;

	if (!nf_ct_is_confirmed(ct))
		return NULL;
	conn = sipalg_conn_get(ct);
	if (!conn)
		return NULL;
	/* confirmed: the dumps may reach it (conn.c, sipalg_conn_next) */
	if (!conn->ct)
		WRITE_ONCE(conn->ct, ct);
	if (!conn->dlgs) {
		conn->dlgs = kzalloc(sizeof(*conn->dlgs),
				     GFP_ATOMIC | __GFP_NOWARN);
		if (!conn->dlgs)
			atomic_long_inc(&sipalg_calls_nomem);
	}
	return conn->dlgs;
}

/* the index of call, or where it would go */
static unsigned int sipalg_dlg_pos(const struct sipalg_dlgs *g, u32 call,
				   bool *found)
{
	unsigned int lo = 0, hi = g->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (g->d[mid].call == call) {
			*found = true;
			return mid;
		}
		if (g->d[mid].call < call)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void sipalg_dlg_del(struct sipalg_dlgs *g, unsigned int i)
{
	memmove(&g->d[i], &g->d[i + 1], (g->n - i - 1) * sizeof(g->d[0]));
	g->n--;
}

/*
 * Room for one more; false when the bound is reached, or the array could
 * not grow (counted in the counter named by *why), with no call ending.
 */
static bool sipalg_dlg_room(struct sipalg_dlgs *g, atomic_long_t **why)
{
	unsigned int i, size, oldest = 0;
	struct sipalg_dlg *d;
	bool any = false;

	*why = &sipalg_calls_untracked;

	if (g->n < g->size)
		return true;
	if (g->size < sipalg_calls_max) {
		size = min_t(unsigned int, max_t(unsigned int, g->size * 2,
						 SIPALG_DLG_MIN),
			     sipalg_calls_max);
		d = krealloc(g->d, size * sizeof(*d), GFP_ATOMIC | __GFP_NOWARN);
		if (d) {
			g->d = d;
			g->size = size;
			return true;
		}
		*why = &sipalg_calls_nomem;
	}
	/* full: the call that ended longest ago makes room */
	for (i = 0; i < g->n; i++) {
		if (g->d[i].state != SIPALG_CALL_ENDING)
			continue;
		if (!any || (s32)(g->d[i].last - g->d[oldest].last) < 0)
			oldest = i;
		any = true;
	}
	if (!any)
		return false;
	sipalg_dlg_del(g, oldest);
	return true;
}

/* the latest SDP holds the media: no stream both ways */
static bool sipalg_sdp_holds(const struct sa_msg *m)
{
	unsigned int i;
	bool active = false;

	for (i = 0; i < m->sdp.n_media && i < SA_MAX_MEDIA; i++) {
		const struct sa_media *md = &m->sdp.media[i];
		static const u8 zero[16];

		if (!md->rtp_port)
			continue;
		if (md->dir != SA_MD_SENDRECV)
			return true;
		if (md->addr.family == 4 && !memcmp(md->addr.addr, zero, 4))
			return true;
		active = true;
	}
	return !active;
}

/*
 * The value of the first header named name (or its compact form c),
 * without white space around it: bounded by the header block.
 */
static bool sipalg_hdr_value(const u8 *msg, u32 hdr_len, const char *name,
			     char c, u32 *off, u32 *len)
{
	u32 nlen = strlen(name), s = 0, e, k, v;

	/* the line after the start line, then line by line */
	while (s < hdr_len && msg[s] != '\n')
		s++;
	for (s++; s < hdr_len; s = e + 1) {
		for (e = s; e < hdr_len && msg[e] != '\n'; e++)
			;
		for (k = s; k < e && msg[k] != ':' && msg[k] != ' ' &&
		     msg[k] != '\t'; k++)
			;
		if (!((k - s == nlen && !strncasecmp(msg + s, name, nlen)) ||
		      (k - s == 1 && tolower(msg[s]) == c)))
			continue;
		while (k < e && (msg[k] == ' ' || msg[k] == '\t'))
			k++;
		if (k >= e || msg[k] != ':')
			continue;
		for (v = k + 1; v < e && (msg[v] == ' ' || msg[v] == '\t'); v++)
			;
		k = e;
		while (k > v && (msg[k - 1] == '\r' || msg[k - 1] == ' ' ||
				 msg[k - 1] == '\t'))
			k--;
		*off = v;
		*len = k - v;
		return true;
	}
	return false;
}

/* the URI of a To or Contact value: inside <...>, else up to a ';' */
static void sipalg_uri_of(const u8 *msg, u32 off, u32 len, char *out, u8 *olen)
{
	u32 i, s = off, e = off + len;

	for (i = off; i < e; i++)
		if (msg[i] == '<')
			break;
	if (i < e) {
		s = i + 1;
		for (i = s; i < e && msg[i] != '>'; i++)
			;
		e = i;
	} else {
		for (i = s; i < e && msg[i] != ';'; i++)
			;
		e = i;
	}
	*olen = min_t(u32, e - s, SIPALG_DLG_URI);
	memcpy(out, msg + s, *olen);
}

/*
 * The Contact as the phone wrote it: a 2xx from the registrar names the
 * public binding, which the rewrite (plan, when the message is rewritten)
 * maps back in the line that holds it.
 */
static void sipalg_reg_contact(struct sipalg_pkt *p, const struct sa_msg *m,
			       const struct sa_plan *plan, u32 off, u32 len,
			       char *out, u8 *olen)
{
	struct sa_line_edit le;
	u8 line[SIPALG_DLG_URI + 64];
	size_t n;
	u16 i = 0;

	while (plan && i < plan->n) {
		i = sa_line_next(p->msg, p->msg_len, m, plan, i, &le);
		if (off < le.off || off > le.off + le.len)
			continue;
		/* the edits are in the URI: the value starts where it did */
		n = sa_line_apply(p->msg, plan, &le, line, sizeof(line));
		if (off - le.off > n)
			break;
		sipalg_uri_of(line, off - le.off, n - (off - le.off), out,
			      olen);
		return;
	}
	sipalg_uri_of(p->msg, off, len, out, olen);
}

static void sipalg_reg_commit(struct sipalg_pkt *p, const struct sa_msg *m,
			      const struct sa_plan *plan)
{
	char aor[SIPALG_DLG_URI], contact[SIPALG_DLG_URI];
	struct sipalg_reg_text *t;
	struct sipalg_dlgs *g;
	u8 alen, clen;
	u32 off, len;

	if (!m->is_request && (m->status < 200 || m->status >= 300))
		return;
	g = sipalg_dlgs_get(p->ct);
	if (!g)
		return;
	/* a text the message does not carry stays as it was */
	t = g->reg;
	alen = 0;
	clen = 0;
	if (t) {
		alen = g->aor_len;
		clen = g->contact_len;
		memcpy(aor, t->text, alen);
		memcpy(contact, t->text + alen, clen);
	}
	if (sipalg_hdr_value(p->msg, m->hdr_len, "To", 't', &off, &len))
		sipalg_uri_of(p->msg, off, len, aor, &alen);
	if (sipalg_hdr_value(p->msg, m->hdr_len, "Contact", 'm', &off, &len))
		sipalg_reg_contact(p, m, m->is_request ? NULL : plan, off, len,
				   contact, &clen);
	if (!t || t->size < alen + clen) {
		t = kmalloc(struct_size(t, text, alen + clen),
			    GFP_ATOMIC | __GFP_NOWARN);
		if (!t) {
			/* the old texts, if any, stay shown */
			atomic_long_inc(&sipalg_calls_nomem);
			return;
		}
		t->size = alen + clen;
		kfree(g->reg);
		g->reg = t;
	}
	g->reg_dir = m->is_request ? p->dir : !p->dir;
	memcpy(t->text, aor, alen);
	memcpy(t->text + alen, contact, clen);
	g->aor_len = alen;
	g->contact_len = clen;
}

void sipalg_dlg_commit(struct sipalg_pkt *p, const struct sa_msg *m,
		       const struct sa_plan *plan)
{
	u8 method = m->is_request ? m->method : m->cseq_method;
	atomic_long_t *why;
	struct sipalg_dlgs *g;
	struct sipalg_dlg *d;
	unsigned int i;
	bool found;

	if (p->replay || !p->msg)
		return;
	if (method == SA_M_REGISTER) {
		sipalg_reg_commit(p, m, plan);
		return;
	}
	if (!p->call)
		return;
	switch (method) {
	case SA_M_INVITE: case SA_M_ACK: case SA_M_BYE: case SA_M_CANCEL:
	case SA_M_UPDATE: case SA_M_PRACK: case SA_M_INFO:
		break;
	default:
		return;
	}
	if (!nf_ct_is_confirmed(p->ct))
		return;
	g = sipalg_dlgs_get(p->ct);
	if (!g)
		return;
	i = sipalg_dlg_pos(g, p->call, &found);
	if (!found) {
		/* a call begins with its INVITE, or the answers to it */
		if (method != SA_M_INVITE || (!m->is_request && m->status >= 300))
			return;
		if (!sipalg_dlg_room(g, &why)) {
			atomic_long_inc(why);
			return;
		}
		i = sipalg_dlg_pos(g, p->call, &found);
		memmove(&g->d[i + 1], &g->d[i], (g->n - i) * sizeof(g->d[0]));
		g->n++;
		d = &g->d[i];
		memset(d, 0, sizeof(*d));
		d->call = p->call;
		d->created = nfct_time_stamp;
		d->state = SIPALG_CALL_EARLY;
		d->caller = m->is_request ? p->dir : !p->dir;
		d->id_len = min_t(u32, m->call_id.len, SIPALG_DLG_ID);
		memcpy(d->id, p->msg + m->call_id.off, d->id_len);
	}
	d = &g->d[i];
	d->last = nfct_time_stamp;
	d->last_method = method;
	d->last_status = m->is_request ? 0 : m->status;

	if (m->is_request) {
		if (method == SA_M_BYE || method == SA_M_CANCEL)
			d->state = SIPALG_CALL_ENDING;
	} else if (method == SA_M_BYE && m->status >= 200) {
		sipalg_dlg_del(g, i);
		return;
	} else if (method == SA_M_INVITE && m->status >= 300 && !sa_status_retried(m->status) &&
		   (d->state == SIPALG_CALL_EARLY ||
		    d->state == SIPALG_CALL_ENDING)) {
		sipalg_dlg_del(g, i);
		return;
	} else if (method == SA_M_INVITE && m->status >= 200 &&
		   m->status < 300 && d->state == SIPALG_CALL_EARLY) {
		d->state = SIPALG_CALL_CONFIRMED;
	}
	/* an offer or answer of a call under way: held or not */
	if (m->sdp.present && (d->state == SIPALG_CALL_CONFIRMED ||
			       d->state == SIPALG_CALL_HOLD))
		d->state = sipalg_sdp_holds(m) ? SIPALG_CALL_HOLD :
						 SIPALG_CALL_CONFIRMED;
}

/* ------------------------------------------------------------- dumps */

static int sipalg_put_party(struct sk_buff *skb, int type, int alen,
			    const struct nf_conn *ct, unsigned int dir)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *r = &ct->tuplehash[!dir].tuple;
	struct nlattr *nest = nla_nest_start(skb, type);

	/* its own address as it sends; as seen from the other side: the
	 * destination of what comes back
	 */
	if (!nest ||
	    nla_put(skb, SIPALG_PT_PRIV, alen, &t->src.u3) ||
	    nla_put_u16(skb, SIPALG_PT_PRIV_PORT, ntohs(t->src.u.all)) ||
	    nla_put(skb, SIPALG_PT_PUB, alen, &r->dst.u3) ||
	    nla_put_u16(skb, SIPALG_PT_PUB_PORT, ntohs(r->dst.u.all)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int sipalg_put_str(struct sk_buff *skb, int type, const char *s, u32 n)
{
	struct nlattr *a = nla_reserve(skb, type, n + 1);

	if (!a)
		return -EMSGSIZE;
	memcpy(nla_data(a), s, n);
	((char *)nla_data(a))[n] = 0;
	return 0;
}

static int sipalg_fill_call(struct sk_buff *skb, struct netlink_callback *cb,
			    struct nf_conn *ct, const struct sipalg_dlg *d)
{
	struct sipalg_pin_info pins[SIPALG_DLG_PINS];
	int alen = nf_ct_l3num(ct) == AF_INET ? 4 : 16;
	u32 now = nfct_time_stamp;
	struct nlattr *call, *ph;
	unsigned int i, n;
	char last[24];
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sipalg_genl_family, NLM_F_MULTI, SIPALG_CMD_CALL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (d->last_status)
		snprintf(last, sizeof(last), "%u %s", d->last_status,
			 sa_method_name(d->last_method) ?: "?");
	else
		snprintf(last, sizeof(last), "%s",
			 sa_method_name(d->last_method) ?: "?");
	call = nla_nest_start(skb, SIPALG_A_CALL);
	if (!call ||
	    sipalg_put_str(skb, SIPALG_CL_CALL_ID, d->id, d->id_len) ||
	    nla_put_u8(skb, SIPALG_CL_L3, nf_ct_l3num(ct)) ||
	    nla_put_u8(skb, SIPALG_CL_L4, nf_ct_protonum(ct)) ||
	    nla_put_u16(skb, SIPALG_CL_PORT, sipalg_ct_port(ct)) ||
	    nla_put_u8(skb, SIPALG_CL_STATE, d->state) ||
	    sipalg_put_party(skb, SIPALG_CL_CALLER, alen, ct, d->caller) ||
	    sipalg_put_party(skb, SIPALG_CL_CALLEE, alen, ct, !d->caller) ||
	    nla_put_u32(skb, SIPALG_CL_AGE, (now - d->created) / HZ) ||
	    nla_put_string(skb, SIPALG_CL_LAST, last) ||
	    nla_put_u32(skb, SIPALG_CL_LAST_AGO, (now - d->last) / HZ))
		goto cancel;
	n = sipalg_calls_pins(ct, d->call, pins, ARRAY_SIZE(pins));
	for (i = 0; i < n; i++) {
		/* where it lets packets in: the destination of its direction */
		const struct nf_conntrack_tuple *t =
			&ct->tuplehash[pins[i].dir].tuple;

		ph = nla_nest_start(skb, SIPALG_CL_PINHOLE);
		if (!ph ||
		    nla_put(skb, SIPALG_PH_DST, alen,
			    pins[i].out ? &t->src.u3 : &t->dst.u3) ||
		    nla_put_u16(skb, SIPALG_PH_DPORT, pins[i].port) ||
		    nla_put_u8(skb, SIPALG_PH_L4, IPPROTO_UDP) ||
		    nla_put_u8(skb, SIPALG_PH_USED, pins[i].used) ||
		    (pins[i].rtcp && nla_put_flag(skb, SIPALG_PH_RTCP)) ||
		    (pins[i].out && nla_put_flag(skb, SIPALG_PH_OUTBOUND)))
			goto cancel;
		nla_nest_end(skb, ph);
	}
	nla_nest_end(skb, call);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* the connection's registration, when the registrar granted one that lasts */
static int sipalg_fill_reg(struct sk_buff *skb, struct netlink_callback *cb,
			   struct nf_conn *ct, const struct sipalg_dlgs *g)
{
	const struct sipalg_ct *d = sipalg_ct_data(ct);
	int alen = nf_ct_l3num(ct) == AF_INET ? 4 : 16;
	const struct nf_conntrack_tuple *t;
	struct nlattr *reg;
	s32 left;
	void *hdr;

	left = (s32)(d->reg_until - nfct_time_stamp);
	if (!(d->flags & SIPALG_F_REGISTERED) || left <= 0 || !g->reg ||
	    !g->aor_len)
		return 0;
	t = &ct->tuplehash[g->reg_dir].tuple;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sipalg_genl_family, NLM_F_MULTI, SIPALG_CMD_REG_GET);
	if (!hdr)
		return -EMSGSIZE;
	reg = nla_nest_start(skb, SIPALG_A_REG);
	if (!reg ||
	    sipalg_put_str(skb, SIPALG_RG_AOR, g->reg->text, g->aor_len) ||
	    sipalg_put_str(skb, SIPALG_RG_CONTACT, g->reg->text + g->aor_len,
			   g->contact_len) ||
	    nla_put_u8(skb, SIPALG_RG_L3, nf_ct_l3num(ct)) ||
	    nla_put_u8(skb, SIPALG_RG_L4, nf_ct_protonum(ct)) ||
	    nla_put_u16(skb, SIPALG_RG_PORT, sipalg_ct_port(ct)) ||
	    sipalg_put_party(skb, SIPALG_RG_PHONE, alen, ct, g->reg_dir) ||
	    nla_put(skb, SIPALG_RG_REGISTRAR, alen, &t->dst.u3) ||
	    nla_put_u16(skb, SIPALG_RG_REGISTRAR_PORT, ntohs(t->dst.u.all)) ||
	    nla_put_u32(skb, SIPALG_RG_EXPIRES, left / HZ)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, reg);
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The walk of both dumps: connections newest first (conn.c), cb->args[0]
 * the id of the one to go on with, cb->args[1] (calls) the hash of the
 * last call given from it, cb->args[2] set once started, args[3] at the
 * end.
 */
static int sipalg_dump_conns(struct sk_buff *skb, struct netlink_callback *cb,
			     bool calls)
{
	unsigned long bound = cb->args[2] ? cb->args[0] : ULONG_MAX, id;
	struct net *net = sock_net(cb->skb->sk);
	u32 after = cb->args[1];
	struct nf_conn *ct;
	spinlock_t *lock;	/* sipalg_ct_lock(ct), per entry */
	int ret;

	if (cb->args[3])
		return 0;
	cb->args[2] = 1;
	while ((ct = sipalg_conn_next(net, bound, &id))) {
		struct sipalg_conn *conn;
		struct sipalg_dlgs *g;
		unsigned int i;

		if (id != bound)
			after = 0;
		ret = 0;
		lock = sipalg_ct_lock(ct);
		spin_lock_bh(lock);
		conn = sipalg_conn(ct);
		g = conn ? conn->dlgs : NULL;
		if (g && calls) {
			for (i = 0; i < g->n && !ret; i++) {
				if (after && g->d[i].call <= after)
					continue;
				ret = sipalg_fill_call(skb, cb, ct, &g->d[i]);
				if (!ret)
					after = g->d[i].call;
			}
		} else if (g && !calls) {
			ret = sipalg_fill_reg(skb, cb, ct, g);
		}
		spin_unlock_bh(lock);
		nf_ct_put(ct);
		if (ret) {
			/* full: go on from here with the next skb */
			cb->args[0] = id;
			cb->args[1] = after;
			return skb->len;
		}
		if (id <= 1)
			break;
		bound = id - 1;
		after = 0;
	}
	cb->args[3] = 1;
	return skb->len;
}

int sipalg_nl_call_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return sipalg_dump_conns(skb, cb, true);
}

int sipalg_nl_reg_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return sipalg_dump_conns(skb, cb, false);
}
