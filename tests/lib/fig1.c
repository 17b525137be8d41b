/* Figure 1 of the draft on the virtual network: see fig1.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fig1.h"

struct fig1_node {
	const char *name;
	const char *addr;
	unsigned roles;
	int net;
};

static const struct fig1_node fig1_nodes[] = {
	{ "LMHAA1", "2001:db8:0:1::1", DMM_ROLE_LM | DMM_ROLE_HAA, 0 },
	{ "MR11", "2001:db8:0:1::11", DMM_ROLE_MR, 0 },
	{ "MR12", "2001:db8:0:1::12", DMM_ROLE_MR, 0 },
	{ "LMHAA2", "2001:db8:0:2::1", DMM_ROLE_LM | DMM_ROLE_HAA, 1 },
	{ "MR2", "2001:db8:0:2::2", DMM_ROLE_MR, 1 },
	{ "MRGW", "2001:db8:0:2::99", DMM_ROLE_MR, 1 },
	{ "LM3", "2001:db8:0:3::1", DMM_ROLE_LM, 2 },
	{ "HAA3", "2001:db8:0:3::2", DMM_ROLE_HAA, 2 },
	{ "MR31", "2001:db8:0:3::31", DMM_ROLE_MR, 2 },
	{ "MR32", "2001:db8:0:3::32", DMM_ROLE_MR, 2 },
};

static const struct {
	const char *mr;
	const char *range;
	int net;
} fig1_pools[] = {
	{ "MR11", "2001:db8:11::/48", 0 },
	{ "MR12", "2001:db8:12::/48", 0 },
	{ "MR2", "2001:db8:20::/48", 1 },
	{ "MR31", "2001:db8:31::/48", 2 },
	{ "MR32", "2001:db8:32::/48", 2 },
};

static const struct fig1_node *node_def(const char *name)
{
	for (size_t i = 0; i < sizeof(fig1_nodes) / sizeof(fig1_nodes[0]); i++)
		if (strcmp(fig1_nodes[i].name, name) == 0)
			return &fig1_nodes[i];
	fprintf(stderr, "fig1: no node %s\n", name);
	abort();
}

void fig1_defaults(struct fig1_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ro_mode = DMM_RO_QUERY;
	o->hold_packets = true;
	o->lm_update_on_attach = true;
	o->seed = 1;
}

void fig1_timers(struct dmm_timers *t)
{
	*t = (struct dmm_timers){
		.retrans_initial_ms = 200,
		.retrans_max_ms = 1600,
		.retrans_count = 3,
		.ts_window_ms = 5000,
		.lease_lifetime_s = 3600,
		.binding_lifetime_s = 600,
		.cache_lifetime_s = 60,
		.handover_ctx_ms = 3000,
		.hold_ms = 2000,
		.deprecated_keep_s = 120,
		.ra_lifetime_s = 1800,
	};
}

void fig1_keyring(struct dmm_keyring *kr)
{
	uint8_t key[DMM_KEY_LEN];

	memset(kr, 0, sizeof(*kr));
	for (unsigned i = 0; i < DMM_KEY_LEN; i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 7));
	if (dmm_keyring_add(kr, FIG1_KEY_ID, key) != 0)
		abort();
	kr->active = FIG1_KEY_ID;
}

static void fill_nets(struct dmm_config *c)
{
	static const char *const names[] = { "net1", "net2", "net3" };
	static const char *const ranges[] = { "2001:db8:10::/44", "2001:db8:20::/44",
					      "2001:db8:30::/44" };
	static const char *const lm[] = { "LMHAA1", "LMHAA2", "LM3" };
	static const char *const haa[] = { "LMHAA1", "LMHAA2", "HAA3" };

	c->n_nets = 3;
	for (unsigned i = 0; i < 3; i++) {
		struct dmm_network *net = &c->nets[i];
		snprintf(net->name, sizeof(net->name), "%s", names[i]);
		net->n_prefixes = 1;
		net->prefixes[0] = vnet_p6(ranges[i]);
		net->lm = vnet_a6(node_def(lm[i])->addr);
		net->haa = vnet_a6(node_def(haa[i])->addr);
	}
}

/* HAAs carve their own network's pools; MRs know them too (the pools tell an
 * MR which ranges are anchored at itself). */
static void fill_pools(struct dmm_config *c, int net)
{
	c->n_pools = 0;
	for (size_t i = 0; i < sizeof(fig1_pools) / sizeof(fig1_pools[0]); i++) {
		if (fig1_pools[i].net != net)
			continue;
		c->pools[c->n_pools++] = (struct dmm_pool){
			.range = vnet_p6(fig1_pools[i].range),
			.plen = 64,
			.mr = vnet_a6(node_def(fig1_pools[i].mr)->addr),
			.mode = DMM_POOL_STATEFUL,
		};
	}
}

void fig1_config(const struct fig1_opts *o, const char *name, struct dmm_config *c)
{
	const struct fig1_node *d = node_def(name);

	dmm_config_defaults(c);
	c->roles = d->roles;
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	c->self = vnet_a6(d->addr);
	c->local_net = d->net;
	fill_nets(c);
	fill_pools(c, d->net);
	c->ro_mode = o->ro_mode;
	c->lm_update_on_attach = o->lm_update_on_attach;
	c->new_hoa_on_arrival = o->new_hoa_on_arrival;
	c->hold_packets = o->hold_packets;
	if (strcmp(name, "MRGW") == 0) {
		c->n_fixed = 1;
		c->fixed[0] = vnet_p6(FIG1_SERVER_PREFIX);
	}
	fig1_timers(&c->timers);
	fig1_keyring(&c->keys);
	if (o->tweak)
		o->tweak(c, o->ctx);
}

static void cfg_err(void *ctx, const char *msg)
{
	fprintf(stderr, "fig1: %s: %s\n", (const char *)ctx, msg);
}

struct vnet *fig1_build(const struct fig1_opts *o)
{
	struct dmm_keyring kr;
	struct vnet *vn;
	struct dmm_prefix server = vnet_p6(FIG1_SERVER_PREFIX);

	fig1_keyring(&kr);
	vn = vnet_new(o->seed, &kr);
	for (size_t i = 0; i < sizeof(fig1_nodes) / sizeof(fig1_nodes[0]); i++) {
		struct dmm_config c;
		int rc;

		fig1_config(o, fig1_nodes[i].name, &c);
		rc = vnet_add_node(vn, &c);
		if (rc < 0) {
			dmm_config_check(&c, cfg_err, (void *)fig1_nodes[i].name);
			fprintf(stderr, "fig1: node %s: %s\n", fig1_nodes[i].name,
				dmm_strerror(rc));
			abort();
		}
	}
	for (size_t i = 0; i < sizeof(fig1_pools) / sizeof(fig1_pools[0]); i++) {
		struct dmm_prefix p = vnet_p6(fig1_pools[i].range);
		vnet_add_anchor(vn, &p, vnet_find(vn, fig1_pools[i].mr), false);
	}
	vnet_add_anchor(vn, &server, vnet_find(vn, "MRGW"), true);
	vnet_run_for(vn, 1000);
	return vn;
}

int fig1_attach(struct vnet *vn, const char *mr, unsigned mn)
{
	struct dmm_mnid id = vnet_mnid(mn);
	int rc = vnet_attach(vn, mr, mn, &id);

	vnet_run_for(vn, 500);
	return rc;
}

int fig1_detach(struct vnet *vn, const char *mr, unsigned mn)
{
	int rc = vnet_detach(vn, mr, mn);

	vnet_run_for(vn, 500);
	return rc;
}

void fig1_move(struct vnet *vn, const char *from, const char *to, unsigned mn,
	       dmm_time_t gap_ms)
{
	struct dmm_mnid id = vnet_mnid(mn);

	vnet_detach(vn, from, mn);
	vnet_run_for(vn, gap_ms);
	vnet_attach(vn, to, mn, &id);
	vnet_run_for(vn, 500);
}

struct in6_addr fig1_addr(const char *prefix, unsigned host)
{
	struct dmm_prefix p = vnet_p6(prefix);

	return vnet_host(&p, host);
}
