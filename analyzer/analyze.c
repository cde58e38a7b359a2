#define _GNU_SOURCE
#include "analyze.h"
#include "python.h"
#include "deadlock.h"
#include "lockgraph.h"
#include "misuse.h"
#include "profile.h"
#include "race.h"
#include "synclife.h"
#include "python_race.h"
#include "timeline.h"
#include "util.h"

#include <string.h>

const char *ls_stage_name(enum ls_stage stage)
{
    switch (stage) {
    case LS_STAGE_READ: return "reading";
    case LS_STAGE_PARSE: return "decoding";
    case LS_STAGE_DEADLOCKS: return "live deadlocks";
    case LS_STAGE_LOCK_GRAPH: return "lock-order graph";
    case LS_STAGE_CYCLES: return "cycle search";
    case LS_STAGE_MISUSE: return "misuse";
    case LS_STAGE_RACES: return "data races";
    case LS_STAGE_PROFILE: return "contention profile";
    }
    return "analyzing";
}

const char *ls_stage_unit(enum ls_stage stage)
{
    switch (stage) {
    case LS_STAGE_READ:
    case LS_STAGE_PARSE: return "bytes";
    case LS_STAGE_LOCK_GRAPH: return "edges";
    case LS_STAGE_RACES: return "variables";
    default: return NULL;
    }
}

static const struct ls_note *note_of(const struct ls_process *p, uint32_t code)
{
    for (size_t i = 0; i < p->nnotes; i++)
        if (p->notes[i].code == code)
            return &p->notes[i];
    return NULL;
}

static void scope_deadlocks(const struct ls_process *p, struct ls_fprocess *fp, size_t proc,
                            const struct ls_report *r, size_t first)
{
    static const char title[] = "deadlocks and stalls while the program ran";
    const struct ls_note *off = note_of(p, LS_NOTE_DEADLOCK_OFF);
    if (off) {
        ls_scope_set(fp, "deadlock", title, LS_SCOPE_NOT_CHECKED, "%s",
                     off->msg ? off->msg : "not watched");
        return;
    }
    size_t dl = 0, stalls = 0;
    for (size_t i = first; i < r->nfindings; i++) {
        dl += r->findings[i].proc == proc && r->findings[i].kind == LS_FIND_DEADLOCK;
        stalls += r->findings[i].proc == proc && r->findings[i].kind == LS_FIND_STALL;
    }
    const struct ls_note *nostall = note_of(p, LS_NOTE_STALL_OFF);
    if (nostall)
        ls_scope_set(fp, "deadlock", title, LS_SCOPE_PARTIAL,
                     "deadlocks watched by the shim (%zu seen), but %s", dl,
                     nostall->msg ? nostall->msg : "stalls were not");
    else
        ls_scope_set(fp, "deadlock", title, LS_SCOPE_CHECKED,
                     "watched by the shim: %zu deadlock%s, %zu stall%s", dl, dl == 1 ? "" : "s",
                     stalls, stalls == 1 ? "" : "s");
}

/* Which kinds of synchronization the shim followed: the one list that
 * shows C11 and C++ objects are seen like pthread ones (they go through
 * the same or separately wrapped entry points, and are recorded alike). */
static void scope_sync(const struct ls_process *p, struct ls_fprocess *fp)
{
    static const struct {
        uint32_t kind;
        const char *one, *many;
    } names[] = {
        {LS_LOCK_MUTEX, "mutex", "mutexes"},
        {LS_LOCK_MUTEX_RECURSIVE, "recursive mutex", "recursive mutexes"},
        {LS_LOCK_MUTEX_ERRORCHECK, "error-checking mutex", "error-checking mutexes"},
        {LS_LOCK_RWLOCK, "rwlock", "rwlocks"},
        {LS_LOCK_SPIN, "spinlock", "spinlocks"},
        {LS_LOCK_PY, "Python Lock", "Python Locks"},
        {LS_LOCK_PY_RLOCK, "Python RLock", "Python RLocks"},
        {LS_SYNC_COND, "condition variable", "condition variables"},
        {LS_SYNC_SEM, "semaphore", "semaphores"},
        {LS_SYNC_BARRIER, "barrier", "barriers"},
        {LS_SYNC_ONCE, "once control", "once controls"},
        {LS_SYNC_ANNOTATION, "annotated address", "annotated addresses"},
        {LS_SYNC_ATOMIC, "_Atomic global", "_Atomic globals"},
        {LS_SYNC_FUTEX, "futex word", "futex words"},
    };
    struct strbuf sb;
    sb_init(&sb);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t n = 0;
        for (size_t i = 0; i < p->nlocks; i++)
            n += p->locks[i].kind == names[k].kind;
        if (n)
            sb_printf(&sb, "%s%zu %s", sb.len ? ", " : "", n, n == 1 ? names[k].one
                                                                     : names[k].many);
    }
    size_t joins = p->njoins, threads = p->nthreads;
    if (threads > 1)
        sb_printf(&sb, "%s%zu threads, %zu joins", sb.len ? "; " : "", threads, joins);
    ls_scope_set(fp, "sync", "synchronization followed (pthread, C11 threads, C++ std::)",
                 LS_SCOPE_CHECKED, "%s",
                 sb.len ? sb.buf : "no lock, condition variable, semaphore or thread was used");
    sb_free(&sb);
}

/* A CPython interpreter in the process: what of it is followed.  Seen from
 * the executable's name or a libpython among the modules. */
static void scope_python(const struct ls_process *p, struct ls_fprocess *fp)
{
    const char *seen = NULL;
    const char *exe = p->exe ? ls_basename(p->exe) : "";
    if (!strncmp(exe, "python", 6))
        seen = p->exe;
    for (size_t i = 0; !seen && i < p->nmodules; i++) {
        const char *m = p->modules[i].path ? ls_basename(p->modules[i].path) : "";
        if (!strncmp(m, "libpython", 9))
            seen = p->modules[i].path;
    }
    if (!seen)
        return;
    ls_scope_set(fp, "python", "Python locks (threading.Lock, RLock) and Python stacks",
                 LS_SCOPE_NOT_CHECKED,
                 "a CPython interpreter ran ('%s') that the shim did not recognize: its "
                 "threads, and its locks as the semaphores and mutexes they are built on, are "
                 "followed as C-level synchronization; Python frames, lock-order cycles between "
                 "Python locks and races on Python variables are not checked",
                 seen);
}

/* The timeline: recorded or not, and how much of it. */
static void scope_timeline(struct ls_fprocess *fp)
{
    static const char title[] = "a per-thread timeline of lock holds and waits";
    const struct ls_ftimeline *tl = fp->timeline;
    if (!tl) {
        ls_scope_set(fp, "timeline", title, LS_SCOPE_NOT_CHECKED,
                     "not recorded (LOCKSCOPE_OPTIONS=timeline=N, or lockscope run --timeline "
                     "FILE)");
        return;
    }
    uint64_t events = 0, lost = 0;
    for (size_t i = 0; i < tl->ntracks; i++) {
        events += tl->tracks[i].events;
        lost += tl->tracks[i].lost;
    }
    if (lost)
        ls_scope_set(fp, "timeline", title, LS_SCOPE_PARTIAL,
                     "the last %llu events of %zu thread%s (each kept its last %u; %llu older "
                     "ones were not kept)",
                     (unsigned long long)events, tl->ntracks, tl->ntracks == 1 ? "" : "s",
                     tl->capacity, (unsigned long long)lost);
    else
        ls_scope_set(fp, "timeline", title, LS_SCOPE_CHECKED,
                     "recorded: %llu events of %zu thread%s", (unsigned long long)events,
                     tl->ntracks, tl->ntracks == 1 ? "" : "s");
}

size_t ls_analyze_process(struct ls_process *p, struct ls_report *r,
                          const struct ls_progress *pg)
{
    size_t proc = ls_report_add_process(r, p);
    size_t first = r->nfindings;
    ls_progress(pg, LS_STAGE_DEADLOCKS, 0, 0);
    ls_check_deadlocks(p, proc, r);
    ls_check_lock_order(p, proc, r, pg);
    scope_deadlocks(p, &r->procs[proc], proc, r, first);
    ls_progress(pg, LS_STAGE_MISUSE, 0, 0);
    size_t misuse = ls_check_misuse(p, proc, r);
    ls_scope_set(&r->procs[proc], "misuse", "pthread API misuse", LS_SCOPE_CHECKED,
                 "checked by the shim at every call: %zu misuse%s", misuse,
                 misuse == 1 ? "" : "s");
    ls_check_races(p, proc, r, pg);
    ls_check_synclife(p, proc, r);
    ls_check_py_races(p, proc, r);
    ls_progress(pg, LS_STAGE_PROFILE, 0, 0);
    ls_collect_profile(p, proc, r);
    ls_link_deadlocks(r, first);
    ls_report_merge_seen(r, first);
    scope_sync(p, &r->procs[proc]);
    ls_tl_build(p, r, proc, first);
    scope_timeline(&r->procs[proc]);
    /* Python: what the shim recognized, else that an interpreter ran. */
    if (p->py && p->py->version)
        ls_py_scope(p, &r->procs[proc]);
    else
        scope_python(p, &r->procs[proc]);
    return proc;
}
