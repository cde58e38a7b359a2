/*
 * Baselines: the finding ids of an earlier JSON report (--baseline OLD.json).
 * A finding whose id is in the baseline is "known" and does not fail the
 * run; the others are "new".  The file must be a lockscope JSON report
 * (docs/json-report.md): the whole document is parsed and checked, and only
 * `findings[].id` is used, so reports of any schema version 1 work.
 */
#ifndef LS_BASELINE_H
#define LS_BASELINE_H

#include <stddef.h>

struct ls_baseline {
    char *file;
    char **ids;
    size_t n, cap;
    unsigned char *seen;      /* [n]: matched by a current finding */
};

/* Parses a JSON report held in memory (`name` is for messages).  On error
 * prints "cannot use baseline 'NAME': ..." and returns -1. */
int ls_baseline_parse(struct ls_baseline *b, const char *text, size_t len, const char *name);
int ls_baseline_load(struct ls_baseline *b, const char *path);
/* Whether id is in the baseline; marks it seen. */
int ls_baseline_has(struct ls_baseline *b, const char *id);
/* Ids of the baseline that no current finding has (fixed, or not reached). */
size_t ls_baseline_gone(const struct ls_baseline *b);
void ls_baseline_free(struct ls_baseline *b);

#endif
