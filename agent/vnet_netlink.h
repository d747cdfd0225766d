// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel programming for the VNet agent (libmnl): one NETLINK_ROUTE
 * socket per network namespace, opened inside it.
 *
 * The agent owns exactly what carries protocol VNET_RTPROT: routes
 * (rtm_protocol), nexthop objects (nh_protocol) and policy rules
 * (FRA_PROTOCOL). Deletes are restricted to that protocol, so the kernel
 * itself refuses to remove anything else.
 */
#ifndef VNET_NETLINK_H
#define VNET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_fabric_codec.h"

/* Protocol of what the agent owns ("proto 200" in ip route/nexthop/rule). */
#define VNET_RTPROT 200
/* Members of one nexthop group: a route has at most this many next hops. */
#define VNL_MAX_GROUP VRS_FABRIC_MAX_NEXTHOPS

struct mnl_socket;

struct vnl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t *buf;		/* receive buffer */
	char netns[VRS_FABRIC_MAX_NAME + 1];
};

/* Opens a socket in /run/netns/NETNS (or the agent's own namespace if
 * netns is "."). */
int vnl_open(struct vnl *v, const char *netns, char *reason, size_t rlen);
void vnl_close(struct vnl *v);

/*
 * net.ipv4.nexthop_compat_mode of a namespace (a per-namespace sysctl):
 * read into *old (if not NULL), then set to value (value < 0: read only).
 */
int vnl_nexthop_compat(const char *netns, int value, int *old, char *reason,
		       size_t rlen);

/* ------------------------------------------------------------------ */
/* Dumps: one callback per object; a callback returning < 0 stops it. */

struct vnl_route {
	uint32_t table;
	uint32_t priority;
	uint32_t nh_id;		/* RTA_NH_ID, 0 = none */
	uint8_t family, plen, protocol, type;
	uint8_t dst[16];
	bool gateway;		/* RTA_GATEWAY / RTA_MULTIPATH present */
};

struct vnl_nexthop {
	uint32_t id;
	uint32_t oif;
	uint8_t family, protocol;
	bool blackhole;
	bool has_gateway;
	uint8_t gateway[16];
	size_t n_group;		/* > 0: a group */
	uint32_t group_id[VNL_MAX_GROUP];
	uint16_t group_weight[VNL_MAX_GROUP];	/* 1..256 */
	bool group_too_big;
};

struct vnl_rule {
	uint8_t family, src_len, action, protocol;
	uint32_t table, priority;
	uint8_t src[16];
	/* a selector besides "from ADDR" (dst, iif, oif, fwmark, ...) or
	 * another action: not a rule of the agent's form */
	bool other;
};

/* Routes of one table (table != 0, filtered by the kernel) or of all. */
int vnl_dump_routes(struct vnl *v, uint32_t table,
		    int (*cb)(const struct vnl_route *r, void *arg), void *arg,
		    char *reason, size_t rlen);
int vnl_dump_nexthops(struct vnl *v,
		      int (*cb)(const struct vnl_nexthop *nh, void *arg),
		      void *arg, char *reason, size_t rlen);
int vnl_dump_rules(struct vnl *v,
		   int (*cb)(const struct vnl_rule *r, void *arg), void *arg,
		   char *reason, size_t rlen);

/*
 * The device a gateway is on-link through (RTM_GETROUTE of the address,
 * no source: the namespace's main table). -1 with a reason if the address
 * is not on a connected network (reached through another gateway, local,
 * unreachable), or an IPv6 link-local address (no interface to say which
 * link).
 */
int vnl_gateway_oif(struct vnl *v, uint8_t family, const uint8_t *addr,
		    uint32_t *oif, char *reason, size_t rlen);

/* ------------------------------------------------------------------ */
/* Batched writes                                                     */

/*
 * What one request was about, for error reports: the batch calls the
 * error callback with it for every request the kernel refused.
 */
enum vnl_op {
	VNL_OP_ROUTE_ADD,
	VNL_OP_ROUTE_DEL,
	VNL_OP_NH_ADD,
	VNL_OP_NH_REPLACE,
	VNL_OP_NH_DEL,
	VNL_OP_RULE_ADD,
	VNL_OP_RULE_DEL,
};

struct vnl_tag {
	uint8_t op;		/* enum vnl_op */
	uint8_t family, plen;
	uint8_t addr[16];	/* route prefix, rule source */
	uint32_t id;		/* nexthop id, route table, rule table */
	void *owner;		/* the caller's (slot, namespace, ...) */
};

typedef void (*vnl_err_cb)(void *arg, const struct vnl_tag *tag, int err,
			   const char *ext);

struct vnl_batch;

struct vnl_batch *vnl_batch_new(struct vnl *v, vnl_err_cb cb, void *arg);
/* Sends what is queued and waits for the kernel's answers. */
void vnl_batch_flush(struct vnl_batch *b);
/* Flushes and frees; returns the number of failed requests in total. */
size_t vnl_batch_end(struct vnl_batch *b);
size_t vnl_batch_sent(const struct vnl_batch *b);

/*
 * A route: add or replace (NLM_F_CREATE|NLM_F_REPLACE) or delete
 * (restricted to VNET_RTPROT). nh_id 0 with blackhole false on a delete
 * is fine; on an add either nh_id or blackhole.
 */
void vnl_route(struct vnl_batch *b, bool del, uint8_t family,
	       const uint8_t *dst, uint8_t plen, uint32_t table,
	       uint32_t metric, bool blackhole, uint32_t nh_id, void *owner);
/* A gateway nexthop object (created: NLM_F_CREATE|NLM_F_EXCL). */
void vnl_nh_gateway(struct vnl_batch *b, uint32_t id, uint8_t family,
		    const uint8_t *gw, uint32_t oif, void *owner);
/* A group (replace: NLM_F_REPLACE of an existing id; else created). */
void vnl_nh_group(struct vnl_batch *b, uint32_t id, bool replace,
		  const uint32_t *ids, const uint16_t *weights, size_t n,
		  void *owner);
void vnl_nh_del(struct vnl_batch *b, uint32_t id, void *owner);
/* "from SRC/len lookup TABLE pref PRIORITY proto VNET_RTPROT". */
void vnl_rule(struct vnl_batch *b, bool del, uint8_t family,
	      const uint8_t *src, uint8_t src_len, uint32_t table,
	      uint32_t priority, void *owner);

#endif /* VNET_NETLINK_H */
