/* dmmd: the configuration grammar (dmmd.conf(5)). Text in, a struct dmmd_conf
 * or every error as "file:line: message" out. Depends only on libdmm, so the
 * unit tests link it alone. */
#ifndef DMMD_PARSE_H
#define DMMD_PARSE_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

#define DMMD_PATH_MAX 256
#define DMMD_REDIS_NS_MAX 32 /* lm { store redis ... namespace NAME }, NUL included */
#define DMMD_REDIS_MAX 4     /* lm { store redis ADDR:PORT... }: a primary and its replicas */
#define DMMD_IFNAME_MAX 16 /* IFNAMSIZ */
#define DMMD_MAX_ACCESS 16 /* access link patterns (dp.h DP_MAX_ACCESS) */
#define DMMD_UDP_PORT 5436 /* RFC 5844 */
#define DMMD_CONTROL_DEFAULT "/var/run/dmmd.sock"
#define DMMD_USER_MAX 64
/* The unprivileged users dmmd drops to without 'user': the first that
 * exists. */
#define DMMD_USER_DEFAULT "_dmmd"
#define DMMD_USER_FALLBACK "nobody"
#define DMMD_HOLD_MEMORY_DEFAULT (64ull << 20) /* dataplane { hold-memory } */
#define DMMD_MAX_ANYCAST 8 /* mr { anycast } prefixes (dp.h DP_MAX_ANNOUNCE) */

/* Transports of signalling; "both" listens on both and answers a peer over
 * the transport it last used to reach us (raw until it has). */
enum dmmd_signalling {
	DMMD_SIG_RAW = 1,
	DMMD_SIG_UDP = 2,
	DMMD_SIG_BOTH = 3,
};

/* How an MR learns that an MN arrived on an access link (mr { attach-on }). */
enum dmmd_attach_on {
	DMMD_ATTACH_FIRST_FRAME = 0, /* its first frame on the link, or an RS */
	DMMD_ATTACH_RS = 1,          /* its Router Solicitation only */
};

/* Data-plane driver (`dataplane auto|seg6|bpf|tun`); the same numbers as
 * dataplane/dp.h enum dp_driver_kind. */
enum dmmd_dataplane {
	DMMD_DP_AUTO = 0,
	DMMD_DP_SEG6 = 1,
	DMMD_DP_BPF = 2,
	DMMD_DP_TUN = 3,
};
extern const char *const dmmd_dataplane_names[4];

/* Everything a dmmd.conf says: the core's config plus the daemon's own. */
struct dmmd_conf {
	struct dmm_config core;
	char key_file[DMMD_PATH_MAX]; /* absolute once parsed */
	char control[DMMD_PATH_MAX];
	char event_log[DMMD_PATH_MAX]; /* "" = none */
	char pidfile[DMMD_PATH_MAX];   /* "" = none; absolute once parsed */
	/* The user dmmd runs as once its sockets are open ("" = the default:
	 * _dmmd, else nobody; "root" keeps root). */
	char user[DMMD_USER_MAX];
	/* state DIR [sync]: HAA leases kept in an LMDB environment there ("" =
	 * none, they are lost at exit); sync: fsync each change (survives a
	 * power loss, not only a crash of dmmd). */
	char state_dir[DMMD_PATH_MAX];
	/* mr { authorize FILE }: the MN ids that may attach ("" = every MN);
	 * absolute once parsed, read by authz.c at start and on SIGHUP */
	char authorize[DMMD_PATH_MAX];
	bool state_sync;
	enum dmmd_signalling signalling;
	uint16_t udp_port;
	/* data plane (MR only) */
	enum dmmd_dataplane dataplane;
	uint32_t dp_table;
	uint32_t dp_rule_pref;
	uint8_t dp_protocol;
	char dp_tun[DMMD_IFNAME_MAX];
	uint32_t dp_hold_limit;      /* packets held per prefix */
	uint64_t dp_hold_memory;     /* bytes held in all hold queues together */
	unsigned n_access;           /* access link name patterns (fnmatch) */
	char access[DMMD_MAX_ACCESS][DMMD_IFNAME_MAX];
	enum dmmd_attach_on attach_on;
	/* The router's link-local address on every access link (mr {
	 * router-link-local }, default fe80::1): added by the data plane,
	 * the source of every RA, the same on every MR (RFC 5213 6.8). */
	struct in6_addr router_ll;
	/* mr { anycast PREFIX }: prefixes this gateway MR announces through
	 * the kernel (a route of dp_protocol, see daemon/anycast.c) while its
	 * local LM answers: a probe every anycast_probe_ms, healthy while the
	 * last answer is at most anycast_dead_ms old. */
	unsigned n_anycast;
	struct dmm_prefix anycast[DMMD_MAX_ANYCAST];
	uint32_t anycast_probe_ms, anycast_dead_ms;
	/* metrics [ADDR]:PORT | ADDR4:PORT | off: where dmmd serves its
	 * Prometheus metrics over HTTP (metrics.c). family 0 = off (the
	 * default); an IPv4 address is kept IPv4-mapped in metrics_addr. */
	int metrics_family;
	struct in6_addr metrics_addr;
	uint16_t metrics_port;
	/* lm { store redis ADDR:PORT... [namespace NAME] [replicas N] [timeout D] }:
	 * the LM's bindings live in a Redis server shared with other LM front
	 * ends (rstore.c), the primary among n_redis addresses (a replica
	 * promoted takes over). n_redis 0 = the embedded store (the default). */
	unsigned n_redis;
	int redis_family[DMMD_REDIS_MAX];
	struct in6_addr redis_addr[DMMD_REDIS_MAX]; /* IPv4 kept IPv4-mapped */
	uint16_t redis_port[DMMD_REDIS_MAX];
	char redis_ns[DMMD_REDIS_NS_MAX]; /* key prefix and channel name */
	uint32_t redis_replicas;      /* WAIT for this many replicas per write */
	uint32_t redis_timeout_ms;    /* a write not answered by then: reconnect */
};
/* "store redis"'s i-th address as written back ("[ADDR6]:PORT" or "ADDR4:PORT"). */
const char *parse_redis_str(const struct dmmd_conf *c, unsigned i, char *buf, size_t len);
/* "metrics" as written back by parse_conf_print ("off" if none). */
const char *parse_metrics_str(const struct dmmd_conf *c, char *buf, size_t len);

/* Called once per error with "file:line: message" (no newline). */
typedef void parse_err_fn(void *ctx, const char *msg);

/* Defaults of every field: dmm_config_defaults() plus the daemon's. */
void parse_conf_defaults(struct dmmd_conf *c);

/* Parse the file at path into c (defaults first), read the key file it
 * names, then run dmm_config_check(). Every error goes to err; returns the
 * number of errors (0: c is valid and complete). */
int parse_conf_file(const char *path, struct dmmd_conf *c, parse_err_fn *err, void *ctx);

/* Same on text in memory. name is used in messages; relative paths in the
 * text (the key file) are taken relative to basedir (NULL: the current
 * directory). */
int parse_conf_text(const char *name, const char *text, const char *basedir,
		    struct dmmd_conf *c, parse_err_fn *err, void *ctx);

/* Read a key file: one "ID HEX64" per line, '#' comments. Refused if it is
 * readable or writable by group or others, if it is not a regular file or
 * if its last component is a symbolic link (opened with O_NOFOLLOW). Errors
 * go to err as "path:line: message"; returns their number. (Its owner is
 * checked by parse_conf_*: root, the user running the parse, or the user
 * the daemon drops to.) */
int parse_keys_file(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx);

/* The user dmmd drops to for user (a 'user' value; "" = the default, the
 * first of _dmmd and nobody that exists): its uid and gid, and its name in
 * name (cap len). 0, or -1 if there is no such user. */
int parse_user_ids(const char *user, uid_t *uid, gid_t *gid, char *name, size_t len);

/* Sizes: "65536", "512K", "64M", "1G" (binary units) -> bytes. 0 or -1.
 * Shortest exact spelling back. */
int parse_size(const char *s, uint64_t *bytes);
const char *parse_size_str(uint64_t bytes, char *buf, size_t len);

/* Print c in normalized form: every setting, fixed order. The output parses
 * back to the same struct. */
void parse_conf_print(FILE *f, const struct dmmd_conf *c);

/* Durations: "250ms", "2s", "10m", "1h" -> ms. 0 or -1. Shortest exact
 * spelling back. */
int parse_duration(const char *s, uint64_t *ms);
const char *parse_duration_str(uint64_t ms, char *buf, size_t len);

#endif
