/* dmmd: logging to stderr (foreground) or syslog (daemon, or foreground
 * under systemd once started: the journal), as dmmd[NODE]. The daemon's only global state besides the signal flags:
 * logging is process-wide by nature. Lines that input can trigger go
 * through log_ratelimited; no line carries key material (the key file's
 * parser names a bad line, never its text). */
#include <ctype.h>
#include <errno.h>
#include <paths.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "types.h"

static int log_fg = 1;
static int log_journal; /* stderr is the journal stream */
static int log_verb;
static int log_syslog_open;
static char log_ident[64] = "dmmd";

/* Under systemd, stderr is a stream to the journal, named in JOURNAL_STREAM
 * ("DEV:INODE", systemd.exec(5)). Lines written there start with "<N>", the
 * priority, which journald reads. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static bool devlog_answers(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", _PATH_LOG);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void open_syslog(void)
{
	if (log_syslog_open)
		closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog_open = 1;
}

void log_init(int foreground, int verbose, const char *ident)
{
	log_fg = foreground;
	log_journal = foreground && stderr_is_journal();
	log_verb = verbose;
	if (!log_syslog_open && strcmp(ident, "dmmd") != 0)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (!log_fg)
		open_syslog();
}

/* In the foreground under systemd, the journal gets the start (and a
 * failed start) on stderr, which it files under the unit whatever
 * becomes of the process; from here on, the daemon running, lines go to
 * syslog, where the journal also keeps the node's name. */
void log_set_node(const char *node)
{
	char name[DMM_NAME_MAX];
	size_t i;

	/* only what syslog parsers take inside the brackets of a tag */
	for (i = 0; node[i] && i + 1 < sizeof(name); i++)
		name[i] = isalnum((unsigned char)node[i]) || strchr("._-", node[i]) ? node[i] : '_';
	name[i] = '\0';
	snprintf(log_ident, sizeof(log_ident), "dmmd[%s]", name);
	if (log_fg && log_journal && devlog_answers())
		log_fg = 0;
	if (!log_fg)
		open_syslog();
}

const char *log_ident_str(void)
{
	return log_ident;
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
		if (log_journal)
			fprintf(stderr, "<%d>%s\n", pri, line);
		else
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
