// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl rewrite: run one SIP message through the same core the module
 * uses (kmod/core), with the NAT mapping given on the command line, and
 * print the message as the ALG would forward it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "sipalgctl.h"
#include "sipalg_nl.h"
#include "sipcore.h"

static void rewrite_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl rewrite [--snat PRIV=PUB] [--dnat PUB=PRIV] [--peer ADDR]\n"
"                         [--reply] [--tcp] [--policy POLICY] [--explain]\n"
"                         [FILE]\n"
"\n"
"Reads one SIP message from FILE (default: standard input) and writes it as\n"
"the sipalg ALG would forward it through a NAT. ADDR, PRIV and PUB are\n"
"IP:PORT, or [IPv6]:PORT.\n"
"  --snat PRIV=PUB  the sender inside, PRIV, leaves the router as PUB\n"
"  --dnat PUB=PRIV  a port-forwarded server: PUB on the router is PRIV inside\n"
"  --peer ADDR      the other end (needed unless both --snat and --dnat)\n"
"  --reply          the message travels in the reply direction (from the\n"
"                   peer or the forwarded server back to the client)\n"
"  --tcp            the message came over TCP (default UDP)\n"
"  --policy POLICY  default, force-rport, static-port, strict, media-any or\n"
"                   disable (repeat or join with commas; media-any changes\n"
"                   pinholes only, not the rewrite); with strict, a message\n"
"                   the ALG refuses is dropped: nothing on standard output,\n"
"                   the reason on standard error, exit status 3\n"
"  --explain        list the edits and reasons on standard error\n"
"The connection's original tuple is A -> B and its reply tuple B' -> A',\n"
"with A = PRIV of --snat (else the peer), A' = PUB of --snat (else the\n"
"peer), B = PUB of --dnat (else the peer), B' = PRIV of --dnat (else the\n"
"peer). Media ports are kept: offline there is no NAT mapping for RTP.\n"
"\n"
"Exit status: 0 the ALG would forward the message (changed or not),\n"
"3 the ALG would drop it (policy strict), 2 usage error, 1 cannot read the\n"
"input.\n");
}

/* IP:PORT or [IPv6]:PORT */
static bool parse_ep(const char *s, struct sa_ep *ep, const char *what)
{
	const char *colon, *host = s;
	size_t hlen;
	uint16_t port;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':') {
			usage_err("rewrite", "%s: bad address \"%s\": expected [IPv6]:PORT",
				  what, s);
			return false;
		}
		colon = rb + 1;
		hlen = (size_t)(rb + 1 - s);
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			usage_err("rewrite", "%s: bad address \"%s\": expected IP:PORT or [IPv6]:PORT",
				  what, s);
			return false;
		}
		hlen = (size_t)(colon - s);
	}
	memset(ep, 0, sizeof(*ep));
	if (!hlen || !sa_ip_from_str(host, hlen, &ep->ip)) {
		usage_err("rewrite", "%s: bad IP address \"%.*s\"", what, (int)hlen,
			  host);
		return false;
	}
	if (!parse_port(colon + 1, &port, "rewrite"))
		return false;
	ep->port = port;
	return true;
}

/* A=B */
static bool parse_pair(const char *s, struct sa_ep *a, struct sa_ep *b,
		       const char *what)
{
	const char *eq = strchr(s, '=');
	char *left;
	bool ok;

	if (!eq) {
		usage_err("rewrite", "%s needs ADDR=ADDR, got \"%s\"", what, s);
		return false;
	}
	left = strndup(s, (size_t)(eq - s));
	if (!left)
		return false;
	ok = parse_ep(left, a, what) && parse_ep(eq + 1, b, what);
	free(left);
	if (ok && a->ip.family != b->ip.family) {
		usage_err("rewrite", "%s: both sides must be IPv4 or both IPv6",
			  what);
		return false;
	}
	return ok;
}

static void ep_str(const struct sa_ep *ep, char *buf, size_t len)
{
	char ip[48];

	sa_ip_str(&ep->ip, ip);
	if (ep->ip.family == 6)
		snprintf(buf, len, "[%s]:%u", ip, ep->port);
	else
		snprintf(buf, len, "%s:%u", ip, ep->port);
}

/*
 * "line L (WHAT)" for the edit at off, for --explain. L counts the lines
 * of the input from 1; WHAT is "start line", "body" or the header's name.
 * Lines end at LF, as the parser reads them: a bare CR inside one starts
 * no line (the core's sa_line_next ends a line there, so it would name
 * what follows the CR). The name is the parser's: up to the colon without
 * the white space before it, and a folded line's is its header's; the
 * start line is the first after the CRLFs that may come before it.
 */
static void line_of(const uint8_t *msg, size_t len, uint32_t off,
		    const struct sa_msg *m, char *buf, size_t blen)
{
	uint32_t s, line = 1, i, e;

	if (off > len)
		off = (uint32_t)len;
	for (i = 0; i < off; i++)
		if (msg[i] == '\n')
			line++;
	if (off >= m->hdr_len) {
		snprintf(buf, blen, "line %u (body)", line);
		return;
	}
	if (off <= m->start_line.off + m->start_line.len) {
		snprintf(buf, blen, "line %u (start line)", line);
		return;
	}
	/* back to the line's start, and over folded lines (SP or HT first) */
	for (s = off;; s--) {
		while (s > 0 && msg[s - 1] != '\n')
			s--;
		if (s == 0 || (msg[s] != ' ' && msg[s] != '\t'))
			break;
	}
	for (e = s; e < len && msg[e] != ':' && msg[e] != '\n' && e - s < 40;
	     e++)
		;
	while (e > s && (msg[e - 1] == ' ' || msg[e - 1] == '\t'))
		e--;
	snprintf(buf, blen, "line %u (%.*s)", line, (int)(e - s),
		 (const char *)msg + s);
}

static void explain_edits(const uint8_t *msg, size_t len,
			  const struct sa_msg *m, const struct sa_plan *plan)
{
	uint16_t i;

	for (i = 0; i < plan->n; i++) {
		const struct sa_edit *e = &plan->e[i];
		char where[80];

		line_of(msg, len, e->off, m, where, sizeof(where));
		fprintf(stderr, "  edit %u, %s: ", i + 1, where);
		if (e->len)
			js_escape(stderr, (const char *)msg + e->off, e->len);
		else
			fputs("(insert)", stderr);
		fputs(" -> ", stderr);
		js_escape(stderr, plan->text + e->text_off, e->text_len);
		fputc('\n', stderr);
	}
}

/*
 * The module's verdict for a message the core refuses (kmod/policy.c,
 * sipalg_policy_drops). Strict is for UDP only, which the option parsing
 * made sure of.
 */
static bool strict_drops(uint32_t pol, enum sa_reason why)
{
	return (pol & SIPALG_POLICY_STRICT) && sa_reason_drops(why);
}

static const struct {
	uint16_t bit;
	const char *what;
} iponly[] = {
	{ SA_IPONLY_RURI, "Request-URI" },
	{ SA_IPONLY_VIA, "top Via" },
	{ SA_IPONLY_CONTACT, "Contact" },
	{ SA_IPONLY_ROUTE, "Route/Record-Route" },
	{ SA_IPONLY_FROM_TO, "From/To" },
};

int cmd_rewrite(int argc, char **argv)
{
	struct sa_ep snat_priv, snat_pub, dnat_pub, dnat_priv, peer;
	bool has_snat = false, has_dnat = false, has_peer = false;
	bool reply = false, tcp = false, explain = false, seen_def = false;
	const char *file = NULL;
	uint32_t pol = 0;
	struct sa_ep A, A2, B, B2;
	static uint8_t in[SA_MAX_MSG + 2], out[SA_MAX_MSG + SA_EDIT_TEXT + 1];
	static struct sa_msg m;
	static struct sa_plan plan;
	static struct sa_ctx ctx;
	enum sa_transport tr;
	enum sa_frame_result fr;
	enum sa_reason why = SA_R_OK, r;
	size_t len = 0, mlen = 0, olen;
	char a[64], b[64], c[64], d[64];
	FILE *f = stdin;
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool need = !strcmp(o, "--snat") || !strcmp(o, "--dnat") ||
			    !strcmp(o, "--peer") || !strcmp(o, "--policy");

		if (is_help(o) && strcmp(o, "help")) {
			rewrite_usage(stdout);
			return EX_OK;
		}
		if (need && !v)
			return usage_err("rewrite", "%s needs a value", o);
		if (!strcmp(o, "--snat")) {
			if (!parse_pair(v, &snat_priv, &snat_pub, "--snat"))
				return EX_USAGE;
			has_snat = true;
			i++;
		} else if (!strcmp(o, "--dnat")) {
			if (!parse_pair(v, &dnat_pub, &dnat_priv, "--dnat"))
				return EX_USAGE;
			has_dnat = true;
			i++;
		} else if (!strcmp(o, "--peer")) {
			if (!parse_ep(v, &peer, "--peer"))
				return EX_USAGE;
			has_peer = true;
			i++;
		} else if (!strcmp(o, "--policy")) {
			if (!policy_parse("rewrite", v, &pol, &seen_def))
				return EX_USAGE;
			i++;
		} else if (!strcmp(o, "--reply")) {
			reply = true;
		} else if (!strcmp(o, "--tcp")) {
			tcp = true;
		} else if (!strcmp(o, "--explain")) {
			explain = true;
		} else if (o[0] == '-' && o[1]) {
			return usage_err("rewrite", "unknown option \"%s\"", o);
		} else if (file) {
			return usage_err("rewrite", "only one input file, got \"%s\" and \"%s\"",
					 file, o);
		} else {
			file = o;
		}
	}
	if (!has_snat && !has_dnat)
		return usage_err("rewrite", "needs a NAT mapping: --snat PRIV=PUB and/or --dnat PUB=PRIV");
	if ((!has_snat || !has_dnat) && !has_peer)
		return usage_err("rewrite", "needs --peer ADDR: the other end of the connection");
	rc = policy_check("rewrite", pol, seen_def,
			  tcp ? IPPROTO_TCP : IPPROTO_UDP);
	if (rc)
		return rc;

	A = has_snat ? snat_priv : peer;
	A2 = has_snat ? snat_pub : peer;
	B = has_dnat ? dnat_pub : peer;
	B2 = has_dnat ? dnat_priv : peer;
	if (A.ip.family != B.ip.family || A2.ip.family != B2.ip.family)
		return usage_err("rewrite", "mixes IPv4 and IPv6 endpoints: a connection has one family");

	if (file && strcmp(file, "-")) {
		f = fopen(file, "rb");
		if (!f) {
			err_msg("rewrite: cannot open %s: %s", file,
				strerror(errno));
			return EX_FAIL;
		}
	}
	len = fread(in, 1, sizeof(in), f);
	if (ferror(f)) {
		err_msg("rewrite: cannot read %s: %s", file ? file : "stdin",
			strerror(errno));
		return EX_FAIL;
	}
	if (f != stdin)
		fclose(f);
	if (len > SA_MAX_MSG) {
		/* in[] holds one byte more than the limit: that says it */
		return usage_err("rewrite",
				 "the message is longer than %u bytes, the core's limit (SA_MAX_MSG): the module forwards such a message unchanged",
				 (unsigned int)SA_MAX_MSG);
	}

	tr = tcp ? SA_T_TCP : SA_T_UDP;
	memset(&ctx, 0, sizeof(ctx));
	ctx.transport = tr;
	if (!reply) {
		ctx.src_from = A;
		ctx.src_to = A2;
		ctx.dst_from = B;
		ctx.dst_to = B2;
	} else {
		ctx.src_from = B2;
		ctx.src_to = B;
		ctx.dst_from = A2;
		ctx.dst_to = A;
	}
	/* like the module: the policy's rport edit is for requests only */
	if (pol & SIPALG_POLICY_FORCE_RPORT)
		ctx.policy |= SA_POL_FORCE_RPORT;

	if (explain) {
		ep_str(&ctx.src_from, a, sizeof(a));
		ep_str(&ctx.src_to, b, sizeof(b));
		ep_str(&ctx.dst_from, c, sizeof(c));
		ep_str(&ctx.dst_to, d, sizeof(d));
		fprintf(stderr, "%s, %s direction: source %s -> %s, destination %s -> %s\n",
			tcp ? "TCP" : "UDP", reply ? "reply" : "original",
			a, b, c, d);
	}

	if (pol & SIPALG_POLICY_DISABLE) {
		if (explain)
			fprintf(stderr, "policy disable: the ALG leaves the message alone\n");
		goto pass;
	}
	fr = sa_frame(in, len, tr, &mlen, &why);
	if (fr == SA_FRAME_KEEPALIVE) {
		if (explain)
			fprintf(stderr, "keep-alive: forwarded as is\n");
		goto pass;
	}
	if (fr == SA_FRAME_NEED_MORE) {
		if (tcp) {
			err_msg("rewrite: incomplete TCP message: the ALG would wait for more bytes");
			return EX_FAIL;
		}
		why = SA_R_TRUNCATED;
		goto unchanged;
	}
	if (fr != SA_FRAME_MSG)
		goto unchanged;
	if (mlen > len)
		mlen = len;
	if (tcp && mlen < len) {
		err_msg("rewrite: %zu bytes after the first message: give one message",
			len - mlen);
		return EX_USAGE;
	}
	r = sa_parse(in, mlen, tr, &m);
	if (r != SA_R_OK) {
		why = r;
		goto refused;
	}
	if (!m.is_request)
		ctx.policy &= ~SA_POL_FORCE_RPORT;
	if (explain && m.sdp.present)
		fprintf(stderr, "media ports kept: offline there is no NAT mapping for RTP ports\n");
	r = sa_plan(in, &m, &ctx, &plan);
	if (r != SA_R_OK) {
		why = r;
		goto refused;
	}
	if (explain)
		for (i = 0; i < (int)(sizeof(iponly) / sizeof(iponly[0])); i++)
			if (plan.ip_only & iponly[i].bit)
				fprintf(stderr, "%s has the mapped IP with another port: left alone\n",
					iponly[i].what);
	if (!plan.n) {
		if (explain)
			fprintf(stderr, "nothing to rewrite: forwarded unchanged\n");
		goto pass;
	}
	olen = sa_apply(in, len, &plan, out, sizeof(out));
	if (!olen && len) {
		why = SA_R_TOO_BIG;
		goto unchanged;
	}
	if (explain) {
		fprintf(stderr, "rewritten: %u edit%s, %zu -> %zu bytes\n",
			plan.n, plan.n == 1 ? "" : "s", len, olen);
		explain_edits(in, len, &m, &plan);
	}
	fwrite(out, 1, olen, stdout);
	return EX_OK;

refused:
	/* the core refuses the message: strict drops it */
	if (strict_drops(pol, why)) {
		err_msg("rewrite: dropped by policy strict: %s",
			sa_reason_str(why));
		return EX_DROP;
	}
	if (explain && (pol & SIPALG_POLICY_STRICT))
		fprintf(stderr, "not SIP: policy strict lets it pass\n");
	/*
	 * Too big for the core, or an empty UDP datagram or another framing
	 * error (which the module never sees: it does not look at empty or
	 * over-long payloads): passed even with strict, like the module does.
	 */
unchanged:
	if (explain)
		fprintf(stderr, "not rewritten: %s: forwarded unchanged\n",
			sa_reason_str(why));
pass:
	fwrite(in, 1, len, stdout);
	return EX_OK;
}
