// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: show route-server explain PREFIX [vm NAME|vnet VNET] [json].
 *
 * "Why is this route (not) on my VM?" in one command. For one prefix:
 *   - candidates: what every neighbor sent, the inbound verdict and its
 *     reason (asLoop, totalLimit, policy...), or why the neighbor sends
 *     nothing (session down, route limit exceeded, not managed);
 *   - selection: the hub routing preference, the AS-path lengths, the
 *     ECMP set the policy core (vrs_select) picks for the VMs and why
 *     each other candidate lost (hubRoutingPreference or asPathLength);
 *   - coverage: per VNet, whether the route reaches its VMs or a system
 *     route (the VNet's or a peered VNet's space) wins (vrs_effective),
 *     or this route server does not program that VNet at all;
 *   - outbound: per neighbor, the verdict of vrs_outbound (noAdvertise,
 *     branchToBranchOff, expressRouteCap, splitHorizon...) and what bgpd
 *     actually advertises, as the neighbor receives it;
 *   - with vnet VNET: what this instance published to the vnet-agent in
 *     that VNet's table; with vm NAME the same for the VM's VNet, which
 *     the agent says (the VMs are the agent's; the kernel side too:
 *     where to look is said).
 * Text and JSON are rendered from one walk. No bgpd struct here: the
 * facts come from bgp_rs_bgp.c (rs_bgp_explain) as plain structs.
 */
#include <zebra.h>

#include "json.h"
#include "memory.h"
#include "vty.h"

#include "bgp_rs.h"
#include "bgp_rs_fabric.h"

DEFINE_MTYPE_STATIC(VRS_RS, RS_EXPLAIN, "Route-server explain");

#define RS_EXPLAIN_MAX_VNETS (RS_MAX_PEERINGS + 1)

/* The selection for the VMs, computed from the candidates. */
struct rs_sel {
	size_t n_cand;
	size_t cand_nbr[RS_EXPLAIN_MAX_NBRS]; /* candidate -> ex->nbr index */
	struct vrs_candidate cand[RS_EXPLAIN_MAX_NBRS];
	size_t n_sel;
	size_t sel[RS_EXPLAIN_MAX_NBRS]; /* candidate indices */
	struct vrs_addr nhs[RS_EXPLAIN_MAX_NBRS];
	size_t n_nhs;
};

/* Coverage of one VNet. */
struct rs_cov {
	char vnet[VRS_VNET_NAME_MAX];
	bool programmed; /* this route server programs its VMs */
	bool present;	 /* the route is in its effective routes */
	bool active;
	char covered_by[64];
};

struct rs_explain_ctx {
	struct rs_instance *rsi;
	struct rs_explain *ex;
	struct rs_sel sel;
	struct rs_cov cov[RS_EXPLAIN_MAX_VNETS];
	size_t n_cov;
	char pfx[64];
	struct vty *vty;
	json_object *json;
};

/* Peering route-maps (issue 15, part 3) ------------------------------------ */

static const char *rs_rmap_verdict_text(enum vrs_rmap_verdict v,
					enum vrs_rmap_dir dir)
{
	switch (v) {
	case VRS_RMAP_PERMITTED:
		return "permits it unchanged";
	case VRS_RMAP_MODIFIED:
		return "permits it and changes its AS path or communities";
	case VRS_RMAP_DENIED:
		return dir == VRS_RMAP_IN ? "denies it: dropped"
					  : "denies it: withheld from this neighbor";
	case VRS_RMAP_NOT_DEFINED:
		return "is not defined: a missing route-map denies every route (as in bgpd)";
	case VRS_RMAP_EXEMPT:
		return "is not applied: the VNet address space the route server advertises cannot be changed or withheld by a route map";
	case VRS_RMAP_NOT_REACHED:
		return dir == VRS_RMAP_IN
			       ? "not reached: the route server's own inbound rules dropped the route first"
			       : "not reached: the route server has no route to send";
	case VRS_RMAP_SUMMARIZED:
		return "summarizes it: withheld from this neighbor, which gets the map's summary instead";
	case VRS_RMAP_SUMMARY:
		return "is not applied: this is the map's summary, advertised by the route server with AS path 65515 and no communities";
	case VRS_RMAP_NONE:
	case VRS_RMAP_VERDICT_COUNT:
		break;
	}
	return "";
}

void rs_rmap_view_json(json_object *jr, const struct rs_route_view *v,
		       enum vrs_rmap_dir dir)
{
	json_object *jm, *ji;

	if (!v->rmap[0])
		return;
	jm = json_object_new_object();
	ji = json_object_new_array();
	json_object_string_add(jm, "name", v->rmap);
	json_object_string_add(jm, "direction", vrs_rmap_dir_name(dir));
	json_object_string_add(jm, "verdict",
			       vrs_rmap_verdict_name(v->rmap_verdict));
	if (v->rmap_ignored & VRS_RMAP_IGN_AS_PATH)
		json_object_array_add(ji, json_object_new_string("asPath4Byte"));
	if (v->rmap_ignored & VRS_RMAP_IGN_OTHER)
		json_object_array_add(ji,
				      json_object_new_string("otherAttributes"));
	json_object_object_add(jm, "ignored", ji);
	if (v->rmap_verdict == VRS_RMAP_SUMMARIZED) {
		char buf[VRS_PREFIX_STRLEN];

		json_object_string_add(jm, "summary",
				       vrs_prefix_str(&v->rmap_summary, buf,
						      sizeof(buf)));
	}
	json_object_object_add(jr, "routeMap", jm);
}

void rs_rmap_view_text(struct vty *vty, const struct rs_route_view *v,
		       enum vrs_rmap_dir dir, const char *indent)
{
	if (!v->rmap[0])
		return;
	vty_out(vty, "%sroute-map %s (%s) %s\n", indent, v->rmap,
		vrs_rmap_dir_name(dir),
		rs_rmap_verdict_text(v->rmap_verdict, dir));
	if (v->rmap_verdict == VRS_RMAP_SUMMARIZED) {
		char buf[VRS_PREFIX_STRLEN];

		vty_out(vty, "%ssummarized into %s for this neighbor\n",
			indent,
			vrs_prefix_str(&v->rmap_summary, buf, sizeof(buf)));
	}
	if (v->rmap_ignored & VRS_RMAP_IGN_AS_PATH)
		vty_out(vty,
			"%s  violation: its AS-path change adds a 4-byte ASN (route maps on peerings take 2-byte ASNs only): AS path kept\n",
			indent);
	if (v->rmap_ignored & VRS_RMAP_IGN_OTHER)
		vty_out(vty,
			"%s  violation: it changes other attributes (next hop, MED, local preference, weight, origin, large/extended communities): ignored, only AS path and communities are taken\n",
			indent);
}

static const char *rs_in_reason_text(const char *reason)
{
	if (!reason)
		return "";
	if (strcmp(reason, "asLoop") == 0)
		return "the AS path already contains 65515, the route server's own AS (the sender needs as-override or an AS-path rewrite towards a route server)";
	if (strcmp(reason, "totalLimit") == 0)
		return "the route server already holds its total route limit";
	if (strcmp(reason, "peerLimit") == 0)
		return "the UPDATE carrying it exceeded the neighbor's route limit";
	if (strcmp(reason, "invalidPrefix") == 0)
		return "not a valid prefix";
	if (strcmp(reason, "familyDisabled") == 0)
		return "IPv6 is off on this route server (dual stack is the opt-in 'route-server ipv6'; Azure's route server has no IPv6)";
	if (strcmp(reason, "notManaged") == 0)
		return "the neighbor is not managed (its bgpd configuration no longer fits its role, see show route-server): every route from it is dropped";
	if (strcmp(reason, "routeMap") == 0)
		return "the neighbor's inbound route-map (route-server neighbor ... route-map NAME in) denies it";
	if (strcmp(reason, "policy") == 0)
		return "dropped by bgpd's inbound policy (neighbor not managed, or a route-map)";
	return reason;
}

static const char *rs_out_reason_text(enum vrs_out_reason r)
{
	switch (r) {
	case VRS_OUT_ADVERTISED:
		return "advertised";
	case VRS_OUT_NO_ADVERTISE:
		return "the route carries NO_ADVERTISE (65535:65282): programmed into VMs, advertised to no peer";
	case VRS_OUT_BRANCH_TO_BRANCH_OFF:
		return "branch-to-branch is off: no route exchange between NVAs and VNet gateways";
	case VRS_OUT_SPLIT_HORIZON:
		return "learned from this neighbor: not sent back";
	case VRS_OUT_NO_EXPORT:
		return "the route carries NO_EXPORT: not sent to eBGP peers (NVAs)";
	case VRS_OUT_ER_CAP:
		return "the ExpressRoute cap is reached: at most 1,000 routes towards ExpressRoute";
	case VRS_OUT_REASON_COUNT:
		break;
	}
	return "";
}

#define RS_ECHO_TEXT                                                           \
	"learned from this neighbor: bgpd sends it back with 65515 prepended and the neighbor's AS-loop check drops it (with as-override the NVA must filter routes learned from the route server)"

static const char *rs_nbr_role(const struct rs_explain_nbr *e)
{
	return e->has_role ? vrs_role_name(e->role) : "unassigned";
}

/* Why a neighbor contributes nothing, or NULL if it could. */
static const char *rs_nbr_down_reason(const struct rs_explain_nbr *e,
				      char *buf, size_t len)
{
	if (!e->has_role) {
		snprintf(buf, len,
			 "no route-server role: its routes are not used (route-server neighbor %s role ...)",
			 e->addr);
		return buf;
	}
	if (e->unmanaged[0]) {
		snprintf(buf, len, "not managed: %s", e->unmanaged);
		return buf;
	}
	if (e->established)
		return NULL;
	if (e->limit_teardowns && (e->limit_exceeded || e->last_limit[0])) {
		snprintf(buf, len,
			 "session %s: route limit exceeded (%s); clear bgp %s restarts it",
			 e->state, e->last_limit, e->addr);
		return buf;
	}
	if (e->limit_exceeded) {
		snprintf(buf, len,
			 "session %s: route limit exceeded; clear bgp %s restarts it",
			 e->state, e->addr);
		return buf;
	}
	snprintf(buf, len,
		 "session %s with this instance (an NVA must peer with both route-server instances)",
		 e->state);
	return buf;
}

/* Selection --------------------------------------------------------------- */

static void rs_explain_select(struct rs_explain_ctx *c)
{
	struct rs_explain *ex = c->ex;
	struct rs_sel *s = &c->sel;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < ex->n; i++) {
		const struct rs_explain_nbr *e = &ex->nbr[i];

		if (!e->usable)
			continue;
		s->cand_nbr[s->n_cand] = i;
		s->cand[s->n_cand].role = e->role;
		s->cand[s->n_cand].as_path_len = e->in.as_path_len;
		s->cand[s->n_cand].peer_id = i;
		s->n_cand++;
	}
	if (!s->n_cand)
		return;
	s->n_sel = vrs_select(c->rsi->hub_pref, s->cand, s->n_cand, s->sel,
			      array_size(s->sel));
	if (s->n_sel > array_size(s->sel))
		s->n_sel = array_size(s->sel);
	for (size_t i = 0; i < s->n_sel; i++) {
		const struct rs_explain_nbr *e = &ex->nbr[s->cand_nbr[s->sel[i]]];
		struct vrs_addr a;

		if (vrs_addr_parse(e->in.nexthop, &a) == 0)
			s->nhs[s->n_nhs++] = a;
	}
}

static bool rs_is_selected(const struct rs_sel *s, size_t cand)
{
	for (size_t i = 0; i < s->n_sel; i++)
		if (s->sel[i] == cand)
			return true;
	return false;
}

/* Candidate index of neighbor i, or -1. */
static int rs_cand_of(const struct rs_sel *s, size_t nbr)
{
	for (size_t i = 0; i < s->n_cand; i++)
		if (s->cand_nbr[i] == nbr)
			return (int)i;
	return -1;
}

/*
 * Why candidate ci lost to the selected set: the first key of the
 * preference's order on which it differs from the winner. Asked of the
 * policy core: with the winner's AS-path length it would tie (lost on
 * the length), with the winner's role it would tie (lost on the source);
 * when both differ, the preference's order decides (as-path: length
 * first, the others: source first).
 */
static const char *rs_loss_reason(const struct rs_explain_ctx *c, size_t ci)
{
	const struct rs_sel *s = &c->sel;
	const struct vrs_candidate *best = &s->cand[s->sel[0]];
	struct vrs_candidate same_len = s->cand[ci], same_role = s->cand[ci];
	enum vrs_hub_pref pref = c->rsi->hub_pref;

	same_len.as_path_len = best->as_path_len;
	same_role.role = best->role;
	if (vrs_select_cmp(pref, &same_len, best) == 0)
		return "asPathLength";
	if (vrs_select_cmp(pref, &same_role, best) == 0)
		return "hubRoutingPreference";
	return pref == VRS_HUB_PREF_AS_PATH ? "asPathLength"
					    : "hubRoutingPreference";
}

/* Coverage ------------------------------------------------------------------ */

static void rs_explain_coverage(struct rs_explain_ctx *c)
{
	struct vrs_vnet vnets[RS_EXPLAIN_MAX_VNETS];
	const struct vrs_vnet *prog[RS_EXPLAIN_MAX_VNETS];
	struct vrs_bgp_route br = {};
	struct vrs_eff_opts opts;
	struct vrs_eff_route *eff;
	size_t n_vnets, n_prog, cap = 1 + RS_MAX_SPACES * (RS_MAX_PEERINGS + 2);

	n_vnets = rs_instance_vnets(c->rsi, vnets, array_size(vnets));
	if (n_vnets > array_size(vnets))
		n_vnets = array_size(vnets);
	n_prog = vrs_rs_programmed_vnets(vnets, n_vnets, &vnets[0], prog,
					 array_size(prog));
	if (n_prog > array_size(prog))
		n_prog = array_size(prog);
	vrs_eff_opts_init(&opts);
	opts.include_default = false;
	opts.include_invalid = true;
	br.prefix = c->ex->prefix;
	br.nexthops = c->sel.nhs;
	br.n_nexthops = c->sel.n_nhs;
	eff = XCALLOC(MTYPE_RS_EXPLAIN, cap * sizeof(*eff));
	for (size_t v = 0; v < n_vnets && c->n_cov < array_size(c->cov); v++) {
		struct rs_cov *cv = &c->cov[c->n_cov++];
		size_t n;

		strlcpy(cv->vnet, vnets[v].name, sizeof(cv->vnet));
		for (size_t j = 0; j < n_prog; j++)
			cv->programmed |= prog[j] == &vnets[v];
		if (!cv->programmed || !c->sel.n_sel)
			continue;
		n = vrs_effective_routes(vnets, n_vnets, &vnets[v], &vnets[0],
					 &br, 1, &opts, eff, cap);
		if (n > cap)
			n = cap;
		for (size_t i = 0; i < n; i++) {
			if (eff[i].source != VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY ||
			    vrs_prefix_cmp(&eff[i].prefix, &c->ex->prefix))
				continue;
			cv->present = true;
			cv->active = eff[i].state == VRS_EFF_ACTIVE;
			if (!cv->active)
				vrs_prefix_str(&eff[i].covered_by,
					       cv->covered_by,
					       sizeof(cv->covered_by));
			break;
		}
	}
	XFREE(MTYPE_RS_EXPLAIN, eff);
}

/* Rendering ------------------------------------------------------------------ */

static void rs_explain_candidates(struct rs_explain_ctx *c)
{
	struct rs_explain *ex = c->ex;
	json_object *ja = c->json ? json_object_new_array() : NULL;

	if (!ja)
		vty_out(c->vty, "Candidates (hub routing preference %s):\n",
			vrs_hub_pref_name(c->rsi->hub_pref));
	for (size_t i = 0; i < ex->n; i++) {
		const struct rs_explain_nbr *e = &ex->nbr[i];
		const char *verdict, *reason = NULL, *why = NULL;
		const char *loss = NULL, *winner = NULL;
		int ci = rs_cand_of(&c->sel, i);
		bool selected = ci >= 0 && rs_is_selected(&c->sel, ci);
		char dbuf[400];
		const char *down = rs_nbr_down_reason(e, dbuf, sizeof(dbuf));

		if (e->received && e->in.accepted && e->established &&
		    e->has_role && !e->unmanaged[0])
			verdict = "accepted";
		else if (e->received && !e->in.accepted) {
			verdict = "dropped";
			reason = e->in.reason;
			why = rs_in_reason_text(reason);
		} else if (down) {
			verdict = e->has_role && !e->unmanaged[0] ? "sessionDown"
								  : "notUsed";
			reason = verdict;
			why = down;
		} else {
			verdict = "notReceived";
		}
		if (ci >= 0 && !selected && c->sel.n_sel) {
			loss = rs_loss_reason(c, ci);
			winner = ex->nbr[c->sel.cand_nbr[c->sel.sel[0]]].addr;
		}
		if (ja) {
			json_object *jc = json_object_new_object();

			json_object_string_add(jc, "neighbor", e->addr);
			json_object_string_add(jc, "role", rs_nbr_role(e));
			json_object_int_add(jc, "remoteAs", e->remote_as);
			json_object_string_add(jc, "state", e->state);
			json_object_boolean_add(jc, "received", e->received);
			json_object_string_add(jc, "verdict", verdict);
			if (reason)
				json_object_string_add(jc, "reason", reason);
			if (why)
				json_object_string_add(jc, "reasonText", why);
			if (e->received) {
				json_object_string_add(jc, "nextHop",
						       e->in.nexthop);
				json_object_string_add(jc, "asPath",
						       e->in.as_path);
				json_object_int_add(jc, "asPathLength",
						    e->in.as_path_len);
				json_object_string_add(jc, "communities",
						       e->in.communities);
				json_object_boolean_add(
					jc, "noAdvertise",
					e->in.flags & VRS_RT_NO_ADVERTISE);
			}
			rs_rmap_view_json(jc, &e->in, VRS_RMAP_IN);
			json_object_boolean_add(jc, "selected", selected);
			json_object_boolean_add(jc, "bgpBestPath", e->bgp_best);
			if (loss) {
				json_object_string_add(jc, "lossReason", loss);
				json_object_string_add(jc, "lostTo", winner);
			}
			if (e->has_role) {
				json_object_int_add(jc, "routeLimit",
						    e->route_limit);
				json_object_int_add(jc, "limitTeardowns",
						    e->limit_teardowns);
				json_object_boolean_add(jc, "routeLimitExceeded",
							e->limit_exceeded);
			}
			json_object_array_add(ja, jc);
			continue;
		}
		vty_out(c->vty, "  %s (%s, AS %u, %s): %s", e->addr,
			rs_nbr_role(e), e->remote_as, e->state, verdict);
		if (e->received)
			vty_out(c->vty, ", next hop %s, AS path \"%s\" (length %u)%s",
				e->in.nexthop, e->in.as_path,
				e->in.as_path_len,
				e->in.flags & VRS_RT_NO_ADVERTISE
					? ", NO_ADVERTISE"
					: "");
		if (selected)
			vty_out(c->vty, "; SELECTED");
		if (loss)
			vty_out(c->vty, "; lost to %s: %s", winner, loss);
		vty_out(c->vty, "\n");
		if (why)
			vty_out(c->vty, "      %s\n", why);
		rs_rmap_view_text(c->vty, &e->in, VRS_RMAP_IN, "      ");
	}
	if (ja)
		json_object_object_add(c->json, "candidates", ja);
}

static void rs_explain_selection(struct rs_explain_ctx *c)
{
	const struct rs_sel *s = &c->sel;
	json_object *js = NULL, *je = NULL, *jn = NULL;
	char buf[64];

	if (c->json) {
		js = json_object_new_object();
		je = json_object_new_array();
		jn = json_object_new_array();
		json_object_string_add(js, "hubRoutingPreference",
				       vrs_hub_pref_name(c->rsi->hub_pref));
		json_object_int_add(js, "candidates", s->n_cand);
	} else {
		vty_out(c->vty, "Selection for the VMs: ");
	}
	for (size_t i = 0; i < s->n_sel; i++) {
		const struct rs_explain_nbr *e =
			&c->ex->nbr[s->cand_nbr[s->sel[i]]];

		if (je)
			json_object_array_add(je,
					      json_object_new_string(e->addr));
		else
			vty_out(c->vty, "%s%s", i ? ", " : "", e->addr);
	}
	for (size_t i = 0; jn && i < s->n_nhs; i++)
		json_object_array_add(jn, json_object_new_string(vrs_addr_str(
						  &s->nhs[i], buf, sizeof(buf))));
	if (js) {
		json_object_object_add(js, "ecmp", je);
		json_object_object_add(js, "nextHops", jn);
		if (s->n_sel)
			json_object_int_add(js, "asPathLength",
					    s->cand[s->sel[0]].as_path_len);
		json_object_object_add(c->json, "selection", js);
		return;
	}
	if (s->n_sel)
		vty_out(c->vty, " (%zu path%s, AS-path length %u)\n", s->n_sel,
			s->n_sel > 1 ? "s, ECMP" : "",
			s->cand[s->sel[0]].as_path_len);
	else
		vty_out(c->vty, "none (no usable candidate)\n");
}

static void rs_explain_cov_render(struct rs_explain_ctx *c)
{
	json_object *ja = c->json ? json_object_new_array() : NULL;

	if (!ja)
		vty_out(c->vty, "Coverage (system routes win over BGP routes):\n");
	for (size_t i = 0; i < c->n_cov; i++) {
		const struct rs_cov *cv = &c->cov[i];
		const char *st;

		if (!cv->programmed)
			st = "notProgrammed";
		else if (!c->sel.n_sel && c->ex->has_best &&
			 c->ex->best_src == VRS_SRC_VNET && !c->ex->best_peer[0])
			st = "systemRoute";
		else if (!c->sel.n_sel)
			st = "noRoute";
		else if (cv->active)
			st = "active";
		else if (cv->present)
			st = "coveredBySystemRoute";
		else
			st = "noRoute";
		if (ja) {
			json_object *jc = json_object_new_object();

			json_object_string_add(jc, "vnet", cv->vnet);
			json_object_boolean_add(jc, "programmed",
						cv->programmed);
			json_object_string_add(jc, "state", st);
			if (cv->covered_by[0])
				json_object_string_add(jc, "coveredBy",
						       cv->covered_by);
			json_object_array_add(ja, jc);
			continue;
		}
		vty_out(c->vty, "  VNet %s: %s", cv->vnet, st);
		if (!cv->programmed)
			vty_out(c->vty,
				" (this route server does not program its VMs: a peering without remote-uses-gateway / allow-gateway-transit)");
		else if (cv->covered_by[0])
			vty_out(c->vty,
				" (system route %s wins, even over a more specific BGP route)",
				cv->covered_by);
		vty_out(c->vty, "\n");
	}
	if (ja)
		json_object_object_add(c->json, "coverage", ja);
}

static void rs_explain_outbound(struct rs_explain_ctx *c)
{
	struct rs_explain *ex = c->ex;
	struct vrs_outbound_settings set;
	json_object *ja = c->json ? json_object_new_array() : NULL;

	vrs_outbound_settings_init(&set);
	set.branch_to_branch = c->rsi->branch_to_branch;
	if (!ja)
		vty_out(c->vty, "Outbound (branch-to-branch %s):\n",
			set.branch_to_branch ? "on" : "off");
	for (size_t i = 0; i < ex->n; i++) {
		const struct rs_explain_nbr *e = &ex->nbr[i];
		struct vrs_outbound_query q = {};
		struct vrs_outbound_result res = {};
		const char *verdict, *reason, *text = NULL;

		if (!ex->has_best) {
			verdict = "withheld";
			reason = "noRoute";
			text = "the route server has no route for the prefix";
		} else if (!e->has_role) {
			verdict = e->sent ? "advertised" : "withheld";
			reason = "noRole";
			text = "no route-server role: bgpd's own policy applies";
		} else if (!e->established) {
			verdict = "withheld";
			reason = "sessionDown";
			text = "the session is not Established";
		} else {
			q.src = ex->best_src;
			q.flags = ex->best_flags;
			q.dst = e->role;
			q.dst_sent = ex->er_sent;
			q.dst_has_route = e->er_has;
			vrs_outbound_decide(&set, &q, &res);
			verdict = res.advertise ? "advertised" : "withheld";
			reason = vrs_out_reason_name(res.reason);
			if (!res.advertise)
				text = rs_out_reason_text(res.reason);
			/* The neighbor bgpd's best path came from: bgpd sends
			 * eBGP routes back (the receiver's AS-loop check drops
			 * them), never iBGP ones to their originator. */
			/* Then the neighbor's own outbound map, if bgpd's
			 * line chains it (the VNet space is exempt). */
			if (res.advertise && e->rmap_out_applied &&
			    (e->out.rmap_verdict == VRS_RMAP_DENIED ||
			     e->out.rmap_verdict == VRS_RMAP_NOT_DEFINED)) {
				res.advertise = false;
				verdict = "withheld";
				reason = "routeMap";
				text = "the neighbor's outbound route-map (route-server neighbor ... route-map NAME out) denies it";
			}
			/* Or the map's summary goes instead. */
			if (res.advertise && e->rmap_out_applied &&
			    e->out.rmap_verdict == VRS_RMAP_SUMMARIZED) {
				res.advertise = false;
				verdict = "withheld";
				reason = "summarized";
				text = "inside a summary of the neighbor's outbound route-map (route-server route-map NAME summarize PREFIX): the summary is sent instead";
			}
			/* A summary goes only where its map is applied. */
			if (res.advertise && ex->best_summary &&
			    !(e->rmap_out_applied &&
			      e->out.rmap_verdict == VRS_RMAP_SUMMARY)) {
				res.advertise = false;
				verdict = "withheld";
				reason = "summary";
				text = "a route-map summary of the route server: only neighbors whose applied outbound route-map has it get it";
			}
			if (res.advertise && ex->best_peer[0] &&
			    strcmp(ex->best_peer, e->addr) == 0) {
				verdict = e->sent ? "advertised" : "withheld";
				reason = e->sent ? "echo"
						 : vrs_out_reason_name(
							   VRS_OUT_SPLIT_HORIZON);
				text = e->sent ? RS_ECHO_TEXT
					       : rs_out_reason_text(
							 VRS_OUT_SPLIT_HORIZON);
			}
		}
		if (ja) {
			json_object *jo = json_object_new_object();

			json_object_string_add(jo, "neighbor", e->addr);
			json_object_string_add(jo, "role", rs_nbr_role(e));
			json_object_string_add(jo, "verdict", verdict);
			json_object_string_add(jo, "reason", reason);
			if (text)
				json_object_string_add(jo, "reasonText", text);
			json_object_boolean_add(jo, "sent", e->sent);
			rs_rmap_view_json(jo, &e->out, VRS_RMAP_OUT);
			if (e->out.rmap[0]) {
				json_object *jm = json_object_object_get(
					jo, "routeMap");

				json_object_boolean_add(jm, "applied",
							e->rmap_out_applied);
				if (!e->rmap_out_applied)
					json_object_string_add(
						jm, "bgpConfigMissing",
						e->rmap_out_line);
			}
			if (e->sent) {
				json_object_string_add(jo, "nextHop",
						       e->out.nexthop);
				json_object_string_add(jo, "asPath",
						       e->out.as_path);
			}
			json_object_array_add(ja, jo);
			continue;
		}
		vty_out(c->vty, "  %s (%s): %s", e->addr, rs_nbr_role(e),
			verdict);
		if (e->sent)
			vty_out(c->vty, ", sent with next hop %s, AS path \"%s\"",
				e->out.nexthop, e->out.as_path);
		else if (res.advertise)
			vty_out(c->vty, ", not in bgpd's advertisements yet");
		vty_out(c->vty, "\n");
		if (text)
			vty_out(c->vty, "      %s: %s\n", reason, text);
		rs_rmap_view_text(c->vty, &e->out, VRS_RMAP_OUT, "      ");
		if (e->out.rmap[0] && !e->rmap_out_applied)
			vty_out(c->vty,
				"      not applied yet: bgpd's line must name the chained map, add (address-family %s unicast) '%s'\n",
				strchr(e->addr, ':') ? "ipv6" : "ipv4",
				e->rmap_out_line);
	}
	if (ja)
		json_object_object_add(c->json, "outbound", ja);
}

static const struct rs_cov *rs_cov_of(const struct rs_explain_ctx *c,
				      const char *vnet)
{
	for (size_t i = 0; i < c->n_cov; i++)
		if (strcmp(c->cov[i].vnet, vnet) == 0)
			return &c->cov[i];
	return NULL;
}

#define RS_KERNEL_HINT                                                         \
	"the kernel routes are the vnet-agent's: its status and the routes in the VM's network namespace (ip -n NAMESPACE route show PREFIX) say whether it applied them"

/*
 * What this instance published for one VNet (vnet VNET), or for the VNet
 * of one VM (vm NAME: vi is what the agent said about it).
 */
static void rs_explain_fabric(struct rs_explain_ctx *c, const char *vm,
			      const struct rs_fabric_vm_info *vi,
			      const char *vnet, char *summary, size_t slen)
{
	const struct rs_cov *cv = rs_cov_of(c, vnet);
	struct rs_fabric_route_info fi;
	json_object *jv, *jf, *jn;
	char who[128];

	if (vm)
		snprintf(who, sizeof(who), "VM %s (VNet %s)", vm, vnet);
	else
		snprintf(who, sizeof(who), "VNet %s", vnet);
	memset(&fi, 0, sizeof(fi));
	rs_fabric_route_info(vnet,
			     c->ex->prefix.addr.family == VRS_AF_IPV4 ? AF_INET
								      : AF_INET6,
			     c->ex->prefix.addr.bytes, c->ex->prefix.len, &fi);
	if (!fi.state)
		fi.state = "unknown";
	if (!cv || !cv->programmed)
		snprintf(summary, slen,
			 "%s is not on %s: this route server does not program VNet %s",
			 c->pfx, who, vnet);
	else if (!c->sel.n_sel)
		summary[0] = '\0'; /* the prefix's summary says why */
	else if (!cv->active)
		snprintf(summary, slen,
			 "%s is not on %s: system route %s of VNet %s wins",
			 c->pfx, who, cv->covered_by, vnet);
	else if (!fi.enabled)
		snprintf(summary, slen,
			 "%s is selected for %s, but no fabric is configured: nothing is programmed (route-server fabric socket ...)",
			 c->pfx, who);
	else if (!fi.route)
		snprintf(summary, slen,
			 "%s is selected for %s but not published yet (fabric state %s)",
			 c->pfx, who, fi.state);
	else
		snprintf(summary, slen,
			 "%s is published for %s by instance %u%s",
			 c->pfx, who, fi.instance_id,
			 fi.in_sync ? " and acknowledged by the agent"
				    : ", the agent has not acknowledged it (not connected or in flight)");
	if (!c->json) {
		vty_out(c->vty, "%s:\n", who);
		if (vi) {
			char in_use[16] = "none";

			if (vi->in_use >= 0)
				snprintf(in_use, sizeof(in_use), "%d",
					 vi->in_use);
			vty_out(c->vty,
				"  Agent: %s, assigned instance %d, in use %s, table %u%s%s\n",
				vi->ip, vi->assigned, in_use, vi->table,
				vi->netns[0] ? ", namespace " : "", vi->netns);
		}
		vty_out(c->vty, "  Effective route: %s\n",
			!cv || !cv->programmed ? "not programmed by this route server"
			: !c->sel.n_sel	       ? "none"
			: cv->active	       ? "Active"
					       : "Invalid (covered by a system route)");
		vty_out(c->vty,
			"  Fabric: instance %u%s%s, %s, agent %s; route %s",
			fi.instance_id, fi.instance_name[0] ? " " : "",
			fi.instance_name,
			fi.enabled ? "configured" : "not configured", fi.state,
			fi.route ? "published" : "not published");
		for (size_t i = 0; i < fi.n_nexthops; i++)
			vty_out(c->vty, "%s%s", i ? ", " : " via ",
				fi.nexthops[i]);
		vty_out(c->vty, "%s\n",
			fi.route ? (fi.route_sent ? ", sent to the agent"
						  : ", not sent to the agent yet")
				 : "");
		vty_out(c->vty, "  Kernel: %s\n", RS_KERNEL_HINT);
		return;
	}
	jv = json_object_new_object();
	jf = json_object_new_object();
	jn = json_object_new_array();
	if (vm)
		json_object_string_add(jv, "name", vm);
	json_object_string_add(jv, "vnet", vnet);
	if (vi) {
		json_object_string_add(jv, "ip", vi->ip);
		json_object_int_add(jv, "assignedInstance", vi->assigned);
		json_object_int_add(jv, "instanceInUse", vi->in_use);
		json_object_int_add(jv, "table", vi->table);
		json_object_string_add(jv, "netns", vi->netns);
	}
	json_object_boolean_add(jv, "vnetProgrammed", cv && cv->programmed);
	json_object_string_add(jv, "effectiveState",
			       !cv || !cv->programmed || !c->sel.n_sel
				       ? "absent"
			       : cv->active ? "Active"
					    : "Invalid");
	json_object_boolean_add(jf, "enabled", fi.enabled);
	json_object_string_add(jf, "socketPath", fi.socket);
	json_object_int_add(jf, "instanceId", fi.instance_id);
	json_object_string_add(jf, "instanceName", fi.instance_name);
	json_object_string_add(jf, "state", fi.state);
	json_object_boolean_add(jf, "connected", fi.connected);
	json_object_boolean_add(jf, "inSync", fi.in_sync);
	json_object_boolean_add(jf, "vnetPublished", fi.vnet_published);
	json_object_boolean_add(jf, "routePublished", fi.route);
	json_object_boolean_add(jf, "routeSentToAgent", fi.route_sent);
	for (size_t i = 0; i < fi.n_nexthops; i++)
		json_object_array_add(jn,
				      json_object_new_string(fi.nexthops[i]));
	json_object_object_add(jf, "nextHops", jn);
	json_object_object_add(jv, "fabric", jf);
	json_object_string_add(jv, "kernel", RS_KERNEL_HINT);
	json_object_object_add(c->json, vm ? "vm" : "vnet", jv);
}

/* One sentence: why the prefix is (not) on the VMs. */
static void rs_explain_summary(struct rs_explain_ctx *c, char *buf,
			       size_t len)
{
	struct rs_explain *ex = c->ex;
	size_t off = 0;
	bool any_rx = false;

	if (c->sel.n_sel) {
		const struct rs_cov *first_active = NULL, *first_cov = NULL;

		for (size_t i = 0; i < c->n_cov; i++) {
			if (c->cov[i].active && !first_active)
				first_active = &c->cov[i];
			if (c->cov[i].present && !c->cov[i].active && !first_cov)
				first_cov = &c->cov[i];
		}
		if (first_active)
			off = snprintf(buf, len,
				       "%s is selected for the VMs (%zu next hop%s) and active in VNet %s",
				       c->pfx, c->sel.n_nhs,
				       c->sel.n_nhs > 1 ? "s, ECMP" : "",
				       first_active->vnet);
		else if (first_cov)
			off = snprintf(buf, len,
				       "%s is selected but on no VM: system route %s of VNet %s wins",
				       c->pfx, first_cov->covered_by,
				       first_cov->vnet);
		else
			off = snprintf(buf, len,
				       "%s is selected but this route server programs no VNet",
				       c->pfx);
		(void)off;
		return;
	}
	if (ex->has_best && ex->best_src == VRS_SRC_VNET && !ex->best_peer[0]) {
		snprintf(buf, len,
			 "%s is this route server's own address space (advertised to the NVAs, a system route for the VMs)",
			 c->pfx);
		return;
	}
	off = snprintf(buf, len, "%s is on no VM:", c->pfx);
	for (size_t i = 0; i < ex->n && off < len; i++) {
		const struct rs_explain_nbr *e = &ex->nbr[i];
		char dbuf[400];

		if (e->received && !e->in.accepted) {
			any_rx = true;
			off += snprintf(buf + off, len - off,
					" dropped from %s (%s);", e->addr,
					e->in.reason);
		} else if (e->has_role &&
			   rs_nbr_down_reason(e, dbuf, sizeof(dbuf))) {
			off += snprintf(buf + off, len - off, " %s: %s;",
					e->addr, dbuf);
		}
	}
	if (!any_rx && off < len)
		snprintf(buf + off, len - off,
			 " no usable neighbor advertises it");
	else if (off < len && off && buf[off - 1] == ';')
		buf[off - 1] = '\0';
}

int rs_explain_show(struct rs_instance *rsi, const char *prefix,
		    const char *vm, const char *vnet, struct vty *vty,
		    struct json_object *json)
{
	struct rs_explain_ctx *c;
	struct vrs_prefix p;
	struct rs_fabric_vm_info vi;
	char reason[256], summary[1024] = "", vsum[512] = "", group[32];

	if (vrs_prefix_parse(prefix, &p, reason, sizeof(reason))) {
		vty_out(vty, "%% %s\n", reason);
		return -1;
	}
	if (vm) {
		reason[0] = '\0';
		memset(&vi, 0, sizeof(vi));
		if (rs_fabric_query_vm(vm, &vi, reason, sizeof(reason)) < 0) {
			vty_out(vty,
				"%% no VM %s: %s (VMs are declared to vnet-agent; 'explain PREFIX vnet NAME' needs no agent)\n",
				vm, reason[0] ? reason : "the vnet-agent does not know it");
			return -1;
		}
		vnet = vi.vnet;
	}
	c = XCALLOC(MTYPE_RS_EXPLAIN, sizeof(*c));
	c->ex = XCALLOC(MTYPE_RS_EXPLAIN, sizeof(*c->ex));
	c->rsi = rsi;
	c->vty = vty;
	c->json = json;
	vrs_prefix_str(&p, c->pfx, sizeof(c->pfx));
	rs_bgp_explain(rsi, &p, c->ex);
	rs_explain_select(c);
	rs_explain_coverage(c);
	rs_explain_summary(c, summary, sizeof(summary));
	rs_az_group(rsi, group, sizeof(group));

	if (json) {
		json_object *ji = json_object_new_object();

		json_object_string_add(json, "prefix", c->pfx);
		json_object_string_add(json, "vrf", rsi->vrf);
		json_object_int_add(ji, "id", rs_az_instance(rsi));
		json_object_string_add(ji, "name", rsi->fabric.instance_name);
		json_object_string_add(ji, "azGroup", group);
		json_object_string_add(
			ji, "scope",
			"this bgpd is one route-server instance: it knows its own sessions only; the other instance is another bgpd (run explain there too)");
		json_object_object_add(json, "instance", ji);
		json_object_string_add(json, "hubRoutingPreference",
				       vrs_hub_pref_name(rsi->hub_pref));
		json_object_boolean_add(json, "branchToBranch",
					rsi->branch_to_branch);
		json_object_boolean_add(json, "bgpBestPath", c->ex->has_best);
		if (c->ex->has_best)
			json_object_string_add(json, "bgpBestSource",
					       vrs_source_name(c->ex->best_src));
	} else {
		vty_out(vty,
			"Route server explain %s (VRF %s, instance %u = %s; this bgpd's sessions only)\n",
			c->pfx, rsi->vrf, rs_az_instance(rsi), group);
		vty_out(vty, "Verdict: %s\n", summary);
	}
	rs_explain_candidates(c);
	rs_explain_selection(c);
	rs_explain_cov_render(c);
	rs_explain_outbound(c);
	if (vnet)
		rs_explain_fabric(c, vm, vm ? &vi : NULL, vnet, vsum,
				  sizeof(vsum));
	if (json) {
		json_object_string_add(json, "summary", summary);
		if (vnet)
			json_object_string_add(json,
					       vm ? "vmSummary" : "vnetSummary",
					       vsum[0] ? vsum : summary);
	} else if (vnet && vsum[0]) {
		vty_out(vty, "%s verdict: %s\n", vm ? "VM" : "VNet", vsum);
	}
	XFREE(MTYPE_RS_EXPLAIN, c->ex);
	XFREE(MTYPE_RS_EXPLAIN, c);
	return 0;
}
