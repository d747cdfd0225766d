// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: vtysh commands (DEFPY_YANG), their running-config renderers and
 * the show commands.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "libfrr.h"
#include "log.h"
#include "northbound_cli.h"
#include "vrf.h"
#include "vty.h"

#include "bgp_rs.h"
#include "bgp_rs_fabric.h"
#include "vrs_frr.h"

#ifndef VTYSH_EXTRACT_PL
#include "bgp_rs_cli_clippy.h"
#endif

#define RS_ROLE_STR                                                            \
	"Role of the neighbor\n"                                               \
	"Network virtual appliance (eBGP multihop)\n"                          \
	"ExpressRoute gateway (iBGP, AS 65515)\n"                              \
	"VPN gateway (iBGP, AS 65515)\n"
#define RS_PEERING_STR "A VNet peering of the route server's VNet\n"
#define RS_AZ_STR "The Azure CLI's shape (az network routeserver / nic show-effective-route-table)\n"
#define RS_HUB_PREF_HELP                                                       \
	"Which source wins for a prefix learned from several (hubRoutingPreference)\n" \
	"Prefer ExpressRoute (default)\n"                                      \
	"Prefer VPN gateways and NVAs over ExpressRoute\n"                     \
	"Shortest AS path wins whatever the source\n"
#define RS_ROUTE_LIMIT_HELP                                                    \
	"Routes accepted from one neighbor before its session is torn down (default 4000)\n" \
	"Number of routes\n"
#define RS_TOTAL_LIMIT_HELP                                                    \
	"Routes accepted from all neighbors together (default 10000)\n"        \
	"Number of routes\n"
#define RS_FABRIC_HELP                                                         \
	"Program the VMs' effective routes through a vnet-agent\n"             \
	"The agent's unix socket\n"                                            \
	"Socket path\n"                                                        \
	"Which instance of the route server this bgpd is\n"                    \
	"Instance 0 or 1\n"                                                    \
	"Name of this instance in the agent's status\n"

/* Refuses route-server commands outside "router bgp 65515". */
static struct bgp *rs_cli_bgp(struct vty *vty)
{
	struct bgp *bgp = rs_bgp_vty_bgp(vty);
	uint32_t as;

	if (!bgp) {
		vty_out(vty, "%% No BGP instance in this context\n");
		return NULL;
	}
	as = rs_bgp_local_as(rs_bgp_vrf_name(bgp));
	if (as != RS_LOCAL_AS) {
		vty_out(vty,
			"%% route-server mode needs router bgp %u; this instance is AS %u\n",
			RS_LOCAL_AS, as);
		return NULL;
	}
	return bgp;
}

static int rs_cli_apply(struct vty *vty, struct bgp *bgp)
{
	char base[XPATH_MAXLEN];

	snprintf(base, sizeof(base), RS_XPATH_INSTANCE, rs_bgp_vrf_name(bgp));
	if (frr_get_cli_mode() == FRR_CLI_CLASSIC &&
	    vrs_nb_cli_precheck(vty, base))
		return CMD_WARNING_CONFIG_FAILED;
	return nb_cli_apply_changes(vty, "%s", base);
}

#define RS_CLI_BGP()                                                           \
	struct bgp *bgp = rs_cli_bgp(vty);                                     \
	if (!bgp)                                                              \
		return CMD_WARNING_CONFIG_FAILED

DEFPY_YANG(rs_enable, rs_enable_cmd,
	   "[no] route-server",
	   NO_STR RS_STR)
{
	RS_CLI_BGP();
	nb_cli_enqueue_change(vty, ".", no ? NB_OP_DESTROY : NB_OP_CREATE,
			      NULL);
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_instance(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	vty_out(vty, " route-server\n");
}

/* Boolean leaves: "[no] route-server LEAF", the line is the leaf's name. */
static int rs_cli_flag(struct vty *vty, const char *leaf, bool no)
{
	char xpath[64];

	RS_CLI_BGP();
	snprintf(xpath, sizeof(xpath), "./%s", leaf);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY, no ? "false" : "true");
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_flag(struct vty *vty, const struct lyd_node *dnode,
		      bool show_defaults)
{
	bool on = yang_dnode_get_bool(dnode, NULL);

	if (on || show_defaults)
		vty_out(vty, " %sroute-server %s\n", on ? "" : "no ",
			dnode->schema->name);
}

DEFPY_YANG(rs_branch_to_branch, rs_branch_to_branch_cmd,
	   "[no] route-server branch-to-branch",
	   NO_STR RS_STR
	   "Exchange routes between NVAs and VNet gateways (allowBranchToBranchTraffic)\n")
{
	return rs_cli_flag(vty, "branch-to-branch", no);
}

DEFPY_YANG(rs_asn_4byte, rs_asn_4byte_cmd,
	   "[no] route-server asn-4byte",
	   NO_STR RS_STR
	   "Accept 4-byte ASNs of NVAs but IANA's reserved ones (off: 2-byte only, as in Azure)\n")
{
	return rs_cli_flag(vty, "asn-4byte", no);
}

DEFPY_YANG(rs_ipv6, rs_ipv6_cmd,
	   "[no] route-server ipv6",
	   NO_STR RS_STR
	   "Dual stack: IPv6 address spaces and neighbors (off: IPv4 only, as in Azure)\n")
{
	return rs_cli_flag(vty, "ipv6", no);
}

/* Leaves set with "route-server KEYWORD VALUE" / "no route-server KEYWORD". */
static int rs_cli_leaf(struct vty *vty, struct bgp *bgp, const char *leaf,
		       const char *value)
{
	char xpath[64];

	snprintf(xpath, sizeof(xpath), "./%s", leaf);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, value ? NB_OP_MODIFY : NB_OP_DESTROY,
			      value);
	return rs_cli_apply(vty, bgp);
}

static void rs_cli_show_leaf(struct vty *vty, const struct lyd_node *dnode,
			     bool show_defaults, const char *keyword)
{
	if (show_defaults || !yang_dnode_is_default(dnode, NULL))
		vty_out(vty, " route-server %s %s\n", keyword,
			yang_dnode_get_string(dnode, NULL));
}

DEFPY_YANG(rs_hub_pref, rs_hub_pref_cmd,
	   "route-server hub-routing-preference <expressroute|vpn-gateway|as-path>$pref",
	   RS_STR
	   RS_HUB_PREF_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "hub-routing-preference", pref);
}

DEFPY_YANG(no_rs_hub_pref, no_rs_hub_pref_cmd,
	   "no route-server hub-routing-preference [<expressroute|vpn-gateway|as-path>]",
	   NO_STR RS_STR
	   RS_HUB_PREF_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "hub-routing-preference", NULL);
}

void rs_cli_show_hub_pref(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	rs_cli_show_leaf(vty, dnode, show_defaults, "hub-routing-preference");
}

DEFPY_YANG(rs_profile, rs_profile_cmd,
	   "[no] route-server profile <fast|azure-compat>$profile",
	   NO_STR RS_STR
	   "Timer and BFD profile of the route-server neighbors\n"
	   "Keepalive 1 s, hold 3 s, BFD (default)\n"
	   "Keepalive 60 s, hold 180 s, no BFD, at most 8 neighbors (as the cloud)\n")
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "profile", no ? NULL : profile);
}

void rs_cli_show_profile(struct vty *vty, const struct lyd_node *dnode,
			 bool show_defaults)
{
	rs_cli_show_leaf(vty, dnode, show_defaults, "profile");
}

DEFPY_YANG(rs_route_limit, rs_route_limit_cmd,
	   "route-server route-limit (1-1000000)$limit",
	   RS_STR
	   RS_ROUTE_LIMIT_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "route-limit", limit_str);
}

DEFPY_YANG(no_rs_route_limit, no_rs_route_limit_cmd,
	   "no route-server route-limit [(1-1000000)]",
	   NO_STR RS_STR
	   RS_ROUTE_LIMIT_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "route-limit", NULL);
}

void rs_cli_show_route_limit(struct vty *vty, const struct lyd_node *dnode,
			     bool show_defaults)
{
	rs_cli_show_leaf(vty, dnode, show_defaults, "route-limit");
}

DEFPY_YANG(rs_limit_mode, rs_limit_mode_cmd,
	   "[no] route-server route-limit-mode <max-prefix|ars>$mode",
	   NO_STR RS_STR
	   "How the per-neighbor route limit counts\n"
	   "Routes currently accepted from the neighbor\n"
	   "Routes learned plus every route of the incoming UPDATE (the cloud's count, default)\n")
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "limit-mode", no ? NULL : mode);
}

void rs_cli_show_limit_mode(struct vty *vty, const struct lyd_node *dnode,
			    bool show_defaults)
{
	rs_cli_show_leaf(vty, dnode, show_defaults, "route-limit-mode");
}

DEFPY_YANG(rs_total_limit, rs_total_limit_cmd,
	   "route-server total-limit (1-10000000)$limit",
	   RS_STR
	   RS_TOTAL_LIMIT_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "total-limit", limit_str);
}

DEFPY_YANG(no_rs_total_limit, no_rs_total_limit_cmd,
	   "no route-server total-limit [(1-10000000)]",
	   NO_STR RS_STR
	   RS_TOTAL_LIMIT_HELP)
{
	RS_CLI_BGP();
	return rs_cli_leaf(vty, bgp, "total-limit", NULL);
}

void rs_cli_show_total_limit(struct vty *vty, const struct lyd_node *dnode,
			     bool show_defaults)
{
	rs_cli_show_leaf(vty, dnode, show_defaults, "total-limit");
}

DEFPY_YANG(rs_vnet_name, rs_vnet_name_cmd,
	   "[no] route-server vnet-name WORD$name",
	   NO_STR RS_STR
	   "Name of the route server's VNet\n"
	   "VNet name (1-31 characters)\n")
{
	RS_CLI_BGP();
	if (!no && strlen(name) > 31) {
		vty_out(vty, "%% VNet name '%s' is too long: at most 31 characters\n",
			name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	return rs_cli_leaf(vty, bgp, "vnet-name", no ? NULL : name);
}

void rs_cli_show_vnet_name(struct vty *vty, const struct lyd_node *dnode,
			   bool show_defaults)
{
	vty_out(vty, " route-server vnet-name %s\n",
		yang_dnode_get_string(dnode, NULL));
}

/* Parses and normalises a prefix; explains what is wrong if it cannot. */
static int rs_cli_prefix(struct vty *vty, const char *str, char *out,
			 size_t len)
{
	struct vrs_prefix p;
	char reason[256];

	if (vrs_prefix_parse(str, &p, reason, sizeof(reason))) {
		vty_out(vty, "%% %s\n", reason);
		return -1;
	}
	vrs_prefix_str(&p, out, len);
	return 0;
}

DEFPY_YANG(rs_address_space, rs_address_space_cmd,
	   "[no] route-server address-space <A.B.C.D/M|X:X::X:X/M>$prefix",
	   NO_STR RS_STR
	   "An address space of the route server's VNet (advertised to NVAs)\n"
	   "IPv4 prefix\n"
	   "IPv6 prefix (with 'route-server ipv6')\n")
{
	char buf[64];

	RS_CLI_BGP();
	if (rs_cli_prefix(vty, prefix_str, buf, sizeof(buf)))
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./address-space",
			      no ? NB_OP_DESTROY : NB_OP_CREATE, buf);
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_address_space(struct vty *vty, const struct lyd_node *dnode,
			       bool show_defaults)
{
	vty_out(vty, " route-server address-space %s\n",
		yang_dnode_get_string(dnode, NULL));
}

static int rs_cli_check_peering_name(struct vty *vty, const char *name)
{
	if (strlen(name) > 31) {
		vty_out(vty, "%% VNet name '%s' is too long: at most 31 characters\n",
			name);
		return -1;
	}
	return 0;
}

DEFPY_YANG(rs_peering, rs_peering_cmd,
	   "[no] route-server peering WORD$name",
	   NO_STR RS_STR RS_PEERING_STR "Name of the peered VNet\n")
{
	char xpath[128];

	RS_CLI_BGP();
	if (rs_cli_check_peering_name(vty, name))
		return CMD_WARNING_CONFIG_FAILED;
	snprintf(xpath, sizeof(xpath), "./peering[remote-vnet='%s']", name);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, no ? NB_OP_DESTROY : NB_OP_CREATE,
			      NULL);
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_peering(struct vty *vty, const struct lyd_node *dnode,
			 bool show_defaults)
{
	vty_out(vty, " route-server peering %s\n",
		yang_dnode_get_string(dnode, "./remote-vnet"));
}

DEFPY_YANG(rs_peering_space, rs_peering_space_cmd,
	   "[no] route-server peering WORD$name address-space <A.B.C.D/M|X:X::X:X/M>$prefix",
	   NO_STR RS_STR RS_PEERING_STR "Name of the peered VNet\n"
	   "An address space of the peered VNet\n"
	   "IPv4 prefix\n"
	   "IPv6 prefix (with 'route-server ipv6')\n")
{
	char buf[64], xpath[192];

	RS_CLI_BGP();
	if (rs_cli_check_peering_name(vty, name) ||
	    rs_cli_prefix(vty, prefix_str, buf, sizeof(buf)))
		return CMD_WARNING_CONFIG_FAILED;
	snprintf(xpath, sizeof(xpath), "./peering[remote-vnet='%s']/address-space",
		 name);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, no ? NB_OP_DESTROY : NB_OP_CREATE,
			      buf);
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_peering_space(struct vty *vty, const struct lyd_node *dnode,
			       bool show_defaults)
{
	vty_out(vty, " route-server peering %s address-space %s\n",
		yang_dnode_get_string(dnode, "../remote-vnet"),
		yang_dnode_get_string(dnode, NULL));
}

DEFPY_YANG(rs_peering_flag, rs_peering_flag_cmd,
	   "[no] route-server peering WORD$name <allow-gateway-transit$transit|remote-uses-gateway$remote>",
	   NO_STR RS_STR RS_PEERING_STR "Name of the peered VNet\n"
	   "Let the peered VNet use this VNet's route server (allowGatewayTransit)\n"
	   "The peered VNet uses this VNet's route server (its useRemoteGateways)\n")
{
	char xpath[192];

	RS_CLI_BGP();
	if (rs_cli_check_peering_name(vty, name))
		return CMD_WARNING_CONFIG_FAILED;
	snprintf(xpath, sizeof(xpath), "./peering[remote-vnet='%s']/%s", name,
		 transit ? "allow-gateway-transit" : "remote-uses-gateway");
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY, no ? "false" : "true");
	return rs_cli_apply(vty, bgp);
}

static void rs_cli_show_peering_flag(struct vty *vty,
				     const struct lyd_node *dnode,
				     bool show_defaults, const char *kw)
{
	if (yang_dnode_get_bool(dnode, NULL))
		vty_out(vty, " route-server peering %s %s\n",
			yang_dnode_get_string(dnode, "../remote-vnet"), kw);
}

void rs_cli_show_peering_transit(struct vty *vty, const struct lyd_node *dnode,
				 bool show_defaults)
{
	rs_cli_show_peering_flag(vty, dnode, show_defaults,
				 "allow-gateway-transit");
}

void rs_cli_show_peering_remote_gw(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults)
{
	rs_cli_show_peering_flag(vty, dnode, show_defaults,
				 "remote-uses-gateway");
}

DEFPY_YANG(rs_peering_use_remote, rs_peering_use_remote_cmd,
	   "route-server peering WORD$name use-remote-gateway",
	   RS_STR RS_PEERING_STR "Name of the peered VNet\n"
	   "Use the peered VNet's gateway or route server (useRemoteGateways)\n")
{
	struct rs_instance *rsi;

	RS_CLI_BGP();
	/* Not in the model: a VNet with a route server is a hub, never a
	 * spoke that uses another VNet's gateway. */
	rsi = rs_instance_find(rs_bgp_vrf_name(bgp));
	vty_out(vty,
		"%% VNet %s has its own route server, so it cannot use the remote one of %s\n",
		rsi && rsi->vnet_name[0] ? rsi->vnet_name : "(this one)",
		name);
	return CMD_WARNING_CONFIG_FAILED;
}

DEFPY_YANG(rs_neighbor, rs_neighbor_cmd,
	   "route-server neighbor <A.B.C.D|X:X::X:X>$addr role <nva|expressroute-gateway|vpn-gateway>$role [route-limit (1-1000000)$limit]",
	   RS_STR
	   "A BGP neighbor the route server serves\n"
	   "Neighbor IPv4 address\n"
	   "Neighbor IPv6 address\n" RS_ROLE_STR
	   "Route limit for this neighbor (instance default otherwise)\n"
	   "Number of routes\n")
{
	char xpath[128];

	RS_CLI_BGP();
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']", addr_str);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, NB_OP_CREATE, NULL);
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']/role",
		 addr_str);
	nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY, role);
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']/route-limit",
		 addr_str);
	nb_cli_enqueue_change(vty, xpath, limit_str ? NB_OP_MODIFY
						    : NB_OP_DESTROY,
			      limit_str);
	return rs_cli_apply(vty, bgp);
}

DEFPY_YANG(no_rs_neighbor, no_rs_neighbor_cmd,
	   "no route-server neighbor <A.B.C.D|X:X::X:X>$addr [role <nva|expressroute-gateway|vpn-gateway> [route-limit (1-1000000)]]",
	   NO_STR RS_STR
	   "A BGP neighbor the route server serves\n"
	   "Neighbor IPv4 address\n"
	   "Neighbor IPv6 address\n" RS_ROLE_STR
	   "Route limit for this neighbor (instance default otherwise)\n"
	   "Number of routes\n")
{
	char xpath[128];

	RS_CLI_BGP();
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']", addr_str);
	nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY, NULL);
	return rs_cli_apply(vty, bgp);
}

/*
 * running-config lists entries in a fixed order (addresses, names,
 * prefixes), whatever the order they were given in: the same config gives
 * the same text, which frr-reload.py and a diff of two saves rely on.
 */
int rs_cli_cmp_neighbor(const struct lyd_node *a, const struct lyd_node *b)
{
	struct ipaddr x, y;

	yang_dnode_get_ip(&x, a, "./address");
	yang_dnode_get_ip(&y, b, "./address");
	if (x.ipa_type != y.ipa_type)
		return x.ipa_type < y.ipa_type ? -1 : 1;
	return memcmp(&x.ip, &y.ip, IS_IPADDR_V4(&x) ? 4 : 16);
}

int rs_cli_cmp_key_name(const struct lyd_node *a, const struct lyd_node *b)
{
	/* The first child of a list entry is its key. */
	return strcmp(yang_dnode_get_string(lyd_child(a), NULL),
		      yang_dnode_get_string(lyd_child(b), NULL));
}

int rs_cli_cmp_prefix(const struct lyd_node *a, const struct lyd_node *b)
{
	struct prefix x, y;

	yang_dnode_get_prefix(&x, a, NULL);
	yang_dnode_get_prefix(&y, b, NULL);
	return prefix_cmp(&x, &y);
}

void rs_cli_show_neighbor(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	vty_out(vty, " route-server neighbor %s role %s",
		yang_dnode_get_string(dnode, "./address"),
		yang_dnode_get_string(dnode, "./role"));
	if (yang_dnode_exists(dnode, "./route-limit"))
		vty_out(vty, " route-limit %s",
			yang_dnode_get_string(dnode, "./route-limit"));
	vty_out(vty, "\n");
}

/* Peering route-maps (issue 15, part 3) ---------------------------------- */

#define RS_RMAP_HELP                                                           \
	"The user's route-map on this peering, after the route server's own policy\n" \
	"Route-map name\n"                                                    \
	"Routes from the neighbor (after AS loop, limits, role)\n"            \
	"Routes to the neighbor (after the route server's selection; the VNet space is exempt)\n"

DEFPY_YANG(rs_neighbor_rmap, rs_neighbor_rmap_cmd,
	   "route-server neighbor <A.B.C.D|X:X::X:X>$addr route-map RMAP_NAME$name <in|out>$dir",
	   RS_STR
	   "A BGP neighbor the route server serves\n"
	   "Neighbor IPv4 address\n"
	   "Neighbor IPv6 address\n" RS_RMAP_HELP)
{
	char xpath[160];

	RS_CLI_BGP();
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']/route-map-%s",
		 addr_str, dir);
	nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY, name);
	return rs_cli_apply(vty, bgp);
}

DEFPY_YANG(no_rs_neighbor_rmap, no_rs_neighbor_rmap_cmd,
	   "no route-server neighbor <A.B.C.D|X:X::X:X>$addr route-map [RMAP_NAME$name] <in|out>$dir",
	   NO_STR RS_STR
	   "A BGP neighbor the route server serves\n"
	   "Neighbor IPv4 address\n"
	   "Neighbor IPv6 address\n" RS_RMAP_HELP)
{
	char xpath[160];

	RS_CLI_BGP();
	snprintf(xpath, sizeof(xpath), "./neighbor[address='%s']/route-map-%s",
		 addr_str, dir);
	nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY, NULL);
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_neighbor_route_map(struct vty *vty,
				    const struct lyd_node *dnode,
				    bool show_defaults)
{
	const struct lyd_node *nn = yang_dnode_get_parent(dnode, "neighbor");

	vty_out(vty, " route-server neighbor %s route-map %s %s\n",
		yang_dnode_get_string(nn, "./address"),
		yang_dnode_get_string(dnode, NULL),
		strcmp(dnode->schema->name, "route-map-out") == 0 ? "out"
								 : "in");
}

/* Summaries of peering route-maps (Azure's summarize). */
DEFPY_YANG(rs_rmap_summary, rs_rmap_summary_cmd,
	   "[no] route-server route-map RMAP_NAME$name summarize <A.B.C.D/M|X:X::X:X/M>$prefix",
	   NO_STR RS_STR
	   "A summary of your route-map: its outbound neighbors get the summary instead of the routes inside it\n"
	   "Route-map name\n"
	   "Advertise a summary (AS path 65515, no communities) instead of the routes inside it\n"
	   "IPv4 prefix\n"
	   "IPv6 prefix (with 'route-server ipv6')\n")
{
	char buf[64], xpath[192];

	RS_CLI_BGP();
	if (rs_cli_prefix(vty, prefix_str, buf, sizeof(buf)))
		return CMD_WARNING_CONFIG_FAILED;
	snprintf(xpath, sizeof(xpath),
		 "./route-map-summary[route-map='%s'][prefix='%s']", name, buf);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, xpath, no ? NB_OP_DESTROY : NB_OP_CREATE,
			      NULL);
	return rs_cli_apply(vty, bgp);
}

int rs_cli_cmp_summary(const struct lyd_node *a, const struct lyd_node *b)
{
	struct prefix x, y;
	int r = strcmp(yang_dnode_get_string(a, "./route-map"),
		       yang_dnode_get_string(b, "./route-map"));

	if (r)
		return r;
	yang_dnode_get_prefix(&x, a, "./prefix");
	yang_dnode_get_prefix(&y, b, "./prefix");
	return prefix_cmp(&x, &y);
}

void rs_cli_show_route_map_summary(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults)
{
	vty_out(vty, " route-server route-map %s summarize %s\n",
		yang_dnode_get_string(dnode, "./route-map"),
		yang_dnode_get_string(dnode, "./prefix"));
}

DEFPY_YANG(rs_fabric, rs_fabric_cmd,
	   "route-server fabric socket PATH$path instance (0-1)$id [name WORD$name] [startup-wait (1-3600)$wait]",
	   RS_STR
	   RS_FABRIC_HELP
	   "Instance name (1-31 characters)\n"
	   "After a start, wait for End-of-RIB from every neighbor before programming, at most\n"
	   "Seconds (default 30)\n")
{
	RS_CLI_BGP();
	if (path[0] != '/' || strlen(path) > 107) {
		vty_out(vty,
			"%% fabric socket '%s': an absolute path of at most 107 characters\n",
			path);
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (name && strlen(name) > 31) {
		vty_out(vty, "%% instance name '%s' is too long: at most 31 characters\n",
			name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./fabric/socket", NB_OP_MODIFY, path);
	nb_cli_enqueue_change(vty, "./fabric/instance-id", NB_OP_MODIFY, id_str);
	nb_cli_enqueue_change(vty, "./fabric/instance-name",
			      name ? NB_OP_MODIFY : NB_OP_DESTROY, name);
	nb_cli_enqueue_change(vty, "./fabric/startup-wait", NB_OP_MODIFY,
			      wait_str ? wait_str : "30");
	return rs_cli_apply(vty, bgp);
}

DEFPY_YANG(no_rs_fabric, no_rs_fabric_cmd,
	   "no route-server fabric [socket PATH instance (0-1) [name WORD] [startup-wait (1-3600)]]",
	   NO_STR RS_STR
	   RS_FABRIC_HELP
	   "Instance name\n"
	   "Wait for End-of-RIB at start\n"
	   "Seconds\n")
{
	RS_CLI_BGP();
	nb_cli_enqueue_change(vty, "./fabric/socket", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, "./fabric/instance-name", NB_OP_DESTROY,
			      NULL);
	nb_cli_enqueue_change(vty, "./fabric/startup-wait", NB_OP_MODIFY,
			      "30");
	return rs_cli_apply(vty, bgp);
}

void rs_cli_show_fabric(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults)
{
	if (!yang_dnode_exists(dnode, "./socket"))
		return;
	vty_out(vty, " route-server fabric socket %s instance %s",
		yang_dnode_get_string(dnode, "./socket"),
		yang_dnode_get_string(dnode, "./instance-id"));
	if (yang_dnode_exists(dnode, "./instance-name"))
		vty_out(vty, " name %s",
			yang_dnode_get_string(dnode, "./instance-name"));
	if (yang_dnode_get_uint16(dnode, "./startup-wait") !=
	    RS_STARTUP_WAIT_DEFAULT_S)
		vty_out(vty, " startup-wait %s",
			yang_dnode_get_string(dnode, "./startup-wait"));
	vty_out(vty, "\n");
}

/*
 * VMs belong to the vnet-agent (--vm NAME=VNET,ip=ADDR): the route server
 * publishes one table per VNet. The old line is refused with the reason,
 * also from a startup file (where vty output goes to stderr: logged too).
 */
#define RS_VM_GONE                                                             \
	"route-server vm is no longer a route-server setting: VMs are declared to vnet-agent (--vm NAME=VNET,ip=ADDR in its configuration); the route server publishes one table per VNet"

DEFPY(rs_vm_gone, rs_vm_gone_cmd,
      "[no] route-server vm WORD$name [vnet WORD$vnet]",
      NO_STR RS_STR
      "Removed: VMs are declared to vnet-agent (--vm NAME=VNET,ip=ADDR)\n"
      "VM name\n"
      "The VNet the VM is in\n"
      "VNet name\n")
{
	vty_out(vty, "%% %s\n", RS_VM_GONE);
	if (vty->type == VTY_FILE)
		zlog_err("bgpd_rs: refused '%sroute-server vm %s%s%s': %s",
			 no ? "no " : "", name, vnet ? " vnet " : "",
			 vnet ? vnet : "", RS_VM_GONE);
	return CMD_WARNING_CONFIG_FAILED;
}

/* show commands ------------------------------------------------------- */

static struct rs_instance *rs_cli_show_instance_of(struct vty *vty,
						   const char *vrf)
{
	struct rs_instance *rsi = rs_instance_find(vrf ? vrf : VRF_DEFAULT_NAME);

	if (!rsi)
		vty_out(vty,
			"%% No route server in VRF %s (configure 'route-server' under router bgp %u)\n",
			vrf ? vrf : VRF_DEFAULT_NAME, RS_LOCAL_AS);
	return rsi;
}

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
	char buf[64];
	json_object *ji = NULL, *jsp;

	if (ctx->vrf && strcmp(ctx->vrf, rsi->vrf) != 0)
		return;
	as = rs_bgp_local_as(rsi->vrf);
	if (ctx->json) {
		ji = json_object_new_object();
		json_object_string_add(ji, "vrf", rsi->vrf);
		json_object_int_add(ji, "localAs", as);
		json_object_boolean_add(ji, "bgpInstance", as != 0);
		json_object_boolean_add(ji, "branchToBranch",
					rsi->branch_to_branch);
		json_object_boolean_add(ji, "asn4Byte", rsi->asn_4byte);
		json_object_boolean_add(ji, "ipv6", rsi->ipv6);
		json_object_string_add(ji, "hubRoutingPreference",
				       vrs_hub_pref_name(rsi->hub_pref));
		json_object_string_add(ji, "profile",
				       vrs_profile_name(rsi->profile));
		json_object_int_add(ji, "routeLimit", rsi->route_limit);
		json_object_string_add(ji, "routeLimitMode",
				       vrs_limit_mode_name(rsi->limit_mode));
		json_object_int_add(ji, "totalLimit", rsi->total_limit);
		rs_bgp_er_json(rsi, ji);
		rs_bgp_summary_json(rsi, ji);
		if (rsi->vnet_name[0])
			json_object_string_add(ji, "vnetName", rsi->vnet_name);
		jsp = json_object_new_array();
		for (size_t i = 0; i < rsi->n_spaces; i++)
			json_object_array_add(
				jsp, json_object_new_string(vrs_prefix_str(
					     &rsi->spaces[i], buf, sizeof(buf))));
		json_object_object_add(ji, "addressSpaces", jsp);
		jsp = json_object_new_array();
		for (size_t i = 0; i < rsi->n_originated; i++)
			json_object_array_add(
				jsp, json_object_new_string(vrs_prefix_str(
					     &rsi->originated[i], buf,
					     sizeof(buf))));
		json_object_object_add(ji, "advertisedSpaces", jsp);
		json_object_object_add(ctx->json, rsi->vrf, ji);
	} else {
		vty_out(vty, "Route server, VRF %s, local AS %u%s\n", rsi->vrf,
			as, as ? "" : " (no BGP instance)");
		vty_out(vty, "  VNet:                   %s\n",
			rsi->vnet_name[0] ? rsi->vnet_name : "(unnamed)");
		vty_out(vty, "  Address spaces:        ");
		for (size_t i = 0; i < rsi->n_spaces; i++)
			vty_out(vty, " %s",
				vrs_prefix_str(&rsi->spaces[i], buf,
					       sizeof(buf)));
		vty_out(vty, "%s\n", rsi->n_spaces ? "" : " none");
		vty_out(vty, "  Advertised to NVAs:    ");
		for (size_t i = 0; i < rsi->n_originated; i++)
			vty_out(vty, " %s",
				vrs_prefix_str(&rsi->originated[i], buf,
					       sizeof(buf)));
		vty_out(vty, "%s\n", rsi->n_originated ? "" : " none");
		vty_out(vty, "  Branch-to-branch:       %s\n",
			rsi->branch_to_branch ? "on" : "off");
		vty_out(vty, "  4-byte NVA ASNs:        %s\n",
			rsi->asn_4byte ? "accepted (asn-4byte)"
				       : "refused (2-byte only)");
		vty_out(vty, "  IPv6:                   %s\n",
			rsi->ipv6 ? "dual stack (ipv6)" : "refused (IPv4 only)");
		vty_out(vty, "  Hub routing preference: %s\n",
			vrs_hub_pref_name(rsi->hub_pref));
		vty_out(vty, "  Profile:                %s\n",
			vrs_profile_name(rsi->profile));
		vty_out(vty, "  Route limit:            %u per neighbor (%s), %u in all\n",
			rsi->route_limit, vrs_limit_mode_name(rsi->limit_mode),
			rsi->total_limit);
	}
	rs_bgp_conf_show_instance(rsi, vty, ji);
	rs_bgp_show_neighbors(rsi, vty, ji);
}

struct rs_bgpconf_ctx {
	struct vty *vty;
	const char *vrf;
};

static void rs_bgpconf_one(struct rs_instance *rsi, void *arg)
{
	struct rs_bgpconf_ctx *ctx = arg;

	if (ctx->vrf && strcmp(ctx->vrf, rsi->vrf) != 0)
		return;
	rs_bgp_conf_write(rsi, ctx->vty);
}

DEFPY(show_rs_bgp_config, show_rs_bgp_config_cmd,
      "show route-server bgp-config [vrf NAME$vrf]",
      SHOW_STR RS_STR
      "The lines of bgpd's configuration that the roles and the profile need\n"
      VRF_CMD_HELP_STR)
{
	struct rs_bgpconf_ctx ctx = { .vty = vty, .vrf = vrf };

	vty_out(vty,
		"! bgpd configuration the route-server roles need (add it to frr.conf;\n"
		"! the module checks it and never writes it)\n");
	rs_instance_walk(rs_bgpconf_one, &ctx);
	return CMD_SUCCESS;
}

DEFPY(show_rs, show_rs_cmd,
      "show route-server [vrf NAME$vrf] [<json$uj|az$az>]",
      SHOW_STR RS_STR VRF_CMD_HELP_STR JSON_STR RS_AZ_STR)
{
	struct rs_show_ctx ctx = { .vty = vty, .vrf = vrf };
	json_object *json = NULL;

	if (az) {
		struct rs_instance *rsi = rs_cli_show_instance_of(vty, vrf);

		if (!rsi)
			return CMD_WARNING;
		json = json_object_new_object();
		rs_az_show(rsi, json);
		vty_json(vty, json);
		return CMD_SUCCESS;
	}
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
	} else if (!vrf && !rs_instance_find(VRF_DEFAULT_NAME)) {
		vty_out(vty,
			"No route server configured (add 'route-server' under router bgp %u)\n",
			RS_LOCAL_AS);
	}
	return CMD_SUCCESS;
}

DEFPY(show_rs_routes, show_rs_routes_cmd,
      "show route-server [vrf NAME$vrf] neighbor <A.B.C.D|X:X::X:X>$addr <learned-routes$learned|advertised-routes> [<json$uj|az$az>]",
      SHOW_STR RS_STR VRF_CMD_HELP_STR
      "A neighbor of the route server\n"
      "Neighbor IPv4 address\n"
      "Neighbor IPv6 address\n"
      "Routes learned from the neighbor, with the route server's verdict\n"
      "Routes the route server advertises to the neighbor, as it receives them\n"
      JSON_STR RS_AZ_STR)
{
	struct rs_instance *rsi = rs_cli_show_instance_of(vty, vrf);
	json_object *json = NULL;
	int ret;

	if (!rsi)
		return CMD_WARNING;
	if (az) {
		json = json_object_new_object();
		if (rs_az_routes(rsi, addr_str, !learned, vty, json) < 0) {
			json_object_free(json);
			return CMD_WARNING;
		}
		vty_json(vty, json);
		return CMD_SUCCESS;
	}
	if (uj)
		json = json_object_new_object();
	ret = rs_bgp_show_routes(rsi, addr_str, !learned, vty, json);
	if (ret < 0) {
		json_object_free(json);
		return CMD_WARNING;
	}
	if (uj)
		vty_json(vty, json);
	return CMD_SUCCESS;
}

/* Effective routes of the VMs of one VNet the route server programs. */
static void rs_show_effective_vnet(struct vty *vty, const struct vrs_vnet *vnets,
				   size_t n_vnets, const struct vrs_vnet *vnet,
				   const struct vrs_bgp_route *bgp, size_t n_bgp,
				   json_object *json, json_object *jaz)
{
	struct vrs_eff_opts opts;
	struct vrs_eff_route *eff;
	size_t n, cap = n_bgp + 64;
	char buf[64];
	json_object *jroutes = NULL;

	vrs_eff_opts_init(&opts);
	eff = XCALLOC(MTYPE_TMP, cap * sizeof(*eff));
	n = vrs_effective_routes(vnets, n_vnets, vnet, &vnets[0], bgp, n_bgp,
				 &opts, eff, cap);
	if (n > cap)
		n = cap;
	if (jaz) {
		rs_az_effective(eff, n, jaz);
		XFREE(MTYPE_TMP, eff);
		return;
	}
	if (json)
		jroutes = json_object_new_array();
	else
		vty_out(vty, "VNet %s\n  %-8s %-22s %-22s %-22s %s\n",
			vnet->name, "State", "Source", "Prefix",
			"Next hop type", "Next hops");
	for (size_t i = 0; i < n; i++) {
		const struct vrs_eff_route *r = &eff[i];
		char nhs[8 * 48] = "";
		json_object *jr, *jnh;

		vrs_prefix_str(&r->prefix, buf, sizeof(buf));
		if (json) {
			jr = json_object_new_object();
			jnh = json_object_new_array();
			json_object_string_add(jr, "prefix", buf);
			json_object_string_add(jr, "source",
					       vrs_eff_source_name(r->source));
			json_object_string_add(jr, "state",
					       vrs_eff_state_name(r->state));
			json_object_string_add(jr, "nextHopType",
					       vrs_eff_nh_type_name(r->nh_type));
			for (size_t j = 0; j < r->n_nexthops; j++) {
				char a[48];

				vrs_addr_str(&r->nexthops[j], a, sizeof(a));
				json_object_array_add(jnh,
						      json_object_new_string(a));
			}
			json_object_object_add(jr, "nextHops", jnh);
			if (r->state == VRS_EFF_INVALID) {
				char c[64];

				json_object_string_add(
					jr, "overriddenBy",
					vrs_prefix_str(&r->covered_by, c,
						       sizeof(c)));
			}
			json_object_array_add(jroutes, jr);
			continue;
		}
		for (size_t j = 0; j < r->n_nexthops; j++) {
			char a[48];

			vrs_addr_str(&r->nexthops[j], a, sizeof(a));
			if (j)
				strlcat(nhs, ",", sizeof(nhs));
			strlcat(nhs, a, sizeof(nhs));
		}
		vty_out(vty, "  %-8s %-22s %-22s %-22s %s\n",
			vrs_eff_state_name(r->state),
			vrs_eff_source_name(r->source), buf,
			vrs_eff_nh_type_name(r->nh_type), nhs);
	}
	if (json)
		json_object_object_add(json, vnet->name, jroutes);
	XFREE(MTYPE_TMP, eff);
}

/* The VM as the agent knows it (effective-routes vm NAME). */
static void rs_show_vm_info(struct vty *vty, const char *vm,
			    const struct rs_fabric_vm_info *vi,
			    json_object *json)
{
	json_object *jvm;
	char in_use[16] = "none";

	if (!json) {
		if (vi->in_use >= 0)
			snprintf(in_use, sizeof(in_use), "%d", vi->in_use);
		vty_out(vty,
			"VM %s (VNet %s, %s; assigned instance %d, in use %s, table %u; from the vnet-agent)\n",
			vm, vi->vnet, vi->ip, vi->assigned, in_use, vi->table);
		return;
	}
	jvm = json_object_new_object();
	json_object_string_add(jvm, "name", vm);
	json_object_string_add(jvm, "vnet", vi->vnet);
	json_object_string_add(jvm, "ip", vi->ip);
	json_object_int_add(jvm, "assignedInstance", vi->assigned);
	json_object_int_add(jvm, "instanceInUse", vi->in_use);
	json_object_int_add(jvm, "table", vi->table);
	json_object_string_add(jvm, "netns", vi->netns);
	json_object_object_add(json, "vm", jvm);
}

DEFPY(show_rs_effective, show_rs_effective_cmd,
      "show route-server [vrf NAME$vrf] effective-routes [<vnet WORD$vnet|vm WORD$vm>] [<json$uj|az$az>]",
      SHOW_STR RS_STR VRF_CMD_HELP_STR
      "Routes programmed into the VMs (like the cloud's effective routes)\n"
      "Only one VNet's table (what its VMs get)\n"
      "VNet name\n"
      "Only one VM: the vnet-agent says which VNet it is in\n"
      "VM name\n" JSON_STR RS_AZ_STR)
{
	struct rs_instance *rsi = rs_cli_show_instance_of(vty, vrf);
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	const struct vrs_vnet *prog[RS_MAX_PEERINGS + 1];
	struct vrs_bgp_route *bgp = NULL;
	struct vrs_addr *nhs = NULL;
	struct rs_fabric_vm_info vi;
	size_t n_vnets, n_prog, n_bgp;
	json_object *json = NULL, *jv = NULL;
	bool found = false;

	if (!rsi)
		return CMD_WARNING;
	if (az && !vm && !vnet) {
		vty_out(vty,
			"%% the az shape is one NIC's table: add 'vm NAME' (or 'vnet NAME')\n");
		return CMD_WARNING;
	}
	if (vm) {
		char why[256] = "";

		memset(&vi, 0, sizeof(vi));
		if (rs_fabric_query_vm(vm, &vi, why, sizeof(why)) < 0) {
			vty_out(vty,
				"%% no VM %s: %s (VMs are declared to vnet-agent; 'effective-routes vnet NAME' needs no agent)\n",
				vm, why[0] ? why : "the vnet-agent does not know it");
			return CMD_WARNING;
		}
		vnet = vi.vnet;
	}
	n_vnets = rs_instance_vnets(rsi, vnets, array_size(vnets));
	n_prog = vrs_rs_programmed_vnets(vnets, n_vnets, &vnets[0], prog,
					 array_size(prog));
	if (vnet) {
		for (size_t i = 0; i < n_prog && i < array_size(prog); i++)
			found = found || strcmp(vnet, prog[i]->name) == 0;
		if (!found && vm) {
			vty_out(vty,
				"%% VM %s is in VNet %s, which this route server does not program (it programs its own VNet and spokes that use it)\n",
				vm, vnet);
			return CMD_WARNING;
		}
		if (!found) {
			vty_out(vty,
				"%% this route server does not program VNet %s (its own VNet and spokes that use it)\n",
				vnet);
			return CMD_WARNING;
		}
	}
	n_bgp = rs_bgp_vm_routes(rsi, false, &bgp, &nhs);
	if (uj || az)
		json = json_object_new_object();
	if (uj)
		jv = json_object_new_object();
	if (vm && !az)
		rs_show_vm_info(vty, vm, &vi, json);
	for (size_t i = 0; i < n_prog && i < array_size(prog); i++) {
		if (vnet && strcmp(vnet, prog[i]->name) != 0)
			continue;
		rs_show_effective_vnet(vty, vnets, n_vnets, prog[i], bgp, n_bgp,
				       jv, az ? json : NULL);
	}
	rs_bgp_vm_routes_free(bgp, nhs);
	if (az) {
		vty_json(vty, json);
	} else if (uj) {
		json_object_string_add(json, "vrf", rsi->vrf);
		json_object_object_add(json, "vnets", jv);
		vty_json(vty, json);
	}
	return CMD_SUCCESS;
}

/* A status object as indented "label: value" lines (text output). */
static void rs_show_text(struct vty *vty, json_object *obj, int depth)
{
	json_object_object_foreach (obj, key, val) {
		if (json_object_is_type(val, json_type_object)) {
			vty_out(vty, "%*s%s:\n", depth * 2, "", key);
			rs_show_text(vty, val, depth + 1);
			continue;
		}
		if (json_object_is_type(val, json_type_array)) {
			size_t n = json_object_array_length(val);

			vty_out(vty, "%*s%s:", depth * 2, "", key);
			for (size_t i = 0; i < n; i++)
				vty_out(vty, "%s%s", i ? ", " : " ",
					json_object_get_string(
						json_object_array_get_idx(val,
									  i)));
			vty_out(vty, "%s\n", n ? "" : " none");
			continue;
		}
		vty_out(vty, "%*s%s: %s\n", depth * 2, "", key,
			val ? json_object_get_string(val) : "-");
	}
}

DEFPY(show_rs_fabric, show_rs_fabric_cmd,
      "show route-server fabric [json$uj]",
      SHOW_STR RS_STR
      "Programming of the VMs through the vnet-agent\n" JSON_STR)
{
	json_object *json = json_object_new_object();

	rs_fabric_status_json(json);
	rs_startup_json(json);
	rs_publish_json(json);
	if (uj) {
		vty_json(vty, json);
		return CMD_SUCCESS;
	}
	vty_out(vty, "Route-server fabric (VM programming through the vnet-agent)\n");
	rs_show_text(vty, json, 1);
	json_object_free(json);
	return CMD_SUCCESS;
}

DEFPY(show_rs_explain, show_rs_explain_cmd,
      "show route-server [vrf NAME$vrf] explain <A.B.C.D/M|X:X::X:X/M>$prefix [<vm WORD$vm|vnet WORD$vnet>] [json$uj]",
      SHOW_STR RS_STR VRF_CMD_HELP_STR
      "Why a route is (not) on the VMs: candidates, verdicts, selection, coverage, outbound\n"
      "IPv4 prefix\n"
      "IPv6 prefix\n"
      "And what this instance published for one VM's VNet (the vnet-agent says which)\n"
      "VM name\n"
      "And what this instance published for one VNet\n"
      "VNet name\n" JSON_STR)
{
	struct rs_instance *rsi = rs_cli_show_instance_of(vty, vrf);
	json_object *json = NULL;

	if (!rsi)
		return CMD_WARNING;
	if (uj)
		json = json_object_new_object();
	if (rs_explain_show(rsi, prefix_str, vm, vnet, vty, json) < 0) {
		json_object_free(json);
		return CMD_WARNING;
	}
	if (uj)
		vty_json(vty, json);
	return CMD_SUCCESS;
}

void rs_cli_init(void)
{
	install_element(BGP_NODE, &rs_enable_cmd);
	install_element(BGP_NODE, &rs_branch_to_branch_cmd);
	install_element(BGP_NODE, &rs_asn_4byte_cmd);
	install_element(BGP_NODE, &rs_ipv6_cmd);
	install_element(BGP_NODE, &rs_hub_pref_cmd);
	install_element(BGP_NODE, &no_rs_hub_pref_cmd);
	install_element(BGP_NODE, &rs_profile_cmd);
	install_element(BGP_NODE, &rs_route_limit_cmd);
	install_element(BGP_NODE, &no_rs_route_limit_cmd);
	install_element(BGP_NODE, &rs_limit_mode_cmd);
	install_element(BGP_NODE, &rs_total_limit_cmd);
	install_element(BGP_NODE, &no_rs_total_limit_cmd);
	install_element(BGP_NODE, &rs_vnet_name_cmd);
	install_element(BGP_NODE, &rs_address_space_cmd);
	install_element(BGP_NODE, &rs_peering_cmd);
	install_element(BGP_NODE, &rs_peering_space_cmd);
	install_element(BGP_NODE, &rs_peering_flag_cmd);
	install_element(BGP_NODE, &rs_peering_use_remote_cmd);
	install_element(BGP_NODE, &rs_fabric_cmd);
	install_element(BGP_NODE, &no_rs_fabric_cmd);
	install_element(BGP_NODE, &rs_vm_gone_cmd);
	install_element(VIEW_NODE, &show_rs_fabric_cmd);
	install_element(VIEW_NODE, &show_rs_bgp_config_cmd);
	install_element(BGP_NODE, &rs_neighbor_cmd);
	install_element(BGP_NODE, &no_rs_neighbor_cmd);
	install_element(BGP_NODE, &rs_neighbor_rmap_cmd);
	install_element(BGP_NODE, &no_rs_neighbor_rmap_cmd);
	install_element(BGP_NODE, &rs_rmap_summary_cmd);
	install_element(VIEW_NODE, &show_rs_cmd);
	install_element(VIEW_NODE, &show_rs_routes_cmd);
	install_element(VIEW_NODE, &show_rs_effective_cmd);
	install_element(VIEW_NODE, &show_rs_explain_cmd);
}
