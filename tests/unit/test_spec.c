/* config.json parsing and validation: valid documents, one test per
 * validation rule with its exact message, hostile input, spec_load on real
 * bundle directories. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec.h"
#include "tap.h"
#include "lib/util.h"

/* A small valid config; the three strings are spliced into `process`,
 * `linux` and, last, the top level.  Keys given again win (last duplicate
 * wins), which lets a case override a default, even all of `linux`. */
static char *
cfg (const char *top, const char *process, const char *linux_)
{
  return xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"%s%s},"
                    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"pid\"}]%s%s}"
                    "%s%s}",
                    *process ? "," : "", process, *linux_ ? "," : "", linux_, *top ? "," : "", top);
}

struct bad_case
{
  const char *top, *process, *linux_;
  const char *message; /* the whole error */
};

static const struct bad_case bad_cases[] = {
  /* process */
  { "", "\"args\":null", "", "config.json: process.args: must be a non-empty array of strings" },
  { "", "\"args\":[]", "", "config.json: process.args: must be a non-empty array of strings" },
  { "", "\"args\":\"sh\"", "", "config.json: process.args: must be a non-empty array of strings, found string" },
  { "", "\"args\":[\"sh\",1]", "", "config.json: process.args[1]: expected a string, found number" },
  { "", "\"cwd\":\"tmp\"", "", "config.json: process.cwd: `tmp` must be an absolute path" },
  { "", "\"cwd\":null", "", "config.json: process.cwd: missing (an absolute path is required)" },
  { "", "\"cwd\":7", "", "config.json: process.cwd: expected a string, found number" },
  { "", "\"terminal\":\"yes\"", "", "config.json: process.terminal: expected a boolean, found string" },
  { "", "\"env\":[\"NOEQUALS\"]", "", "config.json: process.env[0]: `NOEQUALS` is not of the form KEY=value" },
  { "", "\"env\":[\"=x\"]", "", "config.json: process.env[0]: `=x` is not of the form KEY=value" },
  { "", "\"user\":{\"uid\":-1}", "", "config.json: process.user.uid: must not be negative, found -1" },
  { "", "\"user\":{\"uid\":4294967296}", "",
    "config.json: process.user.uid: 4294967296 is out of range (0..4294967295)" },
  { "", "\"user\":{\"gid\":1.5}", "",
    "config.json: process.user.gid: expected a non-negative integer, found a fractional or out-of-range number" },
  { "", "\"user\":{\"uid\":999999999999999999999999}", "",
    "config.json: process.user.uid: expected a non-negative integer, found a fractional or out-of-range number" },
  { "", "\"user\":{\"uid\":\"0\"}", "", "config.json: process.user.uid: expected a non-negative integer, found string" },
  { "", "\"user\":{\"umask\":8192}", "", "config.json: process.user.umask: 8192 is not a file mode (at most 0o7777 = 4095)" },
  { "", "\"user\":{\"additionalGids\":[\"wheel\"]}", "",
    "config.json: process.user.additionalGids[0]: expected a group id (0..4294967295), found string" },
  { "", "\"user\":[]", "", "config.json: process.user: expected an object, found array" },
  { "", "\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]", "",
    "config.json: process.rlimits[0].type: unknown rlimit `RLIMIT_FOO` (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)" },
  { "", "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]",
    "", "config.json: process.rlimits[1].type: duplicate rlimit `RLIMIT_NOFILE` (also at process.rlimits[0])" },
  { "", "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2048,\"hard\":1024}]", "",
    "config.json: process.rlimits[0]: RLIMIT_NOFILE: soft limit 2048 is above the hard limit 1024" },
  { "", "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":0}]", "",
    "config.json: process.rlimits[0].hard: missing (an integer is required)" },
  { "", "\"rlimits\":{}", "", "config.json: process.rlimits: expected an array, found object" },
  { "", "\"oomScoreAdj\":1001", "", "config.json: process.oomScoreAdj: 1001 is out of range (-1000..1000)" },
  { "", "\"oomScoreAdj\":-1001", "", "config.json: process.oomScoreAdj: -1001 is out of range (-1000..1000)" },
  { "", "\"capabilities\":{\"bounding\":\"CAP_KILL\"}", "",
    "config.json: process.capabilities.bounding: expected an array of strings, found string" },
  { "", "\"consoleSize\":{\"height\":-3}", "", "config.json: process.consoleSize.height: must not be negative, found -3" },
  /* top level */
  { "\"ociVersion\":null", "", "", "config.json: ociVersion: missing (a string is required)" },
  { "\"ociVersion\":1.2", "", "", "config.json: ociVersion: expected a string, found number" },
  { "\"root\":null", "", "", "config.json: root: missing (an object with `path` is required)" },
  { "\"root\":{\"readonly\":true}", "", "", "config.json: root.path: missing (a string is required)" },
  { "\"root\":{\"path\":\"rootfs\",\"readonly\":\"no\"}", "", "", "config.json: root.readonly: expected a boolean, found string" },
  { "\"process\":\"sh\"", "", "", "config.json: process: expected an object, found string" },
  { "\"linux\":[]", "", "", "config.json: linux: expected an object, found array" },
  { "\"hostname\":\"h\",\"linux\":{}", "", "",
    "config.json: hostname: setting it needs a private uts namespace (add {\"type\": \"uts\"} to linux.namespaces)" },
  { "\"domainname\":\"d\",\"linux\":{}", "", "",
    "config.json: domainname: setting it needs a private uts namespace (add {\"type\": \"uts\"} to linux.namespaces)" },
  { "\"hostname\":false", "", "", "config.json: hostname: expected a string, found boolean" },
  { "\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\"}]", "", "",
    "config.json: mounts[0].destination: `tmp` must be an absolute path" },
  { "\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]", "", "",
    "config.json: mounts[1].destination: missing (a string is required)" },
  { "\"mounts\":[{\"destination\":\"/a\",\"options\":\"ro\"}]", "", "",
    "config.json: mounts[0].options: expected an array of strings, found string" },
  { "\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":0}]}]", "", "",
    "config.json: mounts[0].uidMappings[0].size: missing (an integer is required)" },
  { "\"mounts\":{}", "", "", "config.json: mounts: expected an array, found object" },
  { "\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}", "", "",
    "config.json: hooks.prestart[0].path: `hook` must be an absolute path" },
  { "\"hooks\":{\"createRuntime\":[{\"path\":\"/h\",\"timeout\":0}]}", "", "",
    "config.json: hooks.createRuntime[0].timeout: must be greater than 0 seconds, found 0" },
  { "\"hooks\":{\"poststop\":[{\"path\":\"/h\"},{\"path\":\"/h\",\"timeout\":-5}]}", "", "",
    "config.json: hooks.poststop[1].timeout: must be greater than 0 seconds, found -5" },
  { "\"hooks\":{\"poststart\":{}}", "", "", "config.json: hooks.poststart: expected an array, found object" },
  { "\"hooks\":{\"startContainer\":[{\"path\":\"/h\",\"args\":[1]}]}", "", "",
    "config.json: hooks.startContainer[0].args[0]: expected a string, found number" },
  { "\"annotations\":{\"a\":\"1\",\"b\":2}", "", "", "config.json: annotations[\"b\"]: expected a string, found number" },
  { "\"annotations\":[]", "", "", "config.json: annotations: expected an object, found array" },
  /* linux */
  { "", "", "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"foo\"}]",
    "config.json: linux.namespaces[2].type: unknown namespace `foo`" },
  { "", "", "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"mount\"}]",
    "config.json: linux.namespaces[2].type: duplicate namespace `mount` (also at linux.namespaces[0])" },
  { "", "", "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"netns/x\"}]",
    "config.json: linux.namespaces[1].path: `netns/x` must be an absolute path" },
  { "", "", "\"namespaces\":[{\"path\":\"/x\"}]", "config.json: linux.namespaces[0].type: missing (a string is required)" },
  { "", "", "\"namespaces\":[\"pid\"]", "config.json: linux.namespaces[0]: expected an object, found string" },
  { "", "", "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]",
    "config.json: linux.uidMappings: id mappings need a user namespace (add {\"type\": \"user\"} to linux.namespaces)" },
  { "", "", "\"namespaces\":[{\"type\":\"user\"}],\"gidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]",
    "config.json: linux.uidMappings: required with a new user namespace" },
  { "", "", "\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]",
    "config.json: linux.gidMappings: required with a new user namespace" },
  { "", "", "\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":0}]",
    "config.json: linux.uidMappings[0].size: must be greater than 0" },
  { "", "", "\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":0,\"size\":2}]",
    "config.json: linux.uidMappings[0].size: the range goes past id 4294967295" },
  { "", "", "\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":3}]",
    "config.json: linux.devices[0].type: unknown device type `x` (expected c, b, u or p)" },
  { "", "", "\"devices\":[{\"path\":\"dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
    "config.json: linux.devices[0].path: `dev/null` must be an absolute path" },
  { "", "", "\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"minor\":3}]",
    "config.json: linux.devices[0].major: missing (required for a character device)" },
  { "", "", "\"devices\":[{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8}]",
    "config.json: linux.devices[0].minor: missing (required for a block device)" },
  { "", "", "\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":65535}]",
    "config.json: linux.devices[0].fileMode: 65535 is not a file mode for a `c` device" },
  { "", "", "\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":25014}]",
    "config.json: linux.devices[0].fileMode: 25014 is not a file mode for a `c` device" },
  { "", "", "\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]",
    "config.json: linux.maskedPaths[1]: `proc/keys` must be an absolute path" },
  { "", "", "\"readonlyPaths\":[\"sys\"]", "config.json: linux.readonlyPaths[0]: `sys` must be an absolute path" },
  { "", "", "\"namespaces\":[],\"maskedPaths\":[\"/proc/kcore\"]",
    "config.json: linux.maskedPaths: needs a private mount namespace" },
  { "", "", "\"sysctl\":{\"net.ipv4.ip_forward\":1}",
    "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, found number" },
  { "", "", "\"rootfsPropagation\":\"sideways\"",
    "config.json: linux.rootfsPropagation: unknown propagation `sideways` (expected private, rslave, ...)" },
  { "", "", "\"personality\":{\"domain\":\"BSD\"}",
    "config.json: linux.personality.domain: unknown domain `BSD` (expected LINUX or LINUX32)" },
  { "", "", "\"timeOffsets\":{\"monotonic\":{\"secs\":10}}", "config.json: linux.timeOffsets: needs a new time namespace" },
  { "", "", "\"namespaces\":[{\"type\":\"time\"}],\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}",
    "config.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range (0..999999999)" },
  { "", "", "\"seccomp\":[]", "config.json: linux.seccomp: expected an object, found array" },
  { "", "", "\"cgroupsPath\":{}", "config.json: linux.cgroupsPath: expected a string, found object" },
  /* linux.resources */
  { "", "", "\"resources\":{\"memory\":{\"limit\":\"1g\"}}",
    "config.json: linux.resources.memory.limit: expected an integer, found string" },
  { "", "", "\"resources\":{\"memory\":{\"swappiness\":101}}",
    "config.json: linux.resources.memory.swappiness: 101 is out of range (0..100)" },
  { "", "", "\"resources\":{\"pids\":{\"limit\":9223372036854775808}}",
    "config.json: linux.resources.pids.limit: 9223372036854775808 is out of range (at most 9223372036854775807)" },
  { "", "", "\"resources\":{\"cpu\":{\"shares\":-2}}",
    "config.json: linux.resources.cpu.shares: must not be negative, found -2" },
  { "", "", "\"resources\":{\"blockIO\":{\"weight\":70000}}",
    "config.json: linux.resources.blockIO.weight: 70000 is out of range (0..65535)" },
  { "", "", "\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}",
    "config.json: linux.resources.devices[0].allow: missing (a boolean is required)" },
  { "", "", "\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"z\"}]}",
    "config.json: linux.resources.devices[0].type: unknown device type `z` (expected a, c or b)" },
  { "", "", "\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"xa\"}]}",
    "config.json: linux.resources.devices[0].access: `xa` names none of `r`, `w`, `m`" },
  { "", "", "\"resources\":{\"devices\":[{\"allow\":true,\"major\":-7}]}",
    "config.json: linux.resources.devices[0].major: -7 is not a device number (-1 means any)" },
  { "", "", "\"resources\":{\"unified\":{\"memory.max\":1024}}",
    "config.json: linux.resources.unified[\"memory.max\"]: expected a string, found number" },
  { "", "", "\"resources\":7", "config.json: linux.resources: expected an object, found number" },
};

static int
test_validation_messages (void)
{
  int failures = 0;

  for (size_t i = 0; i < ARRAY_SIZE (bad_cases); i++)
    {
      const struct bad_case *c = &bad_cases[i];
      cleanup_free char *json = cfg (c->top, c->process, c->linux_);
      cleanup_spec struct spec *spec = NULL;
      cleanup_error cryo_error_t err = NULL;

      if (spec_parse (json, "/b", &spec, &err) == 0)
        {
          printf ("# case %zu accepted: %s\n", i, json);
          failures++;
        }
      else if (strcmp (err->msg, c->message) != 0)
        {
          printf ("# case %zu:\n#   got      %s\n#   expected %s\n", i, err->msg, c->message);
          failures++;
        }
    }
  return failures;
}

static int
test_default_config (void)
{
  cleanup_free char *json = spec_default_json (false);
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct spec_resources *r;

  CHECK (spec_parse (json, "/bundle", &spec, &err) == 0);
  CHECK_STR (spec->oci_version, "1.2.0");
  CHECK_STR (spec->rootfs, "/bundle/rootfs");
  CHECK_STR (spec->bundle, "/bundle");
  CHECK (spec->root_readonly);
  CHECK (spec->process->terminal);
  CHECK_STR (spec->process->args[0], "sh");
  CHECK (spec->process->args[1] == NULL);
  CHECK_STR (spec->process->cwd, "/");
  CHECK (spec->process->no_new_privileges);
  CHECK (spec->process->n_rlimits == 1);
  CHECK (spec->process->rlimits[0].resource == RLIMIT_NOFILE);
  CHECK (spec->process->rlimits[0].soft == 1024 && spec->process->rlimits[0].hard == 1024);
  CHECK (strv_len (spec->process->capabilities->sets[CAP_SET_BOUNDING]) == 3);
  CHECK (spec->process->capabilities->sets[CAP_SET_INHERITABLE] == NULL);
  CHECK (spec->n_mounts == 7);
  CHECK_STR (spec->mounts[2].destination, "/dev/pts");
  CHECK (strv_contains (spec->mounts[2].options, "gid=5"));
  CHECK (spec->mounts[0].options != NULL && spec->mounts[0].options[0] == NULL);
  /* runc spec's five: no cgroup namespace (runc's tests add one). */
  CHECK (spec->linux_->n_namespaces == 5);
  for (int ns = NS_MNT; ns <= NS_UTS; ns++)
    CHECK (spec_ns_is_new (spec, ns));
  CHECK (!spec_has_ns (spec, NS_USER) && !spec_has_ns (spec, NS_CGROUP) && !spec_has_ns (spec, NS_TIME));
  CHECK (strv_contains (spec->linux_->masked_paths, "/proc/kcore"));
  CHECK (strv_contains (spec->linux_->readonly_paths, "/proc/sys"));
  r = &spec->linux_->resources;
  CHECK (r->present && r->n_devices == 1 && !r->devices[0].allow && r->devices[0].type == 'a');
  CHECK_STR (r->devices[0].access, "rwm");
  CHECK (!r->devices[0].major.set && !r->devices[0].minor.set);
  return 0;
}

static int
test_default_rootless (void)
{
  cleanup_free char *json = spec_default_json (true);
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (spec_parse (json, "/bundle", &spec, &err) == 0);
  CHECK (spec_ns_is_new (spec, NS_USER));
  CHECK (!spec_has_ns (spec, NS_NET));
  CHECK (spec->linux_->n_uid_mappings == 1 && spec->linux_->uid_mappings[0].host_id == geteuid ());
  CHECK (spec->linux_->n_gid_mappings == 1 && spec->linux_->gid_mappings[0].host_id == getegid ());
  CHECK (!spec->linux_->resources.present);
  CHECK (!strv_contains (spec->mounts[2].options, "gid=5"));
  CHECK_STR (spec->mounts[5].type, "none");
  CHECK (strv_contains (spec->mounts[5].options, "rbind"));
  return 0;
}

static const char full_config[] =
  "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"/var/lib/c/rootfs/\",\"readonly\":false},"
  "\"hostname\":\"box\",\"domainname\":\"example.org\","
  "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\",\"options\":[\"rbind\",\"ro\"],"
  "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
  "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}],"
  "\"process\":{\"terminal\":false,\"consoleSize\":{\"height\":24,\"width\":80},"
  "\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,4294967295],\"username\":\"u\"},"
  "\"args\":[\"/bin/app\",\"--flag\"],\"env\":[\"A=1\",\"EMPTY=\"],\"cwd\":\"/work\","
  "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[],\"inheritable\":[\"CAP_CHOWN\"],"
  "\"permitted\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]},"
  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":512,\"hard\":1024},"
  "{\"type\":\"RLIMIT_CORE\",\"soft\":18446744073709551615,\"hard\":18446744073709551615}],"
  "\"noNewPrivileges\":true,\"apparmorProfile\":\"p\",\"selinuxLabel\":\"l\",\"oomScoreAdj\":-1000},"
  "\"hooks\":{\"prestart\":[{\"path\":\"/bin/a\",\"args\":[\"a\",\"x\"],\"env\":[\"K=v\"],\"timeout\":5}],"
  "\"poststop\":[{\"path\":\"/bin/b\"},{\"path\":\"/bin/c\"}]},"
  "\"annotations\":{\"org.example\":\"yes\",\"dup\":\"first\",\"dup\":\"second\"},"
  "\"linux\":{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
  "{\"type\":\"network\",\"path\":\"/run/netns/n\"},{\"type\":\"time\"},{\"type\":\"ipc\",\"path\":\"\"}],"
  "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
  "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536},{\"containerID\":65536,\"hostID\":5,\"size\":1}],"
  "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
  "\"resources\":{\"memory\":{\"limit\":-1,\"reservation\":1048576,\"swap\":2097152,\"swappiness\":-1,"
  "\"disableOOMKiller\":true},\"cpu\":{\"shares\":1024,\"quota\":-1,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
  "\"pids\":{\"limit\":100},\"blockIO\":{\"weight\":500},"
  "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":-1,\"access\":\"rw\"}],"
  "\"unified\":{\"memory.high\":\"max\"},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]},"
  "\"cgroupsPath\":\"/cryo/x\",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"},\"rootfsPropagation\":\"rslave\","
  "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],\"mountLabel\":\"m\","
  "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438,\"uid\":0,\"gid\":0},"
  "{\"path\":\"/dev/fifo\",\"type\":\"p\"},{\"path\":\"/dev/u\",\"type\":\"u\",\"major\":1,\"minor\":2,\"fileMode\":8630}],"
  "\"personality\":{\"domain\":\"LINUX32\",\"flags\":[]},"
  "\"timeOffsets\":{\"monotonic\":{\"secs\":-5,\"nanosecs\":7},\"boottime\":{\"secs\":100}},"
  "\"intelRdt\":{\"closID\":\"x\"}},"
  "\"futureField\":{\"anything\":[1,2,3]}}";

static int
check_full_process (const struct spec_process *p)
{
  CHECK (!p->terminal && p->console_height == 24 && p->console_width == 80);
  CHECK (p->user.uid == 1000 && p->user.gid == 100 && p->user.umask.set && p->user.umask.value == 18);
  CHECK (p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 4294967295u);
  CHECK_STR (p->args[1], "--flag");
  CHECK_STR (p->env[1], "EMPTY=");
  CHECK_STR (p->cwd, "/work");
  CHECK (p->capabilities->sets[CAP_SET_EFFECTIVE] && p->capabilities->sets[CAP_SET_EFFECTIVE][0] == NULL);
  CHECK_STR (p->capabilities->sets[CAP_SET_INHERITABLE][0], "CAP_CHOWN");
  CHECK (p->n_rlimits == 2 && p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX);
  CHECK_STR (p->rlimits[0].type, "RLIMIT_NOFILE");
  CHECK (p->no_new_privileges && p->oom_score_adj.set && p->oom_score_adj.value == -1000);
  CHECK_STR (p->apparmor_profile, "p");
  CHECK_STR (p->selinux_label, "l");
  return 0;
}

static int
check_full_linux (const struct spec *spec)
{
  const struct spec_linux *l = spec->linux_;
  const struct spec_resources *r = &l->resources;

  CHECK (spec_ns_is_new (spec, NS_USER) && spec_ns_is_new (spec, NS_IPC));
  CHECK (spec_has_ns (spec, NS_NET) && !spec_ns_is_new (spec, NS_NET));
  CHECK_STR (spec_ns_path (spec, NS_NET), "/run/netns/n");
  CHECK (!spec_has_ns (spec, NS_PID) && spec_ns_path (spec, NS_PID) == NULL);
  CHECK (l->n_gid_mappings == 2 && l->gid_mappings[1].container_id == 65536 && l->gid_mappings[1].host_id == 5);
  CHECK_STR (l->sysctl_keys[0], "net.ipv4.ip_forward");
  CHECK_STR (l->sysctl_values[0], "1");
  CHECK (r->memory.limit.set && r->memory.limit.value == -1 && !r->memory.swappiness.set);
  CHECK (r->memory.disable_oom_killer && !r->memory.kernel.set);
  CHECK (r->cpu.shares.value == 1024 && r->cpu.quota.value == -1 && r->cpu.period.value == 100000);
  CHECK_STR (r->cpu.cpus, "0-1");
  CHECK (r->pids.limit.value == 100 && r->block_io.weight.set && r->block_io.weight.value == 500);
  CHECK (r->n_devices == 2 && r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major.value == 1);
  CHECK (!r->devices[1].minor.set);
  CHECK_STR (json_string (json_get (r->unified, "memory.high")), "max");
  CHECK_STR (l->cgroups_path, "/cryo/x");
  CHECK_STR (json_string (json_get (l->seccomp, "defaultAction")), "SCMP_ACT_ALLOW");
  CHECK_STR (l->rootfs_propagation, "rslave");
  CHECK_STR (l->mount_label, "m");
  CHECK (l->n_devices == 3 && l->devices[0].major == 10 && l->devices[0].minor == 229);
  CHECK (l->devices[0].file_mode.value == 0666 && l->devices[0].uid.set && !l->devices[1].uid.set);
  CHECK (l->devices[1].type == 'p' && l->devices[2].type == 'c');
  CHECK (l->devices[2].file_mode.value == 0666); /* 0o20666: podman's S_IFCHR bits stripped */
  CHECK (l->personality.set);
  CHECK_STR (l->personality.domain, "LINUX32");
  CHECK (l->time_offsets.monotonic_secs.value == -5 && l->time_offsets.monotonic_nanosecs.value == 7);
  CHECK (l->time_offsets.boottime_secs.value == 100 && !l->time_offsets.boottime_nanosecs.set);
  return 0;
}

static int
test_full_config (void)
{
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  if (spec_parse (full_config, "/b", &spec, &err) < 0)
    printf ("# %s\n", err->msg);
  CHECK (spec != NULL);
  CHECK_STR (spec->rootfs, "/var/lib/c/rootfs");
  CHECK_STR (spec->root_path, "/var/lib/c/rootfs/");
  CHECK (!spec->root_readonly);
  CHECK_STR (spec->hostname, "box");
  CHECK_STR (spec->domainname, "example.org");
  CHECK (spec->n_mounts == 1 && spec->mounts[0].n_uid_mappings == 1 && spec->mounts[0].uid_mappings[0].size == 65536);
  CHECK_STR (spec->mounts[0].source, "/srv/data");
  CHECK (spec->n_hooks[HOOK_PRESTART] == 1 && spec->n_hooks[HOOK_POSTSTOP] == 2 && spec->n_hooks[HOOK_POSTSTART] == 0);
  CHECK (spec->hooks[HOOK_PRESTART][0].timeout == 5);
  CHECK_STR (spec->hooks[HOOK_PRESTART][0].args[1], "x");
  CHECK_STR (spec->hooks[HOOK_PRESTART][0].env[0], "K=v");
  CHECK (spec->hooks[HOOK_POSTSTOP][1].args == NULL && spec->hooks[HOOK_POSTSTOP][1].timeout == 0);
  CHECK_STR (spec_annotation (spec, "org.example"), "yes");
  CHECK_STR (spec_annotation (spec, "dup"), "second");
  CHECK (spec_annotation (spec, "missing") == NULL);
  CHECK_STR (spec->text, full_config);
  CHECK (check_full_process (spec->process) == 0);
  CHECK (check_full_linux (spec) == 0);
  CHECK_STR (spec_hook_names[HOOK_CREATE_RUNTIME], "createRuntime");
  CHECK_STR (spec_hook_names[HOOK_POSTSTOP], "poststop");
  return 0;
}

static int
test_minimal_and_nulls (void)
{
  /* No process, no linux: valid (a config stored in an image may lack them);
   * nulls read as absent, as runc's decoder does. */
  const char *json = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":null,\"linux\":null,"
                     "\"hooks\":{\"prestart\":null},\"mounts\":null,\"hostname\":\"\"}";
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (spec_parse (json, NULL, &spec, &err) == 0);
  CHECK (spec->process == NULL && spec->linux_ == NULL && spec->n_mounts == 0);
  CHECK_STR (spec->rootfs, "r"); /* no bundle: as written */
  CHECK (!spec_has_ns (spec, NS_MNT) && spec_ns_path (spec, NS_NET) == NULL);
  return 0;
}

static int
expect_parse_error (const char *json, const char *message)
{
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (spec_parse (json, "/b", &spec, &err) < 0);
  CHECK_ERR_CONTAINS (err, message);
  CHECK (strchr (err->msg, '\n') == NULL);
  return 0;
}

static int
test_hostile_text (void)
{
  cleanup_free char *deep = xmalloc (200001);
  cleanup_free char *dup = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (expect_parse_error ("", "config.json: invalid JSON: empty document") == 0);
  CHECK (expect_parse_error (" \n\t", "config.json: invalid JSON: empty document") == 0);
  CHECK (expect_parse_error ("{\"ociVersion\":", "config.json: invalid JSON: ") == 0);
  CHECK (expect_parse_error ("{\"ociVersion\":\"1.2.0\"} trailing", "config.json: invalid JSON: ") == 0);
  CHECK (expect_parse_error ("[1,2]", "config.json: expected an object at the top level, found array") == 0);
  CHECK (expect_parse_error ("\"str\"", "config.json: expected an object at the top level, found string") == 0);
  CHECK (expect_parse_error ("{\"ociVersion\":\"1.2\xff\xfe\"}", "config.json: invalid JSON: ") == 0);
  CHECK (expect_parse_error ("{\"ociVersion\":\"\xc3\x28\"}", "config.json: invalid JSON: ") == 0);
  /* 100000 nested arrays would overflow the stack of a recursive free */
  memset (deep, '[', 100000);
  memset (deep + 100000, ']', 100000);
  deep[200000] = '\0';
  CHECK (expect_parse_error (deep, "config.json: JSON nested deeper than") == 0);
  /* duplicate keys: the last one counts */
  dup = cfg ("\"hostname\":\"one\",\"hostname\":\"two\"", "", "");
  CHECK (spec_parse (dup, "/b", &spec, &err) == 0);
  CHECK_STR (spec->hostname, "two");
  /* a huge document of numbers still parses to a clean type error */
  CHECK (expect_parse_error ("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
                             "\"user\":{\"uid\":1e999}}}",
                             "config.json: process.user.uid: expected a non-negative integer") == 0);
  return 0;
}

/* Replace the value of every key of full_config, one at a time, by values of
 * other types: each result is accepted or refused with a one-line message
 * naming the config, and nothing crashes or leaks (run under ASan). */
static size_t
value_end (const char *s, size_t i)
{
  int depth = 0;
  bool in_string = false;

  for (; s[i]; i++)
    {
      if (in_string)
        {
          if (s[i] == '\\')
            i++;
          else if (s[i] == '"')
            in_string = false;
          continue;
        }
      if (s[i] == '"')
        in_string = true;
      else if (s[i] == '[' || s[i] == '{')
        depth++;
      else if (s[i] == ']' || s[i] == '}')
        {
          if (depth-- == 0)
            return i;
        }
      else if (s[i] == ',' && depth == 0)
        return i;
    }
  return i;
}

static int
test_wrong_types_everywhere (void)
{
  static const char *const values[] = {
    "\"s\"", "-1", "0", "1.5", "true", "null", "[]", "{}", "[1]", "{\"a\":1}", "18446744073709551616", "\"\"",
  };
  size_t mutants = 0, refused = 0;

  for (size_t i = 0; full_config[i]; i++)
    {
      size_t start, end;
      if (!(full_config[i] == '"' && full_config[i + 1] == ':'))
        continue;
      start = i + 2;
      end = value_end (full_config, start);
      for (size_t v = 0; v < ARRAY_SIZE (values); v++)
        {
          cleanup_free char *json = xasprintf ("%.*s%s%s", (int) start, full_config, values[v], full_config + end);
          cleanup_spec struct spec *spec = NULL;
          cleanup_error cryo_error_t err = NULL;

          mutants++;
          if (spec_parse (json, "/b", &spec, &err) < 0)
            {
              refused++;
              CHECK (strncmp (err->msg, "config.json: ", 13) == 0);
              CHECK (strchr (err->msg, '\n') == NULL);
            }
        }
    }
  printf ("# %zu mutants, %zu refused\n", mutants, refused);
  CHECK (mutants > 1000 && refused > mutants / 2);
  return 0;
}

static char bundle_dir[] = "/tmp/cryo-test-spec-XXXXXX";

static int
write_config (const char *text, size_t len)
{
  cleanup_free char *path = xasprintf ("%s/config.json", bundle_dir);
  cleanup_error cryo_error_t err = NULL;
  return write_file_at (AT_FDCWD, path, text, len, &err);
}

static int
expect_load_error (const char *bundle, const char *message)
{
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (spec_load (bundle, &spec, &err) < 0);
  CHECK_STR (err->msg, message);
  return 0;
}

static int
test_spec_load (void)
{
  cleanup_free char *json = spec_default_json (false);
  cleanup_free char *rootfs = xasprintf ("%s/rootfs", bundle_dir);
  cleanup_free char *msg = NULL;
  cleanup_free char *cwd = getcwd (NULL, 0);
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;

  msg = xasprintf ("bundle `%s`: no config.json (create one with `cryo spec`)", bundle_dir);
  CHECK (expect_load_error (bundle_dir, msg) == 0);
  CHECK (expect_load_error ("/nonexistent/bundle", "bundle `/nonexistent/bundle`: no such directory") == 0);
  CHECK (expect_load_error ("/etc/passwd", "bundle `/etc/passwd`: not a directory") == 0);
  CHECK (write_config (json, strlen (json)) == 0);
  free (msg);
  msg = xasprintf ("rootfs `%s` (root.path): no such directory", rootfs);
  CHECK (expect_load_error (bundle_dir, msg) == 0);
  CHECK (write_file_at (AT_FDCWD, rootfs, "x", 1, &err) == 0);
  free (msg);
  msg = xasprintf ("rootfs `%s` (root.path): not a directory", rootfs);
  CHECK (expect_load_error (bundle_dir, msg) == 0);
  CHECK (unlink (rootfs) == 0 && mkdir (rootfs, 0755) == 0);
  /* relative bundle paths are made absolute, and cleaned */
  CHECK (chdir ("/tmp") == 0);
  CHECK (spec_load (bundle_dir + 5, &spec, &err) == 0);
  CHECK (chdir (cwd) == 0);
  CHECK_STR (spec->bundle, bundle_dir);
  CHECK_STR (spec->rootfs, rootfs);
  CHECK (write_config ("", 0) == 0);
  free (msg);
  msg = xasprintf ("config.json: empty file `%s/config.json`", bundle_dir);
  CHECK (expect_load_error (bundle_dir, msg) == 0);
  CHECK (write_config ("{\"a\":1}\0{", 9) == 0);
  CHECK (expect_load_error (bundle_dir, "config.json: invalid JSON: NUL byte at offset 7") == 0);
  CHECK (write_config ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[]}}", 69) == 0);
  CHECK (expect_load_error (bundle_dir, "config.json: process.args: must be a non-empty array of strings") == 0);
  return 0;
}

static int
test_parse_process_alone (void)
{
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct spec_process *p = NULL;

  CHECK (json_parse ("{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"X=1\"],\"user\":{\"uid\":5}}", &v, &err) == 0);
  CHECK (spec_parse_process (v, "process", &p, &err) == 0);
  CHECK_STR (p->args[1], "-l");
  CHECK (p->user.uid == 5 && p->user.gid == 0 && !p->terminal && p->capabilities == NULL);
  spec_process_free (p);
  json_free (v);
  v = NULL;
  CHECK (json_parse ("{\"args\":[\"ls\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NPROC\",\"soft\":1}]}", &v, &err) == 0);
  CHECK (spec_parse_process (v, "process", &p, &err) < 0);
  CHECK_STR (err->msg, "process.rlimits[0].hard: missing (an integer is required)");
  CHECK (spec_parse_process (v, "", &p, &err) < 0);
  CHECK_STR (err->msg, "rlimits[0].hard: missing (an integer is required)");
  CHECK (spec_parse_process (json_get (v, "args"), "process", &p, &err) < 0);
  CHECK_STR (err->msg, "process: expected an object, found array");
  spec_process_free (NULL);
  return 0;
}

static int
test_parse_resources_alone (void)
{
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct spec_resources r = { 0 };

  CHECK (json_parse ("{\"memory\":{\"limit\":536870912,\"swappiness\":60},\"cpu\":{\"cpus\":\"0\"},"
                     "\"pids\":{\"limit\":-1},\"blockIO\":{\"leafWeight\":10}}", &v, &err) == 0);
  CHECK (spec_parse_resources (v, "resources", &r, &err) == 0);
  CHECK (r.present && r.memory.limit.value == 536870912 && r.memory.swappiness.value == 60);
  CHECK (r.pids.limit.set && r.pids.limit.value == -1 && r.block_io.leaf_weight.value == 10);
  CHECK (!r.block_io.weight.set && r.unified == NULL && r.n_devices == 0);
  CHECK_STR (r.cpu.cpus, "0");
  spec_resources_clear (&r);
  CHECK (r.cpu.cpus == NULL && !r.present);
  json_free (v);
  v = NULL;
  CHECK (json_parse ("{\"cpu\":{\"quota\":\"max\"}}", &v, &err) == 0);
  CHECK (spec_parse_resources (v, "r", &r, &err) < 0);
  CHECK_STR (err->msg, "r.cpu.quota: expected an integer, found string");
  CHECK (r.cpu.cpus == NULL && !r.present);
  /* runc ignores what is not r, w or m in a device rule's access */
  json_free (v);
  v = NULL;
  CHECK (json_parse ("{\"devices\":[{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":11,"
                     "\"access\":\"rwa\"},{\"allow\":true,\"access\":\"mr\"}]}",
                     &v, &err)
         == 0);
  CHECK (spec_parse_resources (v, "r", &r, &err) == 0);
  CHECK (r.n_devices == 2);
  CHECK_STR (r.devices[0].access, "rw");
  CHECK_STR (r.devices[1].access, "rm");
  spec_resources_clear (&r);
  return 0;
}

int
main (void)
{
  cleanup_free char *rm = NULL;

  if (mkdtemp (bundle_dir) == NULL)
    return 1;
  TAP_PLAN (10);
  RUN_TEST (test_validation_messages);
  RUN_TEST (test_default_config);
  RUN_TEST (test_default_rootless);
  RUN_TEST (test_full_config);
  RUN_TEST (test_minimal_and_nulls);
  RUN_TEST (test_hostile_text);
  RUN_TEST (test_wrong_types_everywhere);
  RUN_TEST (test_spec_load);
  RUN_TEST (test_parse_process_alone);
  RUN_TEST (test_parse_resources_alone);
  rm = xasprintf ("rm -rf '%s'", bundle_dir);
  if (system (rm) != 0)
    return 1;
  return tap_exit ();
}
