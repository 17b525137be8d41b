/* xlatebench: what keeping transport checksums valid costs the per-host
 * locator translation (routing locator, draft 4.3), measured on dmm's own
 * LWT-BPF program (dataplane/bpf/dmm_xlate.bpf.c) with BPF_PROG_TEST_RUN:
 *
 *   neutral  the locator is checksum-neutral to the home prefix (what dmm's
 *            MRs choose, RFC 6296 3.1): the 8-byte rewrite only;
 *   fixup    a locator that is not: the rewrite plus bpf_csum_diff and
 *            bpf_l4_csum_replace on the TCP checksum.
 *
 * For each, one 1440-byte TCP/IPv6 packet (the header and 1400 bytes of
 * payload; its checksum computed here) is run REPEAT times per batch, in
 * BATCHES alternating batches; the kernel's mean time per run is printed
 * per batch. The test run reuses one skb for all its repetitions, so the
 * map holds both directions (home prefix -> locator and back, equal work)
 * and REPEAT is even: the packet goes back and forth. The output of one
 * run of each variant is checked: destination prefix rewritten, the TCP
 * checksum valid over the new pseudo-header; and after REPEAT runs, the
 * packet is the original again with a valid checksum.
 * Prints one JSON object. Root (or CAP_BPF). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dmm_bpf.h"
#include "dmm_xlate.skel.h"

#define PKT_LEN 1440

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* TCP checksum over the IPv6 pseudo-header of pkt (0 in the field: compute;
 * else the sum including it, 0xffff when valid). */
static uint16_t tcp_sum(const uint8_t *pkt, size_t len)
{
	uint32_t l4 = (uint32_t)(len - 40), s = 0;

	s = sum16(pkt + 8, 32, s); /* source and destination */
	s += l4 >> 16;
	s += l4 & 0xffff;
	s += 6;
	s = sum16(pkt + 40, l4, s);
	return fold(s);
}

static void build(uint8_t *pkt, const char *src, const char *dst)
{
	memset(pkt, 0, PKT_LEN);
	pkt[0] = 0x60;
	pkt[4] = (PKT_LEN - 40) >> 8;
	pkt[5] = (PKT_LEN - 40) & 0xff;
	pkt[6] = 6;
	pkt[7] = 64;
	inet_pton(AF_INET6, src, pkt + 8);
	inet_pton(AF_INET6, dst, pkt + 24);
	uint8_t *t = pkt + 40;
	t[0] = 0x13, t[1] = 0x89; /* 5001 */
	t[2] = 0xc0, t[3] = 0x01;
	t[12] = 5 << 4;
	t[13] = 0x18; /* PSH ACK */
	t[14] = 0xff, t[15] = 0xff;
	for (int i = 60; i < PKT_LEN; i++)
		pkt[i] = (uint8_t)(i * 7);
	uint16_t c = (uint16_t)~tcp_sum(pkt, PKT_LEN);
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
}

struct variant {
	const char *name;
	const char *locator;
	uint32_t flags;
	double ns[64];
	int nb;
	int ok;
};

/* BPF_PROG_TEST_RUN takes a frame: an Ethernet header (IPv6), which it
 * pulls before an LWT program runs and gives back in front of the output. */
static int run(int fd, const uint8_t *pkt, uint32_t repeat, double *ns, uint8_t *out)
{
	uint8_t in[14 + PKT_LEN], fr[14 + PKT_LEN + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = fr, .data_size_out = sizeof(fr), .repeat = repeat);

	memset(in, 0, 14);
	in[12] = 0x86, in[13] = 0xdd;
	memcpy(in + 14, pkt, PKT_LEN);
	if (bpf_prog_test_run_opts(fd, &o) < 0)
		return -errno;
	if (o.retval != BPF_LWT_REROUTE || o.data_size_out < 14 + PKT_LEN) {
		fprintf(stderr, "xlatebench: program returned %u, %u bytes out\n", o.retval,
			o.data_size_out);
		return -EPROTO;
	}
	memcpy(out, fr + o.data_size_out - PKT_LEN, PKT_LEN);
	*ns = o.duration;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t repeat = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000000;
	int batches = argc > 2 ? atoi(argv[2]) : 10;
	const char *hnp = "2001:db8:1:1200::", *dst = "2001:db8:1:1200::1";
	struct variant v[2] = {
		/* MR11's locator of 2001:db8:1:1200::/64 in the figure-1 lab */
		{ "neutral", "2001:db8:a11a:70e6::", 0, { 0 }, 0, 0 },
		{ "fixup", "2001:db8:a11a:1::", DMM_BPF_XLATE_FIXUP, { 0 }, 0, 0 },
	};
	uint8_t pkt[PKT_LEN], out[PKT_LEN];
	struct dmm_xlate *x;
	uint64_t key;

	if (batches < 1 || batches > 64 || repeat == 0 || repeat % 2) {
		fprintf(stderr, "usage: xlatebench [REPEAT (even) [BATCHES<=64]]\n");
		return 2;
	}
	if ((x = dmm_xlate__open_and_load()) == NULL) {
		fprintf(stderr, "xlatebench: loading dmm_xlate: %s\n", strerror(errno));
		return 1;
	}
	int prog = bpf_program__fd(x->progs.dmm_xlate), map = bpf_map__fd(x->maps.xlate_out);
	build(pkt, "2001:db8:3:310c::2", dst);
	struct in6_addr h;
	inet_pton(AF_INET6, hnp, &h);
	memcpy(&key, &h, 8);
	for (int b = 0; b < batches; b++) {
		for (int k = 0; k < 2; k++) {
			struct variant *w = &v[(k + b) % 2];
			struct dmm_bpf_xlate val = { .flags = w->flags, .refs = 1 };
			struct dmm_bpf_xlate back = { .flags = w->flags, .refs = 1 };
			struct in6_addr l;
			uint64_t lkey;
			double one;
			inet_pton(AF_INET6, w->locator, &l);
			memcpy(val.pfx, &l, 8);
			memcpy(back.pfx, &h, 8);
			memcpy(&lkey, &l, 8);
			if (bpf_map_update_elem(map, &key, &val, BPF_ANY) < 0 ||
			    bpf_map_update_elem(map, &lkey, &back, BPF_ANY) < 0 ||
			    run(prog, pkt, 1, &one, out) < 0) {
				fprintf(stderr, "xlatebench: test run (%s) failed\n", w->name);
				return 1;
			}
			/* one run: the new prefix, checksum valid over it */
			w->ok = memcmp(out + 24, &l, 8) == 0 && memcmp(out + 32, pkt + 32, 8) == 0 &&
				tcp_sum(out, PKT_LEN) == 0xffff;
			if (run(prog, pkt, repeat, &w->ns[w->nb], out) < 0) {
				fprintf(stderr, "xlatebench: test run (%s) failed\n", w->name);
				return 1;
			}
			w->nb++;
			/* REPEAT (even) runs: back to the original, still valid */
			w->ok &= memcmp(out + 24, pkt + 24, 16) == 0 && tcp_sum(out, PKT_LEN) == 0xffff;
		}
	}
	/* the original packet, untranslated, and a rewrite without fix-up of
	 * the non-neutral locator: the checksum check must see the difference */
	int base_ok = tcp_sum(pkt, PKT_LEN) == 0xffff;
	memcpy(out, pkt, PKT_LEN);
	inet_pton(AF_INET6, v[1].locator, out + 24);
	memcpy(out + 32, pkt + 32, 8);
	int broken_detected = tcp_sum(out, PKT_LEN) != 0xffff;
	printf("{\"tool\": \"xlatebench\", \"packet_bytes\": %d, \"repeat\": %u, \"batches\": %d, "
	       "\"input_checksum_valid\": %s, \"unfixed_rewrite_detected\": %s",
	       PKT_LEN, repeat, batches, base_ok ? "true" : "false",
	       broken_detected ? "true" : "false");
	for (int k = 0; k < 2; k++) {
		printf(", \"%s\": {\"locator\": \"%s\", \"checksum_valid\": %s, \"ns_per_packet\": [",
		       v[k].name, v[k].locator, v[k].ok ? "true" : "false");
		for (int b = 0; b < v[k].nb; b++)
			printf("%s%.1f", b ? ", " : "", v[k].ns[b]);
		printf("]}");
	}
	printf("}\n");
	dmm_xlate__destroy(x);
	return v[0].ok && v[1].ok && base_ok && broken_detected ? 0 : 1;
}
