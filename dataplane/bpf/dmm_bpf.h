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

#endif
