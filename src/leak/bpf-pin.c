/* The iterator programs outlive the command: loading them costs ~9.5 ms of
 * the verifier's time per call here, more than the scan they serve, so the
 * first cryo to load them pins them (and the filter map they use) in bpffs
 * under /sys/fs/bpf/cryo-<version>-<hash>, and the next ones take them from
 * there.
 *
 * The name says what the pins are: cryo's version (dots become '_': bpffs
 * refuses dots), the kind of programs (with the filter or without: both
 * serve, in the initial pid namespace or not) and a hash of the programs'
 * instructions (which hold the running kernel's offsets, from its BTF) and
 * of the boot id.  A different cryo, kernel or program is a different name;
 * when one is published, the directories of other versions, and of the same
 * version and kind with another hash, are removed.  What is found under the
 * name is checked (program type and attach target, map type and sizes)
 * before use; anything wrong and the directory is replaced with freshly
 * loaded programs.
 *
 * The filter map is written by every scan, so one user at a time: a
 * command holds an exclusive flock on the directory for as long as it uses
 * the pins.  Another one meanwhile loads private copies, as when nothing
 * is pinned.  The pins are root's (bpffs mode 0700) and vanish at reboot.
 * When /sys/fs/bpf holds no bpffs it is mounted there, as systemd does at
 * boot. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/bpf.h>

#define LOG_PREFIX "leaks: "
#include "leak/bpf.h"
#include "leak/internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define BPFFS "/sys/fs/bpf"
#define BPFFS_MAGIC 0xcafe4a11
#define PIN_PREFIX "cryo-"
#define PIN_TMP_PREFIX "cryo-tmp-"

static uint64_t
fnv (uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;

  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* The instructions without the map's fd (a number of the loading process;
 * the kernel replaces it with the map). */
static uint64_t
hash_prog (uint64_t h, const struct lk_bpf_prog *p)
{
  for (size_t i = 0; p && i < p->n; i++)
    {
      struct bpf_insn in = p->i[i];
      if (in.code == (BPF_LD | BPF_DW | BPF_IMM)
          && (in.src_reg == BPF_PSEUDO_MAP_VALUE || in.src_reg == BPF_PSEUDO_MAP_FD))
        in.imm = 0;
      h = fnv (h, &in, sizeof (in));
    }
  return fnv (h, "|", 1);
}

static char *
version_tag (void)
{
  char *version = xstrdup (PACKAGE_VERSION);

  for (char *c = version; *c; c++)
    if (*c == '.' || *c == '/' || *c == '-')
      *c = '_';
  return version;
}

char *
lk_pin_name (char kind, const struct lk_bpf_prog *file, const struct lk_bpf_prog *task)
{
  cleanup_free char *version = version_tag ();
  char boot[64] = "";
  uint64_t h = 0xcbf29ce484222325ULL;
  cleanup_close int fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, boot, sizeof (boot) - 1) < 0)
    boot[0] = '\0';
  h = fnv (h, boot, strlen (boot));
  h = hash_prog (hash_prog (h, file), task);
  return xasprintf (PIN_PREFIX "%s-%c%016llx", version, kind, (unsigned long long)h);
}

/* A bpffs at /sys/fs/bpf, mounted when there is none. */
static bool
have_bpffs (void)
{
  struct statfs s;

  if (statfs (BPFFS, &s) == 0 && (unsigned long)s.f_type == BPFFS_MAGIC)
    return true;
  if (mount ("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
    {
      log_debug ("BPF pins: no bpffs at %s, and mounting one failed: %s", BPFFS, strerror (errno));
      return false;
    }
  log_debug ("BPF pins: mounted a bpffs at %s", BPFFS);
  return true;
}

/* Remove directory @name of bpffs and its pins. */
static void
remove_pins (const char *name)
{
  cleanup_free char *path = xasprintf (BPFFS "/%s", name);
  cleanup_dir DIR *d = opendir (path);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..") && unlinkat (dirfd (d), de->d_name, 0) < 0)
      (void)unlinkat (dirfd (d), de->d_name, AT_REMOVEDIR);
  if (rmdir (path) < 0 && errno != ENOENT)
    log_debug ("BPF pins: remove `%s`: %s", path, strerror (errno));
}

static int
obj_get (const char *name, const char *obj)
{
  cleanup_free char *path = xasprintf (BPFFS "/%s/%s", name, obj);
  union bpf_attr a;

  memset (&a, 0, sizeof (a));
  a.pathname = (uintptr_t)path;
  return lk_sys_bpf (BPF_OBJ_GET, &a);
}

static bool
obj_info (int fd, void *info, uint32_t len)
{
  union bpf_attr a;

  memset (&a, 0, sizeof (a));
  memset (info, 0, len);
  a.info.bpf_fd = (uint32_t)fd;
  a.info.info_len = len;
  a.info.info = (uintptr_t)info;
  return lk_sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &a) == 0;
}

/* Pinned program @obj, if it is an iterator program for @target. */
static int
get_prog (const char *name, const char *obj, uint32_t target)
{
  struct bpf_prog_info info;
  int fd = obj_get (name, obj);

  if (fd >= 0 && obj_info (fd, &info, sizeof (info)) && info.type == BPF_PROG_TYPE_TRACING
      && info.attach_btf_id == target)
    return fd;
  log_debug ("BPF pins: `%s/%s` is not the %s iterator program here (%s)", name, obj, obj,
             fd < 0 ? strerror (errno) : "type or target differ");
  if (fd >= 0)
    close (fd);
  return -1;
}

static int
get_map (const char *name)
{
  struct bpf_map_info info;
  int fd = obj_get (name, "filter");

  if (fd >= 0 && obj_info (fd, &info, sizeof (info)) && info.type == BPF_MAP_TYPE_ARRAY
      && info.value_size == sizeof (struct lk_bpf_filter) && info.max_entries == 1
      && (info.map_flags & BPF_F_MMAPABLE))
    return fd;
  log_debug ("BPF pins: `%s/filter` is not the filter map (%s)", name,
             fd < 0 ? strerror (errno) : "its shape differs");
  if (fd >= 0)
    close (fd);
  return -1;
}

/* The directory of @name, locked for this process: its fd, -1 when it
 * does not exist, -2 when another command holds it. */
static int
lock_dir (const char *name)
{
  cleanup_free char *path = xasprintf (BPFFS "/%s", name);
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return -1;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    return -2;
  return move_fd (&fd);
}

int
lk_pin_reuse (const char *name, const struct lk_pin_want *want, struct lk_pins *out)
{
  int dir;

  out->dir = out->file_prog = out->task_prog = out->map = -1;
  if (getenv ("CRYO_LEAKS_NO_PIN") || !have_bpffs ())
    return LK_PIN_BUSY; /* nothing to publish either */
  dir = lock_dir (name);
  if (dir == -2)
    log_debug ("BPF pins: `%s` is in use by another command: loading private copies", name);
  if (dir < 0)
    return dir == -2 ? LK_PIN_BUSY : LK_PIN_MISSING;
  out->dir = dir;
  out->file_prog = get_prog (name, "file", want->file_target);
  if (want->task_target)
    out->task_prog = get_prog (name, "task", want->task_target);
  if (want->map)
    out->map = get_map (name);
  if (out->file_prog >= 0 && (!want->task_target || out->task_prog >= 0) && (!want->map || out->map >= 0))
    return 0;
  log_debug ("BPF pins: `%s` is unusable: replacing it", name);
  lk_pins_release (out);
  remove_pins (name);
  return LK_PIN_MISSING;
}

void
lk_pins_release (struct lk_pins *p)
{
  cleanup_closep (&p->file_prog);
  cleanup_closep (&p->task_prog);
  cleanup_closep (&p->map);
  cleanup_closep (&p->dir);
}

static int
obj_pin (int fd, const char *dir, const char *obj)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, obj);
  union bpf_attr a;

  memset (&a, 0, sizeof (a));
  a.pathname = (uintptr_t)path;
  a.bpf_fd = (uint32_t)fd;
  return fd < 0 ? 0 : lk_sys_bpf (BPF_OBJ_PIN, &a);
}

/* Is directory @n stale next to @keep (ours)?  Another version's is, and
 * one of our version and kind with another hash; a temporary one of a
 * live command is not. */
static bool
is_stale (const char *n, const char *keep)
{
  const char *kind = strrchr (keep, '-') + 1; /* "f0123..." */
  size_t prefix = (size_t)(kind - keep);      /* "cryo-<version>-" */

  if (strncmp (n, PIN_PREFIX, strlen (PIN_PREFIX)) != 0 || strcmp (n, keep) == 0)
    return false;
  if (strncmp (n, PIN_TMP_PREFIX, strlen (PIN_TMP_PREFIX)) == 0)
    return kill ((pid_t)atoi (n + strlen (PIN_TMP_PREFIX)), 0) < 0 && errno == ESRCH;
  return strncmp (n, keep, prefix) != 0 || n[prefix] == *kind || strchr ("fto", n[prefix]) == NULL;
}

/* Remove the stale directories; one that a live command holds is left to
 * it. */
static void
remove_stale (const char *keep)
{
  cleanup_dir DIR *d = opendir (BPFFS);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      const char *n = de->d_name;
      int fd;
      if (!is_stale (n, keep))
        continue;
      if ((fd = lock_dir (n)) < 0)
        continue;
      log_debug ("BPF pins: removing the stale `%s`", n);
      remove_pins (n);
      close (fd);
    }
}

int
lk_pin_publish (const char *name, const struct lk_pins *objs)
{
  cleanup_free char *tmp_name = xasprintf (PIN_TMP_PREFIX "%d", (int)getpid ());
  cleanup_free char *tmp = xasprintf (BPFFS "/%s", tmp_name), *path = xasprintf (BPFFS "/%s", name);
  cleanup_close int fd = -1;

  remove_pins (tmp_name);
  if (mkdir (tmp, 0700) < 0 || (fd = lock_dir (tmp_name)) < 0)
    {
      log_debug ("BPF pins: create `%s`: %s", tmp, strerror (errno));
      return -1;
    }
  if (obj_pin (objs->file_prog, tmp, "file") < 0 || obj_pin (objs->task_prog, tmp, "task") < 0
      || obj_pin (objs->map, tmp, "filter") < 0 || rename (tmp, path) < 0)
    {
      /* Another command published first: its pins serve the next ones. */
      log_debug ("BPF pins: publish `%s`: %s", path, strerror (errno));
      remove_pins (tmp_name);
      return -1;
    }
  log_debug ("BPF pins: the programs are pinned in `%s` for the next commands", path);
  remove_stale (name);
  /* The lock follows the directory through the rename. */
  return move_fd (&fd);
}
