/*
 * Reference relay for bench/rtp-relay.ts, batched system calls: the topology
 * of bench/native/relay-plain.c (two UDP sockets per call on 127.0.0.1, a
 * datagram received on one socket of a call sent on as it is from the call's
 * other socket to the load generator, level-triggered epoll), but each ready
 * socket is drained with one recvmmsg (up to BATCH datagrams, MSG_DONTWAIT) and
 * what it returned goes out with one sendmmsg on the other socket. This is the
 * batched datagram I/O node:dgram does not offer; the printed counters say how
 * many datagrams one call moved on average. A measurement reference, not
 * shipped code.
 *
 * recvmmsg and sendmmsg batch per socket: with a socket per call leg, a socket
 * holds what arrived on that leg since the last wake-up (one packet per 20 ms
 * for a G.711 stream), so the batches stay small unless the relay is behind.
 *
 * The sockets, threads, stdin protocol and counters live in relay-common.h;
 * this file is only what is done with one ready socket.
 *
 * Usage: relay-batched CALLS [THREADS] [MAX_SECONDS]
 *   Same protocol as relay-plain: prints {"ports":[...]} (socket 2c and 2c+1
 *   are call c), reads the generator's port and then "stop" on stdin, prints
 *   {"packets":N,"recvCalls":R,"sendCalls":S,"waits":W,"dropped":D} and exits.
 *   With THREADS > 1 call c is served by thread c % THREADS (each its own
 *   epoll). Exits on its own after MAX_SECONDS (default 120).
 */
#include "relay-common.h"

#define BATCH 64
#define DGRAM 2048

/* A thread's batch: BATCH receive slots, each sent on from the same buffer. */
struct relay_state {
  uint8_t bufs[BATCH][DGRAM];
  struct mmsghdr in[BATCH], out[BATCH];
  struct iovec iin[BATCH], iout[BATCH];
  struct sockaddr_in src[BATCH];
};

static struct relay_state *relay_state_new(const struct sockaddr_in *dst) {
  struct relay_state *s = calloc(1, sizeof *s);
  if (s == NULL) abort();
  for (int k = 0; k < BATCH; k++) {
    s->iin[k].iov_base = s->bufs[k];
    s->iin[k].iov_len = DGRAM;
    s->in[k].msg_hdr.msg_iov = &s->iin[k];
    s->in[k].msg_hdr.msg_iovlen = 1;
    s->iout[k].iov_base = s->bufs[k];
    s->out[k].msg_hdr.msg_iov = &s->iout[k];
    s->out[k].msg_hdr.msg_iovlen = 1;
    s->out[k].msg_hdr.msg_name = (void *)dst;
    s->out[k].msg_hdr.msg_namelen = sizeof *dst;
  }
  return s;
}

static void relay_state_free(struct relay_state *s) { free(s); }

static void relay_socket(struct worker *w, struct relay_state *s, int i, int port, const struct sockaddr_in *dst) {
  (void)dst; /* every out[k] already names it */
  for (int k = 0; k < BATCH; k++) {
    s->in[k].msg_hdr.msg_name = &s->src[k];
    s->in[k].msg_hdr.msg_namelen = sizeof s->src[k];
  }
  int got = recvmmsg(fds[i], s->in, BATCH, MSG_DONTWAIT, NULL);
  w->recv_calls++;
  if (got <= 0 || port == 0) return;
  for (int k = 0; k < got; k++) s->iout[k].iov_len = s->in[k].msg_len;
  int done = 0;
  while (done < got) {
    int n = sendmmsg(fds[i ^ 1], s->out + done, (unsigned)(got - done), 0);
    w->send_calls++;
    if (n <= 0) {
      w->dropped += (uint64_t)(got - done); /* would block (or failed): dropped */
      break;
    }
    done += n;
    w->packets += (uint64_t)n;
  }
}

int main(int argc, char **argv) { return relay_run(argc, argv); }
