// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_vnet - the VNet model: address spaces, peerings, gateway transit.
 *
 * Contract §7.  A VNet has address spaces, may have its own route server
 * and/or gateway, and peerings.  As in Azure, a peering is one object per
 * side: VNet A's peering to B carries A's flags, B's peering to A carries
 * B's.  A peering is connected only when both sides exist (Azure's
 * "Initiated" state otherwise: nothing is exchanged).
 *
 *   use_remote_gateway     (spoke side) useRemoteGateways
 *   allow_gateway_transit  (hub side)   allowGatewayTransit
 *
 * With both set and a route server in the hub, the hub route server
 * advertises the spoke's address spaces to its NVAs and programs the
 * spoke's VMs.  No transitivity beyond directly peered VNets.
 *
 * The model is a caller-provided array of struct vrs_vnet (no allocation);
 * VNets refer to each other by name.  Validation (vrs_vnets_validate)
 * is strict, as Azure's API is: use_remote_gateway is refused unless the
 * remote VNet has a gateway or route server and its peering back already
 * allows gateway transit (configure the hub side first).  The queries
 * below are also defensive: a use_remote_gateway that validation would
 * refuse has no effect.
 */
#ifndef VRS_VNET_H
#define VRS_VNET_H

#include <stdbool.h>
#include <stddef.h>

#include "vrs_prefix.h"

#define VRS_VNET_NAME_MAX 64 /* including the NUL */
#define VRS_VNET_MAX_SPACES 8
#define VRS_VNET_MAX_PEERINGS 16

/* This VNet's side of a peering. */
struct vrs_peering {
	char remote[VRS_VNET_NAME_MAX]; /* name of the peered VNet */
	bool use_remote_gateway;
	bool allow_gateway_transit;
};

/* One VNet. */
struct vrs_vnet {
	char name[VRS_VNET_NAME_MAX];
	struct vrs_prefix spaces[VRS_VNET_MAX_SPACES];
	size_t n_spaces;
	bool has_route_server;
	bool has_gateway;
	struct vrs_peering peerings[VRS_VNET_MAX_PEERINGS];
	size_t n_peerings;
};

/* Reset v and name it; -1 (with reason) if the name is empty or long. */
int vrs_vnet_init(struct vrs_vnet *v, const char *name, char *reason,
		  size_t reason_len);

/*
 * Add an address space; refused (with reason) when invalid, when the
 * VNet is full, or when it overlaps one of the VNet's spaces.
 */
int vrs_vnet_add_space(struct vrs_vnet *v, const struct vrs_prefix *space,
		       char *reason, size_t reason_len);

/*
 * Add this VNet's side of a peering to remote; refused (with reason)
 * for a peering to itself, a second peering to the same VNet, or a full
 * table.  Cross-VNet rules are checked by vrs_vnets_validate().
 */
int vrs_vnet_add_peering(struct vrs_vnet *v, const char *remote,
			 bool use_remote_gateway, bool allow_gateway_transit,
			 char *reason, size_t reason_len);

/* The VNet called name, or NULL. */
const struct vrs_vnet *vrs_vnet_find(const struct vrs_vnet *vnets, size_t n,
				     const char *name);

/* v's peering to the VNet called remote, or NULL. */
const struct vrs_peering *vrs_vnet_find_peering(const struct vrs_vnet *v,
						const char *remote);

/*
 * The VNet that p (a peering of v) leads to, if the peering is connected
 * (the remote VNet exists and has a peering back to v); NULL otherwise.
 */
const struct vrs_vnet *vrs_vnet_peer(const struct vrs_vnet *vnets, size_t n,
				     const struct vrs_vnet *v,
				     const struct vrs_peering *p);

/*
 * The hub whose gateway / route server v effectively uses: v has no RS
 * or gateway of its own, its peering sets use_remote_gateway, the
 * peering is connected, the hub's side allows gateway transit, and the
 * hub has a gateway or route server.  NULL otherwise.
 */
const struct vrs_vnet *vrs_vnet_remote_gateway(const struct vrs_vnet *vnets,
					       size_t n,
					       const struct vrs_vnet *v);

/*
 * The VNet whose route server programs v's VMs: v itself if it has a
 * route server, else the hub from vrs_vnet_remote_gateway() if that has
 * one; NULL when no route server programs v.
 */
const struct vrs_vnet *vrs_vnet_programming_rs(const struct vrs_vnet *vnets,
					       size_t n,
					       const struct vrs_vnet *v);

/*
 * VNets whose VMs the route server of rs programs: rs itself and its
 * spokes (in array order, rs first).  Returns how many there are (0 if
 * rs has no route server) and stores up to cap of them in out.
 */
size_t vrs_rs_programmed_vnets(const struct vrs_vnet *vnets, size_t n,
			       const struct vrs_vnet *rs,
			       const struct vrs_vnet **out, size_t cap);

/*
 * Address spaces the route server of rs advertises to NVAs (§5): those of
 * the VNets it programs, sorted by vrs_prefix_cmp.  Returns the number
 * (0 if rs has no route server); stores the first cap in out.
 */
size_t vrs_rs_advertised_spaces(const struct vrs_vnet *vnets, size_t n,
				const struct vrs_vnet *rs,
				struct vrs_prefix *out, size_t cap);

/*
 * Check the whole model; 0 if fine, else -1 with the first problem:
 * names (empty, duplicate), address spaces (none, invalid, overlapping
 * inside a VNet or with a peered VNet), peerings (unknown or duplicate
 * remote, to itself) and the gateway-transit rules of §7.
 */
int vrs_vnets_validate(const struct vrs_vnet *vnets, size_t n, char *reason,
		       size_t reason_len);

/*
 * The same rules for a model that is still being configured one command
 * at a time: a VNet without address spaces yet is accepted, every other
 * rule (overlaps, peerings, gateway transit) applies.
 */
int vrs_vnets_validate_draft(const struct vrs_vnet *vnets, size_t n,
			     char *reason, size_t reason_len);

#endif /* VRS_VNET_H */
