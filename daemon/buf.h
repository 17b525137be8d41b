/* dmmd: a growable text buffer, and the few JSON helpers the control
 * socket and the event log need. */
#ifndef DMMD_BUF_H
#define DMMD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
	bool oom; /* sticky: an allocation failed, the text is truncated */
};

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put(struct buf *b, const char *s, size_t n);
/* s as a JSON string, quotes included; control characters escaped. */
void buf_json_str(struct buf *b, const char *s);
/* "key": — with a leading comma unless *first, which it clears. */
void buf_json_key(struct buf *b, bool *first, const char *key);
void buf_free(struct buf *b);

#endif
