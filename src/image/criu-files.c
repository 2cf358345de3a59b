/* Open files in CRIU's images: files.img holds one FileEntry per open file
 * (regular files, pipes, sockets, ...), fdinfo-<id>.img maps a process's fd
 * numbers to those entries. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/criu-reader.h"
#include "lib/util.h"

/* fd_types (images/fdinfo.proto) */
static const char *const fd_type_names[] = {
  [0] = "unknown",        [1] = "file",
  [2] = "pipe",           [3] = "fifo",
  [4] = "inet socket",    [5] = "unix socket",
  [6] = "eventfd",        [7] = "epoll",
  [8] = "inotify",        [9] = "signalfd",
  [10] = "packet socket", [11] = "tty",
  [12] = "fanotify",      [13] = "netlink socket",
  [14] = "namespace",     [15] = "tun",
  [16] = "external",      [17] = "timerfd",
  [18] = "memfd",
};

static const char *const tcp_states[] = {
  [1] = "ESTABLISHED", [2] = "SYN_SENT",  [3] = "SYN_RECV", [4] = "FIN_WAIT1",
  [5] = "FIN_WAIT2",   [6] = "TIME_WAIT", [7] = "CLOSE",    [8] = "CLOSE_WAIT",
  [9] = "LAST_ACK",    [10] = "LISTEN",   [11] = "CLOSING",
};

struct file_desc
{
  uint32_t id;
  uint32_t type;
  enum criu_fd_kind kind;
  char *desc;
};

struct file_table
{
  struct file_desc *v;
  size_t n;
};

static const char *
type_name (uint32_t type)
{
  return type < ARRAY_SIZE (fd_type_names) ? fd_type_names[type] : "unknown";
}

/* RegFileEntry: name (6). */
static char *
describe_reg (struct pb_reader *r)
{
  struct pb_field f;
  while (pb_next (r, &f) > 0)
    if (f.number == 6 && f.wire == PB_BYTES)
      return criu_printable (f.data, f.len);
  return xstrdup ("(unnamed file)");
}

/* PipeEntry / FifoEntry: pipe_id (2). */
static char *
describe_pipe (struct pb_reader *r, const char *what)
{
  struct pb_field f;
  uint64_t id = 0;
  while (pb_next (r, &f) > 0)
    if (f.number == 2)
      id = f.value;
  return xasprintf ("%s:[%llu]", what, (unsigned long long) id);
}

static void
add_addr (uint32_t *addr, size_t *n, const struct pb_field *f)
{
  struct pb_reader packed;
  uint64_t v = f->value;

  if (f->wire != PB_BYTES)
    {
      if (*n < 4)
        addr[(*n)++] = v;
      return;
    }
  packed = (struct pb_reader){ f->data, f->data + f->len };
  while (packed.p < packed.end && pb_varint (&packed, &v) == 0)
    if (*n < 4)
      addr[(*n)++] = v;
}

static void
format_addr (char *out, size_t size, uint32_t family, const uint32_t *addr, uint32_t port)
{
  char text[INET6_ADDRSTRLEN] = "?";

  /* CRIU stores the address as the raw in_addr / in6_addr words. */
  inet_ntop (family == AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof (text));
  snprintf (out, size, family == AF_INET6 ? "[%s]:%u" : "%s:%u", text, port);
}

/* InetSkEntry: family (3), type (4), proto (5), state (6), src_port (7),
 * dst_port (8), src_addr (11), dst_addr (12). */
static char *
describe_inet (struct pb_reader *r, struct criu_socket *s)
{
  uint32_t src[4] = { 0 }, dst[4] = { 0 }, sport = 0, dport = 0;
  size_t nsrc = 0, ndst = 0;
  char a[80], b[80];
  const char *proto, *state = "";
  struct pb_field f;

  while (pb_next (r, &f) > 0)
    switch (f.number)
      {
      case 3:
        s->family = f.value;
        break;
      case 4:
        s->type = f.value;
        break;
      case 5:
        s->proto = f.value;
        break;
      case 6:
        s->state = f.value;
        break;
      case 7:
        sport = f.value;
        break;
      case 8:
        dport = f.value;
        break;
      case 11:
        add_addr (src, &nsrc, &f);
        break;
      case 12:
        add_addr (dst, &ndst, &f);
        break;
      }
  proto = s->proto == IPPROTO_TCP ? "tcp" : s->proto == IPPROTO_UDP ? "udp" : "inet";
  if (s->proto == IPPROTO_TCP && s->state < ARRAY_SIZE (tcp_states) && tcp_states[s->state])
    state = tcp_states[s->state];
  format_addr (a, sizeof (a), s->family, src, sport);
  if (dport == 0)
    return xasprintf ("%s%s %s%s%s", proto, s->family == AF_INET6 ? "6" : "", a, *state ? " " : "", state);
  format_addr (b, sizeof (b), s->family, dst, dport);
  return xasprintf ("%s%s %s -> %s%s%s", proto, s->family == AF_INET6 ? "6" : "", a, b, *state ? " " : "",
                    state);
}

/* UnixSkEntry: type (3), state (4), peer (8), name (11). */
static char *
describe_unix (struct pb_reader *r, struct criu_socket *s)
{
  cleanup_free char *name = NULL;
  uint64_t peer = 0;
  const char *type;
  struct pb_field f;

  while (pb_next (r, &f) > 0)
    if (f.number == 3)
      s->type = f.value;
    else if (f.number == 4)
      s->state = f.value;
    else if (f.number == 8)
      peer = f.value;
    else if (f.number == 11 && f.wire == PB_BYTES && f.len > 0)
      {
        free (name);
        name = criu_printable (f.data, f.len);
        /* An abstract name starts with a NUL: shown as "@name". */
        if (f.data[0] == '\0')
          name[0] = '@';
      }
  s->family = AF_UNIX;
  type = s->type == SOCK_STREAM      ? "stream"
         : s->type == SOCK_DGRAM     ? "dgram"
         : s->type == SOCK_SEQPACKET ? "seqpacket"
                                     : "?";
  return xasprintf ("unix %s %s%s%s", type, name ? name : "(unnamed)", s->state == 10 ? " LISTEN" : "",
                    peer ? " (connected)" : "");
}

static void
add_socket (struct criu_dump *d, struct criu_socket *s, uint32_t id, bool is_unix, const char *desc)
{
  d->sockets = xreallocarray (d->sockets, d->n_sockets + 1, sizeof (*d->sockets));
  s->id = id;
  s->unix_socket = is_unix;
  s->desc = xstrdup (desc);
  d->sockets[d->n_sockets++] = *s;
}

/* The description of a FileEntry's sub-message @f (by field number). */
static char *
describe_file (const struct pb_field *f, enum criu_fd_kind *kind, struct criu_socket *s)
{
  struct pb_reader sub = { f->data, f->data + f->len };

  switch (f->number)
    {
    case 3:
      *kind = CRIU_FD_FILE;
      return describe_reg (&sub);
    case 17:
    case 18:
      *kind = CRIU_FD_PIPE;
      return describe_pipe (&sub, f->number == 18 ? "pipe" : "fifo");
    case 4:
      *kind = CRIU_FD_INET;
      return describe_inet (&sub, s);
    case 16:
      *kind = CRIU_FD_UNIX;
      return describe_unix (&sub, s);
    }
  return NULL;
}

/* FileEntry: type (1), id (2), then one sub-message by kind. */
static int
parse_file_entry (struct pb_reader *msg, struct file_desc *fd, struct criu_dump *d)
{
  struct criu_socket s = { 0 };
  struct pb_field f;
  int r;

  fd->kind = CRIU_FD_OTHER;
  while ((r = pb_next (msg, &f)) > 0)
    if (f.number == 1)
      fd->type = f.value;
    else if (f.number == 2)
      fd->id = f.value;
    else if (f.wire == PB_BYTES && fd->desc == NULL)
      fd->desc = describe_file (&f, &fd->kind, &s);
  if (r < 0)
    return -1;
  if (fd->desc == NULL)
    fd->desc = xstrdup (type_name (fd->type));
  if (fd->kind == CRIU_FD_INET || fd->kind == CRIU_FD_UNIX)
    add_socket (d, &s, fd->id, fd->kind == CRIU_FD_UNIX, fd->desc);
  return 0;
}

static int
read_files_img (int dirfd, struct file_table *t, struct criu_dump *d, cryo_error_t *err)
{
  struct criu_img img;
  struct pb_reader msg;
  int r = criu_img_open (dirfd, "files.img", CRIU_FILES_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  while ((r = criu_img_next (&img, &msg, err)) > 0)
    {
      t->v = xreallocarray (t->v, t->n + 1, sizeof (*t->v));
      memset (&t->v[t->n], 0, sizeof (*t->v));
      if (parse_file_entry (&msg, &t->v[t->n++], d) < 0)
        {
          r = criu_img_malformed (&img, err);
          break;
        }
    }
  criu_img_close (&img);
  return r;
}

static const struct file_desc *
find_file (const struct file_table *t, uint32_t id, uint32_t type)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].id == id && t->v[i].type == type)
      return &t->v[i];
  return NULL;
}

/* FdinfoEntry: id (1), flags (2), type (3), fd (4). */
static int
read_fdinfo (int dirfd, const char *name, struct criu_process *p, const struct file_table *t,
             cryo_error_t *err)
{
  struct criu_img img;
  struct pb_reader msg;
  int r = criu_img_open (dirfd, name, CRIU_FDINFO_MAGIC, false, &img, err);

  if (r <= 0)
    return r;
  while ((r = criu_img_next (&img, &msg, err)) > 0)
    {
      struct criu_fd fd = { 0 };
      const struct file_desc *file;
      struct pb_field f;

      while ((r = pb_next (&msg, &f)) > 0)
        if (f.number == 1)
          fd.id = f.value;
        else if (f.number == 3)
          fd.type = f.value;
        else if (f.number == 4)
          fd.fd = f.value;
      if (r < 0)
        {
          r = criu_img_malformed (&img, err);
          break;
        }
      file = find_file (t, fd.id, fd.type);
      fd.kind = file ? file->kind : CRIU_FD_OTHER;
      fd.desc = xstrdup (file ? file->desc : type_name (fd.type));
      p->fds = xreallocarray (p->fds, p->n_fds + 1, sizeof (*p->fds));
      p->fds[p->n_fds++] = fd;
    }
  criu_img_close (&img);
  return r;
}

int
criu_read_files (int dirfd, struct criu_dump *d, bool fdinfo_per_id, const uint32_t *files_ids,
                 cryo_error_t *err)
{
  struct file_table t = { 0 };
  int ret = read_files_img (dirfd, &t, d, err);

  for (size_t i = 0; ret >= 0 && i < d->n_procs; i++)
    {
      cleanup_free char *name = fdinfo_per_id ? xasprintf ("fdinfo-%u.img", files_ids[i])
                                              : xasprintf ("fdinfo-%u.img", d->procs[i].pid);
      ret = read_fdinfo (dirfd, name, &d->procs[i], &t, err);
    }
  for (size_t i = 0; i < t.n; i++)
    free (t.v[i].desc);
  free (t.v);
  return ret < 0 ? -1 : 0;
}
