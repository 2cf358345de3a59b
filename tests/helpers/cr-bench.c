/* The benchmark's container program (tests/bench/checkpoint.sh): holds N
 * MiB of touched, non-zero memory and measures the longest pause it sees
 * between iterations of a 1 ms loop (CLOCK_REALTIME, the host's clock):
 * the downtime of a --leave-running checkpoint, as the application sees it.
 * Each time /tmp/bench-report appears it writes the longest pause since
 * the last report (microseconds) to /tmp/bench-gap and starts again.
 * Usage: cr-bench MIB */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <stdint.h>

static uint64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
main (int argc, char **argv)
{
  size_t mib = argc > 1 ? strtoul (argv[1], NULL, 10) : 0, len = mib << 20;
  unsigned char *mem = len ? malloc (len) : NULL;
  uint64_t last, gap = 0;
  char text[32];

  CRT_CHECK (len == 0 || mem != NULL, "allocate %zu MiB", mib);
  for (size_t i = 0; i < len; i += 4096)
    mem[i] = (unsigned char)(i >> 12 | 1);
  crt_ready ();
  last = now_us ();
  for (;;)
    {
      uint64_t t;
      crt_sleep_ms (1);
      t = now_us ();
      if (t - last > gap)
        gap = t - last;
      last = t;
      if (access ("/tmp/bench-report", F_OK) == 0)
        {
          snprintf (text, sizeof text, "%llu\n", (unsigned long long)gap);
          unlink ("/tmp/bench-report");
          crt_write_file ("/tmp/bench-gap", text);
          gap = 0;
          last = now_us ();
        }
    }
}
