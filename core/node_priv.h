/* dmm core, internal: what node.c offers the role engines (mr.c, lm.c,
 * haa.c) and what each role offers node.c. Not for the daemon. */
#ifndef DMM_NODE_PRIV_H
#define DMM_NODE_PRIV_H

#include "node.h"
#include "pick.h"
#include "table.h"

struct dmm_mr;
struct dmm_lm;
struct dmm_haa;

/* A request in flight, retransmitted with exponential backoff until its
 * reply arrives or the retries run out. Looked up by id, never by pointer. */
struct dmm_txn {
	uint32_t id;        /* 0 = free slot */
	struct in6_addr dst;
	struct dmm_msg msg; /* resealed with a fresh timestamp on each send */
	unsigned owner;     /* enum dmm_role that gets the reply */
	uint64_t cookie;    /* owner's reference (an id, not a pointer) */
	bool refresh;       /* counts against the refresh budget */
	uint32_t tries;
	uint32_t backoff_ms;
	dmm_time_t deadline;
};

/* A reply kept so a retransmitted (duplicate) request is answered the same
 * way without touching state. Keyed by the peer and a digest of the
 * request's bytes but what a retransmission changes (the checksum, the
 * Timestamp's value, the key id and the MAC: it is resealed with a fresh
 * timestamp): a request that only shares the sequence number of an old one
 * (a restarted peer) never gets the old answer. The reply is kept decoded
 * and sealed again with a fresh timestamp for each duplicate. */
#define DMM_DIGEST_LEN 16
struct dmm_reply_slot {
	bool used;
	struct in6_addr peer;
	uint16_t seq;
	uint8_t digest[DMM_DIGEST_LEN];
	struct dmm_msg rep;
};

struct dmm_node {
	struct dmm_config cfg;
	struct dmm_io io;
	int64_t wall_offset;
	uint16_t next_seq;  /* starts at a random value (dmm_io.random) */
	uint64_t rng;       /* splitmix64 state, seeded at creation */
	uint32_t next_txn_id;
	uint64_t counters[DMM_C_COUNT];
	dmm_time_t log_quiet_until[DMM_C_COUNT]; /* rate limit of drop logs */

	/* cfg.limits.max_pending slots; heap 0: retransmission deadline */
	struct dmm_tbl txns;
	struct dmm_hmap txn_seq; /* sequence number -> transaction (reply match) */
	struct dmm_hmap txn_id;  /* transaction id -> transaction */
	uint32_t txn_refresh; /* slots held by refreshes (dmm_request_refresh) */
	struct dmm_replay replay;
	struct dmm_reply_slot *replies; /* cfg.limits.reply_cache slots, ring */
	unsigned reply_next;
	/* the reply cache's digest key: SipHash's, secret, derived from the
	 * node's seed at creation (dmm_seed_node) */
	uint8_t reply_key[16];
	/* The request dmm_node_recv is processing (NULL outside it): its bytes
	 * as received and where its Timestamp and MAC are, for the reply
	 * cache's digest (node_svc.c); valid only during that call. */
	const struct dmm_msg *rx_req;
	const uint8_t *rx_buf;
	size_t rx_len;
	struct dmm_msg_span rx_span;

	struct dmm_mr *mr;
	struct dmm_lm *lm;
	struct dmm_haa *haa;
	/* dmm_node_probe: the transaction in flight (0: none), when the last
	 * answer came (DMM_TIME_NEVER: none yet). */
	uint32_t probe_txn;
	dmm_time_t probe_answered;
	/* the LM that answered the last probe (:: none): with several LMs in
	 * the network, probes stay with one that answers (pick.h) */
	struct in6_addr probe_lm;
	/* several LMs/HAAs per network: who timed out (pick.c) */
	struct dmm_pick_peer pick[DMM_PICK_SLOTS];
};

/* ---- offered by node.c ---- */
void dmm_count(struct dmm_node *n, enum dmm_counter c);
void dmm_log(struct dmm_node *n, enum dmm_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Would a line of this level be logged? (Skip building its arguments.) */
bool dmm_log_on(const struct dmm_node *n, enum dmm_log_level lvl);
/* Count a drop and log it at most once per second per counter. */
void dmm_drop(struct dmm_node *n, enum dmm_counter c, dmm_time_t now,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void dmm_dp(struct dmm_node *n, const struct dmm_dp_op *op);
void dmm_emit(struct dmm_node *n, enum dmm_event_kind kind, dmm_time_t now,
	      const struct dmm_mnid *id, const struct dmm_prefix *p,
	      const struct in6_addr *peer, uint32_t link);
uint64_t dmm_wall_ms(const struct dmm_node *n, dmm_time_t now);
/* The node's pseudo-random generator (seeded from dmm_io.random): for
 * jitter, never for secrets. A value in [0, bound), 0 when bound is 0. */
uint32_t dmm_random(struct dmm_node *n, uint32_t bound);

/* With node keys in the ring, was m sealed with the domain key instead of
 * a node key (so its sender is known by address only)? The LM refuses such
 * location updates, the HAA such lease requests (docs/SECURITY.md). False
 * when the ring holds no node key. */
bool dmm_lacks_node_key(const struct dmm_node *n, const struct dmm_msg *m);

/* Send request m to dst; the node assigns seq and timestamp, seals it, and
 * retransmits. The owner role's on_reply gets the reply, or NULL after the
 * last retry. Returns the transaction id (>0) or DMM_E_FULL / a seal error. */
int64_t dmm_request(struct dmm_node *n, const struct in6_addr *dst,
		    struct dmm_msg *m, unsigned owner, uint64_t cookie,
		    dmm_time_t now);
/* The same for a refresh (of a binding, a lease): refreshes may hold at
 * most 3/4 of the pending table, so a refresh storm leaves room for
 * queries and attaches. DMM_E_FULL (counted refresh_deferred, not logged)
 * when the budget is spent: the caller retries soon. */
int64_t dmm_request_refresh(struct dmm_node *n, const struct in6_addr *dst,
			    struct dmm_msg *m, unsigned owner, uint64_t cookie,
			    dmm_time_t now);
/* Forget a transaction (its reply, if it comes, is counted unexpected). */
void dmm_request_cancel(struct dmm_node *n, uint32_t txn_id);
/* Forget every transaction of owner with this cookie (not retransmitted
 * any more; no timeout reported). */
void dmm_request_cancel_cookie(struct dmm_node *n, unsigned owner, uint64_t cookie);
/* Cancel owner's pending requests for which match(message, cookie, ctx). */
void dmm_request_cancel_match(struct dmm_node *n, unsigned owner,
			      bool (*match)(const struct dmm_msg *m, uint64_t cookie, void *ctx),
			      void *ctx);
/* Answer request req (received from dst) with rep: seq copied, timestamp
 * set, sealed, sent, and kept in the reply cache. */
int dmm_reply(struct dmm_node *n, const struct in6_addr *dst,
	      const struct dmm_msg *req, struct dmm_msg *rep, dmm_time_t now);

/* ---- node_svc.c, for node.c only ---- */
uint64_t dmm_txn_key(const void *e, unsigned h);
/* Seed the node's generator and first sequence number (dmm_io.random). */
void dmm_seed_node(struct dmm_node *n, dmm_time_t now);
/* Timestamp, seal and send m; its length or a seal error. */
int dmm_seal_and_send(struct dmm_node *n, const struct in6_addr *dst,
		      struct dmm_msg *m, dmm_time_t now);
void dmm_txn_release(struct dmm_node *n, struct dmm_txn *t);
/* Answer a duplicate request from the reply cache (sealed again, fresh
 * timestamp): true if it held it. */
bool dmm_answer_duplicate(struct dmm_node *n, const struct in6_addr *src,
			  const struct dmm_msg *m, dmm_time_t now);
/* Does the key that sealed m fit its sender (node keys)? */
bool dmm_seal_fits(const struct dmm_node *n, const struct in6_addr *src,
		   const struct dmm_msg *m);

/* ---- offered by each role (mr.c, lm.c, haa.c) ----
 * A role registers these with the node (role_ops in node.c: one line per
 * role); node.c calls them and names no role itself. ARCHITECTURE.md,
 * "Add a role". Every callback runs to completion without calling back
 * into the node's public API (node.h, "Re-entrancy"). */
struct dmm_role_ops {
	unsigned role;             /* enum dmm_role bit */
	unsigned records;          /* 1u << kind of each durable record it keeps */
	/* allocate the role's tables from n->cfg; 0 or DMM_E_NOMEM */
	int (*create)(struct dmm_node *n, dmm_time_t now);
	void (*free)(struct dmm_node *n); /* also after a failed create */
	/* a request of a type msg.c says this role serves (dmm_msg_role),
	 * authenticated and replay-checked */
	void (*on_request)(struct dmm_node *n, const struct in6_addr *src,
			   const struct dmm_msg *m, dmm_time_t now);
	/* the reply to one of its requests, or NULL: the request timed out;
	 * NULL for a role that sends no request */
	void (*on_reply)(struct dmm_node *n, uint64_t cookie, const struct in6_addr *src,
			 const struct dmm_msg *rep, dmm_time_t now);
	void (*timer)(struct dmm_node *n, dmm_time_t now);
	dmm_time_t (*deadline)(const struct dmm_node *n); /* O(1) */
	/* put back a persisted record of a kind in .records; NULL if none */
	int (*restore)(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now);
	/* before a bulk restore: room for count more records (may be NULL);
	 * after it, at the first timer call (may be NULL) */
	int (*restore_hint)(struct dmm_node *n, uint32_t count);
	void (*restore_done)(struct dmm_node *n);
};
extern const struct dmm_role_ops dmm_mr_ops, dmm_lm_ops, dmm_haa_ops;

/* new: allocate the role's tables from n->cfg; 0 or DMM_E_NOMEM. */
int dmm_mr_new(struct dmm_node *n, dmm_time_t now);
void dmm_mr_free(struct dmm_node *n);
/* A request for this role, authenticated and replay-checked. */
void dmm_mr_on_request(struct dmm_node *n, const struct in6_addr *src,
		       const struct dmm_msg *m, dmm_time_t now);
/* The reply to one of this role's requests, or NULL: the request timed out. */
void dmm_mr_on_reply(struct dmm_node *n, uint64_t cookie,
		     const struct in6_addr *src, const struct dmm_msg *rep,
		     dmm_time_t now);
void dmm_mr_timer(struct dmm_node *n, dmm_time_t now);
dmm_time_t dmm_mr_deadline(const struct dmm_node *n);

int dmm_lm_new(struct dmm_node *n, dmm_time_t now);
void dmm_lm_free(struct dmm_node *n);
void dmm_lm_on_request(struct dmm_node *n, const struct in6_addr *src,
		       const struct dmm_msg *m, dmm_time_t now);
void dmm_lm_on_reply(struct dmm_node *n, uint64_t cookie,
		     const struct in6_addr *src, const struct dmm_msg *rep,
		     dmm_time_t now);
void dmm_lm_timer(struct dmm_node *n, dmm_time_t now);
int dmm_lm_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now);
/* Room for count more bindings at once (dmm_node_restore_hint). */
int dmm_lm_reserve(struct dmm_node *n, uint32_t count);
void dmm_lm_restore_done(struct dmm_node *n);
dmm_time_t dmm_lm_deadline(const struct dmm_node *n);

int dmm_haa_new(struct dmm_node *n, dmm_time_t now);
void dmm_haa_free(struct dmm_node *n);
void dmm_haa_on_request(struct dmm_node *n, const struct in6_addr *src,
			const struct dmm_msg *m, dmm_time_t now);
void dmm_haa_timer(struct dmm_node *n, dmm_time_t now);
int dmm_haa_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now);
dmm_time_t dmm_haa_deadline(const struct dmm_node *n);

#endif
