/* dmm core: the signalling messages, decoded into host-order structs.
 * Wire layouts and the IANA numbers they reuse are in docs/PROTOCOL.md. */
#ifndef DMM_MSG_H
#define DMM_MSG_H

#include "types.h"

/* Every message the system exchanges. The wire form (MH type, and for the
 * shared types the DMM function option or experimental sub-type) is chosen
 * by the encoder from this value; the decoder maps it back. */
enum dmm_msg_type {
	DMM_MSG_NONE = 0,
	DMM_MSG_HOA_REQ,       /* MR -> HAA: allocate, or retrieve state of, an HoA (PBU) */
	DMM_MSG_HOA_REP,       /* HAA -> MR (PBA) */
	DMM_MSG_LOC_UPDATE,    /* MR -> LM: MN is served by this routing location (PBU) */
	DMM_MSG_LOC_ACK,       /* LM -> MR (PBA) */
	DMM_MSG_LOC_QUERY,     /* MR -> LM: where is this address / MN id (Experimental MH) */
	DMM_MSG_LOC_REPLY,     /* LM -> MR (Experimental MH) */
	DMM_MSG_CTX_REQ,       /* nMR -> pMR context transfer with new location (HI);
				* or LM -> pMR relayed for the nMR (origin = nMR) */
	DMM_MSG_CTX_ACK,       /* pMR -> nMR (HAck) */
	DMM_MSG_REDIRECT,      /* MR -> correspondent's MR: route prefix to locator (LRI) */
	DMM_MSG_REDIRECT_ACK,  /* (LRA) */
	DMM_MSG_LM_NOTIFY,     /* LM -> subscribed MR: binding changed (UPN) */
	DMM_MSG_LM_NOTIFY_ACK, /* (UPA) */
	DMM_MSG_LM_FWD,        /* LM -> authoritative LM: forwarded query/update (Experimental MH) */
	DMM_MSG_LM_FWD_REPLY,  /* (Experimental MH) */
	DMM_MSG_TYPE_COUNT
};

const char *dmm_msg_type_name(enum dmm_msg_type t);
/* True for the request half of each pair; reply_type gives its answer. */
bool dmm_msg_is_request(enum dmm_msg_type t);
enum dmm_msg_type dmm_msg_reply_type(enum dmm_msg_type t);
/* The role (enum dmm_role bit) that serves request t; 0 for a reply. */
unsigned dmm_msg_role(enum dmm_msg_type t);

/* Status codes carried in replies (PBA status values where they match). */
enum dmm_status {
	DMM_ST_OK = 0,
	DMM_ST_UNSPEC = 128,      /* reason unspecified */
	DMM_ST_PROHIBITED = 129,  /* administratively prohibited */
	DMM_ST_NO_RESOURCES = 130,/* insufficient resources (table or pool full) */
	DMM_ST_NOT_FOUND = 133,   /* no binding / lease for that MN or prefix */
	DMM_ST_NOT_AUTHORITATIVE = 134, /* LM: not authoritative and cannot forward */
	/* LM: the binding has moved on since the version the update names
	 * (RFC 6275's "sequence number out of window"); the answer carries
	 * its location and version now */
	DMM_ST_STALE_VERSION = 135,
};

/* Handoff Indicator values (RFC 5213 §8.5). */
enum dmm_handoff {
	DMM_HI_NEW_IFACE = 1,     /* initial attach */
	DMM_HI_DIFF_IFACE = 2,
	DMM_HI_SAME_IFACE = 3,    /* moved between MRs */
	DMM_HI_UNKNOWN = 4,
	DMM_HI_NOT_CHANGED = 5,   /* refresh */
};

/* Which optional fields a decoded message carries. */
enum dmm_msg_present {
	DMM_P_MNID = 1u << 0,
	DMM_P_HNP = 1u << 1,
	DMM_P_HANDOFF = 1u << 2,
	DMM_P_LOCATION = 1u << 3,      /* routing location (serving / new MR) */
	DMM_P_PREV_LOCATION = 1u << 4, /* previous serving MR */
	DMM_P_TARGET = 1u << 5,        /* address looked up by LOC_QUERY */
	DMM_P_ORIGIN = 1u << 6,        /* LM_FWD, relayed CTX_REQ: requesting MR and
					* the sequence number of its request */
	DMM_P_TIMESTAMP = 1u << 7,
	DMM_P_AUTH = 1u << 8,
	DMM_P_HOME = 1u << 9,          /* anchor MR of the prefix (home routing location) */
	DMM_P_PHL = 1u << 10,          /* per-host locators (draft 4.3): phl[i] of hnp[i] */
	DMM_P_VER = 1u << 11,          /* binding versions: ver[i] of hnp[i]'s binding */
};

/* LM_FWD carries the forwarded request's type in .code. */

/* Flags (.flags), meaning depends on the message; encoders map them to
 * the wire flags of the reused type. */
#define DMM_F_ACK_REQ 0x0001  /* PBU A flag: acknowledgement requested */
#define DMM_F_PROXY 0x0002    /* PBU/PBA P flag (always set by us) */
#define DMM_F_DEPRECATE 0x0004/* HNP kept only for old sessions */
#define DMM_F_SUBSCRIBE 0x0008/* LOC_QUERY: tell me when this binding moves */
#define DMM_F_BY_MNID 0x0010  /* LOC_QUERY/LOC_UPDATE: look up by MN id, not by address */
#define DMM_F_FIXED 0x0020    /* LOC_UPDATE: prefix of fixed correspondents behind a gateway MR */
#define DMM_F_REPLICA 0x0040  /* LM_FWD LOC_UPDATE: a binding replicated to another LM, a
			       * hint for its BY_MNID queries (never authoritative) */
#define DMM_F_HANDOVER 0x0080 /* LOC_QUERY BY_MNID (and its LM_FWD): the MN has just
			       * attached at the querying MR; the LM holding its binding
			       * relays a CTX_REQ to the serving MR on the querier's behalf */

struct dmm_msg {
	enum dmm_msg_type type;
	uint16_t seq;
	uint16_t flags;     /* DMM_F_* */
	uint8_t status;     /* enum dmm_status, replies only */
	uint8_t code;       /* HI code / UPN reason / LM_FWD: forwarded enum dmm_msg_type */
	uint32_t lifetime;  /* seconds; 0 = deregistration / delete */
	uint32_t present;   /* enum dmm_msg_present */

	struct dmm_mnid mnid;
	uint8_t n_hnp;
	struct dmm_prefix hnp[DMM_MAX_HNP];
	uint8_t handoff;             /* enum dmm_handoff */
	/* Per-host locators (draft 4.3, routing locator): phl[i] is the
	 * locator prefix that routes natively to .location and stands for
	 * hnp[i] on the wire; len 0 = none for that prefix. n_phl <= n_hnp. */
	uint8_t n_phl;
	struct dmm_prefix phl[DMM_MAX_HNP];
	/* Binding versions (docs/PROCEDURES.md, "LM"): ver[i] is the LM's
	 * version of hnp[i]'s binding, in a LOC_REPLY or LOC_ACK as it is
	 * now, in a LOC_UPDATE as the sender last saw it (the update is
	 * refused if the binding has moved on since). n_ver <= n_hnp. */
	uint8_t n_ver;
	uint16_t ver[DMM_MAX_HNP];
	struct in6_addr location;    /* routing location */
	struct in6_addr prev_location;
	struct in6_addr home;        /* anchor MR of hnp[0] */
	struct in6_addr target;      /* LOC_QUERY */
	struct in6_addr origin;      /* LM_FWD / LM_FWD_REPLY */
	uint16_t origin_seq;
	uint64_t timestamp;          /* RFC 5213 format: 48.16 fixed point seconds since 1970 */

	uint32_t key_id;             /* filled by the decoder; set by dmm_msg_seal */
	uint8_t mac[DMM_MAC_LEN];
};

/* Encode m into buf (without the authenticator). Returns the length (>0) or
 * DMM_E_NOSPACE / DMM_E_MALFORMED (a field out of range for the wire). */
int dmm_msg_encode(const struct dmm_msg *m, uint8_t *buf, size_t cap);

/* Decode buf (one whole Mobility Header message, checksum not verified:
 * the kernel or the UDP layer did that). Fills m; on any error m is
 * undefined and the error tells which counter to bump:
 * DMM_E_SHORT, DMM_E_MALFORMED, DMM_E_ALIGN, DMM_E_UNKNOWN, DMM_E_TOOMANY. */
int dmm_msg_decode(const uint8_t *buf, size_t len, struct dmm_msg *m);

/* Encode m, then the authenticator option (key_id, MAC all zero) as the
 * last option, ending the message. *mac_off receives the offset of the
 * 32-byte MAC in buf, for dmm_msg_seal to fill in. Returns the length or
 * DMM_E_NOSPACE / DMM_E_MALFORMED. (Added by the wire codec for auth.c.) */
int dmm_msg_encode_auth(const struct dmm_msg *m, uint32_t key_id, uint8_t *buf, size_t cap,
			size_t *mac_off);

/* Offsets inside an encoded+sealed buffer, found by the decoder: the MAC,
 * so auth.c can verify over the exact received bytes; the Timestamp's
 * value, so the reply cache can digest a request's bytes without what a
 * retransmission changes (node_svc.c). */
struct dmm_msg_span {
	size_t mac_off; /* 0 when no authenticator option */
	size_t ts_off;  /* the Timestamp option's 8-byte value; 0 when none */
};
int dmm_msg_decode_span(const uint8_t *buf, size_t len, struct dmm_msg *m,
			struct dmm_msg_span *span);

/* Locate the authenticator without decoding anything else: check the
 * Mobility Header's length fields, then the fixed layout of the XO_AUTH
 * option that must end the message (docs/PROTOCOL.md). So the MAC can be
 * verified before the body is parsed. Returns 0 (key id and MAC offset
 * filled), DMM_E_SHORT / DMM_E_MALFORMED (header length fields), or
 * DMM_E_AUTH (no authenticator at the end). */
int dmm_msg_auth_span(const uint8_t *buf, size_t len, uint32_t *key_id, size_t *mac_off);

/* The per-host locator m gives prefix p (p masked; len 0: none). */
struct dmm_prefix dmm_msg_phl_of(const struct dmm_msg *m, const struct dmm_prefix *p);

/* Map a decode/auth error to the drop counter it feeds. */
enum dmm_counter dmm_err_counter(int err);

/* RFC 5213 timestamp <-> milliseconds since 1970. */
uint64_t dmm_ts_from_ms(uint64_t ms);
uint64_t dmm_ts_to_ms(uint64_t ts);

#endif
