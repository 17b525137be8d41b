/* dmmd: the event log, one JSON object per line (jansson), for handover
 * timelines (tests and plots read it); the same events go to every dmmctl
 * monitor (control_monitor_event). Appended and flushed per event; SIGHUP
 * reopens it so it can be rotated (after the privilege drop, through the
 * helper: priv.c). Opened with O_NOFOLLOW: a symbolic link in its place is
 * refused, not followed to a file the daemon should not append to. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dmmd.h"
#include "log.h"

int evlog_open_path(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0640);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int evlog_adopt(struct dmmd *d, int fd)
{
	FILE *f = fdopen(fd, "a");

	if (!f) {
		log_warn("event log %s", d->conf.event_log);
		close(fd);
		return -1;
	}
	evlog_close(d);
	d->evlog = f;
	return 0;
}

int evlog_open(struct dmmd *d)
{
	int fd;

	if (!d->conf.event_log[0]) {
		evlog_close(d);
		return 0;
	}
	fd = evlog_open_path(d->conf.event_log);
	if (fd < 0) {
		log_warnx("event log %s: %s%s", d->conf.event_log, strerror(-fd),
			  d->evlog ? " (still writing to the one open)" : "");
		return -1;
	}
	return evlog_adopt(d, fd);
}

void evlog_close(struct dmmd *d)
{
	if (d->evlog)
		fclose(d->evlog);
	d->evlog = NULL;
}

/* Peers drive the events: a full disk must not turn each into a log line. */
#define EVLOG_WARN_QUIET_MS 10000

static void evlog_write_failed(struct dmmd *d)
{
	static dmm_time_t quiet_until;
	static unsigned long missed;

	clearerr(d->evlog);
	if (d->now < quiet_until && quiet_until - d->now <= EVLOG_WARN_QUIET_MS) {
		missed++;
		return;
	}
	quiet_until = d->now + EVLOG_WARN_QUIET_MS;
	log_warnx("event log %s: write failed (%lu more since the last warning)",
		  d->conf.event_log, missed);
	missed = 0;
}

static json_t *str_or_null(bool set, const char *v)
{
	return set ? json_text(v) : json_null();
}

/* The event as JSON: t_ms (CLOCK_MONOTONIC ms), the node, the event, what
 * it is about (null for none) and the time of day. */
static json_t *evlog_json(struct dmmd *d, const struct dmm_event *ev)
{
	static const struct in6_addr any = IN6ADDR_ANY_INIT;
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[INET6_ADDRSTRLEN], t[40];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	dmmd_timestamp(t, sizeof(t), &now);
	return json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:s}",
		"t_ms", (json_int_t)ev->t,
		"node", json_text(d->conf.core.name),
		"event", dmm_event_name(ev->kind),
		"mnid", str_or_null(ev->mnid.len > 0, dmm_mnid_str(&ev->mnid, m, sizeof(m))),
		"prefix", str_or_null(ev->prefix.len > 0, dmm_prefix_str(&ev->prefix, p, sizeof(p))),
		"peer", str_or_null(memcmp(&ev->peer, &any, sizeof(any)) != 0,
				    inet_ntop(AF_INET6, &ev->peer, a, sizeof(a))),
		"link", ev->link ? json_integer(ev->link) : json_null(),
		"time", t);
}

/* struct dmm_io .event: to the event log and to every monitor. */
void evlog_event(void *ctx, const struct dmm_event *ev)
{
	struct dmmd *d = ctx;
	struct buf b = { 0 };
	json_t *j;

	log_ratelimited(LOG_DEBUG, "event %s", dmm_event_name(ev->kind));
	if (!d->evlog && !control_has_monitors(d))
		return;
	j = evlog_json(d, ev);
	if (j && control_has_monitors(d))
		control_monitor_event(d, j);
	if (!d->evlog) {
		json_decref(j);
		return;
	}
	buf_json(&b, j);
	if (!b.oom && fwrite(b.p, 1, b.len, d->evlog) == b.len && fflush(d->evlog) == 0)
		d->st.ev_written++;
	else
		evlog_write_failed(d);
	buf_free(&b);
}
