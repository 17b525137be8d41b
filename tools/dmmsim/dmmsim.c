/* dmmsim: topology, scenario (mobility, sessions, trace replay), the
 * centralized-anchor baseline, and the report. Usage: dmmsim -h. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine.h"
#include "fig1.h"

static const char *const fig1_names[] = { "LMHAA1", "MR11", "MR12", "LMHAA2", "MR2",
					  "MRGW",   "LM3",  "HAA3", "MR31",  "MR32" };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmmsim [options]\n"
		"  -m, --mode MODE       query | redirect | none | central (default query)\n"
		"      --new-hoa         new HoA on arrival (draft 4.2)\n"
		"      --no-hold         the pMR does not hold packets of a departed MN\n"
		"      --lm-replicate    LMs replicate bindings to each other (MN-id hints)\n"
		"  -D, --domains N       administrative domains (default 1)\n"
		"  -L, --nets N          local networks per domain, <= 16 (default 4)\n"
		"  -M, --mrs N           MRs per network, <= 15 (default 4)\n"
		"  -n, --mns N           mobile nodes (default 1000)\n"
		"  -t, --time S          simulated seconds after the warm-up (default 600)\n"
		"      --warmup S        initial attaches spread over S seconds (default 60)\n"
		"      --intra MS        one-way delay inside a network (default 2)\n"
		"      --inter MS        one-way delay per grid step between networks (default 10)\n"
		"      --loss P          signalling loss probability (default 0)\n"
		"      --dwell S         mean dwell time at an MR, exponential (default 600)\n"
		"      --p-inter P       share of moves to a neighbouring network (default 0.2)\n"
		"      --gap MS          detach -> attach (default 50)\n"
		"      --flows R         sessions per MN-hour, Poisson (default 4)\n"
		"      --flow-len S      mean session length, exponential (default 60)\n"
		"      --p-server P      share of sessions to a fixed server (default 0.3)\n"
		"      --pkt MS          one packet each way every MS in a session (default 2000)\n"
		"      --trace FILE      replay \"time mn mr\" lines (mr '-': leaves; \"time mn send DST\")\n"
		"      --fig1            the draft's figure-1 topology (tests/lib/fig1.c)\n"
		"  -s, --seed N          (default 1)\n"
		"  -o, --out PREFIX      write PREFIX.json, .nodes.csv, .latency.csv, .stretch.csv\n"
		"      --msglog FILE     every delivered message: \"t type from to\"\n"
		"      --perf            wall time, events/s and peak RSS on stderr\n"
		"  -v, --verbose         the core's log lines on stderr\n"
		"      --heap-bench N    time the event heap alone with N pending events\n");
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "dmmsim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static double num(const char *s, const char *what, double lo, double hi)
{
	char *e;
	double v;

	errno = 0;
	v = strtod(s, &e);
	if (errno || e == s || *e || !(v >= lo && v <= hi)) {
		fprintf(stderr, "dmmsim: bad %s '%s' (%g..%g)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

/* ---- the generated topology ---- */

static uint32_t gen_idx(unsigned d, unsigned i, unsigned k)
{
	/* per (domain, net): LM, HAA, MR0.. */
	return ((uint32_t)d * S.o.nets + i) * (S.o.mrs + 2) + k;
}

static struct in6_addr gen_addr(unsigned d, unsigned i, unsigned k)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	a.s6_addr[0] = 0xfc;
	a.s6_addr[2] = (uint8_t)(d >> 8);
	a.s6_addr[3] = (uint8_t)d;
	a.s6_addr[5] = (uint8_t)i;
	a.s6_addr[15] = (uint8_t)(k + 1);
	return a;
}

/* fd00:D:(I<<8 | sub)::/len */
static struct dmm_prefix gen_prefix(unsigned d, unsigned i, unsigned sub, uint8_t len)
{
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.s6_addr[0] = 0xfd;
	p.addr.s6_addr[2] = (uint8_t)(d >> 8);
	p.addr.s6_addr[3] = (uint8_t)d;
	p.addr.s6_addr[4] = (uint8_t)i;
	p.addr.s6_addr[5] = (uint8_t)sub;
	p.len = len;
	return p;
}

#define SERVER_SUB 0xfe

static void sim_keyring(struct dmm_keyring *kr)
{
	uint8_t key[DMM_KEY_LEN];
	uint64_t s = S.o.seed ^ 0x6b6579;

	memset(kr, 0, sizeof(*kr));
	for (unsigned i = 0; i < DMM_KEY_LEN; i++)
		key[i] = (uint8_t)rng_next(&s);
	if (dmm_keyring_add(kr, 1, key) != 0)
		die("%s", "key ring");
	kr->active = 1;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static void gen_config(struct dmm_config *c, unsigned d, unsigned i, unsigned k,
		       const struct dmm_keyring *kr)
{
	const struct sim_opts *o = &S.o;
	uint32_t per_mr = o->mns / (o->domains * o->nets * o->mrs) + 1;
	uint32_t per_net = per_mr * o->mrs;

	dmm_config_defaults(c);
	c->roles = k == 0 ? DMM_ROLE_LM : k == 1 ? DMM_ROLE_HAA : DMM_ROLE_MR;
	if (k >= 2)
		snprintf(c->name, sizeof(c->name), "d%hun%hhu-mr%hhu", (unsigned short)d, (unsigned char)i, (unsigned char)(k - 2));
	else
		snprintf(c->name, sizeof(c->name), "d%hun%hhu-%s", (unsigned short)d, (unsigned char)i, k ? "haa" : "lm");
	c->self = gen_addr(d, i, k);
	c->local_net = (int)i;
	c->n_nets = o->nets;
	for (unsigned j = 0; j < o->nets; j++) {
		struct dmm_network *net = &c->nets[j];
		snprintf(net->name, sizeof(net->name), "n%hhu", (unsigned char)j);
		net->n_prefixes = 1;
		net->prefixes[0] = gen_prefix(d, j, 0, 40);
		net->lm = gen_addr(d, j, 0);
		net->haa = gen_addr(d, j, 1);
	}
	if (k >= 1) {
		c->n_pools = o->mrs;
		for (unsigned j = 0; j < o->mrs; j++)
			c->pools[j] = (struct dmm_pool){ .range = gen_prefix(d, i, j, 48), .plen = 64,
							 .mr = gen_addr(d, i, j + 2),
							 .mode = DMM_POOL_STATEFUL };
	}
	c->ro_mode = o->mode == SIM_REDIRECT ? DMM_RO_REDIRECT :
		     o->mode == SIM_NORO ? DMM_RO_NONE : DMM_RO_QUERY;
	c->new_hoa_on_arrival = o->new_hoa;
	c->hold_packets = o->hold;
	c->lm_replicate = o->lm_replicate && k == 0;
	if (k == 2) {
		c->n_fixed = 1;
		c->fixed[0] = gen_prefix(d, i, SERVER_SUB, 64);
	}
	/* Tables sized for the scenario: the core allocates (and partly
	 * zeroes) them up front, so the floors are per-node memory. Overflow
	 * is visible in the report (core counters table_full, cache_evicted). */
	if (k >= 2) {
		c->limits.max_mns = max_u32(16, 3 * per_mr);
		/* contexts live handover_ctx_ms (3 s): a few per MR at a time */
		c->limits.max_handovers = max_u32(16, per_mr);
		c->limits.max_cache = max_u32(64, 4 * per_mr);
		c->limits.max_pending = max_u32(32, 2 * per_mr);
		c->limits.reply_cache = 32;
		c->limits.max_peers = 256;
	} else {
		c->limits.max_pending = max_u32(256, 4 * per_net);
		/* replicas of every other LM's bindings live in a table as big */
		c->limits.max_bindings = max_u32(1024, 4 * per_net * (o->lm_replicate ? o->nets : 1));
		c->limits.max_leases = max_u32(1024, 4 * per_net);
		c->limits.max_peers = max_u32(1024, 2 * o->nets * (o->mrs + 2));
		/* every MR of the domain may subscribe to a server's prefix */
		c->limits.max_subscribers = max_u32(64, o->nets * o->mrs);
	}
	c->keys = *kr;
}

static void cfg_err(void *ctx, const char *msg)
{
	fprintf(stderr, "dmmsim: %s: %s\n", (const char *)ctx, msg);
}

static void create(uint32_t n, const struct dmm_config *c)
{
	int rc = node_create(n, c);

	if (rc < 0) {
		dmm_config_check(c, cfg_err, (void *)c->name);
		fprintf(stderr, "dmmsim: node %s: %s\n", c->name, dmm_strerror(rc));
		exit(1);
	}
	dmm_node_set_wall_offset(S.nodes[n].node, INT64_C(1700000000000));
}

/* Anchors (regular routing) from what the configurations say: pools are
 * anchored at their MR, fixed prefixes at their gateway MR. */
static void anchors_from(const struct dmm_config *c, uint32_t n)
{
	for (unsigned j = 0; j < c->n_pools; j++) {
		uint32_t mr = node_of_addr(&c->pools[j].mr);
		if (mr != SIM_NONE)
			anchor_add(&c->pools[j].range, mr, false);
	}
	for (unsigned j = 0; j < c->n_fixed; j++)
		anchor_add(&c->fixed[j], n, true);
}

static void build_generated(void)
{
	const struct sim_opts *o = &S.o;
	struct dmm_config *c = xrealloc(NULL, sizeof(*c));
	struct dmm_keyring kr;
	unsigned per = o->mrs + 2;

	S.n_nodes = o->domains * o->nets * per;
	S.nodes = xrealloc(NULL, S.n_nodes * sizeof(*S.nodes));
	memset(S.nodes, 0, S.n_nodes * sizeof(*S.nodes));
	S.mr_list = xrealloc(NULL, (size_t)o->domains * o->nets * o->mrs * sizeof(uint32_t));
	for (unsigned d = 0; d < o->domains; d++)
		for (unsigned i = 0; i < o->nets; i++)
			for (unsigned k = 0; k < per; k++) {
				struct sim_node *x = &S.nodes[gen_idx(d, i, k)];
				x->addr = gen_addr(d, i, k);
				x->dom = (uint16_t)d;
				x->net = (uint8_t)i;
				x->role = k == 0 ? SR_LM : k == 1 ? SR_HAA : SR_MR;
				x->mr_idx = (uint8_t)(k >= 2 ? k - 2 : 0);
				x->sched = DMM_TIME_NEVER;
				if (k >= 2)
					S.mr_list[(d * o->nets + i) * o->mrs + k - 2] = gen_idx(d, i, k);
				if (k >= 2)
					snprintf(x->name, sizeof(x->name), "d%hun%hhu-mr%hhu", (unsigned short)d, (unsigned char)i, (unsigned char)(k - 2));
				else
					snprintf(x->name, sizeof(x->name), "d%hun%hhu-%s", (unsigned short)d,
						 (unsigned char)i, k ? "haa" : "lm");
			}
	addr_map_build();
	sim_keyring(&kr);
	for (unsigned d = 0; d < o->domains; d++)
		for (unsigned i = 0; i < o->nets; i++)
			for (unsigned k = 0; k < per; k++) {
				gen_config(c, d, i, k, &kr);
				if (k == 1 || k == 2)
					anchors_from(c, gen_idx(d, i, k));
				if (o->mode != SIM_CENTRAL)
					create(gen_idx(d, i, k), c);
			}
	free(c);
}

static void build_fig1(void)
{
	struct fig1_opts fo;
	struct dmm_config *c = xrealloc(NULL, sizeof(*c));
	unsigned nmr = 0;

	fig1_defaults(&fo);
	fo.ro_mode = S.o.mode == SIM_REDIRECT ? DMM_RO_REDIRECT :
		     S.o.mode == SIM_NORO ? DMM_RO_NONE : DMM_RO_QUERY;
	fo.new_hoa_on_arrival = S.o.new_hoa;
	fo.hold_packets = S.o.hold;
	fo.seed = S.o.seed;
	S.n_nodes = sizeof(fig1_names) / sizeof(fig1_names[0]);
	S.nodes = xrealloc(NULL, S.n_nodes * sizeof(*S.nodes));
	memset(S.nodes, 0, S.n_nodes * sizeof(*S.nodes));
	S.mr_list = xrealloc(NULL, S.n_nodes * sizeof(uint32_t));
	for (uint32_t n = 0; n < S.n_nodes; n++) {
		fig1_config(&fo, fig1_names[n], c);
		S.nodes[n].addr = c->self;
		S.nodes[n].net = (uint8_t)c->local_net;
		S.nodes[n].role = (uint8_t)((c->roles & DMM_ROLE_MR ? SR_MR : 0) |
					    (c->roles & DMM_ROLE_LM ? SR_LM : 0) |
					    (c->roles & DMM_ROLE_HAA ? SR_HAA : 0));
		snprintf(S.nodes[n].name, sizeof(S.nodes[n].name), "%s", c->name);
		if (c->roles & DMM_ROLE_MR)
			S.mr_list[nmr++] = n;
	}
	S.o.domains = 1;
	S.o.nets = 3;
	S.o.mrs = nmr; /* mr_list is flat here */
	S.o.nets = 1;
	addr_map_build();
	for (uint32_t n = 0; n < S.n_nodes; n++) {
		fig1_config(&fo, fig1_names[n], c);
		anchors_from(c, n);
		create(n, c);
	}
	free(c);
}

static uint32_t find_node(const char *name)
{
	for (uint32_t n = 0; n < S.n_nodes; n++)
		if (strcmp(S.nodes[n].name, name) == 0)
			return n;
	return SIM_NONE;
}

static uint32_t mr_count(void)
{
	return S.o.domains * S.o.nets * S.o.mrs;
}

static uint32_t pick_mr(uint64_t *rng, unsigned d, unsigned net)
{
	unsigned j = (unsigned)(rng_next(rng) % S.o.mrs);

	return S.mr_list[(d * S.o.nets + net) * S.o.mrs + j];
}

/* ---- trace ---- */

static void load_trace(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned lineno = 0;
	size_t cap = 0;

	if (!f)
		die("cannot open trace %s", path);
	while (fgets(line, sizeof(line), f)) {
		char a[64], b[64], c[64], dst[64];
		double t;
		unsigned long mn;
		int k;
		struct sim_trace_ev e = { .dst = SIM_NONE };

		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		k = sscanf(line, "%63s %63s %63s %63s", a, b, c, dst);
		if (k < 3) {
			fprintf(stderr, "dmmsim: %s:%u: expected \"time mn mr\"\n", path, lineno);
			exit(2);
		}
		t = num(a, "trace time", 0, 1e7);
		mn = (unsigned long)num(b, "trace mn", 0, (double)S.n_mns - 1);
		e.t = S.t0 + (dmm_time_t)llround(t * 1000.0);
		e.mn = (uint32_t)mn;
		if (strcmp(c, "send") == 0) {
			if (k < 4) {
				fprintf(stderr, "dmmsim: %s:%u: send needs a destination\n", path,
					lineno);
				exit(2);
			}
			e.send = true;
			e.dst = strcmp(dst, "server") == 0 ?
					SIM_NONE - 1 :
					(uint32_t)num(dst, "trace destination", 0,
						      (double)S.n_mns - 1);
		} else if (strcmp(c, "-") == 0) {
			e.mr = SIM_NONE;
		} else {
			char *end;
			unsigned long v = strtoul(c, &end, 10);
			e.mr = find_node(c);
			if (e.mr == SIM_NONE && *c && !*end && v < mr_count())
				e.mr = S.mr_list[v];
			if (e.mr == SIM_NONE || !(S.nodes[e.mr].role & SR_MR)) {
				fprintf(stderr, "dmmsim: %s:%u: no MR '%s'\n", path, lineno, c);
				exit(2);
			}
		}
		if (S.n_trace == cap) {
			cap = cap ? 2 * cap : 64;
			S.trace = xrealloc(S.trace, cap * sizeof(*S.trace));
		}
		S.trace[S.n_trace++] = e;
	}
	fclose(f);
	for (size_t i = 0; i < S.n_trace; i++)
		ev_push(S.trace[i].t, EVC_SCEN, EV_TRACE, (uint32_t)i);
}

/* ---- the centralized anchor (PMIPv6 LMA / MIPv6 HA) ---- */

static uint32_t lma_net(unsigned d)
{
	(void)d;
	return S.lma[0];
}

static uint32_t lma_delay(uint32_t node)
{
	return net_delay(S.nodes[node].net, lma_net(S.nodes[node].dom));
}

/* MAG -> LMA -> MAG: every packet crosses the anchor. */
static void central_pkt(uint32_t entry, uint32_t dst_mn, uint32_t srv)
{
	uint32_t target = dst_mn == SIM_NONE ? srv : S.mns[dst_mn].binding;
	uint32_t delay, direct;

	S.c_pkts++;
	S.nodes[entry].pkts++;
	if (target == SIM_NONE || (dst_mn != SIM_NONE && S.mns[dst_mn].cur != target)) {
		S.drops[DROP_CENTRAL_HO]++; /* tunnelled to a MAG the MN has left */
		return;
	}
	S.nodes[target].pkts++;
	delay = lma_delay(entry) + lma_delay(target);
	direct = node_delay(entry, target);
	S.delivered++;
	if (S.now >= S.stat_from) {
		S.path_delay_sum += delay;
		S.direct_delay_sum += direct;
		S.h_extra[delay < direct ? 0 : delay - direct < SIM_HIST_MS ? delay - direct : SIM_HIST_MS]++;
		S.h_pkt_delay[delay < SIM_HIST_MS ? delay : SIM_HIST_MS]++;
		if (direct > 0) {
			double r = (double)delay / direct;
			unsigned b = (unsigned)(r * 10.0 + 0.5);
			S.h_stretch[b < SIM_STRETCH_BINS ? b : SIM_STRETCH_BINS - 1]++;
			S.stretch_sum += r;
			S.stretch_n++;
		}
	}
}

/* ---- mobility and sessions ---- */

static void hist_put(uint32_t *h, uint64_t ms)
{
	h[ms < SIM_HIST_MS ? ms : SIM_HIST_MS]++;
}

static void mn_attach(uint32_t mn, uint32_t mr)
{
	struct sim_mn *m = &S.mns[mn];
	struct dmm_mnid id = mnid_of(mn);
	bool first = m->t_attach == 0;

	m->cur = mr;
	m->t_attach = S.now;
	if (first) {
		m->first_pending = 1;
		S.attaches++;
	} else {
		m->ho_pending = m->loc_pending = 1;
		m->ho_local = m->ho_ctx = 0;
		if (S.now >= S.stat_from)
			S.handovers++;
	}
	if (S.o.mode == SIM_CENTRAL) {
		ev_push(S.now + lma_delay(mr), EVC_SCEN, EV_C_PBU, mn);
		return;
	}
	S.depth++;
	dmm_mr_attach(S.nodes[mr].node, mn, &id, S.now);
	S.depth--;
	resched(mr);
	pump();
}

static void mn_detach(uint32_t mn)
{
	struct sim_mn *m = &S.mns[mn];
	uint32_t mr = m->cur;

	if (mr == SIM_NONE)
		return;
	m->cur = SIM_NONE;
	if (S.o.mode == SIM_CENTRAL)
		return;
	S.depth++;
	dmm_mr_detach(S.nodes[mr].node, mn, S.now);
	S.depth--;
	resched(mr);
	pump();
}

static void on_move(uint32_t mn)
{
	struct sim_mn *m = &S.mns[mn];
	const struct sim_node *x;
	unsigned net, w = S.grid_w;
	uint32_t to;

	if (m->cur == SIM_NONE)
		return;
	x = &S.nodes[m->cur];
	net = x->net;
	if (S.o.nets > 1 && (S.o.mrs == 1 || rng_unit(&m->rng) < S.o.p_inter)) {
		/* a neighbour on the grid */
		unsigned cand[4], nc = 0, gx = net % w, gy = net / w;
		if (gx > 0) cand[nc++] = net - 1;
		if (gx + 1 < w && net + 1 < S.o.nets) cand[nc++] = net + 1;
		if (gy > 0) cand[nc++] = net - w;
		if (net + w < S.o.nets) cand[nc++] = net + w;
		net = cand[rng_next(&m->rng) % nc];
		S.moves_inter++;
		to = pick_mr(&m->rng, x->dom, net);
	} else {
		do
			to = pick_mr(&m->rng, x->dom, net);
		while (to == m->cur && S.o.mrs > 1);
	}
	mn_detach(mn);
	m->next_mr = to;
	ev_push(S.now + S.o.gap_ms, EVC_SCEN, EV_ATTACH, mn);
}

static void flow_free(uint32_t f)
{
	S.flows[f].next_free = S.flow_free;
	S.flow_free = f;
}

static void send_pkt(uint32_t entry, uint64_t src, uint64_t dst, uint32_t dst_mn, uint32_t srv)
{
	uint32_t p;

	S.pkts_sent++;
	if (entry == SIM_NONE) {
		S.drops[DROP_NOSRC]++;
		return;
	}
	if (S.o.mode == SIM_CENTRAL) {
		central_pkt(entry, dst_mn, srv);
		return;
	}
	p = pkt_alloc();
	S.pkts[p].src = src;
	S.pkts[p].dst = dst;
	S.pkts[p].entry = entry;
	S.pkts[p].sent = S.now;
	pkt_route(p, entry, true);
	pump();
}

static void on_pkt(uint32_t f)
{
	struct sim_flow *fl = &S.flows[f];

	if (S.now > fl->end) {
		flow_free(f);
		return;
	}
	if (fl->dir == 0)
		send_pkt(S.mns[fl->a].cur, fl->a_addr, fl->b_addr, fl->b, fl->srv_node);
	else
		send_pkt(fl->b == SIM_NONE ? fl->srv_node : S.mns[fl->b].cur, fl->b_addr,
			 fl->a_addr, fl->a, SIM_NONE);
	fl = &S.flows[f];
	fl->dir ^= 1;
	ev_push(S.now + S.o.pkt_ms / 2, EVC_SCEN, EV_PKT, f);
}

static void on_flow(uint32_t mn)
{
	struct sim_mn *m = &S.mns[mn];
	struct sim_flow fl = { .b = SIM_NONE, .srv_node = SIM_NONE };
	uint32_t f;
	unsigned d = mn % S.o.domains;
	/* every draw first, whatever happens next: the same seed gives the same
	 * sessions in every mode */
	double next = rng_exp(&m->rng, 3600.0 / S.o.flows_per_h), coin = rng_unit(&m->rng);
	uint64_t pick = rng_next(&m->rng);
	double len = rng_exp(&m->rng, S.o.flow_s);

	ev_push(S.now + 1 + (dmm_time_t)(next * 1000.0), EVC_SCEN, EV_FLOW, mn);
	if (m->cur == SIM_NONE || (!m->hoa && S.o.mode != SIM_CENTRAL))
		return;
	fl.a = mn;
	fl.a_addr = m->hoa ? m->hoa : (uint64_t)mn << 8;
	if (coin < S.o.p_server) {
		unsigned net = (unsigned)(pick % S.o.nets);
		struct dmm_prefix p = gen_prefix(d, net, SERVER_SUB, 64);
		fl.b_addr = hi64(&p.addr);
		fl.srv_node = S.mr_list[(d * S.o.nets + net) * S.o.mrs];
	} else {
		uint32_t per = (S.n_mns + S.o.domains - 1 - d) / S.o.domains;
		uint32_t b = d + S.o.domains * (uint32_t)(pick % per);
		if (b == mn || S.mns[b].cur == SIM_NONE ||
		    (!S.mns[b].hoa && S.o.mode != SIM_CENTRAL)) {
			S.no_dst++;
			return;
		}
		fl.b = b;
		fl.b_addr = S.mns[b].hoa ? S.mns[b].hoa : (uint64_t)b << 8;
	}
	fl.end = S.now + (dmm_time_t)(len * 1000.0);
	if (S.flow_free != SIM_NONE) {
		f = S.flow_free;
		S.flow_free = S.flows[f].next_free;
	} else {
		if (S.n_flows == S.flows_cap) {
			S.flows_cap = S.flows_cap ? 2 * S.flows_cap : 1024;
			S.flows = xrealloc(S.flows, S.flows_cap * sizeof(*S.flows));
		}
		f = S.n_flows++;
	}
	S.flows[f] = fl;
	S.flows_started++;
	on_pkt(f);
}

static void on_trace(uint32_t i)
{
	const struct sim_trace_ev *e = &S.trace[i];
	struct sim_mn *m = &S.mns[e->mn];

	if (e->send) {
		uint64_t dst = 0;
		if (e->dst == SIM_NONE - 1) {
			struct dmm_prefix p;
			if (S.o.fig1)
				dmm_prefix_parse(FIG1_SERVER_PREFIX, &p);
			else
				p = gen_prefix(0, 0, SERVER_SUB, 64);
			dst = hi64(&p.addr);
		} else {
			dst = S.mns[e->dst].hoa;
		}
		if (!m->hoa || !dst) {
			S.no_dst++;
			return;
		}
		send_pkt(m->cur, m->hoa, dst, e->dst == SIM_NONE - 1 ? SIM_NONE : e->dst, SIM_NONE);
		return;
	}
	mn_detach(e->mn);
	if (e->mr != SIM_NONE)
		mn_attach(e->mn, e->mr);
}

static void on_c_pbu(uint32_t mn)
{
	struct sim_mn *m = &S.mns[mn];
	bool ho = m->ho_pending;

	S.c_msgs += ho ? 3 : 1; /* PBU; a handover also deregisters at the pMAG (PBU + PBA) */
	if (m->cur == SIM_NONE)
		return;
	m->binding = m->cur;
	ev_push(S.now + lma_delay(m->cur), EVC_SCEN, EV_C_PBA, mn);
}

static void on_c_pba(uint32_t mn)
{
	struct sim_mn *m = &S.mns[mn];

	S.c_msgs++;
	if (m->ho_pending) {
		m->ho_pending = m->loc_pending = 0;
		if (S.now >= S.stat_from) {
			hist_put(S.h_ho, S.now - m->t_attach);
			hist_put(S.h_loc, S.now - m->t_attach);
		}
	}
	if (m->first_pending) {
		m->first_pending = 0;
		hist_put(S.h_attach, S.now - m->t_attach);
	}
}

/* ---- the run ---- */

static void run(void)
{
	struct sim_ev e;
	dmm_time_t last = 0;
	unsigned spins = 0;

	while (ev_pop(&e)) {
		if (e.t > S.t_end) {
			S.now = S.t_end;
			break;
		}
		S.now = e.t;
		if (S.now != last) {
			last = S.now;
			spins = 0;
		} else if (++spins > 2000000) {
			fprintf(stderr, "dmmsim: stuck at t=%llu\n", (unsigned long long)S.now);
			exit(1);
		}
		S.n_events++;
		S.n_ev[e.kind]++;
		switch (e.kind) {
		case EV_MSG: on_msg(e.arg); break;
		case EV_TIMER: on_timer(e.arg); break;
		case EV_ATTACH:
			mn_attach(e.arg, S.mns[e.arg].next_mr);
			if (!S.o.trace)
				ev_push(S.now + 1 +
						(dmm_time_t)(rng_exp(&S.mns[e.arg].rng, S.o.dwell_s) *
							     1000.0),
					EVC_SCEN, EV_MOVE, e.arg);
			break;
		case EV_MOVE: on_move(e.arg); break;
		case EV_FLOW: on_flow(e.arg); break;
		case EV_PKT: on_pkt(e.arg); break;
		case EV_TRACE: on_trace(e.arg); break;
		case EV_C_PBU: on_c_pbu(e.arg); break;
		case EV_C_PBA: on_c_pba(e.arg); break;
		default: break;
		}
	}
}

static void scenario(void)
{
	const struct sim_opts *o = &S.o;

	S.mns = big_alloc((size_t)S.n_mns * sizeof(*S.mns));
	for (uint32_t i = 0; i < S.n_mns; i++) {
		struct sim_mn *m = &S.mns[i];
		memset(m, 0, sizeof(*m));
		m->cur = m->next_mr = m->binding = SIM_NONE;
		m->rng = o->seed * 0x2545f4914f6cdd1dull + i;
		rng_next(&m->rng);
	}
	if (o->trace) {
		load_trace(o->trace);
		return;
	}
	for (uint32_t i = 0; i < S.n_mns; i++) {
		struct sim_mn *m = &S.mns[i];
		unsigned d = i % o->domains, net = (unsigned)(rng_next(&m->rng) % o->nets);
		dmm_time_t t = S.t0 + (dmm_time_t)(rng_unit(&m->rng) * o->warmup_s * 1000.0);
		m->next_mr = pick_mr(&m->rng, d, net);
		ev_push(t, EVC_SCEN, EV_ATTACH, i);
		if (o->flows_per_h > 0)
			ev_push(t + 1000 + (dmm_time_t)(rng_exp(&m->rng, 3600.0 / o->flows_per_h) *
							1000.0),
				EVC_SCEN, EV_FLOW, i);
	}
}

/* ---- report ---- */

struct tables {
	uint32_t mns, cache, hos, bindings, leases;
};

static void cnt_mn(void *ctx, const struct dmm_mn_view *v) { (void)v; ((struct tables *)ctx)->mns++; }
static void cnt_cache(void *ctx, const struct dmm_cache_view *v) { (void)v; ((struct tables *)ctx)->cache++; }
static void cnt_ho(void *ctx, const struct dmm_ho_view *v) { (void)v; ((struct tables *)ctx)->hos++; }
static void cnt_b(void *ctx, const struct dmm_binding_view *v) { (void)v; ((struct tables *)ctx)->bindings++; }
static void cnt_l(void *ctx, const struct dmm_lease_view *v) { (void)v; ((struct tables *)ctx)->leases++; }

static struct tables node_tables(uint32_t n)
{
	struct tables t = { 0 };
	const struct sim_node *x = &S.nodes[n];

	if (!x->node)
		return t;
	if (x->role & SR_MR) {
		dmm_mr_foreach_mn(x->node, cnt_mn, &t);
		dmm_mr_foreach_cache(x->node, cnt_cache, &t);
		dmm_mr_foreach_handover(x->node, cnt_ho, &t);
	}
	if (x->role & SR_LM)
		dmm_lm_foreach_binding(x->node, cnt_b, &t);
	if (x->role & SR_HAA)
		dmm_haa_foreach_lease(x->node, cnt_l, &t);
	return t;
}

static uint64_t node_msgs(const struct sim_node *x)
{
	uint64_t s = 0;

	for (unsigned t = 0; t < DMM_MSG_TYPE_COUNT; t++)
		s += x->rx[t] + x->tx[t];
	return s;
}

static void hist_json(FILE *f, const char *name, const uint32_t *h, bool last)
{
	uint64_t n = 0, sum = 0, acc = 0;
	uint32_t p50 = 0, p90 = 0, p99 = 0, mx = 0;
	bool g50 = false, g90 = false, g99 = false;

	for (uint32_t i = 0; i <= SIM_HIST_MS; i++) {
		n += h[i];
		sum += (uint64_t)h[i] * i;
		if (h[i])
			mx = i;
	}
	for (uint32_t i = 0; i <= SIM_HIST_MS && n; i++) {
		acc += h[i];
		if (!g50 && acc * 100 >= n * 50) { p50 = i; g50 = true; }
		if (!g90 && acc * 100 >= n * 90) { p90 = i; g90 = true; }
		if (!g99 && acc * 100 >= n * 99) { p99 = i; g99 = true; }
	}
	fprintf(f, "    \"%s\": {\"n\": %llu, \"mean\": %.3f, \"p50\": %u, \"p90\": %u, \"p99\": %u, "
		   "\"max\": %u}%s\n",
		name, (unsigned long long)n, n ? (double)sum / (double)n : 0.0, p50, p90, p99, mx,
		last ? "" : ",");
}

static const char *mode_name(void)
{
	static const char *const m[] = { "query", "redirect", "none", "central" };
	return m[S.o.mode];
}

static const char *const drop_names[] = { "miss_unresolved", "miss_loop", "mn_gone", "no_route",
					  "routing_loop", "hold_dropped", "hold_full",
					  "src_detached", "central_handover" };

static void report(FILE *f)
{
	const struct sim_opts *o = &S.o;
	double hours = (double)(S.t_end - S.stat_from) / 3.6e6;
	uint64_t sig = 0, hot[8] = { 0 }, maxpkts = 0;
	uint32_t hot_n[8], maxpkts_n = 0;
	struct tables tmax = { 0 }, tsum = { 0 };
	uint32_t n_mr = 0, n_lm = 0;
	double mnh = hours * S.n_mns;

	for (int i = 0; i < 8; i++)
		hot_n[i] = SIM_NONE;
	for (unsigned t = 0; t < DMM_MSG_TYPE_COUNT; t++)
		sig += S.sig_type[t];
	for (uint32_t n = 0; n < S.n_nodes; n++) {
		const struct sim_node *x = &S.nodes[n];
		uint64_t m = node_msgs(x);
		struct tables t = node_tables(n);
		if (m > hot[x->role] || hot_n[x->role] == SIM_NONE) {
			hot[x->role] = m;
			hot_n[x->role] = n;
		}
		if ((x->role & SR_MR) && x->pkts > maxpkts) {
			maxpkts = x->pkts;
			maxpkts_n = n;
		}
		n_mr += !!(x->role & SR_MR);
		n_lm += !!(x->role & SR_LM);
#define TMAX(fld) do { if (t.fld > tmax.fld) tmax.fld = t.fld; tsum.fld += t.fld; } while (0)
		TMAX(mns); TMAX(cache); TMAX(hos); TMAX(bindings); TMAX(leases);
#undef TMAX
	}
	if (o->mode == SIM_CENTRAL) {
		uint64_t refresh = (uint64_t)(mnh * 3600.0 / 600.0) * 2; /* PBU+PBA per lifetime */
		S.c_refresh = refresh;
		sig = S.c_msgs + refresh;
	}
	fprintf(f, "{\n  \"mode\": \"%s\", \"new_hoa\": %s, \"hold\": %s, \"lm_replicate\": %s, "
		   "\"seed\": %llu,\n",
		mode_name(), o->new_hoa ? "true" : "false", o->hold ? "true" : "false",
		o->lm_replicate ? "true" : "false", (unsigned long long)o->seed);
	fprintf(f, "  \"topology\": {\"fig1\": %s, \"domains\": %u, \"nets\": %u, \"mrs_per_net\": %u, "
		   "\"nodes\": %u, \"mrs\": %u, \"lms\": %u, \"intra_ms\": %u, \"inter_ms\": %u, "
		   "\"loss\": %g},\n",
		o->fig1 ? "true" : "false", o->domains, o->nets, o->mrs, S.n_nodes, n_mr, n_lm,
		o->intra_ms, o->inter_ms, o->loss);
	fprintf(f, "  \"scenario\": {\"mns\": %u, \"sim_s\": %g, \"warmup_s\": %g, \"dwell_s\": %g, "
		   "\"p_inter\": %g, \"gap_ms\": %u, \"flows_per_mn_h\": %g, \"flow_s\": %g, "
		   "\"p_server\": %g, \"pkt_ms\": %u, \"trace\": %s},\n",
		S.n_mns, o->sim_s, o->warmup_s, o->dwell_s, o->p_inter, o->gap_ms, o->flows_per_h,
		o->flow_s, o->p_server, o->pkt_ms, o->trace ? "true" : "false");
	fprintf(f, "  \"mobility\": {\"attaches\": %llu, \"handovers\": %llu, \"inter_net_moves\": %llu, "
		   "\"handovers_per_mn_h\": %.4f},\n",
		(unsigned long long)S.attaches, (unsigned long long)S.handovers,
		(unsigned long long)S.moves_inter, mnh > 0 ? (double)S.handovers / mnh : 0.0);
	fprintf(f, "  \"latency_ms\": {\n");
	hist_json(f, "handover", S.h_ho, false);
	hist_json(f, "location_update", S.h_loc, false);
	hist_json(f, "attach", S.h_attach, true);
	fprintf(f, "  },\n  \"signalling\": {\"messages\": %llu, \"per_handover\": %.3f, "
		   "\"per_mn_hour\": %.3f, \"lost\": %llu,\n    \"by_type\": {",
		(unsigned long long)sig, S.handovers ? (double)sig / (double)S.handovers : 0.0,
		mnh > 0 ? (double)sig / mnh : 0.0, (unsigned long long)S.n_lost);
	if (o->mode == SIM_CENTRAL)
		fprintf(f, "\"PBU\": %llu, \"PBA\": %llu",
			(unsigned long long)(sig / 2), (unsigned long long)(sig - sig / 2));
	else
		for (unsigned t = 1; t < DMM_MSG_TYPE_COUNT; t++)
			fprintf(f, "%s\"%s\": %llu", t > 1 ? ", " : "",
				dmm_msg_type_name((enum dmm_msg_type)t),
				(unsigned long long)S.sig_type[t]);
	fprintf(f, "},\n    \"hottest\": {");
	if (o->mode == SIM_CENTRAL) {
		fprintf(f, "\"LMA\": {\"messages\": %llu, \"per_s\": %.3f}",
			(unsigned long long)sig, (double)sig / (hours * 3600.0 + 1e-9));
	} else {
		bool first = true;
		for (int r = 1; r < 8; r++) {
			static const char *const rn[] = { "", "MR", "LM", "MR+LM", "HAA", "MR+HAA",
							  "LM+HAA", "MR+LM+HAA" };
			if (hot_n[r] == SIM_NONE)
				continue;
			fprintf(f, "%s\"%s\": {\"node\": \"%s\", \"messages\": %llu}", first ? "" : ", ",
				rn[r], S.nodes[hot_n[r]].name, (unsigned long long)hot[r]);
			first = false;
		}
	}
	fprintf(f, "}\n  },\n");
	fprintf(f, "  \"data\": {\"sessions\": %llu, \"packets\": %llu, \"delivered\": %llu, "
		   "\"held\": %llu, \"flushed\": %llu, \"holds\": %llu, \"no_destination\": %llu,\n    \"dropped\": {",
		(unsigned long long)S.flows_started, (unsigned long long)S.pkts_sent,
		(unsigned long long)S.delivered, (unsigned long long)S.held,
		(unsigned long long)S.flushed, (unsigned long long)S.holds,
		(unsigned long long)S.no_dst);
	for (int i = 0; i < DROP_COUNT; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", drop_names[i],
			(unsigned long long)S.drops[i]);
	fprintf(f, "},\n    \"path_delay_ms_mean\": %.3f, \"direct_delay_ms_mean\": %.3f, "
		   "\"stretch_mean\": %.4f, \"stretch_n\": %llu,\n",
		S.stretch_n || S.delivered ? (double)S.path_delay_sum / (double)(S.delivered ? S.delivered : 1) : 0.0,
		(double)S.direct_delay_sum / (double)(S.delivered ? S.delivered : 1),
		S.stretch_n ? S.stretch_sum / (double)S.stretch_n : 0.0,
		(unsigned long long)S.stretch_n);
	hist_json(f, "extra_delay_ms", S.h_extra, false);
	hist_json(f, "packet_delay_ms", S.h_pkt_delay, true);
	fprintf(f, "  },\n  \"load\": {\"max_mr_packets\": %llu, \"max_mr\": \"%s\", "
		   "\"anchor_packets\": %llu, \"anchor_messages\": %llu},\n",
		(unsigned long long)maxpkts, S.n_nodes ? S.nodes[maxpkts_n].name : "",
		(unsigned long long)S.c_pkts, (unsigned long long)(o->mode == SIM_CENTRAL ? sig : 0));
	fprintf(f, "  \"tables_end\": {\"mr_mns_max\": %u, \"mr_cache_max\": %u, \"mr_cache_sum\": %u, "
		   "\"mr_handovers_max\": %u, \"lm_bindings_max\": %u, \"lm_bindings_sum\": %u, "
		   "\"haa_leases_max\": %u, \"haa_leases_sum\": %u},\n",
		tmax.mns, tmax.cache, tsum.cache, tmax.hos, tmax.bindings, tsum.bindings,
		tmax.leases, tsum.leases);
	{
		static const enum dmm_counter cs[] = { DMM_C_TABLE_FULL, DMM_C_CACHE_EVICTED,
						       DMM_C_TIMEOUT, DMM_C_RETRANSMIT,
						       DMM_C_DROP_REPLAY, DMM_C_DROP_UNEXPECTED,
						       DMM_C_ATTACH_LIMITED };
		fprintf(f, "  \"core_counters\": {");
		for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
			uint64_t v = 0;
			for (uint32_t n = 0; n < S.n_nodes; n++)
				if (S.nodes[n].node)
					v += dmm_node_counter(S.nodes[n].node, cs[i]);
			fprintf(f, "%s\"%s\": %llu", i ? ", " : "", dmm_counter_name(cs[i]),
				(unsigned long long)v);
		}
		fprintf(f, "},\n");
	}
	fprintf(f, "  \"engine\": {\"events\": %llu, \"messages_delivered\": %llu, \"recv_errors\": %llu, "
		   "\"timer_calls\": %llu, \"miss_calls\": %llu, \"peak_pending_events\": %zu, "
		   "\"model_entries_peak\": %zu, \"unsupported_ops\": %llu, \"core_warnings\": %llu}\n}\n",
		(unsigned long long)S.n_events, (unsigned long long)S.n_recv,
		(unsigned long long)S.n_recv_err, (unsigned long long)S.n_timer,
		(unsigned long long)S.n_miss, S.peak_heap, S.peak_rtab,
		(unsigned long long)S.n_op_unsupported, (unsigned long long)S.n_warn);
}

static FILE *out_file(const char *suffix)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", S.o.out, suffix);
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s", path);
	return f;
}

static void write_csv(void)
{
	FILE *f = out_file(".nodes.csv");

	fprintf(f, "node,role,domain,net,msgs_rx,msgs_tx,packets,mns,cache,handovers,bindings,leases");
	for (unsigned t = 1; t < DMM_MSG_TYPE_COUNT; t++)
		fprintf(f, ",rx_%s", dmm_msg_type_name((enum dmm_msg_type)t));
	fprintf(f, "\n");
	for (uint32_t n = 0; n < S.n_nodes; n++) {
		const struct sim_node *x = &S.nodes[n];
		struct tables t = node_tables(n);
		uint64_t rx = 0, tx = 0;
		for (unsigned k = 0; k < DMM_MSG_TYPE_COUNT; k++) {
			rx += x->rx[k];
			tx += x->tx[k];
		}
		fprintf(f, "%s,%s%s%s,%u,%u,%llu,%llu,%llu,%u,%u,%u,%u,%u", x->name,
			x->role & SR_MR ? "MR" : "", x->role & SR_LM ? "LM" : "",
			x->role & SR_HAA ? "HAA" : "", x->dom, x->net, (unsigned long long)rx,
			(unsigned long long)tx, (unsigned long long)x->pkts, t.mns, t.cache, t.hos,
			t.bindings, t.leases);
		for (unsigned k = 1; k < DMM_MSG_TYPE_COUNT; k++)
			fprintf(f, ",%u", x->rx[k]);
		fprintf(f, "\n");
	}
	fclose(f);
	f = out_file(".latency.csv");
	fprintf(f, "ms,handover,location_update,attach,extra_path_delay,packet_delay\n");
	for (uint32_t i = 0; i <= SIM_HIST_MS; i++)
		if (S.h_ho[i] || S.h_loc[i] || S.h_attach[i] || S.h_extra[i] || S.h_pkt_delay[i])
			fprintf(f, "%u,%u,%u,%u,%u,%u\n", i, S.h_ho[i], S.h_loc[i], S.h_attach[i],
				S.h_extra[i], S.h_pkt_delay[i]);
	fclose(f);
	f = out_file(".stretch.csv");
	fprintf(f, "stretch,packets\n");
	for (unsigned i = 0; i < SIM_STRETCH_BINS; i++)
		if (S.h_stretch[i])
			fprintf(f, "%.1f,%u\n", i / 10.0, S.h_stretch[i]);
	fclose(f);
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(getenv("DMMSIM_CPU_CLOCK") ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * 4;
}

/* The simulator's own state at its peak (not the core's nodes): MNs, the
 * heap, message, packet and session pools, the route model, the nodes'
 * wrappers. */
static double sim_bytes(void)
{
	return (double)S.n_mns * sizeof(*S.mns) + (double)S.heap_cap * sizeof(*S.heap) +
	       (double)S.msgs_cap * sizeof(*S.msgs) + (double)S.pkts_cap * sizeof(*S.pkts) +
	       (double)S.flows_cap * sizeof(*S.flows) + (double)S.rtab_cap * sizeof(*S.rtab) +
	       (double)S.n_nodes * sizeof(*S.nodes) + (double)S.amap_cap * sizeof(*S.amap);
}

/* The engine alone: a heap holding `pending` events, each pop followed by
 * a push at an exponential delay (the hold model). */
static int heap_bench(unsigned pending)
{
	uint64_t rng = 42, ops = 0;
	struct sim_ev e;
	double w0, w1;

	for (unsigned i = 0; i < pending; i++)
		ev_push((dmm_time_t)(rng_exp(&rng, 1e6)), EVC_SCEN, EV_PKT, i);
	w0 = wall();
	for (unsigned i = 0; i < 10u * pending; i++) {
		ev_pop(&e);
		ev_push(e.t + 1 + (dmm_time_t)rng_exp(&rng, 1e6), EVC_SCEN, EV_PKT, e.arg);
		ops++;
	}
	w1 = wall();
	printf("heap: %u pending, %llu pop+push in %.3f s: %.0f per s\n", pending,
	       (unsigned long long)ops, w1 - w0, (double)ops / (w1 - w0));
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_NEWHOA = 256, O_NOHOLD, O_WARM, O_INTRA, O_INTER, O_LOSS, O_DWELL, O_PINTER, O_GAP,
	       O_FLOWS, O_FLOWLEN, O_PSRV, O_PKT, O_TRACE, O_FIG1, O_MSGLOG, O_PERF, O_HEAPB,
	       O_REPL };
	static const struct option lo[] = {
		{ "mode", 1, 0, 'm' }, { "new-hoa", 0, 0, O_NEWHOA }, { "no-hold", 0, 0, O_NOHOLD },
		{ "domains", 1, 0, 'D' }, { "nets", 1, 0, 'L' }, { "mrs", 1, 0, 'M' },
		{ "mns", 1, 0, 'n' }, { "time", 1, 0, 't' }, { "warmup", 1, 0, O_WARM },
		{ "intra", 1, 0, O_INTRA }, { "inter", 1, 0, O_INTER }, { "loss", 1, 0, O_LOSS },
		{ "dwell", 1, 0, O_DWELL }, { "p-inter", 1, 0, O_PINTER }, { "gap", 1, 0, O_GAP },
		{ "flows", 1, 0, O_FLOWS }, { "flow-len", 1, 0, O_FLOWLEN },
		{ "p-server", 1, 0, O_PSRV }, { "pkt", 1, 0, O_PKT }, { "trace", 1, 0, O_TRACE },
		{ "fig1", 0, 0, O_FIG1 }, { "seed", 1, 0, 's' }, { "out", 1, 0, 'o' },
		{ "msglog", 1, 0, O_MSGLOG }, { "perf", 0, 0, O_PERF },
		{ "heap-bench", 1, 0, O_HEAPB }, { "lm-replicate", 0, 0, O_REPL }, { "verbose", 0, 0, 'v' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct sim_opts *o = &S.o;
	double w0, w1, w2;
	long rss0, rss_setup;
	int c;

	*o = (struct sim_opts){ .domains = 1, .nets = 4, .mrs = 4, .mns = 1000, .sim_s = 600,
				.warmup_s = 60, .intra_ms = 2, .inter_ms = 10, .dwell_s = 600,
				.p_inter = 0.2, .gap_ms = 50, .flows_per_h = 4, .flow_s = 60,
				.p_server = 0.3, .pkt_ms = 2000, .mode = SIM_QUERY, .hold = true,
				.seed = 1 };
	while ((c = getopt_long(argc, argv, "m:D:L:M:n:t:s:o:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "query")) o->mode = SIM_QUERY;
			else if (!strcmp(optarg, "redirect")) o->mode = SIM_REDIRECT;
			else if (!strcmp(optarg, "none")) o->mode = SIM_NORO;
			else if (!strcmp(optarg, "central")) o->mode = SIM_CENTRAL;
			else die("unknown mode '%s' (query, redirect, none, central)", optarg);
			break;
		case O_NEWHOA: o->new_hoa = true; break;
		case O_NOHOLD: o->hold = false; break;
		case O_REPL: o->lm_replicate = true; break;
		case 'D': o->domains = (unsigned)num(optarg, "domains", 1, 65535); break;
		case 'L': o->nets = (unsigned)num(optarg, "nets", 1, DMM_MAX_NETS); break;
		case 'M': o->mrs = (unsigned)num(optarg, "mrs", 1, DMM_MAX_POOLS - 1); break;
		case 'n': o->mns = (unsigned)num(optarg, "mns", 1, 16777215); break;
		case 't': o->sim_s = num(optarg, "time", 0, 1e6); break;
		case O_WARM: o->warmup_s = num(optarg, "warmup", 0, 1e5); break;
		case O_INTRA: o->intra_ms = (uint32_t)num(optarg, "intra", 1, 10000); break;
		case O_INTER: o->inter_ms = (uint32_t)num(optarg, "inter", 0, 10000); break;
		case O_LOSS: o->loss = num(optarg, "loss", 0, 0.9); break;
		case O_DWELL: o->dwell_s = num(optarg, "dwell", 0.1, 1e7); break;
		case O_PINTER: o->p_inter = num(optarg, "p-inter", 0, 1); break;
		case O_GAP: o->gap_ms = (uint32_t)num(optarg, "gap", 0, 60000); break;
		case O_FLOWS: o->flows_per_h = num(optarg, "flows", 0, 3600); break;
		case O_FLOWLEN: o->flow_s = num(optarg, "flow-len", 0.001, 1e5); break;
		case O_PSRV: o->p_server = num(optarg, "p-server", 0, 1); break;
		case O_PKT: o->pkt_ms = (uint32_t)num(optarg, "pkt", 2, 3600000); break;
		case O_TRACE: o->trace = optarg; break;
		case O_FIG1: o->fig1 = true; break;
		case 's': o->seed = (uint64_t)num(optarg, "seed", 0, 9007199254740991.0); break;
		case 'o': o->out = optarg; break;
		case O_MSGLOG: o->msglog = optarg; break;
		case O_PERF: o->perf = true; break;
		case O_HEAPB: return heap_bench((unsigned)num(optarg, "heap-bench", 1, 1e8));
		case 'v': S.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o->fig1 && o->mode == SIM_CENTRAL)
		die("%s", "--fig1 runs the DMM modes only");
	if (o->fig1 && !o->trace)
		die("%s", "--fig1 needs a --trace");
	if (o->domains * o->nets * o->mrs > 1u << 20)
		die("%s", "too many MRs");
	if (dmm_auth_init() != 0)
		die("%s", "libsodium initialisation failed");
	if (o->msglog) {
		S.msglog = fopen(o->msglog, "w");
		if (!S.msglog)
			die("cannot write %s", o->msglog);
	}
	S.msg_free = S.pkt_free = S.flow_free = SIM_NONE;
	S.rng_net = o->seed ^ 0x6e6574ull;
	S.rng_node = o->seed ^ 0x6e6f6465ull;
	S.t0 = S.now = 1000;
	S.grid_w = 1;
	while (S.grid_w * S.grid_w < o->nets)
		S.grid_w++;
	S.lma = xrealloc(NULL, sizeof(uint32_t));
	S.lma[0] = (S.grid_w / 2) * S.grid_w + S.grid_w / 2 < o->nets ?
			   (S.grid_w / 2) * S.grid_w + S.grid_w / 2 : 0;
	S.n_mns = o->mns;
	/* The core allocates each node's tables from its limits with calloc
	 * and uses the lowest slots first. A block mapped afresh stays
	 * untouched until a slot on it is used; one carved from the heap is
	 * cleared by calloc, every byte of it: an MR of the 1M-MN scenario
	 * touched 277 KB at its creation, 140 KB so. Blocks of 16 KiB and
	 * more are mapped, and the heap keeps no spare top, so they are not
	 * carved from it. */
	mallopt(M_MMAP_THRESHOLD, 16 * 1024);
	mallopt(M_TOP_PAD, 0);
	w0 = wall();
	rss0 = rss_kb();
	if (o->fig1) {
		o->mns = S.n_mns = 256; /* MN n uses link n, like tests/lib/fig1.c */
		build_fig1();
	} else {
		build_generated();
	}
	S.stat_from = S.t0 + (o->trace ? 0 : (dmm_time_t)(o->warmup_s * 1000.0));
	S.t_end = S.stat_from + (dmm_time_t)(o->sim_s * 1000.0);
	for (uint32_t n = 0; n < S.n_nodes; n++)
		if (S.nodes[n].node)
			resched(n);
	scenario();
	rss_setup = rss_kb() - rss0;
	w1 = wall();
	run();
	w2 = wall();
	if (o->out) {
		FILE *f = out_file(".json");
		report(f);
		fclose(f);
		write_csv();
	} else {
		report(stdout);
	}
	if (S.msglog)
		fclose(S.msglog);
	if (o->perf) {
		struct rusage ru;
		uint64_t proto = S.n_recv + S.n_timer + S.n_miss + S.n_ev[EV_ATTACH] + S.n_ev[EV_MOVE];
		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"perf: mode %s mns %u nodes %u setup_s %.3f run_s %.3f events %llu events_per_s %.0f "
			"protocol_events %llu protocol_per_s %.0f messages %llu peak_pending %zu "
			"peak_rss_kb %ld setup_rss_kb %ld bytes_per_mn %.0f sim_bytes_per_mn %.0f cpu_s %.3f\n",
			mode_name(), S.n_mns, S.n_nodes, w1 - w0, w2 - w1,
			(unsigned long long)S.n_events, (double)S.n_events / (w2 - w1 + 1e-9),
			(unsigned long long)proto, (double)proto / (w2 - w1 + 1e-9),
			(unsigned long long)S.n_recv, S.peak_heap, ru.ru_maxrss, rss_setup,
			(double)ru.ru_maxrss * 1024.0 / S.n_mns,
			sim_bytes() / S.n_mns,
			(double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	return 0;
}
