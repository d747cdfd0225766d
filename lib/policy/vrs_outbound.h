// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_outbound - does the route server advertise this route to that peer?
 *
 * Contract §5.  The decision is a matrix source x destination role, each
 * cell "never", "always" or "only with branch-to-branch on":
 *
 *   source \ to      nva      expressroute-gw  vpn-gw
 *   nva              always   b2b              b2b
 *   expressroute-gw  b2b      never            b2b
 *   vpn-gw           b2b      b2b              never
 *   vnet             always   b2b              b2b
 *
 * "vnet" is the route server's own VNet address space and the spokes that
 * use it (vrs_vnet.h); it goes to NVAs with the route-server instance IP
 * as next hop; learned routes keep their next hop (route-server-client
 * semantics).  Routes learned from an NVA are not sent back to the same
 * peer: the caller (bgpd) handles that.  Gateway to the same kind of
 * gateway is "never": both instances of a gateway are one device, and
 * iBGP split horizon applies.
 *
 * Before the matrix: NO_ADVERTISE never leaves the route server.  After
 * it: NO_EXPORT does not go to eBGP peers (NVAs); then the ExpressRoute
 * cap: with branch-to-branch on, at most er_cap (default 1,000) routes go
 * to an ExpressRoute gateway.  Choice (undocumented): routes beyond the
 * cap are withheld, first come first served in the adapter's walk
 * (prefix order), and the session stays up; the VNet route counts too.
 */
#ifndef VRS_OUTBOUND_H
#define VRS_OUTBOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "vrs_role.h"

#define VRS_ER_CAP_DEFAULT 1000u

/* Route-server settings the outbound rules read. */
struct vrs_outbound_settings {
	bool branch_to_branch; /* allowBranchToBranchTraffic, default off */
	uint32_t er_cap;       /* routes to an ER gateway; 0 = no cap */
};

/* One route considered for one destination peer. */
struct vrs_outbound_query {
	enum vrs_source src; /* where the route came from */
	uint32_t flags;	     /* VRS_RT_* from vrs_inbound */
	enum vrs_role dst;   /* role of the destination peer */
	uint32_t dst_sent;   /* routes already advertised to that peer */
	bool dst_has_route;  /* this prefix is among them (an update) */
};

/* Why a route is (not) advertised; stable camelCase names for JSON. */
enum vrs_out_reason {
	VRS_OUT_ADVERTISED = 0,
	VRS_OUT_NO_ADVERTISE,	      /* "noAdvertise" */
	VRS_OUT_BRANCH_TO_BRANCH_OFF, /* "branchToBranchOff" */
	VRS_OUT_SPLIT_HORIZON,	      /* "splitHorizon" */
	VRS_OUT_NO_EXPORT,	      /* "noExport" */
	VRS_OUT_ER_CAP,		      /* "expressRouteCap" */
	VRS_OUT_REASON_COUNT,
};

/* Which next hop the advertisement carries. */
enum vrs_nexthop_mode {
	VRS_NH_UNCHANGED, /* the BGP next hop as learned */
	VRS_NH_SELF,	  /* the route-server instance IP */
};

/* The decision. */
struct vrs_outbound_result {
	bool advertise;
	enum vrs_out_reason reason;
	enum vrs_nexthop_mode nexthop;
};

/* Defaults: branch-to-branch off, ExpressRoute cap 1,000. */
void vrs_outbound_settings_init(struct vrs_outbound_settings *s);

/* Decide for one route and one destination; returns res->advertise. */
bool vrs_outbound_decide(const struct vrs_outbound_settings *s,
			 const struct vrs_outbound_query *q,
			 struct vrs_outbound_result *res);

/*
 * ExpressRoute cap alone: may one more route go to an ExpressRoute
 * gateway that already got `sent` routes?  Always true for an update of
 * a route already sent, with branch-to-branch off (nothing is sent then)
 * and with cap 0.
 */
bool vrs_outbound_er_cap_allows(const struct vrs_outbound_settings *s,
				uint32_t sent, bool already_sent);

/* "advertised", "noAdvertise", "branchToBranchOff", ... */
const char *vrs_out_reason_name(enum vrs_out_reason reason);

#endif /* VRS_OUTBOUND_H */
