/* dpbench: route programming rate of dmm's data plane (docs/BENCHMARKS.md,
 * "Data plane"; lab/bench-dataplane.sh runs it).
 *
 *   dpbench -D DRIVER -s SELF -l LOCATOR [-n COUNT] [-b BASE] [-t TABLE]
 *           [-B OPS] [-A] [-K] [-S STALE_BASE]
 *
 * Opens the data plane as dmmd does for an MR (dp_open, cfg.mr, no access
 * links) with driver DRIVER (seg6, bpf, tun, auto) and tunnel source SELF,
 * then applies COUNT (default 100000) DMM_DP_TUNNEL_ADD ops, one /128 each
 * (BASE::1, BASE::2, ... of the /64 BASE, default 2001:db8:aaaa::), all to
 * LOCATOR, which must be reachable through a link; then COUNT
 * DMM_DP_TUNNEL_DEL ops for the same /128s; then closes. Each phase is timed
 * with CLOCK_MONOTONIC (dp_apply calls only); after each, the routes of BASE
 * in TABLE are counted with a netlink dump (outside the timing) to check
 * that the kernel holds what dp said it did.
 *
 * Prints one JSON line on stdout: driver, why (dp_driver), routes, open_s,
 * add_s, add_per_s, add_errors, add_op_us {p50, p99, max}, kernel_after_add,
 * del_s, del_per_s, del_errors, del_op_us, kernel_after_del, close_s and
 * dp's counters (routes_added, routes_deleted, nl_errors, enomem_retries).
 *
 * -B OPS: the ops are applied in batches of OPS (dp_batch_begin, OPS
 * dp_apply calls, dp_batch_end; dp sends DP_BATCH_MSGS route messages per
 * sendmsg), as dmmd does for what one signalling round or timer run
 * causes; the time includes every dp_batch_end. -A: the kernel acks every
 * batched message, not only the failed ones (dp_batch_ack_all). -K: after
 * the adds, exit without dp_close (as a crashed dmmd: the routes stay in
 * the kernel; no delete phase); -S STALE_BASE: before anything, count the
 * routes of the /64 STALE_BASE in TABLE (what a -K run left): dp_open
 * removes them (open_s times it; "stale_before" and "kernel_after_open" in
 * the JSON).
 * dp's log lines go to stderr. Exit 0 when every op succeeded and the
 * kernel counts are COUNT then 0; 1 otherwise; 2 for bad arguments. Needs
 * root (CAP_NET_ADMIN) and net.ipv6.conf.all.forwarding=1, like dmmd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "dp.h"

static int g_verbose;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cb_attach(void *ctx, uint32_t ifindex, const struct dmm_mnid *id)
{
}

static void cb_detach(void *ctx, uint32_t ifindex)
{
}

static void cb_miss(void *ctx, const struct in6_addr *dst, const struct in6_addr *src)
{
}

static void cb_log(void *ctx, int level, const char *line)
{
	if (level <= DMM_LOG_WARN || g_verbose)
		fprintf(stderr, "dpbench: dp: %s\n", line);
}

/* ---- counting the kernel's routes of BASE/64 in the table ---- */

struct count_ctx {
	uint32_t table;
	struct in6_addr base;
	unsigned long n;
};

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct count_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	uint32_t table = rtm->rtm_table;
	const struct in6_addr *dst = NULL;
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET6 ||
	    rtm->rtm_dst_len != 128)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 16)
			dst = mnl_attr_get_payload(a);
	}
	if (table == c->table && dst && memcmp(dst, &c->base, 8) == 0)
		c->n++;
	return MNL_CB_OK;
}

/* Routes dst BASE/64, /128, in table; -1 on a netlink error. */
static long count_routes(uint32_t table, const struct in6_addr *base)
{
	static uint8_t buf[1 << 16];
	struct count_ctx c = { table, *base, 0 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	long ret = -1;

	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			goto out;
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, count_cb, &c);
		if (r == MNL_CB_ERROR)
			goto out;
		if (r == MNL_CB_STOP)
			break;
	}
	ret = (long)c.n;
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* ---- per-op latency percentiles ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint32_t *sorted, unsigned n, double q)
{
	if (n == 0)
		return 0;
	unsigned i = (unsigned)(q * (n - 1) + 0.5);
	return sorted[i] / 1000.0;
}

struct phase {
	double s;
	unsigned errors;
	int first_err;
	double p50, p99, max;
};

static unsigned g_batch;

static void phase_run(struct dp *d, enum dmm_dp_kind kind, const struct in6_addr *base,
		      const struct in6_addr *loc, unsigned count, uint32_t *lat,
		      struct phase *ph)
{
	int failed = 0;

	struct dmm_dp_op op = { .kind = kind, .locator = *loc };

	memset(ph, 0, sizeof(*ph));
	op.prefix.addr = *base;
	op.prefix.len = 128;
	uint64_t t0 = mono_ns(), prev = t0;
	for (unsigned i = 0; i < count; i++) {
		uint32_t v = i + 1;
		op.prefix.addr.s6_addr[12] = (uint8_t)(v >> 24);
		op.prefix.addr.s6_addr[13] = (uint8_t)(v >> 16);
		op.prefix.addr.s6_addr[14] = (uint8_t)(v >> 8);
		op.prefix.addr.s6_addr[15] = (uint8_t)v;
		if (g_batch && i % g_batch == 0)
			dp_batch_begin(d);
		int err = dp_apply(d, &op);
		if (g_batch && (i % g_batch == g_batch - 1 || i == count - 1))
			failed += dp_batch_end(d);
		uint64_t t = mono_ns();
		lat[i] = t - prev > UINT32_MAX ? UINT32_MAX : (uint32_t)(t - prev);
		prev = t;
		if (err < 0 && ph->errors++ == 0)
			ph->first_err = err;
	}
	ph->s = (double)(mono_ns() - t0) / 1e9;
	if (failed > 0) { /* queued ops said 0: their failures come at the end */
		ph->errors += (unsigned)failed;
		if (ph->first_err == 0)
			ph->first_err = -EIO;
	}
	qsort(lat, count, sizeof(*lat), cmp_u32);
	ph->p50 = pct_us(lat, count, 0.50);
	ph->p99 = pct_us(lat, count, 0.99);
	ph->max = count ? lat[count - 1] / 1000.0 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: dpbench -D seg6|bpf|tun|auto -s SELF -l LOCATOR [-n COUNT] "
		"[-b BASE] [-t TABLE] [-B OPS] [-A] [-K] [-S STALE_BASE] [-v]\n");
}

int main(int argc, char **argv)
{
	struct dp_config cfg;
	struct in6_addr loc = IN6ADDR_ANY_INIT, base, stale_base;
	unsigned long count = 100000;
	bool ack_all = false, keep = false, stale = false;
	int o;

	dp_config_defaults(&cfg);
	cfg.mr = true;
	cfg.driver = DP_DRIVER_AUTO;
	inet_pton(AF_INET6, "2001:db8:aaaa::", &base);
	while ((o = getopt(argc, argv, "D:s:l:n:b:t:B:AKS:v")) != -1) {
		switch (o) {
		case 'D': {
			int k = dp_driver_parse(optarg);
			if (k < 0) {
				usage();
				return 2;
			}
			cfg.driver = (enum dp_driver_kind)k;
			break;
		}
		case 's':
			if (inet_pton(AF_INET6, optarg, &cfg.self) != 1) {
				usage();
				return 2;
			}
			break;
		case 'l':
			if (inet_pton(AF_INET6, optarg, &loc) != 1) {
				usage();
				return 2;
			}
			break;
		case 'b':
			if (inet_pton(AF_INET6, optarg, &base) != 1) {
				usage();
				return 2;
			}
			break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 't': cfg.table = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'v': g_verbose = 1; break;
		case 'B': g_batch = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'A': ack_all = true; break;
		case 'K': keep = true; break;
		case 'S':
			if (inet_pton(AF_INET6, optarg, &stale_base) != 1) {
				usage();
				return 2;
			}
			memset(stale_base.s6_addr + 8, 0, 8);
			stale = true;
			break;
		default: usage(); return 2;
		}
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&cfg.self) || IN6_IS_ADDR_UNSPECIFIED(&loc) || count == 0 ||
	    count > 1000000 || optind != argc) {
		usage();
		return 2;
	}
	memset(base.s6_addr + 8, 0, 8);
	/* The locator is the one tunnel peer (the bpf and tun drivers
	 * decapsulate only from peers; no traffic flows here anyway). */
	cfg.n_peers = 1;
	cfg.peers[0] = loc;

	uint32_t *lat = calloc(count, sizeof(*lat));
	if (lat == NULL) {
		perror("dpbench");
		return 1;
	}
	struct dp_callbacks cb = { NULL, cb_attach, cb_detach, cb_miss, cb_log };
	struct dp *d;
	long k_stale = stale ? count_routes(cfg.table, &stale_base) : -1;
	uint64_t t0 = mono_ns();
	int err = dp_open(&d, &cfg, &cb);
	double open_s = (double)(mono_ns() - t0) / 1e9;
	long k_open = stale ? count_routes(cfg.table, &stale_base) : -1;
	if (err < 0) {
		fprintf(stderr, "dpbench: dp_open (%s): %s\n", dp_driver_name(cfg.driver),
			strerror(-err));
		free(lat);
		return 1;
	}
	const char *why = "";
	enum dp_driver_kind kind = dp_driver(d, &why);
	char whybuf[200];
	snprintf(whybuf, sizeof(whybuf), "%s", why);
	for (char *p = whybuf; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '\'';

	struct phase add, del;
	dp_batch_ack_all(d, ack_all);
	phase_run(d, DMM_DP_TUNNEL_ADD, &base, &loc, (unsigned)count, lat, &add);
	long k_add = count_routes(cfg.table, &base);
	if (keep) { /* as a crash: no delete, no dp_close */
		printf("{\"tool\": \"dpbench\", \"driver\": \"%s\", \"routes\": %lu, "
		       "\"batch\": %u, \"ack_all\": %s, \"kept\": true, "
		       "\"add_s\": %.6f, \"add_per_s\": %.1f, \"add_errors\": %u, "
		       "\"kernel_after_add\": %ld}\n", dp_driver_name(kind), count, g_batch,
		       ack_all ? "true" : "false", add.s, add.s > 0 ? count / add.s : 0,
		       add.errors, k_add);
		fflush(stdout);
		_exit(add.errors || k_add != (long)count);
	}
	phase_run(d, DMM_DP_TUNNEL_DEL, &base, &loc, (unsigned)count, lat, &del);
	long k_del = count_routes(cfg.table, &base);
	struct dp_stats st;
	dp_get_stats(d, &st);
	t0 = mono_ns();
	dp_close(d);
	double close_s = (double)(mono_ns() - t0) / 1e9;
	free(lat);

	if (add.errors)
		fprintf(stderr, "dpbench: %u adds failed, first: %s\n", add.errors,
			strerror(-add.first_err));
	if (del.errors)
		fprintf(stderr, "dpbench: %u deletes failed, first: %s\n", del.errors,
			strerror(-del.first_err));
	printf("{\"tool\": \"dpbench\", \"driver\": \"%s\", \"why\": \"%s\", \"routes\": %lu, "
	       "\"batch\": %u, \"ack_all\": %s, \"stale_before\": %ld, \"kernel_after_open\": %ld, "
	       "\"open_s\": %.6f, "
	       "\"add_s\": %.6f, \"add_per_s\": %.1f, \"add_errors\": %u, "
	       "\"add_op_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}, "
	       "\"kernel_after_add\": %ld, "
	       "\"del_s\": %.6f, \"del_per_s\": %.1f, \"del_errors\": %u, "
	       "\"del_op_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}, "
	       "\"kernel_after_del\": %ld, \"close_s\": %.6f, "
	       "\"routes_added\": %lu, \"routes_deleted\": %lu, \"nl_errors\": %lu, "
	       "\"enomem_retries\": %lu}\n",
	       dp_driver_name(kind), whybuf, count, g_batch, ack_all ? "true" : "false",
	       k_stale, k_open, open_s,
	       add.s, add.s > 0 ? count / add.s : 0, add.errors, add.p50, add.p99, add.max, k_add,
	       del.s, del.s > 0 ? count / del.s : 0, del.errors, del.p50, del.p99, del.max, k_del,
	       close_s, (unsigned long)st.routes_added, (unsigned long)st.routes_deleted,
	       (unsigned long)st.nl_errors, (unsigned long)st.nl_enomem_retries);
	return add.errors || del.errors || k_add != (long)count || k_del != 0 ||
	       (stale && k_open != 0);
}
