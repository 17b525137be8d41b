/* The virtual network's recorder queries: compare what went by with what a
 * test expects, and print both sides when they differ. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "vnet.h"

static bool name_is(const struct vnet *vn, int idx, const char *name)
{
	return !name || strcmp(vnet_name(vn, idx), name) == 0;
}

static void print_rec(const struct vnet *vn, size_t i, const struct vnet_msg_rec *r)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	fprintf(stderr, "  #%-3zu t=%-7llu %-14s %s%s -> %s%s seq %u st %u%s",
		i, (unsigned long long)r->t,
		r->open_rc ? "(undecodable)" : dmm_msg_type_name(r->msg.type),
		vnet_name(vn, r->from), r->from < 0 ? inet_ntop(AF_INET6, &r->src, a, sizeof(a)) : "",
		vnet_name(vn, r->to), r->to < 0 ? inet_ntop(AF_INET6, &r->dst, b, sizeof(b)) : "",
		r->msg.seq, r->msg.status, r->lost ? " LOST" : "");
	if (r->msg.type == DMM_MSG_LM_FWD || r->msg.type == DMM_MSG_LM_FWD_REPLY)
		fprintf(stderr, " (%s)", dmm_msg_type_name(r->msg.code));
	if (r->recv_rc)
		fprintf(stderr, " recv %s", dmm_strerror(r->recv_rc));
	fprintf(stderr, "\n");
}

void vnet_print_msgs(const struct vnet *vn, size_t mark)
{
	for (size_t i = mark; i < vn->n_msgs; i++)
		print_rec(vn, i, &vn->msgs[i]);
}

bool vnet_expect_msgs(const struct vnet *vn, size_t mark, const struct vnet_exp *exp,
		      size_t n, bool with_lost)
{
	size_t k = 0;
	bool ok = true;

	for (size_t i = mark; i < vn->n_msgs; i++) {
		const struct vnet_msg_rec *r = &vn->msgs[i];
		if (r->lost && !with_lost)
			continue;
		if (k >= n || r->msg.type != exp[k].type || !name_is(vn, r->from, exp[k].from) ||
		    !name_is(vn, r->to, exp[k].to))
			ok = false;
		k++;
	}
	if (k != n)
		ok = false;
	if (ok)
		return true;
	fprintf(stderr, "vnet: message sequence differs\n expected:\n");
	for (k = 0; k < n; k++)
		fprintf(stderr, "  %-3zu %-14s %s -> %s\n", k, dmm_msg_type_name(exp[k].type),
			exp[k].from ? exp[k].from : "*", exp[k].to ? exp[k].to : "*");
	fprintf(stderr, " got:\n");
	vnet_print_msgs(vn, mark);
	return false;
}

const struct vnet_msg_rec *vnet_find_msg(const struct vnet *vn, size_t mark,
					 enum dmm_msg_type type, const char *from,
					 const char *to)
{
	for (size_t i = mark; i < vn->n_msgs; i++) {
		const struct vnet_msg_rec *r = &vn->msgs[i];
		if (!r->lost && r->msg.type == type && name_is(vn, r->from, from) &&
		    name_is(vn, r->to, to))
			return r;
	}
	return NULL;
}

size_t vnet_count_msgs(const struct vnet *vn, size_t mark, enum dmm_msg_type type,
		       const char *from, const char *to)
{
	size_t c = 0;

	for (size_t i = mark; i < vn->n_msgs; i++) {
		const struct vnet_msg_rec *r = &vn->msgs[i];
		if (!r->lost && (type == DMM_MSG_NONE || r->msg.type == type) &&
		    name_is(vn, r->from, from) && name_is(vn, r->to, to))
			c++;
	}
	return c;
}

/* ---- data-plane ops ---- */

static bool op_matches(const struct vnet *vn, const struct vnet_op_rec *o,
		       const struct vnet_op_exp *e)
{
	const struct dmm_dp_op *op = &o->op;

	if (op->kind != e->kind || !name_is(vn, o->node, e->node))
		return false;
	if (e->prefix && e->prefix[0] && strcmp(vnet_prefix_str(&op->prefix), e->prefix) != 0)
		return false;
	if (e->src && e->src[0] == 0 && op->src.len != 0)
		return false;
	if (e->src && e->src[0] && (op->src.len == 0 ||
				    strcmp(vnet_prefix_str(&op->src), e->src) != 0))
		return false;
	if (e->locator && !name_is(vn, vnet_find_addr(vn, &op->locator), e->locator))
		return false;
	return true;
}

static void print_op(const struct vnet *vn, size_t i, const struct vnet_op_rec *o)
{
	const struct dmm_dp_op *op = &o->op;

	fprintf(stderr, "  #%-3zu t=%-7llu %-5s %-11s %s", i, (unsigned long long)o->t,
		vnet_name(vn, o->node), dmm_dp_kind_name(op->kind), vnet_prefix_str(&op->prefix));
	if (op->src.len)
		fprintf(stderr, " from %s", vnet_prefix_str(&op->src));
	if (op->kind == DMM_DP_TUNNEL_ADD || op->kind == DMM_DP_TUNNEL_DEL)
		fprintf(stderr, " -> %s", vnet_name(vn, vnet_find_addr(vn, &op->locator)));
	if (op->kind == DMM_DP_ADVERTISE) {
		fprintf(stderr, " link %u:", op->link);
		for (unsigned k = 0; k < op->n_adv && k < DMM_MAX_HNP; k++)
			fprintf(stderr, " %s %u/%u", vnet_prefix_str(&op->adv[k].prefix),
				op->adv[k].valid_s, op->adv[k].preferred_s);
	}
	fprintf(stderr, "\n");
}

void vnet_print_ops(const struct vnet *vn, size_t mark, const char *node)
{
	for (size_t i = mark; i < vn->n_ops; i++)
		if (name_is(vn, vn->ops[i].node, node))
			print_op(vn, i, &vn->ops[i]);
}

bool vnet_expect_ops(const struct vnet *vn, size_t mark, const char *node,
		     const struct vnet_op_exp *exp, size_t n, bool with_adv)
{
	size_t k = 0;
	bool ok = true;

	for (size_t i = mark; i < vn->n_ops; i++) {
		const struct vnet_op_rec *o = &vn->ops[i];
		if (!name_is(vn, o->node, node) ||
		    (!with_adv && o->op.kind == DMM_DP_ADVERTISE))
			continue;
		if (k >= n || !op_matches(vn, o, &exp[k]))
			ok = false;
		k++;
	}
	if (k == n && ok)
		return true;
	fprintf(stderr, "vnet: data-plane ops of %s differ\n expected:\n", node ? node : "all");
	for (k = 0; k < n; k++)
		fprintf(stderr, "  %-3zu %-5s %-11s %s src %s loc %s\n", k,
			exp[k].node ? exp[k].node : "*", dmm_dp_kind_name(exp[k].kind),
			exp[k].prefix ? exp[k].prefix : "*", exp[k].src ? exp[k].src : "*",
			exp[k].locator ? exp[k].locator : "*");
	fprintf(stderr, " got:\n");
	for (size_t i = mark; i < vn->n_ops; i++)
		if (name_is(vn, vn->ops[i].node, node) &&
		    (with_adv || vn->ops[i].op.kind != DMM_DP_ADVERTISE))
			print_op(vn, i, &vn->ops[i]);
	return false;
}

size_t vnet_count_ops(const struct vnet *vn, size_t mark, const char *node,
		      enum dmm_dp_kind kind)
{
	size_t c = 0;

	for (size_t i = mark; i < vn->n_ops; i++)
		if (vn->ops[i].op.kind == kind && name_is(vn, vn->ops[i].node, node))
			c++;
	return c;
}

const struct vnet_op_rec *vnet_find_op(const struct vnet *vn, size_t mark, const char *node,
				       enum dmm_dp_kind kind, const char *prefix)
{
	struct vnet_op_exp e = { node, kind, prefix, NULL, NULL };

	for (size_t i = mark; i < vn->n_ops; i++)
		if (op_matches(vn, &vn->ops[i], &e))
			return &vn->ops[i];
	return NULL;
}

size_t vnet_count_events(const struct vnet *vn, size_t mark, const char *node,
			 enum dmm_event_kind kind)
{
	size_t c = 0;

	for (size_t i = mark; i < vn->n_evs; i++)
		if (vn->evs[i].ev.kind == kind && name_is(vn, vn->evs[i].node, node))
			c++;
	return c;
}

/* ---- role tables ---- */

const char *vnet_name_of(const struct vnet *vn, const struct in6_addr *a)
{
	return vnet_name(vn, vnet_find_addr(vn, a));
}

struct view_find {
	const char *prefix, *src;
	const struct dmm_mnid *id;
	unsigned count;
	bool found;
	void *out;
	size_t size;
};

static bool pfx_is(const struct dmm_prefix *p, const char *s)
{
	return !s || !s[0] || strcmp(vnet_prefix_str(p), s) == 0;
}

static void found(struct view_find *f, const void *v)
{
	f->count++;
	if (f->found)
		return;
	f->found = true;
	if (f->out)
		memcpy(f->out, v, f->size);
}

static void mn_cb(void *ctx, const struct dmm_mn_view *v)
{
	struct view_find *f = ctx;

	if (!f->id || dmm_mnid_eq(f->id, &v->mnid))
		found(f, v);
}

bool vnet_mn(const struct vnet *vn, const char *mr, const struct dmm_mnid *id,
	     struct dmm_mn_view *out)
{
	struct view_find f = { .id = id, .out = out, .size = sizeof(*out) };

	dmm_mr_foreach_mn(vnet_node(vn, mr), mn_cb, &f);
	return f.found;
}

unsigned vnet_n_mns(const struct vnet *vn, const char *mr)
{
	struct view_find f = { 0 };

	dmm_mr_foreach_mn(vnet_node(vn, mr), mn_cb, &f);
	return f.count;
}

static void cache_cb(void *ctx, const struct dmm_cache_view *v)
{
	struct view_find *f = ctx;

	if (!pfx_is(&v->prefix, f->prefix))
		return;
	if (f->src && ((f->src[0] == 0 && v->src.len) ||
		       (f->src[0] && (!v->src.len || !pfx_is(&v->src, f->src)))))
		return;
	found(f, v);
}

bool vnet_cache(const struct vnet *vn, const char *mr, const char *prefix, const char *src,
		struct dmm_cache_view *out)
{
	struct view_find f = { .prefix = prefix, .src = src, .out = out, .size = sizeof(*out) };

	dmm_mr_foreach_cache(vnet_node(vn, mr), cache_cb, &f);
	return f.found;
}

unsigned vnet_n_cache(const struct vnet *vn, const char *mr)
{
	struct view_find f = { 0 };

	dmm_mr_foreach_cache(vnet_node(vn, mr), cache_cb, &f);
	return f.count;
}

static void ho_cb(void *ctx, const struct dmm_ho_view *v)
{
	struct view_find *f = ctx;

	if (!f->id || dmm_mnid_eq(f->id, &v->mnid))
		found(f, v);
}

bool vnet_handover(const struct vnet *vn, const char *mr, const struct dmm_mnid *id,
		   struct dmm_ho_view *out)
{
	struct view_find f = { .id = id, .out = out, .size = sizeof(*out) };

	dmm_mr_foreach_handover(vnet_node(vn, mr), ho_cb, &f);
	return f.found;
}

unsigned vnet_n_handovers(const struct vnet *vn, const char *mr)
{
	struct view_find f = { 0 };

	dmm_mr_foreach_handover(vnet_node(vn, mr), ho_cb, &f);
	return f.count;
}

static void binding_cb(void *ctx, const struct dmm_binding_view *v)
{
	struct view_find *f = ctx;

	if (pfx_is(&v->prefix, f->prefix))
		found(f, v);
}

bool vnet_binding(const struct vnet *vn, const char *lm, const char *prefix,
		  struct dmm_binding_view *out)
{
	struct view_find f = { .prefix = prefix, .out = out, .size = sizeof(*out) };

	dmm_lm_foreach_binding(vnet_node(vn, lm), binding_cb, &f);
	return f.found;
}

unsigned vnet_n_bindings(const struct vnet *vn, const char *lm)
{
	struct view_find f = { 0 };

	dmm_lm_foreach_binding(vnet_node(vn, lm), binding_cb, &f);
	return f.count;
}

static void lease_cb(void *ctx, const struct dmm_lease_view *v)
{
	struct view_find *f = ctx;

	if (pfx_is(&v->prefix, f->prefix))
		found(f, v);
}

bool vnet_lease(const struct vnet *vn, const char *haa, const char *prefix,
		struct dmm_lease_view *out)
{
	struct view_find f = { .prefix = prefix, .out = out, .size = sizeof(*out) };

	dmm_haa_foreach_lease(vnet_node(vn, haa), lease_cb, &f);
	return f.found;
}

unsigned vnet_n_leases(const struct vnet *vn, const char *haa)
{
	struct view_find f = { 0 };

	dmm_haa_foreach_lease(vnet_node(vn, haa), lease_cb, &f);
	return f.count;
}
