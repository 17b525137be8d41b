/* dmmd: logging to stderr (foreground) or syslog. The daemon's only global
 * state besides the signal flags: logging is process-wide by nature. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_fg = 1;
static int log_verb;

void log_init(int foreground, int verbose, const char *ident)
{
	log_fg = foreground;
	log_verb = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_verbose(void)
{
	return log_verb;
}

void log_line(int pri, const char *line)
{
	if (pri == LOG_DEBUG && !log_verb)
		return;
	if (log_fg) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else {
		syslog(pri, "%s", line);
	}
}

static void vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char buf[1024];

	if (pri == LOG_DEBUG && !log_verb)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, ": %s", suffix);
	}
	log_line(pri, buf);
}

void log_rl(struct log_rl *rl, const char *where, int pri, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (pri == LOG_DEBUG && !log_verb)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != rl->second) {
		rl->second = ts.tv_sec;
		rl->n = 0;
	}
	if (rl->n >= LOG_RL_PER_SEC) {
		rl->suppressed++;
		return;
	}
	rl->n++;
	if (rl->suppressed) {
		char buf[256];
		snprintf(buf, sizeof(buf), "suppressed %lu messages from %s", rl->suppressed,
			 where);
		log_line(pri, buf);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	vlog(pri, fmt, ap, NULL);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, e);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, e);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
