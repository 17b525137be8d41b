/* dmmctl: ask a running dmmd over its control socket. A table of
 * subcommands; each checks its arguments and sends one request line. The
 * daemon renders text or JSON; this program prints the body and turns the
 * status line into the exit code. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../daemon/parse.h" /* DMMD_CONTROL_DEFAULT */

#define REQ_MAX 1024
/* dmmd answers within its own 2 s budget: longer means it is stuck, and a
 * script calling dmmctl must not hang with it. */
#ifndef DMMCTL_TIMEOUT_S
#define DMMCTL_TIMEOUT_S 10
#endif

struct cmd {
	const char *name;
	int min_args, max_args; /* after the command name */
	const char *usage;
	const char *const *words; /* allowed first argument, NULL = any */
};

static const char *const show_words[] = {
	"mns", "bindings", "cache", "leases", "handovers", "counters", "peers", "config", NULL,
};

static const struct cmd cmds[] = {
	{ "show", 1, 1, "show mns|bindings|cache|leases|handovers|counters|peers|config",
	  show_words },
	{ "attach", 2, 2, "attach LINK MNID", NULL },
	{ "detach", 1, 1, "detach LINK", NULL },
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(void)
{
	fprintf(stderr, "usage: dmmctl [-j] [-s socket] command [args]\ncommands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(stderr, "\t%s\n", cmds[i].usage);
	exit(2);
}

static bool word_ok(const struct cmd *c, const char *w)
{
	if (!c->words)
		return strlen(w) > 0 && !strpbrk(w, " \t\r\n");
	for (const char *const *p = c->words; *p; p++)
		if (strcmp(*p, w) == 0)
			return true;
	return false;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "dmmctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = DMMCTL_TIMEOUT_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dmmctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is dmmd running? "
			"-s names its control socket)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read the whole answer; "ok" first line -> body to stdout, exit 0;
 * "error: ..." -> stderr, exit 1. */
static int relay(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t r;

	if (!buf)
		return 1;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0 ||
	       (r < 0 && errno == EINTR)) {
		len += r > 0 ? (size_t)r : 0;
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
		fprintf(stderr, "dmmctl: %s\n", errno == EAGAIN || errno == EWOULDBLOCK ?
			"dmmd did not answer in time" : strerror(errno));
		free(buf);
		return 1;
	}
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	if (!nl) {
		fprintf(stderr, "dmmctl: no answer from dmmd\n");
		free(buf);
		return 1;
	}
	*nl = '\0';
	int rc = strcmp(buf, "ok") == 0 ? 0 : 1;
	if (rc == 0)
		fputs(nl + 1, stdout);
	else
		fprintf(stderr, "dmmctl: %s\n", strncmp(buf, "error: ", 7) ? buf : buf + 7);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	const char *sock = DMMD_CONTROL_DEFAULT;
	char req[REQ_MAX];
	int ch, json = 0, fd, rc;
	size_t off;

	while ((ch = getopt(argc, argv, "js:")) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 's': sock = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	const struct cmd *c = NULL;
	for (size_t i = 0; i < N_CMDS; i++)
		if (strcmp(cmds[i].name, argv[0]) == 0)
			c = &cmds[i];
	if (!c || argc - 1 < c->min_args || argc - 1 > c->max_args)
		usage();
	if (!word_ok(c, argv[1])) {
		fprintf(stderr, "dmmctl: usage: %s\n", c->usage);
		return 2;
	}
	off = (size_t)snprintf(req, sizeof(req), "%s%s", json ? "json " : "", c->name);
	for (int i = 1; i < argc && off < sizeof(req); i++) {
		if (strpbrk(argv[i], " \t\r\n")) {
			fprintf(stderr, "dmmctl: argument with white space: '%s'\n", argv[i]);
			return 2;
		}
		off += (size_t)snprintf(req + off, sizeof(req) - off, " %s", argv[i]);
	}
	if (off + 2 > sizeof(req)) {
		fprintf(stderr, "dmmctl: request too long\n");
		return 2;
	}
	req[off++] = '\n';
	if ((fd = ctl_connect(sock)) < 0)
		return 1;
	if (write(fd, req, off) != (ssize_t)off) {
		fprintf(stderr, "dmmctl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	rc = relay(fd);
	close(fd);
	return rc;
}
