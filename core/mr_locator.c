/* dmm core: per-host locators of an MR (draft 4.3, `routing locator`).
 *
 * Each MR owns a locator prefix L (/32 to /48) that regular routing brings
 * to it. An MN's /64 home prefix H attached here gets the per-host locator
 * P = L | index | w, a /64: the index (bits L.len to 47) tells apart
 * prefixes whose locators would otherwise collide, and the 16-bit word w
 * (bits 48-63) makes the one's-complement sum of P's four words equal to
 * H's. Rewriting H to P in a destination address (and back) then leaves
 * every transport checksum valid, whatever the transport (RFC 6296
 * section 3.1): no L4 parsing, no fix-up.
 *
 * A correspondent's MR that knows P (from the LM's answer, an LM_NOTIFY or
 * a REDIRECT) routes H with a TUNNEL op whose .xlate is P; the MR serving
 * the MN installs LOCATOR P -> H. */
#include <string.h>

#include "mr_priv.h"

/* (A scan of both tables: only in routing-locator mode, once per new
 * prefix; an index by locator would make it a lookup.) */
static bool phl_in_use(const struct dmm_node *n, const struct dmm_prefix *p)
{
	const struct dmm_mr *mr = n->mr;

	for (uint32_t i = 0; i < mr->mns.hi; i++) {
		const struct mr_mn *mn = dmm_tbl_peek(&mr->mns, i);
		for (unsigned j = 0; dmm_tbl_live(&mr->mns, i) && j < mn->n_hnp; j++)
			if (dmm_prefix_eq(&mn->hnp[j].phl, p))
				return true;
	}
	for (uint32_t i = 0; i < mr->hos.hi; i++) {
		const struct mr_ho *ho = dmm_tbl_peek(&mr->hos, i);
		for (unsigned j = 0; dmm_tbl_live(&mr->hos, i) && j < ho->n_hnp; j++)
			if (dmm_prefix_eq(&ho->hnp[j].phl, p))
				return true;
	}
	return false;
}

static uint32_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Candidate idx of locator prefix L for the /64 h. */
static struct dmm_prefix phl_make(const struct dmm_prefix *l, uint32_t idx,
				  const struct dmm_prefix *h)
{
	struct dmm_prefix p = { .len = 64 }, lm = *l;
	uint8_t *b = p.addr.s6_addr;
	uint32_t sh = 0, sl = 0, w;

	dmm_prefix_mask(&lm);
	memcpy(b, lm.addr.s6_addr, 6);
	/* the index in bits l->len .. 47 (host bits of L: zero in L) */
	b[4] |= (uint8_t)(idx >> 8);
	b[5] |= (uint8_t)idx;
	for (int i = 0; i < 8; i += 2)
		sh += (uint32_t)h->addr.s6_addr[i] << 8 | h->addr.s6_addr[i + 1];
	for (int i = 0; i < 6; i += 2)
		sl += (uint32_t)b[i] << 8 | b[i + 1];
	/* w = sum(h) - sum(l0..l2) in one's complement */
	w = fold(fold(sh) + (~fold(sl) & 0xffff));
	if (w == 0xffff)
		w = 0; /* the same number; RFC 6296 prefers 0 */
	b[6] = (uint8_t)(w >> 8);
	b[7] = (uint8_t)w;
	return p;
}

struct dmm_prefix mr_phl_assign(struct dmm_node *n, const struct dmm_prefix *hnp)
{
	const struct dmm_prefix *l = &n->cfg.locator;
	struct dmm_prefix none = { .len = 0 }, p;
	uint32_t count;

	if (n->cfg.routing != DMM_ROUTING_LOCATOR || hnp->len != 64 || l->len < 32 ||
	    l->len > 48)
		return none;
	/* The MN is back while our handover context still has its locator:
	 * the same one again (correspondents may still use it). */
	struct dmm_pidx_it it;
	uint32_t slot;
	dmm_pidx_match(&n->mr->ho_pfx, &it, &hnp->addr, hnp->len, hnp->len);
	while (dmm_pidx_next(&n->mr->ho_pfx, &it, &slot, NULL)) {
		const struct mr_ho *ho = dmm_tbl_peek(&n->mr->hos, slot);
		for (unsigned j = 0; j < ho->n_hnp; j++)
			if (dmm_prefix_eq(&ho->hnp[j].p, hnp) && ho->hnp[j].phl.len)
				return ho->hnp[j].phl;
	}
	count = 1u << (48 - l->len);
	/* start from a hash of the prefix: equal sums of two prefixes seldom
	 * meet at the same index */
	uint32_t start = (uint32_t)dmm_hash_prefix(hnp) & (count - 1);
	for (uint32_t k = 0; k < count; k++) {
		p = phl_make(l, (start + k) & (count - 1), hnp);
		if (!phl_in_use(n, &p))
			return p;
	}
	dmm_log(n, DMM_LOG_WARN, "mr: no free per-host locator in our locator prefix: "
		"the mn's prefix is reached by tunnel");
	dmm_count(n, DMM_C_TABLE_FULL);
	return none;
}

bool mr_phl_sane(const struct dmm_node *n, const struct dmm_prefix *hnp,
		 const struct dmm_prefix *phl)
{
	const struct in6_addr *a = &phl->addr;

	if (phl->len != 64 || hnp->len != 64 || IN6_IS_ADDR_UNSPECIFIED(a) ||
	    IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	    IN6_IS_ADDR_V4MAPPED(a))
		return false;
	/* a locator is never a home address: that would loop through the map */
	return dmm_config_net_of(&n->cfg, a) < 0;
}

void mr_dp_tunnel(struct dmm_node *n, const struct dmm_prefix *p, const struct dmm_prefix *src,
		  const struct in6_addr *locator, const struct dmm_prefix *phl)
{
	struct dmm_dp_op op = { .kind = DMM_DP_TUNNEL_ADD, .prefix = *p, .locator = *locator };

	if (src)
		op.src = *src;
	if (n->cfg.routing == DMM_ROUTING_LOCATOR && phl && phl->len == 64 && p->len == 64 &&
	    mr_phl_sane(n, p, phl))
		op.xlate = *phl;
	dmm_dp(n, &op);
}

void mr_dp_locator(struct dmm_node *n, bool add, const struct dmm_prefix *phl,
		   const struct dmm_prefix *hnp)
{
	struct dmm_dp_op op = { .kind = add ? DMM_DP_LOCATOR_ADD : DMM_DP_LOCATOR_DEL,
				.prefix = *phl, .xlate = *hnp };

	if (phl->len)
		dmm_dp(n, &op);
}

/* An attached MN's prefix loses its locator route unless a handover
 * context (or another attachment) still uses the same locator. */
void mr_phl_release(struct dmm_node *n, const struct dmm_prefix *phl, const struct dmm_prefix *hnp)
{
	if (phl->len && !phl_in_use(n, phl))
		mr_dp_locator(n, false, phl, hnp);
}
