/* dmmd: which MNs may attach (draft 4.1, `mr { authorize FILE }`).
 *
 * FILE holds one MN id per line (dmm_mnid_parse: EUI-48 02:00:5e:10:00:01,
 * EUI-64, or an NAI), '#' starts a comment. After the id, optionally and in
 * any order: `home NETWORK` (a network of the domain map: the MN's prefix
 * comes from that network's HAA) and `prefix PREFIX` (the MN's fixed
 * prefix, inside a network of the map, inside NETWORK if both are given:
 * every MR installs it for the MN, no HAA involved). It is read at start (an error
 * stops dmmd) and again on SIGHUP (an error keeps the running list), by the
 * privileged helper once dmmd runs unprivileged (priv.c: only the file the
 * configuration names, opened read-only), as the configuration is.
 * The core asks authz_check at each attach of an MN new to this MR; an MN
 * the list does not name gets no state, no RA and no prefix (counted
 * attach_denied). MNs already attached keep their service until they next
 * attach: a removed id takes effect then. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmmd.h"
#include "log.h"

#define AUTHZ_MAX_IDS (1u << 24) /* a file larger than that is refused */

struct authz_entry {
	struct dmm_mnid id;       /* first: bsearch compares ids */
	char home[DMM_NAME_MAX];  /* "" none */
	int home_net;             /* its index in the domain map (authz_validate) */
	bool has_prefix;
	struct dmm_prefix prefix;
};

struct authz {
	size_t n;
	struct authz_entry *ids; /* sorted by mnid_cmp, no duplicates */
};

static int mnid_cmp(const void *a, const void *b)
{
	const struct dmm_mnid *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->id, y->id, x->len);
}

static bool same_options(const struct authz_entry *x, const struct authz_entry *y)
{
	return strcmp(x->home, y->home) == 0 && x->has_prefix == y->has_prefix &&
	       (!x->has_prefix || dmm_prefix_eq(&x->prefix, &y->prefix));
}

/* What follows the MN id: `home NETWORK`, `prefix PREFIX`, each once. */
static int parse_options(char *s, struct authz_entry *en, const char *path, size_t lineno,
			 char *err, size_t errlen)
{
	while (*s != '\0') {
		char *kw = s, *val, *end;
		s += strcspn(s, " \t\r\n");
		if (*s != '\0')
			*s++ = '\0';
		val = s + strspn(s, " \t\r\n");
		end = val + strcspn(val, " \t\r\n");
		s = end + strspn(end, " \t\r\n");
		if (*end != '\0')
			*end = '\0';
		if (strcmp(kw, "home") != 0 && strcmp(kw, "prefix") != 0) {
			snprintf(err, errlen, "%s:%zu: '%.32s': expected home NETWORK or prefix "
				 "PREFIX after the MN id (a comment starts with #)", path, lineno, kw);
			return -1;
		}
		if (*val == '\0') {
			snprintf(err, errlen, "%s:%zu: %s needs a value", path, lineno, kw);
			return -1;
		}
		if ((kw[0] == 'h' && en->home[0]) || (kw[0] == 'p' && en->has_prefix)) {
			snprintf(err, errlen, "%s:%zu: %s given twice", path, lineno, kw);
			return -1;
		}
		if (kw[0] == 'h') {
			if (strlen(val) >= sizeof(en->home)) {
				snprintf(err, errlen, "%s:%zu: home: network name too long", path,
					 lineno);
				return -1;
			}
			snprintf(en->home, sizeof(en->home), "%s", val);
			continue;
		}
		if (dmm_prefix_parse(val, &en->prefix) != 0) {
			snprintf(err, errlen, "%s:%zu: prefix: '%.64s' is not a prefix", path,
				 lineno, val);
			return -1;
		}
		/* dmm_prefix_parse masks: compare with the address as written */
		char as[INET6_ADDRSTRLEN + 1];
		struct in6_addr written;
		size_t al = strcspn(val, "/");
		snprintf(as, sizeof(as), "%.*s", (int)(al < sizeof(as) - 1 ? al : sizeof(as) - 1),
			 val);
		if (inet_pton(AF_INET6, as, &written) != 1 ||
		    memcmp(&written, &en->prefix.addr, sizeof(written)) != 0 ||
		    en->prefix.len == 0) {
			snprintf(err, errlen, "%s:%zu: prefix %.64s: host bits set, or ::/0", path,
				 lineno, val);
			return -1;
		}
		en->has_prefix = true;
	}
	return 0;
}

/* The options against the domain map: a home network it has, a prefix
 * inside one of its networks (inside the home network, if given). 0, or
 * -1 with err set. */
int authz_validate(struct authz *a, const struct dmm_config *c, const char *path, char *err,
		   size_t errlen)
{
	char id[DMM_MNID_STRLEN], ps[DMM_PREFIX_STRLEN];

	for (size_t i = 0; a != NULL && i < a->n; i++) {
		struct authz_entry *en = &a->ids[i];
		int net = -1;
		en->home_net = -1;
		for (unsigned k = 0; en->home[0] && k < c->n_nets && net < 0; k++)
			if (strcmp(c->nets[k].name, en->home) == 0)
				net = (int)k;
		if (en->home[0] && net < 0) {
			snprintf(err, errlen, "%s: %s: home %s is no network of the domain map",
				 path, dmm_mnid_str(&en->id, id, sizeof(id)), en->home);
			return -1;
		}
		en->home_net = net;
		if (!en->has_prefix)
			continue;
		int in = dmm_config_net_of(c, &en->prefix.addr);
		if (in < 0 || (net >= 0 && in != net)) {
			snprintf(err, errlen, "%s: %s: prefix %s is %s", path,
				 dmm_mnid_str(&en->id, id, sizeof(id)),
				 dmm_prefix_str(&en->prefix, ps, sizeof(ps)),
				 in < 0 ? "in no network of the domain map" :
					  "outside its home network");
			return -1;
		}
	}
	return 0;
}

/* dmm_io.mn_options: the listed MN's home network and fixed prefix. */
bool authz_options(void *ctx, const struct dmm_mnid *id, struct dmm_mn_options *o)
{
	const struct dmmd *d = ctx;
	const struct authz_entry *en;

	if (d->authz == NULL || d->authz->n == 0 ||
	    (en = bsearch(id, d->authz->ids, d->authz->n, sizeof(*en), mnid_cmp)) == NULL)
		return false;
	o->home_net = en->home_net;
	o->has_prefix = en->has_prefix;
	o->prefix = en->prefix;
	return en->home_net >= 0 || en->has_prefix;
}

void authz_free(struct authz *a)
{
	if (a) {
		free(a->ids);
		free(a);
	}
}

struct authz *authz_load(int fd, const char *path, char *err, size_t errlen)
{
	struct authz *a = calloc(1, sizeof(*a));
	size_t cap = 0, lineno = 0, k;
	char *line = NULL, *p, *e;
	size_t linecap = 0;
	FILE *f = NULL;

	if (!a) {
		snprintf(err, errlen, "%s: out of memory", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((fd < 0 && (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) ||
	    (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	while (getline(&line, &linecap, f) >= 0) {
		char *opt;
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line + strspn(line, " \t\r\n");
		if (*p == '\0')
			continue;
		e = p + strcspn(p, " \t\r\n");
		opt = e + strspn(e, " \t\r\n");
		*e = '\0';
		if (a->n == cap) {
			struct authz_entry *n;
			if (cap >= AUTHZ_MAX_IDS) {
				snprintf(err, errlen, "%s: more than %u MN ids", path,
					 AUTHZ_MAX_IDS);
				goto fail;
			}
			cap = cap ? cap * 2 : 64;
			if ((n = realloc(a->ids, cap * sizeof(*n))) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			a->ids = n;
		}
		memset(&a->ids[a->n], 0, sizeof(a->ids[a->n]));
		a->ids[a->n].home_net = -1;
		if (dmm_mnid_parse(p, &a->ids[a->n].id) != 0) {
			snprintf(err, errlen, "%s:%zu: '%.64s' is not an MN id", path, lineno, p);
			goto fail;
		}
		if (parse_options(opt, &a->ids[a->n], path, lineno, err, errlen) < 0)
			goto fail;
		a->n++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	f = NULL;
	free(line);
	line = NULL;
	if (a->n > 1)
		qsort(a->ids, a->n, sizeof(*a->ids), mnid_cmp);
	for (k = 0; k + 1 < a->n;) { /* duplicates are harmless: drop them */
		if (mnid_cmp(&a->ids[k], &a->ids[k + 1]) != 0) {
			k++;
			continue;
		}
		if (!same_options(&a->ids[k], &a->ids[k + 1])) {
			char id[DMM_MNID_STRLEN];
			snprintf(err, errlen, "%s: %s listed twice with different options", path,
				 dmm_mnid_str(&a->ids[k].id, id, sizeof(id)));
			goto fail;
		}
		memmove(&a->ids[k + 1], &a->ids[k + 2], (a->n-- - k - 2) * sizeof(*a->ids));
	}
	return a;
fail:
	if (f)
		fclose(f);
	free(line);
	authz_free(a);
	return NULL;
}

size_t authz_count(const struct authz *a)
{
	return a ? a->n : 0;
}

/* dmm_io.authorize: every MN while no list is configured. */
bool authz_check(void *ctx, const struct dmm_mnid *id)
{
	const struct dmmd *d = ctx;

	if (d->authz == NULL)
		return true;
	return d->authz->n > 0 &&
	       bsearch(id, d->authz->ids, d->authz->n, sizeof(*d->authz->ids), mnid_cmp) != NULL;
}

/* (Re)read the configured file: 0, or -1 with the running list kept and
 * the reason logged. No file configured: every MN may attach. */
int authz_reload(struct dmmd *d)
{
	char err[512];
	struct authz *a;
	int fd = -1;

	if (d->conf.authorize[0] == '\0') {
		authz_free(d->authz);
		d->authz = NULL;
		return 0;
	}
	if (d->priv_fd >= 0 && (fd = priv_open_authz(d, d->conf.authorize)) < 0) {
		log_warnx("authorize: %s: %s%s", d->conf.authorize, strerror(-fd),
			  d->authz ? "; keeping the running list" : "");
		return -1;
	}
	if ((a = authz_load(fd, d->conf.authorize, err, sizeof(err))) == NULL ||
	    authz_validate(a, &d->conf.core, d->conf.authorize, err, sizeof(err)) < 0) {
		log_warnx("authorize: %s%s", err,
			  d->authz ? "; keeping the running list" : "");
		authz_free(a);
		return -1;
	}
	authz_free(d->authz);
	d->authz = a;
	log_info("authorize: %zu MN ids from %s", a->n, d->conf.authorize);
	return 0;
}
