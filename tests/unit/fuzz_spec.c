/* libFuzzer target for the config.json parser: any input must give a spec or
 * a one-line error, never a crash, a leak or undefined behaviour.
 *
 *   make fuzz-spec && ./fuzz-spec -max_total_time=60 CORPUS_DIR
 *
 * Built by clang only (see Makefile.am); the default config makes a good seed:
 * `cryo spec -b CORPUS_DIR`. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = xstrndup ((const char *) data, size);
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  if (spec_parse (text, "/bundle", &spec, &err) < 0)
    {
      if (err == NULL || strchr (err->msg, '\n') != NULL)
        abort ();
      return 0;
    }
  /* the accessors on whatever was accepted */
  for (int ns = 0; ns < NS_MAX; ns++)
    (void) spec_ns_is_new (spec, ns);
  (void) spec_annotation (spec, "org.opencontainers.image.os");
  return 0;
}
