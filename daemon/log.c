/*
 * log.c - valsd's log: one line per event on stderr, with a journald priority prefix
 * ("<3>", "<4>", "<6>", "<7>") so that journald keeps levels.  Never given values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int log_threshold = LOG_LEVEL_INFO;

void log_set_level(int level)
{
    log_threshold = level;
}

int log_level_from_name(const char *name)
{
    static const char *const names[] = {"error", "warning", "notice", "info", "debug"};
    static const int levels[] = {LOG_LEVEL_ERR, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE, LOG_LEVEL_INFO,
                                 LOG_LEVEL_DEBUG};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i], name))
            return levels[i];
    return -1;
}

void log_msg(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* one event per line: newlines in messages are flattened */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "<%d>valsd: %s\n", level, line);
}
