/* dmm core: the MR location cache and route optimization (P3, P4, P6;
 * draft §4.3 figures 3 and 4).
 *
 * Query mode: a miss for a domain address queries the local LM (packets
 * held), then tunnels the prefix to the MR serving it. Redirect mode: the
 * anchor MR of a prefix whose MN is elsewhere tunnels each new sender's
 * packets to that MR and redirects the sender's MR. LM_NOTIFY and REDIRECT
 * update entries at once. Entries expire; the next packet misses again. */
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

static struct mr_cache *cache_by_id(struct dmm_node *n, uint32_t id)
{
	for (uint32_t i = 0; id && i < n->mr->hi_cache; i++)
		if (n->mr->cache[i].id == id)
			return &n->mr->cache[i];
	return NULL;
}

static struct mr_cache *cache_find(struct dmm_node *n, const struct dmm_prefix *p,
				   const struct dmm_prefix *src)
{
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (e->id && dmm_prefix_eq(&e->prefix, p) && dmm_prefix_eq(&e->src, src))
			return e;
	}
	return NULL;
}

/* Any entry for exactly p in state st (whatever its source). */
static struct mr_cache *cache_in_state(struct dmm_node *n, const struct dmm_prefix *p,
				       enum dmm_cache_state st)
{
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (e->id && e->state == st && dmm_prefix_eq(&e->prefix, p))
			return e;
	}
	return NULL;
}

static bool cache_departed(struct dmm_node *n, const struct dmm_prefix *p)
{
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (e->id && e->departed && dmm_prefix_eq(&e->prefix, p))
			return true;
	}
	return false;
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
	struct mr_cache *v = NULL;

	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		int r = evict_rank(e), rv = v ? evict_rank(v) : 0;
		if (r > rv || (r && r == rv && e->touched < v->touched))
			v = e;
	}
	if (!v)
		return NULL;
	dmm_count(n, DMM_C_CACHE_EVICTED);
	cache_remove(n, v, "evicted", now);
	return v;
}

/* A free entry; with evict, the least recently used one when full. */
static struct mr_cache *cache_alloc(struct dmm_node *n, bool evict, dmm_time_t now)
{
	struct mr_cache *e = NULL;

	for (uint32_t i = 0; !e && i < n->mr->max_cache; i++)
		if (n->mr->cache[i].id == 0) {
			e = &n->mr->cache[i];
			mr_hi(&n->mr->hi_cache, i);
		}
	if (!e && evict)
		e = cache_evict(n, now);
	if (!e) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: location cache full");
		return NULL;
	}
	e->id = mr_new_id(n->mr);
	e->touched = now;
	return e;
}

static struct mr_anchor *anchor_by_prefix(struct dmm_node *n, const struct dmm_prefix *p)
{
	for (uint32_t i = 0; i < n->mr->hi_anchors; i++)
		if (n->mr->anchors[i].id && dmm_prefix_eq(&n->mr->anchors[i].p, p))
			return &n->mr->anchors[i];
	return NULL;
}

struct mr_anchor *mr_anchor_by_addr(struct dmm_node *n, const struct in6_addr *a)
{
	for (uint32_t i = 0; i < n->mr->hi_anchors; i++)
		if (n->mr->anchors[i].id && dmm_prefix_contains(&n->mr->anchors[i].p, a))
			return &n->mr->anchors[i];
	return NULL;
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

	memset(e, 0, sizeof(*e));
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

	for (uint32_t i = 0; !a && i < n->mr->max_anchors; i++)
		if (n->mr->anchors[i].id == 0) {
			a = &n->mr->anchors[i];
			*a = (struct mr_anchor){ .id = mr_new_id(n->mr), .p = *p };
			mr_hi(&n->mr->hi_anchors, i);
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
	memset(a, 0, sizeof(*a));
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
	dmm_log(n, DMM_LOG_DEBUG, "mr: anchor %s: gone (%s)",
		dmm_prefix_str(&c.p, b, sizeof(b)), why);
	if (c.mnid.len)
		mr_release_lease(n, &c.mnid, &c.p, 0, now);
}

static struct mr_anchor *anchor_by_id(struct dmm_node *n, uint32_t id)
{
	for (uint32_t i = 0; id && i < n->mr->hi_anchors; i++)
		if (n->mr->anchors[i].id == id)
			return &n->mr->anchors[i];
	return NULL;
}

/* The LM's word on an expired anchor: the MN is elsewhere (keep it), or
 * nowhere (release), or no word (ask again later). */
void mr_anchor_reply(struct dmm_node *n, uint32_t id, const struct dmm_msg *rep,
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
	uint32_t id = a->id;

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
	unsigned k = 0;

	if (a)
		anchor_remove(n, a);
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (!e->id || !(dmm_prefix_contains(&e->prefix, &p->addr) ||
				dmm_prefix_contains(p, &e->prefix.addr)))
			continue;
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
	uint32_t id = e->id;

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
	e->prefix = p;
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
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		e = &n->mr->cache[i];
		if (e->id && e->src.len == 0 &&
		    (dmm_prefix_contains(&e->prefix, dst) ||
		     (e->holding && dmm_prefix_contains(&e->hold, dst)))) {
			e->touched = now;
			return 0; /* query in flight (packet held), routed, or departed */
		}
	}
	e = cache_alloc(n, true, now);
	if (!e)
		return DMM_E_FULL;
	e->prefix = mr_prefix_of(dst, MR_DST_PLEN);
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
static void cache_widen(struct dmm_node *n, struct mr_cache *e, const struct dmm_prefix *hnp)
{
	struct dmm_prefix q = *hnp;
	struct dmm_prefix any = { .len = 0 };

	dmm_prefix_mask(&q);
	if (e->anchor || q.len > e->prefix.len || !dmm_prefix_contains(&q, &e->prefix.addr) ||
	    cache_find(n, &q, &any))
		return;
	e->prefix = q;
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
	cache_widen(n, e, &rep->hnp[0]);
	cache_set_departed(n, e, now);
	mr_hold(n, DMM_DP_HOLD_DROP, &hold, now);
}

static void cache_found(struct dmm_node *n, struct mr_cache *e, const struct dmm_msg *rep,
			dmm_time_t now)
{
	const struct in6_addr *loc = &rep->location;
	bool at_home = !e->anchor && (rep->present & DMM_P_HOME) && mr_addr_eq(loc, &rep->home);
	struct mr_mn *mn = (rep->present & DMM_P_MNID) ? mr_mn_by_mnid(n, &rep->mnid) : NULL;
	struct mr_cache c;

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
	cache_widen(n, e, &rep->hnp[0]);
	e->locator = *loc;
	e->phl = dmm_msg_phl_of(rep, &e->prefix);
	e->expires = cache_expiry(n, rep->lifetime, now);
	cache_set_state(n, e, at_home ? DMM_CACHE_PASS : DMM_CACHE_TUNNEL, false,
			"query answered");
	cache_install(n, e);
	c = *e;
	e->holding = false;
	/* Only the copy from here: a flush may re-enter dmm_mr_miss(). */
	if (c.anchor && c.src.len)
		mr_sender_redirect(n, &c.prefix, &c.locator, &c.phl, &c.sender, now);
	if (c.holding)
		mr_hold(n, DMM_DP_HOLD_FLUSH, &c.hold, now);
}

void mr_cache_reply(struct dmm_node *n, uint32_t id, const struct dmm_msg *rep,
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

static void redirect_send(struct dmm_node *n, const struct in6_addr *to,
			  const struct dmm_prefix *hnp, const struct in6_addr *locator,
			  const struct dmm_prefix *phl, dmm_time_t now)
{
	uint32_t life = n->cfg.timers.cache_lifetime_s;
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
	mr_request(n, to, &m, mr_cookie(MR_CK_REDIRECT, 0, 0), now);
}

void mr_sender_redirect(struct dmm_node *n, const struct dmm_prefix *hnp,
			const struct in6_addr *locator, const struct dmm_prefix *phl,
			const struct in6_addr *src, dmm_time_t now)
{
	struct mr_job *j = NULL;

	if (n->cfg.ro_mode == DMM_RO_NONE)
		return;
	for (uint32_t i = 0; !j && i < n->mr->max_jobs; i++)
		if (n->mr->jobs[i].id == 0) {
			j = &n->mr->jobs[i];
			mr_hi(&n->mr->hi_jobs, i);
		}
	if (!j) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: redirect jobs full");
		return;
	}
	*j = (struct mr_job){ .id = mr_new_id(n->mr), .hnp = *hnp, .locator = *locator,
			      .src = *src };
	if (phl)
		j->phl = *phl;
	if (mr_query(n, src, 0, mr_cookie(MR_CK_SENDER, 0, j->id), now) < 0)
		memset(j, 0, sizeof(*j));
}

void mr_sender_reply(struct dmm_node *n, uint32_t id, const struct dmm_msg *rep,
		     dmm_time_t now)
{
	struct mr_job j = { .id = 0 };
	struct dmm_prefix s;

	for (uint32_t i = 0; id && i < n->mr->hi_jobs; i++)
		if (n->mr->jobs[i].id == id) {
			j = n->mr->jobs[i];
			memset(&n->mr->jobs[i], 0, sizeof(j));
		}
	if (!j.id || !rep)
		return;
	s = (struct dmm_prefix){ .addr = j.src, .len = 128 };
	dmm_emit(n, DMM_EV_QUERY_ANSWERED, now, NULL, &s, mr_local_lm(n), 0);
	if (rep->status != DMM_ST_OK || !(rep->present & DMM_P_LOCATION))
		return; /* not a mobile or fixed prefix: nobody to redirect */
	if (mr_is_self(n, &rep->location) || mr_addr_eq(&rep->location, &j.locator))
		return; /* we route it ourselves, or it sits where the MN is */
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
	uint32_t used = 0;

	for (uint32_t i = 0; i < n->mr->hi_cache; i++)
		if (n->mr->cache[i].id)
			used++;
	return n->mr->max_cache - used;
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

/* Apply one checked prefix. Held packets are not flushed here (a flush
 * may re-enter dmm_mr_miss() and take a slot): *flush gets the prefix. */
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
		e->prefix = *q;
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
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (!e->id || e->state == DMM_CACHE_QUERYING || !dmm_prefix_eq(&e->prefix, hnp))
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
	for (uint32_t i = 0; i < n->mr->hi_anchors; i++) {
		struct mr_anchor *a = &n->mr->anchors[i];
		if (a->id && a->expires <= now)
			anchor_timer(n, a, now);
	}
	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		struct mr_cache *e = &n->mr->cache[i];
		if (e->id && e->expires <= now) { /* QUERYING: see cache_found */
			dmm_count(n, DMM_C_CACHE_EXPIRED);
			cache_remove(n, e, "expired", now);
		}
	}
}

dmm_time_t mr_cache_deadline(const struct dmm_node *n)
{
	dmm_time_t d = DMM_TIME_NEVER;

	for (uint32_t i = 0; i < n->mr->hi_cache; i++) {
		const struct mr_cache *e = &n->mr->cache[i];
		if (e->id && e->expires < d)
			d = e->expires;
	}
	for (uint32_t i = 0; i < n->mr->hi_anchors; i++)
		if (n->mr->anchors[i].id && n->mr->anchors[i].expires < d)
			d = n->mr->anchors[i].expires;
	return d;
}

void dmm_mr_foreach_cache(const struct dmm_node *n,
			  void (*cb)(void *ctx, const struct dmm_cache_view *v), void *ctx)
{
	for (uint32_t i = 0; n->mr && i < n->mr->hi_cache; i++) {
		const struct mr_cache *e = &n->mr->cache[i];
		struct dmm_cache_view v = { .prefix = e->prefix, .src = e->src,
					    .state = e->departed ? DMM_CACHE_DEPARTED : e->state,
					    .locator = e->locator, .phl = e->phl,
					    .expires = e->expires };
		if (e->id)
			cb(ctx, &v);
	}
}
