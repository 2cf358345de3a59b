/* `cryo image inspect`: what an image holds, for people (text) and tools
 * (JSON): cryo's metadata from the manifest and metadata files, and from
 * CRIU's images the process tree, threads, memory, open files and sockets.
 * Nothing is verified here beyond the files it reads (see image_verify). */
#ifndef CRYO_IMAGE_INSPECT_H
#define CRYO_IMAGE_INSPECT_H

#include <stdio.h>

#include "image/image.h"
#include "lib/json.h"

int image_inspect_json (struct image *img, json_gen_t *g, cryo_error_t *err);
int image_inspect_text (struct image *img, FILE *out, cryo_error_t *err);

#endif
