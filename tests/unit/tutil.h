/* SPDX-License-Identifier: GPL-2.0 */
/* helpers shared by the unit and corpus tests */
#ifndef SIPALG_TUTIL_H
#define SIPALG_TUTIL_H

#include "sipcore.h"
#include "harness.h"

/* one line of a message */
#define L(x) x "\r\n"

void t_ep(struct sa_ep *e, const char *ip, unsigned int port);
void t_ctx(struct sa_ctx *c, const char *sf, unsigned int sfp,
	   const char *st, unsigned int stp, const char *df,
	   unsigned int dfp, const char *dt, unsigned int dtp);

/*
 * The usual SNAT of the brief: phone 10.0.0.2:5060 behind 198.51.100.1,
 * port changed to 40000, server 198.51.100.2:5060.
 */
void t_snat_orig(struct sa_ctx *c);	/* phone -> server */
void t_snat_reply(struct sa_ctx *c);	/* server -> phone */

struct t_rw {
	enum sa_reason parse;
	enum sa_reason plan;		/* SA_R_MAX when not planned */
	size_t len;
	char out[70000];
};

/* parse, plan, apply: out is the input unchanged when refused */
extern struct sa_msg t_msg;
extern struct sa_plan t_plan;
void t_rewrite(const char *in, size_t len, const struct sa_ctx *c,
	       struct t_rw *r);

/* expect the rewrite of in to be exactly exp with reason SA_R_OK */
#define T_REWRITE(in, ctx, exp) do { \
	static struct t_rw _r; \
	t_rewrite(in, strlen(in), ctx, &_r); \
	T_EQ(_r.parse, SA_R_OK); \
	T_EQ(_r.plan, SA_R_OK); \
	T_BYTES(_r.out, _r.len, exp); \
} while (0)

/* expect the message to be left byte-for-byte unchanged, for reason why */
#define T_UNCHANGED(in, ctx, why) do { \
	static struct t_rw _r; \
	t_rewrite(in, strlen(in), ctx, &_r); \
	T_EQ(_r.parse != SA_R_OK ? _r.parse : _r.plan, why); \
	T_BYTES(_r.out, _r.len, in); \
	T_EQ(t_plan.n, 0); \
} while (0)

/* whole file (malloc'd), sorted file names in a directory (corpus.c) */
uint8_t *read_file(const char *path, size_t *len);
int list_dir(const char *dir, const char *suffix, char ***out);
#define t_read(p, l) read_file(p, l)
#define t_list(d, s, o) list_dir(d, s, o)

#endif
