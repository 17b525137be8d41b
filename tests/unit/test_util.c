/* Helpers of core/util.c: prefixes, MN identifiers, error, counter,
 * data-plane op and event names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

static const char *pstr(const char *in)
{
	static char buf[DMM_PREFIX_STRLEN];
	struct dmm_prefix p;

	if (dmm_prefix_parse(in, &p) != 0)
		return "ERR";
	return dmm_prefix_str(&p, buf, sizeof(buf));
}

static struct dmm_prefix P(const char *s)
{
	struct dmm_prefix p;

	assert_int_equal(dmm_prefix_parse(s, &p), 0);
	return p;
}

static struct in6_addr A(const char *s)
{
	struct dmm_prefix p = P(s);

	assert_int_equal(p.len, 128);
	return p.addr;
}

static bool in(const struct dmm_prefix *p, const char *s)
{
	struct in6_addr a = A(s);

	return dmm_prefix_contains(p, &a);
}

/* The address part of p, as text. */
static const char *astr(const struct dmm_prefix *p)
{
	static char buf[DMM_PREFIX_STRLEN];
	struct dmm_prefix q = *p;

	q.len = 128;
	dmm_prefix_str(&q, buf, sizeof(buf));
	buf[strlen(buf) - 4] = '\0';
	return buf;
}

static void test_prefix_parse(void **state)
{
	/* canonical text out, host bits zeroed */
	assert_string_equal(pstr("2001:db8::/32"), "2001:db8::/32");
	assert_string_equal(pstr("2001:db8:a:1:2:3:4:5/64"), "2001:db8:a:1::/64");
	assert_string_equal(pstr("2001:DB8::1"), "2001:db8::1/128");
	assert_string_equal(pstr("2001:db8::1/128"), "2001:db8::1/128");
	assert_string_equal(pstr("ffff:ffff::/0"), "::/0");
	assert_string_equal(pstr("::/0"), "::/0");
	/* odd lengths: only the covered bits of the last octet stay */
	assert_string_equal(pstr("2001:db8:ffff::/33"), "2001:db8:8000::/33");
	assert_string_equal(pstr("2001:db8:ffff::/47"), "2001:db8:fffe::/47");
	assert_string_equal(pstr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127"),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	assert_string_equal(pstr("ffff::/1"), "8000::/1");
	assert_string_equal(pstr("ffff::/7"), "fe00::/7");
	assert_string_equal(pstr("::ffff:10.0.0.1/128"), "::ffff:10.0.0.1/128");
}

static void test_prefix_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "/64", "2001:db8::/", "2001:db8::/129", "2001:db8::/-1",
		"2001:db8::/64x", "2001:db8::/6 4", "2001:db8::/ 64", "2001:db8::/+64",
		"2001:db8::/0x10", "2001:db8::/64/64", "2001:db8:::/64", "10.0.0.1/8",
		"2001:db8::1 ", " 2001:db8::1", "hello", "2001:db8::/99999999999999999999",
		"2001:0db8:0000:0000:0000:0000:0000:0000:0000/64", /* too long for the buffer */
	};
	struct dmm_prefix p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		if (dmm_prefix_parse(bad[i], &p) != DMM_E_MALFORMED)
			fail_msg("\"%s\" accepted", bad[i]);
	}
}

static void test_prefix_str_small_buffer(void **state)
{
	struct dmm_prefix p = P("2001:db8:1234::/48");
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(dmm_prefix_str(&p, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2001:db"); /* truncated, still terminated */
}

static void test_prefix_contains(void **state)
{
	struct dmm_prefix all = P("::/0"), host = P("2001:db8::1/128");
	struct dmm_prefix odd = P("2001:db8:8000::/33"), p64 = P("2001:db8:a:1::/64");
	struct dmm_prefix bogus = P("2001:db8::/64");

	assert_true(in(&all, "::"));
	assert_true(in(&all, "ffff::1"));
	assert_true(in(&host, "2001:db8::1"));
	assert_false(in(&host, "2001:db8::2"));
	assert_true(in(&odd, "2001:db8:8000::1"));
	assert_true(in(&odd, "2001:db8:ffff:ffff::"));
	assert_false(in(&odd, "2001:db8:7fff:ffff::"));
	assert_true(in(&p64, "2001:db8:a:1:ffff:ffff:ffff:ffff"));
	assert_false(in(&p64, "2001:db8:a:2::"));
	assert_false(in(&p64, "2001:db8:a::"));
	bogus.len = 129; /* never produced by parse: contains nothing */
	assert_false(in(&bogus, "2001:db8::"));
}

static void test_prefix_eq_mask(void **state)
{
	struct dmm_prefix a = P("2001:db8:a:1::/64"), b = P("2001:db8:a:1::/64");
	struct dmm_prefix c = P("2001:db8:a:1::/63"), d = P("2001:db8:a:2::/64");
	struct dmm_prefix m;

	assert_true(dmm_prefix_eq(&a, &b));
	assert_false(dmm_prefix_eq(&a, &c)); /* same address, other length */
	assert_false(dmm_prefix_eq(&a, &d));
	a = P("::/0");
	b = P("::/0");
	assert_true(dmm_prefix_eq(&a, &b));

	m = (struct dmm_prefix){ .addr = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .len = 0 };
	dmm_prefix_mask(&m);
	assert_string_equal(astr(&m), "::");
	m = (struct dmm_prefix){ .addr = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .len = 128 };
	dmm_prefix_mask(&m);
	assert_string_equal(astr(&m), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	m = (struct dmm_prefix){ .addr = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .len = 9 };
	dmm_prefix_mask(&m);
	assert_string_equal(astr(&m), "ff80::");
	m = (struct dmm_prefix){ .addr = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .len = 64 };
	dmm_prefix_mask(&m);
	assert_string_equal(astr(&m), "ffff:ffff:ffff:ffff::");
}

static const char *mnid_round(const char *in, int *type)
{
	static char buf[DMM_MNID_STRLEN];
	struct dmm_mnid m;

	if (dmm_mnid_parse(in, &m) != 0)
		return "ERR";
	*type = m.type;
	return dmm_mnid_str(&m, buf, sizeof(buf));
}

static void test_mnid_parse(void **state)
{
	struct dmm_mnid m;
	int type = 0;

	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:01", &m), 0);
	assert_int_equal(m.type, DMM_MNID_EUI48);
	assert_int_equal(m.len, 6);
	assert_memory_equal(m.id, "\x02\x00\x00\x00\x00\x01", 6);
	assert_string_equal(mnid_round("02:AB:cd:00:ff:10", &type), "02:ab:cd:00:ff:10");
	assert_int_equal(type, DMM_MNID_EUI48);

	assert_int_equal(dmm_mnid_parse("00:11:22:33:44:55:66:77", &m), 0);
	assert_int_equal(m.type, DMM_MNID_EUI64);
	assert_int_equal(m.len, 8);
	assert_memory_equal(m.id, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	assert_string_equal(mnid_round("00:11:22:33:44:55:66:77", &type),
			    "00:11:22:33:44:55:66:77");
	assert_int_equal(type, DMM_MNID_EUI64);

	/* anything else is an NAI, kept as written */
	static const char *const nai[] = {
		"mn1@example.net", "02:00:00:00:00", "02:00:00:00:00:00:01",
		"02:00:00:00:00:01:", ":02:00:00:00:00:01", "02:00:00:00:00:001",
		"2:00:00:00:00:01", "02-00-00-00-00-01", "00:11:22:33:44:55:66:77:88",
		"+2:00:00:00:00:01", "0x:00:00:00:00:01", "g0:00:00:00:00:01",
		"x", "a%25b", "%202:00:00:00:00:01",
	};
	for (size_t i = 0; i < sizeof(nai) / sizeof(nai[0]); i++) {
		const char *out = mnid_round(nai[i], &type);
		if (type != DMM_MNID_NAI || strcmp(out, nai[i]) != 0)
			fail_msg("\"%s\" -> type %d \"%s\"", nai[i], type, out);
	}
}

static void test_mnid_bad_and_long(void **state)
{
	char s[DMM_MNID_MAX + 2];
	struct dmm_mnid m;

	assert_int_equal(dmm_mnid_parse("", &m), DMM_E_MALFORMED);
	memset(s, 'a', DMM_MNID_MAX);
	s[DMM_MNID_MAX] = '\0';
	assert_int_equal(dmm_mnid_parse(s, &m), 0); /* exactly the maximum */
	assert_int_equal(m.type, DMM_MNID_NAI);
	assert_int_equal(m.len, DMM_MNID_MAX);
	s[DMM_MNID_MAX] = 'a';
	s[DMM_MNID_MAX + 1] = '\0';
	assert_int_equal(dmm_mnid_parse(s, &m), DMM_E_MALFORMED);
}

static void test_mnid_str_and_eq(void **state)
{
	struct dmm_mnid a, b;
	char buf[DMM_MNID_STRLEN], small[9];

	dmm_mnid_parse("02:00:00:00:00:01", &a);
	dmm_mnid_parse("02:00:00:00:00:01", &b);
	assert_true(dmm_mnid_eq(&a, &b));
	b.id[5] = 2;
	assert_false(dmm_mnid_eq(&a, &b));
	dmm_mnid_parse("02:00:00:00:00:01:00:00", &b); /* EUI-64 with the same start */
	assert_false(dmm_mnid_eq(&a, &b));
	/* truncation never overruns and always terminates */
	memset(small, 'x', sizeof(small));
	dmm_mnid_str(&a, small, sizeof(small));
	assert_string_equal(small, "02:00:00");
	memset(small, 'x', sizeof(small));
	dmm_mnid_parse("a-rather-long-nai@example.net", &b);
	dmm_mnid_str(&b, small, sizeof(small));
	assert_string_equal(small, "a-rather");
	assert_ptr_equal(dmm_mnid_str(&a, buf, 0), buf);
	/* the longest identifier fits DMM_MNID_STRLEN as hex */
	memset(&b, 0, sizeof(b));
	b.type = DMM_MNID_EUI64;
	b.len = DMM_MNID_MAX;
	memset(b.id, 0xab, DMM_MNID_MAX);
	dmm_mnid_str(&b, buf, sizeof(buf));
	assert_int_equal(strlen(buf), DMM_MNID_MAX * 3 - 1);
}

/* NAI bytes come from peers: no space, control character, non-ASCII byte
 * or NUL reaches a log line or a "show" line as itself; %hh parses back. */
static void test_mnid_nai_escaped(void **state)
{
	struct dmm_mnid m = { .type = DMM_MNID_NAI, .len = 11 }, back;
	char buf[DMM_MNID_STRLEN], small[8];

	memcpy(m.id, "a b\n\x1b[2J\0%\xff", 11);
	dmm_mnid_str(&m, buf, sizeof(buf));
	assert_string_equal(buf, "a%20b%0a%1b[2J%00%25%ff");
	assert_int_equal(dmm_mnid_parse(buf, &back), 0);
	assert_true(dmm_mnid_eq(&m, &back));
	/* the longest, all escaped, fits DMM_MNID_STRLEN */
	m.len = DMM_MNID_MAX;
	memset(m.id, '\n', DMM_MNID_MAX);
	dmm_mnid_str(&m, buf, sizeof(buf));
	assert_int_equal(strlen(buf), DMM_MNID_MAX * 3);
	assert_int_equal(dmm_mnid_parse(buf, &back), 0);
	assert_true(dmm_mnid_eq(&m, &back));
	/* truncation never splits an escape */
	memcpy(m.id, "ab\ncd", 5);
	m.len = 5;
	memset(small, 'x', sizeof(small));
	dmm_mnid_str(&m, small, 5);
	assert_string_equal(small, "ab");
	dmm_mnid_str(&m, small, 6);
	assert_string_equal(small, "ab%0a");
	/* bad escapes, and more than DMM_MNID_MAX bytes once decoded */
	assert_int_equal(dmm_mnid_parse("a%", &back), DMM_E_MALFORMED);
	assert_int_equal(dmm_mnid_parse("a%4", &back), DMM_E_MALFORMED);
	assert_int_equal(dmm_mnid_parse("a%zz", &back), DMM_E_MALFORMED);
	assert_int_equal(dmm_mnid_parse("%41", &back), 0);
	assert_int_equal(back.len, 1);
	assert_int_equal(back.id[0], 'A');
}

static void test_strerror_all(void **state)
{
	const char *seen[32] = { 0 };

	for (int e = DMM_OK; e >= DMM_E_DENIED; e--) {
		const char *s = dmm_strerror(e);
		assert_non_null(s);
		if (strcmp(s, "unknown error") == 0)
			fail_msg("error %d has no text", e);
		for (int j = 0; j < -e; j++)
			if (strcmp(seen[j], s) == 0)
				fail_msg("errors %d and %d share \"%s\"", -j, e, s);
		seen[-e] = s;
	}
	assert_string_equal(dmm_strerror(DMM_E_DENIED - 1), "unknown error");
	assert_string_equal(dmm_strerror(1), "unknown error");
	assert_string_equal(dmm_strerror(DMM_E_STALE), "timestamp outside the validity window");
}

/* Every value of a name table has a distinct, non-"?" name; out of range is "?". */
static void names_complete(const char *(*name)(int), int count)
{
	for (int i = 0; i < count; i++) {
		const char *s = name(i);
		if (!s || !*s || strcmp(s, "?") == 0)
			fail_msg("value %d has no name", i);
		for (int j = 0; j < i; j++)
			if (strcmp(name(j), s) == 0)
				fail_msg("values %d and %d share \"%s\"", j, i, s);
	}
	assert_string_equal(name(count), "?");
	assert_string_equal(name(-1), "?");
}

static const char *counter_name(int i) { return dmm_counter_name((enum dmm_counter)i); }
static const char *dp_name(int i) { return dmm_dp_kind_name((enum dmm_dp_kind)i); }
static const char *event_name(int i) { return dmm_event_name((enum dmm_event_kind)i); }

static void test_names(void **state)
{
	names_complete(counter_name, DMM_C_COUNT);
	names_complete(dp_name, DMM_DP_KIND_COUNT);
	names_complete(event_name, DMM_EV_KIND_COUNT);
	/* spot checks: the names are what dmmctl and the event log print */
	assert_string_equal(dmm_counter_name(DMM_C_RX), "rx");
	assert_string_equal(dmm_counter_name(DMM_C_DUP_REQUEST), "dup_request");
	assert_string_equal(dmm_counter_name(DMM_C_CTX_DELETED), "ctx_deleted");
	assert_string_equal(dmm_dp_kind_name(DMM_DP_TUNNEL_ADD), "tunnel_add");
	assert_string_equal(dmm_dp_kind_name(DMM_DP_ADVERTISE), "advertise");
	assert_string_equal(dmm_event_name(DMM_EV_ATTACH), "attach");
	assert_string_equal(dmm_event_name(DMM_EV_HOA_RELEASED), "hoa_released");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_parse_bad),
		cmocka_unit_test(test_prefix_str_small_buffer),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_prefix_eq_mask),
		cmocka_unit_test(test_mnid_parse),
		cmocka_unit_test(test_mnid_bad_and_long),
		cmocka_unit_test(test_mnid_str_and_eq),
		cmocka_unit_test(test_mnid_nai_escaped),
		cmocka_unit_test(test_strerror_all),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
