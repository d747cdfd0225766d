// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: cloud route-server personality for bgpd (router bgp 65515).
 *
 * Module state lives in side tables keyed by the BGP instance's VRF name
 * (and, inside an instance, by neighbor address), created by the northbound
 * callbacks and freed on removal and at exit. Decisions (which route is
 * accepted, advertised, preferred, programmed) come from the plain-C policy
 * core in lib/policy; bgp_rs_bgp.c is the only file that reads bgpd structs.
 */
#ifndef BGP_RS_H
#define BGP_RS_H

#include "typesafe.h"
#include "hash.h"
#include "memory.h"
#include "northbound.h"

#include "vrs_policy.h"

#define RS_LOCAL_AS 65515
#define RS_XPATH_BASE "/frr-route-server:route-server"
#define RS_XPATH_INSTANCE RS_XPATH_BASE "/instance[vrf='%s']"
#define RS_MAX_PEERINGS 16
#define RS_MAX_SPACES 8

#define RS_STR "Cloud route-server personality (bgpd_rs)\n"

/* Route-maps the module owns and attaches to route-server neighbors. */
#define RS_RMAP_IN "VRS-RS-IN"
#define RS_RMAP_OUT "VRS-RS-OUT"

PREDECL_HASH(rs_instances);
PREDECL_HASH(rs_neighbors);
struct rs_er_adverts;

/* Inbound counters of one neighbor (reset when the session goes down). */
struct rs_counters {
	uint64_t dropped[VRS_IN_REASON_COUNT];
	uint64_t limit_teardowns;
	uint32_t last_limit_count;
	char last_limit_reason[160];
};

/* A neighbor the route server serves, with its role. */
struct rs_neighbor {
	struct rs_neighbors_item itm;
	char addr[48];
	enum vrs_role role;
	uint32_t route_limit; /* 0: the instance's */
	/*
	 * Its session ended but bgpd has not processed that yet (seen early:
	 * bgp_rs_hangup.c): its paths no longer count. Cleared when it is
	 * Established again.
	 */
	bool session_ending;
	struct rs_counters cnt;
	/* The user's route-maps on this peering ("": none), chained after
	 * the module's policy (bgp_rs_bgp.c, "Peering route-maps"). */
	char rmap[2][VRS_RMAP_NAME_MAX + 1]; /* [VRS_RMAP_IN], [VRS_RMAP_OUT] */
};

/* A summary of a user's route-map ("route-server route-map NAME summarize
 * P"): bgp_rs_bgp.c originates P towards NAME's outbound neighbors. */
#define RS_MAX_SUMMARIES 64

struct rs_summary {
	char rmap[VRS_RMAP_NAME_MAX + 1];
	struct vrs_prefix prefix;
};

struct rs_peering {
	char remote[32];
	struct vrs_prefix spaces[RS_MAX_SPACES];
	size_t n_spaces;
	bool allow_transit;
	bool remote_uses_gateway;
};

/* Connection to the vnet-agent (one per bgpd: one route-server instance). */
struct rs_fabric_cfg {
	char socket[108];
	uint8_t instance_id;
	char instance_name[32];
	uint32_t startup_wait_s; /* bounded wait for End-of-RIB at start */
};

#define RS_STARTUP_WAIT_DEFAULT_S 30

/*
 * Startup gate of the VM programming: a (re)started instance publishes
 * nothing until every role neighbor has sent its whole table (End-of-RIB)
 * or the bounded wait expired. Until then the agent keeps programming the
 * other instance's tables, so a restart never blackholes a VM.
 */
enum rs_startup_state {
	RS_STARTUP_WAITING,
	RS_STARTUP_READY,
};

enum rs_startup_reason {
	RS_READY_NONE,
	RS_READY_EOR,		/* every role neighbor sent End-of-RIB */
	RS_READY_MAX_WAIT,	/* the bounded wait expired */
	RS_READY_NO_NEIGHBORS,	/* nothing to wait for */
};

struct rs_startup {
	enum rs_startup_state state;
	enum rs_startup_reason reason;
	int64_t start_ms;
	int64_t ready_ms;
};

/*
 * Publishing the VNets' tables (bgp_rs.c): a full recompute (every
 * programmed VNet's table, rs_fabric_publish) or, when only routes
 * changed, the dirty prefixes alone (rs_fabric_publish_delta).
 */
struct rs_dirty_set;
struct rs_nh_providers;

/* Dirty prefixes kept before a full recompute is cheaper and bounded. */
#define RS_DIRTY_MAX 50000

struct rs_publish_stats {
	uint64_t full;		/* full recomputes published */
	uint64_t incremental;	/* incremental publishes */
	uint64_t prefixes;	/* prefixes recomputed incrementally */
	uint64_t upserts;	/* entries sent as changed */
	uint64_t withdrawn;	/* entries sent as withdrawn */
	uint64_t fallbacks;	/* delta refused by the client: full */
	uint64_t overflows;	/* more than RS_DIRTY_MAX dirty: full */
	uint64_t nh_down_events; /* neighbor losses with next hops down */
	uint64_t nh_down_addrs;	 /* next hops declared down in all */
	uint64_t nh_down_early;	 /* of the losses, seen before bgpd's clearing */
	uint32_t last_full_us, last_incremental_us;
	const char *last_full_reason;
	char last_down_neighbor[48];
	/* The next hops its loss declared down (the first 8). */
	struct vrs_addr last_down[8];
	size_t n_last_down;
};

/* Route-server settings and state of one bgpd instance. */
struct rs_instance {
	struct rs_instances_item itm;
	char vrf[37];
	bool branch_to_branch;
	bool asn_4byte; /* NVAs may use 4-byte ASNs (opt-in) */
	bool ipv6;	/* dual stack: IPv6 spaces and neighbors (opt-in) */
	enum vrs_hub_pref hub_pref;
	enum vrs_profile profile;
	uint32_t route_limit;
	enum vrs_limit_mode limit_mode;
	uint32_t total_limit;
	char vnet_name[32];
	struct vrs_prefix spaces[RS_MAX_SPACES];
	size_t n_spaces;
	struct rs_peering peerings[RS_MAX_PEERINGS];
	size_t n_peerings;
	struct rs_neighbors_head neighbors[1];
	/* Prefixes this instance originates (VNet + transit spokes). */
	struct vrs_prefix originated[RS_MAX_SPACES * (RS_MAX_PEERINGS + 1)];
	size_t n_originated;
	struct rs_fabric_cfg fabric;
	struct rs_startup startup;
	/* Prefixes let through towards ExpressRoute (bgp_rs_bgp.c). */
	struct rs_er_adverts *er;
	/* Publishing: a full publish went out since the fabric was set. */
	bool published;
	/* Why the next publish recomputes everything (NULL: dirty only). */
	const char *full_reason;
	struct rs_dirty_set *dirty;
	struct rs_publish_stats pub;
	/* Next hop -> providing peers (bgp_rs_bgp.c, the fast path). */
	struct rs_nh_providers *nhp;
	/* Applied settings changed: re-run policy (scheduled, coalesced). */
	bool settings_dirty;
	/* Summaries of the user's route-maps, and the summary prefixes
	 * originated now (live: a role neighbor's route inside). */
	struct rs_summary summaries[RS_MAX_SUMMARIES];
	size_t n_summaries;
	struct vrs_prefix summary_live[RS_MAX_SUMMARIES];
	size_t n_summary_live;
	bool summary_dirty; /* liveness to recompute (scheduled) */
};

static inline int rs_neighbor_cmp(const struct rs_neighbor *a,
				  const struct rs_neighbor *b)
{
	return strcmp(a->addr, b->addr);
}

static inline uint32_t rs_neighbor_hash(const struct rs_neighbor *a)
{
	return string_hash_make(a->addr);
}

DECLARE_HASH(rs_neighbors, struct rs_neighbor, itm, rs_neighbor_cmp,
	     rs_neighbor_hash);

DECLARE_MGROUP(VRS_RS);

/* bgp_rs.c */
/*
 * Generation of the instance and neighbor tables: bumped when an instance
 * or a neighbor is created or deleted, so that the adapter's side tables
 * (bgp_rs_bgp.c, keyed by struct peer / struct bgp) re-resolve once.
 */
extern uint32_t rs_config_gen;
struct rs_instance *rs_instance_find(const char *vrf);
struct rs_instance *rs_instance_get(const char *vrf);
void rs_instance_del(struct rs_instance *rsi);
/* Calls cb for every configured instance, ordered by VRF name. */
void rs_instance_walk(void (*cb)(struct rs_instance *rsi, void *arg),
		      void *arg);
struct rs_neighbor *rs_neighbor_find(struct rs_instance *rsi,
				     const char *addr);
struct rs_neighbor *rs_neighbor_get(struct rs_instance *rsi,
				    const char *addr);
void rs_neighbor_del(struct rs_instance *rsi, struct rs_neighbor *nbr);
/* Neighbors of an instance in address order (array of n, free with
 * rs_neighbor_array_free). */
struct rs_neighbor **rs_neighbor_array(struct rs_instance *rsi, size_t *n);
void rs_neighbor_array_free(struct rs_neighbor **arr);
struct rs_peering *rs_peering_find(struct rs_instance *rsi, const char *name);
struct rs_peering *rs_peering_get(struct rs_instance *rsi, const char *name);
void rs_peering_del(struct rs_instance *rsi, const char *name);
uint32_t rs_neighbor_limit(const struct rs_instance *rsi,
			   const struct rs_neighbor *nbr);
/* Build the VNet model (this VNet + its peerings) for the policy core.
 * Returns the number of VNets written (the route server's VNet first). */
size_t rs_instance_vnets(const struct rs_instance *rsi, struct vrs_vnet *out,
			 size_t cap);
/* Settings changed: re-apply to bgpd (coalesced on the event loop). */
void rs_instance_changed(struct rs_instance *rsi);
void rs_schedule_apply(void);
/*
 * Settings or a role neighbor's session changed: recompute every VNet's
 * table of rsi (NULL: of every instance) and publish (coalesced). reason
 * names the cause in show route-server fabric.
 */
void rs_schedule_full(struct rs_instance *rsi, const char *reason);
/* A route of prefix p changed (bgpd's adj-RIB-in): publish its entries. */
void rs_publish_prefix(struct rs_instance *rsi, const struct vrs_prefix *p);
/*
 * Role neighbor whose session ended; lost = the next hops only it
 * provided: declared down to the agent at once (fast path). how: seen by
 * bgpd's status hook (after bgpd cleared the peer's routes), seen early
 * (its TCP session closed or a NOTIFICATION arrived, before bgpd's
 * clearing), or the status hook after an early one (counted only if it
 * adds a next hop).
 */
enum rs_down_seen {
	RS_DOWN_HOOK,
	RS_DOWN_EARLY,
	RS_DOWN_HOOK_AFTER_EARLY,
};
void rs_neighbor_down(struct rs_instance *rsi, const char *who,
		      const struct vrs_addr *lost, size_t n,
		      enum rs_down_seen how);
void rs_fabric_changed(struct rs_instance *rsi);
/* "startup" and "recompute" objects of show route-server fabric json. */
struct json_object;
void rs_startup_json(struct json_object *json);
void rs_publish_json(struct json_object *json);

/* bgp_rs.c: instances in VRF order (array of n, free with
 * rs_instance_array_free). */
struct rs_instance **rs_instance_array(size_t *n);
void rs_instance_array_free(struct rs_instance **arr);

/* bgp_rs_nb.c: the northbound table. */
extern const struct frr_yang_module_info frr_route_server_info;

/* bgp_rs_nb_config.c: configuration callbacks, named after their xpath. */
int rs_instance_pre_validate(struct nb_cb_pre_validate_args *args);
int rs_instance_create(struct nb_cb_create_args *args);
int rs_instance_destroy(struct nb_cb_destroy_args *args);
void rs_instance_apply_finish(struct nb_cb_apply_finish_args *args);
int rs_instance_leaf_modify(struct nb_cb_modify_args *args);
int rs_instance_asn_4byte_modify(struct nb_cb_modify_args *args);
int rs_instance_leaf_destroy(struct nb_cb_destroy_args *args);
int rs_instance_address_space_create(struct nb_cb_create_args *args);
int rs_instance_address_space_destroy(struct nb_cb_destroy_args *args);
int rs_instance_peering_create(struct nb_cb_create_args *args);
int rs_instance_peering_destroy(struct nb_cb_destroy_args *args);
int rs_instance_peering_address_space_create(struct nb_cb_create_args *args);
int rs_instance_peering_address_space_destroy(
	struct nb_cb_destroy_args *args);
int rs_instance_peering_allow_gateway_transit_modify(
	struct nb_cb_modify_args *args);
int rs_instance_peering_remote_uses_gateway_modify(
	struct nb_cb_modify_args *args);
int rs_instance_neighbor_create(struct nb_cb_create_args *args);
int rs_instance_neighbor_destroy(struct nb_cb_destroy_args *args);
int rs_instance_neighbor_role_modify(struct nb_cb_modify_args *args);
int rs_instance_neighbor_route_limit_modify(struct nb_cb_modify_args *args);
int rs_instance_neighbor_route_limit_destroy(struct nb_cb_destroy_args *args);
/* Peering route-maps (issue 15, part 3). */
int rs_instance_neighbor_route_map_modify(struct nb_cb_modify_args *args);
int rs_instance_neighbor_route_map_destroy(struct nb_cb_destroy_args *args);
int rs_instance_route_map_summary_create(struct nb_cb_create_args *args);
int rs_instance_route_map_summary_destroy(struct nb_cb_destroy_args *args);
void rs_instance_fabric_apply_finish(struct nb_cb_apply_finish_args *args);
int rs_instance_fabric_leaf_modify(struct nb_cb_modify_args *args);
int rs_instance_fabric_leaf_destroy(struct nb_cb_destroy_args *args);

/* bgp_rs_nb_state.c: operational data. */
const void *rs_instance_get_next(struct nb_cb_get_next_args *args);
int rs_instance_get_keys(struct nb_cb_get_keys_args *args);
const void *rs_instance_lookup_entry(struct nb_cb_lookup_entry_args *args);
struct yang_data *
rs_instance_state_accepted_routes_get_elem(struct nb_cb_get_elem_args *args);
struct yang_data *rs_instance_state_established_neighbors_get_elem(
	struct nb_cb_get_elem_args *args);
const void *rs_instance_neighbor_get_next(struct nb_cb_get_next_args *args);
int rs_instance_neighbor_get_keys(struct nb_cb_get_keys_args *args);
const void *
rs_instance_neighbor_lookup_entry(struct nb_cb_lookup_entry_args *args);
struct yang_data *
rs_instance_neighbor_state_get_elem(struct nb_cb_get_elem_args *args);

/* bgp_rs_cli.c */
void rs_cli_init(void);
void rs_cli_show_instance(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
/* branch-to-branch, asn-4byte, ipv6: " [no ]route-server <leaf>". */
void rs_cli_show_flag(struct vty *vty, const struct lyd_node *dnode,
		      bool show_defaults);
void rs_cli_show_hub_pref(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void rs_cli_show_profile(struct vty *vty, const struct lyd_node *dnode,
			 bool show_defaults);
void rs_cli_show_route_limit(struct vty *vty, const struct lyd_node *dnode,
			     bool show_defaults);
void rs_cli_show_limit_mode(struct vty *vty, const struct lyd_node *dnode,
			    bool show_defaults);
void rs_cli_show_total_limit(struct vty *vty, const struct lyd_node *dnode,
			     bool show_defaults);
void rs_cli_show_vnet_name(struct vty *vty, const struct lyd_node *dnode,
			   bool show_defaults);
void rs_cli_show_address_space(struct vty *vty, const struct lyd_node *dnode,
			       bool show_defaults);
void rs_cli_show_peering(struct vty *vty, const struct lyd_node *dnode,
			 bool show_defaults);
void rs_cli_show_peering_space(struct vty *vty, const struct lyd_node *dnode,
			       bool show_defaults);
void rs_cli_show_peering_transit(struct vty *vty, const struct lyd_node *dnode,
				 bool show_defaults);
void rs_cli_show_peering_remote_gw(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults);
int rs_cli_cmp_neighbor(const struct lyd_node *a, const struct lyd_node *b);
int rs_cli_cmp_key_name(const struct lyd_node *a, const struct lyd_node *b);
int rs_cli_cmp_prefix(const struct lyd_node *a, const struct lyd_node *b);
void rs_cli_show_neighbor(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void rs_cli_show_fabric(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults);
void rs_cli_show_neighbor_route_map(struct vty *vty,
				    const struct lyd_node *dnode,
				    bool show_defaults);
int rs_cli_cmp_summary(const struct lyd_node *a, const struct lyd_node *b);
void rs_cli_show_route_map_summary(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults);

/* bgp_rs_bgp.c: the one file that reads bgpd's internal structs. */
struct bgp;
struct json_object;
struct vty;

struct thread_master;
void rs_bgp_init(struct thread_master *tm);
void rs_bgp_fini(void);
/*
 * peer's session ended (its TCP connection closed, a NOTIFICATION came)
 * and bgpd has not processed it yet: if it is an Established role
 * neighbor, the next hops only it provided are declared down now, and
 * its paths no longer count. bgp_rs_hangup.c calls it.
 */
struct peer;
void rs_bgp_session_ending(struct peer *peer);

/*
 * bgp_rs_hangup.c: sees a session end before bgpd's peer-down processing
 * (FRR 8.4 has no hook there). Watches the TCP sockets of Established
 * peers for a hang-up and NOTIFICATIONs.
 */
void rs_hangup_init(struct thread_master *tm);
void rs_hangup_fini(void);
/* VRF name used as key for a BGP instance ("default" for the default). */
const char *rs_bgp_vrf_name(struct bgp *bgp);
/* The BGP instance a vty is in ("router bgp"), NULL if none. */
struct bgp *rs_bgp_vty_bgp(struct vty *vty);
/* Local AS of the BGP instance of a VRF, 0 when there is none. */
uint32_t rs_bgp_local_as(const char *vrf);
/*
 * Can addr become a route-server neighbor with this role? 0 if so,
 * otherwise -1 and a reason for the operator.
 */
int rs_bgp_check_neighbor(const char *vrf, const char *addr,
			  enum vrs_role role, bool asn_4byte, char *reason,
			  size_t len);
/* The remote-as of bgpd's neighbor addr, 0 if none (or no neighbor). */
uint32_t rs_bgp_peer_asn(const char *vrf, const char *addr);
/* Apply the instance's settings to bgpd (route-maps, peers, statics). */
void rs_bgp_apply(struct rs_instance *rsi);
/* Undo what the module set on a neighbor / on the whole instance. */
void rs_bgp_release_neighbor(struct rs_instance *rsi, const char *addr);
void rs_bgp_release_instance(struct rs_instance *rsi);
/*
 * Role neighbors that have not yet sent their whole table since the
 * module started: no End-of-RIB yet (a neighbor that did not announce
 * graceful restart need not send one: it counts as done once it has been
 * Established for a moment). Fills up to cap addresses, returns the count.
 */
size_t rs_bgp_eor_pending(struct rs_instance *rsi, const char **addrs,
			  size_t cap);
/* "expressRouteCap": prefixes let through towards ExpressRoute. */
void rs_bgp_er_json(struct rs_instance *rsi, struct json_object *json);
/* bgpd lines the roles need: the missing instance lines (show), and
 * all of them in frr.conf form (show route-server bgp-config). */
void rs_bgp_conf_show_instance(struct rs_instance *rsi, struct vty *vty,
			       struct json_object *ji);
void rs_bgp_conf_write(struct rs_instance *rsi, struct vty *vty);
/* Free what the adapter keeps per instance (ExpressRoute adverts). */
void rs_bgp_instance_fini(struct rs_instance *rsi);
/* A BGP instance goes away: drop the adapter's side-table entry. */
void rs_bgp_forget(struct bgp *bgp);
/*
 * Peering route-maps: the outbound map bgpd's neighbor line must name
 * for a role and a user map ("" : none): VRS-RS-OUT-<ROLE>[+<MAP>].
 */
const char *rs_bgp_rmap_out_name(enum vrs_role role, const char *user,
				 char *buf, size_t len);
/* "summaries" of show route-server json: per route-map, its summaries
 * and whether each is advertised now. */
void rs_bgp_summary_json(struct rs_instance *rsi, struct json_object *json);
/* Send ROUTE-REFRESH (soft in) to every NVA of the instance. */
void rs_bgp_refresh_nvas(struct rs_instance *rsi);

/* Operational state of one neighbor (northbound). */
struct rs_nbr_state {
	const char *state;
	bool established;
	uint32_t pfx_accepted; /* bgpd's count, always filled */
	/* Only with counts (walks the neighbor's adj-RIB-in): */
	uint32_t received, accepted, dropped;
};
void rs_bgp_neighbor_state(struct rs_instance *rsi, const char *addr,
			   bool counts, struct rs_nbr_state *st);

/* Show helpers (text and JSON rendered from the same walk). */
void rs_bgp_show_neighbors(struct rs_instance *rsi, struct vty *vty,
			   struct json_object *json);
int rs_bgp_show_routes(struct rs_instance *rsi, const char *addr,
		       bool advertised, struct vty *vty,
		       struct json_object *json);
/*
 * The BGP routes the route server programs into VMs: per prefix, the
 * ECMP set chosen by the policy core (vrs_select) among the accepted
 * paths. Returns the count; *nexthops is one array shared by all routes
 * (free both with rs_bgp_vm_routes_free). track: also rebuild the
 * next-hop providers of the fast path (publishing; not for a show).
 */
size_t rs_bgp_vm_routes(struct rs_instance *rsi, bool track,
			struct vrs_bgp_route **routes,
			struct vrs_addr **nexthops);
void rs_bgp_vm_routes_free(struct vrs_bgp_route *routes,
			   struct vrs_addr *nexthops);
/*
 * The same for one prefix: true and *route (its next hops in nh, at most
 * cap) when the VMs get a BGP route for p.
 */
bool rs_bgp_vm_route(struct rs_instance *rsi, const struct vrs_prefix *p,
		     struct vrs_bgp_route *route, struct vrs_addr *nh,
		     size_t cap);
/* "nexthopProviders": next hop -> the neighbors that provide it (the
 * fast path's view; since the last full recompute). */
void rs_bgp_nhp_json(struct rs_instance *rsi, struct json_object *json);

/*
 * Views for the explain and az-shaped shows (bgp_rs_explain.c,
 * bgp_rs_az.c): plain structs filled by bgp_rs_bgp.c, so that the
 * renderers never see a bgpd struct.
 */
#define RS_VIEW_ASPATH 256

/* One route of a neighbor: learned (with the inbound verdict) or
 * advertised (as the neighbor receives it: next hop and AS path as sent). */
struct rs_route_view {
	struct vrs_prefix prefix;
	char nexthop[48];
	char as_path[RS_VIEW_ASPATH]; /* space separated, as bgpd prints it */
	uint32_t as_path_len;	      /* bgpd's count (an AS_SET counts 1) */
	char communities[160];
	uint32_t flags;		/* VRS_RT_* of the communities */
	char local_addr[48];	/* the route server's end of the session */
	char peer[48];		/* the neighbor */
	bool ebgp;		/* the neighbor is an eBGP one */
	bool accepted;		/* learned: in bgpd's table */
	const char *reason;	/* learned and dropped: why (camelCase) */
	/* The user's route-map of the direction ("": none) and what it did
	 * (vrs_rmap_verdict_name); ignored: VRS_RMAP_IGN_* */
	char rmap[VRS_RMAP_NAME_MAX + 1];
	enum vrs_rmap_verdict rmap_verdict;
	uint32_t rmap_ignored;
	/* VRS_RMAP_SUMMARIZED: the summary sent instead. */
	struct vrs_prefix rmap_summary;
};

typedef void (*rs_route_view_cb)(const struct rs_route_view *v, void *arg);

/*
 * Calls cb for every route learned from (advertised: sent to) neighbor
 * addr, in prefix order. -1 (and a message in err) when there is no
 * such neighbor.
 */
int rs_bgp_route_walk(struct rs_instance *rsi, const char *addr,
		      bool advertised, rs_route_view_cb cb, void *arg,
		      char *err, size_t errlen);
/* The route server's own session addresses (its "virtualRouterIps"):
 * distinct local addresses of the Established sessions; returns count. */
size_t rs_bgp_local_addrs(struct rs_instance *rsi, char (*out)[48],
			  size_t cap);

/* What one neighbor has to do with one prefix (explain). */
struct rs_explain_nbr {
	char addr[48];
	bool has_role;
	enum vrs_role role;
	uint32_t remote_as;
	const char *state;
	bool established;
	char unmanaged[320]; /* why the module ignores it, "" if it does not */
	uint32_t route_limit;
	uint64_t limit_teardowns;
	char last_limit[160];
	bool limit_exceeded; /* bgpd holds the session down (overflow) */
	/* inbound */
	bool received;	/* in its adj-RIB-in (sent by the neighbor) */
	bool usable;	/* accepted, valid and Established: a candidate */
	bool bgp_best;	/* bgpd's selected path (the one it advertises) */
	struct rs_route_view in;
	/* outbound */
	bool sent;	/* in what bgpd advertises to it */
	bool er_has;	/* counted by the ExpressRoute cap */
	struct rs_route_view out;
	/* The user's outbound map (out.rmap*: a dry run on bgpd's selected
	 * path); applied: bgpd's outbound line names the chained map. */
	bool rmap_out_applied;
	char rmap_out_line[160]; /* the line to add when not applied */
};

#define RS_EXPLAIN_MAX_NBRS 64

struct rs_explain {
	struct vrs_prefix prefix;
	bool has_best;		 /* bgpd has a selected path */
	enum vrs_source best_src; /* and where it came from */
	char best_peer[48];	 /* "" for the VNet's own prefix */
	uint32_t best_flags;	 /* VRS_RT_* of the selected path */
	bool best_summary;	 /* it is a route-map summary (originated) */
	uint32_t er_sent;	 /* prefixes let through towards ER */
	size_t n;
	struct rs_explain_nbr nbr[RS_EXPLAIN_MAX_NBRS];
};

/* Fill ex for prefix p (neighbors with a role first, in address order). */
void rs_bgp_explain(struct rs_instance *rsi, const struct vrs_prefix *p,
		    struct rs_explain *ex);

/* bgp_rs_explain.c: show route-server explain PREFIX [vm NAME|vnet V].
 * vm: the agent says which VNet (its fabric part is that VNet's). */
int rs_explain_show(struct rs_instance *rsi, const char *prefix,
		    const char *vm, const char *vnet, struct vty *vty,
		    struct json_object *json);

/* bgp_rs_explain.c: what a peering route-map did to a route (v->rmap*):
 * "routeMap": {"name", "direction", "verdict", "ignored": [...]} and the
 * text line; nothing when the direction has no user map. */
void rs_rmap_view_json(struct json_object *jr, const struct rs_route_view *v,
		       enum vrs_rmap_dir dir);
void rs_rmap_view_text(struct vty *vty, const struct rs_route_view *v,
		       enum vrs_rmap_dir dir, const char *indent);

/* bgp_rs_az.c: the az CLI's shapes. */
/* az network routeserver show */
void rs_az_show(struct rs_instance *rsi, struct json_object *json);
/* az network routeserver peering list-learned-routes / -advertised-routes */
int rs_az_routes(struct rs_instance *rsi, const char *addr, bool advertised,
		 struct vty *vty, struct json_object *json);
/* az network nic show-effective-route-table (one VNet's VMs) */
void rs_az_effective(const struct vrs_eff_route *eff, size_t n,
		     struct json_object *json);
/* This bgpd's instance of the route server: the fabric's instance id,
 * 0 without a fabric. */
uint32_t rs_az_instance(const struct rs_instance *rsi);
/* "RouteServiceRole_IN_<instance>" */
const char *rs_az_group(struct rs_instance *rsi, char *buf, size_t len);

#endif /* BGP_RS_H */
