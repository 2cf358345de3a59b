/* Ptys for containers (see terminal.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/terminal.h"
#include "lib/util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* The pty pair is made in the container's devpts, after pivot, so the
 * container never sees a host pty; TIOCGPTPEER gives the other end without a
 * path lookup. */
int
terminal_setup (const struct spec_process *p, int *master_out, cryo_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  cleanup_close int slave = -1;
  struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
  struct termios tio;
  int unlock = 0;

  if (master < 0)
    return cryo_error (err, errno, "process.terminal: open the container's `/dev/ptmx`");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return cryo_error (err, errno, "process.terminal: unlock the pty");
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return cryo_error (err, errno, "process.terminal: open the pty's other end");
  /* Programs fed through a console socket expect "\n", not "\r\n" (runc). */
  if (tcgetattr (slave, &tio) == 0)
    {
      tio.c_oflag &= ~ONLCR;
      tcsetattr (slave, TCSANOW, &tio);
    }
  if ((ws.ws_row || ws.ws_col) && ioctl (slave, TIOCSWINSZ, &ws) < 0)
    return cryo_error (err, errno, "process.consoleSize: set the pty size");
  if (fchown (slave, p->user.uid, (gid_t) -1) < 0 && errno != EINVAL)
    return cryo_error (err, errno, "process.terminal: give the pty to uid %u", p->user.uid);
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return cryo_error (err, errno, "process.terminal: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return cryo_error (err, errno, "process.terminal: dup the pty to fd %d", fd);
  *master_out = move_fd (&master);
  return 0;
}

int
terminal_connect_console_socket (const char *path, int *fd_out, cryo_error_t *err)
{
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (fd < 0)
    return cryo_error (err, errno, "--console-socket: socket");
  if (strlen (path) >= sizeof (addr.sun_path))
    return cryo_error (err, 0, "--console-socket: path `%s` is too long for a socket", path);
  strcpy (addr.sun_path, path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return cryo_error (err, errno, "--console-socket: connect to `%s`", path);
  *fd_out = move_fd (&fd);
  return 0;
}

int
terminal_send_master (int sock, int master, cryo_error_t *err)
{
  static const char name[] = "/dev/ptmx";
  char cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { (void *) name, sizeof (name) - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  ssize_t r;

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master, sizeof (int));
  do
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cryo_error (err, errno, "--console-socket: send the pty master");
  return 0;
}

int
terminal_make_raw (int fd, struct termios *saved, cryo_error_t *err)
{
  struct termios raw;

  if (tcgetattr (fd, saved) < 0)
    return cryo_error (err, errno, "get the terminal's attributes");
  raw = *saved;
  cfmakeraw (&raw);
  /* Keep output processing: the container's pty already does it. */
  raw.c_oflag = saved->c_oflag;
  if (tcsetattr (fd, TCSANOW, &raw) < 0)
    return cryo_error (err, errno, "set the terminal to raw mode");
  return 0;
}

void
terminal_restore (int fd, const struct termios *saved)
{
  tcsetattr (fd, TCSANOW, saved);
}

void
terminal_copy_size (int from, int to)
{
  struct winsize ws;

  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}
