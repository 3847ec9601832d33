/*
 * awssecrets.c - AWS Secrets Manager (vals' awssecrets, reference/vals.md §2.3):
 * ref+awssecrets://NAME[?region=&version_stage=&version_id=&profile=&role_arn=][#/path]
 * NAME may be a full ARN (ref+awssecrets://arn:aws:secretsmanager:REGION:ACCT:secret:x).
 *
 * One GetSecretValue per locator: string mode = SecretString (or the decoded
 * SecretBinary); map mode = the secret parsed as a YAML/JSON mapping, so `#username` and
 * `#password` of one secret share one call through the cache.  Credentials, region and
 * endpoint come from the request's context (daemon/creds/aws.h).
 */
#include <stdlib.h>
#include <string.h>

#include "../aws_call.h"
#include "../aws_resp.h"
#include "../backend.h"
#include "../cloud_call.h"
#include "lib/local_refs.h"

static const char *const sm_env_prefixes[] = {"AWS_", "HOME", "VALS_", NULL};

struct sm_fetch {
    struct backend_fetch *f;
    struct aws_settings s;
};

/* Complete the fetch (errors name the secret) and free the state. */
static void sm_done(struct sm_fetch *st, int err, struct doc *value, const char *msg)
{
    if (err != 0)
        backend_complete(st->f, err, NULL, "awssecrets: secret \"%.300s\": %s", st->f->ref.key,
                         msg != NULL && msg[0] ? msg : vals_strerror(err));
    else
        backend_complete(st->f, 0, value, NULL);
    aws_settings_free(&st->s);
    free(st);
}

/* GetSecretValue answered: the value as a string or a parsed mapping. */
static void on_reply(void *data, int err, const char *msg, const char *body, size_t len)
{
    struct sm_fetch *st = data;
    struct dbuf val = DBUF_INIT;
    struct doc *d = NULL;
    struct verr e = {0};
    int binary = 0, rc = err;

    if (rc == 0)
        rc = aws_sm_secret_value(body, len, &val, &binary, &e);
    if (rc == 0 && st->f->mode == BACKEND_MAP)
        rc = local_parse_map(val.p != NULL ? val.p : "", val.len, "the secret", &d, &e);
    else if (rc == 0 && (d = doc_str(val.p != NULL ? val.p : "", val.len)) == NULL)
        rc = verr_set(&e, VALS_ENOMEM, "out of memory");
    dbuf_free(&val);
    sm_done(st, rc, d, err != 0 ? msg : e.msg);
}

/* Start GetSecretValue for the ref (config errors complete at once). */
static int sm_fetch(struct backend_fetch *f)
{
    struct sm_fetch *st = calloc(1, sizeof(*st));
    const char *stage, *vid;
    struct dbuf body = DBUF_INIT;
    struct verr e = {0};
    int rc;

    if (st == NULL)
        return VALS_ENOMEM;
    st->f = f;
    if (f->ref.key[0] == '\0') {
        sm_done(st, VALS_EBAD_REF, NULL, "the ref names no secret");
        return 0;
    }
    if ((rc = aws_settings_load(f->ctx, &f->ref, &aws_svc_secretsmanager, &st->s, &e)) != 0) {
        backend_complete(f, rc, NULL, "awssecrets: secret \"%.300s\": %s", f->ref.key, e.msg);
        free(st);
        return 0;
    }
    stage = cloud_option(&f->ref, f->ctx, "version_stage");
    vid = cloud_option(&f->ref, f->ctx, "version_id");
    rc = dbuf_adds(&body, "{\"SecretId\":");
    if (rc == 0)
        rc = aws_json_str(&body, f->ref.key);
    if (rc == 0 && stage != NULL && stage[0] != '\0') {
        rc = dbuf_adds(&body, ",\"VersionStage\":");
        if (rc == 0)
            rc = aws_json_str(&body, stage);
    }
    if (rc == 0 && vid != NULL && vid[0] != '\0') {
        rc = dbuf_adds(&body, ",\"VersionId\":");
        if (rc == 0)
            rc = aws_json_str(&body, vid);
    }
    if (rc == 0)
        rc = dbuf_addc(&body, '}');
    if (rc == 0)
        rc = aws_call(f->loop, &st->s, &aws_svc_secretsmanager, "secretsmanager.GetSecretValue",
                      body.p, body.len, on_reply, st, &e);
    dbuf_free(&body);
    if (rc != 0)
        sm_done(st, rc, NULL, e.msg);
    return 0;
}

const struct backend backend_awssecrets = {
    .scheme = "awssecrets",
    .flags = 0,
    .env_prefixes = sm_env_prefixes,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = sm_fetch,
    .fresh = NULL,
};
