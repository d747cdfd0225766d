// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: module glue (lifecycle, hooks) and the side tables that hold
 * the route-server settings of each bgpd instance.
 */
#include <zebra.h>

#include "hook.h"
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

extern struct yang_module_embed vrs_embed_frr_route_server;

static struct thread_master *rs_master;
static struct thread *rs_apply_thread;
static struct thread *rs_publish_thread;
static int64_t rs_last_publish_ms;

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

/* VMs ------------------------------------------------------------------ */

struct rs_vm *rs_vm_find(struct rs_instance *rsi, const char *name)
{
	for (size_t i = 0; i < rsi->n_vms; i++)
		if (strcmp(rsi->vms[i].name, name) == 0)
			return &rsi->vms[i];
	return NULL;
}

struct rs_vm *rs_vm_get(struct rs_instance *rsi, const char *name)
{
	struct rs_vm *vm = rs_vm_find(rsi, name);

	if (vm)
		return vm;
	/* The northbound validation caps the list at RS_MAX_VMS. */
	assert(rsi->n_vms < RS_MAX_VMS);
	vm = &rsi->vms[rsi->n_vms++];
	memset(vm, 0, sizeof(*vm));
	strlcpy(vm->name, name, sizeof(vm->name));
	return vm;
}

void rs_vm_del(struct rs_instance *rsi, const char *name)
{
	struct rs_vm *vm = rs_vm_find(rsi, name);
	size_t i;

	if (!vm)
		return;
	i = vm - rsi->vms;
	memmove(vm, vm + 1, (rsi->n_vms - i - 1) * sizeof(*vm));
	rsi->n_vms--;
}

/* Programming the VMs --------------------------------------------------- */

/*
 * The effective routes of every configured VM that this route server
 * programs (its VNet and spokes that use it), computed once per VNet by
 * the policy core, published through the vnet-agent client.
 */
static void rs_publish_instance(struct rs_instance *rsi)
{
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	const struct vrs_vnet *prog[RS_MAX_PEERINGS + 1];
	struct vrs_eff_route *eff[RS_MAX_PEERINGS + 1] = {};
	size_t n_eff[RS_MAX_PEERINGS + 1] = {};
	struct rs_fabric_vm fvms[RS_MAX_VMS];
	struct vrs_bgp_route *bgp = NULL;
	struct vrs_addr *nhs = NULL;
	struct vrs_eff_opts opts;
	size_t n_vnets, n_prog, n_bgp, n_fvms = 0;

	n_vnets = rs_instance_vnets(rsi, vnets, array_size(vnets));
	n_prog = vrs_rs_programmed_vnets(vnets, n_vnets, &vnets[0], prog,
					 array_size(prog));
	if (n_prog > array_size(prog))
		n_prog = array_size(prog);
	n_bgp = rs_bgp_vm_routes(rsi, &bgp, &nhs);
	vrs_eff_opts_init(&opts);
	opts.include_invalid = false;
	opts.include_default = false;
	for (size_t v = 0; v < n_prog; v++) {
		size_t cap = n_bgp + RS_MAX_SPACES * (RS_MAX_PEERINGS + 2);

		eff[v] = XCALLOC(MTYPE_RS_TMP, cap * sizeof(*eff[v]));
		n_eff[v] = vrs_effective_routes(vnets, n_vnets, prog[v],
						&vnets[0], bgp, n_bgp, &opts,
						eff[v], cap);
		if (n_eff[v] > cap)
			n_eff[v] = cap;
	}
	for (size_t i = 0; i < rsi->n_vms; i++)
		for (size_t v = 0; v < n_prog; v++)
			if (strcmp(rsi->vms[i].vnet, prog[v]->name) == 0) {
				fvms[n_fvms].name = rsi->vms[i].name;
				fvms[n_fvms].routes = eff[v];
				fvms[n_fvms].n_routes = n_eff[v];
				n_fvms++;
				break;
			}
	rs_fabric_publish(fvms, n_fvms);
	for (size_t v = 0; v < n_prog; v++)
		XFREE(MTYPE_RS_TMP, eff[v]);
	rs_bgp_vm_routes_free(bgp, nhs);
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
void rs_schedule_publish(void)
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

void rs_fabric_changed(struct rs_instance *rsi)
{
	struct rs_fabric_cfg *f = &rsi->fabric;

	if (!f->socket[0]) {
		rs_fabric_configure(NULL, 0, NULL);
		return;
	}
	rs_fabric_configure(f->socket, f->instance_id,
			    f->instance_name[0] ? f->instance_name : "rs");
	rs_schedule_publish();
}

/* Applying settings ------------------------------------------------------ */

static void rs_apply_one(struct rs_instance *rsi, void *arg)
{
	if (!rsi->dirty)
		return;
	rsi->dirty = false;
	rs_bgp_apply(rsi);
}

static void rs_apply_all(struct thread *t)
{
	rs_instance_walk(rs_apply_one, NULL);
	rs_schedule_publish();
}

void rs_schedule_apply(void)
{
	if (rs_master)
		thread_add_event(rs_master, rs_apply_all, NULL, 0,
				 &rs_apply_thread);
}

void rs_instance_changed(struct rs_instance *rsi)
{
	rsi->dirty = true;
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
