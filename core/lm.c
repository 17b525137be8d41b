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
#define LM_DEFER_MS 1000 /* a notification the pending table had no room for: tried again */
#define LM_UPN_REASON 2 /* RFC 7077 UPDATE-SESSION-PARAMETERS: the locator changed */

/* Where the binding of a prefix lives: here, nowhere, or network index >= 0. */
#define LM_HERE (-1)
#define LM_NOWHERE (-2)

/* Options each reply type may carry (msg.c rejects anything else). */
#define LM_P_COMMON (DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_PREV_LOCATION | \
		     DMM_P_HOME | DMM_P_PHL | DMM_P_VER)
#define LM_P_ACK (LM_P_COMMON | DMM_P_HANDOFF)
#define LM_P_REPLY (LM_P_COMMON | DMM_P_TARGET)

enum lm_bstate { LM_B_FREE, LM_B_ACTIVE };
/* lm_binding.bits */
#define LM_BB_ID 0x03          /* how the MN id is kept: */
#define LM_ID_NONE 0           /*   none (a fixed prefix) */
#define LM_ID_EUI48 1          /*   an EUI-48, in id[0..5] */
#define LM_ID_EUI64 2          /*   an EUI-64, in id */
#define LM_ID_EXT 3            /*   any other, in the extras */
#define LM_BB_FIXED 0x04
#define LM_BB_EXT 0x08         /* the binding has an extras record */
#define LM_BB_GEN 0xf0         /* generation, bumped on free: stale wheel entries miss */
#define LM_GEN_SHIFT 4
#define LM_ID_INLINE 8         /* MN id bytes kept in the record */
#define LM_LOC_MAX 0xffffu     /* distinct locators (MR addresses) */
#define LM_FIRST_SLOTS 64      /* the record array grows from this size */
#define LM_CHAIN_LOAD 2        /* records per bucket before the buckets double */
#define LM_FIRST_BUCKETS 16
#define LM_WHEEL 4096          /* expiry wheel: one bucket per second */
#define LM_WHEEL_SLOT 0xffffffu/* wheel entry: slot (24 bits) | gen (8 bits) */
/* Expiries are kept in 32 bits, as ms after lm->t_base: none is set
 * farther than this from now (24.8 days), and the base moves up (one pass
 * over the records) before an expiry would not fit. */
#define LM_EXP_SPAN ((dmm_time_t)INT32_MAX)
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

/* A binding, 36 bytes: the prefix's first 64 bits (the rest, for a prefix
 * longer than /64, in its extras), the MN id inline when it is an EUI-48
 * or EUI-64, the locator and home as slots of the locator table, the
 * expiry in 32 bits, and the links of the two indexes (core/table.h,
 * dmm_hidx). What few bindings need (subscribers, a long prefix, another
 * kind of MN id, a per-host locator) is in an extras record, found by the
 * binding's slot. */
struct lm_binding {
	uint8_t pfx[8];
	uint8_t id[LM_ID_INLINE];
	uint32_t exp;                 /* expiry: ms after lm->t_base */
	uint32_t next_pfx, next_mnid; /* index links, slot + 1; next_pfx also links the free list */
	uint16_t loc, home;           /* locator table slots; loc 0: a free record */
	uint16_t seq;
	uint8_t plen;
	uint8_t bits;                 /* LM_BB_* */
};
_Static_assert(sizeof(struct lm_binding) == 36, "struct lm_binding grew");

struct lm_ext {
	struct lm_sub *subs; /* grows up to limits.max_subscribers */
	uint32_t subs_cap;
	uint32_t n_subs;
	uint8_t pfx_lo[8];   /* prefix bits 64-127 */
	struct dmm_mnid mnid;/* an MN id not kept in the record (LM_ID_EXT) */
	/* The per-host locator the serving MR gave the prefix (routing
	 * locator, draft 4.3), beside the MR's address; len 0 = none. Only
	 * bindings of such MRs have one, so it lives here, not in the record. */
	struct dmm_prefix phl;
	uint32_t owner;      /* the binding's slot + 1; 0: a free record */
	uint32_t next;       /* index link (slot + 1), or the free list (slot) */
	uint16_t gen;        /* bumped on free: stale notification cookies miss */
};

/* A routing location (an MR address) bindings point to, reference counted. */
struct lm_loc {
	struct in6_addr a;
	uint32_t refs;
	uint32_t next; /* index link (slot + 1), or the free list (slot) */
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
	uint8_t gen;   /* bumped on free: stale wheel entries miss */
	struct dmm_mnid mnid;
	uint8_t n_hnp;
	struct dmm_prefix hnp[DMM_MAX_HNP];
	uint16_t ver[DMM_MAX_HNP]; /* each binding's version (origin_seq), 0: unknown */
	struct in6_addr location;
	struct in6_addr home;
	dmm_time_t expires;
	uint32_t next; /* index link (slot + 1), or the free list */
};

struct dmm_lm {
	struct lm_binding *b;      /* alloc records, hi of them ever used */
	uint32_t cap, used, free_head, alloc, hi;
	/* the records by prefix and by MN id, buckets doubling with them */
	struct dmm_hidx by_pfx, by_mnid;
	dmm_time_t t_base;         /* the records' expiries count from here */
	struct lm_ext *ext;        /* [0]: empty, for bindings without extras */
	uint32_t ext_alloc, ext_hi, ext_free;
	struct dmm_hidx ext_idx;   /* extras by their binding's slot */
	struct lm_loc *loc;        /* [0]: unused (a free record's loc) */
	uint32_t loc_alloc, loc_hi, loc_free;
	struct dmm_hidx loc_idx;   /* locators by address */
	/* expiry wheel: the bucket of second s holds the bindings due in it
	 * (or, beyond the wheel, looked at again then): slot | gen << 24 */
	struct dmm_wheel wheel;
	struct dmm_plens lens;     /* prefix lengths in use (longest match) */
	/* A bulk restore into an empty table (dmm_lm_reserve) whose prefixes
	 * have come in strictly increasing order so far (the store's key
	 * order): each one differs from every binding there, so restoring it
	 * needs no lookup. Any other change of the table (used != rs_n) or an
	 * out-of-order prefix ends it. */
	bool rs_sorted;
	uint32_t rs_n;
	struct dmm_prefix rs_last;
	/* Such bindings are created unlinked (rs_nolink around lm_create),
	 * and linked in one pass (dmm_lm_restore_done) before any lookup. */
	bool rs_nolink, rs_unlinked;
	struct lm_fwd *fwd;
	uint32_t n_fwd;
	/* Notifications the pending table had no room for (a burst of moves
	 * beyond limits.max_pending in flight), each tried again LM_DEFER_MS
	 * later, oldest first: their cookies and when; a ring of n_fwd. */
	struct lm_defer {
		uint64_t cookie;
		dmm_time_t at;
	} *dq;
	uint32_t dq_head, dq_n;
	uint32_t max_subs;
	dmm_time_t next_deadline; /* never later than the earliest expiry */
	struct lm_replica *rp;    /* limits.max_bindings entries */
	struct dmm_hidx rp_idx;   /* replicas by MN id */
	struct dmm_wheel rp_wheel;/* their expiries: slot | gen << 24 */
	uint32_t rp_free, rp_used;
	enum dmm_lm_store store;  /* a shared store's state (dmm_lm_set_store) */
	bool applying;            /* in dmm_lm_apply: nothing to persist */
};

/* A request as the LM sees it: straight from an MR, or inside LM_FWD. */
struct lm_ctx {
	const struct dmm_msg *m;   /* as received */
	struct in6_addr src;       /* who sent m */
	enum dmm_msg_type type;    /* LOC_UPDATE or LOC_QUERY */
	struct in6_addr requester; /* the MR: src, or m->origin if forwarded */
	bool forwarded;
	bool sync; /* a sibling LM's binding change (lm_sync): not passed on again */
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

/* ---- the binding records ---- */

static bool
lm_fixed(const struct lm_binding *b)
{
	return (b->bits & LM_BB_FIXED) != 0;
}

static bool
lm_active(const struct lm_binding *b)
{
	return b->loc != 0;
}

static uint32_t
lm_gen(const struct lm_binding *b)
{
	return (uint32_t)(b->bits & LM_BB_GEN) >> LM_GEN_SHIFT;
}

static uint32_t
lm_slot_of(const struct dmm_lm *lm, const struct lm_binding *b)
{
	return (uint32_t)(b - lm->b);
}

/* The expiry, ms (a binding's own, and dmm_time_t everywhere outside). */
static dmm_time_t
lm_exp(const struct dmm_lm *lm, const struct lm_binding *b)
{
	return lm->t_base + b->exp;
}

/* Move the base of the expiries up to now: one pass over the records,
 * once in 24 days at most (LM_EXP_SPAN). An expiry gone by stays due. */
static void
lm_rebase(struct dmm_lm *lm, dmm_time_t now)
{
	for (uint32_t i = 0; i < lm->hi; i++) {
		struct lm_binding *b = &lm->b[i];
		dmm_time_t t = lm_exp(lm, b);
		if (lm_active(b))
			b->exp = t > now ? (uint32_t)(t - now) : 0;
	}
	lm->t_base = now;
}

/* Set b's expiry to t (no farther than LM_EXP_SPAN from now). */
static void
lm_exp_put(struct dmm_lm *lm, struct lm_binding *b, dmm_time_t t, dmm_time_t now)
{
	if (t > now + LM_EXP_SPAN)
		t = now + LM_EXP_SPAN;
	if (t < lm->t_base) /* a clock gone back before the LM began */
		t = lm->t_base;
	if (t - lm->t_base > UINT32_MAX)
		lm_rebase(lm, now);
	b->exp = (uint32_t)(t - lm->t_base);
}

/* The extras index: by the binding's slot. */
static uint32_t
lm_x_find(const struct dmm_lm *lm, uint32_t slot)
{
	for (uint32_t s = dmm_hidx_first(&lm->ext_idx, slot); s != 0;
	     s = dmm_hidx_next(&lm->ext_idx, lm->ext, s))
		if (lm->ext[s - 1].owner == slot + 1)
			return s - 1;
	return 0;
}

/* The binding's extras (the empty record [0] if it has none: never written). */
static struct lm_ext *
lm_x(const struct dmm_lm *lm, const struct lm_binding *b)
{
	if (!(b->bits & LM_BB_EXT))
		return &lm->ext[0];
	return &lm->ext[lm_x_find(lm, lm_slot_of(lm, b))];
}

static bool
lm_x_hash(const void *ctx, uint32_t slot, uint32_t *hash)
{
	const struct dmm_lm *lm = ctx;

	*hash = lm->ext[slot].owner - 1;
	return lm->ext[slot].owner != 0;
}

/* Give b an extras record if it has none. 0 or DMM_E_NOMEM. Moves lm->ext. */
static int
lm_x_need(struct dmm_lm *lm, struct lm_binding *b)
{
	uint32_t slot, want;
	uint16_t gen;

	if (b->bits & LM_BB_EXT)
		return 0;
	if (lm->ext_free != 0) {
		slot = lm->ext_free;
		lm->ext_free = lm->ext[slot].next;
	} else {
		if (lm->ext_hi + 1 >= lm->ext_alloc) {
			uint32_t n = lm->ext_alloc * 2;
			struct lm_ext *x = realloc(lm->ext, n * sizeof(*x));
			if (x == NULL)
				return DMM_E_NOMEM;
			lm->ext = x;
			lm->ext_alloc = n;
		}
		slot = ++lm->ext_hi;
		lm->ext[slot].gen = 0;
	}
	gen = lm->ext[slot].gen;
	memset(&lm->ext[slot], 0, sizeof(lm->ext[slot]));
	lm->ext[slot].gen = gen;
	lm->ext[slot].owner = lm_slot_of(lm, b) + 1;
	dmm_hidx_add(&lm->ext_idx, lm->ext, slot, lm_slot_of(lm, b));
	b->bits |= LM_BB_EXT;
	want = dmm_hidx_want(&lm->ext_idx, lm->ext_idx.n, LM_CHAIN_LOAD, LM_SLOT_MAX);
	if (want != lm->ext_idx.mask + 1) { /* no memory: longer chains */
		struct dmm_hidx *x = &lm->ext_idx;
		dmm_hidx_rebuild(&x, &want, 1, lm->ext, lm->ext_hi + 1, lm_x_hash, lm);
	}
	return 0;
}

static void
lm_x_free(struct dmm_lm *lm, struct lm_binding *b)
{
	uint32_t slot;
	struct lm_ext *x;
	uint16_t gen;

	if (!(b->bits & LM_BB_EXT))
		return;
	slot = lm_x_find(lm, lm_slot_of(lm, b));
	x = &lm->ext[slot];
	free(x->subs);
	dmm_hidx_del(&lm->ext_idx, lm->ext, slot, lm_slot_of(lm, b));
	gen = (uint16_t)(x->gen + 1);
	memset(x, 0, sizeof(*x));
	x->gen = gen;
	x->next = lm->ext_free;
	lm->ext_free = slot;
	b->bits &= (uint8_t)~LM_BB_EXT;
}

static struct dmm_prefix
lm_pfx(const struct dmm_lm *lm, const struct lm_binding *b)
{
	struct dmm_prefix p = { .len = b->plen };

	memcpy(p.addr.s6_addr, b->pfx, 8);
	if (b->plen > 64)
		memcpy(p.addr.s6_addr + 8, lm_x(lm, b)->pfx_lo, 8);
	return p;
}

static bool
lm_pfx_is(const struct dmm_lm *lm, const struct lm_binding *b, const struct dmm_prefix *p)
{
	return b->plen == p->len && memcmp(b->pfx, p->addr.s6_addr, 8) == 0 &&
	       (p->len <= 64 || memcmp(lm_x(lm, b)->pfx_lo, p->addr.s6_addr + 8, 8) == 0);
}

/* How id is kept: inline (the EUI-48s and EUI-64s of RFC 8371), none, or
 * in the extras. */
static uint8_t
lm_id_kind(const struct dmm_mnid *id)
{
	if (id->type == 0 && id->len == 0)
		return LM_ID_NONE;
	if (id->type == DMM_MNID_EUI48 && id->len == 6)
		return LM_ID_EUI48;
	if (id->type == DMM_MNID_EUI64 && id->len == 8)
		return LM_ID_EUI64;
	return LM_ID_EXT;
}

/* b's MN id, in *tmp unless it lives in the extras. */
static const struct dmm_mnid *
lm_id(const struct dmm_lm *lm, const struct lm_binding *b, struct dmm_mnid *tmp)
{
	uint8_t kind = b->bits & LM_BB_ID;

	if (kind == LM_ID_EXT)
		return &lm_x(lm, b)->mnid;
	memset(tmp, 0, sizeof(*tmp));
	if (kind == LM_ID_EUI48 || kind == LM_ID_EUI64) {
		tmp->type = kind == LM_ID_EUI48 ? DMM_MNID_EUI48 : DMM_MNID_EUI64;
		tmp->len = kind == LM_ID_EUI48 ? 6 : 8;
		memcpy(tmp->id, b->id, tmp->len);
	}
	return tmp;
}

static bool
lm_id_is(const struct dmm_lm *lm, const struct lm_binding *b, const struct dmm_mnid *id)
{
	uint8_t kind = b->bits & LM_BB_ID;

	if (kind != lm_id_kind(id))
		return false;
	if (kind == LM_ID_EXT)
		return dmm_mnid_eq(&lm_x(lm, b)->mnid, id);
	return id->len == 0 || memcmp(b->id, id->id, id->len) == 0;
}

/* Set b's MN id (len 0 for none). 0 or DMM_E_NOMEM. */
static int
lm_id_set(struct dmm_lm *lm, struct lm_binding *b, const struct dmm_mnid *id)
{
	struct dmm_mnid c = *id;
	uint8_t kind;

	if (c.len > DMM_MNID_MAX)
		c.len = DMM_MNID_MAX;
	kind = lm_id_kind(&c);
	if (kind == LM_ID_EXT && lm_x_need(lm, b) < 0)
		return DMM_E_NOMEM;
	memset(b->id, 0, sizeof(b->id));
	if (kind == LM_ID_EXT)
		lm_x(lm, b)->mnid = c;
	else
		memcpy(b->id, c.id, c.len);
	b->bits = (uint8_t)((b->bits & ~LM_BB_ID) | kind);
	return 0;
}

static const struct in6_addr *
lm_addr(const struct dmm_lm *lm, uint16_t loc)
{
	return &lm->loc[loc].a;
}

static uint32_t
lm_loc_hash(const struct in6_addr *a)
{
	uint32_t h;

	memcpy(&h, a->s6_addr + 12, 4);
	h ^= (uint32_t)a->s6_addr[7] << 7 ^ (uint32_t)a->s6_addr[3] << 17;
	return h ^ h >> 10 ^ h >> 20;
}

static bool
lm_loc_rehash(const void *ctx, uint32_t slot, uint32_t *hash)
{
	const struct dmm_lm *lm = ctx;

	*hash = lm_loc_hash(&lm->loc[slot].a);
	return lm->loc[slot].refs != 0;
}

/* A reference to locator a (found, or added). 0 or DMM_E_FULL / DMM_E_NOMEM. */
static int
lm_loc_ref(struct dmm_lm *lm, const struct in6_addr *a, uint16_t *out)
{
	uint32_t h = lm_loc_hash(a), want, s;

	for (s = dmm_hidx_first(&lm->loc_idx, h); s != 0; s = dmm_hidx_next(&lm->loc_idx, lm->loc, s))
		if (addr_eq(&lm->loc[s - 1].a, a)) {
			lm->loc[s - 1].refs++;
			*out = (uint16_t)(s - 1);
			return 0;
		}
	if (lm->loc_free != 0) {
		s = lm->loc_free;
		lm->loc_free = lm->loc[s].next;
	} else {
		if (lm->loc_hi >= LM_LOC_MAX)
			return DMM_E_FULL;
		if (lm->loc_hi + 1 >= lm->loc_alloc) {
			uint32_t n = lm->loc_alloc * 2;
			struct lm_loc *l = realloc(lm->loc, n * sizeof(*l));
			if (l == NULL)
				return DMM_E_NOMEM;
			lm->loc = l;
			lm->loc_alloc = n;
		}
		s = ++lm->loc_hi;
	}
	lm->loc[s] = (struct lm_loc){ .a = *a, .refs = 1 };
	dmm_hidx_add(&lm->loc_idx, lm->loc, s, h);
	want = dmm_hidx_want(&lm->loc_idx, lm->loc_idx.n, LM_CHAIN_LOAD, LM_SLOT_MAX);
	if (want != lm->loc_idx.mask + 1) { /* no memory: longer chains */
		struct dmm_hidx *x = &lm->loc_idx;
		dmm_hidx_rebuild(&x, &want, 1, lm->loc, lm->loc_hi + 1, lm_loc_rehash, lm);
	}
	*out = (uint16_t)s;
	return 0;
}

static void
lm_loc_unref(struct dmm_lm *lm, uint16_t s)
{
	if (s == 0 || --lm->loc[s].refs > 0)
		return;
	dmm_hidx_del(&lm->loc_idx, lm->loc, s, lm_loc_hash(&lm->loc[s].a));
	memset(&lm->loc[s], 0, sizeof(lm->loc[s]));
	lm->loc[s].next = lm->loc_free;
	lm->loc_free = s;
}

/* Point *field at locator a. 0 or an error (then *field is unchanged). */
static int
lm_loc_set(struct dmm_lm *lm, uint16_t *field, const struct in6_addr *a)
{
	uint16_t s;
	int rc;

	if (*field != 0 && addr_eq(lm_addr(lm, *field), a))
		return 0;
	if ((rc = lm_loc_ref(lm, a, &s)) < 0)
		return rc;
	lm_loc_unref(lm, *field);
	*field = s;
	return 0;
}

/* The version of the binding of the prefix rep is about to list (its
 * hnp[n_hnp]): earlier prefixes without one get 0 (unknown). */
static void
lm_rep_ver(struct dmm_msg *rep, uint16_t ver)
{
	while (rep->n_ver < rep->n_hnp)
		rep->ver[rep->n_ver++] = 0;
	rep->ver[rep->n_ver++] = ver;
	rep->present |= DMM_P_VER;
}

/* Add binding b to a reply: the first one gives MN id, locators, lifetime. */
static void
lm_fill(const struct dmm_lm *lm, struct dmm_msg *rep, const struct lm_binding *b,
	dmm_time_t now)
{
	if (rep->n_hnp == 0) {
		if (!lm_fixed(b)) {
			struct dmm_mnid tmp;
			rep->mnid = *lm_id(lm, b, &tmp);
			rep->present |= DMM_P_MNID;
		}
		rep->location = *lm_addr(lm, b->loc);
		rep->home = *lm_addr(lm, b->home);
		rep->lifetime = remaining_s(lm_exp(lm, b), now);
		rep->present |= DMM_P_LOCATION | DMM_P_HOME;
	}
	if (rep->n_hnp < DMM_MAX_HNP) {
		const struct dmm_prefix *phl = &lm_x(lm, b)->phl;
		if (phl->len != 0) {
			while (rep->n_phl < rep->n_hnp) /* earlier prefixes: none */
				memset(&rep->phl[rep->n_phl++], 0, sizeof(rep->phl[0]));
			rep->phl[rep->n_phl++] = *phl;
			rep->present |= DMM_P_PHL;
		}
		lm_rep_ver(rep, b->seq);
		rep->hnp[rep->n_hnp++] = lm_pfx(lm, b);
		rep->present |= DMM_P_HNP;
	}
}

/* Store b's per-host locator; true if it changed. DMM_E_NOMEM: no extras. */
static int
lm_phl_set(struct dmm_lm *lm, struct lm_binding *b, const struct dmm_prefix *phl)
{
	struct lm_ext *x = lm_x(lm, b);

	if (phl->len == 0 && x->phl.len == 0)
		return 0;
	if (phl->len != 0 && lm_x_need(lm, b) < 0)
		return DMM_E_NOMEM;
	x = lm_x(lm, b);
	if (dmm_prefix_eq(&x->phl, phl))
		return 0;
	x->phl = *phl;
	return 1;
}

/* ---- the binding table: two dmm_hidx indexes over the records, the
 * prefix lengths in use, an expiry wheel (core/table.h) ---- */

static uint32_t
lm_hash_mnid_of(const struct dmm_lm *lm, const struct lm_binding *b)
{
	struct dmm_mnid tmp;

	return dmm_hash_mnid(lm_id(lm, b, &tmp));
}

static bool
lm_holds(const void *ctx, uint32_t slot, const struct dmm_prefix *p)
{
	const struct dmm_lm *lm = ctx;

	return lm_pfx_is(lm, &lm->b[slot], p);
}

static struct lm_binding *
lm_find(struct dmm_lm *lm, const struct dmm_prefix *p)
{
	uint32_t s = dmm_hidx_find_prefix(&lm->by_pfx, lm->b, p, lm_holds, lm);

	return s != DMM_TBL_NONE ? &lm->b[s] : NULL;
}

/* The binding whose prefix contains a, longest match. */
static struct lm_binding *
lm_lookup(struct dmm_lm *lm, const struct in6_addr *a)
{
	uint32_t s = dmm_hidx_lpm(&lm->by_pfx, lm->b, &lm->lens, a, lm_holds, lm);

	return s != DMM_TBL_NONE ? &lm->b[s] : NULL;
}

static void
lm_log(struct dmm_node *n, const struct lm_binding *b, enum lm_bstate from,
       enum lm_bstate to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], m[DMM_MNID_STRLEN], l[INET6_ADDRSTRLEN];
	struct dmm_prefix pfx;
	struct dmm_mnid tmp;

	if (!dmm_log_on(n, DMM_LOG_DEBUG))
		return;
	pfx = lm_pfx(n->lm, b);
	dmm_log(n, DMM_LOG_DEBUG, "lm: binding %s mn %s at %s: %s -> %s (%s)",
		dmm_prefix_str(&pfx, p, sizeof(p)),
		lm_fixed(b) ? "fixed" : dmm_mnid_str(lm_id(n->lm, b, &tmp), m, sizeof(m)),
		addr_str(lm_addr(n->lm, b->loc), l), lm_bstate_names[from],
		lm_bstate_names[to], why);
}

static void
mnid_link(struct dmm_lm *lm, struct lm_binding *b)
{
	dmm_hidx_add(&lm->by_mnid, lm->b, lm_slot_of(lm, b), lm_hash_mnid_of(lm, b));
}

static void
mnid_unlink(struct dmm_lm *lm, struct lm_binding *b)
{
	dmm_hidx_del(&lm->by_mnid, lm->b, lm_slot_of(lm, b), lm_hash_mnid_of(lm, b));
}

/* A record's hashes in both indexes (false: a free record). */
static bool
lm_hashes(const void *ctx, uint32_t slot, uint32_t *hash)
{
	const struct dmm_lm *lm = ctx;
	const struct lm_binding *b = &lm->b[slot];
	struct dmm_prefix p;

	if (!lm_active(b))
		return false;
	p = lm_pfx(lm, b);
	hash[0] = dmm_hash_prefix(&p);
	hash[1] = lm_hash_mnid_of(lm, b);
	return true;
}

/* Link every binding into both indexes, on this many buckets (0: as
 * now), in one pass over the records: what a table built in bulk, or
 * grown, costs. 0, or -1 (no memory: nothing changed). */
static int
lm_relink(struct dmm_lm *lm, uint32_t buckets)
{
	struct dmm_hidx *xs[2] = { &lm->by_pfx, &lm->by_mnid };
	uint32_t nb[2] = { buckets, buckets };

	return dmm_hidx_rebuild(xs, nb, 2, lm->b, lm->hi, lm_hashes, lm) < 0 ? -1 : 0;
}

/* Buckets for n bindings (a power of two, never fewer than now). */
static uint32_t
lm_buckets_for(const struct dmm_lm *lm, uint64_t n)
{
	return dmm_hidx_want(&lm->by_pfx, n, LM_CHAIN_LOAD, LM_SLOT_MAX);
}

/* Double the buckets of both indexes once the bindings outgrow them (no
 * memory: the chains get longer). */
static void
lm_rehash(struct dmm_lm *lm)
{
	uint32_t buckets = lm_buckets_for(lm, lm->used);

	if (buckets != lm->by_pfx.mask + 1)
		lm_relink(lm, buckets);
}

/* ---- the expiry wheel ---- */

/* Queue b at its expiry (dmm_wheel clamps a later one to its last bucket). */
static void
wheel_add(struct dmm_node *n, struct lm_binding *b)
{
	struct dmm_lm *lm = n->lm;
	uint32_t e = lm_slot_of(lm, b) | lm_gen(b) << 24;

	if (dmm_wheel_add(&lm->wheel, lm_exp(lm, b), e) < 0)
		dmm_count(n, DMM_C_NOMEM); /* found again by the full sweep (dmm_lm_timer) */
}

/* Durable state: the binding as it is now, or its removal (before the
 * reply that depends on it is sent). Replicas are not kept: their own LM
 * has them. */
static void
lm_persist(struct dmm_node *n, const struct lm_binding *b, bool del, bool expired)
{
	struct dmm_record r = { .kind = DMM_REC_BINDING, .del = del, .expired = expired,
				.prefix = lm_pfx(n->lm, b) };
	struct dmm_mnid tmp;

	if (n->io.persist == NULL || n->lm->applying)
		return;
	if (!del) {
		r.mnid = *lm_id(n->lm, b, &tmp);
		r.peer = *lm_addr(n->lm, b->loc);
		r.home = *lm_addr(n->lm, b->home);
		r.fixed = lm_fixed(b);
		r.seq = b->seq;
		r.expires = lm_exp(n->lm, b);
	}
	n->io.persist(n->io.ctx, &r);
}

/* Durable state of subscriber who of b: added, or gone (del). */
static void
lm_sub_persist(struct dmm_node *n, const struct lm_binding *b, const struct in6_addr *who,
	       bool del)
{
	struct dmm_record r = { .kind = DMM_REC_SUBSCRIPTION, .del = del,
				.prefix = lm_pfx(n->lm, b), .peer = *who,
				.expires = lm_exp(n->lm, b) };

	if (n->io.persist != NULL)
		n->io.persist(n->io.ctx, &r);
}

/* Back to the free list, its generation bumped (stale wheel entries miss). */
static void
lm_release(struct dmm_lm *lm, struct lm_binding *b)
{
	uint8_t gen = (uint8_t)((b->bits + (1u << LM_GEN_SHIFT)) & LM_BB_GEN);

	memset(b, 0, sizeof(*b));
	b->bits = gen;
	b->next_pfx = lm->free_head;
	lm->free_head = lm_slot_of(lm, b) + 1;
}

static void
lm_delete(struct dmm_node *n, struct lm_binding *b, const char *why)
{
	struct dmm_lm *lm = n->lm;
	struct lm_ext *x = lm_x(lm, b);
	struct dmm_prefix p = lm_pfx(lm, b);

	lm_log(n, b, LM_B_ACTIVE, LM_B_FREE, why);
	lm_persist(n, b, true, strcmp(why, "expired") == 0);
	for (uint32_t i = 0; i < x->subs_cap; i++)
		if (x->subs[i].used) {
			dmm_request_cancel(n, x->subs[i].txn);
			lm_sub_persist(n, b, &x->subs[i].addr, true);
		}
	dmm_hidx_del(&lm->by_pfx, lm->b, lm_slot_of(lm, b), dmm_hash_prefix(&p));
	mnid_unlink(lm, b);
	dmm_plens_del(&lm->lens, b->plen);
	lm_x_free(lm, b);
	lm_loc_unref(lm, b->loc);
	lm_loc_unref(lm, b->home);
	lm_release(lm, b);
	lm->used--;
}

/* b expires at t; queued: b is in the wheel already (at or before its
 * present expiry). */
static void
lm_expire_at(struct dmm_node *n, struct lm_binding *b, dmm_time_t t, bool queued,
	     dmm_time_t now)
{
	dmm_time_t old = lm_exp(n->lm, b);

	lm_exp_put(n->lm, b, t, now);
	t = lm_exp(n->lm, b);
	/* Queued already at or before the new expiry: found there, and queued
	 * again if not due yet. Only an earlier expiry needs a new entry. */
	if (!queued || t / 1000 < old / 1000)
		wheel_add(n, b);
	if (t < n->lm->next_deadline)
		n->lm->next_deadline = t;
}

static void
lm_set_expiry(struct dmm_node *n, struct lm_binding *b, uint32_t lifetime_s, bool queued,
	      dmm_time_t now)
{
	lm_expire_at(n, b, now + (dmm_time_t)lifetime_s * 1000, queued, now);
}

/* The lifetime granted: as asked, within timers.binding_lifetime_s and
 * the 24.8 days an expiry may lie ahead (LM_EXP_SPAN). */
static uint32_t
lm_lifetime(const struct dmm_node *n, const struct dmm_msg *m)
{
	uint32_t max = n->cfg.timers.binding_lifetime_s, life = m->lifetime;

	if (max != 0 && life > max)
		life = max;
	return life > LM_EXP_SPAN / 1000 ? (uint32_t)(LM_EXP_SPAN / 1000) : life;
}

/* A free record: from the free list, or the array's unused end (grown on
 * demand up to limits.max_bindings). Slot + 1, or LM_NIL. */
static uint32_t
lm_slot(struct dmm_lm *lm)
{
	uint32_t slot = lm->free_head;

	if (slot != LM_NIL) {
		lm->free_head = lm->b[slot - 1].next_pfx;
		return slot;
	}
	if (lm->hi >= lm->cap)
		return LM_NIL;
	if (lm->hi == lm->alloc) {
		uint32_t n = lm->alloc ? lm->alloc * 2 : LM_FIRST_SLOTS;
		struct lm_binding *b;
		if (n > lm->cap)
			n = lm->cap;
		if ((b = realloc(lm->b, (size_t)n * sizeof(*b))) == NULL)
			return LM_NIL;
		lm->b = b;
		lm->alloc = n;
	}
	memset(&lm->b[lm->hi], 0, sizeof(lm->b[lm->hi]));
	return ++lm->hi;
}

/* A new binding of prefix p (masked), not yet in the expiry wheel. */
static struct lm_binding *
lm_create(struct dmm_node *n, const struct dmm_prefix *p, const struct lm_ctx *ctx,
	  const struct in6_addr *loc, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	const struct dmm_msg *m = ctx->m;
	const struct in6_addr *home = (m->present & DMM_P_HOME) ? &m->home : loc;
	static const struct dmm_mnid none;
	uint32_t slot = lm_slot(lm);
	struct dmm_prefix pm;
	struct lm_binding *b;
	uint8_t gen;

	if (slot == LM_NIL) {
		if (lm->hi >= lm->cap)
			dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: binding table full (%u)", lm->cap);
		else
			dmm_drop(n, DMM_C_NOMEM, now, "lm: no memory for a binding");
		return NULL;
	}
	b = &lm->b[slot - 1];
	gen = b->bits & LM_BB_GEN;
	memset(b, 0, sizeof(*b));
	b->bits = (uint8_t)(gen | ((m->flags & DMM_F_FIXED) ? LM_BB_FIXED : 0));
	b->plen = p->len;
	memcpy(b->pfx, p->addr.s6_addr, 8);
	if ((p->len > 64 && lm_x_need(lm, b) < 0) ||
	    lm_id_set(lm, b, lm_fixed(b) ? &none : &m->mnid) < 0 ||
	    lm_loc_set(lm, &b->loc, loc) < 0 || lm_loc_set(lm, &b->home, home) < 0) {
		lm_x_free(lm, b);
		lm_loc_unref(lm, b->loc);
		lm_loc_unref(lm, b->home);
		memset(b, 0, sizeof(*b));
		b->bits = gen;
		b->next_pfx = lm->free_head;
		lm->free_head = slot;
		dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: no room for the binding's locator or id");
		return NULL;
	}
	if (p->len > 64)
		memcpy(lm_x(lm, b)->pfx_lo, p->addr.s6_addr + 8, 8);
	lm->used++;
	dmm_plens_add(&lm->lens, p->len);
	if (lm->rs_nolink) { /* a bulk restore links them all at its end */
		lm->rs_unlinked = true;
		return b;
	}
	pm = lm_pfx(lm, b);
	dmm_hidx_add(&lm->by_pfx, lm->b, slot - 1, dmm_hash_prefix(&pm));
	mnid_link(lm, b);
	lm_log(n, b, LM_B_FREE, LM_B_ACTIVE, "created");
	lm_rehash(lm);
	return &lm->b[slot - 1];
}

/* ---- subscribers and notifications ---- */

static void
lm_sub_log(struct dmm_node *n, const struct lm_binding *b, const struct lm_sub *s,
	   const char *from, const char *to, const char *why)
{
	char p[DMM_PREFIX_STRLEN], a[INET6_ADDRSTRLEN];
	struct dmm_prefix pfx = lm_pfx(n->lm, b);

	dmm_log(n, DMM_LOG_DEBUG, "lm: subscriber %s of %s: %s -> %s (%s)",
		addr_str(&s->addr, a), dmm_prefix_str(&pfx, p, sizeof(p)), from, to, why);
}

/* A free subscriber slot, growing the array (bounded), or -1. */
static int
lm_sub_slot(struct dmm_node *n, struct lm_binding *b)
{
	struct lm_ext *x = lm_x(n->lm, b);
	uint32_t cap = x->subs_cap ? x->subs_cap * 2 : LM_SUBS_FIRST, old = x->subs_cap;
	struct lm_sub *subs;

	for (uint32_t i = 0; i < x->subs_cap; i++)
		if (!x->subs[i].used)
			return (int)i;
	if (x->subs_cap >= n->lm->max_subs)
		return -1;
	if (cap > n->lm->max_subs)
		cap = n->lm->max_subs;
	if (lm_x_need(n->lm, b) < 0) {
		dmm_count(n, DMM_C_NOMEM);
		return -1;
	}
	x = lm_x(n->lm, b);
	subs = realloc(x->subs, cap * sizeof(*subs));
	if (subs == NULL) {
		dmm_count(n, DMM_C_NOMEM);
		return -1;
	}
	memset(subs + old, 0, (cap - old) * sizeof(*subs));
	x->subs = subs;
	x->subs_cap = cap;
	return (int)old;
}

static void
lm_subscribe_as(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *who,
		bool restoring, dmm_time_t now);

static void
lm_subscribe(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *who,
	     dmm_time_t now)
{
	lm_subscribe_as(n, b, who, false, now);
}

/* Add (or refresh) subscriber who; persisted unless it is being restored. */
static void
lm_subscribe_as(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *who,
		bool restoring, dmm_time_t now)
{
	struct lm_ext *x = lm_x(n->lm, b);
	struct lm_sub *s;
	int i;

	for (uint32_t k = 0; k < x->subs_cap; k++)
		if (x->subs[k].used && addr_eq(&x->subs[k].addr, who)) {
			x->subs[k].since = now;
			return;
		}
	i = lm_sub_slot(n, b);
	x = lm_x(n->lm, b);
	if (i < 0) {
		uint32_t old = 0; /* full: the longest-standing subscriber makes room */
		if (x->subs_cap == 0)
			return;
		for (uint32_t k = 1; k < x->subs_cap; k++)
			if (x->subs[k].since < x->subs[old].since)
				old = k;
		dmm_count(n, DMM_C_TABLE_FULL);
		lm_sub_log(n, b, &x->subs[old], "active", "dropped", "subscribers full");
		dmm_request_cancel(n, x->subs[old].txn);
		lm_sub_persist(n, b, &x->subs[old].addr, true);
		x->subs[old].used = false;
		x->n_subs--;
		i = (int)old;
	}
	s = &x->subs[i];
	*s = (struct lm_sub){ .used = true, .addr = *who, .since = now };
	x->n_subs++;
	lm_sub_log(n, b, s, "none", "active", restoring ? "restored" : "subscribed");
	if (!restoring)
		lm_sub_persist(n, b, who, false);
}

/* The binding and subscriber a notification's cookie names, if both are
 * still the ones it was sent for (NULL otherwise). */
static struct lm_sub *
lm_sub_of(struct dmm_lm *lm, uint64_t cookie, struct lm_binding **bp)
{
	uint32_t slot = (uint32_t)(cookie >> 32) & (LM_SLOT_MAX - 1);
	uint16_t gen = (uint16_t)(cookie >> 16);
	uint32_t i = (uint32_t)cookie & 0xffff;
	struct lm_binding *b;
	struct lm_ext *x;

	if (slot >= lm->hi)
		return NULL;
	b = &lm->b[slot];
	x = lm_x(lm, b);
	if (!lm_active(b) || !(b->bits & LM_BB_EXT) || x->gen != gen || i >= x->subs_cap ||
	    !x->subs[i].used)
		return NULL;
	*bp = b;
	return &x->subs[i];
}

/* May subscriber s still cache the binding: heard from (subscribed or
 * acked) within a cache lifetime? Only then is it told again. */
static bool
lm_sub_may_cache(const struct dmm_node *n, const struct lm_sub *s, dmm_time_t now)
{
	return now < s->since + (dmm_time_t)n->cfg.timers.cache_lifetime_s * 1000;
}

/* A notification the pending table had no room for: queued, to be sent
 * LM_DEFER_MS from now (lm_defer_run). Before, it was never sent, and the
 * subscriber's cache kept the old location until the entry expired. */
static void
lm_defer(struct dmm_node *n, const struct lm_binding *b, const struct lm_sub *s,
	 uint64_t cookie, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;

	if (lm->dq_n == lm->n_fwd) {
		char p[DMM_PREFIX_STRLEN], a[INET6_ADDRSTRLEN];
		struct dmm_prefix pfx = lm_pfx(lm, b);

		dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: deferred notifications full: "
			 "subscriber %s of %s not told", addr_str(&s->addr, a),
			 dmm_prefix_str(&pfx, p, sizeof(p)));
		return;
	}
	lm->dq[(lm->dq_head + lm->dq_n++) % lm->n_fwd] =
		(struct lm_defer){ .cookie = cookie, .at = now + LM_DEFER_MS };
	lm_sub_log(n, b, s, "active", "active", "pending table full, notification deferred");
	if (now + LM_DEFER_MS < lm->next_deadline)
		lm->next_deadline = now + LM_DEFER_MS;
}

static void lm_notify_sub(struct dmm_node *n, struct lm_binding *b, uint32_t i,
			  const struct in6_addr *prev, dmm_time_t now);

/* The deferred notifications due by now, sent with the binding's location
 * now, unless one is in flight to that subscriber already (it carries the
 * newest location) or the MN is at the subscriber itself. The earliest
 * one left lowers *next. */
static void
lm_defer_run(struct dmm_node *n, dmm_time_t now, dmm_time_t *next)
{
	struct dmm_lm *lm = n->lm;
	uint32_t due = 0;

	while (due < lm->dq_n && lm->dq[(lm->dq_head + due) % lm->n_fwd].at <= now)
		due++;
	for (; due > 0; due--) { /* a send refused again is queued behind these */
		uint64_t cookie = lm->dq[lm->dq_head].cookie;
		struct lm_binding *b;
		struct lm_sub *s;

		lm->dq_head = (lm->dq_head + 1) % lm->n_fwd;
		lm->dq_n--;
		if ((s = lm_sub_of(lm, cookie, &b)) != NULL && s->txn == 0 &&
		    !addr_eq(&s->addr, lm_addr(lm, b->loc)) && lm_sub_may_cache(n, s, now))
			lm_notify_sub(n, b, (uint32_t)cookie & 0xffff, NULL, now);
	}
	if (lm->dq_n > 0 && lm->dq[lm->dq_head].at < *next)
		*next = lm->dq[lm->dq_head].at;
}

/* One LM_NOTIFY of b's location to its subscriber i, superseding the one in
 * flight; prev, the MR the binding left (NULL: a notification sent again,
 * which names none). */
static void
lm_notify_sub(struct dmm_node *n, struct lm_binding *b, uint32_t i, const struct in6_addr *prev,
	      dmm_time_t now)
{
	uint64_t slot = (uint64_t)(b - n->lm->b);
	struct lm_ext *x = lm_x(n->lm, b);
	struct lm_sub *s = &x->subs[i];
	struct dmm_msg msg = { .type = DMM_MSG_LM_NOTIFY, .flags = DMM_F_ACK_REQ,
			       .code = LM_UPN_REASON };
	uint64_t cookie = LM_CK_NOTIFY | slot << 32 | (uint64_t)x->gen << 16 | i;
	int64_t txn;

	dmm_request_cancel(n, s->txn); /* the newest location supersedes */
	s->txn = 0;
	lm_fill(n->lm, &msg, b, now);
	if (prev) {
		msg.prev_location = *prev;
		msg.present |= DMM_P_PREV_LOCATION;
	}
	txn = dmm_request(n, &s->addr, &msg, DMM_ROLE_LM, cookie, now);
	if (txn > 0) {
		s->txn = (uint32_t)txn;
		dmm_count(n, DMM_C_NOTIFY);
	} else if (txn == DMM_E_FULL) {
		lm_defer(n, b, s, cookie, now);
	}
}

static void
lm_notify(struct dmm_node *n, struct lm_binding *b, const struct in6_addr *prev,
	  dmm_time_t now)
{
	struct lm_ext *x = lm_x(n->lm, b);

	for (uint32_t i = 0; i < x->subs_cap; i++) {
		struct lm_sub *s = &x->subs[i];
		if (!s->used)
			continue;
		if (!addr_eq(&s->addr, lm_addr(n->lm, b->loc))) {
			lm_notify_sub(n, b, i, prev, now);
		} else { /* the MN is at the subscriber now: an older location must not land */
			dmm_request_cancel(n, s->txn);
			s->txn = 0;
		}
	}
}

/* The end of a notification's retransmissions. Acked: the subscriber's
 * cache entry lives a cache lifetime from now (an LM_NOTIFY renews it).
 * Never acked: while the subscriber may still hold the entry (heard from
 * within a cache lifetime), the notification is sent again, a new round of
 * retransmissions: dropping the subscriber there left its cache pointing at
 * the old location until the entry expired (one notification in 30 of
 * fig1_loss's 30 % loss, both ways, failed five tries). Only a subscriber
 * silent for a whole cache lifetime, whose entry is gone, is dropped. */
static void
lm_notify_done(struct dmm_node *n, uint64_t cookie, const struct dmm_msg *rep, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	uint32_t i = (uint32_t)cookie & 0xffff;
	struct lm_binding *b;
	struct lm_sub *s = lm_sub_of(lm, cookie, &b);

	if (s == NULL)
		return;
	s->txn = 0;
	if (rep != NULL) {
		s->since = now;
		return;
	}
	if (addr_eq(&s->addr, lm_addr(lm, b->loc)))
		return; /* the MN is at the subscriber now */
	if (lm_sub_may_cache(n, s, now)) {
		lm_sub_log(n, b, s, "active", "active", "notification never acked, sent again");
		lm_notify_sub(n, b, i, NULL, now);
		return;
	}
	lm_sub_log(n, b, s, "active", "dropped", "notification never acked");
	lm_sub_persist(n, b, &s->addr, true);
	s->used = false;
	lm_x(lm, b)->n_subs--;
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

#define LM_MAX_OTHERS (DMM_MAX_NETS * DMM_MAX_NET_LMS)

/* The LMs of every other network, each once: all of them, or (pick_for)
 * the one of each network request pick_for goes to (pick.c): the LMs of
 * a network share their bindings, one answers for all. */
static unsigned
lm_other_lms(struct dmm_node *n, struct in6_addr to[LM_MAX_OTHERS],
	     const struct dmm_msg *pick_for, dmm_time_t now)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++) {
		const struct dmm_network *net = &n->cfg.nets[i];
		unsigned c = pick_for ? 1 : dmm_net_n_lms(net);
		if ((int)i == n->cfg.local_net || dmm_net_has_lm(net, &n->cfg.self))
			continue;
		for (unsigned l = 0; l < c; l++) {
			const struct in6_addr *a = pick_for ? dmm_pick(n, (int)i, true, pick_for, now) :
							      dmm_net_lm(net, l);
			bool dup = addr_eq(a, &n->cfg.self);
			for (unsigned j = 0; j < k && !dup; j++)
				dup = addr_eq(a, &to[j]);
			if (!dup && k < LM_MAX_OTHERS)
				to[k++] = *a;
		}
	}
	return k;
}

static void
lm_fanout(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct in6_addr to[LM_MAX_OTHERS];
	unsigned k = lm_other_lms(n, to, ctx->m, now);

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
		out.present &= ~(uint32_t)(DMM_P_HNP | DMM_P_PHL | DMM_P_VER);
		out.n_hnp = out.n_phl = out.n_ver = 0;
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
	if (net == n->cfg.local_net || dmm_net_has_lm(&n->cfg.nets[net], &n->cfg.self))
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
		for (unsigned j = 0; j < n->cfg.nets[i].n_prefixes && j < DMM_MAX_NET_PREFIX; j++) {
			const struct dmm_prefix *np = &n->cfg.nets[i].prefixes[j];
			if (p->len <= np->len && dmm_prefix_contains(p, &np->addr))
				return false;
		}
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
	struct in6_addr to[LM_MAX_OTHERS];
	unsigned k;

	struct dmm_mnid tmp;

	if (!n->cfg.lm_replicate || lm_fixed(b))
		return;
	k = lm_other_lms(n, to, NULL, now);
	for (unsigned i = 0; i < k; i++) {
		struct dmm_msg m = { .type = DMM_MSG_LM_FWD, .code = DMM_MSG_LOC_UPDATE,
				     .flags = DMM_F_REPLICA, .lifetime = lifetime_s,
				     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION |
						DMM_P_HOME | DMM_P_ORIGIN,
				     .mnid = *lm_id(n->lm, b, &tmp), .n_hnp = 1,
				     .location = *lm_addr(n->lm, b->loc),
				     .home = *lm_addr(n->lm, b->home), .origin = n->cfg.self,
				     .origin_seq = b->seq };
		m.hnp[0] = lm_pfx(n->lm, b);
		dmm_request(n, &to[i], &m, DMM_ROLE_LM, 0, now);
	}
}

static struct lm_replica *
lm_rp_find(struct dmm_lm *lm, const struct dmm_mnid *id)
{
	for (uint32_t s = dmm_hidx_first(&lm->rp_idx, dmm_hash_mnid(id)); s != 0;
	     s = dmm_hidx_next(&lm->rp_idx, lm->rp, s))
		if (dmm_mnid_eq(&lm->rp[s - 1].mnid, id))
			return &lm->rp[s - 1];
	return NULL;
}

static struct lm_replica *
lm_rp_new(struct dmm_lm *lm, const struct dmm_mnid *id)
{
	uint32_t slot = lm->rp_free;
	struct lm_replica *r;

	if (slot == LM_NIL)
		return NULL;
	r = &lm->rp[slot - 1];
	lm->rp_free = r->next;
	*r = (struct lm_replica){ .used = true, .gen = r->gen, .mnid = *id };
	dmm_hidx_add(&lm->rp_idx, lm->rp, slot - 1, dmm_hash_mnid(id));
	lm->rp_used++;
	return r;
}

static void
lm_rp_free(struct dmm_lm *lm, struct lm_replica *r)
{
	uint32_t slot = (uint32_t)(r - lm->rp) + 1;
	uint8_t gen = (uint8_t)(r->gen + 1);

	dmm_hidx_del(&lm->rp_idx, lm->rp, slot - 1, dmm_hash_mnid(&r->mnid));
	memset(r, 0, sizeof(*r));
	r->gen = gen;
	r->next = lm->rp_free;
	lm->rp_free = slot;
	lm->rp_used--;
}

/* Queue r at its expiry in the replicas' wheel. */
static void
lm_rp_queue(struct dmm_node *n, const struct lm_replica *r)
{
	struct dmm_lm *lm = n->lm;
	uint32_t e = (uint32_t)(r - lm->rp) | (uint32_t)r->gen << 24;

	if (dmm_wheel_add(&lm->rp_wheel, r->expires, e) < 0)
		dmm_count(n, DMM_C_NOMEM); /* found again by a full sweep (lm_rp_timer) */
}

/* Store replicated prefix m->hnp[0] of m->mnid, or forget it (lifetime 0). */
static uint8_t
lm_rp_apply(struct dmm_node *n, const struct dmm_msg *m, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct lm_replica *r = lm_rp_find(lm, &m->mnid);
	struct dmm_prefix p = m->hnp[0];
	bool fresh = r == NULL;
	dmm_time_t old;
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
		if (i < r->n_hnp) {
			r->n_hnp--;
			r->hnp[i] = r->hnp[r->n_hnp];
			r->ver[i] = r->ver[r->n_hnp];
		}
		if (r->n_hnp == 0)
			lm_rp_free(lm, r);
		return DMM_ST_OK;
	}
	if (i == r->n_hnp && r->n_hnp < DMM_MAX_HNP)
		r->hnp[r->n_hnp++] = p;
	if (i < r->n_hnp) /* the authoritative LM's version (lm_replicate) */
		r->ver[i] = (m->present & DMM_P_ORIGIN) ? m->origin_seq : 0;
	r->location = m->location;
	r->home = (m->present & DMM_P_HOME) ? m->home : m->location;
	old = r->expires;
	r->expires = now + (dmm_time_t)lm_lifetime(n, m) * 1000;
	/* queued already at or before the new expiry: found there (lazy) */
	if (fresh || r->expires / 1000 < old / 1000)
		lm_rp_queue(n, r);
	if (r->expires < lm->next_deadline)
		lm->next_deadline = r->expires;
	return DMM_ST_OK;
}

/* ---- the LMs of one network (draft §3.2): every binding change one of
 * them accepts (created, refreshed, moved, deleted) is sent to the others,
 * which apply it as their own: a query to any of them answers, and a
 * sibling takes over the bindings of one that stops. ---- */

static bool
lm_is_sibling(const struct dmm_node *n, const struct in6_addr *a)
{
	return !addr_eq(a, &n->cfg.self) && dmm_net_has_lm(&n->cfg.nets[n->cfg.local_net], a);
}

static void
lm_sync(struct dmm_node *n, const struct lm_binding *b, uint32_t lifetime_s, dmm_time_t now)
{
	const struct dmm_network *net = &n->cfg.nets[n->cfg.local_net];
	struct dmm_mnid tmp;

	for (unsigned i = 0; i < dmm_net_n_lms(net); i++) {
		const struct in6_addr *to = dmm_net_lm(net, i);
		struct dmm_msg m = { .type = DMM_MSG_LM_FWD, .code = DMM_MSG_LOC_UPDATE,
				     .flags = DMM_F_REPLICA | (lm_fixed(b) ? DMM_F_FIXED : 0),
				     .lifetime = lifetime_s,
				     .present = DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME |
						DMM_P_ORIGIN,
				     .n_hnp = 1, .location = *lm_addr(n->lm, b->loc),
				     .home = *lm_addr(n->lm, b->home),
				     .origin = *lm_addr(n->lm, b->loc), .origin_seq = b->seq };
		if (addr_eq(to, &n->cfg.self))
			continue;
		if (!lm_fixed(b)) {
			m.mnid = *lm_id(n->lm, b, &tmp);
			m.present |= DMM_P_MNID;
		}
		m.hnp[0] = lm_pfx(n->lm, b);
		if (lm_x(n->lm, b)->phl.len) { /* routing locator: the sibling keeps it too */
			m.present |= DMM_P_PHL;
			m.n_phl = 1;
			m.phl[0] = lm_x(n->lm, b)->phl;
		}
		if (dmm_request(n, to, &m, DMM_ROLE_LM, 0, now) > 0)
			dmm_count(n, DMM_C_LM_SYNC);
	}
}

static uint8_t
lm_bind(struct dmm_node *n, const struct lm_ctx *ctx, struct dmm_prefix p,
	struct dmm_msg *rep, uint16_t *ver, dmm_time_t now);

/* A sibling's binding change: applied like an update (its subscribers
 * here are notified of a move), not passed on. */
static void
lm_sync_in(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct lm_ctx c = *ctx;
	struct dmm_msg rep = { 0 };
	uint16_t ver;

	c.sync = true;
	lm_status(n, ctx, lm_bind(n, &c, ctx->m->hnp[0], &rep, &ver, now), now);
}

/* A replica from a domain LM: kept only for a prefix of that LM's own
 * network, and only when this LM takes part in replication. */
static void
lm_replica_in(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	bool fixed = (m->flags & DMM_F_FIXED) != 0;
	int where;

	if (m->code != DMM_MSG_LOC_UPDATE || (!fixed && !(m->present & DMM_P_MNID)) ||
	    !(m->present & DMM_P_HNP) || m->n_hnp != 1 ||
	    (m->lifetime != 0 && !(m->present & DMM_P_LOCATION))) {
		dmm_drop(n, DMM_C_DROP_MALFORMED, now, "lm: malformed replica");
		return;
	}
	if (!dmm_config_plen_ok(&n->cfg, &m->hnp[0])) {
		dmm_drop(n, DMM_C_DROP_PREFIX_LEN, now, "lm: replica of a /%u prefix, not at "
			 "its network's prefix-length", m->hnp[0].len);
		lm_status(n, ctx, DMM_ST_PROHIBITED, now);
		return;
	}
	where = fixed ? (lm_fixed_ok(n, &m->hnp[0]) ? LM_HERE : LM_NOWHERE) :
			lm_where(n, &m->hnp[0].addr);
	if (where == LM_HERE && lm_is_sibling(n, &ctx->src)) {
		lm_sync_in(n, ctx, now);
		return;
	}
	if (fixed || n->lm->rp == NULL || where < 0 ||
	    !dmm_net_has_lm(&n->cfg.nets[where], &ctx->src))
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
	/* the versions it had: an update naming one the binding has since
	 * moved on from is refused, and its MR asks again */
	rep.n_ver = r->n_hnp;
	memcpy(rep.ver, r->ver, sizeof(rep.ver));
	rep.present |= DMM_P_VER;
	rep.location = r->location;
	rep.home = r->home;
	rep.lifetime = remaining_s(r->expires, now);
	dmm_log(n, DMM_LOG_DEBUG, "lm: by-mnid query answered from a replica");
	lm_answer(n, ctx, &rep, now);
	return true;
}

/* The replicas' wheel lost an entry (no memory): look at every replica,
 * once, and queue the live ones again. */
static void
lm_rp_full_sweep(struct dmm_node *n, dmm_time_t now, dmm_time_t *next)
{
	struct dmm_lm *lm = n->lm;

	dmm_wheel_clear(&lm->rp_wheel, now);
	for (uint32_t i = 0; i < lm->cap; i++) {
		struct lm_replica *r = &lm->rp[i];
		if (!r->used)
			continue;
		if (r->expires <= now) {
			lm_rp_free(lm, r);
			continue;
		}
		lm_rp_queue(n, r);
		if (r->expires < *next)
			*next = r->expires;
	}
}

/* Replicas due by now, as the bindings' (lm_wheel_sweep): only the
 * buckets of the seconds gone by; *next lowered to when to look again. */
static void
lm_rp_timer(struct dmm_node *n, dmm_time_t now, dmm_time_t *next)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_wheel_sweep sw;
	const uint32_t *es;
	uint32_t e, cnt;
	uint64_t s;

	if (lm->rp == NULL)
		return;
	if (lm->rp_wheel.count == DMM_WHEEL_LOST) {
		lm_rp_full_sweep(n, now, next);
		return;
	}
	dmm_wheel_sweep_begin(&lm->rp_wheel, &sw, now);
	while (dmm_wheel_sweep_next(&lm->rp_wheel, &sw, &e)) {
		uint32_t slot = e & LM_WHEEL_SLOT;
		struct lm_replica *r;
		if (slot >= lm->cap)
			continue;
		r = &lm->rp[slot];
		if (!r->used || r->gen != e >> 24)
			continue;
		if (r->expires <= now)
			lm_rp_free(lm, r);
		else
			lm_rp_queue(n, r);
	}
	if (!dmm_wheel_first(&lm->rp_wheel, &s, &es, &cnt))
		return;
	if ((s + 1) * 1000 < *next)
		*next = (s + 1) * 1000;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t slot = es[i] & LM_WHEEL_SLOT;
		if (slot < lm->cap && lm->rp[slot].used && lm->rp[slot].expires < *next)
			*next = lm->rp[slot].expires;
	}
}

/* The binding version an update names for prefix p (masked), 0 if none. */
static uint16_t
lm_ver_of(const struct dmm_msg *m, const struct dmm_prefix *p)
{
	if (!(m->present & DMM_P_VER))
		return 0;
	for (unsigned i = 0; i < m->n_ver && i < m->n_hnp && i < DMM_MAX_HNP; i++) {
		struct dmm_prefix q = m->hnp[i];
		dmm_prefix_mask(&q);
		if (dmm_prefix_eq(&q, p))
			return m->ver[i];
	}
	return 0;
}

/* The version after v: every accepted update bumps it; 0 stands for none. */
static uint16_t
lm_ver_next(uint16_t v)
{
	return v == UINT16_MAX ? 1 : (uint16_t)(v + 1);
}

/* Create, refresh or delete the binding of prefix p. *ver: the binding's
 * version after it (0: none), for the answer. An update naming a version
 * (the one its sender's query or last ack saw) that the binding has moved
 * on from, from another location than the binding's, is refused
 * (DMM_ST_STALE_VERSION, with the binding's location and version): an MR
 * the MN already left, or an LM forwarding for it, does not bind the prefix
 * back there after a newer move or return; the sender, if it still serves
 * the MN, tries again with the new version. */
static uint8_t
lm_bind(struct dmm_node *n, const struct lm_ctx *ctx, struct dmm_prefix p,
	struct dmm_msg *rep, uint16_t *ver, dmm_time_t now)
{
	const struct dmm_msg *m = ctx->m;
	const struct in6_addr *loc = (m->present & DMM_P_LOCATION) ? &m->location : &ctx->requester;
	struct lm_binding *b;
	struct in6_addr prev;
	bool changed = false, created = false;

	*ver = 0;
	dmm_prefix_mask(&p);
	b = lm_find(n->lm, &p);
	/* Only the MR that sent (sealed) the update may be bound, or the MR
	 * the binding points at may point it elsewhere (a give-back) or
	 * remove it; and only to an MR of the domain map. */
	if ((m->lifetime == 0 && b != NULL && !addr_eq(lm_addr(n->lm, b->loc), &ctx->requester)) ||
	    (m->lifetime != 0 && !addr_eq(loc, &ctx->requester) &&
	     (b == NULL || !addr_eq(lm_addr(n->lm, b->loc), &ctx->requester))) ||
	    (m->lifetime != 0 && !dmm_config_is_mr(&n->cfg, loc))) {
		char a[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
		dmm_drop(n, DMM_C_DROP_LOCATION, now, "lm: %s from %s refused: location %s is "
			 "not the sender's, or no MR of the domain", m->lifetime ? "update" :
			 "deregistration", addr_str(&ctx->requester, r), addr_str(loc, a));
		return DMM_ST_PROHIBITED;
	}
	if (m->lifetime != 0 && b != NULL && !ctx->sync && b->seq != 0) {
		/* (a binding of version 0, restored from a record that had
		 * none, is not checked: its refusal could name no version) */
		uint16_t v = lm_ver_of(m, &p);
		if (v != 0 && v != b->seq && !addr_eq(loc, lm_addr(n->lm, b->loc))) {
			char a[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], ps[DMM_PREFIX_STRLEN];
			dmm_log(n, DMM_LOG_INFO, "lm: update of %s to %s refused: the binding moved "
				"on (version %u, now %u at %s)", dmm_prefix_str(&p, ps, sizeof(ps)),
				addr_str(loc, a), v, b->seq, addr_str(lm_addr(n->lm, b->loc), c));
			rep->prev_location = *lm_addr(n->lm, b->loc);
			rep->present |= DMM_P_PREV_LOCATION;
			*ver = b->seq;
			return DMM_ST_STALE_VERSION;
		}
	}
	if (m->lifetime == 0) {
		if (b != NULL) {
			if (!ctx->sync) {
				lm_replicate(n, b, 0, now);
				lm_sync(n, b, 0, now);
			}
			lm_delete(n, b, "deregistered");
		}
		return DMM_ST_OK;
	}
	if (b == NULL) {
		if ((b = lm_create(n, &p, ctx, loc, now)) == NULL)
			return DMM_ST_NO_RESOURCES;
		prev = *loc;
		changed = created = true;
	} else {
		prev = *lm_addr(n->lm, b->loc);
		rep->prev_location = prev;
		rep->present |= DMM_P_PREV_LOCATION;
		if ((lm_loc_set(n->lm, &b->loc, loc) < 0) ||
		    ((m->present & DMM_P_HOME) && lm_loc_set(n->lm, &b->home, &m->home) < 0)) {
			dmm_drop(n, DMM_C_TABLE_FULL, now, "lm: locator table full");
			return DMM_ST_NO_RESOURCES;
		}
		if (!lm_fixed(b) && !lm_id_is(n->lm, b, &m->mnid) && (m->present & DMM_P_MNID)) {
			struct dmm_mnid was;
			/* the HAA gave the prefix to another MN: the newest word wins */
			lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "new MN id");
			was = *lm_id(n->lm, b, &was);
			mnid_unlink(n->lm, b);
			if (lm_id_set(n->lm, b, &m->mnid) < 0) {
				lm_id_set(n->lm, b, &was); /* fits: it did before */
				mnid_link(n->lm, b);
				dmm_drop(n, DMM_C_NOMEM, now, "lm: no memory for an MN id");
				return DMM_ST_NO_RESOURCES;
			}
			mnid_link(n->lm, b);
			changed = true;
		}
	}
	struct dmm_prefix phl = dmm_msg_phl_of(m, &p);
	int phl_rc = lm_phl_set(n->lm, b, &phl);
	if (phl_rc < 0) {
		dmm_drop(n, DMM_C_NOMEM, now, "lm: no memory for a per-host locator");
		return DMM_ST_NO_RESOURCES;
	}
	/* a sibling's copy carries its version; our own change bumps ours */
	b->seq = ctx->sync ? m->origin_seq : lm_ver_next(created ? 0 : b->seq);
	*ver = b->seq;
	lm_set_expiry(n, b, lm_lifetime(n, m), !created, now);
	if (!addr_eq(&prev, lm_addr(n->lm, b->loc)) || (phl_rc > 0 && !changed)) {
		lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "moved");
		lm_notify(n, b, &prev, now);
		changed = true;
	}
	if (changed && !ctx->sync)
		lm_replicate(n, b, lm_lifetime(n, m), now);
	if (!ctx->sync)
		lm_sync(n, b, lm_lifetime(n, m), now);
	lm_persist(n, b, false, false);
	return DMM_ST_OK;
}

/* A subscriber of a restored binding (records sort after the bindings):
 * kept as long as its binding is. */
static int
lm_restore_sub(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now)
{
	struct dmm_prefix p = r->prefix;
	struct lm_binding *b;
	struct lm_ext *x;

	if (p.len > 128)
		return DMM_E_MALFORMED;
	dmm_prefix_mask(&p);
	dmm_lm_restore_done(n); /* bindings restored in bulk: linked, for lm_find */
	if ((b = lm_find(n->lm, &p)) == NULL)
		return DMM_E_NOTFOUND;
	lm_subscribe_as(n, b, &r->peer, true, now);
	x = lm_x(n->lm, b);
	for (uint32_t i = 0; i < x->subs_cap; i++)
		if (x->subs[i].used && addr_eq(&x->subs[i].addr, &r->peer))
			return 0;
	return DMM_E_FULL;
}

/* a after b in the store's key order (address bytes, then length)? */
static bool
prefix_after(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	return c > 0 || (c == 0 && a->len > b->len);
}

/* Put back a binding a previous run persisted (PROCEDURES.md, Restart):
 * no notification, no replication (nothing changed for the domain). Its
 * subscribers come back as their own records (lm_restore_sub). */
int
dmm_lm_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .mnid = r->mnid,
			     .flags = r->fixed ? DMM_F_FIXED : 0, .present = DMM_P_HOME,
			     .home = r->home };
	struct lm_ctx ctx = { .m = &m, .src = r->peer, .type = DMM_MSG_LOC_UPDATE,
			      .requester = r->peer };
	struct dmm_prefix p = r->prefix;
	struct lm_binding *b;
	struct dmm_lm *lm;
	bool fresh = false;

	if (n->lm == NULL)
		return DMM_E_ROLE;
	if (r->kind == DMM_REC_SUBSCRIPTION)
		return r->del ? 0 : lm_restore_sub(n, r, now);
	if (r->del || r->expires <= now)
		return 0;
	if (p.len > 128 || (!r->fixed && (r->mnid.len == 0 || r->mnid.len > DMM_MNID_MAX)))
		return DMM_E_MALFORMED;
	dmm_prefix_mask(&p);
	lm = n->lm;
	if (lm->rs_sorted && lm->used == lm->rs_n && (lm->rs_n == 0 || prefix_after(&p, &lm->rs_last)))
		fresh = true; /* after every binding there: none has its prefix */
	else
		lm->rs_sorted = false;
	if (!fresh) {
		dmm_lm_restore_done(n); /* the chains whole again, for lm_find */
		if (lm_find(lm, &p) != NULL)
			return DMM_E_CONFIG;
	}
	lm->rs_nolink = fresh;
	b = lm_create(n, &p, &ctx, &r->peer, now);
	lm->rs_nolink = false;
	if (b == NULL)
		return DMM_E_NOMEM;
	if (fresh) {
		lm->rs_n++;
		lm->rs_last = p;
	}
	b->seq = r->seq;
	lm_set_expiry(n, b, 0, false, now);
	lm_exp_put(lm, b, r->expires, now); /* queued at now: found there, queued again */
	if (lm_exp(lm, b) < lm->next_deadline)
		lm->next_deadline = lm_exp(lm, b);
	lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "restored");
	return 0;
}

void
dmm_lm_set_store(struct dmm_node *n, enum dmm_lm_store st)
{
	if (n->lm != NULL)
		n->lm->store = st;
}

/* b takes the MN id of a record from the store (another MR's word on who
 * holds the prefix): relinked in the MN-id chain. */
static int
lm_apply_id(struct dmm_lm *lm, struct lm_binding *b, const struct dmm_mnid *id)
{
	struct dmm_mnid was;
	int rc;

	if (lm_fixed(b) || lm_id_is(lm, b, id))
		return 0;
	was = *lm_id(lm, b, &was);
	mnid_unlink(lm, b);
	if ((rc = lm_id_set(lm, b, id)) < 0)
		lm_id_set(lm, b, &was); /* fits: it did before */
	mnid_link(lm, b);
	return rc;
}

/* A binding another front end created: queued at its own expiry (not at
 * now, as dmm_lm_restore does before the first timer run), so applying
 * many at run time does not make the timer look at them all again. */
static int
lm_apply_new(struct dmm_node *n, const struct dmm_record *r, const struct dmm_prefix *p,
	     dmm_time_t now)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .mnid = r->mnid,
			     .flags = r->fixed ? DMM_F_FIXED : 0, .present = DMM_P_HOME,
			     .home = r->home };
	struct lm_ctx ctx = { .m = &m, .src = r->peer, .type = DMM_MSG_LOC_UPDATE,
			      .requester = r->peer };
	struct lm_binding *b = lm_create(n, p, &ctx, &r->peer, now);

	if (b == NULL)
		return DMM_E_NOMEM;
	b->seq = r->seq;
	lm_expire_at(n, b, r->expires, false, now);
	return 0;
}

int
dmm_lm_apply(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_prefix p = r->prefix;
	struct lm_binding *b;
	struct in6_addr prev;
	int rc = 0;

	if (lm == NULL || r->kind != DMM_REC_BINDING)
		return DMM_E_ROLE;
	if (p.len > 128 || (!r->del && !r->fixed && (r->mnid.len == 0 || r->mnid.len > DMM_MNID_MAX)))
		return DMM_E_MALFORMED;
	dmm_prefix_mask(&p);
	b = lm_find(lm, &p);
	lm->applying = true;
	if (r->del || r->expires <= now) {
		if (b != NULL)
			lm_delete(n, b, "removed through another front end");
	} else if (b == NULL) {
		rc = lm_apply_new(n, r, &p, now);
	} else {
		prev = *lm_addr(lm, b->loc);
		if (lm_loc_set(lm, &b->loc, &r->peer) < 0 || lm_loc_set(lm, &b->home, &r->home) < 0)
			rc = DMM_E_FULL;
		else if ((rc = lm_apply_id(lm, b, &r->mnid)) == 0) {
			b->seq = r->seq;
			lm_expire_at(n, b, r->expires, true, now);
			if (!addr_eq(&prev, lm_addr(lm, b->loc))) {
				lm_log(n, b, LM_B_ACTIVE, LM_B_ACTIVE, "moved through another front end");
				lm_notify(n, b, &prev, now);
			}
		}
	}
	lm->applying = false;
	return rc;
}

/* A shared store that cannot take a write: the update is refused, and
 * counted (a log line at most once a second, dmm_drop's rate limit). */
static bool
lm_store_refuses(struct dmm_node *n, dmm_time_t now)
{
	if (n->lm->store != DMM_LM_STORE_DOWN && n->lm->store != DMM_LM_STORE_LOADING)
		return false;
	dmm_drop(n, DMM_C_LM_STORE_REFUSED, now, "lm: update refused: the binding store is %s",
		 n->lm->store == DMM_LM_STORE_DOWN ? "unreachable" : "still loading");
	return true;
}

/* BY_MNID update without prefix: every binding of that MN. */
static void
lm_update_by_mnid(struct dmm_node *n, const struct lm_ctx *ctx, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_msg rep = { .status = DMM_ST_NOT_FOUND, .mnid = ctx->m->mnid,
			       .present = DMM_P_MNID };
	uint32_t s = dmm_hidx_first(&lm->by_mnid, dmm_hash_mnid(&ctx->m->mnid));
	bool found = false;

	while (s != LM_NIL) {
		struct lm_binding *b = &lm->b[s - 1];
		uint16_t ver;
		uint8_t st;
		s = dmm_hidx_next(&lm->by_mnid, lm->b, s); /* b may be deleted below */
		if (lm_fixed(b) || !lm_id_is(lm, b, &ctx->m->mnid))
			continue;
		if (rep.n_hnp < DMM_MAX_HNP) {
			rep.hnp[rep.n_hnp++] = lm_pfx(lm, b);
			rep.present |= DMM_P_HNP;
		}
		st = lm_bind(n, ctx, lm_pfx(lm, b), &rep, &ver, now);
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
		sub.n_phl = 0;
		sub.n_ver = 0;
		for (unsigned j = i; j < m->n_hnp; j++)
			if (where[j] == where[i]) {
				if (m->present & DMM_P_PHL)
					sub.phl[sub.n_phl++] = dmm_msg_phl_of(m, &m->hnp[j]);
				if (m->present & DMM_P_VER)
					sub.ver[sub.n_ver++] = j < m->n_ver ? m->ver[j] : 0;
				sub.hnp[sub.n_hnp++] = m->hnp[j];
				done[j] = true;
			}
		lm_forward(n, ctx, &sub, dmm_pick(n, where[i], true, &sub, now), 1,
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

	if (dmm_lacks_node_key(n, m)) {
		dmm_drop(n, DMM_C_DROP_NODE_KEY, now, "lm: update sealed with the domain key, "
			 "not the sender's node key");
		lm_status(n, ctx, DMM_ST_PROHIBITED, now);
		return;
	}
	if (!(m->present & DMM_P_HNP) || m->n_hnp == 0) {
		if ((m->flags & DMM_F_BY_MNID) && (m->present & DMM_P_MNID) &&
		    lm_store_refuses(n, now))
			lm_status(n, ctx, DMM_ST_NO_RESOURCES, now);
		else if ((m->flags & DMM_F_BY_MNID) && (m->present & DMM_P_MNID))
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
		if (!(m->flags & DMM_F_FIXED) && !dmm_config_plen_ok(&n->cfg, &m->hnp[i])) {
			dmm_drop(n, DMM_C_DROP_PREFIX_LEN, now, "lm: update of a /%u prefix, not "
				 "at its network's prefix-length", m->hnp[i].len);
			lm_status(n, ctx, DMM_ST_PROHIBITED, now);
			return;
		}
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
	if (here && lm_store_refuses(n, now)) {
		lm_status(n, ctx, DMM_ST_NO_RESOURCES, now);
		return;
	}
	if (foreign)
		lm_update_forward(n, ctx, where, here, now);
	if (!here)
		return;
	for (unsigned i = 0; i < m->n_hnp; i++) {
		uint16_t ver;
		uint8_t st;
		if (where[i] != LM_HERE)
			continue;
		st = lm_bind(n, ctx, m->hnp[i], &rep, &ver, now);
		if (st != DMM_ST_OK)
			rep.status = st;
		if (ver != 0) /* the binding's version now, for the sender's next update */
			lm_rep_ver(&rep, ver);
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
	uint32_t s = dmm_hidx_first(&lm->by_mnid, dmm_hash_mnid(&ctx->m->mnid));

	for (; s != LM_NIL; s = dmm_hidx_next(&lm->by_mnid, lm->b, s)) {
		struct lm_binding *b = &lm->b[s - 1];
		if (lm_fixed(b) || !lm_id_is(lm, b, &ctx->m->mnid))
			continue;
		if (ctx->m->flags & DMM_F_SUBSCRIBE)
			lm_subscribe(n, b, &ctx->requester, now);
		lm_fill(n->lm, &rep, b, now);
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

	if (n->lm->store == DMM_LM_STORE_LOADING) {
		dmm_drop(n, DMM_C_LM_STORE_REFUSED, now,
			 "lm: query dropped: the binding store is still loading");
		return;
	}
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
			lm_forward(n, ctx, m, dmm_pick(n, where, true, m, now), 1, LM_FWD_RELAY,
				   now);
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
	lm_fill(n->lm, &rep, b, now);
	if (lm_fixed(b))
		rep.flags |= DMM_F_FIXED;
	rep.target = m->target;
	rep.present |= DMM_P_TARGET;
	lm_answer(n, ctx, &rep, now);
}

/* ---- entry points ---- */

static bool
lm_is_peer(const struct dmm_node *n, const struct in6_addr *a)
{
	return dmm_config_is_lm(&n->cfg, a);
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
		lm_notify_done(n, cookie, rep, now);
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

/* Room for count more bindings in one step (a bulk restore): the record
 * array and both chains' buckets sized as growing one binding at a time
 * would leave them, so that creating them neither copies the array nor
 * rehashes the chains again and again. Capped at limits.max_bindings. */
int
dmm_lm_reserve(struct dmm_node *n, uint32_t count)
{
	struct dmm_lm *lm = n->lm;
	uint64_t want;
	uint32_t buckets;

	if (lm == NULL)
		return DMM_E_ROLE;
	want = (uint64_t)lm->used + count;
	if (want > lm->cap)
		want = lm->cap;
	if (want > lm->alloc) {
		struct lm_binding *b = realloc(lm->b, (size_t)want * sizeof(*b));
		if (b == NULL)
			return DMM_E_NOMEM;
		lm->b = b;
		lm->alloc = (uint32_t)want;
	}
	buckets = lm_buckets_for(lm, want);
	if (buckets > lm->by_pfx.mask + 1 && lm_relink(lm, buckets) < 0)
		return DMM_E_NOMEM;
	lm->rs_sorted = lm->used == 0;
	lm->rs_n = 0;
	return 0;
}

/* End of a bulk restore: link what it created unlinked, on as many
 * buckets as growing one binding at a time would have made. */
void
dmm_lm_restore_done(struct dmm_node *n)
{
	struct dmm_lm *lm = n->lm;
	uint32_t buckets;

	if (lm == NULL || !lm->rs_unlinked)
		return;
	lm->rs_unlinked = false;
	lm->rs_sorted = false;
	buckets = lm_buckets_for(lm, lm->used);
	if (buckets == lm->by_pfx.mask + 1 || lm_relink(lm, buckets) < 0)
		lm_relink(lm, 0);
}

int
dmm_lm_new(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = calloc(1, sizeof(*lm));
	uint32_t buckets = LM_FIRST_BUCKETS;
	int rc = 0;

	if (lm == NULL)
		return DMM_E_NOMEM;
	n->lm = lm;
	/* wheel entries hold 24 bits of slot (limits are at most 2^24) */
	lm->cap = n->cfg.limits.max_bindings <= LM_WHEEL_SLOT + 1 ? n->cfg.limits.max_bindings
								  : LM_WHEEL_SLOT + 1;
	lm->n_fwd = n->cfg.limits.max_pending < LM_SLOT_MAX ? n->cfg.limits.max_pending
							    : LM_SLOT_MAX - 1;
	lm->max_subs = n->cfg.limits.max_subscribers < LM_SUBS_MAX ?
		       n->cfg.limits.max_subscribers : LM_SUBS_MAX;
	lm->t_base = now;
	/* the records, the indexes' buckets, extras and locators grow with use */
	rc |= dmm_hidx_init(&lm->by_pfx, sizeof(*lm->b), offsetof(struct lm_binding, next_pfx),
			    LM_FIRST_BUCKETS);
	rc |= dmm_hidx_init(&lm->by_mnid, sizeof(*lm->b), offsetof(struct lm_binding, next_mnid),
			    LM_FIRST_BUCKETS);
	rc |= dmm_hidx_init(&lm->ext_idx, sizeof(*lm->ext), offsetof(struct lm_ext, next),
			    LM_FIRST_BUCKETS);
	rc |= dmm_hidx_init(&lm->loc_idx, sizeof(*lm->loc), offsetof(struct lm_loc, next),
			    LM_FIRST_BUCKETS);
	rc |= dmm_wheel_init(&lm->wheel, LM_WHEEL, 1000, now);
	lm->ext_alloc = 4;
	lm->ext = calloc(lm->ext_alloc, sizeof(*lm->ext));
	lm->loc_alloc = 16;
	lm->loc = calloc(lm->loc_alloc, sizeof(*lm->loc));
	lm->fwd = calloc(lm->n_fwd ? lm->n_fwd : 1, sizeof(*lm->fwd));
	lm->dq = calloc(lm->n_fwd ? lm->n_fwd : 1, sizeof(*lm->dq));
	if (n->cfg.lm_replicate) {
		while (buckets < lm->cap)
			buckets <<= 1;
		lm->rp = calloc(lm->cap ? lm->cap : 1, sizeof(*lm->rp));
		rc |= dmm_hidx_init(&lm->rp_idx, sizeof(*lm->rp), offsetof(struct lm_replica, next),
				    buckets);
		rc |= dmm_wheel_init(&lm->rp_wheel, LM_WHEEL, 1000, now);
		if (rc != 0 || !lm->rp) {
			dmm_lm_free(n);
			return DMM_E_NOMEM;
		}
		for (uint32_t i = 0; i < lm->cap; i++)
			lm->rp[i].next = i + 2 <= lm->cap ? i + 2 : LM_NIL;
		lm->rp_free = lm->cap ? 1 : LM_NIL;
	}
	if (rc != 0 || !lm->ext || !lm->loc || !lm->fwd || !lm->dq) {
		dmm_lm_free(n);
		return DMM_E_NOMEM;
	}
	lm->free_head = LM_NIL;
	lm->next_deadline = DMM_TIME_NEVER;
	return 0;
}

void
dmm_lm_free(struct dmm_node *n)
{
	struct dmm_lm *lm = n->lm;

	if (lm == NULL)
		return;
	for (uint32_t i = 1; lm->ext != NULL && i <= lm->ext_hi; i++)
		free(lm->ext[i].subs);
	dmm_wheel_fini(&lm->wheel);
	dmm_hidx_fini(&lm->by_pfx);
	dmm_hidx_fini(&lm->by_mnid);
	dmm_hidx_fini(&lm->ext_idx);
	dmm_hidx_fini(&lm->loc_idx);
	dmm_hidx_fini(&lm->rp_idx);
	dmm_wheel_fini(&lm->rp_wheel);
	free(lm->b);
	free(lm->ext);
	free(lm->loc);
	free(lm->fwd);
	free(lm->dq);
	free(lm->rp);
	free(lm);
	n->lm = NULL;
}

/* When to look again: nothing is due before the earliest expiry in the
 * first bucket holding anything, nor before that bucket's second ends
 * (any binding queued later expires later). */
static dmm_time_t
lm_wheel_next(const struct dmm_lm *lm)
{
	const uint32_t *e;
	uint32_t cnt;
	uint64_t s;
	dmm_time_t next;

	if (!dmm_wheel_first(&lm->wheel, &s, &e, &cnt))
		return DMM_TIME_NEVER;
	next = (s + 1) * 1000;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t slot = e[i] & LM_WHEEL_SLOT;
		if (slot < lm->hi && lm_active(&lm->b[slot]) && lm_exp(lm, &lm->b[slot]) < next)
			next = lm_exp(lm, &lm->b[slot]);
	}
	return next;
}

/* Bindings due by now: only the wheel's buckets of the seconds gone by are
 * looked at. An entry whose binding was refreshed meanwhile is queued again
 * at its new expiry; one of a freed slot is dropped. Returns when to look
 * again. */
static dmm_time_t
lm_wheel_sweep(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	struct dmm_wheel_sweep sw;
	uint32_t e;

	dmm_wheel_sweep_begin(&lm->wheel, &sw, now);
	while (dmm_wheel_sweep_next(&lm->wheel, &sw, &e)) {
		uint32_t slot = e & LM_WHEEL_SLOT;
		struct lm_binding *b;
		if (slot >= lm->hi)
			continue;
		b = &lm->b[slot];
		if (!lm_active(b) || lm_gen(b) != e >> 24)
			continue;
		if (lm_exp(lm, b) <= now) {
			dmm_count(n, DMM_C_BINDING_EXPIRED);
			lm_delete(n, b, "expired");
		} else {
			wheel_add(n, b);
		}
	}
	return lm_wheel_next(lm);
}

/* The wheel lost an entry (no memory): look at every binding, once. */
static dmm_time_t
lm_full_sweep(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;

	dmm_wheel_clear(&lm->wheel, now);
	for (uint32_t i = 0; i < lm->hi; i++) {
		struct lm_binding *b = &lm->b[i];
		if (!lm_active(b))
			continue;
		if (lm_exp(lm, b) <= now) {
			dmm_count(n, DMM_C_BINDING_EXPIRED);
			lm_delete(n, b, "expired");
			continue;
		}
		wheel_add(n, b);
	}
	return lm->wheel.count > 0 ? (now / 1000 + 1) * 1000 : DMM_TIME_NEVER;
}

void
dmm_lm_timer(struct dmm_node *n, dmm_time_t now)
{
	struct dmm_lm *lm = n->lm;
	dmm_time_t next;

	if (lm == NULL || now < lm->next_deadline)
		return;
	next = lm->wheel.count == DMM_WHEEL_LOST ? lm_full_sweep(n, now) : lm_wheel_sweep(n, now);
	lm_rp_timer(n, now, &next);
	lm_defer_run(n, now, &next);
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

	for (uint32_t i = 0; lm != NULL && i < lm->hi; i++) {
		const struct lm_binding *b = &lm->b[i];
		struct dmm_binding_view v;
		struct dmm_mnid tmp;
		if (!lm_active(b))
			continue;
		v = (struct dmm_binding_view){
			.prefix = lm_pfx(lm, b), .mnid = *lm_id(lm, b, &tmp),
			.location = *lm_addr(lm, b->loc), .home = *lm_addr(lm, b->home),
			.fixed = lm_fixed(b), .seq = b->seq, .expires = lm_exp(lm, b),
			.n_subscribers = lm_x(lm, b)->n_subs, .phl = lm_x(lm, b)->phl,
		};
		cb(ctx, &v);
	}
}

/* Bytes the LM's binding structures take now (records, the indexes'
 * buckets, extras, locators, the expiry wheel's entries), and the
 * bindings in use: memory per binding as the structure sees it
 * (docs/BENCHMARKS.md). */
size_t
dmm_lm_footprint(const struct dmm_node *n, uint32_t *bindings)
{
	const struct dmm_lm *lm = n->lm;

	*bindings = lm ? lm->used : 0;
	if (lm == NULL)
		return 0;
	return (size_t)lm->hi * sizeof(*lm->b) + dmm_hidx_bytes(&lm->by_pfx) +
	       dmm_hidx_bytes(&lm->by_mnid) + (size_t)lm->ext_alloc * sizeof(*lm->ext) +
	       dmm_hidx_bytes(&lm->ext_idx) + (size_t)lm->loc_alloc * sizeof(*lm->loc) +
	       dmm_hidx_bytes(&lm->loc_idx) + dmm_wheel_bytes(&lm->wheel);
}

const struct dmm_role_ops dmm_lm_ops = {
	.role = DMM_ROLE_LM,
	.records = 1u << DMM_REC_BINDING | 1u << DMM_REC_SUBSCRIPTION,
	.create = dmm_lm_new,
	.free = dmm_lm_free,
	.on_request = dmm_lm_on_request,
	.on_reply = dmm_lm_on_reply,
	.timer = dmm_lm_timer,
	.deadline = dmm_lm_deadline,
	.restore = dmm_lm_restore,
	.restore_hint = dmm_lm_reserve,
	.restore_done = dmm_lm_restore_done,
};
