// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_role - role and profile names, defaults and timers.
 */
#include <string.h>

#include "test_policy.h"

static void test_roles(void)
{
	static const struct {
		enum vrs_role role;
		const char *name;
		bool gateway, ebgp, multihop;
		uint8_t ttl;
		uint32_t required_asn;
		enum vrs_source src;
	} cases[] = {
		{VRS_ROLE_NVA, "nva", false, true, true, 255, 0, VRS_SRC_NVA},
		{VRS_ROLE_EXPRESSROUTE_GW, "expressroute-gateway", true, false,
		 false, 0, 65515, VRS_SRC_EXPRESSROUTE},
		{VRS_ROLE_VPN_GW, "vpn-gateway", true, false, false, 0, 65515,
		 VRS_SRC_VPN},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct vrs_role_defaults *d =
			vrs_role_defaults(cases[i].role);
		enum vrs_role back = VRS_ROLE_COUNT;

		CHECK(!strcmp(vrs_role_name(cases[i].role), cases[i].name),
		      "%s", cases[i].name);
		CHECK(vrs_role_from_string(cases[i].name, &back, NULL, 0) ==
				      0 &&
			      back == cases[i].role,
		      "parse %s", cases[i].name);
		CHECK(d && d->gateway == cases[i].gateway &&
			      d->ebgp == cases[i].ebgp &&
			      d->ebgp_multihop == cases[i].multihop &&
			      d->ttl == cases[i].ttl &&
			      d->required_asn == cases[i].required_asn,
		      "defaults of %s", cases[i].name);
		CHECK(vrs_role_is_gateway(cases[i].role) == cases[i].gateway,
		      "is_gateway %s", cases[i].name);
		CHECK(vrs_source_from_role(cases[i].role) == cases[i].src,
		      "source of %s", cases[i].name);
		CHECK(!strcmp(vrs_source_name(cases[i].src), cases[i].name),
		      "source name of %s", cases[i].name);
	}
	{
		enum vrs_role r;
		char reason[128] = {};

		CHECK(vrs_role_from_string("router", &r, reason,
					   sizeof(reason)) == -1 &&
			      test_contains(reason,
					    "unknown peer role 'router'"),
		      "bad role: %s", reason);
		CHECK(!vrs_role_defaults(VRS_ROLE_COUNT), "out of range");
		CHECK(!strcmp(vrs_role_name(VRS_ROLE_COUNT), "unknown"),
		      "unknown role name");
		CHECK(!strcmp(vrs_source_name(VRS_SRC_VNET), "vnet"), "vnet");
	}
}

static void test_profiles(void)
{
	static const struct {
		enum vrs_profile profile;
		const char *name;
		uint16_t keepalive, holdtime;
		bool bfd;
		uint16_t max_peers;
	} cases[] = {
		{VRS_PROFILE_FAST, "fast", 1, 3, true, 0},
		{VRS_PROFILE_AZURE_COMPAT, "azure-compat", 60, 180, false, 8},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct vrs_timers *t =
			vrs_profile_timers(cases[i].profile);
		enum vrs_profile back = VRS_PROFILE_COUNT;

		CHECK(t && t->keepalive == cases[i].keepalive &&
			      t->holdtime == cases[i].holdtime &&
			      t->bfd == cases[i].bfd &&
			      t->max_peers == cases[i].max_peers,
		      "timers of %s", cases[i].name);
		CHECK(!strcmp(vrs_profile_name(cases[i].profile),
			      cases[i].name),
		      "name %s", cases[i].name);
		CHECK(vrs_profile_from_string(cases[i].name, &back, NULL, 0) ==
				      0 &&
			      back == cases[i].profile,
		      "parse %s", cases[i].name);
	}
	{
		enum vrs_profile p;
		char reason[128] = {};

		CHECK(vrs_profile_from_string("azure", &p, reason,
					      sizeof(reason)) == -1 &&
			      test_contains(reason, "use fast or azure-compat"),
		      "bad profile: %s", reason);
		CHECK(!vrs_profile_timers(VRS_PROFILE_COUNT), "out of range");
	}
}

void test_role_suite(void)
{
	test_roles();
	test_profiles();
}
