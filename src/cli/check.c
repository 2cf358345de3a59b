/* cryo check: can this host checkpoint and restore?  CRIU's versions and
 * self-check, the kernel features C/R depends on, and a verdict per
 * feature.  Fails (exit 1) when checkpoint/restore itself cannot work. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/engine.h"
#include "lib/json.h"
#include "lib/util.h"

struct check_opts
{
  const char *format;
};

static const char *
yes_no (int v)
{
  return v > 0 ? "yes" : v == 0 ? "no" : "unknown";
}

static void
print_text (const struct engine_report *r)
{
  printf ("criu:                 %s %s (libcriu %d.%d.%d)\n", r->criu_path,
          r->version.criu ? r->version.criu_str : "(not working)", r->version.libcriu / 10000,
          r->version.libcriu / 100 % 100, r->version.libcriu % 100);
  printf ("criu check:           %s%s%s\n", r->criu_check_ok ? "passed" : "failed",
          r->criu_check_ok ? "" : ": ", r->criu_check_ok ? "" : r->criu_check_error);
  printf ("userfaultfd:          %s (non-cooperative events: %s)\n", yes_no (r->userfaultfd),
          yes_no (r->uffd_noncooperative));
  printf ("soft-dirty tracking:  %s (CRIU mem-track: %s)\n", yes_no (r->soft_dirty),
          yes_no (r->criu_mem_track));
  printf ("hw breakpoints:       %s (CRIU's probe: %s; CRIU_FAULT=130: %s)\n", yes_no (r->hw_breakpoints),
          yes_no (r->criu_hw_breakpoints), r->criu_fault_no_breakpoints ? "set by cryo" : "not needed");
  printf ("cgroups:              %s (%s)\n", r->cgroup_layout, r->cgroup_detail);
  printf ("fs.pipe-max-size:     %lu (lazy pages need %u)\n", r->pipe_max_size, ENGINE_LAZY_PIPE_SIZE);
  printf ("kdat cache:           %s%s\n", r->kdat_cache ? r->kdat_cache : "none",
          r->kdat_cached ? " (in place)" : " (not in place: CRIU re-probes every call)");
  printf ("\n");
  for (size_t i = 0; i < r->n_features; i++)
    printf ("%-22s%s%s%s\n", r->features[i].name, engine_verdict_name (r->features[i].verdict),
            r->features[i].reason ? ": " : "", r->features[i].reason ? r->features[i].reason : "");
}

static int
print_json (const struct engine_report *r, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (true);
  cleanup_free char *out = NULL;

  engine_report_to_json (r, gen);
  if (json_gen_finish (gen, &out, NULL, err) < 0)
    return -1;
  printf ("%s\n", out);
  return 0;
}

CRYO_COMMAND (check)
{
  static const struct opt_def defs[] = {
    { "format", 'f', OPT_STRING, offsetof (struct check_opts, format), "FORMAT", "text (default) or json" },
    OPT_END,
  };
  struct check_opts opts = { .format = "text" };
  struct engine_config cfg = { .binary = g->criu, .state_root = g->root };
  cleanup_engine_report struct engine_report report = { 0 };
  cleanup_engine struct engine *engine = NULL;
  cleanup_free char **args = NULL;
  const struct engine_feature *cr;
  int ret;

  ret = cli_parse (cli_find_command ("check"), argc, argv, defs, &opts, &args, 0, 0, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (strcmp (opts.format, "text") != 0 && strcmp (opts.format, "json") != 0)
    return cryo_error (err, 0, "unknown format `%s` (use text or json)", opts.format);
  if (engine_open ("criu", &cfg, &engine, err) < 0 || engine_check (engine, &report, err) < 0)
    return -1;
  if (strcmp (opts.format, "json") == 0)
    ret = print_json (&report, err);
  else
    print_text (&report);
  if (ret < 0)
    return ret;
  fflush (stdout);
  cr = engine_report_feature (&report, "checkpoint/restore");
  if (cr && cr->verdict != ENGINE_SUPPORTED)
    return cryo_error (err, 0, "checkpoint/restore cannot work on this host: %s", cr->reason);
  return 0;
}
