/* dmmd: logging, OpenBSD style. stderr in the foreground (-d), else
 * syslog. log_debug only with -v. */
#ifndef DMMD_LOG_H
#define DMMD_LOG_H

#include <stdarg.h>

void log_init(int foreground, int verbose, const char *ident);
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

#endif
