// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_policy - runs every table-driven suite of the policy core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_policy.h"

static unsigned int checks, failures;

void test_check(bool ok, const char *file, int line, const char *expr,
		const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool test_contains(const char *haystack, const char *needle)
{
	return haystack && needle && strstr(haystack, needle);
}

struct vrs_prefix test_prefix(const char *s)
{
	struct vrs_prefix p = {};
	char reason[128] = {};

	if (vrs_prefix_parse(s, &p, reason, sizeof(reason))) {
		fprintf(stderr, "bad prefix in test table: %s\n", reason);
		exit(2);
	}
	return p;
}

struct vrs_addr test_addr(const char *s)
{
	struct vrs_addr a = {};

	if (vrs_addr_parse(s, &a)) {
		fprintf(stderr, "bad address in test table: %s\n", s);
		exit(2);
	}
	return a;
}

static const struct {
	const char *name;
	void (*run)(void);
} suites[] = {
	{"prefix", test_prefix_suite},	   {"mem", test_mem_suite},
	{"role", test_role_suite},	   {"asn", test_asn_suite},
	{"limit", test_limit_suite},	   {"inbound", test_inbound_suite},
	{"outbound", test_outbound_suite}, {"select", test_select_suite},
	{"vnet", test_vnet_suite},	   {"effective", test_effective_suite},
	{"wire", test_wire_suite},	   {"rmap", test_rmap_suite},
	{"summary", test_summary_suite},
};

int main(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++) {
		unsigned int c = checks, f = failures;

		suites[i].run();
		printf("%-10s %4u checks, %u failed\n", suites[i].name,
		       checks - c, failures - f);
	}
	printf("total      %4u checks, %u failed\n", checks, failures);
	return failures ? 1 : 0;
}
