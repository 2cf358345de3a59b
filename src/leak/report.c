/* The leak report: what the classifiers add, the declared externals taken
 * out, severities by mode, sorted and deduplicated so that two scans of the
 * same world print the same report; and its text and JSON forms. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leak/internal.h"
#include "lib/util.h"

static const char *const kind_names[LEAK_KIND_MAX] = {
  [LEAK_PROCESS] = "process",
  [LEAK_PROCESS_CGROUP] = "process-cgroup",
  [LEAK_NS_SHARED] = "namespace-shared",
  [LEAK_NS_FOREIGN] = "namespace-foreign",
  [LEAK_NS_JOINED] = "namespace-joined",
  [LEAK_NS_BIND] = "namespace-bind",
  [LEAK_NS_FD] = "namespace-fd",
  [LEAK_FILE_SHARED] = "file-shared",
  [LEAK_FILE_UNREACHABLE] = "file-unreachable",
  [LEAK_DEVICE] = "device",
  [LEAK_PIPE] = "pipe",
  [LEAK_UNIX] = "unix",
  [LEAK_TCP] = "tcp",
  [LEAK_UDP] = "udp",
  [LEAK_MEMORY] = "memory",
  [LEAK_LOCK] = "lock",
  [LEAK_PTRACE] = "ptrace",
};

const char *
leak_kind_name (enum leak_kind kind)
{
  return kind < LEAK_KIND_MAX ? kind_names[kind] : "unknown";
}

struct leak *
lk_add (struct lk_ctx *c, enum leak_kind kind, uint32_t p, int fd, uint32_t holder, const char *holder_path,
        const char *object, const char *detail)
{
  struct leak *l;

  if (c->n_leaks == c->cap_leaks)
    {
      c->cap_leaks = c->cap_leaks ? c->cap_leaks * 2 : 16;
      c->leaks = xreallocarray (c->leaks, c->cap_leaks, sizeof (*c->leaks));
    }
  l = &c->leaks[c->n_leaks++];
  memset (l, 0, sizeof (*l));
  l->kind = kind;
  l->fd = fd;
  if (p != LK_NONE)
    {
      l->pid = c->idx->procs[p].pid;
      /* Its pid in the container only means something inside. */
      if (c->idx->procs[p].flags & (LK_COVERED | LK_IN_PIDNS))
        l->nspid = c->idx->procs[p].nspid;
      l->command = xstrdup (c->idx->procs[p].comm);
    }
  if (holder != LK_NONE)
    {
      l->holder_pid = c->idx->procs[holder].pid;
      l->holder_command = xstrdup (c->idx->procs[holder].comm);
    }
  l->holder_path = xstrdup (holder_path);
  l->object = xstrdup (object);
  l->detail = xstrdup (detail);
  return l;
}

char *
lk_fd_object (const struct lk_index *idx, const struct lk_fd *f)
{
  char path[64], buf[4096];
  ssize_t n;

  if (f->link)
    return xstrdup (f->link);
  if (S_ISSOCK (f->mode))
    return xasprintf ("socket:[%" PRIu64 "]", f->ino);
  if (S_ISFIFO (f->mode) && f->dev == idx->pipefs_dev)
    return xasprintf ("pipe:[%" PRIu64 "]", f->ino);
  /* The container is frozen: the fd is still what it was. */
  snprintf (path, sizeof (path), "/proc/%d/fd/%d", idx->procs[f->proc].pid, f->fd);
  n = readlink (path, buf, sizeof (buf) - 1);
  if (n > 0)
    return xstrndup (buf, n);
  return xasprintf ("%" PRIu64 ":%" PRIu64, f->dev, f->ino);
}

void
leak_clear (struct leak *l)
{
  free (l->command);
  free (l->object);
  free (l->holder_command);
  free (l->holder_path);
  free (l->detail);
  memset (l, 0, sizeof (*l));
}

static int
cmp_str (const char *a, const char *b)
{
  return strcmp (a ? a : "", b ? b : "");
}

#define CMP(a, b) \
  do                      \
    {                     \
      if ((a) != (b))     \
        return (a) < (b) ? -1 : 1; \
    }                     \
  while (0)

static int
cmp_leak (const void *va, const void *vb)
{
  const struct leak *a = va, *b = vb;
  int r;

  CMP (a->kind, b->kind);
  CMP (a->pid, b->pid);
  CMP (a->fd, b->fd);
  CMP (a->addr_start, b->addr_start);
  if ((r = cmp_str (a->object, b->object)) != 0)
    return r;
  CMP (a->holder_pid, b->holder_pid);
  if ((r = cmp_str (a->holder_path, b->holder_path)) != 0)
    return r;
  return cmp_str (a->detail, b->detail);
}

static bool
is_declared (const struct lk_ctx *c, const struct leak *l)
{
  if (l->obj_dev == 0 && l->obj_ino == 0)
    return false;
  for (size_t i = 0; i < c->n_declared; i++)
    if (c->declared[i][0] == l->obj_dev && c->declared[i][1] == l->obj_ino)
      return true;
  return false;
}

/* In subtree mode every leak is a warning, except what makes the dump
 * itself impossible (a process already traced cannot be seized). */
static bool
is_warning (enum leak_mode mode, const struct leak *l)
{
  return mode == LEAK_MODE_SUBTREE && !l->blocks_dump;
}

/* Take the leaks out of @c into @r: declared externals dropped, severity
 * set, sorted, duplicates (same everything) merged. */
void
lk_report_finish (struct lk_ctx *c, struct leak_report *r)
{
  size_t n = 0;

  for (size_t i = 0; i < c->n_leaks; i++)
    {
      if (is_declared (c, &c->leaks[i]))
        {
          leak_clear (&c->leaks[i]);
          continue;
        }
      c->leaks[n++] = c->leaks[i];
    }
  qsort (c->leaks, n, sizeof (*c->leaks), cmp_leak);
  r->leaks = c->leaks;
  r->n_leaks = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (r->n_leaks > 0 && cmp_leak (&r->leaks[r->n_leaks - 1], &c->leaks[i]) == 0)
        {
          leak_clear (&c->leaks[i]);
          continue;
        }
      r->leaks[r->n_leaks] = c->leaks[i];
      r->leaks[r->n_leaks].warning = is_warning (c->mode, &r->leaks[r->n_leaks]);
      if (r->leaks[r->n_leaks].warning)
        r->n_warnings++;
      else
        r->n_errors++;
      r->n_leaks++;
    }
  c->leaks = NULL;
  c->n_leaks = c->cap_leaks = 0;
}

void
leak_report_free (struct leak_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_leaks; i++)
    leak_clear (&r->leaks[i]);
  free (r->leaks);
  free (r->id);
  free (r);
}

void
cleanup_leak_reportp (struct leak_report **r)
{
  leak_report_free (*r);
  *r = NULL;
}

static void
leak_to_json (const struct leak *l, json_gen_t *g)
{
  jg_open_map (g);
  jg_kv_str (g, "kind", leak_kind_name (l->kind));
  jg_kv_str (g, "severity", l->warning ? "warning" : "error");
  if (l->pid)
    {
      jg_kv_int (g, "pid", l->pid);
      if (l->nspid)
        jg_kv_int (g, "nspid", l->nspid);
      jg_kv_str (g, "command", l->command);
    }
  if (l->fd >= 0)
    jg_kv_int (g, "fd", l->fd);
  if (l->addr_end)
    {
      cleanup_free char *a = xasprintf ("%" PRIx64 "-%" PRIx64, l->addr_start, l->addr_end);
      jg_kv_str (g, "address", a);
    }
  jg_kv_str (g, "object", l->object);
  if (l->holder_pid || l->holder_path)
    {
      jg_key (g, "holder");
      jg_open_map (g);
      if (l->holder_pid)
        {
          jg_kv_int (g, "pid", l->holder_pid);
          jg_kv_str (g, "command", l->holder_command);
        }
      if (l->holder_path)
        jg_kv_str (g, "path", l->holder_path);
      jg_close_map (g);
    }
  jg_kv_str (g, "detail", l->detail);
  jg_close_map (g);
}

void
leak_report_to_json (const struct leak_report *r, json_gen_t *g)
{
  jg_open_map (g);
  jg_kv_str (g, "id", r->id);
  jg_kv_str (g, "mode", r->mode == LEAK_MODE_SUBTREE ? "subtree" : "container");
  jg_kv_bool (g, "tcp_established", r->tcp_established);
  jg_kv_bool (g, "clean", r->n_leaks == 0);
  jg_kv_uint (g, "errors", r->n_errors);
  jg_kv_uint (g, "warnings", r->n_warnings);
  jg_key (g, "leaks");
  jg_open_array (g);
  for (size_t i = 0; i < r->n_leaks; i++)
    leak_to_json (&r->leaks[i], g);
  jg_close_array (g);
  jg_key (g, "scanned");
  jg_open_map (g);
  jg_kv_uint (g, "processes", r->n_processes);
  jg_kv_uint (g, "fds", r->n_fds);
  jg_kv_uint (g, "host_processes", r->n_host_processes);
  jg_kv_uint (g, "host_fds", r->n_host_fds);
  jg_kv_bool (g, "host_fds_walked", r->host_fds_walked);
  jg_close_map (g);
  jg_close_map (g);
}

int
leak_report_json_string (const struct leak_report *r, bool pretty, char **out, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (pretty);

  leak_report_to_json (r, g);
  return json_gen_finish (g, out, NULL, err);
}

static void
leak_to_text (const struct leak *l, FILE *f)
{
  fprintf (f, "%s: %s", l->warning ? "warning" : "error", leak_kind_name (l->kind));
  if (l->pid)
    {
      fprintf (f, ": pid %d (%s", l->pid, l->command ? l->command : "?");
      if (l->nspid)
        fprintf (f, ", %d in the container", l->nspid);
      fprintf (f, ")");
    }
  if (l->fd >= 0)
    fprintf (f, " fd %d", l->fd);
  if (l->addr_end)
    fprintf (f, " mapping %" PRIx64 "-%" PRIx64, l->addr_start, l->addr_end);
  fprintf (f, ": %s", l->object ? l->object : "?");
  if (l->holder_pid)
    fprintf (f, ": held by pid %d (%s)", l->holder_pid, l->holder_command ? l->holder_command : "?");
  if (l->holder_path)
    fprintf (f, "%s `%s`", l->holder_pid ? " at" : ": held by", l->holder_path);
  if (l->detail)
    fprintf (f, ": %s", l->detail);
  fputc ('\n', f);
}

char *
leak_report_to_text (const struct leak_report *r)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    oom ();
  for (size_t i = 0; i < r->n_leaks; i++)
    leak_to_text (&r->leaks[i], f);
  if (r->n_leaks == 0)
    fprintf (f, "container `%s`: no leaks (%s checkpoint possible)\n", r->id,
             r->mode == LEAK_MODE_SUBTREE ? "subtree" : "container");
  else
    fprintf (f, "container `%s`: %zu leaks (%zu errors, %zu warnings): %s\n", r->id, r->n_leaks, r->n_errors,
             r->n_warnings,
             r->n_errors ? "a checkpoint would be refused"
                         : "a subtree checkpoint goes ahead, without these guarantees");
  fclose (f);
  return buf;
}
