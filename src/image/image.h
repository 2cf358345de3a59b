/* cryo's checkpoint image: a directory holding a versioned manifest, cryo's
 * own metadata (config, namespaces, mount plan, network, cgroup, leak report,
 * tmpfs contents) and CRIU's images under criu/.  The layout and every field
 * are described in src/image/FORMAT.md.
 *
 * Writing is crash-safe: everything goes into a temporary directory
 * ".<name>.tmp-XXXXXX" next to the target, every file is fsynced, the
 * manifest (with the size and checksum of every file) is written last, and the
 * directory is renamed into place.  Something without a manifest, or with a
 * temporary name, is never an image.
 *
 *   cleanup_image_writer struct image_writer *w = NULL;
 *   if (image_writer_begin (path, NULL, &w, err) < 0) return -1;
 *   image_writer_set_container (w, id, IMAGE_MODE_CONTAINER);
 *   ... criu dumps into image_writer_criu_dirfd (w) ...
 *   if (image_writer_commit (w, err) < 0) return -1;   // else removed on return
 */
#ifndef CRYO_IMAGE_H
#define CRYO_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "lib/error.h"
#include "lib/json.h"
#include "ns/namespaces.h"

#define IMAGE_FORMAT_MAGIC "cryo-image"
#define IMAGE_FORMAT_VERSION 4     /* what this cryo writes and restores */
#define IMAGE_FORMAT_VERSION_MIN 1 /* oldest `cryo image convert` upgrades */

/* Well-known files of an image (relative to the image directory). */
#define IMAGE_MANIFEST "manifest.json"
#define IMAGE_FILE_CONFIG "config.json" /* config.json as the container was created */
#define IMAGE_FILE_NAMESPACES "namespaces.json"
#define IMAGE_FILE_MOUNTS "mounts.json" /* mount_plan_to_json() */
#define IMAGE_FILE_NETWORK "network.json"
#define IMAGE_FILE_CGROUP "cgroup.json"
#define IMAGE_FILE_LEAKS "leaks.json" /* subtree checkpoints: what was not guaranteed */
#define IMAGE_DIR_TMPFS "tmpfs"       /* tmpfs/<n>.tree, see image_writer_add_tmpfs() */
#define IMAGE_DIR_CRIU "criu"         /* CRIU's own images */

enum image_mode
{
  IMAGE_MODE_CONTAINER, /* the whole container, leak-checked */
  IMAGE_MODE_SUBTREE,   /* a process subtree, less strict (see leaks.json) */
};

struct image_namespace
{
  enum cryo_ns type;
  bool created;   /* true: the container created it; false: joined @path */
  uint64_t inode; /* nsfs inode at checkpoint time (0 if unknown) */
  char *path;     /* joined namespaces: the path from config.json, else NULL */
};

/* The options the checkpoint ran with; restore needs several of them back. */
struct image_checkpoint_options
{
  bool leave_running;
  bool tcp_established;
  bool tcp_close;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool link_remap;
  bool skip_in_flight;
  bool lazy_pages;
  bool page_server; /* the pages went to a page server: criu/pages-*.img and pagemap-*.img come later */
  const char *manage_cgroups_mode; /* "soft", "full", "strict", "ignore" or NULL */
};

struct image_file
{
  char *name; /* relative path, "criu/pages-1.img" */
  uint64_t size;
  uint64_t chunk_size;            /* 0: checksum is the file's digest; else of its chunks' (FORMAT.md) */
  enum digest_alg alg;            /* XXH3-128 in format 4, SHA-256 before */
  char checksum[DIGEST_HEX_SIZE]; /* lower-case hex */
};

/* ---- Writing ---------------------------------------------------------- */

struct image_writer;

struct image_writer_options
{
  bool replace; /* an existing image at the target is replaced atomically */
  /* ... and kept aside until the writer is released, so that
   * image_writer_withdraw() puts it back (a lazy checkpoint, which commits
   * before its dump has ended) */
  bool keep_replaced;
};

/**
 * image_writer_begin - start a new image at @path
 * @opts: NULL for the defaults (refuse an existing @path)
 *
 * Creates ".<name>.tmp-XXXXXX" (with criu/) next to @path and removes stale
 * temporary directories of the same name left by a writer that died.
 * Records the creation time, cryo's version and the kernel release.
 */
int image_writer_begin (const char *path, const struct image_writer_options *opts, struct image_writer **out,
                        cryo_error_t *err);

/* The temporary image directory, and its criu/ subdirectory (where CRIU
 * writes: criu_local_set_images_dir_fd).  Every file created there, CRIU's
 * dump.log included, is part of the image.  The fds stay owned by the
 * writer. */
int image_writer_dirfd (struct image_writer *w);
int image_writer_criu_dirfd (struct image_writer *w);
const char *image_writer_tmp_path (struct image_writer *w);

/**
 * image_writer_add_file - write one file of the image (fsynced at commit)
 * @name: relative path; subdirectories are created; not "manifest.json",
 *        no "..", no absolute path
 */
int image_writer_add_file (struct image_writer *w, const char *name, const void *data, size_t len,
                           cryo_error_t *err);
/* Finish @gen and write it as @name. */
int image_writer_add_json (struct image_writer *w, const char *name, json_gen_t *gen, cryo_error_t *err);

/* config.json exactly as the container was created: written as config.json,
 * its checksum goes into the manifest as "config_digest". */
int image_writer_set_config (struct image_writer *w, const void *data, size_t len, cryo_error_t *err);

/**
 * image_writer_add_tmpfs - archive the contents of a tmpfs mount
 * @destination: where it is mounted in the container ("/dev/shm")
 * @source: a path to its contents from here (e.g. /proc/PID/root/dev/shm)
 *
 * Stored as tmpfs/<n>.tree (src/image/tree.h: directories, files with their
 * holes, symlinks, hard links, device nodes, fifos, with modes, owners,
 * times and xattrs; sockets are skipped); restore brings it back with
 * image_extract_tmpfs().
 */
int image_writer_add_tmpfs (struct image_writer *w, const char *destination, const char *source,
                            cryo_error_t *err);

/* The mount plan as mounts.json (mount_plan_to_json); the manifest's
 * "mount_plan" then names it. */
struct mount_plan;
int image_writer_set_mount_plan (struct image_writer *w, const struct mount_plan *plan, cryo_error_t *err);

/* Manifest metadata.  Strings are copied. */
void image_writer_set_container (struct image_writer *w, const char *id, enum image_mode mode);
void image_writer_set_criu_version (struct image_writer *w, const char *version);
void image_writer_add_namespace (struct image_writer *w, const struct image_namespace *ns);
void image_writer_set_cgroup (struct image_writer *w, const char *path, const char *version);
void image_writer_set_options (struct image_writer *w, const struct image_checkpoint_options *o);

/* What a checkpoint cost, in CRIU's vocabulary (its stats-dump), with cryo's
 * own times: microseconds, counts of pages; 0 when not known.  FORMAT.md,
 * "stats". */
struct image_stats
{
  uint64_t freezing_time; /* freezing the container's cgroup */
  uint64_t frozen_time;   /* the freeze as the application sees it; 0: killed after the image was sealed */
  uint64_t memdump_time;  /* CRIU: reading the memory out */
  uint64_t memwrite_time; /* CRIU: writing it into the image */
  uint64_t pages_scanned, pages_skipped_parent, pages_written, pages_lazy; /* CRIU */
  uint64_t writeback_time;  /* cryo: checksums and fsync of every file (the image writer's commit) */
  uint64_t writeback_bytes; /* ... of that many bytes */
};

/* Record @s in the manifest; the commit fills in writeback_*. */
void image_writer_set_stats (struct image_writer *w, const struct image_stats *s);
/* The stats to be (or that were) written, with writeback_* after the commit;
 * NULL when none were set. */
const struct image_stats *image_writer_stats (struct image_writer *w);
/* The stats of @dirfd's CRIU stats-dump (CRIU writes it in its working
 * directory); 0 when there is none (@s untouched). */
int image_read_criu_stats (int dirfd, struct image_stats *s, cryo_error_t *err);
/* As JSON members of an open map. */
void image_stats_gen (json_gen_t *g, const struct image_stats *s);

/**
 * image_writer_commit - seal the image and make it appear at its path
 *
 * Checksums and fsyncs every file, writes manifest.json, fsyncs the
 * directories and renames into place (refusing an existing image unless
 * opts->replace).  On failure nothing appears at the path; the writer must
 * still be released with image_writer_abort().
 */
int image_writer_commit (struct image_writer *w, cryo_error_t *err);

/**
 * image_writer_withdraw - remove the image @w committed, after all
 *
 * A lazy checkpoint commits while CRIU still serves the pages; when the dump
 * fails after that, the image goes, and the one it replaced (kept aside
 * with opts->keep_replaced) comes back.  Only the directory this writer
 * renamed into place is removed (not one that replaced it since).  0 when
 * nothing was committed.
 */
int image_writer_withdraw (struct image_writer *w, cryo_error_t *err);

/* Remove the temporary directory (unless committed) and free the writer.
 * NULL-safe; what the cleanup attribute calls. */
void image_writer_abort (struct image_writer *w);
void cleanup_image_writerp (struct image_writer **w);
#define cleanup_image_writer __attribute__ ((cleanup (cleanup_image_writerp)))

/* ---- Reading ---------------------------------------------------------- */

struct image;

/**
 * image_open - open an image and validate its manifest
 *
 * Checks the format magic, the version (an older one says to run
 * `cryo image convert`, a newer one to upgrade cryo), every required field
 * and the file list.  One-line errors: "image `PATH`: manifest.json: ...".
 * Checksums are not read here: see image_verify().
 */
int image_open (const char *path, struct image **out, cryo_error_t *err);
void image_free (struct image *img);
void cleanup_imagep (struct image **img);
#define cleanup_image __attribute__ ((cleanup (cleanup_imagep)))

/**
 * image_verify - check the size and checksum of every file, and that nothing
 * is missing or extra.  Names the first bad file:
 * "image `/x`: criu/pages-1.img: checksum mismatch (file corrupt)".
 */
int image_verify (struct image *img, cryo_error_t *err);

/* The cheap part of image_verify(): every file is there with its size and
 * nothing else is (stat only, no reading). */
int image_check_files (struct image *img, cryo_error_t *err);

/* Read one file of the image, checking its size and checksum. */
int image_read_file (struct image *img, const char *name, char **data, size_t *len, cryo_error_t *err);
bool image_has_file (struct image *img, const char *name);

/* The mount plan of the image (checksum checked); *out NULL when the image
 * has none. */
int image_mount_plan (struct image *img, struct mount_plan **out, cryo_error_t *err);

/* Restore the tmpfs archived for @destination into @target (a directory). */
int image_extract_tmpfs (struct image *img, const char *destination, const char *target, cryo_error_t *err);

const char *image_path (struct image *img);
int image_dirfd (struct image *img);
/* "<path>/criu", CRIU's images.  Restore must send CRIU's log and work
 * files elsewhere (criu_local_set_work_dir_fd): a file added to the image
 * makes it fail verification ("not in the manifest"). */
const char *image_criu_dir (struct image *img);
int image_criu_dirfd (struct image *img);
int image_version (struct image *img);
const char *image_container_id (struct image *img);
enum image_mode image_mode (struct image *img);
const char *image_mode_name (enum image_mode mode);
const char *image_created (struct image *img); /* RFC 3339 */
const char *image_cryo_version (struct image *img);
const char *image_criu_version (struct image *img); /* NULL if not recorded */
const char *image_kernel_release (struct image *img);
const char *image_config_digest (struct image *img);   /* "xxh3:<hex>" or NULL */
const char *image_mount_plan_file (struct image *img); /* "mounts.json" or NULL */
const char *image_cgroup_path (struct image *img);
const char *image_cgroup_version (struct image *img);
const struct image_checkpoint_options *image_options (struct image *img);
const struct image_stats *image_stats (struct image *img); /* NULL when the manifest has none */
const struct image_namespace *image_namespaces (struct image *img, size_t *n);
const struct image_file *image_files (struct image *img, size_t *n);
uint64_t image_total_size (struct image *img);
/* tmpfs archives: destination and file of the i-th, NULL past the end. */
const char *image_tmpfs_destination (struct image *img, size_t i);
const char *image_tmpfs_file (struct image *img, size_t i);

/* ---- Whole-image operations (`cryo image pack|unpack|convert`) -------- */

enum image_compression
{
  IMAGE_COMPRESS_ZSTD,
  IMAGE_COMPRESS_GZIP,
  IMAGE_COMPRESS_NONE,
};

/* "zstd", "gzip" or "none". */
int image_compression_from_name (const char *name, enum image_compression *out, cryo_error_t *err);

/**
 * image_pack - write the image at @path as one tar archive @file
 *
 * Every file is checked against its checksum as it is packed (a corrupt
 * image is not packed).  @file appears complete or not at all; an existing
 * @file is refused.
 */
int image_pack (const char *path, const char *file, enum image_compression compression, cryo_error_t *err);

/**
 * image_unpack - extract an archive made by image_pack into a new image @path
 *
 * Extracted into a temporary directory next to @path, then the manifest and
 * every checksum are verified, then renamed into place: a corrupt or
 * truncated archive is rejected and leaves nothing behind.
 */
int image_unpack (const char *file, const char *path, cryo_error_t *err);

/**
 * image_convert - upgrade the image at @path to format @to_version in place
 * @from_version: set to the version the image had
 *
 * Builds the new layout in a temporary directory (CRIU's images are hard
 * linked, not copied) and swaps it in atomically.  An image already at
 * @to_version is left alone (returns 0).
 */
int image_convert (const char *path, int to_version, int *from_version, cryo_error_t *err);

#endif
