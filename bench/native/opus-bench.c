/*
 * Native libopus peer for bench/codecs.ts: encodes and decodes the same 16-bit
 * mono PCM, in 20 ms frames, with the same settings as OpusCodec (VOIP,
 * voice signal, bitrate, complexity), timing opus_encode/opus_decode in-process.
 * Usage: opus-bench RATE BITRATE COMPLEXITY PCM_FILE
 * Prints: "encode_us=<median µs/frame> decode_us=<median µs/frame> bytes=<avg>"
 */
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int rate = atoi(argv[1]), bitrate = atoi(argv[2]), complexity = atoi(argv[3]);
  FILE *f = fopen(argv[4], "rb");
  if (!f) return 3;
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  opus_int16 *pcm = malloc(bytes);
  if (fread(pcm, 1, bytes, f) != (size_t)bytes) return 4;
  fclose(f);
  int n = rate / 50, frames = (int)(bytes / 2 / n);
  int err;
  OpusEncoder *enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err);
  OpusDecoder *dec = opus_decoder_create(rate, 1, &err);
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
  opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  unsigned char(*packets)[1500] = malloc((size_t)frames * 1500);
  int *len = malloc(sizeof(int) * frames);
  opus_int16 out[5760];
  enum { ROUNDS = 5 };
  double e[ROUNDS], d[ROUNDS];
  long total = 0, decoded = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t0 = now_us();
    for (int i = 0; i < frames; i++) len[i] = opus_encode(enc, pcm + (long)i * n, n, packets[i], 1500);
    e[r] = (now_us() - t0) / frames;
    t0 = now_us();
    for (int i = 0; i < frames; i++) decoded += opus_decode(dec, packets[i], len[i], out, 5760, 0);
    d[r] = (now_us() - t0) / frames;
  }
  for (int i = 0; i < frames; i++) total += len[i];
  qsort(e, ROUNDS, sizeof(double), cmp);
  qsort(d, ROUNDS, sizeof(double), cmp);
  printf("encode_us=%.3f decode_us=%.3f bytes=%.1f samples=%ld version=%s\n", e[ROUNDS / 2], d[ROUNDS / 2],
         (double)total / frames, decoded, opus_get_version_string());
  return 0;
}
