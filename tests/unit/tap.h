/* A tiny TAP producer for the C unit tests.
 *
 *   static int test_x (void) { CHECK (1 + 1 == 2); return 0; }
 *   int main (void) { TAP_PLAN (1); RUN_TEST (test_x); return tap_exit (); }
 *
 * A test returns 0 (ok), 77 (skip) or anything else (not ok).  CHECK prints
 * the failing expression and line as a TAP diagnostic and fails the test. */
#ifndef CRYO_TAP_H
#define CRYO_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_number;
static int tap_failed;

#define TAP_PLAN(n) printf ("1..%d\n", (n))

#define RUN_TEST(fn)                                              \
  do                                                              \
    {                                                             \
      int tap_ret_ = fn ();                                       \
      tap_number++;                                               \
      if (tap_ret_ == 0)                                          \
        printf ("ok %d - %s\n", tap_number, #fn);                 \
      else if (tap_ret_ == 77)                                    \
        printf ("ok %d - %s # SKIP\n", tap_number, #fn);          \
      else                                                        \
        {                                                         \
          tap_failed++;                                           \
          printf ("not ok %d - %s\n", tap_number, #fn);           \
        }                                                         \
      fflush (stdout);                                            \
    }                                                             \
  while (0)

#define CHECK(expr)                                                        \
  do                                                                       \
    {                                                                      \
      if (!(expr))                                                         \
        {                                                                  \
          printf ("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
          return 1;                                                        \
        }                                                                  \
    }                                                                      \
  while (0)

#define CHECK_STR(a, b)                                                     \
  do                                                                        \
    {                                                                       \
      const char *tap_a_ = (a), *tap_b_ = (b);                              \
      if (tap_a_ == NULL || tap_b_ == NULL || strcmp (tap_a_, tap_b_) != 0) \
        {                                                                   \
          printf ("# %s:%d: `%s` is \"%s\", expected \"%s\"\n", __FILE__,  \
                  __LINE__, #a, tap_a_ ? tap_a_ : "(null)",                 \
                  tap_b_ ? tap_b_ : "(null)");                              \
          return 1;                                                         \
        }                                                                   \
    }                                                                       \
  while (0)

/* The error message contains this text. */
#define CHECK_ERR_CONTAINS(err, text)                                        \
  do                                                                         \
    {                                                                        \
      if ((err) == NULL || strstr ((err)->msg, (text)) == NULL)              \
        {                                                                    \
          printf ("# %s:%d: error \"%s\" does not contain \"%s\"\n",        \
                  __FILE__, __LINE__, (err) ? (err)->msg : "(none)", (text)); \
          return 1;                                                          \
        }                                                                    \
    }                                                                        \
  while (0)

static inline int
tap_exit (void)
{
  return tap_failed ? 1 : 0;
}

#endif
