/*
 * The timeline's records (LS_REC_TIMELINE, _CLOCK, LS_REC_ACCESS_TIME) as
 * read, and what the analysis makes of them: per thread, lock holds and
 * blocking waits as intervals (struct ls_ftimeline in findings.h), and the
 * moment of each finding.
 */
#ifndef LS_TIMELINE_H
#define LS_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "model.h"

struct ls_tl_ev {
    uint64_t ns;
    uint32_t obj;
    uint16_t what, arg;       /* LS_TL_*, its argument */
    int gap;                  /* events before this one were lost */
};

struct ls_tl_thread {
    uint32_t tid;
    uint64_t next;            /* the number of the event after the last one read */
    uint64_t lost;
    size_t n, cap;
    struct ls_tl_ev *ev;
};

struct ls_tl_model {
    int have_clock;
    uint64_t mono_ns, real_ns;
    uint32_t capacity, source;
    size_t nthreads, cap;
    struct ls_tl_thread *threads;
};

/* One timeline record of pr's trace.  Returns -1 with a reason in why if it
 * is malformed. */
int ls_tl_parse(struct ls_process *pr, uint16_t type, const void *p, size_t n, char *why,
                size_t whylen);
void ls_tl_model_free(struct ls_tl_model *m);
/* Fills r->procs[proc].timeline from p's records and sets the moments
 * (at_ns) of the findings first .. r->nfindings - 1.  Nothing without a
 * timeline. */
void ls_tl_build(struct ls_process *p, struct ls_report *r, size_t proc, size_t first);

#endif
