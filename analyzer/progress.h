/*
 * How far an analysis has got, for a caller that wants to show it.
 *
 * The analyzer only says what it is doing (the stage) and how much of it is
 * done; it never draws anything and knows nothing of terminals.  The
 * command (cli/progress.c) decides whether and how to show it.  The
 * callback is called from the analyzing thread at the start of each stage
 * and every so often within it (a few thousand units of work apart), so it
 * must be cheap when it has nothing to draw.
 */
#ifndef LS_PROGRESS_H
#define LS_PROGRESS_H

#include <stdint.h>

enum ls_stage {
    LS_STAGE_READ = 1,        /* reading a trace file: done/total in bytes */
    LS_STAGE_PARSE,           /* decoding its records: done/total in bytes */
    LS_STAGE_DEADLOCKS,       /* deadlocks and stalls the shim saw */
    LS_STAGE_LOCK_GRAPH,      /* building the lock-order graph: edges */
    LS_STAGE_CYCLES,          /* searching it for cycles */
    LS_STAGE_MISUSE,          /* pthread misuse records */
    LS_STAGE_RACES,           /* data races: sampled variables */
    LS_STAGE_PROFILE,         /* the contention profile */
};

struct ls_progress {
    /* total is 0 when the stage has no measure of its own. */
    void (*fn)(void *arg, enum ls_stage stage, uint64_t done, uint64_t total);
    void *arg;
};

/* Calls pg's callback; pg may be NULL (no one is listening). */
static inline void ls_progress(const struct ls_progress *pg, enum ls_stage stage, uint64_t done,
                               uint64_t total)
{
    if (pg && pg->fn)
        pg->fn(pg->arg, stage, done, total);
}

/* What a stage is, for people: "reading", "lock-order graph", ... */
const char *ls_stage_name(enum ls_stage stage);
/* The unit of a stage's done/total ("bytes", "edges", ...), NULL if none. */
const char *ls_stage_unit(enum ls_stage stage);

#endif
