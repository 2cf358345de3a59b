#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/util.h"

static int
status_to_ret (int status)
{
  return -(status > 0 ? status : 0) - 1;
}

/* An error is one line, whatever it quotes: a name from an image or an
 * archive may hold a newline or a terminal escape.  Control characters
 * become '?'. */
static void
one_line (char *text)
{
  for (unsigned char *p = (unsigned char *)text; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      *p = '?';
}

int
cryo_error (cryo_error_t *err, int status, const char *fmt, ...)
{
  cleanup_free char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&text, fmt, ap) < 0)
    oom ();
  va_end (ap);
  one_line (text);

  if (err == NULL)
    return status_to_ret (status);
  cryo_error_release (err);
  *err = xzalloc (sizeof (**err));
  (*err)->status = status;
  if (status > 0)
    (*err)->msg = xasprintf ("%s: %s", text, strerror (status));
  else
    (*err)->msg = steal_pointer (&text);
  return status_to_ret (status);
}

int
cryo_error_wrap (cryo_error_t *err, const char *fmt, ...)
{
  cleanup_free char *context = NULL;
  char *joined;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&context, fmt, ap) < 0)
    oom ();
  va_end (ap);
  one_line (context);

  if (err == NULL)
    return -1;
  if (*err == NULL)
    return cryo_error (err, 0, "%s", context);

  joined = xasprintf ("%s: %s", context, (*err)->msg);
  free ((*err)->msg);
  (*err)->msg = joined;
  return status_to_ret ((*err)->status);
}

void
cryo_error_release (cryo_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
cryo_error_status (cryo_error_t err)
{
  return err ? err->status : 0;
}

cryo_error_t
cryo_error_steal (cryo_error_t *from)
{
  cryo_error_t e = *from;
  *from = NULL;
  return e;
}
