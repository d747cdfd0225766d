// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent: the VNets' route tables, kernel nexthop objects, slot
 * programming and VM rules (fabric protocol 2).
 *
 * Every table is a hash by prefix, so a delta costs O(changed prefixes)
 * and a source switch of a slot is one linear diff whose kernel requests
 * are only the differences. Next-hop sets are interned (struct nhs): two
 * routes with the same set share one pointer, and so one kernel object
 * of a namespace (struct kobj), and "same route" is a pointer compare.
 *
 * Kernel state is read once per namespace (ns_sync: proto-200 nexthop
 * objects, then the slot tables) and after any failed request; between
 * reads the agent's copy is the truth and each pass sends only what
 * differs: objects first, then routes (adds and replaces, then deletes),
 * then the objects nothing uses any more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "vnet_agent.h"

#define RETRY_S 2.0
#define BAD_GW_CACHE 32

/* ------------------------------------------------------------------ */
/* Hashing                                                            */

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

static uint32_t rkey_hash(const struct rkey *k)
{
	uint64_t w[2];

	memcpy(w, k->prefix, sizeof(w));
	return mix32(w[0] * 0x9e3779b97f4a7c15ull ^
		     (w[1] + ((uint64_t)k->family << 8 | k->plen)) *
			     0xc2b2ae3d27d4eb4full);
}

static bool rkey_eq(const struct rkey *a, const struct rkey *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       !memcmp(a->prefix, b->prefix, sizeof(a->prefix));
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c <<= 1;
	return c;
}

static unsigned int alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

void rkey_from_route(struct rkey *k, const struct vrs_fabric_route *r)
{
	memset(k, 0, sizeof(*k));
	k->family = r->family;
	k->plen = r->plen;
	memcpy(k->prefix, r->prefix, alen(r->family));
}

static const char *rkey_str(const struct rkey *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(k->family, k->prefix, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, k->plen);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Route tables                                                       */

struct rent *rtab_find(const struct rtab *t, const struct rkey *k)
{
	uint32_t h;
	size_t m;

	if (!t->cap)
		return NULL;
	h = rkey_hash(k);
	m = t->cap - 1;
	for (size_t i = h & m; t->e[i].kind; i = (i + 1) & m)
		if (t->e[i].h == h && rkey_eq(&t->e[i].k, k))
			return &t->e[i];
	return NULL;
}

static int rtab_grow(struct rtab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, m = cap - 1;
	struct rent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->e[i].kind)
			continue;
		for (j = t->e[i].h & m; e[j].kind; j = (j + 1) & m)
			;
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

struct rent *rtab_put(struct rtab *t, const struct rkey *k, bool *fresh)
{
	uint32_t h = rkey_hash(k);
	size_t i, m;

	*fresh = false;
	if ((t->n + 1) * 10 > t->cap * 7 && rtab_grow(t) < 0)
		return NULL;
	m = t->cap - 1;
	for (i = h & m; t->e[i].kind; i = (i + 1) & m)
		if (t->e[i].h == h && rkey_eq(&t->e[i].k, k))
			return &t->e[i];
	t->e[i].k = *k;
	t->e[i].h = h;
	t->e[i].kind = RK_SKIP;
	t->e[i].p = NULL;
	t->n++;
	*fresh = true;
	return &t->e[i];
}

bool rtab_del(struct rtab *t, const struct rkey *k, void **p)
{
	struct rent *e = rtab_find(t, k);
	size_t i, j, m;

	if (!e)
		return false;
	if (p)
		*p = e->p;
	m = t->cap - 1;
	i = (size_t)(e - t->e);
	/* Backward shift: pull later entries of the run into the hole
	 * unless their home slot lies cyclically in (i, j]. */
	for (j = (i + 1) & m; t->e[j].kind; j = (j + 1) & m) {
		size_t home = t->e[j].h & m;
		bool stays = i <= j ? (home > i && home <= j)
				    : (home > i || home <= j);

		if (!stays) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->n--;
	return true;
}

void rtab_free(struct rtab *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* Frees a publisher table: drops its next-hop set references. */
static void ptab_free(struct rtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].kind == RK_NH)
			nhs_put(t->e[i].p);
	rtab_free(t);
}

/* ------------------------------------------------------------------ */
/* Interned next-hop sets                                             */

static struct nhs **nhs_tab;
static size_t nhs_cap, nhs_n;

static int nh_addr_cmp(const void *a, const void *b)
{
	const struct vrs_fabric_nh *x = a, *y = b;

	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int nhs_grow(void)
{
	size_t cap = nhs_cap ? nhs_cap * 2 : 256;
	struct nhs **t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; i < nhs_cap; i++) {
		struct nhs *s = nhs_tab[i], *next;

		for (; s; s = next) {
			next = s->hnext;
			s->hnext = t[s->hash & (cap - 1)];
			t[s->hash & (cap - 1)] = s;
		}
	}
	free(nhs_tab);
	nhs_tab = t;
	nhs_cap = cap;
	return 0;
}

struct nhs *nhs_get(uint8_t family, const struct vrs_fabric_nh *nh, size_t n)
{
	struct vrs_fabric_nh v[VRS_FABRIC_MAX_NEXTHOPS];
	struct nhs *s;
	uint32_t h;

	if (!n || n > VRS_FABRIC_MAX_NEXTHOPS)
		return NULL;
	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < n; i++) {
		memcpy(v[i].addr, nh[i].addr, alen(family));
		v[i].weight = nh[i].weight ? nh[i].weight : 1;
	}
	qsort(v, n, sizeof(v[0]), nh_addr_cmp);
	h = fnv(fnv(2166136261u, &family, 1), v, n * sizeof(v[0]));
	if (nhs_cap)
		for (s = nhs_tab[h & (nhs_cap - 1)]; s; s = s->hnext)
			if (s->hash == h && s->family == family && s->n == n &&
			    !memcmp(s->nh, v, n * sizeof(v[0]))) {
				s->refs++;
				return s;
			}
	if (nhs_n + 1 > nhs_cap && nhs_grow() < 0)
		return NULL;
	s = calloc(1, sizeof(*s) + n * sizeof(v[0]));
	if (!s)
		return NULL;
	s->hash = h;
	s->refs = 1;
	s->family = family;
	s->n = (uint8_t)n;
	memcpy(s->nh, v, n * sizeof(v[0]));
	s->hnext = nhs_tab[h & (nhs_cap - 1)];
	nhs_tab[h & (nhs_cap - 1)] = s;
	nhs_n++;
	return s;
}

void nhs_ref(struct nhs *s)
{
	s->refs++;
}

void nhs_put(struct nhs *s)
{
	struct nhs **pp;

	if (!s || --s->refs)
		return;
	for (pp = &nhs_tab[s->hash & (nhs_cap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	nhs_n--;
	free(s);
}

int prog_route_entry(const struct vrs_fabric_route *r, uint8_t *kind,
		     struct nhs **set)
{
	*set = NULL;
	if (r->state != VRS_STATE_ACTIVE) {
		*kind = RK_SKIP;
	} else if (r->nh_type == VRS_NH_NONE) {
		*kind = RK_BLACKHOLE;
	} else if (!r->n_nh) {
		/* vnetLocal/internet without next hops: no device to point
		 * them at in the emulation */
		*kind = RK_SKIP;
	} else {
		*set = nhs_get(r->family, r->nh, r->n_nh);
		if (!*set)
			return -1;
		*kind = RK_NH;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Address sets (down sets)                                           */

static uint32_t addr_hash(uint8_t family, const uint8_t *addr)
{
	return fnv(fnv(2166136261u, &family, 1), addr, 16);
}

static bool addr_eq(const struct vrs_fabric_addr *a,
		    const struct vrs_fabric_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

static size_t aset_slot(const struct aset *s, const struct vrs_fabric_addr *a,
			bool *found)
{
	size_t m = s->cap - 1, i;

	*found = false;
	for (i = addr_hash(a->family, a->addr) & m; s->used[i];
	     i = (i + 1) & m)
		if (addr_eq(&s->e[i], a)) {
			*found = true;
			break;
		}
	return i;
}

bool aset_has(const struct aset *s, const struct vrs_fabric_addr *a)
{
	bool found;

	if (!s->cap)
		return false;
	aset_slot(s, a, &found);
	return found;
}

int aset_add(struct aset *s, const struct vrs_fabric_addr *a)
{
	bool found;
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct aset n = { .cap = pow2_at_least((s->n + 1) * 4) };

		n.e = calloc(n.cap, sizeof(*n.e));
		n.used = calloc(n.cap, 1);
		if (!n.e || !n.used) {
			free(n.e);
			free(n.used);
			return -1;
		}
		for (size_t j = 0; j < s->cap; j++)
			if (s->used[j]) {
				i = aset_slot(&n, &s->e[j], &found);
				n.e[i] = s->e[j];
				n.used[i] = 1;
				n.n++;
			}
		aset_free(s);
		*s = n;
	}
	i = aset_slot(s, a, &found);
	if (found)
		return 0;
	s->e[i] = *a;
	s->used[i] = 1;
	s->n++;
	return 1;
}

bool aset_del(struct aset *s, const struct vrs_fabric_addr *a)
{
	size_t i, j, m;
	bool found;

	if (!s->cap)
		return false;
	i = aset_slot(s, a, &found);
	if (!found)
		return false;
	m = s->cap - 1;
	for (j = (i + 1) & m; s->used[j]; j = (j + 1) & m) {
		size_t home = addr_hash(s->e[j].family, s->e[j].addr) & m;
		bool stays = i <= j ? (home > i && home <= j)
				    : (home > i || home <= j);

		if (!stays) {
			s->e[i] = s->e[j];
			i = j;
		}
	}
	s->used[i] = 0;
	memset(&s->e[i], 0, sizeof(s->e[i]));
	s->n--;
	return true;
}

void aset_free(struct aset *s)
{
	free(s->e);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

bool prog_addr_down(const struct agent *a, int id, uint8_t family,
		    const uint8_t *addr)
{
	struct vrs_fabric_addr k = { .family = family };

	memcpy(k.addr, addr, alen(family));
	return a->inst[id].conn && a->inst[id].synced &&
	       aset_has(&a->inst[id].down, &k);
}

/* ------------------------------------------------------------------ */
/* Errors                                                             */

static void slot_error(struct slot *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A slot retried every 2 s with the same failure logs it rate-limited. */
static void slot_error(struct slot *s, const char *fmt, ...)
{
	char prev[sizeof(s->last_error)];
	va_list ap;

	memcpy(prev, s->last_error, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	va_end(ap);
	if (strcmp(prev, s->last_error))
		s->rl_error.next = 0;
	vnet_log_rl(&s->rl_error, VLOG_ERR, "vnet %s slot %d (table %u): %s",
		    s->vnet->name, s->idx, s->table, s->last_error);
}

static void ns_error(struct nsx *ns, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A namespace's failure is also every slot's programmed there. */
static void ns_error(struct nsx *ns, const char *fmt, ...)
{
	char prev[sizeof(ns->last_error)];
	va_list ap;

	memcpy(prev, ns->last_error, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(ns->last_error, sizeof(ns->last_error), fmt, ap);
	va_end(ap);
	if (strcmp(prev, ns->last_error))
		ns->rl_error.next = 0;
	if (!strncmp(ns->last_error, "netns ", 6))
		vnet_log_rl(&ns->rl_error, VLOG_ERR, "%s", ns->last_error);
	else
		vnet_log_rl(&ns->rl_error, VLOG_ERR, "netns %s: %s", ns->name,
			    ns->last_error);
	for (size_t i = 0; i < ns->n_slots; i++)
		snprintf(ns->slots[i]->last_error,
			 sizeof(ns->slots[i]->last_error), "%s",
			 ns->last_error);
}

/* ------------------------------------------------------------------ */
/* Nexthop ids of a namespace                                         */

static bool ids_has(const struct nsx *ns, uint32_t id)
{
	size_t m = ns->ids_cap - 1;

	if (!ns->ids_cap)
		return false;
	for (size_t i = mix32(id) & m; ns->ids[i]; i = (i + 1) & m)
		if (ns->ids[i] == id)
			return true;
	return false;
}

static int ids_add(struct nsx *ns, uint32_t id)
{
	size_t m, i;

	if (!id || ids_has(ns, id))
		return 0;
	if ((ns->ids_n + 1) * 2 > ns->ids_cap) {
		size_t cap = pow2_at_least((ns->ids_n + 1) * 4);
		uint32_t *t = calloc(cap, sizeof(*t));

		if (!t)
			return -1;
		for (size_t j = 0; j < ns->ids_cap; j++) {
			if (!ns->ids[j])
				continue;
			for (i = mix32(ns->ids[j]) & (cap - 1); t[i];
			     i = (i + 1) & (cap - 1))
				;
			t[i] = ns->ids[j];
		}
		free(ns->ids);
		ns->ids = t;
		ns->ids_cap = cap;
	}
	m = ns->ids_cap - 1;
	for (i = mix32(id) & m; ns->ids[i]; i = (i + 1) & m)
		;
	ns->ids[i] = id;
	ns->ids_n++;
	return 0;
}

static void ids_del(struct nsx *ns, uint32_t id)
{
	size_t m = ns->ids_cap - 1, i, j;

	if (!ns->ids_cap)
		return;
	for (i = mix32(id) & m; ns->ids[i] != id; i = (i + 1) & m)
		if (!ns->ids[i])
			return;
	for (j = (i + 1) & m; ns->ids[j]; j = (j + 1) & m) {
		size_t home = mix32(ns->ids[j]) & m;
		bool stays = i <= j ? (home > i && home <= j)
				    : (home > i || home <= j);

		if (!stays) {
			ns->ids[i] = ns->ids[j];
			i = j;
		}
	}
	ns->ids[i] = 0;
	ns->ids_n--;
}

static uint32_t ids_alloc(struct nsx *ns)
{
	for (;;) {
		uint32_t id = ns->next_id++;

		if (id < VNET_NH_ID_BASE) {
			ns->next_id = VNET_NH_ID_BASE;
			continue;
		}
		if (!ids_has(ns, id)) {
			if (ids_add(ns, id) < 0)
				return 0;
			return id;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Kernel objects                                                     */

static uint32_t grp_hash(const struct nhs *set, const struct slot *s)
{
	return mix32((uintptr_t)set * 31 + (uintptr_t)s);
}

static uint32_t kobj_hash(const struct kobj *k)
{
	return k->group ? grp_hash(k->set, k->slot)
			: addr_hash(k->family, k->addr);
}

static int kobj_link(struct nsx *ns, struct kobj *k)
{
	struct kobj ***tab = k->group ? &ns->grp_hash : &ns->gw_hash;
	size_t *cap = k->group ? &ns->grp_cap : &ns->gw_cap;
	size_t n = k->group ? ns->n_grp : ns->n_gw;

	if (n + 1 > *cap) {
		size_t nc = pow2_at_least((n + 1) * 2);
		struct kobj **t = calloc(nc, sizeof(*t));

		if (!t)
			return -1;
		for (size_t i = 0; i < *cap; i++) {
			struct kobj *o = (*tab)[i], *next;

			for (; o; o = next) {
				next = o->hnext;
				o->hnext = t[kobj_hash(o) & (nc - 1)];
				t[kobj_hash(o) & (nc - 1)] = o;
			}
		}
		free(*tab);
		*tab = t;
		*cap = nc;
	}
	k->hnext = (*tab)[kobj_hash(k) & (*cap - 1)];
	(*tab)[kobj_hash(k) & (*cap - 1)] = k;
	if (k->group)
		ns->n_grp++;
	else
		ns->n_gw++;
	return 0;
}

static void kobj_unlink(struct nsx *ns, struct kobj *k)
{
	struct kobj **tab = k->group ? ns->grp_hash : ns->gw_hash;
	size_t cap = k->group ? ns->grp_cap : ns->gw_cap;
	struct kobj **pp;

	for (pp = &tab[kobj_hash(k) & (cap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == k) {
			*pp = k->hnext;
			if (k->group)
				ns->n_grp--;
			else
				ns->n_gw--;
			break;
		}
}

static struct kobj *gw_find(const struct nsx *ns, uint8_t family,
			    const uint8_t *addr)
{
	uint8_t a[16] = { 0 };
	struct kobj *k;

	if (!ns->gw_cap)
		return NULL;
	memcpy(a, addr, alen(family));
	for (k = ns->gw_hash[addr_hash(family, a) & (ns->gw_cap - 1)]; k;
	     k = k->hnext)
		if (k->family == family && !memcmp(k->addr, a, 16))
			return k;
	return NULL;
}

/* A slot table's group of a next-hop set (slot NULL: adopted, no user
 * yet). */
static struct kobj *grp_find(const struct nsx *ns, const struct nhs *set,
			     const struct slot *s)
{
	struct kobj *k;

	if (!ns->grp_cap)
		return NULL;
	for (k = ns->grp_hash[grp_hash(set, s) & (ns->grp_cap - 1)]; k;
	     k = k->hnext)
		if (k->set == set && k->slot == s)
			return k;
	return NULL;
}

static void gc_push(struct nsx *ns, struct kobj *k)
{
	if (k->in_gc)
		return;
	k->in_gc = true;
	k->gc_next = ns->gc;
	ns->gc = k;
}

static void kobj_ref(struct kobj *k)
{
	k->refs++;
}

static void kobj_unref(struct nsx *ns, struct kobj *k)
{
	if (k && !--k->refs)
		gc_push(ns, k);
}

/*
 * The member bits a group should have in the kernel: those its slot
 * table's source instance does not hold down, or all of them if it holds
 * every one down (never empty). A slot without source keeps what it has.
 */
static uint32_t grp_mask(const struct agent *a, const struct kobj *k)
{
	uint32_t all = (1u << k->set->n) - 1, m = 0;

	if (!k->slot || k->slot->src < 0)
		return k->installed ? k->installed : all;
	for (unsigned int i = 0; i < k->set->n; i++)
		if (!prog_addr_down(a, k->slot->src, k->family,
				    k->set->nh[i].addr))
			m |= 1u << i;
	return m ? m : all;
}

/* Frees every object of a namespace (its kernel state is re-read). */
static void kobjs_free(struct nsx *ns)
{
	for (size_t i = 0; i < ns->grp_cap; i++) {
		struct kobj *k = ns->grp_hash[i], *next;

		for (; k; k = next) {
			next = k->hnext;
			nhs_put(k->set);
			free(k);
		}
	}
	for (size_t i = 0; i < ns->gw_cap; i++) {
		struct kobj *k = ns->gw_hash[i], *next;

		for (; k; k = next) {
			next = k->hnext;
			free(k);
		}
	}
	free(ns->grp_hash);
	free(ns->gw_hash);
	ns->grp_hash = ns->gw_hash = NULL;
	ns->grp_cap = ns->gw_cap = ns->n_grp = ns->n_gw = 0;
	ns->gc = NULL;
	free(ns->ids);
	ns->ids = NULL;
	ns->ids_cap = ns->ids_n = 0;
	free(ns->stray_nh);
	free(ns->stray_grp);
	ns->stray_nh = NULL;
	ns->stray_grp = NULL;
	ns->n_stray_nh = 0;
	ns->n_legacy = 0;
}

/* ------------------------------------------------------------------ */
/* Programming passes                                                 */

/*
 * One pass = one netlink batch in one namespace. Requests go out in the
 * order they are queued; errors come back through pass_err.
 */
struct pctx {
	struct agent *a;
	struct nsx *ns;
	struct vnl_batch *b;
	uint64_t id;
	bool route_failed, rule_failed;
	bool regroup;		/* a slot changed source: check its groups */
	struct slot **touched;
	size_t n_touched;
	bool ns_logged;		/* one namespace error logged per pass */
	/* a nexthop object the kernel refused to create (flushed at once) */
	uint32_t nh_failed_id;
	char nh_err[VRS_FABRIC_REASON_LEN];
	/* gateways (set NULL) and groups found unusable in this pass: one
	 * attempt each */
	struct {
		struct vrs_fabric_addr addr;
		const struct nhs *set;
		char reason[VRS_FABRIC_REASON_LEN];
	} bad[BAD_GW_CACHE];
	size_t n_bad;
};

static uint64_t pass_counter;

static const char *op_name(uint8_t op)
{
	switch (op) {
	case VNL_OP_ROUTE_ADD:
		return "add";
	case VNL_OP_ROUTE_DEL:
		return "delete";
	case VNL_OP_NH_ADD:
		return "add nexthop";
	case VNL_OP_NH_REPLACE:
		return "replace nexthop group";
	case VNL_OP_NH_DEL:
		return "delete nexthop";
	case VNL_OP_RULE_ADD:
		return "add rule from";
	case VNL_OP_RULE_DEL:
		return "delete rule from";
	}
	return "?";
}

static void pass_err(void *arg, const struct vnl_tag *tag, int err,
		     const char *ext)
{
	struct pctx *c = arg;
	char what[INET6_ADDRSTRLEN + 64], msg[VRS_FABRIC_REASON_LEN];
	char astr[INET6_ADDRSTRLEN];
	struct rkey k = { 0 };

	if (!tag) {
		c->route_failed = true;
		if (!c->ns_logged)
			ns_error(c->ns, "netlink: %s%s%s%s", strerror(err),
				 ext ? " (" : "", ext ? ext : "",
				 ext ? ")" : "");
		c->ns_logged = true;
		return;
	}
	/* Something already gone is what a delete wants. */
	if ((tag->op == VNL_OP_ROUTE_DEL || tag->op == VNL_OP_NH_DEL ||
	     tag->op == VNL_OP_RULE_DEL) &&
	    (err == ENOENT || err == ESRCH))
		return;
	k.family = tag->family;
	k.plen = tag->plen;
	memcpy(k.prefix, tag->addr, sizeof(k.prefix));
	switch (tag->op) {
	case VNL_OP_ROUTE_ADD:
	case VNL_OP_ROUTE_DEL:
	case VNL_OP_RULE_ADD:
	case VNL_OP_RULE_DEL:
		rkey_str(&k, what, sizeof(what));
		break;
	default:
		if (tag->family)
			snprintf(what, sizeof(what), "id %u (%s)", tag->id,
				 inet_ntop(tag->family, tag->addr, astr,
					   sizeof(astr)) ? astr : "?");
		else
			snprintf(what, sizeof(what), "id %u", tag->id);
		break;
	}
	snprintf(msg, sizeof(msg), "%s %s: %s%s%s%s", op_name(tag->op), what,
		 strerror(err), ext ? " (" : "", ext ? ext : "",
		 ext ? ")" : "");
	switch (tag->op) {
	case VNL_OP_ROUTE_ADD:
	case VNL_OP_ROUTE_DEL: {
		struct slot *s = tag->owner;

		c->route_failed = true;
		s->failures++;
		/* the first failure of a slot in a pass is its lastError */
		if (s->pass_err == c->id)
			break;
		s->pass_err = c->id;
		slot_error(s, "%s", msg);
		break;
	}
	case VNL_OP_NH_ADD:
		/* The caller flushed at once and sees it (no resync). */
		c->nh_failed_id = tag->id;
		snprintf(c->nh_err, sizeof(c->nh_err), "%s", msg);
		break;
	case VNL_OP_RULE_ADD:
	case VNL_OP_RULE_DEL: {
		struct vm *vm = tag->owner;

		c->rule_failed = true;
		c->ns->rule_failures++;
		if (vm && tag->op == VNL_OP_RULE_ADD)
			for (unsigned int i = 0; i < vm->n_addrs; i++)
				if (vm->addrs[i].family == tag->family)
					vm->rule_ok[i] = false;
		vnet_log_rl(&c->ns->rl_error, VLOG_ERR, "netns %s: vm %s: %s",
			    c->ns->name, vm ? vm->name : "(stale)", msg);
		snprintf(c->ns->last_error, sizeof(c->ns->last_error),
			 "vm %s: %.180s", vm ? vm->name : "(stale)", msg);
		break;
	}
	default:
		c->route_failed = true;
		if (!c->ns_logged)
			ns_error(c->ns, "%s", msg);
		c->ns_logged = true;
		break;
	}
}

static bool ns_ready(struct agent *a, struct nsx *ns);
static void groups_refresh(struct pctx *c);

static bool pass_begin(struct agent *a, struct nsx *ns, struct pctx *c)
{
	memset(c, 0, sizeof(*c));
	if (!ns_ready(a, ns))
		return false;
	c->a = a;
	c->ns = ns;
	c->id = ++pass_counter;
	c->touched = calloc(ns->n_slots ? ns->n_slots : 1, sizeof(*c->touched));
	c->b = vnl_batch_new(&ns->nl, pass_err, c);
	if (!c->touched || !c->b) {
		free(c->touched);
		vnl_batch_end(c->b);
		ns_error(ns, "out of memory");
		return false;
	}
	return true;
}

static void pass_touch(struct pctx *c, struct slot *s)
{
	if (s->pass_seen == c->id)
		return;
	s->pass_seen = c->id;
	s->unresolved = false;
	c->touched[c->n_touched++] = s;
}

/* Unreferenced objects go, groups before their gateways. */
static void gc_run(struct pctx *c)
{
	struct nsx *ns = c->ns;
	struct kobj *k;

	while ((k = ns->gc)) {
		ns->gc = k->gc_next;
		k->in_gc = false;
		if (k->refs)
			continue;
		vnl_nh_del(c->b, k->id, ns);
		kobj_unlink(ns, k);
		if (k->group) {
			for (unsigned int i = 0; i < k->set->n; i++)
				kobj_unref(ns, k->member[i]);
			nhs_put(k->set);
		}
		ids_del(ns, k->id);
		free(k);
	}
	if (ns->n_stray_nh && !ns->n_legacy) {
		for (int grp = 1; grp >= 0; grp--)
			for (size_t i = 0; i < ns->n_stray_nh; i++)
				if (ns->stray_grp[i] == grp) {
					vnl_nh_del(c->b, ns->stray_nh[i], ns);
					ids_del(ns, ns->stray_nh[i]);
				}
		free(ns->stray_nh);
		free(ns->stray_grp);
		ns->stray_nh = NULL;
		ns->stray_grp = NULL;
		ns->n_stray_nh = 0;
	}
}

static void pass_end(struct pctx *c)
{
	double now = vnet_now();

	if (c->regroup)
		groups_refresh(c);
	gc_run(c);
	vnl_batch_end(c->b);
	if (c->route_failed) {
		/* The kernel is the truth: read it again, retry later. */
		c->ns->synced = false;
		c->ns->next_retry = now + RETRY_S;
	}
	if (c->rule_failed) {
		c->ns->rules_synced = false;
		c->ns->next_retry = now + RETRY_S;
	}
	for (size_t i = 0; i < c->n_touched; i++) {
		struct slot *s = c->touched[i];

		if (s->unresolved || c->route_failed) {
			s->dirty = true;
			s->next_retry = now + RETRY_S;
		} else if (s->pass_err != c->id) {
			s->last_error[0] = '\0';
		}
	}
	free(c->touched);
}

/* ------------------------------------------------------------------ */
/* Objects on demand                                                  */

static void bad_note(struct pctx *c, const struct vrs_fabric_addr *addr,
		     const struct nhs *set, const char *why)
{
	if (c->n_bad == BAD_GW_CACHE)
		return;
	if (addr)
		c->bad[c->n_bad].addr = *addr;
	c->bad[c->n_bad].set = set;
	snprintf(c->bad[c->n_bad].reason, sizeof(c->bad[c->n_bad].reason),
		 "%s", why);
	c->n_bad++;
}

static bool bad_find(const struct pctx *c, const struct vrs_fabric_addr *addr,
		     const struct nhs *set, char *why, size_t wlen)
{
	for (size_t i = 0; i < c->n_bad; i++)
		if (set ? c->bad[i].set == set
			: !c->bad[i].set && addr_eq(&c->bad[i].addr, addr)) {
			snprintf(why, wlen, "%s", c->bad[i].reason);
			return true;
		}
	return false;
}

/*
 * Sends the creation of object k now and tells whether the kernel took
 * it; if not, k is forgotten (the routes that need it are skipped and
 * retried, the namespace is not re-read).
 */
static bool kobj_created(struct pctx *c, struct kobj *k, char *why,
			 size_t wlen)
{
	c->nh_failed_id = 0;
	vnl_batch_flush(c->b);
	if (c->nh_failed_id != k->id)
		return true;
	snprintf(why, wlen, "%s", c->nh_err);
	kobj_unlink(c->ns, k);
	ids_del(c->ns, k->id);
	return false;
}

static struct kobj *gw_get(struct pctx *c, uint8_t family,
			   const uint8_t *addr, char *why, size_t wlen)
{
	struct nsx *ns = c->ns;
	struct vrs_fabric_addr ka = { .family = family };
	struct kobj *k = gw_find(ns, family, addr);
	uint32_t oif;

	if (k)
		return k;
	memcpy(ka.addr, addr, alen(family));
	if (bad_find(c, &ka, NULL, why, wlen))
		return NULL;
	if (vnl_gateway_oif(&ns->nl, family, addr, &oif, why, wlen) < 0) {
		bad_note(c, &ka, NULL, why);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	k->family = family;
	memcpy(k->addr, ka.addr, 16);
	k->oif = oif;
	k->id = ids_alloc(ns);
	if (!k->id || kobj_link(ns, k) < 0) {
		free(k);
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	vnl_nh_gateway(c->b, k->id, family, k->addr, oif, ns);
	if (!kobj_created(c, k, why, wlen)) {
		free(k);
		bad_note(c, &ka, NULL, why);
		return NULL;
	}
	gc_push(ns, k);		/* until a user takes it */
	return k;
}

static void grp_emit(struct pctx *c, struct kobj *k, bool replace)
{
	uint32_t ids[VNL_MAX_GROUP];
	uint16_t w[VNL_MAX_GROUP];
	size_t n = 0;

	for (unsigned int i = 0; i < k->set->n; i++)
		if (k->installed & (1u << i)) {
			ids[n] = k->member[i]->id;
			w[n] = k->set->nh[i].weight;
			n++;
		}
	vnl_nh_group(c->b, k->id, replace, ids, w, n, c->ns);
}

static struct kobj *grp_get(struct pctx *c, struct nhs *set, struct slot *s,
			    char *why, size_t wlen)
{
	struct kobj *m[VNL_MAX_GROUP], *k = grp_find(c->ns, set, s);

	if (k)
		return k;
	if (bad_find(c, NULL, set, why, wlen))
		return NULL;
	for (unsigned int i = 0; i < set->n; i++) {
		m[i] = gw_get(c, set->family, set->nh[i].addr, why, wlen);
		if (!m[i])
			return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	k->group = true;
	k->family = set->family;
	k->set = set;
	k->slot = s;
	k->id = ids_alloc(c->ns);
	if (!k->id || kobj_link(c->ns, k) < 0) {
		free(k);
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	nhs_ref(set);
	for (unsigned int i = 0; i < set->n; i++) {
		k->member[i] = m[i];
		kobj_ref(m[i]);
	}
	k->installed = grp_mask(c->a, k);
	grp_emit(c, k, false);
	if (!kobj_created(c, k, why, wlen)) {
		for (unsigned int i = 0; i < set->n; i++)
			kobj_unref(c->ns, m[i]);
		nhs_put(set);
		free(k);
		bad_note(c, NULL, set, why);
		return NULL;
	}
	gc_push(c->ns, k);
	return k;
}

/*
 * What the kernel should hold for a published entry in slot s:
 * 1 = a route (blackhole, or through object *o), 0 = nothing (not
 * programmable: delete what is there), -1 = leave what is there (the
 * next hops cannot be programmed now; reason noted, retried).
 */
static int desired(struct pctx *c, struct slot *s, const struct rent *e,
		   bool *bh, struct kobj **o)
{
	char why[VRS_FABRIC_REASON_LEN], pfx[INET6_ADDRSTRLEN + 8];
	struct nhs *set;

	*bh = false;
	*o = NULL;
	if (!e || e->kind == RK_SKIP || rtab_find(&s->foreign, &e->k))
		return 0;
	if (e->kind == RK_BLACKHOLE) {
		*bh = true;
		return 1;
	}
	set = e->p;
	*o = set->n == 1 ? gw_get(c, set->family, set->nh[0].addr, why,
				  sizeof(why))
			 : grp_get(c, set, s, why, sizeof(why));
	if (*o)
		return 1;
	if (!s->unresolved) {
		s->unresolved = true;
		slot_error(s, "add %s: %s", rkey_str(&e->k, pfx, sizeof(pfx)),
			   why);
	}
	return -1;
}

static bool same(const struct rent *cur, bool bh, const struct kobj *o)
{
	if (!cur)
		return false;
	return bh ? cur->kind == RK_BLACKHOLE
		  : cur->kind == RK_NH && cur->p == o;
}

static void route_set(struct pctx *c, struct slot *s, const struct rkey *k,
		      bool bh, struct kobj *o, struct rent *cur)
{
	bool fresh;

	vnl_route(c->b, false, k->family, k->prefix, k->plen, s->table,
		  s->vnet->metric, bh, o ? o->id : 0, s);
	if (cur) {
		if (cur->kind == RK_NH)
			kobj_unref(c->ns, cur->p);
		else if (cur->kind == RK_LEGACY)
			c->ns->n_legacy--;
		s->replaced++;
	} else {
		cur = rtab_put(&s->applied, k, &fresh);
		if (!cur) {
			c->route_failed = true;
			slot_error(s, "out of memory");
			return;
		}
		s->added++;
	}
	cur->kind = bh ? RK_BLACKHOLE : RK_NH;
	cur->p = o;
	if (o)
		kobj_ref(o);
}

static void route_del(struct pctx *c, struct slot *s, const struct rkey *key)
{
	struct rkey k = *key;
	struct rent *cur = rtab_find(&s->applied, &k);
	uint8_t kind;
	void *p;

	if (!cur)
		return;
	kind = cur->kind;
	vnl_route(c->b, true, k.family, k.prefix, k.plen, s->table,
		  s->vnet->metric, kind == RK_BLACKHOLE, 0, s);
	rtab_del(&s->applied, &k, &p);
	if (kind == RK_NH)
		kobj_unref(c->ns, p);
	else if (kind == RK_LEGACY)
		c->ns->n_legacy--;
	s->deleted++;
}

/* Full diff of a slot table against its source (NULL: empty). */
static void slot_full(struct pctx *c, struct slot *s)
{
	const struct rtab *t = s->src >= 0 ? &s->vnet->src[s->src] : NULL;
	uint64_t a0 = s->added, r0 = s->replaced, d0 = s->deleted;
	struct rkey *gone = NULL;
	size_t n_gone = 0, cap_gone = 0, unprog = 0, unchanged = 0;

	pass_touch(c, s);
	s->runs++;
	for (size_t i = 0; t && i < t->cap; i++) {
		const struct rent *e = &t->e[i];
		struct kobj *o;
		struct rent *cur;
		bool bh;

		if (!e->kind)
			continue;
		if (desired(c, s, e, &bh, &o) <= 0) {
			unprog++;
			continue;
		}
		cur = rtab_find(&s->applied, &e->k);
		if (same(cur, bh, o)) {
			unchanged++;
			continue;
		}
		route_set(c, s, &e->k, bh, o, cur);
	}
	for (size_t i = 0; i < s->applied.cap; i++) {
		const struct rent *cur = &s->applied.e[i];
		const struct rent *d;

		if (!cur->kind)
			continue;
		d = t ? rtab_find(t, &cur->k) : NULL;
		if (d && d->kind != RK_SKIP && !rtab_find(&s->foreign, &cur->k))
			continue;	/* programmed above, or kept */
		if (n_gone == cap_gone) {
			size_t nc = cap_gone ? cap_gone * 2 : 64;
			struct rkey *g = realloc(gone, nc * sizeof(*g));

			if (!g) {
				c->route_failed = true;
				slot_error(s, "out of memory");
				break;
			}
			gone = g;
			cap_gone = nc;
		}
		gone[n_gone++] = cur->k;
	}
	for (size_t i = 0; i < n_gone; i++)
		route_del(c, s, &gone[i]);
	free(gone);
	for (size_t i = 0; i < s->n_strays; i++) {
		struct stray_route *r = &s->strays[i];

		vnl_route(c->b, true, r->k.family, r->k.prefix, r->k.plen,
			  s->table, r->metric, r->blackhole, 0, s);
	}
	free(s->strays);
	s->strays = NULL;
	s->n_strays = 0;
	s->n_unprog = unprog;
	s->dirty = false;
	if (s->added != a0 || s->replaced != r0 || s->deleted != d0)
		vnet_log(VLOG_INFO,
			 "vnet %s slot %d (table %u, from %s): %llu added, %llu replaced, %llu deleted, %zu unchanged, %zu not programmed",
			 s->vnet->name, s->idx, s->table,
			 s->src < 0 ? "nobody" : s->src ? "instance 1"
							 : "instance 0",
			 (unsigned long long)(s->added - a0),
			 (unsigned long long)(s->replaced - r0),
			 (unsigned long long)(s->deleted - d0), unchanged,
			 unprog);
}

/* The prefixes of a delta in a slot drawing from the delta's instance. */
static void slot_delta(struct pctx *c, struct slot *s,
		       const struct vrs_fabric_vm_table *d)
{
	const struct rtab *t = &s->vnet->src[s->src];
	struct rkey k;

	pass_touch(c, s);
	for (size_t i = 0; i < d->rs.n; i++) {
		const struct rent *e;
		struct rent *cur;
		struct kobj *o;
		bool bh;
		int w;

		rkey_from_route(&k, &d->rs.routes[i]);
		e = rtab_find(t, &k);
		w = desired(c, s, e, &bh, &o);
		cur = rtab_find(&s->applied, &k);
		if (w > 0 && !same(cur, bh, o))
			route_set(c, s, &k, bh, o, cur);
		else if (w == 0 && cur)
			route_del(c, s, &k);
	}
	for (size_t i = 0; i < d->n_withdrawn; i++) {
		rkey_from_route(&k, &d->withdrawn[i]);
		if (!rtab_find(t, &k))
			route_del(c, s, &k);
	}
	s->n_unprog = t->n > s->applied.n ? t->n - s->applied.n : 0;
}

static int slot_pick(const struct vnet *vn, int s)
{
	return vn->have[s] ? s : vn->have[!s] ? !s : -1;
}

/*
 * Chooses both slots' sources and programs them: a full diff where the
 * source changed, the slot is dirty, its source's table was replaced
 * (changed), or its grace expired; else the delta's prefixes if the slot
 * draws from the delta's instance.
 */
static void vnet_run(struct agent *a, struct vnet *vn, int changed,
		     int delta_id, const struct vrs_fabric_vm_table *delta)
{
	double now = vnet_now();
	bool in_pass = false;
	struct pctx c;

	for (int i = 0; i < 2; i++) {
		struct slot *s = &vn->slot[i];
		int pick = slot_pick(vn, i);
		bool switched = pick != s->src;
		bool full = s->dirty || switched ||
			    (pick >= 0 && pick == changed);

		if (pick != s->src) {
			if (pick >= 0)
				vnet_log(VLOG_INFO,
					 "vnet %s slot %d (table %u): using instance %d%s",
					 vn->name, i, s->table, pick,
					 pick != i ? " (failover)" : "");
			else if (s->src >= 0)
				vnet_log(VLOG_WARNING,
					 "vnet %s slot %d (table %u): no instance has a table, keeping %zu routes for %.0f s",
					 vn->name, i, s->table, s->applied.n,
					 a->opt.grace_s);
			s->src = pick;
		}
		if (pick < 0) {
			if (!s->applied.n && !s->n_strays) {
				s->grace_deadline = 0;
				s->n_unprog = 0;
				continue;
			}
			if (!s->grace_deadline)
				s->grace_deadline = now + a->opt.grace_s;
			if (now < s->grace_deadline)
				continue;
			vnet_log(VLOG_WARNING,
				 "vnet %s slot %d (table %u): grace period over, withdrawing %zu routes",
				 vn->name, i, s->table, s->applied.n);
			full = true;
		} else {
			s->grace_deadline = 0;
			s->last_seq = vn->src_seq[pick];
		}
		if (!full && (pick != delta_id || !delta))
			continue;
		if (!in_pass) {
			if (!pass_begin(a, vn->ns, &c)) {
				s->dirty = true;
				continue;
			}
			in_pass = true;
		}
		/* Its groups now follow another instance's down set. */
		c.regroup |= switched && pick >= 0;
		if (full)
			slot_full(&c, s);
		else
			slot_delta(&c, s, delta);
		if (pick < 0 && !s->applied.n)
			s->grace_deadline = 0;
	}
	if (in_pass)
		pass_end(&c);
}

void prog_vnet_select(struct agent *a, struct vnet *vn, int changed)
{
	vnet_run(a, vn, changed, -1, NULL);
}

void prog_vnet_delta(struct agent *a, struct vnet *vn, int id,
		     const struct vrs_fabric_vm_table *delta)
{
	vnet_run(a, vn, -1, id, delta);
}

/* Groups whose members should change: replaced in place. */
static size_t groups_need_refresh(const struct agent *a, const struct nsx *ns)
{
	size_t n = 0;

	for (size_t i = 0; i < ns->grp_cap; i++)
		for (const struct kobj *k = ns->grp_hash[i]; k; k = k->hnext)
			n += grp_mask(a, k) != k->installed;
	return n;
}

static void groups_refresh(struct pctx *c)
{
	const struct nsx *ns = c->ns;

	for (size_t i = 0; i < ns->grp_cap; i++)
		for (struct kobj *k = ns->grp_hash[i]; k; k = k->hnext) {
			uint32_t m = grp_mask(c->a, k);

			if (m == k->installed)
				continue;
			k->installed = m;
			grp_emit(c, k, true);
			c->ns->group_replaces++;
		}
}

void prog_down_changed(struct agent *a)
{
	for (size_t n = 0; n < a->n_ns; n++) {
		struct nsx *ns = &a->ns[n];
		struct pctx c;
		size_t replaced;
		double t0 = vnet_now();

		if (!ns->open || !ns->synced)
			continue;
		replaced = groups_need_refresh(a, ns);
		if (!replaced || !pass_begin(a, ns, &c))
			continue;
		groups_refresh(&c);
		pass_end(&c);
		vnet_log(VLOG_INFO,
			 "netns %s: %zu nexthop group(s) replaced for a next-hop down/up change in %.3f s",
			 ns->name, replaced, vnet_now() - t0);
	}
}

/* ------------------------------------------------------------------ */
/* Reading a namespace                                                */

struct nh_list {
	struct vnl_nexthop *v;
	size_t n, cap;
	struct nsx *ns;
	bool oom;
};

static int nh_collect(const struct vnl_nexthop *nh, void *arg)
{
	struct nh_list *l = arg;

	if (ids_add(l->ns, nh->id) < 0) {
		l->oom = true;
		return -1;
	}
	if (nh->protocol != VNET_RTPROT)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct vnl_nexthop *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *nh;
	return 0;
}

static int stray_add(struct nsx *ns, uint32_t id, bool grp)
{
	uint32_t *s = realloc(ns->stray_nh, (ns->n_stray_nh + 1) * sizeof(*s));
	bool *g;

	if (!s)
		return -1;
	ns->stray_nh = s;
	g = realloc(ns->stray_grp, (ns->n_stray_nh + 1) * sizeof(*g));
	if (!g)
		return -1;
	ns->stray_grp = g;
	ns->stray_nh[ns->n_stray_nh] = id;
	ns->stray_grp[ns->n_stray_nh] = grp;
	ns->n_stray_nh++;
	return 0;
}

/* id -> adopted object, for the routes and groups read after them */
struct idmap {
	uint32_t *id;
	struct kobj **k;
	size_t cap;
};

static int idmap_add(struct idmap *m, uint32_t id, struct kobj *k)
{
	size_t i;

	if (!m->cap)
		return -1;
	for (i = mix32(id) & (m->cap - 1); m->id[i]; i = (i + 1) & (m->cap - 1))
		;
	m->id[i] = id;
	m->k[i] = k;
	return 0;
}

static struct kobj *idmap_get(const struct idmap *m, uint32_t id)
{
	if (!m->cap || !id)
		return NULL;
	for (size_t i = mix32(id) & (m->cap - 1); m->id[i];
	     i = (i + 1) & (m->cap - 1))
		if (m->id[i] == id)
			return m->k[i];
	return NULL;
}

static int adopt_nexthops(struct nsx *ns, const struct nh_list *l,
			  struct idmap *map)
{
	map->cap = pow2_at_least(l->n * 2 + 1);
	map->id = calloc(map->cap, sizeof(*map->id));
	map->k = calloc(map->cap, sizeof(*map->k));
	if (!map->id || !map->k)
		return -1;
	/* Gateways first: groups refer to them. */
	for (size_t i = 0; i < l->n; i++) {
		const struct vnl_nexthop *nh = &l->v[i];
		struct kobj *k;

		if (nh->n_group)
			continue;
		if (nh->blackhole || !nh->has_gateway || !nh->oif ||
		    (nh->family != AF_INET && nh->family != AF_INET6) ||
		    gw_find(ns, nh->family, nh->gateway)) {
			if (stray_add(ns, nh->id, false) < 0)
				return -1;
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (!k)
			return -1;
		k->id = nh->id;
		k->family = nh->family;
		memcpy(k->addr, nh->gateway, alen(nh->family));
		k->oif = nh->oif;
		if (kobj_link(ns, k) < 0) {
			free(k);
			return -1;
		}
		gc_push(ns, k);
		idmap_add(map, k->id, k);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct vnl_nexthop *nh = &l->v[i];
		struct vrs_fabric_nh v[VNL_MAX_GROUP];
		struct kobj *m[VNL_MAX_GROUP], *k;
		struct nhs *set;
		bool ok = nh->n_group > 1 && !nh->group_too_big;

		if (!nh->n_group)
			continue;
		memset(v, 0, sizeof(v));
		for (size_t j = 0; ok && j < nh->n_group; j++) {
			m[j] = idmap_get(map, nh->group_id[j]);
			ok = m[j] && !m[j]->group &&
			     (j == 0 || m[j]->family == m[0]->family);
			if (ok) {
				memcpy(v[j].addr, m[j]->addr, 16);
				v[j].weight = nh->group_weight[j];
			}
		}
		/* Its slot table is known from the routes that use it. */
		set = ok ? nhs_get(m[0]->family, v, nh->n_group) : NULL;
		if (!set) {
			if (stray_add(ns, nh->id, true) < 0)
				return -1;
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (!k) {
			nhs_put(set);
			return -1;
		}
		k->group = true;
		k->id = nh->id;
		k->family = set->family;
		k->set = set;
		/* members in the set's (sorted) order */
		for (unsigned int j = 0; j < set->n; j++) {
			k->member[j] = gw_find(ns, set->family, set->nh[j].addr);
			kobj_ref(k->member[j]);
		}
		k->installed = (1u << set->n) - 1;
		if (kobj_link(ns, k) < 0) {
			nhs_put(set);
			free(k);
			return -1;
		}
		gc_push(ns, k);
		idmap_add(map, k->id, k);
	}
	return 0;
}

struct route_ctx {
	struct nsx *ns;
	struct slot *s;
	const struct idmap *map;
	size_t owned, other;
	bool oom;
};

static int route_collect(const struct vnl_route *r, void *arg)
{
	struct route_ctx *rc = arg;
	struct slot *s = rc->s;
	struct rkey k = { .family = r->family, .plen = r->plen };
	struct rent *e;
	bool fresh;

	if (r->table != s->table)
		return 0;
	memcpy(k.prefix, r->dst, alen(r->family));
	if (r->protocol != VNET_RTPROT) {
		rc->other++;
		e = rtab_put(&s->foreign, &k, &fresh);
		if (!e)
			goto oom;
		return 0;
	}
	rc->owned++;
	/* IPv6 routes added without a metric get 1024 */
	if (r->priority != (s->vnet->metric ? s->vnet->metric
			    : r->family == AF_INET6 ? 1024u
						    : 0u) ||
	    rtab_find(&s->applied, &k)) {
		struct stray_route *n = realloc(s->strays,
						(s->n_strays + 1) * sizeof(*n));

		if (!n)
			goto oom;
		s->strays = n;
		n[s->n_strays].k = k;
		n[s->n_strays].metric = r->priority;
		n[s->n_strays].blackhole = r->type == RTN_BLACKHOLE;
		s->n_strays++;
		return 0;
	}
	e = rtab_put(&s->applied, &k, &fresh);
	if (!e)
		goto oom;
	if (r->type == RTN_BLACKHOLE) {
		e->kind = RK_BLACKHOLE;
	} else {
		struct kobj *o = idmap_get(rc->map, r->nh_id);

		/* A group is one slot table's: the first table found using
		 * it gets it; another table using it replaces its routes. */
		if (o && o->group && !o->slot && !grp_find(rc->ns, o->set, s)) {
			kobj_unlink(rc->ns, o);
			o->slot = s;
			if (kobj_link(rc->ns, o) < 0)
				goto oom;
		}
		if (o && (!o->group || o->slot == s)) {
			e->kind = RK_NH;
			e->p = o;
			kobj_ref(o);
		} else {
			e->kind = RK_LEGACY;
			rc->ns->n_legacy++;
		}
	}
	return 0;
oom:
	rc->oom = true;
	return -1;
}

/*
 * Reads the namespace: proto-200 nexthop objects are adopted (gateways by
 * address, groups by their member set), the slot tables' proto-200 routes
 * become the applied sets, other routes' prefixes the foreign sets. Every
 * slot is then dirty: its next pass is a full diff, so what is right is
 * never touched.
 */
static int ns_sync(struct agent *a, struct nsx *ns)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct nh_list l = { .ns = ns };
	struct idmap map = { 0 };
	size_t owned = 0, other = 0;
	int rc = -1;

	for (size_t i = 0; i < ns->n_slots; i++) {
		struct slot *s = ns->slots[i];

		rtab_free(&s->applied);
		rtab_free(&s->foreign);
		free(s->strays);
		s->strays = NULL;
		s->n_strays = 0;
	}
	kobjs_free(ns);
	ns->next_id = VNET_NH_ID_BASE;
	if (vnl_dump_nexthops(&ns->nl, nh_collect, &l, reason,
			      sizeof(reason)) < 0) {
		ns_error(ns, "%s", l.oom ? "out of memory" : reason);
		goto out;
	}
	if (adopt_nexthops(ns, &l, &map) < 0) {
		ns_error(ns, "out of memory reading nexthops");
		goto out;
	}
	for (size_t i = 0; i < ns->n_slots; i++) {
		struct route_ctx r = { .ns = ns, .s = ns->slots[i], .map = &map };

		if (vnl_dump_routes(&ns->nl, r.s->table, route_collect, &r,
				    reason, sizeof(reason)) < 0) {
			ns_error(ns, "table %u: %s", r.s->table,
				 r.oom ? "out of memory" : reason);
			goto out;
		}
		owned += r.owned;
		other += r.other;
	}
	for (size_t i = 0; i < ns->n_slots; i++) {
		ns->slots[i]->dirty = true;
		ns->slots[i]->next_retry = 0;
	}
	ns->synced = true;
	ns->last_error[0] = '\0';
	vnet_log(VLOG_INFO,
		 "netns %s: %zu slot tables hold %zu routes of ours and %zu others; %zu nexthop groups and %zu nexthops of ours adopted, %zu to remove",
		 ns->name, ns->n_slots, owned, other, ns->n_grp, ns->n_gw,
		 ns->n_stray_nh);
	rc = 0;
out:
	free(l.v);
	free(map.id);
	free(map.k);
	(void)a;
	return rc;
}

/* ------------------------------------------------------------------ */
/* VM rules                                                           */

static uint32_t vmip_hash(const struct nsx *ns, uint8_t family,
			  const uint8_t *addr)
{
	return mix32((uintptr_t)ns) ^ addr_hash(family, addr);
}

/* The VM with this address in ns, and which of its addresses (*ai). */
static struct vm *vm_by_ip(struct agent *a, const struct nsx *ns,
			   uint8_t family, const uint8_t *addr,
			   unsigned int *ai)
{
	uint8_t k[16] = { 0 };
	size_t m = a->vmip_idx_cap - 1;

	if (!a->vmip_idx_cap)
		return NULL;
	memcpy(k, addr, alen(family));
	for (size_t i = vmip_hash(ns, family, k) & m; a->vmip_idx[i];
	     i = (i + 1) & m) {
		uint32_t e = a->vmip_idx[i] - 1;
		struct vm *vm = &a->vms[e / VNET_VM_MAX_ADDRS];
		unsigned int n = e % VNET_VM_MAX_ADDRS;

		if (vm->vnet->ns == ns && vm->addrs[n].family == family &&
		    !memcmp(vm->addrs[n].addr, k, 16)) {
			*ai = n;
			return vm;
		}
	}
	return NULL;
}

/* "from ADDR lookup T pref P proto 200" of a VM's address ai. */
static void vm_rule(struct vnl_batch *b, bool del, struct vm *vm,
		    unsigned int ai)
{
	const struct vnet_vm_addr *ad = &vm->addrs[ai];

	vnl_rule(b, del, ad->family, ad->addr,
		 (uint8_t)(alen(ad->family) * 8),
		 vm->vnet->slot[vm->assigned].table, vm->vnet->rule_pref, vm);
}

struct rule_ctx {
	struct agent *a;
	struct nsx *ns;
	struct vnl_rule *stale;
	size_t n_stale, cap_stale;
	size_t kept;
	bool oom;
};

static int rule_collect(const struct vnl_rule *r, void *arg)
{
	struct rule_ctx *rc = arg;
	unsigned int ai = 0;
	struct vm *vm;

	if (r->protocol != VNET_RTPROT)
		return 0;
	/* IPv4 and IPv6 rules alike: each address has its own */
	vm = r->src_len == alen(r->family) * 8
		     ? vm_by_ip(rc->a, rc->ns, r->family, r->src, &ai)
		     : NULL;
	if (vm && !vm->rule_ok[ai] && !r->other &&
	    r->priority == vm->vnet->rule_pref &&
	    r->table == vm->vnet->slot[vm->assigned].table) {
		vm->rule_ok[ai] = true;
		rc->kept++;
		return 0;
	}
	if (rc->n_stale == rc->cap_stale) {
		size_t cap = rc->cap_stale ? rc->cap_stale * 2 : 64;
		struct vnl_rule *s = realloc(rc->stale, cap * sizeof(*s));

		if (!s) {
			rc->oom = true;
			return -1;
		}
		rc->stale = s;
		rc->cap_stale = cap;
	}
	rc->stale[rc->n_stale++] = *r;
	return 0;
}

/*
 * Adds up to budget of the missing rules of a namespace. The kernel keeps
 * rules in one list and walks it on every add (all the VMs' rules share
 * one preference), so 50,000 rules cost it ~30 s: they go in steps
 * between the event loop's rounds, and publishers are served meanwhile.
 */
static void rules_step(struct agent *a, struct nsx *ns, size_t budget)
{
	struct pctx c = { .a = a, .ns = ns };
	size_t added = 0;

	c.b = vnl_batch_new(&ns->nl, pass_err, &c);
	if (!c.b)
		return;
	for (; ns->rule_cursor < ns->n_vm_list && added < budget;
	     ns->rule_cursor++) {
		struct vm *vm = &a->vms[ns->vm_list[ns->rule_cursor]];

		for (unsigned int ai = 0; ai < vm->n_addrs; ai++) {
			if (vm->rule_ok[ai])
				continue;
			vm->rule_ok[ai] = true;
			vm_rule(c.b, false, vm, ai);
			added++;
		}
	}
	vnl_batch_end(c.b);
	ns->rules_added += added;
	ns->sync_added += added;
	ns->sync_failed |= c.rule_failed;
	if (ns->rule_cursor < ns->n_vm_list)
		return;
	ns->rules_pending = false;
	ns->rules_synced = !ns->sync_failed;
	if (ns->sync_failed)
		ns->next_retry = vnet_now() + RETRY_S;
	if (ns->sync_added || ns->sync_stale || ns->sync_failed)
		vnet_log(ns->sync_failed ? VLOG_WARNING : VLOG_INFO,
			 "netns %s: VM rules: %zu kept, %zu added, %zu stale deleted in %.3f s%s",
			 ns->name, ns->sync_kept, ns->sync_added,
			 ns->sync_stale, vnet_now() - ns->sync_started,
			 ns->sync_failed ? ", some failed (retrying)" : "");
}

/* Binds the namespace's VMs: keeps right proto-200 rules, deletes the
 * others, then adds the missing ones (rules_step). */
static void rules_sync(struct agent *a, struct nsx *ns)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct rule_ctx rc = { .a = a, .ns = ns };
	struct pctx c = { .a = a, .ns = ns };

	ns->sync_started = vnet_now();
	for (size_t i = 0; i < ns->n_vm_list; i++)
		memset(a->vms[ns->vm_list[i]].rule_ok, 0,
		       sizeof(a->vms[0].rule_ok));
	if (vnl_dump_rules(&ns->nl, rule_collect, &rc, reason,
			   sizeof(reason)) < 0) {
		snprintf(ns->last_error, sizeof(ns->last_error), "%s",
			 rc.oom ? "out of memory" : reason);
		vnet_log_rl(&ns->rl_error, VLOG_ERR, "netns %s: %s", ns->name,
			    ns->last_error);
		ns->next_retry = vnet_now() + RETRY_S;
		free(rc.stale);
		return;
	}
	c.b = vnl_batch_new(&ns->nl, pass_err, &c);
	if (!c.b) {
		free(rc.stale);
		return;
	}
	for (size_t i = 0; i < rc.n_stale; i++) {
		const struct vnl_rule *r = &rc.stale[i];

		vnl_rule(c.b, true, r->family, r->src, r->src_len, r->table,
			 r->priority, NULL);
	}
	vnl_batch_end(c.b);
	ns->rules_deleted += rc.n_stale;
	ns->sync_kept = rc.kept;
	ns->sync_stale = rc.n_stale;
	ns->sync_added = 0;
	ns->sync_failed = c.rule_failed;
	ns->rule_cursor = 0;
	ns->rules_pending = true;
	free(rc.stale);
	rules_step(a, ns, VNET_RULES_PER_STEP);
}

bool prog_work(struct agent *a)
{
	bool more = false;

	for (size_t i = 0; i < a->n_ns; i++) {
		struct nsx *ns = &a->ns[i];

		if (!ns->rules_pending)
			continue;
		rules_step(a, ns, VNET_RULES_PER_STEP);
		more |= ns->rules_pending;
	}
	return more;
}

/* ------------------------------------------------------------------ */
/* Namespaces                                                         */

static bool ns_ready(struct agent *a, struct nsx *ns)
{
	char reason[VRS_FABRIC_REASON_LEN];
	double now = vnet_now();

	if (ns->open && ns->synced) {
		if (!ns->rules_synced && !ns->rules_pending &&
		    now >= ns->next_retry)
			rules_sync(a, ns);
		return true;
	}
	if (now < ns->next_retry)
		return false;
	ns->next_retry = now + RETRY_S;
	if (!ns->open) {
		if (vnl_open(&ns->nl, ns->name, reason, sizeof(reason)) < 0) {
			ns_error(ns, "%s", reason);
			return false;
		}
		ns->open = true;
		if (!a->opt.nexthop_compat_keep && strcmp(ns->name, ".")) {
			int old = -1;

			if (vnl_nexthop_compat(ns->name, 0, &old, reason,
					       sizeof(reason)) < 0) {
				vnet_log(VLOG_WARNING, "%s", reason);
				ns->compat_mode = old;
			} else {
				if (old != 0)
					vnet_log(VLOG_INFO,
						 "netns %s: net.ipv4.nexthop_compat_mode %d -> 0",
						 ns->name, old);
				ns->compat_mode = 0;
			}
		} else {
			vnl_nexthop_compat(ns->name, -1, &ns->compat_mode,
					   reason, sizeof(reason));
		}
	}
	if (ns_sync(a, ns) < 0)
		return false;
	rules_sync(a, ns);
	return true;
}

/* ------------------------------------------------------------------ */
/* Setup, ticks, flush                                                */

static size_t name_slot(uint32_t *idx, size_t cap, const char *name,
			const void *base, size_t stride, size_t name_off,
			bool *found)
{
	size_t m = cap - 1, i;

	*found = false;
	for (i = vnet_vm_hash(name) & m; idx[i]; i = (i + 1) & m) {
		const char *n = (const char *)base + (idx[i] - 1) * stride +
				name_off;

		if (!strcmp(n, name)) {
			*found = true;
			break;
		}
	}
	return i;
}

struct vnet *vnet_find(struct agent *a, const char *name)
{
	bool found;
	size_t i;

	if (!a->vnet_idx_cap)
		return NULL;
	i = name_slot(a->vnet_idx, a->vnet_idx_cap, name, a->vnets,
		      sizeof(*a->vnets), offsetof(struct vnet, name), &found);
	return found ? &a->vnets[a->vnet_idx[i] - 1] : NULL;
}

struct vm *vm_find(struct agent *a, const char *name)
{
	bool found;
	size_t i;

	if (!a->vm_idx_cap)
		return NULL;
	i = name_slot(a->vm_idx, a->vm_idx_cap, name, a->vms, sizeof(*a->vms),
		      offsetof(struct vm, name), &found);
	return found ? &a->vms[a->vm_idx[i] - 1] : NULL;
}

int prog_init(struct agent *a)
{
	struct vnet_agent_opts *o = &a->opt;
	uint32_t *ns_idx;
	size_t ns_cap = pow2_at_least(o->n_vnets * 2 + 1);

	a->vnets = calloc(o->n_vnets ? o->n_vnets : 1, sizeof(*a->vnets));
	a->ns = calloc(o->n_vnets ? o->n_vnets : 1, sizeof(*a->ns));
	a->vms = calloc(o->n_vms ? o->n_vms : 1, sizeof(*a->vms));
	ns_idx = calloc(ns_cap, sizeof(*ns_idx));
	a->vnet_idx_cap = pow2_at_least(o->n_vnets * 2 + 1);
	a->vnet_idx = calloc(a->vnet_idx_cap, sizeof(*a->vnet_idx));
	a->vm_idx_cap = pow2_at_least(o->n_vms * 2 + 1);
	a->vm_idx = calloc(a->vm_idx_cap, sizeof(*a->vm_idx));
	a->vmip_idx_cap = pow2_at_least(o->n_vms * VNET_VM_MAX_ADDRS * 2 + 1);
	a->vmip_idx = calloc(a->vmip_idx_cap, sizeof(*a->vmip_idx));
	if (!a->vnets || !a->ns || !a->vms || !ns_idx || !a->vnet_idx ||
	    !a->vm_idx || !a->vmip_idx) {
		free(ns_idx);
		return -1;
	}
	for (size_t i = 0; i < o->n_vnets; i++) {
		const struct vnet_vnet_spec *sp = &o->vnets[i];
		struct vnet *vn = &a->vnets[i];
		struct nsx *ns;
		bool found;
		size_t j;

		snprintf(vn->name, sizeof(vn->name), "%s", sp->name);
		vn->metric = sp->metric;
		vn->rule_pref = sp->rule_pref;
		j = name_slot(ns_idx, ns_cap, sp->netns, a->ns, sizeof(*a->ns),
			      offsetof(struct nsx, name), &found);
		if (!found) {
			ns = &a->ns[a->n_ns++];
			snprintf(ns->name, sizeof(ns->name), "%s", sp->netns);
			ns->compat_mode = -1;
			ns->next_id = VNET_NH_ID_BASE;
			ns_idx[j] = (uint32_t)a->n_ns;
		}
		ns = &a->ns[ns_idx[j] - 1];
		vn->ns = ns;
		for (int s = 0; s < 2; s++) {
			vn->slot[s].vnet = vn;
			vn->slot[s].idx = s;
			vn->slot[s].table = sp->tables[s];
			vn->slot[s].src = -1;
		}
		j = name_slot(a->vnet_idx, a->vnet_idx_cap, vn->name, a->vnets,
			      sizeof(*a->vnets), offsetof(struct vnet, name),
			      &found);
		a->vnet_idx[j] = (uint32_t)i + 1;
	}
	a->n_vnets = o->n_vnets;
	free(ns_idx);
	for (size_t i = 0; i < a->n_vnets; i++) {
		struct nsx *ns = a->vnets[i].ns;

		ns->n_slots += 2;
	}
	for (size_t i = 0; i < a->n_ns; i++) {
		a->ns[i].slots = calloc(a->ns[i].n_slots, sizeof(struct slot *));
		if (!a->ns[i].slots)
			return -1;
		a->ns[i].n_slots = 0;
	}
	for (size_t i = 0; i < a->n_vnets; i++) {
		struct nsx *ns = a->vnets[i].ns;

		ns->slots[ns->n_slots++] = &a->vnets[i].slot[0];
		ns->slots[ns->n_slots++] = &a->vnets[i].slot[1];
	}
	for (size_t i = 0; i < o->n_vms; i++) {
		const struct vnet_vm_spec *sp = &o->vms[i];
		struct vm *vm = &a->vms[i];
		bool found;
		size_t j, m = a->vmip_idx_cap - 1;

		snprintf(vm->name, sizeof(vm->name), "%s", sp->name);
		vm->vnet = vnet_find(a, sp->vnet);
		if (!vm->vnet)
			return -1;	/* checked with the options */
		vm->n_addrs = sp->n_addrs;
		memcpy(vm->addrs, sp->addrs, sizeof(vm->addrs));
		vm->assigned = (uint8_t)(vnet_vm_hash(vm->name) % 2);
		vm->vnet->n_vms++;
		vm->vnet->ns->n_vms++;
		j = name_slot(a->vm_idx, a->vm_idx_cap, vm->name, a->vms,
			      sizeof(*a->vms), offsetof(struct vm, name),
			      &found);
		a->vm_idx[j] = (uint32_t)i + 1;
		for (unsigned int ai = 0; ai < vm->n_addrs; ai++) {
			const struct vnet_vm_addr *ad = &vm->addrs[ai];
			uint32_t h = vmip_hash(vm->vnet->ns, ad->family,
					       ad->addr);

			for (j = h & m; a->vmip_idx[j]; j = (j + 1) & m)
				;
			a->vmip_idx[j] =
				(uint32_t)(i * VNET_VM_MAX_ADDRS + ai) + 1;
		}
	}
	a->n_vms = o->n_vms;
	for (size_t i = 0; i < a->n_ns; i++) {
		a->ns[i].vm_list = calloc(a->ns[i].n_vms ? a->ns[i].n_vms : 1,
					  sizeof(uint32_t));
		if (!a->ns[i].vm_list)
			return -1;
	}
	for (size_t i = 0; i < a->n_vms; i++) {
		struct nsx *ns = a->vms[i].vnet->ns;

		ns->vm_list[ns->n_vm_list++] = (uint32_t)i;
	}
	return 0;
}

void prog_start(struct agent *a)
{
	for (size_t i = 0; i < a->n_ns; i++)
		ns_ready(a, &a->ns[i]);
	for (size_t i = 0; i < a->n_vnets; i++)
		prog_vnet_select(a, &a->vnets[i], -1);
}

void prog_tick(struct agent *a, double now)
{
	for (size_t i = 0; i < a->n_ns; i++) {
		struct nsx *ns = &a->ns[i];

		if ((!ns->open || !ns->synced ||
		     (!ns->rules_synced && !ns->rules_pending)) &&
		    now >= ns->next_retry)
			ns_ready(a, ns);
	}
	for (size_t i = 0; i < a->n_vnets; i++) {
		struct vnet *vn = &a->vnets[i];
		bool run = false;

		for (int s = 0; s < 2; s++) {
			struct slot *sl = &vn->slot[s];

			if (sl->grace_deadline && now >= sl->grace_deadline)
				run = true;
			if (sl->dirty && now >= sl->next_retry) {
				sl->next_retry = now + RETRY_S;
				run = true;
			}
		}
		if (run)
			prog_vnet_select(a, vn, -1);
	}
}

void prog_flush(struct agent *a)
{
	for (size_t n = 0; n < a->n_ns; n++) {
		struct nsx *ns = &a->ns[n];
		struct pctx c;
		size_t routes = 0, rules = 0, objs = ns->n_grp + ns->n_gw;

		if (!ns->open || !ns->synced)
			continue;
		ns->next_retry = 0;
		if (!pass_begin(a, ns, &c))
			continue;
		for (size_t i = 0; i < ns->n_slots; i++) {
			struct slot *s = ns->slots[i];

			routes += s->applied.n;
			s->src = -1;
			slot_full(&c, s);
		}
		for (size_t i = 0; i < ns->n_vm_list; i++) {
			struct vm *vm = &a->vms[ns->vm_list[i]];

			for (unsigned int ai = 0; ai < vm->n_addrs; ai++) {
				if (!vm->rule_ok[ai])
					continue;
				vm_rule(c.b, true, vm, ai);
				vm->rule_ok[ai] = false;
				rules++;
			}
		}
		pass_end(&c);
		vnet_log(c.route_failed || c.rule_failed ? VLOG_ERR : VLOG_INFO,
			 "netns %s: flushed %zu routes, %zu nexthop objects and %zu rules on exit%s%s",
			 ns->name, routes, objs, rules,
			 c.route_failed || c.rule_failed ? ", first error: " : "",
			 c.route_failed || c.rule_failed ? ns->last_error : "");
	}
}

size_t prog_count_groups(const struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_ns; i++)
		n += a->ns[i].n_grp;
	return n;
}

size_t prog_count_gateways(const struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_ns; i++)
		n += a->ns[i].n_gw;
	return n;
}

void prog_fini(struct agent *a)
{
	for (size_t i = 0; i < a->n_vnets; i++) {
		struct vnet *vn = &a->vnets[i];

		for (int s = 0; s < 2; s++) {
			ptab_free(&vn->src[s]);
			rtab_free(&vn->slot[s].applied);
			rtab_free(&vn->slot[s].foreign);
			free(vn->slot[s].strays);
		}
	}
	for (size_t i = 0; i < a->n_ns; i++) {
		kobjs_free(&a->ns[i]);
		free(a->ns[i].slots);
		free(a->ns[i].vm_list);
		if (a->ns[i].open)
			vnl_close(&a->ns[i].nl);
	}
	for (int i = 0; i < 2; i++)
		aset_free(&a->inst[i].down);
	free(a->vnets);
	free(a->ns);
	free(a->vms);
	free(a->vnet_idx);
	free(a->vm_idx);
	free(a->vmip_idx);
	free(nhs_tab);
	nhs_tab = NULL;
	nhs_cap = nhs_n = 0;
}
