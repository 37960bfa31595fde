// SPDX-License-Identifier: GPL-2.0
/*
 * Header names and methods: every header name the core knows, in its long
 * and compact form (RFC 3261 section 7.3.3 and the compact forms listed in
 * section 20), in mixed case, next to near-misses that must stay unknown;
 * and every method, which is case-sensitive (RFC 3261 section 7.1).
 * The expectations are written from the RFC, not taken from the code.
 */
#include <stdio.h>

#include "tutil.h"
#include "units.h"

static struct sa_msg m;

/* what a header line was taken for: which field of sa_msg it filled */
enum seen {
	S_NONE, S_VIA, S_CONTACT, S_FROM, S_TO, S_CALLID, S_CSEQ, S_CLEN,
	S_CTYPE, S_RR, S_ROUTE, S_EXPIRES, S_CENC, S_MANY, S_ERROR,
};

static const char * const seen_names[] = {
	"none", "Via", "Contact", "From", "To", "Call-ID", "CSeq",
	"Content-Length", "Content-Type", "Record-Route", "Route", "Expires",
	"Content-Encoding", "several", "parse error",
};

/* a value that is valid for the header kind the line is meant to be */
static const char *value_for(enum seen k)
{
	switch (k) {
	case S_VIA: return "SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK2";
	case S_CONTACT: return "<sip:a@10.0.0.2:5060>";
	case S_FROM: return "<sip:a@example.com>;tag=1";
	case S_TO: return "<sip:b@example.com>";
	case S_CALLID: return "abc@10.0.0.2";
	case S_CSEQ: return "7 OPTIONS";
	case S_CLEN: return "0";
	case S_CTYPE: return "text/plain";
	case S_RR: return "<sip:10.0.0.9;lr>";
	case S_ROUTE: return "<sip:10.0.0.8;lr>";
	case S_EXPIRES: return "60";
	case S_CENC: return "gzip";
	default: return "x";
	}
}

/*
 * Parse an OPTIONS request with one Via and the line "name: value", and
 * tell which field the line filled. The base message fills none of them
 * but the one Via.
 */
static enum seen classify(const char *name, enum seen meant)
{
	static char buf[512];
	enum seen got = S_NONE;
	int n, hits = 0;

	n = snprintf(buf, sizeof(buf),
		     L("OPTIONS sip:b@example.com SIP/2.0")
		     L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
		     L("%s: %s")
		     L(""), name, value_for(meant));
	if (sa_parse((const uint8_t *)buf, n, SA_T_UDP, &m))
		return S_ERROR;
#define HIT(cond, s) do { if (cond) { got = s; hits++; } } while (0)
	HIT(m.n_via == 2, S_VIA);
	HIT(m.n_contact, S_CONTACT);
	HIT(m.has_from, S_FROM);
	HIT(m.has_to, S_TO);
	HIT(m.call_id.len, S_CALLID);
	HIT(m.cseq == 7, S_CSEQ);
	HIT(m.has_clen, S_CLEN);
	HIT(m.ctype.len, S_CTYPE);
	HIT(m.n_rr, S_RR);
	HIT(m.n_route, S_ROUTE);
	HIT(m.expires == 60, S_EXPIRES);
	HIT(m.body_encoded, S_CENC);
#undef HIT
	return hits > 1 ? S_MANY : got;
}

struct name_case {
	const char *name;	/* as written in the message */
	enum seen meant;	/* the value written is valid for this kind */
	enum seen exp;		/* what the core must take it for */
};

static const struct name_case names[] = {
	/* long forms (RFC 3261 section 20), as written there */
	{ "Via", S_VIA, S_VIA },
	{ "Contact", S_CONTACT, S_CONTACT },
	{ "From", S_FROM, S_FROM },
	{ "To", S_TO, S_TO },
	{ "Call-ID", S_CALLID, S_CALLID },
	{ "CSeq", S_CSEQ, S_CSEQ },
	{ "Content-Length", S_CLEN, S_CLEN },
	{ "Content-Type", S_CTYPE, S_CTYPE },
	{ "Record-Route", S_RR, S_RR },
	{ "Route", S_ROUTE, S_ROUTE },
	{ "Expires", S_EXPIRES, S_EXPIRES },
	{ "Content-Encoding", S_CENC, S_CENC },
	/* names are case-insensitive (section 7.3.1) */
	{ "VIA", S_VIA, S_VIA },
	{ "vIa", S_VIA, S_VIA },
	{ "CONTACT", S_CONTACT, S_CONTACT },
	{ "cOnTaCt", S_CONTACT, S_CONTACT },
	{ "FROM", S_FROM, S_FROM },
	{ "fRoM", S_FROM, S_FROM },
	{ "TO", S_TO, S_TO },
	{ "tO", S_TO, S_TO },
	{ "CALL-ID", S_CALLID, S_CALLID },
	{ "call-id", S_CALLID, S_CALLID },
	{ "cAlL-Id", S_CALLID, S_CALLID },
	{ "CSEQ", S_CSEQ, S_CSEQ },
	{ "cseq", S_CSEQ, S_CSEQ },
	{ "CONTENT-LENGTH", S_CLEN, S_CLEN },
	{ "cOnTeNt-LeNgTh", S_CLEN, S_CLEN },
	{ "CONTENT-TYPE", S_CTYPE, S_CTYPE },
	{ "content-tYPE", S_CTYPE, S_CTYPE },
	{ "RECORD-ROUTE", S_RR, S_RR },
	{ "rEcOrD-rOuTe", S_RR, S_RR },
	{ "ROUTE", S_ROUTE, S_ROUTE },
	{ "rOUTE", S_ROUTE, S_ROUTE },
	{ "EXPIRES", S_EXPIRES, S_EXPIRES },
	{ "eXpIrEs", S_EXPIRES, S_EXPIRES },
	{ "CONTENT-ENCODING", S_CENC, S_CENC },
	{ "Content-encoding", S_CENC, S_CENC },
	/* compact forms of the headers above (section 7.3.3), both cases */
	{ "v", S_VIA, S_VIA },
	{ "V", S_VIA, S_VIA },
	{ "m", S_CONTACT, S_CONTACT },
	{ "M", S_CONTACT, S_CONTACT },
	{ "f", S_FROM, S_FROM },
	{ "F", S_FROM, S_FROM },
	{ "t", S_TO, S_TO },
	{ "T", S_TO, S_TO },
	{ "i", S_CALLID, S_CALLID },
	{ "I", S_CALLID, S_CALLID },
	{ "l", S_CLEN, S_CLEN },
	{ "L", S_CLEN, S_CLEN },
	{ "c", S_CTYPE, S_CTYPE },
	{ "C", S_CTYPE, S_CTYPE },
	{ "e", S_CENC, S_CENC },
	{ "E", S_CENC, S_CENC },
	/*
	 * Compact forms of headers the core does not read: k (Supported),
	 * s (Subject), o (Event, RFC 6665), r (Refer-To, RFC 3515),
	 * u (Allow-Events), b (Referred-By), x (Session-Expires), a
	 * (Accept-Contact), j (Reject-Contact), d (Request-Disposition),
	 * y (Identity). Given the value of a header the core does read, they
	 * still fill nothing.
	 */
	{ "k", S_VIA, S_NONE },
	{ "K", S_CONTACT, S_NONE },
	{ "s", S_CTYPE, S_NONE },
	{ "o", S_FROM, S_NONE },
	{ "r", S_RR, S_NONE },
	{ "u", S_CLEN, S_NONE },
	{ "b", S_TO, S_NONE },
	{ "x", S_EXPIRES, S_NONE },
	{ "a", S_CALLID, S_NONE },
	{ "j", S_CENC, S_NONE },
	{ "d", S_ROUTE, S_NONE },
	{ "y", S_CSEQ, S_NONE },
	/* near-misses: a prefix, one letter more or less, one changed */
	{ "Vi", S_VIA, S_NONE },
	{ "Vias", S_VIA, S_NONE },
	{ "Via-", S_VIA, S_NONE },
	{ "Vix", S_VIA, S_NONE },
	{ "Contac", S_CONTACT, S_NONE },
	{ "Contacts", S_CONTACT, S_NONE },
	{ "Kontact", S_CONTACT, S_NONE },
	{ "Fro", S_FROM, S_NONE },
	{ "Fromm", S_FROM, S_NONE },
	{ "Form", S_FROM, S_NONE },
	{ "Tox", S_TO, S_NONE },
	{ "Ta", S_TO, S_NONE },
	{ "Call-I", S_CALLID, S_NONE },
	{ "Call-IDs", S_CALLID, S_NONE },
	{ "Call_ID", S_CALLID, S_NONE },
	{ "CallID", S_CALLID, S_NONE },
	{ "CSe", S_CSEQ, S_NONE },
	{ "CSeqs", S_CSEQ, S_NONE },
	{ "DSeq", S_CSEQ, S_NONE },
	{ "RSeq", S_CSEQ, S_NONE },
	{ "Content-Lengt", S_CLEN, S_NONE },
	{ "Content-Lengths", S_CLEN, S_NONE },
	{ "Content-Lenght", S_CLEN, S_NONE },
	{ "Content-Type-", S_CTYPE, S_NONE },
	{ "Content-Typ", S_CTYPE, S_NONE },
	{ "Content-Tipe", S_CTYPE, S_NONE },
	{ "Record-Rout", S_RR, S_NONE },
	{ "Record-Routes", S_RR, S_NONE },
	{ "Record-Route-", S_RR, S_NONE },
	{ "Recard-Route", S_RR, S_NONE },
	{ "Rout", S_ROUTE, S_NONE },
	{ "Routes", S_ROUTE, S_NONE },
	{ "Roude", S_ROUTE, S_NONE },
	{ "Expire", S_EXPIRES, S_NONE },
	{ "Expiress", S_EXPIRES, S_NONE },
	{ "Session-Expires", S_EXPIRES, S_NONE },
	{ "Min-Expires", S_EXPIRES, S_NONE },
	{ "Expirez", S_EXPIRES, S_NONE },
	{ "Content-Encodin", S_CENC, S_NONE },
	{ "Content-Encodings", S_CENC, S_NONE },
	{ "Content-Encodinh", S_CENC, S_NONE },
	{ "Accept-Encoding", S_CENC, S_NONE },
	{ "Content", S_CTYPE, S_NONE },
	{ "Content-", S_CTYPE, S_NONE },
	{ "Record", S_RR, S_NONE },
	{ "Call", S_CALLID, S_NONE },
	/* same length as a known name, other letters */
	{ "Max-Forwards", S_RR, S_NONE },
	{ "Organization", S_CTYPE, S_NONE },
	{ "Allow", S_ROUTE, S_NONE },
	{ "Subject", S_CONTACT, S_NONE },
	{ "Accept-Language", S_CLEN, S_NONE },
	{ "Content-Language", S_CENC, S_NONE },
	{ "Content-Disposition", S_CTYPE, S_NONE },
	/* a CR is no token character: the line is refused, not misread */
	{ "Content\x0dLength", S_CLEN, S_ERROR },
	{ "v~", S_VIA, S_NONE },
	{ "~", S_VIA, S_NONE },
	{ "vv", S_VIA, S_NONE },
	{ "ll", S_CLEN, S_NONE },
};

static void names_table(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum seen got = classify(names[i].name, names[i].meant);

		if (got != names[i].exp) {
			t_fail(__FILE__, __LINE__, "\"%s\" taken for %s, expected %s",
			       names[i].name, seen_names[got],
			       seen_names[names[i].exp]);
			bad++;
		}
	}
	t_name("names: %u header names (long, compact, mixed case, near-misses) read as RFC 3261 says",
	       i);
	T_EQ(bad, 0);
}

/* sa_frame on TCP: only Content-Length ("l") frames the message */
static void names_frame(void)
{
	static const struct {
		const char *name;
		int framed;
	} cases[] = {
		{ "Content-Length", 1 }, { "CONTENT-LENGTH", 1 },
		{ "content-length", 1 }, { "cOnTeNt-lEnGtH", 1 },
		{ "l", 1 }, { "L", 1 },
		{ "Content-Lengt", 0 }, { "Content-Lengths", 0 },
		{ "Content-Lenght", 0 }, { "Content-Type", 0 }, { "c", 0 },
		{ "k", 0 }, { "ll", 0 }, { "Kontent-Length", 0 },
	};
	char buf[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sa_frame_result fr;
		enum sa_reason why;
		size_t got = 0;
		int n;

		/* 4 body bytes, then the start of the next message */
		n = snprintf(buf, sizeof(buf),
			     L("OPTIONS sip:b@example.com SIP/2.0")
			     L("Via: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bK1")
			     L("%s: 4")
			     L("")
			     "abcdOPTIONS", cases[i].name);
		fr = sa_frame((const uint8_t *)buf, n, SA_T_TCP, &got, &why);
		if (cases[i].framed) {
			if (fr != SA_FRAME_MSG ||
			    got != (size_t)(strstr(buf, "abcd") - buf + 4))
				t_fail(__FILE__, __LINE__,
				       "\"%s\": not framed (%d, %zu)",
				       cases[i].name, fr, got);
		} else if (fr != SA_FRAME_ERROR || why != SA_R_NO_CLEN) {
			t_fail(__FILE__, __LINE__,
			       "\"%s\": framed (%d, %zu), expected no-content-length",
			       cases[i].name, fr, got);
		}
	}
}

struct method_case {
	const char *name;
	uint8_t exp;
};

/* RFC 3261 section 7.1: the method is case-sensitive */
static const struct method_case methods[] = {
	{ "INVITE", SA_M_INVITE }, { "ACK", SA_M_ACK }, { "BYE", SA_M_BYE },
	{ "CANCEL", SA_M_CANCEL }, { "REGISTER", SA_M_REGISTER },
	{ "OPTIONS", SA_M_OPTIONS }, { "UPDATE", SA_M_UPDATE },
	{ "PRACK", SA_M_PRACK }, { "INFO", SA_M_INFO },
	{ "SUBSCRIBE", SA_M_SUBSCRIBE }, { "NOTIFY", SA_M_NOTIFY },
	{ "REFER", SA_M_REFER }, { "MESSAGE", SA_M_MESSAGE },
	{ "PUBLISH", SA_M_PUBLISH },
	/* other case: another (unknown) method */
	{ "invite", SA_M_UNKNOWN }, { "Invite", SA_M_UNKNOWN },
	{ "INVITe", SA_M_UNKNOWN }, { "ack", SA_M_UNKNOWN },
	{ "Bye", SA_M_UNKNOWN }, { "register", SA_M_UNKNOWN },
	{ "SUBSCRIBe", SA_M_UNKNOWN }, { "info", SA_M_UNKNOWN },
	/* near-misses */
	{ "INVIT", SA_M_UNKNOWN }, { "INVITES", SA_M_UNKNOWN },
	{ "INVITA", SA_M_UNKNOWN }, { "AC", SA_M_UNKNOWN },
	{ "ACKS", SA_M_UNKNOWN }, { "BYTE", SA_M_UNKNOWN },
	{ "CANCELL", SA_M_UNKNOWN }, { "REGISTE", SA_M_UNKNOWN },
	{ "REGISTERS", SA_M_UNKNOWN }, { "OPTION", SA_M_UNKNOWN },
	{ "UPDATED", SA_M_UNKNOWN }, { "PRAC", SA_M_UNKNOWN },
	{ "INF", SA_M_UNKNOWN }, { "INFOS", SA_M_UNKNOWN },
	{ "SUBSCRIB", SA_M_UNKNOWN }, { "SUBSCRIBES", SA_M_UNKNOWN },
	{ "NOTIF", SA_M_UNKNOWN }, { "REFERS", SA_M_UNKNOWN },
	{ "MESSAGES", SA_M_UNKNOWN }, { "PUBLIS", SA_M_UNKNOWN },
	{ "BYF", SA_M_UNKNOWN }, { "NOTIFZ", SA_M_UNKNOWN },
	{ "A", SA_M_UNKNOWN }, { "X", SA_M_UNKNOWN },
	{ "SUBSCRIBEX", SA_M_UNKNOWN }, { "UNSUBSCRIBE", SA_M_UNKNOWN },
};

static void methods_table(void)
{
	char buf[256];
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		const struct method_case *c = &methods[i];
		int n;

		/* in a request's start line (and its CSeq, which must match) */
		n = snprintf(buf, sizeof(buf),
			     L("%s sip:b@example.com SIP/2.0")
			     L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
			     L("CSeq: 3 %s")
			     L(""), c->name, c->name);
		if (sa_parse((const uint8_t *)buf, n, SA_T_UDP, &m) ||
		    m.method != c->exp || m.cseq_method != c->exp) {
			t_fail(__FILE__, __LINE__,
			       "request \"%s\": method %u, expected %u",
			       c->name, m.method, c->exp);
			bad++;
		}
		/* in a response, the CSeq names the method */
		n = snprintf(buf, sizeof(buf),
			     L("SIP/2.0 200 OK")
			     L("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1")
			     L("CSeq: 3 %s")
			     L(""), c->name);
		if (sa_parse((const uint8_t *)buf, n, SA_T_UDP, &m) ||
		    m.method != c->exp) {
			t_fail(__FILE__, __LINE__,
			       "response to \"%s\": method %u, expected %u",
			       c->name, m.method, c->exp);
			bad++;
		}
		/* and the name of a known method is the one written */
		if (c->exp != SA_M_UNKNOWN &&
		    strcmp(sa_method_name(c->exp), c->name)) {
			t_fail(__FILE__, __LINE__, "sa_method_name(%u) is %s",
			       c->exp, sa_method_name(c->exp));
			bad++;
		}
	}
	T_OK(sa_method_name(SA_M_UNKNOWN) == NULL);
	T_OK(sa_method_name(SA_M_PUBLISH + 1) == NULL);
	t_name("names: %u methods, case-sensitive, near-misses unknown", i);
	T_EQ(bad, 0);
}

void units_names(void)
{
	t_run("names: header names", names_table);
	t_run("names: only Content-Length and l frame a TCP message",
	      names_frame);
	t_run("names: methods", methods_table);
}
