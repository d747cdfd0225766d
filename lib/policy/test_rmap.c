// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rmap - rules of a user's route-map on a peering (contract §9).
 */
#include <string.h>

#include "test_policy.h"
#include "vrs_rmap.h"

static void test_rmap_names(void)
{
	static const struct {
		const char *name;
		const char *reason; /* substring; NULL when accepted */
	} cases[] = {
		{"MY-IN", NULL},
		{"a", NULL},
		{"x123456789x123456789x123456789x123456789x123456789x123456789xyz",
		 NULL},
		{"x123456789x123456789x123456789x123456789x123456789x123456789xyz1",
		 "1 to 63 characters"},
		{"", "1 to 63 characters"},
		{"MY IN", "no blanks"},
		{"MY'IN", "quotes"},
		{"VRS-RS-IN", "route server's own maps"},
		{"VRS-MINE", "route server's own maps"},
		{"vrs-mine", NULL},
	};
	char reason[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc;

		reason[0] = '\0';
		rc = vrs_rmap_name_check(cases[i].name, reason, sizeof(reason));
		CHECK((rc == 0) == !cases[i].reason, "name '%s': rc %d (%s)",
		      cases[i].name, rc, reason);
		if (cases[i].reason)
			CHECK(test_contains(reason, cases[i].reason),
			      "name '%s': reason '%s'", cases[i].name, reason);
	}
	CHECK(vrs_rmap_name_check(NULL, NULL, 0) == -1, "NULL name");
}

static void test_rmap_actions(void)
{
	static const struct {
		const char *action;
		bool ok;
	} cases[] = {
		{"frr-bgp-route-map:as-path-prepend", true},
		{"frr-bgp-route-map:as-path-exclude", true},
		{"frr-bgp-route-map:as-path-replace", true},
		{"frr-bgp-route-map:set-community", true},
		{"frr-bgp-route-map:comm-list-delete", true},
		{"set-community", true},
		{"frr-bgp-route-map:set-ipv4-nexthop", false},
		{"frr-bgp-route-map:set-local-preference", false},
		{"frr-bgp-route-map:weight", false},
		{"frr-bgp-route-map:set-large-community", false},
		{"frr-route-map:set-metric", false},
		{"frr-route-map:ipv4-next-hop", false},
	};
	char reason[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ok;

		reason[0] = '\0';
		ok = vrs_rmap_set_allowed(cases[i].action, reason,
					  sizeof(reason));
		CHECK(ok == cases[i].ok, "action %s: %d", cases[i].action, ok);
		if (!cases[i].ok)
			CHECK(test_contains(reason, "is not allowed") &&
				      test_contains(reason, "set as-path prepend"),
			      "action %s: reason '%s'", cases[i].action,
			      reason);
	}
	CHECK(!vrs_rmap_set_allowed(NULL, NULL, 0), "NULL action");
}

static void test_rmap_asns(void)
{
	static const struct {
		const char *list;
		const char *reason; /* substring; NULL when accepted */
	} cases[] = {
		{"65001", NULL},
		{"65001 65001 65001", NULL},
		{"1 65535", NULL},
		{"any", NULL},
		{"", NULL},
		{"65536", "AS 65536 is not a 2-byte AS number"},
		{"65001 4200000001", "AS 4200000001 is not a 2-byte"},
		{"0", "AS 0 is not a 2-byte"},
		{"65001 abc", "is not an AS number"},
		{"99999999999999999999", "is not an AS number"},
	};
	char reason[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc;

		reason[0] = '\0';
		rc = vrs_rmap_asn_list_check("set as-path prepend",
					     cases[i].list, reason,
					     sizeof(reason));
		CHECK((rc == 0) == !cases[i].reason, "list '%s': rc %d (%s)",
		      cases[i].list, rc, reason);
		if (cases[i].reason)
			CHECK(test_contains(reason, cases[i].reason) &&
				      test_contains(reason,
						    "set as-path prepend"),
			      "list '%s': reason '%s'", cases[i].list, reason);
	}
}

static void test_rmap_as_path(void)
{
	static const uint32_t orig[] = {65001, 4200000001u};
	static const uint32_t prep2[] = {65001, 65001, 65001, 4200000001u};
	static const uint32_t prep4[] = {4200000002u, 65001, 4200000001u};
	static const uint32_t repl[] = {65515, 4200000001u};
	static const uint32_t zero[] = {0, 65001};
	uint32_t bad = 0;

	CHECK(vrs_rmap_as_path_ok(orig, 2, prep2, 4, &bad),
	      "2-byte prepend is fine, a 4-byte ASN kept from the original too");
	CHECK(!vrs_rmap_as_path_ok(orig, 2, prep4, 3, &bad) &&
		      bad == 4200000002u,
	      "4-byte prepend refused (bad %u)", bad);
	CHECK(vrs_rmap_as_path_ok(orig, 2, repl, 2, NULL), "replace");
	CHECK(vrs_rmap_as_path_ok(orig, 2, NULL, 0, NULL), "emptied");
	CHECK(!vrs_rmap_as_path_ok(orig, 2, zero, 2, &bad) && bad == 0,
	      "AS 0 refused");
}

static void test_rmap_names_of_verdicts(void)
{
	CHECK(strcmp(vrs_rmap_verdict_name(VRS_RMAP_DENIED), "denied") == 0,
	      "denied");
	CHECK(strcmp(vrs_rmap_verdict_name(VRS_RMAP_NOT_DEFINED),
		     "notDefined") == 0,
	      "notDefined");
	CHECK(strcmp(vrs_rmap_verdict_name(VRS_RMAP_EXEMPT), "exempt") == 0,
	      "exempt");
	CHECK(strcmp(vrs_rmap_verdict_name(VRS_RMAP_VERDICT_COUNT), "none") ==
		      0,
	      "out of range");
	CHECK(strcmp(vrs_rmap_dir_name(VRS_RMAP_OUT), "out") == 0, "out");
}

void test_rmap_suite(void)
{
	test_rmap_names();
	test_rmap_actions();
	test_rmap_asns();
	test_rmap_as_path();
	test_rmap_names_of_verdicts();
}
