/* Libraries loaded with dlopen() when first needed, not at every start.
 *
 * libcriu, libarchive and libcrypto (with libxml2, ICU, libstdc++, zstd,
 * protobuf-c... behind them) cost ~20 ms of dynamic loading and page faults
 * per exec here, and only checkpoint, restore, `cryo check` and `cryo image`
 * use them (tests/bench/README.md).  Each is wrapped by a shim file
 * (src/engine/libcriu.c, src/image/libarchive.c, src/image/libcrypto.c) that
 * defines the library's functions under their own names as trampolines: the
 * code calling them does not change, and the executable is not linked
 * against the library.  The trampolines are hidden symbols, so the loaded
 * library never binds to them instead of its own functions.
 *
 * The module entry points call their shim's load function first, so that a
 * missing library is one line naming the Debian package; a trampoline
 * called before that loads the library itself and, when it cannot, returns
 * the function's failure value (a void function does nothing).
 *
 * A shim lists its functions once, in an X-macro LIST (F, V) of
 *   F (ret, name, (params), (args), failure value)
 *   V (name, (params), (args))          (void functions)
 * and expands it with DYNLIB_DEFINE (see src/image/libcrypto.c).  A new
 * call to a function of these libraries needs its line in the shim (the
 * link fails until then). */
#ifndef CRYO_DYNLIB_H
#define CRYO_DYNLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

struct dynlib
{
  const char *soname;       /* "libcriu.so.2" */
  const char *libdir;       /* where configure found it, tried second; may be NULL */
  const char *package;      /* the Debian package that installs it */
  const char *const *names; /* its functions, n of them */
  void **slots;             /* their addresses once loaded (NULL: missing) */
  size_t n;
  const char *const *needed; /* names that must be there, NULL-terminated; NULL: all */
  /* Filled by dynlib_load. */
  pthread_mutex_t lock;
  bool tried;
  void *handle;
  char *why; /* the one-line reason it failed to load */
};

/**
 * dynlib_load - dlopen @lib and resolve its functions, once per process
 *
 * Thread-safe; a failure is remembered and reported again on every call:
 * "libcriu.so.2: cannot open shared object file: No such file or
 * directory: install the Debian package criu".
 */
int dynlib_load (struct dynlib *lib, cryo_error_t *err);

/* The address of function @i, loading @lib on first use; NULL when the
 * library or the function is missing (then the trampoline fails). */
void *dynlib_sym (struct dynlib *lib, size_t i);

#define DYNLIB_HIDDEN __attribute__ ((visibility ("hidden")))

/* Expansions of a shim's X-macro (LIST (F, V)). */
#define DYNLIB_ENUM_F(ret, name, params, args, fail) DYNLIB_I_##name,
#define DYNLIB_ENUM_V(name, params, args) DYNLIB_I_##name,
#define DYNLIB_NAME_F(ret, name, params, args, fail) #name,
#define DYNLIB_NAME_V(name, params, args) #name,

/* DYNLIB_DEFINE (LIST, soname, libdir, package, needed): the shim's
 * struct dynlib (one per file: `dynlib_self`) and one trampoline per
 * function of LIST. */
#define DYNLIB_DEFINE(LIST, soname_, libdir_, package_, needed_)                                             \
  enum                                                                                                       \
  {                                                                                                          \
    LIST (DYNLIB_ENUM_F, DYNLIB_ENUM_V) DYNLIB_N                                                             \
  };                                                                                                         \
  static const char *const dynlib_names[] = { LIST (DYNLIB_NAME_F, DYNLIB_NAME_V) };                         \
  static void *dynlib_slots[DYNLIB_N];                                                                       \
  static struct dynlib dynlib_self = {                                                                       \
    .soname = soname_,                                                                                       \
    .libdir = libdir_,                                                                                       \
    .package = package_,                                                                                     \
    .names = dynlib_names,                                                                                   \
    .slots = dynlib_slots,                                                                                   \
    .n = DYNLIB_N,                                                                                           \
    .needed = needed_,                                                                                       \
    .lock = PTHREAD_MUTEX_INITIALIZER,                                                                       \
  };                                                                                                         \
  LIST (DYNLIB_TRAMPOLINE_F, DYNLIB_TRAMPOLINE_V)

#define DYNLIB_TRAMPOLINE_F(ret, name, params, args, fail)                                                   \
  DYNLIB_HIDDEN ret name params                                                                              \
  {                                                                                                          \
    ret (*fn) params = (ret (*) params)dynlib_sym (&dynlib_self, DYNLIB_I_##name);                           \
    if (fn == NULL)                                                                                          \
      return fail;                                                                                           \
    return fn args;                                                                                          \
  }
#define DYNLIB_TRAMPOLINE_V(name, params, args)                                                              \
  DYNLIB_HIDDEN void name params                                                                             \
  {                                                                                                          \
    void (*fn) params = (void (*) params)dynlib_sym (&dynlib_self, DYNLIB_I_##name);                         \
    if (fn != NULL)                                                                                          \
      fn args;                                                                                               \
  }

#endif
