/* Signals across a checkpoint: handlers with their flags and masks, the
 * blocked mask, pending standard and queued real-time signals (with their
 * values, in order), and one pending for a single thread. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <pthread.h>
#include <signal.h>

static volatile int usr2_count, rt_count, rt_values[4], thread_got;

static void
on_usr2 (int sig)
{
  (void)sig;
  usr2_count++;
}

static void
on_rt (int sig, siginfo_t *si, void *ctx)
{
  (void)sig;
  (void)ctx;
  if (rt_count < 4)
    rt_values[rt_count] = si->si_value.sival_int;
  rt_count++;
}

static void
on_usr1 (int sig)
{
  (void)sig;
  thread_got++;
}

static void *
blocked_thread (void *arg)
{
  sigset_t set;
  (void)arg;
  sigemptyset (&set);
  sigaddset (&set, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
  for (;;)
    {
      if (access (CRT_GO, F_OK) == 0)
        {
          pthread_sigmask (SIG_UNBLOCK, &set, NULL); /* the pending SIGUSR1 arrives here */
          for (;;)
            pause ();
        }
      crt_sleep_ms (20);
    }
  return NULL;
}

int
main (void)
{
  struct sigaction sa = { 0 }, got;
  sigset_t block, pending, mask;
  pthread_t th;
  int rt = SIGRTMIN + 1;

  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  sigaddset (&sa.sa_mask, SIGHUP);
  CRT_CHECK (sigaction (SIGUSR2, &sa, NULL) == 0, "sigaction USR2");
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  CRT_CHECK (sigaction (rt, &sa, NULL) == 0, "sigaction RT");
  sa.sa_handler = on_usr1;
  sa.sa_flags = 0;
  CRT_CHECK (sigaction (SIGUSR1, &sa, NULL) == 0, "sigaction USR1");
  signal (SIGPIPE, SIG_IGN);

  /* main thread: USR2 and RT blocked (and pending), USR1 too (it is the thread's) */
  sigemptyset (&block);
  sigaddset (&block, SIGUSR2);
  sigaddset (&block, rt);
  sigaddset (&block, SIGUSR1);
  CRT_CHECK (pthread_sigmask (SIG_BLOCK, &block, NULL) == 0, "block");
  CRT_CHECK (pthread_create (&th, NULL, blocked_thread, NULL) == 0, "thread");
  raise (SIGUSR2);
  raise (SIGUSR2); /* a standard signal is pending once */
  CRT_CHECK (sigqueue (getpid (), rt, (union sigval){ .sival_int = 11 }) == 0, "sigqueue");
  CRT_CHECK (sigqueue (getpid (), rt, (union sigval){ .sival_int = 22 }) == 0, "sigqueue");
  crt_sleep_ms (100);                                          /* let the thread block USR1 */
  CRT_CHECK (pthread_kill (th, SIGUSR1) == 0, "pthread_kill"); /* pending for that thread only */
  crt_ready ();
  crt_wait ();

  CRT_CHECK (sigaction (SIGUSR2, NULL, &got) == 0 && got.sa_handler == on_usr2 && (got.sa_flags & SA_RESTART)
                 && sigismember (&got.sa_mask, SIGHUP),
             "the USR2 handler changed");
  CRT_CHECK (sigaction (SIGPIPE, NULL, &got) == 0 && got.sa_handler == SIG_IGN, "SIGPIPE is not ignored");
  CRT_CHECK (pthread_sigmask (SIG_SETMASK, NULL, &mask) == 0 && sigismember (&mask, SIGUSR2)
                 && sigismember (&mask, rt),
             "the blocked mask changed");
  CRT_CHECK (sigpending (&pending) == 0 && sigismember (&pending, SIGUSR2) && sigismember (&pending, rt),
             "pending signals are lost");
  CRT_CHECK (usr2_count == 0 && rt_count == 0, "a signal was delivered while blocked");
  crt_sleep_ms (300);
  CRT_CHECK (thread_got == 1, "the thread's pending SIGUSR1 arrived %d times", thread_got);
  CRT_CHECK (pthread_sigmask (SIG_UNBLOCK, &block, NULL) == 0, "unblock");
  CRT_CHECK (usr2_count == 1, "USR2 arrived %d times", usr2_count);
  CRT_CHECK (rt_count == 2 && rt_values[0] == 11 && rt_values[1] == 22, "RT signals: %d, values %d %d",
             rt_count, rt_values[0], rt_values[1]);
  raise (SIGUSR2);
  CRT_CHECK (usr2_count == 2, "a new signal is not handled");
  crt_pass ();
}
