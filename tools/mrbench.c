/* mrbench: the MR engine's per-event cost as its tables grow, in process,
 * on one core (docs/BENCHMARKS.md, "MR tables").
 *
 *   mrbench [-n N[,N...]] [-s SAMPLES] [-r REPEAT]
 *
 * Two nodes of the unmodified core joined by a FIFO of sealed messages (no
 * re-entry: a send is queued, delivered after the call returns): an MR and
 * an LM+HAA node of one local network. For each N:
 *   1. attach N MNs, one per access link, each to completion (LOC_QUERY,
 *      HOA_REQ, HOA_REP, LOC_UPDATE, acks), in batches of 256: the wall
 *      time of the whole fill;
 *   2. dmm_mr_attach of SAMPLES more MNs, each call timed alone (the
 *      messages it sends are delivered untimed afterwards);
 *   3. fill the location cache with N entries (a miss for N destinations
 *      of the domain nobody holds: each becomes a negative entry);
 *   4. dmm_mr_miss for SAMPLES new destinations, each call timed alone;
 *   5. dmm_node_next_deadline on the MR, REPEAT calls in blocks of 100,
 *      each block timed.
 * The clock stands still (no refresh comes due). One JSON line per N on
 * stdout. Per call: the median (and mean) of the samples in nanoseconds of
 * CLOCK_MONOTONIC: on a shared machine a sample that was preempted weighs
 * on the mean, not on the median. The fills: wall and CPU seconds (the
 * whole process: both nodes' work). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "node.h"
#include "roles.h"

struct qmsg {
	int to;
	struct in6_addr src;
	uint16_t len;
	uint8_t buf[DMM_MSG_MAX];
};

static struct {
	struct dmm_node *node[2]; /* 0: LM+HAA, 1: MR */
	struct in6_addr addr[2];
	struct qmsg *q;
	size_t head, tail, cap;
	dmm_time_t now;
	uint64_t dp_ops;
} B;

struct ioctx {
	int self;
};

static void die(const char *what)
{
	fprintf(stderr, "mrbench: %s\n", what);
	exit(1);
}

static void bench_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct ioctx *c = ctx;
	int to = memcmp(dst, &B.addr[0], sizeof(*dst)) == 0 ? 0 :
		 memcmp(dst, &B.addr[1], sizeof(*dst)) == 0 ? 1 : -1;

	if (to < 0 || len > DMM_MSG_MAX)
		return;
	if (B.tail == B.cap) {
		if (B.head > 0) {
			memmove(B.q, B.q + B.head, (B.tail - B.head) * sizeof(*B.q));
			B.tail -= B.head;
			B.head = 0;
		} else {
			B.cap = B.cap ? B.cap * 2 : 1024;
			B.q = realloc(B.q, B.cap * sizeof(*B.q));
			if (!B.q)
				die("out of memory");
		}
	}
	B.q[B.tail] = (struct qmsg){ .to = to, .src = B.addr[c->self], .len = (uint16_t)len };
	memcpy(B.q[B.tail].buf, buf, len);
	B.tail++;
}

static void bench_dp(void *ctx, const struct dmm_dp_op *op)
{
	(void)ctx;
	(void)op;
	B.dp_ops++;
}

static void drain(void)
{
	while (B.head < B.tail) {
		struct qmsg m = B.q[B.head++];
		dmm_node_recv(B.node[m.to], &m.src, &B.addr[m.to], m.buf, m.len, B.now);
	}
	B.head = B.tail = 0;
}

static uint64_t clk(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ns(void)
{
	return clk(CLOCK_MONOTONIC);
}

static uint64_t cpu_ns(void)
{
	return clk(CLOCK_PROCESS_CPUTIME_ID);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and mean of v[0..n) (sorted in place). */
static void stats(uint64_t *v, uint32_t n, double *median, double *mean)
{
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (uint32_t i = 0; i < n; i++)
		sum += (double)v[i];
	*median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
	*mean = sum / n;
}

static struct dmm_prefix pfx(const char *s)
{
	struct dmm_prefix p;

	if (dmm_prefix_parse(s, &p) != 0)
		die("prefix");
	return p;
}

static void cfg_err(void *ctx, const char *msg)
{
	fprintf(stderr, "mrbench: %s: %s\n", (const char *)ctx, msg);
}

static struct ioctx ioc[2] = { { 0 }, { 1 } };

static void make_nodes(uint32_t cap)
{
	static struct dmm_config c; /* big: not on the stack */
	struct dmm_keyring kr;
	uint8_t key[DMM_KEY_LEN];

	for (unsigned i = 0; i < DMM_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	memset(&kr, 0, sizeof(kr));
	if (dmm_keyring_add(&kr, 1, key) != 0)
		die("key ring");
	kr.active = 1;
	B.addr[0] = pfx("2001:db8:ffff::1/128").addr;
	B.addr[1] = pfx("2001:db8:ffff::2/128").addr;
	for (int k = 0; k < 2; k++) {
		struct dmm_io io = { .ctx = &ioc[k], .send = bench_send, .dp = bench_dp };
		dmm_config_defaults(&c);
		c.roles = k == 0 ? DMM_ROLE_LM | DMM_ROLE_HAA : DMM_ROLE_MR;
		snprintf(c.name, sizeof(c.name), k == 0 ? "lmhaa" : "mr");
		c.self = B.addr[k];
		c.local_net = 0;
		c.n_nets = 1;
		snprintf(c.nets[0].name, sizeof(c.nets[0].name), "n0");
		c.nets[0].n_prefixes = 1;
		c.nets[0].prefixes[0] = pfx("2001:db8::/32");
		c.nets[0].lm = B.addr[0];
		c.nets[0].haa = B.addr[0];
		if (k == 0) {
			c.n_pools = 1;
			c.pools[0] = (struct dmm_pool){ .range = pfx("2001:db8:100::/40"),
							.plen = 64, .mr = B.addr[1],
							.mode = DMM_POOL_STATEFUL };
		}
		c.limits.max_mns = cap;
		c.limits.max_cache = cap;
		c.limits.max_handovers = 1024;
		c.limits.max_pending = 4096;
		c.limits.max_bindings = cap;
		c.limits.max_leases = cap;
		c.limits.attach_interval_ms = 0;
		c.keys = kr;
		if (dmm_config_check(&c, cfg_err, c.name) != 0)
			die("config");
		if (dmm_node_new(&c, &io, B.now, &B.node[k]) != 0)
			die("node");
	}
	dmm_node_timer(B.node[1], B.now); /* the MR's start-up work */
	drain();
}

static struct dmm_mnid mnid(uint32_t i)
{
	struct dmm_mnid id = { .type = DMM_MNID_EUI48, .len = 6 };

	id.id[0] = 0x02;
	id.id[2] = (uint8_t)(i >> 24);
	id.id[3] = (uint8_t)(i >> 16);
	id.id[4] = (uint8_t)(i >> 8);
	id.id[5] = (uint8_t)i;
	return id;
}

/* A domain address no MN holds: 2001:db8:2XX:XXXX::1 (inside n0's /32,
 * outside the pool). */
static struct in6_addr dest(uint32_t i)
{
	struct in6_addr a = pfx("2001:db8:200::1/128").addr;

	a.s6_addr[5] = (uint8_t)(i >> 16);
	a.s6_addr[6] = (uint8_t)(i >> 8);
	a.s6_addr[7] = (uint8_t)i;
	a.s6_addr[4] = (uint8_t)(0x02 + (i >> 24));
	return a;
}

struct count {
	uint32_t attached, cache;
};

static void cnt_mn(void *ctx, const struct dmm_mn_view *v)
{
	((struct count *)ctx)->attached += v->state == DMM_MN_ATTACHED;
}

static void cnt_cache(void *ctx, const struct dmm_cache_view *v)
{
	(void)v;
	((struct count *)ctx)->cache++;
}

static void run(uint32_t n, uint32_t samples, uint32_t repeat)
{
	struct in6_addr src = pfx("2001:db8:100::5/128").addr;
	uint64_t t0, c0, fill_mn_ns, fill_cache_ns, fill_mn_cpu, fill_cache_cpu;
	uint32_t blocks = (repeat + 99) / 100;
	uint64_t *att = calloc(samples, sizeof(uint64_t)), *mis = calloc(samples, sizeof(uint64_t));
	uint64_t *dl = calloc(blocks, sizeof(uint64_t));
	double att_med, att_mean, mis_med, mis_mean, dl_med, dl_mean;
	volatile dmm_time_t sink = 0;
	struct count c = { 0 };

	if (!att || !mis || !dl)
		die("out of memory");
	B.now = 1000000;
	make_nodes(n + samples + 16);
	t0 = ns();
	c0 = cpu_ns();
	for (uint32_t i = 0; i < n; i++) {
		struct dmm_mnid id = mnid(i);
		dmm_mr_attach(B.node[1], i + 1, &id, B.now);
		if (i % 256 == 255)
			drain();
	}
	drain();
	fill_mn_ns = ns() - t0;
	fill_mn_cpu = cpu_ns() - c0;
	for (uint32_t i = 0; i < samples; i++) {
		struct dmm_mnid id = mnid(n + i);
		uint64_t a = ns();
		dmm_mr_attach(B.node[1], n + i + 1, &id, B.now);
		att[i] = ns() - a;
		drain();
	}
	t0 = ns();
	c0 = cpu_ns();
	for (uint32_t i = 0; i < n; i++) {
		struct in6_addr d = dest(i);
		dmm_mr_miss(B.node[1], &d, &src, B.now);
		if (i % 256 == 255)
			drain();
	}
	drain();
	fill_cache_ns = ns() - t0;
	fill_cache_cpu = cpu_ns() - c0;
	for (uint32_t i = 0; i < samples; i++) {
		struct in6_addr d = dest(n + i);
		uint64_t a = ns();
		dmm_mr_miss(B.node[1], &d, &src, B.now);
		mis[i] = ns() - a;
		drain();
	}
	for (uint32_t b = 0; b < blocks; b++) {
		t0 = ns();
		for (uint32_t i = 0; i < 100; i++)
			sink += dmm_node_next_deadline(B.node[1]);
		dl[b] = ns() - t0;
	}
	stats(att, samples, &att_med, &att_mean);
	stats(mis, samples, &mis_med, &mis_mean);
	stats(dl, blocks, &dl_med, &dl_mean);
	dmm_mr_foreach_mn(B.node[1], cnt_mn, &c);
	dmm_mr_foreach_cache(B.node[1], cnt_cache, &c);
	printf("{\"mns\": %u, \"attached\": %u, \"cache\": %u, \"samples\": %u, "
	       "\"fill_mns_s\": %.3f, \"fill_mns_cpu_s\": %.3f, \"fill_cache_s\": %.3f, "
	       "\"fill_cache_cpu_s\": %.3f, \"attach_ns\": %.0f, \"attach_mean_ns\": %.0f, "
	       "\"miss_ns\": %.0f, \"miss_mean_ns\": %.0f, \"next_deadline_ns\": %.1f, "
	       "\"next_deadline_mean_ns\": %.1f, \"table_full\": %llu}\n",
	       n, c.attached, c.cache, samples, fill_mn_ns / 1e9, fill_mn_cpu / 1e9,
	       fill_cache_ns / 1e9, fill_cache_cpu / 1e9, att_med, att_mean, mis_med, mis_mean,
	       dl_med / 100, dl_mean / 100,
	       (unsigned long long)dmm_node_counter(B.node[1], DMM_C_TABLE_FULL));
	fflush(stdout);
	free(att);
	free(mis);
	free(dl);
	dmm_node_free(B.node[0]);
	dmm_node_free(B.node[1]);
}

int main(int argc, char **argv)
{
	const char *sizes = "1000,10000,100000";
	uint32_t samples = 1000, repeat = 10000;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:r:")) != -1) {
		switch (opt) {
		case 'n': sizes = optarg; break;
		case 's': samples = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': repeat = (uint32_t)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: mrbench [-n N[,N...]] [-s SAMPLES] [-r REPEAT]\n");
			return 2;
		}
	}
	if (samples == 0 || repeat == 0)
		die("-s and -r must be > 0");
	for (const char *p = sizes; *p;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v == 0 || v > 4000000)
			die("-n: sizes between 1 and 4000000");
		run((uint32_t)v, samples, repeat);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			die("-n: a comma-separated list");
	}
	return 0;
}
