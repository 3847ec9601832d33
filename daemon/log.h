/*
 * log.h - journald-friendly logging to stderr; levels are syslog priorities.
 * Callers never pass secret values, only refs (without values), keys and counts.
 */
#ifndef VALSD_LOG_H
#define VALSD_LOG_H

#define LOG_LEVEL_ERR     3
#define LOG_LEVEL_WARNING 4
#define LOG_LEVEL_NOTICE  5
#define LOG_LEVEL_INFO    6
#define LOG_LEVEL_DEBUG   7

void log_set_level(int level);
/* "error", "warning", "notice", "info", "debug" -> level, or -1. */
int log_level_from_name(const char *name);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
