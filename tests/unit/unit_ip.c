// SPDX-License-Identifier: GPL-2.0
/* address text <-> binary */
#include "tutil.h"
#include "units.h"

static void ip_roundtrip_one(const char *in, const char *canon, int family)
{
	struct sa_ip ip;
	char buf[64];

	if (!sa_ip_from_str(in, strlen(in), &ip)) {
		t_fail(__FILE__, __LINE__, "%s refused", in);
		return;
	}
	if (ip.family != family)
		t_fail(__FILE__, __LINE__, "%s: family %d", in, ip.family);
	sa_ip_str(&ip, buf);
	if (strcmp(buf, canon))
		t_fail(__FILE__, __LINE__, "%s printed as %s, expected %s", in,
		       buf, canon);
}

static void ip_text(void)
{
	struct sa_ip ip;

	ip_roundtrip_one("10.0.0.2", "10.0.0.2", 4);
	ip_roundtrip_one("255.255.255.255", "255.255.255.255", 4);
	ip_roundtrip_one("010.001.0.9", "10.1.0.9", 4);
	ip_roundtrip_one("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6);
	ip_roundtrip_one("2001:0DB8::0001", "2001:db8::1", 6);
	ip_roundtrip_one("[2001:db8::10]", "2001:db8::10", 6);
	ip_roundtrip_one("::", "::", 6);
	ip_roundtrip_one("::1", "::1", 6);
	ip_roundtrip_one("1::", "1::", 6);
	ip_roundtrip_one("1:0:0:2:0:0:0:3", "1:0:0:2::3", 6);
	ip_roundtrip_one("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 6);
	/* a single zero group is not compressed (RFC 5952 4.2.2) */
	ip_roundtrip_one("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8", 6);
	ip_roundtrip_one("2001:db8::192.0.2.1", "2001:db8::c000:201", 6);
	T_OK(sa_ip_from_str("::ffff:192.0.2.1", 16, &ip));
	T_EQ(ip.addr[10], 0xff);
	T_EQ(ip.addr[12], 192);
	T_EQ(ip.addr[15], 1);
	T_OK(!sa_ip_from_str("1.2.3", 5, &ip));
	T_OK(!sa_ip_from_str("1.2.3.4.5", 9, &ip));
	T_OK(!sa_ip_from_str("256.1.1.1", 9, &ip));
	T_OK(!sa_ip_from_str("1..2.3", 6, &ip));
	T_OK(!sa_ip_from_str("1:2:3:4:5:6:7:8:9", 17, &ip));
	T_OK(!sa_ip_from_str("2001:db8:::192.0.2.1", 20, &ip));
	T_OK(!sa_ip_from_str("1::2::3", 7, &ip));
	T_OK(!sa_ip_from_str("12345::", 7, &ip));
	T_OK(!sa_ip_from_str("1:2:3:4:5:6:7::8", 16, &ip));
	T_OK(!sa_ip_from_str(":1::", 4, &ip));
	T_OK(!sa_ip_from_str("1:", 2, &ip));
	T_OK(!sa_ip_from_str("", 0, &ip));
}

static void ip_match(void)
{
	struct sa_hostport hp;
	struct sa_ep ep;

	memset(&hp, 0, sizeof(hp));
	t_ep(&hp.ep, "10.0.0.2", 0);
	hp.host.len = 8;
	hp.def_port = 5060;
	t_ep(&ep, "10.0.0.2", 5060);
	T_EQ(sa_hp_match(&hp, &ep), SA_MATCH_FULL);
	ep.port = 5062;
	T_EQ(sa_hp_match(&hp, &ep), SA_MATCH_IP);
	hp.ep.port = 5062;
	T_EQ(sa_hp_match(&hp, &ep), SA_MATCH_FULL);
	t_ep(&ep, "10.0.0.3", 5062);
	T_EQ(sa_hp_match(&hp, &ep), SA_MATCH_NONE);
}

void units_ip(void)
{
	t_run("ip: IPv4/IPv6 parsing, RFC 5952 output, invalid forms", ip_text);
	t_run("ip: endpoint match with default port", ip_match);
}
