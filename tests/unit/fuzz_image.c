/* libFuzzer target for the parsers of untrusted image input (an image may
 * come from another host through `cryo image unpack`): manifest.json, and
 * CRIU's image files as `cryo image inspect` reads them.
 *
 *   make fuzz-image && ./fuzz-image -max_total_time=60
 *
 * The first byte picks the target: even, the rest is a manifest; odd, the
 * rest replaces one CRIU image (chosen by the second byte) of a minimal
 * valid dump written to the scratch directory (tests/fuzz/fuzz.h). */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/criu-reader.h"
#include "image/image-internal.h"
#include "lib/util.h"

static void
fuzz_manifest (const uint8_t *data, size_t size)
{
  cleanup_free char *text = xstrndup ((const char *)data, size);
  cleanup_json json_value_t *root = NULL;
  struct image_manifest m = { 0 };
  int version;

  if (json_parse (text, &root, NULL) == 0 && manifest_check_header (root, &version, NULL) == 0)
    {
      manifest_from_json (root, &m, NULL);
      manifest_release (&m);
    }
}

static const char *const images[] = {
  "inventory.img", "pstree.img", "core-1.img",   "ids-1.img",
  "mm-1.img",      "files.img",  "fdinfo-1.img", "pagemap-1.img",
};

static const uint32_t magics[] = {
  CRIU_INVENTORY_MAGIC, CRIU_PSTREE_MAGIC, CRIU_CORE_MAGIC,   CRIU_IDS_MAGIC,
  CRIU_MM_MAGIC,        CRIU_FILES_MAGIC,  CRIU_FDINFO_MAGIC, CRIU_PAGEMAP_MAGIC,
};

static void
write_image (int dirfd, size_t i, const uint8_t *body, size_t len)
{
  cleanup_close int fd = openat (dirfd, images[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  uint32_t hdr[2] = { CRIU_IMG_COMMON_MAGIC, magics[i] };

  if (i == 0)
    write_all (fd, &magics[0], 4);
  else
    write_all (fd, hdr, sizeof (hdr));
  write_all (fd, body, len);
}

static void
fuzz_criu (const uint8_t *data, size_t size)
{
  /* inventory: img_version 2, fdinfo_per_id; pstree: pid 1, thread 1; ids: files_id 1 */
  static const uint8_t inventory[] = { 4, 0, 0, 0, 0x08, 0x02, 0x10, 0x01 };
  static const uint8_t pstree[] = { 4, 0, 0, 0, 0x08, 0x01, 0x28, 0x01 };
  static const uint8_t ids[] = { 2, 0, 0, 0, 0x10, 0x01 };
  cleanup_criu_dump struct criu_dump *d = NULL;
  size_t which = size > 0 ? data[0] % ARRAY_SIZE (images) : 0;
  int dirfd;

  fuzz_dir (&dirfd);
  for (size_t i = 0; i < ARRAY_SIZE (images); i++)
    unlinkat (dirfd, images[i], 0);
  write_image (dirfd, 0, inventory, sizeof (inventory));
  write_image (dirfd, 1, pstree, sizeof (pstree));
  write_image (dirfd, 3, ids, sizeof (ids));
  if (size > 0)
    write_image (dirfd, which, data + 1, size - 1);
  criu_dump_read (dirfd, &d, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  if (data[0] % 2 == 0)
    fuzz_manifest (data + 1, size - 1);
  else
    fuzz_criu (data + 1, size - 1);
  return 0;
}
