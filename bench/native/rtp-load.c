/*
 * Load generator and sink for bench/rtp-relay.ts: paced RTP streams sent
 * through a relay under test, received back, counted and timed.
 *
 * One UDP socket on 127.0.0.1 sends every stream and receives every relayed
 * packet (the relay's legs all have it as their remote, so symmetric RTP and
 * strict source learning see one well-behaved peer). Stream s goes to port
 * ports[s]; streams are spread evenly over the packet interval and sent with
 * sendmmsg in 1 ms slots (clock_nanosleep to absolute slot boundaries, so the
 * pacing does not drift). A second thread receives with recvmmsg. Each payload
 * carries the stream index, a per-stream counter and the send time
 * (CLOCK_MONOTONIC ns), so the sink counts loss per stream and the added
 * latency of each packet.
 *
 * Usage: rtp-load DURATION_MS PACKETS_PER_SECOND [raw]
 *   The local port is printed on stdout first ("port=N"); then the generator
 *   reads a line from stdin naming the ports file (first line the stream count,
 *   then one destination port per line) and starts sending, so the relay can
 *   be pointed at the generator before it is told where to send.
 *   With `raw`, each line of the ports file is "PORT PT HEXPAYLOAD": the
 *   payload is sent as given (e.g. an Opus packet for a transcoding leg), no
 *   stamp is written into it, and the sink only counts datagrams.
 * Streams start one after another over the first RAMP_MS (as calls do; a
 * relay learning 1000 sources in the same millisecond is an artefact), and
 * latency is recorded for packets sent after the ramp; loss counts everything.
 *
 * Prints: "sent=S received=R dup=D p50_us=X p99_us=Y max_us=Z late_slots=L cpu_us=C"
 * (C: the generator's own CPU time, both threads, user + system: on loopback the
 * kernel's delivery of what it sends is charged to it).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 160
#define PKT (12 + PAYLOAD)
#define BATCH 64
#define HIST_US 200000
#define RAMP_MS 1000

static int sock;
static int nstreams;
static uint16_t *ports;
static volatile int stop_rx = 0;
static uint64_t *rx_count;
static uint32_t *hist;
static uint64_t received = 0, dups = 0, maxlat = 0, overflow = 0, timed = 0;
static uint64_t measure_from_ns = 0;
static uint32_t *last_ctr;
static int raw_mode = 0;
static uint64_t raw_received = 0;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *rx_main(void *arg) {
  (void)arg;
  static uint8_t bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (!stop_rx) {
    int n = recvmmsg(sock, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    uint64_t t = now_ns();
    if (raw_mode) {
      for (int i = 0; i < n; i++)
        if ((bufs[i][1] & 0x7f) < 72 || (bufs[i][1] & 0x7f) > 79) raw_received++;
      continue;
    }
    for (int i = 0; i < n; i++) {
      uint8_t *b = bufs[i];
      if (msgs[i].msg_len != PKT || (b[1] & 0x7f) >= 72) continue; /* RTCP and others */
      uint32_t s, c;
      uint64_t sent;
      memcpy(&s, b + 12, 4);
      memcpy(&c, b + 16, 4);
      memcpy(&sent, b + 20, 8);
      if (s >= (uint32_t)nstreams) continue;
      rx_count[s]++;
      received++;
      if (c == last_ctr[s]) dups++;
      last_ctr[s] = c;
      if (sent < measure_from_ns) continue;
      timed++;
      uint64_t us = (t - sent) / 1000;
      if (us > maxlat) maxlat = us;
      if (us < HIST_US) hist[us]++;
      else overflow++;
    }
  }
  return NULL;
}

static uint64_t pct(double p) {
  uint64_t want = (uint64_t)(p * (double)timed), acc = 0;
  for (int i = 0; i < HIST_US; i++) {
    acc += hist[i];
    if (acc > want) return i;
  }
  return HIST_US;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int duration_ms = atoi(argv[1]);
  int pps = atoi(argv[2]);
  raw_mode = argc > 3 && strcmp(argv[3], "raw") == 0;
  hist = calloc(HIST_US, sizeof *hist);

  sock = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct timeval tv = {0, 100000};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in me = {0};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(sock, (struct sockaddr *)&me, sizeof me) != 0) return 5;
  socklen_t ml = sizeof me;
  getsockname(sock, (struct sockaddr *)&me, &ml);
  printf("port=%d\n", ntohs(me.sin_port));
  fflush(stdout);
  char line[4096];
  if (!fgets(line, sizeof line, stdin)) return 6;
  line[strcspn(line, "\r\n")] = 0;
  FILE *f = fopen(line, "r");
  if (!f || fscanf(f, "%d", &nstreams) != 1 || nstreams <= 0) return 3;
  ports = calloc(nstreams, sizeof *ports);
  int *pts = calloc(nstreams, sizeof *pts);
  int *lens = calloc(nstreams, sizeof *lens);
  uint8_t (*payloads)[1400] = calloc(nstreams, 1400);
  for (int i = 0; i < nstreams; i++) {
    int p;
    if (fscanf(f, "%d", &p) != 1) return 4;
    ports[i] = (uint16_t)p;
    if (raw_mode) {
      static char hex[2900];
      if (fscanf(f, "%d %2899s", &pts[i], hex) != 2) return 4;
      lens[i] = (int)(strlen(hex) / 2);
      for (int k = 0; k < lens[i]; k++) sscanf(hex + 2 * k, "%2hhx", &payloads[i][k]);
    }
  }
  fclose(f);
  rx_count = calloc(nstreams, sizeof *rx_count);
  last_ctr = calloc(nstreams, sizeof *last_ctr);
  for (int i = 0; i < nstreams; i++) last_ctr[i] = 0xffffffffu;

  pthread_t rx;
  pthread_create(&rx, NULL, rx_main, NULL);

  /* per stream: destination, RTP header state */
  struct sockaddr_in *dst = calloc(nstreams, sizeof *dst);
  uint8_t (*pkts)[12 + 1400] = calloc(nstreams, 12 + 1400);
  uint32_t *ctr = calloc(nstreams, sizeof *ctr);
  for (int s = 0; s < nstreams; s++) {
    dst[s].sin_family = AF_INET;
    dst[s].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst[s].sin_port = htons(ports[s]);
    uint8_t *b = pkts[s];
    b[0] = 0x80;
    b[1] = raw_mode ? (uint8_t)pts[s] : 0; /* PCMU */
    uint32_t ssrc = htonl(0x10000000u + s);
    memcpy(b + 8, &ssrc, 4);
    if (raw_mode) memcpy(b + 12, payloads[s], lens[s]);
    else memset(b + 12, 0xff, PAYLOAD);
  }
  int interval_ms = 1000 / pps;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint64_t sent = 0, late_slots = 0;
  uint64_t t0 = now_ns() + 2000000;
  measure_from_ns = t0 + (uint64_t)RAMP_MS * 1000000ull;
  int slots = duration_ms;
  for (int k = 0; k < slots; k++) {
    uint64_t due = t0 + (uint64_t)k * 1000000ull;
    struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (now_ns() > due + 1000000ull) late_slots++;
    int phase = k % interval_ms;
    int nb = 0;
    /* streams with index ≡ phase (mod interval) send in this slot */
    for (int s = phase; s < nstreams; s += interval_ms) {
      if ((long)s * RAMP_MS > (long)k * nstreams) break; /* not started yet (streams start in index order) */
      uint8_t *b = pkts[s];
      uint32_t c = ctr[s]++;
      uint16_t seq = htons((uint16_t)c);
      /* 20 ms of RTP clock: 160 at 8 kHz, 960 for Opus (48 kHz) */
      uint32_t rts = htonl(c * (raw_mode && pts[s] >= 96 ? 960u : 160u));
      memcpy(b + 2, &seq, 2);
      memcpy(b + 4, &rts, 4);
      if (!raw_mode) {
        uint32_t si = (uint32_t)s;
        memcpy(b + 12, &si, 4);
        memcpy(b + 16, &c, 4);
        uint64_t t = now_ns();
        memcpy(b + 20, &t, 8);
      }
      iov[nb].iov_base = b;
      iov[nb].iov_len = raw_mode ? 12 + lens[s] : PKT;
      memset(&msgs[nb], 0, sizeof msgs[nb]);
      msgs[nb].msg_hdr.msg_name = &dst[s];
      msgs[nb].msg_hdr.msg_namelen = sizeof dst[s];
      msgs[nb].msg_hdr.msg_iov = &iov[nb];
      msgs[nb].msg_hdr.msg_iovlen = 1;
      if (++nb == BATCH) {
        int r = sendmmsg(sock, msgs, nb, 0);
        if (r > 0) sent += r;
        nb = 0;
      }
    }
    if (nb > 0) {
      int r = sendmmsg(sock, msgs, nb, 0);
      if (r > 0) sent += r;
    }
  }
  usleep(400000);
  stop_rx = 1;
  pthread_join(rx, NULL);
  if (raw_mode) received = raw_received;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  unsigned long long cpu_us = (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
                              (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  printf("sent=%llu received=%llu dup=%llu p50_us=%llu p99_us=%llu max_us=%llu late_slots=%llu cpu_us=%llu\n",
         (unsigned long long)sent, (unsigned long long)received, (unsigned long long)dups,
         (unsigned long long)pct(0.5), (unsigned long long)pct(0.99), (unsigned long long)maxlat,
         (unsigned long long)late_slots, cpu_us);
  return 0;
}
