// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VNet fabric protocol: framing, validated encode/decode, session state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrs_fabric_codec.h"
#include "vrs_fabric.pb-c.h"

/* ------------------------------------------------------------------ */
/* Allocator                                                          */

static void *default_alloc(void *data, size_t size)
{
	return malloc(size);
}

static void default_free(void *data, void *ptr)
{
	free(ptr);
}

static const ProtobufCAllocator default_allocator = {
	.alloc = default_alloc,
	.free = default_free,
};

static ProtobufCAllocator cur_allocator = {
	.alloc = default_alloc,
	.free = default_free,
};

void vrs_fabric_set_allocator(const ProtobufCAllocator *alloc)
{
	cur_allocator = alloc ? *alloc : default_allocator;
}

const ProtobufCAllocator *vrs_fabric_allocator(void)
{
	return &cur_allocator;
}

void *vrs_fabric_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = cur_allocator.alloc(cur_allocator.allocator_data, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void vrs_fabric_free(void *ptr)
{
	if (ptr)
		cur_allocator.free(cur_allocator.allocator_data, ptr);
}

/* Overflow-checked n * size allocation. */
static void *alloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return vrs_fabric_alloc(n * size);
}

static int fail(char *reason, size_t rlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;

	if (reason && rlen) {
		va_start(ap, fmt);
		vsnprintf(reason, rlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Names and enums                                                    */

struct enum_name {
	unsigned int value;
	const char *name;
};

static const struct enum_name source_names[] = {
	{ VRS_SRC_VNET_LOCAL, "vnetLocal" },
	{ VRS_SRC_VNET_PEERING, "vnetPeering" },
	{ VRS_SRC_VIRTUAL_NETWORK_GATEWAY, "virtualNetworkGateway" },
	{ VRS_SRC_USER, "user" },
	{ VRS_SRC_DEFAULT, "default" },
};

static const struct enum_name msg_names[] = {
	{ VRS_MSG_HELLO, "Hello" },	    { VRS_MSG_SNAPSHOT, "Snapshot" },
	{ VRS_MSG_UPDATE, "Update" },	    { VRS_MSG_KEEPALIVE, "Keepalive" },
	{ VRS_MSG_ACK, "Ack" },		    { VRS_MSG_ERROR, "Error" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Next-hop type rules, as a table: how many next hops each type takes.
 * Types without a gateway (vnetLocal, internet) may carry next hops when
 * the emulation models them as a gateway address.
 */
static const struct nh_type_rule {
	unsigned int type;
	const char *name;
	unsigned int min_nh;
	unsigned int max_nh;
} nh_type_rules[] = {
	{ VRS_NH_VNET_LOCAL, "vnetLocal", 0, VRS_FABRIC_MAX_NEXTHOPS },
	{ VRS_NH_VNET_PEERING, "vnetPeering", 1, VRS_FABRIC_MAX_NEXTHOPS },
	{ VRS_NH_VIRTUAL_APPLIANCE, "virtualAppliance", 1,
	  VRS_FABRIC_MAX_NEXTHOPS },
	{ VRS_NH_VIRTUAL_NETWORK_GATEWAY, "virtualNetworkGateway", 1,
	  VRS_FABRIC_MAX_NEXTHOPS },
	{ VRS_NH_INTERNET, "internet", 0, VRS_FABRIC_MAX_NEXTHOPS },
	{ VRS_NH_NONE, "none", 0, 0 },
};

static const char *enum_to_name(const struct enum_name *t, size_t n,
				unsigned int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static const struct nh_type_rule *nh_rule(unsigned int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(nh_type_rules); i++)
		if (nh_type_rules[i].type == type)
			return &nh_type_rules[i];
	return NULL;
}

const char *vrs_fabric_source_name(unsigned int src)
{
	const char *n = enum_to_name(source_names, ARRAY_SIZE(source_names),
				     src);

	return n ? n : "unknown";
}

const char *vrs_fabric_nh_type_name(unsigned int t)
{
	const struct nh_type_rule *r = nh_rule(t);

	return r ? r->name : "unknown";
}

int vrs_fabric_source_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_names); i++)
		if (!strcmp(source_names[i].name, name))
			return (int)source_names[i].value;
	return -1;
}

int vrs_fabric_nh_type_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(nh_type_rules); i++)
		if (!strcmp(nh_type_rules[i].name, name))
			return (int)nh_type_rules[i].type;
	return -1;
}

const char *vrs_fabric_msg_type_name(enum vrs_fabric_msg_type t)
{
	const char *n = enum_to_name(msg_names, ARRAY_SIZE(msg_names), t);

	return n ? n : "unknown";
}

bool vrs_fabric_name_valid(const char *name)
{
	size_t len = 0;

	for (const char *p = name; *p; p++, len++) {
		char c = *p;

		if (len >= VRS_FABRIC_MAX_NAME)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == ':'))
			return false;
	}
	return len > 0;
}

/* ------------------------------------------------------------------ */
/* Prefixes and routes                                                */

static unsigned int addr_len(unsigned int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool host_bits_zero(const uint8_t *a, unsigned int alen,
			   unsigned int plen)
{
	for (unsigned int bit = plen; bit < alen * 8; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

const char *vrs_fabric_prefix_str(const struct vrs_fabric_route *r, char *buf,
				  size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(r->family, r->prefix, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, r->plen);
	return buf;
}

int vrs_fabric_prefix_parse(const char *str, struct vrs_fabric_route *r,
			    char *reason, size_t rlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(str, '/');
	size_t alen;
	char *end;
	unsigned long plen;

	if (!slash)
		return fail(reason, rlen, "prefix '%s' has no '/length'", str);
	alen = (size_t)(slash - str);
	if (alen == 0 || alen >= sizeof(addr))
		return fail(reason, rlen, "prefix '%s' has a bad address part",
			    str);
	memcpy(addr, str, alen);
	addr[alen] = '\0';
	memset(r->prefix, 0, sizeof(r->prefix));
	if (inet_pton(AF_INET, addr, r->prefix) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, r->prefix) == 1)
		r->family = AF_INET6;
	else
		return fail(reason, rlen, "prefix '%s': '%s' is not an address",
			    str, addr);
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || plen > addr_len(r->family) * 8)
		return fail(reason, rlen,
			    "prefix '%s': length must be 0..%u", str,
			    addr_len(r->family) * 8);
	r->plen = (uint8_t)plen;
	if (!host_bits_zero(r->prefix, addr_len(r->family), r->plen))
		return fail(reason, rlen, "prefix '%s' has host bits set", str);
	return 0;
}

static int nh_cmp(const void *a, const void *b)
{
	const struct vrs_fabric_nh *x = a, *y = b;

	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

void vrs_fabric_route_sort_nh(struct vrs_fabric_route *r)
{
	if (r->n_nh > 1)
		qsort(r->nh, r->n_nh, sizeof(r->nh[0]), nh_cmp);
}

int vrs_fabric_route_cmp_key(const struct vrs_fabric_route *a,
			     const struct vrs_fabric_route *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->prefix, b->prefix, addr_len(a->family));
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return 0;
}

static int route_qsort_cmp(const void *a, const void *b)
{
	return vrs_fabric_route_cmp_key(a, b);
}

/* The prefix of r, and an address, as text: for reasons only. */
static const char *pstr(const struct vrs_fabric_route *r,
			char buf[INET6_ADDRSTRLEN + 8])
{
	vrs_fabric_prefix_str(r, buf, INET6_ADDRSTRLEN + 8);
	return buf;
}

static const char *astr(uint8_t family, const uint8_t *addr,
			char buf[INET6_ADDRSTRLEN])
{
	inet_ntop(family, addr, buf, INET6_ADDRSTRLEN);
	return buf;
}

/* Route checks, one row each: the first failing row gives the reason. */
static int route_validate_nh(const struct vrs_fabric_route *r, char *reason,
			     size_t rlen);

int vrs_fabric_route_validate(const struct vrs_fabric_route *r, char *reason,
			      size_t rlen)
{
	/* The prefix is printed only for a reason: this runs once per route
	 * of every frame, and formatting it each time cost ~10 % of a 1M-route
	 * decode. pstr() fills pfx on the failure path.
	 */
	char pfx[INET6_ADDRSTRLEN + 8];
	const struct nh_type_rule *rule;

	if (r->family != AF_INET && r->family != AF_INET6)
		return fail(reason, rlen, "unknown address family %u",
			    r->family);
	if (r->plen > addr_len(r->family) * 8)
		return fail(reason, rlen, "prefix length %u out of range 0..%u",
			    r->plen, addr_len(r->family) * 8);
	if (!host_bits_zero(r->prefix, addr_len(r->family), r->plen))
		return fail(reason, rlen, "prefix %s has host bits set", pstr(r, pfx));
	if (!enum_to_name(source_names, ARRAY_SIZE(source_names), r->source))
		return fail(reason, rlen, "prefix %s: unknown source %u", pstr(r, pfx),
			    r->source);
	rule = nh_rule(r->nh_type);
	if (!rule)
		return fail(reason, rlen, "prefix %s: unknown next-hop type %u",
			    pstr(r, pfx), r->nh_type);
	if (r->state != VRS_STATE_ACTIVE && r->state != VRS_STATE_INVALID)
		return fail(reason, rlen, "prefix %s: unknown state %u", pstr(r, pfx),
			    r->state);
	if (r->n_nh > VRS_FABRIC_MAX_NEXTHOPS)
		return fail(reason, rlen,
			    "prefix %s: %u next hops, at most %u allowed", pstr(r, pfx),
			    r->n_nh, VRS_FABRIC_MAX_NEXTHOPS);
	if (r->n_nh < rule->min_nh || r->n_nh > rule->max_nh)
		return fail(reason, rlen,
			    "prefix %s: next-hop type %s takes %u..%u next hops, got %u",
			    pstr(r, pfx), rule->name, rule->min_nh, rule->max_nh,
			    r->n_nh);
	if (route_validate_nh(r, reason, rlen) < 0) {
		char sub[VRS_FABRIC_REASON_LEN];

		snprintf(sub, sizeof(sub), "%s", reason ? reason : "");
		return fail(reason, rlen, "prefix %s: %s", pstr(r, pfx), sub);
	}
	return 0;
}

static int route_validate_nh(const struct vrs_fabric_route *r, char *reason,
			     size_t rlen)
{
	static const uint8_t zero[16];
	unsigned int alen = addr_len(r->family);
	char a[INET6_ADDRSTRLEN];

	/* a: the next hop, printed only on the failure path (astr()). */
	for (unsigned int i = 0; i < r->n_nh; i++) {
		const struct vrs_fabric_nh *nh = &r->nh[i];

		if (!memcmp(nh->addr, zero, alen))
			return fail(reason, rlen,
				    "next hop %u is the unspecified address",
				    i);
		if (alen == 4 ? nh->addr[0] >= 224 : nh->addr[0] == 0xff)
			return fail(reason, rlen,
				    "next hop %s is multicast/reserved", astr(r->family, nh->addr, a));
		if (nh->weight < 1 || nh->weight > 256)
			return fail(reason, rlen,
				    "next hop %s: weight %u out of range 1..256",
				    astr(r->family, nh->addr, a), nh->weight);
		for (unsigned int j = 0; j < i; j++)
			if (!memcmp(r->nh[j].addr, nh->addr, alen))
				return fail(reason, rlen,
					    "next hop %s listed twice", astr(r->family, nh->addr, a));
	}
	return 0;
}

int vrs_fabric_rset_alloc(struct vrs_fabric_rset *rs, size_t n)
{
	rs->n = 0;
	rs->routes = alloc_array(n ? n : 1, sizeof(*rs->routes));
	if (!rs->routes)
		return -1;
	rs->n = n;
	return 0;
}

void vrs_fabric_rset_free(struct vrs_fabric_rset *rs)
{
	vrs_fabric_free(rs->routes);
	rs->routes = NULL;
	rs->n = 0;
}

int vrs_fabric_rset_copy(struct vrs_fabric_rset *dst,
			 const struct vrs_fabric_rset *src)
{
	if (vrs_fabric_rset_alloc(dst, src->n) < 0)
		return -1;
	if (src->n)
		memcpy(dst->routes, src->routes, src->n * sizeof(*src->routes));
	return 0;
}

int vrs_fabric_rset_normalize(struct vrs_fabric_rset *rs, char *reason,
			      size_t rlen)
{
	char pfx[INET6_ADDRSTRLEN + 8];

	for (size_t i = 0; i < rs->n; i++)
		vrs_fabric_route_sort_nh(&rs->routes[i]);
	if (rs->n > 1)
		qsort(rs->routes, rs->n, sizeof(*rs->routes), route_qsort_cmp);
	for (size_t i = 1; i < rs->n; i++)
		if (!vrs_fabric_route_cmp_key(&rs->routes[i - 1],
					      &rs->routes[i]))
			return fail(reason, rlen, "prefix %s listed twice",
				    vrs_fabric_prefix_str(&rs->routes[i], pfx,
							  sizeof(pfx)));
	return 0;
}

const struct vrs_fabric_route *
vrs_fabric_rset_find(const struct vrs_fabric_rset *rs,
		     const struct vrs_fabric_route *key)
{
	if (!rs->n)
		return NULL;
	return bsearch(key, rs->routes, rs->n, sizeof(*rs->routes),
		       route_qsort_cmp);
}

/* ------------------------------------------------------------------ */
/* Prefix keys, next-hop address lists                                */

/* A withdrawn prefix: family, prefix and length only. */
static int prefix_key_validate(const struct vrs_fabric_route *r, char *reason,
			       size_t rlen)
{
	char pfx[INET6_ADDRSTRLEN + 8];

	if (r->family != AF_INET && r->family != AF_INET6)
		return fail(reason, rlen, "unknown address family %u",
			    r->family);
	if (r->plen > addr_len(r->family) * 8)
		return fail(reason, rlen, "prefix length %u out of range 0..%u",
			    r->plen, addr_len(r->family) * 8);
	if (!host_bits_zero(r->prefix, addr_len(r->family), r->plen))
		return fail(reason, rlen, "prefix %s has host bits set",
			    vrs_fabric_prefix_str(r, pfx, sizeof(pfx)));
	return 0;
}

static bool rset_sorted_strict(const struct vrs_fabric_route *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (vrs_fabric_route_cmp_key(&r[i - 1], &r[i]) >= 0)
			return false;
	return true;
}

/* A prefix of routes (tag 0) or withdrawn (tag 1), for the slow check. */
struct pkey {
	uint8_t family;
	uint8_t plen;
	uint8_t tag;
	uint8_t prefix[16];
};

static int pkey_cmp(const void *a, const void *b)
{
	const struct pkey *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->prefix, y->prefix, addr_len(x->family));
	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return (int)x->tag - (int)y->tag;
}

static void pkey_str(const struct pkey *k, char *buf, size_t len)
{
	struct vrs_fabric_route r = { .family = k->family, .plen = k->plen };

	memcpy(r.prefix, k->prefix, sizeof(r.prefix));
	vrs_fabric_prefix_str(&r, buf, len);
}

/*
 * No prefix twice in routes and withdrawn together. Linear when both are
 * sorted (the decoder's case and the usual encoder's), else sorts keys.
 */
static int prefixes_unique(const struct vrs_fabric_route *a, size_t na,
			   const struct vrs_fabric_route *b, size_t nb,
			   char *reason, size_t rlen)
{
	char pfx[INET6_ADDRSTRLEN + 8];
	struct pkey *k;
	size_t n = 0, i = 0, j = 0;
	int ret = 0;

	if (rset_sorted_strict(a, na) && rset_sorted_strict(b, nb)) {
		while (i < na && j < nb) {
			int c = vrs_fabric_route_cmp_key(&a[i], &b[j]);

			if (!c)
				return fail(reason, rlen,
					    "prefix %s both in routes and withdrawn",
					    vrs_fabric_prefix_str(&a[i], pfx,
								  sizeof(pfx)));
			if (c < 0)
				i++;
			else
				j++;
		}
		return 0;
	}
	k = alloc_array(na + nb + 1, sizeof(*k));
	if (!k)
		return fail(reason, rlen, "out of memory checking %zu prefixes",
			    na + nb);
	for (i = 0; i < na + nb; i++) {
		const struct vrs_fabric_route *r = i < na ? &a[i] : &b[i - na];

		k[n].family = r->family;
		k[n].plen = r->plen;
		k[n].tag = i < na ? 0 : 1;
		memcpy(k[n].prefix, r->prefix, sizeof(k[n].prefix));
		n++;
	}
	qsort(k, n, sizeof(*k), pkey_cmp);
	for (i = 1; i < n; i++) {
		if (k[i - 1].family != k[i].family ||
		    k[i - 1].plen != k[i].plen ||
		    memcmp(k[i - 1].prefix, k[i].prefix,
			   addr_len(k[i].family)))
			continue;
		pkey_str(&k[i], pfx, sizeof(pfx));
		if (k[i - 1].tag != k[i].tag)
			ret = fail(reason, rlen,
				   "prefix %s both in routes and withdrawn",
				   pfx);
		else if (k[i].tag)
			ret = fail(reason, rlen,
				   "withdrawn prefix %s listed twice", pfx);
		else
			ret = fail(reason, rlen, "prefix %s listed twice", pfx);
		break;
	}
	vrs_fabric_free(k);
	return ret;
}

int vrs_fabric_addr_cmp(const struct vrs_fabric_addr *a,
			const struct vrs_fabric_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int addr_qsort_cmp(const void *a, const void *b)
{
	return vrs_fabric_addr_cmp(a, b);
}

const char *vrs_fabric_addr_str(const struct vrs_fabric_addr *a, char *buf,
				size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int vrs_fabric_addr_parse(const char *str, struct vrs_fabric_addr *a,
			  char *reason, size_t rlen)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, str, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, str, a->addr) == 1)
		a->family = AF_INET6;
	else
		return fail(reason, rlen, "'%s' is not an IPv4/IPv6 address",
			    str);
	return vrs_fabric_addr_validate(a, reason, rlen);
}

/* A next-hop address of a down/up list: a unicast address. */
int vrs_fabric_addr_validate(const struct vrs_fabric_addr *a, char *reason,
			     size_t rlen)
{
	static const uint8_t zero[16];
	char s[INET6_ADDRSTRLEN];
	unsigned int alen;

	if (a->family != AF_INET && a->family != AF_INET6)
		return fail(reason, rlen, "unknown address family %u",
			    a->family);
	alen = addr_len(a->family);
	if (alen == 4 && memcmp(a->addr + 4, zero, 12))
		return fail(reason, rlen, "IPv4 address with bytes past 4");
	vrs_fabric_addr_str(a, s, sizeof(s));
	if (!memcmp(a->addr, zero, alen))
		return fail(reason, rlen, "%s is the unspecified address", s);
	if (alen == 4 ? a->addr[0] >= 224 : a->addr[0] == 0xff)
		return fail(reason, rlen, "%s is multicast/reserved", s);
	return 0;
}

/*
 * A nexthops_down/_up list: at most VRS_FABRIC_MAX_NH_LIST unicast
 * addresses, no duplicate. Fast when sorted, else sorts a copy.
 */
static int addr_list_validate(const struct vrs_fabric_addr *a, size_t n,
			      const char *what, char *reason, size_t rlen)
{
	char sub[VRS_FABRIC_REASON_LEN], s[INET6_ADDRSTRLEN];
	struct vrs_fabric_addr *c = NULL;
	const struct vrs_fabric_addr *l = a;
	int ret = 0;

	if (n > VRS_FABRIC_MAX_NH_LIST)
		return fail(reason, rlen, "%s: %zu addresses, at most %u allowed",
			    what, n, VRS_FABRIC_MAX_NH_LIST);
	for (size_t i = 0; i < n; i++)
		if (vrs_fabric_addr_validate(&a[i], sub, sizeof(sub)) < 0)
			return fail(reason, rlen, "%s address %zu: %s", what,
				    i, sub);
	for (size_t i = 1; i < n; i++)
		if (vrs_fabric_addr_cmp(&a[i - 1], &a[i]) >= 0) {
			c = alloc_array(n, sizeof(*c));
			if (!c)
				return fail(reason, rlen, "out of memory");
			memcpy(c, a, n * sizeof(*c));
			qsort(c, n, sizeof(*c), addr_qsort_cmp);
			l = c;
			break;
		}
	for (size_t i = 1; i < n; i++)
		if (!vrs_fabric_addr_cmp(&l[i - 1], &l[i])) {
			ret = fail(reason, rlen, "%s: %s listed twice", what,
				   vrs_fabric_addr_str(&l[i], s, sizeof(s)));
			break;
		}
	vrs_fabric_free(c);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                           */

static int family_from_wire(unsigned int f)
{
	switch (f) {
	case VRS__FABRIC__FAMILY__FAMILY_IPV4:
		return AF_INET;
	case VRS__FABRIC__FAMILY__FAMILY_IPV6:
		return AF_INET6;
	}
	return -1;
}

/* The prefix of a wire Route or Prefix into r (zeroed first). */
static int key_from_wire(Vrs__Fabric__Family wfamily,
			 const ProtobufCBinaryData *prefix,
			 uint32_t prefix_len, struct vrs_fabric_route *r,
			 char *reason, size_t rlen)
{
	int fam = family_from_wire(wfamily);
	unsigned int alen;

	memset(r, 0, sizeof(*r));
	if (fam < 0)
		return fail(reason, rlen, "family %d is not IPv4/IPv6",
			    (int)wfamily);
	r->family = (uint8_t)fam;
	alen = addr_len(fam);
	if (prefix->len != alen)
		return fail(reason, rlen,
			    "prefix address has %zu bytes, %s needs %u",
			    prefix->len, fam == AF_INET ? "IPv4" : "IPv6",
			    alen);
	memcpy(r->prefix, prefix->data, alen);
	if (prefix_len > alen * 8)
		return fail(reason, rlen, "prefix length %u out of range 0..%u",
			    prefix_len, alen * 8);
	r->plen = (uint8_t)prefix_len;
	return 0;
}

static int route_from_wire(const Vrs__Fabric__Route *w,
			   struct vrs_fabric_route *r, char *reason,
			   size_t rlen)
{
	unsigned int alen;

	if (key_from_wire(w->family, &w->prefix, w->prefix_len, r, reason,
			  rlen) < 0)
		return -1;
	alen = addr_len(r->family);
	if (w->source < 0 || w->source > 255 || w->next_hop_type < 0 ||
	    w->next_hop_type > 255 || w->state < 0 || w->state > 255)
		return fail(reason, rlen, "enum value out of range");
	r->source = (uint8_t)w->source;
	r->nh_type = (uint8_t)w->next_hop_type;
	r->state = (uint8_t)w->state;
	if (w->n_next_hops > VRS_FABRIC_MAX_NEXTHOPS)
		return fail(reason, rlen, "%zu next hops, at most %u allowed",
			    w->n_next_hops, VRS_FABRIC_MAX_NEXTHOPS);
	r->n_nh = (uint8_t)w->n_next_hops;
	for (size_t i = 0; i < w->n_next_hops; i++) {
		const Vrs__Fabric__NextHop *nh = w->next_hops[i];

		if (nh->address.len != alen)
			return fail(reason, rlen,
				    "next hop %zu has %zu address bytes, route family needs %u",
				    i, nh->address.len, alen);
		memcpy(r->nh[i].addr, nh->address.data, alen);
		if (nh->weight > 256)
			return fail(reason, rlen,
				    "next hop %zu: weight %u out of range 1..256",
				    i, nh->weight);
		r->nh[i].weight = nh->weight ? (uint16_t)nh->weight : 1;
	}
	return vrs_fabric_route_validate(r, reason, rlen);
}

static int prefix_from_wire(const Vrs__Fabric__Prefix *w,
			    struct vrs_fabric_route *r, char *reason,
			    size_t rlen)
{
	if (key_from_wire(w->family, &w->prefix, w->prefix_len, r, reason,
			  rlen) < 0)
		return -1;
	return prefix_key_validate(r, reason, rlen);
}

/* The part common to a Table and a TableDelta: name and routes. */
static int table_from_wire(const char *vnet, Vrs__Fabric__Route **routes,
			   size_t n_routes, struct vrs_fabric_vm_table *t,
			   char *reason, size_t rlen)
{
	char sub[VRS_FABRIC_REASON_LEN];

	if (!vnet || !vrs_fabric_name_valid(vnet))
		return fail(reason, rlen,
			    "VNet name '%.64s' is empty, too long or has invalid characters",
			    vnet ? vnet : "");
	snprintf(t->name, sizeof(t->name), "%s", vnet);
	if (n_routes > VRS_FABRIC_MAX_ROUTES_PER_TABLE)
		return fail(reason, rlen,
			    "vnet %s: %zu routes, at most %u allowed", t->name,
			    n_routes, VRS_FABRIC_MAX_ROUTES_PER_TABLE);
	if (vrs_fabric_rset_alloc(&t->rs, n_routes) < 0)
		return fail(reason, rlen, "vnet %s: out of memory", t->name);
	for (size_t i = 0; i < n_routes; i++)
		if (route_from_wire(routes[i], &t->rs.routes[i], sub,
				    sizeof(sub)) < 0)
			return fail(reason, rlen, "vnet %s route %zu: %s",
				    t->name, i, sub);
	if (vrs_fabric_rset_normalize(&t->rs, sub, sizeof(sub)) < 0)
		return fail(reason, rlen, "vnet %s: %s", t->name, sub);
	return 0;
}

static int delta_from_wire(const Vrs__Fabric__TableDelta *w,
			   struct vrs_fabric_vm_table *t, char *reason,
			   size_t rlen)
{
	char sub[VRS_FABRIC_REASON_LEN];

	if (table_from_wire(w->vnet, w->routes, w->n_routes, t, reason,
			    rlen) < 0)
		return -1;
	if (w->n_withdrawn > VRS_FABRIC_MAX_WITHDRAWN)
		return fail(reason, rlen,
			    "vnet %s: %zu withdrawn prefixes, at most %u allowed",
			    t->name, w->n_withdrawn, VRS_FABRIC_MAX_WITHDRAWN);
	if (!w->n_withdrawn)
		return 0;
	t->withdrawn = alloc_array(w->n_withdrawn, sizeof(*t->withdrawn));
	if (!t->withdrawn)
		return fail(reason, rlen, "vnet %s: out of memory", t->name);
	t->n_withdrawn = w->n_withdrawn;
	for (size_t i = 0; i < w->n_withdrawn; i++)
		if (prefix_from_wire(w->withdrawn[i], &t->withdrawn[i], sub,
				     sizeof(sub)) < 0)
			return fail(reason, rlen, "vnet %s withdrawn %zu: %s",
				    t->name, i, sub);
	if (t->n_withdrawn > 1)
		qsort(t->withdrawn, t->n_withdrawn, sizeof(*t->withdrawn),
		      route_qsort_cmp);
	if (prefixes_unique(t->rs.routes, t->rs.n, t->withdrawn,
			    t->n_withdrawn, sub, sizeof(sub)) < 0)
		return fail(reason, rlen, "vnet %s: %s", t->name, sub);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* No name twice in list (an array of n entries, stride bytes apart). */
static int names_unique(const char *list, size_t n, size_t stride,
			const char *what, char *reason, size_t rlen)
{
	char (*names)[VRS_FABRIC_MAX_NAME + 1];
	int ret = 0;

	if (n < 2)
		return 0;
	names = alloc_array(n, sizeof(*names));
	if (!names)
		return fail(reason, rlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		memcpy(names[i], list + i * stride, sizeof(names[i]));
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(names[i - 1], names[i])) {
			ret = fail(reason, rlen, "vnet %s %s", names[i], what);
			break;
		}
	vrs_fabric_free(names);
	return ret;
}

/*
 * A VNet once among a Snapshot's tables, once among an Update's deltas,
 * once among its removed tables. (Removed and a delta in one Update is a
 * replacement: removals apply first.)
 */
static int check_unique_vnets(const struct vrs_fabric_msg *m, char *reason,
			      size_t rlen)
{
	if (m->n_vms > 1 &&
	    names_unique(m->vms[0].name, m->n_vms, sizeof(m->vms[0]),
			 m->type == VRS_MSG_SNAPSHOT
				 ? "appears twice in one Snapshot"
				 : "has two deltas in one Update",
			 reason, rlen) < 0)
		return -1;
	if (m->n_removed > 1 &&
	    names_unique(m->removed[0], m->n_removed, sizeof(m->removed[0]),
			 "removed twice in one Update", reason, rlen) < 0)
		return -1;
	return 0;
}

static int addrs_from_wire(const ProtobufCBinaryData *w, size_t n,
			   const char *what, struct vrs_fabric_addr **out,
			   size_t *n_out, char *reason, size_t rlen)
{
	if (n > VRS_FABRIC_MAX_NH_LIST)
		return fail(reason, rlen, "%s: %zu addresses, at most %u allowed",
			    what, n, VRS_FABRIC_MAX_NH_LIST);
	if (!n)
		return 0;	/* *out stays NULL */
	*out = alloc_array(n, sizeof(**out));
	if (!*out)
		return fail(reason, rlen, "out of memory");
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		if (w[i].len != 4 && w[i].len != 16)
			return fail(reason, rlen,
				    "%s address %zu has %zu bytes, needs 4 or 16",
				    what, i, w[i].len);
		(*out)[i].family = w[i].len == 4 ? AF_INET : AF_INET6;
		memcpy((*out)[i].addr, w[i].data, w[i].len);
	}
	if (n > 1)
		qsort(*out, n, sizeof(**out), addr_qsort_cmp);
	return addr_list_validate(*out, n, what, reason, rlen);
}

static int dec_hello(const Vrs__Fabric__Envelope *e, struct vrs_fabric_msg *m,
		     char *reason, size_t rlen)
{
	const Vrs__Fabric__Hello *h = e->hello;

	/* protocol_version: checked by vrs_fabric_decode_ex before. */
	m->protocol_version = h->protocol_version;
	if (h->role != VRS__FABRIC__ROLE__ROLE_PUBLISHER &&
	    h->role != VRS__FABRIC__ROLE__ROLE_AGENT)
		return fail(reason, rlen, "Hello: role %d is missing or unknown",
			    (int)h->role);
	m->role = (enum vrs_fabric_role)h->role;
	if (m->role == VRS_ROLE_PUBLISHER) {
		if (!h->instance_name || !vrs_fabric_name_valid(h->instance_name))
			return fail(reason, rlen,
				    "Hello: publisher instance name is missing or invalid");
		if (h->instance_id > 1)
			return fail(reason, rlen,
				    "Hello: instance id %u, must be 0 or 1",
				    h->instance_id);
	} else if (h->instance_name && h->instance_name[0]) {
		return fail(reason, rlen,
			    "Hello: an agent must not send an instance name");
	}
	if (h->agent_name && h->agent_name[0] &&
	    !vrs_fabric_name_valid(h->agent_name))
		return fail(reason, rlen, "Hello: agent name is invalid");
	if (m->role == VRS_ROLE_AGENT && (!h->agent_name || !h->agent_name[0]))
		return fail(reason, rlen, "Hello: agent name is missing");
	snprintf(m->instance_name, sizeof(m->instance_name), "%s",
		 h->instance_name ? h->instance_name : "");
	snprintf(m->agent_name, sizeof(m->agent_name), "%s",
		 h->agent_name ? h->agent_name : "");
	m->instance_id = h->instance_id;
	m->keepalive_ms = h->keepalive_interval_ms
				  ? h->keepalive_interval_ms
				  : VRS_FABRIC_KEEPALIVE_DEFAULT_MS;
	if (m->keepalive_ms < VRS_FABRIC_KEEPALIVE_MIN_MS ||
	    m->keepalive_ms > VRS_FABRIC_KEEPALIVE_MAX_MS)
		return fail(reason, rlen,
			    "Hello: keepalive interval %u ms out of range %u..%u",
			    m->keepalive_ms, VRS_FABRIC_KEEPALIVE_MIN_MS,
			    VRS_FABRIC_KEEPALIVE_MAX_MS);
	return 0;
}

static int dec_snapshot(const Vrs__Fabric__Envelope *e,
			struct vrs_fabric_msg *m, char *reason, size_t rlen)
{
	const Vrs__Fabric__Snapshot *s = e->snapshot;

	m->seq = s->seq;
	m->more = s->more;
	if (s->n_tables > VRS_FABRIC_MAX_TABLES_PER_MSG)
		return fail(reason, rlen, "%zu tables, at most %u per message",
			    s->n_tables, VRS_FABRIC_MAX_TABLES_PER_MSG);
	m->vms = alloc_array(s->n_tables ? s->n_tables : 1, sizeof(*m->vms));
	if (!m->vms)
		return fail(reason, rlen, "out of memory");
	for (size_t i = 0; i < s->n_tables; i++) {
		m->n_vms = i + 1;
		if (table_from_wire(s->tables[i]->vnet, s->tables[i]->routes,
				    s->tables[i]->n_routes, &m->vms[i], reason,
				    rlen) < 0)
			return -1;
	}
	if (addrs_from_wire(s->nexthops_down, s->n_nexthops_down,
			    "nexthops_down", &m->nh_down, &m->n_nh_down,
			    reason, rlen) < 0)
		return -1;
	return check_unique_vnets(m, reason, rlen);
}

static int dec_update(const Vrs__Fabric__Envelope *e, struct vrs_fabric_msg *m,
		      char *reason, size_t rlen)
{
	const Vrs__Fabric__Update *u = e->update;

	m->seq = u->seq;
	if (u->n_deltas + u->n_removed_tables + u->n_nexthops_down +
		    u->n_nexthops_up == 0)
		return fail(reason, rlen, "Update changes nothing");
	if (u->n_deltas > VRS_FABRIC_MAX_TABLES_PER_MSG)
		return fail(reason, rlen, "%zu deltas, at most %u per message",
			    u->n_deltas, VRS_FABRIC_MAX_TABLES_PER_MSG);
	if (u->n_removed_tables > VRS_FABRIC_MAX_TABLES_PER_MSG)
		return fail(reason, rlen,
			    "Update removes %zu tables, at most %u",
			    u->n_removed_tables, VRS_FABRIC_MAX_TABLES_PER_MSG);
	m->vms = alloc_array(u->n_deltas ? u->n_deltas : 1, sizeof(*m->vms));
	if (!m->vms)
		return fail(reason, rlen, "out of memory");
	for (size_t i = 0; i < u->n_deltas; i++) {
		m->n_vms = i + 1;
		if (delta_from_wire(u->deltas[i], &m->vms[i], reason, rlen) < 0)
			return -1;
	}
	m->removed = alloc_array(u->n_removed_tables ? u->n_removed_tables : 1,
				 sizeof(*m->removed));
	if (!m->removed)
		return fail(reason, rlen, "out of memory");
	for (size_t i = 0; i < u->n_removed_tables; i++) {
		if (!u->removed_tables[i] ||
		    !vrs_fabric_name_valid(u->removed_tables[i]))
			return fail(reason, rlen,
				    "Update: removed table name %zu is invalid",
				    i);
		snprintf(m->removed[i], sizeof(m->removed[i]), "%s",
			 u->removed_tables[i]);
	}
	m->n_removed = u->n_removed_tables;
	if (addrs_from_wire(u->nexthops_down, u->n_nexthops_down,
			    "nexthops_down", &m->nh_down, &m->n_nh_down,
			    reason, rlen) < 0 ||
	    addrs_from_wire(u->nexthops_up, u->n_nexthops_up, "nexthops_up",
			    &m->nh_up, &m->n_nh_up, reason, rlen) < 0)
		return -1;
	return check_unique_vnets(m, reason, rlen);
}

static int dec_keepalive(const Vrs__Fabric__Envelope *e,
			 struct vrs_fabric_msg *m, char *reason, size_t rlen)
{
	m->seq = e->keepalive->seq;
	return 0;
}

static int dec_ack(const Vrs__Fabric__Envelope *e, struct vrs_fabric_msg *m,
		   char *reason, size_t rlen)
{
	m->seq = e->ack->seq;
	return 0;
}

static int dec_error(const Vrs__Fabric__Envelope *e, struct vrs_fabric_msg *m,
		     char *reason, size_t rlen)
{
	m->code = e->error->code;
	if (!m->code)
		return fail(reason, rlen, "Error: code is missing");
	snprintf(m->text, sizeof(m->text), "%s",
		 e->error->text ? e->error->text : "");
	return 0;
}

/* Per message type: the decoder and whether it carries a seq (> 0). */
static const struct msg_rule {
	Vrs__Fabric__Envelope__MsgCase wire;
	enum vrs_fabric_msg_type type;
	bool needs_seq;
	int (*decode)(const Vrs__Fabric__Envelope *e, struct vrs_fabric_msg *m,
		      char *reason, size_t rlen);
} msg_rules[] = {
	{ VRS__FABRIC__ENVELOPE__MSG_HELLO, VRS_MSG_HELLO, false, dec_hello },
	{ VRS__FABRIC__ENVELOPE__MSG_SNAPSHOT, VRS_MSG_SNAPSHOT, true,
	  dec_snapshot },
	{ VRS__FABRIC__ENVELOPE__MSG_UPDATE, VRS_MSG_UPDATE, true, dec_update },
	{ VRS__FABRIC__ENVELOPE__MSG_KEEPALIVE, VRS_MSG_KEEPALIVE, true,
	  dec_keepalive },
	{ VRS__FABRIC__ENVELOPE__MSG_ACK, VRS_MSG_ACK, true, dec_ack },
	{ VRS__FABRIC__ENVELOPE__MSG_ERROR, VRS_MSG_ERROR, false, dec_error },
};

const char *vrs_fabric_version_refusal(uint32_t version,
				       enum vrs_fabric_role local_role,
				       char *buf, size_t len)
{
	const char *me = local_role == VRS_ROLE_AGENT	    ? "agent"
			 : local_role == VRS_ROLE_PUBLISHER ? "publisher"
							    : "side";
	const char *peer = local_role == VRS_ROLE_AGENT ? "publisher" : "agent";

	if (local_role != VRS_ROLE_AGENT && local_role != VRS_ROLE_PUBLISHER)
		snprintf(buf, len,
			 "protocol version %u not supported: this side speaks version %u (tables per VNet)",
			 version, VRS_FABRIC_PROTOCOL_VERSION);
	else
		snprintf(buf, len,
			 "protocol version %u not supported: this %s speaks version %u (tables per VNet); upgrade the %s",
			 version, me, VRS_FABRIC_PROTOCOL_VERSION,
			 version < VRS_FABRIC_PROTOCOL_VERSION ? peer : me);
	return buf;
}

int vrs_fabric_decode_ex(const uint8_t *payload, size_t len,
			 enum vrs_fabric_role local_role,
			 struct vrs_fabric_msg *msg, enum vrs_fabric_err *code,
			 char *reason, size_t rlen)
{
	const struct msg_rule *rule = NULL;
	enum vrs_fabric_err dummy;
	Vrs__Fabric__Envelope *e;
	uint32_t version;
	int ret;

	if (!code)
		code = &dummy;
	*code = VRS_ERR_MALFORMED;
	memset(msg, 0, sizeof(*msg));
	if (len == 0)
		return fail(reason, rlen, "empty frame");
	if (len > VRS_FABRIC_MAX_FRAME_LIMIT)
		return fail(reason, rlen, "frame of %zu bytes exceeds %u", len,
			    VRS_FABRIC_MAX_FRAME_LIMIT);
	e = vrs__fabric__envelope__unpack(&cur_allocator, len, payload);
	if (!e)
		return fail(reason, rlen,
			    "frame of %zu bytes is not a valid protobuf Envelope (truncated or garbage)",
			    len);
	version = e->version;
	if (version == VRS_FABRIC_PROTOCOL_VERSION &&
	    e->msg_case == VRS__FABRIC__ENVELOPE__MSG_HELLO)
		version = e->hello->protocol_version;
	if (version != VRS_FABRIC_PROTOCOL_VERSION) {
		char text[VRS_FABRIC_REASON_LEN];

		*code = VRS_ERR_VERSION;
		ret = fail(reason, rlen, "%s",
			   vrs_fabric_version_refusal(version, local_role, text,
						      sizeof(text)));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(msg_rules); i++)
		if (msg_rules[i].wire == e->msg_case)
			rule = &msg_rules[i];
	if (!rule) {
		ret = fail(reason, rlen, "Envelope carries no known message (case %d)",
			   (int)e->msg_case);
		goto out;
	}
	msg->type = rule->type;
	ret = rule->decode(e, msg, reason, rlen);
	if (!ret && rule->needs_seq && msg->seq == 0)
		ret = fail(reason, rlen, "%s: seq is missing (0)",
			   vrs_fabric_msg_type_name(msg->type));
out:
	vrs__fabric__envelope__free_unpacked(e, &cur_allocator);
	if (ret < 0)
		vrs_fabric_msg_free(msg);
	else
		*code = VRS_ERR_NONE;
	return ret < 0 ? -1 : 0;
}

int vrs_fabric_decode(const uint8_t *payload, size_t len,
		      struct vrs_fabric_msg *msg, char *reason, size_t rlen)
{
	return vrs_fabric_decode_ex(payload, len, 0, msg, NULL, reason, rlen);
}

size_t vrs_fabric_decode_cost(const struct vrs_fabric_vm_table *t)
{
	size_t cost = VRS_FABRIC_DECODE_COST_TABLE;

	for (size_t i = 0; i < t->rs.n; i++)
		cost += VRS_FABRIC_DECODE_COST_ROUTE +
			VRS_FABRIC_DECODE_COST_NH * (size_t)t->rs.routes[i].n_nh;
	return cost + VRS_FABRIC_DECODE_COST_WITHDRAWN * t->n_withdrawn;
}

size_t vrs_fabric_decode_cost_addrs(size_t n)
{
	return VRS_FABRIC_DECODE_COST_ADDR * n;
}

size_t vrs_fabric_msg_decode_cost(const struct vrs_fabric_msg *m)
{
	size_t cost = VRS_FABRIC_DECODE_COST_MSG;

	for (size_t i = 0; i < m->n_vms; i++)
		cost += vrs_fabric_decode_cost(&m->vms[i]);
	cost += VRS_FABRIC_DECODE_COST_NAME * m->n_removed;
	return cost + vrs_fabric_decode_cost_addrs(m->n_nh_down + m->n_nh_up);
}

void vrs_fabric_msg_free(struct vrs_fabric_msg *msg)
{
	if (msg->vms) {
		for (size_t i = 0; i < msg->n_vms; i++) {
			vrs_fabric_rset_free(&msg->vms[i].rs);
			vrs_fabric_free(msg->vms[i].withdrawn);
		}
		vrs_fabric_free(msg->vms);
	}
	vrs_fabric_free(msg->removed);
	vrs_fabric_free(msg->nh_down);
	vrs_fabric_free(msg->nh_up);
	msg->vms = NULL;
	msg->n_vms = 0;
	msg->removed = NULL;
	msg->n_removed = 0;
	msg->nh_down = msg->nh_up = NULL;
	msg->n_nh_down = msg->n_nh_up = 0;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                           */

struct enc_ctx {
	Vrs__Fabric__Table *tables;
	Vrs__Fabric__TableDelta *deltas;
	void **tp;			/* Table* or TableDelta* */
	Vrs__Fabric__Route *routes;
	Vrs__Fabric__Route **routep;
	Vrs__Fabric__NextHop *nhs;
	Vrs__Fabric__NextHop **nhp;
	Vrs__Fabric__Prefix *wd;
	Vrs__Fabric__Prefix **wdp;
	char **removed;
	ProtobufCBinaryData *down;
	ProtobufCBinaryData *up;
};

static void enc_ctx_free(struct enc_ctx *c)
{
	vrs_fabric_free(c->tables);
	vrs_fabric_free(c->deltas);
	vrs_fabric_free(c->tp);
	vrs_fabric_free(c->routes);
	vrs_fabric_free(c->routep);
	vrs_fabric_free(c->nhs);
	vrs_fabric_free(c->nhp);
	vrs_fabric_free(c->wd);
	vrs_fabric_free(c->wdp);
	vrs_fabric_free(c->removed);
	vrs_fabric_free(c->down);
	vrs_fabric_free(c->up);
}

/* The decoder's checks, on the internal form: nothing invalid is sent. */
static int enc_validate_table(const struct vrs_fabric_msg *m,
			      const struct vrs_fabric_vm_table *t,
			      char *reason, size_t rlen)
{
	char sub[VRS_FABRIC_REASON_LEN];

	if (!vrs_fabric_name_valid(t->name))
		return fail(reason, rlen, "vnet name '%s' is invalid",
			    t->name);
	if (t->rs.n > VRS_FABRIC_MAX_ROUTES_PER_TABLE)
		return fail(reason, rlen,
			    "vnet %s: %zu routes, at most %u allowed", t->name,
			    t->rs.n, VRS_FABRIC_MAX_ROUTES_PER_TABLE);
	if (t->n_withdrawn && m->type != VRS_MSG_UPDATE)
		return fail(reason, rlen,
			    "vnet %s: withdrawn prefixes are only for an Update",
			    t->name);
	if (t->n_withdrawn > VRS_FABRIC_MAX_WITHDRAWN)
		return fail(reason, rlen,
			    "vnet %s: %zu withdrawn prefixes, at most %u allowed",
			    t->name, t->n_withdrawn, VRS_FABRIC_MAX_WITHDRAWN);
	for (size_t j = 0; j < t->rs.n; j++)
		if (vrs_fabric_route_validate(&t->rs.routes[j], sub,
					      sizeof(sub)) < 0)
			return fail(reason, rlen, "vnet %s route %zu: %s",
				    t->name, j, sub);
	for (size_t j = 0; j < t->n_withdrawn; j++)
		if (prefix_key_validate(&t->withdrawn[j], sub, sizeof(sub)) < 0)
			return fail(reason, rlen, "vnet %s withdrawn %zu: %s",
				    t->name, j, sub);
	if (prefixes_unique(t->rs.routes, t->rs.n, t->withdrawn,
			    t->n_withdrawn, sub, sizeof(sub)) < 0)
		return fail(reason, rlen, "vnet %s: %s", t->name, sub);
	return 0;
}

static int enc_validate(const struct vrs_fabric_msg *m, char *reason,
			size_t rlen)
{
	bool tables = m->type == VRS_MSG_SNAPSHOT || m->type == VRS_MSG_UPDATE;

	if (!tables) {
		if (m->n_vms || m->n_removed || m->n_nh_down || m->n_nh_up)
			return fail(reason, rlen, "%s carries no tables",
				    vrs_fabric_msg_type_name(m->type));
		return 0;
	}
	if (m->n_vms > VRS_FABRIC_MAX_TABLES_PER_MSG)
		return fail(reason, rlen, "%zu %s, at most %u per message",
			    m->n_vms,
			    m->type == VRS_MSG_UPDATE ? "deltas" : "tables",
			    VRS_FABRIC_MAX_TABLES_PER_MSG);
	for (size_t i = 0; i < m->n_vms; i++)
		if (enc_validate_table(m, &m->vms[i], reason, rlen) < 0)
			return -1;
	if (m->type == VRS_MSG_SNAPSHOT) {
		if (m->n_removed || m->n_nh_up)
			return fail(reason, rlen,
				    "removed tables and nexthops_up are only for an Update");
	} else {
		if (!m->n_vms && !m->n_removed && !m->n_nh_down && !m->n_nh_up)
			return fail(reason, rlen, "Update changes nothing");
		if (m->n_removed > VRS_FABRIC_MAX_TABLES_PER_MSG)
			return fail(reason, rlen,
				    "Update removes %zu tables, at most %u",
				    m->n_removed, VRS_FABRIC_MAX_TABLES_PER_MSG);
		for (size_t i = 0; i < m->n_removed; i++)
			if (!vrs_fabric_name_valid(m->removed[i]))
				return fail(reason, rlen,
					    "removed table name '%s' is invalid",
					    m->removed[i]);
	}
	if (addr_list_validate(m->nh_down, m->n_nh_down, "nexthops_down",
			       reason, rlen) < 0 ||
	    addr_list_validate(m->nh_up, m->n_nh_up, "nexthops_up", reason,
			       rlen) < 0)
		return -1;
	return check_unique_vnets(m, reason, rlen);
}

static Vrs__Fabric__Family family_to_wire(unsigned int family)
{
	return family == AF_INET ? VRS__FABRIC__FAMILY__FAMILY_IPV4
				 : VRS__FABRIC__FAMILY__FAMILY_IPV6;
}

static int enc_tables(struct enc_ctx *c, const struct vrs_fabric_msg *m,
		      char *reason, size_t rlen)
{
	size_t n_routes = 0, n_nh = 0, n_wd = 0, ri = 0, ni = 0, wi = 0;
	bool delta = m->type == VRS_MSG_UPDATE;

	for (size_t i = 0; i < m->n_vms; i++) {
		n_routes += m->vms[i].rs.n;
		n_wd += m->vms[i].n_withdrawn;
		for (size_t j = 0; j < m->vms[i].rs.n; j++)
			n_nh += m->vms[i].rs.routes[j].n_nh;
	}
	if (delta)
		c->deltas = alloc_array(m->n_vms + 1, sizeof(*c->deltas));
	else
		c->tables = alloc_array(m->n_vms + 1, sizeof(*c->tables));
	c->tp = alloc_array(m->n_vms + 1, sizeof(*c->tp));
	c->routes = alloc_array(n_routes + 1, sizeof(*c->routes));
	c->routep = alloc_array(n_routes + 1, sizeof(*c->routep));
	c->nhs = alloc_array(n_nh + 1, sizeof(*c->nhs));
	c->nhp = alloc_array(n_nh + 1, sizeof(*c->nhp));
	c->wd = alloc_array(n_wd + 1, sizeof(*c->wd));
	c->wdp = alloc_array(n_wd + 1, sizeof(*c->wdp));
	if ((!c->deltas && !c->tables) || !c->tp || !c->routes ||
	    !c->routep || !c->nhs || !c->nhp || !c->wd || !c->wdp)
		return fail(reason, rlen, "out of memory encoding %zu routes",
			    n_routes);
	for (size_t i = 0; i < m->n_vms; i++) {
		const struct vrs_fabric_vm_table *t = &m->vms[i];
		Vrs__Fabric__Route **routes = &c->routep[ri];

		for (size_t j = 0; j < t->rs.n; j++, ri++) {
			const struct vrs_fabric_route *r = &t->rs.routes[j];
			Vrs__Fabric__Route *wr = &c->routes[ri];
			unsigned int alen = addr_len(r->family);

			vrs__fabric__route__init(wr);
			c->routep[ri] = wr;
			wr->family = family_to_wire(r->family);
			wr->prefix.data = (uint8_t *)r->prefix;
			wr->prefix.len = alen;
			wr->prefix_len = r->plen;
			wr->source = r->source;
			wr->next_hop_type = r->nh_type;
			wr->state = r->state;
			wr->n_next_hops = r->n_nh;
			wr->next_hops = &c->nhp[ni];
			for (unsigned int k = 0; k < r->n_nh; k++, ni++) {
				Vrs__Fabric__NextHop *wn = &c->nhs[ni];

				vrs__fabric__next_hop__init(wn);
				c->nhp[ni] = wn;
				wn->address.data = (uint8_t *)r->nh[k].addr;
				wn->address.len = alen;
				wn->weight = r->nh[k].weight == 1
						     ? 0
						     : r->nh[k].weight;
			}
		}
		if (!delta) {
			Vrs__Fabric__Table *wt = &c->tables[i];

			vrs__fabric__table__init(wt);
			wt->vnet = (char *)t->name;
			wt->n_routes = t->rs.n;
			wt->routes = routes;
			c->tp[i] = wt;
		} else {
			Vrs__Fabric__TableDelta *wt = &c->deltas[i];

			vrs__fabric__table_delta__init(wt);
			wt->vnet = (char *)t->name;
			wt->n_routes = t->rs.n;
			wt->routes = routes;
			wt->n_withdrawn = t->n_withdrawn;
			wt->withdrawn = &c->wdp[wi];
			for (size_t j = 0; j < t->n_withdrawn; j++, wi++) {
				const struct vrs_fabric_route *r =
					&t->withdrawn[j];
				Vrs__Fabric__Prefix *wp = &c->wd[wi];

				vrs__fabric__prefix__init(wp);
				c->wdp[wi] = wp;
				wp->family = family_to_wire(r->family);
				wp->prefix.data = (uint8_t *)r->prefix;
				wp->prefix.len = addr_len(r->family);
				wp->prefix_len = r->plen;
			}
			c->tp[i] = wt;
		}
	}
	return 0;
}

static ProtobufCBinaryData *enc_addrs(const struct vrs_fabric_addr *a,
				      size_t n)
{
	ProtobufCBinaryData *b = alloc_array(n + 1, sizeof(*b));

	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		b[i].data = (uint8_t *)a[i].addr;
		b[i].len = addr_len(a[i].family);
	}
	return b;
}

int vrs_fabric_encode(const struct vrs_fabric_msg *m, uint8_t **frame,
		      size_t *frame_len, char *reason, size_t rlen)
{
	Vrs__Fabric__Envelope env = VRS__FABRIC__ENVELOPE__INIT;
	Vrs__Fabric__Hello hello = VRS__FABRIC__HELLO__INIT;
	Vrs__Fabric__Snapshot snap = VRS__FABRIC__SNAPSHOT__INIT;
	Vrs__Fabric__Update upd = VRS__FABRIC__UPDATE__INIT;
	Vrs__Fabric__Keepalive ka = VRS__FABRIC__KEEPALIVE__INIT;
	Vrs__Fabric__Ack ack = VRS__FABRIC__ACK__INIT;
	Vrs__Fabric__Error err = VRS__FABRIC__ERROR__INIT;
	struct enc_ctx c = {};
	size_t size;
	uint8_t *buf;
	int ret = -1;

	*frame = NULL;
	*frame_len = 0;
	env.version = VRS_FABRIC_PROTOCOL_VERSION;
	if (enc_validate(m, reason, rlen) < 0)
		return -1;
	switch (m->type) {
	case VRS_MSG_HELLO:
		hello.protocol_version = m->protocol_version
						 ? m->protocol_version
						 : VRS_FABRIC_PROTOCOL_VERSION;
		hello.role = (Vrs__Fabric__Role)m->role;
		hello.instance_name = (char *)m->instance_name;
		hello.instance_id = m->instance_id;
		hello.agent_name = (char *)m->agent_name;
		hello.keepalive_interval_ms = m->keepalive_ms;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_HELLO;
		env.hello = &hello;
		break;
	case VRS_MSG_SNAPSHOT:
		if (enc_tables(&c, m, reason, rlen) < 0)
			goto out;
		c.down = enc_addrs(m->nh_down, m->n_nh_down);
		if (!c.down) {
			fail(reason, rlen, "out of memory");
			goto out;
		}
		snap.seq = m->seq;
		snap.more = m->more;
		snap.n_tables = m->n_vms;
		snap.tables = (Vrs__Fabric__Table **)c.tp;
		snap.n_nexthops_down = m->n_nh_down;
		snap.nexthops_down = c.down;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_SNAPSHOT;
		env.snapshot = &snap;
		break;
	case VRS_MSG_UPDATE:
		if (enc_tables(&c, m, reason, rlen) < 0)
			goto out;
		c.removed = alloc_array(m->n_removed + 1, sizeof(char *));
		c.down = enc_addrs(m->nh_down, m->n_nh_down);
		c.up = enc_addrs(m->nh_up, m->n_nh_up);
		if (!c.removed || !c.down || !c.up) {
			fail(reason, rlen, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < m->n_removed; i++)
			c.removed[i] = (char *)m->removed[i];
		upd.seq = m->seq;
		upd.n_deltas = m->n_vms;
		upd.deltas = (Vrs__Fabric__TableDelta **)c.tp;
		upd.n_removed_tables = m->n_removed;
		upd.removed_tables = c.removed;
		upd.n_nexthops_down = m->n_nh_down;
		upd.nexthops_down = c.down;
		upd.n_nexthops_up = m->n_nh_up;
		upd.nexthops_up = c.up;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_UPDATE;
		env.update = &upd;
		break;
	case VRS_MSG_KEEPALIVE:
		ka.seq = m->seq;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_KEEPALIVE;
		env.keepalive = &ka;
		break;
	case VRS_MSG_ACK:
		ack.seq = m->seq;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_ACK;
		env.ack = &ack;
		break;
	case VRS_MSG_ERROR:
		err.code = m->code;
		err.text = (char *)m->text;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_ERROR;
		env.error = &err;
		break;
	default:
		fail(reason, rlen, "cannot encode message type %d", m->type);
		goto out;
	}
	size = vrs__fabric__envelope__get_packed_size(&env);
	if (size > VRS_FABRIC_MAX_FRAME_LIMIT) {
		fail(reason, rlen, "encoded %s of %zu bytes exceeds %u",
		     vrs_fabric_msg_type_name(m->type), size,
		     VRS_FABRIC_MAX_FRAME_LIMIT);
		goto out;
	}
	buf = vrs_fabric_alloc(size + VRS_FABRIC_FRAME_HDR);
	if (!buf) {
		fail(reason, rlen, "out of memory for a %zu-byte frame", size);
		goto out;
	}
	buf[0] = (uint8_t)(size >> 24);
	buf[1] = (uint8_t)(size >> 16);
	buf[2] = (uint8_t)(size >> 8);
	buf[3] = (uint8_t)size;
	vrs__fabric__envelope__pack(&env, buf + VRS_FABRIC_FRAME_HDR);
	*frame = buf;
	*frame_len = size + VRS_FABRIC_FRAME_HDR;
	ret = 0;
out:
	enc_ctx_free(&c);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Framing                                                            */

void vrs_fabric_reader_init(struct vrs_fabric_reader *rd, uint32_t max_frame)
{
	memset(rd, 0, sizeof(*rd));
	if (!max_frame)
		max_frame = VRS_FABRIC_MAX_FRAME_DEFAULT;
	if (max_frame > VRS_FABRIC_MAX_FRAME_LIMIT)
		max_frame = VRS_FABRIC_MAX_FRAME_LIMIT;
	rd->max_frame = max_frame;
}

void vrs_fabric_reader_reset(struct vrs_fabric_reader *rd)
{
	vrs_fabric_free(rd->buf);
	rd->buf = NULL;
	rd->hdr_got = 0;
	rd->len = 0;
	rd->got = 0;
}

int vrs_fabric_reader_feed(struct vrs_fabric_reader *rd, const uint8_t *data,
			   size_t len, size_t *used, char *reason, size_t rlen)
{
	size_t off = 0, take;

	*used = 0;
	rd->err = VRS_ERR_MALFORMED;
	if (rd->buf && rd->got == rd->len)
		return fail(reason, rlen, "previous frame not reset");
	while (rd->hdr_got < VRS_FABRIC_FRAME_HDR && off < len)
		rd->hdr[rd->hdr_got++] = data[off++];
	*used = off;
	if (rd->hdr_got < VRS_FABRIC_FRAME_HDR)
		return 0;
	if (!rd->buf) {
		rd->len = (uint32_t)rd->hdr[0] << 24 |
			  (uint32_t)rd->hdr[1] << 16 |
			  (uint32_t)rd->hdr[2] << 8 | rd->hdr[3];
		rd->err = VRS_ERR_MALFORMED;
		if (rd->len == 0)
			return fail(reason, rlen, "zero-length frame");
		rd->err = VRS_ERR_LIMIT;
		if (rd->len > rd->max_frame)
			return fail(reason, rlen,
				    "frame length %u exceeds the maximum %u",
				    rd->len, rd->max_frame);
		rd->buf = vrs_fabric_alloc(rd->len);
		if (!rd->buf)
			return fail(reason, rlen,
				    "out of memory for a %u-byte frame",
				    rd->len);
		rd->got = 0;
	}
	rd->err = VRS_ERR_NONE;
	take = len - off;
	if (take > rd->len - rd->got)
		take = rd->len - rd->got;
	memcpy(rd->buf + rd->got, data + off, take);
	rd->got += (uint32_t)take;
	*used = off + take;
	return rd->got == rd->len ? 1 : 0;
}

/* One protobuf varint; -1 when truncated or longer than 10 bytes. */
static int wire_varint(const uint8_t *p, size_t len, size_t *off,
		       uint64_t *v)
{
	*v = 0;
	for (unsigned int shift = 0; shift < 70; shift += 7) {
		uint8_t b;

		if (*off >= len)
			return -1;
		b = p[(*off)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

static int peek(const uint8_t *p, size_t len, enum vrs_fabric_msg_type *type,
		uint32_t *version, size_t *sub_off, size_t *sub_len,
		char *reason, size_t rlen)
{
	size_t off = 0;
	uint64_t key, v;
	int found = 0;

	while (off < len) {
		unsigned int field, wt;

		if (wire_varint(p, len, &off, &key) < 0)
			return fail(reason, rlen, "truncated field key at byte %zu",
				    off);
		field = (unsigned int)(key >> 3);
		wt = (unsigned int)(key & 7);
		if (field == 0)
			return fail(reason, rlen, "field number 0 at byte %zu",
				    off);
		switch (wt) {
		case 0:
			if (wire_varint(p, len, &off, &v) < 0)
				return fail(reason, rlen, "truncated varint");
			if (field == 1)
				*version = (uint32_t)v;
			break;
		case 1:
		case 5:
			if (len - off < (wt == 1 ? 8u : 4u))
				return fail(reason, rlen, "truncated fixed field");
			off += wt == 1 ? 8 : 4;
			break;
		case 2:
			if (wire_varint(p, len, &off, &v) < 0 || v > len - off)
				return fail(reason, rlen,
					    "field %u: length runs past the frame",
					    field);
			if (field >= VRS_MSG_HELLO && field <= VRS_MSG_ERROR) {
				*type = (enum vrs_fabric_msg_type)field;
				*sub_off = off;
				*sub_len = (size_t)v;
				found = 1;
			}
			off += (size_t)v;
			break;
		default:
			return fail(reason, rlen, "wire type %u is not supported",
				    wt);
		}
	}
	if (!found)
		return fail(reason, rlen, "Envelope carries no known message");
	return 0;
}

int vrs_fabric_peek_type(const uint8_t *p, size_t len,
			 enum vrs_fabric_msg_type *type, char *reason,
			 size_t rlen)
{
	uint32_t version = 0;
	size_t so, sl;

	return peek(p, len, type, &version, &so, &sl, reason, rlen);
}

int vrs_fabric_peek_version(const uint8_t *p, size_t len, uint32_t *version)
{
	enum vrs_fabric_msg_type type;
	size_t so, sl;

	*version = 0;
	return peek(p, len, &type, version, &so, &sl, NULL, 0);
}

/* Field 1 (varint) of a message, 0 if absent; -1 if not well formed. */
static int peek_field1(const uint8_t *p, size_t len, uint32_t *val)
{
	size_t off = 0;
	uint64_t key, v;

	*val = 0;
	while (off < len) {
		if (wire_varint(p, len, &off, &key) < 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (wire_varint(p, len, &off, &v) < 0)
				return -1;
			if ((key >> 3) == 1)
				*val = (uint32_t)v;
			break;
		case 1:
		case 5:
			if (len - off < ((key & 7) == 1 ? 8u : 4u))
				return -1;
			off += (key & 7) == 1 ? 8 : 4;
			break;
		case 2:
			if (wire_varint(p, len, &off, &v) < 0 || v > len - off)
				return -1;
			off += (size_t)v;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int vrs_fabric_check_version(const uint8_t *p, size_t len,
			     enum vrs_fabric_role local_role, char *reason,
			     size_t rlen)
{
	enum vrs_fabric_msg_type type;
	uint32_t version = 0, hv;
	size_t so = 0, sl = 0;
	char text[VRS_FABRIC_REASON_LEN];

	if (peek(p, len, &type, &version, &so, &sl, NULL, 0) < 0)
		return 0;
	if (version == VRS_FABRIC_PROTOCOL_VERSION && type == VRS_MSG_HELLO &&
	    peek_field1(p + so, sl, &hv) == 0)
		version = hv;
	if (version == VRS_FABRIC_PROTOCOL_VERSION)
		return 0;
	return fail(reason, rlen, "%s",
		    vrs_fabric_version_refusal(version, local_role, text,
					       sizeof(text)));
}

/* ------------------------------------------------------------------ */
/* Session state machine                                              */

void vrs_fabric_session_init(struct vrs_fabric_session *s,
			     enum vrs_fabric_role local_role)
{
	memset(s, 0, sizeof(*s));
	s->local_role = local_role;
	s->state = VRS_SESS_WAIT_HELLO;
}

void vrs_fabric_session_sent(struct vrs_fabric_session *s, uint64_t seq)
{
	if (seq > s->last_sent)
		s->last_sent = seq;
}

static const char *const sess_state_names[] = {
	[VRS_SESS_WAIT_HELLO] = "waiting for Hello",
	[VRS_SESS_WAIT_SNAPSHOT] = "waiting for the first Snapshot",
	[VRS_SESS_IN_SNAPSHOT] = "inside a chunked Snapshot",
	[VRS_SESS_SYNCED] = "synchronised",
	[VRS_SESS_CLOSED] = "closed",
};

const char *vrs_fabric_sess_state_name(enum vrs_fabric_sess_state st)
{
	return (unsigned int)st < VRS_SESS_N_STATES ? sess_state_names[st]
						     : "invalid";
}

static const char *const err_names[] = {
	[VRS_ERR_NONE] = "none",
	[VRS_ERR_MALFORMED] = "malformed",
	[VRS_ERR_VERSION] = "version",
	[VRS_ERR_SEQUENCE] = "sequence",
	[VRS_ERR_STATE] = "state",
	[VRS_ERR_DUPLICATE_INSTANCE] = "duplicate-instance",
	[VRS_ERR_TIMEOUT] = "timeout",
	[VRS_ERR_SHUTDOWN] = "shutdown",
	[VRS_ERR_LIMIT] = "limit",
	[VRS_ERR_UNEXPECTED] = "unexpected",
	[VRS_ERR_WRONG_AGENT] = "wrong-agent",
	[VRS_ERR_ROLE] = "role",
};

const char *vrs_fabric_err_name(uint32_t code)
{
	return code <= VRS_ERR_MAX ? err_names[code] : "unknown";
}

#define N_TYPES (VRS_MSG_ERROR - VRS_MSG_HELLO + 1)
#define T(x) [VRS_MSG_##x - VRS_MSG_HELLO]
#define OK(st) { VRS_V_ACCEPT, VRS_ERR_NONE, VRS_SESS_##st, NULL }
#define NO(code, why) { VRS_V_REJECT, VRS_ERR_##code, 0, why }
#define END { VRS_V_END, VRS_ERR_NONE, VRS_SESS_CLOSED, NULL }
#define IGN { VRS_V_IGNORE, VRS_ERR_NONE, 0, "session closed" }
#define CLOSED_ROW { T(HELLO) = IGN, T(SNAPSHOT) = IGN, T(UPDATE) = IGN, \
		     T(KEEPALIVE) = IGN, T(ACK) = IGN, T(ERROR) = IGN }

/*
 * THE protocol, receiving side. A Snapshot's next state is SYNCED, or
 * IN_SNAPSHOT when it has more = true (the one content-driven transition).
 */
static const struct vrs_fabric_sess_rule
	agent_table[VRS_SESS_N_STATES][N_TYPES] = {
	[VRS_SESS_WAIT_HELLO] = {
		T(HELLO) = OK(WAIT_SNAPSHOT),
		T(SNAPSHOT) = NO(STATE, "Snapshot before Hello"),
		T(UPDATE) = NO(STATE, "Update before Hello"),
		T(KEEPALIVE) = NO(STATE, "Keepalive before Hello"),
		T(ACK) = NO(UNEXPECTED, "Ack is not accepted by an agent"),
		T(ERROR) = NO(STATE, "Error before Hello"),
	},
	[VRS_SESS_WAIT_SNAPSHOT] = {
		T(HELLO) = NO(STATE, "second Hello"),
		T(SNAPSHOT) = OK(SYNCED),
		T(UPDATE) = NO(STATE, "Update before the first complete Snapshot"),
		T(KEEPALIVE) = OK(WAIT_SNAPSHOT),
		T(ACK) = NO(UNEXPECTED, "Ack is not accepted by an agent"),
		T(ERROR) = END,
	},
	[VRS_SESS_IN_SNAPSHOT] = {
		T(HELLO) = NO(STATE, "second Hello"),
		T(SNAPSHOT) = OK(SYNCED),
		T(UPDATE) = NO(STATE, "Update while inside a chunked Snapshot"),
		T(KEEPALIVE) = OK(IN_SNAPSHOT),
		T(ACK) = NO(UNEXPECTED, "Ack is not accepted by an agent"),
		T(ERROR) = END,
	},
	[VRS_SESS_SYNCED] = {
		T(HELLO) = NO(STATE, "second Hello"),
		T(SNAPSHOT) = OK(SYNCED),
		T(UPDATE) = OK(SYNCED),
		T(KEEPALIVE) = OK(SYNCED),
		T(ACK) = NO(UNEXPECTED, "Ack is not accepted by an agent"),
		T(ERROR) = END,
	},
	[VRS_SESS_CLOSED] = CLOSED_ROW,
};

static const struct vrs_fabric_sess_rule
	publisher_table[VRS_SESS_N_STATES][N_TYPES] = {
	[VRS_SESS_WAIT_HELLO] = {
		T(HELLO) = OK(SYNCED),
		T(SNAPSHOT) = NO(UNEXPECTED, "Snapshot is not accepted by a publisher"),
		T(UPDATE) = NO(UNEXPECTED, "Update is not accepted by a publisher"),
		T(KEEPALIVE) = NO(UNEXPECTED, "Keepalive is not accepted by a publisher"),
		T(ACK) = NO(STATE, "Ack before Hello"),
		T(ERROR) = END,		/* an agent refusing our Hello */
	},
	/* A publisher session goes WAIT_HELLO -> SYNCED -> CLOSED. */
	[VRS_SESS_WAIT_SNAPSHOT] = {
		T(HELLO) = NO(STATE, "publisher session in an agent state"),
		T(SNAPSHOT) = NO(STATE, "publisher session in an agent state"),
		T(UPDATE) = NO(STATE, "publisher session in an agent state"),
		T(KEEPALIVE) = NO(STATE, "publisher session in an agent state"),
		T(ACK) = NO(STATE, "publisher session in an agent state"),
		T(ERROR) = END,
	},
	[VRS_SESS_IN_SNAPSHOT] = {
		T(HELLO) = NO(STATE, "publisher session in an agent state"),
		T(SNAPSHOT) = NO(STATE, "publisher session in an agent state"),
		T(UPDATE) = NO(STATE, "publisher session in an agent state"),
		T(KEEPALIVE) = NO(STATE, "publisher session in an agent state"),
		T(ACK) = NO(STATE, "publisher session in an agent state"),
		T(ERROR) = END,
	},
	[VRS_SESS_SYNCED] = {
		T(HELLO) = NO(STATE, "second Hello"),
		T(SNAPSHOT) = NO(UNEXPECTED, "Snapshot is not accepted by a publisher"),
		T(UPDATE) = NO(UNEXPECTED, "Update is not accepted by a publisher"),
		T(KEEPALIVE) = NO(UNEXPECTED, "Keepalive is not accepted by a publisher"),
		T(ACK) = OK(SYNCED),
		T(ERROR) = END,
	},
	[VRS_SESS_CLOSED] = CLOSED_ROW,
};

#undef T
#undef OK
#undef NO
#undef END
#undef IGN
#undef CLOSED_ROW

static const struct vrs_fabric_sess_rule unknown_type_rule = {
	VRS_V_REJECT, VRS_ERR_MALFORMED, 0, "unknown message type"
};

const struct vrs_fabric_sess_rule *
vrs_fabric_session_rule(enum vrs_fabric_role local_role,
			enum vrs_fabric_sess_state state,
			enum vrs_fabric_msg_type type)
{
	if ((unsigned int)state >= VRS_SESS_N_STATES ||
	    type < VRS_MSG_HELLO || type > VRS_MSG_ERROR)
		return &unknown_type_rule;
	return local_role == VRS_ROLE_AGENT
		       ? &agent_table[state][type - VRS_MSG_HELLO]
		       : &publisher_table[state][type - VRS_MSG_HELLO];
}

static struct vrs_fabric_sess_result sess_reject(enum vrs_fabric_err code)
{
	return (struct vrs_fabric_sess_result){ VRS_V_REJECT, code };
}

/* Content checks of an ACCEPT row: they may only turn it into a REJECT. */
static struct vrs_fabric_sess_result
sess_content(struct vrs_fabric_session *s, const struct vrs_fabric_msg *m,
	     char *reason, size_t rlen)
{
	const char *name = vrs_fabric_msg_type_name(m->type);
	enum vrs_fabric_role peer = s->local_role == VRS_ROLE_AGENT
					    ? VRS_ROLE_PUBLISHER
					    : VRS_ROLE_AGENT;
	static const struct vrs_fabric_sess_result ok = { VRS_V_ACCEPT,
							  VRS_ERR_NONE };

	switch (m->type) {
	case VRS_MSG_HELLO:
		if (m->role != peer) {
			fail(reason, rlen, "Hello from a %s, expected a %s",
			     m->role == VRS_ROLE_AGENT ? "agent" : "publisher",
			     peer == VRS_ROLE_AGENT ? "agent" : "publisher");
			return sess_reject(VRS_ERR_ROLE);
		}
		return ok;
	case VRS_MSG_ACK:
		if (m->seq > s->last_sent) {
			fail(reason, rlen,
			     "Ack seq %llu for a message never sent (last sent %llu)",
			     (unsigned long long)m->seq,
			     (unsigned long long)s->last_sent);
			return sess_reject(VRS_ERR_SEQUENCE);
		}
		if (m->seq < s->last_ack) {
			fail(reason, rlen, "Ack seq %llu goes backwards (last %llu)",
			     (unsigned long long)m->seq,
			     (unsigned long long)s->last_ack);
			return sess_reject(VRS_ERR_SEQUENCE);
		}
		return ok;
	case VRS_MSG_SNAPSHOT:
	case VRS_MSG_UPDATE:
	case VRS_MSG_KEEPALIVE:
		if (s->have_seq && m->seq <= s->last_seq) {
			fail(reason, rlen,
			     "%s seq %llu out of order (last seq %llu)", name,
			     (unsigned long long)m->seq,
			     (unsigned long long)s->last_seq);
			return sess_reject(VRS_ERR_SEQUENCE);
		}
		return ok;
	default:
		return ok;
	}
}

struct vrs_fabric_sess_result
vrs_fabric_session_step(struct vrs_fabric_session *s,
			const struct vrs_fabric_msg *m, char *reason,
			size_t rlen)
{
	const struct vrs_fabric_sess_rule *r =
		vrs_fabric_session_rule(s->local_role, s->state, m->type);
	struct vrs_fabric_sess_result res = { r->verdict, r->code };

	switch (r->verdict) {
	case VRS_V_REJECT:
		fail(reason, rlen, "%s (session %s)", r->reason,
		     vrs_fabric_sess_state_name(s->state));
		return res;
	case VRS_V_IGNORE:
		fail(reason, rlen, "%s ignored: %s",
		     vrs_fabric_msg_type_name(m->type), r->reason);
		return res;
	case VRS_V_END:
		s->state = r->next;
		return res;
	case VRS_V_ACCEPT:
		break;
	}
	res = sess_content(s, m, reason, rlen);
	if (res.verdict != VRS_V_ACCEPT)
		return res;
	s->state = r->next;
	if (m->type == VRS_MSG_SNAPSHOT && m->more)
		s->state = VRS_SESS_IN_SNAPSHOT;
	if (m->type == VRS_MSG_ACK)
		s->last_ack = m->seq;
	if (m->type == VRS_MSG_SNAPSHOT || m->type == VRS_MSG_UPDATE ||
	    m->type == VRS_MSG_KEEPALIVE) {
		s->last_seq = m->seq;
		s->have_seq = true;
	}
	return res;
}

int vrs_fabric_session_accept(struct vrs_fabric_session *s,
			      const struct vrs_fabric_msg *m, char *reason,
			      size_t rlen)
{
	struct vrs_fabric_sess_result r =
		vrs_fabric_session_step(s, m, reason, rlen);

	return r.verdict == VRS_V_ACCEPT || r.verdict == VRS_V_END ? 0 : -1;
}
