/* libFuzzer target for the state file (<root>/<id>/state.json) as every
 * command that names a container reads it, with the cgroup state it holds:
 * a state or a one-line error.
 *
 *   make fuzz-state && ./fuzz-state -max_total_time=60 tests/fuzz/corpus/state */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "fuzz.h"
#include "lib/json.h"
#include "container/state.h"
#include "lib/util.h"

#define ID "fuzz"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *path = xasprintf ("%s/%s", ID, STATE_FILE);
  int dirfd;
  const char *root = fuzz_dir (&dirfd);

  mkdirat (dirfd, ID, 0700);
  fuzz_write (path, data, size);
  if (state_read (root, ID, &s, &err) < 0)
    {
      fuzz_check_error (err);
      return 0;
    }
  /* What `cryo state` and `cryo list` do with it next. */
  if (state_refresh_status (s, &err) < 0)
    fuzz_check_error (err);
  free (state_oci_json_string (s, true));
  /* The container's cgroup, serialized in the state by cgroup_save. */
  if (s->cgroup && cgroup_load (s->cgroup, &cg, &err) < 0)
    fuzz_check_error (err);
  return 0;
}
