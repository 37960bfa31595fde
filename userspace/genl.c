// SPDX-License-Identifier: GPL-2.0
/*
 * sipalgctl's generic netlink plumbing: resolve the "sipalg" family, send a
 * request, collect replies, and turn errors (with the kernel's extended ACK
 * message) into words an admin can act on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "sipalgctl.h"
#include "genl.h"
#include "sipalg_nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

int genl_errno;

/* the oldest module netlink version this tool talks to */
#define GENL_MIN_VERSION 1

static int genl_raw_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
			 void *data, char *ext, size_t extlen);

/* the id of the family's multicast group "monitor" (version 4 on) */
static void family_groups(struct genl *g, const struct nlattr *list)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, list) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, SIPALG_MCGRP_MONITOR))
			g->mon_group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl *g = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
			g->family_id = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_VERSION &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			g->version = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			family_groups(g, a);
	}
	return MNL_CB_OK;
}

int genl_open(struct genl *g)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *gh;
	char ext[256];
	int one = 1, rc;

	memset(g, 0, sizeof(*g));
	g->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!g->buf) {
		err_msg("out of memory");
		return EX_FAIL;
	}
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl) {
		err_msg("cannot open a generic netlink socket: %s",
			strerror(errno));
		return EX_FAIL;
	}
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err_msg("cannot bind the netlink socket: %s", strerror(errno));
		return EX_FAIL;
	}
	/* ask for the kernel's error messages; old kernels just ignore it */
	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	g->portid = mnl_socket_get_portid(g->nl);
	g->seq = (unsigned int)time(NULL);

	nlh = mnl_nlmsg_put_header(g->buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++g->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = CTRL_CMD_GETFAMILY;
	gh->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SIPALG_GENL_NAME);
	rc = genl_raw_talk(g, nlh, family_cb, g, ext, sizeof(ext));
	if (rc == -ENOENT || (rc == 0 && !g->family_id)) {
		err_msg("the sipalg kernel module is not loaded (no generic netlink family \"%s\"): load it with 'modprobe sipalg'",
			SIPALG_GENL_NAME);
		return EX_NOMODULE;
	}
	if (rc) {
		err_msg("cannot look up the sipalg netlink family: %s",
			strerror(-rc));
		return EX_FAIL;
	}
	/*
	 * Versions only add (uapi/sipalg_nl.h): this tool talks to every
	 * module since version 1, and a command that needs a later version
	 * checks g->version itself (policy strict needs 2).
	 */
	if (g->version < GENL_MIN_VERSION) {
		err_msg("the loaded sipalg module speaks netlink version %u, this sipalgctl needs %u: update the module",
			g->version, GENL_MIN_VERSION);
		return EX_FAIL;
	}
	return EX_OK;
}

void genl_close(struct genl *g)
{
	if (g->nl)
		mnl_socket_close(g->nl);
	free(g->buf);
	g->nl = NULL;
	g->buf = NULL;
}

struct nlmsghdr *genl_req(struct genl *g, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = g->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++g->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = SIPALG_GENL_VERSION;
	return nlh;
}

/* the NLMSGERR_ATTR_MSG string of an error message, if any */
static void ext_msg(const struct nlmsghdr *nlh, char *ext, size_t extlen)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	ext[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
			snprintf(ext, extlen, "%s", mnl_attr_get_str(a));
			return;
		}
	}
}

/* returns 0 or -errno; ext gets the kernel's message */
static int genl_raw_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
			 void *data, char *ext, size_t extlen)
{
	unsigned int seq = nlh->nlmsg_seq;
	char *rbuf;
	int ret = 0;
	bool done = false;

	ext[0] = 0;
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	rbuf = malloc(MNL_SOCKET_BUFFER_SIZE * 2);
	if (!rbuf)
		return -ENOMEM;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(g->nl, rbuf,
						MNL_SOCKET_BUFFER_SIZE * 2);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			ret = -errno;
			break;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != g->portid)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(m);

				ret = e->error;
				if (ret)
					ext_msg(m, ext, extlen);
				done = true;
				break;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				const int *e = mnl_nlmsg_get_payload(m);

				if (mnl_nlmsg_get_payload_len(m) >= sizeof(*e) &&
				    *e < 0)
					ret = *e;
				done = true;
				break;
			}
			if (cb && cb(m, data) < 0) {
				ret = -EPROTO;
				done = true;
				break;
			}
		}
	}
	free(rbuf);
	return ret;
}

int genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	      const char *what)
{
	char ext[256];
	int rc = genl_raw_talk(g, nlh, cb, data, ext, sizeof(ext));

	genl_errno = -rc;
	if (!rc)
		return EX_OK;
	if (rc == -EPERM) {
		err_msg("%s: permission denied: needs CAP_NET_ADMIN in this network namespace (run as root)",
			what);
		return EX_PERM;
	}
	if (ext[0])
		err_msg("%s: %s (%s)", what, ext, strerror(-rc));
	else
		err_msg("%s: %s", what, strerror(-rc));
	return EX_FAIL;
}

int genl_attr_addr(const struct nlattr *a, uint8_t *out)
{
	size_t n = mnl_attr_get_payload_len(a);

	if (n != 4 && n != 16)
		return 0;
	memcpy(out, mnl_attr_get_payload(a), n);
	return (int)n;
}

void fmt_address(int alen, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(alen == 16 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void fmt_endpoint(int alen, const uint8_t *a, uint16_t port, char *buf,
		  size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	fmt_address(alen, a, ip, sizeof(ip));
	if (alen == 16)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

/* a string attribute into buf (NUL-terminated, cut at the buffer) */
void genl_attr_str(const struct nlattr *a, char *buf, size_t len)
{
	size_t n = mnl_attr_get_payload_len(a);
	const char *p = mnl_attr_get_payload(a);

	if (n && !p[n - 1])
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	/* a NUL inside ends the string */
	buf[strnlen(buf, n)] = 0;
}
