/* dmm core, internal: several LMs and HAAs per local network (draft §3.2).
 * A request to the LMs (HAAs) of a network goes to the one the rendezvous
 * ranking of its key (MN id, else prefix, else looked-up address) puts
 * first among those not marked down; one that does not answer after the
 * retransmissions is marked down for DMM_PICK_DOWN_MS (sticky) and the
 * request goes on to the next one (counted failover). Not for the daemon:
 * node.h has the view. */
#ifndef DMM_PICK_H
#define DMM_PICK_H

#include "node.h"

#define DMM_PICK_DOWN_MS 30000 /* a peer that timed out is passed over this long */
#define DMM_PICK_SLOTS 16      /* peers with a health record (LMs/HAAs that timed out) */

struct dmm_pick_peer {
	struct in6_addr addr; /* :: = free */
	dmm_time_t down_until;
	uint32_t failovers; /* requests moved away from it */
};

/* The LM (lm true) or HAA of network net for request m, now. */
const struct in6_addr *dmm_pick(struct dmm_node *n, int net, bool lm, const struct dmm_msg *m,
				dmm_time_t now);
/* Request m to dst got no answer (timed_out), or an answer that sends it on
 * (an HAA that holds no such lease): where to send it next, if dst is one
 * of several LMs or HAAs of a network and one ranked after it is left. A
 * timeout marks dst down and counts DMM_C_FAILOVER. */
bool dmm_pick_next(struct dmm_node *n, const struct in6_addr *dst, const struct dmm_msg *m,
		   bool timed_out, dmm_time_t now, struct in6_addr *next);
/* Another LM (HAA) of dst's network is marked down: a NOT_FOUND from dst
 * is no verdict (what is looked for may be at the one that is down). */
bool dmm_pick_sibling_down(struct dmm_node *n, const struct in6_addr *dst,
			   const struct dmm_msg *m, dmm_time_t now);
/* A reply came from a: it is up again. */
void dmm_pick_up(struct dmm_node *n, const struct in6_addr *a);

#endif
