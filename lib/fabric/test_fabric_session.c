// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of the session table: every (local role x state x message
 * type) pair against an expectation written out here independently of
 * the library's table, then the content checks (Hello role, seq order,
 * Ack range), the wire peek used before decoding, and the frame reader's
 * error codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrs_fabric_codec.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			failures++;                                            \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
		}                                                              \
	} while (0)

#define A VRS_V_ACCEPT
#define R VRS_V_REJECT
#define I VRS_V_IGNORE
#define E VRS_V_END

struct want {
	enum vrs_fabric_verdict v;
	enum vrs_fabric_err code;
	enum vrs_fabric_sess_state next;	/* ACCEPT/END */
};

#define W(v, c, n) { v, VRS_ERR_##c, VRS_SESS_##n }
#define ST(n) VRS_SESS_##n

static const enum vrs_fabric_msg_type types[] = {
	VRS_MSG_HELLO, VRS_MSG_SNAPSHOT, VRS_MSG_UPDATE,
	VRS_MSG_KEEPALIVE, VRS_MSG_ACK, VRS_MSG_ERROR,
};

/* Columns: Hello, Snapshot (more = false), Update, Keepalive, Ack, Error. */
static const struct want agent_want[VRS_SESS_N_STATES][6] = {
	[VRS_SESS_WAIT_HELLO] = {
		W(A, NONE, WAIT_SNAPSHOT), W(R, STATE, WAIT_HELLO),
		W(R, STATE, WAIT_HELLO), W(R, STATE, WAIT_HELLO),
		W(R, UNEXPECTED, WAIT_HELLO), W(R, STATE, WAIT_HELLO) },
	[VRS_SESS_WAIT_SNAPSHOT] = {
		W(R, STATE, WAIT_SNAPSHOT), W(A, NONE, SYNCED),
		W(R, STATE, WAIT_SNAPSHOT), W(A, NONE, WAIT_SNAPSHOT),
		W(R, UNEXPECTED, WAIT_SNAPSHOT), W(E, NONE, CLOSED) },
	[VRS_SESS_IN_SNAPSHOT] = {
		W(R, STATE, IN_SNAPSHOT), W(A, NONE, SYNCED),
		W(R, STATE, IN_SNAPSHOT), W(A, NONE, IN_SNAPSHOT),
		W(R, UNEXPECTED, IN_SNAPSHOT), W(E, NONE, CLOSED) },
	[VRS_SESS_SYNCED] = {
		W(R, STATE, SYNCED), W(A, NONE, SYNCED), W(A, NONE, SYNCED),
		W(A, NONE, SYNCED), W(R, UNEXPECTED, SYNCED),
		W(E, NONE, CLOSED) },
	[VRS_SESS_CLOSED] = {
		W(I, NONE, CLOSED), W(I, NONE, CLOSED), W(I, NONE, CLOSED),
		W(I, NONE, CLOSED), W(I, NONE, CLOSED), W(I, NONE, CLOSED) },
};

static const struct want publisher_want[VRS_SESS_N_STATES][6] = {
	[VRS_SESS_WAIT_HELLO] = {
		W(A, NONE, SYNCED), W(R, UNEXPECTED, WAIT_HELLO),
		W(R, UNEXPECTED, WAIT_HELLO), W(R, UNEXPECTED, WAIT_HELLO),
		W(R, STATE, WAIT_HELLO), W(E, NONE, CLOSED) },
	[VRS_SESS_WAIT_SNAPSHOT] = {
		W(R, STATE, WAIT_SNAPSHOT), W(R, STATE, WAIT_SNAPSHOT),
		W(R, STATE, WAIT_SNAPSHOT), W(R, STATE, WAIT_SNAPSHOT),
		W(R, STATE, WAIT_SNAPSHOT), W(E, NONE, CLOSED) },
	[VRS_SESS_IN_SNAPSHOT] = {
		W(R, STATE, IN_SNAPSHOT), W(R, STATE, IN_SNAPSHOT),
		W(R, STATE, IN_SNAPSHOT), W(R, STATE, IN_SNAPSHOT),
		W(R, STATE, IN_SNAPSHOT), W(E, NONE, CLOSED) },
	[VRS_SESS_SYNCED] = {
		W(R, STATE, SYNCED), W(R, UNEXPECTED, SYNCED),
		W(R, UNEXPECTED, SYNCED), W(R, UNEXPECTED, SYNCED),
		W(A, NONE, SYNCED), W(E, NONE, CLOSED) },
	[VRS_SESS_CLOSED] = {
		W(I, NONE, CLOSED), W(I, NONE, CLOSED), W(I, NONE, CLOSED),
		W(I, NONE, CLOSED), W(I, NONE, CLOSED), W(I, NONE, CLOSED) },
};

/* A valid message of that type for a session (fresh seq, right role). */
static void mkmsg(struct vrs_fabric_msg *m, const struct vrs_fabric_session *s,
		  enum vrs_fabric_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->role = s->local_role == VRS_ROLE_AGENT ? VRS_ROLE_PUBLISHER
						  : VRS_ROLE_AGENT;
	m->seq = type == VRS_MSG_ACK ? s->last_sent : s->last_seq + 1;
	m->code = VRS_ERR_SHUTDOWN;
}

/* Brings a session into a state by real steps where the role allows. */
static void enter(struct vrs_fabric_session *s, enum vrs_fabric_role role,
		  enum vrs_fabric_sess_state st)
{
	struct vrs_fabric_msg m;
	char reason[VRS_FABRIC_REASON_LEN];

	vrs_fabric_session_init(s, role);
	vrs_fabric_session_sent(s, 7);
	if (st == VRS_SESS_WAIT_HELLO)
		return;
	if (role == VRS_ROLE_PUBLISHER &&
	    (st == VRS_SESS_WAIT_SNAPSHOT || st == VRS_SESS_IN_SNAPSHOT)) {
		s->state = st;	/* unreachable for a publisher: forced */
		return;
	}
	mkmsg(&m, s, VRS_MSG_HELLO);
	CHECK(vrs_fabric_session_step(s, &m, reason, sizeof(reason)).verdict ==
		      VRS_V_ACCEPT,
	      "enter: hello: %s", reason);
	if (role == VRS_ROLE_AGENT && st != VRS_SESS_WAIT_SNAPSHOT &&
	    st != VRS_SESS_CLOSED) {
		mkmsg(&m, s, VRS_MSG_SNAPSHOT);
		m.more = st == VRS_SESS_IN_SNAPSHOT;
		CHECK(vrs_fabric_session_step(s, &m, reason, sizeof(reason))
				      .verdict == VRS_V_ACCEPT,
		      "enter: snapshot: %s", reason);
	}
	if (st == VRS_SESS_CLOSED) {
		mkmsg(&m, s, VRS_MSG_ERROR);
		CHECK(vrs_fabric_session_step(s, &m, reason, sizeof(reason))
				      .verdict == VRS_V_END,
		      "enter: error: %s", reason);
	}
	CHECK(s->state == st, "enter: state %d, wanted %d", s->state, st);
}

static void test_matrix(void)
{
	static const struct {
		enum vrs_fabric_role role;
		const struct want (*want)[6];
		const char *name;
	} roles[] = {
		{ VRS_ROLE_AGENT, agent_want, "agent" },
		{ VRS_ROLE_PUBLISHER, publisher_want, "publisher" },
	};
	unsigned int pairs = 0;

	for (size_t r = 0; r < 2; r++)
		for (int st = 0; st < VRS_SESS_N_STATES; st++)
			for (size_t t = 0; t < 6; t++) {
				const struct want *w = &roles[r].want[st][t];
				const struct vrs_fabric_sess_rule *rule;
				struct vrs_fabric_sess_result res;
				struct vrs_fabric_session s;
				struct vrs_fabric_msg m;
				char reason[VRS_FABRIC_REASON_LEN] = "";

				enter(&s, roles[r].role, st);
				rule = vrs_fabric_session_rule(roles[r].role, st,
							       types[t]);
				mkmsg(&m, &s, types[t]);
				res = vrs_fabric_session_step(&s, &m, reason,
							      sizeof(reason));
				pairs++;
				CHECK(rule->verdict == w->v &&
					      rule->code == w->code,
				      "%s %s x %s: table says %d/%u, want %d/%u",
				      roles[r].name,
				      vrs_fabric_sess_state_name(st),
				      vrs_fabric_msg_type_name(types[t]),
				      rule->verdict, rule->code, w->v, w->code);
				CHECK(res.verdict == w->v && res.code == w->code,
				      "%s %s x %s: step gave %d/%u (%s), want %d/%u",
				      roles[r].name,
				      vrs_fabric_sess_state_name(st),
				      vrs_fabric_msg_type_name(types[t]),
				      res.verdict, res.code, reason, w->v,
				      w->code);
				if (w->v == VRS_V_ACCEPT || w->v == VRS_V_END)
					CHECK(s.state == w->next,
					      "%s %s x %s: next state %d, want %d",
					      roles[r].name,
					      vrs_fabric_sess_state_name(st),
					      vrs_fabric_msg_type_name(types[t]),
					      s.state, w->next);
				else
					CHECK(s.state == (enum vrs_fabric_sess_state)st &&
						      reason[0],
					      "%s %s x %s: state changed or no reason",
					      roles[r].name,
					      vrs_fabric_sess_state_name(st),
					      vrs_fabric_msg_type_name(types[t]));
			}
	CHECK(pairs == 2 * VRS_SESS_N_STATES * 6, "pairs %u", pairs);
	/* Out of range: never indexes anything. */
	CHECK(vrs_fabric_session_rule(VRS_ROLE_AGENT, VRS_SESS_N_STATES,
				      VRS_MSG_HELLO)->code == VRS_ERR_MALFORMED,
	      "state out of range");
	CHECK(vrs_fabric_session_rule(VRS_ROLE_AGENT, VRS_SESS_SYNCED,
				      (enum vrs_fabric_msg_type)1)->code ==
		      VRS_ERR_MALFORMED,
	      "type out of range");
	CHECK(vrs_fabric_session_rule(VRS_ROLE_AGENT, VRS_SESS_SYNCED,
				      (enum vrs_fabric_msg_type)8)->code ==
		      VRS_ERR_MALFORMED,
	      "type out of range");
	printf("session table: %u pairs checked\n", pairs);
}

/* The checks that need the content turn ACCEPT into a specific REJECT. */
static void test_content(void)
{
	struct vrs_fabric_session s;
	struct vrs_fabric_msg m;
	struct vrs_fabric_sess_result r;
	char reason[VRS_FABRIC_REASON_LEN];

	/* Hello from the wrong role */
	vrs_fabric_session_init(&s, VRS_ROLE_AGENT);
	mkmsg(&m, &s, VRS_MSG_HELLO);
	m.role = VRS_ROLE_AGENT;
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.verdict == VRS_V_REJECT && r.code == VRS_ERR_ROLE &&
		      s.state == VRS_SESS_WAIT_HELLO,
	      "wrong role: %d/%u %s", r.verdict, r.code, reason);

	/* seq repeated / backwards, in every state that takes a seq */
	for (int st = VRS_SESS_WAIT_SNAPSHOT; st <= VRS_SESS_SYNCED; st++)
		for (size_t t = 1; t < 4; t++) {
			if (st != VRS_SESS_SYNCED && types[t] == VRS_MSG_UPDATE)
				continue;
			enter(&s, VRS_ROLE_AGENT, st);
			mkmsg(&m, &s, VRS_MSG_KEEPALIVE);
			m.seq = 10;
			vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
			mkmsg(&m, &s, types[t]);
			m.seq = 10;
			r = vrs_fabric_session_step(&s, &m, reason,
						    sizeof(reason));
			CHECK(r.verdict == VRS_V_REJECT &&
				      r.code == VRS_ERR_SEQUENCE &&
				      strstr(reason, "out of order"),
			      "seq %s in %s: %d/%u %s",
			      vrs_fabric_msg_type_name(types[t]),
			      vrs_fabric_sess_state_name(st), r.verdict,
			      r.code, reason);
			CHECK(s.last_seq == 10 &&
				      s.state == (enum vrs_fabric_sess_state)st,
			      "rejected seq changed the session");
		}

	/* Ack beyond what was sent, and backwards */
	enter(&s, VRS_ROLE_PUBLISHER, VRS_SESS_SYNCED);
	mkmsg(&m, &s, VRS_MSG_ACK);
	m.seq = 8;
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.code == VRS_ERR_SEQUENCE && strstr(reason, "never sent"),
	      "ack unsent: %s", reason);
	m.seq = 6;
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.verdict == VRS_V_ACCEPT && s.last_ack == 6, "ack 6: %s",
	      reason);
	m.seq = 5;
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.code == VRS_ERR_SEQUENCE && strstr(reason, "backwards"),
	      "ack backwards: %s", reason);

	/* A chunked snapshot: more keeps it open, the last chunk closes it */
	enter(&s, VRS_ROLE_AGENT, VRS_SESS_IN_SNAPSHOT);
	mkmsg(&m, &s, VRS_MSG_SNAPSHOT);
	m.more = true;
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.verdict == VRS_V_ACCEPT && s.state == VRS_SESS_IN_SNAPSHOT,
	      "chunk");
	mkmsg(&m, &s, VRS_MSG_SNAPSHOT);
	r = vrs_fabric_session_step(&s, &m, reason, sizeof(reason));
	CHECK(r.verdict == VRS_V_ACCEPT && s.state == VRS_SESS_SYNCED,
	      "last chunk");
}

/* Wire peek: the type the decoder would see, without allocating. */
static void test_peek(void)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t len;
		int rc;
		enum vrs_fabric_msg_type type;
		uint32_t version;
	} cases[] = {
		/* Envelope{version=1, keepalive{seq=3}} */
		{ "keepalive", { 0x08, 1, 0x2a, 2, 0x08, 3 }, 6, 0,
		  VRS_MSG_KEEPALIVE, 1 },
		/* Envelope{version=2, error{}} */
		{ "error v2", { 0x08, 2, 0x3a, 0 }, 4, 0, VRS_MSG_ERROR, 2 },
		/* hello then snapshot: the last oneof member wins */
		{ "last wins", { 0x12, 0, 0x1a, 0, 0x08, 1 }, 6, 0,
		  VRS_MSG_SNAPSHOT, 1 },
		/* unknown field 9 skipped, ack */
		{ "unknown field", { 0x48, 5, 0x32, 0, 0x08, 1 }, 6, 0,
		  VRS_MSG_ACK, 1 },
		{ "no message", { 0x08, 1 }, 2, -1, 0, 1 },
		{ "length past end", { 0x12, 9, 0 }, 3, -1, 0, 0 },
		{ "truncated varint", { 0x08, 0x80 }, 2, -1, 0, 0 },
		{ "group wire type", { 0x13 }, 1, -1, 0, 0 },
		{ "field 0", { 0x02, 0 }, 2, -1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum vrs_fabric_msg_type type = 0;
		uint32_t version = 0;
		char reason[VRS_FABRIC_REASON_LEN] = "";
		int rc = vrs_fabric_peek_type(cases[i].bytes, cases[i].len,
					      &type, reason, sizeof(reason));

		CHECK(rc == cases[i].rc, "peek %s: rc %d (%s)", cases[i].name,
		      rc, reason);
		if (!rc)
			CHECK(type == cases[i].type, "peek %s: type %d",
			      cases[i].name, type);
		else
			CHECK(reason[0], "peek %s: no reason", cases[i].name);
		vrs_fabric_peek_version(cases[i].bytes, cases[i].len, &version);
		if (!rc)
			CHECK(version == cases[i].version,
			      "peek %s: version %u", cases[i].name, version);
	}
}


/* Version check before decoding: Envelope version and Hello version. */
static void test_check_version(void)
{
	static const char v1_agent[] =
		"protocol version 1 not supported: this agent speaks version 2 (tables per VNet); upgrade the publisher";
	static const char v1_pub[] =
		"protocol version 1 not supported: this publisher speaks version 2 (tables per VNet); upgrade the agent";
	static const struct {
		const char *name;
		enum vrs_fabric_role local;
		uint8_t bytes[16];
		size_t len;
		const char *expect;	/* NULL: passes (0) */
	} cases[] = {
		/* Envelope{version=1, keepalive{seq=3}} */
		{ "v1 keepalive", VRS_ROLE_AGENT,
		  { 0x08, 1, 0x2a, 2, 0x08, 3 }, 6, v1_agent },
		{ "v1 ack at a publisher", VRS_ROLE_PUBLISHER,
		  { 0x08, 1, 0x32, 2, 0x08, 3 }, 6, v1_pub },
		{ "v2 keepalive", VRS_ROLE_AGENT,
		  { 0x08, 2, 0x2a, 2, 0x08, 3 }, 6, NULL },
		/* Envelope{version=2, hello{protocol_version=1, role=1}} */
		{ "v1 hello in a v2 envelope", VRS_ROLE_AGENT,
		  { 0x08, 2, 0x12, 4, 0x08, 1, 0x10, 1 }, 8, v1_agent },
		{ "v2 hello", VRS_ROLE_AGENT,
		  { 0x08, 2, 0x12, 4, 0x08, 2, 0x10, 1 }, 8, NULL },
		{ "hello without version", VRS_ROLE_AGENT,
		  { 0x08, 2, 0x12, 2, 0x10, 1 }, 6,
		  "protocol version 0 not supported" },
		{ "v3 envelope", VRS_ROLE_AGENT,
		  { 0x08, 3, 0x2a, 2, 0x08, 3 }, 6,
		  "protocol version 3 not supported: this agent speaks version 2 (tables per VNet); upgrade the agent" },
		{ "no version", VRS_ROLE_AGENT, { 0x2a, 2, 0x08, 3 }, 4,
		  "protocol version 0 not supported" },
		/* not an Envelope: left to the decoder (Error 1) */
		{ "garbage", VRS_ROLE_AGENT, { 0x13, 0xff }, 2, NULL },
		{ "v2 hello, broken inside", VRS_ROLE_AGENT,
		  { 0x08, 2, 0x12, 2, 0x08, 0x80 }, 6, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char reason[VRS_FABRIC_REASON_LEN] = "";
		int rc = vrs_fabric_check_version(cases[i].bytes, cases[i].len,
						  cases[i].local, reason,
						  sizeof(reason));

		if (!cases[i].expect)
			CHECK(rc == 0, "version %s: refused: %s", cases[i].name,
			      reason);
		else
			CHECK(rc < 0 && strstr(reason, cases[i].expect),
			      "version %s: rc %d reason '%s'", cases[i].name,
			      rc, reason);
	}
	/* The decoder says the same, with the code to answer. */
	{
		static const uint8_t v1[] = { 0x08, 1, 0x2a, 2, 0x08, 3 };
		enum vrs_fabric_err code = VRS_ERR_NONE;
		char reason[VRS_FABRIC_REASON_LEN] = "";
		struct vrs_fabric_msg m;

		CHECK(vrs_fabric_decode_ex(v1, sizeof(v1), VRS_ROLE_AGENT, &m,
					   &code, reason, sizeof(reason)) < 0 &&
			      code == VRS_ERR_VERSION && !strcmp(reason, v1_agent),
		      "decode_ex v1: code %u '%s'", code, reason);
	}
}

static void test_reader_codes(void)
{
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	static const uint8_t big[] = { 0, 0, 0x10, 1 };	/* 4097 */
	struct vrs_fabric_reader rd;
	char reason[VRS_FABRIC_REASON_LEN];
	size_t used;

	vrs_fabric_reader_init(&rd, 4096);
	CHECK(vrs_fabric_reader_feed(&rd, zero, 4, &used, reason,
				     sizeof(reason)) < 0 &&
		      rd.err == VRS_ERR_MALFORMED,
	      "zero length: err %u", rd.err);
	vrs_fabric_reader_reset(&rd);
	CHECK(vrs_fabric_reader_feed(&rd, big, 4, &used, reason,
				     sizeof(reason)) < 0 &&
		      rd.err == VRS_ERR_LIMIT &&
		      strstr(reason, "exceeds the maximum 4096"),
	      "too long: err %u %s", rd.err, reason);
	vrs_fabric_reader_reset(&rd);
	for (uint32_t c = 0; c <= VRS_ERR_MAX; c++)
		CHECK(strcmp(vrs_fabric_err_name(c), "unknown"),
		      "error code %u has no name", c);
}

int main(void)
{
	test_matrix();
	test_content();
	test_peek();
	test_check_version();
	test_reader_codes();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("fabric session: all tests passed\n");
	return 0;
}
