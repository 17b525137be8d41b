/* Driver selection: a named driver is probed and refused with the kernel
 * option it misses; auto takes the first of dp_auto_order the kernel runs.
 *
 * The order: bpf first — it delivers Packet Too Big to the MN (seg6 drops
 * an over-size packet silently) and counts per peer; its throughput is
 * plain routing's (docs/BENCHMARKS.md "Data plane": 99.9 %), as seg6's was
 * on a kernel that had it (PLATFORM.md, another run: no side-by-side
 * bpf/seg6 measurement exists yet) — then seg6, then tun (user space: about
 * a quarter of plain routing, but any kernel). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "dp_priv.h"

static const char *const dp_driver_names[DP_DRIVER_COUNT] = {
	[DP_DRIVER_AUTO] = "auto", [DP_DRIVER_SEG6] = "seg6",
	[DP_DRIVER_BPF] = "bpf",   [DP_DRIVER_TUN] = "tun",
};

static const struct dp_driver_ops *const dp_auto_order[] = {
	&dp_bpf_ops, &dp_seg6_ops, &dp_utun_ops,
};

const char *dp_driver_name(enum dp_driver_kind k)
{
	return k < DP_DRIVER_COUNT ? dp_driver_names[k] : "?";
}

int dp_driver_parse(const char *s)
{
	for (int k = 0; k < DP_DRIVER_COUNT; k++)
		if (strcmp(s, dp_driver_names[k]) == 0)
			return k;
	return -1;
}

static const struct dp_driver_ops *dp_ops_of(enum dp_driver_kind k)
{
	for (size_t i = 0; i < sizeof(dp_auto_order) / sizeof(dp_auto_order[0]); i++)
		if (dp_auto_order[i]->kind == k)
			return dp_auto_order[i];
	return NULL;
}

int dp_driver_select(struct dp *d)
{
	char why[160];
	const struct dp_driver_ops *o = dp_ops_of(d->cfg.driver);
	int err;

	if (o) {
		if ((err = o->probe(d, why, sizeof(why))) < 0) {
			dp_logf(d, DMM_LOG_ERR, "data plane %s cannot run on this kernel (%s): "
				"it needs %s; use 'dataplane auto' or another driver",
				dp_driver_name(o->kind), why, o->kconfig);
			return err;
		}
		d->drv = o;
		snprintf(d->drv_why, sizeof(d->drv_why), "configured");
		return 0;
	}
	char skipped[sizeof(d->drv_why) - 8] = ""; /* "auto: " + it fits drv_why */
	for (size_t i = 0; i < sizeof(dp_auto_order) / sizeof(dp_auto_order[0]); i++) {
		o = dp_auto_order[i];
		if (o->probe(d, why, sizeof(why)) == 0) {
			d->drv = o;
			snprintf(d->drv_why, sizeof(d->drv_why), "auto: %s",
				 skipped[0] ? skipped : "the first choice");
			return 0;
		}
		size_t n = strlen(skipped);
		snprintf(skipped + n, sizeof(skipped) - n, "%s%s unavailable (%s)",
			 n ? ", " : "", dp_driver_name(o->kind), o->kconfig);
	}
	dp_logf(d, DMM_LOG_ERR, "no data-plane driver runs on this kernel: %s", skipped);
	return -EOPNOTSUPP;
}

/* Probe every driver (dmmd -P): fills ok[] and why[][] by kind. */
int dp_probe_all(const struct dp_config *cfg, bool ok[DP_DRIVER_COUNT],
		 char why[DP_DRIVER_COUNT][160])
{
	struct dp *d = calloc(1, sizeof(*d));
	int err;

	if (d == NULL)
		return -ENOMEM;
	d->cfg = *cfg;
	d->tun_fd = d->icmp_fd = d->frame_fd = -1;
	if ((d->nlbuf = malloc(DP_NLBUF)) == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = dp_nl_open(d)) < 0)
		goto out;
	/* A device of its own for the probe routes (lo may be down). */
	snprintf(d->cfg.tun_name, sizeof(d->cfg.tun_name), "dmmprobe%%d");
	if ((err = dp_tun_open(d)) < 0)
		d->tun_ifindex = 1; /* no TUN (no tun driver either): try lo */
	for (size_t i = 0; i < sizeof(dp_auto_order) / sizeof(dp_auto_order[0]); i++) {
		const struct dp_driver_ops *o = dp_auto_order[i];
		why[o->kind][0] = '\0';
		ok[o->kind] = o->probe(d, why[o->kind], sizeof(why[0])) == 0;
	}
	err = 0;
out:
	dp_tun_close(d);
	dp_nl_close(d);
	free(d->nlbuf);
	free(d);
	return err;
}

enum dp_driver_kind dp_driver(const struct dp *d, const char **why)
{
	if (why)
		*why = d->drv_why;
	return d->drv ? d->drv->kind : DP_DRIVER_AUTO;
}

bool dp_peer_ok(const struct dp *d, const struct in6_addr *a)
{
	if (d->cfg.n_peers == 0)
		return true;
	for (unsigned i = 0; i < d->cfg.n_peers; i++)
		if (memcmp(&d->cfg.peers[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

bool dp_is_core_link(const struct dp *d, uint32_t ifindex, const char *name)
{
	return ifindex != d->tun_ifindex && strcmp(name, "lo") != 0 &&
	       strcmp(name, d->cfg.tun_name) != 0 && !dp_access_match(d, name);
}

struct dp_core_scan {
	uint32_t ifindex[DP_MAX_LINKS];
	char name[DP_MAX_LINKS][IFNAMSIZ];
	unsigned n;
};

static int dp_core_scan_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_core_scan *s = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || s->n >= DP_MAX_LINKS)
		return MNL_CB_OK;
	bool ether = false;
	s->name[s->n][0] = '\0';
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(s->name[s->n], IFNAMSIZ, "%s", mnl_attr_get_str(a));
		if (mnl_attr_get_type(a) == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == 6)
			ether = true;
	}
	if (ether && s->name[s->n][0])
		s->ifindex[s->n++] = (uint32_t)ifi->ifi_index;
	return MNL_CB_OK;
}

int dp_core_links_scan(struct dp *d)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct dp_core_scan *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	ifi->ifi_family = AF_UNSPEC;
	int err = dp_nl_query(d, nlh, dp_core_scan_cb, s);
	for (unsigned i = 0; err == 0 && i < s->n; i++)
		if (dp_is_core_link(d, s->ifindex[i], s->name[i]))
			d->drv->core_link(d, s->ifindex[i], s->name[i], true);
	free(s);
	return err;
}

int dp_peer_stats(struct dp *d, struct dp_peer_stats *v, unsigned max)
{
	return d->drv && d->drv->peer_stats ? d->drv->peer_stats(d, v, max) : 0;
}
