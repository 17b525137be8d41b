/* dmm core: read-only views of each role's tables, for dmmctl, the
 * simulator and tests. Each foreach calls cb once per entry. */
#ifndef DMM_ROLES_H
#define DMM_ROLES_H

#include "node.h"

/* ---- MR ---- */
enum dmm_mn_state {
	DMM_MN_RESOLVING,  /* asked the LM whether this MN is known */
	DMM_MN_ALLOCATING, /* asked the local HAA for an HoA */
	DMM_MN_RETRIEVING, /* moved here: asked the home HAA for its HoA state */
	DMM_MN_ATTACHED,   /* prefixes advertised, routes up */
	DMM_MN_FAILED,     /* signalling gave up; retried on the next RS, or after a backoff */
};
const char *dmm_mn_state_name(enum dmm_mn_state s);

struct dmm_mn_view {
	struct dmm_mnid mnid;
	uint32_t link;
	enum dmm_mn_state state;
	unsigned n_hnp;
	struct dmm_prefix hnp[DMM_MAX_HNP];
	bool deprecated[DMM_MAX_HNP]; /* kept only for old sessions */
	struct in6_addr home[DMM_MAX_HNP]; /* anchor MR of each prefix */
	struct dmm_prefix phl[DMM_MAX_HNP]; /* per-host locator of each (len 0: none) */
	dmm_time_t since;
};
void dmm_mr_foreach_mn(const struct dmm_node *n,
		       void (*cb)(void *ctx, const struct dmm_mn_view *v), void *ctx);

enum dmm_cache_state {
	DMM_CACHE_QUERYING, /* miss seen, query in flight, packets held */
	DMM_CACHE_TUNNEL,   /* tunnel to .locator installed */
	DMM_CACHE_PASS,     /* not a mobile prefix / at home: regular routing */
	DMM_CACHE_DEPARTED, /* the LM still says "here" but the MN left: packets
			     * are dropped without a query until .expires */
};
const char *dmm_cache_state_name(enum dmm_cache_state s);

struct dmm_cache_view {
	struct dmm_prefix prefix;
	struct dmm_prefix src; /* source-specific entry (redirect anchor), len 0 = any */
	enum dmm_cache_state state;
	struct in6_addr locator;
	struct dmm_prefix phl; /* routing locator: translated to it (len 0: none) */
	dmm_time_t expires;
};
void dmm_mr_foreach_cache(const struct dmm_node *n,
			  void (*cb)(void *ctx, const struct dmm_cache_view *v), void *ctx);

enum dmm_ho_state {
	DMM_HO_HOLDING,    /* pMR: MN left, holding packets, waiting for CTX_REQ */
	DMM_HO_FORWARDING, /* pMR: forwarding to the nMR, redirecting correspondents */
	DMM_HO_DONE,       /* deleted on the next timer run */
};
const char *dmm_ho_state_name(enum dmm_ho_state s);

struct dmm_ho_view {
	struct dmm_mnid mnid;
	unsigned n_hnp;
	struct dmm_prefix hnp[DMM_MAX_HNP];
	enum dmm_ho_state state;
	struct in6_addr nmr; /* :: while holding */
	dmm_time_t expires;
};
void dmm_mr_foreach_handover(const struct dmm_node *n,
			     void (*cb)(void *ctx, const struct dmm_ho_view *v), void *ctx);

/* ---- LM ---- */
struct dmm_binding_view {
	struct dmm_prefix prefix;
	struct dmm_mnid mnid;
	struct in6_addr location; /* serving MR */
	struct in6_addr home;     /* anchor MR */
	struct dmm_prefix phl;    /* the serving MR's per-host locator (len 0: none) */
	bool fixed;               /* fixed correspondents behind a gateway MR */
	uint16_t seq;
	dmm_time_t expires;
	unsigned n_subscribers;
};
void dmm_lm_foreach_binding(const struct dmm_node *n,
			    void (*cb)(void *ctx, const struct dmm_binding_view *v), void *ctx);
/* A binding store shared by several LM front ends (dmmd's lm { store
 * redis }). The driver says whether it can store: LOCAL (the default, no
 * shared store), UP, DOWN (updates are refused with NO_RESOURCES and
 * counted; queries are answered from the bindings held here) or LOADING
 * (not yet in step with the store since start: updates refused, queries
 * dropped and counted, so the MR asks again). */
enum dmm_lm_store { DMM_LM_STORE_LOCAL, DMM_LM_STORE_UP, DMM_LM_STORE_DOWN,
		    DMM_LM_STORE_LOADING };
void dmm_lm_set_store(struct dmm_node *n, enum dmm_lm_store st);
/* Apply a binding record written to the shared store by another front end:
 * create, change or remove the binding here, without persisting it again
 * (dmm_io.persist is not called) and without replicating it; a change of
 * location notifies this LM's subscribers. 0, DMM_E_ROLE (no LM, or not a
 * binding), DMM_E_MALFORMED, DMM_E_NOMEM / DMM_E_FULL (tables full). */
int dmm_lm_apply(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now);
/* Bytes the LM's binding structures take now; *bindings: those in use. */
size_t dmm_lm_footprint(const struct dmm_node *n, uint32_t *bindings);

/* ---- HAA ---- */
struct dmm_lease_view {
	struct dmm_prefix prefix;
	struct dmm_mnid mnid;
	struct in6_addr mr; /* anchor MR */
	dmm_time_t expires;
};
void dmm_haa_foreach_lease(const struct dmm_node *n,
			   void (*cb)(void *ctx, const struct dmm_lease_view *v), void *ctx);

#endif
