/* Several LMs and HAAs in one local network (draft §3.2): the rendezvous
 * ranking, the deterministic pick, failover after a timeout (sticky,
 * counted), the bindings shared between the LMs of a network, and the
 * HAAs' split pools. A virtual network of its own:
 *
 *   network 1 (2001:db8:10::/44): LMHAA_A, LMHAA_B (LM + HAA each), MR11, MR12
 *   network 2 (2001:db8:20::/44): LMHAA2, MR2
 *
 * HAA_A hands out the lower half of each MR's range, HAA_B the upper half.
 * A test that stops an LM stops only that role: a separate node set-up
 * (sep) puts LM_A, LM_B, HAA_A, HAA_B on four nodes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fig1.h"

#define A_ADDR "2001:db8:0:1::a"
#define B_ADDR "2001:db8:0:1::b"
#define HA_ADDR "2001:db8:0:1::c" /* sep: HAA_A */
#define HB_ADDR "2001:db8:0:1::d" /* sep: HAA_B */

static bool sep; /* LMs and HAAs on separate nodes */
static bool locators; /* every MR with routing locator */

static const struct {
	const char *name, *addr;
	unsigned roles;
	int net;
} nodes[] = {
	{ "LMHAA_A", A_ADDR, DMM_ROLE_LM | DMM_ROLE_HAA, 0 },
	{ "LMHAA_B", B_ADDR, DMM_ROLE_LM | DMM_ROLE_HAA, 0 },
	{ "HAA_A", HA_ADDR, DMM_ROLE_HAA, 0 }, /* sep only */
	{ "HAA_B", HB_ADDR, DMM_ROLE_HAA, 0 }, /* sep only */
	{ "MR11", "2001:db8:0:1::11", DMM_ROLE_MR, 0 },
	{ "MR12", "2001:db8:0:1::12", DMM_ROLE_MR, 0 },
	{ "LMHAA2", "2001:db8:0:2::1", DMM_ROLE_LM | DMM_ROLE_HAA, 1 },
	{ "MR2", "2001:db8:0:2::2", DMM_ROLE_MR, 1 },
};

static const struct {
	const char *haa, *mr, *range;
} pools[] = { /* sep: HAA_A and HAA_B instead of LMHAA_A and LMHAA_B */
	{ "LMHAA_A", "MR11", "2001:db8:11::/49" },
	{ "LMHAA_B", "MR11", "2001:db8:11:8000::/49" },
	{ "LMHAA_A", "MR12", "2001:db8:12::/49" },
	{ "LMHAA_B", "MR12", "2001:db8:12:8000::/49" },
	{ "LMHAA2", "MR2", "2001:db8:20::/48" },
};

static const char *addr_of(const char *name)
{
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (strcmp(nodes[i].name, name) == 0)
			return nodes[i].addr;
	fail_msg("no node %s", name);
	return NULL;
}

static bool in_use(size_t i)
{
	return strncmp(nodes[i].name, "HAA_", 4) != 0 || sep;
}

static const char *pool_haa(size_t k)
{
	if (sep && strcmp(pools[k].haa, "LMHAA_A") == 0)
		return "HAA_A";
	if (sep && strcmp(pools[k].haa, "LMHAA_B") == 0)
		return "HAA_B";
	return pools[k].haa;
}

static void config(size_t i, struct dmm_config *c)
{
	dmm_config_defaults(c);
	c->roles = nodes[i].roles;
	if (sep && strncmp(nodes[i].name, "LMHAA_", 6) == 0)
		c->roles = DMM_ROLE_LM;
	snprintf(c->name, sizeof(c->name), "%s", nodes[i].name);
	c->self = vnet_a6(nodes[i].addr);
	c->local_net = nodes[i].net;
	c->n_nets = 2;
	snprintf(c->nets[0].name, sizeof(c->nets[0].name), "net1");
	c->nets[0].n_prefixes = 1;
	c->nets[0].prefixes[0] = vnet_p6("2001:db8:10::/44");
	c->nets[0].lm = vnet_a6(A_ADDR);
	c->nets[0].haa = vnet_a6(sep ? HA_ADDR : A_ADDR);
	c->nets[0].n_lm_alt = c->nets[0].n_haa_alt = 1;
	c->nets[0].lm_alt[0] = vnet_a6(B_ADDR);
	c->nets[0].haa_alt[0] = vnet_a6(sep ? HB_ADDR : B_ADDR);
	snprintf(c->nets[1].name, sizeof(c->nets[1].name), "net2");
	c->nets[1].n_prefixes = 1;
	c->nets[1].prefixes[0] = vnet_p6("2001:db8:20::/44");
	c->nets[1].lm = c->nets[1].haa = vnet_a6(addr_of("LMHAA2"));
	for (size_t k = 0; k < sizeof(pools) / sizeof(pools[0]); k++) {
		bool mine = strcmp(pool_haa(k), nodes[i].name) == 0;
		bool for_me = strcmp(pools[k].mr, nodes[i].name) == 0;
		if (!mine && !for_me)
			continue;
		c->pools[c->n_pools++] = (struct dmm_pool){
			.range = vnet_p6(pools[k].range), .plen = 64,
			.mr = vnet_a6(addr_of(pools[k].mr)), .mode = DMM_POOL_STATEFUL };
	}
	if (locators && (c->roles & DMM_ROLE_MR)) {
		c->routing = DMM_ROUTING_LOCATOR;
		c->locator = vnet_p6("2001:db8:a000::/44");
		c->locator.addr.s6_addr[5] = (uint8_t)(i << 4); /* one /44 per MR */
	}
	fig1_timers(&c->timers);
	fig1_keyring(&c->keys);
}

static struct vnet *build_sep(bool separate)
{
	struct dmm_keyring kr;
	struct vnet *vn;

	sep = separate;
	fig1_keyring(&kr);
	vn = vnet_new(7, &kr);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		struct dmm_config c;
		if (!in_use(i))
			continue;
		config(i, &c);
		assert_int_equal(dmm_config_check(&c, NULL, NULL), 0);
		assert_true(vnet_add_node(vn, &c) >= 0);
	}
	for (size_t k = 0; k < sizeof(pools) / sizeof(pools[0]); k++) {
		struct dmm_prefix p = vnet_p6(pools[k].range);
		vnet_add_anchor(vn, &p, vnet_find(vn, pools[k].mr), false);
	}
	vnet_run_for(vn, 1000);
	return vn;
}

static struct vnet *build(void)
{
	return build_sep(false);
}

/* The LM (HAA) every MR picks first for MN n: the ranking key is the MN
 * id's type byte and bytes (pick.c). */
static const char *first_pick(unsigned n)
{
	struct dmm_mnid id = vnet_mnid(n);
	struct in6_addr a = vnet_a6(A_ADDR), b = vnet_a6(B_ADDR);
	const struct in6_addr *cand[2] = { &a, &b };
	uint8_t key[1 + DMM_MNID_MAX];
	unsigned order[2];

	key[0] = id.type;
	memcpy(key + 1, id.id, id.len);
	dmm_rank(cand, 2, key, 1 + id.len, order);
	return order[0] == 0 ? "LMHAA_A" : "LMHAA_B";
}

/* An MN whose first pick is (or is not) lm. */
static unsigned mn_picking(const char *lm, bool want, unsigned from)
{
	for (unsigned n = from; n < from + 64; n++)
		if ((strcmp(first_pick(n), lm) == 0) == want)
			return n;
	fail_msg("no MN picks %s", lm);
	return 0;
}

static void kill_node(struct vnet *vn, const char *name)
{
	vnet_drop_next(vn, DMM_MSG_NONE, name, NULL, 1u << 30);
	vnet_drop_next(vn, DMM_MSG_NONE, NULL, name, 1u << 30);
}

/* The ranking: the same on every call, each candidate first for about its
 * share of the keys, and removing a candidate moves only its own keys. */
static void rank_properties(void **state)
{
	struct in6_addr a[3] = { vnet_a6("2001:db8::1"), vnet_a6("2001:db8::2"),
				 vnet_a6("2001:db8::3") };
	const struct in6_addr *three[3] = { &a[0], &a[1], &a[2] };
	const struct in6_addr *two[2] = { &a[0], &a[2] };
	unsigned first[3] = { 0 }, moved_wrongly = 0;

	(void)state;
	for (unsigned k = 0; k < 3000; k++) {
		uint8_t key[4] = { (uint8_t)(k >> 8), (uint8_t)k, 0x5a, 1 };
		unsigned o3[3], o3b[3], o2[2];
		dmm_rank(three, 3, key, sizeof(key), o3);
		dmm_rank(three, 3, key, sizeof(key), o3b);
		assert_memory_equal(o3, o3b, sizeof(o3));
		assert_true(o3[0] != o3[1] && o3[1] != o3[2] && o3[0] != o3[2]);
		first[o3[0]]++;
		dmm_rank(two, 2, key, sizeof(key), o2);
		/* without a[1]: a key a[1] did not rank first keeps its first */
		if (o3[0] != 1 && two[o2[0]] != three[o3[0]])
			moved_wrongly++;
		/* one a[1] ranked first goes to its second choice */
		if (o3[0] == 1 && two[o2[0]] != three[o3[1]])
			moved_wrongly++;
	}
	assert_int_equal(moved_wrongly, 0);
	for (unsigned i = 0; i < 3; i++)
		assert_in_range(first[i], 800, 1200);
}

/* Every request about an MN goes to the LM (HAA) its id ranks first, from
 * both MRs; the binding is at the other LM too (sync), and the prefix
 * comes from the picked HAA's half of the pool. */
static void deterministic_pick_and_sync(void **state)
{
	struct vnet *vn = build();
	unsigned na = mn_picking("LMHAA_A", true, 1), nb = mn_picking("LMHAA_A", false, 1);
	struct dmm_mn_view mv;
	struct dmm_binding_view ba, bb;
	size_t mark = vn->n_msgs;
	const char *pfx;

	(void)state;
	assert_int_equal(fig1_attach(vn, "MR11", na), 0);
	assert_int_equal(fig1_attach(vn, "MR12", nb), 0);
	/* na: everything to A; nb: everything to B */
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_HOA_REQ, "MR11", "LMHAA_A"), 1);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_HOA_REQ, "MR11", "LMHAA_B"), 0);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_UPDATE, "MR11", "LMHAA_A"), 1);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_UPDATE, "MR11", "LMHAA_B"), 0);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_HOA_REQ, "MR12", "LMHAA_B"), 1);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_UPDATE, "MR12", "LMHAA_B"), 1);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_UPDATE, "MR12", "LMHAA_A"), 0);
	/* prefixes from each HAA's own half: never the same prefix twice */
	{
		struct dmm_mnid id = vnet_mnid(na);
		assert_true(vnet_mn(vn, "MR11", &id, &mv));
		assert_int_equal(mv.state, DMM_MN_ATTACHED);
		pfx = vnet_prefix_str(&mv.hnp[0]);
		assert_true(dmm_prefix_contains(&(const struct dmm_prefix){
			vnet_p6("2001:db8:11::/49").addr, 49 }, &mv.hnp[0].addr));
		/* the binding at both LMs, same location */
		assert_true(vnet_binding(vn, "LMHAA_A", pfx, &ba));
		assert_true(vnet_binding(vn, "LMHAA_B", pfx, &bb));
		assert_memory_equal(&ba.location, &bb.location, sizeof(ba.location));
		assert_memory_equal(&ba.location, vnet_addr(vn, "MR11"), 16);
	}
	{
		struct dmm_mnid id = vnet_mnid(nb);
		assert_true(vnet_mn(vn, "MR12", &id, &mv));
		assert_true(dmm_prefix_contains(&(const struct dmm_prefix){
			vnet_p6("2001:db8:12:8000::/49").addr, 49 }, &mv.hnp[0].addr));
		pfx = vnet_prefix_str(&mv.hnp[0]);
		assert_true(vnet_binding(vn, "LMHAA_A", pfx, NULL));
		assert_true(vnet_binding(vn, "LMHAA_B", pfx, NULL));
	}
	assert_true(vnet_counter(vn, "LMHAA_A", DMM_C_LM_SYNC) >= 1);
	assert_true(vnet_counter(vn, "LMHAA_B", DMM_C_LM_SYNC) >= 1);
	assert_int_equal(vnet_counter(vn, NULL, DMM_C_FAILOVER), 0);
	/* na moves to MR12: MR12 asks A too, and the move completes */
	mark = vn->n_msgs;
	fig1_move(vn, "MR11", "MR12", na, 50);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR12", "LMHAA_A"), 1);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR12", "LMHAA_B"), 0);
	{
		struct dmm_mnid id = vnet_mnid(na);
		assert_true(vnet_mn(vn, "MR12", &id, &mv));
		assert_int_equal(mv.state, DMM_MN_ATTACHED);
		pfx = vnet_prefix_str(&mv.hnp[0]);
		assert_true(vnet_binding(vn, "LMHAA_B", pfx, &bb));
		assert_memory_equal(&bb.location, vnet_addr(vn, "MR12"), 16);
	}
	vnet_free(vn);
}

/* routing locator: the binding's per-host locator reaches the sibling LM
 * with the binding, and a query there answers with it. */
static void locator_synced(void **state)
{
	struct vnet *vn;
	unsigned na = mn_picking("LMHAA_A", true, 1);
	struct dmm_mnid id = vnet_mnid(na);
	struct dmm_mn_view mv;
	struct dmm_binding_view ba, bb;
	const char *pfx;

	(void)state;
	locators = true;
	vn = build();
	locators = false;
	assert_int_equal(fig1_attach(vn, "MR11", na), 0);
	assert_true(vnet_mn(vn, "MR11", &id, &mv));
	assert_int_equal(mv.phl[0].len, 64);
	pfx = vnet_prefix_str(&mv.hnp[0]);
	assert_true(vnet_binding(vn, "LMHAA_A", pfx, &ba));
	assert_true(vnet_binding(vn, "LMHAA_B", pfx, &bb));
	assert_true(dmm_prefix_eq(&ba.phl, &mv.phl[0]));
	assert_true(dmm_prefix_eq(&bb.phl, &mv.phl[0]));
	vnet_free(vn);
}

/* LM A stops answering (its HAA does not): an MN attached before (bound
 * at A) moves, and a new MN that picks A attaches; both after one timeout
 * each at most, at B, whose copy of the binding answers: the moved MN
 * keeps its prefix. The failover is counted, A stays passed over
 * (sticky), and a packet from MR2's side reaches the MN. */
static void failover_after_timeout(void **state)
{
	struct vnet *vn = build_sep(true);
	unsigned n1 = mn_picking("LMHAA_A", true, 1);
	unsigned n2 = mn_picking("LMHAA_A", true, n1 + 1);
	unsigned n3 = mn_picking("LMHAA_A", true, n2 + 1);
	struct dmm_mnid id1 = vnet_mnid(n1), id2 = vnet_mnid(n2), id3 = vnet_mnid(n3);
	struct dmm_mn_view mv;
	dmm_time_t down;
	uint32_t fo;
	size_t mark;
	const char *pfx;

	(void)state;
	assert_int_equal(fig1_attach(vn, "MR11", n1), 0);
	assert_true(vnet_mn(vn, "MR11", &id1, &mv));
	pfx = vnet_prefix_str(&mv.hnp[0]);
	assert_true(vnet_binding(vn, "LMHAA_B", pfx, NULL));
	kill_node(vn, "LMHAA_A");

	/* n1 moves: MR12's query to A times out, goes to B, which knows it */
	mark = vn->n_msgs;
	fig1_move(vn, "MR11", "MR12", n1, 50);
	vnet_run_for(vn, 8000);
	assert_true(vnet_mn(vn, "MR12", &id1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), pfx); /* kept its prefix */
	assert_true(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR12", "LMHAA_B") >= 1);
	assert_true(vnet_counter(vn, "MR12", DMM_C_FAILOVER) >= 1);
	{
		struct in6_addr a = vnet_a6(A_ADDR);
		assert_int_equal(dmm_node_peer_health(vnet_node(vn, "MR12"), &a, &down, &fo), 0);
		assert_true(down > vn->now);
		assert_true(fo >= 1);
	}
	/* B's binding says MR12 */
	{
		struct dmm_binding_view bb;
		assert_true(vnet_binding(vn, "LMHAA_B", pfx, &bb));
		assert_memory_equal(&bb.location, vnet_addr(vn, "MR12"), 16);
	}

	/* n2 attaches at MR12: sticky, A is passed over at once */
	mark = vn->n_msgs;
	assert_int_equal(fig1_attach(vn, "MR12", n2), 0);
	vnet_run_for(vn, 1000);
	assert_true(vnet_mn(vn, "MR12", &id2, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_NONE, "MR12", "LMHAA_A"), 0);

	/* n3 attaches at MR11, which has not failed over yet: one timeout */
	mark = vn->n_msgs;
	assert_int_equal(fig1_attach(vn, "MR11", n3), 0);
	vnet_run_for(vn, 8000);
	assert_true(vnet_mn(vn, "MR11", &id3, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_counter(vn, "MR11", DMM_C_FAILOVER) >= 1);

	/* traffic: MR2's side reaches n1 at MR12 and n3 at MR11 through B */
	{
		struct in6_addr src = vnet_a6("2001:db8:20::99");
		struct dmm_prefix p1 = vnet_p6(pfx);
		struct in6_addr d1 = vnet_host(&p1, 1);
		unsigned pk = vnet_send_packet(vn, "MR2", &src, &d1);
		vnet_run_for(vn, 3000);
		pk = vnet_send_packet(vn, "MR2", &src, &d1);
		vnet_run_for(vn, 500);
		assert_true(vnet_pkt_path_is(vn, pk, "MR2", "MR12", NULL));
	}
	vnet_free(vn);
}

/* The HAA holding an MN's lease stops: a move of the MN is not taken for
 * "lease gone" (the other HAA's NOT_FOUND is no verdict while one is
 * down): the nMR retries, and once the HAA answers again the MN is
 * attached with its own prefix. */
static void haa_down_no_verdict(void **state)
{
	struct vnet *vn = build_sep(true);
	unsigned n1 = 1;
	struct dmm_mnid id1;
	struct dmm_mn_view mv;
	const char *pfx;
	char keep[64];
	const char *haa;

	(void)state;
	id1 = vnet_mnid(n1);
	assert_int_equal(fig1_attach(vn, "MR11", n1), 0);
	assert_true(vnet_mn(vn, "MR11", &id1, &mv));
	pfx = vnet_prefix_str(&mv.hnp[0]);
	snprintf(keep, sizeof(keep), "%s", pfx);
	haa = vnet_lease(vn, "HAA_A", keep, NULL) ? "HAA_A" : "HAA_B";
	assert_true(vnet_lease(vn, haa, keep, NULL));
	vnet_drop_next(vn, DMM_MSG_NONE, NULL, haa, 1u << 30);
	fig1_move(vn, "MR11", "MR12", n1, 50);
	vnet_run_for(vn, 8000);
	/* not attached with another prefix */
	if (vnet_mn(vn, "MR12", &id1, &mv) && mv.state == DMM_MN_ATTACHED)
		assert_string_equal(vnet_prefix_str(&mv.hnp[0]), keep);
	assert_true(vnet_counter(vn, "MR12", DMM_C_FAILOVER) >= 1);
	vn->drops[0].count = 0; /* the HAA is back */
	vnet_run_for(vn, 40000);
	assert_true(vnet_mn(vn, "MR12", &id1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_string_equal(vnet_prefix_str(&mv.hnp[0]), keep);
	vnet_free(vn);
}

/* The liveness probe (anycast health) with two LMs: after one failover it
 * stays with the LM that answers, also after the sticky period, so a
 * stopped LM costs one probe's retransmissions once, not every 30 s. */
static void probe_stays_with_answering_lm(void **state)
{
	struct vnet *vn = build_sep(true);
	struct dmm_node *mr = vnet_node(vn, "MR11");
	struct in6_addr a = vnet_a6(A_ADDR);
	dmm_time_t t;
	size_t mark;

	(void)state;
	kill_node(vn, "LMHAA_A");
	assert_int_equal(dmm_node_probe(mr, &a, vn->now), 0);
	t = vn->now;
	vnet_run_for(vn, 6000);
	assert_true(dmm_node_probe_answered(mr) > t); /* answered by B after the failover */
	vnet_run_for(vn, 30000);                      /* A's sticky period is over */
	mark = vn->n_msgs;
	for (int i = 0; i < 5; i++) {
		t = vn->now;
		assert_int_equal(dmm_node_probe(mr, &a, vn->now), 0);
		vnet_run_for(vn, 500);
		assert_true(dmm_node_probe_answered(mr) > t);
	}
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR11", "LMHAA_A"), 0);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR11", "LMHAA_B"), 5);
	vnet_free(vn);
}

/* After the sticky period a recovered LM is picked again. */
static void sticky_then_back(void **state)
{
	struct vnet *vn = build();
	unsigned n1 = mn_picking("LMHAA_A", true, 1), n2 = mn_picking("LMHAA_A", true, n1 + 1);
	size_t mark;

	(void)state;
	/* A silent only for a while: 100 messages to it lost */
	vnet_drop_next(vn, DMM_MSG_NONE, NULL, "LMHAA_A", 100);
	assert_int_equal(fig1_attach(vn, "MR11", n1), 0);
	vnet_run_for(vn, 8000);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_FAILOVER), 1);
	vn->drops[0].count = 0; /* A answers again */
	vnet_run_for(vn, 30000); /* pick.h: DMM_PICK_DOWN_MS */
	mark = vn->n_msgs;
	assert_int_equal(fig1_attach(vn, "MR11", n2), 0);
	assert_int_equal(vnet_count_msgs(vn, mark, DMM_MSG_LOC_QUERY, "MR11", "LMHAA_A"), 1);
	assert_int_equal(vnet_counter(vn, "MR11", DMM_C_FAILOVER), 1);
	vnet_free(vn);
}

/* The checker and the domain-map helpers. */
static void config_siblings(void **state)
{
	struct dmm_config c;
	struct in6_addr b = vnet_a6(B_ADDR);

	(void)state;
	sep = false;
	config(4, &c); /* MR11 */
	assert_string_equal(c.name, "MR11");
	assert_int_equal(dmm_config_check(&c, NULL, NULL), 0);
	assert_int_equal(dmm_net_n_lms(&c.nets[0]), 2);
	assert_true(dmm_net_has_lm(&c.nets[0], &b));
	assert_true(dmm_config_is_haa(&c, &b));
	assert_false(dmm_net_has_lm(&c.nets[1], &b));
	/* listed twice */
	c.nets[0].lm_alt[0] = c.nets[0].lm;
	assert_int_equal(dmm_config_check(&c, NULL, NULL), 1);
	config(1, &c); /* LMHAA_B: its address is the network's second LM */
	assert_string_equal(c.name, "LMHAA_B");
	assert_int_equal(dmm_config_check(&c, NULL, NULL), 0);
	c.nets[0].n_lm_alt = 0;
	assert_int_equal(dmm_config_check(&c, NULL, NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rank_properties),
		cmocka_unit_test(config_siblings),
		cmocka_unit_test(deterministic_pick_and_sync),
		cmocka_unit_test(locator_synced),
		cmocka_unit_test(failover_after_timeout),
		cmocka_unit_test(sticky_then_back),
		cmocka_unit_test(haa_down_no_verdict),
		cmocka_unit_test(probe_stays_with_answering_lm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
