/* Figure 1 on the virtual network under loss and attack: retransmission,
 * an unreachable HAA, binding expiry and refresh, random loss with a fixed
 * seed, forged and replayed messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64"
#define MN2_HNP "2001:db8:31::/64"

static struct vnet *build(void)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	return fig1_build(&o);
}

static void lost_query_is_retransmitted(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	size_t mark = vn->n_msgs;
	static const struct vnet_exp exp[] = {
		{ DMM_MSG_LOC_QUERY, "MR12", "LMHAA1" }, /* lost */
		{ DMM_MSG_LOC_QUERY, "MR12", "LMHAA1" },
		{ DMM_MSG_LM_FWD, "LMHAA1", "LMHAA2" },
		{ DMM_MSG_LM_FWD, "LMHAA1", "LM3" },
		{ DMM_MSG_LM_FWD_REPLY, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_LM_FWD_REPLY, "LM3", "LMHAA1" },
		{ DMM_MSG_LOC_REPLY, "LMHAA1", "MR12" },
		{ DMM_MSG_HOA_REQ, "MR12", "LMHAA1" },
		{ DMM_MSG_HOA_REP, "LMHAA1", "MR12" },
		{ DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1" },
		{ DMM_MSG_LOC_ACK, "LMHAA1", "MR12" },
	};

	(void)state;
	vnet_drop_next(vn, DMM_MSG_LOC_QUERY, "MR12", "LMHAA1", 1);
	fig1_attach(vn, "MR12", 1);
	assert_true(vnet_expect_msgs(vn, mark, exp, sizeof(exp) / sizeof(exp[0]), true));
	assert_true(vn->msgs[mark].lost);
	assert_int_equal(vn->msgs[mark].msg.seq, vn->msgs[mark + 1].msg.seq);
	assert_int_equal(vn->msgs[mark + 1].t - vn->msgs[mark].t, 200 + 1);
	assert_int_equal(vnet_counter(vn, "MR12", DMM_C_RETRANSMIT), 1);
	assert_int_equal(vnet_counter(vn, NULL, DMM_C_RETRANSMIT), 1);
	assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	vnet_free(vn);
}

static void haa_unreachable(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	size_t omark = vn->n_ops;

	(void)state;
	/* the first try and its 3 retransmissions */
	vnet_drop_next(vn, DMM_MSG_HOA_REQ, "MR12", "LMHAA1", 4);
	assert_int_equal(vnet_attach(vn, "MR12", 1, &mn1), 0);
	/* until it gives up (it would start over by itself 1 s later) */
	for (unsigned i = 0; i < 50; i++) {
		vnet_run_for(vn, 100);
		assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
		if (mv.state == DMM_MN_FAILED)
			break;
	}
	assert_int_equal(mv.state, DMM_MN_FAILED);
	assert_int_equal(vnet_counter(vn, "MR12", DMM_C_RETRANSMIT), 3);
	assert_int_equal(vnet_counter(vn, "MR12", DMM_C_TIMEOUT), 1);
	assert_int_equal(vnet_count_ops(vn, omark, "MR12", DMM_DP_LOCAL_ADD), 0);
	assert_int_equal(vnet_n_leases(vn, "LMHAA1"), 0);
	/* the next RS tries again, and this time the HAA answers */
	assert_int_equal(vnet_attach(vn, "MR12", 1, &mn1), 0);
	vnet_run_for(vn, 500);
	assert_true(vnet_mn(vn, "MR12", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_lease(vn, "LMHAA1", MN1_HNP, NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* While the MN stays, its MR refreshes the binding; once it is gone, the
 * binding expires after binding_lifetime_s (600 s). */
static void binding_refresh_and_expiry(void **state)
{
	struct vnet *vn = build();
	struct dmm_binding_view bv;
	size_t mark;
	const struct vnet_msg_rec *r;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	mark = vn->n_msgs;
	vnet_run_for(vn, 700 * 1000);
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1");
	assert_non_null(r);
	assert_int_equal(r->msg.handoff, DMM_HI_NOT_CHANGED);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_BINDING_EXPIRED), 0);

	fig1_detach(vn, "MR12", 1);
	vnet_run_for(vn, 10 * 1000);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, NULL));
	vnet_run_for(vn, 600 * 1000);
	assert_false(vnet_binding(vn, "LMHAA1", MN1_HNP, NULL));
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_BINDING_EXPIRED), 1);
	vnet_free(vn);
}

static void more_retries(struct dmm_config *c, void *ctx)
{
	(void)ctx;
	c->timers.retrans_count = 8;
}

/* 20 % of all signalling lost (seed fixed): every procedure still ends. */
static void random_loss(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_mnid mn1 = vnet_mnid(1), mn2 = vnet_mnid(2);
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = fig1_addr(MN1_HNP, 1);
	size_t lost = 0;
	unsigned p;

	(void)state;
	fig1_defaults(&o);
	o.seed = 20;
	o.tweak = more_retries;
	vn = fig1_build(&o);
	vn->loss = 0.2;
	fig1_attach(vn, "MR12", 1);
	vnet_run_for(vn, 10000);
	fig1_attach(vn, "MR31", 2);
	vnet_run_for(vn, 10000);
	fig1_move(vn, "MR12", "MR11", 1, 100);
	vnet_run_for(vn, 10000);
	p = vnet_send_packet(vn, "MR31", &src, &dst);
	vnet_run_for(vn, 10000);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR11", NULL));
	fig1_move(vn, "MR11", "MR2", 1, 100);
	vnet_run_for(vn, 10000);

	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), MN1_HNP);
	assert_true(vnet_mn(vn, "MR31", &mn2, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR2");
	assert_int_equal(vnet_n_mns(vn, "MR11"), 0);
	assert_int_equal(vnet_n_mns(vn, "MR12"), 0);
	assert_int_equal(vnet_n_handovers(vn, "MR11"), 0);
	p = vnet_send_packet(vn, "MR31", &src, &dst);
	vnet_run_for(vn, 10000);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	for (size_t i = 0; i < vn->n_msgs; i++)
		lost += vn->msgs[i].lost;
	assert_true(lost >= 5);
	assert_true(vnet_counter(vn, NULL, DMM_C_RETRANSMIT) >= 5);
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A LOC_UPDATE that would move MN1's binding to MR31, sealed with `kr`. */
static size_t forged_update(struct vnet *vn, const struct dmm_keyring *kr, uint8_t *buf)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .seq = 777,
			     .flags = DMM_F_ACK_REQ | DMM_F_PROXY, .lifetime = 600,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_HANDOFF | DMM_P_LOCATION |
					DMM_P_HOME | DMM_P_TIMESTAMP };
	int len;

	m.mnid = vnet_mnid(1);
	m.n_hnp = 1;
	m.hnp[0] = vnet_p6(MN1_HNP);
	m.handoff = DMM_HI_SAME_IFACE;
	m.location = *vnet_addr(vn, "MR31");
	m.home = *vnet_addr(vn, "MR12");
	m.timestamp = dmm_ts_from_ms((uint64_t)((int64_t)vn->now + vn->wall_offset));
	len = dmm_msg_seal(kr, vnet_addr(vn, "MR31"), vnet_addr(vn, "LMHAA1"), &m, buf,
			   DMM_MSG_MAX);
	assert_true(len > 0);
	return (size_t)len;
}

static void forged_messages_change_nothing(void **state)
{
	struct vnet *vn = build();
	struct dmm_keyring bad, good;
	struct dmm_binding_view bv;
	uint8_t key[DMM_KEY_LEN], buf[DMM_MSG_MAX];
	size_t len;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	memset(key, 0x42, sizeof(key));
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(dmm_keyring_add(&bad, FIG1_KEY_ID, key), 0);
	bad.active = FIG1_KEY_ID;
	len = forged_update(vn, &bad, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR31"), "LMHAA1", buf, len),
			 DMM_E_AUTH);
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_DROP_AUTH), 1);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(dmm_keyring_add(&bad, 9, key), 0);
	bad.active = 9;
	len = forged_update(vn, &bad, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR31"), "LMHAA1", buf, len),
			 DMM_E_KEY);
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_DROP_KEY), 1);
	vnet_run_for(vn, 100);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR12");

	/* control: the same message with the domain key does move it */
	fig1_keyring(&good);
	len = forged_update(vn, &good, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR31"), "LMHAA1", buf, len), 0);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR31");
	vnet_free(vn);
}

static void replayed_update_changes_nothing(void **state)
{
	struct vnet *vn = build();
	struct dmm_binding_view bv;
	struct vnet_msg_rec cap;
	uint16_t seq;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	cap = *vnet_find_msg(vn, 0, DMM_MSG_LOC_UPDATE, "MR12", "LMHAA1");
	fig1_move(vn, "MR12", "MR11", 1, 100);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	seq = bv.seq;

	/* inside the timestamp window: a duplicate, answered from the cache */
	assert_int_equal(vnet_deliver_now(vn, &cap.src, "LMHAA1", cap.buf, cap.len), 0);
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_DUP_REQUEST), 1);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	assert_int_equal(bv.seq, seq);

	/* later: stale */
	vnet_run_for(vn, 10000);
	assert_int_equal(vnet_deliver_now(vn, &cap.src, "LMHAA1", cap.buf, cap.len),
			 DMM_E_STALE);
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_DROP_STALE), 1);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	assert_int_equal(bv.seq, seq);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lost_query_is_retransmitted),
		cmocka_unit_test(haa_unreachable),
		cmocka_unit_test(binding_refresh_and_expiry),
		cmocka_unit_test(random_loss),
		cmocka_unit_test(forged_messages_change_nothing),
		cmocka_unit_test(replayed_update_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
