/* Timers across a checkpoint: an interval itimer, a POSIX timer, a
 * timerfd, and a long one-shot timer that must neither fire early nor be
 * lost; the periodic ones keep firing after the restore. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <signal.h>
#include <sys/time.h>
#include <stdint.h>
#include <sys/timerfd.h>

static volatile unsigned long alarms, rt_ticks;

static void
on_alarm (int sig)
{
  (void)sig;
  alarms++;
}

static void
on_rt (int sig)
{
  (void)sig;
  rt_ticks++;
}

int
main (void)
{
  struct itimerval it = { { 0, 50000 }, { 0, 50000 } }, got;
  struct itimerspec pt = { { 0, 30000000 }, { 0, 30000000 } }, longone = { { 0, 0 }, { 3600, 0 } }, pg;
  struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2 };
  timer_t t, tl;
  unsigned long a0, r0;
  uint64_t n0 = 0, n1 = 0;
  int tfd;

  signal (SIGALRM, on_alarm);
  signal (SIGRTMIN + 2, on_rt);
  CRT_CHECK (setitimer (ITIMER_REAL, &it, NULL) == 0, "setitimer");
  CRT_CHECK (timer_create (CLOCK_MONOTONIC, &sev, &t) == 0 && timer_settime (t, 0, &pt, NULL) == 0, "timer");
  sev.sigev_signo = SIGRTMIN + 3; /* would kill us if it fired */
  CRT_CHECK (timer_create (CLOCK_MONOTONIC, &sev, &tl) == 0 && timer_settime (tl, 0, &longone, NULL) == 0,
             "long timer");
  tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK);
  CRT_CHECK (tfd >= 0
                 && timerfd_settime (tfd, 0, &(struct itimerspec){ { 0, 40000000 }, { 0, 40000000 } }, NULL)
                        == 0,
             "timerfd");
  crt_sleep_ms (200);
  crt_ready ();
  crt_wait ();

  CRT_CHECK (getitimer (ITIMER_REAL, &got) == 0 && got.it_interval.tv_usec == 50000, "the itimer's interval");
  CRT_CHECK (timer_gettime (t, &pg) == 0 && pg.it_interval.tv_nsec == 30000000, "the POSIX timer's interval");
  CRT_CHECK (timer_gettime (tl, &pg) == 0 && pg.it_value.tv_sec > 3000 && pg.it_value.tv_sec <= 3600,
             "the long timer has %ld s left", (long)pg.it_value.tv_sec);
  CRT_CHECK (timerfd_gettime (tfd, &pg) == 0 && pg.it_interval.tv_nsec == 40000000, "the timerfd's interval");
  (void)!read (tfd, &n0, sizeof n0);
  a0 = alarms;
  r0 = rt_ticks;
  crt_sleep_ms (300);
  CRT_CHECK (alarms > a0 && rt_ticks > r0, "periodic timers stopped (%lu %lu)", alarms - a0, rt_ticks - r0);
  CRT_CHECK (read (tfd, &n1, sizeof n1) == sizeof n1 && n1 > 0, "the timerfd stopped");
  crt_pass ();
}
