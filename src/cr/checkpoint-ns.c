/* The namespace metadata a checkpoint saves for restore to rebuild from:
 * namespaces.json (the namespaces, hostname, domainname, id mappings) and
 * network.json (links, addresses, routes), read inside the container's
 * namespaces by a forked helper. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define LOG_PREFIX "checkpoint: "
#include "cr/internal.h"
#include "image/image.h"
#include "lib/log.h"
#include "ns/netconf.h"
#include "lib/util.h"

static int
read_uts (void *arg UNUSED, char **result, cryo_error_t *err)
{
  struct utsname u;
  cleanup_json_gen json_gen_t *g = json_gen_new (false);

  if (uname (&u) < 0)
    return cryo_error (err, errno, "uname");
  jg_open_map (g);
  jg_kv_str (g, "hostname", u.nodename);
  jg_kv_str (g, "domainname", u.domainname);
  jg_close_map (g);
  return json_gen_finish (g, result, NULL, err);
}

/* "0 1000 65536\n..." as [{containerID, hostID, size}]. */
static int
gen_id_map (json_gen_t *g, pid_t pid, const char *file, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", pid, file);
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (read_all_file (path, &buf, NULL, err) < 0)
    return -1;
  jg_open_array (g);
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long in, out, n;
      if (sscanf (line, "%llu %llu %llu", &in, &out, &n) != 3)
        return cryo_error (err, 0, "`%s`: cannot parse `%s`", path, line);
      jg_open_map (g);
      jg_kv_uint (g, "containerID", in);
      jg_kv_uint (g, "hostID", out);
      jg_kv_uint (g, "size", n);
      jg_close_map (g);
    }
  jg_close_array (g);
  return 0;
}

static int
gen_namespaces (struct image_writer *w, json_gen_t *g, pid_t pid, const struct spec *spec, cryo_error_t *err)
{
  jg_key (g, "namespaces");
  jg_open_array (g);
  for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
    {
      const struct spec_namespace *n = &spec->linux_->namespaces[i];
      struct image_namespace ns = { .type = n->type, .created = n->path == NULL, .path = n->path };
      ino_t ino = 0;
      if (ns_inode (pid, n->type, &ino, err) < 0)
        return -1;
      ns.inode = ino;
      image_writer_add_namespace (w, &ns);
      jg_open_map (g);
      jg_kv_str (g, "type", ns_table[n->type].oci_name);
      jg_kv_bool (g, "created", ns.created);
      jg_kv_uint (g, "inode", ns.inode);
      if (n->path)
        jg_kv_str (g, "path", n->path);
      jg_close_map (g);
    }
  jg_close_array (g);
  return 0;
}

int
cr_save_namespaces (struct image_writer *w, pid_t pid, const struct spec *spec, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);
  cleanup_json json_value_t *uts = NULL;
  cleanup_free char *uts_text = NULL;

  jg_open_map (g);
  if (gen_namespaces (w, g, pid, spec, err) < 0)
    return -1;
  if (spec_has_ns (spec, NS_UTS))
    {
      if (cr_in_namespaces (pid, CLONE_NEWUTS, read_uts, NULL, &uts_text, err) < 0
          || json_parse (uts_text, &uts, err) < 0)
        return cryo_error_wrap (err, "read the container's hostname");
      jg_kv_str (g, "hostname", json_string (json_get (uts, "hostname")));
      jg_kv_str (g, "domainname", json_string (json_get (uts, "domainname")));
    }
  if (spec_ns_is_new (spec, NS_USER))
    {
      jg_key (g, "uidMappings");
      if (gen_id_map (g, pid, "uid_map", err) < 0)
        return -1;
      jg_key (g, "gidMappings");
      if (gen_id_map (g, pid, "gid_map", err) < 0)
        return -1;
    }
  jg_close_map (g);
  return image_writer_add_json (w, IMAGE_FILE_NAMESPACES, g, err);
}

static int
read_network (void *arg UNUSED, char **result, cryo_error_t *err)
{
  cleanup_netconf struct netconf *c = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  if (netconf_dump (&c, err) < 0)
    return -1;
  /* Refuse now what restore could not rebuild, while nothing is lost. */
  if (netconf_validate (c, NULL, err) < 0)
    return cryo_error_wrap (err, "the network namespace cannot be rebuilt at restore (checkpoint it "
                                 "with --empty-ns network and configure it in a post-restore hook)");
  if (netconf_to_json (c, g, err) < 0)
    return -1;
  return json_gen_finish (g, result, NULL, err);
}

int
cr_save_network (struct image_writer *w, pid_t pid, cryo_error_t *err)
{
  cleanup_free char *text = NULL;

  if (cr_in_namespaces (pid, CLONE_NEWNET, read_network, NULL, &text, err) < 0)
    return cryo_error_wrap (err, "read the container's network configuration");
  return image_writer_add_file (w, IMAGE_FILE_NETWORK, text, strlen (text), err);
}
