/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * sipalg generic netlink interface: per-port policy and counters.
 *
 * Family name "sipalg", version SIPALG_GENL_VERSION (the family's version
 * in the controller's CTRL_ATTR_VERSION). Versions only add: a request
 * valid for version N means the same in every later version.
 *   1  the commands below, policies FORCE_RPORT, STATIC_PORT, DISABLE
 *   2  policy STRICT
 *   3  policy MEDIA_ANY, counters STAT_PINHOLE_ANY_SOURCE and
 *	STAT_MEDIA_PORT_FALLBACK
 *   4  counters STAT_PINHOLE_REFUSED (with its reasons), the "monitor"
 *	multicast group (SIPALG_CMD_EVENT messages), counter
 *	STAT_MONITOR_LOST, commands CALL_GET and REG_GET
 * A tool that needs a later version than the loaded module's says so
 * instead of sending what the module would refuse. All state is per
 * network namespace: a request acts on the namespace of the socket that
 * sends it. Every command, reads included (as ctnetlink's), needs
 * CAP_NET_ADMIN in the user namespace that owns that network namespace:
 * EPERM otherwise.
 *
 * Attributes are validated strictly: unknown attributes, wrong lengths and
 * out-of-range values are refused with an extended ACK message that names
 * the attribute. Integers are in host byte order.
 *
 * Commands
 *
 *   SIPALG_CMD_POLICY_SET (do, admin)
 *	Create or replace the policy of one port.
 *	Needs:    L4PROTO, PORT, POLICY
 *	Optional: FAMILY (default SIPALG_FAMILY_ANY)
 *	Errors:   ENOSPC when the table holds SIPALG_MAX_POLICIES policies,
 *		  EINVAL for contradicting flags (disable with anything else),
 *		  and for STRICT on a TCP port.
 *
 *   SIPALG_CMD_POLICY_GET (do, dump, admin)
 *	do: the policy of one key (L4PROTO, PORT, optional FAMILY);
 *	    ENOENT when that key has none.
 *	dump: every policy of the namespace, one message each.
 *	Replies carry FAMILY, L4PROTO, PORT, POLICY.
 *
 *   SIPALG_CMD_POLICY_DEL (do, admin)
 *	Remove the policy of one key (L4PROTO, PORT, optional FAMILY): the
 *	port goes back to the default behaviour. ENOENT when there is none.
 *
 *   SIPALG_CMD_POLICY_FLUSH (do, admin)
 *	Remove every policy of the namespace.
 *
 *   SIPALG_CMD_STATS_GET (do, dump, admin)
 *	do without a key: the namespace totals (STATS, no PORT).
 *	do with L4PROTO and PORT: the counters of that port; ENOENT when
 *	nothing was counted for it.
 *	dump: one message per port that has counters (L4PROTO, PORT, STATS).
 *
 *   SIPALG_CMD_STATS_RESET (do, admin)
 *	Zero the namespace totals and every per-port counter.
 *
 *   SIPALG_CMD_EVENT (version 4; multicast only, never a request)
 *	One message the helper handled, sent to the multicast group
 *	SIPALG_MCGRP_MONITOR ("monitor") of the message's network
 *	namespace when the message is committed (forwarded, rewritten or
 *	not) or dropped: one event per message, also for a TCP message
 *	held over several segments; none for a retransmission the router
 *	produces again. Subscribing needs CAP_NET_ADMIN in the user
 *	namespace owning the network namespace (EPERM otherwise).
 *	Carries SIPALG_A_EVENT, a nest of SIPALG_EV_*. Events the module
 *	could not send (no memory, a subscriber's full socket, more than
 *	the monitor_rate module parameter per second) are counted in
 *	STAT_MONITOR_LOST.
 *
 *   SIPALG_CMD_CALL_GET (dump, version 4)
 *	The calls the module tracks in the namespace, one message each:
 *	SIPALG_A_CALL, a nest of SIPALG_CL_*. A dump that takes several
 *	reads resumes after the last call it gave: a call made meanwhile
 *	may be missing, none is given twice.
 *
 *   SIPALG_CMD_REG_GET (dump, version 4)
 *	The registrations the module tracks (a REGISTER answered with a
 *	2xx whose lifetime has not run out), one message each:
 *	SIPALG_A_REG, a nest of SIPALG_RG_*.
 *
 * Policy semantics (SIPALG_A_POLICY, a set of SIPALG_POLICY_* flags):
 *   0 (default)   rewrite as the helper does without a policy.
 *   FORCE_RPORT   add ;rport to the top Via of requests that lack it, and
 *		   send UDP responses back to the port the request came from.
 *   STATIC_PORT   new flows to or from this port that the router
 *		   source-NATs keep the client's source port when that mapping
 *		   is free (counted as STATIC_KEPT, else STATIC_FALLBACK).
 *   DISABLE	   the ALG leaves the port alone: no rewrite, no pinholes.
 *		   Cannot be combined with another flag.
 *   STRICT	   (version 2) drop what the ALG refuses: a UDP SIP message
 *		   the core cannot parse or rewrite safely (any reason but
 *		   "not-sip") is dropped and counted as DROPPED with its reason,
 *		   instead of being forwarded unchanged. Keep-alives, messages
 *		   with nothing to rewrite and datagrams that are not SIP at all
 *		   (STUN and other keep-alives share SIP ports) still pass.
 *		   UDP ports only: a TCP segment dropped by a router is
 *		   retransmitted by the sender and stalls the connection, so a
 *		   TCP key with STRICT is refused.
 *   MEDIA_ANY	   (version 3) media pinholes of calls signalled on this port
 *		   admit any source address (any port), not only the address
 *		   the other party's SDP names (else the signalling peer):
 *		   for media servers behind load balancers, whose packets
 *		   come from addresses no SDP names. Like the in-tree
 *		   helper's sip_direct_media=0. Each such pinhole pair is
 *		   counted in STAT_PINHOLE_ANY_SOURCE.
 * A policy takes effect on the next message of existing connections.
 *
 * Per-port counters are keyed by L4 protocol and port only (FAMILY is
 * always SIPALG_FAMILY_ANY in stats replies).
 */
#ifndef _UAPI_SIPALG_NL_H
#define _UAPI_SIPALG_NL_H

#define SIPALG_GENL_NAME	"sipalg"
#define SIPALG_GENL_VERSION	4

/* multicast group of the monitor events (version 4) */
#define SIPALG_MCGRP_MONITOR	"monitor"

/* most policies a network namespace can hold */
#define SIPALG_MAX_POLICIES	256

/* SIPALG_A_POLICY flags */
#define SIPALG_POLICY_FORCE_RPORT	0x1
#define SIPALG_POLICY_STATIC_PORT	0x2
#define SIPALG_POLICY_DISABLE		0x4
#define SIPALG_POLICY_STRICT		0x8	/* version 2 */
#define SIPALG_POLICY_MEDIA_ANY		0x10	/* version 3 */
#define SIPALG_POLICY_ALL		0x1f

/* SIPALG_A_FAMILY values: the policy applies to both, or one, IP version */
#define SIPALG_FAMILY_ANY	0
#define SIPALG_FAMILY_INET	2	/* AF_INET */
#define SIPALG_FAMILY_INET6	10	/* AF_INET6 */

enum sipalg_cmd {
	SIPALG_CMD_UNSPEC,
	SIPALG_CMD_POLICY_SET,
	SIPALG_CMD_POLICY_GET,
	SIPALG_CMD_POLICY_DEL,
	SIPALG_CMD_POLICY_FLUSH,
	SIPALG_CMD_STATS_GET,
	SIPALG_CMD_STATS_RESET,
	SIPALG_CMD_EVENT,	/* version 4: monitor events (multicast) */
	SIPALG_CMD_CALL_GET,	/* version 4: dump of the calls */
	SIPALG_CMD_REG_GET,	/* version 4: dump of the registrations */

	__SIPALG_CMD_MAX
};

#define SIPALG_CMD_MAX (__SIPALG_CMD_MAX - 1)

enum sipalg_attr {
	SIPALG_A_UNSPEC,
	SIPALG_A_PAD,		/* padding for 64-bit attributes */
	SIPALG_A_FAMILY,	/* u8: SIPALG_FAMILY_* */
	SIPALG_A_L4PROTO,	/* u8: IPPROTO_UDP (17) or IPPROTO_TCP (6) */
	SIPALG_A_PORT,		/* u16: 1..65535 */
	SIPALG_A_POLICY,	/* u32: SIPALG_POLICY_* flags, 0 = default */
	SIPALG_A_STATS,		/* nest: SIPALG_STAT_* (replies only) */
	SIPALG_A_N_POLICIES,	/* u32: policies in the namespace (replies) */
	SIPALG_A_TCP_HELD,	/* u64: bytes held for split TCP messages now, whole module */
	SIPALG_A_TCP_BUDGET,	/* u64: the most that may be held (tcp_hold_budget);
				 * both in the replies' namespace totals
				 */
	SIPALG_A_EVENT,		/* nest: SIPALG_EV_* (events only, v4) */
	SIPALG_A_CALL,		/* nest: SIPALG_CL_* (CALL_GET replies, v4) */
	SIPALG_A_REG,		/* nest: SIPALG_RG_* (REG_GET replies, v4) */

	__SIPALG_A_MAX
};

#define SIPALG_A_MAX (__SIPALG_A_MAX - 1)

/* inside SIPALG_A_STATS; every counter is a u64 */
enum sipalg_stat_attr {
	SIPALG_STAT_UNSPEC,
	SIPALG_STAT_PAD,
	SIPALG_STAT_SEEN,		/* SIP messages looked at */
	SIPALG_STAT_REWRITTEN,		/* forwarded with edits */
	SIPALG_STAT_UNCHANGED,		/* forwarded byte-identical, all reasons */
	SIPALG_STAT_DROPPED,		/* dropped, all reasons */
	SIPALG_STAT_TCP_REASM,		/* TCP messages reassembled from segments */
	SIPALG_STAT_PINHOLE_OPENED,	/* expectations created */
	SIPALG_STAT_PINHOLE_EXPIRED,	/* expectations expired or removed */
	SIPALG_STAT_STATIC_KEPT,	/* static-port: source port kept */
	SIPALG_STAT_STATIC_FALLBACK,	/* static-port: port taken, NAT's choice kept */
	SIPALG_STAT_UNCHANGED_REASONS,	/* nest of SIPALG_REASON (non-zero only) */
	SIPALG_STAT_DROPPED_REASONS,	/* nest of SIPALG_REASON (non-zero only) */
	SIPALG_STAT_PINHOLE_ANY_SOURCE,	/* media-any: pinhole pairs from any source (v3) */
	SIPALG_STAT_MEDIA_PORT_FALLBACK,	/* phone's media: SDP port taken (v3) */
	SIPALG_STAT_PINHOLE_REFUSED,	/* pinholes a limit refused (v4) */
	SIPALG_STAT_PINHOLE_REFUSED_REASONS,	/* nest of SIPALG_REASON (non-zero only) */
	SIPALG_STAT_MONITOR_LOST,	/* monitor events not sent (v4) */

	__SIPALG_STAT_MAX
};

#define SIPALG_STAT_MAX (__SIPALG_STAT_MAX - 1)

/* the reason nests hold SIPALG_REASON entries, each a nest of: */
enum sipalg_reason_attr {
	SIPALG_REASON_UNSPEC,
	SIPALG_REASON_PAD,
	SIPALG_REASON,			/* nest (the list element) */
	SIPALG_REASON_ID,		/* u32: reason number */
	SIPALG_REASON_NAME,		/* string: short name, e.g. "bad-via" */
	SIPALG_REASON_COUNT,		/* u64 */

	__SIPALG_REASON_MAX
};

#define SIPALG_REASON_MAX (__SIPALG_REASON_MAX - 1)

/* SIPALG_EV_VERDICT values */
#define SIPALG_VERDICT_REWRITTEN	0	/* forwarded with edits */
#define SIPALG_VERDICT_UNCHANGED	1	/* forwarded byte-identical */
#define SIPALG_VERDICT_DROPPED		2	/* dropped (policy strict, ...) */

/* longest text of one line in SIPALG_EDIT_BEFORE / _AFTER (then cut) */
#define SIPALG_EV_LINE_MAX	200
/* longest Call-ID carried (then cut) */
#define SIPALG_EV_CALLID_MAX	128

/* inside SIPALG_A_EVENT (version 4) */
enum sipalg_ev_attr {
	SIPALG_EV_UNSPEC,
	SIPALG_EV_PAD,
	SIPALG_EV_TIME,		/* u64: CLOCK_REALTIME, ns */
	SIPALG_EV_DIR,		/* u8: 0 original (the connection's opener), 1 reply */
	SIPALG_EV_L3,		/* u8: AF_INET or AF_INET6 */
	SIPALG_EV_L4,		/* u8: IPPROTO_UDP or IPPROTO_TCP */
	SIPALG_EV_PORT,		/* u16: the policy / counter port */
	SIPALG_EV_BEFORE,	/* nest SIPALG_TUP_*: as it came in (before NAT) */
	SIPALG_EV_AFTER,	/* nest SIPALG_TUP_*: as it leaves (after NAT) */
	SIPALG_EV_METHOD,	/* string: request method, or CSeq method of a response */
	SIPALG_EV_STATUS,	/* u16: responses */
	SIPALG_EV_CSEQ,		/* u32 */
	SIPALG_EV_CALL_ID,	/* string, at most SIPALG_EV_CALLID_MAX bytes */
	SIPALG_EV_VERDICT,	/* u8: SIPALG_VERDICT_* */
	SIPALG_EV_REASON,	/* u32: reason number (0 = none) */
	SIPALG_EV_REASON_NAME,	/* string, e.g. "bad-via" */
	SIPALG_EV_LEN,		/* u32: message bytes as it came */
	SIPALG_EV_NEW_LEN,	/* u32: message bytes as it leaves */
	SIPALG_EV_EDIT,		/* nest SIPALG_EDIT_*, one per line changed, in order */
	SIPALG_EV_EDITS_CUT,	/* u32: changed lines left out (no room) */
	SIPALG_EV_PINHOLE,	/* nest SIPALG_PH_*, one per pinhole opened or closed */
	SIPALG_EV_PINHOLES_CUT,	/* u32: pinholes left out (no room) */

	__SIPALG_EV_MAX
};

#define SIPALG_EV_MAX (__SIPALG_EV_MAX - 1)

/* an address pair: SIPALG_EV_BEFORE, SIPALG_EV_AFTER */
enum sipalg_tup_attr {
	SIPALG_TUP_UNSPEC,
	SIPALG_TUP_SRC,		/* binary: 4 or 16 bytes, network order */
	SIPALG_TUP_SPORT,	/* u16 */
	SIPALG_TUP_DST,		/* binary */
	SIPALG_TUP_DPORT,	/* u16 */

	__SIPALG_TUP_MAX
};

#define SIPALG_TUP_MAX (__SIPALG_TUP_MAX - 1)

/* one line the rewrite changed: SIPALG_EV_EDIT */
enum sipalg_edit_attr {
	SIPALG_EDIT_UNSPEC,
	SIPALG_EDIT_WHERE,	/* u8: 0 start line, 1 header, 2 body (SDP) line */
	SIPALG_EDIT_NAME,	/* string: header name ("Via") or "c=", "m=", ... */
	SIPALG_EDIT_BEFORE,	/* string: the line as it came, without line end */
	SIPALG_EDIT_AFTER,	/* string: the line as it leaves */
	SIPALG_EDIT_N,		/* u32: edits in the line */
	SIPALG_EDIT_CUT,	/* flag: a text is cut at SIPALG_EV_LINE_MAX */

	__SIPALG_EDIT_MAX
};

#define SIPALG_EDIT_MAX (__SIPALG_EDIT_MAX - 1)

/* one pinhole (expectation): SIPALG_EV_PINHOLE */
enum sipalg_ph_attr {
	SIPALG_PH_UNSPEC,
	SIPALG_PH_OPENED,	/* u8: 1 opened, 0 closed */
	SIPALG_PH_CLASS,	/* u8: 0 signalling, 1 audio, 2 video, 3 other */
	SIPALG_PH_L4,		/* u8 */
	SIPALG_PH_SRC,		/* binary: the source it admits; absent: any */
	SIPALG_PH_DST,		/* binary: where it lets packets in */
	SIPALG_PH_DPORT,	/* u16 */
	/* in SIPALG_CL_PINHOLE only: */
	SIPALG_PH_RTCP,		/* flag: the RTCP one of its pair */
	SIPALG_PH_USED,		/* u8: 1 its expectation is gone (media came, or expired) */
	SIPALG_PH_OUTBOUND,	/* flag: the phone's own media leaving (DPORT: its source port) */

	__SIPALG_PH_MAX
};

#define SIPALG_PH_MAX (__SIPALG_PH_MAX - 1)

/* SIPALG_CL_STATE values */
#define SIPALG_CALL_EARLY	0	/* INVITE sent, no 2xx yet */
#define SIPALG_CALL_CONFIRMED	1	/* answered */
/* the latest SDP holds the media (sendonly, inactive, 0.0.0.0) */
#define SIPALG_CALL_HOLD	2
#define SIPALG_CALL_ENDING	3	/* BYE or CANCEL sent */

/* one side of a connection: SIPALG_CL_CALLER, _CALLEE, SIPALG_RG_PHONE */
enum sipalg_party_attr {
	SIPALG_PT_UNSPEC,
	SIPALG_PT_PRIV,		/* binary: its own address (4 or 16 bytes) */
	SIPALG_PT_PRIV_PORT,	/* u16 */
	SIPALG_PT_PUB,		/* binary: as the other side sees it (after NAT) */
	SIPALG_PT_PUB_PORT,	/* u16 */

	__SIPALG_PT_MAX
};

#define SIPALG_PT_MAX (__SIPALG_PT_MAX - 1)

/* inside SIPALG_A_CALL */
enum sipalg_call_attr {
	SIPALG_CL_UNSPEC,
	SIPALG_CL_CALL_ID,	/* string, cut at SIPALG_EV_CALLID_MAX / 2 bytes */
	SIPALG_CL_L3,		/* u8 */
	SIPALG_CL_L4,		/* u8 */
	SIPALG_CL_PORT,		/* u16: policy port */
	SIPALG_CL_STATE,	/* u8: SIPALG_CALL_* */
	SIPALG_CL_CALLER,	/* nest SIPALG_PT_*: the side that sent the INVITE */
	SIPALG_CL_CALLEE,	/* nest SIPALG_PT_* */
	SIPALG_CL_AGE,		/* u32: seconds since the module first saw it */
	SIPALG_CL_LAST,		/* string: the last message, "INVITE" or "200 INVITE" */
	SIPALG_CL_LAST_AGO,	/* u32: seconds since it */
	SIPALG_CL_PINHOLE,	/* nest SIPALG_PH_*, one per media pinhole */

	__SIPALG_CL_MAX
};

#define SIPALG_CL_MAX (__SIPALG_CL_MAX - 1)

/* inside SIPALG_A_REG */
enum sipalg_reg_attr {
	SIPALG_RG_UNSPEC,
	SIPALG_RG_AOR,		/* string: the To URI of the registration */
	SIPALG_RG_CONTACT,	/* string: the first Contact, as the phone wrote it */
	SIPALG_RG_L3,		/* u8 */
	SIPALG_RG_L4,		/* u8 */
	SIPALG_RG_PORT,		/* u16: policy port */
	SIPALG_RG_PHONE,	/* nest SIPALG_PT_*: private and public mapping */
	SIPALG_RG_REGISTRAR,	/* binary: the registrar's address */
	SIPALG_RG_REGISTRAR_PORT,	/* u16 */
	SIPALG_RG_EXPIRES,	/* u32: seconds left */

	__SIPALG_RG_MAX
};

#define SIPALG_RG_MAX (__SIPALG_RG_MAX - 1)

#endif /* _UAPI_SIPALG_NL_H */
