/* libFuzzer: a small virtual network (two MRs, an LM+HAA, a second network
 * whose LM does not exist) driven by the input as a sequence of steps:
 *   0 raw bytes to a node          1 a valid sealed message with chosen fields
 *   2 time advance                 3 attach an MN      4 detach an MN
 *   5 a data packet (miss path, holds, tunnels)
 * Only invariants of our own making are checked: no crash or sanitizer
 * report, no deadline stuck in the past, every table within its limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fig1.h"
#include "vnet.h"

#define FZ_STEPS 32
#define FZ_MNS 4
#define FZ_CACHE 8
#define FZ_HOS 4
#define FZ_BINDINGS 8
#define FZ_LEASES 8
#define FZ_LONG_MS 50000                 /* long time jumps: 1 to 16 times this */
#define FZ_LONG_BUDGET (1500 * 1000)     /* ms of long time jumps per input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fz_reader.h"

static uint16_t get16(struct rd *r)
{
	uint16_t hi = get8(r);

	return (uint16_t)(hi << 8 | get8(r));
}

static const char *const node_names[] = { "MRA", "MRB", "LH" };
static const char *const addrs[] = {
	"2001:db8:0:1::11", "2001:db8:0:1::12", "2001:db8:0:1::1", "2001:db8:0:2::1",
	"2001:db8:11::1", "2001:db8:11:1::2", "2001:db8:12::1", "2001:db8:20::5",
	"2001:db8:99::1", "::",
};
static const char *const prefixes[] = {
	"2001:db8:11::/64", "2001:db8:11:1::/64", "2001:db8:12::/64", "2001:db8:20::/64",
	"2001:db8:10::/44", "::/0",
};

static struct in6_addr pick_addr(struct rd *r)
{
	return vnet_a6(addrs[get8(r) % (sizeof(addrs) / sizeof(addrs[0]))]);
}

static struct dmm_prefix pick_prefix(struct rd *r)
{
	return vnet_p6(prefixes[get8(r) % (sizeof(prefixes) / sizeof(prefixes[0]))]);
}

static void config(struct dmm_config *c, const char *name, const char *self, unsigned roles)
{
	dmm_config_defaults(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->self = vnet_a6(self);
	c->roles = roles;
	c->local_net = 0;
	c->n_nets = 2;
	snprintf(c->nets[0].name, sizeof(c->nets[0].name), "net1");
	c->nets[0].n_prefixes = 1;
	c->nets[0].prefixes[0] = vnet_p6("2001:db8:10::/44");
	c->nets[0].lm = c->nets[0].haa = vnet_a6("2001:db8:0:1::1");
	snprintf(c->nets[1].name, sizeof(c->nets[1].name), "net2");
	c->nets[1].n_prefixes = 1;
	c->nets[1].prefixes[0] = vnet_p6("2001:db8:20::/44");
	c->nets[1].lm = c->nets[1].haa = vnet_a6("2001:db8:0:2::1");
	c->n_pools = 2;
	c->pools[0] = (struct dmm_pool){ vnet_p6("2001:db8:11::/48"), 64,
					 vnet_a6("2001:db8:0:1::11"), DMM_POOL_STATEFUL };
	c->pools[1] = (struct dmm_pool){ vnet_p6("2001:db8:12::/62"), 64,
					 vnet_a6("2001:db8:0:1::12"), DMM_POOL_STATELESS };
	fig1_timers(&c->timers);
	/* Lifetimes closer together than fig1's (lease 3600 s, binding 600 s):
	 * reaching a lease's expiry then takes 2-3 binding refreshes of each
	 * other MN, not 7-8 (refreshes were most of an input's work). */
	c->timers.lease_lifetime_s = 600;
	c->timers.binding_lifetime_s = 300;
	c->timers.cache_lifetime_s = 60;
	c->timers.deprecated_keep_s = 60;
	c->timers.ra_lifetime_s = 600;
	/* One retransmission 1 s after the request, the timeout 2 s after it:
	 * the same 3 s a request stays pending as fig1's 3 retransmissions
	 * (200, 400, 800 ms, then 1.6 s), so what meets a pending request (a
	 * move, a detach, a reply) still can, with half the sends. The queries
	 * for net2's addresses, which its absent LM never answers, were a
	 * third of all messages, each sent 4 times by the MR and the LM's
	 * forward 4 times; the corpus covers the same core code either way
	 * (tests/fuzz/covcmp.sh, notes.md). */
	c->timers.retrans_count = 1;
	c->timers.retrans_initial_ms = 1000;
	c->timers.retrans_max_ms = 2000;
	c->limits = (struct dmm_limits){
		.max_mns = FZ_MNS, .max_cache = FZ_CACHE, .max_handovers = FZ_HOS,
		.max_pending = 16, .max_bindings = FZ_BINDINGS, .max_subscribers = 2,
		.max_leases = FZ_LEASES, .max_peers = 4, .reply_cache = 4,
	};
	fig1_keyring(&c->keys);
}

/* The three nodes' configurations for a mode (the input's first byte):
 * the fields the mode sets, in c (built by base_configs). */
static void apply_mode(uint8_t mode, struct dmm_config c[3])
{
	c[1].ro_mode = (enum dmm_ro_mode)(mode % 3);
	c[1].new_hoa_on_arrival = mode & 4;
	c[1].hold_packets = !(mode & 8);
	c[2].ro_mode = (enum dmm_ro_mode)((mode >> 4) % 3);
	c[2].lm_update_on_attach = !(mode & 0x40);
}

static void base_configs(struct dmm_config c[3])
{
	config(&c[0], "LH", "2001:db8:0:1::1", DMM_ROLE_LM | DMM_ROLE_HAA);
	/* The LM's forwards (to net2's absent LM) sent once, given up after
	 * the same 3 s: 4.6 instead of 8.5 lost forwards per input; the MRs
	 * still retransmit (the same request code), the corpus covers the
	 * same core code (covcmp.sh). */
	c[0].timers.retrans_count = 0;
	c[0].timers.retrans_initial_ms = 3000;
	c[0].timers.retrans_max_ms = 3000;
	config(&c[1], "MRA", "2001:db8:0:1::11", DMM_ROLE_MR);
	config(&c[2], "MRB", "2001:db8:0:1::12", DMM_ROLE_MR);
	c[2].n_fixed = 1;
	c[2].fixed[0] = vnet_p6("2001:db8:1f::/64");
}

static void configs(uint8_t mode, struct dmm_config c[3])
{
	base_configs(c);
	apply_mode(mode, c);
}

/* The domain key ring, its HMAC states computed once. */
static const struct dmm_keyring *keyring(void)
{
	static struct dmm_keyring kr;

	if (!kr.n)
		fig1_keyring(&kr);
	return &kr;
}

static struct vnet *build(uint8_t mode, const struct dmm_config c[3])
{
	struct dmm_prefix p;
	struct vnet *vn;

	vn = vnet_new(mode, keyring());
	vn->lean = !getenv("FZ_STATS"); /* no records: only FZ_STATS reads them */
	for (unsigned i = 0; i < 3; i++)
		if (vnet_add_node(vn, &c[i]) < 0)
			abort();
	p = vnet_p6("2001:db8:11::/48");
	vnet_add_anchor(vn, &p, vnet_find(vn, "MRA"), false);
	p = vnet_p6("2001:db8:12::/62");
	vnet_add_anchor(vn, &p, vnet_find(vn, "MRB"), false);
	return vn;
}

/* The network of a mode: built at the first input, then reset (each node
 * built again from its configuration, the vnet's own memory reused: see
 * vnet_reset). Each input ends with vnet_release, which frees the nodes:
 * an input then frees all it allocated, and libFuzzer's leak check (an
 * input with more mallocs than frees is run again, then LeakSanitizer)
 * runs only on a real leak. When the nodes stayed from one input to the
 * next, every input that grew a table was run twice: 30 % of the time. */
static struct vnet *network(uint8_t mode)
{
	static struct dmm_config c[3];
	static struct vnet *vn;
	const struct dmm_config *cp[3] = { &c[0], &c[1], &c[2] };

	if (!vn)
		base_configs(c);
	apply_mode(mode, c);
	if (!vn)
		vn = build(mode, c);
	else if (vnet_reset(vn, mode, cp) != 0)
		abort();
	return vn;
}

static void step_sealed(struct vnet *vn, struct rd *r)
{
	static const uint8_t st[] = { 0, 128, 129, 130, 133, 134, 135 };
	struct dmm_msg m = { 0 };
	struct in6_addr src = pick_addr(r);
	const char *to = node_names[get8(r) % 3];
	uint8_t buf[DMM_MSG_MAX];
	int len;

	m.type = (enum dmm_msg_type)(get8(r) % (DMM_MSG_TYPE_COUNT - 1) + 1);
	m.seq = get16(r);
	m.flags = get16(r) & 0x3f;
	m.status = st[get8(r) % sizeof(st)];
	m.code = get8(r) % DMM_MSG_TYPE_COUNT;
	m.lifetime = (uint32_t)get8(r) * 30;
	m.present = (get16(r) & ~(uint32_t)DMM_P_AUTH & 0x3ff) | DMM_P_TIMESTAMP;
	m.mnid = vnet_mnid(get8(r) % 6);
	m.n_hnp = get8(r) % (DMM_MAX_HNP + 1);
	for (unsigned i = 0; i < m.n_hnp; i++)
		m.hnp[i] = pick_prefix(r);
	m.handoff = get8(r) % 6;
	m.location = pick_addr(r);
	m.prev_location = pick_addr(r);
	m.home = pick_addr(r);
	m.target = pick_addr(r);
	m.origin = pick_addr(r);
	m.origin_seq = get16(r);
	m.timestamp = dmm_ts_from_ms((uint64_t)((int64_t)vn->now + vn->wall_offset +
						(int8_t)get8(r) * 100));
	len = dmm_msg_seal(keyring(), &src, vnet_addr(vn, to), &m, buf, sizeof(buf));
	if (len > 0)
		vnet_deliver_now(vn, &src, to, buf, (size_t)len);
}

static void step(struct vnet *vn, struct rd *r, dmm_time_t *long_ms)
{
	uint8_t op = get8(r) % 6;
	struct dmm_mnid id;

	switch (op) {
	case 0: {
		struct in6_addr src = pick_addr(r);
		const char *to = node_names[get8(r) % 3];
		size_t len = get8(r) % 128;
		if (len > r->n)
			len = r->n;
		vnet_deliver_now(vn, &src, to, r->p, len);
		r->p += len;
		r->n -= len;
		break;
	}
	case 1:
		step_sealed(vn, r);
		break;
	case 2: {
		/* Mostly the signalling's own scale (0-5.1 s: retransmissions,
		 * holds, handover contexts, the timestamp window); for 16 byte
		 * values, 0x80-0x8f, a long jump (50 to 800 s: cache, binding,
		 * deprecation, lease expiry), while the input's long jumps stay
		 * within FZ_LONG_BUDGET (2.5 lease lifetimes). Half the values
		 * were long jumps, 0xff the longest (a byte mutations favour):
		 * inputs spanned hours of refreshes, 85 % of the work. */
		uint8_t t = get8(r);
		if ((t & 0xf0) == 0x80 && *long_ms < FZ_LONG_BUDGET) {
			dmm_time_t ms = (dmm_time_t)(t - 0x7f) * FZ_LONG_MS;
			*long_ms += ms;
			vnet_run_for(vn, ms);
		} else {
			vnet_run_for(vn, (dmm_time_t)t * 20);
		}
		break;
	}
	case 3:
		id = vnet_mnid(get8(r) % 6);
		vnet_attach(vn, node_names[get8(r) % 2], get8(r) % 6, &id);
		break;
	case 4:
		vnet_detach(vn, node_names[get8(r) % 2], get8(r) % 6);
		break;
	default: {
		struct in6_addr src = pick_addr(r), dst = pick_addr(r);
		vnet_send_packet(vn, node_names[get8(r) % 2], &src, &dst);
		break;
	}
	}
}

static void check(const struct vnet *vn, bool tables)
{
	if (vn->stuck)
		abort();
	for (unsigned i = 0; tables && i < 2; i++) {
		const char *mr = node_names[i];
		if (vnet_n_mns(vn, mr) > FZ_MNS || vnet_n_cache(vn, mr) > FZ_CACHE ||
		    vnet_n_handovers(vn, mr) > FZ_HOS)
			abort();
	}
	if (tables && (vnet_n_bindings(vn, "LH") > FZ_BINDINGS || vnet_n_leases(vn, "LH") > FZ_LEASES))
		abort();
}

/* What an input left: every counter of every node, the tables' sizes,
 * the data-plane models' routes and holds, what became of each packet,
 * the clock and the messages sent (FZ_RESET_CHECK). */
static uint64_t digest(const struct vnet *vn)
{
	uint64_t h = 1469598103934665603u;

#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211u)
	for (unsigned i = 0; i < 3; i++) {
		for (unsigned c = 0; c < DMM_C_COUNT; c++)
			MIX(vnet_counter(vn, node_names[i], (enum dmm_counter)c));
		MIX(dmm_node_next_deadline(vnet_node(vn, node_names[i])));
	}
	for (unsigned i = 0; i < 2; i++) {
		MIX(vnet_n_mns(vn, node_names[i]));
		MIX(vnet_n_cache(vn, node_names[i]));
		MIX(vnet_n_handovers(vn, node_names[i]));
	}
	MIX(vnet_n_bindings(vn, "LH"));
	MIX(vnet_n_leases(vn, "LH"));
	for (unsigned i = 0; i < vn->n_nodes; i++) { /* the data-plane models */
		const struct vnet_node *x = vn->nodes[i];
		MIX(x->n_routes);
		for (unsigned k = 0; k < x->n_routes; k++)
			MIX((uint64_t)x->routes[k].kind << 8 | x->routes[k].prefix.len);
		for (unsigned k = 0; k < VNET_MAX_HOLDS; k++)
			MIX(x->holds[k].used ? x->holds[k].n + 1 : 0);
	}
	for (size_t i = 0; i < vn->n_pkts; i++)
		MIX((uint64_t)vn->pkts[i].state << 40 | (uint64_t)(vn->pkts[i].at + 1) << 20 |
		    vn->pkts[i].n_path);
	MIX(vn->now);
	MIX(vn->q_seq);
	MIX(vn->n_pkts);
#undef MIX
	return h;
}

/* ASan's defaults, unless ASAN_OPTIONS says otherwise. Each input frees
 * and rebuilds three nodes' tables: with the default 256 MiB quarantine
 * every allocation got cold memory (page faults, cache misses), 3/4 of the
 * cost of an empty input. An input allocates and frees some 640 kB (-trace_malloc=1:
 * 220-410 allocations, the three nodes' 32 kB structures, the LM's wheel);
 * a 2 MiB quarantine holds three inputs' frees, so a use after free within
 * an input is caught as before (nothing outlives its input: the nodes are
 * freed at its end), and its memory stays in the cache (16 -> 2 MiB: 1.13x
 * the executions per CPU second). No allocation and free stacks
 * (malloc_context_size=0): unwinding at every malloc and free cost more
 * than the rest of a free; rerun a reproducer with
 * ASAN_OPTIONS=malloc_context_size=30 to get them. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=2:malloc_context_size=0";
}

/* libFuzzer reads its flags after this returns: put -entropic=0 first
 * (a later -entropic=1 on the command line still wins). Each input here
 * covers thousands of features; the entropic scheduler's per-feature
 * bookkeeping took 56 % of the time (perf), the harness 11 %. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char flag[] = "-entropic=0";
	char **v = calloc((size_t)*argc + 2, sizeof(*v));

	if (dmm_auth_init() != 0 || v == NULL)
		abort();
	v[0] = (*argv)[0];
	v[1] = flag;
	for (int i = 1; i < *argc; i++)
		v[i + 1] = (*argv)[i];
	*argv = v;
	(*argc)++;
	return 0;
}

static void run(struct vnet *vn, struct rd *r)
{
	dmm_time_t long_ms = 0;

	vnet_run_for(vn, 100);
	for (unsigned i = 0; i < FZ_STEPS && r->n; i++) {
		step(vn, r, &long_ms);
		check(vn, i % 4 == 3); /* the tables' sizes: every 4 steps */
	}
	/* What is in flight arrives (1 ms per hop); later timers are the
	 * input's to reach (time steps). A 5 s settle here was a fifth of all
	 * messages: every pending request's retransmissions and timeout. */
	vnet_run_for(vn, 100);
	check(vn, true);
}

/* FZ_STATS=1 in the environment: the vnet records messages, and at exit
 * the harness prints, per input, the messages of each type (delivered and
 * lost: sent to no node, e.g. the absent LM of net2), the packets and the
 * virtual time, to see what an input costs (e.g. over the corpus:
 * FZ_STATS=1 fuzz_node -runs=0 SCRATCH tests/fuzz/corpus/node). */
static struct {
	unsigned long inputs, msgs[DMM_MSG_TYPE_COUNT][2], pkts, ms;
} st;

static void stats_print(void)
{
	unsigned long sum = 0;

	if (!st.inputs)
		return;
	for (unsigned t = 0; t < DMM_MSG_TYPE_COUNT; t++) {
		sum += st.msgs[t][0] + st.msgs[t][1];
		if (st.msgs[t][0] || st.msgs[t][1])
			fprintf(stderr, "fz_stats: %-14s delivered %6.2f lost %6.2f per input\n",
				dmm_msg_type_name((enum dmm_msg_type)t),
				(double)st.msgs[t][0] / st.inputs, (double)st.msgs[t][1] / st.inputs);
	}
	fprintf(stderr, "fz_stats: %lu inputs: %.1f messages, %.1f packets, %.0f s of virtual "
		"time per input\n", st.inputs, (double)sum / st.inputs,
		(double)st.pkts / st.inputs, (double)st.ms / st.inputs / 1000);
}

static void stats_add(const struct vnet *vn)
{
	if (!st.inputs)
		atexit(stats_print);
	st.inputs++;
	for (size_t i = 0; i < vn->n_msgs; i++) {
		unsigned t = (unsigned)vn->msgs[i].msg.type;
		if (t < DMM_MSG_TYPE_COUNT)
			st.msgs[t][vn->msgs[i].lost]++;
	}
	st.pkts += vn->n_pkts;
	st.ms += vn->now - 1000;
}

/* FZ_RESET_CHECK=1 in the environment: each input also runs on a network
 * built for it alone, and both must end the same (digest): the reset
 * leaves nothing of the inputs before. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int reset_check = -1;
	struct rd r = { data + 1, size - 1 };
	struct vnet *vn;

	if (size < 1)
		return 0;
	if (reset_check < 0)
		reset_check = getenv("FZ_RESET_CHECK") != NULL;
	vn = network(data[0]);
	run(vn, &r);
	if (!vn->lean)
		stats_add(vn);
	if (reset_check) {
		struct dmm_config *c = malloc(3 * sizeof(*c));
		struct vnet *fresh;
		uint64_t d = digest(vn);

		if (!c)
			abort();
		configs(data[0], c);
		fresh = build(data[0], c);
		r = (struct rd){ data + 1, size - 1 };
		run(fresh, &r);
		if (digest(fresh) != d) {
			fprintf(stderr, "fuzz_node: the reused network ended unlike a fresh one\n");
			abort();
		}
		vnet_free(fresh);
		free(c);
	}
	vnet_release(vn);
	return 0;
}
