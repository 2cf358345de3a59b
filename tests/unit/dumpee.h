/* A small process for a real `criu dump` (dumpee.c), shared by
 * test_criu_reader and mkimage (tests/bats/image.bats). */
#ifndef CRYO_TEST_DUMPEE_H
#define CRYO_TEST_DUMPEE_H

#include <sys/types.h>

/* What the process holds: its name, and how much memory it touched. */
#define DUMPEE_COMM "cryo-dumpee"
#define DUMPEE_TOUCHED (4 << 20)

/* Fork the process: its own session, two threads, fds 0-2 on /dev/null,
 * 10 /etc/hostname, 11 and 12 a pipe, 13 a TCP listener on 127.0.0.1
 * (its port in *port), 14 and 15 a unix socketpair, and nothing else.
 * Returns its pid once it is ready, -1 on failure. */
pid_t dumpee_start (unsigned *port);

/* `criu dump -t PID -D DIR -o LOG -v4` (LOG relative to DIR), then kill
 * and reap PID.  0 when CRIU succeeded. */
int dumpee_dump (pid_t pid, const char *dir, const char *log);

#endif
