/* A deterministic virtual network for scenario tests: dmm nodes joined by a
 * message queue with one-way delays, loss (seeded) and drop hooks, a virtual
 * clock, a recorder of every message, data-plane op and event, and a tiny
 * data-plane model per MR implementing the route model of core/node.h, so a
 * test can send a packet and see which MRs it crossed. */
#ifndef DMM_VNET_H
#define DMM_VNET_H

#include "node.h"
#include "roles.h"

#define VNET_MAX_NODES 24
#define VNET_MAX_ROUTES 256   /* per MR */
#define VNET_MAX_HOLDS 32     /* per MR */
#define VNET_HOLD_QUEUE 64    /* packets per hold */
#define VNET_MAX_PATH 16
#define VNET_MAX_ANCHORS 64
#define VNET_LINK_SERVER 0xffffffffu /* delivered to a fixed correspondent */

/* One signalling message as seen on the wire (decoded with the domain key). */
struct vnet_msg_rec {
	dmm_time_t t;      /* delivery time (send time when lost) */
	int from, to;      /* node indexes, -1 if no node has that address */
	bool lost;         /* dropped by a hook, random loss or no receiver */
	int open_rc;       /* dmm_msg_open result (0 = decoded) */
	int recv_rc;       /* dmm_node_recv result (lost: not delivered) */
	struct dmm_msg msg;
	struct in6_addr src, dst;
	size_t len;
	uint8_t buf[DMM_MSG_MAX];
};

struct vnet_op_rec {
	dmm_time_t t;
	int node;
	struct dmm_dp_op op;
};

struct vnet_ev_rec {
	int node;
	struct dmm_event ev;
};

enum vnet_route_kind { VNET_R_LOCAL, VNET_R_TUNNEL, VNET_R_PASS, VNET_R_MISS };

struct vnet_route {
	enum vnet_route_kind kind;
	struct dmm_prefix prefix;
	struct dmm_prefix src;
	struct in6_addr locator;
	uint32_t link;
};

enum vnet_pkt_state {
	VNET_PKT_MOVING,    /* internal: being routed */
	VNET_PKT_DELIVERED, /* reached an MN link (or a fixed server) */
	VNET_PKT_HELD,      /* queued by a HOLD at .at */
	VNET_PKT_DROPPED,   /* .why tells */
};

struct vnet_pkt {
	unsigned id;
	struct in6_addr src, dst;
	int path[VNET_MAX_PATH]; /* MR node indexes crossed, in order */
	unsigned n_path;
	enum vnet_pkt_state state;
	int at;            /* node where delivered / held / dropped */
	uint32_t link;     /* delivered: access link (VNET_LINK_SERVER: server) */
	unsigned misses;   /* dmm_mr_miss calls for this packet */
	const char *why;   /* dropped: reason */
};

struct vnet_hold {
	bool used;
	struct dmm_prefix prefix;
	unsigned n;
	unsigned pkt[VNET_HOLD_QUEUE];
};

struct vnet;

struct vnet_node {
	struct vnet *vn;
	int idx;
	char name[DMM_NAME_MAX];
	struct in6_addr addr;
	struct dmm_node *node;
	/* data-plane model (MR only) */
	unsigned n_routes;
	struct vnet_route routes[VNET_MAX_ROUTES];
	struct vnet_hold holds[VNET_MAX_HOLDS];
	struct dmm_dp_op last_adv[8]; /* last ADVERTISE per link (links 0..7) */
};

/* Regular routing: a range anchored at an MR (pools, fixed prefixes). */
struct vnet_anchor {
	struct dmm_prefix range;
	int node;
	bool server; /* fixed correspondents: delivered to the server */
};

struct vnet {
	dmm_time_t now;
	uint64_t rng;
	double loss;             /* random loss probability, 0..1 */
	uint32_t delay_ms;       /* default one-way delay */
	uint32_t link_delay[VNET_MAX_NODES][VNET_MAX_NODES]; /* 0 = default */
	int64_t wall_offset;
	bool stuck;              /* a node kept a deadline in the past */
	bool verbose;            /* print logs (env VNET_LOG) */
	/* No records (messages, data-plane ops, events), no decoding of what
	 * goes by, no formatting of debug log lines: for fuzz_node, which
	 * reads none of them. Drop hooks and random loss need the decoding:
	 * not with lean. */
	bool lean;
	struct dmm_keyring keys; /* to decode what goes by */

	unsigned n_nodes;
	struct vnet_node *nodes[VNET_MAX_NODES];
	unsigned n_anchors;
	struct vnet_anchor anchors[VNET_MAX_ANCHORS];

	/* in flight */
	struct vnet_qmsg *queue;
	size_t q_len, q_cap;
	uint64_t q_seq;

	/* drop hooks */
	struct vnet_drop { enum dmm_msg_type type; int from, to; unsigned count; } drops[8];

	/* records */
	struct vnet_msg_rec *msgs;
	size_t n_msgs, cap_msgs;
	struct vnet_op_rec *ops;
	size_t n_ops, cap_ops;
	struct vnet_ev_rec *evs;
	size_t n_evs, cap_evs;
	struct vnet_pkt *pkts;
	size_t n_pkts, cap_pkts;

	/* packets waiting to be re-routed at a node once the core returns */
	struct vnet_defer { unsigned pkt; int node; } *defer;
	size_t n_defer, cap_defer;
	unsigned core_depth;
};

struct vnet *vnet_new(uint64_t seed, const struct dmm_keyring *keys);
void vnet_free(struct vnet *vn);
/* Add a node running cfg (name and self address come from it); returns its
 * index or a negative dmm_err. Pools whose .mr is a vnet node become
 * regular-routing anchors once that node exists (vnet_add_anchor). */
int vnet_add_node(struct vnet *vn, const struct dmm_config *cfg);
/* Back to the state vnet_new(seed, keys) and the same vnet_add_node calls
 * gave, reusing the vnet's memory: each node is rebuilt (from cfgs[i], or
 * its own configuration when cfgs is NULL or cfgs[i] is), in order, with
 * its data-plane model emptied; nothing in flight, no records, drop hooks
 * cleared, the clock back at its start. Anchors, delays and loss stay.
 * Returns 0 or the first dmm_node_new error (the vnet is then unusable). */
int vnet_reset(struct vnet *vn, uint64_t seed, const struct dmm_config *const *cfgs);
/* Free every node's core (its tables, its configuration), keeping the vnet
 * and its memory: nothing may run until vnet_reset, which then needs a
 * configuration for every node (DMM_E_CONFIG otherwise). For a fuzz
 * harness: all an input allocated is freed by its end. */
void vnet_release(struct vnet *vn);
void vnet_add_anchor(struct vnet *vn, const struct dmm_prefix *range, int node, bool server);
int vnet_find(const struct vnet *vn, const char *name);   /* -1 if none */
int vnet_find_addr(const struct vnet *vn, const struct in6_addr *a);
struct dmm_node *vnet_node(const struct vnet *vn, const char *name);
const struct in6_addr *vnet_addr(const struct vnet *vn, const char *name);
const char *vnet_name(const struct vnet *vn, int idx);

void vnet_set_delay(struct vnet *vn, const char *a, const char *b, uint32_t ms); /* both ways */
/* Drop the next `count` messages of type (NONE = any) from a to b (NULL = any). */
void vnet_drop_next(struct vnet *vn, enum dmm_msg_type type, const char *from,
		    const char *to, unsigned count);

/* Advance the clock to t: deliver due messages in order and run every
 * node's timer at its deadline. */
void vnet_run_until(struct vnet *vn, dmm_time_t t);
void vnet_run_for(struct vnet *vn, dmm_time_t ms);

/* MR events (return the core's result). */
int vnet_attach(struct vnet *vn, const char *mr, uint32_t link, const struct dmm_mnid *id);
int vnet_detach(struct vnet *vn, const char *mr, uint32_t link);

/* Put raw bytes on the wire from src to node `to` (delivered after the
 * delay, recorded like any message). */
void vnet_inject(struct vnet *vn, const struct in6_addr *src, const char *to,
		 const uint8_t *buf, size_t len);
/* Deliver raw bytes now, return dmm_node_recv's result. */
int vnet_deliver_now(struct vnet *vn, const struct in6_addr *src, const char *to,
		     const uint8_t *buf, size_t len);

/* Data plane: a packet from src (behind MR src_mr) to dst. Returns its id;
 * vnet_packet() gives its state, which can change as time runs (held). */
unsigned vnet_send_packet(struct vnet *vn, const char *src_mr, const struct in6_addr *src,
			  const struct in6_addr *dst);
const struct vnet_pkt *vnet_packet(const struct vnet *vn, unsigned id);
/* "MR31>MR11 delivered@MR11/1" */
const char *vnet_pkt_str(const struct vnet *vn, unsigned id, char *buf, size_t len);
/* Path equals the NULL-terminated list of names and the packet was delivered. */
bool vnet_pkt_path_is(const struct vnet *vn, unsigned id, ...);
/* Apply op to node's model as if its core had asked (recorded too); for
 * tests of the model itself. */
void vnet_dp_apply(struct vnet *vn, const char *node, const struct dmm_dp_op *op);
/* Route of node for dst/src in the model (NULL: none). */
const struct vnet_route *vnet_route_lookup(const struct vnet_node *n,
					   const struct in6_addr *dst,
					   const struct in6_addr *src);

/* Expected messages: type, from, to (names). */
struct vnet_exp {
	enum dmm_msg_type type;
	const char *from, *to;
};
/* Compare the delivered (not lost, unless with_lost) messages recorded from
 * index `mark` on with exp[0..n); print both lists on mismatch. */
bool vnet_expect_msgs(const struct vnet *vn, size_t mark, const struct vnet_exp *exp,
		      size_t n, bool with_lost);
void vnet_print_msgs(const struct vnet *vn, size_t mark);
size_t vnet_count_msgs(const struct vnet *vn, size_t mark, enum dmm_msg_type type,
		       const char *from, const char *to);
/* First record from mark on matching (type, from, to), or NULL. */
const struct vnet_msg_rec *vnet_find_msg(const struct vnet *vn, size_t mark,
					 enum dmm_msg_type type, const char *from,
					 const char *to);

/* Expected data-plane ops: node, kind, prefix ("" or NULL = any), src
 * (NULL = any, "" = none), locator node name (NULL = any). */
struct vnet_op_exp {
	const char *node;
	enum dmm_dp_kind kind;
	const char *prefix;
	const char *src;
	const char *locator;
};
/* Ops of node (NULL = all nodes) from mark on, equal to exp; ADVERTISE
 * included only if with_adv. Prints both on mismatch. */
bool vnet_expect_ops(const struct vnet *vn, size_t mark, const char *node,
		     const struct vnet_op_exp *exp, size_t n, bool with_adv);
void vnet_print_ops(const struct vnet *vn, size_t mark, const char *node);
size_t vnet_count_ops(const struct vnet *vn, size_t mark, const char *node,
		      enum dmm_dp_kind kind);
const struct vnet_op_rec *vnet_find_op(const struct vnet *vn, size_t mark, const char *node,
				       enum dmm_dp_kind kind, const char *prefix);
size_t vnet_count_events(const struct vnet *vn, size_t mark, const char *node,
			 enum dmm_event_kind kind);

/* Sum of a counter over all nodes (node NULL) or one node. */
uint64_t vnet_counter(const struct vnet *vn, const char *node, enum dmm_counter c);

/* Role tables through roles.h: find one entry (prefix as text, "" or NULL
 * matches any) and copy it to *out (may be NULL); count entries. */
bool vnet_mn(const struct vnet *vn, const char *mr, const struct dmm_mnid *id,
	     struct dmm_mn_view *out);
unsigned vnet_n_mns(const struct vnet *vn, const char *mr);
bool vnet_cache(const struct vnet *vn, const char *mr, const char *prefix, const char *src,
		struct dmm_cache_view *out);
unsigned vnet_n_cache(const struct vnet *vn, const char *mr);
bool vnet_handover(const struct vnet *vn, const char *mr, const struct dmm_mnid *id,
		   struct dmm_ho_view *out);
unsigned vnet_n_handovers(const struct vnet *vn, const char *mr);
bool vnet_binding(const struct vnet *vn, const char *lm, const char *prefix,
		  struct dmm_binding_view *out);
unsigned vnet_n_bindings(const struct vnet *vn, const char *lm);
bool vnet_lease(const struct vnet *vn, const char *haa, const char *prefix,
		struct dmm_lease_view *out);
unsigned vnet_n_leases(const struct vnet *vn, const char *haa);
/* Node name of an address ("?" if none). */
const char *vnet_name_of(const struct vnet *vn, const struct in6_addr *a);

/* Helpers for tests. */
struct in6_addr vnet_a6(const char *s);         /* aborts on a bad literal */
struct dmm_prefix vnet_p6(const char *s);
struct dmm_mnid vnet_mnid(unsigned n);           /* 02:00:00:00:00:nn */
const char *vnet_prefix_str(const struct dmm_prefix *p); /* static buffer ring */
/* Host address ::<host> inside prefix p. */
struct in6_addr vnet_host(const struct dmm_prefix *p, unsigned host);

#endif
