/* Figure 1 scenarios on the virtual network: route optimization by query
 * (P3) and by redirect (P4), fixed correspondents behind a gateway MR (P6),
 * and the cache life cycle. Packets are followed through the route model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"
#define MN2_HNP "2001:db8:31::/64"
#define MN2_SRC "2001:db8:31::/64"

static struct vnet *build(enum dmm_ro_mode mode)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	o.ro_mode = mode;
	return fig1_build(&o);
}

/* MN1 gets its prefix at MR12 and moves to MR11 (the context at MR12 runs
 * out); MN2 attaches at MR31. */
static struct vnet *setup(enum dmm_ro_mode mode)
{
	struct vnet *vn = build(mode);

	fig1_attach(vn, "MR12", 1);
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	fig1_attach(vn, "MR31", 2);
	assert_true(vnet_mn(vn, "MR11", &(struct dmm_mnid){ 0 }, NULL) == false);
	assert_int_equal(vnet_n_mns(vn, "MR11"), 1);
	assert_int_equal(vnet_n_handovers(vn, "MR12"), 0);
	return vn;
}

static unsigned send_mn2_to_mn1(struct vnet *vn)
{
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(MN1_HNP, 1);

	return vnet_send_packet(vn, "MR31", &src, &dst);
}

static void p3_query_mode(void **state)
{
	struct vnet *vn = setup(DMM_RO_QUERY);
	size_t mark = vn->n_msgs, omark = vn->n_ops;
	struct dmm_cache_view cv;
	struct dmm_binding_view bv;
	const struct vnet_msg_rec *r;
	unsigned p1, p2;
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_QUERY, "MR31", "LM3" },
		{ DMM_MSG_LM_FWD, "LM3", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LM3" },
		{ DMM_MSG_LOC_REPLY, "LM3", "MR31" },
	};
	static const struct vnet_op_exp ops[] = {
		{ "MR31", DMM_DP_HOLD_START, MN1_HNP, NULL, NULL },
		{ "MR31", DMM_DP_TUNNEL_ADD, MN1_HNP, "", "MR11" },
		{ "MR31", DMM_DP_HOLD_FLUSH, MN1_HNP, NULL, NULL },
	};

	(void)state;
	p1 = send_mn2_to_mn1(vn);
	assert_int_equal(vnet_packet(vn, p1)->state, VNET_PKT_HELD);
	vnet_run_for(vn, 100);
	assert_true(vnet_expect_msgs(vn, mark, exp, 4, false));
	assert_true(vnet_expect_ops(vn, omark, NULL, ops, 3, false));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_QUERY, "MR31", "LM3");
	assert_true(r->msg.flags & DMM_F_SUBSCRIBE);
	assert_false(r->msg.flags & DMM_F_BY_MNID);
	assert_true(vnet_pkt_path_is(vn, p1, "MR31", "MR11", NULL));
	assert_int_equal(vnet_packet(vn, p1)->link, 1);
	p2 = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p2, "MR31", "MR11", NULL));
	assert_int_equal(vn->n_msgs, mark + 4); /* no signalling for the next packets */
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_int_equal(cv.state, DMM_CACHE_TUNNEL);
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_int_equal(bv.n_subscribers, 1);
	assert_int_equal(vnet_counter(vn, "MR31", DMM_C_MISS), 1);
	vnet_free(vn);
}

static void p4_redirect_mode(void **state)
{
	struct vnet *vn = setup(DMM_RO_REDIRECT);
	size_t mark = vn->n_msgs, omark = vn->n_ops;
	size_t emark = vn->n_evs;
	struct dmm_cache_view cv;
	const struct vnet_msg_rec *r;
	unsigned p1, p2;
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_QUERY, "MR12", "LMHAA1" },
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR12" },
		{ DMM_MSG_LOC_QUERY, "MR12", "LMHAA1" },
		{ DMM_MSG_LM_FWD, "LMHAA1", "LM3" },
		{ DMM_MSG_LM_FWD_REPLY, "LM3", "LMHAA1" },
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR12" },
		{ DMM_MSG_REDIRECT, "MR12", "MR31" },
		{ DMM_MSG_REDIRECT_ACK, "MR31", "MR12" },
	};
	static const struct vnet_op_exp ops[] = {
		{ "MR12", DMM_DP_HOLD_START, MN1_HNP, NULL, NULL },
		{ "MR12", DMM_DP_TUNNEL_ADD, MN1_HNP, MN2_SRC, "MR11" },
		{ "MR12", DMM_DP_HOLD_FLUSH, MN1_HNP, NULL, NULL },
		{ "MR31", DMM_DP_TUNNEL_ADD, MN1_HNP, "", "MR11" },
	};

	(void)state;
	/* redirect mode: the anchor keeps a miss route for its prefix */
	assert_true(vnet_find_op(vn, 0, "MR12", DMM_DP_MISS_ADD, MN1_HNP) != NULL);
	p1 = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	assert_true(vnet_expect_msgs(vn, mark, exp, 8, false));
	assert_true(vnet_expect_ops(vn, omark, NULL, ops, 4, false));
	r = &vn->msgs[mark];
	assert_true(dmm_prefix_contains(&(struct dmm_prefix){ vnet_p6(MN1_HNP).addr, 64 },
					&r->msg.target));
	r = &vn->msgs[mark + 2];
	assert_true(dmm_prefix_contains(&(struct dmm_prefix){ vnet_p6(MN2_HNP).addr, 64 },
					&r->msg.target));
	r = vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, "MR12", "MR31");
	assert_string_equal(vnet_prefix_str(&r->msg.hnp[0]), MN1_HNP);
	assert_string_equal(vnet_name_of(vn, &r->msg.location), "MR11");
	assert_true(vnet_pkt_path_is(vn, p1, "MR31", "MR12", "MR11", NULL));
	p2 = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p2, "MR31", "MR11", NULL));
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");
	assert_true(vnet_cache(vn, "MR12", MN1_HNP, MN2_SRC, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");
	assert_int_equal(vnet_counter(vn, "MR12", DMM_C_REDIRECT), 1);
	assert_int_equal(vnet_count_events(vn, emark, "MR31", DMM_EV_REDIRECT_RECEIVED), 1);
	vnet_free(vn);
}

/* P6: MN1 talks to the server behind MRGW; the server's replies follow MN1
 * when it moves. */
static void p6_fixed_server(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY);
	struct in6_addr server = vnet_a6(FIG1_SERVER), mn1 = fig1_addr(MN1_HNP, 1);
	struct dmm_binding_view bv;
	unsigned p;

	(void)state;
	/* the gateway registered its servers' prefix at start */
	assert_true(vnet_binding(vn, "LMHAA2", FIG1_SERVER_PREFIX, &bv));
	assert_true(bv.fixed);
	assert_string_equal(vnet_name_of(vn, &bv.location), "MRGW");
	fig1_attach(vn, "MR12", 1);

	p = vnet_send_packet(vn, "MR12", &mn1, &server);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR12", "MRGW", NULL));
	assert_int_equal(vnet_packet(vn, p)->link, VNET_LINK_SERVER);
	p = vnet_send_packet(vn, "MRGW", &server, &mn1);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR12", NULL));

	fig1_move(vn, "MR12", "MR11", 1, 100);
	p = vnet_send_packet(vn, "MRGW", &server, &mn1);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR11", NULL));
	p = vnet_send_packet(vn, "MR11", &mn1, &server);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR11", "MRGW", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A cache entry lives cache_lifetime_s (60 s); then the route goes and the
 * next packet misses and queries again. */
static void cache_expiry(void **state)
{
	struct vnet *vn = setup(DMM_RO_QUERY);
	size_t mark, omark;
	unsigned p;

	(void)state;
	p = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	vnet_run_for(vn, 59 * 1000);
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, NULL));
	omark = vn->n_ops;
	vnet_run_for(vn, 2000);
	assert_false(vnet_cache(vn, "MR31", MN1_HNP, NULL, NULL));
	assert_non_null(vnet_find_op(vn, omark, "MR31", DMM_DP_TUNNEL_DEL, MN1_HNP));
	assert_int_equal(vnet_counter(vn, "MR31", DMM_C_CACHE_EXPIRED), 1);
	mark = vn->n_msgs;
	p = send_mn2_to_mn1(vn);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_HELD);
	vnet_run_for(vn, 100);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR31", "LM3"), 1);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	assert_int_equal(vnet_counter(vn, "MR31", DMM_C_MISS), 2);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p3_query_mode),
		cmocka_unit_test(p4_redirect_mode),
		cmocka_unit_test(p6_fixed_server),
		cmocka_unit_test(cache_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
