/* dmmd: which MNs may attach (draft 4.1, `mr { authorize FILE }`).
 *
 * FILE holds one MN id per line (dmm_mnid_parse: EUI-48 02:00:5e:10:00:01,
 * EUI-64, or an NAI), '#' starts a comment. It is read at start (an error
 * stops dmmd) and again on SIGHUP (an error keeps the running list), by the
 * privileged helper once dmmd runs unprivileged (priv.c: only the file the
 * configuration names, opened read-only), as the configuration is.
 * The core asks authz_check at each attach of an MN new to this MR; an MN
 * the list does not name gets no state, no RA and no prefix (counted
 * attach_denied). MNs already attached keep their service until they next
 * attach: a removed id takes effect then. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmmd.h"
#include "log.h"

#define AUTHZ_MAX_IDS (1u << 24) /* a file larger than that is refused */

struct authz {
	size_t n;
	struct dmm_mnid *ids; /* sorted by mnid_cmp, no duplicates */
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
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line + strspn(line, " \t\r\n");
		if (*p == '\0')
			continue;
		e = p + strcspn(p, " \t\r\n");
		if (e[strspn(e, " \t\r\n")] != '\0') {
			snprintf(err, errlen, "%s:%zu: one MN id per line, then nothing "
				 "(a comment starts with #)", path, lineno);
			goto fail;
		}
		*e = '\0';
		if (a->n == cap) {
			struct dmm_mnid *n;
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
		if (dmm_mnid_parse(p, &a->ids[a->n]) != 0) {
			snprintf(err, errlen, "%s:%zu: '%.64s' is not an MN id", path, lineno, p);
			goto fail;
		}
		a->n++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	free(line);
	if (a->n > 1)
		qsort(a->ids, a->n, sizeof(*a->ids), mnid_cmp);
	for (k = 0; k + 1 < a->n;) /* duplicates are harmless: drop them */
		if (mnid_cmp(&a->ids[k], &a->ids[k + 1]) == 0)
			memmove(&a->ids[k + 1], &a->ids[k + 2],
				(a->n-- - k - 2) * sizeof(*a->ids));
		else
			k++;
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
	       bsearch(id, d->authz->ids, d->authz->n, sizeof(*id), mnid_cmp) != NULL;
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
	if ((a = authz_load(fd, d->conf.authorize, err, sizeof(err))) == NULL) {
		log_warnx("authorize: %s%s", err,
			  d->authz ? "; keeping the running list" : "");
		return -1;
	}
	authz_free(d->authz);
	d->authz = a;
	log_info("authorize: %zu MN ids from %s", a->n, d->conf.authorize);
	return 0;
}
