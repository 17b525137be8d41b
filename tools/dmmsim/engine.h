/* dmmsim: the simulator's state (one instance, S) and the engine's API. */
#ifndef DMMSIM_ENGINE_H
#define DMMSIM_ENGINE_H

#include "sim.h"

#define SIM_HOLD_QUEUE 64   /* packets per hold, like tests/lib/vnet.h */
#define SIM_STRETCH_BINS 200 /* path stretch histogram: 0.1 bins up to 20 */

enum sim_ev_class { EVC_MSG = 0, EVC_TIMER = 1, EVC_SCEN = 2 };

enum sim_ev_kind {
	EV_MSG, EV_TIMER, EV_DETACH, EV_ATTACH, EV_MOVE, EV_FLOW, EV_PKT, EV_TRACE,
	EV_C_PBU, EV_C_PBA, EV_KIND_COUNT
};

/* An event as ev_pop gives it. */
struct sim_ev {
	dmm_time_t t;
	uint32_t kind, arg;
};

/* An event in the heap, 16 bytes, compared as one 128-bit number (hi,
 * lo): time (32 bits: ms, events after SIM_T_MAX are kept at it), class
 * (2), order within the class (54: scheduling order, or a timer's node),
 * kind (4), argument (32). */
struct sim_hev {
	uint64_t lo, hi;
};

#define SIM_T_MAX UINT32_MAX

struct sim_msg {
	uint32_t from, to, next;
	uint16_t len;
	uint8_t type;
	uint8_t buf[DMM_MSG_MAX];
};

enum { RK_LOCAL = 1, RK_TUNNEL, RK_PASS, RK_MISS, RK_HOLD, RK_ANCHOR, RK_SERVER };

/* One route, hold or anchor of the data-plane model (32 bytes). */
struct sim_rent {
	uint64_t dst, src;  /* upper 64 bits, masked */
	uint32_t owner;     /* node index */
	uint8_t tbl, dlen, slen, kind; /* kind 0: empty slot */
	uint32_t val;       /* route: link / locator node; hold: first held packet */
	uint32_t aux;       /* hold: packets held */
};

enum sim_drop {
	DROP_MISS, DROP_MISS_LOOP, DROP_GONE, DROP_NOROUTE, DROP_LOOP, DROP_HOLD,
	DROP_HOLD_FULL, DROP_NOSRC, DROP_CENTRAL_HO, DROP_COUNT
};

struct sim_trace_ev {
	dmm_time_t t;
	uint32_t mn;
	uint32_t mr;   /* node index; SIM_NONE: detach */
	uint32_t dst;  /* send: MN index, or SIM_NONE - 1 for the server */
	bool send;
};

struct sim {
	struct sim_opts o;
	dmm_time_t now, t0, t_end, stat_from;
	unsigned grid_w;
	bool verbose;
	FILE *msglog;
	unsigned depth; /* inside a core call */

	uint32_t n_nodes;
	struct sim_node *nodes;
	uint32_t *mr_list;       /* node indexes of MRs, per (dom, net, mr) */
	uint32_t *lma;           /* central: per domain, the LMA's network */
	size_t amap_cap;
	uint32_t *amap;

	uint32_t n_mns;
	struct sim_mn *mns;

	struct sim_hev *heap;    /* 4-ary; heap_mem: where it was allocated */
	void *heap_mem;
	size_t n_heap, heap_cap, peak_heap;
	uint64_t ev_seq;

	struct sim_msg *msgs;
	uint32_t n_msgs, msgs_cap, msg_free;

	struct sim_rent *rtab;
	size_t n_rtab, rtab_cap, peak_rtab;
	uint64_t anchor_mask;

	struct sim_pkt *pkts;
	uint32_t n_pkts, pkts_cap, pkt_free, pkts_live;
	struct { uint32_t pkt, node; } *defer;
	size_t n_defer, defer_cap;

	struct sim_flow *flows;
	uint32_t n_flows, flows_cap, flow_free;

	struct sim_trace_ev *trace;
	size_t n_trace;

	uint64_t rng_net, rng_node, rng_scen;

	/* counters */
	uint64_t n_events, n_ev[EV_KIND_COUNT], n_sent, n_recv, n_recv_err, n_timer, n_deadline,
		n_miss, n_lost, n_lost_noroute, n_probe, n_op_unsupported, n_warn;
	uint64_t n_ops[DMM_DP_KIND_COUNT], n_evk[DMM_EV_KIND_COUNT];
	uint64_t sig_type[DMM_MSG_TYPE_COUNT]; /* after warm-up */
	uint64_t handovers, attaches, moves_inter, flows_started, pkts_sent, delivered, held,
		flushed, holds, drops[DROP_COUNT], no_dst;
	uint64_t path_delay_sum, direct_delay_sum, stretch_n;
	double stretch_sum;
	uint32_t h_ho[SIM_HIST_MS + 1], h_loc[SIM_HIST_MS + 1], h_attach[SIM_HIST_MS + 1];
	uint32_t h_extra[SIM_HIST_MS + 1], h_pkt_delay[SIM_HIST_MS + 1];
	uint32_t h_stretch[SIM_STRETCH_BINS];
	/* central anchor */
	uint64_t c_msgs, c_pkts, c_refresh;
};

extern struct sim S;

void *xrealloc(void *p, size_t n);
void *big_alloc(size_t n);
void big_free(void *p, size_t n);
uint64_t rng_next(uint64_t *s);
double rng_unit(uint64_t *s);
double rng_exp(uint64_t *s, double mean);
uint64_t hi64(const struct in6_addr *a);
struct in6_addr addr_of(uint64_t hi, uint32_t host);
struct dmm_mnid mnid_of(uint32_t mn);
uint32_t mn_of_mnid(const struct dmm_mnid *m);

void addr_map_build(void);
uint32_t node_of_addr(const struct in6_addr *a);
uint32_t net_delay(unsigned na, unsigned nb);
uint32_t node_delay(uint32_t a, uint32_t b);

void ev_push(dmm_time_t t, unsigned cls, uint32_t kind, uint32_t arg);
bool ev_pop(struct sim_ev *out);
void resched(uint32_t n);
void on_timer(uint32_t n);
void on_msg(uint32_t i);
void pump(void);

void anchor_add(const struct dmm_prefix *range, uint32_t node, bool server);
uint32_t pkt_alloc(void);
void pkt_route(uint32_t p, uint32_t at, bool arrived);
int node_create(uint32_t n, const struct dmm_config *c);

#endif
