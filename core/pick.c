/* dmm core: the choice among several LMs or HAAs of one local network
 * (draft §3.2) and the failover to the next one. pick.h, PROCEDURES.md. */
#include <string.h>

#include "node_priv.h"
#include "pick.h"

static bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return dmm_addr_eq(a, b);
}

/* The ranking key of a request: its MN id, else its first prefix, else
 * the /64 of the address it looks up. Every MR derives the same key for
 * the same MN, so all of them ask the same LM while it answers. */
static size_t pick_key(const struct dmm_msg *m, uint8_t key[1 + DMM_MNID_MAX])
{
	if ((m->present & DMM_P_MNID) && m->mnid.len > 0 && m->mnid.len <= DMM_MNID_MAX) {
		key[0] = m->mnid.type;
		memcpy(key + 1, m->mnid.id, m->mnid.len);
		return 1 + (size_t)m->mnid.len;
	}
	if ((m->present & DMM_P_HNP) && m->n_hnp > 0) {
		struct dmm_prefix p = m->hnp[0];
		dmm_prefix_mask(&p);
		memcpy(key, p.addr.s6_addr, 16);
		key[16] = p.len;
		return 17;
	}
	if (m->present & DMM_P_TARGET) {
		memcpy(key, m->target.s6_addr, 8);
		return 8;
	}
	return 0;
}

/* a's record; with add, a new one in a free slot, else in the slot of a
 * peer that is up (its failover count is lost), else none: a request
 * still moves on, only the stickiness is missing. */
static struct dmm_pick_peer *peer_find(struct dmm_node *n, const struct in6_addr *a, bool add,
				       dmm_time_t now)
{
	struct dmm_pick_peer *free_slot = NULL, *up = NULL;

	for (unsigned i = 0; i < DMM_PICK_SLOTS; i++) {
		struct dmm_pick_peer *p = &n->pick[i];
		if (addr_eq(&p->addr, a))
			return p;
		if (free_slot == NULL && IN6_IS_ADDR_UNSPECIFIED(&p->addr))
			free_slot = p;
		if (up == NULL && p->down_until <= now)
			up = p;
	}
	if (free_slot == NULL)
		free_slot = up;
	if (!add || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->addr = *a;
	return free_slot;
}

static bool peer_down(struct dmm_node *n, const struct in6_addr *a, dmm_time_t now)
{
	struct dmm_pick_peer *p = peer_find(n, a, false, now);

	return p != NULL && p->down_until > now;
}

/* The candidates of network net (LMs or HAAs), ranked for m's key. */
static unsigned ranked(const struct dmm_node *n, int net, bool lm, const struct dmm_msg *m,
		       const struct in6_addr *out[DMM_MAX_NET_LMS])
{
	const struct dmm_network *nw = &n->cfg.nets[net];
	const struct in6_addr *cand[DMM_MAX_NET_LMS];
	unsigned k = lm ? dmm_net_n_lms(nw) : dmm_net_n_haas(nw), order[DMM_MAX_NET_LMS];
	uint8_t key[1 + DMM_MNID_MAX];
	size_t len = pick_key(m, key);

	for (unsigned i = 0; i < k; i++)
		cand[i] = lm ? dmm_net_lm(nw, i) : dmm_net_haa(nw, i);
	dmm_rank(cand, k, key, len, order);
	for (unsigned i = 0; i < k; i++)
		out[i] = cand[order[i]];
	return k;
}

const struct in6_addr *dmm_pick(struct dmm_node *n, int net, bool lm, const struct dmm_msg *m,
				dmm_time_t now)
{
	const struct in6_addr *r[DMM_MAX_NET_LMS];
	unsigned k;

	if (net < 0 || (unsigned)net >= n->cfg.n_nets)
		net = n->cfg.local_net;
	if ((lm ? dmm_net_n_lms(&n->cfg.nets[net]) : dmm_net_n_haas(&n->cfg.nets[net])) == 1)
		return lm ? &n->cfg.nets[net].lm : &n->cfg.nets[net].haa;
	k = ranked(n, net, lm, m, r);
	for (unsigned i = 0; i < k; i++)
		if (!peer_down(n, r[i], now))
			return r[i];
	return r[0]; /* all down: the preferred one, it may be back */
}

/* Requests that may go to any LM (HAA) of a network. A replica or a
 * sibling's sync is for one LM, a context request for one MR. */
static bool movable(const struct dmm_msg *m)
{
	switch (m->type) {
	case DMM_MSG_LOC_UPDATE:
	case DMM_MSG_LOC_QUERY:
	case DMM_MSG_HOA_REQ:
		return true;
	case DMM_MSG_LM_FWD:
		return !(m->flags & DMM_F_REPLICA);
	default:
		return false;
	}
}

bool dmm_pick_next(struct dmm_node *n, const struct in6_addr *dst, const struct dmm_msg *m,
		   bool timed_out, dmm_time_t now, struct in6_addr *next)
{
	bool lm = m->type != DMM_MSG_HOA_REQ;
	const struct in6_addr *r[DMM_MAX_NET_LMS];
	int net = -1;
	unsigned k, at;

	if (!movable(m))
		return false;
	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS && net < 0; i++)
		if (lm ? dmm_net_has_lm(&n->cfg.nets[i], dst) : dmm_net_has_haa(&n->cfg.nets[i], dst))
			net = (int)i;
	if (net < 0 || (lm ? dmm_net_n_lms(&n->cfg.nets[net]) :
			     dmm_net_n_haas(&n->cfg.nets[net])) < 2)
		return false;
	if (timed_out) {
		struct dmm_pick_peer *p = peer_find(n, dst, true, now);
		if (p != NULL) {
			p->down_until = now + DMM_PICK_DOWN_MS;
			p->failovers++;
		}
	}
	k = ranked(n, net, lm, m, r);
	for (at = 0; at < k && !addr_eq(r[at], dst); at++)
		;
	/* after dst in rank order: the first one up, else the first one */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = at + 1; i < k; i++) {
			if (addr_eq(r[i], &n->cfg.self)) /* an LM does not forward to itself */
				continue;
			if (pass == 0 && peer_down(n, r[i], now))
				continue;
			*next = *r[i];
			if (timed_out)
				dmm_count(n, DMM_C_FAILOVER);
			return true;
		}
	return false;
}

bool dmm_pick_sibling_down(struct dmm_node *n, const struct in6_addr *dst,
			   const struct dmm_msg *m, dmm_time_t now)
{
	bool lm = m->type != DMM_MSG_HOA_REQ;

	for (unsigned i = 0; i < n->cfg.n_nets && i < DMM_MAX_NETS; i++) {
		const struct dmm_network *nw = &n->cfg.nets[i];
		unsigned k = lm ? dmm_net_n_lms(nw) : dmm_net_n_haas(nw);
		if (!(lm ? dmm_net_has_lm(nw, dst) : dmm_net_has_haa(nw, dst)))
			continue;
		for (unsigned j = 0; j < k; j++) {
			const struct in6_addr *a = lm ? dmm_net_lm(nw, j) : dmm_net_haa(nw, j);
			if (!addr_eq(a, dst) && peer_down(n, a, now))
				return true;
		}
		return false;
	}
	return false;
}

void dmm_pick_up(struct dmm_node *n, const struct in6_addr *a)
{
	struct dmm_pick_peer *p = peer_find(n, a, false, 0);

	if (p != NULL)
		p->down_until = 0;
}

int dmm_node_peer_health(const struct dmm_node *n, const struct in6_addr *a,
			 dmm_time_t *down_until, uint32_t *failovers)
{
	for (unsigned i = 0; i < DMM_PICK_SLOTS; i++)
		if (addr_eq(&n->pick[i].addr, a)) {
			*down_until = n->pick[i].down_until;
			*failovers = n->pick[i].failovers;
			return 0;
		}
	return DMM_E_NOTFOUND;
}
