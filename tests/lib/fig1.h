/* The draft's figure 1 as a virtual network, the reference topology of the
 * scenario tests:
 *
 *          network 1                 network 2               network 3
 *   LMHAA1 (LM1 + HAA1)        LMHAA2 (LM2 + HAA2)        LM3      HAA3
 *     |          |               |          |               |        |
 *   MR11       MR12             MR2       MRGW -- server   MR31     MR32
 *   2001:db8:11::/48           2001:db8:20::/48           2001:db8:31::/48
 *              2001:db8:12::/48      fixed 2001:db8:2f::/64      2001:db8:32::/48
 *
 * Networks: 2001:db8:10::/44, 2001:db8:20::/44, 2001:db8:30::/44; a /64 per
 * MN; node addresses 2001:db8:0:<net>::<n>; one domain key. */
#ifndef DMM_FIG1_H
#define DMM_FIG1_H

#include "vnet.h"

#define FIG1_KEY_ID 1u
#define FIG1_SERVER "2001:db8:2f::80"
#define FIG1_SERVER_PREFIX "2001:db8:2f::/64"

struct fig1_opts {
	enum dmm_ro_mode ro_mode;
	bool hold_packets;
	bool new_hoa_on_arrival;
	bool lm_update_on_attach;
	uint64_t seed;
	/* last word on every node's configuration (may be NULL) */
	void (*tweak)(struct dmm_config *c, void *ctx);
	void *ctx;
};

void fig1_defaults(struct fig1_opts *o);
/* Timers the scenarios use (short, so tests run fast in virtual time). */
void fig1_timers(struct dmm_timers *t);
/* The domain key ring. */
void fig1_keyring(struct dmm_keyring *kr);
/* Build the network and run it for 1 s (start-up work: miss routes, fixed
 * prefix registration). Aborts on a configuration error. */
struct vnet *fig1_build(const struct fig1_opts *o);
/* The configuration node `name` was built with (filled by fig1_build). */
void fig1_config(const struct fig1_opts *o, const char *name, struct dmm_config *c);

/* MN n has identifier vnet_mnid(n) and uses access link n at every MR. */
/* Attach MN n at mr, then run 500 ms. Returns dmm_mr_attach's result. */
int fig1_attach(struct vnet *vn, const char *mr, unsigned mn);
/* Carrier loss of MN n at mr, then run 500 ms. */
int fig1_detach(struct vnet *vn, const char *mr, unsigned mn);
/* MN n leaves `from`, appears at `to` gap_ms later; then run 500 ms. */
void fig1_move(struct vnet *vn, const char *from, const char *to, unsigned mn,
	       dmm_time_t gap_ms);
/* Address ::host inside prefix text p. */
struct in6_addr fig1_addr(const char *prefix, unsigned host);

#endif
