/* Replay protection: timestamp window and per-peer sequence window (auth.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

#define CAP 4
#define WIN 5000 /* ms of accepted timestamp skew */
#define T0 UINT64_C(1700000000000) /* a wall clock in ms since 1970 */

struct fixture {
	struct dmm_replay_peer peers[CAP];
	struct dmm_replay r;
};

static struct fixture fx;

static int
setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.r.peers = fx.peers;
	fx.r.cap = CAP;
	fx.r.ts_window_ms = WIN;
	*state = &fx.r;
	return 0;
}

/* The same tables with the index by address (dmm_replay_index_init). */
static int
setup_idx(void **state)
{
	setup(state);
	return dmm_replay_index_init(&fx.r);
}

static int
teardown_idx(void **state)
{
	dmm_replay_index_fini(&fx.r);
	return 0;
}

static struct in6_addr
peer(uint8_t n)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8 } } };

	a.s6_addr[15] = n;
	return a;
}

/* Check seq from peer n, timestamp and wall clock both T0, now = 1. */
static int
chk(struct dmm_replay *r, uint8_t n, uint16_t seq)
{
	struct in6_addr a = peer(n);

	return dmm_replay_check(r, &a, seq, T0, T0, 1);
}

static void
test_ts_window(void **state)
{
	(void)state;
	assert_int_equal(dmm_ts_check(WIN, T0, T0), 0);
	assert_int_equal(dmm_ts_check(WIN, T0 + 4999, T0), 0);
	assert_int_equal(dmm_ts_check(WIN, T0 - 4999, T0), 0);
	assert_int_equal(dmm_ts_check(WIN, T0 + 5000, T0), DMM_E_STALE);
	assert_int_equal(dmm_ts_check(WIN, T0 - 5000, T0), DMM_E_STALE);
	assert_int_equal(dmm_ts_check(WIN, T0 - 3600000, T0), DMM_E_STALE);
	/* 0 means the message carried no Timestamp option */
	assert_int_equal(dmm_ts_check(WIN, 0, T0), DMM_E_STALE);
	assert_int_equal(dmm_ts_check(WIN, 0, 0), DMM_E_STALE);
}

static void
test_stale_and_future_ts(void **state)
{
	struct dmm_replay *r = *state;
	struct in6_addr a = peer(1);

	assert_int_equal(dmm_replay_check(r, &a, 10, T0 - 6000, T0, 1), DMM_E_STALE);
	assert_int_equal(dmm_replay_check(r, &a, 10, T0 + 6000, T0, 1), DMM_E_STALE);
	assert_int_equal(dmm_replay_check(r, &a, 10, 0, T0, 1), DMM_E_STALE);
	/* a stale message records nothing: the same seq is still new */
	assert_false(fx.peers[0].used);
	assert_int_equal(dmm_replay_check(r, &a, 10, T0 + 4000, T0, 1), DMM_REPLAY_NEW);
	assert_int_equal(dmm_replay_check(r, &a, 10, T0 + 4000, T0, 1), DMM_REPLAY_DUP);
}

static void
test_in_order(void **state)
{
	struct dmm_replay *r = *state;
	uint16_t s;

	for (s = 100; s < 300; s++)
		assert_int_equal(chk(r, 1, s), DMM_REPLAY_NEW);
	assert_int_equal(fx.peers[0].top, 299);
	for (s = 236; s < 300; s++)
		assert_int_equal(chk(r, 1, s), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 235), DMM_E_REPLAY);
	assert_int_equal(chk(r, 1, 100), DMM_E_REPLAY);
}

static void
test_out_of_order_in_window(void **state)
{
	struct dmm_replay *r = *state;

	assert_int_equal(chk(r, 1, 1000), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 1010), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 1005), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 1005), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 1001), DMM_REPLAY_NEW);
	/* 1010 - 63 is the oldest the window remembers */
	assert_int_equal(chk(r, 1, 947), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 947), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 946), DMM_E_REPLAY);
	assert_int_equal(fx.peers[0].top, 1010);
	/* exactly the bits for 1010, 1005, 1001, 1000, 947 */
	assert_int_equal(fx.peers[0].bitmap, (UINT64_C(1) << 0) | (UINT64_C(1) << 5) |
						     (UINT64_C(1) << 9) | (UINT64_C(1) << 10) |
						     (UINT64_C(1) << 63));
}

static void
test_big_jump_forward(void **state)
{
	struct dmm_replay *r = *state;

	assert_int_equal(chk(r, 1, 5), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 5 + 32767), DMM_REPLAY_NEW); /* largest step ahead */
	assert_int_equal(fx.peers[0].bitmap, 1);
	assert_int_equal(chk(r, 1, 5), DMM_E_REPLAY);
	/* 32768 ahead of top counts as behind (modulo 2^16): too old */
	assert_int_equal(chk(r, 1, (uint16_t)(5 + 32767 + 32768)), DMM_E_REPLAY);
}

static void
test_duplicate(void **state)
{
	struct dmm_replay *r = *state;

	assert_int_equal(chk(r, 1, 7), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 7), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 7), DMM_REPLAY_DUP);
	/* the same seq from another peer is independent */
	assert_int_equal(chk(r, 2, 7), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 2, 7), DMM_REPLAY_DUP);
}

static void
test_wraparound(void **state)
{
	struct dmm_replay *r = *state;

	assert_int_equal(chk(r, 1, 65534), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 65535), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 0), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 1), DMM_REPLAY_NEW);
	assert_int_equal(fx.peers[0].top, 1);
	assert_int_equal(chk(r, 1, 65535), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 0), DMM_REPLAY_DUP);
	assert_int_equal(chk(r, 1, 65533), DMM_REPLAY_NEW); /* in window, behind by 4 */
	assert_int_equal(chk(r, 1, 65000), DMM_E_REPLAY);
	/* window spans the wrap: top 10, oldest 65483 */
	assert_int_equal(chk(r, 1, 10), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 65483), DMM_REPLAY_NEW);
	assert_int_equal(chk(r, 1, 65482), DMM_E_REPLAY);
}

static void
test_peer_restart(void **state)
{
	struct dmm_replay *r = *state;
	struct in6_addr a = peer(1);

	assert_int_equal(dmm_replay_check(r, &a, 30000, T0, T0, 1), DMM_REPLAY_NEW);
	assert_int_equal(dmm_replay_check(r, &a, 30001, T0 + 10, T0, 2), DMM_REPLAY_NEW);
	/* old seq, old timestamp: a replay */
	assert_int_equal(dmm_replay_check(r, &a, 3, T0 + 10, T0, 3), DMM_E_REPLAY);
	assert_int_equal(dmm_replay_check(r, &a, 3, T0 - 100, T0, 3), DMM_E_REPLAY);
	/* old seq, timestamp newer than anything seen: the peer restarted */
	assert_int_equal(dmm_replay_check(r, &a, 3, T0 + 11, T0, 4), DMM_REPLAY_NEW);
	assert_int_equal(fx.peers[0].top, 3);
	assert_int_equal(fx.peers[0].bitmap, 1);
	assert_int_equal(fx.peers[0].last_ts_ms, T0 + 11);
	assert_int_equal(dmm_replay_check(r, &a, 3, T0 + 11, T0, 5), DMM_REPLAY_DUP);
	assert_int_equal(dmm_replay_check(r, &a, 4, T0 + 12, T0, 6), DMM_REPLAY_NEW);
	/* behind the new window with a pre-restart timestamp: a replay */
	assert_int_equal(dmm_replay_check(r, &a, 65440, T0 + 10, T0, 7), DMM_E_REPLAY);
	assert_int_equal(fx.peers[0].top, 4);
}

static void
test_ts_tracks_max(void **state)
{
	struct dmm_replay *r = *state;
	struct in6_addr a = peer(1);

	assert_int_equal(dmm_replay_check(r, &a, 100, T0 + 50, T0, 1), DMM_REPLAY_NEW);
	/* an in-window out-of-order message with an older timestamp */
	assert_int_equal(dmm_replay_check(r, &a, 99, T0 + 40, T0, 2), DMM_REPLAY_NEW);
	assert_int_equal(fx.peers[0].last_ts_ms, T0 + 50);
	/* so a replay of something older than the window, stamped T0+50, fails */
	assert_int_equal(dmm_replay_check(r, &a, 10, T0 + 50, T0, 3), DMM_E_REPLAY);
}

static void
test_lru_eviction(void **state)
{
	struct dmm_replay *r = *state;
	struct in6_addr a;
	uint8_t n;

	for (n = 1; n <= CAP; n++) {
		a = peer(n);
		assert_int_equal(dmm_replay_check(r, &a, 500, T0, T0, 10 + n), DMM_REPLAY_NEW);
	}
	/* refresh peer 1, so peer 2 (touched at 12) is the least recently used */
	a = peer(1);
	assert_int_equal(dmm_replay_check(r, &a, 501, T0, T0, 20), DMM_REPLAY_NEW);
	a = peer(9);
	assert_int_equal(dmm_replay_check(r, &a, 77, T0, T0, 21), DMM_REPLAY_NEW);
	for (n = 0; n < CAP; n++)
		assert_false(fx.peers[n].used && fx.peers[n].addr.s6_addr[15] == 2);
	/* the others kept their state */
	a = peer(1);
	assert_int_equal(dmm_replay_check(r, &a, 501, T0, T0, 22), DMM_REPLAY_DUP);
	a = peer(3);
	assert_int_equal(dmm_replay_check(r, &a, 500, T0, T0, 23), DMM_REPLAY_DUP);
	a = peer(4);
	assert_int_equal(dmm_replay_check(r, &a, 500, T0, T0, 24), DMM_REPLAY_DUP);
	/* peer 2 was forgotten: its old seq looks new again (bounded memory) */
	a = peer(2);
	assert_int_equal(dmm_replay_check(r, &a, 500, T0, T0, 25), DMM_REPLAY_NEW);
	/* and that evicted peer 9, the LRU at 21 */
	for (n = 0; n < CAP; n++)
		assert_false(fx.peers[n].used && fx.peers[n].addr.s6_addr[15] == 9);
}

static void
test_rejected_does_not_touch(void **state)
{
	struct dmm_replay *r = *state;

	assert_int_equal(chk(r, 1, 500), DMM_REPLAY_NEW);
	fx.peers[0].touched = 5;
	assert_int_equal(dmm_replay_check(r, &fx.peers[0].addr, 100, T0, T0, 99), DMM_E_REPLAY);
	assert_int_equal(fx.peers[0].touched, 5);
	assert_int_equal(fx.peers[0].top, 500);
	assert_int_equal(fx.peers[0].bitmap, 1);
}

static void
test_no_table(void **state)
{
	struct dmm_replay r = { .peers = NULL, .cap = 0, .ts_window_ms = WIN };
	struct in6_addr a = peer(1);

	(void)state;
	assert_int_equal(dmm_replay_check(&r, &a, 1, T0, T0, 1), DMM_E_FULL);
}

/* With and without the index, the same checks give the same verdicts and
 * leave the same slots: 20000 checks from 60 peers (addresses that differ
 * in one byte or in the high half) through 16 slots, so entries are
 * evicted, probe runs collide and deletions move entries back. */
static void
test_index_same_as_scan(void **state)
{
	enum { N = 16, PEERS = 60 };
	static struct dmm_replay_peer pa[N], pb[N];
	struct dmm_replay a = { .peers = pa, .cap = N, .ts_window_ms = WIN };
	struct dmm_replay b = { .peers = pb, .cap = N, .ts_window_ms = WIN };
	uint16_t seq[PEERS] = { 0 };
	uint64_t x = 88172645463325252ull;

	(void)state;
	memset(pa, 0, sizeof(pa));
	memset(pb, 0, sizeof(pb));
	assert_int_equal(dmm_replay_index_init(&b), 0);
	for (unsigned i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned k = (unsigned)(x % PEERS);
		struct in6_addr ad = peer((uint8_t)k);
		if (k % 3 == 0)
			ad.s6_addr[3] ^= (uint8_t)k; /* another high half */
		uint16_t s = (uint16_t)(seq[k] + (x >> 20) % 8 - 3); /* some behind: dups */
		if ((uint16_t)(s - seq[k]) < 32768)
			seq[k] = s;
		int ra = dmm_replay_check(&a, &ad, s, T0, T0, 1 + i);
		int rb = dmm_replay_check(&b, &ad, s, T0, T0, 1 + i);
		assert_int_equal(ra, rb);
		assert_memory_equal(pa, pb, sizeof(pa));
	}
	/* the index holds exactly the used slots */
	unsigned used = 0, entries = 0;
	for (unsigned i = 0; i < N; i++)
		used += pb[i].used;
	for (size_t h = 0; h <= b.idx_mask; h++)
		entries += b.idx[h] != 0;
	assert_int_equal(used, N);
	assert_int_equal(entries, used);
	dmm_replay_index_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_window),
		cmocka_unit_test_setup(test_stale_and_future_ts, setup),
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_out_of_order_in_window, setup),
		cmocka_unit_test_setup(test_big_jump_forward, setup),
		cmocka_unit_test_setup(test_duplicate, setup),
		cmocka_unit_test_setup(test_wraparound, setup),
		cmocka_unit_test_setup(test_peer_restart, setup),
		cmocka_unit_test_setup(test_ts_tracks_max, setup),
		cmocka_unit_test_setup(test_lru_eviction, setup),
		cmocka_unit_test_setup(test_rejected_does_not_touch, setup),
		cmocka_unit_test(test_no_table),
		cmocka_unit_test_setup_teardown(test_stale_and_future_ts, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_in_order, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_out_of_order_in_window, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_big_jump_forward, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_duplicate, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_wraparound, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_peer_restart, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_ts_tracks_max, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_lru_eviction, setup_idx, teardown_idx),
		cmocka_unit_test_setup_teardown(test_rejected_does_not_touch, setup_idx, teardown_idx),
		cmocka_unit_test(test_index_same_as_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
