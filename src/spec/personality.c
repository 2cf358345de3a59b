/* linux.personality: the execution domain of the container's process
 * (LINUX32 makes uname report i686 on x86_64, for 32-bit userlands). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>

#include "spec/sysctl.h"
#include "lib/util.h"

static const struct
{
  const char *name;
  unsigned long persona;
} domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

static int
lookup (const struct spec *spec, unsigned long *persona, cryo_error_t *err)
{
  const char *domain = spec->linux_->personality.domain;

  if (strv_len (spec->linux_->personality.flags) > 0)
    return cryo_error (err, 0, "linux.personality.flags: `%s` is not supported (the runtime spec defines no flag)",
                       spec->linux_->personality.flags[0]);
  for (size_t i = 0; domain && i < ARRAY_SIZE (domains); i++)
    if (strcmp (domains[i].name, domain) == 0)
      {
        *persona = domains[i].persona;
        return 0;
      }
  return cryo_error (err, 0, "linux.personality.domain: unknown domain `%s` (LINUX or LINUX32)",
                     domain ? domain : "");
}

int
personality_validate (const struct spec *spec, cryo_error_t *err)
{
  unsigned long persona;

  if (spec->linux_ == NULL || !spec->linux_->personality.set)
    return 0;
  return lookup (spec, &persona, err);
}

int
personality_apply (const struct spec *spec, cryo_error_t *err)
{
  unsigned long persona;

  if (spec->linux_ == NULL || !spec->linux_->personality.set)
    return 0;
  if (lookup (spec, &persona, err) < 0)
    return -1;
  if (personality (persona) < 0)
    return cryo_error (err, errno, "linux.personality: personality(%s)", spec->linux_->personality.domain);
  return 0;
}
