// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_rmap - a user's route-map on a route-server peering: the rules.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vrs_reason.h"
#include "vrs_rmap.h"

#define VRS_RMAP_ASN_MAX 65535u

int vrs_rmap_name_check(const char *name, char *reason, size_t len)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > VRS_RMAP_NAME_MAX) {
		vrs_reasonf(reason, len,
			    "route-map name: 1 to %d characters",
			    VRS_RMAP_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)name[i]) || name[i] == '\'' ||
		    name[i] == '"') {
			vrs_reasonf(reason, len,
				    "route-map name '%s': no blanks, quotes or control characters",
				    name);
			return -1;
		}
	if (strncmp(name, "VRS-", 4) == 0) {
		vrs_reasonf(reason, len,
			    "route-map %s: names starting with VRS- are the route server's own maps; give your map another name",
			    name);
		return -1;
	}
	return 0;
}

/* Azure's actions: AS path prepend/replace (and exclude, which removes
 * ASNs), communities add/remove/replace. */
static const char *const vrs_rmap_allowed[] = {
	"as-path-prepend", "as-path-exclude", "as-path-replace",
	"set-community",   "comm-list-delete",
};

#define VRS_RMAP_ALLOWED_TEXT                                                  \
	"a peering route-map may only drop routes (deny), change the AS path (set as-path prepend|exclude|replace) or the communities (set community, set comm-list delete)"

bool vrs_rmap_set_allowed(const char *action, char *reason, size_t len)
{
	const char *colon = action ? strchr(action, ':') : NULL;
	const char *id = colon ? colon + 1 : action;

	if (!id) {
		vrs_reasonf(reason, len, "%s", VRS_RMAP_ALLOWED_TEXT);
		return false;
	}
	for (size_t i = 0; i < sizeof(vrs_rmap_allowed) / sizeof(vrs_rmap_allowed[0]); i++)
		if (strcmp(id, vrs_rmap_allowed[i]) == 0)
			return true;
	vrs_reasonf(reason, len, "set action %s is not allowed: %s", id,
		    VRS_RMAP_ALLOWED_TEXT);
	return false;
}

int vrs_rmap_asn_list_check(const char *what, const char *list, char *reason,
			    size_t len)
{
	const char *s = list ? list : "";

	while (*s) {
		char *end;
		unsigned long v;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (strncmp(s, "any", 3) == 0 && (s[3] == ' ' || !s[3])) {
			s += 3;
			continue;
		}
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno || (*end && *end != ' ')) {
			vrs_reasonf(reason, len, "%s: '%s' is not an AS number",
				    what, list);
			return -1;
		}
		if (v == 0 || v > VRS_RMAP_ASN_MAX) {
			vrs_reasonf(reason, len,
				    "%s: AS %lu is not a 2-byte AS number: route maps on peerings take 2-byte ASNs only (1-65535)",
				    what, v);
			return -1;
		}
		s = end;
	}
	return 0;
}

static bool vrs_rmap_has(const uint32_t *arr, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == v)
			return true;
	return false;
}

bool vrs_rmap_as_path_ok(const uint32_t *orig, size_t n_orig,
			 const uint32_t *res, size_t n_res, uint32_t *bad)
{
	for (size_t i = 0; i < n_res; i++) {
		if (res[i] <= VRS_RMAP_ASN_MAX && res[i] != 0)
			continue;
		if (vrs_rmap_has(orig, n_orig, res[i]))
			continue;
		if (bad)
			*bad = res[i];
		return false;
	}
	return true;
}

static const char *const vrs_rmap_verdict_names[VRS_RMAP_VERDICT_COUNT] = {
	[VRS_RMAP_NONE] = "none",
	[VRS_RMAP_PERMITTED] = "permitted",
	[VRS_RMAP_MODIFIED] = "modified",
	[VRS_RMAP_DENIED] = "denied",
	[VRS_RMAP_NOT_DEFINED] = "notDefined",
	[VRS_RMAP_EXEMPT] = "exempt",
	[VRS_RMAP_NOT_REACHED] = "notReached",
	[VRS_RMAP_SUMMARIZED] = "summarized",
	[VRS_RMAP_SUMMARY] = "summary",
};

const char *vrs_rmap_verdict_name(enum vrs_rmap_verdict v)
{
	if ((unsigned int)v >= VRS_RMAP_VERDICT_COUNT)
		return "none";
	return vrs_rmap_verdict_names[v];
}

const char *vrs_rmap_dir_name(enum vrs_rmap_dir d)
{
	return d == VRS_RMAP_OUT ? "out" : "in";
}
