/* The state store: <root>/<id>/{state.json,config.json,exec.fifo,lock}. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "state: "
#include "lib/log.h"
#include "container/state.h"
#include "lib/util.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* A directory being created is prepared under this prefix: '@' cannot appear
 * in an id, so the name never collides with a container and list skips it. */
#define CREATING_PREFIX "@creating-"

static const char *const status_names[CONTAINER_STATUS_MAX] = {
  [CONTAINER_CREATING] = "creating",
  [CONTAINER_CREATED] = "created",
  [CONTAINER_RUNNING] = "running",
  [CONTAINER_PAUSED] = "paused",
  [CONTAINER_STOPPED] = "stopped",
  [CONTAINER_CHECKPOINTED] = "checkpointed",
};

const char *
container_status_name (enum container_status s)
{
  if ((unsigned) s >= CONTAINER_STATUS_MAX)
    return "unknown";
  return status_names[s];
}

int
container_status_from_name (const char *name)
{
  for (int i = 0; i < CONTAINER_STATUS_MAX; i++)
    if (name && strcmp (status_names[i], name) == 0)
      return i;
  return -1;
}

static bool
id_char_ok (char c)
{
  /* runc's ^[\w+-\.]+$: "+-\." is the range '+' to '.', so ',' is allowed. */
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
         || c == '_' || c == '+' || c == ',' || c == '-' || c == '.';
}

int
container_id_validate (const char *id, cryo_error_t *err)
{
  if (id == NULL || *id == '\0')
    return cryo_error (err, 0, "invalid container id: it is empty");
  if (strlen (id) > 1024)
    return cryo_error (err, 0, "invalid container id `%.32s...`: longer than 1024 bytes", id);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return cryo_error (err, 0, "invalid container id `%s`", id);
  for (const char *p = id; *p; p++)
    if (!id_char_ok (*p))
      return cryo_error (err, 0,
                         "invalid container id `%s`: only letters, digits and `_+,.-` are allowed",
                         id);
  return 0;
}

char *
state_path (const char *root, const char *id, const char *file)
{
  if (file == NULL)
    return xasprintf ("%s/%s", root, id);
  return xasprintf ("%s/%s/%s", root, id, file);
}

struct container_state *
state_new (const char *root, const char *id)
{
  struct container_state *s = xzalloc (sizeof (*s));
  s->id = xstrdup (id);
  s->dir = state_path (root, id, NULL);
  s->status = CONTAINER_CREATING;
  return s;
}

void
container_state_free (struct container_state *s)
{
  if (s == NULL)
    return;
  free (s->id);
  free (s->bundle);
  free (s->rootfs);
  free (s->oci_version);
  free (s->created);
  free (s->cgroup);
  free (s->owner);
  strv_free (s->annotation_keys);
  strv_free (s->annotation_values);
  free (s->dir);
  free (s);
}

void
cleanup_container_statep (struct container_state **s)
{
  container_state_free (*s);
  *s = NULL;
}

static int
does_not_exist (cryo_error_t *err, const char *id)
{
  return cryo_error (err, 0, "container `%s` does not exist", id);
}

/* Take the lock of the directory open as @dirfd; the lock file must still be
 * the one linked there once we hold it (a delete may have won the race). */
static int
lock_dir (int dirfd, const char *id, int *lock_fd, cryo_error_t *err)
{
  cleanup_close int fd = openat (dirfd, STATE_LOCK_FILE, O_RDWR | O_CLOEXEC);
  struct stat held, linked;

  if (fd < 0 && errno == ENOENT)
    return does_not_exist (err, id);
  if (fd < 0)
    return cryo_error (err, errno, "open the lock of container `%s`", id);
  if (TEMP_FAILURE_RETRY (flock (fd, LOCK_EX)) < 0)
    return cryo_error (err, errno, "lock container `%s`", id);
  if (fstat (fd, &held) < 0)
    return cryo_error (err, errno, "fstat the lock of container `%s`", id);
  if (fstatat (dirfd, STATE_LOCK_FILE, &linked, 0) < 0 || held.st_ino != linked.st_ino
      || held.st_dev != linked.st_dev)
    return does_not_exist (err, id);
  *lock_fd = move_fd (&fd);
  return 0;
}

int
state_lock (const char *root, const char *id, int *lock_fd, cryo_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;

  if (container_id_validate (id, err) < 0)
    return -1;
  dir = state_path (root, id, NULL);
  dirfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0 && errno == ENOENT)
    return does_not_exist (err, id);
  if (dirfd < 0)
    return cryo_error (err, errno, "open `%s`", dir);
  if (lock_dir (dirfd, id, &fd, err) < 0)
    return -1;
  /* A delete that finished before we locked leaves no state.json. */
  if (faccessat (dirfd, STATE_FILE, F_OK, 0) < 0)
    return does_not_exist (err, id);
  *lock_fd = move_fd (&fd);
  return 0;
}

static int
remove_tree_at (int parentfd, const char *name, cryo_error_t *err)
{
  cleanup_close int fd = openat (parentfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return cryo_error (err, errno, "open `%s`", name);
  d = fdopendir (fd);
  if (d == NULL)
    return cryo_error (err, errno, "opendir `%s`", name);
  fd = -1; /* owned by d now */
  /* state.json goes first: from then on the container "does not exist". */
  if (unlinkat (dirfd (d), STATE_FILE, 0) < 0 && errno != ENOENT)
    return cryo_error (err, errno, "remove `%s/%s`", name, STATE_FILE);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) == 0 || errno == ENOENT)
        continue;
      if (errno != EISDIR)
        return cryo_error (err, errno, "remove `%s/%s`", name, de->d_name);
      if (remove_tree_at (dirfd (d), de->d_name, err) < 0)
        return -1;
    }
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cryo_error (err, errno, "remove `%s`", name);
  return 0;
}

int
state_remove (const char *root, const char *id, cryo_error_t *err)
{
  cleanup_close int rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (rootfd < 0 && errno == ENOENT)
    return 0;
  if (rootfd < 0)
    return cryo_error (err, errno, "open state root `%s`", root);
  if (remove_tree_at (rootfd, id, err) < 0)
    return cryo_error_wrap (err, "remove the state of container `%s`", id);
  return 0;
}

int
state_create (const char *root, const char *id, int *lock_fd, cryo_error_t *err)
{
  cleanup_free char *tmpl = NULL;
  cleanup_close int rootfd = -1, dirfd = -1, fd = -1;
  const char *tmpname;

  if (container_id_validate (id, err) < 0)
    return -1;
  if (mkdir_p (root, 0700, err) < 0)
    return cryo_error_wrap (err, "create state root");
  rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return cryo_error (err, errno, "open state root `%s`", root);
  if (faccessat (rootfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return cryo_error (err, 0, "container with id `%s` already exists", id);

  tmpl = xasprintf ("%s/" CREATING_PREFIX "XXXXXX", root);
  if (mkdtemp (tmpl) == NULL)
    return cryo_error (err, errno, "create a state directory in `%s`", root);
  tmpname = strrchr (tmpl, '/') + 1;
  dirfd = openat (rootfd, tmpname, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd >= 0)
    fd = openat (dirfd, STATE_LOCK_FILE, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (dirfd < 0 || fd < 0 || flock (fd, LOCK_EX) < 0)
    {
      cryo_error (err, errno, "prepare the state directory `%s`", tmpl);
      remove_tree_at (rootfd, tmpname, NULL);
      return -1;
    }
  fchmod (dirfd, 0711);
  /* Without RENAME_NOREPLACE (some filesystems) a plain rename still cannot
   * replace a container: their directories are never empty (the lock). */
  if (renameat2 (rootfd, tmpname, rootfd, id, RENAME_NOREPLACE) < 0
      && (errno != EINVAL || renameat (rootfd, tmpname, rootfd, id) < 0))
    {
      int saved = errno;
      remove_tree_at (rootfd, tmpname, NULL);
      if (saved == EEXIST || saved == ENOTEMPTY)
        return cryo_error (err, 0, "container with id `%s` already exists", id);
      return cryo_error (err, saved, "rename `%s` to `%s/%s`", tmpl, root, id);
    }
  *lock_fd = move_fd (&fd);
  return 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
state_list (const char *root, char ***ids, cryo_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  cleanup_strv char **out = xzalloc (sizeof (char *));
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    return cryo_error (err, errno, "open state root `%s`", root);
  while (d && (de = readdir (d)) != NULL)
    {
      if (container_id_validate (de->d_name, NULL) < 0)
        continue;
      cleanup_free char *file = xasprintf ("%s/" STATE_FILE, de->d_name);
      if (faccessat (dirfd (d), file, F_OK, 0) < 0)
        continue;
      strv_append (&out, de->d_name);
    }
  qsort (out, strv_len (out), sizeof (char *), compare_strings);
  *ids = steal_pointer (&out);
  return 0;
}
