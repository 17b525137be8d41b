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
	assert_non_null(strstr(err, "/two:1: one MN id per line"));
	assert_null(authz_load(-1, "/nonexistent/authorized", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/authorized: No such file"));
	a = authz_load(-1, write_file("empty", "# nobody\n"), err, sizeof(err));
	assert_non_null(a); /* an empty list refuses every MN */
	d.authz = a;
	assert_false(authz_check(&d, &id));
	authz_free(a);
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
