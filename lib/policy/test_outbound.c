// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_outbound - the advertisement matrix, communities and the ER cap
 * (contract §5).
 */
#include <string.h>

#include "test_policy.h"

#define S_NVA VRS_SRC_NVA
#define S_ER VRS_SRC_EXPRESSROUTE
#define S_VPN VRS_SRC_VPN
#define S_VNET VRS_SRC_VNET
#define D_NVA VRS_ROLE_NVA
#define D_ER VRS_ROLE_EXPRESSROUTE_GW
#define D_VPN VRS_ROLE_VPN_GW

#define ADV VRS_OUT_ADVERTISED
#define B2B_OFF VRS_OUT_BRANCH_TO_BRANCH_OFF
#define SPLIT VRS_OUT_SPLIT_HORIZON

/* The whole matrix, both branch-to-branch settings. */
static void test_matrix(void)
{
	static const struct {
		enum vrs_source src;
		enum vrs_role dst;
		enum vrs_out_reason off, on;
	} cases[] = {
		{S_NVA, D_NVA, ADV, ADV},     {S_NVA, D_ER, B2B_OFF, ADV},
		{S_NVA, D_VPN, B2B_OFF, ADV}, {S_ER, D_NVA, B2B_OFF, ADV},
		{S_ER, D_ER, SPLIT, SPLIT},   {S_ER, D_VPN, B2B_OFF, ADV},
		{S_VPN, D_NVA, B2B_OFF, ADV}, {S_VPN, D_ER, B2B_OFF, ADV},
		{S_VPN, D_VPN, SPLIT, SPLIT}, {S_VNET, D_NVA, ADV, ADV},
		{S_VNET, D_ER, B2B_OFF, ADV}, {S_VNET, D_VPN, B2B_OFF, ADV},
	};
	size_t i, b;

	CHECK(ARRAY_SIZE(cases) == VRS_SRC_COUNT * VRS_ROLE_COUNT,
	      "every cell tested");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		for (b = 0; b < 2; b++) {
			struct vrs_outbound_settings s;
			struct vrs_outbound_query q = {
				.src = cases[i].src,
				.dst = cases[i].dst,
			};
			struct vrs_outbound_result res;
			enum vrs_out_reason want =
				b ? cases[i].on : cases[i].off;
			bool adv;

			vrs_outbound_settings_init(&s);
			s.branch_to_branch = b;
			adv = vrs_outbound_decide(&s, &q, &res);
			CHECK(adv == (want == ADV) && res.reason == want,
			      "%s -> %s, b2b %s: %s",
			      vrs_source_name(cases[i].src),
			      vrs_role_name(cases[i].dst), b ? "on" : "off",
			      vrs_out_reason_name(res.reason));
			CHECK(res.nexthop == (cases[i].src == S_VNET
						      ? VRS_NH_SELF
						      : VRS_NH_UNCHANGED),
			      "%s next hop", vrs_source_name(cases[i].src));
		}
	}
}

/* Communities and the ExpressRoute cap, branch-to-branch on. */
static void test_flags_and_cap(void)
{
	static const struct {
		const char *what;
		enum vrs_source src;
		enum vrs_role dst;
		uint32_t flags;
		uint32_t sent;
		bool has_route;
		uint32_t er_cap; /* 0: default 1,000; 1: no cap */
		bool b2b_off;
		enum vrs_out_reason want;
	} cases[] = {
		{"NO_ADVERTISE to NVA", S_NVA, D_NVA, VRS_RT_NO_ADVERTISE,
		 .want = VRS_OUT_NO_ADVERTISE},
		{"NO_ADVERTISE to ER", S_NVA, D_ER, VRS_RT_NO_ADVERTISE,
		 .want = VRS_OUT_NO_ADVERTISE},
		{"NO_ADVERTISE to VPN", S_ER, D_VPN, VRS_RT_NO_ADVERTISE,
		 .want = VRS_OUT_NO_ADVERTISE},
		{"NO_ADVERTISE, b2b off", S_NVA, D_NVA, VRS_RT_NO_ADVERTISE,
		 .b2b_off = true, .want = VRS_OUT_NO_ADVERTISE},
		{"NO_EXPORT not to eBGP NVA", S_NVA, D_NVA, VRS_RT_NO_EXPORT,
		 .want = VRS_OUT_NO_EXPORT},
		{"NO_EXPORT to iBGP gateway", S_NVA, D_ER, VRS_RT_NO_EXPORT,
		 .want = ADV},
		{"Azure-internal flag changes nothing", S_ER, D_NVA,
		 VRS_RT_AZURE_INTERNAL, .want = ADV},
		{"ER: 999 sent, one more", S_NVA, D_ER, .sent = 999,
		 .want = ADV},
		{"ER: 1,000 sent, cap", S_NVA, D_ER, .sent = 1000,
		 .want = VRS_OUT_ER_CAP},
		{"ER: VNet route counts too", S_VNET, D_ER, .sent = 1000,
		 .want = VRS_OUT_ER_CAP},
		{"ER: update of a sent route", S_NVA, D_ER, .sent = 1000,
		 .has_route = true, .want = ADV},
		{"ER: cap off", S_NVA, D_ER, .sent = 50000, .er_cap = 1,
		 .want = ADV},
		{"ER: custom cap 10", S_VPN, D_ER, .sent = 10, .er_cap = 10,
		 .want = VRS_OUT_ER_CAP},
		{"VPN has no cap", S_NVA, D_VPN, .sent = 50000, .want = ADV},
		{"NVA has no cap", S_ER, D_NVA, .sent = 50000, .want = ADV},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_outbound_settings s;
		struct vrs_outbound_query q = {
			.src = cases[i].src,
			.dst = cases[i].dst,
			.flags = cases[i].flags,
			.dst_sent = cases[i].sent,
			.dst_has_route = cases[i].has_route,
		};
		struct vrs_outbound_result res;

		vrs_outbound_settings_init(&s);
		s.branch_to_branch = !cases[i].b2b_off;
		if (cases[i].er_cap)
			s.er_cap = cases[i].er_cap == 1 ? 0 : cases[i].er_cap;
		vrs_outbound_decide(&s, &q, &res);
		CHECK(res.reason == cases[i].want &&
			      res.advertise == (cases[i].want == ADV),
		      "%s: %s", cases[i].what, vrs_out_reason_name(res.reason));
	}
}

static void test_er_cap_alone(void)
{
	static const struct {
		bool b2b;
		uint32_t cap, sent;
		bool already, allows;
	} cases[] = {
		{true, 1000, 0, false, true},
		{true, 1000, 999, false, true},
		{true, 1000, 1000, false, false},
		{true, 1000, 1000, true, true},
		{true, 0, 5000, false, true},
		{false, 1000, 5000, false, true},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_outbound_settings s = {
			.branch_to_branch = cases[i].b2b,
			.er_cap = cases[i].cap,
		};

		CHECK(vrs_outbound_er_cap_allows(&s, cases[i].sent,
						 cases[i].already) ==
			      cases[i].allows,
		      "case %zu", i);
	}
}

static void test_names(void)
{
	static const struct {
		enum vrs_out_reason reason;
		const char *name;
	} cases[] = {
		{VRS_OUT_ADVERTISED, "advertised"},
		{VRS_OUT_NO_ADVERTISE, "noAdvertise"},
		{VRS_OUT_BRANCH_TO_BRANCH_OFF, "branchToBranchOff"},
		{VRS_OUT_SPLIT_HORIZON, "splitHorizon"},
		{VRS_OUT_NO_EXPORT, "noExport"},
		{VRS_OUT_ER_CAP, "expressRouteCap"},
	};
	size_t i;

	CHECK(ARRAY_SIZE(cases) == VRS_OUT_REASON_COUNT, "every reason");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK(!strcmp(vrs_out_reason_name(cases[i].reason),
			      cases[i].name),
		      "%s", cases[i].name);
}

void test_outbound_suite(void)
{
	test_matrix();
	test_flags_and_cap();
	test_er_cap_alone();
	test_names();
}
