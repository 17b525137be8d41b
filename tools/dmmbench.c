/* dmmbench: load generator for a dmm Location Manager, speaking the real
 * protocol (sealed LOC_QUERY / LOC_UPDATE built by the core's encoder and
 * keys) over UDP port 5436, plus the no-op responder that is the floor of
 * the path, and an in-process measure of the MAC's cost.
 *
 *   dmmbench gen -s SRC -d DST -k KEYS [-n N] [-c OUTSTANDING] [-t SECONDS]
 *                [-q QUERY_FRACTION] [-z ZIPF_S] [-L] [-w WARMUP] [-T TIMEOUT_MS]
 *                [-V] [-F]
 *   dmmbench echo -l ADDR [-p PORT]
 *   dmmbench mac [-k KEYS]
 *   dmmbench engine [-n N] [-t SECONDS] [-P PEERS]
 *
 * gen keeps OUTSTANDING requests in flight (batched with sendmmsg and
 * recvmmsg), MN ids drawn uniformly (or Zipf with exponent -z) over N
 * bindings. -L first loads the N bindings (one LOC_UPDATE each, as fast
 * as they are acknowledged). -F waits for the first answer (start-up time)
 * and prints its wall-clock time (CLOCK_REALTIME read after recvmmsg:
 * wall_ns; the kernel's receive timestamp: rx_ns) and whether its status
 * was OK (with -n N, the query is for one of N bindings). engine runs an LM node in-process (no
 * socket): N sealed LOC_UPDATEs, then sealed LOC_QUERYs (ids uniform over
 * N) fed to dmm_node_recv for SECONDS; it reports ns per query, the
 * binding structure's bytes (dmm_lm_footprint) and the RSS delta per
 * binding; with -P PEERS the queries come from PEERS sender addresses in
 * turn (the node's per-peer tables at that many peers). Latency: the send time is read just
 * before the sendmmsg of the batch, the receive time is the kernel's
 * (SO_TIMESTAMPNS); both CLOCK_REALTIME. One JSON line per phase on stdout.
 *
 * Binding i: prefix 2001:db8:1XX:XXXX::/64 (the 24 bits of i after
 * 2001:db8:1::/40), MN id the EUI-48 02:00:00 + i, location the generator's
 * own address -s (the LM binds only the sender's location, and only an MR
 * of its domain map: list it as one). A query asks for address <prefix>::1.
 * Replies are matched by sequence number; their status is read from the
 * header (-V: also opened and MAC-checked). Echoed requests (the floor)
 * count as answered. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "msg.h"
#include "node.h"
#include "roles.h"

#define BATCH 64
#define PORT 5436
#define SEQ_SPACE 65536

struct opts {
	struct in6_addr src, dst;
	uint16_t port;
	uint32_t n;
	unsigned outstanding;
	double seconds, warmup, query_frac, zipf;
	unsigned timeout_ms;
	unsigned peers; /* engine: queries come from this many sender addresses */
	bool load, verify, first;
	struct dmm_keyring kr;
};

struct inflight {
	uint64_t sent_ns;
	uint8_t busy, kind; /* kind: 0 query, 1 update */
	uint32_t id;
};

struct gen {
	struct opts *o;
	int fd;
	uint16_t seq;
	uint64_t rng;
	double *zcdf;
	struct inflight fl[SEQ_SPACE];
	unsigned inflight;
	uint64_t last_rx_ns; /* kernel receive time of the last answer matched */
	/* phase counters */
	uint64_t sent, answered, ok, not_ok, timeouts, bad, late;
	uint32_t *lat; /* ns, measured phase only */
	size_t n_lat, cap_lat;
	bool measuring;
	uint32_t load_next; /* -L: next binding to load */
	uint64_t load_acked;
	uint32_t *retry;    /* -L: bindings to send again (timed out or not sent) */
	size_t n_retry, cap_retry;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of this process: what a query cost it, preemption left out. */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
}

static double
rnd01(struct gen *g)
{
	return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static uint32_t
pick_id(struct gen *g)
{
	uint32_t lo = 0, hi = g->o->n - 1;
	double u;

	if (g->zcdf == NULL)
		return (uint32_t)(rnd(g) % g->o->n);
	u = rnd01(g);
	while (lo < hi) { /* first rank whose CDF >= u */
		uint32_t mid = lo + (hi - lo) / 2;
		if (g->zcdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
retry_push(struct gen *g, uint32_t id)
{
	if (g->n_retry == g->cap_retry) {
		g->cap_retry = g->cap_retry ? g->cap_retry * 2 : 1024;
		g->retry = realloc(g->retry, g->cap_retry * sizeof(*g->retry));
		if (g->retry == NULL) {
			perror("dmmbench");
			exit(1);
		}
	}
	g->retry[g->n_retry++] = id;
}

static void
binding_prefix(uint32_t id, struct dmm_prefix *p)
{
	memset(p, 0, sizeof(*p));
	inet_pton(AF_INET6, "2001:db8:100::", &p->addr);
	p->addr.s6_addr[5] = (uint8_t)(id >> 16);
	p->addr.s6_addr[6] = (uint8_t)(id >> 8);
	p->addr.s6_addr[7] = (uint8_t)id;
	p->len = 64;
}

static void
build(struct gen *g, uint32_t id, bool update, uint16_t seq, uint64_t wall_ms,
      struct dmm_msg *m)
{
	struct dmm_prefix p;

	binding_prefix(id, &p);
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->timestamp = dmm_ts_from_ms(wall_ms);
	m->present = DMM_P_TIMESTAMP;
	if (!update) {
		m->type = DMM_MSG_LOC_QUERY;
		m->target = p.addr;
		m->target.s6_addr[15] = 1;
		m->present |= DMM_P_TARGET;
		return;
	}
	m->type = DMM_MSG_LOC_UPDATE;
	m->flags = DMM_F_ACK_REQ | DMM_F_PROXY;
	m->lifetime = 3600;
	m->mnid.type = DMM_MNID_EUI48;
	m->mnid.len = 6;
	m->mnid.id[0] = 2;
	m->mnid.id[3] = (uint8_t)(id >> 16);
	m->mnid.id[4] = (uint8_t)(id >> 8);
	m->mnid.id[5] = (uint8_t)id;
	m->n_hnp = 1;
	m->hnp[0] = p;
	/* The LM binds only the sender's own location, an MR of its domain
	 * map: the generator is that MR. */
	m->location = g->o->src;
	m->handoff = DMM_HI_SAME_IFACE;
	m->present |= DMM_P_MNID | DMM_P_HNP | DMM_P_LOCATION | DMM_P_HANDOFF;
}

/* Sequence number and status of a reply, from its fixed header (PBA:
 * status, flags, seq; Experimental MH: sub-type, status, seq; PBU and the
 * others: seq first). -1 if too short. */
static int
hdr_seq(const uint8_t *b, size_t len, uint8_t *status)
{
	if (len < 10)
		return -1;
	switch (b[2]) {
	case 6: /* PBA */
		*status = b[6];
		return b[8] << 8 | b[9];
	case 11: /* Experimental */
		*status = b[7];
		return b[8] << 8 | b[9];
	default: /* a request echoed by the floor */
		*status = 0;
		return b[6] << 8 | b[7];
	}
}

static int
gen_socket(const struct opts *o)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_port = htons(o->port),
				   .sin6_addr = o->src };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(o->port),
				   .sin6_addr = o->dst };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
	int rcvbuf = 4 << 20;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("dmmbench: socket");
		exit(1);
	}
	return fd;
}

/* Fill the window: up to BATCH new requests, then one sendmmsg. */
static void
gen_send(struct gen *g, bool loading)
{
	static uint8_t bufs[BATCH][DMM_MSG_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint16_t seqs[BATCH];
	uint64_t wall = now_ns(), t;
	unsigned k = 0;
	int sent;

	while (k < BATCH && g->inflight + k < g->o->outstanding) {
		struct dmm_msg m;
		uint32_t id;
		bool upd;
		int len;

		if (loading) {
			if (g->n_retry > 0)
				id = g->retry[--g->n_retry];
			else if (g->load_next < g->o->n)
				id = g->load_next++;
			else
				break;
			upd = true;
		} else {
			id = pick_id(g);
			upd = rnd01(g) >= g->o->query_frac;
		}
		while (g->fl[g->seq].busy) /* a request still outstanding */
			g->seq++;
		build(g, id, upd, g->seq, wall / 1000000, &m);
		len = dmm_msg_seal(&g->o->kr, &g->o->src, &g->o->dst, &m, bufs[k], sizeof(bufs[k]));
		if (len < 0) {
			fprintf(stderr, "dmmbench: seal: %s\n", dmm_strerror(len));
			exit(1);
		}
		iov[k] = (struct iovec){ bufs[k], (size_t)len };
		mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		seqs[k] = g->seq;
		g->fl[g->seq] = (struct inflight){ .busy = 1, .kind = upd, .id = id };
		g->seq++;
		k++;
	}
	if (k == 0)
		return;
	t = now_ns();
	for (unsigned i = 0; i < k; i++)
		g->fl[seqs[i]].sent_ns = t;
	g->inflight += k;
	sent = sendmmsg(g->fd, mm, k, 0);
	if (sent < 0)
		sent = 0;
	/* not taken by the kernel: forget them (counted as errors) */
	for (unsigned i = (unsigned)sent; i < k; i++) {
		g->fl[seqs[i]].busy = 0;
		g->inflight--;
		g->bad++;
		if (loading)
			retry_push(g, g->fl[seqs[i]].id);
	}
	g->sent += (unsigned)sent;
}

static void
record(struct gen *g, uint64_t ns)
{
	if (!g->measuring)
		return;
	if (g->n_lat == g->cap_lat) {
		g->cap_lat = g->cap_lat ? g->cap_lat * 2 : 1 << 20;
		g->lat = realloc(g->lat, g->cap_lat * sizeof(*g->lat));
		if (g->lat == NULL) {
			perror("dmmbench");
			exit(1);
		}
	}
	g->lat[g->n_lat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* Take every queued reply. Returns how many were matched. */
static unsigned
gen_recv(struct gen *g, bool loading)
{
	static uint8_t bufs[BATCH][DMM_MSG_MAX + 1];
	static char cbufs[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned matched = 0;
	int n;

	for (unsigned i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
						      .msg_control = cbufs[i],
						      .msg_controllen = sizeof(cbufs[i]) } };
	}
	n = recvmmsg(g->fd, mm, BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &mm[i].msg_hdr;
		uint64_t rx = 0;
		uint8_t st = 0;
		int seq;

		for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				rx = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			}
		if (rx == 0)
			rx = now_ns();
		seq = hdr_seq(bufs[i], mm[i].msg_len, &st);
		if (seq < 0 || !g->fl[seq].busy) {
			g->late++; /* timed out before, or unknown */
			continue;
		}
		if (g->o->verify) {
			struct dmm_msg m;
			if (dmm_msg_open(&g->o->kr, &g->o->dst, &g->o->src, bufs[i],
					 mm[i].msg_len, &m) < 0 ||
			    m.seq != seq) {
				g->bad++;
				continue;
			}
			st = m.status;
		}
		g->fl[seq].busy = 0;
		g->inflight--;
		g->answered++;
		g->last_rx_ns = rx;
		matched++;
		if (st == DMM_ST_OK)
			g->ok++;
		else
			g->not_ok++;
		if (loading && st == DMM_ST_OK)
			g->load_acked++;
		record(g, rx > g->fl[seq].sent_ns ? rx - g->fl[seq].sent_ns : 0);
	}
	return matched;
}

static void
gen_timeouts(struct gen *g, bool loading)
{
	uint64_t limit = now_ns() - (uint64_t)g->o->timeout_ms * 1000000u;

	for (uint32_t s = 0; s < SEQ_SPACE && g->inflight > 0; s++) {
		struct inflight *f = &g->fl[s];
		if (!f->busy || f->sent_ns > limit)
			continue;
		f->busy = 0;
		g->inflight--;
		g->timeouts++;
		if (loading)
			retry_push(g, f->id);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(struct gen *g, double p)
{
	size_t i;

	if (g->n_lat == 0)
		return 0;
	i = (size_t)(p * (double)(g->n_lat - 1) + 0.5);
	return g->lat[i] / 1000.0;
}

static void
reset(struct gen *g)
{
	g->sent = g->answered = g->ok = g->not_ok = g->timeouts = g->bad = g->late = 0;
	g->n_lat = 0;
}

/* Run until deadline (or, loading, until every binding is acknowledged). */
static void
run(struct gen *g, bool loading, uint64_t until_ns)
{
	uint64_t last_to = now_ns();
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

	for (;;) {
		uint64_t t;
		if (loading && g->load_next >= g->o->n && g->n_retry == 0 && g->inflight == 0)
			break;
		t = now_ns();
		if (!loading && t >= until_ns)
			break;
		gen_send(g, loading);
		if (gen_recv(g, loading) == 0)
			poll(&pfd, 1, 1);
		if (t - last_to > 50000000u) {
			gen_timeouts(g, loading);
			last_to = t;
		}
	}
}

static void
report(struct gen *g, const char *phase, double secs)
{
	qsort(g->lat, g->n_lat, sizeof(*g->lat), cmp_u32);
	printf("{\"phase\":\"%s\",\"n\":%u,\"outstanding\":%u,\"query_frac\":%.3f,"
	       "\"zipf\":%.3f,\"seconds\":%.3f,\"sent\":%llu,\"answered\":%llu,"
	       "\"ok\":%llu,\"not_ok\":%llu,\"timeouts\":%llu,\"errors\":%llu,\"late\":%llu,"
	       "\"rate\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f}\n",
	       phase, g->o->n, g->o->outstanding, g->o->query_frac, g->o->zipf, secs,
	       (unsigned long long)g->sent, (unsigned long long)g->answered,
	       (unsigned long long)g->ok, (unsigned long long)g->not_ok,
	       (unsigned long long)g->timeouts, (unsigned long long)g->bad,
	       (unsigned long long)g->late, secs > 0 ? (double)g->answered / secs : 0,
	       pct(g, 0.50), pct(g, 0.99), pct(g, 0.999));
	fflush(stdout);
}

/* -F: one query every 2 ms until an answer; print when it came. */
static int
first_answer(struct gen *g)
{
	uint64_t start = now_ns(), deadline = start + (uint64_t)(g->o->seconds * 1e9);
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

	g->o->outstanding = 1;
	while (now_ns() < deadline) {
		gen_send(g, false);
		if (poll(&pfd, 1, 2) > 0 && gen_recv(g, false) > 0) {
			printf("{\"phase\":\"first\",\"wall_ns\":%llu,\"rx_ns\":%llu,"
			       "\"ok\":%llu,\"sent\":%llu}\n",
			       (unsigned long long)now_ns(), (unsigned long long)g->last_rx_ns,
			       (unsigned long long)g->ok, (unsigned long long)g->sent);
			return 0;
		}
		gen_timeouts(g, false);
		if (g->inflight) { /* not answered in 2 ms: send another */
			for (uint32_t s = 0; s < SEQ_SPACE; s++)
				g->fl[s].busy = 0;
			g->inflight = 0;
		}
	}
	fprintf(stderr, "dmmbench: no answer within %.1f s\n", g->o->seconds);
	return 1;
}

static int
read_keys(const char *path, struct dmm_keyring *kr)
{
	FILE *f = fopen(path, "r");
	char line[256];

	memset(kr, 0, sizeof(*kr));
	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		uint8_t key[DMM_KEY_LEN];
		unsigned id;
		char hex[80];
		if (line[0] == '#' || sscanf(line, "%u %70s", &id, hex) != 2 ||
		    strlen(hex) != 2 * DMM_KEY_LEN)
			continue;
		for (int i = 0; i < DMM_KEY_LEN; i++) {
			unsigned v;
			sscanf(hex + 2 * i, "%2x", &v);
			key[i] = (uint8_t)v;
		}
		if (dmm_keyring_add(kr, id, key) == 0 && kr->n == 1)
			kr->active = id;
	}
	fclose(f);
	if (kr->n == 0) {
		fprintf(stderr, "%s: no key\n", path);
		return -1;
	}
	return 0;
}

static int
cmd_gen(struct opts *o)
{
	struct gen *g = calloc(1, sizeof(*g));
	uint64_t t0;

	if (g == NULL)
		return 1;
	g->o = o;
	g->fd = gen_socket(o);
	g->rng = now_ns() | 1;
	g->seq = (uint16_t)rnd(g);
	if (o->first)
		return first_answer(g);
	if (o->zipf > 0) {
		double sum = 0;
		g->zcdf = malloc(o->n * sizeof(*g->zcdf));
		if (g->zcdf == NULL)
			return 1;
		for (uint32_t i = 0; i < o->n; i++)
			g->zcdf[i] = (sum += pow((double)i + 1, -o->zipf));
		for (uint32_t i = 0; i < o->n; i++)
			g->zcdf[i] /= sum;
	}
	if (o->load) {
		g->measuring = true;
		t0 = now_ns();
		run(g, true, 0);
		report(g, "load", (double)(now_ns() - t0) / 1e9);
		if (g->load_acked < o->n)
			fprintf(stderr, "dmmbench: only %llu of %u bindings acknowledged\n",
				(unsigned long long)g->load_acked, o->n);
		reset(g);
	}
	if (o->seconds <= 0)
		return 0;
	g->measuring = false;
	run(g, false, now_ns() + (uint64_t)(o->warmup * 1e9));
	reset(g);
	g->measuring = true;
	t0 = now_ns();
	run(g, false, t0 + (uint64_t)(o->seconds * 1e9));
	report(g, "run", (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* The floor: answer each datagram with the same bytes, no work. */
static int
cmd_echo(struct opts *o)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_port = htons(o->port),
				   .sin6_addr = o->src };
	static uint8_t bufs[BATCH][DMM_MSG_MAX + 1];
	struct sockaddr_in6 from[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rcvbuf = 4 << 20;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("dmmbench echo");
		return 1;
	}
	for (;;) {
		int n;
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i],
							      .msg_namelen = sizeof(from[i]),
							      .msg_iov = &iov[i],
							      .msg_iovlen = 1 } };
		}
		n = recvmmsg(fd, mm, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("dmmbench echo: recvmmsg");
			return 1;
		}
		for (int i = 0; i < n; i++)
			iov[i].iov_len = mm[i].msg_len;
		if (sendmmsg(fd, mm, (unsigned)n, 0) < 0)
			perror("dmmbench echo: sendmmsg");
	}
}

/* In-process cost of the MAC: seal and open of a LOC_QUERY, against the
 * encoding alone, and libsodium's one-shot HMAC of the same bytes. */
static int
cmd_mac(struct opts *o)
{
	enum { ITER = 200000 };
	uint8_t buf[DMM_MSG_MAX], mac[32];
	struct in6_addr a = o->src, b = o->dst;
	struct dmm_msg m, out;
	struct gen *g = calloc(1, sizeof(*g));
	uint64_t t;
	double enc, seal, open, dec, sod;
	size_t mac_off;
	int len = 0;

	if (g == NULL)
		return 1;
	g->o = o;
	g->rng = 1;
	build(g, 12345, false, 1, 1700000000000ull, &m);
	t = now_ns();
	for (int i = 0; i < ITER; i++) {
		m.seq = (uint16_t)i;
		len = dmm_msg_encode_auth(&m, o->kr.active, buf, sizeof(buf), &mac_off);
	}
	enc = (double)(now_ns() - t) / ITER;
	t = now_ns();
	for (int i = 0; i < ITER; i++) {
		m.seq = (uint16_t)i;
		len = dmm_msg_seal(&o->kr, &a, &b, &m, buf, sizeof(buf));
	}
	seal = (double)(now_ns() - t) / ITER;
	t = now_ns();
	for (int i = 0; i < ITER; i++)
		if (dmm_msg_open(&o->kr, &a, &b, buf, (size_t)len, &out) != 0)
			return 1;
	open = (double)(now_ns() - t) / ITER;
	t = now_ns();
	for (int i = 0; i < ITER; i++)
		dmm_msg_decode(buf, (size_t)len, &out);
	dec = (double)(now_ns() - t) / ITER;
	t = now_ns();
	for (int i = 0; i < ITER; i++)
		crypto_auth_hmacsha256(mac, buf, (size_t)len + 32, o->kr.keys[0].key);
	sod = (double)(now_ns() - t) / ITER;
	printf("{\"phase\":\"mac\",\"msg_bytes\":%d,\"encode_ns\":%.0f,\"seal_ns\":%.0f,"
	       "\"decode_ns\":%.0f,\"open_ns\":%.0f,\"mac_seal_ns\":%.0f,\"mac_open_ns\":%.0f,"
	       "\"sodium_oneshot_ns\":%.0f}\n",
	       len, enc, seal, dec, open, seal - enc, open - dec, sod);
	return 0;
}


static long
rss_kb_self(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void
engine_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	(*(uint64_t *)ctx)++;
}

/* The sender of the k-th query of a pool: -s, or with -P PEERS one of
 * PEERS addresses (-s with k % PEERS in its last 16 bits), each a peer of
 * the node's own (replay window, reply cache). */
static struct in6_addr
engine_src(const struct opts *o, unsigned k)
{
	struct in6_addr a = o->src;
	unsigned i = o->peers > 1 ? k % o->peers : 0;

	a.s6_addr[14] ^= (uint8_t)(i >> 8);
	a.s6_addr[15] ^= (uint8_t)i;
	return a;
}

/* The LM engine alone, in-process on this core. */
static int
cmd_engine(struct opts *o)
{
	enum { POOL = 4096, T0 = 1000 };
	static uint8_t bufs[POOL][DMM_MSG_MAX];
	static size_t lens[POOL];
	static struct in6_addr srcs[POOL];
	struct gen *g = calloc(1, sizeof(*g));
	struct dmm_config c;
	struct dmm_node *node;
	uint64_t sent = 0, t, q = 0, wall = 1700000000000ull, cpu = 0;
	struct dmm_io io = { .ctx = &sent, .send = engine_send };
	size_t bytes;
	uint32_t used;
	long rss0, rss1;
	double load_s, ns;
	int rc;

	if (g == NULL)
		return 1;
	g->o = o;
	g->rng = 42;
	dmm_config_defaults(&c);
	snprintf(c.name, sizeof(c.name), "engine");
	c.self = o->dst;
	c.roles = DMM_ROLE_LM;
	c.keys = o->kr;
	c.n_nets = 1;
	snprintf(c.nets[0].name, sizeof(c.nets[0].name), "ln1");
	c.nets[0].n_prefixes = 1;
	inet_pton(AF_INET6, "2001:db8:100::", &c.nets[0].prefixes[0].addr);
	c.nets[0].prefixes[0].len = 40;
	c.nets[0].lm = c.nets[0].haa = o->dst;
	c.nets[0].n_mrs = 1; /* the sender of the updates, their location */
	c.nets[0].mrs[0] = o->src;
	c.local_net = 0;
	c.limits.max_bindings = o->n + o->n / 8 + 16;
	c.timers.binding_lifetime_s = 3600;
	if (o->peers > c.limits.max_peers)
		c.limits.max_peers = o->peers;
	rss0 = rss_kb_self();
	if ((rc = dmm_node_new(&c, &io, T0, &node)) != 0) {
		fprintf(stderr, "dmmbench engine: node: %s\n", dmm_strerror(rc));
		return 1;
	}
	dmm_node_set_wall_offset(node, (int64_t)wall - T0);
	t = now_ns();
	for (uint32_t i = 0; i < o->n; i++) {
		struct dmm_msg m;
		build(g, i, true, g->seq, wall, &m);
		rc = dmm_msg_seal(&o->kr, &o->src, &o->dst, &m, bufs[0], sizeof(bufs[0]));
		if (rc < 0 || dmm_node_recv(node, &o->src, &o->dst, bufs[0], (size_t)rc, T0) != 0) {
			fprintf(stderr, "dmmbench engine: update %u refused\n", i);
			return 1;
		}
		g->seq++;
	}
	load_s = (double)(now_ns() - t) / 1e9;
	rss1 = rss_kb_self();
	bytes = dmm_lm_footprint(node, &used);
	t = now_ns();
	while (now_ns() - t < (uint64_t)(o->seconds * 1e9)) {
		uint64_t t1;
		for (unsigned k = 0; k < POOL; k++) {
			struct dmm_msg m;
			build(g, pick_id(g), false, g->seq++, wall, &m);
			srcs[k] = engine_src(o, k);
			rc = dmm_msg_seal(&o->kr, &srcs[k], &o->dst, &m, bufs[k], sizeof(bufs[k]));
			lens[k] = rc > 0 ? (size_t)rc : 0;
		}
		uint64_t c1 = cpu_ns();
		t1 = now_ns();
		for (unsigned k = 0; k < POOL; k++)
			if (dmm_node_recv(node, &srcs[k], &o->dst, bufs[k], lens[k], T0) != 0)
				return 1;
		q += POOL;
		ns = (double)(now_ns() - t1);
		cpu += cpu_ns() - c1;
		g->answered += (uint64_t)ns; /* summed ns of the feeding loops */
	}
	ns = (double)g->answered / (double)q;
	printf("{\"phase\":\"engine\",\"n\":%u,\"peers\":%u,\"bindings\":%u,\"load_per_s\":%.0f,"
	       "\"query_ns\":%.0f,\"query_cpu_ns\":%.0f,\"queries\":%llu,\"replies\":%llu,"
	       "\"struct_bytes\":%zu,\"struct_per_binding\":%.1f,\"rss_delta_kb\":%ld,"
	       "\"rss_per_binding\":%.1f}\n",
	       o->n, o->peers ? o->peers : 1, used, o->n / load_s, ns, (double)cpu / (double)q,
	       (unsigned long long)q, (unsigned long long)sent,
	       bytes, used ? (double)bytes / used : 0, rss1 - rss0,
	       used ? (double)(rss1 - rss0) * 1024 / used : 0);
	dmm_node_free(node);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: dmmbench gen -s SRC -d DST -k KEYS [-p PORT] [-n N] [-c OUTSTANDING]\n"
		"                    [-t SECONDS] [-w WARMUP] [-q QUERY_FRACTION] [-z ZIPF_S]\n"
		"                    [-T TIMEOUT_MS] [-L] [-V] [-F]\n"
		"       dmmbench echo -l ADDR [-p PORT]\n"
		"       dmmbench mac [-k KEYS]\n"
		"       dmmbench engine [-k KEYS] [-n N] [-t SECONDS] [-P PEERS]\n");
	exit(2);
}

static void
addr(const char *s, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "dmmbench: bad address %s\n", s);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .port = PORT, .n = 1000, .outstanding = 50, .seconds = 5,
			  .warmup = 1, .query_frac = 1, .timeout_ms = 500 };
	const char *cmd, *keys = NULL;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	inet_pton(AF_INET6, "2001:db8:ff::100", &o.src);
	inet_pton(AF_INET6, "2001:db8:ff::1", &o.dst);
	while ((c = getopt(argc, argv, "s:d:l:k:p:n:c:t:w:q:z:T:P:LVF")) != -1) {
		switch (c) {
		case 's': case 'l': addr(optarg, &o.src); break;
		case 'd': addr(optarg, &o.dst); break;
		case 'k': keys = optarg; break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'n': o.n = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': o.outstanding = (unsigned)atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'w': o.warmup = atof(optarg); break;
		case 'q': o.query_frac = atof(optarg); break;
		case 'z': o.zipf = atof(optarg); break;
		case 'T': o.timeout_ms = (unsigned)atoi(optarg); break;
		case 'P': o.peers = (unsigned)atoi(optarg); break;
		case 'L': o.load = true; break;
		case 'V': o.verify = true; break;
		case 'F': o.first = true; break;
		default: usage();
		}
	}
	if (o.n == 0 || o.n > (1u << 24) || o.outstanding == 0 || o.outstanding > 32768 ||
	    o.peers > 65536)
		usage();
	if (dmm_auth_init() != 0)
		return 1;
	if (!strcmp(cmd, "echo"))
		return cmd_echo(&o);
	if (keys == NULL) {
		uint8_t k[DMM_KEY_LEN] = { 1 };
		if (strcmp(cmd, "mac") && strcmp(cmd, "engine"))
			usage();
		dmm_keyring_add(&o.kr, 1, k);
		o.kr.active = 1;
	} else if (read_keys(keys, &o.kr) < 0) {
		return 1;
	}
	if (!strcmp(cmd, "gen"))
		return cmd_gen(&o);
	if (!strcmp(cmd, "mac"))
		return cmd_mac(&o);
	if (!strcmp(cmd, "engine"))
		return cmd_engine(&o);
	usage();
	return 2;
}
