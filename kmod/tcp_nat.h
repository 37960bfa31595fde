/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipalg: a TCP segment's new payload. tcp.c builds it message by message
 * straight into the packet, from a copy of what the sender sent; for a
 * message with a rewrite plan, nat.c writes the rewritten message there.
 */
#ifndef SIPALG_TCP_NAT_H
#define SIPALG_TCP_NAT_H

#include <linux/skbuff.h>

#include "sipalg.h"

struct sipalg_tcp_out {
	struct sipalg_pkt *p;
	const u8 *msg;		/* the message being handled (in the copy) */
	unsigned int mlen;
	unsigned int len;	/* payload bytes built so far */
	unsigned int limit;	/* the most the payload may hold */
	bool applied;		/* the message went in rewritten */
	bool full;		/* its rewrite does not fit in this packet */
	bool nomem;
};

/*
 * Make room for n more payload bytes after the o->len built: 0, -E2BIG
 * (past o->limit) or -ENOMEM. The packet's data may move.
 */
int sipalg_tcp_out_reserve(struct sipalg_tcp_out *o, unsigned int n);

/* where the next payload byte goes */
static inline u8 *sipalg_tcp_out_ptr(const struct sipalg_tcp_out *o)
{
	return o->p->skb->data + o->p->dataoff + o->len;
}

#endif /* SIPALG_TCP_NAT_H */
