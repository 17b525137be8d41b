/* The handover in one inter-network round trip (PROCEDURES.md, "LM: context
 * relay"): the nMR's BY_MNID query is flagged HANDOVER, the LM that holds
 * the MN's binding sends the pMR a CTX_REQ on the nMR's behalf before it
 * answers, and the pMR's flush starts without waiting for the nMR to learn
 * the binding. Figure 1 with 5 ms one way between nodes of different
 * local networks (the bench's topology, lab/topologies/handover.topo) and
 * 1 ms inside one. Also: the relayed request is accepted only from an LM,
 * only when consistent, only for a handover context the pMR holds, and
 * never twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define NET_MS 5 /* one way between local networks */
#define MN2_HNP "2001:db8:31::/64"

static const char *const net_of[][4] = {
	{ "LMHAA1", "MR11", "MR12", NULL },
	{ "LMHAA2", "MR2", "MRGW", NULL },
	{ "LM3", "HAA3", "MR31", "MR32" },
};

static void delay_networks(struct vnet *vn)
{
	for (unsigned a = 0; a < 3; a++)
		for (unsigned b = a + 1; b < 3; b++)
			for (unsigned i = 0; i < 4 && net_of[a][i]; i++)
				for (unsigned j = 0; j < 4 && net_of[b][j]; j++)
					vnet_set_delay(vn, net_of[a][i], net_of[b][j], NET_MS);
}

/* MN1 attached at MR11 (its prefix anchored there), MN2 at MR31 talking to
 * it; the delays switched on afterwards. Returns MN1's prefix. */
static struct vnet *setup(struct dmm_prefix *hnp)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	struct fig1_opts o;
	struct vnet *vn;

	fig1_defaults(&o);
	vn = fig1_build(&o);
	fig1_attach(vn, "MR11", 1);
	fig1_attach(vn, "MR31", 2);
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	*hnp = mv.hnp[0];
	delay_networks(vn);
	return vn;
}

static unsigned mn2_to_mn1(struct vnet *vn, const struct dmm_prefix *hnp)
{
	struct in6_addr src = fig1_addr(MN2_HNP, 2), dst = vnet_host(hnp, 1);

	return vnet_send_packet(vn, "MR31", &src, &dst);
}

/* The MN leaves `from`; three packets to it are held there. */
static void leave_with_held(struct vnet *vn, const char *from, const struct dmm_prefix *hnp,
			    unsigned held[3])
{
	assert_int_equal(vnet_detach(vn, from, 1), 0);
	vnet_run_for(vn, 50);
	for (unsigned i = 0; i < 3; i++) {
		held[i] = mn2_to_mn1(vn, hnp);
		vnet_run_for(vn, 20);
		assert_int_equal(vnet_packet(vn, held[i])->state, VNET_PKT_HELD);
	}
}

static dmm_time_t op_time(const struct vnet *vn, size_t mark, const char *node,
			  enum dmm_dp_kind kind, const struct dmm_prefix *p)
{
	const struct vnet_op_rec *r = vnet_find_op(vn, mark, node, kind, vnet_prefix_str(p));

	assert_non_null(r);
	return r->t;
}

/* Across networks: MN1 moves MR11 (LN1, where its LM is) -> MR2 (LN2). */
static void relay_to_other_network(void **state)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_prefix hnp;
	struct vnet *vn = setup(&hnp);
	const struct vnet_msg_rec *q, *fwd, *relay, *reply;
	struct dmm_ho_view hv;
	unsigned held[3];
	size_t mark, omark, emark;
	dmm_time_t t0, flush;
	/* the critical path: query, fan-out, the relay before the answer */
	static const struct vnet_exp head[] = {
		{ DMM_MSG_LOC_QUERY, "MR2", "LMHAA2" },
		{ DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1" },
		{ DMM_MSG_CTX_REQ, "LMHAA1", "MR11" },
		{ DMM_MSG_CTX_ACK, "MR11", "LMHAA1" },
	};

	(void)state;
	leave_with_held(vn, "MR11", &hnp, held);
	mark = vn->n_msgs, omark = vn->n_ops, emark = vn->n_evs;
	t0 = vn->now;
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 1000);
	{
		/* head: the first messages that are not to/from LM3 (the fan-out) */
		size_t k = 0;
		for (size_t i = mark; i < vn->n_msgs && k < 4; i++) {
			const struct vnet_msg_rec *r = &vn->msgs[i];
			if (r->lost || strcmp(vnet_name(vn, r->from), "LM3") == 0 ||
			    strcmp(vnet_name(vn, r->to), "LM3") == 0)
				continue;
			if (r->msg.type != head[k].type ||
			    strcmp(vnet_name(vn, r->from), head[k].from) ||
			    strcmp(vnet_name(vn, r->to), head[k].to)) {
				vnet_print_msgs(vn, mark);
				fail_msg("message %zu is not %s %s -> %s", k,
					 dmm_msg_type_name(head[k].type), head[k].from,
					 head[k].to);
			}
			k++;
		}
		assert_int_equal(k, 4);
	}
	q = vnet_find_msg(vn, mark, DMM_MSG_LOC_QUERY, "MR2", "LMHAA2");
	fwd = vnet_find_msg(vn, mark, DMM_MSG_LM_FWD, "LMHAA2", "LMHAA1");
	relay = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "LMHAA1", "MR11");
	reply = vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LMHAA2", "MR2");
	assert_non_null(q);
	assert_non_null(fwd);
	assert_non_null(relay);
	assert_non_null(reply);
	assert_true(q->msg.flags & DMM_F_HANDOVER);
	assert_true(q->msg.flags & DMM_F_BY_MNID);
	assert_true(fwd->msg.flags & DMM_F_HANDOVER);
	/* the relayed request: for MR2, naming MR2's query */
	assert_true(relay->msg.present & DMM_P_ORIGIN);
	assert_string_equal(vnet_name_of(vn, &relay->msg.origin), "MR2");
	assert_string_equal(vnet_name_of(vn, &relay->msg.location), "MR2");
	assert_int_equal(relay->msg.origin_seq, q->msg.seq);
	assert_true(dmm_mnid_eq(&relay->msg.mnid, &mn1));
	assert_true(dmm_prefix_eq(&relay->msg.hnp[0], &hnp));
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_CTX_RELAY), 1);

	/* the flush starts before the LM's answer has even reached MR2 */
	flush = op_time(vn, omark, "MR11", DMM_DP_HOLD_FLUSH, &hnp);
	assert_true(flush < reply->t);
	/* and the held packets are there one inter-network round trip (plus
	 * the local hops) after the attach: 2 + 5 (query), 1 (relay), 5 (flush) */
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));
	assert_true(flush - t0 <= NET_MS + 4);

	/* MR2's own CTX_REQ still goes and is answered OK, without a second
	 * flush or context transfer */
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR2", "MR11"));
	assert_int_equal(vnet_find_msg(vn, mark, DMM_MSG_CTX_ACK, "MR11", "MR2")->msg.status,
			 DMM_ST_OK);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_HOLD_FLUSH), 1);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_MISS_ADD), 1);
	assert_int_equal(vnet_count_events(vn, emark, "MR11", DMM_EV_CTX_RECEIVED), 1);
	assert_int_equal(vnet_count_events(vn, emark, "MR2", DMM_EV_CTX_ACKED), 1);
	assert_true(vnet_handover(vn, "MR11", &mn1, &hv));
	assert_int_equal(hv.state, DMM_HO_FORWARDING);
	assert_string_equal(vnet_name_of(vn, &hv.nmr), "MR2");
	assert_int_equal(vnet_counter(vn, NULL, DMM_C_DROP_CTX_RELAY), 0);
	assert_int_equal(vnet_counter(vn, NULL, DMM_C_ATTACH_CONFLICT), 0);

	/* afterwards MN2's packets go straight to MR2 */
	assert_true(vnet_pkt_path_is(vn, mn2_to_mn1(vn, &hnp), "MR31", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* Back to the anchor, MR11, whose LM (LM1) is local and holds the binding:
 * LM1 relays to MR2 across the delay; one round trip again. */
static void relay_back_to_anchor(void **state)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_prefix hnp;
	struct vnet *vn = setup(&hnp);
	const struct vnet_msg_rec *relay, *own;
	struct dmm_mn_view mv;
	unsigned held[3];
	size_t mark, omark;
	dmm_time_t t0, flush;

	(void)state;
	vnet_detach(vn, "MR11", 1);
	vnet_run_for(vn, 50);
	vnet_attach(vn, "MR2", 1, &mn1);
	vnet_run_for(vn, 3000);
	leave_with_held(vn, "MR2", &hnp, held);
	mark = vn->n_msgs, omark = vn->n_ops;
	t0 = vn->now;
	assert_int_equal(vnet_attach(vn, "MR11", 1, &mn1), 0);
	vnet_run_for(vn, 1000);
	relay = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "LMHAA1", "MR2");
	own = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR11", "MR2");
	assert_non_null(relay);
	assert_non_null(own);
	assert_true(relay->t <= own->t);
	assert_string_equal(vnet_name_of(vn, &relay->msg.location), "MR11");
	flush = op_time(vn, omark, "MR2", DMM_DP_HOLD_FLUSH, &hnp);
	assert_true(flush - t0 <= NET_MS + 3);
	assert_int_equal(vnet_count_ops(vn, omark, "MR2", DMM_DP_HOLD_FLUSH), 1);
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR2", "MR11", NULL));
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(vnet_counter(vn, NULL, DMM_C_DROP_CTX_RELAY), 0);
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A relayed CTX_REQ for MN1 (origin = location = `nmr`), sealed as `from`
 * with the domain key, to `to`. */
static size_t relayed_req(struct vnet *vn, const char *from, const char *to, const char *nmr,
			  const char *origin, unsigned mn, const struct dmm_prefix *hnp,
			  uint16_t seq, uint8_t *buf)
{
	struct dmm_keyring kr;
	struct dmm_msg m = { .type = DMM_MSG_CTX_REQ, .seq = seq,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_ORIGIN |
					DMM_P_TIMESTAMP };
	int len;

	fig1_keyring(&kr);
	m.mnid = vnet_mnid(mn);
	m.n_hnp = 1;
	m.hnp[0] = *hnp;
	m.location = *vnet_addr(vn, nmr);
	m.origin = *vnet_addr(vn, origin);
	m.origin_seq = 4242;
	m.timestamp = dmm_ts_from_ms((uint64_t)((int64_t)vn->now + vn->wall_offset));
	len = dmm_msg_seal(&kr, vnet_addr(vn, from), vnet_addr(vn, to), &m, buf, DMM_MSG_MAX);
	assert_true(len > 0);
	return (size_t)len;
}

/* Forged, inconsistent, misdirected and replayed relays: no flush. */
static void relay_refused(void **state)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_prefix hnp;
	struct vnet *vn = setup(&hnp);
	const struct vnet_msg_rec *cap;
	struct dmm_ho_view hv;
	struct dmm_mn_view mv;
	uint8_t buf[DMM_MSG_MAX];
	unsigned held[3];
	size_t len, omark, mmark, emark;

	(void)state;
	/* MN1 still attached at MR11 (carrier): a relay for it, even from
	 * its LM, changes nothing there (never held, never a detach) */
	omark = vn->n_ops;
	len = relayed_req(vn, "LMHAA1", "MR11", "MR2", "MR2", 1, &hnp, 901, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "LMHAA1"), "MR11", buf, len), 0);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DROP_CTX_RELAY), 1);
	vnet_run_for(vn, 3000); /* beyond hold_ms: nothing was held */
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_LOCAL_DEL), 0);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_ATTACH_CONFLICT), 0);
	assert_non_null(vnet_find_msg(vn, 0, DMM_MSG_CTX_ACK, "MR11", "LMHAA1"));
	assert_int_equal(vnet_find_msg(vn, 0, DMM_MSG_CTX_ACK, "MR11", "LMHAA1")->msg.status,
			 DMM_ST_NOT_FOUND);

	/* MN1 leaves: a handover context holds its packets */
	leave_with_held(vn, "MR11", &hnp, held);
	omark = vn->n_ops;

	/* from a domain member that is no LM: dropped unanswered */
	len = relayed_req(vn, "MR12", "MR11", "MR12", "MR12", 1, &hnp, 902, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR12"), "MR11", buf, len), 0);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DROP_PEER), 1);

	/* from an LM, but naming another node as location than as origin */
	len = relayed_req(vn, "LMHAA2", "MR11", "MR12", "MR2", 1, &hnp, 903, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "LMHAA2"), "MR11", buf, len), 0);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DROP_CTX_RELAY), 2);

	/* from an LM, for an MN this MR has no context for */
	len = relayed_req(vn, "LMHAA1", "MR11", "MR2", "MR2", 7, &hnp, 904, buf);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "LMHAA1"), "MR11", buf, len), 0);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DROP_CTX_RELAY), 3);

	vnet_run_for(vn, 10);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_HOLD_FLUSH), 0);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_MISS_ADD), 0);
	assert_true(vnet_handover(vn, "MR11", &mn1, &hv));
	assert_int_equal(hv.state, DMM_HO_HOLDING);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(vnet_packet(vn, held[i])->state, VNET_PKT_HELD);

	/* the real move to MR2 relays once and flushes once */
	mmark = vn->n_msgs;
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 500);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_HOLD_FLUSH), 1);
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));

	/* the LM's relayed request replayed: a duplicate, nothing redone */
	omark = vn->n_ops, emark = vn->n_evs;
	cap = vnet_find_msg(vn, mmark, DMM_MSG_CTX_REQ, "LMHAA1", "MR11");
	assert_non_null(cap);
	{
		uint64_t dup = vnet_counter(vn, "MR11", DMM_C_DUP_REQUEST);
		size_t evs = vn->n_evs;
		assert_int_equal(vnet_deliver_now(vn, &cap->src, "MR11", cap->buf, cap->len), 0);
		assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DUP_REQUEST), dup + 1);
		assert_int_equal(vnet_count_events(vn, evs, "MR11", DMM_EV_CTX_RECEIVED), 0);
	}
	/* and later, outside the timestamp window: stale */
	vnet_run_for(vn, 6000);
	{
		struct vnet_msg_rec c = *vnet_find_msg(vn, mmark, DMM_MSG_CTX_REQ, "LMHAA1",
						       "MR11");
		assert_int_equal(vnet_deliver_now(vn, &c.src, "MR11", c.buf, c.len),
				 DMM_E_STALE);
	}
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_DROP_STALE), 1);
	assert_int_equal(vnet_count_ops(vn, omark, "MR11", DMM_DP_HOLD_FLUSH), 0);
	assert_int_equal(vnet_count_events(vn, emark, "MR11", DMM_EV_CTX_RECEIVED), 0);
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A query without HANDOVER (another MR looking an MN up by id) is only
 * answered: no relay. */
static void plain_query_no_relay(void **state)
{
	struct dmm_prefix hnp;
	struct vnet *vn = setup(&hnp);
	struct dmm_keyring kr;
	struct dmm_msg m = { .type = DMM_MSG_LOC_QUERY, .seq = 555, .flags = DMM_F_BY_MNID,
			     .present = DMM_P_MNID | DMM_P_TIMESTAMP };
	uint8_t buf[DMM_MSG_MAX];
	size_t mark;
	int len;

	(void)state;
	vnet_detach(vn, "MR11", 1);
	vnet_run_for(vn, 50);
	mark = vn->n_msgs;
	fig1_keyring(&kr);
	m.mnid = vnet_mnid(1);
	m.timestamp = dmm_ts_from_ms((uint64_t)((int64_t)vn->now + vn->wall_offset));
	len = dmm_msg_seal(&kr, vnet_addr(vn, "MR12"), vnet_addr(vn, "LMHAA1"), &m, buf,
			   sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR12"), "LMHAA1", buf, (size_t)len),
			 0);
	vnet_run_for(vn, 100);
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_LOC_REPLY, "LMHAA1", "MR12"));
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_CTX_REQ, NULL, NULL), 0);
	assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_CTX_RELAY), 0);
	vnet_free(vn);
}

/* The LM's answer to MR2 is lost, so MR2 learns MN1's prefix only from
 * its retransmitted query: the packets MR11 flushed meanwhile missed at
 * MR2, whose own address query says "at MR11" — they are not tunnelled
 * back there (a loop between the two) but held until MN1's LOCAL route
 * takes them. */
static void relay_answer_lost(void **state)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_prefix hnp;
	struct vnet *vn = setup(&hnp);
	struct dmm_mn_view mv;
	unsigned held[3], p;

	(void)state;
	leave_with_held(vn, "MR11", &hnp, held);
	vnet_drop_next(vn, DMM_MSG_LOC_REPLY, "LMHAA2", "MR2", 1);
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 1500);
	for (unsigned i = 0; i < 3; i++) {
		const struct vnet_pkt *k = vnet_packet(vn, held[i]);
		unsigned at_mr11 = 0;
		for (unsigned j = 0; j < k->n_path; j++)
			at_mr11 += strcmp(vnet_name(vn, k->path[j]), "MR11") == 0;
		assert_int_equal(at_mr11, 1);
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));
	}
	assert_int_equal(vnet_count_msgs(vn, 0, DMM_MSG_LOC_QUERY, "MR2", "LMHAA2"), 3);
	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(vnet_count_msgs(vn, 0, DMM_MSG_CTX_REQ, "LMHAA1", "MR11"), 1);
	p = mn2_to_mn1(vn, &hnp);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* Redirect mode: the nMR has no miss routes to hold packets that would
 * arrive before it knows the MN's prefix, so it does not ask for the
 * relay; the handover is the draft's (query, then CTX_REQ), still lossless. */
static void redirect_mode_no_relay(void **state)
{
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct fig1_opts o;
	struct dmm_mn_view mv;
	struct dmm_prefix hnp;
	struct vnet *vn;
	unsigned held[3];
	size_t mark;

	(void)state;
	fig1_defaults(&o);
	o.ro_mode = DMM_RO_REDIRECT;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR11", 1);
	fig1_attach(vn, "MR31", 2);
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	hnp = mv.hnp[0];
	delay_networks(vn);
	leave_with_held(vn, "MR11", &hnp, held);
	mark = vn->n_msgs;
	assert_int_equal(vnet_attach(vn, "MR2", 1, &mn1), 0);
	vnet_run_for(vn, 1000);
	assert_false(vnet_find_msg(vn, mark, DMM_MSG_LOC_QUERY, "MR2", "LMHAA2")->msg.flags &
		     DMM_F_HANDOVER);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_CTX_REQ, "LMHAA1", NULL), 0);
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR2", "MR11"));
	for (unsigned i = 0; i < 3; i++)
		assert_true(vnet_pkt_path_is(vn, held[i], "MR31", "MR11", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relay_to_other_network),
		cmocka_unit_test(relay_back_to_anchor),
		cmocka_unit_test(relay_refused),
		cmocka_unit_test(plain_query_no_relay),
		cmocka_unit_test(relay_answer_lost),
		cmocka_unit_test(redirect_mode_no_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
