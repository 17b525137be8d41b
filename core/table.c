/* dmm core: slots with generation ids, key heaps, hash multimaps and the
 * prefix index (table.h). */
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define F_LIVE 1
#define F_DIRTY 2
#define ID_SLOT_BITS 25

/* ---- heaps of slots ordered by (key, slot) ---- */

static bool before(const struct dmm_tbl *t, unsigned h, uint32_t a, uint32_t b)
{
	uint64_t ka = t->meta[a].key[h], kb = t->meta[b].key[h];

	return ka < kb || (ka == kb && a < b);
}

static void heap_set(struct dmm_tbl *t, unsigned h, uint32_t i, uint32_t slot)
{
	t->heap[h][i] = slot;
	t->meta[slot].pos[h] = i + 1;
}

static void heap_up(struct dmm_tbl *t, unsigned h, uint32_t i)
{
	uint32_t s = t->heap[h][i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(t, h, s, t->heap[h][p]))
			break;
		heap_set(t, h, i, t->heap[h][p]);
		i = p;
	}
	heap_set(t, h, i, s);
}

static void heap_down(struct dmm_tbl *t, unsigned h, uint32_t i)
{
	uint32_t n = t->nheap[h], s = t->heap[h][i];

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(t, h, t->heap[h][c + 1], t->heap[h][c]))
			c++;
		if (!before(t, h, t->heap[h][c], s))
			break;
		heap_set(t, h, i, t->heap[h][c]);
		i = c;
	}
	heap_set(t, h, i, s);
}

static void heap_remove(struct dmm_tbl *t, unsigned h, uint32_t slot)
{
	uint32_t i = t->meta[slot].pos[h];

	if (!i)
		return;
	i--;
	t->meta[slot].pos[h] = 0;
	if (i == --t->nheap[h])
		return;
	heap_set(t, h, i, t->heap[h][t->nheap[h]]);
	heap_down(t, h, i);
	heap_up(t, h, t->meta[t->heap[h][i]].pos[h] - 1);
}

/* Put slot at key k (DMM_KEY_NONE: out of the heap). */
static void heap_update(struct dmm_tbl *t, unsigned h, uint32_t slot, uint64_t k)
{
	struct dmm_tbl_meta *m = &t->meta[slot];

	if (k == DMM_KEY_NONE) {
		heap_remove(t, h, slot);
		m->key[h] = k;
		return;
	}
	if (!m->pos[h]) {
		m->key[h] = k;
		heap_set(t, h, t->nheap[h]++, slot);
		heap_up(t, h, t->nheap[h] - 1);
		return;
	}
	if (k == m->key[h])
		return;
	m->key[h] = k;
	heap_up(t, h, m->pos[h] - 1);
	heap_down(t, h, m->pos[h] - 1);
}

/* ---- free slots below hi: a plain min-heap of slot numbers ---- */

static void free_push(struct dmm_tbl *t, uint32_t s)
{
	uint32_t i = t->nfree++;

	while (i > 0 && t->freeh[(i - 1) / 2] > s) {
		t->freeh[i] = t->freeh[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->freeh[i] = s;
}

static uint32_t free_pop(struct dmm_tbl *t)
{
	uint32_t top = t->freeh[0], last = t->freeh[--t->nfree], i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= t->nfree)
			break;
		if (c + 1 < t->nfree && t->freeh[c + 1] < t->freeh[c])
			c++;
		if (t->freeh[c] >= last)
			break;
		t->freeh[i] = t->freeh[c];
		i = c;
	}
	if (t->nfree)
		t->freeh[i] = last;
	return top;
}

/* ---- slots ---- */

int dmm_tbl_init(struct dmm_tbl *t, size_t esz, uint32_t max, unsigned nheaps,
		 dmm_tbl_key_fn key)
{
	memset(t, 0, sizeof(*t));
	if (max == 0 || max > DMM_TBL_MAX_SLOTS || nheaps > DMM_TBL_HEAPS || esz == 0)
		return DMM_E_CONFIG;
	t->esz = esz;
	t->max = max;
	t->nheaps = nheaps;
	t->key = key;
	t->mem = calloc(max, esz);
	t->meta = calloc(max, sizeof(*t->meta));
	t->freeh = calloc(max, sizeof(*t->freeh));
	for (unsigned h = 0; h < nheaps; h++)
		t->heap[h] = calloc(max, sizeof(uint32_t));
	if (!t->mem || !t->meta || !t->freeh || (nheaps > 0 && !t->heap[0]) ||
	    (nheaps > 1 && !t->heap[1])) {
		dmm_tbl_fini(t);
		return DMM_E_NOMEM;
	}
	return 0;
}

void dmm_tbl_fini(struct dmm_tbl *t)
{
	free(t->mem);
	free(t->meta);
	free(t->freeh);
	free(t->dirty);
	free(t->due);
	for (unsigned h = 0; h < DMM_TBL_HEAPS; h++)
		free(t->heap[h]);
	memset(t, 0, sizeof(*t));
}

static void mark_dirty(struct dmm_tbl *t, uint32_t slot)
{
	struct dmm_tbl_meta *m = &t->meta[slot];

	if ((m->flags & F_DIRTY) || t->nheaps == 0)
		return;
	if (t->ndirty == t->capdirty) {
		uint32_t cap = t->capdirty ? t->capdirty * 2 : 16;
		uint32_t *d = realloc(t->dirty, cap * sizeof(*d));
		if (!d) { /* cannot defer: recompute now */
			for (unsigned h = 0; h < t->nheaps; h++)
				heap_update(t, h, slot, t->key(dmm_tbl_peek(t, slot), h));
			return;
		}
		t->dirty = d;
		t->capdirty = cap;
	}
	m->flags |= F_DIRTY;
	t->dirty[t->ndirty++] = slot;
}

uint64_t dmm_tbl_id(const struct dmm_tbl *t, uint32_t slot)
{
	return (uint64_t)t->meta[slot].gen << ID_SLOT_BITS | (slot + 1);
}

void *dmm_tbl_alloc(struct dmm_tbl *t, uint64_t *id)
{
	uint32_t s;
	void *e;

	if (t->nfree)
		s = free_pop(t);
	else if (t->hi < t->max)
		s = t->hi++;
	else
		return NULL;
	if (t->meta[s].gen == 0)
		t->meta[s].gen = 1;
	t->meta[s].flags = F_LIVE;
	t->live++;
	e = t->mem + (size_t)s * t->esz;
	memset(e, 0, t->esz);
	mark_dirty(t, s);
	if (id)
		*id = dmm_tbl_id(t, s);
	return e;
}

void dmm_tbl_free(struct dmm_tbl *t, void *elem)
{
	uint32_t s = dmm_tbl_slot(t, elem);
	struct dmm_tbl_meta *m = &t->meta[s];

	if (!dmm_tbl_live(t, s))
		return;
	for (unsigned h = 0; h < t->nheaps; h++) {
		heap_remove(t, h, s);
		m->key[h] = DMM_KEY_NONE;
	}
	m->flags &= (uint8_t)~F_LIVE; /* a dirty mark stays: the flush skips it */
	m->gen = (m->gen + 1) & ((1u << (48 - ID_SLOT_BITS)) - 1);
	if (m->gen == 0)
		m->gen = 1;
	memset(elem, 0, t->esz);
	t->live--;
	free_push(t, s);
}

void *dmm_tbl_get(struct dmm_tbl *t, uint64_t id)
{
	uint32_t s = (uint32_t)(id & ((1u << ID_SLOT_BITS) - 1));

	if (s == 0 || !dmm_tbl_live(t, s - 1) || t->meta[s - 1].gen != id >> ID_SLOT_BITS)
		return NULL;
	return dmm_tbl_at(t, s - 1);
}

void *dmm_tbl_at(struct dmm_tbl *t, uint32_t slot)
{
	mark_dirty(t, slot);
	return t->mem + (size_t)slot * t->esz;
}

void dmm_tbl_flush(struct dmm_tbl *t)
{
	for (uint32_t i = 0; i < t->ndirty; i++) {
		uint32_t s = t->dirty[i];
		t->meta[s].flags &= (uint8_t)~F_DIRTY;
		if (!(t->meta[s].flags & F_LIVE))
			continue;
		for (unsigned h = 0; h < t->nheaps; h++)
			heap_update(t, h, s, t->key(dmm_tbl_peek(t, s), h));
	}
	t->ndirty = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t dmm_tbl_due(struct dmm_tbl *t, unsigned h, uint64_t limit, const uint32_t **out)
{
	uint32_t n = 0;

	dmm_tbl_flush(t);
	while (t->nheap[h] && t->meta[t->heap[h][0]].key[h] <= limit) {
		uint32_t s = t->heap[h][0];
		if (n == t->capdue) {
			uint32_t cap = t->capdue ? t->capdue * 2 : 16;
			uint32_t *d = realloc(t->due, cap * sizeof(*d));
			if (!d)
				break; /* the rest stays due: the next call takes it */
			t->due = d;
			t->capdue = cap;
		}
		heap_remove(t, h, s);
		t->meta[s].key[h] = DMM_KEY_NONE;
		t->due[n++] = s;
		mark_dirty(t, s);
	}
	if (n > 1)
		qsort(t->due, n, sizeof(*t->due), cmp_u32);
	*out = t->due;
	return n;
}

/* ---- multimap ---- */

void dmm_hmap_init(struct dmm_hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void dmm_hmap_fini(struct dmm_hmap *m)
{
	free(m->bucket);
	free(m->ent);
	memset(m, 0, sizeof(*m));
}

static inline uint32_t bucket_of(const struct dmm_hmap *m, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (m->nb - 1);
}

static int hmap_grow_buckets(struct dmm_hmap *m)
{
	uint32_t nb = m->nb ? m->nb * 2 : 16;
	uint32_t *b = calloc(nb, sizeof(*b));

	if (!b)
		return DMM_E_NOMEM;
	free(m->bucket);
	m->bucket = b;
	m->nb = nb;
	for (uint32_t i = 0; i < m->cap; i++) {
		struct dmm_hent *e = &m->ent[i];
		uint32_t k;
		if (e->val == DMM_TBL_NONE)
			continue;
		k = bucket_of(m, e->key);
		e->next = m->bucket[k];
		m->bucket[k] = i + 1;
	}
	return 0;
}

int dmm_hmap_add(struct dmm_hmap *m, uint64_t key, uint32_t val)
{
	struct dmm_hent *e;
	uint32_t i, k;

	if (!m->free) {
		uint32_t cap = m->cap ? m->cap * 2 : 16;
		struct dmm_hent *ne = realloc(m->ent, cap * sizeof(*ne));
		if (!ne)
			return DMM_E_NOMEM;
		m->ent = ne;
		for (i = cap; i-- > m->cap;) {
			ne[i].val = DMM_TBL_NONE;
			ne[i].next = m->free;
			m->free = i + 1;
		}
		m->cap = cap;
	}
	if (m->n >= m->nb && hmap_grow_buckets(m) < 0)
		return DMM_E_NOMEM;
	i = m->free - 1;
	e = &m->ent[i];
	m->free = e->next;
	k = bucket_of(m, key);
	e->key = key;
	e->val = val;
	e->next = m->bucket[k];
	m->bucket[k] = i + 1;
	m->n++;
	return 0;
}

bool dmm_hmap_del(struct dmm_hmap *m, uint64_t key, uint32_t val)
{
	uint32_t *link, i;

	if (!m->nb)
		return false;
	for (link = &m->bucket[bucket_of(m, key)]; (i = *link) != 0; link = &m->ent[i - 1].next) {
		struct dmm_hent *e = &m->ent[i - 1];
		if (e->key != key || e->val != val)
			continue;
		*link = e->next;
		e->val = DMM_TBL_NONE;
		e->next = m->free;
		m->free = i;
		m->n--;
		return true;
	}
	return false;
}

/* it: 0 to start; then the entry after the last one returned, + 1 (read
 * before returning, so the caller may delete what it got). */
bool dmm_hmap_next(const struct dmm_hmap *m, uint64_t key, uint32_t *it, uint32_t *val)
{
	uint32_t i;

	if (!m->nb)
		return false;
	if (*it == UINT32_MAX)
		return false;
	i = *it ? *it : m->bucket[bucket_of(m, key)];
	for (; i; i = m->ent[i - 1].next) {
		const struct dmm_hent *e = &m->ent[i - 1];
		if (e->key == key && e->val != DMM_TBL_NONE) {
			*val = e->val;
			*it = e->next ? e->next : UINT32_MAX;
			return true;
		}
	}
	*it = UINT32_MAX;
	return false;
}

size_t dmm_hmap_bytes(const struct dmm_hmap *m)
{
	return (size_t)m->nb * sizeof(*m->bucket) + (size_t)m->cap * sizeof(*m->ent);
}

/* ---- prefixes ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static struct in6_addr masked(const struct in6_addr *a, uint8_t len)
{
	struct dmm_prefix p = { .addr = *a, .len = len };

	dmm_prefix_mask(&p);
	return p.addr;
}

uint64_t dmm_pidx_hash(const struct dmm_prefix *p)
{
	uint64_t w0, w1;

	memcpy(&w0, p->addr.s6_addr, 8);
	memcpy(&w1, p->addr.s6_addr + 8, 8);
	return mix64(w0 ^ mix64(w1 ^ ((uint64_t)p->len << 56 | 0x5bd1e995u)));
}

uint64_t dmm_mnid_key(const struct dmm_mnid *id)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ id->type) * 0x100000001b3ull;
	h = (h ^ id->len) * 0x100000001b3ull;
	for (unsigned i = 0; i < id->len && i < DMM_MNID_MAX; i++)
		h = (h ^ id->id[i]) * 0x100000001b3ull;
	return mix64(h);
}

void dmm_pidx_init(struct dmm_pidx *x)
{
	memset(x, 0, sizeof(*x));
	dmm_hmap_init(&x->map);
}

void dmm_pidx_fini(struct dmm_pidx *x)
{
	dmm_hmap_fini(&x->map);
	free(x->lens);
	free(x->count);
	memset(x, 0, sizeof(*x));
}

static uint64_t pkey(const struct dmm_prefix *p)
{
	struct dmm_prefix q = { .addr = masked(&p->addr, p->len), .len = p->len };

	return dmm_pidx_hash(&q);
}

int dmm_pidx_add(struct dmm_pidx *x, const struct dmm_prefix *p, uint32_t slot)
{
	unsigned i;

	if (p->len > 128)
		return DMM_E_MALFORMED;
	for (i = 0; i < x->n_lens && x->lens[i] > p->len; i++)
		;
	if (i == x->n_lens || x->lens[i] != p->len) { /* a new length, kept sorted */
		uint8_t *l = realloc(x->lens, x->n_lens + 1);
		uint32_t *c;
		if (!l)
			return DMM_E_NOMEM;
		x->lens = l;
		c = realloc(x->count, (x->n_lens + 1) * sizeof(*c));
		if (!c)
			return DMM_E_NOMEM;
		x->count = c;
		memmove(&x->lens[i + 1], &x->lens[i], x->n_lens - i);
		memmove(&x->count[i + 1], &x->count[i], (x->n_lens - i) * sizeof(*c));
		x->lens[i] = p->len;
		x->count[i] = 0;
		x->n_lens++;
	}
	if (dmm_hmap_add(&x->map, pkey(p), slot) < 0)
		return DMM_E_NOMEM; /* an unused length stays listed: harmless */
	x->count[i]++;
	return 0;
}

bool dmm_pidx_del(struct dmm_pidx *x, const struct dmm_prefix *p, uint32_t slot)
{
	unsigned i;

	if (!dmm_hmap_del(&x->map, pkey(p), slot))
		return false;
	for (i = 0; i < x->n_lens && x->lens[i] != p->len; i++)
		;
	if (i < x->n_lens && --x->count[i] == 0) {
		memmove(&x->lens[i], &x->lens[i + 1], x->n_lens - i - 1);
		memmove(&x->count[i], &x->count[i + 1], (x->n_lens - i - 1) * sizeof(*x->count));
		x->n_lens--;
	}
	return true;
}

void dmm_pidx_match(const struct dmm_pidx *x, struct dmm_pidx_it *it,
		    const struct in6_addr *a, uint8_t minlen, uint8_t maxlen)
{
	(void)x;
	memset(it, 0, sizeof(*it));
	it->a = *a;
	it->minlen = minlen;
	it->maxlen = maxlen;
	it->cur = -1;
}

/* The lengths are followed by value, not by index: deleting the last
 * prefix of a length while iterating shifts the list. */
bool dmm_pidx_next(const struct dmm_pidx *x, struct dmm_pidx_it *it, uint32_t *slot,
		   uint8_t *len)
{
	for (;;) {
		unsigned i;
		if (it->cur >= 0 && dmm_hmap_next(&x->map, it->key, &it->e, slot)) {
			if (len)
				*len = (uint8_t)it->cur;
			return true;
		}
		for (i = 0; i < x->n_lens; i++)
			if (x->lens[i] <= it->maxlen && (it->cur < 0 || x->lens[i] < it->cur))
				break;
		if (i >= x->n_lens || x->lens[i] < it->minlen)
			return false;
		it->cur = x->lens[i];
		struct dmm_prefix q = { .addr = masked(&it->a, x->lens[i]), .len = x->lens[i] };
		it->key = dmm_pidx_hash(&q);
		it->e = 0;
	}
}

bool dmm_pidx_longer(const struct dmm_pidx *x, uint8_t len)
{
	return x->n_lens > 0 && x->lens[0] > len;
}

size_t dmm_pidx_bytes(const struct dmm_pidx *x)
{
	return dmm_hmap_bytes(&x->map) + x->n_lens * (1 + sizeof(*x->count));
}

/* ---- intrusive hash index ---- */

int dmm_hidx_init(struct dmm_hidx *x, size_t esz, size_t link_off, uint32_t buckets)
{
	memset(x, 0, sizeof(*x));
	if (buckets == 0 || (buckets & (buckets - 1)) != 0 || esz == 0 || esz > UINT32_MAX ||
	    link_off + sizeof(uint32_t) > esz)
		return DMM_E_CONFIG;
	if ((x->head = calloc(buckets, sizeof(*x->head))) == NULL)
		return DMM_E_NOMEM;
	x->mask = buckets - 1;
	x->esz = (uint32_t)esz;
	x->link_off = (uint32_t)link_off;
	return 0;
}

void dmm_hidx_fini(struct dmm_hidx *x)
{
	free(x->head);
	memset(x, 0, sizeof(*x));
}

void dmm_hidx_add(struct dmm_hidx *x, void *recs, uint32_t slot, uint32_t hash)
{
	uint32_t *head = &x->head[hash & x->mask];

	*dmm_hidx_link(x, recs, slot) = *head;
	*head = slot + 1;
	x->n++;
}

bool dmm_hidx_del(struct dmm_hidx *x, void *recs, uint32_t slot, uint32_t hash)
{
	uint32_t *link = &x->head[hash & x->mask];

	while (*link != 0) {
		uint32_t *next = dmm_hidx_link(x, recs, *link - 1);
		if (*link == slot + 1) {
			*link = *next;
			x->n--;
			return true;
		}
		link = next;
	}
	return false;
}

uint32_t dmm_hidx_want(const struct dmm_hidx *x, uint64_t n, uint32_t load, uint32_t max)
{
	uint64_t b = (uint64_t)x->mask + 1;

	while (n > b * load && b * 2 <= max)
		b *= 2;
	return (uint32_t)b;
}

int dmm_hidx_rebuild(struct dmm_hidx *const *xs, const uint32_t *buckets, unsigned nx,
		     void *recs, uint32_t nrec, dmm_hidx_hash_fn hash, const void *ctx)
{
	enum { AHEAD = 32 };
	uint32_t *nh[DMM_HIDX_REBUILD_MAX] = { NULL }, nb[DMM_HIDX_REBUILD_MAX];
	uint32_t h[AHEAD][DMM_HIDX_REBUILD_MAX];
	bool live[AHEAD];

	if (nx > DMM_HIDX_REBUILD_MAX)
		return DMM_E_CONFIG;
	for (unsigned k = 0; k < nx; k++) {
		nb[k] = buckets != NULL && buckets[k] != 0 ? buckets[k] : xs[k]->mask + 1;
		if ((nb[k] & (nb[k] - 1)) != 0)
			goto fail_config;
		if (nb[k] != xs[k]->mask + 1 && (nh[k] = calloc(nb[k], sizeof(uint32_t))) == NULL)
			goto fail;
	}
	for (unsigned k = 0; k < nx; k++) {
		struct dmm_hidx *x = xs[k];
		if (nh[k] != NULL) {
			free(x->head);
			x->head = nh[k];
			x->mask = nb[k] - 1;
		} else {
			memset(x->head, 0, ((size_t)x->mask + 1) * sizeof(*x->head));
		}
		x->n = 0;
	}
	for (uint64_t i = 0; i < (uint64_t)nrec + AHEAD; i++) {
		uint32_t k = (uint32_t)(i % AHEAD);
		/* link record i - AHEAD (whose ring entry i reuses) ... */
		if (i >= AHEAD && live[k]) {
			uint32_t j = (uint32_t)(i - AHEAD);
			for (unsigned x = 0; x < nx; x++) {
				uint32_t *head = &xs[x]->head[h[k][x]];
				*dmm_hidx_link(xs[x], recs, j) = *head;
				*head = j + 1;
				xs[x]->n++;
			}
		}
		/* ... then hash record i and prefetch its buckets */
		if (i < nrec) {
			live[k] = hash(ctx, (uint32_t)i, h[k]);
			for (unsigned x = 0; live[k] && x < nx; x++) {
				h[k][x] &= xs[x]->mask;
				__builtin_prefetch(&xs[x]->head[h[k][x]], 1);
			}
		}
	}
	return 0;
fail_config:
	for (unsigned k = 0; k < nx; k++)
		free(nh[k]);
	return DMM_E_CONFIG;
fail:
	for (unsigned k = 0; k < nx; k++)
		free(nh[k]);
	return DMM_E_NOMEM;
}

size_t dmm_hidx_bytes(const struct dmm_hidx *x)
{
	return x->head != NULL ? ((size_t)x->mask + 1) * sizeof(*x->head) : 0;
}

/* ---- prefix lengths in use ---- */

void dmm_plens_add(struct dmm_plens *l, uint8_t len)
{
	if (len > 128)
		return;
	if (l->count[len]++ == 0)
		l->bits[len / 64] |= UINT64_C(1) << (len % 64);
}

void dmm_plens_del(struct dmm_plens *l, uint8_t len)
{
	if (len > 128 || l->count[len] == 0)
		return;
	if (--l->count[len] == 0)
		l->bits[len / 64] &= ~(UINT64_C(1) << (len % 64));
}

int dmm_plens_below(const struct dmm_plens *l, int below)
{
	if (below > 129)
		below = 129;
	while (below > 0) {
		int w = (below - 1) / 64;
		uint64_t m = l->bits[w];
		unsigned top = (unsigned)(below - 1) % 64; /* highest bit of w to look at */
		if (top < 63)
			m &= (UINT64_C(1) << (top + 1)) - 1;
		if (m != 0)
			return w * 64 + 63 - __builtin_clzll(m);
		below = w * 64;
	}
	return -1;
}

uint32_t dmm_hidx_find_prefix(const struct dmm_hidx *x, const void *recs,
			      const struct dmm_prefix *p, dmm_hidx_pfx_fn is, const void *ctx)
{
	for (uint32_t s = dmm_hidx_first(x, dmm_hash_prefix(p)); s != 0;
	     s = dmm_hidx_next(x, recs, s))
		if (is(ctx, s - 1, p))
			return s - 1;
	return DMM_TBL_NONE;
}

uint32_t dmm_hidx_lpm(const struct dmm_hidx *x, const void *recs, const struct dmm_plens *l,
		      const struct in6_addr *a, dmm_hidx_pfx_fn is, const void *ctx)
{
	for (int len = dmm_plens_below(l, 129); len >= 0; len = dmm_plens_below(l, len)) {
		struct dmm_prefix p = { .addr = *a, .len = (uint8_t)len };
		uint32_t s;
		dmm_prefix_mask(&p);
		if ((s = dmm_hidx_find_prefix(x, recs, &p, is, ctx)) != DMM_TBL_NONE)
			return s;
	}
	return DMM_TBL_NONE;
}

/* ---- expiry wheel ---- */

int dmm_wheel_init(struct dmm_wheel *w, uint32_t nb, uint32_t tick, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	if (nb == 0 || tick == 0)
		return DMM_E_CONFIG;
	w->b = calloc(nb, sizeof(*w->b));
	w->full = calloc((nb + 63) / 64, sizeof(*w->full));
	if (w->b == NULL || w->full == NULL) {
		dmm_wheel_fini(w);
		return DMM_E_NOMEM;
	}
	w->nb = nb;
	w->tick = tick;
	w->cur = now / tick;
	return 0;
}

/* A bucket holds an array exactly when its bit in full is set (add sets
 * both, a sweep takes both): the bitmap finds them, 64 buckets a word, not
 * a look at each of the nb (4096 for the LM) at every clear and free. */
static void wheel_drop_all(struct dmm_wheel *w)
{
	uint32_t words = (w->nb + 63) / 64;

	for (uint32_t wd = 0; w->full != NULL && wd < words; wd++) {
		for (uint64_t m = w->full[wd]; m != 0; m &= m - 1) {
			uint32_t k = wd * 64 + (uint32_t)__builtin_ctzll(m);
			free(w->b[k].e);
			w->b[k] = (struct dmm_wheel_bucket){ 0 };
		}
		w->full[wd] = 0;
	}
	w->count = 0;
}

void dmm_wheel_fini(struct dmm_wheel *w)
{
	wheel_drop_all(w);
	free(w->b);
	free(w->full);
	memset(w, 0, sizeof(*w));
}

void dmm_wheel_clear(struct dmm_wheel *w, uint64_t now)
{
	wheel_drop_all(w);
	w->cur = now / w->tick;
}

int dmm_wheel_add(struct dmm_wheel *w, uint64_t when, uint32_t entry)
{
	uint64_t t = when / w->tick;
	struct dmm_wheel_bucket *b;
	uint32_t k;

	if (t < w->cur)
		t = w->cur;
	if (t >= w->cur + w->nb)
		t = w->cur + w->nb - 1;
	k = (uint32_t)(t % w->nb);
	b = &w->b[k];
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 16;
		uint32_t *e = cap > b->cap ? realloc(b->e, (size_t)cap * sizeof(*e)) : NULL;
		if (e == NULL) {
			w->count = DMM_WHEEL_LOST;
			return DMM_E_NOMEM;
		}
		b->e = e;
		b->cap = cap;
	}
	b->e[b->n++] = entry;
	w->full[k / 64] |= UINT64_C(1) << (k % 64);
	if (w->count != DMM_WHEEL_LOST)
		w->count++;
	return 0;
}

void dmm_wheel_sweep_begin(struct dmm_wheel *w, struct dmm_wheel_sweep *sw, uint64_t now)
{
	uint64_t t = now / w->tick;

	memset(sw, 0, sizeof(*sw));
	if (t >= w->cur + w->nb) /* asleep for more than a turn */
		w->cur = t - w->nb + 1;
	sw->t = w->cur;
	sw->end = t;
}

bool dmm_wheel_sweep_next(struct dmm_wheel *w, struct dmm_wheel_sweep *sw, uint32_t *entry)
{
	while (sw->i >= sw->n) {
		struct dmm_wheel_bucket *b;
		uint32_t k;
		if (sw->e != NULL)
			free(sw->e);
		sw->e = NULL;
		sw->n = sw->i = 0;
		if (sw->started)
			sw->t++;
		sw->started = true;
		if (sw->t > sw->end) {
			w->cur = sw->end;
			return false;
		}
		/* take the bucket: what is queued again goes back in (maybe this one) */
		k = (uint32_t)(sw->t % w->nb);
		if (!(w->full[k / 64] & (UINT64_C(1) << (k % 64))))
			continue; /* empty (no array): nothing to take or clear */
		b = &w->b[k];
		sw->e = b->e;
		sw->n = b->n;
		*b = (struct dmm_wheel_bucket){ 0 };
		w->full[k / 64] &= ~(UINT64_C(1) << (k % 64));
		if (w->count != DMM_WHEEL_LOST)
			w->count -= sw->n;
		w->cur = sw->t; /* dmm_wheel_add clamps to the bucket being swept */
	}
	*entry = sw->e[sw->i++];
	return true;
}

bool dmm_wheel_first(const struct dmm_wheel *w, uint64_t *tick, const uint32_t **e,
		     uint32_t *n)
{
	uint32_t start, words = (w->nb + 63) / 64;

	if (w->count == 0 || w->nb == 0)
		return false;
	start = (uint32_t)(w->cur % w->nb);
	/* from start to the end of the ring, then from 0 up to start */
	for (uint32_t pass = 0; pass < 2; pass++) {
		uint32_t from = pass == 0 ? start : 0, to = pass == 0 ? w->nb : start;
		for (uint32_t wd = from / 64; wd < words && wd * 64 < to; wd++) {
			uint64_t m = w->full[wd];
			uint32_t k;
			if (wd == from / 64 && from % 64 != 0)
				m &= ~((UINT64_C(1) << (from % 64)) - 1);
			if (m == 0)
				continue;
			k = wd * 64 + (uint32_t)__builtin_ctzll(m);
			if (k >= to)
				break;
			*tick = w->cur + (k >= start ? k - start : w->nb - start + k);
			*e = w->b[k].e;
			*n = w->b[k].n;
			return true;
		}
	}
	return false;
}

size_t dmm_wheel_bytes(const struct dmm_wheel *w)
{
	size_t bytes = 0;

	for (uint32_t k = 0; w->b != NULL && k < w->nb; k++)
		bytes += (size_t)w->b[k].cap * sizeof(uint32_t);
	return bytes;
}
