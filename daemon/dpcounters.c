/* dmmd: the data plane's counters (struct dp_stats) as `dmmctl show
 * counters` (control.c) and the metrics (metrics.c) both show them: one
 * table of their names, help texts and fields, so that a counter added to
 * dp_stats is added to both at once. */
#include <stddef.h>

#include "dmmd.h"

#define C(field, metric, help) { "dp_" #field, "dmm_dataplane_" metric, help, \
				 offsetof(struct dp_stats, field), false }
#define G(field, metric, help) { "dp_" #field, "dmm_dataplane_" metric, help, \
				 offsetof(struct dp_stats, field), true }
const struct dmmd_dp_counter dmmd_dp_counters[] = {
	C(miss, "misses", "Packets that hit the miss path"),
	C(held, "held_packets", "Packets held"),
	C(flushed, "flushed_packets", "Held packets re-injected at the end of a hold"),
	C(hold_dropped, "hold_dropped_packets", "Packets not held: a hold queue was full"),
	C(hold_expired, "hold_expired_packets", "Held packets dropped by age"),
	C(hold_memory_dropped, "hold_memory_dropped_packets",
	  "Packets not held: every hold queue together was at hold-memory"),
	G(held_bytes, "held_bytes", "Bytes held now in every hold queue"),
	C(reinjected, "reinjected_packets", "Miss-path packets re-routed"),
	C(miss_dropped, "miss_dropped_packets", "Miss-path packets dropped"),
	C(routes_added, "routes_added", "Routes added"),
	C(routes_deleted, "routes_deleted", "Routes deleted"),
	C(nl_errors, "netlink_errors", "Netlink requests that failed"),
	C(nl_enomem_retries, "netlink_enomem_retries", "Netlink requests retried after ENOMEM"),
	C(ra_sent, "router_advertisements_sent", "Router Advertisements sent"),
	C(rs_received, "router_solicitations_received", "Router Solicitations received"),
	C(rs_dropped, "router_solicitations_dropped", "Router Solicitations dropped"),
	C(rs_spoofed, "router_solicitations_spoofed",
	  "Router Solicitations naming another MN than the one on the link"),
	C(attach_frames, "attach_frames", "Attaches reported from a first frame"),
	C(tun_filtered, "tun_filtered_packets",
	  "Own multicast, ND and MLD read from the TUN, dropped"),
	C(decap_packets, "decapsulated_packets", "Tunnelled packets decapsulated"),
	C(encap_packets, "encapsulated_packets", "Packets encapsulated"),
	C(decap_rejected, "decap_rejected_packets",
	  "Tunnelled packets refused (outer source not a peer)"),
	C(decap_errors, "decap_errors", "Tunnelled packets malformed or not re-injected"),
	C(encap_errors, "encap_errors", "Packets that could not be encapsulated"),
	C(xlate_out, "translated_out_packets",
	  "Packets whose home prefix was translated to a per-host locator"),
	C(xlate_in, "translated_in_packets",
	  "Packets to a per-host locator of this MR translated back to the home prefix"),
	C(xlate_errors, "translation_errors", "Packets dropped: a locator translation failed"),
};
#undef C
#undef G
const unsigned dmmd_n_dp_counters = sizeof(dmmd_dp_counters) / sizeof(dmmd_dp_counters[0]);
_Static_assert(sizeof(dmmd_dp_counters) / sizeof(dmmd_dp_counters[0]) ==
	       sizeof(struct dp_stats) / sizeof(uint64_t),
	       "every field of struct dp_stats has its counter here");

uint64_t dmmd_dp_counter(const struct dp_stats *s, const struct dmmd_dp_counter *c)
{
	return *(const uint64_t *)((const char *)s + c->off);
}
