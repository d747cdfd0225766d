// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: northbound callbacks of frr-route-server.yang.
 */
#include <zebra.h>

#include "northbound.h"
#include "yang.h"

#include "bgp_rs.h"

static const char *rs_dnode_vrf(const struct lyd_node *dnode)
{
	return yang_dnode_get_string(dnode, "./vrf");
}

/*
 * XPath: /frr-route-server:route-server/instance
 */
static int rs_instance_create(struct nb_cb_create_args *args)
{
	const char *vrf = rs_dnode_vrf(args->dnode);
	uint32_t as;

	switch (args->event) {
	case NB_EV_VALIDATE:
		/* The BGP instance may not exist yet while a file is read. */
		as = rs_bgp_local_as(vrf);
		if (as && as != RS_LOCAL_AS) {
			snprintf(args->errmsg, args->errmsg_len,
				 "route-server mode needs router bgp %u (VRF %s is AS %u)",
				 RS_LOCAL_AS, vrf, as);
			return NB_ERR_VALIDATION;
		}
		break;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		break;
	case NB_EV_APPLY:
		rs_instance_get(vrf);
		break;
	}
	return NB_OK;
}

static int rs_instance_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_instance_find(rs_dnode_vrf(args->dnode));
	if (rsi)
		rs_instance_del(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/branch-to-branch
 */
static int rs_instance_branch_to_branch_modify(struct nb_cb_modify_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_instance_get(yang_dnode_get_string(args->dnode, "../vrf"));
	rsi->branch_to_branch = yang_dnode_get_bool(args->dnode, NULL);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/hub-routing-preference
 */
static int rs_instance_hub_pref_modify(struct nb_cb_modify_args *args)
{
	struct rs_instance *rsi;
	enum rs_hub_pref pref;

	if (rs_hub_pref_parse(yang_dnode_get_string(args->dnode, NULL),
			      &pref) < 0) {
		snprintf(args->errmsg, args->errmsg_len,
			 "unknown hub routing preference (expressroute, vpn-gateway or as-path)");
		return NB_ERR_VALIDATION;
	}
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_instance_get(yang_dnode_get_string(args->dnode, "../vrf"));
	rsi->hub_pref = pref;
	return NB_OK;
}

/* clang-format off */
const struct frr_yang_module_info frr_route_server_info = {
	.name = "frr-route-server",
	.nodes = {
		{
			.xpath = "/frr-route-server:route-server/instance",
			.cbs = {
				.create = rs_instance_create,
				.destroy = rs_instance_destroy,
				.cli_show = rs_cli_show_instance,
			},
		},
		{
			.xpath = "/frr-route-server:route-server/instance/branch-to-branch",
			.cbs = {
				.modify = rs_instance_branch_to_branch_modify,
				.cli_show = rs_cli_show_branch_to_branch,
			},
		},
		{
			.xpath = "/frr-route-server:route-server/instance/hub-routing-preference",
			.cbs = {
				.modify = rs_instance_hub_pref_modify,
				.cli_show = rs_cli_show_hub_pref,
			},
		},
		{
			.xpath = NULL,
		},
	}
};
/* clang-format on */
