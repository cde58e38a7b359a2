#define _GNU_SOURCE
#include "synclife.h"
#include "globals.h"
#include "misuse.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE "init and destroy of sync objects against their use"

__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, f);
    int n = vasprintf(&s, f, ap);
    va_end(ap);
    if (n < 0)
        die("out of memory");
    return s;
}

static const char *object_kind(uint32_t kind)
{
    switch (kind) {
    case LS_LOCK_MUTEX:
    case LS_LOCK_MUTEX_RECURSIVE:
    case LS_LOCK_MUTEX_ERRORCHECK: return "mutex";
    case LS_LOCK_RWLOCK: return "rwlock";
    case LS_LOCK_SPIN: return "spinlock";
    case LS_SYNC_COND: return "condition variable";
    case LS_SYNC_SEM: return "semaphore";
    case LS_SYNC_BARRIER: return "barrier";
    default: return "sync object";
    }
}

/* glibc's sizes on x86-64. */
static uint64_t object_size(uint32_t kind)
{
    switch (kind) {
    case LS_LOCK_MUTEX:
    case LS_LOCK_MUTEX_RECURSIVE:
    case LS_LOCK_MUTEX_ERRORCHECK: return sizeof(pthread_mutex_t);
    case LS_LOCK_RWLOCK: return sizeof(pthread_rwlock_t);
    case LS_LOCK_SPIN: return sizeof(pthread_spinlock_t);
    case LS_SYNC_COND: return sizeof(pthread_cond_t);
    case LS_SYNC_SEM: return 32;
    case LS_SYNC_BARRIER: return sizeof(pthread_barrier_t);
    default: return 0;
    }
}

/* The object by name: its global (or the member of one), else its kind
 * and address, and where it lives. */
static void name_object(struct ls_process *p, const struct ls_rec_sync_race *s,
                        struct ls_fvar *v)
{
    const char *kind = object_kind(s->kind);
    struct ls_symbolizer *sym = ls_process_symbolizer(p);
    uint64_t size = object_size(s->kind), off = 0, gsize = 0;
    const char *global = sym ? ls_sym_data(sym, s->addr, &off, &gsize) : NULL;
    /* inside a global struct: its member (`q.lock`), not glibc's own fields
     * of the object (`m.__data`) */
    char *member = global && off ? ls_sym_data_member(sym, s->addr, size ? size : 1) : NULL;
    char *inner = member ? strstr(member, ".__") : NULL;
    if (inner)
        *inner = 0;
    struct strbuf sb;
    sb_init(&sb);
    v->addr = s->addr;
    v->size = size;
    v->location = LS_VLOC_SYNC;
    if (member || global) {
        if (member)
            v->name = member;
        else if (off)
            v->name = fmt("%s+%llu", global, (unsigned long long)off);
        else
            v->name = xstrdup(global);
        sb_printf(&sb, "the %s `%s`", kind, v->name);
    } else {
        const char *mem = s->mem == LS_SLMEM_HEAP ? " (heap)"
                          : s->mem == LS_SLMEM_STACK ? " (stack)"
                          : s->mem == LS_SLMEM_GLOBAL ? " (global data)"
                                                      : "";
        /* no address in the name: the finding's id must not change with
         * the program's layout from one run to the next */
        v->name = fmt("%s%s", kind, mem);
        sb_printf(&sb, "%s at 0x%llx%s", kind, (unsigned long long)s->addr, mem);
    }
    v->description = sb_detach(&sb);
}

static const char *call_name(uint32_t call)
{
    const char *n = ls_misuse_call_name(call);
    return n ? n : "a call";
}

static void build_side(struct ls_process *p, struct ls_finding *f, int i, uint32_t tid,
                       uint32_t stack, uint32_t call, int write)
{
    struct ls_faccess *a = &f->access[i];
    ls_fthread_build(p, tid, &a->thread);
    a->write = write;
    a->addr = f->var.addr;
    a->size = f->var.size;
    a->where = fmt("%s (%s)", f->var.name, call_name(call));
    ls_fstack_build(p, stack, &a->stack);
    a->held = xcalloc(1, sizeof *a->held);
}

static int is_destroy(uint32_t call)
{
    return call == LS_CALL_MUTEX_DESTROY || call == LS_CALL_RWLOCK_DESTROY ||
           call == LS_CALL_COND_DESTROY || call == LS_CALL_SEM_DESTROY ||
           call == LS_CALL_BARRIER_DESTROY || call == LS_CALL_SPIN_DESTROY;
}

static char *explain(const struct ls_finding *f, const struct ls_rec_sync_race *s)
{
    struct strbuf sb;
    sb_init(&sb);
    const char *verb = is_destroy(s->write_call) ? "destroys" : "initializes";
    ls_thread_label(&sb, s->write_tid);
    sb_printf(&sb, " %s %s (%s), and ", verb, f->var.description, call_name(s->write_call));
    ls_thread_label(&sb, s->other_tid);
    const char *when = (s->flags & LS_SLR_OTHER_FIRST) ? "before" : "after";
    if (s->flags & LS_SLR_OTHER_WRITE)
        sb_printf(&sb, " %s it %s (%s)", is_destroy(s->other_call) ? "destroyed" : "initialized",
                  when, call_name(s->other_call));
    else if (s->flags & LS_SLR_OTHER_INSIDE)
        sb_printf(&sb, " is still inside %s on it", call_name(s->other_call));
    else if (s->flags & LS_SLR_OTHER_FIRST)
        sb_printf(&sb, " used it before (%s)", call_name(s->other_call));
    else
        sb_printf(&sb, " uses it after (%s)", call_name(s->other_call));
    sb_adds(&sb, ". Nothing orders the two: no thread creation, join, lock, condition "
                 "variable, semaphore, barrier or once between them. An init or a destroy "
                 "writes the object, so it must happen before every other thread's use "
                 "(after it, for a destroy), as for any other variable.");
    return sb_detach(&sb);
}

static void add(struct ls_process *p, size_t proc, struct ls_report *r,
                const struct ls_rec_sync_race *s, size_t *added)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_RACE;
    f->severity = "error";
    f->proc = proc;
    name_object(p, s, &f->var);
    build_side(p, f, 0, s->write_tid, s->write_stack, s->write_call, 1);
    build_side(p, f, 1, s->other_tid, s->other_stack, s->other_call,
               (s->flags & LS_SLR_OTHER_WRITE) != 0);
    f->summary = ls_fstack_user_frame(&f->access[0].stack);
    f->reason = explain(f, s);
    ls_finding_set_id(f);
    /* The same two sites on the same object are one finding. */
    *added += (size_t)ls_report_keep_new_race(r);
}

/* As for races on globals: synchronization through _Atomic globals that
 * was not followed may order what the clocks call unordered. */
static char *unfollowed_atomics(const struct ls_process *p)
{
    const struct ls_globals *g = p->exe && *p->exe ? ls_globals_of(p->exe) : NULL;
    char *names = g ? ls_globals_atomic_names(g) : NULL;
    if (!names || !*names) {
        free(names);
        return NULL;
    }
    size_t count = 1;
    for (const char *c = names; *c; c++)
        count += *c == ',';
    if ((p->watch_sync & 0xffff) >= count && !(p->watch_sync & LS_WATCH_SYNC_INCOMPLETE)) {
        free(names);
        return NULL;
    }
    return names;
}

size_t ls_check_synclife(struct ls_process *p, size_t proc, struct ls_report *r)
{
    struct ls_fprocess *fp = &r->procs[proc];
    if (p->py && p->py->version) {
        ls_scope_set(fp, "sync-lifetime", TITLE, LS_SCOPE_NOT_CHECKED,
                     "not checked in a Python process (its threads synchronize through the "
                     "GIL, which is not followed)");
        return 0;
    }
    char *atomics = p->nsync_races ? unfollowed_atomics(p) : NULL;
    if (atomics) {
        ls_scope_set(fp, "sync-lifetime", TITLE, LS_SCOPE_NOT_CHECKED,
                     "not judged: %zu init%s or destroy%s unordered with a use, but the "
                     "program synchronizes through _Atomic globals that were not all "
                     "followed (%s)",
                     p->nsync_races, p->nsync_races == 1 ? "" : "s",
                     p->nsync_races == 1 ? "" : "s", atomics);
        free(atomics);
        return 0;
    }
    size_t added = 0;
    for (size_t i = 0; i < p->nsync_races; i++)
        add(p, proc, r, &p->sync_races[i], &added);
    ls_scope_set(fp, "sync-lifetime", TITLE, LS_SCOPE_CHECKED,
                 "checked by the shim at every call (not sampled): %zu race%s on sync objects",
                 added, added == 1 ? "" : "s");
    return added;
}
