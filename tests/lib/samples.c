/* Sample messages for tests, fuzz seeds and the tshark capture. */
#include <arpa/inet.h>
#include <string.h>

#include "samples.h"

static struct in6_addr
sample_ip(const char *s)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, s, &a);
	return a;
}

static void
sample_hnp(struct dmm_msg *m, const char *s)
{
	if (m->n_hnp >= DMM_MAX_HNP)
		return;
	m->hnp[m->n_hnp].addr = sample_ip(s);
	m->hnp[m->n_hnp].len = 64;
	m->n_hnp++;
	m->present |= DMM_P_HNP;
}

static void
sample_mnid(struct dmm_msg *m)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	m->mnid.type = DMM_MNID_EUI48;
	m->mnid.len = sizeof(mac);
	memcpy(m->mnid.id, mac, sizeof(mac));
	m->present |= DMM_P_MNID;
}

static void
sample_loc(struct dmm_msg *m)
{
	m->location = sample_ip("2001:db8:ffff::3");
	m->present |= DMM_P_LOCATION;
}

static void
sample_home(struct dmm_msg *m)
{
	m->home = sample_ip("2001:db8:ffff::5");
	m->present |= DMM_P_HOME;
}

static void
sample_origin(struct dmm_msg *m)
{
	m->origin = sample_ip("2001:db8:ffff::6");
	m->origin_seq = 77;
	m->present |= DMM_P_ORIGIN;
}

/* Options of the HoA and location messages (PBU / PBA). */
static void
sample_binding(struct dmm_msg *m, bool reply)
{
	sample_mnid(m);
	sample_hnp(m, "2001:db8:1:1::");
	m->handoff = reply ? DMM_HI_NEW_IFACE : DMM_HI_SAME_IFACE;
	m->present |= DMM_P_HANDOFF;
	m->lifetime = 3600;
	m->flags |= DMM_F_PROXY | (reply ? 0 : DMM_F_ACK_REQ);
}

static void
sample_fill(enum dmm_msg_type t, struct dmm_msg *m)
{
	switch (t) {
	case DMM_MSG_HOA_REQ:
		sample_binding(m, false);
		sample_loc(m);
		break;
	case DMM_MSG_HOA_REP:
		sample_binding(m, true);
		sample_home(m);
		break;
	case DMM_MSG_LOC_UPDATE:
		sample_binding(m, false);
		sample_hnp(m, "2001:db8:2:7::");
		sample_loc(m);
		sample_home(m);
		m->present |= DMM_P_VER; /* the first prefix's binding version */
		m->n_ver = 1;
		m->ver[0] = 41;
		break;
	case DMM_MSG_LOC_ACK:
		sample_binding(m, true);
		break;
	case DMM_MSG_LOC_QUERY:
		m->target = sample_ip("2001:db8:1:1::abcd");
		m->present |= DMM_P_TARGET;
		m->flags |= DMM_F_SUBSCRIBE;
		break;
	case DMM_MSG_LOC_REPLY:
		sample_mnid(m);
		sample_hnp(m, "2001:db8:1:1::");
		sample_loc(m);
		sample_home(m);
		m->present |= DMM_P_VER;
		m->n_ver = 1;
		m->ver[0] = 7;
		m->lifetime = 600;
		break;
	case DMM_MSG_CTX_REQ:
		sample_mnid(m);
		sample_hnp(m, "2001:db8:1:1::");
		sample_loc(m);
		m->prev_location = sample_ip("2001:db8:ffff::4");
		m->present |= DMM_P_PREV_LOCATION;
		m->handoff = DMM_HI_SAME_IFACE;
		m->present |= DMM_P_HANDOFF;
		m->code = 0;
		break;
	case DMM_MSG_CTX_ACK:
		sample_mnid(m);
		sample_hnp(m, "2001:db8:1:1::");
		break;
	case DMM_MSG_REDIRECT:
		sample_hnp(m, "2001:db8:1:1::");
		sample_loc(m);
		m->lifetime = 600;
		break;
	case DMM_MSG_REDIRECT_ACK:
		sample_hnp(m, "2001:db8:1:1::");
		break;
	case DMM_MSG_LM_NOTIFY:
		sample_mnid(m);
		sample_hnp(m, "2001:db8:1:1::");
		sample_loc(m);
		m->code = 1;
		break;
	case DMM_MSG_LM_NOTIFY_ACK:
		sample_hnp(m, "2001:db8:1:1::");
		break;
	case DMM_MSG_LM_FWD:
		m->code = DMM_MSG_LOC_QUERY;
		m->target = sample_ip("2001:db8:1:1::abcd");
		m->present |= DMM_P_TARGET;
		sample_origin(m);
		break;
	case DMM_MSG_LM_FWD_REPLY:
		sample_origin(m);
		sample_mnid(m);
		sample_hnp(m, "2001:db8:1:1::");
		sample_loc(m);
		sample_home(m);
		m->lifetime = 600;
		break;
	default:
		break;
	}
}

void
sample_msg(enum dmm_msg_type t, struct dmm_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	m->seq = (uint16_t)(1000 + t);
	m->status = DMM_ST_OK;
	m->timestamp = dmm_ts_from_ms(SAMPLE_TS_MS);
	m->present = DMM_P_TIMESTAMP;
	sample_fill(t, m);
}

void
sample_key(uint32_t id, uint8_t key[DMM_KEY_LEN])
{
	unsigned i;

	for (i = 0; i < DMM_KEY_LEN; i++)
		key[i] = (uint8_t)(0xa5 ^ (id * 31 + i * 7));
}

void
sample_keyring(struct dmm_keyring *kr)
{
	uint8_t key[DMM_KEY_LEN];

	memset(kr, 0, sizeof(*kr));
	sample_key(SAMPLE_KEY_ID, key);
	dmm_keyring_add(kr, SAMPLE_KEY_ID, key);
	kr->active = SAMPLE_KEY_ID;
}

void
sample_addrs(struct in6_addr *src, struct in6_addr *dst)
{
	*src = sample_ip("2001:db8:ffff::1");
	*dst = sample_ip("2001:db8:ffff::2");
}

static const char *
sample_opt_diff(const struct dmm_msg *a, const struct dmm_msg *b)
{
	unsigned i;

	if ((a->present & DMM_P_MNID) && !dmm_mnid_eq(&a->mnid, &b->mnid))
		return "mnid";
	if (a->present & DMM_P_HNP) {
		if (a->n_hnp != b->n_hnp)
			return "n_hnp";
		for (i = 0; i < a->n_hnp && i < DMM_MAX_HNP; i++)
			if (!dmm_prefix_eq(&a->hnp[i], &b->hnp[i]))
				return "hnp";
	}
	if (a->present & DMM_P_PHL) {
		if (a->n_phl != b->n_phl)
			return "n_phl";
		for (i = 0; i < a->n_phl && i < DMM_MAX_HNP; i++)
			if (a->phl[i].len != b->phl[i].len ||
			    memcmp(&a->phl[i].addr, &b->phl[i].addr, 16))
				return "phl";
	}
	if (a->present & DMM_P_VER) {
		if (a->n_ver != b->n_ver)
			return "n_ver";
		for (i = 0; i < a->n_ver && i < DMM_MAX_HNP; i++)
			if (a->ver[i] != b->ver[i])
				return "ver";
	}
	if ((a->present & DMM_P_HANDOFF) && a->handoff != b->handoff)
		return "handoff";
	if ((a->present & DMM_P_LOCATION) && memcmp(&a->location, &b->location, 16))
		return "location";
	if ((a->present & DMM_P_PREV_LOCATION) &&
	    memcmp(&a->prev_location, &b->prev_location, 16))
		return "prev_location";
	if ((a->present & DMM_P_HOME) && memcmp(&a->home, &b->home, 16))
		return "home";
	if ((a->present & DMM_P_TARGET) && memcmp(&a->target, &b->target, 16))
		return "target";
	if ((a->present & DMM_P_ORIGIN) &&
	    (memcmp(&a->origin, &b->origin, 16) || a->origin_seq != b->origin_seq))
		return "origin";
	if ((a->present & DMM_P_TIMESTAMP) && a->timestamp != b->timestamp)
		return "timestamp";
	return NULL;
}

const char *
sample_msg_diff(const struct dmm_msg *a, const struct dmm_msg *b)
{
	if (a->type != b->type)
		return "type";
	if (a->seq != b->seq)
		return "seq";
	if (a->flags != b->flags)
		return "flags";
	if (a->status != b->status)
		return "status";
	if (a->code != b->code)
		return "code";
	if (a->lifetime != b->lifetime)
		return "lifetime";
	if ((a->present & ~(uint32_t)DMM_P_AUTH) != (b->present & ~(uint32_t)DMM_P_AUTH))
		return "present";
	return sample_opt_diff(a, b);
}
