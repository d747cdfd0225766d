// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_summary - summaries of a peering route-map: the rules.
 */
#include <string.h>

#include "vrs_reason.h"
#include "vrs_summary.h"

#define VRS_SUMMARY_ALLOWED                                                    \
	"a summary must lie outside the address spaces of the route server's " \
	"VNet and of its peered VNets (the VNet address space cannot be "      \
	"changed, as in Azure)"

int vrs_summary_check(const struct vrs_prefix *s, bool ipv6,
		      const struct vrs_summary_space *spaces, size_t n,
		      char *reason, size_t len)
{
	char a[VRS_PREFIX_STRLEN], b[VRS_PREFIX_STRLEN];
	unsigned int bits;

	if (!s || !vrs_prefix_valid(s)) {
		vrs_reasonf(reason, len,
			    "summary: a prefix A.B.C.D/M (or X:X::X:X/M with 'route-server ipv6') with host bits clear");
		return -1;
	}
	vrs_prefix_str(s, a, sizeof(a));
	if (s->addr.family == VRS_AF_IPV6 && !ipv6) {
		vrs_reasonf(reason, len,
			    "summary %s is IPv6: the route server is IPv4 only unless 'route-server ipv6' is set (as in Azure, whose route server has no IPv6)",
			    a);
		return -1;
	}
	bits = vrs_family_bits(s->addr.family);
	if (s->len == 0 || s->len >= bits) {
		vrs_reasonf(reason, len,
			    "summary %s: a summary is a prefix of length 1 to %u (neither a default route nor a host route)",
			    a, bits - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vrs_prefix *sp = &spaces[i].prefix;
		const char *how;

		if (!vrs_prefix_overlaps(s, sp))
			continue;
		if (vrs_prefix_cmp(s, sp) == 0)
			how = "is";
		else if (vrs_prefix_contains(sp, s))
			how = "is inside";
		else
			how = "contains";
		vrs_prefix_str(sp, b, sizeof(b));
		vrs_reasonf(reason, len,
			    "summary %s %s the address space %s of %s VNet %s: %s",
			    a, how, b, spaces[i].peered ? "peered" : "the route server's",
			    spaces[i].vnet ? spaces[i].vnet : "", VRS_SUMMARY_ALLOWED);
		return -1;
	}
	return 0;
}

int vrs_summary_check_map(const char *map, const struct vrs_prefix *sums,
			  size_t n, char *reason, size_t len)
{
	char a[VRS_PREFIX_STRLEN], b[VRS_PREFIX_STRLEN];

	if (n > VRS_SUMMARY_MAX_PER_MAP) {
		vrs_reasonf(reason, len,
			    "route-map %s has %zu summaries: at most %d per route-map",
			    map, n, VRS_SUMMARY_MAX_PER_MAP);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			if (!vrs_prefix_overlaps(&sums[i], &sums[j]))
				continue;
			vrs_reasonf(reason, len,
				    "route-map %s: summaries %s and %s overlap; the summaries of one route-map must be disjoint",
				    map, vrs_prefix_str(&sums[i], a, sizeof(a)),
				    vrs_prefix_str(&sums[j], b, sizeof(b)));
			return -1;
		}
	return 0;
}

bool vrs_summary_covers(const struct vrs_prefix *s, const struct vrs_prefix *p)
{
	return s && p && p->len > s->len && vrs_prefix_contains(s, p);
}

bool vrs_summary_live(size_t n_inside, bool exact)
{
	return n_inside > 0 && !exact;
}
