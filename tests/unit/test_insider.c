/* Insiders (issue 9, finding 8; docs/SECURITY.md): a router that holds the
 * domain key. Real sealed bytes through dmm_node_recv, literal times.
 *
 *   - the LM binds a location only to the MR that sent the update, or lets
 *     the MR a binding points at point it elsewhere (a give-back) or remove
 *     it; only to an MR of the domain map (drop_location);
 *   - home prefixes in LOC_UPDATE and REDIRECT only at their network's
 *     prefix-length (drop_prefix_len);
 *   - the HAA pool check is not bypassed by the location option (test_haa,
 *     test_prohibited);
 *   - node keys: a message sealed with a node key comes from that node (or
 *     from a server to it); with node keys the LM and HAA take updates and
 *     lease requests only under the sender's own key (drop_node_key); a
 *     server's message to a node with a key is sealed with it, so a forged
 *     one under the domain key is dropped there too;
 *   - figure 1 (vnet) with a node key on every router: attach, moves across
 *     networks, traffic; a forged update under the domain key is dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "fig1.h"
#include "nodetest.h"
#include "samples.h"

#define LMA "2001:db8:ff::a1" /* LM + HAA of network a: 2001:db8:a::/48 */
#define LMB "2001:db8:ff::b1" /* LM + HAA of network b: 2001:db8:b::/48 */
#define MR11 "2001:db8:ff::11"
#define MR12 "2001:db8:ff::12"
#define MR13 "2001:db8:ff::13"
#define MR21 "2001:db8:ff::21"
#define HNP "2001:db8:a:100::/64"
#define T0 100000
#define LIFE 600
#define K11 11u /* node key of MR11 */
#define K12 12u /* node key of MR12 */
#define KLMA 13u /* node key of the LM/HAA */
#define KLMB 14u /* node key of the other network's LM */

static struct nodetest T;

/* ---- keys and configs ---- */

static void node_key(struct dmm_keyring *kr, uint32_t id, const char *node)
{
	uint8_t key[DMM_KEY_LEN];
	struct in6_addr a = nt_a6(node);

	sample_key(id, key);
	assert_int_equal(dmm_keyring_add(kr, id, key), 0);
	assert_int_equal(dmm_keyring_bind(kr, id, &a), 0);
}

/* A server's ring: the domain key and the node keys of MR11, MR12 and its own. */
static void server_keys(struct dmm_keyring *kr)
{
	node_key(kr, K11, MR11);
	node_key(kr, K12, MR12);
	node_key(kr, KLMA, LMA);
	node_key(kr, KLMB, LMB);
}

static void server_config(struct dmm_config *c, bool keys)
{
	nt_config(c, "lmhaa-a", LMA, DMM_ROLE_LM | DMM_ROLE_HAA);
	nt_add_net(c, "a", "2001:db8:a::/48", LMA, LMA);
	nt_add_net(c, "b", "2001:db8:b::/48", LMB, LMB);
	c->local_net = 0;
	c->n_pools = 2;
	c->pools[0] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:100::/56"), .plen = 64,
					 .mr = nt_a6(MR11), .mode = DMM_POOL_STATEFUL };
	c->pools[1] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:200::/56"), .plen = 64,
					 .mr = nt_a6(MR12), .mode = DMM_POOL_STATEFUL };
	if (keys)
		server_keys(&c->keys);
}

static void start(const struct dmm_config *c)
{
	assert_int_equal(nt_start(&T, c, T0), 0);
	dmm_node_timer(T.node, T0);
	nt_clear(&T);
}

static int setup_plain(void **state)
{
	struct dmm_config c;

	server_config(&c, false);
	start(&c);
	return 0;
}

static int setup_keys(void **state)
{
	struct dmm_config c;

	server_config(&c, true);
	start(&c);
	return 0;
}

static int teardown(void **state)
{
	nt_stop(&T);
	return 0;
}

/* ---- helpers ---- */

static uint64_t ctr(enum dmm_counter c)
{
	return dmm_node_counter(T.node, c);
}

static bool a6_is(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = nt_a6(s);

	return memcmp(a, &b, sizeof(b)) == 0;
}

/* Seal m as sent by src with key id (0: the domain key) and feed it to the
 * node; dmm_node_recv's result. The sender holds every key (the test plays
 * the insider, who may hold its own node key and the domain key). */
static int send_as(const char *src, uint32_t key, struct dmm_msg *m, dmm_time_t now)
{
	struct dmm_keyring kr;
	struct in6_addr s = nt_a6(src);
	uint8_t buf[DMM_MSG_MAX];
	int len;

	sample_keyring(&kr);
	node_key(&kr, K11, MR11);
	node_key(&kr, K12, MR12);
	node_key(&kr, KLMA, LMA);
	if (m->seq == 0)
		m->seq = T.seq++;
	m->timestamp = dmm_ts_from_ms((uint64_t)(NT_WALL_OFFSET + (int64_t)now));
	m->present |= DMM_P_TIMESTAMP;
	len = dmm_msg_seal_key(&kr, key ? key : SAMPLE_KEY_ID, &s, &T.cfg.self, m, buf,
			       sizeof(buf));
	assert_true(len > 0);
	nt_clear(&T);
	return dmm_node_recv(T.node, &s, &T.cfg.self, buf, (size_t)len, now);
}

/* The one answer captured, to dst, opened with every key. */
static struct dmm_msg answer(const char *dst, enum dmm_msg_type type)
{
	struct dmm_keyring kr;
	struct dmm_msg m;

	assert_int_equal(T.n_sent, 1);
	assert_true(a6_is(&T.sent[0].dst, dst));
	sample_keyring(&kr);
	node_key(&kr, K11, MR11);
	node_key(&kr, K12, MR12);
	node_key(&kr, KLMA, LMA);
	assert_int_equal(dmm_msg_open(&kr, &T.cfg.self, &T.sent[0].dst, T.sent[0].buf,
				      T.sent[0].len, &m), 0);
	assert_int_equal(m.type, type);
	return m;
}

static struct dmm_msg update(unsigned mn, const char *hnp, const char *location,
			     uint32_t lifetime)
{
	struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
			     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HANDOFF,
			     .mnid = nt_mnid(mn), .n_hnp = 1, .handoff = DMM_HI_NEW_IFACE,
			     .lifetime = lifetime };

	m.hnp[0] = nt_p6(hnp);
	m.location = nt_a6(location);
	return m;
}

static struct dmm_msg hoa_req(unsigned mn, const char *hnp, uint32_t lifetime)
{
	struct dmm_msg m = { .type = DMM_MSG_HOA_REQ, .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
			     .present = DMM_P_MNID | DMM_P_HANDOFF, .mnid = nt_mnid(mn),
			     .handoff = DMM_HI_NEW_IFACE, .lifetime = lifetime };

	if (hnp) {
		m.present |= DMM_P_HNP;
		m.n_hnp = 1;
		m.hnp[0] = nt_p6(hnp);
	}
	return m;
}

struct seen {
	unsigned n;
	struct dmm_binding_view b[8];
	struct dmm_lease_view l[8];
};

static void collect_b(void *ctx, const struct dmm_binding_view *v)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->b[s->n] = *v;
	s->n++;
}

static void collect_l(void *ctx, const struct dmm_lease_view *v)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->l[s->n] = *v;
	s->n++;
}

/* Where the LM binds HNP ("" if it binds it nowhere). */
static const char *bound_at(void)
{
	static char out[INET6_ADDRSTRLEN];
	struct seen s = { 0 };
	struct dmm_prefix p = nt_p6(HNP);

	dmm_lm_foreach_binding(T.node, collect_b, &s);
	out[0] = '\0';
	for (unsigned i = 0; i < s.n && i < 8; i++)
		if (dmm_prefix_eq(&s.b[i].prefix, &p))
			inet_ntop(AF_INET6, &s.b[i].location, out, sizeof(out));
	return out;
}

static unsigned n_leases(void)
{
	struct seen s = { 0 };

	dmm_haa_foreach_lease(T.node, collect_l, &s);
	return s.n;
}

/* ---- the LM binds only the sender (address-based, without node keys) ---- */

static void test_lm_binds_only_the_sender(void **state)
{
	struct dmm_msg m;

	/* MR11 names MR12 as the MN's location: refused, counted, nothing bound */
	m = update(1, HNP, MR12, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_LOCATION), 1);
	assert_true(nt_log_has(&T, "refused: location 2001:db8:ff::12 is not the sender's"));
	assert_string_equal(bound_at(), "");
	/* itself: bound */
	m = update(1, HNP, MR11, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 10), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_OK);
	assert_string_equal(bound_at(), MR11);
	/* MR12 points MR11's binding at MR13, or removes it: refused */
	m = update(1, HNP, MR13, LIFE);
	assert_int_equal(send_as(MR12, 0, &m, T0 + 20), 0);
	assert_int_equal(answer(MR12, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	m = update(1, HNP, MR12, 0);
	assert_int_equal(send_as(MR12, 0, &m, T0 + 30), 0);
	assert_int_equal(answer(MR12, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_LOCATION), 3);
	assert_string_equal(bound_at(), MR11);
	/* the MR the binding points at may give it back to another MR (an nMR
	 * that found the MN still attached at the pMR, mr.c mn_give_back) */
	m = update(1, HNP, MR13, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 40), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_OK);
	assert_string_equal(bound_at(), MR13);
	/* a handover: the nMR binds itself */
	m = update(1, HNP, MR12, LIFE);
	assert_int_equal(send_as(MR12, 0, &m, T0 + 50), 0);
	assert_int_equal(answer(MR12, DMM_MSG_LOC_ACK).status, DMM_ST_OK);
	assert_string_equal(bound_at(), MR12);
	assert_int_equal(ctr(DMM_C_DROP_LOCATION), 3);
}

/* With the domain map listing its MRs, a location must be one of them. */
static void test_lm_location_is_a_domain_mr(void **state)
{
	struct dmm_config c;
	struct dmm_msg m;

	nt_stop(&T);
	server_config(&c, false);
	c.nets[0].n_mrs = 2;
	c.nets[0].mrs[0] = nt_a6(MR11);
	c.nets[0].mrs[1] = nt_a6(MR12);
	start(&c);
	m = update(1, HNP, MR13, LIFE);
	assert_int_equal(send_as(MR13, 0, &m, T0), 0);
	assert_int_equal(answer(MR13, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_LOCATION), 1);
	assert_string_equal(bound_at(), "");
	m = update(1, HNP, MR12, LIFE);
	assert_int_equal(send_as(MR12, 0, &m, T0 + 10), 0);
	assert_int_equal(answer(MR12, DMM_MSG_LOC_ACK).status, DMM_ST_OK);
	assert_string_equal(bound_at(), MR12);
}

/* A binding of a /48 would catch every address of the network without a
 * longer binding: home prefixes only at the network's prefix-length. */
static void test_lm_prefix_length(void **state)
{
	struct dmm_config c;
	struct dmm_msg m;

	nt_stop(&T);
	server_config(&c, false);
	c.nets[0].mn_plen = 64;
	start(&c);
	m = update(1, "2001:db8:a::/48", MR11, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	m = update(1, "2001:db8:a:100::1/128", MR11, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 10), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_PREFIX_LEN), 2);
	assert_int_equal(dmm_lm_footprint(T.node, &(uint32_t){ 0 }) > 0, 1);
	assert_string_equal(bound_at(), "");
	m = update(1, HNP, MR11, LIFE);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 20), 0);
	assert_int_equal(answer(MR11, DMM_MSG_LOC_ACK).status, DMM_ST_OK);
	assert_string_equal(bound_at(), MR11);
}

/* ---- node keys ---- */

static void test_node_keys_lm(void **state)
{
	struct dmm_msg m;

	/* MR11 under its own key: bound; the LM answers under MR11's key */
	m = update(1, HNP, MR11, LIFE);
	assert_int_equal(send_as(MR11, K11, &m, T0), 0);
	m = answer(MR11, DMM_MSG_LOC_ACK);
	assert_int_equal(m.status, DMM_ST_OK);
	assert_int_equal(m.key_id, K11);
	assert_string_equal(bound_at(), MR11);
	/* the insider MR12 poses as MR11 under the domain key, then under its
	 * own: both dropped before any role sees them, nothing answered */
	m = update(1, HNP, MR11, 0);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 10), DMM_E_KEY);
	assert_true(nt_log_has(&T, "which is not the sender's"));
	m = update(1, HNP, MR11, 0);
	assert_int_equal(send_as(MR11, K12, &m, T0 + 20), DMM_E_KEY);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 2);
	assert_string_equal(bound_at(), MR11);
	/* under its own key, MR12 cannot name MR11's binding elsewhere */
	m = update(1, HNP, MR13, LIFE);
	assert_int_equal(send_as(MR12, K12, &m, T0 + 30), 0);
	assert_int_equal(answer(MR12, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_LOCATION), 1);
	/* an MR without a node key (MR13, domain key): no update taken, so no
	 * domain-key holder can bind anything; its queries are answered */
	m = update(2, "2001:db8:a:101::/64", MR13, LIFE);
	assert_int_equal(send_as(MR13, 0, &m, T0 + 40), 0);
	assert_int_equal(answer(MR13, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 3);
	/* nor an update by MN id (every binding of the MN, no prefix) */
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_UPDATE, .flags = DMM_F_ACK_REQ | DMM_F_PROXY |
			      DMM_F_BY_MNID, .present = DMM_P_MNID | DMM_P_LOCATION,
			      .mnid = nt_mnid(1), .lifetime = LIFE, .location = nt_a6(MR13) };
	assert_int_equal(send_as(MR13, 0, &m, T0 + 45), 0);
	assert_int_equal(answer(MR13, DMM_MSG_LOC_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 4);
	assert_string_equal(bound_at(), MR11);
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .present = DMM_P_TARGET,
			      .target = nt_a6("2001:db8:a:100::1") };
	assert_int_equal(send_as(MR13, 0, &m, T0 + 50), 0);
	m = answer(MR13, DMM_MSG_LOC_REPLY);
	assert_int_equal(m.status, DMM_ST_OK);
	assert_true(a6_is(&m.location, MR11));
	assert_int_equal(m.key_id, SAMPLE_KEY_ID);
	assert_string_equal(bound_at(), MR11);
}

static void test_node_keys_haa(void **state)
{
	struct dmm_msg m, r;
	char hnp[DMM_PREFIX_STRLEN];

	/* MR11 under its own key gets a prefix of its pool */
	m = hoa_req(1, NULL, 3600);
	assert_int_equal(send_as(MR11, K11, &m, T0), 0);
	r = answer(MR11, DMM_MSG_HOA_REP);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.key_id, K11);
	dmm_prefix_str(&r.hnp[0], hnp, sizeof(hnp));
	assert_int_equal(n_leases(), 1);
	/* the insider MR12 releases it posing as MR11 (domain key, its own
	 * key): dropped; as itself: not the holder */
	m = hoa_req(1, hnp, 0);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 10), DMM_E_KEY);
	m = hoa_req(1, hnp, 0);
	assert_int_equal(send_as(MR11, K12, &m, T0 + 20), DMM_E_KEY);
	m = hoa_req(1, hnp, 0);
	assert_int_equal(send_as(MR12, K12, &m, T0 + 30), 0);
	assert_int_equal(answer(MR12, DMM_MSG_HOA_REP).status, DMM_ST_PROHIBITED);
	assert_int_equal(n_leases(), 1);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 2);
	/* MR11 itself, under the domain key (a downgrade): dropped */
	m = hoa_req(1, hnp, 0);
	assert_int_equal(send_as(MR11, 0, &m, T0 + 40), DMM_E_KEY);
	assert_int_equal(n_leases(), 1);
	/* MR13 has no node key: no lease under the domain key */
	m = hoa_req(3, NULL, 3600);
	assert_int_equal(send_as(MR13, 0, &m, T0 + 50), 0);
	assert_int_equal(answer(MR13, DMM_MSG_HOA_REP).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 4);
	/* the holder releases it under its key */
	m = hoa_req(1, hnp, 0);
	assert_int_equal(send_as(MR11, K11, &m, T0 + 60), 0);
	assert_int_equal(answer(MR11, DMM_MSG_HOA_REP).status, DMM_ST_OK);
	assert_int_equal(n_leases(), 0);
}

static void cfg_err(void *ctx, const char *msg)
{
	snprintf(ctx, 256, "%s", msg);
}

/* An LM with node keys must hold the other LMs' (forwarded updates come
 * under them); the active key must be a domain key. */
static void test_node_keys_config(void **state)
{
	struct dmm_config c;
	char msg[256] = "";

	server_config(&c, false);
	node_key(&c.keys, K11, MR11);
	assert_int_equal(dmm_config_check(&c, cfg_err, msg), 1);
	assert_string_equal(msg, "node keys, but none of LM 2001:db8:ff::b1 of network b: "
				 "with node keys an LM takes forwarded updates only under a "
				 "node key");
	node_key(&c.keys, KLMB, LMB);
	assert_int_equal(dmm_config_check(&c, NULL, NULL), 0);
	c.keys.active = K11;
	assert_int_equal(dmm_config_check(&c, cfg_err, msg), 1);
	assert_string_equal(msg, "active key 11 is a node key (of 2001:db8:ff::11); the active "
				 "key must be a domain key");
}

/* An MR with a node key: seals what it sends a server with it; anything
 * from a server's address under the domain key is forged (the servers seal
 * under its key), anything from another MR under the domain key is not. */
static void mr_config(struct dmm_config *c)
{
	nt_config(c, "mr11", MR11, DMM_ROLE_MR);
	nt_add_net(c, "a", "2001:db8:a::/48", LMA, LMA);
	nt_add_net(c, "b", "2001:db8:b::/48", LMB, LMB);
	c->local_net = 0;
	c->nets[0].mn_plen = 64;
	c->nets[1].mn_plen = 64;
	node_key(&c->keys, K11, MR11);
}

static void test_node_keys_mr(void **state)
{
	struct dmm_config c;
	struct dmm_mnid id = nt_mnid(1);
	struct dmm_msg m;
	unsigned i;

	nt_stop(&T);
	mr_config(&c);
	start(&c);
	/* an attach: the LM query goes out under MR11's key */
	assert_int_equal(dmm_mr_attach(T.node, 7, &id, T0), 0);
	assert_true(T.n_sent >= 1);
	for (i = 0; i < T.n_sent; i++) {
		uint32_t key_id = 0;
		size_t off;
		assert_int_equal(dmm_msg_auth_span(T.sent[i].buf, T.sent[i].len, &key_id, &off), 0);
		assert_int_equal(key_id, K11);
	}
	/* an LM_NOTIFY from the LM's address under the domain key: forged */
	m = (struct dmm_msg){ .type = DMM_MSG_LM_NOTIFY, .present = DMM_P_HNP | DMM_P_LOCATION,
			      .n_hnp = 1, .lifetime = 100 };
	m.hnp[0] = nt_p6("2001:db8:b:5::/64");
	m.location = nt_a6(MR13);
	assert_int_equal(send_as(LMA, 0, &m, T0 + 10), DMM_E_KEY);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 1);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(T.n_ops, 0);
	/* a REDIRECT from another MR under the domain key is taken (MRs share
	 * only the domain key), at the network's prefix length only */
	m = (struct dmm_msg){ .type = DMM_MSG_REDIRECT, .present = DMM_P_HNP | DMM_P_LOCATION,
			      .n_hnp = 1, .lifetime = 100 };
	m.hnp[0] = nt_p6("2001:db8:b::/48");
	m.location = nt_a6(MR21);
	assert_int_equal(send_as(MR21, 0, &m, T0 + 20), 0);
	assert_int_equal(answer(MR21, DMM_MSG_REDIRECT_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_PREFIX_LEN), 1);
	assert_int_equal(T.n_ops, 0);
	m.seq = 0;
	m.hnp[0] = nt_p6("2001:db8:b:5::/64");
	assert_int_equal(send_as(MR21, 0, &m, T0 + 30), 0);
	assert_int_equal(answer(MR21, DMM_MSG_REDIRECT_ACK).status, DMM_ST_OK);
	assert_int_equal(T.n_ops, 1);
	assert_int_equal(T.ops[0].kind, DMM_DP_TUNNEL_ADD);
	assert_int_equal(ctr(DMM_C_DROP_NODE_KEY), 1);
}

/* Without node keys too, a REDIRECT of a whole network is refused. */
static void test_redirect_prefix_length(void **state)
{
	struct dmm_config c;
	struct dmm_msg m = { .type = DMM_MSG_REDIRECT, .present = DMM_P_HNP | DMM_P_LOCATION,
			     .n_hnp = 2, .lifetime = 100 };

	nt_stop(&T);
	nt_config(&c, "mr11", MR11, DMM_ROLE_MR);
	nt_add_net(&c, "a", "2001:db8:a::/48", LMA, LMA);
	nt_add_net(&c, "b", "2001:db8:b::/48", LMB, LMB);
	c.local_net = 0;
	c.nets[1].mn_plen = 64;
	start(&c);
	/* all or nothing: one good prefix and one /49 */
	m.hnp[0] = nt_p6("2001:db8:b:5::/64");
	m.hnp[1] = nt_p6("2001:db8:b::/49");
	m.location = nt_a6(MR21);
	assert_int_equal(send_as(MR21, 0, &m, T0), 0);
	assert_int_equal(answer(MR21, DMM_MSG_REDIRECT_ACK).status, DMM_ST_PROHIBITED);
	assert_int_equal(ctr(DMM_C_DROP_PREFIX_LEN), 1);
	assert_int_equal(T.n_ops, 0);
	assert_true(nt_log_has(&T, "redirect of a /49 prefix"));
}

/* ---- figure 1 with a node key on every router ---- */

static const char *const routers[] = { "LMHAA1", "MR11", "MR12", "LMHAA2", "MR2", "MRGW",
				       "LM3", "HAA3", "MR31", "MR32" };
static const char *const router_addrs[] = {
	"2001:db8:0:1::1", "2001:db8:0:1::11", "2001:db8:0:1::12", "2001:db8:0:2::1",
	"2001:db8:0:2::2", "2001:db8:0:2::99", "2001:db8:0:3::1", "2001:db8:0:3::2",
	"2001:db8:0:3::31", "2001:db8:0:3::32" };
#define N_ROUTERS (sizeof(routers) / sizeof(routers[0]))
#define KBASE 100u

/* Router i's key (id KBASE + i) in kr, bound to its address; all of them,
 * or only the one named. */
static void fig1_node_keys(struct dmm_keyring *kr, const char *only)
{
	for (unsigned i = 0; i < N_ROUTERS; i++) {
		uint8_t key[DMM_KEY_LEN];
		struct in6_addr a = vnet_a6(router_addrs[i]);
		if (only && strcmp(only, routers[i]) != 0)
			continue;
		sample_key(KBASE + i, key);
		assert_int_equal(dmm_keyring_add(kr, KBASE + i, key), 0);
		assert_int_equal(dmm_keyring_bind(kr, KBASE + i, &a), 0);
	}
}

/* tweak: a server holds every router's key, an MR only its own. */
static void keys_tweak(struct dmm_config *c, void *ctx)
{
	bool server = (c->roles & (DMM_ROLE_LM | DMM_ROLE_HAA)) != 0;

	(void)ctx;
	fig1_node_keys(&c->keys, server ? NULL : c->name);
}

static void test_fig1_node_keys(void **state)
{
	struct fig1_opts o;
	struct vnet *vn;
	struct dmm_keyring all;
	struct dmm_mnid mn1 = vnet_mnid(1);
	struct dmm_mn_view mv;
	struct dmm_binding_view bv;
	const struct vnet_msg_rec *r;
	char hnp[DMM_PREFIX_STRLEN];
	size_t mark;

	fig1_defaults(&o);
	o.tweak = keys_tweak;
	vn = fig1_build(&o);
	for (unsigned i = 0; i < N_ROUTERS; i++)
		assert_true(a6_is(vnet_addr(vn, routers[i]), router_addrs[i]));
	fig1_keyring(&all);
	fig1_node_keys(&all, NULL);
	vn->keys = all; /* so that the records can be opened */
	mark = vn->n_msgs;

	assert_int_equal(fig1_attach(vn, "MR11", 1), 0);
	assert_true(vnet_mn(vn, "MR11", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	dmm_prefix_str(&mv.hnp[0], hnp, sizeof(hnp));
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REQ, "MR11", "LMHAA1");
	assert_non_null(r);
	assert_int_equal(r->msg.key_id, KBASE + 1); /* MR11's own key */
	r = vnet_find_msg(vn, mark, DMM_MSG_HOA_REP, "LMHAA1", "MR11");
	assert_non_null(r);
	assert_int_equal(r->msg.key_id, KBASE + 1); /* the server answers under it */
	/* across networks, twice: the LMs forward under node keys too */
	fig1_move(vn, "MR11", "MR2", 1, 100);
	vnet_run_for(vn, 2000);
	assert_true(vnet_mn(vn, "MR2", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	fig1_move(vn, "MR2", "MR31", 1, 100);
	vnet_run_for(vn, 2000);
	assert_true(vnet_mn(vn, "MR31", &mn1, &mv));
	assert_int_equal(mv.state, DMM_MN_ATTACHED);
	assert_true(vnet_binding(vn, "LMHAA1", hnp, &bv));
	assert_string_equal(vnet_name_of(vn, &bv.location), "MR31");
	r = vnet_find_msg(vn, mark, DMM_MSG_CTX_REQ, "MR31", "MR2");
	assert_non_null(r);
	assert_int_equal(r->msg.key_id, FIG1_KEY_ID); /* MR to MR: the domain key */
	for (unsigned i = 0; i < N_ROUTERS; i++) {
		assert_int_equal(vnet_counter(vn, routers[i], DMM_C_DROP_NODE_KEY), 0);
		assert_int_equal(vnet_counter(vn, routers[i], DMM_C_DROP_AUTH), 0);
		assert_int_equal(vnet_counter(vn, routers[i], DMM_C_DROP_KEY), 0);
		assert_int_equal(vnet_counter(vn, routers[i], DMM_C_DROP_LOCATION), 0);
	}

	/* the insider MR32 forges MR31's update of MN1 to LMHAA1 under the
	 * domain key, pointing MN1 at itself: dropped, MN1 stays at MR31 */
	{
		struct dmm_msg m = { .type = DMM_MSG_LOC_UPDATE, .seq = 999,
				     .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
				     .present = DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION |
						DMM_P_TIMESTAMP,
				     .mnid = mn1, .n_hnp = 1, .lifetime = 600 };
		uint8_t buf[DMM_MSG_MAX];
		int len;

		m.hnp[0] = vnet_p6(hnp);
		m.location = *vnet_addr(vn, "MR32");
		m.timestamp = dmm_ts_from_ms((uint64_t)((int64_t)vn->now + vn->wall_offset));
		len = dmm_msg_seal(&all, vnet_addr(vn, "MR31"), vnet_addr(vn, "LMHAA1"), &m, buf,
				   sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(vnet_deliver_now(vn, vnet_addr(vn, "MR31"), "LMHAA1", buf,
						  (size_t)len), DMM_E_KEY);
		assert_int_equal(vnet_counter(vn, "LMHAA1", DMM_C_DROP_NODE_KEY), 1);
		assert_true(vnet_binding(vn, "LMHAA1", hnp, &bv));
		assert_string_equal(vnet_name_of(vn, &bv.location), "MR31");
	}
	vnet_free(vn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lm_binds_only_the_sender, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_lm_location_is_a_domain_mr, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_lm_prefix_length, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_node_keys_lm, setup_keys, teardown),
		cmocka_unit_test_setup_teardown(test_node_keys_haa, setup_keys, teardown),
		cmocka_unit_test_setup_teardown(test_node_keys_mr, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_prefix_length, setup_plain,
						teardown),
		cmocka_unit_test(test_fig1_node_keys),
		cmocka_unit_test(test_node_keys_config),
	};

	dmm_auth_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
