/* dmm Linux data plane, internals shared by the dataplane files.
 *
 *   dp.c        open/close, op dispatch, poll integration, checks, stats
 *   dp_nl.c     rtnetlink and genetlink requests (libmnl), ENOMEM retries
 *   dp_route.c  route/rule messages and the shadow table of installed routes
 *   dp_tun.c    the TUN device: miss path and hold queues
 *   dp_access.c access links: link events, RS in, RA out
 *   dp_driver.c driver selection (probe order) and the ops every driver has
 *   dp_seg6.c   seg6 driver: encap.red attributes, End.DX6, decap rules, tunsrc
 *   dp_bpf.c    bpf driver: LWT-BPF encap programs, tc ingress decap (bpf/)
 *   dp_utun.c   tun driver: encapsulation and decapsulation in user space
 */
#ifndef DMM_DP_PRIV_H
#define DMM_DP_PRIV_H

#include <libmnl/libmnl.h>

#include "dp.h"

#define DP_METRIC 1024        /* TUNNEL, LOCAL, PASS, MISS: replace each other */
#define DP_METRIC_HOLD 1      /* HOLD overlays the route of the same (prefix, src) */
/* Under every LOCAL route, the same prefix dev TUN: when the access link
 * goes (a device leaving the namespace takes its routes at once), the
 * kernel falls back to the TUN by itself and dp holds the packets
 * (implicit hold) until the core's HOLD_START, or drops them on LOCAL_DEL. */
#define DP_METRIC_BACKUP 2048
#define DP_METRIC_PROBE 4093 /* a driver's probe route, added and removed at once */
/* TUN transmit queue (packets the kernel routes to dp): a flush re-routes a
 * whole hold queue through the miss path, and 10k+ packets/s arrive while
 * dp waits for netlink answers; the default 500 overflows. */
#define DP_TUN_TXQLEN 16384
#define DP_MAX_ROUTES (1u << 20)
#define DP_OIF_CACHE 16
#define DP_OIF_CACHE_MS 1000
#ifndef DP_MAX_HOLDS /* tests/fuzz/fuzz_tun.c: a small table, full often */
#define DP_MAX_HOLDS 1024
#endif
#define DP_MAX_LINKS 64
#define DP_FRAMES_PER_WAKEUP 16 /* frames read from one first-frame listener per wakeup */
#define DP_ENOMEM_TRIES 8
#define DP_PKT_MAX 65575      /* 40-byte header + 64 KiB payload */
#define DP_IP6_HLEN 40
#define DP_ADV_RETRY_MS 100
#define DP_ADV_RETRY_COUNT 30 /* link-local address not usable yet: 3 s */
#define DP_NA_RETRY_MS 2
#define DP_NA_RETRY_COUNT 50 /* 100 ms: after that the RA does it */
/* Neighbour solicitation on an access link: a lost NS for the MN (sent
 * while its just-returned link or address was not ready) costs the
 * retransmission time in downlink traffic, 1 s by default — measured as 1 s
 * stalls in the handover bench; and the packets waiting for the answer
 * beyond 64 KiB (truesize) are dropped. */
#define DP_ACCESS_NS_RETRANS_MS 100
#define DP_ACCESS_UNRES_BYTES (1u << 20)
#define DP_TABLE_LOCAL 255
#define DP_NLBUF 65536        /* netlink receive buffer (dumps come in chunks) */
/* Route messages queued by a batch (dp_batch_begin): sent in one sendmsg
 * of at most this many messages and bytes. Bounded so that the kernel's
 * answers to one sendmsg (an error per failed message at worst, each a
 * socket buffer of ~1 KiB truesize) fit the request socket's receive
 * buffer, which dp_nl_open raises to DP_NL_RCVBUF. */
#define DP_BATCH_MSGS 128
#define DP_BATCH_BYTES 32768
#define DP_NL_RCVBUF (1 << 20)
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000  /* linux/if.h, which clashes with net/if.h */
#endif

_Static_assert(DP_MAX_POLLFDS == 4 + DP_MAX_LINKS, "dp.h DP_MAX_POLLFDS");

enum dp_route_kind { DP_R_TUNNEL, DP_R_LOCAL, DP_R_PASS, DP_R_MISS };

/* One route dp installed (shadow of the kernel's table). Keyed by (dst, src). */
struct dp_route {
	struct dp_route *next;
	uint8_t kind;
	struct dmm_prefix dst, src;
	struct in6_addr locator;
	/* TUNNEL: routing locator, dst is translated to this per-host locator
	 * instead of encapsulated (len 0: a tunnel) */
	struct dmm_prefix xlate;
	uint32_t oif;
};

struct dp_pkt {
	struct dp_pkt *next;
	dmm_time_t t;
	uint32_t len;
	uint8_t data[];
};

struct dp_hold {
	bool used;
	bool implicit; /* started by dp (LOCAL link gone), no HOLD route */
	struct dmm_prefix prefix;
	struct dp_pkt *head, *tail;
	uint32_t n;
};

struct dp_link {
	bool used;
	uint32_t ifindex;
	char name[IFNAMSIZ];
	bool carrier;
	bool has_mac;
	uint8_t mac[6];
	uint32_t mtu;
	struct in6_addr last_rs_src; /* unicast copy of the RA goes here */
	/* Listening for the next MN's first frame (struct dp's frame_fd
	 * accepts this link's frames while set): from discovery or carrier
	 * loss until an MN is seen (frame or RS). */
	bool armed;
	bool mn_seen;
	/* The MN seen on the link since its carrier came up (its first frame's
	 * source, or its first RS's SLLAO): an RS naming another is dropped. */
	uint8_t mn_mac[6];
	/* dp added cfg.router_ll here (dp_close removes it). */
	bool ll_added;
	/* An ADVERTISE that waits for the link-local address. */
	bool adv_pending;
	unsigned adv_tries;
	dmm_time_t adv_due;
	struct dmm_dp_op adv;
	/* An unsolicited NA for the router link-local that waits for it. */
	bool na_pending;
	unsigned na_tries;
	dmm_time_t na_due;
};

/* A data-plane driver. Every op gets the open struct dp; ops marked
 * optional may be NULL. None calls back into the daemon. */
struct dp_driver_ops {
	enum dp_driver_kind kind;
	const char *kconfig; /* the kernel options it needs, for messages */
	/* Can this kernel run it? 0, or -errno with what is missing in why.
	 * Leaves nothing behind. Called after dp's netlink sockets exist. */
	int (*probe)(struct dp *d, char *why, size_t len);
	/* Decapsulation of cfg.self from cfg.peers and whatever the driver
	 * needs, after the TUN device and dp's rules exist. Logs its errors. */
	int (*open)(struct dp *d);
	/* Undo open (also after a failed open). */
	void (*close)(struct dp *d);
	/* Append to the RTM_NEWROUTE of TUNNEL route r (RTA_OIF already in)
	 * its encapsulation; may take a reference released by tunnel_put. */
	int (*tunnel_attrs)(struct dp *d, struct nlmsghdr *nlh, const struct dp_route *r);
	/* Optional: TUNNEL route r left the shadow table (or its add failed). */
	void (*tunnel_put)(struct dp *d, const struct dp_route *r);
	/* Optional: an Ethernet-like link (6-byte address) that is not an
	 * access link, the TUN or lo appeared or changed (add) or went (!add). */
	void (*core_link)(struct dp *d, uint32_t ifindex, const char *name, bool add);
	/* Optional (tun): a packet read from the TUN whose route is TUNNEL r.
	 * flush sends what xmit queued (end of a read batch). */
	void (*xmit)(struct dp *d, const struct dp_route *r, const uint8_t *pkt, size_t len);
	void (*flush)(struct dp *d);
	/* Optional: one more fd to poll (-1 for none) and its handler. */
	int (*pollfd)(const struct dp *d);
	void (*read)(struct dp *d);
	/* Optional: per-peer counters (see dp_peer_stats). */
	int (*peer_stats)(struct dp *d, struct dp_peer_stats *v, unsigned max);
	/* Optional: add the counters kept outside dp (BPF maps) to s. */
	void (*stats)(const struct dp *d, struct dp_stats *s);
	/* Optional (routing locator): packets arriving to per-host locator
	 * phl get hnp back as destination prefix (add), or no more (!add).
	 * A driver that has it also translates TUNNEL routes with .xlate. */
	int (*locator)(struct dp *d, const struct dmm_prefix *phl, const struct dmm_prefix *hnp,
		       bool add);
};

extern const struct dp_driver_ops dp_seg6_ops, dp_bpf_ops, dp_utun_ops;

struct dp {
	struct dp_config cfg;
	const struct dp_driver_ops *drv;
	char drv_why[192];        /* why this driver (dp_driver) */
	void *drv_state;          /* the driver's own */
	bool drv_open;            /* drv->open was called: drv->close undoes it */
	struct dp_callbacks cb;
	/* One AF_PACKET socket for the first frames of every access link, for
	 * dp's whole life: its BPF filter passes only the armed links. Closing
	 * a packet socket waits for an RCU grace period (synchronize_net in
	 * packet_release: 16 ms measured here), which on the handover path
	 * delayed every attach; replacing a filter does not wait. */
	int frame_fd;
	struct mnl_socket *nl;    /* requests, acked */
	struct mnl_socket *nl_ev; /* RTMGRP_LINK events */
	uint32_t seq, portid;
	int tun_fd;
	uint32_t tun_ifindex;
	int icmp_fd;
	dmm_time_t now;           /* last time given to dispatch/timer */
	bool rules_set;

	/* Output device towards each recent locator (TUNNEL routes need
	 * one): looked up once a second at most, not per route. */
	struct dp_oif_cache {
		struct in6_addr locator;
		uint32_t oif;
		uint64_t t_ms; /* CLOCK_MONOTONIC of the lookup, 0 = unused */
	} oif_cache[DP_OIF_CACHE];

	struct dp_route **rt_buckets;
	uint32_t rt_nbuckets, rt_count;
	uint32_t dst_len_n[129], src_len_n[129]; /* routes per prefix length */

	struct dp_hold holds[DP_MAX_HOLDS];
	unsigned n_holds;
	struct dp_link links[DP_MAX_LINKS];
	struct dp_stats st;
	uint8_t *pktbuf;          /* DP_PKT_MAX */
	char nl_errmsg[128];      /* extended ACK text of the last netlink error */
	/* Announced anycast prefixes (dp_announce), removed by dp_close. */
	struct dmm_prefix announced[DP_MAX_ANNOUNCE];
	unsigned n_announced;
	uint8_t *nlbuf, *evbuf;   /* DP_NLBUF each: request replies, link events */

	/* Batched route messages (dp_batch_begin/dp_batch_end, dp_route.c).
	 * While bq_on, dp_route_add_request and dp_route_del_msg queue their
	 * message instead of waiting for its answer; the shadow table is
	 * updated at once, as if it succeeded; dp_batch_flush sends the queue
	 * and undoes what failed. bq_tunnel/bq_locator: the message being
	 * queued is a TUNNEL op's of dp_route_op (to that locator). */
	int batch_depth;
	bool batch_ack_all;       /* every message acked, not only failures */
	bool bq_on, bq_tunnel;
	struct in6_addr bq_locator;
	uint8_t *bq_buf, *bq_buf2;  /* DP_BATCH_BYTES + 1024 each (2: swapped at a flush) */
	size_t bq_len;
	struct dp_bq {
		uint32_t off, seq;
		int err;
		bool tunnel, count;
		struct in6_addr locator;
	} *bq, *bq2;                 /* DP_BATCH_MSGS each */
	unsigned bq_n;
	unsigned bq_failed;          /* failed messages since the last dp_batch_end */
	int bq_first_err;
	/* Driver references (tunnel_put) released after the queued messages
	 * that may still name them went out (an LWT program's fd). */
	struct dp_route *bq_puts;
	unsigned bq_nputs, bq_puts_cap;
};

void dp_logf(struct dp *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* dp_nl.c */
int dp_nl_open(struct dp *d);
void dp_nl_close(struct dp *d);
struct nlmsghdr *dp_nl_hdr(struct dp *d, void *buf, uint16_t type, uint16_t flags);
/* Send and wait for the ACK; retries ENOMEM. Returns 0 or -errno. */
int dp_nl_request(struct dp *d, struct nlmsghdr *nlh);
/* Send a request and feed each reply message to cb until DONE/ACK. */
int dp_nl_query(struct dp *d, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int dp_nl_link_up(struct dp *d, uint32_t ifindex);
int dp_nl_route_oif(struct dp *d, const struct in6_addr *dst, uint32_t *oif);
/* The link-local addresses of ifindex (at most max; *n may exceed max). */
struct dp_lladdr {
	struct in6_addr a;
	uint32_t flags; /* IFA_F_* */
};
int dp_nl_linklocals(struct dp *d, uint32_t ifindex, struct dp_lladdr *v, unsigned max,
		     unsigned *n);
/* Add (IFA_F_NODAD, scope link) or remove a /64 address on ifindex. */
int dp_nl_addr(struct dp *d, uint32_t ifindex, const struct in6_addr *a, bool add);
/* Neighbour discovery on ifindex: NS retransmission time and the bytes
 * queued per unresolved neighbour (ip ntable change ... dev). */
int dp_nl_neigh_parms(struct dp *d, uint32_t ifindex, uint64_t retrans_ms, uint32_t qbytes);
/* No automatic (EUI-64, random) link-local on ifindex (addr_gen_mode none). */
int dp_nl_addr_gen_none(struct dp *d, uint32_t ifindex);
int dp_nl_set_tunsrc(struct dp *d, const struct in6_addr *a);
void dp_nl_events(struct dp *d);

/* dp_driver.c */
int dp_driver_select(struct dp *d);
/* Is ifindex/name a link the driver should treat as core-facing? */
bool dp_is_core_link(const struct dp *d, uint32_t ifindex, const char *name);
/* Dump the links and call drv->core_link for each core-facing one. */
int dp_core_links_scan(struct dp *d);
/* A peer of cfg.peers (or any address when there are none)? */
bool dp_peer_ok(const struct dp *d, const struct in6_addr *a);

/* dp_route.c */
/* An RTM_NEWROUTE/DELROUTE in cfg.table with dp's protocol. */
struct nlmsghdr *dp_rtmsg(struct dp *d, void *buf, uint16_t type, uint16_t flags,
			  const struct dmm_prefix *dst, const struct dmm_prefix *src,
			  uint8_t rtype, uint32_t metric);
struct nlattr *dp_nest(struct nlmsghdr *nlh, uint16_t type);
/* Send a RTM_NEWROUTE, count it (routes_added or nl_errors). */
int dp_route_add_request(struct dp *d, struct nlmsghdr *nlh);
int dp_route_del_msg(struct dp *d, const struct dmm_prefix *dst,
		     const struct dmm_prefix *src, uint32_t metric);
/* An ip rule (pref, lookup table, dp's protocol unless proto), optionally
 * "from src/128 to cfg.self/128 ipproto 41" (decap). */
int dp_rule_msg(struct dp *d, uint16_t type, uint32_t pref, uint32_t table, uint8_t proto,
		bool decap, const struct in6_addr *from);
int dp_route_op(struct dp *d, const struct dmm_dp_op *op);
/* Send the queued route messages (no-op when none); the failures undone
 * and logged. Returns how many failed. */
int dp_batch_flush(struct dp *d);
void dp_batch_free(struct dp *d);
int dp_route_hold(struct dp *d, const struct dmm_prefix *p, bool add);
int dp_rules_setup(struct dp *d);
void dp_rules_teardown(struct dp *d);
int dp_flush_stale(struct dp *d);
const struct dp_route *dp_route_lookup(const struct dp *d, const struct in6_addr *dst,
				       const struct in6_addr *src);
void dp_routes_remove_all(struct dp *d);
void dp_routes_free(struct dp *d);

/* dp_tun.c */
int dp_tun_open(struct dp *d);
void dp_tun_close(struct dp *d);
void dp_tun_read(struct dp *d);
int dp_hold_op(struct dp *d, const struct dmm_dp_op *op);
void dp_hold_expire(struct dp *d, dmm_time_t now);
dmm_time_t dp_hold_deadline(const struct dp *d);
/* The LOCAL route of p was (re)added, replaced or deleted: end the implicit
 * hold of p, re-routing (flush) or dropping its packets. */
void dp_hold_local_end(struct dp *d, const struct dmm_prefix *p, bool flush);
void dp_holds_free(struct dp *d);

/* dp_access.c */
int dp_access_open(struct dp *d);
void dp_access_close(struct dp *d);
/* A link event (RTM_NEWLINK/DELLINK); may issue netlink requests, so never
 * call it from inside a dump on the request socket. */
void dp_access_link_msg(struct dp *d, const struct nlmsghdr *nlh);
int dp_access_scan(struct dp *d); /* dump links, then handle each */
void dp_access_read(struct dp *d);
int dp_access_advertise(struct dp *d, const struct dmm_dp_op *op);
void dp_access_timer(struct dp *d, dmm_time_t now);
dmm_time_t dp_access_deadline(const struct dp *d);
int dp_access_pollfds(struct dp *d, struct pollfd *fds, int max);
void dp_access_frames(struct dp *d, int fd); /* fd: the first-frame listener, else ignored */
bool dp_access_match(const struct dp *d, const char *name);
/* Is ifindex an access link dp knows, with carrier? */
bool dp_access_link_up(struct dp *d, uint32_t ifindex);

/* The length of the IPv6 packet at p (header + payload length), or 0 if
 * the len bytes there hold no whole one (version, header, payload). */
static inline size_t dp_ip6_len(const uint8_t *p, size_t len)
{
	size_t n;

	if (len < DP_IP6_HLEN || (p[0] >> 4) != 6)
		return 0;
	n = DP_IP6_HLEN + (((size_t)p[4] << 8) | p[5]);
	return n <= len ? n : 0;
}

/* Utilities (dp.c) */
int dp_sysctl_write(const char *path, const char *val);
int dp_sysctl_read(const char *path, char *buf, size_t len);

#endif
