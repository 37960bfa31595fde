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
 *   5. sa_apply()  - write the rewritten message (userspace); the kernel
 *                    applies the same edits with its mangling helpers.
 *
 * A message that is malformed or ambiguous gets no edit at all: never a
 * partial rewrite.
 */
#ifndef SIPALG_SIPCORE_H
#define SIPALG_SIPCORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#endif

#define SA_MAX_MSG		65535	/* largest message the core looks at */
#define SA_MAX_CONTACTS		16
#define SA_MAX_ROUTES		16	/* Record-Route / Route entries kept */
#define SA_MAX_MEDIA		32	/* m= lines */
#define SA_MAX_EDITS		128
#define SA_EDIT_TEXT		4096	/* bytes of replacement text per plan */

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
	SA_R_MAX
};

const char *sa_reason_str(enum sa_reason r);

struct sa_ip {
	uint8_t family;		/* 4 or 6; 0 = not an IP literal */
	uint8_t addr[16];	/* IPv4 in addr[0..3], network order */
};

struct sa_ep {
	struct sa_ip ip;
	uint16_t port;		/* host order; 0 = not written */
};

struct sa_span {
	uint32_t off;
	uint32_t len;
};

/* host[:port] as written inside a URI, Via sent-by, or SDP line */
struct sa_hostport {
	struct sa_span host;	/* IPv6 references include the brackets */
	struct sa_span port;	/* the digits; len 0 when no port written */
	struct sa_ep ep;	/* ep.ip.family 0 when host is a name */
};

/* ---------------------------------------------------------------- framing */

enum sa_frame_result {
	SA_FRAME_MSG,		/* *msg_len bytes at buf start are one message */
	SA_FRAME_NEED_MORE,	/* TCP: message incomplete, wait for more bytes */
	SA_FRAME_KEEPALIVE,	/* *msg_len bytes of CRLF keep-alive to pass */
	SA_FRAME_ERROR,		/* cannot frame: *why says why */
};

enum sa_frame_result sa_frame(const uint8_t *buf, size_t len,
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

struct sa_media {
	uint8_t type;			/* enum sa_media_type */
	uint8_t dir;			/* enum sa_media_dir (media, else session) */
	uint8_t rtcp_explicit;		/* a=rtcp: present */
	struct sa_span port;		/* m= port digits */
	uint16_t rtp_port;		/* 0 = disabled stream */
	uint16_t nports;		/* m=<port>/<n>, 1 when absent */
	struct sa_ip addr;		/* effective c= (media level, else session) */
	struct sa_span c_addr;		/* media-level c= address, len 0 when none */
	uint16_t rtcp_port;		/* a=rtcp: port, else rtp_port + 1 */
	struct sa_span rtcp_port_span;	/* len 0 unless a=rtcp: */
	struct sa_ip rtcp_addr;		/* a=rtcp: address, else addr */
	struct sa_span rtcp_addr_span;	/* len 0 unless a=rtcp: has one */
};

struct sa_sdp {
	uint8_t present;
	struct sa_span body;		/* the SDP part inside the message */
	struct sa_span o_addr;		/* o= unicast-address, len 0 when none */
	struct sa_ip o_ip;
	struct sa_span c_addr;		/* session-level c= address */
	struct sa_ip c_ip;
	uint8_t n_media;
	struct sa_media media[SA_MAX_MEDIA];
};

struct sa_via {
	struct sa_span value;		/* whole via-parm */
	struct sa_span transport;	/* "UDP", "TCP", ... */
	struct sa_hostport sent_by;
	uint8_t has_rport;		/* ;rport present (with or without value) */
	struct sa_span rport;		/* value digits, len 0 for bare ;rport */
	struct sa_span received;	/* value, len 0 when absent */
	uint32_t params_end;		/* offset where a new ;param may be inserted */
};

struct sa_contact {
	uint8_t star;			/* Contact: * */
	struct sa_hostport hp;		/* host part of the URI */
	int32_t expires;		/* ;expires= value, -1 when absent */
};

struct sa_msg {
	uint8_t is_request;
	uint8_t method;			/* request method, or CSeq method in responses */
	uint16_t status;		/* responses */
	struct sa_span method_span;
	struct sa_hostport ruri;	/* requests, when the URI is sip:/sips: */
	uint32_t cseq;
	struct sa_span call_id;

	uint16_t n_via;			/* Via values in the whole message */
	struct sa_via top_via;

	uint8_t n_contact;
	struct sa_contact contact[SA_MAX_CONTACTS];
	uint8_t n_rr, n_route;
	struct sa_hostport record_route[SA_MAX_ROUTES];
	struct sa_hostport route[SA_MAX_ROUTES];
	struct sa_hostport from, to;	/* host part, IP literal or not */

	int32_t expires;		/* Expires: header, -1 when absent */
	uint8_t has_clen;
	struct sa_span clen;		/* Content-Length value digits */
	uint32_t clen_val;
	uint32_t hdr_len;		/* bytes up to and including the blank line */
	struct sa_span body;

	struct sa_sdp sdp;		/* first application/sdp part */
};

/* Parse one whole message (as framed by sa_frame). Returns SA_R_OK or why not. */
enum sa_reason sa_parse(const uint8_t *msg, size_t len, enum sa_transport t,
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
	uint8_t transport;		/* enum sa_transport */
	uint32_t policy;		/* SA_POL_* */
	struct sa_ep src_from, src_to;
	struct sa_ep dst_from, dst_to;
	/*
	 * reply direction: the Via port the client originally wrote, to put
	 * back into the top Via of responses (0 = none)
	 */
	uint16_t via_port_restore;
	/* new RTP port for sdp.media[i] as the NAT will translate it; 0 = keep */
	uint16_t media_port[SA_MAX_MEDIA];
};

struct sa_edit {
	uint32_t off;			/* in the original message */
	uint32_t len;			/* bytes replaced (0 = insertion) */
	uint16_t text_off;		/* replacement in sa_plan.text */
	uint16_t text_len;
};

struct sa_plan {
	enum sa_reason reason;
	uint16_t n;			/* edits, sorted by off, not overlapping */
	uint16_t text_used;
	int32_t delta;			/* new length - old length */
	struct sa_edit e[SA_MAX_EDITS];
	char text[SA_EDIT_TEXT];
};

/*
 * Plan the rewrite of a parsed message. On anything it cannot do whole it
 * returns a reason with plan->n == 0. Content-Length is in the plan when the
 * body changes size.
 */
enum sa_reason sa_plan(const uint8_t *msg, const struct sa_msg *m,
		       const struct sa_ctx *ctx, struct sa_plan *plan);

/*
 * Write msg with plan applied into out (cap bytes). Returns the new length,
 * or 0 if it does not fit.
 */
size_t sa_apply(const uint8_t *msg, size_t len, const struct sa_plan *plan,
		uint8_t *out, size_t cap);

#endif /* SIPALG_SIPCORE_H */
