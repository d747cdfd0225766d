// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: the northbound table of frr-route-server.yang: which callback
 * serves which xpath (config in bgp_rs_nb_config.c, state in
 * bgp_rs_nb_state.c, CLI renderers in bgp_rs_cli.c).
 */
#include <zebra.h>

#include "northbound.h"

#include "bgp_rs.h"

#define RS_X "/frr-route-server:route-server/instance"

/* clang-format off */
const struct frr_yang_module_info frr_route_server_info = {
	.name = "frr-route-server",
	.nodes = {
		{ .xpath = RS_X, .cbs = {
			.create = rs_instance_create,
			.pre_validate = rs_instance_pre_validate,
			.apply_finish = rs_instance_apply_finish,
			.destroy = rs_instance_destroy,
			.get_next = rs_instance_get_next,
			.get_keys = rs_instance_get_keys,
			.lookup_entry = rs_instance_lookup_entry,
			.cli_show = rs_cli_show_instance } },
		{ .xpath = RS_X "/state/accepted-routes", .cbs = {
			.get_elem = rs_instance_state_accepted_routes_get_elem } },
		{ .xpath = RS_X "/state/established-neighbors", .cbs = {
			.get_elem = rs_instance_state_established_neighbors_get_elem } },
		{ .xpath = RS_X "/branch-to-branch", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_flag } },
		{ .xpath = RS_X "/asn-4byte", .cbs = {
			.modify = rs_instance_asn_4byte_modify,
			.cli_show = rs_cli_show_flag } },
		{ .xpath = RS_X "/ipv6", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_flag } },
		{ .xpath = RS_X "/hub-routing-preference", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_hub_pref } },
		{ .xpath = RS_X "/profile", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_profile } },
		{ .xpath = RS_X "/route-limit", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_route_limit } },
		{ .xpath = RS_X "/limit-mode", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_limit_mode } },
		{ .xpath = RS_X "/total-limit", .cbs = {
			.modify = rs_instance_leaf_modify,
			.cli_show = rs_cli_show_total_limit } },
		{ .xpath = RS_X "/vnet-name", .cbs = {
			.modify = rs_instance_leaf_modify,
			.destroy = rs_instance_leaf_destroy,
			.cli_show = rs_cli_show_vnet_name } },
		{ .xpath = RS_X "/address-space", .cbs = {
			.create = rs_instance_address_space_create,
			.destroy = rs_instance_address_space_destroy,
			.cli_cmp = rs_cli_cmp_prefix,
			.cli_show = rs_cli_show_address_space } },
		{ .xpath = RS_X "/peering", .cbs = {
			.create = rs_instance_peering_create,
			.destroy = rs_instance_peering_destroy,
			.cli_cmp = rs_cli_cmp_key_name,
			.cli_show = rs_cli_show_peering } },
		{ .xpath = RS_X "/peering/address-space", .cbs = {
			.create = rs_instance_peering_address_space_create,
			.destroy = rs_instance_peering_address_space_destroy,
			.cli_cmp = rs_cli_cmp_prefix,
			.cli_show = rs_cli_show_peering_space } },
		{ .xpath = RS_X "/peering/allow-gateway-transit", .cbs = {
			.modify = rs_instance_peering_allow_gateway_transit_modify,
			.cli_show = rs_cli_show_peering_transit } },
		{ .xpath = RS_X "/peering/remote-uses-gateway", .cbs = {
			.modify = rs_instance_peering_remote_uses_gateway_modify,
			.cli_show = rs_cli_show_peering_remote_gw } },
		{ .xpath = RS_X "/fabric", .cbs = {
			.apply_finish = rs_instance_fabric_apply_finish,
			.cli_show = rs_cli_show_fabric } },
		{ .xpath = RS_X "/fabric/socket", .cbs = {
			.modify = rs_instance_fabric_leaf_modify,
			.destroy = rs_instance_fabric_leaf_destroy } },
		{ .xpath = RS_X "/fabric/instance-id", .cbs = {
			.modify = rs_instance_fabric_leaf_modify } },
		{ .xpath = RS_X "/fabric/instance-name", .cbs = {
			.modify = rs_instance_fabric_leaf_modify,
			.destroy = rs_instance_fabric_leaf_destroy } },
		{ .xpath = RS_X "/fabric/startup-wait", .cbs = {
			.modify = rs_instance_fabric_leaf_modify } },
		{ .xpath = RS_X "/neighbor", .cbs = {
			.create = rs_instance_neighbor_create,
			.destroy = rs_instance_neighbor_destroy,
			.get_next = rs_instance_neighbor_get_next,
			.get_keys = rs_instance_neighbor_get_keys,
			.lookup_entry = rs_instance_neighbor_lookup_entry,
			.cli_cmp = rs_cli_cmp_neighbor,
			.cli_show = rs_cli_show_neighbor } },
		{ .xpath = RS_X "/neighbor/state/session-state", .cbs = {
			.get_elem = rs_instance_neighbor_state_get_elem } },
		{ .xpath = RS_X "/neighbor/state/received", .cbs = {
			.get_elem = rs_instance_neighbor_state_get_elem } },
		{ .xpath = RS_X "/neighbor/state/accepted", .cbs = {
			.get_elem = rs_instance_neighbor_state_get_elem } },
		{ .xpath = RS_X "/neighbor/state/dropped", .cbs = {
			.get_elem = rs_instance_neighbor_state_get_elem } },
		{ .xpath = RS_X "/neighbor/state/limit-teardowns", .cbs = {
			.get_elem = rs_instance_neighbor_state_get_elem } },
		{ .xpath = RS_X "/neighbor/role", .cbs = {
			.modify = rs_instance_neighbor_role_modify } },
		{ .xpath = RS_X "/neighbor/route-limit", .cbs = {
			.modify = rs_instance_neighbor_route_limit_modify,
			.destroy = rs_instance_neighbor_route_limit_destroy } },
		/* Peering route-maps (issue 15, part 3). */
		{ .xpath = RS_X "/neighbor/route-map-in", .cbs = {
			.modify = rs_instance_neighbor_route_map_modify,
			.destroy = rs_instance_neighbor_route_map_destroy,
			.cli_show = rs_cli_show_neighbor_route_map } },
		{ .xpath = RS_X "/neighbor/route-map-out", .cbs = {
			.modify = rs_instance_neighbor_route_map_modify,
			.destroy = rs_instance_neighbor_route_map_destroy,
			.cli_show = rs_cli_show_neighbor_route_map } },
		{ .xpath = RS_X "/route-map-summary", .cbs = {
			.create = rs_instance_route_map_summary_create,
			.destroy = rs_instance_route_map_summary_destroy,
			.cli_cmp = rs_cli_cmp_summary,
			.cli_show = rs_cli_show_route_map_summary } },
		{ .xpath = NULL },
	}
};
/* clang-format on */
