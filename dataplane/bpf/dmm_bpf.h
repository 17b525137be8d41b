/* What dmm's BPF programs (dmm_encap.bpf.c, dmm_decap.bpf.c) share with the
 * bpf driver (dp_bpf.c). Plain C: included by clang -target bpf and by cc. */
#ifndef DMM_BPF_H
#define DMM_BPF_H

#define DMM_BPF_MAX_PEERS 256
/* Slots of the decap counters after the peers' (one per index of the
 * peers map): accepted from a source not listed (no peers configured),
 * refused (source not a peer), and decapsulation errors. */
#define DMM_BPF_SLOT_OTHER (DMM_BPF_MAX_PEERS + 0)
#define DMM_BPF_SLOT_REFUSED (DMM_BPF_MAX_PEERS + 1)
#define DMM_BPF_SLOT_ERROR (DMM_BPF_MAX_PEERS + 2)
/* routing locator: packets to a per-host locator of ours given back their
 * home prefix (translated in), and translation errors */
#define DMM_BPF_SLOT_XLATE_IN (DMM_BPF_MAX_PEERS + 3)
#define DMM_BPF_SLOT_XLATE_ERR (DMM_BPF_MAX_PEERS + 4)
#define DMM_BPF_SLOTS (DMM_BPF_MAX_PEERS + 5)

/* Translation tables (routing locator): the destination's first 64 bits
 * (a /64 key) are replaced by .pfx. FIXUP: the pair is not checksum-
 * neutral, the TCP/UDP/ICMPv6 checksum is fixed up (bpf_l4_csum_replace);
 * dmmd sets it only for a pair that needs it. refs: routes using the entry
 * (dmmd's bookkeeping; the programs ignore it). */
#define DMM_BPF_MAX_XLATE 65536
#define DMM_BPF_XLATE_FIXUP 0x1
struct dmm_bpf_xlate {
	unsigned char pfx[8];
	unsigned int flags;
	unsigned int refs;
};

/* Encap counters: one slot of packets sent, one of errors. */
#define DMM_BPF_TX_OK 0
#define DMM_BPF_TX_ERROR 1
#define DMM_BPF_TX_SLOTS 2

struct dmm_bpf_cnt {
	unsigned long long packets;
	unsigned long long bytes;
};

struct dmm_bpf_addr {
	unsigned char a[16];
};

#ifdef __BPF__
/* The IPv6 header as the programs read and write it (no bitfields). */
struct ip6 {
	__u8 vtc_flow[4];
	__be16 plen;
	__u8 nxt, hlim;
	struct dmm_bpf_addr src, dst;
};

/* One more packet of bytes in slot of a per-CPU counter array. */
/* Replace the destination prefix (8 bytes at l3 + 24) of the IPv6 packet
 * at l3 by x->pfx; with DMM_BPF_XLATE_FIXUP, fix the transport checksum of
 * a TCP, UDP or ICMPv6 packet right after the header (others: refused).
 * 0 or -1. */
static __always_inline int dmm_bpf_xlate_dst(struct __sk_buff *skb, __u32 l3,
					     const struct dmm_bpf_xlate *x)
{
	__u8 old[8], nxt;
	__u32 csum_off, flags = BPF_F_PSEUDO_HDR;

	if (x->flags & DMM_BPF_XLATE_FIXUP) {
		if (bpf_skb_load_bytes(skb, l3 + 24, old, 8) < 0 ||
		    bpf_skb_load_bytes(skb, l3 + 6, &nxt, 1) < 0)
			return -1;
		if (nxt == 6)
			csum_off = l3 + 40 + 16;
		else if (nxt == 17) {
			csum_off = l3 + 40 + 6;
			flags |= BPF_F_MARK_MANGLED_0;
		} else if (nxt == 58)
			csum_off = l3 + 40 + 2;
		else
			return -1;
		__s64 diff = bpf_csum_diff((__be32 *)old, 8, (__be32 *)x->pfx, 8, 0);
		if (diff < 0 || bpf_l4_csum_replace(skb, csum_off, 0, (__u64)diff, flags) < 0)
			return -1;
	}
	return bpf_skb_store_bytes(skb, l3 + 24, x->pfx, 8, 0) < 0 ? -1 : 0;
}

#define DMM_BPF_COUNT(map, slot, n) do { \
		__u32 k_ = (slot); \
		struct dmm_bpf_cnt *c_ = bpf_map_lookup_elem(&(map), &k_); \
		if (c_) { \
			c_->packets++; \
			c_->bytes += (n); \
		} \
	} while (0)
#endif

#endif
