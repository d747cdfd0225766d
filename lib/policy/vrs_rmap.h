// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_rmap - a user's route-map on a route-server peering (contract §9).
 *
 * Azure's route maps on peerings: one inbound and one outbound map per
 * peering; match anything, act by dropping, by changing the AS path
 * (prepend, exclude, replace) or the communities (add, remove, replace);
 * only 2-byte ASNs in the rules; the VNet address space the route server
 * advertises is never changed nor dropped. The adapter chains the user's
 * map after the module's own policy; this file holds the rules it applies,
 * free of FRR:
 *
 *  - which route-map names a peering may reference (not the module's
 *    own VRS-* maps);
 *  - which set actions (frr-bgp-route-map YANG identities) a peering map
 *    may use, and the ASN lists of the AS-path actions (2-byte only);
 *  - at run time, whether the AS path a map produced is acceptable: every
 *    ASN the map added must be a 2-byte one, else the change is ignored
 *    (the map was changed after the peering referenced it);
 *  - the verdict names shown by explain and learned/advertised routes.
 */
#ifndef VRS_RMAP_H
#define VRS_RMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRS_RMAP_NAME_MAX 63

enum vrs_rmap_dir {
	VRS_RMAP_IN,
	VRS_RMAP_OUT,
};

/* What a user's map did to one route. */
enum vrs_rmap_verdict {
	VRS_RMAP_NONE = 0,	/* no user map on this peering/direction */
	VRS_RMAP_PERMITTED,	/* permitted, nothing changed */
	VRS_RMAP_MODIFIED,	/* permitted, AS path or communities changed */
	VRS_RMAP_DENIED,	/* the map denies: dropped / withheld */
	VRS_RMAP_NOT_DEFINED,	/* the map does not exist: denies (bgpd) */
	VRS_RMAP_EXEMPT,	/* VNet address space: the map is not applied */
	VRS_RMAP_NOT_REACHED,	/* the module's policy decided first */
	VRS_RMAP_SUMMARIZED,	/* inside a summary of the map: withheld,
				   the summary goes instead (vrs_summary) */
	VRS_RMAP_SUMMARY,	/* the map's summary itself: not applied */
	VRS_RMAP_VERDICT_COUNT,
};

/* Changes of a map that were ignored (run time), a bit set. */
#define VRS_RMAP_IGN_AS_PATH 0x1u /* added a 4-byte ASN: AS path kept */
#define VRS_RMAP_IGN_OTHER 0x2u	  /* next hop, MED, local-pref, weight,
				     origin, large/extended communities */

/* A name a peering may reference: 1..63 printable characters without
 * blanks, not the module's own "VRS-" maps. 0, or -1 with a reason. */
int vrs_rmap_name_check(const char *name, char *reason, size_t len);

/*
 * A set action of a peering's map, by its YANG identity
 * ("frr-bgp-route-map:as-path-prepend" or without the module prefix):
 * true when allowed; otherwise a reason that lists what is.
 */
bool vrs_rmap_set_allowed(const char *action, char *reason, size_t len);

/*
 * The ASN list of "set as-path prepend|exclude|replace" ("65001 65002",
 * "any"): 0 when every ASN is a 2-byte one (1..65535), else -1 and a
 * reason naming the first offending ASN.
 */
int vrs_rmap_asn_list_check(const char *what, const char *list, char *reason,
			    size_t len);

/*
 * Run time: may the AS path a user's map produced (res) replace the
 * original one (orig)? Every ASN in res that is not in orig must be a
 * 2-byte one. false and *bad = the first offending ASN otherwise.
 */
bool vrs_rmap_as_path_ok(const uint32_t *orig, size_t n_orig,
			 const uint32_t *res, size_t n_res, uint32_t *bad);

/* camelCase names: "permitted", "modified", "denied", "notDefined",
 * "exempt", "notReached", "summarized", "summary" ("none" for
 * VRS_RMAP_NONE). */
const char *vrs_rmap_verdict_name(enum vrs_rmap_verdict v);
const char *vrs_rmap_dir_name(enum vrs_rmap_dir d); /* "in", "out" */

#endif /* VRS_RMAP_H */
