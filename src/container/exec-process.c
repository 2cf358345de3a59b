/* The process `cryo exec` runs, as runc builds it: --process FILE as is, or
 * the container's own process with the command line's changes; then what
 * the process leaves unset comes from the container (runc's newProcess and
 * initConfig): capabilities, rlimits, AppArmor profile, SELinux label,
 * oomScoreAdj, and no_new_privs when the file does not mention it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/caps.h"
#include "container/internal.h"
#include "lib/util.h"

static void
cleanup_processp (struct spec_process **p)
{
  spec_process_free (*p);
  *p = NULL;
}
#define cleanup_process __attribute__ ((cleanup (cleanup_processp)))

/* A copy of the container's process, parsed again from the stored config. */
static int
container_process (const struct spec *spec, struct spec_process **out, cryo_error_t *err)
{
  json_value_t *obj = json_get (spec->tree, "process");

  if (obj == NULL)
    return cryo_error (err, 0, "the container's config has no process");
  return spec_parse_process (obj, "process", out, err);
}

static int
read_process_file (const char *path, struct spec_process **out, bool *has_nnp, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_value_t *tree = NULL;

  if (read_all_file (path, &text, NULL, err) < 0 || json_parse (text, &tree, err) < 0
      || spec_parse_process (tree, "process", out, err) < 0)
    return cryo_error_wrap (err, "--process `%s`", path);
  *has_nnp = json_get (tree, "noNewPrivileges") != NULL;
  return 0;
}

static void
inherit (struct spec_process *p, struct spec_process *base, bool has_nnp)
{
  if (p->capabilities == NULL)
    p->capabilities = steal_pointer (&base->capabilities);
  if (p->n_rlimits == 0)
    {
      free (p->rlimits);
      p->rlimits = steal_pointer (&base->rlimits);
      p->n_rlimits = base->n_rlimits;
      base->n_rlimits = 0;
    }
  if (p->apparmor_profile == NULL)
    p->apparmor_profile = steal_pointer (&base->apparmor_profile);
  if (p->selinux_label == NULL)
    p->selinux_label = steal_pointer (&base->selinux_label);
  if (!p->oom_score_adj.set)
    p->oom_score_adj = base->oom_score_adj;
  if (!has_nnp)
    p->no_new_privileges = base->no_new_privileges;
}

/* KEY=value replaces an earlier KEY (the last one wins, as in runc). */
static int
env_set (char ***env, const char *kv, cryo_error_t *err)
{
  size_t klen = strcspn (kv, "=");

  if (kv[klen] != '=' || klen == 0)
    return cryo_error (err, 0, "--env: `%s` is not of the form KEY=value", kv);
  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp ((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = xstrdup (kv);
        return 0;
      }
  strv_append (env, kv);
  return 0;
}

static int
parse_id (const char *s, const char *flag, const char *what, uint32_t *out, cryo_error_t *err)
{
  uint64_t v;

  if (parse_uint64 (s, &v) < 0 || v > UINT32_MAX)
    return cryo_error (err, 0, "%s: `%s` is not a numeric %s (0..4294967295)", flag, s, what);
  *out = (uint32_t) v;
  return 0;
}

/* --user UID[:GID]: without GID the container's stays (runc). */
static int
apply_user (const struct container_exec_options *o, struct spec_user *u, cryo_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *colon;
  uint32_t id = 0;

  if (o->user)
    {
      copy = xstrdup (o->user);
      colon = strchr (copy, ':');
      if (colon)
        *colon = '\0';
      if (parse_id (copy, "--user", "uid", &id, err) < 0)
        return -1;
      u->uid = id;
      if (colon && parse_id (colon + 1, "--user", "gid", &id, err) < 0)
        return -1;
      if (colon)
        u->gid = id;
    }
  for (size_t i = 0; o->additional_gids && o->additional_gids[i]; i++)
    {
      if (parse_id (o->additional_gids[i], "--additional-gids", "gid", &id, err) < 0)
        return -1;
      u->additional_gids = xreallocarray (u->additional_gids, u->n_additional_gids + 2, sizeof (gid_t));
      u->additional_gids[u->n_additional_gids++] = id;
    }
  return 0;
}

static int
apply_flags (const struct container_exec_options *o, struct spec_process *p, cryo_error_t *err)
{
  if (o->args == NULL || o->args[0] == NULL)
    return cryo_error (err, 0, "exec needs a command to run after the container id, or --process FILE");
  strv_free (p->args);
  p->args = strv_dup (o->args);
  for (size_t i = 0; o->env && o->env[i]; i++)
    if (env_set (&p->env, o->env[i], err) < 0)
      return -1;
  if (o->cwd && o->cwd[0] != '/')
    return cryo_error (err, 0, "--cwd: `%s` must be an absolute path", o->cwd);
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  if (apply_user (o, &p->user, err) < 0 || caps_add (&p->capabilities, o->caps, err) < 0)
    return -1;
  p->terminal = o->tty;
  p->no_new_privileges |= o->no_new_privs;
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  return 0;
}

/* runc ignores these flags beside --process; a command line that says two
 * things is refused instead.  --tty is not among them: conmon passes it with
 * --process for a terminal exec, and it only asks for what the file may
 * also say (exec_process_build). */
static int
check_process_file_alone (const struct container_exec_options *o, cryo_error_t *err)
{
  const char *flag = NULL;

  if (o->args && o->args[0])
    flag = "a command";
  else if (o->env)
    flag = "--env";
  else if (o->cwd)
    flag = "--cwd";
  else if (o->user || o->additional_gids)
    flag = o->user ? "--user" : "--additional-gids";
  else if (o->caps)
    flag = "--cap";
  else if (o->no_new_privs)
    flag = "--no-new-privs";
  else if (o->apparmor || o->process_label)
    flag = o->apparmor ? "--apparmor" : "--process-label";
  if (flag)
    return cryo_error (err, 0, "--process `%s` gives the whole process: %s cannot be used with it",
                       o->process_file, flag);
  return 0;
}

int
exec_process_build (const struct container_exec_options *o, const struct spec *spec,
                    struct spec_process **out, cryo_error_t *err)
{
  cleanup_process struct spec_process *base = NULL;
  cleanup_process struct spec_process *p = NULL;
  bool has_nnp = false;

  if (container_process (spec, &base, err) < 0)
    return -1;
  if (o->process_file == NULL)
    {
      if (apply_flags (o, base, err) < 0)
        return -1;
      *out = steal_pointer (&base);
      return 0;
    }
  if (check_process_file_alone (o, err) < 0 || read_process_file (o->process_file, &p, &has_nnp, err) < 0)
    return -1;
  inherit (p, base, has_nnp);
  /* A terminal when the file or the flag asks for one: runc takes the
   * file's alone, but a -t that silently gives no terminal helps nobody. */
  p->terminal = p->terminal || o->tty;
  *out = steal_pointer (&p);
  return 0;
}
