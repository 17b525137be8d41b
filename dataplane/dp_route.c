/* Routes and rules in the kernel, and the shadow table of what dp installed.
 *
 * Every route is in cfg.table with protocol cfg.protocol. TUNNEL/LOCAL/PASS/
 * MISS use metric DP_METRIC and NLM_F_REPLACE, so at equal (prefix, src) the
 * last one replaces the previous; a HOLD is a route dev TUN at the lower
 * metric DP_METRIC_HOLD for (prefix, any source): it overlays the route of
 * the same prefix and leaves it in place for when the hold ends. (A longer
 * prefix or a source-specific route still wins over a HOLD in the kernel.)
 * A *_DEL removes the route only if the shadow says it is of that kind: a
 * TUNNEL_DEL does not remove a LOCAL that replaced the tunnel.
 * A LOCAL route has a fallback dev TUN at DP_METRIC_BACKUP under it (same
 * prefix and source), which lives exactly as long as the LOCAL does: the
 * kernel removes a link's routes with the link, and then the fallback, not
 * the main table, gets the MN's packets (dp_tun.c holds them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "dp_priv.h"

#define DP_BUCKETS_MIN 256u

/* ---- shadow table ---- */

static uint32_t dp_rt_hash(const struct dmm_prefix *dst, const struct dmm_prefix *src)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ dst->addr.s6_addr[i]) * 16777619u;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ src->addr.s6_addr[i]) * 16777619u;
	h = (h ^ dst->len) * 16777619u;
	return (h ^ src->len) * 16777619u;
}

static struct dp_route **dp_rt_slot(const struct dp *d, const struct dmm_prefix *dst,
				    const struct dmm_prefix *src)
{
	if (d->rt_nbuckets == 0)
		return NULL;
	struct dp_route **pp = &d->rt_buckets[dp_rt_hash(dst, src) & (d->rt_nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (dmm_prefix_eq(&(*pp)->dst, dst) && dmm_prefix_eq(&(*pp)->src, src))
			return pp;
	return pp;
}

static int dp_rt_grow(struct dp *d)
{
	uint32_t n = d->rt_nbuckets ? d->rt_nbuckets * 2 : DP_BUCKETS_MIN;
	struct dp_route **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->rt_nbuckets; i++) {
		struct dp_route *r, *next;
		for (r = d->rt_buckets[i]; r; r = next) {
			next = r->next;
			uint32_t h = dp_rt_hash(&r->dst, &r->src) & (n - 1);
			r->next = b[h];
			b[h] = r;
		}
	}
	free(d->rt_buckets);
	d->rt_buckets = b;
	d->rt_nbuckets = n;
	return 0;
}

/* The driver's reference of TUNNEL route r goes; while route messages are
 * queued, after they are sent (one of them may name what it holds: the
 * bpf driver's program fd). */
static void dp_tunnel_put(struct dp *d, const struct dp_route *r)
{
	if (r->kind != DP_R_TUNNEL || d->drv == NULL || d->drv->tunnel_put == NULL)
		return;
	if (d->bq_n > 0 && d->bq_nputs < d->bq_puts_cap) {
		d->bq_puts[d->bq_nputs++] = *r;
		return;
	}
	d->drv->tunnel_put(d, r);
}

static int dp_rt_put(struct dp *d, const struct dp_route *r)
{
	if (d->rt_count >= d->rt_nbuckets && d->rt_count < DP_MAX_ROUTES && dp_rt_grow(d) < 0)
		return -ENOMEM;
	struct dp_route **pp = dp_rt_slot(d, &r->dst, &r->src);
	if (*pp) {
		struct dp_route *next = (*pp)->next;
		dp_tunnel_put(d, *pp);
		**pp = *r;
		(*pp)->next = next;
		return 0;
	}
	if (d->rt_count >= DP_MAX_ROUTES)
		return -ENOSPC;
	struct dp_route *n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	*n = *r;
	n->next = NULL;
	*pp = n;
	d->rt_count++;
	d->dst_len_n[r->dst.len]++;
	d->src_len_n[r->src.len]++;
	return 0;
}

static void dp_rt_remove(struct dp *d, struct dp_route **pp)
{
	struct dp_route *r = *pp;

	*pp = r->next;
	dp_tunnel_put(d, r);
	d->dst_len_n[r->dst.len]--;
	d->src_len_n[r->src.len]--;
	d->rt_count--;
	free(r);
}

/* The route the kernel would pick in our table: longest destination prefix
 * first, then longest source prefix within it (IPv6 subtrees). */
const struct dp_route *dp_route_lookup(const struct dp *d, const struct in6_addr *dst,
				       const struct in6_addr *src)
{
	for (int dl = 128; dl >= 0; dl--) {
		if (d->dst_len_n[dl] == 0)
			continue;
		struct dmm_prefix pd = { *dst, (uint8_t)dl };
		dmm_prefix_mask(&pd);
		for (int sl = 128; sl >= 0; sl--) {
			if (d->src_len_n[sl] == 0)
				continue;
			struct dmm_prefix ps = { *src, (uint8_t)sl };
			dmm_prefix_mask(&ps);
			struct dp_route **pp = dp_rt_slot(d, &pd, &ps);
			if (pp && *pp)
				return *pp;
		}
	}
	return NULL;
}

void dp_routes_free(struct dp *d)
{
	for (uint32_t i = 0; i < d->rt_nbuckets; i++)
		while (d->rt_buckets[i])
			dp_rt_remove(d, &d->rt_buckets[i]);
	free(d->rt_buckets);
	d->rt_buckets = NULL;
	d->rt_nbuckets = 0;
}

/* ---- route messages ---- */

struct nlmsghdr *dp_rtmsg(struct dp *d, void *buf, uint16_t type, uint16_t flags,
			  const struct dmm_prefix *dst, const struct dmm_prefix *src,
			  uint8_t rtype, uint32_t metric)
{
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_src_len = src ? src->len : 0;
	rtm->rtm_table = d->cfg.table < 256 ? (uint8_t)d->cfg.table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = d->cfg.protocol;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = rtype;
	mnl_attr_put_u32(nlh, RTA_TABLE, d->cfg.table);
	if (dst->len)
		mnl_attr_put(nlh, RTA_DST, 16, &dst->addr);
	if (src && src->len)
		mnl_attr_put(nlh, RTA_SRC, 16, &src->addr);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return nlh;
}

/* The kernel's nla_parse_nested() (strict) wants NLA_F_NESTED. */
struct nlattr *dp_nest(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a = mnl_attr_nest_start(nlh, type);

	a->nla_type |= NLA_F_NESTED;
	return a;
}

/* ---- batches ---- */

static int dp_batch_alloc(struct dp *d)
{
	if (d->bq_buf)
		return 0;
	d->bq_buf = malloc(DP_BATCH_BYTES + 1024);
	d->bq_buf2 = malloc(DP_BATCH_BYTES + 1024);
	d->bq = calloc(DP_BATCH_MSGS, sizeof(*d->bq));
	d->bq2 = calloc(DP_BATCH_MSGS, sizeof(*d->bq2));
	d->bq_puts = calloc(DP_BATCH_MSGS, sizeof(*d->bq_puts));
	if (!d->bq_buf || !d->bq_buf2 || !d->bq || !d->bq2 || !d->bq_puts) {
		dp_batch_free(d);
		return -ENOMEM;
	}
	d->bq_puts_cap = DP_BATCH_MSGS;
	return 0;
}

void dp_batch_free(struct dp *d)
{
	free(d->bq_buf);
	free(d->bq_buf2);
	free(d->bq);
	free(d->bq2);
	free(d->bq_puts);
	d->bq_buf = d->bq_buf2 = NULL;
	d->bq = d->bq2 = NULL;
	d->bq_puts = NULL;
	d->bq_n = d->bq_nputs = d->bq_puts_cap = 0;
	d->bq_len = 0;
}

/* Queue nlh (count: its answer counts in routes_added/deleted or
 * nl_errors). 1 if it cannot be queued (no memory): send it now. */
static int dp_batch_queue(struct dp *d, const struct nlmsghdr *nlh, bool count)
{
	if (dp_batch_alloc(d) < 0 || nlh->nlmsg_len > DP_BATCH_BYTES)
		return 1;
	if (d->bq_n == DP_BATCH_MSGS || d->bq_len + NLMSG_ALIGN(nlh->nlmsg_len) > DP_BATCH_BYTES)
		dp_batch_flush(d);
	memcpy(d->bq_buf + d->bq_len, nlh, nlh->nlmsg_len);
	d->bq[d->bq_n] = (struct dp_bq){ .off = (uint32_t)d->bq_len, .tunnel = d->bq_tunnel,
					 .count = count, .locator = d->bq_locator };
	d->bq_len += NLMSG_ALIGN(nlh->nlmsg_len);
	d->bq_n++;
	return 0;
}

/* (dst, src, metric) of a route message. */
static void dp_msg_key(const struct nlmsghdr *nlh, struct dmm_prefix *dst,
		       struct dmm_prefix *src, uint32_t *metric)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	*dst = (struct dmm_prefix){ .len = rtm->rtm_dst_len };
	*src = (struct dmm_prefix){ .len = rtm->rtm_src_len };
	*metric = 0;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		uint16_t t = mnl_attr_get_type(a);
		if ((t == RTA_DST || t == RTA_SRC) && mnl_attr_get_payload_len(a) == 16)
			memcpy(t == RTA_DST ? &dst->addr : &src->addr, mnl_attr_get_payload(a), 16);
		else if (t == RTA_PRIORITY && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*metric = mnl_attr_get_u32(a);
	}
}

static bool dp_is_route_msg(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_DELROUTE;
}

/* Message i of the n sent failed with err: log it; for a TUNNEL add, unless
 * a later message of the batch is about the same route, make the shadow
 * and the kernel agree again (no route), or add it again at once. */
static void dp_batch_undo(struct dp *d, const uint8_t *buf, const struct dp_bq *q,
			  unsigned n, unsigned i, int err)
{
	const struct nlmsghdr *nlh = (const void *)(buf + q[i].off);
	struct dmm_prefix dst, src, d2, s2;
	uint32_t metric, m2;
	char p[DMM_PREFIX_STRLEN];

	if (!dp_is_route_msg(nlh)) {
		dp_logf(d, DMM_LOG_WARN, "batched rule %s: %s",
			nlh->nlmsg_type == RTM_DELRULE ? "delete" : "add", strerror(-err));
		return;
	}
	dp_msg_key(nlh, &dst, &src, &metric);
	dp_logf(d, DMM_LOG_WARN, "batched route %s %s metric %u: %s",
		nlh->nlmsg_type == RTM_NEWROUTE ? "add" : "delete",
		dmm_prefix_str(&dst, p, sizeof(p)), metric, strerror(-err));
	if (nlh->nlmsg_type != RTM_NEWROUTE || !q[i].tunnel)
		return;
	for (unsigned j = i + 1; j < n; j++) {
		const struct nlmsghdr *h = (const void *)(buf + q[j].off);
		if (!dp_is_route_msg(h))
			continue;
		dp_msg_key(h, &d2, &s2, &m2);
		if (m2 == metric && dmm_prefix_eq(&d2, &dst) && dmm_prefix_eq(&s2, &src))
			return; /* a later op of the batch decided */
	}
	struct dp_route **pp = dp_rt_slot(d, &dst, &src);
	if (pp && *pp && (*pp)->kind == DP_R_TUNNEL &&
	    !memcmp(&(*pp)->locator, &q[i].locator, sizeof(q[i].locator)))
		dp_rt_remove(d, pp);
	if (err == -ENOMEM || err == -ENODEV || err == -ENETDOWN) {
		/* as dp_nl_request and dp_route_op would have: again, now,
		 * with the output device looked up afresh */
		struct dmm_dp_op op = { .kind = DMM_DP_TUNNEL_ADD, .prefix = dst, .src = src,
					.locator = q[i].locator };
		if (err != -ENOMEM)
			memset(d->oif_cache, 0, sizeof(d->oif_cache));
		dp_route_op(d, &op);
	} else {
		/* a replaced route is still there: the shadow has none now */
		dp_route_del_msg(d, &dst, &src, metric);
	}
}

int dp_batch_flush(struct dp *d)
{
	unsigned n = d->bq_n, failed = 0;
	struct dp_bq *q = d->bq;
	uint8_t *buf = d->bq_buf;
	size_t len = d->bq_len;

	if (n == 0 || d->nl == NULL)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct nlmsghdr *nlh = (void *)(buf + q[i].off);
		nlh->nlmsg_seq = q[i].seq = ++d->seq;
		nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
		if (d->batch_ack_all || i == n - 1)
			nlh->nlmsg_flags |= NLM_F_ACK;
		q[i].err = 0; /* no answer: done (only failures and the last answer) */
	}
	/* Requests made from here on (undoing a failure) see an empty queue. */
	d->bq = d->bq2;
	d->bq2 = q;
	d->bq_buf = d->bq_buf2;
	d->bq_buf2 = buf;
	d->bq_n = 0;
	d->bq_len = 0;
	if (mnl_socket_sendto(d->nl, buf, len) < 0) {
		int e = -errno;
		for (unsigned i = 0; i < n; i++)
			q[i].err = e;
	} else {
		uint32_t first = q[0].seq, last = q[n - 1].seq;
		bool done = false;
		while (!done) {
			ssize_t r = mnl_socket_recvfrom(d->nl, d->nlbuf, DP_NLBUF);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* ENOBUFS: answers lost; what they said is unknown */
				d->st.nl_errors++;
				dp_logf(d, DMM_LOG_WARN, "batch of %u route messages: reading the "
					"answers: %s", n, strerror(errno));
				break;
			}
			int left = (int)r;
			for (const struct nlmsghdr *h = (void *)d->nlbuf; mnl_nlmsg_ok(h, left);
			     h = mnl_nlmsg_next(h, &left)) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq - first >= n ||
				    h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					continue;
				q[h->nlmsg_seq - first].err = e->error;
				if (h->nlmsg_seq == last)
					done = true;
			}
		}
	}
	/* Every message is in: references they named can go. */
	for (unsigned i = 0; i < d->bq_nputs; i++)
		d->drv->tunnel_put(d, &d->bq_puts[i]);
	d->bq_nputs = 0;
	/* Undoing runs plain requests (no batch, nothing queued). */
	int depth = d->batch_depth;
	bool on = d->bq_on, tun = d->bq_tunnel;
	struct in6_addr loc = d->bq_locator;
	d->batch_depth = 0;
	d->bq_on = d->bq_tunnel = false;
	for (unsigned i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (const void *)(buf + q[i].off);
		bool del = nlh->nlmsg_type == RTM_DELROUTE || nlh->nlmsg_type == RTM_DELRULE;
		int e = q[i].err;
		if (del && (e == -ESRCH || e == -ENOENT))
			e = 0; /* already gone (e.g. with its device) */
		if (e == 0) {
			if (q[i].count && del)
				d->st.routes_deleted++;
			else if (q[i].count)
				d->st.routes_added++;
			continue;
		}
		failed++;
		if (q[i].count)
			d->st.nl_errors++;
		if (d->bq_first_err == 0)
			d->bq_first_err = e;
		dp_batch_undo(d, buf, q, n, i, e);
	}
	d->batch_depth = depth;
	d->bq_on = on;
	d->bq_tunnel = tun;
	d->bq_locator = loc;
	d->bq_failed += failed;
	return (int)failed;
}

void dp_batch_begin(struct dp *d)
{
	if (d->batch_depth++ == 0)
		d->bq_failed = 0;
}

int dp_batch_end(struct dp *d)
{
	int failed;

	if (d->batch_depth > 0 && --d->batch_depth > 0)
		return 0;
	dp_batch_flush(d);
	failed = (int)d->bq_failed;
	d->bq_failed = 0;
	return failed;
}

void dp_batch_ack_all(struct dp *d, bool on)
{
	d->batch_ack_all = on;
}

int dp_route_add_request(struct dp *d, struct nlmsghdr *nlh)
{
	if (d->bq_on && dp_batch_queue(d, nlh, true) == 0)
		return 0;
	int err = dp_nl_request(d, nlh);

	if (err == 0)
		d->st.routes_added++;
	else
		d->st.nl_errors++;
	return err;
}

int dp_route_del_msg(struct dp *d, const struct dmm_prefix *dst,
		     const struct dmm_prefix *src, uint32_t metric)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_DELROUTE, 0, dst, src, RTN_UNSPEC, metric);

	if (d->bq_on && dp_batch_queue(d, nlh, true) == 0)
		return 0;
	int err = dp_nl_request(d, nlh);

	if (err == -ESRCH || err == -ENOENT)
		err = 0; /* already gone (e.g. with its device) */
	if (err == 0)
		d->st.routes_deleted++;
	else
		d->st.nl_errors++;
	return err;
}

static int dp_route_add_msg(struct dp *d, const struct dp_route *r)
{
	uint8_t buf[512];
	uint8_t rtype = r->kind == DP_R_PASS ? RTN_THROW : RTN_UNICAST;
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
					&r->dst, &r->src, rtype, DP_METRIC);

	int err = 0;

	if (r->kind != DP_R_PASS)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->kind == DP_R_TUNNEL && (err = d->drv->tunnel_attrs(d, nlh, r)) < 0)
		return err;
	err = dp_route_add_request(d, nlh);
	if (err < 0 && r->kind == DP_R_TUNNEL && d->drv->tunnel_put)
		d->drv->tunnel_put(d, r);
	return err;
}

static const enum dp_route_kind dp_kind_of[DMM_DP_KIND_COUNT] = {
	[DMM_DP_TUNNEL_ADD] = DP_R_TUNNEL, [DMM_DP_TUNNEL_DEL] = DP_R_TUNNEL,
	[DMM_DP_LOCAL_ADD] = DP_R_LOCAL,   [DMM_DP_LOCAL_DEL] = DP_R_LOCAL,
	[DMM_DP_PASS_ADD] = DP_R_PASS,     [DMM_DP_PASS_DEL] = DP_R_PASS,
	[DMM_DP_MISS_ADD] = DP_R_MISS,     [DMM_DP_MISS_DEL] = DP_R_MISS,
};

/* (dst, src) dev TUN at metric: the fallback under a LOCAL route
 * (DP_METRIC_BACKUP) or the HOLD overlay (DP_METRIC_HOLD). */
static int dp_route_tun(struct dp *d, const struct dmm_prefix *dst,
			const struct dmm_prefix *src, uint32_t metric, bool add)
{
	uint8_t buf[512];

	if (!add)
		return dp_route_del_msg(d, dst, src, metric);
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst,
					src, RTN_UNICAST, metric);
	mnl_attr_put_u32(nlh, RTA_OIF, d->tun_ifindex);
	return dp_route_add_request(d, nlh);
}

static int dp_route_backup(struct dp *d, const struct dmm_prefix *dst,
			   const struct dmm_prefix *src, bool add)
{
	return dp_route_tun(d, dst, src, DP_METRIC_BACKUP, add);
}

static int dp_route_del(struct dp *d, const struct dmm_dp_op *op, struct dmm_prefix *dst,
			struct dmm_prefix *src)
{
	struct dp_route **pp = dp_rt_slot(d, dst, src);

	if (pp == NULL || *pp == NULL || (*pp)->kind != dp_kind_of[op->kind])
		return 0; /* not ours, or replaced since by another kind */
	int err = dp_route_del_msg(d, dst, src, DP_METRIC);
	if (err == 0 && op->kind == DMM_DP_LOCAL_DEL) {
		/* Without a HOLD_START first, what the implicit hold has
		 * is lost like any packet to a departed MN. */
		dp_hold_local_end(d, dst, false);
		err = dp_route_backup(d, dst, src, false);
	}
	if (err == 0)
		dp_rt_remove(d, pp);
	return err;
}

/* The kind of the route at (dst, src) in the shadow, -1 if none. */
static int dp_route_kind_at(const struct dp *d, const struct dmm_prefix *dst,
			    const struct dmm_prefix *src)
{
	struct dp_route **pp = dp_rt_slot(d, dst, src);

	return pp && *pp ? (*pp)->kind : -1;
}

/* Add r (replacing what was at its (dst, src)), with the TUN fallback of a
 * LOCAL route first, so that there is never a moment without one. */
static int dp_route_add(struct dp *d, const struct dp_route *r)
{
	int old = dp_route_kind_at(d, &r->dst, &r->src);
	int err = 0;

	if (r->kind == DP_R_LOCAL && old != DP_R_LOCAL &&
	    (err = dp_route_backup(d, &r->dst, &r->src, true)) < 0)
		return err;
	if ((err = dp_route_add_msg(d, r)) < 0)
		return err;
	if ((err = dp_rt_put(d, r)) < 0)
		return err;
	if (old == DP_R_LOCAL && r->kind != DP_R_LOCAL)
		err = dp_route_backup(d, &r->dst, &r->src, false);
	/* Packets held since the link went: a LOCAL route again (the MN is
	 * back), or another route now: re-route them. */
	if (old == DP_R_LOCAL || r->kind == DP_R_LOCAL)
		dp_hold_local_end(d, &r->dst, true);
	return err;
}

static uint64_t dp_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

/* LWT routes need a device; the encapsulated packet is routed again, so
 * take the kernel's choice towards the locator, cached per locator for
 * DP_OIF_CACHE_MS (a bulk of routes to one MR costs one lookup). */
static int dp_tunnel_oif(struct dp *d, const struct in6_addr *locator, uint32_t *oif,
			 bool fresh)
{
	uint64_t now = dp_mono_ms();
	struct dp_oif_cache *c, *old = &d->oif_cache[0];

	for (unsigned i = 0; i < DP_OIF_CACHE; i++) {
		c = &d->oif_cache[i];
		if (c->t_ms && !memcmp(&c->locator, locator, sizeof(*locator))) {
			old = c;
			break;
		}
		if (c->t_ms < old->t_ms)
			old = c;
	}
	c = old;
	if (!fresh && c->t_ms && !memcmp(&c->locator, locator, sizeof(*locator)) &&
	    now - c->t_ms < DP_OIF_CACHE_MS) {
		*oif = c->oif;
		return 0;
	}
	int err = dp_nl_route_oif(d, locator, oif);
	if (err < 0) {
		d->st.nl_errors++;
		c->t_ms = 0;
		return err;
	}
	*c = (struct dp_oif_cache){ *locator, *oif, now };
	return 0;
}

static int dp_route_op1(struct dp *d, const struct dmm_dp_op *op);

/* TUNNEL/LOCAL/PASS/MISS add or delete; TUNNEL ones queued in a batch. */
int dp_route_op(struct dp *d, const struct dmm_dp_op *op)
{
	bool batch = d->batch_depth > 0 &&
		     (op->kind == DMM_DP_TUNNEL_ADD || op->kind == DMM_DP_TUNNEL_DEL);
	int err;

	if (!batch)
		dp_batch_flush(d);
	d->bq_on = d->bq_tunnel = batch;
	d->bq_locator = op->locator;
	err = dp_route_op1(d, op);
	d->bq_on = d->bq_tunnel = false;
	return err;
}

static int dp_route_op1(struct dp *d, const struct dmm_dp_op *op)
{
	struct dp_route r = { .kind = (uint8_t)dp_kind_of[op->kind], .dst = op->prefix,
			      .src = op->src, .locator = op->locator };

	if (r.dst.len > 128 || r.src.len > 128)
		return -EINVAL;
	if (op->kind == DMM_DP_TUNNEL_ADD && op->xlate.len) {
		/* routing locator: only a /64 to a /64, only by a driver
		 * that translates (dmmd refuses the mode on the others) */
		if (op->xlate.len != 64 || r.dst.len != 64 || !d->drv->locator)
			return -EINVAL;
		r.xlate = op->xlate;
	}
	dmm_prefix_mask(&r.dst);
	dmm_prefix_mask(&r.src);
	if (op->kind == DMM_DP_TUNNEL_DEL || op->kind == DMM_DP_LOCAL_DEL ||
	    op->kind == DMM_DP_PASS_DEL || op->kind == DMM_DP_MISS_DEL)
		return dp_route_del(d, op, &r.dst, &r.src);
	if (r.kind == DP_R_LOCAL)
		r.oif = op->link;
	else if (r.kind == DP_R_MISS)
		r.oif = d->tun_ifindex;
	else if (r.kind == DP_R_TUNNEL && d->drv->kind == DP_DRIVER_TUN)
		r.oif = d->tun_ifindex; /* dp_utun.c encapsulates */
	else if (r.kind == DP_R_TUNNEL) {
		int err = dp_tunnel_oif(d, &r.locator, &r.oif, false);
		if (err < 0)
			return err;
		err = dp_route_add(d, &r);
		if (err != -ENODEV && err != -ENETDOWN)
			return err;
		/* The cached device went: look again, once. */
		if ((err = dp_tunnel_oif(d, &r.locator, &r.oif, true)) < 0)
			return err;
	}
	return dp_route_add(d, &r);
}

/* HOLD overlay route: prefix dev TUN at the hold metric. */
int dp_route_hold(struct dp *d, const struct dmm_prefix *p, bool add)
{
	return dp_route_tun(d, p, NULL, DP_METRIC_HOLD, add);
}

/* Delete every route of the shadow table from the kernel. */
void dp_routes_remove_all(struct dp *d)
{
	d->bq_on = true; /* many deletes to one sendmsg */
	for (uint32_t i = 0; i < d->rt_nbuckets; i++) {
		while (d->rt_buckets[i]) {
			struct dp_route *r = d->rt_buckets[i];
			dp_route_del_msg(d, &r->dst, &r->src, DP_METRIC);
			if (r->kind == DP_R_LOCAL)
				dp_route_backup(d, &r->dst, &r->src, false);
			dp_rt_remove(d, &d->rt_buckets[i]);
		}
	}
	d->bq_on = false;
	dp_batch_flush(d);
}

/* ---- rules ---- */

int dp_rule_msg(struct dp *d, uint16_t type, uint32_t pref, uint32_t table, uint8_t proto,
		bool decap, const struct in6_addr *from)
{
	uint8_t buf[256];
	uint16_t flags = type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0;
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, type, flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = AF_INET6;
	frh->action = FR_ACT_TO_TBL;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, proto);
	if (decap) {
		frh->dst_len = 128;
		mnl_attr_put(nlh, FRA_DST, 16, &d->cfg.self);
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, IPPROTO_IPV6);
	}
	if (from) {
		frh->src_len = 128;
		mnl_attr_put(nlh, FRA_SRC, 16, from);
	}
	int err = dp_nl_request(d, nlh);
	if (err == -EEXIST && type == RTM_NEWRULE)
		err = 0;
	if ((err == -ENOENT || err == -ESRCH) && type == RTM_DELRULE)
		err = 0;
	if (err < 0)
		d->st.nl_errors++;
	return err;
}

/* dmm's table before main (the seg6 driver adds its decap rules and moves
 * the local rule, dp_seg6.c). */
int dp_rules_setup(struct dp *d)
{
	d->rules_set = true;
	return dp_rule_msg(d, RTM_NEWRULE, d->cfg.rule_pref + 2, d->cfg.table, d->cfg.protocol,
			   false, NULL);
}

void dp_rules_teardown(struct dp *d)
{
	if (!d->rules_set)
		return;
	dp_rule_msg(d, RTM_DELRULE, d->cfg.rule_pref + 2, d->cfg.table, d->cfg.protocol, false,
		    NULL);
	d->rules_set = false;
}

/* ---- anycast announcement ---- */

int dp_announce(struct dp *d, const struct dmm_prefix *p, bool on, uint32_t expires_s)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned i;
	int err;

	for (i = 0; i < d->n_announced; i++)
		if (dmm_prefix_eq(&d->announced[i], p))
			break;
	if (on && i == d->n_announced && d->n_announced >= DP_MAX_ANNOUNCE)
		return -ENOSPC;
	nlh = dp_nl_hdr(d, buf, on ? RTM_NEWROUTE : RTM_DELROUTE,
			on ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = d->cfg.protocol;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = on ? RTN_UNICAST : RTN_UNSPEC;
	if (p->len)
		mnl_attr_put(nlh, RTA_DST, 16, &p->addr);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, DP_METRIC);
	mnl_attr_put_u32(nlh, RTA_OIF, d->tun_ifindex);
	if (on && expires_s)
		mnl_attr_put_u32(nlh, RTA_EXPIRES, expires_s);
	err = dp_nl_request(d, nlh);
	if (!on && (err == -ESRCH || err == -ENOENT))
		err = 0; /* gone already: expired, or never there */
	if (err < 0) {
		d->st.nl_errors++;
		return err;
	}
	if (on && i == d->n_announced)
		d->announced[d->n_announced++] = *p;
	else if (!on && i < d->n_announced)
		d->announced[i] = d->announced[--d->n_announced];
	return 0;
}

/* ---- leftovers of a crashed instance ---- */

struct dp_stale {
	struct dp *d;
	uint8_t *msgs; /* copies of the dumped messages to delete */
	size_t len, cap;
	int family_kind; /* RTM_NEWROUTE or RTM_NEWRULE */
};

static int dp_stale_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_stale *s = data;
	uint8_t proto = 0;

	if (nlh->nlmsg_type == RTM_NEWROUTE) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
		uint32_t table = rtm->rtm_table;
		struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(*rtm))
			if (mnl_attr_get_type(a) == RTA_TABLE &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
		/* Only our table: another router daemon may share the number. */
		proto = table == s->d->cfg.table ? rtm->rtm_protocol : 0;
	} else if (nlh->nlmsg_type == RTM_NEWRULE) {
		struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(struct fib_rule_hdr))
			if (mnl_attr_get_type(a) == FRA_PROTOCOL &&
			    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
				proto = mnl_attr_get_u8(a);
	}
	if (proto != s->d->cfg.protocol)
		return MNL_CB_OK;
	size_t need = NLMSG_ALIGN(nlh->nlmsg_len);
	if (s->len + need > s->cap) {
		size_t cap = (s->cap + need) * 2;
		uint8_t *m = realloc(s->msgs, cap);
		if (m == NULL)
			return MNL_CB_ERROR;
		s->msgs = m;
		s->cap = cap;
	}
	memcpy(s->msgs + s->len, nlh, nlh->nlmsg_len);
	s->len += need;
	return MNL_CB_OK;
}

/* Dump routes or rules, then send each one with our protocol back as a
 * delete (what `ip route flush proto N` does). Returns how many. */
static int dp_flush_kind(struct dp *d, uint16_t get, uint16_t del, size_t hdrlen)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, get, NLM_F_DUMP);
	struct dp_stale s = { .d = d };
	int n = 0;

	memset(mnl_nlmsg_put_extra_header(nlh, hdrlen), 0, hdrlen);
	*(uint8_t *)mnl_nlmsg_get_payload(nlh) = AF_INET6; /* rtm_family / frh->family */
	int err = dp_nl_query(d, nlh, dp_stale_cb, &s);
	/* deleted in batches: a crashed MR may have left 100k routes */
	d->bq_first_err = 0;
	d->bq_failed = 0;
	for (size_t off = 0; err == 0 && off < s.len;) {
		struct nlmsghdr *m = (struct nlmsghdr *)(s.msgs + off);
		off += NLMSG_ALIGN(m->nlmsg_len);
		m->nlmsg_type = del;
		m->nlmsg_flags = NLM_F_REQUEST;
		if (dp_batch_queue(d, m, false) == 0) {
			n++;
			continue;
		}
		int e = dp_nl_request(d, m);
		if (e == 0 || e == -ESRCH || e == -ENOENT)
			n += e == 0;
		else
			err = e;
	}
	dp_batch_flush(d);
	if (err == 0 && d->bq_failed > 0)
		err = d->bq_first_err;
	n -= (int)d->bq_failed;
	d->bq_failed = 0;
	free(s.msgs);
	return err < 0 ? err : n;
}

int dp_flush_stale(struct dp *d)
{
	/* A crash may have left the local rule moved: restore pref 0 first. */
	int err = dp_rule_msg(d, RTM_NEWRULE, 0, DP_TABLE_LOCAL, RTPROT_KERNEL, false, NULL);
	if (err < 0)
		return err;
	int nr = dp_flush_kind(d, RTM_GETRULE, RTM_DELRULE, sizeof(struct fib_rule_hdr));
	if (nr < 0)
		return nr;
	int nt = dp_flush_kind(d, RTM_GETROUTE, RTM_DELROUTE, sizeof(struct rtmsg));
	if (nt < 0)
		return nt;
	if (nr + nt > 0)
		dp_logf(d, DMM_LOG_WARN, "removed %d rules and %d routes left by a previous "
			"instance (protocol %u)", nr, nt, d->cfg.protocol);
	return 0;
}
