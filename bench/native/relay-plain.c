/*
 * Reference relay for bench/rtp-relay.ts, per-packet system calls: what the
 * plain node:dgram relay does, written in C, so the benchmark can tell the
 * kernel's share of a relayed packet's cost from Node's. A measurement
 * reference, not shipped code.
 *
 * Topology exactly as the plain Node relay in bench/rtp-relay.ts: two UDP
 * sockets per call on 127.0.0.1 (ephemeral ports), a datagram received on one
 * socket of a call is sent on as it is (no parsing) from the call's other
 * socket to the load generator. Level-triggered epoll; per ready socket one
 * recvfrom (a socket with more queued stays ready for the next epoll_wait), so
 * each relayed packet costs one recvfrom and one sendto, the epoll_wait shared
 * by every socket ready at that wake-up. A send that would block drops the
 * datagram (counted).
 *
 * The sockets, threads, stdin protocol and counters live in relay-common.h;
 * this file is only what is done with one ready socket.
 *
 * Usage: relay-plain CALLS [THREADS] [MAX_SECONDS]
 *   Prints {"ports":[...]} (socket 2c and 2c+1 are call c), then reads lines on
 *   stdin: a number is the generator's port (where everything is sent), "stop"
 *   (or end of input) prints
 *   {"packets":N,"recvCalls":R,"sendCalls":S,"waits":W,"dropped":D}
 *   and exits. With THREADS > 1 call c is served by thread c % THREADS (each its
 *   own epoll; a call's two sockets stay in one thread). The relay exits on its
 *   own after MAX_SECONDS (default 120), so a lost parent never leaves it running.
 */
#include "relay-common.h"

/* No state: the datagram buffer is per thread. */
static struct relay_state *relay_state_new(const struct sockaddr_in *dst) {
  (void)dst;
  return NULL;
}

static void relay_state_free(struct relay_state *s) { (void)s; }

static void relay_socket(struct worker *w, struct relay_state *s, int i, int port, const struct sockaddr_in *dst) {
  (void)s;
  static _Thread_local uint8_t buf[2048];
  struct sockaddr_in src;
  socklen_t sl = sizeof src;
  ssize_t r = recvfrom(fds[i], buf, sizeof buf, 0, (struct sockaddr *)&src, &sl);
  w->recv_calls++;
  if (r < 0 || port == 0) return;
  w->send_calls++;
  if (sendto(fds[i ^ 1], buf, (size_t)r, 0, (const struct sockaddr *)dst, sizeof *dst) == r) w->packets++;
  else w->dropped++;
}

int main(int argc, char **argv) { return relay_run(argc, argv); }
