// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: fabric client. Publishes every emulated VM's effective routes
 * to vnet-agent (agent/README.md, lib/fabric/vrs_fabric.proto) over a unix
 * stream socket, from bgpd's event loop: non-blocking, reconnecting,
 * coalescing. Knows nothing of bgpd's structs.
 */
#ifndef BGP_RS_FABRIC_H
#define BGP_RS_FABRIC_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct thread_master;
struct json_object;
struct vrs_eff_route;

/* One VM's desired effective routes (the caller keeps ownership). */
struct rs_fabric_vm {
	const char *name;
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
 * Replace the full desired state (all VMs this instance programs). The
 * client copies what it needs, compares with what the agent last
 * acknowledged/was sent, and sends a Snapshot (first time and after every
 * reconnect) or an Update carrying only the VMs whose tables changed (and
 * removed VMs). Coalesces: calls within 50 ms, and calls made while a
 * message waits for its Ack, produce one message.
 *
 * A Snapshot is authoritative for the agent: publish the first time only
 * once the routing state has converged. Nothing is sent before the first
 * call; rs_fabric_publish(NULL, 0) says "no VM has routes from me".
 * Routes the protocol cannot carry (e.g. a next-hop type that needs a next
 * hop but has none) are left out and counted (routesSkipped).
 */
void rs_fabric_publish(const struct rs_fabric_vm *vms, size_t n_vms);

/*
 * Status for `show route-server fabric json`: configured path, connected,
 * instance, last sequence sent/acked, messages sent, reconnects, last error,
 * number of VMs and routes published. camelCase keys.
 */
void rs_fabric_status_json(struct json_object *json);

/* What the fabric client knows of one VM's route for one prefix (explain). */
struct rs_fabric_route_info {
	bool enabled;	     /* a socket is configured */
	bool connected;	     /* session with the agent established */
	bool in_sync;	     /* the agent acked the last published state */
	bool published;	     /* anything was published yet */
	uint32_t instance_id;
	char instance_name[32];
	char socket[108];
	const char *state;   /* connection state, as in show ... fabric */
	bool vm_published;   /* the VM is in the published state */
	bool route;	     /* the prefix is in the VM's published table */
	bool route_sent;     /* the same route is in what the agent was sent */
	bool active;	     /* its state is Active */
	size_t n_nexthops;
	char nexthops[8][48];
};

/* family is AF_INET or AF_INET6, addr the prefix bytes (network order). */
void rs_fabric_route_info(const char *vm, int family, const uint8_t *addr,
			  uint8_t plen, struct rs_fabric_route_info *out);

#endif /* BGP_RS_FABRIC_H */
