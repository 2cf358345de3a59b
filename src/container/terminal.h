/* The container's terminal: a pty made inside the container, its master
 * sent to --console-socket (runc's protocol) or proxied by a foreground
 * `cryo run`. */
#ifndef CRYO_TERMINAL_H
#define CRYO_TERMINAL_H

#include <stdbool.h>
#include <termios.h>

#include "lib/error.h"
#include "spec/spec.h"

/**
 * terminal_setup - in init, after pivot: open the container's /dev/ptmx,
 * size it from process.consoleSize, make the other end the controlling
 * terminal (init is a session leader) and stdin/stdout/stderr.
 * @master: receives the master, close-on-exec.
 */
int terminal_setup (const struct spec_process *p, int *master, cryo_error_t *err);

/* Connect to the AF_UNIX socket at @path (before the container is made). */
int terminal_connect_console_socket (const char *path, int *fd, cryo_error_t *err);

/* Send @master over @sock with its name as payload (runc's utils.SendFd). */
int terminal_send_master (int sock, int master, cryo_error_t *err);

/* The foreground run's own terminal in raw mode; restore with terminal_restore. */
int terminal_make_raw (int fd, struct termios *saved, cryo_error_t *err);
void terminal_restore (int fd, const struct termios *saved);

/* Give @to the window size of @from (both ttys); best effort. */
void terminal_copy_size (int from, int to);

#endif
