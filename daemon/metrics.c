/* dmmd: the Prometheus metrics endpoint (`metrics [::1]:9442`, off by
 * default). A minimal HTTP/1.x server on the daemon's own poll loop: GET
 * (or HEAD) /metrics answers the Prometheus text format 0.0.4, or
 * OpenMetrics 1.0.0 when the scraper's Accept header asks for it; then the
 * connection is closed. Like the control socket, every client is served
 * non-blocking with bounded buffers and deadlines, at most METRICS_CLIENTS
 * at a time: a scraper that sends nothing, trickles its request or never
 * reads its answer costs a slot until its deadline, never a wait.
 *
 * What it exports (dmmd(8), METRICS): every counter of `dmmctl show
 * counters` (each HELP text names the dmmctl counter), every table's size
 * and limit, the per-peer signalling and tunnel counters of `dmmctl show
 * peers`, the node, its roles and its data-plane driver as info metrics,
 * and the handover steps the event log times as histograms (seconds from an
 * MN's attach at this MR to its HoA, its location update and the context
 * transfer's acknowledgement by the previous MR). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dmmd.h"
#include "log.h"
#include "metrics.h"
#include "roles.h"
#include "stream.h"

#define METRICS_REQ_MAX 4096        /* request line and headers */
#define METRICS_READ_MS 3000        /* the whole request within, from accept */
#define METRICS_WRITE_MS 5000       /* the whole answer within */
#define METRICS_OUT_MAX (4u << 20)  /* a larger page is refused (500) */
#define METRICS_TRACK 64            /* attaches timed at once */
#define METRICS_TRACK_MS 60000      /* an attach not completed by then is forgotten */

/* Histogram buckets (seconds): a LAN handover takes milliseconds, a lossy
 * one retransmissions of seconds. */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				  0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* The steps timed from an MN's attach (DMM_EV_ATTACH) at this MR. */
enum { STEP_HOA, STEP_LOC, STEP_CTX, STEP_COUNT };
static const char *const step_names[STEP_COUNT] = { "hoa_assigned", "loc_updated", "ctx_acked" };
static const enum dmm_event_kind step_events[STEP_COUNT] = {
	DMM_EV_HOA_ASSIGNED, DMM_EV_LOC_UPDATED, DMM_EV_CTX_ACKED };

struct histogram {
	uint64_t bucket[NBUCKETS]; /* not cumulative; summed when written */
	uint64_t count;
	uint64_t sum_ms;
};

struct attach_track {
	bool used;
	struct dmm_mnid mnid;
	dmm_time_t t0;
	unsigned done; /* bit per step observed */
};

struct metrics_client {
	bool used, writing;
	int fd;
	dmm_time_t deadline;
	size_t in_len;
	char in[METRICS_REQ_MAX];
	struct buf out;
	size_t out_off;
};

struct dmmd_metrics {
	int fd;
	struct metrics_client c[METRICS_CLIENTS];
	uint64_t scrapes, refused, timeouts, bad_requests;
	uint64_t events[DMM_EV_KIND_COUNT];
	struct histogram step[STEP_COUNT];
	struct attach_track track[METRICS_TRACK];
	double start_wall_s;
};

/* ---------------------------------------------------------------- events */

static void observe(struct histogram *h, dmm_time_t ms)
{
	for (unsigned i = 0; i < NBUCKETS; i++)
		if ((double)ms / 1000.0 <= buckets[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum_ms += ms;
}

static bool mnid_eq(const struct dmm_mnid *a, const struct dmm_mnid *b)
{
	return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

void metrics_event(struct dmmd *d, const struct dmm_event *ev)
{
	struct dmmd_metrics *m = d->metrics;
	struct attach_track *t, *slot = NULL;

	if (!m)
		return;
	if ((unsigned)ev->kind < DMM_EV_KIND_COUNT)
		m->events[ev->kind]++;
	if (ev->mnid.len == 0)
		return;
	for (unsigned i = 0; i < METRICS_TRACK; i++) {
		t = &m->track[i];
		if (t->used && ev->t - t->t0 > METRICS_TRACK_MS)
			t->used = false;
		if (t->used && mnid_eq(&t->mnid, &ev->mnid)) {
			slot = t;
			break;
		}
	}
	if (ev->kind == DMM_EV_ATTACH) {
		/* a new attach (or a restart of one) times from here: reuse
		 * the MN's slot, else a free one, else the oldest */
		for (unsigned i = 0; i < METRICS_TRACK && !slot; i++)
			if (!m->track[i].used)
				slot = &m->track[i];
		for (unsigned i = 0; i < METRICS_TRACK && !slot; i++)
			if (!slot || m->track[i].t0 < slot->t0)
				slot = &m->track[i];
		if (!slot)
			slot = &m->track[0];
		*slot = (struct attach_track){ .used = true, .mnid = ev->mnid, .t0 = ev->t };
		return;
	}
	if (!slot)
		return;
	for (unsigned s = 0; s < STEP_COUNT; s++)
		if (ev->kind == step_events[s] && !(slot->done & (1u << s))) {
			slot->done |= 1u << s;
			observe(&m->step[s], ev->t - slot->t0);
		}
	if (slot->done == (1u << STEP_COUNT) - 1)
		slot->used = false;
}

/* ---------------------------------------------------------------- text format */

/* One page being written: Prometheus 0.0.4 text, or OpenMetrics. */
struct page {
	struct buf *b;
	bool om;
	const char *labels; /* the family's current label set (for sample) */
};

/* A family's HELP and TYPE. name is the family name: for a counter without
 * its _total (OpenMetrics names the family so, Prometheus 0.0.4 the
 * sample), for an info metric without _info. */
static void family(struct page *pg, const char *name, const char *type, const char *help)
{
	const char *suffix = "";

	if (!pg->om && !strcmp(type, "counter"))
		suffix = "_total";
	if (!pg->om && !strcmp(type, "info")) {
		suffix = "_info";
		type = "gauge";
	}
	buf_printf(pg->b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix,
		   type);
}

/* Label value escaping: backslash, double quote, newline. */
static void label_value(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_put(b, "\\n", 2);
		else
			buf_put(b, v, 1);
	}
}

/* name{k1="v1",k2="v2"} value. labels: NULL-terminated key, value pairs. */
static void sample_lv(struct page *pg, const char *name, const char *suffix,
		      const char *const *labels, const char *value)
{
	buf_printf(pg->b, "%s%s", name, suffix);
	if (labels && labels[0]) {
		buf_put(pg->b, "{", 1);
		for (unsigned i = 0; labels[i]; i += 2) {
			buf_printf(pg->b, "%s%s=\"", i ? "," : "", labels[i]);
			label_value(pg->b, labels[i + 1]);
			buf_put(pg->b, "\"", 1);
		}
		buf_put(pg->b, "}", 1);
	}
	buf_printf(pg->b, " %s\n", value);
}

static void sample_u(struct page *pg, const char *name, const char *suffix,
		     const char *const *labels, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	sample_lv(pg, name, suffix, labels, s);
}

static void counter1(struct page *pg, const char *name, const char *help, uint64_t v)
{
	family(pg, name, "counter", help);
	sample_u(pg, name, "_total", NULL, v);
}

static void gauge1(struct page *pg, const char *name, const char *help, uint64_t v)
{
	family(pg, name, "gauge", help);
	sample_u(pg, name, "", NULL, v);
}

/* ---------------------------------------------------------------- the node's counters */

/* Each dmmctl counter's metric: family name and help. The drop_* counters
 * are one family with a reason label. A counter the table does not know
 * (added to the core later) is still exported, as dmm_NAME. */
struct cinfo {
	const char *name, *help;
};

static const struct cinfo core_counters[DMM_C_COUNT] = {
	[DMM_C_RX] = { "dmm_messages_received", "Signalling messages received" },
	[DMM_C_TX] = { "dmm_messages_sent", "Signalling messages sent" },
	[DMM_C_DUP_REQUEST] = { "dmm_duplicate_requests",
				"Retransmitted requests answered from the reply cache" },
	[DMM_C_RETRANSMIT] = { "dmm_retransmissions", "Requests sent again" },
	[DMM_C_TIMEOUT] = { "dmm_request_timeouts", "Requests that got no reply after every retry" },
	[DMM_C_TABLE_FULL] = { "dmm_table_full", "Entries refused by a full table" },
	[DMM_C_NOMEM] = { "dmm_out_of_memory", "Allocations that failed" },
	[DMM_C_ATTACH] = { "dmm_attaches", "MN attaches seen by this MR" },
	[DMM_C_DETACH] = { "dmm_detaches", "MN detaches (link loss) seen by this MR" },
	[DMM_C_HANDOVER] = { "dmm_handovers", "Handovers of MNs to this MR" },
	[DMM_C_MISS] = { "dmm_misses", "Packets to a prefix with no known location" },
	[DMM_C_QUERY] = { "dmm_queries", "Location queries" },
	[DMM_C_REDIRECT] = { "dmm_redirects", "Redirects" },
	[DMM_C_NOTIFY] = { "dmm_notifies", "LM location notifications" },
	[DMM_C_LM_FORWARD] = { "dmm_lm_forwards", "Requests forwarded between LMs" },
	[DMM_C_HOA_ALLOC] = { "dmm_hoa_allocations", "Home network prefixes allocated" },
	[DMM_C_HOA_RELEASE] = { "dmm_hoa_releases", "Home network prefixes released" },
	[DMM_C_LEASE_EXPIRED] = { "dmm_leases_expired", "HAA leases expired" },
	[DMM_C_BINDING_EXPIRED] = { "dmm_bindings_expired", "LM bindings expired" },
	[DMM_C_CACHE_EXPIRED] = { "dmm_cache_entries_expired", "Location cache entries expired" },
	[DMM_C_CTX_CREATED] = { "dmm_contexts_created", "Handover contexts created" },
	[DMM_C_CTX_DELETED] = { "dmm_contexts_deleted", "Handover contexts deleted" },
	[DMM_C_REFRESH_DEFERRED] = { "dmm_refreshes_deferred",
				     "Refreshes postponed because the refresh budget was spent" },
	[DMM_C_REFRESH_RETRY] = { "dmm_refresh_retries",
				  "Refreshes sent again after a timeout, within the lifetime" },
	[DMM_C_ATTACH_LIMITED] = { "dmm_attaches_limited",
				   "Attaches refused by the per-link attach rate limit" },
	[DMM_C_ANCHOR_EXPIRED] = { "dmm_anchors_expired",
				   "Anchored prefixes bound nowhere any more, released" },
	[DMM_C_CACHE_EVICTED] = { "dmm_cache_entries_evicted",
				  "Location cache entries evicted by a full cache" },
	[DMM_C_ATTACH_CONFLICT] = { "dmm_attach_conflicts",
				    "Attaches refused: the MN is attached on another live link" },
	[DMM_C_CTX_RELAY] = { "dmm_context_relays",
			      "Context requests an LM relayed to a pMR for a querying nMR" },
	[DMM_C_LOC_UPDATE_DEPARTURE] = { "dmm_location_updates_at_departure",
					 "Location updates sent at an MN's first departure "
					 "(lm-update-on-attach no)" },
	[DMM_C_ATTACH_DENIED] = { "dmm_attaches_denied",
				  "Attaches refused by the authorization list (mr authorize)" },
	[DMM_C_FAILOVER] = { "dmm_failovers",
			     "Requests sent on to the next LM or HAA of a network after a timeout" },
	[DMM_C_LM_SYNC] = { "dmm_lm_syncs",
			    "Binding changes an LM sent to the other LMs of its network" },
	[DMM_C_LM_STORE_REFUSED] = { "dmm_lm_store_refused",
				     "LM updates refused (queries dropped while loading): the "
				     "shared binding store was unreachable (lm store redis)" },
};

static void node_counters(struct page *pg, struct dmmd *d)
{
	char help[160], fam[64];
	const char *lab[3] = { "reason", NULL, NULL };

	family(pg, "dmm_messages_dropped", "counter",
	       "Signalling messages dropped, by reason (dmmctl counters drop_REASON)");
	for (int c = 0; c < DMM_C_COUNT; c++) {
		const char *n = dmm_counter_name((enum dmm_counter)c);
		if (strncmp(n, "drop_", 5) != 0)
			continue;
		lab[1] = n + 5;
		sample_u(pg, "dmm_messages_dropped", "_total", lab,
			 dmm_node_counter(d->node, (enum dmm_counter)c));
	}
	for (int c = 0; c < DMM_C_COUNT; c++) {
		const char *n = dmm_counter_name((enum dmm_counter)c);
		const struct cinfo *ci = &core_counters[c];
		if (!strncmp(n, "drop_", 5))
			continue;
		snprintf(fam, sizeof(fam), "dmm_%s", n);
		snprintf(help, sizeof(help), "%s (dmmctl counter %s)",
			 ci->help ? ci->help : "Node counter", n);
		counter1(pg, ci->name ? ci->name : fam, help,
			 dmm_node_counter(d->node, (enum dmm_counter)c));
	}
}

/* lm { store redis }: the connection and its traffic (dmmctl show store). */
static void redis_metrics(struct page *pg, struct dmmd *d)
{
	enum rstore_state st;
	uint64_t inflight;
	unsigned held;
	const struct rstore_stats *rs = rstore_stats(d, &st, &inflight, &held);

	if (rs == NULL)
		return;
	gauge1(pg, "dmm_lm_store_up", "1 while the shared binding store is connected and in "
	       "step, dmmctl show store: state up (dmmctl counter redis_up)", st == RSTORE_UP);
	gauge1(pg, "dmm_lm_store_writes_in_flight", "Binding writes sent to the store, not yet "
	       "acknowledged", inflight);
	gauge1(pg, "dmm_lm_store_replies_held", "Replies waiting for their writes", held);
	counter1(pg, "dmm_lm_store_connects", "Connection attempts to the store (dmmctl counter "
		 "redis_connects)", rs->connects);
	counter1(pg, "dmm_lm_store_writes", "Binding writes the store acknowledged (dmmctl counter "
		 "redis_writes)", rs->writes);
	counter1(pg, "dmm_lm_store_applied", "Binding changes made through other front ends, "
		 "applied here (dmmctl counter redis_applied)", rs->applied);
	counter1(pg, "dmm_lm_store_held", "Replies held until their writes were acknowledged "
		 "(dmmctl counter redis_held)",
		 rs->held);
	counter1(pg, "dmm_lm_store_held_dropped", "Held replies dropped (the store failed, or "
		 "too many waited) (dmmctl counter redis_held_dropped)", rs->held_dropped);
	counter1(pg, "dmm_lm_store_unacked_dropped", "Writes in flight when the store's "
		 "connection failed: their replies were never sent (dmmctl counter "
		 "redis_unacked_dropped)", rs->unacked_dropped);
	gauge1(pg, "dmm_lm_store_sync_milliseconds", "How long the last full read of the store took (ms)",
	       rs->sync_ms);
}

static void daemon_counters(struct page *pg, struct dmmd *d)
{
	const struct dmmd_stats *s = &d->st;
	struct dmmd_metrics *m = d->metrics;
	struct dp_stats ds;

	counter1(pg, "dmm_socket_send_errors", "Signalling sends that failed (dmmctl counter "
		 "sock_send_errors)", s->send_errors);
	counter1(pg, "dmm_socket_receive_errors", "Signalling receives that failed (dmmctl "
		 "counter sock_recv_errors)", s->recv_errors);
	counter1(pg, "dmm_control_requests", "Control socket requests (dmmctl counter "
		 "ctl_requests)", s->ctl_requests);
	counter1(pg, "dmm_control_refused", "Control clients refused: too many at once (dmmctl "
		 "counter ctl_refused)", s->ctl_refused);
	counter1(pg, "dmm_control_timeouts", "Control clients closed past their deadline "
		 "(dmmctl counter ctl_timeouts)", s->ctl_timeouts);
	counter1(pg, "dmm_events_logged", "Events written to the event log (dmmctl counter "
		 "events_logged)", s->ev_written);
	counter1(pg, "dmm_store_writes", "Lease records written to the state store (dmmctl "
		 "counter store_writes)", s->store_writes);
	counter1(pg, "dmm_store_errors", "State store operations that failed (dmmctl counter "
		 "store_errors)", s->store_errors);
	counter1(pg, "dmm_store_restored", "Lease records restored from the state store at start "
		 "(dmmctl counter store_restored)", s->store_restored);
	redis_metrics(pg, d);
	counter1(pg, "dmm_monitor_events", "Events queued to dmmctl monitor clients (dmmctl "
		 "counter monitor_events)", s->mon_events);
	counter1(pg, "dmm_monitor_dropped_events", "Events not queued to a monitor whose buffer "
		 "was full (dmmctl counter monitor_dropped)", s->mon_dropped);
	counter1(pg, "dmm_monitor_closed", "Monitors closed because they did not read in time "
		 "(dmmctl counter monitor_closed)", s->mon_closed);
	unsigned mons = 0;
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		mons += d->ctl[i].used && d->ctl[i].monitor;
	gauge1(pg, "dmm_monitors", "dmmctl monitor clients connected now (dmmctl counter "
	       "monitors)", mons);
	struct dmm_node_usage u;
	dmm_node_usage(d->node, &u);
	gauge1(pg, "dmm_requests_in_flight", "Signalling requests sent and not yet answered or "
	       "given up (dmmctl counter requests_in_flight)", u.pending);
	char when[32];
	snprintf(when, sizeof(when), "%lld.%03ld", (long long)d->ctr_reset.tv_sec,
		 d->ctr_reset.tv_nsec / 1000000);
	family(pg, "dmm_counters_cleared_time_seconds", "gauge", "When dmmctl clear counters "
	       "last ran, seconds since the epoch, 0 if never; it clears dmmctl's view only, "
	       "never these counters (dmmctl counter counters_reset_time)");
	sample_lv(pg, "dmm_counters_cleared_time_seconds", "", NULL,
		  d->ctr_reset.tv_sec ? when : "0");
	counter1(pg, "dmm_metrics_scrapes", "Metrics pages served", m->scrapes);
	counter1(pg, "dmm_metrics_refused", "Metrics clients refused: too many at once",
		 m->refused);
	counter1(pg, "dmm_metrics_timeouts", "Metrics clients closed past their deadline",
		 m->timeouts);
	counter1(pg, "dmm_metrics_bad_requests", "Metrics requests answered with an error status",
		 m->bad_requests);
	if (!dmmd_dp_stats(d, &ds))
		return;
	for (const struct dmmd_dp_counter *k = dmmd_dp_counters;
	     k < dmmd_dp_counters + dmmd_n_dp_counters; k++) {
		char help[200];
		snprintf(help, sizeof(help), "%s (dmmctl counter %s)", k->help, k->ctl);
		(k->gauge ? gauge1 : counter1)(pg, k->metric, help, dmmd_dp_counter(&ds, k));
	}
	gauge1(pg, "dmm_dataplane_hold_limit_bytes", "Bytes every hold queue together may hold "
	       "(dataplane hold-memory)", d->conf.dp_hold_memory);
	gauge1(pg, "dmm_dataplane_hold_limit_packets", "Packets held per prefix at most "
	       "(dataplane hold-limit)", d->conf.dp_hold_limit);
}

/* ---------------------------------------------------------------- tables */

struct table_count {
	uint64_t n;
	uint64_t by_state[8];
	uint64_t sub; /* bindings: subscribers in all */
};

static void cnt_mn(void *ctx, const struct dmm_mn_view *v)
{
	struct table_count *t = ctx;

	t->n++;
	t->by_state[(unsigned)v->state & 7]++;
}

static void cnt_cache(void *ctx, const struct dmm_cache_view *v)
{
	struct table_count *t = ctx;

	t->n++;
	t->by_state[(unsigned)v->state & 7]++;
}

static void cnt_ho(void *ctx, const struct dmm_ho_view *v)
{
	struct table_count *t = ctx;

	t->n++;
	t->by_state[(unsigned)v->state & 7]++;
}

static void cnt_binding(void *ctx, const struct dmm_binding_view *v)
{
	struct table_count *t = ctx;

	t->n++;
	t->sub += v->n_subscribers;
}

static void cnt_lease(void *ctx, const struct dmm_lease_view *v)
{
	struct table_count *t = ctx;

	t->n++;
}

struct table_row {
	const char *table;
	uint64_t n, max;
};

static void by_state(struct page *pg, const char *name, const char *help,
		     const struct table_count *t, const char *(*state_name)(int), int n_states)
{
	const char *lab[3] = { "state", NULL, NULL };

	family(pg, name, "gauge", help);
	for (int s = 0; s < n_states; s++) {
		lab[1] = state_name(s);
		sample_u(pg, name, "", lab, t->by_state[s & 7]);
	}
}

static const char *mn_state(int s) { return dmm_mn_state_name((enum dmm_mn_state)s); }
static const char *cache_state(int s) { return dmm_cache_state_name((enum dmm_cache_state)s); }
static const char *ho_state(int s) { return dmm_ho_state_name((enum dmm_ho_state)s); }

static void tables(struct page *pg, struct dmmd *d)
{
	const struct dmm_limits *l = &d->conf.core.limits;
	unsigned roles = d->conf.core.roles;
	struct table_count mn = { 0 }, cache = { 0 }, ho = { 0 }, bind = { 0 }, lease = { 0 };
	struct table_row row[16];
	struct dmm_node_usage u;
	unsigned n = 0, peers = 0, ctl = 0, met = 0;
	const char *lab[3] = { "table", NULL, NULL };

	dmm_node_usage(d->node, &u);
	for (unsigned i = 0; i < DMMD_MAX_PEERS; i++)
		peers += d->peers[i].used;
	for (unsigned i = 0; i < DMMD_CTL_CLIENTS; i++)
		ctl += d->ctl[i].used;
	for (unsigned i = 0; i < METRICS_CLIENTS; i++)
		met += d->metrics->c[i].used;
	if (roles & DMM_ROLE_MR) {
		dmm_mr_foreach_mn(d->node, cnt_mn, &mn);
		dmm_mr_foreach_cache(d->node, cnt_cache, &cache);
		dmm_mr_foreach_handover(d->node, cnt_ho, &ho);
		row[n++] = (struct table_row){ "mns", mn.n, l->max_mns };
		row[n++] = (struct table_row){ "cache", cache.n, l->max_cache };
		row[n++] = (struct table_row){ "handover_contexts", ho.n, l->max_handovers };
	}
	if (roles & DMM_ROLE_LM) {
		dmm_lm_foreach_binding(d->node, cnt_binding, &bind);
		row[n++] = (struct table_row){ "bindings", bind.n, l->max_bindings };
	}
	if (roles & DMM_ROLE_HAA) {
		dmm_haa_foreach_lease(d->node, cnt_lease, &lease);
		row[n++] = (struct table_row){ "leases", lease.n, l->max_leases };
	}
	row[n++] = (struct table_row){ "pending_requests", u.pending, u.pending_max };
	row[n++] = (struct table_row){ "replay_peers", u.replay, u.replay_max };
	row[n++] = (struct table_row){ "reply_cache", u.replies, u.replies_max };
	row[n++] = (struct table_row){ "signalling_peers", peers, DMMD_MAX_PEERS };
	row[n++] = (struct table_row){ "control_clients", ctl, DMMD_CTL_CLIENTS };
	row[n++] = (struct table_row){ "metrics_clients", met, METRICS_CLIENTS };

	family(pg, "dmm_table_entries", "gauge", "Entries in use in each table (mns, cache, "
	       "handover_contexts: MR; bindings: LM; leases: HAA; the node's and the daemon's own)");
	for (unsigned i = 0; i < n; i++) {
		lab[1] = row[i].table;
		sample_u(pg, "dmm_table_entries", "", lab, row[i].n);
	}
	family(pg, "dmm_table_limit", "gauge", "Entries each table holds at most (dmmd.conf limits)");
	for (unsigned i = 0; i < n; i++) {
		lab[1] = row[i].table;
		sample_u(pg, "dmm_table_limit", "", lab, row[i].max);
	}
	if (roles & DMM_ROLE_MR) {
		by_state(pg, "dmm_mns", "Attached MNs by state (dmmctl show mns)", &mn, mn_state,
			 DMM_MN_FAILED + 1);
		by_state(pg, "dmm_cache_entries", "Location cache entries by state (dmmctl show "
			 "cache)", &cache, cache_state, DMM_CACHE_DEPARTED + 1);
		by_state(pg, "dmm_handover_contexts", "Handover contexts by state; holding: "
			 "packets held for a departed MN (dmmctl show handovers)", &ho, ho_state,
			 DMM_HO_DONE + 1);
	}
	if (d->authz)
		gauge1(pg, "dmm_authorized_mns", "MN identifiers on the authorization list "
		       "(mr authorize)", authz_count(d->authz));
	if (roles & DMM_ROLE_LM) {
		gauge1(pg, "dmm_lm_subscriptions", "Subscribers of every binding together", bind.sub);
		gauge1(pg, "dmm_lm_subscribers_per_binding_limit", "Subscribers one binding keeps "
		       "at most (limits max-subscribers)", l->max_subscribers);
	}
}

/* ---------------------------------------------------------------- peers */

/* A peer's labels: its address and its roles (as dmmctl show peers, joined
 * by commas; "" for none). */
struct peer_labels {
	char addr[INET6_ADDRSTRLEN];
	char role[PEER_ROLES_MAX * PEER_ROLE_LEN];
};

static void peer_labels(const struct dmm_config *c, const struct in6_addr *a,
			struct peer_labels *l)
{
	char r[PEER_ROLES_MAX][PEER_ROLE_LEN];
	unsigned n = peers_roles(c, a, r, PEER_ROLES_MAX);
	size_t off = 0;

	inet_ntop(AF_INET6, a, l->addr, sizeof(l->addr));
	l->role[0] = '\0';
	for (unsigned i = 0; i < n && off < sizeof(l->role); i++)
		off += (size_t)snprintf(l->role + off, sizeof(l->role) - off, "%s%s",
					i ? "," : "", r[i]);
}

static void peers(struct page *pg, struct dmmd *d)
{
	struct dp_peer_stats *tun = calloc(DP_MAX_PEERS + 1, sizeof(*tun));
	struct dmmd_peer_row *rows = calloc(PEERS_MAX, sizeof(*rows));
	struct peer_labels *lab = NULL;
	unsigned n, n_tun;
	bool any_tun = false;

	if (!tun || !rows) {
		pg->b->oom = true;
		goto out;
	}
	n_tun = (unsigned)dmmd_dp_peers(d, tun, DP_MAX_PEERS + 1);
	n = peers_list(d, tun, n_tun, rows, PEERS_MAX);
	if (n > 0 && !(lab = calloc(n, sizeof(*lab)))) {
		pg->b->oom = true;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		peer_labels(&d->conf.core, &rows[i].addr, &lab[i]);
	static const struct {
		const char *name, *help;
		int field; /* 0 rx, 1 rx_dropped, 2 tx */
	} sig[] = {
		{ "dmm_peer_messages_received", "Signalling messages received from the peer "
		  "(dmmctl show peers rx)", 0 },
		{ "dmm_peer_messages_dropped", "Signalling messages from the peer dropped "
		  "(dmmctl show peers rx_dropped)", 1 },
		{ "dmm_peer_messages_sent", "Signalling messages sent to the peer (dmmctl show "
		  "peers tx)", 2 },
	};
	for (unsigned f = 0; f < 3; f++) {
		family(pg, sig[f].name, "counter", sig[f].help);
		for (unsigned i = 0; i < n; i++) {
			const struct dmmd_peer *p = rows[i].sig;
			const char *l[] = { "peer", lab[i].addr, "role", lab[i].role, NULL };
			uint64_t v = !p ? 0 : sig[f].field == 0 ? p->rx : sig[f].field == 1
				? p->rx_dropped : p->tx;
			sample_u(pg, sig[f].name, "_total", l, v);
		}
	}
	for (unsigned i = 0; i < n; i++)
		any_tun |= rows[i].tun != NULL;
	if (!any_tun)
		goto out;
	static const struct {
		const char *name, *help;
	} tn[] = {
		{ "dmm_peer_tunnel_received_packets", "Packets decapsulated from the peer's tunnel "
		  "(dmmctl show peers tun_rx_packets; peer :: for a driver that counts no peer)" },
		{ "dmm_peer_tunnel_received_bytes", "Bytes decapsulated from the peer's tunnel "
		  "(dmmctl show peers tun_rx_bytes)" },
		{ "dmm_peer_tunnel_sent_packets", "Packets encapsulated to the peer (dmmctl show "
		  "peers tun_tx_packets)" },
		{ "dmm_peer_tunnel_sent_bytes", "Bytes encapsulated to the peer (dmmctl show "
		  "peers tun_tx_bytes)" },
	};
	for (unsigned f = 0; f < 4; f++) {
		family(pg, tn[f].name, "counter", tn[f].help);
		for (unsigned i = 0; i < n; i++) {
			const struct dp_peer_stats *t = rows[i].tun;
			const char *l[] = { "peer", lab[i].addr, "role", lab[i].role, NULL };
			if (!t)
				continue;
			sample_u(pg, tn[f].name, "_total", l, f == 0 ? t->rx_packets : f == 1
				 ? t->rx_bytes : f == 2 ? t->tx_packets : t->tx_bytes);
		}
	}
out:
	free(tun);
	free(rows);
	free(lab);
}

/* ---------------------------------------------------------------- info, histograms */

static void info(struct page *pg, struct dmmd *d)
{
	const struct dmm_config *c = &d->conf.core;
	char addr[INET6_ADDRSTRLEN], roles[16] = "";
	const char *why = NULL, *drv = dmmd_dp_driver(d, &why);
	char start[32];

	snprintf(roles, sizeof(roles), "%s%s%s%s%s", c->roles & DMM_ROLE_MR ? "mr" : "",
		 (c->roles & DMM_ROLE_MR) && (c->roles & (DMM_ROLE_LM | DMM_ROLE_HAA)) ? "," : "",
		 c->roles & DMM_ROLE_LM ? "lm" : "",
		 (c->roles & DMM_ROLE_LM) && (c->roles & DMM_ROLE_HAA) ? "," : "",
		 c->roles & DMM_ROLE_HAA ? "haa" : "");
	const char *lab[] = { "node", c->name, "address",
			      inet_ntop(AF_INET6, &c->self, addr, sizeof(addr)),
			      "local_network", c->local_net >= 0 && (unsigned)c->local_net < c->n_nets
			      ? c->nets[c->local_net].name : "",
			      "roles", roles, NULL };
	family(pg, "dmm_node", "info", "The node: its name, signalling address, local network "
	       "and roles");
	sample_lv(pg, "dmm_node", "_info", lab, "1");
	family(pg, "dmm_role", "gauge", "1 for each role this node runs (mr, lm, haa)");
	static const struct { unsigned bit; const char *name; } rl[] = {
		{ DMM_ROLE_MR, "mr" }, { DMM_ROLE_LM, "lm" }, { DMM_ROLE_HAA, "haa" } };
	for (unsigned i = 0; i < 3; i++) {
		const char *l2[] = { "role", rl[i].name, NULL };
		sample_u(pg, "dmm_role", "", l2, (c->roles & rl[i].bit) != 0);
	}
	if (drv) {
		const char *l3[] = { "driver", drv, "configured",
				     dmmd_dataplane_names[(unsigned)d->conf.dataplane & 3], NULL };
		family(pg, "dmm_dataplane", "info", "The data-plane driver in use (bpf, seg6 or "
		       "tun) and the one configured (dataplane auto chooses at start)");
		sample_lv(pg, "dmm_dataplane", "_info", l3, "1");
	}
	snprintf(start, sizeof(start), "%.3f", d->metrics->start_wall_s);
	family(pg, "dmm_start_time_seconds", "gauge", "When dmmd started, seconds since the epoch");
	sample_lv(pg, "dmm_start_time_seconds", "", NULL, start);
}

static void histograms(struct page *pg, struct dmmd *d)
{
	struct dmmd_metrics *m = d->metrics;
	const char *name = "dmm_handover_step_duration_seconds";

	family(pg, "dmm_events", "counter", "Handover and attach events, by kind (the event "
	       "log's event names)");
	for (unsigned e = 0; e < DMM_EV_KIND_COUNT; e++) {
		const char *lab[] = { "event", dmm_event_name((enum dmm_event_kind)e), NULL };
		sample_u(pg, "dmm_events", "_total", lab, m->events[e]);
	}
	family(pg, name, "histogram", "Time from an MN's attach at this MR to each step: "
	       "hoa_assigned (its prefix allocated or retrieved), loc_updated (the LM "
	       "acknowledged its location), ctx_acked (the previous MR acknowledged the "
	       "context transfer: the handover's end)");
	for (unsigned s = 0; s < STEP_COUNT; s++) {
		const struct histogram *h = &m->step[s];
		uint64_t cum = 0;
		char le[24], sum[32];
		for (unsigned i = 0; i <= NBUCKETS; i++) {
			if (i < NBUCKETS) {
				cum += h->bucket[i];
				snprintf(le, sizeof(le), "%g", buckets[i]);
				/* OpenMetrics wants le as a float: 1.0, not 1 */
				if (pg->om && !strpbrk(le, ".e"))
					strcat(le, ".0");
			} else {
				cum = h->count;
				snprintf(le, sizeof(le), "+Inf");
			}
			const char *lab[] = { "step", step_names[s], "le", le, NULL };
			sample_u(pg, name, "_bucket", lab, cum);
		}
		const char *lab[] = { "step", step_names[s], NULL };
		snprintf(sum, sizeof(sum), "%llu.%03llu", (unsigned long long)(h->sum_ms / 1000),
			 (unsigned long long)(h->sum_ms % 1000));
		sample_lv(pg, name, "_sum", lab, sum);
		sample_u(pg, name, "_count", lab, h->count);
	}
}

void metrics_render(struct dmmd *d, struct buf *b, bool openmetrics)
{
	struct page pg = { .b = b, .om = openmetrics };

	info(&pg, d);
	node_counters(&pg, d);
	daemon_counters(&pg, d);
	tables(&pg, d);
	peers(&pg, d);
	histograms(&pg, d);
	if (openmetrics)
		buf_put(b, "# EOF\n", 6);
}

/* ---------------------------------------------------------------- HTTP */

static void client_drop(struct metrics_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->out);
	*c = (struct metrics_client){ .fd = -1 };
}

static void respond(struct metrics_client *c, const char *status, const char *type,
		    const char *extra, const struct buf *body, bool head)
{
	buf_printf(&c->out, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n", status, type,
		   body ? body->len : 0, extra ? extra : "");
	if (body && body->len && !head)
		buf_put(&c->out, body->p, body->len);
}

static void respond_text(struct metrics_client *c, const char *status, const char *extra,
			 const char *text, bool head)
{
	struct buf b = { 0 };

	buf_printf(&b, "%s\n", text);
	respond(c, status, "text/plain; charset=utf-8", extra, &b, head);
	buf_free(&b);
}

/* The value of header name (case-insensitive) in the request's header
 * lines, copied to v (cap len); false if absent. */
static bool header(const char *req, const char *name, char *v, size_t len)
{
	size_t nl = strlen(name);
	const char *p = strchr(req, '\n');

	while (p && *++p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *s = p + nl + 1;
			while (*s == ' ' || *s == '\t')
				s++;
			size_t vl = (size_t)(p + ll - s);
			while (vl && (s[vl - 1] == '\r' || s[vl - 1] == ' '))
				vl--;
			snprintf(v, len, "%.*s", (int)vl, s);
			return true;
		}
		p = eol;
	}
	return false;
}

/* The request is complete: answer it. */
static void answer(struct dmmd *d, struct metrics_client *c)
{
	struct dmmd_metrics *m = d->metrics;
	char method[8], target[256], version[16], accept[512];
	bool head;

	c->in[c->in_len] = '\0';
	if (sscanf(c->in, "%7s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		m->bad_requests++;
		respond_text(c, "400 Bad Request", NULL, "bad request", false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") != 0 && !head) {
		m->bad_requests++;
		respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			     "only GET and HEAD", false);
		return;
	}
	char *q = strchr(target, '?');
	if (q)
		*q = '\0';
	if (!strcmp(target, "/")) {
		respond_text(c, "200 OK", NULL, "dmmd: the metrics are at /metrics", head);
		return;
	}
	if (strcmp(target, "/metrics") != 0) {
		m->bad_requests++;
		respond_text(c, "404 Not Found", NULL, "not found: the metrics are at /metrics",
			     head);
		return;
	}
	bool om = header(c->in, "Accept", accept, sizeof(accept)) &&
		  strstr(accept, "application/openmetrics-text") != NULL;
	struct buf body = { 0 };
	m->scrapes++;
	metrics_render(d, &body, om);
	if (body.oom || body.len > METRICS_OUT_MAX) {
		m->bad_requests++;
		respond_text(c, "500 Internal Server Error", NULL,
			     body.oom ? "out of memory" : "page too large", head);
	} else {
		respond(c, "200 OK", om ? "application/openmetrics-text; version=1.0.0; "
			"charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8", NULL, &body,
			head);
	}
	buf_free(&body);
}

static void start_writing(struct dmmd *d, struct metrics_client *c)
{
	if (c->out.oom) {
		buf_free(&c->out);
		buf_printf(&c->out, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
			   "Connection: close\r\n\r\n");
	}
	c->writing = true;
	c->deadline = dmmd_clock() + METRICS_WRITE_MS;
	shutdown(c->fd, SHUT_RD);
}

static bool http_head_end(const char *in, size_t len)
{
	return strstr(in, "\r\n\r\n") || strstr(in, "\n\n");
}

/* Read what the client sent; answer once the headers end. false: closed. */
static bool client_read(struct dmmd *d, struct metrics_client *c)
{
	switch (stream_read(c->fd, c->in, &c->in_len, sizeof(c->in), http_head_end)) {
	case STREAM_AGAIN:
		return true;
	case STREAM_DONE:
		answer(d, c);
		start_writing(d, c);
		return true;
	case STREAM_FULL:
		d->metrics->bad_requests++;
		respond_text(c, "431 Request Header Fields Too Large", NULL, "request too large",
			     false);
		start_writing(d, c);
		return true;
	case STREAM_EOF:
	case STREAM_ERROR:
		break;
	}
	client_drop(c); /* gone before its request was complete */
	return false;
}

static void client_write(struct metrics_client *c)
{
	if (buf_send(c->fd, &c->out, &c->out_off) != 0)
		client_drop(c); /* all sent, or the scraper is gone */
}

static void client_serve(struct dmmd *d, struct metrics_client *c)
{
	if (!c->writing && !client_read(d, c))
		return;
	if (c->writing)
		client_write(c);
}

/* stream_accept's take: a free slot, its read deadline, served at once. */
static bool client_take(void *ctx, int fd)
{
	struct dmmd *d = ctx;
	struct dmmd_metrics *m = d->metrics;
	struct metrics_client *c = NULL;

	for (unsigned k = 0; k < METRICS_CLIENTS && !c; k++)
		if (!m->c[k].used)
			c = &m->c[k];
	if (!c)
		return false;
	*c = (struct metrics_client){ .used = true, .fd = fd,
				      .deadline = dmmd_clock() + METRICS_READ_MS };
	client_serve(d, c);
	return true;
}

static void metrics_accept(struct dmmd *d)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";

	stream_accept(d->metrics->fd, METRICS_CLIENTS, "metrics", busy, sizeof(busy) - 1,
		      &d->metrics->refused, client_take, d);
}

/* ---------------------------------------------------------------- the loop's hooks */

int metrics_open(struct dmmd *d)
{
	const struct dmmd_conf *cf = &d->conf;
	struct dmmd_metrics *m;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	const struct sockaddr *sa;
	socklen_t salen;
	char where[INET6_ADDRSTRLEN + 10];
	struct timespec ts;
	int one = 1, fd;

	d->metrics = m = calloc(1, sizeof(*m));
	if (!m) {
		log_warnx("metrics: out of memory");
		return -1;
	}
	m->fd = -1;
	for (unsigned i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_wall_s = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
	if (!cf->metrics_family)
		return 0;
	parse_metrics_str(cf, where, sizeof(where));
	if (cf->metrics_family == AF_INET6) {
		s6.sin6_addr = cf->metrics_addr;
		s6.sin6_port = htons(cf->metrics_port);
		sa = (const struct sockaddr *)&s6;
		salen = sizeof(s6);
	} else {
		memcpy(&s4.sin_addr, &cf->metrics_addr.s6_addr[12], 4);
		s4.sin_port = htons(cf->metrics_port);
		sa = (const struct sockaddr *)&s4;
		salen = sizeof(s4);
	}
	fd = socket(cf->metrics_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("metrics %s: socket", where);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cf->metrics_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, salen) < 0 || listen(fd, 16) < 0) {
		log_warn("metrics %s: bind", where);
		close(fd);
		return -1;
	}
	m->fd = fd;
	log_info("metrics on http://%s/metrics", where);
	return 0;
}

void metrics_close(struct dmmd *d)
{
	struct dmmd_metrics *m = d->metrics;

	if (!m)
		return;
	for (unsigned i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].used)
			client_drop(&m->c[i]);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	d->metrics = NULL;
}

int metrics_pollfds(struct dmmd *d, struct pollfd *fds, int max)
{
	struct dmmd_metrics *m = d->metrics;
	int n = 0;

	if (!m || m->fd < 0 || max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = m->fd, .events = POLLIN };
	for (unsigned i = 0; i < METRICS_CLIENTS && n < max; i++)
		if (m->c[i].used)
			fds[n++] = (struct pollfd){ .fd = m->c[i].fd,
						    .events = m->c[i].writing ? POLLOUT : POLLIN };
	return n;
}

void metrics_dispatch(struct dmmd *d, const struct pollfd *fds, int n)
{
	struct dmmd_metrics *m = d->metrics;

	for (int k = 1; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (unsigned i = 0; i < METRICS_CLIENTS; i++)
			if (m->c[i].used && m->c[i].fd == fds[k].fd) {
				client_serve(d, &m->c[i]);
				break;
			}
	}
	if (n > 0 && fds[0].revents)
		metrics_accept(d);
}

dmm_time_t metrics_next_deadline(const struct dmmd *d)
{
	const struct dmmd_metrics *m = d->metrics;
	dmm_time_t t = DMM_TIME_NEVER;

	for (unsigned i = 0; m && i < METRICS_CLIENTS; i++)
		if (m->c[i].used && m->c[i].deadline < t)
			t = m->c[i].deadline;
	return t;
}

void metrics_timer(struct dmmd *d)
{
	struct dmmd_metrics *m = d->metrics;
	dmm_time_t now = dmmd_clock();

	for (unsigned i = 0; m && i < METRICS_CLIENTS; i++) {
		struct metrics_client *c = &m->c[i];
		if (!c->used || c->deadline > now)
			continue;
		m->timeouts++;
		log_ratelimited(LOG_DEBUG, "metrics: client %s, closed", c->writing
				? "does not read its answer" : "sent no complete request in time");
		client_drop(c);
	}
}
