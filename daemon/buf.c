/* dmmd: growable text buffer and JSON string escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void buf_json_str(struct buf *b, const char *s)
{
	buf_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			char esc[2] = { '\\', (char)ch };
			buf_put(b, esc, 2);
		} else if (ch == '\n') {
			buf_put(b, "\\n", 2);
		} else if (ch == '\t') {
			buf_put(b, "\\t", 2);
		} else if (ch < 0x20 || ch >= 0x7f) { /* non-ASCII too: always valid JSON */
			buf_printf(b, "\\u%04x", ch);
		} else {
			buf_put(b, (const char *)&ch, 1);
		}
	}
	buf_put(b, "\"", 1);
}

void buf_json_key(struct buf *b, bool *first, const char *key)
{
	if (!*first)
		buf_put(b, ",", 1);
	*first = false;
	buf_json_str(b, key);
	buf_put(b, ":", 1);
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}
