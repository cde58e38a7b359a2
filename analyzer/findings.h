/*
 * Findings: the one typed list every report is written from.  The checks
 * build them (symbolized, self-contained: no pointers into the trace model);
 * the renderers in reports/ only format them.
 */
#ifndef LS_FINDINGS_H
#define LS_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum ls_finding_kind {
    LS_FIND_LOCK_ORDER = 1,   /* "lock-order-cycle" */
    LS_FIND_DEADLOCK = 2,     /* "deadlock": seen while it happened */
    LS_FIND_STALL = 3,        /* "stall": every thread blocked, nobody left to wake them */
    LS_FIND_MISUSE = 4,       /* "misuse": a pthread call used wrongly (rule says which) */
    LS_FIND_RACE = 5,         /* "data-race": two unordered accesses, one a write */
    LS_FIND_LOCK_ORDER_LATENT = 6, /* "lock-order-latent": a cycle whose edges all come from
                                      one thread or from threads that never overlapped */
};

struct ls_fframe {
    char *function;           /* NULL if unknown */
    char *file;               /* NULL if unknown */
    int line, column;
    char *module;             /* NULL if outside every module */
    uint64_t pc, module_offset;
    int inlined;
    uint64_t func_size;       /* bytes of the function's code; 0 if unknown or inlined */
    int python;               /* a Python frame (function, .py file, line) */
    int collapsed;            /* a native frame under Python frames: folded by the
                                 reports (the interpreter's own) */
};

struct ls_fstack {
    size_t n;
    struct ls_fframe *frames;
};

struct ls_fthread {
    uint32_t tid;             /* lockscope's thread id (1 = main thread) */
    uint32_t os_tid;
    char *name;               /* NULL if unnamed */
    uint32_t parent;          /* 0: none/unknown */
    struct ls_fstack created_at;
};

struct ls_flock {
    uint32_t id;
    char *name;               /* the global symbol (noodle_lock), NULL if none */
    char *label;              /* what the reports call it: name, else by site */
    const char *kind;         /* "mutex", "recursive mutex", ... */
    uint64_t addr;
    int site_is_init;         /* site = where initialized (1) or first locked (0) */
    struct ls_fstack site;
};

struct ls_fedge {
    size_t from, to;          /* indexes into the finding's locks */
    struct ls_fthread thread;
    struct ls_fstack from_stack; /* where `from` was acquired */
    struct ls_fstack to_stack;   /* where `to` was requested while holding it */
    int from_approx;          /* from_stack's outer frames are approximate */
    int timed;                /* `to` was requested with a timeout */
    uint64_t at_ns;           /* the timeline: when `to` was first taken so, 0 if unknown */
};

struct ls_fheld {
    size_t lock;              /* index into the finding's locks */
    struct ls_fstack stack;   /* where it was acquired */
};

/* One thread of a live deadlock: what it waits for, where, what it holds. */
struct ls_fwaiter {
    struct ls_fthread thread;
    int join;                 /* waits in pthread_join */
    const char *wait;         /* "lock", "read-lock", "join", "condvar", "semaphore", "barrier" */
    size_t lock;              /* the lock waited for (index; a condvar's mutex), or SIZE_MAX */
    uint32_t waits_on;        /* thread id: the lock's owner or the joined thread, 0 if none */
    struct ls_fstack wait_stack;
    size_t nheld;
    struct ls_fheld *held;
};

/* One side of a data race: the decoded access. */
struct ls_faccess {
    struct ls_fthread thread;
    int write;                /* 1 write (also a read-modify-write), 0 read */
    int read;                 /* it read (a read-modify-write both reads and writes) */
    int inexact;              /* its address could not be computed: it accessed some of
                                 addr..addr+size, which the other side covers whole */
    uint64_t addr;            /* its first byte */
    uint64_t size;            /* bytes accessed */
    uint64_t offset;          /* of its first byte in the variable */
    uint32_t watched;         /* bytes of the watchpoint that caught it */
    char *where;              /* those bytes by name: "cells[2]", "s.flags+5",
                                 "offset 8 of buf", or the variable's name */
    struct ls_fstack stack;   /* frame 0: the accessing instruction */
    size_t nheld;
    size_t *held;             /* indexes into the finding's locks */
    uint64_t at_ns;           /* the timeline: when it was made, 0 if unknown */
};

/* The timeline of a process (LOCKSCOPE_OPTIONS=timeline=N): per thread,
 * the lock holds and blocking waits among its last recorded events.  Times
 * are CLOCK_MONOTONIC ns of the traced process. */
struct ls_fslice {
    int wait;                 /* 1: a blocking wait; 0: a lock held */
    const char *what;         /* hold: "hold", "read hold"; wait: "lock", "read-lock",
                                 "join", "condvar", "semaphore", "barrier" */
    char *object;             /* the lock or object by name, "T1" for a join; NULL if
                                 unknown */
    uint32_t id;              /* its lock id (a join: the thread id) */
    uint64_t begin_ns, end_ns;
    int open_begin;           /* began before the first recorded event */
    int open_end;             /* still held / waiting when the record ends */
};
struct ls_ftrack {
    uint32_t tid;
    char *name;               /* the thread's name, NULL if unnamed */
    uint64_t begin_ns, end_ns; /* its first and last recorded event */
    int started, ended;       /* its start / end are among them */
    uint64_t events, lost;    /* events recorded; older ones the ring no longer had */
    size_t nslices;
    struct ls_fslice *slices; /* by begin time */
};
struct ls_ftimeline {
    uint64_t mono_ns, real_ns; /* a CLOCK_MONOTONIC time and the wall clock then */
    uint32_t capacity;        /* events each thread kept */
    const char *source;       /* "tsc" or "clock_gettime" */
    uint64_t begin_ns, end_ns;
    size_t ntracks;
    struct ls_ftrack *tracks; /* by thread id */
};
void ls_ftimeline_free(struct ls_ftimeline *t);
/* The track of thread tid, NULL if none. */
const struct ls_ftrack *ls_ftimeline_track(const struct ls_ftimeline *t, uint32_t tid);

/* Where a raced variable lives (ls_fvar.location); the JSON's
 * variable.location. */
enum ls_var_location {
    LS_VLOC_GLOBAL = 0,       /* a global variable ("global") */
    LS_VLOC_HEAP = 1,
    LS_VLOC_STACK = 2,
    LS_VLOC_TLS = 3,
    LS_VLOC_SYNC = 4,         /* a mutex, rwlock, condvar, barrier or semaphore itself */
    LS_VLOC_PYTHON = 5,       /* a Python global */
};

struct ls_fvar {
    char *name;               /* the global variable (`n`); else a stable label of the
                                 memory ("heap block of 16 bytes", "*table") */
    uint64_t addr;            /* its first byte */
    uint64_t size;            /* its size */
    uint32_t location;        /* LS_VLOC_* */
    char *description;        /* the report's location line: "the mutex `m`", ThreadSanitizer's
                                 "heap block of size 16 at 0x... allocated by thread main";
                                 NULL: the global's own */
    char *module;             /* a Python global's module (LS_VLOC_PYTHON), else NULL */
    char *field;              /* what the debug information calls the raced bytes
                                 (`job->count`), NULL if it cannot tell */
    struct ls_fstack alloc_stack; /* heap: where it was allocated (n = 0: not seen) */
};
/* "global", "heap", ...: the JSON's variable.location. */
const char *ls_var_location_name(uint32_t location);

/* What one check covered in one process.  The reports' "checked / not
 * checked" lists are made from these, so they say what was really done for
 * these traces.  Each check sets its own entry (one per check id) when it
 * runs; a new check brings its own id and title. */
enum ls_scope_state {
    LS_SCOPE_CHECKED = 1,
    LS_SCOPE_PARTIAL = 2,     /* checked, but not all of it (detail says what not) */
    LS_SCOPE_NOT_CHECKED = 3, /* not checked, or not recorded (detail says why) */
};

struct ls_fscope {
    const char *check;        /* stable id ("lock-order", "data-race", ...): a static string */
    const char *title;        /* for people ("data races on global variables"): static */
    enum ls_scope_state state;
    char *detail;             /* what it covered, or why not */
};

struct ls_fprocess {
    uint32_t pid, ppid;
    char *exe;
    char *cmdline;            /* argv joined by spaces */
    char *trace;              /* trace file path */
    int ended;                /* exited normally */
    size_t nthreads, nlocks, nedges;
    int watch_status;         /* LS_WATCH_* (0: not recorded) */
    char *watch_msg;          /* why races were not checked, if they were not */
    size_t accesses;          /* sampled accesses */
    uint32_t watch_candidates;
    struct ls_fsampled {
        char *name;           /* a watched global */
        size_t reads, writes; /* plain accesses sampled on it (a read-modify-write: a write) */
        size_t atomic_accesses; /* by atomic instructions: synchronization */
        size_t inexact;       /* of them, whose address could not be computed */
        int atomic;           /* _Atomic: synchronization, never reported */
    } *sampled;
    uint32_t watch_slots;     /* watchpoints the process had */
    struct ls_watch_counts wcount; /* what became of its traps */
    size_t nsampled;
    struct ls_forder {        /* the lock order seen: one entry per (from, to) pair */
        char *from, *to;      /* lock labels */
        size_t instances;     /* distinct (thread, held set) acquisitions recorded */
        int from_read, to_read; /* some instance held/asked for it for reading */
    } *order;
    size_t norder;
    int order_truncated;      /* more pairs than LS_MAX_ORDER_PAIRS */
    struct ls_fscope *scope;  /* what was checked here, in the order the checks ran */
    size_t nscope;
    struct ls_ftimeline *timeline; /* what each thread did, when; NULL if not recorded */
};
#define LS_MAX_ORDER_PAIRS 2000

struct ls_finding {
    enum ls_finding_kind kind;
    char id[24];              /* stable: from kind and symbolized locations */
    const char *severity;     /* "error" or "warning" */
    size_t proc;              /* index into the report's processes */
    size_t nlocks;
    struct ls_flock *locks;
    size_t nedges;
    struct ls_fedge *edges;
    size_t nwaiters;          /* deadlock: the threads, in wait-for order */
    struct ls_fwaiter *waiters;
    int self;                 /* deadlock: one thread relocking its own mutex */
    int fork_orphan;          /* deadlock: a forked child waits for a lock held at fork */
    int orphan;               /* stall: a lock waited for is held by an exited thread
                                 (a waiter with wait "exited" holds it) */
    int ended;                /* deadlock: lockscope ended the program */
    int exit_status;          /* deadlock: with this status */
    char related[24];         /* the other finding about the same locks, or "" */
    const char *rule;         /* misuse: stable rule id ("errorcheck-relock") */
    struct ls_fthread thread; /* misuse: the thread that made the call */
    struct ls_fstack stack;   /* misuse: where the call was made */
    struct ls_fstack stack2;  /* misuse: the other place involved (stack2_what) */
    const char *stack2_what;  /* misuse: e.g. "the lock was taken here" */
    struct ls_fvar var;       /* data-race: the variable */
    struct ls_faccess access[2]; /* data-race: the earlier-recorded side, then the other */
    char *reason;             /* why it is real, one paragraph */
    const struct ls_fframe *summary; /* first frame in the program's own code */
    struct ls_fseen {         /* every process it was seen in, `proc` first */
        size_t proc;
        size_t count;         /* times in that process */
    } *seen;
    size_t nseen;
    uint64_t at_ns;           /* the timeline: the moment it happened (a deadlock: its last
                                 wait began; a race: the later access; a cycle: its last
                                 edge was first taken), 0 if unknown */
    /* misuse: the call made ("sem_post"), the error it returned by name
     * ("EOVERFLOW"), NULL if n/a; the other thread involved (tid 0: none),
     * whose stack is stack2 */
    const char *call;
    const char *error;
    struct ls_fthread other;
};

/* How one lock was used: the contention profile. */
struct ls_fprofile {
    size_t proc;
    struct ls_flock lock;
    uint64_t acquisitions, contended, owner_changes;
    uint64_t wait_ns, wait_max_ns;
    uint64_t hold_est_ns;     /* the long holds, and the short ones estimated from samples */
    uint64_t hold_samples, hold_max_ns;
    uint64_t long_holds;      /* holds past a tick of the shim's clock: each timed */
    uint64_t hold_slack_ns;   /* hold_max_ns may be this much too long */
    size_t nsites;
    struct ls_fsite {
        struct ls_fstack stack;
        uint64_t waits, wait_ns;
    } *sites;
};

struct ls_report {
    struct ls_fprocess *procs;
    size_t nprocs, cap_procs;
    struct ls_finding *findings;
    size_t nfindings, cap_findings;
    size_t dismissed_cycles;  /* cycles found but proved unable to deadlock */
    struct ls_fprofile *profiles; /* the locks waited for longest or held longest at once
                                     (LS_PROFILE_KEEP of each), most waited-for first */
    size_t nprofiles, cap_profiles;
    struct ls_fprofile_rest {     /* the other locks with acquisitions, summed */
        size_t locks;
        uint64_t acquisitions, contended, wait_ns;
    } profile_rest;
};

/* How many locks the profile keeps with their stacks, by each of total
 * wait and longest hold: the report stays proportional to findings, not
 * to the locks a program has. */
#define LS_PROFILE_KEEP 100

void ls_fprofile_free(struct ls_fprofile *q);
const char *ls_finding_kind_name(enum ls_finding_kind k);
const char *ls_finding_title(enum ls_finding_kind k);
/* Whether findings of this kind fail the run unless --fail-on says which
 * kinds do: every kind but the latent lock-order inversions. */
int ls_kind_fails_by_default(const char *kind_name);

/* Building blocks for the checks. */
void ls_fstack_build(struct ls_process *p, uint32_t stack_id, struct ls_fstack *out);
void ls_fthread_build(struct ls_process *p, uint32_t tid, struct ls_fthread *out);
void ls_flock_build(struct ls_process *p, uint32_t lock_id, struct ls_flock *out);
/* Index of lock_id in f->locks, adding it if missing. */
size_t ls_finding_lock(struct ls_finding *f, struct ls_process *p, uint32_t lock_id);
/* A frame in the program's own code: with a source file, outside the
 * system's libraries (for Python frames: outside the interpreter's own
 * files); never a collapsed native frame. */
int ls_fframe_is_user(const struct ls_fframe *f);
/* The first frame in the program's own code (not in a system library),
 * else the first frame; NULL for an empty stack. */
const struct ls_fframe *ls_fstack_user_frame(const struct ls_fstack *s);
/* A function of at most this many bytes of code that its caller in the
 * program's own code calls to make the call lockscope saw (my_unlock(m)
 * around pthread_mutex_unlock(m)) is a thin wrapper: the finding's site is
 * its caller. */
#define LS_THIN_WRAPPER_BYTES 48
/* The finding's own site in s: the first frame in the program's own code
 * that is not a thin wrapper, else what ls_fstack_user_frame() gives.
 * *first (may be NULL) gets the index of the first frame in the program's
 * own code and *site that of the site (both s->n if there is none): the
 * frames first..site are the ones that make the site. */
const struct ls_fframe *ls_fstack_site(const struct ls_fstack *s, size_t *first, size_t *site);
/* 1 if the frame at index i of s is the program's main(): the outermost of
 * its own code in the main thread, too broad to name a finding's site. */
int ls_fstack_is_main(const struct ls_fstack *s, size_t i);
struct strbuf;
/* "the main thread", "T1", ...; tid 0: "an untraced thread". */
void ls_thread_label(struct strbuf *sb, uint32_t tid);
/* What a deadlocked thread waits for: " waits for noodle_lock, held by T2",
 * " waits to join T1", " waits on a condition variable (with m)", ... */
void ls_describe_wait(struct strbuf *sb, const struct ls_finding *f, const struct ls_fwaiter *w);
/* Sets the scope entry of check in p (replacing an earlier one). */
__attribute__((format(printf, 5, 6))) void ls_scope_set(struct ls_fprocess *p, const char *check,
                                                        const char *title,
                                                        enum ls_scope_state state,
                                                        const char *fmt, ...);
/* "checked", "partial", "not-checked". */
const char *ls_scope_state_name(enum ls_scope_state state);
/* Adds a process to the report; returns its index. */
size_t ls_report_add_process(struct ls_report *r, const struct ls_process *p);
struct ls_finding *ls_report_add(struct ls_report *r);
/* Removes (and frees) the last finding added. */
void ls_report_pop(struct ls_report *r);
/* The data race just added (the report's last finding) is kept, 1, unless
 * the same process already has a race of that id (the same sites): then
 * it is dropped, 0. */
int ls_report_keep_new_race(struct ls_report *r);
/* The findings from `first` on were just added for one process: each one
 * already reported (same kind and id) is counted in the earlier finding's
 * `seen` list instead, the same way for every kind; the others start
 * their list with their own process. */
void ls_report_merge_seen(struct ls_report *r, size_t first);
/* Sets f->id from its kind, locks and symbolized sites. */
void ls_finding_set_id(struct ls_finding *f);
void ls_report_free(struct ls_report *r);

#endif
