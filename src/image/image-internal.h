/* Shared by the files of src/image/: the manifest in memory, its JSON form,
 * and the directory helpers that make writing an image crash-safe. */
#ifndef CRYO_IMAGE_INTERNAL_H
#define CRYO_IMAGE_INTERNAL_H

#include "image/image.h"

/* The largest manifest.json a reader takes: a manifest lists files, it does
 * not hold them (a real one is a few KiB). */
#define IMAGE_MANIFEST_MAX_SIZE (64 << 20)

struct image_tmpfs
{
  char *destination; /* "/dev/shm" */
  char *file;        /* "tmpfs/0.tree" */
};

struct image_manifest
{
  int version;
  char *cryo_version;
  char *criu_version; /* may be NULL */
  char *kernel_release;
  char *created;
  char *container_id;
  enum image_mode mode;
  char *config_digest; /* "xxh3:<hex>" (before format 4 "sha256:<hex>"), may be NULL */
  struct image_namespace *namespaces;
  size_t n_namespaces;
  char *mount_plan;                        /* file name, may be NULL */
  char *cgroup_path;                       /* may be NULL */
  char *cgroup_version;                    /* may be NULL */
  struct image_checkpoint_options options; /* manage_cgroups_mode is owned */
  struct image_stats stats;                /* when has_stats */
  bool has_stats;
  struct image_tmpfs *tmpfs;
  size_t n_tmpfs;
  struct image_file *files;
  size_t n_files;
};

void manifest_release (struct image_manifest *m);
void manifest_add_namespace (struct image_manifest *m, const struct image_namespace *ns);
void manifest_add_tmpfs (struct image_manifest *m, const char *destination, const char *file);
const struct image_file *manifest_find_file (const struct image_manifest *m, const char *name);

/* The manifest as pretty JSON text. */
int manifest_to_json (const struct image_manifest *m, char **out, size_t *len, cryo_error_t *err);
/* Read the "format" and "version" fields only: what decides whether the rest
 * can be read at all.  Errors are about the manifest, without the image path. */
int manifest_check_header (json_value_t *root, int *version, cryo_error_t *err);
/* Every field of a manifest whose header was checked; @m is filled even on
 * failure (release it either way). */
int manifest_from_json (json_value_t *root, struct image_manifest *m, cryo_error_t *err);

/* stats.c: the optional "stats" object of a manifest. */
int manifest_parse_stats (json_value_t *root, struct image_manifest *m, cryo_error_t *err);

/* Shared field parsers (the v1 cryo.json has the same namespace and option objects). */
int manifest_parse_namespaces (json_value_t *v, struct image_manifest *m, cryo_error_t *err);
int manifest_parse_options (json_value_t *v, struct image_checkpoint_options *o, cryo_error_t *err);
void manifest_gen_namespaces (json_gen_t *g, const struct image_manifest *m);

/* A file name inside an image: relative, no "." or ".." component, no empty
 * component, printable, not too long.  Returns NULL when valid, else why not. */
const char *image_name_problem (const char *name);
/* True for names of temporary image directories (".x.tmp-AbC123"). */
bool image_is_tmp_name (const char *basename);

/* Every entry under @dirfd, recursively, as relative names sorted
 * bytewise: regular files, directories, and anything else. */
struct image_listing
{
  char **files;
  char **dirs;
  char **others;
};
int image_list_tree (int dirfd, struct image_listing *out, cryo_error_t *err);
void image_listing_release (struct image_listing *l);

/* Remove @name under @parent_fd and everything below it. */
int image_remove_tree_at (int parent_fd, const char *name, cryo_error_t *err);
/* Create the directories leading to @name ("a/b/file" creates a and a/b). */
int image_mkdir_parents_at (int dirfd, const char *name, cryo_error_t *err);

/* A temporary directory ".<name>.tmp-XXXXXX" next to a target path, locked
 * with flock() for as long as it lives, so that a writer that died leaves a
 * directory the next writer recognizes (unlocked) and removes. */
struct image_tmpdir
{
  char *path;     /* target, as given */
  char *name;     /* basename of the target */
  char *tmp_name; /* basename of the temporary directory */
  char *tmp_path;
  int parent_fd;
  int fd; /* the temporary directory, holding the lock */
  bool replace;
  bool keep_replaced; /* the image a commit replaces stays at tmp_name until release */
  bool has_replaced;  /* it is there now */
  bool committed;
};
int image_tmpdir_begin (const char *path, bool replace, struct image_tmpdir *t, cryo_error_t *err);
/* fsync every directory of the tree, rename into place (exchanging with an
 * existing image when replacing, then removing it), fsync the parent. */
int image_tmpdir_commit (struct image_tmpdir *t, cryo_error_t *err);
/* After a commit that replaced an image kept aside (keep_replaced): put it
 * back at the path and ours at the temporary name, uncommitted. */
int image_tmpdir_unreplace (struct image_tmpdir *t, cryo_error_t *err);
/* Remove the temporary directory unless committed, the replaced image kept
 * aside if committed; release everything. */
void image_tmpdir_release (struct image_tmpdir *t);

/* Open the image directory at @dirfd (not taking ownership), named @path in
 * errors; no check of the directory's name. */
int image_open_fd (int dirfd, const char *path, struct image **out, cryo_error_t *err);

const struct image_manifest *image_manifest (struct image *img);
/* image_verify() with digest flags (DIGEST_FSYNC: also make it durable). */
int image_verify_flags (struct image *img, int digest_flags, cryo_error_t *err);

/* For convert: keep the metadata of the image being converted. */
void image_writer_set_origin (struct image_writer *w, const char *created, const char *cryo_version,
                              const char *kernel_release);
void image_writer_add_tmpfs_file (struct image_writer *w, const char *destination, const char *file);

/* A format 1 or 2 tmpfs tar archive @tar (under @src_dirfd) rewritten as
 * the tree archive @tree under @dst_dirfd (@dst_path: its path), through a
 * private tmpfs in a child process (tmpfs.c). */
int image_tmpfs_tar_to_tree (int src_dirfd, const char *tar, int dst_dirfd, const char *dst_path,
                             const char *tree, cryo_error_t *err);
size_t image_writer_n_tmpfs (struct image_writer *w);

#endif
