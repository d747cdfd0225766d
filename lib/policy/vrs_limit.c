// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_limit - per-peer route limit (two counting modes) and total cap.
 */
#include <string.h>

#include "vrs_limit.h"
#include "vrs_reason.h"

static const char *const vrs_limit_mode_names[VRS_LIMIT_MODE_COUNT] = {
	[VRS_LIMIT_MAX_PREFIX] = "max-prefix",
	[VRS_LIMIT_ARS] = "ars",
};

struct vrs_limit_verdict vrs_limit_check(enum vrs_limit_mode mode,
					 uint32_t limit,
					 const struct vrs_limit_update *upd)
{
	struct vrs_limit_verdict v = {};
	uint32_t added;

	if (mode == VRS_LIMIT_ARS)
		added = upd->announced;
	else
		added = upd->new_prefixes < upd->announced ? upd->new_prefixes
							   : upd->announced;
	v.counted = (uint64_t)upd->current + added;
	v.teardown = limit && v.counted > limit;
	return v;
}

bool vrs_limit_total_admit(uint32_t total_cap, uint32_t total_accepted,
			   bool replaces_accepted)
{
	return replaces_accepted || !total_cap || total_accepted < total_cap;
}

const char *vrs_limit_mode_name(enum vrs_limit_mode mode)
{
	if ((unsigned int)mode >= VRS_LIMIT_MODE_COUNT)
		return "unknown";
	return vrs_limit_mode_names[mode];
}

int vrs_limit_mode_from_string(const char *s, enum vrs_limit_mode *mode,
			       char *reason, size_t reason_len)
{
	unsigned int i;

	for (i = 0; s && i < VRS_LIMIT_MODE_COUNT; i++) {
		if (!strcmp(s, vrs_limit_mode_names[i])) {
			*mode = (enum vrs_limit_mode)i;
			return 0;
		}
	}
	vrs_reasonf(reason, reason_len,
		    "unknown route-limit mode '%s'; use max-prefix or ars",
		    s ? s : "");
	return -1;
}
