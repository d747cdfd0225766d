// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_policy - tiny harness for the table-driven policy-core tests.
 */
#ifndef TEST_POLICY_H
#define TEST_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "vrs_policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Record one check; prints the failure with its context. */
void test_check(bool ok, const char *file, int line, const char *expr,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define CHECK(cond, ...)                                                       \
	test_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

/* Does haystack contain needle? (NULL-safe) */
bool test_contains(const char *haystack, const char *needle);

/* Parse helpers that abort the run on a typo in a test table. */
struct vrs_prefix test_prefix(const char *s);
struct vrs_addr test_addr(const char *s);

/* A VNet model written as a table (name NULL ends the list). */
#define TEST_MAX_VNETS 8
#define TEST_MAX_PEERINGS 8

struct test_vnet_spec {
	const char *name;
	const char *spaces[3]; /* stored as given, not checked */
	bool rs, gw;
};

/* Both sides of a peering (a NULL ends the list). */
struct test_peering_spec {
	const char *a, *b;
	bool a_urg, a_agt; /* a's side: use remote gw, allow transit */
	bool b_urg, b_agt; /* b's side */
	bool one_sided;	   /* only a's side exists */
};

/* Build the model into out (TEST_MAX_VNETS); returns the VNet count. */
size_t test_build_vnets(struct vrs_vnet *out,
			const struct test_vnet_spec *vnets,
			const struct test_peering_spec *peerings);

/* The suites. */
void test_prefix_suite(void);
void test_mem_suite(void);
void test_role_suite(void);
void test_asn_suite(void);
void test_limit_suite(void);
void test_inbound_suite(void);
void test_outbound_suite(void);
void test_select_suite(void);
void test_wire_suite(void);
void test_vnet_suite(void);
void test_effective_suite(void);
void test_rmap_suite(void);
void test_summary_suite(void);

#endif /* TEST_POLICY_H */
