/*
 * Unit tests for analyzer/misuse.c: misuse records, as the reader leaves
 * them in the model, made into findings.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "misuse.h"
#include "model.h"

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
    p->locks = calloc(2, sizeof *p->locks);
    p->nlocks = p->cap_locks = 2;
    p->locks[0] = (struct ls_lock_info){.id = 1, .kind = LS_LOCK_MUTEX, .addr = 0x1000};
    p->locks[1] = (struct ls_lock_info){.id = 2, .kind = LS_LOCK_MUTEX, .addr = 0x2000};
    return p;
}

static void indexed(struct ls_process *p)
{
    ls_process_index(p);
}

static void add(struct ls_process *p, struct ls_misuse_rec m)
{
    p->misuses = realloc(p->misuses, (p->nmisuses + 1) * sizeof *p->misuses);
    cr_assert_not_null(p->misuses);
    p->misuses[p->nmisuses++] = m;
}

static struct ls_finding *check(struct ls_process *p, struct ls_report *r, size_t want)
{
    indexed(p);
    ls_report_add_process(r, p);
    size_t n = ls_check_misuse(p, 0, r);
    cr_assert_eq(n, want, "%zu findings, expected %zu", n, want);
    return r->nfindings ? &r->findings[0] : NULL;
}

Test(misuse, names)
{
    cr_assert_str_eq(ls_misuse_rule_id(LS_MISUSE_THREAD_LEAK), "thread-leak");
    cr_assert_str_eq(ls_misuse_rule_id(LS_MISUSE_ROBUST_INCONSISTENT), "robust-inconsistent");
    cr_assert_str_eq(ls_misuse_rule_id(LS_MISUSE_NOT_A_SEMAPHORE), "not-a-semaphore");
    cr_assert_str_eq(ls_misuse_rule_id(999), "unknown");
    cr_assert_str_eq(ls_misuse_call_name(LS_CALL_SEM_POST), "sem_post");
    cr_assert_str_eq(ls_misuse_call_name(LS_CALL_MTX_TIMEDLOCK), "mtx_timedlock");
    cr_assert_str_eq(ls_misuse_call_name(LS_CALL_MUTEX_CONSISTENT), "pthread_mutex_consistent");
    cr_assert_null(ls_misuse_call_name(0));
    cr_assert_null(ls_misuse_call_name(100000));
    cr_assert_str_eq(ls_errno_name(EINVAL), "EINVAL");
    cr_assert_str_eq(ls_errno_name(EOVERFLOW), "EOVERFLOW");
    cr_assert_str_eq(ls_errno_name(ENOTRECOVERABLE), "ENOTRECOVERABLE");
    cr_assert_null(ls_errno_name(0));
}

/* The call, the error by name and what it means. */
Test(misuse, call_error_says_call_error_and_meaning)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_CALL_ERROR, .tid = 1, .result = EOVERFLOW,
                                  .call = LS_CALL_SEM_POST});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert_str_eq(f->rule, "call-error");
    cr_assert_str_eq(f->call, "sem_post");
    cr_assert_str_eq(f->error, "EOVERFLOW");
    cr_assert(strstr(f->reason, "calls sem_post, which returns EOVERFLOW"), "%s", f->reason);
    cr_assert(strstr(f->reason, "SEM_VALUE_MAX"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);
}

/* A timed call's EINVAL is about its timeout; sem_init's about its value. */
Test(misuse, einval_depends_on_the_call)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_CALL_ERROR, .tid = 1, .stack = 0,
                                  .result = EINVAL, .call = LS_CALL_COND_TIMEDWAIT});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert(strstr(f->reason, "tv_nsec"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);

    p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_CALL_ERROR, .tid = 1, .result = EINVAL,
                                  .call = LS_CALL_SEM_INIT, .value = -1});
    struct ls_report r2 = {0};
    f = check(p, &r2, 1);
    cr_assert(strstr(f->reason, "with 4294967295"), "%s", f->reason);
    cr_assert(strstr(f->reason, "larger than SEM_VALUE_MAX"), "%s", f->reason);
    ls_report_free(&r2);
    ls_process_free(p);
}

/* "another thread holds" names it; the other side is that thread's. */
Test(misuse, unlock_not_owner_names_the_holder)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_UNLOCK_NOT_OWNER, .tid = 1, .lock = 1,
                                  .call = LS_CALL_MUTEX_UNLOCK, .other_tid = 3});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert_eq(f->other.tid, 3);
    cr_assert_eq(f->other.os_tid, 102);
    cr_assert(strstr(f->reason, "which T2 holds"), "%s", f->reason);
    cr_assert_null(strstr(f->reason, "another thread"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);
}

/* Both mutexes, the thread's first. */
Test(misuse, cond_two_mutexes_has_both)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_COND_TWO_MUTEXES, .tid = 1, .lock = 2,
                                  .lock2 = 1, .other_tid = 2, .call = LS_CALL_COND_WAIT});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert_eq(f->nlocks, 2);
    cr_assert_eq(f->locks[0].id, 2);
    cr_assert_eq(f->locks[1].id, 1);
    cr_assert(strstr(f->reason, "T1 waits on it with"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);
}

/* Without another thread recorded, the wording stays general. */
Test(misuse, no_other_thread)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_UNLOCK_NOT_OWNER, .tid = 1, .lock = 1});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert_eq(f->other.tid, 0);
    cr_assert(strstr(f->reason, "another thread holds"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);
}

/* One finding per rule and site: the same leak site twice is one. */
Test(misuse, same_site_once)
{
    struct ls_process *p = proc();
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_THREAD_LEAK, .tid = 2, .value = 1,
                                  .call = LS_CALL_CREATE});
    add(p, (struct ls_misuse_rec){.rule = LS_MISUSE_THREAD_LEAK, .tid = 3, .value = 1,
                                  .call = LS_CALL_CREATE});
    struct ls_report r = {0};
    struct ls_finding *f = check(p, &r, 1);
    cr_assert_str_eq(f->rule, "thread-leak");
    cr_assert_eq(f->thread.tid, 2);
    cr_assert(strstr(f->reason, "neither joined nor detached"), "%s", f->reason);
    ls_report_free(&r);
    ls_process_free(p);
}
