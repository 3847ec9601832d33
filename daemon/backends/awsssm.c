/*
 * awsssm.c - AWS SSM Parameter Store (vals' awsssm, reference/vals.md §2.3):
 * ref+awsssm://PATH[?region=&version=&mode=singleparam&recursive=true&profile=&role_arn=]
 *
 *  string mode: GetParameter(Name=/PATH, WithDecryption) -> the value; with version=N,
 *    GetParameterHistory (all pages) and the entry whose Version is N.
 *  map mode: GetParametersByPath(Path=/PATH, Recursive=recursive, WithDecryption), every
 *    page, built into vals' nested map (/PATH/a/b = v -> {a: {b: v}}); so `#/a` and `#/b`
 *    under one path cost one listing.  With mode=singleparam: the one parameter's value
 *    parsed as a YAML/JSON mapping.
 * Deviation from vals: a trailing '/' of PATH is ignored in map mode (vals fails with
 * "unexpected format of parameter"); where a value and a subtree meet in recursive mode,
 * the subtree always wins (vals: whichever came last).
 */
#include <stdlib.h>
#include <string.h>

#include "../aws_call.h"
#include "../aws_resp.h"
#include "../backend.h"
#include "../cloud_call.h"
#include "lib/local_refs.h"

#define SSM_MAX_PAGES 500

static const char *const ssm_env_prefixes[] = {"AWS_", "HOME", "VALS_", NULL};

enum ssm_op { SSM_GET, SSM_HISTORY, SSM_BY_PATH };

struct ssm_fetch {
    struct backend_fetch *f;
    struct aws_settings s;
    enum ssm_op op;
    char *name;    /* "/PATH" (or an ARN) */
    char *prefix;  /* by path: "/PATH" without trailing '/' ("" for the root) */
    int recursive; /* by path */
    int singleparam;
    int64_t version; /* history: the wanted version */
    char *token;     /* NextToken of the last page */
    int pages;
    struct doc *map;   /* by path: the tree so far */
    struct dbuf found; /* history: the value of the wanted version */
    int have;
    struct verr e;
};

/* Complete the fetch (errors name the parameter) and free the state. */
static void ssm_done(struct ssm_fetch *st, int err, struct doc *value, const char *msg)
{
    if (err != 0)
        backend_complete(st->f, err, NULL, "awsssm: parameter \"%.300s\": %s", st->name,
                         msg != NULL && msg[0] ? msg : vals_strerror(err));
    else
        backend_complete(st->f, 0, value, NULL);
    aws_settings_free(&st->s);
    free(st->name);
    free(st->prefix);
    free(st->token);
    doc_free(st->map);
    dbuf_free(&st->found);
    free(st);
}

/* The value of a single parameter as the fetch's document (string or mapping). */
static void ssm_value_done(struct ssm_fetch *st, const char *v, size_t len)
{
    struct doc *d = NULL;
    struct verr e = {0};
    int rc = 0;

    if (st->f->mode == BACKEND_MAP)
        rc = local_parse_map(v, len, "the parameter", &d, &e);
    else if ((d = doc_str(v, len)) == NULL)
        rc = verr_set(&e, VALS_ENOMEM, "out of memory");
    ssm_done(st, rc, d, e.msg);
}

static int ssm_send(struct ssm_fetch *st);

/* GetParametersByPath page element: into the nested map. */
static int add_param(void *arg, const char *name, size_t nlen, const char *value, size_t vlen,
                     int64_t version)
{
    struct ssm_fetch *st = arg;

    (void)version;
    return aws_ssm_map_add(st->map, st->prefix, name, nlen, value, vlen, st->recursive, &st->e);
}

/* GetParameterHistory page element: keep the wanted version. */
static int find_version(void *arg, const char *name, size_t nlen, const char *value, size_t vlen,
                        int64_t version)
{
    struct ssm_fetch *st = arg;

    (void)name;
    (void)nlen;
    if (version != st->version || st->have)
        return 0;
    st->have = 1;
    dbuf_reset(&st->found);
    return dbuf_add(&st->found, value, vlen) == 0 ? dbuf_reserve(&st->found, 0) : VALS_ENOMEM;
}

/* A page or a value arrived: collect it, ask for the next page, or finish. */
static void on_reply(void *data, int err, const char *msg, const char *body, size_t len)
{
    struct ssm_fetch *st = data;
    struct dbuf val = DBUF_INIT;
    char *next = NULL;
    int rc;

    if (err != 0) {
        ssm_done(st, err, NULL, msg);
        return;
    }
    if (st->op == SSM_GET) {
        rc = aws_ssm_parameter_value(body, len, &val, &st->e);
        if (rc == 0)
            ssm_value_done(st, val.p != NULL ? val.p : "", val.len);
        else
            ssm_done(st, rc, NULL, st->e.msg);
        dbuf_free(&val);
        return;
    }
    rc = aws_ssm_page(body, len, st->op == SSM_BY_PATH ? add_param : find_version, st, &next,
                      &st->e);
    if (rc != 0) {
        free(next);
        ssm_done(st, rc, NULL, st->e.msg[0] ? st->e.msg : vals_strerror(rc));
        return;
    }
    free(st->token);
    st->token = next;
    if (st->op == SSM_HISTORY && st->have) {
        ssm_value_done(st, st->found.p != NULL ? st->found.p : "", st->found.len);
        return;
    }
    if (st->token != NULL) { /* more pages (a page may be empty and still have a token) */
        if (++st->pages >= SSM_MAX_PAGES) {
            ssm_done(st, VALS_ETOO_LARGE, NULL, "more than 500 result pages");
            return;
        }
        if ((rc = ssm_send(st)) != 0)
            ssm_done(st, rc, NULL, st->e.msg);
        return;
    }
    if (st->op == SSM_HISTORY) {
        verr_set(&st->e, VALS_ENOT_FOUND, "GetParameterHistory (%s): no version %lld", st->s.region,
                 (long long)st->version);
        ssm_done(st, VALS_ENOT_FOUND, NULL, st->e.msg);
    } else if (st->map->v.map.len == 0) {
        verr_set(&st->e, VALS_ENOT_FOUND, "GetParametersByPath (%s): no parameters under %s%s",
                 st->s.region, st->name, st->recursive ? "" : " (not recursive)");
        ssm_done(st, VALS_ENOT_FOUND, NULL, st->e.msg);
    } else {
        struct doc *m = st->map;
        st->map = NULL;
        ssm_done(st, 0, m, NULL);
    }
}

/* Send the request of the current step (and page). */
static int ssm_send(struct ssm_fetch *st)
{
    struct dbuf body = DBUF_INIT;
    const char *target;
    int rc;

    rc = dbuf_adds(&body, st->op == SSM_BY_PATH ? "{\"Path\":" : "{\"Name\":");
    if (rc == 0)
        rc = aws_json_str(&body,
                          st->op == SSM_BY_PATH ? (st->prefix[0] ? st->prefix : "/") : st->name);
    if (rc == 0)
        rc = dbuf_adds(&body, ",\"WithDecryption\":true");
    if (rc == 0 && st->op == SSM_BY_PATH)
        rc = dbuf_printf(&body, ",\"Recursive\":%s,\"MaxResults\":10",
                         st->recursive ? "true" : "false");
    if (rc == 0 && st->op == SSM_HISTORY)
        rc = dbuf_adds(&body, ",\"MaxResults\":50");
    if (rc == 0 && st->token != NULL) {
        rc = dbuf_adds(&body, ",\"NextToken\":");
        if (rc == 0)
            rc = aws_json_str(&body, st->token);
    }
    if (rc == 0)
        rc = dbuf_addc(&body, '}');
    target = st->op == SSM_GET       ? "AmazonSSM.GetParameter"
             : st->op == SSM_HISTORY ? "AmazonSSM.GetParameterHistory"
                                     : "AmazonSSM.GetParametersByPath";
    if (rc == 0)
        rc = aws_call(st->f->loop, &st->s, &aws_svc_ssm, target, body.p, body.len, on_reply, st,
                      &st->e);
    else
        verr_set(&st->e, rc, "%s", vals_strerror(rc));
    dbuf_free(&body);
    return rc;
}

/* Choose the operation (value, version, path) and send the first request. */
static int ssm_fetch(struct backend_fetch *f)
{
    struct ssm_fetch *st = calloc(1, sizeof(*st));
    const char *key = f->ref.key, *mode, *version, *recursive;
    struct dbuf name = DBUF_INIT;
    int rc;

    if (st == NULL)
        return VALS_ENOMEM;
    st->f = f;
    dbuf_init(&st->found, 0);
    /* vals: a leading '/' is added; an ARN is used as it is */
    if (key[0] == '/' || !strncmp(key, "arn:", 4))
        rc = dbuf_adds(&name, key);
    else
        rc = dbuf_printf(&name, "/%s", key);
    if (rc != 0 || (st->name = dbuf_take(&name, NULL)) == NULL) {
        dbuf_free(&name);
        free(st);
        return VALS_ENOMEM;
    }
    if (key[0] == '\0') {
        ssm_done(st, VALS_EBAD_REF, NULL, "the ref names no parameter");
        return 0;
    }
    if ((rc = aws_settings_load(f->ctx, &f->ref, &aws_svc_ssm, &st->s, &st->e)) != 0) {
        ssm_done(st, rc, NULL, st->e.msg);
        return 0;
    }
    mode = cloud_option(&f->ref, f->ctx, "mode");
    version = cloud_option(&f->ref, f->ctx, "version");
    recursive = cloud_option(&f->ref, f->ctx, "recursive");
    st->singleparam = mode != NULL && !strcmp(mode, "singleparam");
    st->recursive = recursive != NULL && !strcmp(recursive, "true");
    if (mode != NULL && mode[0] != '\0' && !st->singleparam) {
        ssm_done(st, VALS_EBAD_REF, NULL, "mode must be \"singleparam\" when given");
        return 0;
    }
    if (f->mode == BACKEND_MAP && !st->singleparam) {
        size_t pl = strlen(st->name);
        st->op = SSM_BY_PATH;
        while (pl > 0 && st->name[pl - 1] == '/')
            pl--;
        if ((st->prefix = strndup(st->name, pl)) == NULL) {
            ssm_done(st, VALS_ENOMEM, NULL, "out of memory");
            return 0;
        }
        if ((st->map = doc_map()) == NULL) {
            ssm_done(st, VALS_ENOMEM, NULL, "out of memory");
            return 0;
        }
    } else if (version != NULL && version[0] != '\0') {
        char *end;
        long long v = strtoll(version, &end, 10);
        if (*end != '\0' || v <= 0) {
            ssm_done(st, VALS_EBAD_REF, NULL, "version must be a positive integer");
            return 0;
        }
        st->op = SSM_HISTORY;
        st->version = v;
    } else {
        st->op = SSM_GET;
    }
    if ((rc = ssm_send(st)) != 0)
        ssm_done(st, rc, NULL, st->e.msg);
    return 0;
}

const struct backend backend_awsssm = {
    .scheme = "awsssm",
    .flags = 0,
    .env_prefixes = ssm_env_prefixes,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = ssm_fetch,
    .fresh = NULL,
};
