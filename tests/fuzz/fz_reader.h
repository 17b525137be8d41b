/* The fuzz harnesses' reader of their input: bytes taken one at a time,
 * 0 once the input is used up. */
#ifndef FZ_READER_H
#define FZ_READER_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t get8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

/* Up to want bytes at *p (fewer if the input ends); how many. */
static inline size_t take(struct rd *r, size_t want, const uint8_t **p)
{
	if (want > r->n)
		want = r->n;
	*p = r->p;
	r->p += want;
	r->n -= want;
	return want;
}

#endif
