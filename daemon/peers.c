/* dmmd: the peers of a node, as `dmmctl show peers` (control.c) and the
 * metrics' dmm_peer_* families (metrics.c) both list them: one list, so
 * that the two cannot disagree on who is a peer, in which order, or what
 * roles it has. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dmmd.h"

/* Append a to rows unless it is this node or already there. */
static void peers_add(const struct dmm_config *c, struct dmmd_peer_row *rows, unsigned *n,
		      unsigned max, const struct in6_addr *a)
{
	if (!memcmp(a, &c->self, sizeof(*a)) || *n >= max)
		return;
	for (unsigned k = 0; k < *n; k++)
		if (!memcmp(&rows[k].addr, a, sizeof(*a)))
			return;
	rows[(*n)++] = (struct dmmd_peer_row){ .addr = *a };
}

/* The domain map's nodes: each network's LMs, HAAs and MRs, in the order
 * of the file, then the pools' anchor MRs. */
static void peers_add_map(const struct dmm_config *c, struct dmmd_peer_row *rows, unsigned *n,
			  unsigned max)
{
	for (unsigned i = 0; i < c->n_nets; i++) {
		const struct dmm_network *net = &c->nets[i];
		for (unsigned j = 0; j < dmm_net_n_lms(net); j++)
			peers_add(c, rows, n, max, dmm_net_lm(net, j));
		for (unsigned j = 0; j < dmm_net_n_haas(net); j++)
			peers_add(c, rows, n, max, dmm_net_haa(net, j));
		for (unsigned j = 0; j < net->n_mrs; j++)
			peers_add(c, rows, n, max, &net->mrs[j]);
	}
	for (unsigned i = 0; i < c->n_pools; i++)
		peers_add(c, rows, n, max, &c->pools[i].mr);
}

unsigned peers_list(struct dmmd *d, const struct dp_peer_stats *tun, unsigned n_tun,
		    struct dmmd_peer_row *rows, unsigned max)
{
	const struct dmm_config *c = &d->conf.core;
	unsigned n = 0;

	peers_add_map(c, rows, &n, max);
	for (unsigned i = 0; i < DMMD_MAX_PEERS; i++)
		if (d->peers[i].used)
			peers_add(c, rows, &n, max, &d->peers[i].addr);
	for (unsigned i = 0; i < n_tun; i++)
		peers_add(c, rows, &n, max, &tun[i].addr);
	for (unsigned i = 0; i < n; i++) {
		rows[i].sig = sock_peer(d, &rows[i].addr, false);
		for (unsigned k = 0; k < n_tun && !rows[i].tun; k++)
			if (!memcmp(&tun[k].addr, &rows[i].addr, sizeof(rows[i].addr)))
				rows[i].tun = &tun[k];
	}
	return n;
}

unsigned peers_roles(const struct dmm_config *c, const struct in6_addr *a,
		     char r[][PEER_ROLE_LEN], unsigned max)
{
	unsigned n = 0;
	bool pool_mr = false, listed = false;

	for (unsigned i = 0; i < c->n_nets; i++) {
		const struct dmm_network *net = &c->nets[i];
		bool mr = false;
		if (dmm_net_has_lm(net, a) && n < max)
			snprintf(r[n++], PEER_ROLE_LEN, "lm:%s", net->name);
		if (dmm_net_has_haa(net, a) && n < max)
			snprintf(r[n++], PEER_ROLE_LEN, "haa:%s", net->name);
		for (unsigned j = 0; j < net->n_mrs; j++)
			mr |= !memcmp(&net->mrs[j], a, sizeof(*a));
		if (mr && n < max)
			snprintf(r[n++], PEER_ROLE_LEN, "mr:%s", net->name);
		listed |= mr;
	}
	for (unsigned i = 0; i < c->n_pools; i++)
		pool_mr |= !memcmp(&c->pools[i].mr, a, sizeof(*a));
	if (pool_mr && !listed && n < max)
		snprintf(r[n++], PEER_ROLE_LEN, "mr");
	return n;
}
