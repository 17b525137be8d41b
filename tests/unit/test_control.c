/* dmmd control socket (daemon/control.c), compiled in directly with the
 * text buffer and the logger (the parser is linked): what a local client
 * can send — garbage, a partial line it never finishes, bytes trickled one
 * at a time, a line too long, nothing at all, an answer it never reads,
 * too many connections — gets an error or is closed at its deadline, never
 * a crash or a daemon that waits for it: serve_for() runs the main loop's
 * control part and checks that no round of it blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/parse.h"
#include "../../daemon/buf.c"
#include "../../daemon/log.c"
#include "../../daemon/control.c"
#include "../../daemon/peers.c"
#include "../../daemon/dpcounters.c"
#include "../../daemon/stream.c"
#include "../../daemon/evlog.c"
#include "nodetest.h"
#include "dmmd_test.h"

/* What control.c uses from files not compiled in here. */
struct dmmd_peer *sock_peer(struct dmmd *d, const struct in6_addr *a, bool create)
{
	return NULL;
}

/* With fake_dp, a data plane whose counter number i (every field of
 * struct dp_stats is a uint64_t) reads 1000 + i. */
static bool fake_dp;
_Static_assert(sizeof(struct dp_stats) % sizeof(uint64_t) == 0, "dp_stats: all uint64_t");
#define DP_NSTATS (sizeof(struct dp_stats) / sizeof(uint64_t))

bool dmmd_dp_stats(const struct dmmd *d, struct dp_stats *st)
{
	uint64_t v[DP_NSTATS];

	if (!fake_dp)
		return false;
	for (unsigned i = 0; i < DP_NSTATS; i++)
		v[i] = 1000 + i;
	memcpy(st, v, sizeof(*st));
	return true;
}

int dmmd_dp_peers(struct dmmd *d, struct dp_peer_stats *v, unsigned max)
{
	return 0;
}

const char *dmmd_dp_driver(const struct dmmd *d, const char **why)
{
	return NULL;
}

/* rstore.c: with fake_rs, a Redis store in state fake_state whose every
 * statistic is set (show store, show counters). */
static bool fake_rs;
static enum rstore_state fake_state = RSTORE_UP;
static struct rstore_stats fake_st = {
	.connects = 3, .writes = 41, .superseded = 1, .not_written = 2, .unacked_dropped = 5,
	.held = 40, .held_dropped = 6, .applied = 77, .synced = 300, .swept = 4, .sync_ms = 12,
	.subscribed = true, .addr_index = 1, .last_error = "connection lost",
	.last_error_wall = 1700000000123,
};

const struct rstore_stats *rstore_stats(const struct dmmd *dd, enum rstore_state *state,
					uint64_t *inflight, unsigned *held)
{
	if (!fake_rs)
		return NULL;
	*state = fake_state;
	*inflight = 7;
	*held = 8;
	return &fake_st;
}

const char *rstore_state_name(enum rstore_state s)
{
	return s == RSTORE_UP ? "up" : s == RSTORE_DOWN ? "down" : "other";
}

static struct dmmd d;
static struct nodetest nt;
static char dir[64];

static int setup(void **state)
{
	dt_start(&d, &nt, "ctl", "2001:db8:ff::a1", DMM_ROLE_LM, "2001:db8:ff::a1");
	snprintf(dir, sizeof(dir), "/tmp/dmm-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(d.conf.control, sizeof(d.conf.control), "%s/ctl", dir);
	assert_int_equal(control_open(&d), 0);
	return 0;
}

static int teardown(void **state)
{
	control_close(&d);
	rmdir(dir);
	nt_stop(&nt);
	return 0;
}

static int64_t ms_since(int64_t t0)
{
	return ctl_clock_ms() - t0;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, d.conf.control, strlen(d.conf.control));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Everything the daemon answered on fd, until it closed. */
static size_t answer(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static void test_request_answered(void **state)
{
	char buf[8192];
	int fd = client();

	assert_int_equal(write(fd, "show counters\n", 14), 14);
	control_accept(&d);
	answer(fd, buf, sizeof(buf));
	assert_memory_equal(buf, "ok\nrx ", 6);
	close(fd);
	/* no newline, then end of stream: still one request */
	fd = client();
	assert_int_equal(write(fd, "json show counters", 18), 18);
	shutdown(fd, SHUT_WR);
	control_accept(&d);
	answer(fd, buf, sizeof(buf));
	assert_memory_equal(buf, "ok\n{\"rx\":", 9);
	close(fd);
	assert_int_equal(d.st.ctl_requests, 2);
}

/* Lines no client should send: each one answered with an error. */
static void test_garbage_lines(void **state)
{
	static const char *const lines[] = {
		"", " ", "\t\t", "json", "json json", "show", "show nothing",
		"show mns", "show cache", "show leases", "attach", "attach 1",
		"attach 1 2 3", "detach", "detach 1 2", "frobnicate",
		"a b c d e f g h i j k l m n o p", "\x01\x02\x7f\xff",
		"show\tbindings\textra extra extra extra extra extra extra extra",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct buf out = { 0 };
		control_handle(&d, lines[i], &out);
		assert_non_null(out.p);
		if (strncmp(out.p, "error: ", 7) != 0 &&
		    strncmp(lines[i], "show\tbindings", 13) != 0)
			fail_msg("'%s' -> '%s'", lines[i], out.p);
		buf_free(&out);
	}
}

/* A line longer than the buffer is refused whole, never cut and run. */
static void test_long_line(void **state)
{
	char big[3000], buf[256];
	int fd = client();

	memset(big, 'a', sizeof(big));
	memcpy(big, "show ", 5);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	control_accept(&d);
	answer(fd, buf, sizeof(buf));
	assert_string_equal(buf, "error: request longer than 1023 bytes\n");
	close(fd);
	assert_int_equal(d.st.ctl_requests, 0);
}

/* The daemon's loop around the control socket, for ms: poll the listener
 * and the clients, serve them, close those past their deadline. Returns
 * the longest time one round of serving took (it must never wait). */
static int64_t serve_for(int64_t ms)
{
	int64_t end = ctl_clock_ms() + ms, worst = 0;

	while (ctl_clock_ms() < end) {
		struct pollfd fds[1 + DMMD_CTL_CLIENTS] = { { .fd = d.ctl_fd, .events = POLLIN } };
		int n = 1 + control_pollfds(&d, fds + 1, DMMD_CTL_CLIENTS);
		int64_t until = control_next_deadline(&d) < end ? control_next_deadline(&d) : end;
		int64_t left = until - ctl_clock_ms();

		poll(fds, (nfds_t)n, left > 0 ? (int)left : 0);
		int64_t t0 = ctl_clock_ms();
		control_dispatch(&d, fds + 1, n - 1);
		if (fds[0].revents)
			control_accept(&d);
		control_timer(&d);
		if (ms_since(t0) > worst)
			worst = ms_since(t0);
	}
	return worst;
}

/* Has the daemon closed fd (EOF waiting)? */
static bool closed_by_daemon(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static unsigned n_clients(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		n += d.ctl[i].used;
	return n;
}

/* A client that connects and never finishes its line does not hold the
 * daemon at all: it is kept until CTL_READ_MS after its connect, then
 * closed, and its half line is not run. */
static void test_partial_line(void **state)
{
	char buf[256];
	int fd = client();
	int64_t t0 = ctl_clock_ms();

	assert_int_equal(write(fd, "show count", 10), 10);
	control_accept(&d);
	assert_true(ms_since(t0) < 50);
	assert_int_equal(n_clients(), 1);
	assert_true(serve_for(CTL_READ_MS - 150) < 20);
	assert_false(closed_by_daemon(fd));
	assert_true(serve_for(300) < 20);
	assert_true(closed_by_daemon(fd));
	assert_int_equal(answer(fd, buf, sizeof(buf)), 0);
	close(fd);
	assert_int_equal(d.st.ctl_requests, 0);
	assert_int_equal(d.st.ctl_timeouts, 1);
	assert_int_equal(n_clients(), 0);
}

/* One byte every 50 ms, for far longer than the read budget: the budget is
 * for the whole line, not for each byte, and no byte makes the daemon wait. */
static void test_trickle(void **state)
{
	const char *req = "show counters show counters show counters show counters\n";
	int fd = client(), status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (const char *p = req; *p; p++) {
			if (write(fd, p, 1) != 1)
				_exit(0);
			usleep(50 * 1000);
		}
		_exit(0);
	}
	assert_true(serve_for(CTL_READ_MS + 300) < 20);
	assert_int_equal(n_clients(), 0);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_int_equal(d.st.ctl_requests, 0);
	assert_int_equal(d.st.ctl_timeouts, 1);
}

/* An answer its client never reads (8 MB, far more than a socket holds):
 * written as far as the socket takes it, without waiting, and cut at the
 * write deadline. */
static void test_reader_never_reads(void **state)
{
	int sv[2];
	struct dmmd_ctl_client *c = &d.ctl[0];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	/* The deadline far off while the answer is written as far as it goes
	 * (it was now + 200 ms, set before the 8 MB were queued: on a loaded
	 * machine queuing them and serving 100 ms took longer, and the client
	 * was cut before the first check), then near. */
	*c = (struct dmmd_ctl_client){ .used = true, .writing = true, .fd = sv[0],
				       .deadline = ctl_clock_ms() + 60000 };
	for (int i = 0; i < 8192; i++)
		buf_put(&c->out, (char[1024]){ 0 }, 1024);
	assert_false(c->out.oom);
	assert_true(serve_for(100) < 20);
	assert_true(c->used && c->out_off > 0 && c->out_off < c->out.len);
	c->deadline = ctl_clock_ms() + 50;
	assert_true(serve_for(250) < 20);
	assert_false(c->used);
	assert_int_equal(d.st.ctl_timeouts, 1);
	close(sv[1]);
}

/* Clients that say nothing and one that reads nothing, all at once: a
 * request from another client is answered at once meanwhile, and every
 * silent one is closed at its deadline. */
static void test_silent_clients_do_not_stall(void **state)
{
	int fds[4], fd, big;
	char buf[256];
	int64_t t0 = ctl_clock_ms();

	for (int i = 0; i < 4; i++)
		fds[i] = client();
	big = client(); /* asks, then never reads (its answer fits: it is closed) */
	assert_int_equal(write(big, "show config\n", 12), 12);
	assert_true(serve_for(50) < 20);
	assert_int_equal(n_clients(), 4);
	fd = client();
	assert_int_equal(write(fd, "show\n", 5), 5);
	assert_true(serve_for(50) < 20);
	answer(fd, buf, sizeof(buf));
	assert_memory_equal(buf, "error: show what?", 17);
	assert_true(ms_since(t0) < 300);
	close(fd);
	assert_int_equal(n_clients(), 4);
	assert_true(serve_for(CTL_READ_MS) < 20);
	assert_int_equal(n_clients(), 0);
	for (int i = 0; i < 4; i++) {
		assert_true(closed_by_daemon(fds[i]));
		close(fds[i]);
	}
	close(big);
	assert_int_equal(d.st.ctl_timeouts, 4);
	assert_int_equal(d.st.ctl_requests, 2);
}

/* More clients than slots: the one too many gets an error at once, the
 * others keep theirs. */
static void test_too_many_clients(void **state)
{
	int fds[DMMD_CTL_CLIENTS], fd;
	char buf[256];

	for (int i = 0; i < DMMD_CTL_CLIENTS; i++)
		fds[i] = client();
	serve_for(30);
	assert_int_equal(n_clients(), DMMD_CTL_CLIENTS);
	fd = client();
	serve_for(30);
	answer(fd, buf, sizeof(buf));
	assert_string_equal(buf, "error: too many control clients, try again\n");
	assert_int_equal(d.st.ctl_refused, 1);
	close(fd);
	for (int i = 0; i < DMMD_CTL_CLIENTS; i++)
		close(fds[i]);
	serve_for(30); /* each seen gone: end of stream with nothing said */
	assert_int_equal(n_clients(), 0);
	assert_int_equal(d.st.ctl_timeouts, 0);
}

/* The socket is 0600 from creation; what is at its path and is no socket
 * (a file, a symbolic link to one) is neither removed nor followed. */
static void test_socket_path(void **state)
{
	char victim[96], text[16] = { 0 };
	struct stat st;
	FILE *f;

	assert_int_equal(lstat(d.conf.control, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	control_close(&d);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious", f);
	fclose(f);
	assert_int_equal(chmod(victim, 0644), 0);
	/* a regular file at the path: refused, kept */
	assert_int_equal(rename(victim, d.conf.control), 0);
	assert_int_equal(control_open(&d), -1);
	assert_int_equal(rename(d.conf.control, victim), 0);
	/* a symbolic link at the path: refused, neither it nor its target touched */
	assert_int_equal(symlink(victim, d.conf.control), 0);
	assert_int_equal(control_open(&d), -1);
	assert_int_equal(lstat(d.conf.control, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "precious");
	unlink(d.conf.control);
	unlink(victim);
	/* a stale socket (no listener) is replaced */
	assert_int_equal(control_open(&d), 0);
	close(d.ctl_fd);
	d.ctl_fd = -1;
	assert_int_equal(control_open(&d), 0);
}

/* The event log is not opened through a symbolic link (O_NOFOLLOW), nor if
 * it is no regular file; a failed reopen keeps the log already open. */
static void test_evlog_path(void **state)
{
	char ev[96], target[96];
	struct stat st;

	snprintf(ev, sizeof(ev), "%s/events", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(d.conf.event_log, sizeof(d.conf.event_log), "%s", ev);
	assert_int_equal(evlog_open(&d), 0);
	assert_non_null(d.evlog);
	FILE *first = d.evlog;
	assert_int_equal(rename(ev, target), 0);
	assert_int_equal(symlink(target, ev), 0);
	assert_int_equal(evlog_open_path(ev), -ELOOP);
	assert_int_equal(evlog_open(&d), -1);
	assert_ptr_equal(d.evlog, first); /* still writing to the one open */
	unlink(ev);
	assert_int_equal(mkfifo(ev, 0600), 0);
	assert_true(evlog_open_path(ev) < 0); /* ENXIO: O_NONBLOCK, no reader */
	unlink(ev);
	assert_int_equal(evlog_open(&d), 0);
	assert_int_equal(lstat(ev, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	evlog_close(&d);
	unlink(ev);
	unlink(target);
	d.conf.event_log[0] = '\0';
}

/* show counters exports every data-plane counter (dp_stats), each once,
 * under a dp_ name, in text and JSON alike. */
static void test_every_dp_counter(void **state)
{
	struct buf text = { 0 }, json = { 0 };
	char want[32];

	fake_dp = true;
	control_handle(&d, "show counters", &text);
	control_handle(&d, "json show counters", &json);
	fake_dp = false;
	assert_non_null(text.p);
	assert_non_null(json.p);
	for (unsigned i = 0; i < DP_NSTATS; i++) {
		snprintf(want, sizeof(want), " %u\n", 1000 + i);
		const char *at = strstr(text.p, want);
		if (!at)
			fail_msg("dp_stats field %u (value %u) not shown:\n%s", i, 1000 + i, text.p);
		assert_null(strstr(at + 1, want));
		snprintf(want, sizeof(want), ":%u", 1000 + i);
		assert_non_null(strstr(json.p, want));
	}
	static const char *const names[] = {
		"dp_hold_expired", "dp_tun_filtered", "dp_rs_dropped", "dp_attach_frames",
		"dp_hold_memory_dropped", "dp_held_bytes",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "\n%s ", names[i]);
		assert_non_null(strstr(text.p, want));
		snprintf(want, sizeof(want), "\"%s\":", names[i]);
		assert_non_null(strstr(json.p, want));
	}
	buf_free(&text);
	buf_free(&json);
}

/* show store: the embedded store (every Redis field null in JSON, none in
 * text); a Redis store with its address in use, all of them, its state and
 * every statistic; its counters in show counters. */
static void test_show_store(void **state)
{
	struct buf text = { 0 }, json = { 0 };

	control_handle(&d, "show store", &text);
	control_handle(&d, "json show store", &json);
	assert_string_equal(text.p, "ok\nstore embedded\n");
	assert_non_null(strstr(json.p, "\"store\":\"embedded\""));
	assert_non_null(strstr(json.p, "\"address\":null"));
	assert_non_null(strstr(json.p, "\"addresses\":null"));
	assert_non_null(strstr(json.p, "\"state\":null"));
	assert_non_null(strstr(json.p, "\"refused\":null"));
	buf_free(&text);
	buf_free(&json);

	d.conf.n_redis = 2;
	d.conf.redis_family[0] = AF_INET6;
	d.conf.redis_addr[0] = nt_a6("2001:db8::10");
	d.conf.redis_port[0] = 6379;
	d.conf.redis_family[1] = AF_INET;
	memcpy(&d.conf.redis_addr[1].s6_addr[10], "\xff\xff\x0a\x00\x00\x06", 6);
	d.conf.redis_port[1] = 6380;
	fake_rs = true;
	control_handle(&d, "show store", &text);
	control_handle(&d, "json show store", &json);
	control_handle(&d, "show counters", &text);
	fake_rs = false;
	assert_non_null(strstr(text.p, "ok\nstore redis address 10.0.0.6:6380 namespace dmm "
			       "replicas 0 timeout_ms 1000 state up subscribed writes_in_flight 7 "
			       "replies_held 8 connects 3 writes 41 superseded 1 applied 77 held 40 "
			       "held_dropped 6 wait_short 0 unacked_dropped 5 not_written 2 sync_bindings 300 "
			       "sync_removed 4 sync_ms 12 refused 0 last_error connection lost "
			       "last_error_time 2023-11-14T22:13:20.123Z\n"));
	assert_non_null(strstr(text.p, "\nredis_up "));
	assert_non_null(strstr(text.p, "\nredis_applied "));
	assert_non_null(strstr(json.p, "\"addresses\":[\"[2001:db8::10]:6379\",\"10.0.0.6:6380\"]"));
	assert_non_null(strstr(json.p, "\"state\":\"up\""));
	assert_non_null(strstr(json.p, "\"last_error_time\":\"2023-11-14T22:13:20.123Z\""));
	buf_free(&text);
	buf_free(&json);
	d.conf.n_redis = 0;
}

/* log_ratelimited: LOG_RL_PER_SEC lines a second from one call site, then
 * nothing until the next second, whose first line says how many were
 * suppressed; another call site has its own budget. */
static void flood(const char *what, int i)
{
	log_ratelimited(LOG_WARNING, "flood %s %d", what, i); /* one call site */
}

static void test_log_ratelimited(void **state)
{
	char errpath[] = "/tmp/dmm-ctl-rl-XXXXXX", line[512];
	int errfd = mkstemp(errpath), saved = dup(STDERR_FILENO);
	int msgs = 0, again = 0, other = 0, suppressed = 0;
	struct timespec ts;
	FILE *f;

	assert_true(errfd >= 0 && saved >= 0);
	dup2(errfd, STDERR_FILENO);
	/* start just after a second begins: 200 calls fit in one window */
	do
		clock_gettime(CLOCK_MONOTONIC, &ts);
	while (ts.tv_nsec > 100 * 1000 * 1000);
	for (int i = 0; i < 200; i++) {
		flood("first", i);
		if (i < 3)
			log_ratelimited(LOG_WARNING, "other %d", i);
	}
	usleep(1100 * 1000);
	for (int i = 0; i < 2; i++)
		flood("again", i);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(errpath, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		msgs += strncmp(line, "flood first ", 12) == 0;
		again += strncmp(line, "flood again ", 12) == 0;
		other += strncmp(line, "other ", 6) == 0;
		if (strncmp(line, "suppressed ", 11) == 0) {
			suppressed++;
			assert_non_null(strstr(line, "suppressed 190 messages from "));
			assert_non_null(strstr(line, "test_control.c:"));
		}
	}
	fclose(f);
	close(errfd);
	unlink(errpath);
	assert_int_equal(msgs, LOG_RL_PER_SEC);
	assert_int_equal(again, 2);
	assert_int_equal(other, 3);
	assert_int_equal(suppressed, 1);
}

static int setup_mr(void **state)
{
	dt_start(&d, &nt, "ctl-mr", "2001:db8:ff::11", DMM_ROLE_MR, "2001:db8:ff::a1");
	return 0;
}

static int teardown_mr(void **state)
{
	nt_stop(&nt);
	return 0;
}

/* An MN id typed at the control socket reaches the log escaped. */
static void test_attach_logged_escaped(void **state)
{
	char errpath[] = "/tmp/dmm-ctl-err-XXXXXX", line[512];
	int errfd = mkstemp(errpath), saved = dup(STDERR_FILENO);
	struct buf out = { 0 };
	bool found = false;
	FILE *f;

	assert_true(errfd >= 0 && saved >= 0);
	dup2(errfd, STDERR_FILENO);
	control_handle(&d, "attach 1 mn\x1b[2J\r@x", &out);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_string_equal(out.p, "ok\n");
	buf_free(&out);
	f = fopen(errpath, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "control: attach link 1 mnid mn%1b[2J%0d@x\n") != NULL;
	fclose(f);
	close(errfd);
	unlink(errpath);
	assert_true(found);
}


/* ---- dmmctl monitor */

/* A monitor client on the control socket, its "ok" read: the slot. */
static struct dmmd_ctl_client *monitor_client(int *fd, const char *req)
{
	char ok[4] = { 0 };

	*fd = client();
	assert_int_equal(write(*fd, req, strlen(req)), (ssize_t)strlen(req));
	control_accept(&d);
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		if (d.ctl[i].used && d.ctl[i].monitor) {
			assert_int_equal(read(*fd, ok, 3), 3);
			assert_string_equal(ok, "ok\n");
			return &d.ctl[i];
		}
	fail_msg("no monitor for '%s'", req);
	return NULL;
}

static void emit(unsigned n)
{
	struct dmm_event ev = { .kind = DMM_EV_ATTACH, .t = 5, .link = 3 };

	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:01", &ev.mnid), 0);
	for (unsigned i = 0; i < n; i++)
		evlog_event(&d, &ev);
}

/* A monitor that never reads: the events are queued up to DMMD_MON_BUF,
 * then dropped and counted, at no cost to the caller; at CTL_MON_STALL_MS
 * without progress it is closed. */
static void test_monitor_never_reads(void **state)
{
	int fd;
	struct dmmd_ctl_client *c = monitor_client(&fd, "json monitor\n");
	int64_t t0 = ctl_clock_ms();

	emit(5000);
	assert_true(ms_since(t0) < 3000);
	assert_true(c->used && c->out.len - c->out_off <= DMMD_MON_BUF);
	assert_true(d.st.mon_events > 0 && d.st.mon_dropped > 0);
	assert_int_equal(d.st.mon_events + d.st.mon_dropped, 5000);
	assert_true(serve_for(CTL_MON_STALL_MS + 500) < 20);
	assert_false(c->used);
	assert_int_equal(d.st.mon_closed, 1);
	close(fd);
}

/* Read everything there is now (the daemon writing meanwhile). */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (int quiet = 0; quiet < 3;) {
		serve_for(20);
		ssize_t r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r, quiet = 0;
		else
			quiet++;
		assert_true(n + 1 < cap);
	}
	buf[n] = '\0';
	return n;
}

/* A monitor that was too slow and then reads: it is told how many events
 * it missed before the next one, in its format. */
static void test_monitor_told_of_drops(void **state)
{
	static char buf[1 << 20];
	int fd, tfd;
	struct dmmd_ctl_client *c = monitor_client(&fd, "json monitor\n");

	(void)c;
	monitor_client(&tfd, "monitor\n");
	emit(3000);
	uint64_t dropped = d.st.mon_dropped;
	assert_true(dropped > 0);
	drain(fd, buf, sizeof(buf));
	drain(tfd, buf, sizeof(buf));
	emit(1);
	drain(fd, buf, sizeof(buf));
	json_error_t e;
	char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	json_t *note = json_loads(buf, 0, &e), *ev = json_loads(nl + 1, 0, &e);
	assert_non_null(note);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(note, "event")), "monitor_dropped");
	assert_true(json_integer_value(json_object_get(note, "dropped")) > 0);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "attach");
	assert_string_equal(json_string_value(json_object_get(ev, "mnid")), "02:00:00:00:00:01");
	assert_true(json_is_null(json_object_get(ev, "prefix")));
	assert_int_equal(json_integer_value(json_object_get(ev, "link")), 3);
	json_decref(note);
	json_decref(ev);
	drain(tfd, buf, sizeof(buf));
	assert_non_null(strstr(buf, " ctl monitor_dropped dropped "));
	assert_non_null(strstr(buf, " ctl attach t_ms 5 mnid 02:00:00:00:00:01 link 3\n"));
	close(fd);
	close(tfd);
	serve_for(50);
	assert_int_equal(n_clients(), 0);
}

/* At most DMMD_MON_CLIENTS monitors; a request line without a connection
 * of its own cannot be one; a monitor that sends more is closed. */
static void test_monitor_limits(void **state)
{
	int fds[DMMD_MON_CLIENTS], fd;
	char buf[256];
	struct buf out = { 0 };

	for (int i = 0; i < DMMD_MON_CLIENTS; i++)
		monitor_client(&fds[i], "monitor\n");
	fd = client();
	assert_int_equal(write(fd, "monitor\n", 8), 8);
	control_accept(&d);
	answer(fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: too many monitors"));
	close(fd);
	for (int i = 0; i < DMMD_MON_CLIENTS; i++)
		close(fds[i]);
	control_handle(&d, "monitor", &out);
	assert_non_null(strstr(out.p, "error: "));
	buf_free(&out);
	serve_for(50);
	assert_int_equal(n_clients(), 0);
	/* a monitor that says more is closed */
	monitor_client(&fd, "monitor\n");
	assert_int_equal(write(fd, "show counters\n", 14), 14);
	serve_for(50);
	assert_int_equal(n_clients(), 0);
	close(fd);
}

/* ---- JSON answers (jansson), filters, clear counters, version */

static json_t *ask_json(const char *req)
{
	struct buf out = { 0 };
	json_error_t e;
	json_t *j;

	control_handle(&d, req, &out);
	assert_non_null(out.p);
	if (strncmp(out.p, "ok\n", 3))
		fail_msg("'%s' -> '%s'", req, out.p);
	j = json_loads(out.p + 3, 0, &e);
	if (!j)
		fail_msg("'%s': not JSON (%s): %s", req, e.text, out.p + 3);
	buf_free(&out);
	return j;
}

static void ask_error(const char *req, const char *want)
{
	struct buf out = { 0 };

	control_handle(&d, req, &out);
	assert_non_null(out.p);
	if (strncmp(out.p, "error: ", 7) || !strstr(out.p, want))
		fail_msg("'%s' -> '%s', want an error with '%s'", req, out.p, want);
	buf_free(&out);
}

static void test_json_answers(void **state)
{
	json_t *j = ask_json("json show bindings 2001:db8::/16");
	assert_true(json_is_array(j) && json_array_size(j) == 0);
	json_decref(j);
	ask_error("json show bindings 2001:db8::/16 extra", "one filter at most");
	ask_error("show counters extra", "no argument");
	ask_error("show peers 02:00:00:00:00:01", "is not an IPv6 address");
	ask_error("show peers 2001:db8:ff::99", "not a peer of this node");
	ask_error("show leases ::/0", "does not run the haa role");
	ask_error("json show peers 2001:db8:ff::a1", "not a peer"); /* itself */

	d.st.ctl_requests = 0;
	j = ask_json("json show counters");
	assert_true(json_is_null(json_object_get(j, "counters_reset_time")));
	json_decref(j);
	d.st.ctl_requests = 7;
	j = ask_json("json clear counters");
	const char *t = json_string_value(json_object_get(j, "counters_reset_time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), 24); /* 2026-01-31T12:00:00.123Z */
	assert_int_equal(t[23], 'Z');
	json_t *k = ask_json("json show counters");
	assert_string_equal(json_string_value(json_object_get(k, "counters_reset_time")), t);
	assert_int_equal(json_integer_value(json_object_get(k, "ctl_requests")), 0);
	json_decref(k);
	json_decref(j);
	d.st.ctl_requests = 9;
	j = ask_json("json show counters");
	assert_int_equal(json_integer_value(json_object_get(j, "ctl_requests")), 2);
	json_decref(j);

	j = ask_json("json version");
	assert_string_equal(json_string_value(json_object_get(j, "dmmd_version")), DMM_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "node")), "ctl");
	json_decref(j);
	j = ask_json("json show config");
	json_t *roles = json_pack("[s]", "lm");
	assert_true(json_equal(json_object_get(j, "roles"), roles));
	json_decref(roles);
	assert_true(json_is_null(json_object_get(j, "dataplane")));
	assert_true(json_is_null(json_object_get(j, "route_optimization")));
	json_t *net = json_array_get(json_object_get(j, "networks"), 0);
	assert_string_equal(json_string_value(json_object_get(net, "lm")), "2001:db8:ff::a1");
	assert_true(json_is_array(json_object_get(net, "mrs")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trickle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_never_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_clients_do_not_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_dp_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evlog_path, setup, teardown),
		cmocka_unit_test(test_log_ratelimited),
		cmocka_unit_test_setup_teardown(test_monitor_never_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_told_of_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_logged_escaped, setup_mr, teardown_mr),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
