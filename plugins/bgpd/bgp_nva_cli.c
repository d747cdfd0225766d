// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: vtysh commands and show commands.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "vrf.h"
#include "vty.h"

#include "bgp_nva.h"
#include "vrs_frr.h"

#ifndef VTYSH_EXTRACT_PL
#include "bgp_nva_cli_clippy.h"
#endif

struct nva_show_ctx {
	struct vty *vty;
	const char *vrf;
	json_object *instances;
};

static void nva_show_one(const char *vrf, uint32_t local_as, void *arg)
{
	struct nva_show_ctx *ctx = arg;
	json_object *ji, *peers, *warnings;

	if (ctx->vrf && strcmp(ctx->vrf, vrf) != 0)
		return;
	ji = json_object_new_object();
	peers = json_object_new_object();
	warnings = json_object_new_array();
	json_object_int_add(ji, "localAs", local_as);
	nva_bgp_rs_peers_json(vrf, peers, warnings);
	json_object_object_add(ji, "routeServerPeers", peers);
	json_object_object_add(ji, "warnings", warnings);
	json_object_object_add(ctx->instances, vrf, ji);
}

static void nva_show_vty(struct vty *vty, json_object *instances)
{
	json_object_object_foreach(instances, vrf, ji)
	{
		json_object *peers, *warnings, *jv;

		json_object_object_get_ex(ji, "localAs", &jv);
		vty_out(vty, "Route-server peering, VRF %s, local AS %s\n", vrf,
			json_object_get_string(jv));
		json_object_object_get_ex(ji, "routeServerPeers", &peers);
		if (json_object_object_length(peers) == 0)
			vty_out(vty, "  No route-server peers (remote-as %u)\n",
				NVA_RS_AS);
		else
			vty_out(vty, "  %-39s %-12s %-11s %8s %8s\n", "Peer",
				"State", "AS-override", "PfxRcd", "PfxSnt");
		json_object_object_foreach(peers, addr, jp)
		{
			json_object *st, *ao, *rcd, *snt;

			json_object_object_get_ex(jp, "state", &st);
			json_object_object_get_ex(jp, "asOverride", &ao);
			json_object_object_get_ex(jp, "pfxRcd", &rcd);
			json_object_object_get_ex(jp, "pfxSnt", &snt);
			vty_out(vty, "  %-39s %-12s %-11s %8s %8s\n", addr,
				json_object_get_string(st),
				json_object_get_boolean(ao) ? "yes" : "no",
				json_object_get_string(rcd),
				json_object_get_string(snt));
		}
		json_object_object_get_ex(ji, "warnings", &warnings);
		for (size_t i = 0; i < json_object_array_length(warnings); i++)
			vty_out(vty, "  Warning: %s\n",
				json_object_get_string(
					json_object_array_get_idx(warnings, i)));
	}
}

DEFPY(show_nva_peering, show_nva_peering_cmd,
      "show route-server-peering [vrf NAME$vrf] [json$uj]",
      SHOW_STR NVA_STR VRF_CMD_HELP_STR JSON_STR)
{
	struct nva_show_ctx ctx = { .vty = vty, .vrf = vrf };
	json_object *json;

	ctx.instances = json_object_new_object();
	nva_bgp_walk(nva_show_one, &ctx);
	if (!uj) {
		nva_show_vty(vty, ctx.instances);
		json_object_free(ctx.instances);
		return CMD_SUCCESS;
	}
	json = json_object_new_object();
	json_object_string_add(json, "frrVersion", vrs_frr_running_version());
	json_object_string_add(json, "moduleVersion", VRS_VERSION);
	json_object_object_add(json, "instances", ctx.instances);
	vty_json(vty, json);
	return CMD_SUCCESS;
}

void nva_cli_init(void)
{
	install_element(VIEW_NODE, &show_nva_peering_cmd);
}
