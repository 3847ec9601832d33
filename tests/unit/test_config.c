/*
 * test_config.c - daemon/config.c: the defaults, durations and sizes with their units,
 * limits and per-backend TTLs, and errors that name the file, line and key (unknown keys,
 * bad values, bad shapes).  Each case is a YAML text written to a temporary file, the
 * expected result code, words its error must contain, and the fields it must set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/log.h"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char cfgpath[512];

/* A field of struct config by name, for the expectations of the table. */
static uint64_t field(const struct config *c, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
        size_t width;
    } fields[] = {
#define F(n, m) {n, offsetof(struct config, m), sizeof(((struct config *)0)->m)}
        F("default_ttl_s", default_ttl_s),
        F("max_stale_s", max_stale_s),
        F("negative_ttl_s", negative_ttl_s),
        F("cache_max_bytes", cache_max_bytes),
        F("max_message", limits.max_message),
        F("max_depth", limits.max_depth),
        F("max_array", limits.max_array),
        F("max_inflight", max_inflight),
        F("max_connections", max_connections),
        F("timeout_ms", timeout_ms),
        F("shutdown_grace_ms", shutdown_grace_ms),
        F("idle_exit_s", idle_exit_s),
        F("log_level", log_level),
        F("nbackends", nbackends),
#undef F
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(fields[i].name, name) != 0)
            continue;
        if (fields[i].width == 8) {
            uint64_t v;
            memcpy(&v, (const char *)c + fields[i].off, 8);
            return v;
        } else {
            uint32_t v;
            memcpy(&v, (const char *)c + fields[i].off, 4);
            return v;
        }
    }
    fail_msg("no field %s", name);
    return 0;
}

/* Check "name=value name=value ..." against the config. */
static void check_fields(const struct config *c, const char *want, const char *yaml)
{
    char buf[512], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", want);
    for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        unsigned long long v;
        assert_non_null(eq);
        *eq = '\0';
        v = strtoull(eq + 1, NULL, 10);
        if (field(c, tok) != v)
            fail_msg("config \"%s\": %s = %llu, expected %llu", yaml, tok,
                     (unsigned long long)field(c, tok), v);
    }
}

static void write_config(const char *text)
{
    FILE *f = fopen(cfgpath, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The defaults (DESIGN.md §5, protocol.h). */
static void test_defaults(void **state)
{
    struct config c;

    (void)state;
    config_defaults(&c);
    check_fields(&c,
                 "default_ttl_s=300 max_stale_s=3600 negative_ttl_s=10 cache_max_bytes=67108864 "
                 "max_message=1048576 max_depth=32 max_array=65536 max_inflight=256 "
                 "max_connections=1024 timeout_ms=30000 shutdown_grace_ms=10000 idle_exit_s=0 "
                 "log_level=6 nbackends=0",
                 "(defaults)");
}

struct config_case {
    const char *yaml;
    int rc;
    const char *fields; /* on success: name=value list */
    const char *words;  /* on failure: '|'-separated fragments the message must contain */
};

static const struct config_case cases[] = {
    /* empty and comment-only files leave the defaults */
    {"", 0, "default_ttl_s=300 timeout_ms=30000", NULL},
    {"# nothing here\n", 0, "default_ttl_s=300", NULL},
    {"---\n", 0, "default_ttl_s=300", NULL},
    /* durations */
    {"default_ttl: 60\n", 0, "default_ttl_s=60", NULL},
    {"default_ttl: 30s\n", 0, "default_ttl_s=30", NULL},
    {"default_ttl: 5m\n", 0, "default_ttl_s=300", NULL},
    {"default_ttl: 2h\n", 0, "default_ttl_s=7200", NULL},
    {"default_ttl: 1d\n", 0, "default_ttl_s=86400", NULL},
    {"default_ttl: 1500ms\n", 0, "default_ttl_s=2", NULL},
    {"default_ttl: \"45\"\n", 0, "default_ttl_s=45", NULL},
    {"default_ttl: 0\n", 0, "default_ttl_s=0", NULL},
    {"max_stale: 1h\nnegative_ttl: 3s\nidle_exit: 10m\n", 0,
     "max_stale_s=3600 negative_ttl_s=3 idle_exit_s=600", NULL},
    {"timeout: 45\n", 0, "timeout_ms=45000", NULL},
    {"timeout: 5s\n", 0, "timeout_ms=5000", NULL},
    {"timeout: 250ms\n", 0, "timeout_ms=250", NULL},
    {"shutdown_grace: 1m\n", 0, "shutdown_grace_ms=60000", NULL},
    /* sizes */
    {"cache_max_bytes: 1000\n", 0, "cache_max_bytes=1000", NULL},
    {"cache_max_bytes: 512B\n", 0, "cache_max_bytes=512", NULL},
    {"cache_max_bytes: 8KiB\n", 0, "cache_max_bytes=8192", NULL},
    {"cache_max_bytes: 64MiB\n", 0, "cache_max_bytes=67108864", NULL},
    {"cache_max_bytes: 2GiB\n", 0, "cache_max_bytes=2147483648", NULL},
    {"cache_max_bytes: 10KB\n", 0, "cache_max_bytes=10000", NULL},
    {"cache_max_bytes: 5MB\n", 0, "cache_max_bytes=5000000", NULL},
    {"cache_max_bytes: 3GB\n", 0, "cache_max_bytes=3000000000", NULL},
    /* log levels */
    {"log_level: error\n", 0, "log_level=3", NULL},
    {"log_level: warning\n", 0, "log_level=4", NULL},
    {"log_level: notice\n", 0, "log_level=5", NULL},
    {"log_level: info\n", 0, "log_level=6", NULL},
    {"log_level: debug\n", 0, "log_level=7", NULL},
    /* limits */
    {"limits:\n  max_message_bytes: 2MiB\n  max_depth: 16\n  max_array: 1000\n"
     "  max_inflight: 8\n  max_connections: 20\n",
     0, "max_message=2097152 max_depth=16 max_array=1000 max_inflight=8 max_connections=20", NULL},
    {"limits: {max_depth: 32}\n", 0, "max_depth=32", NULL},
    {"# a comment\nlimits:\n  # inside\n  max_inflight: 1\n", 0, "max_inflight=1", NULL},
    /* backends */
    {"backends:\n  echo: {ttl: 60}\n  file:\n    ttl: 5s\n", 0, "nbackends=2", NULL},
    /* unknown keys name the key and the line */
    {"default_ttl: 5\nbogus: 1\n", VALS_EPARSE, NULL, ":2:|unknown key \"bogus\""},
    {"limits:\n  max_depth: 8\n  max_dept: 9\n", VALS_EPARSE, NULL,
     ":3:|unknown key \"limits.max_dept\""},
    {"backends:\n  echo:\n    ttl: 1\n    tll: 2\n", VALS_EPARSE, NULL,
     ":4:|unknown key \"backends.echo.tll\""},
    {"max_depth: 8\n", VALS_EPARSE, NULL, ":1:|unknown key \"max_depth\""},
    {"\n\n\ntimeout_ms: 5\n", VALS_EPARSE, NULL, ":4:|unknown key \"timeout_ms\""},
    /* bad values name the key and the line */
    {"default_ttl: soon\n", VALS_EPARSE, NULL, ":1:|default_ttl|duration"},
    {"default_ttl: -5\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: \"-5\"\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: \" 5\"\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 1.5\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 5x\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 5 m\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 5MiB\n", VALS_EPARSE, NULL, ":1:|default_ttl|duration"},
    {"default_ttl: true\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: [1]\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 4294967296\n", VALS_EPARSE, NULL, ":1:|default_ttl|too large"},
    {"default_ttl: 99999999999999999999\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"default_ttl: 999999999999999999d\n", VALS_EPARSE, NULL, ":1:|default_ttl"},
    {"timeout: 50d\n", VALS_EPARSE, NULL, ":1:|timeout|too large"},
    {"\ncache_max_bytes: 5m\n", VALS_EPARSE, NULL, ":2:|cache_max_bytes|size"},
    {"cache_max_bytes: -1\n", VALS_EPARSE, NULL, ":1:|cache_max_bytes"},
    {"cache_max_bytes: \"-1\"\n", VALS_EPARSE, NULL, ":1:|cache_max_bytes"},
    {"cache_max_bytes: 99999999999GiB\n", VALS_EPARSE, NULL, ":1:|cache_max_bytes"},
    {"cache_max_bytes: 1TiB\n", VALS_EPARSE, NULL, ":1:|cache_max_bytes"},
    {"limits:\n  max_inflight: 5s\n", VALS_EPARSE, NULL, ":2:|max_inflight|number"},
    {"limits:\n  max_array: 1KiB\n", VALS_EPARSE, NULL, ":2:|max_array|number"},
    {"log_level: verbose\n", VALS_EPARSE, NULL, ":1:|log_level"},
    {"log_level: 7\n", VALS_EPARSE, NULL, ":1:|log_level"},
    {"backends:\n  echo:\n    ttl: later\n", VALS_EPARSE, NULL, ":3:|backends.echo.ttl"},
    /* bad shapes */
    {"limits: 5\n", VALS_EPARSE, NULL, ":1:|limits must be a map"},
    {"backends: [echo]\n", VALS_EPARSE, NULL, ":1:|backends must be a map"},
    {"backends:\n  echo: 60\n", VALS_EPARSE, NULL, ":2:|backends.<name> must be a map"},
    {"- a\n- b\n", VALS_EPARSE, NULL, "must be a map"},
    {"just a string\n", VALS_EPARSE, NULL, "must be a map"},
    {"a: 1\n---\nb: 2\n", VALS_EPARSE, NULL, "one YAML document"},
    {"default_ttl: [1\n", VALS_EPARSE, NULL, "test.yaml"},
    {"idle_exit: 1\n5: x\n", VALS_EPARSE, NULL, ":2:|keys must be strings"},
    /* limits that could not serve anything, or beyond what msgpack-c can unpack */
    {"limits: {max_message_bytes: 63}\n", VALS_EPARSE, NULL, "too small"},
    {"limits: {max_depth: 1}\n", VALS_EPARSE, NULL, "too small"},
    {"limits: {max_array: 3}\n", VALS_EPARSE, NULL, "too small"},
    {"limits: {max_inflight: 0}\n", VALS_EPARSE, NULL, "too small"},
    {"limits: {max_connections: 0}\n", VALS_EPARSE, NULL, "too small"},
    {"limits: {max_depth: 33}\n", VALS_EPARSE, NULL, "max_depth cannot exceed 32"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config c, before;
        struct verr e = {0};
        int rc;

        write_config(cases[i].yaml);
        config_defaults(&c);
        if (cases[i].rc != 0)
            c.default_ttl_s = 777; /* a failed load must leave the config as it was */
        before = c;
        rc = config_load(cfgpath, &c, &e);
        if (rc != cases[i].rc)
            fail_msg("config \"%s\": rc %d, expected %d (%s)", cases[i].yaml, rc, cases[i].rc,
                     e.msg);
        if (rc == 0) {
            if (cases[i].fields != NULL)
                check_fields(&c, cases[i].fields, cases[i].yaml);
            continue;
        }
        assert_memory_equal(&c, &before, sizeof(c));
        assert_int_equal(e.code, rc);
        /* every error names the file */
        if (strstr(e.msg, cfgpath) == NULL)
            fail_msg("config \"%s\": \"%s\" does not name %s", cases[i].yaml, e.msg, cfgpath);
        char words[256], *save = NULL;
        snprintf(words, sizeof(words), "%s", cases[i].words);
        for (char *w = strtok_r(words, "|", &save); w != NULL; w = strtok_r(NULL, "|", &save))
            if (strstr(e.msg, w) == NULL)
                fail_msg("config \"%s\": \"%s\" lacks \"%s\"", cases[i].yaml, e.msg, w);
    }
}

/* Per-backend TTLs: configured, else the backend's own default, else the global one. */
static void test_backend_ttl(void **state)
{
    struct config c;
    struct verr e = {0};

    (void)state;
    write_config("default_ttl: 2m\nbackends:\n  echo: {ttl: 60}\n  file:\n    ttl: 5s\n"
                 "  vault: {ttl: 1h}\n");
    config_defaults(&c);
    assert_int_equal(config_load(cfgpath, &c, &e), 0);
    assert_int_equal(c.nbackends, 3);
    assert_int_equal(config_backend_ttl(&c, "echo", 0), 60);
    assert_int_equal(config_backend_ttl(&c, "echo", 999), 60);
    assert_int_equal(config_backend_ttl(&c, "file", 0), 5);
    assert_int_equal(config_backend_ttl(&c, "vault", 0), 3600);
    assert_int_equal(config_backend_ttl(&c, "envsubst", 7), 7);
    assert_int_equal(config_backend_ttl(&c, "envsubst", 0), 120);
    assert_int_equal(config_backend_ttl(&c, "ech", 0), 120);
    /* a reload replaces the backend list rather than appending to it */
    write_config("backends:\n  sops: {ttl: 1}\n");
    assert_int_equal(config_load(cfgpath, &c, &e), 0);
    assert_int_equal(c.nbackends, 1);
    assert_int_equal(config_backend_ttl(&c, "echo", 0), 120);
    assert_int_equal(config_backend_ttl(&c, "sops", 0), 1);
}

/* Loading over a config keeps what the file does not mention. */
static void test_layering(void **state)
{
    struct config c;
    struct verr e = {0};

    (void)state;
    config_defaults(&c);
    write_config("default_ttl: 1m\n");
    assert_int_equal(config_load(cfgpath, &c, &e), 0);
    write_config("negative_ttl: 1s\n");
    assert_int_equal(config_load(cfgpath, &c, &e), 0);
    check_fields(&c, "default_ttl_s=60 negative_ttl_s=1 max_stale_s=3600", "(layered)");
}

/* A missing file is VALS_ENOT_FOUND naming it (valsd ignores that for the default path);
 * a directory or an unreadable path is an error too. */
static void test_missing_file(void **state)
{
    struct config c;
    struct verr e = {0};
    char path[600];

    (void)state;
    config_defaults(&c);
    snprintf(path, sizeof(path), "%s/absent.yaml", tmpdir);
    assert_int_equal(config_load(path, &c, &e), VALS_ENOT_FOUND);
    assert_non_null(strstr(e.msg, "absent.yaml"));
    verr_clear(&e);
    assert_true(config_load(tmpdir, &c, &e) < 0);
    assert_non_null(strstr(e.msg, tmpdir));
    check_fields(&c, "default_ttl_s=300", "(unchanged)");
}

/* The default path: $XDG_CONFIG_HOME, else $HOME/.config, else none. */
static void test_default_path(void **state)
{
    char *p;

    (void)state;
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    p = config_default_path();
    assert_string_equal(p, "/xdg/valsd/config.yaml");
    free(p);
    setenv("XDG_CONFIG_HOME", "relative", 1); /* the XDG spec ignores relative paths */
    p = config_default_path();
    assert_string_equal(p, "/home/u/.config/valsd/config.yaml");
    free(p);
    unsetenv("XDG_CONFIG_HOME");
    p = config_default_path();
    assert_string_equal(p, "/home/u/.config/valsd/config.yaml");
    free(p);
    unsetenv("HOME");
    assert_null(config_default_path());
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(cfgpath, sizeof(cfgpath), "%s/test.yaml", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    char path[600];

    (void)state;
    unlink(cfgpath);
    snprintf(path, sizeof(path), "%s", tmpdir);
    return rmdir(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_cases),
        cmocka_unit_test(test_backend_ttl),  cmocka_unit_test(test_layering),
        cmocka_unit_test(test_missing_file), cmocka_unit_test(test_default_path),
    };

    return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
