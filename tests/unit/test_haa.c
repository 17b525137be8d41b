/* HAA engine (core/haa.c): real sealed HOA_REQ bytes through dmm_node_recv,
 * the HOA_REP the node sends opened and checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "node_priv.h"
#include "nodetest.h"

#define HAA "2001:db8:ff::a1"
#define MR11 "2001:db8:ff::11" /* pool 1: 2001:db8:a:100::/56, stateful */
#define MR12 "2001:db8:ff::12" /* pool 2: 2001:db8:a:200::/62, stateless, 4 prefixes */
#define MR21 "2001:db8:ff::21" /* an MR of network b: no pool here */
#define T0 1000
#define LEASE_MS (3600 * 1000)

static struct nodetest nt;

static void
haa_config(struct dmm_config *c, uint32_t max_leases)
{
	nt_config(c, "haa-a", HAA, DMM_ROLE_HAA);
	nt_add_net(c, "a", "2001:db8:a::/48", HAA, HAA);
	nt_add_net(c, "b", "2001:db8:b::/48", "2001:db8:ff::b1", "2001:db8:ff::b1");
	c->local_net = 0;
	c->n_pools = 2;
	c->pools[0] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:100::/56"), .plen = 64,
					 .mr = nt_a6(MR11), .mode = DMM_POOL_STATEFUL };
	c->pools[1] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:200::/62"), .plen = 64,
					 .mr = nt_a6(MR12), .mode = DMM_POOL_STATELESS };
	c->limits.max_leases = max_leases;
}

static int
setup(void **state)
{
	struct dmm_config c;

	haa_config(&c, 16);
	assert_int_equal(nt_start(&nt, &c, T0), 0);
	return 0;
}

static int
setup_small(void **state)
{
	struct dmm_config c;

	haa_config(&c, 2);
	assert_int_equal(nt_start(&nt, &c, T0), 0);
	return 0;
}

static int
teardown(void **state)
{
	nt_stop(&nt);
	return 0;
}

/* Send HOA_REQ {mn, hnp?, lifetime} from src; the one reply, opened. */
static struct dmm_msg
hoa_req_loc(const char *src, unsigned mn, const char *hnp, uint32_t lifetime,
	    const char *location, dmm_time_t now)
{
	struct dmm_msg m = { .type = DMM_MSG_HOA_REQ, .flags = DMM_F_ACK_REQ | DMM_F_PROXY,
			     .present = DMM_P_MNID | DMM_P_HANDOFF, .mnid = nt_mnid(mn),
			     .lifetime = lifetime };
	struct dmm_msg rep;
	struct in6_addr s = nt_a6(src);

	m.handoff = hnp ? DMM_HI_SAME_IFACE : DMM_HI_NEW_IFACE;
	if (hnp) {
		m.n_hnp = 1;
		m.hnp[0] = nt_p6(hnp);
		m.present |= DMM_P_HNP;
	}
	if (location) {
		m.location = nt_a6(location);
		m.present |= DMM_P_LOCATION;
	}
	nt_clear(&nt);
	assert_int_equal(nt_recv(&nt, &s, &m, now), 0);
	assert_int_equal(nt.n_sent, 1);
	assert_memory_equal(&nt.sent[0].dst, &s, sizeof(s));
	assert_int_equal(nt_open(&nt, 0, &rep), 0);
	assert_int_equal(rep.type, DMM_MSG_HOA_REP);
	assert_int_equal(rep.seq, m.seq);
	return rep;
}

static struct dmm_msg
hoa_req(const char *src, unsigned mn, const char *hnp, uint32_t lifetime, dmm_time_t now)
{
	return hoa_req_loc(src, mn, hnp, lifetime, NULL, now);
}

static void
assert_granted(const struct dmm_msg *rep, unsigned mn, const char *hnp, const char *home)
{
	struct dmm_prefix p = nt_p6(hnp);
	struct in6_addr h = nt_a6(home);
	struct dmm_mnid id = nt_mnid(mn);

	assert_int_equal(rep->status, DMM_ST_OK);
	assert_true(rep->present & DMM_P_MNID);
	assert_true(dmm_mnid_eq(&rep->mnid, &id));
	assert_int_equal(rep->n_hnp, 1);
	assert_true(dmm_prefix_eq(&rep->hnp[0], &p));
	assert_true(rep->present & DMM_P_HOME);
	assert_memory_equal(&rep->home, &h, sizeof(h));
	assert_int_equal(rep->lifetime, 3600);
}

struct leases {
	unsigned n;
	struct dmm_lease_view v[16];
};

static void
collect(void *ctx, const struct dmm_lease_view *v)
{
	struct leases *l = ctx;

	if (l->n < 16)
		l->v[l->n] = *v;
	l->n++;
}

static struct leases
leases(void)
{
	struct leases l = { 0 };

	dmm_haa_foreach_lease(nt.node, collect, &l);
	return l;
}

static uint64_t
counter(enum dmm_counter c)
{
	return dmm_node_counter(nt.node, c);
}

static void
test_stateful_alloc(void **state)
{
	struct dmm_msg r;
	struct leases l;

	r = hoa_req(MR11, 1, NULL, 0, T0);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
	assert_true(nt_log_has(&nt, "haa: lease 2001:db8:a:100::/64 mn 02:00:00:00:00:01: "
				    "free -> active (allocated)"));
	r = hoa_req(MR11, 2, NULL, 0, T0 + 10);
	assert_granted(&r, 2, "2001:db8:a:101::/64", MR11);
	/* the same MN asks again: same prefix, no new lease */
	r = hoa_req(MR11, 1, NULL, 0, T0 + 20);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
	assert_int_equal(counter(DMM_C_HOA_ALLOC), 2);
	l = leases();
	assert_int_equal(l.n, 2);
	/* the lookup refreshed MN 1's lease */
	for (unsigned i = 0; i < l.n; i++) {
		struct dmm_mnid one = nt_mnid(1);
		if (dmm_mnid_eq(&l.v[i].mnid, &one))
			assert_int_equal(l.v[i].expires, T0 + 20 + LEASE_MS);
	}
}

static void
test_stateless_alloc(void **state)
{
	struct dmm_prefix range = nt_p6("2001:db8:a:200::/62"), first;
	struct dmm_prefix p200 = nt_p6("2001:db8:a:200::/64");
	struct in6_addr mr12 = nt_a6(MR12);
	struct dmm_msg r;

	r = hoa_req(MR12, 7, NULL, 0, T0);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.hnp[0].len, 64);
	assert_true(dmm_prefix_contains(&range, &r.hnp[0].addr));
	first = r.hnp[0];
	/* a prefix that is not the MN's cannot be released; its own can, and
	 * asked for again the hash of the MN id gives the same prefix back */
	r = hoa_req(MR12, 7, "2001:db8:a:200::/64", 0, T0 + 1);
	if (!dmm_prefix_eq(&first, &p200))
		assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	{
		char buf[DMM_PREFIX_STRLEN];
		r = hoa_req(MR12, 7, dmm_prefix_str(&first, buf, sizeof(buf)), 0, T0 + 2);
	}
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(leases().n, 0);
	r = hoa_req(MR12, 7, NULL, 0, T0 + 3);
	assert_true(dmm_prefix_eq(&r.hnp[0], &first));
	assert_memory_equal(&r.home, &mr12, 16);
}

static unsigned
log_count(const char *needle)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nt.n_logs && i < NT_MAX_LOGS; i++)
		k += strstr(nt.logs[i], needle) != NULL;
	return k;
}

static void
test_pool_exhausted(void **state)
{
	struct dmm_prefix got[4];
	struct dmm_msg r;

	for (unsigned mn = 1; mn <= 4; mn++) {
		r = hoa_req(MR12, mn, NULL, 0, T0 + mn);
		assert_int_equal(r.status, DMM_ST_OK);
		got[mn - 1] = r.hnp[0];
		for (unsigned k = 0; k + 1 < mn; k++) /* probing found a free one */
			assert_false(dmm_prefix_eq(&got[k], &got[mn - 1]));
	}
	r = hoa_req(MR12, 5, NULL, 0, T0 + 10);
	assert_int_equal(r.status, DMM_ST_NO_RESOURCES);
	assert_false(r.present & DMM_P_HOME);
	assert_int_equal(counter(DMM_C_TABLE_FULL), 0); /* the pool, not the table */
	/* the warning is rate-limited: one a second however often MRs ask */
	assert_int_equal(log_count("every pool of that MR is full"), 1);
	assert_int_equal(hoa_req(MR12, 6, NULL, 0, T0 + 500).status, DMM_ST_NO_RESOURCES);
	assert_int_equal(log_count("every pool of that MR is full"), 0);
	assert_int_equal(hoa_req(MR12, 7, NULL, 0, T0 + 1009).status, DMM_ST_NO_RESOURCES);
	assert_int_equal(log_count("every pool of that MR is full"), 0);
	assert_int_equal(hoa_req(MR12, 8, NULL, 0, T0 + 1010).status, DMM_ST_NO_RESOURCES);
	assert_int_equal(log_count("every pool of that MR is full"), 1);
	/* an MN that has a lease still gets it */
	r = hoa_req(MR12, 3, NULL, 0, T0 + 11);
	assert_true(dmm_prefix_eq(&r.hnp[0], &got[2]));
	assert_int_equal(leases().n, 4);
}

static void
test_table_full(void **state)
{
	struct dmm_msg r;

	assert_int_equal(hoa_req(MR11, 1, NULL, 0, T0).status, DMM_ST_OK);
	assert_int_equal(hoa_req(MR12, 2, NULL, 0, T0).status, DMM_ST_OK);
	r = hoa_req(MR11, 3, NULL, 0, T0 + 1);
	assert_int_equal(r.status, DMM_ST_NO_RESOURCES);
	assert_int_equal(counter(DMM_C_TABLE_FULL), 1);
	assert_int_equal(leases().n, 2);
	/* a release makes room */
	r = hoa_req(MR11, 1, "2001:db8:a:100::/64", 0, T0 + 2);
	assert_int_equal(r.status, DMM_ST_OK);
	r = hoa_req(MR11, 3, NULL, 0, T0 + 3);
	assert_granted(&r, 3, "2001:db8:a:100::/64", MR11);
}

static void
test_retrieval_by_nmr(void **state)
{
	struct dmm_msg r;
	struct leases l;

	hoa_req(MR11, 1, NULL, 0, T0);
	/* the MN moved to MR21 (another network), which retrieves its state */
	r = hoa_req(MR21, 1, "2001:db8:a:100::/64", 3600, T0 + 500000);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
	l = leases();
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].expires, T0 + 500000 + LEASE_MS);
	{
		struct in6_addr mr11 = nt_a6(MR11);
		assert_memory_equal(&l.v[0].mr, &mr11, 16);
	}
	assert_true(nt_log_has(&nt, "active -> active (renewed)"));
	assert_int_equal(counter(DMM_C_HOA_ALLOC), 1);
}

static void
test_wrong_mn_for_prefix(void **state)
{
	struct dmm_msg r;

	hoa_req(MR11, 1, NULL, 0, T0);
	r = hoa_req(MR21, 2, "2001:db8:a:100::/64", 3600, T0 + 1);
	assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	assert_false(r.present & DMM_P_HOME);
	r = hoa_req(MR21, 1, "2001:db8:a:1ff::/64", 3600, T0 + 2); /* nobody's */
	assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	/* the lease was not touched */
	assert_int_equal(leases().v[0].expires, T0 + LEASE_MS);
}

static void
test_release(void **state)
{
	struct dmm_msg r;

	hoa_req(MR11, 1, NULL, 0, T0);
	r = hoa_req(MR11, 1, "2001:db8:a:100::/64", 0, T0 + 5);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(leases().n, 0);
	assert_int_equal(counter(DMM_C_HOA_RELEASE), 1);
	assert_int_equal(nt.n_events, 1);
	assert_int_equal(nt.events[0].kind, DMM_EV_HOA_RELEASED);
	{
		struct dmm_prefix p = nt_p6("2001:db8:a:100::/64");
		assert_true(dmm_prefix_eq(&nt.events[0].prefix, &p));
	}
	assert_true(nt_log_has(&nt, "active -> free (released)"));
	r = hoa_req(MR21, 1, "2001:db8:a:100::/64", 3600, T0 + 6);
	assert_int_equal(r.status, DMM_ST_NOT_FOUND);
	assert_int_equal(dmm_node_next_deadline(nt.node) >= T0 + LEASE_MS, true);
}

static void
test_expiry_and_realloc(void **state)
{
	struct dmm_msg r;

	hoa_req(MR11, 1, NULL, 0, T0);
	hoa_req(MR11, 2, NULL, 0, T0 + 1000); /* a:101:: */
	assert_int_equal(dmm_node_next_deadline(nt.node), T0 + LEASE_MS);
	dmm_node_timer(nt.node, T0 + LEASE_MS - 1);
	assert_int_equal(leases().n, 2);
	nt_clear(&nt);
	dmm_node_timer(nt.node, T0 + LEASE_MS);
	assert_int_equal(counter(DMM_C_LEASE_EXPIRED), 1);
	assert_int_equal(leases().n, 1);
	assert_true(nt_log_has(&nt, "active -> free (expired)"));
	assert_int_equal(dmm_node_next_deadline(nt.node), T0 + 1000 + LEASE_MS);
	/* the freed prefix is the first free one again, for another MN */
	r = hoa_req(MR11, 3, NULL, 0, T0 + LEASE_MS + 1);
	assert_granted(&r, 3, "2001:db8:a:100::/64", MR11);
	/* and MN 1, back, gets the next free one */
	r = hoa_req(MR11, 1, NULL, 0, T0 + LEASE_MS + 2);
	assert_granted(&r, 1, "2001:db8:a:102::/64", MR11);
}

static void
test_prohibited(void **state)
{
	struct dmm_msg r;

	r = hoa_req(MR21, 1, NULL, 0, T0);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	assert_int_equal(leases().n, 0);
	assert_int_equal(counter(DMM_C_DROP_PEER), 1);
	/* a location option naming MR11 does not make MR21 MR11 (finding 8:
	 * the pool check is not bypassed) */
	r = hoa_req_loc(MR21, 1, NULL, 0, MR11, T0 + 1);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	assert_int_equal(leases().n, 0);
	assert_int_equal(counter(DMM_C_DROP_PEER), 2);
	/* MR11 itself gets its pool's prefix */
	r = hoa_req(MR11, 1, NULL, 0, T0 + 2);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
}

/* Captured messages i and j carry the same answer (they may differ in
 * their timestamp, and so in their MAC: a duplicate is sealed afresh). */
static bool
same_but_timestamp(unsigned i, unsigned j)
{
	struct dmm_msg a, b;

	if (nt_open(&nt, i, &a) != 0 || nt_open(&nt, j, &b) != 0)
		return false;
	a.timestamp = b.timestamp = 0;
	memset(a.mac, 0, sizeof(a.mac));
	memset(b.mac, 0, sizeof(b.mac));
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
test_rejected_input(void **state)
{
	struct dmm_msg m = { .type = DMM_MSG_HOA_REQ, .present = DMM_P_MNID,
			     .mnid = nt_mnid(1) };
	struct in6_addr s = nt_a6(MR11);
	uint8_t buf[DMM_MSG_MAX];
	int len = nt_seal(&nt, &s, &m, T0, buf);

	assert_true(len > 0);
	/* flipped MAC bit: dropped, counted, no state, no answer */
	buf[len - 1] ^= 1;
	assert_int_equal(dmm_node_recv(nt.node, &s, &nt.cfg.self, buf, (size_t)len, T0),
			 DMM_E_AUTH);
	assert_int_equal(counter(DMM_C_DROP_AUTH), 1);
	assert_int_equal(nt.n_sent, 0);
	assert_int_equal(leases().n, 0);
	/* the same request twice: one lease, the same answer twice */
	buf[len - 1] ^= 1;
	assert_int_equal(dmm_node_recv(nt.node, &s, &nt.cfg.self, buf, (size_t)len, T0), 0);
	assert_int_equal(dmm_node_recv(nt.node, &s, &nt.cfg.self, buf, (size_t)len, T0 + 1), 0);
	assert_int_equal(nt.n_sent, 2);
	assert_int_equal(nt.sent[0].len, nt.sent[1].len);
	assert_true(same_but_timestamp(0, 1));
	assert_int_equal(counter(DMM_C_DUP_REQUEST), 1);
	assert_int_equal(counter(DMM_C_HOA_ALLOC), 1);
	/* an LM request to an HAA-only node */
	m = (struct dmm_msg){ .type = DMM_MSG_LOC_QUERY, .present = DMM_P_TARGET,
			      .target = nt_a6("2001:db8:a:100::1") };
	assert_int_equal(nt_recv(&nt, &s, &m, T0 + 2), DMM_E_ROLE);
	assert_int_equal(counter(DMM_C_DROP_ROLE), 1);
	assert_int_equal(nt.n_sent, 2);
}

/* Only the MR that holds a lease (got it, retrieved it or renewed it last:
 * the MN's serving MR) may release it. The anchor MR11 whose MN moved to
 * MR21 (which retrieved the lease) cannot; MR21 can. */
static void
test_release_only_by_holder(void **state)
{
	struct dmm_msg r;

	r = hoa_req(MR11, 1, NULL, 0, T0);
	assert_int_equal(r.status, DMM_ST_OK);
	r = hoa_req(MR21, 1, "2001:db8:a:100::/64", 3600, T0 + 10); /* retrieval */
	assert_int_equal(r.status, DMM_ST_OK);
	r = hoa_req(MR11, 1, "2001:db8:a:100::/64", 0, T0 + 20);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	assert_int_equal(dmm_node_counter(nt.node, DMM_C_HOA_RELEASE), 0);
	assert_int_equal(dmm_node_counter(nt.node, DMM_C_DROP_PEER), 1);
	r = hoa_req(MR12, 1, "2001:db8:a:100::/64", 0, T0 + 30);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	r = hoa_req(MR21, 1, "2001:db8:a:100::/64", 0, T0 + 40);
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(dmm_node_counter(nt.node, DMM_C_HOA_RELEASE), 1);
}

/* Restart (PROCEDURES.md): every lease change reaches dmm_io.persist before
 * the reply is sent; a new node fed those records back hands out none of
 * the leased prefixes again, gives each MN its own, keeps each lease's
 * holder and expiry, and ignores expired records and prefixes in no pool. */
static void
test_restart_keeps_leases(void **state)
{
	static struct nt_store st;
	struct dmm_config c;
	struct dmm_record bad;
	struct dmm_msg r;
	struct leases l;

	memset(&st, 0, sizeof(st));
	nt.store = &st;
	r = hoa_req(MR11, 1, NULL, 0, T0);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
	r = hoa_req(MR11, 2, NULL, 0, T0 + 1);
	assert_granted(&r, 2, "2001:db8:a:101::/64", MR11);
	r = hoa_req(MR21, 2, "2001:db8:a:101::/64", 3600, T0 + 2); /* MN 2 moved: MR21 holds it */
	assert_int_equal(r.status, DMM_ST_OK);
	r = hoa_req(MR12, 3, NULL, 0, T0 + 3);
	assert_int_equal(r.status, DMM_ST_OK);
	r = hoa_req(MR11, 4, NULL, 0, T0 + 4);
	assert_granted(&r, 4, "2001:db8:a:102::/64", MR11);
	r = hoa_req(MR11, 4, "2001:db8:a:102::/64", 0, T0 + 5); /* released */
	assert_int_equal(r.status, DMM_ST_OK);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.deletes, 1);
	for (unsigned i = 0; i < st.n; i++)
		assert_int_equal(st.sent_before[i], 0); /* written before the reply */

	nt_stop(&nt);
	haa_config(&c, 16);
	assert_int_equal(nt_start(&nt, &c, T0 + 100), 0);
	assert_int_equal(nt_restore(&nt, &st, T0 + 100), 3);
	l = leases();
	assert_int_equal(l.n, 3);
	assert_int_equal(counter(DMM_C_HOA_ALLOC), 0);
	assert_true(nt_log_has(&nt, "free -> active (restored)"));
	for (unsigned i = 0; i < l.n; i++)
		if (l.v[i].mnid.id[5] == 2) /* renewed by MR21 at T0 + 2 */
			assert_int_equal(l.v[i].expires, T0 + 2 + LEASE_MS);
	/* a new MN gets a free prefix, not a leased one (102 was released) */
	r = hoa_req(MR11, 5, NULL, 0, T0 + 200);
	assert_granted(&r, 5, "2001:db8:a:102::/64", MR11);
	r = hoa_req(MR11, 6, NULL, 0, T0 + 201);
	assert_granted(&r, 6, "2001:db8:a:103::/64", MR11);
	/* MN 1 asks again: its own prefix */
	r = hoa_req(MR11, 1, NULL, 0, T0 + 202);
	assert_granted(&r, 1, "2001:db8:a:100::/64", MR11);
	/* MN 2's holder survived the restart: only MR21 may release it */
	r = hoa_req(MR11, 2, "2001:db8:a:101::/64", 0, T0 + 203);
	assert_int_equal(r.status, DMM_ST_PROHIBITED);
	r = hoa_req(MR21, 2, "2001:db8:a:101::/64", 0, T0 + 204);
	assert_int_equal(r.status, DMM_ST_OK);

	/* records a new node cannot take */
	nt_stop(&nt);
	assert_int_equal(nt_start(&nt, &c, T0 + LEASE_MS + 10), 0);
	assert_int_equal(nt_restore(&nt, &st, T0 + LEASE_MS + 10), 3); /* all expired */
	assert_int_equal(leases().n, 0);
	bad = st.r[0];
	bad.expires = T0 + 2 * LEASE_MS;
	bad.prefix = nt_p6("2001:db8:b:100::/64");
	assert_int_equal(dmm_node_restore(nt.node, &bad, T0 + LEASE_MS + 10), DMM_E_CONFIG);
	bad.prefix = nt_p6("2001:db8:a:100::/60"); /* inside a pool, not its length */
	assert_int_equal(dmm_node_restore(nt.node, &bad, T0 + LEASE_MS + 10), DMM_E_CONFIG);
	bad.prefix = nt_p6("2001:db8:a:1ff::/64");
	assert_int_equal(dmm_node_restore(nt.node, &bad, T0 + LEASE_MS + 10), 0);
	assert_int_equal(dmm_node_restore(nt.node, &bad, T0 + LEASE_MS + 10), DMM_E_CONFIG);
	bad.kind = (enum dmm_rec_kind)99;
	assert_int_equal(dmm_node_restore(nt.node, &bad, T0 + LEASE_MS + 10), DMM_E_ROLE);
	assert_int_equal(leases().n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stateful_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stateless_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_retrieval_by_nmr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_mn_for_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_realloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prohibited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_only_by_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_leases, setup, teardown),
	};

	dmm_auth_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
