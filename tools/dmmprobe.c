/* dmmprobe: constant-rate UDP probe that measures what a handover costs.
 *
 *   dmmprobe send -6 DST -p PORT -r PPS -d SECONDS [-s SIZE] [--bind ADDR]
 *                 [--stream ID] [--wait MS] [--send-log FILE]
 *                 --send-log: each data packet's send time (the one it
 *                 carries), 8 bytes in host order per sequence number, from
 *                 0: the send time of a packet that never arrived.
 *   dmmprobe recv -p PORT [--bind ADDR] [--csv FILE] [-d SECONDS]
 *                 [--until-idle MS] [--fin-grace MS]
 *                 stops after -d, or after MS of silence (once all senders
 *                 are done), or, with neither, FIN-GRACE ms (default 200)
 *                 after every stream's FIN; SIGINT/SIGTERM report and stop.
 *   dmmprobe peer -6 DST -p PORT -r PPS -d SECONDS [-l LPORT] [...]
 *                 both at once: send a stream to DST:PORT from LPORT (default
 *                 PORT) and receive the peer's stream on the same socket;
 *                 --wait MS lets the other side bind before packets flow.
 *   dmmprobe link IFNAME [--netns NAME]... [-d SECONDS]
 *                 one JSON line per change of the interface named IFNAME in
 *                 each namespace (default: ours), from rtnetlink link
 *                 events: event up (administratively up with carrier), down,
 *                 gone (left the namespace), netns, t_ns (CLOCK_MONOTONIC,
 *                 read the moment the event is received); "ready" first.
 *                 Runs SCHED_FIFO (priority 50) when allowed, so that it
 *                 wakes at once on a loaded machine (ready: sched_fifo).
 *                 The lab watches the MR end of a moving MN's link with it:
 *                 the MN's own carrier events come from the kernel's link
 *                 watcher, late and coalesced (a veth peer's move and
 *                 return within one event), the MR end's synchronously.
 *
 * Timestamps (man/dmmprobe.1, TIMING): each arrival's time is the kernel's
 * software receive timestamp of that packet (SO_TIMESTAMPNS, taken when the
 * packet reaches the socket layer, before it is queued), converted from
 * CLOCK_REALTIME to CLOCK_MONOTONIC with an offset read right before each
 * batch is processed; a queued packet keeps its own arrival time however
 * late the receiver wakes up. Without a kernel stamp (never seen on Linux)
 * the user-space clock is taken and counted (rx_user_stamps). Each packet's
 * send time is read from the clock for that packet, just before it is
 * handed to sendmmsg() with the others due at that instant.
 *
 * Every packet carries a magic, a stream id, a sequence number and the send
 * time (CLOCK_MONOTONIC: network namespaces share it, so one-way delays are
 * exact inside one machine). Packets leave on absolute deadlines in
 * sendmmsg() batches, so the rate holds at 100k packets/s and a late wakeup
 * is caught up instead of drifting. After the last packet the sender emits a
 * few FIN packets carrying the count sent; the receiver reports, per stream,
 * one JSON line: sent, received, lost, duplicated, reordered, the longest
 * silence between consecutive arrivals (where and when), and the loss runs.
 * Memory is bounded: one bit per sequence number, up to PROBE_MAX_SEQ. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define PROBE_MAGIC 0x444d4d50u  /* "DMMP" */
#define PROBE_T_DATA 0
#define PROBE_T_FIN 1
#define PROBE_HDR 32             /* magic, type, pad, stream, seq, send_ns */
#define PROBE_MAX_SIZE 9000
#define PROBE_BATCH 64
#define PROBE_MAX_STREAMS 16
#define PROBE_MAX_SEQ (1ull << 27) /* 16 MiB of bitmap per stream at most */
#define PROBE_FIN_COUNT 5
#define PROBE_FIN_SPACING_NS 20000000ull
#define PROBE_MAX_RUNS_SHOWN 64
#define PROBE_IFF_LOWER_UP 0x10000 /* linux/if.h clashes with net/if.h */
#define NS 1000000000ull
#define MS 1000000ull

struct probe_opts {
	const char *dst;
	const char *bind;
	const char *csv;
	const char *send_log;  /* send: each data packet's send time, binary */
	unsigned port, lport;
	double rate;
	double dur_s;         /* send: how long; recv: stop after (0 = no limit) */
	unsigned size;
	uint32_t stream;
	uint64_t idle_ms;     /* recv: stop after this much silence (0 = off) */
	uint64_t fin_grace_ms;
	uint64_t wait_ms;     /* send: start this late, socket already bound */
	bool send, recv;
	bool fin_ends;         /* recv: stop once every stream sent FIN (+ grace) */
};

struct probe_stream {
	uint32_t id;
	uint8_t *seen;        /* bitmap, grown on demand up to PROBE_MAX_SEQ */
	uint64_t seen_bits;
	uint64_t received, dup, reordered, beyond;
	uint64_t max_seq;     /* highest sequence seen + 1 */
	int64_t sent;         /* from FIN, -1 if none arrived */
	uint64_t first_ns, last_ns;
	uint64_t gap_ns, gap_start_ns, gap_from_seq, gap_to_seq;
	uint64_t last_seq;
	int64_t dmin, dmax;
	double dsum;
	uint64_t fin_ns;
};

struct probe_rx {
	struct probe_stream s[PROBE_MAX_STREAMS];
	unsigned n;
	uint64_t foreign, streams_dropped;
	uint64_t kernel_stamps, user_stamps;
	uint64_t lag_max_ns;  /* how much later user space would have stamped */
	double lag_sum_ns;
	FILE *csv;
};

struct probe_tx {
	struct sockaddr_in6 dst;
	uint64_t start_ns, data_end_ns, total, next, errors, fins_sent, next_fin_ns;
	uint64_t call_max_ns;  /* longest sendmmsg(): bounds a send stamp's error */
	FILE *log;             /* --send-log: one u64 per data packet, in order */
	uint64_t logged;
	uint8_t buf[PROBE_BATCH][PROBE_MAX_SIZE];
};

/* --send-log: the top bit of a packet's send time marks a packet its own
 * kernel refused (ENOBUFS: the link could not take it). */
#define PROBE_REFUSED (UINT64_C(1) << 63)

static volatile sig_atomic_t probe_stop;
static void usage(void) __attribute__((noreturn));

static void
probe_on_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static uint64_t
probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
probe_encode(uint8_t *b, uint8_t type, uint32_t stream, uint64_t seq, uint64_t t)
{
	put32(b, PROBE_MAGIC);
	b[4] = type;
	b[5] = b[6] = b[7] = 0;
	put32(b + 8, stream);
	put32(b + 12, 0);
	put64(b + 16, seq);
	put64(b + 24, t);
}

/* ---- receiver ---- */

static struct probe_stream *
rx_stream(struct probe_rx *rx, uint32_t id)
{
	struct probe_stream *s;

	for (unsigned i = 0; i < rx->n; i++)
		if (rx->s[i].id == id)
			return &rx->s[i];
	if (rx->n == PROBE_MAX_STREAMS) {
		rx->streams_dropped++;
		return NULL;
	}
	s = &rx->s[rx->n++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->sent = -1;
	s->dmin = INT64_MAX;
	s->dmax = INT64_MIN;
	return s;
}

/* Make bit seq addressable; false if it is beyond the bound. */
static bool
rx_bitmap_fit(struct probe_stream *s, uint64_t seq)
{
	uint64_t bits;
	uint8_t *p;

	if (seq < s->seen_bits)
		return true;
	if (seq >= PROBE_MAX_SEQ)
		return false;
	bits = s->seen_bits ? s->seen_bits : 65536;
	while (bits <= seq)
		bits *= 2;
	if (bits > PROBE_MAX_SEQ)
		bits = PROBE_MAX_SEQ;
	p = realloc(s->seen, bits / 8);
	if (p == NULL)
		return false;
	memset(p + s->seen_bits / 8, 0, (bits - s->seen_bits) / 8);
	s->seen = p;
	s->seen_bits = bits;
	return true;
}

static void
rx_data(struct probe_rx *rx, struct probe_stream *s, uint64_t seq, uint64_t sent_ns,
	uint64_t now)
{
	int64_t d;

	if (!rx_bitmap_fit(s, seq)) {
		s->beyond++;
		return;
	}
	if (s->seen[seq / 8] & (1u << (seq % 8))) {
		s->dup++;
		return;
	}
	s->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	if (s->received == 0) {
		s->first_ns = now;
	} else if (now > s->last_ns && now - s->last_ns > s->gap_ns) {
		/* kernel stamps of packets read in one batch can be out of order
		 * by a few us (stamped on two CPUs): only forward steps count */
		s->gap_ns = now - s->last_ns;
		s->gap_start_ns = s->last_ns;
		s->gap_from_seq = s->last_seq;
		s->gap_to_seq = seq;
	}
	if (seq + 1 < s->max_seq)
		s->reordered++;
	else
		s->max_seq = seq + 1;
	s->received++;
	s->last_ns = now > s->last_ns ? now : s->last_ns;
	s->last_seq = seq;
	d = (int64_t)(now - sent_ns);
	s->dmin = d < s->dmin ? d : s->dmin;
	s->dmax = d > s->dmax ? d : s->dmax;
	s->dsum += (double)d;
	if (rx->csv)
		fprintf(rx->csv, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 "\n",
			seq, sent_ns, now, s->id);
}

static void
rx_packet(struct probe_rx *rx, const uint8_t *b, size_t len, uint64_t now)
{
	struct probe_stream *s;

	if (len < PROBE_HDR || get32(b) != PROBE_MAGIC) {
		rx->foreign++;
		return;
	}
	if ((s = rx_stream(rx, get32(b + 8))) == NULL)
		return;
	if (b[4] == PROBE_T_FIN) {
		s->sent = (int64_t)get64(b + 16);
		if (s->fin_ns == 0)
			s->fin_ns = now;
	} else if (b[4] == PROBE_T_DATA) {
		rx_data(rx, s, get64(b + 16), get64(b + 24), now);
	} else {
		rx->foreign++;
	}
}

static bool
rx_seen(const struct probe_stream *s, uint64_t seq)
{
	return seq < s->seen_bits && (s->seen[seq / 8] & (1u << (seq % 8)));
}

/* Print the missing ranges in [0, end) as [first, count] pairs. */
static void
rx_print_runs(const struct probe_stream *s, uint64_t end)
{
	uint64_t seq = 0, runs = 0, longest = 0, shown = 0;

	printf(",\"loss_runs\":[");
	while (seq < end) {
		uint64_t first = seq;

		if (rx_seen(s, seq)) {
			seq++;
			continue;
		}
		while (seq < end && !rx_seen(s, seq))
			seq++;
		runs++;
		longest = seq - first > longest ? seq - first : longest;
		if (shown++ < PROBE_MAX_RUNS_SHOWN)
			printf("%s[%" PRIu64 ",%" PRIu64 "]", shown > 1 ? "," : "",
			       first, seq - first);
	}
	printf("],\"loss_run_count\":%" PRIu64 ",\"longest_loss_run\":%" PRIu64,
	       runs, longest);
}

static uint64_t
rx_missing(const struct probe_stream *s, uint64_t end)
{
	uint64_t n = 0;

	for (uint64_t seq = 0; seq < end; seq++)
		n += !rx_seen(s, seq);
	return n;
}

static void
rx_report(const struct probe_rx *rx)
{
	for (unsigned i = 0; i < rx->n; i++) {
		const struct probe_stream *s = &rx->s[i];
		/* Without a FIN, what was sent is known only up to the last
		 * sequence that arrived: a lost tail goes unseen. */
		uint64_t end = s->sent >= 0 ? (uint64_t)s->sent : s->max_seq;

		printf("{\"role\":\"recv\",\"stream\":%" PRIu32 ",\"sent\":%" PRId64
		       ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"duplicated\":%" PRIu64 ",\"reordered\":%" PRIu64
		       ",\"beyond_window\":%" PRIu64 ",\"fin\":%s",
		       s->id, s->sent, s->received, rx_missing(s, end),
		       s->dup, s->reordered, s->beyond, s->fin_ns ? "true" : "false");
		printf(",\"first_ns\":%" PRIu64 ",\"last_ns\":%" PRIu64
		       ",\"max_gap_ms\":%.3f,\"max_gap_from_seq\":%" PRIu64
		       ",\"max_gap_to_seq\":%" PRIu64 ",\"max_gap_start_ns\":%" PRIu64
		       ",\"max_gap_at_ms\":%.3f",
		       s->first_ns, s->last_ns, (double)s->gap_ns / MS, s->gap_from_seq,
		       s->gap_to_seq, s->gap_start_ns,
		       s->gap_ns ? (double)(s->gap_start_ns - s->first_ns) / MS : 0.0);
		if (s->received)
			printf(",\"delay_ms\":{\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f}",
			       (double)s->dmin / MS, s->dsum / (double)s->received / MS,
			       (double)s->dmax / MS);
		printf(",\"rx_kernel_stamps\":%" PRIu64 ",\"rx_user_stamps\":%" PRIu64
		       ",\"rx_user_lag_ms\":{\"avg\":%.3f,\"max\":%.3f}",
		       rx->kernel_stamps, rx->user_stamps,
		       rx->kernel_stamps ? rx->lag_sum_ns / (double)rx->kernel_stamps / MS : 0.0,
		       (double)rx->lag_max_ns / MS);
		rx_print_runs(s, end);
		printf("}\n");
	}
	if (rx->n == 0)
		printf("{\"role\":\"recv\",\"stream\":null,\"sent\":-1,\"received\":0,"
		       "\"foreign\":%" PRIu64 "}\n", rx->foreign);
	fflush(stdout);
}

/* True once every stream seen has sent FIN and the grace period is over. */
static bool
rx_finished(const struct probe_rx *rx, uint64_t now, uint64_t grace_ns)
{
	if (rx->n == 0)
		return false;
	for (unsigned i = 0; i < rx->n; i++)
		if (rx->s[i].fin_ns == 0 || now - rx->s[i].fin_ns < grace_ns)
			return false;
	return true;
}

static uint64_t
rx_last_arrival(const struct probe_rx *rx)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < rx->n; i++)
		t = rx->s[i].last_ns > t ? rx->s[i].last_ns : t;
	return t;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC now: a realtime read between two
 * monotonic reads, the offset taken at their midpoint. */
static int64_t
rt_to_mono_offset(void)
{
	struct timespec a, r, b;
	int64_t ma, mb, rt;

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ma = (int64_t)a.tv_sec * (int64_t)NS + a.tv_nsec;
	mb = (int64_t)b.tv_sec * (int64_t)NS + b.tv_nsec;
	rt = (int64_t)r.tv_sec * (int64_t)NS + r.tv_nsec;
	return rt - (ma + (mb - ma) / 2);
}

/* The kernel's receive timestamp of one message (monotonic ns), 0 if none. */
static uint64_t
rx_kernel_stamp(struct msghdr *mh, int64_t off)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)((int64_t)ts.tv_sec * (int64_t)NS + ts.tv_nsec - off);
		}
	}
	return 0;
}

static void
rx_drain(int fd, struct probe_rx *rx)
{
	static uint8_t bufs[PROBE_BATCH][PROBE_MAX_SIZE];
	static uint8_t ctl[PROBE_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
	struct mmsghdr msgs[PROBE_BATCH];
	struct iovec iov[PROBE_BATCH];
	int n;

	for (;;) {
		for (int i = 0; i < PROBE_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, msgs, PROBE_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t now = probe_now();
		int64_t off = rt_to_mono_offset();
		for (int i = 0; i < n; i++) {
			uint64_t t = rx_kernel_stamp(&msgs[i].msg_hdr, off);

			if (t == 0 || t > now + MS) {
				t = now;
				rx->user_stamps++;
			} else {
				rx->kernel_stamps++;
				/* t may be a few us past now: the offset's own error */
				uint64_t lag = now > t ? now - t : 0;

				rx->lag_sum_ns += (double)lag;
				rx->lag_max_ns = lag > rx->lag_max_ns ? lag : rx->lag_max_ns;
			}
			rx_packet(rx, bufs[i], msgs[i].msg_len, t);
		}
		if (n < PROBE_BATCH)
			return;
	}
}

/* ---- sender ---- */

static int
tx_send(int fd, struct probe_tx *tx, uint8_t type, uint64_t count, unsigned size,
	uint32_t stream)
{
	struct mmsghdr msgs[PROBE_BATCH];
	struct iovec iov[PROBE_BATCH];
	uint64_t stamp[PROBE_BATCH];
	unsigned off = 0, retried = ~0u;
	int n, rc = 0;

	for (uint64_t i = 0; i < count; i++) {
		uint64_t seq = type == PROBE_T_FIN ? tx->total : tx->next + i;

		/* Each packet's own clock read, the last thing before the send. */
		stamp[i] = probe_now();
		probe_encode(tx->buf[i], type, stream, seq, stamp[i]);
		iov[i].iov_base = tx->buf[i];
		iov[i].iov_len = size;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &tx->dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(tx->dst);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (off < count) {
		uint64_t t0 = probe_now();

		n = sendmmsg(fd, msgs + off, (unsigned)(count - off), 0);
		t0 = probe_now() - t0;
		tx->call_max_ns = t0 > tx->call_max_ns ? t0 : tx->call_max_ns;
		if (n > 0) {  /* the rest again: the first of it failed, and why */
			off += (unsigned)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* With IPV6_RECVERR, an ICMP error that came back (a port
		 * unreachable, say) fails the next send, which then did not go:
		 * the error queue emptied, that packet is tried once more. */
		if (tx->log && n < 0 && errno != ENOBUFS && retried != off) {
			char cbuf[512];
			struct msghdr eh = { .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

			while (recvmsg(fd, &eh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
				eh.msg_controllen = sizeof(cbuf);
			retried = off;
			continue;
		}
		/* The packet at off was not sent (no route during a move, or
		 * ENOBUFS: its own link refused it, with --send-log's
		 * IPV6_RECVERR): it keeps its sequence number, the receiver
		 * counts it lost, which is the truth. The ones after it go. */
		tx->errors++;
		if (n < 0 && errno == ENOBUFS)
			stamp[off] |= PROBE_REFUSED;
		if (n == 0 || (errno != ENETUNREACH && errno != EHOSTUNREACH && errno != ENOBUFS &&
			       errno != EAGAIN && errno != ECONNREFUSED && errno != EADDRNOTAVAIL &&
			       errno != ENETDOWN))
			rc = -1;
		off++;
	}
	/* The send times, as carried by the packets, and which ones the
	 * sender's own kernel refused: for a lost packet the receiver knows
	 * only its sequence number (lab/report.py reads them here instead of
	 * guessing them from the sending pace, which places a burst sent late
	 * after a stall where it was due, not where it went). */
	if (type == PROBE_T_DATA && tx->log && fwrite(stamp, sizeof(stamp[0]), count, tx->log) == count)
		tx->logged += count;
	return rc;
}

/* Send everything due by now; returns the next deadline (0 = all done). */
static uint64_t
tx_step(int fd, struct probe_tx *tx, const struct probe_opts *o, uint64_t now)
{
	uint64_t due, k;

	if (tx->next < tx->total) {
		due = (uint64_t)((double)(now - tx->start_ns) * o->rate / NS) + 1;
		due = due > tx->total ? tx->total : due;
		while (tx->next < due) {
			k = due - tx->next > PROBE_BATCH ? PROBE_BATCH : due - tx->next;
			if (tx_send(fd, tx, PROBE_T_DATA, k, o->size, o->stream) < 0)
				perror("dmmprobe: sendmmsg");
			tx->next += k;
		}
		if (tx->next < tx->total)
			return tx->start_ns + (uint64_t)((double)tx->next * NS / o->rate);
		tx->next_fin_ns = tx->data_end_ns = now;
	}
	if (tx->fins_sent < PROBE_FIN_COUNT) {
		if (now < tx->next_fin_ns)
			return tx->next_fin_ns;
		tx_send(fd, tx, PROBE_T_FIN, 1, PROBE_HDR, o->stream);
		tx->fins_sent++;
		tx->next_fin_ns = now + PROBE_FIN_SPACING_NS;
		return tx->fins_sent < PROBE_FIN_COUNT ? tx->next_fin_ns : 0;
	}
	return 0;
}

static void
tx_report(const struct probe_tx *tx, const struct probe_opts *o, uint64_t end)
{
	uint64_t last = tx->data_end_ns ? tx->data_end_ns : end;
	/* n packets on deadlines 1/rate apart span (n - 1)/rate seconds. */
	double secs = (double)(last - tx->start_ns) / NS;

	printf("{\"role\":\"send\",\"stream\":%" PRIu32 ",\"sent\":%" PRIu64
	       ",\"send_errors\":%" PRIu64 ",\"size\":%u,\"rate_pps\":%.0f"
	       ",\"achieved_pps\":%.0f,\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64
	       ",\"sendmmsg_max_ms\":%.3f",
	       o->stream, tx->next, tx->errors, o->size, o->rate,
	       secs > 0 && tx->next > 1 ? (double)(tx->next - 1) / secs : 0.0, tx->start_ns, end,
	       (double)tx->call_max_ns / MS);
	if (o->send_log)  /* all of them, or the log is not to be read */
		printf(",\"send_log\":%" PRIu64, tx->log && fflush(tx->log) == 0 ? tx->logged : 0);
	printf("}\n");
	fflush(stdout);
}

/* ---- setup and main loop ---- */

static int
probe_addr(const char *host, unsigned port, struct sockaddr_in6 *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	if (host == NULL)
		return 0;
	if (inet_pton(AF_INET6, host, &sa->sin6_addr) == 1)
		return 0;
	fprintf(stderr, "dmmprobe: not an IPv6 address: %s\n", host);
	return -1;
}

static int
probe_socket(const struct probe_opts *o, unsigned port)
{
	struct sockaddr_in6 sa;
	int fd, one = 1, buf = 8 << 20;

	if (probe_addr(o->bind, port, &sa) < 0)
		return -1;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0) {
		perror("dmmprobe: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* FORCE needs CAP_NET_ADMIN; the plain option is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	/* A sender that logs: the kernel's refusals as errors (ENOBUFS),
	 * which UDP otherwise only counts (Udp6SndbufErrors). */
	if (o->send_log && !o->recv &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) < 0)
		perror("dmmprobe: IPV6_RECVERR (refusals not marked)");
	if (o->recv && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		perror("dmmprobe: SO_TIMESTAMPNS (arrivals stamped in user space)");
	if ((o->bind || port) && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dmmprobe: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static struct timespec
probe_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS), .tv_nsec = (long)(ns % NS) };

	return ts;
}

/* Next time the receive side must look at the clock (0 = never). */
static uint64_t
rx_deadline(const struct probe_opts *o, const struct probe_rx *rx, uint64_t t0, bool tx_done)
{
	uint64_t d = 0, t;

	if (o->dur_s > 0 && !o->send)
		d = t0 + (uint64_t)(o->dur_s * NS);
	if (o->idle_ms && tx_done) {
		t = rx_last_arrival(rx);
		t = (t ? t : t0) + o->idle_ms * MS;
		d = d == 0 || t < d ? t : d;
	}
	for (unsigned i = 0; i < rx->n; i++) {
		if (rx->s[i].fin_ns == 0)
			continue;
		t = rx->s[i].fin_ns + o->fin_grace_ms * MS;
		d = d == 0 || t < d ? t : d;
	}
	return d;
}

static int
probe_loop(int fd, const struct probe_opts *o, struct probe_tx *tx, struct probe_rx *rx)
{
	uint64_t t0 = probe_now() + o->wait_ms * MS, next_tx = o->send ? t0 : 0, now, d;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts;

	if (tx)
		tx->start_ns = t0;
	while (!probe_stop) {
		now = probe_now();
		if (next_tx && now >= next_tx)
			next_tx = tx_step(fd, tx, o, now);
		if (!o->recv && next_tx == 0)
			break;
		if (o->recv && next_tx == 0) {
			if (o->dur_s > 0 && !o->send && now >= t0 + (uint64_t)(o->dur_s * NS))
				break;
			if (o->fin_ends && rx_finished(rx, now, o->fin_grace_ms * MS))
				break;
			d = rx_last_arrival(rx);
			if (o->idle_ms && now >= (d ? d : t0) + o->idle_ms * MS)
				break;
		}
		d = o->recv ? rx_deadline(o, rx, t0, next_tx == 0) : 0;
		if (next_tx && (d == 0 || next_tx < d))
			d = next_tx;
		ts = probe_ts(d > now ? d - now : 0);
		if (ppoll(o->recv ? &pfd : NULL, o->recv ? 1 : 0, d ? &ts : NULL, NULL) > 0)
			rx_drain(fd, rx);
	}
	if (o->recv)
		rx_drain(fd, rx);
	if (tx)
		tx_report(tx, o, probe_now());
	if (rx)
		rx_report(rx);
	return 0;
}

/* ---- link watcher ---- */

#define PROBE_MAX_NETNS 16

struct probe_watch {
	int fd;
	const char *ns;    /* namespace name, "" for ours */
	int state;         /* -1 unknown, 0 down/absent, 1 up with carrier */
};

/* A NETLINK_ROUTE socket listening to link events in namespace ns (a name
 * under /run/netns, or NULL for ours); the socket stays in that namespace
 * after we return to ours. */
static int
probe_nl_socket(const char *ns)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	char path[256];
	int self = -1, target = -1, fd = -1;

	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
		    (target = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(target, CLONE_NEWNET) < 0) {
			perror(path);
			goto out;
		}
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		perror("dmmprobe: netlink");
	if (ns && setns(self, CLONE_NEWNET) < 0) {
		perror("dmmprobe: back to our namespace");
		exit(1);
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return fd;
}

static const char *
probe_ifla_name(struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));

	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			return RTA_DATA(a);
	return NULL;
}

/* dmmprobe link IFNAME [--netns NS]...: the state of the interface named
 * IFNAME in each namespace (a moving veth end keeps its name), from
 * rtnetlink: "up" when it is administratively up with carrier (the moment
 * it can carry packets), "down" when it loses either, "gone" when it leaves
 * the namespace (RTM_DELLINK). Each event is stamped the moment recv()
 * returns it; the process blocks in poll() and does nothing else. Exit after
 * -d seconds or a signal. */
static int
probe_link(int argc, char **argv)
{
	struct probe_watch w[PROBE_MAX_NETNS];
	struct pollfd pfd[PROBE_MAX_NETNS];
	static uint8_t buf[65536];
	const char *ifname = NULL;
	double dur_s = 0;
	unsigned n = 0;
	uint64_t end;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			dur_s = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc && n < PROBE_MAX_NETNS) {
			w[n].ns = argv[++i];
			w[n++].fd = -1;
		} else if (ifname == NULL && argv[i][0] != '-') {
			ifname = argv[i];
		} else {
			usage();
		}
	}
	if (ifname == NULL)
		usage();
	if (n == 0) {
		w[0].ns = "";
		n = 1;
	}
	for (unsigned i = 0; i < n; i++) {
		w[i].fd = probe_nl_socket(*w[i].ns ? w[i].ns : NULL);
		w[i].state = -1;
		if (w[i].fd < 0)
			return 1;
		pfd[i] = (struct pollfd){ .fd = w[i].fd, .events = POLLIN };
	}
	/* Real-time priority: on a loaded machine a normal process may wake up
	 * milliseconds after the event and stamp a queue of them at once. */
	struct sched_param sp = { .sched_priority = 50 };
	bool rt = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
	end = dur_s > 0 ? probe_now() + (uint64_t)(dur_s * NS) : 0;
	printf("{\"event\":\"ready\",\"sched_fifo\":%s", rt ? "true" : "false");
	printf(",\"ifname\":\"%s\",\"t_ns\":%" PRIu64 "}\n", ifname, probe_now());
	fflush(stdout);
	while (!probe_stop) {
		uint64_t now = probe_now();
		struct timespec ts;

		if (end && now >= end)
			break;
		ts = probe_ts(end ? end - now : NS);
		if (ppoll(pfd, n, &ts, NULL) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			ssize_t len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			len = recv(w[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			now = probe_now();
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
			     len > 0 && NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				const char *name, *ev;
				int st;

				if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
					continue;
				name = probe_ifla_name(h);
				if (name == NULL || strcmp(name, ifname))
					continue;
				st = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
				     (ifi->ifi_flags & PROBE_IFF_LOWER_UP);
				if (h->nlmsg_type == RTM_DELLINK)
					ev = "gone";
				else if (st == w[i].state)
					continue;
				else
					ev = st ? "up" : "down";
				w[i].state = h->nlmsg_type == RTM_DELLINK ? -1 : st;
				printf("{\"event\":\"%s\",\"ifname\":\"%s\",\"netns\":\"%s\","
				       "\"flags\":%u,\"t_ns\":%" PRIu64 "}\n",
				       ev, ifname, w[i].ns, ifi->ifi_flags, now);
				fflush(stdout);
			}
		}
	}
	for (unsigned i = 0; i < n; i++)
		close(w[i].fd);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: dmmprobe send -6 DST -p PORT -r PPS -d SECONDS [-s SIZE] [--bind ADDR]\n"
		"                     [--stream ID] [--wait MS] [--send-log FILE]\n"
		"       dmmprobe recv -p PORT [--bind ADDR] [--csv FILE] [-d SECONDS]\n"
		"                     [--until-idle MS] [--fin-grace MS]\n"
		"       dmmprobe peer -6 DST -p PORT -r PPS -d SECONDS [-l LOCAL_PORT] [...]\n"
		"       dmmprobe link IFNAME [--netns NAME]... [-d SECONDS]\n");
	exit(2);
}

static void
probe_parse(int argc, char **argv, struct probe_opts *o)
{
	static const struct option lo[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "csv", required_argument, NULL, 'c' },
		{ "until-idle", required_argument, NULL, 'i' },
		{ "fin-grace", required_argument, NULL, 'g' },
		{ "stream", required_argument, NULL, 'S' },
		{ "wait", required_argument, NULL, 'w' },
		{ "send-log", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "6:p:r:d:s:l:", lo, NULL)) != -1) {
		switch (c) {
		case '6': o->dst = optarg; break;
		case 'p': o->port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': o->lport = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': o->rate = strtod(optarg, NULL); break;
		case 'd': o->dur_s = strtod(optarg, NULL); break;
		case 's': o->size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'b': o->bind = optarg; break;
		case 'c': o->csv = optarg; break;
		case 'i': o->idle_ms = strtoull(optarg, NULL, 10); break;
		case 'g': o->fin_grace_ms = strtoull(optarg, NULL, 10); break;
		case 'w': o->wait_ms = strtoull(optarg, NULL, 10); break;
		case 'L': o->send_log = optarg; break;
		case 'S': o->stream = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc || o->port == 0 || o->port > 65535 || o->lport > 65535 ||
	    o->size < PROBE_HDR || o->size > PROBE_MAX_SIZE)
		usage();
	if (o->send && (o->dst == NULL || o->rate <= 0 || o->dur_s <= 0))
		usage();
}

int
main(int argc, char **argv)
{
	struct probe_opts o = { .size = 64, .fin_grace_ms = 200 };
	struct probe_tx *tx = NULL;
	struct probe_rx *rx = NULL;
	int fd, rc;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "link")) {
		signal(SIGINT, probe_on_signal);
		signal(SIGTERM, probe_on_signal);
		return probe_link(argc, argv);
	}
	o.send = !strcmp(argv[1], "send") || !strcmp(argv[1], "peer");
	o.recv = !strcmp(argv[1], "recv") || !strcmp(argv[1], "peer");
	if (!o.send && !o.recv)
		usage();
	o.stream = (uint32_t)getpid();
	probe_parse(argc - 1, argv + 1, &o);
	/* A receiver told how long to listen ignores FINs (more streams may
	 * come); a peer stops at its peer's FIN, or after 1 s of silence if
	 * that peer died. */
	o.fin_ends = o.send || (o.idle_ms == 0 && o.dur_s <= 0);
	if (!strcmp(argv[1], "peer") && o.idle_ms == 0)
		o.idle_ms = 1000;
	signal(SIGINT, probe_on_signal);
	signal(SIGTERM, probe_on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL); /* 10 us deadlines at 100k packets/s */
	fd = probe_socket(&o, o.recv ? (o.lport ? o.lport : o.port) : 0);
	if (fd < 0)
		return 1;
	if (o.send) {
		if ((tx = calloc(1, sizeof(*tx))) == NULL)
			return 1;
		if (probe_addr(o.dst, o.port, &tx->dst) < 0)
			return 2;
		tx->total = (uint64_t)(o.rate * o.dur_s + 0.5);
		if (o.send_log) {
			if ((tx->log = fopen(o.send_log, "wb")) == NULL) {
				perror(o.send_log);
				return 1;
			}
			setvbuf(tx->log, NULL, _IOFBF, 1 << 20);
		}
	}
	if (o.recv) {
		if ((rx = calloc(1, sizeof(*rx))) == NULL)
			return 1;
		if (o.csv && (rx->csv = fopen(o.csv, "w")) == NULL) {
			perror(o.csv);
			return 1;
		}
		if (rx->csv)
			fprintf(rx->csv, "seq,send_ns,recv_ns,stream\n");
	}
	rc = probe_loop(fd, &o, tx, rx);
	if (rx && rx->csv && fclose(rx->csv) != 0)
		rc = 1;
	for (unsigned i = 0; rx && i < rx->n; i++)
		free(rx->s[i].seen);
	free(rx);
	free(tx);
	close(fd);
	return rc;
}
