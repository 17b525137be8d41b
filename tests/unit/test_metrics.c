/* dmmd metrics (daemon/metrics.c), compiled in directly with the text
 * buffer and the logger (the parser is linked): the handover-step
 * histogram from event sequences with literal times (each step once per
 * attach, an MN with no attach not timed, an attach again restarts the
 * clock, a stale attach forgotten), the page in both formats (HELP/TYPE per
 * family, counter suffixes, # EOF, le as floats in OpenMetrics), and label
 * escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../daemon/parse.h"
#include "../../daemon/buf.c"
#include "../../daemon/log.c"
#include "../../daemon/metrics.c"
#include "../../daemon/peers.c"
#include "../../daemon/dpcounters.c"
#include "../../daemon/stream.c"
#include "nodetest.h"
#include "dmmd_test.h"

/* What metrics.c uses from files not compiled in here. */
struct dmmd_peer *sock_peer(struct dmmd *d, const struct in6_addr *a, bool create)
{
	return NULL;
}

/* With fake_dp, a data plane whose counter number i (every field of
 * struct dp_stats is a uint64_t) reads 7000000 + i (no other value on the
 * page is near). */
static bool fake_dp;
#define DP_NSTATS (sizeof(struct dp_stats) / sizeof(uint64_t))

bool dmmd_dp_stats(const struct dmmd *d, struct dp_stats *st)
{
	uint64_t *v = (uint64_t *)st;

	for (unsigned i = 0; fake_dp && i < DP_NSTATS; i++)
		v[i] = 7000000 + i;
	return fake_dp;
}

int dmmd_dp_peers(struct dmmd *d, struct dp_peer_stats *v, unsigned max)
{
	return 0;
}

const struct rstore_stats *rstore_stats(const struct dmmd *dd, enum rstore_state *state,
					uint64_t *inflight, unsigned *held)
{
	return NULL; /* the embedded store: no Redis metrics */
}

const char *rstore_state_name(enum rstore_state s)
{
	return "down";
}

const char *dmmd_dp_driver(const struct dmmd *d, const char **why)
{
	return NULL;
}

size_t authz_count(const struct authz *a)
{
	return 0;
}

static dmm_time_t fake_now;
dmm_time_t dmmd_clock(void)
{
	return fake_now;
}

static struct dmmd d;
static struct nodetest nt;

static int setup(void **state)
{
	dt_start(&d, &nt, "mr\"x", "2001:db8:ff::11", DMM_ROLE_MR, "2001:db8:ff::1");
	assert_int_equal(metrics_open(&d), 0); /* metrics off: state only, no socket */
	assert_int_equal(metrics_pollfds(&d, NULL, 9), 0);
	return 0;
}

static int teardown(void **state)
{
	metrics_close(&d);
	nt_stop(&nt);
	return 0;
}

static void ev(enum dmm_event_kind k, dmm_time_t t, unsigned mn)
{
	struct dmm_event e = { .kind = k, .t = t };

	if (mn)
		e.mnid = nt_mnid(mn);
	metrics_event(&d, &e);
}

static char *page(bool om)
{
	struct buf b = { 0 };

	metrics_render(&d, &b, om);
	assert_false(b.oom);
	buf_put(&b, "", 1);
	return b.p;
}

static void has(const char *p, const char *line)
{
	if (!strstr(p, line))
		fail_msg("not on the page: %s", line);
}

static void test_steps(void **state)
{
	char *p;

	ev(DMM_EV_ATTACH, 1000, 1);
	ev(DMM_EV_HOA_ASSIGNED, 1003, 1);
	ev(DMM_EV_HOA_ASSIGNED, 1004, 1); /* a second prefix: not timed again */
	ev(DMM_EV_CTX_ACKED, 1040, 2);    /* MN 2 never attached here */
	ev(DMM_EV_LOC_UPDATED, 1250, 1);
	ev(DMM_EV_CTX_ACKED, 1030, 1);
	ev(DMM_EV_ATTACH, 2000, 3);       /* attached, then again: from the second */
	ev(DMM_EV_ATTACH, 5000, 3);
	ev(DMM_EV_HOA_ASSIGNED, 5002, 3);
	ev(DMM_EV_ATTACH, 6000, 4);       /* done after the tracking window */
	ev(DMM_EV_HOA_ASSIGNED, 6000 + METRICS_TRACK_MS + 1, 4);
	p = page(false);
	has(p, "# TYPE dmm_handover_step_duration_seconds histogram\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"hoa_assigned\",le=\"0.001\"} 0\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"hoa_assigned\",le=\"0.0025\"} 1\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"hoa_assigned\",le=\"0.005\"} 2\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"hoa_assigned\",le=\"+Inf\"} 2\n");
	has(p, "dmm_handover_step_duration_seconds_sum{step=\"hoa_assigned\"} 0.005\n");
	has(p, "dmm_handover_step_duration_seconds_count{step=\"hoa_assigned\"} 2\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"loc_updated\",le=\"0.1\"} 0\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"loc_updated\",le=\"0.25\"} 1\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"ctx_acked\",le=\"0.025\"} 0\n");
	has(p, "dmm_handover_step_duration_seconds_bucket{step=\"ctx_acked\",le=\"0.05\"} 1\n");
	has(p, "dmm_handover_step_duration_seconds_count{step=\"ctx_acked\"} 1\n");
	has(p, "dmm_handover_step_duration_seconds_sum{step=\"ctx_acked\"} 0.030\n");
	has(p, "dmm_events_total{event=\"attach\"} 4\n");
	has(p, "dmm_events_total{event=\"ctx_acked\"} 2\n");
	free(p);
}

/* Far more attaches than tracked at once: the oldest are forgotten, the
 * newest still timed; nothing is written out of bounds (ASan). */
static void test_many_attaches(void **state)
{
	char *p;

	for (unsigned i = 0; i < 3 * METRICS_TRACK; i++)
		ev(DMM_EV_ATTACH, 100000 + i, 10 + i % 200);
	ev(DMM_EV_LOC_UPDATED, 100000 + 3 * METRICS_TRACK, 10 + (3 * METRICS_TRACK - 1) % 200);
	ev(DMM_EV_LOC_UPDATED, 100000 + 3 * METRICS_TRACK, 10);
	p = page(false);
	has(p, "dmm_handover_step_duration_seconds_count{step=\"loc_updated\"} 2\n");
	free(p);
}

static void test_formats(void **state)
{
	char *p = page(false), *o = page(true);

	/* Prometheus 0.0.4: family named as its samples, no # EOF */
	has(p, "# HELP dmm_messages_received_total Signalling messages received (dmmctl "
	       "counter rx)\n# TYPE dmm_messages_received_total counter\n"
	       "dmm_messages_received_total 0\n");
	has(p, "# TYPE dmm_node_info gauge\n");
	has(p, "dmm_node_info{node=\"mr\\\"x\",address=\"2001:db8:ff::11\",local_network=\"a\","
	       "roles=\"mr\"} 1\n");
	has(p, "dmm_messages_dropped_total{reason=\"auth\"} 0\n");
	has(p, "dmm_table_limit{table=\"mns\"} ");
	has(p, "dmm_table_entries{table=\"metrics_clients\"} 0\n");
	assert_null(strstr(p, "# EOF"));
	assert_null(strstr(p, "dmm_dataplane_info")); /* no data plane here */
	/* OpenMetrics: counter families without _total, info type, le floats */
	has(o, "# TYPE dmm_messages_received counter\ndmm_messages_received_total 0\n");
	has(o, "# TYPE dmm_node info\ndmm_node_info{");
	has(o, "le=\"1.0\"} ");
	has(o, "le=\"0.0025\"} ");
	assert_null(strstr(o, "le=\"1\""));
	assert_int_equal(strcmp(o + strlen(o) - 6, "# EOF\n"), 0);
	/* every family once, HELP before TYPE */
	for (const char *l = p; (l = strstr(l, "# TYPE ")) != NULL; l++) {
		char name[128], again[140];
		assert_int_equal(sscanf(l, "# TYPE %127s", name), 1);
		snprintf(again, sizeof(again), "# TYPE %s ", name);
		assert_ptr_equal(strstr(p, again), l);
		snprintf(again, sizeof(again), "# HELP %s ", name);
		assert_non_null(strstr(p, again));
	}
	free(p);
	free(o);
}

/* The peer families list the peers of dmmctl show peers with its roles
 * (daemon/peers.c): an LM+HAA, an MR its network lists (mr:NET, not a bare
 * mr), a pool's anchor no network lists (mr), never this node itself. */
static void test_peer_roles(void **state)
{
	struct dmm_config saved = d.conf.core;
	struct dmm_network *n = &d.conf.core.nets[0];
	char *p;

	inet_pton(AF_INET6, "2001:db8:ff::12", &n->mrs[n->n_mrs++]);
	inet_pton(AF_INET6, "2001:db8:ff::11", &n->mrs[n->n_mrs++]); /* self */
	d.conf.core.pools[d.conf.core.n_pools] = d.conf.core.pools[0];
	inet_pton(AF_INET6, "2001:db8:ff::13", &d.conf.core.pools[d.conf.core.n_pools++].mr);
	p = page(false);
	has(p, "dmm_peer_messages_received_total{peer=\"2001:db8:ff::1\",role=\"lm:a,haa:a\"} 0\n"
	       "dmm_peer_messages_received_total{peer=\"2001:db8:ff::12\",role=\"mr:a\"} 0\n"
	       "dmm_peer_messages_received_total{peer=\"2001:db8:ff::13\",role=\"mr\"} 0\n");
	assert_null(strstr(p, "peer=\"2001:db8:ff::11\""));
	free(p);
	d.conf.core = saved;
}

/* Every data-plane counter on the page once, under the name and with the
 * dmmctl counter its HELP names (daemon/dpcounters.c, shared with dmmctl
 * show counters). */
static void test_every_dp_counter(void **state)
{
	char want[200], *p;

	fake_dp = true;
	p = page(false);
	fake_dp = false;
	for (unsigned i = 0; i < DP_NSTATS; i++) {
		snprintf(want, sizeof(want), " %u\n", 7000000 + i);
		const char *at = strstr(p, want);
		if (!at)
			fail_msg("dp_stats field %u (value %u) not on the page", i, 7000000 + i);
		assert_null(strstr(at + 1, want));
	}
	has(p, "# HELP dmm_dataplane_held_bytes Bytes held now in every hold queue (dmmctl "
	       "counter dp_held_bytes)\n# TYPE dmm_dataplane_held_bytes gauge\n"
	       "dmm_dataplane_held_bytes 7000023\n");
	has(p, "# TYPE dmm_dataplane_misses_total counter\ndmm_dataplane_misses_total 7000000\n");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_many_attaches),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_peer_roles),
		cmocka_unit_test(test_every_dp_counter),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
