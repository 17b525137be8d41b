/* Unit tests for core/msg.c: round trips of every message type, exact wire
 * bytes per MH type (hand-written from the RFC layouts, see PROTOCOL.md),
 * and the decoder's refusals. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "msg.h"
#include "wire.h"

#define F_ALL (DMM_F_ACK_REQ | DMM_F_PROXY | DMM_F_DEPRECATE | DMM_F_SUBSCRIBE | \
	       DMM_F_BY_MNID | DMM_F_FIXED | DMM_F_REPLICA | DMM_F_HANDOVER)
#define P_BASE (DMM_P_MNID | DMM_P_HNP | DMM_P_TIMESTAMP | DMM_P_LOCATION | \
		DMM_P_PREV_LOCATION | DMM_P_HOME)

static struct in6_addr
ip(const char *s)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* What each type can carry, as documented in PROTOCOL.md. */
static uint32_t
carried(enum dmm_msg_type t)
{
	switch (t) {
	case DMM_MSG_HOA_REQ:
	case DMM_MSG_HOA_REP:
	case DMM_MSG_LOC_UPDATE:
	case DMM_MSG_LOC_ACK:
	case DMM_MSG_CTX_ACK:
		return P_BASE | DMM_P_HANDOFF;
	case DMM_MSG_CTX_REQ: /* origin: relayed by an LM for the nMR */
		return P_BASE | DMM_P_HANDOFF | DMM_P_ORIGIN;
	case DMM_MSG_LOC_QUERY:
	case DMM_MSG_LOC_REPLY:
		return P_BASE | DMM_P_TARGET;
	case DMM_MSG_LM_FWD:
	case DMM_MSG_LM_FWD_REPLY:
		return P_BASE | DMM_P_HANDOFF | DMM_P_TARGET | DMM_P_ORIGIN;
	default:
		return P_BASE;
	}
}

static bool
has_status(enum dmm_msg_type t)
{
	return !dmm_msg_is_request(t) || t == DMM_MSG_LOC_QUERY || t == DMM_MSG_LM_FWD;
}

static bool
has_code(enum dmm_msg_type t)
{
	return t == DMM_MSG_CTX_REQ || t == DMM_MSG_LM_NOTIFY || t == DMM_MSG_LOC_QUERY ||
	       t == DMM_MSG_LOC_REPLY || t == DMM_MSG_LM_FWD || t == DMM_MSG_LM_FWD_REPLY;
}

/* Every field the type carries set to a distinctive value. */
static void
full_msg(enum dmm_msg_type t, struct dmm_msg *m)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->type = t;
	m->seq = (uint16_t)(0xfe00 + t);
	m->flags = F_ALL;
	m->present = carried(t);
	m->status = has_status(t) ? DMM_ST_NO_RESOURCES : 0;
	m->code = has_code(t) ? 3 : 0;
	if (t == DMM_MSG_LM_FWD || t == DMM_MSG_LM_FWD_REPLY)
		m->code = DMM_MSG_LOC_UPDATE;
	m->lifetime = (t == DMM_MSG_REDIRECT || t == DMM_MSG_REDIRECT_ACK) ? 0xfffe : 3600;
	if (t == DMM_MSG_LOC_QUERY || t == DMM_MSG_LOC_REPLY || t == DMM_MSG_LM_FWD ||
	    t == DMM_MSG_LM_FWD_REPLY || t == DMM_MSG_CTX_REQ)
		m->lifetime = 0x12345678; /* 32-bit fixed field or DMM option */
	m->mnid.type = DMM_MNID_NAI;
	m->mnid.len = DMM_MNID_MAX;
	for (i = 0; i < DMM_MNID_MAX; i++)
		m->mnid.id[i] = (uint8_t)('a' + i % 26);
	m->n_hnp = DMM_MAX_HNP;
	for (i = 0; i < DMM_MAX_HNP; i++) {
		m->hnp[i].addr = ip("2001:db8:1::");
		m->hnp[i].addr.s6_addr[7] = (uint8_t)i;
		m->hnp[i].len = (uint8_t)(56 + i * 8);
	}
	if (m->present & DMM_P_HANDOFF)
		m->handoff = DMM_HI_SAME_IFACE;
	m->location = ip("2001:db8:ffff::3");
	m->prev_location = ip("2001:db8:ffff::4");
	m->home = ip("2001:db8:ffff::5");
	if (m->present & DMM_P_TARGET)
		m->target = ip("2001:db8:1:1::abcd");
	if (m->present & DMM_P_ORIGIN) {
		m->origin = ip("2001:db8:ffff::6");
		m->origin_seq = 0xbeef;
	}
	m->timestamp = dmm_ts_from_ms(UINT64_C(1700000000123));
}

/* The least a type needs: its mandatory options only. */
static void
min_msg(enum dmm_msg_type t, struct dmm_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	m->seq = 1;
	if (t == DMM_MSG_HOA_REQ || t == DMM_MSG_HOA_REP || t == DMM_MSG_LOC_UPDATE ||
	    t == DMM_MSG_LOC_ACK)
		m->flags = DMM_F_PROXY; /* always on the wire for PBU/PBA */
	if (t == DMM_MSG_LM_FWD || t == DMM_MSG_LM_FWD_REPLY)
		m->code = DMM_MSG_LOC_QUERY;
	switch (t) {
	case DMM_MSG_HOA_REQ:
	case DMM_MSG_CTX_REQ:
		m->present = DMM_P_MNID;
		m->mnid.type = DMM_MNID_EUI48;
		m->mnid.len = 6;
		m->mnid.id[0] = 2;
		m->mnid.id[5] = 1;
		break;
	case DMM_MSG_REDIRECT:
		m->present = DMM_P_LOCATION;
		m->location = ip("2001:db8:ffff::3");
		/* fall through */
	case DMM_MSG_LOC_UPDATE:
	case DMM_MSG_LM_NOTIFY:
		m->present |= DMM_P_HNP;
		m->n_hnp = 1;
		m->hnp[0].addr = ip("2001:db8:1:1::");
		m->hnp[0].len = 64;
		break;
	case DMM_MSG_LOC_QUERY:
		m->present = DMM_P_TARGET;
		m->target = ip("2001:db8:1:1::1");
		break;
	case DMM_MSG_LM_FWD:
		m->present = DMM_P_ORIGIN;
		m->origin = ip("2001:db8:ffff::6");
		break;
	default:
		break;
	}
}

static void
assert_msg_equal(const struct dmm_msg *a, const struct dmm_msg *b)
{
	unsigned i;

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->code, b->code);
	assert_int_equal(a->lifetime, b->lifetime);
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->mnid.type, b->mnid.type);
	assert_int_equal(a->mnid.len, b->mnid.len);
	assert_memory_equal(a->mnid.id, b->mnid.id, DMM_MNID_MAX);
	assert_int_equal(a->n_hnp, b->n_hnp);
	for (i = 0; i < DMM_MAX_HNP; i++) {
		assert_memory_equal(&a->hnp[i].addr, &b->hnp[i].addr, 16);
		assert_int_equal(a->hnp[i].len, b->hnp[i].len);
	}
	assert_int_equal(a->n_phl, b->n_phl);
	for (i = 0; i < a->n_phl; i++) {
		assert_memory_equal(&a->phl[i].addr, &b->phl[i].addr, 16);
		assert_int_equal(a->phl[i].len, b->phl[i].len);
	}
	assert_int_equal(a->handoff, b->handoff);
	assert_memory_equal(&a->location, &b->location, 16);
	assert_memory_equal(&a->prev_location, &b->prev_location, 16);
	assert_memory_equal(&a->home, &b->home, 16);
	assert_memory_equal(&a->target, &b->target, 16);
	assert_memory_equal(&a->origin, &b->origin, 16);
	assert_int_equal(a->origin_seq, b->origin_seq);
	assert_true(a->timestamp == b->timestamp);
	assert_int_equal(a->key_id, b->key_id);
	assert_memory_equal(a->mac, b->mac, DMM_MAC_LEN);
}

/* Decode from an exact-size heap copy so ASan sees any over-read. */
static int
decode_copy(const uint8_t *buf, size_t len, struct dmm_msg *m, struct dmm_msg_span *sp)
{
	uint8_t *c = malloc(len ? len : 1);
	int rc;

	assert_non_null(c);
	memcpy(c, buf, len);
	rc = dmm_msg_decode_span(c, len, m, sp);
	free(c);
	return rc;
}

static void
roundtrip(const struct dmm_msg *in)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg out;
	struct dmm_msg_span sp;
	int len;

	len = dmm_msg_encode(in, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(len % 8, 0);
	assert_int_equal(buf[1], len / 8 - 1);
	assert_int_equal(decode_copy(buf, (size_t)len, &out, &sp), 0);
	assert_int_equal(sp.mac_off, 0);
	assert_msg_equal(in, &out);
	/* the span gives the Timestamp's value (the reply cache zeroes it) */
	if (in->present & DMM_P_TIMESTAMP) {
		uint64_t ts = 0;
		assert_true(sp.ts_off >= 6 && sp.ts_off + 8 <= (size_t)len); /* after the 6-byte MH header */
		for (unsigned i = 0; i < 8; i++)
			ts = ts << 8 | buf[sp.ts_off + i];
		assert_int_equal(ts, in->timestamp);
	} else {
		assert_int_equal(sp.ts_off, 0);
	}
}

static void
test_roundtrip_full(void **state)
{
	struct dmm_msg m;
	int t;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		full_msg(t, &m);
		roundtrip(&m);
	}
}

/* A per-host locator for each of m's HNPs. */
static void
add_phls(struct dmm_msg *m)
{
	m->present |= DMM_P_PHL;
	m->n_phl = m->n_hnp;
	for (unsigned i = 0; i < m->n_hnp; i++) {
		m->phl[i] = m->hnp[i];
		m->phl[i].addr.s6_addr[4] = 0xa1;
	}
}

/* Binding versions (XO_VER): like XO_PHL, one per HNP on every type but
 * HOA_REQ/REP; 4 HNPs, 4 PHLs and 4 VERs fit with every other option a
 * type has, sealed. The option's bytes, and the refusals: more VERs than
 * HNPs, VER without HNP, a short option, a fifth. */
static void
test_ver(void **state)
{
	static const uint8_t opt[] = { 0x12, 3, 10, 0x12, 0x34 };
	uint8_t buf[DMM_MSG_MAX], b[DMM_MSG_MAX];
	struct dmm_msg m, out;
	struct dmm_msg_span sp;
	int t, len;
	size_t i;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		full_msg(t, &m);
		add_phls(&m);
		m.present |= DMM_P_VER;
		m.n_ver = DMM_MAX_HNP;
		for (i = 0; i < DMM_MAX_HNP; i++)
			m.ver[i] = (uint16_t)(0xfff0 + i);
		len = dmm_msg_encode(&m, buf, sizeof(buf));
		if (t == DMM_MSG_HOA_REQ || t == DMM_MSG_HOA_REP) {
			assert_int_equal(len, DMM_E_MALFORMED);
			continue;
		}
		roundtrip(&m);
		len = dmm_msg_encode_auth(&m, 1, buf, sizeof(buf), &i);
		assert_true(len > 0);
		assert_int_equal(decode_copy(buf, (size_t)len, &out, &sp), 0);
		assert_int_equal(out.n_ver, DMM_MAX_HNP);
		assert_int_equal(out.ver[3], 0xfff3);
	}

	min_msg(DMM_MSG_LOC_QUERY, &m); /* HNP not mandatory there */
	m.present |= DMM_P_HNP | DMM_P_VER;
	m.n_hnp = 1;
	m.hnp[0] = (struct dmm_prefix){ ip("2001:db8:1:1200::"), 64 };
	m.n_ver = 1;
	m.ver[0] = 0x1234;
	len = dmm_msg_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	for (i = 0; i + sizeof(opt) <= (size_t)len; i++)
		if (memcmp(buf + i, opt, sizeof(opt)) == 0)
			break;
	assert_true(i + sizeof(opt) <= (size_t)len);
	assert_int_equal(decode_copy(buf, (size_t)len, &out, &sp), 0);
	assert_int_equal(out.n_ver, 1);
	assert_int_equal(out.ver[0], 0x1234);
	/* a short option */
	memcpy(b, buf, (size_t)len);
	b[i + 1] = 2;
	assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), DMM_E_MALFORMED);
	/* its HNP dropped (HNP 16 18 ...: the option made PadN of the same
	 * length): a VER without HNP */
	memcpy(b, buf, (size_t)len);
	for (size_t k = 0; k + 20 <= (size_t)len; k++)
		if (b[k] == 0x16 && b[k + 1] == 18) {
			b[k] = 1; /* PadN, its 18 bytes zero */
			memset(b + k + 2, 0, 18);
			break;
		}
	assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), DMM_E_MALFORMED);
	b[i] = 1; /* the same with the VER made padding too: fine */
	memset(b + i + 2, 0, 3);
	assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), 0);
	/* the encoder: more versions than prefixes, versions without prefixes */
	m.n_ver = 2;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	m.n_ver = 0;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	m.present &= ~(uint32_t)DMM_P_HNP;
	m.n_hnp = 0;
	m.n_ver = 1;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
}

/* Per-host locators (XO_PHL, routing locator): every type but HOA_REQ/REP
 * carries one per HNP, in HNP order; 4 HNPs + 4 PHLs fit with every other
 * option a type has. */
static void
test_phl(void **state)
{
	static const uint8_t opt[] = { 0x12, 18, 9, 64, 0x20, 0x01, 0x0d, 0xb8, 0xa1, 0x1a,
				       0x70, 0xe6, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m, out;
	struct dmm_msg_span sp;
	int t, len;
	size_t i;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		full_msg(t, &m);
		add_phls(&m);
		m.phl[2].len = 0; /* none for that prefix */
		memset(&m.phl[2].addr, 0, 16);
		len = dmm_msg_encode(&m, buf, sizeof(buf));
		if (t == DMM_MSG_HOA_REQ || t == DMM_MSG_HOA_REP) {
			assert_int_equal(len, DMM_E_MALFORMED);
			continue;
		}
		roundtrip(&m);
		/* with the authenticator too */
		len = dmm_msg_encode_auth(&m, 1, buf, sizeof(buf), &i);
		assert_true(len > 0);
	}

	/* the option's bytes: 12 len 9 plen prefix[16] */
	min_msg(DMM_MSG_REDIRECT, &m);
	m.hnp[0] = (struct dmm_prefix){ ip("2001:db8:1:1200::"), 64 };
	m.present |= DMM_P_PHL;
	m.n_phl = 1;
	m.phl[0] = (struct dmm_prefix){ ip("2001:db8:a11a:70e6::"), 64 };
	len = dmm_msg_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	for (i = 0; i + sizeof(opt) <= (size_t)len; i++)
		if (memcmp(buf + i, opt, sizeof(opt)) == 0)
			break;
	assert_true(i + sizeof(opt) <= (size_t)len);
	assert_int_equal(decode_copy(buf, (size_t)len, &out, &sp), 0);
	{
		struct dmm_prefix got = dmm_msg_phl_of(&out, &m.hnp[0]);
		assert_int_equal(got.len, 64);
		assert_memory_equal(&got.addr, &m.phl[0].addr, 16);
		struct dmm_prefix other = { ip("2001:db8:1:1300::"), 64 };
		assert_int_equal(dmm_msg_phl_of(&out, &other).len, 0);
	}
	/* decoder refusals, each from the good bytes */
	{
		uint8_t b[DMM_MSG_MAX];
		memcpy(b, buf, (size_t)len);
		b[i + 3] = 63; /* not as long as its HNP */
		assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), DMM_E_MALFORMED);
		b[i + 3] = 129;
		assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), DMM_E_MALFORMED);
		memcpy(b, buf, (size_t)len);
		b[i + 1] = 17; /* short option */
		assert_int_equal(decode_copy(b, (size_t)len, &out, &sp), DMM_E_MALFORMED);
	}
	/* the encoder: more locators than prefixes, a length mismatch, a
	 * locator without prefixes */
	m.n_phl = 2;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	m.n_phl = 1;
	m.phl[0].len = 56;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	min_msg(DMM_MSG_LOC_QUERY, &m);
	m.present |= DMM_P_PHL;
	m.n_phl = 1;
	m.phl[0] = (struct dmm_prefix){ ip("2001:db8:a11a:70e6::"), 64 };
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	/* a decoded message with more locators than prefixes: LOC_UPDATE
	 * with one HNP, its XO_PHL twice */
	min_msg(DMM_MSG_LOC_UPDATE, &m);
	m.present |= DMM_P_PHL;
	m.n_phl = 1;
	m.phl[0] = (struct dmm_prefix){ ip("2001:db8:a11a:70e6::"), 64 };
	len = dmm_msg_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	for (i = 0; i + 3 < (size_t)len; i++)
		if (buf[i] == 0x12 && buf[i + 1] == 18 && buf[i + 2] == 9)
			break;
	{
		uint8_t b[DMM_MSG_MAX];
		size_t n = (size_t)len;
		memcpy(b, buf, i + 20);
		memcpy(b + i + 20, buf + i, 20); /* the option again */
		memcpy(b + i + 40, buf + i + 20, n - i - 20);
		n += 20;
		while (n % 8) /* PadN to a multiple of 8 */
			b[n++] = 0;
		b[n - 4] = 1, b[n - 3] = 2; /* PadN 2 + 2 zero bytes (n was +20) */
		b[1] = (uint8_t)(n / 8 - 1);
		assert_int_equal(decode_copy(b, n, &out, &sp), DMM_E_MALFORMED);
	}
	/* HOA_REQ may not carry one: the same LOC_UPDATE as an HAA request */
	for (i = 0; i + 3 < (size_t)len; i++)
		if (buf[i] == 0x12 && buf[i + 1] == 2 && buf[i + 2] == 1)
			break;
	assert_true(i + 3 < (size_t)len);
	buf[i + 3] = 1;
	assert_int_equal(decode_copy(buf, (size_t)len, &out, &sp), DMM_E_MALFORMED);
}

static void
test_roundtrip_min(void **state)
{
	struct dmm_msg m;
	int t;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		min_msg(t, &m);
		roundtrip(&m);
	}
}

/* Single flags and both MN-ID link-layer forms, across all types. */
static void
test_roundtrip_variants(void **state)
{
	struct dmm_msg m;
	unsigned f;
	int t;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		for (f = 0; f < 8; f++) {
			full_msg(t, &m);
			m.flags = (uint16_t)(1u << f);
			if (m.type <= DMM_MSG_LOC_ACK)
				m.flags |= DMM_F_PROXY;
			m.mnid.type = f % 2 ? DMM_MNID_EUI64 : DMM_MNID_EUI48;
			m.mnid.len = f % 2 ? 8 : 6;
			memset(m.mnid.id + m.mnid.len, 0, DMM_MNID_MAX - m.mnid.len);
			m.n_hnp = (uint8_t)(1 + f % DMM_MAX_HNP);
			memset(&m.hnp[m.n_hnp], 0, sizeof(m.hnp[0]) * (DMM_MAX_HNP - m.n_hnp));
			m.lifetime = 0;
			roundtrip(&m);
		}
	}
}

/* PBU/PBA lifetimes travel in 4-second units: rounded up, clamped. */
static void
test_lifetime_units(void **state)
{
	static const uint32_t in[] = { 0, 1, 4, 5, 3600, 0x3fffc, 0x3fffd, 0xffffffff };
	static const uint32_t out[] = { 0, 4, 4, 8, 3600, 0x3fffc, 0x3fffc, 0x3fffc };
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m, d;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		min_msg(DMM_MSG_HOA_REQ, &m);
		m.lifetime = in[i];
		assert_true(dmm_msg_encode(&m, buf, sizeof(buf)) > 0);
		assert_int_equal(dmm_msg_decode(buf, 32, &d), 0);
		assert_int_equal(d.lifetime, out[i]);
	}
	/* LRI counts seconds in 16 bits: clamped to 0xffff (infinite). */
	min_msg(DMM_MSG_REDIRECT, &m);
	m.lifetime = 100000;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), 56);
	assert_int_equal(dmm_msg_decode(buf, 56, &d), 0);
	assert_int_equal(d.lifetime, 0xffff);
}

static void
test_auth_option(void **state)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m, d;
	struct dmm_msg_span sp;
	size_t mac_off = 0;
	int t, len;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		full_msg(t, &m);
		m.present |= DMM_P_AUTH; /* ignored by the encoder */
		len = dmm_msg_encode_auth(&m, 0x01020304, buf, sizeof(buf), &mac_off);
		assert_true(len > 0);
		assert_int_equal(len % 8, 0);
		/* The option is the very last thing: 18, 37, 8, key id, MAC. */
		assert_int_equal(mac_off + DMM_MAC_LEN, (size_t)len);
		assert_int_equal(buf[mac_off - 7], 18);
		assert_int_equal(buf[mac_off - 6], 37);
		assert_int_equal(buf[mac_off - 5], 8);
		assert_int_equal(buf[mac_off - 4], 1);
		assert_int_equal(buf[mac_off - 1], 4);
		memset(buf + mac_off, 0xa5, DMM_MAC_LEN);
		assert_int_equal(decode_copy(buf, (size_t)len, &d, &sp), 0);
		assert_int_equal(sp.mac_off, mac_off);
		m.key_id = 0x01020304;
		memset(m.mac, 0xa5, DMM_MAC_LEN);
		assert_msg_equal(&m, &d);
		/* Without room for the option: no space, whatever is short. */
		assert_int_equal(dmm_msg_encode_auth(&m, 1, buf, (size_t)len - 1, &mac_off),
				 DMM_E_NOSPACE);
	}
}

/* ---- exact bytes, one message per MH type ---- */

static void
expect_bytes(const struct dmm_msg *m, const uint8_t *want, size_t n)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg d;
	struct dmm_msg_span sp;

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(dmm_msg_encode(m, buf, sizeof(buf)), (int)n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(decode_copy(want, n, &d, &sp), 0);
	assert_msg_equal(m, &d);
}

#define HNP_2001_DB8_1_1 0x16, 0x12, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, \
	0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0

static const uint8_t pbu_bytes[] = {
	0x3b, 0x03, 0x05, 0x00, 0x00, 0x00,     /* MH: proto 59, len 3, BU */
	0x12, 0x34, 0x82, 0x00, 0x03, 0x84,     /* seq, A|P, 900 x 4 s */
	0x12, 0x02, 0x01, 0x01,                 /* Exp opt: function = HAA */
	0x08, 0x07, 0x05, 0x02, 0, 0, 0, 0, 0x01, /* MN-ID EUI-48 */
	0x01, 0x05, 0, 0, 0, 0, 0,              /* PadN to 32 */
};

static void
test_bytes_pbu(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_HOA_REQ, &m);
	m.seq = 0x1234;
	m.flags |= DMM_F_ACK_REQ;
	m.lifetime = 3600;
	expect_bytes(&m, pbu_bytes, sizeof(pbu_bytes));
}

static const uint8_t pba_bytes[] = {
	0x3b, 0x04, 0x06, 0x00, 0x00, 0x00,
	0x00, 0x20, 0x01, 0x02, 0x00, 0x0a, /* status 0, P, seq, 10 x 4 s */
	0x12, 0x02, 0x01, 0x02,             /* function = LM */
	0x01, 0x02, 0x00, 0x00,             /* PadN: HNP at 8n+4 */
	HNP_2001_DB8_1_1,
};

static void
test_bytes_pba(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_LOC_ACK, &m);
	m.seq = 0x0102;
	m.lifetime = 40;
	m.present = DMM_P_HNP;
	m.n_hnp = 1;
	m.hnp[0].addr = ip("2001:db8:1:1::");
	m.hnp[0].len = 64;
	expect_bytes(&m, pba_bytes, sizeof(pba_bytes));
}

static const uint8_t exp_bytes[] = {
	0x3b, 0x04, 0x0b, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x07, 0x00, 0x08, /* LOC_QUERY, status, seq 7, SUBSCRIBE */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* code, reserved, lifetime 0 */
	0x12, 0x11, 0x05,                   /* Exp opt: target */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x01, 0x01, 0x00,                   /* PadN to 40 */
};

static void
test_bytes_exp(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_LOC_QUERY, &m);
	m.seq = 7;
	m.flags = DMM_F_SUBSCRIBE;
	m.target = ip("2001:db8::1");
	expect_bytes(&m, exp_bytes, sizeof(exp_bytes));
}

static const uint8_t hi_bytes[] = {
	0x3b, 0x01, 0x0e, 0x00, 0x00, 0x00,
	0x00, 0x09, 0x00, 0x01,       /* seq 9, S=U=0, code 1 */
	0x08, 0x03, 0x01, 'a', 'b',   /* MN-ID NAI "ab" */
	0x00,                         /* Pad1 */
};

static void
test_bytes_hi(void **state)
{
	struct dmm_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = DMM_MSG_CTX_REQ;
	m.seq = 9;
	m.code = 1;
	m.present = DMM_P_MNID;
	m.mnid.type = DMM_MNID_NAI;
	m.mnid.len = 2;
	memcpy(m.mnid.id, "ab", 2);
	expect_bytes(&m, hi_bytes, sizeof(hi_bytes));
}

static const uint8_t hack_bytes[] = {
	0x3b, 0x01, 0x0f, 0x00, 0x00, 0x00,
	0x00, 0x09, 0x00, 0x82,       /* seq 9, code = status 130 */
	0x01, 0x04, 0, 0, 0, 0,
};

static void
test_bytes_hack(void **state)
{
	struct dmm_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = DMM_MSG_CTX_ACK;
	m.seq = 9;
	m.status = DMM_ST_NO_RESOURCES;
	expect_bytes(&m, hack_bytes, sizeof(hack_bytes));
}

#define MAG_2001_DB8_FFFF_3 0x33, 0x12, 0x00, 0x80, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, \
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03

static const uint8_t lri_bytes[] = {
	0x3b, 0x06, 0x11, 0x00, 0x00, 0x00,
	0x00, 0x05, 0x00, 0x00, 0x02, 0x58, /* seq 5, reserved, 600 s */
	HNP_2001_DB8_1_1,
	0x01, 0x02, 0x00, 0x00,             /* PadN: MAG address at 8n+4 */
	MAG_2001_DB8_FFFF_3,
};

static void
test_bytes_lri(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_REDIRECT, &m);
	m.seq = 5;
	m.lifetime = 600;
	expect_bytes(&m, lri_bytes, sizeof(lri_bytes));
}

static const uint8_t lra_bytes[] = {
	0x3b, 0x03, 0x12, 0x00, 0x00, 0x00,
	0x00, 0x05, 0x00, 0x81, 0x02, 0x58, /* seq 5, U=0, status 129, 600 s */
	HNP_2001_DB8_1_1,
};

static void
test_bytes_lra(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_REDIRECT_ACK, &m);
	m.seq = 5;
	m.status = DMM_ST_PROHIBITED;
	m.lifetime = 600;
	m.present = DMM_P_HNP;
	m.n_hnp = 1;
	m.hnp[0].addr = ip("2001:db8:1:1::");
	m.hnp[0].len = 64;
	expect_bytes(&m, lra_bytes, sizeof(lra_bytes));
}

static const uint8_t upn_bytes[] = {
	0x3b, 0x03, 0x13, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x80, 0x01, /* seq 16, A, reason 1 */
	0x01, 0x00,             /* PadN(0): HNP at 8n+4 */
	HNP_2001_DB8_1_1,
};

static void
test_bytes_upn(void **state)
{
	struct dmm_msg m;

	(void)state;
	min_msg(DMM_MSG_LM_NOTIFY, &m);
	m.seq = 16;
	m.flags = DMM_F_ACK_REQ;
	m.code = 1;
	expect_bytes(&m, upn_bytes, sizeof(upn_bytes));
}

static const uint8_t upa_bytes[] = {
	0x3b, 0x02, 0x14, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x00,                         /* seq 16, status 0 */
	0x1b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,             /* Timestamp at 8n+2 */
	0x01, 0x02, 0x00, 0x00,
};

static void
test_bytes_upa(void **state)
{
	struct dmm_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = DMM_MSG_LM_NOTIFY_ACK;
	m.seq = 16;
	m.present = DMM_P_TIMESTAMP;
	m.timestamp = UINT64_C(0x0102030405060708);
	expect_bytes(&m, upa_bytes, sizeof(upa_bytes));
}

/* ---- decoder refusals ---- */

static int
dec(const uint8_t *buf, size_t len)
{
	struct dmm_msg m;
	struct dmm_msg_span sp;

	return decode_copy(buf, len, &m, &sp);
}

/* Build MH type mh with body (fixed part and options), pad the end with
 * PadN and set the header length. */
static size_t
mk(uint8_t *buf, uint8_t mh, const uint8_t *body, size_t n)
{
	struct dmm_wr w;
	size_t pad;

	dmm_wr_init(&w, buf, DMM_MSG_MAX);
	dmm_put_u8(&w, 59);
	dmm_put_u8(&w, 0);
	dmm_put_u8(&w, mh);
	dmm_put_zero(&w, 3);
	dmm_put_bytes(&w, body, n);
	pad = (8 - w.off % 8) % 8;
	if (pad == 1) {
		dmm_put_u8(&w, 0);
	} else if (pad > 1) {
		dmm_put_u8(&w, 1);
		dmm_put_u8(&w, (uint8_t)(pad - 2));
		dmm_put_zero(&w, pad - 2);
	}
	dmm_wr_patch_u8(&w, 1, (uint8_t)(w.off / 8 - 1));
	assert_true(dmm_wr_finish(&w) > 0);
	return w.off;
}

static void
test_truncated_every_prefix(void **state)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m;
	size_t mac_off, l;
	int t, len;

	(void)state;
	for (t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		full_msg(t, &m);
		len = dmm_msg_encode_auth(&m, 7, buf, sizeof(buf), &mac_off);
		assert_true(len > 0);
		for (l = 0; l < (size_t)len; l++)
			assert_int_equal(dec(buf, l), DMM_E_SHORT);
		assert_int_equal(dec(buf, (size_t)len), 0);
	}
}

static void
test_bad_header(void **state)
{
	uint8_t buf[DMM_MSG_MAX + 8];

	(void)state;
	memcpy(buf, pba_bytes, sizeof(pba_bytes));
	buf[1] = 5; /* says 48, is 40 */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_SHORT);
	buf[1] = 3; /* says 32, is 40: trailing bytes */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_MALFORMED);
	buf[1] = 0; /* too short for the PBA fixed part */
	assert_int_equal(dec(buf, 8), DMM_E_MALFORMED);
	memcpy(buf, pba_bytes, sizeof(pba_bytes));
	buf[0] = 6; /* payload proto must be 59 */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_MALFORMED);
	memset(buf, 0, sizeof(buf));
	buf[0] = 59;
	buf[1] = DMM_MSG_MAX / 8; /* larger than we accept */
	buf[2] = 14;
	assert_int_equal(dec(buf, DMM_MSG_MAX + 8), DMM_E_MALFORMED);
	memcpy(buf, pba_bytes, sizeof(pba_bytes));
	buf[7] = 0; /* a plain MIPv6 BA (no P flag) is not ours */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_MALFORMED);
	memcpy(buf, pbu_bytes, sizeof(pbu_bytes));
	buf[8] = 0x80;
	assert_int_equal(dec(buf, sizeof(pbu_bytes)), DMM_E_MALFORMED);
}

static void
test_bad_option_length(void **state)
{
	uint8_t buf[DMM_MSG_MAX];

	(void)state;
	memcpy(buf, hi_bytes, sizeof(hi_bytes));
	buf[11] = 6; /* MN-ID runs past the message */
	assert_int_equal(dec(buf, sizeof(hi_bytes)), DMM_E_MALFORMED);
	memcpy(buf, hi_bytes, sizeof(hi_bytes));
	buf[11] = 1; /* MN-ID with no identifier */
	buf[13] = 0;
	buf[14] = 0;
	assert_int_equal(dec(buf, sizeof(hi_bytes)), DMM_E_MALFORMED);
	memcpy(buf, pbu_bytes, sizeof(pbu_bytes));
	buf[17] = 6;  /* EUI-48 MN-ID must be 6 bytes, this is 5 */
	buf[25] = 6;  /* byte 24 (0x01) is now a PadN covering the rest */
	buf[26] = 0;
	assert_int_equal(dec(buf, sizeof(pbu_bytes)), DMM_E_MALFORMED);
	memcpy(buf, pba_bytes, sizeof(pba_bytes));
	buf[21] = 17; /* HNP must be 18 */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_MALFORMED);
	memcpy(buf, lri_bytes, sizeof(lri_bytes));
	buf[39] = 64; /* MAG address length must be 128 */
	assert_int_equal(dec(buf, sizeof(lri_bytes)), DMM_E_MALFORMED);
	memcpy(buf, pba_bytes, sizeof(pba_bytes));
	buf[23] = 129; /* prefix length */
	assert_int_equal(dec(buf, sizeof(pba_bytes)), DMM_E_MALFORMED);
	memcpy(buf, exp_bytes, sizeof(exp_bytes));
	buf[19] = 0x10; /* Exp option shorter than its sub-type needs */
	assert_int_equal(dec(buf, sizeof(exp_bytes)), DMM_E_MALFORMED);
}

static void
test_misaligned(void **state)
{
	static const uint8_t pba_body[] = {
		0x00, 0x20, 0x01, 0x02, 0x00, 0x0a, 0x12, 0x02, 0x01, 0x02,
		HNP_2001_DB8_1_1, /* at offset 16: needs 8n+4 */
	};
	static const uint8_t upa_body[] = {
		0x00, 0x10, 0x00, 0x00, 0x01, 0x00,
		0x1b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, /* at offset 12: needs 8n+2 */
	};
	uint8_t buf[DMM_MSG_MAX];
	size_t n;

	(void)state;
	n = mk(buf, 6, pba_body, sizeof(pba_body));
	assert_int_equal(n, 40);
	assert_int_equal(dec(buf, n), DMM_E_ALIGN);
	n = mk(buf, 20, upa_body, sizeof(upa_body));
	assert_int_equal(dec(buf, n), DMM_E_ALIGN);
}

static void
test_nonzero_padding(void **state)
{
	uint8_t buf[DMM_MSG_MAX];

	(void)state;
	memcpy(buf, upa_bytes, sizeof(upa_bytes));
	buf[23] = 1;
	assert_int_equal(dec(buf, sizeof(upa_bytes)), DMM_E_MALFORMED);
	memcpy(buf, hi_bytes, sizeof(hi_bytes));
	buf[15] = 0x7e; /* the final Pad1 byte is now an option with no length */
	assert_int_equal(dec(buf, sizeof(hi_bytes)), DMM_E_MALFORMED);
}

static void
test_unknown(void **state)
{
	static const uint8_t skip_body[] = {
		0x00, 0x09, 0x00, 0x00, 0x7f, 0x04, 1, 2, 3, 4, /* unknown IANA option */
	};
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m;
	struct dmm_msg_span sp;
	size_t n;

	(void)state;
	memcpy(buf, hack_bytes, sizeof(hack_bytes));
	buf[2] = 12; /* Home Agent Switch: not one of ours */
	assert_int_equal(dec(buf, sizeof(hack_bytes)), DMM_E_UNKNOWN);
	memcpy(buf, exp_bytes, sizeof(exp_bytes));
	buf[6] = 9; /* Experimental MH sub-type we do not know */
	assert_int_equal(dec(buf, sizeof(exp_bytes)), DMM_E_UNKNOWN);
	memcpy(buf, exp_bytes, sizeof(exp_bytes));
	buf[20] = 0x42; /* Experimental option sub-type we do not know */
	assert_int_equal(dec(buf, sizeof(exp_bytes)), DMM_E_UNKNOWN);
	memcpy(buf, pbu_bytes, sizeof(pbu_bytes));
	buf[15] = 3; /* PBU for a function we do not know */
	assert_int_equal(dec(buf, sizeof(pbu_bytes)), DMM_E_UNKNOWN);
	memcpy(buf, pbu_bytes, sizeof(pbu_bytes));
	buf[18] = 3; /* MN-ID subtype IMSI: not supported */
	assert_int_equal(dec(buf, sizeof(pbu_bytes)), DMM_E_UNKNOWN);
	/* An unknown IANA option is skipped (RFC 6275 §6.2.1). */
	n = mk(buf, 15, skip_body, sizeof(skip_body));
	assert_int_equal(decode_copy(buf, n, &m, &sp), 0);
	assert_int_equal(m.type, DMM_MSG_CTX_ACK);
	assert_int_equal(m.present, 0);
}

static void
test_too_many(void **state)
{
	uint8_t body[DMM_MSG_MAX], buf[DMM_MSG_MAX];
	size_t n = 0, len;
	unsigned i;

	(void)state;
	body[n++] = 0;
	body[n++] = 9;
	body[n++] = 0;
	body[n++] = 0;
	for (i = 0; i <= DMM_MAX_OPTIONS; i++) {
		body[n++] = 200; /* unknown, empty: still counts */
		body[n++] = 0;
	}
	len = mk(buf, 15, body, n);
	assert_int_equal(dec(buf, len), DMM_E_TOOMANY);
	len = mk(buf, 15, body, n - 2); /* exactly DMM_MAX_OPTIONS is fine */
	assert_int_equal(dec(buf, len), 0);

	/* DMM_MAX_HNP + 1 prefixes, each at 8n+4. */
	n = 0;
	body[n++] = 0x00;
	body[n++] = 0x10;
	body[n++] = 0x00;
	body[n++] = 0x00;
	body[n++] = 0x01;
	body[n++] = 0x00; /* now at 12 */
	for (i = 0; i <= DMM_MAX_HNP; i++) {
		static const uint8_t h[] = { HNP_2001_DB8_1_1 };

		memcpy(body + n, h, sizeof(h));
		n += sizeof(h);
		memcpy(body + n, "\x01\x02\x00\x00", 4);
		n += 4;
	}
	len = mk(buf, 20, body, n);
	assert_int_equal(dec(buf, len), DMM_E_TOOMANY);
	len = mk(buf, 20, body, n - 24);
	assert_int_equal(dec(buf, len), 0);
}

static void
test_duplicate(void **state)
{
	static const uint8_t two_mnid[] = {
		0x00, 0x09, 0x00, 0x00,
		0x08, 0x02, 0x01, 'a', 0x08, 0x02, 0x01, 'b',
	};
	static const uint8_t two_func[] = {
		0x12, 0x34, 0x02, 0x00, 0x00, 0x00, 0x12, 0x02, 0x01, 0x01,
		0x12, 0x02, 0x01, 0x01, 0x08, 0x02, 0x01, 'a',
	};
	static const uint8_t two_ts[] = {
		0x00, 0x10, 0x00, 0x00, 0x1b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
		0x01, 0x04, 0, 0, 0, 0, 0x1b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint8_t buf[DMM_MSG_MAX];
	size_t n;

	(void)state;
	n = mk(buf, 15, two_mnid, sizeof(two_mnid));
	assert_int_equal(dec(buf, n), DMM_E_MALFORMED);
	n = mk(buf, 5, two_func, sizeof(two_func));
	assert_int_equal(dec(buf, n), DMM_E_MALFORMED);
	n = mk(buf, 5, two_func, 10); /* no MN-ID: mandatory for HOA_REQ */
	assert_int_equal(dec(buf, n), DMM_E_MALFORMED);
	n = mk(buf, 5, two_func, 6); /* no function option: which PBU is it? */
	assert_int_equal(dec(buf, n), DMM_E_MALFORMED);
	n = mk(buf, 20, two_ts, sizeof(two_ts));
	assert_int_equal(dec(buf, n), DMM_E_MALFORMED);
	n = mk(buf, 20, two_ts, 14);
	assert_int_equal(dec(buf, n), 0);
}

/* Each request without what it needs is refused both ways. */
static void
test_missing_mandatory(void **state)
{
	static const uint32_t needs[][2] = {
		{ DMM_MSG_HOA_REQ, DMM_P_MNID },
		{ DMM_MSG_LOC_UPDATE, DMM_P_HNP },
		{ DMM_MSG_LOC_QUERY, DMM_P_TARGET },
		{ DMM_MSG_CTX_REQ, DMM_P_MNID },
		{ DMM_MSG_REDIRECT, DMM_P_HNP },
		{ DMM_MSG_REDIRECT, DMM_P_LOCATION },
		{ DMM_MSG_LM_NOTIFY, DMM_P_HNP },
		{ DMM_MSG_LM_FWD, DMM_P_ORIGIN },
	};
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m;
	unsigned i;
	int len;

	(void)state;
	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		min_msg(needs[i][0], &m);
		m.present &= ~needs[i][1];
		if (needs[i][1] == DMM_P_HNP)
			m.n_hnp = 0;
		assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	}
	/* By MN id instead: then the MN id is what is needed. */
	min_msg(DMM_MSG_LOC_QUERY, &m);
	m.flags = DMM_F_BY_MNID;
	assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	m.present = DMM_P_MNID;
	m.mnid.type = DMM_MNID_EUI48;
	m.mnid.len = 6;
	assert_true(dmm_msg_encode(&m, buf, sizeof(buf)) > 0);
	/* Decoder side: the HI without its MN-ID. */
	len = (int)mk(buf, 14, hi_bytes + 6, 4);
	assert_int_equal(dec(buf, (size_t)len), DMM_E_MALFORMED);
}

/* XO_ORIGIN only where a requester is named: LM_FWD and its reply, and a
 * CTX_REQ an LM relays for the nMR; on any other type the encoder refuses
 * it. */
static void
test_origin_where(void **state)
{
	static const enum dmm_msg_type no[] = { DMM_MSG_CTX_ACK, DMM_MSG_LOC_QUERY,
						DMM_MSG_LOC_REPLY, DMM_MSG_LM_NOTIFY,
						DMM_MSG_REDIRECT, DMM_MSG_HOA_REQ };
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		full_msg(no[i], &m);
		m.present |= DMM_P_ORIGIN;
		m.origin = ip("2001:db8:ffff::6");
		assert_int_equal(dmm_msg_encode(&m, buf, sizeof(buf)), DMM_E_MALFORMED);
	}
	min_msg(DMM_MSG_CTX_REQ, &m);
	m.present |= DMM_P_ORIGIN | DMM_P_LOCATION;
	m.origin = m.location = ip("2001:db8:ffff::7");
	m.origin_seq = 4242;
	roundtrip(&m);
}

static void
test_auth_not_last(void **state)
{
	uint8_t body[DMM_MSG_MAX], buf[DMM_MSG_MAX];
	size_t n, len;

	(void)state;
	/* HAck, PadN to 8n+1, authenticator ending the message: accepted. */
	memcpy(body, "\x00\x09\x00\x00\x01\x05\x00\x00\x00\x00\x00", 11);
	n = 11;
	body[n++] = 18;
	body[n++] = 37;
	body[n++] = 8;
	memset(body + n, 0, 36);
	n += 36;
	len = mk(buf, 15, body, n);
	assert_int_equal(len, 56);
	assert_int_equal(dec(buf, len), 0);
	/* Followed by another option: refused. */
	memcpy(body + n, "\x08\x02\x01\x61", 4);
	len = mk(buf, 15, body, n + 4);
	assert_int_equal(dec(buf, len), DMM_E_MALFORMED);
	/* Followed even by padding: refused (our encoder never does it). */
	memcpy(body, "\x00\x09\x00\x00\x00", 5);
	memmove(body + 5, body + 11, 39);
	len = mk(buf, 15, body, 44);
	assert_int_equal(len, 56);
	assert_int_equal(dec(buf, len), DMM_E_MALFORMED);
}

/* What msg.c's one description per type gives: every request has a
 * reply that is no request, is served by exactly one role, and every name
 * is distinct; a reply is served by none. */
static void
test_descriptions(void **state)
{
	unsigned requests = 0;

	(void)state;
	assert_string_equal(dmm_msg_type_name(DMM_MSG_NONE), "none");
	assert_string_equal(dmm_msg_type_name(DMM_MSG_TYPE_COUNT), "unknown");
	assert_int_equal(dmm_msg_role(DMM_MSG_NONE), 0);
	for (unsigned t = 1; t < DMM_MSG_TYPE_COUNT; t++) {
		enum dmm_msg_type r = dmm_msg_reply_type(t);
		unsigned role = dmm_msg_role(t);
		for (unsigned u = 0; u < t; u++)
			assert_string_not_equal(dmm_msg_type_name(t), dmm_msg_type_name(u));
		if (!dmm_msg_is_request(t)) {
			assert_int_equal(role, 0);
			continue;
		}
		requests++;
		assert_true(r > DMM_MSG_NONE && r < DMM_MSG_TYPE_COUNT);
		assert_false(dmm_msg_is_request(r));
		assert_true(role == DMM_ROLE_MR || role == DMM_ROLE_LM || role == DMM_ROLE_HAA);
	}
	assert_int_equal(requests, 7);
	assert_int_equal(dmm_msg_role(DMM_MSG_HOA_REQ), DMM_ROLE_HAA);
	assert_int_equal(dmm_msg_role(DMM_MSG_LM_FWD), DMM_ROLE_LM);
	assert_int_equal(dmm_msg_role(DMM_MSG_REDIRECT), DMM_ROLE_MR);
	assert_int_equal(dmm_msg_reply_type(DMM_MSG_CTX_REQ), DMM_MSG_CTX_ACK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_min),
		cmocka_unit_test(test_phl),
		cmocka_unit_test(test_ver),
		cmocka_unit_test(test_roundtrip_variants),
		cmocka_unit_test(test_origin_where),
		cmocka_unit_test(test_lifetime_units),
		cmocka_unit_test(test_auth_option),
		cmocka_unit_test(test_bytes_pbu),
		cmocka_unit_test(test_bytes_pba),
		cmocka_unit_test(test_bytes_exp),
		cmocka_unit_test(test_bytes_hi),
		cmocka_unit_test(test_bytes_hack),
		cmocka_unit_test(test_bytes_lri),
		cmocka_unit_test(test_bytes_lra),
		cmocka_unit_test(test_bytes_upn),
		cmocka_unit_test(test_bytes_upa),
		cmocka_unit_test(test_truncated_every_prefix),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_option_length),
		cmocka_unit_test(test_misaligned),
		cmocka_unit_test(test_nonzero_padding),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_missing_mandatory),
		cmocka_unit_test(test_auth_not_last),
		cmocka_unit_test(test_descriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
