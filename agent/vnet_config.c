// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent configuration: --vnet and --vm specifications (options and
 * --config files) and the checks across them. No kernel, no sockets:
 * tests/test_agent_config.c drives it directly.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet_agent.h"
#include "vrs_fabric_codec.h"

uint32_t vnet_vm_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c <<= 1;
	return c;
}

static uint32_t *name_index_grow(uint32_t *idx, size_t *cap, size_t n,
				 const void *base, size_t stride)
{
	size_t nc = pow2_at_least(n * 2 + 2);
	uint32_t *t;

	if (*cap >= (n + 1) * 2)
		return idx;
	t = calloc(nc, sizeof(*t));
	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = (const char *)base + i * stride;
		size_t h = vnet_vm_hash(name) & (nc - 1);

		while (t[h])
			h = (h + 1) & (nc - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(idx);
	*cap = nc;
	return t;
}

/* Index of name in a name index (names at offset 0 of each element). */
static bool name_index_has(const uint32_t *idx, size_t cap, const char *name,
			   const void *base, size_t stride, size_t *slot)
{
	size_t h;

	if (!cap)
		return false;
	for (h = vnet_vm_hash(name) & (cap - 1); idx[h]; h = (h + 1) & (cap - 1))
		if (!strcmp((const char *)base + (idx[h] - 1) * stride, name))
			return true;
	if (slot)
		*slot = h;
	return false;
}

static int parse_u32(const char *s, uint32_t *v)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(s, &end, 10);
	if (errno || end == s || *end || val > UINT32_MAX || s[0] == '-')
		return -1;
	*v = (uint32_t)val;
	return 0;
}

static bool table_ok(uint32_t t)
{
	/* unspec, default, main, local are the kernel's */
	return t && t != 253 && t != 254 && t != 255;
}

int vnet_agent_add_vnet(struct vnet_agent_opts *o, const char *spec,
			char *reason, size_t rlen)
{
	char buf[256], *eq, *opt, *save = NULL;
	struct vnet_vnet_spec v = { .rule_pref = VNET_RULE_PREF_DEFAULT };
	bool tables = false;
	size_t slot = 0;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(reason, rlen, "--vnet '%.32s...' is too long", spec);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(reason, rlen,
			 "--vnet '%s': expected NAME=NETNS,tables=T0:T1[,metric=M][,rule-pref=P]",
			 spec);
		return -1;
	}
	*eq = '\0';
	opt = strtok_r(eq + 1, ",", &save);
	if (!vrs_fabric_name_valid(buf) || !opt ||
	    (strcmp(opt, ".") && !vrs_fabric_name_valid(opt))) {
		snprintf(reason, rlen,
			 "--vnet '%s': VNet or netns name invalid (1..64 of A-Z a-z 0-9 . _ : -; netns '.' = the agent's own)",
			 spec);
		return -1;
	}
	snprintf(v.name, sizeof(v.name), "%.64s", buf);
	snprintf(v.netns, sizeof(v.netns), "%.64s", opt);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "tables=", 7)) {
			char *colon = strchr(opt + 7, ':');

			if (!colon) {
				snprintf(reason, rlen,
					 "--vnet '%s': tables=T0:T1 (two routing tables, one per route-server instance)",
					 spec);
				return -1;
			}
			*colon = '\0';
			if (parse_u32(opt + 7, &v.tables[0]) < 0 ||
			    parse_u32(colon + 1, &v.tables[1]) < 0 ||
			    !table_ok(v.tables[0]) || !table_ok(v.tables[1]) ||
			    v.tables[0] == v.tables[1]) {
				snprintf(reason, rlen,
					 "--vnet '%s': tables must be two different numbers 1..4294967295, not 253, 254 or 255",
					 spec);
				return -1;
			}
			tables = true;
		} else if (!strncmp(opt, "metric=", 7)) {
			if (parse_u32(opt + 7, &v.metric) < 0) {
				snprintf(reason, rlen,
					 "--vnet '%s': metric must be 0..4294967295",
					 spec);
				return -1;
			}
		} else if (!strncmp(opt, "rule-pref=", 10)) {
			if (parse_u32(opt + 10, &v.rule_pref) < 0 ||
			    v.rule_pref < 1 || v.rule_pref > 32765) {
				snprintf(reason, rlen,
					 "--vnet '%s': rule-pref must be 1..32765",
					 spec);
				return -1;
			}
		} else {
			snprintf(reason, rlen,
				 "--vnet '%s': unknown option '%s' (tables=, metric=, rule-pref=)",
				 spec, opt);
			return -1;
		}
	}
	if (!tables) {
		snprintf(reason, rlen,
			 "--vnet '%s': tables=T0:T1 is required", spec);
		return -1;
	}
	if (name_index_has(o->vnet_idx, o->vnet_idx_cap, v.name, o->vnets,
			   sizeof(*o->vnets), NULL)) {
		snprintf(reason, rlen, "vnet %s configured twice", v.name);
		return -1;
	}
	if (o->n_vnets == o->cap_vnets) {
		size_t cap = o->cap_vnets ? o->cap_vnets * 2 : 16;
		struct vnet_vnet_spec *n = realloc(o->vnets, cap * sizeof(*n));

		if (!n)
			goto oom;
		o->vnets = n;
		o->cap_vnets = cap;
	}
	o->vnets[o->n_vnets] = v;
	o->vnet_idx = name_index_grow(o->vnet_idx, &o->vnet_idx_cap,
				      o->n_vnets, o->vnets, sizeof(*o->vnets));
	if (!o->vnet_idx)
		goto oom;
	name_index_has(o->vnet_idx, o->vnet_idx_cap, v.name, o->vnets,
		       sizeof(*o->vnets), &slot);
	o->vnet_idx[slot] = (uint32_t)++o->n_vnets;
	return 0;
oom:
	snprintf(reason, rlen, "out of memory");
	return -1;
}

int vnet_agent_add_vm(struct vnet_agent_opts *o, const char *spec,
		      char *reason, size_t rlen)
{
	char buf[256], *eq, *opt, *save = NULL;
	struct vnet_vm_spec v = { 0 };
	bool ip = false, v1 = false;
	size_t slot = 0;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(reason, rlen, "--vm '%.32s...' is too long", spec);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(reason, rlen, "--vm '%s': expected NAME=VNET,ip=ADDR",
			 spec);
		return -1;
	}
	*eq = '\0';
	opt = strtok_r(eq + 1, ",", &save);
	if (!vrs_fabric_name_valid(buf) || !opt ||
	    (strcmp(opt, ".") && !vrs_fabric_name_valid(opt))) {
		snprintf(reason, rlen,
			 "--vm '%s': VM or VNet name invalid (1..64 of A-Z a-z 0-9 . _ : -)",
			 spec);
		return -1;
	}
	snprintf(v.name, sizeof(v.name), "%.64s", buf);
	snprintf(v.vnet, sizeof(v.vnet), "%.64s", opt);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "ip=", 3)) {
			if (inet_pton(AF_INET, opt + 3, v.addr) == 1) {
				v.family = AF_INET;
			} else if (inet_pton(AF_INET6, opt + 3, v.addr) == 1) {
				v.family = AF_INET6;
			} else {
				snprintf(reason, rlen,
					 "--vm '%s': ip '%s' is not an IPv4 or IPv6 address (the VM's NIC address, no /length)",
					 spec, opt + 3);
				return -1;
			}
			ip = true;
		} else if (!strncmp(opt, "table=", 6) ||
			   !strncmp(opt, "metric=", 7)) {
			v1 = true;
		} else {
			snprintf(reason, rlen,
				 "--vm '%s': unknown option '%s' (ip=)", spec,
				 opt);
			return -1;
		}
	}
	if (v1 || !ip) {
		snprintf(reason, rlen,
			 "vm %s: v1 form; protocol 2 needs --vnet NAME=NETNS,tables=T0:T1 and --vm NAME=VNET,ip=ADDR",
			 v.name);
		return -1;
	}
	if (name_index_has(o->vm_idx, o->vm_idx_cap, v.name, o->vms,
			   sizeof(*o->vms), NULL)) {
		snprintf(reason, rlen, "vm %s configured twice", v.name);
		return -1;
	}
	if (o->n_vms == o->cap_vms) {
		size_t cap = o->cap_vms ? o->cap_vms * 2 : 64;
		struct vnet_vm_spec *n = realloc(o->vms, cap * sizeof(*n));

		if (!n)
			goto oom;
		o->vms = n;
		o->cap_vms = cap;
	}
	o->vms[o->n_vms] = v;
	o->vm_idx = name_index_grow(o->vm_idx, &o->vm_idx_cap, o->n_vms,
				    o->vms, sizeof(*o->vms));
	if (!o->vm_idx)
		goto oom;
	name_index_has(o->vm_idx, o->vm_idx_cap, v.name, o->vms,
		       sizeof(*o->vms), &slot);
	o->vm_idx[slot] = (uint32_t)++o->n_vms;
	return 0;
oom:
	snprintf(reason, rlen, "out of memory");
	return -1;
}

struct ipkey {
	const char *netns;
	uint8_t family;
	uint8_t addr[16];
};

int vnet_agent_check_config(struct vnet_agent_opts *o, char *reason,
			    size_t rlen)
{
	size_t cap = pow2_at_least((o->n_vms + o->n_vnets * 2) * 2 + 2);
	struct {
		uint32_t h;
		const char *netns;
		uint8_t family;
		uint8_t addr[16];
		uint32_t table;
		const char *who;
		bool used;
	} *t = calloc(cap, sizeof(*t));
	int rc = -1;

	if (!t) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	/* (netns, table) once; (netns, VM address) once */
	for (size_t i = 0; i < o->n_vnets * 2 + o->n_vms; i++) {
		const char *netns, *who;
		uint8_t family = 0, addr[16] = { 0 };
		uint32_t table = 0, h;
		size_t j;

		if (i < o->n_vnets * 2) {
			const struct vnet_vnet_spec *v = &o->vnets[i / 2];

			netns = v->netns;
			table = v->tables[i % 2];
			who = v->name;
		} else {
			const struct vnet_vm_spec *vm = &o->vms[i - o->n_vnets * 2];
			size_t vi;

			if (!name_index_has(o->vnet_idx, o->vnet_idx_cap,
					    vm->vnet, o->vnets,
					    sizeof(*o->vnets), NULL)) {
				snprintf(reason, rlen,
					 "vm %s: vnet %s is not configured (--vnet %s=NETNS,tables=T0:T1)",
					 vm->name, vm->vnet, vm->vnet);
				goto out;
			}
			for (vi = vnet_vm_hash(vm->vnet) & (o->vnet_idx_cap - 1);
			     strcmp(o->vnets[o->vnet_idx[vi] - 1].name, vm->vnet);
			     vi = (vi + 1) & (o->vnet_idx_cap - 1))
				;
			netns = o->vnets[o->vnet_idx[vi] - 1].netns;
			family = vm->family;
			memcpy(addr, vm->addr, 16);
			who = vm->name;
		}
		h = vnet_vm_hash(netns) ^ (table * 2654435761u) ^ family;
		for (size_t k = 0; k < 16; k++)
			h = (h ^ addr[k]) * 16777619u;
		for (j = h & (cap - 1); t[j].used; j = (j + 1) & (cap - 1)) {
			if (t[j].h != h || strcmp(t[j].netns, netns) ||
			    t[j].table != table || t[j].family != family ||
			    memcmp(t[j].addr, addr, 16))
				continue;
			if (table)
				snprintf(reason, rlen,
					 "vnet %s: table %u of netns %s is already a slot table of vnet %s",
					 who, table, netns, t[j].who);
			else
				snprintf(reason, rlen,
					 "vm %s: its address is already vm %s's in netns %s",
					 who, t[j].who, netns);
			goto out;
		}
		t[j].used = true;
		t[j].h = h;
		t[j].netns = netns;
		t[j].table = table;
		t[j].family = family;
		memcpy(t[j].addr, addr, 16);
		t[j].who = who;
	}
	rc = 0;
out:
	free(t);
	return rc;
}

int vnet_agent_load_config(struct vnet_agent_opts *o, const char *path,
			   char *reason, size_t rlen)
{
	char line[512], sub[VRS_FABRIC_REASON_LEN];
	unsigned int ln = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(reason, rlen, "config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;
		int rc;

		ln++;
		p += strspn(p, " \t");
		e = p + strcspn(p, "#\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*p)
			continue;
		if (!strncmp(p, "vnet ", 5) || !strncmp(p, "vnet\t", 5)) {
			p += 5 + strspn(p + 5, " \t");
			rc = vnet_agent_add_vnet(o, p, sub, sizeof(sub));
		} else {
			/* "vm SPEC" (a bare SPEC is a v1 VM line) */
			if (!strncmp(p, "vm ", 3) || !strncmp(p, "vm\t", 3))
				p += 3 + strspn(p + 3, " \t");
			rc = vnet_agent_add_vm(o, p, sub, sizeof(sub));
		}
		if (rc < 0) {
			snprintf(reason, rlen, "config %s line %u: %s", path, ln,
				 sub);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

void vnet_agent_opts_free(struct vnet_agent_opts *o)
{
	free(o->vnets);
	free(o->vms);
	free(o->vnet_idx);
	free(o->vm_idx);
	o->vnets = NULL;
	o->vms = NULL;
	o->vnet_idx = o->vm_idx = NULL;
	o->n_vnets = o->n_vms = o->cap_vnets = o->cap_vms = 0;
	o->vnet_idx_cap = o->vm_idx_cap = 0;
}
