/* tc clsact ingress program of dmm's bpf data plane, on the MR's core
 * links: IPv6-in-IPv6 (next header 41 right after the outer header) to the
 * MR's own address from one of the domain's MRs (the peers map, filled by
 * dmmd) loses its outer header here and goes on to be routed; from anyone
 * else it is dropped and counted. A packet to one of the MR's per-host
 * locators (routing locator: the xlate_in map) gets its MN's home prefix
 * back as destination prefix, then is routed like any packet to the MN.
 * Everything else passes untouched. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dmm_bpf.h"

const volatile struct dmm_bpf_addr self = {};
const volatile unsigned char any_peer = 0; /* no peers configured: accept all */
const volatile unsigned char xlate_on = 0; /* routing locator: look up xlate_in */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DMM_BPF_MAX_PEERS);
	__type(key, struct dmm_bpf_addr);
	__type(value, __u32); /* slot in rx_cnt */
} peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DMM_BPF_SLOTS);
	__type(key, __u32);
	__type(value, struct dmm_bpf_cnt);
} rx_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DMM_BPF_MAX_XLATE);
	__type(key, __u64); /* per-host locator: the destination's first 64 bits */
	__type(value, struct dmm_bpf_xlate); /* the MN's home prefix */
} xlate_in SEC(".maps");

#define count(slot, n) DMM_BPF_COUNT(rx_cnt, slot, n)

static __always_inline int to_self(const struct ip6 *ip)
{
	for (int i = 0; i < 16; i++)
		if (ip->dst.a[i] != self.a[i])
			return 0;
	return 1;
}

SEC("tc")
int dmm_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct ip6 *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return TC_ACT_OK;
	if (ip->nxt != IPPROTO_IPV6 || !to_self(ip)) {
		if (!xlate_on)
			return TC_ACT_OK; /* routing tunnel: no lookup per packet */
		__u64 key;
		__builtin_memcpy(&key, ip->dst.a, 8);
		struct dmm_bpf_xlate *x = bpf_map_lookup_elem(&xlate_in, &key);
		if (x == NULL)
			return TC_ACT_OK;
		if (dmm_bpf_xlate_dst(skb, sizeof(struct ethhdr), x) < 0) {
			count(DMM_BPF_SLOT_XLATE_ERR, skb->len);
			return TC_ACT_SHOT;
		}
		count(DMM_BPF_SLOT_XLATE_IN, skb->len);
		return TC_ACT_OK;
	}
	struct dmm_bpf_addr src = ip->src;
	__u32 *slot = bpf_map_lookup_elem(&peers, &src);
	__u32 s = slot ? *slot : DMM_BPF_SLOT_OTHER;
	if (slot == NULL && !any_peer) {
		count(DMM_BPF_SLOT_REFUSED, skb->len);
		return TC_ACT_SHOT;
	}
	__u64 len = skb->len;
	if (bpf_skb_adjust_room(skb, -(__s32)sizeof(struct ip6), BPF_ADJ_ROOM_MAC, 0) != 0) {
		count(DMM_BPF_SLOT_ERROR, len);
		return TC_ACT_SHOT;
	}
	count(s, len - sizeof(struct ethhdr));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
