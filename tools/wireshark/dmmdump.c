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
 * Output: {"frame":N,"dmm":true,"err":"",...fields} ("err" is the decoder's
 * error name, e.g. "DMM_E_SHORT"; fields only when err is empty), or
 * {"frame":N,"dmm":false} for a frame that carries no Mobility Header.
 * Built by the test: cc -Icore -Itests/lib tools/wireshark/dmmdump.c
 * tests/lib/samples.c build/libdmm.a -lsodium. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int
main(int argc, char **argv)
{
	uint16_t port = 5436;
	bool smp = false;
	int c;

	while ((c = getopt(argc, argv, "p:s")) != -1) {
		if (c == 'p')
			port = (uint16_t)atoi(optarg);
		else if (c == 's')
			smp = true;
		else
			goto usage;
	}
	if (smp && optind == argc) {
		samples();
		return 0;
	}
	if (optind != argc - 1)
		goto usage;
	return dump(argv[optind], port);
usage:
	fprintf(stderr, "usage: dmmdump [-p PORT] CAPTURE.pcap | dmmdump -s\n");
	return 2;
}
