/* Reading CRIU's images: the protobuf wire format, the image file framing,
 * and the process tree with threads and memory.  Open files are in
 * criu-files.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/criu-reader.h"
#include "lib/util.h"

/* Images inspect reads are small (pages-*.img is never read). */
#define CRIU_IMG_MAX_SIZE (64 << 20)

int
pb_varint (struct pb_reader *r, uint64_t *out)
{
  uint64_t v = 0;

  for (int shift = 0; shift < 64; shift += 7)
    {
      uint8_t b;
      if (r->p >= r->end)
        return -1;
      b = *r->p++;
      v |= (uint64_t) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *out = v;
          return 0;
        }
    }
  return -1;
}

static int
pb_fixed (struct pb_reader *r, size_t n, uint64_t *out)
{
  uint64_t v = 0;

  if ((size_t) (r->end - r->p) < n)
    return -1;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t) r->p[i] << (8 * i);
  r->p += n;
  *out = v;
  return 0;
}

int
pb_next (struct pb_reader *r, struct pb_field *f)
{
  uint64_t key, len;

  if (r->p >= r->end)
    return 0;
  if (pb_varint (r, &key) < 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
    return -1;
  f->number = key >> 3;
  f->wire = key & 7;
  f->data = NULL;
  f->len = 0;
  switch (f->wire)
    {
    case PB_VARINT:
      return pb_varint (r, &f->value) < 0 ? -1 : 1;
    case PB_FIXED64:
      return pb_fixed (r, 8, &f->value) < 0 ? -1 : 1;
    case PB_FIXED32:
      return pb_fixed (r, 4, &f->value) < 0 ? -1 : 1;
    case PB_BYTES:
      if (pb_varint (r, &len) < 0 || len > (uint64_t) (r->end - r->p))
        return -1;
      f->data = r->p;
      f->len = len;
      r->p += len;
      return 1;
    }
  return -1; /* groups (3, 4) are not used by CRIU */
}

/* Every byte of @len is kept (names may hold anything, NULs too), control
 * characters shown as '?': the result is @len long, ends in its own NUL, and
 * is safe to print on a terminal. */
char *
criu_printable (const uint8_t *data, size_t len)
{
  char *s = xmalloc (len + 1);

  for (size_t i = 0; i < len; i++)
    s[i] = data[i] < 0x20 || data[i] == 0x7f ? '?' : (char)data[i];
  s[len] = '\0';
  return s;
}

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int
criu_img_open (int dirfd, const char *name, uint32_t magic, bool required, struct criu_img *img,
               cryo_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  char *buf;
  size_t hdr = magic == CRIU_INVENTORY_MAGIC ? 4 : 8;

  memset (img, 0, sizeof (*img));
  if (fd < 0 && errno == ENOENT && !required)
    return 0;
  if (fd < 0)
    return cryo_error (err, errno, "criu image `%s`", name);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > CRIU_IMG_MAX_SIZE)
    return cryo_error (err, 0, "criu image `%s`: not a regular file of at most 64 MiB", name);
  if (read_all_fd (fd, name, &buf, &img->len, err) < 0)
    return -1;
  img->buf = (uint8_t *) buf;
  img->name = xstrdup (name);
  if (img->len < hdr)
    cryo_error (err, 0, "criu image `%s`: truncated header (%zu bytes)", name, img->len);
  else if (hdr == 8 && le32 (img->buf) != CRIU_IMG_COMMON_MAGIC
           && !(magic == CRIU_STATS_MAGIC && le32 (img->buf) == CRIU_IMG_SERVICE_MAGIC))
    cryo_error (err, 0, "criu image `%s`: bad magic 0x%08x (not a CRIU image)", name, le32 (img->buf));
  else if (le32 (img->buf + hdr - 4) != magic)
    cryo_error (err, 0, "criu image `%s`: magic 0x%08x, expected 0x%08x", name, le32 (img->buf + hdr - 4),
                magic);
  else
    {
      img->pos = hdr;
      return 1;
    }
  criu_img_close (img);
  return -1;
}

int
criu_img_next (struct criu_img *img, struct pb_reader *msg, cryo_error_t *err)
{
  uint32_t size;

  if (img->pos == img->len)
    return 0;
  if (img->len - img->pos < 4)
    return cryo_error (err, 0, "criu image `%s`: truncated entry at offset %zu", img->name, img->pos);
  size = le32 (img->buf + img->pos);
  if (size > img->len - img->pos - 4)
    return cryo_error (err, 0, "criu image `%s`: truncated entry at offset %zu (%u bytes announced)",
                       img->name, img->pos, size);
  msg->p = img->buf + img->pos + 4;
  msg->end = msg->p + size;
  img->pos += 4 + (size_t) size;
  return 1;
}

void
criu_img_close (struct criu_img *img)
{
  free (img->buf);
  free (img->name);
  memset (img, 0, sizeof (*img));
}

int
criu_img_malformed (struct criu_img *img, cryo_error_t *err)
{
  return cryo_error (err, 0, "criu image `%s`: malformed entry", img->name);
}

static void
cleanup_criu_imgp (struct criu_img *img)
{
  criu_img_close (img);
}
#define cleanup_criu_img __attribute__ ((cleanup (cleanup_criu_imgp)))

/* pagemap flags (criu/include/pagemap.h) */
#define PE_PARENT (1 << 0)
#define PE_PRESENT (1 << 2)

/* The first entry of an image, or an error: these images hold one. */
static int
first_entry (struct criu_img *img, struct pb_reader *msg, cryo_error_t *err)
{
  int r = criu_img_next (img, msg, err);
  if (r == 0)
    return cryo_error (err, 0, "criu image `%s`: no entry", img->name);
  return r < 0 ? -1 : 0;
}

static int
read_inventory (int dirfd, struct criu_dump *d, bool *present, bool *fdinfo_per_id, cryo_error_t *err)
{
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg;
  struct pb_field f;
  int r = criu_img_open (dirfd, "inventory.img", CRIU_INVENTORY_MAGIC, false, &img, err);

  *present = r > 0;
  if (r <= 0)
    return r;
  if (first_entry (&img, &msg, err) < 0)
    return -1;
  while ((r = pb_next (&msg, &f)) > 0)
    if (f.number == 1)
      d->img_version = f.value;
    else if (f.number == 2)
      *fdinfo_per_id = f.value != 0;
  return r < 0 ? criu_img_malformed (&img, err) : 0;
}

static int
add_thread (struct criu_process *p, const struct pb_field *f)
{
  struct pb_reader packed = { 0 };
  uint64_t v = f->value;

  if (f->wire == PB_BYTES) /* packed; a varint has no data to point into */
    packed = (struct pb_reader){ f->data, f->data + f->len };

  do
    {
      if (f->wire == PB_BYTES && pb_varint (&packed, &v) < 0)
        return -1;
      p->threads = xreallocarray (p->threads, p->n_threads + 1, sizeof (*p->threads));
      p->threads[p->n_threads++] = v;
    }
  while (f->wire == PB_BYTES && packed.p < packed.end);
  return 0;
}

static int
read_pstree (int dirfd, struct criu_dump *d, cryo_error_t *err)
{
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg;
  int r;

  if (criu_img_open (dirfd, "pstree.img", CRIU_PSTREE_MAGIC, true, &img, err) < 0)
    return -1;
  while ((r = criu_img_next (&img, &msg, err)) > 0)
    {
      struct criu_process *p;
      struct pb_field f;

      d->procs = xreallocarray (d->procs, d->n_procs + 1, sizeof (*d->procs));
      p = memset (&d->procs[d->n_procs++], 0, sizeof (*p));
      while ((r = pb_next (&msg, &f)) > 0)
        {
          if (f.number == 1)
            p->pid = f.value;
          else if (f.number == 2)
            p->ppid = f.value;
          else if (f.number == 3)
            p->pgid = f.value;
          else if (f.number == 4)
            p->sid = f.value;
          else if (f.number == 5 && add_thread (p, &f) < 0)
            r = -1;
          if (r < 0)
            break;
        }
      if (r < 0)
        return criu_img_malformed (&img, err);
    }
  return r;
}

/* TaskKobjIdsEntry: files_id is field 2. */
static int
parse_files_id (const uint8_t *data, size_t len, uint32_t *files_id)
{
  struct pb_reader r = { data, data + len };
  struct pb_field f;
  int ret;

  while ((ret = pb_next (&r, &f)) > 0)
    if (f.number == 2 && f.wire == PB_VARINT)
      *files_id = f.value;
  return ret;
}

/* CoreEntry.tc (3): task_state (1), comm (6); CoreEntry.ids (4) in older CRIU. */
static int
read_core (int dirfd, struct criu_process *p, uint32_t *files_id, cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("core-%u.img", p->pid);
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg, tc;
  struct pb_field f, g;
  int r = criu_img_open (dirfd, name, CRIU_CORE_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  if (first_entry (&img, &msg, err) < 0)
    return -1;
  while ((r = pb_next (&msg, &f)) > 0)
    {
      if (f.number == 4 && f.wire == PB_BYTES && parse_files_id (f.data, f.len, files_id) < 0)
        return criu_img_malformed (&img, err);
      if (f.number != 3 || f.wire != PB_BYTES)
        continue;
      tc = (struct pb_reader){ f.data, f.data + f.len };
      while ((r = pb_next (&tc, &g)) > 0)
        if (g.number == 1)
          p->task_state = g.value;
        else if (g.number == 6 && g.wire == PB_BYTES)
          {
            free (p->comm);
            p->comm = criu_printable (g.data, g.len);
          }
      if (r < 0)
        return criu_img_malformed (&img, err);
    }
  return r < 0 ? criu_img_malformed (&img, err) : 0;
}

static int
read_ids (int dirfd, struct criu_process *p, uint32_t *files_id, cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("ids-%u.img", p->pid);
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg;
  int r = criu_img_open (dirfd, name, CRIU_IDS_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  if (first_entry (&img, &msg, err) < 0)
    return -1;
  return parse_files_id (msg.p, msg.end - msg.p, files_id) < 0 ? criu_img_malformed (&img, err) : 0;
}

/* MmEntry.vmas (14): VmaEntry start (1), end (2). */
static int
read_mm (int dirfd, struct criu_process *p, cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("mm-%u.img", p->pid);
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg;
  struct pb_field f, g;
  int r = criu_img_open (dirfd, name, CRIU_MM_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  if (first_entry (&img, &msg, err) < 0)
    return -1;
  while ((r = pb_next (&msg, &f)) > 0)
    {
      struct pb_reader vma;
      uint64_t start = 0, end = 0;

      if (f.number != 14 || f.wire != PB_BYTES)
        continue;
      vma = (struct pb_reader){ f.data, f.data + f.len };
      while ((r = pb_next (&vma, &g)) > 0)
        if (g.number == 1)
          start = g.value;
        else if (g.number == 2)
          end = g.value;
      if (r < 0 || end < start)
        return criu_img_malformed (&img, err);
      p->vma_bytes += end - start;
      p->n_vmas++;
    }
  return r < 0 ? criu_img_malformed (&img, err) : 0;
}

/* PagemapEntry: compat_nr_pages (2), in_parent (3), flags (4), nr_pages (5).
 * CRIU's own rule: in_parent means PE_PARENT, no flags means PE_PRESENT. */
static int
read_pagemap (int dirfd, struct criu_process *p, cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("pagemap-%u.img", p->pid);
  cleanup_criu_img struct criu_img img;
  struct pb_reader msg;
  int r = criu_img_open (dirfd, name, CRIU_PAGEMAP_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  if (first_entry (&img, &msg, err) < 0) /* pagemap_head */
    return -1;
  while ((r = criu_img_next (&img, &msg, err)) > 0)
    {
      uint64_t nr = 0, compat = 0, flags = 0;
      bool has_nr = false, has_flags = false, in_parent = false;
      struct pb_field f;

      while ((r = pb_next (&msg, &f)) > 0)
        if (f.number == 2)
          compat = f.value;
        else if (f.number == 3)
          in_parent = f.value != 0;
        else if (f.number == 4)
          {
            flags = f.value;
            has_flags = true;
          }
        else if (f.number == 5)
          {
            nr = f.value;
            has_nr = true;
          }
      if (r < 0)
        return criu_img_malformed (&img, err);
      if (in_parent)
        flags |= PE_PARENT;
      else if (!has_flags)
        flags = PE_PRESENT;
      if ((flags & PE_PRESENT) && !(flags & PE_PARENT))
        p->pages += has_nr ? nr : compat;
    }
  return r;
}

int
criu_dump_read (int dirfd, struct criu_dump **out, cryo_error_t *err)
{
  cleanup_criu_dump struct criu_dump *d = xzalloc (sizeof (*d));
  cleanup_free uint32_t *files_ids = NULL;
  bool present = false, fdinfo_per_id = false;
  long page_size = sysconf (_SC_PAGESIZE);

  *out = NULL;
  d->page_size = page_size > 0 ? (uint64_t) page_size : 4096;
  if (read_inventory (dirfd, d, &present, &fdinfo_per_id, err) < 0)
    return -1;
  if (!present)
    return 0;
  if (read_pstree (dirfd, d, err) < 0)
    return -1;
  files_ids = xzalloc ((d->n_procs + 1) * sizeof (*files_ids));
  for (size_t i = 0; i < d->n_procs; i++)
    {
      struct criu_process *p = &d->procs[i];
      if (read_core (dirfd, p, &files_ids[i], err) < 0 || read_ids (dirfd, p, &files_ids[i], err) < 0
          || read_mm (dirfd, p, err) < 0 || read_pagemap (dirfd, p, err) < 0)
        return -1;
    }
  if (criu_read_files (dirfd, d, fdinfo_per_id, files_ids, err) < 0)
    return -1;
  *out = steal_pointer (&d);
  return 0;
}

void
criu_dump_free (struct criu_dump *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n_procs; i++)
    {
      struct criu_process *p = &d->procs[i];
      for (size_t j = 0; j < p->n_fds; j++)
        free (p->fds[j].desc);
      free (p->fds);
      free (p->threads);
      free (p->comm);
    }
  free (d->procs);
  for (size_t i = 0; i < d->n_sockets; i++)
    free (d->sockets[i].desc);
  free (d->sockets);
  free (d);
}

void
cleanup_criu_dumpp (struct criu_dump **d)
{
  criu_dump_free (*d);
  *d = NULL;
}

const char *
criu_task_state_name (uint32_t state)
{
  /* compel's TASK_* values, as stored in TaskCoreEntry.task_state */
  static const char *const names[] = { [1] = "alive", [2] = "dead", [3] = "stopped", [6] = "zombie" };
  return state < ARRAY_SIZE (names) && names[state] ? names[state] : "unknown";
}

uint64_t
criu_dump_total_pages (const struct criu_dump *d)
{
  uint64_t total = 0;
  for (size_t i = 0; i < d->n_procs; i++)
    total += d->procs[i].pages;
  return total;
}
