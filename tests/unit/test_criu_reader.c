/* The CRIU image reader, on images from a real `criu dump` of a small
 * process: a thread, memory, a file, a pipe, TCP and unix sockets. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpee.h"
#include "image/criu-reader.h"
#include "image/image-internal.h"
#include "tap.h"
#include "lib/util.h"

static char base[] = "/tmp/cryo-test-criu-reader-XXXXXX";
static char *dump_dir;
static pid_t dumped_pid;
static unsigned listen_port;

/* Dump once; every test reads the same images. */
static int
make_dump (void)
{
  if (geteuid () != 0 || access (CRIU_BINARY, X_OK) < 0)
    return 77;
  dump_dir = xasprintf ("%s/dump", base);
  if (mkdir (dump_dir, 0700) < 0)
    return 1;
  dumped_pid = dumpee_start (&listen_port);
  if (dumped_pid < 0)
    return 1;
  if (dumpee_dump (dumped_pid, dump_dir, "dump.log") < 0)
    {
      cleanup_free char *log = xasprintf ("%s/dump.log", dump_dir), *text = NULL;
      if (read_all_file (log, &text, NULL, NULL) == 0)
        printf ("# criu dump failed:\n# %s\n", strstr (text, "Error") ? strstr (text, "Error") : text);
      return 1;
    }
  return 0;
}

static int dump_status = -1;

static const struct criu_fd *
find_fd (const struct criu_process *p, uint32_t fd)
{
  for (size_t i = 0; i < p->n_fds; i++)
    if (p->fds[i].fd == fd)
      return &p->fds[i];
  return NULL;
}

static int
test_real_dump (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_criu_dump struct criu_dump *d = NULL;
  cleanup_close int dirfd = -1;
  const struct criu_process *p;
  const struct criu_fd *fd;
  char expected[64];
  bool tcp = false;

  dump_status = make_dump ();
  if (dump_status != 0)
    return dump_status;
  dirfd = open (dump_dir, O_RDONLY | O_DIRECTORY);
  if (criu_dump_read (dirfd, &d, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return 1;
    }
  CHECK (d != NULL && d->n_procs == 1 && d->img_version >= 2);
  p = &d->procs[0];
  CHECK (p->pid == (uint32_t) dumped_pid && p->sid == p->pid);
  CHECK_STR (p->comm, DUMPEE_COMM);
  CHECK_STR (criu_task_state_name (p->task_state), "alive");
  CHECK (p->n_threads == 2 && p->threads[0] == p->pid);
  CHECK (p->pages >= DUMPEE_TOUCHED / d->page_size); /* the memory it touched */
  CHECK (p->n_vmas > 5 && p->vma_bytes >= DUMPEE_TOUCHED);
  CHECK (criu_dump_total_pages (d) == p->pages);
  fd = find_fd (p, 10);
  CHECK (fd && fd->kind == CRIU_FD_FILE);
  CHECK_STR (fd->desc, "/etc/hostname");
  CHECK (find_fd (p, 0) && strcmp (find_fd (p, 0)->desc, "/dev/null") == 0);
  CHECK (find_fd (p, 11) && find_fd (p, 12) && find_fd (p, 11)->kind == CRIU_FD_PIPE);
  CHECK_STR (find_fd (p, 11)->desc, find_fd (p, 12)->desc);
  snprintf (expected, sizeof (expected), "tcp 127.0.0.1:%u LISTEN", listen_port);
  fd = find_fd (p, 13);
  CHECK (fd && fd->kind == CRIU_FD_INET);
  CHECK_STR (fd->desc, expected);
  fd = find_fd (p, 14);
  CHECK (fd && fd->kind == CRIU_FD_UNIX);
  CHECK_STR (fd->desc, "unix stream (unnamed) (connected)");
  CHECK (find_fd (p, 5) == NULL);
  for (size_t i = 0; i < d->n_sockets; i++)
    tcp |= !d->sockets[i].unix_socket && strcmp (d->sockets[i].desc, expected) == 0;
  CHECK (tcp && d->n_sockets == 3);
  return 0;
}

/* Copy @name from the dump into @dir, cut to @len bytes (or with the byte
 * at @flip xored when @flip >= 0). */
static int
copy_damaged (const char *dir, const char *name, size_t len, long flip)
{
  cleanup_free char *src = xasprintf ("%s/%s", dump_dir, name), *dst = xasprintf ("%s/%s", dir, name);
  cleanup_free char *data = NULL;
  size_t size;

  if (read_all_file (src, &data, &size, NULL) < 0)
    return -1;
  if (flip >= 0 && (size_t) flip < size)
    data[flip] ^= 0xff;
  return write_file_at (AT_FDCWD, dst, data, len < size ? len : size, NULL);
}

static int
copy_all (const char *dir)
{
  static const char *const names[] = { "inventory.img", "pstree.img", "files.img" };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    if (copy_damaged (dir, names[i], SIZE_MAX, -1) < 0)
      return -1;
  return 0;
}

static int
read_dir (const char *dir, cryo_error_t *err)
{
  cleanup_criu_dump struct criu_dump *d = NULL;
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY);
  return criu_dump_read (fd, &d, err);
}

static int
test_damaged_images (void)
{
  cleanup_free char *dir = xasprintf ("%s/damaged", base);
  cleanup_free char *core = xasprintf ("core-%d.img", dumped_pid);
  cleanup_error cryo_error_t err = NULL;

  if (dump_status != 0)
    return dump_status;
  CHECK (mkdir (dir, 0700) == 0 && copy_all (dir) == 0);
  CHECK (copy_damaged (dir, core, 30, -1) == 0);
  CHECK (read_dir (dir, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu image `core-");
  CHECK_ERR_CONTAINS (err, "truncated entry at offset 8");
  cryo_error_release (&err);
  CHECK (copy_damaged (dir, core, SIZE_MAX, 0) == 0);
  CHECK (read_dir (dir, &err) < 0);
  CHECK_ERR_CONTAINS (err, "bad magic");
  cryo_error_release (&err);
  CHECK (copy_damaged (dir, "pstree.img", SIZE_MAX, 5) == 0);
  CHECK (read_dir (dir, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu image `pstree.img`: magic 0x");
  return 0;
}

/* Every prefix and every single-byte change of every image the reader
 * opens: errors, never a crash (run under ASan in CI). */
static int
test_no_crash_on_garbage (void)
{
  cleanup_free char *dir = xasprintf ("%s/fuzz", base);
  cleanup_free char *core = xasprintf ("core-%d.img", dumped_pid), *mm = xasprintf ("mm-%d.img", dumped_pid);
  const char *names[] = { "pstree.img", "files.img", core, mm };
  int failures = 0;

  if (dump_status != 0)
    return dump_status;
  CHECK (mkdir (dir, 0700) == 0 && copy_all (dir) == 0);
  for (size_t n = 0; n < ARRAY_SIZE (names); n++)
    {
      cleanup_free char *src = xasprintf ("%s/%s", dump_dir, names[n]);
      struct stat st;
      CHECK (stat (src, &st) == 0);
      /* About 300 positions per image, every byte of the small ones. */
      for (long i = 0; i<st.st_size; i += st.st_size> 300 ? st.st_size / 300 : 1)
        {
          cleanup_error cryo_error_t err = NULL;
          CHECK (copy_damaged (dir, names[n], i, -1) == 0);
          failures += read_dir (dir, &err) < 0;
          CHECK (copy_damaged (dir, names[n], SIZE_MAX, i) == 0);
          read_dir (dir, &err);
        }
      CHECK (copy_damaged (dir, names[n], SIZE_MAX, -1) == 0);
    }
  /* Most prefixes cut an entry short. */
  CHECK (failures > 0);
  return 0;
}

static int
test_pb_wire (void)
{
  /* field 1 varint 150, field 2 bytes "hi", field 3 fixed32, field 4 fixed64 */
  static const uint8_t msg[]
      = { 0x08, 0x96, 0x01, 0x12, 0x02, 'h', 'i', 0x1d, 1, 0, 0, 0, 0x21, 2, 0, 0, 0, 0, 0, 0, 0 };
  static const uint8_t bad_len[] = { 0x12, 0x05, 'x' };
  static const uint8_t group[] = { 0x0b };
  struct pb_reader r = { msg, msg + sizeof (msg) };
  struct pb_field f;

  CHECK (pb_next (&r, &f) == 1 && f.number == 1 && f.wire == PB_VARINT && f.value == 150);
  CHECK (pb_next (&r, &f) == 1 && f.number == 2 && f.len == 2 && memcmp (f.data, "hi", 2) == 0);
  CHECK (pb_next (&r, &f) == 1 && f.number == 3 && f.value == 1);
  CHECK (pb_next (&r, &f) == 1 && f.number == 4 && f.value == 2);
  CHECK (pb_next (&r, &f) == 0);
  r = (struct pb_reader){ bad_len, bad_len + sizeof (bad_len) };
  CHECK (pb_next (&r, &f) == -1);
  r = (struct pb_reader){ group, group + 1 };
  CHECK (pb_next (&r, &f) == -1);
  return 0;
}

/* Write @name into @dirfd: the magic header(s), then each entry of @body
 * (already framed with its 32-bit length). */
static int
write_img (int dirfd, const char *name, uint32_t magic, const uint8_t *body, size_t len)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  uint32_t hdr[2] = { CRIU_IMG_COMMON_MAGIC, magic };
  bool inventory = magic == CRIU_INVENTORY_MAGIC;

  if (fd < 0 || write_all (fd, inventory ? &hdr[1] : hdr, inventory ? 4 : 8) < 0)
    return -1;
  return write_all (fd, body, len);
}

/* The description of a unix socket named @name (@len bytes) in a dump of
 * one process (pid 1) whose fd 3 is that socket. */
static char *
unix_desc (const char *dir, const uint8_t *name, uint8_t len)
{
  /* inventory: img_version 2, fdinfo_per_id; pstree: pid 1; ids: files_id 1 */
  static const uint8_t inventory[] = { 4, 0, 0, 0, 0x08, 0x02, 0x10, 0x01 };
  static const uint8_t pstree[] = { 2, 0, 0, 0, 0x08, 0x01 };
  static const uint8_t ids[] = { 2, 0, 0, 0, 0x10, 0x01 };
  /* FdinfoEntry: id 1, type 5 (UNIXSK), fd 3 */
  static const uint8_t fdinfo[] = { 6, 0, 0, 0, 0x08, 0x01, 0x18, 0x05, 0x20, 0x03 };
  /* FileEntry: type 5, id 1, usk (16) = UnixSkEntry: type 1 (stream), name (11) */
  uint8_t files[32]
      = { 11 + len, 0, 0, 0, 0x08, 0x05, 0x10, 0x01, 0x82, 0x01, 4 + len, 0x18, 0x01, 0x5a, len };
  cleanup_criu_dump struct criu_dump *d = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int dirfd = -1;

  if (len > sizeof (files) - 15 || mkdir (dir, 0700) < 0 || (dirfd = open (dir, O_RDONLY | O_DIRECTORY)) < 0)
    return NULL;
  memcpy (files + 15, name, len);
  if (write_img (dirfd, "inventory.img", CRIU_INVENTORY_MAGIC, inventory, sizeof (inventory)) < 0
      || write_img (dirfd, "pstree.img", CRIU_PSTREE_MAGIC, pstree, sizeof (pstree)) < 0
      || write_img (dirfd, "ids-1.img", CRIU_IDS_MAGIC, ids, sizeof (ids)) < 0
      || write_img (dirfd, "fdinfo-1.img", CRIU_FDINFO_MAGIC, fdinfo, sizeof (fdinfo)) < 0
      || write_img (dirfd, "files.img", CRIU_FILES_MAGIC, files, 15 + len) < 0
      || criu_dump_read (dirfd, &d, &err) < 0 || d == NULL || d->n_procs != 1 || d->procs[0].n_fds != 1
      || d->n_sockets != 1)
    {
      printf ("# %s: %s\n", dir, err ? err->msg : "not one process with one socket");
      return NULL;
    }
  return xstrdup (d->procs[0].fds[0].desc);
}

/* A unix socket name is bytes, not a C string: an abstract name starts with
 * a NUL and may hold more.  fuzz-image found a name of one NUL byte read past
 * its copy (a heap-buffer-overflow under ASan); the name is shown whole. */
static int
test_unix_names (void)
{
  cleanup_free char *d1 = xasprintf ("%s/unix1", base), *d2 = xasprintf ("%s/unix2", base);
  cleanup_free char *d3 = xasprintf ("%s/unix3", base);
  cleanup_free char *one_nul = unix_desc (d1, (const uint8_t *)"", 1);
  cleanup_free char *abstract = unix_desc (d2, (const uint8_t *)"\0abc\0d\n", 7);
  cleanup_free char *path = unix_desc (d3, (const uint8_t *)"/run/x.sock", 11);

  CHECK_STR (one_nul, "unix stream @");
  CHECK_STR (abstract, "unix stream @abc?d?");
  CHECK_STR (path, "unix stream /run/x.sock");
  return 0;
}

/* Threads written one varint each (protobuf's unpacked form of a repeated
 * field) rather than packed: fuzz-image found that the reader made a
 * pointer from the NULL data of a varint (undefined behaviour, UBSan).
 * And the command name is shown, whatever bytes it holds. */
static int
test_threads_unpacked (void)
{
  static const uint8_t inventory[] = { 2, 0, 0, 0, 0x08, 0x02 };
  /* PstreeEntry: pid 1, threads 1 and 7 as two varints */
  static const uint8_t pstree[] = { 6, 0, 0, 0, 0x08, 0x01, 0x28, 0x01, 0x28, 0x07 };
  static const uint8_t core[]
      = { 13, 0, 0, 0, 0x1a, 11, 0x08, 0x01, 0x32, 7, 'a', 0x1b, '[', '2', 'J', 0, 'b' };
  cleanup_free char *dir = xasprintf ("%s/threads", base);
  cleanup_criu_dump struct criu_dump *d = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int dirfd = -1;

  CHECK (mkdir (dir, 0700) == 0 && (dirfd = open (dir, O_RDONLY | O_DIRECTORY)) >= 0);
  CHECK (write_img (dirfd, "inventory.img", CRIU_INVENTORY_MAGIC, inventory, sizeof (inventory)) == 0);
  CHECK (write_img (dirfd, "pstree.img", CRIU_PSTREE_MAGIC, pstree, sizeof (pstree)) == 0);
  /* CoreEntry.tc: task_state 1, comm "a\e[2J\0b" (no terminal escapes in inspect's output) */
  CHECK (write_img (dirfd, "core-1.img", CRIU_CORE_MAGIC, core, sizeof (core)) == 0);
  CHECK (criu_dump_read (dirfd, &d, &err) == 0 && d != NULL && d->n_procs == 1);
  CHECK (d->procs[0].n_threads == 2 && d->procs[0].threads[0] == 1 && d->procs[0].threads[1] == 7);
  CHECK_STR (d->procs[0].comm, "a?[2J?b");
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
  TAP_PLAN (6);
  RUN_TEST (test_pb_wire);
  RUN_TEST (test_unix_names);
  RUN_TEST (test_threads_unpacked);
  RUN_TEST (test_real_dump);
  RUN_TEST (test_damaged_images);
  RUN_TEST (test_no_crash_on_garbage);
  return tap_exit ();
}
