/* dmmd: an anycast gateway MR (draft section 5; dmmd.conf(5) mr { anycast }).
 *
 * The gateway announces the aggregate of the domain's home prefixes
 * through whatever routing daemon runs beside it, and tells it only through
 * the kernel: while healthy it keeps the route "PREFIX dev TUN proto
 * <dataplane protocol>" in the main table (dp_announce), and the routing
 * daemon exports the kernel routes of that protocol (BIRD: a kernel
 * protocol with `learn` importing krt_source = 177, exported to OSPF).
 *
 * Healthy: the local network's LM answered a liveness probe
 * (dmm_node_probe, a LOC_QUERY it answers itself) at most anycast-dead
 * ago. A probe is sent every anycast-probe, and retransmitted by the node
 * like any request; the route is renewed at each probe while healthy,
 * with an expiry of anycast-probe + anycast-dead, so a dmmd that hangs is
 * withdrawn by the kernel too. Withdrawn: as soon as the last answer is
 * older than anycast-dead, at exit (dp_close), and in a crash with the TUN
 * device (the route's device goes when dmmd's descriptor closes). */
#include <arpa/inet.h>
#include <string.h>
#include <syslog.h>

#include "dmmd.h"
#include "log.h"

#ifndef DMM_NO_DP

static bool healthy(const struct dmmd *d)
{
	dmm_time_t t = dmm_node_probe_answered(d->node);

	return t != DMM_TIME_NEVER && t <= d->now && d->now - t <= d->conf.anycast_dead_ms;
}

static void announce(struct dmmd *d, bool on)
{
	uint32_t expires_s = (d->conf.anycast_probe_ms + d->conf.anycast_dead_ms + 999) / 1000;
	char p[DMM_PREFIX_STRLEN];

	for (unsigned i = 0; i < d->conf.n_anycast; i++) {
		int rc = dp_announce(d->dp, &d->conf.anycast[i], on, expires_s);
		if (rc < 0)
			log_ratelimited(LOG_WARNING, "anycast: cannot %s %s: %s",
					on ? "announce" : "withdraw",
					dmm_prefix_str(&d->conf.anycast[i], p, sizeof(p)),
					strerror(-rc));
	}
}

void anycast_timer(struct dmmd *d)
{
	const struct dmm_config *c = &d->conf.core;
	bool probed = false, h;

	if (!d->dp || !d->node || d->conf.n_anycast == 0)
		return;
	if (d->now >= d->anycast.next_probe) {
		int rc = dmm_node_probe(d->node, &c->nets[c->local_net].lm, d->now);
		if (rc < 0)
			log_ratelimited(LOG_WARNING, "anycast: cannot probe the LM: %s",
					dmm_strerror(rc));
		d->anycast.next_probe = d->now + d->conf.anycast_probe_ms;
		probed = true;
	}
	h = healthy(d);
	if (h != d->anycast.up) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &c->nets[c->local_net].lm, a, sizeof(a));
		if (h)
			log_info("anycast: LM %s answers: announcing %u prefix%s", a,
				 d->conf.n_anycast, d->conf.n_anycast == 1 ? "" : "es");
		else
			log_warnx("anycast: LM %s silent for more than %ums: withdrawing", a,
				  d->conf.anycast_dead_ms);
		d->anycast.up = h;
		d->anycast.changes++;
		announce(d, h);
	} else if (h && probed) {
		announce(d, true); /* renew the expiry */
	}
}

dmm_time_t anycast_deadline(const struct dmmd *d)
{
	dmm_time_t t, dead;

	if (!d->dp || !d->node || d->conf.n_anycast == 0)
		return DMM_TIME_NEVER;
	t = d->anycast.next_probe;
	dead = dmm_node_probe_answered(d->node);
	if (d->anycast.up && dead != DMM_TIME_NEVER && dead + d->conf.anycast_dead_ms + 1 < t)
		t = dead + d->conf.anycast_dead_ms + 1;
	return t;
}

#else

void anycast_timer(struct dmmd *d) { (void)d; }
dmm_time_t anycast_deadline(const struct dmmd *d) { (void)d; return DMM_TIME_NEVER; }

#endif
