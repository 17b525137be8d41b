/* dmm core: prefixes, MN identifiers, error and counter names. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

const char *dmm_strerror(int err)
{
	switch (err) {
	case DMM_OK: return "success";
	case DMM_E_SHORT: return "message truncated";
	case DMM_E_MALFORMED: return "malformed field";
	case DMM_E_ALIGN: return "option misaligned";
	case DMM_E_UNKNOWN: return "unknown message or mandatory option";
	case DMM_E_TOOMANY: return "too many options or prefixes";
	case DMM_E_NOSPACE: return "output buffer too small";
	case DMM_E_AUTH: return "authentication failed";
	case DMM_E_KEY: return "unknown key id";
	case DMM_E_REPLAY: return "replayed or out-of-window sequence number";
	case DMM_E_STALE: return "timestamp outside the validity window";
	case DMM_E_FULL: return "table full";
	case DMM_E_NOTFOUND: return "not found";
	case DMM_E_STATE: return "invalid in current state";
	case DMM_E_NOMEM: return "out of memory";
	case DMM_E_CONFIG: return "invalid configuration";
	case DMM_E_ROLE: return "role not enabled on this node";
	case DMM_E_CRYPTO: return "crypto library failure";
	case DMM_E_LIMIT: return "rate limited";
	case DMM_E_DENIED: return "not authorized";
	}
	return "unknown error";
}

static const char *const counter_names[DMM_C_COUNT] = {
	[DMM_C_RX] = "rx",
	[DMM_C_TX] = "tx",
	[DMM_C_DROP_SHORT] = "drop_short",
	[DMM_C_DROP_MALFORMED] = "drop_malformed",
	[DMM_C_DROP_ALIGN] = "drop_align",
	[DMM_C_DROP_UNKNOWN] = "drop_unknown",
	[DMM_C_DROP_TOOMANY] = "drop_toomany",
	[DMM_C_DROP_AUTH] = "drop_auth",
	[DMM_C_DROP_KEY] = "drop_key",
	[DMM_C_DROP_REPLAY] = "drop_replay",
	[DMM_C_DROP_STALE] = "drop_stale",
	[DMM_C_DROP_ROLE] = "drop_role",
	[DMM_C_DROP_UNEXPECTED] = "drop_unexpected",
	[DMM_C_DROP_PEER] = "drop_peer",
	[DMM_C_DUP_REQUEST] = "dup_request",
	[DMM_C_RETRANSMIT] = "retransmit",
	[DMM_C_TIMEOUT] = "timeout",
	[DMM_C_TABLE_FULL] = "table_full",
	[DMM_C_NOMEM] = "nomem",
	[DMM_C_ATTACH] = "attach",
	[DMM_C_DETACH] = "detach",
	[DMM_C_HANDOVER] = "handover",
	[DMM_C_MISS] = "miss",
	[DMM_C_QUERY] = "query",
	[DMM_C_REDIRECT] = "redirect",
	[DMM_C_NOTIFY] = "notify",
	[DMM_C_LM_FORWARD] = "lm_forward",
	[DMM_C_HOA_ALLOC] = "hoa_alloc",
	[DMM_C_HOA_RELEASE] = "hoa_release",
	[DMM_C_LEASE_EXPIRED] = "lease_expired",
	[DMM_C_BINDING_EXPIRED] = "binding_expired",
	[DMM_C_CACHE_EXPIRED] = "cache_expired",
	[DMM_C_CTX_CREATED] = "ctx_created",
	[DMM_C_CTX_DELETED] = "ctx_deleted",
	[DMM_C_DROP_MISMATCH] = "drop_mismatch",
	[DMM_C_REFRESH_DEFERRED] = "refresh_deferred",
	[DMM_C_REFRESH_RETRY] = "refresh_retry",
	[DMM_C_ATTACH_LIMITED] = "attach_limited",
	[DMM_C_ANCHOR_EXPIRED] = "anchor_expired",
	[DMM_C_CACHE_EVICTED] = "cache_evicted",
	[DMM_C_ATTACH_CONFLICT] = "attach_conflict",
	[DMM_C_CTX_RELAY] = "ctx_relay",
	[DMM_C_DROP_CTX_RELAY] = "drop_ctx_relay",
	[DMM_C_LOC_UPDATE_DEPARTURE] = "loc_update_departure",
	[DMM_C_ATTACH_DENIED] = "attach_denied",
	[DMM_C_DROP_NODE_KEY] = "drop_node_key",
	[DMM_C_DROP_LOCATION] = "drop_location",
	[DMM_C_DROP_PREFIX_LEN] = "drop_prefix_len",
	[DMM_C_FAILOVER] = "failover",
	[DMM_C_LM_SYNC] = "lm_sync",
	[DMM_C_LM_STORE_REFUSED] = "lm_store_refused",
};

const char *dmm_counter_name(enum dmm_counter c)
{
	if ((unsigned)c >= DMM_C_COUNT || !counter_names[c])
		return "?";
	return counter_names[c];
}

static const char *const dp_names[DMM_DP_KIND_COUNT] = {
	"tunnel_add", "tunnel_del", "local_add", "local_del", "pass_add",
	"pass_del", "miss_add", "miss_del", "hold_start", "hold_flush",
	"hold_drop", "advertise", "locator_add", "locator_del",
};

const char *dmm_dp_kind_name(enum dmm_dp_kind k)
{
	return (unsigned)k < DMM_DP_KIND_COUNT ? dp_names[k] : "?";
}

static const char *const event_names[DMM_EV_KIND_COUNT] = {
	"attach", "link_loss", "hoa_assigned", "loc_updated", "ctx_sent",
	"ctx_received", "ctx_acked", "ctx_deleted", "hold_start",
	"hold_flush", "redirect_sent", "redirect_acked",
	"redirect_received", "notify_received", "query_sent",
	"query_answered", "hoa_released",
};

const char *dmm_event_name(enum dmm_event_kind k)
{
	return (unsigned)k < DMM_EV_KIND_COUNT ? event_names[k] : "?";
}

bool dmm_prefix_contains(const struct dmm_prefix *p, const struct in6_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->len > 128)
		return false;
	if (memcmp(p->addr.s6_addr, a->s6_addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr.s6_addr[full] & mask) == (a->s6_addr[full] & mask);
}

void dmm_prefix_mask(struct dmm_prefix *p)
{
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)p->len - (int)i * 8;
		if (bits >= 8)
			continue;
		p->addr.s6_addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

bool dmm_prefix_eq(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len == b->len && dmm_prefix_contains(a, &b->addr);
}

int dmm_prefix_parse(const char *s, struct dmm_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long len = 128;

	if (alen >= sizeof(buf))
		return DMM_E_MALFORMED;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &p->addr) != 1)
		return DMM_E_MALFORMED;
	if (slash) {
		char *end;
		/* digits only: strtol alone would take " 64", "+64" and "-0" */
		if (!isdigit((unsigned char)slash[1]))
			return DMM_E_MALFORMED;
		len = strtol(slash + 1, &end, 10);
		if (*end != '\0' || len > 128)
			return DMM_E_MALFORMED;
	}
	p->len = (uint8_t)len;
	dmm_prefix_mask(p);
	return 0;
}

const char *dmm_prefix_str(const struct dmm_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

bool dmm_mnid_eq(const struct dmm_mnid *a, const struct dmm_mnid *b)
{
	return a->type == b->type && a->len == b->len &&
	       memcmp(a->id, b->id, a->len) == 0;
}

/* An NAI byte printed as itself: visible ASCII but '%', which escapes. */
static bool nai_plain(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '%';
}

/* NAI bytes come from peers: anything but visible ASCII becomes %hh, so a
 * log line, a "show" line or a terminal sees no space, newline, escape
 * sequence or NUL from them, and two ids never print alike. At most 3
 * characters a byte: DMM_MNID_STRLEN holds the longest. */
static void nai_str(const struct dmm_mnid *m, char *buf, size_t len)
{
	size_t off = 0;

	for (unsigned i = 0; i < m->len && i < DMM_MNID_MAX; i++) {
		uint8_t c = m->id[i];
		if (nai_plain(c) && off + 1 < len) {
			buf[off++] = (char)c;
		} else if (!nai_plain(c) && off + 3 < len) {
			snprintf(buf + off, len - off, "%%%02x", c);
			off += 3;
		} else {
			break;
		}
	}
	buf[off] = '\0';
}

const char *dmm_mnid_str(const struct dmm_mnid *m, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (m->type == DMM_MNID_NAI) {
		nai_str(m, buf, len);
		return buf;
	}
	for (unsigned i = 0; i < m->len && off + 3 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, i ? ":%02x" : "%02x",
					m->id[i]);
	return buf;
}

/* The inverse of nai_str: %hh is one byte, every other character itself. */
static int nai_parse(const char *s, struct dmm_mnid *m)
{
	unsigned n = 0;

	memset(m, 0, sizeof(*m));
	for (; *s; n++) {
		if (n >= DMM_MNID_MAX)
			return DMM_E_MALFORMED;
		if (*s != '%') {
			m->id[n] = (uint8_t)*s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]))
			return DMM_E_MALFORMED;
		char hex[3] = { s[1], s[2], '\0' };
		m->id[n] = (uint8_t)strtoul(hex, NULL, 16);
		s += 3;
	}
	if (n == 0)
		return DMM_E_MALFORMED;
	m->type = DMM_MNID_NAI;
	m->len = (uint8_t)n;
	return 0;
}

/* Hex octets separated by ':' (6 → EUI-48, 8 → EUI-64), else an NAI. */
int dmm_mnid_parse(const char *s, struct dmm_mnid *m)
{
	unsigned n = 0;
	const char *p = s;

	memset(m, 0, sizeof(*m));
	while (*p && n < 8) {
		char *end;
		unsigned long v;

		/* exactly two hex digits: strtoul alone would take " 2" and "+2" */
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			break;
		v = strtoul(p, &end, 16);
		if (end - p != 2 || (*end != ':' && *end != '\0'))
			break;
		m->id[n++] = (uint8_t)v;
		p = *end ? end + 1 : end;
		if (!*end)
			break;
	}
	if (*p == '\0' && (n == 6 || n == 8) && p[-1] != ':') {
		m->type = n == 6 ? DMM_MNID_EUI48 : DMM_MNID_EUI64;
		m->len = (uint8_t)n;
		return 0;
	}
	return nai_parse(s, m);
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

uint32_t dmm_hash_prefix(const struct dmm_prefix *p)
{
	return fnv1a(fnv1a(2166136261u, p->addr.s6_addr, 16), &p->len, 1);
}

uint32_t dmm_hash_mnid(const struct dmm_mnid *id)
{
	uint8_t len = id->len <= DMM_MNID_MAX ? id->len : DMM_MNID_MAX;

	return fnv1a(fnv1a(2166136261u, &id->type, 1), id->id, len);
}

/* One's-complement sum of the 16-bit words of the first len/8 bytes. */
static uint32_t csum_words(const struct in6_addr *a, unsigned bytes)
{
	uint32_t s = 0;

	for (unsigned i = 0; i + 1 < bytes; i += 2)
		s += (uint32_t)a->s6_addr[i] << 8 | a->s6_addr[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

bool dmm_prefix_csum_neutral(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	uint32_t x, y;

	if (a->len != b->len || a->len % 16 != 0)
		return false;
	x = csum_words(&a->addr, a->len / 8);
	y = csum_words(&b->addr, b->len / 8);
	/* 0x0000 and 0xffff are the same number in one's complement */
	return x % 0xffff == y % 0xffff;
}
