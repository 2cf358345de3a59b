/* Turning a CRIU failure into one line: the first "Error" line of its log,
 * without the timestamp and source location, or what cryo knows the cause
 * to be when it recognises the message. */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "lib/util.h"

/* Messages whose cause and remedy cryo knows better than CRIU says them. */
static const struct
{
  const char *match;
  const char *says;
} translations[] = {
  { "Connected TCP socket",
    "the tree has established TCP connections: checkpoint (and restore) with --tcp-established" },
  { "Can't get 1:16 opt",
    "this CRIU cannot dump TCP sockets on this kernel (SO_PASSCRED refused): use CRIU >= 4.2" },
  { "External socket is used",
    "a unix socket of the tree is connected to a process outside it: close it, or allow it "
    "with --ext-unix-sk" },
  { "External socket found in image",
    "the image holds a unix socket connected outside the tree: restore with --ext-unix-sk" },
  { "Don't have tty to inherit session from",
    "the container's terminal was the host's (a shell job): restore with --shell-job and a terminal "
    "on stdin, which becomes the container's" },
  { "without correspond master peer",
    "the container's terminal was the host's (a shell job): restore with --shell-job and a terminal "
    "on stdin, which becomes the container's" },
  { "Can't dump ghost file",
    "a deleted file the tree still holds open is larger than the ghost limit: raise the ghost "
    "limit or close the file" },
  /* prlimit(2) of a task of another uid needs CAP_SYS_RESOURCE */
  { "Can't get rlimit",
    "CRIU cannot read the rlimits of a process running as another user without CAP_SYS_RESOURCE, "
    "which cryo does not have here: run cryo with CAP_SYS_RESOURCE, or the container's processes "
    "as root" },
  { "Locking network failed",
    "CRIU could not lock the network with iptables-restore: install Debian's iptables" },
};

/* Error lines that are not the cause: CRIU goes on after the first ones,
 * and the last ones only say that something failed earlier. */
static const char *const benign[] = {
  "rlimit: Can't setup RLIMIT_NOFILE", /* no CAP_SYS_RESOURCE: CRIU keeps the current limit */
};
static const char *const generic[] = {
  "Dumping FAILED",
  "Restoring FAILED",
  "One of more action scripts failed",
  "Pre-dumping FAILED",
};

static bool
listed (const char *msg, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strstr (msg, list[i]))
      return true;
  return false;
}

/* "(00.012345) Error (criu/x.c:12): message" -> "message"; also
 * "(00.0) pie: 12: Error (criu/pie/x.c:3): message". */
static char *
strip_error_prefix (const char *line)
{
  const char *p = strstr (line, "Error (");
  const char *msg;
  size_t len;

  if (p == NULL)
    return NULL;
  msg = strstr (p, "): ");
  msg = msg ? msg + 3 : p + strlen ("Error (");
  len = strlen (msg);
  while (len > 0 && isspace ((unsigned char)msg[len - 1]))
    len--;
  return xstrndup (msg, len);
}

static char *
translate (char *msg)
{
  for (size_t i = 0; i < ARRAY_SIZE (translations); i++)
    if (strstr (msg, translations[i].match))
      {
        free (msg);
        return xstrdup (translations[i].says);
      }
  return msg;
}

char *
engine_text_first_error (const char *text)
{
  cleanup_free char *copy = xstrdup (text ? text : "");
  char *save = NULL, *fallback = NULL;

  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *msg = strstr (line, "Error (") ? strip_error_prefix (line) : NULL;
      if (msg == NULL || msg[0] == '\0' || listed (msg, benign, ARRAY_SIZE (benign)))
        {
          free (msg);
          continue;
        }
      if (!listed (msg, generic, ARRAY_SIZE (generic)))
        {
          free (fallback);
          return translate (msg);
        }
      if (fallback == NULL)
        fallback = msg;
      else
        free (msg);
    }
  return fallback;
}

char *
engine_log_first_error (const char *path)
{
  cleanup_free char *text = NULL;
  cryo_error_t ignored = NULL;

  if (read_all_file (path, &text, NULL, &ignored) < 0)
    {
      cryo_error_release (&ignored);
      return NULL;
    }
  return engine_text_first_error (text);
}

char *
engine_last_line (const char *text)
{
  const char *end, *start;

  if (text == NULL)
    return NULL;
  end = text + strlen (text);
  while (end > text && isspace ((unsigned char)end[-1]))
    end--;
  if (end == text)
    return NULL;
  start = end;
  while (start > text && start[-1] != '\n')
    start--;
  return xstrndup (start, end - start);
}
