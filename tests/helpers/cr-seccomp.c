/* A seccomp filter across a checkpoint: getpriority(2) fails with ENOMSG
 * before and after, other calls work, and the filter count stays one. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static int
seccomp_line (const char *key)
{
  char buf[4096], *p;
  int fd = open ("/proc/self/status", O_RDONLY), v = -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);

  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strstr (buf, key);
  if (p)
    v = atoi (p + strlen (key));
  return v;
}

int
main (void)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOMSG),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof code / sizeof code[0], code };

  CRT_CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
  CRT_CHECK (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0, "load the filter");
  errno = 0;
  CRT_CHECK (getpriority (PRIO_PROCESS, 0) == -1 && errno == ENOMSG, "the filter does not work before");
  crt_ready ();
  crt_wait ();

  errno = 0;
  CRT_CHECK (getpriority (PRIO_PROCESS, 0) == -1 && errno == ENOMSG, "the filter is gone");
  CRT_CHECK (getpid () > 0 && access ("/", F_OK) == 0, "other calls fail");
  CRT_CHECK (seccomp_line ("Seccomp:") == 2, "Seccomp mode %d", seccomp_line ("Seccomp:"));
  CRT_CHECK (seccomp_line ("Seccomp_filters:") == 1, "%d filters", seccomp_line ("Seccomp_filters:"));
  crt_pass ();
}
