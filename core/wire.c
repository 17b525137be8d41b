/* dmm core: bounds-checked reader and sticky-overflow writer. */
#include <limits.h>
#include <string.h>

#include "wire.h"

void
dmm_rd_init(struct dmm_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
}

size_t
dmm_rd_left(const struct dmm_rd *r)
{
	return r->off <= r->len ? r->len - r->off : 0;
}

/* Check for n readable bytes before any read: never read, then check. */
static const uint8_t *
rd_take(struct dmm_rd *r, size_t n)
{
	const uint8_t *q;

	if (dmm_rd_left(r) < n)
		return NULL;
	q = r->p + r->off;
	r->off += n;
	return q;
}

int
dmm_get_u8(struct dmm_rd *r, uint8_t *v)
{
	const uint8_t *q = rd_take(r, 1);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = q[0];
	return 0;
}

int
dmm_get_u16(struct dmm_rd *r, uint16_t *v)
{
	const uint8_t *q = rd_take(r, 2);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = (uint16_t)((unsigned)q[0] << 8 | q[1]);
	return 0;
}

int
dmm_get_u32(struct dmm_rd *r, uint32_t *v)
{
	const uint8_t *q = rd_take(r, 4);

	if (q == NULL)
		return DMM_E_SHORT;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	return 0;
}

int
dmm_get_u64(struct dmm_rd *r, uint64_t *v)
{
	const uint8_t *q = rd_take(r, 8);
	uint64_t x = 0;
	int i;

	if (q == NULL)
		return DMM_E_SHORT;
	for (i = 0; i < 8; i++)
		x = x << 8 | q[i];
	*v = x;
	return 0;
}

int
dmm_get_bytes(struct dmm_rd *r, void *dst, size_t n)
{
	const uint8_t *q = rd_take(r, n);

	if (q == NULL)
		return DMM_E_SHORT;
	if (n > 0)
		memcpy(dst, q, n);
	return 0;
}

int
dmm_skip(struct dmm_rd *r, size_t n)
{
	return rd_take(r, n) != NULL ? 0 : DMM_E_SHORT;
}

int
dmm_rd_sub(struct dmm_rd *r, size_t n, struct dmm_rd *sub)
{
	const uint8_t *q = rd_take(r, n);

	if (q == NULL)
		return DMM_E_SHORT;
	dmm_rd_init(sub, q, n);
	return 0;
}

void
dmm_wr_init(struct dmm_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->off = 0;
	w->overflow = false;
}

/* Room for n more bytes, or set the sticky flag and return NULL. */
static uint8_t *
wr_take(struct dmm_wr *w, size_t n)
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

void
dmm_put_u8(struct dmm_wr *w, uint8_t v)
{
	uint8_t *q = wr_take(w, 1);

	if (q != NULL)
		q[0] = v;
}

void
dmm_put_u16(struct dmm_wr *w, uint16_t v)
{
	uint8_t *q = wr_take(w, 2);

	if (q == NULL)
		return;
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

void
dmm_put_u32(struct dmm_wr *w, uint32_t v)
{
	uint8_t *q = wr_take(w, 4);
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < 4; i++)
		q[i] = (uint8_t)(v >> (24 - 8 * i));
}

void
dmm_put_u64(struct dmm_wr *w, uint64_t v)
{
	uint8_t *q = wr_take(w, 8);
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < 8; i++)
		q[i] = (uint8_t)(v >> (56 - 8 * i));
}

void
dmm_put_bytes(struct dmm_wr *w, const void *src, size_t n)
{
	uint8_t *q = wr_take(w, n);

	if (q != NULL && n > 0)
		memcpy(q, src, n);
}

void
dmm_put_zero(struct dmm_wr *w, size_t n)
{
	uint8_t *q = wr_take(w, n);

	if (q != NULL && n > 0)
		memset(q, 0, n);
}

void
dmm_wr_patch_u8(struct dmm_wr *w, size_t off, uint8_t v)
{
	if (w->overflow || off >= w->off) {
		w->overflow = true;
		return;
	}
	w->p[off] = v;
}

int
dmm_wr_finish(const struct dmm_wr *w)
{
	if (w->overflow || w->off > INT_MAX)
		return DMM_E_NOSPACE;
	return (int)w->off;
}
