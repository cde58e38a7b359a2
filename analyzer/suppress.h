/*
 * Suppressions: a file of `TYPE[.KIND]:PATTERN[&PATTERN...]` lines, close to
 * ThreadSanitizer's (docs/reports.md#suppressions).
 *
 *   # comment; blank lines are ignored
 *   deadlock:noodle_fork.c      lock-order cycles, deadlocks and stalls
 *   race:counter                data races
 *   misuse:legacy_*             pthread misuse
 *   misuse.unlock-not-locked:caller_b&lock_b
 *                               that rule, where both names are in the finding
 *
 * PATTERN is an fnmatch(3) glob (no flags: '*' also matches '/') matched
 * against every name a finding carries: the function, the source file (its
 * full path and its base name), `BASENAME:LINE` and the module (full path
 * and base name) of every frame of every stack in it, the names and labels
 * of its locks, and the variable of a race.  KIND, when given, narrows TYPE
 * to one finding kind (lock-order-cycle, lock-order-latent, deadlock, stall)
 * or one misuse rule (unlock-not-locked, ...).  Patterns joined by '&' must
 * each match some name of the finding ("\&" is a plain '&').  A finding is
 * suppressed by the first rule whose type (and kind) covers it and whose
 * patterns all match.
 *
 * A malformed line is an error naming the file and the line.
 */
#ifndef LS_SUPPRESS_H
#define LS_SUPPRESS_H

#include <stddef.h>

#include "findings.h"

struct ls_supp_rule {
    char *type;               /* "race", "deadlock" or "misuse" */
    char *kind;               /* TYPE.KIND: the kind or misuse rule; NULL if none */
    char *pattern;
    char *text;               /* "type[.kind]:pattern" as written, trimmed */
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
/* Whether `type:pattern` would suppress f; type may be TYPE.KIND. */
int ls_supp_matches(const char *type, const char *pattern, const struct ls_finding *f);
/* A suppression line that silences f and as little else as possible: its
 * type and kind (the misuse rule), its own site (the first frame in the
 * program's own code that is not a thin wrapper, by function, or by
 * BASENAME:LINE when that frame is main(), as broad as the whole program),
 * and the lock (or the variable of a
 * race) involved there: `misuse.unlock-not-locked:caller_b&lock_b`,
 * `race:counter&worker`.  Parts that carry no usable name are left out; if
 * none is left, any function of its stacks.  Always one that
 * ls_supp_parse() and ls_supp_matches() accept; NULL if the finding
 * carries no name at all (or its kind has no suppression type).  Caller
 * frees. */
char *ls_supp_suggest(const struct ls_finding *f);

#endif
