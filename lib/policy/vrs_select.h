// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_select - best path(s) among candidate routes for one prefix.
 *
 * Contract §4 and §6.  Longest-prefix match happens in the forwarding
 * table; here all candidates have the same prefix.  Each hub routing
 * preference is an ordered list of keys, compared lexicographically;
 * every candidate that ties on all keys is selected (ECMP):
 *
 *   expressroute (default)  ER first, then shortest AS path
 *   vpn-gateway             VPN/NVA first, then shortest AS path
 *   as-path                 shortest AS path, then ER first
 *
 * So VPN vs NVA is always decided by AS-path length; among NVAs the
 * shortest AS path wins outright and equal lengths give ECMP, whatever
 * the AS numbers; MED is ignored (observed behaviour).
 *
 * Choices where the contract says "undocumented": under as-path, an
 * equal-length tie between ExpressRoute and VPN/NVA goes to ExpressRoute
 * (the default order); a VPN gateway and an NVA with equal AS-path
 * lengths are ECMP, as are two ExpressRoute gateway instances.
 */
#ifndef VRS_SELECT_H
#define VRS_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "vrs_role.h"

/* hubRoutingPreference. */
enum vrs_hub_pref {
	VRS_HUB_PREF_EXPRESSROUTE, /* "expressroute" (default) */
	VRS_HUB_PREF_VPN_GATEWAY,  /* "vpn-gateway" */
	VRS_HUB_PREF_AS_PATH,	   /* "as-path" */
	VRS_HUB_PREF_COUNT,
};

/* One candidate route for the prefix. */
struct vrs_candidate {
	enum vrs_role role;   /* role of the peer it was learned from */
	uint32_t as_path_len; /* as bgpd counts it (AS_SET counts 1) */
	uint32_t med;	      /* carried for display; ignored */
	uint32_t peer_id;     /* caller's id of the peer; not used to rank */
};

/*
 * Select the best candidates under pref.  Returns the size of the ECMP
 * set (0 when n is 0) and writes up to cap of their indices into sel, in
 * ascending index order (like snprintf, a return value > cap means the
 * set was truncated).
 */
size_t vrs_select(enum vrs_hub_pref pref, const struct vrs_candidate *cand,
		  size_t n, size_t *sel, size_t cap);

/* <0 when a is better than b, 0 when they tie (ECMP), >0 when worse. */
int vrs_select_cmp(enum vrs_hub_pref pref, const struct vrs_candidate *a,
		   const struct vrs_candidate *b);

/* "expressroute", "vpn-gateway", "as-path"; "unknown" otherwise. */
const char *vrs_hub_pref_name(enum vrs_hub_pref pref);

/* Parse a preference name; 0 on success, -1 (with reason) otherwise. */
int vrs_hub_pref_from_string(const char *s, enum vrs_hub_pref *pref,
			     char *reason, size_t reason_len);

#endif /* VRS_SELECT_H */
