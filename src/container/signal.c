/* Signal names as runc accepts them: "KILL", "SIGKILL", "kill", "9", and
 * the real-time signals as "RTMIN+N" / "RTMAX-N". */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "container/container.h"
#include "lib/util.h"

static const struct
{
  const char *name;
  int sig;
} signal_table[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },     { "CLD", SIGCHLD },    { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH },   { "IO", SIGIO },       { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

/* "RTMIN", "RTMIN+3", "RTMAX-2" (name without "SIG"); -1 if not one. */
static int
parse_rt (const char *name)
{
  int base, sign;
  int64_t off = 0;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, sign = 1;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, sign = -1;
  else
    return -1;
  name += 5;
  if (*name != '\0')
    {
      if (*name != (sign > 0 ? '+' : '-') || parse_int64 (name + 1, &off) < 0 || off < 0)
        return -1;
    }
  base += sign * (int) off;
  return base >= SIGRTMIN && base <= SIGRTMAX ? base : -1;
}

int
signal_parse (const char *name, int *sig, cryo_error_t *err)
{
  const char *n = name;
  int64_t num;

  if (name == NULL || *name == '\0')
    return cryo_error (err, 0, "unknown signal ``");
  if (parse_int64 (name, &num) == 0)
    {
      /* 0 sends nothing but checks the container is there (runc, kill(2)). */
      if (num < 0 || num > SIGRTMAX)
        return cryo_error (err, 0, "invalid signal number `%s`: use 0 to %d", name, SIGRTMAX);
      *sig = (int) num;
      return 0;
    }
  if (strncasecmp (n, "SIG", 3) == 0)
    n += 3;
  for (size_t i = 0; i < ARRAY_SIZE (signal_table); i++)
    if (strcasecmp (signal_table[i].name, n) == 0)
      {
        *sig = signal_table[i].sig;
        return 0;
      }
  num = parse_rt (n);
  if (num > 0)
    {
      *sig = (int) num;
      return 0;
    }
  return cryo_error (err, 0, "unknown signal `%s` (see `kill -l`)", name);
}
