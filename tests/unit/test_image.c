/* The image format: writer, manifest validation, verify, crash safety. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "lib/json.h"
#include "tap.h"
#include "lib/util.h"

#define STR_(x) #x
#define STR(x) STR_ (x)

static char base[] = "/tmp/cryo-test-image-XXXXXX";
static int counter;

static char *
new_path (void)
{
  return xasprintf ("%s/img%d", base, ++counter);
}

static int
write_file (const char *path, const char *name, const void *data, size_t len)
{
  cleanup_free char *full = xasprintf ("%s/%s", path, name);
  cleanup_close int fd = open (full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  return fd < 0 || write_all (fd, data, len) < 0 ? -1 : 0;
}

static char *
slurp (const char *path, const char *name)
{
  cleanup_free char *full = xasprintf ("%s/%s", path, name);
  char *out = NULL;
  if (read_all_file (full, &out, NULL, NULL) < 0)
    return NULL;
  return out;
}

/* An image with metadata, a config and two CRIU files (one of 8192 bytes). */
static int
make_image (const char *path, cryo_error_t *err)
{
  cleanup_image_writer struct image_writer *w = NULL;
  static const char config[] = "{\"ociVersion\": \"1.2.0\"}";
  char pages[8192];
  struct image_namespace ns = { .type = NS_PID, .created = true, .inode = 4026531836 };
  struct image_namespace net = { .type = NS_NET, .created = false, .inode = 42, .path = "/var/run/netns/x" };
  struct image_checkpoint_options o = { .tcp_established = true, .manage_cgroups_mode = "soft" };
  struct image_stats st = { .frozen_time = 81234, .pages_written = 2, .writeback_bytes = 7 };

  memset (pages, 0xa5, sizeof (pages));
  if (image_writer_begin (path, NULL, &w, err) < 0)
    return -1;
  image_writer_set_container (w, "ctr-1", IMAGE_MODE_CONTAINER);
  image_writer_set_criu_version (w, "4.2.1");
  image_writer_add_namespace (w, &ns);
  image_writer_add_namespace (w, &net);
  image_writer_set_cgroup (w, "/cryo/ctr-1", "v1");
  image_writer_set_options (w, &o);
  image_writer_set_stats (w, &st);
  if (image_writer_set_config (w, config, strlen (config), err) < 0
      || image_writer_add_file (w, IMAGE_FILE_MOUNTS, "[]", 2, err) < 0
      || image_writer_add_file (w, IMAGE_FILE_NAMESPACES, "{}", 2, err) < 0)
    return -1;
  if (write_file_at (image_writer_criu_dirfd (w), "pages-1.img", pages, sizeof (pages), err) < 0
      || write_file_at (image_writer_criu_dirfd (w), "core-1.img", "core", 4, err) < 0)
    return -1;
  return image_writer_commit (w, err);
}

static int
open_verify (const char *path, cryo_error_t *err)
{
  cleanup_image struct image *img = NULL;
  if (image_open (path, &img, err) < 0)
    return -1;
  return image_verify (img, err);
}

static int
test_roundtrip (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_free char *data = NULL;
  const struct image_namespace *ns;
  const struct image_file *files;
  size_t n, len;

  CHECK (make_image (path, &err) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK (image_verify (img, &err) == 0);
  CHECK (image_version (img) == IMAGE_FORMAT_VERSION);
  CHECK_STR (image_container_id (img), "ctr-1");
  CHECK (image_mode (img) == IMAGE_MODE_CONTAINER);
  CHECK_STR (image_criu_version (img), "4.2.1");
  CHECK_STR (image_cryo_version (img), PACKAGE_VERSION);
  CHECK_STR (image_cgroup_path (img), "/cryo/ctr-1");
  CHECK_STR (image_mount_plan_file (img), IMAGE_FILE_MOUNTS);
  CHECK (image_options (img)->tcp_established && !image_options (img)->leave_running);
  CHECK_STR (image_options (img)->manage_cgroups_mode, "soft");
  ns = image_namespaces (img, &n);
  CHECK (n == 2 && ns[0].type == NS_PID && ns[0].created && ns[0].inode == 4026531836);
  CHECK (ns[1].type == NS_NET && !ns[1].created);
  CHECK_STR (ns[1].path, "/var/run/netns/x");
  files = image_files (img, &n);
  CHECK (n == 5); /* config, mounts, namespaces, 2 criu files; sorted */
  CHECK_STR (files[0].name, "config.json");
  CHECK_STR (files[1].name, "criu/core-1.img");
  CHECK (image_total_size (img) == 23 + 2 + 2 + 4 + 8192);
  CHECK (image_config_digest (img) != NULL && strncmp (image_config_digest (img), "xxh3:", 5) == 0);
  CHECK (image_read_file (img, IMAGE_FILE_CONFIG, &data, &len, &err) == 0);
  CHECK (len == 23 && strstr (data, "ociVersion"));
  CHECK (image_criu_dirfd (img) >= 0);
  /* The stats as set, the write-back filled in by the commit. */
  CHECK (image_stats (img) != NULL && image_stats (img)->frozen_time == 81234);
  CHECK (image_stats (img)->pages_written == 2 && image_stats (img)->memdump_time == 0);
  CHECK (image_stats (img)->writeback_bytes == image_total_size (img));
  return 0;
}

static int
corrupt_and_expect (void (*damage) (const char *path), const char *expected)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;

  CHECK (make_image (path, &err) == 0);
  damage (path);
  CHECK (open_verify (path, &err) < 0);
  CHECK_ERR_CONTAINS (err, expected);
  CHECK (strchr (err->msg, '\n') == NULL);
  return 0;
}

static void
flip_byte (const char *path)
{
  cleanup_free char *f = xasprintf ("%s/criu/pages-1.img", path);
  int fd = open (f, O_RDWR);
  char c;
  pread (fd, &c, 1, 4000);
  c ^= 1;
  pwrite (fd, &c, 1, 4000);
  close (fd);
}

static void
truncate_file (const char *path)
{
  cleanup_free char *f = xasprintf ("%s/criu/pages-1.img", path);
  truncate (f, 4096);
}

static void
remove_file (const char *path)
{
  cleanup_free char *f = xasprintf ("%s/criu/core-1.img", path);
  unlink (f);
}

static void
add_extra (const char *path)
{
  write_file (path, "criu/extra.img", "x", 1);
}

static void
grow_file (const char *path)
{
  cleanup_free char *f = xasprintf ("%s/criu/core-1.img", path);
  int fd = open (f, O_WRONLY | O_APPEND);
  write_all (fd, "more", 4);
  close (fd);
}

static void
flip_archive (const char *path)
{
  cleanup_free char *f = xasprintf ("%s/tmpfs/0.tree", path);
  int fd = open (f, O_RDWR);
  char c;
  pread (fd, &c, 1, 20);
  c ^= 0x20;
  pwrite (fd, &c, 1, 20);
  close (fd);
}

static int
test_flipped_byte (void)
{
  char expected[256];
  snprintf (expected, sizeof (expected), "img%d`: criu/pages-1.img: checksum mismatch (file corrupt)",
            counter + 1);
  return corrupt_and_expect (flip_byte, expected);
}

static int
test_truncated (void)
{
  return corrupt_and_expect (truncate_file, ": criu/pages-1.img: truncated: 4096 of 8192 bytes");
}

static int
test_missing (void)
{
  return corrupt_and_expect (remove_file, ": criu/core-1.img: missing");
}

static int
test_extra (void)
{
  return corrupt_and_expect (add_extra, ": criu/extra.img: not in the manifest (unexpected file)");
}

static int
test_grown (void)
{
  return corrupt_and_expect (grow_file, ": criu/core-1.img: size mismatch: 8 bytes, the manifest says 4");
}

/* Rewrite manifest.json without @drop, and with @key set to the JSON @value. */
static int
rewrite_manifest (const char *path, const char *drop, const char *key, const char *value)
{
  cleanup_free char *text = slurp (path, IMAGE_MANIFEST);
  cleanup_json json_value_t *root = NULL, *v = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (true);
  cleanup_free char *out = NULL;
  size_t len;
  bool done = false;

  if (text == NULL || json_parse (text, &root, NULL) < 0 || (value && json_parse (value, &v, NULL) < 0))
    return -1;
  jg_open_map (g);
  for (size_t i = 0; i < json_len (root); i++)
    {
      const char *k = json_key_at (root, i);
      if (drop && strcmp (k, drop) == 0)
        continue;
      jg_key (g, k);
      if (key && strcmp (k, key) == 0)
        jg_value (g, v), done = true;
      else
        jg_value (g, json_at (root, i));
    }
  if (key && !done)
    jg_key (g, key), jg_value (g, v);
  jg_close_map (g);
  if (json_gen_finish (g, &out, &len, NULL) < 0)
    return -1;
  return write_file (path, IMAGE_MANIFEST, out, len);
}

static int
expect_open_error (const char *drop, const char *key, const char *value, const char *expected)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;

  CHECK (make_image (path, &err) == 0);
  CHECK (rewrite_manifest (path, drop, key, value) == 0);
  if (image_open (path, &img, &err) == 0)
    {
      printf ("# opened a manifest with %s%s%s\n", drop ? "no " : "", drop ? drop : key, drop ? "" : value);
      return 1;
    }
  CHECK_ERR_CONTAINS (err, expected);
  CHECK (strncmp (err->msg, "image `", 7) == 0 && strchr (err->msg, '\n') == NULL);
  return 0;
}

static int
test_manifest_required_fields (void)
{
  static const char *const required[] = { "format",       "version", "cryo_version", "kernel",  "created",
                                          "container_id", "mode",    "namespaces",   "options", "files" };
  for (size_t i = 0; i < ARRAY_SIZE (required); i++)
    {
      char expected[128];
      snprintf (expected, sizeof (expected), "manifest.json: missing field `%s`", required[i]);
      if (expect_open_error (required[i], NULL, NULL, expected) != 0)
        return 1;
    }
  return 0;
}

static int
test_manifest_bad_values (void)
{
  static const struct
  {
    const char *key, *value, *expected;
  } cases[] = {
    { "format", "\"tar\"", "field `format`: is not \"cryo-image\" (not a cryo image)" },
    { "version", "\"2\"", "field `version`: must be a positive integer" },
    { "container_id", "\"\"", "field `container_id`: must not be empty" },
    { "mode", "\"whole\"", "field `mode`: must be \"container\" or \"subtree\"" },
    { "namespaces", "[{\"type\": \"bogus\", \"created\": true}]",
      "field `namespaces[0].type`: unknown namespace" },
    { "namespaces", "[{\"type\": \"pid\"}]", "missing field `namespaces[0].created`" },
    { "options", "{\"leave_running\": 1}", "field `options.leave_running`: must be true or false" },
    { "files", "{}", "field `files`: must be an array" },
    { "files",
      "[{\"name\": \"../x\", \"size\": 1, \"xxh3\": \""
      "00000000000000000000000000000000\"}]",
      "field `files[0].name`: `../x` has a `.` or `..` component" },
    { "files",
      "[{\"name\": \"/etc/passwd\", \"size\": 1, \"xxh3\": \""
      "00000000000000000000000000000000\"}]",
      "is an absolute path" },
    { "files",
      "[{\"name\": \"a\", \"size\": -1, \"xxh3\": \""
      "00000000000000000000000000000000\"}]",
      "field `files[0].size`: must be a non-negative integer" },
    { "files", "[{\"name\": \"a\", \"size\": 1, \"xxh3\": \"abc\"}]",
      "field `files[0].xxh3`: must be 32 lower-case hex digits" },
    /* Format 4 checksums are XXH3: a SHA-256 entry is not one. */
    { "files",
      "[{\"name\": \"a\", \"size\": 1, \"sha256\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\"}]",
      "missing field `files[0].xxh3`" },
    { "mount_plan", "\"nothere.json\"", "field `mount_plan`: `nothere.json` is not in `files`" },
    { "stats", "[]", "field `stats`: must be an object" },
    { "stats", "{\"frozen_time\": -1}", "field `stats.frozen_time`: must be a non-negative integer" },
    { "config_digest", "\"xxh3:00000000000000000000000000000000\"",
      "field `config_digest`: does not match the checksum of config.json" },
    { "config_digest", "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"",
      "field `config_digest`: must be \"xxh3:\" and 32 hex digits" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    if (expect_open_error (NULL, cases[i].key, cases[i].value, cases[i].expected) != 0)
      return 1;
  return 0;
}

static int
test_manifest_duplicate_file (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_free char *text = NULL, *dup = NULL;
  char *p;

  CHECK (make_image (path, &err) == 0);
  text = slurp (path, IMAGE_MANIFEST);
  /* Rename the core entry to the pages entry's name. */
  p = strstr (text, "criu/core-1.img");
  CHECK (p != NULL);
  dup = xasprintf ("%.*scriu/pages-1.img%s", (int) (p - text), text, p + strlen ("criu/core-1.img"));
  CHECK (write_file (path, IMAGE_MANIFEST, dup, strlen (dup)) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "field `files`: `criu/pages-1.img` listed twice");
  return 0;
}

static int
test_manifest_not_json (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;

  CHECK (make_image (path, &err) == 0);
  CHECK (write_file (path, IMAGE_MANIFEST, "{\"format\": ", 11) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "manifest.json: invalid JSON");
  return 0;
}

static int
test_future_version (void)
{
  char value[16], expected[128];

  snprintf (value, sizeof value, "%d", IMAGE_FORMAT_VERSION + 1);
  snprintf (expected, sizeof expected, "format version %d is newer than this cryo reads (%d): upgrade cryo",
            IMAGE_FORMAT_VERSION + 1, IMAGE_FORMAT_VERSION);
  return expect_open_error (NULL, "version", value, expected);
}

static int
test_old_version (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  static const char v1[] = "{\"format\": \"cryo-image\", \"version\": 1}";

  CHECK (mkdir (path, 0700) == 0);
  CHECK (write_file (path, "cryo.json", v1, strlen (v1)) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "format version 1 is older than this cryo reads (" STR (IMAGE_FORMAT_VERSION) ")");
  CHECK_ERR_CONTAINS (err, "cryo image convert");
  cryo_error_release (&err);
  CHECK (image_open (base, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "no manifest.json (not a cryo image");
  return 0;
}

/* Entries of @dir whose name starts with @prefix. */
static int
count_entries (const char *dir, const char *prefix)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  int n = 0;

  while (d && (de = readdir (d)) != NULL)
    if (strncmp (de->d_name, prefix, strlen (prefix)) == 0)
      n++;
  return n;
}

static int
test_abort_leaves_nothing (void)
{
  cleanup_free char *path = new_path ();
  cleanup_free char *name = xstrdup (strrchr (path, '/') + 1);
  cleanup_free char *tmp_prefix = xasprintf (".%s.tmp-", name);
  cleanup_error cryo_error_t err = NULL;
  struct image_writer *w = NULL;

  CHECK (image_writer_begin (path, NULL, &w, &err) == 0);
  CHECK (count_entries (base, tmp_prefix) == 1);
  CHECK (image_writer_add_file (w, "config.json", "{}", 2, &err) == 0);
  CHECK (write_file_at (image_writer_criu_dirfd (w), "pages-1.img", "p", 1, &err) == 0);
  image_writer_abort (w);
  CHECK (count_entries (base, tmp_prefix) == 0);
  CHECK (access (path, F_OK) < 0 && errno == ENOENT);

  /* The cleanup attribute does the same. */
  {
    cleanup_image_writer struct image_writer *w2 = NULL;
    CHECK (image_writer_begin (path, NULL, &w2, &err) == 0);
    CHECK (image_writer_add_file (w2, "a/b/c.json", "{}", 2, &err) == 0);
  }
  CHECK (count_entries (base, tmp_prefix) == 0);
  CHECK (access (path, F_OK) < 0 && errno == ENOENT);
  return 0;
}

/* A writer that dies (here: a child that exits without cleanup, after the
 * manifest was in place) leaves a temporary directory that is never opened
 * as an image, and that the next writer of the same target removes. */
static int
test_crash_safety (void)
{
  cleanup_free char *path = new_path ();
  cleanup_free char *donor = new_path ();
  cleanup_free char *name = xstrdup (strrchr (path, '/') + 1);
  cleanup_free char *tmp_prefix = xasprintf (".%s.tmp-", name);
  cleanup_free char *manifest = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_free char *tmp_path = NULL;
  int pipefd[2], status;
  char buf[4096] = "";
  pid_t pid;

  CHECK (make_image (donor, &err) == 0);
  manifest = slurp (donor, IMAGE_MANIFEST);
  CHECK (pipe (pipefd) == 0);
  pid = fork ();
  if (pid == 0)
    {
      struct image_writer *w = NULL;
      if (image_writer_begin (path, NULL, &w, NULL) < 0)
        _exit (1);
      image_writer_set_container (w, "x", IMAGE_MODE_CONTAINER);
      write_file (image_writer_tmp_path (w), "config.json", "{}", 2);
      write_file (image_writer_tmp_path (w), IMAGE_MANIFEST, manifest, strlen (manifest));
      write_all (pipefd[1], image_writer_tmp_path (w), strlen (image_writer_tmp_path (w)));
      _exit (0); /* "crash": no abort, no commit */
    }
  close (pipefd[1]);
  CHECK (read (pipefd[0], buf, sizeof (buf) - 1) > 0);
  close (pipefd[0]);
  CHECK (waitpid (pid, &status, 0) == pid && WIFEXITED (status) && WEXITSTATUS (status) == 0);
  tmp_path = xstrdup (buf);

  CHECK (count_entries (base, tmp_prefix) == 1);
  CHECK (image_open (path, &img, &err) < 0);
  cryo_error_release (&err);
  CHECK (image_open (tmp_path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "an unfinished image (the temporary directory of an interrupted write)");
  cryo_error_release (&err);

  /* The next writer of that target sweeps the dead writer's directory. */
  CHECK (make_image (path, &err) == 0);
  CHECK (count_entries (base, tmp_prefix) == 0);
  CHECK (open_verify (path, &err) == 0);
  return 0;
}

static int
test_concurrent_writers (void)
{
  cleanup_free char *path = new_path ();
  cleanup_free char *name = xstrdup (strrchr (path, '/') + 1);
  cleanup_free char *tmp_prefix = xasprintf (".%s.tmp-", name);
  cleanup_error cryo_error_t err = NULL;
  cleanup_image_writer struct image_writer *w1 = NULL, *w2 = NULL;

  CHECK (image_writer_begin (path, NULL, &w1, &err) == 0);
  CHECK (image_writer_begin (path, NULL, &w2, &err) == 0);
  /* w2's sweep did not take w1's live directory. */
  CHECK (count_entries (base, tmp_prefix) == 2);
  image_writer_set_container (w1, "one", IMAGE_MODE_CONTAINER);
  image_writer_set_container (w2, "two", IMAGE_MODE_SUBTREE);
  CHECK (image_writer_commit (w1, &err) == 0);
  CHECK (image_writer_commit (w2, &err) < 0);
  CHECK_ERR_CONTAINS (err, "already exists");
  return 0;
}

static int
test_existing_and_replace (void)
{
  cleanup_free char *path = new_path ();
  cleanup_free char *other = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_image_writer struct image_writer *w = NULL;
  struct image_writer_options replace = { .replace = true };

  CHECK (make_image (path, &err) == 0);
  CHECK (make_image (path, &err) < 0);
  CHECK_ERR_CONTAINS (err, "already exists");
  CHECK (image_writer_begin (path, &replace, &w, &err) == 0);
  image_writer_set_container (w, "replacement", IMAGE_MODE_SUBTREE);
  CHECK (image_writer_commit (w, &err) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK_STR (image_container_id (img), "replacement");
  CHECK (image_verify (img, &err) == 0);

  /* Somebody's directory is not an image: never replaced. */
  CHECK (mkdir (other, 0755) == 0);
  CHECK (write_file (other, "precious", "x", 1) == 0);
  image_writer_abort (steal_pointer (&w));
  CHECK (image_writer_begin (other, &replace, &w, &err) < 0);
  CHECK_ERR_CONTAINS (err, "is not a cryo image: refusing to replace it");
  return 0;
}

/* The temporary directories next to @path (".NAME.tmp-*"). */
static size_t
tmp_dirs (const char *path)
{
  cleanup_free char *pattern = xasprintf ("%s/.%s.tmp-*", base, strrchr (path, '/') + 1);
  glob_t g;
  size_t n;

  if (glob (pattern, 0, NULL, &g) != 0)
    return 0;
  n = g.gl_pathc;
  globfree (&g);
  return n;
}

static int
replace_keeping (const char *path, struct image_writer **w, cryo_error_t *err)
{
  struct image_writer_options keep = { .replace = true, .keep_replaced = true };

  if (image_writer_begin (path, &keep, w, err) < 0)
    return -1;
  image_writer_set_container (*w, "replacement", IMAGE_MODE_SUBTREE);
  return image_writer_commit (*w, err);
}

/* A lazy checkpoint's writer: the image it replaced is kept aside, back at
 * the path after a withdraw, removed when the writer is released. */
static int
test_keep_replaced (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  struct image_writer *w = NULL;
  struct image *img = NULL;

  CHECK (make_image (path, &err) == 0);
  CHECK (replace_keeping (path, &w, &err) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK_STR (image_container_id (img), "replacement");
  image_free (img);
  CHECK (tmp_dirs (path) == 1);
  CHECK (image_writer_withdraw (w, &err) == 0);
  image_writer_abort (w);
  CHECK (tmp_dirs (path) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK_STR (image_container_id (img), "ctr-1");
  CHECK (image_verify (img, &err) == 0);
  image_free (img);

  CHECK (replace_keeping (path, &w, &err) == 0);
  image_writer_abort (w);
  CHECK (tmp_dirs (path) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK_STR (image_container_id (img), "replacement");
  image_free (img);
  return 0;
}

static int
test_non_regular_file (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image_writer struct image_writer *w = NULL;

  CHECK (image_writer_begin (path, NULL, &w, &err) == 0);
  image_writer_set_container (w, "x", IMAGE_MODE_CONTAINER);
  CHECK (symlinkat ("/etc/passwd", image_writer_criu_dirfd (w), "link") == 0);
  CHECK (image_writer_commit (w, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu/link` is not a regular file or a directory");
  CHECK (access (path, F_OK) < 0);
  CHECK (image_writer_add_file (w, "../escape", "x", 1, &err) < 0);
  CHECK_ERR_CONTAINS (err, "has a `.` or `..` component");
  CHECK (image_writer_add_file (w, IMAGE_MANIFEST, "x", 1, &err) < 0);
  return 0;
}

static int
test_tmpfs_roundtrip (void)
{
  cleanup_free char *path = new_path ();
  cleanup_free char *src = xasprintf ("%s/tmpfs-src%d", base, counter);
  cleanup_free char *dst = xasprintf ("%s/tmpfs-dst%d", base, counter);
  cleanup_free char *f = NULL, *content = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_image_writer struct image_writer *w = NULL;
  char target[64];
  struct stat st;

  CHECK (mkdir (src, 0755) == 0 && mkdir (dst, 0755) == 0);
  f = xasprintf ("%s/sub", src);
  CHECK (mkdir (f, 0700) == 0);
  CHECK (write_file (src, "sub/data", "hello tmpfs", 11) == 0);
  free (f);
  f = xasprintf ("%s/link", src);
  CHECK (symlink ("sub/data", f) == 0);
  free (f);
  f = xasprintf ("%s/sub/data", src);
  CHECK (chmod (f, 0640) == 0 && chown (f, 1234, 5678) == 0);

  CHECK (image_writer_begin (path, NULL, &w, &err) == 0);
  image_writer_set_container (w, "t", IMAGE_MODE_CONTAINER);
  if (image_writer_add_tmpfs (w, "/dev/shm", src, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  CHECK (image_writer_add_tmpfs (w, "relative", src, &err) < 0);
  CHECK (image_writer_commit (w, &err) == 0);

  CHECK (image_open (path, &img, &err) == 0);
  CHECK (image_verify (img, &err) == 0);
  CHECK_STR (image_tmpfs_destination (img, 0), "/dev/shm");
  CHECK (image_tmpfs_destination (img, 1) == NULL);
  CHECK (image_has_file (img, "tmpfs/0.tree"));
  CHECK (image_extract_tmpfs (img, "/nope", dst, &err) < 0);
  CHECK (image_extract_tmpfs (img, "/dev/shm", dst, &err) == 0);
  content = slurp (dst, "sub/data");
  CHECK_STR (content, "hello tmpfs");
  free (f);
  f = xasprintf ("%s/sub/data", dst);
  CHECK (lstat (f, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 1234 && st.st_gid == 5678);
  free (f);
  f = xasprintf ("%s/link", dst);
  CHECK (readlink (f, target, sizeof (target)) == 8 && memcmp (target, "sub/data", 8) == 0);

  /* A corrupt archive never reaches the target. */
  image_free (steal_pointer (&img));
  flip_archive (path);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK (image_extract_tmpfs (img, "/dev/shm", dst, &err) < 0);
  CHECK_ERR_CONTAINS (err, "tmpfs/0.tree: checksum mismatch (file corrupt)");
  return 0;
}

static int
test_digest (void)
{
  cleanup_error cryo_error_t err = NULL;
  char hex[DIGEST_HEX_SIZE];
  struct digest_job one[3] = { { .name = "a" }, { .name = "b" }, { .name = "c" } };
  struct digest_job two[3] = { { .name = "a" }, { .name = "b" }, { .name = "c" } };
  struct digest_job old = { .name = "b", .alg = DIGEST_SHA256 };
  cleanup_free char *dir = xasprintf ("%s/digest", base);
  cleanup_free char *big = xmalloc (3 << 20);
  cleanup_close int dirfd = -1;

  /* Known values: SHA-256 (FIPS 180-2), XXH3-128 (xxhash's own tests; as
   * xxh128sum prints it). */
  CHECK (digest_buffer (DIGEST_SHA256, "abc", 3, hex, &err) == 0);
  CHECK_STR (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK (digest_buffer (DIGEST_SHA256, "", 0, hex, &err) == 0);
  CHECK_STR (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK (digest_buffer (DIGEST_XXH3, "", 0, hex, &err) == 0);
  CHECK_STR (hex, "99aa06d3014798d86001c324468d497f");
  CHECK (digest_buffer (DIGEST_XXH3, "abc", 3, hex, &err) == 0);
  CHECK_STR (hex, "06b05ab6733a618578af5f94892f3950");

  CHECK (mkdir (dir, 0700) == 0);
  for (size_t i = 0; i < (3 << 20); i++)
    big[i] = (char) (i * 7 + (i >> 12));
  CHECK (write_file (dir, "a", big, 3 << 20) == 0);
  CHECK (write_file (dir, "b", "abc", 3) == 0);
  CHECK (write_file (dir, "c", big, 1 << 20) == 0);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY);
  CHECK (digest_files_at (dirfd, one, 3, 1, 0, &err) == 0);
  CHECK (digest_files_at (dirfd, two, 3, 2, DIGEST_FSYNC, &err) == 0);
  for (int i = 0; i < 3; i++)
    CHECK (strcmp (one[i].hex, two[i].hex) == 0 && one[i].size == two[i].size);
  CHECK_STR (one[1].hex, "06b05ab6733a618578af5f94892f3950");
  CHECK (one[0].size == (3 << 20) && one[2].size == (1 << 20));
  CHECK (digest_buffer (DIGEST_XXH3, big, 3 << 20, hex, &err) == 0);
  CHECK_STR (one[0].hex, hex);
  /* Older formats' SHA-256 through the same machinery. */
  CHECK (digest_files_at (dirfd, &old, 1, 1, 0, &err) == 0);
  CHECK_STR (old.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  /* A missing file is named. */
  two[2].name = "gone";
  CHECK (digest_files_at (dirfd, two, 3, 2, 0, &err) < 0);
  CHECK_ERR_CONTAINS (err, "open `gone`");
  return 0;
}

/* Big files are hashed by chunks, in parallel: the digest of the chunks'
 * digests, the same whether streamed, read from an fd or split between
 * threads; the manifest records the chunk size and verify checks it. */
static int
test_digest_chunked (void)
{
  const size_t size = 2 * DIGEST_CHUNK_SIZE + 12345;
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *big = xmalloc (size), *dir = xasprintf ("%s/chunked", base), *path = new_path ();
  cleanup_free unsigned char *raw = xmalloc (3 * DIGEST_RAW_MAX);
  const size_t rs = digest_raw_size (DIGEST_XXH3);
  cleanup_digest digest_t *d = NULL;
  cleanup_close int dirfd = -1, fd = -1;
  cleanup_image_writer struct image_writer *w = NULL;
  cleanup_image struct image *img = NULL;
  struct digest_job one = { .name = "big" }, four = { .name = "big" }, small = { .name = "small" };
  char hex[DIGEST_HEX_SIZE], expected[DIGEST_HEX_SIZE];
  size_t n;

  for (size_t i = 0; i < size; i++)
    big[i] = (char) (i * 13 + (i >> 16));
  /* By hand: XXH3-128 over the three chunks' raw (canonical) XXH3-128. */
  for (size_t c = 0; c < 3; c++)
    {
      size_t off = c * DIGEST_CHUNK_SIZE, len = c < 2 ? DIGEST_CHUNK_SIZE : size - off;
      CHECK (digest_buffer (DIGEST_XXH3, big + off, len, hex, &err) == 0);
      for (size_t k = 0; k < rs; k++)
        sscanf (hex + 2 * k, "%2hhx", &raw[c * rs + k]);
    }
  CHECK (digest_buffer (DIGEST_XXH3, raw, 3 * rs, expected, &err) == 0);
  /* Streamed in odd pieces. */
  CHECK (digest_new_chunked (DIGEST_XXH3, DIGEST_CHUNK_SIZE, &d, &err) == 0);
  for (size_t off = 0; off < size; off += 999983)
    digest_update (d, big + off, size - off < 999983 ? size - off : 999983);
  CHECK (digest_final (d, hex, &err) == 0);
  CHECK_STR (hex, expected);

  CHECK (mkdir (dir, 0700) == 0 && write_file (dir, "big", big, size) == 0 && write_file (dir, "small", "abc", 3) == 0);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY);
  fd = openat (dirfd, "big", O_RDONLY);
  CHECK (digest_fd (fd, "big", DIGEST_XXH3, DIGEST_CHUNK_SIZE, hex, NULL, &err) == 0);
  CHECK_STR (hex, expected);
  CHECK (digest_files_at (dirfd, &one, 1, 1, DIGEST_AUTO_CHUNK, &err) == 0);
  CHECK (one.chunk_size == DIGEST_CHUNK_SIZE && one.size == size);
  CHECK_STR (one.hex, expected);
  four.chunk_size = DIGEST_CHUNK_SIZE;
  CHECK (digest_files_at (dirfd, &four, 1, 4, DIGEST_FSYNC, &err) == 0);
  CHECK_STR (four.hex, expected);
  /* Small files stay plain. */
  CHECK (digest_files_at (dirfd, &small, 1, 2, DIGEST_AUTO_CHUNK, &err) == 0);
  CHECK (small.chunk_size == 0);
  CHECK_STR (small.hex, "06b05ab6733a618578af5f94892f3950");

  /* Through an image: recorded, verified, a flipped byte in the last chunk found. */
  CHECK (image_writer_begin (path, NULL, &w, &err) == 0);
  image_writer_set_container (w, "t", IMAGE_MODE_CONTAINER);
  CHECK (image_writer_add_file (w, "criu/pages-1.img", big, size, &err) == 0);
  CHECK (image_writer_commit (w, &err) == 0);
  CHECK (image_open (path, &img, &err) == 0 && image_verify (img, &err) == 0);
  CHECK (image_files (img, &n)[0].chunk_size == DIGEST_CHUNK_SIZE && n == 1);
  CHECK_STR (image_files (img, &n)[0].checksum, expected);
  close (fd);
  free (dir);
  dir = xasprintf ("%s/criu/pages-1.img", path);
  fd = open (dir, O_RDWR);
  CHECK (fd >= 0 && pwrite (fd, "X", 1, size - 7) == 1);
  CHECK (image_verify (img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu/pages-1.img: checksum mismatch (file corrupt)");
  return 0;
}

static int
test_read_file_corrupt (void)
{
  cleanup_free char *path = new_path ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_free char *data = NULL;
  size_t len;

  CHECK (make_image (path, &err) == 0);
  CHECK (write_file (path, IMAGE_FILE_MOUNTS, "{}", 2) == 0);
  CHECK (image_open (path, &img, &err) == 0);
  CHECK (image_read_file (img, IMAGE_FILE_MOUNTS, &data, &len, &err) < 0);
  CHECK_ERR_CONTAINS (err, "mounts.json: checksum mismatch (file corrupt)");
  CHECK (image_read_file (img, "network.json", &data, &len, &err) < 0);
  CHECK_ERR_CONTAINS (err, "network.json: not in the image");
  return 0;
}

static void
remove_base (void)
{
  cleanup_error cryo_error_t err = NULL;
  image_remove_tree_at (AT_FDCWD, base, &err);
}

int
main (void)
{
  if (mkdtemp (base) == NULL)
    return 1;
  atexit (remove_base);
  TAP_PLAN (22);
  RUN_TEST (test_roundtrip);
  RUN_TEST (test_flipped_byte);
  RUN_TEST (test_truncated);
  RUN_TEST (test_missing);
  RUN_TEST (test_extra);
  RUN_TEST (test_grown);
  RUN_TEST (test_manifest_required_fields);
  RUN_TEST (test_manifest_bad_values);
  RUN_TEST (test_manifest_duplicate_file);
  RUN_TEST (test_manifest_not_json);
  RUN_TEST (test_future_version);
  RUN_TEST (test_old_version);
  RUN_TEST (test_abort_leaves_nothing);
  RUN_TEST (test_crash_safety);
  RUN_TEST (test_concurrent_writers);
  RUN_TEST (test_existing_and_replace);
  RUN_TEST (test_keep_replaced);
  RUN_TEST (test_non_regular_file);
  RUN_TEST (test_tmpfs_roundtrip);
  RUN_TEST (test_digest);
  RUN_TEST (test_digest_chunked);
  RUN_TEST (test_read_file_corrupt);
  return tap_exit ();
}
