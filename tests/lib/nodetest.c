/* One dmm node with everything it does captured: see nodetest.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodetest.h"
#include "samples.h"

static void
nt_send_cb(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct nodetest *t = ctx;

	if (t->n_sent < NT_MAX_SENT && len <= DMM_MSG_MAX) {
		struct nt_sent *s = &t->sent[t->n_sent];
		s->dst = *dst;
		s->len = len;
		memcpy(s->buf, buf, len);
	}
	t->n_sent++;
}

static void
nt_dp_cb(void *ctx, const struct dmm_dp_op *op)
{
	struct nodetest *t = ctx;

	if (t->n_ops < NT_MAX_OPS)
		t->ops[t->n_ops++] = *op;
}

static void
nt_event_cb(void *ctx, const struct dmm_event *ev)
{
	struct nodetest *t = ctx;

	if (t->n_events < NT_MAX_EVENTS)
		t->events[t->n_events++] = *ev;
}

static void
nt_log_cb(void *ctx, enum dmm_log_level lvl, const char *line)
{
	struct nodetest *t = ctx;

	if (t->verbose)
		fprintf(stderr, "[%d] %s\n", (int)lvl, line);
	if (t->n_logs < NT_MAX_LOGS)
		snprintf(t->logs[t->n_logs++], NT_LOG_LEN, "%s", line);
}

/* The node's random source: first the chosen initial sequence number, then
 * a fixed sequence (tests are deterministic). */
static uint32_t
nt_random_cb(void *ctx)
{
	struct nodetest *t = ctx;

	if (t->rand == 0) {
		t->rand = 1;
		return t->isn;
	}
	t->rand = t->rand * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(t->rand >> 32);
}

struct in6_addr
nt_a6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fprintf(stderr, "nodetest: bad address %s\n", s);
		abort();
	}
	return a;
}

struct dmm_prefix
nt_p6(const char *s)
{
	struct dmm_prefix p;

	if (dmm_prefix_parse(s, &p) != 0) {
		fprintf(stderr, "nodetest: bad prefix %s\n", s);
		abort();
	}
	return p;
}

struct dmm_mnid
nt_mnid(unsigned n)
{
	struct dmm_mnid id = { .type = DMM_MNID_EUI48, .len = 6,
			       .id = { 0x02, 0, 0, 0, 0, (uint8_t)n } };

	return id;
}

void
nt_config(struct dmm_config *cfg, const char *name, const char *self, unsigned roles)
{
	dmm_config_defaults(cfg);
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	cfg->self = nt_a6(self);
	cfg->roles = roles;
	sample_keyring(&cfg->keys);
}

int
nt_add_net(struct dmm_config *cfg, const char *name, const char *prefix,
	   const char *lm, const char *haa)
{
	struct dmm_network *net;

	if (cfg->n_nets >= DMM_MAX_NETS)
		return -1;
	net = &cfg->nets[cfg->n_nets];
	memset(net, 0, sizeof(*net));
	snprintf(net->name, sizeof(net->name), "%s", name);
	net->n_prefixes = 1;
	net->prefixes[0] = nt_p6(prefix);
	net->lm = nt_a6(lm);
	net->haa = nt_a6(haa);
	return (int)cfg->n_nets++;
}

static void
nt_persist_cb(void *ctx, const struct dmm_record *r)
{
	struct nodetest *t = ctx;
	struct nt_store *s = t->store;
	unsigned i;

	if (s == NULL)
		return;
	s->binding_ops += r->kind == DMM_REC_BINDING;
	for (i = 0; i < s->n; i++)
		if (s->r[i].kind == r->kind && dmm_prefix_eq(&s->r[i].prefix, &r->prefix) &&
		    (r->kind != DMM_REC_SUBSCRIPTION ||
		     memcmp(&s->r[i].peer, &r->peer, sizeof(r->peer)) == 0))
			break;
	if (r->del) {
		s->deletes++;
		s->expired += r->expired;
		if (i < s->n) {
			s->r[i] = s->r[s->n - 1];
			s->sent_before[i] = s->sent_before[s->n - 1];
			s->n--;
		}
		return;
	}
	s->writes++;
	if (i == s->n) {
		if (s->n == NT_MAX_RECS)
			return;
		s->n++;
	}
	s->r[i] = *r;
	s->sent_before[i] = t->n_sent;
}

int
nt_restore(struct nodetest *t, const struct nt_store *s, dmm_time_t now)
{
	int rc;

	/* as the daemon's store sorts them: subscriptions after the bindings */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < s->n; i++)
			if ((s->r[i].kind == DMM_REC_SUBSCRIPTION) == (pass == 1) &&
			    (rc = dmm_node_restore(t->node, &s->r[i], now)) < 0)
				return rc;
	return (int)s->n;
}

bool (*nt_authorize)(void *ctx, const struct dmm_mnid *id);
bool (*nt_mn_options)(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o);

int
nt_start(struct nodetest *t, const struct dmm_config *cfg, dmm_time_t now)
{
	return nt_start_isn(t, cfg, now, 1);
}

int
nt_start_isn(struct nodetest *t, const struct dmm_config *cfg, dmm_time_t now,
	     uint16_t isn)
{
	struct dmm_io io = { .send = nt_send_cb, .dp = nt_dp_cb, .log = nt_log_cb,
			     .event = nt_event_cb, .random = nt_random_cb,
			     .persist = nt_persist_cb, .authorize = nt_authorize,
			     .mn_options = nt_mn_options };
	int rc;

	memset(t, 0, sizeof(*t));
	io.ctx = t;
	t->isn = isn;
	t->cfg = *cfg;
	t->seq = 1;
	t->verbose = getenv("NT_LOG") != NULL;
	rc = dmm_node_new(cfg, &io, now, &t->node);
	if (rc == 0)
		dmm_node_set_wall_offset(t->node, NT_WALL_OFFSET);
	return rc;
}

void
nt_stop(struct nodetest *t)
{
	dmm_node_free(t->node);
	t->node = NULL;
}

void
nt_clear(struct nodetest *t)
{
	t->n_sent = t->n_ops = t->n_events = t->n_logs = 0;
}

int
nt_seal(struct nodetest *t, const struct in6_addr *src, struct dmm_msg *m,
	dmm_time_t now, uint8_t buf[DMM_MSG_MAX])
{
	if (m->seq == 0)
		m->seq = t->seq++;
	m->timestamp = dmm_ts_from_ms((uint64_t)(NT_WALL_OFFSET + (int64_t)now));
	m->present |= DMM_P_TIMESTAMP;
	return dmm_msg_seal(&t->cfg.keys, src, &t->cfg.self, m, buf, DMM_MSG_MAX);
}

int
nt_recv(struct nodetest *t, const struct in6_addr *src, struct dmm_msg *m, dmm_time_t now)
{
	uint8_t buf[DMM_MSG_MAX];
	int len = nt_seal(t, src, m, now, buf);

	if (len < 0)
		return len;
	return dmm_node_recv(t->node, src, &t->cfg.self, buf, (size_t)len, now);
}

int
nt_open(const struct nodetest *t, unsigned i, struct dmm_msg *out)
{
	if (i >= t->n_sent || i >= NT_MAX_SENT)
		return DMM_E_NOTFOUND;
	return dmm_msg_open(&t->cfg.keys, &t->cfg.self, &t->sent[i].dst, t->sent[i].buf,
			    t->sent[i].len, out);
}

int
nt_deliver(const struct nodetest *from, unsigned i, struct nodetest *to, dmm_time_t now)
{
	if (i >= from->n_sent || i >= NT_MAX_SENT)
		return DMM_E_NOTFOUND;
	return dmm_node_recv(to->node, &from->cfg.self, &from->sent[i].dst,
			     from->sent[i].buf, from->sent[i].len, now);
}

unsigned
nt_count(const struct nodetest *t, enum dmm_msg_type type, const struct in6_addr *dst)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_sent && i < NT_MAX_SENT; i++) {
		struct dmm_msg m;
		if (dst && memcmp(dst, &t->sent[i].dst, sizeof(*dst)) != 0)
			continue;
		if (nt_open(t, i, &m) == 0 && (type == DMM_MSG_NONE || m.type == type))
			n++;
	}
	return n;
}

bool
nt_log_has(const struct nodetest *t, const char *needle)
{
	for (unsigned i = 0; i < t->n_logs; i++)
		if (strstr(t->logs[i], needle) != NULL)
			return true;
	return false;
}
