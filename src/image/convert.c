/* Upgrading old image layouts to the current one (FORMAT.md describes them).
 *
 * Version 1 kept all of cryo's metadata in one cryo.json, CRIU's images and
 * tmpfs-<n>.tar archives at the top level, and had no checksums.  Version 2
 * splits the metadata into files, moves CRIU's images to criu/ and tmpfs
 * archives to tmpfs/, and lists every file with its size and sha256 in
 * manifest.json.  Version 3 holds tmpfs contents in cryo's own archive
 * format (tmpfs/<n>.tree) instead of tar.  Version 4 checksums with XXH3-128
 * instead of SHA-256.
 * The conversion builds the new image next to the old one with the image
 * writer (hard links, no copies, tar archives rewritten) and swaps it in. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "image/tree.h"
#include "lib/util.h"

#define V1_METADATA "cryo.json"

static int
v1_string (json_value_t *root, const char *key, bool required, const char **out, cryo_error_t *err)
{
  json_value_t *v = json_get (root, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return required ? cryo_error (err, 0, "missing field `%s`", key) : 0;
  if (!json_is_string (v) || (required && json_string (v)[0] == '\0'))
    return cryo_error (err, 0, "field `%s`: must be a non-empty string", key);
  *out = json_string (v);
  return 0;
}

static int
add_json (struct image_writer *w, const char *name, json_value_t *v, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  jg_value (g, v);
  return image_writer_add_json (w, name, g, err);
}

static int
v1_namespaces (struct image_writer *w, json_value_t *root, cryo_error_t *err)
{
  struct image_manifest m = { 0 };
  cleanup_json_gen json_gen_t *g = json_gen_new (true);
  json_value_t *v = json_get (root, "namespaces");
  int ret;

  if (!json_is_array (v))
    return cryo_error (err, 0, "field `namespaces`: %s", v ? "must be an array" : "missing");
  ret = manifest_parse_namespaces (v, &m, err);
  for (size_t i = 0; ret == 0 && i < m.n_namespaces; i++)
    image_writer_add_namespace (w, &m.namespaces[i]);
  manifest_release (&m);
  if (ret < 0)
    return -1;
  jg_open_map (g);
  jg_key (g, "namespaces");
  jg_value (g, v);
  jg_close_map (g);
  return image_writer_add_json (w, IMAGE_FILE_NAMESPACES, g, err);
}

static int
v1_options_and_cgroup (struct image_writer *w, json_value_t *root, cryo_error_t *err)
{
  struct image_checkpoint_options o = { 0 };
  json_value_t *opts = json_get (root, "options"), *cg = json_get (root, "cgroup");
  const char *cg_path = NULL, *cg_version = NULL;
  int ret;

  if (opts == NULL)
    return cryo_error (err, 0, "missing field `options`");
  ret = manifest_parse_options (opts, &o, err);
  if (ret == 0)
    image_writer_set_options (w, &o);
  free ((char *) o.manage_cgroups_mode);
  if (ret < 0 || cg == NULL || json_is_null (cg))
    return ret;
  if (!json_is_object (cg))
    return cryo_error (err, 0, "field `cgroup`: must be an object");
  if (v1_string (cg, "path", false, &cg_path, err) < 0
      || v1_string (cg, "version", false, &cg_version, err) < 0)
    return cryo_error_wrap (err, "field `cgroup`");
  image_writer_set_cgroup (w, cg_path, cg_version);
  return add_json (w, IMAGE_FILE_CGROUP, cg, err);
}

static int
v1_metadata (struct image_writer *w, json_value_t *root, cryo_error_t *err)
{
  const char *id, *created, *cryo_version, *kernel, *criu_version, *mode;
  static const struct
  {
    const char *key, *file;
  } optional[]
      = { { "mounts", IMAGE_FILE_MOUNTS }, { "network", IMAGE_FILE_NETWORK }, { "leaks", IMAGE_FILE_LEAKS } };
  json_value_t *config = json_get (root, "config");

  if (v1_string (root, "container_id", true, &id, err) < 0
      || v1_string (root, "created", true, &created, err) < 0
      || v1_string (root, "cryo_version", true, &cryo_version, err) < 0
      || v1_string (root, "kernel", false, &kernel, err) < 0
      || v1_string (root, "criu_version", false, &criu_version, err) < 0
      || v1_string (root, "mode", true, &mode, err) < 0)
    return -1;
  if (strcmp (mode, "container") != 0 && strcmp (mode, "subtree") != 0)
    return cryo_error (err, 0, "field `mode`: must be \"container\" or \"subtree\"");
  if (!json_is_object (config))
    return cryo_error (err, 0, "field `config`: %s", config ? "must be an object" : "missing");
  image_writer_set_container (w, id,
                              strcmp (mode, "subtree") == 0 ? IMAGE_MODE_SUBTREE : IMAGE_MODE_CONTAINER);
  image_writer_set_origin (w, created, cryo_version, kernel ? kernel : "unknown");
  if (criu_version)
    image_writer_set_criu_version (w, criu_version);
  if (add_json (w, IMAGE_FILE_CONFIG, config, err) < 0 || v1_namespaces (w, root, err) < 0
      || v1_options_and_cgroup (w, root, err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (optional); i++)
    {
      json_value_t *v = json_get (root, optional[i].key);
      if (v && !json_is_null (v) && add_json (w, optional[i].file, v, err) < 0)
        return -1;
    }
  return 0;
}

/* The tmpfs archive entry that names @file, or -1. */
static int
v1_tmpfs_index (json_value_t *tmpfs, const char *file)
{
  for (size_t i = 0; i < json_len (tmpfs); i++)
    if (json_is_string (json_get (json_at (tmpfs, i), "file"))
        && strcmp (json_string (json_get (json_at (tmpfs, i), "file")), file) == 0)
      return (int) i;
  return -1;
}

static int
v1_check_tmpfs (json_value_t *tmpfs, char **files, cryo_error_t *err)
{
  if (tmpfs != NULL && !json_is_null (tmpfs) && !json_is_array (tmpfs))
    return cryo_error (err, 0, "field `tmpfs`: must be an array");
  for (size_t i = 0; tmpfs && i < json_len (tmpfs); i++)
    {
      json_value_t *e = json_at (tmpfs, i);
      const char *dest, *file;
      if (v1_string (e, "destination", true, &dest, err) < 0 || v1_string (e, "file", true, &file, err) < 0)
        return cryo_error_wrap (err, "field `tmpfs[%zu]`", i);
      if (dest[0] != '/')
        return cryo_error (err, 0, "field `tmpfs[%zu].destination`: must be an absolute path", i);
      if (!strv_contains (files, file))
        return cryo_error (err, 0, "field `tmpfs[%zu].file`: `%s` is not in the image", i, file);
    }
  return 0;
}

/* Hard-link every file of the old layout into the new one. */
static int
v1_files (struct image_writer *w, int src, json_value_t *root, cryo_error_t *err)
{
  json_value_t *tmpfs = json_get (root, "tmpfs");
  struct image_listing l;
  int ret = 0;

  if (image_list_tree (src, &l, err) < 0)
    return -1;
  if (l.dirs || l.others)
    ret = cryo_error (err, 0, "`%s`: unexpected in a version 1 image (it holds regular files only)",
                      l.dirs ? l.dirs[0] : l.others[0]);
  if (ret == 0)
    ret = v1_check_tmpfs (tmpfs, l.files, err);
  for (size_t i = 0; ret == 0 && l.files && l.files[i]; i++)
    {
      const char *name = l.files[i];
      int t = v1_tmpfs_index (tmpfs, name);
      cleanup_free char *dest = NULL;

      if (strcmp (name, V1_METADATA) == 0)
        continue;
      dest = t >= 0 ? xasprintf ("%s/%d%s", IMAGE_DIR_TMPFS, t, TREE_SUFFIX)
                    : xasprintf ("%s/%s", IMAGE_DIR_CRIU, name);
      if (t >= 0)
        ret = image_tmpfs_tar_to_tree (src, name, image_writer_dirfd (w), image_writer_tmp_path (w), dest, err);
      else if (linkat (src, name, image_writer_dirfd (w), dest, 0) < 0)
        ret = cryo_error (err, errno, "link `%s` to `%s`", name, dest);
      if (ret == 0 && t >= 0)
        image_writer_add_tmpfs_file (w, json_string (json_get (json_at (tmpfs, t), "destination")), dest);
    }
  image_listing_release (&l);
  return ret;
}

static int
convert_v1 (const char *path, int src, json_value_t *root, cryo_error_t *err)
{
  cleanup_image_writer struct image_writer *w = NULL;
  struct image_writer_options opts = { .replace = true };

  if (image_writer_begin (path, &opts, &w, err) < 0)
    return -1;
  if (v1_metadata (w, root, err) < 0)
    return cryo_error_wrap (err, "image `%s`: %s", path, V1_METADATA);
  if (v1_files (w, src, root, err) < 0)
    return cryo_error_wrap (err, "image `%s`", path);
  return image_writer_commit (w, err);
}

/* Versions 2 and 3: their checksums hold before anything is carried over
 * (the commit hashes the new image, a corrupt file would pass as good). */
static int
v2_verify (int src, const struct image_manifest *m, cryo_error_t *err)
{
  cleanup_free struct digest_job *jobs = xzalloc ((m->n_files + 1) * sizeof (*jobs));

  for (size_t i = 0; i < m->n_files; i++)
    jobs[i] = (struct digest_job){ .name = m->files[i].name,
                                   .alg = m->files[i].alg,
                                   .chunk_size = m->files[i].chunk_size };
  if (digest_files_at (src, jobs, m->n_files, 0, 0, err) < 0)
    return -1;
  for (size_t i = 0; i < m->n_files; i++)
    if (jobs[i].size != m->files[i].size || strcmp (jobs[i].hex, m->files[i].checksum) != 0)
      return cryo_error (err, 0, "%s: checksum mismatch (file corrupt)", m->files[i].name);
  return 0;
}

static bool
is_tmpfs_file (const struct image_manifest *m, const char *name)
{
  for (size_t i = 0; i < m->n_tmpfs; i++)
    if (strcmp (m->tmpfs[i].file, name) == 0)
      return true;
  return false;
}

/* Everything is hard-linked but version 2's tmpfs tar archives, rewritten
 * as trees. */
static int
v2_files (struct image_writer *w, int src, const struct image_manifest *m, cryo_error_t *err)
{
  int dst = image_writer_dirfd (w);

  if (m->version >= 3)
    for (size_t i = 0; i < m->n_tmpfs; i++)
      image_writer_add_tmpfs_file (w, m->tmpfs[i].destination, m->tmpfs[i].file);
  for (size_t i = 0; i < m->n_files; i++)
    {
      const char *name = m->files[i].name;
      if (m->version < 3 && is_tmpfs_file (m, name))
        continue;
      if (image_mkdir_parents_at (dst, name, err) < 0)
        return -1;
      if (linkat (src, name, dst, name, 0) < 0)
        return cryo_error (err, errno, "link `%s`", name);
    }
  for (size_t i = 0; m->version < 3 && i < m->n_tmpfs; i++)
    {
      cleanup_free char *tree = xasprintf ("%s/%zu%s", IMAGE_DIR_TMPFS, i, TREE_SUFFIX);
      if (image_tmpfs_tar_to_tree (src, m->tmpfs[i].file, dst, image_writer_tmp_path (w), tree, err) < 0)
        return -1;
      image_writer_add_tmpfs_file (w, m->tmpfs[i].destination, tree);
    }
  return 0;
}

static int
convert_v2 (const char *path, int src, json_value_t *root, cryo_error_t *err)
{
  cleanup_image_writer struct image_writer *w = NULL;
  struct image_writer_options opts = { .replace = true };
  struct image_manifest m = { 0 };
  int ret = -1;

  if (manifest_from_json (root, &m, err) < 0)
    {
      cryo_error_wrap (err, "image `%s`: %s", path, IMAGE_MANIFEST);
      goto out;
    }
  if (v2_verify (src, &m, err) < 0 || image_writer_begin (path, &opts, &w, err) < 0)
    {
      cryo_error_wrap (err, "image `%s`", path);
      goto out;
    }
  image_writer_set_container (w, m.container_id, m.mode);
  image_writer_set_origin (w, m.created, m.cryo_version, m.kernel_release);
  if (m.criu_version)
    image_writer_set_criu_version (w, m.criu_version);
  for (size_t i = 0; i < m.n_namespaces; i++)
    image_writer_add_namespace (w, &m.namespaces[i]);
  if (m.cgroup_path || m.cgroup_version)
    image_writer_set_cgroup (w, m.cgroup_path, m.cgroup_version);
  image_writer_set_options (w, &m.options);
  if (v2_files (w, src, &m, err) < 0)
    {
      cryo_error_wrap (err, "image `%s`", path);
      goto out;
    }
  ret = image_writer_commit (w, err);
out:
  manifest_release (&m);
  return ret;
}

/* The version of the image in @dirfd; *root gets the v1 metadata. */
static int
detect_version (int dirfd, const char *path, int *version, json_value_t **root, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  const char *name = IMAGE_MANIFEST;

  if (read_all_file_at (dirfd, name, &text, NULL, NULL) < 0)
    {
      name = V1_METADATA;
      if (read_all_file_at (dirfd, name, &text, NULL, NULL) < 0)
        return cryo_error (err, 0, "image `%s`: not a cryo image (no %s, no %s)", path, IMAGE_MANIFEST,
                           V1_METADATA);
    }
  if (json_parse (text, root, err) < 0 || manifest_check_header (*root, version, err) < 0)
    return cryo_error_wrap (err, "image `%s`: %s", path, name);
  if ((strcmp (name, V1_METADATA) == 0) != (*version == 1))
    return cryo_error (err, 0, "image `%s`: %s says format version %d, which does not use that file", path,
                       name, *version);
  return 0;
}

int
image_convert (const char *path, int to_version, int *from_version, cryo_error_t *err)
{
  cleanup_json json_value_t *root = NULL;
  cleanup_close int fd = -1;
  int version;

  if (to_version != IMAGE_FORMAT_VERSION)
    return cryo_error (err, 0, "cannot convert to format version %d: this cryo writes version %d only",
                       to_version, IMAGE_FORMAT_VERSION);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "image `%s`", path);
  if (detect_version (fd, path, &version, &root, err) < 0)
    return -1;
  *from_version = version;
  if (version == to_version)
    return 0;
  if (version > to_version)
    return cryo_error (err, 0,
                       "image `%s`: format version %d is newer than this cryo reads (%d): upgrade cryo", path,
                       version, IMAGE_FORMAT_VERSION);
  return version == 1 ? convert_v1 (path, fd, root, err) : convert_v2 (path, fd, root, err);
}
