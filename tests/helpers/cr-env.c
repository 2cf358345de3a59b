/* A process's environment across a checkpoint: cwd, umask, rlimits, nice
 * value, name, the environment block.  (Not the personality: CRIU 4.2.1
 * dumps it but never restores it.) */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

int
main (void)
{
  struct rlimit nofile = { 512, 1024 }, core = { 0, 4096 }, got;
  char cwd[256], name[17] = "";

  CRT_CHECK (mkdir ("/tmp/deep", 0755) == 0 || errno == EEXIST, "mkdir");
  CRT_CHECK (mkdir ("/tmp/deep/dir", 0755) == 0 || errno == EEXIST, "mkdir");
  CRT_CHECK (chdir ("/tmp/deep/dir") == 0, "chdir");
  umask (0027);
  CRT_CHECK (setrlimit (RLIMIT_NOFILE, &nofile) == 0 && setrlimit (RLIMIT_CORE, &core) == 0, "setrlimit");
  CRT_CHECK (setpriority (PRIO_PROCESS, 0, 7) == 0, "setpriority");
  CRT_CHECK (prctl (PR_SET_NAME, "crt-env-name") == 0, "PR_SET_NAME");
  setenv ("CRT_VAR", "kept", 1);
  crt_ready ();
  crt_wait ();

  CRT_CHECK (getcwd (cwd, sizeof cwd) && strcmp (cwd, "/tmp/deep/dir") == 0, "cwd is %s", cwd);
  CRT_CHECK (umask (0) == 0027, "umask");
  CRT_CHECK (getrlimit (RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 512 && got.rlim_max == 1024,
             "RLIMIT_NOFILE %lu/%lu", (unsigned long)got.rlim_cur, (unsigned long)got.rlim_max);
  CRT_CHECK (getrlimit (RLIMIT_CORE, &got) == 0 && got.rlim_cur == 0 && got.rlim_max == 4096, "RLIMIT_CORE");
  errno = 0;
  CRT_CHECK (getpriority (PRIO_PROCESS, 0) == 7, "nice value");
  CRT_CHECK (prctl (PR_GET_NAME, name) == 0 && strcmp (name, "crt-env-name") == 0, "name is %s", name);
  CRT_CHECK (getenv ("CRT_VAR") && strcmp (getenv ("CRT_VAR"), "kept") == 0, "environment");
  CRT_CHECK (access ("../dir", F_OK) == 0, "relative paths from the cwd");
  crt_pass ();
}
