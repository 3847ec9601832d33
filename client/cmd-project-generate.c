/*
 * cmd-project-generate.c - "rmk project generate": write project.yaml (when missing) from
 * the flags, then the etc/<scope>/<env>/{secrets,values} skeleton, RMK's default files and
 * docs/CODEOWNERS; never overwrites an existing file.  --create-sops-age-keys runs
 * `secret keys create` afterwards (reference/rmk.md §2.2).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <dlfcn.h>

#include "cmd.h"
#include "lib/dbuf.h"
#include "lib/fsutil.h"
#include "rmk-keys.h"
#include "rmk-project.h"

#define UPSTREAM_DEP "cluster-deps.bootstrap.infra"
#define UPSTREAM_URL "git::https://github.com/edenlabllc/{{.Name}}.git?ref={{.Version}}"

struct pg_opts {
    const char *envs[64];
    size_t nenvs;
    const char *owners[64];
    size_t nowners;
    const char *scopes[64];
    size_t nscopes;
    const char *keys[64];
    size_t nkeys;
    int create_keys;
};

static size_t curl_sink(char *p, size_t size, size_t n, void *data)
{
    struct dbuf *b = data;

    return dbuf_add(b, p, size * n) == 0 ? size * n : 0;
}

/*
 * libcurl is loaded only here, when the lookup runs (dlopen): it pulls in some thirty
 * libraries that would otherwise slow down the start of every rmk command.
 */
struct curl_api {
    CURL *(*init)(void);
    CURLcode (*setopt)(CURL *, CURLoption, ...);
    CURLcode (*perform)(CURL *);
    CURLcode (*getinfo)(CURL *, CURLINFO, ...);
    void (*cleanup)(CURL *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

static void *load_curl(struct curl_api *c)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

    memset(c, 0, sizeof(*c));
    if (h == NULL)
        return NULL;
    *(void **)&c->init = dlsym(h, "curl_easy_init");
    *(void **)&c->setopt = dlsym(h, "curl_easy_setopt");
    *(void **)&c->perform = dlsym(h, "curl_easy_perform");
    *(void **)&c->getinfo = dlsym(h, "curl_easy_getinfo");
    *(void **)&c->cleanup = dlsym(h, "curl_easy_cleanup");
    *(void **)&c->slist_append = dlsym(h, "curl_slist_append");
    *(void **)&c->slist_free_all = dlsym(h, "curl_slist_free_all");
    if (!c->init || !c->setopt || !c->perform || !c->getinfo || !c->cleanup || !c->slist_append ||
        !c->slist_free_all) {
        dlclose(h);
        return NULL;
    }
    return h;
}

/* The latest release tag of the upstream dependency, or NULL (network unreachable). */
static char *latest_upstream_release(void)
{
    struct curl_api api;
    struct dbuf b;
    struct curl_slist *h = NULL;
    struct doc *d = NULL;
    const struct doc *tag;
    const char *token = getenv("RMK_GITHUB_TOKEN");
    char auth[512], *out = NULL;
    void *lib;
    CURL *c;
    long status = 0;

    if (getenv("RMK_OFFLINE") != NULL || (lib = load_curl(&api)) == NULL)
        return NULL;
    dbuf_init(&b, 1u << 20);
    if ((c = api.init()) == NULL) {
        dlclose(lib);
        return NULL;
    }
    h = api.slist_append(h, "Accept: application/vnd.github+json");
    if (token != NULL && token[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = api.slist_append(h, auth);
    }
    api.setopt(c, CURLOPT_URL,
               "https://api.github.com/repos/edenlabllc/" UPSTREAM_DEP "/releases/latest");
    api.setopt(c, CURLOPT_HTTPHEADER, h);
    api.setopt(c, CURLOPT_USERAGENT, "rmk/" VALS_VERSION);
    api.setopt(c, CURLOPT_TIMEOUT, 5L);
    api.setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
    api.setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
    api.setopt(c, CURLOPT_WRITEDATA, &b);
    api.setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (api.perform(c) == CURLE_OK && api.getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
        status == 200 && doc_parse_json(b.p, b.len, "GitHub API", &d, NULL) == 0 &&
        d->type == DOC_MAP && (tag = doc_map_getz(d, "tag_name")) != NULL && tag->type == DOC_STR)
        out = strdup(tag->v.s.ptr);
    doc_free(d);
    api.slist_free_all(h);
    api.cleanup(c);
    dbuf_free(&b);
    dlclose(lib);
    return out;
}

static int parse_env_flag(const char *v, char *name, size_t nl, char *domain, size_t dl,
                          struct verr *e)
{
    const char *dot = strchr(v, '.');

    domain[0] = '\0';
    if (dot == NULL) {
        snprintf(name, nl, "%s", v);
        return name[0] ? 0 : verr_set(e, VALS_EUSAGE, "empty environment name");
    }
    if (dot == v || strncmp(dot + 1, "root-domain=", 12) != 0 || dot[13] == '\0')
        return verr_set(e, VALS_EUSAGE,
                        "option %s for environment %.*s not set correctly (expected "
                        "<env>.root-domain=<domain>)",
                        dot + 1, (int)(dot - v), v);
    snprintf(name, nl, "%.*s", (int)(dot - v), v);
    snprintf(domain, dl, "%s", dot + 13);
    return 0;
}

static struct doc *str_list(const char *const *v, size_t n)
{
    struct doc *l = doc_list();

    for (size_t i = 0; l != NULL && i < n; i++)
        if (doc_list_push(l, doc_strz(v[i])) != 0) {
            doc_free(l);
            return NULL;
        }
    return l;
}

/* Build and write project.yaml from the flags. */
static int write_project_yaml(const char *path, const struct pg_opts *o, struct verr *e)
{
    struct doc *root = doc_map(), *proj = doc_map(), *spec = doc_map(), *envs = doc_map();
    const char *scopes[65];
    size_t ns = 0;
    struct dbuf out = DBUF_INIT;
    char *version = latest_upstream_release();
    int rc = 0, has_deps = 0;

    if (root == NULL || proj == NULL || spec == NULL || envs == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < o->nenvs && rc == 0; i++) {
        char name[256], domain[512];
        struct doc *ev = doc_map();
        if ((rc = parse_env_flag(o->envs[i], name, sizeof(name), domain, sizeof(domain), e)) != 0) {
            doc_free(ev);
            goto out;
        }
        if (ev != NULL && domain[0] != '\0')
            rc = doc_map_set(ev, "root-domain", doc_strz(domain));
        if (rc == 0)
            rc = doc_map_set(envs, name, ev);
    }
    for (size_t i = 0; i < o->nscopes; i++)
        has_deps |= !strcmp(o->scopes[i], "deps");
    if (!has_deps)
        scopes[ns++] = "deps";
    for (size_t i = 0; i < o->nscopes; i++)
        scopes[ns++] = o->scopes[i];
    if (version != NULL) {
        struct doc *deps = doc_list(), *dep = doc_map();
        if (deps == NULL || dep == NULL || doc_map_set(dep, "name", doc_strz(UPSTREAM_DEP)) ||
            doc_map_set(dep, "version", doc_strz(version)) ||
            doc_map_set(dep, "url", doc_strz(UPSTREAM_URL)) || doc_list_push(deps, dep) ||
            doc_map_set(proj, "dependencies", deps)) {
            rc = VALS_ENOMEM;
            goto out;
        }
    } else {
        fprintf(stderr,
                "rmk project generate: warning: could not look up the latest release of "
                "%s (network unreachable?); project.yaml has no dependencies\n",
                UPSTREAM_DEP);
    }
    rc = rc != 0 ? rc : doc_map_set(spec, "environments", envs);
    envs = NULL;
    if (rc == 0 && o->nowners > 0)
        rc = doc_map_set(spec, "owners", str_list(o->owners, o->nowners));
    if (rc == 0)
        rc = doc_map_set(spec, "scopes", str_list(scopes, ns));
    if (rc == 0 && o->nkeys > 0)
        rc = doc_map_set(spec, "sops-age-keys", str_list(o->keys, o->nkeys));
    if (rc == 0)
        rc = doc_map_set(proj, "spec", spec);
    spec = NULL;
    if (rc == 0)
        rc = doc_map_set(root, "project", proj);
    proj = NULL;
    if (rc == 0)
        rc = doc_emit_yaml(root, &out, 0);
    if (rc == 0)
        rc = fsutil_create_exclusive(path, out.p, out.len, 0644, e);
    if (rc == 0)
        printf("created %s\n", path);
out:
    free(version);
    doc_free(envs);
    doc_free(spec);
    doc_free(proj);
    doc_free(root);
    dbuf_free(&out);
    return rc;
}

/* Create a file unless it exists (then say so). */
static int put(const char *root, const char *rel, const char *content, struct verr *e)
{
    char path[4096];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    if (fsutil_exists(path)) {
        printf("file %s already exists\n", path);
        return 0;
    }
    rc = fsutil_create_exclusive(path, content, strlen(content), 0644, e);
    if (rc == 0)
        printf("created %s\n", path);
    return rc;
}

static int putf(const char *root, struct verr *e, const char *relfmt, const char *a, const char *b,
                const char *content)
{
    char rel[1024];

    snprintf(rel, sizeof(rel), relfmt, a, b);
    return put(root, rel, content, e);
}

static int write_scope_env(const struct rmk_project *p, const char *scope, const char *env,
                           struct verr *e)
{
    struct dbuf t = DBUF_INIT;
    char dir[4096];
    int rc, tenant_scope = !strcmp(scope, p->tenant);

    snprintf(dir, sizeof(dir), "%s/etc/%s/%s/secrets", p->root, scope, env);
    if ((rc = fsutil_mkdirs(dir, 0755, e)) != 0)
        return rc;
    snprintf(dir, sizeof(dir), "%s/etc/%s/%s/values", p->root, scope, env);
    if ((rc = fsutil_mkdirs(dir, 0755, e)) != 0)
        return rc;
    if (!strcmp(scope, "deps")) {
        static const char *const clouds[] = {"aws", "azure", "gcp"};
        for (size_t i = 0; i < 3 && rc == 0; i++) {
            char rel[1024];
            dbuf_reset(&t);
            dbuf_printf(&t, "# Values of the %s cluster release of scope deps in %s.\n{}\n",
                        clouds[i], env);
            snprintf(rel, sizeof(rel), "etc/deps/%s/values/%s-cluster.yaml.gotmpl", env, clouds[i]);
            rc = put(p->root, rel, t.p, e);
        }
    }
    if (rc == 0) {
        dbuf_reset(&t);
        dbuf_printf(&t, "# Values shared by the releases of scope %s in %s.\nconfigs: {}\n", scope,
                    env);
        rc = putf(p->root, e, "etc/%s/%s/globals.yaml.gotmpl", scope, env, t.p);
        if (rc == 0) {
            dbuf_reset(&t);
            if (tenant_scope)
                dbuf_printf(&t, "# Releases of scope %s enabled in %s.\n%s-app:\n  enabled: true\n",
                            scope, env, p->tenant);
            else
                dbuf_printf(&t, "# Releases of scope %s enabled in %s.\n{}\n", scope, env);
            rc = putf(p->root, e, "etc/%s/%s/releases.yaml", scope, env, t.p);
        }
        if (rc == 0 && tenant_scope) {
            char rel[1024];
            dbuf_reset(&t);
            dbuf_printf(&t, "# Values of release %s-app in %s.\nreplicaCount: 1\n", p->tenant, env);
            snprintf(rel, sizeof(rel), "etc/%s/%s/values/%s-app.yaml.gotmpl", scope, env,
                     p->tenant);
            rc = put(p->root, rel, t.p, e);
        }
        if (rc == 0) {
            dbuf_reset(&t);
            if (tenant_scope)
                dbuf_printf(&t,
                            "# Generation rules of scope %s in %s: one secret file per rule,\n"
                            "# written by 'rmk secret manager generate' as secrets/<name>.yaml.\n"
                            "generation-rules:\n"
                            "  - name: %s-app\n"
                            "    template: |\n"
                            "      envSecret:\n"
                            "        USERNAME: user\n"
                            "        PASSWORD: {{ randAlphaNum 16 }}\n",
                            scope, env, p->tenant);
            else
                dbuf_printf(&t,
                            "# Generation rules of scope %s in %s: one secret file per rule,\n"
                            "# written by 'rmk secret manager generate' as secrets/<name>.yaml.\n"
                            "# Example:\n"
                            "#   - name: my-release\n"
                            "#     template: |\n"
                            "#       envSecret:\n"
                            "#         PASSWORD: {{ randAlphaNum 16 }}\n"
                            "generation-rules: []\n",
                            scope, env);
            rc = putf(p->root, e, "etc/%s/%s/secrets/.spec.yaml.gotmpl", scope, env, t.p);
        }
    }
    if (rc == 0)
        rc = putf(p->root, e, "etc/%s/%s/secrets/.sops.yaml", scope, env, "creation_rules: []\n");
    dbuf_free(&t);
    return rc;
}

static int write_root_files(const struct rmk_project *p, const char *const *scopes, size_t ns,
                            struct verr *e)
{
    const struct doc *owners = rmk_project_spec(p, "owners");
    struct dbuf t = DBUF_INIT;
    char dir[4096];
    int rc;

    snprintf(dir, sizeof(dir), "%s/docs", p->root);
    if ((rc = fsutil_mkdirs(dir, 0755, e)) != 0)
        return rc;
    rc = put(p->root, ".gitignore",
             "# generated by rmk project generate\n**.dec\n.PROJECT/\n.env\nsops-age-keys/\n"
             ".helmfile/\n*.tmp.*\n",
             e);
    if (rc == 0 && owners != NULL && owners->type == DOC_LIST && owners->v.list.len > 0) {
        dbuf_adds(&t, "*");
        for (size_t i = 0; i < owners->v.list.len; i++)
            if (owners->v.list.items[i]->type == DOC_STR)
                dbuf_printf(&t, " @%s", owners->v.list.items[i]->v.s.ptr);
        dbuf_addc(&t, '\n');
        rc = put(p->root, "docs/CODEOWNERS", t.p, e);
    }
    if (rc == 0) {
        dbuf_reset(&t);
        dbuf_printf(&t,
                    "# Helmfile of project %s (generated by rmk project generate).\n"
                    "environments:\n  {{ .Environment.Name }}: {}\n---\nhelmfiles:\n",
                    p->tenant);
        for (size_t i = 0; i < ns; i++)
            dbuf_printf(&t,
                        "  # scope %s: secrets in etc/%s/{{ .Environment.Name }}/secrets/"
                        "<release>.yaml\n",
                        scopes[i], scopes[i]);
        dbuf_adds(&t, "  []\n");
        rc = put(p->root, "helmfile.yaml.gotmpl", t.p, e);
    }
    if (rc == 0) {
        dbuf_reset(&t);
        dbuf_printf(&t,
                    "# %s\n\nAn RMK project. Secrets live in `etc/<scope>/<env>/secrets/`:\n\n"
                    "- `rmk secret keys create` makes one age key per scope;\n"
                    "- `rmk secret manager generate --encrypt` renders `.spec.yaml.gotmpl` and "
                    "writes encrypted secret files;\n"
                    "- `rmk secret view FILE` shows one.\n",
                    p->tenant);
        rc = put(p->root, "README.md", t.p, e);
    }
    dbuf_free(&t);
    return rc;
}

static int generate(const struct pg_opts *o, struct verr *e)
{
    struct rmk_project p;
    const struct doc *envs;
    const char **scopes = NULL;
    size_t ns = 0;
    char path[4096];
    int rc;

    if ((rc = rmk_project_identity(&p, e)) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/project.yaml", p.root);
    if (!fsutil_exists(path)) {
        if (o->nenvs == 0 || o->nscopes == 0) {
            rc = verr_set(e, VALS_EUSAGE,
                          "project.yaml file not found or values not set for "
                          "flags: environment, scope");
            goto out;
        }
        if ((rc = write_project_yaml(path, o, e)) != 0)
            goto out;
    } else if (o->nenvs + o->nscopes + o->nowners + o->nkeys > 0) {
        printf("project.yaml exists: its spec is used, the --environment/--scope/--owner/"
               "--sops-age-key flags are ignored\n");
    }
    if ((rc = rmk_project_load(&p, e)) != 0)
        goto out;
    if (doc_map_getz(doc_map_getz(p.file, "project"), "spec") == NULL) {
        rc = verr_set(e, VALS_EPARSE, "'spec' option required in project.yaml");
        goto out;
    }
    envs = rmk_project_spec(&p, "environments");
    if ((rc = rmk_project_scopes(&p, &scopes, &ns)) != 0)
        goto out;
    if (ns == 0 && (envs == NULL || envs->type != DOC_MAP || envs->v.map.len == 0)) {
        rc = verr_set(e, VALS_EPARSE,
                      "'scopes' and 'environments' options required in project.yaml");
        goto out;
    }
    if (ns == 0) {
        rc = verr_set(e, VALS_EPARSE, "'scopes' option required in project.yaml");
        goto out;
    }
    if (envs == NULL || envs->type != DOC_MAP || envs->v.map.len == 0) {
        rc = verr_set(e, VALS_EPARSE, "'environments' option required in project.yaml");
        goto out;
    }
    for (size_t i = 0; i < ns && rc == 0; i++)
        for (size_t k = 0; k < envs->v.map.len && rc == 0; k++) {
            const struct doc *key = envs->v.map.items[k].key;
            if (key->type == DOC_STR)
                rc = write_scope_env(&p, scopes[i], key->v.s.ptr, e);
        }
    if (rc == 0)
        rc = write_root_files(&p, scopes, ns, e);
    if (rc == 0 && o->create_keys)
        rc = rmk_keys_create(&p, e);
out:
    free(scopes);
    rmk_project_free(&p);
    return rc;
}

static int cmd_project_generate_exec(int argc, char **argv)
{
    static const struct option opts[] = {{"create-sops-age-keys", no_argument, NULL, 'c'},
                                         {"environment", required_argument, NULL, 'e'},
                                         {"owner", required_argument, NULL, 'o'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"sops-age-key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    struct pg_opts o;
    struct verr e = {0};
    int ch, rc;

    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ce:o:s:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o.create_keys = 1;
            break;
        case 'e':
            if (o.nenvs < 64)
                o.envs[o.nenvs++] = optarg;
            break;
        case 'o':
            if (o.nowners < 64)
                o.owners[o.nowners++] = optarg;
            break;
        case 's':
            if (o.nscopes < 64)
                o.scopes[o.nscopes++] = optarg;
            break;
        case 'k':
            if (strncmp(optarg, "ref+", 4) != 0) {
                cmd_error(&cmd_project_generate_entry, "--sops-age-key takes a ref+ reference");
                return CMD_EXIT_USAGE;
            }
            if (o.nkeys < 64)
                o.keys[o.nkeys++] = optarg;
            break;
        default:
            return CMD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cmd_error(&cmd_project_generate_entry, "unexpected argument \"%s\"", argv[optind]);
        return CMD_EXIT_USAGE;
    }
    rc = generate(&o, &e);
    if (rc != 0)
        cmd_error(&cmd_project_generate_entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_project_generate_entry = {
    .name = "project generate",
    .alias = "project g",
    .usage = "[-e ENV[.root-domain=DOMAIN]]... [-s SCOPE]... [-o OWNER]... "
             "[--sops-age-key REF]... [-c]",
    .help = "Generate project.yaml and the etc/<scope>/<env> structure of an RMK project.",
    .details =
        "  -e, --environment ENV[.root-domain=DOMAIN]  an environment (repeatable)\n"
        "  -s, --scope SCOPE          a scope (repeatable; 'deps' is always added)\n"
        "  -o, --owner OWNER          a GitHub owner for docs/CODEOWNERS (repeatable)\n"
        "      --sops-age-key REF     a vals ref to a scope's age key, stored in\n"
        "                             project.spec.sops-age-keys (repeatable; used by\n"
        "                             'rmk config init' for k3d and onprem)\n"
        "  -c, --create-sops-age-keys also run 'rmk secret keys create'\n\n"
        "project.yaml is written only when missing (then -e and -s are required); no\n"
        "existing file is ever overwritten. The latest release of the upstream dependency\n"
        "is looked up on GitHub; when the network is unreachable (or RMK_OFFLINE is set) it\n"
        "is skipped with a warning.\n",
    .exec = cmd_project_generate_exec,
};
