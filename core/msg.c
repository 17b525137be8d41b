/* dmm core: the signalling messages on the wire, as Mobility Header
 * messages (RFC 6275 §6.1) with mobility options (§6.2). The mapping of each
 * dmm message to an MH type, and every byte layout, is in docs/PROTOCOL.md;
 * keep the two in step.
 *
 * Decoding checks every length before reading, parses everything, then
 * validates the whole message against its type: a message is accepted only
 * if it is exactly what our encoder could have produced (modulo padding and
 * option order, and IANA options we do not know, which RFC 6275 §6.2.1 says
 * to skip). */
#include <string.h>

#include "config.h"
#include "msg.h"
#include "wire.h"

#define MH_PROTO_NONE 59 /* IPPROTO_NONE: RFC 6275 §6.1.1 */
#define MH_HDR 6         /* payload proto, header len, type, reserved, checksum */

/* MH types (IANA "Mobility Header Types"). */
enum {
	MH_BU = 5,    /* Binding Update, P flag = PBU: RFC 6275, RFC 5213 §8.1 */
	MH_BA = 6,    /* Binding Acknowledgement, P flag = PBA: RFC 5213 §8.2 */
	MH_EXP = 11,  /* Experimental Mobility Header: RFC 5096 */
	MH_HI = 14,   /* Handover Initiate: RFC 5568 §6.2.2 */
	MH_HACK = 15, /* Handover Acknowledge: RFC 5568 §6.2.3 */
	MH_LRI = 17,  /* Localized Routing Initiation: RFC 6705 §8.1 */
	MH_LRA = 18,  /* Localized Routing Acknowledgment: RFC 6705 §8.2 */
	MH_UPN = 19,  /* Update Notification: RFC 7077 §4.1 */
	MH_UPA = 20,  /* Update Notification Acknowledgement: RFC 7077 §4.2 */
};

/* Mobility option types (IANA "Mobility Options"). */
enum {
	OPT_PAD1 = 0,  /* RFC 6275 §6.2.2 */
	OPT_PADN = 1,  /* RFC 6275 §6.2.3 */
	OPT_MNID = 8,  /* RFC 4283 */
	OPT_EXP = 18,  /* Experimental Mobility Option: RFC 5096 */
	OPT_HNP = 22,  /* RFC 5213 §8.3, alignment 8n+4 */
	OPT_HI = 23,   /* RFC 5213 §8.4 */
	OPT_TS = 27,   /* RFC 5213 §8.8, alignment 8n+2 */
	OPT_MAG = 51,  /* MAG IPv6 Address: RFC 6705 */
};

/* DMM sub-types in the first data byte of the Experimental MH. */
enum { XMH_LOC_QUERY = 1, XMH_LOC_REPLY = 2, XMH_LM_FWD = 3, XMH_LM_FWD_REPLY = 4 };

/* DMM sub-types in the first data byte of the Experimental Mobility Option. */
enum {
	XO_FUNC = 1,     /* u8: which function a PBU/PBA is for */
	XO_FLAGS = 2,    /* u16: DMM_F_* with no bit in the reused header */
	XO_PREV = 3,     /* 16: prev_location */
	XO_HOME = 4,     /* 16: home (anchor MR) */
	XO_TARGET = 5,   /* 16: target */
	XO_ORIGIN = 6,   /* u16 origin_seq, 16 origin */
	XO_LIFETIME = 7, /* u32 seconds, for types with no lifetime field */
	XO_AUTH = 8,     /* u32 key id, 32 MAC: always the last option */
	XO_PHL = 9,      /* u8 plen, 16 prefix: per-host locator of the i-th HNP */
	XO_VER = 10,     /* u16: version of the i-th HNP's binding */
};
#define XO_AUTH_LEN (1 + 4 + DMM_MAC_LEN) /* option data length */
#define XO_AUTH_MAC 7                     /* MAC offset from the option type byte */

enum { FUNC_HAA = 1, FUNC_LM = 2 };

#define F_ALL (DMM_F_ACK_REQ | DMM_F_PROXY | DMM_F_DEPRECATE | DMM_F_SUBSCRIBE | \
	       DMM_F_BY_MNID | DMM_F_FIXED | DMM_F_REPLICA | DMM_F_HANDOVER)
#define BU_A 0x8000 /* RFC 6275 §6.1.7 */
#define BU_P 0x0200 /* RFC 5213 §8.1 */
#define BA_P 0x20   /* RFC 5213 §8.2 */
#define UPN_A 0x80  /* RFC 7077 §4.1 */

/* How a type carries the lifetime. */
enum life { LIFE_OPT, LIFE_4S, LIFE_S16, LIFE_S32 };

#define P_ADDRS (DMM_P_LOCATION | DMM_P_PREV_LOCATION | DMM_P_HOME)
#define P_BASE (DMM_P_MNID | DMM_P_HNP | DMM_P_TIMESTAMP | P_ADDRS)
/* Every type but HOA_REQ/HOA_REP may carry per-host locators. */
#define P_LOC (P_BASE | DMM_P_PHL | DMM_P_VER)

/* What .code of a type holds. */
enum code_kind {
	CODE_NONE,    /* always 0 */
	CODE_ANY,     /* a type-specific value */
	CODE_TYPE,    /* the message type it forwards (LM_FWD): not NONE */
	CODE_TYPE0,   /* that type echoed, or NONE (LM_FWD_REPLY) */
};

/* Everything about one message type, in one place: its name, its reply,
 * the role that serves it (a request), its wire form and the options it
 * must and may carry. Adding a type is adding a row (ARCHITECTURE.md,
 * "Add a message"). */
struct msg_desc {
	const char *name;
	enum dmm_msg_type reply; /* a request's answer, NONE for a reply */
	unsigned role;    /* enum dmm_role bit that serves the request, 0: a reply */
	uint8_t mh;       /* MH type */
	uint8_t sub;      /* Experimental MH sub-type, or PBU/PBA function */
	uint8_t fixed;    /* bytes of fixed fields after the 6-byte MH header */
	uint8_t life;     /* enum life */
	bool has_status;
	uint8_t code;        /* enum code_kind */
	uint16_t wire_flags; /* DMM_F_* the fixed part carries itself */
	uint32_t allowed;    /* DMM_P_* options the type may carry */
	/* Mandatory options (both directions check them): all of need_all,
	 * and one of need_any (with DMM_F_BY_MNID: of need_any_by_id, if
	 * set); 0: no such rule. */
	uint32_t need_all, need_any, need_any_by_id;
};

#define REQ(t, r) .name = (t), .reply = (r)
static const struct msg_desc msg_descs[DMM_MSG_TYPE_COUNT] = {
	[DMM_MSG_NONE] = { .name = "none" },
	[DMM_MSG_HOA_REQ] = { REQ("hoa-req", DMM_MSG_HOA_REP), .role = DMM_ROLE_HAA,
			      .mh = MH_BU, .sub = FUNC_HAA, .fixed = 6, .life = LIFE_4S,
			      .wire_flags = DMM_F_ACK_REQ | DMM_F_PROXY,
			      .allowed = P_BASE | DMM_P_HANDOFF, .need_all = DMM_P_MNID },
	[DMM_MSG_HOA_REP] = { .name = "hoa-rep", .mh = MH_BA, .sub = FUNC_HAA, .fixed = 6,
			      .life = LIFE_4S, .has_status = true, .wire_flags = DMM_F_PROXY,
			      .allowed = P_BASE | DMM_P_HANDOFF },
	[DMM_MSG_LOC_UPDATE] = { REQ("loc-update", DMM_MSG_LOC_ACK), .role = DMM_ROLE_LM,
				 .mh = MH_BU, .sub = FUNC_LM, .fixed = 6, .life = LIFE_4S,
				 .wire_flags = DMM_F_ACK_REQ | DMM_F_PROXY,
				 .allowed = P_LOC | DMM_P_HANDOFF, .need_any = DMM_P_HNP,
				 .need_any_by_id = DMM_P_MNID },
	[DMM_MSG_LOC_ACK] = { .name = "loc-ack", .mh = MH_BA, .sub = FUNC_LM, .fixed = 6,
			      .life = LIFE_4S, .has_status = true, .wire_flags = DMM_F_PROXY,
			      .allowed = P_LOC | DMM_P_HANDOFF },
	[DMM_MSG_LOC_QUERY] = { REQ("loc-query", DMM_MSG_LOC_REPLY), .role = DMM_ROLE_LM,
				.mh = MH_EXP, .sub = XMH_LOC_QUERY, .fixed = 12,
				.life = LIFE_S32, .has_status = true, .code = CODE_ANY,
				.wire_flags = F_ALL, .allowed = P_LOC | DMM_P_TARGET,
				.need_any = DMM_P_TARGET, .need_any_by_id = DMM_P_MNID },
	[DMM_MSG_LOC_REPLY] = { .name = "loc-reply", .mh = MH_EXP, .sub = XMH_LOC_REPLY,
				.fixed = 12, .life = LIFE_S32, .has_status = true,
				.code = CODE_ANY, .wire_flags = F_ALL,
				.allowed = P_LOC | DMM_P_TARGET },
	[DMM_MSG_CTX_REQ] = { REQ("ctx-req", DMM_MSG_CTX_ACK), .role = DMM_ROLE_MR,
			      .mh = MH_HI, .fixed = 4, .life = LIFE_OPT, .code = CODE_ANY,
			      .allowed = P_LOC | DMM_P_HANDOFF | DMM_P_ORIGIN,
			      .need_any = DMM_P_MNID | DMM_P_HNP },
	[DMM_MSG_CTX_ACK] = { .name = "ctx-ack", .mh = MH_HACK, .fixed = 4, .life = LIFE_OPT,
			      .has_status = true, .allowed = P_LOC | DMM_P_HANDOFF },
	[DMM_MSG_REDIRECT] = { REQ("redirect", DMM_MSG_REDIRECT_ACK), .role = DMM_ROLE_MR,
			       .mh = MH_LRI, .fixed = 6, .life = LIFE_S16, .allowed = P_LOC,
			       .need_all = DMM_P_HNP | DMM_P_LOCATION },
	[DMM_MSG_REDIRECT_ACK] = { .name = "redirect-ack", .mh = MH_LRA, .fixed = 6,
				   .life = LIFE_S16, .has_status = true, .allowed = P_LOC },
	[DMM_MSG_LM_NOTIFY] = { REQ("lm-notify", DMM_MSG_LM_NOTIFY_ACK), .role = DMM_ROLE_MR,
				.mh = MH_UPN, .fixed = 4, .life = LIFE_OPT, .code = CODE_ANY,
				.wire_flags = DMM_F_ACK_REQ, .allowed = P_LOC,
				.need_all = DMM_P_HNP },
	[DMM_MSG_LM_NOTIFY_ACK] = { .name = "lm-notify-ack", .mh = MH_UPA, .fixed = 4,
				    .life = LIFE_OPT, .has_status = true, .allowed = P_LOC },
	[DMM_MSG_LM_FWD] = { REQ("lm-fwd", DMM_MSG_LM_FWD_REPLY), .role = DMM_ROLE_LM,
			     .mh = MH_EXP, .sub = XMH_LM_FWD, .fixed = 12, .life = LIFE_S32,
			     .has_status = true, .code = CODE_TYPE, .wire_flags = F_ALL,
			     .allowed = P_LOC | DMM_P_HANDOFF | DMM_P_TARGET | DMM_P_ORIGIN,
			     .need_all = DMM_P_ORIGIN },
	[DMM_MSG_LM_FWD_REPLY] = { .name = "lm-fwd-reply", .mh = MH_EXP,
				   .sub = XMH_LM_FWD_REPLY, .fixed = 12, .life = LIFE_S32,
				   .has_status = true, .code = CODE_TYPE0, .wire_flags = F_ALL,
				   .allowed = P_LOC | DMM_P_HANDOFF | DMM_P_TARGET |
					      DMM_P_ORIGIN },
};
#undef REQ

const char *
dmm_msg_type_name(enum dmm_msg_type t)
{
	if ((unsigned)t >= DMM_MSG_TYPE_COUNT)
		return "unknown";
	return msg_descs[t].name;
}

enum dmm_msg_type
dmm_msg_reply_type(enum dmm_msg_type t)
{
	return (unsigned)t < DMM_MSG_TYPE_COUNT ? msg_descs[t].reply : DMM_MSG_NONE;
}

unsigned
dmm_msg_role(enum dmm_msg_type t)
{
	return (unsigned)t < DMM_MSG_TYPE_COUNT ? msg_descs[t].role : 0;
}

bool
dmm_msg_is_request(enum dmm_msg_type t)
{
	return dmm_msg_reply_type(t) != DMM_MSG_NONE;
}

enum dmm_counter
dmm_err_counter(int err)
{
	switch (err) {
	case DMM_E_SHORT: return DMM_C_DROP_SHORT;
	case DMM_E_ALIGN: return DMM_C_DROP_ALIGN;
	case DMM_E_UNKNOWN: return DMM_C_DROP_UNKNOWN;
	case DMM_E_TOOMANY: return DMM_C_DROP_TOOMANY;
	case DMM_E_AUTH: return DMM_C_DROP_AUTH;
	case DMM_E_KEY: return DMM_C_DROP_KEY;
	case DMM_E_REPLAY: return DMM_C_DROP_REPLAY;
	case DMM_E_STALE: return DMM_C_DROP_STALE;
	case DMM_E_ROLE: return DMM_C_DROP_ROLE;
	default: return DMM_C_DROP_MALFORMED;
	}
}

/* RFC 5213 §8.8: 48-bit seconds since 1970 and 16-bit 1/65536 fractions.
 * Fractions are rounded up so that to_ms(from_ms(x)) == x. */
uint64_t
dmm_ts_from_ms(uint64_t ms)
{
	uint64_t frac = ((ms % 1000) * 65536 + 999) / 1000;

	return (ms / 1000) << 16 | frac;
}

uint64_t
dmm_ts_to_ms(uint64_t ts)
{
	return (ts >> 16) * 1000 + ((ts & 0xffff) * 1000 >> 16);
}

/* ---- encoder ---- */

/* Pad with Pad1/PadN so the next option starts at 8n+rem. */
static void
enc_align(struct dmm_wr *w, unsigned rem)
{
	size_t n = (rem + 8 - w->off % 8) % 8;

	if (n == 1) {
		dmm_put_u8(w, OPT_PAD1);
	} else if (n >= 2) {
		dmm_put_u8(w, OPT_PADN);
		dmm_put_u8(w, (uint8_t)(n - 2));
		dmm_put_zero(w, n - 2);
	}
}

static void
enc_xo_addr(struct dmm_wr *w, uint8_t sub, const struct in6_addr *a)
{
	dmm_put_u8(w, OPT_EXP);
	dmm_put_u8(w, 1 + 16);
	dmm_put_u8(w, sub);
	dmm_put_bytes(w, a, 16);
}

static uint16_t
enc_life16(const struct dmm_msg *m, const struct msg_desc *d)
{
	uint32_t v = m->lifetime;

	/* PBU/PBA count 4-second units (RFC 5213): round up, never to 0. */
	if (d->life == LIFE_4S)
		v = v / 4 + (v % 4 != 0);
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

static void
enc_fixed(struct dmm_wr *w, const struct dmm_msg *m, const struct msg_desc *d)
{
	switch (d->mh) {
	case MH_BU:
		dmm_put_u16(w, m->seq);
		dmm_put_u16(w, (uint16_t)(BU_P | (m->flags & DMM_F_ACK_REQ ? BU_A : 0)));
		dmm_put_u16(w, enc_life16(m, d));
		break;
	case MH_BA:
		dmm_put_u8(w, m->status);
		dmm_put_u8(w, BA_P);
		dmm_put_u16(w, m->seq);
		dmm_put_u16(w, enc_life16(m, d));
		break;
	case MH_EXP:
		dmm_put_u8(w, d->sub);
		dmm_put_u8(w, m->status);
		dmm_put_u16(w, m->seq);
		dmm_put_u16(w, m->flags);
		dmm_put_u8(w, m->code);
		dmm_put_u8(w, 0);
		dmm_put_u32(w, m->lifetime);
		break;
	case MH_LRI:
	case MH_LRA:
		dmm_put_u16(w, m->seq);
		dmm_put_u8(w, 0);
		dmm_put_u8(w, m->status); /* LRI: reserved, and status is 0 */
		dmm_put_u16(w, enc_life16(m, d));
		break;
	default: /* HI, HAck, UPN, UPA: seq, flags, code / status */
		dmm_put_u16(w, m->seq);
		dmm_put_u8(w, d->mh == MH_UPN && (m->flags & DMM_F_ACK_REQ) ? UPN_A : 0);
		dmm_put_u8(w, d->code != CODE_NONE ? m->code : m->status);
		break;
	}
}

/* DMM sub-options that stand in for fields the reused header lacks. */
static void
enc_dmm_opts(struct dmm_wr *w, const struct dmm_msg *m, const struct msg_desc *d)
{
	uint16_t xflags = m->flags & ~d->wire_flags;

	if (d->mh == MH_BU || d->mh == MH_BA) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 2);
		dmm_put_u8(w, XO_FUNC);
		dmm_put_u8(w, d->sub);
	}
	if (xflags != 0) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 3);
		dmm_put_u8(w, XO_FLAGS);
		dmm_put_u16(w, xflags);
	}
	if (d->life == LIFE_OPT && m->lifetime != 0) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 5);
		dmm_put_u8(w, XO_LIFETIME);
		dmm_put_u32(w, m->lifetime);
	}
}

static void
enc_ids(struct dmm_wr *w, const struct dmm_msg *m)
{
	unsigned i;

	if (m->present & DMM_P_MNID) {
		dmm_put_u8(w, OPT_MNID);
		dmm_put_u8(w, (uint8_t)(1 + m->mnid.len));
		dmm_put_u8(w, m->mnid.type);
		dmm_put_bytes(w, m->mnid.id, m->mnid.len);
	}
	for (i = 0; (m->present & DMM_P_HNP) && i < m->n_hnp; i++) {
		enc_align(w, 4);
		dmm_put_u8(w, OPT_HNP);
		dmm_put_u8(w, 18);
		dmm_put_u8(w, 0);
		dmm_put_u8(w, m->hnp[i].len);
		dmm_put_bytes(w, &m->hnp[i].addr, 16);
	}
	if (m->present & DMM_P_HANDOFF) {
		dmm_put_u8(w, OPT_HI);
		dmm_put_u8(w, 2);
		dmm_put_u8(w, 0);
		dmm_put_u8(w, m->handoff);
	}
}

static void
enc_addrs(struct dmm_wr *w, const struct dmm_msg *m)
{
	if (m->present & DMM_P_LOCATION) {
		enc_align(w, 4); /* like HNP: keeps the address 8-aligned */
		dmm_put_u8(w, OPT_MAG);
		dmm_put_u8(w, 18);
		dmm_put_u8(w, 0);
		dmm_put_u8(w, 128);
		dmm_put_bytes(w, &m->location, 16);
	}
	if (m->present & DMM_P_PREV_LOCATION)
		enc_xo_addr(w, XO_PREV, &m->prev_location);
	if (m->present & DMM_P_HOME)
		enc_xo_addr(w, XO_HOME, &m->home);
	if (m->present & DMM_P_TARGET)
		enc_xo_addr(w, XO_TARGET, &m->target);
	if (m->present & DMM_P_ORIGIN) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 1 + 2 + 16);
		dmm_put_u8(w, XO_ORIGIN);
		dmm_put_u16(w, m->origin_seq);
		dmm_put_bytes(w, &m->origin, 16);
	}
	for (unsigned i = 0; (m->present & DMM_P_PHL) && i < m->n_phl; i++) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 1 + 1 + 16);
		dmm_put_u8(w, XO_PHL);
		dmm_put_u8(w, m->phl[i].len);
		dmm_put_bytes(w, &m->phl[i].addr, 16);
	}
	for (unsigned i = 0; (m->present & DMM_P_VER) && i < m->n_ver; i++) {
		dmm_put_u8(w, OPT_EXP);
		dmm_put_u8(w, 1 + 2);
		dmm_put_u8(w, XO_VER);
		dmm_put_u16(w, m->ver[i]);
	}
	if (m->present & DMM_P_TIMESTAMP) {
		enc_align(w, 2);
		dmm_put_u8(w, OPT_TS);
		dmm_put_u8(w, 8);
		dmm_put_u64(w, m->timestamp);
	}
}

static bool
mnid_ok(const struct dmm_mnid *id)
{
	switch (id->type) {
	case DMM_MNID_NAI:
		return id->len >= 1 && id->len <= DMM_MNID_MAX;
	case DMM_MNID_EUI48:
		return id->len == 6;
	case DMM_MNID_EUI64:
		return id->len == 8;
	default:
		return false;
	}
}

/* Options a request cannot do without (both directions check this). */
static bool
mandatory_ok(const struct dmm_msg *m, const struct msg_desc *d)
{
	uint32_t any = (m->flags & DMM_F_BY_MNID) && d->need_any_by_id ? d->need_any_by_id :
		       d->need_any;

	return (m->present & d->need_all) == d->need_all && (!any || (m->present & any));
}

/* Everything about m that does not depend on its options' bytes. */
static bool
fields_ok(const struct dmm_msg *m, const struct msg_desc *d)
{
	if ((m->flags & ~F_ALL) != 0 || (m->present & ~(d->allowed | DMM_P_AUTH)) != 0)
		return false;
	if (!d->has_status && m->status != 0)
		return false;
	switch (d->code) {
	case CODE_NONE:
		if (m->code != 0)
			return false;
		break;
	case CODE_TYPE: /* LM_FWD names the request it forwards */
		if (m->code == DMM_MSG_NONE || m->code >= DMM_MSG_TYPE_COUNT)
			return false;
		break;
	case CODE_TYPE0: /* its reply may echo it */
		if (m->code >= DMM_MSG_TYPE_COUNT)
			return false;
		break;
	default:
		break;
	}
	return mandatory_ok(m, d);
}

/* Per-host locators: one per HNP at most, in HNP order; each is as long
 * as its HNP (the translation swaps equal-length prefixes) or 0 (none). */
static bool
phl_ok(const struct dmm_msg *m)
{
	if (!(m->present & DMM_P_PHL))
		return true;
	if (m->n_phl == 0 || m->n_phl > m->n_hnp)
		return false;
	for (unsigned i = 0; i < m->n_phl; i++)
		if (m->phl[i].len != 0 && m->phl[i].len != m->hnp[i].len)
			return false;
	return true;
}

/* Binding versions: one per HNP at most, in HNP order. */
static bool
ver_ok(const struct dmm_msg *m)
{
	if (!(m->present & DMM_P_VER))
		return m->n_ver == 0;
	return m->n_ver != 0 && m->n_ver <= m->n_hnp && (m->present & DMM_P_HNP);
}

static bool
msg_ok(const struct dmm_msg *m, const struct msg_desc *d)
{
	unsigned i;

	if (!fields_ok(m, d))
		return false;
	if ((m->present & DMM_P_MNID) && !mnid_ok(&m->mnid))
		return false;
	if ((m->present & DMM_P_HANDOFF) && m->handoff == 0)
		return false;
	if (!(m->present & DMM_P_PHL) && m->n_phl != 0)
		return false;
	if (!ver_ok(m))
		return false;
	if (!(m->present & DMM_P_HNP))
		return m->n_hnp == 0 && !(m->present & (DMM_P_PHL | DMM_P_VER));
	if (m->n_hnp == 0 || m->n_hnp > DMM_MAX_HNP)
		return false;
	for (i = 0; i < m->n_hnp; i++)
		if (m->hnp[i].len > 128)
			return false;
	return phl_ok(m);
}

static const struct msg_desc *
msg_desc_of(enum dmm_msg_type t)
{
	if (t == DMM_MSG_NONE || (unsigned)t >= DMM_MSG_TYPE_COUNT)
		return NULL;
	return &msg_descs[t];
}

/* Header, fixed part and every option but the authenticator. */
static int
enc_body(const struct dmm_msg *m, struct dmm_wr *w)
{
	const struct msg_desc *d = msg_desc_of(m->type);

	if (d == NULL || !msg_ok(m, d))
		return DMM_E_MALFORMED;
	dmm_put_u8(w, MH_PROTO_NONE);
	dmm_put_u8(w, 0); /* header length, patched at the end */
	dmm_put_u8(w, d->mh);
	dmm_put_u8(w, 0);
	dmm_put_u16(w, 0); /* checksum: kernel (raw) or 0 (UDP), see PROTOCOL.md */
	enc_fixed(w, m, d);
	enc_dmm_opts(w, m, d);
	enc_ids(w, m);
	enc_addrs(w, m);
	return 0;
}

static int
enc_finish(struct dmm_wr *w)
{
	size_t len = w->off;

	if (len > DMM_MSG_MAX || len % 8 != 0) {
		if (!w->overflow)
			return DMM_E_NOSPACE;
	}
	dmm_wr_patch_u8(w, 1, (uint8_t)(len / 8 - 1));
	return dmm_wr_finish(w);
}

int
dmm_msg_encode(const struct dmm_msg *m, uint8_t *buf, size_t cap)
{
	struct dmm_wr w;
	int rc;

	dmm_wr_init(&w, buf, cap);
	if ((rc = enc_body(m, &w)) < 0)
		return rc;
	enc_align(&w, 0);
	return enc_finish(&w);
}

int
dmm_msg_encode_auth(const struct dmm_msg *m, uint32_t key_id, uint8_t *buf, size_t cap,
		    size_t *mac_off)
{
	struct dmm_wr w;
	size_t at;
	int rc;

	dmm_wr_init(&w, buf, cap);
	if ((rc = enc_body(m, &w)) < 0)
		return rc;
	/* Place the option so that it ends the message on an 8-octet
	 * boundary: nothing, not even padding, follows the MAC. */
	enc_align(&w, (8 - (2 + XO_AUTH_LEN) % 8) % 8);
	at = w.off;
	dmm_put_u8(&w, OPT_EXP);
	dmm_put_u8(&w, XO_AUTH_LEN);
	dmm_put_u8(&w, XO_AUTH);
	dmm_put_u32(&w, key_id);
	dmm_put_zero(&w, DMM_MAC_LEN);
	if ((rc = enc_finish(&w)) < 0)
		return rc;
	*mac_off = at + XO_AUTH_MAC;
	return rc;
}

/* ---- decoder ---- */

/* What the option walk found besides the message fields. */
struct dec_state {
	const struct msg_desc *d;
	uint8_t func;      /* XO_FUNC value, 0 if absent */
	uint32_t seen_xo;  /* bit per XO_* sub-type seen */
	unsigned n_opts;   /* non-padding options */
	bool auth;         /* the authenticator was seen: nothing may follow */
	size_t mac_off;
	size_t ts_off;     /* the Timestamp's value */
};

/* A read inside the declared length that runs out means a bad length
 * field, not a truncated packet: the packet was already checked to be as
 * long as its header says. */
static int
short_is_malformed(int rc)
{
	return rc == DMM_E_SHORT ? DMM_E_MALFORMED : rc;
}

static int
dec_life16(struct dmm_rd *r, struct dmm_msg *m, const struct msg_desc *d)
{
	uint16_t v;
	int rc;

	if ((rc = dmm_get_u16(r, &v)) < 0)
		return rc;
	m->lifetime = d->life == LIFE_4S ? (uint32_t)v * 4 : v;
	return 0;
}

static int
dec_fixed_bu_ba(struct dmm_rd *r, struct dmm_msg *m, uint8_t mh)
{
	uint16_t f16 = 0;
	uint8_t f8 = 0;
	int rc = 0;

	if (mh == MH_BU) {
		rc |= dmm_get_u16(r, &m->seq);
		rc |= dmm_get_u16(r, &f16);
		if (rc == 0 && !(f16 & BU_P))
			return DMM_E_MALFORMED; /* a MIPv6 BU, not ours */
		m->flags = DMM_F_PROXY | (f16 & BU_A ? DMM_F_ACK_REQ : 0);
	} else {
		rc |= dmm_get_u8(r, &m->status);
		rc |= dmm_get_u8(r, &f8);
		rc |= dmm_get_u16(r, &m->seq);
		if (rc == 0 && !(f8 & BA_P))
			return DMM_E_MALFORMED;
		m->flags = DMM_F_PROXY;
	}
	return rc != 0 ? DMM_E_SHORT : 0;
}

static int
dec_fixed_exp(struct dmm_rd *r, struct dmm_msg *m, uint8_t *sub)
{
	uint8_t res;
	int rc = 0;

	rc |= dmm_get_u8(r, sub);
	rc |= dmm_get_u8(r, &m->status);
	rc |= dmm_get_u16(r, &m->seq);
	rc |= dmm_get_u16(r, &m->flags);
	rc |= dmm_get_u8(r, &m->code);
	rc |= dmm_get_u8(r, &res);
	rc |= dmm_get_u32(r, &m->lifetime);
	return rc != 0 ? DMM_E_SHORT : 0;
}

/* HI, HAck, UPN, UPA, LRI, LRA. */
static int
dec_fixed_small(struct dmm_rd *r, struct dmm_msg *m, uint8_t mh)
{
	uint8_t fl, last;
	int rc = 0;

	rc |= dmm_get_u16(r, &m->seq);
	rc |= dmm_get_u8(r, &fl);
	rc |= dmm_get_u8(r, &last);
	if (rc != 0)
		return DMM_E_SHORT;
	if (mh == MH_HI || mh == MH_UPN)
		m->code = last;
	else if (mh != MH_LRI)
		m->status = last;
	if (mh == MH_UPN && (fl & UPN_A))
		m->flags |= DMM_F_ACK_REQ;
	return 0;
}

static const struct msg_desc *
desc_by_wire(uint8_t mh, uint8_t sub, enum dmm_msg_type *t)
{
	unsigned i;

	for (i = 1; i < DMM_MSG_TYPE_COUNT; i++) {
		if (msg_descs[i].mh != mh)
			continue;
		if (mh == MH_EXP && msg_descs[i].sub != sub)
			continue;
		*t = (enum dmm_msg_type)i;
		return &msg_descs[i];
	}
	return NULL;
}

/* Header type + fixed part. For PBU/PBA m->type is the HAA variant until
 * the function sub-option says otherwise. */
static int
dec_fixed(struct dmm_rd *r, struct dmm_msg *m, uint8_t mh, struct dec_state *st)
{
	uint8_t sub = 0;
	int rc;

	switch (mh) {
	case MH_BU:
	case MH_BA:
		rc = dec_fixed_bu_ba(r, m, mh);
		if (rc == 0)
			rc = dec_life16(r, m, &msg_descs[DMM_MSG_HOA_REQ]);
		break;
	case MH_EXP:
		rc = dec_fixed_exp(r, m, &sub);
		break;
	case MH_HI:
	case MH_HACK:
	case MH_UPN:
	case MH_UPA:
	case MH_LRI:
	case MH_LRA:
		rc = dec_fixed_small(r, m, mh);
		if (rc == 0 && (mh == MH_LRI || mh == MH_LRA))
			rc = dec_life16(r, m, &msg_descs[DMM_MSG_REDIRECT]);
		break;
	default:
		return DMM_E_UNKNOWN;
	}
	if (rc < 0)
		return short_is_malformed(rc);
	st->d = desc_by_wire(mh, sub, &m->type);
	return st->d != NULL ? 0 : DMM_E_UNKNOWN;
}

/* A singleton seen twice is malformed; so is a field the type cannot carry
 * (checked once at the end against the type's allowed set). */
static int
dec_mark(struct dmm_msg *m, uint32_t bit)
{
	if (m->present & bit)
		return DMM_E_MALFORMED;
	m->present |= bit;
	return 0;
}

static int
dec_addr_opt(struct dmm_rd *o, struct dmm_msg *m, uint32_t bit, struct in6_addr *a)
{
	if (dmm_rd_left(o) != 16)
		return DMM_E_MALFORMED;
	if (dec_mark(m, bit) < 0)
		return DMM_E_MALFORMED;
	return dmm_get_bytes(o, a, 16);
}

static int
dec_xo_once(struct dec_state *st, uint8_t sub)
{
	if (st->seen_xo & (1u << sub))
		return DMM_E_MALFORMED;
	st->seen_xo |= 1u << sub;
	return 0;
}

/* One per-host locator (repeatable like HNP, up to DMM_MAX_HNP): its
 * HNP pairing is checked once every option is in (dec_check). */
static int
dec_phl(struct dmm_rd *o, struct dmm_msg *m)
{
	struct dmm_prefix *p;

	if (m->n_phl >= DMM_MAX_HNP)
		return DMM_E_TOOMANY;
	p = &m->phl[m->n_phl++];
	m->present |= DMM_P_PHL;
	dmm_get_u8(o, &p->len);
	if (p->len > 128)
		return DMM_E_MALFORMED;
	return dmm_get_bytes(o, &p->addr, 16);
}

/* Experimental Mobility Option: our sub-type first, then its data. The
 * sub-type is mandatory to understand: an unknown one is DMM_E_UNKNOWN. */
static int
dec_xo(struct dmm_rd *o, struct dmm_msg *m, struct dec_state *st, size_t at)
{
	static const uint8_t xo_len[] = {
		[XO_FUNC] = 1, [XO_FLAGS] = 2, [XO_PREV] = 16, [XO_HOME] = 16,
		[XO_TARGET] = 16, [XO_ORIGIN] = 18, [XO_LIFETIME] = 4,
		[XO_AUTH] = XO_AUTH_LEN - 1, [XO_PHL] = 17, [XO_VER] = 2,
	};
	uint16_t fl = 0; /* the length was checked: the read cannot fail */
	uint8_t sub;

	if (dmm_get_u8(o, &sub) < 0)
		return DMM_E_MALFORMED;
	if (sub == 0 || sub >= sizeof(xo_len))
		return DMM_E_UNKNOWN;
	if (dmm_rd_left(o) != xo_len[sub])
		return DMM_E_MALFORMED;
	switch (sub) {
	case XO_PREV:
		return dec_addr_opt(o, m, DMM_P_PREV_LOCATION, &m->prev_location);
	case XO_HOME:
		return dec_addr_opt(o, m, DMM_P_HOME, &m->home);
	case XO_TARGET:
		return dec_addr_opt(o, m, DMM_P_TARGET, &m->target);
	case XO_ORIGIN:
		if (dec_mark(m, DMM_P_ORIGIN) < 0)
			return DMM_E_MALFORMED;
		dmm_get_u16(o, &m->origin_seq);
		return dmm_get_bytes(o, &m->origin, 16);
	case XO_PHL:
		return dec_phl(o, m);
	case XO_VER:
		if (m->n_ver >= DMM_MAX_HNP)
			return DMM_E_TOOMANY;
		m->present |= DMM_P_VER;
		return dmm_get_u16(o, &m->ver[m->n_ver++]);
	case XO_AUTH:
		if (dec_mark(m, DMM_P_AUTH) < 0)
			return DMM_E_MALFORMED;
		st->auth = true;
		st->mac_off = at + XO_AUTH_MAC;
		dmm_get_u32(o, &m->key_id);
		return dmm_get_bytes(o, m->mac, DMM_MAC_LEN);
	}
	if (dec_xo_once(st, sub) < 0)
		return DMM_E_MALFORMED;
	if (sub == XO_FUNC)
		return dmm_get_u8(o, &st->func);
	if (sub == XO_LIFETIME)
		return dmm_get_u32(o, &m->lifetime);
	dmm_get_u16(o, &fl);
	if (fl == 0 || (fl & ~F_ALL) != 0)
		return DMM_E_MALFORMED;
	m->flags |= fl;
	return 0;
}

static int
dec_mnid(struct dmm_rd *o, struct dmm_msg *m)
{
	size_t n = dmm_rd_left(o);

	if (n < 2 || n - 1 > DMM_MNID_MAX || dec_mark(m, DMM_P_MNID) < 0)
		return DMM_E_MALFORMED;
	dmm_get_u8(o, &m->mnid.type);
	m->mnid.len = (uint8_t)(n - 1);
	dmm_get_bytes(o, m->mnid.id, n - 1);
	if (m->mnid.type != DMM_MNID_NAI && m->mnid.type != DMM_MNID_EUI48 &&
	    m->mnid.type != DMM_MNID_EUI64)
		return DMM_E_UNKNOWN;
	return mnid_ok(&m->mnid) ? 0 : DMM_E_MALFORMED;
}

static int
dec_hnp(struct dmm_rd *o, struct dmm_msg *m, size_t at)
{
	struct dmm_prefix *p;
	uint8_t res;

	if (dmm_rd_left(o) != 18)
		return DMM_E_MALFORMED;
	if (at % 8 != 4)
		return DMM_E_ALIGN;
	if (m->n_hnp >= DMM_MAX_HNP)
		return DMM_E_TOOMANY;
	p = &m->hnp[m->n_hnp++];
	m->present |= DMM_P_HNP;
	dmm_get_u8(o, &res);
	dmm_get_u8(o, &p->len);
	dmm_get_bytes(o, &p->addr, 16);
	return p->len <= 128 ? 0 : DMM_E_MALFORMED;
}

static int
dec_small_opt(struct dmm_rd *o, struct dmm_msg *m, uint8_t type, size_t at)
{
	uint8_t res, alen = 0; /* the length was checked: the reads cannot fail */

	switch (type) {
	case OPT_HI:
		if (dmm_rd_left(o) != 2 || dec_mark(m, DMM_P_HANDOFF) < 0)
			return DMM_E_MALFORMED;
		dmm_get_u8(o, &res);
		dmm_get_u8(o, &m->handoff);
		return m->handoff != 0 ? 0 : DMM_E_MALFORMED;
	case OPT_TS:
		if (dmm_rd_left(o) != 8)
			return DMM_E_MALFORMED;
		if (at % 8 != 2)
			return DMM_E_ALIGN;
		if (dec_mark(m, DMM_P_TIMESTAMP) < 0)
			return DMM_E_MALFORMED;
		return dmm_get_u64(o, &m->timestamp);
	default: /* OPT_MAG */
		if (dmm_rd_left(o) != 18)
			return DMM_E_MALFORMED;
		dmm_get_u8(o, &res);
		dmm_get_u8(o, &alen);
		if (alen != 128)
			return DMM_E_MALFORMED;
		return dec_addr_opt(o, m, DMM_P_LOCATION, &m->location);
	}
}

static int
dec_padn(struct dmm_rd *o)
{
	uint8_t b;

	while (dmm_get_u8(o, &b) == 0)
		if (b != 0)
			return DMM_E_MALFORMED;
	return 0;
}

/* One option whose type byte is at offset at of the message. */
static int
dec_opt(struct dmm_rd *r, struct dmm_msg *m, struct dec_state *st, size_t at)
{
	struct dmm_rd o;
	uint8_t type, len;

	if (dmm_get_u8(r, &type) < 0)
		return DMM_E_MALFORMED;
	if (st->auth)
		return DMM_E_MALFORMED; /* the authenticator must be last */
	if (type == OPT_PAD1)
		return 0;
	if (dmm_get_u8(r, &len) < 0 || dmm_rd_sub(r, len, &o) < 0)
		return DMM_E_MALFORMED;
	if (type == OPT_PADN)
		return dec_padn(&o);
	if (++st->n_opts > DMM_MAX_OPTIONS)
		return DMM_E_TOOMANY;
	switch (type) {
	case OPT_MNID:
		return dec_mnid(&o, m);
	case OPT_HNP:
		return dec_hnp(&o, m, at);
	case OPT_TS:
		st->ts_off = at + 2;
		return dec_small_opt(&o, m, type, at);
	case OPT_HI:
	case OPT_MAG:
		return dec_small_opt(&o, m, type, at);
	case OPT_EXP:
		return dec_xo(&o, m, st, at);
	default:
		return 0; /* RFC 6275 §6.2.1: skip options we do not know */
	}
}

/* The options decoded; now the type they belong to must fit them. */
static int
dec_check(struct dmm_msg *m, struct dec_state *st)
{
	const struct msg_desc *d = st->d;

	if (d->mh == MH_BU || d->mh == MH_BA) {
		if (st->func == FUNC_LM)
			m->type = d->mh == MH_BU ? DMM_MSG_LOC_UPDATE : DMM_MSG_LOC_ACK;
		else if (st->func != FUNC_HAA)
			return st->func == 0 ? DMM_E_MALFORMED : DMM_E_UNKNOWN;
		d = st->d = &msg_descs[m->type];
	} else if (st->func != 0) {
		return DMM_E_MALFORMED;
	}
	if ((st->seen_xo & (1u << XO_LIFETIME)) && d->life != LIFE_OPT)
		return DMM_E_MALFORMED;
	if ((st->seen_xo & (1u << XO_FLAGS)) && d->wire_flags == F_ALL)
		return DMM_E_MALFORMED;
	if ((m->present & DMM_P_PHL) && !(m->present & DMM_P_HNP))
		return DMM_E_MALFORMED;
	return fields_ok(m, d) && phl_ok(m) && ver_ok(m) ? 0 : DMM_E_MALFORMED;
}

/* The Mobility Header's first 6 bytes: payload proto none, a length that
 * is exactly len (at most DMM_MSG_MAX), the MH type in *mh; r is left
 * after them. 0, DMM_E_SHORT or DMM_E_MALFORMED. */
static int mh_header(struct dmm_rd *r, const uint8_t *buf, size_t len, uint8_t *mh)
{
	uint8_t proto, hlen;
	size_t total;

	dmm_rd_init(r, buf, len);
	if (dmm_get_u8(r, &proto) < 0 || dmm_get_u8(r, &hlen) < 0 ||
	    dmm_get_u8(r, mh) < 0 || dmm_skip(r, 3) < 0)
		return DMM_E_SHORT;
	total = ((size_t)hlen + 1) * 8;
	if (total > DMM_MSG_MAX || proto != MH_PROTO_NONE)
		return DMM_E_MALFORMED;
	if (len < total)
		return DMM_E_SHORT;
	if (len > total)
		return DMM_E_MALFORMED; /* bytes beyond the header length */
	return 0;
}

int
dmm_msg_decode_span(const uint8_t *buf, size_t len, struct dmm_msg *m,
		    struct dmm_msg_span *span)
{
	struct dec_state st;
	struct dmm_rd r;
	uint8_t mh;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(&st, 0, sizeof(st));
	span->mac_off = span->ts_off = 0;
	if ((rc = mh_header(&r, buf, len, &mh)) < 0)
		return rc;
	if ((rc = dec_fixed(&r, m, mh, &st)) < 0)
		return rc;
	while (dmm_rd_left(&r) > 0)
		if ((rc = dec_opt(&r, m, &st, r.off)) < 0)
			return short_is_malformed(rc);
	if ((rc = dec_check(m, &st)) < 0)
		return rc;
	span->mac_off = st.mac_off;
	span->ts_off = st.ts_off;
	return 0;
}

int
dmm_msg_auth_span(const uint8_t *buf, size_t len, uint32_t *key_id, size_t *mac_off)
{
	struct dmm_rd r;
	uint8_t mh, type, olen, sub;
	size_t at;
	int rc = mh_header(&r, buf, len, &mh);

	if (rc < 0)
		return rc;
	if (len < 6 + 2 + XO_AUTH_LEN)
		return DMM_E_AUTH;
	at = len - 2 - XO_AUTH_LEN;
	dmm_rd_init(&r, buf + at, len - at);
	if (dmm_get_u8(&r, &type) < 0 || dmm_get_u8(&r, &olen) < 0 ||
	    dmm_get_u8(&r, &sub) < 0 || dmm_get_u32(&r, key_id) < 0)
		return DMM_E_AUTH;
	if (type != OPT_EXP || olen != XO_AUTH_LEN || sub != XO_AUTH)
		return DMM_E_AUTH;
	*mac_off = at + XO_AUTH_MAC;
	return 0;
}

int
dmm_msg_decode(const uint8_t *buf, size_t len, struct dmm_msg *m)
{
	struct dmm_msg_span span;

	return dmm_msg_decode_span(buf, len, m, &span);
}

struct dmm_prefix dmm_msg_phl_of(const struct dmm_msg *m, const struct dmm_prefix *p)
{
	struct dmm_prefix none = { .len = 0 }, q;

	if (!(m->present & DMM_P_PHL))
		return none;
	for (unsigned i = 0; i < m->n_phl && i < m->n_hnp && i < DMM_MAX_HNP; i++) {
		q = m->hnp[i];
		dmm_prefix_mask(&q);
		if (dmm_prefix_eq(&q, p))
			return m->phl[i];
	}
	return none;
}
