/* dmmd: privilege separation. Once its sockets, the TUN device, the BPF
 * programs and netlink are open, dmmd (priv_drop, after daemon()) becomes
 * an unprivileged user ('user' in dmmd.conf) that keeps only the
 * capabilities it still uses:
 *
 *   mr with any driver  CAP_NET_ADMIN (routes, rules, addresses, sysctls of
 *                       new access links, tc), CAP_NET_RAW;
 *   mr, bpf driver      + CAP_BPF (one encapsulation program is loaded per
 *                       peer MR, at the first tunnel route to it) and
 *                       CAP_PERFMON (without it, Linux before 6.3 or so
 *                       verifies the program as unprivileged and refuses
 *                       it: "attempt to corrupt spilled pointer on stack",
 *                       seen on Debian's 6.1);
 *   lm, haa only        none (their sockets are open).
 *
 * with PR_SET_NO_NEW_PRIVS, and every other capability out of its bounding
 * set. What the unprivileged daemon cannot do itself, a helper forked
 * before the drop does: it stays uid 0 with only CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER, talks to nothing but the daemon over
 * a socket pair, and answers these requests:
 *
 *   R  parse the configuration file named at start (and the key file it
 *      names) for SIGHUP: errors and the parsed struct back;
 *   E  open the event log for appending (O_NOFOLLOW), for SIGHUP: the fd
 *      back; only a path a configuration it parsed names;
 *   A  open the MR's authorize list for reading (O_NOFOLLOW): the fd back;
 *      only the path the last configuration it parsed names;
 *   U  remove the control socket at shutdown (only the one configured at
 *      start, and only if it is a socket);
 *   P  remove the pidfile at shutdown (only the one written at start, and
 *      only if it is a regular file that still holds the daemon's pid).
 *
 * The helper ignores SIGHUP, SIGINT and SIGTERM (the daemon decides when
 * to stop) and exits when the daemon's end of the pair closes. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "buf.h"
#include "dmmd.h"
#include "log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define PRIV_ERRTEXT_MAX 65536

struct priv_req {
	char op;
	char path[DMMD_PATH_MAX];
};

struct priv_reload_hdr {
	int32_t errors;
	uint32_t errlen;
};

/* ---------------------------------------------------------------- plumbing */

static int io_full(int fd, void *p, size_t len, bool wr)
{
	uint8_t *b = p;

	while (len > 0) {
		ssize_t n = wr ? send(fd, b, len, MSG_NOSIGNAL) : read(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One status int, and fd (if >= 0) alongside it. */
static int send_fd(int sock, int status, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &status, sizeof(status) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(status) ? 0 : -1;
}

static int recv_fd(int sock, int *status)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { status, sizeof(*status) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	int fd = -1;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*status))
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* ---------------------------------------------------------------- capabilities */

static int caps_set(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct v[2] = {
		{ (uint32_t)keep, (uint32_t)keep, 0 },
		{ (uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0 },
	};

	return (int)syscall(SYS_capset, &h, v);
}

static uint64_t caps_effective(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct v[2] = { { 0 } };

	if (syscall(SYS_capget, &h, v) != 0)
		return ~0ull;
	return v[0].effective | (uint64_t)v[1].effective << 32;
}

/* Everything but keep out of the bounding set (needs CAP_SETPCAP: before
 * the uid changes), no ambient capability, and no exec may gain any. */
static int caps_bound(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (!(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

uint64_t priv_caps_needed(const struct dmmd *d)
{
	uint64_t keep = 0;
	const char *why;
	const char *drv = dmmd_dp_driver(d, &why);

	if (d->conf.core.roles & DMM_ROLE_MR)
		keep |= 1ull << CAP_NET_ADMIN | 1ull << CAP_NET_RAW;
	if (drv && strcmp(drv, "bpf") == 0)
		keep |= 1ull << CAP_BPF | 1ull << CAP_PERFMON;
	return keep;
}

/* "cap_net_admin,cap_net_raw" for the log. */
static const char *caps_str(uint64_t caps, char *buf, size_t len)
{
	static const struct { int cap; const char *name; } names[] = {
		{ CAP_NET_ADMIN, "cap_net_admin" }, { CAP_NET_RAW, "cap_net_raw" },
		{ CAP_BPF, "cap_bpf" }, { CAP_PERFMON, "cap_perfmon" },
		{ CAP_DAC_OVERRIDE, "cap_dac_override" },
		{ CAP_DAC_READ_SEARCH, "cap_dac_read_search" }, { CAP_FOWNER, "cap_fowner" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & (1ull << names[i].cap))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						names[i].name);
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* ---------------------------------------------------------------- the helper */

struct helper {
	int sock;
	const char *conf_path;
	char control[DMMD_PATH_MAX];
	char pidfile[DMMD_PATH_MAX];
	char evlog[2][DMMD_PATH_MAX]; /* at start, in the last parsed file */
	char authz[DMMD_PATH_MAX];    /* mr { authorize } of the last parsed file */
};

static void helper_collect(void *ctx, const char *msg)
{
	struct buf *b = ctx;

	if (b->len < PRIV_ERRTEXT_MAX)
		buf_printf(b, "%s\n", msg);
}

static void helper_reload(struct helper *h)
{
	struct dmmd_conf *nc = calloc(1, sizeof(*nc));
	struct buf errs = { 0 };
	struct priv_reload_hdr hdr = { 1, 0 };

	if (nc) {
		hdr.errors = parse_conf_file(h->conf_path, nc, helper_collect, &errs);
		if (hdr.errors == 0) {
			memcpy(h->evlog[1], nc->event_log, sizeof(h->evlog[1]));
			memcpy(h->authz, nc->authorize, sizeof(h->authz));
		}
	}
	hdr.errlen = errs.oom ? 0 : (uint32_t)errs.len;
	if (io_full(h->sock, &hdr, sizeof(hdr), true) == 0 &&
	    (hdr.errlen == 0 || io_full(h->sock, errs.p, hdr.errlen, true) == 0) &&
	    hdr.errors == 0)
		io_full(h->sock, nc, sizeof(*nc), true);
	if (nc)
		explicit_bzero(&nc->core.keys, sizeof(nc->core.keys));
	free(nc);
	buf_free(&errs);
}

static void helper_evlog(struct helper *h, const char *path)
{
	int fd = -1, status = EPERM;

	if (path[0] && (strcmp(path, h->evlog[0]) == 0 || strcmp(path, h->evlog[1]) == 0)) {
		fd = evlog_open_path(path);
		status = fd < 0 ? -fd : 0;
	}
	send_fd(h->sock, status, fd);
	if (fd >= 0)
		close(fd);
}

/* The authorization list, read-only, and only the one the configuration
 * names: the daemon's user need not be able to read it. */
static void helper_authz(struct helper *h, const char *path)
{
	int fd = -1, status = EPERM;

	if (path[0] && strcmp(path, h->authz) == 0) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		status = fd < 0 ? errno : 0;
	}
	send_fd(h->sock, status, fd);
	if (fd >= 0)
		close(fd);
}

static void helper_unlink(struct helper *h)
{
	struct stat st;
	int status = 0;

	if (lstat(h->control, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(h->control) < 0)
		status = errno;
	send_fd(h->sock, status, -1);
}

static void helper_unlink_pidfile(struct helper *h)
{
	if (h->pidfile[0])
		dmmd_pidfile_unlink(h->pidfile, getppid());
	send_fd(h->sock, 0, -1);
}

static void helper_confine(struct helper *h)
{
	uint64_t keep = 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH |
			1ull << CAP_FOWNER;

	prctl(PR_SET_NAME, "dmmd-priv", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (caps_bound(keep) < 0 || caps_set(keep) < 0) {
		log_warn("privileged helper: cannot drop capabilities");
		_exit(1);
	}
}

static void __attribute__((noreturn)) helper_main(struct helper *h)
{
	struct priv_req req;

	/* Nothing of the daemon's: no socket, TUN or BPF object stays open
	 * here (the TUN device must go when the daemon closes it). */
	if (dup2(h->sock, 3) < 0)
		_exit(1);
	h->sock = 3;
	syscall(SYS_close_range, 4, ~0u, 0);
	helper_confine(h);
	while (io_full(h->sock, &req, sizeof(req), false) == 0) {
		req.path[sizeof(req.path) - 1] = '\0';
		if (req.op == 'R')
			helper_reload(h);
		else if (req.op == 'E')
			helper_evlog(h, req.path);
		else if (req.op == 'U')
			helper_unlink(h);
		else if (req.op == 'A')
			helper_authz(h, req.path);
		else if (req.op == 'P')
			helper_unlink_pidfile(h);
		else
			break;
	}
	_exit(0); /* no atexit handlers: the daemon's state is not ours */
}

static int helper_start(struct dmmd *d)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("privileged helper: socketpair");
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_warn("privileged helper: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		struct helper h = { .sock = sv[1], .conf_path = d->conf_path };
		memcpy(h.control, d->conf.control, sizeof(h.control));
		if (d->pid_fd >= 0)
			memcpy(h.pidfile, d->conf.pidfile, sizeof(h.pidfile));
		memcpy(h.evlog[0], d->conf.event_log, sizeof(h.evlog[0]));
		memcpy(h.evlog[1], d->conf.event_log, sizeof(h.evlog[1]));
		memcpy(h.authz, d->conf.authorize, sizeof(h.authz));
		helper_main(&h);
	}
	close(sv[1]);
	d->priv_fd = sv[0];
	d->priv_pid = pid;
	return 0;
}

/* ---------------------------------------------------------------- the daemon's side */

static int drop_to(uid_t uid, gid_t gid, uint64_t keep)
{
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || caps_bound(keep) < 0 ||
	    setresuid(uid, uid, uid) < 0 || caps_set(keep) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -1;
	/* Proof, not hope: root cannot come back, only keep is effective. */
	if (setresuid(0, 0, 0) == 0 || caps_effective() != keep) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int priv_drop(struct dmmd *d)
{
	char name[DMMD_USER_MAX], caps[160];
	uint64_t keep = priv_caps_needed(d);
	uid_t uid;
	gid_t gid;

	if (parse_user_ids(d->conf.user, &uid, &gid, name, sizeof(name)) < 0) {
		log_warnx("no user %s to run as", d->conf.user[0] ? d->conf.user
			  : DMMD_USER_DEFAULT " or " DMMD_USER_FALLBACK);
		return -1;
	}
	if (uid == 0) {
		log_info("running as root (user %s)", name);
		return 0;
	}
	if (geteuid() != 0) {
		log_info("not started as root: running as uid %u, nothing to drop",
			 (unsigned)geteuid());
		return 0;
	}
	if (helper_start(d) < 0)
		return -1;
	if (drop_to(uid, gid, keep) < 0) {
		log_warn("cannot drop privileges to user %s", name);
		return -1;
	}
	if (sandbox_seccomp() < 0) {
		log_warn("cannot install the seccomp filter");
		return -1;
	}
	log_info("running as user %s (uid %u), capabilities %s, seccomp filter on", name,
		 (unsigned)uid, caps_str(keep, caps, sizeof(caps)));
	return 0;
}

static int priv_ask(struct dmmd *d, char op, const char *path)
{
	struct priv_req req = { .op = op };

	if (path)
		snprintf(req.path, sizeof(req.path), "%s", path);
	if (d->priv_fd < 0 || io_full(d->priv_fd, &req, sizeof(req), true) < 0) {
		log_warnx("privileged helper is gone");
		return -1;
	}
	return 0;
}

int priv_reload(struct dmmd *d, struct dmmd_conf *nc, parse_err_fn *err, void *ctx)
{
	struct priv_reload_hdr hdr;
	char *text;

	if (priv_ask(d, 'R', NULL) < 0 || io_full(d->priv_fd, &hdr, sizeof(hdr), false) < 0 ||
	    hdr.errlen > PRIV_ERRTEXT_MAX + DMMD_PATH_MAX + 1024 ||
	    !(text = calloc(1, hdr.errlen + 1)))
		return 1;
	if (io_full(d->priv_fd, text, hdr.errlen, false) < 0 ||
	    (hdr.errors == 0 && io_full(d->priv_fd, nc, sizeof(*nc), false) < 0)) {
		free(text);
		return 1;
	}
	for (char *line = text, *nl; *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		err(ctx, line);
	}
	free(text);
	return hdr.errors;
}

/* A file the helper opens for us (op 'E' or 'A'): fd or -errno. */
static int priv_open(struct dmmd *d, char op, const char *path)
{
	int status = EIO, fd;

	if (priv_ask(d, op, path) < 0)
		return -EIO;
	fd = recv_fd(d->priv_fd, &status);
	if (status != 0) {
		if (fd >= 0)
			close(fd);
		return -status;
	}
	return fd >= 0 ? fd : -EIO;
}

int priv_open_evlog(struct dmmd *d, const char *path)
{
	return priv_open(d, 'E', path);
}

int priv_open_authz(struct dmmd *d, const char *path)
{
	return priv_open(d, 'A', path);
}

void priv_unlink_control(struct dmmd *d)
{
	int status = 0, fd;

	if (priv_ask(d, 'U', NULL) < 0)
		return;
	fd = recv_fd(d->priv_fd, &status);
	if (fd >= 0)
		close(fd);
	if (status != 0)
		log_warnx("control socket %s: unlink: %s", d->conf.control, strerror(status));
}

void priv_unlink_pidfile(struct dmmd *d)
{
	int status = 0, fd;

	if (priv_ask(d, 'P', NULL) < 0)
		return;
	fd = recv_fd(d->priv_fd, &status);
	if (fd >= 0)
		close(fd);
}

void priv_close(struct dmmd *d)
{
	if (d->priv_fd >= 0)
		close(d->priv_fd);
	d->priv_fd = -1;
}
