/* The fan-out's system calls in one C loop: the same bytes written to many non-blocking sockets.
 *
 * Loaded with ctypes (gateway/fanout.py), which releases the GIL for the whole call, so writer
 * threads make their writes in parallel instead of taking the GIL back between every two writes.
 * No Python API here: the library builds without Python's headers.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* where it does not exist (macOS), SO_NOSIGPIPE or an ignored SIGPIPE does the job */
#endif

/* Write buf[0:len] to each of fds[0:n]; results[i] = bytes written, or -errno when the write failed.
 * send() with MSG_NOSIGNAL: a peer that has gone away gives EPIPE here instead of a SIGPIPE to the
 * whole process, whatever the process's signal disposition. */
void newswire_write_many(const char *buf, size_t len, const int *fds, size_t n, long *results)
{
    for (size_t i = 0; i < n; i++) {
        ssize_t written;
        do {
            written = send(fds[i], buf, len, MSG_NOSIGNAL);
        } while (written < 0 && errno == EINTR);
        results[i] = written < 0 ? -(long)errno : (long)written;
    }
}
