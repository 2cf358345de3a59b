/* Logging: to stderr, or to the file given with --log, as text or as the JSON
 * lines runc writes (containerd's shim reads the last "error" line back).
 *
 * Each .c file may `#define LOG_PREFIX "mount: "` before including this header
 * so its messages say where they come from. */
#ifndef CRYO_LOG_H
#define CRYO_LOG_H

#include <stdbool.h>

#include "lib/error.h"

enum log_level
{
  LOG_LEVEL_ERROR,
  LOG_LEVEL_WARNING,
  LOG_LEVEL_INFO,
  LOG_LEVEL_DEBUG,
};

enum log_format
{
  LOG_FORMAT_TEXT,
  LOG_FORMAT_JSON,
};

/* Configure once from the global flags.  path NULL: stderr. */
int log_init (const char *path, const char *format, bool debug, cryo_error_t *err);
bool log_debug_enabled (void);
void log_msg (enum log_level level, const char *prefix, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Print a failed command's error: one line on stderr, and in the log file. */
void log_report_error (cryo_error_t err);

#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif

#define log_debug(...)                                  \
  do                                                    \
    {                                                   \
      if (log_debug_enabled ())                         \
        log_msg (LOG_LEVEL_DEBUG, LOG_PREFIX, __VA_ARGS__); \
    }                                                   \
  while (0)
#define log_info(...) log_msg (LOG_LEVEL_INFO, LOG_PREFIX, __VA_ARGS__)
#define log_warning(...) log_msg (LOG_LEVEL_WARNING, LOG_PREFIX, __VA_ARGS__)

#endif
