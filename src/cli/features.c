/* cryo features: what this runtime supports, as the runtime-spec's
 * features.md describes (the same document `runc features` prints). */
#include "config.h"

#include <seccomp.h>
#include <stdio.h>

#include "spec/caps.h"
#include "cli/commands.h"
#include "lib/json.h"
#include "spec/lsm.h"
#include "ns/mount-plan.h"
#include "spec/seccomp-filter.h"
#include "lib/util.h"

static const char *const hook_names[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* runc's shape: which cgroup layouts cryo drives (systemd-managed cgroups
 * are refused with an error, so they are not claimed), mount extensions. */
static void
gen_cgroup_and_mounts (json_gen_t *gen)
{
  jg_key (gen, "cgroup");
  jg_open_map (gen);
  jg_kv_bool (gen, "v1", true);
  jg_kv_bool (gen, "v2", true);
  jg_kv_bool (gen, "systemd", false);
  jg_kv_bool (gen, "systemdUser", false);
  jg_close_map (gen);
  /* idmapped mounts (mount option "idmap"/"ridmap") */
  jg_key (gen, "mountExtensions");
  jg_open_map (gen);
  jg_key (gen, "idmap");
  jg_open_map (gen);
  jg_kv_bool (gen, "enabled", true);
  jg_close_map (gen);
  jg_close_map (gen);
}

/* Engines look for runc's checkpoint key to learn whether the runtime can
 * checkpoint (crun reports it too); cryo always can, CRIU permitting
 * (`cryo check` says whether this host does). */
static void
gen_annotations (json_gen_t *gen)
{
  const struct scmp_version *v = seccomp_version ();
  cleanup_free char *seccomp = v ? xasprintf ("%u.%u.%u", v->major, v->minor, v->micro) : NULL;

  jg_key (gen, "annotations");
  jg_open_map (gen);
  if (seccomp)
    jg_kv_str (gen, "io.github.seccomp.libseccomp.version", seccomp);
  jg_kv_str (gen, "org.opencontainers.runc.checkpoint.enabled", "true");
  jg_kv_str (gen, "io.cryo.checkpoint.enabled", "true");
  jg_kv_str (gen, "io.cryo.version", PACKAGE_VERSION);
  jg_close_map (gen);
}

static const char *const namespace_names[] = {
  "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL,
};

CRYO_COMMAND (features)
{
  const struct cli_command *self = cli_find_command ("features");
  static const struct opt_def defs[] = { OPT_END };
  cleanup_json_gen json_gen_t *gen = json_gen_new (true);
  cleanup_free char **args = NULL;
  cleanup_free char *out = NULL;
  cleanup_strv char **caps = caps_known_names ();
  cleanup_strv char **mount_options = mount_option_names ();
  int ret;

  ret = cli_parse (self, argc, argv, defs, NULL, &args, 0, 0, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;

  jg_open_map (gen);
  jg_kv_str (gen, "ociVersionMin", "1.0.0");
  jg_kv_str (gen, "ociVersionMax", "1.2.0");
  jg_kv_strv (gen, "hooks", (char *const *) hook_names);
  jg_kv_strv (gen, "mountOptions", mount_options);
  jg_key (gen, "linux");
  jg_open_map (gen);
  jg_kv_strv (gen, "namespaces", (char *const *) namespace_names);
  jg_kv_strv (gen, "capabilities", caps);
  gen_cgroup_and_mounts (gen);
  cryo_seccomp_features (gen);
  lsm_features (gen);
  jg_close_map (gen);
  gen_annotations (gen);
  jg_close_map (gen);
  if (json_gen_finish (gen, &out, NULL, err) < 0)
    return -1;
  printf ("%s\n", out);
  return 0;
}
