// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: vtysh commands (DEFPY_YANG), their running-config renderers and
 * the show commands.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "northbound_cli.h"
#include "vty.h"

#include "bgpd/bgpd.h"

#include "bgp_rs.h"
#include "vrs_frr.h"

#ifndef VTYSH_EXTRACT_PL
#include "bgp_rs_cli_clippy.h"
#endif

/* Refuses route-server commands outside "router bgp 65515". */
static struct bgp *rs_cli_bgp(struct vty *vty)
{
	struct bgp *bgp = VTY_GET_CONTEXT(bgp);

	if (!bgp) {
		vty_out(vty, "%% No BGP instance in this context\n");
		return NULL;
	}
	if (bgp->as != RS_LOCAL_AS) {
		vty_out(vty,
			"%% route-server mode needs router bgp %u; this instance is AS %u\n",
			RS_LOCAL_AS, bgp->as);
		return NULL;
	}
	return bgp;
}

DEFPY_YANG(rs_enable, rs_enable_cmd,
	   "[no] route-server",
	   NO_STR RS_STR)
{
	struct bgp *bgp = rs_cli_bgp(vty);

	if (!bgp)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", no ? NB_OP_DESTROY : NB_OP_CREATE,
			      NULL);
	return nb_cli_apply_changes(vty, RS_XPATH_INSTANCE,
				    rs_bgp_vrf_name(bgp));
}

void rs_cli_show_instance(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	vty_out(vty, " route-server\n");
}

DEFPY_YANG(rs_branch_to_branch, rs_branch_to_branch_cmd,
	   "[no] route-server branch-to-branch",
	   NO_STR RS_STR
	   "Exchange routes between NVAs and VNet gateways (allowBranchToBranchTraffic)\n")
{
	struct bgp *bgp = rs_cli_bgp(vty);

	if (!bgp)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./branch-to-branch", NB_OP_MODIFY,
			      no ? "false" : "true");
	return nb_cli_apply_changes(vty, RS_XPATH_INSTANCE,
				    rs_bgp_vrf_name(bgp));
}

void rs_cli_show_branch_to_branch(struct vty *vty, const struct lyd_node *dnode,
				  bool show_defaults)
{
	bool on = yang_dnode_get_bool(dnode, NULL);

	if (on || show_defaults)
		vty_out(vty, " %sroute-server branch-to-branch\n",
			on ? "" : "no ");
}

DEFPY_YANG(rs_hub_pref, rs_hub_pref_cmd,
	   "route-server hub-routing-preference <expressroute|vpn-gateway|as-path>$pref",
	   RS_STR
	   "Which source wins for a prefix learned from several (hubRoutingPreference)\n"
	   "Prefer ExpressRoute (default)\n"
	   "Prefer VPN gateways and NVAs over ExpressRoute\n"
	   "Shortest AS path wins whatever the source\n")
{
	struct bgp *bgp = rs_cli_bgp(vty);

	if (!bgp)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./hub-routing-preference", NB_OP_MODIFY,
			      pref);
	return nb_cli_apply_changes(vty, RS_XPATH_INSTANCE,
				    rs_bgp_vrf_name(bgp));
}

DEFPY_YANG(no_rs_hub_pref, no_rs_hub_pref_cmd,
	   "no route-server hub-routing-preference [<expressroute|vpn-gateway|as-path>]",
	   NO_STR RS_STR
	   "Which source wins for a prefix learned from several (hubRoutingPreference)\n"
	   "Prefer ExpressRoute (default)\n"
	   "Prefer VPN gateways and NVAs over ExpressRoute\n"
	   "Shortest AS path wins whatever the source\n")
{
	struct bgp *bgp = rs_cli_bgp(vty);

	if (!bgp)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, "./hub-routing-preference", NB_OP_MODIFY,
			      "expressroute");
	return nb_cli_apply_changes(vty, RS_XPATH_INSTANCE,
				    rs_bgp_vrf_name(bgp));
}

void rs_cli_show_hub_pref(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	const char *pref = yang_dnode_get_string(dnode, NULL);

	if (show_defaults || strcmp(pref, "expressroute") != 0)
		vty_out(vty, " route-server hub-routing-preference %s\n", pref);
}

/* show route-server */
struct rs_show_ctx {
	struct vty *vty;
	const char *vrf;
	json_object *json;
};

static void rs_show_one(struct rs_instance *rsi, void *arg)
{
	struct rs_show_ctx *ctx = arg;
	struct vty *vty = ctx->vty;
	uint32_t as;

	if (ctx->vrf && strcmp(ctx->vrf, rsi->vrf) != 0)
		return;
	as = rs_bgp_local_as(rsi->vrf);
	if (ctx->json) {
		json_object *ji = json_object_new_object();
		json_object *jp = json_object_new_object();

		json_object_string_add(ji, "vrf", rsi->vrf);
		json_object_int_add(ji, "localAs", as);
		json_object_boolean_add(ji, "bgpInstance", as != 0);
		json_object_boolean_add(ji, "branchToBranch",
					rsi->branch_to_branch);
		json_object_string_add(ji, "hubRoutingPreference",
				       rs_hub_pref_str(rsi->hub_pref));
		rs_bgp_peers_json(rsi->vrf, jp);
		json_object_object_add(ji, "peers", jp);
		json_object_object_add(ctx->json, rsi->vrf, ji);
		return;
	}
	vty_out(vty, "Route server, VRF %s, local AS %u%s\n", rsi->vrf, as,
		as ? "" : " (no BGP instance)");
	vty_out(vty, "  Branch-to-branch:       %s\n",
		rsi->branch_to_branch ? "on" : "off");
	vty_out(vty, "  Hub routing preference: %s\n",
		rs_hub_pref_str(rsi->hub_pref));
	rs_bgp_peers_vty(rsi->vrf, vty);
}

DEFPY(show_rs, show_rs_cmd,
      "show route-server [vrf NAME$vrf] [json$uj]",
      SHOW_STR RS_STR VRF_CMD_HELP_STR JSON_STR)
{
	struct rs_show_ctx ctx = { .vty = vty, .vrf = vrf };
	json_object *json = NULL;

	if (uj) {
		json = json_object_new_object();
		ctx.json = json_object_new_object();
		json_object_string_add(json, "frrVersion",
				       vrs_frr_running_version());
		json_object_string_add(json, "moduleVersion", VRS_VERSION);
	}
	rs_instance_walk(rs_show_one, &ctx);
	if (uj) {
		json_object_object_add(json, "instances", ctx.json);
		vty_json(vty, json);
	}
	return CMD_SUCCESS;
}

void rs_cli_init(void)
{
	install_element(BGP_NODE, &rs_enable_cmd);
	install_element(BGP_NODE, &rs_branch_to_branch_cmd);
	install_element(BGP_NODE, &rs_hub_pref_cmd);
	install_element(BGP_NODE, &no_rs_hub_pref_cmd);
	install_element(VIEW_NODE, &show_rs_cmd);
}
