/*
 * cmd-secret-manager-generate.c - "rmk secret manager generate": render every selected
 * etc/<scope>/<env>/secrets/.spec.yaml.gotmpl and write one secret file per generation rule
 * (reference/rmk.md §2.1.1-§2.1.2), with these fixes over RMK:
 *
 *   - nothing is written until every rule of every spec has rendered: a failing rule names
 *     the spec file, the rule, its line and the template position, and no file changes;
 *   - files are written atomically with mode 0600 (with --encrypt, SOPS-encrypted with the
 *     scope's .sops.yaml before anything reaches the disk);
 *   - prompt and fetchSecretValue never run for rules that are skipped: the first pass writes
 *     their calls back as template text, the second pass runs them for generated rules only
 *     (if a first-pass pipeline transforms such a call's result, the whole spec falls back to
 *     running them in the first pass, with a warning);
 *   - every literal fetchSecretValue ref of the generated rules is resolved in one
 *     resolve_many before the second pass.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/dbuf.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-config.h"
#include "rmk-funcs.h"
#include "rmk-generate.h"
#include "rmk-project.h"

#define SPEC_FILE ".spec.yaml.gotmpl"

struct rule {
    char *spec; /* the spec file */
    char *name;
    char *target; /* <dir>/<name>.yaml */
    char *text;   /* the rule's template after the first pass */
    unsigned line;
    int skip;
    int pass2;
    struct dbuf out; /* the file content to write */
};

struct plan {
    struct rule *rules;
    size_t n, cap;
};

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->rules[i].spec);
        free(p->rules[i].name);
        free(p->rules[i].target);
        secure_free_str(p->rules[i].text);
        dbuf_free(&p->rules[i].out);
    }
    free(p->rules);
    memset(p, 0, sizeof(*p));
}

static size_t count(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, nl = strlen(needle);

    for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, nl)) != NULL; p += nl)
        n++;
    return n;
}

/* Render a template text with the rmk function set. */
static int render(const char *name, const char *text, size_t len, enum tmpl_missingkey mk,
                  struct rmk_funcs_ctx *fctx, struct dbuf *out, struct verr *e)
{
    struct tmpl *t = tmpl_new(name);
    int rc;

    if (t == NULL)
        return VALS_ENOMEM;
    tmpl_set_missingkey(t, mk);
    rc = rmk_funcs_register(t, fctx);
    if (rc == 0)
        rc = tmpl_parse(t, text, len, e);
    if (rc == 0)
        rc = tmpl_execute(t, NULL, NULL, out, e);
    tmpl_free(t);
    return rc;
}

/* Pass 1 of one spec and the plan of its rules. */
static int plan_spec(const char *dir, int force, struct rmk_funcs_ctx *fctx, struct plan *p,
                     struct verr *e)
{
    char spec[4200];
    struct dbuf src = DBUF_INIT, out = DBUF_INIT;
    struct doc_stream st = {0};
    const struct doc *rules;
    int rc;

    snprintf(spec, sizeof(spec), "%s/%s", dir, SPEC_FILE);
    if ((rc = local_read_file(spec, 16u << 20, &src, e)) != 0)
        goto out;
    fctx->defer = 1;
    fctx->deferred = 0;
    rc = render(spec, src.p, src.len, TMPL_MISSINGKEY_ZERO, fctx, &out, e);
    if (rc == 0 && fctx->deferred > count(out.p ? out.p : "", out.len, "{{ fetchSecretValue ") +
                                        count(out.p ? out.p : "", out.len, "{{ prompt ")) {
        /* a pipeline changed a deferred call's result: run the calls in this pass */
        fprintf(stderr,
                "rmk secret manager generate: warning: %s transforms the result of prompt or "
                "fetchSecretValue in the first pass; they run for every rule of this spec\n",
                spec);
        dbuf_reset(&out);
        fctx->defer = 0;
        rc = render(spec, src.p, src.len, TMPL_MISSINGKEY_ZERO, fctx, &out, e);
    }
    fctx->defer = 0;
    if (rc != 0)
        goto out;
    if ((rc = doc_parse_yaml(out.p ? out.p : "", out.len, spec, 0, &st, e)) != 0) {
        verr_prefix(e, "after rendering");
        goto out;
    }
    if (st.len == 0 || st.docs[0]->type == DOC_NULL)
        goto out; /* an empty spec: no rules */
    if (st.docs[0]->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "%s: expected a map with generation-rules", spec);
        goto out;
    }
    rules = doc_map_getz(st.docs[0], "generation-rules");
    if (rules == NULL || rules->type == DOC_NULL)
        goto out;
    if (rules->type != DOC_LIST) {
        rc = verr_set(e, VALS_EPARSE, "%s:%u: generation-rules must be a list", spec, rules->line);
        goto out;
    }
    for (size_t i = 0; i < rules->v.list.len; i++) {
        const struct doc *r = rules->v.list.items[i], *name, *tpl;
        struct rule *ru;
        char target[4400];
        if (r->type == DOC_COMMENT)
            continue;
        name = r->type == DOC_MAP ? doc_map_getz(r, "name") : NULL;
        tpl = r->type == DOC_MAP ? doc_map_getz(r, "template") : NULL;
        if (name == NULL || name->type != DOC_STR || name->v.s.len == 0 ||
            strchr(name->v.s.ptr, '/') != NULL || name->v.s.ptr[0] == '.') {
            rc = verr_set(e, VALS_EPARSE, "%s:%u: each rule needs a file-name-safe 'name'", spec,
                          r->line);
            goto out;
        }
        if (tpl == NULL || (tpl->type != DOC_STR && tpl->type != DOC_NULL)) {
            rc = verr_set(e, VALS_EPARSE, "%s:%u: rule %s needs a string 'template'", spec, r->line,
                          name->v.s.ptr);
            goto out;
        }
        for (size_t k = 0; k < p->n; k++) {
            if (!strcmp(p->rules[k].spec, spec) && !strcmp(p->rules[k].name, name->v.s.ptr)) {
                rc = verr_set(e, VALS_EPARSE, "%s:%u: rule %s is defined twice", spec, r->line,
                              name->v.s.ptr);
                goto out;
            }
        }
        if (p->n == p->cap) {
            size_t c = p->cap ? p->cap * 2 : 16;
            struct rule *nr = realloc(p->rules, c * sizeof(*nr));
            if (nr == NULL) {
                rc = VALS_ENOMEM;
                goto out;
            }
            p->rules = nr;
            p->cap = c;
        }
        ru = &p->rules[p->n];
        memset(ru, 0, sizeof(*ru));
        snprintf(target, sizeof(target), "%s/%s.yaml", dir, name->v.s.ptr);
        ru->spec = strdup(spec);
        ru->name = strdup(name->v.s.ptr);
        ru->target = strdup(target);
        ru->text = strdup(tpl->type == DOC_STR ? tpl->v.s.ptr : "");
        ru->line = tpl->line;
        p->n++;
        if (ru->spec == NULL || ru->name == NULL || ru->target == NULL || ru->text == NULL) {
            rc = VALS_ENOMEM;
            goto out;
        }
        ru->skip = fsutil_exists(target) && !force;
        ru->pass2 = strstr(ru->text, "prompt") != NULL || strstr(ru->text, "requiredEnv") != NULL ||
                    strstr(ru->text, "fetchSecretValue") != NULL;
    }
out:
    doc_stream_free(&st);
    dbuf_free(&src);
    dbuf_free(&out);
    return rc;
}

int rmk_generate(const struct rmk_generate_opts *o, struct verr *e)
{
    struct rmk_project proj;
    struct rmk_funcs_ctx fctx;
    struct plan plan = {0};
    struct doc *cfg = NULL;
    char **dirs = NULL, **refs = NULL;
    size_t ndirs = 0, nrefs = 0, generated = 0;
    int rc;

    rmk_funcs_ctx_init(&fctx);
    memset(&proj, 0, sizeof(proj));
    if ((rc = rmk_project_identity(&proj, e)) != 0)
        goto out;
    rc = rmk_project_load(&proj, e);
    if (rc != 0 && rc != VALS_ENOT_FOUND)
        goto out;
    /* the active provider's credentials win over exported variables */
    if ((rc = rmk_config_load(proj.id, &cfg, e)) != 0 ||
        (rc = rmk_provider_env(cfg, &fctx.extra, e)) != 0)
        goto out;
    if ((rc = rmk_select_secret_dirs(&proj, SPEC_FILE, o->scopes, o->nscopes, o->envs, o->nenvs,
                                     &dirs, &ndirs, e)) != 0)
        goto out;
    if (ndirs == 0)
        printf("no %s found in the selected directories\n", SPEC_FILE);
    for (size_t i = 0; i < ndirs && rc == 0; i++)
        rc = plan_spec(dirs[i], o->force, &fctx, &plan, e);
    if (rc != 0)
        goto out;
    /* every literal ref of the rules that will be generated, in one round trip */
    for (size_t i = 0; i < plan.n && rc == 0; i++)
        if (!plan.rules[i].skip && plan.rules[i].pass2)
            rc = rmk_funcs_collect(plan.rules[i].text, strlen(plan.rules[i].text), &refs, &nrefs);
    if (rc == 0 && nrefs > 0)
        rc = rmk_funcs_prefetch(&fctx, refs, nrefs, e);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < plan.n && rc == 0; i++) {
        struct rule *r = &plan.rules[i];
        char name[4600];
        if (r->skip) {
            printf("%s exists, new secret generation was skipped\n", r->target);
            continue;
        }
        if (r->pass2) {
            /* the prefix below names the spec file; the template is named after the rule */
            snprintf(name, sizeof(name), "%s", r->name);
            rc = render(name, r->text, strlen(r->text), TMPL_MISSINGKEY_ERROR, &fctx, &r->out, e);
            if (rc != 0) {
                verr_prefix(e, "%s: rule %s (template at line %u)", r->spec, r->name, r->line);
                break;
            }
        } else {
            rc = dbuf_adds(&r->out, r->text);
        }
        if (rc == 0 && o->encrypt)
            rc = rmk_encrypt_for_file(r->target, &r->out, e);
    }
    if (rc != 0)
        goto out;
    /* everything rendered: now write, as one batch */
    {
        struct fsutil_item *items = calloc(plan.n + 1, sizeof(*items));
        size_t ni = 0;
        if (items == NULL) {
            rc = VALS_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < plan.n; i++) {
            struct rule *r = &plan.rules[i];
            if (r->skip)
                continue;
            items[ni].path = r->target;
            items[ni].data = r->out.p ? r->out.p : "";
            items[ni].len = r->out.len;
            items[ni++].mode = 0600;
        }
        rc = fsutil_write_batch(items, ni, e);
        free(items);
        for (size_t i = 0; rc == 0 && i < plan.n; i++) {
            if (plan.rules[i].skip)
                continue;
            printf("generating: %s%s\n", plan.rules[i].target, o->encrypt ? " (encrypted)" : "");
            generated++;
        }
    }
    if (rc == 0 && o->stats)
        printf("%zu files generated, %zu skipped, %zu refs fetched\n", generated,
               plan.n - generated, fctx.fetched);
out:
    rmk_strv_free(refs, nrefs);
    rmk_strv_free(dirs, ndirs);
    plan_free(&plan);
    doc_free(cfg);
    rmk_funcs_ctx_free(&fctx);
    rmk_project_free(&proj);
    return rc;
}

static int cmd_generate_exec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scope", required_argument, NULL, 's'}, {"environment", required_argument, NULL, 'e'},
        {"force", no_argument, NULL, 'f'},       {"encrypt", no_argument, NULL, 'x'},
        {"stats", no_argument, NULL, 'S'},       {NULL, 0, NULL, 0}};
    struct rmk_generate_opts o;
    struct verr e = {0};
    int ch, rc;

    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:e:f", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (o.nscopes < RMK_MAX_SELECT)
                o.scopes[o.nscopes++] = optarg;
            break;
        case 'e':
            if (o.nenvs < RMK_MAX_SELECT)
                o.envs[o.nenvs++] = optarg;
            break;
        case 'f':
            o.force = 1;
            break;
        case 'x':
            o.encrypt = 1;
            break;
        case 'S':
            o.stats = 1;
            break;
        default:
            return CMD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cmd_error(&cmd_secret_manager_generate_entry, "takes no positional arguments");
        return CMD_EXIT_USAGE;
    }
    if (getenv("RMK_SECRET_MANAGER_SCOPE") && o.nscopes == 0)
        o.scopes[o.nscopes++] = getenv("RMK_SECRET_MANAGER_SCOPE");
    if (getenv("RMK_SECRET_MANAGER_ENVIRONMENT") && o.nenvs == 0)
        o.envs[o.nenvs++] = getenv("RMK_SECRET_MANAGER_ENVIRONMENT");
    rc = rmk_generate(&o, &e);
    if (rc != 0)
        cmd_error(&cmd_secret_manager_generate_entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_manager_generate_entry = {
    .name = "secret manager generate",
    .alias = "secret m g",
    .usage = "[-s SCOPE]... [-e ENV]... [--force] [--encrypt]",
    .help = "Render the secrets generation rules and write one secret file per rule.",
    .details =
        "  -s, --scope SCOPE        only etc/SCOPE ($RMK_SECRET_MANAGER_SCOPE; repeatable)\n"
        "  -e, --environment ENV    only environment ENV ($RMK_SECRET_MANAGER_ENVIRONMENT;\n"
        "                           repeatable; must be in project.spec.environments)\n"
        "  -f, --force              regenerate files that exist\n"
        "      --encrypt            SOPS-encrypt each file with its scope's .sops.yaml before\n"
        "                           it is written\n\n"
        "Each secrets/.spec.yaml.gotmpl is a Go template (Sprig, requiredEnv, prompt,\n"
        "fetchSecretValue) that renders to 'generation-rules: [{name, template}]'; rule NAME\n"
        "becomes secrets/NAME.yaml (mode 0600). Existing files are skipped unless --force.\n"
        "prompt and fetchSecretValue run only for rules that are generated; all literal\n"
        "fetchSecretValue refs are resolved by valsd in one round trip. If any rule fails,\n"
        "no file is written. A ref+ string outside fetchSecretValue is written as is.\n",
    .exec = cmd_generate_exec,
};
