/* dmmd: signalling sockets. The same Mobility Header bytes go over raw IPv6
 * (next header 135, checksum at offset 4 by the kernel) or UDP port 5436
 * (RFC 5844). Both are bound to the node's address: the MAC covers source
 * and destination, so the source must be exactly that address. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "dmmd.h"
#include "log.h"

#define IPPROTO_MH_ 135 /* glibc has no name for it */
#define MH_CSUM_OFFSET 4

static int sock_bind(struct dmmd *d, int type, int proto, uint16_t port, const char *what)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = d->conf.core.self };
	int on = 1, off = MH_CSUM_OFFSET;
	char a[INET6_ADDRSTRLEN];
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0) {
		if (errno == EPERM || errno == EACCES)
			log_warnx("%s socket: permission denied: run dmmd as root (or with "
				  "CAP_NET_RAW), or use 'signalling udp'", what);
		else
			log_warn("%s socket", what);
		return -1;
	}
	/* Raw sockets are IPv6-only by nature: the kernel refuses IPV6_V6ONLY
	 * on them (inet_num is set), so it is only asked of UDP. */
	if ((type == SOCK_RAW &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
	    (type != SOCK_RAW &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)) {
		log_warn("%s socket options", what);
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_warn("%s socket: bind to [%s]:%u%s", what,
			 inet_ntop(AF_INET6, &sa.sin6_addr, a, sizeof(a)), port,
			 errno == EADDRNOTAVAIL ? " (is the address configured on an "
			 "interface, and not tentative?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

int sock_open(struct dmmd *d)
{
	d->raw_fd = d->udp_fd = -1;
	if (d->conf.signalling & DMMD_SIG_RAW) {
		d->raw_fd = sock_bind(d, SOCK_RAW, IPPROTO_MH_, 0, "raw IPv6 (MH)");
		if (d->raw_fd < 0)
			return -1;
	}
	if (d->conf.signalling & DMMD_SIG_UDP) {
		d->udp_fd = sock_bind(d, SOCK_DGRAM, IPPROTO_UDP, d->conf.udp_port, "UDP");
		if (d->udp_fd < 0) {
			sock_close(d);
			return -1;
		}
	}
	return 0;
}

void sock_close(struct dmmd *d)
{
	if (d->raw_fd >= 0)
		close(d->raw_fd);
	if (d->udp_fd >= 0)
		close(d->udp_fd);
	d->raw_fd = d->udp_fd = -1;
}

static dmm_time_t peer_seen(const struct dmmd_peer *p)
{
	return p->last_rx > p->last_tx ? p->last_rx : p->last_tx;
}

/* The peer slot of a; if create, a new one (a free slot, else the one heard
 * from or sent to least recently). */
struct dmmd_peer *sock_peer(struct dmmd *d, const struct in6_addr *a, bool create)
{
	struct dmmd_peer *victim = NULL;

	for (unsigned i = 0; i < DMMD_MAX_PEERS; i++) {
		struct dmmd_peer *p = &d->peers[i];
		if (p->used && memcmp(&p->addr, a, sizeof(*a)) == 0)
			return p;
		if (!p->used) {
			if (!victim || victim->used)
				victim = p;
		} else if (!victim || (victim->used && peer_seen(p) < peer_seen(victim))) {
			victim = p;
		}
	}
	if (!create)
		return NULL;
	*victim = (struct dmmd_peer){ .used = true, .addr = *a };
	return victim;
}

/* Is a the LM, HAA or a pool's MR in the domain map? */
bool sock_in_map(const struct dmmd *d, const struct in6_addr *a)
{
	const struct dmm_config *c = &d->conf.core;

	if (dmm_config_is_lm(c, a) || dmm_config_is_haa(c, a))
		return true;
	for (unsigned i = 0; i < c->n_pools; i++)
		if (!memcmp(&c->pools[i].mr, a, sizeof(*a)))
			return true;
	return false;
}

static bool get_dst(struct msghdr *mh, struct in6_addr *dst)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*dst = pi.ipi6_addr;
			return true;
		}
	return false;
}

/* Datagrams are read and answered in batches: one recvmmsg takes up to
 * SOCK_BATCH of them, the replies the node sends while it processes the
 * batch are queued (tx_q) and go out in one sendmmsg per socket at its end.
 * A datagram at most DMM_MSG_MAX + 1 bytes long is read whole (longer ones
 * are cut, and the decoder refuses them as longer than their header says). */
#define SOCK_BATCH 32
#define SOCK_ROUNDS 2 /* batches per call: poll() gets its turn in between */

struct sock_tx {
	int fd;
	struct sockaddr_in6 to;
	uint16_t len;
	uint8_t buf[DMM_MSG_MAX];
};

static struct {
	bool on;           /* inside sock_recv: sock_send queues */
	unsigned n;
	struct sock_tx q[SOCK_BATCH * 4];
} tx_q;


/* Send what the batch queued: consecutive entries of one socket in one
 * sendmmsg; what it did not take is sent one by one (and counted if that
 * fails too). */
static void sock_flush(struct dmmd *d)
{
	struct mmsghdr mm[SOCK_BATCH * 4];
	struct iovec iov[SOCK_BATCH * 4];
	unsigned i = 0;

	while (i < tx_q.n) {
		unsigned j = i, k;
		int sent;

		while (j < tx_q.n && tx_q.q[j].fd == tx_q.q[i].fd)
			j++;
		for (k = i; k < j; k++) {
			iov[k] = (struct iovec){ tx_q.q[k].buf, tx_q.q[k].len };
			mm[k] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &tx_q.q[k].to, .msg_namelen = sizeof(tx_q.q[k].to),
				.msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		sent = sendmmsg(tx_q.q[i].fd, mm + i, j - i, 0);
		for (k = i + (sent > 0 ? (unsigned)sent : 0); k < j; k++)
			sock_sendto(d, tx_q.q[k].fd, &tx_q.q[k].to, tx_q.q[k].buf, tx_q.q[k].len);
		i = j;
	}
	tx_q.n = 0;
}

/* Read every queued datagram of fd (up to SOCK_ROUNDS batches) and feed it
 * to the node. */
void sock_recv(struct dmmd *d, int fd, enum dmmd_signalling via)
{
	static uint8_t bufs[SOCK_BATCH][DMM_MSG_MAX + 1];
	static char cbufs[SOCK_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6 from[SOCK_BATCH];
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];

	for (int round = 0; round < SOCK_ROUNDS; round++) {
		int n;

		for (unsigned i = 0; i < SOCK_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			mm[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = cbufs[i], .msg_controllen = sizeof(cbufs[i]) } };
		}
		n = recvmmsg(fd, mm, SOCK_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				d->st.recv_errors++;
				log_ratelimited(LOG_WARNING, "signalling recv: %s",
						strerror(errno));
			}
			return;
		}
		tx_q.on = true;
		/* The route changes this round causes (a burst of moves: many
		 * LOC_NOTIFYs) go to the kernel in batches, before the answers
		 * leave. */
		dmmd_dp_batch(d, true);
		for (int i = 0; i < n; i++) {
			struct in6_addr dst = d->conf.core.self, src = from[i].sin6_addr;

			get_dst(&mm[i].msg_hdr, &dst);
			/* A reply sent while this is processed goes back the same way. */
			d->rx_via = via;
			d->rx_src = src;
			unsigned mark = tx_q.n;
			uint64_t issued = rstore_issued(d);
			uint64_t dups = d->rs ? dmm_node_counter(d->node, DMM_C_DUP_REQUEST) : 0;
			int rc = dmm_node_recv(d->node, &src, &dst, bufs[i], mm[i].msg_len, d->now);
			d->rx_via = 0;
			/* lm { store redis }: what answers a change goes out once the
			 * store has it (rstore.c) */
			if (tx_q.n > mark && rstore_must_hold(d, issued, dups)) {
				for (unsigned k = mark; k < tx_q.n; k++)
					rstore_hold(d, tx_q.q[k].fd, &tx_q.q[k].to, tx_q.q[k].buf,
						    tx_q.q[k].len);
				tx_q.n = mark;
			}
			/* Only authenticated messages, or any from a node of the domain
			 * map, get a peer slot: random senders must not churn the table. */
			struct dmmd_peer *p = sock_peer(d, &src, rc == 0 || sock_in_map(d, &src));
			if (p && rc == 0) {
				p->via = (uint8_t)via; /* authenticated: may steer replies */
				p->last_rx = d->now;
				p->rx++;
			} else if (p) {
				p->rx_dropped++;
			}
		}
		dmmd_dp_batch(d, false);
		tx_q.on = false;
		sock_flush(d);
		if (n < SOCK_BATCH)
			return;
	}
}

void sock_sendto(struct dmmd *d, int fd, const struct sockaddr_in6 *sa,
		 const uint8_t *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sendto(fd, buf, len, 0, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		d->st.send_errors++;
		log_ratelimited(LOG_DEBUG, "send to %s: %s",
				inet_ntop(AF_INET6, &sa->sin6_addr, a, sizeof(a)), strerror(errno));
	}
}

/* struct dmm_io .send: over the configured transport; with "both", over
 * the one the peer last used to reach us (raw until it has). Inside
 * sock_recv the datagram is queued for the batch's sendmmsg. */
void sock_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct dmmd *d = ctx;
	struct dmmd_peer *p = sock_peer(d, dst, true);
	unsigned via = d->rx_via && memcmp(&d->rx_src, dst, sizeof(*dst)) == 0
		       ? d->rx_via : p->via;
	bool udp = d->conf.signalling == DMMD_SIG_UDP ||
		   (d->conf.signalling == DMMD_SIG_BOTH && via == DMMD_SIG_UDP);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *dst,
				   .sin6_port = udp ? htons(d->conf.udp_port) : 0 };
	int fd = udp ? d->udp_fd : d->raw_fd;

	if (tx_q.on && tx_q.n < sizeof(tx_q.q) / sizeof(tx_q.q[0]) && len <= DMM_MSG_MAX) {
		struct sock_tx *t = &tx_q.q[tx_q.n++];
		t->fd = fd;
		t->to = sa;
		t->len = (uint16_t)len;
		memcpy(t->buf, buf, len);
	} else {
		if (tx_q.on) /* the queue is full: keep the order */
			sock_flush(d);
		sock_sendto(d, fd, &sa, buf, len);
	}
	/* counted as sent when handed over; a failure counts in send_errors */
	p->tx++;
	p->last_tx = d->now;
}
