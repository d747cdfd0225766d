// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_select - best path / ECMP under each hub routing preference
 * (contract §4, §6).
 */
#include <string.h>

#include "test_policy.h"

#define MAXC 6
#define NVA(len)                                                               \
	{                                                                      \
		.role = VRS_ROLE_NVA, .as_path_len = (len)                     \
	}
#define NVA_MED(len, m)                                                        \
	{                                                                      \
		.role = VRS_ROLE_NVA, .as_path_len = (len), .med = (m)         \
	}
#define ER(len)                                                                \
	{                                                                      \
		.role = VRS_ROLE_EXPRESSROUTE_GW, .as_path_len = (len)         \
	}
#define VPN(len)                                                               \
	{                                                                      \
		.role = VRS_ROLE_VPN_GW, .as_path_len = (len)                  \
	}
#define P_ER VRS_HUB_PREF_EXPRESSROUTE
#define P_VPN VRS_HUB_PREF_VPN_GATEWAY
#define P_ASP VRS_HUB_PREF_AS_PATH

static void test_selection(void)
{
	static const struct {
		const char *what;
		enum vrs_hub_pref pref;
		struct vrs_candidate c[MAXC];
		size_t n;
		size_t want[MAXC];
		size_t n_want;
	} cases[] = {
		{"NVAs: shortest AS path wins outright",
		 P_ER,
		 {NVA(3), NVA(2)},
		 2,
		 {1},
		 1},
		{"NVAs: equal length is ECMP",
		 P_ER,
		 {NVA(3), NVA(3), NVA(4)},
		 3,
		 {0, 1},
		 2},
		{"NVAs: MED ignored",
		 P_ER,
		 {NVA_MED(2, 100), NVA_MED(2, 0)},
		 2,
		 {0, 1},
		 2},
		{"active/passive by prepend",
		 P_ER,
		 {NVA(4), NVA(2), NVA(2), NVA(5)},
		 4,
		 {1, 2},
		 2},
		{"expressroute: ER beats shorter NVA",
		 P_ER,
		 {NVA(1), ER(4)},
		 2,
		 {1},
		 1},
		{"expressroute: ER beats VPN",
		 P_ER,
		 {VPN(1), ER(3)},
		 2,
		 {1},
		 1},
		{"expressroute: two ER instances ECMP",
		 P_ER,
		 {ER(3), NVA(1), ER(3)},
		 3,
		 {0, 2},
		 2},
		{"expressroute: VPN vs NVA by path",
		 P_ER,
		 {VPN(2), NVA(3)},
		 2,
		 {0},
		 1},
		{"vpn-gateway: NVA beats shorter ER",
		 P_VPN,
		 {ER(1), NVA(4)},
		 2,
		 {1},
		 1},
		{"vpn-gateway: VPN vs NVA by path",
		 P_VPN,
		 {VPN(3), NVA(2)},
		 2,
		 {1},
		 1},
		{"vpn-gateway: VPN and NVA tie is ECMP",
		 P_VPN,
		 {ER(1), VPN(5), NVA(5)},
		 3,
		 {1, 2},
		 2},
		{"vpn-gateway: only ER left", P_VPN, {ER(6)}, 1, {0}, 1},
		{"as-path: NVA shorter than ER",
		 P_ASP,
		 {ER(4), NVA(2)},
		 2,
		 {1},
		 1},
		{"as-path: ER shorter than VPN",
		 P_ASP,
		 {VPN(3), ER(2)},
		 2,
		 {1},
		 1},
		{"as-path: equal length, ER breaks the tie",
		 P_ASP,
		 {NVA(2), ER(2)},
		 2,
		 {1},
		 1},
		{"as-path: NVAs tie among themselves",
		 P_ASP,
		 {NVA(2), ER(3), NVA(2)},
		 3,
		 {0, 2},
		 2},
		{"single candidate", P_ER, {NVA(7)}, 1, {0}, 1},
		{"no candidates", P_ER, {}, 0, {}, 0},
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t sel[MAXC] = {};
		size_t n = vrs_select(cases[i].pref, cases[i].c, cases[i].n,
				      sel, ARRAY_SIZE(sel));
		bool same = n == cases[i].n_want;

		for (j = 0; same && j < n; j++)
			same = sel[j] == cases[i].want[j];
		CHECK(same, "%s: %zu selected, first %zu", cases[i].what, n,
		      sel[0]);
	}
}

static void test_truncation(void)
{
	const struct vrs_candidate c[] = {NVA(2), NVA(2), NVA(3), NVA(2)};
	size_t sel[2] = {};
	size_t n = vrs_select(P_ER, c, ARRAY_SIZE(c), sel, ARRAY_SIZE(sel));

	CHECK(n == 3 && sel[0] == 0 && sel[1] == 1,
	      "ECMP set of 3 cut to 2: %zu (%zu, %zu)", n, sel[0], sel[1]);
	CHECK(vrs_select(P_ER, c, ARRAY_SIZE(c), NULL, 0) == 3, "count only");
}

static void test_names(void)
{
	static const struct {
		enum vrs_hub_pref pref;
		const char *name;
	} cases[] = {
		{P_ER, "expressroute"},
		{P_VPN, "vpn-gateway"},
		{P_ASP, "as-path"},
	};
	enum vrs_hub_pref p;
	char reason[128] = {};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK(!strcmp(vrs_hub_pref_name(cases[i].pref), cases[i].name),
		      "%s", cases[i].name);
		CHECK(vrs_hub_pref_from_string(cases[i].name, &p, NULL, 0) ==
				      0 &&
			      p == cases[i].pref,
		      "parse %s", cases[i].name);
	}
	CHECK(vrs_hub_pref_from_string("ASPath", &p, reason, sizeof(reason)) ==
			      -1 &&
		      test_contains(reason,
				    "use expressroute, vpn-gateway or as-path"),
	      "bad preference: %s", reason);
}

void test_select_suite(void)
{
	test_selection();
	test_truncation();
	test_names();
}
