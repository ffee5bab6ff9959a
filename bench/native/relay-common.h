/*
 * What bench/native/relay-plain.c and relay-batched.c share: the sockets, the
 * threads and their epoll loop, the stdin protocol, the counters and the
 * printing. Each relay keeps only what it does with one ready socket. A
 * measurement reference, not shipped code.
 *
 * Usage: RELAY CALLS [THREADS] [MAX_SECONDS]
 *   Prints {"ports":[...]} (socket 2c and 2c+1 are call c), then reads lines on
 *   stdin: a number is the generator's port (where everything is sent), "stop"
 *   (or end of input) prints
 *   {"packets":N,"recvCalls":R,"sendCalls":S,"waits":W,"dropped":D}
 *   and exits. With THREADS > 1 call c is served by thread c % THREADS (each its
 *   own epoll; a call's two sockets stay in one thread). The relay exits on its
 *   own after MAX_SECONDS (default 120), so a lost parent never leaves it running.
 *
 * Each relaying thread runs relay_thread(): a level-triggered epoll_wait on its
 * own epoll (100 ms timeout), then, for every ready socket i (its peer is
 * fds[i ^ 1]), the relay's relay_socket(). The including file defines the three
 * hooks declared below; relay_run() (called from its main) does the rest.
 */
#ifndef RELAY_COMMON_H
#define RELAY_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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

#define MAX_EVENTS 256
#define MAX_THREADS 8

static int nsocks;
static int *fds;
static int nthreads = 1;
static atomic_int gen_port = 0;
static atomic_int stopping = 0;

struct worker {
  pthread_t thread;
  int ep;
  uint64_t packets, recv_calls, send_calls, waits, dropped;
};
static struct worker workers[MAX_THREADS];

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What one relaying thread keeps between wake-ups: defined by the including file. */
struct relay_state;

/* A thread's state, set up once; `dst` (the generator's address, its port updated after
 * every wake-up) stays valid for the thread's life. */
static struct relay_state *relay_state_new(const struct sockaddr_in *dst);
/* Relays what socket i holds to the generator from fds[i ^ 1] (nothing is sent while
 * `port` is 0), counting into `w`. */
static void relay_socket(struct worker *w, struct relay_state *s, int i, int port, const struct sockaddr_in *dst);
static void relay_state_free(struct relay_state *s);

static void *relay_thread(void *arg) {
  struct worker *w = arg;
  struct epoll_event evs[MAX_EVENTS];
  struct sockaddr_in dst = {0};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct relay_state *s = relay_state_new(&dst);
  while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
    int n = epoll_wait(w->ep, evs, MAX_EVENTS, 100);
    w->waits++;
    int port = atomic_load_explicit(&gen_port, memory_order_relaxed);
    dst.sin_port = htons((uint16_t)port);
    for (int e = 0; e < n; e++) relay_socket(w, s, (int)evs[e].data.u32, port, &dst);
  }
  relay_state_free(s);
  return NULL;
}

/* The whole relay process: arguments, sockets, threads, the stdin protocol, the totals. */
static int relay_run(int argc, char **argv) {
  if (argc < 2) return 2;
  int calls = atoi(argv[1]);
  if (argc > 2) nthreads = atoi(argv[2]);
  int max_seconds = argc > 3 ? atoi(argv[3]) : 120;
  if (calls <= 0 || nthreads < 1 || nthreads > MAX_THREADS) return 2;
  nsocks = calls * 2;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nsocks + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  fds = calloc((size_t)nsocks, sizeof *fds);
  for (int t = 0; t < nthreads; t++) workers[t].ep = epoll_create1(0);
  printf("{\"ports\":[");
  for (int i = 0; i < nsocks; i++) {
    /* default buffer sizes, as node:dgram leaves them */
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) return 3;
    struct sockaddr_in me = {0};
    me.sin_family = AF_INET;
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fds[i], (struct sockaddr *)&me, sizeof me) != 0) return 4;
    socklen_t ml = sizeof me;
    getsockname(fds[i], (struct sockaddr *)&me, &ml);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(workers[(i / 2) % nthreads].ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) return 5;
    printf("%s%d", i ? "," : "", ntohs(me.sin_port));
  }
  printf("]}\n");
  fflush(stdout);
  for (int t = 0; t < nthreads; t++) pthread_create(&workers[t].thread, NULL, relay_thread, &workers[t]);

  /* stdin: the generator's port, then "stop"; polled so MAX_SECONDS holds */
  uint64_t deadline = now_ms() + (uint64_t)max_seconds * 1000u;
  int in = epoll_create1(0);
  struct epoll_event iev = {.events = EPOLLIN, .data.u32 = 0};
  epoll_ctl(in, EPOLL_CTL_ADD, 0, &iev);
  char line[256];
  size_t len = 0;
  while (now_ms() < deadline) {
    struct epoll_event ev;
    if (epoll_wait(in, &ev, 1, 200) <= 0) continue;
    ssize_t r = read(0, line + len, sizeof line - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
    line[len] = 0;
    char *nl;
    int stop = 0;
    while ((nl = strchr(line, '\n')) != NULL) {
      *nl = 0;
      if (strcmp(line, "stop") == 0) stop = 1;
      else if (line[0] != 0) atomic_store(&gen_port, atoi(line));
      len -= (size_t)(nl + 1 - line);
      memmove(line, nl + 1, len + 1);
    }
    if (stop) break;
    if (len >= sizeof line - 1) len = 0; /* an overlong line: dropped */
  }
  atomic_store(&stopping, 1);
  uint64_t packets = 0, recv_calls = 0, send_calls = 0, waits = 0, dropped = 0;
  for (int t = 0; t < nthreads; t++) {
    pthread_join(workers[t].thread, NULL);
    packets += workers[t].packets;
    recv_calls += workers[t].recv_calls;
    send_calls += workers[t].send_calls;
    waits += workers[t].waits;
    dropped += workers[t].dropped;
  }
  printf("{\"packets\":%llu,\"recvCalls\":%llu,\"sendCalls\":%llu,\"waits\":%llu,\"dropped\":%llu}\n",
         (unsigned long long)packets, (unsigned long long)recv_calls, (unsigned long long)send_calls,
         (unsigned long long)waits, (unsigned long long)dropped);
  fflush(stdout);
  return 0;
}

#endif
