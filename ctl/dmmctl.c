/* dmmctl: ask a running dmmd over its control socket. A table of commands;
 * each word may be abbreviated to any unique prefix (iproute2-style), the
 * arguments are checked, one request line is sent. The daemon renders text
 * or JSON; this program prints the body and turns the status line into
 * the exit code (under -j, an error is {"error": "..."} on stdout).
 * `monitor` keeps the connection and copies the daemon's event lines. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "../daemon/parse.h" /* DMMD_CONTROL_DEFAULT */

#ifndef DMM_VERSION
#define DMM_VERSION "unknown" /* the Makefile passes VERSION */
#endif

#define REQ_MAX 1024
/* dmmd answers within its own 2 s budget: longer means it is stuck, and a
 * script calling dmmctl must not hang with it. */
#ifndef DMMCTL_TIMEOUT_S
#define DMMCTL_TIMEOUT_S 10
#endif
/* -n NODE: the control socket /run/dmmd/NODE.sock, as the dmmd@NODE unit,
 * etc/dmmd.conf and the examples name it (DMMCTL_RUNDIR overrides). */
#define DMMCTL_RUNDIR "/run/dmmd"

enum { EXIT_USAGE = 2 };

/* One command: up to two keywords, then its arguments. */
struct cmd {
	const char *w1, *w2;      /* w2 NULL: a one-word command */
	int min_args, max_args;
	const char *args;         /* for the usage line */
	const char *help;
};

static const struct cmd cmds[] = {
	{ "show", "mns", 0, 1, "[MNID]", "MR: the mobile nodes attached here" },
	{ "show", "cache", 0, 1, "[PREFIX]", "MR: the location cache" },
	{ "show", "handovers", 0, 1, "[MNID]", "MR: handover contexts of MNs that left" },
	{ "show", "bindings", 0, 1, "[MNID|PREFIX]", "LM: prefix to serving and anchor MR" },
	{ "show", "leases", 0, 1, "[MNID|PREFIX]", "HAA: the prefixes leased" },
	{ "show", "counters", 0, 0, "", "every counter, and when they were last cleared" },
	{ "show", "peers", 0, 1, "[ADDRESS]", "the domain map's nodes and any node heard from" },
	{ "show", "config", 0, 0, "", "the configuration in use" },
	{ "show", "store", 0, 0, "", "LM: the binding store (embedded, or redis and its connection)" },
	{ "attach", NULL, 2, 2, "LINK MNID", "MR: act as if MNID appeared on LINK (tests)" },
	{ "detach", NULL, 1, 1, "LINK", "MR: act as if the MN on LINK left (tests)" },
	{ "clear", "counters", 0, 0, "", "start every counter of show counters from 0" },
	{ "monitor", NULL, 0, 0, "", "stream attach and handover events until interrupted" },
	{ "version", NULL, 0, 0, "", "the versions of dmmctl and of the dmmd asked" },
	{ "help", NULL, 0, 0, "", "this list" },
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static bool json;

/* An error: text on stderr, or {"error": "..."} on stdout under -j. */
__attribute__((format(printf, 1, 2)))
static void err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		fprintf(stderr, "dmmctl: %s\n", msg);
		return;
	}
	json_t *j = json_pack("{s:s%}", "error", msg, strlen(msg));
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		printf("%s\n", s);
	else /* a message that is no UTF-8: say so without it */
		printf("{\"error\":\"(message not printable)\"}\n");
	free(s);
	json_decref(j);
}

/* j on stdout as one line; takes j. */
static int print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s) {
		fprintf(stderr, "dmmctl: out of memory\n");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

static void cmd_name(const struct cmd *c, char *s, size_t len)
{
	snprintf(s, len, "%s%s%s", c->w1, c->w2 ? " " : "", c->w2 ? c->w2 : "");
}

static void usage_to(FILE *f)
{
	char name[64];

	fprintf(f, "usage: dmmctl [-j] [-s SOCKET | -n NODE] COMMAND [ARGUMENTS]\n"
		   "       dmmctl -h | --help | help\n"
		   "       dmmctl -V | --version\n"
		   "commands (each word may be shortened to a unique prefix):\n");
	for (size_t i = 0; i < N_CMDS; i++) {
		char line[128];
		cmd_name(&cmds[i], name, sizeof(name));
		snprintf(line, sizeof(line), "%s%s%s", name, *cmds[i].args ? " " : "", cmds[i].args);
		fprintf(f, "  %-30s %s\n", line, cmds[i].help);
	}
	fprintf(f, "options:\n"
		   "  -j, --json         JSON output (docs/dmmctl.schema.json)\n"
		   "  -s, --socket PATH  the control socket (default %s)\n"
		   "  -n, --node NODE    the socket of node NODE: %s/NODE.sock\n"
		   "                     ($DMMCTL_RUNDIR instead of %s if set)\n",
		DMMD_CONTROL_DEFAULT, DMMCTL_RUNDIR, DMMCTL_RUNDIR);
}

static int usage_error(void)
{
	if (json)
		err("usage: dmmctl [-j] [-s SOCKET | -n NODE] COMMAND [ARGUMENTS] (dmmctl help)");
	else
		usage_to(stderr);
	return EXIT_USAGE;
}

static int help(void)
{
	char name[64];

	if (!json) {
		usage_to(stdout);
		return 0;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < N_CMDS; i++) {
		cmd_name(&cmds[i], name, sizeof(name));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "command", name,
						   "arguments", cmds[i].args,
						   "description", cmds[i].help));
	}
	return print_json(json_pack("{s:s, s:o}", "dmmctl_version", DMM_VERSION, "commands", a));
}

/* w among the keywords kw[0..n): the exact one, else the only one it is a
 * prefix of. NULL and an error listing the candidates otherwise. */
static const char *resolve(const char *w, const char *const *kw, size_t n, const char *what)
{
	const char *found = NULL;
	char cand[256] = "";
	size_t len = strlen(w), hits = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(kw[i], w))
			return kw[i];
	for (size_t i = 0; i < n && len; i++) {
		if (strncmp(kw[i], w, len))
			continue;
		found = kw[i];
		hits++;
		snprintf(cand + strlen(cand), sizeof(cand) - strlen(cand), "%s%s",
			 *cand ? ", " : "", kw[i]);
	}
	if (hits == 1)
		return found;
	if (hits > 1) {
		err("'%s' is ambiguous: %s", w, cand);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(cand + strlen(cand), sizeof(cand) - strlen(cand), "%s%s",
			 *cand ? ", " : "", kw[i]);
	err("unknown %s '%s' (%s)", what, w, cand);
	return NULL;
}

/* The distinct first words, or the second words after w1. */
static size_t keywords(const char *w1, const char **kw)
{
	size_t n = 0;

	for (size_t i = 0; i < N_CMDS; i++) {
		const char *w = w1 ? cmds[i].w2 : cmds[i].w1;
		bool dup = false;
		if (!w || (w1 && strcmp(cmds[i].w1, w1)))
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(kw[j], w);
		if (!dup)
			kw[n++] = w;
	}
	return n;
}

/* The command argv names (abbreviations resolved); *used: words taken. */
static const struct cmd *find_cmd(int argc, char **argv, int *used)
{
	const char *kw[N_CMDS], *w1, *w2;
	size_t n = keywords(NULL, kw);

	if (!(w1 = resolve(argv[0], kw, n, "command")))
		return NULL;
	n = keywords(w1, kw);
	if (n == 0) {
		for (size_t i = 0; i < N_CMDS; i++)
			if (!strcmp(cmds[i].w1, w1)) {
				*used = 1;
				return &cmds[i];
			}
	}
	if (argc < 2) {
		char cand[256] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(cand + strlen(cand), sizeof(cand) - strlen(cand), "%s%s",
				 i ? ", " : "", kw[i]);
		err("%s what? (%s)", w1, cand);
		return NULL;
	}
	char what[64];
	snprintf(what, sizeof(what), "%s argument", w1);
	if (!(w2 = resolve(argv[1], kw, n, what)))
		return NULL;
	for (size_t i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].w1, w1) && cmds[i].w2 && !strcmp(cmds[i].w2, w2)) {
			*used = 2;
			return &cmds[i];
		}
	return NULL;
}

static int ctl_connect(const char *path, bool stream)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err("socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		/* A monitor waits for events as long as it runs. */
		struct timeval tv = { .tv_sec = stream ? 0 : DMMCTL_TIMEOUT_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		tv.tv_sec = DMMCTL_TIMEOUT_S;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err("%s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ? " (is dmmd running? "
		    "-s names its control socket, -n its node)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The daemon's answer to version, with dmmctl's own version added. */
static void print_version(const char *body)
{
	if (!json) {
		printf("dmmctl %s\n%s", DMM_VERSION, body);
		return;
	}
	json_t *j = json_loads(body, 0, NULL);
	char *s = NULL;
	if (j && json_object_set_new(j, "dmmctl_version", json_string(DMM_VERSION)) == 0)
		s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s)
		printf("%s\n", s);
	else
		err("dmmd's answer to version is not a JSON object");
	free(s);
}

/* Copy the stream to stdout as it comes, until dmmd closes it. */
static int relay_stream(int fd, const char *first, size_t len)
{
	char buf[4096];
	ssize_t r;

	fwrite(first, 1, len, stdout);
	fflush(stdout);
	while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR)) {
		if (r > 0 && (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r || fflush(stdout)))
			return 1; /* stdout gone */
	}
	if (r < 0) {
		err("monitor: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Read the answer; "ok" first line -> body to stdout, exit 0;
 * "error: ..." -> the error, exit 1. */
static int relay(int fd, const struct cmd *c)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;
	ssize_t r;
	bool stream = !strcmp(c->w1, "monitor");

	if (!buf)
		return 1;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0 ||
	       (r < 0 && errno == EINTR)) {
		len += r > 0 ? (size_t)r : 0;
		buf[len] = '\0';
		if (stream && (nl = strchr(buf, '\n')))
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return 1;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (r < 0) {
		err("%s", errno == EAGAIN || errno == EWOULDBLOCK ?
		    "dmmd did not answer in time" : strerror(errno));
		free(buf);
		return 1;
	}
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	if (!nl) {
		err("no answer from dmmd");
		free(buf);
		return 1;
	}
	*nl = '\0';
	int rc = strcmp(buf, "ok") == 0 ? 0 : 1;
	if (rc != 0)
		err("%s", strncmp(buf, "error: ", 7) ? buf : buf + 7);
	else if (stream)
		rc = relay_stream(fd, nl + 1, len - (size_t)(nl + 1 - buf));
	else if (!strcmp(c->w1, "version"))
		print_version(nl + 1);
	else
		fputs(nl + 1, stdout);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = DMMD_CONTROL_DEFAULT, *node = NULL, *dir;
	char req[REQ_MAX], path[256];
	int ch, fd, rc, used = 0;
	bool want_help = false, want_version = false, sock_set = false;
	size_t off;

	json = false;
	while ((ch = getopt_long(argc, argv, "+js:n:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 's': sock = optarg; sock_set = true; break;
		case 'n': node = optarg; break;
		case 'h': want_help = true; break;
		case 'V': want_version = true; break;
		default: return usage_error();
		}
	}
	argc -= optind;
	argv += optind;
	/* -j after the command too (dmmctl monitor -j), nothing else. */
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
			memmove(argv + i, argv + i + 1, sizeof(*argv) * (size_t)(argc - i));
			argc--;
			i--;
		}
	if (want_help)
		return help();
	if (want_version) {
		if (json)
			return print_json(json_pack("{s:s}", "dmmctl_version", DMM_VERSION));
		else
			printf("dmmctl %s\n", DMM_VERSION);
		return 0;
	}
	if (argc < 1)
		return usage_error();
	if (node && sock_set) {
		err("-s and -n both name the socket: give one");
		return EXIT_USAGE;
	}
	if (node) {
		if (!*node || strchr(node, '/') || !strcmp(node, ".") || !strcmp(node, "..")) {
			err("-n %s: a node name, not a path (-s takes a path)", node);
			return EXIT_USAGE;
		}
		dir = getenv("DMMCTL_RUNDIR");
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.sock", dir && *dir ? dir :
				     DMMCTL_RUNDIR, node) >= sizeof(path)) {
			err("-n %s: socket path too long", node);
			return EXIT_USAGE;
		}
		sock = path;
	}
	const struct cmd *c = find_cmd(argc, argv, &used);
	if (!c)
		return EXIT_USAGE;
	char name[64];
	cmd_name(c, name, sizeof(name));
	if (argc - used < c->min_args || argc - used > c->max_args) {
		err("usage: dmmctl %s%s%s", name, *c->args ? " " : "", c->args);
		return EXIT_USAGE;
	}
	if (!strcmp(c->w1, "help"))
		return help();
	off = (size_t)snprintf(req, sizeof(req), "%s%s", json ? "json " : "", name);
	for (int i = used; i < argc && off < sizeof(req); i++) {
		if (!*argv[i] || strpbrk(argv[i], " \t\r\n")) {
			err("argument empty or with white space: '%s'", argv[i]);
			return EXIT_USAGE;
		}
		off += (size_t)snprintf(req + off, sizeof(req) - off, " %s", argv[i]);
	}
	if (off + 2 > sizeof(req)) {
		err("request too long");
		return EXIT_USAGE;
	}
	req[off++] = '\n';
	if ((fd = ctl_connect(sock, !strcmp(c->w1, "monitor"))) < 0)
		return 1;
	if (write(fd, req, off) != (ssize_t)off) {
		err("write: %s", strerror(errno));
		close(fd);
		return 1;
	}
	if (strcmp(c->w1, "monitor")) /* a monitor's end of stream says it left */
		shutdown(fd, SHUT_WR);
	rc = relay(fd, c);
	close(fd);
	return rc;
}
