/* Access links: interfaces whose name matches a cfg.access pattern. Router
 * Solicitations on them attach an MN (id = EUI-48 from the SLLAO), and so,
 * with cfg.attach_first_frame, does the first IPv6 frame on the link (id =
 * its source MAC): an MN whose link comes back sends DAD and MLD at once but
 * its RS only after DAD and rtr_solicit_delay (~1-2 s), and the handover
 * should not wait for it. Carrier loss or removal (the veth moved away)
 * detaches the MN and re-arms the listener; ADVERTISE sends an RA.
 *
 * RA content: M=O=0, router lifetime cfg.ra_router_lifetime_s, SLLAO, MTU =
 * link MTU - 40 (the tunnel overhead: bigger packets would be dropped
 * silently at the encap; the whole link MTU with cfg.ra_mtu_no_tunnel,
 * routing locator: no encapsulation), and one PIO per prefix with A=1, L=0: each MN has
 * its own prefix and everything goes through the MR, so nothing is on-link. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>

#include "dp_priv.h"

#define DP_RA_MAX (16 + 8 + 8 + DMM_MAX_HNP * 32)
#define DP_SCAN_MAX 1024

struct dp_linkinfo {
	uint32_t ifindex;
	char name[IFNAMSIZ];
	uint32_t flags;
	uint32_t mtu;
	bool has_mac;
	uint8_t mac[6];
	bool del;
};

bool dp_access_match(const struct dp *d, const char *name)
{
	for (unsigned i = 0; i < d->cfg.n_access && i < DP_MAX_ACCESS; i++)
		if (fnmatch(d->cfg.access[i], name, 0) == 0)
			return true;
	return false;
}

static struct dp_link *dp_link_find(struct dp *d, uint32_t ifindex)
{
	for (unsigned i = 0; i < DP_MAX_LINKS; i++)
		if (d->links[i].used && d->links[i].ifindex == ifindex)
			return &d->links[i];
	return NULL;
}

static int dp_link_parse(const struct nlmsghdr *nlh, struct dp_linkinfo *li)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	memset(li, 0, sizeof(*li));
	li->ifindex = (uint32_t)ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	li->del = nlh->nlmsg_type == RTM_DELLINK;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				li->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(li->mac, mnl_attr_get_payload(a), 6);
				li->has_mac = true;
			}
			break;
		}
	}
	return li->name[0] ? 0 : -1;
}

/* Pass the frames of armed links to frame_fd, drop all others in the
 * kernel: ld ifindex; jeq each armed ifindex -> accept; ret 0. */
static void dp_frame_filter(struct dp *d)
{
	struct sock_filter f[DP_MAX_LINKS + 3];
	struct sock_fprog prog = { .filter = f };
	unsigned n = 0, k = 0;

	if (d->frame_fd < 0)
		return;
	for (unsigned i = 0; i < DP_MAX_LINKS; i++)
		n += d->links[i].used && d->links[i].armed;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_IFINDEX);
	for (unsigned i = 0, j = 0; i < DP_MAX_LINKS; i++) {
		const struct dp_link *l = &d->links[i];
		if (!l->used || !l->armed)
			continue;
		j++; /* this is test j of n; accept sits n - j + 1 further on */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, l->ifindex,
						      (uint8_t)(n - j + 1), 0);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffff);
	prog.len = (unsigned short)k;
	if (setsockopt(d->frame_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		dp_logf(d, DMM_LOG_WARN, "first-frame filter: %s", strerror(errno));
}

static void dp_link_disarm(struct dp *d, struct dp_link *l)
{
	if (!l->armed)
		return;
	l->armed = false;
	dp_frame_filter(d);
}

/* Listen for the next MN's first IPv6 frame on l, from before its carrier
 * comes, so the first frame is not missed. Without the listener the RS path
 * still attaches. */
static void dp_link_arm(struct dp *d, struct dp_link *l)
{
	if (!d->cfg.attach_first_frame || d->frame_fd < 0 || l->armed || l->mn_seen)
		return;
	l->armed = true;
	dp_frame_filter(d);
}

/* The listener: every link's IPv6 frames, all dropped by the filter until
 * a link is armed; frames queued before the filter was in place are read
 * and ignored. */
static int dp_frame_open(struct dp *d)
{
	int rcvbuf = 16384;
	uint8_t b;

	d->frame_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			     htons(ETH_P_IPV6));
	if (d->frame_fd < 0)
		return -errno;
	setsockopt(d->frame_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
#ifdef PACKET_IGNORE_OUTGOING
	/* Linux >= 4.20; on older ones dp_frame_mac skips them by packet type. */
	setsockopt(d->frame_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &(int){ 1 }, sizeof(int));
#endif
	dp_frame_filter(d);
	while (recv(d->frame_fd, &b, 1, MSG_TRUNC) >= 0)
		;
	return 0;
}

static int dp_na_try(struct dp *d, struct dp_link *l);

/* An MN was identified on l (frame or RS): stop listening until it leaves,
 * and tell it at once where its router is. Its kernel flushed its neighbour
 * entry for the router link-local when the carrier went; its first packets
 * wait in that entry's queue (unres_qlen_bytes, oldest dropped first) until
 * an NA or the RA's SLLAO resolves it, and the RA waits for the context
 * transfer. An unsolicited NA (RFC 4861 7.2.6) resolves an INCOMPLETE entry
 * on the spot; the MN's first frame is usually the NS that created it. */
static void dp_link_seen(struct dp *d, struct dp_link *l, const uint8_t mac[6])
{
	if (!l->mn_seen)
		memcpy(l->mn_mac, mac, 6);
	l->mn_seen = true;
	dp_link_disarm(d, l);
	if (dp_na_try(d, l) == -EADDRNOTAVAIL) {
		l->na_pending = true;
		l->na_tries = 0;
		l->na_due = d->now + DP_NA_RETRY_MS;
	}
}

bool dp_access_link_up(struct dp *d, uint32_t ifindex)
{
	const struct dp_link *l = dp_link_find(d, ifindex);

	return l && l->carrier;
}

static void dp_link_gone(struct dp *d, struct dp_link *l, const char *why)
{
	dp_logf(d, DMM_LOG_INFO, "access link %s (%u) %s", l->name, l->ifindex, why);
	l->used = false;
	dp_link_disarm(d, l);
	if (d->cb.detach)
		d->cb.detach(d->cb.ctx, l->ifindex);
}

#define DP_LL_MAX 8

/* Make cfg.router_ll the one usable link-local of l: add it if missing
 * (EEXIST is fine: a restarted dmmd, or l still has it), remove every
 * other link-local, so that neither an RA nor the MN's idea of its router
 * can pick another one. 0, or -EADDRNOTAVAIL while it is still tentative. */
static int dp_link_ll(struct dp *d, struct dp_link *l)
{
	struct dp_lladdr v[DP_LL_MAX];
	unsigned n = 0;
	bool have = false, usable = false;
	int e, err = dp_nl_linklocals(d, l->ifindex, v, DP_LL_MAX, &n);

	for (unsigned i = 0; err == 0 && i < n && i < DP_LL_MAX; i++) {
		if (memcmp(&v[i].a, &d->cfg.router_ll, 16) == 0) {
			have = true;
			usable = !(v[i].flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
		} else if ((e = dp_nl_addr(d, l->ifindex, &v[i].a, false)) < 0) {
			dp_logf(d, DMM_LOG_WARN, "access link %s: cannot remove a link-local "
				"address: %s", l->name, strerror(-e));
		}
	}
	if (err == 0 && !have) {
		err = dp_nl_addr(d, l->ifindex, &d->cfg.router_ll, true);
		l->ll_added |= err == 0;
		usable = err == 0;
		if (err == -EEXIST)
			err = 0; /* appeared meanwhile: check again on the next RA */
	}
	if (err < 0) {
		/* ENODEV: the link is leaving (moved away); its DELLINK follows. */
		dp_logf(d, err == -ENODEV ? DMM_LOG_DEBUG : DMM_LOG_WARN, "access link %s: "
			"router link-local: %s", l->name, strerror(-err));
		return err;
	}
	return usable ? 0 : -EADDRNOTAVAIL;
}

/* Take a new access link over: no automatic link-local (the kernel would
 * add its EUI-64 one when the link comes up), no DAD (a tentative address
 * cannot source an RA), the router link-local, then up. All before the link
 * is up when dp brings it up; if it was up already, dp_link_ll removes the
 * automatic address it got. */
static void dp_link_take(struct dp *d, struct dp_link *l, uint32_t flags)
{
	char path[128];
	int err = dp_nl_addr_gen_none(d, l->ifindex);

	if (err < 0)
		dp_logf(d, err == -ENODEV ? DMM_LOG_DEBUG : DMM_LOG_WARN, "access link %s: "
			"addr_gen_mode none: %s", l->name, strerror(-err));
	if ((err = dp_nl_neigh_parms(d, l->ifindex, DP_ACCESS_NS_RETRANS_MS,
				     DP_ACCESS_UNRES_BYTES)) < 0)
		dp_logf(d, err == -ENODEV ? DMM_LOG_DEBUG : DMM_LOG_WARN, "access link %s: "
			"neighbour parameters: %s", l->name, strerror(-err));
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", l->name);
	dp_sysctl_write(path, "0");
	dp_link_ll(d, l);
	if (!(flags & IFF_UP) && dp_nl_link_up(d, l->ifindex) < 0)
		dp_logf(d, DMM_LOG_WARN, "access link %s: cannot bring it up", l->name);
}

static void dp_link_new(struct dp *d, const struct dp_linkinfo *li)
{
	struct dp_link *l = NULL;

	for (unsigned i = 0; i < DP_MAX_LINKS && l == NULL; i++)
		if (!d->links[i].used)
			l = &d->links[i];
	if (l == NULL) {
		dp_logf(d, DMM_LOG_WARN, "access link %s ignored: table full", li->name);
		return;
	}
	*l = (struct dp_link){ .used = true, .ifindex = li->ifindex };
	snprintf(l->name, sizeof(l->name), "%s", li->name);
	if (li->has_mac) {
		memcpy(l->mac, li->mac, 6);
		l->has_mac = true;
	}
	dp_link_arm(d, l);
	dp_link_take(d, l, li->flags);
	dp_logf(d, DMM_LOG_INFO, "access link %s (%u)", li->name, li->ifindex);
}

static void dp_link_info(struct dp *d, const struct dp_linkinfo *li)
{
	struct dp_link *l = dp_link_find(d, li->ifindex);

	if (li->del || !dp_access_match(d, li->name)) {
		if (l)
			dp_link_gone(d, l, li->del ? "removed" : "renamed");
		return;
	}
	if (l == NULL) {
		dp_link_new(d, li);
		if ((l = dp_link_find(d, li->ifindex)) == NULL)
			return;
	}
	if (li->mtu)
		l->mtu = li->mtu;
	if (li->has_mac) {
		memcpy(l->mac, li->mac, 6);
		l->has_mac = true;
	}
	bool carrier = (li->flags & IFF_LOWER_UP) && (li->flags & IFF_UP);
	if (!l->carrier && carrier) {
		dp_logf(d, DMM_LOG_INFO, "access link %s: carrier up", l->name);
		/* Tell whoever is on the link where its router is before it
		 * sends a frame: an MN whose kernel flushed its entry for the
		 * router link-local while the carrier was gone, and whose own
		 * link-local is tentative again (DAD redone, stock settings),
		 * cannot send the NS that would resolve it; its packets wait
		 * in the INCOMPLETE entry until an NA comes. Waiting for its
		 * first frame (dp_link_seen) waited for its first MLD report,
		 * 8-10 ms later under load (docs/BENCHMARKS.md, attach after
		 * L2 up). An NA that arrives before the entry exists is
		 * ignored by the MN: dp_link_seen sends it again. */
		if (dp_na_try(d, l) == -EADDRNOTAVAIL) {
			l->na_pending = true;
			l->na_tries = 0;
			l->na_due = d->now + DP_NA_RETRY_MS;
		}
	}
	if (l->carrier && !carrier) {
		dp_logf(d, DMM_LOG_INFO, "access link %s: carrier lost", l->name);
		l->adv_pending = false;
		l->mn_seen = false;
		l->na_pending = false;
		dp_link_arm(d, l);
		if (d->cb.detach)
			d->cb.detach(d->cb.ctx, l->ifindex);
	}
	l->carrier = carrier;
}

void dp_access_link_msg(struct dp *d, const struct nlmsghdr *nlh)
{
	struct dp_linkinfo li;

	if (dp_link_parse(nlh, &li) < 0)
		return;
	if (d->drv && d->drv_open && d->drv->core_link && li.name[0] && (li.has_mac || li.del) &&
	    dp_is_core_link(d, li.ifindex, li.name))
		d->drv->core_link(d, li.ifindex, li.name, !li.del);
	if (d->cfg.n_access)
		dp_link_info(d, &li);
}

struct dp_scan {
	struct dp_linkinfo *v;
	unsigned n;
};

static int dp_scan_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_scan *s = data;

	if (s->n < DP_SCAN_MAX && dp_link_parse(nlh, &s->v[s->n]) == 0)
		s->n++;
	return MNL_CB_OK;
}

/* Dump all links, then act on them (requests cannot be sent mid-dump).
 * Known links missing from the dump are gone. */
int dp_access_scan(struct dp *d)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct dp_scan s = { calloc(DP_SCAN_MAX, sizeof(*s.v)), 0 };

	if (s.v == NULL)
		return -ENOMEM;
	ifi->ifi_family = AF_UNSPEC;
	int err = dp_nl_query(d, nlh, dp_scan_cb, &s);
	for (unsigned i = 0; err == 0 && i < DP_MAX_LINKS; i++) {
		bool seen = false;
		for (unsigned j = 0; j < s.n && d->links[i].used; j++)
			seen |= s.v[j].ifindex == d->links[i].ifindex;
		if (d->links[i].used && !seen)
			dp_link_gone(d, &d->links[i], "removed");
	}
	for (unsigned j = 0; err == 0 && j < s.n; j++)
		dp_link_info(d, &s.v[j]);
	free(s.v);
	return err;
}

/* ---- ICMPv6: RS in, RA out ---- */

int dp_access_open(struct dp *d)
{
	struct icmp6_filter f;
	int one = 1, hops = 255;

	if (d->cfg.attach_first_frame && dp_frame_open(d) < 0)
		dp_logf(d, DMM_LOG_WARN, "no first-frame listener (%s): MNs attach on RS only",
			strerror(errno));
	d->icmp_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (d->icmp_fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	if (setsockopt(d->icmp_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(d->icmp_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(d->icmp_fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    setsockopt(d->icmp_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(d->icmp_fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0)
		return -errno;
	return dp_access_scan(d);
}

/* The router link-local goes with dmmd (issue 3: no dmm address left after
 * SIGTERM); links that left took theirs with them. */
void dp_access_close(struct dp *d)
{
	for (unsigned i = 0; i < DP_MAX_LINKS; i++) {
		struct dp_link *l = &d->links[i];
		if (!l->used)
			continue;
		if (l->ll_added && d->nl && dp_nl_addr(d, l->ifindex, &d->cfg.router_ll, false) < 0)
			dp_logf(d, DMM_LOG_DEBUG, "access link %s: router link-local not removed",
				l->name);
	}
	if (d->icmp_fd >= 0)
		close(d->icmp_fd);
	if (d->frame_fd >= 0)
		close(d->frame_fd); /* waits a grace period: only at exit */
	d->icmp_fd = d->frame_fd = -1;
}

/* SLLAO of an RS (options after the 8-byte header); false if none/bad. */
static bool dp_rs_sllao(const uint8_t *p, size_t len, uint8_t mac[6])
{
	bool found = false;

	for (size_t off = 8; off + 2 <= len;) {
		size_t olen = (size_t)p[off + 1] * 8;
		if (olen == 0 || off + olen > len)
			return false;
		if (p[off] == ND_OPT_SOURCE_LINKADDR && olen == 8) {
			memcpy(mac, p + off + 2, 6);
			found = true;
		}
		off += olen;
	}
	return found;
}

static void dp_rs_handle(struct dp *d, const uint8_t *p, size_t len, uint32_t ifindex,
			 int hlim, const struct in6_addr *src)
{
	struct dp_link *l = dp_link_find(d, ifindex);
	struct dmm_mnid id = { .type = DMM_MNID_EUI48, .len = 6 };

	if (l == NULL)
		return; /* not an access link: not ours */
	d->st.rs_received++;
	/* RFC 4861 6.1.1: hop limit 255; no SLLAO from the unspecified address
	 * (and without one we cannot identify the MN). */
	if (hlim != 255 || len < 8 || p[0] != ND_ROUTER_SOLICIT || p[1] != 0 ||
	    IN6_IS_ADDR_UNSPECIFIED(src) || !dp_rs_sllao(p, len, id.id)) {
		d->st.rs_dropped++;
		return;
	}
	/* Access links are point-to-point: while the link has carrier, the MN
	 * on it is the one first seen there. An RS naming another MN (a
	 * spoofed SLLAO) would move that MN's prefix here. */
	if (l->mn_seen && memcmp(l->mn_mac, id.id, 6) != 0) {
		d->st.rs_dropped++;
		d->st.rs_spoofed++;
		return;
	}
	l->last_rs_src = *src;
	dp_link_seen(d, l, id.id);
	if (d->cb.attach)
		d->cb.attach(d->cb.ctx, ifindex, &id);
}

/* One datagram of the ICMPv6 socket: its link and hop limit from the
 * ancillary data, then the RS itself (fuzz_access feeds it directly). */
static void dp_rs_msg(struct dp *d, const uint8_t *p, size_t len, struct msghdr *m)
{
	const struct sockaddr_in6 *from = m->msg_name;
	uint32_t ifindex = 0;
	int hlim = -1;

	if (m->msg_namelen < sizeof(*from))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ifindex = pi.ipi6_ifindex;
		} else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&hlim, CMSG_DATA(c), sizeof(hlim));
		}
	}
	dp_rs_handle(d, p, len, ifindex, hlim, &from->sin6_addr);
}

void dp_access_read(struct dp *d)
{
	uint8_t buf[1500], cbuf[256];

	for (unsigned i = 0; i < 64; i++) {
		struct sockaddr_in6 from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(d->icmp_fd, &m, 0);
		if (n < 0)
			return;
		dp_rs_msg(d, buf, (size_t)n, &m);
	}
}

/* ---- first frame in ---- */

int dp_access_pollfds(struct dp *d, struct pollfd *fds, int max)
{
	if (d->frame_fd < 0 || max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = d->frame_fd, .events = POLLIN };
	return 1;
}

/* The sender of a frame, if it can be an MN: received (not sent by us),
 * unicast, not zero, not the link's own address. Only the link-layer
 * header is looked at. */
static bool dp_frame_mac(const struct dp_link *l, const struct sockaddr_ll *sll,
			 socklen_t slen, uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (slen < offsetof(struct sockaddr_ll, sll_addr) + 6 || sll->sll_halen != 6 ||
	    sll->sll_pkttype == PACKET_OUTGOING)
		return false;
	memcpy(mac, sll->sll_addr, 6);
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0 &&
	       !(l->has_mac && memcmp(mac, l->mac, 6) == 0);
}

/* One frame's link-layer address (sll): an MN seen on an armed link. */
static void dp_frame_in(struct dp *d, const struct sockaddr_ll *sll, socklen_t slen)
{
	struct dmm_mnid id = { .type = DMM_MNID_EUI48, .len = 6 };
	char m[DMM_MNID_STRLEN];
	struct dp_link *l;

	l = sll->sll_ifindex > 0 ? dp_link_find(d, (uint32_t)sll->sll_ifindex) : NULL;
	/* a frame queued just before its link was disarmed is stale */
	if (l == NULL || !l->armed || !dp_frame_mac(l, sll, slen, id.id))
		return;
	dp_link_seen(d, l, id.id);
	d->st.attach_frames++;
	dp_logf(d, DMM_LOG_INFO, "access link %s: MN %s (first frame)", l->name,
		dmm_mnid_str(&id, m, sizeof(m)));
	if (d->cb.attach)
		d->cb.attach(d->cb.ctx, l->ifindex, &id);
}

void dp_access_frames(struct dp *d, int fd)
{
	for (unsigned i = 0; fd == d->frame_fd && fd >= 0 && i < DP_FRAMES_PER_WAKEUP; i++) {
		struct sockaddr_ll sll;
		socklen_t slen = sizeof(sll);
		uint8_t b;
		if (recvfrom(fd, &b, 1, MSG_TRUNC, (struct sockaddr *)&sll, &slen) < 0)
			return; /* EAGAIN */
		dp_frame_in(d, &sll, slen);
	}
}

static void dp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t dp_ra_build(const struct dp *d, const struct dp_link *l,
			  const struct dmm_dp_op *op, uint8_t *b)
{
	size_t n = 16;
	uint32_t life = d->cfg.ra_router_lifetime_s > 9000 ? 9000 : d->cfg.ra_router_lifetime_s;

	memset(b, 0, DP_RA_MAX);
	b[0] = ND_ROUTER_ADVERT;
	b[4] = 64; /* cur hop limit for the MN */
	b[5] = 0;  /* M = O = 0 */
	b[6] = (uint8_t)(life >> 8);
	b[7] = (uint8_t)life;
	if (l->has_mac) {
		b[n] = ND_OPT_SOURCE_LINKADDR;
		b[n + 1] = 1;
		memcpy(b + n + 2, l->mac, 6);
		n += 8;
	}
	uint32_t over = d->cfg.ra_mtu_no_tunnel ? 0 : 40;
	if (l->mtu > 1280 + over) {
		b[n] = ND_OPT_MTU;
		b[n + 1] = 1;
		dp_put32(b + n + 4, l->mtu - over);
		n += 8;
	}
	for (unsigned i = 0; i < op->n_adv && i < DMM_MAX_HNP; i++) {
		struct dmm_prefix p = op->adv[i].prefix;
		dmm_prefix_mask(&p);
		b[n] = ND_OPT_PREFIX_INFORMATION;
		b[n + 1] = 4;
		b[n + 2] = p.len;
		b[n + 3] = ND_OPT_PI_FLAG_AUTO; /* A=1, L=0 */
		dp_put32(b + n + 4, op->adv[i].valid_s);
		dp_put32(b + n + 8, op->adv[i].preferred_s);
		memcpy(b + n + 16, &p.addr, 16);
		n += 32;
	}
	return n;
}

static int dp_ra_send(struct dp *d, const struct dp_link *l, const struct in6_addr *ll,
		      const struct in6_addr *to, const uint8_t *b, size_t len)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_addr = *to,
				    .sin6_scope_id = l->ifindex };
	union { struct cmsghdr c; uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; } cb;
	struct iovec iov = { (void *)b, len };
	struct msghdr m = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	struct in6_pktinfo pi = { .ipi6_addr = *ll, .ipi6_ifindex = l->ifindex };

	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(d->icmp_fd, &m, 0) < 0)
		return -errno;
	d->st.ra_sent++;
	return 0;
}

static int dp_ra_try(struct dp *d, struct dp_link *l, const struct dmm_dp_op *op)
{
	uint8_t b[DP_RA_MAX];
	struct in6_addr all = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
	const struct in6_addr *ll = &d->cfg.router_ll;
	int err = dp_link_ll(d, l); /* restores it if someone removed it */

	if (err < 0)
		return err;
	size_t len = dp_ra_build(d, l, op, b);
	err = dp_ra_send(d, l, ll, &all, b, len);
	if (err == 0 && IN6_IS_ADDR_LINKLOCAL(&l->last_rs_src))
		dp_ra_send(d, l, ll, &l->last_rs_src, b, len);
	return err;
}

/* Unsolicited NA for the router link-local: R=1 (a router), O=1 (override
 * whatever the MN had), S=0, TLLAO; to all nodes. */
static int dp_na_try(struct dp *d, struct dp_link *l)
{
	uint8_t b[32] = { ND_NEIGHBOR_ADVERT };
	struct in6_addr all = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
	int err;

	if (!l->has_mac)
		return -ENODATA;
	if ((err = dp_link_ll(d, l)) < 0)
		return err;
	b[4] = 0xa0; /* R, O */
	memcpy(b + 8, &d->cfg.router_ll, 16);
	b[24] = ND_OPT_TARGET_LINKADDR;
	b[25] = 1;
	memcpy(b + 26, l->mac, 6);
	err = dp_ra_send(d, l, &d->cfg.router_ll, &all, b, sizeof(b));
	if (err == 0)
		d->st.ra_sent--; /* dp_ra_send counted it as an RA */
	return err;
}

int dp_access_advertise(struct dp *d, const struct dmm_dp_op *op)
{
	struct dp_link *l = dp_link_find(d, op->link);

	if (l == NULL)
		return -ENODEV;
	int err = dp_ra_try(d, l, op);
	if (err != -EADDRNOTAVAIL)
		return err;
	/* Link-local not usable yet (the link just came up): retry shortly. */
	l->adv = *op;
	l->adv_pending = true;
	l->adv_tries = 0;
	l->adv_due = d->now + DP_ADV_RETRY_MS;
	return 0;
}

static void dp_na_timer(struct dp *d, struct dp_link *l, dmm_time_t now)
{
	if (!l->na_pending || l->na_due > now)
		return;
	int err = dp_na_try(d, l);
	if (err == -EADDRNOTAVAIL && ++l->na_tries < DP_NA_RETRY_COUNT) {
		l->na_due = now + DP_NA_RETRY_MS;
		return;
	}
	l->na_pending = false;
}

void dp_access_timer(struct dp *d, dmm_time_t now)
{
	for (unsigned i = 0; i < DP_MAX_LINKS; i++) {
		struct dp_link *l = &d->links[i];
		if (l->used)
			dp_na_timer(d, l, now);
		if (!l->used || !l->adv_pending || l->adv_due > now)
			continue;
		int err = dp_ra_try(d, l, &l->adv);
		if (err == -EADDRNOTAVAIL && ++l->adv_tries < DP_ADV_RETRY_COUNT) {
			l->adv_due = now + DP_ADV_RETRY_MS;
			continue;
		}
		if (err < 0)
			dp_logf(d, DMM_LOG_WARN, "RA on %s: %s", l->name, strerror(-err));
		l->adv_pending = false;
	}
}

dmm_time_t dp_access_deadline(const struct dp *d)
{
	dmm_time_t t = DMM_TIME_NEVER;

	for (unsigned i = 0; i < DP_MAX_LINKS; i++) {
		const struct dp_link *l = &d->links[i];
		if (l->used && l->adv_pending && l->adv_due < t)
			t = l->adv_due;
		if (l->used && l->na_pending && l->na_due < t)
			t = l->na_due;
	}
	return t;
}
