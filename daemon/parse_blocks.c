/* dmmd: the grammar of each block of dmmd.conf(5): network NAME { },
 * mr { }, haa { }, lm { }, timers { }, limits { }, dataplane { }. Each
 * directive is a function reading its arguments into the config (and the
 * line of what it declared into struct lines, for the checks at the end);
 * each block a table of them, which cf_parse_block() in parse.c walks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse_int.h"

/* network NAME { prefix P ... lm A haa A mr A ... } */

/* The index of network n in the config, -1 for the scratch one (too many). */
static int net_index(struct parser *ps, const struct dmm_network *n)
{
	const struct dmm_network *first = ps->c->core.nets;

	return n >= first && n < first + DMM_MAX_NETS ? (int)(n - first) : -1;
}

static int net_prefix(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_network *n = obj;
	int line = cf_peek(ps)->line, i = net_index(ps, n);
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	if (cf_want_prefix(ps, kw, &p) != 0)
		goto bad;
	if (n->n_prefixes >= DMM_MAX_NET_PREFIX) {
		cf_perr(ps, line, "prefix: more than %d prefixes in network %s",
			DMM_MAX_NET_PREFIX, n->name);
		goto bad;
	}
	if (i >= 0)
		ps->ln->net_prefix[i][n->n_prefixes] = line;
	n->prefixes[n->n_prefixes++] = p;
	return 0;
bad:
	if (i >= 0)
		ps->ln->net_bad_prefix[i] = true;
	return -1;
}


/* `lm A` / `haa A`, once or more (draft §3.2: several per network): the
 * first is .lm / .haa, the next ones follow in .lm_alt / .haa_alt. */
static int net_sibling(struct parser *ps, const char *kw, struct dmm_network *n, bool lm)
{
	int i = net_index(ps, n), line = cf_peek(ps)->line;
	int *slot = i < 0 ? NULL : lm ? &ps->ln->net_lm[i] : &ps->ln->net_haa[i];
	struct in6_addr *first = lm ? &n->lm : &n->haa;
	unsigned *more = lm ? &n->n_lm_alt : &n->n_haa_alt;
	struct in6_addr *alt = lm ? n->lm_alt : n->haa_alt;
	static const struct in6_addr none;
	struct in6_addr a;
	char as[INET6_ADDRSTRLEN];

	if ((slot != NULL && *slot == 0) || (slot == NULL && !memcmp(first, &none, sizeof(none))))
		return cf_note_line(slot, line, cf_want_addr(ps, kw, first));
	if (cf_want_addr(ps, kw, &a) != 0)
		return -1;
	for (unsigned k = 0; k <= *more; k++)
		if (!memcmp(k == 0 ? first : &alt[k - 1], &a, sizeof(a))) {
			cf_perr(ps, line, "%s: %s listed twice in network %s", kw,
				cf_addr_s(&a, as), n->name);
			return -1;
		}
	if (*more >= DMM_MAX_NET_LMS - 1) {
		cf_perr(ps, line, "%s: more than %d in network %s", kw, DMM_MAX_NET_LMS, n->name);
		return -1;
	}
	alt[(*more)++] = a;
	return 0;
}

static int net_lm(struct parser *ps, const char *kw, void *obj)
{
	return net_sibling(ps, kw, obj, true);
}

static int net_haa(struct parser *ps, const char *kw, void *obj)
{
	return net_sibling(ps, kw, obj, false);
}


static int net_mr(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_network *n = obj;
	int line = cf_peek(ps)->line, i = net_index(ps, n);
	struct in6_addr a;

	if (cf_want_addr(ps, kw, &a) != 0)
		return -1;
	for (unsigned j = 0; j < n->n_mrs; j++) {
		char as[INET6_ADDRSTRLEN];
		if (memcmp(&n->mrs[j], &a, sizeof(a)) == 0) {
			cf_perr(ps, line, "mr: %s listed twice in network %s", cf_addr_s(&a, as),
				n->name);
			return -1;
		}
	}
	if (n->n_mrs >= DMM_MAX_NET_MRS) {
		cf_perr(ps, line, "mr: more than %d MRs in network %s", DMM_MAX_NET_MRS, n->name);
		return -1;
	}
	if (i >= 0)
		ps->ln->net_mr[i][n->n_mrs] = line;
	n->mrs[n->n_mrs++] = a;
	return 0;
}

/* prefix-length N: the length of the MN prefixes its pools hand out. */
static int net_plen(struct parser *ps, const char *kw, void *obj)
{
	uint32_t v;

	if (cf_want_u32(ps, kw, 1, 128, &v) != 0)
		return -1;
	((struct dmm_network *)obj)->mn_plen = (uint8_t)v;
	return 0;
}

const struct directive cf_net_tab[] = {
	{ "prefix", net_prefix, true }, { "lm", net_lm, true }, { "haa", net_haa, true },
	{ "mr", net_mr, true }, { "prefix-length", net_plen, false }, { NULL, NULL, false },
};

/* A network's name is checked with the rest of the domain map (defined
 * twice: dmm_config_check_at). */
int cf_top_network(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = &ps->c->core;
	struct dmm_network scratch, *n = &scratch;
	int line = cf_peek(ps)->line, i = -1, rc;
	unsigned skipped = ps->skipped_kw;

	memset(&scratch, 0, sizeof(scratch));
	scratch.mn_plen = 64; /* the default: a /64 per MN (RFC 7421) */
	if (cf_want_str(ps, kw, "a network name", scratch.name, sizeof(scratch.name)) != 0)
		return -1;
	if (c->n_nets >= DMM_MAX_NETS) {
		cf_perr(ps, line, "network: more than %d networks", DMM_MAX_NETS);
	} else {
		i = (int)c->n_nets;
		ps->ln->net[i] = line;
		n = &c->nets[c->n_nets++];
	}
	*n = scratch;
	rc = cf_parse_block(ps, "network", cf_net_tab, n);
	/* A statement with an error was skipped to the end of its line, and
	 * others with it: what is missing may be there. */
	if (i >= 0 && ps->skipped_kw > skipped) {
		ps->ln->net_bad_prefix[i] = true;
		if (!ps->ln->net_lm[i])
			ps->ln->net_lm[i] = -line;
		if (!ps->ln->net_haa[i])
			ps->ln->net_haa[i] = -line;
	}
	return rc;
}

/* mr { ... } */
static int mr_mode(struct parser *ps, const char *kw, void *obj)
{
	static const char *const modes[] = { "query", "redirect", "none", NULL };
	static const enum dmm_ro_mode vals[] = { DMM_RO_QUERY, DMM_RO_REDIRECT, DMM_RO_NONE };
	unsigned i;

	ps->ln->ro_mode = cf_peek(ps)->line;
	if (cf_want_choice(ps, kw, modes, "query, redirect or none", &i) != 0)
		return -1;
	((struct dmm_config *)obj)->ro_mode = vals[i];
	return 0;
}

/* routing tunnel | locator (draft 4.3) */
static int mr_routing(struct parser *ps, const char *kw, void *obj)
{
	static const char *const ways[] = { "tunnel", "locator", NULL };
	static const enum dmm_routing vals[] = { DMM_ROUTING_TUNNEL, DMM_ROUTING_LOCATOR };
	struct tok *t = cf_peek(ps);
	unsigned i;

	if (t->kind == T_WORD && !ps->ln->locator)
		ps->ln->locator = t->line; /* a word, even a wrong one */
	if (cf_want_choice(ps, kw, ways, "tunnel or locator", &i) != 0)
		return -1;
	((struct dmm_config *)obj)->routing = vals[i];
	return 0;
}

/* locator PREFIX: this MR's locator prefix (routing locator) */
static int mr_locator(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = cf_peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p));
	if (cf_want_prefix(ps, kw, &p) != 0)
		return -1;
	ps->ln->locator = line;
	c->locator = p;
	return 0;
}

static int mr_access(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *dc = ps->c;
	int line = cf_peek(ps)->line;
	char pat[DMMD_IFNAME_MAX];

	if (cf_want_str(ps, kw, "an interface name pattern", pat, sizeof(pat)) != 0)
		return -1;
	if (dc->n_access >= DMMD_MAX_ACCESS) {
		cf_perr(ps, line, "access: more than %d patterns", DMMD_MAX_ACCESS);
		return -1;
	}
	memcpy(dc->access[dc->n_access++], pat, sizeof(pat));
	return 0;
}

static int mr_lm_update(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_bool(ps, kw, &((struct dmm_config *)obj)->lm_update_on_attach);
}

static int mr_new_hoa(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_bool(ps, kw, &((struct dmm_config *)obj)->new_hoa_on_arrival);
}

static int mr_hold(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_bool(ps, kw, &((struct dmm_config *)obj)->hold_packets);
}

/* authorize FILE | authorize none */
static int mr_authorize(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a file of MN ids, or none");

	if (!w)
		return -1;
	ps->c->authorize[0] = '\0';
	if (strcmp(w, "none") == 0)
		return 0;
	return cf_resolve_path(ps, line, kw, w, ps->c->authorize, sizeof(ps->c->authorize));
}

static int mr_attach_on(struct parser *ps, const char *kw, void *obj)
{
	static const char *const ons[] = { "first-frame", "rs", NULL };
	static const enum dmmd_attach_on vals[] = { DMMD_ATTACH_FIRST_FRAME, DMMD_ATTACH_RS };
	unsigned i;

	if (cf_want_choice(ps, kw, ons, "first-frame or rs", &i) != 0)
		return -1;
	ps->c->attach_on = vals[i];
	return 0;
}

static int mr_router_ll(struct parser *ps, const char *kw, void *obj)
{
	static const uint8_t zero[8];
	static const uint8_t fe80[8] = { 0xfe, 0x80 };
	int line = cf_peek(ps)->line;
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];

	if (cf_want_addr(ps, kw, &a) != 0)
		return -1;
	/* fe80::/64 with an interface id: the prefix the kernel routes on every
	 * link, and RFC 4861 wants a router's RA source link-local. */
	if (memcmp(a.s6_addr, fe80, 8) != 0 || memcmp(a.s6_addr + 8, zero, 8) == 0) {
		cf_perr(ps, line, "%s: '%s' is not a link-local address (fe80::/64, not fe80::)",
			kw, inet_ntop(AF_INET6, &a, buf, sizeof(buf)));
		return -1;
	}
	ps->c->router_ll = a;
	return 0;
}

static int mr_fixed(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = cf_peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	if (cf_want_prefix(ps, kw, &p) != 0)
		return -1;
	if (c->n_fixed >= DMM_MAX_NET_PREFIX) {
		cf_perr(ps, line, "fixed-prefix: more than %d prefixes", DMM_MAX_NET_PREFIX);
		return -1;
	}
	ps->ln->fixed[c->n_fixed] = line;
	c->fixed[c->n_fixed++] = p;
	return 0;
}

static int mr_anycast(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *dc = ps->c;
	int line = cf_peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p));
	if (cf_want_prefix(ps, kw, &p) != 0)
		return -1;
	if (p.len == 0) {
		cf_perr(ps, line, "anycast: ::/0 is a default route, not an aggregate");
		return -1;
	}
	if (dc->n_anycast >= DMMD_MAX_ANYCAST) {
		cf_perr(ps, line, "anycast: more than %d prefixes", DMMD_MAX_ANYCAST);
		return -1;
	}
	dc->anycast[dc->n_anycast++] = p;
	return 0;
}

static int mr_anycast_probe(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_duration(ps, kw, false, &ps->c->anycast_probe_ms);
}

static int mr_anycast_dead(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_duration(ps, kw, false, &ps->c->anycast_dead_ms);
}

const struct directive cf_mr_tab[] = {
	{ "mode", mr_mode, false },
	{ "routing", mr_routing, false },
	{ "locator", mr_locator, false },
	{ "access", mr_access, true },
	{ "lm-update-on-attach", mr_lm_update, false },
	{ "new-hoa-on-arrival", mr_new_hoa, false },
	{ "hold", mr_hold, false },
	{ "attach-on", mr_attach_on, false },
	{ "authorize", mr_authorize, false },
	{ "router-link-local", mr_router_ll, false },
	{ "fixed-prefix", mr_fixed, true },
	{ "anycast", mr_anycast, true },
	{ "anycast-probe", mr_anycast_probe, false },
	{ "anycast-dead", mr_anycast_dead, false },
	{ NULL, NULL, false },
};

/* haa { pool RANGE length N mr ADDR [stateless|stateful] } */
static int haa_pool_args(struct parser *ps, const char *kw, struct dmm_pool *p)
{
	static const char *const modes[] = { "stateless", "stateful", NULL };
	uint32_t len;

	if (cf_want_prefix(ps, kw, &p->range) != 0)
		return -1;
	if (!cf_opt_kw(ps, "length")) {
		cf_perr(ps, cf_peek(ps)->line, "pool: expected 'length N' after the range");
		return -1;
	}
	if (cf_want_u32(ps, "pool length", 1, 128, &len) != 0)
		return -1;
	p->plen = (uint8_t)len;
	if (!cf_opt_kw(ps, "mr")) {
		cf_perr(ps, cf_peek(ps)->line, "pool: expected 'mr ADDRESS' after the length");
		return -1;
	}
	if (cf_want_addr(ps, "pool mr", &p->mr) != 0)
		return -1;
	if (cf_opt_kw(ps, "stateless"))
		p->mode = DMM_POOL_STATELESS;
	else if (!cf_opt_kw(ps, "stateful"))
		return cf_trailing_word(ps, kw, cf_haa_tab, modes);
	return 0;
}

static int haa_pool(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = cf_peek(ps)->line;
	struct dmm_pool p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	p.mode = DMM_POOL_STATEFUL;
	if (haa_pool_args(ps, kw, &p) != 0) {
		ps->ln->bad_pool = true;
		return -1;
	}
	if (c->n_pools >= DMM_MAX_POOLS) {
		cf_perr(ps, line, "pool: more than %d pools", DMM_MAX_POOLS);
		return -1;
	}
	ps->ln->pool[c->n_pools] = line;
	c->pools[c->n_pools++] = p;
	return 0;
}

const struct directive cf_haa_tab[] = {
	{ "pool", haa_pool, true }, { NULL, NULL, false },
};

/* lm { replicate yes|no } */
static int lm_replicate(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_bool(ps, kw, &((struct dmm_config *)obj)->lm_replicate);
}

/* lm { store embedded | store redis ADDR:PORT [namespace NAME] [replicas N]
 * [timeout DURATION] } */
static int lm_store(struct parser *ps, const char *kw, void *obj)
{
	static const char *const opts[] = { "namespace", "replicas", "timeout", NULL };
	struct dmmd_conf *c = ps->c;
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "embedded or redis");

	if (!w)
		return -1;
	c->n_redis = 0;
	if (strcmp(w, "embedded") == 0)
		return 0;
	if (strcmp(w, "redis") != 0) {
		cf_perr(ps, line, "store: '%s' is not embedded or redis", w);
		return -1;
	}
	do {
		unsigned i = c->n_redis;
		if (i == DMMD_REDIS_MAX) {
			cf_perr(ps, line, "store redis: more than %d addresses", DMMD_REDIS_MAX);
			c->n_redis = 0;
			return -1;
		}
		if (!(w = cf_want_word(ps, "store redis", "[IPV6]:PORT or IPV4:PORT (an address: "
				       "the event loop does not wait for DNS)")) ||
		    cf_hostport(ps, line, "store redis", w, &c->redis_addr[i],
				&c->redis_family[i], &c->redis_port[i], "") != 0) {
			c->n_redis = 0;
			return -1;
		}
		c->n_redis++;
	} while (cf_peek(ps)->kind == T_WORD && cf_peek(ps)->line == line &&
		 strchr(cf_peek(ps)->text, ':') != NULL);
	for (;;) {
		if (cf_opt_kw(ps, "namespace")) {
			const char *ns = cf_want_word(ps, "store redis namespace", "a name");
			if (!ns)
				return -1;
			if (strlen(ns) >= sizeof(c->redis_ns) ||
			    strspn(ns, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789-_.") != strlen(ns)) {
				cf_perr(ps, line, "store redis namespace: '%s' is not 1 to %zu "
					"letters, digits, '-', '_' or '.'", ns,
					sizeof(c->redis_ns) - 1);
				return -1;
			}
			snprintf(c->redis_ns, sizeof(c->redis_ns), "%s", ns);
		} else if (cf_opt_kw(ps, "replicas")) {
			if (cf_want_u32(ps, "store redis replicas", 0, 16, &c->redis_replicas) != 0)
				return -1;
		} else if (cf_opt_kw(ps, "timeout")) {
			if (cf_want_duration(ps, "store redis timeout", false,
					     &c->redis_timeout_ms) != 0)
				return -1;
			if (c->redis_timeout_ms < 10 || c->redis_timeout_ms > 60000) {
				cf_perr(ps, line,
					"store redis timeout: %ums is not between 10ms and 1m",
					c->redis_timeout_ms);
				return -1;
			}
		} else {
			return cf_trailing_word(ps, kw, cf_lm_tab, opts);
		}
	}
}

const struct directive cf_lm_tab[] = {
	{ "replicate", lm_replicate, false }, { "store", lm_store, false },
	{ NULL, NULL, false },
};

/* timers { ... } */
#define TDEF(kw, field, secs) { kw, offsetof(struct dmm_timers, field), secs }
const struct timer_def cf_timer_defs[] = {
	TDEF("timestamp-window", ts_window_ms, false),
	TDEF("lease", lease_lifetime_s, true),
	TDEF("binding", binding_lifetime_s, true),
	TDEF("cache", cache_lifetime_s, true),
	TDEF("handover-context", handover_ctx_ms, false),
	TDEF("hold", hold_ms, false),
	TDEF("deprecated-keep", deprecated_keep_s, true),
	TDEF("ra-lifetime", ra_lifetime_s, true),
};
#define N_TIMERS (sizeof(cf_timer_defs) / sizeof(cf_timer_defs[0]))
const size_t cf_n_timer_defs = N_TIMERS;

static int timer_simple(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	for (const struct timer_def *t = cf_timer_defs; t < cf_timer_defs + N_TIMERS; t++)
		if (strcmp(t->kw, kw) == 0)
			return cf_note_line(&ps->ln->timer[t->off / sizeof(uint32_t)], line,
					    cf_want_duration(ps, kw, t->secs,
							     (uint32_t *)((char *)obj + t->off)));
	return -1;
}

/* retransmit INITIAL [max MAX] [count N] */
static int timer_retransmit_args(struct parser *ps, const char *kw, struct dmm_timers *t)
{
	static const char *const opts[] = { "max", "count", NULL };

	if (cf_want_duration(ps, kw, false, &t->retrans_initial_ms) != 0)
		return -1;
	if (cf_opt_kw(ps, "max") && cf_want_duration(ps, "retransmit max", false,
						     &t->retrans_max_ms) != 0)
		return -1;
	if (cf_opt_kw(ps, "count") && cf_want_u32(ps, "retransmit count", 0, 100,
						  &t->retrans_count) != 0)
		return -1;
	return cf_trailing_word(ps, kw, cf_timers_tab, opts);
}

static int timer_retransmit(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	return cf_note_line(&ps->ln->timer[offsetof(struct dmm_timers, retrans_initial_ms) /
					sizeof(uint32_t)], line,
			    timer_retransmit_args(ps, kw, obj));
}

const struct directive cf_timers_tab[] = {
	{ "retransmit", timer_retransmit, false },
	{ "timestamp-window", timer_simple, false },
	{ "lease", timer_simple, false },
	{ "binding", timer_simple, false },
	{ "cache", timer_simple, false },
	{ "handover-context", timer_simple, false },
	{ "hold", timer_simple, false },
	{ "deprecated-keep", timer_simple, false },
	{ "ra-lifetime", timer_simple, false },
	{ NULL, NULL, false },
};

/* limits { ... } */
#define LDEF(kw, field) { kw, offsetof(struct dmm_limits, field) }
const struct limit_def cf_limit_defs[] = {
	LDEF("mns", max_mns),
	LDEF("cache", max_cache),
	LDEF("handovers", max_handovers),
	LDEF("pending", max_pending),
	LDEF("bindings", max_bindings),
	LDEF("subscribers", max_subscribers),
	LDEF("leases", max_leases),
	LDEF("peers", max_peers),
	LDEF("reply-cache", reply_cache),
};
#define N_LIMITS (sizeof(cf_limit_defs) / sizeof(cf_limit_defs[0]))
const size_t cf_n_limit_defs = N_LIMITS;
#define LIMIT_MAX 16777216u /* tables are allocated up front: keep them sane */

static int limit_any(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	for (const struct limit_def *l = cf_limit_defs; l < cf_limit_defs + N_LIMITS; l++)
		if (strcmp(l->kw, kw) == 0)
			return cf_note_line(&ps->ln->limit[l->off / sizeof(uint32_t)], line,
					    cf_want_u32(ps, kw, 1, LIMIT_MAX,
							(uint32_t *)((char *)obj + l->off)));
	return -1;
}

/* MR: attaches per access link, a burst then one per interval (0: no limit). */
static int limit_attach_burst(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	return cf_note_line(&ps->ln->limit[offsetof(struct dmm_limits, attach_burst) /
					sizeof(uint32_t)], line,
			    cf_want_u32(ps, kw, 1, 65535,
					&((struct dmm_limits *)obj)->attach_burst));
}

static int limit_attach_interval(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_duration(ps, kw, false, &((struct dmm_limits *)obj)->attach_interval_ms);
}

const struct directive cf_limits_tab[] = {
	{ "mns", limit_any, false }, { "cache", limit_any, false },
	{ "handovers", limit_any, false }, { "pending", limit_any, false },
	{ "bindings", limit_any, false }, { "subscribers", limit_any, false },
	{ "leases", limit_any, false }, { "peers", limit_any, false },
	{ "reply-cache", limit_any, false }, { "attach-burst", limit_attach_burst, false },
	{ "attach-interval", limit_attach_interval, false }, { NULL, NULL, false },
};

/* dataplane { table N rule-pref N protocol N tun NAME hold-limit N } */
static int dp_table(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = obj;

	if (cf_want_u32(ps, kw, 1, 0xfffffffe, &c->dp_table) != 0)
		return -1;
	if (c->dp_table == 253 || c->dp_table == 254 || c->dp_table == 255) {
		cf_perr(ps, ps->tok.line, "table: %u is a kernel table (default, main, local)",
			c->dp_table);
		return -1;
	}
	return 0;
}

static int dp_rule_pref(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_u32(ps, kw, 1, 32000, &((struct dmmd_conf *)obj)->dp_rule_pref);
}

static int dp_protocol(struct parser *ps, const char *kw, void *obj)
{
	uint32_t v;

	if (cf_want_u32(ps, kw, 5, 255, &v) != 0)
		return -1;
	((struct dmmd_conf *)obj)->dp_protocol = (uint8_t)v;
	return 0;
}

static int dp_tun(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = obj;

	return cf_want_str(ps, kw, "an interface name", c->dp_tun, sizeof(c->dp_tun));
}

static int dp_hold_limit(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_u32(ps, kw, 1, 1u << 20, &((struct dmmd_conf *)obj)->dp_hold_limit);
}

/* hold-memory SIZE: every hold queue together (at least one largest packet). */
static int dp_hold_memory(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a size");
	uint64_t v;

	if (!w)
		return -1;
	if (parse_size(w, &v) != 0) {
		cf_perr(ps, line, "%s: '%s' is not a size (bytes, or a number with K, M or G)",
			kw, w);
		return -1;
	}
	if (v < (128u << 10) || v > (16ull << 30)) {
		cf_perr(ps, line, "%s: %s out of range 128K..16G", kw, w);
		return -1;
	}
	((struct dmmd_conf *)obj)->dp_hold_memory = v;
	return 0;
}

const struct directive cf_dp_tab[] = {
	{ "table", dp_table, false }, { "rule-pref", dp_rule_pref, false },
	{ "protocol", dp_protocol, false }, { "tun", dp_tun, false },
	{ "hold-limit", dp_hold_limit, false }, { "hold-memory", dp_hold_memory, false },
	{ NULL, NULL, false },
};
