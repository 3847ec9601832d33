/*
 * cmd.h - rmk's command table (tmux's cmd-*.c pattern): one file per subcommand, each
 * defining a const struct cmd_entry; client/cmd.c lists them and dispatches.
 *
 * A command's name is its full path of words ("secret manager generate").  Its exec gets
 * the arguments after the name (argv[0] is the full name, for getopt) and returns the
 * process exit code: 0 success, 1 failure (message already printed on stderr), 2 usage.
 */
#ifndef RMK_CMD_H
#define RMK_CMD_H

#include <stdio.h>

#define CMD_EXIT_OK    0
#define CMD_EXIT_FAIL  1
#define CMD_EXIT_USAGE 2

struct cmd_entry {
    const char *name;    /* "secret manager generate" */
    const char *alias;   /* "secret mgr gen" style short form, or NULL */
    const char *usage;   /* argument synopsis after the name */
    const char *help;    /* one line */
    const char *details; /* extra --help text (flags), may be NULL */
    int (*exec)(int argc, char **argv);
};

/* Print "Usage: rmk NAME USAGE" plus help and details to `f`. */
void cmd_print_help(const struct cmd_entry *e, FILE *f);
/* Look for -h/--help among argv (stopping at "--"): print help and return 1. */
int cmd_wants_help(const struct cmd_entry *e, int argc, char **argv);
/* Print "rmk NAME: message" on stderr. */
void cmd_error(const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Dispatch argv (without the program name). */
int cmd_main(int argc, char **argv);

extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_template_render_entry;
extern const struct cmd_entry cmd_secret_encrypt_entry;
extern const struct cmd_entry cmd_secret_decrypt_entry;
extern const struct cmd_entry cmd_secret_view_entry;
extern const struct cmd_entry cmd_secret_edit_entry;
extern const struct cmd_entry cmd_secret_keys_create_entry;
extern const struct cmd_entry cmd_secret_manager_encrypt_entry;
extern const struct cmd_entry cmd_secret_manager_decrypt_entry;
extern const struct cmd_entry cmd_secret_manager_generate_entry;
extern const struct cmd_entry cmd_project_generate_entry;
extern const struct cmd_entry cmd_config_init_entry;

#endif
