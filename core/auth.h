/* dmm core: message authentication (HMAC-SHA-256, per-domain keys with a key
 * id) and replay protection (timestamp window + per-peer sequence window).
 * HMAC-SHA-256 comes from OpenSSL's libcrypto (its SHA-256 uses the CPU's
 * SHA extensions where present), pre-keyed once per key. */
#ifndef DMM_AUTH_H
#define DMM_AUTH_H

#include "msg.h"

/* The HMAC state after the key block, inner and outer (opaque: a
 * SHA256_CTX each, see auth.c), computed once by dmm_keyring_add and
 * copied for every message. A key written into keys[] by hand has
 * ready == false and is keyed per message instead (slower, same MAC);
 * key bytes change only through dmm_keyring_add. */
#define DMM_MAC_STATE_LEN 128

struct dmm_key {
	uint32_t id;
	uint8_t key[DMM_KEY_LEN];
	bool ready;
	/* A node key: bound to the node whose signalling address is .node.
	 * Only that node and the servers (LMs, HAAs) hold it; a message sealed
	 * with it comes from that node, or from a server to that node. A key
	 * with .bound false is a domain key: any member may seal with it. */
	bool bound;
	struct in6_addr node;
	_Alignas(8) uint8_t pad_state[2][DMM_MAC_STATE_LEN];
};

struct dmm_keyring {
	unsigned n;
	uint32_t active; /* domain key id used to seal where no node key applies;
			  * any key in the ring verifies */
	struct dmm_key keys[DMM_MAX_KEYS];
};

/* Initialise the crypto libraries once per process. 0 or DMM_E_CRYPTO. */
int dmm_auth_init(void);

/* Add a key and pre-key its HMAC state; DMM_E_FULL if the ring is full,
 * DMM_E_CONFIG on duplicate id. */
int dmm_keyring_add(struct dmm_keyring *kr, uint32_t id, const uint8_t key[DMM_KEY_LEN]);

/* Bind key id to a node (a node key, see struct dmm_key). 0, or
 * DMM_E_NOTFOUND when the ring has no such key. */
int dmm_keyring_bind(struct dmm_keyring *kr, uint32_t id, const struct in6_addr *node);

/* The key of that id, or NULL. */
const struct dmm_key *dmm_keyring_find(const struct dmm_keyring *kr, uint32_t id);

/* The first node key bound to node, or NULL. */
const struct dmm_key *dmm_keyring_node_key(const struct dmm_keyring *kr,
					   const struct in6_addr *node);

/* Does the ring hold any node key? */
bool dmm_keyring_has_node_keys(const struct dmm_keyring *kr);

/* Encode m, append the authenticator option (key kr->active) and the MAC
 * computed over src(16) | dst(16) | message bytes with the MAC field zeroed.
 * m->timestamp must already be set. Returns the length or a negative error
 * (DMM_E_KEY if the active key is missing, DMM_E_NOSPACE, DMM_E_MALFORMED). */
int dmm_msg_seal(const struct dmm_keyring *kr, const struct in6_addr *src,
		 const struct in6_addr *dst, const struct dmm_msg *m, uint8_t *buf,
		 size_t cap);

/* The same with key key_id instead of the active one (a node key). */
int dmm_msg_seal_key(const struct dmm_keyring *kr, uint32_t key_id,
		     const struct in6_addr *src, const struct in6_addr *dst,
		     const struct dmm_msg *m, uint8_t *buf, size_t cap);

/* Verify buf's authenticator, then decode it (MAC before parse: only the
 * header's length fields and the authenticator's fixed place at the end
 * are read before the MAC is checked). Returns 0, DMM_E_SHORT or
 * DMM_E_MALFORMED (length fields), DMM_E_AUTH (no authenticator at the
 * end, or bad MAC), DMM_E_KEY (unknown key id), or a decode error of an
 * authenticated message. Constant-time MAC comparison. */
int dmm_msg_open(const struct dmm_keyring *kr, const struct in6_addr *src,
		 const struct in6_addr *dst, const uint8_t *buf, size_t len,
		 struct dmm_msg *m);
/* The same, also giving where the decoder found the MAC and the Timestamp
 * in buf (filled only when it returns 0). */
int dmm_msg_open_span(const struct dmm_keyring *kr, const struct in6_addr *src,
		      const struct in6_addr *dst, const uint8_t *buf, size_t len,
		      struct dmm_msg *m, struct dmm_msg_span *span);

/* Replay protection, one slot per peer address, bounded. */
#define DMM_REPLAY_WINDOW 64 /* sequence numbers remembered behind the highest */

struct dmm_replay_peer {
	struct in6_addr addr;
	bool used;
	uint16_t top;      /* highest sequence accepted */
	uint64_t bitmap;   /* bit i set: top - i already seen */
	uint64_t last_ts_ms;
	dmm_time_t touched;/* for LRU eviction */
};

struct dmm_replay {
	struct dmm_replay_peer *peers;
	size_t cap;
	uint32_t ts_window_ms; /* |timestamp - wall clock| must be below this */
	/* Optional index of the used slots by address (dmm_replay_index_init):
	 * slot + 1 per entry, 0 empty, linear probing; idx_mask + 1 entries,
	 * a power of two at least twice cap. NULL: each check scans the slots
	 * (a cost per request that grows with the peers: 2 us at 1000). */
	uint32_t *idx;
	size_t idx_mask;
};

/* Allocate r's index for its cap slots (all unused): 0 or DMM_E_NOMEM. */
int dmm_replay_index_init(struct dmm_replay *r);
void dmm_replay_index_fini(struct dmm_replay *r);

enum dmm_replay_verdict {
	DMM_REPLAY_NEW = 0,  /* first time seen: process it */
	DMM_REPLAY_DUP = 1,  /* seen before: answer from the reply cache, change nothing */
};

/* Check a request's timestamp and sequence number from src. wall_ms is the
 * receiver's wall clock. Returns DMM_REPLAY_NEW (and records the sequence),
 * DMM_REPLAY_DUP, DMM_E_STALE (timestamp missing or outside the window) or
 * DMM_E_REPLAY (sequence older than the window and not a peer restart).
 * A sequence older than the window whose timestamp is newer than anything
 * the peer sent before is taken as a peer restart and resets the window. */
int dmm_replay_check(struct dmm_replay *r, const struct in6_addr *src,
		     uint16_t seq, uint64_t ts_ms, uint64_t wall_ms, dmm_time_t now);

/* Only the timestamp part (used for replies, which are matched to a pending
 * request by sequence number instead). */
int dmm_ts_check(uint32_t window_ms, uint64_t ts_ms, uint64_t wall_ms);

#endif
