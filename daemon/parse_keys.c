/* dmmd: the key file ("ID HEX64 [node ADDRESS]" per line, '#' comments),
 * opened without following a link and refused if others can read it; and
 * the user dmmd runs as, whose key file it may be. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse_int.h"

/* ---------------------------------------------------------------- key file */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static void key_complain(parse_err_fn *err, void *ctx, const char *path, int line,
			 const char *msg)
{
	char out[DMMD_PATH_MAX + 200];

	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", path, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", path, msg);
	if (err)
		err(ctx, out);
}

/* One "ID HEX64 [node ADDRESS]" line; returns 0 or an error message. */
static const char *key_line(char *s, struct dmm_keyring *kr)
{
	uint8_t key[DMM_KEY_LEN];
	unsigned long long id;
	struct in6_addr node;
	bool bound = false;
	char *hex, *end;
	int rc;

	errno = 0;
	id = strtoull(s, &end, 10);
	if (end == s || !isspace((unsigned char)*end) || errno || id > UINT32_MAX)
		return "expected 'ID HEX' (a key id, then 64 hex digits)";
	for (hex = end; isspace((unsigned char)*hex); hex++)
		;
	for (end = hex; *end && !isspace((unsigned char)*end); end++)
		;
	if (end - hex != 2 * DMM_KEY_LEN)
		return "key must be exactly 64 hex digits (32 bytes)";
	for (unsigned i = 0; i < DMM_KEY_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "key has a character that is not a hex digit";
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	while (isspace((unsigned char)*end))
		end++;
	if (strncmp(end, "node", 4) == 0 && isspace((unsigned char)end[4])) {
		char *a = end + 4, *ae;
		while (isspace((unsigned char)*a))
			a++;
		for (ae = a; *ae && !isspace((unsigned char)*ae); ae++)
			;
		if (*ae)
			*ae++ = '\0';
		if (inet_pton(AF_INET6, a, &node) != 1)
			return "expected an IPv6 address after 'node'";
		bound = true;
		for (end = ae; isspace((unsigned char)*end); end++)
			;
	}
	if (*end)
		return "extra text after the key";
	rc = dmm_keyring_add(kr, (uint32_t)id, key);
	explicit_bzero(key, sizeof(key));
	if (rc == DMM_E_FULL)
		return "too many keys (at most 64)";
	if (rc != 0)
		return "key id given twice";
	if (bound)
		dmm_keyring_bind(kr, (uint32_t)id, &node);
	return NULL;
}

/* The key file, opened without following a symbolic link in its last
 * component: a link could point the daemon at any file root can read. */
static FILE *keys_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) != 0 || !(f = fdopen(fd, "r"))) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return f;
}

int cf_keys_read(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx,
		 uid_t *owner)
{
	struct stat st;
	char line[512];
	int errors = 0, lineno = 0;
	FILE *f = keys_open(path, &st);

	if (!f) {
		key_complain(err, ctx, path, 0, errno == ELOOP
			     ? "key file is a symbolic link; name the file itself"
			     : strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		key_complain(err, ctx, path, 0, S_ISREG(st.st_mode)
			     ? "key file is accessible by group or others; chmod 600 it"
			     : "key file is not a regular file");
		fclose(f);
		return 1;
	}
	*owner = st.st_uid;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash = strchr(line, '#');
		lineno++;
		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		const char *msg = key_line(s, kr);
		if (msg) {
			key_complain(err, ctx, path, lineno, msg);
			errors++;
		}
	}
	fclose(f);
	explicit_bzero(line, sizeof(line));
	if (errors == 0 && kr->n == 0) {
		key_complain(err, ctx, path, 0, "no key in the key file");
		errors++;
	} else if (errors == 0) {
		bool domain = false;
		for (unsigned i = 0; i < kr->n; i++)
			domain |= !kr->keys[i].bound;
		if (!domain) {
			key_complain(err, ctx, path, 0, "no domain key (a key without 'node'): "
				     "MRs seal what they send each other with it");
			errors++;
		}
	}
	return errors;
}

int parse_keys_file(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx)
{
	uid_t owner;

	return cf_keys_read(path, kr, err, ctx, &owner);
}

/* ---------------------------------------------------------------- users, sizes */

int parse_user_ids(const char *user, uid_t *uid, gid_t *gid, char *name, size_t len)
{
	static const char *const dflt[] = { DMMD_USER_DEFAULT, DMMD_USER_FALLBACK };
	const struct passwd *pw = NULL;

	if (user[0])
		pw = getpwnam(user);
	for (size_t i = 0; !user[0] && !pw && i < sizeof(dflt) / sizeof(dflt[0]); i++)
		pw = getpwnam(dflt[i]);
	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	snprintf(name, len, "%s", pw->pw_name);
	return 0;
}
