// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the file that reads bgpd's internal structures. It builds a
 * template's route-maps through libfrr's API, checks the user's bgpd
 * lines of the instance neighbors, and writes into no FRR struct.
 *
 * One owner per setting: the neighbors (remote-as 65515, multihop,
 * update-source, timers and BFD of the profile, as-override, the two
 * route-maps) are the user's bgpd lines, written by bgpd in its
 * running-config as for any neighbor. The template declares them
 * ("show route-server-peering NAME bgp-config" prints the block) and
 * reports what is missing or differs ("bgpConfig"); it never sets them,
 * so frr-reload.py and the module never fight. The template owns:
 *   route-map VRS-NVA-<name>-OUT:
 *     deny 5    match vrs-nva-learned-from <instance addresses>
 *     deny 10   match vrs-nva-prefix <vnet-prefix...>
 *     permit 20 match vrs-nva-prefix <no-advertise...>
 *               set community no-advertise additive [+ prepend]
 *     permit 30 [set as-path prepend <local AS> x prepend] (passive role)
 *   route-map VRS-NVA-<name>-IN: permit 10.
 * Route-maps built through the library API are not YANG data: FRR does
 * not write them, the template lines re-create them.
 *
 * No echo: "deny 5" drops every route whose selected path was learned
 * from one of the template's instance neighbors. Without it, a route the
 * route server passed on (another NVA's prefix, the VNet) would go back
 * to both instances, and as-override (applied by bgpd before the
 * outbound route-map) replaces 65515 in its AS path, so the route server
 * would accept it as new. The rule looks at where the route came from,
 * not at its attributes: it needs no tag on the route (nothing reaches
 * zebra or other peers) and does not depend on the AS path that
 * as-override rewrites. Routes learned through another template (another
 * route server) still go out: that is how an NVA carries routes between
 * two route servers.
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

/* Names of what a template declares: its route-maps (built here) and the
 * peer-group its bgpd lines use (written by the user). */
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

static bool nva_conf_has_addr(const struct nva_tpl_conf *c, struct in_addr a)
{
	for (int i = 0; i < c->n_inst; i++)
		if (c->inst[i].s_addr == a.s_addr)
			return true;
	return false;
}

struct nva_addr_find {
	struct in_addr a;
	struct nva_template *tpl;
};

static void nva_addr_find_cb(struct nva_template *tpl, void *arg)
{
	struct nva_addr_find *f = arg;

	if (!f->tpl && nva_conf_has_addr(&tpl->conf, f->a))
		f->tpl = tpl;
}

/* The template whose instances include a neighbor, if any. */
static struct nva_template *nva_peer_template(struct bgp *bgp,
					      const struct peer *peer)
{
	struct nva_addr_find f = {};

	if (peer->su.sa.sa_family != AF_INET)
		return NULL;
	f.a = peer->su.sin.sin_addr;
	nva_template_walk(nva_vrf_name(bgp), nva_addr_find_cb, &f);
	return f.tpl;
}

/* An instance's neighbor in bgpd (configured by the user), or NULL. */
static struct peer *nva_inst_peer(struct bgp *bgp, struct in_addr a)
{
	union sockunion su = {};

	su.sin.sin_family = AF_INET;
	su.sin.sin_addr = a;
	return bgp ? peer_lookup(bgp, &su) : NULL;
}

/* ---------------------------------------------------------------- checks */

int nva_bgp_check_local_as(const char *vrf, bool asn_4byte, char *errmsg,
			   size_t len)
{
	uint32_t as = nva_bgp_local_as(vrf);
	char reason[256];

	if (!as) {
		snprintfrr(errmsg, len, "no BGP instance in VRF %s", vrf);
		return -1;
	}
	if (vrs_asn_check_named(as, VRS_ROLE_NVA, asn_4byte,
				VRS_ASN_OPT_IN_NVA, reason,
				sizeof(reason)) == VRS_ASN_OK)
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

/*
 * The neighbors themselves are the user's bgpd lines (declared model):
 * whether they exist, or how they are configured, is reported by the
 * show commands (bgpConfig), never refused here, since either side may
 * change later.
 */
int nva_bgp_check_instances(const char *vrf, const char *tpl_name,
			    const struct in_addr *addrs, int n, char *errmsg,
			    size_t len)
{
	struct bgp *bgp = nva_bgp_lookup(vrf);

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
	for (int i = 0; i < n; i++)
		if (nva_check_addr(bgp, addrs[i], errmsg, len) < 0)
			return -1;
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
 * "vrs-nva-learned-from A [B]": the route about to be advertised was
 * learned from one of the listed neighbors (a template's instances). In
 * an outbound route-map, path->peer is the receiving peer; path->net is
 * the route's destination, and the path advertised is its selected one
 * (the template's neighbors use no addpath). A walk of the destination's
 * few paths and an address compare per route: no lookup, no allocation.
 */
struct nva_learned_rule {
	uint8_t n;
	struct in_addr a[2];
};

static void *nva_learned_compile(const char *arg)
{
	struct nva_learned_rule *r;
	char buf[2 * INET_ADDRSTRLEN + 2];
	char *tok, *save = NULL;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		return NULL;
	r = XCALLOC(MTYPE_NVA_RULE, sizeof(*r));
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (r->n >= array_size(r->a) ||
		    inet_pton(AF_INET, tok, &r->a[r->n]) != 1) {
			XFREE(MTYPE_NVA_RULE, r);
			return NULL;
		}
		r->n++;
	}
	return r;
}

static enum route_map_cmd_result_t
nva_learned_match(void *rule, const struct prefix *p, void *object)
{
	const struct nva_learned_rule *r = rule;
	struct bgp_path_info *path = object;
	struct bgp_path_info *pi;

	if (!path->net)
		return RMAP_NOMATCH;
	for (pi = bgp_dest_get_bgp_path_info(path->net); pi; pi = pi->next) {
		if (!CHECK_FLAG(pi->flags, BGP_PATH_SELECTED))
			continue;
		if (!pi->peer || pi->peer->su.sa.sa_family != AF_INET)
			return RMAP_NOMATCH;
		for (int i = 0; i < r->n; i++)
			if (pi->peer->su.sin.sin_addr.s_addr == r->a[i].s_addr)
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
	if (c->n_inst) {
		idx = route_map_index_get(map, RMAP_DENY, 5);
		snprintfrr(arg, sizeof(arg), "%pI4%s", &c->inst[0],
			   c->n_inst > 1 ? " " : "");
		if (c->n_inst > 1)
			snprintfrr(arg + strlen(arg), sizeof(arg) - strlen(arg),
				   "%pI4", &c->inst[1]);
		route_map_add_match(idx, NVA_RULE_LEARNED, arg,
				    RMAP_EVENT_MATCH_ADDED);
	}
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
	       a->n_inst != b->n_inst ||
	       memcmp(a->inst, b->inst, sizeof(a->inst)) != 0 ||
	       memcmp(a->vnet, b->vnet, sizeof(a->vnet)) != 0 ||
	       memcmp(a->noadv, b->noadv, sizeof(a->noadv)) != 0;
}

/* ---------------------------------------------------------------- apply */

/* Re-run the template's policy on its established neighbors (no reset). */
static void nva_soft_clear(struct bgp *bgp, const struct nva_tpl_conf *c)
{
	for (int i = 0; i < c->n_inst; i++) {
		struct peer *p = nva_inst_peer(bgp, c->inst[i]);

		if (p && peer_established(p))
			peer_clear_soft(p, AFI_IP, SAFI_UNICAST,
					BGP_CLEAR_SOFT_BOTH);
	}
}

/*
 * The template's own objects are its two route-maps; the neighbors are
 * the user's bgpd lines, checked (not written) by nva_bgp_conf_json().
 */
void nva_bgp_apply(struct nva_template *tpl, const struct nva_tpl_conf *old)
{
	struct bgp *bgp = nva_bgp_lookup(tpl->vrf);
	bool fresh;

	tpl->error[0] = '\0';
	if (!bgp) {
		snprintfrr(tpl->error, sizeof(tpl->error),
			 "no BGP instance in VRF %s", tpl->vrf);
		return;
	}
	if (nva_bgp_check_local_as(tpl->vrf, tpl->asn_4byte, tpl->error,
				   sizeof(tpl->error)) < 0) {
		zlog_warn("bgpd_nva: route-server-peering %s not applied: %s",
			  tpl->name, tpl->error);
		return;
	}
	fresh = !tpl->applied;
	if (!fresh && !nva_policy_changed(old, &tpl->conf))
		return;
	nva_policy_build(tpl, bgp->as);
	tpl->applied = true;
	/* Old instances lose the echo rule, new ones get it: both re-run. */
	if (!fresh)
		nva_soft_clear(bgp, old);
	nva_soft_clear(bgp, &tpl->conf);
}

void nva_bgp_remove(struct nva_template *tpl)
{
	struct route_map *map;
	struct nva_names n;

	nva_names(tpl->name, &n);
	if ((map = route_map_lookup_by_name(n.rmap_in)))
		route_map_delete(map);
	if ((map = route_map_lookup_by_name(n.rmap_out)))
		route_map_delete(map);
	tpl->applied = false;
}

/* ---------------------------------------------------------------- bgpd lines */

/*
 * What a template needs from the user's bgpd lines for each instance
 * neighbor: required rows (without them the template's rules do not
 * apply: the sessions, the echo rule, as-override between route
 * servers) and profile rows (timers and BFD of the template's profile;
 * "drift" when they differ). The lines suggested name the neighbor's
 * peer-group if it has one, else the neighbor.
 */
enum nva_conf_level { NVA_CONF_REQUIRED, NVA_CONF_PROFILE };

struct nva_conf_ctx {
	const struct nva_template *tpl;
	const struct nva_names *n;
	const struct peer *peer;
};

struct nva_conf_row {
	const char *key;
	enum nva_conf_level level;
	bool af;
	/* NULL when fine, else the line (without "neighbor X "). */
	const char *(*check)(const struct nva_conf_ctx *c, char *buf,
			     size_t len);
};

static const char *nva_row_remote_as(const struct nva_conf_ctx *c, char *buf,
				     size_t len)
{
	if (c->peer->as_type == AS_SPECIFIED && c->peer->as == NVA_RS_AS)
		return NULL;
	snprintf(buf, len, "remote-as %u", NVA_RS_AS);
	return buf;
}

static const char *nva_row_multihop(const struct nva_conf_ctx *c, char *buf,
				    size_t len)
{
	if (c->peer->ttl > 1)
		return NULL;
	snprintf(buf, len, "ebgp-multihop 255");
	return buf;
}

static bool nva_same_source(const struct peer *peer, const char *want)
{
	char have[SU_ADDRSTRLEN];

	if (peer->update_if)
		return strcmp(peer->update_if, want) == 0;
	if (!peer->update_source)
		return false;
	sockunion2str(peer->update_source, have, sizeof(have));
	return strcmp(have, want) == 0;
}

static const char *nva_row_source(const struct nva_conf_ctx *c, char *buf,
				  size_t len)
{
	const char *want = c->tpl->conf.update_source;

	if (!want[0] || nva_same_source(c->peer, want))
		return NULL;
	snprintf(buf, len, "update-source %s", want);
	return buf;
}

static void nva_profile_timers(enum nva_profile p, uint32_t *ka,
			       uint32_t *hold)
{
	*ka = p == NVA_PROFILE_FAST ? 1 : 60;
	*hold = p == NVA_PROFILE_FAST ? 3 : 180;
}

static const char *nva_row_timers(const struct nva_conf_ctx *c, char *buf,
				  size_t len)
{
	const struct peer *peer = c->peer;
	uint32_t ka, hold, want_ka, want_hold;

	if (CHECK_FLAG(peer->flags, PEER_FLAG_TIMER)) {
		ka = peer->keepalive;
		hold = peer->holdtime;
	} else {
		ka = peer->bgp->default_keepalive;
		hold = peer->bgp->default_holdtime;
	}
	nva_profile_timers(c->tpl->conf.profile, &want_ka, &want_hold);
	if (ka == want_ka && hold == want_hold)
		return NULL;
	snprintf(buf, len, "timers %u %u", want_ka, want_hold);
	return buf;
}

static const char *nva_row_bfd(const struct nva_conf_ctx *c, char *buf,
			       size_t len)
{
	bool want = c->tpl->conf.profile == NVA_PROFILE_FAST;

	if ((c->peer->bfd_config != NULL) == want)
		return NULL;
	snprintf(buf, len, "%sbfd", want ? "" : "no ");
	return buf;
}

static const char *nva_row_activate(const struct nva_conf_ctx *c, char *buf,
				    size_t len)
{
	if (c->peer->afc[AFI_IP][SAFI_UNICAST])
		return NULL;
	snprintf(buf, len, "activate");
	return buf;
}

static const char *nva_row_override(const struct nva_conf_ctx *c, char *buf,
				    size_t len)
{
	if (CHECK_FLAG(c->peer->af_flags[AFI_IP][SAFI_UNICAST],
		       PEER_FLAG_AS_OVERRIDE))
		return NULL;
	snprintf(buf, len, "as-override");
	return buf;
}

static const char *nva_row_map(const struct nva_conf_ctx *c, int dir,
			       const char *want, char *buf, size_t len)
{
	const char *have = c->peer->filter[AFI_IP][SAFI_UNICAST].map[dir].name;

	if (have && strcmp(have, want) == 0)
		return NULL;
	snprintf(buf, len, "route-map %s %s", want,
		 dir == RMAP_IN ? "in" : "out");
	return buf;
}

static const char *nva_row_map_in(const struct nva_conf_ctx *c, char *buf,
				  size_t len)
{
	return nva_row_map(c, RMAP_IN, c->n->rmap_in, buf, len);
}

static const char *nva_row_map_out(const struct nva_conf_ctx *c, char *buf,
				   size_t len)
{
	return nva_row_map(c, RMAP_OUT, c->n->rmap_out, buf, len);
}

static const struct nva_conf_row nva_conf_rows[] = {
	{ "remoteAs", NVA_CONF_REQUIRED, false, nva_row_remote_as },
	{ "ebgpMultihop", NVA_CONF_REQUIRED, false, nva_row_multihop },
	{ "updateSource", NVA_CONF_REQUIRED, false, nva_row_source },
	{ "timers", NVA_CONF_PROFILE, false, nva_row_timers },
	{ "bfd", NVA_CONF_PROFILE, false, nva_row_bfd },
	{ "activate", NVA_CONF_REQUIRED, true, nva_row_activate },
	{ "asOverride", NVA_CONF_REQUIRED, true, nva_row_override },
	{ "routeMapIn", NVA_CONF_REQUIRED, true, nva_row_map_in },
	{ "routeMapOut", NVA_CONF_REQUIRED, true, nva_row_map_out },
};

static void nva_conf_add(json_object *arr, const char *line)
{
	size_t n = json_object_array_length(arr);

	/* Members of one peer-group report the same group line once. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
				   json_object_array_get_idx(arr, i)),
			   line) == 0)
			return;
	json_object_array_add(arr, json_object_new_string(line));
}

/*
 * "bgpConfig" of a template: the bgpd lines to add so that each instance
 * neighbor is configured as the template declares ("missing": required;
 * "drift": the profile's timers and BFD). AF lines are prefixed with
 * "address-family ipv4 unicast: ".
 */
void nva_bgp_conf_json(struct nva_template *tpl, struct json_object *jt)
{
	struct bgp *bgp = nva_bgp_lookup(tpl->vrf);
	const struct nva_tpl_conf *c = &tpl->conf;
	json_object *je = json_object_new_object();
	json_object *jm = json_object_new_array();
	json_object *jd = json_object_new_array();
	struct nva_names n;
	char buf[96], line[200];

	nva_names(tpl->name, &n);
	for (int i = 0; bgp && i < c->n_inst; i++) {
		struct peer *peer = nva_inst_peer(bgp, c->inst[i]);
		struct nva_conf_ctx ctx = { .tpl = tpl, .n = &n, .peer = peer };
		const char *target;

		if (!peer) {
			snprintfrr(line, sizeof(line),
				   "neighbor %pI4 peer-group %s", &c->inst[i],
				   n.group);
			nva_conf_add(jm, line);
			continue;
		}
		target = peer->group ? peer->group->name : peer->host;
		for (size_t r = 0; r < array_size(nva_conf_rows); r++) {
			const struct nva_conf_row *row = &nva_conf_rows[r];
			const char *what = row->check(&ctx, buf, sizeof(buf));

			if (!what)
				continue;
			if (strncmp(what, "no ", 3) == 0)
				snprintf(line, sizeof(line),
					 "%sno neighbor %s %s",
					 row->af ? "address-family ipv4 unicast: "
						 : "",
					 target, what + 3);
			else
				snprintf(line, sizeof(line),
					 "%sneighbor %s %s",
					 row->af ? "address-family ipv4 unicast: "
						 : "",
					 target, what);
			nva_conf_add(row->level == NVA_CONF_REQUIRED ? jm : jd,
				     line);
		}
	}
	json_object_boolean_add(je, "complete",
				bgp && json_object_array_length(jm) == 0);
	json_object_object_add(je, "missing", jm);
	json_object_object_add(je, "drift", jd);
	json_object_object_add(jt, "bgpConfig", je);
}

/*
 * The bgpd lines a template declares, as a block to paste (one
 * peer-group VRS-NVA-<name> holding the instance neighbors).
 */
void nva_bgp_conf_lines(struct nva_template *tpl, struct vty *vty)
{
	const struct nva_tpl_conf *c = &tpl->conf;
	struct nva_names n;
	uint32_t ka, hold;

	nva_names(tpl->name, &n);
	nva_profile_timers(c->profile, &ka, &hold);
	vty_out(vty, " ! route-server-peering %s\n", tpl->name);
	vty_out(vty, " neighbor %s peer-group\n", n.group);
	/* In the order bgpd writes them in running-config. */
	vty_out(vty, " neighbor %s remote-as %u\n", n.group, NVA_RS_AS);
	if (c->profile == NVA_PROFILE_FAST)
		vty_out(vty, " neighbor %s bfd\n", n.group);
	vty_out(vty, " neighbor %s ebgp-multihop 255\n", n.group);
	if (c->update_source[0])
		vty_out(vty, " neighbor %s update-source %s\n", n.group,
			c->update_source);
	if (c->profile == NVA_PROFILE_FAST)
		vty_out(vty, " neighbor %s timers %u %u\n", n.group, ka, hold);
	for (int i = 0; i < c->n_inst; i++)
		vty_out(vty, " neighbor %pI4 peer-group %s\n", &c->inst[i],
			n.group);
	vty_out(vty, " address-family ipv4 unicast\n");
	vty_out(vty, "  neighbor %s as-override\n", n.group);
	vty_out(vty, "  neighbor %s route-map %s in\n", n.group, n.rmap_in);
	vty_out(vty, "  neighbor %s route-map %s out\n", n.group, n.rmap_out);
	vty_out(vty, " exit-address-family\n");
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
		struct nva_template *tpl;
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
		tpl = nva_peer_template(bgp, peer);
		if (tpl)
			json_object_string_add(jp, "template", tpl->name);
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
	char buf[64];

	for (int i = 0; i < c->n_inst; i++) {
		json_object *jp = json_object_new_object();
		struct peer *peer = nva_inst_peer(bgp, c->inst[i]);

		if (peer) {
			nva_peer_json(peer, jp);
			json_object_boolean_add(jp, "bfd",
						peer->bfd_config != NULL);
			if (peer->group)
				json_object_string_add(jp, "peerGroup",
						       peer->group->name);
		} else
			json_object_string_add(jp, "state", "notConfigured");
		snprintfrr(buf, sizeof(buf), "%pI4", &c->inst[i]);
		json_object_object_add(instances, buf, jp);
	}
}

/* ---------------------------------------------------------------- glue */

static int nva_inst_config_write(struct bgp *bgp, struct vty *vty)
{
	nva_config_write_vrf(nva_vrf_name(bgp), vty);
	return 0;
}

static int nva_inst_delete(struct bgp *bgp)
{
	nva_inst_delete_vrf(nva_vrf_name(bgp), bm->terminating);
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
