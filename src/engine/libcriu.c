/* libcriu, loaded when the engine first needs it (src/lib/dynlib.h).
 *
 * Every public criu_local_* function of libcriu is here, plus the two
 * notification helpers, so engine code calls libcriu as usual.  A function
 * added to libcriu after 4.2 needs one line below.  The global-options API
 * (criu_set_*, criu_dump...) is deliberately absent: cryo passes explicit
 * criu_opts. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>

#include <criu/criu.h>

#include "lib/dynlib.h"
#include "engine/internal.h"

#ifndef CRIU_LIBDIR
#define CRIU_LIBDIR NULL
#endif
#ifndef CRIU_SONAME
#define CRIU_SONAME "libcriu.so.2"
#endif

/* X-macro: F (ret, name, (params), (args), failure), V (name, (params), (args)). */
#define LIBCRIU_FUNCTIONS(F, V)                                                                              \
  F (int, criu_notify_pid, (criu_notify_arg_t na), (na), -EOPNOTSUPP)                                        \
  F (int, criu_get_orphan_pts_master_fd, (void), (), -EOPNOTSUPP)                                            \
  F (int, criu_local_init_opts, (criu_opts * *opts), (opts), -EOPNOTSUPP)                                    \
  V (criu_local_free_opts, (criu_opts * opts), (opts))                                                       \
  F (int, criu_local_set_service_address, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)   \
  V (criu_local_set_pid, (criu_opts * opts, int pid), (opts, pid))                                           \
  V (criu_local_set_images_dir_fd, (criu_opts * opts, int fd), (opts, fd))                                   \
  F (int, criu_local_set_parent_images, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)     \
  F (int, criu_local_set_service_binary, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)    \
  V (criu_local_set_work_dir_fd, (criu_opts * opts, int fd), (opts, fd))                                     \
  V (criu_local_set_leave_running, (criu_opts * opts, bool leave_running), (opts, leave_running))            \
  V (criu_local_set_ext_unix_sk, (criu_opts * opts, bool ext_unix_sk), (opts, ext_unix_sk))                  \
  F (int, criu_local_add_unix_sk, (criu_opts * opts, unsigned int inode), (opts, inode), -EOPNOTSUPP)        \
  V (criu_local_set_tcp_established, (criu_opts * opts, bool tcp_established), (opts, tcp_established))      \
  V (criu_local_set_tcp_skip_in_flight, (criu_opts * opts, bool tcp_skip_in_flight),                         \
     (opts, tcp_skip_in_flight))                                                                             \
  V (criu_local_set_tcp_close, (criu_opts * opts, bool tcp_close), (opts, tcp_close))                        \
  V (criu_local_set_weak_sysctls, (criu_opts * opts, bool val), (opts, val))                                 \
  V (criu_local_set_evasive_devices, (criu_opts * opts, bool evasive_devices), (opts, evasive_devices))      \
  V (criu_local_set_shell_job, (criu_opts * opts, bool shell_job), (opts, shell_job))                        \
  V (criu_local_set_skip_file_rwx_check, (criu_opts * opts, bool skip_file_rwx_check),                       \
     (opts, skip_file_rwx_check))                                                                            \
  V (criu_local_set_orphan_pts_master, (criu_opts * opts, bool orphan_pts_master),                           \
     (opts, orphan_pts_master))                                                                              \
  V (criu_local_set_file_locks, (criu_opts * opts, bool file_locks), (opts, file_locks))                     \
  V (criu_local_set_track_mem, (criu_opts * opts, bool track_mem), (opts, track_mem))                        \
  V (criu_local_set_auto_dedup, (criu_opts * opts, bool auto_dedup), (opts, auto_dedup))                     \
  V (criu_local_set_force_irmap, (criu_opts * opts, bool force_irmap), (opts, force_irmap))                  \
  V (criu_local_set_link_remap, (criu_opts * opts, bool link_remap), (opts, link_remap))                     \
  V (criu_local_set_log_level, (criu_opts * opts, int log_level), (opts, log_level))                         \
  F (int, criu_local_set_log_file, (criu_opts * opts, const char *log_file), (opts, log_file), -EOPNOTSUPP)  \
  V (criu_local_set_cpu_cap, (criu_opts * opts, unsigned int cap), (opts, cap))                              \
  F (int, criu_local_set_root, (criu_opts * opts, const char *root), (opts, root), -EOPNOTSUPP)              \
  V (criu_local_set_manage_cgroups, (criu_opts * opts, bool manage), (opts, manage))                         \
  V (criu_local_set_manage_cgroups_mode, (criu_opts * opts, enum criu_cg_mode mode), (opts, mode))           \
  F (int, criu_local_set_freeze_cgroup, (criu_opts * opts, const char *name), (opts, name), -EOPNOTSUPP)     \
  F (int, criu_local_set_lsm_profile, (criu_opts * opts, const char *name), (opts, name), -EOPNOTSUPP)       \
  F (int, criu_local_set_lsm_mount_context, (criu_opts * opts, const char *name), (opts, name), -EOPNOTSUPP) \
  V (criu_local_set_timeout, (criu_opts * opts, unsigned int timeout), (opts, timeout))                      \
  V (criu_local_set_auto_ext_mnt, (criu_opts * opts, bool val), (opts, val))                                 \
  V (criu_local_set_ext_sharing, (criu_opts * opts, bool val), (opts, val))                                  \
  V (criu_local_set_ext_masters, (criu_opts * opts, bool val), (opts, val))                                  \
  F (int, criu_local_set_exec_cmd, (criu_opts * opts, int argc, char *argv[]), (opts, argc, argv),           \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_add_ext_mount, (criu_opts * opts, const char *key, const char *val), (opts, key, val),  \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_add_veth_pair, (criu_opts * opts, const char *in, const char *out), (opts, in, out),    \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_add_cg_root, (criu_opts * opts, const char *ctrl, const char *path),                    \
     (opts, ctrl, path), -EOPNOTSUPP)                                                                        \
  F (int, criu_local_add_enable_fs, (criu_opts * opts, const char *fs), (opts, fs), -EOPNOTSUPP)             \
  F (int, criu_local_add_skip_mnt, (criu_opts * opts, const char *mnt), (opts, mnt), -EOPNOTSUPP)            \
  V (criu_local_set_ghost_limit, (criu_opts * opts, unsigned int limit), (opts, limit))                      \
  F (int, criu_local_add_irmap_path, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)        \
  F (int, criu_local_add_cg_props, (criu_opts * opts, const char *stream), (opts, stream), -EOPNOTSUPP)      \
  F (int, criu_local_add_cg_props_file, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)     \
  F (int, criu_local_add_cg_dump_controller, (criu_opts * opts, const char *name), (opts, name),             \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_add_cg_yard, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)           \
  F (int, criu_local_add_inherit_fd, (criu_opts * opts, int fd, const char *key), (opts, fd, key),           \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_add_external, (criu_opts * opts, const char *key), (opts, key), -EOPNOTSUPP)            \
  F (int, criu_local_set_page_server_address_port, (criu_opts * opts, const char *address, int port),        \
     (opts, address, port), -EOPNOTSUPP)                                                                     \
  F (int, criu_local_set_pre_dump_mode, (criu_opts * opts, enum criu_pre_dump_mode mode), (opts, mode),      \
     -EOPNOTSUPP)                                                                                            \
  V (criu_local_set_pidfd_store_sk, (criu_opts * opts, int sk), (opts, sk))                                  \
  F (int, criu_local_set_network_lock, (criu_opts * opts, enum criu_network_lock_method method),             \
     (opts, method), -EOPNOTSUPP)                                                                            \
  F (int, criu_local_join_ns_add,                                                                            \
     (criu_opts * opts, const char *ns, const char *ns_file, const char *extra_opt),                         \
     (opts, ns, ns_file, extra_opt), -EOPNOTSUPP)                                                            \
  V (criu_local_set_mntns_compat_mode, (criu_opts * opts, bool val), (opts, val))                            \
  F (int, criu_local_set_config_file, (criu_opts * opts, const char *path), (opts, path), -EOPNOTSUPP)       \
  V (criu_local_set_notify_cb, (criu_opts * opts, int (*cb) (char *action, criu_notify_arg_t na)),           \
     (opts, cb))                                                                                             \
  F (int, criu_local_check, (criu_opts * opts), (opts), -EOPNOTSUPP)                                         \
  F (int, criu_local_dump, (criu_opts * opts), (opts), -EOPNOTSUPP)                                          \
  F (int, criu_local_pre_dump, (criu_opts * opts), (opts), -EOPNOTSUPP)                                      \
  F (int, criu_local_restore, (criu_opts * opts), (opts), -EOPNOTSUPP)                                       \
  F (int, criu_local_restore_child, (criu_opts * opts), (opts), -EOPNOTSUPP)                                 \
  F (int, criu_local_dump_iters, (criu_opts * opts, int (*more) (criu_predump_info pi)), (opts, more),       \
     -EOPNOTSUPP)                                                                                            \
  F (int, criu_local_get_version, (criu_opts * opts), (opts), -EOPNOTSUPP)                                   \
  F (int, criu_local_check_version, (criu_opts * opts, int minimum), (opts, minimum), -EOPNOTSUPP)           \
  F (int, criu_local_feature_check, (criu_opts * opts, struct criu_feature_check * features, size_t size),   \
     (opts, features, size), -EOPNOTSUPP)                                                                    \
  V (criu_local_set_empty_ns, (criu_opts * opts, int namespaces), (opts, namespaces))                        \
  V (criu_local_set_service_fd, (criu_opts * opts, int fd), (opts, fd))

/* What cryo cannot work without; the rest may be missing from an older
 * libcriu (their trampolines then fail with -EOPNOTSUPP). */
static const char *const needed[]
    = { "criu_local_init_opts", "criu_local_free_opts", "criu_local_set_service_fd", "criu_local_dump",
        "criu_local_restore",   "criu_local_check",     "criu_local_get_version",    NULL };

DYNLIB_DEFINE (LIBCRIU_FUNCTIONS, CRIU_SONAME, CRIU_LIBDIR,
               "criu (or build CRIU 4.2.1 with contrib/build-criu.sh)", needed)

int
engine_libcriu_load (cryo_error_t *err)
{
  return dynlib_load (&dynlib_self, err);
}
