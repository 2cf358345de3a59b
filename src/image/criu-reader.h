/* A small reader for the few CRIU images `cryo image inspect` shows: the
 * process tree, threads, memory, open files and sockets.
 *
 * CRIU image files are a 32-bit magic header (two for most images: the
 * common magic, then the image's own) followed by entries, each a 32-bit
 * little-endian length and a protobuf message.  Only varints and
 * length-delimited fields are needed here; field numbers come from CRIU's
 * images/<name>.proto.  Unknown fields are skipped, so newer CRIU versions that
 * add fields still read. */
#ifndef CRYO_IMAGE_CRIU_READER_H
#define CRYO_IMAGE_CRIU_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* ---- protobuf wire format ---- */

enum pb_wire
{
  PB_VARINT = 0,
  PB_FIXED64 = 1,
  PB_BYTES = 2,
  PB_FIXED32 = 5,
};

struct pb_field
{
  uint32_t number;
  enum pb_wire wire;
  uint64_t value;      /* PB_VARINT, PB_FIXED32, PB_FIXED64 */
  const uint8_t *data; /* PB_BYTES */
  size_t len;
};

struct pb_reader
{
  const uint8_t *p;
  const uint8_t *end;
};

/* Returns 1 with the next field, 0 at the end, -1 on malformed input. */
int pb_next (struct pb_reader *r, struct pb_field *f);
/* Read one varint from a packed repeated field's bytes; -1 when malformed. */
int pb_varint (struct pb_reader *r, uint64_t *out);
/* A name from an image as text to show: control characters (NUL too) as '?'. */
char *criu_printable (const uint8_t *data, size_t len);

/* ---- CRIU image files ---- */

#define CRIU_IMG_COMMON_MAGIC 0x54564319
#define CRIU_IMG_SERVICE_MAGIC 0x55105940 /* stats-dump: a service image */
#define CRIU_STATS_MAGIC 0x57093306
#define CRIU_INVENTORY_MAGIC 0x58313116
#define CRIU_PSTREE_MAGIC 0x50273030
#define CRIU_FDINFO_MAGIC 0x56213732
#define CRIU_PAGEMAP_MAGIC 0x56084025
#define CRIU_CORE_MAGIC 0x55053847
#define CRIU_IDS_MAGIC 0x54432030
#define CRIU_MM_MAGIC 0x57492820
#define CRIU_FILES_MAGIC 0x56303138

struct criu_img
{
  char *name;
  uint8_t *buf;
  size_t len;
  size_t pos;
};

/* Returns 1 when opened, 0 when absent and !@required, <0 on error (a bad
 * magic, unreadable).  The inventory has only its own magic; other images
 * the common magic first. */
int criu_img_open (int dirfd, const char *name, uint32_t magic, bool required, struct criu_img *img,
                   cryo_error_t *err);
/* The next entry as a message: 1, 0 at the end, <0 if truncated. */
int criu_img_next (struct criu_img *img, struct pb_reader *msg, cryo_error_t *err);
void criu_img_close (struct criu_img *img);
/* "criu image `core-1.img`: malformed entry" */
int criu_img_malformed (struct criu_img *img, cryo_error_t *err);

/* ---- what inspect shows ---- */

enum criu_fd_kind
{
  CRIU_FD_OTHER,
  CRIU_FD_FILE,
  CRIU_FD_PIPE,
  CRIU_FD_INET,
  CRIU_FD_UNIX,
};

struct criu_fd
{
  uint32_t fd;
  uint32_t id;   /* the file's id in files.img */
  uint32_t type; /* CRIU's fd_types */
  enum criu_fd_kind kind;
  char *desc; /* "/etc/hostname", "pipe:[7]", "tcp 127.0.0.1:80 LISTEN", ... */
};

struct criu_process
{
  uint32_t pid, ppid, pgid, sid;
  uint32_t *threads;
  size_t n_threads;
  char *comm;          /* NULL if core-<pid>.img is absent */
  uint32_t task_state; /* 1 alive, 2 dead, 3 stopped, 6 zombie (CRIU's TASK_*) */
  uint64_t pages;      /* pages in pages-*.img (present, not in a parent image) */
  uint64_t vma_bytes;  /* size of all mappings */
  size_t n_vmas;
  struct criu_fd *fds;
  size_t n_fds;
};

struct criu_socket
{
  uint32_t id;
  bool unix_socket;
  uint32_t family, type, proto, state;
  char *desc; /* "tcp 127.0.0.1:8080 -> 127.0.0.1:41234 ESTABLISHED", "unix stream /run/x.sock" */
};

struct criu_dump
{
  uint32_t img_version;
  struct criu_process *procs;
  size_t n_procs;
  struct criu_socket *sockets;
  size_t n_sockets;
  uint64_t page_size;
};

/**
 * criu_dump_read - read the process tree and its resources from CRIU's images
 * @dirfd: the directory CRIU dumped into (an image's criu/)
 * @out: NULL when the directory holds no dump (no inventory.img)
 *
 * Errors name the image file and what is wrong with it.
 */
int criu_dump_read (int dirfd, struct criu_dump **out, cryo_error_t *err);
void criu_dump_free (struct criu_dump *d);
void cleanup_criu_dumpp (struct criu_dump **d);
#define cleanup_criu_dump __attribute__ ((cleanup (cleanup_criu_dumpp)))

const char *criu_task_state_name (uint32_t state);
/* Fill every process's fds and the dump's sockets from fdinfo-*.img and files.img. */
int criu_read_files (int dirfd, struct criu_dump *d, bool fdinfo_per_id, const uint32_t *files_ids,
                     cryo_error_t *err);
uint64_t criu_dump_total_pages (const struct criu_dump *d);

#endif
