/* dmmd: the dmm daemon. Parses the configuration, opens the signalling
 * sockets, the control socket and (on an MR) the Linux data plane, and runs
 * the core node in a single-threaded poll loop. Signal handlers only set
 * flags; ppoll() unblocks them only while waiting, so none is missed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "dmmd.h"
#include "log.h"

/* ours, the control clients, the metrics listener and clients, then the
 * data plane's */
#define DMMD_MAX_POLL (8 + DMMD_CTL_CLIENTS + 1 + METRICS_CLIENTS + 2 + DP_MAX_POLLFDS)

static volatile sig_atomic_t sig_quit, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_quit = 1;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

dmm_time_t dmmd_clock(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* ---------------------------------------------------------------- data plane glue */

#ifdef DMM_NO_DP
/* Built without the dataplane sources (early testing): LM/HAA only. */
static int dp_start(struct dmmd *d)
{
	log_warnx("this dmmd was built without a data plane (DMM_NO_DP): role mr "
		  "is not available");
	return -1;
}
static void dp_stop(struct dmmd *d) { }
static int probe_only(void) { return 1; }
static void dp_op(void *ctx, const struct dmm_dp_op *op) { }
bool dmmd_dp_stats(const struct dmmd *d, struct dp_stats *st) { return false; }
int dmmd_dp_peers(struct dmmd *d, struct dp_peer_stats *v, unsigned max) { return 0; }
const char *dmmd_dp_driver(const struct dmmd *d, const char **why) { return NULL; }
#define dp_pollfds(dp, fds, max) 0
#define dp_dispatch(dp, fds, n, now) do { } while (0)
#define dp_next_deadline(dp) DMM_TIME_NEVER
#define dp_timer(dp, now) do { } while (0)
void dmmd_dp_batch(struct dmmd *d, bool begin) { }
#else
static void dp_cb_attach(void *ctx, uint32_t ifindex, const struct dmm_mnid *id)
{
	struct dmmd *d = ctx;
	char m[DMM_MNID_STRLEN];
	int rc = dmm_mr_attach(d->node, ifindex, id, d->now);

	if (rc < 0) /* an MN can cause it on every frame: rate-limited */
		log_ratelimited(LOG_WARNING, "attach of %s on link %u: %s",
				dmm_mnid_str(id, m, sizeof(m)), ifindex, dmm_strerror(rc));
}

static void dp_cb_detach(void *ctx, uint32_t ifindex)
{
	struct dmmd *d = ctx;
	int rc = dmm_mr_detach(d->node, ifindex, d->now);

	if (rc < 0 && rc != DMM_E_NOTFOUND)
		log_ratelimited(LOG_WARNING, "detach on link %u: %s", ifindex, dmm_strerror(rc));
}

static void dp_cb_miss(void *ctx, const struct in6_addr *dst, const struct in6_addr *src)
{
	struct dmmd *d = ctx;

	dmm_mr_miss(d->node, dst, src, d->now);
}

static void dp_cb_log(void *ctx, int level, const char *line)
{
	static const int pri[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int p = level >= 0 && level <= DMM_LOG_DEBUG ? pri[level] : LOG_INFO;

	/* Its warnings (a full hold table, a link it cannot use) and some of
	 * its notes (an MN's first frame) come from traffic: rate-limited.
	 * One call site per priority, so one budget each: a flood of notes
	 * does not silence a warning. */
	if (p <= LOG_WARNING)
		log_ratelimited(p, "%s", line);
	else if (p == LOG_INFO)
		log_ratelimited(p, "%s", line);
	else
		log_ratelimited(p, "%s", line);
}

/* The tunnel peers: every MR of the domain map but this one. */
static void dp_peers(const struct dmmd_conf *c, struct dp_config *dc)
{
	const struct dmm_config *k = &c->core;

	dc->n_peers = 0;
	for (unsigned i = 0; i < k->n_nets; i++)
		for (unsigned j = 0; j < k->nets[i].n_mrs && dc->n_peers < DP_MAX_PEERS; j++)
			if (memcmp(&k->nets[i].mrs[j], &k->self, sizeof(k->self)) != 0)
				dc->peers[dc->n_peers++] = k->nets[i].mrs[j];
}

/* -P: which drivers this kernel runs, and what auto would take. */
static int probe_only(void)
{
	struct dp_config dc;
	bool ok[DP_DRIVER_COUNT] = { false };
	char why[DP_DRIVER_COUNT][160];
	static const enum dp_driver_kind order[] = { DP_DRIVER_BPF, DP_DRIVER_SEG6, DP_DRIVER_TUN };
	int rc;

	dp_config_defaults(&dc);
	/* An address no route or rule of this host uses: the probes add
	 * routes to it in dmm's table and remove them at once. */
	inet_pton(AF_INET6, "2001:db8:ffff:ffff::d33", &dc.self);
	if ((rc = dp_probe_all(&dc, ok, why)) < 0) {
		fprintf(stderr, "dmmd: cannot probe: %s%s\n", strerror(-rc),
			rc == -EPERM ? " (run as root)" : "");
		return 1;
	}
	const char *best = NULL;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum dp_driver_kind k = order[i];
		printf("%s %s%s%s\n", dp_driver_name(k), ok[k] ? "yes" : "no", ok[k] ? "" : " ",
		       ok[k] ? "" : why[k]);
		if (ok[k] && best == NULL)
			best = dp_driver_name(k);
	}
	printf("auto %s\n", best ? best : "none");
	return best ? 0 : 1;
}

static int dp_start(struct dmmd *d)
{
	const struct dmmd_conf *c = &d->conf;
	struct dp_callbacks cb = { .ctx = d, .attach = dp_cb_attach, .detach = dp_cb_detach,
				   .miss = dp_cb_miss, .log = dp_cb_log };
	struct dp_config dc;
	int rc;

	dp_config_defaults(&dc);
	dc.self = c->core.self;
	dc.table = c->dp_table;
	dc.rule_pref = c->dp_rule_pref;
	dc.protocol = c->dp_protocol;
	snprintf(dc.tun_name, sizeof(dc.tun_name), "%s", c->dp_tun);
	dc.n_access = c->n_access < DP_MAX_ACCESS ? c->n_access : DP_MAX_ACCESS;
	for (unsigned i = 0; i < dc.n_access; i++)
		snprintf(dc.access[i], sizeof(dc.access[i]), "%s", c->access[i]);
	dc.hold_max_pkts = c->dp_hold_limit;
	dc.hold_max_bytes = c->dp_hold_memory;
	dc.ra_router_lifetime_s = c->core.timers.ra_lifetime_s;
	dc.ra_mtu_no_tunnel = c->core.routing == DMM_ROUTING_LOCATOR;
	dc.locator = c->core.routing == DMM_ROUTING_LOCATOR;
	dc.mr = true;
	dc.attach_first_frame = c->attach_on == DMMD_ATTACH_FIRST_FRAME;
	dc.router_ll = c->router_ll;
	dc.driver = (enum dp_driver_kind)c->dataplane;
	dp_peers(c, &dc);
	rc = dp_open(&d->dp, &dc, &cb);
	if (rc < 0) {
		log_warnx("data plane: %s%s", strerror(-rc), rc == -EPERM ?
			  " (dmmd must run as root, or with CAP_NET_ADMIN and CAP_NET_RAW)" : "");
		d->dp = NULL;
		return -1;
	}
	if (c->core.routing == DMM_ROUTING_LOCATOR && !dp_can_locator(d->dp)) {
		/* dataplane auto on a kernel without the bpf driver */
		log_warnx("mr { routing locator }: the %s data-plane driver cannot translate "
			  "per-host locators; it needs the bpf driver (CONFIG_BPF_SYSCALL, "
			  "CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF: see dmmd -P), or routing tunnel",
			  dp_driver_name(dp_driver(d->dp, NULL)));
		dp_close(d->dp);
		d->dp = NULL;
		return -1;
	}
	return 0;
}

static void dp_stop(struct dmmd *d)
{
	if (d->dp)
		dp_close(d->dp);
	d->dp = NULL;
}

static void dp_op(void *ctx, const struct dmm_dp_op *op)
{
	struct dmmd *d = ctx;
	int rc;

	if (!d->dp)
		return;
	rc = dp_apply(d->dp, op);
	if (rc < 0)
		log_ratelimited(LOG_WARNING, "data plane %s: %s", dmm_dp_kind_name(op->kind),
				strerror(-rc));
}

/* Route changes between begin and end go to the kernel in batches (dp.h). */
void dmmd_dp_batch(struct dmmd *d, bool begin)
{
	if (!d->dp)
		return;
	if (begin)
		dp_batch_begin(d->dp);
	else
		dp_batch_end(d->dp);
}

bool dmmd_dp_stats(const struct dmmd *d, struct dp_stats *st)
{
	if (!d->dp)
		return false;
	dp_get_stats(d->dp, st);
	return true;
}

int dmmd_dp_peers(struct dmmd *d, struct dp_peer_stats *v, unsigned max)
{
	int n = d->dp ? dp_peer_stats(d->dp, v, max) : 0;

	return n < (int)max ? n : (int)max;
}

const char *dmmd_dp_driver(const struct dmmd *d, const char **why)
{
	return d->dp ? dp_driver_name(dp_driver(d->dp, why)) : NULL;
}
#endif

/* ---------------------------------------------------------------- core glue */

/* The core limits its own warnings per cause (dmm_drop, the MR's peer log);
 * its debug lines (-v) follow every state change a peer or an MN causes:
 * rate-limited here. */
static void core_log(void *ctx, enum dmm_log_level lvl, const char *line)
{
	static const int pri[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int p = (unsigned)lvl <= DMM_LOG_DEBUG ? pri[lvl] : LOG_INFO;

	if (p == LOG_DEBUG)
		log_ratelimited(p, "%s", line);
	else
		log_line(p, line);
}

static bool core_log_on(void *ctx, enum dmm_log_level lvl)
{
	return lvl != DMM_LOG_DEBUG || log_verbose();
}

static void print_err(void *ctx, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static void log_err(void *ctx, const char *msg)
{
	log_warnx("%s", msg);
}

static void set_wall_offset(struct dmmd *d)
{
	dmm_node_set_wall_offset(d->node, (int64_t)clock_ms(CLOCK_REALTIME) -
				 (int64_t)clock_ms(CLOCK_MONOTONIC));
}

/* The core's randomness (initial sequence numbers): libsodium's CSPRNG. */
static uint32_t dmmd_random(void *ctx)
{
	return randombytes_random();
}

/* Each event: counted and timed for the metrics, then logged. */
static void node_event(void *ctx, const struct dmm_event *ev)
{
	metrics_event(ctx, ev);
	evlog_event(ctx, ev);
}

static int node_start(struct dmmd *d)
{
	struct dmm_io io = { .ctx = d, .send = sock_send, .dp = dp_op, .log = core_log,
			     .log_on = core_log_on, .event = node_event, .random = dmmd_random,
			     .persist = store_put, .authorize = authz_check,
			     .mn_options = authz_options };
	int rc;

	if (dmm_auth_init() != 0) {
		log_warnx("libsodium initialisation failed");
		return -1;
	}
	if (authz_reload(d) < 0)
		return -1;
	d->now = d->started = dmmd_clock();
	rc = dmm_node_new(&d->conf.core, &io, d->now, &d->node);
	if (rc < 0) {
		log_warnx("node: %s", dmm_strerror(rc));
		return -1;
	}
	set_wall_offset(d);
	return store_restore(d);
}

/* ---------------------------------------------------------------- reload */

/* Append name to the comma-separated list in buf if differs. */
static void note(char *buf, size_t len, bool differs, const char *name)
{
	size_t off = strlen(buf);

	if (differs)
		snprintf(buf + off, len - off, "%s%s", off ? ", " : "", name);
}

/* The sections whose change needs a restart: what the node sized its tables
 * from or is built around (dmm_node_reconfigure refuses those), and the
 * daemon's sockets and data plane. The data plane takes the RA router
 * lifetime once, when it opens, so on an MR that timer is restart-only too. */
static void restart_sections(const struct dmmd_conf *a, const struct dmmd_conf *b,
			     char *why, size_t len)
{
	const struct dmm_config *x = &a->core, *y = &b->core;

	why[0] = '\0';
	note(why, len, strcmp(x->name, y->name) || x->roles != y->roles ||
	     memcmp(&x->self, &y->self, sizeof(x->self)) || x->local_net != y->local_net,
	     "node/address/roles");
	note(why, len, x->n_nets != y->n_nets || memcmp(x->nets, y->nets, sizeof(x->nets)),
	     "networks");
	note(why, len, x->ro_mode != y->ro_mode || x->n_fixed != y->n_fixed ||
	     memcmp(x->fixed, y->fixed, sizeof(x->fixed)) || a->n_access != b->n_access ||
	     memcmp(a->access, b->access, sizeof(a->access)), "mr (mode, fixed, access)");
	note(why, len, a->n_anycast != b->n_anycast ||
	     memcmp(a->anycast, b->anycast, sizeof(a->anycast)) ||
	     a->anycast_probe_ms != b->anycast_probe_ms ||
	     a->anycast_dead_ms != b->anycast_dead_ms, "mr (anycast)");
	note(why, len, a->attach_on != b->attach_on ||
	     memcmp(&a->router_ll, &b->router_ll, sizeof(a->router_ll)) != 0,
	     "mr (attach-on, router-link-local)");
	note(why, len, x->n_pools != y->n_pools || memcmp(x->pools, y->pools, sizeof(x->pools)),
	     "haa");
	note(why, len, (x->roles & DMM_ROLE_MR) &&
	     x->timers.ra_lifetime_s != y->timers.ra_lifetime_s, "timers (ra-lifetime)");
	note(why, len, memcmp(&x->limits, &y->limits, sizeof(x->limits)) != 0, "limits");
	note(why, len, strcmp(a->control, b->control) != 0, "control");
	note(why, len, a->metrics_family != b->metrics_family || a->metrics_port != b->metrics_port ||
	     memcmp(&a->metrics_addr, &b->metrics_addr, sizeof(a->metrics_addr)) != 0, "metrics");
	note(why, len, strcmp(a->user, b->user) != 0, "user");
	note(why, len, strcmp(a->pidfile, b->pidfile) != 0, "pidfile");
	note(why, len, strcmp(a->state_dir, b->state_dir) != 0 || a->state_sync != b->state_sync,
	     "state");
	note(why, len, a->n_redis != b->n_redis ||
	     memcmp(a->redis_family, b->redis_family, sizeof(a->redis_family)) != 0 ||
	     memcmp(a->redis_port, b->redis_port, sizeof(a->redis_port)) != 0 ||
	     memcmp(a->redis_addr, b->redis_addr, sizeof(a->redis_addr)) != 0 ||
	     strcmp(a->redis_ns, b->redis_ns) != 0 || a->redis_replicas != b->redis_replicas ||
	     a->redis_timeout_ms != b->redis_timeout_ms, "lm (store)");
	note(why, len, a->signalling != b->signalling || a->udp_port != b->udp_port,
	     "signalling");
	note(why, len, a->dp_table != b->dp_table || a->dp_rule_pref != b->dp_rule_pref ||
	     a->dp_protocol != b->dp_protocol || strcmp(a->dp_tun, b->dp_tun) ||
	     a->dp_hold_limit != b->dp_hold_limit || a->dp_hold_memory != b->dp_hold_memory ||
	     a->dataplane != b->dataplane, "dataplane");
}

/* The sections that change in place, for the log line. */
static void live_sections(const struct dmmd_conf *a, const struct dmmd_conf *b,
			  char *what, size_t len)
{
	const struct dmm_config *x = &a->core, *y = &b->core;

	what[0] = '\0';
	note(what, len, memcmp(&x->timers, &y->timers, sizeof(x->timers)) != 0, "timers");
	note(what, len, memcmp(&x->keys, &y->keys, sizeof(x->keys)) != 0 ||
	     strcmp(a->key_file, b->key_file) != 0, "keys");
	note(what, len, x->lm_update_on_attach != y->lm_update_on_attach ||
	     x->new_hoa_on_arrival != y->new_hoa_on_arrival ||
	     x->hold_packets != y->hold_packets, "mr (lm-update, new-hoa, hold)");
	note(what, len, strcmp(a->event_log, b->event_log) != 0, "event-log");
}

/* Check the new configuration against the running one; 0 if it may be
 * swapped in (the node has then taken its timers, keys and switches), else
 * -1 with the reason in why. */
static int reload_apply(struct dmmd *d, const struct dmmd_conf *nc, char *why, size_t len)
{
	char what[256];
	int rc;

	restart_sections(&d->conf, nc, what, sizeof(what));
	if (what[0]) {
		snprintf(why, len, "changes to %s need a restart", what);
		return -1;
	}
	rc = dmm_node_reconfigure(d->node, &nc->core);
	if (rc < 0) {
		snprintf(why, len, "the node refused the new configuration (%s)",
			 dmm_strerror(rc));
		return -1;
	}
	return 0;
}

/* The event log again (rotation), through the helper once unprivileged. */
static void evlog_reopen(struct dmmd *d)
{
	int fd;

	if (d->priv_fd < 0 || !d->conf.event_log[0]) {
		evlog_open(d);
		return;
	}
	fd = priv_open_evlog(d, d->conf.event_log);
	if (fd < 0)
		log_warnx("event log %s: %s%s", d->conf.event_log, strerror(-fd),
			  d->evlog ? " (still writing to the one open)" : "");
	else
		evlog_adopt(d, fd);
}

/* A reload error: logged (on stderr under -d) and kept for show config. */
static void reload_err(void *ctx, const char *msg)
{
	struct dmmd_reload *r = ctx;
	size_t off = strlen(r->error);

	log_warnx("%s", msg);
	if (off + 1 < sizeof(r->error))
		snprintf(r->error + off, sizeof(r->error) - off, "%s%s", off ? "\n" : "", msg);
}

/* SIGHUP: parse and validate again, then swap or keep. Timers, keys, the MR
 * policy switches and the event log apply to the running node; any other
 * change is refused as a whole, with the sections that need a restart named.
 * The event log is reopened in any case, so it can be rotated. The outcome
 * (errors, time) is kept in d->reload for dmmctl show config. */
static void reload(struct dmmd *d)
{
	struct dmmd_conf *nc = malloc(sizeof(*nc));
	struct dmmd_reload *r = &d->reload;
	char what[256], why[512];

	memset(r, 0, sizeof(*r));
	r->tried = true;
	clock_gettime(CLOCK_REALTIME, &r->time);
	if (!nc) {
		reload_err(r, "reload: out of memory; keeping the running configuration");
		return;
	}
	if ((d->priv_fd >= 0 ? priv_reload(d, nc, reload_err, r)
			     : parse_conf_file(d->conf_path, nc, reload_err, r)) != 0) {
		log_warnx("reload: %s has errors; keeping the running configuration",
			  d->conf_path);
		if (!r->error[0]) /* the helper died before it answered */
			snprintf(r->error, sizeof(r->error), "%s could not be read",
				 d->conf_path);
		goto out;
	}
	if (d->pidfile_opt) /* -p wins over the file, now as at start */
		memcpy(nc->pidfile, d->conf.pidfile, sizeof(nc->pidfile));
	if (reload_apply(d, nc, why, sizeof(why)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", why);
		snprintf(r->error, sizeof(r->error), "%s", why);
	} else {
		live_sections(&d->conf, nc, what, sizeof(what));
		if (what[0])
			log_info("reload: applied changes to %s", what);
		else
			log_info("reload: configuration unchanged");
		d->conf = *nc; /* everything else is identical */
		r->ok = true;
	}
out:
	/* the list again, even if its name did not change; its own errors
	 * (logged) make the reload a failed one too */
	if (authz_reload(d) < 0) {
		size_t off = strlen(r->error);
		snprintf(r->error + off, sizeof(r->error) - off, "%sauthorize: %s could not be "
			 "loaded (see the log); the running list is kept", off ? "\n" : "",
			 d->conf.authorize);
		r->ok = false;
	}
	evlog_reopen(d);
	explicit_bzero(&nc->core.keys, sizeof(nc->core.keys));
	free(nc);
}

/* ---------------------------------------------------------------- loop */

static int loop_timeout(const struct dmmd *d)
{
	dmm_time_t t = dmm_node_next_deadline(d->node), u;
	int64_t c = control_next_deadline(d); /* the same clock as d->now */

	if (d->dp && (u = dp_next_deadline(d->dp)) < t)
		t = u;
	if ((u = anycast_deadline(d)) < t)
		t = u;
	if (c != INT64_MAX && (dmm_time_t)(c < 0 ? 0 : c) < t)
		t = (dmm_time_t)(c < 0 ? 0 : c);
	if ((u = metrics_next_deadline(d)) < t)
		t = u;
	if ((u = rstore_deadline(d)) < t)
		t = u;
	if (t == DMM_TIME_NEVER)
		return -1;
	if (t <= d->now)
		return 0;
	return t - d->now > 60000 ? 60000 : (int)(t - d->now);
}

static int add_fd(struct pollfd *fds, int *n, int fd)
{
	if (fd < 0)
		return -1;
	fds[*n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	return (*n)++;
}

static void loop(struct dmmd *d, const sigset_t *waitmask)
{
	struct pollfd fds[DMMD_MAX_POLL];

	while (!sig_quit) {
		int n = 0, nctl, ndp = 0, rc;
		if (sig_hup) {
			sig_hup = 0;
			reload(d);
		}
		int raw_i = add_fd(fds, &n, d->raw_fd);
		int udp_i = add_fd(fds, &n, d->udp_fd);
		int ctl_i = add_fd(fds, &n, d->ctl_fd);
		int ctl_first = n;
		nctl = control_pollfds(d, fds + n, DMMD_CTL_CLIENTS);
		n += nctl;
		int met_first = n, nmet = metrics_pollfds(d, fds + n, 1 + METRICS_CLIENTS);
		n += nmet;
		int rs_first = n, nrs = rstore_pollfds(d, fds + n, 2);
		n += nrs;
		if (d->dp)
			ndp = dp_pollfds(d->dp, fds + n, DMMD_MAX_POLL - n);
		int ms = loop_timeout(d);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
		rc = ppoll(fds, (nfds_t)(n + ndp), ms < 0 ? NULL : &ts, waitmask);
		if (rc < 0 && errno != EINTR)
			fatal("poll");
		d->now = dmmd_clock();
		set_wall_offset(d);
		if (rc > 0) {
			if (raw_i >= 0 && fds[raw_i].revents)
				sock_recv(d, d->raw_fd, DMMD_SIG_RAW);
			if (udp_i >= 0 && fds[udp_i].revents)
				sock_recv(d, d->udp_fd, DMMD_SIG_UDP);
			if (nctl > 0)
				control_dispatch(d, fds + ctl_first, nctl);
			if (ctl_i >= 0 && fds[ctl_i].revents)
				control_accept(d);
			if (nmet > 0)
				metrics_dispatch(d, fds + met_first, nmet);
			if (nrs > 0)
				rstore_dispatch(d, fds + rs_first, nrs);
			if (d->dp && ndp > 0)
				dp_dispatch(d->dp, fds + n, ndp, d->now);
		}
		/* what the timer expires (route cache entries) in batches too */
		dmmd_dp_batch(d, true);
		dmm_node_timer(d->node, d->now);
		dmmd_dp_batch(d, false);
		if (d->dp)
			dp_timer(d->dp, d->now);
		anycast_timer(d);
		rstore_timer(d);
		control_timer(d);
		metrics_timer(d);
	}
}

/* ---------------------------------------------------------------- main */

#ifndef DMM_VERSION
#define DMM_VERSION "unknown"
#endif
#define DMMD_CONF_DEFAULT "/etc/dmm/dmmd.conf"

static void usage(FILE *f)
{
	fprintf(f, "usage: dmmd [-dnv] [-f file] [-p pidfile]\n"
		"       dmmd -P\n"
		"       dmmd -h | --help | -V | --version\n"
		"\n"
		"  -d          stay in the foreground, log to stderr\n"
		"  -f file     configuration file (default " DMMD_CONF_DEFAULT ")\n"
		"  -n          check the configuration: every error as file:line, then exit\n"
		"  -p pidfile  write the pid there once started (overrides 'pidfile')\n"
		"  -v          verbose: debug logs; with -n, print the configuration normalized\n"
		"  -P          probe the kernel: which data-plane drivers it runs\n"
		"  -h, --help  this help\n"
		"  -V, --version  print the version\n"
		"\n"
		"Manual: dmmd(8), dmmd.conf(5), dmmctl(8).\n");
}

/* -n: check the file, print every error; with -v print it normalized. */
static int check_only(const char *path, struct dmmd_conf *c, int verbose)
{
	int n = parse_conf_file(path, c, print_err, NULL);

	if (n > 0) {
		fprintf(stderr, "%s: %d error%s\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	if (verbose)
		parse_conf_print(stdout, c);
	else
		fprintf(stderr, "configuration OK\n");
	return 0;
}

static void start(struct dmmd *d)
{
	bool mr = d->conf.core.roles & DMM_ROLE_MR;

	/* The data plane first: the node emits its MISS routes when created. */
	if (mr && dp_start(d) < 0)
		fatalx("cannot start the data plane");
	if (store_open(d) < 0 || sock_open(d) < 0 || control_open(d) < 0 ||
	    metrics_open(d) < 0 || node_start(d) < 0 || rstore_open(d) < 0) {
		dp_stop(d);
		store_close(d);
		fatalx("cannot start");
	}
	evlog_open(d);
	log_info("%s started: roles%s%s%s", d->conf.core.name, mr ? " mr" : "",
		 d->conf.core.roles & DMM_ROLE_LM ? " lm" : "",
		 d->conf.core.roles & DMM_ROLE_HAA ? " haa" : "");
}

/* ---------------------------------------------------------------- pidfile */

/* Write our pid to conf.pidfile once start-up succeeded (after daemon():
 * the pid is final): opened without following a symbolic link, a regular
 * file, mode 0644, locked while dmmd runs so that a second dmmd given the
 * same file refuses to start. 0 or -1. */
static int pidfile_write(struct dmmd *d)
{
	const char *path = d->conf.pidfile;
	struct stat st;
	char buf[32];
	int fd, n;

	if (!path[0])
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		log_warn("pidfile %s%s", path, errno == ELOOP ? " (a symbolic link)" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warnx("pidfile %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_warnx("pidfile %s: locked by another process (another dmmd running?)", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		log_warn("pidfile %s", path);
		close(fd);
		return -1;
	}
	d->pid_fd = fd;
	return 0;
}

void dmmd_pidfile_unlink(const char *path, pid_t pid)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char buf[32] = "";
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return;
	n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n > 0 && strtol(buf, NULL, 10) == (long)pid && unlink(path) < 0)
		log_warn("pidfile %s: unlink", path);
}

static void pidfile_remove(struct dmmd *d)
{
	if (d->pid_fd < 0)
		return;
	if (d->priv_fd >= 0)
		priv_unlink_pidfile(d); /* its directory may be root's */
	else
		dmmd_pidfile_unlink(d->conf.pidfile, getpid());
	close(d->pid_fd);
	d->pid_fd = -1;
}

static void shutdown_all(struct dmmd *d)
{
	log_info("%s shutting down", d->conf.core.name);
	rstore_close(d);
	dmm_node_free(d->node); /* no I/O from here on */
	d->node = NULL;
	dp_stop(d);             /* every route, rule and the TUN device go */
	control_close(d);
	metrics_close(d);
	if (d->priv_fd >= 0)
		priv_unlink_control(d); /* if its directory is root's: still there */
	pidfile_remove(d);
	priv_close(d);
	sock_close(d);
	evlog_close(d);
	store_close(d);
	authz_free(d->authz);
	d->authz = NULL;
}

/* An absolute path for path: the daemon chdirs to / (and SIGHUP rereads
 * the file), so a relative -f or -p is resolved at start. The file itself
 * must exist for -f; for -p only its directory. NULL with errno set. */
static char *absolute(const char *path, bool must_exist)
{
	char dir[PATH_MAX], *out;

	if (must_exist)
		return realpath(path, NULL);
	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	if (asprintf(&out, "%s/%s", dir, path) < 0)
		return NULL;
	return out;
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	const char *path = DMMD_CONF_DEFAULT, *pidfile = NULL;
	int ch, fg = 0, verbose = 0, check = 0, probe = 0;
	char *abs_path, *abs_pid = NULL;
	struct dmmd *d;
	sigset_t block, waitmask;

	while ((ch = getopt_long(argc, argv, "df:hnp:PvV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'P': probe = 1; break;
		case 'd': fg = 1; break;
		case 'f': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'n': check = 1; break;
		case 'p': pidfile = optarg; break;
		case 'v': verbose++; break;
		case 'V': printf("dmmd %s\n", DMM_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (probe)
		return probe_only();
	d = calloc(1, sizeof(*d));
	if (!d)
		fatal("calloc");
	if (check) {
		int rc = check_only(path, &d->conf, verbose);
		free(d);
		return rc;
	}
	log_init(1, verbose, "dmmd");
	/* A file that is not there: parse_conf_file says so, as for any error */
	if (!(abs_path = absolute(path, true)) && !(abs_path = strdup(path)))
		fatal("strdup");
	if (pidfile && !pidfile[0])
		fatalx("-p: empty pidfile path");
	if (pidfile && !(abs_pid = absolute(pidfile, false)))
		fatal("pidfile %s", pidfile);
	if (parse_conf_file(abs_path, &d->conf, log_err, NULL) != 0)
		fatalx("%s: configuration has errors (check with dmmd -n -f %s)", path, path);
	if (abs_pid && strlen(abs_pid) >= sizeof(d->conf.pidfile))
		fatalx("pidfile %s: path too long", abs_pid);
	if (abs_pid)
		snprintf(d->conf.pidfile, sizeof(d->conf.pidfile), "%s", abs_pid);
	d->pidfile_opt = abs_pid != NULL;
	free(abs_pid);
	d->conf_path = abs_path;
	d->raw_fd = d->udp_fd = d->ctl_fd = d->priv_fd = d->pid_fd = -1;

	/* Signals first: one that comes while starting (a SIGHUP once the
	 * control socket is there) waits for the loop instead of killing. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	start(d);
	log_set_node(d->conf.core.name);

	if (!fg) {
		if (daemon(0, 0) < 0)
			fatal("daemon");
		log_init(0, verbose, "dmmd");
	}
	/* Started: the pid is final. Then everything privileged is open: the
	 * rest runs without root. */
	if (pidfile_write(d) < 0) {
		shutdown_all(d);
		fatalx("cannot write the pidfile");
	}
	if (priv_drop(d) < 0) {
		shutdown_all(d);
		fatalx("refusing to run with privileges it could not drop");
	}
	loop(d, &waitmask);
	shutdown_all(d);
	free(abs_path);
	free(d);
	return 0;
}
