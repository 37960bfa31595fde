// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "tutil.h"

struct sa_msg t_msg;
struct sa_plan t_plan;

void t_ep(struct sa_ep *e, const char *ip, unsigned int port)
{
	memset(e, 0, sizeof(*e));
	if (!sa_ip_from_str(ip, strlen(ip), &e->ip)) {
		fprintf(stderr, "bad test address %s\n", ip);
		abort();
	}
	e->port = port;
}

void t_ctx(struct sa_ctx *c, const char *sf, unsigned int sfp,
	   const char *st, unsigned int stp, const char *df,
	   unsigned int dfp, const char *dt, unsigned int dtp)
{
	memset(c, 0, sizeof(*c));
	t_ep(&c->src_from, sf, sfp);
	t_ep(&c->src_to, st, stp);
	t_ep(&c->dst_from, df, dfp);
	t_ep(&c->dst_to, dt, dtp);
}

void t_snat_orig(struct sa_ctx *c)
{
	t_ctx(c, "10.0.0.2", 5060, "198.51.100.1", 40000,
	      "198.51.100.2", 5060, "198.51.100.2", 5060);
}

void t_snat_reply(struct sa_ctx *c)
{
	t_ctx(c, "198.51.100.2", 5060, "198.51.100.2", 5060,
	      "198.51.100.1", 40000, "10.0.0.2", 5060);
}

void t_rewrite(const char *in, size_t len, const struct sa_ctx *c,
	       struct t_rw *r)
{
	r->plan = SA_R_MAX;
	r->parse = sa_parse((const uint8_t *)in, len, c->transport, &t_msg);
	memset(&t_plan, 0, sizeof(t_plan));
	if (r->parse == SA_R_OK)
		r->plan = sa_plan((const uint8_t *)in, &t_msg, c, &t_plan);
	if (r->parse != SA_R_OK || r->plan != SA_R_OK) {
		memcpy(r->out, in, len);
		r->len = len;
		return;
	}
	r->len = sa_apply((const uint8_t *)in, len, &t_plan,
			  (uint8_t *)r->out, sizeof(r->out));
}
