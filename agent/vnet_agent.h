// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent: shared declarations (fabric protocol 2).
 *
 * Model. A publisher (route-server instance 0 or 1) sends one table per
 * VNet; the agent keeps, per configured VNet, both instances' tables
 * (struct rtab keyed by prefix) and programs two "slot" tables T0/T1 in
 * the VNet's namespace: slot s from instance s, else from the other one,
 * else it keeps its routes for the grace period. Each VM is bound to its
 * slot's table by one policy rule per address (from ADDR lookup T<slot>;
 * a dual-stack VM has an IPv4 and an IPv6 one). Routes use
 * kernel nexthop objects: one per gateway, shared by every slot table of
 * the namespace, and one group per ECMP set and slot table, so that a
 * publisher's next hops down change only the groups of the slot tables
 * it feeds (one group replace each, no route touched).
 */
#ifndef VNET_AGENT_H
#define VNET_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vnet_netlink.h"
#include "vrs_fabric_codec.h"

#define VNET_DEFAULT_SOCKET "/run/vrs/vnet-agent.sock"
#define PATH_MAX_STATUS 160
#define VNET_DECODE_BUDGET_DEFAULT VRS_FABRIC_DECODE_BUDGET_DEFAULT
#define VNET_STAGE_MAX_TABLES_DEFAULT 65536u
#define VNET_STAGE_MAX_ROUTES_DEFAULT (1u << 21)
#define VNET_RULE_PREF_DEFAULT 1000u
/* Addresses one publisher may hold down at once. */
#define VNET_MAX_DOWN 65536u
/* Above this many VMs the status gives vmCount only. */
#define VNET_STATUS_MAX_VMS 1000u
/* VM rules added per step between event loop rounds. */
#define VNET_RULES_PER_STEP 256
/* First nexthop id the agent picks in a namespace. */
#define VNET_NH_ID_BASE 200000000u

enum { VLOG_ERR, VLOG_WARNING, VLOG_INFO, VLOG_DEBUG };

struct ratelim {
	double next;
	uint64_t suppressed;
};

/* ------------------------------------------------------------------ */
/* Configuration                                                      */

struct vnet_vnet_spec {
	char name[VRS_FABRIC_MAX_NAME + 1];
	char netns[VRS_FABRIC_MAX_NAME + 1];
	uint32_t tables[2];
	uint32_t metric;
	uint32_t rule_pref;
};

/* A VM has at most one IPv4 and one IPv6 address (dual stack). */
#define VNET_VM_MAX_ADDRS 2

struct vnet_vm_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* IPv4: the first 4 bytes, the rest 0 */
};

struct vnet_vm_spec {
	char name[VRS_FABRIC_MAX_NAME + 1];
	char vnet[VRS_FABRIC_MAX_NAME + 1];
	uint8_t n_addrs;	/* 1..VNET_VM_MAX_ADDRS */
	/* in the order given (status "ip" is the first) */
	struct vnet_vm_addr addrs[VNET_VM_MAX_ADDRS];
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
	size_t stage_max_tables;
	size_t stage_max_routes;
	bool flush_on_exit;
	/* net.ipv4.nexthop_compat_mode of the programmed namespaces:
	 * false = set 0 (named namespaces), true = leave as is. */
	bool nexthop_compat_keep;
	/* Also accept publishers running as this user (-1: root only). */
	long allow_uid;
	long allow_gid;
	struct vnet_vnet_spec *vnets;
	size_t n_vnets, cap_vnets;
	struct vnet_vm_spec *vms;
	size_t n_vms, cap_vms;
	/* name -> index + 1, open addressing (duplicate checks) */
	uint32_t *vnet_idx, *vm_idx;
	size_t vnet_idx_cap, vm_idx_cap;
};

void vnet_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs at most one line per 5 s for one kind of event, with the number
 * of lines suppressed since the previous one. */
void vnet_log_rl(struct ratelim *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double vnet_now(void);
/* FNV-1a 32-bit; a VM is assigned to slot vnet_vm_hash(name) % 2. */
uint32_t vnet_vm_hash(const char *name);
int vnet_agent_add_vnet(struct vnet_agent_opts *o, const char *spec,
			char *reason, size_t rlen);
int vnet_agent_add_vm(struct vnet_agent_opts *o, const char *spec,
		      char *reason, size_t rlen);
/* After all options: VMs name configured VNets, no (netns, address) twice
 * (per family: a VM's IPv4 and IPv6 addresses are separate keys), no
 * table of a namespace used twice. */
int vnet_agent_check_config(struct vnet_agent_opts *o, char *reason,
			    size_t rlen);
int vnet_agent_load_config(struct vnet_agent_opts *o, const char *path,
			   char *reason, size_t rlen);
void vnet_agent_opts_free(struct vnet_agent_opts *o);

/* ------------------------------------------------------------------ */
/* Route tables keyed by prefix                                       */

struct rkey {
	uint8_t family;
	uint8_t plen;
	uint8_t prefix[16];
};

enum rkind {
	RK_SKIP = 1,		/* published but not programmable (invalid,
				 * no next hop for a type that needs one) */
	RK_BLACKHOLE,		/* next-hop type none */
	RK_NH,			/* next hops: p = struct nhs (publisher) or
				 * struct kobj (kernel) */
	RK_LEGACY,		/* kernel: proto 200 route without a nexthop
				 * object of the agent's (v1, foreign id) */
};

struct rent {
	struct rkey k;
	uint8_t kind;		/* enum rkind, 0 = free slot */
	uint8_t pad;
	uint32_t h;		/* hash of k */
	void *p;
};

/* Open addressing, linear probing, backward-shift deletion. */
struct rtab {
	struct rent *e;
	size_t cap;		/* 0 or a power of 2 */
	size_t n;
};

struct rent *rtab_find(const struct rtab *t, const struct rkey *k);
/* The entry for k; a new one (*fresh) has kind RK_SKIP and p NULL and
 * the caller sets both. NULL: out of memory. Invalidates other entry
 * pointers. */
struct rent *rtab_put(struct rtab *t, const struct rkey *k, bool *fresh);
/* Removes k; its p is returned to the caller (NULL if absent). */
bool rtab_del(struct rtab *t, const struct rkey *k, void **p);
void rtab_free(struct rtab *t);
void rkey_from_route(struct rkey *k, const struct vrs_fabric_route *r);

/* An interned next-hop set (family, addresses and weights), refcounted. */
struct nhs {
	struct nhs *hnext;
	uint32_t hash;
	uint32_t refs;
	uint8_t family;
	uint8_t n;
	struct vrs_fabric_nh nh[];	/* sorted by address */
};

struct nhs *nhs_get(uint8_t family, const struct vrs_fabric_nh *nh,
		    size_t n);
void nhs_ref(struct nhs *s);
void nhs_put(struct nhs *s);

/* ------------------------------------------------------------------ */
/* Kernel objects of one namespace                                    */

struct nsx;

/* A nexthop object of the agent's: a gateway or a group (ECMP set). */
struct kobj {
	struct kobj *hnext;	/* ns hash: gateway by address, group by
				 * (nhs, slot) */
	struct kobj *gc_next;	/* ns list of objects without users */
	uint32_t id;
	uint32_t refs;		/* routes using it; a gateway: + groups */
	bool group;
	bool in_gc;
	uint8_t family;
	uint8_t addr[16];	/* gateway */
	uint32_t oif;		/* gateway */
	struct nhs *set;	/* group: its next hops (a reference) */
	struct slot *slot;	/* group: the slot table using it */
	struct kobj *member[VNL_MAX_GROUP];	/* group: gateway objects */
	uint32_t installed;	/* group: member bits in the kernel */
};

struct slot;

/* One fabric namespace: its socket, nexthop objects and VM rules. */
struct nsx {
	char name[VRS_FABRIC_MAX_NAME + 1];
	struct vnl nl;
	bool open;
	bool synced;		/* objects and slot tables read */
	bool rules_synced;
	double next_retry;
	char last_error[VRS_FABRIC_REASON_LEN];
	struct ratelim rl_error;
	int compat_mode;		/* nexthop_compat_mode now, -1 unknown */

	struct kobj **gw_hash, **grp_hash;	/* power-of-2 buckets */
	size_t gw_cap, grp_cap;
	size_t n_gw, n_grp;
	struct kobj *gc;	/* objects without users */
	/* nexthop ids in use in the namespace (ours and others) */
	uint32_t *ids;
	size_t ids_cap, ids_n;
	uint32_t next_id;
	/* proto-200 objects found at resync that are not usable (foreign
	 * members, blackhole, duplicates): deleted (groups first) once no
	 * route of ours may use them (n_legacy == 0) */
	uint32_t *stray_nh;
	bool *stray_grp;
	size_t n_stray_nh;
	size_t n_legacy;	/* applied routes of kind RK_LEGACY */

	struct slot **slots;	/* every slot table programmed here */
	size_t n_slots;
	size_t n_vms;
	uint32_t *vm_list;	/* its VMs (indices) */
	size_t n_vm_list;
	/* rule sync in steps (rules_step): next VM, this sync's counts */
	bool rules_pending;
	size_t rule_cursor;
	size_t sync_kept, sync_added, sync_stale;
	bool sync_failed;
	double sync_started;
	uint64_t rules_added, rules_deleted, rule_failures;
	uint64_t group_replaces;
};

/* ------------------------------------------------------------------ */
/* VNets, slots, VMs                                                  */

struct vnet;

/* A kernel route left by a previous run that must go (other metric). */
struct stray_route {
	struct rkey k;
	uint32_t metric;
	bool blackhole;
};

struct slot {
	struct vnet *vnet;
	int idx;			/* 0 or 1 */
	uint32_t table;
	int src;			/* instance programmed from, -1 none */
	struct rtab applied;		/* owned routes in the kernel */
	struct rtab foreign;		/* prefixes of routes not ours */
	struct stray_route *strays;
	size_t n_strays;
	bool dirty;			/* full diff on the next retry */
	double grace_deadline;		/* 0: not in grace */
	double next_retry;
	uint64_t last_seq;
	size_t n_unprog;		/* routes of the source not programmed */
	uint64_t runs, added, replaced, deleted, failures;
	uint64_t pass_seen, pass_err;	/* programming passes (errors) */
	bool unresolved;		/* routes skipped: gateway unusable */
	char last_error[VRS_FABRIC_REASON_LEN];
	struct ratelim rl_error;
};

struct vnet {
	char name[VRS_FABRIC_MAX_NAME + 1];
	struct nsx *ns;
	uint32_t metric;
	uint32_t rule_pref;
	struct slot slot[2];
	struct rtab src[2];		/* each instance's table */
	bool have[2];
	uint64_t src_seq[2];
	size_t n_vms;
};

/* A VM: one rule per address (ip rule / ip -6 rule), all to its slot's
 * table with the VNet's preference. */
struct vm {
	char name[VRS_FABRIC_MAX_NAME + 1];
	struct vnet *vnet;
	uint8_t n_addrs;
	uint8_t assigned;		/* fnv1a(name) % 2 */
	struct vnet_vm_addr addrs[VNET_VM_MAX_ADDRS];
	bool rule_ok[VNET_VM_MAX_ADDRS];	/* addrs[i]'s rule is in the
						 * kernel */
};

/* Every rule of the VM is in the kernel. */
static inline bool vm_rules_ok(const struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_addrs; i++)
		if (!vm->rule_ok[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Publishers                                                         */

struct conn;

/* A set of next-hop addresses (open addressing). */
struct aset {
	struct vrs_fabric_addr *e;
	uint8_t *used;
	size_t cap, n;
};

bool aset_has(const struct aset *s, const struct vrs_fabric_addr *a);
int aset_add(struct aset *s, const struct vrs_fabric_addr *a);
bool aset_del(struct aset *s, const struct vrs_fabric_addr *a);
void aset_free(struct aset *s);

struct inst {
	struct conn *conn;
	char name[VRS_FABRIC_MAX_NAME + 1];
	bool synced;			/* a complete Snapshot was applied */
	uint64_t last_seq;
	uint64_t messages, errors, connects, unknown_vnets;
	uint64_t snapshots, updates, withdrawn_unknown;
	uint64_t nh_down_msgs;
	struct aset down;		/* this publisher's down set */
	char last_error[VRS_FABRIC_REASON_LEN];
};

struct agent {
	struct vnet_agent_opts opt;
	int epfd, lfd, sfd, sigfd, tfd;
	struct vnet *vnets;
	size_t n_vnets;
	uint32_t *vnet_idx;
	size_t vnet_idx_cap;
	struct vm *vms;
	size_t n_vms;
	uint32_t *vm_idx;		/* by name, vm index + 1 */
	size_t vm_idx_cap;
	uint32_t *vmip_idx;		/* by (namespace, address): vm index *
					 * VNET_VM_MAX_ADDRS + address + 1 */
	size_t vmip_idx_cap;
	struct nsx *ns;
	size_t n_ns;
	struct conn *pre[16];
	struct inst inst[2];
	uint64_t rejected, evicted, refused_peers;
	uint64_t status_queries;
	bool accept_paused;		/* the pre-Hello pool is full and young */
	uint64_t accept_pauses;
	struct ratelim rl_refused, rl_evicted, rl_prehello, rl_status;
	double started;
	bool stop;
};

/* vnet_prog.c: tables, nexthop objects, programming */
int prog_init(struct agent *a);
void prog_fini(struct agent *a);
struct vnet *vnet_find(struct agent *a, const char *name);
struct vm *vm_find(struct agent *a, const char *name);
/* Opens and reads namespaces, binds VMs, starts grace: at start. */
void prog_start(struct agent *a);
/* Re-chooses the source of both slots of a VNet and programs them: a full
 * diff where the source changed, the slot is dirty, or the slot draws from
 * instance changed (its table was replaced as a whole; -1: none). */
void prog_vnet_select(struct agent *a, struct vnet *vn, int changed);
/* A delta applied to instance id's table of vn: programs its prefixes in
 * the slots drawing from id (changed = the delta's routes and withdrawn). */
void prog_vnet_delta(struct agent *a, struct vnet *vn, int id,
		     const struct vrs_fabric_vm_table *delta);
/* The effective down set changed: replace the affected groups. */
void prog_down_changed(struct agent *a);
/* Pending work in steps (VM rules); true while some is left (the event
 * loop then polls instead of waiting). */
bool prog_work(struct agent *a);
/* Retries, grace expiry (every tick). */
void prog_tick(struct agent *a, double now);
/* --flush-on-exit: routes, objects and rules of the agent. */
void prog_flush(struct agent *a);
/* Classification of a published route into a table entry. */
int prog_route_entry(const struct vrs_fabric_route *r, uint8_t *kind,
		     struct nhs **set);
size_t prog_count_groups(const struct agent *a);
size_t prog_count_gateways(const struct agent *a);
/* In the down set of instance id (connected and synced). */
bool prog_addr_down(const struct agent *a, int id, uint8_t family,
		    const uint8_t *addr);

#endif /* VNET_AGENT_H */
