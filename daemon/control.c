/* dmmd: the control socket (dmmctl(8)). A unix stream socket, mode 0600;
 * one request line per connection, answered with "ok" or "error: why" on
 * the first line, then the body, then the connection is closed. Clients
 * are served non-blocking from the main loop, each with its own buffers and
 * deadlines: none can stall signalling.
 *
 * Request: [json] show mns|bindings|cache|leases|handovers|counters|peers|config
 *          [json] attach LINK MNID | detach LINK
 * The daemon renders both the text (iproute2-like: one entry per line,
 * keyword value pairs) and the JSON forms, so dmmctl stays a dumb pipe. */
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

#define CTL_MAX_ARGS 8
/* Each client gets a bounded share of the daemon: the whole request line
 * within CTL_READ_MS of its connect (dmmctl writes it at once), the whole
 * answer within CTL_WRITE_MS, however it trickles bytes. */
#define CTL_READ_MS 500
#define CTL_WRITE_MS 2000

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
		control_handle(d, c->in, &c->out);
	}
	if (c->out.oom) {
		buf_free(&c->out);
		buf_printf(&c->out, "error: out of memory\n");
	}
	c->writing = true;
	c->deadline = ctl_clock_ms() + CTL_WRITE_MS;
	shutdown(c->fd, SHUT_RD);
}

/* Read what the client sent; answer once the line ends (newline, or end of
 * stream). Returns false if the client is done with (closed). */
static bool ctl_read(struct dmmd *d, struct dmmd_ctl_client *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (r < 0 || (r == 0 && c->in_len == 0)) {
			ctl_drop(c); /* gone, or nothing said */
			return false;
		}
		char *nl = r > 0 ? memchr(c->in + c->in_len, '\n', (size_t)r) : NULL;
		c->in_len += (size_t)r;
		if (nl || r == 0) {
			if (nl)
				c->in_len = (size_t)(nl - c->in);
			ctl_answer(d, c, false);
			return true;
		}
		if (c->in_len + 1 >= sizeof(c->in)) {
			ctl_answer(d, c, true);
			return true;
		}
	}
}

/* Write what the client takes now; close when all is written. */
static void ctl_write(struct dmmd_ctl_client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0)
			break;
		c->out_off += (size_t)w;
	}
	ctl_drop(c);
}

static void ctl_serve(struct dmmd *d, struct dmmd_ctl_client *c)
{
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

void control_accept(struct dmmd *d)
{
	static const char busy[] = "error: too many control clients, try again\n";

	for (int i = 0; i < 2 * DMMD_CTL_CLIENTS; i++) {
		int fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct dmmd_ctl_client *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_ratelimited(LOG_WARNING, "control accept: %s", strerror(errno));
			return;
		}
		if (!(c = ctl_free_slot(d))) {
			d->st.ctl_refused++;
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_ratelimited(LOG_DEBUG, "control: busy: %s", strerror(errno));
			close(fd);
			continue;
		}
		*c = (struct dmmd_ctl_client){ .used = true, .fd = fd,
					       .deadline = ctl_clock_ms() + CTL_READ_MS };
		ctl_serve(d, c); /* the line is often there already */
	}
}

int control_pollfds(struct dmmd *d, struct pollfd *fds, int max)
{
	int n = 0;

	for (unsigned i = 0; i < DMMD_CTL_CLIENTS && n < max; i++) {
		struct dmmd_ctl_client *c = &d->ctl[i];
		if (!c->used)
			continue;
		fds[n++] = (struct pollfd){ .fd = c->fd, .events = c->writing ? POLLOUT : POLLIN };
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
				ctl_serve(d, &d->ctl[i]);
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
		log_ratelimited(LOG_DEBUG, "control: client %s, closed", c->writing
				? "does not read its answer" : "sent no complete request in time");
		ctl_drop(c);
	}
}

/* ---------------------------------------------------------------- rendering helpers */

#define VIEW_MAX_TUN (DP_MAX_PEERS + 1)

struct view {
	struct dmmd *d;
	struct buf *b;
	bool json;
	bool first; /* first element of the JSON array */
	unsigned n_tun; /* show peers: the data plane's tunnel counters */
	struct dp_peer_stats tun[VIEW_MAX_TUN];
};

static void v_open(struct view *v)
{
	v->first = true;
	if (v->json)
		buf_put(v->b, "[", 1);
}

static void v_close(struct view *v)
{
	if (v->json)
		buf_put(v->b, "]\n", 2);
}

/* Start one entry: "{" in JSON (comma-separated), nothing in text. */
static void v_entry(struct view *v, bool *kfirst)
{
	*kfirst = true;
	if (v->json) {
		buf_put(v->b, v->first ? "{" : ",{", v->first ? 1 : 2);
		v->first = false;
	}
}

static void v_end(struct view *v)
{
	buf_put(v->b, v->json ? "}" : "\n", 1);
}

/* key + string value; text: "key value" separated by spaces, the first key
 * omitted when lead is set (the entry's name comes first, as in ip route). */
static void v_str(struct view *v, bool *kfirst, const char *key, const char *val, bool lead)
{
	if (v->json) {
		buf_json_key(v->b, kfirst, key);
		buf_json_str(v->b, val);
		return;
	}
	if (!*kfirst)
		buf_put(v->b, " ", 1);
	*kfirst = false;
	if (lead)
		buf_printf(v->b, "%s", val);
	else
		buf_printf(v->b, "%s %s", key, val);
}

static void v_u64(struct view *v, bool *kfirst, const char *key, uint64_t val)
{
	char s[24];

	if (v->json) {
		buf_json_key(v->b, kfirst, key);
		buf_printf(v->b, "%llu", (unsigned long long)val);
		return;
	}
	snprintf(s, sizeof(s), "%llu", (unsigned long long)val);
	v_str(v, kfirst, key, s, false);
}

static void v_bool(struct view *v, bool *kfirst, const char *key, bool val)
{
	if (v->json) {
		buf_json_key(v->b, kfirst, key);
		buf_put(v->b, val ? "true" : "false", val ? 4 : 5);
	} else if (val) {
		if (!*kfirst)
			buf_put(v->b, " ", 1);
		*kfirst = false;
		buf_printf(v->b, "%s", key);
	}
}

static void v_addr(struct view *v, bool *kfirst, const char *key, const struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	v_str(v, kfirst, key, inet_ntop(AF_INET6, a, s, sizeof(s)), false);
}

static void v_prefix(struct view *v, bool *kfirst, const char *key,
		     const struct dmm_prefix *p, bool lead)
{
	char s[DMM_PREFIX_STRLEN];

	v_str(v, kfirst, key, dmm_prefix_str(p, s, sizeof(s)), lead);
}

/* Time left until t: JSON "<key>_ms" (null for never), text "key 12.3s". */
static void v_left(struct view *v, bool *kfirst, const char *key, dmm_time_t t)
{
	char k[32], s[32];
	uint64_t left = t == DMM_TIME_NEVER ? 0 : t > v->d->now ? t - v->d->now : 0;

	if (v->json) {
		snprintf(k, sizeof(k), "%s_ms", key);
		buf_json_key(v->b, kfirst, k);
		if (t == DMM_TIME_NEVER)
			buf_put(v->b, "null", 4);
		else
			buf_printf(v->b, "%llu", (unsigned long long)left);
		return;
	}
	if (t == DMM_TIME_NEVER)
		snprintf(s, sizeof(s), "never");
	else
		snprintf(s, sizeof(s), "%llu.%llus", (unsigned long long)(left / 1000),
			 (unsigned long long)(left % 1000 / 100));
	v_str(v, kfirst, key, s, false);
}

static void v_link(struct view *v, bool *kfirst, uint32_t link)
{
	char name[IF_NAMESIZE], num[16];
	bool named = if_indextoname(link, name) != NULL;

	if (v->json) {
		v_u64(v, kfirst, "link", link);
		if (named)
			v_str(v, kfirst, "ifname", name, false);
		return;
	}
	snprintf(num, sizeof(num), "#%u", link); /* the interface is gone */
	v_str(v, kfirst, "link", named ? name : num, false);
}

static void v_mnid(struct view *v, bool *kfirst, const struct dmm_mnid *m, bool lead)
{
	char s[DMM_MNID_STRLEN];

	v_str(v, kfirst, "mnid", dmm_mnid_str(m, s, sizeof(s)), lead);
}

/* ---------------------------------------------------------------- show views */

static void cb_mn(void *ctx, const struct dmm_mn_view *m)
{
	struct view *v = ctx;
	bool k;

	v_entry(v, &k);
	v_mnid(v, &k, &m->mnid, true);
	v_link(v, &k, m->link);
	v_str(v, &k, "state", dmm_mn_state_name(m->state), false);
	if (v->json) {
		buf_json_key(v->b, &k, "prefixes");
		buf_put(v->b, "[", 1);
	}
	for (unsigned i = 0; i < m->n_hnp && i < DMM_MAX_HNP; i++) {
		bool pk = true;
		if (v->json)
			buf_put(v->b, i ? ",{" : "{", i ? 2 : 1);
		v_prefix(v, v->json ? &pk : &k, "hnp", &m->hnp[i], false);
		v_addr(v, v->json ? &pk : &k, "home", &m->home[i]);
		v_bool(v, v->json ? &pk : &k, "deprecated", m->deprecated[i]);
		if (v->json)
			buf_put(v->b, "}", 1);
	}
	if (v->json)
		buf_put(v->b, "]", 1);
	v_u64(v, &k, v->json ? "age_ms" : "age_s",
	      v->d->now > m->since ? (v->d->now - m->since) / (v->json ? 1 : 1000) : 0);
	v_end(v);
}

static void cb_cache(void *ctx, const struct dmm_cache_view *c)
{
	struct view *v = ctx;
	bool k;

	v_entry(v, &k);
	v_prefix(v, &k, "prefix", &c->prefix, true);
	if (c->src.len > 0)
		v_prefix(v, &k, "from", &c->src, false);
	v_str(v, &k, "state", dmm_cache_state_name(c->state), false);
	if (c->state == DMM_CACHE_TUNNEL)
		v_addr(v, &k, "locator", &c->locator);
	v_left(v, &k, "expires", c->expires);
	v_end(v);
}

static void cb_ho(void *ctx, const struct dmm_ho_view *h)
{
	struct view *v = ctx;
	bool k;

	v_entry(v, &k);
	v_mnid(v, &k, &h->mnid, true);
	v_str(v, &k, "state", dmm_ho_state_name(h->state), false);
	v_addr(v, &k, "nmr", &h->nmr);
	for (unsigned i = 0; i < h->n_hnp && i < DMM_MAX_HNP; i++) {
		char key[16];
		snprintf(key, sizeof(key), v->json ? "hnp%u" : "hnp", i);
		v_prefix(v, &k, key, &h->hnp[i], false);
	}
	v_left(v, &k, "expires", h->expires);
	v_end(v);
}

static void cb_binding(void *ctx, const struct dmm_binding_view *bv)
{
	struct view *v = ctx;
	bool k;

	v_entry(v, &k);
	v_prefix(v, &k, "prefix", &bv->prefix, true);
	if (bv->mnid.len > 0)
		v_mnid(v, &k, &bv->mnid, false);
	v_addr(v, &k, "location", &bv->location);
	v_addr(v, &k, "home", &bv->home);
	v_bool(v, &k, "fixed", bv->fixed);
	v_u64(v, &k, "seq", bv->seq);
	v_u64(v, &k, "subscribers", bv->n_subscribers);
	v_left(v, &k, "expires", bv->expires);
	v_end(v);
}

static void cb_lease(void *ctx, const struct dmm_lease_view *l)
{
	struct view *v = ctx;
	bool k;

	v_entry(v, &k);
	v_prefix(v, &k, "prefix", &l->prefix, true);
	v_mnid(v, &k, &l->mnid, false);
	v_addr(v, &k, "mr", &l->mr);
	v_left(v, &k, "expires", l->expires);
	v_end(v);
}

static void show_counters(struct view *v)
{
	const struct dmmd_stats *s = &v->d->st;
	struct dp_stats ds;
	bool k = true;

	/* One object (JSON) or one "name value" line each (text). */
	if (v->json)
		buf_put(v->b, "{", 1);
#define ONE(name, val) do { \
		if (v->json) { buf_json_key(v->b, &k, name); \
			buf_printf(v->b, "%llu", (unsigned long long)(val)); } \
		else buf_printf(v->b, "%-22s %llu\n", name, (unsigned long long)(val)); \
	} while (0)
	for (int c = 0; c < DMM_C_COUNT; c++)
		ONE(dmm_counter_name((enum dmm_counter)c),
		    dmm_node_counter(v->d->node, (enum dmm_counter)c));
	ONE("sock_send_errors", s->send_errors);
	ONE("sock_recv_errors", s->recv_errors);
	ONE("ctl_requests", s->ctl_requests);
	ONE("ctl_refused", s->ctl_refused);
	ONE("ctl_timeouts", s->ctl_timeouts);
	ONE("events_logged", s->ev_written);
	if (dmmd_dp_stats(v->d, &ds)) {
		ONE("dp_miss", ds.miss);
		ONE("dp_held", ds.held);
		ONE("dp_flushed", ds.flushed);
		ONE("dp_hold_dropped", ds.hold_dropped);
		ONE("dp_hold_expired", ds.hold_expired);
		ONE("dp_hold_memory_dropped", ds.hold_memory_dropped);
		ONE("dp_held_bytes", ds.held_bytes);
		ONE("dp_reinjected", ds.reinjected);
		ONE("dp_miss_dropped", ds.miss_dropped);
		ONE("dp_routes_added", ds.routes_added);
		ONE("dp_routes_deleted", ds.routes_deleted);
		ONE("dp_nl_errors", ds.nl_errors);
		ONE("dp_nl_enomem_retries", ds.nl_enomem_retries);
		ONE("dp_ra_sent", ds.ra_sent);
		ONE("dp_rs_received", ds.rs_received);
		ONE("dp_rs_dropped", ds.rs_dropped);
		ONE("dp_rs_spoofed", ds.rs_spoofed);
		ONE("dp_attach_frames", ds.attach_frames);
		ONE("dp_tun_filtered", ds.tun_filtered);
		ONE("dp_decap_packets", ds.decap_packets);
		ONE("dp_encap_packets", ds.encap_packets);
		ONE("dp_decap_rejected", ds.decap_rejected);
		ONE("dp_decap_errors", ds.decap_errors);
		ONE("dp_encap_errors", ds.encap_errors);
	}
#undef ONE
	if (v->json)
		buf_put(v->b, "}\n", 2);
}

/* The domain's signalling nodes (from the map) and anyone we talked to. */
static const char *peer_role(const struct dmm_config *c, const struct in6_addr *a,
			     char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_nets; i++) {
		if (!memcmp(&c->nets[i].lm, a, sizeof(*a)))
			snprintf(buf + strlen(buf), len - strlen(buf), "%slm:%s",
				 buf[0] ? "," : "", c->nets[i].name);
		if (!memcmp(&c->nets[i].haa, a, sizeof(*a)))
			snprintf(buf + strlen(buf), len - strlen(buf), "%shaa:%s",
				 buf[0] ? "," : "", c->nets[i].name);
	}
	bool mr = false;
	for (unsigned i = 0; i < c->n_pools; i++)
		mr |= !memcmp(&c->pools[i].mr, a, sizeof(*a));
	for (unsigned i = 0; i < c->n_nets; i++)
		for (unsigned j = 0; j < c->nets[i].n_mrs; j++)
			mr |= !memcmp(&c->nets[i].mrs[j], a, sizeof(*a));
	if (mr)
		snprintf(buf + strlen(buf), len - strlen(buf), "%smr", buf[0] ? "," : "");
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

/* The data plane's tunnel counters of a (tun_* fields), if it has any. */
static void show_peer_tunnel(struct view *v, bool *k, const struct in6_addr *a)
{
	for (unsigned i = 0; i < v->n_tun && i < VIEW_MAX_TUN; i++) {
		const struct dp_peer_stats *t = &v->tun[i];
		if (memcmp(&t->addr, a, sizeof(*a)) != 0)
			continue;
		v_u64(v, k, "tun_rx_packets", t->rx_packets);
		v_u64(v, k, "tun_rx_bytes", t->rx_bytes);
		v_u64(v, k, "tun_tx_packets", t->tx_packets);
		v_u64(v, k, "tun_tx_bytes", t->tx_bytes);
		return;
	}
}

static void show_peer(struct view *v, const struct in6_addr *a, const struct dmmd_peer *p)
{
	static const char *via[] = { "-", "raw", "udp", "both" };
	char role[128];
	bool k;

	v_entry(v, &k);
	v_str(v, &k, "address", inet_ntop(AF_INET6, a, role, sizeof(role)), true);
	v_str(v, &k, "role", peer_role(&v->d->conf.core, a, role, sizeof(role)), false);
	v_u64(v, &k, "rx", p ? p->rx : 0);
	v_u64(v, &k, "rx_dropped", p ? p->rx_dropped : 0);
	v_u64(v, &k, "tx", p ? p->tx : 0);
	v_str(v, &k, "via", via[p ? p->via & 3 : 0], false);
	if (p && p->last_rx)
		v_u64(v, &k, "last_rx_ago_ms", v->d->now - p->last_rx);
	show_peer_tunnel(v, &k, a);
	v_end(v);
}

static void show_peers(struct view *v)
{
	const struct dmm_config *c = &v->d->conf.core;
	struct in6_addr seen[DMM_MAX_NETS * (2 + DMM_MAX_NET_MRS) + DMM_MAX_POOLS];
	unsigned n = 0;

	v->n_tun = (unsigned)dmmd_dp_peers(v->d, v->tun, VIEW_MAX_TUN);
	for (unsigned i = 0; i < c->n_nets; i++) {
		seen[n++] = c->nets[i].lm;
		seen[n++] = c->nets[i].haa;
		for (unsigned j = 0; j < c->nets[i].n_mrs; j++)
			seen[n++] = c->nets[i].mrs[j];
	}
	for (unsigned i = 0; i < c->n_pools; i++)
		seen[n++] = c->pools[i].mr;
	v_open(v);
	for (unsigned i = 0; i < n; i++) {
		bool dup = !memcmp(&seen[i], &c->self, sizeof(c->self));
		for (unsigned j = 0; j < i && !dup; j++)
			dup = !memcmp(&seen[i], &seen[j], sizeof(seen[i]));
		if (!dup)
			show_peer(v, &seen[i], sock_peer(v->d, &seen[i], false));
	}
	for (unsigned i = 0; i < DMMD_MAX_PEERS; i++) {
		const struct dmmd_peer *p = &v->d->peers[i];
		bool known = false;
		for (unsigned j = 0; j < n && p->used && !known; j++)
			known = !memcmp(&seen[j], &p->addr, sizeof(p->addr));
		if (p->used && !known)
			show_peer(v, &p->addr, p);
	}
	/* Tunnel end points that are no signalling peer (:: = unlisted sources). */
	for (unsigned i = 0; i < v->n_tun && i < VIEW_MAX_TUN; i++) {
		bool known = false;
		for (unsigned j = 0; j < n && !known; j++)
			known = !memcmp(&seen[j], &v->tun[i].addr, sizeof(seen[j]));
		if (!known && !sock_peer(v->d, &v->tun[i].addr, false))
			show_peer(v, &v->tun[i].addr, NULL);
	}
	v_close(v);
}

static void show_config(struct view *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		v->b->oom = true;
		return;
	}
	const char *why = NULL, *drv = dmmd_dp_driver(v->d, &why);

	parse_conf_print(f, &v->d->conf);
	if (drv)
		fprintf(f, "# data plane in use: %s (%s)\n", drv, why);
	fclose(f);
	if (v->json) {
		bool k = true;
		buf_put(v->b, "{", 1);
		buf_json_key(v->b, &k, "file");
		buf_json_str(v->b, v->d->conf_path ? v->d->conf_path : "");
		if (drv) {
			buf_json_key(v->b, &k, "dataplane");
			buf_json_str(v->b, drv);
			buf_json_key(v->b, &k, "dataplane_why");
			buf_json_str(v->b, why);
		}
		buf_json_key(v->b, &k, "text");
		buf_json_str(v->b, text ? text : "");
		buf_put(v->b, "}\n", 2);
	} else if (text) {
		buf_put(v->b, text, len);
	}
	free(text);
}

/* ---------------------------------------------------------------- commands */

static bool need_role(struct dmmd *d, struct buf *out, unsigned role, const char *name)
{
	if (d->conf.core.roles & role)
		return true;
	buf_printf(out, "error: this node does not run the %s role\n", name);
	return false;
}

static void cmd_show(struct dmmd *d, bool json, int argc, char **argv, struct buf *out)
{
	struct view v = { .d = d, .b = out, .json = json };
	struct buf body = { 0 };
	const char *what = argc > 1 ? argv[1] : "";

	v.b = &body;
	if (!strcmp(what, "mns") || !strcmp(what, "cache") || !strcmp(what, "handovers")) {
		if (!need_role(d, out, DMM_ROLE_MR, "mr"))
			goto out;
		v_open(&v);
		if (!strcmp(what, "mns"))
			dmm_mr_foreach_mn(d->node, cb_mn, &v);
		else if (!strcmp(what, "cache"))
			dmm_mr_foreach_cache(d->node, cb_cache, &v);
		else
			dmm_mr_foreach_handover(d->node, cb_ho, &v);
		v_close(&v);
	} else if (!strcmp(what, "bindings")) {
		if (!need_role(d, out, DMM_ROLE_LM, "lm"))
			goto out;
		v_open(&v);
		dmm_lm_foreach_binding(d->node, cb_binding, &v);
		v_close(&v);
	} else if (!strcmp(what, "leases")) {
		if (!need_role(d, out, DMM_ROLE_HAA, "haa"))
			goto out;
		v_open(&v);
		dmm_haa_foreach_lease(d->node, cb_lease, &v);
		v_close(&v);
	} else if (!strcmp(what, "counters")) {
		show_counters(&v);
	} else if (!strcmp(what, "peers")) {
		show_peers(&v);
	} else if (!strcmp(what, "config")) {
		show_config(&v);
	} else {
		buf_printf(out, "error: show what? (mns, bindings, cache, leases, handovers, "
			   "counters, peers, config)\n");
		goto out;
	}
	buf_printf(out, "ok\n");
	if (body.len)
		buf_put(out, body.p, body.len);
	out->oom |= body.oom;
out:
	buf_free(&body);
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
	buf_printf(out, json ? "ok\n{\"result\":\"ok\"}\n" : "ok\n");
}

void control_handle(struct dmmd *d, const char *line, struct buf *out)
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
	} else {
		buf_printf(out, "error: unknown command %s (show, attach, detach)\n", argv[0]);
	}
}
