/* Figure 1 with `routing locator` on every MR (draft 4.3, per-host
 * locators), on the virtual network: the locator's message flow.
 *   - attach: the MR gives the MN's /64 a checksum-neutral /64 of its
 *     locator prefix (LOCATOR_ADD), its LOC_UPDATE carries it, the LM keeps
 *     it beside the MR's address;
 *   - P3: the correspondent's MR gets it in the LM's LOC_REPLY and routes the
 *     prefix by translation to it (TUNNEL_ADD with .xlate);
 *   - P5: the nMR's CTX_REQ names its new locator; the LM's relayed CTX_REQ
 *     (which cannot) leaves the pMR holding until it does, then the pMR
 *     flushes by translation to it; its REDIRECT and the LM's LM_NOTIFY
 *     carry it; the correspondent's MR translates to it; the pMR's old
 *     locator goes with its context. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"
#define MN2_HNP "2001:db8:31::/64"

static void locator_tweak(struct dmm_config *c, void *ctx)
{
	static const struct { const char *mr, *loc; } locs[] = {
		{ "MR11", "2001:db8:a110::/44" }, { "MR12", "2001:db8:a120::/44" },
		{ "MR2", "2001:db8:a200::/44" },  { "MRGW", "2001:db8:a290::/44" },
		{ "MR31", "2001:db8:a310::/44" }, { "MR32", "2001:db8:a320::/44" },
	};

	(void)ctx;
	for (size_t i = 0; i < sizeof(locs) / sizeof(locs[0]); i++)
		if (strcmp(c->name, locs[i].mr) == 0) {
			c->routing = DMM_ROUTING_LOCATOR;
			c->locator = vnet_p6(locs[i].loc);
		}
}

static unsigned send_mn2_to_mn1(struct vnet *vn)
{
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(MN1_HNP, 1);

	return vnet_send_packet(vn, "MR31", &src, &dst);
}

/* The per-host locator of MN1's prefix that `mr` put in its LOC_UPDATE
 * (after mark), checked: /64, inside the MR's locator prefix, neutral. */
static struct dmm_prefix phl_of_update(struct vnet *vn, size_t mark, const char *mr,
				       const char *lm, const char *locpfx)
{
	const struct vnet_msg_rec *r = vnet_find_msg(vn, mark, DMM_MSG_LOC_UPDATE, mr, lm);
	struct dmm_prefix hnp = vnet_p6(MN1_HNP), lp = vnet_p6(locpfx), phl;

	assert_non_null(r);
	assert_true(r->msg.present & DMM_P_PHL);
	phl = dmm_msg_phl_of(&r->msg, &hnp);
	assert_int_equal(phl.len, 64);
	assert_true(dmm_prefix_contains(&lp, &phl.addr));
	assert_true(dmm_prefix_csum_neutral(&phl, &hnp));
	return phl;
}

static const struct vnet_op_rec *find_op_xlate(struct vnet *vn, size_t mark, const char *node,
					       enum dmm_dp_kind k, const struct dmm_prefix *x)
{
	int idx = vnet_find(vn, node);

	for (size_t i = mark; i < vn->n_ops; i++) {
		const struct vnet_op_rec *o = &vn->ops[i];
		if (o->node == idx && o->op.kind == k && dmm_prefix_eq(&o->op.xlate, x))
			return o;
	}
	return NULL;
}

static void locator_flow(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_prefix hnp = vnet_p6(MN1_HNP), phl12, phl11, phl2;
	struct dmm_binding_view bv;
	struct dmm_cache_view cv;
	struct dmm_mn_view mv;
	struct dmm_ho_view hv;
	const struct vnet_op_rec *op;
	const struct vnet_msg_rec *r;
	size_t mark, omark;
	unsigned held[3], p;

	(void)state;
	fig1_defaults(&o);
	o.tweak = locator_tweak;
	vn = fig1_build(&o);

	/* attach at MR12: a locator of MR12's prefix, installed and told */
	mark = vn->n_msgs;
	omark = vn->n_ops;
	fig1_attach(vn, "MR12", 1);
	phl12 = phl_of_update(vn, mark, "MR12", "LMHAA1", "2001:db8:a120::/44");
	op = vnet_find_op(vn, omark, "MR12", DMM_DP_LOCATOR_ADD, NULL);
	assert_non_null(op);
	assert_true(dmm_prefix_eq(&op->op.prefix, &phl12));
	assert_true(dmm_prefix_eq(&op->op.xlate, &hnp));
	assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
	assert_true(dmm_prefix_eq(&mv.phl[0], &phl12));
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_true(dmm_prefix_eq(&bv.phl, &phl12));

	/* MR12 -> MR11: MR11's locator replaces it at the LM */
	mark = vn->n_msgs;
	omark = vn->n_ops;
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	phl11 = phl_of_update(vn, mark, "MR11", "LMHAA1", "2001:db8:a110::/44");
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_true(dmm_prefix_eq(&bv.phl, &phl11));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	/* MR12's locator of it went with its handover context */
	op = vnet_find_op(vn, omark, "MR12", DMM_DP_LOCATOR_DEL, NULL);
	assert_non_null(op);
	assert_true(dmm_prefix_eq(&op->op.prefix, &phl12));

	/* P3: MR31 asks the LM and translates to MR11's locator */
	fig1_attach(vn, "MR31", 2);
	mark = vn->n_msgs;
	omark = vn->n_ops;
	p = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LMHAA1", "MR31");
	if (r == NULL) /* answered through MR31's own LM */
		r = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LM3", "MR31");
	assert_non_null(r);
	assert_true(dmm_prefix_eq(&(struct dmm_prefix){ dmm_msg_phl_of(&r->msg, &hnp).addr, 64 },
				  &phl11));
	op = find_op_xlate(vn, omark, "MR31", DMM_DP_TUNNEL_ADD, &phl11);
	assert_non_null(op);
	assert_true(dmm_prefix_eq(&op->op.prefix, &hnp));
	assert_string_equal(vnet_name_of(vn, &op->op.locator), "MR11");
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_true(dmm_prefix_eq(&cv.phl, &phl11));

	/* P5: MR11 -> MR2 with MN2 sending */
	mark = vn->n_msgs;
	omark = vn->n_ops;
	assert_int_equal(vnet_detach(vn, "MR11", 1), 0);
	for (unsigned i = 0; i < 3; i++) {
		held[i] = send_mn2_to_mn1(vn);
		assert_int_equal(vnet_packet(vn, held[i])->state, VNET_PKT_HELD);
		vnet_run_for(vn, 10);
	}
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 500);
	phl2 = phl_of_update(vn, mark, "MR2", "LMHAA2", "2001:db8:a200::/44");
	/* the LM's relayed request has no locator; the nMR's own has */
	r = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "LMHAA1", "MR11");
	assert_non_null(r);
	assert_false(r->msg.present & DMM_P_PHL);
	r = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR2", "MR11");
	assert_non_null(r);
	assert_true(dmm_prefix_eq(&(struct dmm_prefix){ dmm_msg_phl_of(&r->msg, &hnp).addr, 64 },
				  &phl2));
	/* MR11 held until then, then flushed: by translation, never a tunnel */
	op = vnet_find_op(vn, omark, "MR11", DMM_DP_HOLD_FLUSH, MN1_HNP);
	assert_non_null(op);
	assert_true(op->t >= r->t);
	for (size_t i = omark; i < vn->n_ops; i++)
		if (vn->ops[i].node == vnet_find(vn, "MR11") &&
		    vn->ops[i].op.kind == DMM_DP_TUNNEL_ADD)
			assert_true(dmm_prefix_eq(&vn->ops[i].op.xlate, &phl2));
	assert_non_null(find_op_xlate(vn, omark, "MR11", DMM_DP_TUNNEL_ADD, &phl2));
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));
	/* the correspondent's MR hears of the new locator */
	r = vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, "MR11", "MR31");
	assert_non_null(r);
	assert_true(dmm_prefix_eq(&(struct dmm_prefix){ dmm_msg_phl_of(&r->msg, &hnp).addr, 64 },
				  &phl2));
	r = vnet_find_msg(vn, mark, DMM_MSG_LM_NOTIFY, "LMHAA1", "MR31");
	assert_non_null(r);
	assert_true(dmm_prefix_eq(&(struct dmm_prefix){ dmm_msg_phl_of(&r->msg, &hnp).addr, 64 },
				  &phl2));
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR2");
	assert_true(dmm_prefix_eq(&cv.phl, &phl2));
	assert_non_null(find_op_xlate(vn, omark, "MR31", DMM_DP_TUNNEL_ADD, &phl2));
	p = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));

	/* the pMR keeps its old locator while its context lives, then not */
	assert_true(vnet_handover(vn, "MR11", &mn1, &hv));
	assert_null(vnet_find_op(vn, omark, "MR11", DMM_DP_LOCATOR_DEL, NULL));
	omark = vn->n_ops;
	vnet_run_for(vn, 3500);
	assert_int_equal(vnet_n_handovers(vn, "MR11"), 0);
	op = vnet_find_op(vn, omark, "MR11", DMM_DP_LOCATOR_DEL, NULL);
	assert_non_null(op);
	assert_true(dmm_prefix_eq(&op->op.prefix, &phl11));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* Redirect mode (figure 4) with locators: the anchor translates the first
 * packets to the serving MR's locator and redirects the sender's MR with it. */
static void redirect_mode(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_prefix hnp = vnet_p6(MN1_HNP), phl11;
	struct dmm_cache_view cv;
	const struct vnet_msg_rec *r;
	const struct vnet_op_rec *op;
	size_t mark, omark;
	unsigned p;

	(void)state;
	fig1_defaults(&o);
	o.ro_mode = DMM_RO_REDIRECT;
	o.tweak = locator_tweak;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR12", 1);
	mark = vn->n_msgs;
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	phl11 = phl_of_update(vn, mark, "MR11", "LMHAA1", "2001:db8:a110::/44");
	fig1_attach(vn, "MR31", 2);
	mark = vn->n_msgs;
	omark = vn->n_ops;
	p = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR11", NULL));
	/* the anchor translates this sender's packets to MR11's locator */
	op = find_op_xlate(vn, omark, "MR12", DMM_DP_TUNNEL_ADD, &phl11);
	assert_non_null(op);
	assert_true(dmm_prefix_eq(&op->op.prefix, &hnp));
	assert_int_equal(op->op.src.len, 64);
	/* and redirects the sender's MR with it */
	r = vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, "MR12", "MR31");
	assert_non_null(r);
	assert_string_equal(vnet_name_of(vn, &r->msg.location), "MR11");
	assert_true(dmm_prefix_eq(&(struct dmm_prefix){ dmm_msg_phl_of(&r->msg, &hnp).addr, 64 },
				  &phl11));
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_true(dmm_prefix_eq(&cv.phl, &phl11));
	assert_non_null(find_op_xlate(vn, omark, "MR31", DMM_DP_TUNNEL_ADD, &phl11));
	p = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A mixed domain: MR31 stays in tunnel mode. It gets MN1's locator from
 * the LM but tunnels to MR11 (which, in locator mode, still decapsulates);
 * MN2's own prefix gets no locator, so MR11 tunnels back. */
static void tweak_but_mr31(struct dmm_config *c, void *ctx)
{
	if (strcmp(c->name, "MR31") != 0)
		locator_tweak(c, ctx);
}

static void mixed_domain(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_prefix hnp = vnet_p6(MN1_HNP);
	const struct vnet_msg_rec *r;
	const struct vnet_op_rec *op;
	struct dmm_cache_view cv;
	size_t mark, omark;
	unsigned p;

	(void)state;
	fig1_defaults(&o);
	o.tweak = tweak_but_mr31;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR12", 1);
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	mark = vn->n_msgs;
	fig1_attach(vn, "MR31", 2);
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_UPDATE, "MR31", "LM3");
	assert_non_null(r);
	assert_false(r->msg.present & DMM_P_PHL);
	mark = vn->n_msgs;
	omark = vn->n_ops;
	p = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LM3", "MR31");
	assert_non_null(r);
	assert_int_equal(dmm_msg_phl_of(&r->msg, &hnp).len, 64); /* told, not used */
	op = vnet_find_op(vn, omark, "MR31", DMM_DP_TUNNEL_ADD, MN1_HNP);
	assert_non_null(op);
	assert_int_equal(op->op.xlate.len, 0);
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR11");
	vnet_free(vn);
}

/* Tunnel mode (the default) puts no locator anywhere. */
static void tunnel_default(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;

	(void)state;
	fig1_defaults(&o);
	vn = fig1_build(&o);
	fig1_attach(vn, "MR12", 1);
	fig1_attach(vn, "MR31", 2);
	send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	for (size_t i = 0; i < vn->n_msgs; i++)
		assert_false(vn->msgs[i].msg.present & DMM_P_PHL);
	for (size_t i = 0; i < vn->n_ops; i++) {
		assert_int_equal(vn->ops[i].op.xlate.len, 0);
		assert_true(vn->ops[i].op.kind != DMM_DP_LOCATOR_ADD);
	}
	vnet_free(vn);
}

/* Locators are checksum-neutral and distinct per prefix at one MR, even
 * for prefixes whose sums are equal (the index bits tell them apart). */
static void neutral_and_distinct(void **state)
{
	struct dmm_prefix a = vnet_p6("2001:db8:12::/64"), b = vnet_p6("2001:db8:11:1::/64");
	struct dmm_prefix la = vnet_p6("2001:db8:a11a:70e6::/64");

	(void)state;
	/* same one's-complement sum, different prefixes */
	assert_true(dmm_prefix_csum_neutral(&a, &b));
	assert_false(dmm_prefix_eq(&a, &b));
	assert_true(dmm_prefix_csum_neutral(&la, &(struct dmm_prefix){
		vnet_a6("2001:db8:1:1200::"), 64 }));
	assert_false(dmm_prefix_csum_neutral(&la, &a));
	/* 0x0000 and 0xffff are the same one's-complement number */
	assert_true(dmm_prefix_csum_neutral(&(struct dmm_prefix){ vnet_a6("ffff::"), 64 },
					    &(struct dmm_prefix){ vnet_a6("::"), 64 }));
	assert_false(dmm_prefix_csum_neutral(&(struct dmm_prefix){ vnet_a6("::"), 48 },
					     &(struct dmm_prefix){ vnet_a6("::"), 64 }));
}

/* Two MNs whose prefixes have equal sums at one MR get distinct locators. */
static void two_mns_equal_sums(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_mn_view v1, v3;
	struct dmm_mnid mn1 = vnet_mnid(1), mn3 = vnet_mnid(3);

	(void)state;
	fig1_defaults(&o);
	o.tweak = locator_tweak;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR12", 1);
	fig1_attach(vn, "MR12", 3);
	assert_true(vnet_mn(vn, "MR12", &mn1, &v1));
	assert_true(vnet_mn(vn, "MR12", &mn3, &v3));
	assert_int_equal(v1.phl[0].len, 64);
	assert_int_equal(v3.phl[0].len, 64);
	assert_false(dmm_prefix_eq(&v1.phl[0], &v3.phl[0]));
	assert_true(dmm_prefix_csum_neutral(&v1.phl[0], &v1.hnp[0]));
	assert_true(dmm_prefix_csum_neutral(&v3.phl[0], &v3.hnp[0]));
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(locator_flow),
		cmocka_unit_test(redirect_mode),
		cmocka_unit_test(mixed_domain),
		cmocka_unit_test(tunnel_default),
		cmocka_unit_test(neutral_and_distinct),
		cmocka_unit_test(two_mns_equal_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
