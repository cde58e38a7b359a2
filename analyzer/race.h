/*
 * Data races from sampled accesses.
 *
 * A race is two accesses to the same variable, at least one a write, from
 * different threads, not ordered by happens-before: the later-judged side's
 * clock does not cover the other side's epoch, and the other way round.
 * One finding per variable and pair of code locations, however often it
 * happened.  Variables with a C11 _Atomic type are synchronization, never
 * reported.
 */
#ifndef LS_RACE_H
#define LS_RACE_H

#include "findings.h"
#include "model.h"
#include "progress.h"

/* Adds the races of p and its scope entry ("data-race"): how accesses
 * were sampled, or why races could not be judged.  pg may be NULL. */
size_t ls_check_races(struct ls_process *p, size_t proc, struct ls_report *r,
                      const struct ls_progress *pg);

#endif
