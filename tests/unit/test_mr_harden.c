/* MR engine under stress and abuse (issue 9): refreshes that survive a lost
 * message, a full pending table and a storm; the attach flood limits; the
 * negative cache under misses; an MN identity pinned to its link. One MR
 * driven by hand, as in test_mr.c: the test plays the LM, the HAA and the
 * other MRs with real sealed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "node_priv.h"
#include "nodetest.h"

#define SELF "2001:db8:ff::11" /* this MR, network a */
#define LM_A "2001:db8:ff::a1"
#define HAA_A "2001:db8:ff::a2"
#define LM_B "2001:db8:ff::b1"
#define HAA_B "2001:db8:ff::b2"
#define NMR "2001:db8:ff::22"
#define PMR "2001:db8:ff::21"
#define LINK 7
#define T0 1000
#define BIND_MS 600000  /* binding lifetime (default 600 s) */
#define LEASE_MS 3600000 /* lease (3600 s) */

static struct nodetest T;

/* ---- fixture ---- */

static void mr_config(struct dmm_config *c)
{
	nt_config(c, "mr1", SELF, DMM_ROLE_MR);
	nt_add_net(c, "a", "2001:db8:a::/48", LM_A, HAA_A);
	nt_add_net(c, "b", "2001:db8:b::/48", LM_B, HAA_B);
	c->local_net = 0;
	c->limits.max_mns = 8;
	c->limits.max_cache = 8;
	c->limits.max_handovers = 4;
	c->limits.max_pending = 32;
}

static void start(struct dmm_config *c)
{
	assert_int_equal(nt_start(&T, c, T0), 0);
	dmm_node_timer(T.node, T0);
	nt_clear(&T);
}

static int setup(void **state)
{
	struct dmm_config c;

	mr_config(&c);
	start(&c);
	return 0;
}

static int teardown(void **state)
{
	nt_stop(&T);
	return 0;
}

/* ---- helpers ---- */

static uint64_t ctr(enum dmm_counter c)
{
	return dmm_node_counter(T.node, c);
}

/* Answer the last captured request of type with status (and r's fields). */
static int answer_last(enum dmm_msg_type type, struct dmm_msg r, dmm_time_t now)
{
	struct dmm_msg req;

	for (unsigned i = T.n_sent; i-- > 0;) {
		if (i >= NT_MAX_SENT || nt_open(&T, i, &req) != 0 || req.type != type)
			continue;
		r.type = dmm_msg_reply_type(req.type);
		r.seq = req.seq;
		return nt_recv(&T, &T.sent[i].dst, &r, now);
	}
	fail_msg("no %s captured", dmm_msg_type_name(type));
	return -1;
}

/* A new MN mn on link gets prefix hnp (anchored here), every answer at now. */
static void attach_new(unsigned mn, uint32_t link, const char *hnp, dmm_time_t now)
{
	struct dmm_mnid id = nt_mnid(mn);
	struct dmm_msg r = { .status = DMM_ST_NOT_FOUND };

	assert_int_equal(dmm_mr_attach(T.node, link, &id, now), 0);
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY, r, now), 0);
	r = (struct dmm_msg){ .status = DMM_ST_OK, .lifetime = 3600,
			      .present = DMM_P_HNP | DMM_P_HOME, .n_hnp = 1,
			      .hnp = { nt_p6(hnp) }, .home = nt_a6(SELF) };
	assert_int_equal(answer_last(DMM_MSG_HOA_REQ, r, now), 0);
	if (T.cfg.lm_update_on_attach) {
		r = (struct dmm_msg){ .status = DMM_ST_OK };
		assert_int_equal(answer_last(DMM_MSG_LOC_UPDATE, r, now), 0);
	}
}

/* Run every deadline up to and including `until`, answering nothing. */
static void run_until(dmm_time_t until)
{
	dmm_time_t d;

	while ((d = dmm_node_next_deadline(T.node)) <= until)
		dmm_node_timer(T.node, d);
}

/* Distinct requests (sequence numbers) of type among the captured messages. */
static unsigned distinct_requests(enum dmm_msg_type type)
{
	uint16_t seen[NT_MAX_SENT];
	unsigned n = 0;
	struct dmm_msg m;

	for (unsigned i = 0; i < T.n_sent && i < NT_MAX_SENT; i++) {
		bool dup = false;
		if (nt_open(&T, i, &m) != 0 || m.type != type)
			continue;
		for (unsigned k = 0; k < n; k++)
			dup = dup || seen[k] == m.seq;
		if (!dup)
			seen[n++] = m.seq;
	}
	return n;
}

/* ---- refresh (findings 6, 11) ---- */

/* The LM is unreachable when the binding refresh falls due: the MR tries
 * again before the binding runs out (it used to wait a whole period, 80 %
 * of the lifetime, and the binding expired). */
static void test_lost_binding_refresh_retried(void **state)
{
	attach_new(1, LINK, "2001:db8:a:1::/64", T0);
	nt_clear(&T);
	run_until(T0 + BIND_MS - 1);
	assert_true(distinct_requests(DMM_MSG_LOC_UPDATE) >= 2);
	assert_true(ctr(DMM_C_REFRESH_RETRY) >= 1);
	/* and the retry that gets through ends the retries */
	nt_clear(&T);
	run_until(dmm_node_next_deadline(T.node));
	assert_int_equal(answer_last(DMM_MSG_LOC_UPDATE, (struct dmm_msg){ .status = DMM_ST_OK },
				     T0 + BIND_MS), 0);
	assert_true(dmm_node_next_deadline(T.node) >= T0 + BIND_MS + BIND_MS * 7 / 10);
}

static void test_lost_lease_refresh_retried(void **state)
{
	struct dmm_config c;

	nt_stop(&T);
	mr_config(&c);
	c.lm_update_on_attach = false;
	start(&c);
	attach_new(1, LINK, "2001:db8:a:1::/64", T0);
	nt_clear(&T);
	run_until(T0 + LEASE_MS - 1);
	assert_true(distinct_requests(DMM_MSG_HOA_REQ) >= 2);
}

static struct dmm_mn_view mn_seen;
static void mn_cb(void *ctx, const struct dmm_mn_view *v)
{
	mn_seen = *v;
}

/* Every try of an attach's HAA exchange is lost (the MN's first RS came,
 * and a real MN sends no more): the MN is not left FAILED for good. The
 * MR starts over after a backoff (1 s, doubling), and the attach completes
 * once the answers come. */
static void test_failed_attach_retried(void **state)
{
	struct dmm_mnid id = nt_mnid(1);
	struct dmm_msg r = { .status = DMM_ST_NOT_FOUND };
	dmm_time_t t;

	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0), 0);
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY, r, T0), 0);
	for (t = T0; mn_seen.state != DMM_MN_FAILED && t < T0 + 60000;) {
		t = dmm_node_next_deadline(T.node);
		dmm_node_timer(T.node, t);
		dmm_mr_foreach_mn(T.node, mn_cb, NULL);
	}
	assert_int_equal(mn_seen.state, DMM_MN_FAILED);
	nt_clear(&T);
	/* the retry: a new LM query, about 1 s later */
	assert_in_range(dmm_node_next_deadline(T.node), t + 900, t + 1100);
	dmm_node_timer(T.node, dmm_node_next_deadline(T.node));
	assert_int_equal(distinct_requests(DMM_MSG_LOC_QUERY), 1);
	t = dmm_node_next_deadline(T.node) - 1;
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY, r, t), 0);
	r = (struct dmm_msg){ .status = DMM_ST_OK, .lifetime = 3600,
			      .present = DMM_P_HNP | DMM_P_HOME, .n_hnp = 1,
			      .hnp = { nt_p6("2001:db8:a:1::/64") }, .home = nt_a6(SELF) };
	assert_int_equal(answer_last(DMM_MSG_HOA_REQ, r, t), 0);
	assert_int_equal(answer_last(DMM_MSG_LOC_UPDATE, (struct dmm_msg){ .status = DMM_ST_OK },
				     t), 0);
	dmm_mr_foreach_mn(T.node, mn_cb, NULL);
	assert_int_equal(mn_seen.state, DMM_MN_ATTACHED);
}

/* The pending table is full when the refresh falls due: it goes out as soon
 * as there is room, not a whole period later. */
static void test_refresh_when_pending_table_full(void **state)
{
	struct in6_addr lm = nt_a6(LM_A);
	int64_t ids[32];
	unsigned k = 0;
	dmm_time_t d;

	attach_new(1, LINK, "2001:db8:a:1::/64", T0);
	d = dmm_node_next_deadline(T.node);
	for (;; k++) {
		struct dmm_msg q = { .type = DMM_MSG_LOC_QUERY, .present = DMM_P_TARGET,
				     .target = lm };
		int64_t rc = dmm_request(T.node, &lm, &q, DMM_ROLE_MR, 0, d - 1);
		if (rc < 0)
			break;
		ids[k] = rc;
	}
	assert_int_equal(k, 32);
	nt_clear(&T);
	dmm_node_timer(T.node, d);
	assert_int_equal(distinct_requests(DMM_MSG_LOC_UPDATE), 0);
	for (unsigned i = 0; i < k; i++)
		dmm_request_cancel(T.node, (uint32_t)ids[i]);
	run_until(d + 2000);
	assert_int_equal(distinct_requests(DMM_MSG_LOC_UPDATE), 1);
}

/* Two MNs attached in the same millisecond are not refreshed in the same
 * millisecond: refreshes are spread (a mass attach is no refresh storm). */
static void test_refresh_jitter(void **state)
{
	attach_new(1, LINK, "2001:db8:a:1::/64", T0);
	attach_new(2, LINK + 1, "2001:db8:a:2::/64", T0);
	attach_new(3, LINK + 2, "2001:db8:a:3::/64", T0);
	nt_clear(&T);
	dmm_node_timer(T.node, dmm_node_next_deadline(T.node));
	assert_int_equal(distinct_requests(DMM_MSG_LOC_UPDATE), 1);
}

/* ---- attach flood (finding 2) ---- */

/* Router Solicitations with made-up identities on one link: a burst of 8
 * attaches, then one a second; a repeated RS of the MN already there, and
 * other links, are not limited. */
static void test_attach_rate_limit_per_link(void **state)
{
	struct dmm_mnid id;
	unsigned ok = 0, limited = 0;

	for (unsigned mn = 1; mn <= 20; mn++) {
		id = nt_mnid(mn);
		int rc = dmm_mr_attach(T.node, LINK, &id, T0);
		ok += rc == 0;
		limited += rc == DMM_E_LIMIT;
	}
	assert_int_equal(ok, 8);
	assert_int_equal(limited, 12);
	assert_int_equal(ctr(DMM_C_ATTACH_LIMITED), 12);
	/* the last one admitted repeats its RS: not an attach, not limited */
	id = nt_mnid(8);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0 + 1), 0);
	/* another link has its own budget */
	id = nt_mnid(40);
	assert_int_equal(dmm_mr_attach(T.node, LINK + 1, &id, T0 + 2), 0);
	/* one more a second */
	id = nt_mnid(21);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0 + 500), DMM_E_LIMIT);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0 + 1000), 0);
	id = nt_mnid(22);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0 + 1001), DMM_E_LIMIT);
	/* the refusals are logged at most once a second */
	unsigned lines = 0;
	for (unsigned i = 0; i < T.n_logs; i++)
		lines += strstr(T.logs[i], "refused: rate limit") != NULL;
	assert_true(lines <= 2);
}

static unsigned n_anchor_ops(enum dmm_dp_kind kind, const char *p)
{
	struct dmm_prefix q = nt_p6(p);
	unsigned k = 0;

	for (unsigned i = 0; i < T.n_ops; i++)
		k += T.ops[i].kind == kind && dmm_prefix_eq(&T.ops[i].prefix, &q);
	return k;
}

/* An MN anchored here leaves and shows up nowhere: once its binding would
 * have lapsed, the MR asks the LM; bound nowhere, the anchor goes and the
 * lease is released (anchors used to live for ever, leases for an hour). */
static void test_anchor_expires_and_releases(void **state)
{
	const char *hnp = "2001:db8:a:1::/64";
	struct dmm_msg m;
	dmm_time_t t;

	attach_new(1, LINK, hnp, T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 1000), 0);
	nt_clear(&T);
	run_until(T0 + 1000 + 2000); /* hold runs out: anchored, MISS_ADD */
	assert_int_equal(n_anchor_ops(DMM_DP_MISS_ADD, hnp), 1);
	nt_clear(&T);
	t = dmm_node_next_deadline(T.node);
	assert_true(t >= T0 + 3000 + BIND_MS - 1000 && t <= T0 + 3000 + BIND_MS);
	dmm_node_timer(T.node, t);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(nt_open(&T, 0, &m), 0);
	assert_int_equal(m.type, DMM_MSG_LOC_QUERY);
	/* the MN is elsewhere: the anchor stays, asked again a lifetime later */
	m = (struct dmm_msg){ .status = DMM_ST_OK, .present = DMM_P_HNP | DMM_P_LOCATION,
			      .n_hnp = 1, .hnp = { nt_p6(hnp) }, .location = nt_a6(NMR),
			      .target = m.target };
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY, m, t + 5), 0);
	assert_int_equal(n_anchor_ops(DMM_DP_MISS_DEL, hnp), 0);
	assert_int_equal(dmm_node_next_deadline(T.node), t + 5 + BIND_MS);
	/* then bound nowhere: released */
	nt_clear(&T);
	t = t + 5 + BIND_MS;
	dmm_node_timer(T.node, t);
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY,
				     (struct dmm_msg){ .status = DMM_ST_NOT_FOUND }, t + 5), 0);
	assert_int_equal(n_anchor_ops(DMM_DP_MISS_DEL, hnp), 1);
	assert_int_equal(ctr(DMM_C_ANCHOR_EXPIRED), 1);
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(nt_open(&T, 1, &m), 0);
	assert_int_equal(m.type, DMM_MSG_HOA_REQ);
	assert_int_equal(m.lifetime, 0);
	struct dmm_mnid mn1 = nt_mnid(1);
	assert_true(dmm_mnid_eq(&m.mnid, &mn1));
	assert_true(dmm_prefix_eq(&m.hnp[0], &(struct dmm_prefix){ nt_p6(hnp).addr, 64 }));
	/* no anchor left to ask about: only the release's retransmissions */
	run_until(t + 60000);
	assert_int_equal(dmm_node_next_deadline(T.node), DMM_TIME_NEVER);
}

/* ---- location cache poisoning (finding 3) ---- */

static struct in6_addr addr_in(unsigned net64, unsigned host)
{
	struct in6_addr a = nt_a6("2001:db8:a::");

	a.s6_addr[6] = (uint8_t)(net64 >> 8);
	a.s6_addr[7] = (uint8_t)net64;
	a.s6_addr[15] = (uint8_t)host;
	return a;
}

/* Misses to unused /64s fill the cache with negative entries: they live
 * seconds, not the cache lifetime, and a real MN's miss evicts the least
 * recently used one instead of finding the table full. */
static void test_negative_cache_short_and_evicted(void **state)
{
	struct in6_addr src = nt_a6("2001:db8:b:9::1"), dst;
	uint64_t q0;

	for (unsigned i = 0; i < 8; i++) {
		dst = addr_in(0x300 + i, 1);
		assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + i), 0);
		assert_int_equal(answer_last(DMM_MSG_LOC_QUERY,
					     (struct dmm_msg){ .status = DMM_ST_NOT_FOUND,
							       .present = DMM_P_TARGET,
							       .target = dst }, T0 + i), 0);
	}
	/* negative entries expire within MR_NEGATIVE_MS */
	assert_true(dmm_node_next_deadline(T.node) <= T0 + 10000);
	/* a real MN's address misses: it gets an entry and a query */
	q0 = ctr(DMM_C_QUERY);
	nt_clear(&T);
	dst = addr_in(0x205, 9);
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 100), 0);
	assert_int_equal(ctr(DMM_C_QUERY), q0 + 1);
	assert_int_equal(ctr(DMM_C_CACHE_EVICTED), 1);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 0);
	/* the least recently used went: the first negative entry */
	assert_int_equal(T.ops[0].kind, DMM_DP_PASS_DEL);
	struct in6_addr first = addr_in(0x300, 0);
	assert_memory_equal(&T.ops[0].prefix.addr, &first, sizeof(first));
}

/* ---- identity pinned to its link (finding 1) ---- */

static bool a6_eq(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = nt_a6(s);

	return memcmp(a, &b, sizeof(b)) == 0;
}

static unsigned n_ops_of(enum dmm_dp_kind kind)
{
	unsigned k = 0;

	for (unsigned i = 0; i < T.n_ops; i++)
		k += T.ops[i].kind == kind;
	return k;
}

/* MN 1 is attached on LINK, which has carrier. Its identity showing up on
 * another link is refused (it used to move MN 1's route there); once the
 * old link is gone the MN attaches on the new one. */
static void test_attach_pinned_to_live_link(void **state)
{
	struct dmm_mnid id = nt_mnid(1);

	attach_new(1, LINK, "2001:db8:a:1::/64", T0);
	nt_clear(&T);
	assert_int_equal(dmm_mr_attach(T.node, LINK + 1, &id, T0 + 10), DMM_E_STATE);
	assert_int_equal(ctr(DMM_C_ATTACH_CONFLICT), 1);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(T.n_sent, 0);
	/* the real move: the old link loses carrier first */
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 20), 0);
	assert_int_equal(dmm_mr_attach(T.node, LINK + 1, &id, T0 + 30), 0);
}

/* nMR: an RS with MN 1's identity on our link while MN 1 is still on its
 * live link at PMR. PMR refuses the context request: the impostor loses
 * the routes it got, and the binding is pointed back to PMR. */
static void test_moved_here_refused_by_pmr(void **state)
{
	struct dmm_mnid id = nt_mnid(1);
	struct dmm_msg r = { .status = DMM_ST_OK, .present = DMM_P_MNID | DMM_P_HNP |
			     DMM_P_LOCATION | DMM_P_HOME, .mnid = id, .n_hnp = 1,
			     .hnp = { nt_p6("2001:db8:b:5::/64") }, .location = nt_a6(PMR),
			     .home = nt_a6(PMR), .lifetime = 600 };

	assert_int_equal(dmm_mr_attach(T.node, LINK, &id, T0), 0);
	assert_int_equal(answer_last(DMM_MSG_LOC_QUERY, r, T0 + 5), 0);
	assert_int_equal(n_ops_of(DMM_DP_LOCAL_ADD), 1);
	/* the HAA answers first: the LM update is not delayed */
	r = (struct dmm_msg){ .status = DMM_ST_OK, .lifetime = 3600, .mnid = id,
			      .present = DMM_P_MNID | DMM_P_HNP | DMM_P_HOME, .n_hnp = 1,
			      .hnp = { nt_p6("2001:db8:b:5::/64") }, .home = nt_a6(PMR) };
	assert_int_equal(answer_last(DMM_MSG_HOA_REQ, r, T0 + 10), 0);
	assert_int_equal(distinct_requests(DMM_MSG_LOC_UPDATE), 1);
	unsigned before = T.n_sent;
	r = (struct dmm_msg){ .status = DMM_ST_PROHIBITED, .mnid = id, .present = DMM_P_MNID };
	assert_int_equal(answer_last(DMM_MSG_CTX_REQ, r, T0 + 2000), 0);
	assert_int_equal(n_ops_of(DMM_DP_LOCAL_DEL), 1);
	assert_int_equal(ctr(DMM_C_ATTACH_CONFLICT), 1);
	assert_int_equal(T.n_sent, before + 1);
	struct dmm_msg m;
	assert_int_equal(nt_open(&T, before, &m), 0);
	assert_int_equal(m.type, DMM_MSG_LOC_UPDATE);
	assert_true(a6_eq(&m.location, PMR));
	assert_int_equal(m.lifetime, 600);
	/* and nothing of it is refreshed from here */
	nt_clear(&T);
	run_until(T0 + BIND_MS);
	struct in6_addr self = nt_a6(SELF);
	for (unsigned i = 0; i < T.n_sent && i < NT_MAX_SENT; i++)
		if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_UPDATE)
			assert_memory_not_equal(&m.location, &self, sizeof(self));
}

int main(void)
{
#define MR_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		MR_(test_lost_binding_refresh_retried),
		MR_(test_lost_lease_refresh_retried),
		MR_(test_failed_attach_retried),
		MR_(test_refresh_when_pending_table_full),
		MR_(test_refresh_jitter),
		MR_(test_attach_rate_limit_per_link),
		MR_(test_anchor_expires_and_releases),
		MR_(test_negative_cache_short_and_evicted),
		MR_(test_attach_pinned_to_live_link),
		MR_(test_moved_here_refused_by_pmr),
	};

	dmm_auth_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
