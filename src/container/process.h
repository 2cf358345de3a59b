/* The container's processes as the runtime creates them.
 *
 * The runtime (parent) forks a stage-1 child, which joins the namespaces
 * given by path (the user namespace first, as runc's nsexec), creates the
 * new ones with one unshare(2) (so a new user namespace owns all the
 * others), has the parent write its uid/gid maps, sets the time offsets,
 * then forks init with CLONE_PARENT, so that init is the runtime's child
 * (a foreground `run` waits for it) and, with a new pid namespace, pid 1.
 * Init sets up the container (TEAM.md's order), reports "ready" and blocks
 * on the exec fifo until `cryo start`.
 *
 * Both children report failures through the sync socket (src/container/sync.h) and
 * _exit; nothing else here exits. */
#ifndef CRYO_PROCESS_H
#define CRYO_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/container.h"
#include "lib/error.h"
#include "spec/spec.h"

struct mount_plan;
struct cryo_seccomp;

/* What the children need, prepared by the runtime before the fork. */
struct container_ctx
{
  const struct container_create_options *opts;
  struct spec *spec;
  struct mount_plan *plan;
  struct cryo_seccomp *seccomp;
  pid_t runtime_pid;  /* the parent */
  int sync_fd;        /* the children's end of the sync socketpair */
  int fifo_fd;        /* the exec fifo, open read-write (never blocks) */
  int console_fd;     /* connected --console-socket, or -1 */
  bool console_to_parent; /* terminal without console socket: master goes to the runtime */
  int n_pass_fds;     /* fds 3 .. 3+n-1 reach the process: --preserve-fds + LISTEN_FDS */
  char **env;         /* process.env plus LISTEN_FDS / LISTEN_PID */
};

/* What the children of `cryo exec` need, prepared by the runtime. */
struct exec_ctx
{
  const char *id;               /* the container's, for its session keyring */
  bool join_keyring;            /* the container has its own session keyring */
  const struct spec *spec;      /* the container's config (user ns, personality) */
  const struct spec_process *process; /* what to run, merged with the container's */
  struct cryo_seccomp *seccomp; /* the container's filter, or NULL */
  int ns_fds[NS_MAX];           /* the container's namespaces we join; -1: shared */
  pid_t runtime_pid;
  int lock_fd;                  /* the runtime's container lock, closed at once */
  int sync_fd;                  /* the children's end of the sync socketpair */
  int console_fd;               /* connected --console-socket, or -1 */
  bool console_to_parent;       /* terminal without console socket */
  int n_pass_fds;               /* fds 3 .. 3+n-1 reach the process */
  char **env;                   /* the process's environment (+ LISTEN_FDS) */
};

/**
 * process_exec_stage1 - in the stage-1 child of `cryo exec`: never returns
 *
 * Joins the namespaces of @ctx (user first), forks with CLONE_PARENT the
 * process that becomes the exec'd one (in the container's pid namespace,
 * the runtime's child), reports its pid (SYNC_EXEC_PID) and exits.  That
 * process waits for SYNC_EXEC_GO, sets itself up as runc's setns init does
 * (session, keyring, console, limits, user, cwd inside the root, fds,
 * capabilities, seccomp, LSM label) and execs; its errors come back as
 * SYNC_ERROR.
 */
_Noreturn void process_exec_stage1 (struct exec_ctx *ctx);

/* Default dispositions and an empty mask, as a fresh process has them. */
void process_reset_signals (void);

/**
 * process_load_seccomp - load the filter (once) and hand its notify fd on
 *
 * With SCMP_ACT_NOTIFY rules the notify fd goes to the runtime over
 * @sync_fd (SYNC_SECCOMP), which sends it to the seccomp agent; we wait for
 * SYNC_SECCOMP_DONE, so no notified call of ours waits for an agent that
 * cannot see it yet.  A filter loaded already does nothing.
 */
int process_load_seccomp (struct cryo_seccomp *seccomp, int sync_fd, cryo_error_t *err);

/* Without process.noNewPrivileges: load the seccomp filter, before the
 * user is set (then the process still has CAP_SYS_ADMIN).  With it: nothing
 * (process_apply_security loads it). */
int process_load_seccomp_privileged (const struct spec_process *p, struct cryo_seccomp *seccomp, int sync_fd,
                                     cryo_error_t *err);

/* NO_NEW_PRIVS, capabilities, the seccomp filter when NO_NEW_PRIVS is set,
 * and the LSM label, in runc's order: the last steps before execve. */
int process_apply_security (const struct spec_process *p, struct cryo_seccomp *seccomp, int sync_fd,
                            cryo_error_t *err);

/* systemd socket activation passed on as runc does: when LISTEN_PID is us,
 * add LISTEN_FDS=N and LISTEN_PID=1 to @env and return N, else 0. */
int process_env_listen_fds (char ***env);

/* In the stage-1 child, right after fork: never returns. */
_Noreturn void process_stage1 (struct container_ctx *ctx);

/* In init (called by stage-1 after the fork): never returns. */
_Noreturn void process_init (struct container_ctx *ctx);

/* process-ns.c */
int process_join_namespaces (const struct spec *spec, cryo_error_t *err);
int process_unshare_namespaces (const struct spec *spec, cryo_error_t *err);
int process_set_time_offsets (const struct spec *spec, cryo_error_t *err);
int process_set_uts (const struct spec *spec, cryo_error_t *err);
/* Join (or make) the session keyring "_ses.<id>" and let the container's
 * later processes (exec) find it by name: search permission for its user,
 * or for everyone when the container has a user namespace (runc). */
int process_join_session_keyring (const char *id, cryo_error_t *err);

/* process-ids.c */
/* In the runtime: write /proc/PID/{uid_map,gid_map} from linux.uidMappings... */
int process_write_id_maps (pid_t pid, const struct spec *spec, cryo_error_t *err);
/* In init: supplementary groups, gid, uid (keeping capabilities for caps_apply). */
int process_set_user (const struct spec_user *user, cryo_error_t *err);
/* HOME from the container's /etc/passwd when process.env lacks it ("/" otherwise). */
void process_env_add_home (char ***env, uid_t uid);

/* process-exec.c */
int process_set_rlimits (const struct spec_process *p, cryo_error_t *err);
int process_set_oom_score_adj (pid_t pid, const struct spec_process *p, cryo_error_t *err);
/* Resolve args[0] like execvp, in the current root, with PATH from @env. */
int process_find_executable (const char *name, char *const *env, char **path, cryo_error_t *err);
/* chdir to process.cwd (created first with @create), and make sure it is
 * inside the container's root. */
int process_chdir (const char *cwd, bool create, cryo_error_t *err);
/* Before the user change: chdir to process.cwd as the runtime, which may
 * reach a cwd the process's user cannot (runc's order).  *@done says whether
 * it worked; when not, process_chdir runs again as the user. */
int process_chdir_early (const char *cwd, bool *done, cryo_error_t *err);
/* Mark every fd from 3 + @n_pass_fds up close-on-exec. */
int process_close_fds (int n_pass_fds, cryo_error_t *err);

#endif
