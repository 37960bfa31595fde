// SPDX-License-Identifier: GPL-2.0
/*
 * The DANOS/Vyatta dataplane SIP ALG vectors: the same messages before
 * and after that ALG's SNAT/DNAT. We rewrite each "pre" message with the
 * mapping its test harness used (addresses from the corpus's SOURCE.txt
 * and the messages), then compare, field by field, what a NAT ALG must
 * change with the "post" message: Request-URI, top Via sent-by (and
 * received/rport), every Contact, SDP c= (session and media), m= ports,
 * a=rtcp, and a Content-Length equal to the body. Header order may differ
 * (data set 4 was re-serialised by osip), so fields are compared parsed.
 *
 * Known policy differences, counted and printed, not failures:
 *  - a port-less URI whose endpoint maps to another port gets the port
 *    written by us (sipd1: 1.1.1.2 -> 30.30.30.2:1024); Vyatta writes the
 *    IP only, which points at port 5060 the NAT does not forward;
 *  - Vyatta rewrites From/To/P-Asserted-Identity/Record-Route where they
 *    carry the IP even when the port does not match; we need IP and port
 *    (From/To/RR) and never touch P-Asserted-Identity;
 *  - o= is mapped by us like c= (Vyatta sometimes leaves it);
 *  - in the DNAT flow the server's own in-dialog BYE (reply direction)
 *    keeps its private Via at Vyatta; we map the sender's Via of every
 *    request, as the in-tree helper does.
 * The CGNAT vector (sipd1_pre_cgnat) changes only From and keeps the
 * private Via/Contact/SDP: not an ALG result we can compare to; parsed only.
 */
#include <stdlib.h>

#include "tutil.h"
#include "units.h"

struct vctx {
	const char *array;
	const char *post;
	/* forw: src s1->s2, dst d1->d2; back: the reverse */
	const char *s1, *s2, *d1, *d2;
	unsigned int s1p, s2p, d1p, d2p;
	unsigned int rtp_from, rtp_to;	/* m= port translation, 0 = none */
};

static const struct vctx vc[] = {
	{ "sipd1_pre_snat", "sipd1_post_snat", "1.1.1.2", "30.30.30.2",
	  "22.22.22.2", "22.22.22.2", 5060, 1024, 5060, 5060, 10000, 1026 },
	{ "sipd1_pre_dnat", "sipd1_post_dnat", "1.1.1.2", "1.1.1.2",
	  "1.1.1.22", "22.22.22.2", 5060, 5060, 5060, 5060, 0, 0 },
	{ "sipd2_pre_snat", "sipd2_post_snat", "100.101.102.103",
	  "200.201.202.1", "200.201.202.205", "200.201.202.205",
	  5060, 5060, 5060, 5060, 0, 0 },
	{ "sipd3_pre_snat", "sipd3_post_snat", "8.19.19.6", "50.60.70.1",
	  "1.1.1.1", "1.1.1.1", 5060, 5060, 5060, 5060, 0, 0 },
	{ "sipd4_pre_dnat", "sipd4_post_dnat", "18.33.0.200", "18.33.0.200",
	  "77.1.1.1", "16.33.0.200", 5060, 5060, 5060, 5060, 0, 0 },
};

static char vtop[1200];
static struct sa_msg mi, mo, mt;
static const uint8_t *vin;
static struct sa_plan vp;
static uint8_t vout[SA_MAX_MSG];
static int n_msgs, n_fields, port_added, info_diffs, ip_only, vy_left;

static bool span_eq(const uint8_t *a, struct sa_span sa, const uint8_t *b,
		    struct sa_span sb)
{
	return sa.len == sb.len && !memcmp(a + sa.off, b + sb.off, sa.len);
}

/*
 * Compare host (text) and port; a port only we wrote is counted. A field
 * we left alone because only its IP matched (flag in the plan's ip_only)
 * is counted too: the "pre" files were built from Vyatta's own port-less
 * output, which our mapping (IP and port) does not match.
 */
static void cmp_hp(const char *what, const char *file, const uint8_t *o,
		   const struct sa_hostport *ho, const uint8_t *t,
		   const struct sa_hostport *ht, unsigned int mapped_port,
		   unsigned int flag, const struct sa_hostport *hi)
{
	n_fields++;
	if (!span_eq(o, ho->host, t, ht->host) && (vp.ip_only & flag)) {
		ip_only++;
		return;
	}
	/* Vyatta left it as it was and we mapped it (see the top comment) */
	if (!span_eq(o, ho->host, t, ht->host) && hi &&
	    span_eq(vin, hi->host, t, ht->host) &&
	    !span_eq(vin, hi->host, o, ho->host)) {
		vy_left++;
		return;
	}
	if (!span_eq(o, ho->host, t, ht->host)) {
		t_fail(__FILE__, __LINE__, "%s %s: ours %.*s, Vyatta %.*s", file,
		       what, (int)ho->host.len, o + ho->host.off,
		       (int)ht->host.len, t + ht->host.off);
		return;
	}
	if (sa_hp_port(ho) == sa_hp_port(ht))
		return;
	if (!ht->port.len && ho->port.len && sa_hp_port(ho) == mapped_port) {
		port_added++;
		return;
	}
	t_fail(__FILE__, __LINE__, "%s %s: port ours %u, Vyatta %u", file, what,
	       sa_hp_port(ho), sa_hp_port(ht));
}

static void cmp_sdp(const char *file, const uint8_t *o, const uint8_t *t)
{
	unsigned int i;

	if (mo.sdp.present != mt.sdp.present ||
	    mo.sdp.n_media != mt.sdp.n_media) {
		t_fail(__FILE__, __LINE__, "%s: SDP structure differs", file);
		return;
	}
	if (!mo.sdp.present)
		return;
	n_fields++;
	if (!span_eq(o, mo.sdp.c_addr, t, mt.sdp.c_addr))
		t_fail(__FILE__, __LINE__, "%s: session c= differs", file);
	if (!span_eq(o, mo.sdp.o_addr, t, mt.sdp.o_addr))
		info_diffs++;
	for (i = 0; i < mo.sdp.n_media; i++) {
		const struct sa_media *a = &mo.sdp.media[i], *b = &mt.sdp.media[i];

		n_fields += 2;
		if (!span_eq(o, a->c_addr, t, b->c_addr))
			t_fail(__FILE__, __LINE__, "%s: media %u c= differs",
			       file, i);
		if (a->rtp_port != b->rtp_port)
			t_fail(__FILE__, __LINE__, "%s: m= port ours %u, Vyatta %u",
			       file, a->rtp_port, b->rtp_port);
		if (a->rtcp_explicit != b->rtcp_explicit ||
		    a->rtcp_port != b->rtcp_port ||
		    !span_eq(o, a->rtcp_addr_span, t, b->rtcp_addr_span))
			t_fail(__FILE__, __LINE__, "%s: media %u a=rtcp differs",
			       file, i);
	}
}

static void vyatta_one(const struct vctx *v, const char *name)
{
	char path[2600];
	uint8_t *in, *exp;
	size_t il, el, ol;
	struct sa_ctx c;
	bool forw = strstr(name, "-forw-") != NULL;
	unsigned int i, s2p = v->s2p;
	enum sa_reason r;

	snprintf(path, sizeof(path), "%s/vyatta-dataplane-sip-alg/messages/%s/%s",
		 vtop, v->array, name);
	in = (uint8_t *)t_read(path, &il);
	snprintf(path, sizeof(path), "%s/vyatta-dataplane-sip-alg/messages/%s/%s",
		 vtop, v->post, name);
	exp = (uint8_t *)t_read(path, &el);
	if (!in || !exp) {
		t_fail(__FILE__, __LINE__, "cannot read %s", path);
		goto out;
	}
	/*
	 * sipd2's ACK goes straight to the callee (200.201.202.203): another
	 * connection, which that harness's SNAT gave source port 5061
	 */
	if (!strcmp(v->array, "sipd2_pre_snat") && strstr(name, "-ACK"))
		s2p = 5061;
	if (forw)
		t_ctx(&c, v->s1, v->s1p, v->s2, s2p, v->d1, v->d1p, v->d2,
		      v->d2p);
	else
		t_ctx(&c, v->d2, v->d2p, v->d1, v->d1p, v->s2, s2p, v->s1,
		      v->s1p);
	r = sa_parse(in, il, SA_T_UDP, &mo);
	vin = in;
	sa_parse(in, il, SA_T_UDP, &mi);
	if (r) {
		t_fail(__FILE__, __LINE__, "%s/%s: parse %s", v->array, name,
		       sa_reason_str(r));
		goto out;
	}
	for (i = 0; forw && v->rtp_from && i < mo.sdp.n_media; i++)
		if (mo.sdp.media[i].rtp_port == v->rtp_from)
			c.media_port[i] = v->rtp_to;
	r = sa_plan(in, &mo, &c, &vp);
	if (r) {
		t_fail(__FILE__, __LINE__, "%s/%s: plan %s", v->array, name,
		       sa_reason_str(r));
		goto out;
	}
	ol = sa_apply(in, il, &vp, vout, sizeof(vout));
	n_msgs++;
	if (sa_parse(vout, ol, SA_T_UDP, &mo) || sa_parse(exp, el, SA_T_UDP, &mt)) {
		t_fail(__FILE__, __LINE__, "%s: output or post does not parse",
		       name);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", v->array, name);
	if (mo.is_request) {
		cmp_hp("Request-URI", path, vout, &mo.ruri, exp, &mt.ruri,
		       c.dst_to.port, SA_IPONLY_RURI, &mi.ruri);
	}
	cmp_hp("top Via", path, vout, &mo.top_via.sent_by, exp,
	       &mt.top_via.sent_by, 0, SA_IPONLY_VIA, &mi.top_via.sent_by);
	n_fields++;
	if (!span_eq(vout, mo.top_via.received, exp, mt.top_via.received) ||
	    mo.top_via.rport_val != mt.top_via.rport_val)
		t_fail(__FILE__, __LINE__, "%s: received/rport differ", path);
	if (mo.n_contact != mt.n_contact)
		t_fail(__FILE__, __LINE__, "%s: %u contacts, Vyatta %u", path,
		       mo.n_contact, mt.n_contact);
	for (i = 0; i < mo.n_contact && i < mt.n_contact; i++)
		cmp_hp("Contact", path, vout, &mo.contact[i].hp, exp,
		       &mt.contact[i].hp, c.src_to.port, SA_IPONLY_CONTACT,
		       &mi.contact[i].hp);
	cmp_sdp(path, vout, exp);
	n_fields++;
	if (mo.has_clen && mo.clen_val != mo.body.len)
		t_fail(__FILE__, __LINE__, "%s: Content-Length wrong", path);
	if (mo.body.len == mt.body.len && mo.clen_val != mt.clen_val)
		t_fail(__FILE__, __LINE__, "%s: Content-Length differs", path);
	if (!span_eq(vout, mo.from.host, exp, mt.from.host) ||
	    !span_eq(vout, mo.to.host, exp, mt.to.host))
		info_diffs++;
out:
	free(in);
	free(exp);
}

static void vyatta_run(void)
{
	char dir[1400];
	unsigned int k;

	for (k = 0; k < sizeof(vc) / sizeof(vc[0]); k++) {
		char **names;
		int n, i;

		snprintf(dir, sizeof(dir), "%s/vyatta-dataplane-sip-alg/messages/%s",
			 vtop, vc[k].array);
		n = t_list(dir, ".sip", &names);
		if (n <= 0) {
			t_fail(__FILE__, __LINE__, "no messages in %s", dir);
			continue;
		}
		for (i = 0; i < n; i++) {
			vyatta_one(&vc[k], names[i]);
			free(names[i]);
		}
		free(names);
	}
	{
		char path[1600];
		uint8_t *in;
		size_t il;

		snprintf(path, sizeof(path),
			 "%s/vyatta-dataplane-sip-alg/messages/sipd1_pre_cgnat/00-na-INVITE.sip",
			 vtop);
		in = (uint8_t *)t_read(path, &il);
		if (in) {
			sa_parse(in, il, SA_T_UDP, &mo);
			free(in);
		}
	}
	t_name("corpus vyatta: %d before/after messages (4 flows, SNAT and DNAT): "
	       "%d Via/Contact/R-URI/SDP/Content-Length fields as the 'after' "
	       "files; policy differences: %d port-less URIs given the mapped "
	       "port, %d IP-only matches left alone and flagged, %d sender "
	       "fields Vyatta leaves in the DNAT server's own requests, %d "
	       "messages where Vyatta maps From/To/o= differently", n_msgs,
	       n_fields - ip_only - vy_left, port_added, ip_only, vy_left,
	       info_diffs);
	if (n_msgs != 33)
		t_fail(__FILE__, __LINE__, "%d messages compared, expected 33",
		       n_msgs);
}

void units_vyatta(const char *top)
{
	snprintf(vtop, sizeof(vtop), "%s", top);
	t_run("corpus vyatta", vyatta_run);
}
