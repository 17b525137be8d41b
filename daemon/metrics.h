/* dmmd: the Prometheus metrics endpoint (metrics.c), served from the main
 * loop like the control socket: the listener and its clients' pollfds, the
 * earliest client deadline, the event hook that times handover steps. */
#ifndef DMMD_METRICS_H
#define DMMD_METRICS_H

#include <poll.h>
#include <stdbool.h>

#include "buf.h"
#include "node.h"

#define METRICS_CLIENTS 8 /* scrapers served at once; one more gets 503 */

struct dmmd;

/* Set up the metrics state; listen on conf.metrics if set. 0 or -1. */
int metrics_open(struct dmmd *d);
void metrics_close(struct dmmd *d);
/* The listener and clients' pollfds (at most max; METRICS_CLIENTS + 1 is
 * enough), in that order; dispatch the same array after poll. */
int metrics_pollfds(struct dmmd *d, struct pollfd *fds, int max);
void metrics_dispatch(struct dmmd *d, const struct pollfd *fds, int n);
/* Earliest client deadline (dmmd_clock ms, DMM_TIME_NEVER for none);
 * metrics_timer closes the clients past theirs. */
dmm_time_t metrics_next_deadline(const struct dmmd *d);
void metrics_timer(struct dmmd *d);
/* Every core event (dmmd.c calls it before evlog_event): counted, and
 * the handover steps timed from the MN's attach. */
void metrics_event(struct dmmd *d, const struct dmm_event *ev);
/* The page: Prometheus text format 0.0.4, or OpenMetrics 1.0.0. */
void metrics_render(struct dmmd *d, struct buf *b, bool openmetrics);

#endif
