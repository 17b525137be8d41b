/* dmmd: the control socket (dmmctl(8)). A unix stream socket, mode 0600;
 * one request line per connection, answered with "ok" or "error: why" on
 * the first line, then the body, then the connection is closed. Clients
 * are served non-blocking from the main loop, each with its own buffers and
 * deadlines: none can stall signalling.
 *
 * Request: [json] show mns [MNID] | cache [PREFIX] | bindings [MNID|PREFIX]
 *                | leases [MNID|PREFIX] | handovers [MNID] | counters
 *                | peers [ADDRESS] | config
 *          [json] attach LINK MNID | detach LINK | clear counters | version
 *          [json] monitor    (the connection stays: one line per event)
 * The daemon renders both the text (iproute2-like: one entry per line,
 * keyword value pairs) and the JSON forms (jansson; the schema is
 * docs/dmmctl.schema.json), so dmmctl stays a thin pipe. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dmmd.h"
#include "log.h"
#include "roles.h"
#include "stream.h"

#define CTL_MAX_ARGS 8
/* Each client gets a bounded share of the daemon: the whole request line
 * within CTL_READ_MS of its connect (dmmctl writes it at once), the whole
 * answer within CTL_WRITE_MS, however it trickles bytes. */
#define CTL_READ_MS 500
#define CTL_WRITE_MS 2000
/* A monitor with events queued must take some within CTL_MON_STALL_MS (a
 * stopped one is closed); until then, events that do not fit its
 * DMMD_MON_BUF are dropped and counted, never waited for. */
#define CTL_MON_STALL_MS 3000
/* The kernel's share of a monitor's backlog (SO_SNDBUF, doubled by Linux). */
#define CTL_MON_SNDBUF 8192

/* ---------------------------------------------------------------- socket */

static int ctl_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		log_warnx("control socket path %s is too long", path);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* Refuse to steal the socket of a running dmmd; remove a stale one, but
 * nothing else: a file or a symbolic link in its place stays, and bind
 * fails on it (bind never follows a link). */
static int ctl_clear_stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (lstat(sa->sun_path, &st) < 0 && errno == ENOENT)
		rc = 0;
	else if (!S_ISSOCK(st.st_mode))
		log_warnx("control socket %s: something else is there (not a socket); "
			  "remove it or choose another path", sa->sun_path);
	else if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		log_warnx("control socket %s: another dmmd is listening there", sa->sun_path);
	else if (unlink(sa->sun_path) == 0 || errno == ENOENT)
		rc = 0;
	else
		log_warn("control socket %s: unlink", sa->sun_path);
	close(fd);
	return rc;
}

static void ctl_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return; /* ctl_addr refused it already */
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_warn("mkdir %s", dir);
}

int control_open(struct dmmd *d)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	d->ctl_fd = -1;
	if (ctl_addr(d->conf.control, &sa) < 0)
		return -1;
	ctl_mkdir_parent(d->conf.control);
	if (ctl_clear_stale(&sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("control socket");
		return -1;
	}
	/* Mode 0600 from the umask at creation: never a chmod of the path,
	 * which would follow a symbolic link put there after the bind. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		log_warn("control socket %s: bind", d->conf.control);
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, 16) < 0) {
		log_warn("control socket %s", d->conf.control);
		close(fd);
		unlink(d->conf.control);
		return -1;
	}
	d->ctl_fd = fd;
	return 0;
}

static void ctl_drop(struct dmmd_ctl_client *c);
static void ctl_handle(struct dmmd *d, const char *line, struct buf *out,
		       struct dmmd_ctl_client *c);

void control_close(struct dmmd *d)
{
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		if (d->ctl[i].used)
			ctl_drop(&d->ctl[i]);
	if (d->ctl_fd < 0)
		return;
	close(d->ctl_fd);
	unlink(d->conf.control);
	d->ctl_fd = -1;
}

static int64_t ctl_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- clients
 *
 * Each client is served by the main loop like any other fd, never waited
 * for: its request line is gathered as it comes (its whole line within
 * CTL_READ_MS of the connect), the answer rendered at once into its own
 * buffer and written as the client reads it (all of it within
 * CTL_WRITE_MS), then the connection is closed. A client past its deadline
 * is closed. At most DMMD_CTL_CLIENTS at a time; one more gets an error. */

static void ctl_drop(struct dmmd_ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->out);
	*c = (struct dmmd_ctl_client){ .fd = -1 };
}

/* The line is complete (or cannot be): render the answer, start writing. */
static void ctl_answer(struct dmmd *d, struct dmmd_ctl_client *c, bool too_long)
{
	c->in[c->in_len] = '\0';
	if (c->in_len > 0 && c->in[c->in_len - 1] == '\r')
		c->in[--c->in_len] = '\0';
	if (too_long) {
		buf_printf(&c->out, "error: request longer than %d bytes\n", CTL_LINE_MAX - 1);
	} else if (c->in_len > 0) {
		d->st.ctl_requests++;
		log_ratelimited(LOG_DEBUG, "control: %s", c->in);
		ctl_handle(d, c->in, &c->out, c);
	}
	if (c->out.oom) {
		buf_free(&c->out);
		buf_printf(&c->out, "error: out of memory\n");
		c->monitor = false;
	}
	c->writing = true;
	c->deadline = ctl_clock_ms() + CTL_WRITE_MS;
	if (c->monitor) {
		int sz = CTL_MON_SNDBUF;
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		c->in_len = 0;
		return; /* reading on: its end of stream says it is gone */
	}
	shutdown(c->fd, SHUT_RD);
}

static bool ctl_line_end(const char *in, size_t len)
{
	return memchr(in, '\n', len) != NULL;
}

/* Read what the client sent; answer once the line ends (newline, or end of
 * stream). Returns false if the client is done with (closed). */
static bool ctl_read(struct dmmd *d, struct dmmd_ctl_client *c)
{
	switch (stream_read(c->fd, c->in, &c->in_len, sizeof(c->in), ctl_line_end)) {
	case STREAM_AGAIN:
		return true;
	case STREAM_DONE:
		c->in_len = (size_t)((char *)memchr(c->in, '\n', c->in_len) - c->in);
		ctl_answer(d, c, false);
		return true;
	case STREAM_FULL:
		ctl_answer(d, c, true);
		return true;
	case STREAM_EOF:
		if (c->in_len > 0) { /* the line without its newline */
			ctl_answer(d, c, false);
			return true;
		}
		break;
	case STREAM_ERROR:
		break;
	}
	ctl_drop(c); /* gone, or nothing said */
	return false;
}

/* Write what the client takes now; close when all is written (a monitor:
 * wait for more). A monitor's deadline moves with each write that makes
 * progress. */
static void ctl_write(struct dmmd_ctl_client *c)
{
	size_t was = c->out_off;
	int rc = buf_send(c->fd, &c->out, &c->out_off);

	if (c->monitor && c->out_off > was)
		c->deadline = ctl_clock_ms() + CTL_MON_STALL_MS;
	if (rc == 0)
		return;
	if (rc > 0 && c->monitor && !c->out.oom) {
		c->out.len = c->out_off = 0; /* all taken: nothing to wait for */
		c->deadline = INT64_MAX;
		return;
	}
	ctl_drop(c);
}

/* A monitor has nothing more to say: readable means it closed, or sent
 * what it should not (closed too: no client can keep the loop reading). */
static void ctl_monitor_read(struct dmmd_ctl_client *c)
{
	char junk[64];
	ssize_t r;

	while ((r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (r > 0)
		log_ratelimited(LOG_DEBUG, "control: a monitor sent more than its request, closed");
	ctl_drop(c);
}

static void ctl_serve(struct dmmd *d, struct dmmd_ctl_client *c, short revents)
{
	if (c->monitor) {
		if (revents & (POLLIN | POLLHUP | POLLERR))
			ctl_monitor_read(c);
		if (c->used && c->out_off < c->out.len)
			ctl_write(c);
		return;
	}
	if (!c->writing && !ctl_read(d, c))
		return;
	if (c->writing)
		ctl_write(c);
}

static struct dmmd_ctl_client *ctl_free_slot(struct dmmd *d)
{
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		if (!d->ctl[i].used)
			return &d->ctl[i];
	return NULL;
}

/* stream_accept's take: a free slot, its read deadline; served at once,
 * the line is often there already. */
static bool ctl_take(void *ctx, int fd)
{
	struct dmmd *d = ctx;
	struct dmmd_ctl_client *c = ctl_free_slot(d);

	if (!c)
		return false;
	*c = (struct dmmd_ctl_client){ .used = true, .fd = fd,
				       .deadline = ctl_clock_ms() + CTL_READ_MS };
	ctl_serve(d, c, POLLIN);
	return true;
}

void control_accept(struct dmmd *d)
{
	static const char busy[] = "error: too many control clients, try again\n";

	stream_accept(d->ctl_fd, DMMD_CTL_CLIENTS, "control", busy, sizeof(busy) - 1,
		      &d->st.ctl_refused, ctl_take, d);
}

int control_pollfds(struct dmmd *d, struct pollfd *fds, int max)
{
	int n = 0;

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS && n < max; i++) {
		struct dmmd_ctl_client *c = &d->ctl[i];
		if (!c->used)
			continue;
		short ev = c->writing ? POLLOUT : POLLIN;
		if (c->monitor) /* its end of stream; and room, if it has a backlog */
			ev = POLLIN | (c->out_off < c->out.len ? POLLOUT : 0);
		fds[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
	}
	return n;
}

void control_dispatch(struct dmmd *d, const struct pollfd *fds, int n)
{
	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
			if (d->ctl[i].used && d->ctl[i].fd == fds[k].fd) {
				ctl_serve(d, &d->ctl[i], fds[k].revents);
				break;
			}
	}
}

int64_t control_next_deadline(const struct dmmd *d)
{
	int64_t t = INT64_MAX;

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		if (d->ctl[i].used && d->ctl[i].deadline < t)
			t = d->ctl[i].deadline;
	return t;
}

/* Close the clients past their deadline: a silent one, one in mid-line,
 * one that does not read its answer (cut). */
void control_timer(struct dmmd *d)
{
	int64_t now = ctl_clock_ms();

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++) {
		struct dmmd_ctl_client *c = &d->ctl[i];
		if (!c->used || c->deadline > now)
			continue;
		d->st.ctl_timeouts++;
		if (c->monitor)
			d->st.mon_closed++;
		log_ratelimited(LOG_DEBUG, "control: client %s, closed", c->monitor
				? "monitor does not read its events" : c->writing
				? "does not read its answer" : "sent no complete request in time");
		ctl_drop(c);
	}
}

/* ---------------------------------------------------------------- rendering
 *
 * One walk over each table renders either form: JSON entries are jansson
 * objects collected in an array (or one object), text entries are lines of
 * "key value" pairs. The JSON keeps one schema across commands
 * (docs/dmmctl.schema.json, dmmctl(8)): every key always present, null
 * for none, lists as arrays, durations as integers in keys ending _ms or
 * _s, times of day as RFC 3339 strings (dmmd_timestamp) in keys ending
 * _time. Text leaves out what JSON says null. */

#define VIEW_MAX_TUN (DP_MAX_PEERS + 1)

/* What the argument after the table name selects. */
struct filter {
	bool mnid_set, prefix_set, addr_set;
	struct dmm_mnid mnid;
	struct dmm_prefix prefix;
	struct in6_addr addr;
	unsigned matched;
};

struct view {
	struct dmmd *d;
	struct buf *b;
	bool json;
	bool oom;
	json_t *list; /* JSON: the array of entries */
	json_t *obj;  /* JSON: the entry being filled */
	bool kfirst;  /* text: no pair on this line yet */
	struct filter f;
	unsigned n_tun; /* show peers: the data plane's tunnel counters */
	struct dp_peer_stats tun[VIEW_MAX_TUN];
};


static void v_setj(struct view *v, json_t *o, const char *key, json_t *val)
{
	if (json_object_set_new(o, key, val) < 0) /* decrefs val */
		v->oom = true;
}

static void v_entry(struct view *v)
{
	v->kfirst = true;
	if (v->json && !(v->obj = json_object()))
		v->oom = true;
}

static void v_end(struct view *v)
{
	if (!v->json) {
		buf_put(v->b, "\n", 1);
		return;
	}
	if (json_array_append_new(v->list, v->obj) < 0)
		v->oom = true;
	v->obj = NULL;
}

/* One text pair: "key value", or just "value" for the lead of a line. */
static void v_text(struct view *v, const char *key, const char *val, bool lead)
{
	if (!v->kfirst)
		buf_put(v->b, " ", 1);
	v->kfirst = false;
	if (lead)
		buf_printf(v->b, "%s", val);
	else
		buf_printf(v->b, "%s %s", key, val);
}

/* A string, NULL for none (JSON null; nothing in text). */
static void v_str(struct view *v, const char *key, const char *val, bool lead)
{
	if (v->json)
		v_setj(v, v->obj, key, val ? json_text(val) : json_null());
	else if (val)
		v_text(v, key, val, lead);
}

static void v_u64(struct view *v, const char *key, uint64_t val)
{
	char s[24];

	if (v->json) {
		v_setj(v, v->obj, key, json_integer((json_int_t)val));
		return;
	}
	snprintf(s, sizeof(s), "%llu", (unsigned long long)val);
	v_text(v, key, s, false);
}

/* A number or none (JSON null; nothing in text). */
static void v_opt_u64(struct view *v, const char *key, bool set, uint64_t val)
{
	if (set)
		v_u64(v, key, val);
	else if (v->json)
		v_setj(v, v->obj, key, json_null());
}

/* JSON true/false; text: the key alone when true. */
static void v_bool(struct view *v, const char *key, bool val)
{
	if (v->json) {
		v_setj(v, v->obj, key, json_boolean(val));
	} else if (val) {
		if (!v->kfirst)
			buf_put(v->b, " ", 1);
		v->kfirst = false;
		buf_printf(v->b, "%s", key);
	}
}

static bool addr_unset(const struct in6_addr *a)
{
	return IN6_IS_ADDR_UNSPECIFIED(a);
}

/* An address; :: is none when none_if_any. */
static void v_addr(struct view *v, const char *key, const struct in6_addr *a, bool none_if_any)
{
	char s[INET6_ADDRSTRLEN];

	v_str(v, key, none_if_any && addr_unset(a) ? NULL : inet_ntop(AF_INET6, a, s, sizeof(s)),
	      false);
}

static void v_prefix(struct view *v, const char *key, const struct dmm_prefix *p, bool lead)
{
	char s[DMM_PREFIX_STRLEN];

	v_str(v, key, dmm_prefix_str(p, s, sizeof(s)), lead);
}

/* A list of strings: a JSON array, text "key a,b" (nothing if empty). */
static void v_strs(struct view *v, const char *key, const char *const *vals, unsigned n)
{
	if (v->json) {
		json_t *a = json_array();
		for (unsigned i = 0; i < n; i++)
			if (json_array_append_new(a, json_text(vals[i])) < 0)
				v->oom = true;
		v_setj(v, v->obj, key, a);
		return;
	}
	if (!n)
		return;
	struct buf t = { 0 };
	for (unsigned i = 0; i < n; i++)
		buf_printf(&t, "%s%s", i ? "," : "", vals[i]);
	v_text(v, key, t.p ? t.p : "", false);
	v->oom |= t.oom;
	buf_free(&t);
}

/* Time left until t: JSON "<key>_ms" (null for never), text "key 12.3s". */
static void v_left(struct view *v, const char *key, dmm_time_t t)
{
	char k[32], s[32];
	uint64_t left = t == DMM_TIME_NEVER ? 0 : t > v->d->now ? t - v->d->now : 0;

	if (v->json) {
		snprintf(k, sizeof(k), "%s_ms", key);
		v_opt_u64(v, k, t != DMM_TIME_NEVER, left);
		return;
	}
	if (t == DMM_TIME_NEVER)
		snprintf(s, sizeof(s), "never");
	else
		snprintf(s, sizeof(s), "%llu.%llus", (unsigned long long)(left / 1000),
			 (unsigned long long)(left % 1000 / 100));
	v_text(v, key, s, false);
}

/* JSON: link (ifindex) and ifname (null once the interface is gone);
 * text: link NAME, or #INDEX. */
static void v_link(struct view *v, uint32_t link)
{
	char name[IF_NAMESIZE], num[16];
	bool named = link && if_indextoname(link, name) != NULL;

	if (v->json) {
		v_u64(v, "link", link);
		v_str(v, "ifname", named ? name : NULL, false);
		return;
	}
	snprintf(num, sizeof(num), "#%u", link);
	v_text(v, "link", named ? name : num, false);
}

static void v_mnid(struct view *v, const struct dmm_mnid *m, bool lead)
{
	char s[DMM_MNID_STRLEN];

	v_str(v, "mnid", m->len ? dmm_mnid_str(m, s, sizeof(s)) : NULL, lead);
}

/* ---------------------------------------------------------------- filters */

static bool mnid_eq(const struct dmm_mnid *a, const struct dmm_mnid *b)
{
	return a->type == b->type && a->len == b->len && !memcmp(a->id, b->id, a->len);
}

/* Containment either way: the filter's prefix holds the entry's, or the
 * entry's holds the filter's (an address, or a longer prefix). */
static bool prefix_overlap(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len <= b->len ? dmm_prefix_contains(a, &b->addr)
				: dmm_prefix_contains(b, &a->addr);
}

/* PREFIX, or an ADDRESS as a /128. */
static bool parse_prefix(const char *s, struct dmm_prefix *p)
{
	if (strchr(s, '/'))
		return dmm_prefix_parse(s, p) == 0;
	if (inet_pton(AF_INET6, s, &p->addr) != 1)
		return false;
	p->len = 128;
	return true;
}

/* What a filter argument may be, per table. */
enum { F_MNID = 1, F_PREFIX = 2, F_ADDR = 4 };

static bool filter_parse(struct filter *f, const char *s, unsigned kinds, struct buf *out)
{
	*f = (struct filter){ 0 };
	if (!s)
		return true;
	if ((kinds & F_ADDR) && inet_pton(AF_INET6, s, &f->addr) == 1)
		return (f->addr_set = true);
	if ((kinds & F_PREFIX) && parse_prefix(s, &f->prefix))
		return (f->prefix_set = true);
	if ((kinds & F_MNID) && dmm_mnid_parse(s, &f->mnid) == 0)
		return (f->mnid_set = true);
	buf_printf(out, "error: '%s' is not %s\n", s,
		   kinds == F_ADDR ? "an IPv6 address" :
		   kinds == F_MNID ? "an MN identifier" :
		   kinds == F_PREFIX ? "an IPv6 prefix or address" :
		   "an MN identifier, an IPv6 prefix or an address");
	return false;
}

/* Does an entry with this MN id and these prefixes pass the filter? */
static bool filter_pass(struct view *v, const struct dmm_mnid *m,
			const struct dmm_prefix *p, unsigned n_p)
{
	const struct filter *f = &v->f;
	bool ok = true;

	if (f->mnid_set)
		ok = m && mnid_eq(m, &f->mnid);
	if (f->prefix_set) {
		ok = false;
		for (unsigned i = 0; i < n_p && !ok; i++)
			ok = prefix_overlap(&p[i], &f->prefix);
	}
	if (ok)
		v->f.matched++;
	return ok;
}

/* ---------------------------------------------------------------- show views */

static void cb_mn(void *ctx, const struct dmm_mn_view *m)
{
	struct view *v = ctx;
	unsigned n = m->n_hnp < DMM_MAX_HNP ? m->n_hnp : DMM_MAX_HNP;

	if (!filter_pass(v, &m->mnid, m->hnp, n))
		return;
	v_entry(v);
	v_mnid(v, &m->mnid, true);
	v_link(v, m->link);
	v_str(v, "state", dmm_mn_state_name(m->state), false);
	json_t *pl = v->json ? json_array() : NULL, *keep = v->obj;
	for (unsigned i = 0; i < n; i++) {
		if (v->json && !(v->obj = json_object()))
			v->oom = true;
		v_prefix(v, "prefix", &m->hnp[i], false);
		v_addr(v, "home", &m->home[i], false);
		v_bool(v, "deprecated", m->deprecated[i]);
		if (m->phl[i].len)
			v_prefix(v, "locator", &m->phl[i], false);
		else
			v_str(v, "locator", NULL, false);
		if (v->json && json_array_append_new(pl, v->obj) < 0)
			v->oom = true;
	}
	v->obj = keep;
	if (v->json)
		v_setj(v, v->obj, "prefixes", pl);
	uint64_t age = v->d->now > m->since ? v->d->now - m->since : 0;
	if (v->json)
		v_u64(v, "age_ms", age);
	else
		v_u64(v, "age_s", age / 1000);
	v_end(v);
}

static void cb_cache(void *ctx, const struct dmm_cache_view *c)
{
	struct view *v = ctx;

	if (!filter_pass(v, NULL, &c->prefix, 1))
		return;
	v_entry(v);
	v_prefix(v, "prefix", &c->prefix, true);
	if (c->src.len > 0)
		v_prefix(v, "from", &c->src, false);
	else
		v_str(v, "from", NULL, false);
	v_str(v, "state", dmm_cache_state_name(c->state), false);
	if (c->state == DMM_CACHE_TUNNEL)
		v_addr(v, "locator", &c->locator, false);
	else
		v_str(v, "locator", NULL, false);
	if (c->state == DMM_CACHE_TUNNEL && c->phl.len)
		v_prefix(v, "phl", &c->phl, false);
	else
		v_str(v, "phl", NULL, false);
	v_left(v, "expires", c->expires);
	v_end(v);
}

static void cb_ho(void *ctx, const struct dmm_ho_view *h)
{
	struct view *v = ctx;
	char s[DMM_MAX_HNP][DMM_PREFIX_STRLEN];
	const char *p[DMM_MAX_HNP];
	unsigned n = h->n_hnp < DMM_MAX_HNP ? h->n_hnp : DMM_MAX_HNP;

	if (!filter_pass(v, &h->mnid, h->hnp, n))
		return;
	v_entry(v);
	v_mnid(v, &h->mnid, true);
	v_str(v, "state", dmm_ho_state_name(h->state), false);
	v_addr(v, "nmr", &h->nmr, true);
	for (unsigned i = 0; i < n; i++)
		p[i] = dmm_prefix_str(&h->hnp[i], s[i], sizeof(s[i]));
	v_strs(v, "prefixes", p, n);
	v_left(v, "expires", h->expires);
	v_end(v);
}

static void cb_binding(void *ctx, const struct dmm_binding_view *bv)
{
	struct view *v = ctx;

	if (!filter_pass(v, bv->mnid.len ? &bv->mnid : NULL, &bv->prefix, 1))
		return;
	v_entry(v);
	v_prefix(v, "prefix", &bv->prefix, true);
	v_mnid(v, &bv->mnid, false);
	v_addr(v, "location", &bv->location, false);
	v_addr(v, "home", &bv->home, false);
	if (bv->phl.len)
		v_prefix(v, "phl", &bv->phl, false);
	else
		v_str(v, "phl", NULL, false);
	v_bool(v, "fixed", bv->fixed);
	v_u64(v, "seq", bv->seq);
	v_u64(v, "subscribers", bv->n_subscribers);
	v_left(v, "expires", bv->expires);
	v_end(v);
}

static void cb_lease(void *ctx, const struct dmm_lease_view *l)
{
	struct view *v = ctx;

	if (!filter_pass(v, &l->mnid, &l->prefix, 1))
		return;
	v_entry(v);
	v_prefix(v, "prefix", &l->prefix, true);
	v_mnid(v, &l->mnid, false);
	v_addr(v, "mr", &l->mr, false);
	v_left(v, "expires", l->expires);
	v_end(v);
}

/* ---------------------------------------------------------------- counters */

struct ctr {
	const char *name;
	uint64_t val;
	bool gauge; /* a level, not a count: clear counters leaves it */
};

/* Every counter show counters has, in its order: the core's, the
 * daemon's, the data plane's (if any). Returns how many. */
static unsigned counters_collect(struct dmmd *d, struct ctr *c)
{
	const struct dmmd_stats *s = &d->st;
	struct dp_stats ds;
	unsigned n = 0;

#define ONE(nm, v) (c[n++] = (struct ctr){ nm, (v), false })
	for (int i = 0; i < DMM_C_COUNT; i++)
		ONE(dmm_counter_name((enum dmm_counter)i),
		    dmm_node_counter(d->node, (enum dmm_counter)i));
	ONE("sock_send_errors", s->send_errors);
	ONE("sock_recv_errors", s->recv_errors);
	ONE("ctl_requests", s->ctl_requests);
	ONE("ctl_refused", s->ctl_refused);
	ONE("ctl_timeouts", s->ctl_timeouts);
	ONE("events_logged", s->ev_written);
	ONE("store_writes", s->store_writes);
	ONE("store_errors", s->store_errors);
	ONE("store_restored", s->store_restored);
	{
		enum rstore_state st;
		uint64_t inflight;
		unsigned held;
		const struct rstore_stats *rs = rstore_stats(d, &st, &inflight, &held);
		if (rs) {
			ONE("redis_up", st == RSTORE_UP);
			c[n - 1].gauge = true;
			ONE("redis_connects", rs->connects);
			ONE("redis_writes", rs->writes);
			ONE("redis_applied", rs->applied);
			ONE("redis_held", rs->held);
			ONE("redis_held_dropped", rs->held_dropped);
			ONE("redis_unacked_dropped", rs->unacked_dropped);
		}
	}
	ONE("monitor_events", s->mon_events);
	ONE("monitor_dropped", s->mon_dropped);
	ONE("monitor_closed", s->mon_closed);
	ONE("monitors", 0);
	c[n - 1].gauge = true;
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		c[n - 1].val += d->ctl[i].used && d->ctl[i].monitor;
	{
		struct dmm_node_usage u;
		dmm_node_usage(d->node, &u);
		ONE("requests_in_flight", u.pending);
		c[n - 1].gauge = true;
	}
	if (dmmd_dp_stats(d, &ds))
		for (const struct dmmd_dp_counter *k = dmmd_dp_counters;
		     k < dmmd_dp_counters + dmmd_n_dp_counters; k++) {
			ONE(k->ctl, dmmd_dp_counter(&ds, k));
			c[n - 1].gauge = k->gauge;
		}
#undef ONE
	return n;
}

static void reset_time(const struct dmmd *d, char *s, size_t len)
{
	if (d->ctr_reset.tv_sec)
		dmmd_timestamp(s, len, &d->ctr_reset);
	else
		snprintf(s, len, "never");
}

/* One object (JSON) or one "name value" line each (text), less what they
 * were at the last clear counters; then when that was (null: never). */
static void show_counters(struct view *v)
{
	struct dmmd *d = v->d;
	struct ctr c[DMMD_MAX_COUNTERS];
	unsigned n = counters_collect(d, c);
	char t[40];

	if (v->json)
		v->obj = json_object();
	for (unsigned i = 0; i < n; i++) {
		uint64_t val = c[i].val;
		if (!c[i].gauge && i < d->n_ctr_base && val >= d->ctr_base[i])
			val -= d->ctr_base[i];
		if (v->json)
			v_setj(v, v->obj, c[i].name, json_integer((json_int_t)val));
		else
			buf_printf(v->b, "%-22s %llu\n", c[i].name, (unsigned long long)val);
	}
	reset_time(d, t, sizeof(t));
	if (v->json)
		v_setj(v, v->obj, "counters_reset_time",
		       d->ctr_reset.tv_sec ? json_text(t) : json_null());
	else
		buf_printf(v->b, "%-22s %s\n", "counters_reset_time", t);
}

static void clear_counters(struct view *v)
{
	struct dmmd *d = v->d;
	struct ctr c[DMMD_MAX_COUNTERS];
	char t[40];

	d->n_ctr_base = counters_collect(d, c);
	for (unsigned i = 0; i < d->n_ctr_base; i++)
		d->ctr_base[i] = c[i].val;
	clock_gettime(CLOCK_REALTIME, &d->ctr_reset);
	if (!d->ctr_reset.tv_sec)
		d->ctr_reset.tv_sec = 1;
	reset_time(d, t, sizeof(t));
	log_ratelimited(LOG_INFO, "control: counters cleared");
	if (v->json) {
		v->obj = json_pack("{s:s, s:s}", "result", "ok", "counters_reset_time", t);
		if (!v->obj)
			v->oom = true;
	} else {
		buf_printf(v->b, "counters cleared at %s\n", t);
	}
}

/* ---------------------------------------------------------------- peers */

/* The data plane's tunnel counters of a peer (tun_* fields; null without). */
static void show_peer_tunnel(struct view *v, const struct dp_peer_stats *t)
{
	v_opt_u64(v, "tun_rx_packets", t, t ? t->rx_packets : 0);
	v_opt_u64(v, "tun_rx_bytes", t, t ? t->rx_bytes : 0);
	v_opt_u64(v, "tun_tx_packets", t, t ? t->tx_packets : 0);
	v_opt_u64(v, "tun_tx_bytes", t, t ? t->tx_bytes : 0);
}

static void show_peer(struct view *v, const struct dmmd_peer_row *row)
{
	static const char *via[] = { NULL, "raw", "udp", "both" };
	const struct in6_addr *a = &row->addr;
	const struct dmmd_peer *p = row->sig;
	char addr[INET6_ADDRSTRLEN], r[PEER_ROLES_MAX][PEER_ROLE_LEN];
	const char *rp[PEER_ROLES_MAX];
	unsigned n;

	if (v->f.addr_set && memcmp(&v->f.addr, a, sizeof(*a)))
		return;
	v->f.matched++;
	n = peers_roles(&v->d->conf.core, a, r, PEER_ROLES_MAX);
	for (unsigned i = 0; i < n; i++)
		rp[i] = r[i];
	v_entry(v);
	v_str(v, "address", inet_ntop(AF_INET6, a, addr, sizeof(addr)), true);
	if (v->json)
		v_strs(v, "roles", rp, n);
	else /* text: "role lm:ln1,haa:ln1", "role -" for none */
		v_strs(v, "role", n ? rp : (const char *const[]){ "-" }, n ? n : 1);
	v_u64(v, "rx", p ? p->rx : 0);
	v_u64(v, "rx_dropped", p ? p->rx_dropped : 0);
	v_u64(v, "tx", p ? p->tx : 0);
	v_str(v, "via", via[p ? p->via & 3 : 0], false);
	v_opt_u64(v, "last_rx_ago_ms", p && p->last_rx, p && p->last_rx ? v->d->now - p->last_rx : 0);
	show_peer_tunnel(v, row->tun);
	/* one of several LMs/HAAs of a network: passed over for this long
	 * after it timed out (0: picked), requests moved away from it */
	{
		dmm_time_t until = 0;
		uint32_t fo = 0;
		bool h = dmm_node_peer_health(v->d->node, a, &until, &fo) == 0;
		v_opt_u64(v, "down_ms", h, h && until > v->d->now ? until - v->d->now : 0);
		v_opt_u64(v, "failovers", h, fo);
	}
	v_end(v);
}

/* Every peer of peers_list() (among the tunnel end points, :: stands for
 * the sources a driver does not tell apart). */
static void show_peers(struct view *v)
{
	struct dmmd_peer_row *rows = calloc(PEERS_MAX, sizeof(*rows));
	unsigned n;

	if (!rows) {
		v->oom = true;
		return;
	}
	v->n_tun = (unsigned)dmmd_dp_peers(v->d, v->tun, VIEW_MAX_TUN);
	if (v->n_tun > VIEW_MAX_TUN)
		v->n_tun = VIEW_MAX_TUN;
	n = peers_list(v->d, v->tun, v->n_tun, rows, PEERS_MAX);
	for (unsigned i = 0; i < n; i++)
		show_peer(v, &rows[i]);
	free(rows);
}

/* ---------------------------------------------------------------- config */

static json_t *j_addr(const struct in6_addr *a, bool none_if_any)
{
	char s[INET6_ADDRSTRLEN];

	if (none_if_any && addr_unset(a))
		return json_null();
	return json_string(inet_ntop(AF_INET6, a, s, sizeof(s)));
}

static json_t *j_prefix(const struct dmm_prefix *p)
{
	char s[DMM_PREFIX_STRLEN];

	return json_string(dmm_prefix_str(p, s, sizeof(s)));
}

static json_t *j_roles(unsigned roles)
{
	json_t *a = json_array();

	if (roles & DMM_ROLE_MR)
		json_array_append_new(a, json_string("mr"));
	if (roles & DMM_ROLE_LM)
		json_array_append_new(a, json_string("lm"));
	if (roles & DMM_ROLE_HAA)
		json_array_append_new(a, json_string("haa"));
	return a;
}

/* The last reload, if it failed, as comment lines after the text; in JSON
 * "reload": null before any, else {"ok", "time", "error" (null if it
 * applied; else its errors, one per line)}. */
static void reload_text(const struct dmmd_reload *r, FILE *f)
{
	char t[40];

	if (!r->tried || r->ok)
		return;
	dmmd_timestamp(t, sizeof(t), &r->time);
	fprintf(f, "# the reload at %s failed; running the configuration above:\n", t);
	for (const char *p = r->error; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(f, "#   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static json_t *reload_json(const struct dmmd_reload *r)
{
	char t[40];

	if (!r->tried)
		return json_null();
	dmmd_timestamp(t, sizeof(t), &r->time);
	return json_pack("{s:b, s:s, s:o}", "ok", r->ok, "time", t,
			 "error", r->ok ? json_null() : json_text(r->error));
}

/* The configuration in use as JSON: the node, the domain map, timers and
 * limits as fields, and the whole of it as dmmd -nv prints it (text). */
static json_t *config_json(struct dmmd *d, const char *text, const char *drv, const char *why)
{
	const struct dmm_config *c = &d->conf.core;
	static const char *const sig[] = { "raw", "raw", "udp", "both" };
	static const char *const ro[] = { "query", "redirect", "none" };
	json_t *o = json_object(), *nets = json_array(), *pools = json_array();
	json_t *fixed = json_array();
	const struct dmm_timers *t = &c->timers;
	const struct dmm_limits *l = &c->limits;

	for (unsigned i = 0; i < c->n_nets; i++) {
		const struct dmm_network *n = &c->nets[i];
		json_t *pf = json_array(), *mrs = json_array(), *lms = json_array();
		json_t *haas = json_array();
		for (unsigned j = 0; j < n->n_prefixes; j++)
			json_array_append_new(pf, j_prefix(&n->prefixes[j]));
		for (unsigned j = 0; j < n->n_mrs; j++)
			json_array_append_new(mrs, j_addr(&n->mrs[j], false));
		for (unsigned j = 1; j < dmm_net_n_lms(n); j++)
			json_array_append_new(lms, j_addr(dmm_net_lm(n, j), false));
		for (unsigned j = 1; j < dmm_net_n_haas(n); j++)
			json_array_append_new(haas, j_addr(dmm_net_haa(n, j), false));
		json_array_append_new(nets, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"name", json_text(n->name), "prefixes", pf,
			"lm", j_addr(&n->lm, true), "haa", j_addr(&n->haa, true), "mrs", mrs,
			"more_lms", lms, "more_haas", haas));
	}
	for (unsigned i = 0; i < c->n_pools; i++) {
		const struct dmm_pool *p = &c->pools[i];
		json_array_append_new(pools, json_pack("{s:o, s:i, s:o, s:s}",
			"range", j_prefix(&p->range), "prefix_length", (int)p->plen,
			"mr", j_addr(&p->mr, false),
			"mode", p->mode == DMM_POOL_STATELESS ? "stateless" : "stateful"));
	}
	for (unsigned i = 0; i < c->n_fixed; i++)
		json_array_append_new(fixed, j_prefix(&c->fixed[i]));
	json_object_set_new(o, "file", d->conf_path ? json_text(d->conf_path) : json_null());
	json_object_set_new(o, "node", json_text(c->name));
	json_object_set_new(o, "address", j_addr(&c->self, false));
	json_object_set_new(o, "roles", j_roles(c->roles));
	json_object_set_new(o, "local_network", c->local_net >= 0 && (unsigned)c->local_net < c->n_nets
			    ? json_text(c->nets[c->local_net].name) : json_null());
	json_object_set_new(o, "networks", nets);
	json_object_set_new(o, "pools", pools);
	json_object_set_new(o, "fixed", fixed);
	json_object_set_new(o, "route_optimization", (c->roles & DMM_ROLE_MR) &&
			    (unsigned)c->ro_mode < 3 ? json_string(ro[c->ro_mode]) : json_null());
	json_object_set_new(o, "routing", !(c->roles & DMM_ROLE_MR) ? json_null() :
			    json_string(c->routing == DMM_ROUTING_LOCATOR ? "locator" : "tunnel"));
	json_object_set_new(o, "locator", (c->roles & DMM_ROLE_MR) && c->locator.len ?
			    j_prefix(&c->locator) : json_null());
	json_object_set_new(o, "signalling", json_string(sig[d->conf.signalling & 3]));
	json_object_set_new(o, "udp_port", json_integer(d->conf.udp_port));
	json_object_set_new(o, "control", json_text(d->conf.control));
	json_object_set_new(o, "event_log", d->conf.event_log[0] ? json_text(d->conf.event_log)
								  : json_null());
	json_object_set_new(o, "dataplane", drv ? json_text(drv) : json_null());
	json_object_set_new(o, "dataplane_why", drv && why ? json_text(why) : json_null());
	json_object_set_new(o, "timers", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"retransmit_initial_ms", (json_int_t)t->retrans_initial_ms,
		"retransmit_max_ms", (json_int_t)t->retrans_max_ms,
		"retransmit_count", (json_int_t)t->retrans_count,
		"timestamp_window_ms", (json_int_t)t->ts_window_ms,
		"lease_lifetime_s", (json_int_t)t->lease_lifetime_s,
		"binding_lifetime_s", (json_int_t)t->binding_lifetime_s,
		"cache_lifetime_s", (json_int_t)t->cache_lifetime_s,
		"handover_context_ms", (json_int_t)t->handover_ctx_ms,
		"hold_ms", (json_int_t)t->hold_ms,
		"deprecated_keep_s", (json_int_t)t->deprecated_keep_s,
		"ra_lifetime_s", (json_int_t)t->ra_lifetime_s));
	json_object_set_new(o, "limits", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"mns", (json_int_t)l->max_mns, "cache", (json_int_t)l->max_cache,
		"handovers", (json_int_t)l->max_handovers, "pending", (json_int_t)l->max_pending,
		"bindings", (json_int_t)l->max_bindings,
		"subscribers", (json_int_t)l->max_subscribers,
		"leases", (json_int_t)l->max_leases, "peers", (json_int_t)l->max_peers,
		"reply_cache", (json_int_t)l->reply_cache,
		"attach_burst", (json_int_t)l->attach_burst,
		"attach_interval_ms", (json_int_t)l->attach_interval_ms));
	json_object_set_new(o, "reload", reload_json(&d->reload));
	json_object_set_new(o, "text", json_text(text));
	return o;
}

static void show_config(struct view *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		v->oom = true;
		return;
	}
	const char *why = NULL, *drv = dmmd_dp_driver(v->d, &why);

	parse_conf_print(f, &v->d->conf);
	if (drv)
		fprintf(f, "# data plane in use: %s (%s)\n", drv, why);
	reload_text(&v->d->reload, f);
	fclose(f);
	if (!text)
		v->oom = true;
	else if (v->json)
		v->oom |= !(v->obj = config_json(v->d, text, drv, why));
	else
		buf_put(v->b, text, len);
	free(text);
}

/* show store: the LM's binding store, and how its connection is. One
 * object (JSON) or one line (text): "store redis address ... state up ...". */
static void show_store(struct view *v)
{
	const struct dmmd_conf *c = &v->d->conf;
	enum rstore_state st = RSTORE_DOWN;
	uint64_t inflight = 0;
	unsigned held = 0;
	const struct rstore_stats *rs = rstore_stats(v->d, &st, &inflight, &held);
	char a[INET6_ADDRSTRLEN + 10], t[40];
	struct timespec ts;
	bool r = rs != NULL;

	v_entry(v);
	v_str(v, "store", r ? "redis" : "embedded", false);
	v_str(v, "address", r ? parse_redis_str(c, rs->addr_index, a, sizeof(a)) : NULL, false);
	if (v->json) {
		json_t *l = r ? json_array() : json_null();
		for (unsigned i = 0; r && l && i < c->n_redis; i++)
			if (json_array_append_new(l, json_text(parse_redis_str(c, i, a, sizeof(a)))) < 0)
				v->oom = true;
		if (!l)
			v->oom = true;
		else
			v_setj(v, v->obj, "addresses", l);
	}
	v_str(v, "namespace", r ? c->redis_ns : NULL, false);
	v_opt_u64(v, "replicas", r, c->redis_replicas);
	v_opt_u64(v, "timeout_ms", r, c->redis_timeout_ms);
	v_str(v, "state", r ? rstore_state_name(st) : NULL, false);
	if (v->json || r)
		v_bool(v, "subscribed", r && rs->subscribed);
	v_opt_u64(v, "writes_in_flight", r, inflight);
	v_opt_u64(v, "replies_held", r, held);
	v_opt_u64(v, "connects", r, r ? rs->connects : 0);
	v_opt_u64(v, "writes", r, r ? rs->writes : 0);
	v_opt_u64(v, "superseded", r, r ? rs->superseded : 0);
	v_opt_u64(v, "applied", r, r ? rs->applied : 0);
	v_opt_u64(v, "held", r, r ? rs->held : 0);
	v_opt_u64(v, "held_dropped", r, r ? rs->held_dropped : 0);
	v_opt_u64(v, "wait_short", r, r ? rs->wait_short : 0);
	v_opt_u64(v, "unacked_dropped", r, r ? rs->unacked_dropped : 0);
	v_opt_u64(v, "not_written", r, r ? rs->not_written : 0);
	v_opt_u64(v, "sync_bindings", r, r ? rs->synced : 0);
	v_opt_u64(v, "sync_removed", r, r ? rs->swept : 0);
	v_opt_u64(v, "sync_ms", r, r ? rs->sync_ms : 0);
	v_opt_u64(v, "refused", r, dmm_node_counter(v->d->node, DMM_C_LM_STORE_REFUSED));
	v_str(v, "last_error", r && rs->last_error[0] ? rs->last_error : NULL, false);
	if (r && rs->last_error_wall) {
		ts.tv_sec = rs->last_error_wall / 1000;
		ts.tv_nsec = (long)(rs->last_error_wall % 1000) * 1000000;
		dmmd_timestamp(t, sizeof(t), &ts);
	}
	v_str(v, "last_error_time", r && rs->last_error_wall ? t : NULL, false);
	if (!v->json)
		buf_put(v->b, "\n", 1);
}

/* ---------------------------------------------------------------- commands */

static bool need_role(struct dmmd *d, struct buf *out, unsigned role, const char *name)
{
	if (d->conf.core.roles & role)
		return true;
	buf_printf(out, "error: this node does not run the %s role\n", name);
	return false;
}

/* The answer: "ok" and the body, or the error the view ran into. */
static void view_finish(struct view *v, struct buf *out)
{
	struct buf body = { 0 };

	if (v->json && !v->oom) {
		json_t *j = v->list ? v->list : v->obj;
		v->list = v->obj = NULL;
		buf_json(&body, j);
	}
	json_decref(v->list);
	json_decref(v->obj);
	if (v->oom || v->b->oom || body.oom) {
		buf_printf(out, "error: out of memory\n");
	} else {
		buf_printf(out, "ok\n");
		if (v->b->len)
			buf_put(out, v->b->p, v->b->len);
		if (body.len)
			buf_put(out, body.p, body.len);
	}
	buf_free(&body);
}

static const struct show_table {
	const char *name;
	unsigned role;        /* needed, 0: any node */
	unsigned filter;      /* F_* the argument may be, 0: none */
	const char *role_name;
} show_tables[] = {
	{ "mns", DMM_ROLE_MR, F_MNID, "mr" },
	{ "cache", DMM_ROLE_MR, F_PREFIX, "mr" },
	{ "handovers", DMM_ROLE_MR, F_MNID, "mr" },
	{ "bindings", DMM_ROLE_LM, F_MNID | F_PREFIX, "lm" },
	{ "leases", DMM_ROLE_HAA, F_MNID | F_PREFIX, "haa" },
	{ "counters", 0, 0, NULL },
	{ "peers", 0, F_ADDR, NULL },
	{ "config", 0, 0, NULL },
	{ "store", DMM_ROLE_LM, 0, "lm" },
};

static void cmd_show(struct dmmd *d, bool json, int argc, char **argv, struct buf *out)
{
	struct buf text = { 0 };
	struct view v = { .d = d, .b = &text, .json = json };
	const char *what = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : NULL;
	const struct show_table *t = NULL;

	for (size_t i = 0; i < sizeof(show_tables) / sizeof(show_tables[0]); i++)
		if (!strcmp(what, show_tables[i].name))
			t = &show_tables[i];
	if (!t) {
		buf_printf(out, "error: show what? (mns, bindings, cache, leases, handovers, "
			   "counters, peers, config, store)\n");
		return;
	}
	if (argc > (t->filter ? 3 : 2)) {
		buf_printf(out, "error: show %s takes %s\n", t->name,
			   t->filter ? "one filter at most" : "no argument");
		return;
	}
	if (t->role && !need_role(d, out, t->role, t->role_name))
		return;
	if (!filter_parse(&v.f, arg, t->filter, out))
		return;
	if (json && strcmp(what, "counters") && strcmp(what, "config") && strcmp(what, "store") &&
	    !(v.list = json_array()))
		v.oom = true;
	if (!strcmp(what, "mns"))
		dmm_mr_foreach_mn(d->node, cb_mn, &v);
	else if (!strcmp(what, "cache"))
		dmm_mr_foreach_cache(d->node, cb_cache, &v);
	else if (!strcmp(what, "handovers"))
		dmm_mr_foreach_handover(d->node, cb_ho, &v);
	else if (!strcmp(what, "bindings"))
		dmm_lm_foreach_binding(d->node, cb_binding, &v);
	else if (!strcmp(what, "leases"))
		dmm_haa_foreach_lease(d->node, cb_lease, &v);
	else if (!strcmp(what, "counters"))
		show_counters(&v);
	else if (!strcmp(what, "peers"))
		show_peers(&v);
	else if (!strcmp(what, "store"))
		show_store(&v);
	else
		show_config(&v);
	/* One named thing that is not there: say so (a prefix filter is a
	 * search, and a handover context is short-lived: an empty list). */
	if (v.f.matched == 0 && (v.f.addr_set || (v.f.mnid_set && !strcmp(what, "mns")))) {
		json_decref(v.list);
		buf_free(&text);
		buf_printf(out, "error: %s %s: not %s\n", v.f.addr_set ? "peer" : "MN", arg,
			   v.f.addr_set ? "a peer of this node" : "attached to this MR");
		return;
	}
	view_finish(&v, out);
	buf_free(&text);
}

static int parse_link(const char *s, uint32_t *link)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s && !*end && v > 0 && v <= UINT32_MAX) {
		*link = (uint32_t)v;
		return 0;
	}
	*link = if_nametoindex(s);
	return *link ? 0 : -1;
}

static void answer_ok(bool json, struct buf *out)
{
	buf_printf(out, "ok\n");
	if (json)
		buf_json(out, json_pack("{s:s}", "result", "ok"));
}

static void cmd_attach(struct dmmd *d, bool json, int argc, char **argv, struct buf *out)
{
	bool attach = !strcmp(argv[0], "attach");
	char s[DMM_MNID_STRLEN];
	struct dmm_mnid id;
	uint32_t link;
	int rc;

	if (argc != (attach ? 3 : 2)) {
		buf_printf(out, "error: usage: %s\n", attach ? "attach LINK MNID" : "detach LINK");
		return;
	}
	if (!need_role(d, out, DMM_ROLE_MR, "mr"))
		return;
	if (parse_link(argv[1], &link) < 0) {
		buf_printf(out, "error: no interface %s\n", argv[1]);
		return;
	}
	if (attach && dmm_mnid_parse(argv[2], &id) != 0) {
		buf_printf(out, "error: bad MN identifier %s\n", argv[2]);
		return;
	}
	rc = attach ? dmm_mr_attach(d->node, link, &id, d->now)
		    : dmm_mr_detach(d->node, link, d->now);
	if (rc < 0) {
		buf_printf(out, "error: %s: %s\n", argv[0], dmm_strerror(rc));
		return;
	}
	/* the id as parsed and printed back: escaped, whatever was typed */
	log_ratelimited(LOG_INFO, "control: %s link %u%s%s", argv[0], link, attach ? " mnid " : "",
		 attach ? dmm_mnid_str(&id, s, sizeof(s)) : "");
	answer_ok(json, out);
}

static void cmd_clear(struct dmmd *d, bool json, int argc, char **argv, struct buf *out)
{
	struct buf text = { 0 };
	struct view v = { .d = d, .b = &text, .json = json };

	if (argc != 2 || strcmp(argv[1], "counters")) {
		buf_printf(out, "error: usage: clear counters\n");
		return;
	}
	clear_counters(&v);
	view_finish(&v, out);
	buf_free(&text);
}

static void cmd_version(struct dmmd *d, bool json, int argc, char **argv, struct buf *out)
{
	uint64_t up = (d->now - d->started) / 1000;

	if (argc != 1) {
		buf_printf(out, "error: usage: version\n");
		return;
	}
	buf_printf(out, "ok\n");
	if (json)
		buf_json(out, json_pack("{s:s, s:o, s:I}", "dmmd_version", DMM_VERSION,
					"node", json_text(d->conf.core.name),
					"uptime_s", (json_int_t)up));
	else
		buf_printf(out, "dmmd %s node %s uptime %llus\n", DMM_VERSION,
			   d->conf.core.name, (unsigned long long)up);
}

static void cmd_monitor(struct dmmd *d, bool json, int argc, struct buf *out,
			struct dmmd_ctl_client *c)
{
	unsigned n = 0;

	if (argc != 1) {
		buf_printf(out, "error: usage: monitor\n");
		return;
	}
	if (!c) {
		buf_printf(out, "error: monitor needs a connection of its own\n");
		return;
	}
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		n += d->ctl[i].used && d->ctl[i].monitor;
	if (n >= DMMD_MON_CLIENTS) {
		d->st.ctl_refused++;
		buf_printf(out, "error: too many monitors (%u), try again later\n", n);
		return;
	}
	c->monitor = true;
	c->mon_json = json;
	buf_printf(out, "ok\n");
}

static void ctl_handle(struct dmmd *d, const char *line, struct buf *out,
		       struct dmmd_ctl_client *c)
{
	char copy[CTL_LINE_MAX], *argv[CTL_MAX_ARGS], *save = NULL, *tok;
	int argc = 0;
	bool json = false;

	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " \t", &save); tok && argc < CTL_MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc > 0 && !strcmp(argv[0], "json")) {
		json = true;
		memmove(argv, argv + 1, sizeof(argv[0]) * (size_t)--argc);
	}
	if (argc == 0) {
		buf_printf(out, "error: empty request\n");
	} else if (!strcmp(argv[0], "show")) {
		cmd_show(d, json, argc, argv, out);
	} else if (!strcmp(argv[0], "attach") || !strcmp(argv[0], "detach")) {
		cmd_attach(d, json, argc, argv, out);
	} else if (!strcmp(argv[0], "clear")) {
		cmd_clear(d, json, argc, argv, out);
	} else if (!strcmp(argv[0], "version")) {
		cmd_version(d, json, argc, argv, out);
	} else if (!strcmp(argv[0], "monitor")) {
		cmd_monitor(d, json, argc, out, c);
	} else {
		buf_printf(out, "error: unknown command %s (show, attach, detach, clear, "
			   "version, monitor)\n", argv[0]);
	}
}

void control_handle(struct dmmd *d, const char *line, struct buf *out)
{
	ctl_handle(d, line, out, NULL);
}

/* ---------------------------------------------------------------- monitor */

/* The event as one text line: TIME NODE EVENT then key value pairs. */
static void monitor_text(struct buf *b, json_t *ev)
{
	const char *key;
	json_t *val;

	buf_printf(b, "%s %s %s", json_string_value(json_object_get(ev, "time")),
		   json_string_value(json_object_get(ev, "node")),
		   json_string_value(json_object_get(ev, "event")));
	json_object_foreach(ev, key, val) {
		if (!strcmp(key, "time") || !strcmp(key, "node") || !strcmp(key, "event"))
			continue;
		if (json_is_string(val))
			buf_printf(b, " %s %s", key, json_string_value(val));
		else if (json_is_integer(val))
			buf_printf(b, " %s %lld", key, (long long)json_integer_value(val));
	}
	buf_put(b, "\n", 1);
}

/* Queue line to c if it fits its DMMD_MON_BUF; false if not. */
static bool monitor_queue(struct dmmd_ctl_client *c, const struct buf *line)
{
	if (c->out_off > 0) { /* what it took: make room at the front */
		memmove(c->out.p, c->out.p + c->out_off, c->out.len - c->out_off);
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out.len + line->len > DMMD_MON_BUF)
		return false;
	buf_put(&c->out, line->p, line->len);
	return !c->out.oom;
}

static void monitor_render(struct buf *b, json_t *ev, bool json)
{
	if (json)
		buf_json(b, json_incref(ev));
	else
		monitor_text(b, ev);
}

bool control_has_monitors(const struct dmmd *d)
{
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		if (d->ctl[i].used && d->ctl[i].monitor)
			return true;
	return false;
}

void control_monitor_event(struct dmmd *d, json_t *ev)
{
	struct buf text = { 0 }, jline = { 0 };

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++) {
		struct dmmd_ctl_client *c = &d->ctl[i];
		bool was_idle;
		if (!c->used || !c->monitor)
			continue;
		struct buf *line = c->mon_json ? &jline : &text;
		if (!line->len)
			monitor_render(line, ev, c->mon_json);
		was_idle = c->out_off == c->out.len;
		/* Events it missed, said before the next one that fits. */
		if (c->mon_dropped) {
			struct buf note = { 0 };
			json_t *n = json_pack("{s:O, s:O, s:s, s:I}", "time",
					      json_object_get(ev, "time"), "node",
					      json_object_get(ev, "node"), "event", "monitor_dropped",
					      "dropped", (json_int_t)c->mon_dropped);
			if (n)
				monitor_render(&note, n, c->mon_json);
			json_decref(n);
			if (!note.oom && note.len && c->out.len - c->out_off + note.len + line->len
			    <= DMMD_MON_BUF && monitor_queue(c, &note))
				c->mon_dropped = 0;
			buf_free(&note);
		}
		if (line->oom || c->mon_dropped || !monitor_queue(c, line)) {
			c->mon_dropped++;
			d->st.mon_dropped++;
			continue;
		}
		d->st.mon_events++;
		if (was_idle) /* it has until then to take some */
			c->deadline = ctl_clock_ms() + CTL_MON_STALL_MS;
		ctl_write(c); /* non-blocking: what the socket takes now */
	}
	buf_free(&text);
	buf_free(&jline);
}
