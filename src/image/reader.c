/* Reading an image: open validates the manifest; verify checks every file
 * against it (size, checksum, nothing missing, nothing extra). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "lib/util.h"

struct image
{
  char *path;
  char *criu_path;
  int dirfd;
  int criu_fd;
  struct image_manifest m;
  uint64_t total;
};

static int
version_error (const char *path, int version, cryo_error_t *err)
{
  if (version < IMAGE_FORMAT_VERSION)
    return cryo_error (err, 0,
                       "image `%s`: format version %d is older than this cryo reads (%d): "
                       "upgrade it with `cryo image convert %s`",
                       path, version, IMAGE_FORMAT_VERSION, path);
  return cryo_error (err, 0, "image `%s`: format version %d is newer than this cryo reads (%d): upgrade cryo",
                     path, version, IMAGE_FORMAT_VERSION);
}

/* No manifest: a v1 image (cryo.json), or not an image at all. */
static int
no_manifest (int dirfd, const char *path, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_value_t *root = NULL;
  int version;

  if (read_all_file_at (dirfd, "cryo.json", &text, NULL, NULL) == 0 && json_parse (text, &root, NULL) == 0
      && manifest_check_header (root, &version, NULL) == 0)
    return version_error (path, version, err);
  return cryo_error (err, 0, "image `%s`: no %s (not a cryo image, or an unfinished one)", path,
                     IMAGE_MANIFEST);
}

static int
read_manifest (int dirfd, const char *path, char **text, cryo_error_t *err)
{
  cleanup_close int fd = openat (dirfd, IMAGE_MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 && errno == ENOENT)
    return no_manifest (dirfd, path, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return cryo_error (err, errno, "image `%s`: open %s", path, IMAGE_MANIFEST);
  if (!S_ISREG (st.st_mode))
    return cryo_error (err, 0, "image `%s`: %s is not a regular file", path, IMAGE_MANIFEST);
  if (st.st_size > IMAGE_MANIFEST_MAX_SIZE)
    return cryo_error (err, 0, "image `%s`: %s is too large (%lld bytes)", path, IMAGE_MANIFEST,
                       (long long) st.st_size);
  return read_all_fd (fd, IMAGE_MANIFEST, text, NULL, err);
}

int
image_open_fd (int dirfd, const char *path, struct image **out, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_value_t *root = NULL;
  struct image *img;
  int version;

  if (read_manifest (dirfd, path, &text, err) < 0)
    return -1;
  if (json_parse (text, &root, err) < 0 || manifest_check_header (root, &version, err) < 0)
    return cryo_error_wrap (err, "image `%s`: %s", path, IMAGE_MANIFEST);
  if (version != IMAGE_FORMAT_VERSION)
    return version_error (path, version, err);

  img = xzalloc (sizeof (*img));
  img->criu_fd = -1;
  img->path = xstrdup (path);
  img->criu_path = xasprintf ("%s/%s", path, IMAGE_DIR_CRIU);
  img->dirfd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  if (img->dirfd < 0)
    {
      image_free (img);
      return cryo_error (err, errno, "image `%s`: dup", path);
    }
  if (manifest_from_json (root, &img->m, err) < 0)
    {
      image_free (img);
      return cryo_error_wrap (err, "image `%s`: %s", path, IMAGE_MANIFEST);
    }
  img->criu_fd = openat (dirfd, IMAGE_DIR_CRIU, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  for (size_t i = 0; i < img->m.n_files; i++)
    img->total += img->m.files[i].size;
  *out = img;
  return 0;
}

int
image_open (const char *path, struct image **out, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int fd = -1;
  size_t len = strlen (copy);
  char *base;

  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  base = strrchr (copy, '/');
  base = base ? base + 1 : copy;
  if (image_is_tmp_name (base))
    return cryo_error (err, 0,
                       "image `%s`: an unfinished image (the temporary directory of an interrupted write): "
                       "remove it",
                       path);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "image `%s`", path);
  return image_open_fd (fd, path, out, err);
}

void
image_free (struct image *img)
{
  if (img == NULL)
    return;
  if (img->dirfd >= 0)
    close (img->dirfd);
  if (img->criu_fd >= 0)
    close (img->criu_fd);
  manifest_release (&img->m);
  free (img->path);
  free (img->criu_path);
  free (img);
}

void
cleanup_imagep (struct image **img)
{
  image_free (*img);
  *img = NULL;
}

static int
check_one_file (struct image *img, const struct image_file *f, cryo_error_t *err)
{
  struct stat st;

  if (fstatat (img->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return cryo_error (err, 0, "image `%s`: %s: missing", img->path, f->name);
      return cryo_error (err, errno, "image `%s`: %s", img->path, f->name);
    }
  if (!S_ISREG (st.st_mode))
    return cryo_error (err, 0, "image `%s`: %s: not a regular file", img->path, f->name);
  if ((uint64_t) st.st_size < f->size)
    return cryo_error (err, 0, "image `%s`: %s: truncated: %llu of %llu bytes", img->path, f->name,
                       (unsigned long long) st.st_size, (unsigned long long) f->size);
  if ((uint64_t) st.st_size > f->size)
    return cryo_error (err, 0,
                       "image `%s`: %s: size mismatch: %llu bytes, the manifest says %llu (file corrupt)",
                       img->path, f->name, (unsigned long long) st.st_size, (unsigned long long) f->size);
  return 0;
}

/* What a page server wrote for a --page-server checkpoint, copied into
 * the image afterwards: not in the manifest, so not checksummed. */
static bool
from_page_server (const struct image *img, const char *name)
{
  const size_t prefix = strlen (IMAGE_DIR_CRIU "/"), len = strlen (name);

  if (!img->m.options.page_server || len < prefix + 4 || strncmp (name, IMAGE_DIR_CRIU "/", prefix) != 0
      || strcmp (name + len - 4, ".img") != 0)
    return false;
  return strncmp (name + prefix, "pages-", 6) == 0 || strncmp (name + prefix, "pagemap-", 8) == 0;
}

/* Anything in the directory the manifest does not list; and, after a
 * --page-server checkpoint, whether the page server's files came. */
static int
check_extra (struct image *img, cryo_error_t *err)
{
  struct image_listing l;
  const char *extra = NULL;
  size_t from_server = 0;
  int ret = 0;

  if (image_list_tree (img->dirfd, &l, err) < 0)
    return cryo_error_wrap (err, "image `%s`", img->path);
  for (size_t i = 0; extra == NULL && l.files && l.files[i]; i++)
    if (from_page_server (img, l.files[i]))
      from_server++;
    else if (strcmp (l.files[i], IMAGE_MANIFEST) != 0 && manifest_find_file (&img->m, l.files[i]) == NULL)
      extra = l.files[i];
  if (extra == NULL && l.others)
    extra = l.others[0];
  if (extra)
    ret = cryo_error (err, 0, "image `%s`: %s: not in the manifest (unexpected file)", img->path, extra);
  else if (img->m.options.page_server && from_server == 0)
    ret = cryo_error (err, 0,
                      "image `%s`: its pages went to a page server: copy the page server's pagemap-*.img and "
                      "pages-*.img into %s/ first",
                      img->path, IMAGE_DIR_CRIU);
  image_listing_release (&l);
  return ret;
}

int
image_check_files (struct image *img, cryo_error_t *err)
{
  for (size_t i = 0; i < img->m.n_files; i++)
    if (check_one_file (img, &img->m.files[i], err) < 0)
      return -1;
  return check_extra (img, err);
}

int
image_verify (struct image *img, cryo_error_t *err)
{
  return image_verify_flags (img, 0, err);
}

int
image_verify_flags (struct image *img, int digest_flags, cryo_error_t *err)
{
  cleanup_free struct digest_job *jobs = NULL;
  size_t n = img->m.n_files;

  if (image_check_files (img, err) < 0)
    return -1;
  jobs = xzalloc ((n + 1) * sizeof (*jobs));
  for (size_t i = 0; i < n; i++)
    {
      jobs[i].name = img->m.files[i].name;
      jobs[i].alg = img->m.files[i].alg;
      jobs[i].chunk_size = img->m.files[i].chunk_size;
    }
  if (digest_files_at (img->dirfd, jobs, n, 0, digest_flags, err) < 0)
    return cryo_error_wrap (err, "image `%s`", img->path);
  for (size_t i = 0; i < n; i++)
    {
      const struct image_file *f = &img->m.files[i];
      /* The file may have changed size since the check above. */
      if (jobs[i].size != f->size)
        return cryo_error (err, 0, "image `%s`: %s: size changed while verifying", img->path, f->name);
      if (strcmp (jobs[i].hex, f->checksum) != 0)
        return cryo_error (err, 0, "image `%s`: %s: checksum mismatch (file corrupt)", img->path, f->name);
    }
  return 0;
}

int
image_read_file (struct image *img, const char *name, char **data, size_t *len, cryo_error_t *err)
{
  const struct image_file *f = manifest_find_file (&img->m, name);
  cleanup_digest digest_t *d = NULL;
  char hex[DIGEST_HEX_SIZE];
  cleanup_free char *buf = NULL;
  size_t got;

  if (f == NULL)
    return cryo_error (err, 0, "image `%s`: %s: not in the image", img->path, name);
  if (check_one_file (img, f, err) < 0)
    return -1;
  if (read_all_file_at (img->dirfd, name, &buf, &got, err) < 0)
    return cryo_error_wrap (err, "image `%s`", img->path);
  if (got != f->size)
    return cryo_error (err, 0, "image `%s`: %s: size changed while reading", img->path, name);
  if (digest_new_chunked (f->alg, f->chunk_size, &d, err) < 0)
    return -1;
  digest_update (d, buf, got);
  if (digest_final (d, hex, err) < 0)
    return -1;
  if (strcmp (hex, f->checksum) != 0)
    return cryo_error (err, 0, "image `%s`: %s: checksum mismatch (file corrupt)", img->path, name);
  *data = steal_pointer (&buf);
  if (len)
    *len = got;
  return 0;
}

bool
image_has_file (struct image *img, const char *name)
{
  return manifest_find_file (&img->m, name) != NULL;
}

const char *
image_path (struct image *img)
{
  return img->path;
}

int
image_dirfd (struct image *img)
{
  return img->dirfd;
}

const char *
image_criu_dir (struct image *img)
{
  return img->criu_path;
}

int
image_criu_dirfd (struct image *img)
{
  return img->criu_fd;
}

int
image_version (struct image *img)
{
  return img->m.version;
}

const char *
image_container_id (struct image *img)
{
  return img->m.container_id;
}

enum image_mode
image_mode (struct image *img)
{
  return img->m.mode;
}

const char *
image_created (struct image *img)
{
  return img->m.created;
}

const char *
image_cryo_version (struct image *img)
{
  return img->m.cryo_version;
}

const char *
image_criu_version (struct image *img)
{
  return img->m.criu_version;
}

const char *
image_kernel_release (struct image *img)
{
  return img->m.kernel_release;
}

const struct image_stats *
image_stats (struct image *img)
{
  return img->m.has_stats ? &img->m.stats : NULL;
}

const char *
image_config_digest (struct image *img)
{
  return img->m.config_digest;
}

const char *
image_mount_plan_file (struct image *img)
{
  return img->m.mount_plan;
}

const char *
image_cgroup_path (struct image *img)
{
  return img->m.cgroup_path;
}

const char *
image_cgroup_version (struct image *img)
{
  return img->m.cgroup_version;
}

uint64_t
image_total_size (struct image *img)
{
  return img->total;
}

const struct image_checkpoint_options *
image_options (struct image *img)
{
  return &img->m.options;
}

const struct image_namespace *
image_namespaces (struct image *img, size_t *n)
{
  *n = img->m.n_namespaces;
  return img->m.namespaces;
}

const struct image_file *
image_files (struct image *img, size_t *n)
{
  *n = img->m.n_files;
  return img->m.files;
}

const char *
image_tmpfs_destination (struct image *img, size_t i)
{
  return i < img->m.n_tmpfs ? img->m.tmpfs[i].destination : NULL;
}

const char *
image_tmpfs_file (struct image *img, size_t i)
{
  return i < img->m.n_tmpfs ? img->m.tmpfs[i].file : NULL;
}

const struct image_manifest *
image_manifest (struct image *img)
{
  return &img->m;
}
