/* dmmd: the LM's bindings in a Redis server shared by several LM front ends
 * (lm { store redis ADDR:PORT }). docs/ARCHITECTURE.md, "The LM tier".
 *
 * Each front end keeps every binding in its own tables (the core's) and
 * answers queries from them; Redis is the shared, durable copy, and its
 * pub/sub channel tells every front end what the others changed:
 *
 *  - write-through: each binding change the core persists (dmm_io.persist)
 *    is sent to Redis as one script that stores the record (with the
 *    binding's expiry as the key's PXAT, so Redis drops it when it runs
 *    out) and publishes it. The replies the front end sends while
 *    processing the message that caused it are held (rstore_hold) until
 *    Redis has answered (and, with `replicas N`, until WAIT says N
 *    replicas have it): acknowledged = stored. So is a retransmission
 *    answered from the reply cache while writes are in flight. How
 *    durable "stored" is, is Redis's configuration (appendonly yes,
 *    appendfsync always: on the primary's disk before it answers).
 *  - a record another front end published is applied (dmm_lm_apply): the
 *    binding is created, changed or removed here, and a move notifies the
 *    subscribers this front end has.
 *  - at each (re)connection: subscribe first, then read every record
 *    (SCAN in batches) and apply it, then (after a reconnection) remove
 *    the bindings Redis no longer has. A record published during the scan
 *    wins over what the scan read of it (it is newer).
 *  - several addresses (a primary and its replicas): the one whose ROLE
 *    is master is used; after a failure the next is tried, so a replica
 *    promoted (by Sentinel, or by hand) takes over.
 *  - a heartbeat every second: a message of ours published on the channel
 *    must come back through the subscription within the timeout, so a
 *    connection gone silent (no reset) fails as surely as one reset.
 *  - never waited for: hiredis's asynchronous API, its two sockets (commands;
 *    the subscription) in dmmd's poll loop. A connection that fails, or a
 *    command not answered within `timeout`, closes both; they are opened
 *    again after a backoff (100 ms doubling up to 5 s). While the store is
 *    unreachable the LM refuses updates (status NO_RESOURCES, counted as
 *    lm_store_refused) and answers queries from what it holds; the held
 *    replies are dropped (never sent: nothing was acknowledged) and the
 *    core's reply cache forgotten, so a retransmission is not answered
 *    "OK" from the cache: it goes unanswered, and the MR's next request
 *    is refused or, once the store is back, accepted.
 *
 * A change of the same binding through two front ends at once: the one
 * accepted later (wall clock, ms) wins; an older write does not overwrite
 * a newer record, and the front end that made it takes the newer one. An
 * expiry is not written (Redis expires the key at the same time); a
 * deregistration deletes the key. What is not shared: the
 * subscriptions (each front end notifies the MRs that subscribed through
 * it), the reply cache and the replay windows (per front end: an MR talks
 * to one front end at a time, by address or anycast), pending forwards.
 *
 * Layout (namespace NS, default "dmm"):
 *   key     NS:b:PREFIX                  e.g. dmm:b:2001:db8:1::/64
 *   value   accepted-at ms (16 decimal digits) + store.c's key (18 bytes)
 *           + store.c's value
 *   channel NS:lm, message: front end id (8 bytes) + 'S' + value
 *                                                  | 'D' + store.c's key
 *                                                  | 'H' (heartbeat) */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "dmmd.h"
#include "log.h"
#include "roles.h"

#define RS_ACCEPT_LEN 16
#define RS_VAL_MAX (RS_ACCEPT_LEN + STORE_KEY_LEN + STORE_VAL_MAX)
#define RS_MSG_MAX (8 + 1 + RS_VAL_MAX)
#define RS_KEY_MAX (DMMD_REDIS_NS_MAX + 3 + DMM_PREFIX_STRLEN)
#define RS_HELD_MAX 4096        /* replies waiting for their writes */
#define RS_BACKOFF_MIN 100      /* ms */
#define RS_BACKOFF_MAX 5000
#define RS_SCAN_COUNT "4000" /* keys per batch (Lua unpack takes up to 8000) */
#define RS_HEARTBEAT 1000       /* ms between heartbeats through the channel */

/* Store the record unless Redis has one accepted later (then answer that
 * one, for this front end to take); publish it. */
static const char rs_set_lua[] =
	"local cur = redis.call('GET', KEYS[1])\n"
	"local t = cur and tonumber(string.sub(cur, 1, 16))\n"
	"if t and t > tonumber(string.sub(ARGV[1], 1, 16)) then return cur end\n"
	"redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])\n"
	"redis.call('PUBLISH', ARGV[3], ARGV[4])\n"
	"return 1\n";
static const char rs_del_lua[] =
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('PUBLISH', ARGV[1], ARGV[2])\n"
	"return 1\n";
/* One batch of the scan: the next cursor and the values of its keys. */
static const char rs_scan_lua[] =
	"local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])\n"
	"if #r[2] == 0 then return {r[1], {}} end\n"
	"return {r[1], redis.call('MGET', unpack(r[2]))}\n";

struct rs_conn {
	redisAsyncContext *ac;
	bool rd, wr;        /* what hiredis wants to wait for */
	bool up;            /* connected */
	struct rstore *rs;
};

struct rs_held {
	uint64_t barrier;   /* sent once this write is acknowledged */
	int fd;
	struct sockaddr_in6 to;
	uint16_t len;
	uint8_t buf[DMM_MSG_MAX];
};

/* The keys the scan saw, or that changed while it ran (open addressing). */
struct rs_keyset {
	uint8_t (*k)[STORE_KEY_LEN + 1]; /* [STORE_KEY_LEN]: 1 = used */
	size_t cap, n;
};

struct rstore {
	struct dmmd *d;
	struct rs_conn cmd, sub;
	enum rstore_state state;
	bool ever_synced;
	bool role_ok;           /* the server at cur said it is the primary */
	bool fail;              /* close both connections at the next turn */
	bool tearing;           /* closing: callbacks of pending commands ignored */
	char why[128];          /* the last failure */
	uint8_t id[8];          /* this front end's, in what it publishes */
	char chan[DMMD_REDIS_NS_MAX + 4];
	char match[DMMD_REDIS_NS_MAX + 4];
	dmm_time_t next_try, backoff, progress; /* progress: last answer, or connect */
	unsigned n_out;         /* commands on cmd waiting for their answer */
	dmm_time_t hb_due, hb_sent; /* next heartbeat; the one awaited, sent then */
	bool hb_wait;
	uint64_t issued, done, waited; /* writes sent, acknowledged; WAIT sent up to */
	struct rs_held *held;   /* ring of RS_HELD_MAX */
	unsigned held_head, held_n;
	struct rs_keyset seen;  /* while syncing */
	uint64_t sync_started_ms, sync_n;
	struct rstore_stats st;
};

static void rs_connect(struct rstore *rs);
static bool rs_decode(const struct rstore *rs, const uint8_t *v, size_t len,
		      struct dmm_record *r);
static void rs_apply(struct rstore *rs, const struct dmm_record *r);

static const char *const rs_state_names[] = { "down", "connecting", "syncing", "up" };

const char *rstore_state_name(enum rstore_state s)
{
	return s < sizeof(rs_state_names) / sizeof(rs_state_names[0]) ? rs_state_names[s] : "?";
}

/* ---------------------------------------------------------------- key set */

static uint64_t ks_hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned i = 0; i < STORE_KEY_LEN; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return h;
}

static void ks_free(struct rs_keyset *s)
{
	free(s->k);
	*s = (struct rs_keyset){ 0 };
}

static bool ks_has(const struct rs_keyset *s, const uint8_t *k)
{
	if (s->cap == 0)
		return false;
	for (size_t i = ks_hash(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->k[i][STORE_KEY_LEN])
			return false;
		if (memcmp(s->k[i], k, STORE_KEY_LEN) == 0)
			return true;
	}
}

/* Add k; false if it was there already. Without memory the set stays as
 * it is (the sweep then keeps a binding it might have removed). */
static bool ks_add(struct rs_keyset *s, const uint8_t *k)
{
	if (s->n * 2 >= s->cap) {
		struct rs_keyset g = { .cap = s->cap ? s->cap * 2 : 1024 };
		if (!(g.k = calloc(g.cap, sizeof(*g.k))))
			return true;
		for (size_t i = 0; i < s->cap; i++)
			if (s->k[i][STORE_KEY_LEN])
				ks_add(&g, s->k[i]);
		free(s->k);
		*s = g;
	}
	for (size_t i = ks_hash(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->k[i][STORE_KEY_LEN]) {
			memcpy(s->k[i], k, STORE_KEY_LEN);
			s->k[i][STORE_KEY_LEN] = 1;
			s->n++;
			return true;
		}
		if (memcmp(s->k[i], k, STORE_KEY_LEN) == 0)
			return false;
	}
}

/* ---------------------------------------------------------------- events */

/* hiredis's event hooks: remember what it waits for; rstore_pollfds asks. */
static void ev_add_read(void *p) { ((struct rs_conn *)p)->rd = true; }
static void ev_del_read(void *p) { ((struct rs_conn *)p)->rd = false; }
static void ev_add_write(void *p) { ((struct rs_conn *)p)->wr = true; }
static void ev_del_write(void *p) { ((struct rs_conn *)p)->wr = false; }
static void ev_cleanup(void *p)
{
	struct rs_conn *c = p;

	c->rd = c->wr = false;
}

/* Something failed: both connections close at the next turn of the loop
 * (rstore_timer), outside hiredis's callbacks. */
static void rs_fail(struct rstore *rs, const char *fmt, ...)
{
	va_list ap;

	if (rs->tearing || rs->fail)
		return;
	rs->fail = true;
	va_start(ap, fmt);
	vsnprintf(rs->why, sizeof(rs->why), fmt, ap);
	va_end(ap);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct rs_conn *c = ac->data;

	if (status != REDIS_OK) { /* hiredis frees ac after this */
		c->ac = NULL;
		rs_fail(c->rs, "connect: %s", ac->errstr);
		return;
	}
	c->up = true;
	c->rs->progress = c->rs->d->now;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rs_conn *c = ac->data;

	if (c->ac == ac) { /* hiredis frees ac after this */
		c->ac = NULL;
		c->up = false;
		rs_fail(c->rs, "connection lost%s%s", ac->errstr[0] ? ": " : "", ac->errstr);
	}
}

static int conn_open(struct rstore *rs, struct rs_conn *c)
{
	const struct dmmd_conf *cf = &rs->d->conf;
	unsigned i = rs->st.addr_index;
	char host[INET6_ADDRSTRLEN];

	if (cf->redis_family[i] == AF_INET)
		inet_ntop(AF_INET, &cf->redis_addr[i].s6_addr[12], host, sizeof(host));
	else
		inet_ntop(AF_INET6, &cf->redis_addr[i], host, sizeof(host));
	*c = (struct rs_conn){ .rs = rs };
	c->ac = redisAsyncConnect(host, cf->redis_port[i]);
	if (c->ac == NULL || c->ac->err) {
		rs_fail(rs, "connect: %s", c->ac ? c->ac->errstr : "out of memory");
		if (c->ac)
			redisAsyncFree(c->ac);
		c->ac = NULL;
		return -1;
	}
	c->ac->data = c;
	c->ac->ev.data = c;
	c->ac->ev.addRead = ev_add_read;
	c->ac->ev.delRead = ev_del_read;
	c->ac->ev.addWrite = ev_add_write;
	c->ac->ev.delWrite = ev_del_write;
	c->ac->ev.cleanup = ev_cleanup;
	redisAsyncSetConnectCallback(c->ac, on_connect); /* waits for writability */
	redisAsyncSetDisconnectCallback(c->ac, on_disconnect);
	return 0;
}

/* ---------------------------------------------------------------- held replies */

static void held_release(struct rstore *rs)
{
	while (rs->held_n > 0) {
		struct rs_held *h = &rs->held[rs->held_head];
		if (h->barrier > rs->done)
			return;
		sock_sendto(rs->d, h->fd, &h->to, h->buf, h->len);
		rs->held_head = (rs->held_head + 1) % RS_HELD_MAX;
		rs->held_n--;
	}
}

static void held_drop(struct rstore *rs)
{
	rs->st.held_dropped += rs->held_n;
	rs->held_n = 0;
	rs->held_head = 0;
}

/* The replies to a message wait if it caused writes, or if it was a
 * retransmission answered from the reply cache while writes are in
 * flight (its cached answer may be one of theirs). Other replies go at
 * once: a query answered while a write is in flight may show that
 * change a moment before it is acknowledged. */
bool rstore_must_hold(const struct dmmd *d, uint64_t issued_before, uint64_t dups_before)
{
	const struct rstore *rs = d->rs;

	return rs != NULL && (rs->issued != issued_before ||
			      (rs->issued != rs->done &&
			       dmm_node_counter(d->node, DMM_C_DUP_REQUEST) != dups_before));
}

uint64_t rstore_issued(const struct dmmd *d)
{
	return d->rs ? d->rs->issued : 0;
}

void rstore_hold(struct dmmd *d, int fd, const struct sockaddr_in6 *to, const uint8_t *buf,
		 size_t len)
{
	struct rstore *rs = d->rs;
	struct rs_held *h;

	if (rs->issued == rs->done) { /* nothing in flight after all */
		sock_sendto(d, fd, to, buf, len);
		return;
	}
	if (rs->held == NULL && !(rs->held = calloc(RS_HELD_MAX, sizeof(*rs->held)))) {
		rs->st.held_dropped++;
		return;
	}
	if (rs->held_n >= RS_HELD_MAX || len > sizeof(h->buf)) {
		rs->st.held_dropped++;
		log_ratelimited(LOG_WARNING, "store redis: %u replies wait for the store already: "
				"one dropped (the MR retransmits)", rs->held_n);
		return;
	}
	h = &rs->held[(rs->held_head + rs->held_n++) % RS_HELD_MAX];
	h->barrier = rs->issued;
	h->fd = fd;
	h->to = *to;
	h->len = (uint16_t)len;
	memcpy(h->buf, buf, len);
	rs->st.held++;
}

/* ---------------------------------------------------------------- writes */

static void rs_acked(struct rstore *rs, uint64_t id)
{
	if (id > rs->done)
		rs->done = id;
	held_release(rs);
}

static bool reply_ok(struct rstore *rs, const redisReply *r, const char *what)
{
	if (rs->tearing)
		return false;
	if (r == NULL) {
		rs_fail(rs, "%s: no answer (connection closed)", what);
		return false;
	}
	rs->progress = rs->d->now;
	if (r->type == REDIS_REPLY_ERROR) {
		rs_fail(rs, "%s: %.*s", what, (int)r->len, r->str);
		return false;
	}
	return true;
}

static void on_write(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;
	const redisReply *r = reply;

	if (rs->tearing)
		return;
	rs->n_out--;
	if (!reply_ok(rs, r, "write"))
		return;
	rs->st.writes++;
	if (r->type == REDIS_REPLY_STRING) { /* a newer record: it is the binding */
		struct dmm_record rec;
		rs->st.superseded++;
		if (rs_decode(rs, (const uint8_t *)r->str, r->len, &rec))
			rs_apply(rs, &rec);
	}
	if (rs->d->conf.redis_replicas == 0)
		rs_acked(rs, (uint64_t)(uintptr_t)priv);
}

static void on_wait(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;
	const redisReply *r = reply;
	unsigned want = rs->d->conf.redis_replicas;

	if (rs->tearing)
		return;
	rs->n_out--;
	if (!reply_ok(rs, r, "WAIT"))
		return;
	if (r->type != REDIS_REPLY_INTEGER || r->integer < (long long)want) {
		/* on the primary, not on enough replicas: not acknowledged. Their
		 * replies are dropped (the MR asks again), the connection stays. */
		uint64_t id = (uint64_t)(uintptr_t)priv;
		rs->st.wait_short++;
		log_ratelimited(LOG_WARNING, "store redis: WAIT: %lld of %u replicas have the "
				"writes after %ums: their replies dropped",
				r->type == REDIS_REPLY_INTEGER ? r->integer : -1, want,
				rs->d->conf.redis_timeout_ms / 2);
		while (rs->held_n > 0 && rs->held[rs->held_head].barrier <= id) {
			rs->held_head = (rs->held_head + 1) % RS_HELD_MAX;
			rs->held_n--;
			rs->st.held_dropped++;
		}
		dmm_node_forget_replies(rs->d->node);
		if (id > rs->done)
			rs->done = id;
		held_release(rs);
		return;
	}
	rs_acked(rs, (uint64_t)(uintptr_t)priv);
}

static void rs_key(const struct rstore *rs, const struct dmm_prefix *p, char *k, size_t len)
{
	char ps[DMM_PREFIX_STRLEN];

	snprintf(k, len, "%s:b:%s", rs->d->conf.redis_ns, dmm_prefix_str(p, ps, sizeof(ps)));
}

static int rs_send(struct rstore *rs, int argc, const char **argv, const size_t *argl,
		   redisCallbackFn *fn, uint64_t id)
{
	if (rs->n_out == 0)
		rs->progress = rs->d->now;
	if (redisAsyncCommandArgv(rs->cmd.ac, fn, (void *)(uintptr_t)id, argc, argv, argl)
	    != REDIS_OK) {
		rs_fail(rs, "cannot queue a command");
		return -1;
	}
	rs->n_out++;
	return 0;
}

/* dmm_io.persist for bindings (store_put). Not connected: nothing to do,
 * the LM refuses updates then (dmm_lm_set_store); an expiry or a removal
 * the LM decided on its own is redone by Redis (PXAT) or by the next sync. */
void rstore_put(struct dmmd *d, const struct dmm_record *r)
{
	struct rstore *rs = d->rs;
	uint8_t k[STORE_KEY_LEN], v[RS_VAL_MAX], msg[RS_MSG_MAX];
	char key[RS_KEY_MAX], exp[24], acc[RS_ACCEPT_LEN + 1];
	const char *argv[8];
	size_t argl[8], vlen, mlen;
	int64_t exp_ms;

	if (rs->cmd.ac == NULL || !rs->cmd.up || rs->fail || (r->del && r->expired)) {
		if (!(r->del && r->expired))
			rs->st.not_written++;
		return;
	}
	rs_key(rs, &r->prefix, key, sizeof(key));
	memcpy(msg, rs->id, 8);
	if (r->del) {
		struct dmm_record kr = *r;
		key_of_record(&kr, k);
		msg[8] = 'D';
		memcpy(msg + 9, k, STORE_KEY_LEN);
		mlen = 9 + STORE_KEY_LEN;
		argv[0] = "EVAL"; argv[1] = rs_del_lua; argv[2] = "1"; argv[3] = key;
		argv[4] = rs->chan; argv[5] = (const char *)msg;
		for (int i = 0; i < 5; i++)
			argl[i] = strlen(argv[i]);
		argl[5] = mlen;
		if (rs_send(rs, 6, argv, argl, on_write, rs->issued + 1) == 0)
			rs->issued++;
	} else {
		snprintf(acc, sizeof(acc), "%016" PRId64, wall_ms());
		memcpy(v, acc, RS_ACCEPT_LEN);
		vlen = RS_ACCEPT_LEN + STORE_KEY_LEN;
		vlen += store_encode(d, r, v + RS_ACCEPT_LEN, v + vlen);
		exp_ms = (int64_t)r->expires - (int64_t)d->now + wall_ms();
		snprintf(exp, sizeof(exp), "%" PRId64, exp_ms);
		msg[8] = 'S';
		memcpy(msg + 9, v, vlen);
		mlen = 9 + vlen;
		argv[0] = "EVAL"; argv[1] = rs_set_lua; argv[2] = "1"; argv[3] = key;
		argv[4] = (const char *)v; argv[5] = exp; argv[6] = rs->chan;
		argv[7] = (const char *)msg;
		for (int i = 0; i < 8; i++)
			argl[i] = strlen(argv[i]);
		argl[4] = vlen;
		argl[7] = mlen;
		if (rs_send(rs, 8, argv, argl, on_write, rs->issued + 1) == 0)
			rs->issued++;
		memcpy(k, v + RS_ACCEPT_LEN, STORE_KEY_LEN);
	}
	if (rs->state == RSTORE_SYNCING) /* newer than what the scan may read */
		ks_add(&rs->seen, k);
}

/* With `replicas N`: one WAIT after the writes of a turn of the loop. */
static void rs_wait(struct rstore *rs)
{
	char n[12], t[12];
	const char *argv[3] = { "WAIT", n, t };
	size_t argl[3];

	if (rs->d->conf.redis_replicas == 0 || rs->waited == rs->issued || rs->cmd.ac == NULL ||
	    rs->fail)
		return;
	snprintf(n, sizeof(n), "%u", rs->d->conf.redis_replicas);
	/* half the timeout: its answer (too few replicas) comes before ours */
	snprintf(t, sizeof(t), "%u", rs->d->conf.redis_timeout_ms / 2);
	argl[0] = 4;
	argl[1] = strlen(n);
	argl[2] = strlen(t);
	if (rs_send(rs, 3, argv, argl, on_wait, rs->issued) == 0)
		rs->waited = rs->issued;
}

/* ---------------------------------------------------------------- reads */

/* A value as stored: the record in it. false if it is not one of ours. */
static bool rs_decode(const struct rstore *rs, const uint8_t *v, size_t len,
		      struct dmm_record *r)
{
	if (len < RS_ACCEPT_LEN + STORE_KEY_LEN)
		return false;
	return store_decode(v + RS_ACCEPT_LEN, STORE_KEY_LEN, v + RS_ACCEPT_LEN + STORE_KEY_LEN,
			    len - RS_ACCEPT_LEN - STORE_KEY_LEN, wall_ms(), rs->d->now, r) &&
	       r->kind == DMM_REC_BINDING;
}

static void rs_apply(struct rstore *rs, const struct dmm_record *r)
{
	int rc = dmm_lm_apply(rs->d->node, r, rs->d->now);

	if (rc < 0) {
		rs->st.apply_errors++;
		log_ratelimited(LOG_WARNING, "store redis: a binding from the store not taken: %s",
				dmm_strerror(rc));
	}
}

/* A message on the channel: a change made through another front end. */
static void on_message(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;
	const redisReply *r = reply, *p;
	struct dmm_record rec = { .kind = DMM_REC_BINDING };
	const uint8_t *m;

	if (rs->tearing)
		return;
	if (r == NULL) {
		rs_fail(rs, "subscription: connection closed");
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type !=
	    REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "subscribe") == 0) {
		rs->st.subscribed = true;
		return;
	}
	p = r->element[2];
	if (strcmp(r->element[0]->str, "message") != 0 || p->type != REDIS_REPLY_STRING ||
	    p->len < 9)
		return;
	m = (const uint8_t *)p->str;
	if (memcmp(m, rs->id, 8) == 0) { /* ours: only a heartbeat matters */
		if (m[8] == 'H') {
			rs->hb_wait = false;
			rs->hb_due = rs->d->now + RS_HEARTBEAT;
		}
		return;
	}
	if (m[8] == 'H')
		return; /* another front end's heartbeat */
	if (m[8] == 'D' && p->len == 9 + STORE_KEY_LEN) {
		rec.del = true;
		memcpy(&rec.prefix.addr, m + 10, 16);
		rec.prefix.len = m[9 + 17];
		if (m[9] != DMM_REC_BINDING || rec.prefix.len > 128)
			goto bad;
	} else if (m[8] != 'S' || !rs_decode(rs, m + 9, p->len - 9, &rec)) {
		goto bad;
	}
	if (rs->state == RSTORE_SYNCING)
		ks_add(&rs->seen, m[8] == 'D' ? m + 9 : m + 9 + RS_ACCEPT_LEN);
	rs->st.applied++;
	rs_apply(rs, &rec);
	return;
bad:
	rs->st.unreadable++;
}

static void rs_scan(struct rstore *rs, const char *cursor, size_t len);

struct sweep { struct rstore *rs; struct dmm_prefix *gone; size_t n, cap; };

static void sweep_cb(void *ctx, const struct dmm_binding_view *v)
{
	struct sweep *s = ctx;
	struct dmm_record r = { .kind = DMM_REC_BINDING, .prefix = v->prefix };
	uint8_t k[STORE_KEY_LEN];

	key_of_record(&r, k);
	if (ks_has(&s->rs->seen, k))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct dmm_prefix *g = realloc(s->gone, cap * sizeof(*g));
		if (!g)
			return;
		s->gone = g;
		s->cap = cap;
	}
	s->gone[s->n++] = v->prefix;
}

/* The scan is over: what the store does not have goes, then the LM is up. */
static void rs_synced(struct rstore *rs)
{
	struct sweep s = { .rs = rs };

	if (rs->ever_synced) /* at start there is nothing stale to remove */
		dmm_lm_foreach_binding(rs->d->node, sweep_cb, &s);
	for (size_t i = 0; i < s.n; i++) {
		struct dmm_record r = { .kind = DMM_REC_BINDING, .del = true, .prefix = s.gone[i] };
		rs_apply(rs, &r);
	}
	free(s.gone);
	ks_free(&rs->seen);
	rs->st.synced = rs->sync_n;
	rs->st.swept = s.n;
	rs->st.sync_ms = (uint64_t)(wall_ms() - (int64_t)rs->sync_started_ms);
	rs->state = RSTORE_UP;
	rs->ever_synced = true;
	rs->backoff = 0;
	dmm_lm_set_store(rs->d->node, DMM_LM_STORE_UP);
	log_info("store redis %s: in step: %" PRIu64 " bindings read in %" PRIu64 " ms, %zu "
		 "removed here", rs->d->conf.redis_ns, rs->sync_n, rs->st.sync_ms, s.n);
}

static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;
	const redisReply *r = reply, *vals;

	if (rs->tearing)
		return;
	rs->n_out--;
	if (!reply_ok(rs, r, "scan"))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
		rs_fail(rs, "scan: unexpected answer");
		return;
	}
	vals = r->element[1];
	for (size_t i = 0; i < vals->elements; i++) {
		const redisReply *v = vals->element[i];
		struct dmm_record rec;
		if (v->type != REDIS_REPLY_STRING) /* expired meanwhile */
			continue;
		if (!rs_decode(rs, (const uint8_t *)v->str, v->len, &rec)) {
			rs->st.unreadable++;
			continue;
		}
		/* changed since: the newer word is applied already. At the first
		 * sync nothing else is held here: only those are remembered */
		if (rs->ever_synced ? !ks_add(&rs->seen, (const uint8_t *)v->str + RS_ACCEPT_LEN)
				    : ks_has(&rs->seen, (const uint8_t *)v->str + RS_ACCEPT_LEN))
			continue;
		rs->sync_n++;
		rs_apply(rs, &rec);
	}
	if (r->element[0]->len == 1 && r->element[0]->str[0] == '0')
		rs_synced(rs);
	else
		rs_scan(rs, r->element[0]->str, r->element[0]->len);
}

static void rs_scan(struct rstore *rs, const char *cursor, size_t len)
{
	const char *argv[6] = { "EVAL", rs_scan_lua, "0", cursor, rs->match, RS_SCAN_COUNT };
	size_t argl[6];

	for (int i = 0; i < 6; i++)
		argl[i] = strlen(argv[i]);
	argl[3] = len;
	rs_send(rs, 6, argv, argl, on_scan, 0);
}

/* ---------------------------------------------------------------- connection */

static void rs_subscribe(struct rstore *rs)
{
	const char *argv[2] = { "SUBSCRIBE", rs->chan };
	size_t argl[2] = { 9, strlen(rs->chan) };

	if (redisAsyncCommandArgv(rs->sub.ac, on_message, NULL, 2, argv, argl) != REDIS_OK)
		rs_fail(rs, "cannot subscribe");
}

/* ROLE: only the primary takes writes; a replica (say, the old primary
 * back after another was promoted) is left for the next address. */
static void on_role(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;
	const redisReply *r = reply;
	char a[INET6_ADDRSTRLEN + 10];

	if (rs->tearing)
		return;
	rs->n_out--;
	if (!reply_ok(rs, r, "ROLE"))
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0)
		rs->role_ok = true;
	else
		rs_fail(rs, "%s is not the primary (ROLE %s)",
			parse_redis_str(&rs->d->conf, rs->st.addr_index, a, sizeof(a)),
			r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
			r->element[0]->type == REDIS_REPLY_STRING ? r->element[0]->str : "?");
}

static void rs_connect(struct rstore *rs)
{
	const char *argv[1] = { "ROLE" };
	size_t argl[1] = { 4 };

	rs->fail = false;
	rs->role_ok = false;
	rs->st.subscribed = false;
	rs->state = RSTORE_CONNECTING;
	rs->progress = rs->d->now;
	rs->st.connects++;
	if (conn_open(rs, &rs->cmd) < 0 || conn_open(rs, &rs->sub) < 0)
		return;
	rs_send(rs, 1, argv, argl, on_role, 0); /* both sent once connected */
	rs_subscribe(rs);
}

/* Close both connections; try again after the backoff. */
static void rs_teardown(struct rstore *rs)
{
	struct rs_conn *cs[2] = { &rs->cmd, &rs->sub };

	rs->backoff = rs->backoff ? rs->backoff * 2 : RS_BACKOFF_MIN;
	if (rs->backoff > RS_BACKOFF_MAX)
		rs->backoff = RS_BACKOFF_MAX;
	log_ratelimited(LOG_WARNING, "store redis %s: %s; the LM refuses updates until it is "
			"back (retry in %u ms)", rs->d->conf.redis_ns, rs->why,
			(unsigned)rs->backoff);
	snprintf(rs->st.last_error, sizeof(rs->st.last_error), "%s", rs->why);
	rs->st.last_error_wall = wall_ms();
	rs->tearing = true;
	for (int i = 0; i < 2; i++) {
		redisAsyncContext *ac = cs[i]->ac;
		cs[i]->ac = NULL;
		cs[i]->up = false;
		if (ac)
			redisAsyncFree(ac);
	}
	rs->tearing = false;
	if (rs->issued != rs->done || rs->held_n > 0) {
		/* nothing of those was acknowledged: their retransmissions must be
		 * processed again (and refused while the store is down) */
		rs->st.unacked_dropped += rs->issued - rs->done;
		dmm_node_forget_replies(rs->d->node);
	}
	held_drop(rs);
	rs->done = rs->waited = rs->issued;
	rs->n_out = 0;
	ks_free(&rs->seen);
	rs->fail = false;
	rs->state = RSTORE_DOWN;
	rs->next_try = rs->d->now + rs->backoff;
	/* the next address: a replica may have been promoted meanwhile */
	rs->st.addr_index = (rs->st.addr_index + 1) % rs->d->conf.n_redis;
	dmm_lm_set_store(rs->d->node, rs->ever_synced ? DMM_LM_STORE_DOWN : DMM_LM_STORE_LOADING);
}

int rstore_open(struct dmmd *d)
{
	struct rstore *rs;

	if (d->conf.n_redis == 0 || !(d->conf.core.roles & DMM_ROLE_LM))
		return 0;
	if (!(rs = calloc(1, sizeof(*rs)))) {
		log_warnx("store redis: out of memory");
		return -1;
	}
	rs->d = d;
	randombytes_buf(rs->id, sizeof(rs->id));
	snprintf(rs->chan, sizeof(rs->chan), "%s:lm", d->conf.redis_ns);
	snprintf(rs->match, sizeof(rs->match), "%s:b:*", d->conf.redis_ns);
	d->rs = rs;
	dmm_lm_set_store(d->node, DMM_LM_STORE_LOADING);
	rs_connect(rs);
	return 0;
}

void rstore_close(struct dmmd *d)
{
	struct rstore *rs = d->rs;

	if (rs == NULL)
		return;
	rs->tearing = true;
	if (rs->cmd.ac)
		redisAsyncFree(rs->cmd.ac);
	if (rs->sub.ac)
		redisAsyncFree(rs->sub.ac);
	ks_free(&rs->seen);
	free(rs->held);
	free(rs);
	d->rs = NULL;
}

int rstore_pollfds(struct dmmd *d, struct pollfd *fds, int max)
{
	struct rstore *rs = d->rs;
	struct rs_conn *cs[2];
	int n = 0;

	if (rs == NULL)
		return 0;
	cs[0] = &rs->cmd;
	cs[1] = &rs->sub;
	for (int i = 0; i < 2 && n < max; i++) {
		if (cs[i]->ac == NULL || (!cs[i]->rd && !cs[i]->wr))
			continue;
		fds[n++] = (struct pollfd){ .fd = cs[i]->ac->c.fd,
			.events = (short)((cs[i]->rd ? POLLIN : 0) | (cs[i]->wr ? POLLOUT : 0)) };
	}
	return n;
}

void rstore_dispatch(struct dmmd *d, const struct pollfd *fds, int n)
{
	struct rstore *rs = d->rs;

	for (int i = 0; i < n; i++) {
		struct rs_conn *c = rs->cmd.ac && rs->cmd.ac->c.fd == fds[i].fd ? &rs->cmd :
				    rs->sub.ac && rs->sub.ac->c.fd == fds[i].fd ? &rs->sub : NULL;
		if (c == NULL || !fds[i].revents)
			continue;
		if (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
			redisAsyncHandleRead(c->ac);
		if (c->ac && (fds[i].revents & (POLLOUT | POLLERR)))
			redisAsyncHandleWrite(c->ac);
	}
}

static void on_heartbeat(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstore *rs = ((struct rs_conn *)ac->data)->rs;

	if (rs->tearing)
		return;
	rs->n_out--;
	reply_ok(rs, reply, "heartbeat");
}

/* Every RS_HEARTBEAT ms, a message of ours through the channel: it must
 * come back on the subscription within the timeout, so a connection that
 * went silent (a partition: no reset, nothing in flight) is noticed, and
 * with it the changes the subscription would have missed. */
static void rs_heartbeat(struct rstore *rs)
{
	struct dmmd *d = rs->d;
	uint8_t msg[9];
	const char *argv[3] = { "PUBLISH", rs->chan, (const char *)msg };
	size_t argl[3] = { 7, strlen(rs->chan), sizeof(msg) };

	if (rs->state != RSTORE_UP && rs->state != RSTORE_SYNCING)
		return;
	if (rs->hb_wait) {
		if (d->now >= rs->hb_sent + d->conf.redis_timeout_ms)
			rs_fail(rs, "no heartbeat back through the subscription within %u ms",
				d->conf.redis_timeout_ms);
		return;
	}
	if (d->now < rs->hb_due)
		return;
	memcpy(msg, rs->id, 8);
	msg[8] = 'H';
	if (rs_send(rs, 3, argv, argl, on_heartbeat, 0) == 0) {
		rs->hb_wait = true;
		rs->hb_sent = d->now;
	}
}

/* Each turn of the loop: close what failed, connect when it is time,
 * start the scan once subscribed, WAIT for what this turn wrote, and give
 * up on a store that does not answer within the timeout. */
void rstore_timer(struct dmmd *d)
{
	struct rstore *rs = d->rs;

	if (rs == NULL)
		return;
	if (rs->fail)
		rs_teardown(rs);
	if (rs->state == RSTORE_DOWN) {
		if (d->now >= rs->next_try)
			rs_connect(rs);
		return;
	}
	if (rs->state == RSTORE_CONNECTING && rs->cmd.up && rs->sub.up && rs->st.subscribed &&
	    rs->role_ok) {
		rs->state = RSTORE_SYNCING;
		rs->sync_n = 0;
		rs->sync_started_ms = (uint64_t)wall_ms();
		if (rs->ever_synced) /* the store takes writes while we catch up */
			dmm_lm_set_store(d->node, DMM_LM_STORE_UP);
		rs_scan(rs, "0", 1);
		rs->hb_wait = false;
		rs->hb_due = d->now + RS_HEARTBEAT;
	}
	rs_wait(rs);
	rs_heartbeat(rs);
	if ((rs->state == RSTORE_CONNECTING || rs->n_out > 0) &&
	    d->now >= rs->progress + d->conf.redis_timeout_ms)
		rs_fail(rs, rs->state == RSTORE_CONNECTING ? "no connection within %u ms" :
			"no answer within %u ms", d->conf.redis_timeout_ms);
	if (rs->fail)
		rs_teardown(rs);
}

dmm_time_t rstore_deadline(const struct dmmd *d)
{
	const struct rstore *rs = d->rs;

	if (rs == NULL)
		return DMM_TIME_NEVER;
	if (rs->fail || (rs->state == RSTORE_CONNECTING && rs->cmd.up && rs->sub.up &&
			 rs->st.subscribed && rs->role_ok))
		return d->now;
	dmm_time_t t = DMM_TIME_NEVER, u;

	if (rs->state == RSTORE_DOWN)
		return rs->next_try;
	if (rs->state == RSTORE_CONNECTING || rs->n_out > 0)
		t = rs->progress + d->conf.redis_timeout_ms;
	if (rs->state == RSTORE_UP || rs->state == RSTORE_SYNCING) {
		u = rs->hb_wait ? rs->hb_sent + d->conf.redis_timeout_ms : rs->hb_due;
		if (u < t)
			t = u;
	}
	return t;
}

const struct rstore_stats *rstore_stats(const struct dmmd *d, enum rstore_state *state,
					uint64_t *inflight, unsigned *held)
{
	const struct rstore *rs = d->rs;

	if (rs == NULL)
		return NULL;
	*state = rs->state;
	*inflight = rs->issued - rs->done;
	*held = rs->held_n;
	return &rs->st;
}
