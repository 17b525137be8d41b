/* Figure 1 on the virtual network: quick returns under signalling loss. An
 * MN moves on (A -> B -> A, A -> B -> C) before B's location update has
 * reached the LM: B's first update is lost and the MN leaves B before B's
 * retransmission. Whatever B still had to say about the MN's location must
 * not reach the LM after the MN has left: it would point the binding at a
 * router the MN is not at, and the correspondent's packets would stop
 * there (issue 9, SECURITY.md "quick returns under loss"). Checked at the
 * end, once everything has settled: the MN attached at its MR with its
 * prefix anchored where its lease is, the LM binding it there, nothing of
 * it left at B (no MN, no handover context, no "pass" cache entry for its
 * prefix), and a correspondent's packets delivered to it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define MN1_HNP "2001:db8:12::/64" /* MN1 first attaches at MR12: anchored there */
#define MN2_HNP "2001:db8:31::/64" /* MN2 first attaches at MR31: anchored there */

static struct vnet *build(void)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	return fig1_build(&o);
}

/* Messages of type from `from` to `to` recorded from mark on, lost ones
 * too (*lost: how many of them were lost). */
static size_t sent(const struct vnet *vn, size_t mark, enum dmm_msg_type type, const char *from,
		   const char *to, size_t *lost)
{
	size_t c = 0;

	*lost = 0;
	for (size_t i = mark; i < vn->n_msgs; i++) {
		const struct vnet_msg_rec *r = &vn->msgs[i];
		if (r->msg.type != type || strcmp(vnet_name(vn, r->from), from) != 0 ||
		    strcmp(vnet_name(vn, r->to), to) != 0)
			continue;
		c++;
		*lost += r->lost;
	}
	return c;
}

/* MN mn leaves `from` for `to`; `to`'s first location update to lm is
 * lost. Runs (10 ms steps) until `to` has sent it, then 10 ms more: the MN
 * is attached at `to`, its update not yet retransmitted. */
static void move_update_lost(struct vnet *vn, const char *from, const char *to,
			     const char *lm, unsigned mn)
{
	struct dmm_mnid id = vnet_mnid(mn);
	size_t mark = vn->n_msgs, lost;
	unsigned i;

	vnet_drop_next(vn, DMM_MSG_LOC_UPDATE, to, lm, 1);
	vnet_detach(vn, from, mn);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, to, mn, &id), 0);
	for (i = 0; i < 100 && sent(vn, mark, DMM_MSG_LOC_UPDATE, to, lm, &lost) == 0; i++)
		vnet_run_for(vn, 10);
	vnet_run_for(vn, 10);
	assert_int_equal(sent(vn, mark, DMM_MSG_LOC_UPDATE, to, lm, &lost), 1);
	assert_int_equal(lost, 1);
}

/* The end state of MN mn at `here` (prefix hnp, bound at lm), nothing of
 * it at `gone`; the server behind MRGW reaches it. */
static void check_settled(struct vnet *vn, unsigned mn, const char *hnp, const char *anchor,
			  const char *here, const char *gone, const char *lm)
{
	struct dmm_mnid id = vnet_mnid(mn);
	struct in6_addr server = vnet_a6(FIG1_SERVER), a = fig1_addr(hnp, 1);
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	struct dmm_cache_view cv;
	const struct vnet_pkt *pk;
	bool found = false;
	unsigned p;

	assert_true(vnet_mn(vn, here, &id, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	for (unsigned i = 0; i < mv.n_hnp; i++) {
		char want[DMM_PREFIX_STRLEN];
		if (strcmp(dmm_prefix_str(&mv.hnp[i], want, sizeof(want)), hnp) != 0)
			continue;
		found = true;
		assert_string_equal(vnet_name_of(vn, &mv.home[i]), anchor);
	}
	assert_true(found);
	assert_true(vnet_binding(vn, lm, hnp, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), here);
	assert_string_equal(vnet_name_of(vn, &bv.home), anchor);
	assert_false(vnet_mn(vn, gone, &id, NULL));
	assert_false(vnet_handover(vn, gone, &id, NULL));
	if (vnet_cache(vn, gone, hnp, NULL, &cv)) /* if any: a tunnel to where it is */
		assert_string_equal(vnet_name_of(vn, &cv.locator), here);
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 2000);
	pk = vnet_packet(vn, p);
	if (pk->state != VNET_PKT_DELIVERED || strcmp(vnet_name(vn, pk->at), here) != 0) {
		char buf[256];
		fail_msg("server -> %s: %s", hnp, vnet_pkt_str(vn, p, buf, sizeof(buf)));
	}
	assert_int_equal(pk->link, mn);
}

/* MN mn at a, moved to b (whose location update to lm is lost), then at
 * once to c (a itself for a quick return) before b retransmits: it ends
 * at c, anchored at a, bound there, nothing of it left at b. */
static void quick_moves(unsigned mn, const char *hnp, const char *a, const char *b,
			const char *c, const char *lm)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(mn);

	fig1_attach(vn, a, mn);
	vnet_run_for(vn, 3000);
	move_update_lost(vn, a, b, lm, mn);
	vnet_detach(vn, b, mn);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, c, mn, &id), 0);
	vnet_run_for(vn, 10 * 1000); /* retransmissions, contexts expire */
	check_settled(vn, mn, hnp, a, c, b, lm);
	if (strcmp(a, c) != 0) {
		assert_false(vnet_mn(vn, a, &id, NULL));
		assert_false(vnet_handover(vn, a, &id, NULL));
	}
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* The same with a correspondent: the server behind MRGW talks to MN mn.
 * a forwards the server's next packet to b and redirects MRGW there
 * (sender discovery); after the move on to c, MRGW's cache entry, if any,
 * points at c and the server's packets go straight there. */
static void quick_moves_sender(unsigned mn, const char *hnp, const char *a, const char *b,
			       const char *c, const char *lm)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(mn);
	struct in6_addr server = vnet_a6(FIG1_SERVER), addr = fig1_addr(hnp, 1);
	struct dmm_cache_view cv;
	size_t mark;
	unsigned p, i;

	fig1_attach(vn, a, mn);
	vnet_run_for(vn, 3000);
	p = vnet_send_packet(vn, "MRGW", &server, &addr);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", a, NULL));
	move_update_lost(vn, a, b, lm, mn);
	/* the server's next packet: a forwards it, redirects MRGW */
	mark = vn->n_msgs;
	p = vnet_send_packet(vn, "MRGW", &server, &addr);
	for (i = 0; i < 50 && !vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, a, "MRGW"); i++)
		vnet_run_for(vn, 10);
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_REDIRECT, a, "MRGW"));
	vnet_run_for(vn, 20);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", a, b, NULL));
	assert_true(vnet_cache(vn, "MRGW", hnp, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), b);
	/* on to c at once */
	vnet_detach(vn, b, mn);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, c, mn, &id), 0);
	vnet_run_for(vn, 10 * 1000);
	check_settled(vn, mn, hnp, a, c, b, lm);
	if (vnet_cache(vn, "MRGW", hnp, NULL, &cv))
		assert_string_equal(vnet_name_of(vn, &cv.locator), c);
	p = vnet_send_packet(vn, "MRGW", &server, &addr);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", c, NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A -> B -> A: MN2 at MR31, to MR32 (whose update is lost), straight back
 * to MR31. Before the fix, MR32 kept retransmitting its update after the
 * MN had left; it reached LM3 after MR31's query had found the binding
 * still at MR31, so LM3 bound the prefix at MR32, where the server's
 * packets stopped, for a binding lifetime. */
static void return_to_pmr(void **state)
{
	(void)state;
	quick_moves(2, MN2_HNP, "MR31", "MR32", "MR31", "LM3");
}

/* A -> B -> A with a correspondent: the server behind MRGW talks to MN2.
 * MN2 moves MR31 -> MR32 (MR32's update lost: LM3 still binds MR31), MR31
 * forwards to MR32 and redirects MRGW there (sender discovery); MN2 comes
 * straight back to MR31, which finds the binding its own. Its context's
 * redirects are undone: MRGW is pointed back at MR31, and a redirect whose
 * sender query was still out when MN2 came back is not sent. Before, MRGW
 * kept tunnelling to MR32 (which sent the packets on to MR31 via the LM,
 * a detour, until MRGW's cache entry expired). */
static void redirected_sender_follows_return(void **state)
{
	(void)state;
	quick_moves_sender(2, MN2_HNP, "MR31", "MR32", "MR31", "LM3");
}

/* A -> B -> C: MN1 at MR12, to MR11 (whose update is lost), on to MR2 in
 * another network before MR11 retransmits. */
static void on_to_a_third_mr(void **state)
{
	(void)state;
	quick_moves(1, MN1_HNP, "MR12", "MR11", "MR2", "LMHAA1");
}

/* A -> B -> C with a correspondent: the server behind MRGW talks to MN1.
 * MN1 moves MR12 -> MR11 (MR11's update lost), MR12 forwards to MR11 and
 * redirects MRGW there; MN1 goes on to MR2 before MR11 retransmits. MR2
 * finds the binding still at MR12 and asks MR12 for the context: MR12
 * forwards to MR2 now, and redirects MRGW to MR2 too. */
static void redirected_sender_follows_third_mr(void **state)
{
	(void)state;
	quick_moves_sender(1, MN1_HNP, "MR12", "MR11", "MR2", "LMHAA1");
}

/* MN2 gets 2001:db8:31::/64 at MR31 and moves to MR32, whose queries LM3
 * never answers: its arrival's and the 7 sent again once MR32 served it
 * as new with 2001:db8:32::/64 (every try of each lost, 4 tries; 1 s to
 * 60 s apart). MR32 gives up asking and binds 32::/64 at LM3, where
 * 31::/64 is still bound at MR31: an MN with two prefixes bound at two
 * MRs. (Had LM3 answered one of them, MR32 would have taken 31::/64 over
 * and released 32::/64: test_mr test_late_resolve_takes_over.) */
static void lm3_silent_at_mr32(struct vnet *vn, const struct dmm_mnid *id)
{
	fig1_attach(vn, "MR31", 2);
	vnet_run_for(vn, 3000);
	vnet_drop_next(vn, DMM_MSG_LOC_QUERY, "MR32", "LM3", 4 * 8);
	vnet_detach(vn, "MR31", 2);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, "MR32", 2, id), 0);
	vnet_run_for(vn, 180 * 1000);
}

/* Two prefixes, and back at the MR of the newer: the LM's answer has one
 * HOME, the first binding's. MN2 gets 2001:db8:31::/64 at MR31, moves to
 * MR32 whose queries LM3 never answers (lm3_silent_at_mr32): MR32 treats
 * it as new and gives it 2001:db8:32::/64 too. It leaves MR32 and comes back
 * once MR32's context is gone: LM3 answers with both prefixes, the newer
 * one (bound at MR32) first. Before, MR32 took MR32 as home of both; its
 * refresh told LM3 that 31::/64 was at home at MR32, and MR31 cached it as
 * "pass". Now the older prefix's home is its pool's MR (MR31). */
static void came_back_with_two_prefixes(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(2);
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	struct dmm_cache_view cv;
	struct in6_addr server = vnet_a6(FIG1_SERVER), a = fig1_addr(MN2_HNP, 1);
	const struct vnet_pkt *pk;
	unsigned p;

	(void)state;
	lm3_silent_at_mr32(vn, &id);
	assert_true(vnet_mn(vn, "MR32", &id, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_binding(vn, "LM3", "2001:db8:32::/64", &bv));
	assert_true(vnet_binding(vn, "LM3", MN2_HNP, &bv));
	/* away and back, after MR32's context has gone */
	vnet_detach(vn, "MR32", 2);
	vnet_run_for(vn, 5000);
	assert_false(vnet_handover(vn, "MR32", &id, NULL));
	assert_int_equal(vnet_attach(vn, "MR32", 2, &id), 0);
	vnet_run_for(vn, 10 * 1000);
	assert_true(vnet_mn(vn, "MR32", &id, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	for (unsigned i = 0; i < mv.n_hnp; i++) {
		char buf[DMM_PREFIX_STRLEN];
		dmm_prefix_str(&mv.hnp[i], buf, sizeof(buf));
		assert_string_equal(vnet_name_of(vn, &mv.home[i]),
				    strcmp(buf, MN2_HNP) == 0 ? "MR31" : "MR32");
	}
	assert_true(vnet_binding(vn, "LM3", MN2_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.home), "MR31");
	if (vnet_cache(vn, "MR31", MN2_HNP, NULL, &cv)) {
		assert_int_not_equal(cv.state, DMM_CACHE_PASS);
	}
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 2000);
	pk = vnet_packet(vn, p);
	if (pk->state != VNET_PKT_DELIVERED || strcmp(vnet_name(vn, pk->at), "MR32") != 0) {
		char buf[256];
		fail_msg("server -> %s: %s", MN2_HNP, vnet_pkt_str(vn, p, buf, sizeof(buf)));
	}
	assert_false(vn->stuck);
	vnet_free(vn);
}

static void short_contexts(struct dmm_config *c, void *ctx)
{
	(void)ctx;
	c->timers.handover_ctx_ms = 1000;
}

/* A pMR's REDIRECT still being retransmitted when its context ends names
 * an nMR the MN may have left: it is cancelled with the context. MN2 moves
 * MR31 -> MR32; LM3's notify to MRGW is lost (every try), so the server's packet still
 * goes to MR31, which redirects MRGW to MR32, and that REDIRECT's first 3
 * copies are lost. MR31's context ends (1 s), MN2 comes back to MR31
 * (as the nMR: LM3 binds MR32), LM3 notifies MRGW of MR31. Before, the 4th
 * copy then reached MRGW and pointed it back at MR32, where MN2 was not. */
static void redirect_cancelled_with_context(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_mnid id = vnet_mnid(2);
	struct in6_addr server = vnet_a6(FIG1_SERVER), a = fig1_addr(MN2_HNP, 1);
	struct dmm_cache_view cv;
	size_t mark, lost;
	unsigned p, i;

	(void)state;
	fig1_defaults(&o);
	o.tweak = short_contexts;
	vn = fig1_build(&o);
	fig1_attach(vn, "MR31", 2);
	vnet_run_for(vn, 3000);
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR31", NULL));
	vnet_drop_next(vn, DMM_MSG_LM_NOTIFY, "LM3", "MRGW", 4); /* every try */
	fig1_move(vn, "MR31", "MR32", 2, 10);
	assert_true(vnet_cache(vn, "MRGW", MN2_HNP, NULL, &cv));
	assert_string_equal(vnet_name_of(vn, &cv.locator), "MR31");
	/* MRGW still sends to MR31: it forwards and redirects MRGW */
	vnet_drop_next(vn, DMM_MSG_REDIRECT, "MR31", "MRGW", 3);
	mark = vn->n_msgs;
	vnet_send_packet(vn, "MRGW", &server, &a);
	for (i = 0; i < 50 && sent(vn, mark, DMM_MSG_REDIRECT, "MR31", "MRGW", &lost) == 0; i++)
		vnet_run_for(vn, 10);
	assert_int_equal(sent(vn, mark, DMM_MSG_REDIRECT, "MR31", "MRGW", &lost), 1);
	/* the context ends; MN2 back at MR31 */
	vnet_run_for(vn, 600);
	assert_false(vnet_handover(vn, "MR31", &id, NULL));
	vnet_detach(vn, "MR32", 2);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, "MR31", 2, &id), 0);
	vnet_run_for(vn, 10 * 1000);
	check_settled(vn, 2, MN2_HNP, "MR31", "MR31", "MR32", "LM3");
	if (vnet_cache(vn, "MRGW", MN2_HNP, NULL, &cv))
		assert_string_equal(vnet_name_of(vn, &cv.locator), "MR31");
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR31", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* Two prefixes bound at different MRs: MN2 has 2001:db8:31::/64 and
 * 2001:db8:32::/64 at MR32 (as in came_back_with_two_prefixes), moves to
 * MR31, where the update of the first (32::/64) is lost while that of
 * 31::/64 lands, and comes straight back to MR32. LM3's answer names the
 * first binding's location, MR32: back at MR32, which must tell LM3 about
 * 31::/64 too. Before, its binding stayed at MR31 and the server's
 * packets for 31::/64 went there. */
static void came_back_with_bindings_split(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(2);
	struct dmm_binding_view bv;
	struct in6_addr server = vnet_a6(FIG1_SERVER), a = fig1_addr(MN2_HNP, 1);
	const struct vnet_pkt *pk;
	size_t mark, lost;
	unsigned p, i;

	(void)state;
	lm3_silent_at_mr32(vn, &id);
	fig1_move(vn, "MR32", "MR31", 2, 10); /* settled at MR31 */
	vnet_run_for(vn, 5000);
	fig1_move(vn, "MR31", "MR32", 2, 10); /* and at MR32 */
	vnet_run_for(vn, 5000);
	assert_true(vnet_binding(vn, "LM3", MN2_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR32");
	/* to MR31: the first update lost, the second lands */
	mark = vn->n_msgs;
	vnet_drop_next(vn, DMM_MSG_LOC_UPDATE, "MR31", "LM3", 1);
	vnet_detach(vn, "MR32", 2);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, "MR31", 2, &id), 0);
	for (i = 0; i < 100 && sent(vn, mark, DMM_MSG_LOC_UPDATE, "MR31", "LM3", &lost) < 2; i++)
		vnet_run_for(vn, 10);
	vnet_run_for(vn, 10);
	assert_int_equal(sent(vn, mark, DMM_MSG_LOC_UPDATE, "MR31", "LM3", &lost), 2);
	assert_int_equal(lost, 1);
	assert_true(vnet_binding(vn, "LM3", MN2_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR31");
	assert_true(vnet_binding(vn, "LM3", "2001:db8:32::/64", &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR32");
	/* straight back to MR32 */
	vnet_detach(vn, "MR31", 2);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, "MR32", 2, &id), 0);
	vnet_run_for(vn, 10 * 1000);
	assert_true(vnet_binding(vn, "LM3", MN2_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR32");
	assert_string_equal(vnet_name_of(vn, &bv.home), "MR31");
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 2000);
	pk = vnet_packet(vn, p);
	if (pk->state != VNET_PKT_DELIVERED || strcmp(vnet_name(vn, pk->at), "MR32") != 0) {
		char buf[256];
		fail_msg("server -> %s: %s", MN2_HNP, vnet_pkt_str(vn, p, buf, sizeof(buf)));
	}
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A -> B -> C, the pMR's REDIRECT late: MN1 at MR12, to MR11 (its update
 * lost); the server's packet makes MR12 redirect MRGW to MR11, whose first
 * two copies are lost; MN1 goes on to MR2, which asks MR12 for the context
 * (LM1 still binds MR12). MR12 now forwards to MR2: its REDIRECT naming
 * MR11 is cancelled and MRGW redirected to MR2. Before, the third copy
 * reached MRGW after LM1's notify and pointed it at MR11. */
static void redirect_cancelled_on_next_nmr(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(1);
	struct in6_addr server = vnet_a6(FIG1_SERVER), a = fig1_addr(MN1_HNP, 1);
	struct dmm_cache_view cv;
	size_t mark, lost;
	unsigned p, i;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	vnet_run_for(vn, 3000);
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR12", NULL));
	move_update_lost(vn, "MR12", "MR11", "LMHAA1", 1);
	vnet_drop_next(vn, DMM_MSG_REDIRECT, "MR12", "MRGW", 2);
	mark = vn->n_msgs;
	vnet_send_packet(vn, "MRGW", &server, &a);
	for (i = 0; i < 50 && sent(vn, mark, DMM_MSG_REDIRECT, "MR12", "MRGW", &lost) == 0; i++)
		vnet_run_for(vn, 10);
	assert_int_equal(sent(vn, mark, DMM_MSG_REDIRECT, "MR12", "MRGW", &lost), 1);
	assert_int_equal(lost, 1);
	vnet_detach(vn, "MR11", 1);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, "MR2", 1, &id), 0);
	vnet_run_for(vn, 10 * 1000);
	check_settled(vn, 1, MN1_HNP, "MR12", "MR2", "MR11", "LMHAA1");
	if (vnet_cache(vn, "MRGW", MN1_HNP, NULL, &cv))
		assert_string_equal(vnet_name_of(vn, &cv.locator), "MR2");
	p = vnet_send_packet(vn, "MRGW", &server, &a);
	vnet_run_for(vn, 500);
	assert_true(vnet_pkt_path_is(vn, p, "MRGW", "MR2", NULL));
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* MN mn at a, moved to b, then at once to c; b's location update (to
 * lm_b, its own network's LM) does not get through until c's has: a copy
 * delayed on the way, or one an LM forwards to the prefix's LM (lm_b not
 * that LM). It names the binding version b's query saw; the binding has
 * moved on since (c's update, or a's own when c is a: the MN came back),
 * so the LM refuses it: the MN stays bound at c. Before the versions, the
 * LM bound the prefix at b, where the correspondent's packets stopped
 * until c's next refresh (SECURITY.md, "Quick returns, an update still in
 * flight": seen in the lab, LM1 binding MR2 after MR12's update). */
static void delayed_update(unsigned mn, const char *hnp, const char *a, const char *b,
			   const char *c, const char *lm_b, const char *lm)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(mn);
	struct dmm_binding_view bv;
	const struct vnet_msg_rec *r;
	struct vnet_msg_rec cap;
	size_t mark;

	fig1_attach(vn, a, mn);
	vnet_run_for(vn, 3000);
	mark = vn->n_msgs;
	move_update_lost(vn, a, b, lm_b, mn);
	for (r = NULL; mark < vn->n_msgs && r == NULL; mark++)
		if (vn->msgs[mark].lost && vn->msgs[mark].msg.type == DMM_MSG_LOC_UPDATE &&
		    strcmp(vnet_name(vn, vn->msgs[mark].from), b) == 0)
			r = &vn->msgs[mark];
	assert_non_null(r);
	assert_int_equal(r->len > 0, 1);
	assert_true(r->msg.present & DMM_P_VER); /* the version b's query saw */
	cap = *r;
	vnet_detach(vn, b, mn);
	vnet_run_for(vn, 10);
	assert_int_equal(vnet_attach(vn, c, mn, &id), 0);
	vnet_run_for(vn, 1500);
	assert_true(vnet_binding(vn, lm, hnp, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), c);
	/* the delayed copy, within the timestamp window */
	mark = vn->n_msgs;
	assert_int_equal(vnet_deliver_now(vn, &cap.src, lm_b, cap.buf, cap.len), 0);
	vnet_run_for(vn, 200);
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_ACK, lm_b, b);
	if (r == NULL) /* forwarded: the prefix's LM answered through lm_b */
		r = vnet_find_msg(vn, mark, DMM_MSG_LOC_ACK, lm, b);
	assert_non_null(r);
	assert_int_equal(r->msg.status, DMM_ST_STALE_VERSION);
	assert_string_equal(vnet_name_of(vn, &r->msg.prev_location), c);
	vnet_run_for(vn, 10 * 1000); /* retransmissions, contexts expire */
	check_settled(vn, mn, hnp, a, c, b, lm);
	assert_false(vn->stuck);
	vnet_free(vn);
}

/* A -> B -> C, B's update delayed until C's has landed (same network). */
static void delayed_update_after_next_mr(void **state)
{
	(void)state;
	delayed_update(1, MN1_HNP, "MR12", "MR11", "MR2", "LMHAA1", "LMHAA1");
}

/* A -> B -> A, B's update delayed until the MN is back at A: A's update on
 * its return (it found the binding its own) moved the version on. */
static void delayed_update_after_return(void **state)
{
	(void)state;
	delayed_update(2, MN2_HNP, "MR31", "MR32", "MR31", "LM3", "LM3");
}

/* A -> B -> A across networks: B's update goes to B's own LM, which
 * forwards it to the prefix's LM (LM_FWD) once the MN is back at A. */
static void delayed_forward_after_return(void **state)
{
	(void)state;
	delayed_update(1, MN1_HNP, "MR12", "MR2", "MR12", "LMHAA2", "LMHAA1");
}

/* The loser asks again: MN1 at MR12 moves to MR11 (its update held up)
 * and on to MR2 (its first update lost). MR11's update lands before MR2's
 * retransmission: both named the version at MR12, so MR2's is refused,
 * with the version MR11's made. The MN is at MR2: MR2 tells the LM again,
 * naming it, and the binding ends at MR2. */
static void refused_update_sent_again(void **state)
{
	struct vnet *vn = build();
	struct dmm_mnid id = vnet_mnid(1);
	struct dmm_binding_view bv;
	const struct vnet_msg_rec *r = NULL;
	struct vnet_msg_rec cap;
	size_t mark;

	(void)state;
	fig1_attach(vn, "MR12", 1);
	vnet_run_for(vn, 3000);
	mark = vn->n_msgs;
	move_update_lost(vn, "MR12", "MR11", "LMHAA1", 1);
	for (; mark < vn->n_msgs && r == NULL; mark++)
		if (vn->msgs[mark].lost && vn->msgs[mark].msg.type == DMM_MSG_LOC_UPDATE)
			r = &vn->msgs[mark];
	assert_non_null(r);
	cap = *r;
	move_update_lost(vn, "MR11", "MR2", "LMHAA2", 1);
	mark = vn->n_msgs;
	assert_int_equal(vnet_deliver_now(vn, &cap.src, "LMHAA1", cap.buf, cap.len), 0);
	vnet_run_for(vn, 5);
	assert_true(vnet_binding(vn, "LMHAA1", MN1_HNP, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR11");
	vnet_run_for(vn, 2000);
	assert_non_null(vnet_find_msg(vn, mark, DMM_MSG_LM_FWD_REPLY, "LMHAA1", "LMHAA2"));
	r = vnet_find_msg(vn, mark, DMM_MSG_LOC_ACK, "LMHAA2", "MR2");
	assert_non_null(r);
	assert_int_equal(r->msg.status, DMM_ST_STALE_VERSION);
	vnet_run_for(vn, 10 * 1000);
	(void)id;
	check_settled(vn, 1, MN1_HNP, "MR12", "MR2", "MR11", "LMHAA1");
	assert_false(vn->stuck);
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(return_to_pmr),
		cmocka_unit_test(redirected_sender_follows_return),
		cmocka_unit_test(on_to_a_third_mr),
		cmocka_unit_test(redirected_sender_follows_third_mr),
		cmocka_unit_test(came_back_with_two_prefixes),
		cmocka_unit_test(redirect_cancelled_with_context),
		cmocka_unit_test(came_back_with_bindings_split),
		cmocka_unit_test(redirect_cancelled_on_next_nmr),
		cmocka_unit_test(delayed_update_after_next_mr),
		cmocka_unit_test(delayed_update_after_return),
		cmocka_unit_test(delayed_forward_after_return),
		cmocka_unit_test(refused_update_sent_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
