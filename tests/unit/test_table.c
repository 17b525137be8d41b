/* core/table.c: slots with generation ids, key heaps (checked against a
 * brute-force scan over random operations), the multimap and the prefix
 * index's exact and longest-prefix match; the intrusive index, the prefix
 * lengths' longest match and the expiry wheel, each against a scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

struct obj {
	uint64_t id;
	uint64_t deadline;
	uint64_t rank;
};

static uint64_t obj_key(const void *e, unsigned h)
{
	const struct obj *o = e;

	return h == 0 ? o->deadline : o->rank;
}

static struct dmm_prefix P(const char *s)
{
	struct dmm_prefix p;

	assert_int_equal(dmm_prefix_parse(s, &p), 0);
	return p;
}

#define PP(s) (&(struct dmm_prefix[1]){ P(s) }[0])

static struct in6_addr A(const char *s)
{
	return P(s).addr;
}

static void test_ids_and_reuse(void **state)
{
	struct dmm_tbl t;
	struct obj *a, *b, *c;
	uint64_t ia, ib, ic;

	(void)state;
	assert_int_equal(dmm_tbl_init(&t, sizeof(struct obj), 0, 1, obj_key), DMM_E_CONFIG);
	assert_int_equal(dmm_tbl_init(&t, sizeof(struct obj), 3, 1, obj_key), 0);
	a = dmm_tbl_alloc(&t, &ia);
	b = dmm_tbl_alloc(&t, &ib);
	c = dmm_tbl_alloc(&t, &ic);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_null(dmm_tbl_alloc(&t, NULL)); /* full */
	assert_int_equal(t.live, 3);
	assert_ptr_equal(dmm_tbl_get(&t, ib), b);
	assert_null(dmm_tbl_get(&t, 0));
	assert_null(dmm_tbl_get(&t, ib + 7)); /* no such slot */
	b->deadline = 42;
	dmm_tbl_free(&t, b);
	assert_int_equal(t.live, 2);
	assert_null(dmm_tbl_get(&t, ib)); /* gone */
	/* the slot comes back zeroed, under a new id; the old id finds nothing */
	struct obj *d = dmm_tbl_alloc(&t, &ic);
	assert_ptr_equal(d, b);
	assert_int_equal(d->deadline, 0);
	assert_true(ic != ib);
	assert_null(dmm_tbl_get(&t, ib));
	assert_ptr_equal(dmm_tbl_get(&t, ic), d);
	/* the lowest free slot is reused first */
	dmm_tbl_free(&t, c);
	dmm_tbl_free(&t, a);
	assert_ptr_equal(dmm_tbl_alloc(&t, NULL), a);
	assert_ptr_equal(dmm_tbl_alloc(&t, NULL), c);
	dmm_tbl_fini(&t);
}

/* Random allocations, frees and key changes; after each step the heaps'
 * tops and dmm_tbl_due agree with a scan of every live slot. */
static void test_heaps_random(void **state)
{
	enum { MAX = 300, STEPS = 20000 };
	struct dmm_tbl t;
	uint64_t ids[MAX] = { 0 };
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(dmm_tbl_init(&t, sizeof(struct obj), MAX, 2, obj_key), 0);
	for (int step = 0; step < STEPS; step++) {
		unsigned r = (unsigned)rand_r(&seed), k = r % MAX;
		struct obj *o = ids[k] ? dmm_tbl_get(&t, ids[k]) : NULL;
		if (ids[k])
			assert_non_null(o);
		switch (r / MAX % 4) {
		case 0: /* new */
			if (!o) {
				o = dmm_tbl_alloc(&t, &ids[k]);
				assert_non_null(o);
				o->id = ids[k];
			}
			/* fall through */
		case 1: /* keys change; some objects leave a heap */
			if (o) {
				o->deadline = (unsigned)rand_r(&seed) % 1000;
				o->rank = rand_r(&seed) % 3 ? (unsigned)rand_r(&seed) % 50 : DMM_KEY_NONE;
			}
			break;
		case 2:
			if (o) {
				dmm_tbl_free(&t, o);
				ids[k] = 0;
			}
			break;
		default: /* only looked at */
			break;
		}
		dmm_tbl_flush(&t);
		uint64_t min0 = DMM_KEY_NONE, min1 = DMM_KEY_NONE;
		uint32_t top1 = DMM_TBL_NONE;
		for (uint32_t s = 0; s < t.hi; s++) {
			const struct obj *p = dmm_tbl_peek(&t, s);
			if (!dmm_tbl_live(&t, s))
				continue;
			if (p->deadline < min0)
				min0 = p->deadline;
			if (p->rank < min1) {
				min1 = p->rank;
				top1 = s;
			}
		}
		assert_int_equal(dmm_tbl_min(&t, 0), min0);
		assert_int_equal(dmm_tbl_min(&t, 1), min1);
		assert_int_equal(dmm_tbl_top(&t, 1), top1); /* ties: lowest slot */
		if (step % 97 == 0) { /* take what is due at 300, check it, put it back */
			const uint32_t *due;
			uint32_t n = dmm_tbl_due(&t, 0, 300, &due), want = 0;
			for (uint32_t s = 0; s < t.hi; s++)
				if (dmm_tbl_live(&t, s) &&
				    ((const struct obj *)dmm_tbl_peek(&t, s))->deadline <= 300)
					want++;
			assert_int_equal(n, want);
			for (uint32_t i = 0; i < n; i++) {
				assert_true(i == 0 || due[i - 1] < due[i]);
				assert_true(((const struct obj *)dmm_tbl_peek(&t, due[i]))->deadline
					    <= 300);
			}
			assert_true(dmm_tbl_min(&t, 0) > 300);
			dmm_tbl_flush(&t); /* back in, unchanged */
			assert_int_equal(dmm_tbl_min(&t, 0), min0);
		}
	}
	dmm_tbl_fini(&t);
}

static void test_hmap(void **state)
{
	struct dmm_hmap m;
	uint32_t it, v, seen;

	(void)state;
	dmm_hmap_init(&m);
	assert_false(dmm_hmap_next(&m, 1, &(uint32_t){ 0 }, &v)); /* empty */
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(dmm_hmap_add(&m, i % 1000, i), 0); /* 5 values per key */
	assert_int_equal(m.n, 5000);
	assert_true(m.nb >= 4096); /* buckets doubled with the entries */
	it = 0, seen = 0;
	while (dmm_hmap_next(&m, 7, &it, &v)) {
		assert_int_equal(v % 1000, 7);
		seen++;
	}
	assert_int_equal(seen, 5);
	/* deleting the entry just returned, while iterating */
	it = 0, seen = 0;
	while (dmm_hmap_next(&m, 8, &it, &v)) {
		assert_true(dmm_hmap_del(&m, 8, v));
		seen++;
	}
	assert_int_equal(seen, 5);
	it = 0;
	assert_false(dmm_hmap_next(&m, 8, &it, &v));
	assert_false(dmm_hmap_del(&m, 8, 8));
	assert_false(dmm_hmap_del(&m, 9, 10)); /* key 9 has no value 10 */
	assert_int_equal(m.n, 4995);
	dmm_hmap_fini(&m);
}

static unsigned collect(const struct dmm_pidx *x, const char *addr, uint8_t minlen,
			uint8_t maxlen, uint32_t *slots, uint8_t *lens)
{
	struct dmm_pidx_it it;
	unsigned n = 0;
	uint32_t s;
	uint8_t l;

	struct in6_addr a = A(addr);

	dmm_pidx_match(x, &it, &a, minlen, maxlen);
	while (dmm_pidx_next(x, &it, &s, &l)) {
		slots[n] = s;
		lens[n++] = l;
	}
	return n;
}

static void test_pidx(void **state)
{
	struct dmm_pidx x;
	uint32_t s[8];
	uint8_t l[8];

	(void)state;
	dmm_pidx_init(&x);
	assert_int_equal(dmm_pidx_add(&x, PP("2001:db8::/32"), 1), 0);
	assert_int_equal(dmm_pidx_add(&x, PP("2001:db8:1:2::/64"), 2), 0);
	/* unmasked input is masked */
	struct dmm_prefix un = { .addr = A("2001:db8:1:2::99"), .len = 64 };
	assert_int_equal(dmm_pidx_add(&x, &un, 3), 0);
	assert_int_equal(dmm_pidx_add(&x, PP("2001:db8:1:2::5/128"), 4), 0);
	assert_int_equal(x.n_lens, 3);
	assert_int_equal(x.lens[0], 128);
	assert_int_equal(x.lens[2], 32);
	assert_true(dmm_pidx_longer(&x, 64));
	assert_false(dmm_pidx_longer(&x, 128));

	/* longest first */
	assert_int_equal(collect(&x, "2001:db8:1:2::5", 0, 128, s, l), 4);
	assert_int_equal(s[0], 4);
	assert_int_equal(l[0], 128);
	assert_int_equal(l[1], 64);
	assert_int_equal(l[2], 64);
	assert_int_equal(s[3], 1);
	/* only what contains the address */
	assert_int_equal(collect(&x, "2001:db8:1:3::5", 0, 128, s, l), 1);
	assert_int_equal(s[0], 1);
	assert_int_equal(collect(&x, "2001:db9::1", 0, 128, s, l), 0);
	/* exact: one length */
	assert_int_equal(collect(&x, "2001:db8:1:2::", 64, 64, s, l), 2);
	assert_int_equal(collect(&x, "2001:db8:1:2::5", 33, 127, s, l), 2);

	/* the last prefix of a length goes while iterating: no skip, no repeat */
	struct dmm_pidx_it it;
	uint32_t slot;
	unsigned n = 0;
	struct in6_addr a5 = A("2001:db8:1:2::5");
	struct dmm_prefix h5 = P("2001:db8:1:2::5/128");
	dmm_pidx_match(&x, &it, &a5, 0, 128);
	while (dmm_pidx_next(&x, &it, &slot, NULL)) {
		n++;
		if (slot == 4)
			assert_true(dmm_pidx_del(&x, &h5, 4));
	}
	assert_int_equal(n, 4);
	assert_int_equal(x.n_lens, 2);
	assert_false(dmm_pidx_del(&x, &h5, 4));
	assert_true(dmm_pidx_del(&x, &un, 3));
	assert_int_equal(collect(&x, "2001:db8:1:2::5", 0, 128, s, l), 2);
	dmm_pidx_fini(&x);
}

/* ---- the intrusive index, the prefix lengths, the expiry wheel ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

struct hrec {
	uint32_t key;
	uint16_t pad;
	bool live;
	uint32_t link, link2;
};

static bool hrec_hash(const void *ctx, uint32_t slot, uint32_t *hash)
{
	const struct hrec *r = ctx;

	hash[0] = r[slot].key;
	hash[1] = r[slot].key * 7u; /* a second index over the same records */
	return r[slot].live;
}

/* The slots a chain walk finds for key, against a scan of the records. */
static void hidx_check(const struct dmm_hidx *x, const struct hrec *r, uint32_t nrec,
		       uint32_t key, uint32_t hash)
{
	bool seen[512] = { false };
	uint32_t found = 0, want = 0;

	for (uint32_t s = dmm_hidx_first(x, hash); s != 0; s = dmm_hidx_next(x, r, s)) {
		assert_true(s - 1 < nrec);
		assert_true(r[s - 1].live);
		assert_false(seen[s - 1]); /* no loop, no repeat */
		seen[s - 1] = true;
		if (r[s - 1].key == key)
			found++;
	}
	for (uint32_t i = 0; i < nrec; i++)
		if (r[i].live && r[i].key == key) {
			want++;
			assert_true(seen[i]);
		}
	assert_int_equal(found, want);
}

static void test_hidx_random(void **state)
{
	enum { N = 512, KEYS = 97 };
	static struct hrec r[N];
	struct dmm_hidx a, b, *xs[2] = { &a, &b };
	uint32_t live = 0;

	(void)state;
	memset(r, 0, sizeof(r));
	assert_int_equal(dmm_hidx_init(&a, sizeof(r[0]), offsetof(struct hrec, link), 3),
			 DMM_E_CONFIG);
	assert_int_equal(dmm_hidx_init(&a, sizeof(r[0]), sizeof(r[0]), 4), DMM_E_CONFIG);
	assert_int_equal(dmm_hidx_init(&a, sizeof(r[0]), offsetof(struct hrec, link), 4), 0);
	assert_int_equal(dmm_hidx_init(&b, sizeof(r[0]), offsetof(struct hrec, link2), 4), 0);
	/* b indexes the same records by another hash, through another link */
	for (int op = 0; op < 40000; op++) {
		uint32_t i = rnd(N);
		if (!r[i].live) {
			r[i].key = rnd(KEYS);
			r[i].live = true;
			dmm_hidx_add(&a, r, i, r[i].key);
			dmm_hidx_add(&b, r, i, r[i].key * 7u);
			live++;
		} else {
			assert_true(dmm_hidx_del(&a, r, i, r[i].key));
			assert_false(dmm_hidx_del(&a, r, i, r[i].key));
			assert_true(dmm_hidx_del(&b, r, i, r[i].key * 7u));
			r[i].live = false;
			live--;
		}
		assert_int_equal(a.n, live);
		if (op % 97 == 0) { /* grow as the LM does, or any size */
			uint32_t want = op % 2 ? dmm_hidx_want(&a, live, 2, 1u << 20)
					       : 1u << rnd(10);
			assert_int_equal(dmm_hidx_rebuild(xs, (uint32_t[]){ want, 0 }, 2, r, N,
							  hrec_hash, r), 0);
			assert_int_equal(a.mask + 1, want);
			assert_int_equal(a.n, live);
			assert_int_equal(b.n, live);
			/* rebuilt in slot order, each pushed at the front */
			for (uint32_t k = 0; k <= a.mask; k++)
				for (uint32_t s = a.head[k]; s != 0 && dmm_hidx_next(&a, r, s) != 0;
				     s = dmm_hidx_next(&a, r, s))
					assert_true(dmm_hidx_next(&a, r, s) < s);
		}
		if (op % 13 == 0)
			for (uint32_t k = 0; k < KEYS; k++) {
				hidx_check(&a, r, N, k, k);
				hidx_check(&b, r, N, k, k * 7u);
			}
	}
	assert_true(dmm_hidx_want(&a, 1000, 2, 1u << 20) >= 500);
	assert_int_equal(dmm_hidx_want(&a, 1u << 30, 2, 1u << 12), 1u << 12);
	assert_int_equal(dmm_hidx_rebuild(xs, NULL, DMM_HIDX_REBUILD_MAX + 1, r, N, hrec_hash, r),
			 DMM_E_CONFIG);
	assert_int_equal(dmm_hidx_rebuild(xs, (uint32_t[]){ 3, 0 }, 1, r, N, hrec_hash, r),
			 DMM_E_CONFIG);
	assert_int_equal(dmm_hidx_rebuild(xs, (uint32_t[]){ 3, 2 * (b.mask + 1) }, 2, r, N,
					  hrec_hash, r), DMM_E_CONFIG);
	/* the second size is refused after the first was allocated: both as they were */
	assert_int_equal(dmm_hidx_rebuild(xs, (uint32_t[]){ 2 * (a.mask + 1), 6 }, 2, r, N,
					  hrec_hash, r), DMM_E_CONFIG);
	assert_int_equal(a.n, live); /* a refused rebuild changed nothing */
	for (uint32_t k = 0; k < KEYS; k++)
		hidx_check(&a, r, N, k, k);
	assert_int_equal(dmm_hidx_bytes(&a), (a.mask + 1) * sizeof(uint32_t));
	dmm_hidx_fini(&a);
	dmm_hidx_fini(&b);
}

struct precs {
	struct dmm_prefix p;
	bool live;
	uint32_t link;
};

static bool prec_is(const void *ctx, uint32_t slot, const struct dmm_prefix *p)
{
	const struct precs *r = ctx;

	return r[slot].live && dmm_prefix_eq(&r[slot].p, p);
}

static bool prec_hash(const void *ctx, uint32_t slot, uint32_t *hash)
{
	const struct precs *r = ctx;

	*hash = dmm_hash_prefix(&r[slot].p);
	return r[slot].live;
}

/* An address from a small space, so that prefixes nest and collide. */
static struct in6_addr small_addr(void)
{
	struct in6_addr a = A("2001:db8::");

	a.s6_addr[4] = (uint8_t)(rnd(2) << 7);
	a.s6_addr[6] = (uint8_t)rnd(3);
	a.s6_addr[7] = (uint8_t)(rnd(2) << 6);
	a.s6_addr[8] = (uint8_t)(rnd(2) << 7);
	a.s6_addr[15] = (uint8_t)rnd(4);
	return a;
}

static void test_plens_lpm(void **state)
{
	enum { N = 300 };
	static const uint8_t lens[] = { 0, 1, 16, 33, 48, 56, 63, 64, 65, 96, 126, 127, 128 };
	static struct precs r[N];
	struct dmm_plens l;
	struct dmm_hidx x;

	(void)state;
	memset(r, 0, sizeof(r));
	memset(&l, 0, sizeof(l));
	assert_int_equal(dmm_plens_below(&l, 129), -1);
	dmm_plens_add(&l, 0);
	dmm_plens_add(&l, 64);
	dmm_plens_add(&l, 128);
	dmm_plens_add(&l, 200); /* no such length: ignored */
	assert_int_equal(dmm_plens_below(&l, 129), 128);
	assert_int_equal(dmm_plens_below(&l, 128), 64);
	assert_int_equal(dmm_plens_below(&l, 64), 0);
	assert_int_equal(dmm_plens_below(&l, 0), -1);
	dmm_plens_del(&l, 64);
	dmm_plens_del(&l, 64); /* not in use: ignored */
	assert_int_equal(dmm_plens_below(&l, 128), 0);
	memset(&l, 0, sizeof(l));

	assert_int_equal(dmm_hidx_init(&x, sizeof(r[0]), offsetof(struct precs, link), 16), 0);
	for (int op = 0; op < 20000; op++) {
		uint32_t i = rnd(N);
		if (!r[i].live) {
			struct dmm_prefix p = { .addr = small_addr(),
						.len = lens[rnd(sizeof(lens))] };
			dmm_prefix_mask(&p);
			if (dmm_hidx_find_prefix(&x, r, &p, prec_is, r) != DMM_TBL_NONE)
				continue; /* held already */
			r[i].p = p;
			r[i].live = true;
			dmm_hidx_add(&x, r, i, dmm_hash_prefix(&p));
			dmm_plens_add(&l, p.len);
			assert_int_equal(dmm_hidx_find_prefix(&x, r, &p, prec_is, r), i);
		} else {
			assert_true(dmm_hidx_del(&x, r, i, dmm_hash_prefix(&r[i].p)));
			dmm_plens_del(&l, r[i].p.len);
			r[i].live = false;
			assert_int_equal(dmm_hidx_find_prefix(&x, r, &r[i].p, prec_is, r),
					 DMM_TBL_NONE);
		}
		if (x.n > 2 * (x.mask + 1)) {
			struct dmm_hidx *xs = &x;
			uint32_t want = dmm_hidx_want(&x, x.n, 2, 1u << 16);
			assert_int_equal(dmm_hidx_rebuild(&xs, &want, 1, r, N, prec_hash, r), 0);
		}
		/* the longest match against a scan of every prefix */
		for (int q = 0; q < 4; q++) {
			struct in6_addr a = small_addr();
			uint32_t got = dmm_hidx_lpm(&x, r, &l, &a, prec_is, r), want = DMM_TBL_NONE;
			int best = -1;
			for (uint32_t k = 0; k < N; k++)
				if (r[k].live && r[k].p.len > best &&
				    dmm_prefix_contains(&r[k].p, &a)) {
					best = r[k].p.len;
					want = k;
				}
			assert_int_equal(got, want);
		}
		/* the lengths in use, against a scan */
		int below = 129;
		for (;;) {
			int got = dmm_plens_below(&l, below), want = -1;
			for (uint32_t k = 0; k < N; k++)
				if (r[k].live && r[k].p.len < below && r[k].p.len > want)
					want = r[k].p.len;
			assert_int_equal(got, want);
			if (got < 0)
				break;
			below = got;
		}
	}
	dmm_hidx_fini(&x);
}

/* The wheel as the LM uses it (lazy entries, refreshed objects queued
 * again when their old entry comes due), against a scan of the objects:
 * after a sweep at now nothing due is left, nothing is handed over before
 * its bucket's time, and the first bucket holding entries is never later
 * than the earliest live object. */
static void test_wheel_random(void **state)
{
	enum { OBJS = 200, NB = 64, TICK = 10, LOG = 1 << 16 };
	struct wobj {
		uint64_t when;
		uint8_t gen;
		bool live, queued;
	} o[OBJS];
	static struct {
		uint32_t obj;
		uint8_t gen;
		uint64_t tick; /* the bucket it went in */
	} log[LOG];
	struct dmm_wheel w;
	uint64_t now = 12345, queued = 0;
	uint32_t nlog = 0, expired = 0;

	(void)state;
	memset(o, 0, sizeof(o));
	assert_int_equal(dmm_wheel_init(&w, 0, TICK, now), DMM_E_CONFIG);
	assert_int_equal(dmm_wheel_init(&w, NB, TICK, now), 0);
	{
		uint64_t t;
		const uint32_t *e;
		uint32_t n;
		assert_false(dmm_wheel_first(&w, &t, &e, &n));
	}
#define WADD(i)                                                                              \
	do {                                                                                 \
		uint64_t t_ = o[i].when / TICK;                                              \
		if (t_ < w.cur)                                                              \
			t_ = w.cur;                                                          \
		if (t_ > w.cur + NB - 1)                                                     \
			t_ = w.cur + NB - 1;                                                 \
		log[nlog].obj = (i);                                                         \
		log[nlog].gen = o[i].gen;                                                    \
		log[nlog].tick = t_;                                                         \
		assert_int_equal(dmm_wheel_add(&w, o[i].when, nlog), 0);                     \
		nlog++;                                                                      \
		queued++;                                                                    \
	} while (0)
	for (int op = 0; op < 6000 && nlog < LOG - 2 * OBJS; op++) {
		uint32_t i = rnd(OBJS), r = rnd(10);
		if (r < 6) { /* create, refresh (later: lazy; earlier: queued again) */
			uint64_t when = now + rnd(r < 5 ? 400 : 4 * NB * TICK);
			bool earlier = o[i].live && when / TICK < o[i].when / TICK;
			bool fresh = !o[i].live;
			o[i].live = true;
			o[i].when = when;
			if (fresh || earlier)
				WADD(i);
		} else if (r < 7) { /* delete: its entries go stale */
			if (o[i].live) {
				o[i].live = false;
				o[i].gen++;
			}
		} else { /* time passes (sometimes more than a turn), then a sweep */
			struct dmm_wheel_sweep sw;
			uint32_t e;
			now += rnd(9) == 0 ? rnd(3 * NB * TICK) : rnd(3 * TICK);
			dmm_wheel_sweep_begin(&w, &sw, now);
			while (dmm_wheel_sweep_next(&w, &sw, &e)) {
				uint32_t k;
				assert_true(e < nlog);
				assert_true(log[e].tick <= now / TICK); /* its time has come */
				queued--;
				k = log[e].obj;
				if (!o[k].live || o[k].gen != log[e].gen)
					continue; /* stale */
				if (o[k].when <= now) {
					o[k].live = false;
					o[k].gen++;
					expired++;
				} else {
					WADD(k);
				}
			}
			assert_int_equal(w.cur, now / TICK);
			assert_int_equal(w.count, queued);
			for (uint32_t k = 0; k < OBJS; k++)
				assert_false(o[k].live && o[k].when <= now); /* none due left */
		}
		{
			uint64_t t, min = UINT64_MAX;
			const uint32_t *e;
			uint32_t n;
			bool any = dmm_wheel_first(&w, &t, &e, &n);
			for (uint32_t k = 0; k < OBJS; k++)
				if (o[k].live && o[k].when < min)
					min = o[k].when;
			assert_int_equal(any, queued > 0);
			if (min != UINT64_MAX) {
				assert_true(any);
				assert_true(t <= (min / TICK > w.cur ? min / TICK : w.cur));
			}
			if (any) {
				assert_true(n > 0);
				for (uint32_t j = 0; j < n; j++)
					assert_int_equal(log[e[j]].tick, t);
			}
		}
	}
#undef WADD
	assert_true(expired > 100);
	assert_true(dmm_wheel_bytes(&w) >= queued * sizeof(uint32_t));
	dmm_wheel_clear(&w, now);
	assert_int_equal(w.count, 0);
	assert_int_equal(dmm_wheel_bytes(&w), 0);
	{ /* nothing left for first() to find: every bucket's bit cleared too */
		uint64_t t;
		const uint32_t *e;
		uint32_t n;
		assert_false(dmm_wheel_first(&w, &t, &e, &n));
		assert_int_equal(dmm_wheel_add(&w, now + 5 * TICK, 1), 0);
		assert_true(dmm_wheel_first(&w, &t, &e, &n));
		assert_int_equal(n, 1);
	}
	dmm_wheel_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_reuse),
		cmocka_unit_test(test_heaps_random),
		cmocka_unit_test(test_hmap),
		cmocka_unit_test(test_pidx),
		cmocka_unit_test(test_hidx_random),
		cmocka_unit_test(test_plens_lpm),
		cmocka_unit_test(test_wheel_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
