// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent: shared declarations.
 */
#ifndef VNET_AGENT_H
#define VNET_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_fabric_codec.h"

#define VNET_DEFAULT_SOCKET "/run/vrs/vnet-agent.sock"
#define PATH_MAX_STATUS 160
#define VNET_DECODE_BUDGET_DEFAULT VRS_FABRIC_DECODE_BUDGET_DEFAULT
#define VNET_STAGE_MAX_VMS_DEFAULT 262144u
#define VNET_STAGE_MAX_ROUTES_DEFAULT (1u << 21)

enum { VLOG_ERR, VLOG_WARNING, VLOG_INFO, VLOG_DEBUG };

struct vnet_vm_spec {
	char name[VRS_FABRIC_MAX_NAME + 1];
	char netns[VRS_FABRIC_MAX_NAME + 1];
	uint32_t table;
	uint32_t metric;
};

struct vnet_agent_opts {
	const char *socket;
	char name[VRS_FABRIC_MAX_NAME + 1];
	double grace_s;
	uint32_t max_frame;
	/* Memory one frame's decode may allocate (protobuf-c tree plus the
	 * internal form); a frame needing more is refused (Error 8). */
	size_t decode_budget;
	/* Caps of a chunked snapshot being staged (Error 8 beyond). */
	size_t stage_max_vms;
	size_t stage_max_routes;
	bool flush_on_exit;
	/* Also accept publishers running as this user (-1: root only). */
	long allow_uid;
	long allow_gid;
	struct vnet_vm_spec *vms;
	size_t n_vms;
};

void vnet_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* FNV-1a 32-bit; a VM is assigned to instance vnet_vm_hash(name) % 2. */
uint32_t vnet_vm_hash(const char *name);
int vnet_agent_add_vm(struct vnet_agent_opts *o, const char *spec,
		      char *reason, size_t rlen);
int vnet_agent_load_config(struct vnet_agent_opts *o, const char *path,
			   char *reason, size_t rlen);

#endif /* VNET_AGENT_H */
