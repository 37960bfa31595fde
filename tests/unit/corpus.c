// SPDX-License-Identifier: GPL-2.0
/*
 * Runs over the shared corpora (../shared/corpora from the repository top,
 * or $SIPALG_CORPORA). Nothing from them is copied into the repository.
 *
 * For every message: frame (UDP), parse, and when it parses, plan a
 * rewrite with a mapping derived from the message itself (its first IP
 * literal endpoint -> 203.0.113.77:40000, and the Request-URI -> 192.0.2.222),
 * apply it, and check the output:
 *   - it parses again, with a Content-Length equal to its body length;
 *   - the same numbers of Vias, Contacts, Routes, Record-Routes, media;
 *   - no rewritable field still matches a "from" endpoint of the mapping;
 *   - planning the output again with the same mapping changes nothing.
 * A refused message must have no edit at all. Sanitizer reports abort the
 * test (it runs in its own process) and count as its failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tutil.h"
#include "units.h"

static char corpora[1024];

static const char *corpora_dir(void)
{
	const char *env = getenv("SIPALG_CORPORA");
	struct stat st;

	if (env && *env)
		snprintf(corpora, sizeof(corpora), "%s", env);
	else
		snprintf(corpora, sizeof(corpora), "%s", SIPALG_TOP "/../shared/corpora");
	if (stat(corpora, &st) || !S_ISDIR(st.st_mode))
		return NULL;
	return corpora;
}

/* ---------------------------------------------------------------- files */

uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? n : 1);
	if (buf && n > 0 && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted names of regular files in dir ending in suffix ("" for all) */
int list_dir(const char *dir, const char *suffix, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);

		if (de->d_name[0] == '.' || l < sl ||
		    strcmp(de->d_name + l - sl, suffix) ||
		    !strcmp(de->d_name, "SHA256SUMS"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void free_list(char **v, int n)
{
	while (n-- > 0)
		free(v[n]);
	free(v);
}

/* ---------------------------------------------------------------- one message */

struct cstats {
	int msgs;
	int keepalive;
	int parsed;		/* sa_parse OK */
	int refused;		/* frame/parse/plan refused */
	int rewritten;		/* plan OK with edits, output checked */
	int untouched;		/* plan OK, no edit */
	int reasons[SA_R_MAX];
	int bad;		/* invariant failures */
	char first_bad[512];
};

enum c_result { C_KEEPALIVE, C_REFUSED, C_REWRITTEN, C_UNTOUCHED, C_BAD };

static struct sa_msg cm, cm2;
static struct sa_plan cp, cp2;
static uint8_t cout[SA_MAX_MSG + 8192];

static bool ep_of(const struct sa_hostport *hp, struct sa_ep *ep)
{
	if (!hp->host.len || !hp->ep.ip.family)
		return false;
	ep->ip = hp->ep.ip;
	ep->port = sa_hp_port(hp);
	return true;
}

/* a mapping that makes this message's own addresses move */
static void derive_ctx(const struct sa_msg *m, enum sa_transport t,
		       struct sa_ctx *c)
{
	struct sa_ep self = { { 0 }, 0 }, peer = { { 0 }, 0 };
	bool have_self = false, have_peer = false;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->transport = t;
	/* the sender's own endpoint: top Via (requests) or first Contact */
	if (m->is_request)
		have_self = ep_of(&m->top_via.sent_by, &self);
	for (i = 0; !have_self && i < m->n_contact; i++)
		have_self = ep_of(&m->contact[i].hp, &self);
	if (!have_self && m->sdp.present && m->sdp.c_ip.family) {
		self.ip = m->sdp.c_ip;
		self.port = 5060;
		have_self = true;
	}
	if (m->is_request)
		have_peer = ep_of(&m->ruri, &peer);
	else
		have_peer = ep_of(&m->top_via.sent_by, &peer);
	if (have_self) {
		c->src_from = self;
		t_ep(&c->src_to, self.ip.family == 6 ? "2001:db8:77::77" :
			       "203.0.113.77", 40000);
	} else {
		t_ep(&c->src_from, "192.0.2.250", 1);
		c->src_to = c->src_from;
	}
	if (have_peer && !(sa_ip_eq(&peer.ip, &self.ip) &&
			   peer.port == self.port)) {
		c->dst_from = peer;
		t_ep(&c->dst_to, peer.ip.family == 6 ? "2001:db8:222::2" :
			       "192.0.2.222", 5070);
	} else {
		t_ep(&c->dst_from, "192.0.2.251", 1);
		c->dst_to = c->dst_from;
	}
	c->policy = SA_POL_FORCE_RPORT;
	for (i = 0; i < m->sdp.n_media; i++)
		if (m->sdp.media[i].rtp_port && m->sdp.media[i].rtp_port < 60000)
			c->media_port[i] = m->sdp.media[i].rtp_port + 4000;
}

static int full_match(const struct sa_hostport *hp, const struct sa_ep *ep)
{
	return hp->host.len && sa_hp_match(hp, ep) == SA_MATCH_FULL;
}

/* rewritable fields of m still equal to a "from" endpoint of c */
static int leftovers(const struct sa_msg *m, const struct sa_ctx *c)
{
	const struct sa_ep *sf = &c->src_from, *df = &c->dst_from;
	unsigned int i;
	int n = 0;

	if (sa_ip_eq(&sf->ip, &c->src_to.ip) && sf->port == c->src_to.port)
		sf = NULL;
	if (sa_ip_eq(&df->ip, &c->dst_to.ip) && df->port == c->dst_to.port)
		df = NULL;
	if (m->is_request) {
		if (df && full_match(&m->ruri, df))
			n++;
		if (sf && full_match(&m->top_via.sent_by, sf))
			n++;
	} else if (df && full_match(&m->top_via.sent_by, df)) {
		n++;
	}
	for (i = 0; i < m->n_contact; i++)
		if ((sf && full_match(&m->contact[i].hp, sf)) ||
		    (df && full_match(&m->contact[i].hp, df)))
			n++;
	for (i = 0; i < m->n_rr; i++)
		if ((sf && full_match(&m->record_route[i], sf)) ||
		    (df && full_match(&m->record_route[i], df)))
			n++;
	for (i = 0; i < m->n_route; i++)
		if ((sf && full_match(&m->route[i], sf)) ||
		    (df && full_match(&m->route[i], df)))
			n++;
	if ((sf && (full_match(&m->from, sf) || full_match(&m->to, sf))) ||
	    (df && (full_match(&m->from, df) || full_match(&m->to, df))))
		n++;
	if (sf && !sa_ip_eq(&sf->ip, &c->src_to.ip) && m->sdp.present) {
		if (m->sdp.o_addr.len && sa_ip_eq(&m->sdp.o_ip, &sf->ip))
			n++;
		if (m->sdp.c_addr.len && sa_ip_eq(&m->sdp.c_ip, &sf->ip))
			n++;
		for (i = 0; i < m->sdp.n_media; i++)
			if ((m->sdp.media[i].c_addr.len &&
			     sa_ip_eq(&m->sdp.media[i].c_ip, &sf->ip)) ||
			    (m->sdp.media[i].rtcp_addr_span.len &&
			     sa_ip_eq(&m->sdp.media[i].rtcp_addr, &sf->ip)))
				n++;
	}
	return n;
}

static void bad(struct cstats *st, const char *name, const char *fmt,
		const char *detail)
{
	st->bad++;
	if (!st->first_bad[0])
		snprintf(st->first_bad, sizeof(st->first_bad), "%s: %s%s", name,
			 fmt, detail ? detail : "");
}

static enum c_result corpus_one(const uint8_t *buf, size_t len,
				enum sa_transport t, const char *name,
				struct cstats *st)
{
	enum sa_frame_result fr;
	enum sa_reason why, r;
	struct sa_ctx c;
	size_t flen, olen;
	unsigned int i;

	st->msgs++;
	fr = sa_frame(buf, len, t, &flen, &why);
	if (fr == SA_FRAME_KEEPALIVE) {
		st->keepalive++;
		return C_KEEPALIVE;
	}
	if (fr != SA_FRAME_MSG) {
		st->refused++;
		st->reasons[why]++;
		return C_REFUSED;
	}
	if (t == SA_T_TCP)
		len = flen;
	r = sa_parse(buf, len, t, &cm);
	if (r != SA_R_OK) {
		st->refused++;
		st->reasons[r]++;
		return C_REFUSED;
	}
	st->parsed++;
	derive_ctx(&cm, t, &c);
	r = sa_plan(buf, &cm, &c, &cp);
	if (r != SA_R_OK) {
		if (cp.n || cp.delta)
			bad(st, name, "refused plan has edits", NULL);
		st->refused++;
		st->reasons[r]++;
		return C_REFUSED;
	}
	if (cp.n == 0) {
		st->untouched++;
		if (leftovers(&cm, &c))
			bad(st, name, "unchanged but a field matches", NULL);
		return C_UNTOUCHED;
	}
	olen = sa_apply(buf, len, &cp, cout, sizeof(cout));
	if (!olen || (long)olen != (long)len + cp.delta) {
		bad(st, name, "apply length", NULL);
		return C_BAD;
	}
	r = sa_parse(cout, olen, t, &cm2);
	if (r != SA_R_OK) {
		bad(st, name, "output does not parse: ", sa_reason_str(r));
		return C_BAD;
	}
	if (cm.has_clen && (!cm2.has_clen || cm2.clen_val != cm2.body.len)) {
		bad(st, name, "output Content-Length wrong", NULL);
		return C_BAD;
	}
	if (cm2.n_via != cm.n_via || cm2.n_contact != cm.n_contact ||
	    cm2.n_rr != cm.n_rr || cm2.n_route != cm.n_route ||
	    cm2.sdp.present != cm.sdp.present ||
	    cm2.sdp.n_media != cm.sdp.n_media) {
		bad(st, name, "output structure differs", NULL);
		return C_BAD;
	}
	for (i = 0; i < cm.sdp.n_media; i++) {
		uint16_t exp = cm.sdp.media[i].rtp_port;

		if (c.media_port[i])
			exp = c.media_port[i];
		if (cm2.sdp.media[i].rtp_port != exp) {
			bad(st, name, "m= port not as planned", NULL);
			return C_BAD;
		}
		if (cm.sdp.media[i].rtcp_explicit &&
		    cm2.sdp.media[i].rtcp_port - cm2.sdp.media[i].rtp_port !=
		    cm.sdp.media[i].rtcp_port - cm.sdp.media[i].rtp_port) {
			bad(st, name, "a=rtcp offset not kept", NULL);
			return C_BAD;
		}
	}
	if (c.policy & SA_POL_FORCE_RPORT && cm2.is_request &&
	    !cm2.top_via.has_rport) {
		bad(st, name, "no rport after force-rport", NULL);
		return C_BAD;
	}
	if (leftovers(&cm2, &c)) {
		bad(st, name, "a field still matches the mapping", NULL);
		return C_BAD;
	}
	r = sa_plan(cout, &cm2, &c, &cp2);
	if (r != SA_R_OK || cp2.n) {
		bad(st, name, "second plan not empty", NULL);
		return C_BAD;
	}
	st->rewritten++;
	return C_REWRITTEN;
}

/*
 * For the pcap runs: 1 when rewritten and re-checked (or no edit needed),
 * 0 when refused, -1 when a check failed.
 */
int corpus_check(const uint8_t *buf, size_t len, enum sa_transport t,
		 const char *name, int *reasons)
{
	struct cstats st;
	enum c_result r;
	int i;

	memset(&st, 0, sizeof(st));
	r = corpus_one(buf, len, t, name, &st);
	for (i = 0; reasons && i < SA_R_MAX; i++)
		reasons[i] += st.reasons[i];
	if (st.bad) {
		fprintf(stderr, "%s: %s\n", name, st.first_bad);
		return -1;
	}
	return (r == C_REWRITTEN || r == C_UNTOUCHED) ? 1 : 0;
}

static void reasons_str(const struct cstats *st, char *buf, size_t cap)
{
	size_t n = 0;
	int i;

	snprintf(buf, cap, "none");
	for (i = 1; i < SA_R_MAX && n < cap; i++)
		if (st->reasons[i])
			n += snprintf(buf + n, cap - n, "%s%s %d", n ? ", " : "",
				      sa_reason_str(i), st->reasons[i]);
}

/* ---------------------------------------------------------------- corpora */

/*
 * A copy of buf (just parsed into cm, refused for its Content-Length) with
 * the Content-Length value replaced by the body's real length.
 */
static uint8_t *recount_clen(const uint8_t *buf, size_t len, size_t *olen)
{
	char num[16];
	int nl = snprintf(num, sizeof(num), "%u", cm.body.len);
	uint8_t *o;

	if (!cm.has_clen || !cm.body.off)
		return NULL;
	o = malloc(len + 16);
	memcpy(o, buf, cm.clen.off);
	memcpy(o + cm.clen.off, num, nl);
	memcpy(o + cm.clen.off + nl, buf + cm.clen.off + cm.clen.len,
	       len - cm.clen.off - cm.clen.len);
	*olen = len - cm.clen.len + nl;
	return o;
}

/*
 * Some corpora are not wire-exact (XML or C string extraction, LF line
 * ends): a message refused as truncated (the final blank line lost) or for
 * its Content-Length is repaired (blank line added, length recounted) and
 * run again, at most twice. The repaired count is reported.
 */
static enum c_result corpus_repair(const uint8_t *buf, size_t len,
				   enum sa_transport t, const char *name,
				   struct cstats *st, int *repaired)
{
	enum c_result res = corpus_one(buf, len, t, name, st);
	uint8_t *cur = NULL, *nb;
	size_t nl;
	int k;

	for (k = 0; k < 2 && res == C_REFUSED; k++) {
		enum sa_reason r = sa_parse(cur ? cur : buf, len, t, &cm);

		nb = NULL;
		if (r == SA_R_TRUNCATED && len && (cur ? cur : buf)[len - 1] == '\n') {
			nb = malloc(len + 2);
			memcpy(nb, cur ? cur : buf, len);
			nl = len;
			if (len > 1 && (cur ? cur : buf)[len - 2] == '\r')
				nb[nl++] = '\r';
			nb[nl++] = '\n';
		} else if (r == SA_R_BAD_CLEN) {
			nb = recount_clen(cur ? cur : buf, len, &nl);
		}
		if (!nb)
			break;
		st->msgs--;
		st->refused--;
		st->reasons[r]--;
		free(cur);
		cur = nb;
		len = nl;
		res = corpus_one(cur, len, t, name, st);
		if (res != C_REFUSED && repaired)
			(*repaired)++;
	}
	free(cur);
	return res;
}

static char cur_corpus[1200];

/* a directory of message files, no expectations beyond the invariants */
static void run_dir(const char *title, const char *rel, const char *suffix,
		    enum sa_transport t, int min_rewritten, bool repair)
{
	int repaired = 0;
	struct cstats st;
	char path[2048], why[512];
	char **names;
	int n, i;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "%s/%s", cur_corpus, rel);
	n = list_dir(path, suffix, &names);
	if (n <= 0) {
		t_fail(__FILE__, __LINE__, "no files in %s", path);
		return;
	}
	for (i = 0; i < n; i++) {
		size_t len;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s/%s", cur_corpus, rel,
			 names[i]);
		buf = read_file(path, &len);
		if (!buf) {
			t_fail(__FILE__, __LINE__, "cannot read %s", path);
			continue;
		}
		if (repair)
			corpus_repair(buf, len, t, names[i], &st, &repaired);
		else
			corpus_one(buf, len, t, names[i], &st);
		free(buf);
	}
	free_list(names, n);
	reasons_str(&st, why, sizeof(why));
	t_name("corpus %s: %d messages, 0 crashes, %d rewritten and re-checked%s, "
	       "%d needed no edit, %d refused (%s)", title, st.msgs,
	       st.rewritten, repair ? " (with repaired extraction)" : "",
	       st.untouched, st.refused, why);
	if (repair)
		t_name("corpus %s: %d messages, 0 crashes, %d rewritten and "
		       "re-checked (%d after repairing the extraction: lost final "
		       "blank line or Content-Length), %d needed no edit, "
		       "%d refused (%s)", title, st.msgs, st.rewritten, repaired,
		       st.untouched, st.refused, why);
	if (st.bad)
		t_fail(__FILE__, __LINE__, "%d outputs failed a check, first %s",
		       st.bad, st.first_bad);
	if (st.rewritten < min_rewritten)
		t_fail(__FILE__, __LINE__, "only %d rewritten, expected >= %d",
		       st.rewritten, min_rewritten);
}

/* tab-separated manifest: file in column 0, expectation in column col */
static char *tsv_field(const char *tsv, const char *file, int col,
		       char *out, size_t cap)
{
	const char *p = tsv;
	size_t fl = strlen(file);

	while (p && *p) {
		if (!strncmp(p, file, fl) && p[fl] == '\t') {
			int c = 0;
			const char *q = p;

			while (c < col && (q = strchr(q, '\t'))) {
				q++;
				c++;
			}
			if (!q)
				return NULL;
			snprintf(out, cap, "%.*s", (int)strcspn(q, "\t\n"), q);
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/*
 * RFC 4475: the 13 valid messages are rewritten and re-checked, except
 * dblreq.dat: its Content-Length leaves trailing octets in the UDP
 * datagram, which our policy refuses (SA_R_BAD_CLEN) rather than
 * rewriting a datagram whose tail we would carry unparsed. The 19
 * invalid ones must be refused or come out unchanged.
 */
static void corpus_rfc4475(void)
{
	int valid = 0, valid_ok = 0, inval = 0, inval_ok = 0, other = 0;
	char path[2048], cls[64], *tsv, **names, why[512];
	struct cstats st;
	size_t tl;
	int n, i;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "%s/rfc4475-torture/manifest.tsv",
		 cur_corpus);
	tsv = (char *)read_file(path, &tl);
	if (!tsv) {
		t_fail(__FILE__, __LINE__, "no %s", path);
		return;
	}
	tsv = realloc(tsv, tl + 1);
	tsv[tl] = 0;
	snprintf(path, sizeof(path), "%s/rfc4475-torture/dat", cur_corpus);
	n = list_dir(path, ".dat", &names);
	for (i = 0; i < n; i++) {
		enum c_result res;
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/rfc4475-torture/dat/%s",
			 cur_corpus, names[i]);
		buf = read_file(path, &len);
		if (!buf)
			continue;
		res = corpus_one(buf, len, SA_T_UDP, names[i], &st);
		free(buf);
		if (!tsv_field(tsv, names[i], 3, cls, sizeof(cls))) {
			t_fail(__FILE__, __LINE__, "%s not in manifest", names[i]);
			continue;
		}
		if (!strcmp(cls, "valid-syntax")) {
			valid++;
			if (res == C_REWRITTEN ||
			    (!strcmp(names[i], "dblreq.dat") && res == C_REFUSED &&
			     st.reasons[SA_R_BAD_CLEN]))
				valid_ok++;
			else
				t_fail(__FILE__, __LINE__,
				       "valid %s not rewritten (result %d)",
				       names[i], res);
		} else if (!strcmp(cls, "invalid-syntax")) {
			inval++;
			/*
			 * baddate.dat's defect is in Date, a header no ALG
			 * reads; RFC 4475 3.1.2.12 allows accepting it
			 */
			if (res == C_REFUSED || res == C_UNTOUCHED ||
			    (res == C_REWRITTEN && !strcmp(names[i], "baddate.dat")))
				inval_ok++;
			else
				t_fail(__FILE__, __LINE__,
				       "invalid %s was rewritten", names[i]);
		} else {
			other++;
		}
	}
	free_list(names, n);
	free(tsv);
	reasons_str(&st, why, sizeof(why));
	t_name("corpus rfc4475: %d messages, 0 crashes, %d/%d valid rewritten "
	       "with correct Content-Length (dblreq: trailing octets refused "
	       "by policy), %d/%d invalid refused (baddate: Date not read, "
	       "rewritten as RFC 4475 allows), %d others; %d rewritten in all, "
	       "refusals: %s", st.msgs, valid_ok, valid, inval_ok, inval,
	       other, st.rewritten, why);
	if (st.bad)
		t_fail(__FILE__, __LINE__, "%d outputs failed a check, first %s",
		       st.bad, st.first_bad);
	if (valid != 13 || inval != 19)
		t_fail(__FILE__, __LINE__, "manifest: %d valid, %d invalid",
		       valid, inval);
}

/*
 * RFC 5118: accept/reject as the manifest says. Three files carry a
 * Content-Length that does not match their body as transcribed (counted
 * without some CRs): refused by policy as they are (SA_R_BAD_CLEN), then
 * run again with the length recounted, so their IPv6 SDP is exercised.
 * port-ambiguous: [2001:db8::10:5070] is an address whose last group is
 * 5070, no port: checked as exactly that.
 */
static void corpus_rfc5118(void)
{
	char path[2048], exp[64], *tsv, **names;
	int n, i, acc = 0, acc_ok = 0, rej = 0, rej_ok = 0, recount = 0;
	struct cstats st;
	size_t tl;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "%s/rfc5118-ipv6-torture/manifest.tsv",
		 cur_corpus);
	tsv = (char *)read_file(path, &tl);
	if (!tsv) {
		t_fail(__FILE__, __LINE__, "no %s", path);
		return;
	}
	tsv = realloc(tsv, tl + 1);
	tsv[tl] = 0;
	snprintf(path, sizeof(path), "%s/rfc5118-ipv6-torture", cur_corpus);
	n = list_dir(path, "", &names);
	for (i = 0; i < n; i++) {
		enum c_result res;
		uint8_t *buf;
		size_t len;

		if (!tsv_field(tsv, names[i], 3, exp, sizeof(exp)))
			continue;
		snprintf(path, sizeof(path), "%s/rfc5118-ipv6-torture/%s",
			 cur_corpus, names[i]);
		buf = read_file(path, &len);
		if (!buf)
			continue;
		res = corpus_one(buf, len, SA_T_UDP, names[i], &st);
		if (res == C_REFUSED && !strncmp(exp, "accept", 6) &&
		    sa_parse(buf, len, SA_T_UDP, &cm) == SA_R_BAD_CLEN) {
			size_t l2;
			uint8_t *b2 = recount_clen(buf, len, &l2);

			if (b2) {
				recount++;
				st.msgs--;
				st.refused--;
				st.reasons[SA_R_BAD_CLEN]--;
				res = corpus_one(b2, l2, SA_T_UDP, names[i], &st);
				free(b2);
			}
		}
		if (!strcmp(names[i], "port-ambiguous")) {
			char a[64];

			sa_parse(buf, len, SA_T_UDP, &cm);
			sa_ip_str(&cm.ruri.ep.ip, a);
			if (cm.ruri.port.len || strcmp(a, "2001:db8::10:5070"))
				t_fail(__FILE__, __LINE__,
				       "port-ambiguous: R-URI read as %s port %u",
				       a, cm.ruri.ep.port);
			rej++;
			rej_ok++;
			free(buf);
			continue;
		}
		free(buf);
		if (!strncmp(exp, "accept", 6)) {
			acc++;
			if (res == C_REWRITTEN)
				acc_ok++;
			else
				t_fail(__FILE__, __LINE__,
				       "%s should be rewritten (result %d)",
				       names[i], res);
		} else {
			rej++;
			if (res == C_REFUSED || res == C_UNTOUCHED)
				rej_ok++;
			else
				t_fail(__FILE__, __LINE__,
				       "%s should be refused", names[i]);
		}
	}
	free_list(names, n);
	free(tsv);
	t_name("corpus rfc5118: %d messages, 0 crashes, %d/%d valid rewritten "
	       "with correct Content-Length (%d after recounting a "
	       "mis-transcribed Content-Length), %d/%d invalid refused or "
	       "read as the RFC says", st.msgs, acc_ok, acc, recount, rej_ok,
	       rej);
	if (st.bad)
		t_fail(__FILE__, __LINE__, "%d outputs failed a check, first %s",
		       st.bad, st.first_bad);
}

/* every SIP datagram of the Wireshark captures, one directory per capture */
static void corpus_wireshark(void)
{
	char path[1400], sub[2800], fp[4200], why[512], **caps, **files;
	int nc, nf, j, ncap = 0;
	struct cstats st;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path),
		 "%s/wireshark-samplecaptures-sip/udp-payloads", cur_corpus);
	nc = list_dir(path, "", &caps);	/* regular files only: none */
	if (nc > 0)
		free_list(caps, nc);
	{
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d) {
			t_fail(__FILE__, __LINE__, "no %s", path);
			return;
		}
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			nf = list_dir(sub, ".sip", &files);
			if (nf <= 0)
				continue;
			ncap++;
			for (j = 0; j < nf; j++) {
				uint8_t *buf;
				size_t len;

				snprintf(fp, sizeof(fp), "%s/%s", sub, files[j]);
				buf = read_file(fp, &len);
				if (!buf)
					continue;
				corpus_one(buf, len, SA_T_UDP, fp, &st);
				free(buf);
			}
			free_list(files, nf);
		}
		closedir(d);
	}
	reasons_str(&st, why, sizeof(why));
	t_name("corpus wireshark: %d datagrams from %d captures, 0 crashes, "
	       "%d rewritten and re-checked, %d needed no edit, %d refused (%s)",
	       st.msgs, ncap, st.rewritten, st.untouched, st.refused, why);
	if (st.bad)
		t_fail(__FILE__, __LINE__, "%d outputs failed a check, first %s",
		       st.bad, st.first_bad);
	if (st.rewritten < st.msgs / 2)
		t_fail(__FILE__, __LINE__, "only %d of %d rewritten",
		       st.rewritten, st.msgs);
}

static void corpus_jain(void)
{
	run_dir("jain-sip", "jain-sip-torture/messages", ".sip", SA_T_UDP, 1,
		true);
}

static void corpus_sofia(void)
{
	run_dir("sofia-sip", "sofia-sip-parser-tests/sip", ".txt", SA_T_UDP, 1,
		true);
}

static void corpus_pjsip(void)
{
	run_dir("pjsip msg_test", "pjsip-msg-tests/msg_test", ".sip", SA_T_UDP, 1,
		false);
}

static void corpus_pjsip_seeds(void)
{
	run_dir("pjsip fuzz seeds", "pjsip-msg-tests/fuzz-seeds/sip", "",
		SA_T_UDP, 1, false);
}

static void corpus_opensips(void)
{
	run_dir("opensips", "opensips-test-msgs/test", ".sip", SA_T_UDP, 1,
		true);
}

static void corpus_protos(void)
{
	run_dir("protos-c07", "protos-c07-sip-sample/payloads", ".sip",
		SA_T_UDP, 1, false);
}

void units_vyatta(const char *top);
void units_pcap(const char *top);

void units_corpus(void)
{
	const char *dir = corpora_dir();

	if (!dir) {
		static const char *const names[] = {
			"corpus rfc4475", "corpus rfc5118", "corpus wireshark",
			"corpus jain-sip", "corpus sofia-sip",
			"corpus pjsip msg_test", "corpus pjsip fuzz seeds",
			"corpus opensips", "corpus protos-c07", "corpus vyatta",
		};
		unsigned int i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			t_skip(names[i], "corpora not found at %s (set SIPALG_CORPORA)",
			       corpora);
		return;
	}
	snprintf(cur_corpus, sizeof(cur_corpus), "%s", dir);
	t_run("corpus rfc4475", corpus_rfc4475);
	t_run("corpus rfc5118", corpus_rfc5118);
	t_run("corpus wireshark", corpus_wireshark);
	t_run("corpus jain-sip", corpus_jain);
	t_run("corpus sofia-sip", corpus_sofia);
	t_run("corpus pjsip msg_test", corpus_pjsip);
	t_run("corpus pjsip fuzz seeds", corpus_pjsip_seeds);
	t_run("corpus opensips", corpus_opensips);
	t_run("corpus protos-c07", corpus_protos);
	units_vyatta(cur_corpus);
	units_pcap(cur_corpus);
}
