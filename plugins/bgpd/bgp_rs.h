// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: cloud route-server personality for bgpd (router bgp 65515).
 *
 * Module state lives in side tables keyed by the BGP instance's VRF name,
 * created by the northbound callbacks and freed on instance removal.
 */
#ifndef BGP_RS_H
#define BGP_RS_H

#include "typesafe.h"
#include "northbound.h"

#define RS_LOCAL_AS 65515
#define RS_XPATH_BASE "/frr-route-server:route-server"
#define RS_XPATH_INSTANCE RS_XPATH_BASE "/instance[vrf='%s']"

#define RS_STR "Cloud route-server personality (bgpd_rs)\n"

enum rs_hub_pref {
	RS_HUB_PREF_EXPRESSROUTE = 0,
	RS_HUB_PREF_VPN_GATEWAY,
	RS_HUB_PREF_AS_PATH,
};

PREDECL_HASH(rs_instances);

/* Route-server settings of one bgpd instance. */
struct rs_instance {
	struct rs_instances_item itm;
	char vrf[37];
	bool branch_to_branch;
	enum rs_hub_pref hub_pref;
};

/* bgp_rs.c */
struct rs_instance *rs_instance_find(const char *vrf);
struct rs_instance *rs_instance_get(const char *vrf);
void rs_instance_del(struct rs_instance *rsi);
/* Calls cb for every configured instance, ordered by VRF name. */
void rs_instance_walk(void (*cb)(struct rs_instance *rsi, void *arg),
		      void *arg);
const char *rs_hub_pref_str(enum rs_hub_pref pref);
int rs_hub_pref_parse(const char *str, enum rs_hub_pref *pref);

/* bgp_rs_nb.c */
extern const struct frr_yang_module_info frr_route_server_info;

/* bgp_rs_cli.c */
void rs_cli_init(void);
void rs_cli_show_branch_to_branch(struct vty *vty, const struct lyd_node *dnode,
				  bool show_defaults);
void rs_cli_show_hub_pref(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void rs_cli_show_instance(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);

/* bgp_rs_bgp.c: the one file that reads bgpd's internal structs. */
struct bgp;
struct json_object;
/* VRF name used as key for a BGP instance ("default" for the default). */
const char *rs_bgp_vrf_name(struct bgp *bgp);
/* Local AS of the BGP instance of a VRF, 0 when there is none. */
uint32_t rs_bgp_local_as(const char *vrf);
/* Add the instance's peers (state, counters) to a JSON object. */
void rs_bgp_peers_json(const char *vrf, struct json_object *peers);
/* Text table of the same. */
void rs_bgp_peers_vty(const char *vrf, struct vty *vty);

#endif /* BGP_RS_H */
