/* dmmd: growable text buffer, and its JSON output (jansson). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"

static bool buf_grow(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return false;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap == b->cap)
		return true;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void buf_put(struct buf *b, const char *s, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* j as one line of compact JSON (jansson), then a newline; takes j. */
void buf_json(struct buf *b, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (!s)
		b->oom = true;
	else
		buf_printf(b, "%s\n", s);
	free(s);
	json_decref(j);
}

/* s as a JSON string; bytes that are not UTF-8 become '?' (jansson takes
 * only valid UTF-8). NULL only when out of memory. */
json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !(copy = strdup(s)))
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

void dmmd_timestamp(char *s, size_t len, const struct timespec *ts)
{
	struct tm tm;
	size_t k;

	gmtime_r(&ts->tv_sec, &tm);
	k = strftime(s, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(s + k, len - k, ".%03ldZ", ts->tv_nsec / 1000000);
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

int buf_send(int fd, const struct buf *b, size_t *off)
{
	while (*off < b->len) {
		ssize_t w = send(fd, b->p + *off, b->len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		*off += (size_t)w;
	}
	return 1;
}
