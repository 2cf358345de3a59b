/* Summaries of an image, as JSON and as text. */
#include "config.h"

#include <string.h>

#include "image/criu-reader.h"
#include "image/image-internal.h"
#include "image/inspect.h"
#include "ns/mount-plan.h"
#include "lib/util.h"

/* Everything both forms show, read once. */
struct inspection
{
  struct criu_dump *dump; /* NULL: no CRIU dump in the image */
  struct mount_plan *plan;
};

static void
inspection_release (struct inspection *in)
{
  criu_dump_free (in->dump);
  mount_plan_free (in->plan);
}

static int
inspection_read (struct image *img, struct inspection *in, cryo_error_t *err)
{
  memset (in, 0, sizeof (*in));
  if (image_mount_plan (img, &in->plan, err) < 0)
    return -1;
  if (image_criu_dirfd (img) >= 0 && criu_dump_read (image_criu_dirfd (img), &in->dump, err) < 0)
    {
      inspection_release (in);
      return cryo_error_wrap (err, "image `%s`", image_path (img));
    }
  return 0;
}

static const char *const option_names[] = {
  "leave-running", "tcp-established", "tcp-close",      "ext-unix-sk", "shell-job",
  "file-locks",    "link-remap",      "skip-in-flight", "lazy-pages",
  "page-server",
};

static bool
option_set (const struct image_checkpoint_options *o, size_t i)
{
  const bool v[] = { o->leave_running, o->tcp_established, o->tcp_close,      o->ext_unix_sk, o->shell_job,
                     o->file_locks,    o->link_remap,      o->skip_in_flight, o->lazy_pages,
                     o->page_server };
  return i < ARRAY_SIZE (v) && v[i];
}

/* ---- JSON ---- */

static void
json_namespaces (struct image *img, json_gen_t *g)
{
  size_t n;
  const struct image_namespace *ns = image_namespaces (img, &n);

  jg_key (g, "namespaces");
  jg_open_array (g);
  for (size_t i = 0; i < n; i++)
    {
      jg_open_map (g);
      jg_kv_str (g, "type", ns_table[ns[i].type].oci_name);
      jg_kv_bool (g, "created", ns[i].created);
      jg_kv_uint (g, "inode", ns[i].inode);
      if (ns[i].path)
        jg_kv_str (g, "path", ns[i].path);
      jg_close_map (g);
    }
  jg_close_array (g);
}

static void
json_mounts (const struct mount_plan *plan, json_gen_t *g)
{
  jg_key (g, "mounts");
  if (plan == NULL)
    {
      jg_null (g);
      return;
    }
  jg_open_array (g);
  for (size_t i = 0; i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      jg_open_map (g);
      jg_kv_str (g, "kind", mount_op_kind_names[op->kind]);
      jg_kv_str (g, "destination", op->destination);
      if (op->kind == MOUNT_OP_MOUNT)
        {
          jg_kv_str (g, "type", op->type);
          jg_kv_str (g, "source", op->source);
          jg_kv_strv (g, "options", op->options);
        }
      else if (op->kind == MOUNT_OP_SYMLINK)
        jg_kv_str (g, "target", op->target);
      jg_close_map (g);
    }
  jg_close_array (g);
}

static void
json_process (const struct criu_process *p, json_gen_t *g)
{
  jg_open_map (g);
  jg_kv_uint (g, "pid", p->pid);
  jg_kv_uint (g, "ppid", p->ppid);
  jg_kv_uint (g, "pgid", p->pgid);
  jg_kv_uint (g, "sid", p->sid);
  jg_kv_str (g, "comm", p->comm);
  jg_kv_str (g, "state", criu_task_state_name (p->task_state));
  jg_key (g, "threads");
  jg_open_array (g);
  for (size_t i = 0; i < p->n_threads; i++)
    jg_uint (g, p->threads[i]);
  jg_close_array (g);
  jg_kv_uint (g, "pages", p->pages);
  jg_kv_uint (g, "vmas", p->n_vmas);
  jg_kv_uint (g, "vma_bytes", p->vma_bytes);
  jg_key (g, "fds");
  jg_open_array (g);
  for (size_t i = 0; i < p->n_fds; i++)
    {
      jg_open_map (g);
      jg_kv_uint (g, "fd", p->fds[i].fd);
      jg_kv_str (g, "file", p->fds[i].desc);
      jg_close_map (g);
    }
  jg_close_array (g);
  jg_close_map (g);
}

static void
json_criu (const struct criu_dump *d, json_gen_t *g)
{
  jg_key (g, "criu");
  if (d == NULL)
    {
      jg_null (g);
      return;
    }
  jg_open_map (g);
  jg_kv_uint (g, "img_version", d->img_version);
  jg_kv_uint (g, "page_size", d->page_size);
  jg_kv_uint (g, "pages", criu_dump_total_pages (d));
  jg_kv_uint (g, "memory_bytes", criu_dump_total_pages (d) * d->page_size);
  jg_key (g, "processes");
  jg_open_array (g);
  for (size_t i = 0; i < d->n_procs; i++)
    json_process (&d->procs[i], g);
  jg_close_array (g);
  jg_key (g, "sockets");
  jg_open_array (g);
  for (size_t i = 0; i < d->n_sockets; i++)
    {
      jg_open_map (g);
      jg_kv_uint (g, "id", d->sockets[i].id);
      jg_kv_str (g, "family", d->sockets[i].unix_socket ? "unix" : "inet");
      jg_kv_str (g, "socket", d->sockets[i].desc);
      jg_close_map (g);
    }
  jg_close_array (g);
  jg_close_map (g);
}

static void
json_metadata (struct image *img, json_gen_t *g)
{
  const struct image_checkpoint_options *o = image_options (img);
  size_t n_files;

  image_files (img, &n_files);
  jg_kv_str (g, "path", image_path (img));
  jg_kv_int (g, "version", image_version (img));
  jg_kv_str (g, "cryo_version", image_cryo_version (img));
  jg_kv_str (g, "criu_version", image_criu_version (img));
  jg_kv_str (g, "kernel", image_kernel_release (img));
  jg_kv_str (g, "created", image_created (img));
  jg_kv_str (g, "container_id", image_container_id (img));
  jg_kv_str (g, "mode", image_mode_name (image_mode (img)));
  jg_kv_uint (g, "files", n_files);
  jg_kv_uint (g, "size", image_total_size (img));
  jg_key (g, "options");
  jg_open_array (g);
  for (size_t i = 0; i < ARRAY_SIZE (option_names); i++)
    if (option_set (o, i))
      jg_str (g, option_names[i]);
  jg_close_array (g);
  jg_kv_str (g, "manage_cgroups_mode", o->manage_cgroups_mode);
  jg_key (g, "cgroup");
  jg_open_map (g);
  jg_kv_str (g, "path", image_cgroup_path (img));
  jg_kv_str (g, "version", image_cgroup_version (img));
  jg_close_map (g);
  jg_key (g, "tmpfs");
  jg_open_array (g);
  for (size_t i = 0; image_tmpfs_destination (img, i); i++)
    jg_str (g, image_tmpfs_destination (img, i));
  jg_close_array (g);
  if (image_stats (img))
    {
      jg_key (g, "stats");
      jg_open_map (g);
      image_stats_gen (g, image_stats (img));
      jg_close_map (g);
    }
}

int
image_inspect_json (struct image *img, json_gen_t *g, cryo_error_t *err)
{
  struct inspection in;

  if (inspection_read (img, &in, err) < 0)
    return -1;
  jg_open_map (g);
  json_metadata (img, g);
  json_namespaces (img, g);
  json_mounts (in.plan, g);
  json_criu (in.dump, g);
  jg_close_map (g);
  inspection_release (&in);
  return 0;
}

/* ---- text ---- */

/* What the checkpoint cost (FORMAT.md, "stats"), in three lines. */
static void
text_stats (const struct image_stats *s, FILE *out)
{
  if (s == NULL)
    return;
  if (s->frozen_time)
    fprintf (out, "stats:      frozen %.1f ms", s->frozen_time / 1e3);
  else
    fprintf (out, "stats:      frozen until killed");
  fprintf (out, " (freezing %.1f ms), memory dump %.1f ms + write %.1f ms\n", s->freezing_time / 1e3,
           s->memdump_time / 1e3, s->memwrite_time / 1e3);
  fprintf (out, "            pages: %llu scanned, %llu written, %llu in the parent, %llu lazy\n",
           (unsigned long long)s->pages_scanned, (unsigned long long)s->pages_written,
           (unsigned long long)s->pages_skipped_parent, (unsigned long long)s->pages_lazy);
  fprintf (out, "            write-back (checksums, fsync): %.1f ms for %llu bytes\n",
           s->writeback_time / 1e3, (unsigned long long)s->writeback_bytes);
}

static void
text_header (struct image *img, FILE *out)
{
  const struct image_checkpoint_options *o = image_options (img);
  size_t n_files, n_ns, shown = 0;
  const struct image_namespace *ns = image_namespaces (img, &n_ns);

  image_files (img, &n_files);
  fprintf (out, "image:      %s (format version %d, %zu files, %llu bytes)\n", image_path (img),
           image_version (img), n_files, (unsigned long long) image_total_size (img));
  fprintf (out, "container:  %s (%s checkpoint)\n", image_container_id (img),
           image_mode_name (image_mode (img)));
  fprintf (out, "created:    %s\n", image_created (img));
  fprintf (out, "versions:   cryo %s, criu %s, kernel %s\n", image_cryo_version (img),
           image_criu_version (img) ? image_criu_version (img) : "(none)", image_kernel_release (img));
  fprintf (out, "options:   ");
  for (size_t i = 0; i < ARRAY_SIZE (option_names); i++)
    if (option_set (o, i))
      fprintf (out, "%s %s", shown++ ? "," : "", option_names[i]);
  if (o->manage_cgroups_mode)
    fprintf (out, "%s manage-cgroups-mode=%s", shown++ ? "," : "", o->manage_cgroups_mode);
  fprintf (out, "%s\n", shown ? "" : " (none)");
  if (image_cgroup_path (img))
    fprintf (out, "cgroup:     %s (%s)\n", image_cgroup_path (img),
             image_cgroup_version (img) ? image_cgroup_version (img) : "?");
  text_stats (image_stats (img), out);
  fprintf (out, "namespaces:%s\n", n_ns ? "" : " (none)");
  for (size_t i = 0; i < n_ns; i++)
    fprintf (out, "  %-8s %s%s%s, inode %llu\n", ns_table[ns[i].type].oci_name,
             ns[i].created ? "created" : "joined", ns[i].path ? " " : "", ns[i].path ? ns[i].path : "",
             (unsigned long long) ns[i].inode);
}

static void
text_mounts (struct image *img, const struct mount_plan *plan, FILE *out)
{
  size_t n = plan ? mount_plan_len (plan) : 0, mounts = 0;

  for (size_t i = 0; i < n; i++)
    mounts += mount_plan_op (plan, i)->kind == MOUNT_OP_MOUNT;
  if (plan == NULL)
    fprintf (out, "mounts:     (no mount plan)\n");
  else
    fprintf (out, "mounts:     %zu mounts, %zu operations in the plan\n", mounts, n);
  for (size_t i = 0; i < n; i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      if (op->kind == MOUNT_OP_MOUNT)
        fprintf (out, "  %-24s %-8s %s\n", op->destination, op->type ? op->type : "-",
                 op->source ? op->source : "-");
    }
  for (size_t i = 0; image_tmpfs_destination (img, i); i++)
    fprintf (out, "tmpfs:      %s (contents archived)\n", image_tmpfs_destination (img, i));
}

static void
text_criu (const struct criu_dump *d, FILE *out)
{
  size_t threads = 0;

  if (d == NULL)
    {
      fprintf (out, "processes:  (no CRIU dump in the image)\n");
      return;
    }
  for (size_t i = 0; i < d->n_procs; i++)
    threads += d->procs[i].n_threads;
  fprintf (out, "processes:  %zu (%zu threads), memory %llu pages (%llu KiB)\n", d->n_procs, threads,
           (unsigned long long) criu_dump_total_pages (d),
           (unsigned long long) (criu_dump_total_pages (d) * d->page_size / 1024));
  fprintf (out, "  %7s %7s %7s %9s  %-8s %s\n", "PID", "PPID", "THREADS", "PAGES", "STATE", "COMM");
  for (size_t i = 0; i < d->n_procs; i++)
    {
      const struct criu_process *p = &d->procs[i];
      fprintf (out, "  %7u %7u %7zu %9llu  %-8s %s\n", p->pid, p->ppid, p->n_threads,
               (unsigned long long) p->pages, criu_task_state_name (p->task_state), p->comm ? p->comm : "?");
      for (size_t j = 0; j < p->n_fds; j++)
        fprintf (out, "  %15s fd %u: %s\n", "", p->fds[j].fd, p->fds[j].desc);
    }
  fprintf (out, "sockets:    %zu\n", d->n_sockets);
  for (size_t i = 0; i < d->n_sockets; i++)
    fprintf (out, "  %s\n", d->sockets[i].desc);
}

int
image_inspect_text (struct image *img, FILE *out, cryo_error_t *err)
{
  struct inspection in;

  if (inspection_read (img, &in, err) < 0)
    return -1;
  text_header (img, out);
  text_mounts (img, in.plan, out);
  text_criu (in.dump, out);
  inspection_release (&in);
  return 0;
}
