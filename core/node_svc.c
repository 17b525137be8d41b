/* dmm core: the node's services to its roles (node_priv.h) -- counters,
 * logs, drops, events, data-plane operations, the node's generator, the
 * keys it seals with, requests with retransmission, and replies with the
 * reply cache. The input pipeline, the dispatch to the roles and the
 * node's life cycle are in node.c. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node_priv.h"

#define DMM_LOG_QUIET_MS 1000 /* at most one drop log per counter per second */

/* ---- counters, logs, events, data plane ---- */

void dmm_count(struct dmm_node *n, enum dmm_counter c)
{
	if ((unsigned)c < DMM_C_COUNT)
		n->counters[c]++;
}

bool dmm_log_on(const struct dmm_node *n, enum dmm_log_level lvl)
{
	return n->io.log != NULL && (n->io.log_on == NULL || n->io.log_on(n->io.ctx, lvl));
}

static void vlog(struct dmm_node *n, enum dmm_log_level lvl, const char *fmt,
		 va_list ap)
{
	char line[512];
	int off;

	if (!dmm_log_on(n, lvl))
		return;
	off = snprintf(line, sizeof(line), "%s: ", n->cfg.name[0] ? n->cfg.name : "dmm");
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	n->io.log(n->io.ctx, lvl, line);
}

void dmm_log(struct dmm_node *n, enum dmm_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(n, lvl, fmt, ap);
	va_end(ap);
}

void dmm_drop(struct dmm_node *n, enum dmm_counter c, dmm_time_t now,
	      const char *fmt, ...)
{
	va_list ap;

	dmm_count(n, c);
	if ((unsigned)c >= DMM_C_COUNT || now < n->log_quiet_until[c])
		return;
	n->log_quiet_until[c] = now + DMM_LOG_QUIET_MS;
	va_start(ap, fmt);
	vlog(n, DMM_LOG_WARN, fmt, ap);
	va_end(ap);
}

void dmm_dp(struct dmm_node *n, const struct dmm_dp_op *op)
{
	if (n->io.dp)
		n->io.dp(n->io.ctx, op);
}

void dmm_emit(struct dmm_node *n, enum dmm_event_kind kind, dmm_time_t now,
	      const struct dmm_mnid *id, const struct dmm_prefix *p,
	      const struct in6_addr *peer, uint32_t link)
{
	struct dmm_event ev = { .kind = kind, .t = now, .link = link };

	if (!n->io.event)
		return;
	if (id)
		ev.mnid = *id;
	if (p)
		ev.prefix = *p;
	if (peer)
		ev.peer = *peer;
	n->io.event(n->io.ctx, &ev);
}

uint64_t dmm_wall_ms(const struct dmm_node *n, dmm_time_t now)
{
	return (uint64_t)((int64_t)now + n->wall_offset);
}

/* ---- randomness ---- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint32_t dmm_random(struct dmm_node *n, uint32_t bound)
{
	return bound ? (uint32_t)(splitmix64(&n->rng) % bound) : 0;
}

/* Without a random callback: a keyed hash of the node's address and its
 * creation time, which differs across restarts (a monotonic clock runs on). */
static uint64_t fallback_seed(const struct dmm_config *c, dmm_time_t now)
{
	uint8_t in[sizeof(c->self) + sizeof(now)], out[8];
	const uint8_t *key = c->keys.n ? c->keys.keys[0].key : NULL;
	uint64_t v;

	memcpy(in, &c->self, sizeof(c->self));
	memcpy(in + sizeof(c->self), &now, sizeof(now));
	crypto_generichash(out, sizeof(out), in, sizeof(in), key, key ? DMM_KEY_LEN : 0);
	memcpy(&v, out, sizeof(v));
	return v;
}

/* The reply cache's key: a one-way function of the seed (not the next
 * values of dmm_random, which peers may observe as jitter), and no draw
 * from dmm_io.random (the simulator's runs stay as they were). */
static void seed_reply_key(struct dmm_node *n)
{
	static const char label[] = "dmm reply cache key";
	uint8_t in[sizeof(label) + sizeof(n->rng)];

	memcpy(in, label, sizeof(label));
	memcpy(in + sizeof(label), &n->rng, sizeof(n->rng));
	crypto_generichash(n->reply_key, sizeof(n->reply_key), in, sizeof(in), NULL, 0);
}

void dmm_seed_node(struct dmm_node *n, dmm_time_t now)
{
	if (n->io.random) {
		n->next_seq = (uint16_t)n->io.random(n->io.ctx);
		n->rng = (uint64_t)n->io.random(n->io.ctx) << 32 | n->io.random(n->io.ctx);
	} else {
		n->rng = fallback_seed(&n->cfg, now);
		n->next_seq = (uint16_t)splitmix64(&n->rng);
	}
	seed_reply_key(n);
}

/* ---- sending ---- */

/* ---- node keys (docs/SECURITY.md, insiders) ----
 * A node key is held by its node and by the servers (every LM and HAA of
 * the domain map). A node seals with the key of the destination if it has
 * one (a server answering a node), else with its own key towards a server,
 * else with the active domain key (MR to MR). */

static bool is_server(const struct dmm_config *c, const struct in6_addr *a)
{
	for (unsigned i = 0; i < c->n_nets && i < DMM_MAX_NETS; i++)
		if (dmm_addr_eq(&c->nets[i].lm, a) || dmm_addr_eq(&c->nets[i].haa, a))
			return true;
	return false;
}

static uint32_t seal_key(const struct dmm_node *n, const struct in6_addr *dst)
{
	const struct dmm_keyring *kr = &n->cfg.keys;
	const struct dmm_key *k = dmm_keyring_node_key(kr, dst);

	if (k == NULL && is_server(&n->cfg, dst))
		k = dmm_keyring_node_key(kr, &n->cfg.self);
	return k ? k->id : kr->active;
}

/* Does the key that sealed m fit its sender? A node key seals only for
 * its node, or towards it (a server); the domain key is refused from a
 * node whose key we hold, and from a server when we have our own key
 * (the server then seals with it). */
bool dmm_seal_fits(const struct dmm_node *n, const struct in6_addr *src,
		   const struct dmm_msg *m)
{
	const struct dmm_keyring *kr = &n->cfg.keys;
	const struct dmm_key *k = dmm_keyring_find(kr, m->key_id);

	if (k == NULL)
		return false;
	if (k->bound)
		return dmm_addr_eq(&k->node, src) || dmm_addr_eq(&k->node, &n->cfg.self);
	if (dmm_keyring_node_key(kr, src) != NULL)
		return false;
	return !(is_server(&n->cfg, src) && dmm_keyring_node_key(kr, &n->cfg.self) != NULL);
}

bool dmm_lacks_node_key(const struct dmm_node *n, const struct dmm_msg *m)
{
	const struct dmm_key *k;

	if (!dmm_keyring_has_node_keys(&n->cfg.keys))
		return false;
	k = dmm_keyring_find(&n->cfg.keys, m->key_id);
	return k == NULL || !k->bound;
}

static int seal(const struct dmm_node *n, const struct in6_addr *dst, const struct dmm_msg *m,
		uint8_t *buf, size_t cap)
{
	return dmm_msg_seal_key(&n->cfg.keys, seal_key(n, dst), &n->cfg.self, dst, m, buf, cap);
}

int dmm_seal_and_send(struct dmm_node *n, const struct in6_addr *dst,
		      struct dmm_msg *m, dmm_time_t now)
{
	uint8_t buf[DMM_MSG_MAX];
	int len;

	m->timestamp = dmm_ts_from_ms(dmm_wall_ms(n, now));
	m->present |= DMM_P_TIMESTAMP;
	len = seal(n, dst, m, buf, sizeof(buf));
	if (len < 0) {
		dmm_log(n, DMM_LOG_ERR, "cannot build %s: %s",
			dmm_msg_type_name(m->type), dmm_strerror(len));
		return len;
	}
	dmm_count(n, DMM_C_TX);
	if (n->io.send)
		n->io.send(n->io.ctx, dst, buf, (size_t)len);
	return len;
}

uint64_t dmm_txn_key(const void *e, unsigned h)
{
	(void)h;
	return ((const struct dmm_txn *)e)->deadline;
}

void dmm_txn_release(struct dmm_node *n, struct dmm_txn *t)
{
	uint32_t slot = dmm_tbl_slot(&n->txns, t);

	if (t->id && t->refresh && n->txn_refresh > 0)
		n->txn_refresh--;
	dmm_hmap_del(&n->txn_seq, t->msg.seq, slot);
	dmm_hmap_del(&n->txn_id, t->id, slot);
	dmm_tbl_free(&n->txns, t);
}

static uint32_t refresh_budget(const struct dmm_node *n)
{
	uint32_t max = n->cfg.limits.max_pending;

	return max > 1 ? max - max / 4 : max;
}

static int64_t request(struct dmm_node *n, const struct in6_addr *dst, struct dmm_msg *m,
		       unsigned owner, uint64_t cookie, bool refresh, dmm_time_t now)
{
	struct dmm_txn *t = dmm_tbl_alloc(&n->txns, NULL);
	uint32_t slot;
	int rc;

	if (!t) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "pending requests table full");
		return DMM_E_FULL;
	}
	slot = dmm_tbl_slot(&n->txns, t);
	m->seq = n->next_seq++;
	rc = dmm_seal_and_send(n, dst, m, now);
	if (rc < 0) {
		dmm_tbl_free(&n->txns, t);
		return rc;
	}
	if (++n->next_txn_id == 0)
		n->next_txn_id = 1;
	*t = (struct dmm_txn){
		.id = n->next_txn_id,
		.dst = *dst,
		.msg = *m,
		.owner = owner,
		.cookie = cookie,
		.refresh = refresh,
		.backoff_ms = n->cfg.timers.retrans_initial_ms,
		.deadline = now + n->cfg.timers.retrans_initial_ms,
	};
	if (dmm_hmap_add(&n->txn_seq, t->msg.seq, slot) < 0 ||
	    dmm_hmap_add(&n->txn_id, t->id, slot) < 0) {
		dmm_hmap_del(&n->txn_seq, t->msg.seq, slot);
		dmm_tbl_free(&n->txns, t); /* sent once, never matched: its reply is unexpected */
		dmm_drop(n, DMM_C_NOMEM, now, "pending requests index cannot grow");
		return DMM_E_NOMEM;
	}
	if (refresh)
		n->txn_refresh++;
	return t->id;
}

int64_t dmm_request(struct dmm_node *n, const struct in6_addr *dst,
		    struct dmm_msg *m, unsigned owner, uint64_t cookie,
		    dmm_time_t now)
{
	return request(n, dst, m, owner, cookie, false, now);
}

int64_t dmm_request_refresh(struct dmm_node *n, const struct in6_addr *dst,
			    struct dmm_msg *m, unsigned owner, uint64_t cookie,
			    dmm_time_t now)
{
	if (n->txn_refresh >= refresh_budget(n)) {
		dmm_count(n, DMM_C_REFRESH_DEFERRED);
		return DMM_E_FULL;
	}
	return request(n, dst, m, owner, cookie, true, now);
}

void dmm_request_cancel_cookie(struct dmm_node *n, unsigned owner, uint64_t cookie)
{
	for (uint32_t i = 0; i < n->txns.hi; i++) { /* rare (an MR's give-back): a scan */
		const struct dmm_txn *t = dmm_tbl_peek(&n->txns, i);
		if (dmm_tbl_live(&n->txns, i) && t->owner == owner && t->cookie == cookie)
			dmm_txn_release(n, dmm_tbl_at(&n->txns, i));
	}
}

void dmm_request_cancel_match(struct dmm_node *n, unsigned owner,
			      bool (*match)(const struct dmm_msg *m, uint64_t cookie, void *ctx),
			      void *ctx)
{
	for (uint32_t i = 0; i < n->txns.hi; i++) { /* rare (a context ends): a scan */
		const struct dmm_txn *t = dmm_tbl_peek(&n->txns, i);
		if (dmm_tbl_live(&n->txns, i) && t->owner == owner && match(&t->msg, t->cookie, ctx))
			dmm_txn_release(n, dmm_tbl_at(&n->txns, i));
	}
}

void dmm_request_cancel(struct dmm_node *n, uint32_t txn_id)
{
	uint32_t it = 0, s;

	while (txn_id && dmm_hmap_next(&n->txn_id, txn_id, &it, &s))
		if (((const struct dmm_txn *)dmm_tbl_peek(&n->txns, s))->id == txn_id)
			dmm_txn_release(n, dmm_tbl_at(&n->txns, s));
}

/* The reply cache's digest of a request: SipHash-2-4 with a 128-bit
 * output (libsodium's crypto_shorthash_siphashx24), keyed with the node's
 * secret reply_key, over the request's bytes with zeros in place of what a
 * retransmission changes (the MH checksum, the Timestamp's value, the
 * authenticator's key id and MAC). Equal for a retransmission; for another
 * request that reuses the sequence number, equal only by a collision of a
 * keyed PRF whose key a peer does not know. The bytes as received when n
 * is processing req (the common case: no encoding, no copy of the
 * request); else (an answer given later, such as a forwarded query's) req
 * encoded again, which gives the same bytes for a request our encoder
 * built. A request the encoder refuses hashes as its type and sequence
 * number only. (It was BLAKE2b over req encoded again, every time: about
 * a fifth of the LM's in-process cost of a query; docs/BENCHMARKS.md.) */
#define AUTH_KEYID_LEN 4 /* the key id just before the MAC (msg.c, XO_AUTH) */
_Static_assert(crypto_shorthash_siphashx24_BYTES == DMM_DIGEST_LEN, "digest length");

static void req_digest_bytes(const uint8_t *key, uint8_t *buf, size_t len,
			     const struct dmm_msg_span *sp, uint8_t out[DMM_DIGEST_LEN])
{
	if (len >= 6)
		memset(buf + 4, 0, 2); /* the MH checksum (RFC 6275 6.1.1) */
	if (sp->ts_off && sp->ts_off + 8 <= len)
		memset(buf + sp->ts_off, 0, 8);
	if (sp->mac_off >= AUTH_KEYID_LEN && sp->mac_off + DMM_MAC_LEN <= len)
		memset(buf + sp->mac_off - AUTH_KEYID_LEN, 0, AUTH_KEYID_LEN + DMM_MAC_LEN);
	crypto_shorthash_siphashx24(out, buf, len, key);
}

static void req_digest(const struct dmm_node *n, const struct dmm_msg *m,
		       uint8_t out[DMM_DIGEST_LEN])
{
	struct dmm_msg_span sp = { 0 };
	uint8_t buf[DMM_MSG_MAX];
	int len;

	if (m == n->rx_req && n->rx_buf && n->rx_len <= sizeof(buf)) {
		memcpy(buf, n->rx_buf, n->rx_len);
		req_digest_bytes(n->reply_key, buf, n->rx_len, &n->rx_span, out);
		return;
	}
	struct dmm_msg c = *m;
	c.timestamp = 0;
	len = dmm_msg_encode_auth(&c, 0, buf, sizeof(buf), &sp.mac_off);
	if (len < 0 || dmm_msg_decode_span(buf, (size_t)len, &c, &sp) < 0) {
		buf[0] = (uint8_t)m->type;
		memcpy(buf + 1, &m->seq, sizeof(m->seq));
		crypto_shorthash_siphashx24(out, buf, 1 + sizeof(m->seq), n->reply_key);
		return;
	}
	req_digest_bytes(n->reply_key, buf, (size_t)len, &sp, out);
}

static void reply_cache_put(struct dmm_node *n, const struct in6_addr *peer,
			    const struct dmm_msg *req, const struct dmm_msg *rep)
{
	struct dmm_reply_slot *s = &n->replies[n->reply_next];

	n->reply_next = (n->reply_next + 1) % n->cfg.limits.reply_cache;
	s->used = true;
	s->peer = *peer;
	s->seq = req->seq;
	req_digest(n, req, s->digest);
	s->rep = *rep;
}

int dmm_reply(struct dmm_node *n, const struct in6_addr *dst,
	      const struct dmm_msg *req, struct dmm_msg *rep, dmm_time_t now)
{
	int len;

	rep->seq = req->seq;
	len = dmm_seal_and_send(n, dst, rep, now);
	if (len < 0)
		return len;
	reply_cache_put(n, dst, req, rep);
	return 0;
}

void dmm_node_forget_replies(struct dmm_node *n)
{
	for (uint32_t i = 0; i < n->cfg.limits.reply_cache; i++)
		n->replies[i].used = false;
}

/* ---- receiving ---- */

bool dmm_answer_duplicate(struct dmm_node *n, const struct in6_addr *src,
			  const struct dmm_msg *m, dmm_time_t now)
{
	uint8_t d[DMM_DIGEST_LEN];

	req_digest(n, m, d);
	for (uint32_t i = 0; i < n->cfg.limits.reply_cache; i++) {
		struct dmm_reply_slot *s = &n->replies[i];
		if (s->used && s->seq == m->seq && dmm_addr_eq(&s->peer, src) &&
		    sodium_memcmp(s->digest, d, sizeof(d)) == 0) {
			/* the same answer, sealed again with a fresh timestamp:
			 * retransmissions may span more than the requester's
			 * timestamp window, the first answer's would be stale */
			dmm_seal_and_send(n, src, &s->rep, now);
			return true;
		}
	}
	return false;
}
