/* Libraries loaded on first use (src/lib/dynlib.h): nothing of libcriu,
 * libarchive, libcrypto or libxxhash is mapped until a module asks for it; a missing
 * library or function is one line naming the package. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dynlib.h"
#include "engine/internal.h"
#include "image/archive-util.h"
#include "image/digest.h"
#include "tap.h"
#include "lib/util.h"

/* Is a file whose name contains @name mapped in this process? */
static bool
mapped (const char *name)
{
  cleanup_free char *maps = NULL;

  if (read_all_file ("/proc/self/maps", &maps, NULL, NULL) < 0)
    return false;
  return strstr (maps, name) != NULL;
}

static int
test_loaded_on_first_use (void)
{
  char hex[DIGEST_HEX_SIZE];
  cryo_error_t err = NULL;

  CHECK (!mapped ("libcriu.so") && !mapped ("libarchive.so") && !mapped ("libcrypto.so"));
  CHECK (!mapped ("libxxhash.so"));
  CHECK (digest_buffer (DIGEST_XXH3, "abc", 3, hex, &err) == 0);
  CHECK_STR (hex, "06b05ab6733a618578af5f94892f3950");
  CHECK (mapped ("libxxhash.so") && !mapped ("libcrypto.so"));
  CHECK (digest_buffer (DIGEST_SHA256, "abc", 3, hex, &err) == 0);
  CHECK_STR (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK (mapped ("libcrypto.so") && !mapped ("libarchive.so") && !mapped ("libcriu.so"));
  CHECK (image_libarchive_load (&err) == 0 && mapped ("libarchive.so"));
  CHECK (engine_libcriu_load (&err) == 0 && mapped ("libcriu.so"));
  /* Once loaded, again is free and still fine. */
  CHECK (engine_libcriu_load (&err) == 0 && err == NULL);
  return 0;
}

static int
test_missing_library (void)
{
  static const char *const names[] = { "f" };
  void *slots[1] = { (void *)1 };
  struct dynlib lib = { .soname = "libcryo-missing.so.7",
                        .libdir = "/nonexistent",
                        .package = "cryo-pkg",
                        .names = names,
                        .slots = slots,
                        .n = 1,
                        .lock = PTHREAD_MUTEX_INITIALIZER };
  cleanup_error cryo_error_t err = NULL;

  CHECK (dynlib_load (&lib, &err) < 0);
  CHECK (strstr (err->msg, "libcryo-missing.so.7") != NULL);
  CHECK (strstr (err->msg, "install the Debian package cryo-pkg") != NULL);
  CHECK (strchr (err->msg, '\n') == NULL);
  /* The outcome is remembered, and trampolines get NULL. */
  cryo_error_release (&err);
  CHECK (dynlib_load (&lib, &err) < 0 && strstr (err->msg, "cryo-pkg") != NULL);
  CHECK (dynlib_sym (&lib, 0) == NULL);
  return 0;
}

/* libz is on every Debian system (libarchive and CRIU need it). */
static int
test_missing_function (void)
{
  static const char *const names[] = { "zlibVersion", "cryo_no_such_function" };
  static const char *const needed_all[] = { "zlibVersion", "cryo_no_such_function", NULL };
  static const char *const needed_some[] = { "zlibVersion", NULL };
  void *slots[2] = { NULL, NULL };
  struct dynlib strict = { .soname = "libz.so.1",
                           .package = "zlib1g",
                           .names = names,
                           .slots = slots,
                           .n = 2,
                           .needed = needed_all,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
  struct dynlib lax = { .soname = "libz.so.1",
                        .package = "zlib1g",
                        .names = names,
                        .slots = slots,
                        .n = 2,
                        .needed = needed_some,
                        .lock = PTHREAD_MUTEX_INITIALIZER };
  cleanup_error cryo_error_t err = NULL;

  CHECK (dynlib_load (&strict, &err) < 0);
  CHECK (strstr (err->msg, "libz.so.1 has no function `cryo_no_such_function`") != NULL);
  CHECK (strstr (err->msg, "zlib1g") != NULL);
  CHECK (dynlib_sym (&strict, 0) == NULL);
  /* An optional function may be missing: the others work. */
  CHECK (dynlib_load (&lax, &err) == 0);
  CHECK (dynlib_sym (&lax, 0) != NULL && dynlib_sym (&lax, 1) == NULL);
  CHECK (strcmp (((const char *(*)(void))dynlib_sym (&lax, 0)) (), "1") > 0);
  return 0;
}

int
main (void)
{
  TAP_PLAN (3);
  RUN_TEST (test_loaded_on_first_use);
  RUN_TEST (test_missing_library);
  RUN_TEST (test_missing_function);
  return tap_exit ();
}
