/*
 * Shared pieces of the lockscope command (main.c, run.c).
 */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <stdarg.h>

#include "findings.h"

/* Prints the error and the usage, exits with status 2. */
__attribute__((noreturn, format(printf, 1, 2))) void ls_usage_error(const char *fmt, ...);
int ls_parse_exitcode(const char *s);
/* Reads the traces (files or directories), runs every check, writes JSON
 * if asked.  Returns -1 if a trace could not be read (already reported). */
int ls_analyze(char **args, int n, const char *json_path, struct ls_report *r);
int ls_cmd_run(int argc, char **argv);

#endif
