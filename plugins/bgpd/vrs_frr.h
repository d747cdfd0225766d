// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Glue shared by the vrs bgpd modules: the FRR version guard and the
 * registration of a module's own northbound (YANG) model after bgpd's
 * nb_init() has run.
 */
#ifndef VRS_FRR_H
#define VRS_FRR_H

#include "northbound.h"
#include "yang.h"

/* The FRR version of the headers this module was compiled against. */
#ifdef VRS_FAKE_FRR_VERSION
#define VRS_HEADERS_FRR_VERSION VRS_FAKE_FRR_VERSION
#else
#define VRS_HEADERS_FRR_VERSION FRR_VERSION
#endif

/*
 * True when the running libfrr/bgpd is the FRR version the module was built
 * for. Otherwise logs (and prints to stderr) why the module refuses to load.
 */
bool vrs_frr_version_ok(const char *modname);

/* The version of the running libfrr (for show commands). */
const char *vrs_frr_running_version(void);

/*
 * Load an embedded YANG module into bgpd's libyang context and attach the
 * northbound callbacks of `info`. Call from frr_late_init, after nb_init().
 */
void vrs_nb_register(struct yang_module_embed *embed,
		     const struct frr_yang_module_info *info);

/* Data node of a config xpath in the running configuration, or NULL. */
const struct lyd_node *vrs_nb_running_dnode(const char *xpath);

struct vty;
/* One-line "% reason" refusal from the northbound before applying. */
int vrs_nb_cli_precheck(struct vty *vty, const char *base);

/*
 * A BGP instance was deleted ("no router bgp"): drop a module's subtree
 * at xpath (schema_xpath: its list node) from the running configuration
 * (one northbound transaction on a copy of running) and from the shared
 * candidate that classic-mode vtysh commits from, so that a re-created
 * instance starts clean. who names the module in logs.
 */
void vrs_nb_forget(const char *schema_xpath, const char *xpath,
		   const char *who);

#endif /* VRS_FRR_H */
