/* SPDX-License-Identifier: GPL-2.0 */
/* sipalgctl: what its source files share. */
#ifndef SIPALGCTL_H
#define SIPALGCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* exit codes (documented in sipalgctl.8) */
#define EX_OK		0
#define EX_FAIL		1	/* the kernel or the system refused */
#define EX_USAGE	2	/* bad command line */
#define EX_DROP		3	/* rewrite: the ALG would drop the message */
#define EX_NOMODULE	4	/* the sipalg module is not loaded */
#define EX_PERM		5	/* permission denied */

struct opts {
	bool json;
	bool pretty;
	int family;		/* 0, 4 or 6 */
};
extern struct opts g_opts;
extern const char *g_prog;
/* when set ("FILE:LINE"), usage_err names it instead of the command */
extern const char *g_err_where;

/* print "sipalgctl: ..." on stderr */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* usage error: message, a hint to --help of cmd, returns EX_USAGE */
int usage_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool is_help(const char *arg);
/*
 * the global options (-j, --json, -p, --pretty, -jp, -4, -6), which go
 * before or after the command: global_opt sets g_opts for one and says
 * whether o was one; take_global_opts removes them from a command's words
 * and refuses any other option (EX_USAGE, or EX_OK)
 */
bool global_opt(const char *o);
int take_global_opts(const char *cmd, int *argc, char **argv);

/* argument parsers: return false and print why */
bool parse_proto(const char *s, uint8_t *proto, const char *cmd);
bool parse_port(const char *s, uint16_t *port, const char *cmd);
const char *proto_name(uint8_t proto);

/*
 * cmd_policy.c: policy words ("force-rport,strict", "default"), shared by
 * policy set and rewrite --policy. policy_parse adds the SIPALG_POLICY_*
 * flags of w to *flags (false and a usage error on an unknown name);
 * policy_check refuses combinations the module refuses (EX_USAGE) for a
 * port of protocol proto (IPPROTO_UDP or IPPROTO_TCP).
 */
bool policy_parse(const char *cmd, const char *w, uint32_t *flags,
		  bool *seen_def);
int policy_check(const char *cmd, uint32_t flags, bool seen_def,
		 uint8_t proto);

/* cmd_policy.c: one policy as the kernel holds it, and a dump of all */
struct pol_row {
	uint8_t family, proto;	/* SIPALG_FAMILY_*, IPPROTO_* */
	uint16_t port;
	uint32_t flags;		/* SIPALG_POLICY_* */
};
struct genl;
/* every policy of the namespace, sorted as policy show lists them */
int policy_dump(struct genl *g, struct pol_row **rows, size_t *n);
/* "force-rport,strict", "default", unknown bits as 0x... */
void fmt_policy(uint32_t flags, char *buf, size_t len);

/* cmd_policy_file.c: policy save and policy restore FILE */
int policy_save(int argc, char **argv);
int policy_restore(int argc, char **argv);

/*
 * json.c: the one print path for text and JSON (-j, -p), on stdout. Every
 * field is one call: in JSON it is "key": value, in text printf(fmt, value)
 * (nothing when fmt is NULL). m says in which forms it appears: PR_ANY,
 * PR_JSON only, PR_TEXT only (then key is unused), where the two forms do
 * not hold the same fields in the same order.
 */
#define PR_JSON		1
#define PR_TEXT		2
#define PR_ANY		(PR_JSON | PR_TEXT)
/* objects and arrays: JSON structure, nothing in text */
void pr_obj_open(const char *key);	/* key NULL inside an array */
void pr_obj_close(void);
void pr_arr_open(const char *key);
void pr_arr_close(void);
void pr_end(void);		/* the end of the JSON document (a newline) */
/* text only: printf(fmt, ...), nothing in JSON */
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* one field each, in the forms m names */
void pr_str(int m, const char *key, const char *fmt, const char *val);
void pr_uint(int m, const char *key, const char *fmt, unsigned int val);
void pr_u64(int m, const char *key, const char *fmt, uint64_t val);
/* JSON true or false; text: fmt with "true" or "false" for a %s */
void pr_bool(int m, const char *key, const char *fmt, bool val);
void pr_null(const char *key);	/* JSON null; nothing in text */
/*
 * bytes from a packet, of which at most PR_PKT_MAX are shown: JSON as a
 * string (each byte over 0x7f as '?' unless it is all valid UTF-8); text
 * fmt with printable ASCII as it is and every other byte (and \) as \xNN
 */
#define PR_PKT_MAX	256
void pr_pkt(int m, const char *key, const char *fmt, const char *val);
/*
 * an address and port: JSON "addr_key": "192.0.2.1", "port_key": 5060;
 * text fmt with "192.0.2.1:5060" or "[2001:db8::1]:5060" for a %s
 */
void pr_endpoint(int m, const char *addr_key, const char *port_key,
		 const char *fmt, int alen, const uint8_t *addr, uint16_t port);
/* a JSON string of len bytes, escaped, on f (rewrite --explain) */
void js_escape(FILE *f, const char *s, size_t len);

/* commands */
int cmd_policy(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_rewrite(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_calls(int argc, char **argv);
int cmd_registrations(int argc, char **argv);

#endif
