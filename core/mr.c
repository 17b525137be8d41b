/* dmm core: the MR engine — attached MNs (P1, P2: initial attach, move
 * here, new HoA on arrival, refresh), the MR entry points of node.h, and the
 * dispatch of requests, replies and timers to mr_handover.c (pMR contexts)
 * and mr_cache.c (location cache, anchor behaviour, redirects).
 * docs/PROCEDURES.md describes every step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mr_priv.h"

/* ---- small shared helpers ---- */

void mr_flush(struct dmm_node *n)
{
	struct dmm_mr *mr = n->mr;

	dmm_tbl_flush(&mr->mns);
	dmm_tbl_flush(&mr->hos);
	dmm_tbl_flush(&mr->cache);
	dmm_tbl_flush(&mr->anchors);
}

void mr_nomem(struct dmm_node *n, int rc, dmm_time_t now)
{
	if (rc < 0)
		dmm_drop(n, DMM_C_NOMEM, now, "mr: an index cannot grow: %s", dmm_strerror(rc));
}

bool mr_addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return dmm_addr_eq(a, b);
}

bool mr_is_self(const struct dmm_node *n, const struct in6_addr *a)
{
	return mr_addr_eq(a, &n->cfg.self);
}

bool mr_is_lm(const struct dmm_node *n, const struct in6_addr *a)
{
	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++)
		if (dmm_net_has_lm(&n->cfg.nets[i], a))
			return true;
	return false;
}

void mr_peer_log(struct dmm_node *n, enum dmm_log_level lvl, dmm_time_t now,
		 const char *fmt, ...)
{
	struct dmm_mr *mr = n->mr;
	char line[256];
	va_list ap;

	if (now < mr->peer_log_quiet_until) {
		mr->peer_log_missed++;
		return;
	}
	mr->peer_log_quiet_until = now + MR_PEER_LOG_QUIET_MS;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (mr->peer_log_missed)
		dmm_log(n, lvl, "%s (%u similar lines suppressed)", line, mr->peer_log_missed);
	else
		dmm_log(n, lvl, "%s", line);
	mr->peer_log_missed = 0;
}

struct dmm_prefix mr_prefix_of(const struct in6_addr *a, uint8_t len)
{
	struct dmm_prefix p = { .addr = *a, .len = len };

	dmm_prefix_mask(&p);
	return p;
}

void mr_dp(struct dmm_node *n, enum dmm_dp_kind kind, const struct dmm_prefix *p,
	   const struct dmm_prefix *src, const struct in6_addr *locator, uint32_t link)
{
	struct dmm_dp_op op = { .kind = kind, .link = link };

	if (p)
		op.prefix = *p;
	if (src)
		op.src = *src;
	if (locator)
		op.locator = *locator;
	dmm_dp(n, &op);
}

/* HOLD_START / HOLD_FLUSH / HOLD_DROP, with their events. */
void mr_hold(struct dmm_node *n, enum dmm_dp_kind kind, const struct dmm_prefix *p,
	     dmm_time_t now)
{
	mr_dp(n, kind, p, NULL, NULL, 0);
	if (kind == DMM_DP_HOLD_START)
		dmm_emit(n, DMM_EV_HOLD_START, now, NULL, p, NULL, 0);
	else if (kind == DMM_DP_HOLD_FLUSH)
		dmm_emit(n, DMM_EV_HOLD_FLUSH, now, NULL, p, NULL, 0);
}

void mr_msg_init(struct dmm_msg *m, enum dmm_msg_type t)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	if (t == DMM_MSG_HOA_REQ || t == DMM_MSG_LOC_UPDATE)
		m->flags = DMM_F_ACK_REQ | DMM_F_PROXY;
}

int64_t mr_request(struct dmm_node *n, const struct in6_addr *dst, struct dmm_msg *m,
		   uint64_t cookie, dmm_time_t now)
{
	int64_t rc = dmm_request(n, dst, m, DMM_ROLE_MR, cookie, now);

	if (rc < 0) /* also when misses fill the pending table: rate-limited */
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: cannot send %s: %s",
			    dmm_msg_type_name(m->type), dmm_strerror((int)rc));
	return rc;
}

int64_t mr_request_refresh(struct dmm_node *n, const struct in6_addr *dst,
			   struct dmm_msg *m, uint64_t cookie, dmm_time_t now)
{
	int64_t rc = dmm_request_refresh(n, dst, m, DMM_ROLE_MR, cookie, now);

	if (rc < 0 && rc != DMM_E_FULL)
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: cannot send %s: %s",
			    dmm_msg_type_name(m->type), dmm_strerror((int)rc));
	return rc;
}

dmm_time_t mr_refresh_at(struct dmm_node *n, dmm_time_t now, uint32_t s)
{
	uint64_t ms = (uint64_t)s * 1000;

	return now + ms / 100 * MR_REFRESH_PCT -
	       dmm_random(n, (uint32_t)(ms / 100 * MR_JITTER_PCT) + 1);
}

dmm_time_t mr_retry_at(struct dmm_node *n, dmm_time_t expires, dmm_time_t now)
{
	uint64_t d = expires > now ? (expires - now) / 4 : MR_RETRY_MAX_MS;

	if (d < MR_RETRY_MIN_MS)
		d = MR_RETRY_MIN_MS;
	if (d > MR_RETRY_MAX_MS)
		d = MR_RETRY_MAX_MS;
	dmm_count(n, DMM_C_REFRESH_RETRY);
	return now + d / 2 + dmm_random(n, (uint32_t)(d / 2) + 1);
}

uint32_t mr_backoff(uint32_t *ms)
{
	uint64_t d = *ms ? (uint64_t)*ms * 2 : MR_RETRY_MIN_MS;

	*ms = (uint32_t)(d > MR_RETRY_MAX_MS ? MR_RETRY_MAX_MS : d);
	return *ms;
}

_Static_assert(DMM_MAX_NET_PREFIX <= 8, "dmm_mr.fixed_acked has a bit per fixed prefix");

dmm_time_t mr_soon_at(struct dmm_node *n, uint32_t *ms, dmm_time_t now)
{
	uint32_t d = mr_backoff(ms);

	dmm_count(n, DMM_C_REFRESH_RETRY);
	return now + d + dmm_random(n, d / 2 + 1);
}

dmm_time_t mr_defer_at(struct dmm_node *n, dmm_time_t now)
{
	return now + MR_DEFER_MS + dmm_random(n, MR_DEFER_MS);
}

const struct in6_addr *mr_local_lm(const struct dmm_node *n)
{
	return &n->cfg.nets[n->cfg.local_net].lm;
}


/* The local LM for request m: one of the network's LMs, picked by m's MN
 * id (or prefix, or target) among those answering (pick.c). */
const struct in6_addr *mr_lm(struct dmm_node *n, const struct dmm_msg *m, dmm_time_t now)
{
	return dmm_pick(n, n->cfg.local_net, true, m, now);
}

/* The HAA for request m about prefix p (NULL: a new HoA, the local
 * network's): an HAA of the network p belongs to (its lease lives there),
 * picked by the MN id among those answering. */
static const struct in6_addr *mr_haa(struct dmm_node *n, const struct dmm_prefix *p,
				     const struct dmm_msg *m, dmm_time_t now)
{
	int net = p ? dmm_config_net_of(&n->cfg, &p->addr) : -1;

	return dmm_pick(n, net < 0 ? n->cfg.local_net : net, false, m, now);
}

/* The HAA an event names for the MN's prefix p (NULL: a new HoA). */
static const struct in6_addr *mr_haa_of(struct dmm_node *n, const struct dmm_prefix *p,
					const struct dmm_mnid *id, dmm_time_t now)
{
	struct dmm_msg m = { .type = DMM_MSG_HOA_REQ, .present = DMM_P_MNID, .mnid = *id };

	return mr_haa(n, p, &m, now);
}

/* LOC_QUERY {target} to the local LM. */
int64_t mr_query(struct dmm_node *n, const struct in6_addr *target, uint16_t flags,
		 uint64_t cookie, dmm_time_t now)
{
	struct dmm_prefix t = { .addr = *target, .len = 128 };
	struct dmm_msg m;

	mr_msg_init(&m, DMM_MSG_LOC_QUERY);
	m.flags = flags;
	m.present = DMM_P_TARGET;
	m.target = *target;
	dmm_count(n, DMM_C_QUERY);
	dmm_emit(n, DMM_EV_QUERY_SENT, now, NULL, &t, mr_lm(n, &m, now), 0);
	return mr_request(n, mr_lm(n, &m, now), &m, cookie, now);
}

/* ---- the attached-MN table ---- */

static const char *const mn_state_names[] = {
	[DMM_MN_RESOLVING] = "resolving",
	[DMM_MN_ALLOCATING] = "allocating",
	[DMM_MN_RETRIEVING] = "retrieving",
	[DMM_MN_ATTACHED] = "attached",
	[DMM_MN_FAILED] = "failed",
};

const char *dmm_mn_state_name(enum dmm_mn_state s)
{
	return (unsigned)s <= DMM_MN_FAILED ? mn_state_names[s] : "?";
}

/* The only place an MN changes state. */
static void mn_set_state(struct dmm_node *n, struct mr_mn *mn, enum dmm_mn_state s,
			 const char *why, dmm_time_t now)
{
	char id[DMM_MNID_STRLEN];

	if (dmm_log_on(n, DMM_LOG_DEBUG)) /* its arguments are formatted first */
		dmm_log(n, DMM_LOG_DEBUG, "mr: mn %s link %u: %s -> %s (%s)",
			dmm_mnid_str(&mn->mnid, id, sizeof(id)), mn->link,
			dmm_mn_state_name(mn->state), dmm_mn_state_name(s), why);
	mn->state = s;
	mn->since = now;
	if (s == DMM_MN_ATTACHED)
		mn->retry_ms = 0;
	mn->retry_at = DMM_TIME_NEVER;
}

/* Signalling gave up (a timeout, or no room to send): FAILED, and start
 * over later while the MN stays on its link. */
static void mn_failed_retry(struct dmm_node *n, struct mr_mn *mn, const char *why,
			    dmm_time_t now)
{
	mn_set_state(n, mn, DMM_MN_FAILED, why, now);
	mn->retry_at = now + mr_backoff(&mn->retry_ms);
}

static struct mr_mn *mn_by_id(struct dmm_node *n, uint64_t id)
{
	return dmm_tbl_get(&n->mr->mns, id);
}

static struct mr_mn *mn_by_link(struct dmm_node *n, uint32_t link)
{
	uint32_t it = 0, s;

	while (dmm_hmap_next(&n->mr->mn_link, link, &it, &s)) {
		struct mr_mn *mn = dmm_tbl_at(&n->mr->mns, s);
		if (mn->link == link)
			return mn;
	}
	return NULL;
}

struct mr_mn *mr_mn_by_mnid(struct dmm_node *n, const struct dmm_mnid *id)
{
	uint32_t it = 0, s;

	while (dmm_hmap_next(&n->mr->mn_id, dmm_mnid_key(id), &it, &s)) {
		struct mr_mn *mn = dmm_tbl_at(&n->mr->mns, s);
		if (dmm_mnid_eq(&mn->mnid, id))
			return mn;
	}
	return NULL;
}

/* The MN one of whose prefixes of a length in [minl, maxl] contains a
 * (exactly is: p, when minl = maxl = p's length); the longest match. */
static struct mr_mn *mn_match(struct dmm_node *n, const struct in6_addr *a, uint8_t minl,
			      uint8_t maxl)
{
	struct dmm_pidx_it it;
	uint32_t s;
	uint8_t len;

	dmm_pidx_match(&n->mr->mn_pfx, &it, a, minl, maxl);
	while (dmm_pidx_next(&n->mr->mn_pfx, &it, &s, &len)) {
		struct mr_mn *mn = dmm_tbl_at(&n->mr->mns, s);
		for (unsigned j = 0; j < mn->n_hnp; j++)
			if (mn->hnp[j].p.len == len && dmm_prefix_contains(&mn->hnp[j].p, a))
				return mn;
	}
	return NULL;
}

/* The MN whose (locally routed) prefixes contain a. */
struct mr_mn *mr_mn_by_addr(struct dmm_node *n, const struct in6_addr *a)
{
	return mn_match(n, a, 0, 128);
}

struct mr_mn *mr_mn_by_prefix(struct dmm_node *n, const struct dmm_prefix *p)
{
	return mn_match(n, &p->addr, p->len, p->len);
}

static uint64_t mn_key(const void *e, unsigned h);

/* A new MN of id on link, in both indexes; NULL when the table is full. */
static struct mr_mn *mn_alloc(struct dmm_node *n, const struct dmm_mnid *id, uint32_t link,
			      dmm_time_t now)
{
	struct dmm_mr *mr = n->mr;
	uint64_t tid;
	struct mr_mn *mn = dmm_tbl_alloc(&mr->mns, &tid);
	uint32_t s;
	int rc;

	if (!mn)
		return NULL;
	*mn = (struct mr_mn){ .id = tid, .mnid = *id, .link = link, .since = now };
	s = dmm_tbl_slot(&mr->mns, mn);
	if ((rc = dmm_hmap_add(&mr->mn_link, link, s)) < 0 ||
	    (rc = dmm_hmap_add(&mr->mn_id, dmm_mnid_key(id), s)) < 0) {
		dmm_hmap_del(&mr->mn_link, link, s);
		dmm_tbl_free(&mr->mns, mn);
		mr_nomem(n, rc, now);
		return NULL;
	}
	return mn;
}

int mr_ctx_hold(struct dmm_node *n, struct mr_mn *mn, const struct in6_addr *src,
		const struct dmm_msg *m)
{
	uint64_t id;
	struct mr_ctx_hold *h = mn->ctx_held ? dmm_tbl_get(&n->mr->holds, mn->ctx_hold) :
					       dmm_tbl_alloc(&n->mr->holds, &id);

	if (!h)
		return DMM_E_NOMEM;
	if (!mn->ctx_held)
		h->id = mn->ctx_hold = id;
	h->src = *src;
	h->req = *m;
	mn->ctx_held = true;
	return 0;
}

bool mr_ctx_take(struct dmm_node *n, struct mr_mn *mn, struct in6_addr *src,
		 struct dmm_msg *m)
{
	struct mr_ctx_hold *h;

	if (!mn->ctx_held)
		return false;
	mn->ctx_held = false;
	h = dmm_tbl_get(&n->mr->holds, mn->ctx_hold);
	mn->ctx_hold = 0;
	if (!h)
		return false;
	*src = h->src;
	*m = h->req;
	dmm_tbl_free(&n->mr->holds, h);
	return true;
}

/* The MN leaves the table and its indexes (a request still held for it
 * goes unanswered). */
static void mn_free(struct dmm_node *n, struct mr_mn *mn)
{
	struct dmm_mr *mr = n->mr;
	uint32_t s = dmm_tbl_slot(&mr->mns, mn);
	struct mr_ctx_hold *h;

	if (mn->ctx_held && (h = dmm_tbl_get(&mr->holds, mn->ctx_hold)) != NULL)
		dmm_tbl_free(&mr->holds, h);

	dmm_hmap_del(&mr->mn_link, mn->link, s);
	dmm_hmap_del(&mr->mn_id, dmm_mnid_key(&mn->mnid), s);
	for (unsigned i = 0; i < mn->n_hnp; i++)
		dmm_pidx_del(&mr->mn_pfx, &mn->hnp[i].p, s);
	dmm_tbl_free(&mr->mns, mn);
}

/* ---- prefixes of an MN: mn->hnp[] holds exactly the LOCAL routes we
 * installed, so adding and removing one is also the route operation ---- */

static int mn_add_prefix(struct dmm_node *n, struct mr_mn *mn, const struct dmm_prefix *p,
			 const struct in6_addr *home, uint32_t lease_s, dmm_time_t now)
{
	struct dmm_prefix q = *p, held[MR_CLAIM_HELD];
	struct mr_hnp *h;
	unsigned n_held;

	dmm_prefix_mask(&q);
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (dmm_prefix_eq(&mn->hnp[i].p, &q)) {
			mn->hnp[i].home = *home;
			mn->hnp[i].lease_s = lease_s;
			return (int)i;
		}
	if (mn->n_hnp >= DMM_MAX_HNP)
		return -1;
	/* Our cache, anchor or handover routes for the prefix must go first:
	 * LOCAL is now the route (a source-specific tunnel would beat it). */
	n_held = mr_cache_claim(n, &q, held, MR_CLAIM_HELD, now);
	mr_nomem(n, dmm_pidx_add(&n->mr->mn_pfx, &q, dmm_tbl_slot(&n->mr->mns, mn)), now);
	h = &mn->hnp[mn->n_hnp++];
	*h = (struct mr_hnp){
		.p = q,
		.home = *home,
		.lease_s = lease_s,
		.bind_refresh = DMM_TIME_NEVER,
		.lease_refresh = DMM_TIME_NEVER,
		.bind_expires = now + (dmm_time_t)n->cfg.timers.binding_lifetime_s * 1000,
		.lease_expires = now + (dmm_time_t)lease_s * 1000,
		.release_at = DMM_TIME_NEVER,
	};
	h->phl = mr_phl_assign(n, &q);
	mr_dp_locator(n, true, &h->phl, &q);
	mr_dp(n, DMM_DP_LOCAL_ADD, &q, NULL, NULL, mn->link);
	for (unsigned i = 0; i < n_held; i++) /* now they take the LOCAL route */
		mr_hold(n, DMM_DP_HOLD_FLUSH, &held[i], now);
	return (int)(mn->n_hnp - 1);
}

static void mn_del_prefix(struct dmm_node *n, struct mr_mn *mn, unsigned i)
{
	struct mr_hnp h = mn->hnp[i];

	mr_dp(n, DMM_DP_LOCAL_DEL, &mn->hnp[i].p, NULL, NULL, mn->link);
	dmm_pidx_del(&n->mr->mn_pfx, &mn->hnp[i].p, dmm_tbl_slot(&n->mr->mns, mn));
	memmove(&mn->hnp[i], &mn->hnp[i + 1], (mn->n_hnp - i - 1) * sizeof(mn->hnp[0]));
	mn->n_hnp--;
	mr_phl_release(n, &h.phl, &h.p);
}

static void mn_del_all(struct dmm_node *n, struct mr_mn *mn)
{
	while (mn->n_hnp > 0)
		mn_del_prefix(n, mn, mn->n_hnp - 1);
}

static void mn_advertise(struct dmm_node *n, const struct mr_mn *mn, dmm_time_t now)
{
	struct dmm_dp_op op = { .kind = DMM_DP_ADVERTISE, .link = mn->link };

	for (unsigned i = 0; i < mn->n_hnp; i++) {
		const struct mr_hnp *h = &mn->hnp[i];
		struct dmm_adv *a = &op.adv[op.n_adv++];
		a->prefix = h->p;
		a->valid_s = h->lease_s;
		a->preferred_s = h->lease_s;
		if (h->deprecated) {
			dmm_time_t left = h->release_at > now ? h->release_at - now : 0;
			a->valid_s = (uint32_t)((left + 999) / 1000);
			a->preferred_s = 0;
		}
	}
	dmm_dp(n, &op);
}

/* Tell the MN a prefix is gone (valid lifetime 0). */
static void advertise_withdrawn(struct dmm_node *n, uint32_t link, const struct dmm_prefix *p)
{
	struct dmm_dp_op op = { .kind = DMM_DP_ADVERTISE, .link = link, .n_adv = 1 };

	op.adv[0].prefix = *p;
	dmm_dp(n, &op);
}

/* A handover context of ours for this MN or its prefixes is obsolete now
 * that the MN is served here again. */
static void mn_release_contexts(struct dmm_node *n, const struct mr_mn *mn, dmm_time_t now)
{
	struct mr_ho *ho;

	while ((ho = mr_ho_by_mnid(n, &mn->mnid)) != NULL)
		mr_ho_release(n, ho, now);
	for (unsigned i = 0; i < mn->n_hnp; i++)
		while ((ho = mr_ho_by_addr(n, &mn->hnp[i].p.addr)) != NULL)
			mr_ho_release(n, ho, now);
}

/* ---- requests of the attach flow ---- */

/* When to send the LOC_UPDATE of h again after it went unanswered (or
 * could not be sent). A binding the LM has acknowledged runs on: again
 * within what is left of it (mr_retry_at). Until the LM acknowledges one
 * since the MN came here, it sends the MN's traffic to an MR the MN left:
 * soon, backing off from MR_RETRY_MIN_MS, doubling, with a jitter of up to
 * half. (Once at the refresh pace: an MN back from an MR two networks away
 * was bound there for up to a minute when each of its update's five tries
 * was lost.) */
static dmm_time_t mn_loc_retry_at(struct dmm_node *n, struct mr_hnp *h, dmm_time_t now)
{
	return h->acked ? mr_retry_at(n, h->bind_expires, now) : mr_soon_at(n, &h->retry_ms, now);
}

static void mn_loc_update(struct dmm_node *n, struct mr_mn *mn, unsigned i,
			  uint8_t handoff, uint32_t lifetime, dmm_time_t now)
{
	struct mr_hnp *h = &mn->hnp[i];
	uint64_t cookie = mr_cookie(lifetime ? MR_CK_LOCUPD : MR_CK_RELEASE, i, mn->id);
	struct dmm_msg m;
	int64_t rc;

	mr_msg_init(&m, DMM_MSG_LOC_UPDATE);
	m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME | DMM_P_HANDOFF;
	m.mnid = mn->mnid;
	m.n_hnp = 1;
	m.hnp[0] = h->p;
	m.location = n->cfg.self;
	m.home = h->home;
	m.handoff = handoff;
	m.lifetime = lifetime;
	if (h->phl.len && lifetime) { /* the LM keeps it beside our address */
		m.present |= DMM_P_PHL;
		m.n_phl = 1;
		m.phl[0] = h->phl;
	}
	if (h->ver && lifetime) { /* refused if the binding moved on since */
		m.present |= DMM_P_VER;
		m.n_ver = 1;
		m.ver[0] = h->ver;
	}
	if (handoff != DMM_HI_NOT_CHANGED && lifetime) { /* the LM has another MR */
		h->acked = false;
		h->retry_ms = 0;
	}
	h->bind_refresh = mr_refresh_at(n, now, n->cfg.timers.binding_lifetime_s);
	if (handoff == DMM_HI_NOT_CHANGED)
		rc = mr_request_refresh(n, mr_lm(n, &m, now), &m, cookie, now);
	else
		rc = mr_request(n, mr_lm(n, &m, now), &m, cookie, now);
	if (rc < 0 && lifetime)
		h->bind_refresh = rc == DMM_E_FULL ? mr_defer_at(n, now) :
				  mn_loc_retry_at(n, h, now);
}

/* HOA_REQ about the MN's prefix i (-1: a new one, from the HAA of network
 * net, -1: the local network). */
static int64_t mn_hoa_req_at(struct dmm_node *n, struct mr_mn *mn, int i, enum mr_ck kind,
			     uint8_t handoff, uint32_t lifetime, int net, dmm_time_t now)
{
	uint64_t cookie = mr_cookie(kind, i < 0 ? 0 : (unsigned)i, mn->id);
	const struct in6_addr *haa;
	struct dmm_msg m;
	int64_t rc;

	mr_msg_init(&m, DMM_MSG_HOA_REQ);
	m.present = DMM_P_MNID | DMM_P_HANDOFF;
	m.mnid = mn->mnid;
	m.handoff = handoff;
	m.lifetime = lifetime;
	if (i >= 0) {
		m.present |= DMM_P_HNP;
		m.n_hnp = 1;
		m.hnp[0] = mn->hnp[i].p;
	}
	if (i < 0 && net >= 0)
		haa = dmm_pick(n, net, false, &m, now);
	else
		haa = mr_haa(n, i >= 0 ? &mn->hnp[i].p : NULL, &m, now);
	if (kind == MR_CK_LEASE)
		return mr_request_refresh(n, haa, &m, cookie, now);
	rc = mr_request(n, haa, &m, cookie, now);
	if (rc < 0 && kind != MR_CK_RELEASE)
		mn_failed_retry(n, mn, "cannot send hoa-req", now);
	return rc;
}

static int64_t mn_hoa_req(struct dmm_node *n, struct mr_mn *mn, int i, enum mr_ck kind,
			  uint8_t handoff, uint32_t lifetime, dmm_time_t now)
{
	return mn_hoa_req_at(n, mn, i, kind, handoff, lifetime, -1, now);
}

/* LOC_QUERY BY_MNID of the MN (kind: MR_CK_RESOLVE on arrival,
 * MR_CK_LATE again after a timeout); < 0 if it could not be sent. */
static int64_t mn_query(struct dmm_node *n, struct mr_mn *mn, enum mr_ck kind, dmm_time_t now)
{
	struct dmm_msg m;

	mr_msg_init(&m, DMM_MSG_LOC_QUERY);
	/* HANDOVER: if the MN is bound to another MR, the LM holding the
	 * binding asks that MR for the context on our behalf at once, so its
	 * flush does not wait for our answer and our own CTX_REQ. Only in
	 * query mode: the flushed packets may arrive before the answer tells
	 * us the MN's prefix, and only the miss routes of query mode hold
	 * them here until its LOCAL route is in (mr_cache_claim); without
	 * them regular routing would send them back towards the anchor. */
	m.flags = DMM_F_BY_MNID;
	if (n->cfg.ro_mode == DMM_RO_QUERY)
		m.flags |= DMM_F_HANDOVER;
	m.present = DMM_P_MNID;
	m.mnid = mn->mnid;
	dmm_count(n, DMM_C_QUERY);
	dmm_emit(n, DMM_EV_QUERY_SENT, now, &mn->mnid, NULL, mr_lm(n, &m, now), mn->link);
	return mr_request(n, mr_lm(n, &m, now), &m, mr_cookie(kind, 0, mn->id), now);
}

static void mn_resolve(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	mn_set_state(n, mn, DMM_MN_RESOLVING, "mn seen", now);
	mn->resolve_late = false;
	if (mn_query(n, mn, MR_CK_RESOLVE, now) < 0)
		mn_failed_retry(n, mn, "cannot send loc-query", now);
}

/* Initial attach: ask the local HAA for a new HoA. */
/* The authorization policy's options for the MN (none: false). */
static bool mn_options(struct dmm_node *n, const struct mr_mn *mn, struct dmm_mn_options *o)
{
	*o = (struct dmm_mn_options){ .home_net = -1 };
	if (n->io.mn_options == NULL || !n->io.mn_options(n->io.ctx, &mn->mnid, o))
		return false;
	if (o->home_net >= (int)n->cfg.n_nets)
		o->home_net = -1;
	return true;
}

/* p is the MN's fixed prefix (the policy's): no HAA holds a lease for it. */
static bool mn_fixed_prefix(struct dmm_node *n, const struct mr_mn *mn,
			    const struct dmm_prefix *p)
{
	struct dmm_mn_options o;

	return mn_options(n, mn, &o) && o.has_prefix && dmm_prefix_eq(&o.prefix, p);
}

static void mn_install_fixed(struct dmm_node *n, struct mr_mn *mn, const struct dmm_prefix *p,
			     dmm_time_t now);

/* An MN served as new binds its prefix at the LM at once
 * (lm_update_on_attach), unless the LM did not answer its query: then
 * once it has (mn_bind_held). The LM answers a query by MN id from a
 * binding of its own and asks no other LM, so a binding of the new prefix
 * there would hide those the MN has in other networks; until then the
 * prefix is routed to its anchor, here, where the MN is. */
static bool mn_binds_at_attach(const struct dmm_node *n, const struct mr_mn *mn)
{
	return n->cfg.lm_update_on_attach && !mn->resolve_late;
}

/* Initial attach: a new HoA from the local HAA, or from the HAA of the
 * MN's home network, or its fixed prefix (authorization policy). */
static void mn_allocate(struct dmm_node *n, struct mr_mn *mn, const char *why, dmm_time_t now)
{
	struct dmm_mn_options o;
	bool opt = mn_options(n, mn, &o);

	mn_set_state(n, mn, DMM_MN_ALLOCATING, why, now);
	if (opt && o.has_prefix) {
		mn_install_fixed(n, mn, &o.prefix, now);
		return;
	}
	mn_hoa_req_at(n, mn, -1, MR_CK_ALLOC, DMM_HI_NEW_IFACE, n->cfg.timers.lease_lifetime_s,
		      opt ? o.home_net : -1, now);
}

static bool mn_anchored_here(const struct dmm_node *n, const struct mr_mn *mn)
{
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (mr_is_self(n, &mn->hnp[i].home))
			return true;
	return false;
}

/* ---- replies of the attach flow ---- */

static void mn_allocated(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			 dmm_time_t now)
{
	const struct in6_addr *home = &n->cfg.self;
	uint32_t lease = n->cfg.timers.lease_lifetime_s;
	unsigned first = mn->n_hnp;

	if (mn->state != DMM_MN_ALLOCATING)
		return;
	if (!rep || rep->status != DMM_ST_OK || !(rep->present & DMM_P_HNP)) {
		if (rep)
			mn_set_state(n, mn, DMM_MN_FAILED, "haa refused", now);
		else
			mn_failed_retry(n, mn, "haa timeout", now);
		return;
	}
	if (rep->present & DMM_P_HOME)
		home = &rep->home;
	if (rep->lifetime)
		lease = rep->lifetime;
	for (unsigned i = 0; i < rep->n_hnp; i++) {
		int k = mn_add_prefix(n, mn, &rep->hnp[i], home, lease, now);
		if (k < 0)
			continue;
		mn->hnp[k].lease_refresh = mr_refresh_at(n, now, lease);
		mn->hnp[k].bound = mn_binds_at_attach(n, mn);
		dmm_emit(n, DMM_EV_HOA_ASSIGNED, now, &mn->mnid, &mn->hnp[k].p,
			 mr_haa_of(n, &mn->hnp[k].p, &mn->mnid, now), mn->link);
	}
	mn_set_state(n, mn, DMM_MN_ATTACHED, "hoa assigned", now);
	mn_advertise(n, mn, now);
	if (!mn->resolve_late) /* else once the LM has answered: a return */
		mn_release_contexts(n, mn, now);
	for (unsigned i = first; mn_binds_at_attach(n, mn) && i < mn->n_hnp; i++)
		mn_loc_update(n, mn, i, DMM_HI_NEW_IFACE, n->cfg.timers.binding_lifetime_s, now);
}

/* The MN's fixed prefix (authorization policy): installed here, anchored
 * here, bound at the LM; no HAA lease to take or refresh. */
static void mn_install_fixed(struct dmm_node *n, struct mr_mn *mn, const struct dmm_prefix *p,
			     dmm_time_t now)
{
	unsigned first = mn->n_hnp;
	int k = mn_add_prefix(n, mn, p, &n->cfg.self, n->cfg.timers.lease_lifetime_s, now);

	if (k < 0) {
		mn_set_state(n, mn, DMM_MN_FAILED, "no room for the fixed prefix", now);
		return;
	}
	mn->hnp[k].bound = mn_binds_at_attach(n, mn);
	dmm_emit(n, DMM_EV_HOA_ASSIGNED, now, &mn->mnid, &mn->hnp[k].p, NULL, mn->link);
	mn_set_state(n, mn, DMM_MN_ATTACHED, "fixed prefix", now);
	mn_advertise(n, mn, now);
	if (!mn->resolve_late)
		mn_release_contexts(n, mn, now);
	for (unsigned i = first; mn_binds_at_attach(n, mn) && i < mn->n_hnp; i++)
		mn_loc_update(n, mn, i, DMM_HI_NEW_IFACE, n->cfg.timers.binding_lifetime_s, now);
}

/* The anchor (home) of the i-th prefix of an LM's answer about an MN. The
 * answer has one HOME, the first prefix's (its first binding's); another
 * prefix's is its pool's MR where the pool is ours to know, else unknown
 * (::) until its HAA tells (HOA_REP names the pool's MR). Taking the first
 * one's for all made an MN back at the MR of its newer prefix hold an
 * older one with this MR as home: its refresh then told the LM so, and
 * the real anchor cached the prefix as "pass" (at home) for itself. */
static struct in6_addr mn_home_of(const struct dmm_node *n, const struct dmm_msg *rep,
				  unsigned i)
{
	if (i == 0)
		return (rep->present & DMM_P_HOME) ? rep->home : n->cfg.self;
	for (unsigned j = 0; j < n->cfg.n_pools; j++)
		if (dmm_prefix_contains(&n->cfg.pools[j].range, &rep->hnp[i].addr))
			return n->cfg.pools[j].mr;
	return in6addr_any;
}

/* The LM's version of the binding of an answer's i-th prefix, 0 if none. */
static uint16_t mn_ver_of(const struct dmm_msg *rep, unsigned i)
{
	return (rep->present & DMM_P_VER) && i < rep->n_ver ? rep->ver[i] : 0;
}

/* Link flap: the LM still has us as the MN's location. */
static void mn_came_back(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			 dmm_time_t now)
{
	struct mr_ho *ho = mr_ho_by_mnid(n, &mn->mnid);

	for (unsigned i = 0; i < rep->n_hnp; i++) {
		struct in6_addr home = mn_home_of(n, rep, i);
		int k = mn_add_prefix(n, mn, &rep->hnp[i], &home, n->cfg.timers.lease_lifetime_s,
				      now);
		if (k < 0)
			continue;
		struct mr_hnp *h = &mn->hnp[k];
		h->bound = true;
		/* unknown timers: refresh on the next run; the binding only
		 * once the lease's answer has told the home, if unknown */
		h->bind_refresh = IN6_IS_ADDR_UNSPECIFIED(&home) ? DMM_TIME_NEVER : now;
		h->lease_refresh = now;
		for (unsigned j = 0; ho && j < ho->n_hnp; j++)
			if (dmm_prefix_eq(&ho->hnp[j].p, &h->p)) {
				*h = ho->hnp[j]; /* we had it: keep its timers */
				/* but tell the LM again: the answer's location is
				 * its first binding's, and under loss another
				 * prefix's binding may have gone to the MR the MN
				 * just left (its update there landed, this one's
				 * did not) */
				if (h->bound)
					h->bind_refresh = now;
			}
		h->ver = mn_ver_of(rep, i); /* the answer's is the newest */
		h->stale_tries = 0;
		h->acked = false; /* told again, see above */
		h->retry_ms = 0;
	}
	mn_set_state(n, mn, DMM_MN_ATTACHED, "came back", now);
	mn_advertise(n, mn, now);
	mn_release_contexts(n, mn, now);
}

static void mn_new_hoa(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	mn_hoa_req(n, mn, -1, MR_CK_NEWHOA, DMM_HI_NEW_IFACE, n->cfg.timers.lease_lifetime_s,
		   now);
}

/* Context transfer to pmr for the prefixes from index first on. */
static void mn_ctx_req(struct dmm_node *n, struct mr_mn *mn, const struct in6_addr *pmr,
		       unsigned first, dmm_time_t now)
{
	struct dmm_msg m;

	mr_msg_init(&m, DMM_MSG_CTX_REQ);
	m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION;
	m.mnid = mn->mnid;
	for (unsigned i = first; i < mn->n_hnp; i++) {
		if (mn->hnp[i].phl.len) { /* the pMR flushes by translation to it */
			m.present |= DMM_P_PHL;
			m.n_phl = (uint8_t)(m.n_hnp + 1);
		}
		m.phl[m.n_hnp] = mn->hnp[i].phl;
		m.hnp[m.n_hnp++] = mn->hnp[i].p;
	}
	m.location = n->cfg.self;
	if (m.n_hnp && mr_request(n, pmr, &m, mr_cookie(MR_CK_CTX, 0, mn->id), now) > 0)
		dmm_emit(n, DMM_EV_CTX_SENT, now, &mn->mnid, &m.hnp[0], pmr, mn->link);
}

static void mn_bind_moved(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now);

static bool mn_any_pending(const struct mr_mn *mn)
{
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (mn->hnp[i].pending)
			return true;
	return false;
}

/* This MR is the nMR: data path first, then context transfer, HoA state
 * retrieval from the home HAA (none for a fixed prefix), and the LM update
 * once the lease is ours. */
static void mn_moved_here(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			  dmm_time_t now)
{
	unsigned first = mn->n_hnp;

	dmm_count(n, DMM_C_HANDOVER);
	for (unsigned i = 0; i < rep->n_hnp; i++) {
		struct in6_addr home = (rep->present & DMM_P_HOME) ? mn_home_of(n, rep, i) :
				       in6addr_any;
		int k = mn_add_prefix(n, mn, &rep->hnp[i], &home, n->cfg.timers.lease_lifetime_s,
				      now);
		if (k >= 0) {
			mn->hnp[k].pending = true;
			mn->hnp[k].ver = mn_ver_of(rep, i);
		}
	}
	mn_advertise(n, mn, now);
	mn_release_contexts(n, mn, now);
	mn_ctx_req(n, mn, &rep->location, first, now);
	mn->ctx_pmr = rep->location;
	mn->ctx_wait = true;

	mn_set_state(n, mn, DMM_MN_RETRIEVING, "moved here", now);
	for (unsigned i = first; i < mn->n_hnp && mn->state == DMM_MN_RETRIEVING; i++) {
		if (mn_fixed_prefix(n, mn, &mn->hnp[i].p)) { /* no lease to retrieve */
			mn->hnp[i].pending = false;
			continue;
		}
		mn_hoa_req(n, mn, (int)i, MR_CK_RETRIEVE, DMM_HI_SAME_IFACE,
			   n->cfg.timers.lease_lifetime_s, now);
	}
	if (mn->state == DMM_MN_RETRIEVING && !mn_any_pending(mn)) {
		mn_set_state(n, mn, DMM_MN_ATTACHED, "fixed prefix moved here", now);
		mn_bind_moved(n, mn, now);
	}
	if (n->cfg.new_hoa_on_arrival && !mn_anchored_here(n, mn) &&
	    mn->state == DMM_MN_RETRIEVING)
		mn_new_hoa(n, mn, now);
}

static void mn_resolved(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			dmm_time_t now)
{
	if (mn->state != DMM_MN_RESOLVING)
		return;
	if (!rep) { /* served at once; asked again once ATTACHED */
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: lm did not answer, mn treated as new");
		mn->resolve_late = true;
		mn->resolve_ms = 0;
		mn->resolve_at = now + mr_backoff(&mn->resolve_ms);
		mn_allocate(n, mn, "lm timeout", now);
		return;
	}
	dmm_emit(n, DMM_EV_QUERY_ANSWERED, now, &mn->mnid, rep->n_hnp ? &rep->hnp[0] : NULL,
		 mr_local_lm(n), mn->link);
	if (rep->status != DMM_ST_OK || !(rep->present & DMM_P_HNP) ||
	    !(rep->present & DMM_P_LOCATION))
		mn_allocate(n, mn, "unknown to the lm", now);
	else if (mr_is_self(n, &rep->location))
		mn_came_back(n, mn, rep, now);
	else
		mn_moved_here(n, mn, rep, now);
}

/* The prefixes of an answer about the MN that it does not have here, as
 * an answer of their own (each with its home and version); their count. */
static unsigned mn_not_here(const struct dmm_node *n, const struct mr_mn *mn,
			    const struct dmm_msg *rep, struct dmm_msg *out)
{
	*out = *rep;
	out->n_hnp = 0;
	for (unsigned i = 0; i < rep->n_hnp; i++) {
		unsigned j = 0, k;

		while (j < mn->n_hnp && !dmm_prefix_eq(&mn->hnp[j].p, &rep->hnp[i]))
			j++;
		if (j < mn->n_hnp)
			continue;
		k = out->n_hnp++;
		if (k == 0 && i > 0) { /* HOME names the first one's anchor */
			out->home = mn_home_of(n, rep, i);
			out->present |= DMM_P_HOME;
		}
		out->hnp[k] = rep->hnp[i];
		out->phl[k] = i < rep->n_phl ? rep->phl[i] : (struct dmm_prefix){ 0 };
		out->ver[k] = mn_ver_of(rep, i);
	}
	out->n_phl = (rep->present & DMM_P_PHL) ? out->n_hnp : 0;
	out->n_ver = (rep->present & DMM_P_VER) ? out->n_hnp : 0;
	return out->n_hnp;
}

/* The bindings mn_binds_at_attach held back: made now. */
static void mn_bind_held(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	if (mn->state != DMM_MN_ATTACHED || !mn_binds_at_attach(n, mn))
		return;
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (!mn->hnp[i].bound) {
			mn->hnp[i].bound = true;
			mn_loc_update(n, mn, i, DMM_HI_NEW_IFACE, n->cfg.timers.binding_lifetime_s,
				      now);
		}
}

static void mn_release_prefix(struct dmm_node *n, struct mr_mn *mn, unsigned i, dmm_time_t now);

/* Whether an answer names prefix p. */
static bool rep_names(const struct dmm_msg *rep, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < rep->n_hnp; i++)
		if (dmm_prefix_eq(&rep->hnp[i], p))
			return true;
	return false;
}

/* The LM's answer to the query sent again for an MN treated as new (its
 * arrival's query timed out): the prefixes it had elsewhere come here as in
 * a move (context transfer, leases, bindings) or a return. The prefix it
 * was given meanwhile is then released and withdrawn (valid lifetime 0),
 * never bound: kept, it would travel with the MN, and an LM that binds one
 * prefix of an MN answers a query by MN id with that alone (SECURITY.md,
 * "prefixes of two local networks"), so the MN would lose the others at a
 * later move. The MN loses only what it opened on it in those seconds. No
 * answer: again, backing off; given up once the backoff reaches its cap,
 * and the held binding made. */
static void mn_late_resolved(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			     dmm_time_t now)
{
	struct dmm_msg r;

	if (!mn->resolve_late)
		return;
	if (!rep && mn->resolve_ms < MR_RETRY_MAX_MS) {
		mn->resolve_at = now + mr_backoff(&mn->resolve_ms);
		return;
	}
	mn->resolve_late = false;
	if (rep)
		dmm_emit(n, DMM_EV_QUERY_ANSWERED, now, &mn->mnid,
			 rep->n_hnp ? &rep->hnp[0] : NULL, mr_local_lm(n), mn->link);
	if (!rep || mn->state != DMM_MN_ATTACHED || rep->status != DMM_ST_OK ||
	    !(rep->present & DMM_P_HNP) || !(rep->present & DMM_P_LOCATION) ||
	    !mn_not_here(n, mn, rep, &r)) {
		mn_bind_held(n, mn, now); /* given up, new indeed, or nothing it lacks */
		if (mn->state == DMM_MN_ATTACHED)
			mn_release_contexts(n, mn, now); /* kept for a return */
		return;
	}
	mr_peer_log(n, DMM_LOG_INFO, now, "mr: the lm answered late, the mn's prefixes from "
		    "elsewhere taken over, the one given meanwhile released");
	for (unsigned i = 0; i < mn->n_hnp;) {
		struct dmm_prefix p = mn->hnp[i].p;

		if (rep_names(rep, &p)) {
			i++;
			continue;
		}
		mn_release_prefix(n, mn, i, now);
		advertise_withdrawn(n, mn->link, &p);
	}
	mn_bind_held(n, mn, now); /* one the answer names that it had here */
	if (mr_is_self(n, &r.location))
		mn_came_back(n, mn, &r, now);
	else
		mn_moved_here(n, mn, &r, now);
}

/* The prefix (index in the cookie) a reply is about: the one it names, if
 * it names one we have, else the index. */
static struct mr_hnp *mn_hnp_of(struct mr_mn *mn, unsigned idx, const struct dmm_msg *rep)
{
	if (rep && (rep->present & DMM_P_HNP))
		for (unsigned i = 0; i < mn->n_hnp; i++)
			if (dmm_prefix_eq(&mn->hnp[i].p, &rep->hnp[0]))
				return &mn->hnp[i];
	return idx < mn->n_hnp ? &mn->hnp[idx] : NULL;
}

/* The home HAA has no lease for a prefix the LM gave us: withdraw it. */
static void mn_withdraw(struct dmm_node *n, struct mr_mn *mn, struct mr_hnp *h, dmm_time_t now)
{
	char buf[DMM_PREFIX_STRLEN];
	struct dmm_prefix p = h->p;

	mr_peer_log(n, DMM_LOG_WARN, now, "mr: no lease for %s, prefix withdrawn",
		    dmm_prefix_str(&p, buf, sizeof(buf)));
	mn_del_prefix(n, mn, (unsigned)(h - mn->hnp));
	advertise_withdrawn(n, mn->link, &p);
}

/* The LM update of an MN that moved here: its prefixes now point here. */
static void mn_bind_moved(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		if (mn->hnp[i].bound)
			continue; /* a new local HoA, updated on its own */
		mn->hnp[i].bound = true;
		mn_loc_update(n, mn, i, DMM_HI_SAME_IFACE, n->cfg.timers.binding_lifetime_s, now);
	}
}

static void mn_retrieved(struct dmm_node *n, struct mr_mn *mn, unsigned idx,
			 const struct dmm_msg *rep, dmm_time_t now)
{
	struct mr_hnp *h = mn_hnp_of(mn, idx, rep);

	if (mn->state != DMM_MN_RETRIEVING || !h || !h->pending)
		return;
	if (!rep) {
		mn_failed_retry(n, mn, "home haa timeout", now);
		return;
	}
	if (rep->status == DMM_ST_NOT_FOUND) {
		mn_withdraw(n, mn, h, now);
	} else if (rep->status != DMM_ST_OK) {
		mn_set_state(n, mn, DMM_MN_FAILED, "home haa refused", now);
		return;
	} else {
		h->pending = false;
		if (rep->lifetime)
			h->lease_s = rep->lifetime;
		if (rep->present & DMM_P_HOME)
			h->home = rep->home;
		h->lease_refresh = mr_refresh_at(n, now, h->lease_s);
		h->lease_expires = now + (dmm_time_t)h->lease_s * 1000;
		dmm_emit(n, DMM_EV_HOA_ASSIGNED, now, &mn->mnid, &h->p,
			 mr_haa_of(n, &h->p, &mn->mnid, now), mn->link);
	}
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (mn->hnp[i].pending)
			return;
	if (mn->n_hnp == 0) {
		mn_allocate(n, mn, "lease gone, mn treated as new", now);
		return;
	}
	mn_set_state(n, mn, DMM_MN_ATTACHED, "hoa state retrieved", now);
	mn_bind_moved(n, mn, now);
}

/* new_hoa_on_arrival: the local HoA is preferred, the others deprecated. */
static void mn_got_new_hoa(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			   dmm_time_t now)
{
	uint32_t lease = rep && rep->lifetime ? rep->lifetime : n->cfg.timers.lease_lifetime_s;
	const struct in6_addr *home;
	int k;

	if (mn->state != DMM_MN_RETRIEVING && mn->state != DMM_MN_ATTACHED)
		return;
	if (!rep || rep->status != DMM_ST_OK || !(rep->present & DMM_P_HNP)) {
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: no local hoa on arrival (%s)",
			    rep ? "haa refused" : "haa timeout");
		return;
	}
	home = (rep->present & DMM_P_HOME) ? &rep->home : &n->cfg.self;
	k = mn_add_prefix(n, mn, &rep->hnp[0], home, lease, now);
	if (k < 0)
		return;
	mn->hnp[k].lease_refresh = mr_refresh_at(n, now, lease);
	mn->hnp[k].bound = n->cfg.lm_update_on_attach;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		if ((int)i == k || mn->hnp[i].deprecated)
			continue;
		mn->hnp[i].deprecated = true;
		mn->hnp[i].release_at = now + (dmm_time_t)n->cfg.timers.deprecated_keep_s * 1000;
	}
	dmm_emit(n, DMM_EV_HOA_ASSIGNED, now, &mn->mnid, &mn->hnp[k].p,
		 mr_haa_of(n, NULL, &mn->mnid, now), mn->link);
	mn_advertise(n, mn, now);
	if (mn->hnp[k].bound)
		mn_loc_update(n, mn, (unsigned)k, DMM_HI_NEW_IFACE,
			      n->cfg.timers.binding_lifetime_s, now);
}

static void mn_lease_renewed(struct dmm_node *n, struct mr_mn *mn, unsigned idx,
			     const struct dmm_msg *rep, dmm_time_t now)
{
	struct mr_hnp *h = mn_hnp_of(mn, idx, rep);

	if (!h)
		return;
	if (!rep) { /* timeout: again within what is left of the lease */
		h->lease_refresh = mr_retry_at(n, h->lease_expires, now);
		return;
	}
	if (rep->status == DMM_ST_OK) {
		if (rep->lifetime)
			h->lease_s = rep->lifetime;
		h->lease_refresh = mr_refresh_at(n, now, h->lease_s);
		h->lease_expires = now + (dmm_time_t)h->lease_s * 1000;
		if (rep->present & DMM_P_HOME) { /* the pool's MR: the anchor */
			if (IN6_IS_ADDR_UNSPECIFIED(&h->home) && h->bound)
				h->bind_refresh = now; /* held back until known */
			h->home = rep->home;
		}
		return;
	}
	if (rep->status != DMM_ST_NOT_FOUND)
		return;
	mn_withdraw(n, mn, h, now);
	if (mn->n_hnp == 0)
		mn_allocate(n, mn, "lease lost", now);
}

static void mn_loc_acked(struct dmm_node *n, struct mr_mn *mn, unsigned idx,
			 const struct dmm_msg *rep, const struct in6_addr *src, dmm_time_t now)
{
	struct mr_hnp *h = mn_hnp_of(mn, idx, rep);

	if (!h)
		return;
	if (!rep) { /* again: soon, or within what is left of the binding */
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: lm did not acknowledge a location update");
		h->bind_refresh = mn_loc_retry_at(n, h, now);
		return;
	}
	if (rep->status == DMM_ST_STALE_VERSION && (rep->present & DMM_P_VER) &&
	    mn->state == DMM_MN_ATTACHED && h->bound) {
		/* another MR's update (or an older one of ours) landed after
		 * what we last heard: the MN is here, so we tell the LM again,
		 * naming the version it has now; a few times at once, then
		 * backing off from 1 s (two MRs both believing they serve it) */
		h->ver = rep->ver[0];
		h->acked = false; /* the LM binds another MR */
		if (h->stale_tries <= MR_STALE_TRIES)
			h->stale_tries++;
		h->bind_refresh = h->stale_tries <= MR_STALE_TRIES ? now :
				  mn_loc_retry_at(n, h, now);
		mr_peer_log(n, DMM_LOG_INFO, now, "mr: lm had a newer binding, location update "
			    "sent again");
		return;
	}
	if (rep->status != DMM_ST_OK) {
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: lm refused a location update (status %u)",
			    rep->status);
		return;
	}
	if ((rep->present & DMM_P_VER) && rep->n_ver > 0 && rep->ver[0] != 0)
		h->ver = rep->ver[0];
	h->stale_tries = 0;
	h->acked = true;
	h->retry_ms = 0;
	h->bind_expires = now + (dmm_time_t)n->cfg.timers.binding_lifetime_s * 1000;
	dmm_emit(n, DMM_EV_LOC_UPDATED, now, &mn->mnid, &h->p, src, mn->link);
	/* The LM's answer to our query may have been a replica behind a
	 * second move: the authority names the real pMR, which gets the
	 * context transfer too (the stale one answered NOT_FOUND). */
	if (!IN6_IS_ADDR_UNSPECIFIED(&mn->ctx_pmr) && (rep->present & DMM_P_PREV_LOCATION) &&
	    !mr_is_self(n, &rep->prev_location) && !mr_addr_eq(&rep->prev_location, &mn->ctx_pmr)) {
		mr_peer_log(n, DMM_LOG_INFO, now,
			    "mr: the lm names another pmr, context sent there");
		mn_ctx_req(n, mn, &rep->prev_location, 0, now);
	}
	mn->ctx_pmr = in6addr_any;
}

/* ---- timers of attached MNs ---- */

/* The deprecated prefix i has run out: release it everywhere. */
static void mn_release_prefix(struct dmm_node *n, struct mr_mn *mn, unsigned i, dmm_time_t now)
{
	struct mr_hnp h = mn->hnp[i];
	struct dmm_msg m;

	mn_del_prefix(n, mn, i);
	if (h.bound) {
		mr_msg_init(&m, DMM_MSG_LOC_UPDATE);
		m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME |
			    DMM_P_HANDOFF;
		m.mnid = mn->mnid;
		m.n_hnp = 1;
		m.hnp[0] = h.p;
		m.location = n->cfg.self;
		m.home = h.home;
		m.handoff = DMM_HI_NOT_CHANGED;
		mr_request(n, mr_lm(n, &m, now), &m, mr_cookie(MR_CK_RELEASE, 0, mn->id), now);
	}
	mr_release_lease(n, &mn->mnid, &h.p, mn->link, now);
}

void mr_release_lease(struct dmm_node *n, const struct dmm_mnid *id,
		      const struct dmm_prefix *p, uint32_t link, dmm_time_t now)
{
	struct dmm_msg m;

	mr_msg_init(&m, DMM_MSG_HOA_REQ);
	m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_HANDOFF;
	m.mnid = *id;
	m.n_hnp = 1;
	m.hnp[0] = *p;
	m.handoff = DMM_HI_NOT_CHANGED;
	mr_request(n, mr_haa(n, p, &m, now), &m, mr_cookie(MR_CK_RELEASE, 0, 0), now);
	dmm_emit(n, DMM_EV_HOA_RELEASED, now, id, p, mr_haa(n, p, &m, now), link);
}

static void mn_restart(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now);

static void mn_timer(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	struct in6_addr src;
	struct dmm_msg req;

	if (mn->ctx_held && mn->ctx_until <= now && /* its link kept carrier */
	    mr_ctx_take(n, mn, &src, &req)) {
		dmm_count(n, DMM_C_ATTACH_CONFLICT);
		mr_ho_ctx_answer(n, &src, &req, DMM_ST_PROHIBITED, now);
	}
	if (mn->state == DMM_MN_FAILED && mn->retry_at <= now) {
		mn_restart(n, mn, now);
		return;
	}
	if (mn->state != DMM_MN_ATTACHED)
		return;
	if (mn->resolve_late && mn->resolve_at <= now) {
		mn->resolve_at = DMM_TIME_NEVER; /* the answer sets it again */
		if (mn_query(n, mn, MR_CK_LATE, now) < 0)
			mn_late_resolved(n, mn, NULL, now);
	}
	for (unsigned i = 0; i < mn->n_hnp;) {
		if (mn->hnp[i].deprecated && mn->hnp[i].release_at <= now) {
			mn_release_prefix(n, mn, i, now);
			continue;
		}
		i++;
	}
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct mr_hnp *h = &mn->hnp[i];
		if (h->bound && h->bind_refresh <= now)
			mn_loc_update(n, mn, i, DMM_HI_NOT_CHANGED,
				      n->cfg.timers.binding_lifetime_s, now);
		if (h->lease_refresh <= now) {
			int64_t rc;
			h->lease_refresh = mr_refresh_at(n, now, h->lease_s);
			rc = mn_hoa_req(n, mn, (int)i, MR_CK_LEASE, DMM_HI_NOT_CHANGED,
					n->cfg.timers.lease_lifetime_s, now);
			if (rc < 0)
				h->lease_refresh = rc == DMM_E_FULL ? mr_defer_at(n, now) :
						   mr_retry_at(n, h->lease_expires, now);
		}
	}
}

static dmm_time_t mn_deadline(const struct mr_mn *mn)
{
	dmm_time_t d = mn->ctx_held ? mn->ctx_until : DMM_TIME_NEVER;

	if (mn->state == DMM_MN_FAILED && mn->retry_at < d)
		d = mn->retry_at;
	if (mn->state != DMM_MN_ATTACHED)
		return d;
	if (mn->resolve_late && mn->resolve_at < d)
		d = mn->resolve_at;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		const struct mr_hnp *h = &mn->hnp[i];
		if (h->bound && h->bind_refresh < d)
			d = h->bind_refresh;
		if (h->lease_refresh < d)
			d = h->lease_refresh;
		if (h->deprecated && h->release_at < d)
			d = h->release_at;
	}
	return d;
}

static uint64_t mn_key(const void *e, unsigned h)
{
	(void)h;
	return mn_deadline(e);
}

/* ---- fixed correspondents (P6) ---- */

static void fixed_register(struct dmm_node *n, dmm_time_t now)
{
	bool failed = false;

	for (unsigned i = 0; i < n->cfg.n_fixed; i++) {
		struct dmm_msg m;
		mr_msg_init(&m, DMM_MSG_LOC_UPDATE);
		m.flags |= DMM_F_FIXED;
		m.present = DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME;
		m.n_hnp = 1;
		m.hnp[0] = n->cfg.fixed[i];
		m.location = n->cfg.self;
		m.home = n->cfg.self;
		m.lifetime = n->cfg.timers.binding_lifetime_s;
		if (mr_request_refresh(n, mr_lm(n, &m, now), &m, mr_cookie(MR_CK_FIXED, i, 0), now) < 0)
			failed = true;
	}
	if (!n->cfg.n_fixed)
		n->mr->fixed_refresh = DMM_TIME_NEVER;
	else if (failed) /* all again soon: a refresh of the others is harmless */
		n->mr->fixed_refresh = mr_defer_at(n, now);
	else
		n->mr->fixed_refresh = mr_refresh_at(n, now, n->cfg.timers.binding_lifetime_s);
}

/* ---- role life cycle ---- */

int dmm_mr_new(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_mr *mr = calloc(1, sizeof(*mr));
	const struct dmm_limits *l = &n->cfg.limits;
	int rc;

	if (!mr)
		return DMM_E_NOMEM;
	/* Start-up work (miss routes, fixed prefixes) runs on the first timer
	 * call, due at once: the driver is ready for it by then. */
	mr->fixed_refresh = now;
	dmm_hmap_init(&mr->mn_link);
	dmm_hmap_init(&mr->mn_id);
	dmm_hmap_init(&mr->ho_id);
	dmm_pidx_init(&mr->mn_pfx);
	dmm_pidx_init(&mr->ho_pfx);
	dmm_pidx_init(&mr->cache_pfx);
	dmm_pidx_init(&mr->anchor_pfx);
	n->mr = mr;
	if ((rc = dmm_tbl_init(&mr->mns, sizeof(struct mr_mn), l->max_mns, 1, mn_key)) < 0 ||
	    (rc = dmm_tbl_init(&mr->hos, sizeof(struct mr_ho), l->max_handovers, 1,
			       mr_ho_key)) < 0 ||
	    (rc = dmm_tbl_init(&mr->cache, sizeof(struct mr_cache), l->max_cache, 2,
			       mr_cache_key)) < 0 ||
	    (rc = dmm_tbl_init(&mr->anchors, sizeof(struct mr_anchor), l->max_mns, 1,
			       mr_anchor_key)) < 0 ||
	    (rc = dmm_tbl_init(&mr->jobs, sizeof(struct mr_job), l->max_cache, 0, NULL)) < 0 ||
	    (rc = dmm_tbl_init(&mr->holds, sizeof(struct mr_ctx_hold), l->max_mns, 0, NULL)) < 0) {
		dmm_mr_free(n);
		return rc == DMM_E_CONFIG ? DMM_E_CONFIG : DMM_E_NOMEM;
	}
	return 0;
}

void dmm_mr_free(struct dmm_node *n)
{
	struct dmm_mr *mr = n->mr;

	if (!mr)
		return;
	dmm_tbl_fini(&mr->mns);
	dmm_tbl_fini(&mr->hos);
	dmm_tbl_fini(&mr->cache);
	dmm_tbl_fini(&mr->anchors);
	dmm_tbl_fini(&mr->jobs);
	dmm_tbl_fini(&mr->holds);
	dmm_hmap_fini(&mr->mn_link);
	dmm_hmap_fini(&mr->mn_id);
	dmm_hmap_fini(&mr->ho_id);
	dmm_pidx_fini(&mr->mn_pfx);
	dmm_pidx_fini(&mr->ho_pfx);
	dmm_pidx_fini(&mr->cache_pfx);
	dmm_pidx_fini(&mr->anchor_pfx);
	free(mr->scratch);
	free(mr);
	n->mr = NULL;
}

static void mr_on_request(struct dmm_node *n, const struct in6_addr *src,
			  const struct dmm_msg *m, dmm_time_t now)
{
	switch (m->type) {
	case DMM_MSG_CTX_REQ:
		mr_ho_ctx_req(n, src, m, now);
		break;
	case DMM_MSG_REDIRECT:
		mr_redirect(n, src, m, now);
		break;
	case DMM_MSG_LM_NOTIFY:
		mr_notify(n, src, m, now);
		break;
	default:
		dmm_drop(n, DMM_C_DROP_ROLE, now, "mr: %s is not for an mr",
			 dmm_msg_type_name(m->type));
	}
}

/* An impostor: the pMR says the MN is still on a live link there. Its
 * prefixes go from here, and each binding we took is pointed back to the
 * pMR (the handover's LM update is not delayed for the pMR's answer: a
 * real handover pays nothing, a false claim holds the binding for at most
 * the pMR's hold_ms). */
static void mn_give_back(struct dmm_node *n, struct mr_mn *mn, const struct in6_addr *pmr,
			 dmm_time_t now)
{
	struct dmm_msg m;

	dmm_count(n, DMM_C_ATTACH_CONFLICT);
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		/* our own update must not be retransmitted after this one */
		dmm_request_cancel_cookie(n, DMM_ROLE_MR, mr_cookie(MR_CK_LOCUPD, i, mn->id));
		if (!mn->hnp[i].bound)
			continue;
		mr_msg_init(&m, DMM_MSG_LOC_UPDATE);
		m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME |
			    DMM_P_HANDOFF;
		m.mnid = mn->mnid;
		m.n_hnp = 1;
		m.hnp[0] = mn->hnp[i].p;
		m.location = *pmr;
		m.home = mn->hnp[i].home;
		m.handoff = DMM_HI_NOT_CHANGED;
		m.lifetime = n->cfg.timers.binding_lifetime_s;
		mr_request(n, mr_lm(n, &m, now), &m, mr_cookie(MR_CK_RELEASE, 0, mn->id), now);
	}
	mn_del_all(n, mn);
	mn_set_state(n, mn, DMM_MN_FAILED, "still attached at the pmr", now);
}

/* The pMR's answer to our first context request. PROHIBITED: the MN is
 * still on a live link there — whoever attached here under its identity
 * is not it. */
static void mn_ctx_acked(struct dmm_node *n, struct mr_mn *mn, const struct dmm_msg *rep,
			 const struct in6_addr *src, dmm_time_t now)
{
	bool first = mn->ctx_wait;

	mn->ctx_wait = false;
	if (rep && rep->status == DMM_ST_OK)
		dmm_emit(n, DMM_EV_CTX_ACKED, now, &mn->mnid,
			 mn->n_hnp ? &mn->hnp[0].p : NULL, src, mn->link);
	else
		mr_peer_log(n, DMM_LOG_WARN, now, "mr: context transfer %s",
			    rep ? "refused by the pmr" : "not acknowledged");
	if (first && rep && rep->status == DMM_ST_PROHIBITED && src)
		mn_give_back(n, mn, src, now);
}

static void mn_on_reply(struct dmm_node *n, enum mr_ck kind, unsigned idx, uint64_t id,
			const struct in6_addr *src, const struct dmm_msg *rep, dmm_time_t now)
{
	struct mr_mn *mn = mn_by_id(n, id);

	if (!mn)
		return; /* the MN left meanwhile */
	switch (kind) {
	case MR_CK_RESOLVE:
		mn_resolved(n, mn, rep, now);
		break;
	case MR_CK_LATE:
		mn_late_resolved(n, mn, rep, now);
		break;
	case MR_CK_ALLOC:
		mn_allocated(n, mn, rep, now);
		break;
	case MR_CK_RETRIEVE:
		mn_retrieved(n, mn, idx, rep, now);
		break;
	case MR_CK_NEWHOA:
		mn_got_new_hoa(n, mn, rep, now);
		break;
	case MR_CK_LEASE:
		mn_lease_renewed(n, mn, idx, rep, now);
		break;
	case MR_CK_LOCUPD:
		mn_loc_acked(n, mn, idx, rep, src, now);
		break;
	case MR_CK_CTX:
		mn_ctx_acked(n, mn, rep, src, now);
		break;
	default:
		break;
	}
}

static void mr_on_reply(struct dmm_node *n, uint64_t cookie, const struct in6_addr *src,
			const struct dmm_msg *rep, dmm_time_t now)
{
	enum mr_ck kind = (enum mr_ck)(cookie >> 56 & 0xff);
	unsigned idx = (unsigned)(cookie >> 48 & 0xff);
	uint64_t id = cookie & 0xffffffffffffull;

	switch (kind) {
	case MR_CK_CACHEQ:
		mr_cache_reply(n, id, rep, now);
		break;
	case MR_CK_SENDER:
		mr_sender_reply(n, id, rep, now);
		break;
	case MR_CK_ANCHOR:
		mr_anchor_reply(n, id, rep, now);
		break;
	case MR_CK_REDIRECT:
		if (rep && rep->status == DMM_ST_OK)
			dmm_emit(n, DMM_EV_REDIRECT_ACKED, now, NULL,
				 rep->n_hnp ? &rep->hnp[0] : NULL, src, 0);
		break;
	case MR_CK_FIXED:
		if (idx >= DMM_MAX_NET_PREFIX)
			break; /* not a cookie of ours */
		if (!rep || rep->status != DMM_ST_OK) {
			mr_peer_log(n, DMM_LOG_WARN, now, "mr: fixed prefix %u not registered",
				    idx);
		} else {
			n->mr->fixed_acked |= 1u << idx;
			n->mr->fixed_retry_ms[idx] = 0;
		}
		if (!rep) { /* again well before the registration runs out; soon
			     * if the LM has never had it (mr_soon_at) */
			dmm_time_t t = n->mr->fixed_acked & 1u << idx ?
				       mr_retry_at(n, now + (dmm_time_t)n->cfg.timers
						       .binding_lifetime_s * 200, now) :
				       mr_soon_at(n, &n->mr->fixed_retry_ms[idx], now);
			if (t < n->mr->fixed_refresh)
				n->mr->fixed_refresh = t;
		}
		break;
	case MR_CK_RELEASE:
		break;
	default:
		mn_on_reply(n, kind, idx, id, src, rep, now);
	}
}

void dmm_mr_on_request(struct dmm_node *n, const struct in6_addr *src,
		       const struct dmm_msg *m, dmm_time_t now)
{
	mr_on_request(n, src, m, now);
	mr_flush(n);
}

void dmm_mr_on_reply(struct dmm_node *n, uint64_t cookie, const struct in6_addr *src,
		     const struct dmm_msg *rep, dmm_time_t now)
{
	mr_on_reply(n, cookie, src, rep, now);
	mr_flush(n);
}

/* Only what is due: each table's heap hands over its due objects, in slot
 * order (the order a scan of the table would visit them). */
void dmm_mr_timer(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_mr *mr = n->mr;
	const uint32_t *due;
	uint32_t k;

	if (!mr->started) {
		mr->started = true;
		mr_cache_start(n, now);
	}
	if (mr->fixed_refresh <= now)
		fixed_register(n, now);
	k = dmm_tbl_due(&mr->mns, MR_HEAP_DEADLINE, now, &due);
	for (uint32_t i = 0; i < k; i++)
		if (dmm_tbl_live(&mr->mns, due[i]))
			mn_timer(n, dmm_tbl_at(&mr->mns, due[i]), now);
	mr_ho_timer(n, now);
	mr_cache_timer(n, now);
	mr_flush(n);
}

/* O(1): the top of each table's deadline heap. */
dmm_time_t dmm_mr_deadline(const struct dmm_node *n)
{
	const struct dmm_mr *mr = n->mr;
	dmm_time_t d = mr->fixed_refresh, t;

	if (!mr->started)
		return 0;
	if (mr->mns.ndirty || mr->hos.ndirty || mr->cache.ndirty || mr->anchors.ndirty)
		mr_flush((struct dmm_node *)n); /* not after an entry point: never */
	if ((t = dmm_tbl_min(&mr->mns, MR_HEAP_DEADLINE)) < d)
		d = t;
	if ((t = dmm_tbl_min(&mr->hos, MR_HEAP_DEADLINE)) < d)
		d = t;
	if ((t = dmm_tbl_min(&mr->cache, MR_HEAP_DEADLINE)) < d)
		d = t;
	if ((t = dmm_tbl_min(&mr->anchors, MR_HEAP_DEADLINE)) < d)
		d = t;
	return d;
}

/* ---- MR events of node.h ---- */

/* Forget the MN: its context (if it had prefixes) holds its packets. */
int mr_mn_detach(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	char id[DMM_MNID_STRLEN];

	dmm_count(n, DMM_C_DETACH);
	dmm_emit(n, DMM_EV_LINK_LOSS, now, &mn->mnid, mn->n_hnp ? &mn->hnp[0].p : NULL, NULL,
		 mn->link);
	if (dmm_log_on(n, DMM_LOG_DEBUG))
		dmm_log(n, DMM_LOG_DEBUG, "mr: mn %s link %u: %s -> gone (link loss)",
			dmm_mnid_str(&mn->mnid, id, sizeof(id)), mn->link,
			dmm_mn_state_name(mn->state));
	/* A location update still unacknowledged (lost, or its ack lost) says
	 * the MN is here: no retransmission of it once the MN has gone. Under
	 * loss, a quick move on (A -> B -> A, A -> B -> C) otherwise lets a
	 * retransmission reach the LM after the next MR's query found the
	 * binding elsewhere, and the LM binds the prefix here, where the MN
	 * is not (its new MR never hears of it: the binding is its own or an
	 * older MR's when it asked). */
	for (unsigned i = 0; i < mn->n_hnp; i++)
		if (mn->hnp[i].bound)
			dmm_request_cancel_cookie(n, DMM_ROLE_MR,
						  mr_cookie(MR_CK_LOCUPD, i, mn->id));
	/* lm-update-on-attach no: the LM has not heard of a prefix the MN got
	 * here. It must now (its first departure), or the nMR's lookup by MN
	 * id finds nothing and the MN loses its prefix. A prefix the MN never
	 * leaves with costs no update at all. Not one held while the LM's
	 * answer is awaited (mn_binds_at_attach): bound, it would hide the
	 * prefixes the MN has elsewhere from the nMR's lookup, the loss the
	 * holding avoids; a new MN loses only that prefix, got seconds ago. */
	if (mn->state == DMM_MN_ATTACHED && !mn->resolve_late)
		for (unsigned i = 0; i < mn->n_hnp; i++)
			if (!mn->hnp[i].bound) {
				mn->hnp[i].bound = true; /* its context releases it */
				dmm_count(n, DMM_C_LOC_UPDATE_DEPARTURE);
				mn_loc_update(n, mn, i, DMM_HI_NEW_IFACE,
					      n->cfg.timers.binding_lifetime_s, now);
			}
	unsigned n_hnp = mn->n_hnp;
	struct in6_addr src;
	struct dmm_msg req;
	bool held = mr_ctx_take(n, mn, &src, &req);

	if (mn->n_hnp > 0)
		mr_ho_create(n, mn, now); /* HOLD_START + LOCAL_DEL per prefix */
	mn_free(n, mn);
	/* the link is gone: a context request held meanwhile is accepted */
	if (held && n_hnp > 0)
		mr_ho_ctx_accept(n, &src, &req, now);
	else if (held)
		mr_ho_ctx_answer(n, &src, &req, DMM_ST_NOT_FOUND, now);
	return 0;
}

/* The identity is attached here on another link, which still has carrier
 * (its loss would have detached it): pinned there, the attach is refused.
 * A real move between two links of this MR has the old link lose carrier
 * first; until then the new link's attach is refused and tried again. */
static int attach_conflict(struct dmm_node *n, const struct mr_mn *mn, uint32_t link,
			   dmm_time_t now)
{
	char s[DMM_MNID_STRLEN];

	dmm_count(n, DMM_C_ATTACH_CONFLICT);
	mr_peer_log(n, DMM_LOG_WARN, now, "mr: %s on link %u refused: attached on link %u",
		    dmm_mnid_str(&mn->mnid, s, sizeof(s)), link, mn->link);
	return DMM_E_STATE;
}

/* FAILED: start over from the LM query, without stale routes. */
static void mn_restart(struct dmm_node *n, struct mr_mn *mn, dmm_time_t now)
{
	mn_del_all(n, mn);
	dmm_count(n, DMM_C_ATTACH);
	dmm_emit(n, DMM_EV_ATTACH, now, &mn->mnid, NULL, NULL, mn->link);
	mn_resolve(n, mn, now);
}

/* The rate state of link: its slot, a free one, or the least recently
 * used (a link unused that long has a full bucket anyway). */
static struct mr_link_rate *link_rate(struct dmm_mr *mr, uint32_t link)
{
	struct mr_link_rate *r, *victim = NULL;

	for (unsigned i = 0; i < MR_LINK_RATE_SLOTS; i++) {
		r = &mr->link_rate[i];
		if (r->used && r->link == link)
			return r;
		if (!victim || (victim->used && (!r->used || r->tat < victim->tat)))
			victim = r;
	}
	*victim = (struct mr_link_rate){ .link = link, .used = true };
	return victim;
}

/* An attach that creates state on link: within its rate limit? A burst of
 * attach_burst, then one per attach_interval_ms (GCRA). */
static bool attach_allowed(struct dmm_node *n, uint32_t link, dmm_time_t now)
{
	uint64_t iv = n->cfg.limits.attach_interval_ms;
	struct mr_link_rate *r;

	if (iv == 0)
		return true;
	r = link_rate(n->mr, link);
	if (r->tat < now)
		r->tat = now;
	if (r->tat - now > (uint64_t)(n->cfg.limits.attach_burst - 1) * iv)
		return false;
	r->tat += iv;
	return true;
}

static int attach_refused(struct dmm_node *n, uint32_t link, const struct dmm_mnid *id,
			  dmm_time_t now)
{
	char s[DMM_MNID_STRLEN];

	dmm_count(n, DMM_C_ATTACH_LIMITED);
	mr_peer_log(n, DMM_LOG_WARN, now, "mr: attach of %s on link %u refused: rate limit",
		    dmm_mnid_str(id, s, sizeof(s)), link);
	return DMM_E_LIMIT;
}

/* The policy refuses the MN: no state, no RA, no prefix. */
static int attach_denied(struct dmm_node *n, uint32_t link, const struct dmm_mnid *id,
			 dmm_time_t now)
{
	char s[DMM_MNID_STRLEN];

	dmm_count(n, DMM_C_ATTACH_DENIED);
	mr_peer_log(n, DMM_LOG_WARN, now, "mr: %s on link %u not authorized",
		    dmm_mnid_str(id, s, sizeof(s)), link);
	return DMM_E_DENIED;
}

static int mr_attach(struct dmm_node *n, uint32_t link, const struct dmm_mnid *id,
		     dmm_time_t now)
{
	struct mr_mn *mn = mn_by_link(n, link);
	if (!(mn && dmm_mnid_eq(&mn->mnid, id)) && n->io.authorize &&
	    !n->io.authorize(n->io.ctx, id))
		return attach_denied(n, link, id, now);
	if (!(mn && dmm_mnid_eq(&mn->mnid, id)) && !attach_allowed(n, link, now))
		return attach_refused(n, link, id, now);
	if (mn && !dmm_mnid_eq(&mn->mnid, id)) {
		mr_mn_detach(n, mn, now); /* another MN on the link: the old one left */
		mn = NULL;
	}
	if (!mn && (mn = mr_mn_by_mnid(n, id)) != NULL)
		return attach_conflict(n, mn, link, now);
	if (mn) {
		if (mn->state == DMM_MN_ATTACHED)
			mn_advertise(n, mn, now);
		else if (mn->state == DMM_MN_FAILED)
			mn_restart(n, mn, now);
		return 0; /* otherwise the attach is in progress */
	}
	mn = mn_alloc(n, id, link, now);
	if (!mn) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: attached mn table full");
		return DMM_E_FULL;
	}
	dmm_count(n, DMM_C_ATTACH);
	dmm_emit(n, DMM_EV_ATTACH, now, id, NULL, NULL, link);
	mn_resolve(n, mn, now);
	return 0;
}

int dmm_mr_attach(struct dmm_node *n, uint32_t link, const struct dmm_mnid *id,
		  dmm_time_t now)
{
	int rc;

	if (!n->mr)
		return DMM_E_ROLE;
	if (!id || id->len == 0 || id->len > DMM_MNID_MAX)
		return DMM_E_MALFORMED;
	rc = mr_attach(n, link, id, now);
	mr_flush(n);
	return rc;
}

int dmm_mr_detach(struct dmm_node *n, uint32_t link, dmm_time_t now)
{
	struct mr_mn *mn;
	int rc;

	if (!n->mr)
		return DMM_E_ROLE;
	mn = mn_by_link(n, link);
	if (!mn)
		return DMM_E_NOTFOUND;
	rc = mr_mn_detach(n, mn, now);
	mr_flush(n);
	return rc;
}

int dmm_mr_solicit(struct dmm_node *n, uint32_t link, dmm_time_t now)
{
	struct mr_mn *mn;

	if (!n->mr)
		return DMM_E_ROLE;
	mn = mn_by_link(n, link);
	if (!mn)
		return DMM_E_NOTFOUND;
	if (mn->state == DMM_MN_ATTACHED)
		mn_advertise(n, mn, now);
	else if (mn->state == DMM_MN_FAILED)
		mn_restart(n, mn, now);
	mr_flush(n);
	return 0;
}

static int mr_miss(struct dmm_node *n, const struct in6_addr *dst,
		   const struct in6_addr *src, dmm_time_t now)
{
	struct mr_ho *ho;

	if (mr_mn_by_addr(n, dst))
		return 0; /* delivered here: a stale miss */
	ho = mr_ho_by_addr(n, dst);
	if (ho) {
		mr_ho_miss(n, ho, dst, src, now);
		return 0;
	}
	return mr_cache_miss(n, dst, src, now);
}

int dmm_mr_miss(struct dmm_node *n, const struct in6_addr *dst,
		const struct in6_addr *src, dmm_time_t now)
{
	int rc;

	if (!n->mr)
		return DMM_E_ROLE;
	if (!dst || !src)
		return DMM_E_MALFORMED;
	dmm_count(n, DMM_C_MISS);
	rc = mr_miss(n, dst, src, now);
	mr_flush(n);
	return rc;
}

/* ---- views ---- */

void dmm_mr_foreach_mn(const struct dmm_node *n,
		       void (*cb)(void *ctx, const struct dmm_mn_view *v), void *ctx)
{
	for (uint32_t i = 0; n->mr && i < n->mr->mns.hi; i++) {
		const struct mr_mn *mn = dmm_tbl_peek(&n->mr->mns, i);
		struct dmm_mn_view v = { .mnid = mn->mnid, .link = mn->link,
					 .state = mn->state, .n_hnp = mn->n_hnp,
					 .since = mn->since };
		if (!dmm_tbl_live(&n->mr->mns, i))
			continue;
		for (unsigned j = 0; j < mn->n_hnp; j++) {
			v.hnp[j] = mn->hnp[j].p;
			v.deprecated[j] = mn->hnp[j].deprecated;
			v.home[j] = mn->hnp[j].home;
			v.phl[j] = mn->hnp[j].phl;
		}
		cb(ctx, &v);
	}
}

const struct dmm_role_ops dmm_mr_ops = {
	.role = DMM_ROLE_MR,
	.create = dmm_mr_new,
	.free = dmm_mr_free,
	.on_request = dmm_mr_on_request,
	.on_reply = dmm_mr_on_reply,
	.timer = dmm_mr_timer,
	.deadline = dmm_mr_deadline,
};
