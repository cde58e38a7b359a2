/*
 * Unit tests for analyzer/hb.c: happens-before from thread creation and
 * join.  Processes are built by hand; only threads and joins matter.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hb.h"
#include "model.h"

#define MAIN 1u

struct world {
    struct ls_process p;
    struct ls_thread_info threads[32];
    struct ls_join joins[32];
};

static void world_init(struct world *w)
{
    memset(w, 0, sizeof *w);
    w->p.threads = w->threads;
    w->p.joins = w->joins;
    w->threads[w->p.nthreads++] = (struct ls_thread_info){.tid = MAIN};
}

/* `parent` created `tid` at its epoch `epoch` (then moved to epoch + 1). */
static void create(struct world *w, uint32_t parent, uint32_t epoch, uint32_t tid)
{
    cr_assert_lt(w->p.nthreads, 32);
    w->threads[w->p.nthreads++] =
        (struct ls_thread_info){.tid = tid, .parent = parent, .parent_epoch = epoch};
}

/* `joiner` at epoch `epoch` joined `joined`, whose final epoch was `final`. */
static void join(struct world *w, uint32_t joiner, uint32_t epoch, uint32_t joined,
                 uint32_t final)
{
    cr_assert_lt(w->p.njoins, 32);
    w->joins[w->p.njoins++] = (struct ls_join){.joiner = joiner, .joiner_epoch = epoch,
                                               .joined = joined, .joined_epoch = final};
}

/*
 * main: create T2 (1 -> 2), create T3 (2 -> 3), join T2 (3 -> 4),
 * create T4 (4 -> 5).  T2 never creates or joins: final epoch 1.
 */
static struct ls_hb *basic(struct world *w)
{
    world_init(w);
    create(w, MAIN, 1, 2);
    create(w, MAIN, 2, 3);
    join(w, MAIN, 3, 2, 1);
    create(w, MAIN, 4, 4);
    struct ls_hb *hb = ls_hb_new(&w->p);
    cr_assert_not_null(hb);
    return hb;
}

Test(hb, siblings_are_concurrent)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, 3, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 3, 1, 2, 1), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 1, 3, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 3, 1, 2, 1), 0);
    ls_hb_free(hb);
}

Test(hb, parent_before_child_up_to_create_epoch)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    cr_assert_eq(ls_hb_before(hb, MAIN, 1, 2, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, MAIN, 1, 2, 1), 0);
    /* After the create, main runs alongside T2. */
    cr_assert_eq(ls_hb_before(hb, MAIN, 2, 2, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 2, 1, MAIN, 2), 0);
    cr_assert_eq(ls_hb_concurrent(hb, MAIN, 2, 2, 1), 1);
    /* T3 was created at main's epoch 2: main's epochs 1 and 2 precede it. */
    cr_assert_eq(ls_hb_before(hb, MAIN, 1, 3, 1), 1);
    cr_assert_eq(ls_hb_before(hb, MAIN, 2, 3, 1), 1);
    cr_assert_eq(ls_hb_before(hb, MAIN, 3, 3, 1), 0);
    /* The child never happens before its parent's creating point. */
    cr_assert_eq(ls_hb_before(hb, 2, 1, MAIN, 1), 0);
    ls_hb_free(hb);
}

Test(hb, join_orders_joined_before_later_children)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    /* T2 was joined at main's epoch 3 -> 4; T4 came after. */
    cr_assert_eq(ls_hb_before(hb, 2, 1, 4, 1), 1);
    cr_assert_eq(ls_hb_before(hb, 4, 1, 2, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, 4, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 4, 1, 2, 1), 0);
    /* T3 was never joined: it overlaps T4. */
    cr_assert_eq(ls_hb_concurrent(hb, 3, 1, 4, 1), 1);
    ls_hb_free(hb);
}

Test(hb, join_point_in_the_joiner)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    /* Main's epoch 3 is before the join, epoch 4 after it. */
    cr_assert_eq(ls_hb_before(hb, 2, 1, MAIN, 3), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, MAIN, 3), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 1, MAIN, 4), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 1, MAIN, 5), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, MAIN, 4), 0);
    /* Only T2's epochs up to its final one are covered by the join. */
    cr_assert_eq(ls_hb_before(hb, 2, 2, MAIN, 4), 0);
    ls_hb_free(hb);
}

Test(hb, same_thread)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    for (uint32_t tid = 1; tid <= 4; tid++)
        for (uint32_t e = 1; e <= 5; e++) {
            cr_assert_eq(ls_hb_concurrent(hb, tid, e, tid, e), 0);
            cr_assert_eq(ls_hb_concurrent(hb, tid, e, tid, e + 1), 0);
            cr_assert_eq(ls_hb_concurrent(hb, tid, e + 1, tid, e), 0);
            /* Program order. */
            cr_assert_eq(ls_hb_before(hb, tid, e, tid, e + 1), 1);
            cr_assert_eq(ls_hb_before(hb, tid, e + 1, tid, e), 0);
        }
    ls_hb_free(hb);
}

/*
 * main creates T2 (1 -> 2) and T3 (2 -> 3).  T2 creates T5 (1 -> 2) and
 * joins it (2 -> 3); main joins T2 (3 -> 4; T2's final epoch is 3) and
 * creates T6 (4 -> 5).
 */
static struct ls_hb *chain(struct world *w)
{
    world_init(w);
    create(w, MAIN, 1, 2);
    create(w, MAIN, 2, 3);
    create(w, 2, 1, 5);
    join(w, 2, 2, 5, 1);
    join(w, MAIN, 3, 2, 3);
    create(w, MAIN, 4, 6);
    return ls_hb_new(&w->p);
}

Test(hb, transitive_through_joins)
{
    struct world w;
    struct ls_hb *hb = chain(&w);
    cr_assert_eq(ls_hb_before(hb, 5, 1, 6, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 5, 1, 6, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 6, 1, 5, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 5, 1, MAIN, 4), 1);
    cr_assert_eq(ls_hb_before(hb, 5, 1, MAIN, 3), 0);
    /* T5 is before T2 only after T2 joined it. */
    cr_assert_eq(ls_hb_before(hb, 5, 1, 2, 2), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 5, 1, 2, 2), 1);
    cr_assert_eq(ls_hb_before(hb, 5, 1, 2, 3), 1);
    /* T3 overlaps all of T2's family. */
    cr_assert_eq(ls_hb_concurrent(hb, 3, 1, 5, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 3, 1, 2, 3), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 3, 1, 6, 1), 1);
    ls_hb_free(hb);
}

Test(hb, transitive_through_creates)
{
    struct world w;
    struct ls_hb *hb = chain(&w);
    /* main@1 -> T2@1 -> T5: the grandparent precedes the grandchild. */
    cr_assert_eq(ls_hb_before(hb, MAIN, 1, 5, 1), 1);
    cr_assert_eq(ls_hb_before(hb, MAIN, 2, 5, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, MAIN, 2, 5, 1), 1);
    /* T2 after creating T5 overlaps it. */
    cr_assert_eq(ls_hb_before(hb, 2, 1, 5, 1), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 2, 5, 1), 0);
    ls_hb_free(hb);
}

/* A long create chain T2 -> T3 -> ... -> T31, each at epoch 1. */
Test(hb, long_chain)
{
    struct world w;
    world_init(&w);
    create(&w, MAIN, 1, 2);
    for (uint32_t t = 3; t <= 31; t++)
        create(&w, t - 1, 1, t);
    struct ls_hb *hb = ls_hb_new(&w.p);
    cr_assert_eq(ls_hb_before(hb, MAIN, 1, 31, 1), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 1, 31, 1), 1);
    cr_assert_eq(ls_hb_before(hb, 2, 2, 31, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 31, 1, 2, 5), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 30, 2, 31, 1), 1);
    ls_hb_free(hb);
}

/* Unknown threads know nothing: no order, so "can overlap". */
Test(hb, unknown_threads)
{
    struct world w;
    struct ls_hb *hb = basic(&w);
    cr_assert_eq(ls_hb_before(hb, 99, 1, 2, 1), 0);
    cr_assert_eq(ls_hb_before(hb, 2, 1, 99, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 99, 1, 2, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 99, 1, 99, 1), 0);
    ls_hb_free(hb);
}

/* Repeated queries reuse per-query marks: answers must not depend on
 * what was asked before. */
Test(hb, queries_are_independent)
{
    struct world w;
    struct ls_hb *hb = chain(&w);
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(ls_hb_before(hb, 5, 1, 6, 1), 1);
        cr_assert_eq(ls_hb_before(hb, 5, 1, 2, 2), 0);
        cr_assert_eq(ls_hb_before(hb, 3, 1, 6, 1), 0);
        cr_assert_eq(ls_hb_before(hb, MAIN, 1, 5, 1), 1);
    }
    ls_hb_free(hb);
}

Test(hb, empty_process)
{
    struct ls_process p;
    memset(&p, 0, sizeof p);
    struct ls_hb *hb = ls_hb_new(&p);
    cr_assert_not_null(hb);
    cr_assert_eq(ls_hb_before(hb, 1, 1, 2, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 1, 1, 2, 1), 1);
    ls_hb_free(hb);
    ls_hb_free(NULL);
}

/* Reader -> hb: the model the reader builds drives the same answers. */
Test(hb, from_parsed_trace)
{
    unsigned char buf[256];
    size_t len = 0;
    struct ls_file_header h = {.version = LS_TRACE_VERSION, .header_size = sizeof h};
    memcpy(h.magic, LS_TRACE_MAGIC, sizeof h.magic);
    memcpy(buf, &h, sizeof h);
    len += sizeof h;
    struct ls_rec_thread th[3] = {{.tid = 1}, {.tid = 2, .parent = 1, .parent_epoch = 1},
                                  {.tid = 3, .parent = 1, .parent_epoch = 3}};
    struct ls_rec_join j = {.joiner = 1, .joiner_epoch = 2, .joined = 2, .joined_epoch = 1};
    struct ls_rec_header rh = {.type = LS_REC_THREAD, .size = sizeof th[0]};
    for (int i = 0; i < 3; i++) {
        memcpy(buf + len, &rh, sizeof rh);
        memcpy(buf + len + sizeof rh, &th[i], sizeof th[i]);
        len += sizeof rh + sizeof th[i];
    }
    rh = (struct ls_rec_header){.type = LS_REC_JOIN, .size = sizeof j};
    memcpy(buf + len, &rh, sizeof rh);
    memcpy(buf + len + sizeof rh, &j, sizeof j);
    len += sizeof rh + sizeof j;

    struct ls_process *p;
    char err[128] = "";
    cr_assert_eq(ls_trace_parse(buf, len, &p, err, sizeof err), 0, "%s", err);
    struct ls_hb *hb = ls_hb_new(p);
    cr_assert_eq(ls_hb_before(hb, 2, 1, 3, 1), 1);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, 3, 1), 0);
    cr_assert_eq(ls_hb_concurrent(hb, 2, 1, MAIN, 2), 1);
    ls_hb_free(hb);
    ls_process_free(p);
}
