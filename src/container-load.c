/* Loading a container's state with its live status. */
#include "config.h"

#include <stdlib.h>

#include "container.h"
#include "util.h"

int
container_load (const char *root, const char *id, struct container_state **out, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;

  if (state_read (root, id, &s, err) < 0)
    return -1;
  if (state_refresh_status (s, err) < 0)
    return -1;
  *out = steal_pointer (&s);
  return 0;
}
