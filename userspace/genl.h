/* SPDX-License-Identifier: GPL-2.0 */
/* sipalgctl: talking to the sipalg generic netlink family with libmnl */
#ifndef SIPALGCTL_GENL_H
#define SIPALGCTL_GENL_H

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

struct genl {
	struct mnl_socket *nl;
	uint16_t family_id;
	uint32_t version;	/* of the kernel's family */
	uint32_t mon_group;	/* multicast group "monitor", 0 = none */
	unsigned int portid;
	unsigned int seq;
	char *buf;		/* MNL_SOCKET_BUFFER_SIZE bytes */
};

/* open and resolve the family; prints why not and returns an EX_* code */
int genl_open(struct genl *g);
void genl_close(struct genl *g);

/* start a request for cmd in g->buf */
struct nlmsghdr *genl_req(struct genl *g, uint8_t cmd, uint16_t flags);

/*
 * Send nlh, run cb on every reply, wait for the ACK or the end of the dump.
 * On an error prints "what: why" (the kernel's extended ACK message when it
 * gave one) and returns an EX_* code.
 */
int genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	      const char *what);

/* the errno of the last genl_talk failure (0 when none) */
extern int genl_errno;

/* a string attribute into buf: NUL-terminated, cut at the buffer or a NUL */
void genl_attr_str(const struct nlattr *a, char *buf, size_t len);
/* an address attribute (4 or 16 bytes) into out; its length, 0 if neither */
int genl_attr_addr(const struct nlattr *a, uint8_t *out);
/* "192.0.2.1:5060" or "[2001:db8::1]:5060" for an address of alen bytes */
void fmt_endpoint(int alen, const uint8_t *a, uint16_t port, char *buf,
		  size_t len);
/* the address alone, "?" when it cannot be written */
void fmt_address(int alen, const uint8_t *a, char *buf, size_t len);

#endif
