// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_select - route selection as per-preference lists of keys.
 */
#include <string.h>

#include "vrs_reason.h"
#include "vrs_select.h"

/* A ranking key; a lower value is better. */
enum vrs_sel_key {
	VRS_KEY_END = 0,
	VRS_KEY_ER_FIRST, /* ExpressRoute before VPN/NVA */
	VRS_KEY_ER_LAST,  /* VPN/NVA before ExpressRoute */
	VRS_KEY_AS_PATH,  /* shorter AS path */
};

#define VRS_SEL_MAX_KEYS 3

static const struct {
	const char *name;
	enum vrs_sel_key keys[VRS_SEL_MAX_KEYS];
} vrs_hub_prefs[VRS_HUB_PREF_COUNT] = {
	[VRS_HUB_PREF_EXPRESSROUTE] =
		{
			.name = "expressroute",
			.keys = {VRS_KEY_ER_FIRST, VRS_KEY_AS_PATH},
		},
	[VRS_HUB_PREF_VPN_GATEWAY] =
		{
			.name = "vpn-gateway",
			.keys = {VRS_KEY_ER_LAST, VRS_KEY_AS_PATH},
		},
	[VRS_HUB_PREF_AS_PATH] =
		{
			.name = "as-path",
			.keys = {VRS_KEY_AS_PATH, VRS_KEY_ER_FIRST},
		},
};

static uint32_t vrs_sel_key_value(enum vrs_sel_key key,
				  const struct vrs_candidate *c)
{
	bool er = c->role == VRS_ROLE_EXPRESSROUTE_GW;

	switch (key) {
	case VRS_KEY_ER_FIRST:
		return er ? 0 : 1;
	case VRS_KEY_ER_LAST:
		return er ? 1 : 0;
	case VRS_KEY_AS_PATH:
		return c->as_path_len;
	case VRS_KEY_END:
		break;
	}
	return 0;
}

int vrs_select_cmp(enum vrs_hub_pref pref, const struct vrs_candidate *a,
		   const struct vrs_candidate *b)
{
	size_t i;

	if ((unsigned int)pref >= VRS_HUB_PREF_COUNT)
		pref = VRS_HUB_PREF_EXPRESSROUTE;
	for (i = 0; i < VRS_SEL_MAX_KEYS; i++) {
		enum vrs_sel_key key = vrs_hub_prefs[pref].keys[i];
		uint32_t va, vb;

		if (key == VRS_KEY_END)
			break;
		va = vrs_sel_key_value(key, a);
		vb = vrs_sel_key_value(key, b);
		if (va != vb)
			return va < vb ? -1 : 1;
	}
	return 0;
}

size_t vrs_select(enum vrs_hub_pref pref, const struct vrs_candidate *cand,
		  size_t n, size_t *sel, size_t cap)
{
	size_t best = 0, i, count = 0;

	if (!n)
		return 0;
	for (i = 1; i < n; i++)
		if (vrs_select_cmp(pref, &cand[i], &cand[best]) < 0)
			best = i;
	for (i = 0; i < n; i++) {
		if (vrs_select_cmp(pref, &cand[i], &cand[best]))
			continue;
		if (sel && count < cap)
			sel[count] = i;
		count++;
	}
	return count;
}

const char *vrs_hub_pref_name(enum vrs_hub_pref pref)
{
	if ((unsigned int)pref >= VRS_HUB_PREF_COUNT)
		return "unknown";
	return vrs_hub_prefs[pref].name;
}

int vrs_hub_pref_from_string(const char *s, enum vrs_hub_pref *pref,
			     char *reason, size_t reason_len)
{
	unsigned int i;

	for (i = 0; s && i < VRS_HUB_PREF_COUNT; i++) {
		if (!strcmp(s, vrs_hub_prefs[i].name)) {
			*pref = (enum vrs_hub_pref)i;
			return 0;
		}
	}
	vrs_reasonf(
		reason, reason_len,
		"unknown hub routing preference '%s'; use expressroute, vpn-gateway or as-path",
		s ? s : "");
	return -1;
}
