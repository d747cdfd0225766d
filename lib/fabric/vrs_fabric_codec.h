// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VNet fabric protocol: framing, validated encode/decode, session state.
 *
 * Everything the agent or a publisher handles is the validated internal
 * form below (struct vrs_fabric_msg); the protobuf-c structures never
 * leave vrs_fabric_codec.c. A message that fails any check is rejected as
 * a whole, with a specific reason, so nothing is ever half-applied.
 */
#ifndef VRS_FABRIC_CODEC_H
#define VRS_FABRIC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/*
 * Version 2: one table per VNet, incremental deltas (per prefix), next-hop
 * down/up lists. A version 1 peer is refused with VRS_ERR_VERSION.
 */
#define VRS_FABRIC_PROTOCOL_VERSION 2
/* Frames: 4-byte big-endian payload length, then the payload. */
#define VRS_FABRIC_FRAME_HDR 4
#define VRS_FABRIC_MAX_FRAME_DEFAULT (4u << 20)
#define VRS_FABRIC_MAX_FRAME_LIMIT (64u << 20)
#define VRS_FABRIC_MAX_NEXTHOPS 16
#define VRS_FABRIC_MAX_NAME 64
/* Per Table / TableDelta (the v1 names are kept: one entry = one VNet). */
#define VRS_FABRIC_MAX_ROUTES_PER_VM 262144
#define VRS_FABRIC_MAX_ROUTES_PER_TABLE VRS_FABRIC_MAX_ROUTES_PER_VM
#define VRS_FABRIC_MAX_WITHDRAWN 262144
/* Tables (Snapshot) or deltas (Update) per message. */
#define VRS_FABRIC_MAX_VMS_PER_MSG 65536
#define VRS_FABRIC_MAX_TABLES_PER_MSG VRS_FABRIC_MAX_VMS_PER_MSG
/* Addresses per nexthops_down / nexthops_up list. */
#define VRS_FABRIC_MAX_NH_LIST 4096
#define VRS_FABRIC_MAX_ERROR_TEXT 512
#define VRS_FABRIC_KEEPALIVE_DEFAULT_MS 30000
#define VRS_FABRIC_KEEPALIVE_MIN_MS 100
#define VRS_FABRIC_KEEPALIVE_MAX_MS 600000
#define VRS_FABRIC_REASON_LEN 256
/*
 * Memory a receiver lets one frame's decode allocate (protobuf-c tree plus
 * the internal form); vnet-agent refuses a frame needing more with
 * VRS_ERR_LIMIT. A frame of the maximum size can need ~20x its size, so
 * publishers cut chunks by vrs_fabric_decode_cost() as well as by bytes.
 */
#define VRS_FABRIC_DECODE_BUDGET_DEFAULT (24u << 20)

enum vrs_fabric_role {
	VRS_ROLE_PUBLISHER = 1,
	VRS_ROLE_AGENT = 2,
};

/* Values are the wire values (vrs_fabric.proto). */
enum vrs_fabric_source {
	VRS_SRC_VNET_LOCAL = 1,
	VRS_SRC_VNET_PEERING = 2,
	VRS_SRC_VIRTUAL_NETWORK_GATEWAY = 3,
	VRS_SRC_USER = 4,
	VRS_SRC_DEFAULT = 5,
};

enum vrs_fabric_nh_type {
	VRS_NH_VNET_LOCAL = 1,
	VRS_NH_VNET_PEERING = 2,
	VRS_NH_VIRTUAL_APPLIANCE = 3,
	VRS_NH_VIRTUAL_NETWORK_GATEWAY = 4,
	VRS_NH_INTERNET = 5,
	VRS_NH_NONE = 6,
};

enum vrs_fabric_state {
	VRS_STATE_ACTIVE = 1,
	VRS_STATE_INVALID = 2,
};

enum vrs_fabric_msg_type {
	VRS_MSG_HELLO = 2,
	VRS_MSG_SNAPSHOT = 3,
	VRS_MSG_UPDATE = 4,
	VRS_MSG_KEEPALIVE = 5,
	VRS_MSG_ACK = 6,
	VRS_MSG_ERROR = 7,
};

/* Error codes carried in Error messages. */
enum vrs_fabric_err {
	VRS_ERR_NONE = 0,
	VRS_ERR_MALFORMED = 1,
	VRS_ERR_VERSION = 2,
	VRS_ERR_SEQUENCE = 3,
	VRS_ERR_STATE = 4,		/* message not valid in this state */
	VRS_ERR_DUPLICATE_INSTANCE = 5,
	VRS_ERR_TIMEOUT = 6,
	VRS_ERR_SHUTDOWN = 7,
	VRS_ERR_LIMIT = 8,		/* frame, decode budget, staging, slots */
	VRS_ERR_UNEXPECTED = 9,		/* type this side never accepts */
	VRS_ERR_WRONG_AGENT = 10,	/* Hello names another agent */
	VRS_ERR_ROLE = 11,		/* Hello from the wrong role */
};

#define VRS_ERR_MAX VRS_ERR_ROLE
const char *vrs_fabric_err_name(uint32_t code);

struct vrs_fabric_nh {
	uint8_t addr[16];	/* same family as the route */
	uint16_t weight;	/* 1..256 */
};

/*
 * One route. Next hops are kept sorted by address (canonical order), so
 * two routes with the same next-hop set compare equal whatever the order
 * they were sent in.
 */
struct vrs_fabric_route {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t source;		/* enum vrs_fabric_source, 0 = unknown (kernel) */
	uint8_t nh_type;	/* enum vrs_fabric_nh_type, 0 = unknown (kernel) */
	uint8_t state;		/* enum vrs_fabric_state */
	uint8_t n_nh;
	uint8_t prefix[16];
	struct vrs_fabric_nh nh[VRS_FABRIC_MAX_NEXTHOPS];
};

/* A route set, sorted by (family, prefix, plen), no duplicate prefixes. */
struct vrs_fabric_rset {
	struct vrs_fabric_route *routes;
	size_t n;
};

/*
 * One VNet's table (Snapshot: the table, or the part of it in this chunk)
 * or delta (Update: rs = routes added or replaced by prefix, withdrawn =
 * prefixes removed). The v1 name is kept; name is the VNet name.
 */
struct vrs_fabric_vm_table {
	char name[VRS_FABRIC_MAX_NAME + 1];
	struct vrs_fabric_rset rs;
	/*
	 * Update only: family/prefix/plen set, everything else 0, sorted by
	 * vrs_fabric_route_cmp_key, no duplicate, none also in rs; NULL when
	 * n_withdrawn is 0 (decoded messages).
	 */
	struct vrs_fabric_route *withdrawn;
	size_t n_withdrawn;
};

/* A next-hop address of a nexthops_down / nexthops_up list. */
struct vrs_fabric_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* 4 or 16 significant bytes, rest zero */
};

struct vrs_fabric_msg {
	enum vrs_fabric_msg_type type;
	uint64_t seq;		/* snapshot, update, keepalive, ack */

	/* hello */
	uint32_t protocol_version;
	enum vrs_fabric_role role;
	char instance_name[VRS_FABRIC_MAX_NAME + 1];
	uint32_t instance_id;
	char agent_name[VRS_FABRIC_MAX_NAME + 1];
	uint32_t keepalive_ms;	/* 0 on the wire is decoded as the default */

	/* snapshot, update */
	bool more;		/* snapshot only */
	/* Snapshot: tables (a VNet once per message); Update: deltas. */
	struct vrs_fabric_vm_table *vms;
	size_t n_vms;
	/* Update only: VNet tables withdrawn as a whole. */
	char (*removed)[VRS_FABRIC_MAX_NAME + 1];
	size_t n_removed;
	/*
	 * Snapshot: the publisher's full down set; Update: addresses going
	 * down / coming back up. Sorted (vrs_fabric_addr_cmp), no duplicates;
	 * NULL when empty (decoded messages).
	 */
	struct vrs_fabric_addr *nh_down;
	size_t n_nh_down;
	struct vrs_fabric_addr *nh_up;	/* update only */
	size_t n_nh_up;

	/* error */
	uint32_t code;
	char text[VRS_FABRIC_MAX_ERROR_TEXT + 1];
};

/*
 * Allocator for every allocation of the library (protobuf-c unpacking and
 * the internal form). NULL restores malloc/free. A bgpd module points it
 * at XMALLOC/XFREE with its own MTYPE. Set it before any other call.
 */
void vrs_fabric_set_allocator(const ProtobufCAllocator *alloc);
const ProtobufCAllocator *vrs_fabric_allocator(void);
void *vrs_fabric_alloc(size_t size);	/* zeroed */
void vrs_fabric_free(void *ptr);

/* Route set helpers. */
int vrs_fabric_rset_alloc(struct vrs_fabric_rset *rs, size_t n);
void vrs_fabric_rset_free(struct vrs_fabric_rset *rs);
int vrs_fabric_rset_copy(struct vrs_fabric_rset *dst,
			 const struct vrs_fabric_rset *src);
/* Sort routes and their next hops; -1 with reason on a duplicate prefix. */
int vrs_fabric_rset_normalize(struct vrs_fabric_rset *rs, char *reason,
			      size_t rlen);
int vrs_fabric_route_cmp_key(const struct vrs_fabric_route *a,
			     const struct vrs_fabric_route *b);
void vrs_fabric_route_sort_nh(struct vrs_fabric_route *r);
const struct vrs_fabric_route *
vrs_fabric_rset_find(const struct vrs_fabric_rset *rs,
		     const struct vrs_fabric_route *key);

/* Validation of one route (also used by the encoder and by tests). */
int vrs_fabric_route_validate(const struct vrs_fabric_route *r, char *reason,
			      size_t rlen);
/* Names: 1..64 of [A-Za-z0-9._:-]. */
bool vrs_fabric_name_valid(const char *name);

/*
 * Next-hop addresses of the down/up lists. Valid: AF_INET/AF_INET6,
 * unicast (not unspecified, not multicast/reserved), an IPv4 address has
 * zero bytes past its 4. Lists are sorted by vrs_fabric_addr_cmp.
 */
int vrs_fabric_addr_validate(const struct vrs_fabric_addr *a, char *reason,
			     size_t rlen);
int vrs_fabric_addr_cmp(const struct vrs_fabric_addr *a,
			const struct vrs_fabric_addr *b);
int vrs_fabric_addr_parse(const char *str, struct vrs_fabric_addr *a,
			  char *reason, size_t rlen);
const char *vrs_fabric_addr_str(const struct vrs_fabric_addr *a, char *buf,
				size_t len);

/* "10.0.0.0/8" <-> route prefix. */
int vrs_fabric_prefix_parse(const char *str, struct vrs_fabric_route *r,
			    char *reason, size_t rlen);
const char *vrs_fabric_prefix_str(const struct vrs_fabric_route *r, char *buf,
				  size_t len);
const char *vrs_fabric_source_name(unsigned int src);
const char *vrs_fabric_nh_type_name(unsigned int t);
int vrs_fabric_source_from_name(const char *name);
int vrs_fabric_nh_type_from_name(const char *name);

/*
 * Encode a message as one frame (length header included) into a buffer
 * allocated with the library allocator. The message is validated first:
 * an invalid message is never put on the wire.
 */
int vrs_fabric_encode(const struct vrs_fabric_msg *msg, uint8_t **frame,
		      size_t *frame_len, char *reason, size_t rlen);

/*
 * Upper bound of what decoding one table or delta allocates (measured
 * with protobuf-c 1.4 and glibc malloc: ~570 bytes for a route with one
 * next hop, ~125 per further next hop, ~410 per withdrawn prefix, ~930
 * per empty table or delta, ~170 per removed table, ~112 per next-hop
 * list address), for cutting chunks. test_fabric_codec checks the bound.
 */
#define VRS_FABRIC_DECODE_COST_MSG 4096u	/* per message */
#define VRS_FABRIC_DECODE_COST_TABLE 1024u
#define VRS_FABRIC_DECODE_COST_ROUTE 512u
#define VRS_FABRIC_DECODE_COST_NH 128u		/* per next hop of a route */
#define VRS_FABRIC_DECODE_COST_WITHDRAWN 512u
#define VRS_FABRIC_DECODE_COST_ADDR 128u		/* nexthops_down/_up entry */
#define VRS_FABRIC_DECODE_COST_NAME 256u	/* removed table */
size_t vrs_fabric_decode_cost(const struct vrs_fabric_vm_table *t);
/* n addresses of a nexthops_down / nexthops_up list. */
size_t vrs_fabric_decode_cost_addrs(size_t n);
/* The whole message, VRS_FABRIC_DECODE_COST_MSG included. */
size_t vrs_fabric_msg_decode_cost(const struct vrs_fabric_msg *m);

/*
 * Decode and fully validate one frame payload (without the length
 * header). On success *msg owns its memory (vrs_fabric_msg_free).
 *
 * vrs_fabric_decode_ex also says which Error code a refusal deserves
 * (*code: VRS_ERR_VERSION for an Envelope version or a Hello
 * protocol_version other than VRS_FABRIC_PROTOCOL_VERSION, else
 * VRS_ERR_MALFORMED; VRS_ERR_NONE on success) and words a version
 * refusal for local_role (vrs_fabric_version_refusal). vrs_fabric_decode
 * is decode_ex with no role and no code.
 */
int vrs_fabric_decode(const uint8_t *payload, size_t len,
		      struct vrs_fabric_msg *msg, char *reason, size_t rlen);
int vrs_fabric_decode_ex(const uint8_t *payload, size_t len,
			 enum vrs_fabric_role local_role,
			 struct vrs_fabric_msg *msg, enum vrs_fabric_err *code,
			 char *reason, size_t rlen);
/*
 * The Error 2 text for a peer speaking version: for an agent and a
 * version 1 publisher, "protocol version 1 not supported: this agent
 * speaks version 2 (tables per VNet); upgrade the publisher" (the
 * publisher side says the same about an agent). Returns buf.
 */
const char *vrs_fabric_version_refusal(uint32_t version,
				       enum vrs_fabric_role local_role,
				       char *buf, size_t len);
/*
 * Without decoding (no allocation): 0 when the Envelope's version (and a
 * Hello's protocol_version) is VRS_FABRIC_PROTOCOL_VERSION or the frame
 * is not a well-formed Envelope (left to the decoder); -1 with the
 * refusal text (answer VRS_ERR_VERSION) otherwise.
 */
int vrs_fabric_check_version(const uint8_t *payload, size_t len,
			     enum vrs_fabric_role local_role, char *reason,
			     size_t rlen);
void vrs_fabric_msg_free(struct vrs_fabric_msg *msg);
const char *vrs_fabric_msg_type_name(enum vrs_fabric_msg_type t);

/*
 * Incremental frame reader for a stream socket. The length header is
 * checked against max_frame before the payload buffer is allocated.
 */
struct vrs_fabric_reader {
	uint32_t max_frame;
	uint8_t hdr[VRS_FABRIC_FRAME_HDR];
	size_t hdr_got;
	uint8_t *buf;
	uint32_t len;
	uint32_t got;
	enum vrs_fabric_err err;	/* why the last feed failed */
};

void vrs_fabric_reader_init(struct vrs_fabric_reader *rd, uint32_t max_frame);
void vrs_fabric_reader_reset(struct vrs_fabric_reader *rd);
/*
 * Consume bytes from data. Returns 1 when a frame is complete (payload in
 * rd->buf, rd->len bytes; call vrs_fabric_reader_reset after use; *used
 * tells how much of data was consumed), 0 when more bytes are needed
 * (all consumed), -1 on a framing error (reason set, rd->err:
 * VRS_ERR_LIMIT for a length above max_frame or no memory,
 * VRS_ERR_MALFORMED for a zero length).
 */
int vrs_fabric_reader_feed(struct vrs_fabric_reader *rd, const uint8_t *data,
			   size_t len, size_t *used, char *reason,
			   size_t rlen);

/*
 * Peek at the message type of a frame payload without decoding it (no
 * allocation): the last oneof field of the Envelope, as protobuf parses
 * it. 0 and *type set, or -1 (reason set) if the top level is not a
 * well-formed Envelope or carries no known message.
 */
int vrs_fabric_peek_type(const uint8_t *payload, size_t len,
			 enum vrs_fabric_msg_type *type, char *reason,
			 size_t rlen);
/* The Envelope's version field (0 if absent), same walk. */
int vrs_fabric_peek_version(const uint8_t *payload, size_t len,
			    uint32_t *version);

/*
 * Session state machine of the receiving side, as ONE table per local
 * role: (state x message type) -> verdict. Nothing else decides whether a
 * message is allowed; the only checks outside the table are the ones that
 * need the message's content (Hello role, seq order, Ack range), and they
 * only ever turn an ACCEPT into a REJECT.
 *
 * Agent side: Hello(publisher) first and once; Snapshot/Update/Keepalive
 * with strictly increasing seq; Update only once a complete Snapshot was
 * received and not while a chunked one is open; Error from the peer ends
 * the session (not before Hello); Ack is never accepted. Publisher side:
 * Hello(agent), Ack (non-decreasing, never above what it sent), Error.
 * A closed session ignores everything.
 */
enum vrs_fabric_sess_state {
	VRS_SESS_WAIT_HELLO = 0,
	VRS_SESS_WAIT_SNAPSHOT,
	VRS_SESS_IN_SNAPSHOT,	/* chunked snapshot open */
	VRS_SESS_SYNCED,
	VRS_SESS_CLOSED,
	VRS_SESS_N_STATES,
};

enum vrs_fabric_verdict {
	VRS_V_ACCEPT = 0,	/* process it; state -> rule.next */
	VRS_V_REJECT,		/* answer Error rule.code, close */
	VRS_V_IGNORE,		/* drop silently, state unchanged */
	VRS_V_END,		/* peer ended the session (Error): close, no answer */
};

struct vrs_fabric_sess_rule {
	enum vrs_fabric_verdict verdict;
	enum vrs_fabric_err code;		/* REJECT */
	enum vrs_fabric_sess_state next;	/* ACCEPT, END */
	const char *reason;			/* REJECT, IGNORE */
};

struct vrs_fabric_session {
	enum vrs_fabric_role local_role;
	enum vrs_fabric_sess_state state;
	uint64_t last_seq;	/* last seq received */
	bool have_seq;
	uint64_t last_sent;	/* publisher side: highest seq sent */
	uint64_t last_ack;
};

/* Outcome of one received message. */
struct vrs_fabric_sess_result {
	enum vrs_fabric_verdict verdict;
	enum vrs_fabric_err code;	/* REJECT: the Error code to answer */
};

void vrs_fabric_session_init(struct vrs_fabric_session *s,
			     enum vrs_fabric_role local_role);
const char *vrs_fabric_sess_state_name(enum vrs_fabric_sess_state st);
/*
 * The table row for (s->state, type): usable before the message is
 * decoded (with vrs_fabric_peek_type). Never NULL: an unknown type gets a
 * REJECT VRS_ERR_MALFORMED row.
 */
const struct vrs_fabric_sess_rule *
vrs_fabric_session_rule(enum vrs_fabric_role local_role,
			enum vrs_fabric_sess_state state,
			enum vrs_fabric_msg_type type);
/*
 * Applies a decoded message: the table, then the content checks. On
 * ACCEPT/END the state advances; on REJECT the reason is set and the
 * state is unchanged (the caller closes).
 */
struct vrs_fabric_sess_result
vrs_fabric_session_step(struct vrs_fabric_session *s,
			const struct vrs_fabric_msg *msg, char *reason,
			size_t rlen);
/* Compatibility: 0 = ACCEPT or END, -1 = REJECT or IGNORE (reason set). */
int vrs_fabric_session_accept(struct vrs_fabric_session *s,
			      const struct vrs_fabric_msg *msg, char *reason,
			      size_t rlen);
/* Publisher side: record a seq sent, for Ack checking. */
void vrs_fabric_session_sent(struct vrs_fabric_session *s, uint64_t seq);

#endif /* VRS_FABRIC_CODEC_H */
