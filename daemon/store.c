/* dmmd: the node's durable state in an LMDB environment (`state DIR`).
 *
 * The core reports each change of a durable record (an HAA lease, an LM
 * binding) through
 * dmm_io.persist before it sends the reply that depends on it; store_put
 * commits it to LMDB before returning, so a lease an MR was told about is
 * on disk (in the page cache, or on the medium with `sync`) before the MR
 * hears of it. At start, store_restore feeds every record back to the new
 * node. Expiry times are kept as wall-clock milliseconds: the node's clock
 * is monotonic and restarts with the machine.
 *
 * Layout, one database "records":
 *   key   kind(1) prefix address(16) prefix length(1), and for a
 *         subscription (kind 3) the subscriber's address(16): its records
 *         sort after the bindings they belong to
 *   value version(1)=1 mnid type(1) mnid length(1) mnid(length) peer(16)
 *         home(16) flags(1: 1 = fixed) seq(2) expiry, wall-clock ms(8),
 *         integers little endian
 * Records of another version or shape are skipped and counted. A binding's
 * key and value are also its record in lm { store redis } (rstore.c); with
 * that store, bindings go there and subscriptions are not kept (each
 * front end's own, lost with it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <lmdb.h>

#include "dmmd.h"
#include "log.h"

#define STORE_MAPSIZE ((size_t)1 << 30) /* address space only: the file grows with use */
#define STORE_KEY_SUB_LEN (STORE_KEY_LEN + 16)
#define STORE_VAL_MIN (1 + 2 + 16 + 16 + 1 + 2 + 8)
#define STORE_VERSION 1
_Static_assert(STORE_VAL_MAX == STORE_VAL_MIN + DMM_MNID_MAX, "STORE_VAL_MAX");

int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key of r; its length. */
static size_t key_of(uint8_t k[STORE_KEY_SUB_LEN], const struct dmm_record *r)
{
	k[0] = (uint8_t)r->kind;
	memcpy(k + 1, &r->prefix.addr, 16);
	k[17] = r->prefix.len;
	if (r->kind != DMM_REC_SUBSCRIPTION)
		return STORE_KEY_LEN;
	memcpy(k + STORE_KEY_LEN, &r->peer, 16);
	return STORE_KEY_SUB_LEN;
}

/* A binding's key (STORE_KEY_LEN bytes): kind, prefix, length. */
void key_of_record(const struct dmm_record *r, uint8_t *k)
{
	k[0] = (uint8_t)r->kind;
	memcpy(k + 1, &r->prefix.addr, 16);
	k[17] = r->prefix.len;
}

/* A record's value (v holds STORE_VAL_MAX bytes); its length. */
static size_t value_of(const struct dmmd *d, const struct dmm_record *r, uint8_t *v)
{
	int64_t exp = (int64_t)r->expires - (int64_t)d->now + wall_ms();
	size_t o = 0;

	v[o++] = STORE_VERSION;
	v[o++] = r->mnid.type;
	v[o++] = r->mnid.len;
	memcpy(v + o, r->mnid.id, r->mnid.len);
	o += r->mnid.len;
	memcpy(v + o, &r->peer, 16);
	o += 16;
	memcpy(v + o, &r->home, 16);
	o += 16;
	v[o++] = r->fixed ? 1 : 0;
	v[o++] = (uint8_t)r->seq;
	v[o++] = (uint8_t)(r->seq >> 8);
	for (unsigned i = 0; i < 8; i++)
		v[o++] = (uint8_t)((uint64_t)exp >> (8 * i));
	return o;
}

size_t store_encode(const struct dmmd *d, const struct dmm_record *r, uint8_t *k, uint8_t *v)
{
	key_of_record(r, k);
	return value_of(d, r, v);
}

/* mkdir -p: parents 0755, the directory itself 0700. */
static int mkdirs(const char *dir)
{
	char p[DMMD_PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Open (creating) the environment; 0, or -1 with the reason logged. Runs
 * before the privilege drop: the directory is created mode 0700 (its
 * missing parents 0755). */
int store_open(struct dmmd *d)
{
	const char *dir = d->conf.state_dir;
	unsigned flags = MDB_NOTLS | (d->conf.state_sync ? 0 : MDB_NOSYNC);
	MDB_txn *txn;
	int rc;

	if (dir[0] == '\0')
		return 0;
	if (mkdirs(dir) < 0) {
		log_warn("state %s: cannot create the directory", dir);
		return -1;
	}
	if ((rc = mdb_env_create(&d->store)) != 0 ||
	    (rc = mdb_env_set_mapsize(d->store, STORE_MAPSIZE)) != 0 ||
	    (rc = mdb_env_open(d->store, dir, flags, 0600)) != 0) {
		log_warnx("state %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_begin(d->store, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &d->store_dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		log_warnx("state %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	return 0;
fail:
	if (d->store)
		mdb_env_close(d->store);
	d->store = NULL;
	return -1;
}

void store_close(struct dmmd *d)
{
	if (d->store == NULL)
		return;
	mdb_env_sync(d->store, 1);
	mdb_env_close(d->store);
	d->store = NULL;
}

/* dmm_io.persist. A failure is counted and logged (rate-limited): the
 * lease still holds in memory, only a restart would lose it. With lm {
 * store redis }, a binding goes to the shared store (rstore.c) and a
 * subscription is not kept. */
void store_put(void *ctx, const struct dmm_record *r)
{
	struct dmmd *d = ctx;
	uint8_t k[STORE_KEY_SUB_LEN], v[STORE_VAL_MAX];
	MDB_val key = { .mv_data = k }, val = { .mv_data = v };
	MDB_txn *txn;
	int rc;

	if (d->rs != NULL && r->kind == DMM_REC_BINDING) {
		rstore_put(d, r);
		return;
	}
	if (d->store == NULL || (d->rs != NULL && r->kind == DMM_REC_SUBSCRIPTION))
		return;
	key.mv_size = key_of(k, r);
	if ((rc = mdb_txn_begin(d->store, NULL, 0, &txn)) != 0)
		goto fail;
	if (r->del) {
		rc = mdb_del(txn, d->store_dbi, &key, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	} else {
		val.mv_size = value_of(d, r, v);
		rc = mdb_put(txn, d->store_dbi, &key, &val, 0);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	d->st.store_writes++;
	return;
fail:
	d->st.store_errors++;
	log_ratelimited(LOG_WARNING, "state %s: cannot write a record: %s",
			d->conf.state_dir, mdb_strerror(rc));
}

bool store_decode(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen,
		  int64_t now_wall, dmm_time_t now, struct dmm_record *r)
{
	size_t o = 3;
	int64_t exp = 0;

	if (klen < 1 || klen != (k[0] == DMM_REC_SUBSCRIPTION ? STORE_KEY_SUB_LEN : STORE_KEY_LEN) ||
	    vlen < STORE_VAL_MIN ||
	    v[0] != STORE_VERSION || v[2] > DMM_MNID_MAX || vlen != (size_t)STORE_VAL_MIN + v[2])
		return false;
	*r = (struct dmm_record){ .kind = (enum dmm_rec_kind)k[0] };
	memcpy(&r->prefix.addr, k + 1, 16);
	r->prefix.len = k[17];
	r->mnid.type = v[1];
	r->mnid.len = v[2];
	memcpy(r->mnid.id, v + o, v[2]);
	o += v[2];
	memcpy(&r->peer, v + o, 16);
	o += 16;
	memcpy(&r->home, v + o, 16);
	o += 16;
	r->fixed = v[o++] & 1;
	r->seq = (uint16_t)(v[o] | v[o + 1] << 8);
	o += 2;
	for (unsigned i = 0; i < 8; i++)
		exp |= (int64_t)((uint64_t)v[o + i] << (8 * i));
	r->expires = exp <= now_wall ? now : now + (dmm_time_t)(exp - now_wall);
	return r->prefix.len <= 128;
}

/* Feed every stored record to the node; logs what was restored. Records
 * the node refuses (expired, no longer in a pool, a kind this node's roles
 * do not keep) are deleted, so the store holds what the node holds. */
int store_restore(struct dmmd *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	MDB_stat ms;
	struct dmm_record r;
	unsigned ok = 0, dropped = 0, bad = 0;
	int64_t now_wall = wall_ms();
	struct timespec t0, t1, c0, c1;
	int rc;

	if (d->store == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if ((rc = mdb_txn_begin(d->store, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, d->store_dbi, &cur)) != 0) {
		log_warnx("state %s: %s", d->conf.state_dir, mdb_strerror(rc));
		if (rc != 0 && txn)
			mdb_txn_abort(txn);
		return -1;
	}
	if (mdb_stat(txn, d->store_dbi, &ms) == 0 && ms.ms_entries > 0)
		dmm_node_restore_hint(d->node, ms.ms_entries > UINT32_MAX ? UINT32_MAX :
					       (uint32_t)ms.ms_entries);
	while ((rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) == 0) {
		if (!store_decode(key.mv_data, key.mv_size, val.mv_data, val.mv_size, now_wall,
				  d->now, &r)) {
			bad++;
			mdb_cursor_del(cur, 0);
			continue;
		}
		/* a subscription lives as long as its binding (restored first);
		 * with lm { store redis } neither is kept here */
		if ((r.expires > d->now || r.kind == DMM_REC_SUBSCRIPTION) &&
		    (d->conf.n_redis == 0 || r.kind == DMM_REC_LEASE) &&
		    dmm_node_restore(d->node, &r, d->now) == 0) {
			ok++;
			continue;
		}
		dropped++;
		mdb_cursor_del(cur, 0);
	}
	mdb_cursor_close(cur);
	dmm_node_restore_done(d->node);
	if ((rc = mdb_txn_commit(txn)) != 0) {
		log_warnx("state %s: %s", d->conf.state_dir, mdb_strerror(rc));
		return -1;
	}
	d->st.store_restored = ok;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	log_info("state %s: %u records restored, %u expired or refused, %u unreadable, "
		 "in %lld ms (%lld ms of CPU)", d->conf.state_dir, ok, dropped, bad,
		 (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		 (long long)((c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000));
	return 0;
}
