// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the northbound table of frr-route-server-nva.yang: XPaths and
 * their callbacks (bgp_nva_nb_config.c), and the CLI renderer
 * (bgp_nva_cli.c).
 */
#include <zebra.h>

#include "northbound.h"

#include "bgp_nva.h"

#define NVA_XP NVA_XPATH_BASE "/instance/peering"

/* clang-format off */
const struct frr_yang_module_info frr_route_server_nva_info = {
	.name = "frr-route-server-nva",
	.nodes = {
		{
			.xpath = NVA_XPATH_BASE "/instance",
			.cbs = {
				.create = route_server_nva_instance_create,
				.destroy = route_server_nva_instance_destroy,
			},
		},
		{
			.xpath = NVA_XPATH_BASE "/instance/asn-4byte",
			.cbs = {
				.modify = route_server_nva_instance_asn_4byte_modify,
				.cli_show = nva_cli_show_asn_4byte,
			},
		},
		{
			.xpath = NVA_XP,
			.cbs = {
				.create = route_server_nva_instance_peering_create,
				.destroy = route_server_nva_instance_peering_destroy,
				.pre_validate = route_server_nva_instance_peering_pre_validate,
				.apply_finish = route_server_nva_instance_peering_apply_finish,
				.cli_show = nva_cli_show_peering,
			},
		},
		{
			.xpath = NVA_XP "/instance-address",
			.cbs = {
				.create = route_server_nva_instance_peering_instance_address_create,
				.destroy = route_server_nva_instance_peering_instance_address_destroy,
			},
		},
		{
			.xpath = NVA_XP "/single-instance",
			.cbs = {
				.modify = route_server_nva_instance_peering_single_instance_modify,
			},
		},
		{
			.xpath = NVA_XP "/profile",
			.cbs = {
				.modify = route_server_nva_instance_peering_profile_modify,
			},
		},
		{
			.xpath = NVA_XP "/role",
			.cbs = {
				.modify = route_server_nva_instance_peering_role_modify,
			},
		},
		{
			.xpath = NVA_XP "/prepend",
			.cbs = {
				.modify = route_server_nva_instance_peering_prepend_modify,
			},
		},
		{
			.xpath = NVA_XP "/vnet-prefix",
			.cbs = {
				.create = route_server_nva_instance_peering_vnet_prefix_create,
				.destroy = route_server_nva_instance_peering_vnet_prefix_destroy,
			},
		},
		{
			.xpath = NVA_XP "/update-source",
			.cbs = {
				.modify = route_server_nva_instance_peering_update_source_modify,
				.destroy = route_server_nva_instance_peering_update_source_destroy,
			},
		},
		{
			.xpath = NVA_XP "/no-advertise",
			.cbs = {
				.create = route_server_nva_instance_peering_no_advertise_create,
				.destroy = route_server_nva_instance_peering_no_advertise_destroy,
			},
		},
		{
			.xpath = NULL,
		},
	}
};
/* clang-format on */
