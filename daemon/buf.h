/* dmmd: a growable text buffer, and its JSON output (jansson). */
#ifndef DMMD_BUF_H
#define DMMD_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct buf {
	char *p;
	size_t len, cap;
	bool oom; /* sticky: an allocation failed, the text is truncated */
};

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put(struct buf *b, const char *s, size_t n);
/* j as one line of compact JSON and a newline; takes (decrefs) j, a
 * NULL j (allocation failed) sets oom. Every JSON dmmd writes goes
 * through jansson: no JSON is built by hand. */
void buf_json(struct buf *b, json_t *j);
/* s as a JSON string (bytes that are not UTF-8 as '?'), NULL if no memory. */
json_t *json_text(const char *s);
void buf_free(struct buf *b);
/* Send b from *off on to the non-blocking socket fd, as much as it takes
 * now (*off advances): 1 when all is sent, 0 when the socket is full (try
 * again when it is writable), -1 when the peer is gone or an error. */
int buf_send(int fd, const struct buf *b, size_t *off);
/* ts (CLOCK_REALTIME) as RFC 3339 UTC with milliseconds, the one format of
 * every time of day dmmd shows: 2026-01-31T12:00:00.123Z. */
struct timespec;
void dmmd_timestamp(char *s, size_t len, const struct timespec *ts);

#endif
