// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the file that reads bgpd's internal structures and builds a
 * template's expansion through bgpd's and libfrr's API. It writes into no
 * private FRR struct; the one workaround that does (hiding the expansion
 * from running-config) is bgp_nva_frr_workaround.c.
 *
 * A template's expansion, all named VRS-NVA-<name>[-...]:
 *   peer-group VRS-NVA-<name>: remote-as 65515, ebgp-multihop, update-source,
 *     timers of the profile, as-override, soft-reconfiguration inbound,
 *     route-map VRS-NVA-<name>-IN in and VRS-NVA-<name>-OUT out;
 *   members: the instance addresses (BFD on each with the fast profile);
 *   route-map VRS-NVA-<name>-OUT:
 *     deny 5    match vrs-nva-learned-from VRS-NVA-<name>
 *     deny 10   match vrs-nva-prefix <vnet-prefix...>
 *     permit 20 match vrs-nva-prefix <no-advertise...>
 *               set community no-advertise additive [+ prepend]
 *     permit 30 [set as-path prepend <local AS> x prepend] (passive role)
 *   route-map VRS-NVA-<name>-IN: permit 10.
 *
 * No echo: "deny 5" drops every route whose selected path was learned
 * from a member of the template's own peer-group, i.e. from one of the
 * route server's instances. Without it, a route the route server passed on
 * (another NVA's prefix, the VNet) would go back to both instances, and
 * as-override (applied by bgpd before the outbound route-map) replaces
 * 65515 in its AS path, so the route server would accept it as new. The
 * rule looks at where the route came from, not at its attributes: it
 * needs no tag on the route (nothing reaches zebra or other peers) and
 * does not depend on the AS path that as-override rewrites. Routes learned
 * through another template (another route server) still go out: that is
 * how an NVA carries routes between two route servers.
 *
 * vrs-nva-learned-from and vrs-nva-prefix are this module's route-map
 * match rules (routemap.h API): the public prefix-list API (plist.h) has
 * no way to add entries, and the rule keeps its prefixes in itself.
 */
#include <zebra.h>

#include "command.h"
#include "filter.h"
#include "if.h"
#include "json.h"
#include "linklist.h"
#include "log.h"
#include "memory.h"
#include "printfrr.h"
#include "routemap.h"
#include "sockunion.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_bfd.h"
#include "bgpd/bgp_debug.h"
#include "bgpd/bgp_fsm.h"
#include "bgpd/bgp_route.h"
#include "bgpd/bgp_table.h"
#include "bgpd/bgp_updgrp.h"

#include "vrs_asn.h"

#include "bgp_nva.h"

DEFINE_MTYPE_STATIC(VRS_NVA, NVA_RULE, "NVA route-map rule");

#define NVA_RULE_LEARNED "vrs-nva-learned-from"
#define NVA_RULE_PREFIX "vrs-nva-prefix"

static const char *nva_vrf_name(struct bgp *bgp)
{
	if (bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT || !bgp->name)
		return VRF_DEFAULT_NAME;
	return bgp->name;
}

void nva_bgp_walk(void (*cb)(const char *vrf, uint32_t local_as, void *arg),
		  void *arg)
{
	struct listnode *node;
	struct bgp *bgp;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		cb(nva_vrf_name(bgp), bgp->as, arg);
}

static struct bgp *nva_bgp_lookup(const char *vrf)
{
	if (strcmp(vrf, VRF_DEFAULT_NAME) == 0)
		return bgp_get_default();
	return bgp_lookup_by_name(vrf);
}

const char *nva_bgp_vty_vrf(struct vty *vty)
{
	struct bgp *bgp = VTY_GET_CONTEXT(bgp);

	return bgp ? nva_vrf_name(bgp) : NULL;
}

uint32_t nva_bgp_local_as(const char *vrf)
{
	struct bgp *bgp = nva_bgp_lookup(vrf);

	return bgp ? bgp->as : 0;
}

/* Names of the objects a template owns. */
struct nva_names {
	char group[64];
	char rmap_in[64];
	char rmap_out[64];
};

static void nva_names(const char *tpl, struct nva_names *n)
{
	snprintfrr(n->group, sizeof(n->group), NVA_OBJ_PREFIX "%s", tpl);
	snprintfrr(n->rmap_in, sizeof(n->rmap_in), NVA_OBJ_PREFIX "%s-IN", tpl);
	snprintfrr(n->rmap_out, sizeof(n->rmap_out), NVA_OBJ_PREFIX "%s-OUT",
		 tpl);
}

/* The template owning a peer-group, if it is one of ours. */
static struct nva_template *nva_group_template(struct bgp *bgp,
					       const char *group)
{
	size_t plen = strlen(NVA_OBJ_PREFIX);

	if (strncmp(group, NVA_OBJ_PREFIX, plen) != 0)
		return NULL;
	return nva_template_find(nva_vrf_name(bgp), group + plen);
}

/* ---------------------------------------------------------------- checks */

int nva_bgp_check_local_as(const char *vrf, char *errmsg, size_t len)
{
	uint32_t as = nva_bgp_local_as(vrf);
	char reason[200];

	if (!as) {
		snprintfrr(errmsg, len, "no BGP instance in VRF %s", vrf);
		return -1;
	}
	if (vrs_asn_check(as, VRS_ROLE_NVA, reason, sizeof(reason)) ==
	    VRS_ASN_OK)
		return 0;
	snprintfrr(errmsg, len,
		 "this NVA's local AS %u cannot peer a route server: %s", as,
		 reason);
	return -1;
}

static int nva_check_addr(struct bgp *bgp, struct in_addr a, char *errmsg,
			  size_t len)
{
	uint32_t h = ntohl(a.s_addr);
	const char *what = NULL;

	if (h == 0)
		what = "the unspecified address";
	else if ((h >> 24) == 127)
		what = "a loopback address";
	else if ((h >> 28) == 0xe)
		what = "a multicast address";
	else if (h == 0xffffffff)
		what = "the broadcast address";
	else if ((h >> 28) == 0xf)
		what = "a reserved (class E) address";
	else if ((h >> 16) == 0xa9fe)
		what = "a link-local address";
	else if (if_address_is_local(&a, AF_INET, bgp->vrf_id))
		what = "an address of this router";
	if (!what)
		return 0;
	snprintfrr(errmsg, len,
		 "%pI4 is %s; an instance address is the unicast peer IP of a route-server instance (e.g. the .4 and .5 of its subnet)",
		 &a, what);
	return -1;
}

int nva_bgp_check_instances(const char *vrf, const char *tpl_name,
			    const struct in_addr *addrs, int n, char *errmsg,
			    size_t len)
{
	struct bgp *bgp = nva_bgp_lookup(vrf);
	struct nva_names names;
	struct peer_group *group;

	if (!bgp) {
		snprintfrr(errmsg, len, "no BGP instance in VRF %s", vrf);
		return -1;
	}
	if (n == 2 && addrs[0].s_addr == addrs[1].s_addr) {
		snprintfrr(errmsg, len,
			 "both instance addresses are %pI4; give the two different instance IPs of the route server",
			 &addrs[0]);
		return -1;
	}
	nva_names(tpl_name, &names);
	group = peer_group_lookup(bgp, names.group);
	if (group && !nva_group_template(bgp, names.group)) {
		snprintfrr(errmsg, len,
			 "peer-group %s exists and was not created by this template; names starting with " NVA_OBJ_PREFIX
			 " are reserved: remove it (no neighbor %s peer-group) or pick another template name",
			 names.group, names.group);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		union sockunion su = {};
		struct peer *peer;
		struct nva_template *other;

		if (nva_check_addr(bgp, addrs[i], errmsg, len) < 0)
			return -1;
		su.sin.sin_family = AF_INET;
		su.sin.sin_addr = addrs[i];
		peer = peer_lookup(bgp, &su);
		if (!peer)
			continue;
		if (peer->group && strcmp(peer->group->name, names.group) == 0)
			continue;
		other = peer->group ? nva_group_template(bgp, peer->group->name)
				    : NULL;
		if (other) {
			snprintfrr(errmsg, len,
				 "%pI4 is already an instance of route-server-peering %s; an address belongs to one template",
				 &addrs[i], other->name);
			return -1;
		}
		if (peer->as_type == AS_SPECIFIED && peer->as != NVA_RS_AS)
			snprintfrr(errmsg, len,
				 "neighbor %pI4 is configured by hand with remote-as %u, but a route-server instance is remote-as %u; the template creates and owns its neighbors: remove it first (no neighbor %pI4)",
				 &addrs[i], peer->as, NVA_RS_AS, &addrs[i]);
		else
			snprintfrr(errmsg, len,
				 "neighbor %pI4 is already configured by hand%s; the template creates and owns its neighbors: remove it first (no neighbor %pI4)",
				 &addrs[i],
				 peer->group ? " (in a peer-group)" : "",
				 &addrs[i]);
		return -1;
	}
	return 0;
}

int nva_bgp_check_update_source(const char *src, char *errmsg, size_t len)
{
	struct in_addr a;

	if (inet_pton(AF_INET, src, &a) != 1) {
		if (strlen(src) >= INTERFACE_NAMSIZ) {
			snprintfrr(errmsg, len,
				 "update-source %s is neither an IPv4 address nor an interface name (at most %d characters)",
				 src, INTERFACE_NAMSIZ - 1);
			return -1;
		}
		return 0;
	}
	if (a.s_addr == INADDR_ANY || IN_MULTICAST(ntohl(a.s_addr)) ||
	    a.s_addr == INADDR_BROADCAST) {
		snprintfrr(errmsg, len,
			 "update-source %pI4 is not a unicast address; use an address or interface of this NVA",
			 &a);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- policy */

/*
 * "vrs-nva-prefix P...": the route's prefix is one of the listed IPv4
 * prefixes or more specific (like prefix-list entries "le 32").
 */
struct nva_pfx_rule {
	uint8_t n;
	struct prefix_ipv4 p[NVA_PFX_MAX];
};

static void *nva_pfx_compile(const char *arg)
{
	struct nva_pfx_rule *r;
	char buf[NVA_PFX_MAX * (INET_ADDRSTRLEN + 4)];
	char *tok, *save = NULL;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		return NULL;
	r = XCALLOC(MTYPE_NVA_RULE, sizeof(*r));
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (r->n >= NVA_PFX_MAX ||
		    str2prefix_ipv4(tok, &r->p[r->n]) <= 0) {
			XFREE(MTYPE_NVA_RULE, r);
			return NULL;
		}
		apply_mask_ipv4(&r->p[r->n++]);
	}
	return r;
}

static enum route_map_cmd_result_t
nva_pfx_match(void *rule, const struct prefix *p, void *object)
{
	const struct nva_pfx_rule *r = rule;

	if (p->family != AF_INET)
		return RMAP_NOMATCH;
	for (int i = 0; i < r->n; i++)
		if (prefix_match(&r->p[i], p))
			return RMAP_MATCH;
	return RMAP_NOMATCH;
}

static void nva_rule_free(void *rule)
{
	XFREE(MTYPE_NVA_RULE, rule);
}

static const struct route_map_rule_cmd nva_pfx_cmd = {
	NVA_RULE_PREFIX, nva_pfx_match, nva_pfx_compile, nva_rule_free,
};

/*
 * "vrs-nva-learned-from GROUP": the route about to be advertised was
 * learned from a member of peer-group GROUP. In an outbound route-map,
 * path->peer is the receiving peer; path->net is the route's destination,
 * and the path advertised is its selected one (the template's peer-group
 * uses no addpath). A walk of the destination's few paths and one string
 * compare per route: no lookup.
 */
static void *nva_learned_compile(const char *arg)
{
	return XSTRDUP(MTYPE_NVA_RULE, arg);
}

static enum route_map_cmd_result_t
nva_learned_match(void *rule, const struct prefix *p, void *object)
{
	const char *group = rule;
	struct bgp_path_info *path = object;
	struct bgp_path_info *pi;

	if (!path->net)
		return RMAP_NOMATCH;
	for (pi = bgp_dest_get_bgp_path_info(path->net); pi; pi = pi->next) {
		if (!CHECK_FLAG(pi->flags, BGP_PATH_SELECTED))
			continue;
		if (pi->peer && pi->peer->group &&
		    strcmp(pi->peer->group->name, group) == 0)
			return RMAP_MATCH;
		return RMAP_NOMATCH;
	}
	return RMAP_NOMATCH;
}

static const struct route_map_rule_cmd nva_learned_cmd = {
	NVA_RULE_LEARNED, nva_learned_match, nva_learned_compile,
	nva_rule_free,
};

/* "P1 P2 ..." for a vrs-nva-prefix rule. */
static void nva_pfx_arg(const struct prefix_ipv4 *p, int n, char *buf,
			size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += snprintfrr(buf + used, len - used, "%s%pFX",
				   i ? " " : "", (const struct prefix *)&p[i]);
}

static void nva_rmap_clear(struct route_map *map)
{
	while (map->head)
		route_map_index_delete(map->head, 0);
}

static void nva_policy_build(struct nva_template *tpl, as_t local_as)
{
	const struct nva_tpl_conf *c = &tpl->conf;
	char arg[NVA_PFX_MAX * (INET_ADDRSTRLEN + 4)];
	struct route_map_index *idx;
	struct route_map *map;
	struct nva_names n;
	char prepend[128] = "";

	nva_names(tpl->name, &n);
	if (c->role == NVA_ROLE_PASSIVE)
		for (int i = 0; i < c->prepend; i++)
			snprintfrr(prepend + strlen(prepend),
				 sizeof(prepend) - strlen(prepend), "%s%u",
				 i ? " " : "", local_as);

	map = route_map_get(n.rmap_out);
	nva_rmap_clear(map);
	/* Never back to the route server it came from (see the top). */
	idx = route_map_index_get(map, RMAP_DENY, 5);
	route_map_add_match(idx, NVA_RULE_LEARNED, n.group,
			    RMAP_EVENT_MATCH_ADDED);
	if (c->n_vnet) {
		idx = route_map_index_get(map, RMAP_DENY, 10);
		nva_pfx_arg(c->vnet, c->n_vnet, arg, sizeof(arg));
		route_map_add_match(idx, NVA_RULE_PREFIX, arg,
				    RMAP_EVENT_MATCH_ADDED);
	}
	if (c->n_noadv) {
		idx = route_map_index_get(map, RMAP_PERMIT, 20);
		nva_pfx_arg(c->noadv, c->n_noadv, arg, sizeof(arg));
		route_map_add_match(idx, NVA_RULE_PREFIX, arg,
				    RMAP_EVENT_MATCH_ADDED);
		/* bgpd's compile edits its argument: a writable copy. */
		char comm[] = "no-advertise additive";

		route_map_add_set(idx, "community", comm);
		if (prepend[0])
			route_map_add_set(idx, "as-path prepend", prepend);
	}
	idx = route_map_index_get(map, RMAP_PERMIT, 30);
	if (prepend[0])
		route_map_add_set(idx, "as-path prepend", prepend);

	map = route_map_get(n.rmap_in);
	nva_rmap_clear(map);
	route_map_index_get(map, RMAP_PERMIT, 10);
}

static bool nva_policy_changed(const struct nva_tpl_conf *a,
			       const struct nva_tpl_conf *b)
{
	return a->role != b->role || a->prepend != b->prepend ||
	       a->n_vnet != b->n_vnet || a->n_noadv != b->n_noadv ||
	       memcmp(a->vnet, b->vnet, sizeof(a->vnet)) != 0 ||
	       memcmp(a->noadv, b->noadv, sizeof(a->noadv)) != 0;
}

/* ---------------------------------------------------------------- apply */

static bool nva_conf_has_addr(const struct nva_tpl_conf *c, struct in_addr a)
{
	for (int i = 0; i < c->n_inst; i++)
		if (c->inst[i].s_addr == a.s_addr)
			return true;
	return false;
}

static void nva_group_settings(struct nva_template *tpl,
			       const struct nva_tpl_conf *old, bool fresh,
			       struct peer_group *group)
{
	const struct nva_tpl_conf *c = &tpl->conf;
	struct peer *conf = group->conf;
	struct bgp_filter *filter;
	struct nva_names n;

	nva_names(tpl->name, &n);
	if (conf->ttl != MAXTTL)
		peer_ebgp_multihop_set(conf, MAXTTL);
	if (fresh || strcmp(old->update_source, c->update_source) != 0) {
		union sockunion su;

		if (!c->update_source[0]) {
			if (CHECK_FLAG(conf->flags, PEER_FLAG_UPDATE_SOURCE))
				peer_update_source_unset(conf);
		} else if (str2sockunion(c->update_source, &su) == 0)
			peer_update_source_addr_set(conf, &su);
		else
			peer_update_source_if_set(conf, c->update_source);
	}
	if (fresh || old->profile != c->profile) {
		if (c->profile == NVA_PROFILE_FAST)
			peer_timers_set(conf, 1, 3);
		else
			peer_timers_set(conf, 60, 180);
	}
	if (!conf->afc[AFI_IP][SAFI_UNICAST])
		peer_activate(conf, AFI_IP, SAFI_UNICAST);
	if (!CHECK_FLAG(conf->af_flags[AFI_IP][SAFI_UNICAST],
			PEER_FLAG_AS_OVERRIDE))
		peer_af_flag_set(conf, AFI_IP, SAFI_UNICAST,
				 PEER_FLAG_AS_OVERRIDE);
	if (!CHECK_FLAG(conf->af_flags[AFI_IP][SAFI_UNICAST],
			PEER_FLAG_SOFT_RECONFIG))
		peer_af_flag_set(conf, AFI_IP, SAFI_UNICAST,
				 PEER_FLAG_SOFT_RECONFIG);
	filter = &conf->filter[AFI_IP][SAFI_UNICAST];
	if (!filter->map[RMAP_IN].name ||
	    strcmp(filter->map[RMAP_IN].name, n.rmap_in) != 0)
		peer_route_map_set(conf, AFI_IP, SAFI_UNICAST, RMAP_IN,
				   n.rmap_in, route_map_lookup_by_name(n.rmap_in));
	if (!filter->map[RMAP_OUT].name ||
	    strcmp(filter->map[RMAP_OUT].name, n.rmap_out) != 0)
		peer_route_map_set(conf, AFI_IP, SAFI_UNICAST, RMAP_OUT,
				   n.rmap_out,
				   route_map_lookup_by_name(n.rmap_out));
}

static void nva_member_bfd(struct peer *p, enum nva_profile profile)
{
	if (profile == NVA_PROFILE_FAST && !p->bfd_config) {
		bgp_peer_configure_bfd(p, true);
		bgp_peer_config_apply(p, NULL);
	} else if (profile != NVA_PROFILE_FAST && p->bfd_config)
		bgp_peer_remove_bfd_config(p);
}

void nva_bgp_apply(struct nva_template *tpl, const struct nva_tpl_conf *old)
{
	const struct nva_tpl_conf *c = &tpl->conf;
	struct bgp *bgp = nva_bgp_lookup(tpl->vrf);
	struct listnode *node, *nnode;
	struct peer_group *group;
	struct nva_names n;
	struct peer *p;
	bool fresh, policy;
	as_t as = NVA_RS_AS;

	tpl->error[0] = '\0';
	if (!bgp) {
		snprintfrr(tpl->error, sizeof(tpl->error),
			 "no BGP instance in VRF %s", tpl->vrf);
		return;
	}
	if (c->n_inst == 0) {
		if (tpl->applied)
			nva_bgp_remove(tpl);
		return;
	}
	if (nva_bgp_check_local_as(tpl->vrf, tpl->error, sizeof(tpl->error)) <
	    0) {
		zlog_warn("bgpd_nva: route-server-peering %s not applied: %s",
			  tpl->name, tpl->error);
		return;
	}
	nva_names(tpl->name, &n);
	fresh = !tpl->applied;
	policy = fresh || nva_policy_changed(old, c);
	if (policy)
		nva_policy_build(tpl, bgp->as);

	group = peer_group_lookup(bgp, n.group);
	if (!group) {
		group = peer_group_get(bgp, n.group);
		peer_group_remote_as(bgp, n.group, &as, AS_SPECIFIED);
		fresh = true;
	}
	nva_group_settings(tpl, old, fresh, group);
	tpl->applied = true;

	/* Members: drop the addresses no longer listed, add the new ones. */
	for (ALL_LIST_ELEMENTS(group->peer, node, nnode, p))
		if (!nva_conf_has_addr(c, p->su.sin.sin_addr))
			peer_delete(p);
	for (int i = 0; i < c->n_inst; i++) {
		union sockunion su = {};
		int ret;

		su.sin.sin_family = AF_INET;
		su.sin.sin_addr = c->inst[i];
		p = peer_lookup(bgp, &su);
		if (p && p->group == group)
			continue;
		if (p) {
			snprintfrr(tpl->error, sizeof(tpl->error),
				 "neighbor %pI4 is configured by hand; remove it so that the template can peer it",
				 &c->inst[i]);
			zlog_warn("bgpd_nva: route-server-peering %s: %s",
				  tpl->name, tpl->error);
			continue;
		}
		ret = peer_group_bind(bgp, &su, NULL, group, &as);
		if (ret < 0) {
			snprintfrr(tpl->error, sizeof(tpl->error),
				 "cannot create neighbor %pI4 (bgpd error %d)",
				 &c->inst[i], ret);
			zlog_warn("bgpd_nva: route-server-peering %s: %s",
				  tpl->name, tpl->error);
		}
	}
	for (ALL_LIST_ELEMENTS(group->peer, node, nnode, p)) {
		nva_member_bfd(p, c->profile);
		/* Policy changed in place: re-run it, no session reset. */
		if (policy && !fresh)
			peer_clear_soft(p, AFI_IP, SAFI_UNICAST,
					BGP_CLEAR_SOFT_BOTH);
	}
}

void nva_bgp_remove(struct nva_template *tpl)
{
	struct bgp *bgp = nva_bgp_lookup(tpl->vrf);
	struct peer_group *group = NULL;
	struct route_map *map;
	struct nva_names n;

	nva_names(tpl->name, &n);
	if (bgp)
		group = peer_group_lookup(bgp, n.group);
	if (group) {
		/* Unreference the route-maps before they go. */
		peer_route_map_unset(group->conf, AFI_IP, SAFI_UNICAST, RMAP_IN);
		peer_route_map_unset(group->conf, AFI_IP, SAFI_UNICAST,
				     RMAP_OUT);
		peer_group_delete(group);
	}
	if ((map = route_map_lookup_by_name(n.rmap_in)))
		route_map_delete(map);
	if ((map = route_map_lookup_by_name(n.rmap_out)))
		route_map_delete(map);
	tpl->applied = false;
}

/* ---------------------------------------------------------------- show */

static void nva_peer_json(struct peer *peer, json_object *jp)
{
	struct peer_af *paf = peer_af_find(peer, AFI_IP, SAFI_UNICAST);

	json_object_string_add(jp, "state",
			       lookup_msg(bgp_status_msg, peer->status, NULL));
	json_object_boolean_add(
		jp, "asOverride",
		CHECK_FLAG(peer->af_flags[AFI_IP][SAFI_UNICAST],
			   PEER_FLAG_AS_OVERRIDE));
	json_object_int_add(jp, "pfxRcd", peer->pcount[AFI_IP][SAFI_UNICAST]);
	json_object_int_add(jp, "pfxSnt",
			    (paf && PAF_SUBGRP(paf)) ? PAF_SUBGRP(paf)->scount
						     : 0);
}

void nva_bgp_rs_peers_json(const char *vrf, struct json_object *peers,
			   struct json_object *warnings)
{
	struct bgp *bgp = nva_bgp_lookup(vrf);
	struct listnode *node;
	struct peer *peer;
	unsigned int n = 0;
	char buf[256];

	if (!bgp)
		return;
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		json_object *jp;
		bool override;

		if (!CHECK_FLAG(peer->flags, PEER_FLAG_CONFIG_NODE))
			continue;
		if (peer->as != NVA_RS_AS || bgp->as == NVA_RS_AS)
			continue;
		/* A shut-down instance is not peered. */
		if (!CHECK_FLAG(peer->flags, PEER_FLAG_SHUTDOWN))
			n++;
		override = CHECK_FLAG(peer->af_flags[AFI_IP][SAFI_UNICAST],
				      PEER_FLAG_AS_OVERRIDE);
		jp = json_object_new_object();
		nva_peer_json(peer, jp);
		if (peer->group && nva_group_template(bgp, peer->group->name))
			json_object_string_add(
				jp, "template",
				peer->group->name + strlen(NVA_OBJ_PREFIX));
		json_object_object_add(peers, peer->host, jp);
		if (!override) {
			snprintfrr(buf, sizeof(buf),
				 "no as-override towards %s: routes whose AS path carries %u (from another route server) are dropped by it",
				 peer->host, NVA_RS_AS);
			json_object_array_add(warnings,
					      json_object_new_string(buf));
		}
	}
	if (n == 1) {
		snprintfrr(buf, sizeof(buf),
			 "only one route-server instance peered: the VMs programmed by the other instance miss these routes");
		json_object_array_add(warnings, json_object_new_string(buf));
	}
}

void nva_bgp_template_json(struct nva_template *tpl,
			   struct json_object *instances,
			   struct json_object *warnings)
{
	struct bgp *bgp = nva_bgp_lookup(tpl->vrf);
	const struct nva_tpl_conf *c = &tpl->conf;
	struct nva_names n;
	char buf[64];

	nva_names(tpl->name, &n);
	for (int i = 0; i < c->n_inst; i++) {
		json_object *jp = json_object_new_object();
		union sockunion su = {};
		struct peer *peer = NULL;

		su.sin.sin_family = AF_INET;
		su.sin.sin_addr = c->inst[i];
		if (bgp)
			peer = peer_lookup(bgp, &su);
		if (peer && peer->group &&
		    strcmp(peer->group->name, n.group) == 0) {
			nva_peer_json(peer, jp);
			json_object_boolean_add(jp, "bfd",
						peer->bfd_config != NULL);
		} else
			json_object_string_add(jp, "state", "notCreated");
		snprintfrr(buf, sizeof(buf), "%pI4", &c->inst[i]);
		json_object_object_add(instances, buf, jp);
	}
}

/* ---------------------------------------------------------------- glue */

bool nva_bgp_group_owned(struct bgp *bgp, const char *group)
{
	struct nva_template *tpl = nva_group_template(bgp, group);

	return tpl && tpl->applied;
}

static int nva_inst_config_write(struct bgp *bgp, struct vty *vty)
{
	nva_config_write_vrf(nva_vrf_name(bgp), vty);
	return 0;
}

static int nva_inst_delete(struct bgp *bgp)
{
	nva_inst_delete_vrf(nva_vrf_name(bgp));
	return 0;
}

void nva_bgp_hooks_register(void)
{
	hook_register(bgp_inst_config_write, nva_inst_config_write);
	hook_register(bgp_inst_delete, nva_inst_delete);
}

void nva_bgp_init(void)
{
	route_map_install_match(&nva_learned_cmd);
	route_map_install_match(&nva_pfx_cmd);
}
