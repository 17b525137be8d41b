/* dmm core: a node runs any combination of the MR, LM and HAA roles. It is
 * fed received bytes, events and the time; it answers through the callbacks
 * of struct dmm_io with bytes to send and data-plane operations. No I/O, no
 * clock reads, no globals: thousands of nodes can live in one process. */
#ifndef DMM_NODE_H
#define DMM_NODE_H

#include "config.h"

/* Data-plane operations an MR asks for. The driver (Linux or simulator)
 * carries them out; they are idempotent per (kind, prefix, src).
 *
 * Route model (one table per MR, most specific match wins; at equal prefix
 * a source-specific route beats a catch-all; at equal (prefix, src) the last
 * TUNNEL/LOCAL/PASS/MISS op replaces the previous one, *_DEL removes it):
 *   LOCAL  prefix -> access link of the attached MN
 *   TUNNEL prefix [from src] -> IPv6-in-IPv6 to locator; with .xlate set
 *          (routing locator, draft 4.3) no encapsulation: the destination's
 *          .prefix bits are replaced by .xlate (a per-host locator of the
 *          MR .locator, checksum-neutral) and the packet is routed again
 *   LOCATOR .prefix (a per-host locator of ours) -> arriving packets get
 *          .xlate (the MN's prefix) back as destination prefix, then are
 *          routed as any packet to .xlate
 *   PASS   prefix -> regular routing (the driver's main table)
 *   MISS   prefix -> miss path: each packet is queued and dmm_mr_miss() is
 *          called; when it returns, a queued packet is re-routed if a route
 *          other than MISS now covers it, kept if a HOLD covers it, else dropped.
 * HOLD is an overlay: while active, packets to the prefix are queued (bounded)
 * whatever the route; HOLD_FLUSH ends it and re-routes the queue. */
enum dmm_dp_kind {
	DMM_DP_TUNNEL_ADD, /* route .prefix [from .src] into a tunnel to .locator */
	DMM_DP_TUNNEL_DEL,
	DMM_DP_LOCAL_ADD,  /* deliver .prefix on access link .link (MN is here) */
	DMM_DP_LOCAL_DEL,
	DMM_DP_PASS_ADD,   /* negative cache: .prefix follows regular routing */
	DMM_DP_PASS_DEL,
	DMM_DP_MISS_ADD,   /* packets to .prefix go to the miss path: the driver
			    * calls dmm_mr_miss() for each (dst, src) */
	DMM_DP_MISS_DEL,
	DMM_DP_HOLD_START, /* hold packets to .prefix instead of forwarding */
	DMM_DP_HOLD_FLUSH, /* re-inject held packets of .prefix (routes are set up) */
	DMM_DP_HOLD_DROP,  /* discard held packets of .prefix */
	DMM_DP_ADVERTISE,  /* send an RA on .link with .adv[] */
	DMM_DP_LOCATOR_ADD,/* packets to our per-host locator .prefix: destination
			    * prefix back to .xlate (the MN's HNP) */
	DMM_DP_LOCATOR_DEL,
	DMM_DP_KIND_COUNT
};

struct dmm_adv {
	struct dmm_prefix prefix;
	uint32_t valid_s;
	uint32_t preferred_s; /* 0: kept only for old sessions */
};

struct dmm_dp_op {
	enum dmm_dp_kind kind;
	struct dmm_prefix prefix;
	struct dmm_prefix src; /* len 0 = any source */
	struct in6_addr locator;
	/* TUNNEL_ADD: the per-host locator that replaces .prefix (len 0: a
	 * tunnel); LOCATOR_*: the MN's prefix that .prefix stands for */
	struct dmm_prefix xlate;
	uint32_t link;
	unsigned n_adv;
	struct dmm_adv adv[DMM_MAX_HNP];
};

const char *dmm_dp_kind_name(enum dmm_dp_kind k);

/* Handover and attach steps, for the event log (one JSON line each in dmmd). */
enum dmm_event_kind {
	DMM_EV_ATTACH,        /* MN seen on a link */
	DMM_EV_LINK_LOSS,     /* MN's link went down */
	DMM_EV_HOA_ASSIGNED,  /* MR got an HoA from the HAA */
	DMM_EV_LOC_UPDATED,   /* LM acknowledged a location update */
	DMM_EV_CTX_SENT,      /* nMR sent the context transfer */
	DMM_EV_CTX_RECEIVED,  /* pMR got it */
	DMM_EV_CTX_ACKED,     /* nMR got the ack */
	DMM_EV_CTX_DELETED,   /* pMR deleted its temporary context */
	DMM_EV_HOLD_START,
	DMM_EV_HOLD_FLUSH,
	DMM_EV_REDIRECT_SENT,
	DMM_EV_REDIRECT_ACKED,
	DMM_EV_REDIRECT_RECEIVED,
	DMM_EV_NOTIFY_RECEIVED,
	DMM_EV_QUERY_SENT,
	DMM_EV_QUERY_ANSWERED,
	DMM_EV_HOA_RELEASED,
	DMM_EV_KIND_COUNT
};

struct dmm_event {
	enum dmm_event_kind kind;
	dmm_time_t t;
	struct dmm_mnid mnid;    /* len 0 if not known */
	struct dmm_prefix prefix;/* len 0 if none */
	struct in6_addr peer;    /* the other end, :: if none */
	uint32_t link;
};

const char *dmm_event_name(enum dmm_event_kind k);

enum dmm_log_level { DMM_LOG_ERR, DMM_LOG_WARN, DMM_LOG_INFO, DMM_LOG_DEBUG };

/* A durable record (PROCEDURES.md, Restart). The key is (kind, prefix). */
enum dmm_rec_kind {
	DMM_REC_LEASE = 1,   /* HAA: prefix leased to mnid, holder = peer */
	DMM_REC_BINDING = 2, /* LM: prefix of mnid served at peer, anchored at home */
	DMM_REC_SUBSCRIPTION = 3, /* LM: peer subscribed to the binding of prefix
				   * (one record per subscriber; expires: the
				   * binding's when written, it lives as long as
				   * the binding does) */
};

struct dmm_record {
	enum dmm_rec_kind kind;
	bool del;                 /* it ceased to exist: only kind and prefix are set */
	bool expired;             /* del: because its lifetime ran out (a shared store
				   * that expires records itself may skip it) */
	struct dmm_prefix prefix;
	struct dmm_mnid mnid;
	struct in6_addr peer;     /* lease: the MR that holds it (may release it);
				   * binding: the MR serving the prefix */
	struct in6_addr home;     /* binding: its anchor MR */
	bool fixed;               /* binding: fixed correspondents' prefix (no MN id) */
	uint16_t seq;             /* binding: of the update that made it */
	dmm_time_t expires;       /* node time */
};

/* Per-MN options of the authorization policy (mr { authorize FILE }). */
struct dmm_mn_options {
	int home_net;            /* index in the domain map: the prefix comes from
				  * that network's HAA; -1: the local network's */
	bool has_prefix;         /* a fixed prefix the MR installs, no HAA */
	struct dmm_prefix prefix;
};

struct dmm_io {
	void *ctx;
	/* Send buf to dst (signalling). Failure is the driver's business: the
	 * core retransmits requests anyway. */
	void (*send)(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len);
	void (*dp)(void *ctx, const struct dmm_dp_op *op);
	void (*log)(void *ctx, enum dmm_log_level lvl, const char *line); /* may be NULL */
	/* Would log keep a line of this level? Lets the core skip formatting
	 * what is thrown away (debug lines on a busy LM). May be NULL: yes. */
	bool (*log_on)(void *ctx, enum dmm_log_level lvl);
	void (*event)(void *ctx, const struct dmm_event *ev);            /* may be NULL */
	/* 32 unpredictable bits (e.g. libsodium's randombytes_random). Drawn
	 * at dmm_node_new only: the initial sequence number (a restarted node
	 * must not reuse the numbers its peers still remember) and the seed of
	 * the node's own generator (refresh jitter). May be NULL: the node then
	 * derives both from the key ring, its address and the creation time,
	 * which differ across restarts but are not secret. */
	uint32_t (*random)(void *ctx);
	/* Durable state (may be NULL): each change of an HAA lease or an LM
	 * binding is reported
	 * here before the reply that depends on it is sent, so a driver that
	 * stores it before returning loses nothing a peer was told. */
	void (*persist)(void *ctx, const struct dmm_record *r);
	/* MR: may this MN attach (draft 4.1, "when determining MN is
	 * authorized")? Asked at each attach of an MN not attached here yet.
	 * May be NULL: every MN may. */
	bool (*authorize)(void *ctx, const struct dmm_mnid *id);
	/* MR: the policy's options for an MN it authorizes (may be NULL: none):
	 * true and *o filled when it has any. Asked when the MN needs a new
	 * prefix (initial attach). */
	bool (*mn_options)(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o);
};

/* Re-entrancy: no callback of struct dmm_io calls back into the node (any
 * dmm_node_* or dmm_mr_* function of this header, on this node) before it
 * returns. A driver that must react to an operation -- re-route the
 * packets a HOLD_FLUSH released, feed the miss they cause -- queues that
 * work and does it once the core's call has returned (dmmd: the kernel
 * queues them; dmmsim and tests/lib/vnet.c: a deferred list pumped when
 * the core returns). The core relies on it: between two of its calls a
 * role's tables are consistent, and during one, an object it holds a
 * pointer to neither moves nor goes away behind its back. */

struct dmm_node;

/* Create a node. cfg is copied. Errors: DMM_E_CONFIG, DMM_E_NOMEM. */
int dmm_node_new(const struct dmm_config *cfg, const struct dmm_io *io,
		 dmm_time_t now, struct dmm_node **out);
void dmm_node_free(struct dmm_node *n);
const struct dmm_config *dmm_node_config(const struct dmm_node *n);

/* Apply a new configuration to a running node (SIGHUP). Only timers, keys
 * and the MR policy switches (lm_update_on_attach, new_hoa_on_arrival,
 * hold_packets) can change in place; anything else returns DMM_E_CONFIG and
 * leaves the node as it was. The new config must pass dmm_config_check. */
int dmm_node_reconfigure(struct dmm_node *n, const struct dmm_config *cfg);

/* Wall clock = monotonic now + offset (ms); used only for timestamps. */
void dmm_node_set_wall_offset(struct dmm_node *n, int64_t offset_ms);

/* One received signalling message. Returns 0 if it was processed, else the
 * negative reason it was dropped (already counted and logged rate-limited).
 * A dropped message changes no state. */
int dmm_node_recv(struct dmm_node *n, const struct in6_addr *src,
		  const struct in6_addr *dst, const uint8_t *buf, size_t len,
		  dmm_time_t now);

/* Put back a record a previous run persisted (before the first message).
 * 0 if restored; DMM_E_ROLE if no role of the node keeps that kind;
 * DMM_E_CONFIG if the configuration no longer allows it (prefix in no
 * pool, or already taken); DMM_E_NOMEM when the table is full. An expired
 * record is ignored (0). */
int dmm_node_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now);
/* Optional, before restoring up to count records: make room for them in
 * one step (the LM's record array and hash buckets), so a bulk restore
 * does not grow the tables record by record (best effort: without memory
 * they grow as usual). Bindings restored after it in strictly increasing
 * prefix order (the store's key order) into an empty LM need no duplicate
 * lookup and are indexed in one pass by dmm_node_restore_done, which the
 * caller calls after the last record (dmm_node_recv and dmm_node_timer
 * call it too, in case). */
void dmm_node_restore_hint(struct dmm_node *n, uint32_t count);
void dmm_node_restore_done(struct dmm_node *n);

/* Forget every cached reply: a retransmitted request is then counted as a
 * duplicate and left unanswered (never processed twice), where the cache
 * would have answered it. For a driver whose store lost writes it had not
 * acknowledged yet (dmmd's lm { store redis }): the replies that depended
 * on them were never sent, and must not be now; the peer's next request
 * (a new sequence number) is processed as usual. */
void dmm_node_forget_replies(struct dmm_node *n);

/* Run every timer due at or before now. */
void dmm_node_timer(struct dmm_node *n, dmm_time_t now);
/* Earliest pending deadline, DMM_TIME_NEVER if none. */
dmm_time_t dmm_node_next_deadline(const struct dmm_node *n);

uint64_t dmm_node_counter(const struct dmm_node *n, enum dmm_counter c);
/* Liveness probe of a peer LM (addition, for an anycast gateway's health):
 * a LOC_QUERY without subscription for the first address of this node's
 * local network's first prefix, which that network's LM answers itself
 * (OK or NOT_FOUND, no forwarding, no fan-out). Sent and retransmitted like
 * any request; while one is in flight another call does nothing (0). Any
 * authenticated answer that fits the query counts, whatever its status.
 * 0, or DMM_E_FULL / a seal error. */
int dmm_node_probe(struct dmm_node *n, const struct in6_addr *lm, dmm_time_t now);
/* When the last answer to a probe arrived, DMM_TIME_NEVER if none did. */
dmm_time_t dmm_node_probe_answered(const struct dmm_node *n);
/* Several LMs/HAAs per network: what this node knows of peer a (one of
 * them): passed over until down_until (in the past: up), requests moved
 * away from it after a timeout. 0, or DMM_E_NOTFOUND (never timed out). */
int dmm_node_peer_health(const struct dmm_node *n, const struct in6_addr *a,
			 dmm_time_t *down_until, uint32_t *failovers);

/* The node's own tables, used and sized (metrics): requests in flight
 * (limits.max_pending), peers with replay state (limits.max_peers), cached
 * replies (limits.reply_cache). A scan of each: for a scrape, not a loop. */
struct dmm_node_usage {
	uint32_t pending, pending_max;
	uint32_t replay, replay_max;
	uint32_t replies, replies_max;
};
void dmm_node_usage(const struct dmm_node *n, struct dmm_node_usage *u);

/* MR events (DMM_E_ROLE if the node is not an MR). */
/* An MN with identifier id appeared on access link `link` (RS or carrier). */
int dmm_mr_attach(struct dmm_node *n, uint32_t link, const struct dmm_mnid *id,
		  dmm_time_t now);
/* The MN on `link` is gone (carrier loss). */
int dmm_mr_detach(struct dmm_node *n, uint32_t link, dmm_time_t now);
/* A packet to dst (from src) hit the miss path: no location known. */
int dmm_mr_miss(struct dmm_node *n, const struct in6_addr *dst,
		const struct in6_addr *src, dmm_time_t now);
/* Re-send the RA for the MN on link (answer to a Router Solicitation). */
int dmm_mr_solicit(struct dmm_node *n, uint32_t link, dmm_time_t now);

#endif
