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
#define DMM_BPF_SLOTS (DMM_BPF_MAX_PEERS + 3)

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
