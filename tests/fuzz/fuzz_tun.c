/* libFuzzer: the TUN packet path (dataplane/dp_tun.c: packets the kernel
 * routes to dmmd's TUN — the miss path, implicit and explicit holds, the
 * hold byte cap, re-injection) and the tun driver's user-space tunnel
 * (dataplane/dp_utun.c: encapsulation batches, decapsulation of what the
 * raw next-header-41 socket receives, with its source, destination and
 * truncation flag), both compiled in. The input is a sequence of steps on
 * one struct dp, kept between inputs and reset: packets of any bytes and
 * length, route changes (a small shadow table the stubbed dp_route_lookup
 * searches), hold starts/ends/flushes, the daemon's answer to a miss, time.
 * Writes to the TUN go to /dev/null; the tunnel socket is -1 (sends fail and
 * are counted). Checked: no crash or sanitizer report (each packet is a
 * heap copy of exactly its length); the hold accounting adds up (held bytes
 * equal the queued packets' cost, within the cap; no queue beyond its
 * packet limit); every packet from the TUN is accounted for exactly once;
 * a decapsulated packet came from a peer to self; freeing the holds
 * returns the byte count to 0. */
#include <arpa/inet.h>

/* A hold table of 8, not 1024: every hold lookup scans the whole table
 * (three quarters of the time went to those scans), and "table full" is
 * reached by inputs too. */
#define DP_MAX_HOLDS 8
#include "../../dataplane/dp_tun.c"
#include "../../dataplane/dp_utun.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- stubs of the rest of the data plane ---- */

#define FZ_ROUTES 8

static struct dp_route routes[FZ_ROUTES];
static bool route_used[FZ_ROUTES];
static bool link_up, hold_route_fails;

void dp_logf(struct dp *d, int level, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

int dp_nl_link_up(struct dp *d, uint32_t ifindex)
{
	return 0;
}

int dp_sysctl_write(const char *path, const char *val)
{
	return 0;
}

bool dp_access_link_up(struct dp *d, uint32_t ifindex)
{
	return link_up;
}

/* routes are not queued here: dp_route_hold applies at once */
int dp_batch_flush(struct dp *d)
{
	return 0;
}

int dp_route_hold(struct dp *d, const struct dmm_prefix *p, bool add)
{
	return add && hold_route_fails ? -EIO : 0;
}

/* The most specific (dst, then src) route covering dst and src. */
const struct dp_route *dp_route_lookup(const struct dp *d, const struct in6_addr *dst,
				       const struct in6_addr *src)
{
	const struct dp_route *best = NULL;

	for (unsigned i = 0; i < FZ_ROUTES; i++) {
		const struct dp_route *r = &routes[i];
		if (!route_used[i] || !dmm_prefix_contains(&r->dst, dst) ||
		    (r->src.len && !dmm_prefix_contains(&r->src, src)))
			continue;
		if (!best || r->dst.len > best->dst.len ||
		    (r->dst.len == best->dst.len && r->src.len > best->src.len))
			best = r;
	}
	return best;
}

bool dp_peer_ok(const struct dp *d, const struct in6_addr *a)
{
	if (d->cfg.n_peers == 0)
		return true;
	for (unsigned i = 0; i < d->cfg.n_peers; i++)
		if (memcmp(&d->cfg.peers[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

/* ---- the harness ---- */

#define FZ_STEPS 32
#define FZ_HOLD_PKTS 8
#define FZ_HOLD_BYTES 16384

static struct dp *D;
static uint8_t miss_action;

#include "fz_reader.h"

/* Addresses and prefixes from small sets, so that routes, holds and
 * packets meet. */
static const char *const addrs[] = {
	"2001:db8:1:1::5", "2001:db8:1:2::5", "2001:db8:2::1", "2001:db8:ff::11",
	"2001:db8:ff::12", "ff02::1", "fe80::1", "::",
};
static const char *const prefixes[] = {
	"2001:db8:1:1::/64", "2001:db8:1:2::/64", "2001:db8:1::/48", "2001:db8::/32",
	"2001:db8:2::/64", "::/0", "2001:db8:1:1::5/128", "2001:db8:ff::/48",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct in6_addr pick_addr(struct rd *r)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, addrs[get8(r) % N(addrs)], &a) != 1)
		abort();
	return a;
}

static struct dmm_prefix pick_prefix(struct rd *r)
{
	struct dmm_prefix p;

	if (dmm_prefix_parse(prefixes[get8(r) % N(prefixes)], &p) != 0)
		abort();
	return p;
}

/* The daemon's answer to a miss, as the input's last miss step chose: a
 * tunnel route, a hold, a LOCAL route, or nothing (dropped). */
static void fz_miss(void *ctx, const struct in6_addr *dst, const struct in6_addr *src)
{
	struct dmm_prefix p = { .addr = *dst, .len = 64 };
	unsigned slot = miss_action % FZ_ROUTES;

	dmm_prefix_mask(&p);
	switch ((miss_action >> 3) % 4) {
	case 0:
		routes[slot] = (struct dp_route){ .kind = DP_R_TUNNEL, .dst = p };
		inet_pton(AF_INET6, "2001:db8:ff::12", &routes[slot].locator);
		route_used[slot] = true;
		break;
	case 1: {
		struct dmm_dp_op op = { .kind = DMM_DP_HOLD_START, .prefix = p };
		dp_hold_op(D, &op);
		break;
	}
	case 2:
		routes[slot] = (struct dp_route){ .kind = DP_R_LOCAL, .dst = p, .oif = 5 };
		route_used[slot] = true;
		break;
	default:
		break;
	}
}

/* Cheap, after every step: the byte count within the cap. */
static void check_cap(void)
{
	if (D->st.held_bytes > FZ_HOLD_BYTES)
		abort();
}

/* The whole hold table, at the end of an input. */
static void check_holds(void)
{
	uint64_t bytes = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < DP_MAX_HOLDS; i++) {
		const struct dp_hold *h = &D->holds[i];
		uint32_t k = 0;
		if (!h->used)
			continue;
		n++;
		for (const struct dp_pkt *p = h->head; p; p = p->next, k++)
			bytes += dp_pkt_cost(p->len);
		if (k != h->n || k > FZ_HOLD_PKTS)
			abort();
	}
	if (n != D->n_holds || bytes != D->st.held_bytes || bytes > FZ_HOLD_BYTES)
		abort();
}

static struct dp_utun *utun(void)
{
	return D->drv_state;
}

static void reset(void)
{
	if (D == NULL) {
		struct dp_utun *u = calloc(1, sizeof(*u));
		D = calloc(1, sizeof(*D));
		if (D == NULL || u == NULL)
			abort();
		u->tx_buf = malloc((size_t)DP_UTUN_BATCH * DP_UTUN_MTU);
		u->rx_buf = malloc((size_t)DP_UTUN_BATCH * DP_UTUN_MTU);
		if (u->tx_buf == NULL || u->rx_buf == NULL)
			abort();
		dp_utun_init_msgs(u);
		u->fd = -1;
		D->drv_state = u;
		D->drv = &dp_utun_ops;
		D->tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (D->tun_fd < 0)
			abort();
	}
	dp_holds_free(D);
	if (D->st.held_bytes != 0 || D->n_holds != 0)
		abort();
	memset(&D->st, 0, sizeof(D->st));
	memset(route_used, 0, sizeof(route_used));
	D->cfg.hold_max_pkts = FZ_HOLD_PKTS;
	D->cfg.hold_max_bytes = FZ_HOLD_BYTES;
	D->cfg.hold_max_ms = 1000;
	inet_pton(AF_INET6, "2001:db8:ff::11", &D->cfg.self);
	D->cfg.n_peers = 2;
	inet_pton(AF_INET6, "2001:db8:ff::12", &D->cfg.peers[0]);
	inet_pton(AF_INET6, "2001:db8:ff::20", &D->cfg.peers[1]);
	D->cb = (struct dp_callbacks){ .miss = fz_miss };
	D->now = 0;
	utun()->n_tx = 0;
	utun()->n_peers = 0;
	link_up = hold_route_fails = false;
}

/* A heap copy of the next len bytes: reads past the end are caught. */
static uint8_t *packet(struct rd *r, size_t *len)
{
	const uint8_t *p;
	size_t want = (size_t)get8(r) << 1;
	uint8_t *b;

	if (want >= 40 && want < 40 + 8 && r->n >= 2) /* often a whole header */
		want = 40 + get8(r);
	*len = take(r, want, &p);
	b = malloc(*len ? *len : 1);
	if (b == NULL)
		abort();
	memcpy(b, p, *len);
	return b;
}

/* A packet from the TUN: it ends counted once (filtered, tunnelled, held,
 * re-injected, a miss dropped or held) — the counters say which. */
static void step_tun(struct rd *r)
{
	size_t len;
	uint8_t *b = packet(r, &len);
	struct dp_stats s0 = D->st;
	unsigned tx0 = utun()->n_tx;

	if (get8(r) & 1 && len >= 40) { /* a real-looking header: version 6, sane length */
		b[0] = (uint8_t)(0x60 | (b[0] & 0x0f));
		b[4] = (uint8_t)((len - 40) >> 8);
		b[5] = (uint8_t)(len - 40);
	}
	dp_tun_packet(D, b, len);
	uint64_t ends = (D->st.tun_filtered - s0.tun_filtered) +
			(D->st.held - s0.held) + (D->st.hold_dropped - s0.hold_dropped) +
			(D->st.reinjected - s0.reinjected) +
			(D->st.miss_dropped - s0.miss_dropped) +
			(D->st.encap_errors - s0.encap_errors) +
			(D->st.encap_packets - s0.encap_packets) +
			(utun()->n_tx > tx0 ? utun()->n_tx - tx0 : 0);
	/* a full batch is sent before the next packet is queued: at most one
	 * packet can be counted twice (queued, then the batch flushed) */
	if (ends == 0)
		abort();
	free(b);
	check_cap();
}

/* What the raw next-header-41 socket hands the tun driver. */
static void step_decap(struct rd *r)
{
	uint8_t sel = get8(r);
	struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_addr = pick_addr(r) };
	union { struct cmsghdr c; uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; } cb;
	struct in6_pktinfo pi = { .ipi6_addr = pick_addr(r) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from) };
	size_t len;
	uint8_t *b;
	uint64_t ok0 = D->st.decap_packets;

	if (sel & 1)
		from.sin6_addr = D->cfg.peers[sel >> 7];
	if (sel & 2)
		pi.ipi6_addr = D->cfg.self;
	if (sel & 4) {
		memset(&cb, 0, sizeof(cb));
		cb.c.cmsg_level = IPPROTO_IPV6;
		cb.c.cmsg_type = IPV6_PKTINFO;
		cb.c.cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(&cb.c), &pi, sizeof(pi));
		m.msg_control = cb.b;
		m.msg_controllen = sizeof(cb.b);
	}
	if (sel & 8)
		m.msg_flags = MSG_TRUNC;
	b = packet(r, &len);
	dp_utun_decap(D, &m, b, len);
	if (D->st.decap_packets != ok0 &&
	    (!(sel & 4) || memcmp(&pi.ipi6_addr, &D->cfg.self, 16) != 0 ||
	     !dp_peer_ok(D, &from.sin6_addr) || (sel & 8) || dp_ip6_len(b, len) == 0))
		abort();
	free(b);
}

static void step_route(struct rd *r)
{
	uint8_t sel = get8(r);
	unsigned slot = sel % FZ_ROUTES;

	if (sel & 0x80) {
		route_used[slot] = false;
		return;
	}
	routes[slot] = (struct dp_route){ .kind = (uint8_t)((sel >> 3) % 4), .dst = pick_prefix(r),
					  .locator = pick_addr(r), .oif = get8(r) % 8 };
	if (sel & 0x40)
		routes[slot].src = pick_prefix(r);
	dmm_prefix_mask(&routes[slot].dst);
	dmm_prefix_mask(&routes[slot].src);
	route_used[slot] = true;
}

static void step_hold(struct rd *r)
{
	static const enum dmm_dp_kind kinds[] = { DMM_DP_HOLD_START, DMM_DP_HOLD_FLUSH,
						  DMM_DP_HOLD_DROP };
	uint8_t sel = get8(r);
	struct dmm_dp_op op = { .kind = kinds[sel % 3], .prefix = pick_prefix(r) };

	if (sel & 0x10) { /* a LOCAL route came or went: the implicit hold ends */
		dmm_prefix_mask(&op.prefix);
		dp_hold_local_end(D, &op.prefix, sel & 0x20);
	} else {
		hold_route_fails = sel & 0x40;
		dp_hold_op(D, &op);
		hold_route_fails = false;
	}
	check_cap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };

	reset();
	for (unsigned i = 0; i < FZ_STEPS && r.n; i++) {
		uint8_t op = get8(&r);
		switch (op % 6) {
		case 0:
		case 1:
			step_tun(&r);
			break;
		case 2:
			step_decap(&r);
			break;
		case 3:
			step_route(&r);
			break;
		case 4:
			step_hold(&r);
			break;
		default:
			miss_action = get8(&r);
			link_up = op & 0x80;
			D->now += (op >> 3) * 40u;
			dp_hold_expire(D, D->now);
			if (op & 0x40)
				dp_utun_flush(D);
			check_cap();
			break;
		}
	}
	dp_utun_flush(D);
	check_holds();
	/* Nothing allocated outlives the input: libFuzzer then never runs its
	 * leak check (a whole LeakSanitizer scan, a quarter of the time when
	 * holds were kept until the next input's reset). */
	dp_holds_free(D);
	if (D->st.held_bytes != 0 || D->n_holds != 0)
		abort();
	return 0;
}
