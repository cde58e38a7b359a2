/*
 * Every check, on one process read from its trace: what the command runs
 * for each trace, and what the trace fuzzer runs.  Besides the findings it
 * records, per process, what was checked and what could not be
 * (ls_fprocess.scope), so the reports say what was really done.
 */
#ifndef LS_ANALYZE_H
#define LS_ANALYZE_H

#include <stddef.h>

#include "findings.h"
#include "model.h"
#include "progress.h"

/* Adds p to r, runs every check on it and collects its contention profile.
 * Returns p's index in r.  pg (may be NULL) hears each stage. */
size_t ls_analyze_process(struct ls_process *p, struct ls_report *r,
                          const struct ls_progress *pg);

#endif
