/* dmm core, internal: the one table module every role keeps its state in.
 *
 * struct dmm_tbl: fixed-size slots allocated once (calloc: pages stay
 * untouched until used, so a big configured limit costs nothing until it
 * fills), each with a generation: an object's id (48 bits: generation and
 * slot) finds it in O(1), and an id of an object that is gone, or whose
 * slot was reused, finds nothing. The lowest free slot is reused first.
 * Up to DMM_TBL_HEAPS binary min-heaps order the live slots by keys a
 * callback computes (a deadline, an eviction rank): the smallest key is
 * read in O(1).
 *
 * Keys are kept fresh by one rule: every mutable pointer into the table is
 * obtained through dmm_tbl_at / dmm_tbl_get / dmm_tbl_alloc, which marks
 * the slot dirty; dmm_tbl_flush recomputes the keys of the dirty slots
 * only. A role flushes at the end of each of its entry points (and before
 * it reads a heap), so a caller never pays for objects an event did not
 * touch. dmm_tbl_peek gives a read-only pointer that marks nothing.
 *
 * struct dmm_hmap: a multimap from a 64-bit key (an exact key, or a hash
 * the caller verifies against the object) to slots, chained, buckets
 * doubling with the entries. struct dmm_pidx: prefixes to slots, exact and
 * longest-prefix match over the prefix lengths in use (one hash probe per
 * length in use, longest first).
 *
 * For tables of millions of small records, where dmm_tbl's bookkeeping
 * (40 bytes a slot) and dmm_hmap's entries (16 bytes) cost more than the
 * records: struct dmm_hidx, an intrusive index over the caller's own
 * array (a u32 link in each record, u32 buckets); struct dmm_plens, the
 * prefix lengths in use, for a longest-prefix match over such an index;
 * struct dmm_wheel, an expiry wheel of u32 entries.
 *
 * Deleting the entry an iterator just returned is allowed; deleting others
 * (or adding any) while iterating is not. No I/O, no globals, no callbacks into the node. */
#ifndef DMM_TABLE_H
#define DMM_TABLE_H

#include "types.h"

#define DMM_TBL_HEAPS 2
#define DMM_TBL_MAX_SLOTS ((1u << 25) - 2) /* slot + 1 fits the id's 25 bits */
#define DMM_TBL_NONE UINT32_MAX
#define DMM_KEY_NONE UINT64_MAX /* a key callback's "not in this heap" */

/* Key of the object in heap h (0 .. nheaps-1); DMM_KEY_NONE: absent. */
typedef uint64_t (*dmm_tbl_key_fn)(const void *elem, unsigned h);

struct dmm_tbl_meta {
	uint32_t gen;   /* generation of the slot's current (or next) object */
	uint8_t flags;
	uint32_t pos[DMM_TBL_HEAPS]; /* index in heap h + 1, 0: not in it */
	uint64_t key[DMM_TBL_HEAPS];
};

struct dmm_tbl {
	size_t esz;
	uint32_t max, hi, live;
	uint8_t *mem;               /* max * esz */
	struct dmm_tbl_meta *meta;  /* max */
	uint32_t *freeh, nfree;     /* free slots below hi: min-heap */
	uint32_t *dirty, ndirty, capdirty;
	uint32_t *due, capdue;      /* dmm_tbl_due's answer */
	unsigned nheaps;
	dmm_tbl_key_fn key;
	uint32_t *heap[DMM_TBL_HEAPS], nheap[DMM_TBL_HEAPS];
};

/* 0 or DMM_E_NOMEM / DMM_E_CONFIG (max 0 or above DMM_TBL_MAX_SLOTS). */
int dmm_tbl_init(struct dmm_tbl *t, size_t esz, uint32_t max, unsigned nheaps,
		 dmm_tbl_key_fn key);
void dmm_tbl_fini(struct dmm_tbl *t);

/* A zeroed slot (marked dirty), *id its object's id; NULL when full. */
void *dmm_tbl_alloc(struct dmm_tbl *t, uint64_t *id);
/* The object goes: its slot is zeroed, out of every heap, its id dead. */
void dmm_tbl_free(struct dmm_tbl *t, void *elem);
/* The live object with this id (marked dirty), or NULL. */
void *dmm_tbl_get(struct dmm_tbl *t, uint64_t id);
uint64_t dmm_tbl_id(const struct dmm_tbl *t, uint32_t slot);

static inline uint32_t dmm_tbl_slot(const struct dmm_tbl *t, const void *elem)
{
	return (uint32_t)(((const uint8_t *)elem - t->mem) / t->esz);
}
static inline bool dmm_tbl_live(const struct dmm_tbl *t, uint32_t slot)
{
	return slot < t->hi && (t->meta[slot].flags & 1);
}
/* Live slot -> object, marked dirty (mutable) or not (peek). */
void *dmm_tbl_at(struct dmm_tbl *t, uint32_t slot);
static inline const void *dmm_tbl_peek(const struct dmm_tbl *t, uint32_t slot)
{
	return t->mem + (size_t)slot * t->esz;
}
/* Recompute the keys of the dirty slots. */
void dmm_tbl_flush(struct dmm_tbl *t);
/* Smallest key of heap h, DMM_KEY_NONE if empty (after a flush). */
static inline uint64_t dmm_tbl_min(const struct dmm_tbl *t, unsigned h)
{
	return t->nheap[h] ? t->meta[t->heap[h][0]].key[h] : DMM_KEY_NONE;
}
/* Its slot (smallest key, then lowest slot), DMM_TBL_NONE if empty. */
static inline uint32_t dmm_tbl_top(const struct dmm_tbl *t, unsigned h)
{
	return t->nheap[h] ? t->heap[h][0] : DMM_TBL_NONE;
}
/* Flush, then take every slot whose key in heap h is <= limit out of it
 * (marked dirty: the next flush puts each back with its new key). Returns
 * how many, their slots in ascending order in *out (valid until the next
 * call). The caller checks dmm_tbl_live before using each. */
uint32_t dmm_tbl_due(struct dmm_tbl *t, unsigned h, uint64_t limit, const uint32_t **out);

/* ---- multimap: 64-bit key -> slot ---- */
struct dmm_hent {
	uint64_t key;
	uint32_t val;
	uint32_t next; /* entry index + 1, 0: end of chain */
};

struct dmm_hmap {
	uint32_t nb, n, cap;
	uint32_t free; /* entry index + 1 of the first free one */
	uint32_t *bucket;
	struct dmm_hent *ent;
};

void dmm_hmap_init(struct dmm_hmap *m);
void dmm_hmap_fini(struct dmm_hmap *m);
/* 0 or DMM_E_NOMEM. The same (key, val) twice is two entries. */
int dmm_hmap_add(struct dmm_hmap *m, uint64_t key, uint32_t val);
/* Remove one (key, val) entry; false if there is none. */
bool dmm_hmap_del(struct dmm_hmap *m, uint64_t key, uint32_t val);
/* Iterate the values of key: it = 0, then while (dmm_hmap_next(m, key, &it, &val)). */
bool dmm_hmap_next(const struct dmm_hmap *m, uint64_t key, uint32_t *it, uint32_t *val);
size_t dmm_hmap_bytes(const struct dmm_hmap *m);

/* ---- prefixes -> slots: exact and longest-prefix match ---- */
struct dmm_pidx {
	struct dmm_hmap map;     /* key: dmm_pidx_hash(masked prefix) */
	unsigned n_lens;
	uint8_t *lens;           /* lengths in use, longest first */
	uint32_t *count;         /* entries of each */
};

uint64_t dmm_pidx_hash(const struct dmm_prefix *p); /* p masked */
uint64_t dmm_mnid_key(const struct dmm_mnid *id);

void dmm_pidx_init(struct dmm_pidx *x);
void dmm_pidx_fini(struct dmm_pidx *x);
/* p need not be masked. 0 or DMM_E_NOMEM. */
int dmm_pidx_add(struct dmm_pidx *x, const struct dmm_prefix *p, uint32_t slot);
bool dmm_pidx_del(struct dmm_pidx *x, const struct dmm_prefix *p, uint32_t slot);

struct dmm_pidx_it {
	struct in6_addr a;
	int cur;        /* length being probed, -1 before the first */
	uint8_t minlen, maxlen;
	uint64_t key;
	uint32_t e;     /* hmap iterator within the current length */
};
/* Slots whose prefix, of a length in [minlen, maxlen], contains a: longest
 * first (then in chain order). The caller verifies the object (the key is
 * a hash). */
void dmm_pidx_match(const struct dmm_pidx *x, struct dmm_pidx_it *it,
		    const struct in6_addr *a, uint8_t minlen, uint8_t maxlen);
bool dmm_pidx_next(const struct dmm_pidx *x, struct dmm_pidx_it *it, uint32_t *slot,
		   uint8_t *len);
/* Is any prefix longer than len in use? (Prefixes inside a shorter one
 * cannot be found by hashing: a caller that needs them scans.) */
bool dmm_pidx_longer(const struct dmm_pidx *x, uint8_t len);
size_t dmm_pidx_bytes(const struct dmm_pidx *x);

/* ---- intrusive hash index over a caller's record array ----
 *
 * struct dmm_hidx chains the records of an array the caller owns (and may
 * move: every call is given its base) by a 32-bit hash the caller
 * computes. Buckets are u32 (record slot + 1, 0: end of chain); the next
 * link is a u32 field of the record itself, at link_off. What it costs:
 * that field in each record, and 4 bytes per bucket. A record is pushed at
 * the front of its chain, and a rebuild links the records in slot order,
 * so the chains' order depends only on the operations made. The caller
 * compares its keys while walking a chain. */
struct dmm_hidx {
	uint32_t *head;         /* mask + 1 buckets */
	uint32_t mask;
	uint32_t n;             /* records linked */
	uint32_t esz, link_off; /* record size; offset of its u32 link */
};

/* buckets: a power of two. 0 or DMM_E_NOMEM / DMM_E_CONFIG. */
int dmm_hidx_init(struct dmm_hidx *x, size_t esz, size_t link_off, uint32_t buckets);
void dmm_hidx_fini(struct dmm_hidx *x);

static inline uint32_t *dmm_hidx_link(const struct dmm_hidx *x, const void *recs, uint32_t slot)
{
	return (uint32_t *)(void *)((uint8_t *)(uintptr_t)recs + (size_t)slot * x->esz +
				    x->link_off);
}
/* The first record of hash's chain, as slot + 1 (0: none). */
static inline uint32_t dmm_hidx_first(const struct dmm_hidx *x, uint32_t hash)
{
	return x->head[hash & x->mask];
}
/* The record after s (a slot + 1) in its chain, as slot + 1 (0: none). */
static inline uint32_t dmm_hidx_next(const struct dmm_hidx *x, const void *recs, uint32_t s)
{
	return *dmm_hidx_link(x, recs, s - 1);
}
/* Link record slot under hash (at the front of its chain). */
void dmm_hidx_add(struct dmm_hidx *x, void *recs, uint32_t slot, uint32_t hash);
/* Unlink it; false if it is not in hash's chain. */
bool dmm_hidx_del(struct dmm_hidx *x, void *recs, uint32_t slot, uint32_t hash);
/* Buckets for n records, at most load per bucket: the present count,
 * doubled as often as needed, never above max (a power of two). */
uint32_t dmm_hidx_want(const struct dmm_hidx *x, uint64_t n, uint32_t load, uint32_t max);

/* A record's hash in each of the indexes being rebuilt (hash[0 .. nx-1]);
 * false: the record is in none of them (a free one). */
typedef bool (*dmm_hidx_hash_fn)(const void *ctx, uint32_t slot, uint32_t *hash);
#define DMM_HIDX_REBUILD_MAX 4
/* Rebuild nx (<= DMM_HIDX_REBUILD_MAX) indexes over the same records in
 * one pass: index i on buckets[i] buckets (0: as many as now), emptied,
 * then every record of recs[0 .. nrec) that hash accepts linked, in slot
 * order, the buckets of the next 32 records prefetched. 0, or
 * DMM_E_NOMEM / DMM_E_CONFIG with every index as it was. */
int dmm_hidx_rebuild(struct dmm_hidx *const *xs, const uint32_t *buckets, unsigned nx,
		     void *recs, uint32_t nrec, dmm_hidx_hash_fn hash, const void *ctx);
size_t dmm_hidx_bytes(const struct dmm_hidx *x);

/* ---- prefix lengths in use, and longest-prefix match over an index ---- */
struct dmm_plens {
	uint32_t count[129]; /* prefixes of each length */
	uint64_t bits[3];    /* bit l: count[l] > 0 */
};

void dmm_plens_add(struct dmm_plens *l, uint8_t len);
void dmm_plens_del(struct dmm_plens *l, uint8_t len);
/* The longest length in use shorter than below (129: of all), or -1. */
int dmm_plens_below(const struct dmm_plens *l, int below);

/* Does record slot hold prefix p (masked)? */
typedef bool (*dmm_hidx_pfx_fn)(const void *ctx, uint32_t slot, const struct dmm_prefix *p);
/* The record holding exactly p (masked), in an index keyed by
 * dmm_hash_prefix: its slot, or DMM_TBL_NONE. */
uint32_t dmm_hidx_find_prefix(const struct dmm_hidx *x, const void *recs,
			      const struct dmm_prefix *p, dmm_hidx_pfx_fn is, const void *ctx);
/* The record whose prefix contains a, longest first: one probe per length
 * in use (l). Its slot, or DMM_TBL_NONE. */
uint32_t dmm_hidx_lpm(const struct dmm_hidx *x, const void *recs, const struct dmm_plens *l,
		      const struct in6_addr *a, dmm_hidx_pfx_fn is, const void *ctx);

/* ---- expiry wheel ----
 *
 * struct dmm_wheel: nb buckets of tick ms each, an entry (a u32 the caller
 * defines: a slot and a generation, say) queued in the bucket of its time,
 * clamped to the wheel's span [cur, cur + nb) ticks (an entry beyond it
 * comes back when the last bucket is swept; the caller queues it again).
 * Entries are not removed one by one: the caller drops the stale ones the
 * sweep hands it (lazy). A sweep takes only the buckets of the ticks gone
 * by; the first bucket holding anything is found from a bitmap. */
struct dmm_wheel_bucket {
	uint32_t *e, n, cap;
};
struct dmm_wheel {
	struct dmm_wheel_bucket *b;
	uint64_t *full;  /* bit k: bucket k holds entries */
	uint32_t nb, tick;
	uint64_t cur;    /* first tick not yet swept */
	uint64_t count;  /* entries queued, DMM_WHEEL_LOST once one could not be */
};
#define DMM_WHEEL_LOST UINT64_MAX

/* 0 or DMM_E_NOMEM / DMM_E_CONFIG (nb or tick 0). */
int dmm_wheel_init(struct dmm_wheel *w, uint32_t nb, uint32_t tick, uint64_t now);
void dmm_wheel_fini(struct dmm_wheel *w);
/* Queue entry at time when. 0, or DMM_E_NOMEM: the entry is lost and
 * count is DMM_WHEEL_LOST until dmm_wheel_clear (the caller then looks at
 * every object once). */
int dmm_wheel_add(struct dmm_wheel *w, uint64_t when, uint32_t entry);
/* Every entry dropped, the wheel starting at now's tick. */
void dmm_wheel_clear(struct dmm_wheel *w, uint64_t now);

struct dmm_wheel_sweep {
	uint64_t t, end;
	uint32_t *e, n, i;
	bool started;
};
/* Hand over the entries of every bucket from the first tick not swept to
 * now's (the last nb ticks at most), bucket by bucket: begin, then next
 * until it returns false (run it to the end: it frees what it took). An
 * entry the caller queues again meanwhile goes to a bucket at or after the
 * one being swept (maybe that one: it comes back in the next sweep). */
void dmm_wheel_sweep_begin(struct dmm_wheel *w, struct dmm_wheel_sweep *sw, uint64_t now);
bool dmm_wheel_sweep_next(struct dmm_wheel *w, struct dmm_wheel_sweep *sw, uint32_t *entry);
/* The first bucket holding entries, from tick cur on: true, its tick and
 * entries (valid until the next change of the wheel); false if empty. */
bool dmm_wheel_first(const struct dmm_wheel *w, uint64_t *tick, const uint32_t **e,
		     uint32_t *n);
/* Bytes of the entries' arrays (the bucket headers are a fixed cost). */
size_t dmm_wheel_bytes(const struct dmm_wheel *w);

#endif
