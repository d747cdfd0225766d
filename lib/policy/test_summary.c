// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_summary - summaries of a peering route-map (Azure's summarize).
 */
#include <stdio.h>
#include <string.h>

#include "test_policy.h"
#include "vrs_summary.h"

static void test_summary_check(void)
{
	struct vrs_summary_space spaces[] = {
		{test_prefix("10.1.0.0/16"), "hub", false},
		{test_prefix("10.2.0.0/16"), "spoke", true},
		{test_prefix("fd00:1::/48"), "hub", false},
	};
	static const struct {
		const char *s;
		bool ipv6;
		const char *reason; /* substring; NULL when accepted */
	} cases[] = {
		{"10.60.0.0/16", false, NULL},
		{"10.60.1.0/24", false, NULL},
		{"10.1.0.0/16", false,
		 "summary 10.1.0.0/16 is the address space 10.1.0.0/16 of the route server's VNet hub"},
		{"10.1.4.0/24", false,
		 "summary 10.1.4.0/24 is inside the address space 10.1.0.0/16"},
		{"10.0.0.0/8", false,
		 "summary 10.0.0.0/8 contains the address space 10.1.0.0/16"},
		{"10.2.128.0/17", false, "of peered VNet spoke"},
		{"10.2.0.0/15", false, "contains the address space 10.2.0.0/16"},
		{"0.0.0.0/0", false, "neither a default route nor a host route"},
		{"10.60.0.1/32", false, "length 1 to 31"},
		{"fd00:60::/32", false, "is IPv6: the route server is IPv4 only"},
		{"fd00:60::/32", true, NULL},
		{"fd00:1:0:4::/64", true, "is inside the address space fd00:1::/48"},
	};
	char reason[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_prefix s = test_prefix(cases[i].s);
		int rc;

		reason[0] = '\0';
		rc = vrs_summary_check(&s, cases[i].ipv6, spaces,
				       ARRAY_SIZE(spaces), reason,
				       sizeof(reason));
		CHECK((rc == 0) == !cases[i].reason, "summary %s: rc %d (%s)",
		      cases[i].s, rc, reason);
		if (cases[i].reason)
			CHECK(test_contains(reason, cases[i].reason),
			      "summary %s: reason '%s'", cases[i].s, reason);
		if (cases[i].reason && strstr(cases[i].reason, "address space"))
			CHECK(test_contains(reason, "cannot be changed"),
			      "summary %s: reason does not say what is allowed: '%s'",
			      cases[i].s, reason);
	}
	/* No spaces at all: anything but /0 and host routes. */
	{
		struct vrs_prefix s = test_prefix("10.1.0.0/16");

		CHECK(vrs_summary_check(&s, false, NULL, 0, NULL, 0) == 0,
		      "no spaces: %s refused", "10.1.0.0/16");
	}
}

static void test_summary_map(void)
{
	struct vrs_prefix sums[VRS_SUMMARY_MAX_PER_MAP + 1];
	char reason[512];

	sums[0] = test_prefix("10.60.0.0/16");
	sums[1] = test_prefix("10.61.0.0/16");
	CHECK(vrs_summary_check_map("M", sums, 2, reason, sizeof(reason)) == 0,
	      "two disjoint summaries refused: %s", reason);
	sums[1] = test_prefix("10.60.4.0/24");
	CHECK(vrs_summary_check_map("M", sums, 2, reason, sizeof(reason)) != 0 &&
		      test_contains(reason,
				    "route-map M: summaries 10.60.0.0/16 and 10.60.4.0/24 overlap"),
	      "overlap: '%s'", reason);
	for (size_t i = 0; i < ARRAY_SIZE(sums); i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "10.%zu.0.0/16", 100 + i);
		sums[i] = test_prefix(buf);
	}
	CHECK(vrs_summary_check_map("M", sums, VRS_SUMMARY_MAX_PER_MAP, reason,
				    sizeof(reason)) == 0,
	      "%d summaries refused: %s", VRS_SUMMARY_MAX_PER_MAP, reason);
	CHECK(vrs_summary_check_map("M", sums, ARRAY_SIZE(sums), reason,
				    sizeof(reason)) != 0 &&
		      test_contains(reason, "at most 16 per route-map"),
	      "too many: '%s'", reason);
}

static void test_summary_covers_live(void)
{
	struct vrs_prefix s = test_prefix("10.60.0.0/16");
	struct vrs_prefix in = test_prefix("10.60.1.0/24");
	struct vrs_prefix out = test_prefix("10.61.1.0/24");
	struct vrs_prefix v6 = test_prefix("fd00::/16");

	CHECK(vrs_summary_covers(&s, &in), "%s", "10.60.1.0/24 not covered");
	CHECK(!vrs_summary_covers(&s, &s), "%s", "a summary covers itself");
	CHECK(!vrs_summary_covers(&s, &out), "%s", "10.61.1.0/24 covered");
	CHECK(!vrs_summary_covers(&in, &s), "%s", "a shorter prefix covered");
	CHECK(!vrs_summary_covers(&s, &v6), "%s", "another family covered");
	CHECK(!vrs_summary_live(0, false), "%s", "live without routes");
	CHECK(vrs_summary_live(2, false), "%s", "not live with routes");
	CHECK(!vrs_summary_live(2, true), "%s",
	      "live although the summary prefix itself is learned");
}

void test_summary_suite(void)
{
	test_summary_check();
	test_summary_map();
	test_summary_covers_live();
}
