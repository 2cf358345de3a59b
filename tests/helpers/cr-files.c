/* Files across a checkpoint: offsets, open flags, close-on-exec, an
 * unlinked-but-open file with its contents, a directory fd, an O_PATH fd,
 * a file opened in append mode. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <dirent.h>
#include <sys/stat.h>

static int
open_checked (const char *path, int flags)
{
  int fd = open (path, flags, 0640);
  CRT_CHECK (fd >= 0, "open %s", path);
  return fd;
}

int
main (void)
{
  char buf[64] = "";
  struct stat st, dst;
  int rw, ap, ro, ghost, dir, opath;

  rw = open_checked ("/tmp/files-rw", O_RDWR | O_CREAT | O_TRUNC);
  CRT_CHECK (write (rw, "0123456789abcdef", 16) == 16 && lseek (rw, 5, SEEK_SET) == 5, "rw");
  ap = open_checked ("/tmp/files-ap", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
  CRT_CHECK (write (ap, "one\n", 4) == 4, "append");
  ro = open_checked ("/tmp/files-rw", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
  CRT_CHECK (lseek (ro, 11, SEEK_SET) == 11, "ro");
  ghost = open_checked ("/tmp/files-ghost", O_RDWR | O_CREAT | O_TRUNC);
  CRT_CHECK (write (ghost, "ghost contents", 14) == 14 && lseek (ghost, 6, SEEK_SET) == 6, "ghost");
  CRT_CHECK (unlink ("/tmp/files-ghost") == 0, "unlink");
  CRT_CHECK (mkdir ("/tmp/files-dir", 0750) == 0 || errno == EEXIST, "mkdir");
  close (open_checked ("/tmp/files-dir/entry", O_WRONLY | O_CREAT));
  dir = open_checked ("/tmp/files-dir", O_RDONLY | O_DIRECTORY);
  CRT_CHECK (fstat (dir, &dst) == 0, "fstat dir");
  opath = open_checked ("/tmp/files-rw", O_PATH);
  crt_ready ();
  crt_wait ();

  CRT_CHECK (lseek (rw, 0, SEEK_CUR) == 5 && read (rw, buf, 3) == 3 && memcmp (buf, "567", 3) == 0,
             "rw offset");
  CRT_CHECK ((fcntl (rw, F_GETFL) & O_ACCMODE) == O_RDWR, "rw flags");
  CRT_CHECK ((fcntl (ap, F_GETFL) & O_APPEND) && write (ap, "two\n", 4) == 4, "append flag");
  CRT_CHECK (lseek (ro, 0, SEEK_CUR) == 11, "ro offset");
  CRT_CHECK ((fcntl (ro, F_GETFL) & (O_NONBLOCK | O_NOATIME)) == (O_NONBLOCK | O_NOATIME), "ro flags %#x",
             fcntl (ro, F_GETFL));
  CRT_CHECK (fcntl (ro, F_GETFD) == FD_CLOEXEC && fcntl (rw, F_GETFD) == 0, "close-on-exec");
  CRT_CHECK (fstat (ghost, &st) == 0 && st.st_nlink == 0 && st.st_size == 14, "the unlinked file");
  memset (buf, 0, sizeof buf);
  CRT_CHECK (lseek (ghost, 0, SEEK_CUR) == 6 && read (ghost, buf, 8) == 8 && strcmp (buf, "contents") == 0,
             "the unlinked file's contents: %s", buf);
  CRT_CHECK (fstat (dir, &st) == 0 && st.st_ino == dst.st_ino && (st.st_mode & 07777) == 0750,
             "the directory");
  CRT_CHECK (faccessat (dir, "entry", F_OK, 0) == 0, "lookups through the directory fd");
  CRT_CHECK ((fcntl (opath, F_GETFL) & O_PATH) && fstat (opath, &st) == 0 && st.st_size == 16, "O_PATH");
  close (ap);
  ap = open_checked ("/tmp/files-ap", O_RDONLY);
  memset (buf, 0, sizeof buf);
  CRT_CHECK (read (ap, buf, sizeof buf) == 8 && strcmp (buf, "one\ntwo\n") == 0, "appended: %s", buf);
  crt_pass ();
}
