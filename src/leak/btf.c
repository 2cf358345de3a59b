/* The kernel's BTF, for the BPF iterators of the leak scan (leak-bpf.c):
 * type ids by name and member offsets, so that the programs read
 * task_struct, file, inode... at the offsets of the running kernel.
 *
 * The BTF comes from bpf(BPF_OBJ_GET_INFO_BY_FD) in one call; reading
 * /sys/kernel/btf/vmlinux takes a read(2) per page, over a thousand for
 * 5 MB, and is only the fallback. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/btf.h>

#include "leak/internal.h"
#include "lib/util.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct lk_btf
{
  char *data;
  const char *types, *strs;
  uint32_t str_len;
  uint32_t *off; /* type id -> offset in types */
  uint32_t n;
};

int
lk_sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static size_t
type_size (const struct btf_type *t)
{
  uint32_t vlen = BTF_INFO_VLEN (t->info);

  switch (BTF_INFO_KIND (t->info))
    {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      return sizeof (*t) + 4;
    case BTF_KIND_ARRAY:
      return sizeof (*t) + sizeof (struct btf_array);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return sizeof (*t) + vlen * sizeof (struct btf_member);
    case BTF_KIND_ENUM:
      return sizeof (*t) + vlen * sizeof (struct btf_enum);
    case BTF_KIND_FUNC_PROTO:
      return sizeof (*t) + vlen * sizeof (struct btf_param);
    case BTF_KIND_DATASEC:
      return sizeof (*t) + vlen * sizeof (struct btf_var_secinfo);
    case 19: /* BTF_KIND_ENUM64: name, value lo, value hi */
      return sizeof (*t) + vlen * 12;
    default:
      return sizeof (*t);
    }
}

static const struct btf_type *
type_of (const struct lk_btf *b, uint32_t id)
{
  return id > 0 && id < b->n ? (const struct btf_type *) (b->types + b->off[id]) : NULL;
}

static const char *
name_of (const struct lk_btf *b, uint32_t off)
{
  return off < b->str_len ? b->strs + off : "";
}

/* The vmlinux BTF object's data, found among the kernel's BTF objects. */
static int
fetch (char **data, size_t *len)
{
  union bpf_attr a;
  uint32_t id = 0;

  for (;;)
    {
      struct bpf_btf_info info;
      char name[16] = "";
      cleanup_close int fd = -1;
      memset (&a, 0, sizeof (a));
      a.start_id = id;
      if (lk_sys_bpf (BPF_BTF_GET_NEXT_ID, &a) < 0)
        return -1;
      id = a.next_id;
      memset (&a, 0, sizeof (a));
      a.btf_id = id;
      if ((fd = lk_sys_bpf (BPF_BTF_GET_FD_BY_ID, &a)) < 0)
        continue;
      /* first the size and the name, then the data */
      for (int round = 0; round < 2; round++)
        {
          memset (&info, 0, sizeof (info));
          info.name = (uintptr_t) name;
          info.name_len = sizeof (name);
          info.btf = (uintptr_t) (round ? *data : NULL);
          info.btf_size = round ? *len : 0;
          memset (&a, 0, sizeof (a));
          a.info.bpf_fd = fd;
          a.info.info_len = sizeof (info);
          a.info.info = (uintptr_t) &info;
          if (lk_sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &a) < 0 || !info.kernel_btf || strcmp (name, "vmlinux") != 0)
            break;
          if (round)
            return 0;
          *len = info.btf_size;
          *data = xmalloc (*len + 1);
          lk_prefault (*data, *len);
        }
      free (*data);
      *data = NULL;
    }
}

void
lk_btf_free (struct lk_btf *b)
{
  if (b == NULL)
    return;
  free (b->data);
  free (b->off);
  free (b);
}

int
lk_btf_open (struct lk_btf **out)
{
  struct lk_btf *b = xzalloc (sizeof (*b));
  const struct btf_header *h;
  size_t len = 0, pos = 0, cap;

  if (fetch (&b->data, &len) < 0 && read_all_file (VMLINUX_BTF, &b->data, &len, NULL) < 0)
    goto fail;
  h = (const struct btf_header *) b->data;
  if (len < sizeof (*h) || h->magic != BTF_MAGIC || (size_t) h->hdr_len + h->type_off + h->type_len > len
      || (size_t) h->hdr_len + h->str_off + h->str_len > len)
    goto fail;
  b->types = b->data + h->hdr_len + h->type_off;
  b->strs = b->data + h->hdr_len + h->str_off;
  b->str_len = h->str_len;
  cap = h->type_len / sizeof (struct btf_type) + 2; /* every type is at least that big */
  b->off = xmalloc (cap * sizeof (uint32_t));
  lk_prefault (b->off, cap * sizeof (uint32_t));
  b->n = 1; /* id 0 is void */
  while (pos + sizeof (struct btf_type) <= h->type_len && b->n < cap)
    {
      b->off[b->n++] = pos;
      pos += type_size ((const struct btf_type *) (b->types + pos));
    }
  *out = b;
  return 0;
fail:
  lk_btf_free (b);
  return -1;
}

void
lk_btf_find (const struct lk_btf *b, const struct lk_btf_name *names, uint32_t *ids, size_t n)
{
  for (uint32_t id = 1; id < b->n; id++)
    {
      const struct btf_type *t = type_of (b, id);
      int kind = BTF_INFO_KIND (t->info);
      const char *name;
      if ((kind != BTF_KIND_STRUCT && kind != BTF_KIND_FUNC) || t->name_off == 0)
        continue;
      name = name_of (b, t->name_off);
      /* Tens of thousands of functions: look at the first letters first. */
      for (size_t i = 0; i < n; i++)
        if (ids[i] == 0 && kind == (names[i].func ? BTF_KIND_FUNC : BTF_KIND_STRUCT) && name[0] == names[i].name[0]
            && strcmp (name, names[i].name) == 0)
          ids[i] = id;
    }
}

/* Anonymous members are looked into: struct file keeps fields in unnamed
 * unions. */
static int
member_depth (const struct lk_btf *b, uint32_t id, const char *name, int depth)
{
  const struct btf_type *t = type_of (b, id);
  const struct btf_member *m;

  if (t == NULL || depth > 8 || (BTF_INFO_KIND (t->info) != BTF_KIND_STRUCT && BTF_INFO_KIND (t->info) != BTF_KIND_UNION))
    return -1;
  m = (const struct btf_member *) (t + 1);
  for (uint32_t i = 0; i < BTF_INFO_VLEN (t->info); i++)
    {
      uint32_t bits = BTF_INFO_KFLAG (t->info) ? BTF_MEMBER_BIT_OFFSET (m[i].offset) : m[i].offset;
      int inner;
      if (bits % 8)
        continue;
      if (m[i].name_off && strcmp (name_of (b, m[i].name_off), name) == 0)
        return bits / 8;
      if (m[i].name_off == 0 && (inner = member_depth (b, m[i].type, name, depth + 1)) >= 0)
        return bits / 8 + inner;
    }
  return -1;
}

int
lk_btf_member (const struct lk_btf *b, uint32_t id, const char *name)
{
  return member_depth (b, id, name, 0);
}

int
lk_btf_size (const struct lk_btf *b, uint32_t id)
{
  const struct btf_type *t = type_of (b, id);

  return t && BTF_INFO_KIND (t->info) == BTF_KIND_STRUCT ? (int) t->size : -1;
}
