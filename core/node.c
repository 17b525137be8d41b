/* dmm core: the node — authenticated input, dispatch to the roles,
 * requests with retransmission, the reply cache, counters and logs. */
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

static void seed_node(struct dmm_node *n, dmm_time_t now)
{
	if (n->io.random) {
		n->next_seq = (uint16_t)n->io.random(n->io.ctx);
		n->rng = (uint64_t)n->io.random(n->io.ctx) << 32 | n->io.random(n->io.ctx);
		return;
	}
	n->rng = fallback_seed(&n->cfg, now);
	n->next_seq = (uint16_t)splitmix64(&n->rng);
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
		if (!memcmp(&c->nets[i].lm, a, sizeof(*a)) ||
		    !memcmp(&c->nets[i].haa, a, sizeof(*a)))
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
static bool seal_fits(const struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m)
{
	const struct dmm_keyring *kr = &n->cfg.keys;
	const struct dmm_key *k = dmm_keyring_find(kr, m->key_id);

	if (k == NULL)
		return false;
	if (k->bound)
		return !memcmp(&k->node, src, sizeof(*src)) ||
		       !memcmp(&k->node, &n->cfg.self, sizeof(*src));
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

static int seal_and_send(struct dmm_node *n, const struct in6_addr *dst,
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

/* Slots [0, txn_hi) may be in use; scans stop there, so a node with few
 * requests in flight pays little for a large max_pending. */
static struct dmm_txn *txn_free_slot(struct dmm_node *n)
{
	for (uint32_t i = 0; i < n->cfg.limits.max_pending; i++)
		if (n->txns[i].id == 0) {
			if (i >= n->txn_hi)
				n->txn_hi = i + 1;
			return &n->txns[i];
		}
	return NULL;
}

static void txn_release(struct dmm_node *n, struct dmm_txn *t)
{
	if (t->id && t->refresh && n->txn_refresh > 0)
		n->txn_refresh--;
	t->id = 0;
	while (n->txn_hi > 0 && n->txns[n->txn_hi - 1].id == 0)
		n->txn_hi--;
}

static uint32_t refresh_budget(const struct dmm_node *n)
{
	uint32_t max = n->cfg.limits.max_pending;

	return max > 1 ? max - max / 4 : max;
}

static int64_t request(struct dmm_node *n, const struct in6_addr *dst, struct dmm_msg *m,
		       unsigned owner, uint64_t cookie, bool refresh, dmm_time_t now)
{
	struct dmm_txn *t = txn_free_slot(n);
	int rc;

	if (!t) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "pending requests table full");
		return DMM_E_FULL;
	}
	m->seq = n->next_seq++;
	rc = seal_and_send(n, dst, m, now);
	if (rc < 0)
		return rc;
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
	for (uint32_t i = 0; i < n->txn_hi; i++)
		if (n->txns[i].id && n->txns[i].owner == owner && n->txns[i].cookie == cookie)
			txn_release(n, &n->txns[i]);
}

void dmm_request_cancel(struct dmm_node *n, uint32_t txn_id)
{
	for (uint32_t i = 0; txn_id && i < n->txn_hi; i++)
		if (n->txns[i].id == txn_id)
			txn_release(n, &n->txns[i]);
}

/* Digest of a request as decoded, without its timestamp and authenticator:
 * equal for a retransmission, different for another request that reuses
 * the sequence number. A request the encoder refuses hashes as its type
 * and sequence number only (the old key). */
static void req_digest(const struct dmm_msg *m, uint8_t out[DMM_DIGEST_LEN])
{
	struct dmm_msg c = *m;
	uint8_t buf[DMM_MSG_MAX];
	int len;

	c.timestamp = 0;
	c.present &= ~(uint32_t)(DMM_P_TIMESTAMP | DMM_P_AUTH);
	c.key_id = 0;
	memset(c.mac, 0, sizeof(c.mac));
	len = dmm_msg_encode(&c, buf, sizeof(buf));
	if (len < 0) {
		buf[0] = (uint8_t)m->type;
		memcpy(buf + 1, &m->seq, sizeof(m->seq));
		len = 1 + (int)sizeof(m->seq);
	}
	crypto_generichash(out, DMM_DIGEST_LEN, buf, (size_t)len, NULL, 0);
}

static void reply_cache_put(struct dmm_node *n, const struct in6_addr *peer,
			    const struct dmm_msg *req, const struct dmm_msg *rep)
{
	struct dmm_reply_slot *s = &n->replies[n->reply_next];

	n->reply_next = (n->reply_next + 1) % n->cfg.limits.reply_cache;
	s->used = true;
	s->peer = *peer;
	s->seq = req->seq;
	req_digest(req, s->digest);
	s->rep = *rep;
}

int dmm_reply(struct dmm_node *n, const struct in6_addr *dst,
	      const struct dmm_msg *req, struct dmm_msg *rep, dmm_time_t now)
{
	int len;

	rep->seq = req->seq;
	len = seal_and_send(n, dst, rep, now);
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

static bool answer_duplicate(struct dmm_node *n, const struct in6_addr *src,
			     const struct dmm_msg *m, dmm_time_t now)
{
	uint8_t d[DMM_DIGEST_LEN];

	req_digest(m, d);
	for (uint32_t i = 0; i < n->cfg.limits.reply_cache; i++) {
		struct dmm_reply_slot *s = &n->replies[i];
		if (s->used && s->seq == m->seq && memcmp(&s->peer, src, sizeof(*src)) == 0 &&
		    sodium_memcmp(s->digest, d, sizeof(d)) == 0) {
			/* the same answer, sealed again with a fresh timestamp:
			 * retransmissions may span more than the requester's
			 * timestamp window, the first answer's would be stale */
			seal_and_send(n, src, &s->rep, now);
			return true;
		}
	}
	return false;
}

/* The roles a node can run, in the order they are created and their
 * timers run (freed in reverse). A new role is one more line. */
static const struct dmm_role_ops *const role_ops[] = { &dmm_haa_ops, &dmm_lm_ops, &dmm_mr_ops };
#define N_ROLES (sizeof(role_ops) / sizeof(role_ops[0]))

/* The running role with this bit, or NULL. */
static const struct dmm_role_ops *role_running(const struct dmm_node *n, unsigned role)
{
	for (unsigned i = 0; role && i < N_ROLES; i++)
		if (role_ops[i]->role == role)
			return (n->cfg.roles & role) ? role_ops[i] : NULL;
	return NULL;
}

static int recv_request(struct dmm_node *n, const struct in6_addr *src,
			const struct dmm_msg *m, dmm_time_t now)
{
	const struct dmm_role_ops *ops = role_running(n, dmm_msg_role(m->type));
	int rc;

	if (!ops) {
		dmm_drop(n, DMM_C_DROP_ROLE, now, "%s for a role this node does not run",
			 dmm_msg_type_name(m->type));
		return DMM_E_ROLE;
	}
	rc = dmm_replay_check(&n->replay, src, m->seq, dmm_ts_to_ms(m->timestamp),
			      dmm_wall_ms(n, now), now);
	if (rc == DMM_REPLAY_DUP) {
		/* counted, never processed again; answered only if the cache
		 * holds the answer to this very request (not evicted, and not
		 * another request under an old sequence number) */
		dmm_count(n, DMM_C_DUP_REQUEST);
		answer_duplicate(n, src, m, now);
		return 0;
	}
	if (rc < 0) {
		dmm_drop(n, dmm_err_counter(rc), now, "%s seq %u dropped: %s",
			 dmm_msg_type_name(m->type), m->seq, dmm_strerror(rc));
		return rc;
	}
	ops->on_request(n, src, m, now);
	return 0;
}

static bool txn_move(struct dmm_node *n, struct dmm_txn *t, bool timed_out, dmm_time_t now);

/* dmm_node_probe's transactions: owner 0, no role's. */
#define PROBE_OWNER 0u

static void deliver_reply(struct dmm_node *n, unsigned owner, uint64_t cookie,
			  const struct in6_addr *src, const struct dmm_msg *m,
			  dmm_time_t now)
{
	const struct dmm_role_ops *ops;

	if (owner == PROBE_OWNER) {
		if (cookie == n->probe_txn)
			n->probe_txn = 0;
		if (m) {
			n->probe_answered = now;
			n->probe_lm = *src;
		}
	} else if ((ops = role_running(n, owner)) != NULL && ops->on_reply) {
		ops->on_reply(n, cookie, src, m, now);
	}
}

static bool asks_target(const struct dmm_msg *req)
{
	enum dmm_msg_type t = req->type == DMM_MSG_LM_FWD ? (enum dmm_msg_type)req->code :
							    req->type;

	return t == DMM_MSG_LOC_QUERY && (req->present & DMM_P_TARGET) &&
	       !(req->flags & DMM_F_BY_MNID);
}

/* A reply answers its request, not only its sequence number: what both
 * name (MN id, looked-up address) is the same, and an OK answer to an
 * address lookup gives a prefix containing that address. */
static bool reply_fits(const struct dmm_msg *req, const struct dmm_msg *rep)
{
	uint32_t both = req->present & rep->present;
	bool hit = false;

	if ((both & DMM_P_MNID) && !dmm_mnid_eq(&req->mnid, &rep->mnid))
		return false;
	if ((both & DMM_P_TARGET) && memcmp(&req->target, &rep->target, sizeof(rep->target)))
		return false;
	if (!asks_target(req) || rep->status != DMM_ST_OK || !(rep->present & DMM_P_HNP))
		return true;
	for (unsigned i = 0; i < rep->n_hnp && i < DMM_MAX_HNP; i++)
		hit = hit || dmm_prefix_contains(&rep->hnp[i], &req->target);
	return hit;
}

static int recv_reply(struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m, dmm_time_t now)
{
	int rc = dmm_ts_check(n->cfg.timers.ts_window_ms,
			      dmm_ts_to_ms(m->timestamp), dmm_wall_ms(n, now));

	if (rc < 0) {
		dmm_drop(n, DMM_C_DROP_STALE, now, "%s seq %u: stale timestamp",
			 dmm_msg_type_name(m->type), m->seq);
		return rc;
	}
	for (uint32_t i = 0; i < n->txn_hi; i++) {
		struct dmm_txn *t = &n->txns[i];
		if (t->id == 0 || t->msg.seq != m->seq ||
		    dmm_msg_reply_type(t->msg.type) != m->type ||
		    memcmp(&t->dst, src, sizeof(*src)) != 0)
			continue;
		if (!reply_fits(&t->msg, m)) { /* the request stays pending */
			dmm_drop(n, DMM_C_DROP_MISMATCH, now,
				 "%s seq %u does not answer the request it matches",
				 dmm_msg_type_name(m->type), m->seq);
			return DMM_E_NOTFOUND;
		}
		unsigned owner = t->owner;
		uint64_t cookie = t->cookie;
		dmm_pick_up(n, src);
		/* a lease another HAA of the network may hold; if that one is
		 * down, the owner hears a timeout, not a NOT_FOUND it would act
		 * on (withdraw the prefix): it retries as with one HAA down */
		if (m->status == DMM_ST_NOT_FOUND && t->msg.type == DMM_MSG_HOA_REQ &&
		    (t->msg.present & DMM_P_HNP)) {
			if (txn_move(n, t, false, now))
				return 0;
			if (dmm_pick_sibling_down(n, src, &t->msg, now)) {
				dmm_log(n, DMM_LOG_INFO, "%s seq %u: not found, and another HAA "
					"is down: no verdict", dmm_msg_type_name(t->msg.type),
					t->msg.seq);
				txn_release(n, t);
				deliver_reply(n, owner, cookie, NULL, NULL, now);
				return 0;
			}
		}
		txn_release(n, t); /* first: the owner may send new requests */
		deliver_reply(n, owner, cookie, src, m, now);
		return 0;
	}
	dmm_drop(n, DMM_C_DROP_UNEXPECTED, now, "%s seq %u matches no request",
		 dmm_msg_type_name(m->type), m->seq);
	return DMM_E_NOTFOUND;
}

int dmm_node_recv(struct dmm_node *n, const struct in6_addr *src,
		  const struct in6_addr *dst, const uint8_t *buf, size_t len,
		  dmm_time_t now)
{
	struct dmm_msg m;
	int rc;

	dmm_node_restore_done(n); /* no-op unless a bulk restore left it undone */
	dmm_count(n, DMM_C_RX);
	rc = dmm_msg_open(&n->cfg.keys, src, dst, buf, len, &m);
	if (rc < 0) {
		dmm_drop(n, dmm_err_counter(rc), now, "message of %zu bytes dropped: %s",
			 len, dmm_strerror(rc));
		return rc;
	}
	if (!seal_fits(n, src, &m)) {
		dmm_drop(n, DMM_C_DROP_NODE_KEY, now, "%s sealed with key %u, which is not "
			 "the sender's", dmm_msg_type_name(m.type), m.key_id);
		return DMM_E_KEY;
	}
	if (!(m.present & DMM_P_TIMESTAMP)) {
		dmm_drop(n, DMM_C_DROP_STALE, now, "%s without timestamp",
			 dmm_msg_type_name(m.type));
		return DMM_E_STALE;
	}
	if (dmm_msg_is_request(m.type))
		return recv_request(n, src, &m, now);
	return recv_reply(n, src, &m, now);
}

/* ---- liveness probe ---- */

int dmm_node_probe(struct dmm_node *n, const struct in6_addr *lm, dmm_time_t now)
{
	const struct dmm_network *net;
	struct dmm_msg m = { .type = DMM_MSG_LOC_QUERY, .present = DMM_P_TARGET };
	int64_t id;

	if (n->probe_txn)
		return 0; /* still retransmitted: its answer will do */
	if (n->cfg.local_net < 0 || (unsigned)n->cfg.local_net >= n->cfg.n_nets)
		return DMM_E_CONFIG;
	net = &n->cfg.nets[n->cfg.local_net];
	if (net->n_prefixes == 0)
		return DMM_E_CONFIG;
	m.target = net->prefixes[0].addr;
	/* Several LMs in the network: the one that answered last, else the
	 * pick; one that stops answering is failed over from (txn_move). */
	if (dmm_net_n_lms(net) > 1 && dmm_net_has_lm(net, lm))
		lm = dmm_net_has_lm(net, &n->probe_lm) ? &n->probe_lm :
			dmm_pick(n, n->cfg.local_net, true, &m, now);
	/* The cookie is the transaction id, known only once it is sent. */
	id = dmm_request(n, lm, &m, PROBE_OWNER, 0, now);
	if (id < 0)
		return (int)id;
	n->probe_txn = (uint32_t)id;
	for (uint32_t i = 0; i < n->txn_hi; i++)
		if (n->txns[i].id == (uint32_t)id)
			n->txns[i].cookie = (uint64_t)id;
	return 0;
}

dmm_time_t dmm_node_probe_answered(const struct dmm_node *n)
{
	return n->probe_answered;
}

/* ---- timers ---- */

/* Several LMs/HAAs per network (pick.c): send t on to the next one, with
 * a fresh sequence number and the retransmissions afresh. */
static bool txn_move(struct dmm_node *n, struct dmm_txn *t, bool timed_out, dmm_time_t now)
{
	struct in6_addr next;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (!dmm_pick_next(n, &t->dst, &t->msg, timed_out, now, &next))
		return false;
	dmm_log(n, DMM_LOG_INFO, "%s seq %u: %s %s, sent on to %s",
		dmm_msg_type_name(t->msg.type), t->msg.seq,
		inet_ntop(AF_INET6, &t->dst, a, sizeof(a)),
		timed_out ? "does not answer" : "does not hold it",
		inet_ntop(AF_INET6, &next, b, sizeof(b)));
	t->dst = next;
	t->msg.seq = n->next_seq++;
	t->tries = 0;
	t->backoff_ms = n->cfg.timers.retrans_initial_ms;
	t->deadline = now + t->backoff_ms;
	seal_and_send(n, &t->dst, &t->msg, now);
	return true;
}

static void txn_timer(struct dmm_node *n, uint32_t i, dmm_time_t now)
{
	struct dmm_txn *t = &n->txns[i];

	if (t->id == 0 || t->deadline > now)
		return;
	if (t->tries < n->cfg.timers.retrans_count) {
		t->tries++;
		dmm_count(n, DMM_C_RETRANSMIT);
		seal_and_send(n, &t->dst, &t->msg, now);
		/* doubled in 64 bits: a backoff above 2^31 ms must not wrap */
		uint64_t next = (uint64_t)t->backoff_ms * 2;
		t->backoff_ms = next > n->cfg.timers.retrans_max_ms ?
				n->cfg.timers.retrans_max_ms : (uint32_t)next;
		t->deadline = now + t->backoff_ms;
		return;
	}
	unsigned owner = t->owner;
	uint64_t cookie = t->cookie;
	dmm_drop(n, DMM_C_TIMEOUT, now, "%s seq %u: no answer after %u tries",
		 dmm_msg_type_name(t->msg.type), t->msg.seq, t->tries + 1);
	if (txn_move(n, t, true, now))
		return;
	txn_release(n, t);
	deliver_reply(n, owner, cookie, NULL, NULL, now);
}

int dmm_node_restore(struct dmm_node *n, const struct dmm_record *r, dmm_time_t now)
{
	for (unsigned i = 0; i < N_ROLES; i++)
		if ((unsigned)r->kind < 32 && (role_ops[i]->records & (1u << r->kind)) &&
		    role_ops[i]->restore)
			return role_ops[i]->restore(n, r, now); /* DMM_E_ROLE if not running */
	return DMM_E_ROLE;
}

void dmm_node_restore_hint(struct dmm_node *n, uint32_t count)
{
	if (n->lm)
		dmm_lm_reserve(n, count);
}

void dmm_node_restore_done(struct dmm_node *n)
{
	if (n->lm)
		dmm_lm_restore_done(n);
}

void dmm_node_timer(struct dmm_node *n, dmm_time_t now)
{
	dmm_node_restore_done(n);
	for (uint32_t i = 0; i < n->txn_hi; i++)
		txn_timer(n, i, now);
	for (unsigned i = 0; i < N_ROLES; i++)
		if (n->cfg.roles & role_ops[i]->role)
			role_ops[i]->timer(n, now);
}

static dmm_time_t earliest(dmm_time_t a, dmm_time_t b)
{
	return a < b ? a : b;
}

dmm_time_t dmm_node_next_deadline(const struct dmm_node *n)
{
	dmm_time_t d = DMM_TIME_NEVER;

	for (uint32_t i = 0; i < n->txn_hi; i++)
		if (n->txns[i].id)
			d = earliest(d, n->txns[i].deadline);
	for (unsigned i = 0; i < N_ROLES; i++)
		if (n->cfg.roles & role_ops[i]->role)
			d = earliest(d, role_ops[i]->deadline(n));
	return d;
}

/* ---- life cycle ---- */

static int create_roles(struct dmm_node *n, dmm_time_t now)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < N_ROLES; i++)
		if (n->cfg.roles & role_ops[i]->role)
			rc = role_ops[i]->create(n, now);
	return rc;
}

int dmm_node_new(const struct dmm_config *cfg, const struct dmm_io *io,
		 dmm_time_t now, struct dmm_node **out)
{
	struct dmm_node *n;
	int rc;

	*out = NULL;
	if (dmm_config_check(cfg, NULL, NULL) != 0)
		return DMM_E_CONFIG;
	n = calloc(1, sizeof(*n));
	if (!n)
		return DMM_E_NOMEM;
	n->cfg = *cfg;
	n->io = *io;
	n->probe_answered = DMM_TIME_NEVER;
	seed_node(n, now);
	n->txns = calloc(cfg->limits.max_pending, sizeof(*n->txns));
	n->replay.peers = calloc(cfg->limits.max_peers, sizeof(*n->replay.peers));
	n->replay.cap = cfg->limits.max_peers;
	n->replay.ts_window_ms = cfg->timers.ts_window_ms;
	n->replies = calloc(cfg->limits.reply_cache, sizeof(*n->replies));
	if (!n->txns || !n->replay.peers || !n->replies) {
		dmm_node_free(n);
		return DMM_E_NOMEM;
	}
	rc = create_roles(n, now);
	if (rc < 0) {
		dmm_node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void dmm_node_free(struct dmm_node *n)
{
	if (!n)
		return;
	for (unsigned i = N_ROLES; i-- > 0;)
		role_ops[i]->free(n); /* each frees only what it made */
	free(n->txns);
	free(n->replay.peers);
	free(n->replies);
	free(n);
}

const struct dmm_config *dmm_node_config(const struct dmm_node *n)
{
	return &n->cfg;
}

/* The fields of a config that can change without rebuilding tables. */
static void copy_live_fields(struct dmm_config *dst, const struct dmm_config *src)
{
	dst->timers = src->timers;
	dst->keys = src->keys;
	dst->lm_update_on_attach = src->lm_update_on_attach;
	dst->new_hoa_on_arrival = src->new_hoa_on_arrival;
	dst->hold_packets = src->hold_packets;
}

int dmm_node_reconfigure(struct dmm_node *n, const struct dmm_config *cfg)
{
	struct dmm_config *probe;
	bool same;

	if (dmm_config_check(cfg, NULL, NULL) != 0)
		return DMM_E_CONFIG;
	/* Everything but the live fields must be unchanged. */
	probe = malloc(sizeof(*probe));
	if (!probe)
		return DMM_E_NOMEM;
	*probe = *cfg;
	copy_live_fields(probe, &n->cfg);
	same = memcmp(probe, &n->cfg, sizeof(*probe)) == 0;
	free(probe);
	if (!same)
		return DMM_E_CONFIG;
	copy_live_fields(&n->cfg, cfg);
	n->replay.ts_window_ms = cfg->timers.ts_window_ms;
	dmm_log(n, DMM_LOG_INFO, "configuration reloaded");
	return 0;
}

void dmm_node_set_wall_offset(struct dmm_node *n, int64_t offset_ms)
{
	n->wall_offset = offset_ms;
}

uint64_t dmm_node_counter(const struct dmm_node *n, enum dmm_counter c)
{
	return (unsigned)c < DMM_C_COUNT ? n->counters[c] : 0;
}

void dmm_node_usage(const struct dmm_node *n, struct dmm_node_usage *u)
{
	*u = (struct dmm_node_usage){ .pending_max = n->cfg.limits.max_pending,
				      .replay_max = (uint32_t)n->replay.cap,
				      .replies_max = n->cfg.limits.reply_cache };
	for (uint32_t i = 0; i < n->txn_hi; i++)
		u->pending += n->txns[i].id != 0;
	for (size_t i = 0; i < n->replay.cap; i++)
		u->replay += n->replay.peers[i].used;
	for (uint32_t i = 0; i < n->cfg.limits.reply_cache; i++)
		u->replies += n->replies[i].used;
}
