/* Figure 1 scenario P5 on the virtual network: MN1, with MN2 talking to it
 * through MR31, moves from MR11 to MR2. The pMR holds, the context transfer
 * releases the held packets to the nMR (no loss), the correspondent's MR is
 * redirected and notified, and the pMR's temporary context goes away. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"
#define MN2_HNP "2001:db8:31::/64"

static unsigned send_mn2_to_mn1(struct vnet *vn)
{
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(MN1_HNP, 1);

	return vnet_send_packet(vn, "MR31", &src, &dst);
}

static struct vnet *setup(bool hold)
{
	struct fig1_opts o;
	struct vnet *vn;
	unsigned p;

	fig1_defaults(&o);
	o.hold_packets = hold;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR12", 1);
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 4000);
	fig1_attach(vn, "MR31", 2);
	p = send_mn2_to_mn1(vn);
	vnet_run_for(vn, 100);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	return vn;
}

static void p5_handover_with_session(void **state)
{
	struct vnet *vn = setup(true);
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_ho_view hv;
	struct dmm_cache_view cv;
	size_t mark = vn->n_msgs, omark = vn->n_ops, emark = vn->n_evs;
	unsigned held[3], p;
	static const struct vnet_op_exp mr11_ops[] = {
		{ "MR11", DMM_DP_HOLD_START, MN1_HNP, NULL, NULL },
		{ "MR11", DMM_DP_LOCAL_DEL, MN1_HNP, NULL, NULL },
		{ "MR11", DMM_DP_MISS_ADD, MN1_HNP, "", NULL },
		{ "MR11", DMM_DP_HOLD_FLUSH, MN1_HNP, NULL, NULL },
		{ "MR11", DMM_DP_TUNNEL_ADD, MN1_HNP, MN2_HNP, "MR2" },
	};
	/* nMR: lookup (fan-out from LM2) flagged HANDOVER: LM1, which holds
	 * the binding, relays a context request to the pMR before it answers,
	 * so the flush reaches MR2 as the answer does (held there by MR2's
	 * miss until its LOCAL route is in: it queries the address meanwhile).
	 * Then MR2's own context transfer (answered OK, nothing redone), the
	 * home HAA and the LM; pMR: sender discovery of MN2's MR (LM1
	 * forwards to LM3) and redirect; LM1 notifies MR31, subscribed since
	 * P3. */
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_QUERY, "MR2", "LMHAA2" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LM3" },
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR11" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_LM_FWD_REPLY, "LM3", "LMHAA2" },
		{ DMM_MSG_CTX_ACK, "MR11", "LMHAA1" },
		{ DMM_MSG_LOC_QUERY, "MR11", "LMHAA1" },
		{ DMM_MSG_LOC_QUERY, "MR2", "LMHAA2" },
		{ DMM_MSG_LOC_REPLY, "LMHAA2", "MR2" },
		{ DMM_MSG_LM_FWD, "LMHAA1", "LM3" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_CTX_REQ, "MR2", "MR11" },
		{ DMM_MSG_HOA_REQ, "MR2", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LM3", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_CTX_ACK, "MR11", "MR2" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR2" },
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR11" },
		{ DMM_MSG_LOC_REPLY, "LMHAA2", "MR2" },
		{ DMM_MSG_LOC_UPDATE, "MR2", "LMHAA2" },
		{ DMM_MSG_REDIRECT, "MR11", "MR31" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_REDIRECT_ACK, "MR31", "MR11" },
		{ DMM_MSG_LM_NOTIFY, "LMHAA1", "MR31" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_LM_NOTIFY_ACK, "MR31", "LMHAA1" },
		{ DMM_MSG_LOC_ACK, "LMHAA2", "MR2" },
	};

	(void)state;
	assert_int_equal(vnet_detach(vn, "MR11", 1), 0);
	assert_true(vnet_handover(vn, "MR11", &mn1, &hv));
	assert_int_equal(hv.state, DMM_HO_HOLDING);
	for (unsigned i = 0; i < 3; i++) {
		held[i] = send_mn2_to_mn1(vn);
		assert_int_equal(vnet_packet(vn, held[i])->state, VNET_PKT_HELD);
		vnet_run_for(vn, 10);
	}
	vnet_run_for(vn, 20);
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 500);
	assert_true(vnet_expect_msgs(vn, mark, exp, sizeof(exp) / sizeof(exp[0]), false));

	/* zero loss: the held packets went on to the nMR */
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));
	assert_true(vnet_expect_ops(vn, omark, "MR11", mr11_ops, 5, false));
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR2", "MR11"));
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_CTX_ACK, "MR11", "MR2"));
	assert_string_equal(vnet_name_of(vn, &vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, "MR11",
							    "MR31")->msg.location), "MR2");
	assert_string_equal(vnet_name_of(vn, &vnet_find_msg(vn, mark, DMM_MSG_LM_NOTIFY,
							    "LMHAA1", "MR31")->msg.location),
			    "MR2");
	assert_true(vnet_handover(vn, "MR11", &mn1, &hv));
	assert_int_equal(hv.state, DMM_HO_FORWARDING);
	assert_string_equal(vnet_name_of(vn, &hv.nmr), "MR2");
	assert_int_equal(vnet_count_events(vn, emark, "MR11", DMM_EV_CTX_RECEIVED), 1);
	assert_int_equal(vnet_count_events(vn, emark, "MR2", DMM_EV_CTX_ACKED), 1);

	/* the correspondent's MR now tunnels straight to MR2 */
	assert_true(vnet_cache(vn, "MR31", MN1_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR2");
	p = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));

	/* handover_ctx_ms (3 s) after the context transfer it is gone */
	omark = vn->n_ops;
	vnet_run_for(vn, 3000);
	assert_int_equal(vnet_n_handovers(vn, "MR11"), 0);
	assert_non_null(vnet_find_op(vn, omark, "MR11", DMM_DP_TUNNEL_DEL, MN1_HNP));
	assert_int_equal(vnet_count_events(vn, emark, "MR11", DMM_EV_CTX_DELETED), 1);
	p = send_mn2_to_mn1(vn);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p5_handover_with_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
