/* dmm core: configuration defaults, validation and domain-map lookups. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
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
	dmm_config_err_at_fn *err;
	void *ctx;
	int n;
};

#define AT(it, a, b) (&(const struct dmm_config_at){ (it), (a), (b) })
#define NONE DMM_CI_NONE

static void complain(struct check *ck, const struct dmm_config_at *at,
		     const struct dmm_config_at *other, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void complain(struct check *ck, const struct dmm_config_at *at,
		     const struct dmm_config_at *other, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck->n++;
	if (ck->err)
		ck->err(ck->ctx, at, other, buf);
}

static bool addr_unset(const struct in6_addr *a)
{
	static const struct in6_addr any = IN6ADDR_ANY_INIT;
	return memcmp(a, &any, sizeof(any)) == 0;
}

/* Why a peer's address cannot be a node's (signalling goes to it from other
 * links), or NULL: unset addresses are reported as missing elsewhere. */
static const char *addr_unusable(const struct in6_addr *a)
{
	if (a->s6_addr[0] == 0xff)
		return "multicast";
	if (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80)
		return "link-local";
	return NULL;
}

/* The same for a prefix of home or fixed addresses: inside ff00::/8 or
 * fe80::/10. */
static const char *prefix_unusable(const struct dmm_prefix *p)
{
	if (p->len >= 8 && p->addr.s6_addr[0] == 0xff)
		return "multicast";
	if (p->len >= 10 && p->addr.s6_addr[0] == 0xfe && (p->addr.s6_addr[1] & 0xc0) == 0x80)
		return "link-local";
	return NULL;
}

static bool prefixes_overlap(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return dmm_prefix_contains(a, &b->addr) || dmm_prefix_contains(b, &a->addr);
}

static bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static const char *addr_s(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static const char *pfx_s(const struct dmm_prefix *p, char *buf)
{
	return dmm_prefix_str(p, buf, DMM_PREFIX_STRLEN);
}

/* A count beyond its array is reported and the scan clamped, so a config
 * built by hand (simulator, tests) is never read past its end. */
static unsigned bounded(struct check *ck, const struct dmm_config_at *at, unsigned n,
			unsigned max, const char *what)
{
	if (n <= max)
		return n;
	complain(ck, at, NULL, "%u %s, at most %u", n, what, max);
	return max;
}

static unsigned n_nets(const struct dmm_config *c)
{
	return c->n_nets <= DMM_MAX_NETS ? c->n_nets : DMM_MAX_NETS;
}

static unsigned n_prefixes(const struct dmm_network *net)
{
	return net->n_prefixes <= DMM_MAX_NET_PREFIX ? net->n_prefixes : DMM_MAX_NET_PREFIX;
}

static unsigned n_mrs(const struct dmm_network *net)
{
	return net->n_mrs <= DMM_MAX_NET_MRS ? net->n_mrs : DMM_MAX_NET_MRS;
}

/* An LM, HAA or MR address of network i that no peer could reach. */
static void check_node_addr(const struct dmm_network *net, const struct in6_addr *a,
			    const struct dmm_config_at *at, const char *what,
			    struct check *ck)
{
	const char *why = addr_unusable(a);
	char s[INET6_ADDRSTRLEN];

	if (why)
		complain(ck, at, NULL, "network %s: %s address %s is %s; use a global or "
			 "unique-local address", net->name, what, addr_s(a, s), why);
}

/* Prefix j of network i against the prefixes declared before it (in this
 * network and the previous ones): an address must have one home network. */
static void check_net_prefix(const struct dmm_config *c, unsigned i, unsigned j,
			     struct check *ck)
{
	const struct dmm_network *net = &c->nets[i];
	const struct dmm_prefix *p = &net->prefixes[j];
	const char *why = prefix_unusable(p);
	char a[DMM_PREFIX_STRLEN], b[DMM_PREFIX_STRLEN];

	if (why)
		complain(ck, AT(DMM_CI_NET_PREFIX, i, j), NULL, "network %s: prefix %s is %s",
			 net->name, pfx_s(p, a), why);
	for (unsigned k = 0; k <= i; k++)
		for (unsigned l = 0; l < (k == i ? j : n_prefixes(&c->nets[k])); l++) {
			const struct dmm_prefix *q = &c->nets[k].prefixes[l];
			if (!prefixes_overlap(p, q))
				continue;
			if (k == i)
				complain(ck, AT(DMM_CI_NET_PREFIX, i, j), AT(DMM_CI_NET_PREFIX, k, l),
					 "network %s: prefix %s overlaps its prefix %s", net->name,
					 pfx_s(p, a), pfx_s(q, b));
			else
				complain(ck, AT(DMM_CI_NET_PREFIX, i, j), AT(DMM_CI_NET_PREFIX, k, l),
					 "network %s: prefix %s overlaps prefix %s of network %s",
					 net->name, pfx_s(p, a), pfx_s(q, b), c->nets[k].name);
		}
}

/* MR j of network i: reachable, and in no other network before it. */
static void check_net_mr(const struct dmm_config *c, unsigned i, unsigned j,
			 struct check *ck)
{
	const struct dmm_network *net = &c->nets[i];
	char s[INET6_ADDRSTRLEN];

	check_node_addr(net, &net->mrs[j], AT(DMM_CI_NET_MR, i, j), "MR", ck);
	for (unsigned k = 0; k < i; k++)
		for (unsigned l = 0; l < n_mrs(&c->nets[k]); l++)
			if (addr_eq(&c->nets[k].mrs[l], &net->mrs[j]))
				complain(ck, AT(DMM_CI_NET_MR, i, j), AT(DMM_CI_NET_MR, k, l),
					 "network %s: MR %s is also an MR of network %s",
					 net->name, addr_s(&net->mrs[j], s), c->nets[k].name);
}

/* The further LMs (HAAs) of network i: usable addresses, each listed once. */
static void check_siblings(const struct dmm_network *net, unsigned i, bool lm,
			   struct check *ck)
{
	unsigned n = lm ? dmm_net_n_lms(net) : dmm_net_n_haas(net);
	enum dmm_config_item it = lm ? DMM_CI_NET_LM : DMM_CI_NET_HAA;
	const char *what = lm ? "LM" : "HAA";
	char s[INET6_ADDRSTRLEN];

	for (unsigned k = 1; k < n; k++) {
		const struct in6_addr *a = lm ? dmm_net_lm(net, k) : dmm_net_haa(net, k);
		check_node_addr(net, a, AT(it, i, NONE), what, ck);
		for (unsigned l = 0; l < k; l++)
			if (addr_eq(a, lm ? dmm_net_lm(net, l) : dmm_net_haa(net, l)))
				complain(ck, AT(it, i, NONE), NULL, "network %s: %s %s listed twice",
					 net->name, what, addr_s(a, s));
	}
}

static void check_net(const struct dmm_config *c, unsigned i, struct check *ck)
{
	const struct dmm_network *net = &c->nets[i];

	if (net->n_prefixes == 0)
		complain(ck, AT(DMM_CI_NET_PREFIX, i, NONE), NULL, "network %s has no prefix",
			 net->name);
	else if (net->n_prefixes > DMM_MAX_NET_PREFIX)
		complain(ck, AT(DMM_CI_NET, i, NONE), NULL, "network %.*s: %u prefixes, at most %u",
			 DMM_NAME_MAX, net->name, net->n_prefixes, DMM_MAX_NET_PREFIX);
	if (addr_unset(&net->lm))
		complain(ck, AT(DMM_CI_NET_LM, i, NONE), NULL, "network %s has no LM address",
			 net->name);
	if (addr_unset(&net->haa))
		complain(ck, AT(DMM_CI_NET_HAA, i, NONE), NULL, "network %s has no HAA address",
			 net->name);
	check_node_addr(net, &net->lm, AT(DMM_CI_NET_LM, i, NONE), "LM", ck);
	check_node_addr(net, &net->haa, AT(DMM_CI_NET_HAA, i, NONE), "HAA", ck);
	if (net->n_lm_alt > DMM_MAX_NET_LMS - 1 || net->n_haa_alt > DMM_MAX_NET_LMS - 1) {
		complain(ck, AT(DMM_CI_NET, i, NONE), NULL, "network %.*s: more than %u LMs "
			 "or HAAs", DMM_NAME_MAX, net->name, DMM_MAX_NET_LMS);
	} else {
		check_siblings(net, i, true, ck);
		check_siblings(net, i, false, ck);
	}
	if (net->n_mrs > DMM_MAX_NET_MRS)
		complain(ck, AT(DMM_CI_NET, i, NONE), NULL, "network %.*s: %u MRs, at most %u",
			 DMM_NAME_MAX, net->name, net->n_mrs, DMM_MAX_NET_MRS);
	for (unsigned j = 0; j < i; j++)
		if (strcmp(c->nets[j].name, net->name) == 0)
			complain(ck, AT(DMM_CI_NET, i, NONE), AT(DMM_CI_NET, j, NONE),
				 "network %s defined twice", net->name);
	for (unsigned j = 0; j < net->n_prefixes && net->n_prefixes <= DMM_MAX_NET_PREFIX; j++)
		check_net_prefix(c, i, j, ck);
	for (unsigned j = 0; j < net->n_mrs && net->n_mrs <= DMM_MAX_NET_MRS; j++)
		check_net_mr(c, i, j, ck);
}

static bool net_has_mr(const struct dmm_network *net, const struct in6_addr *a)
{
	for (unsigned j = 0; j < n_mrs(net); j++)
		if (addr_eq(&net->mrs[j], a))
			return true;
	return false;
}

/* The roles this node runs are where its local network says they are. */
static void check_local_roles(const struct dmm_config *c, struct check *ck)
{
	const struct dmm_network *n = &c->nets[c->local_net];
	unsigned i = (unsigned)c->local_net;
	char a[INET6_ADDRSTRLEN];

	if (addr_unset(&c->self))
		return; /* reported as missing */
	if ((c->roles & DMM_ROLE_LM) && !addr_unset(&n->lm) && !dmm_net_has_lm(n, &c->self))
		complain(ck, AT(DMM_CI_NET_LM, i, NONE), AT(DMM_CI_SELF, NONE, NONE),
			 "role lm, but network %s has its LM at %s%s, not at this node's address",
			 n->name, addr_s(&n->lm, a), dmm_net_n_lms(n) > 1 ? " (and others)" : "");
	if ((c->roles & DMM_ROLE_HAA) && !addr_unset(&n->haa) && !dmm_net_has_haa(n, &c->self))
		complain(ck, AT(DMM_CI_NET_HAA, i, NONE), AT(DMM_CI_SELF, NONE, NONE),
			 "role haa, but network %s has its HAA at %s%s, not at this node's address",
			 n->name, addr_s(&n->haa, a), dmm_net_n_haas(n) > 1 ? " (and others)" : "");
	/* its peers decapsulate only from the MRs listed: it would be dropped */
	if ((c->roles & DMM_ROLE_MR) && n_mrs(n) > 0 && !net_has_mr(n, &c->self))
		complain(ck, AT(DMM_CI_SELF, NONE, NONE), AT(DMM_CI_NET, i, NONE),
			 "role mr, but this node's address %s is not among the MRs of network %s",
			 addr_s(&c->self, a), n->name);
}

static void check_nets(const struct dmm_config *c, struct check *ck)
{
	unsigned n = bounded(ck, AT(DMM_CI_NODE, NONE, NONE), c->n_nets, DMM_MAX_NETS,
			     "networks");

	if (c->n_nets == 0)
		complain(ck, AT(DMM_CI_LOCAL_NET, NONE, NONE), NULL,
			 "no local network defined in the domain map");
	for (unsigned i = 0; i < n; i++)
		check_net(c, i, ck);
	if (c->local_net < 0 || (unsigned)c->local_net >= n)
		complain(ck, AT(DMM_CI_LOCAL_NET, NONE, NONE), NULL,
			 "this node's local network is not set");
	else
		check_local_roles(c, ck);
}

/* The network whose prefix holds all of p (the longest such), or -1. */
static int net_holding(const struct dmm_config *c, const struct dmm_prefix *p)
{
	int best = -1, best_len = -1;

	for (unsigned k = 0; k < n_nets(c); k++)
		for (unsigned l = 0; l < n_prefixes(&c->nets[k]); l++) {
			const struct dmm_prefix *q = &c->nets[k].prefixes[l];
			if (q->len <= p->len && q->len > best_len &&
			    dmm_prefix_contains(q, &p->addr)) {
				best = (int)k;
				best_len = q->len;
			}
		}
	return best;
}

/* The home network of a pool's prefixes is this node's: other nodes ask
 * that network's HAA about them, and tunnel to the MRs it lists. */
static void check_pool_home(const struct dmm_config *c, unsigned i, struct check *ck)
{
	const struct dmm_pool *p = &c->pools[i];
	int home = net_holding(c, &p->range);
	bool local_ok = c->local_net >= 0 && (unsigned)c->local_net < n_nets(c);
	char a[DMM_PREFIX_STRLEN], s[INET6_ADDRSTRLEN];

	pfx_s(&p->range, a);
	if (c->n_nets == 0)
		return; /* reported: no domain map */
	if (home < 0)
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL,
			 "pool %s is outside every network's prefixes", a);
	else if (local_ok && home != c->local_net)
		complain(ck, AT(DMM_CI_POOL, i, NONE), AT(DMM_CI_NET, (unsigned)home, NONE),
			 "pool %s is in network %s, not in this node's local network %s",
			 a, c->nets[home].name, c->nets[c->local_net].name);
	else if (n_mrs(&c->nets[home]) > 0 && !addr_unset(&p->mr) &&
		 !net_has_mr(&c->nets[home], &p->mr))
		complain(ck, AT(DMM_CI_POOL, i, NONE), AT(DMM_CI_NET, (unsigned)home, NONE),
			 "pool %s: MR %s is not among the MRs of network %s", a,
			 addr_s(&p->mr, s), c->nets[home].name);
	else if (c->nets[home].mn_plen != 0 && p->plen != c->nets[home].mn_plen &&
		 p->plen >= p->range.len && p->plen <= 128) /* else said by check_pool */
		complain(ck, AT(DMM_CI_POOL, i, NONE), AT(DMM_CI_NET, (unsigned)home, NONE),
			 "pool %s: length %u, but network %s has prefix-length %u", a,
			 p->plen, c->nets[home].name, c->nets[home].mn_plen);
}

static void check_pool(const struct dmm_config *c, unsigned i, struct check *ck)
{
	const struct dmm_pool *p = &c->pools[i];
	const char *why = addr_unusable(&p->mr);
	char a[DMM_PREFIX_STRLEN], b[DMM_PREFIX_STRLEN], s[INET6_ADDRSTRLEN];

	pfx_s(&p->range, a);
	if (p->plen < p->range.len || p->plen > 128)
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL,
			 "pool %s: length %u outside /%u..128", a, p->plen, p->range.len);
	else if (p->plen - p->range.len > 24)
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL,
			 "pool %s: more than 2^24 prefixes (length %u)", a, p->plen);
	if (addr_unset(&p->mr))
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL, "pool %s: no MR address", a);
	else if (why)
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL, "pool %s: MR address %s is %s",
			 a, addr_s(&p->mr, s), why);
	if (p->mode != DMM_POOL_STATEFUL && p->mode != DMM_POOL_STATELESS)
		complain(ck, AT(DMM_CI_POOL, i, NONE), NULL, "pool %s: unknown mode %u", a,
			 (unsigned)p->mode);
	for (unsigned j = 0; j < i; j++)
		if (prefixes_overlap(&c->pools[j].range, &p->range))
			complain(ck, AT(DMM_CI_POOL, i, NONE), AT(DMM_CI_POOL, j, NONE),
				 "pool %s overlaps pool %s", a, pfx_s(&c->pools[j].range, b));
	check_pool_home(c, i, ck);
}

static void check_pools(const struct dmm_config *c, struct check *ck)
{
	unsigned n = bounded(ck, AT(DMM_CI_POOL, NONE, NONE), c->n_pools, DMM_MAX_POOLS,
			     "pools");

	if ((c->roles & DMM_ROLE_HAA) && c->n_pools == 0)
		complain(ck, AT(DMM_CI_POOL, NONE, NONE), NULL,
			 "role haa needs at least one pool");
	for (unsigned i = 0; i < n; i++)
		check_pool(c, i, ck);
}

/* A fixed prefix against the domain map, as the LM it is registered with
 * judges it (lm.c): it may not cover a network's prefix (it would answer
 * for every home address nobody has bound) nor lie in another network
 * (whose LM is the authority); inside this node's network, it may not
 * overlap a pool (home addresses handed out). */
static void check_fixed_map(const struct dmm_config *c, unsigned i, struct check *ck)
{
	const struct dmm_prefix *p = &c->fixed[i];
	char a[DMM_PREFIX_STRLEN], b[DMM_PREFIX_STRLEN];

	pfx_s(p, a);
	for (unsigned k = 0; k < n_nets(c); k++)
		for (unsigned l = 0; l < n_prefixes(&c->nets[k]); l++) {
			const struct dmm_prefix *q = &c->nets[k].prefixes[l];
			if (p->len <= q->len && dmm_prefix_contains(p, &q->addr))
				complain(ck, AT(DMM_CI_FIXED, i, NONE), AT(DMM_CI_NET_PREFIX, k, l),
					 "fixed prefix %s covers %s, a home prefix of network %s",
					 a, pfx_s(q, b), c->nets[k].name);
			else if (dmm_prefix_contains(q, &p->addr) && (int)k != c->local_net)
				complain(ck, AT(DMM_CI_FIXED, i, NONE), AT(DMM_CI_NET_PREFIX, k, l),
					 "fixed prefix %s is in %s, a home prefix of network %s, "
					 "not of this node's network", a, pfx_s(q, b),
					 c->nets[k].name);
		}
	for (unsigned k = 0; k < c->n_pools && k < DMM_MAX_POOLS; k++)
		if (prefixes_overlap(p, &c->pools[k].range))
			complain(ck, AT(DMM_CI_FIXED, i, NONE), AT(DMM_CI_POOL, k, NONE),
				 "fixed prefix %s overlaps pool %s", a,
				 pfx_s(&c->pools[k].range, b));
}

/* Fixed correspondents' prefixes: unicast, distinct, not mobile. */
static void check_fixed(const struct dmm_config *c, struct check *ck)
{
	unsigned n = bounded(ck, AT(DMM_CI_FIXED, NONE, NONE), c->n_fixed, DMM_MAX_NET_PREFIX,
			     "fixed prefixes");
	char a[DMM_PREFIX_STRLEN], b[DMM_PREFIX_STRLEN];

	for (unsigned i = 0; i < n && c->n_fixed == n; i++) {
		const struct dmm_prefix *p = &c->fixed[i];
		const char *why = prefix_unusable(p);
		pfx_s(p, a);
		if (why)
			complain(ck, AT(DMM_CI_FIXED, i, NONE), NULL, "fixed prefix %s is %s", a, why);
		for (unsigned j = 0; j < i; j++)
			if (prefixes_overlap(p, &c->fixed[j]))
				complain(ck, AT(DMM_CI_FIXED, i, NONE), AT(DMM_CI_FIXED, j, NONE),
					 "fixed prefix %s overlaps fixed prefix %s", a,
					 pfx_s(&c->fixed[j], b));
		check_fixed_map(c, i, ck);
	}
}

/* routing locator: a locator prefix of /32../48 (its bits up to /48 pick
 * the per-host /64, bits 48-63 make it checksum-neutral), outside every
 * home prefix, pool and fixed prefix of the map. */
static void check_locator(const struct dmm_config *c, struct check *ck)
{
	const struct dmm_prefix *p = &c->locator;
	char a[DMM_PREFIX_STRLEN], b[DMM_PREFIX_STRLEN];
	const char *why;

	if ((unsigned)c->routing > DMM_ROUTING_LOCATOR) {
		complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), NULL, "unknown routing %u",
			 (unsigned)c->routing);
		return;
	}
	if (p->len == 0) {
		if (c->routing == DMM_ROUTING_LOCATOR)
			complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), NULL,
				 "routing locator needs this MR's locator prefix (mr { locator P })");
		return;
	}
	pfx_s(p, a);
	if (!(c->roles & DMM_ROLE_MR))
		complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), NULL, "a locator prefix needs role mr");
	if (p->len < 32 || p->len > 48)
		complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), NULL,
			 "locator prefix %s: its length must be /32 to /48 (each mobile node's "
			 "/64 locator is made of it)", a);
	if ((why = prefix_unusable(p)) != NULL)
		complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), NULL, "locator prefix %s is %s", a, why);
	for (unsigned k = 0; k < n_nets(c); k++)
		for (unsigned l = 0; l < n_prefixes(&c->nets[k]); l++)
			if (prefixes_overlap(p, &c->nets[k].prefixes[l]))
				complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE),
					 AT(DMM_CI_NET_PREFIX, k, l),
					 "locator prefix %s overlaps %s, a home prefix of network %s",
					 a, pfx_s(&c->nets[k].prefixes[l], b), c->nets[k].name);
	for (unsigned k = 0; k < c->n_fixed && k < DMM_MAX_NET_PREFIX; k++)
		if (prefixes_overlap(p, &c->fixed[k]))
			complain(ck, AT(DMM_CI_LOCATOR, NONE, NONE), AT(DMM_CI_FIXED, k, NONE),
				 "locator prefix %s overlaps fixed prefix %s", a,
				 pfx_s(&c->fixed[k], b));
}

/* Every seal uses the active key: without it the node could send nothing. */
static void check_keys(const struct dmm_keyring *kr, struct check *ck)
{
	unsigned n = bounded(ck, AT(DMM_CI_KEYS, NONE, NONE), kr->n, DMM_MAX_KEYS, "keys");
	bool found = false;

	if (kr->n == 0) {
		complain(ck, AT(DMM_CI_KEYS, NONE, NONE), NULL, "no authentication key");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		found |= kr->keys[i].id == kr->active;
	if (!found && kr->n <= DMM_MAX_KEYS)
		complain(ck, AT(DMM_CI_KEYS, NONE, NONE), NULL,
			 "active key %u is not in the key ring", kr->active);
	for (unsigned i = 0; i < n; i++) {
		const struct dmm_key *k = &kr->keys[i];
		char s[INET6_ADDRSTRLEN];
		const char *why;
		if (!k->bound)
			continue;
		if (k->id == kr->active)
			complain(ck, AT(DMM_CI_KEYS, NONE, NONE), NULL,
				 "active key %u is a node key (of %s); the active key must be "
				 "a domain key", k->id, addr_s(&k->node, s));
		else if ((why = addr_unusable(&k->node)) != NULL)
			complain(ck, AT(DMM_CI_KEYS, NONE, NONE), NULL,
				 "key %u: node address %s is %s", k->id, addr_s(&k->node, s), why);
	}
}

/* An LM with node keys takes forwarded updates only under a node key: it
 * must hold the key of every other LM (they seal with it), and they its. */
static void check_node_keys(const struct dmm_config *c, struct check *ck)
{
	char s[INET6_ADDRSTRLEN];

	if (!(c->roles & DMM_ROLE_LM) || !dmm_keyring_has_node_keys(&c->keys))
		return;
	for (unsigned i = 0; i < n_nets(c); i++) {
		const struct in6_addr *lm = &c->nets[i].lm;
		if (addr_unset(lm) || addr_eq(lm, &c->self) ||
		    dmm_keyring_node_key(&c->keys, lm) != NULL)
			continue;
		complain(ck, AT(DMM_CI_KEYS, NONE, NONE), AT(DMM_CI_NET_LM, i, NONE),
			 "node keys, but none of LM %s of network %s: with node keys an LM "
			 "takes forwarded updates only under a node key", addr_s(lm, s),
			 c->nets[i].name);
	}
}

#define TIMER(f) offsetof(struct dmm_timers, f)

static void check_timers(const struct dmm_timers *t, struct check *ck)
{
	static const struct { size_t off; const char *what; } lifetimes[] = {
		{ TIMER(lease_lifetime_s), "lease" },
		{ TIMER(binding_lifetime_s), "binding" },
		{ TIMER(cache_lifetime_s), "cache" },
	};

	if (t->retrans_initial_ms == 0 || t->retrans_max_ms < t->retrans_initial_ms)
		complain(ck, AT(DMM_CI_TIMER, TIMER(retrans_initial_ms), NONE), NULL,
			 "retransmission timers: need 0 < initial <= max");
	if (t->ts_window_ms == 0)
		complain(ck, AT(DMM_CI_TIMER, TIMER(ts_window_ms), NONE), NULL,
			 "timestamp window must be positive");
	for (size_t i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++)
		if (*(const uint32_t *)((const char *)t + lifetimes[i].off) == 0)
			complain(ck, AT(DMM_CI_TIMER, (unsigned)lifetimes[i].off, NONE), NULL,
				 "%s lifetime must be positive", lifetimes[i].what);
}

#define ALL_ROLES (DMM_ROLE_MR | DMM_ROLE_LM | DMM_ROLE_HAA)

int dmm_config_check_at(const struct dmm_config *c, dmm_config_err_at_fn *err, void *ctx)
{
	struct check ck = { err, ctx, 0 };
	const struct dmm_limits *l = &c->limits;
	const char *why = addr_unusable(&c->self);
	char a[INET6_ADDRSTRLEN];

	if (c->roles == 0)
		complain(&ck, AT(DMM_CI_ROLES, NONE, NONE), NULL, "no role (mr, lm, haa) enabled");
	else if (c->roles & ~ALL_ROLES)
		complain(&ck, AT(DMM_CI_ROLES, NONE, NONE), NULL, "unknown role bits %#x",
			 c->roles & ~ALL_ROLES);
	if (addr_unset(&c->self))
		complain(&ck, AT(DMM_CI_SELF, NONE, NONE), NULL, "no address for this node");
	else if (why)
		complain(&ck, AT(DMM_CI_SELF, NONE, NONE), NULL, "this node's address %s is %s; "
			 "use a global or unique-local address", addr_s(&c->self, a), why);
	check_nets(c, &ck);
	check_pools(c, &ck);
	check_keys(&c->keys, &ck);
	check_node_keys(c, &ck);
	if ((unsigned)c->ro_mode > DMM_RO_NONE)
		complain(&ck, AT(DMM_CI_RO_MODE, NONE, NONE), NULL,
			 "unknown route optimization mode %u", (unsigned)c->ro_mode);
	check_fixed(c, &ck);
	check_locator(c, &ck);
	check_timers(&c->timers, &ck);
	if (l->max_mns == 0 || l->max_cache == 0 || l->max_handovers == 0 ||
	    l->max_pending == 0 || l->max_bindings == 0 || l->max_leases == 0 ||
	    l->max_peers == 0 || l->reply_cache == 0 || l->max_subscribers == 0)
		complain(&ck, AT(DMM_CI_LIMIT, NONE, NONE), NULL, "table limits must be positive");
	if (l->attach_interval_ms && l->attach_burst == 0)
		complain(&ck, AT(DMM_CI_LIMIT, offsetof(struct dmm_limits, attach_burst), NONE),
			 NULL, "attach rate limit: the burst must be positive");
	return ck.n;
}

struct plain_err {
	void (*err)(void *ctx, const char *msg);
	void *ctx;
};

static void plain_err(void *ctx, const struct dmm_config_at *at,
		      const struct dmm_config_at *other, const char *msg)
{
	struct plain_err *pe = ctx;

	if (pe->err)
		pe->err(pe->ctx, msg);
}

int dmm_config_check(const struct dmm_config *c,
		     void (*err)(void *ctx, const char *msg), void *ctx)
{
	struct plain_err pe = { err, ctx };

	return dmm_config_check_at(c, plain_err, &pe);
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

bool dmm_config_is_mr(const struct dmm_config *c, const struct in6_addr *a)
{
	bool listed = false;

	for (unsigned i = 0; i < n_nets(c); i++) {
		listed |= n_mrs(&c->nets[i]) > 0;
		if (net_has_mr(&c->nets[i], a))
			return true;
	}
	return !listed;
}

bool dmm_config_plen_ok(const struct dmm_config *c, const struct dmm_prefix *p)
{
	int k = dmm_config_net_of(c, &p->addr);

	return k < 0 || c->nets[k].mn_plen == 0 || p->len == c->nets[k].mn_plen;
}

unsigned dmm_net_n_lms(const struct dmm_network *n)
{
	return 1 + (n->n_lm_alt < DMM_MAX_NET_LMS ? n->n_lm_alt : DMM_MAX_NET_LMS - 1);
}

const struct in6_addr *dmm_net_lm(const struct dmm_network *n, unsigned k)
{
	return k == 0 || k >= dmm_net_n_lms(n) ? &n->lm : &n->lm_alt[k - 1];
}

bool dmm_net_has_lm(const struct dmm_network *n, const struct in6_addr *a)
{
	for (unsigned k = 0; k < dmm_net_n_lms(n); k++)
		if (addr_eq(dmm_net_lm(n, k), a))
			return true;
	return false;
}

unsigned dmm_net_n_haas(const struct dmm_network *n)
{
	return 1 + (n->n_haa_alt < DMM_MAX_NET_LMS ? n->n_haa_alt : DMM_MAX_NET_LMS - 1);
}

const struct in6_addr *dmm_net_haa(const struct dmm_network *n, unsigned k)
{
	return k == 0 || k >= dmm_net_n_haas(n) ? &n->haa : &n->haa_alt[k - 1];
}

bool dmm_net_has_haa(const struct dmm_network *n, const struct in6_addr *a)
{
	for (unsigned k = 0; k < dmm_net_n_haas(n); k++)
		if (addr_eq(dmm_net_haa(n, k), a))
			return true;
	return false;
}

bool dmm_config_is_lm(const struct dmm_config *c, const struct in6_addr *a)
{
	for (unsigned i = 0; i < c->n_nets && i < DMM_MAX_NETS; i++)
		if (dmm_net_has_lm(&c->nets[i], a))
			return true;
	return false;
}

bool dmm_config_is_haa(const struct dmm_config *c, const struct in6_addr *a)
{
	for (unsigned i = 0; i < c->n_nets && i < DMM_MAX_NETS; i++)
		if (dmm_net_has_haa(&c->nets[i], a))
			return true;
	return false;
}

/* FNV-1a over key then address, finished by splitmix64's mixer: scores of
 * one key for different addresses are independent enough that each
 * address comes first for about its share of the keys. */
static uint64_t rank_score(const uint8_t *key, size_t keylen, const struct in6_addr *a)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ a->s6_addr[i]) * 1099511628211ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

void dmm_rank(const struct in6_addr *const *cand, unsigned n, const uint8_t *key,
	      size_t keylen, unsigned order[])
{
	uint64_t score[DMM_MAX_NET_LMS];

	if (n > DMM_MAX_NET_LMS)
		n = DMM_MAX_NET_LMS;
	for (unsigned i = 0; i < n; i++) { /* insertion sort, highest score first */
		unsigned j = i;
		uint64_t s = rank_score(key, keylen, cand[i]);
		/* equal scores (the same address twice): listed order */
		for (; j > 0 && score[j - 1] < s; j--) {
			score[j] = score[j - 1];
			order[j] = order[j - 1];
		}
		score[j] = s;
		order[j] = i;
	}
}
