/* linux.seccomp -> a libseccomp filter.  Every name the OCI object may hold
 * (actions, operators, architectures, flags) is a row of a table below; the
 * parser only looks rows up. */
#include "config.h"

#define LOG_PREFIX "seccomp: "

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "spec/seccomp-enosys.h"
#include "spec/seccomp-filter.h"
#include "lib/util.h"

struct cryo_seccomp
{
  scmp_filter_ctx ctx;
  bool has_notify; /* a SCMP_ACT_NOTIFY rule was added */
  bool loaded;
  int notify_fd;       /* after the load, until taken */
  char *listener_path; /* linux.seccomp.listenerPath, NULL when empty */
  char *metadata;      /* linux.seccomp.listenerMetadata, "" when absent */
  /* linux.seccomp.architectures, as libseccomp tokens, and runc's -ENOSYS
   * stub computed from them (seccomp-enosys.h) */
  uint32_t tokens[ENOSYS_MAX_ARCHS];
  size_t n_tokens;
  struct enosys_stub stub;
  bool with_stub;
};

struct action_def
{
  const char *name;
  uint32_t action;    /* for errno-taking actions, the value without the errno */
  bool takes_errno;   /* ERRNO and TRACE carry a 16-bit return code */
  const char *refuse; /* why cryo refuses it, NULL when supported */
};

static const struct action_def actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false, NULL },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, NULL },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, NULL },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, NULL },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true, NULL },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true, NULL },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, NULL },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false, NULL },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, NULL },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The OCI names; libseccomp's name is the lower-cased suffix
 * ("SCMP_ARCH_X86_64" -> "x86_64"), resolved at run time so an older
 * libseccomp only lacks the newest rows. */
static const char *const arch_names[] = {
  "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",        "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",     "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",       "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",    "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static const struct
{
  const char *name;
  enum scmp_filter_attr attr;
  unsigned min_api; /* seccomp_api_get() level that supports it */
} flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2 },
  { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3 },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4 },
};

/* Seccomp checks at most six syscall arguments. */
#define SECCOMP_MAX_ARGS 6

static int
parse_uint (json_value_t *v, const char *field, uint64_t max, uint64_t *out, cryo_error_t *err)
{
  if (!json_is_integer (v) || (!json_integer_is_unsigned_only (v) && json_integer (v) < 0))
    return cryo_error (err, 0, "%s: must be an unsigned integer, found %s", field, json_type_name (v));
  *out = json_uinteger (v);
  if (*out > max)
    return cryo_error (err, 0, "%s: %llu is out of range (at most %llu)", field, (unsigned long long) *out,
                       (unsigned long long) max);
  return 0;
}

static const struct action_def *
find_action (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    if (strcmp (actions[i].name, name) == 0)
      return &actions[i];
  return NULL;
}

/* An action with its errno: @field names the object holding @key (the
 * action name) and @errno_key ("errnoRet", "defaultErrnoRet"). */
static int
parse_action (json_value_t *obj, const char *field, const char *key, const char *errno_key, uint32_t *out,
              cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key), *e = json_get (obj, errno_key);
  const struct action_def *a;
  uint64_t ret = EPERM; /* runc's default for ERRNO and TRACE */

  if (!json_is_string (v))
    return cryo_error (err, 0, "%s.%s: must be a string, found %s", field, key, json_type_name (v));
  a = find_action (json_string (v));
  if (a == NULL)
    return cryo_error (err, 0, "%s.%s: unknown action `%s`", field, key, json_string (v));
  if (a->refuse)
    return cryo_error (err, 0, "%s.%s: `%s` %s", field, key, a->name, a->refuse);
  if (e != NULL && !a->takes_errno)
    return cryo_error (err, 0, "%s.%s: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not `%s`", field,
                       errno_key, a->name);
  if (e != NULL)
    {
      cleanup_free char *f = xasprintf ("%s.%s", field, errno_key);
      if (parse_uint (e, f, 0xffff, &ret, err) < 0)
        return -1;
    }
  *out = a->takes_errno ? a->action | (uint32_t) ret : a->action;
  return 0;
}

static int
parse_arg (json_value_t *a, const char *field, struct scmp_arg_cmp *out, cryo_error_t *err)
{
  cleanup_free char *f_index = xasprintf ("%s.index", field);
  cleanup_free char *f_value = xasprintf ("%s.value", field);
  cleanup_free char *f_two = xasprintf ("%s.valueTwo", field);
  json_value_t *op = json_get (a, "op");
  uint64_t index, value, two = 0;
  size_t i;

  if (!json_is_object (a))
    return cryo_error (err, 0, "%s: must be an object, found %s", field, json_type_name (a));
  if (parse_uint (json_get (a, "index"), f_index, SECCOMP_MAX_ARGS - 1, &index, err) < 0
      || parse_uint (json_get (a, "value"), f_value, UINT64_MAX, &value, err) < 0)
    return -1;
  if (json_get (a, "valueTwo") && parse_uint (json_get (a, "valueTwo"), f_two, UINT64_MAX, &two, err) < 0)
    return -1;
  if (!json_is_string (op))
    return cryo_error (err, 0, "%s.op: must be a string, found %s", field, json_type_name (op));
  for (i = 0; i < ARRAY_SIZE (operators); i++)
    if (strcmp (operators[i].name, json_string (op)) == 0)
      break;
  if (i == ARRAY_SIZE (operators))
    return cryo_error (err, 0, "%s.op: unknown operator `%s`", field, json_string (op));
  /* MASKED_EQ compares (arg & value) == valueTwo: datum_a is the mask. */
  *out = (struct scmp_arg_cmp) { .arg = index, .op = operators[i].op, .datum_a = value, .datum_b = two };
  return 0;
}

static int
parse_args (json_value_t *args, const char *field, struct scmp_arg_cmp *cmps, size_t *n, bool *same_index,
            cryo_error_t *err)
{
  unsigned seen = 0;

  *n = 0;
  *same_index = false;
  if (args == NULL || json_is_null (args))
    return 0;
  if (!json_is_array (args))
    return cryo_error (err, 0, "%s.args: must be an array, found %s", field, json_type_name (args));
  if (json_len (args) > SECCOMP_MAX_ARGS)
    return cryo_error (err, 0, "%s.args: at most %d conditions, found %zu", field, SECCOMP_MAX_ARGS,
                       json_len (args));
  for (size_t i = 0; i < json_len (args); i++)
    {
      cleanup_free char *f = xasprintf ("%s.args[%zu]", field, i);
      if (parse_arg (json_at (args, i), f, &cmps[i], err) < 0)
        return -1;
      if (seen & (1u << cmps[i].arg))
        *same_index = true;
      seen |= 1u << cmps[i].arg;
    }
  *n = json_len (args);
  return 0;
}

/* The process that loads the filter hands the notify fd to the runtime
 * with sendmsg; runc does it with write and refuses NOTIFY on write (with
 * this message).  A notified call the agent cannot see yet blocks for good. */
static int
check_notify_syscall (const char *field, const char *name, cryo_error_t *err)
{
  if (strcmp (name, "write") == 0 || strcmp (name, "sendmsg") == 0)
    return cryo_error (
        err, 0, "%s: SCMP_ACT_NOTIFY cannot be used for the %s syscall (the notify fd is sent with it)",
        field, name);
  return 0;
}

/* One syscall by name.  libseccomp takes one condition per argument in a
 * rule, so conditions on the same argument become one rule each (ORed), as
 * runc does. */
static int
add_rule (struct cryo_seccomp *s, const char *field, const char *name, uint32_t action,
          const struct scmp_arg_cmp *cmps, size_t n, bool same_index, cryo_error_t *err)
{
  scmp_filter_ctx ctx = s->ctx;
  int nr = seccomp_syscall_resolve_name (name);
  int ret = 0;

  if (nr == __NR_SCMP_ERROR)
    {
      log_debug ("%s: skipping `%s`: not a syscall on this architecture", field, name);
      return 0;
    }
  if (action == SCMP_ACT_NOTIFY && check_notify_syscall (field, name, err) < 0)
    return -1;
  s->has_notify = s->has_notify || action == SCMP_ACT_NOTIFY;
  if (!same_index)
    ret = seccomp_rule_add_array (ctx, action, nr, n, cmps);
  for (size_t i = 0; same_index && i < n && ret == 0; i++)
    ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[i]);
  if (ret < 0)
    return cryo_error (err, -ret, "%s: add the rule for `%s`", field, name);
  return 0;
}

static int
add_syscall_entry (struct cryo_seccomp *s, json_value_t *sc, const char *field, uint32_t default_action,
                   cryo_error_t *err)
{
  json_value_t *names = json_get (sc, "names");
  struct scmp_arg_cmp cmps[SECCOMP_MAX_ARGS];
  bool same_index;
  uint32_t action;
  size_t n;

  if (!json_is_object (sc))
    return cryo_error (err, 0, "%s: must be an object, found %s", field, json_type_name (sc));
  if (!json_is_array (names))
    return cryo_error (err, 0, "%s.names: must be an array of strings, found %s", field, json_type_name (names));
  for (size_t i = 0; i < json_len (names); i++)
    if (!json_is_string (json_at (names, i)) || json_string (json_at (names, i))[0] == '\0')
      return cryo_error (err, 0, "%s.names[%zu]: must be a syscall name", field, i);
  if (parse_action (sc, field, "action", "errnoRet", &action, err) < 0)
    return -1;
  if (parse_args (json_get (sc, "args"), field, cmps, &n, &same_index, err) < 0)
    return -1;
  for (size_t i = 0; i < json_len (names); i++)
    enosys_stub_note (&s->stub, s->tokens, s->n_tokens, json_string (json_at (names, i)));
  /* libseccomp refuses rules that do what the default does; they are no-ops. */
  if (action == default_action)
    return 0;
  for (size_t i = 0; i < json_len (names); i++)
    if (add_rule (s, field, json_string (json_at (names, i)), action, cmps, n, same_index, err) < 0)
      return -1;
  return 0;
}

static uint32_t
resolve_arch (const char *oci_name)
{
  cleanup_free char *lower = NULL;

  if (strncmp (oci_name, "SCMP_ARCH_", 10) != 0)
    return 0;
  lower = xstrdup (oci_name + 10);
  for (char *p = lower; *p; p++)
    *p = tolower ((unsigned char) *p);
  return seccomp_arch_resolve_name (lower);
}

static bool
is_arch_name (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (arch_names); i++)
    if (strcmp (arch_names[i], name) == 0)
      return true;
  return false;
}

static int
add_archs (struct cryo_seccomp *s, json_value_t *archs, cryo_error_t *err)
{
  scmp_filter_ctx ctx = s->ctx;

  if (archs == NULL || json_is_null (archs))
    return 0;
  if (!json_is_array (archs))
    return cryo_error (err, 0, "linux.seccomp.architectures: must be an array of strings, found %s",
                       json_type_name (archs));
  for (size_t i = 0; i < json_len (archs); i++)
    {
      const char *name = json_string (json_at (archs, i));
      uint32_t token;
      int ret;

      if (name == NULL || !is_arch_name (name))
        return cryo_error (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i,
                           name ? name : json_type_name (json_at (archs, i)));
      /* Leaving an architecture out is safe: its syscalls hit the
       * bad-architecture action (kill). */
      if ((token = resolve_arch (name)) == 0)
        {
          log_warning ("linux.seccomp.architectures: `%s` is unknown to this libseccomp: skipped", name);
          continue;
        }
      ret = seccomp_arch_add (ctx, token);
      if (ret < 0 && ret != -EEXIST)
        return cryo_error (err, -ret, "linux.seccomp.architectures[%zu]: add `%s`", i, name);
      if (s->n_tokens < ENOSYS_MAX_ARCHS)
        s->tokens[s->n_tokens++] = token;
    }
  return 0;
}

static int
set_flags (scmp_filter_ctx ctx, json_value_t *fl, cryo_error_t *err)
{
  if (fl == NULL || json_is_null (fl))
    return 0;
  if (!json_is_array (fl))
    return cryo_error (err, 0, "linux.seccomp.flags: must be an array of strings, found %s", json_type_name (fl));
  for (size_t i = 0; i < json_len (fl); i++)
    {
      const char *name = json_string (json_at (fl, i));
      size_t j;
      int ret;

      for (j = 0; name && j < ARRAY_SIZE (flags); j++)
        if (strcmp (flags[j].name, name) == 0)
          break;
      if (name == NULL || j == ARRAY_SIZE (flags))
        return cryo_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                           name ? name : json_type_name (json_at (fl, i)));
      ret = seccomp_attr_set (ctx, flags[j].attr, 1);
      if (ret < 0)
        return cryo_error (err, -ret, "linux.seccomp.flags[%zu]: `%s` is not supported by this kernel or libseccomp",
                           i, name);
    }
  return 0;
}

/* An optional string member: NULL when absent, null or empty. */
static int
parse_opt_string (json_value_t *seccomp, const char *key, char **out, cryo_error_t *err)
{
  json_value_t *v = json_get (seccomp, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return cryo_error (err, 0, "linux.seccomp.%s: must be a string, found %s", key, json_type_name (v));
  if (json_string (v)[0] != '\0')
    *out = xstrdup (json_string (v));
  return 0;
}

/* runc's rules: a listener without NOTIFY rules is unused, NOTIFY rules
 * without a listener fail (runc fails later, "listenerPath is not set"). */
static int
parse_listener (struct cryo_seccomp *s, json_value_t *seccomp, cryo_error_t *err)
{
  if (parse_opt_string (seccomp, "listenerPath", &s->listener_path, err) < 0
      || parse_opt_string (seccomp, "listenerMetadata", &s->metadata, err) < 0)
    return -1;
  if (s->metadata == NULL)
    s->metadata = xstrdup ("");
  if (!s->has_notify)
    return 0;
  if (s->listener_path == NULL)
    return cryo_error (err, 0,
                       "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules need a seccomp agent "
                       "listening on a unix socket: listenerPath is not set");
  /* Notify needs the kernel's user notification and libseccomp >= 2.5. */
  if (seccomp_api_get () < 6)
    return cryo_error (err, 0,
                       "linux.seccomp: SCMP_ACT_NOTIFY is not supported by this kernel or libseccomp "
                       "(API level %u, at least 6 needed)",
                       seccomp_api_get ());
  return 0;
}

static int
build_filter (struct cryo_seccomp *s, json_value_t *seccomp, uint32_t def, cryo_error_t *err)
{
  json_value_t *syscalls = json_get (seccomp, "syscalls");
  scmp_filter_ctx ctx = s->ctx;
  int ret;

  /* no_new_privs is process.noNewPrivileges' business, not libseccomp's. */
  if ((ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
    return cryo_error (err, -ret, "linux.seccomp: disable libseccomp's no_new_privs");
  /* The kernel's errno on load (EACCES...) instead of libseccomp's ECANCELED. */
  if ((ret = seccomp_attr_set (ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
    return cryo_error (err, -ret, "linux.seccomp: ask libseccomp for system error codes");
  if (add_archs (s, json_get (seccomp, "architectures"), err) < 0 || set_flags (ctx, json_get (seccomp, "flags"), err) < 0)
    return -1;
  if (syscalls == NULL || json_is_null (syscalls))
    return 0;
  if (!json_is_array (syscalls))
    return cryo_error (err, 0, "linux.seccomp.syscalls: must be an array, found %s", json_type_name (syscalls));
  for (size_t i = 0; i < json_len (syscalls); i++)
    {
      cleanup_free char *field = xasprintf ("linux.seccomp.syscalls[%zu]", i);
      if (add_syscall_entry (s, json_at (syscalls, i), field, def, err) < 0)
        return -1;
    }
  return 0;
}

int
cryo_seccomp_prepare (json_value_t *seccomp, struct cryo_seccomp **out, cryo_error_t *err)
{
  cleanup_seccomp struct cryo_seccomp *s = NULL;
  uint32_t def;

  *out = NULL;
  if (seccomp == NULL || json_is_null (seccomp))
    return 0;
  if (!json_is_object (seccomp))
    return cryo_error (err, 0, "linux.seccomp: must be an object, found %s", json_type_name (seccomp));
  if (parse_action (seccomp, "linux.seccomp", "defaultAction", "defaultErrnoRet", &def, err) < 0)
    return -1;
  /* The notify fd could never be handed over: every call would block. */
  if (def == SCMP_ACT_NOTIFY)
    return cryo_error (err, 0,
                       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action");
  s = xzalloc (sizeof (*s));
  s->notify_fd = -1;
  s->ctx = seccomp_init (def);
  if (s->ctx == NULL)
    return cryo_error (err, 0, "linux.seccomp.defaultAction: `%s` is not supported by this kernel or libseccomp",
                       json_string (json_get (seccomp, "defaultAction")));
  if (build_filter (s, seccomp, def, err) < 0 || parse_listener (s, seccomp, err) < 0)
    return -1;
  /* As runc: not when the default lets calls through or already says ENOSYS. */
  s->with_stub = s->stub.n > 0 && def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG && def != SCMP_ACT_ERRNO (ENOSYS);
  *out = steal_pointer (&s);
  return 0;
}

/* seccomp(2)'s flags for what libseccomp's attributes ask. */
static unsigned
load_flags (const struct cryo_seccomp *s)
{
  static const struct
  {
    enum scmp_filter_attr attr;
    unsigned flag;
  } map[] = {
    { SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC },
    { SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG },
    { SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  };
  unsigned flags = s->has_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  uint32_t v;

  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if (seccomp_attr_get (s->ctx, map[i].attr, &v) == 0 && v)
      flags |= map[i].flag;
  /* The kernel refuses TSYNC with a listener unless told how to fail. */
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return flags;
}

static int
load_with_stub (struct cryo_seccomp *s, cryo_error_t *err)
{
  if (enosys_stub_load (&s->stub, s->ctx, load_flags (s), &s->notify_fd, err) < 0)
    {
      if ((*err)->status == EACCES || (*err)->status == EPERM)
        return cryo_error_wrap (err, "without no_new_privs the kernel requires CAP_SYS_ADMIN; set "
                                     "process.noNewPrivileges");
      return -1;
    }
  s->loaded = true;
  if (s->has_notify && s->notify_fd < 0)
    return cryo_error (err, 0, "the kernel gave no seccomp notify fd for the SCMP_ACT_NOTIFY rules");
  return 0;
}

int
cryo_seccomp_load (struct cryo_seccomp *s, cryo_error_t *err)
{
  int ret;

  if (s == NULL || s->loaded)
    return 0;
  if (s->with_stub)
    return load_with_stub (s, err);
  ret = seccomp_load (s->ctx);
  if (ret == -EACCES || ret == -EPERM)
    return cryo_error (err, -ret, "load the seccomp filter: without no_new_privs the kernel requires CAP_SYS_ADMIN;"
                                  " set process.noNewPrivileges");
  if (ret < 0)
    return cryo_error (err, -ret, "load the seccomp filter");
  s->loaded = true;
  if (!s->has_notify)
    return 0;
  /* libseccomp asked the kernel for a listener (NEW_LISTENER) and keeps
   * the fd; it is close-on-exec. */
  s->notify_fd = seccomp_notify_fd (s->ctx);
  if (s->notify_fd < 0)
    return cryo_error (err, 0, "the kernel gave no seccomp notify fd for the SCMP_ACT_NOTIFY rules");
  return 0;
}

bool
cryo_seccomp_has_notify (const struct cryo_seccomp *s)
{
  return s != NULL && s->has_notify;
}

int
cryo_seccomp_take_notify_fd (struct cryo_seccomp *s)
{
  int fd;

  if (s == NULL)
    return -1;
  fd = s->notify_fd;
  s->notify_fd = -1;
  return fd;
}

const char *
cryo_seccomp_listener_path (const struct cryo_seccomp *s)
{
  return s ? s->listener_path : NULL;
}

const char *
cryo_seccomp_listener_metadata (const struct cryo_seccomp *s)
{
  return s && s->metadata ? s->metadata : "";
}

void
cryo_seccomp_free (struct cryo_seccomp *s)
{
  if (s == NULL)
    return;
  if (s->ctx)
    seccomp_release (s->ctx);
  if (s->notify_fd >= 0)
    close (s->notify_fd);
  free (s->listener_path);
  free (s->metadata);
  free (s);
}

void
cleanup_cryo_seccompp (struct cryo_seccomp **s)
{
  cryo_seccomp_free (*s);
  *s = NULL;
}

const char *const *
cryo_seccomp_actions (void)
{
  static const char *names[ARRAY_SIZE (actions) + 1];

  if (names[0] == NULL)
    for (size_t i = 0, n = 0; i < ARRAY_SIZE (actions); i++)
      if (actions[i].refuse == NULL)
        names[n++] = actions[i].name;
  return names;
}

const char *const *
cryo_seccomp_operators (void)
{
  static const char *names[ARRAY_SIZE (operators) + 1];

  for (size_t i = 0; i < ARRAY_SIZE (operators); i++)
    names[i] = operators[i].name;
  return names;
}

char **
cryo_seccomp_archs (void)
{
  char **v = xzalloc (sizeof (char *));

  for (size_t i = 0; i < ARRAY_SIZE (arch_names); i++)
    if (resolve_arch (arch_names[i]) != 0)
      strv_append (&v, arch_names[i]);
  return v;
}

const char *const *
cryo_seccomp_flags (void)
{
  static const char *names[ARRAY_SIZE (flags) + 1];

  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    names[i] = flags[i].name;
  return names;
}

void
cryo_seccomp_features (json_gen_t *g)
{
  cleanup_strv char **archs = cryo_seccomp_archs ();
  unsigned api = seccomp_api_get ();

  jg_key (g, "seccomp");
  jg_open_map (g);
  jg_kv_bool (g, "enabled", true);
  jg_kv_strv (g, "actions", (char *const *) cryo_seccomp_actions ());
  jg_kv_strv (g, "operators", (char *const *) cryo_seccomp_operators ());
  jg_kv_strv (g, "archs", archs);
  jg_kv_strv (g, "knownFlags", (char *const *) cryo_seccomp_flags ());
  jg_key (g, "supportedFlags");
  jg_open_array (g);
  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    if (api >= flags[i].min_api)
      jg_str (g, flags[i].name);
  jg_close_array (g);
  jg_close_map (g);
}
