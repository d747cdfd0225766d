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

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* ip=ADDR of a --vm: one more address, at most one per family. */
static int vm_add_addr(struct vnet_vm_spec *v, const char *spec,
		       const char *text, char *reason, size_t rlen)
{
	struct vnet_vm_addr a = { 0 };
	char old[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, text, a.addr) == 1) {
		a.family = AF_INET;
	} else if (inet_pton(AF_INET6, text, a.addr) == 1) {
		a.family = AF_INET6;
	} else {
		snprintf(reason, rlen,
			 "--vm '%s': ip '%s' is not an IPv4 or IPv6 address (the VM's NIC address, no /length)",
			 spec, text);
		return -1;
	}
	for (unsigned int i = 0; i < v->n_addrs; i++) {
		if (v->addrs[i].family != a.family)
			continue;
		inet_ntop(a.family, v->addrs[i].addr, old, sizeof(old));
		if (!memcmp(v->addrs[i].addr, a.addr, sizeof(a.addr)))
			snprintf(reason, rlen,
				 "--vm '%s': ip %s given twice; a VM has at most one IPv4 and one IPv6 address (ip=V4,ip=V6)",
				 spec, old);
		else
			snprintf(reason, rlen,
				 "--vm '%s': two %s addresses (%s and %s); a VM has at most one IPv4 and one IPv6 address (ip=V4,ip=V6)",
				 spec, family_name(a.family), old, text);
		return -1;
	}
	/* two families, one of each: no room for a third */
	v->addrs[v->n_addrs++] = a;
	return 0;
}

int vnet_agent_add_vm(struct vnet_agent_opts *o, const char *spec,
		      char *reason, size_t rlen)
{
	char buf[256], *eq, *opt, *save = NULL;
	struct vnet_vm_spec v = { 0 };
	bool v1 = false;
	size_t slot = 0;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(reason, rlen, "--vm '%.32s...' is too long", spec);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(reason, rlen,
			 "--vm '%s': expected NAME=VNET,ip=ADDR[,ip=ADDR]",
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
			if (vm_add_addr(&v, spec, opt + 3, reason, rlen) < 0)
				return -1;
		} else if (!strncmp(opt, "table=", 6) ||
			   !strncmp(opt, "metric=", 7)) {
			v1 = true;
		} else {
			snprintf(reason, rlen,
				 "--vm '%s': unknown option '%s' (ip=, once per address family)",
				 spec, opt);
			return -1;
		}
	}
	if (v1 || !v.n_addrs) {
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

/* A key of the duplicate check: a slot table (table != 0) or a VM address
 * (table 0) of a namespace. */
struct ckey {
	uint32_t h;
	const char *netns;
	uint8_t family;
	uint8_t addr[16];
	uint32_t table;
	const char *who;
	bool used;
};

/* Adds a key; the entry already there if it was (NULL: added). */
static const struct ckey *ckey_add(struct ckey *t, size_t cap,
				   const char *netns, uint32_t table,
				   uint8_t family, const uint8_t *addr,
				   const char *who)
{
	uint32_t h = vnet_vm_hash(netns) ^ (table * 2654435761u) ^ family;
	size_t j;

	for (size_t k = 0; k < 16; k++)
		h = (h ^ addr[k]) * 16777619u;
	for (j = h & (cap - 1); t[j].used; j = (j + 1) & (cap - 1))
		if (t[j].h == h && !strcmp(t[j].netns, netns) &&
		    t[j].table == table && t[j].family == family &&
		    !memcmp(t[j].addr, addr, 16))
			return &t[j];
	t[j].used = true;
	t[j].h = h;
	t[j].netns = netns;
	t[j].table = table;
	t[j].family = family;
	memcpy(t[j].addr, addr, 16);
	t[j].who = who;
	return NULL;
}

int vnet_agent_check_config(struct vnet_agent_opts *o, char *reason,
			    size_t rlen)
{
	static const uint8_t none[16];
	size_t cap = pow2_at_least(
		(o->n_vms * VNET_VM_MAX_ADDRS + o->n_vnets * 2) * 2 + 2);
	struct ckey *t = calloc(cap, sizeof(*t));
	const struct ckey *dup;
	int rc = -1;

	if (!t) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	/* (netns, table) once */
	for (size_t i = 0; i < o->n_vnets * 2; i++) {
		const struct vnet_vnet_spec *v = &o->vnets[i / 2];
		uint32_t table = v->tables[i % 2];

		dup = ckey_add(t, cap, v->netns, table, 0, none, v->name);
		if (dup) {
			snprintf(reason, rlen,
				 "vnet %s: table %u of netns %s is already a slot table of vnet %s",
				 v->name, table, v->netns, dup->who);
			goto out;
		}
	}
	/* (netns, family, VM address) once */
	for (size_t i = 0; i < o->n_vms; i++) {
		const struct vnet_vm_spec *vm = &o->vms[i];
		const char *netns;
		size_t vi;

		if (!name_index_has(o->vnet_idx, o->vnet_idx_cap, vm->vnet,
				    o->vnets, sizeof(*o->vnets), NULL)) {
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
		for (unsigned int ai = 0; ai < vm->n_addrs; ai++) {
			const struct vnet_vm_addr *ad = &vm->addrs[ai];
			char astr[INET6_ADDRSTRLEN];

			dup = ckey_add(t, cap, netns, 0, ad->family, ad->addr,
				       vm->name);
			if (!dup)
				continue;
			inet_ntop(ad->family, ad->addr, astr, sizeof(astr));
			snprintf(reason, rlen,
				 "vm %s: its address %s is already vm %s's in netns %s (an address is one VM's per namespace)",
				 vm->name, astr, dup->who, netns);
			goto out;
		}
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
