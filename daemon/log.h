/* dmmd: logging, OpenBSD style. stderr in the foreground (-d), else
 * syslog. log_debug only with -v. */
#ifndef DMMD_LOG_H
#define DMMD_LOG_H

#include <stdarg.h>

/* foreground: to stderr (each line "<PRIORITY>" first when stderr is the
 * journal stream JOURNAL_STREAM names); else to syslog (LOG_DAEMON). */
void log_init(int foreground, int verbose, const char *ident);
/* The daemon is running: from now on the syslog identifier is dmmd[NODE]
 * (characters other than letters, digits, '.', '_' and '-' become '_'),
 * and in the foreground with stderr the journal stream, lines go to
 * syslog if /dev/log answers. */
void log_set_node(const char *node);
const char *log_ident_str(void);
int log_verbose(void);
/* log_warn appends strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* One line at syslog priority pri (LOG_ERR ... LOG_DEBUG). */
void log_line(int pri, const char *line);

/* Rate-limited logging for lines that input can trigger (a peer, an MN, a
 * local client): at most LOG_RL_PER_SEC lines per second from each call
 * site; the next line after a second with drops is preceded by
 * "suppressed K messages from FILE:LINE". */
#define LOG_RL_PER_SEC 10
struct log_rl {
	long long second;        /* monotonic second of the current window */
	unsigned n;              /* lines logged in it */
	unsigned long suppressed;
};
void log_rl(struct log_rl *rl, const char *where, int pri, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define LOG_RL_STR_(x) #x
#define LOG_RL_STR(x) LOG_RL_STR_(x)
#define log_ratelimited(pri, ...) do { \
		static struct log_rl log_rl_site_; \
		log_rl(&log_rl_site_, __FILE__ ":" LOG_RL_STR(__LINE__), pri, __VA_ARGS__); \
	} while (0)

#endif
