/* dmm core: the configuration one node runs with (any combination of the
 * MR, LM and HAA roles). Filled by the daemon's parser, the simulator or a
 * test; validated by dmm_config_check(). */
#ifndef DMM_CONFIG_H
#define DMM_CONFIG_H

#include "auth.h"

enum dmm_role {
	DMM_ROLE_MR = 1u << 0,
	DMM_ROLE_LM = 1u << 1,
	DMM_ROLE_HAA = 1u << 2,
};

/* Route optimization mode of an MR (draft §4.3). */
enum dmm_ro_mode {
	DMM_RO_QUERY = 0,    /* figure 3: the sender's MR queries the LM on a miss */
	DMM_RO_REDIRECT = 1, /* figure 4: regular routing to the anchor, which redirects */
	DMM_RO_NONE = 2,     /* no route optimization: always via the anchor MR */
};

/* How an MR carries packets to the MR serving a mobile node (draft 4.3). */
enum dmm_routing {
	DMM_ROUTING_TUNNEL = 0,  /* IPv6-in-IPv6 to the serving MR's address */
	DMM_ROUTING_LOCATOR = 1, /* per-host locator: the destination prefix is
				  * rewritten to a locator of the serving MR
				  * (checksum-neutral), and back there */
};

/* One local network of the administrative domain: the domain map every node
 * shares. An address inside one of .prefixes has its home LM and HAA here. */
struct dmm_network {
	char name[DMM_NAME_MAX];
	unsigned n_prefixes;
	struct dmm_prefix prefixes[DMM_MAX_NET_PREFIX];
	struct in6_addr haa; /* the first HAA listed */
	struct in6_addr lm;  /* the first LM listed */
	/* Further LMs and HAAs of the network (draft §3.2), in listed order
	 * after .lm and .haa. MRs pick one per MN (dmm_net_rank) and fail
	 * over to the next; the LMs share their bindings (PROCEDURES.md). */
	unsigned n_lm_alt, n_haa_alt;
	struct in6_addr lm_alt[DMM_MAX_NET_LMS - 1];
	struct in6_addr haa_alt[DMM_MAX_NET_LMS - 1];
	/* The network's MRs (routing locations): the only outer sources an MR
	 * decapsulates tunnels from. Optional (n_mrs 0: not listed). */
	unsigned n_mrs;
	struct in6_addr mrs[DMM_MAX_NET_MRS];
	/* The length of the prefixes its pools hand out to MNs: a binding or
	 * a redirect of a prefix of this network at another length is refused
	 * (0: not checked; dmmd's parser defaults to 64). */
	uint8_t mn_plen;
};

enum dmm_pool_mode {
	DMM_POOL_STATEFUL = 0,  /* allocation table: next free prefix */
	DMM_POOL_STATELESS = 1, /* prefix derived from a hash of the MN id */
};

/* An HAA prefix pool: prefixes of length .plen carved from .range, anchored
 * at the MR whose address is .mr (regular routing brings .range to it). */
struct dmm_pool {
	struct dmm_prefix range;
	uint8_t plen;
	struct in6_addr mr;
	enum dmm_pool_mode mode;
};

struct dmm_timers {
	uint32_t retrans_initial_ms; /* first retransmission after this */
	uint32_t retrans_max_ms;     /* backoff cap */
	uint32_t retrans_count;      /* retransmissions before giving up */
	uint32_t ts_window_ms;       /* replay: accepted timestamp skew */
	uint32_t lease_lifetime_s;   /* HAA lease */
	uint32_t binding_lifetime_s; /* LM binding, refreshed by the serving MR */
	uint32_t cache_lifetime_s;   /* MR location cache entry */
	uint32_t handover_ctx_ms;    /* pMR temporary forwarding context */
	uint32_t hold_ms;            /* how long the pMR holds packets of a departed MN */
	uint32_t deprecated_keep_s;  /* old HoA kept after a move (new-hoa-on-arrival) */
	uint32_t ra_lifetime_s;      /* router lifetime in RAs */
};

struct dmm_limits {
	uint32_t max_mns;        /* MR: attached MNs */
	uint32_t max_cache;      /* MR: location cache entries */
	uint32_t max_handovers;  /* MR: handover contexts */
	uint32_t max_pending;    /* node: requests in flight */
	uint32_t max_bindings;   /* LM */
	uint32_t max_subscribers;/* LM: per binding */
	uint32_t max_leases;     /* HAA */
	uint32_t max_peers;      /* replay state slots */
	uint32_t reply_cache;    /* cached replies for retransmitted requests */
	/* MR: attaches of an MN new to a link (or moving to it), per access
	 * link: a burst of attach_burst, then one per attach_interval_ms
	 * (0: no limit). An RS flood of made-up identities is bounded. */
	uint32_t attach_burst;
	uint32_t attach_interval_ms;
};

struct dmm_config {
	unsigned roles;           /* enum dmm_role bits */
	char name[DMM_NAME_MAX];  /* node name, for logs */
	struct in6_addr self;     /* signalling address = routing location of an MR */
	int local_net;            /* index in .nets of this node's local network */

	unsigned n_nets;
	struct dmm_network nets[DMM_MAX_NETS];

	/* MR */
	enum dmm_ro_mode ro_mode;
	bool lm_update_on_attach;  /* draft §4.1: optional at initial attach */
	bool new_hoa_on_arrival;   /* draft §4.2: also give a local HoA on arrival */
	bool hold_packets;         /* pMR holds packets of a departed MN until CTX_REQ */
	enum dmm_routing routing;  /* draft 4.3: tunnel (default) or per-host locator */
	/* routing locator: this MR's locator prefix (/32../48), routed to it by
	 * regular routing; each attached /64 prefix gets a /64 of it */
	struct dmm_prefix locator;
	unsigned n_fixed;          /* prefixes of fixed correspondents behind this MR (P6) */
	struct dmm_prefix fixed[DMM_MAX_NET_PREFIX];

	/* LM */
	bool lm_replicate;         /* send bindings to the other LMs as MN-id hints, keep theirs */

	/* HAA */
	unsigned n_pools;
	struct dmm_pool pools[DMM_MAX_POOLS];

	struct dmm_timers timers;
	struct dmm_limits limits;
	struct dmm_keyring keys;
};

/* Defaults for every field (roles 0, no networks). */
void dmm_config_defaults(struct dmm_config *c);

/* Check consistency. Calls err(ctx, message) for every problem found and
 * returns the number of problems (0 = valid). */
int dmm_config_check(const struct dmm_config *c,
		     void (*err)(void *ctx, const char *msg), void *ctx);

/* What a problem found by dmm_config_check_at() is about: an item of the
 * config and its indexes, so that a parser can name the line that declared
 * it. i and j are DMM_CI_NONE where they do not apply, or where the item is
 * missing (a network with no prefix: DMM_CI_NET_PREFIX, i, DMM_CI_NONE). */
enum dmm_config_item {
	DMM_CI_NODE = 0,   /* the node as a whole */
	DMM_CI_ROLES,
	DMM_CI_SELF,       /* the node's address */
	DMM_CI_LOCAL_NET,
	DMM_CI_NET,        /* network i (its declaration) */
	DMM_CI_NET_PREFIX, /* network i, prefix j */
	DMM_CI_NET_LM,     /* network i */
	DMM_CI_NET_HAA,    /* network i */
	DMM_CI_NET_MR,     /* network i, MR j */
	DMM_CI_POOL,       /* pool i */
	DMM_CI_FIXED,      /* fixed prefix i */
	DMM_CI_RO_MODE,
	DMM_CI_TIMER,      /* i = offsetof(struct dmm_timers, the field) */
	DMM_CI_LIMIT,      /* i = offsetof(struct dmm_limits, the field), or NONE */
	DMM_CI_KEYS,
	DMM_CI_LOCATOR,    /* routing / locator of the MR */
};
#define DMM_CI_NONE 0xffffffffu

struct dmm_config_at {
	enum dmm_config_item item;
	unsigned i, j;
};

/* err(ctx, at, other, message): at is what the problem is about; other,
 * NULL or the other item of a conflict (the pool another one overlaps). */
typedef void dmm_config_err_at_fn(void *ctx, const struct dmm_config_at *at,
				  const struct dmm_config_at *other, const char *msg);

/* dmm_config_check, with each problem's place. */
int dmm_config_check_at(const struct dmm_config *c, dmm_config_err_at_fn *err, void *ctx);

/* Domain map lookups: the network whose prefixes contain a, or -1. */
int dmm_config_net_of(const struct dmm_config *c, const struct in6_addr *a);

/* Is a an MR of the domain map? True when no network lists its MRs (the
 * map does not say), else only for a listed MR. */
bool dmm_config_is_mr(const struct dmm_config *c, const struct in6_addr *a);

/* Is p an MN prefix at its network's length (struct dmm_network.mn_plen)?
 * True for a prefix of no network or of a network that sets none. */
bool dmm_config_plen_ok(const struct dmm_config *c, const struct dmm_prefix *p);

/* The LMs (HAAs) of a network: how many (at least 1), the k-th in listed
 * order, whether a is one of them. */
unsigned dmm_net_n_lms(const struct dmm_network *n);
const struct in6_addr *dmm_net_lm(const struct dmm_network *n, unsigned k);
bool dmm_net_has_lm(const struct dmm_network *n, const struct in6_addr *a);
unsigned dmm_net_n_haas(const struct dmm_network *n);
const struct in6_addr *dmm_net_haa(const struct dmm_network *n, unsigned k);
bool dmm_net_has_haa(const struct dmm_network *n, const struct in6_addr *a);
/* Any LM (HAA) of any network of the domain map is a. */
bool dmm_config_is_lm(const struct dmm_config *c, const struct in6_addr *a);
bool dmm_config_is_haa(const struct dmm_config *c, const struct in6_addr *a);

/* Rendezvous (highest random weight) ranking of the n addresses cand[]
 * for a key (an MN id, a prefix): order[0] is the preferred one, order[1]
 * the next, ... Deterministic on every node; removing one candidate moves
 * only the keys it ranked first. n at most DMM_MAX_NET_LMS. */
void dmm_rank(const struct in6_addr *const *cand, unsigned n, const uint8_t *key,
	      size_t keylen, unsigned order[]);

#endif
