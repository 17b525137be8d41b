/* dmm core: configuration defaults, validation and domain-map lookups. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

void dmm_config_defaults(struct dmm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->local_net = -1;
	c->ro_mode = DMM_RO_QUERY;
	c->lm_update_on_attach = true;
	c->hold_packets = true;
	c->lm_replicate = false; /* every LM must enable it, or replicas are refused */
	c->timers = (struct dmm_timers){
		.retrans_initial_ms = 250,
		.retrans_max_ms = 2000,
		.retrans_count = 4,
		.ts_window_ms = 5000,
		.lease_lifetime_s = 3600,
		.binding_lifetime_s = 600,
		.cache_lifetime_s = 300,
		.handover_ctx_ms = 3000,
		.hold_ms = 2000,
		.deprecated_keep_s = 600,
		.ra_lifetime_s = 1800,
	};
	c->limits = (struct dmm_limits){
		.max_mns = 1024,
		.max_cache = 16384,
		.max_handovers = 1024,
		.max_pending = 4096,
		.max_bindings = 65536,
		.max_subscribers = 64,
		.max_leases = 65536,
		.max_peers = 1024,
		.reply_cache = 256,
		.attach_burst = 8,
		.attach_interval_ms = 1000,
	};
}

struct check {
	void (*err)(void *ctx, const char *msg);
	void *ctx;
	int n;
};

static void complain(struct check *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void complain(struct check *ck, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck->n++;
	if (ck->err)
		ck->err(ck->ctx, buf);
}

static bool addr_unset(const struct in6_addr *a)
{
	static const struct in6_addr any = IN6ADDR_ANY_INIT;
	return memcmp(a, &any, sizeof(any)) == 0;
}

/* A count beyond its array is reported and the scan clamped, so a config
 * built by hand (simulator, tests) is never read past its end. */
static unsigned bounded(struct check *ck, unsigned n, unsigned max, const char *what)
{
	if (n <= max)
		return n;
	complain(ck, "%u %s, at most %u", n, what, max);
	return max;
}

static void check_nets(const struct dmm_config *c, struct check *ck)
{
	unsigned n_nets = bounded(ck, c->n_nets, DMM_MAX_NETS, "networks");

	if (c->n_nets == 0)
		complain(ck, "no local network defined in the domain map");
	for (unsigned i = 0; i < n_nets; i++) {
		const struct dmm_network *net = &c->nets[i];
		if (net->n_prefixes == 0)
			complain(ck, "network %s has no prefix", net->name);
		else if (net->n_prefixes > DMM_MAX_NET_PREFIX)
			complain(ck, "network %.*s: %u prefixes, at most %u", DMM_NAME_MAX,
				 net->name, net->n_prefixes, DMM_MAX_NET_PREFIX);
		if (addr_unset(&net->lm))
			complain(ck, "network %s has no LM address", net->name);
		if (addr_unset(&net->haa))
			complain(ck, "network %s has no HAA address", net->name);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->nets[j].name, net->name) == 0)
				complain(ck, "network %s defined twice", net->name);
	}
	if (c->local_net < 0 || (unsigned)c->local_net >= c->n_nets)
		complain(ck, "this node's local network is not set");
}

static void check_pools(const struct dmm_config *c, struct check *ck)
{
	unsigned n_pools = bounded(ck, c->n_pools, DMM_MAX_POOLS, "pools");

	if ((c->roles & DMM_ROLE_HAA) && c->n_pools == 0)
		complain(ck, "role haa needs at least one pool");
	for (unsigned i = 0; i < n_pools; i++) {
		const struct dmm_pool *p = &c->pools[i];
		if (p->plen < p->range.len || p->plen > 128)
			complain(ck, "pool %u: prefix length %u outside range /%u..128",
				 i + 1, p->plen, p->range.len);
		else if (p->plen - p->range.len > 24)
			complain(ck, "pool %u: more than 2^24 prefixes", i + 1);
		if (addr_unset(&p->mr))
			complain(ck, "pool %u: no MR address", i + 1);
		if (p->mode != DMM_POOL_STATEFUL && p->mode != DMM_POOL_STATELESS)
			complain(ck, "pool %u: unknown mode %u", i + 1, (unsigned)p->mode);
		for (unsigned j = 0; j < i; j++) {
			const struct dmm_pool *q = &c->pools[j];
			if (dmm_prefix_contains(&q->range, &p->range.addr) ||
			    dmm_prefix_contains(&p->range, &q->range.addr))
				complain(ck, "pools %u and %u overlap", j + 1, i + 1);
		}
	}
}

/* Every seal uses the active key: without it the node could send nothing. */
static void check_keys(const struct dmm_keyring *kr, struct check *ck)
{
	unsigned n = bounded(ck, kr->n, DMM_MAX_KEYS, "keys");
	bool found = false;

	if (kr->n == 0) {
		complain(ck, "no authentication key");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		found |= kr->keys[i].id == kr->active;
	if (!found && kr->n <= DMM_MAX_KEYS)
		complain(ck, "active key %u is not in the key ring", kr->active);
}

#define ALL_ROLES (DMM_ROLE_MR | DMM_ROLE_LM | DMM_ROLE_HAA)

int dmm_config_check(const struct dmm_config *c,
		     void (*err)(void *ctx, const char *msg), void *ctx)
{
	struct check ck = { err, ctx, 0 };
	const struct dmm_timers *t = &c->timers;
	const struct dmm_limits *l = &c->limits;

	if (c->roles == 0)
		complain(&ck, "no role (mr, lm, haa) enabled");
	else if (c->roles & ~ALL_ROLES)
		complain(&ck, "unknown role bits %#x", c->roles & ~ALL_ROLES);
	if (addr_unset(&c->self))
		complain(&ck, "no address for this node");
	check_nets(c, &ck);
	check_pools(c, &ck);
	check_keys(&c->keys, &ck);
	if ((unsigned)c->ro_mode > DMM_RO_NONE)
		complain(&ck, "unknown route optimization mode %u", (unsigned)c->ro_mode);
	bounded(&ck, c->n_fixed, DMM_MAX_NET_PREFIX, "fixed prefixes");
	if (t->retrans_initial_ms == 0 || t->retrans_max_ms < t->retrans_initial_ms)
		complain(&ck, "retransmission timers: need 0 < initial <= max");
	if (t->ts_window_ms == 0)
		complain(&ck, "timestamp window must be positive");
	if (t->binding_lifetime_s == 0 || t->lease_lifetime_s == 0 ||
	    t->cache_lifetime_s == 0)
		complain(&ck, "lifetimes must be positive");
	if (l->max_mns == 0 || l->max_cache == 0 || l->max_handovers == 0 ||
	    l->max_pending == 0 || l->max_bindings == 0 || l->max_leases == 0 ||
	    l->max_peers == 0 || l->reply_cache == 0 || l->max_subscribers == 0)
		complain(&ck, "table limits must be positive");
	if (l->attach_interval_ms && l->attach_burst == 0)
		complain(&ck, "attach rate limit: the burst must be positive");
	return ck.n;
}

int dmm_config_net_of(const struct dmm_config *c, const struct in6_addr *a)
{
	int best = -1, best_len = -1;

	for (unsigned i = 0; i < c->n_nets; i++)
		for (unsigned j = 0; j < c->nets[i].n_prefixes; j++) {
			const struct dmm_prefix *p = &c->nets[i].prefixes[j];
			if (p->len > best_len && dmm_prefix_contains(p, a)) {
				best = (int)i;
				best_len = p->len;
			}
		}
	return best;
}
