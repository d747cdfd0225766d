// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_summary - summaries of a peering route-map (Azure's "summarize").
 *
 * Azure's route maps on peerings may replace the routes they match by a
 * summary prefix. A bgpd route-map cannot replace a prefix, so the route
 * server attaches summaries to the user's route-map name
 * ("route-server route-map NAME summarize PREFIX"): a neighbor whose
 * outbound map is NAME receives, instead of the routes inside a summary
 * of NAME, the summary once, originated by the route server (AS path
 * 65515 only, no communities, next hop the route server). This file holds
 * the rules, free of FRR:
 *
 *  - which prefixes may be summaries: not equal to, inside or containing
 *    an address space of the route server's VNet or of a peered VNet
 *    (the VNet address space cannot be changed, as in Azure), not a
 *    default route nor a host route, IPv6 only with the instance's
 *    opt-in; at most VRS_SUMMARY_MAX_PER_MAP per map, disjoint;
 *  - which routes a summary replaces: those strictly inside it;
 *  - when a summary is advertised (live): while a route-server neighbor
 *    has a usable route strictly inside it, and none for the summary
 *    prefix itself (that route is advertised as it is, not summarised).
 */
#ifndef VRS_SUMMARY_H
#define VRS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "vrs_prefix.h"

#define VRS_SUMMARY_MAX_PER_MAP 16

/* An address space the route server knows, with the VNet it belongs to. */
struct vrs_summary_space {
	struct vrs_prefix prefix;
	const char *vnet; /* its VNet's name */
	bool peered;	  /* a peered VNet's (else the route server's own) */
};

/*
 * May s be a summary of a map? ipv6: the instance's IPv6 opt-in; spaces:
 * the own and peered VNets' address spaces. 0, or -1 with a reason that
 * says what is wrong and what is allowed.
 */
int vrs_summary_check(const struct vrs_prefix *s, bool ipv6,
		      const struct vrs_summary_space *spaces, size_t n,
		      char *reason, size_t len);

/*
 * The summaries of one map together: at most VRS_SUMMARY_MAX_PER_MAP,
 * no two overlapping. 0, or -1 with a reason.
 */
int vrs_summary_check_map(const char *map, const struct vrs_prefix *sums,
			  size_t n, char *reason, size_t len);

/* Does summary s replace route p (p strictly more specific, inside s)? */
bool vrs_summary_covers(const struct vrs_prefix *s,
			const struct vrs_prefix *p);

/*
 * Is a summary advertised? n_inside: usable routes of route-server
 * neighbors strictly inside it; exact: one for the summary prefix itself.
 */
bool vrs_summary_live(size_t n_inside, bool exact);

#endif /* VRS_SUMMARY_H */
