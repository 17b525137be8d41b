/* LWT-BPF xmit program of dmm's bpf data plane: puts a plain IPv6 header
 * (next header 41, RFC 2473) in front of the packet, from outer_src to
 * outer_dst, and lets the kernel route it again. One instance is loaded per
 * tunnel end point (a route cannot pass a parameter to its program): its
 * addresses are read-only data set before load. Traffic class copied from
 * the inner header; flow label from the flow hash (RFC 6438). */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dmm_bpf.h"

const volatile struct dmm_bpf_addr outer_src = {};
const volatile struct dmm_bpf_addr outer_dst = {};
const volatile unsigned char hop_limit = 64;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DMM_BPF_TX_SLOTS);
	__type(key, __u32);
	__type(value, struct dmm_bpf_cnt);
} tx_cnt SEC(".maps");

#define count(slot, n) DMM_BPF_COUNT(tx_cnt, slot, n)

SEC("lwt_xmit")
int dmm_encap(struct __sk_buff *skb)
{
	struct ip6 h = {};
	__u8 inner[2] = {};
	__u32 flow = bpf_get_hash_recalc(skb) & 0xfffff;
	__u32 len = skb->len;

	if (len > 0xffff || bpf_skb_load_bytes(skb, 0, inner, 2) < 0) {
		count(DMM_BPF_TX_ERROR, len);
		return BPF_DROP;
	}
	/* version 6, inner traffic class, flow label */
	h.vtc_flow[0] = 0x60 | (inner[0] & 0x0f);
	h.vtc_flow[1] = (inner[1] & 0xf0) | ((flow >> 16) & 0x0f);
	h.vtc_flow[2] = (flow >> 8) & 0xff;
	h.vtc_flow[3] = flow & 0xff;
	h.plen = bpf_htons((__u16)len);
	h.nxt = IPPROTO_IPV6;
	h.hlim = hop_limit;
	for (int i = 0; i < 16; i++) {
		h.src.a[i] = outer_src.a[i];
		h.dst.a[i] = outer_dst.a[i];
	}
	if (bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &h, sizeof(h)) != 0) {
		count(DMM_BPF_TX_ERROR, len);
		return BPF_DROP;
	}
	count(DMM_BPF_TX_OK, len + sizeof(h));
	return BPF_LWT_REROUTE;
}

char LICENSE[] SEC("license") = "GPL";
