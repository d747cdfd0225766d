// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_limit - per-peer route limit and the route server's total cap.
 *
 * Contract §3.  Per peer (default 4,000), two counting modes:
 *  - max-prefix: the plain BGP maximum-prefix; counts the distinct
 *    prefixes the peer would have after the UPDATE (current + new ones);
 *  - ars: what Azure Route Server does; counts the routes currently
 *    learned from the peer plus every prefix in the incoming UPDATE, so
 *    re-advertising 2,001 known routes counts 4,002.
 * Over the limit the session is torn down.
 *
 * The per-peer count is of prefixes the peer announced (after the
 * UPDATE's withdrawals), whatever inbound policy then did with them:
 * whether a peer is torn down depends on that peer alone, never on what
 * other peers sent.
 *
 * Total cap (default 10,000 across all peers): routes beyond it are not
 * accepted (dropped with reason "totalLimit", see vrs_inbound.h) and the
 * session stays up; first come, first served.  A dropped route is not
 * retried by itself when room frees up: the adapter asks the peer for a
 * ROUTE-REFRESH (or re-runs soft-reconfiguration) for that.
 */
#ifndef VRS_LIMIT_H
#define VRS_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRS_LIMIT_PER_PEER_DEFAULT 4000u
#define VRS_LIMIT_TOTAL_DEFAULT 10000u

/* How the per-peer limit counts. */
enum vrs_limit_mode {
	VRS_LIMIT_MAX_PREFIX, /* "max-prefix": current + new prefixes */
	VRS_LIMIT_ARS,	      /* "ars": current + all prefixes in UPDATE */
	VRS_LIMIT_MODE_COUNT,
};

/* One UPDATE from a peer, as the limit sees it. */
struct vrs_limit_update {
	uint32_t current;      /* prefixes learned from the peer now, after
				* this UPDATE's withdrawals */
	uint32_t announced;    /* prefixes announced in this UPDATE */
	uint32_t new_prefixes; /* of those, not yet learned from the peer */
};

/* Result of the per-peer check. */
struct vrs_limit_verdict {
	bool teardown;	  /* count > limit: close the session */
	uint64_t counted; /* the count compared with the limit */
};

/*
 * Apply the per-peer limit to one UPDATE.  limit 0 means no limit (the
 * count is still reported).  new_prefixes larger than announced is
 * clamped to announced.
 */
struct vrs_limit_verdict vrs_limit_check(enum vrs_limit_mode mode,
					 uint32_t limit,
					 const struct vrs_limit_update *upd);

/*
 * May one more route be accepted, given the routes accepted from all
 * peers now?  True while total_accepted < total_cap; total_cap 0 means
 * no cap.  A route that replaces one already accepted from the same peer
 * (implicit withdraw) does not grow the total and is always admitted.
 */
bool vrs_limit_total_admit(uint32_t total_cap, uint32_t total_accepted,
			   bool replaces_accepted);

/* "max-prefix", "ars"; "unknown" otherwise. */
const char *vrs_limit_mode_name(enum vrs_limit_mode mode);

/* Parse a mode name; 0 on success, -1 (with reason) otherwise. */
int vrs_limit_mode_from_string(const char *s, enum vrs_limit_mode *mode,
			       char *reason, size_t reason_len);

#endif /* VRS_LIMIT_H */
