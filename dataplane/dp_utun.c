/* The tun driver: IPv6-in-IPv6 in user space, for kernels with neither seg6
 * nor LWT-BPF. TUNNEL routes point to dmmd's TUN device (dp_route.c); what
 * dp_tun.c reads for a TUNNEL route comes to dp_utun_xmit, which queues it
 * and sends the batch with one sendmmsg() on a raw next-header-41 socket
 * (the kernel puts the outer header on: source cfg.self, destination the
 * locator). The same socket receives the tunnels to self (recvmmsg; the
 * kernel has no handler for next header 41 here, the local table delivers
 * them to raw sockets): from a peer, the inner packet is written into the
 * TUN and the kernel routes it; from anyone else it is dropped and counted.
 * Needs only CONFIG_TUN. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include "dp_priv.h"

#define DP_UTUN_BATCH 32
#define DP_UTUN_MTU 65535 /* largest inner packet read from the TUN or a socket */

struct dp_utun_peer {
	struct in6_addr addr;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

struct dp_utun {
	int fd;
	unsigned n_tx;
	struct mmsghdr tx[DP_UTUN_BATCH];
	struct iovec tx_iov[DP_UTUN_BATCH];
	struct sockaddr_in6 tx_to[DP_UTUN_BATCH];
	struct dp_utun_peer *tx_peer[DP_UTUN_BATCH];
	uint8_t *tx_buf; /* DP_UTUN_BATCH * DP_UTUN_MTU */
	struct mmsghdr rx[DP_UTUN_BATCH];
	struct iovec rx_iov[DP_UTUN_BATCH];
	struct sockaddr_in6 rx_from[DP_UTUN_BATCH];
	uint8_t rx_cmsg[DP_UTUN_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	uint8_t *rx_buf; /* DP_UTUN_BATCH * DP_UTUN_MTU */
	unsigned n_peers;
	struct dp_utun_peer peers[DP_MAX_PEERS];
};

/* The counters of a (the peers of cfg, then what else was sent to); NULL
 * when the table is full. */
static struct dp_utun_peer *dp_utun_peer(struct dp_utun *u, const struct in6_addr *a)
{
	for (unsigned i = 0; i < u->n_peers; i++)
		if (memcmp(&u->peers[i].addr, a, sizeof(*a)) == 0)
			return &u->peers[i];
	if (u->n_peers >= DP_MAX_PEERS)
		return NULL;
	u->peers[u->n_peers] = (struct dp_utun_peer){ .addr = *a };
	return &u->peers[u->n_peers++];
}

static int dp_utun_probe(struct dp *d, char *why, size_t len)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/net/tun: %s", strerror(errno));
		return -errno;
	}
	close(fd);
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (fd < 0) {
		snprintf(why, len, "raw next-header-41 socket: %s", strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static void dp_utun_init_msgs(struct dp_utun *u)
{
	for (unsigned i = 0; i < DP_UTUN_BATCH; i++) {
		u->rx_iov[i] = (struct iovec){ u->rx_buf + (size_t)i * DP_UTUN_MTU, DP_UTUN_MTU };
		u->tx_iov[i].iov_base = u->tx_buf + (size_t)i * DP_UTUN_MTU;
	}
}

static int dp_utun_socket(struct dp *d, struct dp_utun *u)
{
	struct sockaddr_in6 self = { .sin6_family = AF_INET6, .sin6_addr = d->cfg.self };
	int one = 1, buf = 4 << 20;

	u->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (u->fd < 0)
		return -errno;
	/* Big buffers: a flush of held packets is thousands at once. */
	setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (setsockopt(u->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    bind(u->fd, (struct sockaddr *)&self, sizeof(self)) < 0)
		return -errno;
	return 0;
}

static int dp_utun_open(struct dp *d)
{
	struct dp_utun *u = calloc(1, sizeof(*u));
	int err;

	if ((d->drv_state = u) == NULL)
		return -ENOMEM;
	u->fd = -1;
	u->tx_buf = malloc((size_t)DP_UTUN_BATCH * DP_UTUN_MTU);
	u->rx_buf = malloc((size_t)DP_UTUN_BATCH * DP_UTUN_MTU);
	if (u->tx_buf == NULL || u->rx_buf == NULL)
		return -ENOMEM;
	dp_utun_init_msgs(u);
	for (unsigned i = 0; i < d->cfg.n_peers; i++)
		dp_utun_peer(u, &d->cfg.peers[i]);
	if ((err = dp_utun_socket(d, u)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "tun data plane: raw next-header-41 socket: %s",
			strerror(-err));
		return err;
	}
	return 0;
}

static void dp_utun_close(struct dp *d)
{
	struct dp_utun *u = d->drv_state;

	if (u == NULL)
		return;
	if (u->fd >= 0)
		close(u->fd);
	free(u->tx_buf);
	free(u->rx_buf);
	free(u);
	d->drv_state = NULL;
}

static void dp_utun_flush(struct dp *d)
{
	struct dp_utun *u = d->drv_state;
	unsigned done = 0;

	while (done < u->n_tx) {
		int n = sendmmsg(u->fd, u->tx + done, u->n_tx - done, 0);
		if (n <= 0) {
			/* The first message of the rest failed: count it, go on. */
			d->st.encap_errors++;
			done++;
			continue;
		}
		d->st.encap_packets += (unsigned)n;
		for (int i = 0; i < n; i++) {
			struct dp_utun_peer *p = u->tx_peer[done + (unsigned)i];
			if (p) {
				p->tx_packets++;
				p->tx_bytes += u->tx_iov[done + (unsigned)i].iov_len + DP_IP6_HLEN;
			}
		}
		done += (unsigned)n;
	}
	u->n_tx = 0;
}

static void dp_utun_xmit(struct dp *d, const struct dp_route *r, const uint8_t *pkt,
			 size_t len)
{
	struct dp_utun *u = d->drv_state;

	if (len > DP_UTUN_MTU) {
		d->st.encap_errors++;
		return;
	}
	if (u->n_tx == DP_UTUN_BATCH)
		dp_utun_flush(d);
	unsigned i = u->n_tx++;
	memcpy(u->tx_iov[i].iov_base, pkt, len);
	u->tx_iov[i].iov_len = len;
	u->tx_to[i] = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = r->locator };
	u->tx_peer[i] = dp_utun_peer(u, &r->locator);
	u->tx[i].msg_hdr = (struct msghdr){ .msg_name = &u->tx_to[i],
					    .msg_namelen = sizeof(u->tx_to[i]),
					    .msg_iov = &u->tx_iov[i], .msg_iovlen = 1 };
}

/* The destination of a received tunnel packet (IPV6_PKTINFO). */
static bool dp_utun_dst(const struct msghdr *m, struct in6_addr *dst)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*dst = pi.ipi6_addr;
			return true;
		}
	}
	return false;
}

/* One tunnel packet (the inner packet: raw IPv6 sockets get no outer
 * header) from src to dst. */
static void dp_utun_decap(struct dp *d, const struct msghdr *m, const uint8_t *inner,
			  size_t len)
{
	struct dp_utun *u = d->drv_state;
	const struct sockaddr_in6 *from = m->msg_name;
	struct in6_addr dst;

	if (!dp_utun_dst(m, &dst) || memcmp(&dst, &d->cfg.self, sizeof(dst)) != 0 ||
	    !dp_peer_ok(d, &from->sin6_addr)) {
		d->st.decap_rejected++;
		return;
	}
	if ((m->msg_flags & MSG_TRUNC) || (len = dp_ip6_len(inner, len)) == 0) {
		d->st.decap_errors++;
		return;
	}
	if (write(d->tun_fd, inner, len) != (ssize_t)len) {
		d->st.decap_errors++;
		return;
	}
	d->st.decap_packets++;
	struct dp_utun_peer *p = dp_utun_peer(u, &from->sin6_addr);
	if (p) {
		p->rx_packets++;
		p->rx_bytes += len + DP_IP6_HLEN;
	}
}

static void dp_utun_read(struct dp *d)
{
	struct dp_utun *u = d->drv_state;

	for (unsigned round = 0; round < 4; round++) { /* bounded: others get their turn */
		for (unsigned i = 0; i < DP_UTUN_BATCH; i++)
			u->rx[i].msg_hdr = (struct msghdr){
				.msg_name = &u->rx_from[i], .msg_namelen = sizeof(u->rx_from[i]),
				.msg_iov = &u->rx_iov[i], .msg_iovlen = 1,
				.msg_control = u->rx_cmsg[i], .msg_controllen = sizeof(u->rx_cmsg[i]) };
		int n = recvmmsg(u->fd, u->rx, DP_UTUN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			dp_utun_decap(d, &u->rx[i].msg_hdr, u->rx_iov[i].iov_base, u->rx[i].msg_len);
		if (n < DP_UTUN_BATCH)
			return;
	}
}

static int dp_utun_pollfd(const struct dp *d)
{
	const struct dp_utun *u = d->drv_state;

	return u ? u->fd : -1;
}

static int dp_utun_tunnel_attrs(struct dp *d, struct nlmsghdr *nlh, const struct dp_route *r)
{
	return 0; /* a plain route dev TUN (dp_route_op set the device) */
}

static int dp_utun_peer_stats(struct dp *d, struct dp_peer_stats *v, unsigned max)
{
	const struct dp_utun *u = d->drv_state;

	for (unsigned i = 0; u && i < u->n_peers && i < max; i++)
		v[i] = (struct dp_peer_stats){ u->peers[i].addr, u->peers[i].rx_packets,
					       u->peers[i].rx_bytes, u->peers[i].tx_packets,
					       u->peers[i].tx_bytes };
	return u ? (int)u->n_peers : 0;
}

const struct dp_driver_ops dp_utun_ops = {
	.kind = DP_DRIVER_TUN,
	.kconfig = "CONFIG_TUN",
	.probe = dp_utun_probe,
	.open = dp_utun_open,
	.close = dp_utun_close,
	.tunnel_attrs = dp_utun_tunnel_attrs,
	.xmit = dp_utun_xmit,
	.flush = dp_utun_flush,
	.pollfd = dp_utun_pollfd,
	.read = dp_utun_read,
	.peer_stats = dp_utun_peer_stats,
};
