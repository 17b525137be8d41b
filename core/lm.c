/* dmm core: the Location Management role (PROCEDURES.md, LM).
 *
 * Bindings are keyed by prefix and indexed by MN id; an address is looked
 * up by longest match over the prefix lengths present. This LM is
 * authoritative for the prefixes of its own network (and for fixed
 * prefixes its MRs register); the rest is forwarded to the network's LM
 * as LM_FWD and the answer relayed back. Pending forwards and subscriber
 * notifications are found again through the transaction cookie, which
 * holds a slot and a generation, never a pointer. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "node_priv.h"
#include "roles.h"

#define LM_NIL 0u                  /* end of a hash chain; chains hold slot + 1 */
#define LM_SLOT_MAX (1u << 28)     /* slots fit the cookie */
#define LM_SUBS_MAX 0xffffu        /* subscriber index fits the cookie */
#define LM_SUBS_FIRST 4            /* subscriber arrays grow from this size */
#define LM_CK_KIND (UINT64_C(3) << 62)
#define LM_CK_NOTIFY (UINT64_C(1) << 62)
#define LM_CK_FWD (UINT64_C(2) << 62)
#define LM_CK_CTX (UINT64_C(3) << 62) /* a context request relayed to a pMR */
#define LM_UPN_REASON 2 /* RFC 7077 UPDATE-SESSION-PARAMETERS: the locator changed */

/* Where the binding of a prefix lives: here, nowhere, or network index >= 0. */
#define LM_HERE (-1)
#define LM_NOWHERE (-2)

/* Options each reply type may carry (msg.c rejects anything else). */
#define LM_P_COMMON (DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_PREV_LOCATION | \
		     DMM_P_HOME)
#define LM_P_ACK (LM_P_COMMON | DMM_P_HANDOFF)
#define LM_P_REPLY (LM_P_COMMON | DMM_P_TARGET)

enum lm_bstate { LM_B_FREE, LM_B_ACTIVE };
/* DRAINING: a fan-out was answered; the other LMs' answers (NOT_FOUND) are
 * still on their way and are consumed quietly, so they count as no drop. */
enum lm_fstate { LM_F_FREE, LM_F_WAITING, LM_F_DRAINING };
enum lm_fwd_kind {
	LM_FWD_QUIET,  /* nobody waits for the answer */
	LM_FWD_RELAY,  /* relay the answer to the requester */
	LM_FWD_FANOUT, /* to every other LM: first OK wins, else NOT_FOUND */
};

static const char *const lm_bstate_names[] = { "free", "active" };
static const char *const lm_fstate_names[] = { "free", "waiting", "draining" };

struct lm_sub {
	bool used;
	struct in6_addr addr;
	uint32_t txn; /* LM_NOTIFY in flight, 0 if none */
	dmm_time_t since;
};

struct lm_binding {
	enum lm_bstate state;
	uint16_t gen; /* bumped on free: stale cookies miss */
	struct dmm_prefix prefix;
	struct dmm_mnid mnid; /* len 0 for fixed prefixes */
	struct in6_addr location;
	struct in6_addr home;
	bool fixed;
	uint16_t seq;
	dmm_time_t expires;
	struct lm_sub *subs; /* grows up to limits.max_subscribers */
	uint32_t subs_cap;
	uint32_t n_subs;
	uint32_t next_pfx, next_mnid, next_free; /* slot + 1 */
};

struct lm_fwd {
	enum lm_fstate state;
	uint32_t gen;
	enum lm_fwd_kind kind;
	struct in6_addr requester; /* the MR that asked us */
	struct dmm_msg req;        /* its request, needed to answer it */
	unsigned outstanding;
	unsigned n_txn;
	uint32_t txn[DMM_MAX_NETS];
};

/* A binding of another network as its LM replicated it (lm_replicate): a
 * hint for BY_MNID queries only, keyed by MN id. Never forwarded, never
 * notified, never an answer to an address query. */
struct lm_replica {
	bool used;
	struct dmm_mnid mnid;
	uint8_t n_hnp;
	struct dmm_prefix hnp[DMM_MAX_HNP];
	struct in6_addr location;
	struct in6_addr home;
	dmm_time_t expires;
	uint32_t next; /* by_mnid chain or free list, slot + 1 */
};

struct dmm_lm {
	struct lm_binding *b;
	uint32_t cap, used, free_head;
	uint32_t *by_pfx, *by_mnid, mask;
	uint32_t plen_count[129]; /* bindings per prefix length */
	struct lm_fwd *fwd;
	uint32_t n_fwd;
	uint32_t max_subs;
	dmm_time_t next_deadline; /* never later than the earliest expiry */
	struct lm_replica *rp;    /* limits.max_bindings entries */
	uint32_t *rp_by_mnid;     /* buckets: mask + 1 */
	uint32_t rp_free, rp_used;
};

/* A request as the LM sees it: straight from an MR, or inside LM_FWD. */
struct lm_ctx {
	const struct dmm_msg *m;   /* as received */
	struct in6_addr src;       /* who sent m */
	enum dmm_msg_type type;    /* LOC_UPDATE or LOC_QUERY */
	struct in6_addr requester; /* the MR: src, or m->origin if forwarded */
	bool forwarded;
};

/* ---- small helpers ---- */

static bool
addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}


static uint32_t
remaining_s(dmm_time_t expires, dmm_time_t now)
{
	return expires > now ? (uint32_t)((expires - now + 999) / 1000) : 0;
}

static const char *
addr_str(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* ---- answering ---- */

/* Send rep as the answer to the request in ctx: the plain reply type, or
 * LM_FWD_REPLY when the request came forwarded. */
static void
lm_answer(struct dmm_node *n, const struct lm_ctx *ctx, struct dmm_msg *rep, dmm_time_t now)
{
	rep->type = dmm_msg_reply_type(ctx->type);
	if (rep->type == DMM_MSG_LOC_ACK)
		rep->flags |= DMM_F_PROXY;
	if (ctx->forwarded) {
		rep->type = DMM_MSG_LM_FWD_REPLY;
		rep->code = ctx->m->code;
		rep->origin = ctx->m->origin;
		rep->origin_seq = ctx->m->origin_seq;
		rep->present |= DMM_P_ORIGIN;
	}
	dmm_reply(n, &ctx->src, ctx->m, rep, now);
}

/* An answer with only a status, echoing what was asked about. */
static void
lm_status(struct dmm_node *n, const struct lm_ctx *ctx, uint8_t st, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	struct dmm_msg rep = { .status = st };

	rep.present = m->present & (DMM_P_MNID | DMM_P_HNP);
	rep.mnid = m->mnid;
	rep.n_hnp = (m->present & DMM_P_HNP) ? m->n_hnp : 0;
	memcpy(rep.hnp, m->hnp, sizeof(rep.hnp));
	if (ctx->type == DMM_MSG_LOC_QUERY && (m->present & DMM_P_TARGET)) {
		rep.target = m->target;
		rep.present |= DMM_P_TARGET;
	}
	lm_answer(n, ctx, &rep, now);
}

/* Add binding b to a reply: the first one gives MN id, locators, lifetime. */
static void
lm_fill(struct dmm_msg *rep, const struct lm_binding *b, dmm_time_t now)
{
	if (rep->n_hnp == 0) {
		if (!b->fixed) {
			rep->mnid = b->mnid;
			rep->present |= DMM_P_MNID;
		}
		rep->location = b->location;
		rep->home = b->home;
		rep->lifetime = remaining_s(b->expires, now);
		rep->present |= DMM_P_LOCATION | DMM_P_HOME;
	}
	if (rep->n_hnp < DMM_MAX_HNP) {
		rep->hnp[rep->n_hnp++] = b->prefix;
		rep->present |= DMM_P_HNP;
	}
}

/* ---- the binding table ---- */

static struct lm_binding *
lm_find(struct dmm_lm *lm, const struct dmm_prefix *p)
{
	uint32_t s = lm->by_pfx[dmm_hash_prefix(p) & lm->mask];

	for (; s != LM_NIL; s = lm->b[s - 1].next_pfx)
		if (dmm_prefix_eq(&lm->b[s - 1].prefix, p))
			return &lm->b[s - 1];
	return NULL;
}

/* The binding whose prefix contains a, longest match. */
static struct lm_binding *
lm_lookup(struct dmm_lm *lm, const struct in6_addr *a)
{
	for (int len = 128; len >= 0; len--) {
		struct dmm_prefix p = { .addr = *a, .len = (uint8_t)len };
		struct lm_binding *b;
		if (lm->plen_count[len] == 0)
			continue;
		dmm_prefix_mask(&p);
		if ((b = lm_find(lm, &p)) != NULL)
			return b;
	}
	return NULL;
}

static void
lm_log(struct dmm_node *n, const struct lm_binding *b, enum lm_bstate from,
       enum lm_bstate to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], m[DMM_MNID_STRLEN], l[INET6_ADDRSTRLEN];

	dmm_log(n, DMM_LOG_DEBUG, "lm: binding %s mn %s at %s: %s -> %s (%s)",
		dmm_prefix_str(&b->prefix, p, sizeof(p)),
		b->fixed ? "fixed" : dmm_mnid_str(&b->mnid, m, sizeof(m)),
		addr_str(&b->location, l), lm_bstate_names[from], lm_bstate_names[to], why);
}

static void
chain_unlink(struct dmm_lm *lm, uint32_t *link, uint32_t slot, bool by_pfx)
{
	while (*link != LM_NIL) {
		struct lm_binding *x = &lm->b[*link - 1];
		if (*link == slot) {
			*link = by_pfx ? x->next_pfx : x->next_mnid;
			return;
		}
		link = by_pfx ? &x->next_pfx : &x->next_mnid;
	}
}

static void
mnid_link(struct dmm_lm *lm, struct lm_binding *b, uint32_t slot)
{
	uint32_t *head = &lm->by_mnid[dmm_hash_mnid(&b->mnid) & lm->mask];

	b->next_mnid = *head;
	*head = slot;
}

static void
lm_delete(struct dmm_node *n, struct lm_binding *b, const char *why)
{
	struct dmm_lm *lm = n->lm;
	uint32_t slot = (uint32_t)(b - lm->b) + 1;
	uint16_t gen = b->gen;

	lm_log(n, b, b->state, LM_B_FREE, why);
	for (uint32_t i = 0; i < b->subs_cap; i++)
		if (b->subs[i].used)
			dmm_request_cancel(n, b->subs[i].txn);
	free(b->subs);
	chain_unlink(lm, &lm->by_pfx[dmm_hash_prefix(&b->prefix) & lm->mask], slot, true);
	chain_unlink(lm, &lm->by_mnid[dmm_hash_mnid(&b->mnid) & lm->mask], slot, false);
	lm->plen_count[b->prefix.len]--;
	memset(b, 0, sizeof(*b));
	b->gen = (uint16_t)(gen + 1);
	b->next_free = lm->free_head;
	lm->free_head = slot;
	lm->used--;
}

static void
lm_set_expiry(struct dmm_node *n, struct lm_binding *b, uint32_t lifetime_s, dmm_time_t now)
{
	b->expires = now + (dmm_time_t)lifetime_s * 1000;
	if (b->expires < n->lm->next_deadline)
		n->lm->next_deadline = b->expires;
}

static uint32_t
lm_lifetime(const struct dmm_node *n, const struct dmm_msg *m)
{
	uint32_t max = n->cfg.timers.binding_lifetime_s;

	return max != 0 && m->lifetime > max ? max : m->lifetime;
}

static struct lm_binding *
lm_create(struct dmm_node *n, const struct dmm_prefix *p, const struct lm_ctx *ctx,
	  const struct in6_addr *loc, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	const struct dmm_msg *m = ctx->m;
	uint32_t slot = lm->free_head;
	struct lm_binding *b;
	uint32_t *head;

	if (slot == LM_NIL) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: binding table full (%u)", lm->cap);
		return NULL;
	}
	b = &lm->b[slot - 1];
	lm->free_head = b->next_free;
	lm->used++;
	*b = (struct lm_binding){ .state = LM_B_ACTIVE, .gen = b->gen, .prefix = *p,
				  .location = *loc, .fixed = (m->flags & DMM_F_FIXED) != 0 };
	if (!b->fixed)
		b->mnid = m->mnid;
	b->home = (m->present & DMM_P_HOME) ? m->home : *loc;
	head = &lm->by_pfx[dmm_hash_prefix(p) & lm->mask];
	b->next_pfx = *head;
	*head = slot;
	mnid_link(lm, b, slot);
	lm->plen_count[p->len]++;
	lm_log(n, b, LM_B_FREE, LM_B_ACTIVE, "created");
	return b;
}

/* ---- subscribers and notifications ---- */

static void
lm_sub_log(struct dmm_node *n, const struct lm_binding *b, const struct lm_sub *s,
	   const char *from, const char *to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], a[INET6_ADDRSTRLEN];

	dmm_log(n, DMM_LOG_DEBUG, "lm: subscriber %s of %s: %s -> %s (%s)",
		addr_str(&s->addr, a), dmm_prefix_str(&b->prefix, p, sizeof(p)), from, to, why);
}

/* A free subscriber slot, growing the array (bounded), or -1. */
static int
lm_sub_slot(struct dmm_node *n, struct lm_binding *b)
{
	uint32_t cap = b->subs_cap ? b->subs_cap * 2 : LM_SUBS_FIRST, old = b->subs_cap;
	struct lm_sub *subs;

	for (uint32_t i = 0; i < b->subs_cap; i++)
		if (!b->subs[i].used)
			return (int)i;
	if (b->subs_cap >= n->lm->max_subs)
		return -1;
	if (cap > n->lm->max_subs)
		cap = n->lm->max_subs;
	subs = realloc(b->subs, cap * sizeof(*subs));
	if (subs == NULL) {
		dmm_count(n, DMM_C_NOMEM);
		return -1;
	}
	memset(subs + old, 0, (cap - old) * sizeof(*subs));
	b->subs = subs;
	b->subs_cap = cap;
	return (int)old;
}

static void
lm_subscribe(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *who,
	     dmm_time_t now)
{
	struct lm_sub *s;
	int i;

	for (uint32_t k = 0; k < b->subs_cap; k++)
		if (b->subs[k].used && addr_eq(&b->subs[k].addr, who)) {
			b->subs[k].since = now;
			return;
		}
	if ((i = lm_sub_slot(n, b)) < 0) {
		uint32_t old = 0; /* full: the longest-standing subscriber makes room */
		if (b->subs_cap == 0)
			return;
		for (uint32_t k = 1; k < b->subs_cap; k++)
			if (b->subs[k].since < b->subs[old].since)
				old = k;
		dmm_count(n, DMM_C_TABLE_FULL);
		lm_sub_log(n, b, &b->subs[old], "active", "dropped", "subscribers full");
		dmm_request_cancel(n, b->subs[old].txn);
		b->subs[old].used = false;
		b->n_subs--;
		i = (int)old;
	}
	s = &b->subs[i];
	*s = (struct lm_sub){ .used = true, .addr = *who, .since = now };
	b->n_subs++;
	lm_sub_log(n, b, s, "none", "active", "subscribed");
}

static void
lm_notify(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *prev,
	  dmm_time_t now)
{
	uint64_t slot = (uint64_t)(b - n->lm->b);

	for (uint32_t i = 0; i < b->subs_cap; i++) {
		struct lm_sub *s = &b->subs[i];
		struct dmm_msg msg = { .type = DMM_MSG_LM_NOTIFY, .flags = DMM_F_ACK_REQ,
				       .code = LM_UPN_REASON };
		uint64_t cookie = LM_CK_NOTIFY | slot << 32 | (uint64_t)b->gen << 16 | i;
		int64_t txn;

		if (!s->used || addr_eq(&s->addr, &b->location))
			continue;
		dmm_request_cancel(n, s->txn); /* the newest location supersedes */
		s->txn = 0;
		lm_fill(&msg, b, now);
		msg.prev_location = *prev;
		msg.present |= DMM_P_PREV_LOCATION;
		txn = dmm_request(n, &s->addr, &msg, DMM_ROLE_LM, cookie, now);
		if (txn > 0) {
			s->txn = (uint32_t)txn;
			dmm_count(n, DMM_C_NOTIFY);
		}
	}
}

static void
lm_notify_done(struct dmm_node *n, uint64_t cookie, const struct dmm_msg *rep)
{
	struct dmm_lm *lm = n->lm;
	uint32_t slot = (uint32_t)(cookie >> 32) & (LM_SLOT_MAX - 1);
	uint16_t gen = (uint16_t)(cookie >> 16);
	uint32_t i = (uint32_t)cookie & 0xffff;
	struct lm_binding *b;

	if (slot >= lm->cap)
		return;
	b = &lm->b[slot];
	if (b->state != LM_B_ACTIVE || b->gen != gen || i >= b->subs_cap || !b->subs[i].used)
		return;
	b->subs[i].txn = 0;
	if (rep != NULL)
		return;
	lm_sub_log(n, b, &b->subs[i], "active", "dropped", "notification never acked");
	b->subs[i].used = false;
	b->n_subs--;
}

/* ---- forwarding (P7) ---- */

static struct lm_fwd *
lm_fwd_alloc(struct dmm_lm *lm)
{
	for (uint32_t i = 0; i < lm->n_fwd; i++)
		if (lm->fwd[i].state == LM_F_FREE)
			return &lm->fwd[i];
	return NULL;
}

static void
lm_fwd_set_state(struct dmm_node *n, struct lm_fwd *f, enum lm_fstate to, const char *why)
{
	dmm_log(n, DMM_LOG_DEBUG, "lm: forward %u (%s seq %u): %s -> %s (%s)",
		(unsigned)(f - n->lm->fwd), dmm_msg_type_name(f->req.type), f->req.seq,
		lm_fstate_names[f->state], lm_fstate_names[to], why);
	f->state = to;
}

static void
lm_fwd_finish(struct dmm_node *n, struct lm_fwd *f, const char *why)
{
	lm_fwd_set_state(n, f, LM_F_FREE, why);
	for (unsigned i = 0; i < f->n_txn; i++)
		dmm_request_cancel(n, f->txn[i]);
	f->gen++;
	f->n_txn = f->outstanding = 0;
}

/* Send the LM_FWD of inner (a request of type ctx->type) to each of to[]. */
static void
lm_forward(struct dmm_node *n, const struct lm_ctx *ctx, const struct dmm_msg *inner,
	   const struct in6_addr *to, unsigned nto, enum lm_fwd_kind kind, dmm_time_t now)
{
	struct dmm_msg fm = *inner;
	struct lm_fwd *f = NULL;
	uint64_t cookie = 0;

	fm.type = DMM_MSG_LM_FWD;
	fm.code = (uint8_t)ctx->type;
	fm.status = 0;
	fm.origin = ctx->requester;
	fm.origin_seq = ctx->m->seq;
	fm.present = (inner->present & ~(DMM_P_TIMESTAMP | DMM_P_AUTH)) | DMM_P_ORIGIN;
	if (kind != LM_FWD_QUIET) {
		if ((f = lm_fwd_alloc(n->lm)) == NULL) {
			dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: forward table full");
			lm_status(n, ctx, DMM_ST_NO_RESOURCES, now);
			return;
		}
		*f = (struct lm_fwd){ .state = LM_F_WAITING, .gen = f->gen, .kind = kind,
				      .requester = ctx->src, .req = *ctx->m };
		cookie = LM_CK_FWD | (uint64_t)(f - n->lm->fwd) << 32 | f->gen;
	}
	for (unsigned i = 0; i < nto; i++) {
		struct dmm_msg copy = fm;
		int64_t txn = dmm_request(n, &to[i], &copy, DMM_ROLE_LM, cookie, now);
		if (txn <= 0)
			continue;
		dmm_count(n, DMM_C_LM_FORWARD);
		if (f != NULL)
			f->txn[f->n_txn++] = (uint32_t)txn;
	}
	if (f == NULL)
		return;
	f->outstanding = f->n_txn;
	if (f->n_txn == 0) {
		lm_fwd_finish(n, f, "could not send");
		lm_status(n, ctx, DMM_ST_NO_RESOURCES, now);
	}
}

/* Every other network's LM, each once. */
static unsigned
lm_other_lms(const struct dmm_node *n, struct in6_addr to[DMM_MAX_NETS])
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++) {
		const struct in6_addr *a = &n->cfg.nets[i].lm;
		bool dup = addr_eq(a, &n->cfg.self);
		for (unsigned j = 0; j < k && !dup; j++)
			dup = addr_eq(a, &to[j]);
		if (!dup)
			to[k++] = *a;
	}
	return k;
}

static void
lm_fanout(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct in6_addr to[DMM_MAX_NETS];
	unsigned k = lm_other_lms(n, to);

	if (k == 0)
		lm_status(n, ctx, DMM_ST_NOT_FOUND, now);
	else
		lm_forward(n, ctx, ctx->m, to, k, LM_FWD_FANOUT, now);
}

/* Answer the original request of f with the forwarded answer rep. */
static void
lm_relay(struct dmm_node *n, struct lm_fwd *f, const struct dmm_msg *rep, dmm_time_t now)
{
	struct dmm_msg out = *rep;

	out.type = dmm_msg_reply_type(f->req.type);
	out.code = 0;
	memset(&out.origin, 0, sizeof(out.origin));
	out.origin_seq = 0;
	out.present &= out.type == DMM_MSG_LOC_ACK ? LM_P_ACK : LM_P_REPLY;
	if (!(out.present & DMM_P_HNP) || out.n_hnp == 0) {
		out.present &= ~(uint32_t)DMM_P_HNP;
		out.n_hnp = 0;
	}
	dmm_reply(n, &f->requester, &f->req, &out, now);
}

static void
lm_fwd_done(struct dmm_node *n, uint64_t cookie, const struct dmm_msg *rep, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	uint32_t slot = (uint32_t)(cookie >> 32) & (LM_SLOT_MAX - 1);
	struct lm_fwd *f;

	if (slot >= lm->n_fwd)
		return;
	f = &lm->fwd[slot];
	if (f->state == LM_F_FREE || f->gen != (uint32_t)cookie)
		return;
	if (f->outstanding > 0)
		f->outstanding--;
	if (f->state == LM_F_DRAINING) {
		if (f->outstanding == 0)
			lm_fwd_finish(n, f, rep != NULL ? "all answered" : "timed out");
		return;
	}
	if (rep != NULL && rep->status == DMM_ST_OK) {
		lm_relay(n, f, rep, now);
		/* The other LMs of a fan-out still answer: keep their requests
		 * open so those answers match and are taken without a word. */
		if (f->outstanding > 0)
			lm_fwd_set_state(n, f, LM_F_DRAINING, "answered");
		else
			lm_fwd_finish(n, f, "answered");
		return;
	}
	if (f->outstanding > 0)
		return;
	if (f->kind == LM_FWD_RELAY && rep != NULL) {
		lm_relay(n, f, rep, now);
	} else {
		struct dmm_msg st = { .status = f->kind == LM_FWD_FANOUT ?
				      DMM_ST_NOT_FOUND : DMM_ST_NOT_AUTHORITATIVE };
		lm_relay(n, f, &st, now);
	}
	lm_fwd_finish(n, f, rep != NULL ? "refused" : "timed out");
}

/* ---- LOC_UPDATE ---- */

static int
lm_where(const struct dmm_node *n, const struct in6_addr *a)
{
	int net = dmm_config_net_of(&n->cfg, a);

	if (net < 0)
		return LM_NOWHERE;
	if (net == n->cfg.local_net || addr_eq(&n->cfg.nets[net].lm, &n->cfg.self))
		return LM_HERE;
	return net;
}

/* A fixed prefix (servers behind a gateway MR) may not be ::/0 or cover a
 * network of the domain (it would answer the queries for every HoA nobody
 * has bound), nor lie in another network (whose LM is the authority). */
static bool
lm_fixed_ok(const struct dmm_node *n, const struct dmm_prefix *p)
{
	if (p->len == 0 || lm_where(n, &p->addr) >= 0)
		return false;
	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++)
		for (unsigned j = 0; j < n->cfg.nets[i].n_prefixes && j < DMM_MAX_NET_PREFIX; j++)
			if (dmm_prefix_contains(p, &n->cfg.nets[i].prefixes[j].addr))
				return false;
	return true;
}

/* ---- replication (cfg.lm_replicate) ---- */

/* Tell every other LM that binding b was created, moved or deleted
 * (lifetime 0): their BY_MNID queries then find the MN without a fan-out
 * across the domain. Nobody waits for the answers; a lost replica only
 * costs that LM the fan-out it would have done anyway. */
static void
lm_replicate(struct dmm_node *n, const struct lm_binding *b, uint32_t lifetime_s,
	     dmm_time_t now)
{
	struct in6_addr to[DMM_MAX_NETS];
	unsigned k;

	if (!n->cfg.lm_replicate || b->fixed)
		return;
	k = lm_other_lms(n, to);
	for (unsigned i = 0; i < k; i++) {
		struct dmm_msg m = { .type = DMM_MSG_LM_FWD, .code = DMM_MSG_LOC_UPDATE,
				     .flags = DMM_F_REPLICA, .lifetime = lifetime_s,
				     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION |
						DMM_P_HOME | DMM_P_ORIGIN,
				     .mnid = b->mnid, .n_hnp = 1, .location = b->location,
				     .home = b->home, .origin = n->cfg.self,
				     .origin_seq = b->seq };
		m.hnp[0] = b->prefix;
		dmm_request(n, &to[i], &m, DMM_ROLE_LM, 0, now);
	}
}

static struct lm_replica *
lm_rp_find(struct dmm_lm *lm, const struct dmm_mnid *id)
{
	uint32_t s = lm->rp_by_mnid[dmm_hash_mnid(id) & lm->mask];

	for (; s != LM_NIL; s = lm->rp[s - 1].next)
		if (dmm_mnid_eq(&lm->rp[s - 1].mnid, id))
			return &lm->rp[s - 1];
	return NULL;
}

static struct lm_replica *
lm_rp_new(struct dmm_lm *lm, const struct dmm_mnid *id)
{
	uint32_t slot = lm->rp_free, *head;
	struct lm_replica *r;

	if (slot == LM_NIL)
		return NULL;
	r = &lm->rp[slot - 1];
	lm->rp_free = r->next;
	head = &lm->rp_by_mnid[dmm_hash_mnid(id) & lm->mask];
	*r = (struct lm_replica){ .used = true, .mnid = *id, .next = *head };
	*head = slot;
	lm->rp_used++;
	return r;
}

static void
lm_rp_free(struct dmm_lm *lm, struct lm_replica *r)
{
	uint32_t slot = (uint32_t)(r - lm->rp) + 1;
	uint32_t *link = &lm->rp_by_mnid[dmm_hash_mnid(&r->mnid) & lm->mask];

	while (*link != LM_NIL && *link != slot)
		link = &lm->rp[*link - 1].next;
	if (*link == slot)
		*link = r->next;
	memset(r, 0, sizeof(*r));
	r->next = lm->rp_free;
	lm->rp_free = slot;
	lm->rp_used--;
}

/* Store replicated prefix m->hnp[0] of m->mnid, or forget it (lifetime 0). */
static uint8_t
lm_rp_apply(struct dmm_node *n, const struct dmm_msg *m, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct lm_replica *r = lm_rp_find(lm, &m->mnid);
	struct dmm_prefix p = m->hnp[0];
	unsigned i;

	dmm_prefix_mask(&p);
	if (r == NULL && m->lifetime == 0)
		return DMM_ST_OK;
	if (r == NULL && (r = lm_rp_new(lm, &m->mnid)) == NULL) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: replica table full (%u)", lm->cap);
		return DMM_ST_NO_RESOURCES;
	}
	for (i = 0; i < r->n_hnp && !dmm_prefix_eq(&r->hnp[i], &p); i++)
		;
	if (m->lifetime == 0) {
		if (i < r->n_hnp)
			r->hnp[i] = r->hnp[--r->n_hnp];
		if (r->n_hnp == 0)
			lm_rp_free(lm, r);
		return DMM_ST_OK;
	}
	if (i == r->n_hnp && r->n_hnp < DMM_MAX_HNP)
		r->hnp[r->n_hnp++] = p;
	r->location = m->location;
	r->home = (m->present & DMM_P_HOME) ? m->home : m->location;
	r->expires = now + (dmm_time_t)lm_lifetime(n, m) * 1000;
	if (r->expires < lm->next_deadline)
		lm->next_deadline = r->expires;
	return DMM_ST_OK;
}

/* A replica from a domain LM: kept only for a prefix of that LM's own
 * network, and only when this LM takes part in replication. */
static void
lm_replica_in(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	int where;

	if (m->code != DMM_MSG_LOC_UPDATE || !(m->present & DMM_P_MNID) ||
	    !(m->present & DMM_P_HNP) || m->n_hnp != 1 ||
	    (m->lifetime != 0 && !(m->present & DMM_P_LOCATION))) {
		dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: malformed replica");
		return;
	}
	where = lm_where(n, &m->hnp[0].addr);
	if (n->lm->rp == NULL || where < 0 || !addr_eq(&n->cfg.nets[where].lm, &ctx->src))
		lm_status(n, ctx, DMM_ST_PROHIBITED, now);
	else
		lm_status(n, ctx, lm_rp_apply(n, m, now), now);
}

/* BY_MNID query nobody here is authoritative for: answer from a fresh
 * replica at once. The authoritative LM corrects a stale one (LOC_ACK's
 * prev_location, LM_NOTIFY). */
static bool
lm_rp_answer(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct dmm_msg rep = { .status = DMM_ST_OK, .flags = DMM_F_BY_MNID,
			       .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME };
	struct lm_replica *r;

	if (n->lm->rp == NULL || (r = lm_rp_find(n->lm, &ctx->m->mnid)) == NULL ||
	    r->expires <= now || r->n_hnp == 0)
		return false;
	rep.mnid = r->mnid;
	rep.n_hnp = r->n_hnp;
	memcpy(rep.hnp, r->hnp, sizeof(rep.hnp));
	rep.location = r->location;
	rep.home = r->home;
	rep.lifetime = remaining_s(r->expires, now);
	dmm_log(n, DMM_LOG_DEBUG, "lm: by-mnid query answered from a replica");
	lm_answer(n, ctx, &rep, now);
	return true;
}

static void
lm_rp_timer(struct dmm_lm *lm, dmm_time_t now, dmm_time_t *next)
{
	for (uint32_t i = 0; lm->rp != NULL && i < lm->cap; i++) {
		struct lm_replica *r = &lm->rp[i];
		if (!r->used)
			continue;
		if (r->expires <= now)
			lm_rp_free(lm, r);
		else if (r->expires < *next)
			*next = r->expires;
	}
}

/* Create, refresh or delete the binding of prefix p. */
static uint8_t
lm_bind(struct dmm_node *n, const struct lm_ctx *ctx, struct dmm_prefix p,
	struct dmm_msg *rep, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	const struct in6_addr *loc = (m->present & DMM_P_LOCATION) ? &m->location : &ctx->requester;
	struct lm_binding *b;
	struct in6_addr prev;
	bool changed = false;

	dmm_prefix_mask(&p);
	b = lm_find(n->lm, &p);
	if (m->lifetime == 0) {
		if (b != NULL) {
			lm_replicate(n, b, 0, now);
			lm_delete(n, b, "deregistered");
		}
		return DMM_ST_OK;
	}
	if (b == NULL) {
		if ((b = lm_create(n, &p, ctx, loc, now)) == NULL)
			return DMM_ST_NO_RESOURCES;
		prev = *loc;
		changed = true;
	} else {
		prev = b->location;
		rep->prev_location = prev;
		rep->present |= DMM_P_PREV_LOCATION;
		if (!b->fixed && !dmm_mnid_eq(&b->mnid, &m->mnid) && (m->present & DMM_P_MNID)) {
			uint32_t slot = (uint32_t)(b - n->lm->b) + 1;
			/* the HAA gave the prefix to another MN: the newest word wins */
			lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "new MN id");
			chain_unlink(n->lm, &n->lm->by_mnid[dmm_hash_mnid(&b->mnid) & n->lm->mask],
				     slot, false);
			b->mnid = m->mnid;
			mnid_link(n->lm, b, slot);
	changed = true;
		}
		b->location = *loc;
		if (m->present & DMM_P_HOME)
			b->home = m->home;
	}
	b->seq = ctx->forwarded ? m->origin_seq : m->seq;
	lm_set_expiry(n, b, lm_lifetime(n, m), now);
	if (!addr_eq(&prev, &b->location)) {
		lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "moved");
		lm_notify(n, b, &prev, now);
		changed = true;
	}
	if (changed)
		lm_replicate(n, b, lm_lifetime(n, m), now);
	return DMM_ST_OK;
}

/* BY_MNID update without prefix: every binding of that MN. */
static void
lm_update_by_mnid(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_msg rep = { .status = DMM_ST_NOT_FOUND, .mnid = ctx->m->mnid,
			       .present = DMM_P_MNID };
	uint32_t s = lm->by_mnid[dmm_hash_mnid(&ctx->m->mnid) & lm->mask];
	bool found = false;

	while (s != LM_NIL) {
		struct lm_binding *b = &lm->b[s - 1];
		uint8_t st;
		s = b->next_mnid; /* b may be deleted below */
		if (b->fixed || !dmm_mnid_eq(&b->mnid, &ctx->m->mnid))
			continue;
		if (rep.n_hnp < DMM_MAX_HNP) {
			rep.hnp[rep.n_hnp++] = b->prefix;
			rep.present |= DMM_P_HNP;
		}
		st = lm_bind(n, ctx, b->prefix, &rep, now);
		if (!found || st != DMM_ST_OK)
			rep.status = st;
		found = true;
	}
	rep.lifetime = rep.status == DMM_ST_OK ? lm_lifetime(n, ctx->m) : 0;
	lm_answer(n, ctx, &rep, now);
}

/* Hand each foreign network its prefixes. The answer of the network of the
 * first prefix is relayed unless some prefixes are ours (then we answer). */
static void
lm_update_forward(struct dmm_node *n, const struct lm_ctx *ctx, const int *where,
		  bool here, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	bool done[DMM_MAX_HNP] = { false };

	for (unsigned i = 0; i < m->n_hnp; i++) {
		struct dmm_msg sub = *m;
		if (where[i] < 0 || done[i])
			continue;
		sub.n_hnp = 0;
		for (unsigned j = i; j < m->n_hnp; j++)
			if (where[j] == where[i]) {
				sub.hnp[sub.n_hnp++] = m->hnp[j];
				done[j] = true;
			}
		lm_forward(n, ctx, &sub, &n->cfg.nets[where[i]].lm, 1,
			   !here && i == 0 ? LM_FWD_RELAY : LM_FWD_QUIET, now);
	}
}

static void
lm_update(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	struct dmm_msg rep = { .status = DMM_ST_OK };
	int where[DMM_MAX_HNP];
	bool here = false, foreign = false, nowhere = false;

	if (!(m->present & DMM_P_HNP) || m->n_hnp == 0) {
		if ((m->flags & DMM_F_BY_MNID) && (m->present & DMM_P_MNID))
			lm_update_by_mnid(n, ctx, now);
		else
			dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: update without prefix");
		return;
	}
	if (!(m->flags & DMM_F_FIXED) && !(m->present & DMM_P_MNID)) {
		dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: update without MN id");
		return;
	}
	for (unsigned i = 0; i < m->n_hnp && i < DMM_MAX_HNP; i++) {
		if ((m->flags & DMM_F_FIXED) && !lm_fixed_ok(n, &m->hnp[i]))
			where[i] = LM_NOWHERE;
		else
			where[i] = (m->flags & DMM_F_FIXED) ? LM_HERE : lm_where(n, &m->hnp[i].addr);
		here |= where[i] == LM_HERE;
		foreign |= where[i] >= 0;
		nowhere |= where[i] == LM_NOWHERE;
	}
	if (nowhere || (ctx->forwarded && foreign)) {
		lm_status(n, ctx, nowhere ? DMM_ST_PROHIBITED : DMM_ST_NOT_AUTHORITATIVE, now);
		return;
	}
	if (foreign)
		lm_update_forward(n, ctx, where, here, now);
	if (!here)
		return;
	for (unsigned i = 0; i < m->n_hnp; i++) {
		uint8_t st;
		if (where[i] != LM_HERE)
			continue;
		st = lm_bind(n, ctx, m->hnp[i], &rep, now);
		if (st != DMM_ST_OK)
			rep.status = st;
		rep.hnp[rep.n_hnp++] = m->hnp[i];
	}
	rep.present |= DMM_P_HNP | (m->present & DMM_P_MNID);
	rep.mnid = m->mnid;
	rep.lifetime = rep.status == DMM_ST_OK ? lm_lifetime(n, m) : 0;
	lm_answer(n, ctx, &rep, now);
}

/* ---- context relay: the handover in one round trip ---- */

/* A BY_MNID query flagged HANDOVER found the MN bound to another MR (the
 * pMR): ask the pMR for the MN's context on the querier's behalf, before
 * answering, so its flush starts without waiting for the querier to learn
 * the binding and send its own CTX_REQ (which still follows and completes
 * the transfer). The request names the querier as the new location and as
 * origin, with the sequence number of its query; the pMR accepts it only
 * from an LM and only for a handover context it holds. Only authoritative
 * bindings are relayed (never a replica), and only for the MR that asked:
 * a direct query's sender, or the origin a domain LM vouched for. */
static void
lm_ctx_relay(struct dmm_node *n, const struct lm_ctx *ctx, const struct dmm_msg *rep,
	     dmm_time_t now)
{
	const struct dmm_msg *q = ctx->m;
	struct dmm_msg m = { .type = DMM_MSG_CTX_REQ };

	if (!(q->flags & DMM_F_HANDOVER) || rep->n_hnp == 0 ||
	    !(rep->present & DMM_P_LOCATION) || IN6_IS_ADDR_UNSPECIFIED(&rep->location) ||
	    addr_eq(&rep->location, &ctx->requester) || addr_eq(&rep->location, &n->cfg.self))
		return;
	m.present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_ORIGIN;
	m.mnid = q->mnid;
	m.n_hnp = rep->n_hnp;
	memcpy(m.hnp, rep->hnp, sizeof(m.hnp));
	m.location = ctx->requester;
	m.origin = ctx->requester;
	m.origin_seq = ctx->forwarded ? q->origin_seq : q->seq;
	if (dmm_request(n, &rep->location, &m, DMM_ROLE_LM, LM_CK_CTX, now) > 0)
		dmm_count(n, DMM_C_CTX_RELAY);
}

/* The pMR's answer to a relayed context request: nothing waits for it
 * (the nMR's own CTX_REQ carries the verdict that matters). */
static void
lm_ctx_relay_done(struct dmm_node *n, const struct dmm_msg *rep)
{
	if (rep != NULL && rep->status != DMM_ST_OK)
		dmm_log(n, DMM_LOG_DEBUG, "lm: relayed context request answered %u",
			rep->status);
}

/* ---- LOC_QUERY ---- */

static void
lm_query_mnid(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_msg rep = { .status = DMM_ST_OK, .flags = DMM_F_BY_MNID };
	uint32_t s = lm->by_mnid[dmm_hash_mnid(&ctx->m->mnid) & lm->mask];

	for (; s != LM_NIL; s = lm->b[s - 1].next_mnid) {
		struct lm_binding *b = &lm->b[s - 1];
		if (b->fixed || !dmm_mnid_eq(&b->mnid, &ctx->m->mnid))
			continue;
		if (ctx->m->flags & DMM_F_SUBSCRIBE)
			lm_subscribe(n, b, &ctx->requester, now);
		lm_fill(&rep, b, now);
	}
	if (rep.n_hnp > 0) {
		lm_ctx_relay(n, ctx, &rep, now); /* first: the pMR's flush starts sooner */
		lm_answer(n, ctx, &rep, now);
	} else if (!ctx->forwarded && lm_rp_answer(n, ctx, now)) {
		return;
	} else if (!ctx->forwarded) {
		lm_fanout(n, ctx, now);
	} else {
		lm_status(n, ctx, DMM_ST_NOT_FOUND, now);
	}
}

static void
lm_query(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	struct dmm_msg rep = { .status = DMM_ST_OK };
	struct lm_binding *b;
	int where;

	if (m->flags & DMM_F_BY_MNID) {
		if (m->present & DMM_P_MNID)
			lm_query_mnid(n, ctx, now);
		else
			dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: by-mnid query without MN id");
		return;
	}
	if (!(m->present & DMM_P_TARGET)) {
		dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: query without target");
		return;
	}
	where = lm_where(n, &m->target);
	if (where >= 0) {
		if (ctx->forwarded)
			lm_status(n, ctx, DMM_ST_NOT_AUTHORITATIVE, now);
		else
			lm_forward(n, ctx, m, &n->cfg.nets[where].lm, 1, LM_FWD_RELAY, now);
		return;
	}
	if ((b = lm_lookup(n->lm, &m->target)) == NULL) {
		if (where == LM_NOWHERE && !ctx->forwarded)
			lm_fanout(n, ctx, now); /* a fixed prefix registered elsewhere? */
		else
			lm_status(n, ctx, DMM_ST_NOT_FOUND, now);
		return;
	}
	if (m->flags & DMM_F_SUBSCRIBE)
		lm_subscribe(n, b, &ctx->requester, now);
	lm_fill(&rep, b, now);
	if (b->fixed)
		rep.flags |= DMM_F_FIXED;
	rep.target = m->target;
	rep.present |= DMM_P_TARGET;
	lm_answer(n, ctx, &rep, now);
}

/* ---- entry points ---- */

static bool
lm_is_peer(const struct dmm_node *n, const struct in6_addr *a)
{
	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++)
		if (addr_eq(&n->cfg.nets[i].lm, a))
			return true;
	return false;
}

void
dmm_lm_on_request(struct dmm_node *n, const struct in6_addr *src,
		  const struct dmm_msg *m, dmm_time_t now)
{
	struct lm_ctx ctx = { .m = m, .src = *src, .type = m->type, .requester = *src };

	if (m->type == DMM_MSG_LM_FWD) {
		if (!lm_is_peer(n, src)) {
			dmm_drop(n, DMM_C_DROP_PEER, now, "lm: forward from a node that is no LM");
			return;
		}
		if (!(m->present & DMM_P_ORIGIN) ||
		    (m->code != DMM_MSG_LOC_UPDATE && m->code != DMM_MSG_LOC_QUERY)) {
			dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: forward of code %u", m->code);
			return;
		}
		ctx.type = m->code;
		ctx.requester = m->origin;
		ctx.forwarded = true;
		if (m->flags & DMM_F_REPLICA) {
			lm_replica_in(n, &ctx, now);
			return;
		}
	}
	if (ctx.type == DMM_MSG_LOC_UPDATE)
		lm_update(n, &ctx, now);
	else if (ctx.type == DMM_MSG_LOC_QUERY)
		lm_query(n, &ctx, now);
	else
		dmm_drop(n, DMM_C_DROP_UNKNOWN, now, "lm: %s is no LM request",
			 dmm_msg_type_name(m->type));
}

void
dmm_lm_on_reply(struct dmm_node *n, uint64_t cookie, const struct in6_addr *src,
		const struct dmm_msg *rep, dmm_time_t now)
{
	if (n->lm == NULL)
		return;
	switch (cookie & LM_CK_KIND) {
	case LM_CK_NOTIFY:
		lm_notify_done(n, cookie, rep);
		break;
	case LM_CK_FWD:
		lm_fwd_done(n, cookie, rep, now);
		break;
	case LM_CK_CTX:
		lm_ctx_relay_done(n, rep);
		break;
	default: /* a quiet forward: nothing waits for its answer */
		break;
	}
}

int
dmm_lm_new(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = calloc(1, sizeof(*lm));
	uint32_t buckets = 16;

	if (lm == NULL)
		return DMM_E_NOMEM;
	n->lm = lm;
	lm->cap = n->cfg.limits.max_bindings < LM_SLOT_MAX ? n->cfg.limits.max_bindings
							   : LM_SLOT_MAX - 1;
	lm->n_fwd = n->cfg.limits.max_pending < LM_SLOT_MAX ? n->cfg.limits.max_pending
							    : LM_SLOT_MAX - 1;
	lm->max_subs = n->cfg.limits.max_subscribers < LM_SUBS_MAX ?
		       n->cfg.limits.max_subscribers : LM_SUBS_MAX;
	while (buckets < lm->cap)
		buckets <<= 1;
	lm->mask = buckets - 1;
	lm->b = calloc(lm->cap ? lm->cap : 1, sizeof(*lm->b));
	lm->by_pfx = calloc(buckets, sizeof(*lm->by_pfx));
	lm->by_mnid = calloc(buckets, sizeof(*lm->by_mnid));
	lm->fwd = calloc(lm->n_fwd ? lm->n_fwd : 1, sizeof(*lm->fwd));
	if (n->cfg.lm_replicate) {
		lm->rp = calloc(lm->cap ? lm->cap : 1, sizeof(*lm->rp));
		lm->rp_by_mnid = calloc(buckets, sizeof(*lm->rp_by_mnid));
		if (!lm->rp || !lm->rp_by_mnid) {
			dmm_lm_free(n);
			return DMM_E_NOMEM;
		}
		for (uint32_t i = 0; i < lm->cap; i++)
			lm->rp[i].next = i + 2 <= lm->cap ? i + 2 : LM_NIL;
		lm->rp_free = lm->cap ? 1 : LM_NIL;
	}
	if (!lm->b || !lm->by_pfx || !lm->by_mnid || !lm->fwd) {
		dmm_lm_free(n);
		return DMM_E_NOMEM;
	}
	for (uint32_t i = 0; i < lm->cap; i++)
		lm->b[i].next_free = i + 2 <= lm->cap ? i + 2 : LM_NIL;
	lm->free_head = lm->cap ? 1 : LM_NIL;
	lm->next_deadline = DMM_TIME_NEVER;
	return 0;
}

void
dmm_lm_free(struct dmm_node *n)
{
	struct dmm_lm *lm = n->lm;

	if (lm == NULL)
		return;
	for (uint32_t i = 0; lm->b != NULL && i < lm->cap; i++)
		free(lm->b[i].subs);
	free(lm->b);
	free(lm->by_pfx);
	free(lm->by_mnid);
	free(lm->fwd);
	free(lm->rp);
	free(lm->rp_by_mnid);
	free(lm);
	n->lm = NULL;
}

void
dmm_lm_timer(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	dmm_time_t next = DMM_TIME_NEVER;

	if (lm == NULL || now < lm->next_deadline)
		return;
	for (uint32_t i = 0; i < lm->cap; i++) {
		struct lm_binding *b = &lm->b[i];
		if (b->state != LM_B_ACTIVE)
			continue;
		if (b->expires <= now) {
			dmm_count(n, DMM_C_BINDING_EXPIRED);
			lm_delete(n, b, "expired");
		} else if (b->expires < next) {
			next = b->expires;
		}
	}
	lm_rp_timer(lm, now, &next);
	lm->next_deadline = next;
}

dmm_time_t
dmm_lm_deadline(const struct dmm_node *n)
{
	return n->lm ? n->lm->next_deadline : DMM_TIME_NEVER;
}

void
dmm_lm_foreach_binding(const struct dmm_node *n,
		       void (*cb)(void *ctx, const struct dmm_binding_view *v), void *ctx)
{
	const struct dmm_lm *lm = n->lm;

	for (uint32_t i = 0; lm != NULL && i < lm->cap; i++) {
		const struct lm_binding *b = &lm->b[i];
		struct dmm_binding_view v;
		if (b->state != LM_B_ACTIVE)
			continue;
		v = (struct dmm_binding_view){
			.prefix = b->prefix, .mnid = b->mnid, .location = b->location,
			.home = b->home, .fixed = b->fixed, .seq = b->seq,
			.expires = b->expires, .n_subscribers = b->n_subs,
		};
		cb(ctx, &v);
	}
}
