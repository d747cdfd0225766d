// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: fabric client (protocol version 2). Publishes one table per
 * VNet (the effective routes of the VNets this route server programs) to
 * vnet-agent (agent/README.md, lib/fabric/vrs_fabric.proto) over a unix
 * stream socket, from bgpd's event loop: non-blocking, reconnecting,
 * incremental (per-prefix deltas; a chunked Snapshot only on (re)connect),
 * with a next-hop-down fast path. Knows nothing of bgpd's structs.
 */
#ifndef BGP_RS_FABRIC_H
#define BGP_RS_FABRIC_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct thread_master;
struct json_object;
struct vrs_eff_route;
struct vrs_prefix;
struct vrs_addr;	/* lib/policy/vrs_prefix.h */

/* One VNet's complete desired effective routes (caller keeps ownership). */
struct rs_fabric_table {
	const char *vnet;
	const struct vrs_eff_route *routes;
	size_t n_routes;
};

/* Keepalive interval announced in Hello; the agent drops after 3x. */
#define RS_FABRIC_KEEPALIVE_MS_DEFAULT 3000

/* From frr_late_init: no sockets yet. */
void rs_fabric_init(struct thread_master *tm);
/* From frr_fini: close, free everything. */
void rs_fabric_fini(void);

/*
 * Configure (or reconfigure) the connection: agent unix socket path, this
 * route-server instance's id (0 or 1) and name (e.g. "rs-spoke-0").
 * Connects asynchronously (event), reconnects with backoff (0.2 s .. 5 s)
 * when the agent is absent or goes away. path NULL = disable and close.
 * The published state is kept across reconfiguration (and sent as a
 * Snapshot on the new connection); an unchanged configuration is a no-op.
 * An invalid id or name is refused with a warning (configuration unchanged).
 */
void rs_fabric_configure(const char *path, uint32_t instance_id,
			 const char *instance_name);

/*
 * Keepalive interval announced in Hello (100..600000 ms, 0 = default).
 * Takes effect on the next connection.
 */
void rs_fabric_set_keepalive(uint32_t ms);

/*
 * Full state: every VNet this instance programs. Diffs against what the
 * client holds (O(table)); unchanged prefixes cost nothing on the wire. A
 * VNet absent from tables is removed (removed_tables).
 * rs_fabric_publish(NULL, 0) = "no VNet has routes from me". Nothing is
 * sent before the first call (it makes the Snapshot: publish the first
 * time only once the routing state has converged). Routes the protocol
 * cannot carry (e.g. a next-hop type that needs a next hop but has none)
 * are left out and counted (routesSkipped). The first change after a
 * quiet period goes out at once; changes made while a frame waits for its
 * Ack are coalesced into the next Update.
 */
void rs_fabric_publish(const struct rs_fabric_table *tables, size_t n_tables);

/*
 * Incremental (O(changed)): for VNet vnet, these prefixes changed. routes
 * = new desired entries (add or replace), withdrawn = prefixes no longer
 * in the table (absent ones are ignored). Ignored (returns false) before
 * the first rs_fabric_publish() or for a VNet not in the state; the caller
 * then does a full publish.
 */
bool rs_fabric_publish_delta(const char *vnet,
			     const struct vrs_eff_route *routes, size_t n_routes,
			     const struct vrs_prefix *withdrawn,
			     size_t n_withdrawn);

/*
 * Fast path: next hops this instance just lost every path through; queued
 * in front of everything, sent at once (no coalescing; a separate small
 * frame, even while another frame waits for its Ack). The client keeps
 * the down set (sent in every Snapshot); an address that appears again as
 * a next hop in a published route is declared up (nexthops_up) in the
 * Update that carries it. Addresses already down are ignored. Returns how
 * many addresses were newly declared down.
 */
size_t rs_fabric_nexthops_down(const struct vrs_addr *addrs, size_t n);

/*
 * Status for `show route-server fabric json`: configured path, connected,
 * instance, last sequence sent/acked, messages sent, reconnects, last error,
 * VNets and routes held, next-hop sets, deltas sent. camelCase keys.
 */
void rs_fabric_status_json(struct json_object *json);

/* What the fabric client holds for one VNet's route for one prefix. */
struct rs_fabric_route_info {
	bool enabled;	     /* a socket is configured */
	bool connected;	     /* session with the agent established */
	bool in_sync;	     /* the agent acked the last published state */
	bool published;	     /* anything was published yet */
	uint32_t instance_id;
	char instance_name[32];
	char socket[108];
	const char *state;   /* connection state, as in show ... fabric */
	bool vnet_published; /* the VNet is in the published state */
	bool route;	     /* the prefix is in the VNet's published table */
	bool route_sent;     /* the same route is in what the agent was sent */
	bool active;	     /* its state is Active */
	size_t n_nexthops;
	char nexthops[8][48];
};

/* family is AF_INET or AF_INET6, addr the prefix bytes (network order). */
void rs_fabric_route_info(const char *vnet, int family, const uint8_t *addr,
			  uint8_t plen, struct rs_fabric_route_info *out);

/*
 * Ask the agent (its status socket, PATH.status; blocking, 500 ms in all)
 * which VNet/instance/table a VM has. 0 and out filled; -1 with a reason
 * (no socket configured, agent not answering, VM unknown).
 */
struct rs_fabric_vm_info {
	char vnet[65];
	char ip[48];
	int assigned;	/* instance the VM is assigned to */
	int in_use;	/* instance its table draws from, -1 none */
	uint32_t table;
	char netns[65];	/* the VNet's namespace ("" if not said) */
};

int rs_fabric_query_vm(const char *vm, struct rs_fabric_vm_info *out,
		       char *reason, size_t rlen);

#endif /* BGP_RS_FABRIC_H */
