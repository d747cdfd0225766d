// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent configuration (vnet_config.c), table-driven: every case is a
 * list of configuration lines ("vnet SPEC", "vm SPEC", as in a --config
 * file) and either the error it must give (a substring of the reason) or
 * nothing (then the parsed specs are checked).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet_agent.h"

static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)

struct cfg_case {
	const char *name;
	const char *lines[6];
	const char *error;	/* substring of the reason; NULL = accepted */
};

static const struct cfg_case cases[] = {
	{ "one IPv4 VM",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5" } },
	{ "one IPv6 VM",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=fd00::5" } },
	{ "v1 form",
	  { "vm vm1=ns1,table=100" },
	  "vm vm1: v1 form; protocol 2 needs --vnet NAME=NETNS,tables=T0:T1 and --vm NAME=VNET,ip=ADDR" },
	{ "no ip",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke" },
	  "vm vm1: v1 form" },
	{ "not an address",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5/24" },
	  "ip '10.1.1.5/24' is not an IPv4 or IPv6 address (the VM's NIC address, no /length)" },
	{ "unknown VM option",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5,mac=x" },
	  "unknown option 'mac=x' (ip=, once per address family)" },
	{ "VM of an unknown VNet",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=hub,ip=10.1.1.5" },
	  "vm vm1: vnet hub is not configured (--vnet hub=NETNS,tables=T0:T1)" },
	{ "VM twice",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5",
	    "vm vm1=spoke,ip=10.1.1.6" },
	  "vm vm1 configured twice" },
	{ "two VMs on one address",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5",
	    "vm vm2=spoke,ip=10.1.1.5" },
	  "vm vm2: its address 10.1.1.5 is already vm vm1's in netns ns1 (an address is one VM's per namespace)" },
	{ "dual stack",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=10.1.1.5,ip=fd00::5" } },
	{ "dual stack, IPv6 first",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=fd00::5,ip=10.1.1.5" } },
	{ "two IPv4 addresses",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=10.1.1.5,ip=10.1.1.6" },
	  "--vm 'vm1=spoke,ip=10.1.1.5,ip=10.1.1.6': two IPv4 addresses (10.1.1.5 and 10.1.1.6); a VM has at most one IPv4 and one IPv6 address (ip=V4,ip=V6)" },
	{ "two IPv6 addresses",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=fd00::5,ip=10.1.1.5,ip=fd00::6" },
	  "two IPv6 addresses (fd00::5 and fd00::6); a VM has at most one IPv4 and one IPv6 address" },
	{ "one address twice",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=fd00::5,ip=fd00:0::5" },
	  "ip fd00::5 given twice; a VM has at most one IPv4 and one IPv6 address (ip=V4,ip=V6)" },
	{ "a second address not an address",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5,ip=fd00::/64" },
	  "ip 'fd00::/64' is not an IPv4 or IPv6 address" },
	{ "dual-stack VMs: one IPv6 address on two",
	  { "vnet spoke=ns1,tables=100:101",
	    "vm vm1=spoke,ip=10.1.1.5,ip=fd00::5",
	    "vm vm2=spoke,ip=10.1.1.6,ip=fd00::5" },
	  "vm vm2: its address fd00::5 is already vm vm1's in netns ns1" },
	{ "dual-stack VM: the IPv4 address of another",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5",
	    "vm vm2=spoke,ip=fd00::6,ip=10.1.1.5" },
	  "vm vm2: its address 10.1.1.5 is already vm vm1's in netns ns1" },
	{ "IPv4 and IPv4-mapped IPv6 are two families",
	  { "vnet spoke=ns1,tables=100:101", "vm vm1=spoke,ip=10.1.1.5",
	    "vm vm2=spoke,ip=::ffff:10.1.1.5" } },
	{ "dual-stack VMs in two namespaces, same addresses",
	  { "vnet spoke=ns1,tables=100:101", "vnet hub=ns2,tables=100:101",
	    "vm vm1=spoke,ip=10.1.1.5,ip=fd00::5",
	    "vm vm2=hub,ip=fd00::5,ip=10.1.1.5" } },
	{ "one address in two namespaces",
	  { "vnet spoke=ns1,tables=100:101", "vnet hub=ns2,tables=100:101",
	    "vm vm1=spoke,ip=10.1.1.5", "vm vm2=hub,ip=10.1.1.5" } },
	{ "a table shared by two VNets",
	  { "vnet spoke=ns1,tables=100:101", "vnet hub=ns1,tables=101:102" },
	  "vnet hub: table 101 of netns ns1 is already a slot table of vnet spoke" },
	{ "main table",
	  { "vnet spoke=ns1,tables=100:254" },
	  "tables must be two different numbers 1..4294967295, not 253, 254 or 255" },
	{ "rule-pref out of range",
	  { "vnet spoke=ns1,tables=100:101,rule-pref=40000" },
	  "rule-pref must be 1..32765" },
	{ "no tables",
	  { "vnet spoke=ns1" },
	  "tables=T0:T1 is required" },
};

static int run_case(const struct cfg_case *c, struct vnet_agent_opts *o,
		    char *reason, size_t rlen)
{
	for (size_t i = 0; i < sizeof(c->lines) / sizeof(c->lines[0]) &&
			   c->lines[i];
	     i++) {
		const char *l = c->lines[i];
		int rc = !strncmp(l, "vnet ", 5)
				 ? vnet_agent_add_vnet(o, l + 5, reason, rlen)
				 : vnet_agent_add_vm(o, l + 3, reason, rlen);

		if (rc < 0)
			return -1;
	}
	return vnet_agent_check_config(o, reason, rlen);
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cfg_case *c = &cases[i];
		struct vnet_agent_opts o = { 0 };
		char reason[VRS_FABRIC_REASON_LEN] = "";
		int rc = run_case(c, &o, reason, sizeof(reason));

		if (c->error)
			CHECK(rc < 0 && strstr(reason, c->error),
			      "%s: want error '%s', got rc %d '%s'", c->name,
			      c->error, rc, reason);
		else
			CHECK(rc == 0, "%s: refused: %s", c->name, reason);
		vnet_agent_opts_free(&o);
	}
}

static bool addr_is(const struct vnet_vm_addr *a, int family,
		    const char *text)
{
	uint8_t want[16] = { 0 };

	return inet_pton(family, text, want) == 1 && a->family == family &&
	       !memcmp(a->addr, want, sizeof(want));
}

/* What accepted VM specs hold: the addresses in the order given. */
static void test_parsed(void)
{
	struct vnet_agent_opts o = { 0 };
	char reason[VRS_FABRIC_REASON_LEN] = "";

	CHECK(vnet_agent_add_vnet(&o, "spoke=ns1,tables=100:101", reason,
				  sizeof(reason)) == 0, "%s", reason);
	CHECK(vnet_agent_add_vm(&o, "vm1=spoke,ip=10.1.1.5", reason,
				sizeof(reason)) == 0, "%s", reason);
	CHECK(vnet_agent_add_vm(&o, "vm2=spoke,ip=fd00::6,ip=10.1.1.6", reason,
				sizeof(reason)) == 0, "%s", reason);
	CHECK(vnet_agent_check_config(&o, reason, sizeof(reason)) == 0, "%s",
	      reason);
	CHECK(o.n_vms == 2, "n_vms %zu", o.n_vms);
	CHECK(o.vms[0].n_addrs == 1 &&
		      addr_is(&o.vms[0].addrs[0], AF_INET, "10.1.1.5"),
	      "vm1's address");
	CHECK(!strcmp(o.vms[0].vnet, "spoke"), "vm1's vnet %s", o.vms[0].vnet);
	CHECK(o.vms[1].n_addrs == 2 &&
		      addr_is(&o.vms[1].addrs[0], AF_INET6, "fd00::6") &&
		      addr_is(&o.vms[1].addrs[1], AF_INET, "10.1.1.6"),
	      "vm2's addresses (IPv6 first, as given)");
	vnet_agent_opts_free(&o);
}

int main(void)
{
	test_cases();
	test_parsed();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("agent config: %zu cases passed\n",
	       sizeof(cases) / sizeof(cases[0]) + 1);
	return 0;
}
