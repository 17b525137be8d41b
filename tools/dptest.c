/* dptest: drive the Linux data plane by hand or from a test script.
 *
 *   dptest -s SELF [-D DRIVER] [-t TABLE] [-n TUN] [-a PATTERN]... [-H HOLD_MS] [-R] [-T]
 *
 * Reads commands on stdin, one per line, answers "ok" or "err ..." on
 * stdout, and prints data-plane events ("attach IFINDEX MNID", "detach
 * IFINDEX", "miss DST SRC", "log LEVEL TEXT") as they happen. -R: attach on
 * Router Solicitations only (not on an MN's first frame). -T: attach, detach
 * and log lines end with " @MS", the CLOCK_MONOTONIC time in ms (3 decimals),
 * so a test can measure delays between events. -D: the data-plane driver
 * (auto, seg6, bpf, tun; default auto). Commands:
 *   tunnel add P [from S] via L | tunnel del P [from S]
 *   local add P dev IF | local del P
 *   pass add P | pass del P | miss add P | miss del P
 *   hold start P | hold flush P | hold drop P
 *   adv IF P VALID PREFERRED
 *   onmiss COMMAND   (run COMMAND from inside the miss callback; "onmiss" clears)
 *   batch COMMAND ; COMMAND ; ...   (between dp_batch_begin and dp_batch_end,
 *                    with nothing else run in between; prints "batch failed=N",
 *                    N the queued messages that failed)
 *   exec SHELL-COMMAND   (system(); for a batch that changes the world midway)
 *   stats | quit
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "../dataplane/dp.h"

static volatile sig_atomic_t quit_flag;
static struct dp *g_dp;
static char g_onmiss[256];
static int g_stamp;

static dmm_time_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (dmm_time_t)ts.tv_sec * 1000 + (dmm_time_t)ts.tv_nsec / 1000000;
}

/* " @MS" with -T, else "". */
static const char *stamp(char *buf, size_t len)
{
	struct timespec ts;

	buf[0] = '\0';
	if (g_stamp) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(buf, len, " @%lld.%03ld",
			 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
			 ts.tv_nsec / 1000 % 1000);
	}
	return buf;
}

static uint32_t ifindex_of(const char *s)
{
	uint32_t i = if_nametoindex(s);

	return i ? i : (uint32_t)strtoul(s, NULL, 10);
}

static int parse_prefix(const char *s, struct dmm_prefix *p)
{
	return s && dmm_prefix_parse(s, p) == 0 ? 0 : -1;
}

static int parse_route(char **w, int n, struct dmm_dp_op *op)
{
	static const struct { const char *obj, *verb; enum dmm_dp_kind k; } tab[] = {
		{ "tunnel", "add", DMM_DP_TUNNEL_ADD }, { "tunnel", "del", DMM_DP_TUNNEL_DEL },
		{ "local", "add", DMM_DP_LOCAL_ADD },   { "local", "del", DMM_DP_LOCAL_DEL },
		{ "pass", "add", DMM_DP_PASS_ADD },     { "pass", "del", DMM_DP_PASS_DEL },
		{ "miss", "add", DMM_DP_MISS_ADD },     { "miss", "del", DMM_DP_MISS_DEL },
		{ "hold", "start", DMM_DP_HOLD_START }, { "hold", "flush", DMM_DP_HOLD_FLUSH },
		{ "hold", "drop", DMM_DP_HOLD_DROP },
	};
	unsigned i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (n >= 3 && !strcmp(w[0], tab[i].obj) && !strcmp(w[1], tab[i].verb))
			break;
	if (i == sizeof(tab) / sizeof(tab[0]) || parse_prefix(w[2], &op->prefix) < 0)
		return -1;
	op->kind = tab[i].k;
	for (int j = 3; j + 1 < n; j += 2) {
		if (!strcmp(w[j], "from") && parse_prefix(w[j + 1], &op->src) == 0)
			continue;
		if (!strcmp(w[j], "via") && inet_pton(AF_INET6, w[j + 1], &op->locator) == 1)
			continue;
		if (!strcmp(w[j], "dev") && (op->link = ifindex_of(w[j + 1])) != 0)
			continue;
		return -1;
	}
	return 0;
}

static void print_stats(void)
{
	struct dp_stats s;

	dp_get_stats(g_dp, &s);
	printf("stats miss=%lu held=%lu flushed=%lu hold_dropped=%lu reinjected=%lu "
	       "miss_dropped=%lu routes_added=%lu routes_deleted=%lu nl_errors=%lu "
	       "enomem_retries=%lu ra_sent=%lu rs_received=%lu tun_filtered=%lu "
	       "hold_expired=%lu rs_dropped=%lu attach_frames=%lu\n",
	       s.miss, s.held, s.flushed, s.hold_dropped, s.reinjected, s.miss_dropped,
	       s.routes_added, s.routes_deleted, s.nl_errors, s.nl_enomem_retries, s.ra_sent,
	       s.rs_received, s.tun_filtered, s.hold_expired, s.rs_dropped, s.attach_frames);
}

/* Runs one command line; returns 0, or -1 for a bad line, or -errno. */
static int run_command(char *line)
{
	char *w[12], *save = NULL;
	int n = 0;
	struct dmm_dp_op op = { 0 };

	line += strspn(line, " \t");
	if (!strncmp(line, "exec ", 5))
		return system(line + 5) == 0 ? 0 : -EIO;
	if (!strncmp(line, "batch ", 6)) {
		char *cmd, *bsave = NULL;
		int err = 0;
		dp_batch_begin(g_dp);
		for (cmd = strtok_r(line + 6, ";\n", &bsave); cmd && err == 0;
		     cmd = strtok_r(NULL, ";\n", &bsave))
			if (strncmp(cmd + strspn(cmd, " \t"), "batch ", 6))
				err = run_command(cmd);
		printf("batch failed=%d\n", dp_batch_end(g_dp));
		return err;
	}

	for (char *t = strtok_r(line, " \t\n", &save); t && n < 12;
	     t = strtok_r(NULL, " \t\n", &save))
		w[n++] = t;
	if (n == 0)
		return 0;
	if (!strcmp(w[0], "quit")) {
		quit_flag = 1;
		return 0;
	}
	if (!strcmp(w[0], "stats")) {
		print_stats();
		return 0;
	}
	if (!strcmp(w[0], "onmiss")) {
		g_onmiss[0] = '\0';
		for (int i = 1; i < n; i++)
			snprintf(g_onmiss + strlen(g_onmiss), sizeof(g_onmiss) - strlen(g_onmiss),
				 "%s ", w[i]);
		return 0;
	}
	if (!strcmp(w[0], "adv") && n == 5) {
		op.kind = DMM_DP_ADVERTISE;
		op.link = ifindex_of(w[1]);
		op.n_adv = 1;
		op.adv[0].valid_s = (uint32_t)strtoul(w[3], NULL, 10);
		op.adv[0].preferred_s = (uint32_t)strtoul(w[4], NULL, 10);
		if (parse_prefix(w[2], &op.adv[0].prefix) < 0)
			return -1;
		return dp_apply(g_dp, &op);
	}
	if (parse_route(w, n, &op) < 0)
		return -1;
	return dp_apply(g_dp, &op);
}

static void cb_attach(void *ctx, uint32_t ifindex, const struct dmm_mnid *id)
{
	char s[DMM_MNID_STRLEN], t[32];

	printf("attach %u %s%s\n", ifindex, dmm_mnid_str(id, s, sizeof(s)), stamp(t, sizeof(t)));
}

static void cb_detach(void *ctx, uint32_t ifindex)
{
	char t[32];

	printf("detach %u%s\n", ifindex, stamp(t, sizeof(t)));
}

static void cb_miss(void *ctx, const struct in6_addr *dst, const struct in6_addr *src)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], cmd[256];

	printf("miss %s %s\n", inet_ntop(AF_INET6, dst, a, sizeof(a)),
	       inet_ntop(AF_INET6, src, b, sizeof(b)));
	if (g_onmiss[0]) {
		snprintf(cmd, sizeof(cmd), "%s", g_onmiss);
		int err = run_command(cmd);
		printf("onmiss %s\n", err == 0 ? "ok" : "err");
	}
}

static void cb_log(void *ctx, int level, const char *line)
{
	char t[32];

	printf("log %d %s%s\n", level, line, stamp(t, sizeof(t)));
}

static void on_signal(int sig)
{
	quit_flag = 1;
}

static int parse_args(int argc, char **argv, struct dp_config *c)
{
	int o;

	dp_config_defaults(c);
	while ((o = getopt(argc, argv, "s:D:t:n:a:H:RT")) != -1) {
		switch (o) {
		case 'D': {
			int k = dp_driver_parse(optarg);
			if (k < 0)
				return -1;
			c->driver = (enum dp_driver_kind)k;
			break;
		}
		case 's':
			if (inet_pton(AF_INET6, optarg, &c->self) != 1)
				return -1;
			break;
		case 't': c->table = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'n': snprintf(c->tun_name, sizeof(c->tun_name), "%s", optarg); break;
		case 'H': c->hold_max_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'R': c->attach_first_frame = false; break;
		case 'T': g_stamp = 1; break;
		case 'a':
			if (c->n_access >= DP_MAX_ACCESS)
				return -1;
			snprintf(c->access[c->n_access++], IFNAMSIZ, "%s", optarg);
			break;
		default: return -1;
		}
	}
	return IN6_IS_ADDR_UNSPECIFIED(&c->self) ? -1 : 0;
}

static void loop(void)
{
	struct pollfd fds[1 + DP_MAX_POLLFDS];
	static char line[65536]; /* a batch line holds hundreds of commands */

	while (!quit_flag) {
		fds[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
		int n = 1 + dp_pollfds(g_dp, fds + 1, DP_MAX_POLLFDS);
		dmm_time_t dl = dp_next_deadline(g_dp), now = now_ms();
		int timeout = dl == DMM_TIME_NEVER ? 1000 : dl <= now ? 0 : (int)(dl - now);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		now = now_ms();
		dp_dispatch(g_dp, fds + 1, n - 1, now);
		dp_timer(g_dp, now);
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			if (fgets(line, sizeof(line), stdin) == NULL)
				break;
			int err = run_command(line);
			if (err == 0)
				printf("ok\n");
			else
				printf("err %s\n", err == -1 ? "syntax" : strerror(-err));
		}
	}
}

int main(int argc, char **argv)
{
	struct dp_config cfg;
	struct dp_callbacks cb = { NULL, cb_attach, cb_detach, cb_miss, cb_log };

	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stdin, NULL, _IONBF, 0);
	if (parse_args(argc, argv, &cfg) < 0) {
		fprintf(stderr, "usage: dptest -s SELF [-D auto|seg6|bpf|tun] [-t TABLE] [-n TUN] "
			"[-a PATTERN]... [-H HOLD_MS] [-R] [-T]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int err = dp_open(&g_dp, &cfg, &cb);
	if (err < 0) {
		printf("open failed: %s\n", strerror(-err));
		return 1;
	}
	printf("ready\n");
	loop();
	dp_close(g_dp);
	printf("closed\n");
	return 0;
}
