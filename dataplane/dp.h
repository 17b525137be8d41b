/* dmm Linux data plane: carries out the core's data-plane operations with
 * rtnetlink (libmnl) — seg6 encap.red tunnel routes, seg6local End.DX6
 * decapsulation, local/throw routes in dmm's own table — and owns the TUN
 * device of the miss/hold path and the access links (RS in, RA out, carrier).
 *
 * Routing layout (all routes carry protocol .protocol so a restarted dmmd
 * finds what a crashed one left and removes it):
 *   rule  pref .rule_pref      ipproto 41 to self/128 lookup .table  (decap first)
 *   rule  pref .rule_pref + 1  lookup local   (the kernel's pref 0 rule moves here)
 *   rule  pref .rule_pref + 2  lookup .table  (dmm routes before main)
 *   table .table: self/128 End.DX6; LOCAL -> dev access link; TUNNEL ->
 *         seg6 encap.red; PASS -> throw; MISS and HOLD -> dev TUN.
 */
#ifndef DMM_DP_H
#define DMM_DP_H

#include <net/if.h>
#include <poll.h>

#include "node.h"

#define DP_MAX_ACCESS 16
/* Room for the pollfds dp_pollfds() fills: netlink events, TUN, ICMPv6 and
 * the first-frame listener (kept at its old size: callers size arrays by it). */
#define DP_MAX_POLLFDS (3 + 64)

struct dp_config {
	struct in6_addr self;     /* decapsulation address and tunnel source */
	uint32_t table;           /* default 4242 */
	uint32_t rule_pref;       /* default 1000 */
	uint8_t protocol;         /* route protocol, default 177 (unassigned; 188 is OSPF) */
	char tun_name[IFNAMSIZ];  /* default "dmm0" */
	unsigned n_access;        /* access link name patterns (fnmatch) */
	char access[DP_MAX_ACCESS][IFNAMSIZ];
	uint32_t hold_max_pkts;   /* per held prefix, default 4096 */
	uint32_t ra_router_lifetime_s;
	bool mr;                  /* false: LM/HAA-only node, no routes, no TUN */
	uint32_t hold_max_ms;     /* held packets older than this are dropped, default 5000 */
	/* Attach on the first frame an MN sends on an access link (DAD, MLD:
	 * before its RS, which Linux delays by DAD and rtr_solicit_delay),
	 * not only on its RS. Default true. */
	bool attach_first_frame;
	/* The router's link-local address on every access link (addition;
	 * default fe80::1). dp owns it: when it takes a link over it turns
	 * off the kernel's automatic link-local (addr_gen_mode none), adds
	 * this one without DAD and sends every RA from it; dp_close removes
	 * it. The same address on every MR keeps an MN's default router
	 * valid across moves (RFC 5213 6.8: all MAGs share one). */
	struct in6_addr router_ll;
};

void dp_config_defaults(struct dp_config *c);

/* What the data plane tells the daemon. Called from dp_dispatch(). */
struct dp_callbacks {
	void *ctx;
	/* An MN with this id on an access link: a Router Solicitation (id
	 * from its SLLAO), or, with attach_first_frame, the first frame on
	 * the link since it came up (id = the frame's source MAC; once per
	 * carrier period: access links are point-to-point). */
	void (*attach)(void *ctx, uint32_t ifindex, const struct dmm_mnid *id);
	/* Carrier lost on, or removal of, an access link. */
	void (*detach)(void *ctx, uint32_t ifindex);
	/* A packet to dst from src reached the miss path. The daemon calls
	 * dmm_mr_miss(); data-plane ops it causes are applied re-entrantly
	 * (dp_apply) before the packet is re-routed, held or dropped. */
	void (*miss)(void *ctx, const struct in6_addr *dst, const struct in6_addr *src);
	/* Optional: one line for logs. */
	void (*log)(void *ctx, int level, const char *line);
};

struct dp;

/* Check the kernel (forwarding on, seg6 available), remove routes/rules a
 * previous instance left (same protocol), set up rules, the decap route and
 * the TUN device, start watching links. Errors: negative errno, with a
 * message through cb->log explaining what to fix. */
int dp_open(struct dp **out, const struct dp_config *cfg, const struct dp_callbacks *cb);
/* Remove every route, rule, address (the router link-local of the access
 * links still here) and device dp installed. */
void dp_close(struct dp *d);

/* Carry out one core operation (retrying ENOMEM with backoff). */
int dp_apply(struct dp *d, const struct dmm_dp_op *op);

/* Poll integration: fill up to max pollfds; dispatch after poll(). */
int dp_pollfds(struct dp *d, struct pollfd *fds, int max);
void dp_dispatch(struct dp *d, const struct pollfd *fds, int n, dmm_time_t now);
/* Deadline of dp's own timers (held packets expiry, retries), or DMM_TIME_NEVER. */
dmm_time_t dp_next_deadline(const struct dp *d);
void dp_timer(struct dp *d, dmm_time_t now);

/* Counters for dmmctl: packets held, flushed, dropped, misses, netlink errors. */
struct dp_stats {
	uint64_t miss, held, flushed, hold_dropped, reinjected, miss_dropped;
	uint64_t routes_added, routes_deleted, nl_errors, nl_enomem_retries;
	uint64_t ra_sent, rs_received;
	/* Additions: own multicast/ND/MLD read from the TUN and dropped; held
	 * packets dropped by age; RS without SLLAO or with a bad hop limit. */
	uint64_t tun_filtered, hold_expired, rs_dropped;
	/* Addition: attaches reported from a first frame (not an RS). */
	uint64_t attach_frames;
};
void dp_get_stats(const struct dp *d, struct dp_stats *s);

#endif
