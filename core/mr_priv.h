/* dmm core, internal to the MR engine: its tables and what its three files
 * (mr.c: attached MNs, mr_handover.c: pMR contexts, mr_cache.c: location
 * cache, anchor behaviour, redirects) offer each other. Not for node.c.
 *
 * Every object lives in a table (table.h) and has a 48-bit id (0 = free
 * slot) with its slot's generation. Transactions carry the id in their
 * cookie, never a pointer: a reply for an object that is gone, or whose
 * slot was reused, finds nothing and is ignored. Objects are found through
 * the tables' indexes (by link, MN id, prefix, address), never by a scan;
 * each table's heap orders its objects by deadline. */
#ifndef DMM_MR_PRIV_H
#define DMM_MR_PRIV_H

#include "node_priv.h"
#include "roles.h"
#include "table.h"

#define MR_HO_MAX_TUN 32 /* sender-discovery tunnels per handover context */
#define MR_SRC_PLEN 64   /* source prefix of source-specific routes */
#define MR_DST_PLEN 64   /* held / negative-cached prefix when the HNP is unknown */
#define MR_CLAIM_HELD 16  /* held queries an attached prefix takes over (flushed to it) */
#define MR_REFRESH_PCT 80 /* refresh bindings and leases at 80 % of lifetime, */
#define MR_JITTER_PCT 10  /* ... minus up to 10 %: refreshes due together spread out */
/* A refresh that timed out is tried again within what is left of the
 * lifetime: after a quarter of it, between these bounds. */
#define MR_RETRY_MIN_MS 1000
#define MR_RETRY_MAX_MS 60000
#define MR_DEFER_MS 1000  /* refresh budget full: tried again after 1-2 s */
#define MR_STALE_TRIES 3  /* updates refused as stale sent again at once, in a row */
/* The LM says a departed MN is still here: misses for it are dropped
 * without asking the LM again for this long (a burst costs one query). */
#define MR_DEPARTED_MS 1000
/* A negative entry (the LM knows no MN there: regular routing) lives this
 * long at most: misses to unused addresses must not fill the cache. */
#define MR_NEGATIVE_MS 10000
#define MR_PEER_LOG_QUIET_MS 1000 /* at most one peer-driven MR log line a second */

/* What a transaction is for: the top byte of the cookie. */
enum mr_ck {
	MR_CK_RESOLVE = 1, /* LOC_QUERY BY_MNID of an attaching MN */
	MR_CK_ALLOC,       /* HOA_REQ for a new HoA (initial attach) */
	MR_CK_RETRIEVE,    /* HOA_REQ SAME_IFACE: nMR retrieves prefix idx */
	MR_CK_NEWHOA,      /* HOA_REQ for a local HoA on arrival */
	MR_CK_LEASE,       /* HOA_REQ refresh of prefix idx */
	MR_CK_LOCUPD,      /* LOC_UPDATE of prefix idx */
	MR_CK_CTX,         /* CTX_REQ to the pMR */
	MR_CK_CACHEQ,      /* LOC_QUERY target=dst of a cache entry */
	MR_CK_SENDER,      /* LOC_QUERY target=src: find the sender's MR (job id) */
	MR_CK_REDIRECT,    /* REDIRECT to a correspondent's MR */
	MR_CK_FIXED,       /* LOC_UPDATE of fixed prefix idx */
	MR_CK_RELEASE,     /* LOC_UPDATE / HOA_REQ with lifetime 0: nothing to do */
	MR_CK_ANCHOR,      /* LOC_QUERY target=prefix of an expired anchor (anchor id) */
	MR_CK_LATE,        /* LOC_QUERY BY_MNID again, of an MN treated as new */
};

/* kind (8 bits), prefix index (8 bits), object id (48 bits). */
static inline uint64_t
mr_cookie(enum mr_ck kind, unsigned idx, uint64_t id)
{
	return (uint64_t)kind << 56 | (uint64_t)(idx & 0xff) << 48 | (id & 0xffffffffffffull);
}

/* One prefix of an attached MN (also kept in a handover context). */
struct mr_hnp {
	struct dmm_prefix p;
	struct in6_addr home;     /* anchor MR */
	uint32_t lease_s;         /* lease lifetime, for RAs */
	bool deprecated;          /* advertised with preferred 0 until release_at */
	bool pending;             /* RETRIEVING: HOA_REP not seen yet */
	bool bound;               /* we keep an LM binding for it */
	dmm_time_t bind_refresh;  /* next LOC_UPDATE refresh, NEVER if none */
	dmm_time_t lease_refresh; /* next HOA_REQ refresh, NEVER if none */
	dmm_time_t bind_expires;  /* the LM's binding runs out (last ack + lifetime) */
	dmm_time_t lease_expires; /* the HAA's lease runs out (last grant + lease) */
	dmm_time_t release_at;    /* deprecated: released then */
	/* the LM's version of its binding as we last heard it (a query's
	 * answer, our update's ack), named in our updates so that the LM
	 * refuses one the binding has moved on from; 0: none known */
	uint16_t ver;
	uint8_t stale_tries;      /* updates refused as stale in a row */
	/* the LM acknowledged our binding since the MN came here (a
	 * LOC_UPDATE with a handoff, or its return, clears it); until then
	 * an update that goes unanswered is sent again after retry_ms,
	 * backing off from MR_RETRY_MIN_MS (mn_loc_retry_at) */
	bool acked;
	uint32_t retry_ms;
	/* routing locator: our per-host locator for it (len 0: none); in a
	 * handover context, the locator it had here (kept until the end) */
	struct dmm_prefix phl;
};

struct mr_mn {
	uint64_t id;
	struct dmm_mnid mnid;
	uint32_t link;
	enum dmm_mn_state state;
	dmm_time_t since;
	unsigned n_hnp;
	struct mr_hnp hnp[DMM_MAX_HNP];
	struct in6_addr ctx_pmr; /* nMR: where CTX_REQ went, until the first LOC_ACK; :: if none */
	/* nMR: the first CTX_REQ is unanswered (a pMR that still has the MN
	 * on a live link refuses it: whoever is here is not that MN) */
	bool ctx_wait;
	/* pMR: a CTX_REQ for this MN while its link still has carrier. Held
	 * unanswered until the link goes (then accepted) or ctx_until
	 * (then refused): an identity is pinned to its live link. */
	bool ctx_held;
	dmm_time_t ctx_until;
	uint64_t ctx_hold; /* the held request: its id in the MR's holds table */
	/* FAILED after a timeout: start over at retry_at (DMM_TIME_NEVER
	 * otherwise), backing off from MR_RETRY_MIN_MS to MR_RETRY_MAX_MS. A
	 * real MN sends its few RSs when its link comes up, not later. */
	dmm_time_t retry_at;
	uint32_t retry_ms;
	/* The LM did not answer the query of its arrival and the MN was
	 * treated as new (a prefix of ours): once ATTACHED, the query is
	 * sent again at resolve_at, backing off with resolve_ms, until the
	 * LM answers; prefixes the MN has elsewhere are then taken over as
	 * in a move (mn_late_resolved), so that a lost query costs it no
	 * prefix. */
	bool resolve_late;
	dmm_time_t resolve_at;
	uint32_t resolve_ms;
};

/* A CTX_REQ held for an MN still on a live link (mr_mn.ctx_held). Apart
 * from the MN, which seldom has one: a message is 352 bytes, an MN without
 * it 568. At most one per MN: the table has as many slots as the MNs'. */
struct mr_ctx_hold {
	uint64_t id;
	struct in6_addr src;
	struct dmm_msg req;
};

struct mr_tun {
	struct dmm_prefix hnp;
	struct dmm_prefix src;
};

/* pMR: a departed MN whose packets we hold, then forward to the nMR. */
struct mr_ho {
	uint64_t id;
	struct dmm_mnid mnid;
	uint32_t link;
	unsigned n_hnp;
	struct mr_hnp hnp[DMM_MAX_HNP];
	enum dmm_ho_state state;
	struct in6_addr nmr;
	struct dmm_prefix nphl[DMM_MAX_HNP]; /* hnp[i]'s locator at the nMR (len 0: none) */
	dmm_time_t expires;
	bool holding;  /* HOLD_START issued, not flushed */
	bool catchall; /* tunnel table was full: hnp -> nMR for every source */
	unsigned n_tun;
	struct mr_tun tun[MR_HO_MAX_TUN];
};

struct mr_cache {
	uint64_t id;
	bool indexed;           /* .prefix is in the prefix index */
	struct dmm_prefix prefix;
	struct dmm_prefix src;  /* source-specific (anchor, redirect mode), len 0 = any */
	struct dmm_prefix hold; /* held prefix while QUERYING */
	bool holding;
	bool anchor;            /* prefix anchored here: its routes overlay our MISS */
	/* Negative entry: the LM answered "here" for an MN that is not. No
	 * route, no query until it expires; any news of the MN ends it. Not
	 * shown in the view (no cache state says "dropped"). */
	bool departed;
	struct in6_addr sender; /* source-specific: the sender whose MR is redirected */
	enum dmm_cache_state state;
	struct in6_addr locator;
	struct dmm_prefix phl;  /* the prefix's per-host locator at .locator (len 0: none) */
	dmm_time_t expires;     /* NEVER while QUERYING (the query times out), unless
				 * the answer named an MN attaching here: hold_ms */
	bool negative;          /* PASS because the LM knows no MN there */
	dmm_time_t touched;     /* created, or last hit by a miss: LRU eviction */
};

/* A prefix anchored here whose MN is elsewhere: MISS_ADD(p) is installed.
 * It expires: then the LM is asked whether the prefix is still bound
 * somewhere; if not, the anchor goes and the lease is released. */
struct mr_anchor {
	uint64_t id;
	struct dmm_prefix p;
	struct dmm_mnid mnid; /* the MN the lease is for (len 0: unknown) */
	dmm_time_t expires;   /* NEVER while the LM is asked */
};

#define MR_LINK_RATE_SLOTS 256 /* access links with an attach rate state */
#define MR_ANCHOR_RETRY_MS 60000 /* the LM did not answer about an anchor */

/* Attach rate limit of one access link (GCRA: theoretical arrival time). */
struct mr_link_rate {
	uint32_t link;
	bool used;
	dmm_time_t tat;
};

/* A pending "find the sender's MR, then redirect it" step. */
struct mr_job {
	uint64_t id;
	struct dmm_prefix hnp;
	struct in6_addr locator;
	struct dmm_prefix phl;
	struct in6_addr src;
	bool for_ho; /* a handover context forwarding to locator asked */
};

struct dmm_mr {
	bool started;      /* first timer run did the start-up work */
	dmm_time_t fixed_refresh;
	/* bit i: the LM acknowledged cfg.fixed[i] since the start; until
	 * then a registration that times out is sent again after
	 * fixed_retry_ms[i] (mr_soon_at), not at the refresh's retry pace */
	uint8_t fixed_acked;
	uint32_t fixed_retry_ms[DMM_MAX_NET_PREFIX];
	dmm_time_t peer_log_quiet_until; /* rate limit of mr_peer_log */
	uint32_t peer_log_missed;        /* lines suppressed since the last one */

	/* Heap 0 of every table: the object's earliest deadline; heap 1 of
	 * the cache: eviction order. */
	struct dmm_tbl mns, hos, cache, anchors, jobs, holds;
	struct dmm_hmap mn_link;   /* access link -> MN */
	struct dmm_hmap mn_id;     /* dmm_mnid_key -> MN */
	struct dmm_pidx mn_pfx;    /* each prefix of an MN -> MN */
	struct dmm_hmap ho_id;     /* dmm_mnid_key -> context */
	struct dmm_pidx ho_pfx;    /* each prefix of a context -> context */
	struct dmm_pidx cache_pfx; /* entry's prefix -> entry */
	struct dmm_pidx anchor_pfx;
	uint32_t *scratch, cap_scratch; /* mr_cache_match's answer */
	struct mr_link_rate link_rate[MR_LINK_RATE_SLOTS];
};

#define MR_HEAP_DEADLINE 0
#define MR_HEAP_EVICT 1

/* ---- mr.c ---- */
/* Recompute the deadlines of what the event touched (every entry point
 * ends with it). */
void mr_flush(struct dmm_node *n);
/* An index could not grow: counted, the object stays unfindable by it. */
void mr_nomem(struct dmm_node *n, int rc, dmm_time_t now);
bool mr_addr_eq(const struct in6_addr *a, const struct in6_addr *b);
bool mr_is_self(const struct dmm_node *n, const struct in6_addr *a);
/* a is the LM of some network of the domain map. */
bool mr_is_lm(const struct dmm_node *n, const struct in6_addr *a);
/* A log line a peer's message (or silence) caused: at most one a second,
 * the next one says how many were suppressed. */
void mr_peer_log(struct dmm_node *n, enum dmm_log_level lvl, dmm_time_t now,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void mr_dp(struct dmm_node *n, enum dmm_dp_kind kind, const struct dmm_prefix *p,
	   const struct dmm_prefix *src, const struct in6_addr *locator, uint32_t link);
void mr_hold(struct dmm_node *n, enum dmm_dp_kind kind, const struct dmm_prefix *p,
	     dmm_time_t now);
int64_t mr_request(struct dmm_node *n, const struct in6_addr *dst, struct dmm_msg *m,
		   uint64_t cookie, dmm_time_t now);
/* A refresh: within the node's refresh budget (DMM_E_FULL: retry soon). */
int64_t mr_request_refresh(struct dmm_node *n, const struct in6_addr *dst,
			   struct dmm_msg *m, uint64_t cookie, dmm_time_t now);
/* When to refresh something of lifetime s granted now (jittered); when to
 * try a failed refresh of something that expires at `expires` again; when
 * to try one the refresh budget deferred. */
dmm_time_t mr_refresh_at(struct dmm_node *n, dmm_time_t now, uint32_t s);
dmm_time_t mr_retry_at(struct dmm_node *n, dmm_time_t expires, dmm_time_t now);
/* A backoff: *ms doubled from MR_RETRY_MIN_MS up to MR_RETRY_MAX_MS,
 * returned. */
uint32_t mr_backoff(uint32_t *ms);
/* After something the LM must hear of at once went unanswered: now plus
 * mr_backoff(ms), with a jitter of up to half of it (counted as a
 * refresh_retry). */
dmm_time_t mr_soon_at(struct dmm_node *n, uint32_t *ms, dmm_time_t now);
dmm_time_t mr_defer_at(struct dmm_node *n, dmm_time_t now);
void mr_msg_init(struct dmm_msg *m, enum dmm_msg_type t);
int64_t mr_query(struct dmm_node *n, const struct in6_addr *target, uint16_t flags,
		 uint64_t cookie, dmm_time_t now);
const struct in6_addr *mr_local_lm(const struct dmm_node *n);
/* The local LM request m goes to (one of several: pick.c). */
const struct in6_addr *mr_lm(struct dmm_node *n, const struct dmm_msg *m, dmm_time_t now);
struct dmm_prefix mr_prefix_of(const struct in6_addr *a, uint8_t len);
struct mr_mn *mr_mn_by_addr(struct dmm_node *n, const struct in6_addr *a);
struct mr_mn *mr_mn_by_prefix(struct dmm_node *n, const struct dmm_prefix *p);
struct mr_mn *mr_mn_by_mnid(struct dmm_node *n, const struct dmm_mnid *id);
int mr_mn_detach(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now);
/* Hold CTX_REQ m from src for mn (DMM_E_NOMEM: no slot, not held). */
int mr_ctx_hold(struct dmm_node *n, struct mr_mn *mn, const struct in6_addr *src,
		const struct dmm_msg *m);
/* The request held for mn, if any, into *src and *m, and no longer held. */
bool mr_ctx_take(struct dmm_node *n, struct mr_mn *mn, struct in6_addr *src,
		 struct dmm_msg *m);
/* HOA_REQ lifetime 0 for p to its home HAA: release the lease of MN id. */
void mr_release_lease(struct dmm_node *n, const struct dmm_mnid *id,
		      const struct dmm_prefix *p, uint32_t link, dmm_time_t now);

/* ---- mr_handover.c ---- */
void mr_ho_create(struct dmm_node *n, const struct mr_mn *mn, dmm_time_t now);
struct mr_ho *mr_ho_by_mnid(struct dmm_node *n, const struct dmm_mnid *id);
struct mr_ho *mr_ho_by_addr(struct dmm_node *n, const struct in6_addr *a);
void mr_ho_ctx_req(struct dmm_node *n, const struct in6_addr *src,
		   const struct dmm_msg *m, dmm_time_t now);
/* The held CTX_REQ of an MN: accepted once its context exists (the link
 * went), or answered with status (refused). */
void mr_ho_ctx_accept(struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m, dmm_time_t now);
void mr_ho_ctx_answer(struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m, uint8_t status, dmm_time_t now);
void mr_ho_miss(struct dmm_node *n, struct mr_ho *ho, const struct in6_addr *dst,
		const struct in6_addr *src, dmm_time_t now);
/* The MN is back here: drop its context; held packets are flushed to it. */
void mr_ho_release(struct dmm_node *n, struct mr_ho *ho, dmm_time_t now);
void mr_ho_timer(struct dmm_node *n, dmm_time_t now);
uint64_t mr_ho_key(const void *e, unsigned h);

/* ---- mr_cache.c ---- */
void mr_cache_start(struct dmm_node *n, dmm_time_t now);
int mr_cache_miss(struct dmm_node *n, const struct in6_addr *dst,
		  const struct in6_addr *src, dmm_time_t now);
void mr_cache_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		    dmm_time_t now);
void mr_redirect(struct dmm_node *n, const struct in6_addr *src,
		 const struct dmm_msg *m, dmm_time_t now);
void mr_notify(struct dmm_node *n, const struct in6_addr *src,
	       const struct dmm_msg *m, dmm_time_t now);
/* Find the MR serving src, then send it REDIRECT {hnp, locator}. */
/* Our REDIRECTs still being retransmitted that name locator for one of
 * hnp[0..n_hnp) are cancelled. */
void mr_redirect_cancel(struct dmm_node *n, const struct dmm_prefix *hnp, unsigned n_hnp,
			const struct in6_addr *locator);
void mr_sender_redirect(struct dmm_node *n, const struct dmm_prefix *hnp,
			const struct in6_addr *locator, const struct dmm_prefix *phl,
			const struct in6_addr *src, dmm_time_t now);
void mr_sender_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		     dmm_time_t now);
/* Prefix p is now delivered locally: forget every other route of ours for
 * it. The hold prefixes of queries that held packets for it go to held[]
 * (at most max; beyond that they are dropped): the caller flushes them
 * once its LOCAL route is in. Returns their number. */
unsigned mr_cache_claim(struct dmm_node *n, const struct dmm_prefix *p,
			struct dmm_prefix *held, unsigned max, dmm_time_t now);
/* Anchor p (lease of MN id, NULL if unknown): MISS_ADD, expires when the
 * LM binding would lapse unless the LM says the MN is still elsewhere. */
void mr_anchor_add(struct dmm_node *n, const struct dmm_prefix *p, const struct dmm_mnid *id,
		   dmm_time_t now);
void mr_anchor_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		     dmm_time_t now);
struct mr_anchor *mr_anchor_by_addr(struct dmm_node *n, const struct in6_addr *a);
void mr_cache_timer(struct dmm_node *n, dmm_time_t now);
uint64_t mr_cache_key(const void *e, unsigned h);
uint64_t mr_anchor_key(const void *e, unsigned h);

/* ---- mr_locator.c (routing locator, draft 4.3) ---- */
/* A free per-host locator of ours for /64 hnp (len 0: none, tunnel). */
struct dmm_prefix mr_phl_assign(struct dmm_node *n, const struct dmm_prefix *hnp);
/* A peer's locator for hnp that we may translate to. */
bool mr_phl_sane(const struct dmm_node *n, const struct dmm_prefix *hnp,
		 const struct dmm_prefix *phl);
/* TUNNEL_ADD p [from src] to the MR locator: by translation to phl where
 * we route by locator and phl is usable, else IPv6-in-IPv6. */
void mr_dp_tunnel(struct dmm_node *n, const struct dmm_prefix *p, const struct dmm_prefix *src,
		  const struct in6_addr *locator, const struct dmm_prefix *phl);
void mr_dp_locator(struct dmm_node *n, bool add, const struct dmm_prefix *phl,
		   const struct dmm_prefix *hnp);
/* LOCATOR_DEL phl unless an attached MN or a context still has it. */
void mr_phl_release(struct dmm_node *n, const struct dmm_prefix *phl,
		    const struct dmm_prefix *hnp);

#endif
