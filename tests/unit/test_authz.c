/* MN authorization (draft 4.1; mr { authorize FILE }): the core asks
 * dmm_io.authorize at each attach of an MN new to the MR and refuses the
 * others with no state, no message, no data-plane operation; daemon/authz.c
 * reads the list of MN ids (every error with its line), and dmmd's check
 * finds exactly the listed ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/authz.c"
#include "../../daemon/log.c"
#include "nodetest.h"

#define SELF "2001:db8:ff::11"
#define T0 1000

/* authz_reload's privileged path is priv.c's (tests/sh/fig1_authorize.sh) */
int priv_open_authz(struct dmmd *d, const char *path)
{
	(void)d;
	(void)path;
	return -EIO;
}

static struct nodetest T;
static struct dmm_mnid allowed_id;

static bool only_allowed(void *ctx, const struct dmm_mnid *id)
{
	(void)ctx;
	return dmm_mnid_eq(id, &allowed_id);
}

static void start_mr(void)
{
	struct dmm_config c;

	nt_config(&c, "mr11", SELF, DMM_ROLE_MR);
	nt_add_net(&c, "a", "2001:db8:a::/48", "2001:db8:ff::1", "2001:db8:ff::1");
	c.local_net = 0;
	nt_authorize = only_allowed;
	assert_int_equal(nt_start(&T, &c, T0), 0);
	nt_authorize = NULL;
	dmm_node_timer(T.node, T0);
	nt_clear(&T);
}

static void test_core_refuses_unlisted(void **state)
{
	struct dmm_mnid mn1 = nt_mnid(1), mn2 = nt_mnid(2);

	(void)state;
	allowed_id = mn2;
	start_mr();
	assert_int_equal(dmm_mr_attach(T.node, 3, &mn1, T0), DMM_E_DENIED);
	assert_int_equal(dmm_node_counter(T.node, DMM_C_ATTACH_DENIED), 1);
	assert_int_equal(dmm_node_counter(T.node, DMM_C_ATTACH), 0);
	assert_int_equal(T.n_sent, 0);
	assert_int_equal(T.n_ops, 0);
	assert_true(nt_log_has(&T, "02:00:00:00:00:01 on link 3 not authorized"));
	/* again at once: counted, the log line rate-limited */
	assert_int_equal(dmm_mr_attach(T.node, 3, &mn1, T0 + 1), DMM_E_DENIED);
	assert_int_equal(dmm_node_counter(T.node, DMM_C_ATTACH_DENIED), 2);
	/* the listed MN attaches: the LM is asked about it */
	assert_int_equal(dmm_mr_attach(T.node, 4, &mn2, T0 + 2), 0);
	assert_int_equal(dmm_node_counter(T.node, DMM_C_ATTACH), 1);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_QUERY, NULL), 1);
	nt_stop(&T);
}

static char dir[] = "/tmp/test_authz.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_load(void **state)
{
	struct dmmd d = { 0 };
	struct dmm_mnid id;
	char err[512];
	struct authz *a;

	(void)state;
	a = authz_load(-1, write_file("ok", "# the lab's MNs\n02:00:00:00:00:01\n\n"
				  "  02:00:00:00:00:02   # mn2\n02:00:00:00:00:01\n"
				  "alice@example.net\n"), err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(authz_count(a), 3); /* the duplicate folded */
	d.authz = a;
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:02", &id), 0);
	assert_true(authz_check(&d, &id));
	assert_int_equal(dmm_mnid_parse("alice@example.net", &id), 0);
	assert_true(authz_check(&d, &id));
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:03", &id), 0);
	assert_false(authz_check(&d, &id));
	assert_int_equal(dmm_mnid_parse("bob@example.net", &id), 0);
	assert_false(authz_check(&d, &id));
	d.authz = NULL; /* no list: every MN */
	assert_true(authz_check(&d, &id));
	authz_free(a);

	/* anything else is an NAI, up to DMM_MNID_MAX bytes */
	assert_null(authz_load(-1, write_file("bad", "02:00:00:00:00:01\n"
					  "a-network-access-identifier@far-too-long.example\n"),
			       err, sizeof(err)));
	assert_non_null(strstr(err, "/bad:2: 'a-network-access-identifier@far-too-long.example' "
				    "is not an MN id"));
	assert_null(authz_load(-1, write_file("two", "02:00:00:00:00:01 ln1\n"), err, sizeof(err)));
	assert_non_null(strstr(err, "/two:1: 'ln1': expected home NETWORK or prefix PREFIX"));
	assert_null(authz_load(-1, "/nonexistent/authorized", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/authorized: No such file"));
	a = authz_load(-1, write_file("empty", "# nobody\n"), err, sizeof(err));
	assert_non_null(a); /* an empty list refuses every MN */
	d.authz = a;
	assert_false(authz_check(&d, &id));
	authz_free(a);
}

/* The optional fields: `home NETWORK` and `prefix PREFIX` after the id,
 * in any order, checked at load (syntax) and against the domain map. */
static void test_options(void **state)
{
	struct dmmd d = { 0 };
	struct dmm_config c;
	struct dmm_mn_options o;
	struct dmm_mnid id;
	char err[512];
	struct authz *a;

	(void)state;
	nt_config(&c, "mr11", SELF, DMM_ROLE_MR);
	nt_add_net(&c, "a", "2001:db8:a::/48", "2001:db8:ff::1", "2001:db8:ff::1");
	nt_add_net(&c, "b", "2001:db8:b::/48", "2001:db8:ff::2", "2001:db8:ff::2");
	a = authz_load(-1, write_file("opt", "02:00:00:00:00:01 home b\n"
				  "02:00:00:00:00:02 prefix 2001:db8:a:77::/64 # fixed\n"
				  "02:00:00:00:00:03 prefix 2001:db8:b:5::/64 home b\n"
				  "02:00:00:00:00:04\n02:00:00:00:00:02 prefix 2001:db8:a:77::/64\n"),
		       err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(authz_count(a), 4); /* the same line twice folded */
	assert_int_equal(authz_validate(a, &c, "opt", err, sizeof(err)), 0);
	d.authz = a;
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:01", &id), 0);
	assert_true(authz_options(&d, &id, &o));
	assert_int_equal(o.home_net, 1);
	assert_false(o.has_prefix);
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:02", &id), 0);
	assert_true(authz_options(&d, &id, &o));
	assert_int_equal(o.home_net, -1);
	assert_true(o.has_prefix);
	assert_true(dmm_prefix_eq(&o.prefix, &(struct dmm_prefix){ nt_a6("2001:db8:a:77::"), 64 }));
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:03", &id), 0);
	assert_true(authz_options(&d, &id, &o));
	assert_int_equal(o.home_net, 1);
	assert_true(o.has_prefix);
	assert_int_equal(dmm_mnid_parse("02:00:00:00:00:04", &id), 0);
	assert_true(authz_check(&d, &id));
	assert_false(authz_options(&d, &id, &o)); /* listed, no option */
	authz_free(a);

	static const struct { const char *text, *want; } bad[] = {
		{ "02:00:00:00:00:01 home\n", "/bad:1: home needs a value" },
		{ "02:00:00:00:00:01 colour blue\n", "/bad:1: 'colour': expected home" },
		{ "02:00:00:00:00:01 home a home b\n", "/bad:1: home given twice" },
		{ "02:00:00:00:00:01 prefix 2001:db8:a::1/64\n", "/bad:1: prefix 2001:db8:a::1/64: "
								 "host bits set" },
		{ "02:00:00:00:00:01 prefix nonsense\n", "/bad:1: prefix: 'nonsense' is not" },
		{ "02:00:00:00:00:01 home a\n02:00:00:00:00:01 home b\n",
		  "02:00:00:00:00:01 listed twice with different options" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((a = authz_load(-1, write_file("bad", bad[i].text), err, sizeof(err))) != NULL)
			fail_msg("%s: loaded", bad[i].text);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("%s: got '%s', want '%s'", bad[i].text, err, bad[i].want);
	}
	static const struct { const char *text, *want; } badmap[] = {
		{ "02:00:00:00:00:01 home z\n", "home z is no network of the domain map" },
		{ "02:00:00:00:00:01 prefix 2001:db8:c::/64\n", "in no network of the domain map" },
		{ "02:00:00:00:00:01 home a prefix 2001:db8:b::/64\n", "outside its home network" },
	};
	for (size_t i = 0; i < sizeof(badmap) / sizeof(badmap[0]); i++) {
		a = authz_load(-1, write_file("map", badmap[i].text), err, sizeof(err));
		assert_non_null(a);
		assert_int_equal(authz_validate(a, &c, "map", err, sizeof(err)), -1);
		if (strstr(err, badmap[i].want) == NULL)
			fail_msg("%s: got '%s', want '%s'", badmap[i].text, err, badmap[i].want);
		authz_free(a);
	}
}

/* The MR uses them: an MN with a home network gets its prefix from that
 * network's HAA; one with a fixed prefix gets it without any HAA, bound at
 * the LM, and keeps it without a lease retrieval when it moves here. */
static struct dmm_mn_options opts[4];

static bool test_opts(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o)
{
	(void)ctx;
	if (id->len != 6 || id->id[5] >= 4 || (opts[id->id[5]].home_net < 0 &&
					       !opts[id->id[5]].has_prefix))
		return false;
	*o = opts[id->id[5]];
	return true;
}

/* The MR's LOC_QUERY for MN k answered by the LM (status, prefix at loc). */
static void lm_answers(const struct dmm_mnid *mn, uint8_t status, const char *prefix,
		       const char *loc, dmm_time_t now)
{
	struct dmm_msg q, r = { .type = DMM_MSG_LOC_REPLY, .status = status,
				.flags = DMM_F_BY_MNID, .present = DMM_P_MNID, .mnid = *mn };
	unsigned i;

	for (i = 0; i < T.n_sent; i++)
		if (nt_open(&T, i, &q) == 0 && q.type == DMM_MSG_LOC_QUERY &&
		    dmm_mnid_eq(&q.mnid, mn))
			break;
	assert_true(i < T.n_sent);
	r.seq = q.seq;
	if (prefix) {
		r.present |= DMM_P_HNP | DMM_P_LOCATION | DMM_P_HOME;
		r.n_hnp = 1;
		r.hnp[0] = nt_p6(prefix);
		r.location = r.home = nt_a6(loc);
		r.lifetime = 600;
	}
	{
		struct in6_addr lm = nt_a6("2001:db8:ff::1");
		assert_int_equal(nt_recv(&T, &lm, &r, now), 0);
	}
}

static bool mn_state(const struct dmm_mnid *id, struct dmm_mn_view *out);

static void test_core_uses_options(void **state)
{
	struct dmm_config c;
	struct dmm_mnid mn1 = nt_mnid(1), mn2 = nt_mnid(2), mn3 = nt_mnid(3);
	struct in6_addr haa_b = nt_a6("2001:db8:ff::2"), haa_a = nt_a6("2001:db8:ff::1");
	struct dmm_mn_view v;
	struct dmm_msg m;
	bool local = false;

	(void)state;
	memset(opts, 0, sizeof(opts));
	for (unsigned i = 0; i < 4; i++)
		opts[i].home_net = -1;
	opts[1].home_net = 1;
	opts[2].has_prefix = true;
	opts[2].prefix = nt_p6("2001:db8:a:77::/64");
	opts[3].has_prefix = true;
	opts[3].prefix = nt_p6("2001:db8:a:78::/64");
	nt_config(&c, "mr11", SELF, DMM_ROLE_MR);
	nt_add_net(&c, "a", "2001:db8:a::/48", "2001:db8:ff::1", "2001:db8:ff::1");
	nt_add_net(&c, "b", "2001:db8:b::/48", "2001:db8:ff::2", "2001:db8:ff::2");
	c.local_net = 0;
	nt_mn_options = test_opts;
	assert_int_equal(nt_start(&T, &c, T0), 0);
	nt_mn_options = NULL;
	dmm_node_timer(T.node, T0);
	nt_clear(&T);

	/* home b: the HOA_REQ goes to b's HAA, not the local one */
	assert_int_equal(dmm_mr_attach(T.node, 3, &mn1, T0), 0);
	lm_answers(&mn1, DMM_ST_NOT_FOUND, NULL, NULL, T0 + 10);
	assert_int_equal(nt_count(&T, DMM_MSG_HOA_REQ, &haa_b), 1);
	assert_int_equal(nt_count(&T, DMM_MSG_HOA_REQ, &haa_a), 0);
	nt_clear(&T);

	/* a fixed prefix: no HAA; LOCAL route, RA, LOC_UPDATE of that prefix */
	assert_int_equal(dmm_mr_attach(T.node, 4, &mn2, T0 + 20), 0);
	lm_answers(&mn2, DMM_ST_NOT_FOUND, NULL, NULL, T0 + 30);
	assert_int_equal(nt_count(&T, DMM_MSG_HOA_REQ, NULL), 0);
	for (unsigned i = 0; i < T.n_ops; i++)
		local |= T.ops[i].kind == DMM_DP_LOCAL_ADD &&
			 dmm_prefix_eq(&T.ops[i].prefix, &opts[2].prefix);
	assert_true(local);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_UPDATE, NULL), 1);
	for (unsigned i = 0; i < T.n_sent; i++)
		if (nt_open(&T, i, &m) == 0 && m.type == DMM_MSG_LOC_UPDATE)
			assert_true(dmm_prefix_eq(&m.hnp[0], &opts[2].prefix));
	assert_true(mn_state(&mn2, &v));
	assert_int_equal(v.state, DMM_MN_ATTACHED);
	nt_clear(&T);

	/* mn3 moves here from MR12 with its fixed prefix: no retrieval */
	assert_int_equal(dmm_mr_attach(T.node, 5, &mn3, T0 + 40), 0);
	lm_answers(&mn3, DMM_ST_OK, "2001:db8:a:78::/64", "2001:db8:ff::12", T0 + 50);
	assert_int_equal(nt_count(&T, DMM_MSG_HOA_REQ, NULL), 0);
	assert_int_equal(nt_count(&T, DMM_MSG_CTX_REQ, NULL), 1);
	assert_int_equal(nt_count(&T, DMM_MSG_LOC_UPDATE, NULL), 1);
	assert_true(mn_state(&mn3, &v));
	assert_int_equal(v.state, DMM_MN_ATTACHED);
	assert_true(dmm_prefix_eq(&v.hnp[0], &opts[3].prefix));
	nt_stop(&T);
}

struct find_mn { const struct dmm_mnid *id; struct dmm_mn_view *out; bool found; };

static void cb_mn(void *ctx, const struct dmm_mn_view *v)
{
	struct find_mn *f = ctx;

	if (dmm_mnid_eq(&v->mnid, f->id)) {
		*f->out = *v;
		f->found = true;
	}
}

static bool mn_state(const struct dmm_mnid *id, struct dmm_mn_view *out)
{
	struct find_mn f = { id, out, false };

	dmm_mr_foreach_mn(T.node, cb_mn, &f);
	return f.found;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_refuses_unlisted),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_core_uses_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
