/* tmpfs archives (src/image/tree.h): every kind of file with its
 * metadata, holes, big files, mounts below the tmpfs, sockets, an empty
 * tmpfs, and archives that are damaged or built to escape the target.
 * Runs in a private mount namespace, on real tmpfs mounts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/tree.h"
#include "tap.h"
#include "lib/util.h"

static char base[] = "/tmp/cryo-test-image-tmpfs-XXXXXX";
static int counter;

/* A fresh tmpfs at base/<name><n>; returns its path. */
static char *
new_tmpfs (const char *name)
{
  char *path = xasprintf ("%s/%s%d", base, name, ++counter);

  if (mkdir (path, 0755) < 0 || mount ("tmpfs", path, "tmpfs", 0, "mode=0755") < 0)
    {
      printf ("# tmpfs on %s: %s\n", path, strerror (errno));
      free (path);
      return NULL;
    }
  return path;
}

static int
put (const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  cleanup_close int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  return fd < 0 || write_all (fd, data, len) < 0 || fchmod (fd, mode) < 0 ? -1 : 0;
}

static char *
at (const char *dir, const char *name)
{
  return xasprintf ("%s/%s", dir, name);
}

/* Archive @src into a file, extract into a fresh tmpfs; *dst its path. */
static int
roundtrip (const char *src, char **dst, struct tree_stats *st)
{
  cleanup_free char *archive = xasprintf ("%s/a%d.tree", base, ++counter);
  cleanup_close int in = open (src, O_RDONLY | O_DIRECTORY), out = -1, target = -1;
  cleanup_error cryo_error_t err = NULL;

  out = open (archive, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK (in >= 0 && out >= 0);
  if (tree_write (in, src, out, st, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  *dst = new_tmpfs ("dst");
  CHECK (*dst != NULL);
  target = open (*dst, O_RDONLY | O_DIRECTORY);
  if (tree_extract (out, archive, target, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  return 0;
}

static int
test_kinds_and_metadata (void)
{
  cleanup_free char *src = new_tmpfs ("src"), *dst = NULL;
  cleanup_free char *p = NULL, *q = NULL;
  struct timespec old[2] = { { .tv_sec = 1000000000, .tv_nsec = 5 }, { .tv_sec = 1200000000, .tv_nsec = 7 } };
  struct tree_stats st;
  struct stat a, b;
  char buf[64];

  CHECK (src != NULL);
  p = at (src, "dir");
  CHECK (mkdir (p, 0750) == 0 && chown (p, 100, 200) == 0);
  CHECK (put (src, "dir/setuid", "#!/bin/sh\n", 10, 04755) == 0);
  free (p), p = at (src, "dir/setuid");
  CHECK (chown (p, 1000, 1000) == 0 && chmod (p, 04755) == 0); /* chown cleared it */
  CHECK (put (src, "empty", "", 0, 0600) == 0);
  free (p), p = at (src, "ro");
  CHECK (mkdir (p, 0755) == 0 && put (src, "ro/inside", "x", 1, 0444) == 0 && chmod (p, 0555) == 0);
  free (p), p = at (src, "dangling");
  CHECK (symlink ("/etc/passwd", p) == 0);
  free (p), p = at (src, "null");
  CHECK (mknod (p, S_IFCHR | 0666, makedev (1, 3)) == 0);
  free (p), p = at (src, "loop9");
  CHECK (mknod (p, S_IFBLK | 0660, makedev (7, 9)) == 0);
  free (p), p = at (src, "fifo");
  CHECK (mkfifo (p, 0620) == 0 && chown (p, 5, 6) == 0);
  CHECK (put (src, "dir/hard1", "linked", 6, 0644) == 0);
  free (p), p = at (src, "dir/hard1");
  free (q), q = at (src, "hard2");
  CHECK (link (p, q) == 0);
  /* xattrs: user on files and directories, trusted on anything. */
  free (p), p = at (src, "dir/hard1");
  CHECK (setxattr (p, "user.color", "blue", 4, 0) == 0);
  free (p), p = at (src, "dir");
  CHECK (setxattr (p, "user.dir", "d", 1, 0) == 0);
  free (p), p = at (src, "dangling");
  CHECK (lsetxattr (p, "trusted.link", "L", 1, 0) == 0);
  free (p), p = at (src, "fifo");
  CHECK (lsetxattr (p, "trusted.fifo", "\0bin\0", 5, 0) == 0);
  free (p), p = at (src, "empty");
  CHECK (utimensat (AT_FDCWD, p, old, 0) == 0);
  free (p), p = at (src, "dir");
  CHECK (utimensat (AT_FDCWD, p, old, 0) == 0);

  CHECK (roundtrip (src, &dst, &st) == 0);
  CHECK (st.entries == 12 && st.sockets == 0);

  free (p), p = at (dst, "dir");
  CHECK (stat (p, &a) == 0 && S_ISDIR (a.st_mode) && (a.st_mode & 07777) == 0750 && a.st_uid == 100
         && a.st_gid == 200);
  CHECK (a.st_mtim.tv_sec == 1200000000 && a.st_mtim.tv_nsec == 7); /* set after its children */
  CHECK (getxattr (p, "user.dir", buf, sizeof buf) == 1 && buf[0] == 'd');
  free (p), p = at (dst, "dir/setuid");
  CHECK (stat (p, &a) == 0 && (a.st_mode & 07777) == 04755 && a.st_uid == 1000);
  free (p), p = at (dst, "empty");
  CHECK (stat (p, &a) == 0 && a.st_size == 0 && a.st_atim.tv_sec == 1000000000 && a.st_atim.tv_nsec == 5);
  free (p), p = at (dst, "ro");
  CHECK (stat (p, &a) == 0 && (a.st_mode & 07777) == 0555);
  free (p), p = at (dst, "ro/inside");
  CHECK (stat (p, &a) == 0 && a.st_size == 1);
  free (p), p = at (dst, "dangling");
  CHECK (readlink (p, buf, sizeof buf) == 11 && memcmp (buf, "/etc/passwd", 11) == 0);
  CHECK (lgetxattr (p, "trusted.link", buf, sizeof buf) == 1 && buf[0] == 'L');
  free (p), p = at (dst, "null");
  CHECK (lstat (p, &a) == 0 && S_ISCHR (a.st_mode) && a.st_rdev == makedev (1, 3)
         && (a.st_mode & 0777) == 0666);
  free (p), p = at (dst, "loop9");
  CHECK (lstat (p, &a) == 0 && S_ISBLK (a.st_mode) && a.st_rdev == makedev (7, 9));
  free (p), p = at (dst, "fifo");
  CHECK (lstat (p, &a) == 0 && S_ISFIFO (a.st_mode) && (a.st_mode & 0777) == 0620 && a.st_uid == 5);
  CHECK (lgetxattr (p, "trusted.fifo", buf, sizeof buf) == 5 && memcmp (buf, "\0bin\0", 5) == 0);
  free (p), p = at (dst, "dir/hard1");
  free (q), q = at (dst, "hard2");
  CHECK (stat (p, &a) == 0 && stat (q, &b) == 0 && a.st_ino == b.st_ino && a.st_nlink == 2);
  CHECK (getxattr (q, "user.color", buf, sizeof buf) == 4 && memcmp (buf, "blue", 4) == 0);
  return 0;
}

/* Holes stay holes, in the archive and after extraction; a big file comes
 * back byte for byte. */
static int
test_sparse_and_big (void)
{
  cleanup_free char *src = new_tmpfs ("src"), *dst = NULL, *p = NULL, *big = xmalloc (48 << 20);
  cleanup_free char *back = NULL;
  cleanup_close int fd = -1;
  struct tree_stats st;
  struct stat s;
  size_t len;
  char c;

  CHECK (src != NULL);
  p = at (src, "sparse");
  fd = open (p, O_WRONLY | O_CREAT, 0644);
  CHECK (fd >= 0 && ftruncate (fd, 1LL << 30) == 0);
  CHECK (pwrite (fd, "head", 4, 4096) == 4 && pwrite (fd, "tail", 4, (1LL << 30) - 4) == 4);
  close (fd);
  fd = -1;
  for (size_t i = 0; i < (48u << 20); i++)
    big[i] = (char)((i * 2654435761u) >> 11);
  CHECK (put (src, "big", big, 48 << 20, 0600) == 0);

  CHECK (roundtrip (src, &dst, &st) == 0);
  CHECK (st.data_bytes == (48u << 20) + 2 * 4096); /* two pages of the sparse file */
  free (p), p = at (dst, "sparse");
  CHECK (stat (p, &s) == 0 && s.st_size == 1LL << 30 && s.st_blocks <= 64);
  fd = open (p, O_RDONLY);
  CHECK (pread (fd, &c, 1, 4097) == 1 && c == 'e' && pread (fd, &c, 1, (1LL << 30) - 1) == 1 && c == 'l');
  CHECK (pread (fd, &c, 1, 1 << 20) == 1 && c == 0);
  free (p), p = at (dst, "big");
  CHECK (read_all_file (p, &back, &len, NULL) == 0 && len == (48u << 20) && memcmp (back, big, len) == 0);
  return 0;
}

/* Archiving does not touch the container's atimes (relatime would). */
static int
test_atime_untouched (void)
{
  cleanup_free char *src = new_tmpfs ("src"), *dst = NULL, *p = NULL;
  struct timespec t[2] = { { .tv_sec = 1000 }, { .tv_sec = 2000 } };
  struct tree_stats st;
  struct stat s;

  CHECK (src != NULL && put (src, "f", "data", 4, 0644) == 0);
  p = at (src, "f");
  CHECK (utimensat (AT_FDCWD, p, t, 0) == 0); /* atime before mtime */
  CHECK (roundtrip (src, &dst, &st) == 0);
  CHECK (stat (p, &s) == 0 && s.st_atim.tv_sec == 1000);
  return 0;
}

/* Mounts below the tmpfs are only their mount points; sockets are skipped. */
static int
test_mounts_and_sockets (void)
{
  cleanup_free char *src = new_tmpfs ("src"), *dst = NULL, *p = NULL, *q = NULL;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int sk = socket (AF_UNIX, SOCK_STREAM, 0);
  struct tree_stats st;
  struct stat s;

  CHECK (src != NULL && sk >= 0);
  p = at (src, "pts");
  CHECK (mkdir (p, 0755) == 0 && mount ("tmpfs", p, "tmpfs", 0, "mode=0700") == 0);
  CHECK (put (p, "hidden", "below a mount", 13, 0600) == 0);
  CHECK (put (src, "bound", "", 0, 0600) == 0);
  free (q), q = at (src, "bound");
  free (p), p = at (base, "outside");
  CHECK (put (base, "outside", "outside data", 12, 0600) == 0);
  CHECK (mount (p, q, NULL, MS_BIND, NULL) == 0);
  free (p), p = at (src, "log");
  CHECK (strlen (p) < sizeof sa.sun_path);
  strcpy (sa.sun_path, p);
  CHECK (bind (sk, (struct sockaddr *)&sa, sizeof sa) == 0);

  CHECK (roundtrip (src, &dst, &st) == 0);
  CHECK (st.sockets == 1 && st.entries == 3); /* root, bound, pts */
  free (p), p = at (dst, "pts");
  CHECK (stat (p, &s) == 0 && S_ISDIR (s.st_mode));
  free (p), p = at (dst, "pts/hidden");
  CHECK (access (p, F_OK) < 0);
  free (p), p = at (dst, "bound");
  CHECK (stat (p, &s) == 0 && S_ISREG (s.st_mode) && s.st_size == 0);
  free (p), p = at (dst, "log");
  CHECK (access (p, F_OK) < 0);
  return 0;
}

/* Through the image: an empty tmpfs is archived too, for its root's mode
 * and owner (changed since the mount); a full one with its files. */
static int
test_image_empty_and_full (void)
{
  cleanup_free char *empty = new_tmpfs ("empty"), *full = new_tmpfs ("full"), *dst = new_tmpfs ("dst");
  cleanup_free char *dst2 = new_tmpfs ("dst"), *path = xasprintf ("%s/img%d", base, ++counter), *back = NULL;
  cleanup_image_writer struct image_writer *w = NULL;
  cleanup_image struct image *img = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct stat st;

  CHECK (empty && full && dst && dst2 && put (full, "f", "x", 1, 0644) == 0);
  CHECK (chmod (empty, 0710) == 0 && chown (empty, 12, 34) == 0);
  CHECK (image_writer_begin (path, NULL, &w, &err) == 0);
  image_writer_set_container (w, "t", IMAGE_MODE_CONTAINER);
  CHECK (image_writer_add_tmpfs (w, "/dev/shm", empty, &err) == 0);
  CHECK (image_writer_add_tmpfs (w, "/run", full, &err) == 0);
  CHECK (image_writer_commit (w, &err) == 0);
  CHECK (image_open (path, &img, &err) == 0 && image_verify (img, &err) == 0);
  CHECK_STR (image_tmpfs_destination (img, 0), "/dev/shm");
  CHECK_STR (image_tmpfs_file (img, 0), "tmpfs/0.tree");
  CHECK_STR (image_tmpfs_file (img, 1), "tmpfs/1.tree");
  CHECK (image_tmpfs_file (img, 2) == NULL);
  CHECK (image_extract_tmpfs (img, "/dev/shm", dst, &err) == 0);
  CHECK (stat (dst, &st) == 0 && (st.st_mode & 07777) == 0710 && st.st_uid == 12 && st.st_gid == 34);
  CHECK (image_extract_tmpfs (img, "/run", dst2, &err) == 0);
  free (path);
  path = at (dst2, "f");
  CHECK (read_all_file (path, &back, NULL, NULL) == 0 && strcmp (back, "x") == 0);
  return 0;
}

/* ---- damaged and hostile archives ---- */

struct fake
{
  unsigned char *p;
  size_t len;
};

static void
fake_add (struct fake *f, const void *data, size_t n)
{
  f->p = xrealloc (f->p, f->len + n);
  memcpy (f->p + f->len, data, n);
  f->len += n;
}

static void
fake_entry (struct fake *f, char type, const char *path, const char *link, uint64_t size)
{
  struct tree_entry e = { .type = type, .mode = 0755, .size = size };
  unsigned char head[TREE_ENTRY_SIZE];

  e.path_len = strlen (path);
  e.link_len = link ? strlen (link) : 0;
  tree_entry_encode (&e, head);
  fake_add (f, head, sizeof head);
  fake_add (f, path, e.path_len);
  if (link)
    fake_add (f, link, e.link_len);
}

static void
fake_start (struct fake *f)
{
  static const char header[TREE_HEADER_SIZE] = TREE_MAGIC "\x01\0\0\0\0\0\0\0";
  f->len = 0;
  fake_add (f, header, sizeof header);
  fake_entry (f, TREE_DIR, "", NULL, 0);
}

static void
fake_end (struct fake *f, uint64_t entries)
{
  fake_entry (f, TREE_END, "", NULL, entries);
}

/* Extract @len bytes of @f into a fresh tmpfs; the error, or NULL. */
static char *
extract_fake (const struct fake *f, size_t len, char **dst)
{
  cleanup_free char *file = xasprintf ("%s/fake%d", base, ++counter);
  cleanup_close int fd = open (file, O_RDWR | O_CREAT | O_TRUNC, 0600), target = -1;
  cleanup_error cryo_error_t err = NULL;

  *dst = new_tmpfs ("fdst");
  if (fd < 0 || *dst == NULL || write_all (fd, f->p, len) < 0)
    return xstrdup ("setup failed");
  target = open (*dst, O_RDONLY | O_DIRECTORY);
  if (tree_extract (fd, "fake", target, &err) == 0)
    return NULL;
  return xstrdup (err->msg);
}

static int
expect_refused (const struct fake *f, const char *why)
{
  cleanup_free char *dst = NULL, *msg = extract_fake (f, f->len, &dst);

  if (msg == NULL || strstr (msg, why) == NULL)
    {
      printf ("# expected \"%s\", got \"%s\"\n", why, msg ? msg : "success");
      return 1;
    }
  CHECK (strchr (msg, '\n') == NULL);
  return 0;
}

static int
test_truncated_everywhere (void)
{
  cleanup_free char *src = new_tmpfs ("src"), *archive = xasprintf ("%s/t.tree", base), *data = NULL;
  cleanup_free char *d = NULL, *l = NULL;
  cleanup_close int in = open (src, O_RDONLY | O_DIRECTORY), out = -1;
  struct fake f = { 0 };
  size_t len;

  CHECK (src != NULL);
  d = at (src, "d");
  l = at (src, "l");
  CHECK (mkdir (d, 0755) == 0 && put (src, "d/f", "content", 7, 0644) == 0 && symlink ("d/f", l) == 0);
  out = open (archive, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK (tree_write (in, src, out, NULL, NULL) == 0);
  CHECK (read_all_file (archive, &data, &len, NULL) == 0);
  f.p = (unsigned char *)data;
  /* Every prefix fails with one line, and never crashes. */
  for (size_t n = 0; n < len; n++)
    {
      cleanup_free char *dst = NULL, *msg = extract_fake (&f, n, &dst);
      if (msg == NULL
          || (strstr (msg, "truncated") == NULL && strstr (msg, "not a cryo tmpfs archive") == NULL))
        {
          printf ("# %zu of %zu bytes: %s\n", n, len, msg ? msg : "accepted");
          return 1;
        }
      umount2 (dst, MNT_DETACH);
    }
  f.p = NULL;
  return 0;
}

static int
test_hostile_archives (void)
{
  cleanup_free char *outside = at (base, "escaped");
  struct fake f = { 0 };
  int ret = 0;

  fake_start (&f);
  fake_entry (&f, TREE_DIR, "a/../..", NULL, 0);
  fake_end (&f, 2);
  ret |= expect_refused (&f, "a name with an empty, `.` or `..` component");

  /* A symlink out of the target, then a file through it. */
  fake_start (&f);
  fake_entry (&f, TREE_SYMLINK, "evil", base, 0);
  fake_entry (&f, TREE_REG, "evil/escaped", NULL, 0);
  fake_end (&f, 3);
  ret |= expect_refused (&f, "an entry comes before its directory");
  CHECK (access (outside, F_OK) < 0);

  fake_start (&f);
  fake_entry (&f, TREE_HARDLINK, "h", "/etc/passwd", 0);
  fake_end (&f, 2);
  ret |= expect_refused (&f, "bad hard link target");

  fake_start (&f);
  fake_entry (&f, TREE_SYMLINK, "s", "x", 0);
  fake_entry (&f, TREE_HARDLINK, "h", "s", 0);
  fake_end (&f, 3);
  ret |= expect_refused (&f, "a hard link to something else than a file");

  fake_start (&f);
  fake_entry (&f, 'z', "what", NULL, 0);
  fake_end (&f, 2);
  ret |= expect_refused (&f, "unknown entry type");

  fake_start (&f);
  fake_entry (&f, TREE_DIR, "d", NULL, 0);
  fake_end (&f, 7);
  ret |= expect_refused (&f, "the entry count does not match");

  fake_start (&f);
  fake_end (&f, 1);
  fake_add (&f, "junk", 4);
  ret |= expect_refused (&f, "data after the end");

  fake_start (&f);
  fake_entry (&f, TREE_DIR, "d", NULL, 0);
  fake_entry (&f, TREE_DIR, "d", NULL, 0);
  fake_end (&f, 3);
  ret |= expect_refused (&f, "`d`: mkdir: File exists");

  fake_start (&f);
  fake_entry (&f, TREE_REG, "f", NULL, 1 << 20); /* no extents, no data: a hole */
  fake_entry (&f, TREE_FIFO, "p", NULL, 5);
  fake_end (&f, 3);
  ret |= expect_refused (&f, "data for something else than a regular file");

  memcpy (f.p, "CRYOTRE!", 8);
  ret |= expect_refused (&f, "not a cryo tmpfs archive");
  free (f.p);
  return ret;
}

static void
remove_base (void)
{
  cleanup_error cryo_error_t err = NULL;
  umount2 (base, MNT_DETACH);
  image_remove_tree_at (AT_FDCWD, base, &err);
}

int
main (void)
{
  if (mkdtemp (base) == NULL)
    return 1;
  /* Every tmpfs of the test lives in this namespace and goes with it. */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("tmpfs", base, "tmpfs", 0, "mode=0700") < 0)
    {
      printf ("1..0 # SKIP no private mount namespace: %s\n", strerror (errno));
      return 0;
    }
  atexit (remove_base);
  umask (0); /* the modes below are the modes asked for */
  TAP_PLAN (7);
  RUN_TEST (test_kinds_and_metadata);
  RUN_TEST (test_sparse_and_big);
  RUN_TEST (test_atime_untouched);
  RUN_TEST (test_mounts_and_sockets);
  RUN_TEST (test_image_empty_and_full);
  RUN_TEST (test_truncated_everywhere);
  RUN_TEST (test_hostile_archives);
  return tap_exit ();
}
