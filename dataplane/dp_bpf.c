/* The bpf driver. Encapsulation: each TUNNEL route carries an LWT-BPF xmit
 * program (bpf/dmm_encap.bpf.c) by fd over rtnetlink; a route cannot give
 * its program a parameter, so one instance is loaded per tunnel end point
 * (the locator in its read-only data) and shared by the routes to it,
 * counted by reference. Decapsulation: a tc clsact ingress program
 * (bpf/dmm_decap.bpf.c) on every core link (Ethernet-like, not an access
 * link), accepting only the peers of its map. Counters are per-CPU maps.
 * Needs CONFIG_BPF_SYSCALL, CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF and
 * CONFIG_NET_SCH_INGRESS. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>

#include "dp_priv.h"
#include "dmm_bpf.h"
#include "dmm_decap.skel.h"
#include "dmm_encap.skel.h"
#include "dmm_xlate.skel.h"

#define DP_BPF_TC_HANDLE 0xd33
#define DP_BPF_TC_PRIO 0xd33
#define DP_BPF_HEADROOM 40

_Static_assert(DMM_BPF_MAX_PEERS == DP_MAX_PEERS, "one peer limit");

struct dp_bpf_tx {
	struct in6_addr locator;
	struct dmm_encap *skel;
	unsigned refs;
};

struct dp_bpf_link {
	uint32_t ifindex;
	bool hook_created; /* the clsact qdisc is ours to remove */
};

struct dp_bpf {
	struct dmm_decap *decap;
	struct dmm_xlate *xlate; /* routing locator: the one translating program */
	int ncpu;
	unsigned n_tx;
	struct dp_bpf_tx tx[DP_MAX_PEERS];
	unsigned n_links;
	struct dp_bpf_link links[DP_MAX_LINKS];
};

static int dp_bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static struct dmm_encap *dp_bpf_encap_load(const struct in6_addr *src,
					   const struct in6_addr *dst, int *err)
{
	struct dmm_encap *e = dmm_encap__open();

	if (e == NULL) {
		*err = -errno;
		return NULL;
	}
	memcpy((void *)&e->rodata->outer_src, src, 16);
	memcpy((void *)&e->rodata->outer_dst, dst, 16);
	if ((*err = dmm_encap__load(e)) < 0) {
		dmm_encap__destroy(e);
		return NULL;
	}
	return e;
}

static struct dmm_decap *dp_bpf_decap_load(const struct dp *d, int *err)
{
	struct dmm_decap *x = dmm_decap__open();

	if (x == NULL) {
		*err = -errno;
		return NULL;
	}
	memcpy((void *)&x->rodata->self, &d->cfg.self, 16);
	x->rodata->any_peer = d->cfg.n_peers == 0;
	x->rodata->xlate_on = d->cfg.locator;
	if ((*err = dmm_decap__load(x)) < 0) {
		dmm_decap__destroy(x);
		return NULL;
	}
	return x;
}

/* The LWT attributes of a route through program fd. */
static void dp_bpf_put_lwt_prog(struct nlmsghdr *nlh, int fd, const char *name,
				uint32_t headroom)
{
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_BPF);
	struct nlattr *nest = dp_nest(nlh, RTA_ENCAP);
	struct nlattr *x = dp_nest(nlh, LWT_BPF_XMIT);
	mnl_attr_put_u32(nlh, LWT_BPF_PROG_FD, (uint32_t)fd);
	mnl_attr_put_strz(nlh, LWT_BPF_PROG_NAME, name);
	mnl_attr_nest_end(nlh, x);
	if (headroom)
		mnl_attr_put_u32(nlh, LWT_BPF_XMIT_HEADROOM, headroom);
	mnl_attr_nest_end(nlh, nest);
}

static void dp_bpf_put_lwt(struct nlmsghdr *nlh, int fd)
{
	dp_bpf_put_lwt_prog(nlh, fd, "dmm_encap", DP_BPF_HEADROOM);
}

/* ---- probe ---- */

static int dp_bpf_probe_route(struct dp *d, int fd)
{
	uint8_t buf[512];
	struct dmm_prefix self = { d->cfg.self, 128 };
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
					&self, NULL, RTN_UNICAST, DP_METRIC_PROBE);

	mnl_attr_put_u32(nlh, RTA_OIF, d->tun_ifindex);
	dp_bpf_put_lwt(nlh, fd);
	int err = dp_nl_request(d, nlh);
	if (err == 0)
		dp_route_del_msg(d, &self, NULL, DP_METRIC_PROBE);
	return err;
}

static int dp_bpf_tc_attach(int ifindex, int fd, bool *created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_BPF_TC_HANDLE, .priority = DP_BPF_TC_PRIO,
		    .prog_fd = fd, .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err < 0 && err != -EEXIST)
		return err;
	*created = err == 0;
	if ((err = bpf_tc_attach(&hook, &opts)) < 0 && *created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return err;
}

static void dp_bpf_tc_detach(int ifindex, bool created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_BPF_TC_HANDLE, .priority = DP_BPF_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
	if (created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
}

/* Load both programs, add and remove an LWT-BPF route, attach and detach
 * the decap program, both on dp's TUN device (dmmd -P: a TUN of its own):
 * each step needs one of the kernel options. */
static int dp_bpf_probe(struct dp *d, char *why, size_t len)
{
	int err = 0;
	bool created = false;
	struct dmm_decap *x = NULL;
	struct dmm_encap *e = NULL;

	libbpf_set_print(dp_bpf_print);
	if ((x = dp_bpf_decap_load(d, &err)) == NULL ||
	    (e = dp_bpf_encap_load(&d->cfg.self, &d->cfg.self, &err)) == NULL) {
		snprintf(why, len, "loading BPF programs: %s", strerror(-err));
		goto out;
	}
	if ((err = dp_bpf_probe_route(d, bpf_program__fd(e->progs.dmm_encap))) < 0) {
		snprintf(why, len, "LWT-BPF routes: %s%s%s (CONFIG_LWTUNNEL_BPF)", strerror(-err),
			 d->nl_errmsg[0] ? ": " : "", d->nl_errmsg);
		goto out;
	}
	int dev = (int)d->tun_ifindex;
	if ((err = dp_bpf_tc_attach(dev, bpf_program__fd(x->progs.dmm_decap), &created)) < 0) {
		snprintf(why, len, "tc clsact BPF filter: %s (CONFIG_NET_CLS_BPF, "
			 "CONFIG_NET_SCH_INGRESS)", strerror(-err));
		goto out;
	}
	dp_bpf_tc_detach(dev, created);
out:
	d->nl_errmsg[0] = '\0';
	dmm_encap__destroy(e);
	dmm_decap__destroy(x);
	return err;
}

/* ---- decapsulation on the core links ---- */

static void dp_bpf_core_link(struct dp *d, uint32_t ifindex, const char *name, bool add)
{
	struct dp_bpf *b = d->drv_state;
	unsigned i;

	if (b == NULL || b->decap == NULL)
		return;
	for (i = 0; i < b->n_links && b->links[i].ifindex != ifindex; i++)
		;
	if (!add) {
		if (i < b->n_links)
			b->links[i] = b->links[--b->n_links]; /* went with its device */
		return;
	}
	if (i < b->n_links)
		return; /* attached already: a link event for another change */
	if (b->n_links == DP_MAX_LINKS) {
		dp_logf(d, DMM_LOG_WARN, "core link %s: no decapsulation (over %u links)", name,
			DP_MAX_LINKS);
		return;
	}
	bool created = false;
	int err = dp_bpf_tc_attach((int)ifindex, bpf_program__fd(b->decap->progs.dmm_decap),
				   &created);
	if (err < 0) {
		dp_logf(d, DMM_LOG_WARN, "core link %s: cannot attach the decap program: %s",
			name, strerror(-err));
		return;
	}
	b->links[b->n_links++] = (struct dp_bpf_link){ ifindex, created };
	dp_logf(d, DMM_LOG_INFO, "core link %s (%u): decapsulating tunnels to self", name,
		ifindex);
}

static int dp_bpf_open(struct dp *d)
{
	struct dp_bpf *b = calloc(1, sizeof(*b));
	int err = 0;

	if ((d->drv_state = b) == NULL)
		return -ENOMEM;
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu <= 0 || (b->decap = dp_bpf_decap_load(d, &err)) == NULL) {
		dp_logf(d, DMM_LOG_ERR, "bpf data plane: cannot load the decap program: %s",
			strerror(err ? -err : EINVAL));
		return err ? err : -EINVAL;
	}
	if ((b->xlate = dmm_xlate__open_and_load()) == NULL) {
		err = -errno;
		dp_logf(d, DMM_LOG_ERR, "bpf data plane: cannot load the translation program: %s",
			strerror(-err));
		return err;
	}
	int fd = bpf_map__fd(b->decap->maps.peers);
	for (uint32_t i = 0; i < d->cfg.n_peers; i++) {
		if (bpf_map_update_elem(fd, &d->cfg.peers[i], &i, BPF_ANY) < 0) {
			err = -errno;
			dp_logf(d, DMM_LOG_ERR, "bpf data plane: peers map: %s", strerror(-err));
			return err;
		}
	}
	return dp_core_links_scan(d);
}

static void dp_bpf_close(struct dp *d)
{
	struct dp_bpf *b = d->drv_state;

	if (b == NULL)
		return;
	for (unsigned i = 0; i < b->n_links; i++)
		dp_bpf_tc_detach((int)b->links[i].ifindex, b->links[i].hook_created);
	for (unsigned i = 0; i < b->n_tx; i++)
		dmm_encap__destroy(b->tx[i].skel);
	dmm_xlate__destroy(b->xlate);
	dmm_decap__destroy(b->decap);
	free(b);
	d->drv_state = NULL;
}

/* ---- encapsulation ---- */

static struct dp_bpf_tx *dp_bpf_tx_find(struct dp_bpf *b, const struct in6_addr *locator)
{
	for (unsigned i = 0; i < b->n_tx; i++)
		if (memcmp(&b->tx[i].locator, locator, sizeof(*locator)) == 0)
			return &b->tx[i];
	return NULL;
}

/* ---- translation (routing locator) ---- */

/* The 8-byte map key of a /64 and the entry that replaces it by to. */
static uint64_t dp_bpf_key(const struct dmm_prefix *p)
{
	uint64_t k;

	memcpy(&k, p->addr.s6_addr, 8);
	return k;
}

static struct dmm_bpf_xlate dp_bpf_xval(const struct dmm_prefix *from,
					const struct dmm_prefix *to)
{
	struct dmm_bpf_xlate v = { .flags = 0, .refs = 0 };

	memcpy(v.pfx, to->addr.s6_addr, 8);
	/* a pair that is not checksum-neutral (a peer that chose its
	 * locator otherwise) costs a transport checksum fix-up */
	if (!dmm_prefix_csum_neutral(from, to))
		v.flags |= DMM_BPF_XLATE_FIXUP;
	return v;
}

/* One more (ref) or one less (unref) user of the entry from -> to in map fd. */
static int dp_bpf_xref(int fd, const struct dmm_prefix *from, const struct dmm_prefix *to,
		       bool ref)
{
	uint64_t k = dp_bpf_key(from);
	struct dmm_bpf_xlate old, v = dp_bpf_xval(from, to);
	bool had = bpf_map_lookup_elem(fd, &k, &old) == 0;

	if (!ref) {
		if (!had)
			return 0;
		if (old.refs > 1) {
			old.refs--;
			return bpf_map_update_elem(fd, &k, &old, BPF_EXIST) < 0 ? -errno : 0;
		}
		return bpf_map_delete_elem(fd, &k) < 0 && errno != ENOENT ? -errno : 0;
	}
	v.refs = had ? old.refs + 1 : 1; /* the newest target wins */
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

static int dp_bpf_locator(struct dp *d, const struct dmm_prefix *phl, const struct dmm_prefix *hnp,
			  bool add)
{
	struct dp_bpf *b = d->drv_state;
	int fd = bpf_map__fd(b->decap->maps.xlate_in);
	uint64_t k = dp_bpf_key(phl);

	if (!add)
		return bpf_map_delete_elem(fd, &k) < 0 && errno != ENOENT ? -errno : 0;
	struct dmm_bpf_xlate v = dp_bpf_xval(phl, hnp);
	v.refs = 1;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

static int dp_bpf_tunnel_attrs(struct dp *d, struct nlmsghdr *nlh, const struct dp_route *r)
{
	struct dp_bpf *b = d->drv_state;
	struct dp_bpf_tx *t;
	int err = 0;

	if (r->xlate.len) {
		int fd = bpf_map__fd(b->xlate->maps.xlate_out);
		if ((err = dp_bpf_xref(fd, &r->dst, &r->xlate, true)) < 0)
			return err;
		dp_bpf_put_lwt_prog(nlh, bpf_program__fd(b->xlate->progs.dmm_xlate), "dmm_xlate", 0);
		return 0;
	}
	t = dp_bpf_tx_find(b, &r->locator);

	if (t == NULL) {
		if (b->n_tx == DP_MAX_PEERS)
			return -ENOSPC;
		struct dmm_encap *e = dp_bpf_encap_load(&d->cfg.self, &r->locator, &err);
		if (e == NULL) {
			dp_logf(d, DMM_LOG_WARN, "cannot load an encap program: %s", strerror(-err));
			return err;
		}
		t = &b->tx[b->n_tx++];
		*t = (struct dp_bpf_tx){ r->locator, e, 0 };
	}
	t->refs++;
	dp_bpf_put_lwt(nlh, bpf_program__fd(t->skel->progs.dmm_encap));
	return 0;
}

/* The last route to a locator is gone: its program goes too (a route
 * being replaced holds the kernel's own reference until it is). */
static void dp_bpf_tunnel_put(struct dp *d, const struct dp_route *r)
{
	struct dp_bpf *b = d->drv_state;
	struct dp_bpf_tx *t;

	if (b && r->xlate.len) {
		dp_bpf_xref(bpf_map__fd(b->xlate->maps.xlate_out), &r->dst, &r->xlate, false);
		return;
	}
	t = b ? dp_bpf_tx_find(b, &r->locator) : NULL;
	if (t == NULL || --t->refs > 0)
		return;
	dmm_encap__destroy(t->skel);
	*t = b->tx[--b->n_tx];
}

/* ---- counters ---- */

static struct dmm_bpf_cnt dp_bpf_sum(const struct dp_bpf *b, int map_fd, uint32_t slot)
{
	struct dmm_bpf_cnt total = { 0, 0 }, v[b->ncpu > 0 ? b->ncpu : 1];

	if (bpf_map_lookup_elem(map_fd, &slot, v) == 0) {
		for (int i = 0; i < b->ncpu; i++) {
			total.packets += v[i].packets;
			total.bytes += v[i].bytes;
		}
	}
	return total;
}

static void dp_bpf_put_peer(struct dp_peer_stats *v, unsigned max, unsigned n,
			    const struct in6_addr *a, struct dmm_bpf_cnt rx, struct dmm_bpf_cnt tx)
{
	if (n < max)
		v[n] = (struct dp_peer_stats){ *a, rx.packets, rx.bytes, tx.packets, tx.bytes };
}

/* The configured peers, then end points that are none of them, then
 * (with no peers configured) what came from anyone, as ::. */
static int dp_bpf_peer_stats(struct dp *d, struct dp_peer_stats *v, unsigned max)
{
	struct dp_bpf *b = d->drv_state;
	struct dmm_bpf_cnt none = { 0, 0 };
	unsigned n = 0;

	if (b == NULL || b->decap == NULL)
		return 0;
	int rx_fd = bpf_map__fd(b->decap->maps.rx_cnt);
	for (unsigned i = 0; i < d->cfg.n_peers; i++, n++) {
		struct dp_bpf_tx *t = dp_bpf_tx_find(b, &d->cfg.peers[i]);
		struct dmm_bpf_cnt tx = t ? dp_bpf_sum(b, bpf_map__fd(t->skel->maps.tx_cnt),
						       DMM_BPF_TX_OK) : none;
		dp_bpf_put_peer(v, max, n, &d->cfg.peers[i], dp_bpf_sum(b, rx_fd, i), tx);
	}
	for (unsigned i = 0; i < b->n_tx; i++) {
		if (d->cfg.n_peers && dp_peer_ok(d, &b->tx[i].locator))
			continue;
		dp_bpf_put_peer(v, max, n++, &b->tx[i].locator, none,
				dp_bpf_sum(b, bpf_map__fd(b->tx[i].skel->maps.tx_cnt),
					   DMM_BPF_TX_OK));
	}
	struct dmm_bpf_cnt other = dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_OTHER);
	if (other.packets) {
		struct in6_addr any = IN6ADDR_ANY_INIT;
		dp_bpf_put_peer(v, max, n++, &any, other, none);
	}
	return (int)n;
}

static void dp_bpf_stats(const struct dp *d, struct dp_stats *s)
{
	const struct dp_bpf *b = d->drv_state;

	if (b == NULL || b->decap == NULL)
		return;
	int rx_fd = bpf_map__fd(b->decap->maps.rx_cnt);
	for (uint32_t i = 0; i < d->cfg.n_peers; i++)
		s->decap_packets += dp_bpf_sum(b, rx_fd, i).packets;
	s->decap_packets += dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_OTHER).packets;
	s->decap_rejected += dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_REFUSED).packets;
	s->decap_errors += dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_ERROR).packets;
	for (unsigned i = 0; i < b->n_tx; i++) {
		int fd = bpf_map__fd(b->tx[i].skel->maps.tx_cnt);
		s->encap_packets += dp_bpf_sum(b, fd, DMM_BPF_TX_OK).packets;
		s->encap_errors += dp_bpf_sum(b, fd, DMM_BPF_TX_ERROR).packets;
	}
	s->xlate_in += dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_XLATE_IN).packets;
	s->xlate_errors += dp_bpf_sum(b, rx_fd, DMM_BPF_SLOT_XLATE_ERR).packets;
	if (b->xlate != NULL) {
		int fd = bpf_map__fd(b->xlate->maps.xtx_cnt);
		s->xlate_out += dp_bpf_sum(b, fd, DMM_BPF_TX_OK).packets;
		s->xlate_errors += dp_bpf_sum(b, fd, DMM_BPF_TX_ERROR).packets;
	}
}

const struct dp_driver_ops dp_bpf_ops = {
	.kind = DP_DRIVER_BPF,
	.kconfig = "CONFIG_BPF_SYSCALL, CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF",
	.probe = dp_bpf_probe,
	.open = dp_bpf_open,
	.close = dp_bpf_close,
	.tunnel_attrs = dp_bpf_tunnel_attrs,
	.tunnel_put = dp_bpf_tunnel_put,
	.core_link = dp_bpf_core_link,
	.peer_stats = dp_bpf_peer_stats,
	.stats = dp_bpf_stats,
	.locator = dp_bpf_locator,
};
