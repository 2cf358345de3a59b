/* dlopen() on first use; see dynlib.h for why. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "dynlib: "
#include "lib/dynlib.h"
#include "lib/log.h"
#include "lib/util.h"

/* The soname through the loader's search path first (ld.so.cache,
 * LD_LIBRARY_PATH), then where configure found the library: a CRIU built
 * into /usr/local may not be in the cache. */
static void *
open_library (struct dynlib *lib, char **why)
{
  void *h = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
  cleanup_free char *first = NULL;

  if (h != NULL)
    return h;
  first = xstrdup (dlerror ());
  if (lib->libdir && *lib->libdir)
    {
      cleanup_free char *path = xasprintf ("%s/%s", lib->libdir, lib->soname);
      h = dlopen (path, RTLD_NOW | RTLD_LOCAL);
      if (h != NULL)
        return h;
    }
  *why = xasprintf ("%s: install the Debian package %s", first, lib->package);
  return NULL;
}

static bool
needed (const struct dynlib *lib, const char *name)
{
  if (lib->needed == NULL)
    return true;
  for (const char *const *p = lib->needed; *p; p++)
    if (strcmp (*p, name) == 0)
      return true;
  return false;
}

static void
load_locked (struct dynlib *lib)
{
  lib->handle = open_library (lib, &lib->why);
  if (lib->handle == NULL)
    return;
  for (size_t i = 0; i < lib->n; i++)
    {
      lib->slots[i] = dlsym (lib->handle, lib->names[i]);
      if (lib->slots[i] != NULL)
        continue;
      /* An optional function an older library lacks: its trampoline fails. */
      log_debug ("%s has no `%s`", lib->soname, lib->names[i]);
      if (needed (lib, lib->names[i]) && lib->why == NULL)
        lib->why = xasprintf ("%s has no function `%s`: it is too old, install a newer %s", lib->soname,
                              lib->names[i], lib->package);
    }
  if (lib->why)
    {
      memset (lib->slots, 0, lib->n * sizeof (void *));
      dlclose (lib->handle);
      lib->handle = NULL;
    }
}

int
dynlib_load (struct dynlib *lib, cryo_error_t *err)
{
  /* Once tried, the outcome never changes: no lock needed to read it. */
  if (!__atomic_load_n (&lib->tried, __ATOMIC_ACQUIRE))
    {
      pthread_mutex_lock (&lib->lock);
      if (!lib->tried)
        {
          load_locked (lib);
          __atomic_store_n (&lib->tried, true, __ATOMIC_RELEASE);
        }
      pthread_mutex_unlock (&lib->lock);
    }
  if (lib->handle == NULL)
    return cryo_error (err, 0, "%s", lib->why);
  return 0;
}

void *
dynlib_sym (struct dynlib *lib, size_t i)
{
  if (dynlib_load (lib, NULL) < 0)
    return NULL;
  return lib->slots[i];
}
