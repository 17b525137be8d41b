/* Figure 1 scenarios on the virtual network: initial attach (P1), moves
 * inside and across local networks (P2), LM forwarding (P7). Each asserts
 * the exact message sequence, the data-plane ops and the role tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"

static struct vnet *build(enum dmm_ro_mode mode, bool lm_update, bool new_hoa)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	o.ro_mode = mode;
	o.lm_update_on_attach = lm_update;
	o.new_hoa_on_arrival = new_hoa;
	return fig1_build(&o);
}

/* What a BY_MNID query costs when LM `lm` does not know the MN: a fan-out
 * to the two other LMs (in domain-map order), then the reply. */
#define FANOUT(mr, lm, o1, o2)                                      \
	{ DMM_MSG_LOC_QUERY, mr, lm }, { DMM_MSG_LM_FWD, lm, o1 },  \
	{ DMM_MSG_LM_FWD, lm, o2 }, { DMM_MSG_LM_FWD_REPLY, o1, lm }, \
	{ DMM_MSG_LM_FWD_REPLY, o2, lm }, { DMM_MSG_LOC_REPLY, lm, mr }

static void p1_initial_attach(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, true, false);
	struct dmm_mnid mn1 = vnet_mnid(1);
	size_t mark = vn->n_msgs, omark = vn->n_ops;
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	struct dmm_lease_view lv;
	const struct vnet_msg_rec *r;
	static const struct vnet_exp exp[] = {
		FANOUT("MR12", "LMHAA1", "LMHAA2", "LM3"),
		{ DMM_MSG_HOA_REQ, "MR12", "LMHAA1" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR12" },
		{ DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1" },
		{ DMM_MSG_LOC_ACK, "LMHAA1", "MR12" },
	};
	static const struct vnet_op_exp ops[] = {
		{ "MR12", DMM_DP_LOCAL_ADD, MN1_HNP, "", NULL },
		{ "MR12", DMM_DP_ADVERTISE, NULL, NULL, NULL },
	};

	(void)state;
	assert_int_equal(fig1_attach(vn, "MR12", 1), 0);
	assert_true(vnet_expect_msgs(vn, mark, exp, sizeof(exp) / sizeof(exp[0]), false));
	assert_true(vnet_expect_ops(vn, omark, "MR12", ops, 2, true));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_QUERY, "MR12", "LMHAA1");
	assert_true(r->msg.flags & DMM_F_BY_MNID);
	assert_true(dmm_mnid_eq(&r->msg.mnid, &mn1));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LMHAA1", "MR12");
	assert_int_equal(r->msg.status, DMM_ST_NOT_FOUND);
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR12", "LMHAA1");
	assert_int_equal(r->msg.handoff, DMM_HI_NEW_IFACE);
	assert_false(r->msg.present & DMM_P_HNP);
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1");
	assert_int_equal(r->msg.handoff, DMM_HI_NEW_IFACE);
	assert_string_equal(vnet_name_of(vn, &r->msg.location), "MR12");

	/* the RA: the prefix, valid = preferred = lease */
	const struct vnet_op_rec *adv = vnet_find_op(vn, omark, "MR12", DMM_DP_ADVERTISE, NULL);
	assert_non_null(adv);
	assert_int_equal(adv->op.link, 1);
	assert_int_equal(adv->op.n_adv, 1);
	assert_string_equal(vnet_prefix_str(&adv->op.adv[0].prefix), MN1_HNP);
	assert_int_equal(adv->op.adv[0].valid_s, 3600);
	assert_int_equal(adv->op.adv[0].preferred_s, 3600);

	/* tables */
	assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(mv.link, 1);
	assert_int_equal(mv.n_hnp, 1);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), MN1_HNP);
	assert_string_equal(vnet_name_of(vn, &mv.home[0]), "MR12");
	assert_false(mv.deprecated[0]);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_true(dmm_mnid_eq(&bv.mnid, &mn1));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR12");
	assert_string_equal(vnet_name_of(vn, &bv.home), "MR12");
	assert_true(vnet_lease(vn, "LMHAA1", MN1_HNP, &lv));
	assert_true(dmm_mnid_eq(&lv.mnid, &mn1));
	assert_string_equal(vnet_name_of(vn, &lv.mr), "MR12");
	assert_int_equal(vnet_n_leases(vn, "LMHAA1"), 1);
	assert_int_equal(vnet_n_bindings(vn, "LMHAA2"), 1); /* MRGW's fixed prefix only */
	assert_int_equal(vnet_count_events(vn, 0, "MR12", DMM_EV_HOA_ASSIGNED), 1);

	/* from network 3: the MN is at home, so regular routing to its anchor */
	struct in6_addr src = fig1_addr("2001:db8:31::/64", 99), dst = fig1_addr(MN1_HNP, 1);
	unsigned p = vnet_send_packet(vn, "MR31", &src, &dst);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", NULL));
	assert_int_equal(vnet_packet(vn, p)->link, 1);

	assert_false(vn->stuck);
	vnet_free(vn);
}

static void p1_attach_without_lm_update(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, false, false);
	struct dmm_mnid mn1 = vnet_mnid(1);
	size_t mark = vn->n_msgs;
	struct dmm_mn_view mv;
	static const struct vnet_exp exp[] = {
		FANOUT("MR12", "LMHAA1", "LMHAA2", "LM3"),
		{ DMM_MSG_HOA_REQ, "MR12", "LMHAA1" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR12" },
	};

	(void)state;
	assert_int_equal(fig1_attach(vn, "MR12", 1), 0);
	assert_true(vnet_expect_msgs(vn, mark, exp, sizeof(exp) / sizeof(exp[0]), false));
	assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(vnet_n_bindings(vn, "LMHAA1"), 0);
	assert_true(vnet_lease(vn, "LMHAA1", MN1_HNP, NULL));
	assert_non_null(vnet_find_op(vn, 0, "MR12", DMM_DP_LOCAL_ADD, MN1_HNP));
	vnet_free(vn);
}

/* MR12 -> MR11 (same network), then MR11 -> MR2 (network 2). */
static void p2_moves(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, true, false);
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	struct dmm_ho_view hv;
	const struct vnet_msg_rec *r;
	size_t mark, omark;
	/* LM1 holds the binding: it relays a context request to the pMR
	 * (MR12) on MR11's behalf before it answers; MR11's own follows and
	 * is answered OK with nothing redone. */
	static const struct vnet_exp same_net[] = {
		{ DMM_MSG_LOC_QUERY, "MR11", "LMHAA1" },
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR12" },
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR11" },
		{ DMM_MSG_CTX_ACK, "MR12", "LMHAA1" },
		{ DMM_MSG_CTX_REQ, "MR11", "MR12" },
		{ DMM_MSG_HOA_REQ, "MR11", "LMHAA1" },
		{ DMM_MSG_CTX_ACK, "MR12", "MR11" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR11" },
		{ DMM_MSG_LOC_UPDATE, "MR11", "LMHAA1" },
		{ DMM_MSG_LOC_ACK, "LMHAA1", "MR11" },
	};
	static const struct vnet_exp other_net[] = {
		{ DMM_MSG_LOC_QUERY, "MR2", "LMHAA2" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LM3" },
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR11" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_LM_FWD_REPLY, "LM3", "LMHAA2" },
		{ DMM_MSG_CTX_ACK, "MR11", "LMHAA1" },
		{ DMM_MSG_LOC_REPLY, "LMHAA2", "MR2" },
		{ DMM_MSG_CTX_REQ, "MR2", "MR11" },
		{ DMM_MSG_HOA_REQ, "MR2", "LMHAA1" },
		{ DMM_MSG_CTX_ACK, "MR11", "MR2" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR2" },
		{ DMM_MSG_LOC_UPDATE, "MR2", "LMHAA2" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_LOC_ACK, "LMHAA2", "MR2" },
	};
	static const struct vnet_op_exp mr12_detach[] = {
		{ "MR12", DMM_DP_HOLD_START, MN1_HNP, NULL, NULL },
		{ "MR12", DMM_DP_LOCAL_DEL, MN1_HNP, NULL, NULL },
		{ "MR12", DMM_DP_MISS_ADD, MN1_HNP, "", NULL },
		{ "MR12", DMM_DP_HOLD_FLUSH, MN1_HNP, NULL, NULL },
	};
	static const struct vnet_op_exp mr11_arrive[] = {
		{ "MR11", DMM_DP_LOCAL_ADD, MN1_HNP, "", NULL },
	};

	(void)state;
	fig1_attach(vn, "MR12", 1);

	/* same network */
	mark = vn->n_msgs;
	omark = vn->n_ops;
	fig1_move(vn, "MR12", "MR11", 1, 100);
	assert_true(vnet_expect_msgs(vn, mark, same_net, 10, false));
	assert_true(vnet_expect_ops(vn, omark, "MR12", mr12_detach, 4, false));
	assert_true(vnet_expect_ops(vn, omark, "MR11", mr11_arrive, 1, false));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LMHAA1", "MR11");
	assert_int_equal(r->msg.status, DMM_ST_OK);
	assert_string_equal(vnet_name_of(vn, &r->msg.location), "MR12");
	r = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR11", "MR12");
	assert_string_equal(vnet_name_of(vn, &r->msg.location), "MR11");
	assert_int_equal(r->msg.n_hnp, 1);
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR11", "LMHAA1");
	assert_int_equal(r->msg.handoff, DMM_HI_SAME_IFACE);
	assert_string_equal(vnet_prefix_str(&r->msg.hnp[0]), MN1_HNP);
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), MN1_HNP);
	assert_string_equal(vnet_name_of(vn, &mv.home[0]), "MR12");
	assert_int_equal(vnet_n_mns(vn, "MR12"), 0);
	assert_true(vnet_handover(vn, "MR12", &mn1, &hv));
	assert_int_equal(hv.state, DMM_HO_FORWARDING);
	assert_string_equal(vnet_name_of(vn, &hv.nmr), "MR11");
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	assert_string_equal(vnet_name_of(vn, &bv.home), "MR12");
	vnet_run_for(vn, 3000);
	assert_int_equal(vnet_n_handovers(vn, "MR12"), 0);
	assert_int_equal(vnet_count_events(vn, 0, "MR12", DMM_EV_CTX_DELETED), 1);

	/* other network */
	mark = vn->n_msgs;
	fig1_move(vn, "MR11", "MR2", 1, 100);
	assert_true(vnet_expect_msgs(vn, mark, other_net, 16, false));
	r = vnet_find_msg(vn, mark, DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1");
	assert_int_equal(r->msg.code, DMM_MSG_LOC_QUERY);
	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(mv.n_hnp, 1);
	assert_string_equal(vnet_name_of(vn, &mv.home[0]), "MR12");
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR2");
	assert_int_equal(vnet_n_bindings(vn, "LMHAA2"), 1); /* not authoritative: no copy */
	assert_int_equal(vnet_n_leases(vn, "LMHAA2"), 0);
	assert_true(vnet_counter(vn, "LMHAA2", DMM_C_LM_FORWARD) >= 2);
	assert_int_equal(vnet_n_mns(vn, "MR11"), 0);
	struct in6_addr src = fig1_addr("2001:db8:31::/64", 99), dst = fig1_addr(MN1_HNP, 1);
	unsigned p = vnet_send_packet(vn, "MR31", &src, &dst);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* new_hoa_on_arrival: MR2 also gets MN1 a prefix of its own; the old one is
 * advertised deprecated, then released after deprecated_keep_s. */
static void p2_new_hoa_on_arrival(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, true, true);
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	const struct vnet_msg_rec *r;
	const struct vnet_op_rec *adv = NULL;
	size_t mark, omark;
	unsigned old_i, new_i;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	mark = vn->n_msgs;
	omark = vn->n_ops;
	fig1_move(vn, "MR12", "MR2", 1, 100);
	/* retrieval from the home HAA and a new prefix from the local one */
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR2", "LMHAA1");
	assert_non_null(r);
	assert_int_equal(r->msg.handoff, DMM_HI_SAME_IFACE);
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR2", "LMHAA2");
	assert_non_null(r);
	assert_false(r->msg.present & DMM_P_HNP);
	assert_true(vnet_lease(vn, "LMHAA2", "2001:db8:20::/64", NULL));
	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(mv.n_hnp, 2);
	old_i = strcmp(vnet_prefix_str(&mv.hnp[0]), MN1_HNP) == 0 ? 0 : 1;
	new_i = 1 - old_i;
	assert_string_equal(vnet_prefix_str(&mv.hnp[old_i]), MN1_HNP);
	assert_string_equal(vnet_prefix_str(&mv.hnp[new_i]), "2001:db8:20::/64");
	assert_true(mv.deprecated[old_i]);
	assert_false(mv.deprecated[new_i]);
	for (size_t i = omark; i < vn->n_ops; i++)
		if (vn->ops[i].op.kind == DMM_DP_ADVERTISE && vn->ops[i].node == vnet_find(vn, "MR2"))
			adv = &vn->ops[i];
	assert_non_null(adv);
	assert_int_equal(adv->op.n_adv, 2);
	for (unsigned k = 0; k < 2; k++) {
		bool old = strcmp(vnet_prefix_str(&adv->op.adv[k].prefix), MN1_HNP) == 0;
		if (old)
			assert_int_equal(adv->op.adv[k].preferred_s, 0);
		else
			assert_true(adv->op.adv[k].preferred_s > 0);
		assert_true(adv->op.adv[k].valid_s > 0);
	}
	assert_true(vnet_binding(vn, "LMHAA2", "2001:db8:20::/64", NULL));
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, NULL));

	/* deprecated_keep_s (120 s) later the old prefix is released */
	mark = vn->n_msgs;
	omark = vn->n_ops;
	vnet_run_for(vn, 121 * 1000);
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR2", "LMHAA1");
	assert_non_null(r);
	assert_int_equal(r->msg.lifetime, 0);
	assert_string_equal(vnet_prefix_str(&r->msg.hnp[0]), MN1_HNP);
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_UPDATE, "MR2", "LMHAA2");
	assert_non_null(r);
	assert_int_equal(r->msg.lifetime, 0);
	assert_non_null(vnet_find_op(vn, omark, "MR2", DMM_DP_LOCAL_DEL, MN1_HNP));
	assert_false(vnet_lease(vn, "LMHAA1", MN1_HNP, NULL));
	assert_false(vnet_binding(vn, "LMHAA1", MN1_HNP, NULL));
	assert_true(vnet_lease(vn, "LMHAA2", "2001:db8:20::/64", NULL));
	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.n_hnp, 1);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), "2001:db8:20::/64");
	assert_int_equal(vnet_count_events(vn, 0, "MR2", DMM_EV_HOA_RELEASED), 1);
	vnet_free(vn);
}

/* P7: MN1 (home network 1) first appears in network 3: LM3 knows nothing,
 * fans the BY_MNID lookup out, then forwards the update to LM1. */
static void p7_forwarding(void **state)
{
	struct vnet *vn = build(DMM_RO_QUERY, true, false);
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_binding_view bv;
	struct dmm_mn_view mv;
	size_t mark;
	const struct vnet_msg_rec *r;
	/* LM1, which holds the binding, relays a context request to MR12
	 * for MR31 as it answers LM3's forward */
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_QUERY, "MR31", "LM3" },
		{ DMM_MSG_LM_FWD, "LM3", "LMHAA1" },
		{ DMM_MSG_LM_FWD, "LM3", "LMHAA2" },
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR12" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LM3" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA2", "LM3" },
		{ DMM_MSG_CTX_ACK, "MR12", "LMHAA1" },
		{ DMM_MSG_LOC_REPLY, "LM3", "MR31" },
		{ DMM_MSG_CTX_REQ, "MR31", "MR12" },
		{ DMM_MSG_HOA_REQ, "MR31", "LMHAA1" },
		{ DMM_MSG_CTX_ACK, "MR12", "MR31" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR31" },
		{ DMM_MSG_LOC_UPDATE, "MR31", "LM3" },
		{ DMM_MSG_LM_FWD, "LM3", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LM3" },
		{ DMM_MSG_LOC_ACK, "LM3", "MR31" },
	};

	(void)state;
	fig1_attach(vn, "MR12", 1);
	mark = vn->n_msgs;
	fig1_move(vn, "MR12", "MR31", 1, 100);
	assert_true(vnet_expect_msgs(vn, mark, exp, sizeof(exp) / sizeof(exp[0]), false));
	r = vnet_find_msg(vn, mark, DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LM3");
	assert_int_equal(r->msg.status, DMM_ST_OK);
	r = vnet_find_msg(vn, mark, DMM_MSG_LM_FWD_REPLY, "LMHAA2", "LM3");
	assert_int_equal(r->msg.status, DMM_ST_NOT_FOUND);
	r = vnet_find_msg(vn, mark, DMM_MSG_LM_FWD, "LM3", "LMHAA1");
	assert_string_equal(vnet_name_of(vn, &r->msg.origin), "MR31");
	assert_true(r->msg.flags & DMM_F_HANDOVER);
	{ /* the relay names the MR that asked LM3, and its query */
		const struct vnet_msg_rec *c = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ,
							     "LMHAA1", "MR12");
		assert_string_equal(vnet_name_of(vn, &c->msg.location), "MR31");
		assert_string_equal(vnet_name_of(vn, &c->msg.origin), "MR31");
		assert_int_equal(c->msg.origin_seq, r->msg.origin_seq);
		assert_int_equal(c->msg.origin_seq,
				 vnet_find_msg(vn, mark, DMM_MSG_LOC_QUERY, "MR31", "LM3")->msg.seq);
	}
	assert_true(vnet_mn(vn, "MR31", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR31");
	assert_int_equal(vnet_n_bindings(vn, "LM3"), 0);
	assert_int_equal(vnet_counter(vn, "LM3", DMM_C_LM_FORWARD), 3);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p1_initial_attach),
		cmocka_unit_test(p1_attach_without_lm_update),
		cmocka_unit_test(p2_moves),
		cmocka_unit_test(p2_new_hoa_on_arrival),
		cmocka_unit_test(p7_forwarding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
