// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_effective - the effective route table of a VM.
 *
 * Contract §3, §4 and §7.  A VM in VNet V gets:
 *   - its VNet's address spaces              (VnetLocal)
 *   - the spaces of directly, connected-peered VNets (VNetPeering);
 *     no transitivity
 *   - the BGP routes selected by the route server that programs V
 *     (VirtualNetworkGateway), with their ECMP next hops
 *   - optionally 0.0.0.0/0 (and ::/0 for a dual-stack VNet) to the
 *     Internet (Default)
 *
 * System routes win: a BGP route equal to or inside one of V's spaces or
 * of a peered VNet's spaces is not installed, even when more specific;
 * supernets are installed.  Choice: such a route is listed with state
 * "Invalid" and coveredBy = the system route's prefix (set include_invalid
 * to false to leave it out), so operators see why it is not used.  A BGP
 * default route makes the Internet default route "Invalid", as in Azure.
 *
 * BGP routes are only injected when V is programmed by rs (vrs_vnet.h):
 * a spoke peered without use-remote-gateway learns nothing from the hub
 * route server.  Output is sorted by prefix (vrs_prefix_cmp), Active
 * before Invalid, then by source; next hops sorted, duplicates removed.
 */
#ifndef VRS_EFFECTIVE_H
#define VRS_EFFECTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_prefix.h"
#include "vrs_vnet.h"

#define VRS_EFF_MAX_NEXTHOPS 8

/* Where an effective route comes from. */
enum vrs_eff_source {
	VRS_EFF_SRC_VNET_LOCAL,		     /* "VnetLocal" */
	VRS_EFF_SRC_VNET_PEERING,	     /* "VNetPeering" */
	VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY, /* "VirtualNetworkGateway" */
	VRS_EFF_SRC_DEFAULT,		     /* "Default" */
	VRS_EFF_SRC_COUNT,
};

/* Next-hop type, named as Azure's effective routes name them. */
enum vrs_eff_nh_type {
	VRS_EFF_NH_VNET_LOCAL,		    /* "VnetLocal" */
	VRS_EFF_NH_VNET_PEERING,	    /* "VNetPeering" */
	VRS_EFF_NH_VIRTUAL_NETWORK_GATEWAY, /* "VirtualNetworkGateway" */
	VRS_EFF_NH_INTERNET,		    /* "Internet" */
	VRS_EFF_NH_COUNT,
};

enum vrs_eff_state {
	VRS_EFF_ACTIVE,	 /* "Active" */
	VRS_EFF_INVALID, /* "Invalid": overridden, not installed */
	VRS_EFF_STATE_COUNT,
};

/* One entry of the effective route table. */
struct vrs_eff_route {
	struct vrs_prefix prefix;
	enum vrs_eff_source source;
	enum vrs_eff_nh_type nh_type;
	enum vrs_eff_state state;
	/* Invalid only: the system route (or BGP default) that wins. */
	struct vrs_prefix covered_by;
	size_t n_nexthops;
	struct vrs_addr nexthops[VRS_EFF_MAX_NEXTHOPS];
};

/* One BGP route selected by the route server (prefix + ECMP next hops). */
struct vrs_bgp_route {
	struct vrs_prefix prefix;
	const struct vrs_addr *nexthops;
	size_t n_nexthops;
};

struct vrs_eff_opts {
	bool include_default; /* add the Internet default route(s) */
	bool include_invalid; /* list overridden routes as Invalid */
};

/* Defaults: include_default and include_invalid both on. */
void vrs_eff_opts_init(struct vrs_eff_opts *o);

/*
 * Effective routes of a VM in vm_vnet, given the BGP routes selected by
 * the route server of rs_vnet (NULL: no BGP routes).  vm_vnet and rs_vnet
 * point into vnets.  Returns the number of entries; stores the first cap
 * of them (in sorted order) in out.  BGP routes with an invalid prefix
 * are skipped; more than VRS_EFF_MAX_NEXTHOPS next hops are cut to the
 * lowest ones.
 */
size_t vrs_effective_routes(const struct vrs_vnet *vnets, size_t n,
			    const struct vrs_vnet *vm_vnet,
			    const struct vrs_vnet *rs_vnet,
			    const struct vrs_bgp_route *bgp, size_t n_bgp,
			    const struct vrs_eff_opts *opts,
			    struct vrs_eff_route *out, size_t cap);

/*
 * The same table for one prefix p (an incremental update after p
 * changed): exactly the entries of vrs_effective_routes() whose prefix is
 * p, in the same order, given the route server's BGP route for p (bgp
 * NULL, or a route for another prefix: none). Entries that do not depend
 * on p's BGP route come out too (a system route equal to p; the Internet
 * default when p is a default route and include_default is set), so the
 * result replaces everything the full table holds for p. Returns the
 * number of entries, stores the first cap of them in out.
 */
size_t vrs_effective_prefix(const struct vrs_vnet *vnets, size_t n,
			    const struct vrs_vnet *vm_vnet,
			    const struct vrs_vnet *rs_vnet,
			    const struct vrs_prefix *p,
			    const struct vrs_bgp_route *bgp,
			    const struct vrs_eff_opts *opts,
			    struct vrs_eff_route *out, size_t cap);

/* Names for output / JSON. */
const char *vrs_eff_source_name(enum vrs_eff_source src);
const char *vrs_eff_nh_type_name(enum vrs_eff_nh_type t);
const char *vrs_eff_state_name(enum vrs_eff_state s);

/* The order of the output: <0, 0, >0. */
int vrs_eff_route_cmp(const struct vrs_eff_route *a,
		      const struct vrs_eff_route *b);

#endif /* VRS_EFFECTIVE_H */
