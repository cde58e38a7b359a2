/*
 * Suppressions: a file of `TYPE:PATTERN` lines, close to ThreadSanitizer's
 * (docs/reports.md#suppressions).
 *
 *   # comment; blank lines are ignored
 *   deadlock:noodle_fork.c      lock-order cycles, deadlocks and stalls
 *   race:counter                data races
 *   misuse:legacy_*             pthread misuse
 *
 * PATTERN is an fnmatch(3) glob (no flags: '*' also matches '/') matched
 * against every name a finding carries: the function, the source file (its
 * full path and its base name) and the module (full path and base name) of
 * every frame of every stack in it, the names and labels of its locks, and
 * the variable of a race.  A finding is suppressed by the first rule whose
 * type covers its kind and whose pattern matches one of those names.
 *
 * A malformed line is an error naming the file and the line.
 */
#ifndef LS_SUPPRESS_H
#define LS_SUPPRESS_H

#include <stddef.h>

#include "findings.h"

struct ls_supp_rule {
    char *type;               /* "race", "deadlock" or "misuse" */
    char *pattern;
    char *text;               /* "type:pattern" as written, trimmed */
    char *file;               /* where it was read from */
    int line;
    size_t hits;              /* findings it suppressed */
};

struct ls_suppressions {
    struct ls_supp_rule *rules;
    size_t n, cap;
    char *file;               /* the file given, NULL if none */
};

/* Parses text (the contents of `name`) and appends its rules.  On a
 * malformed line prints "bad suppression at 'NAME:LINE': ..." and returns -1. */
int ls_supp_parse(struct ls_suppressions *s, const char *text, const char *name);
/* Reads and parses a file; -1 (already reported) if it cannot. */
int ls_supp_load(struct ls_suppressions *s, const char *path);
void ls_supp_free(struct ls_suppressions *s);

/* Whether a rule of this type applies to findings of this kind name. */
int ls_supp_type_covers(const char *type, const char *kind);
/* The suppression type whose rules apply to this kind ("deadlock" for
 * "lock-order-cycle"), NULL if none does. */
const char *ls_supp_type_for(const char *kind);
/* The first rule that suppresses f, NULL if none.  Does not count. */
struct ls_supp_rule *ls_supp_match(const struct ls_suppressions *s, const struct ls_finding *f);
/* Whether `type:pattern` would suppress f. */
int ls_supp_matches(const char *type, const char *pattern, const struct ls_finding *f);
/* A suppression line that silences f and as little else as possible:
 * `race:variable` for a race, else `type:function` of its first frame in
 * the program's own code, else the name of one of its locks, else a source
 * file's base name.  Always one
 * that ls_supp_matches() accepts; NULL if the finding carries no name at
 * all (or its kind has no suppression type).  Caller frees. */
char *ls_supp_suggest(const struct ls_finding *f);

#endif
