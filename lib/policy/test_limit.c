// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_limit - per-peer counting modes and the total cap (contract §3).
 */
#include <string.h>

#include "test_policy.h"

#define MP VRS_LIMIT_MAX_PREFIX
#define ARS VRS_LIMIT_ARS

static void test_per_peer(void)
{
	static const struct {
		const char *what;
		enum vrs_limit_mode mode;
		uint32_t limit;
		struct vrs_limit_update upd;
		bool teardown;
		uint64_t counted;
	} cases[] = {
		{"ARS: re-advertising 2,001 known routes counts 4,002",
		 ARS,
		 4000,
		 {.current = 2001, .announced = 2001},
		 true,
		 4002},
		{"max-prefix: the same UPDATE adds nothing",
		 MP,
		 4000,
		 {.current = 2001, .announced = 2001},
		 false,
		 2001},
		{"ARS: exactly at the limit stays up",
		 ARS,
		 4000,
		 {.current = 0, .announced = 4000, .new_prefixes = 4000},
		 false,
		 4000},
		{"ARS: one over the limit",
		 ARS,
		 4000,
		 {.current = 0, .announced = 4001, .new_prefixes = 4001},
		 true,
		 4001},
		{"max-prefix: two new on 3,999",
		 MP,
		 4000,
		 {.current = 3999, .announced = 5, .new_prefixes = 2},
		 true,
		 4001},
		{"max-prefix: one new on 3,999",
		 MP,
		 4000,
		 {.current = 3999, .announced = 5, .new_prefixes = 1},
		 false,
		 4000},
		{"ARS: 5 in UPDATE on 3,999",
		 ARS,
		 4000,
		 {.current = 3999, .announced = 5, .new_prefixes = 1},
		 true,
		 4004},
		{"limit 0 = no limit, count still reported",
		 ARS,
		 0,
		 {.current = 9000, .announced = 9000},
		 false,
		 18000},
		{"new clamped to announced",
		 MP,
		 10,
		 {.current = 5, .announced = 2, .new_prefixes = 50},
		 false,
		 7},
		{"no 32-bit overflow",
		 ARS,
		 4000,
		 {.current = UINT32_MAX, .announced = UINT32_MAX},
		 true,
		 2ull * UINT32_MAX},
		{"old preview limit 200",
		 ARS,
		 200,
		 {.current = 150, .announced = 51},
		 true,
		 201},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_limit_verdict v = vrs_limit_check(
			cases[i].mode, cases[i].limit, &cases[i].upd);

		CHECK(v.teardown == cases[i].teardown &&
			      v.counted == cases[i].counted,
		      "%s: teardown %d counted %llu", cases[i].what, v.teardown,
		      (unsigned long long)v.counted);
	}
}

static void test_total(void)
{
	static const struct {
		uint32_t cap, accepted;
		bool replaces, admit;
	} cases[] = {
		{10000, 0, false, true},      {10000, 9999, false, true},
		{10000, 10000, false, false}, {10000, 12000, false, false},
		{10000, 10000, true, true}, /* implicit withdraw */
		{0, 50000, false, true},    /* no cap */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK(vrs_limit_total_admit(cases[i].cap, cases[i].accepted,
					    cases[i].replaces) ==
			      cases[i].admit,
		      "cap %u accepted %u replaces %d", cases[i].cap,
		      cases[i].accepted, cases[i].replaces);
	CHECK(VRS_LIMIT_PER_PEER_DEFAULT == 4000 &&
		      VRS_LIMIT_TOTAL_DEFAULT == 10000,
	      "defaults");
}

static void test_names(void)
{
	static const struct {
		enum vrs_limit_mode mode;
		const char *name;
	} cases[] = {
		{MP, "max-prefix"},
		{ARS, "ars"},
	};
	enum vrs_limit_mode m;
	char reason[128] = {};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK(!strcmp(vrs_limit_mode_name(cases[i].mode),
			      cases[i].name),
		      "%s", cases[i].name);
		CHECK(vrs_limit_mode_from_string(cases[i].name, &m, NULL, 0) ==
				      0 &&
			      m == cases[i].mode,
		      "parse %s", cases[i].name);
	}
	CHECK(vrs_limit_mode_from_string("azure", &m, reason, sizeof(reason)) ==
			      -1 &&
		      test_contains(reason, "use max-prefix or ars"),
	      "bad mode: %s", reason);
}

void test_limit_suite(void)
{
	test_per_peer();
	test_total();
	test_names();
}
