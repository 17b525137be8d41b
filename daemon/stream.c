/* dmmd: accepting and reading the stream clients of the control socket and
 * the metrics endpoint (stream.h). Both serve each client from the main
 * loop with a bounded buffer and a deadline; only what is done with the
 * bytes, and what a busy listener answers, differs. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "stream.h"

void stream_accept(int lfd, unsigned slots, const char *what, const char *busy, size_t len,
		   uint64_t *refused, stream_take_fn *take, void *ctx)
{
	for (unsigned i = 0; i < 2 * slots; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_ratelimited(LOG_WARNING, "%s accept: %s", what, strerror(errno));
			return;
		}
		if (take(ctx, fd))
			continue;
		(*refused)++;
		if (send(fd, busy, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_ratelimited(LOG_DEBUG, "%s: busy: %s", what, strerror(errno));
		close(fd);
	}
}

enum stream_read stream_read(int fd, char *in, size_t *len, size_t cap,
			     bool (*complete)(const char *in, size_t len))
{
	while (*len + 1 < cap) {
		ssize_t r = recv(fd, in + *len, cap - 1 - *len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return STREAM_AGAIN;
		if (r < 0)
			return STREAM_ERROR;
		if (r == 0)
			return STREAM_EOF;
		*len += (size_t)r;
		in[*len] = '\0';
		if (complete(in, *len))
			return STREAM_DONE;
	}
	return STREAM_FULL;
}
