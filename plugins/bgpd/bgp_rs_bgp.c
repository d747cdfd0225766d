// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: the one file that reads and drives bgpd's internal structures
 * (struct bgp, struct peer, paths, route-maps). It turns bgpd objects into
 * the plain structs of the policy core (lib/policy) and applies its
 * verdicts:
 *
 * - inbound: the module's route-map VRS-RS-IN on every route-server
 *   neighbor: a match rule asks vrs_inbound_decide() (drop with a reason),
 *   a set rule sets the weight that implements the hub routing
 *   preference in bgpd's best-path selection;
 * - outbound: VRS-RS-OUT asks vrs_outbound_decide() with the source role
 *   (the role of the path's source peer, from the module's table) and
 *   the module's own count of ExpressRoute adverts, and keeps the NVA's
 *   next hop;
 * - per-peer limit in "ars" mode: the bgp_packet_dump hook counts the
 *   prefixes of each UPDATE (vrs_wire) before bgpd processes it;
 * - the VNet address spaces are originated as the module's own statics.
 */
#include <zebra.h>

#include "jhash.h"
#include "json.h"
#include "linklist.h"
#include "prefix.h"
#include "routemap.h"
#include "sockunion.h"
#include "stream.h"
#include "thread.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_advertise.h"
#include "bgpd/bgp_aspath.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_bfd.h"
#include "bgpd/bgp_community.h"
#include "bgpd/bgp_debug.h"
#include "bgpd/bgp_ecommunity.h"
#include "bgpd/bgp_fsm.h"
#include "bgpd/bgp_lcommunity.h"
#include "bgpd/bgp_mpath.h"
#include "bgpd/bgp_nexthop.h"
#include "bgpd/bgp_packet.h"
#include "bgpd/bgp_route.h"
#include "bgpd/bgp_table.h"
#include "bgpd/bgp_updgrp.h"

#include "bgp_rs.h"

DEFINE_MTYPE_STATIC(VRS_RS, RS_BGP_TMP, "Route-server walk buffer");
DEFINE_MTYPE_STATIC(VRS_RS, RS_DENIED, "Route-server drop record");
DEFINE_MTYPE_STATIC(VRS_RS, RS_ER, "Route-server ExpressRoute adverts");
DEFINE_MTYPE_STATIC(VRS_RS, RS_BGP_SIDE, "Route-server peer/instance side table");
DEFINE_MTYPE_STATIC(VRS_RS, RS_NHP, "Route-server next-hop providers");

#define RS_WEIGHT_PREFERRED 200
#define RS_WEIGHT_OTHER 100
#define RS_MAX_ASPATH 256

static struct thread_master *rs_bgp_master;

/* Lookups --------------------------------------------------------------- */

const char *rs_bgp_vrf_name(struct bgp *bgp)
{
	if (!bgp || bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT || !bgp->name)
		return VRF_DEFAULT_NAME;
	return bgp->name;
}

struct bgp *rs_bgp_vty_bgp(struct vty *vty)
{
	return VTY_GET_CONTEXT(bgp);
}

static struct bgp *rs_bgp_lookup(const char *vrf)
{
	if (strcmp(vrf, VRF_DEFAULT_NAME) == 0)
		return bgp_get_default();
	return bgp_lookup_by_name(vrf);
}

uint32_t rs_bgp_local_as(const char *vrf)
{
	struct bgp *bgp = rs_bgp_lookup(vrf);

	return bgp ? bgp->as : 0;
}

/*
 * The address family of a route-server neighbor's routes: its session's
 * (IPv4 sessions carry ipv4 unicast, IPv6 sessions ipv6 unicast; see
 * "Dual stack" in the README). Every per-neighbor setting the module
 * checks, and every route it reads of the neighbor, is in that family.
 */
static afi_t rs_peer_afi(const struct peer *peer)
{
	return peer->su.sa.sa_family == AF_INET6 ? AFI_IP6 : AFI_IP;
}

static const char *rs_afi_name(afi_t afi)
{
	return afi == AFI_IP6 ? "ipv6" : "ipv4";
}

/* The next hop of attr as received, in the family of afi. */
static void rs_attr_nh_str(afi_t afi, const struct attr *attr, char *buf,
			   size_t len)
{
	if (afi == AFI_IP6)
		inet_ntop(AF_INET6, &attr->mp_nexthop_global, buf, len);
	else
		inet_ntop(AF_INET, &attr->nexthop, buf, len);
}

static struct peer *rs_bgp_peer(struct bgp *bgp, const char *addr)
{
	union sockunion su;

	if (!bgp || str2sockunion(addr, &su) < 0)
		return NULL;
	return peer_lookup(bgp, &su);
}

/*
 * Side tables (the bgp_bmp.c pattern): what the per-route path needs to
 * know about a bgpd peer (its route-server instance and neighbor record)
 * and about a BGP instance (its route-server instance, the role peers
 * whose accepted routes count against the total limit), keyed by the
 * struct pointer. Entries are created on the peer's first status change
 * (or first route), re-resolved once when rs_config_gen moves (a neighbor
 * or an instance was created or deleted), and freed when the peer reaches
 * Deleted / the instance is deleted. The per-route path thus does one
 * pointer-hash lookup: no address formatting, no peer_lookup() (which
 * zeroes a ~724 KB dummy peer in 8.4), no key struct to fill.
 */
PREDECL_HASH(rs_bgp_peers);
PREDECL_HASH(rs_bgp_insts);

struct rs_bgp_peer {
	struct rs_bgp_peers_item itm;
	struct peer *peer;
	uint32_t gen;
	struct rs_instance *rsi; /* NULL: the peer's instance has none */
	struct rs_neighbor *nbr; /* NULL: no role */
};

struct rs_bgp_inst {
	struct rs_bgp_insts_item itm;
	struct bgp *bgp;
	uint32_t gen, peers_gen;
	struct rs_instance *rsi;
	/* Configured peers with a role (pcount summed for the total cap). */
	struct peer **role_peers;
	size_t n_role_peers;
};

static uint32_t rs_ptr_hash(const void *ptr)
{
	uintptr_t v = (uintptr_t)ptr;

	return jhash_2words((uint32_t)v, (uint32_t)((uint64_t)v >> 32), 0x7273);
}

static int rs_bgp_peer_cmp(const struct rs_bgp_peer *a,
			   const struct rs_bgp_peer *b)
{
	return numcmp((uintptr_t)a->peer, (uintptr_t)b->peer);
}

static uint32_t rs_bgp_peer_hash(const struct rs_bgp_peer *a)
{
	return rs_ptr_hash(a->peer);
}

DECLARE_HASH(rs_bgp_peers, struct rs_bgp_peer, itm, rs_bgp_peer_cmp,
	     rs_bgp_peer_hash);

static int rs_bgp_inst_cmp(const struct rs_bgp_inst *a,
			   const struct rs_bgp_inst *b)
{
	return numcmp((uintptr_t)a->bgp, (uintptr_t)b->bgp);
}

static uint32_t rs_bgp_inst_hash(const struct rs_bgp_inst *a)
{
	return rs_ptr_hash(a->bgp);
}

DECLARE_HASH(rs_bgp_insts, struct rs_bgp_inst, itm, rs_bgp_inst_cmp,
	     rs_bgp_inst_hash);

static struct rs_bgp_peers_head rs_bgp_peers[1];
static struct rs_bgp_insts_head rs_bgp_insts[1];
/* Bumped when a peer entry comes or goes (role peer lists re-built). */
static uint32_t rs_bgp_peers_gen = 1;

static struct rs_bgp_inst *rs_bgp_inst_last;
/*
 * Answers about a BGP instance that is being deleted (after its
 * bgp_inst_delete hook) or a peer that reached Deleted are not stored:
 * the entry would outlive the object.
 */
static struct rs_bgp_inst rs_bgp_inst_tmp;
static struct rs_bgp_peer rs_bgp_peer_tmp;

static struct rs_bgp_inst *rs_bgp_inst_get(struct bgp *bgp)
{
	struct rs_bgp_inst ref = { .bgp = bgp }, *bi;

	bi = rs_bgp_inst_last;
	if (bi && bi->bgp == bgp && bi->gen == rs_config_gen)
		return bi;
	bi = rs_bgp_insts_find(rs_bgp_insts, &ref);
	if (!bi && CHECK_FLAG(bgp->flags, BGP_FLAG_DELETE_IN_PROGRESS)) {
		bi = &rs_bgp_inst_tmp;
		bi->bgp = bgp;
		bi->rsi = rs_instance_find(rs_bgp_vrf_name(bgp));
		return bi;
	}
	if (!bi) {
		bi = XCALLOC(MTYPE_RS_BGP_SIDE, sizeof(*bi));
		bi->bgp = bgp;
		rs_bgp_insts_add(rs_bgp_insts, bi);
	}
	if (bi->gen != rs_config_gen) {
		bi->rsi = rs_instance_find(rs_bgp_vrf_name(bgp));
		bi->gen = rs_config_gen;
		bi->peers_gen = 0;
	}
	rs_bgp_inst_last = bi;
	return bi;
}

/* The route-server instance of a BGP instance (NULL: none). */
static struct rs_instance *rs_bgp_rsi(struct bgp *bgp)
{
	return bgp ? rs_bgp_inst_get(bgp)->rsi : NULL;
}

void rs_bgp_forget(struct bgp *bgp)
{
	struct rs_bgp_inst ref = { .bgp = bgp }, *bi;

	bi = rs_bgp_insts_find(rs_bgp_insts, &ref);
	if (!bi)
		return;
	if (rs_bgp_inst_last == bi)
		rs_bgp_inst_last = NULL;
	rs_bgp_insts_del(rs_bgp_insts, bi);
	XFREE(MTYPE_RS_BGP_SIDE, bi->role_peers);
	XFREE(MTYPE_RS_BGP_SIDE, bi);
}

/* The entry of the last peer asked about: routes come in runs per peer. */
static struct rs_bgp_peer *rs_bgp_peer_last;

static struct rs_bgp_peer *rs_bgp_peer_entry(struct peer *peer)
{
	struct rs_bgp_peer ref = { .peer = peer }, *bp;

	bp = rs_bgp_peer_last;
	if (bp && bp->peer == peer && bp->gen == rs_config_gen)
		return bp;
	bp = rs_bgp_peers_find(rs_bgp_peers, &ref);
	if (!bp && (peer->status == Deleted ||
		    CHECK_FLAG(peer->bgp->flags, BGP_FLAG_DELETE_IN_PROGRESS))) {
		bp = &rs_bgp_peer_tmp;
		bp->peer = peer;
		bp->gen = 0;
	} else if (!bp) {
		bp = XCALLOC(MTYPE_RS_BGP_SIDE, sizeof(*bp));
		bp->peer = peer;
		rs_bgp_peers_add(rs_bgp_peers, bp);
		rs_bgp_peers_gen++;
	}
	if (bp->gen != rs_config_gen) {
		char addr[SU_ADDRSTRLEN];

		/* Once per peer and configuration change, not per route. */
		bp->rsi = rs_bgp_rsi(peer->bgp);
		bp->nbr = NULL;
		if (bp->rsi && peer->su.sa.sa_family) {
			sockunion2str(&peer->su, addr, sizeof(addr));
			bp->nbr = rs_neighbor_find(bp->rsi, addr);
		}
		bp->gen = rs_config_gen;
	}
	if (bp != &rs_bgp_peer_tmp)
		rs_bgp_peer_last = bp;
	return bp;
}

static void rs_bgp_peer_forget(struct peer *peer)
{
	struct rs_bgp_peer ref = { .peer = peer }, *bp;

	bp = rs_bgp_peers_find(rs_bgp_peers, &ref);
	if (!bp)
		return;
	if (rs_bgp_peer_last == bp)
		rs_bgp_peer_last = NULL;
	rs_bgp_peers_del(rs_bgp_peers, bp);
	XFREE(MTYPE_RS_BGP_SIDE, bp);
	rs_bgp_peers_gen++;
}

static void rs_bgp_side_fini(void)
{
	struct rs_bgp_peer *bp;
	struct rs_bgp_inst *bi;

	rs_bgp_peer_last = NULL;
	rs_bgp_inst_last = NULL;
	while ((bp = rs_bgp_peers_pop(rs_bgp_peers)))
		XFREE(MTYPE_RS_BGP_SIDE, bp);
	while ((bi = rs_bgp_insts_pop(rs_bgp_insts))) {
		XFREE(MTYPE_RS_BGP_SIDE, bi->role_peers);
		XFREE(MTYPE_RS_BGP_SIDE, bi);
	}
}

/* The route-server neighbor record of a bgpd peer, if it has a role. */
static struct rs_neighbor *rs_bgp_nbr(struct peer *peer,
				      struct rs_instance **rsip)
{
	struct rs_bgp_peer *bp;

	if (!peer || !peer->bgp || peer == peer->bgp->peer_self)
		return NULL;
	bp = rs_bgp_peer_entry(peer);
	if (!bp->nbr)
		return NULL;
	if (rsip)
		*rsip = bp->rsi;
	return bp->nbr;
}

static const char *rs_peer_state(struct peer *peer)
{
	return lookup_msg(bgp_status_msg, peer->status, NULL);
}

/* bgpd -> policy core --------------------------------------------------- */

static size_t rs_aspath_flatten(const struct aspath *asp, uint32_t *out,
				size_t cap)
{
	size_t n = 0;

	if (!asp)
		return 0;
	for (struct assegment *seg = asp->segments; seg; seg = seg->next)
		for (unsigned int i = 0; i < seg->length && n < cap; i++)
			out[n++] = seg->as[i];
	return n;
}

static size_t rs_communities(const struct attr *attr, uint32_t *out,
			     size_t cap)
{
	struct community *com = bgp_attr_get_community(attr);
	size_t n = 0;

	if (!com)
		return 0;
	for (int i = 0; i < com->size && n < cap; i++)
		out[n++] = ntohl(com->val[i]);
	return n;
}

static void rs_prefix_from(const struct prefix *p, struct vrs_prefix *out)
{
	if (p->family == AF_INET)
		vrs_prefix_set(out, VRS_AF_IPV4, (const uint8_t *)&p->u.prefix4,
			       p->prefixlen);
	else
		vrs_prefix_set(out, VRS_AF_IPV6, (const uint8_t *)&p->u.prefix6,
			       p->prefixlen);
}

static void rs_prefix_to(const struct vrs_prefix *in, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (in->addr.family == VRS_AF_IPV4) {
		p->family = AF_INET;
		memcpy(&p->u.prefix4, in->addr.bytes, 4);
	} else {
		p->family = AF_INET6;
		memcpy(&p->u.prefix6, in->addr.bytes, 16);
	}
	p->prefixlen = in->len;
}

/*
 * Accepted routes of all route-server neighbors of an instance: bgpd's
 * running per-peer counts (pcount) of the configured role peers, from a
 * list re-built only when peers or neighbors come or go.
 */
static uint32_t rs_bgp_total_accepted(struct bgp *bgp)
{
	struct rs_bgp_inst *bi = rs_bgp_inst_get(bgp);
	uint32_t total = 0;

	if (bi == &rs_bgp_inst_tmp) {
		struct listnode *node;
		struct peer *peer;

		/* An instance being deleted: walk, keep nothing. */
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer))
			if (CHECK_FLAG(peer->flags, PEER_FLAG_CONFIG_NODE) &&
			    rs_bgp_nbr(peer, NULL))
				total += peer->pcount[AFI_IP][SAFI_UNICAST] +
					 peer->pcount[AFI_IP6][SAFI_UNICAST];
		return total;
	}
	if (bi->peers_gen != rs_bgp_peers_gen) {
		struct listnode *node;
		struct peer *peer;
		size_t n = 0;

		XFREE(MTYPE_RS_BGP_SIDE, bi->role_peers);
		bi->role_peers = XCALLOC(MTYPE_RS_BGP_SIDE,
					 (listcount(bgp->peer) + 1) *
						 sizeof(*bi->role_peers));
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer))
			if (CHECK_FLAG(peer->flags, PEER_FLAG_CONFIG_NODE) &&
			    rs_bgp_nbr(peer, NULL))
				bi->role_peers[n++] = peer;
		bi->n_role_peers = n;
		bi->peers_gen = rs_bgp_peers_gen;
	}
	for (size_t i = 0; i < bi->n_role_peers; i++)
		total += bi->role_peers[i]->pcount[AFI_IP][SAFI_UNICAST] +
			 bi->role_peers[i]->pcount[AFI_IP6][SAFI_UNICAST];
	return total;
}

/* Does peer already have an accepted path for this destination? */
static bool rs_bgp_has_path(struct bgp_dest *dest, struct peer *peer)
{
	struct bgp_path_info *pi;

	if (!dest)
		return false;
	for (pi = bgp_dest_get_bgp_path_info(dest); pi; pi = pi->next)
		if (pi->peer == peer && !CHECK_FLAG(pi->flags, BGP_PATH_REMOVED))
			return true;
	return false;
}

/*
 * Drop records: why the route map refused a prefix (for learned-routes),
 * keyed by (peer, prefix) in a table that grows with its content. Only
 * dropped routes have one; an accepted route costs a look at the count.
 */
PREDECL_HASH(rs_denieds);

struct rs_denied {
	struct rs_denieds_item itm;
	struct peer *peer;
	struct prefix p;
	enum vrs_in_reason reason;
};

static int rs_denied_cmp(const struct rs_denied *a, const struct rs_denied *b)
{
	if (a->peer != b->peer)
		return numcmp((uintptr_t)a->peer, (uintptr_t)b->peer);
	return prefix_cmp(&a->p, &b->p);
}

static uint32_t rs_denied_hash(const struct rs_denied *a)
{
	return prefix_hash_key(&a->p) ^ rs_ptr_hash(a->peer);
}

DECLARE_HASH(rs_denieds, struct rs_denied, itm, rs_denied_cmp,
	     rs_denied_hash);

static struct rs_denieds_head rs_denied_tab[1];

static struct rs_denied *rs_denied_find(struct peer *peer,
					const struct prefix *p)
{
	struct rs_denied ref;

	if (!rs_denieds_count(rs_denied_tab))
		return NULL;
	ref.peer = peer;
	prefix_copy(&ref.p, p);
	return rs_denieds_find(rs_denied_tab, &ref);
}

static void rs_denied_set(struct peer *peer, const struct prefix *p,
			  enum vrs_in_reason reason)
{
	struct rs_denied *d = rs_denied_find(peer, p);

	if (!d) {
		d = XCALLOC(MTYPE_RS_DENIED, sizeof(*d));
		d->peer = peer;
		prefix_copy(&d->p, p);
		rs_denieds_add(rs_denied_tab, d);
	}
	d->reason = reason;
}

static void rs_denied_clear(struct peer *peer, const struct prefix *p)
{
	struct rs_denied *d = rs_denied_find(peer, p);

	if (d) {
		rs_denieds_del(rs_denied_tab, d);
		XFREE(MTYPE_RS_DENIED, d);
	}
}

static bool rs_denied_get(struct peer *peer, const struct prefix *p,
			  enum vrs_in_reason *reason)
{
	struct rs_denied *d = rs_denied_find(peer, p);

	if (!d)
		return false;
	*reason = d->reason;
	return true;
}

/* Forget the records of a peer (NULL: all). */
static void rs_denied_flush(struct peer *peer)
{
	struct rs_denied *d;

	frr_each_safe (rs_denieds, rs_denied_tab, d) {
		if (peer && d->peer != peer)
			continue;
		rs_denieds_del(rs_denied_tab, d);
		XFREE(MTYPE_RS_DENIED, d);
	}
}

/* Route-map rules -------------------------------------------------------- */

static int rs_rule_dummy;

static void *rs_rule_compile(const char *arg)
{
	return &rs_rule_dummy;
}

static void rs_rule_free(void *rule)
{
}

static bool rs_bgp_unmanaged(struct peer *peer, const struct rs_neighbor *nbr,
			     char *reason, size_t len);

/* match vrs-rs-drop: the policy core refuses the route. */
static enum route_map_cmd_result_t
rs_match_drop(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	struct peer *peer = path->peer;
	struct vrs_inbound_settings set;
	struct vrs_inbound_route rt = {};
	struct vrs_inbound_result res;
	struct rs_instance *rsi = NULL;
	struct rs_neighbor *nbr = rs_bgp_nbr(peer, &rsi);
	uint32_t asp[RS_MAX_ASPATH], comms[64];

	if (!nbr)
		return RMAP_NOMATCH;
	if (rs_bgp_unmanaged(peer, nbr, NULL, 0)) {
		rs_denied_clear(peer, prefix);
		return RMAP_MATCH;
	}
	vrs_inbound_settings_init(&set);
	set.local_asn = RS_LOCAL_AS;
	set.total_cap = rsi->total_limit;
	set.ipv6 = rsi->ipv6;
	rt.role = nbr->role;
	rs_prefix_from(prefix, &rt.prefix);
	rt.as_path = asp;
	rt.as_path_len = rs_aspath_flatten(path->attr->aspath, asp,
					   array_size(asp));
	rt.communities = comms;
	rt.n_communities = rs_communities(path->attr, comms, array_size(comms));
	rt.replaces_accepted = rs_bgp_has_path(path->net, peer);
	if (vrs_inbound_decide(&set, rs_bgp_total_accepted(peer->bgp), &rt,
			       &res)) {
		rs_denied_clear(peer, prefix);
		return RMAP_NOMATCH;
	}
	rs_denied_set(peer, prefix, res.reason);
	return RMAP_MATCH;
}

static const struct route_map_rule_cmd rs_match_drop_cmd = {
	"vrs-rs-drop", rs_match_drop, rs_rule_compile, rs_rule_free,
};

/*
 * bgpd advertises one best path per prefix. With branch-to-branch off,
 * gateway routes go to no NVA, so NVA paths must win bgpd's selection or
 * an NVA route would reach no other NVA when a gateway has the same
 * prefix. What VMs get is chosen separately (vrs_select, hub preference).
 */
static uint32_t rs_weight(enum vrs_hub_pref pref, enum vrs_role role,
			  bool branch_to_branch)
{
	bool er = role == VRS_ROLE_EXPRESSROUTE_GW;

	if (!branch_to_branch)
		return role == VRS_ROLE_NVA ? RS_WEIGHT_PREFERRED
					    : RS_WEIGHT_OTHER;

	switch (pref) {
	case VRS_HUB_PREF_EXPRESSROUTE:
		return er ? RS_WEIGHT_PREFERRED : RS_WEIGHT_OTHER;
	case VRS_HUB_PREF_VPN_GATEWAY:
		return er ? RS_WEIGHT_OTHER : RS_WEIGHT_PREFERRED;
	case VRS_HUB_PREF_AS_PATH:
	case VRS_HUB_PREF_COUNT:
		break;
	}
	return RS_WEIGHT_OTHER;
}

/* set vrs-rs-ingress: remember the source role, apply the preference. */
static enum route_map_cmd_result_t
rs_set_ingress(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	struct rs_instance *rsi = NULL;
	struct rs_neighbor *nbr = rs_bgp_nbr(path->peer, &rsi);

	if (!nbr)
		return RMAP_OKAY;
	path->attr->weight = rs_weight(rsi->hub_pref, nbr->role,
				       rsi->branch_to_branch);
	return RMAP_OKAY;
}

static const struct route_map_rule_cmd rs_set_ingress_cmd = {
	"vrs-rs-ingress", rs_set_ingress, rs_rule_compile, rs_rule_free,
};

/*
 * Where did a route that is about to be advertised come from? In an
 * outbound route-map bgpd hands a copy of the path whose peer is the
 * *receiving* peer (prep_for_rmap_apply); the source is the peer of the
 * destination's selected path (the one being announced: no addpath on a
 * route server), whose role is in the module's own table. No attribute of
 * the route carries module state (it would reach zebra or peers).
 */
static enum vrs_source rs_route_source(const struct bgp_path_info *path)
{
	struct bgp_path_info *pi;
	struct rs_neighbor *nbr = NULL;

	for (pi = path->net ? bgp_dest_get_bgp_path_info(path->net) : NULL; pi;
	     pi = pi->next)
		if (CHECK_FLAG(pi->flags, BGP_PATH_SELECTED)) {
			nbr = rs_bgp_nbr(pi->peer, NULL);
			break;
		}
	if (nbr)
		return vrs_source_from_role(nbr->role);
	if (path->type == ZEBRA_ROUTE_BGP && path->sub_type == BGP_ROUTE_STATIC)
		return VRS_SRC_VNET;
	/* Learned from a neighbor without a role: treat like an NVA. */
	return VRS_SRC_NVA;
}

/*
 * Outbound route-maps run once per update group with a configuration copy
 * of the peer (no address), so the destination role comes from the map:
 * one map per role (VRS-RS-OUT-NVA/-ER/-VPN), which also keeps the roles
 * in separate update groups.
 */
static void *rs_rule_compile_role(const char *arg)
{
	static enum vrs_role roles[VRS_ROLE_COUNT];
	enum vrs_role role;

	if (vrs_role_from_string(arg, &role, NULL, 0))
		return NULL;
	roles[role] = role;
	return &roles[role];
}

/*
 * The ExpressRoute cap counts what the module itself let through towards
 * the ExpressRoute gateways of an instance: one set of prefixes, added to
 * when the outbound map admits a prefix, removed from when it withholds
 * one, and pruned of prefixes whose advertisement bgpd withdrew. bgpd's
 * update-group counters cannot serve: a full walk (soft out, route
 * refresh, the route-map delay timer) resets pscount while the routes
 * stay advertised, and withheld prefixes would slip through.
 */
PREDECL_HASH(rs_er_pfxs);

struct rs_er_pfx {
	struct rs_er_pfxs_item itm;
	struct prefix p;
};

static int rs_er_pfx_cmp(const struct rs_er_pfx *a, const struct rs_er_pfx *b)
{
	return prefix_cmp(&a->p, &b->p);
}

static uint32_t rs_er_pfx_hash(const struct rs_er_pfx *a)
{
	return prefix_hash_key(&a->p);
}

DECLARE_HASH(rs_er_pfxs, struct rs_er_pfx, itm, rs_er_pfx_cmp, rs_er_pfx_hash);

struct rs_er_adverts {
	struct rs_er_pfxs_head pfxs[1];
	/* Prefixes were held back by the cap: look for freed room. */
	bool withheld;
	uint64_t evaluations;	/* outbound decisions towards ER */
	uint64_t withheld_total; /* of which held back by the cap */
	int64_t last_prune_ms;
	struct thread *t_recheck;
	char vrf[37];
};

/* How often a capped instance looks for room freed by withdrawals. */
#define RS_ER_RECHECK_MS 1000

static int64_t rs_bgp_now_ms(void)
{
	struct timeval tv;

	monotime(&tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct rs_er_adverts *rs_er_get(struct rs_instance *rsi)
{
	if (!rsi->er) {
		rsi->er = XCALLOC(MTYPE_RS_ER, sizeof(*rsi->er));
		rs_er_pfxs_init(rsi->er->pfxs);
		strlcpy(rsi->er->vrf, rsi->vrf, sizeof(rsi->er->vrf));
	}
	return rsi->er;
}

static void rs_nhp_free(struct rs_instance *rsi);

void rs_bgp_instance_fini(struct rs_instance *rsi)
{
	struct rs_er_adverts *er = rsi->er;
	struct rs_er_pfx *e;

	rs_nhp_free(rsi);
	if (!er)
		return;
	THREAD_OFF(er->t_recheck);
	while ((e = rs_er_pfxs_pop(er->pfxs)))
		XFREE(MTYPE_RS_ER, e);
	rs_er_pfxs_fini(er->pfxs);
	XFREE(MTYPE_RS_ER, rsi->er);
}

static bool rs_er_has(struct rs_er_adverts *er, const struct prefix *p)
{
	struct rs_er_pfx ref = {};

	prefix_copy(&ref.p, p);
	return rs_er_pfxs_find(er->pfxs, &ref) != NULL;
}

static void rs_er_set(struct rs_er_adverts *er, const struct prefix *p,
		      bool sent)
{
	struct rs_er_pfx ref = {}, *e;

	prefix_copy(&ref.p, p);
	e = rs_er_pfxs_find(er->pfxs, &ref);
	if (sent && !e) {
		e = XCALLOC(MTYPE_RS_ER, sizeof(*e));
		prefix_copy(&e->p, p);
		rs_er_pfxs_add(er->pfxs, e);
	} else if (!sent && e) {
		rs_er_pfxs_del(er->pfxs, e);
		XFREE(MTYPE_RS_ER, e);
	}
}

/* Is the update group of adj one of the ExpressRoute ones? */
static bool rs_adj_is_er(const struct bgp_adj_out *adj, afi_t afi)
{
	const struct peer *conf;
	const char *map;

	if (!adj->subgroup || !adj->subgroup->update_group)
		return false;
	conf = adj->subgroup->update_group->conf;
	map = conf ? conf->filter[afi][SAFI_UNICAST].map[RMAP_OUT].name : NULL;
	/* VRS-RS-OUT-ER, or chained with a user map: VRS-RS-OUT-ER+NAME */
	return map && strncmp(map, RS_RMAP_OUT "-ER", strlen(RS_RMAP_OUT "-ER")) == 0 &&
	       (map[strlen(RS_RMAP_OUT "-ER")] == '\0' ||
		map[strlen(RS_RMAP_OUT "-ER")] == '+');
}

/* Is p advertised (or about to be) to an ExpressRoute gateway? */
static bool rs_er_in_adj_out(struct bgp *bgp, const struct prefix *p)
{
	afi_t afi = family2afi(p->family);
	struct bgp_dest *dest;
	struct bgp_adj_out *adj;
	bool found = false;

	if (afi != AFI_IP && afi != AFI_IP6)
		return false;
	dest = bgp_node_lookup(bgp->rib[afi][SAFI_UNICAST], p);
	if (!dest)
		return false;
	RB_FOREACH (adj, bgp_adj_out_rb, &dest->adj_out)
		if ((adj->attr || adj->adv) && rs_adj_is_er(adj, afi)) {
			found = true;
			break;
		}
	bgp_dest_unlock_node(dest);
	return found;
}

/* Forget prefixes bgpd no longer advertises to ExpressRoute; true if any. */
static bool rs_er_prune(struct bgp *bgp, struct rs_er_adverts *er)
{
	struct rs_er_pfx *e;
	bool freed = false;

	er->last_prune_ms = rs_bgp_now_ms();
	frr_each_safe (rs_er_pfxs, er->pfxs, e)
		if (!rs_er_in_adj_out(bgp, &e->p)) {
			rs_er_pfxs_del(er->pfxs, e);
			XFREE(MTYPE_RS_ER, e);
			freed = true;
		}
	return freed;
}

static void rs_er_recheck(struct thread *t);

void rs_bgp_er_json(struct rs_instance *rsi, struct json_object *json)
{
	struct json_object *je = json_object_new_object();
	struct vrs_outbound_settings set;

	vrs_outbound_settings_init(&set);
	/* Withdrawals are not evaluated by the outbound map: forget what
	 * bgpd no longer advertises before counting (O(count), on demand). */
	if (rsi->er) {
		struct bgp *bgp = rs_bgp_lookup(rsi->er->vrf);

		if (bgp)
			rs_er_prune(bgp, rsi->er);
	}
	json_object_int_add(je, "cap", set.er_cap);
	json_object_boolean_add(je, "active", rsi->branch_to_branch);
	json_object_int_add(je, "advertised",
			    rsi->er ? rs_er_pfxs_count(rsi->er->pfxs) : 0);
	json_object_int_add(je, "withheld",
			    rsi->er ? rsi->er->withheld_total : 0);
	json_object_int_add(je, "evaluations",
			    rsi->er ? rsi->er->evaluations : 0);
	json_object_object_add(json, "expressRouteCap", je);
}

static void rs_er_schedule_recheck(struct rs_er_adverts *er)
{
	if (!er->t_recheck)
		thread_add_timer_msec(rs_bgp_master, rs_er_recheck, er,
				      RS_ER_RECHECK_MS, &er->t_recheck);
}

/*
 * While prefixes are held back by the cap, look once a second whether
 * withdrawals made room; if so, let bgpd walk the ExpressRoute update
 * groups again (soft out), which admits withheld prefixes up to the cap.
 */
static void rs_er_recheck(struct thread *t)
{
	struct rs_er_adverts *er = THREAD_ARG(t);
	struct bgp *bgp = rs_bgp_lookup(er->vrf);

	if (!bgp || !er->withheld)
		return;
	if (!rs_er_prune(bgp, er)) {
		rs_er_schedule_recheck(er);
		return;
	}
	er->withheld = false;
	for (struct listnode *node = listhead(bgp->peer); node;
	     node = listnextnode(node)) {
		struct peer *peer = listgetdata(node);
		struct rs_neighbor *nbr = rs_bgp_nbr(peer, NULL);

		if (nbr && nbr->role == VRS_ROLE_EXPRESSROUTE_GW &&
		    peer_established(peer))
			peer_clear_soft(peer, rs_peer_afi(peer), SAFI_UNICAST,
					BGP_CLEAR_SOFT_OUT);
	}
}

static bool rs_outbound(const enum vrs_role *dst,
			struct bgp_path_info *path,
			struct vrs_outbound_result *res, enum vrs_source *srcp)
{
	struct peer *peer = path->peer;
	struct rs_instance *rsi;
	struct rs_er_adverts *er = NULL;
	struct vrs_outbound_settings set;
	struct vrs_outbound_query q = {};
	const struct prefix *p;
	uint32_t comms[64];
	size_t nc;

	if (!dst || !peer || !peer->bgp || !path->net)
		return false;
	rsi = rs_bgp_rsi(peer->bgp);
	if (!rsi)
		return false;
	p = bgp_dest_get_prefix(path->net);
	vrs_outbound_settings_init(&set);
	set.branch_to_branch = rsi->branch_to_branch;
	q.src = rs_route_source(path);
	nc = rs_communities(path->attr, comms, array_size(comms));
	q.flags = vrs_inbound_community_flags(comms, nc);
	q.dst = *dst;
	if (q.dst == VRS_ROLE_EXPRESSROUTE_GW) {
		er = rs_er_get(rsi);
		q.dst_has_route = rs_er_has(er, p);
		q.dst_sent = rs_er_pfxs_count(er->pfxs);
		/* At the cap: first forget what bgpd has withdrawn since. */
		if (!q.dst_has_route && set.er_cap && set.branch_to_branch &&
		    q.dst_sent >= set.er_cap &&
		    rs_bgp_now_ms() - er->last_prune_ms >= RS_ER_RECHECK_MS &&
		    rs_er_prune(peer->bgp, er))
			q.dst_sent = rs_er_pfxs_count(er->pfxs);
	}
	vrs_outbound_decide(&set, &q, res);
	*srcp = q.src;
	if (er) {
		rs_er_set(er, p, res->advertise);
		er->evaluations++;
		if (res->reason == VRS_OUT_ER_CAP) {
			er->withheld_total++;
			er->withheld = true;
			rs_er_schedule_recheck(er);
		}
	}
	return true;
}

/*
 * The outbound map asks the same question twice per route and update
 * group: its deny entry (vrs-rs-withhold) and, when that lets the route
 * through, its permit entry (vrs-rs-egress) in the same route_map_apply()
 * on the same path copy. The match leaves its answer here for the set,
 * which takes it (and clears it) if the key is the same. Not for the
 * ExpressRoute role, whose evaluations are counted per rule call.
 */
static struct {
	const struct bgp_path_info *path;
	const struct bgp_dest *dest;
	const struct attr *attr;
	enum vrs_role dst;
	struct vrs_outbound_result res;
	enum vrs_source src;
} rs_out_memo;

/* match vrs-rs-withhold ROLE: the policy core keeps the route from the peer. */
static enum route_map_cmd_result_t
rs_match_withhold(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	const enum vrs_role *dst = rule;
	struct vrs_outbound_result res;
	enum vrs_source src;

	rs_out_memo.path = NULL;
	if (!rs_outbound(dst, path, &res, &src))
		return RMAP_NOMATCH;
	if (res.advertise && *dst != VRS_ROLE_EXPRESSROUTE_GW) {
		rs_out_memo.path = path;
		rs_out_memo.dest = path->net;
		rs_out_memo.attr = path->attr;
		rs_out_memo.dst = *dst;
		rs_out_memo.res = res;
		rs_out_memo.src = src;
	}
	return res.advertise ? RMAP_NOMATCH : RMAP_MATCH;
}

static const struct route_map_rule_cmd rs_match_withhold_cmd = {
	"vrs-rs-withhold", rs_match_withhold, rs_rule_compile_role,
	rs_rule_free,
};

/* set vrs-rs-egress ROLE: keep the learned next hop where the contract says. */
static enum route_map_cmd_result_t
rs_set_egress(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	const enum vrs_role *dst = rule;
	struct vrs_outbound_result res;
	enum vrs_source src = VRS_SRC_NVA;
	bool known;

	if (dst && rs_out_memo.path == path && rs_out_memo.dest == path->net &&
	    rs_out_memo.attr == path->attr && rs_out_memo.dst == *dst) {
		res = rs_out_memo.res;
		src = rs_out_memo.src;
		known = true;
	} else
		known = rs_outbound(dst, path, &res, &src);
	rs_out_memo.path = NULL;
	if (known && res.nexthop == VRS_NH_UNCHANGED && src != VRS_SRC_VNET)
		SET_FLAG(path->attr->rmap_change_flags,
			 BATTR_RMAP_NEXTHOP_UNCHANGED);
	return RMAP_OKAY;
}

static const struct route_map_rule_cmd rs_set_egress_cmd = {
	"vrs-rs-egress", rs_set_egress, rs_rule_compile_role, rs_rule_free,
};

static const char *rs_rmap_out(enum vrs_role role)
{
	switch (role) {
	case VRS_ROLE_EXPRESSROUTE_GW:
		return RS_RMAP_OUT "-ER";
	case VRS_ROLE_VPN_GW:
		return RS_RMAP_OUT "-VPN";
	case VRS_ROLE_NVA:
	case VRS_ROLE_COUNT:
		break;
	}
	return RS_RMAP_OUT "-NVA";
}

static void rs_bgp_build_route_maps(void)
{
	struct route_map *map;
	struct route_map_index *idx;

	map = route_map_get(RS_RMAP_IN);
	idx = route_map_index_get(map, RMAP_DENY, 10);
	route_map_add_match(idx, "vrs-rs-drop", "", RMAP_EVENT_MATCH_ADDED);
	/* Peering route-maps: the neighbor's own inbound map, after the
	 * contract (see "Peering route-maps" below). */
	idx = route_map_index_get(map, RMAP_DENY, 15);
	route_map_add_match(idx, "vrs-rs-user-in", "", RMAP_EVENT_MATCH_ADDED);
	idx = route_map_index_get(map, RMAP_PERMIT, 20);
	route_map_add_set(idx, "vrs-rs-ingress", "");

	for (enum vrs_role r = 0; r < VRS_ROLE_COUNT; r++) {
		map = route_map_get(rs_rmap_out(r));
		/* No route-map summary goes to a neighbor without its map. */
		idx = route_map_index_get(map, RMAP_DENY, 5);
		route_map_add_match(idx, "vrs-rs-summary", "",
				    RMAP_EVENT_MATCH_ADDED);
		idx = route_map_index_get(map, RMAP_DENY, 10);
		route_map_add_match(idx, "vrs-rs-withhold", vrs_role_name(r),
				    RMAP_EVENT_MATCH_ADDED);
		idx = route_map_index_get(map, RMAP_PERMIT, 20);
		route_map_add_set(idx, "vrs-rs-egress", vrs_role_name(r));
	}
}

/* Peering route-maps (issue 15, part 3) --------------------------------------
 *
 * A user's route-map per route-server neighbor and direction
 * ("route-server neighbor A route-map NAME in|out"), chained after the
 * module's own policy:
 *
 *   VRS-RS-IN                 deny 10    match vrs-rs-drop      (contract)
 *                             deny 15    match vrs-rs-user-in   (the user's)
 *                             permit 20  set vrs-rs-ingress
 *   VRS-RS-OUT-<ROLE>+<NAME>  deny 10    match vrs-rs-withhold ROLE
 *                             deny 15    match vrs-rs-user-out NAME
 *                             permit 20  set vrs-rs-egress ROLE
 *
 * Inbound maps run per peer, so VRS-RS-IN serves every neighbor and finds
 * the neighbor's map in the module's table. Outbound maps run once per
 * update group, and bgpd groups peers by the name of their outbound map:
 * a neighbor with an outbound user map needs its own chained map name in
 * bgpd's line ("neighbor A route-map VRS-RS-OUT-NVA+NAME out", listed by
 * show route-server until it is there). The chained maps are created
 * when a neighbor references NAME and kept until bgpd exits, so that a
 * line naming one never turns into bgpd's "missing map denies all".
 *
 * The user's map runs through bgpd's public route-map API
 * (route_map_lookup_by_name, route_map_apply_ext) on a copy of the
 * route's attributes; only the AS path and the communities are taken
 * back (Azure's actions), the AS path only if every ASN the map added is
 * a 2-byte one (vrs_rmap_as_path_ok). Any other change (next hop, MED,
 * local preference, weight, origin, large or extended communities) is
 * ignored and reported. A map that does not exist denies, as in bgpd.
 * The VNet address space the route server advertises is never handed to
 * an outbound map. bgpd re-runs the chained maps when a user map changes:
 * each chained map (and VRS-RS-IN) registers a dependency on the user
 * map, as a "call" would (route_map_upd8_dependency).
 *
 * The one workaround: a route-map set rule cannot deny, so the deny-15
 * match rules both decide and, on permit, write the taken attributes into
 * the route being evaluated (the object a set rule would write).
 */
DEFINE_MTYPE_STATIC(VRS_RS, RS_RMAP, "Route-server peering route-map");

const char *rs_bgp_rmap_out_name(enum vrs_role role, const char *user,
				 char *buf, size_t len)
{
	if (!user || !user[0])
		return rs_rmap_out(role);
	snprintf(buf, len, "%s+%s", rs_rmap_out(role), user);
	return buf;
}

/* What a user's map did to one route. */
struct rs_user_outcome {
	enum vrs_rmap_verdict verdict;
	uint32_t ignored;	/* VRS_RMAP_IGN_* */
	uint32_t bad_asn;	/* with VRS_RMAP_IGN_AS_PATH */
};

/* Own a copy of what a user's set may modify in place or free. */
static void rs_user_scratch(struct attr *scratch, const struct attr *orig)
{
	struct community *c = bgp_attr_get_community(orig);
	struct lcommunity *lc = bgp_attr_get_lcommunity(orig);
	struct ecommunity *ec = bgp_attr_get_ecommunity(orig);

	*scratch = *orig;
	if (orig->aspath && !orig->aspath->refcnt)
		scratch->aspath = aspath_dup(orig->aspath);
	if (c && !c->refcnt)
		bgp_attr_set_community(scratch, community_dup(c));
	if (lc && !lc->refcnt)
		bgp_attr_set_lcommunity(scratch, lcommunity_dup(lc));
	if (ec && !ec->refcnt)
		bgp_attr_set_ecommunity(scratch, ecommunity_dup(ec));
}

/* Free what the scratch copy holds that orig does not. */
static void rs_user_scratch_free(struct attr *scratch, const struct attr *orig)
{
	struct community *c = bgp_attr_get_community(scratch);
	struct lcommunity *lc = bgp_attr_get_lcommunity(scratch);
	struct ecommunity *ec = bgp_attr_get_ecommunity(scratch);

	if (scratch->aspath && scratch->aspath != orig->aspath &&
	    !scratch->aspath->refcnt)
		aspath_free(scratch->aspath);
	if (c && c != bgp_attr_get_community(orig) && !c->refcnt)
		community_free(&c);
	if (lc && lc != bgp_attr_get_lcommunity(orig) && !lc->refcnt)
		lcommunity_free(&lc);
	if (ec && ec != bgp_attr_get_ecommunity(orig) && !ec->refcnt)
		ecommunity_free(&ec);
}

static bool rs_comm_same(const struct community *a, const struct community *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	return community_cmp(a, b);
}

/*
 * Run the user's map `name` on path (prefix p). commit: write the taken
 * AS path and communities into path->attr (a route being evaluated by a
 * route-map); otherwise a dry run for the shows.
 */
static void rs_user_apply(const char *name, const struct prefix *p,
			  struct bgp_path_info *path, bool commit,
			  struct rs_user_outcome *o)
{
	struct route_map *map = route_map_lookup_by_name(name);
	struct attr *orig = path->attr, scratch;
	struct bgp_path_info tmp;
	struct community *oc, *sc;
	uint32_t oa[RS_MAX_ASPATH], sa[RS_MAX_ASPATH];
	size_t no, ns;
	bool asp_changed, comm_changed;

	memset(o, 0, sizeof(*o));
	if (!map) {
		o->verdict = VRS_RMAP_NOT_DEFINED;
		return;
	}
	rs_user_scratch(&scratch, orig);
	tmp = *path;
	tmp.attr = &scratch;
	if (route_map_apply_ext(map, p, &tmp, &tmp, NULL) == RMAP_DENYMATCH) {
		rs_user_scratch_free(&scratch, orig);
		o->verdict = VRS_RMAP_DENIED;
		return;
	}
	asp_changed = scratch.aspath != orig->aspath &&
		      !(scratch.aspath && orig->aspath &&
			aspath_cmp(scratch.aspath, orig->aspath));
	if (asp_changed) {
		no = rs_aspath_flatten(orig->aspath, oa, array_size(oa));
		ns = rs_aspath_flatten(scratch.aspath, sa, array_size(sa));
		if (!vrs_rmap_as_path_ok(oa, no, sa, ns, &o->bad_asn)) {
			o->ignored |= VRS_RMAP_IGN_AS_PATH;
			asp_changed = false;
		}
	}
	oc = bgp_attr_get_community(orig);
	sc = bgp_attr_get_community(&scratch);
	comm_changed = !rs_comm_same(oc, sc);
	if (scratch.nexthop.s_addr != orig->nexthop.s_addr ||
	    memcmp(&scratch.mp_nexthop_global, &orig->mp_nexthop_global,
		   sizeof(scratch.mp_nexthop_global)) ||
	    scratch.med != orig->med || scratch.local_pref != orig->local_pref ||
	    scratch.weight != orig->weight || scratch.origin != orig->origin ||
	    bgp_attr_get_lcommunity(&scratch) != bgp_attr_get_lcommunity(orig) ||
	    bgp_attr_get_ecommunity(&scratch) != bgp_attr_get_ecommunity(orig))
		o->ignored |= VRS_RMAP_IGN_OTHER;
	o->verdict = asp_changed || comm_changed ? VRS_RMAP_MODIFIED
						 : VRS_RMAP_PERMITTED;
	if (commit && asp_changed) {
		struct aspath *old = orig->aspath;

		orig->aspath = scratch.aspath;
		scratch.aspath = old; /* freed below if it was not interned */
		if (old && !old->refcnt) {
			aspath_free(old);
			scratch.aspath = orig->aspath;
		}
	}
	if (commit && comm_changed) {
		bgp_attr_set_community(orig, sc);
		bgp_attr_set_community(&scratch, oc);
		if (oc && !oc->refcnt) {
			community_free(&oc);
			bgp_attr_set_community(&scratch, sc);
		}
	}
	rs_user_scratch_free(&scratch, orig);
}

static bool rs_user_denies(const struct rs_user_outcome *o)
{
	return o->verdict == VRS_RMAP_DENIED ||
	       o->verdict == VRS_RMAP_NOT_DEFINED;
}

/* Summaries of peering route-maps (below). */
struct rs_route_view;
static bool rs_summary_dry_out(struct rs_instance *rsi, const char *name,
			       struct bgp_dest *dest, struct bgp_path_info *pi,
			       struct rs_user_outcome *o,
			       struct rs_route_view *v);
static bool rs_summary_path(const struct rs_instance *rsi,
			    const struct vrs_prefix *p,
			    const struct bgp_path_info *path);

/* Is p a prefix the route server originates (its VNet and spokes)? */
static bool rs_is_vnet_space(const struct rs_instance *rsi,
			     const struct prefix *p)
{
	struct vrs_prefix vp;

	rs_prefix_from(p, &vp);
	for (size_t i = 0; i < rsi->n_originated; i++)
		if (vrs_prefix_cmp(&rsi->originated[i], &vp) == 0)
			return true;
	return false;
}

/* match vrs-rs-user-in: the neighbor's map denies (else: its changes). */
static enum route_map_cmd_result_t
rs_match_user_in(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	struct rs_neighbor *nbr = rs_bgp_nbr(path->peer, NULL);
	struct rs_user_outcome o;

	if (!nbr || !nbr->rmap[VRS_RMAP_IN][0])
		return RMAP_NOMATCH;
	rs_user_apply(nbr->rmap[VRS_RMAP_IN], prefix, path, true, &o);
	if (!rs_user_denies(&o))
		return RMAP_NOMATCH;
	rs_denied_set(path->peer, prefix, VRS_IN_ROUTE_MAP);
	return RMAP_MATCH;
}

static const struct route_map_rule_cmd rs_match_user_in_cmd = {
	"vrs-rs-user-in", rs_match_user_in, rs_rule_compile, rs_rule_free,
};

static void *rs_rule_compile_name(const char *arg)
{
	return XSTRDUP(MTYPE_RS_RMAP, arg);
}

static void rs_rule_free_name(void *rule)
{
	XFREE(MTYPE_RS_RMAP, rule);
}

/* match vrs-rs-user-out NAME: the user's map withholds (else: changes). */
static enum route_map_cmd_result_t
rs_match_user_out(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	struct rs_instance *rsi = path->peer && path->peer->bgp
					  ? rs_bgp_rsi(path->peer->bgp)
					  : NULL;
	struct rs_user_outcome o;

	/* The VNet address space is never changed nor withheld, nor is a
	 * summary (vrs-rs-summary let only this map's through). */
	if (!rsi || rs_is_vnet_space(rsi, prefix))
		return RMAP_NOMATCH;
	if (rsi->n_summary_live) {
		struct vrs_prefix vp;

		rs_prefix_from(prefix, &vp);
		if (rs_summary_path(rsi, &vp, path))
			return RMAP_NOMATCH;
	}
	rs_user_apply(rule, prefix, path, true, &o);
	return rs_user_denies(&o) ? RMAP_MATCH : RMAP_NOMATCH;
}

static const struct route_map_rule_cmd rs_match_user_out_cmd = {
	"vrs-rs-user-out", rs_match_user_out, rs_rule_compile_name,
	rs_rule_free_name,
};

/* The chained outbound map of role + user map, created once. */
static void rs_user_out_map(enum vrs_role r, const char *user)
{
	char name[128];
	struct route_map *map;
	struct route_map_index *idx;

	rs_bgp_rmap_out_name(r, user, name, sizeof(name));
	if (route_map_lookup_by_name(name))
		return;
	map = route_map_get(name);
	/* Summaries of the user's map (and of no other). */
	idx = route_map_index_get(map, RMAP_DENY, 5);
	route_map_add_match(idx, "vrs-rs-summary", user,
			    RMAP_EVENT_MATCH_ADDED);
	idx = route_map_index_get(map, RMAP_DENY, 10);
	route_map_add_match(idx, "vrs-rs-withhold", vrs_role_name(r),
			    RMAP_EVENT_MATCH_ADDED);
	idx = route_map_index_get(map, RMAP_DENY, 15);
	/* CALL_ADDED: bgpd re-runs this map when the user's map changes. */
	route_map_add_match(idx, "vrs-rs-user-out", user,
			    RMAP_EVENT_CALL_ADDED);
	idx = route_map_index_get(map, RMAP_PERMIT, 20);
	route_map_add_set(idx, "vrs-rs-egress", vrs_role_name(r));
}

/*
 * VRS-RS-IN depends on every user inbound map in use: bgpd re-runs it
 * (soft in) when one of them changes. The names registered so far.
 */
struct rs_user_dep {
	char name[VRS_RMAP_NAME_MAX + 1];
	bool wanted;
};

static struct rs_user_dep *rs_user_deps;
static size_t rs_n_user_deps;

static void rs_user_dep_want(const char *name)
{
	for (size_t i = 0; i < rs_n_user_deps; i++)
		if (strcmp(rs_user_deps[i].name, name) == 0) {
			rs_user_deps[i].wanted = true;
			return;
		}
	rs_user_deps = XREALLOC(MTYPE_RS_RMAP, rs_user_deps,
				(rs_n_user_deps + 1) * sizeof(*rs_user_deps));
	strlcpy(rs_user_deps[rs_n_user_deps].name, name,
		sizeof(rs_user_deps[0].name));
	rs_user_deps[rs_n_user_deps++].wanted = true;
	route_map_upd8_dependency(RMAP_EVENT_CALL_ADDED, name, RS_RMAP_IN);
}

static void rs_user_maps_walk(struct rs_instance *rsi, void *arg)
{
	struct rs_neighbor *nbr;

	frr_each (rs_neighbors, rsi->neighbors, nbr) {
		if (nbr->rmap[VRS_RMAP_IN][0])
			rs_user_dep_want(nbr->rmap[VRS_RMAP_IN]);
		if (nbr->rmap[VRS_RMAP_OUT][0])
			rs_user_out_map(nbr->role, nbr->rmap[VRS_RMAP_OUT]);
	}
}

/* Settings changed: register what the neighbors' maps need. */
static void rs_user_maps_sync(void)
{
	size_t j = 0;

	for (size_t i = 0; i < rs_n_user_deps; i++)
		rs_user_deps[i].wanted = false;
	rs_instance_walk(rs_user_maps_walk, NULL);
	for (size_t i = 0; i < rs_n_user_deps; i++) {
		if (!rs_user_deps[i].wanted) {
			route_map_upd8_dependency(RMAP_EVENT_CALL_DELETED,
						  rs_user_deps[i].name,
						  RS_RMAP_IN);
			continue;
		}
		rs_user_deps[j++] = rs_user_deps[i];
	}
	rs_n_user_deps = j;
}

static void rs_user_maps_fini(void)
{
	XFREE(MTYPE_RS_RMAP, rs_user_deps);
	rs_n_user_deps = 0;
}

/* The outbound map bgpd's line of peer names, and its user part. */
static const char *rs_peer_out_map(const struct peer *peer)
{
	return peer->filter[rs_peer_afi(peer)][SAFI_UNICAST].map[RMAP_OUT].name;
}

static const char *rs_peer_out_user(const struct peer *peer)
{
	const char *m = rs_peer_out_map(peer);
	const char *plus = m && strncmp(m, RS_RMAP_OUT "-", strlen(RS_RMAP_OUT) + 1) == 0
				   ? strchr(m, '+')
				   : NULL;

	return plus ? plus + 1 : NULL;
}

/*
 * Dry runs for the shows: what the user's map of nbr does to a route.
 * in: on what the neighbor sent (attr), after the module's own inbound
 * rules (reason: the module's drop, if any). out: on bgpd's selected path
 * (pi) as the chained map sees it.
 */
static void rs_user_view(struct rs_route_view *v, const char *name,
			 const struct rs_user_outcome *o)
{
	strlcpy(v->rmap, name, sizeof(v->rmap));
	v->rmap_verdict = o->verdict;
	v->rmap_ignored = o->ignored;
}

static void rs_user_dry_in(struct rs_neighbor *nbr, struct peer *peer,
			   struct bgp_dest *dest, const struct attr *attr,
			   struct rs_route_view *v)
{
	struct rs_user_outcome o = {};
	struct bgp_path_info tmp = {};
	struct attr copy;

	if (!nbr || !nbr->rmap[VRS_RMAP_IN][0] || !attr)
		return;
	if (!v->accepted && v->reason &&
	    strcmp(v->reason, vrs_in_reason_name(VRS_IN_ROUTE_MAP)) != 0) {
		o.verdict = VRS_RMAP_NOT_REACHED;
	} else {
		copy = *attr;
		tmp.peer = peer;
		tmp.net = dest;
		tmp.attr = &copy;
		tmp.type = ZEBRA_ROUTE_BGP;
		tmp.sub_type = BGP_ROUTE_NORMAL;
		rs_user_apply(nbr->rmap[VRS_RMAP_IN], bgp_dest_get_prefix(dest),
			      &tmp, false, &o);
	}
	rs_user_view(v, nbr->rmap[VRS_RMAP_IN], &o);
}

static void rs_user_dry_out(struct rs_instance *rsi, struct rs_neighbor *nbr,
			    struct peer *peer, struct bgp_dest *dest,
			    struct rs_route_view *v)
{
	struct rs_user_outcome o = {};
	struct bgp_path_info *pi, tmp;
	const struct prefix *p = bgp_dest_get_prefix(dest);
	struct attr copy;

	if (!nbr || !nbr->rmap[VRS_RMAP_OUT][0])
		return;
	for (pi = bgp_dest_get_bgp_path_info(dest); pi; pi = pi->next)
		if (CHECK_FLAG(pi->flags, BGP_PATH_SELECTED))
			break;
	if (rs_is_vnet_space(rsi, p)) {
		o.verdict = VRS_RMAP_EXEMPT;
	} else if (rs_summary_dry_out(rsi, nbr->rmap[VRS_RMAP_OUT], dest, pi,
				      &o, v)) {
		/* a summary of the map, or a route it replaces */
	} else if (pi) {
		tmp = *pi;
		copy = *pi->attr;
		tmp.attr = &copy;
		tmp.peer = peer;
		rs_user_apply(nbr->rmap[VRS_RMAP_OUT], p, &tmp, false, &o);
	} else
		o.verdict = VRS_RMAP_NOT_REACHED;
	rs_user_view(v, nbr->rmap[VRS_RMAP_OUT], &o);
}

/* Summaries of peering route-maps (Azure's summarize) ----------------------
 *
 * "route-server route-map NAME summarize S": a neighbor whose outbound
 * map is NAME (bgpd's line VRS-RS-OUT-<ROLE>+NAME, its own update group)
 * gets S instead of the routes strictly inside S. The rules (which
 * prefixes, when S is live) are vrs_summary's; here:
 *
 *  - S is originated like the VNet spaces (a static of the module: next
 *    hop the route server, AS path 65515, no communities) while it is
 *    live: a role neighbor has a usable route strictly inside S and none
 *    for S itself. Liveness is recomputed by a walk of bgpd's table below
 *    S, scheduled when a role neighbor's route inside a summary changes
 *    or a role neighbor's session comes or goes, never per route.
 *  - deny 5 "match vrs-rs-summary" of every outbound map: in the role
 *    maps (argument "") it withholds the originated summaries from every
 *    neighbor; in a chained map of NAME it withholds the summaries of
 *    other maps and the routes strictly inside a summary of NAME, and
 *    lets NAME's summaries through (the user's map is not applied to
 *    them, as to the VNet space). The specifics are withheld whether the
 *    summary is live or not (without a role neighbor's route inside it
 *    there is nothing to withhold but other neighbors' routes), so a
 *    change of liveness needs no soft reconfiguration.
 *  - The VMs never get S: their routes are read from role neighbors'
 *    paths only (rs_bgp_dest_nexthops).
 */
/*
 * The module's own statics (the VNet spaces, live summaries): withdraw
 * what have[] holds and want[] does not, originate want[] (all of it
 * with refresh, else only what is new), then have[] = want[]. A module
 * static is valid without an IGP route for it, so bgpd's import check
 * (which would hide it) is off around bgp_static_update and put back:
 * the one write into struct bgp, isolated here (8.4 has no per-static
 * import-check setting).
 */
static void rs_statics_sync(struct bgp *bgp, struct vrs_prefix *have,
			    size_t *n_have, const struct vrs_prefix *want,
			    size_t n_want, bool refresh)
{
	struct bgp_static st = { .label_index = BGP_INVALID_LABEL_INDEX };
	bool import_check;
	struct prefix p;

	for (size_t i = 0; i < *n_have; i++) {
		bool keep = false;

		for (size_t j = 0; j < n_want && !keep; j++)
			keep = vrs_prefix_cmp(&have[i], &want[j]) == 0;
		if (keep)
			continue;
		rs_prefix_to(&have[i], &p);
		bgp_static_withdraw(bgp, &p, family2afi(p.family),
				    SAFI_UNICAST);
	}
	import_check = CHECK_FLAG(bgp->flags, BGP_FLAG_IMPORT_CHECK);
	UNSET_FLAG(bgp->flags, BGP_FLAG_IMPORT_CHECK);
	for (size_t j = 0; j < n_want; j++) {
		bool had = false;

		for (size_t i = 0; i < *n_have && !refresh && !had; i++)
			had = vrs_prefix_cmp(&have[i], &want[j]) == 0;
		if (had)
			continue;
		rs_prefix_to(&want[j], &p);
		bgp_static_update(bgp, &p, &st, family2afi(p.family),
				  SAFI_UNICAST);
	}
	if (import_check)
		SET_FLAG(bgp->flags, BGP_FLAG_IMPORT_CHECK);
	if (n_want)
		memcpy(have, want, n_want * sizeof(*want));
	*n_have = n_want;
}

static void rs_summary_run(struct thread *t);
static struct thread *rs_summary_t;

/* A summary of map name (NULL: of any map) equal to p. */
static const struct rs_summary *rs_summary_of(const struct rs_instance *rsi,
					      const char *name,
					      const struct vrs_prefix *p)
{
	for (size_t i = 0; i < rsi->n_summaries; i++)
		if ((!name || strcmp(rsi->summaries[i].rmap, name) == 0) &&
		    vrs_prefix_cmp(&rsi->summaries[i].prefix, p) == 0)
			return &rsi->summaries[i];
	return NULL;
}

/* The summary of map name that replaces route p (p strictly inside). */
static const struct rs_summary *
rs_summary_covering(const struct rs_instance *rsi, const char *name,
		    const struct vrs_prefix *p)
{
	for (size_t i = 0; i < rsi->n_summaries; i++)
		if (strcmp(rsi->summaries[i].rmap, name) == 0 &&
		    vrs_summary_covers(&rsi->summaries[i].prefix, p))
			return &rsi->summaries[i];
	return NULL;
}

static bool rs_summary_is_live(const struct rs_instance *rsi,
			       const struct vrs_prefix *p)
{
	for (size_t i = 0; i < rsi->n_summary_live; i++)
		if (vrs_prefix_cmp(&rsi->summary_live[i], p) == 0)
			return true;
	return false;
}

/* Is path (bgpd's selected one, or its outbound copy) the module's own
 * origination of a live summary? */
static bool rs_summary_path(const struct rs_instance *rsi,
			    const struct vrs_prefix *p,
			    const struct bgp_path_info *path)
{
	return path->type == ZEBRA_ROUTE_BGP &&
	       path->sub_type == BGP_ROUTE_STATIC &&
	       rs_summary_is_live(rsi, p);
}

/* match vrs-rs-summary NAME|"": see above. */
static enum route_map_cmd_result_t
rs_match_summary(void *rule, const struct prefix *prefix, void *object)
{
	struct bgp_path_info *path = object;
	struct rs_instance *rsi = path->peer && path->peer->bgp
					  ? rs_bgp_rsi(path->peer->bgp)
					  : NULL;
	const char *name = rule;
	struct vrs_prefix vp;

	if (!rsi || !rsi->n_summaries)
		return RMAP_NOMATCH;
	rs_prefix_from(prefix, &vp);
	if (rs_summary_path(rsi, &vp, path))
		return name[0] && rs_summary_of(rsi, name, &vp) ? RMAP_NOMATCH
								: RMAP_MATCH;
	return name[0] && rs_summary_covering(rsi, name, &vp) ? RMAP_MATCH
							      : RMAP_NOMATCH;
}

static const struct route_map_rule_cmd rs_match_summary_cmd = {
	"vrs-rs-summary", rs_match_summary, rs_rule_compile_name,
	rs_rule_free_name,
};

/* Usable routes of role neighbors below s: strictly inside, and for s. */
static bool rs_summary_walk(struct rs_instance *rsi, struct bgp *bgp,
			    const struct vrs_prefix *s)
{
	struct bgp_dest *top, *dest;
	struct prefix p;
	size_t inside = 0;
	bool exact = false;

	rs_prefix_to(s, &p);
	if (p.family != AF_INET && p.family != AF_INET6)
		return false;
	top = bgp_node_get(bgp->rib[family2afi(p.family)][SAFI_UNICAST], &p);
	bgp_dest_lock_node(top); /* the walk's own reference */
	for (dest = top; dest; dest = bgp_route_next_until(dest, top)) {
		for (struct bgp_path_info *pi = bgp_dest_get_bgp_path_info(dest);
		     pi; pi = pi->next) {
			struct rs_neighbor *nbr = rs_bgp_nbr(pi->peer, NULL);

			if (!nbr || !CHECK_FLAG(pi->flags, BGP_PATH_VALID) ||
			    CHECK_FLAG(pi->flags, BGP_PATH_REMOVED) ||
			    pi->peer->status != Established ||
			    nbr->session_ending)
				continue;
			if (dest == top)
				exact = true;
			else
				inside++;
			break;
		}
		/* s itself comes first: past it, one route decides. */
		if (inside) {
			bgp_dest_unlock_node(dest);
			break;
		}
	}
	bgp_dest_unlock_node(top);
	return vrs_summary_live(inside, exact);
}

/* Originate the live summaries of rsi, withdraw the others. */
static void rs_summary_sync(struct rs_instance *rsi, struct bgp *bgp)
{
	struct vrs_prefix want[RS_MAX_SUMMARIES];
	size_t n_want = 0;

	rsi->summary_dirty = false;
	for (size_t i = 0; i < rsi->n_summaries; i++) {
		const struct vrs_prefix *s = &rsi->summaries[i].prefix;
		bool dup = false;

		for (size_t j = 0; j < n_want && !dup; j++)
			dup = vrs_prefix_cmp(&want[j], s) == 0;
		if (!dup && rs_summary_walk(rsi, bgp, s))
			want[n_want++] = *s;
	}
	rs_statics_sync(bgp, rsi->summary_live, &rsi->n_summary_live, want,
			n_want, false);
}

static void rs_summary_run_one(struct rs_instance *rsi, void *arg)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);

	if (rsi->summary_dirty && bgp && bgp->as == RS_LOCAL_AS)
		rs_summary_sync(rsi, bgp);
}

static void rs_summary_run(struct thread *t)
{
	rs_instance_walk(rs_summary_run_one, NULL);
}

static void rs_summary_schedule(struct rs_instance *rsi)
{
	if (!rsi->n_summaries && !rsi->n_summary_live)
		return;
	rsi->summary_dirty = true;
	thread_add_event(rs_bgp_master, rs_summary_run, NULL, 0,
			 &rs_summary_t);
}

/* A role neighbor's route p changed: does a summary's liveness depend
 * on it (p inside or equal to a summary)? */
static void rs_summary_route_changed(struct rs_instance *rsi,
				     const struct vrs_prefix *p)
{
	for (size_t i = 0; i < rsi->n_summaries; i++)
		if (vrs_prefix_contains(&rsi->summaries[i].prefix, p)) {
			rs_summary_schedule(rsi);
			return;
		}
}

/* The outbound dry run's summary verdicts (map name of the neighbor). */
static bool rs_summary_dry_out(struct rs_instance *rsi, const char *name,
			       struct bgp_dest *dest, struct bgp_path_info *pi,
			       struct rs_user_outcome *o, struct rs_route_view *v)
{
	const struct rs_summary *su;
	struct vrs_prefix vp;

	rs_prefix_from(bgp_dest_get_prefix(dest), &vp);
	if (pi && rs_summary_path(rsi, &vp, pi) &&
	    rs_summary_of(rsi, name, &vp)) {
		o->verdict = VRS_RMAP_SUMMARY;
		return true;
	}
	su = rs_summary_covering(rsi, name, &vp);
	if (!su)
		return false;
	o->verdict = VRS_RMAP_SUMMARIZED;
	v->rmap_summary = su->prefix;
	return true;
}

void rs_bgp_summary_json(struct rs_instance *rsi, struct json_object *json)
{
	json_object *js = json_object_new_object();

	for (size_t i = 0; i < rsi->n_summaries; i++) {
		const struct rs_summary *su = &rsi->summaries[i];
		json_object *jm = json_object_object_get(js, su->rmap);
		json_object *je = json_object_new_object();
		char buf[VRS_PREFIX_STRLEN];

		if (!jm) {
			jm = json_object_new_array();
			json_object_object_add(js, su->rmap, jm);
		}
		json_object_string_add(je, "prefix",
				       vrs_prefix_str(&su->prefix, buf,
						      sizeof(buf)));
		json_object_boolean_add(je, "advertised",
					rs_summary_is_live(rsi, &su->prefix));
		json_object_array_add(jm, je);
	}
	json_object_object_add(json, "summaries", js);
}

/*
 * A learned route inside summaries: for which neighbors (those whose
 * bgpd line applies a map with a summary covering p) and into which
 * summary. JSON "summarized": {"neighbor": "summary"}, or text lines.
 */
static void rs_summary_learned(struct rs_instance *rsi, struct bgp *bgp,
			       const struct prefix *p, json_object *jr,
			       struct vty *vty)
{
	json_object *js = NULL;
	struct rs_neighbor *nbr;
	struct vrs_prefix vp;
	bool any = false;

	rs_prefix_from(p, &vp);
	for (size_t i = 0; i < rsi->n_summaries && !any; i++)
		any = vrs_summary_covers(&rsi->summaries[i].prefix, &vp);
	if (!any)
		return;
	frr_each (rs_neighbors, rsi->neighbors, nbr) {
		const struct rs_summary *su;
		struct peer *peer;
		const char *u;
		char buf[VRS_PREFIX_STRLEN];

		if (!nbr->rmap[VRS_RMAP_OUT][0])
			continue;
		su = rs_summary_covering(rsi, nbr->rmap[VRS_RMAP_OUT], &vp);
		peer = su ? rs_bgp_peer(bgp, nbr->addr) : NULL;
		u = peer ? rs_peer_out_user(peer) : NULL;
		if (!u || strcmp(u, nbr->rmap[VRS_RMAP_OUT]) != 0)
			continue;
		vrs_prefix_str(&su->prefix, buf, sizeof(buf));
		if (!jr) {
			vty_out(vty, "    summarized into %s for neighbor %s\n",
				buf, nbr->addr);
			continue;
		}
		if (!js) {
			js = json_object_new_object();
			json_object_object_add(jr, "summarized", js);
		}
		json_object_string_add(js, nbr->addr, buf);
	}
}

/* VM routes ----------------------------------------------------------------
 *
 * What the VMs get for a prefix is decided by the policy core (vrs_select,
 * hub routing preference) among the usable paths of role neighbors; bgpd's
 * own best path (weights, SELECTED/MULTIPATH flags) is not read. A path is
 * usable when it is in the Loc-RIB (accepted: not REMOVED), VALID and its
 * session Established: flags and attributes bgpd sets while it processes
 * the UPDATE, before the bgp_process hook's caller returns. So a dest can
 * be read at any later turn of the event loop, also while bgpd's best-path
 * work queue still holds it (BGP_NODE_PROCESS_SCHEDULED).
 */

/* Tables whose routes the VMs get (and whose dirty prefixes are kept). */
static bool rs_vm_afi(afi_t afi, safi_t safi)
{
	return (afi == AFI_IP || afi == AFI_IP6) && safi == SAFI_UNICAST;
}

/*
 * The next hop the VMs get from a path: IPv4 unicast's NEXT_HOP, IPv6
 * unicast's global MP_REACH next hop (a path with only a link-local one,
 * or an IPv4-mapped one, has no next hop a VM in another subnet can use).
 */
static bool rs_path_nexthop(afi_t afi, const struct attr *attr,
			    struct vrs_addr *out)
{
	const struct in6_addr *g = &attr->mp_nexthop_global;

	if (afi == AFI_IP) {
		*out = vrs_addr_ipv4(ntohl(attr->nexthop.s_addr));
		return true;
	}
	if (afi != AFI_IP6 || attr->mp_nexthop_len < IPV6_MAX_BYTELEN ||
	    IN6_IS_ADDR_UNSPECIFIED(g) || IN6_IS_ADDR_LINKLOCAL(g) ||
	    IN6_IS_ADDR_V4MAPPED(g))
		return false;
	memset(out, 0, sizeof(*out));
	out->family = VRS_AF_IPV6;
	memcpy(out->bytes, g, IPV6_MAX_BYTELEN);
	return true;
}

/*
 * Next hop -> the peers that provide a usable path through it (the
 * fast path of a session loss: a next hop only the lost neighbor provided
 * is down at once). Rebuilt by every full walk, only added to by the
 * per-prefix reads in between, and forgotten peer by peer when bgpd
 * deletes a peer. So the recorded providers always include the current
 * ones: a next hop another Established peer provides is never declared
 * down. A stale entry (the peer stopped using that next hop since the
 * last full walk) can declare down a next hop nobody uses any more: true
 * ("every path through it is gone") and a no-op for the agent.
 */
#define RS_NHP_PEERS 8

PREDECL_HASH(rs_nhps);

struct rs_nhp {
	struct rs_nhps_item itm;
	struct vrs_addr nh;
	uint8_t n;
	bool many; /* more providers than fit: never declared down */
	struct peer *peers[RS_NHP_PEERS];
};

static int rs_nhp_cmp(const struct rs_nhp *a, const struct rs_nhp *b)
{
	return vrs_addr_cmp(&a->nh, &b->nh);
}

static uint32_t rs_nhp_hash(const struct rs_nhp *a)
{
	return jhash(&a->nh, sizeof(a->nh), 0x6e68);
}

DECLARE_HASH(rs_nhps, struct rs_nhp, itm, rs_nhp_cmp, rs_nhp_hash);

struct rs_nh_providers {
	struct rs_nhps_head tab[1];
};

static void rs_nhp_clear(struct rs_nh_providers *np)
{
	struct rs_nhp *e;

	while ((e = rs_nhps_pop(np->tab)))
		XFREE(MTYPE_RS_NHP, e);
}

static struct rs_nh_providers *rs_nhp_get(struct rs_instance *rsi)
{
	if (!rsi->nhp) {
		rsi->nhp = XCALLOC(MTYPE_RS_NHP, sizeof(*rsi->nhp));
		rs_nhps_init(rsi->nhp->tab);
	}
	return rsi->nhp;
}

static void rs_nhp_free(struct rs_instance *rsi)
{
	if (!rsi->nhp)
		return;
	rs_nhp_clear(rsi->nhp);
	rs_nhps_fini(rsi->nhp->tab);
	XFREE(MTYPE_RS_NHP, rsi->nhp);
}

static void rs_nhp_add(struct rs_nh_providers *np, const struct vrs_addr *nh,
		       struct peer *peer)
{
	struct rs_nhp ref, *e;

	memset(&ref, 0, sizeof(ref));
	ref.nh = *nh;
	e = rs_nhps_find(np->tab, &ref);
	if (!e) {
		e = XCALLOC(MTYPE_RS_NHP, sizeof(*e));
		e->nh = *nh;
		rs_nhps_add(np->tab, e);
	}
	for (size_t i = 0; i < e->n; i++)
		if (e->peers[i] == peer)
			return;
	if (e->n < RS_NHP_PEERS)
		e->peers[e->n++] = peer;
	else
		e->many = true;
}

static void rs_nhp_forget_peer(struct rs_instance *rsi, void *arg)
{
	struct peer *peer = arg;
	struct rs_nhp *e;

	if (!rsi->nhp)
		return;
	frr_each (rs_nhps, rsi->nhp->tab, e)
		for (size_t i = 0; i < e->n; i++)
			if (e->peers[i] == peer) {
				e->peers[i] = e->peers[--e->n];
				break;
			}
}

/*
 * Next hops that peer (which just left Established) provided and no other
 * Established peer does (one whose end is seen but not yet processed by
 * bgpd does not count): every path through them is gone. Returns the
 * count, stores up to cap.
 */
static size_t rs_nhp_lost(struct rs_instance *rsi, struct peer *peer,
			  struct vrs_addr *out, size_t cap)
{
	struct rs_nhp *e;
	size_t n = 0;

	if (!rsi->nhp)
		return 0;
	frr_each (rs_nhps, rsi->nhp->tab, e) {
		bool mine = false, other = e->many;

		for (size_t i = 0; i < e->n; i++) {
			struct rs_neighbor *nbr;

			if (e->peers[i] == peer) {
				mine = true;
			} else if (e->peers[i]->status == Established) {
				nbr = rs_bgp_nbr(e->peers[i], NULL);
				other |= !nbr || !nbr->session_ending;
			}
		}
		if (!mine || other)
			continue;
		if (n < cap)
			out[n] = e->nh;
		n++;
	}
	return n;
}

void rs_bgp_nhp_json(struct rs_instance *rsi, struct json_object *json)
{
	struct json_object *jn = json_object_new_object();
	struct rs_nhp *e;

	if (rsi->nhp)
		frr_each (rs_nhps, rsi->nhp->tab, e) {
			struct json_object *ja = json_object_new_array();
			char a[VRS_ADDR_STRLEN];

			for (size_t i = 0; i < e->n; i++)
				json_object_array_add(
					ja, json_object_new_string(
						    e->peers[i]->host));
			if (e->many)
				json_object_array_add(
					ja, json_object_new_string("..."));
			json_object_object_add(
				jn, vrs_addr_str(&e->nh, a, sizeof(a)), ja);
		}
	json_object_object_add(json, "nexthopProviders", jn);
}

/*
 * The ECMP set the VMs get for one dest: the next hops of the paths
 * vrs_select picks among the usable paths of role neighbors. Returns how
 * many were written to nh (0: the VMs get no BGP route). np: record the
 * provider of every usable path.
 */
static size_t rs_bgp_dest_nexthops(struct rs_instance *rsi, afi_t afi,
				   struct bgp_dest *dest, struct vrs_addr *nh,
				   size_t cap, struct rs_nh_providers *np)
{
	struct vrs_candidate cand[16];
	struct vrs_addr cnh[16];
	size_t nc = 0, sel[16], ns, n = 0;

	for (struct bgp_path_info *pi = bgp_dest_get_bgp_path_info(dest);
	     pi && nc < array_size(cand); pi = pi->next) {
		struct rs_neighbor *nbr = rs_bgp_nbr(pi->peer, NULL);

		/* A session that just went down no longer counts, even
		 * before bgpd has flushed its paths (or seen the end). */
		if (!nbr || !CHECK_FLAG(pi->flags, BGP_PATH_VALID) ||
		    CHECK_FLAG(pi->flags, BGP_PATH_REMOVED) ||
		    pi->peer->status != Established || nbr->session_ending ||
		    !rs_path_nexthop(afi, pi->attr, &cnh[nc]))
			continue;
		cand[nc].role = nbr->role;
		cand[nc].as_path_len = aspath_count_hops(pi->attr->aspath);
		cand[nc].med = pi->attr->med;
		cand[nc].peer_id = nc;
		if (np)
			rs_nhp_add(np, &cnh[nc], pi->peer);
		nc++;
	}
	if (!nc)
		return 0;
	ns = vrs_select(rsi->hub_pref, cand, nc, sel, array_size(sel));
	for (size_t i = 0; i < ns && i < array_size(sel) && n < cap; i++)
		nh[n++] = cnh[sel[i]];
	return n;
}

size_t rs_bgp_vm_routes(struct rs_instance *rsi, bool track,
			struct vrs_bgp_route **routes,
			struct vrs_addr **nexthops)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct rs_nh_providers *np = NULL;
	struct bgp_dest *dest;
	size_t n = 0, cap = 0, nh_used = 0, nh_cap = 0;
	struct vrs_bgp_route *out = NULL;
	struct vrs_addr *nhs = NULL;

	*routes = NULL;
	*nexthops = NULL;
	if (track) {
		np = rs_nhp_get(rsi);
		rs_nhp_clear(np);
	}
	if (!bgp)
		return 0;
	for (afi_t afi = AFI_IP; afi < AFI_MAX; afi++) {
		if (!rs_vm_afi(afi, SAFI_UNICAST))
			continue;
		for (dest = bgp_table_top(bgp->rib[afi][SAFI_UNICAST]); dest;
		     dest = bgp_route_next(dest)) {
			struct vrs_addr sel[16];
			size_t ns;

			ns = rs_bgp_dest_nexthops(rsi, afi, dest, sel,
						  array_size(sel), np);
			if (!ns)
				continue;
			if (n == cap) {
				struct vrs_bgp_route *grow;

				cap = cap ? cap * 2 : 64;
				grow = XCALLOC(MTYPE_RS_BGP_TMP,
					       cap * sizeof(*grow));
				if (out)
					memcpy(grow, out, n * sizeof(*grow));
				XFREE(MTYPE_RS_BGP_TMP, out);
				out = grow;
			}
			if (nh_used + ns > nh_cap) {
				struct vrs_addr *grow;

				nh_cap = (nh_cap ? nh_cap * 2 : 128) + ns;
				grow = XCALLOC(MTYPE_RS_BGP_TMP,
					       nh_cap * sizeof(*grow));
				if (nhs)
					memcpy(grow, nhs,
					       nh_used * sizeof(*grow));
				XFREE(MTYPE_RS_BGP_TMP, nhs);
				nhs = grow;
			}
			rs_prefix_from(bgp_dest_get_prefix(dest),
				       &out[n].prefix);
			/* Store offsets first: nhs may move while growing. */
			out[n].nexthops =
				(const struct vrs_addr *)(uintptr_t)nh_used;
			out[n].n_nexthops = ns;
			memcpy(&nhs[nh_used], sel, ns * sizeof(*sel));
			nh_used += ns;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++)
		out[i].nexthops = nhs + (uintptr_t)out[i].nexthops;
	*routes = out;
	*nexthops = nhs;
	return n;
}

bool rs_bgp_vm_route(struct rs_instance *rsi, const struct vrs_prefix *p,
		     struct vrs_bgp_route *route, struct vrs_addr *nh,
		     size_t cap)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	afi_t afi = p->addr.family == VRS_AF_IPV4 ? AFI_IP : AFI_IP6;
	struct bgp_dest *dest;
	struct prefix bp;
	size_t ns = 0;

	if (!bgp || !rs_vm_afi(afi, SAFI_UNICAST))
		return false;
	rs_prefix_to(p, &bp);
	dest = bgp_node_lookup(bgp->rib[afi][SAFI_UNICAST], &bp);
	if (!dest)
		return false;
	ns = rs_bgp_dest_nexthops(rsi, afi, dest, nh, cap, rsi->nhp);
	bgp_dest_unlock_node(dest);
	if (!ns)
		return false;
	route->prefix = *p;
	route->nexthops = nh;
	route->n_nexthops = ns;
	return true;
}

/* Per-peer limit in "ars" mode ------------------------------------------- */

static void rs_bgp_teardown_cb(struct thread *t)
{
	struct peer *peer = THREAD_ARG(t);

	if (peer->status == Established) {
		SET_FLAG(peer->sflags, PEER_STATUS_PREFIX_OVERFLOW);
		bgp_notify_send(peer, BGP_NOTIFY_CEASE,
				BGP_NOTIFY_CEASE_MAX_PREFIX);
	}
	peer_unlock(peer);
}

static int rs_bgp_packet(struct peer *peer, uint8_t type, bgp_size_t size,
			 struct stream *s)
{
	struct rs_instance *rsi = NULL;
	struct rs_neighbor *nbr;
	struct vrs_update_counts cnt;
	struct vrs_limit_update upd = {};
	struct vrs_limit_verdict v;
	char reason[128];
	uint32_t limit;

	if (type != BGP_MSG_UPDATE || size < BGP_HEADER_SIZE)
		return 0;
	nbr = rs_bgp_nbr(peer, &rsi);
	if (!nbr || rsi->limit_mode != VRS_LIMIT_ARS)
		return 0;
	if (vrs_wire_update_counts(STREAM_DATA(s) + stream_get_getp(s),
				   size - BGP_HEADER_SIZE, &cnt, reason,
				   sizeof(reason)))
		return 0; /* bgpd rejects malformed UPDATEs itself */
	limit = rs_neighbor_limit(rsi, nbr);
	upd.current = peer->pcount[AFI_IP][SAFI_UNICAST] +
		      peer->pcount[AFI_IP6][SAFI_UNICAST];
	upd.current = upd.current > cnt.withdrawn ? upd.current - cnt.withdrawn
						  : 0;
	upd.announced = cnt.announced;
	upd.new_prefixes = cnt.announced;
	v = vrs_limit_check(VRS_LIMIT_ARS, limit, &upd);
	if (!v.teardown)
		return 0;
	nbr->cnt.limit_teardowns++;
	nbr->cnt.last_limit_count = v.counted;
	snprintf(nbr->cnt.last_limit_reason, sizeof(nbr->cnt.last_limit_reason),
		 "%u routes learned + %u in one UPDATE = %" PRIu64
		 " > limit %u (ars count)",
		 upd.current, upd.announced, v.counted, limit);
	zlog_warn("bgpd_rs: neighbor %s: route limit exceeded: %s; closing the session (clear bgp %s to restart it)",
		  peer->host, nbr->cnt.last_limit_reason, peer->host);
	/* Not from inside packet processing: on the next event loop turn. */
	peer_lock(peer);
	thread_add_event(rs_bgp_master, rs_bgp_teardown_cb, peer, 0, NULL);
	return 0;
}

/* The next hops only peer provided go to the agent (the fast path). */
static void rs_bgp_nexthops_lost(struct rs_instance *rsi, struct peer *peer,
				 enum rs_down_seen how)
{
	struct vrs_addr lost[64];
	size_t n = rs_nhp_lost(rsi, peer, lost, array_size(lost));

	if (n > array_size(lost))
		n = array_size(lost);
	rs_neighbor_down(rsi, peer->host, lost, n, how);
}

void rs_bgp_session_ending(struct peer *peer)
{
	struct rs_instance *rsi = NULL;
	struct rs_neighbor *nbr = rs_bgp_nbr(peer, &rsi);

	if (!nbr || !rsi || peer->status != Established ||
	    nbr->session_ending)
		return;
	nbr->session_ending = true;
	rs_bgp_nexthops_lost(rsi, peer, RS_DOWN_EARLY);
}

static int rs_bgp_peer_status(struct peer *peer)
{
	struct rs_instance *rsi = NULL;
	struct rs_neighbor *nbr = rs_bgp_nbr(peer, &rsi);
	bool role = nbr != NULL;
	bool was_up = peer->ostatus == Established;
	bool up = peer->status == Established;

	/*
	 * Fast path: a role neighbor leaves Established. The next hops only
	 * it provided go to the agent at once, before the recompute that
	 * follows (which withdraws or replaces its routes). Usually they
	 * went already (rs_bgp_session_ending, before bgpd's clearing,
	 * which walks the whole table before this hook runs): this adds
	 * what that did not see.
	 */
	if (role && was_up && !up && rsi)
		rs_bgp_nexthops_lost(rsi, peer,
				     nbr->session_ending
					     ? RS_DOWN_HOOK_AFTER_EARLY
					     : RS_DOWN_HOOK);
	if (role && up)
		nbr->session_ending = false;
	if (peer->status == Deleted) {
		rs_denied_flush(peer);
		rs_instance_walk(rs_nhp_forget_peer, peer);
		rs_bgp_peer_forget(peer);
	}
	/*
	 * What the VMs get changes only when a session enters or leaves
	 * Established (paths of other peers are not used): the reconnect
	 * attempts to an absent neighbor (Connect <-> Active, every connect
	 * retry) recompute nothing.
	 */
	if (role && (up != was_up || peer->status == Deleted)) {
		rs_schedule_full(rsi, "neighbor");
		rs_summary_schedule(rsi);
	}
	return 0;
}

/*
 * A route of a route-server neighbor changed (adj-RIB-in, before bgpd's
 * best path): the VMs' entry for this prefix is recomputed at the next
 * publish (bgp_rs.c keeps the dirty prefixes; past a bound it recomputes
 * everything instead).
 */
static int rs_bgp_process(struct bgp *bgp, afi_t afi, safi_t safi,
			  struct bgp_dest *bn, struct peer *peer, bool withdraw)
{
	struct rs_instance *rsi = NULL;
	struct vrs_prefix p;

	if (!rs_vm_afi(afi, safi) || !rs_bgp_nbr(peer, &rsi) || !rsi)
		return 0;
	rs_prefix_from(bgp_dest_get_prefix(bn), &p);
	rs_publish_prefix(rsi, &p);
	rs_summary_route_changed(rsi, &p);
	return 0;
}

/* Applying the settings ------------------------------------------------- */

uint32_t rs_bgp_peer_asn(const char *vrf, const char *addr)
{
	struct peer *peer = rs_bgp_peer(rs_bgp_lookup(vrf), addr);

	return peer && peer->as_type != AS_UNSPECIFIED ? peer->as : 0;
}

/* allowas-in in either family: a route server never takes its own AS. */
static bool rs_peer_allowas_in(const struct peer *peer)
{
	for (afi_t afi = AFI_IP; afi <= AFI_IP6; afi++)
		if (CHECK_FLAG(peer->af_flags[afi][SAFI_UNICAST],
			       PEER_FLAG_ALLOWAS_IN) ||
		    CHECK_FLAG(peer->af_flags[afi][SAFI_UNICAST],
			       PEER_FLAG_ALLOWAS_IN_ORIGIN))
			return true;
	return false;
}

int rs_bgp_check_neighbor(const char *vrf, const char *addr,
			  enum vrs_role role, bool asn_4byte, char *reason,
			  size_t len)
{
	struct bgp *bgp = rs_bgp_lookup(vrf);
	struct peer *peer = rs_bgp_peer(bgp, addr);

	if (!peer) {
		snprintf(reason, len,
			 "neighbor %s is not configured; add 'neighbor %s remote-as ASN' first",
			 addr, addr);
		return -1;
	}
	if (peer->as_type == AS_UNSPECIFIED) {
		snprintf(reason, len, "neighbor %s has no remote-as yet", addr);
		return -1;
	}
	if (vrs_asn_check_opt(peer->as, role, asn_4byte, reason, len) !=
	    VRS_ASN_OK)
		return -1;
	if (rs_peer_allowas_in(peer)) {
		snprintf(reason, len,
			 "neighbor %s has allowas-in: a route server never accepts routes carrying its own AS %u; remove 'neighbor %s allowas-in' first",
			 addr, RS_LOCAL_AS, addr);
		return -1;
	}
	/* The profile's neighbor count is a whole-instance northbound rule. */
	return 0;
}

/*
 * bgpd's own config of a neighbor with a role changed after the role was
 * given (remote-as, allowas-in are not northbound-backed in 8.4): the
 * neighbor is no longer managed. Its routes are all dropped inbound
 * (counted as "notManaged"), so a 12076 or allowas-in peer never feeds the
 * route server; its session and what it is sent are left as they are.
 */
static bool rs_bgp_unmanaged(struct peer *peer, const struct rs_neighbor *nbr,
			     char *reason, size_t len)
{
	struct rs_instance *rsi = NULL;
	char why[280];

	if (!peer || !nbr)
		return false;
	if (peer->as_type == AS_UNSPECIFIED) {
		snprintf(reason, len, "neighbor has no remote-as");
		return true;
	}
	rs_bgp_nbr(peer, &rsi);
	if (vrs_asn_check_opt(peer->as, nbr->role, rsi && rsi->asn_4byte, why,
			      sizeof(why)) != VRS_ASN_OK) {
		snprintf(reason, len, "remote-as %u no longer fits role %s: %s",
			 peer->as, vrs_role_name(nbr->role), why);
		return true;
	}
	if (rs_peer_allowas_in(peer)) {
		snprintf(reason, len,
			 "allowas-in is set: a route server never accepts routes carrying its own AS %u; remove 'neighbor %s allowas-in'",
			 RS_LOCAL_AS, nbr->addr);
		return true;
	}
	return false;
}

void rs_bgp_release_neighbor(struct rs_instance *rsi, const char *addr)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct peer *peer = rs_bgp_peer(bgp, addr);

	/* Only the module's own records: bgpd's lines are the user's. */
	if (peer)
		rs_denied_flush(peer);
}

/* Originate the VNet address spaces (and those of spokes using us). */
static void rs_bgp_originate(struct rs_instance *rsi, struct bgp *bgp)
{
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	struct vrs_prefix want[array_size(rsi->originated)];
	size_t n_vnets, n_want;

	n_vnets = rs_instance_vnets(rsi, vnets, array_size(vnets));
	n_want = vrs_rs_advertised_spaces(vnets, n_vnets, &vnets[0], want,
					  array_size(want));
	if (n_want > array_size(want))
		n_want = array_size(want);
	rs_statics_sync(bgp, rsi->originated, &rsi->n_originated, want, n_want,
			true);
}

void rs_bgp_apply(struct rs_instance *rsi)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct listnode *node;
	struct peer *peer;

	if (!bgp || bgp->as != RS_LOCAL_AS)
		return;
	/* bgpd's own settings (timers, BFD, multihop, route-maps, ECMP) are
	 * the user's lines: checked and reported (rs_bgp_conf_*), never
	 * written by the module. */
	rs_bgp_originate(rsi, bgp);
	rs_user_maps_sync();
	rs_summary_sync(rsi, bgp);
	/* Re-run both policies on what is known (soft, no session reset). */
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		if (!rs_bgp_nbr(peer, NULL) || peer->status != Established)
			continue;
		peer_clear_soft(peer, rs_peer_afi(peer), SAFI_UNICAST,
				BGP_CLEAR_SOFT_IN);
		peer_clear_soft(peer, rs_peer_afi(peer), SAFI_UNICAST,
				BGP_CLEAR_SOFT_OUT);
	}
}

void rs_bgp_release_instance(struct rs_instance *rsi)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct rs_neighbor *nbr;

	if (!bgp)
		return;
	frr_each (rs_neighbors, rsi->neighbors, nbr)
		rs_bgp_release_neighbor(rsi, nbr->addr);
	rs_statics_sync(bgp, rsi->originated, &rsi->n_originated, NULL, 0,
			false);
	rs_statics_sync(bgp, rsi->summary_live, &rsi->n_summary_live, NULL, 0,
			false);
}

/* A neighbor without graceful restart sends no End-of-RIB: after this long
 * Established, its initial table is taken as complete. */
#define RS_NO_EOR_SETTLE_S 3

size_t rs_bgp_eor_pending(struct rs_instance *rsi, const char **addrs,
			  size_t cap)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct rs_neighbor *nbr;
	size_t n = 0;
	time_t now = monotime(NULL);

	if (!bgp)
		return 0;
	/* One walk of bgpd's peer list (peer_lookup() is costly in 8.4). */
	for (struct listnode *node = listhead(bgp->peer); node;
	     node = listnextnode(node)) {
		struct peer *peer = listgetdata(node);
		char addr[SU_ADDRSTRLEN];
		bool done;

		if (!peer->su.sa.sa_family)
			continue;
		sockunion2str(&peer->su, addr, sizeof(addr));
		nbr = rs_neighbor_find(rsi, addr);
		if (!nbr)
			continue;
		if (CHECK_FLAG(peer->af_sflags[rs_peer_afi(peer)][SAFI_UNICAST],
			       PEER_STATUS_EOR_RECEIVED))
			done = true;
		else if (peer_established(peer) &&
			 !CHECK_FLAG(peer->cap, PEER_CAP_RESTART_RCV))
			done = now - peer->uptime >= RS_NO_EOR_SETTLE_S;
		else
			done = false;
		if (done)
			continue;
		if (n < cap)
			addrs[n] = nbr->addr;
		n++;
	}
	return n;
}

void rs_bgp_refresh_nvas(struct rs_instance *rsi)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct rs_neighbor *nbr;

	frr_each (rs_neighbors, rsi->neighbors, nbr) {
		struct peer *peer = rs_bgp_peer(bgp, nbr->addr);

		if (nbr->role != VRS_ROLE_NVA || !peer ||
		    peer->status != Established)
			continue;
		/* ROUTE-REFRESH (or a reset for peers that lack it). */
		if (CHECK_FLAG(peer->cap, PEER_CAP_REFRESH_ADV) ||
		    CHECK_FLAG(peer->cap, PEER_CAP_REFRESH_NEW_RCV) ||
		    CHECK_FLAG(peer->cap, PEER_CAP_REFRESH_OLD_RCV))
			bgp_route_refresh_send(peer, rs_peer_afi(peer),
					       SAFI_UNICAST, 0,
					       0, 0,
					       BGP_ROUTE_REFRESH_NORMAL);
		else
			peer_clear(peer, NULL);
	}
}

/* Show ---------------------------------------------------------------------- */

struct rs_peer_counts {
	uint32_t received, accepted;
	uint32_t dropped[VRS_IN_REASON_COUNT];
	uint32_t dropped_policy;
	uint32_t dropped_unmanaged; /* the neighbor is not managed */
	uint32_t advertised;
};

static void rs_bgp_count(struct bgp *bgp, struct peer *peer, bool unmanaged,
			 struct rs_peer_counts *c)
{
	struct bgp_table *table = bgp->rib[rs_peer_afi(peer)][SAFI_UNICAST];
	struct bgp_dest *dest;

	memset(c, 0, sizeof(*c));
	for (dest = bgp_table_top(table); dest; dest = bgp_route_next(dest)) {
		const struct prefix *p = bgp_dest_get_prefix(dest);
		enum vrs_in_reason why;

		for (struct bgp_adj_in *ain = dest->adj_in; ain;
		     ain = ain->next) {
			if (ain->peer != peer)
				continue;
			c->received++;
			if (rs_bgp_has_path(dest, peer))
				c->accepted++;
			else if (aspath_loop_check(ain->attr->aspath,
						   RS_LOCAL_AS))
				c->dropped[VRS_IN_AS_LOOP]++;
			else if (unmanaged)
				c->dropped_unmanaged++;
			else if (rs_denied_get(peer, p, &why))
				c->dropped[why]++;
			else
				c->dropped_policy++;
		}
	}
	{
		struct peer_af *paf =
			peer_af_find(peer, rs_peer_afi(peer), SAFI_UNICAST);

		c->advertised = (paf && PAF_SUBGRP(paf)) ? PAF_SUBGRP(paf)->scount
							 : 0;
	}
}

void rs_bgp_neighbor_state(struct rs_instance *rsi, const char *addr,
			   bool counts, struct rs_nbr_state *st)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct peer *peer = rs_bgp_peer(bgp, addr);
	struct rs_peer_counts c;

	memset(st, 0, sizeof(*st));
	st->state = "NotConfigured";
	if (!peer)
		return;
	st->state = rs_peer_state(peer);
	st->established = peer->status == Established;
	st->pfx_accepted = peer->pcount[AFI_IP][SAFI_UNICAST] +
			   peer->pcount[AFI_IP6][SAFI_UNICAST];
	if (!counts)
		return;
	/* Received and dropped need a walk of the adj-RIB-in. */
	rs_bgp_count(bgp, peer,
		     rs_bgp_unmanaged(peer, rs_bgp_nbr(peer, NULL), NULL, 0),
		     &c);
	st->received = c.received;
	st->accepted = c.accepted;
	st->dropped = c.received - c.accepted;
}

static const char *rs_nbr_role_name(const struct rs_neighbor *nbr)
{
	return nbr ? vrs_role_name(nbr->role) : "unassigned";
}

struct rs_conf_report {
	size_t missing;	 /* required lines absent */
	size_t drift;	 /* profile lines absent or different */
	bool bfdd_silent;
};
static void rs_conf_check(struct rs_instance *rsi, struct rs_neighbor *nbr,
			  struct peer *peer, struct vty *vty,
			  json_object *jp, struct rs_conf_report *rep);

static void rs_bgp_show_peer(struct rs_instance *rsi, struct bgp *bgp,
			     const char *addr, struct rs_neighbor *nbr,
			     struct vty *vty, json_object *jpeers)
{
	struct peer *peer = rs_bgp_peer(bgp, addr);
	struct rs_peer_counts c = {};
	struct rs_conf_report rep = {};
	json_object *jp, *jd;
	uint32_t dropped = 0;
	char why[320] = "";
	bool unmanaged = rs_bgp_unmanaged(peer, nbr, why, sizeof(why));

	if (!nbr)
		snprintf(why, sizeof(why),
			 "no route-server role (add 'route-server neighbor %s role ...')",
			 addr);
	if (peer)
		rs_bgp_count(bgp, peer, nbr && unmanaged, &c);
	for (int r = 1; r < VRS_IN_REASON_COUNT; r++)
		dropped += c.dropped[r];
	dropped += c.dropped_policy + c.dropped_unmanaged;
	if (!jpeers) {
		vty_out(vty, "  %-16s %-20s %6u %-12s %8u %8u %8u %8u %6u\n",
			addr, rs_nbr_role_name(nbr), peer ? peer->as : 0,
			peer ? rs_peer_state(peer) : "NotConfigured",
			c.received, c.accepted, dropped, c.advertised,
			nbr ? rs_neighbor_limit(rsi, nbr) : 0);
		if (nbr && peer)
			rs_conf_check(rsi, nbr, peer, vty, NULL, &rep);
		if (nbr && nbr->cnt.limit_teardowns)
			vty_out(vty, "    route limit exceeded %" PRIu64 " time(s): %s\n",
				nbr->cnt.limit_teardowns,
				nbr->cnt.last_limit_reason);
		if (unmanaged)
			vty_out(vty,
				"    not managed (every route from it is dropped): %s\n",
				why);
		for (int d = VRS_RMAP_IN; nbr && d <= VRS_RMAP_OUT; d++)
			if (nbr->rmap[d][0])
				vty_out(vty, "    route-map %s %s\n",
					nbr->rmap[d], vrs_rmap_dir_name(d));
		return;
	}
	jp = json_object_new_object();
	jd = json_object_new_object();
	json_object_string_add(jp, "role", rs_nbr_role_name(nbr));
	json_object_int_add(jp, "remoteAs", peer ? peer->as : 0);
	json_object_string_add(jp, "state",
			       peer ? rs_peer_state(peer) : "NotConfigured");
	if (nbr && peer)
		rs_conf_check(rsi, nbr, peer, NULL, jp, &rep);
	if (nbr && !unmanaged && rep.missing) {
		unmanaged = true;
		snprintf(why, sizeof(why),
			 "%zu line(s) of bgpd's configuration missing (bgpConfig.missing; show route-server bgp-config)",
			 rep.missing);
	}
	json_object_boolean_add(jp, "managed", nbr && !unmanaged);
	if (!nbr || unmanaged)
		json_object_string_add(jp, "unmanagedReason", why);
	json_object_int_add(jp, "pfxRcd",
			    peer ? peer->pcount[rs_peer_afi(peer)][SAFI_UNICAST]
				 : 0);
	json_object_int_add(jp, "received", c.received);
	json_object_int_add(jp, "accepted", c.accepted);
	json_object_int_add(jp, "dropped", dropped);
	for (int r = 1; r < VRS_IN_REASON_COUNT; r++)
		json_object_int_add(jd, vrs_in_reason_name(r), c.dropped[r]);
	json_object_int_add(jd, "policy", c.dropped_policy);
	json_object_int_add(jd, "notManaged", c.dropped_unmanaged);
	json_object_object_add(jp, "droppedByReason", jd);
	json_object_int_add(jp, "advertised", c.advertised);
	if (nbr) {
		json_object_int_add(jp, "routeLimit",
				    rs_neighbor_limit(rsi, nbr));
		json_object_int_add(jp, "limitTeardowns",
				    nbr->cnt.limit_teardowns);
		if (nbr->cnt.limit_teardowns)
			json_object_string_add(jp, "lastLimitTeardown",
					       nbr->cnt.last_limit_reason);
		/* Peering route-maps: the user's maps ("" : none). */
		jd = json_object_new_object();
		json_object_string_add(jd, "in", nbr->rmap[VRS_RMAP_IN]);
		json_object_string_add(jd, "out", nbr->rmap[VRS_RMAP_OUT]);
		json_object_object_add(jp, "routeMaps", jd);
	}
	if (peer && CHECK_FLAG(peer->sflags, PEER_STATUS_PREFIX_OVERFLOW))
		json_object_boolean_add(jp, "routeLimitExceeded", true);
	json_object_object_add(jpeers, addr, jp);
}

void rs_bgp_show_neighbors(struct rs_instance *rsi, struct vty *vty,
			   json_object *json)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	json_object *jpeers = json ? json_object_new_object() : NULL;
	struct rs_neighbor **arr;
	struct listnode *node;
	struct peer *peer;
	size_t n;

	if (!json)
		vty_out(vty, "  %-16s %-20s %6s %-12s %8s %8s %8s %8s %6s\n",
			"Neighbor", "Role", "AS", "State", "Received",
			"Accepted", "Dropped", "Sent", "Limit");
	arr = rs_neighbor_array(rsi, &n);
	for (size_t i = 0; i < n; i++)
		rs_bgp_show_peer(rsi, bgp, arr[i]->addr, arr[i], vty, jpeers);
	rs_neighbor_array_free(arr);
	/* bgpd neighbors without a role are listed, so nobody is missed. */
	if (bgp)
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
			char addr[SU_ADDRSTRLEN];

			sockunion2str(&peer->su, addr, sizeof(addr));
			if (!rs_neighbor_find(rsi, addr))
				rs_bgp_show_peer(rsi, bgp, addr, NULL, vty,
						 jpeers);
		}
	if (json)
		json_object_object_add(json, "neighbors", jpeers);
}

static void rs_route_json(json_object *jr, afi_t afi, const struct attr *attr)
{
	char nh[INET6_ADDRSTRLEN];
	struct community *com = bgp_attr_get_community(attr);

	rs_attr_nh_str(afi, attr, nh, sizeof(nh));
	json_object_string_add(jr, "nextHop", nh);
	json_object_string_add(jr, "asPath", aspath_print(attr->aspath));
	if (com)
		json_object_string_add(jr, "communities",
				       community_str(com, false, false));
}

static void rs_view_fill(struct peer *peer, const struct prefix *p,
			 const struct attr *attr, bool advertised,
			 struct rs_route_view *v);

int rs_bgp_show_routes(struct rs_instance *rsi, const char *addr,
		       bool advertised, struct vty *vty, json_object *json)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct peer *peer = rs_bgp_peer(bgp, addr);
	struct peer_af *paf;
	struct update_subgroup *subgrp = NULL;
	json_object *jroutes = NULL;
	struct bgp_dest *dest;
	uint32_t count = 0;
	struct rs_neighbor *nbr;
	bool unmanaged;

	if (!peer) {
		vty_out(vty, "%% No neighbor %s in VRF %s\n", addr, rsi->vrf);
		return -1;
	}
	nbr = rs_neighbor_find(rsi, addr);
	unmanaged = rs_bgp_unmanaged(peer, nbr, NULL, 0);
	if (!advertised &&
	    !CHECK_FLAG(peer->af_flags[rs_peer_afi(peer)][SAFI_UNICAST],
			PEER_FLAG_SOFT_RECONFIG)) {
		vty_out(vty,
			"%% neighbor %s has no role, so its received routes are not kept (add 'route-server neighbor %s role ...')\n",
			addr, addr);
		return -1;
	}
	paf = peer_af_find(peer, rs_peer_afi(peer), SAFI_UNICAST);
	if (paf)
		subgrp = PAF_SUBGRP(paf);
	if (json) {
		jroutes = json_object_new_object();
		json_object_string_add(json, "neighbor", addr);
		json_object_string_add(json, "role",
				       rs_nbr_role_name(
					       rs_neighbor_find(rsi, addr)));
	} else {
		vty_out(vty, "%-20s %-16s %-10s %-18s %s\n", "Prefix", "Next hop",
			advertised ? "" : "Status",
			advertised ? "" : "Reason", "AS path");
	}
	for (dest = bgp_table_top(bgp->rib[rs_peer_afi(peer)][SAFI_UNICAST]);
	     dest; dest = bgp_route_next(dest)) {
		const struct prefix *p = bgp_dest_get_prefix(dest);
		const struct attr *attr = NULL;
		const char *status = "", *why = "";
		char pbuf[PREFIX_STRLEN], nh[INET6_ADDRSTRLEN];
		struct rs_route_view sent;
		enum vrs_in_reason r;

		if (advertised) {
			struct bgp_adj_out *adj;

			RB_FOREACH (adj, bgp_adj_out_rb, &dest->adj_out)
				if (subgrp && adj->subgroup == subgrp &&
				    adj->attr)
					attr = adj->attr;
		} else {
			for (struct bgp_adj_in *ain = dest->adj_in; ain;
			     ain = ain->next)
				if (ain->peer == peer)
					attr = ain->attr;
			if (attr && rs_bgp_has_path(dest, peer)) {
				status = "accepted";
			} else if (attr) {
				status = "dropped";
				if (aspath_loop_check(attr->aspath,
						      RS_LOCAL_AS))
					why = vrs_in_reason_name(
						VRS_IN_AS_LOOP);
				else if (unmanaged)
					why = "notManaged";
				else if (rs_denied_get(peer, p, &r))
					why = vrs_in_reason_name(r);
				else
					why = "policy";
			}
		}
		if (!attr)
			continue;
		count++;
		prefix2str(p, pbuf, sizeof(pbuf));
		/* Advertised: what the neighbor receives (next hop, AS path). */
		if (advertised)
			rs_view_fill(peer, p, attr, true, &sent);
		else {
			memset(&sent, 0, sizeof(sent));
			sent.accepted = !strcmp(status, "accepted");
			sent.reason = *why ? why : NULL;
		}
		/* Peering route-maps: what the user's map did (a dry run). */
		if (!advertised)
			rs_user_dry_in(nbr, peer, dest, attr, &sent);
		else if (nbr && rs_peer_out_user(peer))
			rs_user_dry_out(rsi, nbr, peer, dest, &sent);
		if (jroutes) {
			json_object *jr = json_object_new_object();

			rs_route_json(jr, rs_peer_afi(peer), attr);
			if (advertised) {
				json_object_string_add(jr, "nextHop",
						       sent.nexthop);
				json_object_string_add(jr, "asPath",
						       sent.as_path);
			} else {
				json_object_string_add(jr, "status", status);
				if (*why)
					json_object_string_add(jr, "reason",
							       why);
			}
			rs_rmap_view_json(jr, &sent,
					  advertised ? VRS_RMAP_OUT
						     : VRS_RMAP_IN);
			if (!advertised && sent.accepted)
				rs_summary_learned(rsi, bgp, p, jr, NULL);
			json_object_object_add(jroutes, pbuf, jr);
		} else {
			rs_attr_nh_str(rs_peer_afi(peer), attr, nh,
				       sizeof(nh));
			vty_out(vty, "%-20s %-16s %-10s %-18s %s\n", pbuf,
				advertised ? sent.nexthop : nh, status, why,
				advertised ? sent.as_path
					   : aspath_print(attr->aspath));
			rs_rmap_view_text(vty, &sent,
					  advertised ? VRS_RMAP_OUT
						     : VRS_RMAP_IN,
					  "    ");
			if (!advertised && sent.accepted)
				rs_summary_learned(rsi, bgp, p, NULL, vty);
		}
	}
	if (jroutes) {
		json_object_object_add(json, advertised ? "advertisedRoutes"
							: "learnedRoutes",
				       jroutes);
		json_object_int_add(json, "totalPrefixCounter", count);
	} else {
		vty_out(vty, "\nTotal number of prefixes %u\n", count);
	}
	return 0;
}

void rs_bgp_vm_routes_free(struct vrs_bgp_route *routes,
			   struct vrs_addr *nexthops)
{
	XFREE(MTYPE_RS_BGP_TMP, routes);
	XFREE(MTYPE_RS_BGP_TMP, nexthops);
}

/* Lifecycle --------------------------------------------------------------- */

/* bgpd's own configuration of role neighbors ---------------------------
 *
 * One owner per setting: every line of bgpd's neighbor and instance
 * configuration (timers, BFD, multihop, soft-reconfiguration, route-maps,
 * route-reflector-client, maximum-paths) is written by the user and only
 * read here. The module checks it against what the role and the profile
 * need, says which line to add, and shows the effective values; so
 * running-config is exactly what the user wrote and frr-reload.py has
 * nothing to undo. A table: one row per setting.
 */
struct rs_conf_ctx {
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;
	struct peer *peer;
	const struct vrs_timers *tm;
	const struct vrs_role_defaults *rd;
	afi_t afi; /* the neighbor's family (rs_peer_afi) */
};

/* Where a line goes: the neighbor lines, the address-family block of the
 * neighbor's family, or that of the other family. */
enum rs_conf_where {
	RS_CONF_NBR,
	RS_CONF_AF,
	RS_CONF_AF_OTHER,
};

enum rs_conf_level {
	RS_CONF_REQUIRED, /* the route server does not work without it */
	RS_CONF_PROFILE,  /* what the profile asks for: drift otherwise */
	RS_CONF_USER_MAP, /* the user's outbound map is not applied yet */
};

struct rs_conf_row {
	const char *key;
	enum rs_conf_level level;
	enum rs_conf_where where;
	bool (*applies)(const struct rs_conf_ctx *c);
	bool (*ok)(const struct rs_conf_ctx *c);
	/* The line to add (without the neighbor address prefix when nbr). */
	void (*line)(const struct rs_conf_ctx *c, char *buf, size_t len);
};

static const safi_t rs_safi = SAFI_UNICAST;

static afi_t rs_conf_afi(const struct rs_conf_ctx *c, enum rs_conf_where w)
{
	if (w == RS_CONF_AF_OTHER)
		return c->afi == AFI_IP6 ? AFI_IP : AFI_IP6;
	return c->afi;
}

/* An IPv6 neighbor is not active in ipv4 unicast by bgpd's default. */
static bool rs_conf_activate_applies(const struct rs_conf_ctx *c)
{
	return c->afi == AFI_IP6 || !c->peer->afc[AFI_IP][SAFI_UNICAST];
}

static bool rs_conf_activate_ok(const struct rs_conf_ctx *c)
{
	return c->peer->afc[c->afi][SAFI_UNICAST];
}

static void rs_conf_activate_line(const struct rs_conf_ctx *c, char *buf,
				  size_t len)
{
	snprintf(buf, len, "activate");
}

/*
 * One family per session: the module's policy (VRS-RS-IN/OUT) is on the
 * neighbor's family only, so routes of the other family would pass
 * unchecked. bgpd activates every neighbor in ipv4 unicast by default.
 */
static bool rs_conf_other_ok(const struct rs_conf_ctx *c)
{
	return !c->peer->afc[rs_conf_afi(c, RS_CONF_AF_OTHER)][SAFI_UNICAST];
}

static void rs_conf_other_line(const struct rs_conf_ctx *c, char *buf,
			       size_t len)
{
	snprintf(buf, len, "no activate");
}

static bool rs_conf_always(const struct rs_conf_ctx *c)
{
	return true;
}

static bool rs_conf_multihop_applies(const struct rs_conf_ctx *c)
{
	return c->rd && c->rd->ebgp_multihop && c->peer->sort == BGP_PEER_EBGP;
}

static bool rs_conf_multihop_ok(const struct rs_conf_ctx *c)
{
	return c->peer->ttl > 1;
}

static void rs_conf_multihop_line(const struct rs_conf_ctx *c, char *buf,
				  size_t len)
{
	snprintf(buf, len, "ebgp-multihop %u", c->rd->ttl ? c->rd->ttl : 255);
}

static bool rs_conf_dcc_ok(const struct rs_conf_ctx *c)
{
	return CHECK_FLAG(c->peer->flags, PEER_FLAG_DISABLE_CONNECTED_CHECK);
}

static void rs_conf_dcc_line(const struct rs_conf_ctx *c, char *buf,
			     size_t len)
{
	snprintf(buf, len, "disable-connected-check");
}

static void rs_conf_timers(const struct peer *peer, uint32_t *ka, uint32_t *hold)
{
	if (CHECK_FLAG(peer->flags, PEER_FLAG_TIMER)) {
		*ka = peer->keepalive;
		*hold = peer->holdtime;
	} else {
		*ka = peer->bgp->default_keepalive;
		*hold = peer->bgp->default_holdtime;
	}
}

static bool rs_conf_timers_ok(const struct rs_conf_ctx *c)
{
	uint32_t ka, hold;

	rs_conf_timers(c->peer, &ka, &hold);
	return ka == c->tm->keepalive && hold == c->tm->holdtime;
}

static void rs_conf_timers_line(const struct rs_conf_ctx *c, char *buf,
				size_t len)
{
	snprintf(buf, len, "timers %u %u", c->tm->keepalive, c->tm->holdtime);
}

static bool rs_conf_bfd_ok(const struct rs_conf_ctx *c)
{
	return (c->peer->bfd_config != NULL) == c->tm->bfd;
}

static void rs_conf_bfd_line(const struct rs_conf_ctx *c, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%sbfd", c->tm->bfd ? "" : "no ");
}

static bool rs_conf_soft_ok(const struct rs_conf_ctx *c)
{
	return CHECK_FLAG(c->peer->af_flags[c->afi][rs_safi],
			  PEER_FLAG_SOFT_RECONFIG);
}

static void rs_conf_soft_line(const struct rs_conf_ctx *c, char *buf,
			      size_t len)
{
	snprintf(buf, len, "soft-reconfiguration inbound");
}

static bool rs_conf_map_is(const struct peer *peer, int dir, const char *name)
{
	const char *have = peer->filter[rs_peer_afi(peer)][rs_safi].map[dir].name;

	return have && strcmp(have, name) == 0;
}

static bool rs_conf_rmap_in_ok(const struct rs_conf_ctx *c)
{
	return rs_conf_map_is(c->peer, RMAP_IN, RS_RMAP_IN);
}

static void rs_conf_rmap_in_line(const struct rs_conf_ctx *c, char *buf,
				 size_t len)
{
	snprintf(buf, len, "route-map %s in", RS_RMAP_IN);
}

/* The role's map, or chained with the neighbor's own outbound map. */
static bool rs_conf_rmap_out_ok(const struct rs_conf_ctx *c)
{
	char want[128];

	return rs_conf_map_is(c->peer, RMAP_OUT, rs_rmap_out(c->nbr->role)) ||
	       (c->nbr->rmap[VRS_RMAP_OUT][0] &&
		rs_conf_map_is(c->peer, RMAP_OUT,
			       rs_bgp_rmap_out_name(c->nbr->role,
						    c->nbr->rmap[VRS_RMAP_OUT],
						    want, sizeof(want))));
}

static void rs_conf_rmap_out_line(const struct rs_conf_ctx *c, char *buf,
				  size_t len)
{
	char want[128];

	snprintf(buf, len, "route-map %s out",
		 rs_bgp_rmap_out_name(c->nbr->role, c->nbr->rmap[VRS_RMAP_OUT],
				      want, sizeof(want)));
}

/* Peering route-maps: the user's outbound map needs the chained name. */
static bool rs_conf_user_out_applies(const struct rs_conf_ctx *c)
{
	return c->nbr->rmap[VRS_RMAP_OUT][0] != '\0';
}

static bool rs_conf_user_out_ok(const struct rs_conf_ctx *c)
{
	char want[128];

	return rs_conf_map_is(c->peer, RMAP_OUT,
			      rs_bgp_rmap_out_name(c->nbr->role,
						   c->nbr->rmap[VRS_RMAP_OUT],
						   want, sizeof(want)));
}

static bool rs_conf_rrc_applies(const struct rs_conf_ctx *c)
{
	return c->rd && c->rd->gateway && c->peer->sort == BGP_PEER_IBGP;
}

static bool rs_conf_rrc_ok(const struct rs_conf_ctx *c)
{
	return CHECK_FLAG(c->peer->af_flags[c->afi][rs_safi],
			  PEER_FLAG_REFLECTOR_CLIENT);
}

static void rs_conf_rrc_line(const struct rs_conf_ctx *c, char *buf,
			     size_t len)
{
	snprintf(buf, len, "route-reflector-client");
}

static bool rs_conf_maxpfx_applies(const struct rs_conf_ctx *c)
{
	return c->rsi->limit_mode == VRS_LIMIT_MAX_PREFIX;
}

static bool rs_conf_maxpfx_ok(const struct rs_conf_ctx *c)
{
	return CHECK_FLAG(c->peer->af_flags[c->afi][rs_safi],
			  PEER_FLAG_MAX_PREFIX) &&
	       c->peer->pmax[c->afi][rs_safi] ==
		       rs_neighbor_limit(c->rsi, c->nbr);
}

static void rs_conf_maxpfx_line(const struct rs_conf_ctx *c, char *buf,
				size_t len)
{
	snprintf(buf, len, "maximum-prefix %u",
		 rs_neighbor_limit(c->rsi, c->nbr));
}

/* In frr.conf order: neighbor lines, then the address-family block. */
static const struct rs_conf_row rs_conf_rows[] = {
	{ "bfd", RS_CONF_PROFILE, RS_CONF_NBR, rs_conf_always, rs_conf_bfd_ok,
	  rs_conf_bfd_line },
	{ "ebgpMultihop", RS_CONF_REQUIRED, RS_CONF_NBR,
	  rs_conf_multihop_applies, rs_conf_multihop_ok,
	  rs_conf_multihop_line },
	{ "disableConnectedCheck", RS_CONF_REQUIRED, RS_CONF_NBR,
	  rs_conf_multihop_applies, rs_conf_dcc_ok, rs_conf_dcc_line },
	{ "timers", RS_CONF_PROFILE, RS_CONF_NBR, rs_conf_always,
	  rs_conf_timers_ok, rs_conf_timers_line },
	{ "otherFamily", RS_CONF_REQUIRED, RS_CONF_AF_OTHER, rs_conf_always,
	  rs_conf_other_ok, rs_conf_other_line },
	{ "activate", RS_CONF_REQUIRED, RS_CONF_AF, rs_conf_activate_applies,
	  rs_conf_activate_ok, rs_conf_activate_line },
	{ "softReconfiguration", RS_CONF_REQUIRED, RS_CONF_AF, rs_conf_always,
	  rs_conf_soft_ok, rs_conf_soft_line },
	{ "routeReflectorClient", RS_CONF_REQUIRED, RS_CONF_AF,
	  rs_conf_rrc_applies, rs_conf_rrc_ok, rs_conf_rrc_line },
	{ "routeMapIn", RS_CONF_REQUIRED, RS_CONF_AF, rs_conf_always,
	  rs_conf_rmap_in_ok, rs_conf_rmap_in_line },
	{ "routeMapOut", RS_CONF_REQUIRED, RS_CONF_AF, rs_conf_always,
	  rs_conf_rmap_out_ok, rs_conf_rmap_out_line },
	{ "maximumPrefix", RS_CONF_PROFILE, RS_CONF_AF, rs_conf_maxpfx_applies,
	  rs_conf_maxpfx_ok, rs_conf_maxpfx_line },
	{ "routeMapOutUser", RS_CONF_USER_MAP, RS_CONF_AF,
	  rs_conf_user_out_applies, rs_conf_user_out_ok,
	  rs_conf_rmap_out_line },
};

/* Instance lines: ECMP among NVAs whatever their AS numbers (§4). */
static bool rs_conf_relax_ok(const struct bgp *bgp)
{
	return CHECK_FLAG(bgp->flags, BGP_FLAG_ASPATH_MULTIPATH_RELAX);
}

static bool rs_conf_maxpaths_ok(const struct bgp *bgp, afi_t afi, bool ibgp)
{
	const struct bgp_maxpaths_cfg *mp = &bgp->maxpaths[afi][rs_safi];

	return (ibgp ? mp->maxpaths_ibgp : mp->maxpaths_ebgp) >= 8;
}

/* BFD as bfdd sees it: "up", "down", "adminDown", "unknown", "off". */
static const char *rs_conf_bfd_state(const struct peer *peer)
{
	if (!peer->bfd_config || !peer->bfd_config->session)
		return "off";
	switch (bfd_sess_status(peer->bfd_config->session)) {
	case BSS_UP:
		return "up";
	case BSS_DOWN:
		return "down";
	case BSS_ADMIN_DOWN:
		return "adminDown";
	case BSS_UNKNOWN:
		break;
	}
	return "unknown";
}

/* BFD configured, session Established for a while, no word from bfdd. */
#define RS_BFD_SILENT_S 10

static bool rs_conf_bfdd_silent(struct peer *peer)
{
	return peer->bfd_config && peer_established(peer) &&
	       monotime(NULL) - peer->uptime >= RS_BFD_SILENT_S &&
	       strcmp(rs_conf_bfd_state(peer), "unknown") == 0;
}

/*
 * Check one role neighbor's bgpd lines. With json, adds "bgpConfig"
 * (missing / drift: the lines to add) and "effective" (what bgpd runs);
 * with vty (text), prints one warning line per problem.
 */
static void rs_conf_check(struct rs_instance *rsi, struct rs_neighbor *nbr,
			  struct peer *peer, struct vty *vty,
			  json_object *jp, struct rs_conf_report *rep)
{
	struct rs_conf_ctx c = { .rsi = rsi, .nbr = nbr, .peer = peer,
				 .afi = rs_peer_afi(peer) };
	json_object *jm = NULL, *jd = NULL, *ju = NULL, *je;
	char line[96], full[160];
	uint32_t ka, hold;

	memset(rep, 0, sizeof(*rep));
	c.tm = vrs_profile_timers(rsi->profile);
	c.rd = vrs_role_defaults(nbr->role);
	if (!c.tm)
		return;
	if (jp) {
		jm = json_object_new_array();
		jd = json_object_new_array();
		ju = json_object_new_array();
	}
	for (size_t i = 0; i < array_size(rs_conf_rows); i++) {
		const struct rs_conf_row *row = &rs_conf_rows[i];

		if (!row->applies(&c) || row->ok(&c))
			continue;
		row->line(&c, line, sizeof(line));
		if (strncmp(line, "no ", 3) == 0)
			snprintf(full, sizeof(full), "no neighbor %s %s",
				 nbr->addr, line + 3);
		else
			snprintf(full, sizeof(full), "neighbor %s %s",
				 nbr->addr, line);
		if (row->level == RS_CONF_USER_MAP) {
			/* Not "missing": the route server works, without the
			 * user's outbound map until bgpd's line names it. */
			if (jp)
				json_object_array_add(
					ju, json_object_new_string(full));
			else
				vty_out(vty,
					"    outbound route-map %s not applied yet, add: (address-family %s unicast) '%s'\n",
					nbr->rmap[VRS_RMAP_OUT],
					rs_afi_name(c.afi), full);
			continue;
		}
		if (row->level == RS_CONF_REQUIRED)
			rep->missing++;
		else
			rep->drift++;
		if (jp)
			json_object_array_add(row->level == RS_CONF_REQUIRED
						      ? jm
						      : jd,
					      json_object_new_string(full));
		else
			vty_out(vty, "    %s: %s%s%s'%s'\n",
				row->level == RS_CONF_REQUIRED
					? "not managed, add"
					: "differs from the profile, add",
				row->where != RS_CONF_NBR ? "(address-family "
							  : "",
				row->where != RS_CONF_NBR
					? rs_afi_name(rs_conf_afi(&c, row->where))
					: "",
				row->where != RS_CONF_NBR ? " unicast) " : "",
				full);
	}
	rep->bfdd_silent = rs_conf_bfdd_silent(peer);
	if (!jp) {
		if (rep->bfdd_silent)
			vty_out(vty,
				"    BFD configured but bfdd reports nothing: is bfdd running? (/etc/frr/daemons: bfdd=yes)\n");
		return;
	}
	je = json_object_new_object();
	json_object_boolean_add(je, "complete", !rep->missing);
	json_object_object_add(je, "missing", jm);
	json_object_object_add(je, "drift", jd);
	/* Only for a neighbor with an outbound map of the user's. */
	if (nbr->rmap[VRS_RMAP_OUT][0])
		json_object_object_add(je, "routeMapPending", ju);
	else
		json_object_free(ju);
	json_object_object_add(jp, "bgpConfig", je);
	je = json_object_new_object();
	rs_conf_timers(peer, &ka, &hold);
	json_object_int_add(je, "keepalive", ka);
	json_object_int_add(je, "holdtime", hold);
	json_object_string_add(je, "bfd", rs_conf_bfd_state(peer));
	json_object_int_add(je, "ttl", peer->ttl);
	json_object_boolean_add(je, "bfddSilent", rep->bfdd_silent);
	json_object_object_add(jp, "effective", je);
}

/* Does the instance have a neighbor with a role in afi's family? */
static bool rs_conf_has_family(struct rs_instance *rsi, afi_t afi)
{
	struct rs_neighbor *nbr;

	if (afi == AFI_IP)
		return true; /* the IPv4 lines are always listed */
	frr_each (rs_neighbors, rsi->neighbors, nbr)
		if (strchr(nbr->addr, ':'))
			return true;
	return false;
}

/* Instance lines; returns how many are missing (and lists them). */
static size_t rs_conf_check_instance(struct rs_instance *rsi, struct bgp *bgp,
				     struct vty *vty, json_object *ji)
{
	json_object *ja = ji ? json_object_new_array() : NULL;
	size_t n = 0;

	if (!rs_conf_relax_ok(bgp)) {
		n++;
		if (ja)
			json_object_array_add(
				ja, json_object_new_string(
					    "bgp bestpath as-path multipath-relax"));
		else
			vty_out(vty,
				"  ECMP among NVAs needs: 'bgp bestpath as-path multipath-relax'\n");
	}
	for (afi_t afi = AFI_IP; afi <= AFI_IP6; afi++) {
		if (!rs_conf_has_family(rsi, afi))
			continue;
		for (int ibgp = 0; ibgp < 2; ibgp++) {
			const char *line = ibgp ? "maximum-paths ibgp 8"
						: "maximum-paths 8";

			if (rs_conf_maxpaths_ok(bgp, afi, ibgp))
				continue;
			n++;
			/* The IPv4 lines keep their plain form in JSON. */
			if (ja && afi == AFI_IP)
				json_object_array_add(
					ja, json_object_new_string(line));
			else if (ja)
				json_object_array_add(
					ja, json_object_new_stringf(
						    "address-family ipv6 unicast: %s",
						    line));
			else
				vty_out(vty,
					"  ECMP among NVAs needs: (address-family %s unicast) '%s'\n",
					rs_afi_name(afi), line);
		}
	}
	if (ja)
		json_object_object_add(ji, "bgpConfigMissing", ja);
	return n;
}

void rs_bgp_conf_show_instance(struct rs_instance *rsi, struct vty *vty,
			       json_object *ji)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);

	if (bgp)
		rs_conf_check_instance(rsi, bgp, vty, ji);
}

/*
 * The lines of bgpd's configuration the roles and the profile need, in
 * frr.conf order: neighbor lines, then the ipv4 and the ipv6 unicast
 * blocks (the ipv6 one only with a neighbor of that family).
 */
void rs_bgp_conf_write(struct rs_instance *rsi, struct vty *vty)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct rs_neighbor **arr;
	char line[96];
	size_t n;

	if (!bgp)
		return;
	arr = rs_neighbor_array(rsi, &n);
	vty_out(vty, "router bgp %u%s%s\n", bgp->as,
		bgp->name ? " vrf " : "", bgp->name ? bgp->name : "");
	vty_out(vty, " bgp bestpath as-path multipath-relax\n");
	for (int blk = 0; blk < 3; blk++) {
		afi_t afi = blk == 2 ? AFI_IP6 : AFI_IP;

		if (blk && !rs_conf_has_family(rsi, afi))
			continue;
		if (blk) {
			vty_out(vty, " address-family %s unicast\n",
				rs_afi_name(afi));
			/* bgpd's default may already allow more paths. */
			if (!rs_conf_maxpaths_ok(bgp, afi, false))
				vty_out(vty, "  maximum-paths 8\n");
			if (!rs_conf_maxpaths_ok(bgp, afi, true))
				vty_out(vty, "  maximum-paths ibgp 8\n");
		}
		for (size_t i = 0; i < n; i++) {
			struct rs_conf_ctx c = { .rsi = rsi, .nbr = arr[i] };

			c.peer = rs_bgp_peer(bgp, arr[i]->addr);
			c.tm = vrs_profile_timers(rsi->profile);
			c.rd = vrs_role_defaults(arr[i]->role);
			if (!c.peer || !c.tm)
				continue;
			c.afi = rs_peer_afi(c.peer);
			for (size_t r = 0; r < array_size(rs_conf_rows); r++) {
				const struct rs_conf_row *row = &rs_conf_rows[r];
				bool here = blk ? row->where != RS_CONF_NBR &&
							  rs_conf_afi(&c, row->where) ==
								  afi
						: row->where == RS_CONF_NBR;

				if (!here || !row->applies(&c) ||
				    row->level == RS_CONF_USER_MAP)
					continue;
				row->line(&c, line, sizeof(line));
				/* A "no" line only to take a neighbor out of
				 * the other family, where it is in it. */
				if (strncmp(line, "no ", 3) == 0) {
					if (row->where == RS_CONF_AF_OTHER &&
					    !row->ok(&c))
						vty_out(vty,
							"%s no neighbor %s %s\n",
							blk ? " " : "",
							arr[i]->addr, line + 3);
					continue;
				}
				vty_out(vty, "%s neighbor %s %s\n",
					blk ? " " : "", arr[i]->addr, line);
			}
		}
		if (blk)
			vty_out(vty, " exit-address-family\n");
	}
	vty_out(vty, "exit\n");
	rs_neighbor_array_free(arr);
}

void rs_bgp_init(struct thread_master *tm)
{
	rs_bgp_master = tm;
	rs_bgp_peers_init(rs_bgp_peers);
	rs_bgp_insts_init(rs_bgp_insts);
	rs_denieds_init(rs_denied_tab);
	route_map_install_match(&rs_match_drop_cmd);
	route_map_install_match(&rs_match_withhold_cmd);
	route_map_install_set(&rs_set_ingress_cmd);
	route_map_install_set(&rs_set_egress_cmd);
	route_map_install_match(&rs_match_user_in_cmd);
	route_map_install_match(&rs_match_user_out_cmd);
	route_map_install_match(&rs_match_summary_cmd);
	rs_bgp_build_route_maps();
	hook_register(bgp_packet_dump, rs_bgp_packet);
	hook_register(peer_status_changed, rs_bgp_peer_status);
	hook_register(bgp_process, rs_bgp_process);
}

void rs_bgp_fini(void)
{
	hook_unregister(bgp_packet_dump, rs_bgp_packet);
	hook_unregister(peer_status_changed, rs_bgp_peer_status);
	hook_unregister(bgp_process, rs_bgp_process);
	THREAD_OFF(rs_summary_t);
	rs_denied_flush(NULL);
	rs_denieds_fini(rs_denied_tab);
	rs_bgp_side_fini();
	rs_user_maps_fini();
	rs_bgp_peers_fini(rs_bgp_peers);
	rs_bgp_insts_fini(rs_bgp_insts);
}

/* Views for explain and the az-shaped shows --------------------------------
 *
 * Plain structs (bgp_rs.h) for bgp_rs_explain.c and bgp_rs_az.c: what a
 * neighbor sent for a prefix and the verdict, what bgpd advertises to it
 * and how the neighbor receives it.
 */

/* Does bgpd keep the route's next hop towards peer (else it sends its own)?
 * The same rules as bgpd's UPDATE formatting for unicast of afi. */
static bool rs_nh_kept(struct peer *peer, afi_t afi, const struct attr *attr)
{
	if (afi == AFI_IP6 ? IN6_IS_ADDR_UNSPECIFIED(&attr->mp_nexthop_global)
			   : attr->nexthop.s_addr == INADDR_ANY)
		return false;
	if (peer->sort != BGP_PEER_EBGP)
		return true;
	if (CHECK_FLAG(attr->rmap_change_flags, BATTR_RMAP_NEXTHOP_UNCHANGED) ||
	    peer_af_flag_check(peer, afi, SAFI_UNICAST,
			       PEER_FLAG_NEXTHOP_UNCHANGED))
		return true;
	return afi == AFI_IP6
		       ? bgp_multiaccess_check_v6(attr->mp_nexthop_global, peer)
		       : bgp_multiaccess_check_v4(attr->nexthop, peer);
}

/* Next hop and AS path of attr as peer receives them. */
static void rs_view_as_sent(struct peer *peer, const struct attr *attr,
			    struct rs_route_view *v)
{
	struct aspath *asp = attr->aspath, *sent = NULL;
	afi_t afi = rs_peer_afi(peer);
	bool prepend = peer->sort == BGP_PEER_EBGP &&
		       !peer_af_flag_check(peer, afi, SAFI_UNICAST,
					   PEER_FLAG_RSERVER_CLIENT) &&
		       (!peer_af_flag_check(peer, afi, SAFI_UNICAST,
					    PEER_FLAG_AS_PATH_UNCHANGED) ||
			!asp || !asp->segments);

	if (rs_nh_kept(peer, afi, attr))
		rs_attr_nh_str(afi, attr, v->nexthop, sizeof(v->nexthop));
	else if (afi == AFI_IP6)
		inet_ntop(AF_INET6, &peer->nexthop.v6_global, v->nexthop,
			  sizeof(v->nexthop));
	else
		inet_ntop(AF_INET, &peer->nexthop.v4, v->nexthop,
			  sizeof(v->nexthop));
	if (prepend) {
		sent = asp ? aspath_dup(asp) : aspath_empty();
		sent = aspath_add_seq(sent, peer->change_local_as
						    ? peer->change_local_as
						    : peer->local_as);
		asp = sent;
	}
	strlcpy(v->as_path, asp ? aspath_print(asp) : "", sizeof(v->as_path));
	v->as_path_len = asp ? aspath_count_hops(asp) : 0;
	if (sent)
		aspath_free(sent);
}

static void rs_view_fill(struct peer *peer, const struct prefix *p,
			 const struct attr *attr, bool advertised,
			 struct rs_route_view *v)
{
	struct community *com = bgp_attr_get_community(attr);
	uint32_t comms[64];
	size_t nc;

	memset(v, 0, sizeof(*v));
	rs_prefix_from(p, &v->prefix);
	sockunion2str(&peer->su, v->peer, sizeof(v->peer));
	if (peer->su_local)
		sockunion2str(peer->su_local, v->local_addr,
			      sizeof(v->local_addr));
	v->ebgp = peer->sort == BGP_PEER_EBGP;
	if (com)
		strlcpy(v->communities, community_str(com, false, false),
			sizeof(v->communities));
	nc = rs_communities(attr, comms, array_size(comms));
	v->flags = vrs_inbound_community_flags(comms, nc);
	if (advertised) {
		rs_view_as_sent(peer, attr, v);
		return;
	}
	rs_attr_nh_str(family2afi(p->family), attr, v->nexthop,
		       sizeof(v->nexthop));
	strlcpy(v->as_path, attr->aspath ? aspath_print(attr->aspath) : "",
		sizeof(v->as_path));
	v->as_path_len = attr->aspath ? aspath_count_hops(attr->aspath) : 0;
}

/* The inbound verdict of a learned route (as show ... learned-routes). */
static void rs_view_verdict(struct bgp_dest *dest, struct peer *peer,
			    const struct prefix *p, const struct attr *attr,
			    struct rs_route_view *v)
{
	enum vrs_in_reason r;

	v->accepted = rs_bgp_has_path(dest, peer);
	if (v->accepted)
		v->reason = NULL;
	else if (attr->aspath && aspath_loop_check(attr->aspath, RS_LOCAL_AS))
		v->reason = vrs_in_reason_name(VRS_IN_AS_LOOP);
	else if (rs_bgp_unmanaged(peer, rs_bgp_nbr(peer, NULL), NULL, 0))
		v->reason = "notManaged";
	else if (rs_denied_get(peer, p, &r))
		v->reason = vrs_in_reason_name(r);
	else
		v->reason = "policy";
}

/* bgpd's path of peer for dest, if it has one. */
static struct bgp_path_info *rs_peer_path(struct bgp_dest *dest,
					  struct peer *peer)
{
	for (struct bgp_path_info *pi = bgp_dest_get_bgp_path_info(dest); pi;
	     pi = pi->next)
		if (pi->peer == peer && !CHECK_FLAG(pi->flags, BGP_PATH_REMOVED))
			return pi;
	return NULL;
}

/* What bgpd advertises (or is about to) to peer for dest. */
static const struct attr *rs_adj_out_attr(struct bgp_dest *dest,
					  struct peer *peer)
{
	struct peer_af *paf =
		peer_af_find(peer, rs_peer_afi(peer), SAFI_UNICAST);
	struct update_subgroup *subgrp = paf ? PAF_SUBGRP(paf) : NULL;
	struct bgp_adj_out *adj;

	if (!subgrp)
		return NULL;
	RB_FOREACH (adj, bgp_adj_out_rb, &dest->adj_out)
		if (adj->subgroup == subgrp && adj->attr)
			return adj->attr;
	return NULL;
}

/* What peer sent for dest: its adj-RIB-in, else its accepted path. */
static const struct attr *rs_adj_in_attr(struct bgp_dest *dest,
					 struct peer *peer)
{
	struct bgp_path_info *pi;

	for (struct bgp_adj_in *ain = dest->adj_in; ain; ain = ain->next)
		if (ain->peer == peer)
			return ain->attr;
	pi = rs_peer_path(dest, peer);
	return pi ? pi->attr : NULL;
}

int rs_bgp_route_walk(struct rs_instance *rsi, const char *addr,
		      bool advertised, rs_route_view_cb cb, void *arg,
		      char *err, size_t errlen)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct peer *peer = rs_bgp_peer(bgp, addr);
	struct rs_neighbor *nbr = rs_neighbor_find(rsi, addr);
	struct rs_route_view v;

	if (!peer) {
		snprintf(err, errlen, "No neighbor %s in VRF %s", addr,
			 rsi->vrf);
		return -1;
	}
	for (struct bgp_dest *dest =
		     bgp_table_top(bgp->rib[rs_peer_afi(peer)][SAFI_UNICAST]);
	     dest; dest = bgp_route_next(dest)) {
		const struct prefix *p = bgp_dest_get_prefix(dest);
		const struct attr *attr = advertised
						  ? rs_adj_out_attr(dest, peer)
						  : rs_adj_in_attr(dest, peer);

		if (!attr)
			continue;
		rs_view_fill(peer, p, attr, advertised, &v);
		if (!advertised) {
			rs_view_verdict(dest, peer, p, attr, &v);
			rs_user_dry_in(nbr, peer, dest, attr, &v);
		} else if (nbr && rs_peer_out_user(peer))
			rs_user_dry_out(rsi, nbr, peer, dest, &v);
		cb(&v, arg);
	}
	return 0;
}

size_t rs_bgp_local_addrs(struct rs_instance *rsi, char (*out)[48],
			  size_t cap)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct listnode *node;
	struct peer *peer;
	size_t n = 0;

	if (!bgp)
		return 0;
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		char a[48];
		bool dup = false;

		if (peer->status != Established || !peer->su_local)
			continue;
		sockunion2str(peer->su_local, a, sizeof(a));
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(out[i], a) == 0;
		if (!dup && n < cap)
			strlcpy(out[n++], a, sizeof(out[0]));
	}
	return n;
}

static void rs_explain_nbr_fill(struct rs_explain *ex, struct rs_instance *rsi,
				struct bgp *bgp, struct bgp_dest *dest,
				const char *addr, struct rs_neighbor *nbr)
{
	struct rs_explain_nbr *e;
	struct peer *peer = rs_bgp_peer(bgp, addr);
	struct bgp_path_info *pi;
	const struct attr *attr;
	const struct prefix *p;

	if (ex->n >= array_size(ex->nbr))
		return;
	e = &ex->nbr[ex->n++];
	strlcpy(e->addr, addr, sizeof(e->addr));
	e->state = peer ? rs_peer_state(peer) : "NotConfigured";
	if (nbr) {
		e->has_role = true;
		e->role = nbr->role;
		e->route_limit = rs_neighbor_limit(rsi, nbr);
		e->limit_teardowns = nbr->cnt.limit_teardowns;
		strlcpy(e->last_limit, nbr->cnt.last_limit_reason,
			sizeof(e->last_limit));
	}
	if (!peer)
		return;
	e->remote_as = peer->as;
	e->established = peer->status == Established;
	e->limit_exceeded =
		CHECK_FLAG(peer->sflags, PEER_STATUS_PREFIX_OVERFLOW);
	rs_bgp_unmanaged(peer, nbr, e->unmanaged, sizeof(e->unmanaged));
	if (!dest)
		return;
	p = bgp_dest_get_prefix(dest);
	attr = rs_adj_in_attr(dest, peer);
	pi = rs_peer_path(dest, peer);
	if (attr) {
		e->received = true;
		rs_view_fill(peer, p, attr, false, &e->in);
		rs_view_verdict(dest, peer, p, attr, &e->in);
		rs_user_dry_in(nbr, peer, dest, attr, &e->in);
	}
	e->usable = pi && nbr && e->established &&
		    CHECK_FLAG(pi->flags, BGP_PATH_VALID);
	e->bgp_best = pi && CHECK_FLAG(pi->flags, BGP_PATH_SELECTED);
	attr = rs_adj_out_attr(dest, peer);
	if (attr) {
		e->sent = true;
		rs_view_fill(peer, p, attr, true, &e->out);
	}
	if (nbr && nbr->rmap[VRS_RMAP_OUT][0]) {
		const char *u = rs_peer_out_user(peer);
		char want[128];

		e->rmap_out_applied = u && strcmp(u, nbr->rmap[VRS_RMAP_OUT]) == 0;
		if (!e->rmap_out_applied)
			snprintf(e->rmap_out_line, sizeof(e->rmap_out_line),
				 "neighbor %s route-map %s out", addr,
				 rs_bgp_rmap_out_name(nbr->role,
						      nbr->rmap[VRS_RMAP_OUT],
						      want, sizeof(want)));
		rs_user_dry_out(rsi, nbr, peer, dest, &e->out);
	}
	if (nbr && nbr->role == VRS_ROLE_EXPRESSROUTE_GW && rsi->er)
		e->er_has = rs_er_has(rsi->er, p);
}

void rs_bgp_explain(struct rs_instance *rsi, const struct vrs_prefix *p,
		    struct rs_explain *ex)
{
	struct bgp *bgp = rs_bgp_lookup(rsi->vrf);
	struct bgp_dest *dest = NULL;
	struct rs_neighbor **arr;
	struct listnode *node;
	struct peer *peer;
	struct prefix bp;
	size_t n;

	memset(ex, 0, sizeof(*ex));
	ex->prefix = *p;
	if (!bgp)
		return;
	if (rsi->er) {
		rs_er_prune(bgp, rsi->er);
		ex->er_sent = rs_er_pfxs_count(rsi->er->pfxs);
	}
	rs_prefix_to(p, &bp);
	/* Also a destination without paths: routes dropped inbound keep
	 * only their adj-RIB-in entry (bgp_node_lookup skips those). */
	{
		struct route_node *rn = route_node_lookup_maynull(
			bgp->rib[family2afi(bp.family)][SAFI_UNICAST]
				->route_table,
			&bp);

		dest = rn ? bgp_dest_from_rnode(rn) : NULL;
	}
	if (dest)
		for (struct bgp_path_info *pi = bgp_dest_get_bgp_path_info(dest);
		     pi; pi = pi->next) {
			uint32_t comms[64];
			size_t nc;

			if (!CHECK_FLAG(pi->flags, BGP_PATH_SELECTED))
				continue;
			ex->has_best = true;
			ex->best_src = rs_route_source(pi);
			ex->best_summary = rs_summary_path(rsi, p, pi);
			if (pi->peer && pi->peer != bgp->peer_self)
				sockunion2str(&pi->peer->su, ex->best_peer,
					      sizeof(ex->best_peer));
			nc = rs_communities(pi->attr, comms, array_size(comms));
			ex->best_flags = vrs_inbound_community_flags(comms, nc);
			break;
		}
	arr = rs_neighbor_array(rsi, &n);
	for (size_t i = 0; i < n; i++)
		rs_explain_nbr_fill(ex, rsi, bgp, dest, arr[i]->addr, arr[i]);
	rs_neighbor_array_free(arr);
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		char addr[SU_ADDRSTRLEN];

		sockunion2str(&peer->su, addr, sizeof(addr));
		if (!rs_neighbor_find(rsi, addr))
			rs_explain_nbr_fill(ex, rsi, bgp, dest, addr, NULL);
	}
	if (dest)
		bgp_dest_unlock_node(dest);
}
