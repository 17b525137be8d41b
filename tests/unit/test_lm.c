/* LM engine (core/lm.c): real sealed requests through dmm_node_recv; LM
 * nodes wired by hand (captured bytes of one delivered to the other). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node_priv.h"
#include "nodetest.h"
#include "roles.h"

#define LMA "2001:db8:ff::a1" /* LM of network a: 2001:db8:a::/48 */
#define LMB "2001:db8:ff::b1" /* LM of network b: 2001:db8:b::/48 */
#define LMC "2001:db8:ff::c1" /* LM of network c: 2001:db8:c::/48 */
#define MR11 "2001:db8:ff::11"
#define MR12 "2001:db8:ff::12"
#define MR13 "2001:db8:ff::13"
#define MR21 "2001:db8:ff::21"
#define HNP "2001:db8:a:100::/64"
#define T0 1000
#define LIFE 600 /* s, a multiple of 4 (PBU lifetime unit) */

static struct nodetest la, lb, lc;

static void
lm_config(struct dmm_config *c, const char *name, const char *self, int local,
	  uint32_t max_bindings)
{
	nt_config(c, name, self, DMM_ROLE_LM);
	nt_add_net(c, "a", "2001:db8:a::/48", LMA, LMA);
	nt_add_net(c, "b", "2001:db8:b::/48", LMB, LMB);
	nt_add_net(c, "c", "2001:db8:c::/48", LMC, LMC);
	c->local_net = local;
	c->limits.max_bindings = max_bindings;
}

static int
setup(void **state)
{
	struct dmm_config c;

	lm_config(&c, "lm-a", LMA, 0, 16);
	assert_int_equal(nt_start(&la, &c, T0), 0);
	lm_config(&c, "lm-b", LMB, 1, 16);
	assert_int_equal(nt_start(&lb, &c, T0), 0);
	lm_config(&c, "lm-c", LMC, 2, 16);
	assert_int_equal(nt_start(&lc, &c, T0), 0);
	return 0;
}

static int
setup_small(void **state)
{
	struct dmm_config c;

	setup(state);
	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 2);
	assert_int_equal(nt_start(&la, &c, T0), 0);
	return 0;
}

static int
teardown(void **state)
{
	nt_stop(&la);
	nt_stop(&lb);
	nt_stop(&lc);
	return 0;
}

static struct dmm_msg
update_msg(unsigned mn, const char *hnp, const char *location, uint32_t lifetime)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HANDOFF,
			     .mnid = nt_mnid(mn), .n_hnp = 1, .handoff = DMM_HI_NEW_IFACE,
			     .lifetime = lifetime };

	m.hnp[0] = nt_p6(hnp);
	m.location = nt_a6(location);
	return m;
}

static struct dmm_msg
query_msg(const char *target, uint16_t flags)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_QUERY, .flags = flags,
			     .present = DMM_P_TARGET };

	m.target = nt_a6(target);
	return m;
}

static struct dmm_msg
query_mnid_msg(unsigned mn)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_QUERY, .flags = DMM_F_BY_MNID,
			     .present = DMM_P_MNID, .mnid = nt_mnid(mn) };

	return m;
}

/* Clear t's capture, feed m from src; expect it processed. */
static void
feed(struct nodetest *t, const char *src, struct dmm_msg *m, dmm_time_t now)
{
	struct in6_addr s = nt_a6(src);

	nt_clear(t);
	assert_int_equal(nt_recv(t, &s, m, now), 0);
}

/* Index of the n-th captured message of type to dst, opened into out, or -1. */
static int
find_nth(const struct nodetest *t, enum dmm_msg_type type, const char *dst, unsigned nth,
	 struct dmm_msg *out)
{
	struct in6_addr d = nt_a6(dst);

	for (unsigned i = 0; i < t->n_sent && i < NT_MAX_SENT; i++) {
		if (memcmp(&t->sent[i].dst, &d, sizeof(d)) != 0)
			continue;
		assert_int_equal(nt_open(t, i, out), 0);
		if (out->type == type && nth-- == 0)
			return (int)i;
	}
	return -1;
}

static int
find(const struct nodetest *t, enum dmm_msg_type type, const char *dst, struct dmm_msg *out)
{
	return find_nth(t, type, dst, 0, out);
}

/* The only message t sent: of type, to dst. */
static struct dmm_msg
only(const struct nodetest *t, enum dmm_msg_type type, const char *dst)
{
	struct dmm_msg m;

	assert_int_equal(t->n_sent, 1);
	assert_int_equal(find(t, type, dst, &m), 0);
	return m;
}

static void
assert_addr(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = nt_a6(s);

	assert_memory_equal(a, &b, sizeof(b));
}

static void
assert_hnp(const struct dmm_msg *m, const char *hnp)
{
	struct dmm_prefix p = nt_p6(hnp);

	assert_true(m->present & DMM_P_HNP);
	assert_int_equal(m->n_hnp, 1);
	assert_true(dmm_prefix_eq(&m->hnp[0], &p));
}

struct bindings {
	unsigned n;
	struct dmm_binding_view v[8];
};

static void
collect(void *ctx, const struct dmm_binding_view *v)
{
	struct bindings *b = ctx;

	if (b->n < 8)
		b->v[b->n] = *v;
	b->n++;
}

static struct bindings
bindings(const struct nodetest *t)
{
	struct bindings b = { 0 };

	dmm_lm_foreach_binding(t->node, collect, &b);
	return b;
}

static uint64_t
counter(const struct nodetest *t, enum dmm_counter c)
{
	return dmm_node_counter(t->node, c);
}

/* MN 1 at MR11 with prefix HNP, registered at LM A. */
static void
bind_mn1(void)
{
	struct dmm_msg m = update_msg(1, HNP, MR11, LIFE);
	struct dmm_msg r;

	m.home = nt_a6(MR11);
	m.present |= DMM_P_HOME;
	feed(&la, MR11, &m, T0);
	r = only(&la, DMM_MSG_LOC_ACK, MR11);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
}

static void
test_update_and_query(void **state)
{
	struct dmm_msg m = update_msg(1, HNP, MR11, LIFE), r;
	struct dmm_mnid one = nt_mnid(1);
	struct bindings b;

	m.home = nt_a6(MR11);
	m.present |= DMM_P_HOME;
	feed(&la, MR11, &m, T0);
	r = only(&la, DMM_MSG_LOC_ACK, MR11);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_int_equal(r.lifetime, LIFE);
	assert_hnp(&r, HNP);
	assert_true(dmm_mnid_eq(&r.mnid, &one));
	assert_false(r.present & DMM_P_PREV_LOCATION);
	assert_true(nt_log_has(&la, "lm: binding 2001:db8:a:100::/64 mn 02:00:00:00:00:01 at "
				    "2001:db8:ff::11: free -> active (created)"));
	b = bindings(&la);
	assert_int_equal(b.n, 1);
	assert_addr(&b.v[0].location, MR11);
	assert_addr(&b.v[0].home, MR11);
	assert_int_equal(b.v[0].expires, T0 + LIFE * 1000);
	assert_int_equal(b.v[0].seq, m.seq);

	m = query_msg("2001:db8:a:100::5", 0);
	feed(&la, MR12, &m, T0 + 1000);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR11);
	assert_addr(&r.home, MR11);
	assert_addr(&r.target, "2001:db8:a:100::5");
	assert_true(dmm_mnid_eq(&r.mnid, &one));
	assert_int_equal(r.lifetime, LIFE - 1);

	m = query_mnid_msg(1);
	feed(&la, MR12, &m, T0 + 2000);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR11);

	m = query_msg("2001:db8:a:1ff::5", 0); /* ours, nobody's */
	feed(&la, MR12, &m, T0 + 3000);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 0);
}

static void
test_subscribe_notify(void **state)
{
	struct dmm_msg m, r, ack;
	int i;

	bind_mn1();
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la, MR12, &m, T0 + 10);
	assert_int_equal(only(&la, DMM_MSG_LOC_REPLY, MR12).status, DMM_ST_OK);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 1);
	assert_true(nt_log_has(&la, "subscriber 2001:db8:ff::12 of 2001:db8:a:100::/64: "
				    "none -> active (subscribed)"));

	/* the MN moves to MR13 */
	m = update_msg(1, HNP, MR13, LIFE);
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&la, MR13, &m, T0 + 20);
	assert_int_equal(la.n_sent, 2);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR13, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_true(r.present & DMM_P_PREV_LOCATION);
	assert_addr(&r.prev_location, MR11);
	assert_true((i = find(&la, DMM_MSG_LM_NOTIFY, MR12, &r)) >= 0);
	assert_true(r.flags & DMM_F_ACK_REQ);
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR13);
	assert_addr(&r.prev_location, MR11);
	assert_addr(&r.home, MR11);
	assert_int_equal(counter(&la, DMM_C_NOTIFY), 1);
	assert_true(nt_log_has(&la, "at 2001:db8:ff::13: active -> active (moved)"));

	/* acknowledged: no retransmission, still subscribed */
	ack = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY_ACK, .seq = r.seq };
	feed(&la, MR12, &ack, T0 + 30);
	assert_int_equal(counter(&la, DMM_C_DROP_UNEXPECTED), 0);
	assert_int_equal(dmm_node_next_deadline(la.node), T0 + LIFE * 1000);
	dmm_node_timer(la.node, T0 + 60000);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_RETRANSMIT), 0);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 1);
}

/* Nobody acks: a round of retransmissions with backoff, then a new
 * notification (a new sequence number, the binding's current location, no
 * previous one), round after round while the subscriber may still hold its
 * cache entry (a cache lifetime after it was last heard from); then it is
 * dropped and the next move tells nobody. Before, it was dropped after the
 * first round: its cache kept the old location for up to a cache lifetime
 * (fig1_loss, MRGW). */
static void
test_notify_lost(void **state)
{
	const struct dmm_config *c = dmm_node_config(la.node);
	dmm_time_t heard = T0 + 10, until = heard + (dmm_time_t)c->timers.cache_lifetime_s * 1000;
	struct dmm_msg m, first, r;
	dmm_time_t t, last = 0;
	unsigned sent = 0, rounds = 0;
	bool again = false, dropped = false;
	uint16_t seq;

	bind_mn1();
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la, MR12, &m, heard);
	m = update_msg(1, HNP, MR13, LIFE);
	feed(&la, MR13, &m, T0 + 20);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR12, &first) >= 0);
	assert_true(first.present & DMM_P_PREV_LOCATION);
	seq = first.seq;
	nt_clear(&la);
	while ((t = dmm_node_next_deadline(la.node)) < until + 60000) {
		dmm_node_timer(la.node, t);
		for (unsigned k = 0; find_nth(&la, DMM_MSG_LM_NOTIFY, MR12, k, &r) >= 0; k++) {
			assert_addr(&r.location, MR13);
			if (r.seq != seq) { /* a new round */
				assert_false(r.present & DMM_P_PREV_LOCATION);
				assert_true(t < until);
				seq = r.seq;
				rounds++;
			}
			sent++;
			last = t;
		}
		again |= nt_log_has(&la, "subscriber 2001:db8:ff::12 of 2001:db8:a:100::/64: "
					 "active -> active (notification never acked, sent again)");
		dropped |= nt_log_has(&la, "subscriber 2001:db8:ff::12 of 2001:db8:a:100::/64: "
					   "active -> dropped (notification never acked)");
		nt_clear(&la);
	}
	/* rounds of 1 + retrans_count sends, the last begun before `until` */
	assert_true(rounds >= 2);
	assert_int_equal(sent, c->timers.retrans_count + rounds * (1 + c->timers.retrans_count));
	assert_int_equal(counter(&la, DMM_C_TIMEOUT), rounds + 1);
	assert_int_equal(counter(&la, DMM_C_NOTIFY), rounds + 1);
	assert_true(last < until + 60000);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 0);
	assert_true(again);
	assert_true(dropped);
	/* the next move tells nobody */
	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, until + 60000);
	assert_int_equal(la.n_sent, 1);
	assert_int_equal(counter(&la, DMM_C_NOTIFY), rounds + 1);
}

/* A whole round lost, the next acked: the subscriber stays, heard from
 * now, and the next move notifies it; the MN moving to the subscriber
 * itself cancels the notification in flight there. */
static void
test_notify_lost_round_then_acked(void **state)
{
	const struct dmm_config *c = dmm_node_config(la.node);
	struct dmm_msg m, first, r, ack;
	dmm_time_t t = T0;

	bind_mn1();
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la, MR12, &m, T0 + 10);
	m = update_msg(1, HNP, MR13, LIFE);
	feed(&la, MR13, &m, T0 + 20);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR12, &first) >= 0);
	nt_clear(&la);
	while (counter(&la, DMM_C_TIMEOUT) == 0) {
		t = dmm_node_next_deadline(la.node);
		assert_true(t < T0 + 60000);
		dmm_node_timer(la.node, t);
	}
	r = (struct dmm_msg){ 0 };
	for (unsigned k = 0; find_nth(&la, DMM_MSG_LM_NOTIFY, MR12, k, &m) >= 0; k++)
		r = m;
	assert_true(r.seq != first.seq);
	assert_addr(&r.location, MR13);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 1);
	ack = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY_ACK, .seq = r.seq };
	feed(&la, MR12, &ack, t + 5);
	assert_int_equal(counter(&la, DMM_C_DROP_UNEXPECTED), 0);
	/* acked: nothing more until the next move, well past the first
	 * subscription's cache lifetime */
	t += (dmm_time_t)c->timers.cache_lifetime_s * 1000 - 1000;
	dmm_node_timer(la.node, t);
	assert_int_equal(la.n_sent, 0);
	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, t);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR12, &r) >= 0);
	assert_addr(&r.location, MR11);
	/* the MN moves to the subscriber: its notification in flight is
	 * cancelled, no retransmission of "at MR11" reaches MR12 */
	nt_clear(&la);
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, t + 10);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 0);
	dmm_node_timer(la.node, t + 5000);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 0);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 1);
}

static void
test_delete(void **state)
{
	struct dmm_msg m, r;

	bind_mn1();
	m = update_msg(1, HNP, MR11, 0);
	feed(&la, MR11, &m, T0 + 100);
	r = only(&la, DMM_MSG_LOC_ACK, MR11);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(bindings(&la).n, 0);
	assert_true(nt_log_has(&la, "active -> free (deregistered)"));
	m = query_msg("2001:db8:a:100::5", 0);
	feed(&la, MR12, &m, T0 + 200);
	assert_int_equal(only(&la, DMM_MSG_LOC_REPLY, MR12).status, DMM_ST_NOT_FOUND);
}

static void
test_expiry(void **state)
{
	struct dmm_msg m;

	bind_mn1();
	m = update_msg(1, HNP, MR11, LIFE); /* refresh half way */
	m.handoff = DMM_HI_NOT_CHANGED;
	feed(&la, MR11, &m, T0 + 300000);
	dmm_node_timer(la.node, T0 + LIFE * 1000);
	assert_int_equal(bindings(&la).n, 1);
	assert_int_equal(dmm_node_next_deadline(la.node), T0 + 300000 + LIFE * 1000);
	nt_clear(&la);
	dmm_node_timer(la.node, T0 + 300000 + LIFE * 1000);
	assert_int_equal(bindings(&la).n, 0);
	assert_int_equal(counter(&la, DMM_C_BINDING_EXPIRED), 1);
	assert_true(nt_log_has(&la, "active -> free (expired)"));
	assert_int_equal(dmm_node_next_deadline(la.node), DMM_TIME_NEVER);
}

/* The table grows with the bindings in use, not with limits.max_bindings;
 * records are compact (36 bytes, locators shared: 48 bytes a binding with
 * the indexes and the wheel); an MN id that is no EUI-48 or EUI-64 and a
 * prefix longer than /64 go to the extras and still match; the expiry
 * wheel expires exactly the bindings due, at their time. */
static void
test_compact_table(void **state)
{
	struct dmm_config c;
	struct dmm_msg m, rep;
	struct dmm_mnid nai = { .type = DMM_MNID_NAI, .len = 20 };
	uint32_t used;
	size_t bytes;
	char pfx[64];
	unsigned i;

	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 1000000);
	c.timers.binding_lifetime_s = 3600;
	assert_int_equal(nt_start(&la, &c, T0), 0);
	bytes = dmm_lm_footprint(la.node, &used);
	assert_int_equal(used, 0);
	assert_true(bytes < 2048); /* not a million slots */
	for (i = 0; i < 1000; i++) {
		struct dmm_mnid id = nt_mnid(i & 0xff);
		id.id[4] = (uint8_t)(i >> 8);
		snprintf(pfx, sizeof(pfx), "2001:db8:a:%x::/64", 0x1000 + i);
		m = update_msg(0, pfx, i % 2 ? MR11 : MR12, LIFE + (i % 10) * 4);
		m.mnid = id;
		feed(&la, i % 2 ? MR11 : MR12, &m, T0);
		assert_int_equal(only(&la, DMM_MSG_LOC_ACK, i % 2 ? MR11 : MR12).status,
				 DMM_ST_OK);
	}
	memcpy(nai.id, "mn-with-a-long-nai@a", 20);
	m = update_msg(0, "2001:db8:a:ffff::7/128", MR13, LIFE);
	m.mnid = nai;
	feed(&la, MR13, &m, T0);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR13).status, DMM_ST_OK);
	bytes = dmm_lm_footprint(la.node, &used);
	assert_int_equal(used, 1001);
	assert_true(bytes / used <= 48);

	m = query_msg("2001:db8:a:ffff::7", 0);
	feed(&la, MR11, &m, T0 + 1);
	rep = only(&la, DMM_MSG_LOC_REPLY, MR11);
	assert_int_equal(rep.status, DMM_ST_OK);
	assert_true(dmm_mnid_eq(&rep.mnid, &nai));
	assert_addr(&rep.location, MR13);
	assert_hnp(&rep, "2001:db8:a:ffff::7/128");
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .flags = DMM_F_BY_MNID,
			      .present = DMM_P_MNID, .mnid = nai };
	feed(&la, MR11, &m, T0 + 2);
	rep = only(&la, DMM_MSG_LOC_REPLY, MR11);
	assert_int_equal(rep.status, DMM_ST_OK);
	assert_hnp(&rep, "2001:db8:a:ffff::7/128");
	m = query_msg("2001:db8:a:1003::1", 0);
	feed(&la, MR11, &m, T0 + 3);
	rep = only(&la, DMM_MSG_LOC_REPLY, MR11);
	assert_addr(&rep.location, MR11);
	assert_hnp(&rep, "2001:db8:a:1003::/64");

	/* each tenth of them (and the NAI one) expires at each step of 4 s */
	assert_int_equal(dmm_node_next_deadline(la.node), T0 + LIFE * 1000);
	dmm_node_timer(la.node, T0 + LIFE * 1000 - 1);
	assert_int_equal(bindings(&la).n, 1001);
	for (i = 0; i < 10; i++) {
		dmm_time_t at = T0 + (LIFE + i * 4) * 1000;
		assert_int_equal(dmm_node_next_deadline(la.node), at);
		dmm_node_timer(la.node, at);
		assert_int_equal(bindings(&la).n, 1000 - (i + 1) * 100);
		assert_int_equal(counter(&la, DMM_C_BINDING_EXPIRED), (i + 1) * 100 + 1);
	}
	assert_int_equal(dmm_node_next_deadline(la.node), DMM_TIME_NEVER);
	bytes = dmm_lm_footprint(la.node, &used);
	assert_int_equal(used, 0);
}

/* MN ids of every kind come back as they were given, by address and by
 * MN id: EUI-48 and EUI-64 (kept in the record), NAIs of 5 and 8 bytes
 * (in the extras); a binding that takes another MN's id moves from one
 * kind to the other. */
static void
test_mnid_kinds(void **state)
{
	struct dmm_mnid ids[4] = {
		{ .type = DMM_MNID_EUI48, .len = 6, .id = { 2, 0, 0, 0, 0, 0x31 } },
		{ .type = DMM_MNID_EUI64, .len = 8, .id = { 2, 0, 0, 0, 0, 0, 0, 0x32 } },
		{ .type = DMM_MNID_NAI, .len = 5, .id = "a@b.c" },
		{ .type = DMM_MNID_NAI, .len = 8, .id = "mn@a.net" },
	};
	struct dmm_msg m, rep;
	char pfx[64], addr[64];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(pfx, sizeof(pfx), "2001:db8:a:%x::/64", 0x200 + i);
		m = update_msg(0, pfx, MR11, LIFE);
		m.mnid = ids[i];
		feed(&la, MR11, &m, T0);
		assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_OK);
	}
	for (unsigned i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:a:%x::9", 0x200 + i);
		m = query_msg(addr, 0);
		feed(&la, MR12, &m, T0 + 1);
		rep = only(&la, DMM_MSG_LOC_REPLY, MR12);
		assert_int_equal(rep.status, DMM_ST_OK);
		assert_true(dmm_mnid_eq(&rep.mnid, &ids[i]));
		m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .flags = DMM_F_BY_MNID,
				      .present = DMM_P_MNID, .mnid = ids[i] };
		feed(&la, MR12, &m, T0 + 2);
		rep = only(&la, DMM_MSG_LOC_REPLY, MR12);
		assert_int_equal(rep.status, DMM_ST_OK);
		snprintf(pfx, sizeof(pfx), "2001:db8:a:%x::/64", 0x200 + i);
		assert_hnp(&rep, pfx);
	}
	/* the EUI-48's prefix goes to the NAI, and back */
	for (unsigned k = 0; k < 2; k++) {
		const struct dmm_mnid *to = k == 0 ? &ids[2] : &ids[0];
		m = update_msg(0, "2001:db8:a:200::/64", MR11, LIFE);
		m.mnid = *to;
		feed(&la, MR11, &m, T0 + 3 + k);
		m = query_msg("2001:db8:a:200::9", 0);
		feed(&la, MR12, &m, T0 + 3 + k);
		rep = only(&la, DMM_MSG_LOC_REPLY, MR12);
		assert_true(dmm_mnid_eq(&rep.mnid, to));
		m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .flags = DMM_F_BY_MNID,
				      .present = DMM_P_MNID, .mnid = ids[0] };
		feed(&la, MR12, &m, T0 + 3 + k);
		if (k == 0) { /* not bound here any more: asked of the other LMs */
			assert_int_equal(find(&la, DMM_MSG_LOC_REPLY, MR12, &rep), -1);
			assert_true(find(&la, DMM_MSG_LM_FWD, LMB, &rep) >= 0);
		} else {
			rep = only(&la, DMM_MSG_LOC_REPLY, MR12);
			assert_hnp(&rep, "2001:db8:a:200::/64");
		}
	}
}

/* Expiries are kept in 32 bits of ms from a base that moves up: a binding
 * refreshed every 1.5 days for 90 days (the base moves at least once,
 * every 24.8 to 49.7 days) always expires exactly lifetime after its last
 * refresh, and one left alone expires at its own time. No lifetime is
 * granted beyond 24.8 days. */
static void
test_expiry_long_run(void **state)
{
	const dmm_time_t day = 86400000, life = 2 * day;
	struct dmm_config c;
	struct dmm_msg m, rep;
	dmm_time_t t = T0;
	struct bindings b;

	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 16);
	c.timers.binding_lifetime_s = 4000000; /* 46 days */
	assert_int_equal(nt_start(&la, &c, T0), 0);
	m = update_msg(1, HNP, MR11, (uint32_t)(life / 1000));
	feed(&la, MR11, &m, t);
	m = update_msg(2, "2001:db8:a:101::/64", MR12, (uint32_t)(life / 1000));
	feed(&la, MR12, &m, t);
	for (int k = 1; k <= 60; k++) {
		t = T0 + (dmm_time_t)k * (day + day / 2);
		dmm_node_timer(la.node, t);
		b = bindings(&la);
		assert_int_equal(b.n, k == 1 ? 2 : 1);
		m = update_msg(1, HNP, MR11, (uint32_t)(life / 1000));
		feed(&la, MR11, &m, t);
		assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_OK);
		b = bindings(&la);
		assert_int_equal(b.v[0].expires, t + life);
		assert_true(dmm_node_next_deadline(la.node) <= t + life);
		assert_true(dmm_node_next_deadline(la.node) > t);
	}
	assert_int_equal(counter(&la, DMM_C_BINDING_EXPIRED), 1);
	dmm_node_timer(la.node, t + life - 1);
	assert_int_equal(bindings(&la).n, 1);
	dmm_node_timer(la.node, t + life);
	assert_int_equal(bindings(&la).n, 0);
	assert_int_equal(counter(&la, DMM_C_BINDING_EXPIRED), 2);

	/* a forwarded update asks for 40 days: 24.8 granted, and kept */
	m = update_msg(1, HNP, MR11, 40 * 86400);
	m.type = DMM_MSG_LM_FWD;
	m.code = DMM_MSG_LOC_UPDATE;
	m.origin = nt_a6(MR11);
	m.origin_seq = 7;
	m.present |= DMM_P_ORIGIN;
	feed(&la, LMB, &m, t);
	rep = only(&la, DMM_MSG_LM_FWD_REPLY, LMB);
	assert_int_equal(rep.status, DMM_ST_OK);
	assert_int_equal(rep.lifetime, INT32_MAX / 1000);
	b = bindings(&la);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.v[0].expires, t + (INT32_MAX / 1000) * 1000);
}

static void
test_table_full(void **state)
{
	struct dmm_msg m;

	m = update_msg(1, "2001:db8:a:100::/64", MR11, LIFE);
	feed(&la, MR11, &m, T0);
	m = update_msg(2, "2001:db8:a:101::/64", MR11, LIFE);
	feed(&la, MR11, &m, T0);
	m = update_msg(3, "2001:db8:a:102::/64", MR11, LIFE);
	feed(&la, MR11, &m, T0);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_NO_RESOURCES);
	assert_int_equal(counter(&la, DMM_C_TABLE_FULL), 1);
	assert_int_equal(bindings(&la).n, 2);
	m = update_msg(2, "2001:db8:a:101::/64", MR12, LIFE); /* existing: fine */
	feed(&la, MR12, &m, T0 + 1);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR12).status, DMM_ST_OK);
}

static void
test_forward_query(void **state)
{
	struct dmm_msg m, f, r;

	bind_mn1();
	/* MR21's local LM is B: B forwards to A, the authoritative one */
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&lb, MR21, &m, T0 + 10);
	f = only(&lb, DMM_MSG_LM_FWD, LMA);
	assert_int_equal(f.code, DMM_MSG_LOC_QUERY);
	assert_true(f.present & DMM_P_ORIGIN);
	assert_addr(&f.origin, MR21);
	assert_int_equal(f.origin_seq, m.seq);
	assert_addr(&f.target, "2001:db8:a:100::5");
	assert_true(f.flags & DMM_F_SUBSCRIBE);
	assert_int_equal(counter(&lb, DMM_C_LM_FORWARD), 1);

	nt_clear(&la);
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 11), 0);
	r = only(&la, DMM_MSG_LM_FWD_REPLY, LMB);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, f.seq);
	assert_addr(&r.origin, MR21);
	assert_int_equal(r.origin_seq, m.seq);
	assert_addr(&r.location, MR11);
	/* the MR itself, not LM B, is the subscriber */
	assert_int_equal(bindings(&la).v[0].n_subscribers, 1);

	nt_clear(&lb);
	assert_int_equal(nt_deliver(&la, 0, &lb, T0 + 12), 0);
	r = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR11);
	assert_addr(&r.home, MR11);
	assert_false(r.present & DMM_P_ORIGIN);
	assert_true(nt_log_has(&lb, "waiting -> free (answered)"));

	/* a move at A is told to MR21 directly */
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, T0 + 20);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR21, &r) >= 0);
	assert_addr(&r.location, MR12);
}

/* A query answered later (forwarded to the authoritative LM) goes into
 * the reply cache like one answered at once: the MR's retransmission,
 * resealed, gets the same answer from the cache and is not forwarded
 * again (the cache's digest of a request answered later is the same as
 * that of its bytes as received). */
static void
test_forward_query_duplicate(void **state)
{
	struct dmm_msg m, r, again;

	bind_mn1();
	m = query_msg("2001:db8:a:100::5", 0);
	feed(&lb, MR21, &m, T0 + 10);
	nt_clear(&la);
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 11), 0);
	nt_clear(&lb);
	assert_int_equal(nt_deliver(&la, 0, &lb, T0 + 12), 0);
	r = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);

	feed(&lb, MR21, &m, T0 + 600); /* same seq, fresh timestamp */
	assert_int_equal(counter(&lb, DMM_C_DUP_REQUEST), 1);
	again = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(again.seq, m.seq);
	assert_int_equal(again.status, DMM_ST_OK);
	assert_addr(&again.location, MR11);
	assert_int_equal(counter(&lb, DMM_C_LM_FORWARD), 1);
}

static void
test_forward_update(void **state)
{
	struct dmm_msg m, f, r;
	struct bindings b;

	bind_mn1();
	m = update_msg(1, HNP, MR21, LIFE); /* the MN moved into network b */
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&lb, MR21, &m, T0 + 10);
	f = only(&lb, DMM_MSG_LM_FWD, LMA);
	assert_int_equal(f.code, DMM_MSG_LOC_UPDATE);
	assert_addr(&f.location, MR21);
	assert_hnp(&f, HNP);
	assert_int_equal(bindings(&lb).n, 0);

	nt_clear(&la);
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 11), 0);
	b = bindings(&la);
	assert_addr(&b.v[0].location, MR21);
	assert_addr(&b.v[0].home, MR11);
	assert_int_equal(b.v[0].seq, 2); /* the binding's version: created 1, moved 2 */

	nt_clear(&lb);
	assert_int_equal(nt_deliver(&la, 0, &lb, T0 + 12), 0);
	r = only(&lb, DMM_MSG_LOC_ACK, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_int_equal(r.code, 0);
	assert_addr(&r.prev_location, MR11);
	assert_hnp(&r, HNP);
	assert_true(r.present & DMM_P_VER); /* relayed to the MR with the ack */
	assert_int_equal(r.n_ver, 1);
	assert_int_equal(r.ver[0], 2);
}

/* Binding versions: a query's answer names the version of each binding;
 * every update the LM takes moves it on, and its ack names the new one.
 * An update naming an older version, from another location than the
 * binding's, is refused (STALE_VERSION, with the binding's location and
 * version now), and nothing changes or is notified; the binding's own MR
 * is never refused for it, and an update naming no version is taken as
 * before. */
static struct dmm_msg
ver_update(const char *mr, uint8_t handoff, uint16_t ver)
{
	struct dmm_msg m = update_msg(1, HNP, mr, LIFE);

	m.handoff = handoff;
	if (ver) {
		m.present |= DMM_P_VER;
		m.n_ver = 1;
		m.ver[0] = ver;
	}
	return m;
}

static void
test_stale_version(void **state)
{
	struct dmm_msg m, r;
	struct bindings b;

	bind_mn1();
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la, MR12, &m, T0 + 10);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_true(r.present & DMM_P_VER);
	assert_int_equal(r.n_ver, 1);
	assert_int_equal(r.ver[0], 1);

	/* MR13 saw version 1: taken, the binding at MR13, version 2 */
	m = ver_update(MR13, DMM_HI_SAME_IFACE, 1);
	feed(&la, MR13, &m, T0 + 20);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR13, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.ver[0], 2);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 1);

	/* MR11's, naming version 1 too, comes later: refused */
	m = ver_update(MR11, DMM_HI_SAME_IFACE, 1);
	feed(&la, MR11, &m, T0 + 30);
	r = only(&la, DMM_MSG_LOC_ACK, MR11);
	assert_int_equal(r.status, DMM_ST_STALE_VERSION);
	assert_addr(&r.prev_location, MR13);
	assert_true(r.present & DMM_P_VER);
	assert_int_equal(r.ver[0], 2);
	b = bindings(&la);
	assert_addr(&b.v[0].location, MR13);
	assert_int_equal(b.v[0].seq, 2);
	assert_true(nt_log_has(&la, "refused: the binding moved on (version 1, now 2"));

	/* MR13 itself, naming an old version (an ack it missed): taken */
	m = ver_update(MR13, DMM_HI_NOT_CHANGED, 1);
	feed(&la, MR13, &m, T0 + 40);
	r = only(&la, DMM_MSG_LOC_ACK, MR13);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.ver[0], 3);

	/* MR11 again with the version it was told: taken, notified */
	m = ver_update(MR11, DMM_HI_SAME_IFACE, 3);
	feed(&la, MR11, &m, T0 + 50);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR11, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.ver[0], 4);
	assert_addr(&bindings(&la).v[0].location, MR11);

	/* no version named: as before */
	m = ver_update(MR13, DMM_HI_SAME_IFACE, 0);
	feed(&la, MR13, &m, T0 + 60);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR13, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.ver[0], 5);
	assert_addr(&bindings(&la).v[0].location, MR13);
}

/* A binding of version 0 (restored from a record written before there
 * were versions) is not checked: an update naming any version is taken
 * (a refusal could name no version for its MR to ask again with), and the
 * binding has one from then on. */
static void
test_version_zero_unchecked(void **state)
{
	static struct nt_store st;
	struct dmm_config c;
	struct dmm_msg m, r;

	memset(&st, 0, sizeof(st));
	la.store = &st;
	bind_mn1();
	assert_int_equal(st.n, 1);
	st.r[0].seq = 0;
	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 16);
	assert_int_equal(nt_start(&la, &c, T0 + 100), 0);
	assert_int_equal(nt_restore(&la, &st, T0 + 100), 1);
	assert_int_equal(bindings(&la).v[0].seq, 0);
	m = ver_update(MR13, DMM_HI_SAME_IFACE, 7);
	feed(&la, MR13, &m, T0 + 200);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR13, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.ver[0], 1);
	assert_addr(&bindings(&la).v[0].location, MR13);
}

static void
test_forward_timeout(void **state)
{
	struct dmm_msg m, r;
	dmm_time_t t;

	m = query_msg("2001:db8:a:100::5", 0);
	feed(&lb, MR21, &m, T0);
	assert_int_equal(lb.n_sent, 1);
	nt_clear(&lb);
	while ((t = dmm_node_next_deadline(lb.node)) != DMM_TIME_NEVER)
		dmm_node_timer(lb.node, t);
	assert_int_equal(nt_count(&lb, DMM_MSG_LM_FWD, NULL),
			 dmm_node_config(lb.node)->timers.retrans_count);
	assert_true(find(&lb, DMM_MSG_LOC_REPLY, MR21, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_NOT_AUTHORITATIVE);
	assert_int_equal(r.seq, m.seq);
	assert_true(nt_log_has(&lb, "waiting -> free (timed out)"));
}

static void
test_fanout_by_mnid(void **state)
{
	struct dmm_msg m, r;
	dmm_time_t t;

	bind_mn1();
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 10);
	assert_int_equal(lb.n_sent, 2);
	assert_int_equal(find(&lb, DMM_MSG_LM_FWD, LMA, &r), 0);
	assert_true(r.flags & DMM_F_BY_MNID);
	assert_int_equal(find(&lb, DMM_MSG_LM_FWD, LMC, &r), 1);
	/* C knows nothing: nothing relayed yet */
	assert_int_equal(nt_deliver(&lb, 1, &lc, T0 + 11), 0);
	assert_int_equal(only(&lc, DMM_MSG_LM_FWD_REPLY, LMB).status, DMM_ST_NOT_FOUND);
	{
		struct nodetest *from = &lc;
		unsigned before = lb.n_sent;
		assert_int_equal(nt_deliver(from, 0, &lb, T0 + 12), 0);
		assert_int_equal(lb.n_sent, before);
	}
	/* A knows: first OK wins */
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 13), 0);
	assert_int_equal(nt_deliver(&la, la.n_sent - 1, &lb, T0 + 14), 0);
	assert_true(find(&lb, DMM_MSG_LOC_REPLY, MR21, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR11);

	/* an MN nobody knows: C says so, A never answers -> NOT_FOUND */
	m = query_mnid_msg(9);
	feed(&lb, MR21, &m, T0 + 20);
	nt_clear(&lc);
	assert_int_equal(nt_deliver(&lb, 1, &lc, T0 + 21), 0);
	assert_int_equal(nt_deliver(&lc, 0, &lb, T0 + 22), 0);
	assert_int_equal(find(&lb, DMM_MSG_LOC_REPLY, MR21, &r), -1);
	while ((t = dmm_node_next_deadline(lb.node)) < T0 + 60000)
		dmm_node_timer(lb.node, t);
	assert_true(find(&lb, DMM_MSG_LOC_REPLY, MR21, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	assert_int_equal(r.seq, m.seq);
}

/* The first OK of a fan-out is relayed; the NOT_FOUND of the other LMs,
 * arriving after it, is consumed quietly: no drop counted, nothing sent. */
static void
test_fanout_late_answers(void **state)
{
	struct dmm_msg m, r;
	dmm_time_t t;

	bind_mn1();
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 10);
	assert_int_equal(lb.n_sent, 2);
	nt_clear(&lc);
	assert_int_equal(nt_deliver(&lb, 1, &lc, T0 + 11), 0);
	assert_int_equal(only(&lc, DMM_MSG_LM_FWD_REPLY, LMB).status, DMM_ST_NOT_FOUND);
	/* A answers first */
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 12), 0);
	{
		struct nodetest *a = &la;
		unsigned last = a->n_sent - 1;
		nt_clear(&lb);
		assert_int_equal(nt_deliver(a, last, &lb, T0 + 13), 0);
	}
	r = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	/* then C's NOT_FOUND: taken, nothing sent, nothing counted as a drop */
	nt_clear(&lb);
	assert_int_equal(nt_deliver(&lc, 0, &lb, T0 + 14), 0);
	assert_int_equal(lb.n_sent, 0);
	assert_int_equal(counter(&lb, DMM_C_DROP_UNEXPECTED), 0);
	assert_true(nt_log_has(&lb, "draining -> free (all answered)"));
	/* nothing left to retransmit */
	assert_int_equal(dmm_node_next_deadline(lb.node), DMM_TIME_NEVER);

	/* again, but C never answers: it is retransmitted to and times out,
	 * and the requester hears nothing more */
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 20);
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 21), 0);
	{
		struct nodetest *a = &la;
		unsigned last = a->n_sent - 1;
		nt_clear(&lb);
		assert_int_equal(nt_deliver(a, last, &lb, T0 + 22), 0);
	}
	assert_int_equal(only(&lb, DMM_MSG_LOC_REPLY, MR21).status, DMM_ST_OK);
	nt_clear(&lb);
	while ((t = dmm_node_next_deadline(lb.node)) != DMM_TIME_NEVER)
		dmm_node_timer(lb.node, t);
	assert_int_equal(nt_count(&lb, DMM_MSG_LOC_REPLY, NULL), 0);
	assert_int_equal(nt_count(&lb, DMM_MSG_LM_FWD, NULL),
			 dmm_node_config(lb.node)->timers.retrans_count);
	assert_int_equal(counter(&lb, DMM_C_DROP_UNEXPECTED), 0);
	assert_true(nt_log_has(&lb, "draining -> free (timed out)"));
}

static void
test_fixed_prefix(void **state)
{
	struct dmm_msg m = update_msg(0, "2001:db8:5e::/48", MR11, LIFE), r;

	m.flags |= DMM_F_FIXED; /* servers behind gateway MR11, outside any network */
	m.present &= ~(uint32_t)DMM_P_MNID;
	feed(&la, MR11, &m, T0);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_OK);
	assert_true(bindings(&la).v[0].fixed);
	m = query_msg("2001:db8:5e::80", 0);
	feed(&la, MR12, &m, T0 + 1);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_true(r.flags & DMM_F_FIXED);
	assert_false(r.present & DMM_P_MNID);
	assert_addr(&r.location, MR11);
	assert_int_equal(r.hnp[0].len, 48);
}

/* A fixed prefix that is ::/0 or covers a network would capture the
 * queries for HoAs nobody has bound; one in another network is that
 * network's LM's business. Refused, with no state changed, even next to a
 * good one. */
static void
test_fixed_prefix_overlap(void **state)
{
	static const char *const bad[] = { "::/0", "2001:db8::/32", "2001:db8:a::/47",
					   "2001:db8:b::/48", "2001:db8:b:5::/64" };
	struct dmm_msg m;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = update_msg(0, "2001:db8:5e::/48", MR11, LIFE);
		m.flags |= DMM_F_FIXED;
		m.present &= ~(uint32_t)DMM_P_MNID;
		m.n_hnp = 2;
		m.hnp[1] = nt_p6(bad[i]);
		feed(&la, MR11, &m, T0 + i);
		assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_PROHIBITED);
		assert_int_equal(bindings(&la).n, 0);
	}
	m = query_msg("2001:db8:a:1ff::5", 0);
	feed(&la, MR12, &m, T0 + 10);
	assert_int_equal(only(&la, DMM_MSG_LOC_REPLY, MR12).status, DMM_ST_NOT_FOUND);
}

/* A fixed prefix inside this LM's own network is its to bind, also one
 * that starts where the network does (the check once took "contains the
 * network's first address" for "covers the network" and refused it). */
static void
test_fixed_prefix_in_own_network(void **state)
{
	struct dmm_msg m = update_msg(0, "2001:db8:a::/56", MR11, LIFE), r;

	m.flags |= DMM_F_FIXED;
	m.present &= ~(uint32_t)DMM_P_MNID;
	feed(&la, MR11, &m, T0);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_OK);
	assert_int_equal(bindings(&la).n, 1);
	assert_true(bindings(&la).v[0].fixed);
	m = query_msg("2001:db8:a:5::1", 0);
	feed(&la, MR12, &m, T0 + 1);
	r = only(&la, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_true(r.flags & DMM_F_FIXED);
	assert_addr(&r.location, MR11);
}

static void
test_rejected_input(void **state)
{
	struct dmm_msg m;

	/* not fixed and in no network: prohibited */
	m = update_msg(1, "2001:db8:77::/64", MR11, LIFE);
	feed(&la, MR11, &m, T0);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR11).status, DMM_ST_PROHIBITED);
	/* an update without MN id: dropped, counted, unanswered */
	m = update_msg(1, HNP, MR11, LIFE);
	m.present &= ~(uint32_t)DMM_P_MNID;
	feed(&la, MR11, &m, T0 + 1);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_DROP_MALFORMED), 1);
	/* LM_FWD from an MR */
	m = query_msg("2001:db8:a:100::5", 0);
	m.type = DMM_MSG_LM_FWD;
	m.code = DMM_MSG_LOC_QUERY;
	m.origin = nt_a6(MR11);
	m.present |= DMM_P_ORIGIN;
	feed(&la, MR11, &m, T0 + 2);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_DROP_PEER), 1);
	/* LM_FWD of something that is no LM request */
	m.seq = 0;
	m.code = DMM_MSG_HOA_REQ;
	feed(&la, LMB, &m, T0 + 3);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_DROP_MALFORMED), 2);
	/* a forwarded query for another network is not forwarded again */
	m.seq = 0;
	m.code = DMM_MSG_LOC_QUERY;
	m.target = nt_a6("2001:db8:c::1");
	feed(&la, LMB, &m, T0 + 4);
	assert_int_equal(only(&la, DMM_MSG_LM_FWD_REPLY, LMB).status,
			 DMM_ST_NOT_AUTHORITATIVE);
	assert_int_equal(bindings(&la).n, 0);
}

static void
test_mixed_update(void **state)
{
	struct dmm_msg m = update_msg(1, HNP, MR21, LIFE), r, f;
	unsigned before;

	/* an old prefix of network a and a new one of network b, at MR21 */
	m.n_hnp = 2;
	m.hnp[1] = nt_p6("2001:db8:b:5::/64");
	feed(&lb, MR21, &m, T0);
	assert_int_equal(lb.n_sent, 2);
	assert_true(find(&lb, DMM_MSG_LM_FWD, LMA, &f) >= 0);
	assert_hnp(&f, HNP); /* only a's prefix goes to a */
	assert_true(find(&lb, DMM_MSG_LOC_ACK, MR21, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_hnp(&r, "2001:db8:b:5::/64");
	assert_int_equal(bindings(&lb).n, 1);
	/* A applies its part; its answer is not relayed a second time */
	nt_clear(&la);
	assert_int_equal(nt_deliver(&lb, (unsigned)find(&lb, DMM_MSG_LM_FWD, LMA, &f), &la,
				    T0 + 1), 0);
	assert_int_equal(bindings(&la).n, 1);
	before = lb.n_sent;
	assert_int_equal(nt_deliver(&la, 0, &lb, T0 + 2), 0);
	assert_int_equal(lb.n_sent, before);
	assert_int_equal(counter(&lb, DMM_C_DROP_UNEXPECTED), 0);
}

static void
test_update_by_mnid(void **state)
{
	struct dmm_msg m = update_msg(1, "2001:db8:a:101::/64", MR11, LIFE), r;

	bind_mn1();
	feed(&la, MR11, &m, T0 + 1);
	/* refresh both bindings of MN 1 by MN id, from its new MR */
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_UPDATE, .flags = DMM_F_BY_MNID | DMM_F_PROXY,
			      .present = DMM_P_MNID | DMM_P_LOCATION, .mnid = nt_mnid(1),
			      .location = nt_a6(MR12), .lifetime = LIFE };
	feed(&la, MR12, &m, T0 + 1000);
	r = only(&la, DMM_MSG_LOC_ACK, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.n_hnp, 2);
	for (unsigned i = 0; i < 2; i++) {
		struct bindings b = bindings(&la);
		assert_addr(&b.v[i].location, MR12);
		assert_int_equal(b.v[i].expires, T0 + 1000 + LIFE * 1000);
	}
	m.mnid = nt_mnid(2);
	m.seq = 0;
	feed(&la, MR12, &m, T0 + 2000);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR12).status, DMM_ST_NOT_FOUND);
}

/* The setup with lm-a started again with these limits. */
static int
setup_limits(void **state, uint32_t max_subscribers, uint32_t max_pending)
{
	struct dmm_config c;

	setup(state);
	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 16);
	c.limits.max_subscribers = max_subscribers;
	if (max_pending)
		c.limits.max_pending = max_pending;
	assert_int_equal(nt_start(&la, &c, T0), 0);
	return 0;
}

static int
setup_subs(void **state)
{
	return setup_limits(state, 2, 0);
}

static void
test_subscribers_bounded(void **state)
{
	static const char *const mrs[] = { MR12, MR13, MR21 };
	struct dmm_msg m;

	bind_mn1();
	for (unsigned i = 0; i < 3; i++) {
		m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
		feed(&la, mrs[i], &m, T0 + 10 * (i + 1));
		assert_int_equal(only(&la, DMM_MSG_LOC_REPLY, mrs[i]).status, DMM_ST_OK);
	}
	assert_int_equal(bindings(&la).v[0].n_subscribers, 2);
	assert_int_equal(counter(&la, DMM_C_TABLE_FULL), 1);
	/* the oldest (MR12) made room: a move is told to MR13 and MR21 only */
	m = update_msg(1, HNP, MR11, LIFE);
	m.location = nt_a6("2001:db8:ff::14");
	feed(&la, MR11, &m, T0 + 100);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 2);
	{
		struct in6_addr mr12 = nt_a6(MR12);
		assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, &mr12), 0);
	}
}

/* A move told to more subscribers than the pending table has room for:
 * the notifications refused are sent a second later, with the binding's
 * location then (before: never, the subscriber's cache kept the old
 * location until the entry expired), and one the MN has since made moot
 * (it is at that subscriber now) is not sent. */
static int
setup_pending(void **state)
{
	return setup_limits(state, 4, 2);
}

static void
test_notify_deferred(void **state)
{
	static const char *const mrs[] = { MR12, MR13, MR21 };
	struct dmm_msg m, r, ack;
	unsigned told[3] = { 0 };
	uint16_t seqs[3] = { 0 };
	unsigned moved = 3;
	dmm_time_t t;

	bind_mn1();
	for (unsigned i = 0; i < 3; i++) {
		m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
		feed(&la, mrs[i], &m, T0 + 10 * (i + 1));
	}
	assert_int_equal(bindings(&la).v[0].n_subscribers, 3);
	m = update_msg(1, HNP, MR11, LIFE);
	m.location = nt_a6("2001:db8:ff::14");
	feed(&la, MR11, &m, T0 + 100);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 2);
	assert_int_equal(counter(&la, DMM_C_TABLE_FULL), 1);
	assert_true(nt_log_has(&la, "pending table full, notification deferred"));
	for (unsigned i = 0; i < 3; i++)
		if (find(&la, DMM_MSG_LM_NOTIFY, mrs[i], &r) >= 0)
			seqs[i] = r.seq, told[i]++;
	for (unsigned i = 0; i < 3; i++) /* acked at once: the table has room again */
		if (told[i]) {
			ack = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY_ACK, .seq = seqs[i] };
			feed(&la, mrs[i], &ack, T0 + 110);
		}
	assert_int_equal(counter(&la, DMM_C_DROP_UNEXPECTED), 0);
	nt_clear(&la);
	t = dmm_node_next_deadline(la.node);
	assert_true(t <= T0 + 100 + 1000);
	dmm_node_timer(la.node, t);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 1);
	for (unsigned i = 0; i < 3; i++)
		if (find(&la, DMM_MSG_LM_NOTIFY, mrs[i], &r) >= 0) {
			assert_int_equal(told[i], 0);
			assert_addr(&r.location, "2001:db8:ff::14");
			told[i]++;
		}
	assert_int_equal(told[0] + told[1] + told[2], 3);
	assert_int_equal(counter(&la, DMM_C_NOTIFY), 3);

	/* a second move, the same shortage; before the refused one is due,
	 * the MN moves to that very subscriber: it is not told */
	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, t + 100);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 2);
	for (unsigned i = 0; i < 3; i++)
		if (find(&la, DMM_MSG_LM_NOTIFY, mrs[i], &r) < 0)
			moved = i;
	assert_true(moved < 3);
	m = update_msg(1, HNP, mrs[moved], LIFE);
	feed(&la, mrs[moved], &m, t + 200);
	nt_clear(&la);
	for (dmm_time_t u = t + 200; u <= t + 3000; u += 100) {
		struct in6_addr at = nt_a6(mrs[moved]);
		dmm_node_timer(la.node, u);
		assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, &at), 0);
	}
}

/* The same shortage just before the subscribers' cache entries run out
 * (a cache lifetime since they subscribed): the refused notification, due
 * after that, is not sent (the entry it would correct is gone), as after a
 * lost round (lm_notify_done). */
static void
test_notify_deferred_silent(void **state)
{
	static const char *const mrs[] = { MR12, MR13, MR21 };
	const struct dmm_config *c = dmm_node_config(la.node);
	dmm_time_t tm = T0 + 10 + (dmm_time_t)c->timers.cache_lifetime_s * 1000 - 500;
	struct dmm_msg m, r, ack;
	uint16_t seqs[3] = { 0 };
	bool told[3] = { false };

	bind_mn1();
	for (unsigned i = 0; i < 3; i++) {
		m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
		feed(&la, mrs[i], &m, T0 + 10 + i);
	}
	m = update_msg(1, HNP, MR11, LIFE);
	m.location = nt_a6("2001:db8:ff::14");
	feed(&la, MR11, &m, tm);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 2);
	assert_true(nt_log_has(&la, "pending table full, notification deferred"));
	for (unsigned i = 0; i < 3; i++)
		if (find(&la, DMM_MSG_LM_NOTIFY, mrs[i], &r) >= 0)
			seqs[i] = r.seq, told[i] = true;
	for (unsigned i = 0; i < 3; i++)
		if (told[i]) {
			ack = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY_ACK, .seq = seqs[i] };
			feed(&la, mrs[i], &ack, tm + 10);
		}
	nt_clear(&la);
	dmm_node_timer(la.node, tm + 1000);
	assert_int_equal(nt_count(&la, DMM_MSG_LM_NOTIFY, NULL), 0);
}

/* ---- replication (lm_replicate) ---- */

static int
setup_repl(void **state)
{
	struct dmm_config c;

	lm_config(&c, "lm-a", LMA, 0, 16);
	c.lm_replicate = true;
	assert_int_equal(nt_start(&la, &c, T0), 0);
	lm_config(&c, "lm-b", LMB, 1, 16);
	c.lm_replicate = true;
	assert_int_equal(nt_start(&lb, &c, T0), 0);
	lm_config(&c, "lm-c", LMC, 2, 16);
	c.lm_replicate = true;
	assert_int_equal(nt_start(&lc, &c, T0), 0);
	return 0;
}

static int
setup_repl_small(void **state)
{
	struct dmm_config c;

	setup_repl(state);
	nt_stop(&lb);
	lm_config(&c, "lm-b", LMB, 1, 2);
	c.lm_replicate = true;
	assert_int_equal(nt_start(&lb, &c, T0), 0);
	return 0;
}

/* The replica of MN mn's prefix hnp at location loc that la sent to dst. */
static void
assert_replica(const char *dst, unsigned mn, const char *hnp, const char *loc, uint32_t life)
{
	struct dmm_msg r;
	struct dmm_mnid id = nt_mnid(mn);

	assert_true(find(&la, DMM_MSG_LM_FWD, dst, &r) >= 0);
	assert_int_equal(r.code, DMM_MSG_LOC_UPDATE);
	assert_int_equal(r.flags, DMM_F_REPLICA);
	assert_true(dmm_mnid_eq(&r.mnid, &id));
	assert_hnp(&r, hnp);
	assert_addr(&r.location, loc);
	assert_addr(&r.home, MR11);
	assert_addr(&r.origin, LMA);
	assert_int_equal(r.lifetime, life);
}

/* MN mn with prefix hnp registered at LM A from MR11 (home MR11). */
static void
repl_bind(unsigned mn, const char *hnp, dmm_time_t now)
{
	struct dmm_msg m = update_msg(mn, hnp, MR11, LIFE);

	m.home = nt_a6(MR11);
	m.present |= DMM_P_HOME;
	feed(&la, MR11, &m, now);
	assert_int_equal(la.n_sent, 3);
	assert_replica(LMB, mn, hnp, MR11, LIFE);
	assert_replica(LMC, mn, hnp, MR11, LIFE);
}

/* Deliver la's replica to dst's node; it answers LM_FWD_REPLY status st. */
static void
repl_deliver(struct nodetest *to, const char *dst, uint8_t st, dmm_time_t now)
{
	struct dmm_msg r;
	int i = find(&la, DMM_MSG_LM_FWD, dst, &r);

	assert_true(i >= 0);
	nt_clear(to);
	assert_int_equal(nt_deliver(&la, (unsigned)i, to, now), 0);
	r = only(to, DMM_MSG_LM_FWD_REPLY, LMA);
	assert_int_equal(r.status, st);
	assert_int_equal(r.code, DMM_MSG_LOC_UPDATE);
}

static void
test_replicate_sent(void **state)
{
	struct dmm_msg m, r;

	repl_bind(1, HNP, T0);
	assert_true(find(&la, DMM_MSG_LOC_ACK, MR11, &r) >= 0);
	assert_int_equal(r.status, DMM_ST_OK);
	/* the answer is taken quietly */
	repl_deliver(&lb, LMB, DMM_ST_OK, T0 + 1);
	nt_clear(&la);
	assert_int_equal(nt_deliver(&lb, 0, &la, T0 + 2), 0);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_DROP_UNEXPECTED), 0);

	/* a refresh at the same MR is no news */
	m = update_msg(1, HNP, MR11, LIFE);
	m.handoff = DMM_HI_NOT_CHANGED;
	feed(&la, MR11, &m, T0 + 10);
	only(&la, DMM_MSG_LOC_ACK, MR11);

	/* a move is */
	m = update_msg(1, HNP, MR12, LIFE);
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&la, MR12, &m, T0 + 20);
	assert_int_equal(la.n_sent, 3);
	assert_replica(LMB, 1, HNP, MR12, LIFE);
	assert_replica(LMC, 1, HNP, MR12, LIFE);

	/* so is a deletion */
	m = update_msg(1, HNP, MR12, 0);
	feed(&la, MR12, &m, T0 + 30);
	assert_int_equal(la.n_sent, 3);
	assert_replica(LMB, 1, HNP, MR12, 0);
	assert_replica(LMC, 1, HNP, MR12, 0);
}

static void
test_replicate_off(void **state)
{
	struct dmm_msg m;

	bind_mn1(); /* asserts the LOC_ACK is all LM A sent */
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, T0 + 20);
	only(&la, DMM_MSG_LOC_ACK, MR12);
	m = update_msg(1, HNP, MR12, 0);
	feed(&la, MR12, &m, T0 + 30);
	only(&la, DMM_MSG_LOC_ACK, MR12);
}

/* B answers a BY_MNID query from its replica, with no fan-out; an address
 * query is still forwarded to the authority. */
static void
test_replica_answers(void **state)
{
	struct dmm_msg m, r;
	struct dmm_mnid id = nt_mnid(1);

	repl_bind(1, HNP, T0);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0 + 1);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 1001);
	r = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.seq, m.seq);
	assert_true(r.flags & DMM_F_BY_MNID);
	assert_true(dmm_mnid_eq(&r.mnid, &id));
	assert_hnp(&r, HNP);
	assert_addr(&r.location, MR11);
	assert_addr(&r.home, MR11);
	assert_int_equal(r.lifetime, LIFE - 1);
	assert_true(r.present & DMM_P_VER); /* the authoritative binding's version */
	assert_int_equal(r.n_ver, 1);
	assert_int_equal(r.ver[0], bindings(&la).v[0].seq);
	assert_int_equal(bindings(&lb).n, 0); /* no authoritative binding */

	m = query_msg("2001:db8:a:100::5", 0);
	feed(&lb, MR21, &m, T0 + 1002);
	r = only(&lb, DMM_MSG_LM_FWD, LMA);
	assert_false(r.flags & DMM_F_REPLICA);
	assert_addr(&r.target, "2001:db8:a:100::5");

	/* the deletion is replicated: back to the fan-out */
	m = update_msg(1, HNP, MR11, 0);
	feed(&la, MR11, &m, T0 + 2000);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0 + 2001);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 2002);
	assert_int_equal(lb.n_sent, 2);
	assert_true(find(&lb, DMM_MSG_LM_FWD, LMA, &r) >= 0);
	assert_true(find(&lb, DMM_MSG_LM_FWD, LMC, &r) >= 0);
}

static struct dmm_msg
replica_msg(unsigned mn, const char *hnp, const char *loc, const char *origin)
{
	struct dmm_msg m = { .type = DMM_MSG_LM_FWD, .code = DMM_MSG_LOC_UPDATE,
			     .flags = DMM_F_REPLICA, .lifetime = LIFE,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_ORIGIN,
			     .mnid = nt_mnid(mn), .n_hnp = 1 };

	m.hnp[0] = nt_p6(hnp);
	m.location = nt_a6(loc);
	m.origin = nt_a6(origin);
	return m;
}

static void
test_replica_refused(void **state)
{
	struct dmm_msg m, r;

	/* from a node that is no LM */
	m = replica_msg(1, HNP, MR11, MR11);
	feed(&lb, MR11, &m, T0);
	assert_int_equal(lb.n_sent, 0);
	assert_int_equal(counter(&lb, DMM_C_DROP_PEER), 1);
	/* from an LM, for a prefix of another LM's network */
	m = replica_msg(1, HNP, MR11, LMC);
	feed(&lb, LMC, &m, T0 + 1);
	r = only(&lb, DMM_MSG_LM_FWD_REPLY, LMC);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	/* to an LM that does not replicate */
	nt_stop(&lc);
	{
		struct dmm_config c;
		lm_config(&c, "lm-c", LMC, 2, 16);
		assert_int_equal(nt_start(&lc, &c, T0), 0);
	}
	m = replica_msg(1, HNP, MR11, LMA);
	feed(&lc, LMA, &m, T0 + 2);
	assert_int_equal(only(&lc, DMM_MSG_LM_FWD_REPLY, LMA).status, DMM_ST_PROHIBITED);
	/* nothing was kept: B still fans out */
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + 3);
	assert_int_equal(lb.n_sent, 2);
	assert_int_equal(find(&lb, DMM_MSG_LOC_REPLY, MR21, &r), -1);
}

static void
test_replica_bounded(void **state)
{
	struct dmm_msg m;

	repl_bind(1, "2001:db8:a:100::/64", T0);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0);
	repl_bind(2, "2001:db8:a:101::/64", T0);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0);
	repl_bind(3, "2001:db8:a:102::/64", T0);
	repl_deliver(&lb, LMB, DMM_ST_NO_RESOURCES, T0);
	assert_int_equal(counter(&lb, DMM_C_TABLE_FULL), 1);
	m = query_mnid_msg(3); /* not kept: fan-out */
	feed(&lb, MR21, &m, T0 + 1);
	assert_int_equal(lb.n_sent, 2);
	m = query_mnid_msg(2); /* kept */
	feed(&lb, MR21, &m, T0 + 2);
	assert_int_equal(only(&lb, DMM_MSG_LOC_REPLY, MR21).status, DMM_ST_OK);
	/* a deletion frees its slot */
	m = update_msg(1, "2001:db8:a:100::/64", MR11, 0);
	feed(&la, MR11, &m, T0 + 3);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0 + 3);
	m = update_msg(3, "2001:db8:a:102::/64", MR12, LIFE);
	feed(&la, MR12, &m, T0 + 4);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0 + 4);
}

/* A replica refreshed later (its binding moved) outlives its first
 * expiry: the replicas' wheel finds its old entry and queues it again at
 * the new one; it goes at the new one exactly. */
static void
test_replica_refreshed(void **state)
{
	const dmm_time_t t1 = T0 + 100000;
	struct dmm_msg m, r;

	repl_bind(1, HNP, T0);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0);
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, t1);
	repl_deliver(&lb, LMB, DMM_ST_OK, t1);
	dmm_node_timer(lb.node, T0 + LIFE * 1000);
	assert_true(dmm_node_next_deadline(lb.node) > T0 + LIFE * 1000);
	assert_true(dmm_node_next_deadline(lb.node) <= t1 + LIFE * 1000);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + LIFE * 1000);
	r = only(&lb, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_addr(&r.location, MR12);
	dmm_node_timer(lb.node, t1 + LIFE * 1000 - 1);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, t1 + LIFE * 1000 - 1);
	assert_int_equal(only(&lb, DMM_MSG_LOC_REPLY, MR21).status, DMM_ST_OK);
	dmm_node_timer(lb.node, t1 + LIFE * 1000);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, t1 + LIFE * 1000);
	assert_int_equal(lb.n_sent, 2); /* fan-out: the replica is gone */
	assert_int_equal(nt_count(&lb, DMM_MSG_LOC_REPLY, NULL), 0);
}

static void
test_replica_expiry(void **state)
{
	struct dmm_msg m;

	repl_bind(1, HNP, T0);
	repl_deliver(&lb, LMB, DMM_ST_OK, T0);
	assert_int_equal(dmm_node_next_deadline(lb.node) <= T0 + LIFE * 1000, true);
	dmm_node_timer(lb.node, T0 + LIFE * 1000 - 1);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + LIFE * 1000 - 1);
	assert_int_equal(only(&lb, DMM_MSG_LOC_REPLY, MR21).status, DMM_ST_OK);
	dmm_node_timer(lb.node, T0 + LIFE * 1000);
	m = query_mnid_msg(1);
	feed(&lb, MR21, &m, T0 + LIFE * 1000);
	assert_int_equal(lb.n_sent, 2); /* fan-out */
	assert_int_equal(nt_count(&lb, DMM_MSG_LOC_REPLY, NULL), 0);
}

/* Restart (PROCEDURES.md): each binding change reaches dmm_io.persist before
 * the LOC_ACK; a new LM fed the records back answers queries by prefix and
 * by MN id with the same location, home and expiry, and refuses nothing it
 * should keep; a deregistration removes the record. */
static void
test_restart_keeps_bindings(void **state)
{
	static struct nt_store st;
	struct dmm_config c;
	struct dmm_msg m, r;
	struct bindings b;

	memset(&st, 0, sizeof(st));
	la.store = &st;
	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, T0);
	m = update_msg(2, "2001:db8:a:200::/64", MR12, LIFE);
	feed(&la, MR12, &m, T0 + 1);
	m = update_msg(1, HNP, MR12, LIFE); /* MN 1 moved to MR12 */
	feed(&la, MR12, &m, T0 + 2);
	m = update_msg(3, "2001:db8:a:300::/64", MR13, LIFE);
	feed(&la, MR13, &m, T0 + 3);
	m = update_msg(3, "2001:db8:a:300::/64", MR13, 0); /* deregistered */
	feed(&la, MR13, &m, T0 + 4);
	assert_int_equal(st.n, 2);
	for (unsigned i = 0; i < st.n; i++)
		assert_int_equal(st.sent_before[i], 0); /* written before the ack */

	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 16);
	assert_int_equal(nt_start(&la, &c, T0 + 100), 0);
	assert_int_equal(nt_restore(&la, &st, T0 + 100), 2);
	b = bindings(&la);
	assert_int_equal(b.n, 2);
	assert_true(nt_log_has(&la, "(restored)"));
	m = query_msg("2001:db8:a:100::1", 0);
	feed(&la, MR21, &m, T0 + 200);
	r = only(&la, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_addr(&r.location, MR12);
	m = query_mnid_msg(2);
	feed(&la, MR11, &m, T0 + 201);
	r = only(&la, DMM_MSG_LOC_REPLY, MR11);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_addr(&r.location, MR12);
	assert_hnp(&r, "2001:db8:a:200::/64");
	/* the deregistered one stayed gone */
	m = query_msg("2001:db8:a:300::1", 0);
	feed(&la, MR21, &m, T0 + 202);
	r = only(&la, DMM_MSG_LOC_REPLY, MR21);
	assert_int_not_equal(r.status, DMM_ST_OK);
	/* and they still expire when their lifetime says */
	dmm_node_timer(la.node, T0 + 2 + (dmm_time_t)LIFE * 1000 + 1);
	assert_int_equal(bindings(&la).n, 0);
	assert_int_equal(counter(&la, DMM_C_BINDING_EXPIRED), 2);
}

/* Finding 7: subscriptions survive a restart (they used to be lost: a
 * subscriber then missed every move until its cache entry ran out). Each
 * is written before the answer that confirms it, removed with its binding
 * or when it is dropped. */
static void
test_restart_keeps_subscriptions(void **state)
{
	static struct nt_store st;
	struct dmm_config c;
	struct dmm_msg m, r;
	unsigned subs = 0;

	memset(&st, 0, sizeof(st));
	la.store = &st;
	bind_mn1();
	m = update_msg(2, "2001:db8:a:200::/64", MR12, LIFE);
	feed(&la, MR12, &m, T0 + 1);
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la, MR12, &m, T0 + 10);
	m = query_msg("2001:db8:a:100::6", DMM_F_SUBSCRIBE);
	feed(&la, MR21, &m, T0 + 11);
	m = query_msg("2001:db8:a:200::6", DMM_F_SUBSCRIBE);
	feed(&la, MR21, &m, T0 + 12);
	m = query_msg("2001:db8:a:200::7", DMM_F_SUBSCRIBE); /* again: one record */
	feed(&la, MR21, &m, T0 + 13);
	for (unsigned i = 0; i < st.n; i++)
		if (st.r[i].kind == DMM_REC_SUBSCRIPTION) {
			subs++;
			assert_int_equal(st.sent_before[i], 0); /* before the reply */
		}
	assert_int_equal(subs, 3);
	/* MN 2's binding goes: its subscription with it */
	m = update_msg(2, "2001:db8:a:200::/64", MR12, 0);
	feed(&la, MR12, &m, T0 + 14);
	assert_int_equal(st.n, 1 + 2);

	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 16);
	assert_int_equal(nt_start(&la, &c, T0 + 100), 0);
	assert_int_equal(nt_restore(&la, &st, T0 + 100), 3);
	assert_int_equal(bindings(&la).n, 1);
	assert_int_equal(bindings(&la).v[0].n_subscribers, 2);
	assert_true(nt_log_has(&la, "subscriber 2001:db8:ff::21 of 2001:db8:a:100::/64: "
				    "none -> active (restored)"));
	/* the MN moves: both subscribers are told, as before the restart */
	m = update_msg(1, HNP, MR13, LIFE);
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&la, MR13, &m, T0 + 200);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR12, &r) >= 0);
	assert_addr(&r.location, MR13);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR21, &r) >= 0);
	assert_addr(&r.location, MR13);
	/* a subscription whose binding is gone is not restored */
	{
		struct dmm_record orphan = { .kind = DMM_REC_SUBSCRIPTION,
					     .prefix = nt_p6("2001:db8:a:900::/64"),
					     .peer = nt_a6(MR21), .expires = T0 + 1000 };
		assert_int_equal(dmm_node_restore(la.node, &orphan, T0 + 300), DMM_E_NOTFOUND);
	}
}

/* lm { store redis } (dmmd's rstore.c) through the core's hooks: two front
 * ends of network a (both at its LM address, as anycast front ends are);
 * what one persists, the other applies (dmm_lm_apply):
 * the binding appears there without being persisted again, a move notifies
 * the other front end's subscriber, a deregistration removes it. */
static void
test_shared_store_apply(void **state)
{
	static struct nt_store st, st2;
	static struct nodetest la2;
	struct dmm_config c;
	struct dmm_msg m, r;

	memset(&st, 0, sizeof(st));
	memset(&st2, 0, sizeof(st2));
	la.store = &st;
	lm_config(&c, "lm-a2", LMA, 0, 16);
	assert_int_equal(nt_start(&la2, &c, T0), 0);
	la2.store = &st2;
	dmm_lm_set_store(la.node, DMM_LM_STORE_UP);
	dmm_lm_set_store(la2.node, DMM_LM_STORE_UP);

	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, T0);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.r[0].kind, DMM_REC_BINDING);
	assert_int_equal(dmm_lm_apply(la2.node, &st.r[0], T0 + 1), 0);
	assert_int_equal(st2.binding_ops, 0); /* not persisted again */
	m = query_msg("2001:db8:a:100::5", DMM_F_SUBSCRIBE);
	feed(&la2, MR12, &m, T0 + 10);
	r = only(&la2, DMM_MSG_LOC_REPLY, MR12);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_addr(&r.location, MR11);

	/* the MN moves to MR13, told to the first front end */
	m = update_msg(1, HNP, MR13, LIFE);
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&la, MR13, &m, T0 + 20);
	nt_clear(&la2);
	assert_int_equal(st.r[0].kind, DMM_REC_BINDING);
	assert_int_equal(dmm_lm_apply(la2.node, &st.r[0], T0 + 21), 0);
	r = only(&la2, DMM_MSG_LM_NOTIFY, MR12);
	assert_addr(&r.location, MR13);
	assert_addr(&r.prev_location, MR11);
	assert_true(nt_log_has(&la2, "(moved through another front end)"));
	assert_int_equal(st2.binding_ops, 0);
	/* applied again (a sync): nothing moves, nobody is told */
	nt_clear(&la2);
	assert_int_equal(dmm_lm_apply(la2.node, &st.r[0], T0 + 22), 0);
	assert_int_equal(la2.n_sent, 0);

	/* deregistered through the first: gone from the second */
	m = update_msg(1, HNP, MR13, 0);
	feed(&la, MR13, &m, T0 + 30);
	assert_int_equal(st.n, 0);
	assert_int_equal(st.deletes, 1);
	assert_int_equal(st.expired, 0);
	struct dmm_record del = { .kind = DMM_REC_BINDING, .del = true, .prefix = nt_p6(HNP) };
	assert_int_equal(dmm_lm_apply(la2.node, &del, T0 + 31), 0);
	assert_int_equal(bindings(&la2).n, 0);
	assert_int_equal(st2.binding_ops, 0);
	/* not a binding, or not an LM */
	del.kind = DMM_REC_LEASE;
	assert_int_equal(dmm_lm_apply(la2.node, &del, T0 + 32), DMM_E_ROLE);
	nt_stop(&la2);
}

/* The shared store unreachable: updates refused with NO_RESOURCES (and
 * counted), nothing persisted, queries still answered; while the store is
 * loading, queries are dropped (the MR asks again). A lifetime that runs
 * out is persisted as an expired delete (the store expires on its own). */
static void
test_shared_store_down(void **state)
{
	static struct nt_store st;
	struct dmm_msg m, r;

	memset(&st, 0, sizeof(st));
	la.store = &st;
	m = update_msg(1, HNP, MR11, LIFE);
	feed(&la, MR11, &m, T0);
	dmm_lm_set_store(la.node, DMM_LM_STORE_DOWN);
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, T0 + 1);
	r = only(&la, DMM_MSG_LOC_ACK, MR12);
	assert_int_equal(r.status, DMM_ST_NO_RESOURCES);
	assert_int_equal(counter(&la, DMM_C_LM_STORE_REFUSED), 1);
	assert_int_equal(st.writes, 1);
	m = query_msg("2001:db8:a:100::5", 0);
	feed(&la, MR21, &m, T0 + 2);
	r = only(&la, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_addr(&r.location, MR11); /* the refused move did not happen */

	dmm_lm_set_store(la.node, DMM_LM_STORE_LOADING);
	m = query_msg("2001:db8:a:100::5", 0);
	feed(&la, MR21, &m, T0 + 3);
	assert_int_equal(la.n_sent, 0);
	assert_int_equal(counter(&la, DMM_C_LM_STORE_REFUSED), 2);

	dmm_lm_set_store(la.node, DMM_LM_STORE_UP);
	m = update_msg(1, HNP, MR12, LIFE);
	feed(&la, MR12, &m, T0 + 4);
	assert_int_equal(only(&la, DMM_MSG_LOC_ACK, MR12).status, DMM_ST_OK);
	assert_int_equal(st.writes, 2);
	dmm_node_timer(la.node, T0 + 4 + (dmm_time_t)LIFE * 1000);
	assert_int_equal(st.deletes, 1);
	assert_int_equal(st.expired, 1);
}

/* Bulk restore (dmm_node_restore_hint ... dmm_node_restore_done, what
 * dmmd's store does with 1M records): bindings restored in the store's
 * key order skip the duplicate lookup and are indexed in one pass at the
 * end; every one answers by prefix and by MN id afterwards, each where it
 * was; a prefix out of order that repeats an earlier one is still refused
 * (the order check falls back to the lookup); records after it still
 * restore; a subscription record (they sort after the bindings) finds its
 * binding. */
static struct dmm_mnid
bulk_id(unsigned i)
{
	struct dmm_mnid id = nt_mnid(i & 0xff);

	id.id[4] = (uint8_t)(i >> 8);
	return id;
}

static void
test_restore_bulk(void **state)
{
	enum { N = 300 };
	static const char *const mrs[] = { MR11, MR12, MR13 };
	struct dmm_config c;
	struct dmm_record r;
	struct dmm_msg m, rep;
	char p[64], a[64];

	nt_stop(&la);
	lm_config(&c, "lm-a", LMA, 0, 1000);
	assert_int_equal(nt_start(&la, &c, T0), 0);
	dmm_node_restore_hint(la.node, N + 2);
	for (unsigned i = 0; i < N; i++) {
		r = (struct dmm_record){ .kind = DMM_REC_BINDING, .mnid = bulk_id(i),
					 .seq = (uint16_t)i, .expires = T0 + LIFE * 1000 };
		snprintf(p, sizeof(p), "2001:db8:a:%x::/64", 0x100 + i);
		r.prefix = nt_p6(p);
		r.peer = r.home = nt_a6(mrs[i % 3]);
		assert_int_equal(dmm_node_restore(la.node, &r, T0), 0);
		if (i == N / 2) { /* out of order: the first prefix again */
			struct dmm_record dup = r;
			dup.prefix = nt_p6("2001:db8:a:100::/64");
			dup.mnid = bulk_id(999);
			assert_int_equal(dmm_node_restore(la.node, &dup, T0), DMM_E_CONFIG);
		}
	}
	{ /* subscriptions sort after the bindings: found while still unlinked */
		struct dmm_record sub = { .kind = DMM_REC_SUBSCRIPTION,
					  .prefix = nt_p6("2001:db8:a:10a::/64"),
					  .peer = nt_a6(MR21), .expires = T0 + LIFE * 1000 };
		assert_int_equal(dmm_node_restore(la.node, &sub, T0), 0);
	}
	dmm_node_restore_done(la.node);
	assert_int_equal(bindings(&la).n, N);
	for (unsigned i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "2001:db8:a:%x::1", 0x100 + i);
		m = query_msg(a, 0);
		feed(&la, MR21, &m, T0 + 10);
		rep = only(&la, DMM_MSG_LOC_REPLY, MR21);
		assert_int_equal(rep.status, DMM_ST_OK);
		assert_addr(&rep.location, mrs[i % 3]);
		m = query_mnid_msg(0);
		m.mnid = bulk_id(i);
		feed(&la, MR21, &m, T0 + 10);
		rep = only(&la, DMM_MSG_LOC_REPLY, MR21);
		assert_int_equal(rep.status, DMM_ST_OK);
		assert_addr(&rep.location, mrs[i % 3]);
	}
	/* the subscriber of binding 10 hears of its move */
	m = update_msg(0, "2001:db8:a:10a::/64", MR13, LIFE);
	m.mnid = bulk_id(10);
	m.handoff = DMM_HI_SAME_IFACE;
	feed(&la, MR13, &m, T0 + 20);
	assert_true(find(&la, DMM_MSG_LM_NOTIFY, MR21, &rep) >= 0);
	assert_addr(&rep.location, MR13);
	m = query_mnid_msg(0);
	m.mnid = bulk_id(999);
	feed(&la, MR21, &m, T0 + 10);
	assert_int_equal(nt_count(&la, DMM_MSG_LOC_REPLY, NULL), 0); /* not here: fan-out */
}

/* A bulk restore left without dmm_node_restore_done: a subscription
 * record, then the first message, find the bindings all the same. */
static void
test_restore_bulk_undone(void **state)
{
	struct dmm_record r = { .kind = DMM_REC_BINDING, .mnid = nt_mnid(1),
				.expires = T0 + LIFE * 1000 };
	struct dmm_msg m, rep;

	struct dmm_record sub = { .kind = DMM_REC_SUBSCRIPTION, .peer = nt_a6(MR21),
				  .expires = T0 + LIFE * 1000 };

	r.prefix = sub.prefix = nt_p6(HNP);
	r.peer = r.home = nt_a6(MR12);
	dmm_node_restore_hint(la.node, 2);
	assert_int_equal(dmm_node_restore(la.node, &r, T0), 0);
	/* its subscription (sorted after it) finds the still unlinked binding */
	assert_int_equal(dmm_node_restore(la.node, &sub, T0), 0);
	m = query_msg("2001:db8:a:100::1", 0);
	feed(&la, MR21, &m, T0 + 10);
	rep = only(&la, DMM_MSG_LOC_REPLY, MR21);
	assert_int_equal(rep.status, DMM_ST_OK);
	assert_addr(&rep.location, MR12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_and_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_bulk_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_store_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_store_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_lost_round_then_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_compact_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_query_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_zero_unchecked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fanout_by_mnid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fanout_late_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_prefix_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_prefix_in_own_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_by_mnid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribers_bounded, setup_subs, teardown),
		cmocka_unit_test_setup_teardown(test_notify_deferred, setup_pending, teardown),
		cmocka_unit_test_setup_teardown(test_notify_deferred_silent, setup_pending, teardown),
		cmocka_unit_test_setup_teardown(test_replicate_sent, setup_repl, teardown),
		cmocka_unit_test_setup_teardown(test_replicate_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_answers, setup_repl, teardown),
		cmocka_unit_test_setup_teardown(test_replica_refused, setup_repl, teardown),
		cmocka_unit_test_setup_teardown(test_replica_bounded, setup_repl_small, teardown),
		cmocka_unit_test_setup_teardown(test_replica_expiry, setup_repl, teardown),
		cmocka_unit_test_setup_teardown(test_replica_refreshed, setup_repl, teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mnid_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_long_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_subscriptions, setup, teardown),
	};

	dmm_auth_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
