/* dmm core: the Home Address Allocation role (PROCEDURES.md, HAA).
 *
 * Leases are keyed by (MN id, pool) and indexed twice: by prefix (state
 * retrieval, refresh, release, collision checks) and by MN id (an MN that
 * asks again gets its lease again). The pool's i-th prefix is the i-th
 * /plen inside its range; a stateful pool hands out the lowest free index,
 * a stateless one starts at a hash of the MN id and probes upwards. The
 * leases live in a core/table.c table whose heap orders them by expiry:
 * the timer takes only the expired ones. */
#include <stdlib.h>
#include <string.h>

#include "node_priv.h"
#include "roles.h"
#include "table.h"

enum lease_state {
	LEASE_FREE,
	LEASE_ACTIVE,
};

struct haa_lease {
	enum lease_state state;
	struct dmm_mnid mnid;
	struct dmm_prefix prefix;
	unsigned pool;
	uint64_t index;     /* position of prefix in its pool */
	struct in6_addr holder; /* the MR that allocated, retrieved or last renewed it:
				 * the only one that may release it */
	dmm_time_t expires;
};

struct haa_pool {
	uint64_t count; /* prefixes in the pool */
	uint64_t used;
	uint64_t hint;  /* stateful: no free index below this one */
};

struct dmm_haa {
	struct dmm_tbl leases;   /* heap 0: expiry */
	struct dmm_hmap by_pfx;  /* dmm_pidx_hash(prefix) -> lease */
	struct dmm_hmap by_mnid; /* dmm_mnid_key -> lease (one per pool) */
	struct haa_pool pools[DMM_MAX_POOLS];
	dmm_time_t pool_full_quiet; /* rate limit of the pool-full warning */
};

static uint64_t
lease_key(const void *e, unsigned h)
{
	(void)h;
	return ((const struct haa_lease *)e)->expires;
}

#define HAA_LOG_QUIET_MS 1000 /* peer-driven warnings: at most one a second */

static const char *const lease_state_names[] = {
	[LEASE_FREE] = "free",
	[LEASE_ACTIVE] = "active",
};

/* ---- pool arithmetic ---- */

static uint64_t
pool_count(const struct dmm_pool *p)
{
	unsigned bits;

	if (p->plen < p->range.len || p->plen > 128)
		return 0;
	bits = p->plen - p->range.len;
	return bits >= 32 ? UINT64_C(1) << 32 : UINT64_C(1) << bits;
}

/* The idx-th /plen prefix inside the pool's range. */
static struct dmm_prefix
pool_nth(const struct dmm_pool *p, uint64_t idx)
{
	struct dmm_prefix r = p->range;
	unsigned bits = p->plen - p->range.len;

	dmm_prefix_mask(&r);
	r.len = p->plen;
	for (unsigned b = 0; b < bits && b < 64; b++) {
		unsigned pos = p->plen - 1 - b;
		if ((idx >> b) & 1)
			r.addr.s6_addr[pos / 8] |= (uint8_t)(0x80u >> (pos % 8));
	}
	return r;
}

/* The index of p in the pool, or false if p is not one of its prefixes. */
static bool
pool_index(const struct dmm_pool *p, const struct dmm_prefix *x, uint64_t *out)
{
	unsigned bits = p->plen - p->range.len;
	uint64_t idx = 0;

	if (x->len != p->plen || p->plen < p->range.len || bits > 32 ||
	    !dmm_prefix_contains(&p->range, &x->addr))
		return false;
	for (unsigned b = 0; b < bits; b++) {
		unsigned pos = p->plen - 1 - b;
		if (x->addr.s6_addr[pos / 8] & (0x80u >> (pos % 8)))
			idx |= UINT64_C(1) << b;
	}
	*out = idx;
	return true;
}

/* ---- the lease table ---- */

/* p is masked (leases' prefixes are). */
static struct haa_lease *
lease_by_prefix(struct dmm_haa *h, const struct dmm_prefix *p)
{
	uint32_t it = 0, s;

	while (dmm_hmap_next(&h->by_pfx, dmm_pidx_hash(p), &it, &s)) {
		struct haa_lease *l = dmm_tbl_at(&h->leases, s);
		if (dmm_prefix_eq(&l->prefix, p))
			return l;
	}
	return NULL;
}

static struct haa_lease *
lease_by_mnid(struct dmm_haa *h, const struct dmm_mnid *id, unsigned pool)
{
	uint32_t it = 0, s;

	while (dmm_hmap_next(&h->by_mnid, dmm_mnid_key(id), &it, &s)) {
		struct haa_lease *l = dmm_tbl_at(&h->leases, s);
		if (l->pool == pool && dmm_mnid_eq(&l->mnid, id))
			return l;
	}
	return NULL;
}

static void
lease_log(struct dmm_node *n, const struct haa_lease *l, enum lease_state from,
	  enum lease_state to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], m[DMM_MNID_STRLEN];

	dmm_log(n, DMM_LOG_DEBUG, "haa: lease %s mn %s: %s -> %s (%s)",
		dmm_prefix_str(&l->prefix, p, sizeof(p)), dmm_mnid_str(&l->mnid, m, sizeof(m)),
		lease_state_names[from], lease_state_names[to], why);
}

/* Durable state: a lease as it is now, or its removal. */
static void
lease_persist(struct dmm_node *n, const struct haa_lease *l, bool del)
{
	struct dmm_record r = { .kind = DMM_REC_LEASE, .del = del, .prefix = l->prefix };

	if (n->io.persist == NULL)
		return;
	if (!del) {
		r.mnid = l->mnid;
		r.peer = l->holder;
		r.expires = l->expires;
	}
	n->io.persist(n->io.ctx, &r);
}

static void
lease_free(struct dmm_node *n, struct haa_lease *l, const char *why)
{
	struct dmm_haa *h = n->haa;
	uint32_t slot = dmm_tbl_slot(&h->leases, l);
	struct haa_pool *pool = &h->pools[l->pool];

	lease_log(n, l, l->state, LEASE_FREE, why);
	lease_persist(n, l, true);
	dmm_hmap_del(&h->by_pfx, dmm_pidx_hash(&l->prefix), slot);
	dmm_hmap_del(&h->by_mnid, dmm_mnid_key(&l->mnid), slot);
	pool->used--;
	if (l->index < pool->hint)
		pool->hint = l->index;
	dmm_tbl_free(&h->leases, l);
}

static void
lease_renew(struct dmm_node *n, struct haa_lease *l, dmm_time_t now)
{
	l->expires = now + (dmm_time_t)n->cfg.timers.lease_lifetime_s * 1000;
}

/* NULL when the table is full or an index cannot grow. */
static struct haa_lease *
lease_insert(struct dmm_node *n, const struct dmm_mnid *id, unsigned pool, uint64_t idx,
	     dmm_time_t now)
{
	struct dmm_haa *h = n->haa;
	struct haa_lease *l = dmm_tbl_alloc(&h->leases, NULL);
	uint32_t slot;

	if (l == NULL)
		return NULL;
	slot = dmm_tbl_slot(&h->leases, l);
	*l = (struct haa_lease){
		.state = LEASE_ACTIVE,
		.mnid = *id,
		.prefix = pool_nth(&n->cfg.pools[pool], idx),
		.pool = pool,
		.index = idx,
	};
	if (dmm_hmap_add(&h->by_pfx, dmm_pidx_hash(&l->prefix), slot) < 0) {
		dmm_tbl_free(&h->leases, l);
		return NULL;
	}
	if (dmm_hmap_add(&h->by_mnid, dmm_mnid_key(id), slot) < 0) {
		dmm_hmap_del(&h->by_pfx, dmm_pidx_hash(&l->prefix), slot);
		dmm_tbl_free(&h->leases, l);
		return NULL;
	}
	h->pools[pool].used++;
	lease_renew(n, l, now);
	return l;
}

static struct haa_lease *
lease_new(struct dmm_node *n, const struct dmm_mnid *id, unsigned pool, uint64_t idx,
	  dmm_time_t now)
{
	struct haa_lease *l = lease_insert(n, id, pool, idx, now);

	if (l == NULL) {
		dmm_drop(n, DMM_C_NOMEM, now, "haa: lease index cannot grow");
		return NULL;
	}
	lease_log(n, l, LEASE_FREE, LEASE_ACTIVE, "allocated");
	dmm_count(n, DMM_C_HOA_ALLOC);
	return l;
}

/* ---- allocation ---- */

static bool
index_free(struct dmm_node *n, unsigned pool, uint64_t idx)
{
	struct dmm_prefix p = pool_nth(&n->cfg.pools[pool], idx);

	return lease_by_prefix(n->haa, &p) == NULL;
}

/* A free index of the pool, or false when it is full. At most used + 1
 * indexes are tried: only that many can be taken. */
static bool
pool_pick(struct dmm_node *n, unsigned pool, const struct dmm_mnid *id, uint64_t *out)
{
	struct haa_pool *ps = &n->haa->pools[pool];
	uint64_t start, idx;

	if (ps->used >= ps->count)
		return false;
	if (n->cfg.pools[pool].mode == DMM_POOL_STATELESS)
		start = dmm_hash_mnid(id) % ps->count;
	else
		start = ps->hint;
	for (uint64_t k = 0; k <= ps->used && k < ps->count; k++) {
		idx = (start + k) % ps->count;
		if (index_free(n, pool, idx)) {
			if (n->cfg.pools[pool].mode == DMM_POOL_STATEFUL && idx >= ps->hint)
				ps->hint = idx + 1;
			*out = idx;
			return true;
		}
	}
	return false;
}

/* A pool serves the MR it anchors at, asking itself: the request's
 * location option names nobody the HAA could check. */
static bool
pool_serves(const struct dmm_pool *p, const struct in6_addr *src, const struct dmm_msg *m)
{
	(void)m;
	return memcmp(&p->mr, src, sizeof(*src)) == 0;
}

/* Existing lease of the MN in a pool of that MR, else a new one. Returns a
 * DMM_ST_* status and the lease through out. */
static uint8_t
haa_allocate_lease(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
		   struct haa_lease **out, dmm_time_t now);

static uint8_t
haa_allocate(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
	     struct haa_lease **out, dmm_time_t now)
{
	uint8_t st = haa_allocate_lease(n, src, m, out, now);

	if (st == DMM_ST_OK && *out)
		(*out)->holder = *src;
	return st;
}

static uint8_t
haa_allocate_lease(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
		   struct haa_lease **out, dmm_time_t now)
{
	struct dmm_haa *h = n->haa;
	bool served = false;
	uint64_t idx;

	for (unsigned i = 0; i < n->cfg.n_pools; i++) {
		if (!pool_serves(&n->cfg.pools[i], src, m))
			continue;
		served = true;
		if ((*out = lease_by_mnid(h, &m->mnid, i)) != NULL) {
			lease_renew(n, *out, now);
			lease_log(n, *out, LEASE_ACTIVE, LEASE_ACTIVE, "asked again");
			return DMM_ST_OK;
		}
	}
	if (!served) {
		dmm_drop(n, DMM_C_DROP_PEER, now, "haa: allocation asked by an MR no pool "
			 "anchors at");
		return DMM_ST_PROHIBITED;
	}
	if (h->leases.live >= h->leases.max) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "haa: lease table full (%u)", h->leases.max);
		return DMM_ST_NO_RESOURCES;
	}
	for (unsigned i = 0; i < n->cfg.n_pools; i++)
		if (pool_serves(&n->cfg.pools[i], src, m) && pool_pick(n, i, &m->mnid, &idx)) {
			*out = lease_new(n, &m->mnid, i, idx, now);
			return *out ? DMM_ST_OK : DMM_ST_NO_RESOURCES;
		}
	/* Every MR of the pool can ask again and again: rate-limited. */
	if (now >= h->pool_full_quiet) {
		h->pool_full_quiet = now + HAA_LOG_QUIET_MS;
		dmm_log(n, DMM_LOG_WARN, "haa: every pool of that MR is full");
	}
	return DMM_ST_NO_RESOURCES;
}

/* HOA_REQ with a prefix: retrieval by an nMR, refresh, or release. Only
 * the lease's holder (the MR that last got or renewed it: the MN's
 * serving MR) may release it: a pMR or anchor whose MN moved on cannot. */
static uint8_t
haa_retrieve(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
	     struct haa_lease **out, dmm_time_t now)
{
	struct dmm_prefix p = m->hnp[0];
	struct haa_lease *l;

	dmm_prefix_mask(&p);
	l = lease_by_prefix(n->haa, &p);
	if (l == NULL || !dmm_mnid_eq(&l->mnid, &m->mnid))
		return DMM_ST_NOT_FOUND;
	if (m->lifetime == 0 && memcmp(&l->holder, src, sizeof(*src)) != 0) {
		dmm_drop(n, DMM_C_DROP_PEER, now, "haa: release of a lease another MR holds");
		return DMM_ST_PROHIBITED;
	}
	if (m->lifetime == 0) {
		dmm_emit(n, DMM_EV_HOA_RELEASED, now, &l->mnid, &l->prefix, NULL, 0);
		dmm_count(n, DMM_C_HOA_RELEASE);
		lease_free(n, l, "released");
		*out = NULL;
		return DMM_ST_OK;
	}
	lease_renew(n, l, now);
	l->holder = *src;
	lease_log(n, l, LEASE_ACTIVE, LEASE_ACTIVE, "renewed");
	*out = l;
	return DMM_ST_OK;
}

static void
haa_on_request(struct dmm_node *n, const struct in6_addr *src,
	       const struct dmm_msg *m, dmm_time_t now)
{
	struct dmm_msg rep = { .type = DMM_MSG_HOA_REP, .flags = DMM_F_PROXY };
	struct haa_lease *l = NULL;

	if (m->type != DMM_MSG_HOA_REQ || !(m->present & DMM_P_MNID)) {
		dmm_drop(n, DMM_C_DROP_MALFORMED, now, "haa: %s without MN id",
			 dmm_msg_type_name(m->type));
		return;
	}
	if (dmm_lacks_node_key(n, m)) {
		/* with node keys, the holder of a lease is the node that sealed */
		dmm_drop(n, DMM_C_DROP_NODE_KEY, now, "haa: request sealed with the domain key, "
			 "not the sender's node key");
		rep.status = DMM_ST_PROHIBITED;
	} else if ((m->present & DMM_P_HNP) && m->n_hnp > 0)
		rep.status = haa_retrieve(n, src, m, &l, now);
	else
		rep.status = haa_allocate(n, src, m, &l, now);
	rep.mnid = m->mnid;
	rep.present = DMM_P_MNID;
	if (m->present & DMM_P_HNP) { /* echo what was asked about */
		rep.n_hnp = 1;
		rep.hnp[0] = m->hnp[0];
		rep.present |= DMM_P_HNP;
	}
	if (l != NULL) {
		lease_persist(n, l, false); /* before the MR is told */
		rep.n_hnp = 1;
		rep.hnp[0] = l->prefix;
		rep.home = n->cfg.pools[l->pool].mr;
		rep.lifetime = n->cfg.timers.lease_lifetime_s;
		rep.present |= DMM_P_HNP | DMM_P_HOME;
	}
	dmm_reply(n, src, m, &rep, now);
}

void
dmm_haa_on_request(struct dmm_node *n, const struct in6_addr *src,
		   const struct dmm_msg *m, dmm_time_t now)
{
	haa_on_request(n, src, m, now);
	dmm_tbl_flush(&n->haa->leases);
}

/* ---- life cycle, timers, view ---- */

int
dmm_haa_new(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_haa *h = calloc(1, sizeof(*h));
	int rc;

	if (h == NULL)
		return DMM_E_NOMEM;
	dmm_hmap_init(&h->by_pfx);
	dmm_hmap_init(&h->by_mnid);
	n->haa = h;
	rc = dmm_tbl_init(&h->leases, sizeof(struct haa_lease), n->cfg.limits.max_leases, 1,
			  lease_key);
	if (rc < 0) {
		dmm_haa_free(n);
		return rc == DMM_E_CONFIG ? DMM_E_CONFIG : DMM_E_NOMEM;
	}
	for (unsigned i = 0; i < n->cfg.n_pools && i < DMM_MAX_POOLS; i++)
		h->pools[i].count = pool_count(&n->cfg.pools[i]);
	return 0;
}

void
dmm_haa_free(struct dmm_node *n)
{
	struct dmm_haa *h = n->haa;

	if (h == NULL)
		return;
	dmm_tbl_fini(&h->leases);
	dmm_hmap_fini(&h->by_pfx);
	dmm_hmap_fini(&h->by_mnid);
	free(h);
	n->haa = NULL;
}

/* Only the expired leases, in slot order. */
void
dmm_haa_timer(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_haa *h = n->haa;
	const uint32_t *due;
	uint32_t k;

	if (h == NULL)
		return;
	k = dmm_tbl_due(&h->leases, 0, now, &due);
	for (uint32_t i = 0; i < k; i++) {
		struct haa_lease *l;
		if (!dmm_tbl_live(&h->leases, due[i]))
			continue;
		l = dmm_tbl_at(&h->leases, due[i]);
		if (l->expires <= now) {
			dmm_count(n, DMM_C_LEASE_EXPIRED);
			lease_free(n, l, "expired");
		}
	}
	dmm_tbl_flush(&h->leases);
}

dmm_time_t
dmm_haa_deadline(const struct dmm_node *n)
{
	return n->haa ? dmm_tbl_min(&n->haa->leases, 0) : DMM_TIME_NEVER;
}

int
dmm_haa_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now)
{
	struct dmm_haa *h = n->haa;
	struct dmm_prefix p = r->prefix;
	struct haa_lease *l;
	uint64_t idx;

	if (h == NULL)
		return DMM_E_ROLE;
	if (r->del || r->expires <= now)
		return 0;
	dmm_prefix_mask(&p);
	for (unsigned i = 0; i < n->cfg.n_pools; i++) {
		if (!pool_index(&n->cfg.pools[i], &p, &idx) || idx >= h->pools[i].count)
			continue;
		if (lease_by_prefix(h, &p) != NULL || lease_by_mnid(h, &r->mnid, i) != NULL)
			return DMM_E_CONFIG;
		l = lease_insert(n, &r->mnid, i, idx, now);
		if (l == NULL)
			return DMM_E_NOMEM;
		l->holder = r->peer;
		l->expires = r->expires;
		dmm_tbl_flush(&h->leases);
		if (n->cfg.pools[i].mode == DMM_POOL_STATEFUL && idx == h->pools[i].hint)
			h->pools[i].hint = idx + 1;
		lease_log(n, l, LEASE_FREE, LEASE_ACTIVE, "restored");
		return 0;
	}
	return DMM_E_CONFIG;
}

void
dmm_haa_foreach_lease(const struct dmm_node *n,
		      void (*cb)(void *ctx, const struct dmm_lease_view *v), void *ctx)
{
	const struct dmm_haa *h = n->haa;

	for (uint32_t i = 0; h != NULL && i < h->leases.hi; i++) {
		const struct haa_lease *l = dmm_tbl_peek(&h->leases, i);
		struct dmm_lease_view v;
		if (!dmm_tbl_live(&h->leases, i))
			continue;
		v = (struct dmm_lease_view){
			.prefix = l->prefix,
			.mnid = l->mnid,
			.mr = n->cfg.pools[l->pool].mr,
			.expires = l->expires,
		};
		cb(ctx, &v);
	}
}

const struct dmm_role_ops dmm_haa_ops = {
	.role = DMM_ROLE_HAA,
	.records = 1u << DMM_REC_LEASE,
	.create = dmm_haa_new,
	.free = dmm_haa_free,
	.on_request = dmm_haa_on_request,
	.timer = dmm_haa_timer,
	.deadline = dmm_haa_deadline,
	.restore = dmm_haa_restore,
};
