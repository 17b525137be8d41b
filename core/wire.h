/* dmm core: the one bounds-checked reader and the one writer every wire
 * codec uses. Network byte order throughout. A read that does not fit
 * fails with DMM_E_SHORT and consumes nothing; a write that does not fit
 * sets a sticky overflow flag that dmm_wr_finish reports as DMM_E_NOSPACE,
 * so encoders write straight through and check once at the end. */
#ifndef DMM_WIRE_H
#define DMM_WIRE_H

#include "types.h"

struct dmm_rd {
	const uint8_t *p;
	size_t len; /* bytes readable from p */
	size_t off; /* bytes consumed so far */
};

void dmm_rd_init(struct dmm_rd *r, const uint8_t *p, size_t len);
size_t dmm_rd_left(const struct dmm_rd *r);
/* Each returns 0 or DMM_E_SHORT (and then r is unchanged). */
int dmm_get_u8(struct dmm_rd *r, uint8_t *v);
int dmm_get_u16(struct dmm_rd *r, uint16_t *v);
int dmm_get_u32(struct dmm_rd *r, uint32_t *v);
int dmm_get_u64(struct dmm_rd *r, uint64_t *v);
int dmm_get_bytes(struct dmm_rd *r, void *dst, size_t n);
int dmm_skip(struct dmm_rd *r, size_t n);
/* Carve the next n bytes off r into sub (an option's body): 0 or
 * DMM_E_SHORT. sub->off counts from the start of the carved bytes. */
int dmm_rd_sub(struct dmm_rd *r, size_t n, struct dmm_rd *sub);

struct dmm_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool overflow; /* sticky: once set, nothing more is written */
};

void dmm_wr_init(struct dmm_wr *w, uint8_t *p, size_t cap);
void dmm_put_u8(struct dmm_wr *w, uint8_t v);
void dmm_put_u16(struct dmm_wr *w, uint16_t v);
void dmm_put_u32(struct dmm_wr *w, uint32_t v);
void dmm_put_u64(struct dmm_wr *w, uint64_t v);
void dmm_put_bytes(struct dmm_wr *w, const void *src, size_t n);
void dmm_put_zero(struct dmm_wr *w, size_t n);
/* Overwrite one byte already written (a length field known only at the
 * end); sets overflow if off was never written. */
void dmm_wr_patch_u8(struct dmm_wr *w, size_t off, uint8_t v);
/* Bytes written, or DMM_E_NOSPACE if anything did not fit. */
int dmm_wr_finish(const struct dmm_wr *w);

#endif
