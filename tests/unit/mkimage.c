/* Test helper for tests/bats/image.bats: make an image with the image writer.
 *
 *   mkimage PATH [--bundle DIR] [--pages BYTES] [--criu-dump] [--tmpfs DIR]
 *                [--id ID] [--subtree]
 *
 * --bundle: its config.json becomes the image's config.json and its mount plan
 *           mounts.json; --pages: a criu/pages-1000.img of that many bytes;
 * --criu-dump: CRIU dumps a small sleeping process (dumpee.h: a thread, a file,
 *           a pipe, sockets) into criu/; --tmpfs: archive DIR as
 *           the tmpfs mounted at /dev/shm.  Prints the dumped pid, if any. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpee.h"
#include "image/image.h"
#include "ns/mount-plan.h"
#include "spec/spec.h"
#include "lib/util.h"

static int
criu_dump (struct image_writer *w, cryo_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/criu", image_writer_tmp_path (w));
  unsigned port;
  pid_t pid;

  pid = dumpee_start (&port);
  if (pid < 0)
    return cryo_error (err, 0, "the process to dump did not start");
  if (dumpee_dump (pid, dir, "../dump.log") < 0)
    return cryo_error (err, 0, "criu dump failed (see %s/dump.log)", image_writer_tmp_path (w));
  unlinkat (image_writer_dirfd (w), "dump.log", 0);
  image_writer_set_criu_version (w, "4.2.1");
  printf ("%d\n", pid);
  return 0;
}

static int
add_bundle (struct image_writer *w, const char *bundle, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", bundle), *text = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;
  size_t len;

  if (read_all_file (path, &text, &len, err) < 0 || spec_parse (text, bundle, &spec, err) < 0
      || mount_plan_build (spec, &plan, err) < 0)
    return -1;
  if (image_writer_set_config (w, text, len, err) < 0)
    return -1;
  return image_writer_set_mount_plan (w, plan, err);
}

static int
add_pages (struct image_writer *w, uint64_t size, cryo_error_t *err)
{
  cleanup_free char *buf = xmalloc (1 << 20);
  cleanup_close int fd
      = openat (image_writer_criu_dirfd (w), "pages-1000.img", O_WRONLY | O_CREAT | O_EXCL, 0600);
  uint64_t x = 88172645463325252ull;

  if (fd < 0)
    return cryo_error (err, errno, "create pages-1000.img");
  for (uint64_t done = 0; done < size;)
    {
      size_t n = size - done < (1 << 20) ? size - done : (1 << 20);
      for (size_t i = 0; i + 8 <= n; i += 8)
        {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          memcpy (buf + i, &x, 8);
        }
      if (write_all (fd, buf, n) < 0)
        return cryo_error (err, errno, "write pages-1000.img");
      done += n;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_image_writer struct image_writer *w = NULL;
  struct image_namespace pid_ns = { .type = NS_PID, .created = true, .inode = 4026532001 };
  struct image_namespace net_ns
      = { .type = NS_NET, .created = false, .inode = 4026532002, .path = "/run/netns/t" };
  struct image_checkpoint_options o = { .tcp_established = true, .file_locks = true };
  const char *id = "test-container";
  enum image_mode mode = IMAGE_MODE_CONTAINER;
  int ret = 0;

  if (argc < 2)
    return fprintf (stderr, "usage: mkimage PATH [options]\n"), 2;
  for (int i = 2; i < argc; i++)
    if (strcmp (argv[i], "--id") == 0 && i + 1 < argc)
      id = argv[++i];
    else if (strcmp (argv[i], "--subtree") == 0)
      mode = IMAGE_MODE_SUBTREE;
  if (image_writer_begin (argv[1], NULL, &w, &err) < 0)
    goto fail;
  image_writer_set_container (w, id, mode);
  image_writer_add_namespace (w, &pid_ns);
  image_writer_add_namespace (w, &net_ns);
  image_writer_set_cgroup (w, "/cryo/test", "v1");
  image_writer_set_options (w, &o);
  for (int i = 2; ret == 0 && i < argc; i++)
    {
      uint64_t size;
      if (strcmp (argv[i], "--bundle") == 0 && i + 1 < argc)
        ret = add_bundle (w, argv[++i], &err);
      else if (strcmp (argv[i], "--pages") == 0 && i + 1 < argc && parse_uint64 (argv[i + 1], &size) == 0)
        ret = add_pages (w, size, &err), i++;
      else if (strcmp (argv[i], "--criu-dump") == 0)
        ret = criu_dump (w, &err);
      else if (strcmp (argv[i], "--tmpfs") == 0 && i + 1 < argc)
        ret = image_writer_add_tmpfs (w, "/dev/shm", argv[++i], &err);
    }
  if (ret == 0 && image_writer_commit (w, &err) == 0)
    return 0;
fail:
  fprintf (stderr, "mkimage: %s\n", err ? err->msg : "failed");
  return 1;
}
