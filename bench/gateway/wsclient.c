// wsclient.c - many websocket clients in one epoll loop, for bench/gateway.
//
// Opens CONNS connections to ws://HOST:PORT/PATH (at most INFLIGHT handshakes at a time), sends
// SUBSCRIBE as a text frame after each handshake, then counts text frames for WARMUP+DURATION
// seconds. Latency of each frame = now - the numeric "ts" (epoch ms) in its first 256 bytes,
// counted during DURATION only. Prints one JSON line on stdout; "connected N" on stderr once all
// handshakes are done (the driver measures the server's memory then). With WSCLIENT_TRACE set, also
// one stderr line per second of measuring: frames, worst latency, frames over 100 ms (to tell a
// steady tail from a few stalls).
//
// Build: cc -O2 -o wsclient wsclient.c
// Usage: wsclient HOST PORT PATH CONNS WARMUP_S DURATION_S SUBSCRIBE [INFLIGHT]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST 100000 /* 0.1 ms buckets up to 10 s */
#define SCRATCH (1 << 20)

typedef struct {
  int fd, state; /* 0 connecting, 1 handshake sent, 2 open, 3 dead */
  char *buf;
  size_t len, cap;
} conn_t;

static uint64_t hist[HIST + 1];
static uint64_t counted, total_frames, dead, refused;
static int measuring;
static const char *subscribe;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double mono_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void send_frame(int fd, int opcode, const char *data, size_t n) {
  unsigned char hdr[14];
  size_t h = 0;
  hdr[h++] = 0x80 | opcode;
  if (n < 126) hdr[h++] = 0x80 | n;
  else { hdr[h++] = 0x80 | 126; hdr[h++] = n >> 8; hdr[h++] = n & 255; }
  memset(hdr + h, 0, 4); /* zero mask: payload goes out as is */
  h += 4;
  char out[16 + 4096];
  if (n > 4096) n = 4096;
  memcpy(out, hdr, h);
  memcpy(out + h, data, n);
  if (write(fd, out, h + n) < 0) { /* a dead socket shows up as EPOLLHUP */ }
}

static int trace = -1;
static long trace_sec = -1, trace_n = 0, trace_slow = 0;
static double trace_max = 0;

static void on_text(const unsigned char *p, size_t n) {
  total_frames++;
  if (!measuring) return;
  size_t lim = n < 256 ? n : 256;
  const char *ts = memmem(p, lim, "\"ts\":", 5);
  if (!ts) return;
  double t = strtod(ts + 5, NULL);
  double now = now_ms();
  double lat = now - t;
  if (trace < 0) trace = getenv("WSCLIENT_TRACE") != NULL;
  if (trace) {
    long sec = (long)(now / 1000);
    if (sec != trace_sec) {
      if (trace_sec >= 0) fprintf(stderr, "trace %ld frames %ld max %.1f ms over100 %ld\n", trace_sec % 1000, trace_n, trace_max, trace_slow);
      trace_sec = sec; trace_n = 0; trace_max = 0; trace_slow = 0;
    }
    trace_n++;
    if (lat > trace_max) trace_max = lat;
    if (lat > 100) trace_slow++;
  }
  long b = lat < 0 ? 0 : (long)(lat * 10);
  if (b > HIST) b = HIST;
  hist[b]++;
  counted++;
}

/* Parse whole frames from c->buf; keep the partial tail. */
static void parse(conn_t *c) {
  size_t off = 0;
  while (c->len - off >= 2) {
    unsigned char *p = (unsigned char *)c->buf + off;
    int opcode = p[0] & 15;
    uint64_t n = p[1] & 127;
    size_t h = 2;
    if (n == 126) { if (c->len - off < 4) break; n = (p[2] << 8) | p[3]; h = 4; }
    else if (n == 127) {
      if (c->len - off < 10) break;
      n = 0;
      for (int i = 0; i < 8; i++) n = (n << 8) | p[2 + i];
      h = 10;
    }
    if (c->len - off < h + n) break;
    if (opcode == 1) on_text(p + h, n);
    else if (opcode == 9) send_frame(c->fd, 10, (char *)p + h, n);
    else if (opcode == 8) { c->state = 3; return; }
    off += h + n;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
}

static void append(conn_t *c, const char *d, size_t n) {
  if (c->len + n > c->cap) {
    c->cap = (c->len + n) * 2;
    c->buf = realloc(c->buf, c->cap);
  }
  memcpy(c->buf + c->len, d, n);
  c->len += n;
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: wsclient HOST PORT PATH CONNS WARMUP_S DURATION_S SUBSCRIBE [INFLIGHT]\n");
    return 2;
  }
  const char *host = argv[1], *path = argv[3];
  int port = atoi(argv[2]), conns = atoi(argv[4]);
  double warmup = atof(argv[5]), duration = atof(argv[6]);
  subscribe = argv[7];
  int inflight_max = argc > 8 ? atoi(argv[8]) : 500;
  struct rlimit rl = {conns + 64, conns + 64};
  setrlimit(RLIMIT_NOFILE, &rl);
  char req[512];
  int reqlen = snprintf(req, sizeof req,
                        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                        path, host, port);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  int ep = epoll_create1(0);
  conn_t *cs = calloc(conns, sizeof *cs);
  char *scratch = malloc(SCRATCH);
  int opened = 0, started = 0, inflight = 0, announced = 0;
  double t0 = mono_s(), t_connected = 0, t_measure = 0, t_end = 0;
  struct epoll_event evs[1024];
  for (;;) {
    while (started < conns && inflight < inflight_max) {
      conn_t *c = &cs[started];
      c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      int one = 1;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = started};
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      started++;
      inflight++;
    }
    if (!announced && (opened + dead + refused >= (uint64_t)conns || mono_s() - t0 > 60)) {
      announced = 1;
      t_connected = mono_s() - t0;
      fprintf(stderr, "connected %d\n", opened);
      fflush(stderr);
      t_measure = mono_s() + warmup;
      t_end = t_measure + duration;
    }
    if (announced) {
      double m = mono_s();
      if (!measuring && m >= t_measure) measuring = 1;
      if (m >= t_end) break;
    }
    int n = epoll_wait(ep, evs, 1024, 50);
    for (int i = 0; i < n; i++) {
      conn_t *c = &cs[evs[i].data.u32];
      if (c->state == 3) continue;
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
        if (c->state < 2) { inflight--; refused++; } else dead++;
        c->state = 3;
        close(c->fd);
        continue;
      }
      if (c->state == 0 && (evs[i].events & EPOLLOUT)) {
        if (write(c->fd, req, reqlen) != reqlen) { c->state = 3; close(c->fd); inflight--; refused++; continue; }
        c->state = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[i].data.u32};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      }
      if (!(evs[i].events & EPOLLIN)) continue;
      for (;;) {
        ssize_t r = read(c->fd, scratch, SCRATCH);
        if (r <= 0) {
          if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            if (c->state < 2) { inflight--; refused++; } else dead++;
            c->state = 3;
            close(c->fd);
          }
          break;
        }
        if (c->state == 1) {
          append(c, scratch, r);
          char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
          if (!end) continue;
          if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) {
            c->state = 3; close(c->fd); inflight--; refused++; break;
          }
          size_t used = end + 4 - c->buf;
          memmove(c->buf, c->buf + used, c->len - used);
          c->len -= used;
          c->state = 2;
          inflight--;
          opened++;
          send_frame(c->fd, 1, subscribe, strlen(subscribe));
          parse(c);
        } else {
          if (c->len == 0) {
            /* fast path: parse straight from scratch, keep only a partial tail */
            c->buf = c->buf ? c->buf : malloc(4096);
            c->cap = c->cap ? c->cap : 4096;
          }
          append(c, scratch, r);
          parse(c);
          if (c->len == 0 && c->cap > 65536) { free(c->buf); c->buf = NULL; c->cap = 0; }
        }
        if (r < SCRATCH) break;
      }
    }
  }
  uint64_t acc = 0;
  double p50 = -1, p99 = -1, mx = -1;
  for (long b = 0; b <= HIST; b++) {
    if (!hist[b]) continue;
    acc += hist[b];
    if (p50 < 0 && acc * 2 >= counted) p50 = b / 10.0;
    if (p99 < 0 && acc * 100 >= counted * 99) p99 = b / 10.0;
    mx = b / 10.0;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"connections\": %d, \"refused\": %llu, \"dropped\": %llu, \"connect_s\": %.2f, "
         "\"deliveries_per_s\": %.0f, \"p50_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f, \"client_cpu_s\": %.2f}\n",
         opened, (unsigned long long)refused, (unsigned long long)dead, t_connected, counted / duration, p50, p99, mx,
         ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
  return 0;
}
