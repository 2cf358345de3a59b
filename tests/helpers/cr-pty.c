/* The console across a checkpoint (terminal: true): the controlling
 * terminal, its session and foreground group, termios settings and the
 * window size are the same on the new pty, and it carries data. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <sys/ioctl.h>
#include <termios.h>

int
main (void)
{
  struct termios t, got;
  struct winsize ws = { .ws_row = 41, .ws_col = 123 }, gws;
  char line[64] = "";

  CRT_CHECK (isatty (0) && tcgetattr (0, &t) == 0, "no terminal");
  t.c_lflag &= ~(ECHO | ICANON);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 3;
  CRT_CHECK (tcsetattr (0, TCSANOW, &t) == 0 && ioctl (0, TIOCSWINSZ, &ws) == 0, "set the terminal");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (isatty (0) && isatty (1) && getsid (0) == getpid (), "the session");
  CRT_CHECK (tcgetpgrp (0) == getpgrp (), "the foreground group");
  CRT_CHECK (tcgetattr (0, &got) == 0 && !(got.c_lflag & (ECHO | ICANON)) && got.c_cc[VTIME] == 3, "termios");
  CRT_CHECK (ioctl (0, TIOCGWINSZ, &gws) == 0 && gws.ws_row == 41 && gws.ws_col == 123, "window size %dx%d",
             gws.ws_row, gws.ws_col);
  CRT_CHECK (write (1, "pty-works\n", 10) == 10, "write to the terminal");
  (void)line;
  crt_pass ();
}
