/* Configuration defaults, validation (every problem reported, with its
 * message) and the domain-map lookup (core/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nodetest.h"

#define MAX_MSGS 32

static struct {
	int n;
	char msg[MAX_MSGS][256];
} got;

static void collect(void *ctx, const char *msg)
{
	assert_ptr_equal(ctx, &got);
	if (got.n < MAX_MSGS)
		snprintf(got.msg[got.n], sizeof(got.msg[0]), "%s", msg);
	got.n++;
}

/* Run the check; the count it returns must match the messages it gave. */
static int check(const struct dmm_config *c)
{
	int n;

	memset(&got, 0, sizeof(got));
	n = dmm_config_check(c, collect, &got);
	assert_int_equal(n, got.n);
	assert_int_equal(dmm_config_check(c, NULL, NULL), n); /* err may be NULL */
	return n;
}

/* Exactly one problem, with this message. */
static void only(const struct dmm_config *c, const char *msg)
{
	int n = check(c);

	if (n != 1 || strcmp(got.msg[0], msg) != 0)
		fail_msg("expected only \"%s\", got %d: \"%s\"%s", msg, n,
			 n ? got.msg[0] : "", n > 1 ? " ..." : "");
}

static bool has(const char *msg)
{
	for (int i = 0; i < got.n && i < MAX_MSGS; i++)
		if (strcmp(got.msg[i], msg) == 0)
			return true;
	return false;
}

/* A valid LM+HAA+MR node of network a. */
static void valid(struct dmm_config *c)
{
	nt_config(c, "n1", "2001:db8:ff::1", DMM_ROLE_MR | DMM_ROLE_LM | DMM_ROLE_HAA);
	nt_add_net(c, "a", "2001:db8:a::/48", "2001:db8:ff::1", "2001:db8:ff::1");
	nt_add_net(c, "b", "2001:db8:b::/48", "2001:db8:ff::2", "2001:db8:ff::2");
	c->local_net = 0;
	c->n_pools = 1;
	c->pools[0] = (struct dmm_pool){ .range = nt_p6("2001:db8:a:100::/56"), .plen = 64,
					 .mr = nt_a6("2001:db8:ff::1") };
}

static void test_defaults(void **state)
{
	struct dmm_config c;

	memset(&c, 0x5a, sizeof(c));
	dmm_config_defaults(&c);
	assert_int_equal(c.roles, 0);
	assert_string_equal(c.name, "");
	assert_int_equal(c.local_net, -1);
	assert_int_equal(c.n_nets, 0);
	assert_int_equal(c.n_pools, 0);
	assert_int_equal(c.n_fixed, 0);
	assert_int_equal(c.keys.n, 0);
	assert_int_equal(c.ro_mode, DMM_RO_QUERY);
	assert_true(c.lm_update_on_attach);
	assert_false(c.new_hoa_on_arrival);
	assert_true(c.hold_packets);
	assert_int_equal(c.timers.retrans_initial_ms, 250);
	assert_int_equal(c.timers.retrans_max_ms, 2000);
	assert_int_equal(c.timers.retrans_count, 4);
	assert_int_equal(c.timers.ts_window_ms, 5000);
	assert_int_equal(c.timers.lease_lifetime_s, 3600);
	assert_int_equal(c.timers.binding_lifetime_s, 600);
	assert_int_equal(c.timers.cache_lifetime_s, 300);
	assert_int_equal(c.timers.handover_ctx_ms, 3000);
	assert_int_equal(c.timers.hold_ms, 2000);
	assert_int_equal(c.timers.deprecated_keep_s, 600);
	assert_int_equal(c.timers.ra_lifetime_s, 1800);
	assert_int_equal(c.limits.max_mns, 1024);
	assert_int_equal(c.limits.max_cache, 16384);
	assert_int_equal(c.limits.max_handovers, 1024);
	assert_int_equal(c.limits.max_pending, 4096);
	assert_int_equal(c.limits.max_bindings, 65536);
	assert_int_equal(c.limits.max_subscribers, 64);
	assert_int_equal(c.limits.max_leases, 65536);
	assert_int_equal(c.limits.max_peers, 1024);
	assert_int_equal(c.limits.reply_cache, 256);
	/* every byte not named above is zero (bytewise compares rely on it) */
	static const struct in6_addr any;
	assert_memory_equal(&c.self, &any, sizeof(any));
	assert_memory_equal(&c.nets[DMM_MAX_NETS - 1].lm, &any, sizeof(any));
}

static void test_defaults_invalid_alone(void **state)
{
	struct dmm_config c;

	dmm_config_defaults(&c);
	assert_int_equal(check(&c), 5);
	assert_string_equal(got.msg[0], "no role (mr, lm, haa) enabled");
	assert_string_equal(got.msg[1], "no address for this node");
	assert_string_equal(got.msg[2], "no local network defined in the domain map");
	assert_string_equal(got.msg[3], "this node's local network is not set");
	assert_string_equal(got.msg[4], "no authentication key");
}

static void test_valid(void **state)
{
	struct dmm_config c;

	valid(&c);
	assert_int_equal(check(&c), 0);
	c.roles = DMM_ROLE_MR; /* pools are allowed (ignored) without haa */
	assert_int_equal(check(&c), 0);
	c.n_pools = 0;
	assert_int_equal(check(&c), 0);
	c.timers.retrans_count = 0; /* no retransmission at all is a choice */
	c.timers.retrans_max_ms = c.timers.retrans_initial_ms;
	assert_int_equal(check(&c), 0);
}

static void test_node_fields(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.roles = 0;
	only(&c, "no role (mr, lm, haa) enabled");
	valid(&c);
	c.roles = 1u << 5;
	only(&c, "unknown role bits 0x20");
	valid(&c);
	memset(&c.self, 0, sizeof(c.self));
	only(&c, "no address for this node");
	valid(&c);
	c.keys.n = 0;
	only(&c, "no authentication key");
	valid(&c);
	c.keys.active = 0x999;
	only(&c, "active key 2457 is not in the key ring");
	valid(&c);
	c.keys.n = DMM_MAX_KEYS + 1;
	only(&c, "65 keys, at most 64");
	valid(&c);
	c.ro_mode = (enum dmm_ro_mode)3;
	only(&c, "unknown route optimization mode 3");
	valid(&c);
	c.n_fixed = DMM_MAX_NET_PREFIX + 1;
	only(&c, "9 fixed prefixes, at most 8");
}

static void test_networks(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.n_nets = 0;
	assert_int_equal(check(&c), 2);
	assert_string_equal(got.msg[0], "no local network defined in the domain map");
	assert_string_equal(got.msg[1], "this node's local network is not set");
	valid(&c);
	c.nets[1].n_prefixes = 0;
	only(&c, "network b has no prefix");
	valid(&c);
	memset(&c.nets[1].lm, 0, 16);
	only(&c, "network b has no LM address");
	valid(&c);
	memset(&c.nets[1].haa, 0, 16);
	only(&c, "network b has no HAA address");
	valid(&c);
	strcpy(c.nets[1].name, "a");
	only(&c, "network a defined twice");
	valid(&c);
	c.local_net = -1;
	only(&c, "this node's local network is not set");
	valid(&c);
	c.local_net = 2;
	only(&c, "this node's local network is not set");
	/* counts beyond the arrays are reported, never read past */
	valid(&c);
	c.n_nets = DMM_MAX_NETS + 1;
	assert_true(check(&c) >= 1);
	assert_true(has("17 networks, at most 16"));
	valid(&c);
	c.nets[1].n_prefixes = DMM_MAX_NET_PREFIX + 1;
	only(&c, "network b: 9 prefixes, at most 8");
	/* several problems in one network: all reported */
	valid(&c);
	c.nets[1].n_prefixes = 0;
	memset(&c.nets[1].lm, 0, 16);
	memset(&c.nets[1].haa, 0, 16);
	assert_int_equal(check(&c), 3);
	assert_string_equal(got.msg[0], "network b has no prefix");
	assert_string_equal(got.msg[1], "network b has no LM address");
	assert_string_equal(got.msg[2], "network b has no HAA address");
}

static void test_pools(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.n_pools = 0;
	only(&c, "role haa needs at least one pool");
	valid(&c);
	c.pools[0].plen = 48;
	only(&c, "pool 2001:db8:a:100::/56: length 48 outside /56..128");
	valid(&c);
	c.pools[0].plen = 129;
	only(&c, "pool 2001:db8:a:100::/56: length 129 outside /56..128");
	valid(&c);
	c.pools[0].range = nt_p6("2001:db8:a::/48");
	c.pools[0].plen = 73;
	only(&c, "pool 2001:db8:a::/48: more than 2^24 prefixes (length 73)");
	c.pools[0].plen = 72; /* exactly 2^24 */
	assert_int_equal(check(&c), 0);
	valid(&c);
	memset(&c.pools[0].mr, 0, 16);
	only(&c, "pool 2001:db8:a:100::/56: no MR address");
	valid(&c);
	c.pools[0].mode = (enum dmm_pool_mode)2;
	only(&c, "pool 2001:db8:a:100::/56: unknown mode 2");
	valid(&c);
	c.n_pools = 3;
	c.pools[1] = c.pools[0];
	c.pools[1].range = nt_p6("2001:db8:a:180::/57"); /* inside pool 1 */
	c.pools[2] = c.pools[0];
	c.pools[2].range = nt_p6("2001:db8:a::/52"); /* contains pool 1 and 2 */
	assert_int_equal(check(&c), 3);
	assert_string_equal(got.msg[0], "pool 2001:db8:a:180::/57 overlaps pool 2001:db8:a:100::/56");
	assert_string_equal(got.msg[1], "pool 2001:db8:a::/52 overlaps pool 2001:db8:a:100::/56");
	assert_string_equal(got.msg[2], "pool 2001:db8:a::/52 overlaps pool 2001:db8:a:180::/57");
	c.pools[0].range = nt_p6("2001:db8:a:1000::/56");
	only(&c, "pool 2001:db8:a::/52 overlaps pool 2001:db8:a:180::/57");
	valid(&c);
	c.n_pools = DMM_MAX_POOLS + 1; /* pools 2..16 are empty: more complaints */
	assert_true(check(&c) > 1);
	assert_string_equal(got.msg[0], "17 pools, at most 16");
}

static void test_timers_and_limits(void **state)
{
	struct dmm_config c;
	uint32_t *lim[] = { &c.limits.max_mns, &c.limits.max_cache, &c.limits.max_handovers,
			    &c.limits.max_pending, &c.limits.max_bindings,
			    &c.limits.max_subscribers, &c.limits.max_leases,
			    &c.limits.max_peers, &c.limits.reply_cache };
	uint32_t *life[] = { &c.timers.binding_lifetime_s, &c.timers.lease_lifetime_s,
			     &c.timers.cache_lifetime_s };

	valid(&c);
	c.timers.retrans_initial_ms = 0;
	only(&c, "retransmission timers: need 0 < initial <= max");
	valid(&c);
	c.timers.retrans_max_ms = c.timers.retrans_initial_ms - 1;
	only(&c, "retransmission timers: need 0 < initial <= max");
	valid(&c);
	c.timers.ts_window_ms = 0;
	only(&c, "timestamp window must be positive");
	for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++) {
		valid(&c);
		*life[i] = 0;
		only(&c, i == 0 ? "binding lifetime must be positive"
		      : i == 1 ? "lease lifetime must be positive" : "cache lifetime must be positive");
	}
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		valid(&c);
		*lim[i] = 0;
		only(&c, "table limits must be positive");
	}
	/* everything wrong at once: every problem, in order */
	dmm_config_defaults(&c);
	c.timers.retrans_initial_ms = 0;
	c.timers.ts_window_ms = 0;
	c.timers.lease_lifetime_s = 0;
	c.limits.reply_cache = 0;
	c.roles = DMM_ROLE_HAA;
	assert_int_equal(check(&c), 9);
	assert_string_equal(got.msg[0], "no address for this node");
	assert_string_equal(got.msg[3], "role haa needs at least one pool");
	assert_string_equal(got.msg[4], "no authentication key");
	assert_string_equal(got.msg[5], "retransmission timers: need 0 < initial <= max");
	assert_string_equal(got.msg[6], "timestamp window must be positive");
	assert_string_equal(got.msg[7], "lease lifetime must be positive");
	assert_string_equal(got.msg[8], "table limits must be positive");
}

static void test_net_of(void **state)
{
	struct dmm_config c;
	struct in6_addr a;

	valid(&c);
	/* network c holds a more specific part of a's range */
	nt_add_net(&c, "c", "2001:db8:a:8000::/49", "2001:db8:ff::3", "2001:db8:ff::3");
	c.nets[1].prefixes[1] = nt_p6("2001:db8:a:100::/56"); /* b: more specific still */
	c.nets[1].n_prefixes = 2;
	/* dmm_config_check refuses such a map (an address has one home
	 * network); the lookup is still defined for it */
	assert_int_equal(check(&c), 3);
	assert_true(has("pool 2001:db8:a:100::/56 is in network b, not in this node's local "
			"network a"));
	assert_true(has("network b: prefix 2001:db8:a:100::/56 overlaps prefix 2001:db8:a::/48 "
			"of network a"));
	assert_true(has("network c: prefix 2001:db8:a:8000::/49 overlaps prefix "
			"2001:db8:a::/48 of network a"));

	a = nt_a6("2001:db8:a::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 0);
	a = nt_a6("2001:db8:a:8000::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 2);
	a = nt_a6("2001:db8:a:7fff:ffff:ffff:ffff:ffff");
	assert_int_equal(dmm_config_net_of(&c, &a), 0);
	a = nt_a6("2001:db8:a:1ff::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 1);
	a = nt_a6("2001:db8:b::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 1);
	a = nt_a6("2001:db8:c::1");
	assert_int_equal(dmm_config_net_of(&c, &a), -1);
	/* order of definition does not matter: the longest match wins */
	struct dmm_network t = c.nets[0];
	c.nets[0] = c.nets[2];
	c.nets[2] = t;
	a = nt_a6("2001:db8:a:8000::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 0);
	a = nt_a6("2001:db8:a::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 2);
	/* a ::/0 catch-all loses to everything else, but catches the rest */
	c.nets[0].prefixes[0] = nt_p6("::/0");
	a = nt_a6("2001:db8:c::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 0);
	a = nt_a6("2001:db8:b::1");
	assert_int_equal(dmm_config_net_of(&c, &a), 1);
	c.n_nets = 0;
	assert_int_equal(dmm_config_net_of(&c, &a), -1);
}

/* The domain map: an address has one home network, nodes have addresses
 * others can reach, an MR is in one network. */
static void test_map_meaning(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.nets[1].prefixes[0] = nt_p6("2001:db8:a:8000::/49");
	only(&c, "network b: prefix 2001:db8:a:8000::/49 overlaps prefix 2001:db8:a::/48 of "
	     "network a");
	valid(&c);
	c.nets[1].prefixes[0] = nt_p6("2001:db8:a::/48"); /* the same prefix */
	only(&c, "network b: prefix 2001:db8:a::/48 overlaps prefix 2001:db8:a::/48 of network a");
	valid(&c);
	c.nets[1].prefixes[1] = nt_p6("2001:db8:b:100::/56");
	c.nets[1].n_prefixes = 2;
	only(&c, "network b: prefix 2001:db8:b:100::/56 overlaps its prefix 2001:db8:b::/48");
	valid(&c);
	c.nets[1].prefixes[1] = nt_p6("fe80::/64");
	c.nets[1].n_prefixes = 2;
	only(&c, "network b: prefix fe80::/64 is link-local");
	valid(&c);
	c.nets[1].lm = nt_a6("fe80::2");
	only(&c, "network b: LM address fe80::2 is link-local; use a global or unique-local "
	     "address");
	valid(&c);
	c.nets[1].haa = nt_a6("ff02::2");
	only(&c, "network b: HAA address ff02::2 is multicast; use a global or unique-local "
	     "address");
	valid(&c);
	c.self = nt_a6("fe80::1");
	c.nets[0].lm = c.nets[0].haa = c.pools[0].mr = c.self;
	assert_int_equal(check(&c), 4);
	assert_string_equal(got.msg[0], "this node's address fe80::1 is link-local; use a "
			    "global or unique-local address");
	valid(&c);
	c.nets[0].mrs[0] = nt_a6("2001:db8:ff::1");
	c.nets[0].n_mrs = 1;
	c.nets[1].mrs[0] = nt_a6("2001:db8:ff::1");
	c.nets[1].n_mrs = 1;
	only(&c, "network b: MR 2001:db8:ff::1 is also an MR of network a");
	valid(&c);
	c.nets[0].mrs[0] = nt_a6("2001:db8:ff::11");
	c.nets[0].n_mrs = 1;
	assert_int_equal(check(&c), 2);
	assert_string_equal(got.msg[0], "role mr, but this node's address 2001:db8:ff::1 is not "
			    "among the MRs of network a");
	assert_string_equal(got.msg[1], "pool 2001:db8:a:100::/56: MR 2001:db8:ff::1 is not "
			    "among the MRs of network a");
	valid(&c);
	c.nets[0].lm = nt_a6("2001:db8:ff::9");
	only(&c, "role lm, but network a has its LM at 2001:db8:ff::9, not at this node's "
	     "address");
}

/* Pools lie in this node's network; fixed prefixes in no mobile range. */
static void test_pool_and_fixed_meaning(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.pools[0].range = nt_p6("2001:db8:9:100::/56");
	only(&c, "pool 2001:db8:9:100::/56 is outside every network's prefixes");
	valid(&c);
	c.pools[0].range = nt_p6("2001:db8::/32"); /* holds network a, not inside it */
	c.pools[0].plen = 48;
	only(&c, "pool 2001:db8::/32 is outside every network's prefixes");
	valid(&c);
	c.pools[0].range = nt_p6("2001:db8:b:100::/56");
	only(&c, "pool 2001:db8:b:100::/56 is in network b, not in this node's local network a");
	valid(&c);
	c.pools[0].mr = nt_a6("ff02::1");
	only(&c, "pool 2001:db8:a:100::/56: MR address ff02::1 is multicast");
	valid(&c);
	c.fixed[0] = nt_p6("2001:db8:100::/48");
	c.n_fixed = 1;
	assert_int_equal(check(&c), 0);
	c.fixed[0] = nt_p6("2001:db8:a:ff00::/56"); /* servers inside this node's network */
	assert_int_equal(check(&c), 0);
	c.fixed[0] = nt_p6("2001:db8:100::/48");
	c.fixed[1] = nt_p6("2001:db8:b::/48");          /* equal to network b's */
	c.fixed[2] = nt_p6("2001:db8:100:8000::/49");   /* inside fixed[0] */
	c.fixed[3] = nt_p6("ff05::/16");
	c.fixed[4] = nt_p6("2001:db8:b:100::/56");      /* inside network b */
	c.fixed[5] = nt_p6("2001:db8:a:100::/60");      /* inside pool 1 */
	c.fixed[6] = nt_p6("2001:db8::/32");            /* covers a and b */
	c.n_fixed = 7;
	assert_int_equal(check(&c), 14); /* the /32 overlaps every other one too */
	assert_string_equal(got.msg[0], "fixed prefix 2001:db8:b::/48 covers 2001:db8:b::/48, "
			    "a home prefix of network b");
	assert_string_equal(got.msg[1], "fixed prefix 2001:db8:100:8000::/49 overlaps fixed "
			    "prefix 2001:db8:100::/48");
	assert_string_equal(got.msg[2], "fixed prefix ff05::/16 is multicast");
	assert_string_equal(got.msg[3], "fixed prefix 2001:db8:b:100::/56 overlaps fixed "
			    "prefix 2001:db8:b::/48");
	assert_string_equal(got.msg[4], "fixed prefix 2001:db8:b:100::/56 is in "
			    "2001:db8:b::/48, a home prefix of network b, not of this node's "
			    "network");
	assert_string_equal(got.msg[5], "fixed prefix 2001:db8:a:100::/60 overlaps pool "
			    "2001:db8:a:100::/56");
	assert_true(has("fixed prefix 2001:db8::/32 covers 2001:db8:a::/48, a home prefix of "
			"network a"));
	assert_true(has("fixed prefix 2001:db8::/32 covers 2001:db8:b::/48, a home prefix of "
			"network b"));
}

static struct {
	int n;
	struct dmm_config_at at[MAX_MSGS], other[MAX_MSGS];
	bool has_other[MAX_MSGS];
} where;

static void collect_at(void *ctx, const struct dmm_config_at *at,
		       const struct dmm_config_at *other, const char *msg)
{
	if (where.n < MAX_MSGS) {
		where.at[where.n] = *at;
		where.has_other[where.n] = other != NULL;
		if (other)
			where.other[where.n] = *other;
	}
	where.n++;
}

static void assert_at(int k, enum dmm_config_item item, unsigned i, unsigned j)
{
	assert_int_equal(where.at[k].item, item);
	assert_int_equal(where.at[k].i, i);
	assert_int_equal(where.at[k].j, j);
}

/* dmm_config_check_at names the item of every problem (the parser turns
 * it into a line) and the other item of a conflict. */
static void test_check_at(void **state)
{
	struct dmm_config c;

	valid(&c);
	c.nets[1].prefixes[1] = nt_p6("2001:db8:a:8000::/49");
	c.nets[1].n_prefixes = 2;
	memset(&c.nets[1].haa, 0, 16);
	c.timers.cache_lifetime_s = 0;
	c.n_pools = 2;
	c.pools[1] = c.pools[0];
	memset(&where, 0, sizeof(where));
	assert_int_equal(dmm_config_check_at(&c, collect_at, NULL), 4);
	assert_int_equal(where.n, 4);
	assert_at(0, DMM_CI_NET_HAA, 1, DMM_CI_NONE);
	assert_false(where.has_other[0]);
	assert_at(1, DMM_CI_NET_PREFIX, 1, 1);
	assert_true(where.has_other[1]);
	assert_int_equal(where.other[1].item, DMM_CI_NET_PREFIX);
	assert_int_equal(where.other[1].i, 0);
	assert_int_equal(where.other[1].j, 0);
	assert_at(2, DMM_CI_POOL, 1, DMM_CI_NONE);
	assert_int_equal(where.other[2].item, DMM_CI_POOL);
	assert_int_equal(where.other[2].i, 0);
	assert_at(3, DMM_CI_TIMER, offsetof(struct dmm_timers, cache_lifetime_s), DMM_CI_NONE);
	assert_int_equal(dmm_config_check_at(&c, NULL, NULL), 4); /* err may be NULL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_invalid_alone),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_node_fields),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_timers_and_limits),
		cmocka_unit_test(test_net_of),
		cmocka_unit_test(test_map_meaning),
		cmocka_unit_test(test_pool_and_fixed_meaning),
		cmocka_unit_test(test_check_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
