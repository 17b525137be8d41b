/* mkpcap: write one sealed sample of every message type
 *   - as IPv6/UDP port 5436 packets (RFC 5844 transport) into a pcap file
 *     (linktype 229, raw IPv6), for Wireshark/tshark and other decoders;
 *   - optionally as raw Mobility Header messages, one file per type, into
 *     DIR/decode/ and DIR/open/ (the fuzzers' seed corpora).
 * usage: mkpcap [-c corpus-dir] out.pcap */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "samples.h"

#define MK_UDP_PORT 5436   /* RFC 5844 §7.1 */
#define MK_LINKTYPE_IPV6 229
#define MK_IP6_HLEN 40
#define MK_UDP_HLEN 8
#define MK_PROTO_UDP 17
#define MK_PROTO_MH 135

struct mk_pkt {
	uint8_t b[MK_IP6_HLEN + MK_UDP_HLEN + DMM_MSG_MAX];
	size_t len;
};

static void
mk_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Internet checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and data. */
static uint16_t
mk_cksum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nh,
	  const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 16; i += 2) {
		sum += (uint32_t)(src->s6_addr[i] << 8 | src->s6_addr[i + 1]);
		sum += (uint32_t)(dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
	}
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + nh;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (len & 1)
		sum += (uint32_t)(data[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Wrap a sealed MH message into IPv6 + UDP. The MH checksum is filled as
 * the kernel would for raw IPv6 (RFC 6275 §6.1.1): it is excluded from the
 * MAC, and a decoder that verifies it finds it right. */
static void
mk_wrap(struct mk_pkt *p, const struct in6_addr *src, const struct in6_addr *dst,
	uint8_t *mh, size_t mhlen)
{
	uint8_t *ip = p->b, *udp = p->b + MK_IP6_HLEN;
	size_t ulen = MK_UDP_HLEN + mhlen;
	uint16_t c;

	mk_put16(mh + 4, 0);
	mk_put16(mh + 4, mk_cksum6(src, dst, MK_PROTO_MH, mh, mhlen));
	memset(p->b, 0, MK_IP6_HLEN + MK_UDP_HLEN);
	ip[0] = 0x60;
	mk_put16(ip + 4, (uint16_t)ulen);
	ip[6] = MK_PROTO_UDP;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	mk_put16(udp, MK_UDP_PORT);
	mk_put16(udp + 2, MK_UDP_PORT);
	mk_put16(udp + 4, (uint16_t)ulen);
	memcpy(udp + MK_UDP_HLEN, mh, mhlen);
	c = mk_cksum6(src, dst, MK_PROTO_UDP, udp, ulen);
	mk_put16(udp + 6, c == 0 ? 0xffff : c);
	p->len = MK_IP6_HLEN + ulen;
}

static int
mk_write_file(const char *dir, const char *sub, const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(b, 1, n, f) != n) {
		fprintf(stderr, "mkpcap: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Classic pcap, host byte order (the magic tells readers which). */
static void
mk_pcap_header(FILE *f)
{
	uint32_t magic = 0xa1b2c3d4, zone = 0, sigfigs = 0, snap = 65535;
	uint32_t link = MK_LINKTYPE_IPV6;
	uint16_t major = 2, minor = 4;

	fwrite(&magic, 4, 1, f);
	fwrite(&major, 2, 1, f);
	fwrite(&minor, 2, 1, f);
	fwrite(&zone, 4, 1, f);
	fwrite(&sigfigs, 4, 1, f);
	fwrite(&snap, 4, 1, f);
	fwrite(&link, 4, 1, f);
}

static void
mk_pcap_record(FILE *f, unsigned i, const struct mk_pkt *p)
{
	uint32_t r[4];

	r[0] = (uint32_t)(SAMPLE_TS_MS / 1000) + i; /* one packet per second */
	r[1] = (uint32_t)(SAMPLE_TS_MS % 1000) * 1000;
	r[2] = r[3] = (uint32_t)p->len;
	fwrite(r, sizeof(r), 1, f);
	fwrite(p->b, p->len, 1, f);
}

static int
mk_one(FILE *f, const char *corpus, enum dmm_msg_type t)
{
	struct dmm_keyring kr;
	struct in6_addr src, dst;
	uint8_t mh[DMM_MSG_MAX];
	struct dmm_msg m;
	struct mk_pkt p;
	int len;

	sample_keyring(&kr);
	sample_addrs(&src, &dst);
	sample_msg(t, &m);
	if ((len = dmm_msg_seal(&kr, &src, &dst, &m, mh, sizeof(mh))) < 0) {
		fprintf(stderr, "mkpcap: seal %s: %s\n", dmm_msg_type_name(t),
			dmm_strerror(len));
		return -1;
	}
	if (corpus && (mk_write_file(corpus, "decode", dmm_msg_type_name(t), mh, (size_t)len) < 0 ||
		       mk_write_file(corpus, "open", dmm_msg_type_name(t), mh, (size_t)len) < 0))
		return -1;
	mk_wrap(&p, &src, &dst, mh, (size_t)len);
	mk_pcap_record(f, (unsigned)t, &p);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *corpus = NULL;
	enum dmm_msg_type t;
	FILE *f;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			goto usage;
		corpus = optarg;
	}
	if (optind != argc - 1)
		goto usage;
	if (dmm_auth_init() != 0)
		return 1;
	if ((f = fopen(argv[optind], "wb")) == NULL) {
		fprintf(stderr, "mkpcap: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	mk_pcap_header(f);
	for (t = DMM_MSG_NONE + 1; t < DMM_MSG_TYPE_COUNT; t++)
		rc |= mk_one(f, corpus, t);
	if (fclose(f) != 0)
		rc = -1;
	return rc == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: mkpcap [-c corpus-dir] out.pcap\n");
	return 2;
}
