// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: module glue (lifecycle, hooks) and the side tables that hold
 * the route-server settings of each bgpd instance.
 */
#include <zebra.h>

#include "hook.h"
#include "jhash.h"
#include "json.h"
#include "libfrr.h"
#include "log.h"
#include "memory.h"
#include "module.h"
#include "northbound.h"
#include "northbound_cli.h"
#include "thread.h"
#include "vty.h"
#include "lib/version.h"

#include "bgpd/bgpd.h"

#include "bgp_rs.h"
#include "bgp_rs_fabric.h"
#include "vrs_frr.h"

DEFINE_MGROUP(VRS_RS, "vrs bgpd_rs");
DEFINE_MTYPE_STATIC(VRS_RS, RS_INSTANCE, "Route-server instance");
DEFINE_MTYPE_STATIC(VRS_RS, RS_NEIGHBOR, "Route-server neighbor");
DEFINE_MTYPE_STATIC(VRS_RS, RS_POLICY, "Route-server policy core");
DEFINE_MTYPE_STATIC(VRS_RS, RS_TMP, "Route-server temporary");
DEFINE_MTYPE_STATIC(VRS_RS, RS_DIRTY, "Route-server dirty prefixes");

extern struct yang_module_embed vrs_embed_frr_route_server;

static struct thread_master *rs_master;
static struct thread *rs_apply_thread;
static struct thread *rs_publish_thread;
static int64_t rs_last_publish_ms;

static void rs_schedule_publish_run(void);
static void rs_dirty_free(struct rs_instance *rsi);

/* Coalescing delay of route changes before the VMs are re-programmed. */
#define RS_PUBLISH_DELAY_MS 20
/* While the startup gate waits for End-of-RIB: how often it looks again. */
#define RS_STARTUP_POLL_MS 200

/* The policy core allocates through this module's memory accounting. */
static void *rs_mem_zalloc(size_t n, size_t size)
{
	return XCALLOC(MTYPE_RS_POLICY, n * size);
}

static void rs_mem_release(void *p)
{
	XFREE(MTYPE_RS_POLICY, p);
}

static const struct vrs_mem_ops rs_mem_ops = {
	.zalloc = rs_mem_zalloc,
	.release = rs_mem_release,
};

static int64_t rs_now_ms(void)
{
	struct timeval tv;

	monotime(&tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Instances ------------------------------------------------------------ */

static int rs_instance_cmp(const struct rs_instance *a,
			   const struct rs_instance *b)
{
	return strcmp(a->vrf, b->vrf);
}

static uint32_t rs_instance_hash(const struct rs_instance *a)
{
	return string_hash_make(a->vrf);
}

DECLARE_HASH(rs_instances, struct rs_instance, itm, rs_instance_cmp,
	     rs_instance_hash);

static struct rs_instances_head rs_instances[1];

/* Bumped when an instance or a neighbor is created or deleted (bgp_rs.h). */
uint32_t rs_config_gen = 1;

struct rs_instance *rs_instance_find(const char *vrf)
{
	struct rs_instance *rsi;

	/* A handful of instances: no ~10 KB key struct to fill per lookup. */
	frr_each (rs_instances, rs_instances, rsi)
		if (strcmp(rsi->vrf, vrf) == 0)
			return rsi;
	return NULL;
}

struct rs_instance *rs_instance_get(const char *vrf)
{
	struct rs_instance *rsi = rs_instance_find(vrf);

	if (rsi)
		return rsi;
	rsi = XCALLOC(MTYPE_RS_INSTANCE, sizeof(*rsi));
	strlcpy(rsi->vrf, vrf, sizeof(rsi->vrf));
	rsi->hub_pref = VRS_HUB_PREF_EXPRESSROUTE;
	rsi->profile = VRS_PROFILE_FAST;
	rsi->route_limit = VRS_LIMIT_PER_PEER_DEFAULT;
	rsi->limit_mode = VRS_LIMIT_ARS;
	rsi->total_limit = VRS_LIMIT_TOTAL_DEFAULT;
	rsi->fabric.startup_wait_s = RS_STARTUP_WAIT_DEFAULT_S;
	rsi->startup.state = RS_STARTUP_WAITING;
	rsi->startup.start_ms = rs_now_ms();
	rs_neighbors_init(rsi->neighbors);
	rs_instances_add(rs_instances, rsi);
	rs_config_gen++;
	return rsi;
}

static void rs_instance_free(struct rs_instance *rsi)
{
	struct rs_neighbor *nbr;

	rs_bgp_instance_fini(rsi);
	rs_dirty_free(rsi);
	while ((nbr = rs_neighbors_pop(rsi->neighbors)))
		XFREE(MTYPE_RS_NEIGHBOR, nbr);
	rs_neighbors_fini(rsi->neighbors);
	XFREE(MTYPE_RS_INSTANCE, rsi);
}

void rs_instance_del(struct rs_instance *rsi)
{
	rs_config_gen++;
	rs_instances_del(rs_instances, rsi);
	rs_instance_free(rsi);
}

static int rs_instance_qsort_cmp(const void *a, const void *b)
{
	const struct rs_instance *const *x = a, *const *y = b;

	return strcmp((*x)->vrf, (*y)->vrf);
}

struct rs_instance **rs_instance_array(size_t *n)
{
	struct rs_instance **arr;
	struct rs_instance *rsi;
	size_t i = 0;

	*n = rs_instances_count(rs_instances);
	arr = XCALLOC(MTYPE_RS_TMP, (*n + 1) * sizeof(*arr));
	frr_each (rs_instances, rs_instances, rsi)
		arr[i++] = rsi;
	qsort(arr, *n, sizeof(*arr), rs_instance_qsort_cmp);
	return arr;
}

void rs_instance_array_free(struct rs_instance **arr)
{
	XFREE(MTYPE_RS_TMP, arr);
}

void rs_instance_walk(void (*cb)(struct rs_instance *rsi, void *arg),
		      void *arg)
{
	size_t n;
	struct rs_instance **arr = rs_instance_array(&n);

	for (size_t i = 0; i < n; i++)
		cb(arr[i], arg);
	rs_instance_array_free(arr);
}

/* Neighbors ------------------------------------------------------------ */

struct rs_neighbor *rs_neighbor_find(struct rs_instance *rsi, const char *addr)
{
	struct rs_neighbor ref = {};

	strlcpy(ref.addr, addr, sizeof(ref.addr));
	return rs_neighbors_find(rsi->neighbors, &ref);
}

struct rs_neighbor *rs_neighbor_get(struct rs_instance *rsi, const char *addr)
{
	struct rs_neighbor *nbr = rs_neighbor_find(rsi, addr);

	if (nbr)
		return nbr;
	nbr = XCALLOC(MTYPE_RS_NEIGHBOR, sizeof(*nbr));
	strlcpy(nbr->addr, addr, sizeof(nbr->addr));
	rs_neighbors_add(rsi->neighbors, nbr);
	rs_config_gen++;
	return nbr;
}

void rs_neighbor_del(struct rs_instance *rsi, struct rs_neighbor *nbr)
{
	rs_config_gen++;
	rs_neighbors_del(rsi->neighbors, nbr);
	XFREE(MTYPE_RS_NEIGHBOR, nbr);
}

static int rs_neighbor_qsort_cmp(const void *a, const void *b)
{
	const struct rs_neighbor *const *x = a, *const *y = b;
	struct vrs_addr ax, ay;

	if (vrs_addr_parse((*x)->addr, &ax) == 0 &&
	    vrs_addr_parse((*y)->addr, &ay) == 0)
		return vrs_addr_cmp(&ax, &ay);
	return strcmp((*x)->addr, (*y)->addr);
}

struct rs_neighbor **rs_neighbor_array(struct rs_instance *rsi, size_t *n)
{
	struct rs_neighbor **arr;
	struct rs_neighbor *nbr;
	size_t i = 0;

	*n = rs_neighbors_count(rsi->neighbors);
	arr = XCALLOC(MTYPE_RS_TMP, (*n + 1) * sizeof(*arr));
	frr_each (rs_neighbors, rsi->neighbors, nbr)
		arr[i++] = nbr;
	qsort(arr, *n, sizeof(*arr), rs_neighbor_qsort_cmp);
	return arr;
}

void rs_neighbor_array_free(struct rs_neighbor **arr)
{
	XFREE(MTYPE_RS_TMP, arr);
}

uint32_t rs_neighbor_limit(const struct rs_instance *rsi,
			   const struct rs_neighbor *nbr)
{
	return (nbr && nbr->route_limit) ? nbr->route_limit : rsi->route_limit;
}

/* Peerings ------------------------------------------------------------- */

struct rs_peering *rs_peering_find(struct rs_instance *rsi, const char *name)
{
	for (size_t i = 0; i < rsi->n_peerings; i++)
		if (strcmp(rsi->peerings[i].remote, name) == 0)
			return &rsi->peerings[i];
	return NULL;
}

struct rs_peering *rs_peering_get(struct rs_instance *rsi, const char *name)
{
	struct rs_peering *p = rs_peering_find(rsi, name);

	if (p)
		return p;
	/* The YANG model caps the list at RS_MAX_PEERINGS entries. */
	assert(rsi->n_peerings < RS_MAX_PEERINGS);
	p = &rsi->peerings[rsi->n_peerings++];
	memset(p, 0, sizeof(*p));
	strlcpy(p->remote, name, sizeof(p->remote));
	return p;
}

void rs_peering_del(struct rs_instance *rsi, const char *name)
{
	struct rs_peering *p = rs_peering_find(rsi, name);
	size_t i;

	if (!p)
		return;
	i = p - rsi->peerings;
	memmove(p, p + 1, (rsi->n_peerings - i - 1) * sizeof(*p));
	rsi->n_peerings--;
}

size_t rs_instance_vnets(const struct rs_instance *rsi, struct vrs_vnet *out,
			 size_t cap)
{
	char reason[256];
	const char *name = rsi->vnet_name[0] ? rsi->vnet_name : "vnet";
	size_t n = 0;

	if (cap < 1 + rsi->n_peerings)
		return 0;
	vrs_vnet_init(&out[0], name, reason, sizeof(reason));
	out[0].has_route_server = true;
	for (size_t i = 0; i < rsi->n_spaces; i++)
		vrs_vnet_add_space(&out[0], &rsi->spaces[i], reason,
				   sizeof(reason));
	n = 1;
	for (size_t i = 0; i < rsi->n_peerings; i++) {
		const struct rs_peering *p = &rsi->peerings[i];
		struct vrs_vnet *r = &out[n++];

		vrs_vnet_init(r, p->remote, reason, sizeof(reason));
		for (size_t j = 0; j < p->n_spaces; j++)
			vrs_vnet_add_space(r, &p->spaces[j], reason,
					   sizeof(reason));
		vrs_vnet_add_peering(&out[0], p->remote, false,
				     p->allow_transit, reason, sizeof(reason));
		vrs_vnet_add_peering(r, name, p->remote_uses_gateway, false,
				     reason, sizeof(reason));
	}
	return n;
}

/* Programming the VNets ------------------------------------------------- */

/* Dirty prefixes of an instance (routes changed since the last publish). */
PREDECL_HASH(rs_dirtys);

struct rs_dirty_pfx {
	struct rs_dirtys_item itm;
	struct vrs_prefix p;
};

static int rs_dirty_cmp(const struct rs_dirty_pfx *a,
			const struct rs_dirty_pfx *b)
{
	return vrs_prefix_cmp(&a->p, &b->p);
}

static uint32_t rs_dirty_hash(const struct rs_dirty_pfx *a)
{
	return jhash(&a->p, sizeof(a->p), 0x64697274);
}

DECLARE_HASH(rs_dirtys, struct rs_dirty_pfx, itm, rs_dirty_cmp, rs_dirty_hash);

struct rs_dirty_set {
	struct rs_dirtys_head tab[1];
};

static size_t rs_dirty_count(struct rs_instance *rsi)
{
	return rsi->dirty ? rs_dirtys_count(rsi->dirty->tab) : 0;
}

static void rs_dirty_clear(struct rs_instance *rsi)
{
	struct rs_dirty_pfx *d;

	if (!rsi->dirty)
		return;
	while ((d = rs_dirtys_pop(rsi->dirty->tab)))
		XFREE(MTYPE_RS_DIRTY, d);
}

static void rs_dirty_free(struct rs_instance *rsi)
{
	if (!rsi->dirty)
		return;
	rs_dirty_clear(rsi);
	rs_dirtys_fini(rsi->dirty->tab);
	XFREE(MTYPE_RS_DIRTY, rsi->dirty);
}

static int64_t rs_now_us(void)
{
	struct timeval tv;

	monotime(&tv);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void rs_publish_opts(struct vrs_eff_opts *opts)
{
	/* What the agent installs: no Invalid entries, no Internet default
	 * (the fabric namespace's own default route is the agent's). */
	vrs_eff_opts_init(opts);
	opts->include_invalid = false;
	opts->include_default = false;
}

/*
 * Full recompute: the effective routes of every VNet this route server
 * programs (its VNet and spokes that use it), one table each, computed by
 * the policy core; the fabric client diffs them against what it holds.
 */
static void rs_publish_full(struct rs_instance *rsi)
{
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	const struct vrs_vnet *prog[RS_MAX_PEERINGS + 1];
	struct vrs_eff_route *eff[RS_MAX_PEERINGS + 1] = {};
	struct rs_fabric_table tables[RS_MAX_PEERINGS + 1];
	struct vrs_bgp_route *bgp = NULL;
	struct vrs_addr *nhs = NULL;
	struct vrs_eff_opts opts;
	size_t n_vnets, n_prog, n_bgp;
	int64_t t0 = rs_now_us();

	/* What is read now covers every change so far. */
	rs_dirty_clear(rsi);
	n_vnets = rs_instance_vnets(rsi, vnets, array_size(vnets));
	n_prog = vrs_rs_programmed_vnets(vnets, n_vnets, &vnets[0], prog,
					 array_size(prog));
	if (n_prog > array_size(prog))
		n_prog = array_size(prog);
	n_bgp = rs_bgp_vm_routes(rsi, true, &bgp, &nhs);
	rs_publish_opts(&opts);
	for (size_t v = 0; v < n_prog; v++) {
		size_t cap = n_bgp + RS_MAX_SPACES * (RS_MAX_PEERINGS + 2);
		size_t n;

		eff[v] = XCALLOC(MTYPE_RS_TMP, cap * sizeof(*eff[v]));
		n = vrs_effective_routes(vnets, n_vnets, prog[v], &vnets[0],
					 bgp, n_bgp, &opts, eff[v], cap);
		tables[v].vnet = prog[v]->name;
		tables[v].routes = eff[v];
		tables[v].n_routes = n > cap ? cap : n;
	}
	rs_fabric_publish(tables, n_prog);
	for (size_t v = 0; v < n_prog; v++)
		XFREE(MTYPE_RS_TMP, eff[v]);
	rs_bgp_vm_routes_free(bgp, nhs);
	rsi->published = true;
	rsi->pub.full++;
	rsi->pub.last_full_reason = rsi->full_reason ? rsi->full_reason
						     : "first";
	rsi->full_reason = NULL;
	rsi->pub.last_full_us = rs_now_us() - t0;
}

/*
 * Incremental: only the dirty prefixes. Per prefix, the VMs' BGP route is
 * read once (rs_bgp_vm_route), then per programmed VNet the policy core
 * says what the table holds for that prefix (vrs_effective_prefix): a BGP
 * entry (sent as changed), nothing (withdrawn), or a system route, which
 * BGP cannot change (nothing to send). false: the client refused a delta
 * (no table for that VNet yet): the caller recomputes everything.
 */
static bool rs_publish_incremental(struct rs_instance *rsi)
{
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	const struct vrs_vnet *prog[RS_MAX_PEERINGS + 1];
	struct vrs_bgp_route *br;
	struct vrs_addr *pool;
	struct vrs_prefix *pfx, *wd;
	struct vrs_eff_route *up;
	struct rs_dirty_pfx *d;
	struct vrs_eff_opts opts;
	size_t n = rs_dirty_count(rsi), i = 0, n_vnets, n_prog;
	size_t used = 0, pool_cap;
	bool ok = true;
	int64_t t0 = rs_now_us();

	pfx = XCALLOC(MTYPE_RS_TMP, (n + 1) * sizeof(*pfx));
	br = XCALLOC(MTYPE_RS_TMP, (n + 1) * sizeof(*br));
	while ((d = rs_dirtys_pop(rsi->dirty->tab))) {
		pfx[i++] = d->p;
		XFREE(MTYPE_RS_DIRTY, d);
	}
	n = i;
	/* The VMs' BGP route of every dirty prefix (n_nexthops 0: none). */
	pool_cap = 2 * n + 16;
	pool = XCALLOC(MTYPE_RS_TMP, pool_cap * sizeof(*pool));
	for (i = 0; i < n; i++) {
		struct vrs_addr nh[16];
		struct vrs_bgp_route r;

		br[i].prefix = pfx[i];
		if (!rs_bgp_vm_route(rsi, &pfx[i], &r, nh, array_size(nh)))
			continue;
		if (used + r.n_nexthops > pool_cap) {
			struct vrs_addr *grow;

			pool_cap = pool_cap * 2 + r.n_nexthops;
			grow = XCALLOC(MTYPE_RS_TMP, pool_cap * sizeof(*grow));
			memcpy(grow, pool, used * sizeof(*grow));
			XFREE(MTYPE_RS_TMP, pool);
			pool = grow;
		}
		memcpy(&pool[used], nh, r.n_nexthops * sizeof(*nh));
		/* An offset until the pool stops moving. */
		br[i].nexthops = (const struct vrs_addr *)(uintptr_t)used;
		br[i].n_nexthops = r.n_nexthops;
		used += r.n_nexthops;
	}
	for (i = 0; i < n; i++)
		br[i].nexthops = pool + (uintptr_t)br[i].nexthops;

	n_vnets = rs_instance_vnets(rsi, vnets, array_size(vnets));
	n_prog = vrs_rs_programmed_vnets(vnets, n_vnets, &vnets[0], prog,
					 array_size(prog));
	if (n_prog > array_size(prog))
		n_prog = array_size(prog);
	rs_publish_opts(&opts);
	up = XCALLOC(MTYPE_RS_TMP, (n + 1) * sizeof(*up));
	wd = XCALLOC(MTYPE_RS_TMP, (n + 1) * sizeof(*wd));
	for (size_t v = 0; v < n_prog && ok; v++) {
		size_t n_up = 0, n_wd = 0;

		for (i = 0; i < n; i++) {
			struct vrs_eff_route e[2];
			size_t k;

			k = vrs_effective_prefix(vnets, n_vnets, prog[v],
						 &vnets[0], &pfx[i],
						 br[i].n_nexthops ? &br[i]
								  : NULL,
						 &opts, e, array_size(e));
			if (!k)
				wd[n_wd++] = pfx[i];
			else if (e[0].source ==
				 VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY)
				up[n_up++] = e[0];
		}
		if (!n_up && !n_wd)
			continue;
		ok = rs_fabric_publish_delta(prog[v]->name, up, n_up, wd,
					     n_wd);
		if (ok) {
			rsi->pub.upserts += n_up;
			rsi->pub.withdrawn += n_wd;
		}
	}
	XFREE(MTYPE_RS_TMP, up);
	XFREE(MTYPE_RS_TMP, wd);
	XFREE(MTYPE_RS_TMP, pool);
	XFREE(MTYPE_RS_TMP, br);
	XFREE(MTYPE_RS_TMP, pfx);
	if (ok) {
		rsi->pub.incremental++;
		rsi->pub.prefixes += n;
		rsi->pub.last_incremental_us = rs_now_us() - t0;
	}
	return ok;
}

static void rs_publish_instance(struct rs_instance *rsi)
{
	if (!rsi->published || rsi->full_reason) {
		rs_publish_full(rsi);
		return;
	}
	if (!rs_dirty_count(rsi))
		return;
	if (!rs_publish_incremental(rsi)) {
		rsi->pub.fallbacks++;
		rsi->full_reason = "deltaRefused";
		rs_publish_full(rsi);
	}
}

void rs_publish_prefix(struct rs_instance *rsi, const struct vrs_prefix *p)
{
	struct rs_dirty_pfx ref, *d;

	/* Nothing published yet, or everything is recomputed anyway. */
	if (!rsi->fabric.socket[0])
		return;
	if (!rsi->published || rsi->full_reason) {
		rs_schedule_publish_run();
		return;
	}
	if (!rsi->dirty) {
		rsi->dirty = XCALLOC(MTYPE_RS_DIRTY, sizeof(*rsi->dirty));
		rs_dirtys_init(rsi->dirty->tab);
	}
	memset(&ref, 0, sizeof(ref));
	ref.p = *p;
	if (!rs_dirtys_find(rsi->dirty->tab, &ref)) {
		if (rs_dirty_count(rsi) >= RS_DIRTY_MAX) {
			/* A full recompute is cheaper and bounded. */
			rsi->pub.overflows++;
			rsi->full_reason = "tooManyChanges";
			rs_dirty_clear(rsi);
		} else {
			d = XCALLOC(MTYPE_RS_DIRTY, sizeof(*d));
			d->p = *p;
			rs_dirtys_add(rsi->dirty->tab, d);
		}
	}
	rs_schedule_publish_run();
}

void rs_neighbor_down(struct rs_instance *rsi, const char *who,
		      const struct vrs_addr *lost, size_t n,
		      enum rs_down_seen how)
{
	size_t added;

	if (!rsi->fabric.socket[0] || !rsi->published || !n)
		return;
	added = rs_fabric_nexthops_down(lost, n);
	/* The same loss seen again by the hook: only what it adds. */
	if (how == RS_DOWN_HOOK_AFTER_EARLY && !added)
		return;
	rsi->pub.nh_down_events += how != RS_DOWN_HOOK_AFTER_EARLY;
	rsi->pub.nh_down_early += how == RS_DOWN_EARLY;
	rsi->pub.nh_down_addrs += how == RS_DOWN_HOOK_AFTER_EARLY ? added : n;
	strlcpy(rsi->pub.last_down_neighbor, who,
		sizeof(rsi->pub.last_down_neighbor));
	rsi->pub.n_last_down = MIN(n, array_size(rsi->pub.last_down));
	memcpy(rsi->pub.last_down, lost,
	       rsi->pub.n_last_down * sizeof(*lost));
}

static void rs_publish_json_one(struct rs_instance *rsi, void *arg)
{
	struct json_object *json = arg, *jr, *jd;
	const struct rs_publish_stats *st = &rsi->pub;

	if (!rsi->fabric.socket[0] ||
	    json_object_object_get_ex(json, "recompute", NULL))
		return;
	jr = json_object_new_object();
	json_object_string_add(jr, "vrf", rsi->vrf);
	json_object_boolean_add(jr, "published", rsi->published);
	json_object_int_add(jr, "full", st->full);
	json_object_string_add(jr, "lastFullReason",
			       st->last_full_reason ? st->last_full_reason
						    : "");
	json_object_int_add(jr, "lastFullUs", st->last_full_us);
	json_object_int_add(jr, "incremental", st->incremental);
	json_object_int_add(jr, "prefixesRecomputed", st->prefixes);
	json_object_int_add(jr, "lastIncrementalUs", st->last_incremental_us);
	json_object_int_add(jr, "routesChanged", st->upserts);
	json_object_int_add(jr, "routesWithdrawn", st->withdrawn);
	json_object_int_add(jr, "dirtyPending", rs_dirty_count(rsi));
	json_object_int_add(jr, "dirtyMax", RS_DIRTY_MAX);
	json_object_int_add(jr, "dirtyOverflows", st->overflows);
	json_object_int_add(jr, "deltaFallbacks", st->fallbacks);
	json_object_int_add(jr, "neighborLossesWithNexthopsDown",
			    st->nh_down_events);
	json_object_int_add(jr, "nexthopsDeclaredDown", st->nh_down_addrs);
	json_object_int_add(jr, "neighborLossesSeenEarly", st->nh_down_early);
	json_object_string_add(jr, "lastNeighborLoss",
			       st->last_down_neighbor);
	jd = json_object_new_array();
	for (size_t i = 0; i < st->n_last_down; i++) {
		char a[VRS_ADDR_STRLEN];

		vrs_addr_str(&st->last_down[i], a, sizeof(a));
		json_object_array_add(jd, json_object_new_string(a));
	}
	json_object_object_add(jr, "lastNexthopsDown", jd);
	rs_bgp_nhp_json(rsi, jr);
	json_object_object_add(json, "recompute", jr);
}

void rs_publish_json(struct json_object *json)
{
	rs_instance_walk(rs_publish_json_one, json);
}

static const char *const rs_ready_names[] = {
	[RS_READY_NONE] = "",
	[RS_READY_EOR] = "endOfRib",
	[RS_READY_MAX_WAIT] = "maxWait",
	[RS_READY_NO_NEIGHBORS] = "noNeighbors",
};

/*
 * The startup gate (see struct rs_startup): true once the instance may
 * publish. A Snapshot is authoritative for the VMs this instance is
 * assigned, so publishing before the neighbors have sent their tables
 * would withdraw routes from VMs that the other instance still serves.
 */
static bool rs_startup_ready(struct rs_instance *rsi)
{
	struct rs_startup *st = &rsi->startup;
	const char *pending[8];
	size_t n;
	int64_t now;

	if (st->state == RS_STARTUP_READY)
		return true;
	now = rs_now_ms();
	if (!rs_neighbors_count(rsi->neighbors))
		st->reason = RS_READY_NO_NEIGHBORS;
	else {
		n = rs_bgp_eor_pending(rsi, pending, array_size(pending));
		if (!n)
			st->reason = RS_READY_EOR;
		else if (now - st->start_ms >=
			 (int64_t)rsi->fabric.startup_wait_s * 1000) {
			st->reason = RS_READY_MAX_WAIT;
			zlog_warn("bgpd_rs: %s: publishing after the startup wait of %u s without End-of-RIB from %zu neighbor(s), first %s",
				  rsi->vrf, rsi->fabric.startup_wait_s, n,
				  pending[0]);
		} else
			return false;
	}
	st->state = RS_STARTUP_READY;
	st->ready_ms = now;
	zlog_info("bgpd_rs: %s: VM programming starts after %" PRId64
		  " ms (%s)",
		  rsi->vrf, st->ready_ms - st->start_ms,
		  rs_ready_names[st->reason]);
	return true;
}

static void rs_publish_one(struct rs_instance *rsi, void *arg)
{
	bool *waiting = arg;

	if (!rsi->fabric.socket[0])
		return;
	if (!rs_startup_ready(rsi)) {
		*waiting = true;
		return;
	}
	rs_publish_instance(rsi);
}

static void rs_publish_all(struct thread *t)
{
	bool waiting = false;

	rs_last_publish_ms = rs_now_ms();

	rs_instance_walk(rs_publish_one, &waiting);
	if (waiting)
		thread_add_timer_msec(rs_master, rs_publish_all, NULL,
				      RS_STARTUP_POLL_MS, &rs_publish_thread);
}

static void rs_startup_json_one(struct rs_instance *rsi, void *arg)
{
	struct json_object *json = arg, *js, *jw;
	const struct rs_startup *st = &rsi->startup;
	const char *pending[64];
	size_t n = 0;
	int64_t now = rs_now_ms();

	if (!rsi->fabric.socket[0] || json_object_object_get_ex(json, "startup", NULL))
		return;
	js = json_object_new_object();
	json_object_string_add(js, "vrf", rsi->vrf);
	json_object_string_add(js, "state", st->state == RS_STARTUP_READY
						    ? "ready"
						    : "waitingForEndOfRib");
	json_object_string_add(js, "readyReason", rs_ready_names[st->reason]);
	jw = json_object_new_array();
	if (st->state == RS_STARTUP_WAITING) {
		n = rs_bgp_eor_pending(rsi, pending, array_size(pending));
		for (size_t i = 0; i < n && i < array_size(pending); i++)
			json_object_array_add(jw,
					      json_object_new_string(pending[i]));
	}
	json_object_object_add(js, "waitingFor", jw);
	json_object_int_add(js, "heldMs",
			    (st->state == RS_STARTUP_READY ? st->ready_ms : now) -
				    st->start_ms);
	json_object_int_add(js, "maxWaitMs",
			    (int64_t)rsi->fabric.startup_wait_s * 1000);
	json_object_object_add(json, "startup", js);
}

void rs_startup_json(struct json_object *json)
{
	rs_instance_walk(rs_startup_json_one, json);
}

/*
 * Leading edge, then coalescing: the first change after a quiet period
 * (a failover is one change) is published at the next turn of the event
 * loop; changes that follow within RS_PUBLISH_DELAY_MS of a publish are
 * gathered into one.
 */
static void rs_schedule_publish_run(void)
{
	int64_t quiet;

	if (!rs_master || rs_publish_thread)
		return;
	quiet = rs_now_ms() - rs_last_publish_ms;
	thread_add_timer_msec(rs_master, rs_publish_all, NULL,
			      quiet >= RS_PUBLISH_DELAY_MS ? 0
							   : RS_PUBLISH_DELAY_MS,
			      &rs_publish_thread);
}

static void rs_mark_full(struct rs_instance *rsi, void *arg)
{
	if (!rsi->full_reason)
		rsi->full_reason = arg;
}

void rs_schedule_full(struct rs_instance *rsi, const char *reason)
{
	if (rsi)
		rs_mark_full(rsi, (void *)reason);
	else
		rs_instance_walk(rs_mark_full, (void *)reason);
	rs_schedule_publish_run();
}

void rs_fabric_changed(struct rs_instance *rsi)
{
	struct rs_fabric_cfg *f = &rsi->fabric;

	if (!f->socket[0]) {
		rs_fabric_configure(NULL, 0, NULL);
		rsi->published = false;
		rs_dirty_clear(rsi);
		return;
	}
	rs_fabric_configure(f->socket, f->instance_id,
			    f->instance_name[0] ? f->instance_name : "rs");
	rs_schedule_full(rsi, "fabricConfig");
}

/* Applying settings ------------------------------------------------------ */

static void rs_apply_one(struct rs_instance *rsi, void *arg)
{
	if (!rsi->settings_dirty)
		return;
	rsi->settings_dirty = false;
	rs_bgp_apply(rsi);
	rs_mark_full(rsi, "config");
}

static void rs_apply_all(struct thread *t)
{
	rs_instance_walk(rs_apply_one, NULL);
	rs_schedule_publish_run();
}

void rs_schedule_apply(void)
{
	if (rs_master)
		thread_add_event(rs_master, rs_apply_all, NULL, 0,
				 &rs_apply_thread);
}

void rs_instance_changed(struct rs_instance *rsi)
{
	rsi->settings_dirty = true;
	rs_schedule_apply();
}

/* Lifecycle ---------------------------------------------------------------- */

/* Writes the route-server lines inside "router bgp" of running-config. */
static int rs_config_write(struct bgp *bgp, struct vty *vty)
{
	char xpath[XPATH_MAXLEN];
	const struct lyd_node *dnode;

	snprintf(xpath, sizeof(xpath), RS_XPATH_INSTANCE,
		 rs_bgp_vrf_name(bgp));
	dnode = vrs_nb_running_dnode(xpath);
	if (dnode)
		nb_cli_show_dnode_cmds(vty, dnode, false);
	return 0;
}

/* The configuration (file or vtysh) is complete: apply what is pending. */
static int rs_config_end(struct bgp *bgp)
{
	struct rs_instance *rsi = rs_instance_find(rs_bgp_vrf_name(bgp));

	if (rsi)
		rs_instance_changed(rsi);
	return 0;
}

/* Remove the subtree at xpath from one configuration; true if it was there. */
static bool rs_nb_config_destroy(struct nb_config *config,
				 const struct nb_node *nbn, const char *xpath)
{
	return config && nb_candidate_edit(config, nbn, NB_OP_DESTROY, xpath,
					   NULL, NULL) == NB_OK;
}

/*
 * Drop an instance's subtree from the YANG running configuration (one
 * northbound transaction on a copy of running) and from the shared
 * candidate, which classic-mode vtysh commits from: otherwise the next
 * route-server command would bring the old lines back.
 */
static void rs_nb_forget(const char *vrf)
{
	char xpath[XPATH_MAXLEN], errmsg[BUFSIZ] = "";
	const struct nb_node *nbn = nb_node_find(RS_XPATH_BASE "/instance");
	struct nb_context ctx = { .client = NB_CLIENT_NONE };
	struct nb_config *cand;
	int ret;

	if (!nbn)
		return;
	snprintf(xpath, sizeof(xpath), RS_XPATH_INSTANCE, vrf);
	rs_nb_config_destroy(vty_shared_candidate_config, nbn, xpath);
	cand = nb_config_dup(running_config);
	if (rs_nb_config_destroy(cand, nbn, xpath)) {
		ret = nb_candidate_commit(&ctx, cand, true,
					  "bgpd_rs: BGP instance deleted", NULL,
					  errmsg, sizeof(errmsg));
		if (ret != NB_OK && ret != NB_ERR_NO_CHANGES)
			zlog_warn("bgpd_rs: %s: could not remove the route-server configuration of the deleted BGP instance: %s (%s)",
				  vrf, nb_err_name(ret), errmsg);
	}
	nb_config_free(cand);
}

/*
 * "no router bgp": the route server of that instance goes with it. The
 * module's state is freed first (bgpd tears down the peers, routes and
 * statics itself), then the YANG configuration is dropped, so that a
 * re-created instance starts clean. At shutdown only the state is freed.
 */
static int rs_bgp_inst_delete(struct bgp *bgp)
{
	const char *vrf = rs_bgp_vrf_name(bgp);
	struct rs_instance *rsi = rs_instance_find(vrf);

	if (rsi) {
		if (rsi->fabric.socket[0] && !bm->terminating)
			rs_fabric_configure(NULL, 0, NULL);
		rs_instance_del(rsi);
	}
	if (!bm->terminating)
		rs_nb_forget(vrf);
	/* Last: what ran above may have asked about bgp again. */
	rs_bgp_forget(bgp);
	return 0;
}

static int rs_late_init(struct thread_master *tm)
{
	rs_master = tm;
	vrs_nb_register(&vrs_embed_frr_route_server, &frr_route_server_info);
	rs_bgp_init(tm);
	rs_hangup_init(tm);
	rs_fabric_init(tm);
	rs_cli_init();
	zlog_info("bgpd_rs: route-server module %s ready (FRR %s)",
		  VRS_VERSION, vrs_frr_running_version());
	return 0;
}

static int rs_fini(void)
{
	struct rs_instance *rsi;

	rs_fabric_fini();
	rs_hangup_fini();
	THREAD_OFF(rs_apply_thread);
	THREAD_OFF(rs_publish_thread);
	rs_bgp_fini();
	while ((rsi = rs_instances_pop(rs_instances)))
		rs_instance_free(rsi);
	rs_instances_fini(rs_instances);
	vrs_mem_set_ops(NULL);
	return 0;
}

static int rs_module_init(void)
{
	if (!vrs_frr_version_ok("bgpd_rs"))
		return -1;

	vrs_mem_set_ops(&rs_mem_ops);
	rs_instances_init(rs_instances);
	hook_register(bgp_inst_config_write, rs_config_write);
	hook_register(bgp_config_end, rs_config_end);
	hook_register(bgp_inst_delete, rs_bgp_inst_delete);
	hook_register(frr_late_init, rs_late_init);
	hook_register(frr_fini, rs_fini);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_rs", .version = VRS_VERSION,
		 .description = "cloud route-server personality (AS 65515)",
		 .init = rs_module_init);
