// SPDX-License-Identifier: GPL-2.0
/*
 * SIP in the corpora's pcaps: UDP datagrams one by one, and TCP streams
 * replayed segment by segment through sa_frame exactly as the module
 * reassembles them (append the segment, frame as many messages as are
 * complete, keep the rest). Each framed message goes through the same
 * parse/plan/apply checks as the message corpora.
 */
#include <stdlib.h>

#include "tutil.h"
#include "units.h"

int corpus_check(const uint8_t *buf, size_t len, enum sa_transport t,
		 const char *name, int *reasons);

#define MAX_FLOWS 64
#define STREAM_CAP (256 * 1024)

struct flow {
	uint8_t key[37];	/* family, src, dst, sport, dport */
	uint32_t next_seq;
	int have_seq;
	int broken;
	uint8_t *buf;
	size_t len;
	int segs_in_buf;	/* segments that contributed to buf */
};

struct pstats {
	int udp, tcp_msgs, split, keepalive, frame_err[SA_R_MAX];
	int tcp_segs, gaps;
	int ok;			/* messages that passed corpus checks */
	int refused;
	int reasons[SA_R_MAX];
	int bad;
	char first_bad[256];
};

static struct flow flows[MAX_FLOWS];
static int nflows;

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t be16(const uint8_t *p)
{
	return (p[0] << 8) | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void check_msg(const uint8_t *m, size_t n, enum sa_transport t,
		      const char *name, struct pstats *ps)
{
	int r = corpus_check(m, n, t, name, ps->reasons);

	if (r > 0)
		ps->ok++;
	else if (r == 0)
		ps->refused++;
	else if (!ps->bad++)
		snprintf(ps->first_bad, sizeof(ps->first_bad), "%s", name);
}

static void tcp_data(struct flow *f, const uint8_t *p, size_t n,
		     const char *name, struct pstats *ps)
{
	enum sa_frame_result fr;
	enum sa_reason why;
	size_t ml, off = 0;

	if (f->broken)
		return;
	if (f->len + n > STREAM_CAP) {
		f->broken = 1;
		return;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	f->segs_in_buf++;
	for (;;) {
		fr = sa_frame(f->buf + off, f->len - off, SA_T_TCP, &ml, &why);
		if (fr == SA_FRAME_NEED_MORE)
			break;
		if (fr == SA_FRAME_ERROR) {
			ps->frame_err[why]++;
			f->broken = 1;	/* the module passes the rest unparsed */
			return;
		}
		if (fr == SA_FRAME_KEEPALIVE) {
			ps->keepalive++;
		} else {
			ps->tcp_msgs++;
			if (f->segs_in_buf > 1)
				ps->split++;
			check_msg(f->buf + off, ml, SA_T_TCP, name, ps);
		}
		off += ml;
		f->segs_in_buf = 1;
	}
	memmove(f->buf, f->buf + off, f->len - off);
	f->len -= off;
	if (!f->len)
		f->segs_in_buf = 0;
}

static struct flow *get_flow(const uint8_t *key)
{
	int i;

	for (i = 0; i < nflows; i++)
		if (!memcmp(flows[i].key, key, sizeof(flows[i].key)))
			return &flows[i];
	if (nflows == MAX_FLOWS)
		return NULL;
	memset(&flows[nflows], 0, sizeof(flows[0]));
	memcpy(flows[nflows].key, key, sizeof(flows[0].key));
	flows[nflows].buf = malloc(STREAM_CAP);
	return &flows[nflows++];
}

/* one IP packet */
static void ip_packet(const uint8_t *p, size_t n, const char *name,
		      struct pstats *ps)
{
	uint8_t key[37];
	const uint8_t *l4;
	size_t l4len;
	int proto;

	memset(key, 0, sizeof(key));
	if (n >= 20 && (p[0] >> 4) == 4) {
		size_t ihl = (p[0] & 15) * 4, tot = be16(p + 2);

		if (ihl < 20 || tot > n || tot < ihl)
			return;
		if (be16(p + 6) & 0x3fff)
			return;		/* fragment: IP reassembly is not ours */
		proto = p[9];
		key[0] = 4;
		memcpy(key + 1, p + 12, 4);
		memcpy(key + 17, p + 16, 4);
		l4 = p + ihl;
		l4len = tot - ihl;
	} else if (n >= 40 && (p[0] >> 4) == 6) {
		size_t pl = be16(p + 4);

		if (40 + pl > n)
			return;
		proto = p[6];	/* extension headers (fragments) skipped */
		key[0] = 6;
		memcpy(key + 1, p + 8, 16);
		memcpy(key + 17, p + 24, 16);
		l4 = p + 40;
		l4len = pl;
	} else {
		return;
	}
	if (proto == 4 || proto == 41) {	/* IP in IP */
		ip_packet(l4, l4len, name, ps);
		return;
	}
	if (proto == 17 && l4len >= 8) {
		size_t ul = be16(l4 + 4);

		if (ul < 8 || ul > l4len || ul == 8)
			return;
		ps->udp++;
		check_msg(l4 + 8, ul - 8, SA_T_UDP, name, ps);
	} else if (proto == 6 && l4len >= 20) {
		size_t doff = (l4[12] >> 4) * 4;
		uint32_t seq = be32(l4 + 4);
		struct flow *f;

		if (doff < 20 || doff > l4len)
			return;
		memcpy(key + 33, l4, 4);	/* ports */
		f = get_flow(key);
		if (!f)
			return;
		if (l4[13] & 0x02) {		/* SYN */
			f->next_seq = seq + 1;
			f->have_seq = 1;
			return;
		}
		if (doff == l4len)
			return;
		ps->tcp_segs++;
		if (!f->have_seq) {
			f->next_seq = seq;
			f->have_seq = 1;
		}
		if (seq != f->next_seq) {
			if ((int32_t)(seq - f->next_seq) < 0)
				return;		/* retransmission */
			ps->gaps++;
			f->broken = 1;
			return;
		}
		f->next_seq = seq + (l4len - doff);
		tcp_data(f, l4 + doff, l4len - doff, name, ps);
	}
}

static void link_packet(uint32_t link, const uint8_t *p, size_t cap,
			const char *name, struct pstats *ps)
{
	size_t hl = 0;

	if (link == 1) {		/* Ethernet, VLAN tags */
		hl = 14;
		while (hl <= cap && (be16(p + hl - 2) == 0x8100 ||
				     be16(p + hl - 2) == 0x88a8))
			hl += 4;
	} else if (link == 113) {	/* Linux cooked */
		hl = 16;
	} else if (link == 276) {	/* Linux cooked v2 */
		hl = 20;
	} else if (link == 0 || link == 108) {	/* BSD loopback */
		hl = 4;
	}
	if (hl < cap)
		ip_packet(p + hl, cap - hl, name, ps);
}

/* pcapng (little-endian sections): interface blocks and packet blocks */
static void run_pcapng(const uint8_t *b, size_t len, const char *name,
		       struct pstats *ps)
{
	uint32_t links[16] = { 0 };
	size_t off = 0;
	int nif = 0, i;

	nflows = 0;
	while (off + 12 <= len) {
		uint32_t type = rd32(b + off, 0), bl = rd32(b + off + 4, 0);

		if (bl < 12 || off + bl > len)
			break;
		if (type == 1 && nif < 16) {
			links[nif++] = b[off + 8] | (b[off + 9] << 8);
		} else if (type == 6 && bl >= 28) {
			uint32_t ifc = rd32(b + off + 8, 0);
			uint32_t cap = rd32(b + off + 20, 0);

			if (cap <= bl - 28 && ifc < 16)
				link_packet(links[ifc], b + off + 28, cap, name,
					    ps);
		}
		off += bl;
	}
	for (i = 0; i < nflows; i++)
		free(flows[i].buf);
}

static int run_pcap(const char *path, const char *name, struct pstats *ps)
{
	size_t len, off = 24;
	uint8_t *b = read_file(path, &len);
	uint32_t magic, link;
	int swap, i;

	if (!b || len < 24) {
		free(b);
		return -1;
	}
	magic = rd32(b, 0);
	if (magic == 0x0a0d0d0a) {
		run_pcapng(b, len, name, ps);
		free(b);
		return 0;
	}
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else {
		free(b);
		return -1;	/* pcapng: not read here */
	}
	link = rd32(b + 20, swap);
	nflows = 0;
	while (off + 16 <= len) {
		uint32_t cap = rd32(b + off + 8, swap);
		const uint8_t *p = b + off + 16;
	
		if (off + 16 + cap > len)
			break;
		link_packet(link, p, cap, name, ps);
		off += 16 + cap;
	}
	for (i = 0; i < nflows; i++)
		free(flows[i].buf);
	free(b);
	return 0;
}

static const struct {
	const char *title;
	const char *rel;
	int expect_split;	/* TCP messages split across segments */
	enum sa_reason expect_err;	/* a stream that must end in this */
} pcaps[] = {
	{ "suricata sip-tcp-method", "suricata-verify-sip/tests/sip-tcp-method/sip-tcp.pcap", 1, 0 },
	{ "suricata sip-tcp-pattern-matching", "suricata-verify-sip/tests/sip-tcp-pattern-matching/sip.pcap", 0, 0 },
	{ "suricata sip-body-large (67 KB body over TCP)", "suricata-verify-sip/tests/sip-body-large/sip-body-large.pcap", 0, SA_R_TOO_BIG },
	{ "suricata sip-body-frames", "suricata-verify-sip/tests/sip-body-frames/public-cloudshark-sip-s0.pcap", 0, 0 },
	{ "suricata sip-sdp", "suricata-verify-sip/tests/sip-sdp/sdp.pcap", 0, 0 },
	{ "suricata sip-compact-form", "suricata-verify-sip/tests/sip-compact-form/sip_compact_form.pcap", 0, 0 },
	{ "zeek invalid-content-length", "zeek-sip-traces/invalid-content-length.pcap", 0, 0 },
	{ "zeek sip-junk-before-request", "zeek-sip-traces/sip-junk-before-request.pcap", 0, 0 },
	{ "zeek sip-long-request-response-paths", "zeek-sip-traces/sip-long-request-response-paths.pcap", 0, 0 },
	{ "ndpi sip", "ndpi-sip-pcaps/sip.pcap", 0, 0 },
	{ "ndpi sip_hello (pcapng)", "ndpi-sip-pcaps/sip_hello.pcapng", 0, 0 },
	{ "ndpi http_on_sip_port (HTTP, not SIP)", "ndpi-sip-pcaps/http_on_sip_port.pcap", 0, SA_R_NOT_SIP },
	{ "sngrep ipip", "sngrep-test-pcaps/ipip.pcap", 0, 0 },
};

static const char *pcap_top;
static unsigned int pcap_idx;

static void pcap_one(void)
{
	char path[2048], errs[256], why[256];
	struct pstats ps;
	size_t n = 0;
	int i;

	memset(&ps, 0, sizeof(ps));
	snprintf(path, sizeof(path), "%s/%s", pcap_top, pcaps[pcap_idx].rel);
	if (run_pcap(path, pcaps[pcap_idx].title, &ps)) {
		t_fail(__FILE__, __LINE__, "cannot read %s", path);
		return;
	}
	errs[0] = 0;
	for (i = 1; i < SA_R_MAX; i++)
		if (ps.frame_err[i])
			n += snprintf(errs + n, sizeof(errs) - n, ", stream stopped: %s",
				      sa_reason_str(i));
	snprintf(why, sizeof(why), "none");
	for (n = 0, i = 1; i < SA_R_MAX; i++)
		if (ps.reasons[i])
			n += snprintf(why + n, sizeof(why) - n, "%s%s %d",
				      n ? ", " : "", sa_reason_str(i),
				      ps.reasons[i]);
	t_name("pcap %s: %d UDP datagrams, %d TCP segments -> %d messages "
	       "(%d split across segments)%s, 0 crashes, %d rewritten and "
	       "re-checked, %d refused (%s)", pcaps[pcap_idx].title, ps.udp,
	       ps.tcp_segs, ps.tcp_msgs, ps.split, errs, ps.ok, ps.refused,
	       why);
	if (ps.bad)
		t_fail(__FILE__, __LINE__, "%d messages failed a check, first %s",
		       ps.bad, ps.first_bad);
	if (pcaps[pcap_idx].expect_err &&
	    !ps.frame_err[pcaps[pcap_idx].expect_err])
		t_fail(__FILE__, __LINE__, "expected the stream to stop with %s",
		       sa_reason_str(pcaps[pcap_idx].expect_err));
	if (ps.split < pcaps[pcap_idx].expect_split)
		t_fail(__FILE__, __LINE__, "only %d split messages", ps.split);
	if (ps.udp + ps.tcp_msgs == 0 && !pcaps[pcap_idx].expect_err)
		t_fail(__FILE__, __LINE__, "no SIP found");
}

void units_pcap(const char *top)
{
	char name[256];

	pcap_top = top;
	for (pcap_idx = 0; pcap_idx < sizeof(pcaps) / sizeof(pcaps[0]); pcap_idx++) {
		snprintf(name, sizeof(name), "pcap %s", pcaps[pcap_idx].title);
		t_run(name, pcap_one);
	}
}
