/* core/table.c: slots with generation ids, key heaps (checked against a
 * brute-force scan over random operations), the multimap and the prefix
 * index's exact and longest-prefix match. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_reuse),
		cmocka_unit_test(test_heaps_random),
		cmocka_unit_test(test_hmap),
		cmocka_unit_test(test_pidx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
