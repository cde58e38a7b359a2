/*
 * The model of one traced process, as read from its trace file: modules,
 * stacks, threads, joins, locks and lock-order edges.  Built by the reader
 * (reader.c); ids are the trace's own (per file, starting at 1).
 */
#ifndef LS_MODEL_H
#define LS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lockscope/trace.h"
#include "progress.h"
#include "python.h"
#include "symbolize.h"

struct ls_stack {
    uint32_t id;
    uint32_t depth;
    uint64_t *ips;
};

struct ls_thread_info {
    uint32_t tid, os_tid, parent, parent_epoch, create_stack;
    uint32_t end_epoch, exit_stack;
    int ended;
    char *name;
};

struct ls_join {
    uint32_t joiner, joiner_epoch, joined, joined_epoch, stack;
};

struct ls_lock_info {
    uint32_t id, kind;
    uint64_t addr;
    uint32_t init_stack, first_stack;
};

/* held points into the process's held_pool, or at the edge's own `from`
 * (one lock held): never freed on its own, and an edge copied elsewhere
 * must point its held again if it was its from. */
struct ls_edge {
    uint32_t tid, epoch, from, to, from_stack, to_stack, flags, nheld;
    uint32_t *held;
};

/* A lock-order pair the shim saw in more contexts than it recorded
 * (LS_REC_EDGE_MORE). */
struct ls_edge_more {
    uint32_t from, to, tid, count;
};

struct ls_module_rec {
    uint32_t id;
    uint64_t bias, start, end;
    uint8_t *build_id;
    uint32_t build_id_len;
    char *path;
};

struct ls_note {
    uint32_t code;
    char *msg;
};

struct ls_deadlock_thread {
    uint32_t tid, wait_kind, wait_lock, wait_thread, wait_stack, nheld;
    struct ls_rec_held *held;
};

/* A deadlock the shim saw happen. */
struct ls_deadlock {
    uint32_t flags;           /* LS_DEADLOCK_* */
    int exit_status;
    uint32_t nthreads;
    struct ls_deadlock_thread *threads;
};

struct ls_misuse_rec {
    uint32_t rule, tid, lock, stack, lock_stack;
    int32_t result;
    uint32_t call, other_tid, other_stack, lock2;
    int32_t value;
};

struct ls_clock_rec {
    uint32_t tid, version, n;
    uint32_t *v;
};

struct ls_access_rec {
    uint32_t tid, epoch, clock_version, flags; /* LS_ACCESS_* */
    uint64_t addr;            /* [addr, addr + size): the bytes accessed (or, INEXACT,
                                 the bytes it may have accessed in its window) */
    uint32_t size, stack, nheld;
    uint64_t watch_addr;      /* the watchpoint that fired */
    uint32_t watch_len;
    uint32_t sync_lost;       /* LS_REC_ACCESS.sync_lost */
    uint32_t *held;
    uint64_t ns;              /* when (CLOCK_MONOTONIC, LS_REC_ACCESS_TIME), 0 if unknown */
    uint32_t obj;             /* the object it was made to (LS_REC_ACCESS_OBJ), 0: a global */
};

/* Memory watched besides the globals (LS_REC_OBJECT, LS_REC_OBJECT_END). */
struct ls_object_rec {
    struct ls_rec_object r;
    int ended;
    uint32_t end_tid;
    uint64_t global;          /* a global pointer seen pointing to it (0: none) */
};

/* What became of the watchpoint traps (LS_REC_WATCH). */
struct ls_watch_counts {
    uint64_t traps, exact, inexact, no_access, undecoded, foreign, stray, atomic, limited;
    uint32_t turns_armed, turns_rested; /* the sampler's turns (LS_REC_WATCH_TURNS) */
};

struct ls_profile_rec {
    struct ls_rec_profile r;
    struct ls_rec_profile_site *sites;
};

/* A program this process started (LS_REC_EXEC). */
struct ls_exec_rec {
    uint32_t pid, how;        /* the process that runs it; LS_EXEC_* */
    uint64_t time_ns;
    char *path;
};

struct ls_process {
    char *trace_path;
    uint32_t pid, ppid, parent_tid;
    uint64_t start_ns, end_ns;
    int ended;                /* an END record was found */
    int exit_status;          /* from END, -1 if unknown */
    int execed;               /* ended by exec'ing another program */
    int cut;                  /* the file ended inside a record */
    char *exe;
    int argc;
    char **argv;

    struct ls_module_rec *modules;
    size_t nmodules, cap_modules;
    struct ls_stack *stacks;
    size_t nstacks, cap_stacks;
    struct ls_thread_info *threads;
    size_t nthreads, cap_threads;
    struct ls_join *joins;
    size_t njoins, cap_joins;
    struct ls_lock_info *locks;
    size_t nlocks, cap_locks;
    struct ls_edge *edges;
    size_t nedges, cap_edges;
    uint32_t *held_pool;      /* the edges' held sets, back to back */
    size_t nheld_pool, cap_held_pool;
    struct ls_edge_more *edge_more;
    size_t nedge_more, cap_edge_more;
    struct ls_note *notes;
    size_t nnotes, cap_notes;
    struct ls_deadlock *deadlocks;
    size_t ndeadlocks, cap_deadlocks;
    struct ls_misuse_rec *misuses;
    size_t nmisuses, cap_misuses;
    struct ls_clock_rec *clocks;
    size_t nclocks, cap_clocks;
    struct ls_exec_rec *execs;
    size_t nexecs, cap_execs;
    struct ls_access_rec *accesses;
    size_t naccesses, cap_accesses;
    struct ls_object_rec *objects;  /* by id, as recorded */
    size_t nobjects, cap_objects;
    struct ls_rec_thread_arg *thread_args; /* start routines handed an object */
    size_t nthread_args, cap_thread_args;
    struct ls_profile_rec *profiles;
    size_t nprofiles, cap_profiles;
    /* writer-preferring rwlocks writers ask for (LS_REC_WRITER_QUEUE):
     * their readers can wait behind writers */
    uint32_t *writer_queued;
    size_t nwriter_queued, cap_writer_queued;
    int watch_status;         /* LS_WATCH_*, 0 if the trace does not say */
    uint32_t watch_candidates, watch_classify, watch_sync, watch_slots;
    struct ls_watch_counts wcount;
    char *watch_msg;

    struct ls_tl_model *timeline; /* the timeline's records (timeline.h), NULL if none */
    struct ls_pyinfo *py;      /* a CPython process's Python records, else NULL */

    /* inits and destroys of sync objects unordered with another thread's
     * use (LS_REC_SYNC_RACE), as the shim judged them */
    struct ls_rec_sync_race *sync_races;
    size_t nsync_races, cap_sync_races;

    struct ls_symbolizer *sym; /* created on first use */
    void *index;               /* id lookup tables (model.c) */
};

/* The object of id, NULL if none was recorded. */
const struct ls_object_rec *ls_find_object(const struct ls_process *p, uint32_t id);

/* Reads a trace from memory.  On error returns -1 and writes a message of
 * the form "offset N: what was wrong" into err.  A record cut off at the end
 * of the data is tolerated (process->cut is set). */
int ls_trace_parse(const void *data, size_t len, struct ls_process **out, char *err,
                   size_t errlen);
/* Reads a trace file; on error prints `trace 'PATH': ...` and returns -1.
 * pg (may be NULL) hears the bytes read and decoded. */
int ls_trace_read(const char *path, struct ls_process **out, const struct ls_progress *pg);
void ls_process_free(struct ls_process *p);

/* Lookups by id (NULL if absent).  Valid after ls_process_index(). */
void ls_process_index(struct ls_process *p);
const struct ls_stack *ls_find_stack(const struct ls_process *p, uint32_t id);
const struct ls_thread_info *ls_find_thread(const struct ls_process *p, uint32_t tid);
const struct ls_lock_info *ls_find_lock(const struct ls_process *p, uint32_t id);

/* The process's symbolizer, with its module map loaded. */
struct ls_symbolizer *ls_process_symbolizer(struct ls_process *p);

/* A display name for a lock: its global symbol (`noodle_lock`, or
 * `table+16`), else NULL; the caller then names it by its site. */
char *ls_lock_symbol(struct ls_process *p, const struct ls_lock_info *l);
const char *ls_lock_kind_name(uint32_t kind);

#endif
