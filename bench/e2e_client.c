// e2e_client.c - the websocket side of bench/e2e.py: an epoll load generator (derived from
// tools/wsload.c) that also checks delivery. For every "entry" message it reads "seq" and the
// entry id ("...-eN", prefix given with -I) and counts, per connection, seq gaps, seq repeats and
// ids seen twice; the summary adds seq_gaps, seq_dups, id_dups and distinct ids per connection.
//
// Opens C connections to ws://host:port/path, optionally sends a subscribe text
// frame after the handshake, counts received data messages and measures
// end-to-end latency from a numeric "ts" field embedded by the server at
// publish time (epoch seconds / ms / us / ns, int or float; unit auto-detected).
// Prints one JSON object on stdout. Bounded: stops by itself after
// connect-timeout + warmup + duration (+ a small grace).
//
// Build: gcc -O2 -pthread -o wsload wsload.c -lm
// Usage: ./wsload -u ws://127.0.0.1:8765/ -c 1000 -d 10 [-w 2] [-s '{"op":"sub"}']
//        [-t threads] [-T connect_timeout_s] [-i max_inflight_handshakes]
//        [--socketio]   (engine.io v4 / socket.io v4 over raw websocket: sends "40",
//                        answers "2" pings with "3", counts only "42..." event packets)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NBUCKETS 4096
#define MAX_MINUTES 32  // per-minute latency histograms of the window (a 10-minute soak and its drain)
#define SCRATCH (512 * 1024)

enum { ST_CONNECTING = 1, ST_HS_SENT, ST_OPEN, ST_DEAD };

typedef struct {
  int fd;
  int state;
  int have_ts;      // ts found in first frame of a fragmented message
  double ts_ns;
  char *pend;       // leftover partial bytes
  size_t pend_len, pend_cap;
  uint64_t msgs;    // messages in window
  long long last_seq;
  uint64_t distinct;
  uint8_t *seen;    // bitmap of entry numbers seen
} conn_t;

typedef struct {
  int id;
  int nconns;
  conn_t *conns;
  int ep;
  char *scratch;
  // stats
  uint64_t established, connect_errors, closed_after_open;
  uint64_t msgs, bytes, no_ts, lat_n, seq_gaps, seq_dups, id_dups;
  double lat_sum_us, lat_max_us;
  uint64_t hist[NBUCKETS];
  uint64_t mhist[MAX_MINUTES][NBUCKETS];  // the same, per minute since the window started
  pthread_t th;
} worker_t;

static uint64_t g_window_start_ns;  // now_ns() when counting starts

static struct sockaddr_in g_addr;
static char g_host[256] = "127.0.0.1";
static int g_port = 80;
static char g_path[1024] = "/";
static char *g_sub = NULL;
static size_t g_sub_len = 0;
static int g_socketio = 0;
static const char *g_idprefix = "\"id\":\"bench-e";
#define MAXIDS (1 << 18)
static int g_conns = 100, g_threads = 1, g_inflight = 256;
static double g_duration = 10, g_warmup = 2, g_ctimeout = 60;
static char g_handshake[2048];
static size_t g_handshake_len;

static _Atomic uint64_t g_opened_total;      // established across threads
static _Atomic uint64_t g_failed_total;
static _Atomic int g_phase;                  // 0 connect, 1 warmup, 2 measure, 3 stop

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
static inline uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

// log-linear histogram, value in microseconds, <1% relative error
static inline int bucket_of(uint64_t v) {
  if (v < 128) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - 6;
  uint64_t mant = v >> shift;  // 64..127
  int idx = 128 + (shift - 1) * 64 + (int)(mant - 64);
  return idx < NBUCKETS ? idx : NBUCKETS - 1;
}
static inline double value_of(int idx) {
  if (idx < 128) return idx;
  int shift = (idx - 128) / 64 + 1;
  uint64_t mant = (uint64_t)((idx - 128) % 64) + 64;
  return (double)(mant << shift) + (double)((1ull << shift) / 2);
}


static void send_frame(conn_t *c, int opcode, const char *p, size_t n) {
  // client frames must be masked; use a zero mask key (valid per RFC, cheap)
  unsigned char hdr[14];
  size_t h = 0;
  hdr[h++] = 0x80 | opcode;
  if (n < 126) { hdr[h++] = 0x80 | n; }
  else if (n < 65536) { hdr[h++] = 0x80 | 126; hdr[h++] = n >> 8; hdr[h++] = n & 255; }
  else { hdr[h++] = 0x80 | 127; for (int i = 7; i >= 0; i--) hdr[h++] = (n >> (8 * i)) & 255; }
  hdr[h++] = 0; hdr[h++] = 0; hdr[h++] = 0; hdr[h++] = 0;
  char buf[4096];
  if (h + n <= sizeof buf) {
    memcpy(buf, hdr, h); memcpy(buf + h, p, n);
    ssize_t r = write(c->fd, buf, h + n); (void)r;
  } else {
    ssize_t r = write(c->fd, hdr, h); (void)r; r = write(c->fd, p, n); (void)r;
  }
}

static void kill_conn(worker_t *w, conn_t *c, int was_open) {
  if (c->state == ST_DEAD) return;
  epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (was_open) w->closed_after_open++;
  else { w->connect_errors++; atomic_fetch_add(&g_failed_total, 1); }
  c->state = ST_DEAD;
  free(c->pend); c->pend = NULL; c->pend_len = c->pend_cap = 0;
}

static int start_connect(worker_t *w, conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  c->state = ST_CONNECTING;
  int r = connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr);
  if (r < 0 && errno != EINPROGRESS) { close(fd); c->state = ST_DEAD; return -1; }
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
  epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

static inline double parse_ts_ns(const char *p, size_t n, int *ok) {
  // find "ts": within first 256 bytes
  size_t lim = n < 256 ? n : 256;
  const char *q = memmem(p, lim, "\"ts\":", 5);
  *ok = 0;
  if (!q) return 0;
  q += 5;
  while (q < p + n && (*q == ' ')) q++;
  char tmp[40];
  size_t k = 0;
  while (q < p + n && k < sizeof tmp - 1 && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')) tmp[k++] = *q++;
  tmp[k] = 0;
  if (!k) return 0;
  double v = strtod(tmp, NULL);
  if (v <= 0) return 0;
  *ok = 1;
  if (v > 1e17) return v;            // ns
  if (v > 1e14) return v * 1e3;      // us
  if (v > 1e11) return v * 1e6;      // ms
  return v * 1e9;                    // s
}

static inline void on_message(worker_t *w, conn_t *c, double ts_ns, int has_ts) {
  int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
  if (ph != 2) return;
  uint64_t t = now_ns();
  w->msgs++;
  c->msgs++;
  if (!has_ts) { w->no_ts++; return; }
  double lat_us = ((double)t - ts_ns) / 1000.0;
  if (lat_us < 0) lat_us = 0;
  w->lat_n++;
  w->lat_sum_us += lat_us;
  if (lat_us > w->lat_max_us) w->lat_max_us = lat_us;
  int bucket = bucket_of((uint64_t)lat_us);
  w->hist[bucket]++;
  uint64_t minute = (t - g_window_start_ns) / 60000000000ull;
  if (t >= g_window_start_ns && minute < MAX_MINUTES) w->mhist[minute][bucket]++;
}

static void track(worker_t *w, conn_t *c, const char *p, size_t n) {
  size_t lim = n < 256 ? n : 256;
  if (!memmem(p, lim, "\"type\":\"entry\"", 14)) return;
  const char *q = memmem(p, lim, "\"seq\":", 6);
  if (q) {
    long long s = strtoll(q + 6, NULL, 10);
    if (c->last_seq && s <= c->last_seq) w->seq_dups++;
    else if (c->last_seq && s > c->last_seq + 1) w->seq_gaps += (uint64_t)(s - c->last_seq - 1);
    if (s > c->last_seq) c->last_seq = s;
  }
  size_t plen = strlen(g_idprefix);
  const char *r = memmem(p, n, g_idprefix, plen);
  if (r) {
    long long k = strtoll(r + plen, NULL, 10);
    if (k >= 0 && k < MAXIDS) {
      if (!c->seen) c->seen = calloc(MAXIDS / 8, 1);
      uint8_t bit = (uint8_t)(1u << (k & 7));
      if (c->seen[k >> 3] & bit) w->id_dups++;
      else { c->seen[k >> 3] |= bit; c->distinct++; }
    }
  }
}

static volatile sig_atomic_t g_stop_early = 0;
static void on_usr1(int sig) { (void)sig; g_stop_early = 1; }  // SIGUSR1: the window ends now

// parse frames from buf[0..n); return bytes consumed
static size_t parse_frames(worker_t *w, conn_t *c, const char *buf, size_t n) {
  size_t off = 0;
  while (n - off >= 2) {
    const unsigned char *b = (const unsigned char *)buf + off;
    int fin = b[0] & 0x80, op = b[0] & 0x0f, masked = b[1] & 0x80;
    uint64_t len = b[1] & 0x7f;
    size_t h = 2;
    if (len == 126) { if (n - off < 4) break; len = ((uint64_t)b[2] << 8) | b[3]; h = 4; }
    else if (len == 127) {
      if (n - off < 10) break;
      len = 0; for (int i = 0; i < 8; i++) len = (len << 8) | b[2 + i];
      h = 10;
    }
    if (masked) h += 4;
    if (n - off < h + len) break;
    const char *p = buf + off + h;
    if (op == 0x1 || op == 0x2 || op == 0x0) {
      if (op != 0x0) {
        int ok;
        double ts = parse_ts_ns(p, len, &ok);
        c->have_ts = ok; c->ts_ns = ts;
        if (op == 0x1 && fin && atomic_load_explicit(&g_phase, memory_order_relaxed) == 2) track(w, c, p, len);
        if (g_socketio) {
          if (op == 0x1 && len == 1 && p[0] == '2') { send_frame(c, 0x1, "3", 1); off += h + len; continue; }
          // namespace CONNECT ack ("40{...}"): now it is legal to emit the subscribe event
          if (op == 0x1 && len >= 2 && p[0] == '4' && p[1] == '0' && g_sub) send_frame(c, 0x1, g_sub, g_sub_len);
          if (!(len >= 2 && p[0] == '4' && p[1] == '2')) { c->have_ts = -1; } // not an event
        }
      }
      if (fin && c->have_ts != -1) on_message(w, c, c->ts_ns, c->have_ts == 1);
      if (fin) c->have_ts = 0;
    } else if (op == 0x9) {
      send_frame(c, 0xA, p, len);
    } else if (op == 0x8) {
      return (size_t)-1;
    }
    off += h + len;
    if (atomic_load_explicit(&g_phase, memory_order_relaxed) == 2) w->bytes += h + len;
  }
  return off;
}

static void handle_readable(worker_t *w, conn_t *c) {
  char *s = w->scratch;
  size_t have = c->pend_len;
  if (have) memcpy(s, c->pend, have);
  size_t cap = SCRATCH;
  if (have >= cap) { kill_conn(w, c, c->state == ST_OPEN); return; }
  ssize_t r = read(c->fd, s + have, cap - have);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { kill_conn(w, c, c->state == ST_OPEN); return; }
  if (r < 0) return;
  size_t n = have + (size_t)r;
  size_t start = 0;
  if (c->state == ST_HS_SENT) {
    char *e = memmem(s, n, "\r\n\r\n", 4);
    if (!e) { goto keep; }
    if (n < 12 || memcmp(s + 9, "101", 3) != 0) { kill_conn(w, c, 0); return; }
    c->state = ST_OPEN;
    w->established++;
    atomic_fetch_add(&g_opened_total, 1);
    if (g_socketio) send_frame(c, 0x1, "40", 2);
    if (g_sub && !g_socketio) send_frame(c, 0x1, g_sub, g_sub_len);
    start = (size_t)(e + 4 - s);
  }
  {
    size_t used = parse_frames(w, c, s + start, n - start);
    if (used == (size_t)-1) { kill_conn(w, c, 1); return; }
    start += used;
  }
keep:
  {
    size_t left = n - start;
    if (left > c->pend_cap) { c->pend = realloc(c->pend, left); c->pend_cap = left; }
    if (left) memmove(c->pend, s + start, left);
    c->pend_len = left;
  }
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  w->ep = epoll_create1(0);
  w->scratch = malloc(SCRATCH);
  int next = 0;  // next connection to open
  int inflight = 0;
  struct epoll_event evs[512];
  uint64_t deadline_connect = mono_ns() + (uint64_t)(g_ctimeout * 1e9);
  for (;;) {
    int ph = atomic_load(&g_phase);
    if (ph == 3) break;
    // open new connections while under the in-flight cap
    if (ph == 0 && mono_ns() < deadline_connect) {
      inflight = 0;
      // cheap estimate of in-flight: opened - (established + errors)
      inflight = next - (int)(w->established + w->connect_errors);
      while (next < w->nconns && inflight < g_inflight) {
        if (start_connect(w, &w->conns[next]) < 0) { w->connect_errors++; atomic_fetch_add(&g_failed_total, 1); }
        else inflight++;
        next++;
      }
    }
    int k = epoll_wait(w->ep, evs, 512, 20);
    for (int i = 0; i < k; i++) {
      conn_t *c = evs[i].data.ptr;
      if (c->state == ST_DEAD) continue;
      if (c->state == ST_CONNECTING) {
        int err = 0; socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err || (evs[i].events & (EPOLLERR | EPOLLHUP))) { kill_conn(w, c, 0); continue; }
        if (evs[i].events & EPOLLOUT) {
          ssize_t r = write(c->fd, g_handshake, g_handshake_len);
          if (r != (ssize_t)g_handshake_len) { kill_conn(w, c, 0); continue; }
          c->state = ST_HS_SENT;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) handle_readable(w, c);
    }
  }
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: wsload -u ws://host:port/path -c CONNS -d DURATION_S [-w WARMUP_S] [-s SUBSCRIBE_TEXT]\n"
                  "              [-t THREADS] [-T CONNECT_TIMEOUT_S] [-i MAX_INFLIGHT] [--socketio]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *url = NULL;
  static struct option lo[] = {{"url", 1, 0, 'u'}, {"conns", 1, 0, 'c'}, {"duration", 1, 0, 'd'}, {"warmup", 1, 0, 'w'},
                               {"subscribe", 1, 0, 's'}, {"threads", 1, 0, 't'}, {"connect-timeout", 1, 0, 'T'},
                               {"inflight", 1, 0, 'i'}, {"socketio", 0, 0, 'S'}, {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "u:c:d:w:s:t:T:i:SI:", lo, NULL)) != -1) {
    switch (o) {
      case 'u': url = optarg; break;
      case 'c': g_conns = atoi(optarg); break;
      case 'd': g_duration = atof(optarg); break;
      case 'w': g_warmup = atof(optarg); break;
      case 's': g_sub = optarg; g_sub_len = strlen(optarg); break;
      case 't': g_threads = atoi(optarg); break;
      case 'T': g_ctimeout = atof(optarg); break;
      case 'i': g_inflight = atoi(optarg); break;
      case 'S': g_socketio = 1; break;
      case 'I': g_idprefix = optarg; break;
      default: usage();
    }
  }
  if (!url || strncmp(url, "ws://", 5) != 0) usage();
  if (g_threads < 1) g_threads = 1;
  if (g_conns < g_threads) g_threads = g_conns > 0 ? g_conns : 1;
  signal(SIGPIPE, SIG_IGN);
  {  // parse url
    const char *p = url + 5, *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    char hp[300];
    snprintf(hp, sizeof hp, "%.*s", (int)hl, p);
    char *colon = strrchr(hp, ':');
    if (colon) { *colon = 0; g_port = atoi(colon + 1); }
    snprintf(g_host, sizeof g_host, "%s", hp);
    snprintf(g_path, sizeof g_path, "%s", slash ? slash : "/");
    if (g_socketio && strstr(g_path, "EIO=") == NULL) {
      char tmp[1024];
      snprintf(tmp, sizeof tmp, "%s%sEIO=4&transport=websocket", g_path, strchr(g_path, '?') ? "&" : (g_path[strlen(g_path) - 1] == '/' ? "?" : "/?"));
      snprintf(g_path, sizeof g_path, "%s", tmp);
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(g_host, NULL, &hints, &res) != 0) { fprintf(stderr, "cannot resolve %s\n", g_host); return 2; }
    g_addr = *(struct sockaddr_in *)res->ai_addr;
    g_addr.sin_port = htons(g_port);
    freeaddrinfo(res);
  }
  g_handshake_len = snprintf(g_handshake, sizeof g_handshake,
                             "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                             g_path, g_host, g_port);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)g_conns + 64) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

  worker_t *ws = calloc(g_threads, sizeof(worker_t));
  for (int i = 0; i < g_threads; i++) {
    ws[i].id = i;
    ws[i].nconns = g_conns / g_threads + (i < g_conns % g_threads);
    ws[i].conns = calloc(ws[i].nconns, sizeof(conn_t));
  }
  uint64_t t0 = mono_ns();
  for (int i = 0; i < g_threads; i++) pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);

  // phase 0: wait until all connected/failed or connect timeout
  for (;;) {
    uint64_t done = atomic_load(&g_opened_total) + atomic_load(&g_failed_total);
    if (done >= (uint64_t)g_conns) break;
    if (mono_ns() - t0 > (uint64_t)(g_ctimeout * 1e9)) break;
    usleep(10000);
  }
  double connect_s = (mono_ns() - t0) / 1e9;
  fprintf(stderr, "wsload: connected %llu/%d in %.2fs\n", (unsigned long long)atomic_load(&g_opened_total), g_conns, connect_s); fflush(stderr);
  atomic_store(&g_phase, 1);
  usleep((useconds_t)(g_warmup * 1e6));
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  uint64_t ws_ns = mono_ns();
  struct sigaction sa = {.sa_handler = on_usr1};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  g_window_start_ns = now_ns();
  atomic_store(&g_phase, 2);
  fprintf(stderr, "wsload: window_start\n"); fflush(stderr);
  while (!g_stop_early && mono_ns() - ws_ns < (uint64_t)(g_duration * 1e9)) usleep(20000);
  atomic_store(&g_phase, 4);  // stop counting (workers keep looping until 3)
  uint64_t we_ns = mono_ns();
  getrusage(RUSAGE_SELF, &ru1);
  fprintf(stderr, "wsload: window_end\n"); fflush(stderr);
  atomic_store(&g_phase, 3);
  for (int i = 0; i < g_threads; i++) pthread_join(ws[i].th, NULL);
  double win = (we_ns - ws_ns) / 1e9;

  // merge
  uint64_t est = 0, cerr = 0, closed = 0, msgs = 0, bytes = 0, no_ts = 0, lat_n = 0;
  uint64_t gaps = 0, sdups = 0, idups = 0, dmin = UINT64_MAX, dmax = 0;
  double lat_sum = 0, lat_max = 0;
  static uint64_t hist[NBUCKETS];
  uint64_t per_min = UINT64_MAX, per_max = 0, open_now = 0;
  for (int i = 0; i < g_threads; i++) {
    worker_t *w = &ws[i];
    est += w->established; cerr += w->connect_errors; closed += w->closed_after_open;
    gaps += w->seq_gaps; sdups += w->seq_dups; idups += w->id_dups;
    msgs += w->msgs; bytes += w->bytes; no_ts += w->no_ts; lat_n += w->lat_n; lat_sum += w->lat_sum_us;
    if (w->lat_max_us > lat_max) lat_max = w->lat_max_us;
    for (int b = 0; b < NBUCKETS; b++) hist[b] += w->hist[b];
    for (int j = 0; j < w->nconns; j++) {
      conn_t *c = &w->conns[j];
      if (c->state == ST_OPEN) {
        open_now++;
        if (c->msgs < per_min) per_min = c->msgs;
        if (c->msgs > per_max) per_max = c->msgs;
        if (c->distinct < dmin) dmin = c->distinct;
        if (c->distinct > dmax) dmax = c->distinct;
      }
    }
  }
  if (!open_now) { per_min = 0; dmin = 0; }
  double q[5] = {0.5, 0.9, 0.99, 0.999, 1.0}, qv[5] = {0};
  for (int k = 0; k < 5; k++) {
    uint64_t target = (uint64_t)ceil(q[k] * lat_n), acc = 0;
    for (int b = 0; b < NBUCKETS; b++) { acc += hist[b]; if (acc >= target && target) { qv[k] = value_of(b); break; } }
  }
  // p99 of each minute of the window, to compare the start of a soak with its end
  static char by_minute[MAX_MINUTES * 16];
  size_t used = 0;
  by_minute[0] = 0;
  for (int m = 0; m < MAX_MINUTES; m++) {
    static uint64_t mh[NBUCKETS];
    uint64_t n = 0;
    memset(mh, 0, sizeof mh);
    for (int i = 0; i < g_threads; i++)
      for (int b = 0; b < NBUCKETS; b++) { mh[b] += ws[i].mhist[m][b]; n += ws[i].mhist[m][b]; }
    if (!n) break;
    uint64_t target = (uint64_t)ceil(0.99 * n), acc = 0;
    double v = 0;
    for (int b = 0; b < NBUCKETS; b++) { acc += mh[b]; if (acc >= target) { v = value_of(b); break; } }
    used += snprintf(by_minute + used, sizeof by_minute - used, "%s%.3f", m ? ", " : "", v / 1000);
  }
  double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
               (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  printf("{\"url\": \"ws://%s:%d%s\", \"socketio\": %s, \"threads\": %d, \"connections_target\": %d, "
         "\"connections_established\": %llu, \"connect_errors\": %llu, \"closed_after_open\": %llu, \"open_at_end\": %llu, "
         "\"connect_phase_s\": %.3f, \"window_s\": %.3f, \"deliveries\": %llu, \"deliveries_per_s\": %.1f, "
         "\"msgs_per_conn_per_s\": %.3f, \"per_conn_msgs_min\": %llu, \"per_conn_msgs_max\": %llu, "
         "\"mbytes_per_s\": %.2f, \"latency_samples\": %llu, \"msgs_without_ts\": %llu, "
         "\"latency_ms\": {\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f}, "
         "\"p99_by_minute_ms\": [%s], "
         "\"client_cpu_pct\": %.1f, \"seq_gaps\": %llu, \"seq_dups\": %llu, \"id_dups\": %llu, "
         "\"distinct_min\": %llu, \"distinct_max\": %llu}\n",
         g_host, g_port, g_path, g_socketio ? "true" : "false", g_threads, g_conns, (unsigned long long)est,
         (unsigned long long)cerr, (unsigned long long)closed, (unsigned long long)open_now, connect_s, win,
         (unsigned long long)msgs, msgs / win, open_now ? msgs / win / open_now : 0.0, (unsigned long long)per_min,
         (unsigned long long)per_max, bytes / win / 1e6, (unsigned long long)lat_n, (unsigned long long)no_ts,
         lat_n ? lat_sum / lat_n / 1000 : 0.0, qv[0] / 1000, qv[1] / 1000, qv[2] / 1000, qv[3] / 1000, lat_max / 1000,
         by_minute, 100.0 * cpu / win, (unsigned long long)gaps, (unsigned long long)sdups, (unsigned long long)idups,
         (unsigned long long)dmin, (unsigned long long)dmax);
  return 0;
}
