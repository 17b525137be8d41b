/* The TUN device: MISS and HOLD routes, and the fallback under each LOCAL
 * route, point at it. A packet read from it is held if a HOLD covers its
 * destination; if our route for it is LOCAL, the access link is gone (the
 * kernel took the LOCAL route with it) before the core knows: it is held
 * under an implicit hold until HOLD_START takes the queue over, or a
 * LOCAL_ADD/LOCAL_DEL flushes or drops it. Otherwise the daemon is told
 * (cb->miss) and then, with the routes the daemon installed meanwhile, the
 * packet is written back into the TUN (the kernel routes it again), held,
 * or dropped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>

#include "dp_priv.h"


/* A longer transmit queue than the default 500 (DP_TUN_TXQLEN); only
 * logged on failure: a short one costs packets under load, not function. */
static void dp_tun_txqlen(struct dp *d, struct ifreq *ifr)
{
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ifr->ifr_qlen = DP_TUN_TXQLEN;
	if (s < 0 || ioctl(s, SIOCSIFTXQLEN, ifr) < 0)
		dp_logf(d, DMM_LOG_WARN, "TUN %s: cannot set txqueuelen %d: %s",
			d->cfg.tun_name, DP_TUN_TXQLEN, strerror(errno));
	if (s >= 0)
		close(s);
}

int dp_tun_open(struct dp *d)
{
	struct ifreq ifr = { 0 };
	char path[128];

	d->tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->tun_fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->cfg.tun_name);
	if (ioctl(d->tun_fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		dp_logf(d, DMM_LOG_ERR, "TUN %s: %s%s", d->cfg.tun_name, strerror(-err),
			err == -EBUSY ? " (another dmmd running?)" : "");
		return err;
	}
	/* The kernel's name (a "%d" template in tun_name gets a number). */
	snprintf(d->cfg.tun_name, sizeof(d->cfg.tun_name), "%s", ifr.ifr_name);
	d->tun_ifindex = if_nametoindex(d->cfg.tun_name);
	if (d->tun_ifindex == 0)
		return -errno;
	dp_tun_txqlen(d, &ifr);
	/* No addresses on the TUN: no link-local, so no ND or MLD of its own. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode",
		 d->cfg.tun_name);
	dp_sysctl_write(path, "1");
	return dp_nl_link_up(d, d->tun_ifindex);
}

void dp_tun_close(struct dp *d)
{
	if (d->tun_fd >= 0)
		close(d->tun_fd); /* not persistent: the device goes with the fd */
	d->tun_fd = -1;
}

/* ---- hold queues ---- */

static struct dp_hold *dp_hold_find(struct dp *d, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < DP_MAX_HOLDS; i++)
		if (d->holds[i].used && dmm_prefix_eq(&d->holds[i].prefix, p))
			return &d->holds[i];
	return NULL;
}

/* The most specific active hold covering dst. */
static struct dp_hold *dp_hold_covering(struct dp *d, const struct in6_addr *dst)
{
	struct dp_hold *best = NULL;

	if (d->n_holds == 0)
		return NULL;
	for (unsigned i = 0; i < DP_MAX_HOLDS; i++) {
		struct dp_hold *h = &d->holds[i];
		if (h->used && dmm_prefix_contains(&h->prefix, dst) &&
		    (best == NULL || h->prefix.len > best->prefix.len))
			best = h;
	}
	return best;
}

/* What a held packet costs against hold_max_bytes: itself and its header. */
static uint64_t dp_pkt_cost(size_t len)
{
	return sizeof(struct dp_pkt) + len;
}

static uint64_t dp_hold_cap(const struct dp *d)
{
	return d->cfg.hold_max_bytes ? d->cfg.hold_max_bytes : DP_HOLD_MEMORY_DEFAULT;
}

static void dp_pkt_free(struct dp *d, struct dp_pkt *p)
{
	d->st.held_bytes -= dp_pkt_cost(p->len);
	free(p);
}

static void dp_hold_queue(struct dp *d, struct dp_hold *h, const uint8_t *pkt, size_t len)
{
	if (h->n >= d->cfg.hold_max_pkts) {
		d->st.hold_dropped++;
		return;
	}
	/* One cap over every queue: 1024 holds of 4096 packets each would
	 * otherwise be gigabytes, from traffic anyone can send. */
	if (d->st.held_bytes + dp_pkt_cost(len) > dp_hold_cap(d)) {
		d->st.hold_dropped++;
		d->st.hold_memory_dropped++;
		return;
	}
	struct dp_pkt *p = malloc(sizeof(*p) + len);
	if (p == NULL) {
		d->st.hold_dropped++;
		return;
	}
	p->next = NULL;
	p->t = d->now;
	p->len = (uint32_t)len;
	memcpy(p->data, pkt, len);
	if (h->tail)
		h->tail->next = p;
	else
		h->head = p;
	h->tail = p;
	h->n++;
	d->st.held++;
	d->st.held_bytes += dp_pkt_cost(len);
}

static void dp_reinject(struct dp *d, const uint8_t *pkt, size_t len)
{
	if (write(d->tun_fd, pkt, len) == (ssize_t)len)
		d->st.reinjected++;
	else
		d->st.miss_dropped++;
}

/* End a hold: remove its route, then (flush) write the queue back into the
 * TUN — after the route is gone, so the kernel routes the packets anew. */
static int dp_hold_end(struct dp *d, struct dp_hold *h, bool flush)
{
	/* The packets are routed again: the routes queued in a batch (the
	 * tunnel replacing a LOCAL route, dp_route_add) first. */
	if (flush && h->head)
		dp_batch_flush(d);
	int err = h->implicit ? 0 : dp_route_hold(d, &h->prefix, false);
	struct dp_pkt *p = h->head, *next;

	h->used = false;
	h->head = h->tail = NULL;
	h->n = 0;
	d->n_holds--;
	for (; p; p = next) {
		next = p->next;
		if (flush) {
			d->st.flushed++;
			dp_reinject(d, p->data, p->len);
		} else {
			d->st.hold_dropped++;
		}
		dp_pkt_free(d, p);
	}
	return err;
}

/* A free hold entry for p (no route), NULL if the table is full. */
static struct dp_hold *dp_hold_new(struct dp *d, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < DP_MAX_HOLDS; i++) {
		if (d->holds[i].used)
			continue;
		d->holds[i] = (struct dp_hold){ .used = true, .prefix = *p };
		d->n_holds++;
		return &d->holds[i];
	}
	dp_logf(d, DMM_LOG_WARN, "hold table full (%u)", DP_MAX_HOLDS);
	return NULL;
}

int dp_hold_op(struct dp *d, const struct dmm_dp_op *op)
{
	struct dmm_prefix p = op->prefix;

	if (p.len > 128)
		return -EINVAL;
	dmm_prefix_mask(&p);
	struct dp_hold *h = dp_hold_find(d, &p);
	if (op->kind != DMM_DP_HOLD_START)
		return h ? dp_hold_end(d, h, op->kind == DMM_DP_HOLD_FLUSH) : 0;
	if (h && !h->implicit)
		return 0;
	if (h) { /* the core takes over what dp held since the link went */
		int err = dp_route_hold(d, &p, true);
		if (err == 0)
			h->implicit = false;
		return err;
	}
	if ((h = dp_hold_new(d, &p)) == NULL)
		return -ENOSPC;
	int err = dp_route_hold(d, &p, true);
	if (err < 0) {
		h->used = false;
		d->n_holds--;
	}
	return err;
}

void dp_hold_local_end(struct dp *d, const struct dmm_prefix *p, bool flush)
{
	struct dp_hold *h = dp_hold_find(d, p);

	if (h && h->implicit)
		dp_hold_end(d, h, flush);
}

void dp_hold_expire(struct dp *d, dmm_time_t now)
{
	for (unsigned i = 0; i < DP_MAX_HOLDS && d->n_holds; i++) {
		struct dp_hold *h = &d->holds[i];
		while (h->used && h->head && h->head->t + d->cfg.hold_max_ms <= now) {
			struct dp_pkt *p = h->head;
			h->head = p->next;
			if (h->head == NULL)
				h->tail = NULL;
			h->n--;
			d->st.hold_expired++;
			dp_pkt_free(d, p);
		}
	}
}

dmm_time_t dp_hold_deadline(const struct dp *d)
{
	dmm_time_t t = DMM_TIME_NEVER;

	for (unsigned i = 0; i < DP_MAX_HOLDS && d->n_holds; i++) {
		const struct dp_hold *h = &d->holds[i];
		if (h->used && h->head && h->head->t + d->cfg.hold_max_ms < t)
			t = h->head->t + d->cfg.hold_max_ms;
	}
	return t;
}

void dp_holds_free(struct dp *d)
{
	for (unsigned i = 0; i < DP_MAX_HOLDS; i++)
		if (d->holds[i].used)
			dp_hold_end(d, &d->holds[i], false);
}

/* ---- packets from the TUN ---- */

/* The node's own multicast (MLD reports, ND) also leaves through the TUN. */
static bool dp_tun_filtered(const uint8_t *pkt, size_t len)
{
	if (pkt[24] == 0xff)
		return true;
	if (pkt[6] == IPPROTO_ICMPV6 && len > DP_IP6_HLEN) {
		uint8_t type = pkt[DP_IP6_HLEN];
		return (type >= MLD_LISTENER_QUERY && type <= ND_REDIRECT) ||
		       type == 143 /* MLDv2 report */;
	}
	return false;
}

/* The tun driver's TUNNEL routes point here: encapsulate in dmmd, unless a
 * HOLD overlays the route (the kernel would prefer a TUNNEL route with a
 * longer destination, or a source-specific one, over the HOLD). */
static bool dp_tun_tunnelled(struct dp *d, const struct dp_route *r, const struct dp_hold *h,
			     const uint8_t *pkt, size_t len)
{
	if (r == NULL || r->kind != DP_R_TUNNEL || d->drv->xmit == NULL)
		return false;
	if (h && r->dst.len <= h->prefix.len && r->src.len == 0)
		return false;
	d->drv->xmit(d, r, pkt, len);
	return true;
}

static void dp_tun_packet(struct dp *d, const uint8_t *pkt, size_t len)
{
	struct in6_addr src, dst;

	if (dp_ip6_len(pkt, len) == 0 || dp_tun_filtered(pkt, len)) {
		d->st.tun_filtered++;
		return;
	}
	memcpy(&src, pkt + 8, 16);
	memcpy(&dst, pkt + 24, 16);
	struct dp_hold *h = dp_hold_covering(d, &dst);
	const struct dp_route *r = dp_route_lookup(d, &dst, &src);
	if (dp_tun_tunnelled(d, r, h, pkt, len))
		return;
	if (h) {
		dp_hold_queue(d, h, pkt, len);
		return;
	}
	if (r && r->kind == DP_R_LOCAL && dp_access_link_up(d, r->oif)) {
		/* Queued in the TUN by the route this LOCAL one replaced (the
		 * tun driver's TUNNEL, a MISS): the kernel delivers it now. */
		dp_reinject(d, pkt, len);
		return;
	}
	if (r && r->kind == DP_R_LOCAL) {
		/* The LOCAL fallback: the link is gone, the core not told yet. */
		if ((h = dp_hold_new(d, &r->dst)) != NULL) {
			h->implicit = true;
			dp_hold_queue(d, h, pkt, len);
		} else {
			d->st.hold_dropped++;
		}
		return;
	}
	d->st.miss++;
	if (d->cb.miss)
		d->cb.miss(d->cb.ctx, &dst, &src);
	/* Whatever the daemon did, decide with the routes as they are now. */
	if ((h = dp_hold_covering(d, &dst)) != NULL) {
		dp_hold_queue(d, h, pkt, len);
		return;
	}
	r = dp_route_lookup(d, &dst, &src);
	if (dp_tun_tunnelled(d, r, NULL, pkt, len))
		return;
	if (r && r->kind != DP_R_MISS)
		dp_reinject(d, pkt, len);
	else
		d->st.miss_dropped++;
}

void dp_tun_read(struct dp *d)
{
	for (unsigned i = 0; i < 64; i++) { /* bounded batch: others get their turn */
		ssize_t n = read(d->tun_fd, d->pktbuf, DP_PKT_MAX);
		if (n <= 0)
			break;
		dp_tun_packet(d, d->pktbuf, (size_t)n);
	}
	if (d->drv && d->drv->flush)
		d->drv->flush(d);
}
