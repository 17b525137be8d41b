/* dmm Linux data plane: carries out the core's data-plane operations with
 * rtnetlink (libmnl) — tunnel routes, decapsulation, local/throw routes in
 * dmm's own table — and owns the TUN device of the miss/hold path and the
 * access links (RS in, RA out, carrier).
 *
 * Tunnels are plain IPv6-in-IPv6 (next header 41, RFC 2473) whichever
 * driver makes them, so MRs with different drivers interoperate:
 *   seg6  seg6 encap.red routes, seg6local End.DX6 decapsulation
 *         (CONFIG_IPV6_SEG6_LWTUNNEL);
 *   bpf   LWT-BPF xmit programs on the routes (bpf_lwt_push_encap), a tc
 *         clsact ingress program decapsulating on the core links
 *         (CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF, CONFIG_BPF_SYSCALL);
 *   tun   routes into dmmd's TUN device, encapsulation and decapsulation in
 *         dmmd over a raw next-header-41 socket (CONFIG_TUN only).
 * Every driver decapsulates only tunnels from cfg.peers (the domain's MRs).
 *
 * Routing layout (all routes carry protocol .protocol so a restarted dmmd
 * finds what a crashed one left and removes it):
 *   rule  pref .rule_pref      ipproto 41 to self/128 lookup .table  (decap first)
 *   rule  pref .rule_pref + 1  lookup local   (the kernel's pref 0 rule moves here)
 *   rule  pref .rule_pref + 2  lookup .table  (dmm routes before main)
 *   table .table: self/128 End.DX6; LOCAL -> dev access link; TUNNEL ->
 *         seg6 encap.red; PASS -> throw; MISS and HOLD -> dev TUN.
 * (The decap rules, one per peer, and the local rule's move are the seg6
 * driver's; bpf decapsulates before routing, tun reads next header 41 with
 * a raw socket after the local table. bpf TUNNEL routes carry a program,
 * tun TUNNEL routes point to the TUN.)
 */
#ifndef DMM_DP_H
#define DMM_DP_H

#include <net/if.h>
#include <poll.h>

#include "node.h"

#define DP_MAX_ACCESS 16
#define DP_MAX_PEERS 256
#define DP_MAX_ANNOUNCE 8
#define DP_HOLD_MEMORY_DEFAULT (64ull << 20) /* dp_config.hold_max_bytes 0 */

/* Data-plane drivers, in dmmd.conf(5) keyword order. */
enum dp_driver_kind { DP_DRIVER_AUTO, DP_DRIVER_SEG6, DP_DRIVER_BPF, DP_DRIVER_TUN, DP_DRIVER_COUNT };
const char *dp_driver_name(enum dp_driver_kind k);
/* The kind for a keyword, or -1. */
int dp_driver_parse(const char *s);
/* Room for the pollfds dp_pollfds() fills: netlink events, TUN, ICMPv6, the
 * driver's (tun: its raw socket) and the first-frame listener (kept at its
 * old size: callers size arrays by it). */
#define DP_MAX_POLLFDS (4 + 64)

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
	/* Addition: RAs give the access link's whole MTU, not 40 bytes less
	 * (routing locator: packets are translated, not encapsulated). */
	bool ra_mtu_no_tunnel;
	/* Addition: routing locator: the driver translates this MR's
	 * per-host locators back (LOCATOR ops); without it, no lookup. */
	bool locator;
	bool mr;                  /* false: LM/HAA-only node, no routes, no TUN */
	uint32_t hold_max_ms;     /* held packets older than this are dropped, default 5000 */
	/* Addition: bytes held in all hold queues together (packets plus
	 * their bookkeeping); 0 = DP_HOLD_MEMORY_DEFAULT. Beyond it a packet
	 * to hold is dropped and counted (hold_memory_dropped). */
	uint64_t hold_max_bytes;
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
	/* Addition: the driver (default DP_DRIVER_AUTO: the best one this
	 * kernel runs, see dp_open) and the tunnel peers: outer sources whose
	 * IPv6-in-IPv6 to self is decapsulated; with none, any source is
	 * (and dp_open warns). */
	enum dp_driver_kind driver;
	unsigned n_peers;
	struct in6_addr peers[DP_MAX_PEERS];
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

/* Check the kernel (forwarding on), pick the driver (cfg.driver, or with
 * auto the first of bpf, seg6, tun that the kernel runs: probed here, once),
 * remove routes/rules a previous instance left (same protocol), set up
 * rules, decapsulation and the TUN device, start watching links. Errors:
 * negative errno, with a message through cb->log explaining what to fix (a
 * named driver the kernel cannot run names the missing kernel option). */
int dp_open(struct dp **out, const struct dp_config *cfg, const struct dp_callbacks *cb);
/* Probe every driver (dmmd -P; root): ok[k] and why[k] (what is missing)
 * for each kind but auto. 0 or -errno (no netlink). */
int dp_probe_all(const struct dp_config *cfg, bool ok[DP_DRIVER_COUNT],
		 char why[DP_DRIVER_COUNT][160]);
/* Remove every route, rule, address (the router link-local of the access
 * links still here) and device dp installed. */
void dp_close(struct dp *d);

/* Carry out one core operation (retrying ENOMEM with backoff). */
int dp_apply(struct dp *d, const struct dmm_dp_op *op);

/* Batching (addition). Between dp_batch_begin and dp_batch_end (they
 * nest), the route messages of TUNNEL_ADD and TUNNEL_DEL ops are queued and
 * sent DP_BATCH_MSGS to one sendmsg, the kernel asked to answer only the
 * ones that fail (and the last of each sendmsg, which ends the batch's
 * answers); dp_apply returns 0 for a queued op. A failure is counted
 * (nl_errors), logged, and undone in the shadow table: the route is
 * removed from the kernel too (or, for ENOMEM or a vanished output device,
 * added again at once without batching), unless a later op of the batch
 * for the same prefix decided its fate. Any other op, and any other
 * netlink request, sends the queue first, so order is kept. dp_batch_end
 * returns how many queued messages failed. dmmd batches what the
 * signalling of one poll round and each timer run cause (a burst of
 * moves); dp_open's removal of a previous instance's routes and dp_close's
 * removal of its own are batched too. */
void dp_batch_begin(struct dp *d);
int dp_batch_end(struct dp *d);
/* The kernel acks every batched message (true) instead of only the failed
 * ones and the last (false, the default): for the bench. */
void dp_batch_ack_all(struct dp *d, bool on);

/* Poll integration: fill up to max pollfds; dispatch after poll(). */
int dp_pollfds(struct dp *d, struct pollfd *fds, int max);
void dp_dispatch(struct dp *d, const struct pollfd *fds, int n, dmm_time_t now);
/* Deadline of dp's own timers (held packets expiry, retries), or DMM_TIME_NEVER. */
dmm_time_t dp_next_deadline(const struct dp *d);
void dp_timer(struct dp *d, dmm_time_t now);

/* Anycast announcement (addition, dmmd.conf(5) mr { anycast }): on, the
 * route "PREFIX dev TUN proto .protocol" in the main table (replaced if
 * there: a renewal), with an expiry of expires_s seconds when not 0; off,
 * its removal. A routing daemon that learns the kernel routes of that
 * protocol announces the prefix while the route exists. The route cannot
 * outlive dmmd: the TUN device, and with it the route, goes when dmmd's
 * descriptor closes, at exit or in a crash; the expiry covers a dmmd that
 * hangs (the kernel deletes an expired route at its next garbage
 * collection, net.ipv6.route.gc_interval). dp_close removes every prefix
 * announced. 0 or -errno (-ENOSPC: more than DP_MAX_ANNOUNCE prefixes). */
int dp_announce(struct dp *d, const struct dmm_prefix *p, bool on, uint32_t expires_s);

/* Counters for dmmctl: packets held, flushed, dropped, misses, netlink errors. */
struct dp_stats {
	uint64_t miss, held, flushed, hold_dropped, reinjected, miss_dropped;
	uint64_t routes_added, routes_deleted, nl_errors, nl_enomem_retries;
	uint64_t ra_sent, rs_received;
	/* Additions: own multicast/ND/MLD read from the TUN and dropped; held
	 * packets dropped by age; RS without SLLAO, with a bad hop limit or
	 * naming another MN than the one on the link (rs_spoofed, counted in
	 * rs_dropped too). */
	uint64_t tun_filtered, hold_expired, rs_dropped, rs_spoofed;
	/* Addition: attaches reported from a first frame (not an RS). */
	uint64_t attach_frames;
	/* Addition: tunnelled packets to self refused (outer source not a
	 * peer), malformed, or that could not be sent/re-injected (tun);
	 * packets decapsulated and encapsulated (bpf and tun; seg6 counts
	 * decapsulation on its End.DX6 route: ip -s -6 route show table N). */
	uint64_t decap_rejected, decap_errors, encap_errors;
	uint64_t decap_packets, encap_packets;
	/* Addition: packets not held because every hold queue together had
	 * hold_max_bytes (also counted in hold_dropped); bytes held now. */
	uint64_t hold_memory_dropped, held_bytes;
	/* Addition (routing locator, bpf): packets whose destination prefix
	 * was translated to a per-host locator (out) or back (in), and
	 * packets dropped because a translation failed. */
	uint64_t xlate_out, xlate_in, xlate_errors;
};
void dp_get_stats(const struct dp *d, struct dp_stats *s);

/* Can the driver in use route by per-host locator (routing locator)? */
bool dp_can_locator(const struct dp *d);

/* The driver in use and one line on why it was chosen. */
enum dp_driver_kind dp_driver(const struct dp *d, const char **why);

/* Tunnel traffic per peer MR (decapsulated from it, encapsulated to it),
 * as far as the driver counts it: bpf and tun count both directions per
 * peer, seg6 only the decapsulated total (peer ::). Fills at most max
 * entries; returns how many there are. */
struct dp_peer_stats {
	struct in6_addr addr;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};
int dp_peer_stats(struct dp *d, struct dp_peer_stats *v, unsigned max);

#endif
