/* Figure 1 paths no other scenario test walks (issue 13, fidelity):
 *   - the handover of figure 5 in redirect mode: the pMR's REDIRECT alone
 *     must move the correspondent's MR to the nMR (no LM notification in
 *     that mode);
 *   - the MN back at its anchor in redirect mode: correspondents end up on
 *     the anchor, whose prefix route delivers again;
 *   - P6 (a fixed server behind MRGW) in redirect mode;
 *   - stateless pools (the HAA derives the prefix from the MN id) across
 *     moves;
 *   - a move after an attach without LM update (lm-update-on-attach no).
 * Packets are followed through the route model of the virtual network. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"
#define MN2_HNP "2001:db8:31::/64"

static struct vnet *build(enum dmm_ro_mode mode, void (*tweak)(struct dmm_config *, void *),
			  bool lm_update)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	o.ro_mode = mode;
	o.tweak = tweak;
	o.lm_update_on_attach = lm_update;
	return fig1_build(&o);
}

static unsigned mn2_to_mn1(struct vnet *vn, const char *mn1_hnp)
{
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(mn1_hnp, 1);

	return vnet_send_packet(vn, "MR31", &src, &dst);
}

/* The prefix MN 1 holds at mr (its first), as text. */
static const char *hnp_at(struct vnet *vn, const char *mr)
{
	struct dmm_mn_view v;
	struct dmm_mnid id = vnet_mnid(1);

	assert_true(vnet_mn(vn, mr, &id, &v));
	assert_true(v.n_hnp >= 1);
	return vnet_prefix_str(&v.hnp[0]);
}

/* Redirect mode: MN1 (anchored at MR12) moved to MR11 and the context at
 * MR12 ran out; MN2 at MR31 talks to it, so MR31 was redirected to MR11. */
static struct vnet *redirected_to_mr11(void)
{
	struct vnet *vn = build(DMM_RO_REDIRECT, NULL, true);
	unsigned p;

	fig1_attach(vn, "MR12", 1);
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	fig1_attach(vn, "MR31", 2);
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR11", NULL));
	return vn;
}

/* Figure 5 in redirect mode. MN1 (anchored at MR12) sits at MR11; MN2 at
 * MR31 talks to it, so MR31 was redirected to MR11. MN1 moves MR11 -> MR2:
 * the pMR MR11 forwards to MR2 and redirects MR31 there; no LM_NOTIFY. */
static void handover_redirect_mode(void **state)
{
	struct vnet *vn = redirected_to_mr11();
	struct dmm_cache_view cv;
	size_t mark;
	unsigned p;

	(void)state;
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");

	mark = vn->n_msgs;
	fig1_move(vn, "MR11", "MR2", 1, 50);
	assert_string_equal(hnp_at(vn, "MR2"), MN1_HNP);
	/* MR31's next packet reaches the pMR, which forwards it and redirects
	 * MR31 (the redirect is driven by the correspondent's traffic) */
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DELIVERED);
	assert_true(vnet_count_msgs(vn, mark, DMM_MSG_REDIRECT, "MR11", "MR31") >= 1);
	/* MR31 learns it from the REDIRECT, not from the LM (the anchor MR12,
	 * subscribed for its own redirects, is notified) */
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LM_NOTIFY, NULL, "MR31"), 0);
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR2");
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	/* the anchor's source-specific redirect follows too */
	assert_true(vnet_cache(vn, "MR12", MN1_HNP, MN2_HNP, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR2");
	vnet_run_for(vn, 5000); /* the pMR's context ends */
	assert_int_equal(vnet_n_handovers(vn, "MR11"), 0);
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* Redirect mode, the MN back at its anchor MR12: MR31 (redirected to MR11)
 * must reach MN1 at MR12 again, not through a tunnel to where it was. */
static void back_at_anchor_redirect_mode(void **state)
{
	struct vnet *vn = redirected_to_mr11();
	struct dmm_cache_view cv;
	size_t mark;
	unsigned p;

	(void)state;
	mark = vn->n_msgs;
	fig1_move(vn, "MR11", "MR12", 1, 50);
	assert_string_equal(hnp_at(vn, "MR12"), MN1_HNP);
	p = mn2_to_mn1(vn, MN1_HNP); /* may still go through MR11, once */
	vnet_run_for(vn, 100);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DELIVERED);
	(void)mark;
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", NULL));
	assert_int_equal(vnet_packet(vn, p)->link, 1);
	/* MR31 goes direct: either no entry (regular routing to the anchor)
	 * or a tunnel to MR12 itself, never one to MR11 */
	if (vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv) && cv.state == DMM_CACHE_TUNNEL)
		assert_string_equal(vnet_name_of(vn, &cv.locator), "MR12");
	vnet_run_for(vn, 5000);
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* P6 in redirect mode: the server behind MRGW sends to MN1 through its
 * anchor MR12 until MR12 redirects MRGW to where MN1 is. */
static void p6_fixed_server_redirect_mode(void **state)
{
	struct vnet *vn = build(DMM_RO_REDIRECT, NULL, true);
	struct in6_addr server = vnet_a6(FIG1_SERVER), mn1 = fig1_addr(MN1_HNP, 1);
	struct dmm_cache_view cv;
	unsigned p;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	p = vnet_send_packet(vn, "MRGW", &server, &mn1);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR12", NULL));
	fig1_move(vn, "MR12", "MR11", 1, 100);
	p = vnet_send_packet(vn, "MRGW", &server, &mn1);
	vnet_run_for(vn, 200);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DELIVERED);
	p = vnet_send_packet(vn, "MRGW", &server, &mn1);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR11", NULL));
	assert_true(vnet_cache(vn, "MRGW", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");
	/* and the MN's packets to the server go straight to the gateway */
	p = vnet_send_packet(vn, "MR11", &mn1, &server);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR11", "MRGW", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

static void stateless_pools(struct dmm_config *c, void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < c->n_pools; i++)
		c->pools[i].mode = DMM_POOL_STATELESS;
}

/* Stateless pools: the prefix is derived from the MN id (not the lowest
 * free one), kept across moves MR12 -> MR11 -> MR2 -> MR12, and the same
 * MN id gets the same prefix again after its lease was released. */
static void stateless_pool_moves(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, stateless_pools, true);
	char p1[64];
	unsigned p;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	snprintf(p1, sizeof(p1), "%s", hnp_at(vn, "MR12"));
	assert_true(vnet_lease(vn, "LMHAA1", p1, NULL));
	fig1_attach(vn, "MR31", 2);
	fig1_move(vn, "MR12", "MR11", 1, 50);
	assert_string_equal(hnp_at(vn, "MR11"), p1);
	fig1_move(vn, "MR11", "MR2", 1, 50);
	assert_string_equal(hnp_at(vn, "MR2"), p1);
	{
		struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(p1, 1);
		p = vnet_send_packet(vn, "MR31", &src, &dst);
	}
	vnet_run_for(vn, 100);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DELIVERED);
	fig1_move(vn, "MR2", "MR12", 1, 50);
	assert_string_equal(hnp_at(vn, "MR12"), p1);
	assert_int_equal(vnet_n_leases(vn, "LMHAA1"), 1);
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* lm-update-on-attach no: the serving MR does not register MN1 with the LM
 * at its first attach. Its first move must still keep its prefix and
 * transfer the context (the draft makes that update optional). */
static void move_without_lm_update(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, NULL, false);
	unsigned p;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	assert_string_equal(hnp_at(vn, "MR12"), MN1_HNP);
	fig1_attach(vn, "MR31", 2);
	/* no binding until MN1 leaves MR12 */
	assert_false(vnet_binding(vn, "LMHAA1", MN1_HNP, NULL));
	size_t mark = vn->n_msgs;
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1" }, /* at the departure */
		{ DMM_MSG_LOC_ACK, "LMHAA1", "MR12" },
		{ DMM_MSG_LOC_QUERY, "MR11", "LMHAA1" },  /* by MN id: found */
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR12" },    /* the LM's relay */
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR11" },
		{ DMM_MSG_CTX_ACK, "MR12", "LMHAA1" },
		{ DMM_MSG_CTX_REQ, "MR11", "MR12" },
		{ DMM_MSG_HOA_REQ, "MR11", "LMHAA1" },    /* retrieval, same prefix */
		{ DMM_MSG_CTX_ACK, "MR12", "MR11" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR11" },
		{ DMM_MSG_LOC_UPDATE, "MR11", "LMHAA1" },
		{ DMM_MSG_LOC_ACK, "LMHAA1", "MR11" },
	};
	fig1_move(vn, "MR12", "MR11", 1, 50);
	assert_true(vnet_expect_msgs(vn, mark, exp, 12, false));
	assert_int_equal(vnet_counter(vn, "MR12", DMM_C_LOC_UPDATE_DEPARTURE), 1);
	assert_string_equal(hnp_at(vn, "MR11"), MN1_HNP);
	assert_int_equal(vnet_n_leases(vn, "LMHAA1"), 1);
	p = mn2_to_mn1(vn, MN1_HNP);
	vnet_run_for(vn, 200);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DELIVERED);
	assert_false(vn->stuck);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handover_redirect_mode),
		cmocka_unit_test(back_at_anchor_redirect_mode),
		cmocka_unit_test(p6_fixed_server_redirect_mode),
		cmocka_unit_test(stateless_pool_moves),
		cmocka_unit_test(move_without_lm_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
