/* dmm core: basic types, limits, errors and counters shared by every module.
 * Sans-I/O: nothing here reads a clock or touches a socket. */
#ifndef DMM_TYPES_H
#define DMM_TYPES_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Time is always supplied by the caller, in milliseconds of a monotonic clock. */
typedef uint64_t dmm_time_t;
#define DMM_TIME_NEVER UINT64_MAX

/* Wire and table limits (all named, all checked). */
#define DMM_MNID_MAX 32    /* bytes of an MN identifier */
#define DMM_MAX_HNP 4      /* home network prefixes in one message / per MN */
#define DMM_MAX_OPTIONS 24 /* mobility options in one message (4 HNP + 4 PHL + 4 VER + the rest) */
#define DMM_MSG_MAX 512    /* largest message we build or accept */
#define DMM_MAC_LEN 32     /* HMAC-SHA-256 */
#define DMM_KEY_LEN 32
#define DMM_MAX_KEYS 64    /* domain keys and node keys in one key ring */
#define DMM_MAX_NETS 16     /* local networks in a domain */
#define DMM_MAX_NET_PREFIX 8 /* HoA ranges per local network */
#define DMM_MAX_NET_MRS 16  /* MRs listed per local network (domain map) */
#define DMM_MAX_NET_LMS 4   /* LMs, and HAAs, listed per local network */
#define DMM_MAX_POOLS 16
#define DMM_NAME_MAX 32

struct dmm_prefix {
	struct in6_addr addr;
	uint8_t len;
};

/* Mobile node identifier: by default its link-layer address (EUI-48). */
enum dmm_mnid_type {
	DMM_MNID_NAI = 1,   /* RFC 4283 */
	DMM_MNID_EUI48 = 5, /* RFC 8371 */
	DMM_MNID_EUI64 = 6, /* RFC 8371 */
};

struct dmm_mnid {
	uint8_t type; /* enum dmm_mnid_type */
	uint8_t len;
	uint8_t id[DMM_MNID_MAX];
};

/* Error codes: 0 on success, negative on failure. */
enum dmm_err {
	DMM_OK = 0,
	DMM_E_SHORT = -1,      /* input shorter than its length says */
	DMM_E_MALFORMED = -2,  /* a field has an impossible value */
	DMM_E_ALIGN = -3,      /* option alignment rule broken */
	DMM_E_UNKNOWN = -4,    /* unknown message type / mandatory option */
	DMM_E_TOOMANY = -5,    /* more options / prefixes than allowed */
	DMM_E_NOSPACE = -6,    /* output buffer too small */
	DMM_E_AUTH = -7,       /* missing or bad authenticator */
	DMM_E_KEY = -8,        /* unknown key id */
	DMM_E_REPLAY = -9,     /* sequence number already seen / out of window */
	DMM_E_STALE = -10,     /* timestamp outside the validity window */
	DMM_E_FULL = -11,      /* a bounded table is full */
	DMM_E_NOTFOUND = -12,  /* no such entry */
	DMM_E_STATE = -13,     /* not valid in the current state */
	DMM_E_NOMEM = -14,     /* allocation failed */
	DMM_E_CONFIG = -15,    /* invalid configuration */
	DMM_E_ROLE = -16,      /* this node does not run the role a message is for */
	DMM_E_CRYPTO = -17,    /* crypto library failure */
	DMM_E_LIMIT = -18,     /* refused by a rate limit */
	DMM_E_DENIED = -19,    /* refused by the authorization policy */
};

const char *dmm_strerror(int err);

/* Counters: every drop reason has one. Names in counters.c. */
enum dmm_counter {
	DMM_C_RX,
	DMM_C_TX,
	DMM_C_DROP_SHORT,
	DMM_C_DROP_MALFORMED,
	DMM_C_DROP_ALIGN,
	DMM_C_DROP_UNKNOWN,
	DMM_C_DROP_TOOMANY,
	DMM_C_DROP_AUTH,
	DMM_C_DROP_KEY,
	DMM_C_DROP_REPLAY,
	DMM_C_DROP_STALE,
	DMM_C_DROP_ROLE,
	DMM_C_DROP_UNEXPECTED, /* reply matching no pending request */
	DMM_C_DROP_PEER,       /* message from an address not in the domain */
	DMM_C_DUP_REQUEST,     /* retransmitted request answered from the reply cache */
	DMM_C_RETRANSMIT,
	DMM_C_TIMEOUT,
	DMM_C_TABLE_FULL,
	DMM_C_NOMEM,
	DMM_C_ATTACH,
	DMM_C_DETACH,
	DMM_C_HANDOVER,
	DMM_C_MISS,
	DMM_C_QUERY,
	DMM_C_REDIRECT,
	DMM_C_NOTIFY,
	DMM_C_LM_FORWARD,
	DMM_C_HOA_ALLOC,
	DMM_C_HOA_RELEASE,
	DMM_C_LEASE_EXPIRED,
	DMM_C_BINDING_EXPIRED,
	DMM_C_CACHE_EXPIRED,
	DMM_C_CTX_CREATED,
	DMM_C_CTX_DELETED,
	DMM_C_DROP_MISMATCH,   /* reply whose fields contradict the request it matched */
	DMM_C_REFRESH_DEFERRED,/* refresh not sent (refresh budget full): retried soon */
	DMM_C_REFRESH_RETRY,   /* refresh or update sent again after a timeout (mr_retry_at, mr_soon_at) */
	DMM_C_ATTACH_LIMITED,  /* attach refused by the per-link attach rate limit */
	DMM_C_ANCHOR_EXPIRED,  /* anchored prefix no longer bound anywhere: lease released */
	DMM_C_CACHE_EVICTED,   /* location cache full: least recently used entry evicted */
	DMM_C_ATTACH_CONFLICT, /* attach of an MN attached on another live link, or a
				* context request for it refused: its link kept carrier */
	DMM_C_CTX_RELAY,       /* LM: context request relayed to a pMR for a querying nMR */
	DMM_C_DROP_CTX_RELAY,  /* pMR: relayed context request refused (inconsistent, or
				* no handover context for that MN here): nothing flushed */
	DMM_C_LOC_UPDATE_DEPARTURE, /* lm-update-on-attach no: the LM told of a prefix at
				     * the MN's first departure from the MR that gave it */
	DMM_C_ATTACH_DENIED,   /* attach of an MN the authorization policy refuses */
	DMM_C_DROP_NODE_KEY,   /* sealed with another node's key, or with the domain key
				* where the sender's node key is required */
	DMM_C_DROP_LOCATION,   /* LM: a location that is not the sealing MR's, or no MR
				* of the domain map */
	DMM_C_DROP_PREFIX_LEN, /* a home prefix (REDIRECT, LOC_UPDATE) at another length
				* than its network's prefix-length */
	DMM_C_FAILOVER,        /* request sent on to the next LM/HAA of a network after a timeout */
	DMM_C_LM_SYNC,         /* LM: binding change sent to the other LMs of its network */
	DMM_C_LM_STORE_REFUSED,/* LM: update refused (query dropped while loading): the
				* shared binding store is not reachable (dmm_lm_set_store) */
	DMM_C_COUNT
};

const char *dmm_counter_name(enum dmm_counter c);

/* Helpers on prefixes and addresses (prefix.c). */
bool dmm_prefix_contains(const struct dmm_prefix *p, const struct in6_addr *a);

/* Two addresses equal: two 64-bit loads each (a fixed-size memcpy is
 * inlined), not a call to memcmp, on the per-message paths (the key and
 * server look-ups of every seal and open, the pick-up of replies). */
static inline bool dmm_addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
bool dmm_prefix_eq(const struct dmm_prefix *a, const struct dmm_prefix *b);
/* Swapping prefix a for b (equal lengths, a multiple of 16 bits) in an
 * address leaves every transport checksum over it valid: the one's-
 * complement sums of their 16-bit words are equal (RFC 6296 section 3.1). */
bool dmm_prefix_csum_neutral(const struct dmm_prefix *a, const struct dmm_prefix *b);
void dmm_prefix_mask(struct dmm_prefix *p); /* zero the host bits */
/* "2001:db8::/64" <-> struct; parse returns 0 or DMM_E_MALFORMED. */
int dmm_prefix_parse(const char *s, struct dmm_prefix *p);
#define DMM_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)
const char *dmm_prefix_str(const struct dmm_prefix *p, char *buf, size_t len);
bool dmm_mnid_eq(const struct dmm_mnid *a, const struct dmm_mnid *b);
/* "02:00:00:00:00:01" style for EUI-48/64; for NAI the text itself, except
 * that a byte outside visible ASCII, or '%', prints as %hh (peer bytes
 * never reach a log or terminal raw; dmm_mnid_parse reads it back). */
#define DMM_MNID_STRLEN (DMM_MNID_MAX * 3 + 1)
const char *dmm_mnid_str(const struct dmm_mnid *m, char *buf, size_t len);
int dmm_mnid_parse(const char *s, struct dmm_mnid *m);
/* FNV-1a hashes for table indexes (not security relevant: every table is
 * bounded and every peer authenticated). */
uint32_t dmm_hash_prefix(const struct dmm_prefix *p);
uint32_t dmm_hash_mnid(const struct dmm_mnid *id);

#endif
