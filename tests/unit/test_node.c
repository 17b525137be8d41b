/* The node glue (core/node.c): retransmission with backoff, reply matching,
 * the reply cache, input checks before any role sees a message, rate-limited
 * drop logs, deadlines, the pending table bound, creation and live
 * reconfiguration. Real sealed bytes through dmm_node_recv, literal times.
 *
 * Two nodes, each alone in a capture (tests/lib/nodetest.h):
 *   MR  2001:db8:ff::11  network a; an attach makes it ask LM_A (LOC_QUERY),
 *                        and if the LM never answers, the local HAA (HOA_REQ)
 *   HAA 2001:db8:ff::a2  network a, pool 2001:db8:a:100::/56 anchored at MR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node_priv.h"
#include "nodetest.h"
#include "samples.h"

#define MR "2001:db8:ff::11"
#define MR2 "2001:db8:ff::12"
#define LM_A "2001:db8:ff::a1"
#define HAA_A "2001:db8:ff::a2"
#define T0 100000 /* whole seconds: timestamps convert exactly */
#define INIT 100  /* retrans_initial_ms */
#define MAX 300   /* retrans_max_ms */
#define COUNT 4   /* retrans_count */
#define LINK 7

static struct nodetest T; /* the MR or the HAA, depending on the test */

/* ---- fixture ---- */

static void mr_config(struct dmm_config *c)
{
	nt_config(c, "mr1", MR, DMM_ROLE_MR);
	nt_add_net(c, "a", "2001:db8:a::/48", LM_A, HAA_A);
	c->local_net = 0;
	c->timers.retrans_initial_ms = INIT;
	c->timers.retrans_max_ms = MAX;
	c->timers.retrans_count = COUNT;
	c->limits.max_pending = 8;
}

static void haa_config(struct dmm_config *c)
{
	nt_config(c, "haa1", HAA_A, DMM_ROLE_HAA);
	nt_add_net(c, "a", "2001:db8:a::/48", LM_A, HAA_A);
	c->local_net = 0;
	c->n_pools = 1;
	c->pools[0] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:100::/56"), .plen = 64,
					 .mr = nt_a6(MR), .mode = DMM_POOL_STATEFUL };
}

static void start(const struct dmm_config *c)
{
	assert_int_equal(nt_start(&T, c, T0), 0);
	dmm_node_timer(T.node, T0); /* the MR's start-up work (MISS routes) */
	nt_clear(&T);
}

static int setup_mr(void **state)
{
	struct dmm_config c;

	mr_config(&c);
	start(&c);
	return 0;
}

static int setup_haa(void **state)
{
	struct dmm_config c;

	haa_config(&c);
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

static uint64_t ts_at(dmm_time_t now)
{
	return dmm_ts_from_ms((uint64_t)(NT_WALL_OFFSET + (int64_t)now));
}

static bool a6_is(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = nt_a6(s);

	return memcmp(a, &b, sizeof(b)) == 0;
}

/* Captured message i: of this type, to dst, opened. */
static struct dmm_msg sent(unsigned i, enum dmm_msg_type type, const char *dst)
{
	struct dmm_msg m;

	assert_true(i < T.n_sent);
	assert_int_equal(nt_open(&T, i, &m), 0);
	assert_string_equal(dmm_msg_type_name(m.type), dmm_msg_type_name(type));
	assert_true(a6_is(&T.sent[i].dst, dst));
	return m;
}

/* Captured messages i and j carry the same message but for the timestamp
 * (and so the MAC): a duplicate is answered with the cached reply, sealed
 * afresh. */
static bool same_but_timestamp(unsigned i, unsigned j)
{
	struct dmm_msg a, b;

	if (nt_open(&T, i, &a) != 0 || nt_open(&T, j, &b) != 0)
		return false;
	a.timestamp = b.timestamp = 0;
	memset(a.mac, 0, sizeof(a.mac));
	memset(b.mac, 0, sizeof(b.mac));
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static unsigned log_count(const char *needle)
{
	unsigned n = 0;

	for (unsigned i = 0; i < T.n_logs; i++)
		n += strstr(T.logs[i], needle) != NULL;
	return n;
}

/* Seal m from src to the node with key ring kr, timestamp of time ts_now
 * (no Timestamp option at all if ts_now is DMM_TIME_NEVER). */
static size_t seal(const struct dmm_keyring *kr, const char *src, struct dmm_msg *m,
		   dmm_time_t ts_now, uint8_t buf[DMM_MSG_MAX])
{
	struct in6_addr s = nt_a6(src);
	int len;

	if (ts_now != DMM_TIME_NEVER) {
		m->timestamp = ts_at(ts_now);
		m->present |= DMM_P_TIMESTAMP;
	}
	len = dmm_msg_seal(kr, &s, &T.cfg.self, m, buf, DMM_MSG_MAX);
	assert_true(len > 0);
	return (size_t)len;
}

static int recv_buf(const char *src, const uint8_t *buf, size_t len, dmm_time_t now)
{
	struct in6_addr s = nt_a6(src);

	return dmm_node_recv(T.node, &s, &T.cfg.self, buf, len, now);
}

/* Send m from src, sealed with the test's key ring at time ts_now, at now. */
static int recv_at(const char *src, struct dmm_msg *m, dmm_time_t ts_now, dmm_time_t now)
{
	uint8_t buf[DMM_MSG_MAX];
	size_t len = seal(&T.cfg.keys, src, m, ts_now, buf);

	return recv_buf(src, buf, len, now);
}

static struct dmm_msg hoa_req(uint16_t seq, unsigned mn)
{
	return (struct dmm_msg){ .type = DMM_MSG_HOA_REQ, .seq = seq,
				 .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
				 .present = DMM_P_MNID | DMM_P_HANDOFF, .mnid = nt_mnid(mn),
				 .handoff = DMM_HI_NEW_IFACE, .lifetime = 3600 };
}

/* The LM's "not found" answer to a LOC_QUERY with sequence seq. */
static struct dmm_msg loc_reply(uint16_t seq)
{
	return (struct dmm_msg){ .type = DMM_MSG_LOC_REPLY, .seq = seq,
				 .status = DMM_ST_NOT_FOUND };
}

static struct dmm_lease_view lease_seen;
static unsigned n_leases;
static void lease_cb(void *ctx, const struct dmm_lease_view *v)
{
	lease_seen = *v;
	n_leases++;
}

static unsigned leases(void)
{
	n_leases = 0;
	dmm_haa_foreach_lease(T.node, lease_cb, NULL);
	return n_leases;
}

static enum dmm_mn_state mn_state;
static void mn_cb(void *ctx, const struct dmm_mn_view *v)
{
	mn_state = v->state;
}

static enum dmm_mn_state mn1_state(void)
{
	mn_state = (enum dmm_mn_state)-1;
	dmm_mr_foreach_mn(T.node, mn_cb, NULL);
	return mn_state;
}

static void attach(unsigned mn, uint32_t link, dmm_time_t now)
{
	struct dmm_mnid id = nt_mnid(mn);

	assert_int_equal(dmm_mr_attach(T.node, link, &id, now), 0);
}

/* ---- retransmission ---- */

/* One retransmission at exactly `at` (nothing a millisecond before): the
 * same request, same sequence number, fresh timestamp. */
static void retransmitted_at(dmm_time_t at, unsigned i, const struct dmm_msg *first)
{
	struct dmm_msg m;

	assert_int_equal(dmm_node_next_deadline(T.node), at);
	dmm_node_timer(T.node, at - 1);
	assert_int_equal(T.n_sent, i);
	dmm_node_timer(T.node, at);
	assert_int_equal(T.n_sent, i + 1);
	m = sent(i, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(m.seq, first->seq);
	assert_int_equal(m.timestamp, ts_at(at));
	const char *d = sample_msg_diff(&m, first);
	if (d)
		fail_msg("retransmission differs in %s", d);
	assert_int_equal(ctr(DMM_C_RETRANSMIT), i);
}

static void test_retransmit_backoff_then_timeout(void **state)
{
	struct dmm_msg first, m;

	attach(1, LINK, T0);
	assert_int_equal(T.n_sent, 1);
	first = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(first.timestamp, ts_at(T0));
	/* sample_msg_diff ignores the timestamp only if we align it */
	first.timestamp = 0;
	first.present &= ~DMM_P_TIMESTAMP;

	/* INIT, then doubling, capped at MAX: +100, +200, +300, +300 */
	struct dmm_msg cmp = first;
	dmm_time_t at[COUNT] = { T0 + 100, T0 + 300, T0 + 600, T0 + 900 };
	for (unsigned k = 0; k < COUNT; k++) {
		cmp.timestamp = ts_at(at[k]);
		cmp.present = first.present | DMM_P_TIMESTAMP;
		retransmitted_at(at[k], k + 1, &cmp);
		/* a fresh timestamp means fresh bytes (the MAC covers it) */
		assert_memory_not_equal(T.sent[k + 1].buf, T.sent[k].buf, T.sent[k].len);
	}
	assert_int_equal(ctr(DMM_C_TIMEOUT), 0);
	assert_int_equal(mn1_state(), DMM_MN_RESOLVING);

	/* the last wait is MAX too; then the MR gets on_reply(NULL): it takes
	 * the MN for a new one and asks the HAA */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 1200);
	dmm_node_timer(T.node, T0 + 1199);
	assert_int_equal(T.n_sent, 5);
	dmm_node_timer(T.node, T0 + 1200);
	assert_int_equal(ctr(DMM_C_TIMEOUT), 1);
	assert_int_equal(ctr(DMM_C_RETRANSMIT), COUNT);
	assert_int_equal(T.n_sent, 6);
	m = sent(5, DMM_MSG_HOA_REQ, HAA_A);
	assert_int_equal(m.seq, (uint16_t)(first.seq + 1));
	assert_int_equal(m.timestamp, ts_at(T0 + 1200));
	assert_int_equal(mn1_state(), DMM_MN_ALLOCATING);
	assert_true(nt_log_has(&T, "mr1: loc-query seq 1: no answer after 5 tries"));
	/* the timed-out query is gone: only the HOA_REQ is pending */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 1200 + INIT);
	/* a late answer to the query is unexpected and changes nothing */
	m = loc_reply(first.seq);
	assert_int_equal(recv_at(LM_A, &m, T0 + 1250, T0 + 1250), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 1);
	assert_int_equal(T.n_sent, 6);
	assert_int_equal(mn1_state(), DMM_MN_ALLOCATING);
}

/* ---- reply matching ---- */

static void test_reply_delivered_once(void **state)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg q, r;
	size_t len;

	attach(1, LINK, T0);
	q = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	r = loc_reply(q.seq);
	len = seal(&T.cfg.keys, LM_A, &r, T0 + 10, buf);
	assert_int_equal(recv_buf(LM_A, buf, len, T0 + 10), 0);
	assert_int_equal(T.n_sent, 2);
	sent(1, DMM_MSG_HOA_REQ, HAA_A);
	assert_int_equal(mn1_state(), DMM_MN_ALLOCATING);
	/* the query is no longer pending: only the HOA_REQ's deadline */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 10 + INIT);

	/* the same bytes again: matches nothing, changes nothing */
	assert_int_equal(recv_buf(LM_A, buf, len, T0 + 20), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 1);
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(mn1_state(), DMM_MN_ALLOCATING);
	assert_true(nt_log_has(&T, "loc-reply seq 1 matches no request"));
	assert_int_equal(ctr(DMM_C_RX), 2);
}

static void test_reply_must_match_peer_seq_type(void **state)
{
	struct dmm_msg q, r;

	attach(1, LINK, T0);
	q = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	/* right seq and type, but from the HAA, not from the LM asked */
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(HAA_A, &r, T0 + 1, T0 + 1), DMM_E_NOTFOUND);
	/* right peer and seq, wrong reply type */
	r = (struct dmm_msg){ .type = DMM_MSG_HOA_REP, .seq = q.seq,
			      .status = DMM_ST_NOT_FOUND };
	assert_int_equal(recv_at(LM_A, &r, T0 + 2, T0 + 2), DMM_E_NOTFOUND);
	/* right peer and type, other seq */
	r = loc_reply((uint16_t)(q.seq + 1));
	assert_int_equal(recv_at(LM_A, &r, T0 + 3, T0 + 3), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 3);
	/* a stale timestamp: dropped before matching, the request stays */
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(LM_A, &r, T0 + 4 - 5000, T0 + 4), DMM_E_STALE);
	assert_int_equal(ctr(DMM_C_DROP_STALE), 1);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(mn1_state(), DMM_MN_RESOLVING);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + INIT);

	/* the real answer still gets through */
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(LM_A, &r, T0 + 5, T0 + 5), 0);
	sent(1, DMM_MSG_HOA_REQ, HAA_A);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 3);
}

/* A restarted LM (or one that reuses a number) answers for another MN with
 * the right peer, type and sequence number: the reply must also name what
 * was asked, else it is dropped and the request stays pending. */
static void test_reply_must_answer_the_request(void **state)
{
	struct dmm_msg q, r;
	struct dmm_mnid other = nt_mnid(2);
	struct in6_addr dst = nt_a6("2001:db8:a:205::9"), src = nt_a6("2001:db8:a:100::5");

	attach(1, LINK, T0);
	q = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(q.flags & DMM_F_BY_MNID);
	r = (struct dmm_msg){ .type = DMM_MSG_LOC_REPLY, .seq = q.seq, .status = DMM_ST_OK,
			      .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION,
			      .mnid = other, .n_hnp = 1, .hnp = { nt_p6("2001:db8:a:200::/64") },
			      .location = nt_a6(MR2) };
	assert_int_equal(recv_at(LM_A, &r, T0 + 1, T0 + 1), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_MISMATCH), 1);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(mn1_state(), DMM_MN_RESOLVING);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + INIT);
	/* the real answer still gets through */
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(LM_A, &r, T0 + 2, T0 + 2), 0);
	sent(1, DMM_MSG_HOA_REQ, HAA_A);

	/* an address lookup answered with a prefix that does not hold it */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 3), 0);
	q = sent(2, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(q.present & DMM_P_TARGET);
	r = (struct dmm_msg){ .type = DMM_MSG_LOC_REPLY, .seq = q.seq, .status = DMM_ST_OK,
			      .present = DMM_P_HNP | DMM_P_LOCATION, .n_hnp = 1,
			      .hnp = { nt_p6("2001:db8:a:200::/64") }, .location = nt_a6(MR2) };
	assert_int_equal(recv_at(LM_A, &r, T0 + 4, T0 + 4), DMM_E_NOTFOUND);
	/* another target echoed */
	r.present |= DMM_P_TARGET;
	r.target = nt_a6("2001:db8:a:200::9");
	r.hnp[0] = nt_p6("2001:db8:a:205::/64");
	assert_int_equal(recv_at(LM_A, &r, T0 + 5, T0 + 5), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_MISMATCH), 3);
	r.target = dst;
	assert_int_equal(recv_at(LM_A, &r, T0 + 6, T0 + 6), 0);
	assert_int_equal(ctr(DMM_C_DROP_MISMATCH), 3);
}

/* The first sequence number comes from dmm_io.random; without it, from the
 * key ring, the address and the creation time: a restarted node does not
 * start over at the numbers its peers remember. */
static uint32_t rnd_value;
static uint32_t fixed_random(void *ctx)
{
	return rnd_value;
}

static uint16_t first_seq(dmm_time_t created, uint32_t (*rnd)(void *))
{
	struct dmm_config c;
	struct dmm_io io = { .random = rnd };
	struct dmm_node *n;
	struct in6_addr lm = nt_a6(LM_A);
	struct dmm_msg m = loc_reply(0);

	mr_config(&c);
	assert_int_equal(dmm_node_new(&c, &io, created, &n), 0);
	m.type = DMM_MSG_LOC_QUERY;
	m.status = 0;
	m.present = DMM_P_TARGET;
	m.target = lm;
	assert_true(dmm_request(n, &lm, &m, DMM_ROLE_MR, 0, created) > 0);
	dmm_node_free(n);
	return m.seq;
}

static void test_initial_seq_random(void **state)
{
	uint16_t a = first_seq(T0, NULL), b = first_seq(T0 + 7000, NULL);

	assert_int_not_equal(a, b);
	assert_false(a == 1 && b == 2);
	rnd_value = 0x1234abcd;
	assert_int_equal(first_seq(T0, fixed_random), 0xabcd);
	rnd_value = 0x00070007;
	assert_int_equal(first_seq(T0, fixed_random), 7);
}

/* ---- requests: the reply cache ---- */

static void test_duplicate_request_from_cache(void **state)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m = hoa_req(40, 1), rep;
	struct dmm_lease_view before;
	size_t len = seal(&T.cfg.keys, MR, &m, T0, buf);

	assert_int_equal(recv_buf(MR, buf, len, T0), 0);
	assert_int_equal(T.n_sent, 1);
	rep = sent(0, DMM_MSG_HOA_REP, MR);
	assert_int_equal(rep.seq, 40);
	assert_int_equal(rep.status, DMM_ST_OK);
	assert_int_equal(leases(), 1);
	before = lease_seen;
	assert_int_equal(ctr(DMM_C_HOA_ALLOC), 1);

	/* the MR retransmits the very same bytes 2 s later: the cached reply
	 * goes out again, sealed afresh (a timestamp of now), the lease is not
	 * touched, nothing is allocated */
	assert_int_equal(recv_buf(MR, buf, len, T0 + 2000), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(T.sent[1].len, T.sent[0].len);
	assert_true(same_but_timestamp(1, 0));
	assert_int_equal(sent(1, DMM_MSG_HOA_REP, MR).timestamp, ts_at(T0 + 2000));
	assert_true(a6_is(&T.sent[1].dst, MR));
	assert_int_equal(ctr(DMM_C_HOA_ALLOC), 1);
	assert_int_equal(leases(), 1);
	assert_int_equal(lease_seen.expires, before.expires);
	assert_int_equal(ctr(DMM_C_TX), 2);

	/* a retransmission is resealed (fresh timestamp), same seq: also a dup */
	m = hoa_req(40, 1);
	assert_int_equal(recv_at(MR, &m, T0 + 2500, T0 + 2500), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 2);
	assert_true(same_but_timestamp(2, 0));

	/* the same seq from another peer is a new request */
	m = hoa_req(40, 2);
	assert_int_equal(recv_at(MR2, &m, T0 + 3000, T0 + 3000), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 2);
	assert_int_equal(T.n_sent, 4);
	rep = sent(3, DMM_MSG_HOA_REP, MR2); /* answered on its own merits */
	assert_int_equal(rep.seq, 40);
	assert_int_equal(rep.status, DMM_ST_PROHIBITED); /* no pool anchored at MR2 */
	assert_int_equal(ctr(DMM_C_HOA_ALLOC), 1);
}

/* A restarted MR reuses sequence number 40 for another MN: the HAA must
 * not answer it with the cached reply for the first one (the old key was
 * peer + sequence number only). */
static void test_duplicate_seq_other_request(void **state)
{
	struct dmm_msg m = hoa_req(40, 1), rep;

	assert_int_equal(recv_at(MR, &m, T0, T0), 0);
	assert_int_equal(T.n_sent, 1);
	m = hoa_req(40, 2);
	assert_int_equal(recv_at(MR, &m, T0 + 3000, T0 + 3000), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(T.n_sent, 1);     /* not MN 1's answer */
	assert_int_equal(leases(), 1);     /* and not processed twice */
	/* the real retransmission of the first request still gets its answer */
	m = hoa_req(40, 1);
	assert_int_equal(recv_at(MR, &m, T0 + 3500, T0 + 3500), 0);
	assert_int_equal(T.n_sent, 2);
	rep = sent(1, DMM_MSG_HOA_REP, MR);
	assert_true(dmm_mnid_eq(&rep.mnid, &m.mnid));
}

static void test_duplicate_evicted_from_cache(void **state)
{
	struct dmm_config c;
	struct dmm_msg m;

	nt_stop(&T);
	haa_config(&c);
	c.limits.reply_cache = 1;
	start(&c);
	m = hoa_req(1, 1);
	assert_int_equal(recv_at(MR, &m, T0, T0), 0);
	m = hoa_req(2, 2);
	assert_int_equal(recv_at(MR, &m, T0, T0), 0);
	assert_int_equal(T.n_sent, 2);
	/* seq 1's reply was pushed out by seq 2's: counted, not re-processed,
	 * not answered (the MR retransmits; the lease stays as it is) */
	m = hoa_req(1, 1);
	assert_int_equal(recv_at(MR, &m, T0 + 10, T0 + 10), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(ctr(DMM_C_HOA_ALLOC), 2);
	m = hoa_req(2, 2);
	assert_int_equal(recv_at(MR, &m, T0 + 20, T0 + 20), 0);
	assert_int_equal(T.n_sent, 3);
	assert_true(same_but_timestamp(2, 1));
}

/* Finding 5 (leftover): retransmissions may span more than the timestamp
 * window (retransmit 250ms max 1s count 12). A duplicate answered from the
 * reply cache 6 s after the first answer must still be fresh for the
 * requester: it used to go out with the first answer's timestamp, which
 * the requester then dropped as stale, retransmitting in vain. */
static void test_duplicate_answer_fresh_after_window(void **state)
{
	struct dmm_msg m = hoa_req(40, 1), rep;
	uint32_t window = T.cfg.timers.ts_window_ms;
	dmm_time_t late = T0 + window + 1000;

	assert_int_equal(recv_at(MR, &m, T0, T0), 0);
	assert_int_equal(T.n_sent, 1);
	m = hoa_req(40, 1); /* the MR's retransmission, sealed at its send time */
	assert_int_equal(recv_at(MR, &m, late, late), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(ctr(DMM_C_HOA_ALLOC), 1);
	assert_int_equal(T.n_sent, 2);
	assert_true(same_but_timestamp(1, 0));
	rep = sent(1, DMM_MSG_HOA_REP, MR);
	/* what the MR's node checks on a reply (dmm_ts_check in recv_reply) */
	assert_int_equal(dmm_ts_check(window, dmm_ts_to_ms(rep.timestamp),
				      (uint64_t)(NT_WALL_OFFSET + (int64_t)late)), 0);
}

/* The reply cache digests a request's bytes as received, but not what a
 * retransmission may change: the Mobility Header checksum (raw IPv6: the
 * kernel fills it in flight, and it covers the timestamp), the timestamp,
 * the key id (a rotation between two tries) and the MAC. A change to any
 * other byte is another request. */
static void test_duplicate_digest_ignores_checksum_and_key(void **state)
{
	uint8_t buf[DMM_MSG_MAX], k2[DMM_KEY_LEN];
	struct dmm_msg m = hoa_req(40, 1);
	struct dmm_keyring kr2;
	size_t len = seal(&T.cfg.keys, MR, &m, T0, buf);

	buf[4] = 0xab, buf[5] = 0xcd; /* the checksum is not under the MAC */
	assert_int_equal(recv_buf(MR, buf, len, T0), 0);
	assert_int_equal(T.n_sent, 1);
	m = hoa_req(40, 1);
	len = seal(&T.cfg.keys, MR, &m, T0 + 700, buf);
	buf[4] = 0x12, buf[5] = 0x34;
	assert_int_equal(recv_buf(MR, buf, len, T0 + 700), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(T.n_sent, 2);
	assert_true(same_but_timestamp(1, 0));

	/* sealed with another domain key of the ring: the same request */
	memset(k2, 0x5a, sizeof(k2));
	assert_int_equal(dmm_keyring_add(&T.cfg.keys, 77, k2), 0);
	assert_int_equal(dmm_node_reconfigure(T.node, &T.cfg), 0);
	kr2 = T.cfg.keys;
	kr2.active = 77;
	m = hoa_req(40, 1);
	len = seal(&kr2, MR, &m, T0 + 900, buf);
	assert_int_equal(recv_buf(MR, buf, len, T0 + 900), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 2);
	assert_int_equal(T.n_sent, 3);
	assert_true(same_but_timestamp(2, 0));

	/* one other byte: the handoff indicator */
	m = hoa_req(40, 1);
	m.handoff = DMM_HI_SAME_IFACE;
	assert_int_equal(recv_at(MR, &m, T0 + 1000, T0 + 1000), 0);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 3);
	assert_int_equal(T.n_sent, 3); /* not the first request's answer */
}

/* ---- input checks ---- */

static void test_wrong_role(void **state)
{
	struct dmm_msg m = hoa_req(5, 1);

	/* an HOA_REQ to an MR-only node */
	assert_int_equal(recv_at(LM_A, &m, T0, T0), DMM_E_ROLE);
	assert_int_equal(ctr(DMM_C_DROP_ROLE), 1);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(T.n_ops, 0);
	assert_true(nt_log_has(&T, "mr1: hoa-req for a role this node does not run"));
	/* the sequence number was not consumed by the replay window either */
	struct dmm_config c;
	nt_stop(&T);
	haa_config(&c);
	start(&c);
	m = (struct dmm_msg){ .type = DMM_MSG_CTX_REQ, .seq = 5, .present = DMM_P_MNID,
			      .mnid = nt_mnid(1) };
	assert_int_equal(recv_at(MR, &m, T0, T0), DMM_E_ROLE);
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .seq = 6, .present = DMM_P_TARGET,
			      .target = nt_a6("2001:db8:a:100::1") };
	assert_int_equal(recv_at(MR, &m, T0, T0), DMM_E_ROLE);
	assert_int_equal(ctr(DMM_C_DROP_ROLE), 2);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(leases(), 0);
}

static void test_timestamp_required(void **state)
{
	struct dmm_msg m = hoa_req(1, 1);

	/* no Timestamp option */
	assert_int_equal(recv_at(MR, &m, DMM_TIME_NEVER, T0), DMM_E_STALE);
	assert_true(nt_log_has(&T, "haa1: hoa-req without timestamp"));
	/* exactly the window (5 s) old or ahead: stale */
	m = hoa_req(2, 1);
	assert_int_equal(recv_at(MR, &m, T0 - 5000, T0), DMM_E_STALE);
	m = hoa_req(3, 1);
	assert_int_equal(recv_at(MR, &m, T0 + 5000, T0), DMM_E_STALE);
	assert_int_equal(ctr(DMM_C_DROP_STALE), 3);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(leases(), 0);
	/* within the window: accepted (and seq 2, 3 were not burnt) */
	m = hoa_req(2, 1);
	assert_int_equal(recv_at(MR, &m, T0 - 4900, T0), 0);
	m = hoa_req(3, 2);
	assert_int_equal(recv_at(MR, &m, T0 + 4900, T0), 0);
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(leases(), 2);
	assert_int_equal(ctr(DMM_C_DUP_REQUEST), 0);
	/* a reply without timestamp is dropped the same way */
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_ACK, .seq = 9 };
	assert_int_equal(recv_at(LM_A, &m, DMM_TIME_NEVER, T0), DMM_E_STALE);
	assert_int_equal(ctr(DMM_C_DROP_STALE), 4);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 0);
}

static void test_drop_log_rate_limit(void **state)
{
	static const dmm_time_t at[] = { T0, T0 + 1, T0 + 500, T0 + 999, T0 + 1000,
					 T0 + 1999, T0 + 2000, T0 + 2999, T0 + 5000 };
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m;
	size_t len;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		m = hoa_req((uint16_t)(i + 1), 1);
		assert_int_equal(recv_at(MR, &m, DMM_TIME_NEVER, at[i]), DMM_E_STALE);
	}
	/* every drop counted; logged at T0, +1000, +2000, +5000 only */
	assert_int_equal(ctr(DMM_C_DROP_STALE), 9);
	assert_int_equal(log_count("without timestamp"), 4);

	/* another counter has its own budget: a bad MAC at T0 + 5001 is logged */
	m = hoa_req(20, 1);
	len = seal(&T.cfg.keys, MR, &m, T0 + 5001, buf);
	buf[len - 1] ^= 1;
	assert_int_equal(recv_buf(MR, buf, len, T0 + 5001), DMM_E_AUTH);
	assert_int_equal(recv_buf(MR, buf, len, T0 + 5002), DMM_E_AUTH);
	assert_int_equal(ctr(DMM_C_DROP_AUTH), 2);
	assert_int_equal(log_count("authentication failed"), 1);
	m = hoa_req(21, 1);
	assert_int_equal(recv_at(MR, &m, DMM_TIME_NEVER, T0 + 5002), DMM_E_STALE);
	assert_int_equal(log_count("without timestamp"), 4);
	assert_int_equal(T.n_logs, 5);
	assert_int_equal(ctr(DMM_C_RX), 12);
	assert_int_equal(T.n_sent, 0);
}

/* ---- deadlines and the pending table ---- */

static void test_next_deadline(void **state)
{
	struct dmm_msg q, r;

	assert_int_equal(dmm_node_next_deadline(T.node), DMM_TIME_NEVER);
	attach(1, LINK, T0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + INIT);
	attach(2, LINK + 1, T0 + 50);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + INIT); /* the earlier */
	dmm_node_timer(T.node, T0 + 100);             /* MN1's query: next +200 */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 150);
	dmm_node_timer(T.node, T0 + 150);             /* MN2's query: next +200 */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 300);
	assert_int_equal(T.n_sent, 4);
	/* MN1's query answered: MN2's retransmission and MN1's new HOA_REQ */
	q = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(LM_A, &r, T0 + 160, T0 + 160), 0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 160 + INIT);
	/* MN2's query answered too */
	q = sent(1, DMM_MSG_LOC_QUERY, LM_A);
	r = loc_reply(q.seq);
	assert_int_equal(recv_at(LM_A, &r, T0 + 170, T0 + 170), 0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 160 + INIT);
	/* a deadline in the past is reported as it is: the caller runs it now */
	assert_true(dmm_node_next_deadline(T.node) < T0 + 1000);
}

static void test_pending_table_full(void **state)
{
	struct dmm_config c;
	struct dmm_msg m, r;
	struct in6_addr lm = nt_a6(LM_A);
	int64_t id1, id2;

	nt_stop(&T);
	mr_config(&c);
	c.limits.max_pending = 2;
	start(&c);
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .present = DMM_P_TARGET,
			      .target = nt_a6("2001:db8:a:1::1") };
	id1 = dmm_request(T.node, &lm, &m, DMM_ROLE_MR, 0, T0);
	assert_int_equal(m.seq, 1);
	id2 = dmm_request(T.node, &lm, &m, DMM_ROLE_MR, 0, T0);
	assert_true(id1 > 0 && id2 > 0 && id1 != id2);
	assert_int_equal(m.seq, 2);
	m.seq = 0;
	assert_int_equal(dmm_request(T.node, &lm, &m, DMM_ROLE_MR, 0, T0 + 1), DMM_E_FULL);
	assert_int_equal(m.seq, 0); /* no sequence number spent */
	assert_int_equal(T.n_sent, 2);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 1);
	assert_true(nt_log_has(&T, "pending requests table full"));
	/* an attach now cannot ask the LM: counted, nothing sent */
	struct dmm_mnid mn = nt_mnid(1);
	dmm_mr_attach(T.node, LINK, &mn, T0 + 2);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 2);
	assert_int_equal(T.n_sent, 2);

	/* cancel the first: its slot is free, its reply is unexpected */
	dmm_request_cancel(T.node, (uint32_t)id1);
	assert_true(dmm_request(T.node, &lm, &m, DMM_ROLE_MR, 0, T0 + 3) > 0);
	assert_int_equal(m.seq, 3);
	r = loc_reply(1);
	assert_int_equal(recv_at(LM_A, &r, T0 + 4, T0 + 4), DMM_E_NOTFOUND);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 1);
	dmm_request_cancel(T.node, (uint32_t)id2);
	dmm_request_cancel(T.node, 0); /* no-op */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 3 + INIT);
}

/* Refreshes hold at most 3/4 of the pending table: a refresh storm leaves
 * room for queries and attaches, and what it cannot send is deferred
 * (counted), not logged as a full table. */
static void test_refresh_budget(void **state)
{
	struct in6_addr lm = nt_a6(LM_A);
	struct dmm_msg m;

	for (unsigned i = 0; i < 6; i++) {
		m = loc_reply(0);
		m.type = DMM_MSG_LOC_QUERY;
		m.status = 0;
		m.present = DMM_P_TARGET;
		m.target = lm;
		assert_true(dmm_request_refresh(T.node, &lm, &m, DMM_ROLE_MR, 0, T0) > 0);
	}
	assert_int_equal(dmm_request_refresh(T.node, &lm, &m, DMM_ROLE_MR, 0, T0), DMM_E_FULL);
	assert_int_equal(ctr(DMM_C_REFRESH_DEFERRED), 1);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 0);
	/* an attach still gets its query out */
	attach(1, LINK, T0);
	assert_int_equal(T.n_sent, 7);
	sent(6, DMM_MSG_LOC_QUERY, LM_A);
	/* refreshes that end (here: time out) make room for the next */
	for (dmm_time_t d; (d = dmm_node_next_deadline(T.node)) <= T0 + 2000;)
		dmm_node_timer(T.node, d);
	assert_true(dmm_request_refresh(T.node, &lm, &m, DMM_ROLE_MR, 0, T0 + 100000) > 0);
}

/* ---- life cycle ---- */

static void test_new_rejects_invalid(void **state)
{
	struct dmm_config c;
	struct dmm_io io = { 0 };
	struct dmm_node *n = (struct dmm_node *)&c; /* must be reset to NULL */

	mr_config(&c);
	c.keys.n = 0;
	assert_int_equal(dmm_node_new(&c, &io, T0, &n), DMM_E_CONFIG);
	assert_null(n);
	mr_config(&c);
	c.roles = 0;
	n = (struct dmm_node *)&c;
	assert_int_equal(dmm_node_new(&c, &io, T0, &n), DMM_E_CONFIG);
	assert_null(n);
	mr_config(&c);
	c.timers.retrans_max_ms = INIT - 1;
	assert_int_equal(dmm_node_new(&c, &io, T0, &n), DMM_E_CONFIG);
	assert_null(n);
	/* and a valid one, without any callbacks, runs silently */
	mr_config(&c);
	assert_int_equal(dmm_node_new(&c, &io, T0, &n), 0);
	assert_non_null(n);
	assert_memory_equal(dmm_node_config(n), &c, sizeof(c));
	struct dmm_mnid mn = nt_mnid(1);
	dmm_node_timer(n, T0);
	assert_int_equal(dmm_mr_attach(n, LINK, &mn, T0), 0);
	/* until both exchanges gave up (the MR would then start over, 1 s on) */
	for (dmm_time_t d; dmm_node_counter(n, DMM_C_TIMEOUT) < 2 &&
			   (d = dmm_node_next_deadline(n)) != DMM_TIME_NEVER;)
		dmm_node_timer(n, d);
	assert_int_equal(dmm_node_counter(n, DMM_C_TX), 2 * (COUNT + 1));
	dmm_node_free(n);
	dmm_node_free(NULL);
}

/* Keys apply at once: a message sealed with a key the node did not have is
 * refused before and accepted after; replies go out with the new active key. */
static void test_reconfigure_keys(void **state)
{
	struct dmm_config c = T.cfg;
	struct dmm_keyring k2 = { .n = 1, .active = SAMPLE_KEY2_ID };
	uint8_t buf[DMM_MSG_MAX], key[DMM_KEY_LEN];
	struct dmm_msg m = hoa_req(1, 1), rep;
	struct in6_addr mr = nt_a6(MR);
	size_t len;

	k2.keys[0].id = SAMPLE_KEY2_ID;
	sample_key(SAMPLE_KEY2_ID, k2.keys[0].key);
	len = seal(&k2, MR, &m, T0, buf);
	assert_int_equal(recv_buf(MR, buf, len, T0), DMM_E_KEY);
	assert_int_equal(ctr(DMM_C_DROP_KEY), 1);
	assert_int_equal(T.n_sent, 0);

	sample_key(SAMPLE_KEY2_ID, key);
	assert_int_equal(dmm_keyring_add(&c.keys, SAMPLE_KEY2_ID, key), 0);
	c.keys.active = SAMPLE_KEY2_ID;
	assert_int_equal(dmm_node_reconfigure(T.node, &c), 0);
	assert_true(nt_log_has(&T, "haa1: configuration reloaded"));
	assert_memory_equal(&dmm_node_config(T.node)->keys, &c.keys, sizeof(c.keys));
	/* the same bytes now pass (they were dropped before any state change) */
	assert_int_equal(recv_buf(MR, buf, len, T0 + 10), 0);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(dmm_msg_open(&k2, &T.cfg.self, &mr, T.sent[0].buf, T.sent[0].len,
				      &rep), 0);
	assert_int_equal(rep.type, DMM_MSG_HOA_REP);
	assert_int_equal(rep.key_id, SAMPLE_KEY2_ID);
	/* the old key still verifies while it is in the ring ... */
	m = hoa_req(2, 2);
	assert_int_equal(recv_at(MR, &m, T0 + 20, T0 + 20), 0);
	/* ... and not once it is removed */
	c.keys = k2;
	assert_int_equal(dmm_node_reconfigure(T.node, &c), 0);
	m = hoa_req(3, 3);
	assert_int_equal(recv_at(MR, &m, T0 + 30, T0 + 30), DMM_E_KEY);
	assert_int_equal(ctr(DMM_C_DROP_KEY), 2);
	assert_int_equal(leases(), 2);
}

static void test_reconfigure_timers(void **state)
{
	struct dmm_config c = T.cfg;
	struct dmm_msg m;

	c.timers.retrans_initial_ms = 40;
	c.timers.retrans_max_ms = 60;
	c.timers.retrans_count = 2;
	c.timers.ts_window_ms = 2000;
	c.lm_update_on_attach = false; /* an MR policy switch: live too */
	assert_int_equal(dmm_node_reconfigure(T.node, &c), 0);
	assert_memory_equal(dmm_node_config(T.node), &c, sizeof(c));
	attach(1, LINK, T0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 40);
	dmm_node_timer(T.node, T0 + 40);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 100); /* 80 capped to 60 */
	dmm_node_timer(T.node, T0 + 100);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 160);
	dmm_node_timer(T.node, T0 + 160);
	assert_int_equal(ctr(DMM_C_RETRANSMIT), 2);
	assert_int_equal(ctr(DMM_C_TIMEOUT), 1);
	sent(3, DMM_MSG_HOA_REQ, HAA_A);
	/* the timestamp window: 3 s off is now too much, for replies ... */
	m = (struct dmm_msg){ .type = DMM_MSG_HOA_REP, .seq = sent(3, DMM_MSG_HOA_REQ,
								    HAA_A).seq,
			      .status = DMM_ST_NO_RESOURCES };
	assert_int_equal(recv_at(HAA_A, &m, T0 + 170 - 3000, T0 + 170), DMM_E_STALE);
	/* ... and for requests (replay window of the node) */
	m = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY, .seq = 1, .present = DMM_P_HNP,
			      .n_hnp = 1, .hnp = { nt_p6("2001:db8:a:1::/64") } };
	assert_int_equal(recv_at(LM_A, &m, T0 + 180 - 3000, T0 + 180), DMM_E_STALE);
	assert_int_equal(ctr(DMM_C_DROP_STALE), 2);
}

/* Backoff near the top of uint32: doubling 3e9 ms must clamp to the
 * maximum, not wrap to a retransmission 1.7e9 ms (or 0 ms) away. */
static void test_backoff_no_wrap(void **state)
{
	struct dmm_config c = T.cfg;

	c.timers.retrans_initial_ms = 3000000000u;
	c.timers.retrans_max_ms = UINT32_MAX;
	c.timers.retrans_count = 3;
	assert_int_equal(dmm_node_reconfigure(T.node, &c), 0);
	attach(1, LINK, T0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 3000000000u);
	dmm_node_timer(T.node, T0 + 3000000000u);
	assert_int_equal(ctr(DMM_C_RETRANSMIT), 1);
	assert_int_equal(dmm_node_next_deadline(T.node),
			 T0 + 3000000000u + (dmm_time_t)UINT32_MAX);
}

/* Anything but timers, keys and the MR switches: refused, node unchanged. */
static void test_reconfigure_refused(void **state)
{
	struct dmm_config orig = T.cfg, c;

	assert_memory_equal(dmm_node_config(T.node), &orig, sizeof(orig));
	for (int k = 0; k < 11; k++) {
		c = orig;
		c.timers.retrans_initial_ms = 40; /* would be fine alone */
		switch (k) {
		case 0: c.roles |= DMM_ROLE_LM; break;
		case 1: c.self = nt_a6(MR2); break;
		case 2: strcpy(c.name, "mr9"); break;
		case 3: c.nets[0].prefixes[0] = nt_p6("2001:db8:c::/48"); break;
		case 4: nt_add_net(&c, "b", "2001:db8:b::/48", LM_A, HAA_A); break;
		case 5: c.limits.max_pending = 9; break;
		case 6: c.ro_mode = DMM_RO_REDIRECT; break;
		case 7: c.n_fixed = 1; c.fixed[0] = nt_p6("2001:db8:f::/48"); break;
		case 8: c.n_pools = 1; c.pools[0] = (struct dmm_pool){
				.range = nt_p6("2001:db8:a:100::/56"), .plen = 64,
				.mr = nt_a6(MR) }; break;
		case 9: c.nets[0].lm = nt_a6(MR2); break;
		case 10: c.timers.ts_window_ms = 0; break; /* invalid */
		}
		if (dmm_node_reconfigure(T.node, &c) != DMM_E_CONFIG)
			fail_msg("change %d accepted", k);
		assert_memory_equal(dmm_node_config(T.node), &orig, sizeof(orig));
	}
	assert_false(nt_log_has(&T, "configuration reloaded"));
	/* the old timers still rule */
	attach(1, LINK, T0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + INIT);
	/* the same config again is a (no-op) success */
	assert_int_equal(dmm_node_reconfigure(T.node, &orig), 0);
}

/* dmm_node_probe (an anycast gateway's health): a LOC_QUERY for the first
 * address of the local network, which its LM answers itself; one in flight
 * at a time (retransmitted like any request); an answer is recorded
 * whatever its status, a timeout is not. */
static void test_probe(void **state)
{
	struct in6_addr lm = nt_a6(LM_A);
	struct dmm_msg q, r;

	assert_true(dmm_node_probe_answered(T.node) == DMM_TIME_NEVER);
	assert_int_equal(dmm_node_probe(T.node, &lm, T0), 0);
	assert_int_equal(T.n_sent, 1);
	q = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(q.present & DMM_P_TARGET);
	assert_true(a6_is(&q.target, "2001:db8:a::"));
	assert_int_equal(q.flags & (DMM_F_SUBSCRIBE | DMM_F_BY_MNID), 0);
	/* in flight: a second call sends nothing */
	assert_int_equal(dmm_node_probe(T.node, &lm, T0 + 10), 0);
	assert_int_equal(T.n_sent, 1);
	/* NOT_FOUND is an answer */
	r = loc_reply(q.seq);
	r.target = q.target;
	r.present |= DMM_P_TARGET;
	assert_int_equal(recv_at(LM_A, &r, T0 + 20, T0 + 20), 0);
	assert_true(dmm_node_probe_answered(T.node) == T0 + 20);
	assert_int_equal(ctr(DMM_C_DROP_UNEXPECTED), 0);
	/* the next probe goes out; unanswered, it times out and the last
	 * answer stays the one at T0 + 20 */
	assert_int_equal(dmm_node_probe(T.node, &lm, T0 + 1000), 0);
	assert_int_equal(T.n_sent, 2);
	for (dmm_time_t t = T0 + 1000; t <= T0 + 3000; t += 50)
		dmm_node_timer(T.node, t);
	assert_int_equal(ctr(DMM_C_TIMEOUT), 1);
	assert_true(dmm_node_probe_answered(T.node) == T0 + 20);
	assert_int_equal(dmm_node_next_deadline(T.node), DMM_TIME_NEVER);
	/* and a new one can be sent */
	assert_int_equal(dmm_node_probe(T.node, &lm, T0 + 3000), 0);
	assert_int_equal(T.n_sent, 2 + 1 + COUNT);
}

int main(void)
{
#define MR_(f) cmocka_unit_test_setup_teardown(f, setup_mr, teardown)
#define HAA_(f) cmocka_unit_test_setup_teardown(f, setup_haa, teardown)
	const struct CMUnitTest tests[] = {
		MR_(test_retransmit_backoff_then_timeout),
		MR_(test_reply_delivered_once),
		MR_(test_reply_must_match_peer_seq_type),
		HAA_(test_duplicate_request_from_cache),
		HAA_(test_duplicate_evicted_from_cache),
		HAA_(test_duplicate_seq_other_request),
		HAA_(test_duplicate_answer_fresh_after_window),
		HAA_(test_duplicate_digest_ignores_checksum_and_key),
		MR_(test_reply_must_answer_the_request),
		cmocka_unit_test(test_initial_seq_random),
		MR_(test_refresh_budget),
		MR_(test_wrong_role),
		HAA_(test_timestamp_required),
		HAA_(test_drop_log_rate_limit),
		MR_(test_next_deadline),
		MR_(test_pending_table_full),
		cmocka_unit_test(test_new_rejects_invalid),
		HAA_(test_reconfigure_keys),
		MR_(test_reconfigure_timers),
		MR_(test_backoff_no_wrap),
		MR_(test_reconfigure_refused),
		MR_(test_probe),
	};

	dmm_auth_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
