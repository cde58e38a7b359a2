/*
 * The trace reader: bytes -> struct ls_process.  Every length and count is
 * checked against the data before use; a bad file gets a message with the
 * offset and what was wrong, never a crash.
 */
#define _GNU_SOURCE
#include "model.h"
#include "timeline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parser {
    const unsigned char *data;
    size_t len;
    char *err;
    size_t errlen;
    const struct ls_progress *pg;
};

/* Progress is reported every this many bytes read or decoded. */
#define PROGRESS_STEP (1u << 20)

__attribute__((format(printf, 3, 4))) static int fail(struct parser *ps, size_t off,
                                                      const char *fmt, ...)
{
    int n = snprintf(ps->err, ps->errlen, "offset %zu: ", off);
    if (n < 0 || (size_t)n >= ps->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_name(uint16_t t)
{
    switch (t) {
    case LS_REC_PROCESS: return "process";
    case LS_REC_MODULE: return "module";
    case LS_REC_STACK: return "stack";
    case LS_REC_THREAD: return "thread";
    case LS_REC_JOIN: return "join";
    case LS_REC_LOCK: return "lock";
    case LS_REC_EDGE: return "edge";
    case LS_REC_EDGES: return "edges";
    case LS_REC_EDGE_MORE: return "edge-more";
    case LS_REC_NOTE: return "note";
    case LS_REC_END: return "end";
    case LS_REC_DEADLOCK: return "deadlock";
    case LS_REC_MISUSE: return "misuse";
    case LS_REC_CLOCK: return "clock";
    case LS_REC_ACCESS: return "access";
    case LS_REC_WATCH: return "watch";
    case LS_REC_THREAD_NAME: return "thread-name";
    case LS_REC_PROFILE: return "profile";
    case LS_REC_EXEC: return "exec";
    case LS_REC_THREAD_END: return "thread-end";
    case LS_REC_WRITER_QUEUE: return "writer-queue";
    case LS_REC_TIMELINE: return "timeline";
    case LS_REC_TIMELINE_CLOCK: return "timeline-clock";
    case LS_REC_ACCESS_TIME: return "access-time";
    case LS_REC_OBJECT: return "object";
    case LS_REC_OBJECT_END: return "object-end";
    case LS_REC_ACCESS_OBJ: return "access-object";
    case LS_REC_OBJECT_GLOBAL: return "object-global";
    case LS_REC_THREAD_ARG: return "thread-arg";
    case LS_REC_PYTHON: return "python";
    case LS_REC_PYCODE: return "pycode";
    case LS_REC_PYSTACK: return "pystack";
    case LS_REC_PYLOCK: return "pylock";
    case LS_REC_SYNC_RACE: return "sync-race";
    case LS_REC_WATCH_TURNS: return "watch-turns";
    case LS_REC_PYVAR: return "pyvar";
    case LS_REC_PYACCESS: return "pyaccess";
    case LS_REC_PYWATCH: return "pywatch";
    default: return "unknown";
    }
}

/* A NUL-free copy of at most n bytes. */
static char *copy_str(const unsigned char *p, size_t n)
{
    size_t l = strnlen((const char *)p, n);
    return xstrndup((const char *)p, l);
}

static int parse_process(struct parser *ps, struct ls_process *pr, const unsigned char *p,
                         size_t n, size_t off)
{
    struct ls_rec_process r;
    memcpy(&r, p, sizeof r);
    if (r.exe_len > n - sizeof r)
        return fail(ps, off, "process record: executable path of %u bytes overruns the record",
                    r.exe_len);
    if (r.argc > 65536)
        return fail(ps, off, "process record: %u arguments is not plausible", r.argc);
    pr->pid = r.pid;
    pr->ppid = r.ppid;
    pr->parent_tid = r.parent_tid;
    free(pr->exe);
    pr->exe = copy_str(p + sizeof r, r.exe_len);
    const unsigned char *a = p + sizeof r + r.exe_len, *end = p + n;
    for (int i = 0; i < pr->argc; i++)
        free(pr->argv[i]);
    free(pr->argv);
    pr->argv = xcalloc(r.argc + 1, sizeof *pr->argv);
    pr->argc = 0;
    for (uint32_t i = 0; i < r.argc && a < end; i++) {
        size_t l = strnlen((const char *)a, (size_t)(end - a));
        pr->argv[pr->argc++] = xstrndup((const char *)a, l);
        a += l + 1;
    }
    return 0;
}

static int parse_deadlock(struct parser *ps, struct ls_process *pr, const unsigned char *p,
                          size_t n, size_t off)
{
    struct ls_rec_deadlock r;
    memcpy(&r, p, sizeof r);
    if (r.nthreads == 0 || r.nthreads > 4096)
        return fail(ps, off, "deadlock record with %u threads", r.nthreads);
    struct ls_deadlock d = {r.flags, r.exit_status, 0, NULL};
    d.threads = xcalloc(r.nthreads, sizeof *d.threads);
    size_t pos = sizeof r;
    for (uint32_t i = 0; i < r.nthreads; i++) {
        struct ls_rec_deadlock_thread dt;
        if (n - pos < sizeof dt)
            break; /* the shim stops adding threads when its buffer is full */
        memcpy(&dt, p + pos, sizeof dt);
        pos += sizeof dt;
        if (dt.nheld > 4096 || dt.nheld * sizeof(struct ls_rec_held) > n - pos) {
            for (uint32_t j = 0; j < d.nthreads; j++)
                free(d.threads[j].held);
            free(d.threads);
            return fail(ps, off, "deadlock record: %u held locks overrun the record", dt.nheld);
        }
        struct ls_deadlock_thread *t = &d.threads[d.nthreads++];
        t->tid = dt.tid;
        t->wait_kind = dt.wait_kind;
        t->wait_lock = dt.wait_lock;
        t->wait_thread = dt.wait_thread;
        t->wait_stack = dt.wait_stack;
        t->nheld = dt.nheld;
        t->held = xmalloc(dt.nheld * sizeof *t->held + 1);
        memcpy(t->held, p + pos, dt.nheld * sizeof *t->held);
        pos += dt.nheld * sizeof *t->held;
    }
    if (d.nthreads == 0) {
        free(d.threads);
        return fail(ps, off, "deadlock record: its thread entries do not fit in %zu bytes", n);
    }
    LS_GROW(pr->deadlocks, pr->cap_deadlocks, pr->ndeadlocks + 1);
    pr->deadlocks[pr->ndeadlocks++] = d;
    return 0;
}

#define HELD_SELF ((uint32_t *)UINTPTR_MAX)

static struct ls_edge *add_edge(struct ls_process *pr, uint32_t tid, uint32_t epoch,
                                uint32_t from_stack, uint32_t to_stack, uint32_t flags)
{
    LS_GROW(pr->edges, pr->cap_edges, pr->nedges + 1);
    struct ls_edge *e = &pr->edges[pr->nedges++];
    e->tid = tid;
    e->epoch = epoch;
    e->from_stack = from_stack;
    e->to_stack = to_stack;
    e->flags = flags;
    return e;
}

/* LS_REC_EDGES: n edges of one context; each one's held set is the other
 * locks and its own `from`, in the pool. */
static int parse_edges(struct parser *ps, struct ls_process *pr, const unsigned char *p, size_t n,
                       size_t off)
{
    struct ls_rec_edges r;
    memcpy(&r, p, sizeof r);
    size_t body = n - sizeof r;
    size_t width = r.pair_bytes;
    if (width != sizeof(struct ls_rec_edge_pair) && width != sizeof(struct ls_rec_edge_pair16))
        return fail(ps, off, "edges record: pairs of %u bytes", r.pair_bytes);
    if ((size_t)r.nother * sizeof(uint32_t) > body ||
        r.n > (body - (size_t)r.nother * sizeof(uint32_t)) / width)
        return fail(ps, off, "edges record: %u held locks and %u edges do not fit in %zu bytes",
                    r.nother, r.n, n);
    const unsigned char *other = p + sizeof r;
    const unsigned char *pairs = other + (size_t)r.nother * sizeof(uint32_t);
    if (r.nother)
        LS_GROW(pr->held_pool, pr->cap_held_pool,
                pr->nheld_pool + (size_t)r.n * ((size_t)r.nother + 1) + 1);
    for (uint32_t i = 0; i < r.n; i++) {
        struct ls_rec_edge_pair ep;
        if (width == sizeof ep) {
            memcpy(&ep, pairs + (size_t)i * sizeof ep, sizeof ep);
        } else {
            struct ls_rec_edge_pair16 e16;
            memcpy(&e16, pairs + (size_t)i * sizeof e16, sizeof e16);
            ep = (struct ls_rec_edge_pair){e16.from, e16.to};
        }
        if (ep.from == 0 || ep.to == 0)
            return fail(ps, off, "edges record names lock 0");
        struct ls_edge *e = add_edge(pr, r.tid, r.epoch, r.from_stack, r.to_stack, r.flags);
        e->from = ep.from;
        e->to = ep.to;
        e->nheld = (uint32_t)r.nother + 1;
        if (!r.nother) {
            e->held = HELD_SELF; /* {from}: the edge's own from */
            continue;
        }
        e->held = (uint32_t *)(uintptr_t)pr->nheld_pool;
        memcpy(pr->held_pool + pr->nheld_pool, other, (size_t)r.nother * sizeof(uint32_t));
        pr->held_pool[pr->nheld_pool + r.nother] = ep.from;
        pr->nheld_pool += (size_t)r.nother + 1;
    }
    return 0;
}

/* The edges' held sets were read as offsets into the pool, which has
 * stopped growing, or as HELD_SELF: make them pointers.  After the edges
 * stopped moving too: a held set of one lock is the edge's own `from`. */
static void fix_held(struct ls_process *pr)
{
    for (size_t i = 0; i < pr->nedges; i++) {
        struct ls_edge *e = &pr->edges[i];
        e->held = e->held == HELD_SELF ? &e->from : pr->held_pool + (uintptr_t)e->held;
    }
}

static int parse_record(struct parser *ps, struct ls_process *pr, uint16_t type,
                        const unsigned char *p, size_t n, size_t off)
{
    static const size_t min_size[] = {
        [LS_REC_PROCESS] = sizeof(struct ls_rec_process),
        [LS_REC_MODULE] = sizeof(struct ls_rec_module),
        [LS_REC_STACK] = sizeof(struct ls_rec_stack),
        [LS_REC_THREAD] = sizeof(struct ls_rec_thread),
        [LS_REC_JOIN] = sizeof(struct ls_rec_join),
        [LS_REC_LOCK] = sizeof(struct ls_rec_lock),
        [LS_REC_EDGE] = sizeof(struct ls_rec_edge),
        [LS_REC_NOTE] = sizeof(struct ls_rec_note),
        [LS_REC_END] = sizeof(struct ls_rec_end),
        [LS_REC_THREAD_END] = sizeof(struct ls_rec_thread_end),
        [LS_REC_DEADLOCK] = sizeof(struct ls_rec_deadlock),
        [LS_REC_MISUSE] = sizeof(struct ls_rec_misuse),
        [LS_REC_CLOCK] = sizeof(struct ls_rec_clock),
        [LS_REC_ACCESS] = sizeof(struct ls_rec_access),
        [LS_REC_WATCH] = sizeof(struct ls_rec_watch),
        [LS_REC_THREAD_NAME] = sizeof(struct ls_rec_thread_name),
        [LS_REC_PROFILE] = sizeof(struct ls_rec_profile),
        [LS_REC_WRITER_QUEUE] = sizeof(struct ls_rec_writer_queue),
        [LS_REC_EXEC] = sizeof(struct ls_rec_exec),
        [LS_REC_SYNC_RACE] = sizeof(struct ls_rec_sync_race),
        [LS_REC_WATCH_TURNS] = sizeof(struct ls_rec_watch_turns),
        [LS_REC_EDGES] = sizeof(struct ls_rec_edges),
        [LS_REC_EDGE_MORE] = sizeof(struct ls_rec_edge_more),
        [LS_REC_OBJECT] = sizeof(struct ls_rec_object),
        [LS_REC_OBJECT_END] = sizeof(struct ls_rec_object_end),
        [LS_REC_ACCESS_OBJ] = sizeof(struct ls_rec_access_obj),
        [LS_REC_OBJECT_GLOBAL] = sizeof(struct ls_rec_object_global),
        [LS_REC_THREAD_ARG] = sizeof(struct ls_rec_thread_arg),
    };
    if (type < sizeof min_size / sizeof min_size[0] && n < min_size[type])
        return fail(ps, off, "%s record of %zu bytes is shorter than %zu", type_name(type), n,
                    min_size[type]);
    switch (type) {
    case LS_REC_PROCESS:
        return parse_process(ps, pr, p, n, off);
    case LS_REC_MODULE: {
        struct ls_rec_module r;
        memcpy(&r, p, sizeof r);
        if (r.build_id_len > n - sizeof r || r.build_id_len > 256)
            return fail(ps, off, "module record: build-id of %u bytes overruns the record",
                        r.build_id_len);
        LS_GROW(pr->modules, pr->cap_modules, pr->nmodules + 1);
        struct ls_module_rec *m = &pr->modules[pr->nmodules++];
        m->id = r.id;
        m->bias = r.bias;
        m->start = r.start;
        m->end = r.end;
        m->build_id_len = r.build_id_len;
        m->build_id = xmalloc(r.build_id_len + 1);
        memcpy(m->build_id, p + sizeof r, r.build_id_len);
        m->path = copy_str(p + sizeof r + r.build_id_len, n - sizeof r - r.build_id_len);
        return 0;
    }
    case LS_REC_STACK: {
        struct ls_rec_stack r;
        memcpy(&r, p, sizeof r);
        if (r.id == 0)
            return fail(ps, off, "stack record with id 0");
        if (r.depth > LS_TRACE_MAX_FRAMES || r.depth * sizeof(uint64_t) > n - sizeof r)
            return fail(ps, off, "stack record: %u frames do not fit in %zu bytes", r.depth, n);
        LS_GROW(pr->stacks, pr->cap_stacks, pr->nstacks + 1);
        struct ls_stack *s = &pr->stacks[pr->nstacks++];
        s->id = r.id;
        s->depth = r.depth;
        s->ips = xmalloc(r.depth * sizeof(uint64_t) + 1);
        memcpy(s->ips, p + sizeof r, r.depth * sizeof(uint64_t));
        return 0;
    }
    case LS_REC_THREAD: {
        struct ls_rec_thread r;
        memcpy(&r, p, sizeof r);
        if (r.tid == 0)
            return fail(ps, off, "thread record with id 0");
        if (r.name_len > n - sizeof r)
            return fail(ps, off, "thread record: name of %u bytes overruns the record",
                        r.name_len);
        LS_GROW(pr->threads, pr->cap_threads, pr->nthreads + 1);
        struct ls_thread_info *t = &pr->threads[pr->nthreads++];
        t->tid = r.tid;
        t->os_tid = r.os_tid;
        t->parent = r.parent;
        t->parent_epoch = r.parent_epoch;
        t->create_stack = r.create_stack;
        t->name = r.name_len ? copy_str(p + sizeof r, r.name_len) : NULL;
        return 0;
    }
    case LS_REC_THREAD_END: {
        struct ls_rec_thread_end r;
        memcpy(&r, p, sizeof r);
        /* Threads end after they start: the start record is already here. */
        for (size_t i = pr->nthreads; i-- > 0;)
            if (pr->threads[i].tid == r.tid) {
                pr->threads[i].ended = 1;
                pr->threads[i].end_epoch = r.epoch;
                pr->threads[i].exit_stack = r.exit_stack;
                break;
            }
        return 0;
    }
    case LS_REC_JOIN: {
        struct ls_rec_join r;
        memcpy(&r, p, sizeof r);
        LS_GROW(pr->joins, pr->cap_joins, pr->njoins + 1);
        pr->joins[pr->njoins++] = (struct ls_join){r.joiner, r.joiner_epoch, r.joined,
                                                   r.joined_epoch, r.stack};
        return 0;
    }
    case LS_REC_LOCK: {
        struct ls_rec_lock r;
        memcpy(&r, p, sizeof r);
        if (r.id == 0)
            return fail(ps, off, "lock record with id 0");
        LS_GROW(pr->locks, pr->cap_locks, pr->nlocks + 1);
        pr->locks[pr->nlocks++] = (struct ls_lock_info){r.id, r.kind, r.addr, r.init_stack,
                                                        r.first_stack};
        return 0;
    }
    case LS_REC_EDGE: {
        struct ls_rec_edge r;
        memcpy(&r, p, sizeof r);
        if (r.nheld > 4096 || r.nheld * sizeof(uint32_t) > n - sizeof r)
            return fail(ps, off, "edge record: %u held locks do not fit in %zu bytes", r.nheld,
                        n);
        if (r.from == 0 || r.to == 0)
            return fail(ps, off, "edge record names lock 0");
        struct ls_edge *e = add_edge(pr, r.tid, r.epoch, r.from_stack, r.to_stack, r.flags);
        e->from = r.from;
        e->to = r.to;
        e->nheld = r.nheld;
        LS_GROW(pr->held_pool, pr->cap_held_pool, pr->nheld_pool + r.nheld + 1);
        /* An offset until the pool stops moving (fix_held). */
        e->held = (uint32_t *)(uintptr_t)pr->nheld_pool;
        memcpy(pr->held_pool + pr->nheld_pool, p + sizeof r, r.nheld * sizeof(uint32_t));
        pr->nheld_pool += r.nheld;
        return 0;
    }
    case LS_REC_EDGES:
        return parse_edges(ps, pr, p, n, off);
    case LS_REC_EDGE_MORE: {
        struct ls_rec_edge_more r;
        memcpy(&r, p, sizeof r);
        if (r.from == 0 || r.to == 0)
            return fail(ps, off, "edge-more record names lock 0");
        LS_GROW(pr->edge_more, pr->cap_edge_more, pr->nedge_more + 1);
        pr->edge_more[pr->nedge_more++] = (struct ls_edge_more){r.from, r.to, r.tid, r.count};
        return 0;
    }
    case LS_REC_NOTE: {
        struct ls_rec_note r;
        memcpy(&r, p, sizeof r);
        if (r.msg_len > n - sizeof r)
            return fail(ps, off, "note record: text of %u bytes overruns the record", r.msg_len);
        LS_GROW(pr->notes, pr->cap_notes, pr->nnotes + 1);
        pr->notes[pr->nnotes].code = r.code;
        pr->notes[pr->nnotes++].msg = copy_str(p + sizeof r, r.msg_len);
        return 0;
    }
    case LS_REC_END: {
        struct ls_rec_end r;
        memcpy(&r, p, sizeof r);
        pr->ended = 1;
        pr->end_ns = r.end_ns;
        pr->exit_status = r.status;
        pr->execed = (r.flags & LS_END_EXEC) != 0;
        return 0;
    }
    case LS_REC_DEADLOCK:
        return parse_deadlock(ps, pr, p, n, off);
    case LS_REC_PYTHON:
    case LS_REC_PYCODE:
    case LS_REC_PYSTACK:
    case LS_REC_PYLOCK:
    case LS_REC_PYVAR:
    case LS_REC_PYACCESS:
    case LS_REC_PYWATCH: {
        char why[160];
        if (ls_py_parse(pr, type, p, n, why, sizeof why) != 0)
            return fail(ps, off, "%s", why);
        return 0;
    }
    case LS_REC_PROFILE: {
        struct ls_rec_profile r;
        memcpy(&r, p, sizeof r);
        if (r.nsites > 64 || r.nsites * sizeof(struct ls_rec_profile_site) > n - sizeof r)
            return fail(ps, off, "profile record: %u sites do not fit in %zu bytes", r.nsites, n);
        LS_GROW(pr->profiles, pr->cap_profiles, pr->nprofiles + 1);
        struct ls_profile_rec *q = &pr->profiles[pr->nprofiles++];
        q->r = r;
        q->sites = xmalloc(r.nsites * sizeof *q->sites + 1);
        memcpy(q->sites, p + sizeof r, r.nsites * sizeof *q->sites);
        return 0;
    }
    case LS_REC_EXEC: {
        struct ls_rec_exec r;
        memcpy(&r, p, sizeof r);
        if (r.path_len > n - sizeof r)
            return fail(ps, off, "exec record: path of %u bytes overruns the record",
                        r.path_len);
        LS_GROW(pr->execs, pr->cap_execs, pr->nexecs + 1);
        struct ls_exec_rec *e = &pr->execs[pr->nexecs++];
        e->pid = r.pid;
        e->how = r.how;
        e->time_ns = r.time_ns;
        e->path = copy_str(p + sizeof r, r.path_len);
        return 0;
    }
    case LS_REC_THREAD_NAME: {
        struct ls_rec_thread_name r;
        memcpy(&r, p, sizeof r);
        if (r.name_len > n - sizeof r)
            return fail(ps, off, "thread-name record: name of %u bytes overruns the record",
                        r.name_len);
        for (size_t i = pr->nthreads; i-- > 0;)
            if (pr->threads[i].tid == r.tid) {
                free(pr->threads[i].name);
                pr->threads[i].name = copy_str(p + sizeof r, r.name_len);
                break;
            }
        return 0;
    }
    case LS_REC_SYNC_RACE: {
        LS_GROW(pr->sync_races, pr->cap_sync_races, pr->nsync_races + 1);
        memcpy(&pr->sync_races[pr->nsync_races++], p, sizeof(struct ls_rec_sync_race));
        return 0;
    }
    case LS_REC_WRITER_QUEUE: {
        struct ls_rec_writer_queue r;
        memcpy(&r, p, sizeof r);
        LS_GROW(pr->writer_queued, pr->cap_writer_queued, pr->nwriter_queued + 1);
        pr->writer_queued[pr->nwriter_queued++] = r.lock;
        return 0;
    }
    case LS_REC_CLOCK: {
        struct ls_rec_clock r;
        memcpy(&r, p, sizeof r);
        if (r.n > (1u << 20) || r.n * sizeof(uint32_t) > n - sizeof r)
            return fail(ps, off, "clock record: %u entries do not fit in %zu bytes", r.n, n);
        LS_GROW(pr->clocks, pr->cap_clocks, pr->nclocks + 1);
        struct ls_clock_rec *c = &pr->clocks[pr->nclocks++];
        c->tid = r.tid;
        c->version = r.version;
        c->n = r.n;
        c->v = xmalloc(r.n * sizeof(uint32_t) + 1);
        memcpy(c->v, p + sizeof r, r.n * sizeof(uint32_t));
        return 0;
    }
    case LS_REC_ACCESS: {
        struct ls_rec_access r;
        memcpy(&r, p, sizeof r);
        if (r.nheld > 4096 || r.nheld * sizeof(uint32_t) > n - sizeof r)
            return fail(ps, off, "access record: %u held locks do not fit in %zu bytes", r.nheld,
                        n);
        LS_GROW(pr->accesses, pr->cap_accesses, pr->naccesses + 1);
        struct ls_access_rec *a = &pr->accesses[pr->naccesses++];
        a->tid = r.tid;
        a->epoch = r.epoch;
        a->clock_version = r.clock_version;
        a->flags = r.flags;
        a->addr = r.addr;
        a->size = r.size;
        a->stack = r.stack;
        a->watch_addr = r.watch_addr;
        a->watch_len = r.watch_len;
        a->nheld = r.nheld;
        a->sync_lost = r.sync_lost;
        a->held = xmalloc(r.nheld * sizeof(uint32_t) + 1);
        memcpy(a->held, p + sizeof r, r.nheld * sizeof(uint32_t));
        return 0;
    }
    case LS_REC_WATCH: {
        struct ls_rec_watch r;
        memcpy(&r, p, sizeof r);
        if (r.msg_len > n - sizeof r)
            return fail(ps, off, "watch record: text of %u bytes overruns the record", r.msg_len);
        pr->watch_status = (int)r.status;
        pr->watch_candidates = r.candidates;
        pr->watch_classify = r.classify;
        pr->watch_sync = r.sync;
        pr->watch_slots = r.slots;
        uint32_t armed = pr->wcount.turns_armed, rested = pr->wcount.turns_rested;
        pr->wcount = (struct ls_watch_counts){r.traps,   r.exact,  r.inexact,
                                              r.no_access, r.undecoded, r.foreign,
                                              r.stray,   r.atomic, r.limited,
                                              armed,     rested};
        free(pr->watch_msg);
        pr->watch_msg = copy_str(p + sizeof r, r.msg_len);
        return 0;
    }
    case LS_REC_WATCH_TURNS: {
        struct ls_rec_watch_turns r;
        memcpy(&r, p, sizeof r);
        pr->wcount.turns_armed = r.armed;
        pr->wcount.turns_rested = r.rested;
        return 0;
    }
    case LS_REC_MISUSE: {
        struct ls_rec_misuse r;
        memcpy(&r, p, sizeof r);
        LS_GROW(pr->misuses, pr->cap_misuses, pr->nmisuses + 1);
        pr->misuses[pr->nmisuses++] =
            (struct ls_misuse_rec){r.rule,  r.tid,       r.lock,        r.stack,
                                   r.lock_stack, r.result, r.call, r.other_tid,
                                   r.other_stack, r.lock2, r.value};
        return 0;
    }
    case LS_REC_OBJECT: {
        LS_GROW(pr->objects, pr->cap_objects, pr->nobjects + 1);
        struct ls_object_rec *o = &pr->objects[pr->nobjects++];
        memset(o, 0, sizeof *o);
        memcpy(&o->r, p, sizeof o->r);
        if (o->r.via == LS_OBJ_VIA_GLOBAL)
            o->global = o->r.via_addr;
        return 0;
    }
    case LS_REC_OBJECT_GLOBAL: {
        struct ls_rec_object_global r;
        memcpy(&r, p, sizeof r);
        for (size_t i = pr->nobjects; i-- > 0;)
            if (pr->objects[i].r.id == r.id) {
                if (!pr->objects[i].global)
                    pr->objects[i].global = r.global;
                break;
            }
        return 0;
    }
    case LS_REC_THREAD_ARG:
        LS_GROW(pr->thread_args, pr->cap_thread_args, pr->nthread_args + 1);
        memcpy(&pr->thread_args[pr->nthread_args++], p, sizeof *pr->thread_args);
        return 0;
    case LS_REC_OBJECT_END: {
        struct ls_rec_object_end r;
        memcpy(&r, p, sizeof r);
        for (size_t i = pr->nobjects; i-- > 0;)
            if (pr->objects[i].r.id == r.id) {
                pr->objects[i].ended = 1;
                pr->objects[i].end_tid = r.tid;
                break;
            }
        return 0;
    }
    case LS_REC_ACCESS_OBJ: {
        struct ls_rec_access_obj r;
        memcpy(&r, p, sizeof r);
        /* Its access is the thread's latest one with that address. */
        for (size_t i = pr->naccesses, k = 0; i-- > 0 && k < 4096; k++) {
            struct ls_access_rec *x = &pr->accesses[i];
            if (x->tid == r.tid) {
                if (x->addr == r.addr && !x->obj)
                    x->obj = r.obj;
                break;
            }
        }
        return 0;
    }
    case LS_REC_TIMELINE:
    case LS_REC_TIMELINE_CLOCK:
    case LS_REC_ACCESS_TIME: {
        char why[160];
        if (ls_tl_parse(pr, type, p, n, why, sizeof why) != 0)
            return fail(ps, off, "%s", why);
        return 0;
    }
    default:
        return 0; /* a newer minor addition: skipped, its size is known */
    }
}

/* The edges and held-lock ids the file holds, counted from the record
 * headers (a bad record only makes the count wrong): the arrays are then
 * allocated once, at their size, not doubled and copied as they fill. */
static void reserve_edges(struct ls_process *pr, const unsigned char *data, size_t len,
                          size_t off)
{
    size_t nedges = 0, nheld = 0;
    while (len - off >= sizeof(struct ls_rec_header)) {
        struct ls_rec_header rh;
        memcpy(&rh, data + off, sizeof rh);
        size_t padded = ((size_t)rh.size + LS_TRACE_ALIGN - 1) & ~(size_t)(LS_TRACE_ALIGN - 1);
        if (rh.type == 0 || rh.size > LS_TRACE_MAX_RECORD ||
            len - off - sizeof rh < rh.size)
            break;
        const unsigned char *p = data + off + sizeof rh;
        if (rh.type == LS_REC_EDGE && rh.size >= sizeof(struct ls_rec_edge)) {
            struct ls_rec_edge r;
            memcpy(&r, p, sizeof r);
            nedges++;
            nheld += r.nheld <= 4096 ? r.nheld : 0;
        } else if (rh.type == LS_REC_EDGES && rh.size >= sizeof(struct ls_rec_edges)) {
            struct ls_rec_edges r;
            memcpy(&r, p, sizeof r);
            size_t fit = rh.size / sizeof(struct ls_rec_edge_pair16);
            size_t n = r.n < fit ? r.n : fit;
            nedges += n;
            nheld += r.nother ? n * ((size_t)r.nother + 1) : 0;
        }
        off += sizeof rh + padded;
        if (off > len)
            break;
    }
    if (nedges) {
        pr->edges = xmalloc(nedges * sizeof *pr->edges);
        pr->cap_edges = nedges;
    }
    pr->held_pool = xmalloc((nheld + 1) * sizeof *pr->held_pool);
    pr->cap_held_pool = nheld + 1;
}

static int parse(struct parser *ps, struct ls_process **out)
{
    const void *data = ps->data;
    size_t len = ps->len;
    struct ls_file_header h;
    *out = NULL;
    if (len == 0)
        return fail(ps, 0, "the file is empty");
    if (len < sizeof h)
        return fail(ps, 0, "%zu bytes is too short for a trace header", len);
    memcpy(&h, data, sizeof h);
    if (memcmp(h.magic, LS_TRACE_MAGIC, sizeof LS_TRACE_MAGIC) != 0)
        return fail(ps, 0, "not a lockscope trace (bad magic)");
    /* Version 2 made accesses exact (decoded); a version-1 trace says
     * only which watch window fired, which is no evidence for a race. */
    if (h.version != LS_TRACE_VERSION)
        return fail(ps, 8, "trace format version %u is not supported (this lockscope reads "
                           "version %u only: record the trace again with it)",
                    h.version, LS_TRACE_VERSION);
    if (h.header_size < sizeof h || h.header_size > len || h.header_size % LS_TRACE_ALIGN)
        return fail(ps, 12, "bad header size %u", h.header_size);

    struct ls_process *pr = xcalloc(1, sizeof *pr);
    pr->pid = h.pid;
    pr->ppid = h.ppid;
    pr->start_ns = h.start_ns;
    pr->exit_status = -1;
    size_t off = h.header_size, next_report = 0;
    reserve_edges(pr, ps->data, len, off);
    while (off < len) {
        if (off >= next_report) {
            ls_progress(ps->pg, LS_STAGE_PARSE, off, len);
            next_report = off + PROGRESS_STEP;
        }
        struct ls_rec_header rh;
        if (len - off < sizeof rh) {
            pr->cut = 1;
            break;
        }
        memcpy(&rh, ps->data + off, sizeof rh);
        if (rh.type == 0) {
            fail(ps, off, "invalid record type 0");
            goto bad;
        }
        if (rh.size > LS_TRACE_MAX_RECORD) {
            fail(ps, off, "%s record claims %u bytes (more than the limit of %u)",
                 type_name(rh.type), rh.size, LS_TRACE_MAX_RECORD);
            goto bad;
        }
        size_t padded = ((size_t)rh.size + LS_TRACE_ALIGN - 1) & ~(size_t)(LS_TRACE_ALIGN - 1);
        if (len - off - sizeof rh < rh.size) {
            pr->cut = 1; /* the last record was cut off: the process was killed */
            break;
        }
        if (parse_record(ps, pr, rh.type, ps->data + off + sizeof rh, rh.size, off) != 0)
            goto bad;
        off += sizeof rh + padded;
        if (off > len)
            off = len;
    }
    ls_py_finish(pr);
    fix_held(pr);
    ls_process_index(pr);
    *out = pr;
    return 0;
bad:
    ls_process_free(pr);
    return -1;
}

int ls_trace_parse(const void *data, size_t len, struct ls_process **out, char *err,
                   size_t errlen)
{
    struct parser ps = {data, len, err, errlen, NULL};
    return parse(&ps, out);
}

int ls_trace_read(const char *path, struct ls_process **out, const struct ls_progress *pg)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error("cannot open trace '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return error("cannot read trace '%s': not a regular file", path);
    }
    size_t len = (size_t)st.st_size, got = 0;
    unsigned char *buf = xmalloc(len + 1);
    while (got < len) {
        ls_progress(pg, LS_STAGE_READ, got, len);
        size_t want = len - got < 4 * PROGRESS_STEP ? len - got : 4 * PROGRESS_STEP;
        ssize_t r = read(fd, buf + got, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    char err[512];
    struct parser ps = {buf, got, err, sizeof err, pg};
    int rc = parse(&ps, out);
    free(buf);
    if (rc != 0)
        return error("trace '%s': %s", path, err);
    (*out)->trace_path = xstrdup(path);
    if ((*out)->cut)
        warning("trace '%s' ends inside a record (the process was killed or crashed): "
                "analyzing what was written before that",
                path);
    return 0;
}
