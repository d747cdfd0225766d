// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the NVA side of a route-server design. Peering templates that
 * peer an NVA with both instances of a route server correctly.
 *
 * A template ("route-server-peering NAME ...") is YANG data
 * (frr-route-server-nva.yang). It owns two route-maps, VRS-NVA-<name>-IN
 * and -OUT, built from that data (not in running-config: the template
 * lines re-create them). The neighbors are the user's own bgpd lines
 * (one owner per setting): the template declares what they need and the
 * show commands report what is missing (bgp_nva_bgp.c). A template never
 * sends a route learned from its route server back to it.
 */
#ifndef BGP_NVA_H
#define BGP_NVA_H

#include <stdint.h>

#include "memory.h"
#include "prefix.h"
#include "typesafe.h"

DECLARE_MGROUP(VRS_NVA);

#define NVA_RS_AS 65515
#define NVA_STR "Route-server peering of an NVA (bgpd_nva)\n"
#define NVA_PEERING_STR "Route-server peering template (bgpd_nva)\n"
#define NVA_INST_STR "Settings of this instance's peering templates (bgpd_nva)\n"

#define NVA_XPATH_BASE "/frr-route-server-nva:route-server-nva"
#define NVA_XPATH_INSTANCE NVA_XPATH_BASE "/instance[vrf='%s']"
#define NVA_XPATH_PEERING NVA_XPATH_INSTANCE "/peering[name='%s']"

/* Reserved prefix of everything a template creates. */
#define NVA_OBJ_PREFIX "VRS-NVA-"
#define NVA_NAME_MAX 32
#define NVA_PFX_MAX 16
#define NVA_PREPEND_DEFAULT 3

enum nva_profile {
	NVA_PROFILE_AZURE_COMPAT = 0,
	NVA_PROFILE_FAST,
};

enum nva_role {
	NVA_ROLE_ACTIVE = 0,
	NVA_ROLE_PASSIVE,
};

/* One template's settings: a plain value, compared to re-apply. */
struct nva_tpl_conf {
	struct in_addr inst[2];
	uint8_t n_inst;
	bool single_instance;
	enum nva_profile profile;
	enum nva_role role;
	uint8_t prepend;
	struct prefix_ipv4 vnet[NVA_PFX_MAX];
	uint8_t n_vnet;
	struct prefix_ipv4 noadv[NVA_PFX_MAX];
	uint8_t n_noadv;
	char update_source[46];
};

struct vty;
struct json_object;
struct lyd_node;

PREDECL_HASH(nva_templates);

/* A template and what was last applied from it. */
struct nva_template {
	struct nva_templates_item itm;
	char vrf[37];
	char name[NVA_NAME_MAX + 1];
	struct nva_tpl_conf conf;
	/* The template's route-maps exist (conf was applied). */
	bool applied;
	/* The instance's 4-byte local AS opt-in, as last applied. */
	bool asn_4byte;
	/* Why (part of) the template could not be applied, or "". */
	char error[512];
};

/* bgp_nva.c: side table of templates. */
struct nva_template *nva_template_find(const char *vrf, const char *name);
struct nva_template *nva_template_get(const char *vrf, const char *name);
void nva_template_del(struct nva_template *tpl);
/* Calls cb for every template of a VRF (all when vrf is NULL), by name. */
void nva_template_walk(const char *vrf,
		       void (*cb)(struct nva_template *tpl, void *arg),
		       void *arg);
void nva_tpl_conf_default(struct nva_tpl_conf *conf);
const char *nva_profile_str(enum nva_profile p);
const char *nva_role_str(enum nva_role r);
/* Template lines of a VRF's instance for running-config. */
void nva_config_write_vrf(const char *vrf, struct vty *vty);
/* A VRF's BGP instance is being deleted (at shutdown: terminating). */
void nva_inst_delete_vrf(const char *vrf, bool terminating);

/* bgp_nva_nb.c: the table of XPaths and callbacks. */
extern const struct frr_yang_module_info frr_route_server_nva_info;

/* bgp_nva_nb_config.c: callbacks, named after their XPath. */
struct nb_cb_create_args;
struct nb_cb_modify_args;
struct nb_cb_destroy_args;
struct nb_cb_apply_finish_args;
struct nb_cb_pre_validate_args;
int route_server_nva_instance_create(struct nb_cb_create_args *args);
int route_server_nva_instance_destroy(struct nb_cb_destroy_args *args);
int route_server_nva_instance_asn_4byte_modify(struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_create(struct nb_cb_create_args *args);
int route_server_nva_instance_peering_destroy(struct nb_cb_destroy_args *args);
int route_server_nva_instance_peering_pre_validate(
	struct nb_cb_pre_validate_args *args);
void route_server_nva_instance_peering_apply_finish(
	struct nb_cb_apply_finish_args *args);
int route_server_nva_instance_peering_instance_address_create(
	struct nb_cb_create_args *args);
int route_server_nva_instance_peering_instance_address_destroy(
	struct nb_cb_destroy_args *args);
int route_server_nva_instance_peering_single_instance_modify(
	struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_profile_modify(
	struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_role_modify(
	struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_prepend_modify(
	struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_vnet_prefix_create(
	struct nb_cb_create_args *args);
int route_server_nva_instance_peering_vnet_prefix_destroy(
	struct nb_cb_destroy_args *args);
int route_server_nva_instance_peering_update_source_modify(
	struct nb_cb_modify_args *args);
int route_server_nva_instance_peering_update_source_destroy(
	struct nb_cb_destroy_args *args);
int route_server_nva_instance_peering_no_advertise_create(
	struct nb_cb_create_args *args);
int route_server_nva_instance_peering_no_advertise_destroy(
	struct nb_cb_destroy_args *args);

/* bgp_nva_cli.c */
void nva_cli_init(void);
void nva_cli_show_peering(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void nva_cli_show_asn_4byte(struct vty *vty, const struct lyd_node *dnode,
			    bool show_defaults);
/* bgp_nva.c: the 4-byte opt-in of a VRF's instance in running-config. */
bool nva_running_asn_4byte(const char *vrf);

/*
 * bgp_nva_bgp.c: reads bgpd's internal structs, builds the template's
 * route-maps through libfrr's API (writes into no private struct).
 */
/* Calls cb for each BGP instance with its VRF name and local AS. */
void nva_bgp_walk(void (*cb)(const char *vrf, uint32_t local_as, void *arg),
		  void *arg);
/* Route-server peers (remote-as 65515) of a VRF's instance, as JSON. */
void nva_bgp_rs_peers_json(const char *vrf, struct json_object *peers,
			   struct json_object *warnings);
/* VRF of the BGP instance a vty is in ("router bgp"), NULL if none. */
const char *nva_bgp_vty_vrf(struct vty *vty);
/* Local AS of a VRF's instance, 0 when there is none. */
uint32_t nva_bgp_local_as(const char *vrf);
/*
 * Checks before a template change; 0 when fine, else -1 with a sentence in
 * errmsg (printed after "% "). tpl_name is the template being changed.
 * asn_4byte is the instance's opt-in (route-server-nva asn-4byte): with
 * it a 4-byte local AS is accepted but IANA's reserved ones.
 */
int nva_bgp_check_local_as(const char *vrf, bool asn_4byte, char *errmsg,
			   size_t len);
int nva_bgp_check_instances(const char *vrf, const char *tpl_name,
			    const struct in_addr *addrs, int n, char *errmsg,
			    size_t len);
int nva_bgp_check_update_source(const char *src, char *errmsg, size_t len);
/* Create or update a template's route-maps from tpl->conf (old: last). */
void nva_bgp_apply(struct nva_template *tpl, const struct nva_tpl_conf *old);
/* Remove everything the template created (its route-maps). */
void nva_bgp_remove(struct nva_template *tpl);
/* "bgpConfig" (missing / drift bgpd lines of the instance neighbors). */
void nva_bgp_conf_json(struct nva_template *tpl, struct json_object *jt);
/* The bgpd lines the template declares, as a block to paste. */
void nva_bgp_conf_lines(struct nva_template *tpl, struct vty *vty);
/* Per-instance state of a template, as JSON. */
void nva_bgp_template_json(struct nva_template *tpl,
			   struct json_object *instances,
			   struct json_object *warnings);
/* bgpd hooks (from module init). */
void nva_bgp_hooks_register(void);
/* From late init: the module's route-map rules. */
void nva_bgp_init(void);
#endif /* BGP_NVA_H */
