/* A checkpoint's stats: CRIU's (its stats-dump image, images/stats.proto)
 * and cryo's own times, in the manifest's optional "stats" object
 * (FORMAT.md) and in `cryo checkpoint --stats FILE`. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "image/criu-reader.h"
#include "image/image-internal.h"
#include "lib/util.h"

#define CRIU_STATS_FILE "stats-dump"

/* The fields, by name, once: the JSON names are CRIU's where CRIU has one. */
static const struct
{
  const char *key;
  size_t offset;
  uint32_t criu_field; /* dump_stats_entry's field number; 0: cryo's own */
} stats_table[] = {
#define STAT(name, field)                                                                                    \
  {                                                                                                          \
#name, offsetof(struct image_stats, name), field                                                         \
  }
  STAT (freezing_time, 0),  STAT (frozen_time, 0),          STAT (memdump_time, 3),  STAT (memwrite_time, 4),
  STAT (pages_scanned, 5),  STAT (pages_skipped_parent, 6), STAT (pages_written, 7), STAT (pages_lazy, 9),
  STAT (writeback_time, 0), STAT (writeback_bytes, 0),
#undef STAT
};

static uint64_t *
field (struct image_stats *s, size_t i)
{
  return (uint64_t *)((char *)s + stats_table[i].offset);
}

void
image_stats_gen (json_gen_t *g, const struct image_stats *s)
{
  for (size_t i = 0; i < ARRAY_SIZE (stats_table); i++)
    jg_kv_uint (g, stats_table[i].key, *field ((struct image_stats *)s, i));
}

int
manifest_parse_stats (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  json_value_t *v = json_get (root, "stats");

  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_object (v))
    return cryo_error (err, 0, "field `stats`: must be an object");
  /* Missing members are 0 (unknown); unknown members are ignored. */
  for (size_t i = 0; i < ARRAY_SIZE (stats_table); i++)
    {
      json_value_t *n = json_get (v, stats_table[i].key);
      if (n == NULL)
        continue;
      if (!json_is_integer (n) || (!json_integer_is_unsigned_only (n) && json_integer (n) < 0))
        return cryo_error (err, 0, "field `stats.%s`: must be a non-negative integer", stats_table[i].key);
      *field (&m->stats, i) = json_uinteger (n);
    }
  m->has_stats = true;
  return 0;
}

/* stats_entry { optional dump_stats_entry dump = 1; ... } */
static int
read_dump_entry (struct criu_img *img, struct pb_reader *msg, struct image_stats *s, cryo_error_t *err)
{
  struct pb_field f, d;
  int r;

  while ((r = pb_next (msg, &f)) > 0)
    {
      struct pb_reader dump = { .p = f.data, .end = f.data + f.len };
      if (f.number != 1 || f.wire != PB_BYTES)
        continue;
      while ((r = pb_next (&dump, &d)) > 0)
        for (size_t i = 0; i < ARRAY_SIZE (stats_table); i++)
          if (stats_table[i].criu_field == d.number && d.wire == PB_VARINT)
            *field (s, i) = d.value;
      if (r < 0)
        return criu_img_malformed (img, err);
    }
  return r < 0 ? criu_img_malformed (img, err) : 0;
}

int
image_read_criu_stats (int dirfd, struct image_stats *s, cryo_error_t *err)
{
  struct criu_img img = { 0 };
  struct pb_reader msg;
  int r;

  r = criu_img_open (dirfd, CRIU_STATS_FILE, CRIU_STATS_MAGIC, false, &img, err);
  if (r <= 0)
    return r;
  while ((r = criu_img_next (&img, &msg, err)) > 0)
    if (read_dump_entry (&img, &msg, s, err) < 0)
      {
        r = -1;
        break;
      }
  criu_img_close (&img);
  return r < 0 ? -1 : 1;
}
