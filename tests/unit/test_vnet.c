/* The virtual network's own data-plane model, fed synthetic ops: the route
 * model of core/node.h (longest prefix, source-specific over catch-all,
 * replace per (prefix, src), HOLD overlay, regular routing to the anchor). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

static struct dmm_dp_op op(enum dmm_dp_kind k, const char *prefix, const char *src,
			   const struct in6_addr *loc, uint32_t link)
{
	struct dmm_dp_op o = { .kind = k, .prefix = vnet_p6(prefix), .link = link };

	if (src)
		o.src = vnet_p6(src);
	if (loc)
		o.locator = *loc;
	return o;
}

static struct vnet *build(void)
{
	struct fig1_opts o;

	fig1_defaults(&o);
	o.ro_mode = DMM_RO_REDIRECT; /* no miss routes: only ours */
	return fig1_build(&o);
}

static void routes(void **state)
{
	struct vnet *vn = build();
	struct in6_addr s31 = fig1_addr("2001:db8:31::/64", 2);
	struct in6_addr s32 = fig1_addr("2001:db8:32::/64", 2);
	struct in6_addr d = fig1_addr("2001:db8:12::/64", 1);
	struct dmm_dp_op o;
	unsigned p;

	(void)state;
	/* nothing anywhere: regular routing to the anchor, which drops it */
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DROPPED);
	assert_int_equal(vnet_packet(vn, p)->n_path, 2);
	o = op(DMM_DP_LOCAL_ADD, "2001:db8:12::/64", NULL, NULL, 1);
	vnet_dp_apply(vn, "MR11", &o);
	o = op(DMM_DP_LOCAL_ADD, "2001:db8:12::/64", NULL, NULL, 3);
	vnet_dp_apply(vn, "MR2", &o);
	o = op(DMM_DP_TUNNEL_ADD, "2001:db8:12::/64", NULL, vnet_addr(vn, "MR11"), 0);
	vnet_dp_apply(vn, "MR12", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR11", NULL));
	/* source-specific beats the catch-all at equal prefix */
	o = op(DMM_DP_TUNNEL_ADD, "2001:db8:12::/64", "2001:db8:31::/64", vnet_addr(vn, "MR2"), 0);
	vnet_dp_apply(vn, "MR12", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR2", NULL));
	assert_int_equal(vnet_packet(vn, p)->link, 3);
	p = vnet_send_packet(vn, "MR32", &s32, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR32", "MR12", "MR11", NULL));
	/* a longer prefix beats a source-specific shorter one */
	o = op(DMM_DP_TUNNEL_ADD, "2001:db8:12::/80", NULL, vnet_addr(vn, "MR11"), 0);
	vnet_dp_apply(vn, "MR12", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR11", NULL));
	o.kind = DMM_DP_TUNNEL_DEL;
	vnet_dp_apply(vn, "MR12", &o);
	/* the last op at equal (prefix, src) replaces; DEL of another kind does not */
	o = op(DMM_DP_PASS_ADD, "2001:db8:12::/64", "2001:db8:31::/64", NULL, 0);
	vnet_dp_apply(vn, "MR12", &o);
	o.kind = DMM_DP_TUNNEL_DEL;
	vnet_dp_apply(vn, "MR12", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_int_equal(vnet_packet(vn, p)->state, VNET_PKT_DROPPED); /* PASS at the anchor */
	o.kind = DMM_DP_PASS_DEL;
	vnet_dp_apply(vn, "MR12", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR11", NULL));
	/* a tunnel at the sender skips the anchor */
	o = op(DMM_DP_TUNNEL_ADD, "2001:db8:12::/64", NULL, vnet_addr(vn, "MR2"), 0);
	vnet_dp_apply(vn, "MR31", &o);
	p = vnet_send_packet(vn, "MR31", &s31, &d);
	assert_true(vnet_pkt_path_is(vn, p, "MR31", "MR2", NULL));
	assert_false(vnet_pkt_path_is(vn, p, "MR31", "MR12", "MR2", NULL));
	vnet_free(vn);
}

static void holds(void **state)
{
	struct vnet *vn = build();
	struct in6_addr s = fig1_addr("2001:db8:31::/64", 2);
	struct in6_addr d = fig1_addr("2001:db8:12::/64", 1);
	struct dmm_dp_op o;
	unsigned p[3];

	(void)state;
	o = op(DMM_DP_LOCAL_ADD, "2001:db8:12::/64", NULL, NULL, 1);
	vnet_dp_apply(vn, "MR12", &o);
	o = op(DMM_DP_HOLD_START, "2001:db8:12::/64", NULL, NULL, 0);
	vnet_dp_apply(vn, "MR12", &o);
	p[0] = vnet_send_packet(vn, "MR31", &s, &d);
	p[1] = vnet_send_packet(vn, "MR31", &s, &d);
	assert_int_equal(vnet_packet(vn, p[0])->state, VNET_PKT_HELD);
	assert_string_equal(vnet_name(vn, vnet_packet(vn, p[0])->at), "MR12");
	o = op(DMM_DP_LOCAL_DEL, "2001:db8:12::/64", NULL, NULL, 1);
	vnet_dp_apply(vn, "MR12", &o);
	o = op(DMM_DP_TUNNEL_ADD, "2001:db8:12::/64", NULL, vnet_addr(vn, "MR2"), 0);
	vnet_dp_apply(vn, "MR12", &o);
	o = op(DMM_DP_LOCAL_ADD, "2001:db8:12::/64", NULL, NULL, 1);
	vnet_dp_apply(vn, "MR2", &o);
	o = op(DMM_DP_HOLD_FLUSH, "2001:db8:12::/64", NULL, NULL, 0);
	vnet_dp_apply(vn, "MR12", &o);
	assert_true(vnet_pkt_path_is(vn, p[0], "MR31", "MR12", "MR2", NULL));
	assert_true(vnet_pkt_path_is(vn, p[1], "MR31", "MR12", "MR2", NULL));
	o = op(DMM_DP_HOLD_START, "2001:db8:12::/64", NULL, NULL, 0);
	vnet_dp_apply(vn, "MR12", &o);
	p[2] = vnet_send_packet(vn, "MR31", &s, &d);
	o.kind = DMM_DP_HOLD_DROP;
	vnet_dp_apply(vn, "MR12", &o);
	assert_int_equal(vnet_packet(vn, p[2])->state, VNET_PKT_DROPPED);
	assert_string_equal(vnet_packet(vn, p[2])->why, "hold dropped");
	vnet_free(vn);
}

/* The recorder's comparisons fail when they should. */
static void expectations_can_fail(void **state)
{
	struct vnet *vn = build();
	size_t mark = vn->n_msgs;
	static const struct vnet_exp right[] = { { DMM_MSG_LOC_QUERY, "MR12", "LMHAA1" } };
	static const struct vnet_exp wrong[] = { { DMM_MSG_LOC_QUERY, "MR11", "LMHAA1" } };

	(void)state;
	vnet_drop_next(vn, DMM_MSG_NONE, "LMHAA1", NULL, 100); /* LMHAA1 mute */
	vnet_attach(vn, "MR12", 1, &(struct dmm_mnid){ .type = DMM_MNID_EUI48, .len = 6 });
	vnet_run_for(vn, 100);
	assert_true(vnet_expect_msgs(vn, mark, right, 1, false));
	assert_false(vnet_expect_msgs(vn, mark, wrong, 1, false));
	assert_false(vnet_expect_msgs(vn, mark, right, 0, false));
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LM_FWD, NULL, NULL), 0);
	vnet_free(vn);
}

/* A scenario's trace: every message (type, from, to, lost), every
 * data-plane op (node, kind, prefix length), what became of a packet sent
 * after the moves, the clock. */
static void trace(struct vnet *vn, char *buf, size_t len)
{
	struct in6_addr s = fig1_addr("2001:db8:31::/64", 2);
	struct in6_addr d;
	size_t off = 0;
	unsigned p;

	vnet_run_for(vn, 1000); /* as fig1_build does */
	fig1_attach(vn, "MR12", 1);
	fig1_move(vn, "MR12", "MR11", 1, 200);
	fig1_move(vn, "MR11", "MR2", 1, 200);
	d = fig1_addr("2001:db8:12::/64", 1);
	p = vnet_send_packet(vn, "MR31", &s, &d);
	vnet_run_for(vn, 3000);
	for (size_t i = 0; i < vn->n_msgs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "m%d,%d,%d,%d;", vn->msgs[i].msg.type,
					vn->msgs[i].from, vn->msgs[i].to, vn->msgs[i].lost);
	for (size_t i = 0; i < vn->n_ops && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "o%d,%d,%u;", vn->ops[i].node,
					vn->ops[i].op.kind, vn->ops[i].op.prefix.len);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "p%s;t%llu",
					vnet_pkt_str(vn, p, (char[96]){ 0 }, 96),
					(unsigned long long)vn->now);
	assert_true(off < len);
}

/* vnet_reset gives back the network vnet_new and vnet_add_node built: the
 * same scenario after a reset leaves the same trace as on the fresh
 * network, message for message (fuzz_node reuses one network). */
static void reset_is_fresh(void **state)
{
	static char first[1 << 16], again[1 << 16];
	struct fig1_opts o;
	struct vnet *vn;

	(void)state;
	fig1_defaults(&o);
	vn = fig1_build(&o); /* built and run 1 s: the trace runs 1 s more */
	trace(vn, first, sizeof(first));
	assert_true(vn->n_msgs > 10);
	assert_int_equal(vnet_reset(vn, o.seed, NULL), 0);
	assert_int_equal(vn->n_msgs, 0);
	vnet_run_for(vn, 1000);
	trace(vn, again, sizeof(again));
	assert_string_equal(first, again);
	vnet_free(vn);
}

/* vnet_release frees every node's core; vnet_reset then needs their
 * configurations (refused without), and gives back the fresh network
 * (fuzz_node releases at the end of each input, resets at the next). */
static void release_then_reset(void **state)
{
	static char first[1 << 16], again[1 << 16];
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_config *c;
	const struct dmm_config *cp[VNET_MAX_NODES];

	(void)state;
	fig1_defaults(&o);
	vn = fig1_build(&o);
	trace(vn, first, sizeof(first));
	c = calloc(vn->n_nodes, sizeof(*c));
	assert_non_null(c);
	for (unsigned i = 0; i < vn->n_nodes; i++) {
		c[i] = *dmm_node_config(vn->nodes[i]->node);
		cp[i] = &c[i];
	}
	vnet_release(vn);
	for (unsigned i = 0; i < vn->n_nodes; i++)
		assert_null(vn->nodes[i]->node);
	assert_int_equal(vnet_reset(vn, o.seed, NULL), DMM_E_CONFIG);
	assert_int_equal(vnet_reset(vn, o.seed, cp), 0);
	vnet_run_for(vn, 1000);
	trace(vn, again, sizeof(again));
	assert_string_equal(first, again);
	vnet_free(vn);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes),
		cmocka_unit_test(holds),
		cmocka_unit_test(expectations_can_fail),
		cmocka_unit_test(reset_is_fresh),
		cmocka_unit_test(release_then_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
