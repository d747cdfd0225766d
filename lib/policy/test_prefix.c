// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_prefix - parse/format/contains/compare of addresses and prefixes.
 */
#include <stdlib.h>
#include <string.h>

#include "test_policy.h"

static void test_parse(void)
{
	static const struct {
		const char *in;
		bool ok;
		const char *want; /* formatted prefix, or reason substring */
	} cases[] = {
		{"10.0.0.0/16", true, "10.0.0.0/16"},
		{"0.0.0.0/0", true, "0.0.0.0/0"},
		{"192.168.1.255/32", true, "192.168.1.255/32"},
		{"10.0.0.128/25", true, "10.0.0.128/25"},
		{"2001:db8::/32", true, "2001:db8::/32"},
		{"::/0", true, "::/0"},
		{"10.1.2.3/16", false,
		 "prefix 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"},
		{"10.0.0.64/25", false, "did you mean 10.0.0.0/25?"},
		{"2001:db8::1/64", false, "did you mean 2001:db8::/64?"},
		{"10.0.0.0", false, "has no length"},
		{"10.0.0.0/33", false, "length must be a number from 0 to 32"},
		{"2001:db8::/129", false, "from 0 to 128"},
		{"10.0.0.0/ 8", false, "length must be"},
		{"10.0.0.0/+8", false, "length must be"},
		{"10.0.0.0/0008", false, "length must be"},
		{"10.0.0.0/", false, "length must be"},
		{"300.0.0.0/8", false, "'300.0.0.0' is not an IPv4 or IPv6"},
		{"fred/8", false, "not an IPv4 or IPv6"},
		{"", false, "empty prefix"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_prefix p = {};
		char reason[160] = {}, buf[VRS_PREFIX_STRLEN];
		int rc = vrs_prefix_parse(cases[i].in, &p, reason,
					  sizeof(reason));

		CHECK((rc == 0) == cases[i].ok, "'%s': rc %d (%s)", cases[i].in,
		      rc, reason);
		if (cases[i].ok)
			CHECK(!strcmp(vrs_prefix_str(&p, buf, sizeof(buf)),
				      cases[i].want),
			      "'%s' formats as %s", cases[i].in, buf);
		else
			CHECK(test_contains(reason, cases[i].want),
			      "'%s': reason '%s' lacks '%s'", cases[i].in,
			      reason, cases[i].want);
	}
	/* A NULL reason buffer is fine. */
	{
		struct vrs_prefix p;

		CHECK(vrs_prefix_parse("10.0.0.1/8", &p, NULL, 0) == -1,
		      "NULL reason");
	}
}

static void test_contains_overlaps(void)
{
	static const struct {
		const char *outer, *inner;
		bool contains, overlaps;
	} cases[] = {
		{"10.0.0.0/8", "10.1.0.0/16", true, true},
		{"10.1.0.0/16", "10.1.0.0/16", true, true},
		{"10.1.0.0/16", "10.0.0.0/8", false, true},
		{"10.1.0.0/16", "10.2.0.0/24", false, false},
		{"0.0.0.0/0", "192.0.2.0/24", true, true},
		{"10.128.0.0/9", "10.0.0.0/16", false, false},
		{"10.0.0.0/9", "10.127.0.0/16", true, true},
		{"10.0.0.0/9", "10.128.0.0/16", false, false},
		{"10.0.0.0/8", "2001:db8::/32", false, false},
		{"::/0", "2001:db8::/32", true, true},
		{"2001:db8::/32", "2001:db9::/32", false, false},
		{"2001:db8::/31", "2001:db9::/32", true, true},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_prefix o = test_prefix(cases[i].outer);
		struct vrs_prefix n = test_prefix(cases[i].inner);

		CHECK(vrs_prefix_contains(&o, &n) == cases[i].contains,
		      "%s contains %s", cases[i].outer, cases[i].inner);
		CHECK(vrs_prefix_overlaps(&o, &n) == cases[i].overlaps,
		      "%s overlaps %s", cases[i].outer, cases[i].inner);
		CHECK(vrs_prefix_overlaps(&n, &o) == cases[i].overlaps,
		      "%s overlaps %s (reversed)", cases[i].inner,
		      cases[i].outer);
	}
}

static int test_cmp_qsort(const void *a, const void *b)
{
	return vrs_prefix_cmp(a, b);
}

static void test_sort(void)
{
	static const char *const in[] = {
		"10.1.0.0/16", "2001:db8::/32",	 "10.0.0.0/16", "0.0.0.0/0",
		"10.0.0.0/8",  "192.168.0.0/16", "::/0",	"10.0.0.0/24",
	};
	static const char *const want[] = {
		"0.0.0.0/0",   "10.0.0.0/8",	 "10.0.0.0/16", "10.0.0.0/24",
		"10.1.0.0/16", "192.168.0.0/16", "::/0",	"2001:db8::/32",
	};
	struct vrs_prefix p[ARRAY_SIZE(in)];
	char buf[VRS_PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(in); i++)
		p[i] = test_prefix(in[i]);
	qsort(p, ARRAY_SIZE(p), sizeof(p[0]), test_cmp_qsort);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		CHECK(!strcmp(vrs_prefix_str(&p[i], buf, sizeof(buf)), want[i]),
		      "sorted[%zu] = %s, want %s", i, buf, want[i]);
}

static void test_addr_helpers(void)
{
	static const struct {
		const char *prefix, *addr;
		bool inside;
	} cases[] = {
		{"10.0.0.0/16", "10.0.255.4", true},
		{"10.0.0.0/16", "10.1.0.4", false},
		{"0.0.0.0/0", "203.0.113.9", true},
		{"2001:db8::/64", "2001:db8::5", true},
		{"2001:db8::/64", "10.0.0.1", false},
	};
	struct vrs_addr a = vrs_addr_ipv4(0x0a000044);
	struct vrs_prefix p = {};
	char buf[VRS_ADDR_STRLEN];
	static const uint8_t raw[4] = {10, 1, 2, 3};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_prefix pp = test_prefix(cases[i].prefix);
		struct vrs_addr aa = test_addr(cases[i].addr);

		CHECK(vrs_prefix_has_addr(&pp, &aa) == cases[i].inside,
		      "%s in %s", cases[i].addr, cases[i].prefix);
	}
	CHECK(!strcmp(vrs_addr_str(&a, buf, sizeof(buf)), "10.0.0.68"),
	      "vrs_addr_ipv4 gives %s", buf);
	CHECK(vrs_prefix_set(&p, VRS_AF_IPV4, raw, 16) == 0, "set");
	CHECK(vrs_prefix_valid(&p) && p.addr.bytes[2] == 0, "set masks");
	CHECK(vrs_prefix_set(&p, VRS_AF_IPV4, raw, 33) == -1, "set /33");
	CHECK(vrs_prefix_set(&p, 5, raw, 8) == -1, "set bad family");
	CHECK(vrs_addr_parse("10.0.0.256", &a) == -1, "bad address");
	p = (struct vrs_prefix){.addr.family = VRS_AF_IPV4, .len = 40};
	CHECK(!vrs_prefix_valid(&p), "/40 invalid");
	CHECK(!vrs_prefix_contains(&p, &p), "invalid contains nothing");
}

void test_prefix_suite(void)
{
	test_parse();
	test_contains_overlaps();
	test_sort();
	test_addr_helpers();
}
