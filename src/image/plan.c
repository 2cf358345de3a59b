/* The mount plan in an image: mounts.json, written with the mount plan's own
 * JSON form so restore replays exactly what create did. */
#include "config.h"

#include "image/image-internal.h"
#include "ns/mount-plan.h"
#include "lib/util.h"

int
image_writer_set_mount_plan (struct image_writer *w, const struct mount_plan *plan, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  if (mount_plan_to_json (plan, g, err) < 0)
    return cryo_error_wrap (err, "image %s", IMAGE_FILE_MOUNTS);
  return image_writer_add_json (w, IMAGE_FILE_MOUNTS, g, err);
}

int
image_mount_plan (struct image *img, struct mount_plan **out, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_value_t *root = NULL;
  const char *name = image_mount_plan_file (img);

  *out = NULL;
  if (name == NULL)
    return 0;
  if (image_read_file (img, name, &text, NULL, err) < 0)
    return -1;
  if (json_parse (text, &root, err) < 0 || mount_plan_from_json (root, out, err) < 0)
    return cryo_error_wrap (err, "image `%s`: %s", image_path (img), name);
  return 0;
}
