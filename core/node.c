/* dmm core: the node -- authenticated input, dispatch to the roles
 * registered in role_ops[], timers, life cycle. Its services to the roles
 * (counters, logs, keys, requests, replies) are in node_svc.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_priv.h"

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
		dmm_answer_duplicate(n, src, m, now);
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
	uint32_t it = 0, slot;

	while (dmm_hmap_next(&n->txn_seq, m->seq, &it, &slot)) {
		struct dmm_txn *t = dmm_tbl_at(&n->txns, slot);
		if (t->id == 0 || t->msg.seq != m->seq ||
		    dmm_msg_reply_type(t->msg.type) != m->type ||
		    !dmm_addr_eq(&t->dst, src))
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
				dmm_txn_release(n, t);
				deliver_reply(n, owner, cookie, NULL, NULL, now);
				return 0;
			}
		}
		dmm_txn_release(n, t); /* first: the owner may send new requests */
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
	struct dmm_msg_span span;
	int rc;

	dmm_node_restore_done(n); /* no-op unless a bulk restore left it undone */
	dmm_count(n, DMM_C_RX);
	rc = dmm_msg_open_span(&n->cfg.keys, src, dst, buf, len, &m, &span);
	if (rc < 0) {
		dmm_drop(n, dmm_err_counter(rc), now, "message of %zu bytes dropped: %s",
			 len, dmm_strerror(rc));
		return rc;
	}
	if (!dmm_seal_fits(n, src, &m)) {
		dmm_drop(n, DMM_C_DROP_NODE_KEY, now, "%s sealed with key %u, which is not "
			 "the sender's", dmm_msg_type_name(m.type), m.key_id);
		return DMM_E_KEY;
	}
	if (!(m.present & DMM_P_TIMESTAMP)) {
		dmm_drop(n, DMM_C_DROP_STALE, now, "%s without timestamp",
			 dmm_msg_type_name(m.type));
		return DMM_E_STALE;
	}
	if (dmm_msg_is_request(m.type)) {
		/* its bytes, for the reply cache (dmm_reply, dmm_answer_duplicate) */
		n->rx_req = &m;
		n->rx_buf = buf;
		n->rx_len = len;
		n->rx_span = span;
		rc = recv_request(n, src, &m, now);
		n->rx_req = NULL;
		n->rx_buf = NULL;
		return rc;
	}
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
	uint32_t it = 0, s;
	while (dmm_hmap_next(&n->txn_id, (uint32_t)id, &it, &s)) {
		struct dmm_txn *t = dmm_tbl_at(&n->txns, s);
		if (t->id == (uint32_t)id)
			t->cookie = (uint64_t)id;
	}
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
	/* a new sequence number: its reply is matched under that one */
	uint32_t slot = dmm_tbl_slot(&n->txns, t);
	dmm_hmap_del(&n->txn_seq, t->msg.seq, slot);
	t->msg.seq = n->next_seq++;
	if (dmm_hmap_add(&n->txn_seq, t->msg.seq, slot) < 0)
		dmm_count(n, DMM_C_NOMEM); /* its reply will be unexpected; it times out */
	t->tries = 0;
	t->backoff_ms = n->cfg.timers.retrans_initial_ms;
	t->deadline = now + t->backoff_ms;
	dmm_seal_and_send(n, &t->dst, &t->msg, now);
	return true;
}

static void txn_timer(struct dmm_node *n, uint32_t i, dmm_time_t now)
{
	struct dmm_txn *t;

	if (!dmm_tbl_live(&n->txns, i))
		return;
	t = dmm_tbl_at(&n->txns, i);
	if (t->deadline > now)
		return;
	if (t->tries < n->cfg.timers.retrans_count) {
		t->tries++;
		dmm_count(n, DMM_C_RETRANSMIT);
		dmm_seal_and_send(n, &t->dst, &t->msg, now);
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
	dmm_txn_release(n, t);
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
	for (unsigned i = 0; i < N_ROLES; i++)
		if ((n->cfg.roles & role_ops[i]->role) && role_ops[i]->restore_hint)
			role_ops[i]->restore_hint(n, count);
}

void dmm_node_restore_done(struct dmm_node *n)
{
	for (unsigned i = 0; i < N_ROLES; i++)
		if ((n->cfg.roles & role_ops[i]->role) && role_ops[i]->restore_done)
			role_ops[i]->restore_done(n);
}

void dmm_node_timer(struct dmm_node *n, dmm_time_t now)
{
	const uint32_t *due;
	uint32_t k;

	dmm_node_restore_done(n);
	k = dmm_tbl_due(&n->txns, 0, now, &due);
	/* only the due ones, in slot order (as a scan of the table visits them) */
	for (uint32_t i = 0; i < k; i++)
		txn_timer(n, due[i], now);
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

	/* The keys of the transactions touched since the last call: a cache
	 * of what the table holds, brought up to date here. */
	if (n->txns.ndirty)
		dmm_tbl_flush((struct dmm_tbl *)&n->txns);
	d = dmm_tbl_min(&n->txns, 0);
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
	dmm_seed_node(n, now);
	dmm_hmap_init(&n->txn_seq);
	dmm_hmap_init(&n->txn_id);
	rc = dmm_tbl_init(&n->txns, sizeof(struct dmm_txn), cfg->limits.max_pending, 1,
			  dmm_txn_key);
	n->replay.peers = calloc(cfg->limits.max_peers, sizeof(*n->replay.peers));
	n->replay.cap = cfg->limits.max_peers;
	n->replay.ts_window_ms = cfg->timers.ts_window_ms;
	n->replies = calloc(cfg->limits.reply_cache, sizeof(*n->replies));
	if (rc < 0 || !n->replay.peers || !n->replies || dmm_replay_index_init(&n->replay) < 0) {
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
	dmm_tbl_fini(&n->txns);
	dmm_hmap_fini(&n->txn_seq);
	dmm_hmap_fini(&n->txn_id);
	free(n->replay.peers);
	dmm_replay_index_fini(&n->replay);
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
	u->pending = n->txns.live;
	for (size_t i = 0; i < n->replay.cap; i++)
		u->replay += n->replay.peers[i].used;
	for (uint32_t i = 0; i < n->cfg.limits.reply_cache; i++)
		u->replies += n->replies[i].used;
}
