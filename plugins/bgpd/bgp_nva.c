// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: module glue (lifecycle, hooks).
 */
#include <zebra.h>

#include "hook.h"
#include "libfrr.h"
#include "log.h"
#include "module.h"

#include "bgp_nva.h"
#include "vrs_frr.h"

static int nva_late_init(struct thread_master *tm)
{
	nva_cli_init();
	zlog_info("bgpd_nva: NVA peering module %s ready (FRR %s)",
		  VRS_VERSION, vrs_frr_running_version());
	return 0;
}

static int nva_module_init(void)
{
	if (!vrs_frr_version_ok("bgpd_nva"))
		return -1;
	hook_register(frr_late_init, nva_late_init);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_nva", .version = VRS_VERSION,
		 .description = "NVA peering templates for route servers",
		 .init = nva_module_init);
