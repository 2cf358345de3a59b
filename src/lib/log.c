#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *const level_names[] = {
  [LOG_LEVEL_ERROR] = "error",
  [LOG_LEVEL_WARNING] = "warning",
  [LOG_LEVEL_INFO] = "info",
  [LOG_LEVEL_DEBUG] = "debug",
};

/* The logger is process-wide by nature (like stderr itself): set once by
 * main() before any command runs, read-only afterwards. */
static struct
{
  int fd;
  enum log_format format;
  bool debug;
} logger = { .fd = -1, .format = LOG_FORMAT_TEXT };

int
log_init (const char *path, const char *format, bool debug, cryo_error_t *err)
{
  logger.debug = debug;
  if (format == NULL || strcmp (format, "text") == 0)
    logger.format = LOG_FORMAT_TEXT;
  else if (strcmp (format, "json") == 0)
    logger.format = LOG_FORMAT_JSON;
  else
    return cryo_error (err, 0, "invalid log format `%s`: use text or json", format);

  if (path && *path)
    {
      logger.fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (logger.fd < 0)
        return cryo_error (err, errno, "open log file `%s`", path);
    }
  return 0;
}

bool
log_debug_enabled (void)
{
  return logger.debug;
}

/* runc's text log line (logrus's, without a terminal):
 * time="..." level=debug msg="...", with `"` and `\` escaped in msg, so
 * that what reads runc's log reads cryo's. */
static char *
logfmt_line (const char *time, enum log_level level, const char *msg)
{
  size_t n = strlen (msg);
  cleanup_free char *quoted = xmalloc (2 * n + 1);
  char *q = quoted;

  for (const char *p = msg; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        *q++ = '\\';
      *q++ = *p;
    }
  *q = '\0';
  return xasprintf ("time=\"%s\" level=%s msg=\"%s\"\n", time, level_names[level], quoted);
}

static char *
format_line (enum log_level level, const char *prefix, const char *msg)
{
  cleanup_free char *time = format_rfc3339_now ();
  cleanup_free char *full = xasprintf ("%s%s", prefix, msg);
  cleanup_json_gen json_gen_t *g = NULL;
  cleanup_free char *json = NULL;

  if (logger.format == LOG_FORMAT_TEXT)
    return logfmt_line (time, level, full);

  g = json_gen_new (false);
  jg_open_map (g);
  jg_kv_str (g, "level", level_names[level]);
  jg_kv_str (g, "msg", full);
  jg_kv_str (g, "time", time);
  jg_close_map (g);
  if (json_gen_finish (g, &json, NULL, NULL) < 0)
    return xasprintf ("%s %s: %s\n", time, level_names[level], full);
  return xasprintf ("%s\n", json);
}

void
log_msg (enum log_level level, const char *prefix, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  cleanup_free char *line = NULL;
  int saved = errno;
  va_list ap;

  if (level == LOG_LEVEL_DEBUG && !logger.debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    oom ();
  va_end (ap);

  if (logger.fd < 0)
    {
      /* Interactive use: a short human line on stderr. */
      if (level == LOG_LEVEL_DEBUG)
        {
          /* As runc's --debug: logrus lines on stderr. */
          cleanup_free char *time = format_rfc3339_now ();
          cleanup_free char *full = xasprintf ("%s%s", prefix, msg);
          cleanup_free char *l = logfmt_line (time, level, full);
          fputs (l, stderr);
        }
      else
        fprintf (stderr, "cryo: %s: %s%s\n", level_names[level], prefix, msg);
      errno = saved;
      return;
    }
  line = format_line (level, prefix, msg);
  (void) write_all (logger.fd, line, strlen (line));
  errno = saved;
}

void
log_report_error (cryo_error_t err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";

  fprintf (stderr, "cryo: %s\n", msg);
  if (logger.fd >= 0)
    {
      cleanup_free char *line = format_line (LOG_LEVEL_ERROR, "", msg);
      (void) write_all (logger.fd, line, strlen (line));
    }
}
