/* dmmd: the configuration checks that need the whole file (the local
 * network named, the role blocks against the roles, the active key, the
 * key file's owner, the data-plane driver against the routing), and the
 * lines at which the core's dmm_config_check_at() findings are reported:
 * at the line of the object each is about, and not at all for an object
 * whose statement already had an error. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse_int.h"

/* ---------------------------------------------------------------- final checks */

static void check_local_net(struct parser *ps)
{
	struct dmm_config *c = &ps->c->core;

	if (!ps->local_net[0]) {
		if (!ps->local_net_line)
			cf_perr(ps, 0, "missing 'local-network' directive");
		return;
	}
	for (unsigned i = 0; i < c->n_nets && c->local_net < 0; i++)
		if (strcmp(c->nets[i].name, ps->local_net) == 0)
			c->local_net = (int)i;
	if (c->local_net < 0) {
		const char *names[DMM_MAX_NETS + 1];
		char dym[DMM_NAME_MAX + 32];
		for (unsigned i = 0; i < c->n_nets; i++)
			names[i] = c->nets[i].name;
		names[c->n_nets] = NULL;
		cf_perr(ps, ps->local_net_line, "local-network: no network named '%s'%s",
			ps->local_net, cf_did_you_mean(ps->local_net, names, dym, sizeof(dym)));
		ps->local_net_line = -ps->local_net_line;
	}
}

/* The user exists; the key file belongs to root, to whoever parses, or to
 * the user dmmd will run as (anyone else could change the domain's keys). */
static void check_user(struct parser *ps)
{
	const struct dmmd_conf *c = ps->c;
	char name[DMMD_USER_MAX];
	uid_t uid = 0;
	gid_t gid;
	bool known = parse_user_ids(c->user, &uid, &gid, name, sizeof(name)) == 0;

	if (!known && c->user[0])
		cf_perr(ps, ps->user_line, "user: no user '%s' on this system", c->user);
	if (!ps->key_read || ps->key_owner == 0 || ps->key_owner == geteuid() ||
	    (known && ps->key_owner == uid))
		return;
	cf_perr(ps, ps->keys_line, "keys: %s is owned by uid %u, not by root or the user dmmd "
		"runs as (%s); chown it", c->key_file, (unsigned)ps->key_owner,
		known ? name : c->user[0] ? c->user : DMMD_USER_DEFAULT);
}

static void check_active_key(struct parser *ps)
{
	struct dmmd_conf *c = ps->c;
	uint32_t active = c->core.keys.keys[0].id;
	bool found = false, node = false;

	/* default: the first domain key (the file has one, keys_read checks) */
	for (unsigned i = c->core.keys.n; i-- > 0;)
		if (!c->core.keys.keys[i].bound)
			active = c->core.keys.keys[i].id;
	if (ps->active_set)
		active = ps->active;
	for (unsigned i = 0; i < c->core.keys.n; i++)
		if (c->core.keys.keys[i].id == active) {
			found = true;
			node = c->core.keys.keys[i].bound;
		}
	if (!found || node) {
		cf_perr(ps, ps->keys_line, node ? "keys: active key %u is a node key in %s; name a "
			"domain key" : "keys: active key %u is not in %s", active, c->key_file);
		ps->ln->keys = -ps->keys_line;
	}
	c->core.keys.active = active;
}

void cf_check_final(struct parser *ps)
{
	struct dmmd_conf *c = ps->c;
	int lm_block = cf_top_line(ps, "lm");

	if (!cf_top_line(ps, "node"))
		cf_perr(ps, 0, "missing 'node' directive");
	if (!cf_top_line(ps, "address"))
		cf_perr(ps, 0, "missing 'address' directive");
	if (!cf_top_line(ps, "roles"))
		cf_perr(ps, 0, "missing 'roles' directive");
	check_local_net(ps);
	if (ps->ln->mr_block && !(c->core.roles & DMM_ROLE_MR) && cf_top_line(ps, "roles"))
		cf_perr(ps, ps->ln->mr_block, "mr block, but role mr is not enabled");
	if (ps->ln->haa_block && !(c->core.roles & DMM_ROLE_HAA) && cf_top_line(ps, "roles"))
		cf_perr(ps, ps->ln->haa_block, "haa block, but role haa is not enabled");
	if (lm_block && !(c->core.roles & DMM_ROLE_LM) && cf_top_line(ps, "roles"))
		cf_perr(ps, lm_block, "lm block, but role lm is not enabled");
	if (c->n_redis > 0 && (c->core.roles & DMM_ROLE_LM) && c->core.local_net >= 0 &&
	    (unsigned)c->core.local_net < c->core.n_nets &&
	    dmm_net_n_lms(&c->core.nets[c->core.local_net]) > 1)
		cf_perr(ps, lm_block, "lm: store redis, but network %s lists several LMs: front "
			"ends on one store share the network's one LM address (anycast)",
			c->core.nets[c->core.local_net].name);
	check_user(ps);
	if (c->anycast_probe_ms < 100 || c->anycast_dead_ms <= c->anycast_probe_ms)
		cf_perr(ps, ps->ln->mr_block, "anycast-probe (%ums) must be at least 100ms and "
			"anycast-dead (%ums) longer", c->anycast_probe_ms, c->anycast_dead_ms);
	if (!ps->keys_line)
		cf_perr(ps, 0, "missing 'keys' directive");
	else if (c->core.keys.n > 0)
		check_active_key(ps);
	/* Only the bpf driver translates per-host locators. */
	if ((c->core.roles & DMM_ROLE_MR) && c->core.routing == DMM_ROUTING_LOCATOR &&
	    (c->dataplane == DMMD_DP_SEG6 || c->dataplane == DMMD_DP_TUN))
		cf_perr(ps, ps->ln->locator, "routing locator: the %s data-plane driver cannot "
			"translate per-host locators; use dataplane bpf (or auto)",
			dmmd_dataplane_names[c->dataplane]);
}

/* The line of a config item (struct lines), for dmm_config_check_at's
 * errors: > 0 a line, 0 none known, < 0 an item whose statement had an
 * error already (or is missing, reported as such): say nothing more. */
static int line_of(const struct parser *ps, const struct dmm_config_at *at)
{
	const struct lines *ln = ps->ln;
	unsigned i = at->i, j = at->j;
	bool net = i < DMM_MAX_NETS;

	switch (at->item) {
	case DMM_CI_ROLES: return ln->roles ? ln->roles : -1;
	case DMM_CI_SELF: return ln->self ? ln->self : -1;
	case DMM_CI_KEYS: return ln->keys ? ln->keys : -1;
	case DMM_CI_LOCAL_NET: return ps->local_net_line > 0 ? ps->local_net_line : -1;
	case DMM_CI_NET: return net ? ln->net[i] : 0;
	case DMM_CI_NET_PREFIX:
		if (net && j == DMM_CI_NONE)
			return ln->net_bad_prefix[i] ? -1 : ln->net[i];
		return net && j < DMM_MAX_NET_PREFIX ? ln->net_prefix[i][j] : 0;
	case DMM_CI_NET_LM: return net ? (ln->net_lm[i] ? ln->net_lm[i] : ln->net[i]) : 0;
	case DMM_CI_NET_HAA: return net ? (ln->net_haa[i] ? ln->net_haa[i] : ln->net[i]) : 0;
	case DMM_CI_NET_MR: return net && j < DMM_MAX_NET_MRS ? ln->net_mr[i][j] : 0;
	case DMM_CI_POOL:
		if (i == DMM_CI_NONE)
			return ln->bad_pool ? -1 : ln->haa_block;
		return i < DMM_MAX_POOLS ? ln->pool[i] : 0;
	case DMM_CI_FIXED: return i < DMM_MAX_NET_PREFIX ? ln->fixed[i] : ln->mr_block;
	case DMM_CI_RO_MODE: return ln->ro_mode;
	case DMM_CI_LOCATOR: return ln->locator ? ln->locator : ln->mr_block;
	case DMM_CI_TIMER: return i / 4 < N_TIMER_SLOTS ? ln->timer[i / 4] : 0;
	case DMM_CI_LIMIT: return i / 4 < N_LIMIT_SLOTS ? ln->limit[i / 4] : 0;
	default: return 0;
	}
}

/* A problem dmm_config_check_at found, at the line of its item; " (line N)"
 * names the other item of a conflict. */
void cf_check_err_at(void *ctx, const struct dmm_config_at *at,
		     const struct dmm_config_at *other, const char *msg)
{
	struct parser *ps = ctx;
	int line = line_of(ps, at), oline = other ? line_of(ps, other) : 0;

	if (line < 0 || (other && oline < 0))
		return;
	if (oline > 0 && oline != line)
		cf_perr(ps, line, "%s (line %d)", msg, oline);
	else
		cf_perr(ps, line, "%s", msg);
}
