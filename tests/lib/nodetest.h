/* A capture around ONE dmm node for unit tests of the role engines: every
 * message it sends, data-plane op, event and log line is recorded; test
 * requests are sealed with the domain key ring and fed through the real
 * dmm_node_recv. Two captures can be wired by hand with nt_deliver. */
#ifndef DMM_NODETEST_H
#define DMM_NODETEST_H

#include "node.h"
#include "roles.h"

#define NT_MAX_SENT 64
#define NT_MAX_OPS 64
#define NT_MAX_EVENTS 64
#define NT_MAX_LOGS 256
#define NT_LOG_LEN 200
#define NT_WALL_OFFSET INT64_C(1700000000000) /* node wall clock = this + now */

struct nt_sent {
	struct in6_addr dst;
	size_t len;
	uint8_t buf[DMM_MSG_MAX];
};

/* A durable store for dmm_io.persist: the live records, keyed by (kind,
 * prefix), and how many messages the node had sent when each was written. */
#define NT_MAX_RECS 64
struct nt_store {
	unsigned n;
	struct dmm_record r[NT_MAX_RECS];
	unsigned sent_before[NT_MAX_RECS];
	unsigned writes, deletes;
	unsigned expired;   /* deletes flagged expired (a lifetime ran out) */
	unsigned binding_ops; /* writes and deletes of bindings only */
};

struct nodetest {
	struct dmm_node *node;
	struct dmm_config cfg;
	uint16_t seq;        /* of the next request nt_recv builds */
	uint32_t isn;        /* the node's first sequence number (dmm_io.random) */
	uint64_t rand;       /* state of the random values the node draws next */
	bool verbose;        /* print log lines (env NT_LOG set) */
	unsigned n_sent;     /* may exceed NT_MAX_SENT: only the first are kept */
	struct nt_sent sent[NT_MAX_SENT];
	unsigned n_ops;
	struct dmm_dp_op ops[NT_MAX_OPS];
	unsigned n_events;
	struct dmm_event events[NT_MAX_EVENTS];
	unsigned n_logs;
	char logs[NT_MAX_LOGS][NT_LOG_LEN];
	struct nt_store *store; /* NULL: dmm_io.persist records nothing */
};

/* A config with defaults and the sample key ring; the caller adds the rest. */
void nt_config(struct dmm_config *cfg, const char *name, const char *self, unsigned roles);
/* Add a network (name, one prefix, LM and HAA addresses) to cfg; its index. */
int nt_add_net(struct dmm_config *cfg, const char *name, const char *prefix,
	       const char *lm, const char *haa);
/* dmm_io.authorize of the nodes nt_start creates from now on (NULL: none,
 * every MN may attach); ctx is the node's struct nodetest. */
extern bool (*nt_authorize)(void *ctx, const struct dmm_mnid *id);
/* dmm_io.mn_options of the nodes nt_start creates from now on (NULL: none). */
extern bool (*nt_mn_options)(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o);
/* Create the node; 0 or the dmm_node_new error. t is zeroed first. */
int nt_start(struct nodetest *t, const struct dmm_config *cfg, dmm_time_t now);
/* The same, the node's initial sequence number isn (nt_start: 1). */
int nt_start_isn(struct nodetest *t, const struct dmm_config *cfg, dmm_time_t now,
		 uint16_t isn);
void nt_stop(struct nodetest *t);
/* Feed every record of s to the node (dmm_node_restore); the number restored,
 * or the first error. */
int nt_restore(struct nodetest *t, const struct nt_store *s, dmm_time_t now);
/* Forget what was captured so far. */
void nt_clear(struct nodetest *t);

/* Seal m as sent by src to the node at time now: seq (if m->seq is 0, the
 * next one of t), timestamp from the node's wall clock. Returns the length. */
int nt_seal(struct nodetest *t, const struct in6_addr *src, struct dmm_msg *m,
	    dmm_time_t now, uint8_t buf[DMM_MSG_MAX]);
/* nt_seal then dmm_node_recv; returns dmm_node_recv's result. */
int nt_recv(struct nodetest *t, const struct in6_addr *src, struct dmm_msg *m, dmm_time_t now);
/* Open (verify + decode) captured message i; 0 or the dmm_msg_open error. */
int nt_open(const struct nodetest *t, unsigned i, struct dmm_msg *out);
/* Feed captured message i of `from` to node `to`; dmm_node_recv's result. */
int nt_deliver(const struct nodetest *from, unsigned i, struct nodetest *to, dmm_time_t now);
/* Number of captured messages of type (NONE = any) to dst (NULL = any). */
unsigned nt_count(const struct nodetest *t, enum dmm_msg_type type, const struct in6_addr *dst);
/* True if some log line contains needle. */
bool nt_log_has(const struct nodetest *t, const char *needle);

struct in6_addr nt_a6(const char *s);   /* aborts on a bad literal */
struct dmm_prefix nt_p6(const char *s); /* aborts on a bad literal */
struct dmm_mnid nt_mnid(unsigned n);    /* EUI-48 02:00:00:00:00:nn */

#endif
