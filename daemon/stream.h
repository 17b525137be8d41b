/* dmmd: what the control socket (control.c) and the metrics endpoint
 * (metrics.c) do alike with their stream clients, never waiting for one:
 * take the connections waiting on the listener, and gather a request as
 * its bytes come. */
#ifndef DMMD_STREAM_H
#define DMMD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Give the new connection fd a client slot and serve it (true), or say
 * that every slot is taken (false: fd is left to the caller). */
typedef bool stream_take_fn(void *ctx, int fd);

/* Accept the connections waiting on the non-blocking listener lfd, at most
 * 2 * slots in one call (the poll loop comes back for the rest). Each goes
 * to take; one it has no slot for is sent busy[len] (if the socket takes
 * it now), closed, and counted in *refused. what names the listener in the
 * log ("control", "metrics"). */
void stream_accept(int lfd, unsigned slots, const char *what, const char *busy, size_t len,
		   uint64_t *refused, stream_take_fn *take, void *ctx);

enum stream_read {
	STREAM_AGAIN, /* nothing more to read now: poll for POLLIN */
	STREAM_DONE,  /* complete(in, *len) holds: the request is whole */
	STREAM_FULL,  /* cap - 1 bytes read and still not complete */
	STREAM_EOF,   /* the client closed its end first (*len bytes came) */
	STREAM_ERROR, /* recv failed: the connection is broken */
};

/* Read what the non-blocking stream fd has into in, after the *len bytes
 * gathered so far (cap bytes in all, one kept for the NUL written after
 * them), until complete(in, *len) says the request is whole. */
enum stream_read stream_read(int fd, char *in, size_t *len, size_t cap,
			     bool (*complete)(const char *in, size_t len));

#endif
