/* The mount plan: option table, plans built from config.json, the JSON
 * round trip checkpoint images rely on, and the errors. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "ns/mount-plan.h"
#include "spec/spec.h"
#include "tap.h"
#include "lib/util.h"

static struct spec *
parse (const char *json)
{
  cleanup_error cryo_error_t err = NULL;
  struct spec *spec = NULL;
  if (spec_parse (json, "/bundle", &spec, &err) < 0)
    {
      printf ("# spec_parse: %s\n", err->msg);
      return NULL;
    }
  return spec;
}

#define SPEC_HEAD "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"

static const struct mount_op *
find_op (const struct mount_plan *plan, enum mount_op_kind kind, const char *dest)
{
  size_t i;
  for (i = 0; i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      if (op->kind == kind && strcmp (op->destination, dest) == 0)
        return op;
    }
  return NULL;
}

static size_t
count_ops (const struct mount_plan *plan, enum mount_op_kind kind)
{
  size_t i, n = 0;
  for (i = 0; i < mount_plan_len (plan); i++)
    n += mount_plan_op (plan, i)->kind == kind;
  return n;
}

/* Each option alone on a fresh op, and the field it must change. */
static int
test_option_table (void)
{
  static const struct
  {
    const char *opt;
    unsigned long flags, clear, propagation;
    uint64_t rset, rclr;
  } cases[] = {
    { "ro", MS_RDONLY, 0, 0, 0, 0 },
    { "rw", 0, MS_RDONLY, 0, 0, 0 },
    { "nosuid", MS_NOSUID, 0, 0, 0, 0 },
    { "suid", 0, MS_NOSUID, 0, 0, 0 },
    { "nodev", MS_NODEV, 0, 0, 0, 0 },
    { "dev", 0, MS_NODEV, 0, 0, 0 },
    { "noexec", MS_NOEXEC, 0, 0, 0, 0 },
    { "exec", 0, MS_NOEXEC, 0, 0, 0 },
    { "sync", MS_SYNCHRONOUS, 0, 0, 0, 0 },
    { "async", 0, MS_SYNCHRONOUS, 0, 0, 0 },
    { "dirsync", MS_DIRSYNC, 0, 0, 0, 0 },
    { "remount", MS_REMOUNT, 0, 0, 0, 0 },
    { "mand", MS_MANDLOCK, 0, 0, 0, 0 },
    { "nomand", 0, MS_MANDLOCK, 0, 0, 0 },
    { "atime", 0, MS_NOATIME, 0, 0, 0 },
    { "noatime", MS_NOATIME, 0, 0, 0, 0 },
    { "diratime", 0, MS_NODIRATIME, 0, 0, 0 },
    { "nodiratime", MS_NODIRATIME, 0, 0, 0, 0 },
    { "relatime", MS_RELATIME, 0, 0, 0, 0 },
    { "norelatime", 0, MS_RELATIME, 0, 0, 0 },
    { "strictatime", MS_STRICTATIME, 0, 0, 0, 0 },
    { "nostrictatime", 0, MS_STRICTATIME, 0, 0, 0 },
    { "lazytime", MS_LAZYTIME, 0, 0, 0, 0 },
    { "nolazytime", 0, MS_LAZYTIME, 0, 0, 0 },
    { "nosymfollow", MS_NOSYMFOLLOW, 0, 0, 0, 0 },
    { "bind", MS_BIND, 0, 0, 0, 0 },
    { "rbind", MS_BIND | MS_REC, 0, 0, 0, 0 },
    { "private", 0, 0, MS_PRIVATE, 0, 0 },
    { "rprivate", 0, 0, MS_PRIVATE | MS_REC, 0, 0 },
    { "shared", 0, 0, MS_SHARED, 0, 0 },
    { "rshared", 0, 0, MS_SHARED | MS_REC, 0, 0 },
    { "slave", 0, 0, MS_SLAVE, 0, 0 },
    { "rslave", 0, 0, MS_SLAVE | MS_REC, 0, 0 },
    { "unbindable", 0, 0, MS_UNBINDABLE, 0, 0 },
    { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, 0, 0 },
    { "rro", 0, 0, 0, MOUNT_ATTR_RDONLY, 0 },
    { "rrw", 0, 0, 0, 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", 0, 0, 0, MOUNT_ATTR_NOSUID, 0 },
    { "rsuid", 0, 0, 0, 0, MOUNT_ATTR_NOSUID },
    { "rnodev", 0, 0, 0, MOUNT_ATTR_NODEV, 0 },
    { "rdev", 0, 0, 0, 0, MOUNT_ATTR_NODEV },
    { "rnoexec", 0, 0, 0, MOUNT_ATTR_NOEXEC, 0 },
    { "rexec", 0, 0, 0, 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", 0, 0, 0, MOUNT_ATTR_NODIRATIME, 0 },
    { "rdiratime", 0, 0, 0, 0, MOUNT_ATTR_NODIRATIME },
    { "rnoatime", 0, 0, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "rstrictatime", 0, 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rrelatime", 0, 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnosymfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0 },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct mount_op op = { 0 };
      cleanup_error cryo_error_t err = NULL;
      if (mount_option_parse (cases[i].opt, &op, &err) != 0 || op.flags != cases[i].flags
          || op.clear_flags != cases[i].clear || op.propagation != cases[i].propagation
          || op.rec_attr_set != cases[i].rset || op.rec_attr_clr != cases[i].rclr)
        {
          printf ("# option `%s`: flags %#lx clear %#lx prop %#lx rset %#llx rclr %#llx\n",
                  cases[i].opt, op.flags, op.clear_flags, op.propagation,
                  (unsigned long long) op.rec_attr_set, (unsigned long long) op.rec_attr_clr);
          return 1;
        }
    }
  return 0;
}

static int
test_option_combinations (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct mount_op op = { 0 };
  uint64_t set, clr;

  /* later options win, as with mount(8) */
  CHECK (mount_option_parse ("ro", &op, &err) == 0);
  CHECK (mount_option_parse ("rw", &op, &err) == 0);
  CHECK (!(op.flags & MS_RDONLY) && (op.clear_flags & MS_RDONLY));
  CHECK (mount_option_parse ("idmap", &op, &err) == 0 && op.idmap && !op.idmap_recursive);
  CHECK (mount_option_parse ("ridmap", &op, &err) == 0 && op.idmap && op.idmap_recursive);
  /* unknown options are for the file system */
  CHECK (mount_option_parse ("size=65536k", &op, &err) == 1);
  CHECK (mount_option_parse ("mode=755", &op, &err) == 1);
  /* the top mount's attributes for mount_setattr */
  memset (&op, 0, sizeof (op));
  mount_option_parse ("ro", &op, &err);
  mount_option_parse ("nosuid", &op, &err);
  mount_option_parse ("dev", &op, &err);
  mount_option_parse ("noatime", &op, &err);
  mount_op_attr (&op, &set, &clr);
  CHECK (set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
  CHECK (clr == (MOUNT_ATTR_NODEV | MOUNT_ATTR__ATIME));
  CHECK (mount_propagation_from_name ("rslave") == (long) (MS_SLAVE | MS_REC));
  CHECK (mount_propagation_from_name ("bogus") == -1);
  CHECK_STR (mount_propagation_name (MS_SHARED | MS_REC), "rshared");
  {
    cleanup_strv char **names = mount_option_names ();
    CHECK (strv_contains (names, "rro") && strv_contains (names, "rbind") && strv_contains (names, "idmap"));
    CHECK (strv_contains (names, "tmpcopyup") && strv_len (names) > 50);
  }
  return 0;
}

static int expect_build_error (struct spec *spec, const char *text);

/* tmpcopyup: a flag of the op, not fs data, and only on a new tmpfs. */
static int
test_tmpcopyup (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct mount_op op = { 0 };
  cleanup_spec struct spec *spec = NULL, *bind = NULL, *remount = NULL, *proc = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;

  CHECK (mount_option_parse ("tmpcopyup", &op, &err) == 0 && op.tmpcopyup);
  CHECK (op.flags == 0 && op.clear_flags == 0 && op.data == NULL);
  spec = parse (SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                          "\"options\":[\"nosuid\",\"tmpcopyup\",\"size=1m\"]},"
                          "{\"destination\":\"/b\",\"type\":\"tmpfs\"}]}");
  CHECK (spec != NULL);
  CHECK (mount_plan_build (spec, &plan, &err) == 0);
  CHECK (mount_plan_op (plan, 0)->tmpcopyup && !mount_plan_op (plan, 1)->tmpcopyup);
  CHECK_STR (mount_plan_op (plan, 0)->data, "size=1m");
  CHECK (mount_plan_op (plan, 0)->flags == MS_NOSUID);

  /* a copy into a bind would write into the host's directory */
  bind = parse (SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\",\"source\":\"/x\","
                          "\"options\":[\"rbind\",\"tmpcopyup\"]}]}");
  CHECK (bind != NULL && expect_build_error (bind, "mounts[0].options: tmpcopyup needs a new "
                                                   "tmpfs mount, `/a` is a bind mount") == 0);
  remount = parse (SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                             "\"options\":[\"remount\",\"tmpcopyup\"]}]}");
  CHECK (remount != NULL && expect_build_error (remount, "`/a` is a remount") == 0);
  proc = parse (SPEC_HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\","
                          "\"options\":[\"tmpcopyup\"]}]}");
  CHECK (proc != NULL && expect_build_error (proc, "`/proc` is a proc") == 0);
  return 0;
}

static const char *const full_spec = SPEC_HEAD
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev/\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    " \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    " \"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
    "{\"destination\":\"/data//x/../y\",\"type\":\"none\",\"source\":\"vol\","
    " \"options\":[\"rbind\",\"ro\",\"rprivate\",\"rnosuid\"]},"
    "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/etc/hosts\"},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    " \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"rootfsPropagation\":\"rshared\","
    " \"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":384},"
    "  {\"path\":\"/dev/fuse\",\"type\":\"u\",\"major\":10,\"minor\":229,\"uid\":1000,\"gid\":1001},"
    "  {\"path\":\"/dev/fifo\",\"type\":\"p\"}],"
    " \"maskedPaths\":[\"/proc/kcore\",\"/proc/acpi\"],"
    " \"readonlyPaths\":[\"/proc/sys\"]}}";

static int
test_plan_from_spec (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_spec struct spec *spec = parse (full_spec);
  cleanup_mount_plan struct mount_plan *plan = NULL;
  const struct mount_op *op;

  CHECK (spec != NULL);
  CHECK (mount_plan_build (spec, &plan, &err) == 0);
  CHECK (plan->root_propagation == (MS_SHARED | MS_REC) && plan->setup_dev);
  CHECK (!plan->readonly_root && !plan->cgroup_ns);
  /* the mounts first, in config order, destinations cleaned */
  CHECK_STR (mount_plan_op (plan, 0)->destination, "/proc");
  CHECK_STR (mount_plan_op (plan, 1)->destination, "/dev");
  CHECK_STR (mount_plan_op (plan, 3)->destination, "/data/y");
  op = mount_plan_op (plan, 1);
  CHECK (mount_op_is_tmpfs (op) && !mount_op_is_bind (op));
  CHECK (op->flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STR (op->data, "mode=755,size=65536k");
  CHECK (strv_len (op->options) == 4);
  op = mount_plan_op (plan, 3);
  CHECK (mount_op_is_bind (op) && !mount_op_is_tmpfs (op));
  CHECK_STR (op->type, "bind");
  CHECK_STR (op->source, "/bundle/vol"); /* relative to the bundle */
  CHECK (op->flags == (MS_BIND | MS_REC | MS_RDONLY));
  CHECK (op->propagation == (MS_PRIVATE | MS_REC) && op->rec_attr_set == MOUNT_ATTR_NOSUID);
  CHECK (op->data == NULL);
  op = mount_plan_op (plan, 4); /* type "bind" alone: a recursive bind */
  CHECK (op->flags == (MS_BIND | MS_REC));
  CHECK_STR (mount_plan_op (plan, 5)->type, "cgroup");
  /* devices: the defaults, /dev/null from linux.devices once, with its mode */
  CHECK (count_ops (plan, MOUNT_OP_DEVICE) == 8);
  op = find_op (plan, MOUNT_OP_DEVICE, "/dev/null");
  CHECK (op && op->mode == 0600 && op->major == 1 && op->minor == 3);
  op = find_op (plan, MOUNT_OP_DEVICE, "/dev/fuse");
  CHECK (op && op->dev_type == 'c' && op->major == 10 && op->minor == 229 && op->mode == 0666);
  CHECK (op->uid == 1000 && op->gid == 1001);
  op = find_op (plan, MOUNT_OP_DEVICE, "/dev/fifo");
  CHECK (op && op->dev_type == 'p');
  op = find_op (plan, MOUNT_OP_DEVICE, "/dev/tty");
  CHECK (op && op->major == 5 && op->minor == 0 && op->mode == 0666);
  op = find_op (plan, MOUNT_OP_SYMLINK, "/dev/ptmx");
  CHECK (op && strcmp (op->target, "pts/ptmx") == 0);
  op = find_op (plan, MOUNT_OP_SYMLINK, "/dev/stderr");
  CHECK (op && strcmp (op->target, "/proc/self/fd/2") == 0);
  CHECK (find_op (plan, MOUNT_OP_SYMLINK, "/dev/fd"));
  CHECK (find_op (plan, MOUNT_OP_MASK, "/proc/kcore") && find_op (plan, MOUNT_OP_MASK, "/proc/acpi"));
  CHECK (find_op (plan, MOUNT_OP_READONLY, "/proc/sys"));
  CHECK (mount_plan_op (plan, mount_plan_len (plan)) == NULL);
  {
    /* a cgroup namespace, new or joined, decides how cgroups are mounted */
    cleanup_spec struct spec *ns = parse (SPEC_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
                                          "{\"type\":\"cgroup\",\"path\":\"/proc/1/ns/cgroup\"}]}}");
    cleanup_mount_plan struct mount_plan *p2 = NULL;
    CHECK (ns && mount_plan_build (ns, &p2, &err) == 0 && p2->cgroup_ns);
  }
  return 0;
}

/* /dev bound from the host: its nodes are the host's, nothing to create. */
static int
test_dev_bind (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;
  cleanup_spec struct spec *spec = parse (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\",\"readonly\":true},"
      "\"mounts\":[{\"destination\":\"/dev\",\"source\":\"/dev\",\"options\":[\"rbind\"]}]}");
  CHECK (spec != NULL);
  CHECK (mount_plan_build (spec, &plan, &err) == 0);
  CHECK (!plan->setup_dev && plan->readonly_root && plan->root_propagation == 0);
  CHECK (count_ops (plan, MOUNT_OP_DEVICE) == 0 && count_ops (plan, MOUNT_OP_SYMLINK) == 0);
  CHECK (mount_plan_len (plan) == 1);
  return 0;
}

static char *
plan_json (const struct mount_plan *plan)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_error cryo_error_t err = NULL;
  char *out = NULL;
  if (mount_plan_to_json (plan, gen, &err) < 0 || json_gen_finish (gen, &out, NULL, &err) < 0)
    return NULL;
  return out;
}

static int
test_json_round_trip (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_spec struct spec *spec = parse (full_spec);
  cleanup_mount_plan struct mount_plan *plan = NULL, *back = NULL;
  cleanup_json json_value_t *tree = NULL;
  cleanup_free char *a = NULL, *b = NULL;
  struct mount_op *op;
  size_t i;

  CHECK (spec && mount_plan_build (spec, &plan, &err) == 0);
  /* the corners: idmap with mappings, the largest values each field holds */
  op = mount_plan_append (plan, MOUNT_OP_MOUNT, "/idmapped");
  op->type = xstrdup ("bind");
  op->source = xstrdup ("/src with space/\"quoted\"");
  op->options = strv_dup ((char *const[]){ "rbind", "ridmap", NULL });
  op->flags = MS_BIND | MS_REC;
  op->rec_attr_set = UINT64_MAX;
  op->idmap = op->idmap_recursive = true;
  op->uid_mappings = xzalloc (sizeof (struct spec_id_mapping));
  op->uid_mappings[0] = (struct spec_id_mapping){ 0, 100000, 65536 };
  op->n_uid_mappings = 1;
  op->gid_mappings = xzalloc (2 * sizeof (struct spec_id_mapping));
  op->gid_mappings[1] = (struct spec_id_mapping){ 1, UINT32_MAX, 1 };
  op->n_gid_mappings = 2;

  op = mount_plan_append (plan, MOUNT_OP_MOUNT, "/run");
  op->type = xstrdup ("tmpfs");
  op->options = strv_dup ((char *const[]){ "tmpcopyup", NULL });
  op->tmpcopyup = true;
  plan->cgroup_ns = true;

  a = plan_json (plan);
  CHECK (a != NULL);
  CHECK (json_parse (a, &tree, &err) == 0);
  CHECK (mount_plan_from_json (tree, &back, &err) == 0);
  b = plan_json (back);
  CHECK_STR (b, a);
  CHECK (mount_plan_len (back) == mount_plan_len (plan));
  for (i = 0; i < mount_plan_len (plan); i++)
    {
      const struct mount_op *x = mount_plan_op (plan, i), *y = mount_plan_op (back, i);
      CHECK (x->kind == y->kind && strcmp (x->destination, y->destination) == 0);
      CHECK (x->flags == y->flags && x->clear_flags == y->clear_flags);
      CHECK (x->propagation == y->propagation && x->rec_attr_set == y->rec_attr_set);
      CHECK (x->rec_attr_clr == y->rec_attr_clr && x->mode == y->mode && x->uid == y->uid);
      CHECK (x->dev_type == y->dev_type && x->major == y->major && x->minor == y->minor);
      CHECK ((x->data == NULL) == (y->data == NULL) && (!x->data || !strcmp (x->data, y->data)));
      CHECK ((x->target == NULL) == (y->target == NULL));
      CHECK (x->n_gid_mappings == y->n_gid_mappings && x->tmpcopyup == y->tmpcopyup);
    }
  CHECK (back->ops[back->n_ops - 1].tmpcopyup && !back->ops[0].tmpcopyup && back->cgroup_ns);
  op = &back->ops[back->n_ops - 2];
  CHECK_STR (op->source, "/src with space/\"quoted\"");
  CHECK (op->gid_mappings[1].host_id == UINT32_MAX && op->uid_mappings[0].size == 65536);
  CHECK (back->root_propagation == plan->root_propagation && back->setup_dev);
  return 0;
}

static int
expect_build_error (struct spec *spec, const char *text)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;
  CHECK (mount_plan_build (spec, &plan, &err) < 0 && plan == NULL);
  CHECK_ERR_CONTAINS (err, text);
  return 0;
}

/* The spec parser refuses most of these too; the plan checks them again
 * because restore and tests fill specs by hand. */
static int
test_build_errors (void)
{
  cleanup_spec struct spec *spec = parse (
      SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\"},"
                "{\"destination\":\"/b\",\"source\":\"/x\",\"options\":[\"bind\"]}],"
                "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1}],"
                "\"maskedPaths\":[\"/m\"]}}");
  char *saved;

  CHECK (spec != NULL);
  saved = spec->mounts[0].destination;
  spec->mounts[0].destination = (char *) "relative/path";
  CHECK (expect_build_error (spec, "mounts[0].destination: `relative/path` is not an absolute") == 0);
  spec->mounts[0].destination = saved;

  spec->linux_->rootfs_propagation = xstrdup ("sideways");
  CHECK (expect_build_error (spec, "linux.rootfsPropagation: unknown value `sideways`") == 0);
  free (spec->linux_->rootfs_propagation);
  spec->linux_->rootfs_propagation = NULL;

  saved = spec->mounts[1].source;
  spec->mounts[1].source = NULL;
  CHECK (expect_build_error (spec, "mounts[1].source: a bind mount needs a source") == 0);
  spec->mounts[1].source = saved;

  saved = spec->mounts[0].type;
  spec->mounts[0].type = NULL;
  CHECK (expect_build_error (spec, "mounts[0].type: required") == 0);
  spec->mounts[0].type = saved;

  spec->linux_->devices[0].type = 'x';
  CHECK (expect_build_error (spec, "linux.devices[0].type") == 0);
  spec->linux_->devices[0].type = 'c';
  spec->linux_->devices[0].major = -1;
  CHECK (expect_build_error (spec, "linux.devices[0]: major -1") == 0);
  spec->linux_->devices[0].major = 1;

  saved = spec->linux_->masked_paths[0];
  spec->linux_->masked_paths[0] = (char *) "m";
  CHECK (expect_build_error (spec, "linux.maskedPaths[0]") == 0);
  spec->linux_->masked_paths[0] = saved;

  /* and the spec is fine again */
  {
    cleanup_error cryo_error_t err = NULL;
    cleanup_mount_plan struct mount_plan *plan = NULL;
    CHECK (mount_plan_build (spec, &plan, &err) == 0);
  }
  return 0;
}

static int
expect_json_error (const char *json, const char *text)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_json json_value_t *tree = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;
  CHECK (json_parse (json, &tree, &err) == 0);
  CHECK (mount_plan_from_json (tree, &plan, &err) < 0 && plan == NULL);
  CHECK_ERR_CONTAINS (err, text);
  return 0;
}

#define PLAN_HEAD "{\"version\":1,\"rootPropagation\":0,\"readonlyRoot\":false,\"setupDev\":true,"

static int
test_json_errors (void)
{
  CHECK (expect_json_error ("[]", "expected an object") == 0);
  CHECK (expect_json_error ("{\"version\":2}", "version 2 is not supported") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":{}}", "plan.ops") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"teleport\",\"destination\":\"/x\"}]}",
                            "ops[0].kind: unknown kind `teleport`") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"mask\",\"destination\":\"x\"}]}",
                            "ops[0].destination") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"symlink\",\"destination\":\"/x\"}]}",
                            "ops[0].target") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"device\",\"destination\":\"/x\","
                                      "\"devType\":\"c\",\"major\":1,\"minor\":3,\"mode\":-1,"
                                      "\"uid\":0,\"gid\":0}]}",
                            "ops[0].mode") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"device\",\"destination\":\"/x\","
                                      "\"devType\":\"z\",\"major\":1,\"minor\":3,\"mode\":438,"
                                      "\"uid\":0,\"gid\":0}]}",
                            "`z` is not c, b or p") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"mount\",\"destination\":\"/x\","
                                      "\"type\":\"tmpfs\",\"options\":[],\"flags\":\"ro\"}]}",
                            "ops[0].flags") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"device\",\"destination\":\"/x\","
                                      "\"devType\":\"c\",\"major\":-1,\"minor\":3,\"mode\":438,"
                                      "\"uid\":0,\"gid\":0}]}",
                            "major -1 minor 3 out of range") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"mount\",\"destination\":\"/x\","
                                      "\"type\":\"bind\",\"source\":null,\"options\":[],\"flags\":4096,"
                                      "\"clearFlags\":0,\"propagation\":0,\"recAttrSet\":0,\"recAttrClr\":0,"
                                      "\"data\":null,\"idmap\":false,\"idmapRecursive\":false,"
                                      "\"uidMappings\":[],\"gidMappings\":[]}]}",
                            "ops[0].source: a bind mount needs an absolute source") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"ops\":[{\"kind\":\"mount\",\"destination\":\"/x\","
                                      "\"type\":\"bind\",\"source\":\"/y\",\"options\":[],\"flags\":4096,"
                                      "\"clearFlags\":0,\"propagation\":0,\"recAttrSet\":0,\"recAttrClr\":0,"
                                      "\"data\":null,\"idmap\":false,\"idmapRecursive\":false,"
                                      "\"uidMappings\":[],\"gidMappings\":[],\"tmpcopyup\":true}]}",
                            "ops[0].tmpcopyup: only a new tmpfs") == 0);
  CHECK (expect_json_error (PLAN_HEAD "\"cgroupNs\":1,\"ops\":[]}", "plan.cgroupNs: expected a boolean") == 0);
  return 0;
}

/* A plan written before tmpcopyup and cgroupNs existed (images of older
 * cryo versions) reads as it meant then. */
static int
test_json_version1_keys (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_json json_value_t *tree = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;
  static const char old[] =
      PLAN_HEAD "\"ops\":[{\"kind\":\"mount\",\"destination\":\"/tmp\",\"type\":\"tmpfs\","
                "\"source\":null,\"options\":[],\"flags\":0,\"clearFlags\":0,\"propagation\":0,"
                "\"recAttrSet\":0,\"recAttrClr\":0,\"data\":null,\"idmap\":false,"
                "\"idmapRecursive\":false,\"uidMappings\":[],\"gidMappings\":[]}]}";

  CHECK (json_parse (old, &tree, &err) == 0);
  CHECK (mount_plan_from_json (tree, &plan, &err) == 0);
  CHECK (mount_plan_len (plan) == 1 && !mount_plan_op (plan, 0)->tmpcopyup);
  /* before cgroupNs, a cgroup mount always mounted cgroup file systems */
  CHECK (plan->cgroup_ns);
  return 0;
}

static int
test_path_clean (void)
{
  static const char *const cases[][2] = {
    { "/", "/" },           { "//a//b/", "/a/b" }, { "/a/./b", "/a/b" },
    { "/a/../../b", "/b" }, { "/..", "/" },        { "/a/b/..", "/a" },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *c = mount_path_clean (cases[i][0]);
      CHECK_STR (c, cases[i][1]);
    }
  return 0;
}

int
main (void)
{
  TAP_PLAN (10);
  RUN_TEST (test_option_table);
  RUN_TEST (test_option_combinations);
  RUN_TEST (test_tmpcopyup);
  RUN_TEST (test_plan_from_spec);
  RUN_TEST (test_dev_bind);
  RUN_TEST (test_json_round_trip);
  RUN_TEST (test_build_errors);
  RUN_TEST (test_json_errors);
  RUN_TEST (test_json_version1_keys);
  RUN_TEST (test_path_clean);
  return tap_exit ();
}
