// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: the Azure CLI's shapes of the route server's shows, so that an
 * engineer's scripts and habits carry over (`... az` next to `... json`):
 *
 *   show route-server az                  az network routeserver show
 *   show route-server neighbor A
 *        learned-routes az                az network routeserver peering
 *                                            list-learned-routes
 *        advertised-routes az                list-advertised-routes
 *   show route-server effective-routes
 *        vm NAME az                       az network nic
 *                                            show-effective-route-table
 *
 * Same field names, nesting and value spellings as the az CLI (recorded
 * field sets in topotests/rs_show). Routes are grouped per route-server
 * instance under "RouteServiceRole_IN_<n>"; one bgpd is one instance (the
 * n of its "route-server fabric ... instance n", 0 without one), so each
 * bgpd prints its own group: merging two instances' outputs is a JSON
 * object merge (README: "Explain a route, and az-shaped output").
 *
 * Values the cloud fills and the emulation has no notion of (resource
 * ids, etags, locations, resource groups) are null. Learned routes carry
 * the az values origin "EBgp" (eBGP neighbors; "IBgp" for the gateways)
 * and weight 32768, advertised ones origin "Igp" and weight 0; AS paths
 * are joined with "-" as az prints them. Only accepted routes are
 * "learned" (the FRR-shaped learned-routes also lists dropped ones).
 *
 * No bgpd struct here: routes come from bgp_rs_bgp.c as plain views.
 */
#include <zebra.h>

#include "json.h"
#include "vty.h"

#include "bgp_rs.h"

uint32_t rs_az_instance(const struct rs_instance *rsi)
{
	return rsi->fabric.socket[0] ? rsi->fabric.instance_id : 0;
}

const char *rs_az_group(struct rs_instance *rsi, char *buf, size_t len)
{
	snprintf(buf, len, "RouteServiceRole_IN_%u", rs_az_instance(rsi));
	return buf;
}

static const char *rs_az_hub_pref(enum vrs_hub_pref pref)
{
	switch (pref) {
	case VRS_HUB_PREF_EXPRESSROUTE:
		return "ExpressRoute";
	case VRS_HUB_PREF_VPN_GATEWAY:
		return "VpnGateway";
	case VRS_HUB_PREF_AS_PATH:
		return "ASPath";
	case VRS_HUB_PREF_COUNT:
		break;
	}
	return "ExpressRoute";
}

void rs_az_show(struct rs_instance *rsi, struct json_object *json)
{
	char ips[16][48];
	size_t n = rs_bgp_local_addrs(rsi, ips, array_size(ips));
	json_object *ja, *jo;

	if (n > array_size(ips))
		n = array_size(ips);
	json_object_boolean_add(json, "allowBranchToBranchTraffic",
				rsi->branch_to_branch);
	json_object_object_add(json, "etag", NULL);
	json_object_string_add(json, "hubRoutingPreference",
			       rs_az_hub_pref(rsi->hub_pref));
	json_object_object_add(json, "id", NULL);
	json_object_string_add(json, "kind", "RouteServer");
	json_object_object_add(json, "location", NULL);
	json_object_string_add(json, "name",
			       rsi->vnet_name[0] ? rsi->vnet_name : rsi->vrf);
	json_object_string_add(json, "provisioningState", "Succeeded");
	json_object_object_add(json, "resourceGroup", NULL);
	jo = json_object_new_object();
	json_object_object_add(jo, "routes", json_object_new_array());
	json_object_object_add(json, "routeTable", jo);
	json_object_string_add(json, "routingState", "Provisioned");
	json_object_string_add(json, "sku", "Standard");
	json_object_string_add(json, "type", "Microsoft.Network/virtualHubs");
	json_object_object_add(json, "virtualHubRouteTableV2s",
			       json_object_new_array());
	json_object_int_add(json, "virtualRouterAsn", RS_LOCAL_AS);
	jo = json_object_new_object();
	json_object_int_add(jo, "minCapacity", 2);
	json_object_object_add(json, "virtualRouterAutoScaleConfiguration", jo);
	ja = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ja, json_object_new_string(ips[i]));
	json_object_object_add(json, "virtualRouterIps", ja);
}

/* "65515 65001 {1,2}" -> "65515-65001-{1,2}" (az's spelling). */
static void rs_az_as_path(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = in[i] == ' ' ? '-' : in[i];
	if (len)
		out[i] = '\0';
}

struct rs_az_walk {
	bool advertised;
	json_object *list;
};

static void rs_az_route(const struct rs_route_view *v, void *arg)
{
	struct rs_az_walk *w = arg;
	char buf[RS_VIEW_ASPATH], pfx[64];
	json_object *jr;

	if (!w->advertised && !v->accepted)
		return;
	jr = json_object_new_object();
	rs_az_as_path(v->as_path, buf, sizeof(buf));
	json_object_string_add(jr, "asPath", buf);
	json_object_string_add(jr, "localAddress", v->local_addr);
	json_object_string_add(jr, "network",
			       vrs_prefix_str(&v->prefix, pfx, sizeof(pfx)));
	json_object_string_add(jr, "nextHop", v->nexthop);
	if (w->advertised) {
		json_object_string_add(jr, "origin", "Igp");
		json_object_int_add(jr, "weight", 0);
	} else {
		json_object_string_add(jr, "origin", v->ebgp ? "EBgp" : "IBgp");
		json_object_string_add(jr, "sourcePeer", v->peer);
		json_object_int_add(jr, "weight", 32768);
	}
	json_object_array_add(w->list, jr);
}

int rs_az_routes(struct rs_instance *rsi, const char *addr, bool advertised,
		 struct vty *vty, struct json_object *json)
{
	struct rs_az_walk w = { .advertised = advertised };
	char err[128], group[32];

	w.list = json_object_new_array();
	if (rs_bgp_route_walk(rsi, addr, advertised, rs_az_route, &w, err,
			      sizeof(err)) < 0) {
		json_object_put(w.list);
		vty_out(vty, "%% %s\n", err);
		return -1;
	}
	json_object_object_add(json, rs_az_group(rsi, group, sizeof(group)),
			       w.list);
	return 0;
}

/* Azure lists the VNet's own and peered spaces as source "Default". */
static const char *rs_az_source(enum vrs_eff_source src)
{
	return src == VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY
		       ? "VirtualNetworkGateway"
		       : "Default";
}

void rs_az_effective(const struct vrs_eff_route *eff, size_t n,
		     struct json_object *json)
{
	json_object *jv = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		const struct vrs_eff_route *r = &eff[i];
		json_object *jr = json_object_new_object();
		json_object *jp = json_object_new_array();
		json_object *jn = json_object_new_array();
		char buf[64];

		json_object_array_add(jp, json_object_new_string(vrs_prefix_str(
						  &r->prefix, buf, sizeof(buf))));
		for (size_t j = 0; j < r->n_nexthops; j++)
			json_object_array_add(
				jn, json_object_new_string(vrs_addr_str(
					    &r->nexthops[j], buf, sizeof(buf))));
		json_object_object_add(jr, "addressPrefix", jp);
		json_object_boolean_add(jr, "disableBgpRoutePropagation",
					false);
		json_object_object_add(jr, "name", NULL);
		json_object_object_add(jr, "nextHopIpAddress", jn);
		json_object_string_add(jr, "nextHopType",
				       vrs_eff_nh_type_name(r->nh_type));
		json_object_string_add(jr, "source", rs_az_source(r->source));
		json_object_string_add(jr, "state",
				       vrs_eff_state_name(r->state));
		json_object_array_add(jv, jr);
	}
	json_object_object_add(json, "value", jv);
}
