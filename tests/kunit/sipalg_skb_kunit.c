// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the module's packet path on real sk_buffs. Each test builds a
 * conntrack entry whose tuples describe a source NAT, with the "sipalg"
 * helper attached, builds IPv4/IPv6 UDP or TCP packets holding SIP as the
 * helper sees them after NAT, runs the helper's help() function and checks
 * the packet (payload, lengths, checksums) and the expectations it made.
 *
 *   phone 10.0.0.2:5060 --- NAT 203.0.113.77:61000 --- server 198.51.100.10:5060
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ipv6.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/nf_log.h>

#include "sipalg.h"
#include "sipalg_kunit.h"

#define PHONE4		"10.0.0.2"
#define PUBLIC4		"203.0.113.77"
#define SERVER4		"198.51.100.10"

struct sk_flow {
	u8 l3;			/* NFPROTO_IPV4 / NFPROTO_IPV6 */
	u8 l4;			/* IPPROTO_UDP / IPPROTO_TCP */
	union nf_inet_addr phone, pub, server;
	u16 phone_port, pub_port, server_port;
	bool reply;		/* packets from the server to the public side */
};

static void sk_flow4(struct sk_flow *f, u8 l4)
{
	memset(f, 0, sizeof(*f));
	f->l3 = NFPROTO_IPV4;
	f->l4 = l4;
	f->phone.ip = htonl(0x0a000002);	/* 10.0.0.2 */
	f->pub.ip = htonl(0xcb00714d);		/* 203.0.113.77 */
	f->server.ip = htonl(0xc633640a);	/* 198.51.100.10 */
	f->phone_port = 5060;
	f->pub_port = 61000;
	f->server_port = 5060;
}

/* IPv6 with a prefix-translating NAT (NAT66) */
static void sk_flow6(struct sk_flow *f, u8 l4)
{
	static const u8 phone[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const u8 pub[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
				    [15] = 0x77 };
	static const u8 server[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
				       [15] = 0x10 };

	memset(f, 0, sizeof(*f));
	f->l3 = NFPROTO_IPV6;
	f->l4 = l4;
	memcpy(f->phone.ip6, phone, 16);
	memcpy(f->pub.ip6, pub, 16);
	memcpy(f->server.ip6, server, 16);
	f->phone_port = 5060;
	f->pub_port = 61000;
	f->server_port = 5060;
}

static void sk_tuple(struct nf_conntrack_tuple *t, const struct sk_flow *f,
		     const union nf_inet_addr *src, u16 sport,
		     const union nf_inet_addr *dst, u16 dport, u8 dir)
{
	memset(t, 0, sizeof(*t));
	t->src.l3num = f->l3;
	t->src.u3 = *src;
	t->src.u.all = htons(sport);
	t->dst.u3 = *dst;
	t->dst.u.all = htons(dport);
	t->dst.protonum = f->l4;
	t->dst.dir = dir;
}

/* what the helper left (expectations, TCP buffers), then the conntrack */
static void sk_ct_free(struct kunit_resource *res)
{
	struct nf_conn *ct = res->data;

	nf_ct_remove_expectations(ct);
	sipalg_destroy(ct);
	nf_conntrack_free(ct);
}

static int sk_ct_res(struct kunit_resource *res, void *ct)
{
	res->data = ct;
	return 0;
}

/*
 * phone -> server, source-NATed: orig phone->server, reply server->public.
 * Freed when the test ends, however it ends.
 */
static struct nf_conn *sk_ct(struct kunit *test, const struct sk_flow *f)
{
	struct nf_conntrack_helper *h;
	struct nf_conntrack_tuple o, r;
	struct nf_conn_help *help;
	struct nf_conn *ct;
	void *res;

	sk_tuple(&o, f, &f->phone, f->phone_port, &f->server, f->server_port,
		 IP_CT_DIR_ORIGINAL);
	sk_tuple(&r, f, &f->server, f->server_port, &f->pub, f->pub_port,
		 IP_CT_DIR_REPLY);
	ct = nf_conntrack_alloc(&init_net, &nf_ct_zone_dflt, &o, &r, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(ct));
	res = kunit_alloc_resource(test, sk_ct_res, sk_ct_free, GFP_KERNEL, ct);
	if (!res)
		nf_conntrack_free(ct);
	KUNIT_ASSERT_NOT_NULL_MSG(test, res, "no memory for a test resource");
	help = nf_ct_helper_ext_add(ct, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, help);
	if (f->l4 == IPPROTO_TCP)
		KUNIT_ASSERT_NOT_NULL(test, nfct_seqadj_ext_add(ct));
	rcu_read_lock();
	h = __nf_conntrack_helper_find(SIPALG_NAME, f->l3, f->l4);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL_MSG(test, h, "helper \"%s\" not registered",
				  SIPALG_NAME);
	rcu_assign_pointer(help->helper, h);
	ct->status |= IPS_SRC_NAT;
	return ct;
}


/*
 * A packet from the public address to the server (as after the NAT) with
 * payload; the payload is put in a page fragment when frag is set.
 */
static struct sk_buff *sk_pkt(struct kunit *test, const struct sk_flow *f,
			      u32 seq, const void *payload, size_t plen,
			      bool frag, unsigned int *protoff)
{
	unsigned int l3len = f->l3 == NFPROTO_IPV4 ? sizeof(struct iphdr) :
						     sizeof(struct ipv6hdr);
	unsigned int l4len = f->l4 == IPPROTO_UDP ? sizeof(struct udphdr) :
						    sizeof(struct tcphdr);
	unsigned int tot = l3len + l4len + plen;
	struct sk_buff *skb;
	__sum16 *check;
	__wsum csum;

	skb = alloc_skb(LL_MAX_HEADER + l3len + l4len + (frag ? 0 : plen),
			GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	if (f->l3 == NFPROTO_IPV4) {
		struct iphdr *iph = skb_put_zero(skb, sizeof(*iph));

		iph->version = 4;
		iph->ihl = 5;
		iph->ttl = 64;
		iph->protocol = f->l4;
		iph->tot_len = htons(tot);
		iph->saddr = f->reply ? f->server.ip : f->pub.ip;
		iph->daddr = f->reply ? f->pub.ip : f->server.ip;
		iph->check = ip_fast_csum(iph, iph->ihl);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6 = skb_put_zero(skb, sizeof(*ip6));

		ip6->version = 6;
		ip6->hop_limit = 64;
		ip6->nexthdr = f->l4;
		ip6->payload_len = htons(l4len + plen);
		ip6->saddr = f->reply ? f->server.in6 : f->pub.in6;
		ip6->daddr = f->reply ? f->pub.in6 : f->server.in6;
		skb->protocol = htons(ETH_P_IPV6);
	}
	*protoff = l3len;
	skb_set_transport_header(skb, l3len);
	if (f->l4 == IPPROTO_UDP) {
		struct udphdr *uh = skb_put_zero(skb, sizeof(*uh));

		uh->source = htons(f->reply ? f->server_port : f->pub_port);
		uh->dest = htons(f->reply ? f->pub_port : f->server_port);
		uh->len = htons(l4len + plen);
		check = &uh->check;
	} else {
		struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

		th->source = htons(f->reply ? f->server_port : f->pub_port);
		th->dest = htons(f->reply ? f->pub_port : f->server_port);
		th->seq = htonl(seq);
		th->ack_seq = htonl(1);
		th->doff = sizeof(*th) / 4;
		th->ack = 1;
		th->psh = 1;
		th->window = htons(65535);
		check = &th->check;
	}
	if (frag) {
		struct page *pg = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, pg);
		KUNIT_ASSERT_LE(test, plen, PAGE_SIZE);
		memcpy(page_address(pg), payload, plen);
		skb_add_rx_frag(skb, 0, pg, 0, plen, PAGE_SIZE);
	} else {
		skb_put_data(skb, payload, plen);
	}
	/* a full checksum, as a packet from the wire has */
	csum = skb_checksum(skb, l3len, l4len + plen, 0);
	if (f->l3 == NFPROTO_IPV4)
		*check = csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
					   l4len + plen, f->l4, csum);
	else
		*check = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
					 &ipv6_hdr(skb)->daddr, l4len + plen,
					 f->l4, csum);
	if (f->l4 == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
	skb->ip_summed = CHECKSUM_NONE;
	return skb;
}

/* lengths and checksums of the packet agree with its contents */
static void sk_check_packet(struct kunit *test, const struct sk_flow *f,
			    struct sk_buff *skb, unsigned int protoff)
{
	unsigned int l4len = skb->len - protoff;
	__wsum csum;
	__sum16 res;

	if (skb->ip_summed == CHECKSUM_PARTIAL)
		KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
	if (f->l3 == NFPROTO_IPV4) {
		struct iphdr *iph = ip_hdr(skb);

		KUNIT_EXPECT_EQ(test, ntohs(iph->tot_len), skb->len);
		KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, iph->ihl), 0);
	} else {
		KUNIT_EXPECT_EQ(test, ntohs(ipv6_hdr(skb)->payload_len), l4len);
	}
	if (f->l4 == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)(skb->data + protoff);

		KUNIT_EXPECT_EQ(test, ntohs(uh->len), l4len);
	}
	csum = skb_checksum(skb, protoff, l4len, 0);
	if (f->l3 == NFPROTO_IPV4)
		res = csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
					l4len, f->l4, csum);
	else
		res = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
				      &ipv6_hdr(skb)->daddr, l4len, f->l4, csum);
	KUNIT_EXPECT_EQ_MSG(test, res, 0, "bad %s checksum",
			    f->l4 == IPPROTO_UDP ? "UDP" : "TCP");
}

/* the payload as a string */
static char *sk_payload(struct kunit *test, const struct sk_flow *f,
			struct sk_buff *skb, unsigned int protoff)
{
	unsigned int off = protoff + sizeof(struct udphdr);
	char *s;

	if (f->l4 == IPPROTO_TCP)
		off = protoff + ((struct tcphdr *)(skb->data + protoff))->doff * 4;
	KUNIT_ASSERT_LE(test, off, skb->len);
	s = kunit_kzalloc(test, skb->len - off + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, off, s, skb->len - off), 0);
	return s;
}

/*
 * Run the helper as conntrack does: in a netfilter hook (RCU read side,
 * bottom halves off as on the forwarding path), with the skb attached to
 * ct (without a reference: the test's conntrack is never confirmed, its
 * use count stays 0).
 */
static int sk_help(struct sk_buff *skb, unsigned int protoff,
		   struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	int ret;

	local_bh_disable();
	rcu_read_lock();
	nf_ct_set(skb, ct, ctinfo);
	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		ret = sipalg_help_tcp(skb, protoff, ct, ctinfo);
	else
		ret = sipalg_help_udp(skb, protoff, ct, ctinfo);
	nf_ct_set(skb, NULL, 0);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

/*
 * The netfilter log as a bound logger sees it: sk_log_start() binds one
 * for IPv4 in init_net (this kernel builds none of its own), which keeps
 * each prefix it is given (what nf_ct_helper_log wrote, its trailing
 * space included), each followed by '|', in sk_log_text; unbound when the
 * test ends.
 */
static char sk_log_text[512];
static DEFINE_SPINLOCK(sk_log_lock);

static void sk_logfn(struct net *net, u_int8_t pf, unsigned int hooknum,
		     const struct sk_buff *skb, const struct net_device *in,
		     const struct net_device *out,
		     const struct nf_loginfo *li, const char *prefix)
{
	size_t n;

	spin_lock_bh(&sk_log_lock);
	n = strlen(sk_log_text);
	scnprintf(sk_log_text + n, sizeof(sk_log_text) - n, "%s|", prefix);
	spin_unlock_bh(&sk_log_lock);
}

static struct nf_logger sk_logger = {
	.name	= "sipalg_kunit",
	.type	= NF_LOG_TYPE_LOG,
	.logfn	= sk_logfn,
	.me	= THIS_MODULE,
};

static void sk_log_free(struct kunit_resource *res)
{
	nf_log_unbind_pf(&init_net, NFPROTO_IPV4);
	nf_log_unregister(&sk_logger);
}

static int sk_log_res(struct kunit_resource *res, void *logger)
{
	res->data = logger;
	return 0;
}

static void sk_log_start(struct kunit *test)
{
	void *res;

	memset(sk_log_text, 0, sizeof(sk_log_text));
	KUNIT_ASSERT_EQ(test, nf_log_register(NFPROTO_IPV4, &sk_logger), 0);
	res = kunit_alloc_resource(test, sk_log_res, sk_log_free, GFP_KERNEL,
				   &sk_logger);
	if (!res)
		nf_log_unregister(&sk_logger);
	KUNIT_ASSERT_NOT_NULL_MSG(test, res, "no memory for a test resource");
	KUNIT_ASSERT_EQ(test, nf_log_bind_pf(&init_net, NFPROTO_IPV4,
					     &sk_logger), 0);
}

/* one UDP message through the helper: verdict, packet and payload checked */
static void sk_udp_case(struct kunit *test, const struct sk_flow *f,
			const struct sk_buf *in, const struct sk_buf *want,
			bool frag)
{
	struct nf_conn *ct = sk_ct(test, f);
	unsigned int protoff;
	struct sk_buff *skb = sk_pkt(test, f, 0, in->data, in->len, frag,
				     &protoff);

	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_NEW), NF_ACCEPT);
	sk_check_packet(test, f, skb, protoff);
	KUNIT_EXPECT_STREQ(test, sk_payload(test, f, skb, protoff), want->str);
	kfree_skb(skb);
}

/* ------------------------------------------------------ rewriting, UDP */

static void skb_udp_grow(struct kunit *test)
{
	struct sk_buf in = sk_msg(test, INVITE_HDRS("UDP", PHONE4, "5060"),
				  SDP_BODY(PHONE4, "49170"));
	struct sk_buf want = sk_msg(test, INVITE_HDRS("UDP", PUBLIC4, "61000"),
				    SDP_BODY(PUBLIC4, "49170"));
	struct sk_flow f;

	sk_flow4(&f, IPPROTO_UDP);
	sk_udp_case(test, &f, &in, &want, false);
}

static void skb_udp_shrink(struct kunit *test)
{
	struct sk_buf in = sk_msg(test,
				  INVITE_HDRS("UDP", "192.168.100.200", "15060"),
				  SDP_BODY("192.168.100.200", "49170"));
	struct sk_buf want = sk_msg(test, INVITE_HDRS("UDP", "10.0.0.1", "5060"),
				    SDP_BODY("10.0.0.1", "49170"));
	struct sk_flow f;

	sk_flow4(&f, IPPROTO_UDP);
	f.phone.ip = htonl(0xc0a864c8);		/* 192.168.100.200 */
	f.phone_port = 15060;
	f.pub.ip = htonl(0x0a000001);		/* 10.0.0.1 */
	f.pub_port = 5060;
	sk_udp_case(test, &f, &in, &want, false);
}

/* the payload in a page fragment: the helper must linearize it first */
static void skb_udp_nonlinear(struct kunit *test)
{
	struct sk_buf in = sk_msg(test, INVITE_HDRS("UDP", PHONE4, "5060"),
				  SDP_BODY(PHONE4, "49170"));
	struct sk_buf want = sk_msg(test, INVITE_HDRS("UDP", PUBLIC4, "61000"),
				    SDP_BODY(PUBLIC4, "49170"));
	struct sk_flow f;

	sk_flow4(&f, IPPROTO_UDP);
	sk_udp_case(test, &f, &in, &want, true);
}

static void skb_udp_ipv6(struct kunit *test)
{
	struct sk_buf in = sk_msg(test,
				  INVITE_HDRS("UDP", "[2001:db8::2]", "5060"),
				  SDP_BODY_AT("IP6", "2001:db8::2", "49170"));
	struct sk_buf want = sk_msg(test,
				    INVITE_HDRS("UDP", "[2001:db8:ffff::77]", "61000"),
				    SDP_BODY_AT("IP6", "2001:db8:ffff::77", "49170"));
	struct sk_flow f;

	sk_flow6(&f, IPPROTO_UDP);
	sk_udp_case(test, &f, &in, &want, false);
}

/* a malformed message passes byte-identical */
static void skb_udp_malformed_untouched(struct kunit *test)
{
	static const char bad[] = INVITE_HDRS("UDP", PHONE4, "5060")
		"Content-Length: 999\r\n\r\n" SDP_BODY(PHONE4, "49170");
	struct sk_buf in = {
		.data = (u8 *)bad, .len = sizeof(bad) - 1, .str = (char *)bad,
	};
	struct sk_flow f;

	sk_flow4(&f, IPPROTO_UDP);
	sk_udp_case(test, &f, &in, &in, false);
}

/* ------------------------------------------------------ rewriting, TCP */

static char *sk_tcp_fwd(struct kunit *test, const struct sk_flow *f,
			struct nf_conn *ct, u32 c, const void *data,
			size_t len, u32 *seq);

/* one segment through the helper; returns the payload after it */
static char *sk_tcp_seg(struct kunit *test, const struct sk_flow *f,
			struct nf_conn *ct, u32 seq, const void *data,
			size_t len)
{
	u32 out_seq;

	return sk_tcp_fwd(test, f, ct, seq, data, len, &out_seq);
}

static s32 sk_seq_offset(struct nf_conn *ct)
{
	struct nf_conn_seqadj *sa = nfct_seqadj(ct);

	return sa ? (s32)sa->seq[IP_CT_DIR_ORIGINAL].offset_after : 0;
}

/* three whole messages in one segment, each rewritten */
static void skb_tcp_several(struct kunit *test)
{
	struct sk_buf parts[3] = {
		sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
		       SDP_BODY(PHONE4, "49170")),
		sk_msg(test, BYE_HDRS(PHONE4, "5060"), ""),
		sk_msg(test, OPTIONS_HDRS(PHONE4, "5060"), ""),
	};
	struct sk_buf want[3] = {
		sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
		       SDP_BODY(PUBLIC4, "49170")),
		sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), ""),
		sk_msg(test, OPTIONS_HDRS(PUBLIC4, "61000"), ""),
	};
	struct sk_buf seg = sk_concat(test, parts, 3);
	struct sk_buf exp = sk_concat(test, want, 3);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000, seg.data, seg.len),
			   exp.str);
	KUNIT_EXPECT_EQ(test, sk_seq_offset(ct), (s32)exp.len - (s32)seg.len);
}

/*
 * Messages split across segments: segment 1 holds the INVITE and the head
 * of the BYE, segment 2 the rest of the BYE and the head of the OPTIONS,
 * segment 3 the rest. Each message leaves whole and rewritten in the
 * segment where it ends; the sequence offset covers the growth and the held
 * bytes.
 */
static void skb_tcp_partial(struct kunit *test)
{
	struct sk_buf parts[3] = {
		sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
		       SDP_BODY(PHONE4, "49170")),
		sk_msg(test, BYE_HDRS(PHONE4, "5060"), ""),
		sk_msg(test, OPTIONS_HDRS(PHONE4, "5060"), ""),
	};
	struct sk_buf want[3] = {
		sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
		       SDP_BODY(PUBLIC4, "49170")),
		sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), ""),
		sk_msg(test, OPTIONS_HDRS(PUBLIC4, "61000"), ""),
	};
	struct sk_buf stream = sk_concat(test, parts, 3);
	size_t cut1 = parts[0].len + 30;		/* inside the BYE's start line */
	size_t cut2 = parts[0].len + parts[1].len + 100;	/* inside OPTIONS headers */
	struct sk_buf all = sk_concat(test, want, 3);
	struct sk_flow f;
	struct nf_conn *ct;
	u32 seq = 1000;

	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, seq, stream.data, cut1),
			   want[0].str);
	seq += cut1;
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, seq, stream.data + cut1,
					    cut2 - cut1), want[1].str);
	seq += cut2 - cut1;
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, seq, stream.data + cut2,
					    stream.len - cut2), want[2].str);
	KUNIT_EXPECT_EQ(test, sk_seq_offset(ct), (s32)all.len - (s32)stream.len);
}

/*
 * While the head of a message is held: a retransmission of the segment it
 * came from gives the same result again, a segment after a gap in the
 * stream is dropped (the sender retransmits) and logged to the netfilter
 * log with its reason, and the segment that does continue the stream
 * completes the message.
 */
static void skb_tcp_gap_retransmit(struct kunit *test)
{
	struct sk_buf parts[2] = {
		sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
		       SDP_BODY(PHONE4, "49170")),
		sk_msg(test, BYE_HDRS(PHONE4, "5060"), ""),
	};
	struct sk_buf want[2] = {
		sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
		       SDP_BODY(PUBLIC4, "49170")),
		sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), ""),
	};
	struct sk_buf stream = sk_concat(test, parts, 2);
	size_t cut = parts[0].len + 40;
	unsigned int protoff;
	struct sk_buff *skb;
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000, stream.data, cut),
			   want[0].str);
	/* the same segment again */
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000, stream.data, cut),
			   want[0].str);
	/* ten bytes missing before this one: dropped, and logged */
	sk_log_start(test);
	skb = sk_pkt(test, &f, 1000 + cut + 10, stream.data + cut + 10,
		     stream.len - cut - 10, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_ESTABLISHED),
			NF_DROP);
	kfree_skb(skb);
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp segment cannot be placed: tcp-gap |");
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000 + cut,
					    stream.data + cut, stream.len - cut),
			   want[1].str);
	/* what passes is not logged */
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp segment cannot be placed: tcp-gap |");
}

/* ----------------------------------------- TCP: what the other end gets */

/*
 * One TCP packet as conntrack passes it on (nf_confirm()): the helper, then
 * the kernel's own sequence adjustment when it was on before the helper
 * ran. The packet is then what the other end gets.
 */
static int sk_tcp_pass(struct sk_buff *skb, unsigned int protoff,
		       struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	bool adj = test_bit(IPS_SEQ_ADJUST_BIT, &ct->status);
	int ret = sk_help(skb, protoff, ct, ctinfo);

	if (ret == NF_ACCEPT && adj &&
	    !nf_ct_seq_adjust(skb, ct, ctinfo, protoff))
		ret = NF_DROP;
	return ret;
}

/*
 * A segment from the phone through the router (accepted): returns the
 * payload the server gets, its sequence number in *seq.
 */
static char *sk_tcp_fwd(struct kunit *test, const struct sk_flow *f,
			struct nf_conn *ct, u32 c, const void *data,
			size_t len, u32 *seq)
{
	unsigned int protoff;
	struct sk_buff *skb = sk_pkt(test, f, c, data, len, false, &protoff);
	char *out;

	KUNIT_EXPECT_EQ(test, sk_tcp_pass(skb, protoff, ct, IP_CT_ESTABLISHED),
			NF_ACCEPT);
	sk_check_packet(test, f, skb, protoff);
	*seq = ntohl(((struct tcphdr *)(skb->data + protoff))->seq);
	out = sk_payload(test, f, skb, protoff);
	kfree_skb(skb);
	return out;
}

/*
 * TCP options: two NOPs, a SACK option of the n blocks sack[0..2n), NOPs up
 * to optlen; NOPs only when n is 0.
 */
static void sk_sack_opts(u8 *opt, unsigned int optlen, const u32 *sack,
			 int n)
{
	int i;

	memset(opt, TCPOPT_NOP, optlen);
	if (!n)
		return;
	opt[2] = TCPOPT_SACK;
	opt[3] = 2 + n * TCPOLEN_SACK_PERBLOCK;
	for (i = 0; i < 2 * n; i++) {
		__be32 w = htonl(sack[i]);

		memcpy(opt + 4 + 4 * i, &w, sizeof(w));
	}
}

#define SK_SERVER_SEQ	5000

/*
 * A pure ACK of ack from the server, with n SACK blocks sack[0..2n), through
 * the router (accepted, its checksums checked). The caller frees it.
 */
static struct sk_buff *sk_tcp_ack(struct kunit *test, struct sk_flow *f,
				  struct nf_conn *ct, u32 ack, const u32 *sack,
				  int n, unsigned int *protoff)
{
	unsigned int optlen = n ? 4 + n * TCPOLEN_SACK_PERBLOCK : 0, l4len;
	u8 opt[MAX_TCP_OPTION_SPACE];
	struct sk_buff *skb;
	struct tcphdr *th;
	__wsum csum;

	KUNIT_ASSERT_LE(test, optlen, sizeof(opt));
	sk_sack_opts(opt, optlen, sack, n);
	/* the options as payload, then the header made to cover them */
	f->reply = true;
	skb = sk_pkt(test, f, SK_SERVER_SEQ, opt, optlen, false, protoff);
	f->reply = false;
	th = (struct tcphdr *)(skb->data + *protoff);
	th->doff = (sizeof(*th) + optlen) / 4;
	th->ack_seq = htonl(ack);
	th->psh = 0;
	th->check = 0;
	l4len = skb->len - *protoff;
	csum = skb_checksum(skb, *protoff, l4len, 0);
	if (f->l3 == NFPROTO_IPV4)
		th->check = csum_tcpudp_magic(ip_hdr(skb)->saddr,
					      ip_hdr(skb)->daddr, l4len,
					      IPPROTO_TCP, csum);
	else
		th->check = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
					    &ipv6_hdr(skb)->daddr, l4len,
					    IPPROTO_TCP, csum);
	KUNIT_EXPECT_EQ(test, sk_tcp_pass(skb, *protoff, ct,
					  IP_CT_ESTABLISHED_REPLY), NF_ACCEPT);
	sk_check_packet(test, f, skb, *protoff);
	return skb;
}

/* the ACK the phone gets for the server's ack */
static u32 sk_tcp_acked(struct kunit *test, struct sk_flow *f,
			struct nf_conn *ct, u32 ack)
{
	unsigned int protoff;
	struct sk_buff *skb = sk_tcp_ack(test, f, ct, ack, NULL, 0, &protoff);
	u32 got = ntohl(((struct tcphdr *)(skb->data + protoff))->ack_seq);

	kfree_skb(skb);
	return got;
}

/* a module-wide counter (all tests run one after the other) */
static s64 sk_total(struct kunit *test, enum sipalg_ctr ctr)
{
	const struct sipalg_ctrs __percpu *c = sipalg_totals(&init_net);

	KUNIT_ASSERT_NOT_NULL(test, c);
	return sipalg_ctr_read(c, ctr);
}

/* BYE, INVITE, OPTIONS as the phone sends them (in) and as they leave */
static void sk_tcp_msgs(struct kunit *test, struct sk_buf *in,
			struct sk_buf *want)
{
	in[0] = sk_msg(test, BYE_HDRS(PHONE4, "5060"), "");
	in[1] = sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
		       SDP_BODY(PHONE4, "49170"));
	in[2] = sk_msg(test, OPTIONS_HDRS(PHONE4, "5060"), "");
	want[0] = sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), "");
	want[1] = sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
			 SDP_BODY(PUBLIC4, "49170"));
	want[2] = sk_msg(test, OPTIONS_HDRS(PUBLIC4, "61000"), "");
}

/*
 * BYE, then an INVITE in three segments: its first 100 bytes, its next 150,
 * each held whole (the server gets an empty segment at its next byte), then
 * both again as one segment from the INVITE's start: still held. The rest
 * of it makes it leave whole, rewritten once, at the server's next byte;
 * the OPTIONS after it follows it.
 */
static void skb_tcp_rexmit_held_twice(struct kunit *test)
{
	struct sk_buf in[3], want[3], stream;
	s64 rw = sk_total(test, SIPALG_CTR_REWRITTEN);
	s64 reasm = sk_total(test, SIPALG_CTR_TCP_REASM);
	size_t b, m;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c = 1000, o, seq;

	sk_tcp_msgs(test, in, want);
	stream = sk_concat(test, in, 3);
	b = in[0].len;
	m = in[1].len;
	KUNIT_ASSERT_GT(test, m, (size_t)250);
	o = c + want[0].len;		/* the server's next byte after the BYE */
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, stream.data, b,
					    &seq), want[0].str);
	KUNIT_EXPECT_EQ(test, seq, c);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b,
					    stream.data + b, 100, &seq), "");
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b + 100,
					    stream.data + b + 100, 150, &seq),
			   "");
	KUNIT_EXPECT_EQ(test, seq, o);
	/* sent again from the first held byte, other boundaries */
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b,
					    stream.data + b, 250, &seq), "");
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 1);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b + 250,
					    stream.data + b + 250, m - 250,
					    &seq), want[1].str);
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 2);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_TCP_REASM) - reasm, 1);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b + m,
					    stream.data + b + m, in[2].len,
					    &seq), want[2].str);
	KUNIT_EXPECT_EQ(test, seq, o + (u32)want[1].len);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 3);
	KUNIT_EXPECT_EQ(test, sk_seq_offset(ct),
			(s32)(want[0].len + want[1].len + want[2].len) -
			(s32)stream.len);
}

/*
 * No memory (or a failed copy) for a segment that should be framed: BYE,
 * then the INVITE's first 40 bytes, held. The next segment (the rest of the
 * INVITE and the OPTIONS) cannot be framed: it passes as it is, at the
 * server's next byte after the 40 it lacks, counted "unchanged" with the
 * reason and not dropped (nor logged), and the held bytes are freed. The
 * phone has no ACK for them and sends them again: they pass as they are
 * too. The offset of the BYE's rewrite stays, for data and ACKs.
 */
static void sk_tcp_giveup(struct kunit *test, int how, unsigned int reason)
{
	const struct sipalg_ctrs __percpu *ctrs = sipalg_totals(&init_net);
	long held = sipalg_tcp_held_bytes();
	struct sk_buf in[3], want[3], stream;
	const size_t a = 40;
	s64 unch, drop, rw;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c = 1000, o, seq;
	size_t b, rest;
	char *exp;

	KUNIT_ASSERT_NOT_NULL(test, ctrs);
	sk_tcp_msgs(test, in, want);
	stream = sk_concat(test, in, 3);
	b = in[0].len;
	rest = stream.len - b - a;
	o = c + want[0].len;
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, stream.data,
					    b + a, &seq), want[0].str);
	KUNIT_EXPECT_EQ(test, seq, c);
	KUNIT_EXPECT_GT(test, sipalg_tcp_held_bytes(), held);

	unch = sipalg_ctr_reason_read(ctrs, SIPALG_CTR_UNCHANGED, reason);
	drop = sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED, reason);
	rw = sk_total(test, SIPALG_CTR_REWRITTEN);
	sk_log_start(test);
	WRITE_ONCE(sipalg_tcp_fail_next, how);
	exp = kunit_kzalloc(test, rest + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, exp);
	memcpy(exp, stream.data + b + a, rest);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b + a,
					    stream.data + b + a, rest, &seq),
			   exp);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sipalg_tcp_fail_next),
			SIPALG_TCP_FAIL_NONE);
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_NONE);
	KUNIT_EXPECT_EQ(test, seq, o + (u32)a);
	KUNIT_EXPECT_EQ(test, sipalg_ctr_reason_read(ctrs, SIPALG_CTR_UNCHANGED,
						     reason) - unch, 1);
	KUNIT_EXPECT_EQ(test, sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED,
						     reason) - drop, 0);
	KUNIT_EXPECT_EQ(test, sipalg_tcp_held_bytes(), held);
	/* it passes: nothing in the netfilter log */
	KUNIT_EXPECT_STREQ(test, sk_log_text, "");

	/* the 40 bytes again from the phone: as they are, at o */
	memset(exp, 0, rest + 1);
	memcpy(exp, stream.data + b, a);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b,
					    stream.data + b, a, &seq), exp);
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 0);
	/* the server's ACK of all it got: the phone's whole stream */
	KUNIT_EXPECT_EQ(test, sk_tcp_acked(test, &f, ct,
					   o + (u32)(stream.len - b)),
			c + (u32)stream.len);
	KUNIT_EXPECT_EQ(test, sk_seq_offset(ct),
			(s32)want[0].len - (s32)in[0].len);
}

static void skb_tcp_nomem_passes(struct kunit *test)
{
	sk_tcp_giveup(test, SIPALG_TCP_FAIL_NOMEM, SIPALG_R_NOMEM);
}

static void skb_tcp_copy_failed_passes(struct kunit *test)
{
	sk_tcp_giveup(test, SIPALG_TCP_FAIL_COPY, SIPALG_R_COPY_FAILED);
}

/*
 * A failed copy where the direction cannot be given up: the INVITE whole
 * and the BYE's first 40 bytes (held), then the same segment again, to be
 * framed again (its INVITE went out already, so the receiver may have part
 * of it: never raw bytes over it). The copy fails: dropped, counted
 * "dropped" with copy-failed, and logged to the netfilter log with that
 * reason. Sent again, it gives the same as the first time, and the rest of
 * the BYE completes it.
 */
static void skb_tcp_regen_copy_failed_drops(struct kunit *test)
{
	const struct sipalg_ctrs __percpu *ctrs = sipalg_totals(&init_net);
	struct sk_buf parts[2] = {
		sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
		       SDP_BODY(PHONE4, "49170")),
		sk_msg(test, BYE_HDRS(PHONE4, "5060"), ""),
	};
	struct sk_buf want[2] = {
		sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
		       SDP_BODY(PUBLIC4, "49170")),
		sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), ""),
	};
	struct sk_buf stream = sk_concat(test, parts, 2);
	size_t cut = parts[0].len + 40;
	unsigned int protoff;
	struct sk_buff *skb;
	struct sk_flow f;
	struct nf_conn *ct;
	s64 drop;

	KUNIT_ASSERT_NOT_NULL(test, ctrs);
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000, stream.data, cut),
			   want[0].str);

	drop = sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED,
				      SIPALG_R_COPY_FAILED);
	sk_log_start(test);
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_COPY);
	skb = sk_pkt(test, &f, 1000, stream.data, cut, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_ESTABLISHED),
			NF_DROP);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sipalg_tcp_fail_next),
			SIPALG_TCP_FAIL_NONE);
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_NONE);
	KUNIT_EXPECT_EQ(test, sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED,
						     SIPALG_R_COPY_FAILED) - drop,
			1);
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp segment not framed: copy-failed |");

	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000, stream.data, cut),
			   want[0].str);
	KUNIT_EXPECT_STREQ(test, sk_tcp_seg(test, &f, ct, 1000 + cut,
					    stream.data + cut, stream.len - cut),
			   want[1].str);
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp segment not framed: copy-failed |");
}

/*
 * No memory to make a segment's TCP header writable (its sequence number is
 * rewritten: the BYE before it grew): BYE, then an INVITE whose header
 * cannot be written. It is dropped before anything of it happens, counted
 * "dropped" with nomem, not seen and not rewritten, and logged to the
 * netfilter log with its reason; sent again, it leaves rewritten at the
 * server's next byte after the BYE.
 */
static void skb_tcp_hdr_nomem_drops(struct kunit *test)
{
	const struct sipalg_ctrs __percpu *ctrs = sipalg_totals(&init_net);
	struct sk_buf in[3], want[3];
	unsigned int protoff;
	struct sk_buff *skb;
	s64 drop, seen, rw;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c = 1000, seq;

	KUNIT_ASSERT_NOT_NULL(test, ctrs);
	sk_tcp_msgs(test, in, want);
	KUNIT_ASSERT_NE(test, in[0].len, want[0].len);
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, in[0].data,
					    in[0].len, &seq), want[0].str);
	KUNIT_EXPECT_EQ(test, seq, c);

	drop = sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED, SIPALG_R_NOMEM);
	seen = sk_total(test, SIPALG_CTR_SEEN);
	rw = sk_total(test, SIPALG_CTR_REWRITTEN);
	sk_log_start(test);
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_HDR);
	skb = sk_pkt(test, &f, c + in[0].len, in[1].data, in[1].len, false,
		     &protoff);
	KUNIT_EXPECT_EQ(test, sk_tcp_pass(skb, protoff, ct, IP_CT_ESTABLISHED),
			NF_DROP);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sipalg_tcp_fail_next),
			SIPALG_TCP_FAIL_NONE);
	WRITE_ONCE(sipalg_tcp_fail_next, SIPALG_TCP_FAIL_NONE);
	KUNIT_EXPECT_EQ(test, sipalg_ctr_reason_read(ctrs, SIPALG_CTR_DROPPED,
						     SIPALG_R_NOMEM) - drop, 1);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_SEEN) - seen, 0);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 0);
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp header not writable: nomem |");

	/* again: rewritten, right after the BYE as it left, not logged */
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + in[0].len,
					    in[1].data, in[1].len, &seq),
			   want[1].str);
	KUNIT_EXPECT_EQ(test, seq, c + (u32)want[0].len);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 1);
	KUNIT_EXPECT_STREQ(test, sk_log_text,
			   "nf_ct_sipalg: dropping packet: tcp header not writable: nomem |");
}

/*
 * Custody: BYE, then the INVITE's first 120 bytes, held. The server's ACK
 * of all it got covers the BYE only. The held bytes sent again (a timeout)
 * while the server has all output: a 1-byte duplicate at its ACK - 1, which
 * it answers at once (not an empty probe at its next byte: Linux answers
 * that at most twice a second); that same ACK now covers the held bytes.
 * The rest of the INVITE makes it leave; its ACK maps to its end.
 */
static void skb_tcp_custody_dup(struct kunit *test)
{
	long held = sipalg_tcp_held_bytes();
	struct sk_buf in[3], want[3], stream;
	const size_t a = 120;
	size_t b, m;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c = 1000, o, seq;
	char *out;

	sk_tcp_msgs(test, in, want);
	stream = sk_concat(test, in, 2);
	b = in[0].len;
	m = in[1].len;
	o = c + want[0].len;
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, stream.data, b,
					    &seq), want[0].str);
	KUNIT_EXPECT_EQ(test, seq, c);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b,
					    stream.data + b, a, &seq), "");
	KUNIT_EXPECT_EQ(test, seq, o);
	/* the server has every byte of output: the held ones are not acked */
	KUNIT_EXPECT_EQ(test, sk_tcp_acked(test, &f, ct, o), c + (u32)b);

	/* the held segment again: one byte the server has */
	out = sk_tcp_fwd(test, &f, ct, c + b, stream.data + b, a, &seq);
	KUNIT_EXPECT_EQ(test, strlen(out), (size_t)1);
	KUNIT_EXPECT_EQ(test, seq, o - 1);
	/* its answer, the same ACK, covers the held bytes: the phone's next */
	KUNIT_EXPECT_EQ(test, sk_tcp_acked(test, &f, ct, o), c + (u32)(b + a));

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b + a,
					    stream.data + b + a, m - a, &seq),
			   want[1].str);
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_EQ(test, sk_tcp_acked(test, &f, ct, o + want[1].len),
			c + (u32)(b + m));
	KUNIT_EXPECT_EQ(test, sk_seq_offset(ct),
			(s32)(want[0].len + want[1].len) - (s32)(b + m));
	/* nothing held any more, no custody copy either */
	KUNIT_EXPECT_EQ(test, sipalg_tcp_held_bytes(), held);
}

/*
 * Held bytes sent again with other bytes: BYE and the INVITE's first 200
 * bytes in one segment, those held. Then sent again with other bytes
 * where they were held ("Max-Forwards: 69" for 70): from the held bytes'
 * start with the rest of the INVITE (the copy held stays: the INVITE has
 * 70), or (whole) the first segment again, BYE and all, before the server
 * acknowledged anything, then the rest: the BYE is produced again the same
 * where it was, and the INVITE leaves whole, with the bytes of one copy or
 * the other (the receiver never had either: both are the sender's stream,
 * sa_tcp.h, invariant 1), never a mix.
 */
static void sk_tcp_other_bytes(struct kunit *test, bool whole)
{
	struct sk_buf in[3], want[3], stream, other;
	s64 rw = sk_total(test, SIPALG_CTR_REWRITTEN);
	size_t b, cut;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c = 1000, o, seq;
	char *mf;

	sk_tcp_msgs(test, in, want);
	stream = sk_concat(test, in, 2);
	other = sk_concat(test, in, 2);
	b = in[0].len;
	cut = b + 200;
	mf = strstr(other.str + b, "Max-Forwards: 70");
	KUNIT_ASSERT_NOT_NULL(test, mf);
	KUNIT_ASSERT_LT(test, (size_t)(mf - other.str) + 16, cut);
	memcpy(other.data + (mf - other.str), "Max-Forwards: 69", 16);
	o = c + want[0].len;
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);

	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, stream.data, cut,
					    &seq), want[0].str);
	KUNIT_EXPECT_EQ(test, seq, c);
	if (whole) {
		/* the BYE produced again, the same, where it was */
		KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c, other.data,
						    cut, &seq), want[0].str);
		KUNIT_EXPECT_EQ(test, seq, c);
		char *got = sk_tcp_fwd(test, &f, ct, c + cut, stream.data + cut,
				       stream.len - cut, &seq);
		char *w69 = kunit_kzalloc(test, want[1].len + 1, GFP_KERNEL);
		char *mf69;

		KUNIT_ASSERT_NOT_NULL(test, w69);
		memcpy(w69, want[1].str, want[1].len);
		mf69 = strstr(w69, "Max-Forwards: 70");
		KUNIT_ASSERT_NOT_NULL(test, mf69);
		memcpy(mf69, "Max-Forwards: 69", 16);
		KUNIT_EXPECT_TRUE_MSG(test, !strcmp(got, want[1].str) ||
				      !strcmp(got, w69),
				      "the INVITE is neither copy whole: %s", got);
	} else {
		KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c + b,
						    other.data + b,
						    stream.len - b, &seq),
				   want[1].str);
	}
	KUNIT_EXPECT_EQ(test, seq, o);
	KUNIT_EXPECT_EQ(test, sk_total(test, SIPALG_CTR_REWRITTEN) - rw, 2);
}

static void skb_tcp_rexmit_other_bytes(struct kunit *test)
{
	sk_tcp_other_bytes(test, false);
}

static void skb_tcp_rexmit_other_bytes_whole(struct kunit *test)
{
	sk_tcp_other_bytes(test, true);
}

/* the SACK option of a packet is what sk_sack_opts() makes of sack[0..2n) */
static void sk_expect_sack(struct kunit *test, struct sk_buff *skb,
			   unsigned int protoff, unsigned int optlen,
			   const u32 *sack, int n)
{
	const struct tcphdr *th = (struct tcphdr *)(skb->data + protoff);
	const u8 *got = (const u8 *)(th + 1);
	u8 want[MAX_TCP_OPTION_SPACE];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, th->doff * 4U, sizeof(*th) + optlen);
	sk_sack_opts(want, optlen, sack, n);
	for (i = 0; i < optlen; i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], want[i], "option byte %u", i);
}

/*
 * SACK blocks the server sends (crafted) after BYE, INVITE and OPTIONS
 * each left rewritten, the BYE lost (ACK of its start). Their edges inside
 * rewritten messages are narrowed to the whole messages in them: [the
 * INVITE's start, 7 bytes into the OPTIONS) to the INVITE, [10 bytes into
 * the INVITE, the end) to the OPTIONS; a block past all output goes. A
 * block with no whole message in it: the option becomes NOPs.
 */
static void skb_tcp_sack_edges(struct kunit *test)
{
	struct sk_buf in[3], want[3];
	unsigned int protoff;
	struct sk_buff *skb;
	struct sk_flow f;
	struct nf_conn *ct;
	u32 c[4], o[4], seq;
	int i;

	sk_tcp_msgs(test, in, want);
	sk_flow4(&f, IPPROTO_TCP);
	ct = sk_ct(test, &f);
	c[0] = 1000;
	o[0] = 1000;
	for (i = 0; i < 3; i++) {
		c[i + 1] = c[i] + in[i].len;
		o[i + 1] = o[i] + want[i].len;
		KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, c[i],
						    in[i].data, in[i].len, &seq),
				   want[i].str);
		KUNIT_EXPECT_EQ(test, seq, o[i]);
	}

	{
		const u32 sack[6] = { o[1], o[2] + 7, o[1] + 10, o[3],
				      o[3] + 100, o[3] + 200 };
		const u32 mapped[4] = { c[1], c[2], c[2], c[3] };

		skb = sk_tcp_ack(test, &f, ct, o[0], sack, 3, &protoff);
		KUNIT_EXPECT_EQ(test,
				ntohl(((struct tcphdr *)(skb->data + protoff))->ack_seq),
				c[0]);
		sk_expect_sack(test, skb, protoff, 4 + 3 * TCPOLEN_SACK_PERBLOCK,
			       mapped, 2);
		kfree_skb(skb);
	}
	{
		const u32 sack[2] = { o[2] + 5, o[3] - 5 };

		skb = sk_tcp_ack(test, &f, ct, o[0], sack, 1, &protoff);
		KUNIT_EXPECT_EQ(test,
				ntohl(((struct tcphdr *)(skb->data + protoff))->ack_seq),
				c[0]);
		sk_expect_sack(test, skb, protoff, 4 + TCPOLEN_SACK_PERBLOCK,
			       NULL, 0);
		kfree_skb(skb);
	}
}

/* ------------------------------------------------ TCP across a failover */

#ifdef CONFIG_NF_CONNTRACK_EVENTS
static int sk_ct_event(unsigned int events, const struct nf_ct_event *item)
{
	return 0;
}

static const struct nf_ct_event_notifier sk_notifier = {
	.ct_event = sk_ct_event,
};

static u8 sk_events_was;

static void sk_notifier_free(struct kunit_resource *res)
{
	nf_conntrack_unregister_notifier(&init_net);
	init_net.ct.sysctl_events = sk_events_was;
}

static int sk_notifier_init(struct kunit_resource *res, void *ctx)
{
	nf_conntrack_register_notifier(&init_net, &sk_notifier);
	/* events on for every conntrack (2, the default, waits for ctnetlink) */
	sk_events_was = init_net.ct.sysctl_events;
	init_net.ct.sysctl_events = 1;
	/* (what kunit_alloc_resource() returns) */
	res->data = (void *)&sk_notifier;
	return 0;
}

/* an event listener, as ctnetlink is while conntrackd runs */
static void sk_listen(struct kunit *test)
{
	if (rcu_access_pointer(init_net.ct.nf_conntrack_event_cb))
		return;
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test, sk_notifier_init,
							 sk_notifier_free,
							 GFP_KERNEL, NULL));
}

/*
 * rtrA rewrites an INVITE (it grows), then fails; rtrB goes on with a BYE
 * on the same connection. conntrackd sends what ctnetlink's update events
 * carry, and those carry the sequence offsets only when IPCT_SEQADJ is among
 * the events: so rtrB's conntrack gets them only then (as ctnetlink sets
 * them when conntrackd commits). The server must get the BYE right after
 * the INVITE, rewritten: not where the phone's numbering would put it.
 */
static void skb_tcp_failover_offsets(struct kunit *test)
{
	struct sk_buf in1 = sk_msg(test, INVITE_HDRS("TCP", PHONE4, "5060"),
				   SDP_BODY(PHONE4, "49170"));
	struct sk_buf out1 = sk_msg(test, INVITE_HDRS("TCP", PUBLIC4, "61000"),
				    SDP_BODY(PUBLIC4, "49170"));
	struct sk_buf in2 = sk_msg(test, BYE_HDRS(PHONE4, "5060"), "");
	struct sk_buf out2 = sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), "");
	struct nf_conn_seqadj *sa, *sb;
	struct nf_conntrack_ecache *e;
	struct nf_conn *a, *b;
	struct sk_flow f;
	u32 seq;

	sk_flow4(&f, IPPROTO_TCP);
	sk_listen(test);
	a = sk_ct(test, &f);
	KUNIT_ASSERT_TRUE(test, nf_ct_ecache_ext_add(a, ~0, 0, GFP_KERNEL));
	e = nf_ct_ecache_find(a);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, a, 1000, in1.data,
					    in1.len, &seq), out1.str);
	KUNIT_EXPECT_EQ(test, seq, 1000U);
	KUNIT_EXPECT_TRUE(test, test_bit(IPCT_SEQADJ, &e->cache));

	/* rtrB: what conntrackd committed; no helper data */
	b = sk_ct(test, &f);
	sa = nfct_seqadj(a);
	sb = nfct_seqadj(b);
	if (test_bit(IPCT_SEQADJ, &e->cache)) {
		sb->seq[IP_CT_DIR_ORIGINAL] = sa->seq[IP_CT_DIR_ORIGINAL];
		sb->seq[IP_CT_DIR_REPLY] = sa->seq[IP_CT_DIR_REPLY];
		set_bit(IPS_SEQ_ADJUST_BIT, &b->status);
	}
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, b, 1000 + in1.len,
					    in2.data, in2.len, &seq), out2.str);
	KUNIT_EXPECT_EQ(test, seq, 1000U + (u32)out1.len);
	KUNIT_EXPECT_EQ(test, sk_seq_offset(b),
			(s32)(out1.len + out2.len) - (s32)(in1.len + in2.len));
}

/* an offset that does not change is no event: none per segment */
static void skb_tcp_offset_event_once(struct kunit *test)
{
	struct sk_buf in = sk_msg(test, BYE_HDRS(PHONE4, "5060"), "");
	struct sk_buf out = sk_msg(test, BYE_HDRS(PUBLIC4, "61000"), "");
	struct nf_conntrack_ecache *e;
	struct nf_conn *ct;
	struct sk_flow f;
	u32 seq;

	sk_flow4(&f, IPPROTO_TCP);
	sk_listen(test);
	ct = sk_ct(test, &f);
	KUNIT_ASSERT_TRUE(test, nf_ct_ecache_ext_add(ct, ~0, 0, GFP_KERNEL));
	e = nf_ct_ecache_find(ct);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, 1000, in.data, in.len,
					    &seq), out.str);
	KUNIT_EXPECT_TRUE(test, test_bit(IPCT_SEQADJ, &e->cache));
	/* delivered: the bits start again */
	e->cache = 0;
	KUNIT_EXPECT_STREQ(test, sk_tcp_fwd(test, &f, ct, 1000 + in.len,
					    "\r\n\r\n", 4, &seq), "\r\n\r\n");
	KUNIT_EXPECT_EQ(test, seq, 1000U + (u32)out.len);
	KUNIT_EXPECT_FALSE(test, test_bit(IPCT_SEQADJ, &e->cache));
}
#else
static void skb_tcp_failover_offsets(struct kunit *test)
{
	kunit_skip(test, "CONFIG_NF_CONNTRACK_EVENTS is off");
}

static void skb_tcp_offset_event_once(struct kunit *test)
{
	kunit_skip(test, "CONFIG_NF_CONNTRACK_EVENTS is off");
}
#endif

/* ---------------------------------------------------------- expectations */

struct sk_exp_want {
	u8 class;
	u16 port;	/* expected destination port (public side) */
	u16 real;	/* port the media is NATed to */
};

struct sk_sdp_case {
	const char *name;
	const char *media;	/* SDP after the session-level lines */
	const char *c_session;	/* session-level c= address */
	int n;
	struct sk_exp_want want[6];
};

static const struct sk_sdp_case sk_sdp_cases[] = {
	{ "audio", "m=audio 49170 RTP/AVP 0\r\n", PHONE4, 2,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 }, { SIPALG_EXP_AUDIO, 49171, 49171 } } },
	{ "audio_video",
	  "m=audio 49170 RTP/AVP 0\r\nm=video 51372 RTP/AVP 31\r\n", PHONE4, 4,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 }, { SIPALG_EXP_AUDIO, 49171, 49171 },
	    { SIPALG_EXP_VIDEO, 51372, 51372 }, { SIPALG_EXP_VIDEO, 51373, 51373 } } },
	{ "media_level_c",
	  "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 " PHONE4 "\r\n", "192.0.2.99", 2,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 }, { SIPALG_EXP_AUDIO, 49171, 49171 } } },
	{ "rtcp_near",
	  "m=audio 49170 RTP/AVP 0\r\na=rtcp:49175\r\n", PHONE4, 2,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 }, { SIPALG_EXP_AUDIO, 49175, 49175 } } },
	{ "rtcp_far",
	  "m=audio 49170 RTP/AVP 0\r\na=rtcp:53020\r\n", PHONE4, 1,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 } } },
	{ "disabled_stream",
	  "m=audio 49170 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n", PHONE4, 2,
	  { { SIPALG_EXP_AUDIO, 49170, 49170 }, { SIPALG_EXP_AUDIO, 49171, 49171 } } },
	{ "inactive", "m=audio 49170 RTP/AVP 0\r\na=inactive\r\n", PHONE4, 0 },
	{ "hold", "m=audio 49170 RTP/AVP 0\r\n", "0.0.0.0", 0 },
	{ "third_party", "m=audio 49170 RTP/AVP 0\r\n", "192.0.2.5", 0 },
	{ "t38_image", "m=image 40000 udptl t38\r\n", PHONE4, 2,
	  { { SIPALG_EXP_OTHER, 40000, 40000 }, { SIPALG_EXP_OTHER, 40001, 40001 } } },
};

static void sk_sdp_desc(const struct sk_sdp_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sk_sdp, sk_sdp_cases, sk_sdp_desc);

static void skb_expect_sdp(struct kunit *test)
{
	const struct sk_sdp_case *c = test->param_value;
	struct nf_conntrack_expect *exp;
	struct nf_conn_help *help;
	bool seen[6] = {};
	struct sk_flow f;
	struct nf_conn *ct;
	unsigned int protoff;
	struct sk_buff *skb;
	struct sk_buf in;
	char *body;
	int n = 0, i;

	body = kunit_kzalloc(test, 512, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, body);
	snprintf(body, 512,
		 "v=0\r\no=alice 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n%s",
		 PHONE4, c->c_session, c->media);
	in = sk_msg(test, INVITE_HDRS("UDP", PHONE4, "5060"), body);

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);
	skb = sk_pkt(test, &f, 0, in.data, in.len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_NEW), NF_ACCEPT);
	kfree_skb(skb);

	help = nfct_help(ct);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		const struct nf_conntrack_tuple *t = &exp->tuple;
		u16 port = ntohs(t->dst.u.udp.port);

		n++;
		KUNIT_EXPECT_EQ(test, t->dst.protonum, IPPROTO_UDP);
		KUNIT_EXPECT_EQ(test, t->src.u3.ip, f.server.ip);
		KUNIT_EXPECT_EQ(test, t->dst.u3.ip, f.pub.ip);
		KUNIT_EXPECT_EQ(test, exp->mask.src.u.all, 0);	/* any port */
		KUNIT_EXPECT_EQ(test, exp->saved_addr.ip, f.phone.ip);
		for (i = 0; i < c->n; i++) {
			if (c->want[i].port != port)
				continue;
			seen[i] = true;
			KUNIT_EXPECT_EQ_MSG(test, exp->class, c->want[i].class,
					    "port %u", port);
			KUNIT_EXPECT_EQ_MSG(test, ntohs(exp->saved_proto.udp.port),
					    c->want[i].real, "port %u", port);
		}
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	KUNIT_EXPECT_EQ(test, n, c->n);
	for (i = 0; i < c->n; i++)
		KUNIT_EXPECT_TRUE_MSG(test, seen[i], "no expectation for port %u",
				      c->want[i].port);
}

/* the same over IPv6: RTP and RTCP pinholes to the public IPv6 address */
static void skb_expect_ipv6(struct kunit *test)
{
	struct sk_buf in = sk_msg(test,
				  INVITE_HDRS("UDP", "[2001:db8::2]", "5060"),
				  SDP_BODY_AT("IP6", "2001:db8::2", "49170"));
	struct nf_conntrack_expect *exp;
	unsigned int protoff, n = 0;
	struct sk_buff *skb;
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow6(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);
	skb = sk_pkt(test, &f, 0, in.data, in.len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_NEW), NF_ACCEPT);
	kfree_skb(skb);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		u16 port = ntohs(exp->tuple.dst.u.udp.port);

		n++;
		KUNIT_EXPECT_EQ(test, exp->tuple.src.l3num, NFPROTO_IPV6);
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&exp->tuple.src.u3.in6,
							&f.server.in6));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&exp->tuple.dst.u3.in6,
							&f.pub.in6));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&exp->saved_addr.in6,
							&f.phone.in6));
		KUNIT_EXPECT_TRUE_MSG(test, port == 49170 || port == 49171,
				      "port %u", port);
		KUNIT_EXPECT_EQ(test, ntohs(exp->saved_proto.udp.port), port);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	KUNIT_EXPECT_EQ(test, n, 2U);
}

/* BYE removes the call's media expectations */
static void skb_expect_bye_flushes(struct kunit *test)
{
	struct sk_buf inv = sk_msg(test, INVITE_HDRS("UDP", PHONE4, "5060"),
				   SDP_BODY(PHONE4, "49170"));
	static const char bye_hdrs[] = BYE_HDRS(PHONE4, "5060");
	struct sk_buf bye;
	struct sk_flow f;
	struct nf_conn *ct;
	unsigned int protoff;
	struct sk_buff *skb;
	char *hdrs;

	/* the same BYE over UDP */
	hdrs = kunit_kzalloc(test, sizeof(bye_hdrs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hdrs);
	memcpy(hdrs, bye_hdrs, sizeof(bye_hdrs));
	memcpy(strstr(hdrs, "/TCP ") + 1, "UDP", 3);
	bye = sk_msg(test, hdrs, "");

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);
	skb = sk_pkt(test, &f, 0, inv.data, inv.len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_NEW), NF_ACCEPT);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, (int)nfct_help(ct)->expecting[SIPALG_EXP_AUDIO], 2);

	skb = sk_pkt(test, &f, 0, bye.data, bye.len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct, IP_CT_ESTABLISHED),
			NF_ACCEPT);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, (int)nfct_help(ct)->expecting[SIPALG_EXP_AUDIO], 0);
}

/*
 * REGISTER from behind the NAT: an inactive permanent pinhole from the
 * registrar to the phone's public address; the 200 OK activates it; a
 * de-registration (Expires 0) answered with 200 removes it.
 */
#define REGISTER_HDRS(cseq, expires)					\
	"REGISTER sip:example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP " PHONE4 ":5060;branch=z9hG4bKreg" cseq "\r\n"	\
	"Max-Forwards: 70\r\n"						\
	"To: <sip:alice@example.com>\r\n"				\
	"From: <sip:alice@example.com>;tag=reg1\r\n"			\
	"Call-ID: reg1@pc33.example.com\r\n"				\
	"CSeq: " cseq " REGISTER\r\n"					\
	"Contact: <sip:alice@" PHONE4 ":5060>\r\n"			\
	"Expires: " expires "\r\n"

#define REGISTER_OK_HDRS(cseq, expires)					\
	"SIP/2.0 200 OK\r\n"						\
	"Via: SIP/2.0/UDP " PUBLIC4 ":61000;branch=z9hG4bKreg" cseq	\
		";received=" PUBLIC4 ";rport=61000\r\n"			\
	"To: <sip:alice@example.com>;tag=srv1\r\n"			\
	"From: <sip:alice@example.com>;tag=reg1\r\n"			\
	"Call-ID: reg1@pc33.example.com\r\n"				\
	"CSeq: " cseq " REGISTER\r\n"					\
	"Contact: <sip:alice@" PUBLIC4 ":61000>;expires=" expires "\r\n"

static void sk_send(struct kunit *test, struct sk_flow *f, struct nf_conn *ct,
		    bool reply, const struct sk_buf *msg)
{
	unsigned int protoff;
	struct sk_buff *skb;

	f->reply = reply;
	skb = sk_pkt(test, f, 0, msg->data, msg->len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct,
				      reply ? IP_CT_ESTABLISHED_REPLY :
					      IP_CT_ESTABLISHED), NF_ACCEPT);
	sk_check_packet(test, f, skb, protoff);
	kfree_skb(skb);
	f->reply = false;
}

/* the one signalling expectation of ct, or NULL; checks its tuple */
static struct nf_conntrack_expect *sk_sig_exp(struct kunit *test,
					      const struct sk_flow *f,
					      struct nf_conn *ct)
{
	struct nf_conntrack_expect *exp, *found = NULL;
	int n = 0;

	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		if (exp->class != SIPALG_EXP_SIGNALLING)
			continue;
		n++;
		found = exp;
		KUNIT_EXPECT_EQ(test, exp->tuple.src.u3.ip, f->server.ip);
		KUNIT_EXPECT_EQ(test, exp->tuple.dst.u3.ip, f->pub.ip);
		KUNIT_EXPECT_EQ(test, ntohs(exp->tuple.dst.u.udp.port), f->pub_port);
		KUNIT_EXPECT_EQ(test, exp->saved_addr.ip, f->phone.ip);
		KUNIT_EXPECT_EQ(test, ntohs(exp->saved_proto.udp.port),
				f->phone_port);
		KUNIT_EXPECT_TRUE(test, exp->flags & NF_CT_EXPECT_PERMANENT);
	}
	KUNIT_EXPECT_LE(test, n, 1);
	return found;
}

static void skb_expect_register(struct kunit *test)
{
	struct sk_buf reg = sk_msg(test, REGISTER_HDRS("1", "3600"), "");
	struct sk_buf ok = sk_msg(test, REGISTER_OK_HDRS("1", "3600"), "");
	struct sk_buf unreg = sk_msg(test, REGISTER_HDRS("2", "0"), "");
	struct sk_buf unreg_ok = sk_msg(test, REGISTER_OK_HDRS("2", "0"), "");
	struct nf_conntrack_expect *exp;
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);

	sk_send(test, &f, ct, false, &reg);
	exp = sk_sig_exp(test, &f, ct);
	KUNIT_ASSERT_NOT_NULL_MSG(test, exp, "no registration pinhole");
	KUNIT_EXPECT_TRUE(test, exp->flags & NF_CT_EXPECT_INACTIVE);

	sk_send(test, &f, ct, true, &ok);
	exp = sk_sig_exp(test, &f, ct);
	KUNIT_ASSERT_NOT_NULL_MSG(test, exp, "pinhole gone after the 200 OK");
	KUNIT_EXPECT_FALSE(test, exp->flags & NF_CT_EXPECT_INACTIVE);

	sk_send(test, &f, ct, false, &unreg);
	sk_send(test, &f, ct, true, &unreg_ok);
	KUNIT_EXPECT_NULL_MSG(test, sk_sig_exp(test, &f, ct),
			      "pinhole still there after de-registration");
}

/*
 * A conntrack that conntrackd made on the backup router of an HA pair: the
 * helper is sipalg, its data all zero (conntrackd does not carry
 * CTA_HELP_INFO), the REGISTER went through the other router. The
 * registrar's 200 OK writes no lifetime (no Expires, none on the Contact),
 * which means "as the REGISTER asked": unknown here, so the default, not
 * the zero of the empty data. Read as 0, it would end the registration.
 */
#define REGISTER_OK_NOEXP_HDRS						\
	"SIP/2.0 200 OK\r\n"						\
	"Via: SIP/2.0/UDP " PUBLIC4 ":61000;branch=z9hG4bKreg1"		\
		";received=" PUBLIC4 ";rport=61000\r\n"			\
	"To: <sip:alice@example.com>;tag=srv1\r\n"			\
	"From: <sip:alice@example.com>;tag=reg1\r\n"			\
	"Call-ID: reg1@pc33.example.com\r\n"				\
	"CSeq: 1 REGISTER\r\n"						\
	"Contact: <sip:alice@" PUBLIC4 ":61000>\r\n"

static void skb_register_ok_zeroed_data(struct kunit *test)
{
	struct sk_buf ok = sk_msg(test, REGISTER_OK_NOEXP_HDRS, "");
	struct sk_flow f;
	struct nf_conn *ct;
	struct sipalg_ct *d;
	s32 left;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);
	d = sipalg_ct_data(ct);
	KUNIT_ASSERT_NOT_NULL(test, d);
	memset(d, 0, sizeof(*d));	/* as conntrackd leaves it */

	sk_send(test, &f, ct, true, &ok);
	KUNIT_EXPECT_TRUE_MSG(test, d->flags & SIPALG_F_REGISTERED,
			      "the 200 OK ended the registration");
	left = (s32)(d->reg_until - nfct_time_stamp);
	KUNIT_EXPECT_GT(test, left, (s32)(SIPALG_REG_DEFAULT_SECS - 5) * HZ);
	KUNIT_EXPECT_LE(test, left, (s32)SIPALG_REG_DEFAULT_SECS * HZ);
}

/*
 * A sips: Contact without a port means 5061 (RFC 3261 19.1.2): the phone
 * that listens there, and sends from there, gets its pinhole at the NAT's
 * port for it.
 */
static void skb_expect_register_sips(struct kunit *test)
{
	struct sk_buf reg = sk_msg(test,
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " PHONE4 ":5061;branch=z9hG4bKsips1\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:alice@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=reg1\r\n"
		"Call-ID: sips1@pc33.example.com\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sips:alice@" PHONE4 ">\r\n"
		"Expires: 3600\r\n", "");
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	f.phone_port = 5061;
	ct = sk_ct(test, &f);

	sk_send(test, &f, ct, false, &reg);
	KUNIT_EXPECT_NOT_NULL_MSG(test, sk_sig_exp(test, &f, ct),
				  "no registration pinhole");
}

/*
 * A NAT that keeps the address and changes the port: the Contact that
 * named the source port now names the NAT's, so the registrar reaches
 * the phone there only through a pinhole. A Contact on another port is
 * reachable as written: no pinhole.
 */
static void skb_expect_register_port_nat(struct kunit *test)
{
	struct sk_buf reg = sk_msg(test, REGISTER_HDRS("1", "3600"), "");
	struct sk_buf other = sk_msg(test,
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " PHONE4 ":5060;branch=z9hG4bKpn1\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:alice@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=reg1\r\n"
		"Call-ID: pn1@pc33.example.com\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@" PHONE4 ":5070>\r\n"
		"Expires: 3600\r\n", "");
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	f.pub = f.phone;
	ct = sk_ct(test, &f);
	sk_send(test, &f, ct, false, &reg);
	KUNIT_EXPECT_NOT_NULL_MSG(test, sk_sig_exp(test, &f, ct),
				  "no registration pinhole");

	ct = sk_ct(test, &f);
	sk_send(test, &f, ct, false, &other);
	KUNIT_EXPECT_NULL_MSG(test, sk_sig_exp(test, &f, ct),
			      "a pinhole to a Contact reachable as written");
}

/* ------------------------------------------- a sender that knows its NAT */

/* send msg, return its payload as it leaves */
static char *sk_send_get(struct kunit *test, struct sk_flow *f,
			 struct nf_conn *ct, bool reply, const char *hdrs)
{
	struct sk_buf msg = sk_msg(test, hdrs, "");
	unsigned int protoff;
	struct sk_buff *skb;
	char *out;

	f->reply = reply;
	skb = sk_pkt(test, f, 0, msg.data, msg.len, false, &protoff);
	KUNIT_EXPECT_EQ(test, sk_help(skb, protoff, ct,
				      reply ? IP_CT_ESTABLISHED_REPLY :
					      IP_CT_ESTABLISHED), NF_ACCEPT);
	sk_check_packet(test, f, skb, protoff);
	out = sk_payload(test, f, skb, protoff);
	kfree_skb(skb);
	f->reply = false;
	return out;
}

#define SELF_REG(host, cseq)						\
	"REGISTER sip:" SERVER4 " SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP " host ";branch=z9hG4bKself" cseq "\r\n"	\
	"Max-Forwards: 70\r\n"						\
	"To: <sip:dmz@example.com>\r\n"					\
	"From: <sip:dmz@example.com>;tag=s1\r\n"			\
	"Call-ID: self1@example.com\r\n"				\
	"CSeq: " cseq " REGISTER\r\n"					\
	"Contact: <sip:dmz@" host ">\r\n"				\
	"Expires: 300\r\n"

#define SELF_REG_OK(host, cseq)						\
	"SIP/2.0 200 OK\r\n"						\
	"Via: SIP/2.0/UDP " host ";branch=z9hG4bKself" cseq "\r\n"	\
	"To: <sip:dmz@example.com>;tag=r1\r\n"				\
	"From: <sip:dmz@example.com>;tag=s1\r\n"			\
	"Call-ID: self1@example.com\r\n"				\
	"CSeq: " cseq " REGISTER\r\n"					\
	"Contact: <sip:dmz@" host ">;expires=300\r\n"

#define SELF_END	"Content-Length: 0\r\n\r\n"

/*
 * A host behind the NAT that writes its public address (static NAT)
 * gets its Via and Contact back as it wrote them; once it writes its
 * private one again, the answers name that.
 */
static void skb_self_public_kept(struct kunit *test)
{
	struct sk_flow f;
	struct nf_conn *ct;
	char *out;

	sk_flow4(&f, IPPROTO_UDP);
	f.pub_port = 5060;	/* static NAT: the port kept */
	ct = sk_ct(test, &f);

	out = sk_send_get(test, &f, ct, false, SELF_REG(PUBLIC4 ":5060", "1"));
	KUNIT_EXPECT_STREQ(test, out, SELF_REG(PUBLIC4 ":5060", "1") SELF_END);
	out = sk_send_get(test, &f, ct, true, SELF_REG_OK(PUBLIC4 ":5060", "1"));
	KUNIT_EXPECT_STREQ(test, out, SELF_REG_OK(PUBLIC4 ":5060", "1") SELF_END);

	/* the same host writing its own address: mapped back as always */
	out = sk_send_get(test, &f, ct, false, SELF_REG(PHONE4 ":5060", "2"));
	KUNIT_EXPECT_STREQ(test, out, SELF_REG(PUBLIC4 ":5060", "2") SELF_END);
	out = sk_send_get(test, &f, ct, true, SELF_REG_OK(PUBLIC4 ":5060", "2"));
	KUNIT_EXPECT_STREQ(test, out, SELF_REG_OK(PHONE4 ":5060", "2") SELF_END);
}

/* ------------------------------------------------------- calls: pinholes */

/*
 * Calls on one connection (a trunk): the pinholes are the call's. The
 * connection is confirmed (only a confirmed conntrack gets a table).
 */
static struct nf_conn *sk_ct_confirmed(struct kunit *test,
				       const struct sk_flow *f)
{
	struct nf_conn *ct = sk_ct(test, f);

	ct->status |= IPS_CONFIRMED;
	return ct;
}

/* a SIP message of call id, with an SDP from sdp_ip when media is given */
static struct sk_buf sk_call_msg(struct kunit *test, const char *start,
				 const char *via, const char *id,
				 const char *cseq, const char *sdp_ip,
				 const char *media)
{
	const size_t cap = 1024;
	char *hdrs = kunit_kzalloc(test, cap, GFP_KERNEL);
	char *body = kunit_kzalloc(test, cap, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, hdrs);
	KUNIT_ASSERT_NOT_NULL(test, body);
	snprintf(hdrs, cap,
		 "%s\r\n"
		 "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@example.com>;tag=f%s\r\n"
		 "To: <sip:bob@example.com>;tag=t%s\r\n"
		 "Call-ID: %s@pc33.example.com\r\n"
		 "CSeq: %s\r\n"
		 "%s",
		 start, via, id, id, id, id, cseq,
		 media ? "Content-Type: application/sdp\r\n" : "");
	if (media)
		snprintf(body, cap,
			 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n%s",
			 sdp_ip, sdp_ip, media);
	return sk_msg(test, hdrs, body);
}

/* a request of call id from the phone (behind the NAT) */
static void sk_phone_req(struct kunit *test, struct sk_flow *f,
			 struct nf_conn *ct, const char *method,
			 const char *id, int cseq, const char *media)
{
	char start[96], cs[32];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "%s sip:bob@" SERVER4 ":5060 SIP/2.0",
		 method);
	snprintf(cs, sizeof(cs), "%d %s", cseq, method);
	msg = sk_call_msg(test, start, PHONE4 ":5060", id, cs, PHONE4, media);
	sk_send(test, f, ct, false, &msg);
}

/* a request of call id from the server */
static void sk_server_req(struct kunit *test, struct sk_flow *f,
			  struct nf_conn *ct, const char *method,
			  const char *id, int cseq, const char *media)
{
	char start[96], cs[32];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "%s sip:alice@" PUBLIC4 ":61000 SIP/2.0",
		 method);
	snprintf(cs, sizeof(cs), "%d %s", cseq, method);
	msg = sk_call_msg(test, start, SERVER4 ":5060", id, cs, SERVER4, media);
	sk_send(test, f, ct, true, &msg);
}

/* the server's response to the phone's request "cseq" of call id */
static void sk_server_resp(struct kunit *test, struct sk_flow *f,
			   struct nf_conn *ct, const char *status,
			   const char *id, const char *cseq, const char *media)
{
	char start[64];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "SIP/2.0 %s", status);
	msg = sk_call_msg(test, start, PUBLIC4 ":61000", id, cseq, SERVER4,
			  media);
	sk_send(test, f, ct, true, &msg);
}

/*
 * The destination ports of ct's media expectations in direction dir,
 * sorted, space separated: IP_CT_DIR_REPLY holds the pinholes the phone's
 * SDP opened (from the server to the public address), IP_CT_DIR_ORIGINAL
 * the server's.
 */
static const char *sk_media_ports(struct kunit *test, struct nf_conn *ct,
				  enum ip_conntrack_dir dir)
{
	struct nf_conntrack_expect *exp;
	u16 port[64];
	int n = 0, i, j, len = 0;
	char *s;

	s = kunit_kzalloc(test, 64 * 6 + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		if (exp->class == SIPALG_EXP_SIGNALLING || exp->dir != dir ||
		    n == ARRAY_SIZE(port))
			continue;
		port[n++] = ntohs(exp->tuple.dst.u.udp.port);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && port[j - 1] > port[j]; j--)
			swap(port[j - 1], port[j]);
	for (i = 0; i < n; i++)
		len += scnprintf(s + len, 64 * 6 + 1 - len, "%s%u",
				 i ? " " : "", port[i]);
	return s;
}

#define SK_AUDIO(port)	"m=audio " port " RTP/AVP 0\r\n"

/* two calls on one connection: a BYE removes its own call's pinholes */
static void calls_bye_keeps_other_call(struct kunit *test)
{
	long untracked = atomic_long_read(&sipalg_pins_untracked);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_server_resp(test, &f, ct, "200 OK", "a", "1 INVITE", SK_AUDIO("30000"));
	sk_server_resp(test, &f, ct, "200 OK", "b", "1 INVITE", SK_AUDIO("30010"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000 30001 30010 30011");

	sk_phone_req(test, &f, ct, "BYE", "a", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL),
			   "30010 30011");

	/* the other side hangs up the other call */
	sk_server_req(test, &f, ct, "BYE", "b", 1, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY), "");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL), "");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked), untracked);

	/* the destroy callback frees the table */
	KUNIT_EXPECT_TRUE(test, sipalg_ct_data(ct)->flags & SIPALG_F_CALLS);
	sipalg_destroy(ct);
	KUNIT_EXPECT_FALSE(test, sipalg_ct_data(ct)->flags & SIPALG_F_CALLS);
}

/* CANCEL and a failed INVITE end their call only */
static void calls_cancel_and_failure(struct kunit *test)
{
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_phone_req(test, &f, ct, "INVITE", "c", 1, SK_AUDIO("49190"));
	sk_phone_req(test, &f, ct, "CANCEL", "a", 1, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49190 49191");
	/* a challenge is retried in the dialog: nothing goes */
	sk_server_resp(test, &f, ct, "407 Proxy Authentication Required", "b",
		       "1 INVITE", NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49190 49191");
	sk_server_resp(test, &f, ct, "486 Busy Here", "b", "1 INVITE", NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49190 49191");
}

/*
 * A new offer or answer replaces its sender's pinholes of the call: a
 * moved port, hold (a=inactive), a refused stream (port 0). The other
 * side's and the other call's stay.
 */
static void calls_reoffer_replaces(struct kunit *test)
{
	long untracked = atomic_long_read(&sipalg_pins_untracked);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_server_resp(test, &f, ct, "200 OK", "a", "1 INVITE", SK_AUDIO("30000"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));

	/* re-INVITE moving the media port */
	sk_phone_req(test, &f, ct, "INVITE", "a", 2, SK_AUDIO("49190"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49190 49191");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000 30001");
	sk_server_resp(test, &f, ct, "200 OK", "a", "2 INVITE", SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000 30001");

	/* hold: a=inactive */
	sk_phone_req(test, &f, ct, "INVITE", "a", 3,
		     SK_AUDIO("49190") "a=inactive\r\n");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181");

	/* UPDATE with a new port, answered with the stream refused */
	sk_phone_req(test, &f, ct, "UPDATE", "a", 4, SK_AUDIO("49200"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49200 49201");
	sk_server_resp(test, &f, ct, "200 OK", "a", "4 UPDATE", SK_AUDIO("0"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_ORIGINAL), "");
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49200 49201");

	/* a retransmission changes nothing */
	sk_phone_req(test, &f, ct, "UPDATE", "a", 4, SK_AUDIO("49200"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49200 49201");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked), untracked);
}

/* ------------------------------------------- calls: where media comes from */

#define FAR4		"198.51.100.20"
#define FAR4B		"198.51.100.21"

/* the server's response, its SDP naming sdp_ip (a media host elsewhere) */
static void sk_server_resp_at(struct kunit *test, struct sk_flow *f,
			      struct nf_conn *ct, const char *status,
			      const char *id, const char *cseq,
			      const char *sdp_ip, const char *media)
{
	char start[64];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "SIP/2.0 %s", status);
	msg = sk_call_msg(test, start, PUBLIC4 ":61000", id, cseq, sdp_ip,
			  media);
	sk_send(test, f, ct, true, &msg);
}

/* a request of call id from the server, its SDP naming sdp_ip */
static void sk_server_req_at(struct kunit *test, struct sk_flow *f,
			     struct nf_conn *ct, const char *method,
			     const char *id, int cseq, const char *sdp_ip,
			     const char *media)
{
	char start[96], cs[32];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "%s sip:alice@" PUBLIC4 ":61000 SIP/2.0",
		 method);
	snprintf(cs, sizeof(cs), "%d %s", cseq, method);
	msg = sk_call_msg(test, start, SERVER4 ":5060", id, cs, sdp_ip, media);
	sk_send(test, f, ct, true, &msg);
}

/* the phone's response to the server's request "cseq" of call id */
static void sk_phone_resp(struct kunit *test, struct sk_flow *f,
			  struct nf_conn *ct, const char *status,
			  const char *id, const char *cseq, const char *media)
{
	char start[64];
	struct sk_buf msg;

	snprintf(start, sizeof(start), "SIP/2.0 %s", status);
	msg = sk_call_msg(test, start, SERVER4 ":5060", id, cseq, PHONE4,
			  media);
	sk_send(test, f, ct, false, &msg);
}

/*
 * "PORT<SOURCE" for each media expectation of ct in direction dir, sorted
 * by port, space separated; SOURCE is "*" for any address.
 */
static const char *sk_media_srcs(struct kunit *test, struct nf_conn *ct,
				 enum ip_conntrack_dir dir)
{
	struct nf_conntrack_expect *exp;
	struct { u16 port; char src[24]; } e[32], t;
	int n = 0, i, j, len = 0;
	const size_t cap = 32 * 32;
	char *s;

	s = kunit_kzalloc(test, cap, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		if (exp->class == SIPALG_EXP_SIGNALLING || exp->dir != dir ||
		    n == ARRAY_SIZE(e))
			continue;
		e[n].port = ntohs(exp->tuple.dst.u.udp.port);
		if (!exp->mask.src.u3.ip)
			strscpy(e[n].src, "*", sizeof(e[n].src));
		else
			snprintf(e[n].src, sizeof(e[n].src), "%pI4",
				 &exp->tuple.src.u3.ip);
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && e[j - 1].port > e[j].port; j--) {
			t = e[j - 1];
			e[j - 1] = e[j];
			e[j] = t;
		}
	for (i = 0; i < n; i++)
		len += scnprintf(s + len, cap - len, "%s%u<%s", i ? " " : "",
				 e[i].port, e[i].src);
	return s;
}

/*
 * The phone calls through a proxy that relays no media: its pinholes admit
 * the proxy until the answer names the far end's media host, then that
 * host, replaced, not added; a re-INVITE (hold, a moved port) opens them
 * for that host at once; an answer naming no usable address (c=0.0.0.0)
 * changes nothing.
 */
static void calls_media_src_answer(struct kunit *test)
{
	long untracked = atomic_long_read(&sipalg_pins_untracked);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" SERVER4 " 49171<" SERVER4);
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "1 INVITE", FAR4,
			  SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" FAR4 " 49171<" FAR4);
	/* and the phone's own media leaves towards the far end's ports */
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000<" PHONE4 " 30001<" PHONE4);
	KUNIT_EXPECT_EQ(test, (int)nfct_help(ct)->expecting[SIPALG_EXP_AUDIO], 4);

	/* hold, same port: still the far end */
	sk_phone_req(test, &f, ct, "INVITE", "a", 2,
		     SK_AUDIO("49170") "a=sendonly\r\n");
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" FAR4 " 49171<" FAR4);
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "2 INVITE", FAR4,
			  SK_AUDIO("30000") "a=recvonly\r\n");

	/* resume on a new port: opened for the far end before its answer */
	sk_phone_req(test, &f, ct, "INVITE", "a", 3, SK_AUDIO("49180"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49180<" FAR4 " 49181<" FAR4);
	/* an answer that names no address to send from keeps the source */
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "3 INVITE", "0.0.0.0",
			  SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49180<" FAR4 " 49181<" FAR4);
	/* the media moves to another host */
	sk_phone_req(test, &f, ct, "INVITE", "a", 4, SK_AUDIO("49180"));
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "4 INVITE", FAR4B,
			  SK_AUDIO("30010"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49180<" FAR4B " 49181<" FAR4B);
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_ORIGINAL),
			   "30010<" PHONE4 " 30011<" PHONE4);
	KUNIT_EXPECT_EQ(test, (int)nfct_help(ct)->expecting[SIPALG_EXP_AUDIO], 4);

	sk_phone_req(test, &f, ct, "BYE", "a", 5, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY), "");
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_ORIGINAL), "");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked), untracked);
}

/*
 * An inbound call: the offer names the far end's media host, so the
 * phone's answer opens its pinholes for that host; a first answer without
 * an SDP address (0.0.0.0) leaves the signalling peer.
 */
static void calls_media_src_offer(struct kunit *test)
{
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_server_req_at(test, &f, ct, "INVITE", "b", 1, FAR4, SK_AUDIO("30000"));
	sk_phone_resp(test, &f, ct, "200 OK", "b", "1 INVITE", SK_AUDIO("49170"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" FAR4 " 49171<" FAR4);

	sk_server_req_at(test, &f, ct, "INVITE", "c", 1, "0.0.0.0",
			 SK_AUDIO("30010"));
	sk_phone_resp(test, &f, ct, "200 OK", "c", "1 INVITE", SK_AUDIO("49180"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" FAR4 " 49171<" FAR4 " 49180<" SERVER4
			   " 49181<" SERVER4);
}

/* each call keeps its own media source on one connection (a trunk) */
static void calls_media_src_per_call(struct kunit *test)
{
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_server_resp_at(test, &f, ct, "200 OK", "b", "1 INVITE", FAR4B,
			  SK_AUDIO("30010"));
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "1 INVITE", FAR4,
			  SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" FAR4 " 49171<" FAR4 " 49180<" FAR4B
			   " 49181<" FAR4B);
	/* the end of one call leaves the other's */
	sk_phone_req(test, &f, ct, "BYE", "a", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49180<" FAR4B " 49181<" FAR4B);
}

/*
 * The phone's outbound media pinholes: from its real address and port
 * (exact) to the far end's named address and port, NATed to the public
 * port its SDP showed; none towards a far end that sends from the
 * signalling peer (the pinholes that SDP opened cover it).
 */
static void calls_media_out_port(struct kunit *test)
{
	struct nf_conntrack_expect *exp;
	struct sk_flow f;
	struct nf_conn *ct;
	int n = 0;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "1 INVITE", FAR4,
			  SK_AUDIO("30000"));
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		u16 dport = ntohs(exp->tuple.dst.u.udp.port);

		if (exp->class == SIPALG_EXP_SIGNALLING ||
		    exp->dir != IP_CT_DIR_ORIGINAL)
			continue;
		n++;
		KUNIT_EXPECT_EQ(test, exp->tuple.src.u3.ip, f.phone.ip);
		KUNIT_EXPECT_EQ(test, exp->mask.src.u.udp.port, htons(0xffff));
		KUNIT_EXPECT_EQ(test, ntohs(exp->tuple.src.u.udp.port),
				dport == 30000 ? 49170 : 49171);
		KUNIT_EXPECT_EQ(test, exp->saved_addr.ip, f.pub.ip);
		KUNIT_EXPECT_EQ(test, ntohs(exp->saved_proto.udp.port),
				dport == 30000 ? 49170 : 49171);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	KUNIT_EXPECT_EQ(test, n, 2);

	/* media from the signalling peer itself: its SDP's pinholes only */
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_server_resp(test, &f, ct, "200 OK", "b", "1 INVITE", SK_AUDIO("30010"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000<" PHONE4 " 30001<" PHONE4 " 30010<" PHONE4
			   " 30011<" PHONE4);
	KUNIT_EXPECT_EQ(test, (int)nfct_help(ct)->expecting[SIPALG_EXP_AUDIO], 8);
}

static void sk_pol_flush(struct kunit_resource *res)
{
	sipalg_pol_flush(&init_net);
}

static int sk_pol_init(struct kunit_resource *res, void *net)
{
	res->data = net;	/* what kunit_alloc_resource() returns */
	return 0;
}

/* media-any: the pinholes admit any source, also after the answer */
static void calls_media_any(struct kunit *test)
{
	const struct sipalg_pol_key key = {
		.family = SIPALG_FAMILY_ANY, .l4proto = IPPROTO_UDP, .port = 5060,
	};
	struct sk_flow f;
	struct nf_conn *ct;

	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test, sk_pol_init,
							 sk_pol_flush,
							 GFP_KERNEL, &init_net));
	KUNIT_ASSERT_EQ(test, sipalg_pol_set(&init_net, &key,
					     SIPALG_POLICY_MEDIA_ANY), 0);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<* 49171<*");
	sk_server_resp_at(test, &f, ct, "200 OK", "a", "1 INVITE", FAR4,
			  SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<* 49171<*");
	/* without the policy, the next SDP narrows them to the far end */
	sipalg_pol_flush(&init_net);
	sk_phone_req(test, &f, ct, "INVITE", "a", 2, SK_AUDIO("49180"));
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49180<" FAR4 " 49181<" FAR4);
}

static int sk_pin_max_init(struct kunit_resource *res, void *old)
{
	res->data = old;
	return 0;
}

static void sk_pin_max_restore(struct kunit_resource *res)
{
	WRITE_ONCE(sipalg_pin_max, (unsigned int)(uintptr_t)res->data);
}

/* lower the table bound for one test */
static void sk_pin_max_set(struct kunit *test, unsigned int max)
{
	void *res = kunit_alloc_resource(test, sk_pin_max_init,
					 sk_pin_max_restore, GFP_KERNEL,
					 (void *)(uintptr_t)sipalg_pin_max);

	KUNIT_ASSERT_NOT_NULL(test, res);
	WRITE_ONCE(sipalg_pin_max, max);
}

/*
 * A full table: the pinholes it cannot hold are counted and go with the
 * end of any call of the connection (the behaviour before calls were
 * tracked); pins whose pinhole the media used make room again.
 */
static void calls_table_full(struct kunit *test)
{
	long untracked = atomic_long_read(&sipalg_pins_untracked);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_pin_max_set(test, 2);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked), untracked);
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked),
			untracked + 2);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181");

	/* b's end takes the untracked ones, a's stay */
	sk_phone_req(test, &f, ct, "BYE", "b", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171");
	/* c does not fit either; a's end takes c's */
	sk_phone_req(test, &f, ct, "INVITE", "c", 1, SK_AUDIO("49190"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked),
			untracked + 4);
	sk_phone_req(test, &f, ct, "BYE", "a", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY), "");

	/* d's pinholes are used by its media: e fits */
	sk_phone_req(test, &f, ct, "INVITE", "d", 1, SK_AUDIO("49200"));
	nf_ct_remove_expectations(ct);
	sk_phone_req(test, &f, ct, "INVITE", "e", 1, SK_AUDIO("49210"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked),
			untracked + 4);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49210 49211");
}

/*
 * The first packet of a connection (unconfirmed) gets no table: its
 * pinholes are untracked and go with the end of any call.
 */
static void calls_first_packet_untracked(struct kunit *test)
{
	long untracked = atomic_long_read(&sipalg_pins_untracked);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	KUNIT_EXPECT_FALSE(test, sipalg_ct_data(ct)->flags & SIPALG_F_CALLS);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked),
			untracked + 2);
	ct->status |= IPS_CONFIRMED;
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	KUNIT_EXPECT_TRUE(test, sipalg_ct_data(ct)->flags & SIPALG_F_CALLS);
	sk_phone_req(test, &f, ct, "INVITE", "c", 1, SK_AUDIO("49190"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_untracked),
			untracked + 2);
	sk_phone_req(test, &f, ct, "BYE", "b", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49190 49191");
}

/* the expectation functions are registered: ctnetlink can name them */
static void calls_expectfn_registered(struct kunit *test)
{
	struct sk_buf reg = sk_msg(test, REGISTER_HDRS("1", "3600"), "");
	struct nf_ct_helper_expectfn *fn;
	struct nf_conntrack_expect *exp;
	int media = 0, sig = 0;
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_send(test, &f, ct, false, &reg);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	rcu_read_lock();
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		fn = nf_ct_helper_expectfn_find_by_symbol(exp->expectfn);
		KUNIT_EXPECT_NOT_NULL(test, fn);
		if (!fn)
			continue;
		if (exp->class == SIPALG_EXP_SIGNALLING) {
			sig++;
			KUNIT_EXPECT_STREQ(test, fn->name, "nat-follow-master");
		} else {
			media++;
			KUNIT_EXPECT_STREQ(test, fn->name, SIPALG_NAME);
		}
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, sig, 1);
	KUNIT_EXPECT_EQ(test, media, 2);
}

/* ------------------------------------- copies on a backup router (HA pair) */

/*
 * An expectation as conntrackd puts it on the backup router: the first
 * router's pinhole copied through ctnetlink, class 0 (conntrackd does not
 * carry the class), sipalg's expectation function found by its name fn
 * (NULL: none, as conntrackd 1.4.7 commits them),
 * its NAT (saved address and port) as the first router had it. Its tuple:
 * from src (NULL: any address) and sport (0: any port) to dst:port,
 * direction dir of ct.
 */
static void sk_copy_exp(struct kunit *test, struct nf_conn *ct,
			const char *fn, enum ip_conntrack_dir dir,
			const union nf_inet_addr *src, u16 sport,
			const union nf_inet_addr *dst, u16 port,
			const union nf_inet_addr *saved, u16 saved_port)
{
	struct nf_ct_helper_expectfn *f;
	struct nf_conntrack_expect *exp;
	__be16 p = htons(port), sp = htons(sport);
	int ret;

	exp = nf_ct_expect_alloc(ct);
	KUNIT_ASSERT_NOT_NULL(test, exp);
	/* as ctnetlink does it: under RCU (the helper, the function's name) */
	local_bh_disable();
	rcu_read_lock();
	nf_ct_expect_init(exp, SIPALG_EXP_SIGNALLING, nf_ct_l3num(ct), src, dst,
			  IPPROTO_UDP, sport ? &sp : NULL, &p);
	exp->dir = dir;
	exp->saved_addr = *saved;
	exp->saved_proto.udp.port = htons(saved_port);
	f = fn ? nf_ct_helper_expectfn_find_by_name(fn) : NULL;
	exp->expectfn = f ? f->expectfn : NULL;
	if (!strcmp(fn ?: "", "nat-follow-master"))
		exp->flags = NF_CT_EXPECT_PERMANENT;
	ret = f || !fn ? nf_ct_expect_related(exp, 0) : -ENOENT;
	rcu_read_unlock();
	local_bh_enable();
	nf_ct_expect_put(exp);
	KUNIT_ASSERT_TRUE_MSG(test, f || !fn, "no expectation function %s", fn);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/*
 * "PORT:CLASS>ADDR:PORT" for each expectation of ct in direction dir
 * (its destination port, class, saved address and port), sorted by port
 * then class, space separated.
 */
static const char *sk_exp_nat(struct kunit *test, struct nf_conn *ct,
			      enum ip_conntrack_dir dir)
{
	struct nf_conntrack_expect *exp;
	struct { u32 key; char s[40]; } e[16], t;
	int n = 0, i, j, len = 0;
	const size_t cap = 16 * 41;
	char *s;

	s = kunit_kzalloc(test, cap, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode) {
		u16 port = ntohs(exp->tuple.dst.u.udp.port);

		if (exp->dir != dir || n == ARRAY_SIZE(e))
			continue;
		e[n].key = (u32)port << 8 | exp->class;
		snprintf(e[n].s, sizeof(e[n].s), "%u:%u>%pI4:%u", port,
			 exp->class, &exp->saved_addr.ip,
			 ntohs(exp->saved_proto.udp.port));
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && e[j - 1].key > e[j].key; j--) {
			t = e[j - 1];
			e[j - 1] = e[j];
			e[j] = t;
		}
	for (i = 0; i < n; i++)
		len += scnprintf(s + len, cap - len, "%s%s", i ? " " : "",
				 e[i].s);
	return s;
}

/*
 * After a failover: the first call's pinholes were copied (class 0) and
 * its BYE did not remove them; the next, inbound, call on the connection
 * needs the same tuples (the server's media port 30000 again, the phone's
 * 49170 again). Its pinholes are opened as on the first router, of class
 * audio with the NAT the call needs, on the ports its SDPs name; the copies
 * in their way go: one with the same tuple (the kernel: -EALREADY), and one
 * from any source (the first router had the port media-any), which would
 * take the same packets (-EBUSY).
 */
static void calls_copy_in_the_way(struct kunit *test)
{
	long stale = atomic_long_read(&sipalg_pins_stale);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	/* the first call's: phone -> server:30000, any -> public:49170 */
	sk_copy_exp(test, ct, SIPALG_NAME, IP_CT_DIR_ORIGINAL, &f.phone, 0,
		    &f.server, 30000, &f.server, 30000);
	sk_copy_exp(test, ct, NULL, IP_CT_DIR_REPLY, NULL, 0,
		    &f.pub, 49170, &f.phone, 49170);

	sk_server_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("30000"));
	KUNIT_EXPECT_STREQ(test, sk_exp_nat(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000:1>" SERVER4 ":30000 30001:1>" SERVER4 ":30001");
	sk_phone_resp(test, &f, ct, "200 OK", "b", "1 INVITE", SK_AUDIO("49170"));
	KUNIT_EXPECT_STREQ(test, sk_exp_nat(test, ct, IP_CT_DIR_REPLY),
			   "49170:1>" PHONE4 ":49170 49171:1>" PHONE4 ":49171");
	KUNIT_EXPECT_STREQ(test, sk_media_srcs(test, ct, IP_CT_DIR_REPLY),
			   "49170<" SERVER4 " 49171<" SERVER4);
	KUNIT_EXPECT_STREQ(test, sk_exp_nat(test, ct, IP_CT_DIR_ORIGINAL),
			   "30000:1>" SERVER4 ":30000 30001:1>" SERVER4 ":30001");
	/* each copy removed once, the call's own pinholes never */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sipalg_pins_stale), stale + 2);
}

/*
 * After a failover the helper knows no call of the connection: a BYE
 * removes every media pinhole, the copies (class 0, sipalg's media
 * functions) too; a registration's copy (nf_nat_follow_master) stays.
 */
static void calls_copy_bye_unknown(struct kunit *test)
{
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_copy_exp(test, ct, NULL, IP_CT_DIR_ORIGINAL, &f.phone, 0,
		    &f.server, 30000, &f.server, 30000);
	sk_copy_exp(test, ct, SIPALG_NAME, IP_CT_DIR_REPLY, &f.server, 0,
		    &f.pub, 49170, &f.phone, 49170);
	sk_copy_exp(test, ct, "nat-follow-master", IP_CT_DIR_REPLY, &f.server,
		    0, &f.pub, 61000, &f.phone, 5060);

	sk_phone_req(test, &f, ct, "BYE", "a", 2, NULL);
	KUNIT_EXPECT_STREQ(test, sk_exp_nat(test, ct, IP_CT_DIR_ORIGINAL), "");
	KUNIT_EXPECT_STREQ(test, sk_exp_nat(test, ct, IP_CT_DIR_REPLY),
			   "61000:0>" PHONE4 ":5060");
}

/* ---------------------------------------------------------------- limits */

struct sk_param {
	unsigned int *uint;
	bool *flag;
	unsigned int old;
};

static int sk_param_init(struct kunit_resource *res, void *ctx)
{
	res->data = ctx;
	return 0;
}

static void sk_param_restore(struct kunit_resource *res)
{
	struct sk_param *sp = res->data;

	if (sp->uint)
		WRITE_ONCE(*sp->uint, sp->old);
	else
		WRITE_ONCE(*sp->flag, sp->old);
	kfree(sp);
}

/* set a limit for one test: restored when it ends, however it ends */
static void sk_limit(struct kunit *test, unsigned int *uint, bool *flag,
		     unsigned int v)
{
	struct sk_param *sp = kzalloc(sizeof(*sp), GFP_KERNEL);
	void *res;

	KUNIT_ASSERT_NOT_NULL(test, sp);
	sp->uint = uint;
	sp->flag = flag;
	sp->old = uint ? *uint : *flag;
	res = kunit_alloc_resource(test, sk_param_init, sk_param_restore,
				   GFP_KERNEL, sp);
	if (!res)
		kfree(sp);
	KUNIT_ASSERT_NOT_NULL(test, res);
	if (uint)
		WRITE_ONCE(*uint, v);
	else
		WRITE_ONCE(*flag, v);
}

/*
 * Every test runs with the connection's share of the kernel's table at
 * 100%: the small table of a UML kernel is not what the other tests are
 * about. The limit tests below set what they test.
 */
static int sk_suite_test_init(struct kunit *test)
{
	sk_limit(test, &sipalg_pin_share, NULL, 100);
	return 0;
}

static s64 sk_refused(unsigned int reason)
{
	return sipalg_ctr_reason_read(sipalg_totals(&init_net),
				      SIPALG_CTR_PINHOLE_REFUSED, reason);
}

static int sk_sig_count(struct nf_conn *ct)
{
	struct nf_conntrack_expect *exp;
	int n = 0;

	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &nfct_help(ct)->expectations, lnode)
		if (exp->class == SIPALG_EXP_SIGNALLING)
			n++;
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return n;
}

#define SK_FOUR_AUDIO	SK_AUDIO("49170") SK_AUDIO("49180")	\
			SK_AUDIO("49190") SK_AUDIO("49200")
#define SK_FOUR_AUDIO_MOVED	SK_AUDIO("49300") SK_AUDIO("49310")	\
				SK_AUDIO("49320") SK_AUDIO("49330")

/*
 * call_pinholes (default 4): an SDP with four audio streams opens RTP and
 * RTCP of the first two, the other two are refused (call-limit); a
 * re-offer on other ports replaces them, it does not add four more.
 */
static void limits_call_pinholes(struct kunit *test)
{
	s64 before = sk_refused(SIPALG_R_CALL_LIMIT);
	struct sk_flow f;
	struct nf_conn *ct;

	KUNIT_EXPECT_EQ(test, sipalg_call_pins, 4U);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_FOUR_AUDIO);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181");
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_CALL_LIMIT), before + 2);

	sk_phone_req(test, &f, ct, "INVITE", "a", 2, SK_FOUR_AUDIO_MOVED);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49300 49301 49310 49311");
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_CALL_LIMIT), before + 4);

	/* the limit is read when used: 2 allows one stream */
	sk_limit(test, &sipalg_call_pins, NULL, 2);
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_FOUR_AUDIO);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49300 49301 49310 49311");
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_CALL_LIMIT), before + 7);
}

/*
 * pinhole_share: one connection holds at most its share of
 * nf_conntrack_expect_max (here 10% of 40, raised to one call's worth:
 * 3 x call_pinholes = 6); past it, refused (share), and another
 * connection still gets its pinholes.
 */
static void limits_share(struct kunit *test)
{
	s64 before = sk_refused(SIPALG_R_SHARE);
	struct sk_flow f, g;
	struct nf_conn *ct, *ct2;

	sk_limit(test, &sipalg_expect_max, NULL, 40);
	sk_limit(test, &sipalg_pin_share, NULL, 10);
	sk_limit(test, &sipalg_call_pins, NULL, 2);
	KUNIT_EXPECT_EQ(test, sipalg_share_cap(), 6U);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_phone_req(test, &f, ct, "INVITE", "c", 1, SK_AUDIO("49190"));
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_SHARE), before);
	sk_phone_req(test, &f, ct, "INVITE", "d", 1, SK_AUDIO("49200"));
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_SHARE), before + 1);
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181 49190 49191");

	sk_flow4(&g, IPPROTO_UDP);
	g.phone_port = 5062;
	g.pub_port = 61002;
	ct2 = sk_ct_confirmed(test, &g);
	/* its own ports: both connections share the public address and server */
	sk_phone_req(test, &g, ct2, "INVITE", "e", 1, SK_AUDIO("49500"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct2, IP_CT_DIR_REPLY),
			   "49500 49501");
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_SHARE), before + 1);

	/* a raised share takes effect on the next pinhole */
	sk_limit(test, &sipalg_pin_share, NULL, 50);
	sk_phone_req(test, &f, ct, "INVITE", "d", 2, SK_AUDIO("49200"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181 49190 49191 49200 49201");
}

/* pinhole_table: the media expectations of one connection */
static void limits_table(struct kunit *test)
{
	s64 before = sk_refused(SIPALG_R_TABLE_FULL);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_limit(test, &sipalg_pin_table, NULL, 4);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_phone_req(test, &f, ct, "INVITE", "a", 1, SK_AUDIO("49170"));
	sk_phone_req(test, &f, ct, "INVITE", "b", 1, SK_AUDIO("49180"));
	sk_phone_req(test, &f, ct, "INVITE", "c", 1, SK_AUDIO("49190"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49170 49171 49180 49181");
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_TABLE_FULL), before + 1);
	/* a's end makes room */
	sk_phone_req(test, &f, ct, "BYE", "a", 2, NULL);
	sk_phone_req(test, &f, ct, "INVITE", "c", 2, SK_AUDIO("49190"));
	KUNIT_EXPECT_STREQ(test, sk_media_ports(test, ct, IP_CT_DIR_REPLY),
			   "49180 49181 49190 49191");
}

#define REG_CONTACTS(cseq, contacts)					\
	"REGISTER sip:example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP " PHONE4 ":5060;branch=z9hG4bKlim" cseq "\r\n"	\
	"Max-Forwards: 70\r\n"						\
	"To: <sip:alice@example.com>\r\n"				\
	"From: <sip:alice@example.com>;tag=lim1\r\n"			\
	"Call-ID: lim1@pc33.example.com\r\n"				\
	"CSeq: " cseq " REGISTER\r\n"					\
	"Contact: " contacts "\r\n"					\
	"Expires: 3600\r\n"

/* a Contact on port 80 opens nothing (low-port), unless reg_low_ports */
static void limits_reg_low_port(struct kunit *test)
{
	struct sk_buf reg = sk_msg(test, REG_CONTACTS("1", "<sip:alice@" PHONE4 ":80>"), "");
	struct sk_buf reg2 = sk_msg(test, REG_CONTACTS("2", "<sip:alice@" PHONE4 ":80>"), "");
	s64 before = sk_refused(SIPALG_R_LOW_PORT);
	struct sk_flow f;
	struct nf_conn *ct;

	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_send(test, &f, ct, false, &reg);
	KUNIT_EXPECT_EQ(test, sk_sig_count(ct), 0);
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_LOW_PORT), before + 1);

	sk_limit(test, NULL, &sipalg_reg_low_ports, true);
	sk_send(test, &f, ct, false, &reg2);
	KUNIT_EXPECT_EQ(test, sk_sig_count(ct), 1);
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_LOW_PORT), before + 1);
}

/*
 * reg_contacts (default 2): of three Contacts two open pinholes; the
 * same REGISTER again replaces them, it adds none
 */
static void limits_reg_contacts(struct kunit *test)
{
#define SK_THREE "<sip:alice@" PHONE4 ":5070>, <sip:alice@" PHONE4 ":5072>, <sip:alice@" PHONE4 ":5074>"
	struct sk_buf reg = sk_msg(test, REG_CONTACTS("1", SK_THREE), "");
	struct sk_buf reg2 = sk_msg(test, REG_CONTACTS("2", SK_THREE), "");
	s64 before = sk_refused(SIPALG_R_REG_CONTACTS);
	struct sk_flow f;
	struct nf_conn *ct;

	KUNIT_EXPECT_EQ(test, sipalg_reg_contacts, 2U);
	sk_flow4(&f, IPPROTO_UDP);
	ct = sk_ct_confirmed(test, &f);
	sk_send(test, &f, ct, false, &reg);
	KUNIT_EXPECT_EQ(test, sk_sig_count(ct), 2);
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_REG_CONTACTS), before + 1);
	sk_send(test, &f, ct, false, &reg2);
	KUNIT_EXPECT_EQ(test, sk_sig_count(ct), 2);
	KUNIT_EXPECT_EQ(test, sk_refused(SIPALG_R_REG_CONTACTS), before + 2);
#undef SK_THREE
}

static struct kunit_case sipalg_skb_cases[] = {
	KUNIT_CASE(skb_udp_grow),
	KUNIT_CASE(skb_udp_shrink),
	KUNIT_CASE(skb_udp_nonlinear),
	KUNIT_CASE(skb_udp_ipv6),
	KUNIT_CASE(skb_udp_malformed_untouched),
	KUNIT_CASE(skb_tcp_several),
	KUNIT_CASE(skb_tcp_partial),
	KUNIT_CASE(skb_tcp_gap_retransmit),
	KUNIT_CASE(skb_tcp_rexmit_held_twice),
	KUNIT_CASE(skb_tcp_custody_dup),
	KUNIT_CASE(skb_tcp_rexmit_other_bytes),
	KUNIT_CASE(skb_tcp_rexmit_other_bytes_whole),
	KUNIT_CASE(skb_tcp_sack_edges),
	KUNIT_CASE(skb_tcp_nomem_passes),
	KUNIT_CASE(skb_tcp_copy_failed_passes),
	KUNIT_CASE(skb_tcp_regen_copy_failed_drops),
	KUNIT_CASE(skb_tcp_hdr_nomem_drops),
	KUNIT_CASE(skb_tcp_failover_offsets),
	KUNIT_CASE(skb_tcp_offset_event_once),
	KUNIT_CASE_PARAM(skb_expect_sdp, sk_sdp_gen_params),
	KUNIT_CASE(skb_expect_ipv6),
	KUNIT_CASE(skb_expect_bye_flushes),
	KUNIT_CASE(skb_expect_register),
	KUNIT_CASE(skb_register_ok_zeroed_data),
	KUNIT_CASE(skb_expect_register_sips),
	KUNIT_CASE(skb_expect_register_port_nat),
	KUNIT_CASE(skb_self_public_kept),
	KUNIT_CASE(calls_bye_keeps_other_call),
	KUNIT_CASE(calls_cancel_and_failure),
	KUNIT_CASE(calls_reoffer_replaces),
	KUNIT_CASE(calls_table_full),
	KUNIT_CASE(calls_first_packet_untracked),
	KUNIT_CASE(calls_media_src_answer),
	KUNIT_CASE(calls_media_src_offer),
	KUNIT_CASE(calls_media_src_per_call),
	KUNIT_CASE(calls_media_any),
	KUNIT_CASE(calls_media_out_port),
	KUNIT_CASE(calls_expectfn_registered),
	KUNIT_CASE(calls_copy_in_the_way),
	KUNIT_CASE(calls_copy_bye_unknown),
	KUNIT_CASE(limits_call_pinholes),
	KUNIT_CASE(limits_share),
	KUNIT_CASE(limits_table),
	KUNIT_CASE(limits_reg_low_port),
	KUNIT_CASE(limits_reg_contacts),
	{}
};

static struct kunit_suite sipalg_skb_suite = {
	.name = "sipalg_skb",
	.init = sk_suite_test_init,
	.test_cases = sipalg_skb_cases,
};

kunit_test_suite(sipalg_skb_suite);
