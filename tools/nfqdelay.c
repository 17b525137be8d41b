/* nfqdelay: a fixed per-link delay for the lab, where the kernel has no netem.
 *
 *   nfqdelay -q QUEUE -d MS [-n MAXHELD]
 *
 * Packets sent to NFQUEUE number QUEUE (ip6tables ... -j NFQUEUE --queue-num
 * QUEUE, inside one namespace) are held for MS milliseconds and then
 * accepted. The delay is the same for every packet, so the hold queue is a
 * FIFO ordered by deadline, and the kernel's packet ids grow in arrival
 * order, so one batch verdict accepts everything that is due. When MAXHELD
 * packets are held, new arrivals are dropped (a full router queue) and
 * counted. SIGTERM/SIGINT accept everything still held and exit. */
#include <arpa/inet.h> /* before linux/netfilter.h, which pulls linux/in.h */
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define NFQD_DEFAULT_MAX 65536
#define NFQD_RCVBUF (16u << 20)
#define NS 1000000000ull

struct nfqd_held {
	uint32_t id;
	uint64_t due_ns;
};

struct nfqd {
	struct nfq_q_handle *qh;
	struct nfqd_held *ring;
	size_t cap, head, n;
	uint64_t delay_ns;
	uint64_t held_total, dropped, accepted;
};

static volatile sig_atomic_t nfqd_stop;

static void
nfqd_on_signal(int sig)
{
	(void)sig;
	nfqd_stop = 1;
}

static uint64_t
nfqd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static int
nfqd_on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
	       void *arg)
{
	struct nfqd *d = arg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	(void)msg;
	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	if (d->n == d->cap) {
		d->dropped++;
		return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
	}
	d->ring[(d->head + d->n) % d->cap] = (struct nfqd_held){
		.id = id, .due_ns = nfqd_now() + d->delay_ns,
	};
	d->n++;
	d->held_total++;
	return 0;
}

/* Accept every held packet due by now (all of them if flush); returns the
 * next deadline, or 0 when nothing is held. */
static uint64_t
nfqd_release(struct nfqd *d, uint64_t now, bool flush)
{
	uint32_t last = 0;
	size_t k = 0;

	while (k < d->n) {
		const struct nfqd_held *h = &d->ring[(d->head + k) % d->cap];

		if (!flush && h->due_ns > now)
			break;
		last = h->id;
		k++;
	}
	if (k > 0) {
		/* Ids grow in arrival order, so this accepts exactly the k
		 * oldest packets (dropped ones already have their verdict). */
		if (nfq_set_verdict_batch(d->qh, last, NF_ACCEPT) < 0)
			perror("nfqdelay: verdict");
		d->head = (d->head + k) % d->cap;
		d->n -= k;
		d->accepted += k;
	}
	return d->n ? d->ring[d->head].due_ns : 0;
}

static int
nfqd_loop(struct nfq_handle *h, struct nfqd *d)
{
	static char buf[1 << 16];
	struct pollfd pfd = { .fd = nfq_fd(h), .events = POLLIN };
	uint64_t next = 0, now, wait;
	struct timespec ts;
	ssize_t r;

	while (!nfqd_stop) {
		now = nfqd_now();
		wait = next > now ? next - now : 0;
		ts = (struct timespec){ .tv_sec = (time_t)(wait / NS), .tv_nsec = (long)(wait % NS) };
		if (ppoll(&pfd, 1, next ? &ts : NULL, NULL) > 0) {
			while ((r = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				nfq_handle_packet(h, buf, (int)r);
			if (r < 0 && errno == ENOBUFS)
				fprintf(stderr, "nfqdelay: netlink overrun, packets lost\n");
		}
		next = nfqd_release(d, nfqd_now(), false);
	}
	nfqd_release(d, 0, true);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nfqdelay -q QUEUE -d MS [-n MAXHELD]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct nfqd d = { .cap = NFQD_DEFAULT_MAX };
	struct nfq_handle *h;
	long q = -1;
	double ms = -1;
	int c;

	while ((c = getopt(argc, argv, "q:d:n:")) != -1) {
		switch (c) {
		case 'q': q = strtol(optarg, NULL, 10); break;
		case 'd': ms = strtod(optarg, NULL); break;
		case 'n': d.cap = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind != argc || q < 0 || q > 65535 || ms < 0 || d.cap == 0)
		usage();
	d.delay_ns = (uint64_t)(ms * 1e6);
	if ((d.ring = calloc(d.cap, sizeof(*d.ring))) == NULL)
		return 1;
	signal(SIGINT, nfqd_on_signal);
	signal(SIGTERM, nfqd_on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL);
	if ((h = nfq_open()) == NULL) {
		perror("nfqdelay: nfq_open");
		return 1;
	}
	if ((d.qh = nfq_create_queue(h, (uint16_t)q, nfqd_on_packet, &d)) == NULL) {
		perror("nfqdelay: nfq_create_queue");
		return 1;
	}
	/* Only the verdict is needed, not the payload. */
	if (nfq_set_mode(d.qh, NFQNL_COPY_META, 0) < 0 ||
	    nfq_set_queue_maxlen(d.qh, (uint32_t)d.cap) < 0) {
		perror("nfqdelay: queue setup");
		return 1;
	}
	nfnl_rcvbufsiz(nfq_nfnlh(h), NFQD_RCVBUF);
	nfqd_loop(h, &d);
	fprintf(stderr, "nfqdelay: queue %ld: held %" PRIu64 ", accepted %" PRIu64
		", dropped %" PRIu64 "\n", q, d.held_total, d.accepted, d.dropped);
	nfq_destroy_queue(d.qh);
	nfq_close(h);
	return 0;
}
