/* LWT-BPF xmit program of dmm's bpf data plane for `routing locator`
 * (draft 4.3, per-host locators): on a TUNNEL route whose op names a
 * per-host locator, the destination's home prefix (its first 64 bits, the
 * key of xlate_out, filled by dmmd) is replaced by the locator of the MR
 * serving the MN, and the kernel routes the packet again: no
 * encapsulation, no bytes added. Checksum-neutral pairs need no transport
 * fix-up (RFC 6296); others get one (DMM_BPF_XLATE_FIXUP). One instance
 * serves every translating route. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dmm_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DMM_BPF_MAX_XLATE);
	__type(key, __u64); /* home prefix: the destination's first 64 bits */
	__type(value, struct dmm_bpf_xlate); /* the per-host locator */
} xlate_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DMM_BPF_TX_SLOTS);
	__type(key, __u32);
	__type(value, struct dmm_bpf_cnt);
} xtx_cnt SEC(".maps");

#define count(slot, n) DMM_BPF_COUNT(xtx_cnt, slot, n)

SEC("lwt_xmit")
int dmm_xlate(struct __sk_buff *skb)
{
	__u64 key = 0;

	if (bpf_skb_load_bytes(skb, 24, &key, 8) < 0) {
		count(DMM_BPF_TX_ERROR, skb->len);
		return BPF_DROP;
	}
	struct dmm_bpf_xlate *x = bpf_map_lookup_elem(&xlate_out, &key);
	if (x == NULL || dmm_bpf_xlate_dst(skb, 0, x) < 0) {
		count(DMM_BPF_TX_ERROR, skb->len);
		return BPF_DROP;
	}
	count(DMM_BPF_TX_OK, skb->len);
	return BPF_LWT_REROUTE;
}

char LICENSE[] SEC("license") = "GPL";
