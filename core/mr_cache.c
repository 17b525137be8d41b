/* dmm core: the MR location cache and route optimization (P3, P4, P6;
 * draft §4.3 figures 3 and 4).
 *
 * Query mode: a miss for a domain address queries the local LM (packets
 * held), then tunnels the prefix to the MR serving it. Redirect mode: the
 * anchor MR of a prefix whose MN is elsewhere tunnels each new sender's
 * packets to that MR and redirects the sender's MR. LM_NOTIFY and REDIRECT
 * update entries at once. Entries expire; the next packet misses again. */
#include <stdlib.h>
#include <string.h>

#include "mr_priv.h"

static const char *const cache_state_names[] = {
	[DMM_CACHE_QUERYING] = "querying",
	[DMM_CACHE_TUNNEL] = "tunnel",
	[DMM_CACHE_PASS] = "pass",
	[DMM_CACHE_DEPARTED] = "departed",
};

const char *dmm_cache_state_name(enum dmm_cache_state s)
{
	return (unsigned)s <= DMM_CACHE_DEPARTED ? cache_state_names[s] : "?";
}

static void cache_log(struct dmm_node *n, const struct mr_cache *e, const char *from,
		      const char *to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], s[DMM_PREFIX_STRLEN];

	if (!dmm_log_on(n, DMM_LOG_DEBUG)) /* the prefixes are formatted first */
		return;
	dmm_log(n, DMM_LOG_DEBUG, "mr: cache %s from %s: %s -> %s (%s)",
		dmm_prefix_str(&e->prefix, p, sizeof(p)), dmm_prefix_str(&e->src, s, sizeof(s)),
		from, to, why);
}

static const char *cache_state_str(const struct mr_cache *e)
{
	return e->departed ? "departed" : dmm_cache_state_name(e->state);
}

/* The only place an entry changes state (fresh: it was just created). */
static void cache_set_state(struct dmm_node *n, struct mr_cache *e, enum dmm_cache_state st,
			    bool fresh, const char *why)
{
	cache_log(n, e, fresh ? "new" : cache_state_str(e), dmm_cache_state_name(st), why);
	e->state = st;
	e->departed = false;
	e->negative = false;
}

/* The LM says the MN is here and it is not: a negative entry, no route. */
static void cache_set_departed(struct dmm_node *n, struct mr_cache *e, dmm_time_t now)
{
	cache_log(n, e, cache_state_str(e), "departed", "mn left, no other location");
	e->state = DMM_CACHE_PASS; /* any state but QUERYING: it expires */
	e->departed = true;
	e->locator = n->cfg.self;
	memset(&e->phl, 0, sizeof(e->phl));
	e->expires = now + MR_DEPARTED_MS;
}

/* Heap 0: expiry; heap 1: eviction order (see evict_rank). */
static int evict_rank(const struct mr_cache *e);

uint64_t mr_cache_key(const void *v, unsigned h)
{
	const struct mr_cache *e = v;
	int r;

	if (h == MR_HEAP_DEADLINE)
		return e->expires;
	r = evict_rank(e);
	if (r == 0)
		return DMM_KEY_NONE;
	return (r == 2 ? 0 : UINT64_C(1) << 62) | (e->touched & ((UINT64_C(1) << 62) - 1));
}

static struct mr_cache *cache_by_id(struct dmm_node *n, uint64_t id)
{
	return dmm_tbl_get(&n->mr->cache, id);
}

static struct mr_cache *cache_slot(struct dmm_node *n, uint32_t s)
{
	return dmm_tbl_at(&n->mr->cache, s);
}

static int cmp_slot(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The entries whose prefix, of a length in [minl, maxl], contains a, in
 * slot order (the order a scan of the table visits them): in *out, valid
 * until the next call. */
static uint32_t cache_match(struct dmm_node *n, const struct in6_addr *a, uint8_t minl,
			    uint8_t maxl, const uint32_t **out)
{
	struct dmm_mr *mr = n->mr;
	struct dmm_pidx_it it;
	uint32_t s, k = 0;
	uint8_t len;

	dmm_pidx_match(&mr->cache_pfx, &it, a, minl, maxl);
	while (dmm_pidx_next(&mr->cache_pfx, &it, &s, &len)) {
		const struct mr_cache *e = dmm_tbl_peek(&mr->cache, s);
		if (e->prefix.len != len || !dmm_prefix_contains(&e->prefix, a))
			continue;
		if (k == mr->cap_scratch) {
			uint32_t cap = mr->cap_scratch ? mr->cap_scratch * 2 : 16;
			uint32_t *b = realloc(mr->scratch, cap * sizeof(*b));
			if (!b)
				break; /* the first ones found */
			mr->scratch = b;
			mr->cap_scratch = cap;
		}
		mr->scratch[k++] = s;
	}
	if (k > 16) /* redirect mode: one entry per sender of an anchored prefix */
		qsort(mr->scratch, k, sizeof(*mr->scratch), cmp_slot);
	else
		for (uint32_t i = 1; i < k; i++) /* insertion sort: a handful */
			for (uint32_t j = i; j > 0 && mr->scratch[j - 1] > mr->scratch[j]; j--) {
				uint32_t t = mr->scratch[j];
				mr->scratch[j] = mr->scratch[j - 1];
				mr->scratch[j - 1] = t;
			}
	*out = mr->scratch;
	return k;
}

/* The first entry for exactly p (with source src, or in state st, or
 * departed: whichever of these is asked). */
enum cache_pick { PICK_SRC, PICK_STATE, PICK_DEPARTED };
static struct mr_cache *cache_pick(struct dmm_node *n, const struct dmm_prefix *p,
				   enum cache_pick how, const struct dmm_prefix *src,
				   enum dmm_cache_state st)
{
	const uint32_t *m;
	uint32_t k = cache_match(n, &p->addr, p->len, p->len, &m);

	for (uint32_t i = 0; i < k; i++) {
		const struct mr_cache *e = dmm_tbl_peek(&n->mr->cache, m[i]);
		if (!dmm_prefix_eq(&e->prefix, p))
			continue;
		if ((how == PICK_SRC && dmm_prefix_eq(&e->src, src)) ||
		    (how == PICK_STATE && e->state == st) || (how == PICK_DEPARTED && e->departed))
			return cache_slot(n, m[i]);
	}
	return NULL;
}

static struct mr_cache *cache_find(struct dmm_node *n, const struct dmm_prefix *p,
				   const struct dmm_prefix *src)
{
	return cache_pick(n, p, PICK_SRC, src, 0);
}

/* Any entry for exactly p in state st (whatever its source). */
static struct mr_cache *cache_in_state(struct dmm_node *n, const struct dmm_prefix *p,
				       enum dmm_cache_state st)
{
	return cache_pick(n, p, PICK_STATE, NULL, st);
}

static bool cache_departed(struct dmm_node *n, const struct dmm_prefix *p)
{
	return cache_pick(n, p, PICK_DEPARTED, NULL, 0) != NULL;
}

/* The entry's prefix is p from now on (and so in the index). */
static void cache_set_prefix(struct dmm_node *n, struct mr_cache *e, const struct dmm_prefix *p,
			     dmm_time_t now)
{
	uint32_t s = dmm_tbl_slot(&n->mr->cache, e);
	int rc;

	if (e->indexed)
		dmm_pidx_del(&n->mr->cache_pfx, &e->prefix, s);
	e->prefix = *p;
	rc = dmm_pidx_add(&n->mr->cache_pfx, &e->prefix, s);
	e->indexed = rc == 0;
	mr_nomem(n, rc, now);
}

static void cache_remove(struct dmm_node *n, struct mr_cache *e, const char *why,
			 dmm_time_t now);

/* Eviction rank: negative entries go first, then the other settled ones;
 * never one whose query is in flight (it holds packets). */
static int evict_rank(const struct mr_cache *e)
{
	if (!e->id || e->state == DMM_CACHE_QUERYING)
		return 0;
	return e->negative || e->departed ? 2 : 1;
}

/* The table is full: evict the least recently used entry of the best rank.
 * Misses to unused addresses must not lock real MNs out of the cache. */
static struct mr_cache *cache_evict(struct dmm_node *n, dmm_time_t now)
{
	struct mr_cache *v;
	uint32_t s;

	dmm_tbl_flush(&n->mr->cache);
	s = dmm_tbl_top(&n->mr->cache, MR_HEAP_EVICT);
	if (s == DMM_TBL_NONE)
		return NULL;
	v = cache_slot(n, s);
	dmm_count(n, DMM_C_CACHE_EVICTED);
	cache_remove(n, v, "evicted", now);
	return v;
}

/* A free entry (its prefix not set yet); with evict, the least recently
 * used one when full. */
static struct mr_cache *cache_alloc(struct dmm_node *n, bool evict, dmm_time_t now)
{
	uint64_t id;
	struct mr_cache *e = dmm_tbl_alloc(&n->mr->cache, &id);

	if (!e && evict && cache_evict(n, now))
		e = dmm_tbl_alloc(&n->mr->cache, &id);
	if (!e) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: location cache full");
		return NULL;
	}
	e->id = id;
	e->touched = now;
	return e;
}

uint64_t mr_anchor_key(const void *e, unsigned h)
{
	(void)h;
	return ((const struct mr_anchor *)e)->expires;
}

/* The anchor whose prefix, of a length in [minl, maxl], contains a. */
static struct mr_anchor *anchor_match(struct dmm_node *n, const struct in6_addr *a,
				      uint8_t minl, uint8_t maxl)
{
	struct dmm_pidx_it it;
	uint32_t s;
	uint8_t len;

	dmm_pidx_match(&n->mr->anchor_pfx, &it, a, minl, maxl);
	while (dmm_pidx_next(&n->mr->anchor_pfx, &it, &s, &len)) {
		struct mr_anchor *x = dmm_tbl_at(&n->mr->anchors, s);
		if (x->p.len == len && dmm_prefix_contains(&x->p, a))
			return x;
	}
	return NULL;
}

static struct mr_anchor *anchor_by_prefix(struct dmm_node *n, const struct dmm_prefix *p)
{
	return anchor_match(n, &p->addr, p->len, p->len);
}

struct mr_anchor *mr_anchor_by_addr(struct dmm_node *n, const struct in6_addr *a)
{
	return anchor_match(n, a, 0, 128);
}

static void cache_install(struct dmm_node *n, const struct mr_cache *e)
{
	if (e->state == DMM_CACHE_TUNNEL)
		mr_dp_tunnel(n, &e->prefix, &e->src, &e->locator, &e->phl);
	else if (e->state == DMM_CACHE_PASS)
		mr_dp(n, DMM_DP_PASS_ADD, &e->prefix, NULL, NULL, 0);
}

/* Remove an entry and its routes. An anchored prefix's catch-all tunnel
 * replaced our MISS route: put the MISS back. */
static void cache_remove(struct dmm_node *n, struct mr_cache *e, const char *why,
			 dmm_time_t now)
{
	struct mr_cache c = *e;

	if (e->indexed)
		dmm_pidx_del(&n->mr->cache_pfx, &e->prefix, dmm_tbl_slot(&n->mr->cache, e));
	dmm_tbl_free(&n->mr->cache, e);
	cache_log(n, &c, cache_state_str(&c), "gone", why);
	if (c.departed)
		c.state = DMM_CACHE_QUERYING; /* it installed no route */
	if (c.state == DMM_CACHE_TUNNEL)
		mr_dp(n, DMM_DP_TUNNEL_DEL, &c.prefix, &c.src, NULL, 0);
	else if (c.state == DMM_CACHE_PASS)
		mr_dp(n, DMM_DP_PASS_DEL, &c.prefix, NULL, NULL, 0);
	if (c.holding)
		mr_hold(n, DMM_DP_HOLD_DROP, &c.hold, now);
	if (c.anchor && c.src.len == 0 && c.state == DMM_CACHE_TUNNEL &&
	    anchor_by_prefix(n, &c.prefix))
		mr_dp(n, DMM_DP_MISS_ADD, &c.prefix, NULL, NULL, 0);
}

/* ---- anchored prefixes whose MN is elsewhere ---- */

static dmm_time_t anchor_lifetime(const struct dmm_node *n, dmm_time_t now)
{
	return now + (dmm_time_t)n->cfg.timers.binding_lifetime_s * 1000;
}

void mr_anchor_add(struct dmm_node *n, const struct dmm_prefix *p, const struct dmm_mnid *id,
		   dmm_time_t now)
{
	struct mr_anchor *a = anchor_by_prefix(n, p);
	uint64_t tid;

	if (!a && (a = dmm_tbl_alloc(&n->mr->anchors, &tid)) != NULL) {
		int rc;
		*a = (struct mr_anchor){ .id = tid, .p = *p };
		rc = dmm_pidx_add(&n->mr->anchor_pfx, &a->p, dmm_tbl_slot(&n->mr->anchors, a));
		if (rc < 0) {
			mr_nomem(n, rc, now);
			dmm_tbl_free(&n->mr->anchors, a);
			return;
		}
	}
	if (!a) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: anchored prefix table full");
		return;
	}
	if (id)
		a->mnid = *id;
	/* Nobody refreshes the MN's binding from here on but its new MR: if
	 * none does, it lapses by then. */
	a->expires = anchor_lifetime(n, now);
	mr_dp(n, DMM_DP_MISS_ADD, p, NULL, NULL, 0);
}

static void anchor_remove(struct dmm_node *n, struct mr_anchor *a)
{
	mr_dp(n, DMM_DP_MISS_DEL, &a->p, NULL, NULL, 0);
	dmm_pidx_del(&n->mr->anchor_pfx, &a->p, dmm_tbl_slot(&n->mr->anchors, a));
	dmm_tbl_free(&n->mr->anchors, a);
}

/* The prefix is bound nowhere: stop anchoring it and release its lease
 * (the HAA would otherwise keep it for the rest of the lease). */
static void anchor_expire(struct dmm_node *n, struct mr_anchor *a, const char *why,
			  dmm_time_t now)
{
	struct mr_anchor c = *a;
	char b[DMM_PREFIX_STRLEN];

	anchor_remove(n, a);
	dmm_count(n, DMM_C_ANCHOR_EXPIRED);
	if (dmm_log_on(n, DMM_LOG_DEBUG))
		dmm_log(n, DMM_LOG_DEBUG, "mr: anchor %s: gone (%s)",
			dmm_prefix_str(&c.p, b, sizeof(b)), why);
	if (c.mnid.len)
		mr_release_lease(n, &c.mnid, &c.p, 0, now);
}

static struct mr_anchor *anchor_by_id(struct dmm_node *n, uint64_t id)
{
	return dmm_tbl_get(&n->mr->anchors, id);
}

/* The LM's word on an expired anchor: the MN is elsewhere (keep it), or
 * nowhere (release), or no word (ask again later). */
void mr_anchor_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		     dmm_time_t now)
{
	struct mr_anchor *a = anchor_by_id(n, id);

	if (!a)
		return;
	if (!rep)
		a->expires = now + MR_ANCHOR_RETRY_MS;
	else if (rep->status == DMM_ST_NOT_FOUND)
		anchor_expire(n, a, "no binding", now);
	else if (rep->status == DMM_ST_OK && (rep->present & DMM_P_LOCATION) &&
		 !mr_is_self(n, &rep->location))
		a->expires = anchor_lifetime(n, now);
	else /* still naming us (it lapses), or refused: later */
		a->expires = now + (rep->lifetime ? (dmm_time_t)rep->lifetime * 1000 + 1000 :
						    MR_ANCHOR_RETRY_MS);
}

static void anchor_timer(struct dmm_node *n, struct mr_anchor *a, dmm_time_t now)
{
	uint64_t id = a->id;

	a->expires = DMM_TIME_NEVER;
	if (mr_query(n, &a->p.addr, 0, mr_cookie(MR_CK_ANCHOR, 0, id), now) < 0 &&
	    (a = anchor_by_id(n, id)) != NULL)
		a->expires = now + MR_ANCHOR_RETRY_MS;
}

/* p is delivered locally from now on: our other routes for it must go
 * first (a source-specific tunnel would beat the LOCAL route). Packets a
 * query of ours holds for it are not dropped: their hold prefixes go to
 * held[] (at most max), for the caller to flush once the LOCAL route is
 * in — e.g. packets a pMR flushed to us before we learned the MN's
 * prefix. Returns how many. */
unsigned mr_cache_claim(struct dmm_node *n, const struct dmm_prefix *p,
			struct dmm_prefix *held, unsigned max, dmm_time_t now)
{
	struct mr_anchor *a = anchor_by_prefix(n, p);
	struct dmm_tbl *t = &n->mr->cache;
	const uint32_t *m = NULL;
	uint32_t nm;
	unsigned k = 0;
	bool scan;

	if (a)
		anchor_remove(n, a);
	/* Entries inside p, longer than it, cannot be found by hashing: only
	 * while such lengths are in use, the table is scanned. Decided once:
	 * removing the last longer entry in the loop must not switch a scan
	 * to the match list (there is none: fuzz_node's SEGV). */
	scan = dmm_pidx_longer(&n->mr->cache_pfx, p->len);
	nm = scan ? t->hi : cache_match(n, &p->addr, 0, p->len, &m);
	for (uint32_t i = 0; i < nm; i++) {
		uint32_t s = scan ? i : m[i];
		const struct mr_cache *c = dmm_tbl_peek(t, s);
		struct mr_cache *e;
		if (!dmm_tbl_live(t, s) || !(dmm_prefix_contains(&c->prefix, &p->addr) ||
					     dmm_prefix_contains(p, &c->prefix.addr)))
			continue;
		e = cache_slot(n, s);
		if (e->holding && k < max) {
			held[k++] = e->hold;
			e->holding = false;
		}
		cache_remove(n, e, "mn attached here", now);
	}
	return k;
}

/* ---- query mode and anchor misses ---- */

void mr_cache_start(struct dmm_node *n, dmm_time_t now)
{
	(void)now;
	if (n->cfg.ro_mode != DMM_RO_QUERY)
		return;
	for (unsigned i = 0; i < n->cfg.n_nets; i++)
		for (unsigned j = 0; j < n->cfg.nets[i].n_prefixes; j++)
			mr_dp(n, DMM_DP_MISS_ADD, &n->cfg.nets[i].prefixes[j], NULL, NULL, 0);
	/* This MR's own fixed correspondents (P6) are behind it: regular
	 * routing reaches them, even inside a network's prefix, where the
	 * miss route would otherwise make it look up its own server. */
	for (unsigned i = 0; i < n->cfg.n_fixed; i++)
		mr_dp(n, DMM_DP_PASS_ADD, &n->cfg.fixed[i], NULL, NULL, 0);
}

/* Hold e's packets and ask the LM where target is (and to tell us when it moves). */
static void cache_query(struct dmm_node *n, struct mr_cache *e, const struct in6_addr *target,
			dmm_time_t now)
{
	uint64_t id = e->id;

	e->holding = true;
	mr_hold(n, DMM_DP_HOLD_START, &e->hold, now);
	if (mr_query(n, target, DMM_F_SUBSCRIBE, mr_cookie(MR_CK_CACHEQ, 0, id), now) < 0 &&
	    (e = cache_by_id(n, id)) != NULL)
		cache_remove(n, e, "cannot query", now);
}

static int anchor_miss(struct dmm_node *n, const struct mr_anchor *a, const struct in6_addr *dst,
		       const struct in6_addr *src, dmm_time_t now)
{
	bool per_src = n->cfg.ro_mode == DMM_RO_REDIRECT;
	struct dmm_prefix p = a->p, s = { .len = 0 };
	struct mr_cache *e, *known, kn = { .id = 0 };

	if (per_src)
		s = mr_prefix_of(src, MR_SRC_PLEN);
	if (cache_in_state(n, &p, DMM_CACHE_QUERYING) || cache_find(n, &p, &s) ||
	    cache_departed(n, &p))
		return 0; /* held by the query in flight, routed already, or nowhere */
	known = cache_in_state(n, &p, DMM_CACHE_TUNNEL);
	if (known) /* copied: making room may evict it */
		kn = *known;
	e = cache_alloc(n, true, now);
	if (!e)
		return DMM_E_FULL;
	cache_set_prefix(n, e, &p, now);
	e->src = s;
	e->anchor = true;
	e->sender = *src;
	if (!known) {
		e->hold = p;
		e->expires = DMM_TIME_NEVER;
		cache_set_state(n, e, DMM_CACHE_QUERYING, true, "anchor miss");
		cache_query(n, e, dst, now);
		return 0;
	}
	e->locator = kn.locator;
	e->phl = kn.phl;
	e->expires = kn.expires;
	cache_set_state(n, e, DMM_CACHE_TUNNEL, true, "anchor miss, location known");
	cache_install(n, e);
	if (per_src)
		mr_sender_redirect(n, &p, &kn.locator, &kn.phl, src, now);
	return 0;
}

int mr_cache_miss(struct dmm_node *n, const struct in6_addr *dst, const struct in6_addr *src,
		  dmm_time_t now)
{
	struct mr_anchor *a = mr_anchor_by_addr(n, dst);
	struct mr_cache *e;

	if (a)
		return anchor_miss(n, a, dst, src, now);
	if (n->cfg.ro_mode != DMM_RO_QUERY || dmm_config_net_of(&n->cfg, dst) < 0)
		return 0; /* not ours to resolve: the packet is dropped */
	/* (An entry's held prefix lies inside its prefix: the prefix only
	 * widens, to the HNP the LM names.) */
	const uint32_t *m;
	uint32_t k = cache_match(n, dst, 0, 128, &m);
	for (uint32_t i = 0; i < k; i++) {
		if (((const struct mr_cache *)dmm_tbl_peek(&n->mr->cache, m[i]))->src.len)
			continue;
		cache_slot(n, m[i])->touched = now;
		return 0; /* query in flight (packet held), routed, or departed */
	}
	e = cache_alloc(n, true, now);
	if (!e)
		return DMM_E_FULL;
	struct dmm_prefix p = mr_prefix_of(dst, MR_DST_PLEN);
	cache_set_prefix(n, e, &p, now);
	e->hold = e->prefix;
	e->expires = DMM_TIME_NEVER;
	cache_set_state(n, e, DMM_CACHE_QUERYING, true, "miss");
	cache_query(n, e, dst, now);
	return 0;
}

static dmm_time_t cache_expiry(const struct dmm_node *n, uint32_t lifetime_s, dmm_time_t now)
{
	uint32_t s = n->cfg.timers.cache_lifetime_s;

	if (lifetime_s && lifetime_s < s)
		s = lifetime_s;
	return now + (dmm_time_t)s * 1000;
}

/* The LM knows no MN there. Elsewhere: regular routing (negative entry).
 * For an anchored prefix: its lease is gone, stop anchoring it. */
static void cache_not_found(struct dmm_node *n, struct mr_cache *e, dmm_time_t now)
{
	struct dmm_prefix p = e->prefix, hold = e->hold;
	struct mr_anchor *a;

	if (e->anchor) {
		cache_remove(n, e, "no binding", now);
		if ((a = anchor_by_prefix(n, &p)) != NULL)
			anchor_expire(n, a, "no binding", now);
		return;
	}
	e->holding = false;
	e->expires = cache_expiry(n, 0, now);
	if (e->expires > now + MR_NEGATIVE_MS)
		e->expires = now + MR_NEGATIVE_MS;
	cache_set_state(n, e, DMM_CACHE_PASS, false, "not found");
	e->negative = true;
	cache_install(n, e);
	mr_hold(n, DMM_DP_HOLD_FLUSH, &hold, now);
}

/* A query-mode entry covers the whole HNP the LM answered with, unless
 * another entry has it already. */
static void cache_widen(struct dmm_node *n, struct mr_cache *e, const struct dmm_prefix *hnp,
			dmm_time_t now)
{
	struct dmm_prefix q = *hnp;
	struct dmm_prefix any = { .len = 0 };

	dmm_prefix_mask(&q);
	if (e->anchor || q.len > e->prefix.len || !dmm_prefix_contains(&q, &e->prefix.addr) ||
	    cache_find(n, &q, &any))
		return;
	cache_set_prefix(n, e, &q, now);
}

/* The LM says the MN is served here. If it is attaching here, its LOCAL
 * route takes the held packets. If it is not here (it left and no MR has it
 * yet), re-routed packets would only miss and query again, in a loop: they
 * are dropped, and so are the next ones for MR_DEPARTED_MS without a query
 * each (a burst to a departed MN costs one query). Any news of the MN — its
 * return, an LM_NOTIFY, a REDIRECT — ends that early. */
static void cache_here(struct dmm_node *n, struct mr_cache *e, const struct dmm_msg *rep,
		       dmm_time_t now)
{
	struct dmm_prefix hold = e->hold;

	e->holding = false;
	if (mr_mn_by_addr(n, &hold.addr)) {
		cache_remove(n, e, "mn is here", now);
		mr_hold(n, DMM_DP_HOLD_FLUSH, &hold, now);
		return;
	}
	cache_widen(n, e, &rep->hnp[0], now);
	cache_set_departed(n, e, now);
	mr_hold(n, DMM_DP_HOLD_DROP, &hold, now);
}

static void cache_found(struct dmm_node *n, struct mr_cache *e, const struct dmm_msg *rep,
			dmm_time_t now)
{
	const struct in6_addr *loc = &rep->location;
	bool at_home = !e->anchor && (rep->present & DMM_P_HOME) && mr_addr_eq(loc, &rep->home);
	struct mr_mn *mn = (rep->present & DMM_P_MNID) ? mr_mn_by_mnid(n, &rep->mnid) : NULL;
	bool held;

	if (mr_is_self(n, loc)) {
		cache_here(n, e, rep, now);
		return;
	}
	/* The MN is attaching here and the LM's answer to our resolve is
	 * late (lost, retransmitted): a tunnel to where the MN was would send
	 * the packets its pMR flushed to us back there. They stay held until
	 * its LOCAL route takes them (mr_cache_claim), at most hold_ms. */
	if (mn && mn->state == DMM_MN_RESOLVING) {
		cache_log(n, e, "querying", "querying", "mn attaching here");
		e->expires = now + n->cfg.timers.hold_ms;
		return;
	}
	cache_widen(n, e, &rep->hnp[0], now);
	e->locator = *loc;
	e->phl = dmm_msg_phl_of(rep, &e->prefix);
	e->expires = cache_expiry(n, rep->lifetime, now);
	cache_set_state(n, e, at_home ? DMM_CACHE_PASS : DMM_CACHE_TUNNEL, false,
			"query answered");
	cache_install(n, e);
	held = e->holding;
	e->holding = false;
	if (e->anchor && e->src.len)
		mr_sender_redirect(n, &e->prefix, &e->locator, &e->phl, &e->sender, now);
	if (held)
		mr_hold(n, DMM_DP_HOLD_FLUSH, &e->hold, now);
}

void mr_cache_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		    dmm_time_t now)
{
	struct mr_cache *e = cache_by_id(n, id);

	if (!e || e->state != DMM_CACHE_QUERYING)
		return; /* gone, or a redirect answered first */
	if (!rep) {
		cache_remove(n, e, "query timed out", now);
		return;
	}
	dmm_emit(n, DMM_EV_QUERY_ANSWERED, now, NULL, &e->prefix, mr_local_lm(n), 0);
	if (rep->status != DMM_ST_OK || !(rep->present & DMM_P_HNP) ||
	    !(rep->present & DMM_P_LOCATION))
		cache_not_found(n, e, now);
	else
		cache_found(n, e, rep, now);
}

/* ---- redirects ---- */

/* The cookie of our REDIRECTs about hnp to `to` (the prefix hash of both):
 * a newer one supersedes an older one still being retransmitted, which
 * must not reach `to` after it. */
static uint64_t redirect_cookie(const struct dmm_prefix *hnp, const struct in6_addr *to)
{
	const struct dmm_prefix dst = { .addr = *to, .len = 128 };

	return mr_cookie(MR_CK_REDIRECT, 0,
			 (uint64_t)dmm_hash_prefix(hnp) << 32 | dmm_hash_prefix(&dst));
}

static void redirect_send(struct dmm_node *n, const struct in6_addr *to,
			  const struct dmm_prefix *hnp, const struct in6_addr *locator,
			  const struct dmm_prefix *phl, dmm_time_t now)
{
	uint32_t life = n->cfg.timers.cache_lifetime_s;
	uint64_t cookie = redirect_cookie(hnp, to);
	struct dmm_msg m;

	mr_msg_init(&m, DMM_MSG_REDIRECT);
	m.present = DMM_P_HNP | DMM_P_LOCATION;
	m.n_hnp = 1;
	m.hnp[0] = *hnp;
	m.location = *locator;
	if (phl->len) { /* routing locator: the sender's MR translates to it */
		m.present |= DMM_P_PHL;
		m.n_phl = 1;
		m.phl[0] = *phl;
	}
	m.lifetime = life > UINT16_MAX ? UINT16_MAX : life;
	dmm_count(n, DMM_C_REDIRECT);
	dmm_emit(n, DMM_EV_REDIRECT_SENT, now, NULL, hnp, to, 0);
	dmm_request_cancel_cookie(n, DMM_ROLE_MR, cookie);
	mr_request(n, to, &m, cookie, now);
}

struct redirect_match {
	const struct dmm_prefix *hnp;
	unsigned n_hnp;
	const struct in6_addr *locator;
};

static bool redirect_matches(const struct dmm_msg *m, uint64_t cookie, void *ctx)
{
	const struct redirect_match *r = ctx;

	if ((enum mr_ck)(cookie >> 56) != MR_CK_REDIRECT || m->type != DMM_MSG_REDIRECT ||
	    m->n_hnp == 0 || !mr_addr_eq(&m->location, r->locator))
		return false;
	for (unsigned i = 0; i < r->n_hnp; i++)
		if (dmm_prefix_eq(&m->hnp[0], &r->hnp[i]))
			return true;
	return false;
}

void mr_redirect_cancel(struct dmm_node *n, const struct dmm_prefix *hnp, unsigned n_hnp,
			const struct in6_addr *locator)
{
	struct redirect_match r = { .hnp = hnp, .n_hnp = n_hnp, .locator = locator };

	dmm_request_cancel_match(n, DMM_ROLE_MR, redirect_matches, &r);
}

/* The MN of hnp is attached here (again): it has prefixes here, or a
 * handover context of ours has it back (still resolving). */
static bool mn_back_here(struct dmm_node *n, const struct dmm_prefix *hnp)
{
	struct mr_ho *ho;

	if (mr_mn_by_addr(n, &hnp->addr))
		return true;
	ho = mr_ho_by_addr(n, &hnp->addr);
	return ho && mr_mn_by_mnid(n, &ho->mnid);
}

/* A handover context of ours forwards hnp to locator. */
static bool ho_forwards(struct dmm_node *n, const struct dmm_prefix *hnp,
			const struct in6_addr *locator)
{
	const struct mr_ho *ho = mr_ho_by_addr(n, &hnp->addr);

	return ho && ho->state == DMM_HO_FORWARDING && mr_addr_eq(&ho->nmr, locator);
}

void mr_sender_redirect(struct dmm_node *n, const struct dmm_prefix *hnp,
			const struct in6_addr *locator, const struct dmm_prefix *phl,
			const struct in6_addr *src, dmm_time_t now)
{
	struct mr_job *j;
	uint64_t id;

	if (n->cfg.ro_mode == DMM_RO_NONE)
		return;
	j = dmm_tbl_alloc(&n->mr->jobs, &id);
	if (!j) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: redirect jobs full");
		return;
	}
	*j = (struct mr_job){ .id = id, .hnp = *hnp, .locator = *locator, .src = *src,
			      .for_ho = ho_forwards(n, hnp, locator) };
	if (phl)
		j->phl = *phl;
	if (mr_query(n, src, 0, mr_cookie(MR_CK_SENDER, 0, id), now) < 0 &&
	    (j = dmm_tbl_get(&n->mr->jobs, id)) != NULL)
		dmm_tbl_free(&n->mr->jobs, j);
}

void mr_sender_reply(struct dmm_node *n, uint64_t id, const struct dmm_msg *rep,
		     dmm_time_t now)
{
	struct mr_job j = { .id = 0 }, *pj = dmm_tbl_get(&n->mr->jobs, id);
	struct dmm_prefix s;

	if (pj) {
		j = *pj;
		dmm_tbl_free(&n->mr->jobs, pj);
	}
	if (!j.id || !rep)
		return;
	s = (struct dmm_prefix){ .addr = j.src, .len = 128 };
	dmm_emit(n, DMM_EV_QUERY_ANSWERED, now, NULL, &s, mr_local_lm(n), 0);
	if (rep->status != DMM_ST_OK || !(rep->present & DMM_P_LOCATION))
		return; /* not a mobile or fixed prefix: nobody to redirect */
	if (mr_is_self(n, &rep->location) || mr_addr_eq(&rep->location, &j.locator))
		return; /* we route it ourselves, or it sits where the MN is */
	/* The MN came back while the sender was looked up: pointing the
	 * sender's MR elsewhere would now send its packets away from it. */
	if (!mr_is_self(n, &j.locator) && mn_back_here(n, &j.hnp))
		return;
	/* Nor once the context that asked has ended or forwards elsewhere:
	 * the MN may have left its nMR since. */
	if (j.for_ho && !ho_forwards(n, &j.hnp, &j.locator))
		return;
	redirect_send(n, &rep->location, &j.hnp, &j.locator, &j.phl, now);
}

/* A tunnel endpoint must be a global unicast address: even an
 * authenticated peer must not point our routes at ::, loopback, multicast,
 * link-local or IPv4-mapped addresses. */
static bool locator_ok(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
	       !IN6_IS_ADDR_V4MAPPED(a);
}

/* A REDIRECT never overrides our own state for a prefix: the MN is here,
 * we hold its context, we anchor it, or the locator is us. */
static bool redirect_ours(struct dmm_node *n, const struct dmm_prefix *q,
			  const struct in6_addr *loc)
{
	return mr_is_self(n, loc) || mr_mn_by_addr(n, &q->addr) || mr_ho_by_addr(n, &q->addr) ||
	       mr_anchor_by_addr(n, &q->addr);
}

static uint32_t cache_free_slots(const struct dmm_node *n)
{
	return n->mr->cache.max - n->mr->cache.live;
}

/* Every prefix of a REDIRECT is checked before any is applied, so that a
 * refused REDIRECT changes nothing: q[] gets the masked prefixes, skip[]
 * those that are ours. DMM_ST_OK or the status of the refusal. */
static uint8_t redirect_check(struct dmm_node *n, const struct dmm_msg *m,
			      struct dmm_prefix *q, bool *skip, dmm_time_t now)
{
	struct dmm_prefix any = { .len = 0 };
	uint32_t need = 0;

	if (!(m->present & DMM_P_LOCATION) || m->n_hnp == 0 || m->n_hnp > DMM_MAX_HNP)
		return DMM_ST_UNSPEC;
	if (!locator_ok(&m->location))
		return DMM_ST_PROHIBITED;
	for (unsigned i = 0; i < m->n_hnp; i++) {
		bool dup = false;
		q[i] = m->hnp[i];
		dmm_prefix_mask(&q[i]);
		if (dmm_config_net_of(&n->cfg, &q[i].addr) < 0)
			return DMM_ST_PROHIBITED;
		if (!dmm_config_plen_ok(&n->cfg, &q[i])) {
			dmm_drop(n, DMM_C_DROP_PREFIX_LEN, now, "mr: redirect of a /%u prefix, not "
				 "at its network's prefix-length", q[i].len);
			return DMM_ST_PROHIBITED;
		}
		skip[i] = redirect_ours(n, &q[i], &m->location);
		for (unsigned j = 0; j < i; j++)
			dup |= dmm_prefix_eq(&q[j], &q[i]);
		if (!skip[i] && !dup && m->lifetime && !cache_find(n, &q[i], &any))
			need++;
	}
	if (need > cache_free_slots(n)) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: location cache full");
		return DMM_ST_NO_RESOURCES;
	}
	return DMM_ST_OK;
}

/* Apply one checked prefix. Held packets are not flushed here: every
 * prefix is routed before any held packet moves; *flush gets the prefix. */
static void redirect_apply(struct dmm_node *n, const struct dmm_prefix *q,
			   const struct in6_addr *loc, const struct dmm_prefix *phl, uint32_t lifetime,
			   struct dmm_prefix *flush, bool *flushing, dmm_time_t now)
{
	struct dmm_prefix any = { .len = 0 };
	struct mr_cache *e = cache_find(n, q, &any);
	bool fresh = false;

	*flushing = false;
	if (lifetime == 0) {
		if (e)
			cache_remove(n, e, "redirect withdrawn", now);
		return;
	}
	if (!e) {
		if (!(e = cache_alloc(n, false, now)))
			return; /* cannot happen: redirect_check counted the room */
		cache_set_prefix(n, e, q, now);
		fresh = true;
	}
	e->expires = cache_expiry(n, lifetime, now);
	if (!fresh && !e->departed && e->state == DMM_CACHE_TUNNEL &&
	    mr_addr_eq(&e->locator, loc) && (dmm_prefix_eq(&e->phl, phl) || phl->len == 0))
		return; /* a duplicate (or one that knows less: a pMR that
			 * forwarded before it heard the locator): refreshed */
	e->locator = *loc;
	e->phl = *phl;
	cache_set_state(n, e, DMM_CACHE_TUNNEL, fresh, "redirect");
	cache_install(n, e);
	if (e->holding) {
		*flush = e->hold;
		*flushing = true;
		e->holding = false;
	}
}

/* Peer input from any domain member (docs/PROCEDURES.md, Security: no
 * cheap check tells which MR may redirect us). All prefixes or none. */
void mr_redirect(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
		 dmm_time_t now)
{
	struct dmm_prefix q[DMM_MAX_HNP], flush[DMM_MAX_HNP];
	bool skip[DMM_MAX_HNP], flushing[DMM_MAX_HNP] = { false };
	struct dmm_msg rep;

	mr_msg_init(&rep, DMM_MSG_REDIRECT_ACK);
	rep.lifetime = m->lifetime;
	if (m->n_hnp) {
		rep.present = DMM_P_HNP;
		rep.n_hnp = m->n_hnp;
		memcpy(rep.hnp, m->hnp, sizeof(rep.hnp));
		dmm_emit(n, DMM_EV_REDIRECT_RECEIVED, now, NULL, &m->hnp[0], src, 0);
	}
	rep.status = redirect_check(n, m, q, skip, now);
	for (unsigned i = 0; rep.status == DMM_ST_OK && i < m->n_hnp; i++)
		if (!skip[i]) {
			struct dmm_prefix phl = dmm_msg_phl_of(m, &q[i]);
			redirect_apply(n, &q[i], &m->location, &phl, m->lifetime, &flush[i],
				       &flushing[i], now);
		}
	for (unsigned i = 0; rep.status == DMM_ST_OK && i < m->n_hnp; i++)
		if (flushing[i])
			mr_hold(n, DMM_DP_HOLD_FLUSH, &flush[i], now);
	dmm_reply(n, src, m, &rep, now);
}

/* LM_NOTIFY: a binding we asked about moved. */
static void notify_one(struct dmm_node *n, const struct dmm_prefix *hnp, const struct dmm_msg *m,
		       dmm_time_t now)
{
	const uint32_t *sl;
	uint32_t k = cache_match(n, &hnp->addr, hnp->len, hnp->len, &sl);

	for (uint32_t i = 0; i < k; i++) {
		struct mr_cache *e;
		if (!dmm_tbl_live(&n->mr->cache, sl[i]))
			continue;
		e = cache_slot(n, sl[i]);
		if (e->state == DMM_CACHE_QUERYING || !dmm_prefix_eq(&e->prefix, hnp))
			continue;
		if (mr_is_self(n, &m->location)) {
			cache_remove(n, e, "mn moved here", now);
			continue;
		}
		if (e->departed) { /* the next packet asks the LM afresh */
			cache_remove(n, e, "lm notify", now);
			continue;
		}
		bool at_home = !e->anchor && e->src.len == 0 && (m->present & DMM_P_HOME) &&
			       mr_addr_eq(&m->location, &m->home);
		enum dmm_cache_state st = at_home ? DMM_CACHE_PASS : DMM_CACHE_TUNNEL;
		struct dmm_prefix phl = dmm_msg_phl_of(m, hnp);
		e->expires = cache_expiry(n, 0, now);
		if (st == e->state && mr_addr_eq(&e->locator, &m->location) &&
		    dmm_prefix_eq(&e->phl, &phl))
			continue;
		e->locator = m->location;
		e->phl = phl;
		cache_set_state(n, e, st, false, "lm notify");
		cache_install(n, e);
	}
}

void mr_notify(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
	       dmm_time_t now)
{
	struct dmm_msg rep;

	/* Only an LM may repoint our caches: from anyone else, no ack. */
	if (!mr_is_lm(n, src)) {
		dmm_drop(n, DMM_C_DROP_PEER, now, "mr: lm-notify from a node that is no lm");
		return;
	}
	mr_msg_init(&rep, DMM_MSG_LM_NOTIFY_ACK);
	if (m->n_hnp) {
		rep.present = DMM_P_HNP;
		rep.n_hnp = m->n_hnp;
		memcpy(rep.hnp, m->hnp, sizeof(rep.hnp));
		dmm_emit(n, DMM_EV_NOTIFY_RECEIVED, now, NULL, &m->hnp[0], src, 0);
	}
	for (unsigned i = 0; (m->present & DMM_P_LOCATION) && i < m->n_hnp; i++)
		notify_one(n, &m->hnp[i], m, now);
	dmm_reply(n, src, m, &rep, now);
}

/* ---- timers and view ---- */

void mr_cache_timer(struct dmm_node *n, dmm_time_t now)
{
	const uint32_t *due;
	uint32_t k = dmm_tbl_due(&n->mr->anchors, MR_HEAP_DEADLINE, now, &due);

	for (uint32_t i = 0; i < k; i++) {
		struct mr_anchor *a;
		if (!dmm_tbl_live(&n->mr->anchors, due[i]))
			continue;
		a = dmm_tbl_at(&n->mr->anchors, due[i]);
		if (a->expires <= now)
			anchor_timer(n, a, now);
	}
	k = dmm_tbl_due(&n->mr->cache, MR_HEAP_DEADLINE, now, &due);
	for (uint32_t i = 0; i < k; i++) {
		struct mr_cache *e;
		if (!dmm_tbl_live(&n->mr->cache, due[i]))
			continue;
		e = cache_slot(n, due[i]);
		if (e->expires <= now) { /* QUERYING: see cache_found */
			dmm_count(n, DMM_C_CACHE_EXPIRED);
			cache_remove(n, e, "expired", now);
		}
	}
}

void dmm_mr_foreach_cache(const struct dmm_node *n,
			  void (*cb)(void *ctx, const struct dmm_cache_view *v), void *ctx)
{
	for (uint32_t i = 0; n->mr && i < n->mr->cache.hi; i++) {
		const struct mr_cache *e = dmm_tbl_peek(&n->mr->cache, i);
		struct dmm_cache_view v = { .prefix = e->prefix, .src = e->src,
					    .state = e->departed ? DMM_CACHE_DEPARTED : e->state,
					    .locator = e->locator, .phl = e->phl,
					    .expires = e->expires };
		if (dmm_tbl_live(&n->mr->cache, i))
			cb(ctx, &v);
	}
}
