/* dmmd: the daemon's state, shared by its files (dmmd.c main loop, sock.c
 * signalling sockets, control.c control socket, evlog.c event log). */
#ifndef DMMD_H
#define DMMD_H

#include <stdio.h>
#include <time.h>

#include <poll.h>

#include "buf.h"
#include "metrics.h"
#include "node.h"
#include "parse.h"
#include "../dataplane/dp.h"

#define DMMD_MAX_PEERS 256 /* signalling peers remembered (show peers, "both") */
#define DMMD_CTL_CLIENTS 16 /* control clients served at once */
#define CTL_LINE_MAX 1024   /* a control request line, newline included */
/* dmmctl monitor: at most DMMD_MON_CLIENTS of the control clients at once,
 * each with at most DMMD_MON_BUF bytes of events not yet written to it. */
#define DMMD_MON_CLIENTS 4
#define DMMD_MON_BUF (16 * 1024)
/* show counters: how many there can be (core, daemon, data plane). */
#define DMMD_MAX_COUNTERS (DMM_C_COUNT + 64)

#ifndef DMM_VERSION
#define DMM_VERSION "unknown" /* the Makefile passes VERSION */
#endif

/* A node we exchanged signalling with. */
struct dmmd_peer {
	bool used;
	struct in6_addr addr;
	uint8_t via;          /* enum dmmd_signalling of the last message from it */
	uint64_t rx, tx, rx_dropped;
	dmm_time_t last_rx, last_tx;
};

struct dmmd_stats {
	uint64_t send_errors, recv_errors, ctl_requests, ev_written;
	uint64_t ctl_refused, ctl_timeouts; /* too many clients; past a deadline */
	uint64_t store_writes, store_errors, store_restored; /* store.c */
	/* monitor: events queued to a monitor, not queued because its buffer
	 * was full, monitors closed because they did not read in time */
	uint64_t mon_events, mon_dropped, mon_closed;
};

/* A control socket client (control.c), served from the main loop. */
struct dmmd_ctl_client {
	bool used;
	bool writing;            /* the request is in, the answer going out */
	bool monitor, mon_json;  /* a monitor: streams events until it goes */
	int fd;
	int64_t deadline;        /* monotonic ms: line complete, or answer read;
				  * a monitor: progress on what it has queued */
	uint64_t mon_dropped;    /* events not queued to it since the last note */
	size_t in_len;
	char in[CTL_LINE_MAX];
	struct buf out;
	size_t out_off;
};

/* The last SIGHUP reload (dmmctl show config): whether it applied, when
 * (wall clock), and why not (its errors, one per line, truncated). */
#define DMMD_RELOAD_ERR_MAX 2048
struct dmmd_reload {
	bool tried;              /* a reload happened since start */
	bool ok;
	struct timespec time;    /* CLOCK_REALTIME */
	char error[DMMD_RELOAD_ERR_MAX];
};

struct dmmd {
	struct dmmd_conf conf;
	const char *conf_path;   /* absolute (resolved at start) */
	struct dmmd_reload reload;
	int pid_fd;              /* the pidfile, locked while we run; -1 if none */
	bool pidfile_opt;        /* conf.pidfile is -p's, not the file's */
	struct dmm_node *node;
	struct dp *dp;           /* NULL on a node without the MR role */
	int raw_fd, udp_fd, ctl_fd;
	FILE *evlog;
	dmm_time_t now;          /* monotonic ms, updated after each poll */
	dmm_time_t started;
	struct dmmd_peer peers[DMMD_MAX_PEERS];
	unsigned rx_via;         /* transport of the message being processed, 0 if none */
	struct in6_addr rx_src;
	struct dmmd_stats st;
	/* clear counters: the values show counters subtracts, and when */
	uint64_t ctr_base[DMMD_MAX_COUNTERS];
	unsigned n_ctr_base;
	struct timespec ctr_reset; /* CLOCK_REALTIME; tv_sec 0: never */
	struct dmmd_ctl_client ctl[DMMD_CTL_CLIENTS];
	struct dmmd_metrics *metrics; /* metrics.c: the endpoint, event timings */
	int priv_fd;             /* the privileged helper (priv.c), -1 if none */
	struct MDB_env *store;   /* state DIR (store.c), NULL if none */
	struct rstore *rs;       /* lm { store redis } (rstore.c), NULL if none */
	struct authz *authz;     /* mr { authorize } (authz.c), NULL: every MN */
	unsigned store_dbi;
	pid_t priv_pid;
	struct {                 /* anycast.c */
		bool up;         /* the prefixes are announced */
		dmm_time_t next_probe;
		uint64_t changes;
	} anycast;
};

/* dmmd.c */
dmm_time_t dmmd_clock(void);
/* Remove path if it is a regular file holding pid (the pidfile, at exit). */
void dmmd_pidfile_unlink(const char *path, pid_t pid);
/* Route changes between begin and end go to the kernel in batches (dp.h);
 * nothing without a data plane. */
void dmmd_dp_batch(struct dmmd *d, bool begin);
/* dp stats if there is a data plane; false otherwise. */
bool dmmd_dp_stats(const struct dmmd *d, struct dp_stats *st);
/* The data plane's tunnel counters per peer (dp_peer_stats), 0 if none. */
int dmmd_dp_peers(struct dmmd *d, struct dp_peer_stats *v, unsigned max);
/* The data-plane driver in use and why, NULL without a data plane. */
const char *dmmd_dp_driver(const struct dmmd *d, const char **why);

/* anycast.c: announce mr { anycast } prefixes while the LM answers. */
void anycast_timer(struct dmmd *d);
dmm_time_t anycast_deadline(const struct dmmd *d);

/* sock.c */
int sock_open(struct dmmd *d);
void sock_close(struct dmmd *d);
void sock_recv(struct dmmd *d, int fd, enum dmmd_signalling via);
void sock_send(void *ctx, const struct in6_addr *dst, const uint8_t *buf, size_t len);
void sock_sendto(struct dmmd *d, int fd, const struct sockaddr_in6 *sa,
		 const uint8_t *buf, size_t len);
struct dmmd_peer *sock_peer(struct dmmd *d, const struct in6_addr *a, bool create);
bool sock_in_map(const struct dmmd *d, const struct in6_addr *a);

/* store.c: durable records (HAA leases) in LMDB, `state DIR` */
#define STORE_KEY_LEN 18
#define STORE_VAL_MAX (1 + 2 + 16 + 16 + 1 + 2 + 8 + DMM_MNID_MAX)
int64_t wall_ms(void); /* CLOCK_REALTIME in ms */
size_t store_encode(const struct dmmd *d, const struct dmm_record *r, uint8_t *k, uint8_t *v);
bool store_decode(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen,
		  int64_t now_wall, dmm_time_t now, struct dmm_record *r);
int store_open(struct dmmd *d);
void store_close(struct dmmd *d);
void store_put(void *ctx, const struct dmm_record *r); /* dmm_io.persist */
int store_restore(struct dmmd *d);

/* store.c's key of a record (STORE_KEY_LEN bytes). */
void key_of_record(const struct dmm_record *r, uint8_t *k);

/* rstore.c: the LM's bindings in a Redis server shared by LM front ends */
enum rstore_state { RSTORE_DOWN, RSTORE_CONNECTING, RSTORE_SYNCING, RSTORE_UP };
struct rstore_stats {
	uint64_t connects;        /* connection attempts */
	uint64_t writes;          /* writes the store acknowledged */
	uint64_t superseded;      /* of those, not applied: the store had a newer one */
	uint64_t not_written;     /* changes while not connected (updates are refused
				   * then; these are removals the LM made itself) */
	uint64_t unacked_dropped; /* writes in flight when the connection failed */
	uint64_t held;            /* replies held until their writes were acknowledged */
	uint64_t held_dropped;    /* held replies dropped (connection failed, or full) */
	uint64_t applied;         /* changes made through other front ends, applied */
	uint64_t wait_short;      /* WAITs that found too few replicas: replies dropped */
	uint64_t apply_errors, unreadable;
	uint64_t synced, swept, sync_ms; /* the last sync: read, removed here, how long */
	bool subscribed;
	unsigned addr_index;      /* the address in use (or tried next), of n_redis */
	char last_error[128];
	int64_t last_error_wall;  /* ms, 0: none */
};
const char *rstore_state_name(enum rstore_state s);
int rstore_open(struct dmmd *d);   /* after the node exists; 0 or -1 */
void rstore_close(struct dmmd *d);
void rstore_put(struct dmmd *d, const struct dmm_record *r);
int rstore_pollfds(struct dmmd *d, struct pollfd *fds, int max);
void rstore_dispatch(struct dmmd *d, const struct pollfd *fds, int n);
void rstore_timer(struct dmmd *d);
dmm_time_t rstore_deadline(const struct dmmd *d);
/* Writes issued so far; whether the replies to a message must wait for the
 * store (writes issued since issued_before, or a duplicate answered from
 * the reply cache, counter DUP_REQUEST past dups_before, while some are
 * still in flight). */
uint64_t rstore_issued(const struct dmmd *d);
bool rstore_must_hold(const struct dmmd *d, uint64_t issued_before, uint64_t dups_before);
void rstore_hold(struct dmmd *d, int fd, const struct sockaddr_in6 *to, const uint8_t *buf,
		 size_t len);
/* NULL without a Redis store. */
const struct rstore_stats *rstore_stats(const struct dmmd *d, enum rstore_state *state,
					uint64_t *inflight, unsigned *held);

/* authz.c: mr { authorize FILE } */
struct authz;
/* Read the list from fd (< 0: open path here) into a new list; NULL with
 * err filled ("path:line: why"). fd is closed. */
struct authz *authz_load(int fd, const char *path, char *err, size_t errlen);
void authz_free(struct authz *a);
size_t authz_count(const struct authz *a);
bool authz_check(void *ctx, const struct dmm_mnid *id); /* dmm_io.authorize */
/* dmm_io.mn_options: the listed MN's home network and fixed prefix */
bool authz_options(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o);
/* resolve the home networks, check the prefixes against the domain map */
int authz_validate(struct authz *a, const struct dmm_config *c, const char *path, char *err,
		   size_t errlen);
int authz_reload(struct dmmd *d);

/* peers.c: the peers of show peers and of the metrics */
/* Every peer: the domain map's nodes, then the other nodes we exchanged
 * signalling with, then the data plane's other tunnel end points; this
 * node excepted, each once. */
#define PEERS_MAX (DMM_MAX_NETS * (2 * DMM_MAX_NET_LMS + DMM_MAX_NET_MRS) + DMM_MAX_POOLS + \
		   DMMD_MAX_PEERS + DP_MAX_PEERS + 1)
struct dmmd_peer_row {
	struct in6_addr addr;
	const struct dmmd_peer *sig;     /* its signalling counters, NULL if none */
	const struct dp_peer_stats *tun; /* its tunnel's counters (in tun), NULL if none */
};
/* The peers into rows (at most max; PEERS_MAX is enough), given the data
 * plane's tunnel counters tun[n_tun] (dmmd_dp_peers); their number. */
unsigned peers_list(struct dmmd *d, const struct dp_peer_stats *tun, unsigned n_tun,
		    struct dmmd_peer_row *rows, unsigned max);
/* The roles of a in the domain map, at most max into r: lm:NET, haa:NET,
 * mr:NET (listed by NET's mr lines), and mr for the anchor MR of a pool
 * that no network lists. Their number (0: none). */
#define PEER_ROLE_LEN (DMM_NAME_MAX + 8)
#define PEER_ROLES_MAX (3 * DMM_MAX_NETS + 1)
unsigned peers_roles(const struct dmm_config *c, const struct in6_addr *a,
		     char r[][PEER_ROLE_LEN], unsigned max);

/* dpcounters.c: the data plane's counters of show counters and the metrics */
struct dmmd_dp_counter {
	const char *ctl;    /* dmmctl show counters: dp_FIELD */
	const char *metric; /* the metric family (counters: samples end _total) */
	const char *help;
	size_t off;         /* of its uint64_t in struct dp_stats */
	bool gauge;         /* a level (held bytes), not a count */
};
/* Every field of struct dp_stats, in dmmctl's order. */
extern const struct dmmd_dp_counter dmmd_dp_counters[];
extern const unsigned dmmd_n_dp_counters;
uint64_t dmmd_dp_counter(const struct dp_stats *s, const struct dmmd_dp_counter *c);

/* control.c */
int control_open(struct dmmd *d);
void control_close(struct dmmd *d);
/* The listener is readable: accept every client waiting (served at once
 * as far as they sent their request). */
void control_accept(struct dmmd *d);
/* The clients' pollfds (at most max; DMMD_CTL_CLIENTS is enough), serve
 * those ready, the earliest deadline (CLOCK_MONOTONIC ms, INT64_MAX for
 * none), and close those past it. */
int control_pollfds(struct dmmd *d, struct pollfd *fds, int max);
void control_dispatch(struct dmmd *d, const struct pollfd *fds, int n);
int64_t control_next_deadline(const struct dmmd *d);
void control_timer(struct dmmd *d);
/* Handle one request line (no newline); the answer ("ok\n" or "error: ...\n",
 * then the body) goes to out. Exposed for tests. */
void control_handle(struct dmmd *d, const char *line, struct buf *out);
/* Is a dmmctl monitor connected? */
bool control_has_monitors(const struct dmmd *d);
/* An event (the event log's JSON object, borrowed) for every monitor. */
void control_monitor_event(struct dmmd *d, json_t *ev);

/* evlog.c */
/* (Re)open conf.event_log; on failure the open one is kept. */
int evlog_open(struct dmmd *d);
/* path opened for appending, O_NOFOLLOW, a regular file: fd or -errno. */
int evlog_open_path(const char *path);
/* Write events to fd from now on (closing the previous log). */
int evlog_adopt(struct dmmd *d, int fd);
void evlog_close(struct dmmd *d);
void evlog_event(void *ctx, const struct dmm_event *ev);

/* priv.c */
/* Become conf.user with only the capabilities still needed
 * (priv_caps_needed), after forking the privileged helper. 0 or -1. */
int priv_drop(struct dmmd *d);
/* sandbox.c: the seccomp allow-list, installed last by priv_drop. */
int sandbox_seccomp(void);
uint64_t priv_caps_needed(const struct dmmd *d);
/* Through the helper: parse the configuration file (as parse_conf_file),
 * open the event log at path (fd or -errno), remove the control socket. */
int priv_reload(struct dmmd *d, struct dmmd_conf *nc, parse_err_fn *err, void *ctx);
int priv_open_evlog(struct dmmd *d, const char *path);
/* The mr { authorize } file of the last parsed configuration, read-only
 * (fd or -errno). */
int priv_open_authz(struct dmmd *d, const char *path);
void priv_unlink_control(struct dmmd *d);
/* Remove the pidfile written at start, if it still holds dmmd's pid. */
void priv_unlink_pidfile(struct dmmd *d);
void priv_close(struct dmmd *d);

#endif
