/* Unit tests for core/wire.c: the bounds-checked reader and the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static const uint8_t src[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
			       0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

static void
test_rd_values(void **state)
{
	struct dmm_rd r;
	uint8_t u8, b[2];
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	dmm_rd_init(&r, src, sizeof(src));
	assert_int_equal(dmm_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(dmm_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(dmm_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(dmm_get_u64(&r, &u64), 0);
	assert_true(u64 == UINT64_C(0x08090a0b0c0d0e0f));
	assert_int_equal(r.off, 15);
	assert_int_equal(dmm_rd_left(&r), 0);
	assert_int_equal(dmm_get_u8(&r, &u8), DMM_E_SHORT);
	assert_int_equal(dmm_get_bytes(&r, b, 0), 0);
	assert_int_equal(dmm_skip(&r, 0), 0);
}

/* Every getter fails on one byte too few and consumes nothing. */
static void
test_rd_short_consumes_nothing(void **state)
{
	struct dmm_rd r;
	uint8_t u8 = 0xee, b[8];
	uint16_t u16 = 0xeeee;
	uint32_t u32 = 0xeeeeeeee;
	uint64_t u64 = 7;

	(void)state;
	dmm_rd_init(&r, src, sizeof(src));
	assert_int_equal(dmm_skip(&r, 14), 0);
	assert_int_equal(dmm_get_u16(&r, &u16), DMM_E_SHORT);
	assert_int_equal(dmm_get_u32(&r, &u32), DMM_E_SHORT);
	assert_int_equal(dmm_get_u64(&r, &u64), DMM_E_SHORT);
	assert_int_equal(dmm_get_bytes(&r, b, 2), DMM_E_SHORT);
	assert_int_equal(dmm_skip(&r, 2), DMM_E_SHORT);
	assert_int_equal(r.off, 14);
	assert_int_equal(u16, 0xeeee);
	assert_true(u32 == 0xeeeeeeee && u64 == 7);
	assert_int_equal(dmm_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x0f);
	/* Huge skips must not wrap around. */
	dmm_rd_init(&r, src, sizeof(src));
	assert_int_equal(dmm_skip(&r, SIZE_MAX), DMM_E_SHORT);
	assert_int_equal(r.off, 0);
}

static void
test_rd_sub(void **state)
{
	struct dmm_rd r, s;
	uint8_t u8;
	uint32_t u32;

	(void)state;
	dmm_rd_init(&r, src, sizeof(src));
	assert_int_equal(dmm_skip(&r, 2), 0);
	assert_int_equal(dmm_rd_sub(&r, 3, &s), 0);
	assert_int_equal(r.off, 5);
	assert_int_equal(s.off, 0);
	assert_int_equal(dmm_rd_left(&s), 3);
	/* The sub-reader cannot see past its option even though bytes follow. */
	assert_int_equal(dmm_get_u32(&s, &u32), DMM_E_SHORT);
	assert_int_equal(dmm_get_u8(&s, &u8), 0);
	assert_int_equal(u8, 0x03);
	assert_int_equal(dmm_rd_sub(&r, 11, &s), DMM_E_SHORT);
	assert_int_equal(r.off, 5);
	assert_int_equal(dmm_rd_sub(&r, 10, &s), 0);
	assert_int_equal(dmm_rd_left(&r), 0);
}

static void
test_rd_null(void **state)
{
	struct dmm_rd r;
	uint8_t u8;

	(void)state;
	dmm_rd_init(&r, NULL, 100);
	assert_int_equal(dmm_rd_left(&r), 0);
	assert_int_equal(dmm_get_u8(&r, &u8), DMM_E_SHORT);
}

static void
test_wr_bytes(void **state)
{
	static const uint8_t want[] = { 0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
					0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
					'x', 'y', 0, 0, 0 };
	uint8_t buf[32];
	struct dmm_wr w;

	(void)state;
	memset(buf, 0x55, sizeof(buf));
	dmm_wr_init(&w, buf, sizeof(buf));
	dmm_put_u8(&w, 0xab);
	dmm_put_u16(&w, 0x1234);
	dmm_put_u32(&w, 0xdeadbeef);
	dmm_put_u64(&w, UINT64_C(0x0102030405060708));
	dmm_put_bytes(&w, "xy", 2);
	dmm_put_zero(&w, 3);
	assert_int_equal(dmm_wr_finish(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[sizeof(want)], 0x55);
	dmm_wr_patch_u8(&w, 0, 0xcd);
	assert_int_equal(buf[0], 0xcd);
	assert_int_equal(dmm_wr_finish(&w), sizeof(want));
}

/* Overflow is sticky: a later small write that would fit is refused too,
 * and nothing beyond cap is ever written. */
static void
test_wr_overflow_sticky(void **state)
{
	uint8_t buf[8];
	struct dmm_wr w;

	(void)state;
	memset(buf, 0x55, sizeof(buf));
	dmm_wr_init(&w, buf, 4);
	dmm_put_u16(&w, 0x0102);
	dmm_put_u32(&w, 0x03040506);
	assert_true(w.overflow);
	dmm_put_u8(&w, 0x07);
	assert_int_equal(w.off, 2);
	assert_int_equal(dmm_wr_finish(&w), DMM_E_NOSPACE);
	assert_int_equal(buf[2], 0x55);
	assert_int_equal(buf[4], 0x55);

	dmm_wr_init(&w, buf, 4);
	dmm_put_u32(&w, 1);
	assert_int_equal(dmm_wr_finish(&w), 4);
	dmm_put_u8(&w, 1);
	assert_int_equal(dmm_wr_finish(&w), DMM_E_NOSPACE);

	dmm_wr_init(&w, buf, 4);
	dmm_put_u8(&w, 1);
	dmm_wr_patch_u8(&w, 1, 9); /* never written: refused */
	assert_int_equal(dmm_wr_finish(&w), DMM_E_NOSPACE);

	dmm_wr_init(&w, NULL, 100);
	dmm_put_u8(&w, 1);
	assert_int_equal(dmm_wr_finish(&w), DMM_E_NOSPACE);
	dmm_wr_init(&w, buf, 0);
	assert_int_equal(dmm_wr_finish(&w), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_values),
		cmocka_unit_test(test_rd_short_consumes_nothing),
		cmocka_unit_test(test_rd_sub),
		cmocka_unit_test(test_rd_null),
		cmocka_unit_test(test_wr_bytes),
		cmocka_unit_test(test_wr_overflow_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
