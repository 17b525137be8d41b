/* dmmsim: a discrete-event simulator running the unmodified dmm core
 * (build/libdmm.a). Every MR, LM and HAA is a struct dmm_node fed the real
 * sealed bytes; the simulator is the network, the data plane and the
 * mobile nodes. See docs/EVALUATION.md and man/dmmsim.1. */
#ifndef DMMSIM_H
#define DMMSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "msg.h"
#include "node.h"
#include "roles.h"

#define SIM_NONE UINT32_MAX
#define SIM_LINK_SERVER 0xffffffffu
#define SIM_HIST_MS 20000 /* latency histograms: 1 ms bins up to this */

enum sim_mode { SIM_QUERY, SIM_REDIRECT, SIM_NORO, SIM_CENTRAL };

struct sim_opts {
	unsigned domains, nets, mrs; /* nets per domain (<= 16), MRs per net (<= 15) */
	unsigned mns;
	double sim_s, warmup_s;
	uint32_t intra_ms, inter_ms; /* one-way delays: within a network, per grid step */
	double loss;                 /* signalling loss probability */
	double dwell_s, p_inter;     /* mobility: mean dwell, share of moves to a neighbour net */
	uint32_t gap_ms;             /* detach -> attach */
	double flows_per_h, flow_s, p_server; /* sessions per MN-hour, mean length, share to servers */
	uint32_t pkt_ms;             /* one packet each way per pkt_ms in a session */
	enum sim_mode mode;
	bool new_hoa, hold;
	bool lm_replicate;           /* LMs send their bindings to the others as MN-id hints */
	uint64_t seed;
	const char *trace;           /* replay file: "time mn mr" lines */
	const char *out;             /* output prefix: OUT.json, OUT.nodes.csv, ... */
	const char *msglog;          /* every delivered message: "t type from to" */
	bool fig1;                   /* the draft's figure 1 (tests/lib/fig1.c) */
	bool perf;                   /* wall time, RSS, events/s on stderr */
};

enum sim_role { SR_MR = 1, SR_LM = 2, SR_HAA = 4 };

struct sim_node {
	struct dmm_node *node;
	struct in6_addr addr;
	uint16_t dom;
	uint8_t net;
	uint8_t role;
	uint8_t mr_idx;          /* MR: index in its network */
	bool d0;                 /* route of length 0 in use */
	dmm_time_t sched;        /* earliest pending timer event, NEVER if none */
	uint64_t rmask, smask, hmask; /* prefix lengths in use (bit len-1): routes, sources, holds */
	uint32_t holds;          /* holds in the route model now */
	uint32_t rx[DMM_MSG_TYPE_COUNT], tx[DMM_MSG_TYPE_COUNT];
	uint64_t pkts;           /* data packets that crossed this node */
	char name[DMM_NAME_MAX];
};

struct sim_mn {
	uint32_t cur;            /* node index of the serving MR, SIM_NONE when detached */
	uint32_t next_mr;        /* during a move: where it attaches */
	uint32_t binding;        /* central: MAG the LMA has for it */
	uint64_t hoa;            /* upper 64 bits of its preferred HoA, 0 if none */
	uint64_t rng;
	dmm_time_t t_attach;
	uint8_t ho_pending, loc_pending, first_pending;
	uint8_t ho_local, ho_ctx; /* this handover: nMR routes it locally / pMR forwards */
};

struct sim_flow {
	uint32_t a, b;           /* MN indexes; b = SIM_NONE: server of net srv_net */
	uint32_t srv_node;       /* server: its gateway MR */
	uint64_t a_addr, b_addr; /* upper 64 bits (host ::1 / ::2) */
	dmm_time_t end;
	uint32_t next_free;
	uint8_t dir;
};

struct sim_pkt {
	uint64_t src, dst;       /* upper 64 bits of the addresses */
	uint32_t entry;          /* MR where it entered */
	uint32_t next;           /* hold queue / free list */
	uint32_t delay;          /* path delay so far (ms) */
	uint8_t misses, hops;
	dmm_time_t sent;
};

#endif
