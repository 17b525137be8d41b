/* MR engine (core/mr.c, mr_handover.c, mr_cache.c): one MR node driven by
 * hand. The test plays the LM, the HAAs and the other MRs: it opens what
 * the node sends (real sealed bytes), answers with sealed replies through
 * dmm_node_recv, and checks the exact data-plane op sequences. */
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
#define PMR "2001:db8:ff::21"  /* an MR of network b (anchor of 2001:db8:b:5::/64) */
#define NMR "2001:db8:ff::22"  /* where the MN goes next */
#define CMR "2001:db8:ff::23"  /* a correspondent's MR */
#define HNP_A "2001:db8:a:1::/64" /* anchored here */
#define HNP_A2 "2001:db8:a:7::/64"
#define HNP_B "2001:db8:b:5::/64" /* anchored at PMR */
#define LINK 7
#define T0 1000

static struct nodetest T;
static struct dmm_mnid MN1;

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

/* Start the node and run its start-up timer; what it did is left captured. */
static void start(struct dmm_config *c)
{
	MN1 = nt_mnid(1);
	assert_int_equal(nt_start(&T, c, T0), 0);
	assert_int_equal(dmm_node_next_deadline(T.node), 0);
	dmm_node_timer(T.node, T0);
}

static int setup(void **state)
{
	struct dmm_config c;

	mr_config(&c);
	start(&c);
	nt_clear(&T);
	return 0;
}

static int teardown(void **state)
{
	nt_stop(&T);
	return 0;
}

/* ---- helpers ---- */

static bool a6_eq(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = nt_a6(s);

	return memcmp(a, &b, sizeof(b)) == 0;
}

/* Captured message i: its type and destination checked, decoded. */
static struct dmm_msg sent(unsigned i, enum dmm_msg_type type, const char *dst)
{
	struct dmm_msg m;

	assert_true(i < T.n_sent);
	assert_int_equal(nt_open(&T, i, &m), 0);
	assert_string_equal(dmm_msg_type_name(m.type), dmm_msg_type_name(type));
	assert_true(a6_eq(&T.sent[i].dst, dst));
	return m;
}

/* A refresh deadline d for something of lifetime s granted at t: at 80 %
 * of it, minus a jitter of up to 10 %. */
static void refresh_window(dmm_time_t d, dmm_time_t t, uint32_t s)
{
	assert_in_range(d, t + (dmm_time_t)s * 700, t + (dmm_time_t)s * 800);
}

/* Answer captured request i (from its destination) with r. */
static int answer(unsigned i, struct dmm_msg *r, dmm_time_t now)
{
	struct dmm_msg req;

	assert_int_equal(nt_open(&T, i, &req), 0);
	r->type = dmm_msg_reply_type(req.type);
	r->seq = req.seq;
	return nt_recv(&T, &T.sent[i].dst, r, now);
}

static int answer_status(unsigned i, uint8_t status, dmm_time_t now)
{
	struct dmm_msg r = { .status = status };

	return answer(i, &r, now);
}

static void set_hnp(struct dmm_msg *m, const char *p)
{
	m->present |= DMM_P_HNP;
	m->hnp[m->n_hnp++] = nt_p6(p);
}

static void prefix_is(const struct dmm_prefix *p, const char *s)
{
	struct dmm_prefix q = s ? nt_p6(s) : (struct dmm_prefix){ .len = 0 };
	char b1[DMM_PREFIX_STRLEN], b2[DMM_PREFIX_STRLEN];

	if (!s && p->len == 0)
		return;
	assert_string_equal(dmm_prefix_str(p, b1, sizeof(b1)), dmm_prefix_str(&q, b2, sizeof(b2)));
}

/* Data-plane op i is exactly this (NULL: field empty). */
static void op_is(unsigned i, enum dmm_dp_kind k, const char *prefix, const char *src,
		  const char *loc, uint32_t link)
{
	const struct dmm_dp_op *op = &T.ops[i];
	struct in6_addr any = IN6ADDR_ANY_INIT;

	assert_true(i < T.n_ops);
	assert_string_equal(dmm_dp_kind_name(op->kind), dmm_dp_kind_name(k));
	prefix_is(&op->prefix, prefix);
	prefix_is(&op->src, src);
	if (loc)
		assert_true(a6_eq(&op->locator, loc));
	else
		assert_memory_equal(&op->locator, &any, sizeof(any));
	assert_int_equal(op->link, link);
}

static bool has_event(enum dmm_event_kind k)
{
	for (unsigned i = 0; i < T.n_events; i++)
		if (T.events[i].kind == k)
			return true;
	return false;
}

static struct dmm_mn_view mn_seen;
static unsigned n_mn;
static void mn_cb(void *ctx, const struct dmm_mn_view *v)
{
	mn_seen = *v;
	n_mn++;
}

static struct dmm_mn_view *mn_view(void)
{
	n_mn = 0;
	dmm_mr_foreach_mn(T.node, mn_cb, NULL);
	return n_mn == 1 ? &mn_seen : NULL;
}

static struct dmm_ho_view ho_seen;
static unsigned n_ho;
static void ho_cb(void *ctx, const struct dmm_ho_view *v)
{
	ho_seen = *v;
	n_ho++;
}

static unsigned ho_count(void)
{
	n_ho = 0;
	dmm_mr_foreach_handover(T.node, ho_cb, NULL);
	return n_ho;
}

static struct dmm_cache_view cache_seen[8];
static unsigned n_cache;
static void cache_cb(void *ctx, const struct dmm_cache_view *v)
{
	if (n_cache < 8)
		cache_seen[n_cache] = *v;
	n_cache++;
}

static unsigned cache_count(void)
{
	n_cache = 0;
	dmm_mr_foreach_cache(T.node, cache_cb, NULL);
	return n_cache;
}

static uint64_t ctr(enum dmm_counter c)
{
	return dmm_node_counter(T.node, c);
}

/* Attach MN1 on LINK as a new MN and get HNP_A from the local HAA. The
 * LOC_UPDATE (if any) is left unanswered; captures are cleared. */
static void initial_attach(dmm_time_t t)
{
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 3600 };

	nt_clear(&T);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, t), 0);
	assert_int_equal(answer_status(0, DMM_ST_NOT_FOUND, t), 0);
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(SELF);
	assert_int_equal(answer(1, &r, t), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	if (T.n_sent == 3)
		assert_int_equal(answer_status(2, DMM_ST_OK, t), 0); /* LOC_UPDATE */
	nt_clear(&T);
}

/* The LM says MN1 is served by PMR with HNP_B (its binding at version
 * ver, 0: none named): this MR is the nMR. */
static void lm_says_moved_ver(unsigned i, dmm_time_t t, uint16_t ver)
{
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };

	if (ver) {
		r.present |= DMM_P_VER;
		r.n_ver = 1;
		r.ver[0] = ver;
	}
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(PMR);
	r.home = nt_a6(PMR);
	assert_int_equal(answer(i, &r, t), 0);
}

static void lm_says_moved(unsigned i, dmm_time_t t)
{
	lm_says_moved_ver(i, t, 0);
}

/* ---- tests ---- */

static void test_startup_query_mode(void **state)
{
	struct dmm_config c;

	nt_stop(&T);
	mr_config(&c);
	start(&c);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_MISS_ADD, "2001:db8:a::/48", NULL, NULL, 0);
	op_is(1, DMM_DP_MISS_ADD, "2001:db8:b::/48", NULL, NULL, 0);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(dmm_node_next_deadline(T.node), DMM_TIME_NEVER);
}

static void test_initial_attach(void **state)
{
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 3600 };

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	/* HANDOVER: if bound elsewhere, the LM relays a CTX_REQ for us */
	assert_int_equal(m.flags, DMM_F_BY_MNID | DMM_F_HANDOVER);
	assert_int_equal(m.present & ~(DMM_P_TIMESTAMP | DMM_P_AUTH), DMM_P_MNID);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	assert_int_equal(mn_view()->state, DMM_MN_RESOLVING);
	assert_true(has_event(DMM_EV_ATTACH) && has_event(DMM_EV_QUERY_SENT));

	assert_int_equal(answer_status(0, DMM_ST_NOT_FOUND, T0 + 10), 0);
	assert_int_equal(T.n_sent, 2);
	m = sent(1, DMM_MSG_HOA_REQ, HAA_A);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	assert_int_equal(m.handoff, DMM_HI_NEW_IFACE);
	assert_false(m.present & DMM_P_HNP);
	assert_int_equal(m.lifetime, 3600);
	assert_int_equal(mn_view()->state, DMM_MN_ALLOCATING);
	assert_int_equal(T.n_ops, 0);

	set_hnp(&r, HNP_A);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(SELF);
	assert_int_equal(answer(1, &r, T0 + 20), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_LOCAL_ADD, HNP_A, NULL, NULL, LINK);
	op_is(1, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(T.ops[1].n_adv, 1);
	prefix_is(&T.ops[1].adv[0].prefix, HNP_A);
	assert_int_equal(T.ops[1].adv[0].valid_s, 3600);
	assert_int_equal(T.ops[1].adv[0].preferred_s, 3600);
	assert_int_equal(T.n_sent, 3);
	m = sent(2, DMM_MSG_LOC_UPDATE, LM_A);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	assert_int_equal(m.n_hnp, 1);
	prefix_is(&m.hnp[0], HNP_A);
	assert_true(a6_eq(&m.location, SELF));
	assert_true(a6_eq(&m.home, SELF));
	assert_int_equal(m.handoff, DMM_HI_NEW_IFACE);
	assert_int_equal(m.lifetime, 600);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_true(has_event(DMM_EV_HOA_ASSIGNED));

	assert_int_equal(answer_status(2, DMM_ST_OK, T0 + 30), 0);
	assert_true(has_event(DMM_EV_LOC_UPDATED));
	assert_int_equal(ctr(DMM_C_ATTACH), 1);
	assert_int_equal(ctr(DMM_C_QUERY), 1);

	/* binding refresh at 70-80 % of 600 s (jitter) */
	dmm_time_t d = dmm_node_next_deadline(T.node);
	refresh_window(d, T0 + 20, 600);
	nt_clear(&T);
	dmm_node_timer(T.node, d);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_LOC_UPDATE, LM_A);
	assert_int_equal(m.handoff, DMM_HI_NOT_CHANGED);
	prefix_is(&m.hnp[0], HNP_A);
	/* the same RA again on a Router Solicitation */
	assert_int_equal(dmm_mr_solicit(T.node, LINK, T0 + 480100), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(dmm_mr_solicit(T.node, LINK + 1, T0), DMM_E_NOTFOUND);
}

static void test_initial_attach_no_lm_update(void **state)
{
	struct dmm_config c;
	struct dmm_msg m;

	nt_stop(&T);
	mr_config(&c);
	c.lm_update_on_attach = false;
	start(&c);
	nt_clear(&T);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	assert_int_equal(answer_status(0, DMM_ST_NOT_FOUND, T0), 0);
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 3600 };
	set_hnp(&r, HNP_A);
	assert_int_equal(answer(1, &r, T0), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_LOCAL_ADD, HNP_A, NULL, NULL, LINK);
	op_is(1, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(T.n_sent, 2); /* no LOC_UPDATE */
	/* only the lease is refreshed, at 70-80 % of 3600 s */
	dmm_time_t d = dmm_node_next_deadline(T.node);
	refresh_window(d, T0, 3600);
	nt_clear(&T);
	dmm_node_timer(T.node, d);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_HOA_REQ, HAA_A);
	prefix_is(&m.hnp[0], HNP_A);
	assert_int_equal(m.handoff, DMM_HI_NOT_CHANGED);
	assert_int_equal(m.lifetime, 3600);
}

static void test_move_here(void **state)
{
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 3600 };

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	lm_says_moved(0, T0 + 5);
	/* data path first */
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_LOCAL_ADD, HNP_B, NULL, NULL, LINK);
	op_is(1, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(T.n_sent, 3);
	m = sent(1, DMM_MSG_CTX_REQ, PMR);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	assert_int_equal(m.n_hnp, 1);
	prefix_is(&m.hnp[0], HNP_B);
	assert_true(a6_eq(&m.location, SELF));
	m = sent(2, DMM_MSG_HOA_REQ, HAA_B);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.handoff, DMM_HI_SAME_IFACE);
	assert_int_equal(mn_view()->state, DMM_MN_RETRIEVING);
	assert_int_equal(ctr(DMM_C_HANDOVER), 1);
	assert_true(has_event(DMM_EV_CTX_SENT));

	assert_int_equal(answer_status(1, DMM_ST_OK, T0 + 10), 0);
	assert_true(has_event(DMM_EV_CTX_ACKED));
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(PMR);
	assert_int_equal(answer(2, &r, T0 + 12), 0);
	assert_int_equal(T.n_sent, 4);
	m = sent(3, DMM_MSG_LOC_UPDATE, LM_A);
	prefix_is(&m.hnp[0], HNP_B);
	assert_true(a6_eq(&m.location, SELF));
	assert_true(a6_eq(&m.home, PMR));
	assert_int_equal(m.handoff, DMM_HI_SAME_IFACE);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(T.n_ops, 2); /* nothing more on the data path */

	/* it leaves again: not anchored here, so the context's MISS goes too */
	nt_clear(&T);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	struct dmm_msg ctx = { .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION };
	ctx.type = DMM_MSG_CTX_REQ;
	ctx.mnid = MN1;
	set_hnp(&ctx, HNP_B);
	ctx.location = nt_a6(NMR);
	assert_int_equal(nt_recv(&T, &ctx.location, &ctx, T0 + 150), 0);
	dmm_node_timer(T.node, T0 + 150 + 3000);
	assert_int_equal(T.n_ops, 5);
	op_is(0, DMM_DP_HOLD_START, HNP_B, NULL, NULL, 0);
	op_is(1, DMM_DP_LOCAL_DEL, HNP_B, NULL, NULL, LINK);
	op_is(2, DMM_DP_MISS_ADD, HNP_B, NULL, NULL, 0);
	op_is(3, DMM_DP_HOLD_FLUSH, HNP_B, NULL, NULL, 0);
	op_is(4, DMM_DP_MISS_DEL, HNP_B, NULL, NULL, 0);
	assert_int_equal(ho_count(), 0);
}

/* nMR: moved here from PMR as the LM said (PMR answers the context transfer
 * with ctx_st); the LOC_ACK of its update names prev as the MR that served
 * the MN. Leaves what was sent captured. */
/* nMR: moved here from PMR as the LM said (binding version ver), PMR
 * answers the context transfer with ctx_st, the HAA the lease: the
 * LOC_UPDATE sent (captured message 3). */
static struct dmm_msg move_here(uint8_t ctx_st, uint16_t ver)
{
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 3600 };

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	lm_says_moved_ver(0, T0 + 5, ver);
	sent(1, DMM_MSG_CTX_REQ, PMR);
	assert_int_equal(answer_status(1, ctx_st, T0 + 10), 0);
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(PMR);
	assert_int_equal(answer(2, &r, T0 + 12), 0);
	return sent(3, DMM_MSG_LOC_UPDATE, LM_A);
}

static void move_here_acked(uint8_t ctx_st, const char *prev)
{
	struct dmm_msg a = { .status = DMM_ST_OK, .lifetime = 600, .flags = DMM_F_PROXY,
			     .present = DMM_P_PREV_LOCATION };

	move_here(ctx_st, 0);
	set_hnp(&a, HNP_B);
	a.prev_location = nt_a6(prev);
	assert_int_equal(answer(3, &a, T0 + 14), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
}

/* The LM's answer was a replica behind a second move: PMR knows nothing
 * (NOT_FOUND), the authority's LOC_ACK names NMR, which gets the context
 * transfer too; once only. */
static void test_stale_pmr_healed(void **state)
{
	struct dmm_msg m, a = { .status = DMM_ST_OK, .lifetime = 600, .flags = DMM_F_PROXY,
				.present = DMM_P_PREV_LOCATION };
	dmm_time_t t = T0 + 600 * 1000;

	move_here_acked(DMM_ST_NOT_FOUND, NMR);
	assert_int_equal(T.n_sent, 5);
	m = sent(4, DMM_MSG_CTX_REQ, NMR);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	assert_int_equal(m.n_hnp, 1);
	prefix_is(&m.hnp[0], HNP_B);
	assert_true(a6_eq(&m.location, SELF));
	assert_int_equal(answer_status(4, DMM_ST_OK, T0 + 20), 0);
	assert_true(has_event(DMM_EV_CTX_ACKED));
	/* a later LOC_ACK (a refresh) sends nothing more */
	nt_clear(&T);
	dmm_node_timer(T.node, t);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_UPDATE, NULL), 1);
	for (unsigned i = 0; i < T.n_sent; i++) {
		if (nt_open(&T, i, &m) != 0 || m.type != DMM_MSG_LOC_UPDATE)
			continue;
		set_hnp(&a, HNP_B);
		a.prev_location = nt_a6(NMR);
		assert_int_equal(answer(i, &a, t + 1), 0);
	}
	assert_int_equal(nt_count(&T, DMM_MSG_CTX_REQ, NULL), 0);
}

/* The index of the last LOC_UPDATE captured at or after from, or -1. */
static int last_update(unsigned from)
{
	struct dmm_msg m;
	int k = -1;

	for (unsigned i = from; i < T.n_sent; i++)
		if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_UPDATE)
			k = (int)i;
	return k;
}

/* The LM refuses captured update k as stale (status 135, the binding at
 * NMR, version ver) at t, timers run: the index of the update then sent
 * again, or -1. */
static int refused_stale(unsigned k, uint16_t ver, dmm_time_t t)
{
	struct dmm_msg a = { .status = DMM_ST_STALE_VERSION, .flags = DMM_F_PROXY,
			     .present = DMM_P_PREV_LOCATION | DMM_P_VER, .n_ver = 1 };
	unsigned mark = T.n_sent;

	set_hnp(&a, HNP_B);
	a.prev_location = nt_a6(NMR);
	a.ver[0] = ver;
	assert_int_equal(answer(k, &a, t), 0);
	dmm_node_timer(T.node, t);
	return last_update(mark);
}

/* Binding versions at the MR: the LOC_UPDATE of an MN that moved here
 * names the version the LM's answer gave; a refusal as stale (status 135,
 * with the binding's version now) while the MN is here is answered with the
 * update again, naming that version, at once (MR_STALE_TRIES times in a
 * row); beyond, at the retry pace, so that refusals (two MRs both sure
 * they serve the MN, or forged answers) never make a storm; an ack's
 * version is the one the next refresh names. */
static void test_stale_version_resent(void **state)
{
	struct dmm_msg m = move_here(DMM_ST_OK, 5);
	dmm_time_t t = T0 + 20;
	int k;

	assert_true(m.present & DMM_P_VER);
	assert_int_equal(m.ver[0], 5);
	k = 3;
	for (unsigned n = 1; n <= 4; n++, t += 10) {
		k = refused_stale((unsigned)k, (uint16_t)(10 + n), t);
		if (n <= 3) { /* at once, naming the version it was told */
			assert_true(k >= 0);
			m = sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
			assert_int_equal(m.ver[0], 10 + n);
		} else { /* then no sooner than the retry pace */
			assert_int_equal(k, -1);
			assert_true(dmm_node_next_deadline(T.node) >= t + 1000);
		}
	}
	/* the next try names the last version it was told; its ack's
	 * version is the one the next refresh names */
	t = dmm_node_next_deadline(T.node);
	dmm_node_timer(T.node, t);
	k = last_update(0);
	m = sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
	assert_int_equal(m.ver[0], 14);
	{
		struct dmm_msg a = { .status = DMM_ST_OK, .lifetime = 600, .flags = DMM_F_PROXY,
				     .present = DMM_P_VER, .n_ver = 1 };
		set_hnp(&a, HNP_B);
		a.ver[0] = 15;
		assert_int_equal(answer((unsigned)k, &a, t + 1), 0);
	}
	nt_clear(&T);
	dmm_node_timer(T.node, t += 600 * 1000);
	k = last_update(0);
	assert_true(k >= 0);
	m = sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
	assert_int_equal(m.ver[0], 15);
	/* a refresh of that acknowledged binding refused as stale: the LM
	 * binds another MR now, so past the immediate resends the update is
	 * tried again after 1-1.5 s, not at the refresh's retry pace */
	for (unsigned n = 1; n <= 4; n++, t += 10) {
		int r = refused_stale((unsigned)k, (uint16_t)(20 + n), t);
		if (n <= 3)
			assert_true((k = r) >= 0);
	}
	t -= 10;
	assert_in_range(dmm_node_next_deadline(T.node), t + 1000, t + 1500);
}

/* Steps the node's timers from *t, up to limit, until it sends a new
 * LOC_UPDATE (a sequence number other than *seq: not a retransmission);
 * *t and *seq are then its; *gave_up the time the request before it timed
 * out. Its index, or -1. */
static int next_new_update(dmm_time_t *t, dmm_time_t limit, uint16_t *seq, dmm_time_t *gave_up)
{
	dmm_time_t d;
	struct dmm_msg m;

	while ((d = dmm_node_next_deadline(T.node)) <= limit) {
		unsigned mark = T.n_sent;
		uint64_t to = ctr(DMM_C_TIMEOUT);

		dmm_node_timer(T.node, *t = d);
		if (ctr(DMM_C_TIMEOUT) != to)
			*gave_up = d;
		for (unsigned i = mark; i < T.n_sent; i++)
			if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_UPDATE && m.seq != *seq) {
				*seq = m.seq;
				return (int)i;
			}
	}
	return -1;
}

/* An MN moved here and each try of its LOC_UPDATE was lost: the LM still
 * sends its traffic to the MR it left. The update is sent again 1 s after
 * the request timed out, then 2 s, 4 s (up to half as much again: the
 * jitter), not at the refresh's retry pace (within a quarter of the
 * binding's lifetime: up to a minute). Once the LM has acknowledged it, a
 * lost refresh is tried again at that pace. */
static void test_lost_move_update_soon(void **state)
{
	struct dmm_msg a = { .status = DMM_ST_OK, .lifetime = 600, .flags = DMM_F_PROXY };
	struct dmm_msg m = move_here(DMM_ST_OK, 0);
	dmm_time_t t = T0 + 12, gave_up = 0, acked, left;
	uint16_t seq = m.seq;
	int k = -1;

	for (dmm_time_t wait = 1000; wait <= 4000; wait *= 2) {
		k = next_new_update(&t, t + 120 * 1000, &seq, &gave_up);
		assert_true(k >= 0);
		sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
		assert_in_range(t, gave_up + wait, gave_up + wait * 3 / 2);
	}
	set_hnp(&a, HNP_B);
	acked = t + 1;
	assert_int_equal(answer((unsigned)k, &a, acked), 0);
	/* acknowledged: the refresh at 70-80 % of the lifetime; lost, again
	 * after a half to a whole quarter of what is left of the binding */
	k = next_new_update(&t, acked + 600 * 1000, &seq, &gave_up);
	assert_true(k >= 0);
	refresh_window(t, acked, 600);
	k = next_new_update(&t, acked + 600 * 1000, &seq, &gave_up);
	assert_true(k >= 0);
	left = acked + 600 * 1000 - gave_up;
	assert_in_range(t, gave_up + left / 8, gave_up + left / 4);
}

/* The usual case: the LM names the pMR already told, or this MR. */
static void test_loc_ack_same_pmr(void **state)
{
	move_here_acked(DMM_ST_OK, PMR);
	assert_int_equal(T.n_sent, 4);
	nt_stop(&T);
	setup(state);
	move_here_acked(DMM_ST_OK, SELF);
	assert_int_equal(T.n_sent, 4);
}

static void test_move_here_lease_gone(void **state)
{
	struct dmm_msg m;

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	lm_says_moved(0, T0);
	assert_int_equal(answer_status(2, DMM_ST_NOT_FOUND, T0 + 5), 0);
	/* prefix withdrawn (RA with lifetime 0), MN treated as new */
	assert_int_equal(T.n_ops, 4);
	op_is(2, DMM_DP_LOCAL_DEL, HNP_B, NULL, NULL, LINK);
	op_is(3, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(T.ops[3].adv[0].valid_s, 0);
	prefix_is(&T.ops[3].adv[0].prefix, HNP_B);
	m = sent(3, DMM_MSG_HOA_REQ, HAA_A);
	assert_false(m.present & DMM_P_HNP);
	assert_int_equal(mn_view()->state, DMM_MN_ALLOCATING);
}

static void test_reattach_same_mr(void **state)
{
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };

	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_LOCAL_DEL, HNP_A, NULL, NULL, LINK);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(ho_seen.state, DMM_HO_HOLDING);
	assert_null(mn_view());
	nt_clear(&T);

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0 + 200), 0);
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(SELF);
	r.home = nt_a6(SELF);
	assert_int_equal(answer(0, &r, T0 + 210), 0);
	assert_int_equal(T.n_ops, 3);
	op_is(0, DMM_DP_LOCAL_ADD, HNP_A, NULL, NULL, LINK);
	op_is(1, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	op_is(2, DMM_DP_HOLD_FLUSH, HNP_A, NULL, NULL, 0); /* held packets delivered here */
	assert_int_equal(T.n_sent, 1); /* no context transfer, no HAA */
	assert_int_equal(ho_count(), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(ctr(DMM_C_CTX_DELETED), 1);
}

/* A CTX_REQ from NMR for MN1 (HNP_A, anchored here). */
static int ctx_req(const char *mnid_from, dmm_time_t t)
{
	struct dmm_msg m = { .type = DMM_MSG_CTX_REQ,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION };

	m.mnid = MN1;
	set_hnp(&m, HNP_A);
	m.location = nt_a6(NMR);
	struct in6_addr src = nt_a6(mnid_from);
	return nt_recv(&T, &src, &m, t);
}

static void test_handover_pmr(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:a:1::99"), src = nt_a6("2001:db8:b:9::5");
	struct in6_addr src2 = nt_a6("2001:db8:b:9::6");
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 600 };

	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	assert_int_equal(ctr(DMM_C_CTX_CREATED), 1);
	nt_clear(&T);

	assert_int_equal(ctx_req(NMR, T0 + 150), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_HOLD_FLUSH, HNP_A, NULL, NULL, 0);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_CTX_ACK, NMR);
	assert_int_equal(m.status, DMM_ST_OK);
	assert_true(dmm_mnid_eq(&m.mnid, &MN1));
	prefix_is(&m.hnp[0], HNP_A);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(ho_seen.state, DMM_HO_FORWARDING);
	assert_true(a6_eq(&ho_seen.nmr, NMR));
	assert_int_equal(ho_seen.expires, T0 + 150 + 3000);
	assert_true(has_event(DMM_EV_CTX_RECEIVED));
	nt_clear(&T);

	/* sender discovery: tunnel at once, then find the sender's MR */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 160), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_A, "2001:db8:b:9::/64", NMR, 0);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(a6_eq(&m.target, "2001:db8:b:9::5"));
	assert_int_equal(m.flags, 0);
	/* the same source prefix again: nothing new */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src2, T0 + 161), 0);
	assert_int_equal(T.n_ops, 1);
	assert_int_equal(T.n_sent, 1);

	set_hnp(&r, "2001:db8:b:9::/64");
	r.present |= DMM_P_LOCATION;
	r.location = nt_a6(CMR);
	assert_int_equal(answer(0, &r, T0 + 170), 0);
	assert_int_equal(T.n_sent, 2);
	m = sent(1, DMM_MSG_REDIRECT, CMR);
	prefix_is(&m.hnp[0], HNP_A);
	assert_true(a6_eq(&m.location, NMR));
	assert_int_equal(m.lifetime, 300);
	assert_int_equal(ctr(DMM_C_REDIRECT), 1);
	assert_int_equal(answer_status(1, DMM_ST_OK, T0 + 180), 0);
	assert_true(has_event(DMM_EV_REDIRECT_ACKED));
	nt_clear(&T);

	/* expiry: everything installed goes; the anchor keeps a MISS route */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 3150);
	dmm_node_timer(T.node, T0 + 3150);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_TUNNEL_DEL, HNP_A, "2001:db8:b:9::/64", NULL, 0);
	op_is(1, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
	assert_int_equal(ho_count(), 0);
	assert_int_equal(ctr(DMM_C_CTX_DELETED), 1);
	assert_true(has_event(DMM_EV_CTX_DELETED));
	nt_clear(&T);

	/* anchor behaviour (query mode): a catch-all tunnel to where the MN is */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 4000), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(a6_eq(&m.target, "2001:db8:a:1::99"));
	assert_int_equal(m.flags, DMM_F_SUBSCRIBE);
	struct dmm_msg r2 = { .status = DMM_ST_OK, .lifetime = 600 };
	set_hnp(&r2, HNP_A);
	r2.present |= DMM_P_LOCATION | DMM_P_HOME;
	r2.location = nt_a6(NMR);
	r2.home = nt_a6(SELF);
	assert_int_equal(answer(0, &r2, T0 + 4010), 0);
	assert_int_equal(T.n_ops, 3);
	op_is(1, DMM_DP_TUNNEL_ADD, HNP_A, NULL, NMR, 0);
	op_is(2, DMM_DP_HOLD_FLUSH, HNP_A, NULL, NULL, 0);
	/* its expiry gives the MISS route back */
	nt_clear(&T);
	dmm_node_timer(T.node, T0 + 4010 + 300000);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_TUNNEL_DEL, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
}

static void test_hold_expires_without_ctx(void **state)
{
	struct dmm_config c;

	nt_stop(&T);
	mr_config(&c);
	c.timers.hold_ms = 500;
	start(&c);
	nt_clear(&T);
	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	nt_clear(&T);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 600);
	dmm_node_timer(T.node, T0 + 600);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_HOLD_DROP, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
	/* a late CTX_REQ finds nothing */
	nt_clear(&T);
	assert_int_equal(ctx_req(NMR, T0 + 700), 0);
	assert_int_equal(sent(0, DMM_MSG_CTX_ACK, NMR).status, DMM_ST_NOT_FOUND);
	assert_int_equal(T.n_ops, 0);
}

/* The context request overtakes the link loss: held, unanswered, the MN
 * keeps its route; the link loss then detaches it and the request is
 * accepted at once (it used to detach an MN whose link had carrier). */
static void test_ctx_req_before_link_loss(void **state)
{
	initial_attach(T0);
	assert_int_equal(ctx_req(NMR, T0 + 50), 0);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(T.n_sent, 0);
	assert_non_null(mn_view());
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 60), 0);
	assert_int_equal(T.n_ops, 4);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_LOCAL_DEL, HNP_A, NULL, NULL, LINK);
	op_is(2, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
	op_is(3, DMM_DP_HOLD_FLUSH, HNP_A, NULL, NULL, 0);
	assert_null(mn_view());
	assert_int_equal(sent(0, DMM_MSG_CTX_ACK, NMR).status, DMM_ST_OK);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(ho_seen.state, DMM_HO_FORWARDING);
}

/* Another MR claims the MN (its identity seen on that MR's link) while its
 * link here has carrier: refused after hold_ms, the MN keeps its route. */
static void test_ctx_req_refused_while_link_up(void **state)
{
	initial_attach(T0);
	assert_int_equal(ctx_req(NMR, T0 + 50), 0);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 50 + 2000);
	dmm_node_timer(T.node, T0 + 50 + 2000);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(sent(0, DMM_MSG_CTX_ACK, NMR).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_ATTACH_CONFLICT), 1);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(ho_count(), 0);
	/* its link loss later is an ordinary departure */
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 5000), 0);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(T.n_sent, 1);
}

static void test_ctx_req_unknown_mn(void **state)
{
	struct dmm_msg m;

	assert_int_equal(ctx_req(NMR, T0), 0);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_CTX_ACK, NMR);
	assert_int_equal(m.status, DMM_ST_NOT_FOUND);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(ho_count(), 0);
	assert_int_equal(cache_count(), 0);
}

static void test_query_mode_miss(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:b:5::9"), src = nt_a6("2001:db8:a:1::1");
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 600 };

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_HOLD_START, HNP_B, NULL, NULL, 0);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(m.flags, DMM_F_SUBSCRIBE);
	assert_true(a6_eq(&m.target, "2001:db8:b:5::9"));
	assert_int_equal(cache_count(), 1);
	assert_int_equal(cache_seen[0].state, DMM_CACHE_QUERYING);
	/* a second packet while the query is in flight: held, no new query */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 1), 0);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(ctr(DMM_C_MISS), 2);

	set_hnp(&r, HNP_B);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(NMR);
	r.home = nt_a6(PMR);
	assert_int_equal(answer(0, &r, T0 + 10), 0);
	assert_int_equal(T.n_ops, 3);
	op_is(1, DMM_DP_TUNNEL_ADD, HNP_B, NULL, NMR, 0);
	op_is(2, DMM_DP_HOLD_FLUSH, HNP_B, NULL, NULL, 0);
	assert_int_equal(cache_count(), 1);
	assert_int_equal(cache_seen[0].state, DMM_CACHE_TUNNEL);
	assert_int_equal(cache_seen[0].expires, T0 + 10 + 300000);
	nt_clear(&T);

	/* the MN moves: the LM tells us, the route follows at once */
	struct dmm_msg nfy = { .type = DMM_MSG_LM_NOTIFY, .flags = DMM_F_ACK_REQ,
			       .present = DMM_P_LOCATION | DMM_P_PREV_LOCATION };
	set_hnp(&nfy, HNP_B);
	nfy.location = nt_a6(CMR);
	nfy.prev_location = nt_a6(NMR);
	struct in6_addr lm = nt_a6(LM_A);
	assert_int_equal(nt_recv(&T, &lm, &nfy, T0 + 20), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_B, NULL, CMR, 0);
	m = sent(0, DMM_MSG_LM_NOTIFY_ACK, LM_A);
	assert_int_equal(m.status, DMM_ST_OK);
	prefix_is(&m.hnp[0], HNP_B);
	assert_true(has_event(DMM_EV_NOTIFY_RECEIVED));
	/* home again: regular routing */
	nfy.seq = 0;
	nfy.present |= DMM_P_HOME;
	nfy.location = nt_a6(PMR);
	nfy.home = nt_a6(PMR);
	assert_int_equal(nt_recv(&T, &lm, &nfy, T0 + 30), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(1, DMM_DP_PASS_ADD, HNP_B, NULL, NULL, 0);
	nt_clear(&T);

	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 30 + 300000);
	dmm_node_timer(T.node, T0 + 30 + 300000);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_PASS_DEL, HNP_B, NULL, NULL, 0);
	assert_int_equal(ctr(DMM_C_CACHE_EXPIRED), 1);
	assert_int_equal(cache_count(), 0);
}

/* mr_cache_claim over a cache holding a prefix longer than the claimed one
 * (slot 0) and a shorter one (slot 1): removing the last longer entry in
 * the scan switched the loop to a match list never built (SEGV found by
 * fuzz_node, tests/fuzz/corpus/node/regression-cache-claim-scan-*). */
static void test_claim_scan_after_longer_gone(void **state)
{
	struct in6_addr src = nt_a6("2001:db8:a:1::1");
	struct in6_addr d1 = nt_a6("2001:db8:b:5::9"), d2 = nt_a6("2001:db8:b:6::9");
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };
	struct dmm_msg h = { .status = DMM_ST_OK, .lifetime = 3600 };

	assert_int_equal(dmm_mr_miss(T.node, &d1, &src, T0), 0);
	set_hnp(&r, HNP_B); /* a /64 */
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = r.home = nt_a6(PMR);
	assert_int_equal(answer(0, &r, T0 + 1), 0);
	nt_clear(&T);
	assert_int_equal(dmm_mr_miss(T.node, &d2, &src, T0 + 2), 0);
	r.n_hnp = 0;
	set_hnp(&r, "2001:db8:b::/48");
	assert_int_equal(answer(0, &r, T0 + 3), 0);
	assert_int_equal(cache_count(), 2);
	prefix_is(&cache_seen[0].prefix, HNP_B);
	prefix_is(&cache_seen[1].prefix, "2001:db8:b::/48");
	nt_clear(&T);

	/* an MN attaches here with a /56 covering the /64: both entries go */
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0 + 4), 0);
	assert_int_equal(answer_status(0, DMM_ST_NOT_FOUND, T0 + 5), 0);
	set_hnp(&h, "2001:db8:b::/56");
	h.present |= DMM_P_HOME;
	h.home = nt_a6(SELF);
	assert_int_equal(answer(1, &h, T0 + 6), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(cache_count(), 0);
}

static void test_query_not_found(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:b:77::9"), src = nt_a6("2001:db8:a:1::1");

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0), 0);
	assert_int_equal(answer_status(0, DMM_ST_NOT_FOUND, T0 + 10), 0);
	assert_int_equal(T.n_ops, 3);
	op_is(0, DMM_DP_HOLD_START, "2001:db8:b:77::/64", NULL, NULL, 0);
	op_is(1, DMM_DP_PASS_ADD, "2001:db8:b:77::/64", NULL, NULL, 0);
	op_is(2, DMM_DP_HOLD_FLUSH, "2001:db8:b:77::/64", NULL, NULL, 0);
	assert_int_equal(cache_count(), 1);
	assert_int_equal(cache_seen[0].state, DMM_CACHE_PASS);
	/* outside the domain: not ours, nothing happens */
	struct in6_addr ext = nt_a6("2001:db8:ffff::1");
	nt_clear(&T);
	assert_int_equal(dmm_mr_miss(T.node, &ext, &src, T0 + 20), 0);
	assert_int_equal(T.n_ops + T.n_sent, 0);
}

static void test_query_timeout_drops_hold(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:b:5::9"), src = nt_a6("2001:db8:a:1::1");
	dmm_time_t t = T0, d;

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, t), 0);
	while ((d = dmm_node_next_deadline(T.node)) != DMM_TIME_NEVER)
		dmm_node_timer(T.node, t = d);
	assert_int_equal(T.n_sent, 5); /* first try + 4 retransmissions */
	assert_int_equal(T.n_ops, 2);
	op_is(1, DMM_DP_HOLD_DROP, HNP_B, NULL, NULL, 0);
	assert_int_equal(cache_count(), 0);
}

static void test_redirect_mode_anchor(void **state)
{
	struct dmm_config c;
	struct in6_addr dst = nt_a6("2001:db8:a:1::99");
	struct in6_addr s1 = nt_a6("2001:db8:b:9::5"), s2 = nt_a6("2001:db8:b:a::5");
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 600 };

	nt_stop(&T);
	mr_config(&c);
	c.ro_mode = DMM_RO_REDIRECT;
	c.hold_packets = false;
	c.timers.hold_ms = 100;
	start(&c);
	assert_int_equal(T.n_ops, 0); /* no miss routes for foreign prefixes */
	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 10), 0);
	dmm_node_timer(T.node, T0 + 110);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_LOCAL_DEL, HNP_A, NULL, NULL, LINK);
	op_is(1, DMM_DP_MISS_ADD, HNP_A, NULL, NULL, 0);
	nt_clear(&T);

	assert_int_equal(dmm_mr_miss(T.node, &dst, &s1, T0 + 200), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(a6_eq(&m.target, "2001:db8:a:1::99"));
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(NMR);
	r.home = nt_a6(SELF);
	assert_int_equal(answer(0, &r, T0 + 210), 0);
	assert_int_equal(T.n_ops, 3);
	op_is(1, DMM_DP_TUNNEL_ADD, HNP_A, "2001:db8:b:9::/64", NMR, 0);
	op_is(2, DMM_DP_HOLD_FLUSH, HNP_A, NULL, NULL, 0);
	m = sent(1, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(a6_eq(&m.target, "2001:db8:b:9::5"));
	struct dmm_msg r2 = { .status = DMM_ST_OK, .lifetime = 600 };
	set_hnp(&r2, "2001:db8:b:9::/64");
	r2.present |= DMM_P_LOCATION;
	r2.location = nt_a6(CMR);
	assert_int_equal(answer(1, &r2, T0 + 220), 0);
	m = sent(2, DMM_MSG_REDIRECT, CMR);
	prefix_is(&m.hnp[0], HNP_A);
	assert_true(a6_eq(&m.location, NMR));
	nt_clear(&T);

	/* a second sender: location known, its own tunnel and redirect at once */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &s2, T0 + 300), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_A, "2001:db8:b:a::/64", NMR, 0);
	m = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	assert_true(a6_eq(&m.target, "2001:db8:b:a::5"));
	assert_int_equal(cache_count(), 2);
	assert_int_equal(cache_seen[1].src.len, 64);
}

static void test_redirect_received(void **state)
{
	struct dmm_msg m = { .type = DMM_MSG_REDIRECT, .present = DMM_P_LOCATION,
			     .lifetime = 100 };
	struct in6_addr pmr = nt_a6(PMR);

	set_hnp(&m, HNP_B);
	m.location = nt_a6(NMR);
	assert_int_equal(nt_recv(&T, &pmr, &m, T0), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_B, NULL, NMR, 0);
	assert_int_equal(sent(0, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	assert_int_equal(cache_count(), 1);
	assert_int_equal(cache_seen[0].expires, T0 + 100000);
	assert_true(has_event(DMM_EV_REDIRECT_RECEIVED));
	/* the same again (new seq): harmless, only refreshed */
	m.seq = 0;
	assert_int_equal(nt_recv(&T, &pmr, &m, T0 + 10), 0);
	assert_int_equal(T.n_ops, 1);
	assert_int_equal(cache_count(), 1);
	assert_int_equal(sent(1, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	/* not a domain prefix: refused, nothing installed */
	m.seq = 0;
	m.hnp[0] = nt_p6("2001:db8:ffff:1::/64");
	assert_int_equal(nt_recv(&T, &pmr, &m, T0 + 20), 0);
	assert_int_equal(sent(2, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_PROHIBITED);
	assert_int_equal(T.n_ops, 1);
	/* never overrides an MN attached here */
	initial_attach(T0 + 30);
	m.seq = 0;
	m.hnp[0] = nt_p6(HNP_A);
	assert_int_equal(nt_recv(&T, &pmr, &m, T0 + 40), 0);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(sent(0, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
}

/* A REDIRECT {hnp..., location loc, lifetime 100} from PMR. */
static int redirect_from_pmr(const char *const *hnps, unsigned n, const char *loc, dmm_time_t t)
{
	struct dmm_msg m = { .type = DMM_MSG_REDIRECT, .present = DMM_P_LOCATION,
			     .lifetime = 100 };
	struct in6_addr pmr = nt_a6(PMR);

	for (unsigned i = 0; i < n; i++)
		set_hnp(&m, hnps[i]);
	m.location = nt_a6(loc);
	return nt_recv(&T, &pmr, &m, t);
}

static void test_redirect_all_or_nothing(void **state)
{
	static const char *const bad_last[] = { HNP_B, "2001:db8:ffff:1::/64" };
	static const char *const two[] = { HNP_B, "2001:db8:b:6::/64" };
	static const char *const twice[] = { HNP_B, HNP_B };
	struct in6_addr dst = nt_a6("2001:db8:b:5::9"), src = nt_a6("2001:db8:a:1::1");
	struct dmm_config c;

	/* the second prefix is not the domain's: the first is not applied either */
	assert_int_equal(redirect_from_pmr(bad_last, 2, NMR, T0), 0);
	assert_int_equal(sent(0, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_PROHIBITED);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(cache_count(), 0);
	/* a locator no MR can have */
	assert_int_equal(redirect_from_pmr(two, 2, "ff02::1", T0 + 1), 0);
	assert_int_equal(sent(1, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_PROHIBITED);
	assert_int_equal(redirect_from_pmr(two, 2, "fe80::22", T0 + 2), 0);
	assert_int_equal(sent(2, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_PROHIBITED);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(cache_count(), 0);
	nt_clear(&T);

	/* held packets are flushed only once every prefix has its route */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 10), 0);
	assert_int_equal(redirect_from_pmr(two, 2, NMR, T0 + 20), 0);
	assert_int_equal(sent(1, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	assert_int_equal(T.n_ops, 4);
	op_is(0, DMM_DP_HOLD_START, HNP_B, NULL, NULL, 0);
	op_is(1, DMM_DP_TUNNEL_ADD, HNP_B, NULL, NMR, 0);
	op_is(2, DMM_DP_TUNNEL_ADD, "2001:db8:b:6::/64", NULL, NMR, 0);
	op_is(3, DMM_DP_HOLD_FLUSH, HNP_B, NULL, NULL, 0);
	assert_int_equal(cache_count(), 2);

	/* room for one entry: two new prefixes are refused, both */
	nt_stop(&T);
	mr_config(&c);
	c.limits.max_cache = 1;
	start(&c);
	nt_clear(&T);
	assert_int_equal(redirect_from_pmr(two, 2, NMR, T0), 0);
	assert_int_equal(sent(0, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_NO_RESOURCES);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(cache_count(), 0);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 1);
	/* the same prefix twice needs one */
	assert_int_equal(redirect_from_pmr(twice, 2, NMR, T0 + 1), 0);
	assert_int_equal(sent(1, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_B, NULL, NMR, 0);
	/* an entry being replaced needs none */
	static const char *const one[] = { HNP_B };
	assert_int_equal(redirect_from_pmr(one, 1, CMR, T0 + 2), 0);
	assert_int_equal(sent(2, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	op_is(1, DMM_DP_TUNNEL_ADD, HNP_B, NULL, CMR, 0);
}

/* An LM_NOTIFY for HNP_B (location loc) from `from`. */
static int notify_from(const char *from, const char *loc, dmm_time_t t)
{
	struct dmm_msg nfy = { .type = DMM_MSG_LM_NOTIFY, .flags = DMM_F_ACK_REQ,
			       .present = DMM_P_LOCATION };
	struct in6_addr a = nt_a6(from);

	set_hnp(&nfy, HNP_B);
	nfy.location = nt_a6(loc);
	return nt_recv(&T, &a, &nfy, t);
}

static void test_notify_only_from_lm(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:b:5::9"), src = nt_a6("2001:db8:a:1::1");
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0), 0);
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_LOCATION;
	r.location = nt_a6(NMR);
	assert_int_equal(answer(0, &r, T0 + 10), 0);
	nt_clear(&T);

	/* an MR (authenticated, but no LM) cannot repoint the cache */
	assert_int_equal(notify_from(PMR, CMR, T0 + 20), 0);
	assert_int_equal(T.n_sent, 0); /* no ack either */
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(ctr(DMM_C_DROP_PEER), 1);
	assert_false(has_event(DMM_EV_NOTIFY_RECEIVED));
	assert_int_equal(cache_count(), 1);
	assert_true(a6_eq(&cache_seen[0].locator, NMR));
	/* the LM of another network (authoritative for HNP_B) can */
	assert_int_equal(notify_from(LM_B, CMR, T0 + 30), 0);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_TUNNEL_ADD, HNP_B, NULL, CMR, 0);
	assert_int_equal(sent(0, DMM_MSG_LM_NOTIFY_ACK, LM_B).status, DMM_ST_OK);
	assert_int_equal(ctr(DMM_C_DROP_PEER), 1);
}

/* A CTX_REQ for MN1 sent by CMR that names NMR as the new location. */
static void test_ctx_req_names_another_node(void **state)
{
	initial_attach(T0);
	/* MN1 still attached: a forged transfer must not detach it */
	assert_int_equal(ctx_req(CMR, T0 + 10), 0);
	assert_int_equal(T.n_sent + T.n_ops, 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(ctr(DMM_C_DROP_PEER), 1);
	/* MN1 left: its context keeps holding */
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 20), 0);
	nt_clear(&T);
	assert_int_equal(ctx_req(CMR, T0 + 30), 0);
	assert_int_equal(T.n_sent + T.n_ops, 0);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(ho_seen.state, DMM_HO_HOLDING);
	assert_int_equal(ctr(DMM_C_DROP_PEER), 2);
	/* the nMR itself is heard */
	assert_int_equal(ctx_req(NMR, T0 + 40), 0);
	assert_int_equal(sent(0, DMM_MSG_CTX_ACK, NMR).status, DMM_ST_OK);
	assert_int_equal(ho_count(), 1);
	assert_int_equal(ho_seen.state, DMM_HO_FORWARDING);
}

/* The LM still says MN1 (anchored here) is here, but it left: one query
 * per MR_DEPARTED_MS, not one per packet. */
static void test_anchor_departed_negative_cache(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:a:1::99"), src = nt_a6("2001:db8:b:9::5");
	struct in6_addr src2 = nt_a6("2001:db8:b:a::5");
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };
	struct dmm_config c;
	dmm_time_t t = T0 + 1000;

	nt_stop(&T);
	mr_config(&c);
	c.timers.hold_ms = 500;
	start(&c);
	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	dmm_node_timer(T.node, T0 + 600); /* no context transfer: anchor MISS back */
	nt_clear(&T);

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, t), 0);
	sent(0, DMM_MSG_LOC_QUERY, LM_A);
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(SELF);
	r.home = nt_a6(SELF);
	assert_int_equal(answer(0, &r, t + 10), 0);
	assert_int_equal(T.n_ops, 2);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
	op_is(1, DMM_DP_HOLD_DROP, HNP_A, NULL, NULL, 0);
	/* the burst goes on, from this and another sender: no query, no route */
	for (unsigned i = 1; i <= 20; i++)
		assert_int_equal(dmm_mr_miss(T.node, &dst, i & 1 ? &src : &src2, t + 10 + i * 40),
				 0);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(T.n_ops, 2);
	assert_int_equal(cache_count(), 1); /* the negative entry is shown as such */
	assert_int_equal(cache_seen[0].state, DMM_CACHE_DEPARTED);
	assert_string_equal(dmm_cache_state_name(cache_seen[0].state), "departed");
	/* after MR_DEPARTED_MS the LM is asked again */
	assert_int_equal(dmm_node_next_deadline(T.node), t + 10 + 1000);
	dmm_node_timer(T.node, t + 10 + 1000);
	assert_int_equal(T.n_ops, 2); /* it had no route to remove */
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, t + 1020), 0);
	assert_int_equal(T.n_sent, 2);
	sent(1, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(answer(1, &r, t + 1030), 0);
	nt_clear(&T);
	/* news of the MN from the LM ends it at once */
	struct dmm_msg nfy = { .type = DMM_MSG_LM_NOTIFY, .flags = DMM_F_ACK_REQ,
			       .present = DMM_P_LOCATION };
	struct in6_addr lm = nt_a6(LM_A);
	set_hnp(&nfy, HNP_A);
	nfy.location = nt_a6(NMR);
	assert_int_equal(nt_recv(&T, &lm, &nfy, t + 1040), 0);
	sent(0, DMM_MSG_LM_NOTIFY_ACK, LM_A);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, t + 1050), 0);
	assert_int_equal(T.n_sent, 2);
	sent(1, DMM_MSG_LOC_QUERY, LM_A);
	op_is(0, DMM_DP_HOLD_START, HNP_A, NULL, NULL, 0);
}

/* Query mode, a prefix not anchored here: the same negative entry. */
static void test_query_departed_negative_cache(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:b:5::9"), dst2 = nt_a6("2001:db8:b:5::a");
	struct in6_addr src = nt_a6("2001:db8:a:1::1");
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };

	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0), 0);
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_LOCATION;
	r.location = nt_a6(SELF);
	assert_int_equal(answer(0, &r, T0 + 10), 0);
	op_is(1, DMM_DP_HOLD_DROP, HNP_B, NULL, NULL, 0);
	assert_int_equal(dmm_mr_miss(T.node, &dst2, &src, T0 + 20), 0);
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 900), 0);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(T.n_ops, 2);
	/* a REDIRECT is news too: the entry becomes a tunnel */
	static const char *const one[] = { HNP_B };
	assert_int_equal(redirect_from_pmr(one, 1, NMR, T0 + 950), 0);
	assert_int_equal(sent(1, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_OK);
	op_is(2, DMM_DP_TUNNEL_ADD, HNP_B, NULL, NMR, 0);
	assert_int_equal(cache_count(), 1);
	assert_int_equal(cache_seen[0].state, DMM_CACHE_TUNNEL);
	assert_int_equal(cache_seen[0].expires, T0 + 950 + 100000);
}

/* ---- logs ---- */

static void (*log_next)(void *ctx, enum dmm_log_level lvl, const char *line);

static unsigned n_loud_transitions;

static void log_spy(void *ctx, enum dmm_log_level lvl, const char *line)
{
	if (lvl < DMM_LOG_DEBUG && strstr(line, " -> "))
		n_loud_transitions++;
	log_next(ctx, lvl, line);
}

static void spy_logs(void)
{
	log_next = T.node->io.log;
	T.node->io.log = log_spy;
	n_loud_transitions = 0;
}

static unsigned n_logs_with(const char *needle)
{
	unsigned k = 0;

	for (unsigned i = 0; i < T.n_logs && i < NT_MAX_LOGS; i++)
		k += strstr(T.logs[i], needle) != NULL;
	return k;
}

/* State changes (old -> new (why)) are debug lines: peers drive most. */
static void test_state_logs_are_debug(void **state)
{
	struct in6_addr dst = nt_a6("2001:db8:a:1::99"), src = nt_a6("2001:db8:b:9::5");

	spy_logs();
	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	assert_int_equal(ctx_req(NMR, T0 + 150), 0);
	assert_int_equal(dmm_mr_miss(T.node, &dst, &src, T0 + 160), 0);
	static const char *const one[] = { HNP_B };
	assert_int_equal(redirect_from_pmr(one, 1, NMR, T0 + 170), 0);
	dmm_node_timer(T.node, T0 + 10000);
	assert_true(nt_log_has(&T, "holding -> forwarding (context transfer)"));
	assert_true(nt_log_has(&T, "new -> tunnel (redirect)"));
	assert_true(nt_log_has(&T, "forwarding -> done (handover over)"));
	assert_int_equal(n_loud_transitions, 0);
}

/* A line a peer's message causes is logged at most once a second. */
static void test_peer_logs_rate_limited(void **state)
{
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(ctx_req(NMR, T0 + i * 10), 0);
	assert_int_equal(nt_count(&T, DMM_MSG_CTX_ACK, NULL), 10); /* each answered */
	assert_int_equal(n_logs_with("context transfer for an mn we do not have"), 1);
	assert_int_equal(ctx_req(NMR, T0 + 1000), 0);
	assert_int_equal(n_logs_with("context transfer for an mn we do not have"), 2);
	assert_true(nt_log_has(&T, "(9 similar lines suppressed)"));
}

static void test_new_hoa_on_arrival(void **state)
{
	struct dmm_config c;
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 3600 };

	nt_stop(&T);
	mr_config(&c);
	c.new_hoa_on_arrival = true;
	c.timers.deprecated_keep_s = 100;
	start(&c);
	nt_clear(&T);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	lm_says_moved(0, T0);
	assert_int_equal(T.n_sent, 4);
	sent(1, DMM_MSG_CTX_REQ, PMR);
	sent(2, DMM_MSG_HOA_REQ, HAA_B);
	m = sent(3, DMM_MSG_HOA_REQ, HAA_A);
	assert_false(m.present & DMM_P_HNP);
	assert_int_equal(m.handoff, DMM_HI_NEW_IFACE);

	set_hnp(&r, HNP_A2);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(SELF);
	assert_int_equal(answer(3, &r, T0 + 10), 0);
	assert_int_equal(T.n_ops, 4);
	op_is(2, DMM_DP_LOCAL_ADD, HNP_A2, NULL, NULL, LINK);
	op_is(3, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	assert_int_equal(T.ops[3].n_adv, 2);
	prefix_is(&T.ops[3].adv[0].prefix, HNP_B);
	assert_int_equal(T.ops[3].adv[0].preferred_s, 0);
	assert_int_equal(T.ops[3].adv[0].valid_s, 100);
	prefix_is(&T.ops[3].adv[1].prefix, HNP_A2);
	assert_int_equal(T.ops[3].adv[1].preferred_s, 3600);
	m = sent(4, DMM_MSG_LOC_UPDATE, LM_A);
	prefix_is(&m.hnp[0], HNP_A2);
	assert_int_equal(m.handoff, DMM_HI_NEW_IFACE);

	struct dmm_msg r2 = { .status = DMM_ST_OK, .lifetime = 3600 };
	set_hnp(&r2, HNP_B);
	assert_int_equal(answer(2, &r2, T0 + 20), 0);
	m = sent(5, DMM_MSG_LOC_UPDATE, LM_A);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.handoff, DMM_HI_SAME_IFACE);
	struct dmm_mn_view *v = mn_view();
	assert_int_equal(v->state, DMM_MN_ATTACHED);
	assert_int_equal(v->n_hnp, 2);
	assert_true(v->deprecated[0]);
	assert_false(v->deprecated[1]);
	assert_int_equal(answer_status(1, DMM_ST_OK, T0 + 30), 0); /* CTX_ACK */
	assert_int_equal(answer_status(4, DMM_ST_OK, T0 + 30), 0);
	assert_int_equal(answer_status(5, DMM_ST_OK, T0 + 30), 0);
	nt_clear(&T);

	/* the old prefix is released after deprecated_keep_s */
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 10 + 100000);
	dmm_node_timer(T.node, T0 + 10 + 100000);
	assert_int_equal(T.n_ops, 1);
	op_is(0, DMM_DP_LOCAL_DEL, HNP_B, NULL, NULL, LINK);
	assert_int_equal(T.n_sent, 2);
	m = sent(0, DMM_MSG_LOC_UPDATE, LM_A);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.lifetime, 0);
	m = sent(1, DMM_MSG_HOA_REQ, HAA_B);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.lifetime, 0);
	assert_true(has_event(DMM_EV_HOA_RELEASED));
	assert_int_equal(mn_view()->n_hnp, 1);
}

static void test_lost_query_gives_up(void **state)
{
	struct dmm_msg first, m;
	dmm_time_t t = T0, d;

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	first = sent(0, DMM_MSG_LOC_QUERY, LM_A);
	/* the retransmissions: same request, same sequence number */
	d = dmm_node_next_deadline(T.node);
	assert_int_equal(d, T0 + 250);
	dmm_node_timer(T.node, t = d);
	assert_int_equal(T.n_sent, 2);
	m = sent(1, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(m.seq, first.seq);
	while (T.n_sent < 6 && (d = dmm_node_next_deadline(T.node)) != DMM_TIME_NEVER)
		dmm_node_timer(T.node, t = d);
	/* LM silent: the MN is treated as new, the HAA is asked */
	assert_int_equal(T.n_sent, 6);
	sent(5, DMM_MSG_HOA_REQ, HAA_A);
	assert_int_equal(mn_view()->state, DMM_MN_ALLOCATING);
	while (mn_view()->state != DMM_MN_FAILED &&
	       (d = dmm_node_next_deadline(T.node)) != DMM_TIME_NEVER)
		dmm_node_timer(T.node, t = d);
	assert_int_equal(T.n_sent, 10);
	assert_int_equal(mn_view()->state, DMM_MN_FAILED);
	assert_int_equal(ctr(DMM_C_TIMEOUT), 2);
	assert_int_equal(ctr(DMM_C_RETRANSMIT), 8);
	assert_int_equal(T.n_ops, 0);
	/* it starts over by itself 1 s later (test_mr_harden), or at the next
	 * RS, whichever comes first */
	assert_int_equal(dmm_node_next_deadline(T.node), t + 1000);
	assert_int_equal(dmm_mr_solicit(T.node, LINK, t + 500), 0);
	sent(10, DMM_MSG_LOC_QUERY, LM_A);
	assert_int_equal(mn_view()->state, DMM_MN_RESOLVING);
}

/* Steps the node's timers from *t up to limit until it sends a message
 * of type; its index, or -1. */
static int next_sent(enum dmm_msg_type type, dmm_time_t *t, dmm_time_t limit)
{
	dmm_time_t d;
	struct dmm_msg m;

	while ((d = dmm_node_next_deadline(T.node)) <= limit) {
		unsigned mark = T.n_sent;

		dmm_node_timer(T.node, *t = d);
		for (unsigned i = mark; i < T.n_sent; i++)
			if (nt_open(&T, i, &m) == 0 && m.type == type)
				return (int)i;
	}
	return -1;
}

/* MN1 arrives, each try of the LM query is lost: it is served at once
 * with HNP_A from the local HAA (treated as new). The time the query timed
 * out. */
static dmm_time_t attach_query_lost(void)
{
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 3600 };
	dmm_time_t t = T0;
	int k;

	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	k = next_sent(DMM_MSG_HOA_REQ, &t, T0 + 60 * 1000);
	assert_true(k >= 0);
	assert_int_equal(ctr(DMM_C_TIMEOUT), 1);
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(SELF);
	assert_int_equal(answer((unsigned)k, &r, t), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	/* no binding yet: the LM would answer the next query from it */
	assert_int_equal(last_update((unsigned)k), -1);
	return t;
}

/* The held binding of HNP_A (NEW_IFACE), sent at or after from: acked. */
static void held_binding_sent(unsigned from, dmm_time_t t)
{
	struct dmm_prefix a = nt_p6(HNP_A);
	struct dmm_msg m;
	int k = -1;

	for (unsigned i = from; i < T.n_sent && k < 0; i++)
		if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_UPDATE &&
		    dmm_prefix_eq(&m.hnp[0], &a))
			k = (int)i;
	assert_true(k >= 0);
	m = sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
	assert_int_equal(m.handoff, DMM_HI_NEW_IFACE);
	assert_int_equal(answer_status((unsigned)k, DMM_ST_OK, t), 0);
}

/* The LM query of an arriving MN timed out (every try lost) and it was
 * served as new, with a prefix of ours: the query is sent again 1 s later
 * (2 s, 4 s if lost again), and the prefix the MN had at PMR, which the
 * late answer names, comes here as in a move: context transfer to PMR, its
 * lease retrieved, its binding updated naming the answer's version. The
 * prefix given meanwhile was never bound (the LM would answer from that
 * binding alone) and is released and withdrawn. Before, the MN lost the
 * prefix it had (and its sessions). */
static void test_late_resolve_takes_over(void **state)
{
	dmm_time_t gave_up = attach_query_lost(), t = gave_up;
	struct dmm_msg m, r = { .status = DMM_ST_OK, .lifetime = 3600 };
	unsigned mark;
	int k;

	nt_clear(&T);
	for (dmm_time_t wait = 1000; wait <= 2000; wait *= 2) {
		dmm_time_t from = t;
		k = next_sent(DMM_MSG_LOC_QUERY, &t, t + 60 * 1000);
		assert_true(k >= 0);
		m = sent((unsigned)k, DMM_MSG_LOC_QUERY, LM_A);
		assert_true(m.flags & DMM_F_BY_MNID);
		assert_true(dmm_mnid_eq(&m.mnid, &MN1));
		assert_int_equal(t, from + wait);
		if (wait == 1000) /* lost too: its five tries */
			while (ctr(DMM_C_TIMEOUT) < 2)
				dmm_node_timer(T.node, t = dmm_node_next_deadline(T.node));
	}
	mark = T.n_sent;
	T.n_ops = 0;
	lm_says_moved_ver((unsigned)k, t, 7);
	assert_int_equal(mn_view()->state, DMM_MN_RETRIEVING);
	assert_int_equal(mn_view()->n_hnp, 1);
	/* HNP_A, given meanwhile, released (never bound) and withdrawn */
	op_is(0, DMM_DP_LOCAL_DEL, HNP_A, NULL, NULL, LINK);
	op_is(1, DMM_DP_ADVERTISE, NULL, NULL, NULL, LINK);
	prefix_is(&T.ops[1].adv[0].prefix, HNP_A);
	assert_int_equal(T.ops[1].adv[0].valid_s, 0);
	m = sent(mark, DMM_MSG_HOA_REQ, HAA_A);
	prefix_is(&m.hnp[0], HNP_A);
	assert_int_equal(m.lifetime, 0);
	sent(mark + 1, DMM_MSG_CTX_REQ, PMR);
	m = sent(mark + 2, DMM_MSG_HOA_REQ, HAA_B);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.handoff, DMM_HI_SAME_IFACE);
	set_hnp(&r, HNP_B);
	r.present |= DMM_P_HOME;
	r.home = nt_a6(PMR);
	assert_int_equal(answer(mark + 2, &r, t + 5), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	k = last_update(mark);
	assert_true(k >= 0);
	m = sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A);
	prefix_is(&m.hnp[0], HNP_B);
	assert_int_equal(m.ver[0], 7);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_UPDATE, NULL), 1); /* none of HNP_A */
	assert_int_equal(mn_view()->n_hnp, 1);
	/* answered: not asked again */
	nt_clear(&T);
	assert_int_equal(next_sent(DMM_MSG_LOC_QUERY, &t, t + 120 * 1000), -1);
}

/* The late answer says the MN is unknown (it was new indeed) or names
 * only what it has here: nothing changes, no further query. */
static void test_late_resolve_new_indeed(void **state)
{
	dmm_time_t t = attach_query_lost();
	int k;

	nt_clear(&T);
	k = next_sent(DMM_MSG_LOC_QUERY, &t, t + 60 * 1000);
	assert_true(k >= 0);
	assert_int_equal(answer_status((unsigned)k, DMM_ST_NOT_FOUND, t), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(mn_view()->n_hnp, 1);
	held_binding_sent((unsigned)k + 1, t + 1);
	assert_int_equal(nt_count(&T, DMM_MSG_CTX_REQ, NULL), 0);
	nt_clear(&T);
	assert_int_equal(next_sent(DMM_MSG_LOC_QUERY, &t, t + 120 * 1000), -1);
}

/* The LM never answers the query sent again: 7 queries (after 1, 2, 4, 8,
 * 16, 32, 60 s), each tried 5 times, then given up, and the prefix held
 * back is bound. */
static void test_late_resolve_given_up(void **state)
{
	dmm_time_t t = attach_query_lost();
	unsigned queries = 0;
	uint16_t seq = 0;
	struct dmm_msg m;

	nt_clear(&T);
	while (last_update(0) < 0 && t < T0 + 600 * 1000)
		dmm_node_timer(T.node, t = dmm_node_next_deadline(T.node));
	for (unsigned i = 0; i < T.n_sent; i++)
		if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_QUERY && m.seq != seq) {
			seq = m.seq;
			queries++;
		}
	assert_int_equal(queries, 7);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_QUERY, NULL), 7 * 5);
	held_binding_sent(0, t);
	nt_clear(&T);
	assert_int_equal(next_sent(DMM_MSG_LOC_QUERY, &t, t + 600 * 1000), -1);
}

/* The MN leaves while the query is being sent again: the prefix it got
 * meanwhile is not bound at its departure either (the nMR's lookup by MN
 * id would find that binding alone and miss its prefixes elsewhere). */
static void test_late_resolve_departure(void **state)
{
	attach_query_lost();
	nt_clear(&T);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 30 * 1000), 0);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_UPDATE, NULL), 0);
	assert_int_equal(ctr(DMM_C_LOC_UPDATE_DEPARTURE), 0);
}

/* Back at this MR while its handover context still holds the MN, and the
 * query is lost: the context is kept until the
 * LM answers the query sent again. The answer names this MR: the MN came
 * back, its prefix restored from the context; then the context goes.
 * (Long hold and handover-context: by default it is gone before the
 * query times out.) */
static void test_late_resolve_keeps_context(void **state)
{
	struct dmm_config c;
	struct dmm_msg r = { .status = DMM_ST_OK, .lifetime = 600 };
	dmm_time_t t;
	int k;

	nt_stop(&T);
	mr_config(&c);
	c.timers.handover_ctx_ms = 120 * 1000;
	c.timers.hold_ms = 120 * 1000;
	start(&c);
	initial_attach(T0);
	assert_int_equal(dmm_mr_detach(T.node, LINK, T0 + 100), 0);
	assert_int_equal(ho_count(), 1);
	nt_clear(&T);
	t = T0 + 200;
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, t), 0);
	k = next_sent(DMM_MSG_HOA_REQ, &t, t + 60 * 1000); /* the query timed out */
	assert_true(k >= 0);
	{
		struct dmm_msg a = { .status = DMM_ST_OK, .lifetime = 3600 };
		set_hnp(&a, HNP_A2);
		a.present |= DMM_P_HOME;
		a.home = nt_a6(SELF);
		assert_int_equal(answer((unsigned)k, &a, t), 0);
	}
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(ho_count(), 1); /* kept for the answer */
	k = next_sent(DMM_MSG_LOC_QUERY, &t, t + 60 * 1000);
	assert_true(k >= 0);
	set_hnp(&r, HNP_A);
	r.present |= DMM_P_LOCATION | DMM_P_HOME;
	r.location = nt_a6(SELF);
	r.home = nt_a6(SELF);
	assert_int_equal(answer((unsigned)k, &r, t), 0);
	assert_int_equal(mn_view()->state, DMM_MN_ATTACHED);
	assert_int_equal(mn_view()->n_hnp, 1);
	prefix_is(&mn_view()->hnp[0], HNP_A);
	assert_int_equal(ho_count(), 0);
}

static void test_tables_full(void **state)
{
	struct dmm_config c;
	struct dmm_mnid mn2 = nt_mnid(2);
	struct in6_addr src = nt_a6("2001:db8:a:1::1");
	struct in6_addr d1 = nt_a6("2001:db8:b:1::1"), d2 = nt_a6("2001:db8:b:2::1");

	nt_stop(&T);
	mr_config(&c);
	c.limits.max_mns = 1;
	c.limits.max_cache = 1;
	start(&c);
	nt_clear(&T);
	assert_int_equal(dmm_mr_attach(T.node, LINK, &MN1, T0), 0);
	assert_int_equal(dmm_mr_attach(T.node, LINK + 1, &mn2, T0), DMM_E_FULL);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 1);
	assert_int_equal(T.n_sent, 1);
	assert_int_equal(dmm_mr_miss(T.node, &d1, &src, T0), 0);
	assert_int_equal(dmm_mr_miss(T.node, &d2, &src, T0), DMM_E_FULL);
	assert_int_equal(ctr(DMM_C_TABLE_FULL), 2);
	assert_int_equal(T.n_ops, 1); /* only the first hold */
	/* a REDIRECT that would need an entry: no resources */
	struct dmm_msg m = { .type = DMM_MSG_REDIRECT, .present = DMM_P_LOCATION,
			     .lifetime = 100 };
	struct in6_addr pmr = nt_a6(PMR);
	set_hnp(&m, HNP_B);
	m.location = nt_a6(NMR);
	assert_int_equal(nt_recv(&T, &pmr, &m, T0), 0);
	assert_int_equal(sent(2, DMM_MSG_REDIRECT_ACK, PMR).status, DMM_ST_NO_RESOURCES);
}

static void test_fixed_and_role(void **state)
{
	struct dmm_config c;
	struct dmm_msg m;

	nt_stop(&T);
	mr_config(&c);
	c.n_fixed = 1;
	c.fixed[0] = nt_p6("2001:db8:cafe::/48");
	c.ro_mode = DMM_RO_NONE;
	start(&c);
	assert_int_equal(T.n_ops, 0);
	assert_int_equal(T.n_sent, 1);
	m = sent(0, DMM_MSG_LOC_UPDATE, LM_A);
	assert_true(m.flags & DMM_F_FIXED);
	prefix_is(&m.hnp[0], "2001:db8:cafe::/48");
	assert_true(a6_eq(&m.location, SELF));
	assert_int_equal(m.lifetime, 600);
	assert_int_equal(dmm_node_next_deadline(T.node), T0 + 250); /* its retransmission */
	assert_int_equal(answer_status(0, DMM_ST_OK, T0 + 5), 0);
	refresh_window(dmm_node_next_deadline(T.node), T0, 600);
	nt_stop(&T);

	/* MR calls on a node without the MR role */
	nt_config(&c, "lm", LM_A, DMM_ROLE_LM);
	nt_add_net(&c, "a", "2001:db8:a::/48", LM_A, HAA_A);
	c.local_net = 0;
	assert_int_equal(nt_start(&T, &c, T0), 0);
	struct in6_addr a = nt_a6("2001:db8:a::1");
	assert_int_equal(dmm_mr_attach(T.node, 1, &MN1, T0), DMM_E_ROLE);
	assert_int_equal(dmm_mr_detach(T.node, 1, T0), DMM_E_ROLE);
	assert_int_equal(dmm_mr_miss(T.node, &a, &a, T0), DMM_E_ROLE);
	assert_int_equal(dmm_mr_solicit(T.node, 1, T0), DMM_E_ROLE);
}

/* A fixed prefix whose first registration gets no answer (5 tries lost):
 * the LM has never had it, so correspondents cannot find it. Sent again
 * 1 s after the timeout, then 2 s (up to half as much again), not at the
 * refresh's retry pace (up to 30 s); once acknowledged, a lost refresh is
 * tried again at that pace. */
static void test_fixed_lost_soon(void **state)
{
	struct dmm_config c;
	dmm_time_t t = T0, gave_up = 0;
	uint16_t seq;
	int k;

	nt_stop(&T);
	mr_config(&c);
	c.n_fixed = 1;
	c.fixed[0] = nt_p6("2001:db8:cafe::/48");
	start(&c);
	seq = sent(0, DMM_MSG_LOC_UPDATE, LM_A).seq;
	for (dmm_time_t wait = 1000; wait <= 2000; wait *= 2) {
		k = next_new_update(&t, t + 120 * 1000, &seq, &gave_up);
		assert_true(k >= 0);
		assert_true(sent((unsigned)k, DMM_MSG_LOC_UPDATE, LM_A).flags & DMM_F_FIXED);
		assert_in_range(t, gave_up + wait, gave_up + wait * 3 / 2);
	}
	assert_int_equal(answer_status((unsigned)k, DMM_ST_OK, t + 1), 0);
	k = next_new_update(&t, t + 600 * 1000, &seq, &gave_up); /* the refresh */
	assert_true(k >= 0);
	k = next_new_update(&t, t + 600 * 1000, &seq, &gave_up); /* lost: 15-30 s */
	assert_true(k >= 0);
	assert_in_range(t, gave_up + 15000, gave_up + 30000);
}

static void test_state_names(void **state)
{
	assert_string_equal(dmm_mn_state_name(DMM_MN_RETRIEVING), "retrieving");
	assert_string_equal(dmm_cache_state_name(DMM_CACHE_PASS), "pass");
	assert_string_equal(dmm_ho_state_name(DMM_HO_FORWARDING), "forwarding");
	assert_string_equal(dmm_ho_state_name((enum dmm_ho_state)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T_(test_startup_query_mode),
		T_(test_initial_attach),
		T_(test_initial_attach_no_lm_update),
		T_(test_move_here),
		T_(test_stale_pmr_healed),
		T_(test_stale_version_resent),
		T_(test_lost_move_update_soon),
		T_(test_loc_ack_same_pmr),
		T_(test_move_here_lease_gone),
		T_(test_reattach_same_mr),
		T_(test_handover_pmr),
		T_(test_hold_expires_without_ctx),
		T_(test_ctx_req_before_link_loss),
		T_(test_ctx_req_refused_while_link_up),
		T_(test_ctx_req_unknown_mn),
		T_(test_query_mode_miss),
		T_(test_query_not_found),
		T_(test_claim_scan_after_longer_gone),
		T_(test_query_timeout_drops_hold),
		T_(test_redirect_mode_anchor),
		T_(test_redirect_received),
		T_(test_redirect_all_or_nothing),
		T_(test_notify_only_from_lm),
		T_(test_ctx_req_names_another_node),
		T_(test_anchor_departed_negative_cache),
		T_(test_query_departed_negative_cache),
		T_(test_state_logs_are_debug),
		T_(test_peer_logs_rate_limited),
		T_(test_new_hoa_on_arrival),
		T_(test_lost_query_gives_up),
		T_(test_tables_full),
		T_(test_late_resolve_takes_over),
		T_(test_late_resolve_new_indeed),
		T_(test_late_resolve_given_up),
		T_(test_late_resolve_departure),
		T_(test_late_resolve_keeps_context),
		T_(test_fixed_and_role),
		T_(test_fixed_lost_soon),
		T_(test_state_names),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
