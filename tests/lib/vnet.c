/* The virtual network: see vnet.h. Deterministic: one clock, one FIFO of
 * messages ordered by (delivery time, send order), one seeded PRNG. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet.h"

#define VNET_SPIN_MAX 200000 /* loop turns at one instant before "stuck" */
#define VNET_MISS_MAX 8      /* misses of one packet before it is dropped */
#define VNET_HOPS_MAX 32

struct vnet_qmsg {
	dmm_time_t t;
	uint64_t seq;
	struct in6_addr src, dst;
	size_t len;
	uint8_t buf[DMM_MSG_MAX];
};

/* ---- small helpers ---- */

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	p = realloc(p, c * elem);
	if (!p) {
		fprintf(stderr, "vnet: out of memory\n");
		abort();
	}
	*cap = c;
	return p;
}

struct in6_addr vnet_a6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fprintf(stderr, "vnet: bad address %s\n", s);
		abort();
	}
	return a;
}

struct dmm_prefix vnet_p6(const char *s)
{
	struct dmm_prefix p;

	if (dmm_prefix_parse(s, &p) != 0) {
		fprintf(stderr, "vnet: bad prefix %s\n", s);
		abort();
	}
	return p;
}

struct dmm_mnid vnet_mnid(unsigned n)
{
	struct dmm_mnid m = { .type = DMM_MNID_EUI48, .len = 6,
			      .id = { 0x02, 0, 0, 0, (uint8_t)(n >> 8), (uint8_t)n } };
	return m;
}

const char *vnet_prefix_str(const struct dmm_prefix *p)
{
	static char ring[8][DMM_PREFIX_STRLEN];
	static unsigned next;
	char *b = ring[next++ % 8];

	return dmm_prefix_str(p, b, DMM_PREFIX_STRLEN);
}

struct in6_addr vnet_host(const struct dmm_prefix *p, unsigned host)
{
	struct in6_addr a = p->addr;

	a.s6_addr[12] = (uint8_t)(host >> 24);
	a.s6_addr[13] = (uint8_t)(host >> 16);
	a.s6_addr[14] = (uint8_t)(host >> 8);
	a.s6_addr[15] = (uint8_t)host;
	return a;
}

/* Two 64-bit halves, not memcmp: under libFuzzer every memcmp with a
 * non-zero result went to its comparison hook (vnet_find_addr runs for
 * every message, and the answer is mostly "not this node"). */
static bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return x[0] == y[0] && x[1] == y[1];
}

static uint64_t rng_next(struct vnet *vn)
{
	uint64_t z = (vn->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- nodes ---- */

int vnet_find(const struct vnet *vn, const char *name)
{
	for (unsigned i = 0; name && i < vn->n_nodes; i++)
		if (strcmp(vn->nodes[i]->name, name) == 0)
			return (int)i;
	return -1;
}

int vnet_find_addr(const struct vnet *vn, const struct in6_addr *a)
{
	for (unsigned i = 0; i < vn->n_nodes; i++)
		if (addr_eq(&vn->nodes[i]->addr, a))
			return (int)i;
	return -1;
}

static struct vnet_node *must_find(const struct vnet *vn, const char *name)
{
	int i = vnet_find(vn, name);

	if (i < 0) {
		fprintf(stderr, "vnet: no node %s\n", name ? name : "(null)");
		abort();
	}
	return vn->nodes[i];
}

struct dmm_node *vnet_node(const struct vnet *vn, const char *name)
{
	return must_find(vn, name)->node;
}

const struct in6_addr *vnet_addr(const struct vnet *vn, const char *name)
{
	return &must_find(vn, name)->addr;
}

const char *vnet_name(const struct vnet *vn, int idx)
{
	if (idx < 0 || (unsigned)idx >= vn->n_nodes)
		return "?";
	return vn->nodes[idx]->name;
}

struct vnet *vnet_new(uint64_t seed, const struct dmm_keyring *keys)
{
	struct vnet *vn = calloc(1, sizeof(*vn));

	if (!vn)
		abort();
	if (dmm_auth_init() != 0)
		abort();
	vn->rng = seed;
	vn->delay_ms = 1;
	vn->keys = *keys;
	vn->now = 1000;
	vn->wall_offset = INT64_C(1700000000000);
	vn->verbose = getenv("VNET_LOG") != NULL;
	for (unsigned i = 0; i < 8; i++)
		vn->drops[i].count = 0;
	return vn;
}

void vnet_free(struct vnet *vn)
{
	if (!vn)
		return;
	for (unsigned i = 0; i < vn->n_nodes; i++) {
		dmm_node_free(vn->nodes[i]->node);
		free(vn->nodes[i]);
	}
	free(vn->queue);
	free(vn->msgs);
	free(vn->ops);
	free(vn->evs);
	free(vn->pkts);
	free(vn->defer);
	free(vn);
}

/* ---- the wire ---- */

static int drop_hook(struct vnet *vn, enum dmm_msg_type type, int from, int to)
{
	for (unsigned i = 0; i < 8; i++) {
		struct vnet_drop *d = &vn->drops[i];
		if (d->count == 0 || (d->type != DMM_MSG_NONE && d->type != type) ||
		    (d->from >= 0 && d->from != from) || (d->to >= 0 && d->to != to))
			continue;
		d->count--;
		return 1;
	}
	return 0;
}

void vnet_drop_next(struct vnet *vn, enum dmm_msg_type type, const char *from,
		    const char *to, unsigned count)
{
	for (unsigned i = 0; i < 8; i++) {
		struct vnet_drop *d = &vn->drops[i];
		if (d->count)
			continue;
		d->type = type;
		d->from = from ? must_find(vn, from)->idx : -1;
		d->to = to ? must_find(vn, to)->idx : -1;
		d->count = count;
		return;
	}
	abort();
}

void vnet_set_delay(struct vnet *vn, const char *a, const char *b, uint32_t ms)
{
	int i = must_find(vn, a)->idx, j = must_find(vn, b)->idx;

	vn->link_delay[i][j] = vn->link_delay[j][i] = ms;
}

static struct vnet_msg_rec *record_msg(struct vnet *vn, const struct in6_addr *src,
				       const struct in6_addr *dst, const uint8_t *buf,
				       size_t len)
{
	struct vnet_msg_rec *r;

	vn->msgs = grow(vn->msgs, &vn->cap_msgs, vn->n_msgs + 1, sizeof(*r));
	r = &vn->msgs[vn->n_msgs++];
	memset(r, 0, sizeof(*r));
	r->t = vn->now;
	r->src = *src;
	r->dst = *dst;
	r->from = vnet_find_addr(vn, src);
	r->to = vnet_find_addr(vn, dst);
	r->len = len < DMM_MSG_MAX ? len : DMM_MSG_MAX;
	memcpy(r->buf, buf, r->len);
	r->open_rc = dmm_msg_open(&vn->keys, src, dst, buf, len, &r->msg);
	if (r->open_rc < 0)
		memset(&r->msg, 0, sizeof(r->msg));
	return r;
}

static void enqueue(struct vnet *vn, const struct in6_addr *src, const struct in6_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct vnet_qmsg *q;
	struct dmm_msg m;
	int from = vnet_find_addr(vn, src), to = vnet_find_addr(vn, dst);
	uint32_t d = vn->delay_ms;

	if (vn->lean)
		m.type = DMM_MSG_NONE;
	else if (dmm_msg_open(&vn->keys, src, dst, buf, len, &m) < 0)
		m.type = DMM_MSG_NONE;
	if (to < 0 || len > DMM_MSG_MAX || drop_hook(vn, m.type, from, to) ||
	    (vn->loss > 0 && (double)(rng_next(vn) >> 11) / 9007199254740992.0 < vn->loss)) {
		if (!vn->lean)
			record_msg(vn, src, dst, buf, len)->lost = true;
		return;
	}
	if (from >= 0 && vn->link_delay[from][to])
		d = vn->link_delay[from][to];
	vn->queue = grow(vn->queue, &vn->q_cap, vn->q_len + 1, sizeof(*q));
	q = &vn->queue[vn->q_len++];
	q->t = vn->now + d;
	q->seq = vn->q_seq++;
	q->src = *src;
	q->dst = *dst;
	q->len = len;
	memcpy(q->buf, buf, len);
}

void vnet_inject(struct vnet *vn, const struct in6_addr *src, const char *to,
		 const uint8_t *buf, size_t len)
{
	enqueue(vn, src, &must_find(vn, to)->addr, buf, len);
}

static void pump(struct vnet *vn);

static int deliver_to(struct vnet *vn, const struct in6_addr *src, struct vnet_node *x,
		      const uint8_t *buf, size_t len)
{
	size_t ri;
	int rc;

	if (!vn->lean)
		record_msg(vn, src, &x->addr, buf, len);
	ri = vn->n_msgs - 1;
	vn->core_depth++;
	rc = dmm_node_recv(x->node, src, &x->addr, buf, len, vn->now);
	vn->core_depth--;
	if (!vn->lean)
		vn->msgs[ri].recv_rc = rc;
	pump(vn);
	return rc;
}

int vnet_deliver_now(struct vnet *vn, const struct in6_addr *src, const char *to,
		     const uint8_t *buf, size_t len)
{
	return deliver_to(vn, src, must_find(vn, to), buf, len);
}

static int queue_min(const struct vnet *vn)
{
	int best = -1;

	for (size_t i = 0; i < vn->q_len; i++) {
		const struct vnet_qmsg *q = &vn->queue[i];
		if (best < 0 || q->t < vn->queue[best].t ||
		    (q->t == vn->queue[best].t && q->seq < vn->queue[best].seq))
			best = (int)i;
	}
	return best;
}

/* A queued message's fields and its len bytes (a whole vnet_qmsg is
 * DMM_MSG_MAX bytes of buffer: under ASan each copy is a checked memcpy). */
static void qmsg_copy(struct vnet_qmsg *to, const struct vnet_qmsg *from)
{
	to->t = from->t;
	to->seq = from->seq;
	to->src = from->src;
	to->dst = from->dst;
	to->len = from->len;
	memcpy(to->buf, from->buf, from->len);
}

static void deliver(struct vnet *vn, int qi)
{
	struct vnet_qmsg q;

	qmsg_copy(&q, &vn->queue[qi]);
	if ((size_t)qi != --vn->q_len)
		qmsg_copy(&vn->queue[qi], &vn->queue[vn->q_len]);
	deliver_to(vn, &q.src, vn->nodes[vnet_find_addr(vn, &q.dst)], q.buf, q.len);
}

/* ---- callbacks from the core ---- */

static void io_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct vnet_node *x = ctx;

	enqueue(x->vn, &x->addr, dst, buf, len);
}

static void io_log(void *ctx, enum dmm_log_level lvl, const char *line)
{
	struct vnet_node *x = ctx;

	if (x->vn->verbose)
		fprintf(stderr, "[%8llu] %d %s\n", (unsigned long long)x->vn->now, lvl, line);
}

/* A lean vnet keeps what a daemon logs by default (up to info), so the
 * core formats those lines but skips its debug lines. */
static bool io_log_on(void *ctx, enum dmm_log_level lvl)
{
	struct vnet_node *x = ctx;

	return x->vn->verbose || !x->vn->lean || lvl <= DMM_LOG_INFO;
}

static void io_event(void *ctx, const struct dmm_event *ev)
{
	struct vnet_node *x = ctx;
	struct vnet *vn = x->vn;

	if (vn->lean)
		return;
	vn->evs = grow(vn->evs, &vn->cap_evs, vn->n_evs + 1, sizeof(*vn->evs));
	vn->evs[vn->n_evs++] = (struct vnet_ev_rec){ .node = x->idx, .ev = *ev };
}

static void model_apply(struct vnet_node *x, const struct dmm_dp_op *op);

static void io_dp(void *ctx, const struct dmm_dp_op *op)
{
	struct vnet_node *x = ctx;
	struct vnet *vn = x->vn;

	if (!vn->lean) {
		vn->ops = grow(vn->ops, &vn->cap_ops, vn->n_ops + 1, sizeof(*vn->ops));
		vn->ops[vn->n_ops++] = (struct vnet_op_rec){ .t = vn->now, .node = x->idx,
							     .op = *op };
	}
	if (vn->verbose)
		fprintf(stderr, "[%8llu] %s dp %s %s\n", (unsigned long long)vn->now, x->name,
			dmm_dp_kind_name(op->kind), vnet_prefix_str(&op->prefix));
	model_apply(x, op);
}

void vnet_dp_apply(struct vnet *vn, const char *node, const struct dmm_dp_op *op)
{
	io_dp(must_find(vn, node), op);
	pump(vn);
}

int vnet_add_node(struct vnet *vn, const struct dmm_config *cfg)
{
	struct vnet_node *x;
	struct dmm_io io;
	int rc;

	if (vn->n_nodes >= VNET_MAX_NODES)
		return DMM_E_FULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return DMM_E_NOMEM;
	x->vn = vn;
	x->idx = (int)vn->n_nodes;
	snprintf(x->name, sizeof(x->name), "%s", cfg->name);
	x->addr = cfg->self;
	vn->nodes[vn->n_nodes++] = x;
	io = (struct dmm_io){ .ctx = x, .send = io_send, .dp = io_dp, .log = io_log,
			      .log_on = io_log_on, .event = io_event };
	vn->core_depth++;
	rc = dmm_node_new(cfg, &io, vn->now, &x->node);
	vn->core_depth--;
	if (rc < 0) {
		vn->nodes[--vn->n_nodes] = NULL;
		free(x);
		return rc;
	}
	dmm_node_set_wall_offset(x->node, vn->wall_offset);
	pump(vn);
	return x->idx;
}

int vnet_reset(struct vnet *vn, uint64_t seed, const struct dmm_config *const *cfgs)
{
	struct dmm_config *own = NULL;
	int rc = 0;

	vn->now = 1000;
	vn->rng = seed;
	vn->stuck = false;
	vn->q_len = 0;
	vn->q_seq = 0;
	memset(vn->drops, 0, sizeof(vn->drops));
	vn->n_msgs = vn->n_ops = vn->n_evs = vn->n_pkts = vn->n_defer = 0;
	vn->core_depth = 0;
	for (unsigned i = 0; i < vn->n_nodes && rc == 0; i++) {
		struct vnet_node *x = vn->nodes[i];
		struct dmm_io io = { .ctx = x, .send = io_send, .dp = io_dp, .log = io_log,
				     .log_on = io_log_on, .event = io_event };
		const struct dmm_config *cfg = cfgs ? cfgs[i] : NULL;

		if (!cfg && !x->node) { /* released: its configuration went with it */
			rc = DMM_E_CONFIG;
			break;
		}
		if (!cfg) { /* its own, copied before the node goes */
			if (!own && !(own = malloc(sizeof(*own)))) {
				rc = DMM_E_NOMEM;
				break;
			}
			*own = *dmm_node_config(x->node);
			cfg = own;
		}
		dmm_node_free(x->node);
		x->node = NULL;
		x->n_routes = 0;
		memset(x->holds, 0, sizeof(x->holds));
		memset(x->last_adv, 0, sizeof(x->last_adv));
		x->addr = cfg->self;
		snprintf(x->name, sizeof(x->name), "%s", cfg->name);
		vn->core_depth++;
		rc = dmm_node_new(cfg, &io, vn->now, &x->node);
		vn->core_depth--;
		if (rc == 0) {
			dmm_node_set_wall_offset(x->node, vn->wall_offset);
			pump(vn);
		}
	}
	free(own);
	return rc;
}

void vnet_release(struct vnet *vn)
{
	for (unsigned i = 0; i < vn->n_nodes; i++) {
		dmm_node_free(vn->nodes[i]->node);
		vn->nodes[i]->node = NULL;
	}
}

/* ---- the data-plane model ---- */

static struct vnet_pkt *pkt(struct vnet *vn, unsigned id)
{
	return &vn->pkts[id - 1];
}

static bool route_key_eq(const struct vnet_route *r, const struct dmm_dp_op *op)
{
	return dmm_prefix_eq(&r->prefix, &op->prefix) &&
	       (r->src.len == op->src.len &&
		(op->src.len == 0 || dmm_prefix_eq(&r->src, &op->src)));
}

static void route_set(struct vnet_node *x, enum vnet_route_kind kind, const struct dmm_dp_op *op)
{
	struct vnet_route *r = NULL;

	for (unsigned i = 0; i < x->n_routes && !r; i++)
		if (route_key_eq(&x->routes[i], op))
			r = &x->routes[i];
	if (!r) {
		if (x->n_routes >= VNET_MAX_ROUTES) {
			fprintf(stderr, "vnet: %s route table full\n", x->name);
			return;
		}
		r = &x->routes[x->n_routes++];
	}
	*r = (struct vnet_route){ .kind = kind, .prefix = op->prefix, .src = op->src,
				  .locator = op->locator, .link = op->link };
}

static void route_del(struct vnet_node *x, enum vnet_route_kind kind, const struct dmm_dp_op *op)
{
	for (unsigned i = 0; i < x->n_routes; i++)
		if (x->routes[i].kind == kind && route_key_eq(&x->routes[i], op)) {
			x->routes[i] = x->routes[--x->n_routes];
			return;
		}
}

static struct vnet_hold *hold_find(struct vnet_node *x, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < VNET_MAX_HOLDS; i++)
		if (x->holds[i].used && dmm_prefix_eq(&x->holds[i].prefix, p))
			return &x->holds[i];
	return NULL;
}

static struct vnet_hold *hold_cover(struct vnet_node *x, const struct in6_addr *dst)
{
	struct vnet_hold *best = NULL;

	for (unsigned i = 0; i < VNET_MAX_HOLDS; i++) {
		struct vnet_hold *h = &x->holds[i];
		if (h->used && dmm_prefix_contains(&h->prefix, dst) &&
		    (!best || h->prefix.len > best->prefix.len))
			best = h;
	}
	return best;
}

static void defer_pkt(struct vnet *vn, unsigned id, int node)
{
	vn->defer = grow(vn->defer, &vn->cap_defer, vn->n_defer + 1, sizeof(*vn->defer));
	vn->defer[vn->n_defer++] = (struct vnet_defer){ .pkt = id, .node = node };
}

static void pkt_drop(struct vnet_pkt *p, int at, const char *why)
{
	p->state = VNET_PKT_DROPPED;
	p->at = at;
	p->why = why;
}

static void hold_start(struct vnet_node *x, const struct dmm_prefix *p)
{
	if (hold_find(x, p))
		return;
	for (unsigned i = 0; i < VNET_MAX_HOLDS; i++)
		if (!x->holds[i].used) {
			x->holds[i] = (struct vnet_hold){ .used = true, .prefix = *p };
			return;
		}
	fprintf(stderr, "vnet: %s hold table full\n", x->name);
}

static void hold_end(struct vnet_node *x, const struct dmm_prefix *p, bool flush)
{
	struct vnet_hold *h = hold_find(x, p);

	if (!h)
		return;
	h->used = false;
	for (unsigned i = 0; i < h->n; i++) {
		if (flush) {
			pkt(x->vn, h->pkt[i])->state = VNET_PKT_MOVING;
			defer_pkt(x->vn, h->pkt[i], x->idx);
		} else {
			pkt_drop(pkt(x->vn, h->pkt[i]), x->idx, "hold dropped");
		}
	}
}

static void model_apply(struct vnet_node *x, const struct dmm_dp_op *op)
{
	switch (op->kind) {
	case DMM_DP_TUNNEL_ADD: route_set(x, VNET_R_TUNNEL, op); break;
	case DMM_DP_LOCAL_ADD: route_set(x, VNET_R_LOCAL, op); break;
	case DMM_DP_PASS_ADD: route_set(x, VNET_R_PASS, op); break;
	case DMM_DP_MISS_ADD: route_set(x, VNET_R_MISS, op); break;
	case DMM_DP_TUNNEL_DEL: route_del(x, VNET_R_TUNNEL, op); break;
	case DMM_DP_LOCAL_DEL: route_del(x, VNET_R_LOCAL, op); break;
	case DMM_DP_PASS_DEL: route_del(x, VNET_R_PASS, op); break;
	case DMM_DP_MISS_DEL: route_del(x, VNET_R_MISS, op); break;
	case DMM_DP_HOLD_START: hold_start(x, &op->prefix); break;
	case DMM_DP_HOLD_FLUSH: hold_end(x, &op->prefix, true); break;
	case DMM_DP_HOLD_DROP: hold_end(x, &op->prefix, false); break;
	case DMM_DP_ADVERTISE:
		if (op->link < 8)
			x->last_adv[op->link] = *op;
		break;
	default:
		break;
	}
}

const struct vnet_route *vnet_route_lookup(const struct vnet_node *x,
					   const struct in6_addr *dst,
					   const struct in6_addr *src)
{
	const struct vnet_route *best = NULL;

	for (unsigned i = 0; i < x->n_routes; i++) {
		const struct vnet_route *r = &x->routes[i];
		if (!dmm_prefix_contains(&r->prefix, dst))
			continue;
		if (r->src.len && !dmm_prefix_contains(&r->src, src))
			continue;
		if (!best || r->prefix.len > best->prefix.len ||
		    (r->prefix.len == best->prefix.len && r->src.len > best->src.len))
			best = r;
	}
	return best;
}

void vnet_add_anchor(struct vnet *vn, const struct dmm_prefix *range, int node, bool server)
{
	if (vn->n_anchors >= VNET_MAX_ANCHORS)
		abort();
	/* a server LAN is a connected route of the gateway MR: in its regular
	 * routing (Linux: the main table), not in the table dmm's ops write */
	vn->anchors[vn->n_anchors++] = (struct vnet_anchor){ *range, node, server };
}

/* Regular routing's next node towards dst: its anchor MR (or gateway), or
 * -1 if none; *connected when that is a server LAN of the gateway itself. */
static int anchor_of(const struct vnet *vn, const struct in6_addr *dst, int at, bool *connected)
{
	int best = -1;

	for (unsigned i = 0; i < vn->n_anchors; i++) {
		const struct vnet_anchor *a = &vn->anchors[i];
		if (dmm_prefix_contains(&a->range, dst) &&
		    (best < 0 || a->range.len > vn->anchors[best].range.len))
			best = (int)i;
	}
	*connected = best >= 0 && vn->anchors[best].server && vn->anchors[best].node == at;
	return best < 0 ? -1 : vn->anchors[best].node;
}

static void path_add(struct vnet_pkt *p, int at)
{
	if (p->n_path < VNET_MAX_PATH)
		p->path[p->n_path++] = at;
}

/* Queue p in the hold covering its destination at x; false if none. */
static bool pkt_hold(struct vnet *vn, struct vnet_pkt *p, struct vnet_node *x)
{
	struct vnet_hold *h = hold_cover(x, &p->dst);

	if (!h)
		return false;
	if (h->n >= VNET_HOLD_QUEUE) {
		pkt_drop(p, x->idx, "hold queue full");
		return true;
	}
	h->pkt[h->n++] = p->id;
	p->state = VNET_PKT_HELD;
	p->at = x->idx;
	return true;
}

/* The miss path at x: call the core, then re-route per the node.h contract.
 * Returns the route to continue with, or NULL when p is held or dropped. */
static const struct vnet_route *pkt_miss(struct vnet *vn, struct vnet_pkt *p,
					 struct vnet_node *x)
{
	const struct vnet_route *r;

	if (++p->misses > VNET_MISS_MAX) {
		pkt_drop(p, x->idx, "miss loop");
		return NULL;
	}
	vn->core_depth++;
	dmm_mr_miss(x->node, &p->dst, &p->src, vn->now);
	vn->core_depth--;
	if (pkt_hold(vn, p, x))
		return NULL;
	r = vnet_route_lookup(x, &p->dst, &p->src);
	if (!r || r->kind == VNET_R_MISS) {
		pkt_drop(p, x->idx, "miss unresolved");
		return NULL;
	}
	return r;
}

/* Route packet id from node `at` on; `arrived` if it just got there. */
static void pkt_route(struct vnet *vn, unsigned id, int at, bool arrived)
{
	struct vnet_pkt *p = pkt(vn, id);

	p->state = VNET_PKT_MOVING;
	for (unsigned hops = 0; hops < VNET_HOPS_MAX; hops++) {
		struct vnet_node *x = vn->nodes[at];
		const struct vnet_route *r;
		int next;

		if (arrived)
			path_add(p, at);
		arrived = true;
		if (pkt_hold(vn, p, x))
			return;
		r = vnet_route_lookup(x, &p->dst, &p->src);
		if (r && r->kind == VNET_R_MISS && !(r = pkt_miss(vn, p, x)))
			return;
		if (r && r->kind == VNET_R_LOCAL) {
			p->state = VNET_PKT_DELIVERED;
			p->at = at;
			p->link = r->link;
			return;
		}
		if (r && r->kind == VNET_R_TUNNEL) {
			next = vnet_find_addr(vn, &r->locator);
			if (next < 0) {
				pkt_drop(p, at, "tunnel to an unknown locator");
				return;
			}
			at = next;
			continue;
		}
		/* PASS or no route: regular routing, to the anchor MR or to a
		 * server LAN connected here */
		bool connected;
		next = anchor_of(vn, &p->dst, at, &connected);
		if (connected) {
			p->state = VNET_PKT_DELIVERED;
			p->at = at;
			p->link = VNET_LINK_SERVER;
			return;
		}
		if (next < 0 || next == at) {
			pkt_drop(p, at, next < 0 ? "no route" : "anchor has no route");
			return;
		}
		at = next;
	}
	pkt_drop(p, at, "routing loop");
}

static void pump(struct vnet *vn)
{
	if (vn->core_depth)
		return;
	while (vn->n_defer) {
		struct vnet_defer d = vn->defer[0];
		memmove(vn->defer, vn->defer + 1, (vn->n_defer - 1) * sizeof(*vn->defer));
		vn->n_defer--;
		pkt_route(vn, d.pkt, d.node, false);
	}
}

unsigned vnet_send_packet(struct vnet *vn, const char *src_mr, const struct in6_addr *src,
			  const struct in6_addr *dst)
{
	struct vnet_node *x = must_find(vn, src_mr);
	struct vnet_pkt *p;

	vn->pkts = grow(vn->pkts, &vn->cap_pkts, vn->n_pkts + 1, sizeof(*p));
	p = &vn->pkts[vn->n_pkts++];
	memset(p, 0, sizeof(*p));
	p->id = (unsigned)vn->n_pkts;
	p->src = *src;
	p->dst = *dst;
	p->at = -1;
	pkt_route(vn, p->id, x->idx, true);
	pump(vn);
	return (unsigned)vn->n_pkts;
}

const struct vnet_pkt *vnet_packet(const struct vnet *vn, unsigned id)
{
	if (id == 0 || id > vn->n_pkts)
		abort();
	return &vn->pkts[id - 1];
}

const char *vnet_pkt_str(const struct vnet *vn, unsigned id, char *buf, size_t len)
{
	static const char *const st[] = { "moving", "delivered", "held", "dropped" };
	const struct vnet_pkt *p = vnet_packet(vn, id);
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < p->n_path && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ">" : "",
					vnet_name(vn, p->path[i]));
	if (off < len)
		snprintf(buf + off, len - off, " %s@%s/%u%s%s", st[p->state],
			 vnet_name(vn, p->at), p->link, p->why ? " " : "",
			 p->why ? p->why : "");
	return buf;
}

bool vnet_pkt_path_is(const struct vnet *vn, unsigned id, ...)
{
	const struct vnet_pkt *p = vnet_packet(vn, id);
	const char *name;
	unsigned i = 0;
	bool ok = p->state == VNET_PKT_DELIVERED;
	va_list ap;
	char buf[256];

	va_start(ap, id);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (i >= p->n_path || strcmp(vnet_name(vn, p->path[i]), name) != 0)
			ok = false;
		i++;
	}
	va_end(ap);
	if (i != p->n_path)
		ok = false;
	if (!ok)
		fprintf(stderr, "vnet: packet %u: %s\n", id, vnet_pkt_str(vn, id, buf, sizeof(buf)));
	return ok;
}

/* ---- the clock ---- */

static void run_timers(struct vnet *vn)
{
	for (unsigned i = 0; i < vn->n_nodes; i++) {
		struct vnet_node *x = vn->nodes[i];
		if (dmm_node_next_deadline(x->node) > vn->now)
			continue;
		vn->core_depth++;
		dmm_node_timer(x->node, vn->now);
		vn->core_depth--;
		pump(vn);
	}
}

void vnet_run_until(struct vnet *vn, dmm_time_t t)
{
	dmm_time_t last = vn->now;
	unsigned spins = 0;

	while (!vn->stuck) {
		dmm_time_t next = DMM_TIME_NEVER;
		int qi = queue_min(vn);

		if (qi >= 0)
			next = vn->queue[qi].t;
		for (unsigned i = 0; i < vn->n_nodes; i++) {
			dmm_time_t d = dmm_node_next_deadline(vn->nodes[i]->node);
			if (d < next)
				next = d;
		}
		if (next > t)
			break;
		if (next > vn->now)
			vn->now = next;
		if (vn->now != last) {
			last = vn->now;
			spins = 0;
		} else if (++spins > VNET_SPIN_MAX) {
			fprintf(stderr, "vnet: stuck at t=%llu (a deadline stays due)\n",
				(unsigned long long)vn->now);
			vn->stuck = true;
		}
		if (qi >= 0 && vn->queue[qi].t <= vn->now)
			deliver(vn, qi);
		else
			run_timers(vn);
	}
	if (t > vn->now)
		vn->now = t;
}

void vnet_run_for(struct vnet *vn, dmm_time_t ms)
{
	vnet_run_until(vn, vn->now + ms);
}

int vnet_attach(struct vnet *vn, const char *mr, uint32_t link, const struct dmm_mnid *id)
{
	int rc;

	vn->core_depth++;
	rc = dmm_mr_attach(must_find(vn, mr)->node, link, id, vn->now);
	vn->core_depth--;
	pump(vn);
	return rc;
}

int vnet_detach(struct vnet *vn, const char *mr, uint32_t link)
{
	int rc;

	vn->core_depth++;
	rc = dmm_mr_detach(must_find(vn, mr)->node, link, vn->now);
	vn->core_depth--;
	pump(vn);
	return rc;
}

uint64_t vnet_counter(const struct vnet *vn, const char *node, enum dmm_counter c)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < vn->n_nodes; i++)
		if (!node || strcmp(node, vn->nodes[i]->name) == 0)
			sum += dmm_node_counter(vn->nodes[i]->node, c);
	return sum;
}
