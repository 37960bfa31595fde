// SPDX-License-Identifier: GPL-2.0
/*
 * sa_plan + sa_apply: exact rewritten bytes, worked out by hand from the
 * rules in sipcore.h (RFC 3261 default ports, RFC 3581 rport, RFC 3605
 * a=rtcp). Content-Length values are counted by hand in the comments.
 */
#include "tutil.h"
#include "units.h"

/*
 * SDP body, 162 bytes: v=0 (5) o= (47) s=- (5) c= (19) t= (7) m=audio (27)
 * a=rtcp (30) m=video (22)
 */
#define INVITE_SDP \
	L("v=0") \
	L("o=alice 2890844526 2890844526 IN IP4 10.0.0.2") \
	L("s=-") \
	L("c=IN IP4 10.0.0.2") \
	L("t=0 0") \
	L("m=audio 49170 RTP/AVP 0 8") \
	L("a=rtcp:49171 IN IP4 10.0.0.2") \
	L("m=video 0 RTP/AVP 31")

static const char invite_in[] =
	L("INVITE sip:bob@198.51.100.2 SIP/2.0")
	L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds")
	L("Max-Forwards: 70")
	L("From: \"Alice\" <sip:alice@10.0.0.2>;tag=1928301774")
	L("To: <sip:bob@198.51.100.2>")
	L("Call-ID: a84b4c76e66710@10.0.0.2")
	L("CSeq: 314159 INVITE")
	L("Contact: <sip:alice@10.0.0.2:5060>")
	L("Content-Type: application/sdp")
	L("Content-Length: 162")
	L("")
	INVITE_SDP;

/* o=, c=, a=rtcp address: 8 -> 12 bytes each: 162 + 12 = 174 */
static const char invite_out[] =
	L("INVITE sip:bob@198.51.100.2 SIP/2.0")
	L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK776asdhds;rport")
	L("Max-Forwards: 70")
	L("From: \"Alice\" <sip:alice@198.51.100.1:40000>;tag=1928301774")
	L("To: <sip:bob@198.51.100.2>")
	L("Call-ID: a84b4c76e66710@10.0.0.2")
	L("CSeq: 314159 INVITE")
	L("Contact: <sip:alice@198.51.100.1:40000>")
	L("Content-Type: application/sdp")
	L("Content-Length: 174")
	L("")
	L("v=0")
	L("o=alice 2890844526 2890844526 IN IP4 198.51.100.1")
	L("s=-")
	L("c=IN IP4 198.51.100.1")
	L("t=0 0")
	L("m=audio 40002 RTP/AVP 0 8")
	L("a=rtcp:40003 IN IP4 198.51.100.1")
	L("m=video 0 RTP/AVP 31");

static void plan_invite_snat(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	c.policy = SA_POL_FORCE_RPORT;
	c.media_port[0] = 40002;
	c.media_port[1] = 40004;	/* port 0 stream: never touched */
	T_REWRITE(invite_in, &c, invite_out);
	/* the plan in numbers: R-URI untouched, 9 edits, +12 body +... */
	T_EQ(t_msg.sdp.n_media, 2);
	T_EQ(t_plan.delta, (int)(sizeof(invite_out) - sizeof(invite_in)));
}

static void plan_invite_tcp(void)
{
	static struct t_rw r;
	struct sa_ctx c;
	enum sa_reason why;
	size_t len;

	t_snat_orig(&c);
	c.transport = SA_T_TCP;
	c.policy = SA_POL_FORCE_RPORT;
	c.media_port[0] = 40002;
	/* same bytes over TCP: framed whole, rewritten the same */
	T_EQ(sa_frame((const uint8_t *)invite_in, strlen(invite_in),
		      SA_T_TCP, &len, &why), SA_FRAME_MSG);
	T_EQ(len, strlen(invite_in));
	t_rewrite(invite_in, strlen(invite_in), &c, &r);
	T_EQ(r.parse, SA_R_OK);
	T_BYTES(r.out, r.len, invite_out);
}

/* 200 OK back to the phone: body 113 bytes, the server's own, untouched */
static const char ok_in[] =
	L("SIP/2.0 200 OK")
	L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK776asdhds;rport=40000;received=198.51.100.1")
	L("From: \"Alice\" <sip:alice@198.51.100.1:40000>;tag=1928301774")
	L("To: <sip:bob@198.51.100.2>;tag=a6c85cf")
	L("Call-ID: a84b4c76e66710@10.0.0.2")
	L("CSeq: 314159 INVITE")
	L("Contact: <sip:bob@198.51.100.2>")
	L("Content-Type: application/sdp")
	L("Content-Length: 113")
	L("")
	L("v=0")
	L("o=bob 2808844564 2808844564 IN IP4 198.51.100.2")
	L("s=-")
	L("c=IN IP4 198.51.100.2")
	L("t=0 0")
	L("m=audio 3456 RTP/AVP 0");

static const char ok_out[] =
	L("SIP/2.0 200 OK")
	L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds;rport=5060;received=10.0.0.2")
	L("From: \"Alice\" <sip:alice@10.0.0.2:5060>;tag=1928301774")
	L("To: <sip:bob@198.51.100.2>;tag=a6c85cf")
	L("Call-ID: a84b4c76e66710@10.0.0.2")
	L("CSeq: 314159 INVITE")
	L("Contact: <sip:bob@198.51.100.2>")
	L("Content-Type: application/sdp")
	L("Content-Length: 113")
	L("")
	L("v=0")
	L("o=bob 2808844564 2808844564 IN IP4 198.51.100.2")
	L("s=-")
	L("c=IN IP4 198.51.100.2")
	L("t=0 0")
	L("m=audio 3456 RTP/AVP 0");

static void plan_ok_reply(void)
{
	struct sa_ctx c;

	t_snat_reply(&c);
	T_REWRITE(ok_in, &c, ok_out);
	T_EQ(t_plan.n, 4);
}

static void plan_via_port_restore(void)
{
	struct sa_ctx c;

	/* phone sent from 10.0.0.2:51000 but wants responses on 5060 */
	t_ctx(&c, "198.51.100.2", 5060, "198.51.100.2", 5060,
	      "198.51.100.1", 40000, "10.0.0.2", 51000);
	c.via_port_restore = 5060;
	T_REWRITE(L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bKx;received=198.51.100.1")
		  L("Call-ID: p") L("CSeq: 1 INVITE") L("Content-Length: 0") L(""),
		  &c,
		  L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;received=10.0.0.2")
		  L("Call-ID: p") L("CSeq: 1 INVITE") L("Content-Length: 0") L(""));
}

/* received=/rport= that the server saw from another port: not ours */
static void plan_rport_other_port(void)
{
	struct sa_ctx c;

	t_snat_reply(&c);
	T_REWRITE(L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKx;rport=40001;received=198.51.100.1")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKx;rport=40001;received=198.51.100.1")
		  L("Content-Length: 0") L(""));
	T_EQ(t_plan.n, 0);
	/* rport without received: the sent-by IP is what the server saw */
	T_REWRITE(L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;rport=40000;branch=z9hG4bKx")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("SIP/2.0 100 Trying")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;rport=5060;branch=z9hG4bKx")
		  L("Content-Length: 0") L(""));
}

static void plan_inbound_invite(void)
{
	struct sa_ctx c;

	t_snat_reply(&c);
	T_REWRITE(L("INVITE sip:alice@198.51.100.1:40000;transport=udp SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bKsrv")
		  L("From: <sip:carol@example.org>;tag=9")
		  L("To: <sip:alice@198.51.100.1:40000>")
		  L("Contact: <sip:carol@198.51.100.2>")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("INVITE sip:alice@10.0.0.2:5060;transport=udp SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bKsrv")
		  L("From: <sip:carol@example.org>;tag=9")
		  L("To: <sip:alice@10.0.0.2:5060>")
		  L("Contact: <sip:carol@198.51.100.2>")
		  L("Content-Length: 0") L(""));
}

/* a phone that already shows the public side: nothing to do */
static void plan_no_double_nat(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	c.media_port[0] = 40002;
	T_UNCHANGED(L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		    L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1;rport")
		    L("From: <sip:alice@198.51.100.1:40000>;tag=1")
		    L("To: <sip:bob@198.51.100.2>")
		    L("Contact: <sip:alice@198.51.100.1:40000>")
		    L("Content-Type: application/sdp")
		    L("Content-Length: 30")
		    L("")
		    L("v=0")
		    L("m=audio 40002 RTP/AVP 0"),
		    &c, SA_R_OK);
}

static void plan_identity(void)
{
	struct sa_ctx c;

	t_ctx(&c, "10.0.0.2", 5060, "10.0.0.2", 5060,
	      "198.51.100.2", 5060, "198.51.100.2", 5060);
	c.policy = 0;
	T_UNCHANGED(invite_in, &c, SA_R_OK);
}

/* same IP, other port: not rewritten, reported */
static void plan_ip_only(void)
{
	struct sa_ctx c;

	t_ctx(&c, "10.0.0.2", 51000, "198.51.100.1", 40000,
	      "198.51.100.2", 5060, "198.51.100.2", 5060);
	T_UNCHANGED(L("OPTIONS sip:bob@198.51.100.2 SIP/2.0")
		    L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
		    L("Contact: <sip:alice@10.0.0.2>")
		    L("Content-Length: 0") L(""), &c, SA_R_OK);
	T_EQ(t_plan.ip_only, SA_IPONLY_VIA | SA_IPONLY_CONTACT);
}

/* port-forwarded server: requests in, responses out */
static void plan_dnat(void)
{
	struct sa_ctx c;

	t_ctx(&c, "198.51.100.7", 5060, "198.51.100.7", 5060,
	      "203.0.113.1", 5060, "192.168.1.10", 5060);
	T_REWRITE(L("INVITE sip:service@203.0.113.1 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKd")
		  L("Route: <sip:203.0.113.1;lr>")
		  L("To: <sip:service@203.0.113.1:5060>")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("INVITE sip:service@192.168.1.10 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKd")
		  L("Route: <sip:192.168.1.10;lr>")
		  L("To: <sip:service@192.168.1.10:5060>")
		  L("Content-Length: 0") L(""));
	/* the answer: 86 byte SDP, "192.168.1.10" -> "203.0.113.1": -1 x 2 */
	t_ctx(&c, "192.168.1.10", 5060, "203.0.113.1", 5060,
	      "198.51.100.7", 5060, "198.51.100.7", 5060);
	c.media_port[0] = 0;
	T_REWRITE(L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKd")
		  L("Contact: <sip:service@192.168.1.10:5060>")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 94")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 192.168.1.10")
		  L("s=-")
		  L("c=IN IP4 192.168.1.10")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0"),
		  &c,
		  L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKd")
		  L("Contact: <sip:service@203.0.113.1:5060>")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 92")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 203.0.113.1")
		  L("s=-")
		  L("c=IN IP4 203.0.113.1")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0"));
}

static void plan_record_route(void)
{
	struct sa_ctx c;

	/* a proxy behind the NAT forwards a request out */
	t_ctx(&c, "10.0.0.5", 5060, "198.51.100.1", 40001,
	      "192.0.2.9", 5060, "192.0.2.9", 5060);
	T_REWRITE(L("INVITE sip:bob@192.0.2.9 SIP/2.0")
		  L("Record-Route: <sip:10.0.0.5;lr>, <sip:192.0.2.20;lr>")
		  L("Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKp1")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("INVITE sip:bob@192.0.2.9 SIP/2.0")
		  L("Record-Route: <sip:198.51.100.1:40001;lr>, <sip:192.0.2.20;lr>")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40001;branch=z9hG4bKp1")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1")
		  L("Content-Length: 0") L(""));
	/* the response echoes the set: the proxy's entry maps back */
	t_ctx(&c, "192.0.2.9", 5060, "192.0.2.9", 5060,
	      "198.51.100.1", 40001, "10.0.0.5", 5060);
	T_REWRITE(L("SIP/2.0 180 Ringing")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40001;branch=z9hG4bKp1")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1")
		  L("Record-Route: <sip:198.51.100.1:40001;lr>")
		  L("Record-Route: <sip:192.0.2.20;lr>")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("SIP/2.0 180 Ringing")
		  L("Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKp1")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1")
		  L("Record-Route: <sip:10.0.0.5:5060;lr>")
		  L("Record-Route: <sip:192.0.2.20;lr>")
		  L("Content-Length: 0") L(""));
}

/* REGISTER with compact forms, bare LF and a folded Via and Contact */
static void plan_compact_folded_lf(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	c.policy = SA_POL_FORCE_RPORT;
	T_REWRITE("REGISTER sip:198.51.100.2 SIP/2.0\n"
		  "v: SIP/2.0/UDP 10.0.0.2\n"
		  " ;branch=z9hG4bKnashds7\n"
		  "f: <sip:alice@example.com>;tag=456248\n"
		  "t: <sip:alice@example.com>\n"
		  "i: 843817637684230@998sdasdh09\n"
		  "CSeq: 1826 REGISTER\n"
		  "m: <sip:alice@10.0.0.2>;expires=7200,\n"
		  " <sip:alice@10.0.0.2:5062>\n"
		  "l: 0\n"
		  "\n",
		  &c,
		  "REGISTER sip:198.51.100.2 SIP/2.0\n"
		  "v: SIP/2.0/UDP 198.51.100.1:40000\n"
		  " ;branch=z9hG4bKnashds7;rport\n"
		  "f: <sip:alice@example.com>;tag=456248\n"
		  "t: <sip:alice@example.com>\n"
		  "i: 843817637684230@998sdasdh09\n"
		  "CSeq: 1826 REGISTER\n"
		  "m: <sip:alice@198.51.100.1:40000>;expires=7200,\n"
		  " <sip:alice@10.0.0.2:5062>\n"
		  "l: 0\n"
		  "\n");
	T_EQ(t_plan.ip_only, SA_IPONLY_CONTACT);
}

/* 200 to REGISTER: the bindings are the phone's, mapped back */
static void plan_register_ok(void)
{
	struct sa_ctx c;

	t_snat_reply(&c);
	T_REWRITE(L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bKr;received=198.51.100.1;rport=40000")
		  L("CSeq: 2 REGISTER")
		  L("Contact: <sip:alice@198.51.100.1:40000>;expires=3600, <sip:alice@192.0.2.50>;expires=10")
		  L("Content-Length: 0") L(""),
		  &c,
		  L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKr;received=10.0.0.2;rport=5060")
		  L("CSeq: 2 REGISTER")
		  L("Contact: <sip:alice@10.0.0.2:5060>;expires=3600, <sip:alice@192.0.2.50>;expires=10")
		  L("Content-Length: 0") L(""));
}

/* force-rport: not added twice; Via without params gets it at its end */
static void plan_force_rport(void)
{
	struct sa_ctx c;

	t_ctx(&c, "10.0.0.2", 5060, "10.0.0.2", 5060,
	      "198.51.100.2", 5060, "198.51.100.2", 5060);
	c.policy = SA_POL_FORCE_RPORT;
	T_REWRITE(L("OPTIONS sip:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 10.0.0.2 , SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK0")
		  L("l: 0") L(""),
		  &c,
		  L("OPTIONS sip:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 10.0.0.2;rport , SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK0")
		  L("l: 0") L(""));
	T_UNCHANGED(L("OPTIONS sip:198.51.100.2 SIP/2.0")
		    L("Via: SIP/2.0/UDP 10.0.0.2;RPort;branch=z9hG4bK0")
		    L("l: 0") L(""), &c, SA_R_OK);
	/* and only requests */
	T_UNCHANGED(L("SIP/2.0 200 OK")
		    L("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK0")
		    L("l: 0") L(""), &c, SA_R_OK);
}

/* port not written: inserted when the mapped port differs, not otherwise */
static void plan_default_ports(void)
{
	struct sa_ctx c;

	/* sips: and Via TLS mean 5061 */
	t_ctx(&c, "10.0.0.2", 5061, "198.51.100.1", 5061,
	      "198.51.100.2", 5061, "198.51.100.2", 5061);
	T_REWRITE(L("OPTIONS sips:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/TLS 10.0.0.2;branch=z9hG4bK0")
		  L("Contact: <sips:alice@10.0.0.2>")
		  L("From: <sip:alice@10.0.0.2>;tag=x")
		  L("l: 0") L(""),
		  &c,
		  L("OPTIONS sips:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/TLS 198.51.100.1;branch=z9hG4bK0")
		  L("Contact: <sips:alice@198.51.100.1>")
		  L("From: <sip:alice@10.0.0.2>;tag=x")
		  L("l: 0") L(""));
	T_EQ(t_plan.ip_only, SA_IPONLY_FROM_TO);
	/* only the port changes: digits replaced, or ":port" inserted */
	t_ctx(&c, "10.0.0.2", 5060, "10.0.0.2", 6000,
	      "198.51.100.2", 5060, "198.51.100.2", 5060);
	T_REWRITE(L("OPTIONS sip:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK0")
		  L("Contact: <sip:alice@10.0.0.2;ob>")
		  L("l: 0") L(""),
		  &c,
		  L("OPTIONS sip:198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 10.0.0.2:6000;branch=z9hG4bK0")
		  L("Contact: <sip:alice@10.0.0.2:6000;ob>")
		  L("l: 0") L(""));
}

/*
 * IPv6 phone behind a prefix+port translator. SDP 92 bytes:
 * v (5) o (28) s (5) c (22) t (7) m (25); "2001:db8::2" 11 ->
 * "2001:db8:ffff::1" 16 bytes: +5 x 2 = 102
 */
static void plan_ipv6(void)
{
	struct sa_ctx c;

	t_ctx(&c, "2001:db8::2", 5060, "2001:db8:ffff::1", 40000,
	      "2001:db8:1::5", 5060, "2001:db8:1::5", 5060);
	T_REWRITE(L("INVITE sip:bob@[2001:db8:1::5] SIP/2.0")
		  L("Via: SIP/2.0/UDP [2001:db8::2];branch=z9hG4bK6")
		  L("From: <sip:alice@[2001:db8::2]>;tag=6")
		  L("To: <sip:bob@[2001:db8:1::5]>")
		  L("Call-ID: v6")
		  L("CSeq: 1 INVITE")
		  L("Contact: <sip:alice@[2001:DB8::2]:5060;transport=udp>")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 92")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP6 2001:db8::2")
		  L("s=-")
		  L("c=IN IP6 2001:db8::2")
		  L("t=0 0")
		  L("m=audio 20000 RTP/AVP 0"),
		  &c,
		  L("INVITE sip:bob@[2001:db8:1::5] SIP/2.0")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;branch=z9hG4bK6")
		  L("From: <sip:alice@[2001:db8:ffff::1]:40000>;tag=6")
		  L("To: <sip:bob@[2001:db8:1::5]>")
		  L("Call-ID: v6")
		  L("CSeq: 1 INVITE")
		  L("Contact: <sip:alice@[2001:db8:ffff::1]:40000;transport=udp>")
		  L("Content-Type: application/sdp")
		  L("Content-Length: 102")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP6 2001:db8:ffff::1")
		  L("s=-")
		  L("c=IN IP6 2001:db8:ffff::1")
		  L("t=0 0")
		  L("m=audio 20000 RTP/AVP 0"));
}

/* reply received=IPv6 without brackets, and with */
static void plan_ipv6_received(void)
{
	struct sa_ctx c;

	t_ctx(&c, "2001:db8:1::5", 5060, "2001:db8:1::5", 5060,
	      "2001:db8:ffff::1", 40000, "2001:db8::2", 5060);
	T_REWRITE(L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;received=2001:db8:ffff::1;rport=40000")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;received=[2001:db8:ffff::1]")
		  L("l: 0") L(""),
		  &c,
		  L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP [2001:db8::2]:5060;received=2001:db8::2;rport=5060")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;received=[2001:db8:ffff::1]")
		  L("l: 0") L(""));
	T_REWRITE(L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;received=[2001:db8:ffff::1]")
		  L("l: 0") L(""),
		  &c,
		  L("SIP/2.0 200 OK")
		  L("Via: SIP/2.0/UDP [2001:db8::2]:5060;received=[2001:db8::2]")
		  L("l: 0") L(""));
}

/*
 * RFC 6874 zone ids: a link-local [fe80::1%25eth0] is valid but never
 * NATed, so it is left as written and the rest is rewritten; a raw "%"
 * (not "%25") or an empty zone is a bad URI and nothing changes.
 */
static void plan_ipv6_zone(void)
{
	struct sa_ctx c;

	t_ctx(&c, "2001:db8::2", 5060, "2001:db8:ffff::1", 40000,
	      "2001:db8:1::5", 5060, "2001:db8:1::5", 5060);
	T_REWRITE(L("OPTIONS sip:[fe80::1%25eth0]:5060 SIP/2.0")
		  L("Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK7")
		  L("From: <sip:a@[fe80::2%25en%2Dp0]>;tag=7")
		  L("To: <sip:[fe80::1%25eth0]>")
		  L("Call-ID: z7")
		  L("CSeq: 1 OPTIONS")
		  L("Contact: <sip:a@[2001:db8::2]:5060>")
		  L("l: 0") L(""),
		  &c,
		  L("OPTIONS sip:[fe80::1%25eth0]:5060 SIP/2.0")
		  L("Via: SIP/2.0/UDP [2001:db8:ffff::1]:40000;branch=z9hG4bK7")
		  L("From: <sip:a@[fe80::2%25en%2Dp0]>;tag=7")
		  L("To: <sip:[fe80::1%25eth0]>")
		  L("Call-ID: z7")
		  L("CSeq: 1 OPTIONS")
		  L("Contact: <sip:a@[2001:db8:ffff::1]:40000>")
		  L("l: 0") L(""));
	T_UNCHANGED(L("OPTIONS sip:[fe80::1%eth0]:5060 SIP/2.0")
		    L("Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK8")
		    L("Call-ID: z8")
		    L("CSeq: 1 OPTIONS")
		    L("Contact: <sip:a@[2001:db8::2]:5060>")
		    L("l: 0") L(""),
		    &c, SA_R_BAD_URI);
	T_UNCHANGED(L("OPTIONS sip:[fe80::1%25]:5060 SIP/2.0")
		    L("Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK9")
		    L("Call-ID: z9")
		    L("CSeq: 1 OPTIONS")
		    L("Contact: <sip:a@[2001:db8::2]:5060>")
		    L("l: 0") L(""),
		    &c, SA_R_BAD_URI);
}

/* a message we cannot rewrite whole is not rewritten at all */
static void plan_never_partial(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	c.policy = SA_POL_FORCE_RPORT;
	/* malformed m= port: the matching Via and Contact stay too */
	T_UNCHANGED(L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		    L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
		    L("Contact: <sip:alice@10.0.0.2>")
		    L("Content-Type: application/sdp")
		    L("Content-Length: 49")
		    L("")
		    L("v=0")
		    L("c=IN IP4 10.0.0.2")
		    L("m=audio 4x000 RTP/AVP 0"),
		    &c, SA_R_BAD_SDP);
	/* a=rtcp offset that would leave 1..65535 */
	c.media_port[0] = 500;
	T_UNCHANGED(L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		    L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
		    L("Content-Type: application/sdp")
		    L("Content-Length: 43")
		    L("")
		    L("v=0")
		    L("m=audio 10000 RTP/AVP 0")
		    L("a=rtcp:9000"),
		    &c, SA_R_BAD_SDP);
}

/* SDP 98 bytes -> 106: the Content-Length grows a digit */
static void plan_clen_digits(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	T_REWRITE(L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1")
		  L("Content-Type: application/sdp")
		  L("Content-Length:   98  ")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 10.0.0.2")
		  L("s=-")
		  L("c=IN IP4 10.0.0.2")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0")
		  L("a=sendrecv"),
		  &c,
		  L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1")
		  L("Content-Type: application/sdp")
		  L("Content-Length:   106  ")
		  L("")
		  L("v=0")
		  L("o=- 1 1 IN IP4 198.51.100.1")
		  L("s=-")
		  L("c=IN IP4 198.51.100.1")
		  L("t=0 0")
		  L("m=audio 10000 RTP/AVP 0")
		  L("a=sendrecv"));
}

/* no Content-Length on UDP: body is the rest of the datagram, none added */
static void plan_udp_no_clen(void)
{
	struct sa_ctx c;

	t_snat_orig(&c);
	T_REWRITE(L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1")
		  L("Content-Type: application/sdp")
		  L("")
		  L("v=0")
		  L("c=IN IP4 10.0.0.2"),
		  &c,
		  L("INVITE sip:bob@198.51.100.2 SIP/2.0")
		  L("Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1")
		  L("Content-Type: application/sdp")
		  L("")
		  L("v=0")
		  L("c=IN IP4 198.51.100.1"));
}

static void plan_apply_bounds(void)
{
	static struct t_rw r;
	static uint8_t small[64];
	struct sa_ctx c;

	t_snat_orig(&c);
	c.policy = SA_POL_FORCE_RPORT;
	t_rewrite(invite_in, strlen(invite_in), &c, &r);
	T_EQ(r.plan, SA_R_OK);
	/* an output buffer that is too small gets nothing */
	T_EQ(sa_apply((const uint8_t *)invite_in, strlen(invite_in), &t_plan,
		      small, sizeof(small)), 0);
	/* edits sorted, not overlapping, inside the message */
	{
		unsigned int i;

		for (i = 0; i < t_plan.n; i++) {
			T_OK(t_plan.e[i].off + t_plan.e[i].len <=
			     strlen(invite_in));
			if (i)
				T_OK(t_plan.e[i - 1].off + t_plan.e[i - 1].len <=
				     t_plan.e[i].off);
		}
	}
}

/*
 * The same plan line by line (sa_line_next, sa_line_apply): the lines that
 * differ between invite_in and invite_out above, in order, by hand.
 */
static void plan_lines(void)
{
	static const struct {
		unsigned int where;
		const char *name, *before, *after;
	} want[] = {
		{ SA_WHERE_HEADER, "Via",
		  "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds",
		  "Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK776asdhds;rport" },
		{ SA_WHERE_HEADER, "From",
		  "From: \"Alice\" <sip:alice@10.0.0.2>;tag=1928301774",
		  "From: \"Alice\" <sip:alice@198.51.100.1:40000>;tag=1928301774" },
		{ SA_WHERE_HEADER, "Contact",
		  "Contact: <sip:alice@10.0.0.2:5060>",
		  "Contact: <sip:alice@198.51.100.1:40000>" },
		{ SA_WHERE_HEADER, "Content-Length",
		  "Content-Length: 162", "Content-Length: 174" },
		{ SA_WHERE_BODY, "o=",
		  "o=alice 2890844526 2890844526 IN IP4 10.0.0.2",
		  "o=alice 2890844526 2890844526 IN IP4 198.51.100.1" },
		{ SA_WHERE_BODY, "c=", "c=IN IP4 10.0.0.2",
		  "c=IN IP4 198.51.100.1" },
		{ SA_WHERE_BODY, "m=", "m=audio 49170 RTP/AVP 0 8",
		  "m=audio 40002 RTP/AVP 0 8" },
		{ SA_WHERE_BODY, "a=", "a=rtcp:49171 IN IP4 10.0.0.2",
		  "a=rtcp:40003 IN IP4 198.51.100.1" },
	};
	const uint8_t *in = (const uint8_t *)invite_in;
	struct sa_line_edit le;
	unsigned int k = 0;
	uint8_t out[128];
	uint16_t i = 0;
	size_t n;
	struct sa_ctx c;

	t_snat_orig(&c);
	c.policy = SA_POL_FORCE_RPORT;
	c.media_port[0] = 40002;
	c.media_port[1] = 40004;
	T_REWRITE(invite_in, &c, invite_out);
	while (i < t_plan.n) {
		i = sa_line_next(in, sizeof(invite_in) - 1, &t_msg, &t_plan, i,
				 &le);
		T_OK(k < sizeof(want) / sizeof(want[0]));
		if (k >= sizeof(want) / sizeof(want[0]))
			return;
		T_EQ(le.where, want[k].where);
		T_EQ(le.name.len, strlen(want[k].name));
		T_BYTES(in + le.name.off, le.name.len, want[k].name);
		T_BYTES(in + le.off, le.len, want[k].before);
		T_EQ(le.new_len, strlen(want[k].after));
		n = sa_line_apply(in, &t_plan, &le, out, sizeof(out));
		T_BYTES(out, n, want[k].after);
		/* cut at cap, never past it */
		memset(out, '#', sizeof(out));
		n = sa_line_apply(in, &t_plan, &le, out, 5);
		T_EQ(n, 5);
		T_OK(!memcmp(out, want[k].after, 5) && out[5] == '#');
		k++;
	}
	T_EQ(k, sizeof(want) / sizeof(want[0]));
	T_OK(sa_method_name(SA_M_INVITE) && !strcmp(sa_method_name(SA_M_INVITE), "INVITE"));
	T_OK(!sa_method_name(SA_M_UNKNOWN));
}

/*
 * sa_line_next on the lines a parser reads oddly, with the same names
 * sipalgctl rewrite --explain gives them (tests/ctl): lines end at LF (a
 * bare CR inside one starts none), CRLFs may come before the start line,
 * a folded line belongs to its header, and white space before the colon
 * is no part of the name. want: "where name|before" per line, by hand.
 */
static void t_lines(const char *in, const struct sa_ctx *c,
		    const char *const *want, unsigned int n_want)
{
	static struct t_rw r;
	const uint8_t *m = (const uint8_t *)in;
	struct sa_line_edit le;
	unsigned int k = 0;
	char got[256];
	uint16_t i = 0;

	t_rewrite(in, strlen(in), c, &r);
	T_EQ(r.parse, SA_R_OK);
	T_EQ(r.plan, SA_R_OK);
	while (i < t_plan.n) {
		i = sa_line_next(m, strlen(in), &t_msg, &t_plan, i, &le);
		snprintf(got, sizeof(got), "%s %.*s|%.*s",
			 le.where == SA_WHERE_START ? "start" :
			 le.where == SA_WHERE_BODY ? "body" : "header",
			 (int)le.name.len, in + le.name.off, (int)le.len,
			 in + le.off);
		T_OK(k < n_want);
		if (k >= n_want)
			return;
		T_BYTES(got, strlen(got), want[k]);
		k++;
	}
	T_EQ(k, n_want);
}

static void plan_lines_odd(void)
{
	static const char *const lead[] = {
		"start |INVITE sip:alice@198.51.100.1:40000 SIP/2.0",
		"header To|To: <sip:alice@198.51.100.1:40000>",
	};
	static const char *const reg[] = {
		"header Via|Via : SIP/2.0/UDP\r10.0.0.2:5060;branch=z9hG4bKr1",
		"header Contact| <sip:100@10.0.0.2:5060>",
	};
	struct sa_ctx c;

	t_snat_reply(&c);
	t_lines(L("") L("")
		L("INVITE sip:alice@198.51.100.1:40000 SIP/2.0")
		L("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bKsrv")
		L("From: <sip:carol@example.org>;tag=9")
		L("To: <sip:alice@198.51.100.1:40000>")
		L("Content-Length: 0") L(""), &c, lead, 2);
	t_snat_orig(&c);
	t_lines(L("REGISTER sip:example.com SIP/2.0")
		L("Via : SIP/2.0/UDP\r10.0.0.2:5060;branch=z9hG4bKr1")
		L("From: <sip:100@example.com>;tag=f1")
		L("To: <sip:100@example.com>")
		L("Call-ID: r1@phone")
		L("CSeq: 1 REGISTER")
		L("Contact: <sip:a@203.0.113.10>,")
		L(" <sip:100@10.0.0.2:5060>")
		L("Content-Length: 0") L(""), &c, reg, 2);
}

void units_plan(void)
{
	t_run("plan: edits line by line: CRLFs before the start line, a bare CR, a folded header, \"Via :\"",
	      plan_lines_odd);
	t_run("plan: edits line by line: header or SDP line, before and after",
	      plan_lines);
	t_run("plan: INVITE from a phone behind SNAT (Via, From, Contact, SDP, rport, Content-Length)",
	      plan_invite_snat);
	t_run("plan: the same INVITE over TCP", plan_invite_tcp);
	t_run("plan: 200 OK back to the phone (Via, received, rport, From)",
	      plan_ok_reply);
	t_run("plan: via_port_restore puts the phone's Via port back",
	      plan_via_port_restore);
	t_run("plan: received/rport of another source left alone; rport without received",
	      plan_rport_other_port);
	t_run("plan: inbound INVITE Request-URI and To mapped to the phone",
	      plan_inbound_invite);
	t_run("plan: already-public fields are not NATed twice", plan_no_double_nat);
	t_run("plan: identity mapping changes nothing", plan_identity);
	t_run("plan: IP-only matches are reported, not rewritten", plan_ip_only);
	t_run("plan: DNAT server: R-URI, Route, To in; Contact, SDP out",
	      plan_dnat);
	t_run("plan: Record-Route from a proxy behind NAT, echoed set mapped back",
	      plan_record_route);
	t_run("plan: compact forms, bare LF, folded Via and Contact",
	      plan_compact_folded_lf);
	t_run("plan: 200 to REGISTER maps the phone's binding back",
	      plan_register_ok);
	t_run("plan: force-rport inserted once, requests only", plan_force_rport);
	t_run("plan: default ports (sips:, TLS 5061) and port-only changes",
	      plan_default_ports);
	t_run("plan: IPv6 Via, URIs, SDP IN IP6", plan_ipv6);
	t_run("plan: IPv6 received= with and without brackets",
	      plan_ipv6_received);
	t_run("plan: IPv6 zone id (RFC 6874) left alone, rest rewritten",
	      plan_ipv6_zone);
	t_run("plan: malformed SDP or bad a=rtcp leaves the whole message alone",
	      plan_never_partial);
	t_run("plan: Content-Length 98 -> 106 keeps its spacing",
	      plan_clen_digits);
	t_run("plan: UDP without Content-Length", plan_udp_no_clen);
	t_run("plan: sa_apply bounds, edits sorted and disjoint",
	      plan_apply_bounds);
}
