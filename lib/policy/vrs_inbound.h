// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_inbound - does the route server accept this route from a peer?
 *
 * Contract §3.  One route (prefix + AS path + communities) from one peer
 * is checked against a table of drop rules, in order:
 *   invalidPrefix   the prefix has host bits set or a bad length/family
 *   familyDisabled  IPv6 route while IPv6 is off
 *   asLoop          the AS path already contains the local ASN (65515)
 *   totalLimit      the route server already holds its total cap
 * The first rule that matches decides.  AS path and communities pass
 * through unchanged; the well-known communities only set flags, which
 * the outbound decision honours (vrs_outbound.h).
 *
 * Choices where the contract says "undocumented":
 *  - NO_EXPORT (65535:65281) and NO_EXPORT_SUBCONFED (65535:65283) get
 *    RFC 1997 meaning: installed, advertised to iBGP peers (the gateways)
 *    but not to eBGP peers (the NVAs).  Other well-known communities
 *    (BLACKHOLE, GRACEFUL_SHUTDOWN, ...) pass through with no effect.
 *  - Azure's internal communities (65517:*, 65518:*, 65515:10000/20000)
 *    are accepted and passed through; the route is flagged so that the
 *    CLI can show it.
 */
#ifndef VRS_INBOUND_H
#define VRS_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_prefix.h"
#include "vrs_role.h"

/* A community as the 32-bit value high:low. */
#define VRS_COMMUNITY(hi, lo) ((uint32_t)(hi) << 16 | (uint32_t)(lo))
#define VRS_COMM_NO_EXPORT VRS_COMMUNITY(65535, 65281)
#define VRS_COMM_NO_ADVERTISE VRS_COMMUNITY(65535, 65282)
#define VRS_COMM_NO_EXPORT_SUBCONFED VRS_COMMUNITY(65535, 65283)

/* Route flags derived from the communities. */
#define VRS_RT_NO_ADVERTISE 0x1u   /* advertise to no peer at all */
#define VRS_RT_NO_EXPORT 0x2u	   /* advertise to no eBGP peer (NVA) */
#define VRS_RT_AZURE_INTERNAL 0x4u /* carries an Azure-internal community */

/* Why a route was dropped; VRS_IN_ACCEPTED when it was not. */
enum vrs_in_reason {
	VRS_IN_ACCEPTED = 0,
	VRS_IN_INVALID_PREFIX,
	VRS_IN_FAMILY_DISABLED,
	VRS_IN_AS_LOOP,
	/* Not produced here: routes of an UPDATE that tripped the per-peer
	 * limit (vrs_limit_check), so that the adapter can count them. */
	VRS_IN_PEER_LIMIT,
	VRS_IN_TOTAL_LIMIT,
	/* Not produced here: the user's inbound route-map on the peering
	 * denied the route after these rules accepted it (vrs_rmap.h). */
	VRS_IN_ROUTE_MAP,
	VRS_IN_REASON_COUNT,
};

/* Route-server settings the inbound rules read. */
struct vrs_inbound_settings {
	uint32_t local_asn; /* the AS-loop ASN; 65515 */
	uint32_t total_cap; /* routes from all peers; 0 = no cap */
	bool ipv6;	    /* accept IPv6 routes */
};

/* One route received from a peer. */
struct vrs_inbound_route {
	enum vrs_role role; /* of the peer (all rules apply to all roles) */
	struct vrs_prefix prefix;
	const uint32_t *as_path; /* flattened (AS_SET members included) */
	size_t as_path_len;
	const uint32_t *communities;
	size_t n_communities;
	/* The peer already has an accepted route for this prefix (implicit
	 * withdraw): it does not grow the total. */
	bool replaces_accepted;
};

/* The decision. */
struct vrs_inbound_result {
	bool accept;
	enum vrs_in_reason reason;
	uint32_t flags; /* VRS_RT_*, also set for dropped routes */
};

/* Defaults: local ASN 65515, total cap 10,000, IPv6 on. */
void vrs_inbound_settings_init(struct vrs_inbound_settings *s);

/*
 * Decide for one route, given the number of routes accepted from all
 * peers now (for the total cap).  Returns res->accept.
 */
bool vrs_inbound_decide(const struct vrs_inbound_settings *s,
			uint32_t total_accepted,
			const struct vrs_inbound_route *rt,
			struct vrs_inbound_result *res);

/* VRS_RT_* flags of a community list. */
uint32_t vrs_inbound_community_flags(const uint32_t *communities, size_t n);

/* Does the AS path contain asn? */
bool vrs_as_path_contains(const uint32_t *as_path, size_t len, uint32_t asn);

/* Stable camelCase name for JSON: "accepted", "asLoop", "totalLimit"... */
const char *vrs_in_reason_name(enum vrs_in_reason reason);

#endif /* VRS_INBOUND_H */
