/* dmmdump: what dmm's own codec says, one JSON object per line, for
 * tests/sh/tshark_lua.sh to hold the Lua dissector (tools/wireshark/dmm.lua)
 * against.
 *   dmmdump [-p PORT] CAPTURE.pcap  every frame of a classic pcap (raw IPv6,
 *                   Ethernet, Linux cooked v1/v2): if it is IPv6 with next
 *                   header 135 or UDP to/from PORT (5436), dmm_msg_decode's
 *                   verdict on the Mobility Header bytes (the captured ones,
 *                   up to the length the IPv6/UDP header gives) and every
 *                   field it decoded
 *   dmmdump -s      the sample messages of tests/lib/samples.c as the
 *                   encoder was given them (the values mkpcap seals), one
 *                   per type in mkpcap's frame order
 *   dmmdump -w OUT.pcap  more messages than the samples, for the fields and
 *                   options the samples leave out (NAI and EUI-64 MN-IDs,
 *                   four HNPs, XO_FLAGS, XO_LIFETIME, every DMM flag, non-
 *                   zero status and code, the UPN A flag, a REPLICA LM_FWD,
 *                   unsealed messages, an unknown IANA option dmm skips),
 *                   encoded by dmm_msg_encode / dmm_msg_seal, over raw IPv6
 *                   (next header 135); prints what the encoder was given,
 *                   like -s
 * Output: {"frame":N,"dmm":true,"err":"",...fields} ("err" is the decoder's
 * error name, e.g. "DMM_E_SHORT"; fields only when err is empty), or
 * {"frame":N,"dmm":false} for a frame that carries no Mobility Header.
 * Built by the test: cc -Icore -Itests/lib tools/wireshark/dmmdump.c
 * tests/lib/samples.c build/libdmm.a -lcrypto -lsodium. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "msg.h"
#include "samples.h"

static const char *
err_name(int e)
{
	switch (e) {
	case 0: return "";
	case DMM_E_SHORT: return "DMM_E_SHORT";
	case DMM_E_MALFORMED: return "DMM_E_MALFORMED";
	case DMM_E_ALIGN: return "DMM_E_ALIGN";
	case DMM_E_UNKNOWN: return "DMM_E_UNKNOWN";
	case DMM_E_TOOMANY: return "DMM_E_TOOMANY";
	default: return "DMM_E_OTHER";
	}
}

static void
hex(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void
addr(const char *key, const struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, s, sizeof(s));
	printf(",\"%s\":\"%s\"", key, s);
}

/* The fields of m; auth: the key id and MAC are known (decoded). */
static void
fields(const struct dmm_msg *m, bool auth)
{
	char s[INET6_ADDRSTRLEN];
	unsigned i;

	printf(",\"type\":%d,\"name\":\"%s\",\"seq\":%u,\"flags\":%u,\"status\":%u,"
	       "\"code\":%u,\"lifetime\":%" PRIu32, (int)m->type, dmm_msg_type_name(m->type),
	       m->seq, m->flags, m->status, m->code, m->lifetime);
	if (m->present & DMM_P_MNID) {
		printf(",\"mnid\":\"%u:", m->mnid.type);
		hex(m->mnid.id, m->mnid.len);
		printf("\"");
	}
	if (m->present & DMM_P_HNP) {
		printf(",\"hnp\":[");
		for (i = 0; i < m->n_hnp; i++) {
			inet_ntop(AF_INET6, &m->hnp[i].addr, s, sizeof(s));
			printf("%s\"%s/%u\"", i ? "," : "", s, m->hnp[i].len);
		}
		printf("]");
	}
	if (m->present & DMM_P_PHL) {
		printf(",\"phl\":[");
		for (i = 0; i < m->n_phl; i++) {
			inet_ntop(AF_INET6, &m->phl[i].addr, s, sizeof(s));
			printf("%s\"%s/%u\"", i ? "," : "", s, m->phl[i].len);
		}
		printf("]");
	}
	if (m->present & DMM_P_VER) {
		printf(",\"ver\":[");
		for (i = 0; i < m->n_ver; i++)
			printf("%s%u", i ? "," : "", m->ver[i]);
		printf("]");
	}
	if (m->present & DMM_P_HANDOFF)
		printf(",\"handoff\":%u", m->handoff);
	if (m->present & DMM_P_LOCATION)
		addr("location", &m->location);
	if (m->present & DMM_P_PREV_LOCATION)
		addr("prev", &m->prev_location);
	if (m->present & DMM_P_HOME)
		addr("home", &m->home);
	if (m->present & DMM_P_TARGET)
		addr("target", &m->target);
	if (m->present & DMM_P_ORIGIN) {
		addr("origin", &m->origin);
		printf(",\"origin_seq\":%u", m->origin_seq);
	}
	if (m->present & DMM_P_TIMESTAMP)
		printf(",\"timestamp\":%" PRIu64, m->timestamp);
	if (auth && (m->present & DMM_P_AUTH)) {
		printf(",\"key_id\":%" PRIu32 ",\"mac\":\"", m->key_id);
		hex(m->mac, sizeof(m->mac));
		printf("\"");
	}
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The IPv6 header inside a frame of link type lt, or NULL. */
static const uint8_t *
ip6_of(uint32_t lt, const uint8_t *b, size_t n, size_t *left)
{
	size_t off;
	uint16_t et;

	switch (lt) {
	case 1: /* Ethernet, maybe one VLAN tag */
		if (n < 14)
			return NULL;
		off = 14, et = be16(b + 12);
		if (et == 0x8100 && n >= 18)
			off = 18, et = be16(b + 16);
		if (et != 0x86dd)
			return NULL;
		break;
	case 113: /* Linux cooked v1 */
		if (n < 16 || be16(b + 14) != 0x86dd)
			return NULL;
		off = 16;
		break;
	case 276: /* Linux cooked v2 */
		if (n < 20 || be16(b) != 0x86dd)
			return NULL;
		off = 20;
		break;
	case 101: case 229: case 12: case 14: /* raw IP(v6) */
		off = 0;
		break;
	default:
		return NULL;
	}
	if (n < off + 40 || (b[off] >> 4) != 6)
		return NULL;
	*left = n - off;
	return b + off;
}

static void
frame(unsigned no, uint32_t lt, const uint8_t *b, size_t n, uint16_t port)
{
	const uint8_t *ip, *mh;
	struct dmm_msg m;
	size_t left, len;
	int rc;

	printf("{\"frame\":%u", no);
	ip = ip6_of(lt, b, n, &left);
	if (ip == NULL)
		goto not_mh;
	len = be16(ip + 4);
	mh = ip + 40;
	left -= 40;
	if (len > left)
		len = left; /* the captured bytes only */
	if (ip[6] == 17) {
		size_t ulen;

		if (len < 8 || (be16(mh) != port && be16(mh + 2) != port))
			goto not_mh;
		ulen = be16(mh + 4);
		if (ulen < 8)
			goto not_mh;
		len = (ulen < len ? ulen : len) - 8;
		mh += 8;
	} else if (ip[6] != 135) {
		goto not_mh;
	}
	rc = dmm_msg_decode(mh, len, &m);
	printf(",\"dmm\":true,\"len\":%zu,\"err\":\"%s\"", len, err_name(rc));
	if (rc == 0)
		fields(&m, true);
	printf("}\n");
	return;
not_mh:
	printf(",\"dmm\":false}\n");
}

static int
dump(const char *path, uint16_t port)
{
	uint8_t gh[24], rh[16], *buf = NULL;
	uint32_t magic, lt, caplen;
	unsigned no = 0;
	bool swap;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fread(gh, 1, 24, f) != 24) {
		fprintf(stderr, "dmmdump: %s: cannot read a pcap header\n", path);
		return 1;
	}
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = false;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = true;
	else {
		fprintf(stderr, "dmmdump: %s: not a classic pcap file\n", path);
		return 1;
	}
	lt = rd32(gh + 20, swap) & 0xffff;
	while (fread(rh, 1, 16, f) == 16) {
		caplen = rd32(rh + 8, swap);
		if (caplen > 262144 || (buf = realloc(buf, caplen ? caplen : 1)) == NULL ||
		    fread(buf, 1, caplen, f) != caplen) {
			fprintf(stderr, "dmmdump: %s: truncated record %u\n", path, no + 1);
			free(buf);
			fclose(f);
			return 1;
		}
		frame(++no, lt, buf, caplen, port);
	}
	free(buf);
	fclose(f);
	return 0;
}

static void
samples(void)
{
	enum dmm_msg_type t;
	struct dmm_msg m;

	for (t = DMM_MSG_NONE + 1; t < DMM_MSG_TYPE_COUNT; t++) {
		sample_msg(t, &m);
		printf("{\"frame\":%d,\"dmm\":true,\"err\":\"\"", (int)t);
		fields(&m, false);
		printf(",\"key_id\":%u}\n", SAMPLE_KEY_ID);
	}
}

/* ---- dmmdump -w: more messages ---- */

static struct in6_addr
ip(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static void
set_nai(struct dmm_msg *m, const char *nai)
{
	m->mnid.type = DMM_MNID_NAI;
	m->mnid.len = (uint8_t)strlen(nai);
	memcpy(m->mnid.id, nai, m->mnid.len);
	m->present |= DMM_P_MNID;
}

static void
set_eui64(struct dmm_msg *m)
{
	static const uint8_t id[8] = { 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 };

	m->mnid.type = DMM_MNID_EUI64;
	m->mnid.len = 8;
	memcpy(m->mnid.id, id, 8);
	m->present |= DMM_P_MNID;
}

static void
add_hnp(struct dmm_msg *m, const char *a, uint8_t len)
{
	m->hnp[m->n_hnp].addr = ip(a);
	m->hnp[m->n_hnp++].len = len;
	m->present |= DMM_P_HNP;
}

static void
set_addr(struct dmm_msg *m, uint32_t bit, const char *a)
{
	struct in6_addr v = ip(a);

	switch (bit) {
	case DMM_P_LOCATION: m->location = v; break;
	case DMM_P_PREV_LOCATION: m->prev_location = v; break;
	case DMM_P_HOME: m->home = v; break;
	case DMM_P_TARGET: m->target = v; break;
	default: m->origin = v; break;
	}
	m->present |= bit;
}

/* Message i of the extra set (0 when there is none); *seal: add XO_AUTH;
 * *unknown_opt: append an IANA option dmm does not know. */
static int
extra(unsigned i, struct dmm_msg *m, bool *seal, bool *unknown_opt)
{
	memset(m, 0, sizeof(*m));
	m->seq = (uint16_t)(2000 + i);
	m->timestamp = dmm_ts_from_ms(SAMPLE_TS_MS + i);
	m->present = DMM_P_TIMESTAMP;
	*seal = true;
	*unknown_opt = false;
	switch (i) {
	case 1:
		m->type = DMM_MSG_HOA_REQ;
		m->flags = DMM_F_ACK_REQ | DMM_F_PROXY | DMM_F_DEPRECATE;
		m->lifetime = 8;
		set_nai(m, "mn1@figure1.example");
		add_hnp(m, "2001:db8:1:1::", 64);
		add_hnp(m, "2001:db8:1:2::", 64);
		add_hnp(m, "2001:db8:1:300::", 56);
		add_hnp(m, "2001:db8:4::", 48);
		m->handoff = DMM_HI_DIFF_IFACE;
		m->present |= DMM_P_HANDOFF;
		set_addr(m, DMM_P_LOCATION, "2001:db8:ffff::11");
		set_addr(m, DMM_P_PREV_LOCATION, "2001:db8:ffff::12");
		set_addr(m, DMM_P_HOME, "2001:db8:ffff::13");
		break;
	case 2:
		m->type = DMM_MSG_LOC_UPDATE;
		m->flags = DMM_F_PROXY | DMM_F_BY_MNID | DMM_F_FIXED;
		set_eui64(m);
		break;
	case 3:
		m->type = DMM_MSG_LOC_QUERY;
		m->flags = DMM_F_ACK_REQ | DMM_F_PROXY | DMM_F_DEPRECATE | DMM_F_SUBSCRIBE |
			   DMM_F_BY_MNID | DMM_F_FIXED | DMM_F_REPLICA | DMM_F_HANDOVER;
		m->lifetime = 100000;
		set_nai(m, "x");
		break;
	case 4:
		m->type = DMM_MSG_LOC_REPLY;
		m->status = DMM_ST_NOT_FOUND;
		m->code = 9;
		set_addr(m, DMM_P_TARGET, "2001:db8:9::1");
		break;
	case 5:
		m->type = DMM_MSG_CTX_REQ;
		m->flags = DMM_F_DEPRECATE;
		m->lifetime = 30;
		m->code = 7;
		add_hnp(m, "2001:db8:1:1::", 64);
		/* relayed by an LM for the nMR */
		set_addr(m, DMM_P_LOCATION, "2001:db8:ffff::51");
		set_addr(m, DMM_P_ORIGIN, "2001:db8:ffff::51");
		m->origin_seq = 513;
		break;
	case 6:
		m->type = DMM_MSG_CTX_ACK;
		m->status = DMM_ST_NO_RESOURCES;
		m->lifetime = 5;
		set_eui64(m);
		break;
	case 7:
		m->type = DMM_MSG_REDIRECT;
		m->lifetime = 65535;
		add_hnp(m, "2001:db8:2::", 48);
		set_addr(m, DMM_P_LOCATION, "2001:db8:ffff::21");
		set_addr(m, DMM_P_HOME, "2001:db8:ffff::22");
		break;
	case 8:
		m->type = DMM_MSG_REDIRECT_ACK;
		m->status = DMM_ST_PROHIBITED;
		m->lifetime = 1;
		*seal = false;
		break;
	case 9:
		m->type = DMM_MSG_LM_NOTIFY;
		m->flags = DMM_F_ACK_REQ;
		m->code = 2;
		m->lifetime = 9;
		add_hnp(m, "2001:db8:1:1::", 64);
		break;
	case 10:
		m->type = DMM_MSG_LM_NOTIFY_ACK;
		m->status = DMM_ST_UNSPEC;
		m->lifetime = 0xffffffffu;
		break;
	case 11:
		m->type = DMM_MSG_LM_FWD;
		m->flags = DMM_F_REPLICA;
		m->code = DMM_MSG_LOC_UPDATE;
		m->lifetime = 3600;
		set_nai(m, "mn2@figure1.example");
		add_hnp(m, "2001:db8:3:1::", 64);
		set_addr(m, DMM_P_LOCATION, "2001:db8:ffff::31");
		set_addr(m, DMM_P_HOME, "2001:db8:ffff::31");
		set_addr(m, DMM_P_ORIGIN, "2001:db8:ff::3");
		m->origin_seq = 65535;
		break;
	case 12:
		m->type = DMM_MSG_LM_FWD_REPLY;
		m->status = DMM_ST_NOT_AUTHORITATIVE;
		m->code = DMM_MSG_LOC_QUERY;
		set_addr(m, DMM_P_ORIGIN, "2001:db8:ff::1");
		m->origin_seq = 1;
		m->present |= DMM_P_HANDOFF;
		m->handoff = DMM_HI_NOT_CHANGED;
		*seal = false;
		break;
	case 13:
		m->type = DMM_MSG_HOA_REP;
		m->flags = DMM_F_PROXY;
		m->status = DMM_ST_NO_RESOURCES;
		m->present &= ~(uint32_t)DMM_P_TIMESTAMP;
		*seal = false;
		*unknown_opt = true;
		break;
	case 14: /* routing locator: one prefix and its per-host locator */
		m->type = DMM_MSG_REDIRECT;
		m->lifetime = 300;
		add_hnp(m, "2001:db8:1:1200::", 64);
		set_addr(m, DMM_P_LOCATION, "2001:db8:ff::11");
		m->phl[m->n_phl].addr = ip("2001:db8:a11a:70e6::");
		m->phl[m->n_phl++].len = 64;
		m->present |= DMM_P_PHL;
		break;
	case 15: /* two prefixes, a locator for the second only */
		m->type = DMM_MSG_LOC_REPLY;
		set_nai(m, "mn1@figure1.example");
		add_hnp(m, "2001:db8:1:1200::", 64);
		add_hnp(m, "2001:db8:1:1201::", 64);
		set_addr(m, DMM_P_LOCATION, "2001:db8:ff::11");
		set_addr(m, DMM_P_HOME, "2001:db8:ff::12");
		set_addr(m, DMM_P_TARGET, "2001:db8:1:1201::1");
		m->n_phl = 2;
		m->phl[1].addr = ip("2001:db8:a11a:70e7::");
		m->phl[1].len = 64;
		m->present |= DMM_P_PHL;
		break;
	default:
		return 0;
	}
	return 1;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
cksum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *d, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 16; i += 2)
		sum += (uint32_t)(src->s6_addr[i] << 8 | src->s6_addr[i + 1]) +
		       (uint32_t)(dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
	sum += (uint32_t)n + 135;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int
write_extra(const char *path)
{
	uint32_t gh[6] = { 0xa1b2c3d4, 2 | 4 << 16, 0, 0, 65535, 229 };
	uint8_t pkt[40 + DMM_MSG_MAX + 8], *mh = pkt + 40;
	struct in6_addr src, dst;
	struct dmm_keyring kr;
	struct dmm_msg m;
	bool seal, unk;
	unsigned i;
	FILE *f;
	int len;

	if (dmm_auth_init() != 0)
		return 1;
	sample_keyring(&kr);
	sample_addrs(&src, &dst);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		return 1;
	}
	fwrite(gh, sizeof(gh), 1, f);
	for (i = 1; extra(i, &m, &seal, &unk); i++) {
		uint32_t rh[4];

		len = seal ? dmm_msg_seal(&kr, &src, &dst, &m, mh, DMM_MSG_MAX)
			   : dmm_msg_encode(&m, mh, DMM_MSG_MAX);
		if (len < 0) {
			fprintf(stderr, "dmmdump: extra %u (%s): %s\n", i,
				dmm_msg_type_name(m.type), dmm_strerror(len));
			fclose(f);
			return 1;
		}
		if (unk) { /* option 99, 6 bytes of data: skipped by dmm */
			static const uint8_t o[8] = { 99, 6, 1, 2, 3, 4, 5, 6 };

			memcpy(mh + len, o, 8);
			len += 8;
			mh[1] = (uint8_t)(len / 8 - 1);
		}
		put16(mh + 4, 0);
		put16(mh + 4, cksum(&src, &dst, mh, (size_t)len));
		memset(pkt, 0, 40);
		pkt[0] = 0x60;
		put16(pkt + 4, (uint16_t)len);
		pkt[6] = 135;
		pkt[7] = 64;
		memcpy(pkt + 8, &src, 16);
		memcpy(pkt + 24, &dst, 16);
		rh[0] = (uint32_t)(SAMPLE_TS_MS / 1000) + i;
		rh[1] = 0;
		rh[2] = rh[3] = (uint32_t)(40 + len);
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(pkt, 40 + (size_t)len, 1, f);
		printf("{\"frame\":%u,\"dmm\":true,\"err\":\"\"", i);
		fields(&m, false);
		if (seal)
			printf(",\"key_id\":%u", SAMPLE_KEY_ID);
		printf("}\n");
	}
	return fclose(f) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *out = NULL;
	uint16_t port = 5436;
	bool smp = false;
	int c;

	while ((c = getopt(argc, argv, "p:sw:")) != -1) {
		if (c == 'p')
			port = (uint16_t)atoi(optarg);
		else if (c == 's')
			smp = true;
		else if (c == 'w')
			out = optarg;
		else
			goto usage;
	}
	if (smp && optind == argc) {
		samples();
		return 0;
	}
	if (out && optind == argc)
		return write_extra(out);
	if (optind != argc - 1)
		goto usage;
	return dump(argv[optind], port);
usage:
	fprintf(stderr, "usage: dmmdump [-p PORT] CAPTURE.pcap | dmmdump -s | dmmdump -w OUT.pcap\n");
	return 2;
}
