/* dmm core: the one bounds-checked reader and the one writer every wire
 * codec uses. Network byte order throughout. A read that does not fit
 * fails with DMM_E_SHORT and consumes nothing; a write that does not fit
 * sets a sticky overflow flag that dmm_wr_finish reports as DMM_E_NOSPACE,
 * so encoders write straight through and check once at the end.
 *
 * All of it is static inline here: the codec calls these once per field,
 * and as calls into another unit (core/wire.c until 2026-12) dmm_put_u8
 * and dmm_get_u8 alone were 11 % of perf's samples of `dmmbench engine`
 * (the LM answering sealed queries in-process; docs/BENCHMARKS.md).
 *
 * Reader: dmm_rd_init, dmm_rd_left; dmm_get_u8/u16/u32/u64/bytes and
 * dmm_skip each return 0 or DMM_E_SHORT (and then r is unchanged);
 * dmm_rd_sub carves the next n bytes off r into sub (an option's body): 0
 * or DMM_E_SHORT, sub->off counting from the start of the carved bytes.
 * Writer: dmm_wr_init; dmm_put_u8/u16/u32/u64/bytes/zero; dmm_wr_patch_u8
 * overwrites one byte already written (a length field known only at the
 * end) and sets overflow if off was never written; dmm_wr_finish gives the
 * bytes written, or DMM_E_NOSPACE if anything did not fit. */
#ifndef DMM_WIRE_H
#define DMM_WIRE_H

#include <limits.h>
#include <string.h>

#include "types.h"

struct dmm_rd {
	const uint8_t *p;
	size_t len; /* bytes readable from p */
	size_t off; /* bytes consumed so far */
};

struct dmm_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool overflow; /* sticky: once set, nothing more is written */
};

static inline void
dmm_rd_init(struct dmm_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
}

static inline size_t
dmm_rd_left(const struct dmm_rd *r)
{
	return r->off <= r->len ? r->len - r->off : 0;
}

/* Check for n readable bytes before any read: never read, then check. */
static inline const uint8_t *
wire_rd_take(struct dmm_rd *r, size_t n)
{
	const uint8_t *q;

	if (dmm_rd_left(r) < n)
		return NULL;
	q = r->p + r->off;
	r->off += n;
	return q;
}

static inline int
dmm_get_u8(struct dmm_rd *r, uint8_t *v)
{
	const uint8_t *q = wire_rd_take(r, 1);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = q[0];
	return 0;
}

static inline int
dmm_get_u16(struct dmm_rd *r, uint16_t *v)
{
	const uint8_t *q = wire_rd_take(r, 2);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = (uint16_t)((unsigned)q[0] << 8 | q[1]);
	return 0;
}

static inline int
dmm_get_u32(struct dmm_rd *r, uint32_t *v)
{
	const uint8_t *q = wire_rd_take(r, 4);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	return 0;
}

static inline int
dmm_get_u64(struct dmm_rd *r, uint64_t *v)
{
	const uint8_t *q = wire_rd_take(r, 8);
	uint64_t x = 0;
	int i;

	if (q == NULL)
		return DMM_E_SHORT;
	for (i = 0; i < 8; i++)
		x = x << 8 | q[i];
	*v = x;
	return 0;
}

static inline int
dmm_get_bytes(struct dmm_rd *r, void *dst, size_t n)
{
	const uint8_t *q = wire_rd_take(r, n);

	if (q == NULL)
		return DMM_E_SHORT;
	if (n > 0)
		memcpy(dst, q, n);
	return 0;
}

static inline int
dmm_skip(struct dmm_rd *r, size_t n)
{
	return wire_rd_take(r, n) != NULL ? 0 : DMM_E_SHORT;
}

static inline int
dmm_rd_sub(struct dmm_rd *r, size_t n, struct dmm_rd *sub)
{
	const uint8_t *q = wire_rd_take(r, n);

	if (q == NULL)
		return DMM_E_SHORT;
	dmm_rd_init(sub, q, n);
	return 0;
}

static inline void
dmm_wr_init(struct dmm_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->off = 0;
	w->overflow = false;
}

/* Room for n more bytes, or set the sticky flag and return NULL. */
static inline uint8_t *
wire_wr_take(struct dmm_wr *w, size_t n)
{
	uint8_t *q;

	if (w->overflow || w->cap - w->off < n) {
		w->overflow = true;
		return NULL;
	}
	q = w->p + w->off;
	w->off += n;
	return q;
}

static inline void
dmm_put_u8(struct dmm_wr *w, uint8_t v)
{
	uint8_t *q = wire_wr_take(w, 1);

	if (q != NULL)
		q[0] = v;
}

static inline void
dmm_put_u16(struct dmm_wr *w, uint16_t v)
{
	uint8_t *q = wire_wr_take(w, 2);

	if (q == NULL)
		return;
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static inline void
dmm_put_u32(struct dmm_wr *w, uint32_t v)
{
	uint8_t *q = wire_wr_take(w, 4);
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < 4; i++)
		q[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void
dmm_put_u64(struct dmm_wr *w, uint64_t v)
{
	uint8_t *q = wire_wr_take(w, 8);
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < 8; i++)
		q[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline void
dmm_put_bytes(struct dmm_wr *w, const void *src, size_t n)
{
	uint8_t *q = wire_wr_take(w, n);

	if (q != NULL && n > 0)
		memcpy(q, src, n);
}

static inline void
dmm_put_zero(struct dmm_wr *w, size_t n)
{
	uint8_t *q = wire_wr_take(w, n);

	if (q != NULL && n > 0)
		memset(q, 0, n);
}

static inline void
dmm_wr_patch_u8(struct dmm_wr *w, size_t off, uint8_t v)
{
	if (w->overflow || off >= w->off) {
		w->overflow = true;
		return;
	}
	w->p[off] = v;
}

static inline int
dmm_wr_finish(const struct dmm_wr *w)
{
	if (w->overflow || w->off > INT_MAX)
		return DMM_E_NOSPACE;
	return (int)w->off;
}

#endif
