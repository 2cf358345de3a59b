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
  TAP_PLAN (4);
  RUN_TEST (test_pb_wire);
  RUN_TEST (test_real_dump);
  RUN_TEST (test_damaged_images);
  RUN_TEST (test_no_crash_on_garbage);
  return tap_exit ();
}
