/* Writing an image: files go into a locked temporary directory; commit
 * hashes and fsyncs them, writes the manifest last and renames the directory
 * into place.  The files cryo writes from memory (its metadata) are hashed
 * as they are written; commit reads back only the others (CRIU's images,
 * tmpfs archives, which tree_write copies with sendfile while the container
 * is frozen: hashing them then would lengthen the freeze). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "lib/util.h"

struct image_writer
{
  struct image_tmpdir t;
  int criu_fd;
  struct image_manifest m;
  struct image_file *known; /* written by image_writer_add_file, hashed then */
  size_t n_known;
};

int
image_writer_begin (const char *path, const struct image_writer_options *opts, struct image_writer **out,
                    cryo_error_t *err)
{
  struct image_writer *w = xzalloc (sizeof (*w));
  struct utsname u;

  w->criu_fd = -1;
  if (image_tmpdir_begin (path, opts && opts->replace, &w->t, err) < 0)
    goto fail;
  w->t.keep_replaced = opts && opts->keep_replaced;
  if (mkdirat (w->t.fd, IMAGE_DIR_CRIU, 0700) < 0)
    {
      cryo_error (err, errno, "create `%s/%s`", w->t.tmp_path, IMAGE_DIR_CRIU);
      goto fail;
    }
  w->criu_fd = openat (w->t.fd, IMAGE_DIR_CRIU, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (w->criu_fd < 0)
    {
      cryo_error (err, errno, "open `%s/%s`", w->t.tmp_path, IMAGE_DIR_CRIU);
      goto fail;
    }
  w->m.version = IMAGE_FORMAT_VERSION;
  w->m.cryo_version = xstrdup (PACKAGE_VERSION);
  w->m.kernel_release = xstrdup (uname (&u) == 0 ? u.release : "unknown");
  w->m.created = format_rfc3339_now ();
  w->m.mode = IMAGE_MODE_CONTAINER;
  *out = w;
  return 0;

fail:
  image_writer_abort (w);
  return -1;
}

int
image_writer_dirfd (struct image_writer *w)
{
  return w->t.fd;
}

int
image_writer_criu_dirfd (struct image_writer *w)
{
  return w->criu_fd;
}

const char *
image_writer_tmp_path (struct image_writer *w)
{
  return w->t.tmp_path;
}

/* The checksum of a file cryo writes, from its data in memory (chunked as
 * checksum_tree would). */
static int
remember_checksum (struct image_writer *w, const char *name, const void *data, size_t len, cryo_error_t *err)
{
  cleanup_digest digest_t *d = NULL;
  struct image_file f = { .size = len, .alg = DIGEST_XXH3 };

  f.chunk_size = len > DIGEST_CHUNK_SIZE ? DIGEST_CHUNK_SIZE : 0;
  if (digest_new_chunked (f.alg, f.chunk_size, &d, err) < 0)
    return -1;
  digest_update (d, data, len);
  if (digest_final (d, f.checksum, err) < 0)
    return -1;
  f.name = xstrdup (name);
  w->known = xreallocarray (w->known, w->n_known + 1, sizeof (*w->known));
  w->known[w->n_known++] = f;
  return 0;
}

static const struct image_file *
find_known (struct image_writer *w, const char *name)
{
  for (size_t i = 0; i < w->n_known; i++)
    if (strcmp (w->known[i].name, name) == 0)
      return &w->known[i];
  return NULL;
}

int
image_writer_add_file (struct image_writer *w, const char *name, const void *data, size_t len,
                       cryo_error_t *err)
{
  const char *why = image_name_problem (name);
  cleanup_close int fd = -1;

  if (why)
    return cryo_error (err, 0, "image file name `%s` %s", name, why);
  if (strcmp (name, IMAGE_MANIFEST) == 0)
    return cryo_error (err, 0, "image file name `%s` is reserved for the manifest", name);
  if (image_mkdir_parents_at (w->t.fd, name, err) < 0)
    return -1;
  fd = openat (w->t.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cryo_error (err, errno, "create `%s` in image `%s`", name, w->t.path);
  if (write_all (fd, data, len) < 0)
    {
      int saved = errno;
      unlinkat (w->t.fd, name, 0);
      return cryo_error (err, saved, "write `%s` in image `%s`", name, w->t.path);
    }
  return remember_checksum (w, name, data, len, err);
}

int
image_writer_add_json (struct image_writer *w, const char *name, json_gen_t *gen, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (json_gen_finish (gen, &text, &len, err) < 0)
    return cryo_error_wrap (err, "`%s`", name);
  return image_writer_add_file (w, name, text, len, err);
}

int
image_writer_set_config (struct image_writer *w, const void *data, size_t len, cryo_error_t *err)
{
  /* The digest goes into the manifest at commit, from the file itself. */
  return image_writer_add_file (w, IMAGE_FILE_CONFIG, data, len, err);
}

static void
replace_str (char **field, const char *value)
{
  free (*field);
  *field = xstrdup (value);
}

void
image_writer_set_container (struct image_writer *w, const char *id, enum image_mode mode)
{
  replace_str (&w->m.container_id, id);
  w->m.mode = mode;
}

void
image_writer_set_criu_version (struct image_writer *w, const char *version)
{
  replace_str (&w->m.criu_version, version);
}

void
image_writer_add_namespace (struct image_writer *w, const struct image_namespace *ns)
{
  for (size_t i = 0; i < w->m.n_namespaces; i++)
    if (w->m.namespaces[i].type == ns->type)
      {
        free (w->m.namespaces[i].path);
        w->m.namespaces[i] = *ns;
        w->m.namespaces[i].path = xstrdup (ns->path);
        return;
      }
  manifest_add_namespace (&w->m, ns);
}

void
image_writer_set_cgroup (struct image_writer *w, const char *path, const char *version)
{
  replace_str (&w->m.cgroup_path, path);
  replace_str (&w->m.cgroup_version, version);
}

void
image_writer_set_options (struct image_writer *w, const struct image_checkpoint_options *o)
{
  free ((char *) w->m.options.manage_cgroups_mode);
  w->m.options = *o;
  w->m.options.manage_cgroups_mode = xstrdup (o->manage_cgroups_mode);
}

void
image_writer_set_origin (struct image_writer *w, const char *created, const char *cryo_version,
                         const char *kernel_release)
{
  if (created)
    replace_str (&w->m.created, created);
  if (cryo_version)
    replace_str (&w->m.cryo_version, cryo_version);
  if (kernel_release)
    replace_str (&w->m.kernel_release, kernel_release);
}

void
image_writer_set_stats (struct image_writer *w, const struct image_stats *s)
{
  w->m.stats = *s;
  w->m.has_stats = true;
}

const struct image_stats *
image_writer_stats (struct image_writer *w)
{
  return w->m.has_stats ? &w->m.stats : NULL;
}

void
image_writer_add_tmpfs_file (struct image_writer *w, const char *destination, const char *file)
{
  manifest_add_tmpfs (&w->m, destination, file);
}

size_t
image_writer_n_tmpfs (struct image_writer *w)
{
  return w->m.n_tmpfs;
}

/* A file written by image_writer_add_file keeps the checksum taken then,
 * when it still has that size; it is made durable here. */
static int
use_known (struct image_writer *w, const char *name, struct image_file *out, cryo_error_t *err)
{
  const struct image_file *k = find_known (w, name);
  cleanup_close int fd = -1;
  struct stat st;

  if (k == NULL)
    return 0;
  fd = openat (w->t.fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat (fd, &st) < 0)
    return cryo_error (err, errno, "open `%s`", name);
  if ((uint64_t)st.st_size != k->size)
    return 0;
  if (fsync (fd) < 0)
    return cryo_error (err, errno, "fsync `%s`", name);
  *out = *k;
  out->name = xstrdup (name);
  return 1;
}

/* Hash (and fsync) every file of the temporary directory into m.files. */
static int
checksum_files (struct image_writer *w, char **files, size_t n, cryo_error_t *err)
{
  cleanup_free struct digest_job *jobs = xzalloc ((n + 1) * sizeof (*jobs));
  cleanup_free size_t *slot = xzalloc ((n + 1) * sizeof (*slot));
  size_t n_jobs = 0;

  w->m.files = xzalloc ((n + 1) * sizeof (*w->m.files));
  w->m.n_files = n;
  for (size_t i = 0; i < n; i++)
    {
      int r = use_known (w, files[i], &w->m.files[i], err);
      if (r < 0)
        return -1;
      if (r > 0)
        continue;
      jobs[n_jobs] = (struct digest_job){ .name = files[i], .alg = DIGEST_XXH3 };
      slot[n_jobs++] = i;
    }
  if (digest_files_at (w->t.fd, jobs, n_jobs, 0, DIGEST_FSYNC | DIGEST_AUTO_CHUNK, err) < 0)
    return -1;
  for (size_t j = 0; j < n_jobs; j++)
    {
      struct image_file *f = &w->m.files[slot[j]];
      f->name = xstrdup (jobs[j].name);
      f->size = jobs[j].size;
      f->chunk_size = jobs[j].chunk_size;
      f->alg = jobs[j].alg;
      memcpy (f->checksum, jobs[j].hex, DIGEST_HEX_SIZE);
    }
  return 0;
}

static int
checksum_tree (struct image_writer *w, cryo_error_t *err)
{
  struct image_listing l;
  int ret = -1;

  if (image_list_tree (w->t.fd, &l, err) < 0)
    return -1;
  if (l.others)
    {
      cryo_error (err, 0, "image `%s`: `%s` is not a regular file or a directory", w->t.path, l.others[0]);
      goto out;
    }
  if (strv_contains (l.files, IMAGE_MANIFEST))
    {
      cryo_error (err, 0, "image `%s`: %s must not be written by the caller", w->t.path, IMAGE_MANIFEST);
      goto out;
    }
  if (checksum_files (w, l.files, strv_len (l.files), err) < 0)
    {
      cryo_error_wrap (err, "image `%s`", w->t.path);
      goto out;
    }
  ret = 0;
out:
  image_listing_release (&l);
  return ret;
}

static int
write_manifest (struct image_writer *w, cryo_error_t *err)
{
  const struct image_file *config = manifest_find_file (&w->m, IMAGE_FILE_CONFIG);
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  size_t len;

  free (w->m.config_digest);
  w->m.config_digest = config ? xasprintf ("%s:%s", digest_alg_name (config->alg), config->checksum) : NULL;
  free (w->m.mount_plan);
  w->m.mount_plan = manifest_find_file (&w->m, IMAGE_FILE_MOUNTS) ? xstrdup (IMAGE_FILE_MOUNTS) : NULL;
  if (manifest_to_json (&w->m, &text, &len, err) < 0)
    return -1;
  fd = openat (w->t.fd, IMAGE_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cryo_error (err, errno, "create `%s/%s`", w->t.tmp_path, IMAGE_MANIFEST);
  if (write_all (fd, text, len) < 0 || write_all (fd, "\n", 1) < 0 || fsync (fd) < 0)
    return cryo_error (err, errno, "write `%s/%s`", w->t.tmp_path, IMAGE_MANIFEST);
  return 0;
}

int
image_writer_commit (struct image_writer *w, cryo_error_t *err)
{
  uint64_t t0;

  if (w->t.committed)
    return cryo_error (err, 0, "image `%s`: already committed", w->t.path);
  if (w->m.container_id == NULL)
    return cryo_error (err, 0, "image `%s`: no container id was set", w->t.path);
  for (size_t i = 0; i < w->m.n_tmpfs; i++)
    if (faccessat (w->t.fd, w->m.tmpfs[i].file, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
      return cryo_error (err, errno, "image `%s`: tmpfs archive `%s`", w->t.path, w->m.tmpfs[i].file);
  /* A retry after a failed commit starts from a clean file list. */
  for (size_t i = 0; i < w->m.n_files; i++)
    free (w->m.files[i].name);
  free (w->m.files);
  w->m.files = NULL;
  w->m.n_files = 0;
  t0 = now_ns ();
  if (checksum_tree (w, err) < 0)
    return -1;
  if (w->m.has_stats)
    {
      w->m.stats.writeback_time = (now_ns () - t0) / 1000;
      w->m.stats.writeback_bytes = 0;
      for (size_t i = 0; i < w->m.n_files; i++)
        w->m.stats.writeback_bytes += w->m.files[i].size;
    }
  if (write_manifest (w, err) < 0)
    return -1;
  if (image_tmpdir_commit (&w->t, err) < 0)
    {
      /* The manifest makes the temporary directory look complete: take it
       * out again so a retry (or a crash now) cannot leave it sealed. */
      if (!w->t.committed)
        unlinkat (w->t.fd, IMAGE_MANIFEST, 0);
      return -1;
    }
  return 0;
}

int
image_writer_withdraw (struct image_writer *w, cryo_error_t *err)
{
  struct stat mine, there;

  if (!w->t.committed)
    return 0;
  if (fstat (w->t.fd, &mine) < 0)
    return cryo_error (err, errno, "image `%s`", w->t.path);
  if (fstatat (w->t.parent_fd, w->t.name, &there, AT_SYMLINK_NOFOLLOW) < 0 || mine.st_ino != there.st_ino
      || mine.st_dev != there.st_dev)
    return 0;
  if (w->t.has_replaced)
    return image_tmpdir_unreplace (&w->t, err);
  if (image_remove_tree_at (w->t.parent_fd, w->t.name, err) < 0)
    return cryo_error_wrap (err, "remove image `%s`", w->t.path);
  w->t.committed = false;
  return 0;
}

void
image_writer_abort (struct image_writer *w)
{
  if (w == NULL)
    return;
  if (w->criu_fd >= 0)
    close (w->criu_fd);
  image_tmpdir_release (&w->t);
  manifest_release (&w->m);
  for (size_t i = 0; i < w->n_known; i++)
    free (w->known[i].name);
  free (w->known);
  free (w);
}

void
cleanup_image_writerp (struct image_writer **w)
{
  image_writer_abort (*w);
  *w = NULL;
}
