/* dmmsim engine: the event heap, the wire between nodes, the core's
 * callbacks, and the data-plane model of every MR (the route model of
 * core/node.h), with data packets routed through it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine.h"

struct sim S;

/* ---- helpers ---- */

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "dmmsim: out of memory\n");
		exit(1);
	}
	return p;
}

/* The simulator's big arrays (event heap, route model, MNs: ~250 MB at 1M
 * MNs, each accessed at random) are mapped on 2 MiB boundaries and asked
 * for transparent huge pages: with 4 KiB pages nearly every access missed
 * the TLB. Zeroed. Small ones come from malloc. */
#define BIG_MIN ((size_t)4 << 20)
#define BIG_ALIGN ((size_t)2 << 20)

void *big_alloc(size_t n)
{
	uint8_t *p, *a;
	size_t head;

	if (n < BIG_MIN)
		return memset(xrealloc(NULL, n), 0, n);
	n = (n + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
	p = mmap(NULL, n + BIG_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "dmmsim: out of memory\n");
		exit(1);
	}
	a = (uint8_t *)(((uintptr_t)p + BIG_ALIGN - 1) & ~(uintptr_t)(BIG_ALIGN - 1));
	head = (size_t)(a - p);
	if (head)
		munmap(p, head);
	munmap(a + n, BIG_ALIGN - head);
	madvise(a, n, MADV_HUGEPAGE); /* a hint: without it, small pages */
	return a;
}

void big_free(void *p, size_t n)
{
	if (!p)
		return;
	if (n < BIG_MIN)
		free(p);
	else
		munmap(p, (n + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1));
}

uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1p-53;
}

double rng_exp(uint64_t *s, double mean)
{
	return -mean * log(1.0 - rng_unit(s));
}

uint64_t hi64(const struct in6_addr *a)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | a->s6_addr[i];
	return v;
}

struct in6_addr addr_of(uint64_t hi, uint32_t host)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 8; i++)
		a.s6_addr[i] = (uint8_t)(hi >> (56 - 8 * i));
	a.s6_addr[12] = (uint8_t)(host >> 24);
	a.s6_addr[13] = (uint8_t)(host >> 16);
	a.s6_addr[14] = (uint8_t)(host >> 8);
	a.s6_addr[15] = (uint8_t)host;
	return a;
}

static uint64_t pmask(uint64_t v, unsigned len)
{
	return len == 0 ? 0 : len >= 64 ? v : v & (~0ull << (64 - len));
}

struct dmm_mnid mnid_of(uint32_t mn)
{
	/* 02:00:nn:nn:nn:nn, equal to tests/lib vnet_mnid(n) below 65536 */
	struct dmm_mnid m = { .type = DMM_MNID_EUI48, .len = 6,
			      .id = { 0x02, 0, (uint8_t)(mn >> 24), (uint8_t)(mn >> 16),
				      (uint8_t)(mn >> 8), (uint8_t)mn } };
	return m;
}

uint32_t mn_of_mnid(const struct dmm_mnid *m)
{
	uint32_t v;

	if (m->len != 6 || m->id[0] != 0x02)
		return SIM_NONE;
	v = (uint32_t)m->id[2] << 24 | (uint32_t)m->id[3] << 16 | (uint32_t)m->id[4] << 8 | m->id[5];
	return v < S.n_mns ? v : SIM_NONE;
}

/* ---- address -> node ---- */

static uint64_t mix64(uint64_t h)
{
	h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* Once per message sent: two 64-bit mixes, not sixteen byte steps. */
static uint64_t addr_hash(const struct in6_addr *a)
{
	uint64_t x, y;

	memcpy(&x, a->s6_addr, 8);
	memcpy(&y, a->s6_addr + 8, 8);
	return mix64(x ^ mix64(y));
}

void addr_map_build(void)
{
	S.amap_cap = 16;
	while (S.amap_cap < 2 * (size_t)S.n_nodes + 2)
		S.amap_cap *= 2;
	S.amap = xrealloc(NULL, S.amap_cap * sizeof(*S.amap));
	for (size_t i = 0; i < S.amap_cap; i++)
		S.amap[i] = SIM_NONE;
	for (uint32_t n = 0; n < S.n_nodes; n++) {
		size_t i = addr_hash(&S.nodes[n].addr) & (S.amap_cap - 1);
		while (S.amap[i] != SIM_NONE)
			i = (i + 1) & (S.amap_cap - 1);
		S.amap[i] = n;
	}
}

uint32_t node_of_addr(const struct in6_addr *a)
{
	size_t i = addr_hash(a) & (S.amap_cap - 1);

	while (S.amap[i] != SIM_NONE) {
		if (memcmp(&S.nodes[S.amap[i]].addr, a, sizeof(*a)) == 0)
			return S.amap[i];
		i = (i + 1) & (S.amap_cap - 1);
	}
	return SIM_NONE;
}

/* ---- delays ---- */

static unsigned grid_dist(unsigned a, unsigned b)
{
	unsigned w = S.grid_w;
	int dx = (int)(a % w) - (int)(b % w), dy = (int)(a / w) - (int)(b / w);

	return (unsigned)(abs(dx) + abs(dy));
}

uint32_t net_delay(unsigned na, unsigned nb)
{
	return S.o.intra_ms + S.o.inter_ms * grid_dist(na, nb);
}

uint32_t node_delay(uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	if (S.o.fig1)
		return 1; /* the virtual network's default one-way delay */
	return net_delay(S.nodes[a].net, S.nodes[b].net);
}

/* ---- the event heap: (t, class, order), 4-ary (half the levels of a
 * binary heap). Element k lives at heap[k + 3], so the four children of
 * one node, at 4k + 4 .. 4k + 7, fill one 64-byte cache line. ---- */

#define HEAP_OFF 3

static inline bool ev_less(const struct sim_hev *a, const struct sim_hev *b)
{
	return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static void heap_grow(void)
{
	size_t cap = S.heap_cap ? 2 * S.heap_cap : 1024;
	void *mem = big_alloc((cap + HEAP_OFF) * sizeof(struct sim_hev) + 64);
	struct sim_hev *h = (struct sim_hev *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);

	if (S.n_heap)
		memcpy(h + HEAP_OFF, S.heap + HEAP_OFF, S.n_heap * sizeof(*h));
	if (S.heap_mem)
		big_free(S.heap_mem, (S.heap_cap + HEAP_OFF) * sizeof(struct sim_hev) + 64);
	S.heap_mem = mem;
	S.heap = h;
	S.heap_cap = cap;
}

void ev_push(dmm_time_t t, unsigned cls, uint32_t kind, uint32_t arg)
{
	/* messages, then timers (in node order, like tests/lib/vnet.c), then
	 * the scenario: all in the order they were scheduled */
	uint64_t ord = cls == EVC_TIMER ? arg : S.ev_seq++;
	struct sim_hev e = {
		.hi = (uint64_t)(t < SIM_T_MAX ? t : SIM_T_MAX) << 32 | (uint64_t)cls << 30 |
		      (ord >> 24 & 0x3fffffff),
		.lo = (ord & 0xffffff) << 36 | (uint64_t)(kind & 0xf) << 32 | arg,
	};
	struct sim_hev *h;
	size_t i;

	if (S.n_heap == S.heap_cap)
		heap_grow();
	h = S.heap + HEAP_OFF;
	i = S.n_heap++;
	while (i > 0) {
		size_t p = (i - 1) / 4;
		if (!ev_less(&e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
	if (S.n_heap > S.peak_heap)
		S.peak_heap = S.n_heap;
}

bool ev_pop(struct sim_ev *out)
{
	struct sim_hev *h = S.heap + HEAP_OFF, top, last;
	size_t i = 0, n;

	if (!S.n_heap)
		return false;
	top = h[0];
	n = --S.n_heap;
	last = h[n];
	for (;;) {
		size_t c = 4 * i + 1, end = c + 4;
		if (c >= n)
			break;
		if (end > n)
			end = n;
		for (size_t k = c + 1; k < end; k++)
			if (ev_less(&h[k], &h[c]))
				c = k;
		if (!ev_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	out->t = top.hi >> 32;
	out->kind = (uint32_t)(top.lo >> 32) & 0xf;
	out->arg = (uint32_t)top.lo;
	return true;
}

/* ---- timers ---- */

void resched(uint32_t n)
{
	struct sim_node *x = &S.nodes[n];
	dmm_time_t d = dmm_node_next_deadline(x->node);

	S.n_deadline++;
	if (d == DMM_TIME_NEVER || d >= x->sched)
		return;
	if (d < S.now)
		d = S.now;
	x->sched = d;
	ev_push(d, EVC_TIMER, EV_TIMER, n);
}

void on_timer(uint32_t n)
{
	struct sim_node *x = &S.nodes[n];

	if (S.now != x->sched)
		return; /* superseded by an earlier one */
	x->sched = DMM_TIME_NEVER;
	if (dmm_node_next_deadline(x->node) <= S.now) {
		S.depth++;
		dmm_node_timer(x->node, S.now);
		S.depth--;
		S.n_timer++;
	}
	resched(n);
	pump();
}

/* ---- the wire ---- */

static uint32_t msg_alloc(void)
{
	uint32_t i;

	if (S.msg_free != SIM_NONE) {
		i = S.msg_free;
		S.msg_free = S.msgs[i].next;
		return i;
	}
	if (S.n_msgs == S.msgs_cap) {
		S.msgs_cap = S.msgs_cap ? 2 * S.msgs_cap : 256;
		S.msgs = xrealloc(S.msgs, S.msgs_cap * sizeof(*S.msgs));
	}
	return S.n_msgs++;
}

static enum dmm_msg_type msg_type(const uint8_t *buf, size_t len)
{
	struct dmm_msg m;

	if (dmm_msg_decode(buf, len, &m) < 0 || m.type >= DMM_MSG_TYPE_COUNT)
		return DMM_MSG_NONE;
	return m.type;
}

static void io_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct sim_node *x = ctx;
	uint32_t from = (uint32_t)(x - S.nodes), to = node_of_addr(dst), i;
	enum dmm_msg_type t = msg_type(buf, len);

	x->tx[t]++;
	S.n_sent++;
	if (S.now >= S.stat_from)
		S.sig_type[t]++;
	if (to == SIM_NONE || len > DMM_MSG_MAX) {
		S.n_lost_noroute++;
		return;
	}
	if (S.o.loss > 0 && rng_unit(&S.rng_net) < S.o.loss) {
		S.n_lost++;
		return;
	}
	i = msg_alloc();
	S.msgs[i].from = from;
	S.msgs[i].to = to;
	S.msgs[i].type = (uint8_t)t;
	S.msgs[i].len = (uint16_t)len;
	memcpy(S.msgs[i].buf, buf, len);
	ev_push(S.now + node_delay(from, to), EVC_MSG, EV_MSG, i);
}

void on_msg(uint32_t i)
{
	struct sim_msg *m = &S.msgs[i];
	struct sim_node *x = &S.nodes[m->to];
	int rc;

	x->rx[m->type]++;
	if (S.msglog)
		fprintf(S.msglog, "%llu %s %s %s\n", (unsigned long long)S.now,
			dmm_msg_type_name((enum dmm_msg_type)m->type), S.nodes[m->from].name,
			x->name);
	S.depth++;
	rc = dmm_node_recv(x->node, &S.nodes[m->from].addr, &x->addr, m->buf, m->len, S.now);
	S.depth--;
	S.n_recv++;
	if (rc < 0)
		S.n_recv_err++;
	S.msgs[i].next = S.msg_free; /* m may have moved: the core sent meanwhile */
	S.msg_free = i;
	resched((uint32_t)(x - S.nodes));
	pump();
}

/* ---- the data-plane model: one hash of (owner, table, dst, src) ---- */

enum { TBL_ROUTE = 0, TBL_HOLD = 1, TBL_ANCHOR = 2 };

static uint64_t rkey_hash(uint32_t owner, uint8_t tbl, uint64_t dst, uint8_t dlen, uint64_t src,
			  uint8_t slen)
{
	uint64_t h = dst * 0x9e3779b97f4a7c15ull ^ (src + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;

	h ^= ((uint64_t)owner << 24 | (uint64_t)tbl << 16 | (uint64_t)dlen << 8 | slen) *
	     0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

static bool rent_is(const struct sim_rent *e, uint32_t owner, uint8_t tbl, uint64_t dst,
		    uint8_t dlen, uint64_t src, uint8_t slen)
{
	return e->kind && e->owner == owner && e->tbl == tbl && e->dst == dst && e->dlen == dlen &&
	       e->src == src && e->slen == slen;
}

static void rtab_grow(void)
{
	struct sim_rent *old = S.rtab;
	size_t ocap = S.rtab_cap;

	S.rtab_cap = ocap ? 2 * ocap : 1024;
	S.rtab = big_alloc(S.rtab_cap * sizeof(*S.rtab));
	for (size_t i = 0; i < ocap; i++) {
		size_t j;
		if (!old[i].kind)
			continue;
		j = rkey_hash(old[i].owner, old[i].tbl, old[i].dst, old[i].dlen, old[i].src,
			      old[i].slen) & (S.rtab_cap - 1);
		while (S.rtab[j].kind)
			j = (j + 1) & (S.rtab_cap - 1);
		S.rtab[j] = old[i];
	}
	big_free(old, ocap * sizeof(*old));
}

static struct sim_rent *rtab_find(uint32_t owner, uint8_t tbl, uint64_t dst, uint8_t dlen,
				  uint64_t src, uint8_t slen)
{
	size_t i;

	if (!S.rtab_cap)
		return NULL;
	i = rkey_hash(owner, tbl, dst, dlen, src, slen) & (S.rtab_cap - 1);
	S.n_probe++;
	while (S.rtab[i].kind) {
		if (rent_is(&S.rtab[i], owner, tbl, dst, dlen, src, slen))
			return &S.rtab[i];
		i = (i + 1) & (S.rtab_cap - 1);
	}
	return NULL;
}

static struct sim_rent *rtab_put(uint32_t owner, uint8_t tbl, uint64_t dst, uint8_t dlen,
				 uint64_t src, uint8_t slen)
{
	struct sim_rent *e = rtab_find(owner, tbl, dst, dlen, src, slen);
	size_t i;

	if (e)
		return e;
	if (2 * (S.n_rtab + 1) > S.rtab_cap)
		rtab_grow();
	i = rkey_hash(owner, tbl, dst, dlen, src, slen) & (S.rtab_cap - 1);
	while (S.rtab[i].kind)
		i = (i + 1) & (S.rtab_cap - 1);
	e = &S.rtab[i];
	*e = (struct sim_rent){ .owner = owner, .tbl = tbl, .dst = dst, .dlen = dlen, .src = src,
				.slen = slen, .kind = 0xff, .val = SIM_NONE, .aux = SIM_NONE };
	S.n_rtab++;
	if (S.n_rtab > S.peak_rtab)
		S.peak_rtab = S.n_rtab;
	return e;
}

/* Linear probing: shift the entries after a removed one back. */
static void rtab_del(struct sim_rent *e)
{
	size_t i = (size_t)(e - S.rtab), j = i;

	S.rtab[i].kind = 0;
	S.n_rtab--;
	for (;;) {
		size_t k;
		j = (j + 1) & (S.rtab_cap - 1);
		if (!S.rtab[j].kind)
			return;
		k = rkey_hash(S.rtab[j].owner, S.rtab[j].tbl, S.rtab[j].dst, S.rtab[j].dlen,
			      S.rtab[j].src, S.rtab[j].slen) & (S.rtab_cap - 1);
		/* entry j stays if its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		S.rtab[i] = S.rtab[j];
		S.rtab[j].kind = 0;
		i = j;
	}
}

static bool op_prefix_ok(const struct dmm_prefix *p)
{
	if (p->len <= 64)
		return true;
	S.n_op_unsupported++; /* the model keys on the upper 64 bits */
	return false;
}

/* Longest match in table tbl of owner for (dst, src); lens: prefix lengths in use. */
static struct sim_rent *lpm(uint32_t owner, uint8_t tbl, uint64_t lens, bool l0, uint64_t slens,
			    uint64_t dst, uint64_t src)
{
	for (int l = 64; l >= 0; l--) {
		if (l ? !(lens >> (l - 1) & 1) : !l0)
			continue;
		for (int s = 64; s >= 0; s--) {
			struct sim_rent *e;
			if (s && !(slens >> (s - 1) & 1))
				continue;
			e = rtab_find(owner, tbl, pmask(dst, (unsigned)l), (uint8_t)l,
				      pmask(src, (unsigned)s), (uint8_t)s);
			if (e)
				return e;
		}
	}
	return NULL;
}

static struct sim_rent *route_lookup(uint32_t n, uint64_t dst, uint64_t src)
{
	struct sim_node *x = &S.nodes[n];

	return lpm(n, TBL_ROUTE, x->rmask, x->d0, x->smask, dst, src);
}

static struct sim_rent *hold_cover(uint32_t n, uint64_t dst)
{
	if (!S.nodes[n].holds)
		return NULL; /* most of the time: no probe of the hash */
	return lpm(n, TBL_HOLD, S.nodes[n].hmask, false, 0, dst, 0);
}

void anchor_add(const struct dmm_prefix *range, uint32_t node, bool server)
{
	struct sim_rent *e;

	if (!op_prefix_ok(range) || range->len == 0)
		return;
	e = rtab_put(0, TBL_ANCHOR, pmask(hi64(&range->addr), range->len), range->len, 0, 0);
	e->kind = server ? RK_SERVER : RK_ANCHOR;
	e->val = node;
	S.anchor_mask |= 1ull << (range->len - 1);
	/* a server LAN is a connected route of the gateway MR: in its regular
	 * routing (Linux: the main table), not in the table dmm's ops write */
}

/* Regular routing's next node towards dst: its anchor MR (or gateway), or
 * SIM_NONE; *connected when that is a server LAN of the gateway `at`. */
static uint32_t anchor_of(uint64_t dst, uint32_t at, bool *connected)
{
	struct sim_rent *e = lpm(0, TBL_ANCHOR, S.anchor_mask, false, 0, dst, 0);

	*connected = e && e->kind == RK_SERVER && e->val == at;
	return e ? e->val : SIM_NONE;
}

/* ---- packets ---- */

uint32_t pkt_alloc(void)
{
	uint32_t i;

	if (S.pkt_free != SIM_NONE) {
		i = S.pkt_free;
		S.pkt_free = S.pkts[i].next;
	} else {
		if (S.n_pkts == S.pkts_cap) {
			S.pkts_cap = S.pkts_cap ? 2 * S.pkts_cap : 1024;
			S.pkts = xrealloc(S.pkts, S.pkts_cap * sizeof(*S.pkts));
		}
		i = S.n_pkts++;
	}
	memset(&S.pkts[i], 0, sizeof(S.pkts[i]));
	S.pkts[i].next = SIM_NONE;
	S.pkts_live++;
	return i;
}

static void pkt_free(uint32_t i)
{
	S.pkts[i].next = S.pkt_free;
	S.pkt_free = i;
	S.pkts_live--;
}

static void pkt_drop(uint32_t p, enum sim_drop why)
{
	S.drops[why]++;
	pkt_free(p);
}

static void hist_add(uint32_t *h, uint64_t ms)
{
	h[ms < SIM_HIST_MS ? ms : SIM_HIST_MS]++;
}

static void pkt_delivered(uint32_t p, uint32_t at)
{
	struct sim_pkt *k = &S.pkts[p];
	uint32_t direct = node_delay(k->entry, at);

	S.delivered++;
	if (S.now >= S.stat_from) {
		S.path_delay_sum += k->delay;
		S.direct_delay_sum += direct;
		hist_add(S.h_extra, k->delay < direct ? 0 : k->delay - direct);
		hist_add(S.h_pkt_delay, k->delay + (S.now - k->sent));
		if (direct > 0) {
			double r = (double)k->delay / direct;
			unsigned b = (unsigned)(r * 10.0 + 0.5);
			S.h_stretch[b < SIM_STRETCH_BINS ? b : SIM_STRETCH_BINS - 1]++;
			S.stretch_sum += r;
			S.stretch_n++;
		}
	}
	pkt_free(p);
}

static bool pkt_hold(uint32_t p, uint32_t at)
{
	struct sim_rent *h = hold_cover(at, S.pkts[p].dst);

	if (!h)
		return false;
	if (h->aux >= SIM_HOLD_QUEUE) {
		pkt_drop(p, DROP_HOLD_FULL);
		return true;
	}
	S.pkts[p].next = h->val; /* pushed in front, reversed on flush */
	h->val = p;
	h->aux = h->aux == SIM_NONE ? 1 : h->aux + 1;
	S.held++;
	return true;
}

static void defer_pkt(uint32_t p, uint32_t node)
{
	if (S.n_defer == S.defer_cap) {
		S.defer_cap = S.defer_cap ? 2 * S.defer_cap : 256;
		S.defer = xrealloc(S.defer, S.defer_cap * sizeof(*S.defer));
	}
	S.defer[S.n_defer].pkt = p;
	S.defer[S.n_defer].node = node;
	S.n_defer++;
}

/* Route packet p from node `at` on (instantly: the path delay is added up,
 * not waited for); `arrived`: count the node as crossed. */
void pkt_route(uint32_t p, uint32_t at, bool arrived)
{
	struct sim_pkt *k = &S.pkts[p];

	for (unsigned hops = 0; hops < 32; hops++) {
		struct sim_rent *r;
		uint32_t next;

		if (arrived) {
			S.nodes[at].pkts++;
			k->hops++;
		}
		arrived = true;
		if (pkt_hold(p, at))
			return;
		r = route_lookup(at, k->dst, k->src);
		if (r && r->kind == RK_MISS) {
			struct in6_addr d = addr_of(k->dst, 1), s = addr_of(k->src, 1);
			if (++k->misses > 8) {
				pkt_drop(p, DROP_MISS_LOOP);
				return;
			}
			S.depth++;
			dmm_mr_miss(S.nodes[at].node, &d, &s, S.now);
			S.depth--;
			S.n_miss++;
			resched(at);
			if (pkt_hold(p, at))
				return;
			r = route_lookup(at, k->dst, k->src);
			if (!r || r->kind == RK_MISS) {
				pkt_drop(p, DROP_MISS);
				return;
			}
		}
		if (r && r->kind == RK_LOCAL) {
			if (r->val == SIM_LINK_SERVER ||
			    (r->val < S.n_mns && S.mns[r->val].cur == at))
				pkt_delivered(p, at);
			else
				pkt_drop(p, DROP_GONE);
			return;
		}
		if (r && r->kind == RK_TUNNEL) {
			next = r->val;
			if (next == SIM_NONE) {
				pkt_drop(p, DROP_NOROUTE);
				return;
			}
		} else {
			/* PASS or no route: regular routing, to the anchor MR
			 * or to a server LAN connected here */
			bool connected;
			next = anchor_of(k->dst, at, &connected);
			if (connected) {
				pkt_delivered(p, at);
				return;
			}
			if (next == SIM_NONE || next == at) {
				pkt_drop(p, DROP_NOROUTE);
				return;
			}
		}
		k->delay += node_delay(at, next);
		at = next;
	}
	pkt_drop(p, DROP_LOOP);
}

void pump(void)
{
	size_t i;

	if (S.depth)
		return;
	/* packets released by HOLD_FLUSH, re-routed once the core returned */
	for (i = 0; i < S.n_defer; i++)
		pkt_route(S.defer[i].pkt, S.defer[i].node, false);
	S.n_defer = 0;
}

static void hold_end(uint32_t n, const struct dmm_prefix *pf, bool flush)
{
	struct sim_rent *h = rtab_find(n, TBL_HOLD, pmask(hi64(&pf->addr), pf->len), pf->len, 0, 0);
	uint32_t p, rev = SIM_NONE;

	if (!h)
		return;
	p = h->val;
	rtab_del(h);
	S.nodes[n].holds--;
	while (p != SIM_NONE) { /* back to arrival order */
		uint32_t nx = S.pkts[p].next;
		S.pkts[p].next = rev;
		rev = p;
		p = nx;
	}
	for (p = rev; p != SIM_NONE;) {
		uint32_t nx = S.pkts[p].next;
		if (flush) {
			S.flushed++;
			defer_pkt(p, n);
		} else {
			pkt_drop(p, DROP_HOLD);
		}
		p = nx;
	}
}

/* A handover's data path works once the nMR routes the MN's prefix to its
 * link and the pMR forwards to the nMR (it got the context, from the nMR or
 * relayed by the LM): the later of the two. */
static void ho_step(uint32_t mn, bool local)
{
	struct sim_mn *m = &S.mns[mn];

	if (!m->ho_pending)
		return;
	if (local)
		m->ho_local = 1;
	else
		m->ho_ctx = 1;
	if (m->ho_local && m->ho_ctx) {
		m->ho_pending = 0;
		if (S.now >= S.stat_from)
			hist_add(S.h_ho, S.now - m->t_attach);
	}
}

static void io_dp(void *ctx, const struct dmm_dp_op *op)
{
	struct sim_node *x = ctx;
	uint32_t n = (uint32_t)(x - S.nodes);
	uint64_t dst = pmask(hi64(&op->prefix.addr), op->prefix.len);
	uint64_t src = pmask(hi64(&op->src.addr), op->src.len);
	struct sim_rent *e;
	uint8_t kind = 0;

	S.n_ops[op->kind < DMM_DP_KIND_COUNT ? op->kind : 0]++;
	if (op->kind == DMM_DP_ADVERTISE) {
		uint32_t mn = op->link;
		if (mn >= S.n_mns)
			return;
		for (unsigned i = 0; i < op->n_adv && i < DMM_MAX_HNP; i++)
			if (op->adv[i].preferred_s > 0 && op->adv[i].prefix.len <= 64) {
				S.mns[mn].hoa = hi64(&op->adv[i].prefix.addr);
				break;
			}
		return;
	}
	if (op->kind == DMM_DP_LOCAL_ADD && op->link < S.n_mns && S.mns[op->link].cur == n)
		ho_step(op->link, true);
	if (!op_prefix_ok(&op->prefix) || !op_prefix_ok(&op->src))
		return;
	switch (op->kind) {
	case DMM_DP_TUNNEL_ADD: kind = RK_TUNNEL; break;
	case DMM_DP_LOCAL_ADD: kind = RK_LOCAL; break;
	case DMM_DP_PASS_ADD: kind = RK_PASS; break;
	case DMM_DP_MISS_ADD: kind = RK_MISS; break;
	case DMM_DP_TUNNEL_DEL:
	case DMM_DP_LOCAL_DEL:
	case DMM_DP_PASS_DEL:
	case DMM_DP_MISS_DEL: {
		static const uint8_t k[] = { [DMM_DP_TUNNEL_DEL] = RK_TUNNEL,
					     [DMM_DP_LOCAL_DEL] = RK_LOCAL,
					     [DMM_DP_PASS_DEL] = RK_PASS,
					     [DMM_DP_MISS_DEL] = RK_MISS };
		e = rtab_find(n, TBL_ROUTE, dst, op->prefix.len, src, op->src.len);
		if (e && e->kind == k[op->kind])
			rtab_del(e);
		return;
	}
	case DMM_DP_HOLD_START:
		e = rtab_put(n, TBL_HOLD, dst, op->prefix.len, 0, 0);
		if (e->kind == 0xff) {
			e->kind = RK_HOLD;
			e->aux = 0;
			x->holds++;
			if (op->prefix.len)
				x->hmask |= 1ull << (op->prefix.len - 1);
			S.holds++;
		}
		return;
	case DMM_DP_HOLD_FLUSH:
		hold_end(n, &op->prefix, true);
		return;
	case DMM_DP_HOLD_DROP:
		hold_end(n, &op->prefix, false);
		return;
	default:
		return;
	}
	e = rtab_put(n, TBL_ROUTE, dst, op->prefix.len, src, op->src.len);
	e->kind = kind;
	e->val = kind == RK_TUNNEL ? node_of_addr(&op->locator) : op->link;
	if (op->prefix.len)
		x->rmask |= 1ull << (op->prefix.len - 1);
	else
		x->d0 = true;
	if (op->src.len)
		x->smask |= 1ull << (op->src.len - 1);
}

static void io_log(void *ctx, enum dmm_log_level lvl, const char *line)
{
	struct sim_node *x = ctx;

	if (lvl <= DMM_LOG_WARN)
		S.n_warn++;
	if (S.verbose)
		fprintf(stderr, "[%llu] %s: %s\n", (unsigned long long)S.now, x->name, line);
}

/* Only the lines that are shown (-v) or counted (warnings and errors) are
 * formatted: the core asks before it formats one. */
static bool io_log_on(void *ctx, enum dmm_log_level lvl)
{
	(void)ctx;
	return S.verbose || lvl <= DMM_LOG_WARN;
}

static void io_event(void *ctx, const struct dmm_event *ev)
{
	uint32_t mn = mn_of_mnid(&ev->mnid);
	struct sim_mn *m;

	if (ev->kind < DMM_EV_KIND_COUNT)
		S.n_evk[ev->kind]++;
	if (mn == SIM_NONE)
		return;
	m = &S.mns[mn];
	switch (ev->kind) {
	case DMM_EV_CTX_RECEIVED: /* pMR: forwards to the nMR from now on */
		if (m->cur != SIM_NONE && m->cur != (uint32_t)((struct sim_node *)ctx - S.nodes))
			ho_step(mn, false);
		break;
	case DMM_EV_LOC_UPDATED:
		if (m->loc_pending) {
			m->loc_pending = 0;
			if (S.now >= S.stat_from)
				hist_add(S.h_loc, S.now - m->t_attach);
		}
		if (m->first_pending) {
			m->first_pending = 0;
			hist_add(S.h_attach, S.now - m->t_attach);
		}
		break;
	default:
		break;
	}
}

static uint32_t io_random(void *ctx)
{
	return (uint32_t)(rng_next(&S.rng_node) >> 32);
}

int node_create(uint32_t n, const struct dmm_config *c)
{
	struct sim_node *x = &S.nodes[n];
	struct dmm_io io = { .ctx = x, .send = io_send, .dp = io_dp, .log = io_log,
			     .log_on = io_log_on, .event = io_event, .random = io_random };
	int rc;

	x->addr = c->self;
	x->sched = DMM_TIME_NEVER;
	snprintf(x->name, sizeof(x->name), "%s", c->name);
	S.depth++;
	rc = dmm_node_new(c, &io, S.now, &x->node);
	S.depth--;
	return rc;
}
