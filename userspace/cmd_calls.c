// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl calls | sipalgctl registrations: the module's tables of calls
 * and registrations (uapi/sipalg_nl.h, SIPALG_CMD_CALL_GET and
 * SIPALG_CMD_REG_GET dumps). Call-IDs, AORs and Contacts are packet
 * bytes: printed escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

#define TABLES_VERSION	4

static void calls_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl calls [-j [-p]]\n"
"\n"
"The calls the sipalg ALG tracks in this network namespace: Call-ID,\n"
"state (early, confirmed, on-hold, ending), transport, each party's own\n"
"(private) address and the address the other side sees (public), age,\n"
"the last message and how long ago, and the media pinholes (address and\n"
"port, RTP or RTCP, and whether used: the media came, or it expired).\n"
"Needs CAP_NET_ADMIN in the network namespace.\n");
}

static void regs_usage(FILE *f)
{
	fprintf(f,
"Usage: sipalgctl registrations [-j [-p]]\n"
"\n"
"The registrations the sipalg ALG tracks in this network namespace (a\n"
"REGISTER the registrar accepted, whose lifetime has not run out): AOR,\n"
"Contact as the phone wrote it, the phone's private address and its\n"
"public mapping, the registrar, seconds left, transport.\n"
"Needs CAP_NET_ADMIN in the network namespace.\n");
}

struct party {
	int alen;
	uint8_t priv[16], pub[16];
	uint16_t priv_port, pub_port;
};

/* printable ASCII as it is, the rest \xNN (text); '?' for JSON */
static void esc_text(const char *s, char *out, size_t len, bool json)
{
	size_t w = 0;

	for (; *s && w + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && (json || c != '\\'))
			out[w++] = (char)c;
		else if (json)
			out[w++] = c < 0x20 ? ' ' : '?';
		else
			w += (size_t)snprintf(out + w, len - w, "\\x%02x", c);
	}
	out[w] = 0;
}

static void parse_party(const struct nlattr *nest, struct party *p)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SIPALG_PT_PRIV:
			p->alen = genl_attr_addr(a, p->priv);
			break;
		case SIPALG_PT_PUB:
			genl_attr_addr(a, p->pub);
			break;
		case SIPALG_PT_PRIV_PORT:
			p->priv_port = mnl_attr_get_u16(a);
			break;
		case SIPALG_PT_PUB_PORT:
			p->pub_port = mnl_attr_get_u16(a);
			break;
		}
	}
}

/*
 * one side: JSON {"private", "private_port", "public", "public_port"}
 * under key; text priv_fmt with its own endpoint, pub_fmt with the public
 */
static void pr_party(const char *key, const char *priv_fmt,
		     const char *pub_fmt, const struct party *p)
{
	pr_obj_open(key);
	pr_endpoint(PR_ANY, "private", "private_port", priv_fmt, p->alen,
		    p->priv, p->priv_port);
	pr_endpoint(PR_ANY, "public", "public_port", pub_fmt, p->alen, p->pub,
		    p->pub_port);
	pr_obj_close();
}

static const char *state_name(unsigned int s)
{
	static const char *const n[] = { "early", "confirmed", "on-hold",
					 "ending" };

	return s < 4 ? n[s] : "?";
}

struct pin {
	int alen;
	uint8_t addr[16];
	uint16_t port;
	bool rtcp, used, out;
};

static int call_cb(const struct nlmsghdr *nlh, void *data)
{
	char id[256], last[40] = "", buf[64];
	struct party caller = { 0 }, callee = { 0 };
	uint32_t age = 0, ago = 0;
	uint8_t state = 0, l4 = 0;
	struct pin pins[32];
	unsigned int np = 0, i;
	const struct nlattr *top, *a, *b;
	char raw[SIPALG_EV_CALLID_MAX + 1] = "";
	bool found = false;

	(void)data;
	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != SIPALG_A_CALL)
			continue;
		found = true;
		mnl_attr_for_each_nested(a, top) {
			switch (mnl_attr_get_type(a)) {
			case SIPALG_CL_CALL_ID:
				genl_attr_str(a, raw, sizeof(raw));
				break;
			case SIPALG_CL_L4:
				l4 = mnl_attr_get_u8(a);
				break;
			case SIPALG_CL_STATE:
				state = mnl_attr_get_u8(a);
				break;
			case SIPALG_CL_CALLER:
				parse_party(a, &caller);
				break;
			case SIPALG_CL_CALLEE:
				parse_party(a, &callee);
				break;
			case SIPALG_CL_AGE:
				age = mnl_attr_get_u32(a);
				break;
			case SIPALG_CL_LAST:
				genl_attr_str(a, last, sizeof(last));
				break;
			case SIPALG_CL_LAST_AGO:
				ago = mnl_attr_get_u32(a);
				break;
			case SIPALG_CL_PINHOLE:
				if (np >= sizeof(pins) / sizeof(pins[0]))
					break;
				memset(&pins[np], 0, sizeof(pins[np]));
				mnl_attr_for_each_nested(b, a) {
					switch (mnl_attr_get_type(b)) {
					case SIPALG_PH_DST:
						pins[np].alen = genl_attr_addr(b, pins[np].addr);
						break;
					case SIPALG_PH_DPORT:
						pins[np].port = mnl_attr_get_u16(b);
						break;
					case SIPALG_PH_RTCP:
						pins[np].rtcp = true;
						break;
					case SIPALG_PH_USED:
						pins[np].used = mnl_attr_get_u8(b);
						break;
					case SIPALG_PH_OUTBOUND:
						pins[np].out = true;
						break;
					}
				}
				np++;
				break;
			}
		}
	}
	if (!found)
		return MNL_CB_OK;
	esc_text(raw, id, sizeof(id), g_opts.json);
	esc_text(last, buf, sizeof(buf), g_opts.json);
	pr_obj_open(NULL);
	pr_str(PR_ANY, "call_id", "call %s", id);
	pr_str(PR_ANY, "state", "  %s", state_name(state));
	pr_str(PR_ANY, "transport", "  %s", proto_name(l4));
	/* the text has age and the last message on its first line */
	pr_uint(PR_TEXT, NULL, "  age %us", age);
	pr_str(PR_TEXT, NULL, "  last %s", buf);
	pr_uint(PR_TEXT, NULL, " %us ago\n", ago);
	pr_party("caller", "  caller  %s", " (public %s)\n", &caller);
	pr_party("callee", "  callee  %s", " (public %s)\n", &callee);
	/* ... JSON after the parties */
	pr_uint(PR_JSON, "age", NULL, age);
	pr_str(PR_JSON, "last", NULL, buf);
	pr_uint(PR_JSON, "last_ago", NULL, ago);
	pr_arr_open("pinholes");
	for (i = 0; i < np; i++) {
		pr_obj_open(NULL);
		pr_endpoint(PR_ANY, "addr", "port", "  media   %s", pins[i].alen,
			    pins[i].addr, pins[i].port);
		pr_str(PR_ANY, "kind", " %s", pins[i].rtcp ? "rtcp" : "rtp");
		/* text: a mark on the outbound ones */
		pr_str(pins[i].out ? PR_ANY : PR_JSON, "direction", " %s",
		       pins[i].out ? "out" : "in");
		pr_bool(PR_JSON, "used", NULL, pins[i].used);
		pr_str(PR_TEXT, NULL, " %s\n", pins[i].used ? "used" : "waiting");
		pr_obj_close();
	}
	pr_arr_close();
	pr_obj_close();
	return MNL_CB_OK;
}

static int reg_cb(const struct nlmsghdr *nlh, void *data)
{
	char raor[SIPALG_EV_CALLID_MAX + 1] = "", rcon[SIPALG_EV_CALLID_MAX + 1] = "";
	char aor[512], con[512];
	const struct nlattr *top, *x;
	struct party phone = { 0 };
	uint8_t regaddr[16] = { 0 }, l4 = 0;
	uint16_t regport = 0;
	uint32_t left = 0;
	int ralen = 4;
	bool found = false;

	(void)data;
	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != SIPALG_A_REG)
			continue;
		found = true;
		mnl_attr_for_each_nested(x, top) {
			switch (mnl_attr_get_type(x)) {
			case SIPALG_RG_AOR:
				genl_attr_str(x, raor, sizeof(raor));
				break;
			case SIPALG_RG_CONTACT:
				genl_attr_str(x, rcon, sizeof(rcon));
				break;
			case SIPALG_RG_L4:
				l4 = mnl_attr_get_u8(x);
				break;
			case SIPALG_RG_PHONE:
				parse_party(x, &phone);
				break;
			case SIPALG_RG_REGISTRAR:
				ralen = genl_attr_addr(x, regaddr);
				break;
			case SIPALG_RG_REGISTRAR_PORT:
				regport = mnl_attr_get_u16(x);
				break;
			case SIPALG_RG_EXPIRES:
				left = mnl_attr_get_u32(x);
				break;
			}
		}
	}
	if (!found)
		return MNL_CB_OK;
	esc_text(raor, aor, sizeof(aor), g_opts.json);
	esc_text(rcon, con, sizeof(con), g_opts.json);
	pr_obj_open(NULL);
	pr_str(PR_ANY, "aor", "%s", aor);
	pr_str(PR_ANY, "contact", "  contact %s", con);
	pr_str(PR_ANY, "transport", "  %s", proto_name(l4));
	pr_party("phone", "  %s", " -> %s", &phone);
	pr_endpoint(PR_ANY, "registrar", "registrar_port", "  registrar %s",
		    ralen, regaddr, regport);
	pr_uint(PR_ANY, "expires", "  expires %us\n", left);
	pr_obj_close();
	return MNL_CB_OK;
}

static int table_dump(const char *cmd, uint8_t nlcmd, const char *key,
		      mnl_cb_t cb)
{
	struct genl g;
	int rc;

	rc = genl_open(&g);
	if (rc)
		return rc;
	if (g.version < TABLES_VERSION) {
		err_msg("%s: the loaded sipalg module speaks netlink version %u, %s needs version %u: update the module",
			cmd, g.version, cmd, TABLES_VERSION);
		genl_close(&g);
		return EX_FAIL;
	}
	pr_obj_open(NULL);
	pr_arr_open(key);
	rc = genl_talk(&g, genl_req(&g, nlcmd, NLM_F_DUMP), cb, NULL, cmd);
	pr_arr_close();
	pr_obj_close();
	pr_end();
	genl_close(&g);
	return rc;
}

/* the arguments: an exit status, or -1 to go on */
static int table_cmd(int argc, char **argv, const char *cmd,
		     void (*usage)(FILE *))
{
	int rc = take_global_opts(cmd, &argc, argv);

	if (rc)
		return rc;
	if (argc && is_help(argv[0])) {
		usage(stdout);
		return EX_OK;
	}
	if (argc)
		return usage_err(cmd, "unexpected argument \"%s\"", argv[0]);
	if (g_opts.family)
		return usage_err(cmd, "-4/-6 do not apply: it lists both address families");
	return -1;	/* go on */
}

int cmd_calls(int argc, char **argv)
{
	int rc = table_cmd(argc, argv, "calls", calls_usage);

	if (rc >= 0)
		return rc;
	return table_dump("calls", SIPALG_CMD_CALL_GET, "calls", call_cb);
}

int cmd_registrations(int argc, char **argv)
{
	int rc = table_cmd(argc, argv, "registrations", regs_usage);

	if (rc >= 0)
		return rc;
	return table_dump("registrations", SIPALG_CMD_REG_GET, "registrations",
			  reg_cb);
}
