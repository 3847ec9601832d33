/*
 * creds/oauth.h - the OAuth 2.0 token endpoint calls shared by the Google and Entra ID
 * credential code: a form-encoded POST whose `access_token` (with `expires_in`) completes
 * a pending entry of the token cache (creds/tokens.h).
 */
#ifndef VALSD_CREDS_OAUTH_H
#define VALSD_CREDS_OAUTH_H

#include <uv.h>

#include "daemon/cloud_call.h"
#include "lib/dbuf.h"
#include "tokens.h"

/* Append "&name=value", form-encoded, to a request body. */
int oauth_form(struct dbuf *b, const char *name, const char *value);
/* POST `body` to `url`; the answer completes `p` (the token is cached until shortly before
 * it expires).  `what` names the endpoint in error messages (no secret in it).  0, or an
 * error (then p is not completed). */
int oauth_request(uv_loop_t *loop, const char *url, const struct dbuf *body,
                  const struct cloud_tls *tls, struct tokens_fetch *p, const char *what,
                  struct verr *e);

#endif
