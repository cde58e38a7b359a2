/*
 * Unit tests for analyzer/synclife.c: LS_REC_SYNC_RACE records, as the
 * reader leaves them in the model, made into data-race findings on the
 * sync object.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "model.h"
#include "synclife.h"

static struct ls_process *proc(void)
{
    struct ls_process *p = calloc(1, sizeof *p);
    cr_assert_not_null(p);
    p->exit_status = -1;
    p->threads = calloc(3, sizeof *p->threads);
    p->nthreads = p->cap_threads = 3;
    for (uint32_t i = 0; i < 3; i++) {
        p->threads[i].tid = i + 1;
        p->threads[i].os_tid = 100 + i;
        p->threads[i].parent = i ? 1 : 0;
    }
    return p;
}

static void add(struct ls_process *p, struct ls_rec_sync_race s)
{
    p->sync_races = realloc(p->sync_races, (p->nsync_races + 1) * sizeof *p->sync_races);
    cr_assert_not_null(p->sync_races);
    p->sync_races[p->nsync_races++] = s;
}

static size_t check(struct ls_process *p, struct ls_report *r)
{
    ls_process_index(p);
    ls_report_add_process(r, p);
    return ls_check_synclife(p, 0, r);
}

static const struct ls_fscope *scope(const struct ls_report *r)
{
    for (size_t i = 0; i < r->procs[0].nscope; i++)
        if (!strcmp(r->procs[0].scope[i].check, "sync-lifetime"))
            return &r->procs[0].scope[i];
    return NULL;
}

/* An init racing with a later lock: a data race whose variable is the
 * mutex, the init a write, the lock a read, both threads named. */
Test(synclife, init_then_use)
{
    struct ls_process *p = proc();
    add(p, (struct ls_rec_sync_race){.addr = 0x5000, .kind = LS_LOCK_MUTEX,
                                      .mem = LS_SLMEM_HEAP, .write_tid = 1, .write_epoch = 3,
                                      .write_call = LS_CALL_MUTEX_INIT, .other_tid = 2,
                                      .other_epoch = 1, .other_call = LS_CALL_MUTEX_LOCK});
    struct ls_report r = {0};
    cr_assert_eq(check(p, &r), 1);
    const struct ls_finding *f = &r.findings[0];
    cr_assert_eq(f->kind, LS_FIND_RACE);
    cr_assert_eq(f->var.location, LS_VLOC_SYNC);
    cr_assert_str_eq(ls_var_location_name(f->var.location), "sync");
    cr_assert_str_eq(f->var.description, "mutex at 0x5000 (heap)");
    cr_assert_eq(f->var.size, sizeof(pthread_mutex_t));
    cr_assert(f->access[0].write);
    cr_assert_not(f->access[1].write);
    cr_assert_eq(f->access[0].thread.tid, 1);
    cr_assert_eq(f->access[1].thread.tid, 2);
    cr_assert_not_null(strstr(f->access[0].where, "pthread_mutex_init"));
    cr_assert_not_null(strstr(f->access[1].where, "pthread_mutex_lock"));
    cr_assert_not_null(strstr(f->reason, "initializes"));
    cr_assert_not_null(strstr(f->reason, "uses it after"));
    const struct ls_fscope *s = scope(&r);
    cr_assert_not_null(s);
    cr_assert_eq(s->state, LS_SCOPE_CHECKED);
    cr_assert_not_null(strstr(s->detail, "1 race"));
    ls_report_free(&r);
    ls_process_free(p);
}

/* A barrier destroyed with a thread inside; the same pair recorded twice
 * (a loop of rounds) is one finding. */
Test(synclife, destroy_inside_once)
{
    struct ls_process *p = proc();
    struct ls_rec_sync_race s = {.addr = 0x6000, .kind = LS_SYNC_BARRIER,
                                 .flags = LS_SLR_OTHER_FIRST | LS_SLR_OTHER_INSIDE,
                                 .write_tid = 3, .write_call = LS_CALL_BARRIER_DESTROY,
                                 .other_tid = 2, .other_call = LS_CALL_BARRIER_WAIT};
    add(p, s);
    add(p, s);
    struct ls_report r = {0};
    cr_assert_eq(check(p, &r), 1);
    cr_assert_eq(r.nfindings, 1);
    const struct ls_finding *f = &r.findings[0];
    cr_assert_str_eq(f->var.description, "barrier at 0x6000");
    cr_assert_not_null(strstr(f->reason, "destroys"));
    cr_assert_not_null(strstr(f->reason, "still inside pthread_barrier_wait"));
    ls_report_free(&r);
    ls_process_free(p);
}

/* Two inits by two threads: both sides writes. */
Test(synclife, init_init)
{
    struct ls_process *p = proc();
    add(p, (struct ls_rec_sync_race){.addr = 0x7000, .kind = LS_SYNC_COND,
                                      .flags = LS_SLR_OTHER_FIRST | LS_SLR_OTHER_WRITE,
                                      .write_tid = 1, .write_call = LS_CALL_COND_INIT,
                                      .other_tid = 2, .other_call = LS_CALL_COND_INIT});
    struct ls_report r = {0};
    cr_assert_eq(check(p, &r), 1);
    cr_assert(r.findings[0].access[0].write && r.findings[0].access[1].write);
    cr_assert_not_null(strstr(r.findings[0].reason, "initialized it before"));
    ls_report_free(&r);
    ls_process_free(p);
}

/* Nothing recorded: checked, no finding. */
Test(synclife, none)
{
    struct ls_process *p = proc();
    struct ls_report r = {0};
    cr_assert_eq(check(p, &r), 0);
    cr_assert_eq(r.nfindings, 0);
    cr_assert_eq(scope(&r)->state, LS_SCOPE_CHECKED);
    ls_report_free(&r);
    ls_process_free(p);
}
