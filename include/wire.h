/*
 * wire.h - what bs-remote (the client) and bs-serve (the server) say to
 * each other over the pipe ssh makes: the request that opens a session,
 * the protocol's version, and the frames that follow (bs-serve(1)).
 *
 * The request, the client's first bytes:
 *   request = "bs-serve" SP version SP suite NUL verb NUL path NUL argc NUL
 *             *(arg NUL)
 * version is BS_WIRE_VERSION (decimal), suite the backshift version of the
 * client (BS_VERSION).  A server refuses a request of another version
 * with one line naming both ends' versions (version 1 had no suite: its
 * first field was "bs-serve 1").  The verbs that answer in frames (mirror,
 * save, backup) begin their answer with a V frame, "version SP suite", and
 * a client refuses a server of another version in the same way.  A change
 * of the request or of the frames is a change of BS_WIRE_VERSION.
 *
 * A frame (both directions), TYPE one byte:
 *   TYPE SP [count SP] length LF, then length bytes (at most 256 MiB)
 *
 *   bs_wire_request(fd, verb, path, argc, argv, e)
 *                        write a request: 0, or -1 (BS_SYS)
 *   bs_wire_read_request(r, rq, e)
 *                        read one: rq->verb, rq->path, and rq->argc
 *                        arguments in rq->args (NULL-terminated); -1 with
 *                        BS_INPUT for a request cut short, malformed, or
 *                        of another version (the message says which);
 *                        release it with bs_wire_request_release(rq)
 *   bs_wire_greet(fd)    the server's V frame: 0, or -1 with errno
 *   bs_wire_read_greeting(r, e)
 *                        the client's side: 1 when the first frame is a V
 *                        frame of this version, 0 when the server hung up
 *                        first (it said why), -1 with a message naming
 *                        both versions (BS_INPUT)
 *   bs_frame_write(fd, type, count, p, n)
 *                        one frame (count 0: none written); 0, or -1 with
 *                        errno
 *   bs_frame_read(r, &type, &n, &count, payload, e)
 *                        the next frame: its payload (n bytes, followed by
 *                        a NUL) in payload, count 0 when it has none;
 *                        1, 0 at a clean end of input before a frame, -1
 */
#ifndef BS_WIRE_H
#define BS_WIRE_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"

#define BS_WIRE_VERSION 2
#define BS_WIRE_MAGIC "bs-serve"
#define BS_FRAME_MAX (256u << 20)

struct bs_wire_request {
	char *verb, *path;
	int argc;
	char **args;
};

int bs_wire_request(int fd, const char *verb, const char *path, int argc, char *const *argv, struct bs_err *e);
int bs_wire_read_request(struct bs_reader *r, struct bs_wire_request *rq, struct bs_err *e);
void bs_wire_request_release(struct bs_wire_request *rq);
int bs_wire_greet(int fd);
int bs_wire_read_greeting(struct bs_reader *r, struct bs_err *e);
int bs_frame_write(int fd, int type, uint64_t count, const void *p, size_t n);
int bs_frame_read(struct bs_reader *r, int *type, uint64_t *n, uint64_t *count, struct bs_buf *payload,
		  struct bs_err *e);

#endif
