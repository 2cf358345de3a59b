/* AppArmor/SELinux: detection agrees with the host, a label for an LSM the
 * host lacks is refused naming it, and the exec attribute write reports
 * the kernel's refusal. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "spec/lsm.h"
#include "tap.h"
#include "lib/util.h"

/* Independent of lsm.c: the module parameter, and the LSMs the kernel
 * lists in securityfs when it is mounted. */
static bool
host_has_apparmor (void)
{
  cleanup_free char *buf = NULL;
  return read_all_file ("/sys/module/apparmor/parameters/enabled", &buf, NULL, NULL) == 0 && buf[0] == 'Y';
}

static bool
host_has_selinux (void)
{
  cleanup_free char *buf = NULL;
  struct stat st;
  return read_all_file ("/proc/filesystems", &buf, NULL, NULL) == 0 && strstr (buf, "selinuxfs")
         && stat ("/sys/fs/selinux/enforce", &st) == 0;
}

static int
test_detection (void)
{
  CHECK (lsm_apparmor_enabled () == host_has_apparmor ());
  CHECK (lsm_selinux_enabled () == host_has_selinux ());
  return 0;
}

static int
test_missing_lsm_refused (void)
{
  struct spec_process p = { 0 };
  cleanup_error cryo_error_t err = NULL;

  CHECK (lsm_validate (NULL, &err) == 0);
  CHECK (lsm_validate (&p, &err) == 0);
  p.apparmor_profile = (char *) "";
  CHECK (lsm_validate (&p, &err) == 0);
  if (!lsm_apparmor_enabled ())
    {
      p.apparmor_profile = (char *) "cryo-test";
      CHECK (lsm_validate (&p, &err) < 0);
      CHECK_ERR_CONTAINS (err, "process.apparmorProfile: AppArmor is not enabled on this host, so `cryo-test`");
      p.apparmor_profile = NULL;
      cryo_error_release (&err);
    }
  if (!lsm_selinux_enabled ())
    {
      p.selinux_label = (char *) "system_u:system_r:container_t:s0";
      CHECK (lsm_validate (&p, &err) < 0);
      CHECK_ERR_CONTAINS (err, "process.selinuxLabel: SELinux is not enabled on this host");
    }
  if (lsm_apparmor_enabled () && lsm_selinux_enabled ())
    return 77;
  return 0;
}

/* Without the LSM the kernel refuses the exec attribute (runc 1.1.5 fails
 * there, late): the error names the field and the path. */
static int
test_apply_reports_kernel_refusal (void)
{
  struct spec_process p = { 0 };
  cleanup_error cryo_error_t err = NULL;

  CHECK (lsm_apply_exec_label (&p, &err) == 0);
  if (lsm_apparmor_enabled ())
    return 77;
  p.apparmor_profile = (char *) "cryo-test";
  CHECK (lsm_apply_exec_label (&p, &err) < 0);
  CHECK_ERR_CONTAINS (err, "process.apparmorProfile: AppArmor refused `cryo-test` (write `/proc/thread-self/attr/exec`)");
  return 0;
}

int
main (void)
{
  TAP_PLAN (3);
  RUN_TEST (test_detection);
  RUN_TEST (test_missing_lsm_refused);
  RUN_TEST (test_apply_reports_kernel_refusal);
  return tap_exit ();
}
