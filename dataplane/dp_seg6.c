/* The seg6 driver: TUNNEL routes are seg6 encap.red routes with one segment
 * (plain IPv6-in-IPv6 on the wire, no SRH), self/128 is decapsulated by a
 * seg6local End.DX6 route. That route must be looked up before the local
 * table (self is a local address), so the decap rules — one per peer,
 * "from peer to self ipproto 41", at rule_pref — come first and the
 * kernel's pref 0 "lookup local" rule moves to rule_pref + 1. The outer
 * source is pinned with the seg6 genetlink family (`ip sr tunsrc`).
 * No per-peer counters (End.DX6 counts only its total: `ip -6 route show
 * table 4242`). Needs CONFIG_IPV6_SEG6_LWTUNNEL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <linux/seg6.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>

#include "dp_priv.h"

struct dp_seg6 {
	bool decap_set, rules_set, local_moved, tunsrc_set;
};

/* self/128 seg6local End.DX6 nh6 :: (with counters), in table at metric;
 * also the probe (at another metric, removed at once). */
static int dp_seg6_decap_route(struct dp *d, bool add, uint32_t metric)
{
	uint8_t buf[512];
	struct dmm_prefix self = { d->cfg.self, 128 };
	struct in6_addr any = IN6ADDR_ANY_INIT;

	if (!add)
		return dp_route_del_msg(d, &self, NULL, metric);
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
					&self, NULL, RTN_UNICAST, metric);
	mnl_attr_put_u32(nlh, RTA_OIF, d->tun_ifindex);
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL);
	struct nlattr *nest = dp_nest(nlh, RTA_ENCAP);
	mnl_attr_put_u32(nlh, SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END_DX6);
	mnl_attr_put(nlh, SEG6_LOCAL_NH6, 16, &any);
	struct nlattr *cnt = dp_nest(nlh, SEG6_LOCAL_COUNTERS); /* `count`: all three */
	mnl_attr_put_u64(nlh, SEG6_LOCAL_CNT_PACKETS, 0);
	mnl_attr_put_u64(nlh, SEG6_LOCAL_CNT_BYTES, 0);
	mnl_attr_put_u64(nlh, SEG6_LOCAL_CNT_ERRORS, 0);
	mnl_attr_nest_end(nlh, cnt);
	mnl_attr_nest_end(nlh, nest);
	return dp_route_add_request(d, nlh);
}

static int dp_seg6_tunnel_attrs(struct dp *d, struct nlmsghdr *nlh, const struct dp_route *r);

/* An encap.red route to self (mode encap.red exists since Linux 6.0). */
static int dp_seg6_probe_encap(struct dp *d)
{
	uint8_t buf[512];
	struct dp_route r = { .kind = DP_R_TUNNEL, .dst = { d->cfg.self, 128 },
			      .locator = d->cfg.self };
	struct nlmsghdr *nlh = dp_rtmsg(d, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
					&r.dst, NULL, RTN_UNICAST, DP_METRIC_PROBE + 1);

	mnl_attr_put_u32(nlh, RTA_OIF, d->tun_ifindex);
	dp_seg6_tunnel_attrs(d, nlh, &r);
	int err = dp_nl_request(d, nlh);
	if (err == 0)
		dp_route_del_msg(d, &r.dst, NULL, DP_METRIC_PROBE + 1);
	return err;
}

/* Add, then remove, an End.DX6 route and an encap.red route at metrics dp
 * never uses otherwise. */
static int dp_seg6_probe(struct dp *d, char *why, size_t len)
{
	const char *what = "seg6local routes";
	int err = dp_seg6_decap_route(d, true, DP_METRIC_PROBE);

	if (err == 0) {
		dp_seg6_decap_route(d, false, DP_METRIC_PROBE);
		what = "seg6 encap.red routes (Linux >= 6.0)";
		if ((err = dp_seg6_probe_encap(d)) == 0)
			return 0;
	}
	snprintf(why, len, "%s: %s%s%s (CONFIG_IPV6_SEG6_LWTUNNEL)", what, strerror(-err),
		 d->nl_errmsg[0] ? ": " : "", d->nl_errmsg);
	d->nl_errmsg[0] = '\0';
	return err;
}

/* One decap rule per peer (any source without peers). */
static int dp_seg6_rules(struct dp *d, uint16_t type)
{
	int err = 0;

	if (d->cfg.n_peers == 0)
		return dp_rule_msg(d, type, d->cfg.rule_pref, d->cfg.table, d->cfg.protocol, true,
				   NULL);
	for (unsigned i = 0; i < d->cfg.n_peers && err == 0; i++)
		err = dp_rule_msg(d, type, d->cfg.rule_pref, d->cfg.table, d->cfg.protocol, true,
				  &d->cfg.peers[i]);
	return err;
}

static int dp_seg6_open(struct dp *d)
{
	struct dp_seg6 *s = calloc(1, sizeof(*s));
	uint32_t p = d->cfg.rule_pref;
	int err;

	if ((d->drv_state = s) == NULL)
		return -ENOMEM;
	if ((err = dp_seg6_decap_route(d, true, DP_METRIC)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "cannot add the seg6local End.DX6 route: %s (%s)",
			strerror(-err), d->nl_errmsg);
		return err;
	}
	s->decap_set = s->rules_set = true;
	if ((err = dp_seg6_rules(d, RTM_NEWRULE)) < 0 ||
	    (err = dp_rule_msg(d, RTM_NEWRULE, p + 1, DP_TABLE_LOCAL, d->cfg.protocol, false,
			       NULL)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "cannot install the decap rules: %s%s", strerror(-err),
			err == -EINVAL ? " (ipproto rules need Linux >= 4.17)" : "");
		return err;
	}
	s->local_moved = true;
	if ((err = dp_rule_msg(d, RTM_DELRULE, 0, DP_TABLE_LOCAL, RTPROT_KERNEL, false, NULL)) < 0)
		return err;
	if ((err = dp_nl_set_tunsrc(d, &d->cfg.self)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "cannot set the seg6 tunnel source: %s", strerror(-err));
		return err;
	}
	s->tunsrc_set = true;
	return 0;
}

/* Put the kernel's pref 0 local rule back first, so local delivery never
 * has a gap, then remove ours. */
static void dp_seg6_close(struct dp *d)
{
	struct dp_seg6 *s = d->drv_state;
	struct in6_addr any = IN6ADDR_ANY_INIT;

	if (s == NULL)
		return;
	if (s->local_moved) {
		dp_rule_msg(d, RTM_NEWRULE, 0, DP_TABLE_LOCAL, RTPROT_KERNEL, false, NULL);
		dp_rule_msg(d, RTM_DELRULE, d->cfg.rule_pref + 1, DP_TABLE_LOCAL, d->cfg.protocol,
			    false, NULL);
	}
	if (s->rules_set)
		dp_seg6_rules(d, RTM_DELRULE);
	if (s->decap_set)
		dp_seg6_decap_route(d, false, DP_METRIC);
	if (s->tunsrc_set)
		dp_nl_set_tunsrc(d, &any);
	free(s);
	d->drv_state = NULL;
}

/* encap.red with one segment: plain IPv6-in-IPv6 to the locator. */
static int dp_seg6_tunnel_attrs(struct dp *d, struct nlmsghdr *nlh, const struct dp_route *r)
{
	uint8_t raw[sizeof(struct seg6_iptunnel_encap) + sizeof(struct ipv6_sr_hdr) + 16];
	struct seg6_iptunnel_encap *e = (struct seg6_iptunnel_encap *)raw;

	memset(raw, 0, sizeof(raw));
	e->mode = SEG6_IPTUN_MODE_ENCAP_RED;
	e->srh->hdrlen = 2; /* 8-byte units after the first 8: one segment */
	e->srh->type = 4;   /* Segment Routing Header */
	e->srh->segments_left = 0;
	e->srh->first_segment = 0;
	memcpy(&e->srh->segments[0], &r->locator, 16);
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6);
	struct nlattr *nest = dp_nest(nlh, RTA_ENCAP);
	mnl_attr_put(nlh, SEG6_IPTUNNEL_SRH, sizeof(raw), raw);
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

const struct dp_driver_ops dp_seg6_ops = {
	.kind = DP_DRIVER_SEG6,
	.kconfig = "CONFIG_IPV6_SEG6_LWTUNNEL",
	.probe = dp_seg6_probe,
	.open = dp_seg6_open,
	.close = dp_seg6_close,
	.tunnel_attrs = dp_seg6_tunnel_attrs,
};
