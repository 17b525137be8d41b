/* dmm core: MR handover contexts on the pMR side (P5, draft §4.4). The MN
 * left: its packets are held until the nMR's context transfer says where it
 * went, then they take the miss path, where sender discovery tunnels each
 * correspondent's packets to the nMR and redirects the correspondent's MR.
 * The context and every route it installed go away when it expires. */
#include <string.h>

#include "mr_priv.h"

static const char *const ho_state_names[] = {
	[DMM_HO_HOLDING] = "holding",
	[DMM_HO_FORWARDING] = "forwarding",
	[DMM_HO_DONE] = "done",
};

const char *dmm_ho_state_name(enum dmm_ho_state s)
{
	return (unsigned)s <= DMM_HO_DONE ? ho_state_names[s] : "?";
}

/* The only place a context changes state. */
static void ho_set_state(struct dmm_node *n, struct mr_ho *ho, enum dmm_ho_state s,
			 const char *why)
{
	char id[DMM_MNID_STRLEN];

	if (dmm_log_on(n, DMM_LOG_DEBUG)) /* its arguments are formatted first */
		dmm_log(n, DMM_LOG_DEBUG, "mr: handover of %s: %s -> %s (%s)",
			dmm_mnid_str(&ho->mnid, id, sizeof(id)), dmm_ho_state_name(ho->state),
			dmm_ho_state_name(s), why);
	ho->state = s;
}

uint64_t mr_ho_key(const void *e, unsigned h)
{
	(void)h;
	return ((const struct mr_ho *)e)->expires;
}

struct mr_ho *mr_ho_by_mnid(struct dmm_node *n, const struct dmm_mnid *id)
{
	uint32_t it = 0, s;

	while (dmm_hmap_next(&n->mr->ho_id, dmm_mnid_key(id), &it, &s)) {
		struct mr_ho *ho = dmm_tbl_at(&n->mr->hos, s);
		if (dmm_mnid_eq(&ho->mnid, id))
			return ho;
	}
	return NULL;
}

/* The context one of whose prefixes contains a (the longest). */
struct mr_ho *mr_ho_by_addr(struct dmm_node *n, const struct in6_addr *a)
{
	struct dmm_pidx_it it;
	uint32_t s;
	uint8_t len;

	dmm_pidx_match(&n->mr->ho_pfx, &it, a, 0, 128);
	while (dmm_pidx_next(&n->mr->ho_pfx, &it, &s, &len)) {
		struct mr_ho *ho = dmm_tbl_at(&n->mr->hos, s);
		for (unsigned j = 0; j < ho->n_hnp; j++)
			if (ho->hnp[j].p.len == len && dmm_prefix_contains(&ho->hnp[j].p, a))
				return ho;
	}
	return NULL;
}

/* A filled-in context goes into the indexes (by MN id, by prefix). */
static void ho_index(struct dmm_node *n, struct mr_ho *ho, dmm_time_t now)
{
	uint32_t s = dmm_tbl_slot(&n->mr->hos, ho);

	mr_nomem(n, dmm_hmap_add(&n->mr->ho_id, dmm_mnid_key(&ho->mnid), s), now);
	for (unsigned i = 0; i < ho->n_hnp; i++)
		mr_nomem(n, dmm_pidx_add(&n->mr->ho_pfx, &ho->hnp[i].p, s), now);
}

static void ho_free(struct dmm_node *n, struct mr_ho *ho)
{
	uint32_t s = dmm_tbl_slot(&n->mr->hos, ho);

	dmm_hmap_del(&n->mr->ho_id, dmm_mnid_key(&ho->mnid), s);
	for (unsigned i = 0; i < ho->n_hnp; i++)
		dmm_pidx_del(&n->mr->ho_pfx, &ho->hnp[i].p, s);
	dmm_tbl_free(&n->mr->hos, ho);
}

/* Remove the context's routes. Prefixes the MN has here again (it came
 * back) keep their LOCAL route and get the held packets; the others lose
 * everything, and an anchored one returns to the anchor behaviour. */
/* Our REDIRECTs naming the context's nMR still being retransmitted: the
 * MN may have left that nMR since, and they must not land after a newer
 * location. */
static void ho_cancel_redirects(struct dmm_node *n, const struct mr_ho *ho)
{
	struct dmm_prefix p[DMM_MAX_HNP];

	for (unsigned i = 0; i < ho->n_hnp; i++)
		p[i] = ho->hnp[i].p;
	mr_redirect_cancel(n, p, ho->n_hnp, &ho->nmr);
}

/* back: the MN came back to us (mr_ho_release). */
static void ho_teardown(struct dmm_node *n, struct mr_ho *ho, const char *why, bool back,
			dmm_time_t now)
{
	struct mr_ho h = *ho;

	/* Out of the table first: it no longer holds its per-host locators
	 * when mr_phl_release asks whether anyone does. */
	ho_free(n, ho);
	if (h.state == DMM_HO_FORWARDING)
		ho_cancel_redirects(n, &h);
	back = back && h.state == DMM_HO_FORWARDING;
	for (unsigned i = 0; i < h.n_tun; i++)
		mr_dp(n, DMM_DP_TUNNEL_DEL, &h.tun[i].hnp, &h.tun[i].src, NULL, 0);
	for (unsigned i = 0; i < h.n_hnp; i++) {
		const struct dmm_prefix *p = &h.hnp[i].p;
		bool local = mr_mn_by_prefix(n, p) != NULL;
		if (!local && h.catchall)
			mr_dp(n, DMM_DP_TUNNEL_DEL, p, NULL, NULL, 0);
		else if (!local && h.state == DMM_HO_FORWARDING && !mr_is_self(n, &h.hnp[i].home))
			mr_dp(n, DMM_DP_MISS_DEL, p, NULL, NULL, 0);
		if (h.holding)
			mr_hold(n, local ? DMM_DP_HOLD_FLUSH : DMM_DP_HOLD_DROP, p, now);
		if (!local && mr_is_self(n, &h.hnp[i].home))
			mr_anchor_add(n, p, &h.mnid, now);
		mr_phl_release(n, &h.hnp[i].phl, p);
	}
	/* The MN came back: each sender this context redirected to the nMR
	 * is redirected here (under loss the MN can be back before the LM
	 * ever heard of the nMR: no LM_NOTIFY would repoint that sender). */
	for (unsigned i = 0; back && i < h.n_tun; i++) {
		const struct mr_mn *mn = mr_mn_by_prefix(n, &h.tun[i].hnp);
		struct dmm_prefix phl = { .len = 0 };
		if (!mn)
			continue;
		for (unsigned j = 0; j < mn->n_hnp; j++)
			if (dmm_prefix_eq(&mn->hnp[j].p, &h.tun[i].hnp))
				phl = mn->hnp[j].phl;
		mr_sender_redirect(n, &h.tun[i].hnp, &n->cfg.self, &phl, &h.tun[i].src.addr, now);
	}
	dmm_count(n, DMM_C_CTX_DELETED);
	dmm_emit(n, DMM_EV_CTX_DELETED, now, &h.mnid, h.n_hnp ? &h.hnp[0].p : NULL, &h.nmr,
		 h.link);
	ho_set_state(n, &h, DMM_HO_DONE, why);
}

void mr_ho_release(struct dmm_node *n, struct mr_ho *ho, dmm_time_t now)
{
	ho_teardown(n, ho, "mn came back", true, now);
}

void mr_ho_create(struct dmm_node *n, const struct mr_mn *mn, dmm_time_t now)
{
	struct mr_ho *ho, *old = mr_ho_by_mnid(n, &mn->mnid);
	uint64_t id;
	bool hold;

	if (old)
		ho_teardown(n, old, "superseded", false, now);
	ho = dmm_tbl_alloc(&n->mr->hos, &id);
	hold = n->cfg.hold_packets && ho != NULL;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		if (hold)
			mr_hold(n, DMM_DP_HOLD_START, &mn->hnp[i].p, now);
		mr_dp(n, DMM_DP_LOCAL_DEL, &mn->hnp[i].p, NULL, NULL, mn->link);
	}
	if (!ho) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: handover context table full");
		for (unsigned i = 0; i < mn->n_hnp; i++) {
			if (mr_is_self(n, &mn->hnp[i].home))
				mr_anchor_add(n, &mn->hnp[i].p, &mn->mnid, now);
			/* the caller frees mn: nobody keeps the locator */
			mr_dp_locator(n, false, &mn->hnp[i].phl, &mn->hnp[i].p);
		}
		return;
	}
	*ho = (struct mr_ho){
		.id = id,
		.mnid = mn->mnid,
		.link = mn->link,
		.n_hnp = mn->n_hnp,
		.state = DMM_HO_HOLDING,
		.expires = now + n->cfg.timers.hold_ms,
		.holding = hold,
	};
	memcpy(ho->hnp, mn->hnp, sizeof(ho->hnp));
	ho_index(n, ho, now);
	dmm_count(n, DMM_C_CTX_CREATED);
	ho_set_state(n, ho, DMM_HO_HOLDING, "mn left");
}

/* hnp's locator at the nMR (len 0: none, a tunnel). */
static const struct dmm_prefix *ho_phl(const struct mr_ho *ho, const struct dmm_prefix *hnp)
{
	for (unsigned i = 0; i < ho->n_hnp; i++)
		if (dmm_prefix_eq(&ho->hnp[i].p, hnp))
			return &ho->nphl[i];
	return NULL;
}

/* Packets to the MN now take the miss path (sender discovery), or with no
 * route optimization a plain tunnel to the nMR; held ones are re-injected. */
static void ho_forward(struct dmm_node *n, struct mr_ho *ho, const struct in6_addr *nmr,
		       dmm_time_t now)
{
	bool held = ho->holding;
	bool moved_on = ho->state == DMM_HO_FORWARDING && !mr_addr_eq(&ho->nmr, nmr);

	if (moved_on) {
		/* The MN left the nMR for another (A -> B -> C, B never told
		 * the LM): our redirects naming B still being retransmitted
		 * must not land, and the senders go to C now. */
		ho_cancel_redirects(n, ho);
		for (unsigned i = 0; i < ho->n_tun; i++)
			mr_dp_tunnel(n, &ho->tun[i].hnp, &ho->tun[i].src, nmr,
				     ho_phl(ho, &ho->tun[i].hnp));
	}
	ho->nmr = *nmr;
	ho->expires = now + n->cfg.timers.handover_ctx_ms;
	if (n->cfg.ro_mode == DMM_RO_NONE)
		ho->catchall = true;
	ho_set_state(n, ho, DMM_HO_FORWARDING, "context transfer");
	ho->holding = false;
	for (unsigned i = 0; i < ho->n_hnp; i++) {
		if (ho->catchall)
			mr_dp_tunnel(n, &ho->hnp[i].p, NULL, nmr, &ho->nphl[i]);
		else
			mr_dp(n, DMM_DP_MISS_ADD, &ho->hnp[i].p, NULL, NULL, 0);
		if (held)
			mr_hold(n, DMM_DP_HOLD_FLUSH, &ho->hnp[i].p, now);
	}
	if (moved_on) {
		struct mr_ho h = *ho; /* a redirect's query cannot re-enter, but keep to the copy */
		for (unsigned i = 0; i < h.n_tun; i++)
			mr_sender_redirect(n, &h.tun[i].hnp, &h.nmr, ho_phl(&h, &h.tun[i].hnp),
					   &h.tun[i].src.addr, now);
	}
}

/* The nMR named per-host locators the context did not have (it forwarded
 * by tunnel so far): its routes translate from now on, and the senders it
 * redirected are redirected again, with the locator. */
static void ho_new_phl(struct dmm_node *n, struct mr_ho *ho, const struct dmm_msg *m,
		       dmm_time_t now)
{
	struct mr_ho h;
	bool changed = false;

	for (unsigned i = 0; i < ho->n_hnp; i++) {
		struct dmm_prefix p = dmm_msg_phl_of(m, &ho->hnp[i].p);
		if (!dmm_prefix_eq(&p, &ho->nphl[i])) {
			ho->nphl[i] = p;
			changed = true;
		}
	}
	if (!changed)
		return;
	h = *ho; /* a redirect's query cannot re-enter, but keep to the copy */
	for (unsigned i = 0; i < h.n_tun; i++) {
		const struct dmm_prefix *phl = ho_phl(&h, &h.tun[i].hnp);
		mr_dp_tunnel(n, &h.tun[i].hnp, &h.tun[i].src, &h.nmr, phl);
		mr_sender_redirect(n, &h.tun[i].hnp, &h.nmr, phl, &h.tun[i].src.addr, now);
	}
	for (unsigned i = 0; h.catchall && i < h.n_hnp; i++)
		mr_dp_tunnel(n, &h.hnp[i].p, NULL, &h.nmr, &h.nphl[i]);
}

static void ctx_ack(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
		    uint8_t status, const struct mr_ho *ho, dmm_time_t now)
{
	struct dmm_msg rep;

	mr_msg_init(&rep, DMM_MSG_CTX_ACK);
	rep.status = status;
	if (m->present & DMM_P_MNID) {
		rep.present |= DMM_P_MNID;
		rep.mnid = m->mnid;
	}
	if (ho && ho->n_hnp) {
		rep.present |= DMM_P_HNP;
		rep.n_hnp = (uint8_t)ho->n_hnp;
		for (unsigned i = 0; i < ho->n_hnp; i++)
			rep.hnp[i] = ho->hnp[i].p;
	}
	dmm_reply(n, src, m, &rep, now);
}

void mr_ho_ctx_answer(struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m, uint8_t status, dmm_time_t now)
{
	ctx_ack(n, src, m, status, NULL, now);
}

/* The MN is still attached here, its link has carrier: the request is
 * held, not answered (the nMR's retransmissions are duplicates). In a real
 * handover the link loss is on its way and the request is accepted then;
 * an identity claimed on another MR's link while the MN is still here is
 * refused after hold_ms, and the MN keeps its routes. */
static void ctx_hold(struct dmm_node *n, struct mr_mn *mn, const struct in6_addr *src,
		     const struct dmm_msg *m, dmm_time_t now)
{
	struct in6_addr osrc;
	struct dmm_msg oreq;

	if (mr_ctx_take(n, mn, &osrc, &oreq)) /* a newer claim replaces the older: refuse that one */
		ctx_ack(n, &osrc, &oreq, DMM_ST_PROHIBITED, NULL, now);
	if (mr_ctx_hold(n, mn, src, m) < 0) { /* never: a slot per MN slot */
		dmm_drop(n, DMM_C_NOMEM, now, "mr: no slot to hold a context request: refused");
		ctx_ack(n, src, m, DMM_ST_PROHIBITED, NULL, now);
		return;
	}
	mn->ctx_until = now + n->cfg.timers.hold_ms;
	mr_peer_log(n, DMM_LOG_INFO, now,
		    "mr: context transfer for an mn still on a live link: held");
}

/* CTX_REQ relayed by the LM that holds the MN's binding, on behalf of the
 * nMR that just asked it for the MN (origin = location = that nMR). Only
 * an LM of the domain map may relay, only for the MR that asked it, and
 * only a handover context already here is acted on: a relayed request
 * never touches an MN attached here (the nMR's own request does, held
 * until the link loss or refused), so it cannot detach anyone or cause a
 * give-back. Anything else: no flush, counted, answered NOT_FOUND. */
static void ctx_relayed(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
			dmm_time_t now)
{
	const uint32_t need = DMM_P_MNID | DMM_P_LOCATION | DMM_P_ORIGIN;
	struct mr_ho *ho;

	if (!mr_is_lm(n, src)) {
		dmm_drop(n, DMM_C_DROP_PEER, now,
			 "mr: relayed context transfer from a node that is no lm");
		return;
	}
	if ((m->present & need) != need || !mr_addr_eq(&m->location, &m->origin) ||
	    mr_is_self(n, &m->location)) {
		dmm_drop(n, DMM_C_DROP_CTX_RELAY, now, "mr: inconsistent relayed context transfer");
		ctx_ack(n, src, m, DMM_ST_PROHIBITED, NULL, now);
		return;
	}
	ho = mr_ho_by_mnid(n, &m->mnid);
	if (!ho) {
		dmm_drop(n, DMM_C_DROP_CTX_RELAY, now,
			 "mr: relayed context transfer for an mn with no handover context here");
		ctx_ack(n, src, m, DMM_ST_NOT_FOUND, NULL, now);
		return;
	}
	mr_ho_ctx_accept(n, src, m, now);
}

/* CTX_REQ from the nMR. Only an MN we had (or still have) is acted on, and
 * only for the sender itself: an MR can announce only itself as the nMR
 * (else any domain member could divert an MN's traffic to a third node). */
void mr_ho_ctx_req(struct dmm_node *n, const struct in6_addr *src, const struct dmm_msg *m,
		   dmm_time_t now)
{
	struct mr_ho *ho = NULL;
	struct mr_mn *mn;

	if (m->present & DMM_P_ORIGIN) {
		ctx_relayed(n, src, m, now);
		return;
	}
	if ((m->present & DMM_P_LOCATION) && !mr_addr_eq(&m->location, src)) {
		dmm_drop(n, DMM_C_DROP_PEER, now,
			 "mr: context transfer naming another node as nmr");
		return;
	}
	if (m->present & DMM_P_MNID) {
		ho = mr_ho_by_mnid(n, &m->mnid);
		mn = mr_mn_by_mnid(n, &m->mnid);
		if (!ho && mn && mn->n_hnp > 0 && (m->present & DMM_P_LOCATION) &&
		    !mr_is_self(n, &m->location)) {
			ctx_hold(n, mn, src, m, now);
			return;
		}
	} else if (m->n_hnp > 0) {
		ho = mr_ho_by_addr(n, &m->hnp[0].addr);
	}
	if (!ho || !(m->present & DMM_P_LOCATION) || mr_is_self(n, &m->location)) {
		mr_peer_log(n, DMM_LOG_INFO, now, "mr: context transfer for an mn we do not have");
		ctx_ack(n, src, m, DMM_ST_NOT_FOUND, NULL, now);
		return;
	}
	mr_ho_ctx_accept(n, src, m, now);
}

void mr_ho_ctx_accept(struct dmm_node *n, const struct in6_addr *src,
		      const struct dmm_msg *m, dmm_time_t now)
{
	struct mr_ho *ho = (m->present & DMM_P_MNID) ? mr_ho_by_mnid(n, &m->mnid) :
			   mr_ho_by_addr(n, &m->hnp[0].addr);

	if (!ho) {
		ctx_ack(n, src, m, DMM_ST_NOT_FOUND, NULL, now);
		return;
	}
	/* routing locator: a request the LM relayed cannot name the nMR's
	 * per-host locators (the nMR gives them only once it has the
	 * prefixes): keep holding until the nMR's own request, which follows
	 * and names them, so that the held packets are flushed by
	 * translation, not by tunnel. */
	if ((m->present & DMM_P_ORIGIN) && n->cfg.routing == DMM_ROUTING_LOCATOR &&
	    ho->state == DMM_HO_HOLDING) {
		dmm_log(n, DMM_LOG_DEBUG, "mr: relayed context transfer: holding until the "
			"nmr's own request names its locators");
		ctx_ack(n, src, m, DMM_ST_OK, ho, now);
		return;
	}
	/* The same nMR again (its own request after the LM relayed one, or
	 * a second one after the LM's answer): already done, only answered
	 * (and its locators taken if the first request had none). */
	if (ho->state == DMM_HO_FORWARDING && mr_addr_eq(&ho->nmr, &m->location)) {
		if (!(m->present & DMM_P_ORIGIN))
			ho_new_phl(n, ho, m, now);
		ctx_ack(n, src, m, DMM_ST_OK, ho, now);
		return;
	}
	dmm_emit(n, DMM_EV_CTX_RECEIVED, now, &ho->mnid, &ho->hnp[0].p, &m->location, ho->link);
	for (unsigned i = 0; i < ho->n_hnp; i++) /* routing locator: where to translate to */
		ho->nphl[i] = dmm_msg_phl_of(m, &ho->hnp[i].p);
	ho_forward(n, ho, &m->location, now);
	ctx_ack(n, src, m, DMM_ST_OK, ho, now);
}

/* Sender discovery: a packet to the departed MN from a source not seen
 * yet. Tunnel that source's packets to the nMR at once, then find and
 * redirect the source's MR. */
void mr_ho_miss(struct dmm_node *n, struct mr_ho *ho, const struct in6_addr *dst,
		const struct in6_addr *src, dmm_time_t now)
{
	struct dmm_prefix hnp, s = mr_prefix_of(src, MR_SRC_PLEN);
	struct in6_addr nmr = ho->nmr;
	struct mr_tun *t;

	if (ho->state != DMM_HO_FORWARDING || ho->catchall)
		return; /* held, or nothing to discover */
	hnp = ho->hnp[0].p;
	for (unsigned i = 0; i < ho->n_hnp; i++)
		if (dmm_prefix_contains(&ho->hnp[i].p, dst))
			hnp = ho->hnp[i].p;
	for (unsigned i = 0; i < ho->n_tun; i++)
		if (dmm_prefix_eq(&ho->tun[i].hnp, &hnp) && dmm_prefix_eq(&ho->tun[i].src, &s))
			return;
	if (ho->n_tun >= MR_HO_MAX_TUN) {
		dmm_drop(n, DMM_C_TABLE_FULL, now, "mr: sender tunnels of a context full");
		ho->catchall = true;
		for (unsigned i = 0; i < ho->n_hnp; i++)
			mr_dp_tunnel(n, &ho->hnp[i].p, NULL, &nmr, &ho->nphl[i]);
		return;
	}
	t = &ho->tun[ho->n_tun++];
	t->hnp = hnp;
	t->src = s;
	struct dmm_prefix phl = *ho_phl(ho, &hnp);
	mr_dp_tunnel(n, &hnp, &s, &nmr, &phl);
	mr_sender_redirect(n, &hnp, &nmr, &phl, src, now);
}

void mr_ho_timer(struct dmm_node *n, dmm_time_t now)
{
	const uint32_t *due;
	uint32_t k = dmm_tbl_due(&n->mr->hos, MR_HEAP_DEADLINE, now, &due);

	for (uint32_t i = 0; i < k; i++) {
		struct mr_ho *ho;
		if (!dmm_tbl_live(&n->mr->hos, due[i]))
			continue;
		ho = dmm_tbl_at(&n->mr->hos, due[i]);
		if (ho->expires <= now)
			ho_teardown(n, ho, ho->state == DMM_HO_HOLDING ?
				    "no context transfer" : "handover over", false, now);
	}
}

void dmm_mr_foreach_handover(const struct dmm_node *n,
			     void (*cb)(void *ctx, const struct dmm_ho_view *v), void *ctx)
{
	for (uint32_t i = 0; n->mr && i < n->mr->hos.hi; i++) {
		const struct mr_ho *ho = dmm_tbl_peek(&n->mr->hos, i);
		struct dmm_ho_view v = { .mnid = ho->mnid, .n_hnp = ho->n_hnp,
					 .state = ho->state, .nmr = ho->nmr,
					 .expires = ho->expires };
		if (!dmm_tbl_live(&n->mr->hos, i))
			continue;
		for (unsigned j = 0; j < ho->n_hnp; j++)
			v.hnp[j] = ho->hnp[j].p;
		cb(ctx, &v);
	}
}
