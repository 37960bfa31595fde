/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipcore: the SIP/SDP parser and NAT rewrite planner of sipalg.
 *
 * Pure C with no kernel dependencies: the same source is compiled into
 * sipalg.ko, into the userspace unit tests and fuzzers, and into sipalgctl.
 * Every read is bounded by the message length, nothing recurses, nothing
 * allocates, and the work is linear in the message size.
 *
 * Use:
 *   1. sa_frame()  - how many bytes make one message (TCP streams), or
 *                    that more bytes are needed, or that it is a keep-alive.
 *   2. sa_parse()  - parse one whole message into struct sa_msg (spans into
 *                    the caller's buffer, parsed addresses, SDP media list).
 *   3. the caller decides media ports (expectations) and fills the context.
 *   4. sa_plan()   - the list of edits that makes the message match the NAT
 *                    mapping, Content-Length included; or no edit and a reason.
 *   5. sa_apply()  - write the rewritten message into a new buffer (userspace,
 *                    and the kernel's TCP path); the kernel's UDP path applies
 *                    the same edits with its mangling helpers.
 *
 * A message that is malformed or ambiguous gets no edit at all: never a
 * partial rewrite.
 */
#ifndef SIPALG_SIPCORE_H
#define SIPALG_SIPCORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "sa_types.h"
#endif

#define SA_MAX_MSG		65535	/* largest message the core looks at */
#define SA_MAX_CONTACTS		16
#define SA_MAX_ROUTES		16	/* Record-Route / Route entries kept */
#define SA_MAX_MEDIA		32	/* m= lines */
#define SA_MAX_EDITS		128
#define SA_EDIT_TEXT		4096	/* bytes of replacement text per plan */
/* multipart levels looked into: the body's and two nested in it */
#define SA_MAX_MP_DEPTH		3
/* a multipart boundary is 1 to 70 characters (RFC 2046 section 5.1.1) */
#define SA_MP_BOUNDARY_MAX	70

enum sa_transport {
	SA_T_UDP = 0,
	SA_T_TCP = 1,
};

/* Why a message was left alone or refused: counted and logged. */
enum sa_reason {
	SA_R_OK = 0,		/* rewritten, or nothing to rewrite */
	SA_R_NOT_SIP,		/* start line is not SIP */
	SA_R_TRUNCATED,		/* no end of headers / body shorter than Content-Length */
	SA_R_BAD_START_LINE,
	SA_R_BAD_HEADER,	/* header line without ':' or with bad folding */
	SA_R_NO_CLEN,		/* TCP message without Content-Length */
	SA_R_BAD_CLEN,		/* unparsable, duplicate/conflicting, or not matching a UDP body */
	SA_R_BAD_VIA,
	SA_R_BAD_CONTACT,
	SA_R_BAD_URI,
	SA_R_BAD_SDP,
	SA_R_BAD_MULTIPART,
	SA_R_TOO_MANY,		/* more contacts/media/edits than the bounds above */
	SA_R_TOO_BIG,		/* message larger than SA_MAX_MSG, or rewrite would be */
	SA_R_CONFLICT,		/* two edits overlap (a planner bug: nothing written) */
	SA_R_MP_DEPTH,		/* multipart nested deeper than SA_MAX_MP_DEPTH */
	SA_R_MAX
};

const char *sa_reason_str(enum sa_reason r);

/*
 * A refusal that a "drop what the ALG refuses" policy (strict) drops: any
 * but SA_R_OK (nothing refused) and SA_R_NOT_SIP (not SIP at all: STUN and
 * other keep-alives share SIP ports). The module and sipalgctl rewrite
 * both decide with it.
 */
static inline bool sa_reason_drops(enum sa_reason r)
{
	return r != SA_R_OK && r != SA_R_NOT_SIP;
}

struct sa_ip {
	u8 family;		/* 4 or 6; 0 = not an IP literal */
	u8 addr[16];		/* IPv4 in addr[0..3], network order */
};

struct sa_ep {
	struct sa_ip ip;
	u16 port;		/* host order; 0 = not written */
};

struct sa_span {
	u32 off;
	u32 len;
};

/* the ports sip: and sips: URIs mean when they write none (RFC 3261 19.1.2) */
#define SA_PORT_SIP	5060
#define SA_PORT_SIPS	5061

/* host[:port] as written inside a URI, Via sent-by, or SDP line */
struct sa_hostport {
	/* IPv6 references include the brackets; len 0 if not sip:/sips: */
	struct sa_span host;
	struct sa_span port;	/* the digits; len 0 when no port written */
	struct sa_ep ep;	/* ep.ip.family 0 when host is a name */
	/* port meant when none is written: SA_PORT_SIP; sips:, Via TLS: SA_PORT_SIPS */
	u16 def_port;
};

/* parse an address: a.b.c.d, IPv6 text, or [IPv6]; false when invalid */
bool sa_ip_from_str(const char *s, size_t n, struct sa_ip *ip);
/* format ip (RFC 5952 for IPv6, no brackets) into buf (>= 40 bytes), NUL
 * terminated; returns the length (bytes after the NUL may be written too)
 */
size_t sa_ip_str(const struct sa_ip *ip, char *buf);

/* same family and address; false for two unset (family 0) ones */
static inline bool sa_ip_eq(const struct sa_ip *a, const struct sa_ip *b)
{
	u64 x[2], y[2];
	u32 u, v;

	if (a->family != b->family || !a->family)
		return false;
	if (a->family == 4) {
		memcpy(&u, a->addr, 4);
		memcpy(&v, b->addr, 4);
		return u == v;
	}
	memcpy(x, a->addr, 16);
	memcpy(y, b->addr, 16);
	return x[0] == y[0] && x[1] == y[1];
}

/* the port hp means: the one written, else its scheme's default */
static inline u16 sa_hp_port(const struct sa_hostport *hp)
{
	return hp->ep.port ? hp->ep.port : hp->def_port;
}

enum sa_match {
	SA_MATCH_NONE = 0,	/* other IP (or a name) */
	SA_MATCH_IP,		/* same IP, other port */
	SA_MATCH_FULL,		/* same IP and port (absent port = def_port) */
};

/* compare a parsed host[:port] with an endpoint */
enum sa_match sa_hp_match(const struct sa_hostport *hp, const struct sa_ep *ep);

/* ---------------------------------------------------------------- framing */

enum sa_frame_result {
	SA_FRAME_MSG,		/* *msg_len bytes at buf start are one message */
	SA_FRAME_NEED_MORE,	/* TCP: message incomplete, wait for more bytes */
	SA_FRAME_KEEPALIVE,	/* *msg_len bytes of CRLF keep-alive to pass */
	SA_FRAME_ERROR,		/* cannot frame: *why says why */
};

/*
 * UDP: the datagram is one message (*msg_len = len), or a keep-alive when
 * it is only CR/LF bytes; over SA_MAX_MSG is SA_R_TOO_BIG.
 * TCP: CR/LF bytes at buf start are a keep-alive (*msg_len of them: pass
 * them on and call again after them). Else the headers must end (blank
 * line, CRLF or bare LF) and carry exactly one Content-Length (long or
 * compact form, 1-10 digits): the message is headers + that many bytes;
 * NEED_MORE until all are there. Errors: the first line is complete and
 * not SIP (SA_R_NOT_SIP) or another SIP version (SA_R_BAD_START_LINE), a
 * header line without ':' (SA_R_BAD_HEADER), no Content-Length
 * (SA_R_NO_CLEN), a bad or second Content-Length (SA_R_BAD_CLEN), or a
 * message that would exceed SA_MAX_MSG (SA_R_TOO_BIG, also when 64 KiB
 * arrive without the end of the headers). After an error the stream
 * cannot be framed any more: pass the rest unparsed.
 */
enum sa_frame_result sa_frame(const u8 *buf, size_t len,
			      enum sa_transport t, size_t *msg_len,
			      enum sa_reason *why);

/* ---------------------------------------------------------------- parsing */

enum sa_method {
	SA_M_UNKNOWN = 0, SA_M_INVITE, SA_M_ACK, SA_M_BYE, SA_M_CANCEL,
	SA_M_REGISTER, SA_M_OPTIONS, SA_M_UPDATE, SA_M_PRACK, SA_M_INFO,
	SA_M_SUBSCRIBE, SA_M_NOTIFY, SA_M_REFER, SA_M_MESSAGE, SA_M_PUBLISH,
};

enum sa_media_type {
	SA_MT_OTHER = 0, SA_MT_AUDIO, SA_MT_VIDEO, SA_MT_IMAGE, SA_MT_TEXT,
	SA_MT_APPLICATION, SA_MT_MESSAGE,
};

enum sa_media_dir {
	SA_MD_SENDRECV = 0, SA_MD_SENDONLY, SA_MD_RECVONLY, SA_MD_INACTIVE,
};

/*
 * Addresses in SDP: family 0 unless "IN IP4 <dotted quad>" or "IN IP6
 * <IPv6 text>"; a c= address span stops before any "/ttl/n" suffix.
 */
struct sa_media {
	u8 type;			/* enum sa_media_type */
	u8 dir;				/* enum sa_media_dir (media, else session) */
	u8 rtcp_explicit;		/* a=rtcp: present */
	struct sa_span port;		/* m= port digits */
	u16 rtp_port;			/* 0 = disabled stream */
	u16 nports;			/* m=<port>/<n>, 1 when absent */
	struct sa_ip addr;		/* effective c= (media level, else session) */
	struct sa_span c_addr;		/* media-level c= address, len 0 when none */
	struct sa_ip c_ip;		/* media-level c= address parsed */
	struct sa_span c_atype;		/* media-level c= "IP4"/"IP6" token */
	/* a=rtcp: port, else rtp_port + 1 (0 for rtp_port 0 or 65535) */
	u16 rtcp_port;
	struct sa_span rtcp_port_span;	/* len 0 unless a=rtcp: */
	struct sa_ip rtcp_addr;		/* a=rtcp: address, else addr */
	struct sa_span rtcp_addr_span;	/* len 0 unless a=rtcp: has one */
	struct sa_span rtcp_atype;	/* a=rtcp: "IP4"/"IP6" token */
};

struct sa_sdp {
	u8 present;
	struct sa_span body;		/* the SDP part inside the message */
	struct sa_span o_addr;		/* o= unicast-address, len 0 when none */
	struct sa_ip o_ip;
	struct sa_span o_atype;		/* o= "IP4"/"IP6" token */
	struct sa_span c_addr;		/* session-level c= address */
	struct sa_ip c_ip;
	struct sa_span c_atype;		/* session-level c= "IP4"/"IP6" token */
	/* multipart: the SDP part's own Content-Length digits, if any */
	struct sa_span part_clen;
	u32 part_clen_val;
	/*
	 * Multipart levels the SDP part is in: 0 (the body is the SDP), 1
	 * (a part of the body), up to SA_MAX_MP_DEPTH (nested multiparts).
	 * The Content-Length digits of each multipart part that holds it,
	 * innermost first (mp_depth - 1 of them; len 0 when a part has none).
	 */
	u8 mp_depth;
	struct sa_span outer_clen[SA_MAX_MP_DEPTH - 1];
	u32 outer_clen_val[SA_MAX_MP_DEPTH - 1];
	u8 n_media;
	/* keep last: sa_parse() clears only what comes before it */
	struct sa_media media[SA_MAX_MEDIA];
};

struct sa_via {
	struct sa_span value;		/* whole via-parm */
	struct sa_span transport;	/* "UDP", "TCP", ... */
	struct sa_hostport sent_by;
	u8 has_rport;			/* ;rport present (with or without value) */
	struct sa_span rport;		/* value digits, len 0 for bare ;rport */
	struct sa_span received;	/* value, len 0 when absent */
	u32 params_end;			/* offset where a new ;param may be inserted */
	u16 rport_val;			/* rport value, 0 when bare or absent */
	/* received= parsed (family 0 if not an IP; [IPv6] accepted too) */
	struct sa_ip received_ip;
};

struct sa_contact {
	u8 star;			/* Contact: * */
	struct sa_hostport hp;		/* host part of the URI */
	s32 expires;			/* ;expires= value, -1 when absent */
};

/*
 * A parsed message. Spans are offsets into the caller's buffer. Fields are
 * zero unless the message has them; the arrays are valid up to their
 * counts only. Field order is not part of the API.
 */
struct sa_msg {
	u8 is_request;
	u8 method;			/* request method, or CSeq method in responses */
	u8 cseq_method;			/* CSeq method (requests and responses) */
	u16 status;			/* responses */
	struct sa_span start_line;	/* without the line end */
	struct sa_span method_span;
	struct sa_span ruri_span;	/* the whole Request-URI */
	struct sa_hostport ruri;	/* requests, when the URI is sip:/sips: */
	u32 cseq;
	struct sa_span call_id;

	u16 n_via;			/* Via values in the whole message */
	struct sa_via top_via;

	u8 n_contact;
	u8 n_rr, n_route;
	u8 has_from, has_to;
	struct sa_hostport from, to;	/* host part, IP literal or not */

	s32 expires;			/* Expires: header, -1 when absent */
	u8 has_clen;
	struct sa_span clen;		/* Content-Length value digits */
	u32 clen_val;
	struct sa_span ctype;		/* Content-Type value, len 0 when absent */
	/* Content-Encoding other than identity: the body is not parsed */
	u8 body_encoded;
	u32 hdr_len;			/* bytes up to and including the blank line */
	struct sa_span body;

	/* keep the arrays last: sa_parse() clears only what comes before */
	struct sa_contact contact[SA_MAX_CONTACTS];
	struct sa_hostport record_route[SA_MAX_ROUTES];
	struct sa_hostport route[SA_MAX_ROUTES];

	struct sa_sdp sdp;		/* the application/sdp body or part */
};

/*
 * Parse one whole message (as framed by sa_frame). Returns SA_R_OK or why
 * not; on anything but SA_R_OK, do not plan: pass the message unchanged.
 *
 * Refused (besides the obvious): a UDP message whose Content-Length is not
 * the datagram's body length (trailing octets included), any duplicate
 * Content-Length, one over SA_MAX_MSG (SA_R_TOO_BIG), a TCP message
 * without one or with bytes after its body; a CSeq method that is not the
 * request's; no Via; white space in the Request-URI, headers (?...) in a
 * SIP Request-URI, a URI with a bad scheme, white space or controls in
 * its userinfo or at its end; a From/To with two values; a sip:/sips: URI
 * with a malformed host (IPv4 out of range, bad IPv6 reference) or port
 * (0, over 65535) anywhere we look (Request-URI, Contact, From, To, Route,
 * Record-Route); a malformed top Via or a duplicate rport/received in it;
 * an empty list element; more than SA_MAX_CONTACTS contacts or
 * SA_MAX_ROUTES Route/Record-Route entries; an SDP body that does not
 * start with v=, has a malformed o=, c=, m= (port over 65535) or a=rtcp:
 * line, two o=, two c= at one level, two a=rtcp: in a media section, or
 * more than SA_MAX_MEDIA m= lines; a multipart body without its close
 * delimiter, with two SDP parts, or with a part whose own Content-Length
 * is wrong, at any level; multipart parts nested deeper than
 * SA_MAX_MP_DEPTH levels (SA_R_MP_DEPTH). A multipart part (mixed,
 * alternative, related, ...) is looked into like the body, its SDP part
 * found at any level.
 * Tolerated: leading CRLFs before the start line (RFC 3261 7.5), bare LF
 * line ends, folding anywhere in a header value, compact forms, an empty
 * user part ("sip:@host", sent by real devices), IPv6 received= with or
 * without brackets. Bodies with a Content-Encoding (other than identity)
 * are not parsed (their SDP, if any, is left alone).
 */
enum sa_reason sa_parse(const u8 *msg, size_t len, enum sa_transport t,
			struct sa_msg *m);

/* ---------------------------------------------------------------- planning */

#define SA_POL_FORCE_RPORT	0x1	/* add ;rport to the top Via of requests */

/*
 * The NAT mapping for the direction this message travels, from conntrack:
 * the sender wrote itself as src_from and the far side sees it as src_to;
 * the sender addressed the receiver as dst_from, which really is dst_to.
 * For a connection with tuples orig (A -> B) and reply (B' -> A'):
 *   original direction: src A -> A', dst B -> B'
 *   reply direction:    src B' -> B, dst A' -> A
 * Identity mappings (from == to) rewrite nothing.
 */
struct sa_ctx {
	u8 transport;			/* enum sa_transport */
	u32 policy;			/* SA_POL_* */
	struct sa_ep src_from, src_to;
	struct sa_ep dst_from, dst_to;
	/*
	 * reply direction: the Via port the client originally wrote, to put
	 * back into the top Via of responses (0 = none)
	 */
	u16 via_port_restore;
	/* new RTP port for sdp.media[i] as the NAT will translate it; 0 = keep */
	u16 media_port[SA_MAX_MEDIA];
	/*
	 * new a=rtcp: port for sdp.media[i] when its m= port changes; 0 = the
	 * default rule (new RTP port + old a=rtcp port - old RTP port)
	 */
	u16 rtcp_port[SA_MAX_MEDIA];
};

/* sa_plan.ip_only: fields whose IP matched a from-endpoint but not the port */
#define SA_IPONLY_RURI		0x01
#define SA_IPONLY_VIA		0x02
#define SA_IPONLY_CONTACT	0x04
#define SA_IPONLY_ROUTE		0x08
#define SA_IPONLY_FROM_TO	0x10

struct sa_edit {
	u32 off;			/* in the original message */
	u32 len;			/* bytes replaced (0 = insertion) */
	u16 text_off;			/* replacement in sa_plan.text */
	u16 text_len;
};

struct sa_plan {
	enum sa_reason reason;
	u16 n;				/* edits, sorted by off, not overlapping */
	u16 text_used;
	s32 delta;			/* new length - old length */
	u16 ip_only;			/* SA_IPONLY_*: left alone, IP-only match */
	struct sa_edit e[SA_MAX_EDITS];
	char text[SA_EDIT_TEXT];
};

/*
 * Plan the rewrite of a parsed message. On anything it cannot do whole it
 * returns a reason with plan->n == 0. Content-Length is in the plan when the
 * body changes size.
 *
 * "X matches E" below: X's IP equals E's IP and X's port (def_port when
 * none is written) equals E's port. A match rewrites X to the mapped
 * endpoint: the host when the IP differs (IPv6 in brackets), the port when
 * it differs (digits replaced, or ":port" inserted after the host when no
 * port was written; a port equal to def_port is not inserted); a "to" port
 * of 0 keeps the port. X with the same IP but another port is NOT
 * rewritten: the field's SA_IPONLY_* bit is set in plan->ip_only so the
 * caller can decide (e.g. fill via_port_restore and retry with the Via port
 * as src_from.port). A ctx "from" port of 0 matches no URI or Via (they
 * always have a port, written or default). Names are never rewritten.
 * Fields already showing the "to" side are left alone (no double NAT).
 * Per field:
 *
 *   Request-URI (requests): matches dst_from -> dst_to.
 *   Top Via sent-by, requests: matches src_from -> src_to.
 *   Top Via sent-by, responses: matches dst_from -> dst_to.ip with port
 *	via_port_restore when non-zero, else dst_to.port.
 *   Top Via received= (responses): received IP == dst_from.ip and (no
 *	rport value, or rport value == dst_from.port) -> dst_to.ip (written
 *	in brackets if it was).
 *   Top Via rport=N (responses): N == dst_from.port and the IP the server
 *	saw (received=, else the sent-by IP) == dst_from.ip -> dst_to.port.
 *   Top Via ;rport (requests, SA_POL_FORCE_RPORT): inserted at the end of
 *	the top via-parm when it has no rport parameter. The caller sets the
 *	policy only for requests the NATed sender sends (original direction).
 *   Other Vias: never.
 *   Contact (each, requests and responses; not "*"), Record-Route and Route
 *	(each entry), From, To: matches src_from -> src_to, else matches
 *	dst_from -> dst_to. The dst rule maps back what the sender echoes of
 *	the receiver: the bindings in a 200 to REGISTER, the Record-Route set
 *	echoed in responses (a proxy behind the NAT finds itself again), From
 *	and To of responses, Route entries naming the receiver. Only URIs with
 *	an IP-literal host can match.
 *   SDP o= address, session c=, media c=, a=rtcp: address: IP ==
 *	src_from.ip -> src_to.ip (IP only: SDP addresses carry no port); the
 *	addrtype token is rewritten too when the family changes.
 *   SDP m= port i: media_port[i] when non-zero, differing, and the stream is
 *	not disabled (port 0 is never touched), whatever its address: the
 *	caller decides which streams it translates.
 *   a=rtcp: port of media i, when its m= port is rewritten: rtcp_port[i]
 *	when non-zero, else new RTP + (old RTCP - old RTP), which keeps RFC
 *	3605's usual "RTP + 1" and any other offset; a result outside 1..65535
 *	refuses the message (SA_R_BAD_SDP). Unchanged when m= is unchanged.
 *   Content-Length: rewritten to the new body length when the body changes
 *	size (plain decimal, the spacing around it kept); an SDP part's own
 *	Content-Length too, and that of each multipart part that holds it
 *	(nested multipart), each by the change inside it. A UDP message
 *	without one gets none.
 *   Not rewritten: Call-ID, Via maddr=, URI parameters (maddr=...),
 *	P-Asserted-Identity and other headers, ICE a=candidate lines, SDP in
 *	an encoded body or part.
 * Refusals here: SA_R_BAD_SDP (a=rtcp out of range), SA_R_TOO_MANY (more
 * than SA_MAX_EDITS edits or SA_EDIT_TEXT bytes of text), SA_R_TOO_BIG
 * (the result would exceed SA_MAX_MSG), SA_R_CONFLICT (overlapping edits:
 * a bug, never seen in tests or fuzzing).
 */
enum sa_reason sa_plan(const u8 *msg, const struct sa_msg *m,
		       const struct sa_ctx *ctx, struct sa_plan *plan);

/*
 * Write msg with plan applied into out (cap bytes). Returns the new length,
 * or 0 if it does not fit.
 */
size_t sa_apply(const u8 *msg, size_t len, const struct sa_plan *plan,
		u8 *out, size_t cap);

/* ------------------------------------------------- edits, line by line */

/* a request method's name ("INVITE"), NULL for SA_M_UNKNOWN */
const char *sa_method_name(u8 method);

enum sa_where {
	SA_WHERE_START = 0,	/* the start line (Request-URI, status) */
	SA_WHERE_HEADER,	/* a header line: name is the header's name */
	SA_WHERE_BODY,		/* a body line: name is "c=", "m=", ... */
};

/*
 * One line of a message that a plan changes: msg[off..off+len), without
 * its line end (a line an edit runs past widens to the next line end),
 * and the edits plan->e[first..first+n) that fall in it.
 */
struct sa_line_edit {
	u32 off, len;
	u32 new_len;		/* the line's length after its edits */
	u16 first, n;
	u8 where;		/* enum sa_where */
	struct sa_span name;	/* header name or "x=" of an SDP line */
};

/*
 * The line of edit i and the edits in it: returns the index of the first
 * edit of the next line (plan->n after the last): walk a plan with
 * i = 0; while (i < plan->n) { i = sa_line_next(..., i, &le); ... }.
 * Bounded by the line's length; edits are sorted, so each line is
 * visited once.
 */
u16 sa_line_next(const u8 *msg, size_t len, const struct sa_msg *m,
		 const struct sa_plan *plan, u16 i,
		 struct sa_line_edit *le);

/*
 * Write the line le with its edits applied into out, at most cap bytes
 * (the rest is cut); returns the bytes written.
 */
size_t sa_line_apply(const u8 *msg, const struct sa_plan *plan,
		     const struct sa_line_edit *le, u8 *out, size_t cap);

/* SIP status codes the state code acts on (RFC 3261 21.4) */
#define SA_ST_UNAUTHORIZED	401
#define SA_ST_PROXY_AUTH	407
#define SA_ST_REQUEST_PENDING	491

/* an authentication challenge: the request is sent again, authenticated */
static inline bool sa_status_challenge(u16 status)
{
	return status == SA_ST_UNAUTHORIZED || status == SA_ST_PROXY_AUTH;
}

/* a failure after which the dialog retries the INVITE (challenge or 491) */
static inline bool sa_status_retried(u16 status)
{
	return sa_status_challenge(status) || status == SA_ST_REQUEST_PENDING;
}

#endif /* SIPALG_SIPCORE_H */
