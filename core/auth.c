/* dmm core: message authentication and replay protection.
 *
 * The MAC is HMAC-SHA-256 (RFC 2104) over
 *	src address (16) | dst address (16) | message
 * where, in the message, the Mobility Header checksum (bytes 4-5) and the
 * MAC field are zero. The checksum is excluded because for raw sockets the
 * kernel fills it in flight, after we sealed; the addresses are included so
 * a message cannot be replayed from or to another node.
 *
 * HMAC(K, m) = H((K ^ opad) | H((K ^ ipad) | m)). The two key blocks are
 * hashed once per key (dmm_keyring_add); each message then copies the two
 * SHA-256 states and hashes only its own bytes: two compression calls for
 * a ~100-byte message, plus one for the outer hash, instead of four. The
 * SHA-256 is libcrypto's low-level one (SHA-NI on x86-64); its interface
 * is deprecated in OpenSSL 3 in favour of EVP, whose context copy
 * allocates, so the deprecation warning is silenced here only. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "auth.h"

_Static_assert(sizeof(SHA256_CTX) <= DMM_MAC_STATE_LEN, "DMM_MAC_STATE_LEN too small");
#define HMAC_BLOCK 64 /* SHA-256 block size */

#define AUTH_CSUM_OFF 4 /* MH checksum field: RFC 6275 §6.1.1 */
#define AUTH_CSUM_LEN 2

int
dmm_auth_init(void)
{
	/* sodium_init returns 1 when already initialised: not an error. */
	if (sodium_init() < 0)
		return DMM_E_CRYPTO;
	return 0;
}

/* The inner and outer SHA-256 states after K ^ ipad and K ^ opad. */
static void
auth_prekey(const uint8_t key[DMM_KEY_LEN], SHA256_CTX *in, SHA256_CTX *out)
{
	uint8_t pad[HMAC_BLOCK];

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < DMM_KEY_LEN; i++)
		pad[i] ^= key[i];
	SHA256_Init(in);
	SHA256_Update(in, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < DMM_KEY_LEN; i++)
		pad[i] ^= key[i];
	SHA256_Init(out);
	SHA256_Update(out, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

static const struct dmm_key *
keyring_find(const struct dmm_keyring *kr, uint32_t id)
{
	unsigned i;

	for (i = 0; i < kr->n && i < DMM_MAX_KEYS; i++)
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

const struct dmm_key *
dmm_keyring_find(const struct dmm_keyring *kr, uint32_t id)
{
	return keyring_find(kr, id);
}

int
dmm_keyring_bind(struct dmm_keyring *kr, uint32_t id, const struct in6_addr *node)
{
	for (unsigned i = 0; i < kr->n && i < DMM_MAX_KEYS; i++)
		if (kr->keys[i].id == id) {
			kr->keys[i].bound = true;
			kr->keys[i].node = *node;
			return 0;
		}
	return DMM_E_NOTFOUND;
}

const struct dmm_key *
dmm_keyring_node_key(const struct dmm_keyring *kr, const struct in6_addr *node)
{
	for (unsigned i = 0; i < kr->n && i < DMM_MAX_KEYS; i++)
		if (kr->keys[i].bound && dmm_addr_eq(&kr->keys[i].node, node))
			return &kr->keys[i];
	return NULL;
}

bool
dmm_keyring_has_node_keys(const struct dmm_keyring *kr)
{
	for (unsigned i = 0; i < kr->n && i < DMM_MAX_KEYS; i++)
		if (kr->keys[i].bound)
			return true;
	return false;
}

int
dmm_keyring_add(struct dmm_keyring *kr, uint32_t id, const uint8_t key[DMM_KEY_LEN])
{
	if (keyring_find(kr, id) != NULL)
		return DMM_E_CONFIG;
	if (kr->n >= DMM_MAX_KEYS)
		return DMM_E_FULL;
	memset(&kr->keys[kr->n], 0, sizeof(kr->keys[kr->n]));
	kr->keys[kr->n].id = id;
	memcpy(kr->keys[kr->n].key, key, DMM_KEY_LEN);
	auth_prekey(key, (SHA256_CTX *)(void *)kr->keys[kr->n].pad_state[0],
		    (SHA256_CTX *)(void *)kr->keys[kr->n].pad_state[1]);
	kr->keys[kr->n].ready = true;
	kr->n++;
	return 0;
}

/*
 * MAC of a message whose MAC field starts at mac_off: src | dst | the
 * message with zeros in place of the checksum and of the MAC, hashed in
 * pieces from the caller's buffer (never modified, nor copied: under ASan
 * each copy was a checked memcpy, four per message). The caller guarantees
 * AUTH_CSUM_OFF + AUTH_CSUM_LEN <= mac_off, mac_off + DMM_MAC_LEN <= len
 * and len <= DMM_MSG_MAX + 1 (the callers' buffers).
 */
static int
auth_mac(const struct dmm_key *k, const struct in6_addr *src, const struct in6_addr *dst,
	 const uint8_t *buf, size_t len, size_t mac_off, uint8_t out[DMM_MAC_LEN])
{
	static const uint8_t zero[DMM_MAC_LEN];
	const size_t after = mac_off + DMM_MAC_LEN;
	uint8_t inner[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx[2];
	int ok;

	if (len > DMM_MSG_MAX + 1)
		return DMM_E_MALFORMED;
	if (k->ready) {
		memcpy(&ctx[0], k->pad_state[0], sizeof(ctx[0]));
		memcpy(&ctx[1], k->pad_state[1], sizeof(ctx[1]));
	} else {
		auth_prekey(k->key, &ctx[0], &ctx[1]);
	}
	/* libcrypto's SHA256_Update and _Final return 1 (0 only on a bad
	 * argument): the results are and-ed, no branch per piece. */
	ok = SHA256_Update(&ctx[0], src->s6_addr, 16);
	ok &= SHA256_Update(&ctx[0], dst->s6_addr, 16);
	ok &= SHA256_Update(&ctx[0], buf, AUTH_CSUM_OFF);
	ok &= SHA256_Update(&ctx[0], zero, AUTH_CSUM_LEN);
	ok &= SHA256_Update(&ctx[0], buf + AUTH_CSUM_OFF + AUTH_CSUM_LEN,
			    mac_off - AUTH_CSUM_OFF - AUTH_CSUM_LEN);
	ok &= SHA256_Update(&ctx[0], zero, DMM_MAC_LEN);
	ok &= SHA256_Update(&ctx[0], buf + after, len - after);
	ok &= SHA256_Final(inner, &ctx[0]);
	ok &= SHA256_Update(&ctx[1], inner, sizeof(inner));
	ok &= SHA256_Final(out, &ctx[1]);
	/* The states began as the key's: wiped with glibc's explicit_bzero (a
	 * memset the compiler keeps), not OPENSSL_cleanse, which clears byte by
	 * byte: 10 ns against 2.5 for these 224 bytes. */
	explicit_bzero(ctx, sizeof(ctx));
	return ok ? 0 : DMM_E_CRYPTO;
}

static bool
auth_span_ok(size_t mac_off, size_t len)
{
	return mac_off >= AUTH_CSUM_OFF + AUTH_CSUM_LEN && mac_off <= len &&
	       len - mac_off >= DMM_MAC_LEN;
}

int
dmm_msg_seal(const struct dmm_keyring *kr, const struct in6_addr *src,
	     const struct in6_addr *dst, const struct dmm_msg *m, uint8_t *buf, size_t cap)
{
	return dmm_msg_seal_key(kr, kr->active, src, dst, m, buf, cap);
}

int
dmm_msg_seal_key(const struct dmm_keyring *kr, uint32_t key_id, const struct in6_addr *src,
		 const struct in6_addr *dst, const struct dmm_msg *m, uint8_t *buf, size_t cap)
{
	const struct dmm_key *k;
	size_t mac_off = 0;
	int len, rc;

	if ((k = keyring_find(kr, key_id)) == NULL)
		return DMM_E_KEY;
	len = dmm_msg_encode_auth(m, k->id, buf, cap, &mac_off);
	if (len < 0)
		return len;
	/* Our own encoder produced this offset: a bad one is a local bug. */
	if (!auth_span_ok(mac_off, (size_t)len))
		return DMM_E_MALFORMED;
	rc = auth_mac(k, src, dst, buf, (size_t)len, mac_off, buf + mac_off);
	return rc < 0 ? rc : len;
}

int
dmm_msg_open(const struct dmm_keyring *kr, const struct in6_addr *src,
	     const struct in6_addr *dst, const uint8_t *buf, size_t len, struct dmm_msg *m)
{
	struct dmm_msg_span span;

	return dmm_msg_open_span(kr, src, dst, buf, len, m, &span);
}

int
dmm_msg_open_span(const struct dmm_keyring *kr, const struct in6_addr *src,
		  const struct in6_addr *dst, const uint8_t *buf, size_t len, struct dmm_msg *m,
		  struct dmm_msg_span *out)
{
	struct dmm_msg_span span = { 0 };
	const struct dmm_key *k;
	uint8_t mac[DMM_MAC_LEN];
	size_t mac_off = 0;
	uint32_t key_id = 0;
	int rc;

	/* MAC before parse: only the length fields and the authenticator's
	 * fixed place are read before the bytes are authenticated. */
	if ((rc = dmm_msg_auth_span(buf, len, &key_id, &mac_off)) < 0)
		return rc;
	if (!auth_span_ok(mac_off, len))
		return DMM_E_AUTH;
	if ((k = keyring_find(kr, key_id)) == NULL)
		return DMM_E_KEY;
	if ((rc = auth_mac(k, src, dst, buf, len, mac_off, mac)) < 0)
		return rc;
	if (CRYPTO_memcmp(mac, buf + mac_off, DMM_MAC_LEN) != 0)
		return DMM_E_AUTH;
	if ((rc = dmm_msg_decode_span(buf, len, m, &span)) < 0)
		return rc;
	/* the decoder must find the authenticator where it was verified */
	if (!(m->present & DMM_P_AUTH) || span.mac_off != mac_off || m->key_id != key_id)
		return DMM_E_AUTH;
	*out = span;
	return 0;
}

/* ---- replay protection ---- */

int
dmm_ts_check(uint32_t window_ms, uint64_t ts_ms, uint64_t wall_ms)
{
	uint64_t skew;

	if (ts_ms == 0) /* no Timestamp option */
		return DMM_E_STALE;
	skew = ts_ms > wall_ms ? ts_ms - wall_ms : wall_ms - ts_ms;
	return skew < window_ms ? 0 : DMM_E_STALE;
}

int
dmm_replay_index_init(struct dmm_replay *r)
{
	size_t n = 2;

	while (n < 2 * r->cap)
		n *= 2;
	r->idx = calloc(n, sizeof(*r->idx));
	if (r->idx == NULL)
		return DMM_E_NOMEM;
	r->idx_mask = n - 1;
	return 0;
}

void
dmm_replay_index_fini(struct dmm_replay *r)
{
	free(r->idx);
	r->idx = NULL;
	r->idx_mask = 0;
}

static size_t
replay_hash(const struct dmm_replay *r, const struct in6_addr *a)
{
	uint64_t x, y;

	memcpy(&x, a->s6_addr, 8);
	memcpy(&y, a->s6_addr + 8, 8);
	x ^= y * UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 29;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 32;
	return (size_t)x & r->idx_mask;
}

/* The index entry of a, or the empty entry where it would go. */
static size_t
replay_idx_find(const struct dmm_replay *r, const struct in6_addr *a)
{
	size_t h = replay_hash(r, a);

	while (r->idx[h] != 0 &&
	       !dmm_addr_eq(&r->peers[r->idx[h] - 1].addr, a))
		h = (h + 1) & r->idx_mask;
	return h;
}

/* Empty entry h and move back the entries of its probe run that may take
 * its place (linear probing without tombstones). */
static void
replay_idx_del(struct dmm_replay *r, size_t h)
{
	size_t j = h;

	r->idx[h] = 0;
	for (;;) {
		j = (j + 1) & r->idx_mask;
		if (r->idx[j] == 0)
			return;
		size_t k = replay_hash(r, &r->peers[r->idx[j] - 1].addr);
		/* j may fill the hole unless its home k lies cyclically in (h, j] */
		if (h <= j ? (k <= h || k > j) : (k <= h && k > j)) {
			r->idx[h] = r->idx[j];
			r->idx[j] = 0;
			h = j;
		}
	}
}

/* Slot p goes from its old address (if used) to src: the index follows. */
static void
replay_idx_move(struct dmm_replay *r, struct dmm_replay_peer *p, const struct in6_addr *src)
{
	if (r->idx == NULL)
		return;
	if (p->used)
		replay_idx_del(r, replay_idx_find(r, &p->addr));
	r->idx[replay_idx_find(r, src)] = (uint32_t)(p - r->peers) + 1;
}

/* A free slot, else the least recently used one (evicted). */
static struct dmm_replay_peer *
replay_victim(struct dmm_replay *r)
{
	struct dmm_replay_peer *p, *victim = NULL;

	for (size_t i = 0; i < r->cap; i++) {
		p = &r->peers[i];
		if (victim == NULL || (victim->used && (!p->used || p->touched < victim->touched)))
			victim = p;
	}
	return victim;
}

/* The peer's slot, or a free one, or the least recently used one (evicted). */
static struct dmm_replay_peer *
replay_slot(struct dmm_replay *r, const struct in6_addr *src, bool *fresh)
{
	struct dmm_replay_peer *p, *victim = NULL;
	size_t i;

	if (r->idx != NULL) {
		size_t h = replay_idx_find(r, src);
		*fresh = r->idx[h] == 0;
		return *fresh ? replay_victim(r) : &r->peers[r->idx[h] - 1];
	}
	for (i = 0; i < r->cap; i++) {
		p = &r->peers[i];
		if (p->used && dmm_addr_eq(&p->addr, src)) {
			*fresh = false;
			return p;
		}
		if (victim == NULL || (victim->used && (!p->used || p->touched < victim->touched)))
			victim = p;
	}
	*fresh = true;
	return victim;
}

static void
replay_reset(struct dmm_replay_peer *p, const struct in6_addr *src, uint16_t seq)
{
	p->addr = *src;
	p->used = true;
	p->top = seq;
	p->bitmap = 1;
}

/* Sequence check against an existing slot: DMM_REPLAY_NEW (recorded),
 * DMM_REPLAY_DUP or DMM_E_REPLAY. */
static int
replay_window(struct dmm_replay_peer *p, const struct in6_addr *src, uint16_t seq,
	      uint64_t ts_ms)
{
	uint16_t ahead = (uint16_t)(seq - p->top);
	uint16_t behind = (uint16_t)(p->top - seq);

	if (ahead >= 1 && ahead <= 32767) {
		p->bitmap = ahead >= DMM_REPLAY_WINDOW ? 0 : p->bitmap << ahead;
		p->bitmap |= 1;
		p->top = seq;
		return DMM_REPLAY_NEW;
	}
	if (behind < DMM_REPLAY_WINDOW) {
		if (p->bitmap & (UINT64_C(1) << behind))
			return DMM_REPLAY_DUP;
		p->bitmap |= UINT64_C(1) << behind;
		return DMM_REPLAY_NEW;
	}
	/* Older than the window. A timestamp newer than anything this peer
	 * sent means it restarted and its sequence numbers started over. */
	if (ts_ms > p->last_ts_ms) {
		replay_reset(p, src, seq);
		return DMM_REPLAY_NEW;
	}
	return DMM_E_REPLAY;
}

int
dmm_replay_check(struct dmm_replay *r, const struct in6_addr *src, uint16_t seq,
		 uint64_t ts_ms, uint64_t wall_ms, dmm_time_t now)
{
	struct dmm_replay_peer *p;
	bool fresh;
	int rc;

	if ((rc = dmm_ts_check(r->ts_window_ms, ts_ms, wall_ms)) < 0)
		return rc;
	if (r->cap == 0 || r->peers == NULL)
		return DMM_E_FULL;
	p = replay_slot(r, src, &fresh);
	if (fresh) {
		replay_idx_move(r, p, src);
		replay_reset(p, src, seq);
		p->last_ts_ms = ts_ms;
		rc = DMM_REPLAY_NEW;
	} else if ((rc = replay_window(p, src, seq, ts_ms)) < 0) {
		return rc;
	}
	if (rc == DMM_REPLAY_NEW && ts_ms > p->last_ts_ms)
		p->last_ts_ms = ts_ms;
	p->touched = now;
	return rc;
}
