/* What the libFuzzer targets under tests/fuzz/ share: a scratch directory
 * under /dev/shm (one per process, removed at exit) and the rule that an
 * error is one line. */
#ifndef CRYO_TESTS_FUZZ_H
#define CRYO_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lib/error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The scratch directory (created on first use) and an fd on it. */
const char *fuzz_dir (int *dirfd);
/* Write @data to @name in the scratch directory, replacing it. */
void fuzz_write (const char *name, const uint8_t *data, size_t size);
/* Remove @name (a file or a tree) from the scratch directory. */
void fuzz_remove (const char *name);

/* Errors are one line that says something: anything else is a finding. */
static inline void
fuzz_check_error (cryo_error_t err)
{
  if (err == NULL || err->msg[0] == '\0' || strchr (err->msg, '\n') != NULL)
    {
      /* Shown with the crash, so the finding can be read. */
      fprintf (stderr, "fuzz: bad error message: \"%s\"\n", err ? err->msg : "(none)");
      abort ();
    }
}

#endif
