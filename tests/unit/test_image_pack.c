/* pack/unpack and convert of images. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/archive-util.h"
#include "image/digest.h"
#include "image/image-internal.h"
#include "image/tree.h"
#include "lib/json.h"
#include "tap.h"
#include "lib/util.h"

static char base[] = "/tmp/cryo-test-image-pack-XXXXXX";
static int counter;

static char *
new_path (const char *suffix)
{
  return xasprintf ("%s/p%d%s", base, ++counter, suffix);
}

static int
write_file (const char *dir, const char *name, const void *data, size_t len)
{
  cleanup_free char *full = xasprintf ("%s/%s", dir, name);
  cleanup_close int fd = open (full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  return fd < 0 || write_all (fd, data, len) < 0 ? -1 : 0;
}

/* Entries of the base directory, hidden ones included (leftovers show up here). */
static int
count_entries (void)
{
  cleanup_dir DIR *d = opendir (base);
  struct dirent *de;
  int n = 0;

  while (d && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      n++;
  return n;
}

static int
make_image (const char *path, size_t pages_size, cryo_error_t *err)
{
  cleanup_image_writer struct image_writer *w = NULL;
  cleanup_free char *pages = xmalloc (pages_size);

  /* Not compressible: a flipped byte in the middle hits real data. */
  for (size_t i = 0; i < pages_size; i++)
    pages[i] = (char) ((i * 2654435761u) >> 13);
  if (image_writer_begin (path, NULL, &w, err) < 0)
    return -1;
  image_writer_set_container (w, "packed", IMAGE_MODE_CONTAINER);
  if (image_writer_set_config (w, "{}", 2, err) < 0
      || write_file_at (image_writer_criu_dirfd (w), "pages-1.img", pages, pages_size, err) < 0)
    return -1;
  return image_writer_commit (w, err);
}

static int
roundtrip (enum image_compression c)
{
  cleanup_free char *img = new_path ("");
  cleanup_free char *archive = new_path (".tar");
  cleanup_free char *out = new_path ("");
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *opened = NULL;
  size_t n;

  CHECK (make_image (img, 1 << 20, &err) == 0);
  CHECK (image_pack (img, archive, c, &err) == 0);
  CHECK (image_pack (img, archive, c, &err) < 0);
  CHECK_ERR_CONTAINS (err, "already exists");
  CHECK (image_unpack (archive, out, &err) == 0);
  CHECK (image_open (out, &opened, &err) == 0);
  CHECK (image_verify (opened, &err) == 0);
  CHECK_STR (image_container_id (opened), "packed");
  image_files (opened, &n);
  CHECK (n == 2 && image_criu_dirfd (opened) >= 0);
  cryo_error_release (&err);
  CHECK (image_unpack (archive, out, &err) < 0);
  CHECK_ERR_CONTAINS (err, "already exists");
  return 0;
}

static int
test_roundtrip_zstd (void)
{
  return roundtrip (IMAGE_COMPRESS_ZSTD);
}

static int
test_roundtrip_gzip (void)
{
  return roundtrip (IMAGE_COMPRESS_GZIP);
}

static int
test_roundtrip_none (void)
{
  return roundtrip (IMAGE_COMPRESS_NONE);
}

static int
test_compression_names (void)
{
  cleanup_error cryo_error_t err = NULL;
  enum image_compression c;

  CHECK (image_compression_from_name ("gzip", &c, &err) == 0 && c == IMAGE_COMPRESS_GZIP);
  CHECK (image_compression_from_name ("xz", &c, &err) < 0);
  CHECK_ERR_CONTAINS (err, "unknown compression `xz` (use zstd, gzip or none)");
  return 0;
}

static int
test_pack_corrupt_image (void)
{
  cleanup_free char *img = new_path ("");
  cleanup_free char *archive = new_path (".tar.zst");
  cleanup_free char *pages = NULL;
  cleanup_error cryo_error_t err = NULL;
  int before, fd;
  char c;

  CHECK (make_image (img, 65536, &err) == 0);
  pages = xasprintf ("%s/criu/pages-1.img", img);
  fd = open (pages, O_RDWR);
  CHECK (fd >= 0 && pread (fd, &c, 1, 100) == 1);
  c ^= 1;
  CHECK (pwrite (fd, &c, 1, 100) == 1);
  close (fd);
  before = count_entries ();
  CHECK (image_pack (img, archive, IMAGE_COMPRESS_ZSTD, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu/pages-1.img: checksum mismatch (file corrupt)");
  CHECK (count_entries () == before);
  return 0;
}

/* Unpacking @archive fails with @expected and leaves nothing behind. */
static int
expect_unpack_fails (const char *archive, const char *expected)
{
  cleanup_free char *out = new_path ("");
  cleanup_error cryo_error_t err = NULL;
  int before = count_entries ();

  if (image_unpack (archive, out, &err) == 0)
    {
      printf ("# unpacked `%s`\n", archive);
      return 1;
    }
  CHECK_ERR_CONTAINS (err, expected);
  CHECK (strchr (err->msg, '\n') == NULL);
  CHECK (count_entries () == before);
  return 0;
}

static int
damaged_archive (enum image_compression c, bool truncate_it, const char *expected)
{
  cleanup_free char *img = new_path ("");
  cleanup_free char *archive = new_path (".tar");
  cleanup_error cryo_error_t err = NULL;
  struct stat st;
  int fd;
  char b;

  CHECK (make_image (img, 1 << 20, &err) == 0);
  CHECK (image_pack (img, archive, c, &err) == 0);
  CHECK (stat (archive, &st) == 0);
  if (truncate_it)
    CHECK (truncate (archive, st.st_size / 2) == 0);
  else
    {
      fd = open (archive, O_RDWR);
      CHECK (fd >= 0 && pread (fd, &b, 1, st.st_size / 2) == 1);
      b ^= 0x10;
      CHECK (pwrite (fd, &b, 1, st.st_size / 2) == 1);
      close (fd);
    }
  return expect_unpack_fails (archive, expected);
}

static int
test_unpack_truncated_zstd (void)
{
  return damaged_archive (IMAGE_COMPRESS_ZSTD, true, "corrupt or truncated archive");
}

static int
test_unpack_truncated_plain (void)
{
  return damaged_archive (IMAGE_COMPRESS_NONE, true, "corrupt or truncated archive");
}

static int
test_unpack_flipped_plain (void)
{
  return damaged_archive (IMAGE_COMPRESS_NONE, false, "criu/pages-1.img: checksum mismatch (file corrupt)");
}

static int
test_unpack_flipped_gzip (void)
{
  /* Depending on where the byte lands in the deflate stream (the headers
   * hold times, so it moves between runs) it breaks the tar structure or
   * only the data, which the manifest's checksum catches: either way the
   * error names the archive. */
  return damaged_archive (IMAGE_COMPRESS_GZIP, false, ".tar`: ");
}

/* An archive with one entry of @type named @name, then a manifest (not a
 * valid one: the entry's own checks come first). */
static int
write_evil_archive (const char *file, const char *name, mode_t type, bool with_manifest)
{
  struct archive *a = archive_write_new ();
  struct archive_entry *e = archive_entry_new ();
  static const char manifest[] = "{}";

  archive_write_set_format_pax_restricted (a);
  if (archive_write_open_filename (a, file) != ARCHIVE_OK)
    return -1;
  if (name)
    {
      archive_entry_set_pathname (e, name);
      archive_entry_set_filetype (e, type);
      archive_entry_set_perm (e, 0600);
      if (type == AE_IFLNK)
        archive_entry_set_symlink (e, "/etc/passwd");
      archive_entry_set_size (e, 0);
      archive_write_header (a, e);
      archive_entry_clear (e);
    }
  if (with_manifest)
    {
      archive_entry_set_pathname (e, IMAGE_MANIFEST);
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0600);
      archive_entry_set_size (e, 2);
      archive_write_header (a, e);
      archive_write_data (a, manifest, 2);
    }
  archive_entry_free (e);
  archive_write_close (a);
  archive_write_free (a);
  return 0;
}

static int
test_unpack_bad_entries (void)
{
  cleanup_free char *a1 = new_path (".tar"), *a2 = new_path (".tar"), *a3 = new_path (".tar");
  cleanup_free char *a4 = new_path (".tar"), *a5 = new_path (".tar"), *a6 = new_path (".tar");
  cleanup_free char *a7 = new_path (".tar");

  CHECK (write_evil_archive (a1, "criu/link", AE_IFLNK, true) == 0);
  CHECK (expect_unpack_fails (a1, "entry `criu/link` is not a regular file or a directory") == 0);
  CHECK (write_evil_archive (a2, "../evil", AE_IFREG, true) == 0);
  CHECK (expect_unpack_fails (a2, "entry name `../evil` has a `.` or `..` component") == 0);
  CHECK (write_evil_archive (a3, "/etc/evil", AE_IFREG, true) == 0);
  CHECK (expect_unpack_fails (a3, "is an absolute path") == 0);
  CHECK (write_evil_archive (a4, "criu/x.img", AE_IFREG, false) == 0);
  CHECK (expect_unpack_fails (a4, "`criu/x.img` comes before manifest.json (not made by `cryo image pack`)") == 0);
  CHECK (write_evil_archive (a7, NULL, 0, false) == 0);
  CHECK (expect_unpack_fails (a7, "no manifest.json in the archive (not a cryo image archive)") == 0);
  CHECK (write_evil_archive (a5, NULL, 0, true) == 0);
  CHECK (expect_unpack_fails (a5, "manifest.json: missing field `format` (not a cryo image)") == 0);
  CHECK (write_file (base, strrchr (a6, '/') + 1, "this is not an archive at all, just some text\n", 46)
         == 0);
  CHECK (expect_unpack_fails (a6, "corrupt or truncated archive") == 0);
  CHECK (expect_unpack_fails ("/nonexistent/archive.tar", "open `/nonexistent/archive.tar`") == 0);
  return 0;
}

/* Sizes come from the manifest: an entry larger than it says is refused
 * before more than that is written (a lying archive cannot fill the disk
 * before the checksums are checked). */
static int
test_unpack_sizes (void)
{
  cleanup_free char *path = new_path (""), *archive = new_path (".tar"), *mpath = NULL, *m = NULL;
  cleanup_free char *big = xzalloc (3 << 20);
  struct archive *a = archive_write_new ();
  struct archive_entry *e = archive_entry_new ();

  CHECK (make_image (path, 100, NULL) == 0);
  mpath = xasprintf ("%s/%s", path, IMAGE_MANIFEST);
  CHECK (read_all_file (mpath, &m, NULL, NULL) == 0);
  archive_write_set_format_pax_restricted (a);
  CHECK (archive_write_open_filename (a, archive) == ARCHIVE_OK);
  archive_entry_set_pathname (e, IMAGE_MANIFEST);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0600);
  archive_entry_set_size (e, strlen (m));
  archive_write_header (a, e);
  archive_write_data (a, m, strlen (m));
  archive_entry_clear (e);
  archive_entry_set_pathname (e, "criu/pages-1.img");
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0600);
  archive_entry_set_size (e, 3 << 20);
  archive_write_header (a, e);
  archive_write_data (a, big, 3 << 20);
  archive_entry_free (e);
  archive_write_close (a);
  archive_write_free (a);
  CHECK (expect_unpack_fails (archive, "entry `criu/pages-1.img` is larger than its manifest says (100 bytes)")
         == 0);
  return 0;
}

static const char v1_json[]
    = "{\n"
      "  \"format\": \"cryo-image\", \"version\": 1,\n"
      "  \"cryo_version\": \"0.0.9\", \"criu_version\": \"4.1.1\", \"kernel\": \"6.1.0\",\n"
      "  \"created\": \"2025-01-02T03:04:05Z\", \"container_id\": \"old\", \"mode\": \"subtree\",\n"
      "  \"config\": {\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sleep\"]}},\n"
      "  \"namespaces\": [{\"type\": \"pid\", \"created\": true, \"inode\": 7},\n"
      "                 {\"type\": \"network\", \"created\": false, \"path\": \"/run/netns/n\"}],\n"
      "  \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}],\n"
      "  \"cgroup\": {\"path\": \"/cryo/old\", \"version\": \"v1\"},\n"
      "  \"options\": {\"tcp_established\": true},\n"
      "  \"tmpfs\": [{\"destination\": \"/dev/shm\", \"file\": \"tmpfs-0.tar\"}]\n"
      "}\n";

/* A tmpfs tar archive as formats 1 and 2 held them: the root, a file, a
 * symlink. */
static int
write_tmpfs_tar (const char *file)
{
  struct archive *a;
  struct archive_entry *e;
  int ok;

  if (image_libarchive_load (NULL) < 0 || (a = archive_write_new ()) == NULL)
    return -1;
  e = archive_entry_new ();
  ok = archive_write_set_format_pax_restricted (a) == ARCHIVE_OK
       && archive_write_open_filename (a, file) == ARCHIVE_OK;
  archive_entry_set_pathname (e, ".");
  archive_entry_set_filetype (e, AE_IFDIR);
  archive_entry_set_perm (e, 01777);
  ok = ok && archive_write_header (a, e) == ARCHIVE_OK;
  archive_entry_clear (e);
  archive_entry_set_pathname (e, "data");
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0640);
  archive_entry_set_size (e, 10);
  ok = ok && archive_write_header (a, e) == ARCHIVE_OK && archive_write_data (a, "tmpfs data", 10) == 10;
  archive_entry_clear (e);
  archive_entry_set_pathname (e, "link");
  archive_entry_set_filetype (e, AE_IFLNK);
  archive_entry_set_symlink (e, "data");
  ok = ok && archive_write_header (a, e) == ARCHIVE_OK && archive_write_close (a) == ARCHIVE_OK;
  archive_entry_free (e);
  archive_write_free (a);
  return ok ? 0 : -1;
}

/* The tmpfs of a converted image: what write_tmpfs_tar put in. */
static int
check_converted_tmpfs (struct image *img)
{
  cleanup_free char *dst = new_path ("-tmpfs"), *data = NULL, *f = NULL;
  cleanup_error cryo_error_t err = NULL;
  char target[8];
  struct stat st;

  CHECK (mkdir (dst, 0700) == 0);
  CHECK_STR (image_tmpfs_file (img, 0), "tmpfs/0.tree");
  if (image_extract_tmpfs (img, "/dev/shm", dst, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  CHECK (stat (dst, &st) == 0 && (st.st_mode & 07777) == 01777);
  f = xasprintf ("%s/data", dst);
  CHECK (read_all_file (f, &data, NULL, NULL) == 0 && strcmp (data, "tmpfs data") == 0);
  CHECK (stat (f, &st) == 0 && (st.st_mode & 07777) == 0640);
  free (f);
  f = xasprintf ("%s/link", dst);
  CHECK (readlink (f, target, sizeof target) == 4 && memcmp (target, "data", 4) == 0);
  return 0;
}

static int
make_v1 (const char *path, const char *metadata)
{
  cleanup_free char *tar = xasprintf ("%s/tmpfs-0.tar", path);

  if (mkdir (path, 0700) < 0)
    return -1;
  if (write_file (path, "cryo.json", metadata, strlen (metadata)) < 0
      || write_file (path, "inventory.img", "inventory", 9) < 0
      || write_file (path, "pages-1.img", "pages pages pages", 17) < 0 || write_tmpfs_tar (tar) < 0)
    return -1;
  return 0;
}

static int
test_convert_v1 (void)
{
  cleanup_free char *path = new_path ("");
  cleanup_free char *pages = NULL, *new_pages = NULL, *data = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  const struct image_namespace *ns;
  struct stat before, after;
  int from = 0, entries;
  size_t n, len;

  CHECK (make_v1 (path, v1_json) == 0);
  pages = xasprintf ("%s/pages-1.img", path);
  CHECK (stat (pages, &before) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "upgrade it with `cryo image convert");
  entries = count_entries ();
  CHECK (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) == 0);
  CHECK (from == 1);
  CHECK (count_entries () == entries); /* no temporary or old directory left */
  CHECK (image_open (path, &img, &err) == 0);
  CHECK (image_verify (img, &err) == 0);
  CHECK_STR (image_container_id (img), "old");
  CHECK (image_mode (img) == IMAGE_MODE_SUBTREE);
  CHECK_STR (image_created (img), "2025-01-02T03:04:05Z");
  CHECK_STR (image_cryo_version (img), "0.0.9");
  CHECK_STR (image_criu_version (img), "4.1.1");
  CHECK_STR (image_cgroup_path (img), "/cryo/old");
  CHECK (image_options (img)->tcp_established);
  ns = image_namespaces (img, &n);
  CHECK (n == 2 && ns[1].type == NS_NET && !ns[1].created);
  CHECK_STR (image_mount_plan_file (img), IMAGE_FILE_MOUNTS);
  CHECK_STR (image_tmpfs_destination (img, 0), "/dev/shm");
  CHECK (image_has_file (img, "tmpfs/0.tree") && image_has_file (img, "criu/inventory.img"));
  CHECK (check_converted_tmpfs (img) == 0);
  CHECK (image_has_file (img, IMAGE_FILE_NAMESPACES) && image_has_file (img, IMAGE_FILE_CGROUP));
  CHECK (!image_has_file (img, "cryo.json") && !image_has_file (img, "criu/cryo.json"));
  CHECK (image_read_file (img, IMAGE_FILE_CONFIG, &data, &len, &err) == 0);
  CHECK (strstr (data, "\"ociVersion\": \"1.0.2\"") != NULL);
  /* CRIU's images were linked, not copied. */
  new_pages = xasprintf ("%s/criu/pages-1.img", path);
  CHECK (stat (new_pages, &after) == 0 && after.st_ino == before.st_ino);

  /* Already current: nothing to do. */
  CHECK (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) == 0 && from == IMAGE_FORMAT_VERSION);
  CHECK (image_convert (path, IMAGE_FORMAT_VERSION + 1, &from, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cannot convert to format version");
  return 0;
}

/* A version 2 image: the manifest with checksums, a tar for /dev/shm. */
static int
make_v2 (const char *path, bool corrupt)
{
  cleanup_free char *tar = xasprintf ("%s/tmpfs/0.tar", path), *tar_data = NULL, *manifest = NULL;
  cleanup_free char *criu = xasprintf ("%s/criu", path), *tmpfs = xasprintf ("%s/tmpfs", path);
  char h_config[65], h_pages[65], h_tar[65];
  size_t tar_len;

  if (mkdir (path, 0700) < 0 || mkdir (criu, 0700) < 0 || mkdir (tmpfs, 0700) < 0)
    return -1;
  if (write_file (path, "config.json", "{}", 2) < 0 || write_file (path, "criu/pages-1.img", "pages", 5) < 0
      || write_tmpfs_tar (tar) < 0 || read_all_file (tar, &tar_data, &tar_len, NULL) < 0
      || digest_buffer (DIGEST_SHA256, "{}", 2, h_config, NULL) < 0
      || digest_buffer (DIGEST_SHA256, "pages", 5, h_pages, NULL) < 0
      || digest_buffer (DIGEST_SHA256, tar_data, tar_len, h_tar, NULL) < 0)
    return -1;
  manifest = xasprintf (
      "{\"format\": \"cryo-image\", \"version\": 2, \"cryo_version\": \"0.1.0\", \"kernel\": \"6.1\",\n"
      " \"created\": \"2026-01-02T03:04:05Z\", \"container_id\": \"two\", \"mode\": \"container\",\n"
      " \"config_digest\": \"sha256:%s\", \"namespaces\": [{\"type\": \"pid\", \"created\": true}],\n"
      " \"options\": {\"leave_running\": true}, \"cgroup\": {\"path\": \"/cryo/two\", \"version\": \"v1\"},\n"
      " \"tmpfs\": [{\"destination\": \"/dev/shm\", \"file\": \"tmpfs/0.tar\"}],\n"
      " \"files\": [{\"name\": \"config.json\", \"size\": 2, \"sha256\": \"%s\"},\n"
      "           {\"name\": \"criu/pages-1.img\", \"size\": 5, \"sha256\": \"%s\"},\n"
      "           {\"name\": \"tmpfs/0.tar\", \"size\": %zu, \"sha256\": \"%s\"}]}\n",
      h_config, h_config, corrupt ? h_config : h_pages, tar_len, h_tar);
  return write_file (path, "manifest.json", manifest, strlen (manifest));
}

static int
test_convert_v2 (void)
{
  cleanup_free char *path = new_path (""), *bad = new_path (""), *pages = NULL, *moved = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  struct stat before, after;
  int from = 0, entries;

  CHECK (make_v2 (path, false) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "format version 2 is older than this cryo reads");
  pages = xasprintf ("%s/criu/pages-1.img", path);
  CHECK (stat (pages, &before) == 0);
  entries = count_entries ();
  if (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  CHECK (from == 2 && count_entries () == entries);
  CHECK (image_open (path, &img, &err) == 0 && image_verify (img, &err) == 0);
  CHECK (image_version (img) == IMAGE_FORMAT_VERSION);
  CHECK_STR (image_container_id (img), "two");
  CHECK_STR (image_created (img), "2026-01-02T03:04:05Z");
  CHECK_STR (image_cgroup_path (img), "/cryo/two");
  CHECK (image_options (img)->leave_running);
  CHECK (!image_has_file (img, "tmpfs/0.tar"));
  CHECK (check_converted_tmpfs (img) == 0);
  moved = xasprintf ("%s/criu/pages-1.img", path);
  CHECK (stat (moved, &after) == 0 && after.st_ino == before.st_ino);

  /* A corrupt version 2 image is not blessed with new checksums. */
  CHECK (make_v2 (bad, true) == 0);
  entries = count_entries ();
  CHECK (image_convert (bad, IMAGE_FORMAT_VERSION, &from, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu/pages-1.img: checksum mismatch (file corrupt)");
  CHECK (count_entries () == entries);
  return 0;
}

/* A version 3 image: SHA-256 checksums, pages chunked by 4 KiB (the digest
 * of the chunks' digests), /dev/shm as a tree.  @damage: 0 none, 1 a byte
 * of the last chunk flipped, 2 the pages truncated (after the checksums). */
#define V3_PAGES 10000
static int
make_v3 (const char *path, int damage)
{
  cleanup_free char *criu = xasprintf ("%s/criu", path), *tmpfs = xasprintf ("%s/tmpfs", path);
  cleanup_free char *src = xasprintf ("%s-src", path), *pages = xmalloc (V3_PAGES), *manifest = NULL;
  cleanup_free char *tree = xasprintf ("%s/tmpfs/0.tree", path), *tree_data = NULL;
  cleanup_close int srcfd = -1, treefd = -1;
  cleanup_digest digest_t *d = NULL;
  char h_config[65], h_pages[65], h_tree[65];
  size_t tree_len;

  for (size_t i = 0; i < V3_PAGES; i++)
    pages[i] = (char)(i * 31 + (i >> 8));
  if (mkdir (path, 0700) < 0 || mkdir (criu, 0700) < 0 || mkdir (tmpfs, 0700) < 0 || mkdir (src, 01777) < 0
      || write_file (src, "data", "tmpfs data", 10) < 0 || write_file (path, "config.json", "{}", 2) < 0)
    return -1;
  srcfd = open (src, O_RDONLY | O_DIRECTORY);
  treefd = open (tree, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (srcfd < 0 || treefd < 0 || tree_write (srcfd, src, treefd, NULL, NULL) < 0
      || read_all_file (tree, &tree_data, &tree_len, NULL) < 0
      || digest_new_chunked (DIGEST_SHA256, 4096, &d, NULL) < 0)
    return -1;
  digest_update (d, pages, V3_PAGES);
  if (digest_final (d, h_pages, NULL) < 0 || digest_buffer (DIGEST_SHA256, "{}", 2, h_config, NULL) < 0
      || digest_buffer (DIGEST_SHA256, tree_data, tree_len, h_tree, NULL) < 0)
    return -1;
  if (damage == 1)
    pages[V3_PAGES - 3] ^= 1;
  if (write_file (path, "criu/pages-1.img", pages, damage == 2 ? V3_PAGES - 1 : V3_PAGES) < 0)
    return -1;
  manifest = xasprintf (
      "{\"format\": \"cryo-image\", \"version\": 3, \"cryo_version\": \"0.1.0\", \"kernel\": \"6.1\",\n"
      " \"created\": \"2026-03-04T05:06:07Z\", \"container_id\": \"three\", \"mode\": \"container\",\n"
      " \"config_digest\": \"sha256:%s\", \"namespaces\": [{\"type\": \"pid\", \"created\": true}],\n"
      " \"options\": {\"tcp_established\": true},\n"
      " \"tmpfs\": [{\"destination\": \"/dev/shm\", \"file\": \"tmpfs/0.tree\"}],\n"
      " \"files\": [{\"name\": \"config.json\", \"size\": 2, \"sha256\": \"%s\"},\n"
      "           {\"name\": \"criu/pages-1.img\", \"size\": %d, \"chunk_size\": 4096, \"sha256\": \"%s\"},\n"
      "           {\"name\": \"tmpfs/0.tree\", \"size\": %zu, \"sha256\": \"%s\"}]}\n",
      h_config, h_config, V3_PAGES, h_pages, tree_len, h_tree);
  return write_file (path, "manifest.json", manifest, strlen (manifest));
}

/* A damaged version 3 image is refused, and left exactly as it was. */
static int
convert_v3_refused (int damage, const char *expected)
{
  cleanup_free char *path = new_path (""), *before = NULL, *after = NULL;
  cleanup_free char *manifest = xasprintf ("%s/manifest.json", path);
  cleanup_error cryo_error_t err = NULL;
  int from = 0, entries;

  CHECK (make_v3 (path, damage) == 0);
  CHECK (read_all_file (manifest, &before, NULL, NULL) == 0);
  entries = count_entries ();
  CHECK (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) < 0);
  CHECK_ERR_CONTAINS (err, expected);
  CHECK (count_entries () == entries);
  CHECK (read_all_file (manifest, &after, NULL, NULL) == 0);
  CHECK_STR (after, before);
  return 0;
}

static int
test_convert_v3 (void)
{
  cleanup_free char *path = new_path (""), *pages = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_image struct image *img = NULL;
  const struct image_file *files;
  struct stat before, after;
  int from = 0;
  size_t n;

  CHECK (make_v3 (path, 0) == 0);
  CHECK (image_open (path, &img, &err) < 0);
  CHECK_ERR_CONTAINS (err, "format version 3 is older than this cryo reads");
  pages = xasprintf ("%s/criu/pages-1.img", path);
  CHECK (stat (pages, &before) == 0);
  if (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  CHECK (from == 3);
  CHECK (image_open (path, &img, &err) == 0 && image_verify (img, &err) == 0);
  CHECK (image_version (img) == 4 && image_options (img)->tcp_established);
  CHECK_STR (image_created (img), "2026-03-04T05:06:07Z");
  CHECK (strncmp (image_config_digest (img), "xxh3:", 5) == 0);
  files = image_files (img, &n);
  CHECK (n == 3);
  for (size_t i = 0; i < n; i++)
    CHECK (files[i].alg == DIGEST_XXH3 && strlen (files[i].checksum) == 32 && files[i].chunk_size == 0);
  /* Hard-linked, not copied; the tree carried over as it was. */
  CHECK (stat (pages, &after) == 0 && after.st_ino == before.st_ino);
  CHECK_STR (image_tmpfs_file (img, 0), "tmpfs/0.tree");
  /* A flipped byte and a truncated file are found by the old checksums. */
  CHECK (convert_v3_refused (1, "criu/pages-1.img: checksum mismatch (file corrupt)") == 0);
  CHECK (convert_v3_refused (2, "criu/pages-1.img: checksum mismatch (file corrupt)") == 0);
  return 0;
}

static int
test_convert_bad_v1 (void)
{
  cleanup_free char *path = new_path ("");
  cleanup_free char *bad = xstrdup (v1_json);
  cleanup_free char *kept = NULL;
  cleanup_error cryo_error_t err = NULL;
  int from, entries;
  char *p = strstr (bad, "\"config\"");

  memcpy (p, "\"cnofig\"", 8);
  CHECK (make_v1 (path, bad) == 0);
  entries = count_entries ();
  CHECK (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cryo.json: field `config`: missing");
  CHECK (count_entries () == entries);
  kept = xasprintf ("%s/cryo.json", path);
  CHECK (access (kept, F_OK) == 0);
  cryo_error_release (&err);
  CHECK (image_convert (base, IMAGE_FORMAT_VERSION, &from, &err) < 0);
  CHECK_ERR_CONTAINS (err, "not a cryo image (no manifest.json, no cryo.json)");
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
  TAP_PLAN (15);
  RUN_TEST (test_roundtrip_zstd);
  RUN_TEST (test_roundtrip_gzip);
  RUN_TEST (test_roundtrip_none);
  RUN_TEST (test_compression_names);
  RUN_TEST (test_pack_corrupt_image);
  RUN_TEST (test_unpack_truncated_zstd);
  RUN_TEST (test_unpack_truncated_plain);
  RUN_TEST (test_unpack_flipped_plain);
  RUN_TEST (test_unpack_flipped_gzip);
  RUN_TEST (test_unpack_bad_entries);
  RUN_TEST (test_unpack_sizes);
  RUN_TEST (test_convert_v1);
  RUN_TEST (test_convert_bad_v1);
  RUN_TEST (test_convert_v2);
  RUN_TEST (test_convert_v3);
  return tap_exit ();
}
