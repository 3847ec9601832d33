/*
 * server.h - the listening socket of valsd and systemd integration.
 */
#ifndef VALSD_SERVER_H
#define VALSD_SERVER_H

#include <stddef.h>

#include "lib/verr.h"

/* The socket path: `arg` (--socket), else $VALSD_SOCKET, else
 * $XDG_RUNTIME_DIR/valsd/valsd.sock, else /tmp/valsd-<uid>/valsd.sock; checked against
 * sun_path. */
int server_socket_path(const char *arg, char *out, size_t outlen, struct verr *e);
/* Create the socket's directory 0700 if needed and check its owner and mode. */
int server_private_dir(const char *sock, struct verr *e);
/* Listen on the systemd-passed socket, or bind `path`. */
int server_listen(const char *path, struct verr *e);
/* Stop accepting. */
void server_stop(void);
/* sd_notify("READY=1" etc.) when NOTIFY_SOCKET is set. */
void server_notify(const char *state);

#endif
