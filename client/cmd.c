/*
 * cmd.c - the table of rmk subcommands and the dispatcher (see cmd.h).
 *
 * Names are matched word by word; a word may be a unique prefix of the command word or
 * its alias ("rmk sec man gen" works, "rmk s" is ambiguous and says so).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct cmd_entry *const cmd_table[] = {
    &cmd_version_entry,
    &cmd_config_init_entry,
    &cmd_project_generate_entry,
    &cmd_secret_keys_create_entry,
    &cmd_secret_manager_generate_entry,
    &cmd_secret_manager_encrypt_entry,
    &cmd_secret_manager_decrypt_entry,
    &cmd_secret_encrypt_entry,
    &cmd_secret_decrypt_entry,
    &cmd_secret_view_entry,
    &cmd_secret_edit_entry,
    &cmd_template_render_entry,
    NULL,
};

void cmd_print_help(const struct cmd_entry *e, FILE *f)
{
    fprintf(f, "Usage: rmk %s%s%s\n\n%s\n", e->name, e->usage[0] ? " " : "", e->usage, e->help);
    if (e->details != NULL)
        fprintf(f, "\n%s", e->details);
}

int cmd_wants_help(const struct cmd_entry *e, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cmd_print_help(e, stdout);
            return 1;
        }
    }
    return 0;
}

void cmd_error(const struct cmd_entry *e, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "rmk %s: ", e->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Word `i` of a space-separated name into buf; 0 when there is none. */
static int name_word(const char *name, int i, char *buf, size_t len)
{
    const char *p = name;

    while (i-- > 0) {
        p = strchr(p, ' ');
        if (p == NULL)
            return 0;
        p++;
    }
    size_t n = strcspn(p, " ");
    if (n == 0 || n >= len)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 1;
}

static int word_count(const char *name)
{
    int n = 1;

    for (const char *p = name; *p; p++)
        n += *p == ' ';
    return n;
}

/* Does argv[0..n) match the first n words of entry e (by prefix or alias word)? */
static int matches(const struct cmd_entry *e, int n, char **argv, int exact)
{
    char w[64], a[64];

    for (int i = 0; i < n; i++) {
        if (!name_word(e->name, i, w, sizeof(w)))
            return 0;
        size_t len = strlen(argv[i]);
        int ok = exact ? !strcmp(w, argv[i]) : !strncmp(w, argv[i], len);
        if (!ok && e->alias != NULL && name_word(e->alias, i, a, sizeof(a)))
            ok = !strcmp(a, argv[i]);
        if (!ok)
            return 0;
    }
    return 1;
}

static void print_commands(FILE *f, int n, char **argv)
{
    fprintf(f, "Commands:\n");
    for (int i = 0; cmd_table[i] != NULL; i++)
        if (matches(cmd_table[i], n, argv, 0))
            fprintf(f, "  %-28s %s\n", cmd_table[i]->name, cmd_table[i]->help);
}

static void print_usage(FILE *f)
{
    fprintf(f, "Usage: rmk COMMAND [ARGS]\n\n"
               "rmk renders RMK secret generation rules, resolves ref+ references through\n"
               "valsd, and encrypts secrets with SOPS/age in-process.\n\n");
    print_commands(f, 0, NULL);
    fprintf(f, "\nRun 'rmk COMMAND --help' for the flags of a command.\n");
}

int cmd_main(int argc, char **argv)
{
    const struct cmd_entry *found = NULL;
    int words = 0, ambiguous = 0;

    if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
        !strcmp(argv[0], "help")) {
        print_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
    }
    if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "-v"))
        return cmd_version_entry.exec(1, argv);
    /* Longest command whose words all match; exact words beat prefixes. */
    for (int exact = 1; exact >= 0 && found == NULL; exact--) {
        for (int i = 0; cmd_table[i] != NULL; i++) {
            const struct cmd_entry *e = cmd_table[i];
            int n = word_count(e->name);
            if (n > argc || !matches(e, n, argv, exact))
                continue;
            if (n > words) {
                found = e;
                words = n;
                ambiguous = 0;
            } else if (n == words && found != e) {
                ambiguous = 1;
            }
        }
        if (ambiguous)
            found = NULL;
    }
    if (found == NULL) {
        int n = 0;
        while (n < argc && argv[n][0] != '-')
            n++;
        while (n > 0) {
            int any = 0;
            for (int i = 0; cmd_table[i] != NULL; i++)
                any |= matches(cmd_table[i], n, argv, 0);
            if (any)
                break;
            n--;
        }
        if (n > 0 && !ambiguous) {
            fprintf(stderr, "rmk: '%s' needs a subcommand\n", argv[0]);
        } else if (ambiguous) {
            fprintf(stderr, "rmk: ambiguous command '%s'\n", argv[0]);
        } else {
            fprintf(stderr, "rmk: unknown command '%s'\n", argv[0]);
        }
        print_commands(stderr, n, argv);
        return CMD_EXIT_USAGE;
    }
    /* exec sees argv[0] = the full name, then the rest */
    argv[words - 1] = (char *)found->name;
    if (cmd_wants_help(found, argc - (words - 1), argv + (words - 1)))
        return CMD_EXIT_OK;
    return found->exec(argc - (words - 1), argv + (words - 1));
}
