// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: module glue (lifecycle, hooks, side tables).
 */
#include <zebra.h>

#include "hook.h"
#include "libfrr.h"
#include "log.h"
#include "memory.h"
#include "module.h"
#include "northbound.h"
#include "vty.h"
#include "lib/version.h"

#include "bgpd/bgpd.h"

#include "bgp_rs.h"
#include "vrs_frr.h"

DEFINE_MGROUP(VRS_RS, "vrs bgpd_rs");
DEFINE_MTYPE_STATIC(VRS_RS, RS_INSTANCE, "Route-server instance");

extern struct yang_module_embed vrs_embed_frr_route_server;

static int rs_instance_cmp(const struct rs_instance *a,
			   const struct rs_instance *b)
{
	return strcmp(a->vrf, b->vrf);
}

static uint32_t rs_instance_hash(const struct rs_instance *a)
{
	return string_hash_make(a->vrf);
}

DECLARE_HASH(rs_instances, struct rs_instance, itm, rs_instance_cmp,
	     rs_instance_hash);

static struct rs_instances_head rs_instances[1];

struct rs_instance *rs_instance_find(const char *vrf)
{
	struct rs_instance ref = {};

	strlcpy(ref.vrf, vrf, sizeof(ref.vrf));
	return rs_instances_find(rs_instances, &ref);
}

struct rs_instance *rs_instance_get(const char *vrf)
{
	struct rs_instance *rsi = rs_instance_find(vrf);

	if (rsi)
		return rsi;
	rsi = XCALLOC(MTYPE_RS_INSTANCE, sizeof(*rsi));
	strlcpy(rsi->vrf, vrf, sizeof(rsi->vrf));
	rsi->hub_pref = RS_HUB_PREF_EXPRESSROUTE;
	rs_instances_add(rs_instances, rsi);
	return rsi;
}

void rs_instance_del(struct rs_instance *rsi)
{
	rs_instances_del(rs_instances, rsi);
	XFREE(MTYPE_RS_INSTANCE, rsi);
}

static int rs_instance_qsort_cmp(const void *a, const void *b)
{
	const struct rs_instance *const *x = a, *const *y = b;

	return strcmp((*x)->vrf, (*y)->vrf);
}

void rs_instance_walk(void (*cb)(struct rs_instance *rsi, void *arg),
		      void *arg)
{
	size_t n = rs_instances_count(rs_instances), i = 0;
	struct rs_instance *rsi;
	struct rs_instance **arr;

	if (n == 0)
		return;
	arr = XCALLOC(MTYPE_TMP, n * sizeof(*arr));
	frr_each (rs_instances, rs_instances, rsi)
		arr[i++] = rsi;
	qsort(arr, n, sizeof(*arr), rs_instance_qsort_cmp);
	for (i = 0; i < n; i++)
		cb(arr[i], arg);
	XFREE(MTYPE_TMP, arr);
}

static const char *const rs_hub_pref_names[] = {
	[RS_HUB_PREF_EXPRESSROUTE] = "expressroute",
	[RS_HUB_PREF_VPN_GATEWAY] = "vpn-gateway",
	[RS_HUB_PREF_AS_PATH] = "as-path",
};

const char *rs_hub_pref_str(enum rs_hub_pref pref)
{
	if ((size_t)pref >= array_size(rs_hub_pref_names))
		return "?";
	return rs_hub_pref_names[pref];
}

int rs_hub_pref_parse(const char *str, enum rs_hub_pref *pref)
{
	for (size_t i = 0; i < array_size(rs_hub_pref_names); i++)
		if (strcmp(str, rs_hub_pref_names[i]) == 0) {
			*pref = i;
			return 0;
		}
	return -1;
}

/* Writes the route-server lines inside "router bgp" of running-config. */
static int rs_config_write(struct bgp *bgp, struct vty *vty)
{
	char xpath[XPATH_MAXLEN];
	const struct lyd_node *dnode;

	snprintf(xpath, sizeof(xpath), RS_XPATH_INSTANCE,
		 rs_bgp_vrf_name(bgp));
	dnode = vrs_nb_running_dnode(xpath);
	if (dnode)
		nb_cli_show_dnode_cmds(vty, dnode, false);
	return 0;
}

static int rs_late_init(struct thread_master *tm)
{
	vrs_nb_register(&vrs_embed_frr_route_server, &frr_route_server_info);
	rs_cli_init();
	zlog_info("bgpd_rs: route-server module %s ready (FRR %s)",
		  VRS_VERSION, vrs_frr_running_version());
	return 0;
}

static int rs_fini(void)
{
	struct rs_instance *rsi;

	while ((rsi = rs_instances_pop(rs_instances)))
		XFREE(MTYPE_RS_INSTANCE, rsi);
	rs_instances_fini(rs_instances);
	return 0;
}

static int rs_module_init(void)
{
	if (!vrs_frr_version_ok("bgpd_rs"))
		return -1;

	rs_instances_init(rs_instances);
	hook_register(bgp_inst_config_write, rs_config_write);
	hook_register(frr_late_init, rs_late_init);
	hook_register(frr_fini, rs_fini);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_rs", .version = VRS_VERSION,
		 .description = "cloud route-server personality (AS 65515)",
		 .init = rs_module_init);
