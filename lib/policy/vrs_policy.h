// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_policy - umbrella header of the route-server policy core.
 *
 * Plain C, no FRR or bgpd types: the bgpd modules adapt their peers and
 * paths into these structs; the standalone agent uses them directly.
 * See lib/policy/README.md for which file decides what.
 */
#ifndef VRS_POLICY_H
#define VRS_POLICY_H

#include "vrs_mem.h"
#include "vrs_prefix.h"
#include "vrs_role.h"
#include "vrs_asn.h"
#include "vrs_limit.h"
#include "vrs_inbound.h"
#include "vrs_outbound.h"
#include "vrs_select.h"
#include "vrs_vnet.h"
#include "vrs_wire.h"
#include "vrs_effective.h"
#include "vrs_rmap.h"
#include "vrs_summary.h"

#endif /* VRS_POLICY_H */
