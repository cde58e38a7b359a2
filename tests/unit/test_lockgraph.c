/*
 * Unit tests for analyzer/lockgraph.c: lock-order cycles, the checks that
 * dismiss the ones that cannot deadlock (gate lock, timeout), and the ones
 * that are latent (same thread, create/join order).  Edges and threads are
 * built by hand.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb.h"
#include "lockgraph.h"
#include "model.h"

#define MAIN 1u
#define MAX_HELD 12
#define MAX_FOUND 64

/* ---- the world: threads, edges, and the cycles found ----------------------- */

struct world {
    struct ls_process p;
    struct ls_thread_info threads[128];
    struct ls_join joins[16];
    uint32_t main_epoch;      /* main's current epoch */
    struct ls_edge *edges;    /* stable: the graph keeps pointers */
    uint32_t (*held)[MAX_HELD];
    size_t nedges, cap;
    struct ls_graph *g;
    struct ls_hb *hb;
};

struct found {
    size_t n;
    uint32_t locks[16];
    const struct ls_edge *edges[16];
};

struct results {
    size_t n;                 /* cycles that can deadlock in this run */
    struct found f[MAX_FOUND];
    size_t latent;            /* latent cycles */
    struct found l[MAX_FOUND];
};

static void world_init(struct world *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->p.threads = w->threads;
    w->p.joins = w->joins;
    w->threads[w->p.nthreads++] = (struct ls_thread_info){.tid = MAIN};
    w->main_epoch = 1;
    w->cap = cap;
    w->edges = calloc(cap, sizeof *w->edges);
    w->held = calloc(cap, sizeof *w->held);
    cr_assert(w->edges && w->held);
    w->g = ls_graph_new();
}

static void world_free(struct world *w)
{
    ls_hb_free(w->hb);
    ls_graph_free(w->g);
    free(w->edges);
    free(w->held);
}

/* Main creates thread `tid` now (and moves to its next epoch). */
static void spawn(struct world *w, uint32_t tid)
{
    cr_assert_lt(w->p.nthreads, 128);
    w->threads[w->p.nthreads++] =
        (struct ls_thread_info){.tid = tid, .parent = MAIN, .parent_epoch = w->main_epoch++};
}

/* Main joins `tid` now; its final epoch was 1 (it created nothing). */
static void reap(struct world *w, uint32_t tid)
{
    cr_assert_lt(w->p.njoins, 16);
    w->joins[w->p.njoins++] = (struct ls_join){.joiner = MAIN, .joiner_epoch = w->main_epoch++,
                                               .joined = tid, .joined_epoch = 1};
}

/* Thread `tid` (at epoch 1), holding `from` and the gates, asked for `to`. */
static const struct ls_edge *edge_g(struct world *w, uint32_t tid, uint32_t from, uint32_t to,
                                    const uint32_t *gates, uint32_t ngates)
{
    cr_assert_lt(w->nedges, w->cap);
    cr_assert_lt(ngates, MAX_HELD);
    size_t i = w->nedges++;
    uint32_t *held = w->held[i];
    for (uint32_t k = 0; k < ngates; k++)
        held[k] = gates[k];
    held[ngates] = from;
    w->edges[i] = (struct ls_edge){.tid = tid, .epoch = 1, .from = from, .to = to,
                                   .from_stack = 100 + (uint32_t)i, .to_stack = 200 + (uint32_t)i,
                                   .nheld = ngates + 1, .held = held};
    ls_graph_add_edge(w->g, &w->edges[i]);
    return &w->edges[i];
}

static const struct ls_edge *edge(struct world *w, uint32_t tid, uint32_t from, uint32_t to)
{
    return edge_g(w, tid, from, to, NULL, 0);
}

static void collect(const struct ls_cycle *c, void *arg)
{
    struct results *r = arg;
    /* Invariant of every reported cycle: edges[i] is locks[i] -> locks[i+1],
     * and, unless it is latent, its instances come from pairwise different
     * threads. */
    for (size_t i = 0; i < c->n; i++) {
        cr_assert_eq(c->edges[i]->from, c->locks[i], "edge %zu starts elsewhere", i);
        cr_assert_eq(c->edges[i]->to, c->locks[(i + 1) % c->n], "edge %zu ends elsewhere", i);
        for (size_t j = 0; j < i && !c->latent; j++)
            cr_assert_neq(c->edges[i]->tid, c->edges[j]->tid, "one thread in two edges");
    }
    size_t *n = c->latent ? &r->latent : &r->n;
    if (*n < MAX_FOUND) {
        struct found *f = c->latent ? &r->l[*n] : &r->f[*n];
        f->n = c->n < 16 ? c->n : 16;
        memcpy(f->locks, c->locks, f->n * sizeof *f->locks);
        memcpy(f->edges, c->edges, f->n * sizeof *f->edges);
    }
    (*n)++;
}

static struct ls_graph_stats run(struct world *w, int max_len, struct results *r)
{
    memset(r, 0, sizeof *r);
    w->hb = ls_hb_new(&w->p);
    struct ls_graph_stats st;
    memset(&st, 0xa5, sizeof st);
    ls_graph_cycles(w->g, w->hb, max_len, collect, r, &st);
    cr_assert_eq(st.reported, r->n + r->latent, "stats and callbacks disagree");
    cr_assert_eq(st.latent, r->latent, "stats and callbacks disagree on latent cycles");
    cr_assert_eq(st.cycles, st.reported + st.dismissed + st.covered);
    return st;
}

/* The chosen instance of lock pair from -> to in cycle f, or NULL. */
static const struct ls_edge *chosen(const struct found *f, uint32_t from, uint32_t to)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->locks[i] == from && f->locks[(i + 1) % f->n] == to)
            return f->edges[i];
    return NULL;
}

/* Cycle f visits exactly `locks` in this cyclic order. */
static void assert_cycle(const struct found *f, const uint32_t *locks, size_t n)
{
    cr_assert_eq(f->n, n, "cycle of %zu locks, expected %zu", f->n, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_not_null(chosen(f, locks[i], locks[(i + 1) % n]),
                           "edge %u -> %u missing from the cycle", locks[i],
                           locks[(i + 1) % n]);
}

enum { A = 11, B = 12, C = 13, D = 14, E = 15, G = 99 };

/* ---- 2-cycles ---------------------------------------------------------- */

Test(lockgraph, two_cycle_two_threads)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const struct ls_edge *ab = edge(&w, 2, A, B), *ba = edge(&w, 3, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 1);
    cr_assert_eq(st.dismissed, 0);
    cr_assert_eq(st.budget_exhausted, 0);
    assert_cycle(&r.f[0], (uint32_t[]){A, B}, 2);
    cr_assert_eq(chosen(&r.f[0], A, B), ab);
    cr_assert_eq(chosen(&r.f[0], B, A), ba);
    cr_assert_eq(ls_graph_nodes(w.g), 2);
    world_free(&w);
}

/* One thread in both orders: it cannot deadlock with itself, but two
 * threads running its code can. */
Test(lockgraph, two_cycle_one_thread_is_latent)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    const struct ls_edge *ab = edge(&w, 2, A, B), *ba = edge(&w, 2, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.latent, 1);
    cr_assert_eq(st.cycles, 1);
    cr_assert_eq(st.dismissed, 0);
    assert_cycle(&r.l[0], (uint32_t[]){A, B}, 2);
    cr_assert_eq(chosen(&r.l[0], A, B), ab);
    cr_assert_eq(chosen(&r.l[0], B, A), ba);
    world_free(&w);
}

/* The same under a gate held across both orders: dismissed. */
Test(lockgraph, two_cycle_one_thread_gated_is_dismissed)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    const uint32_t g[] = {G};
    edge_g(&w, 2, A, B, g, 1);
    edge_g(&w, 2, B, A, g, 1);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n + r.latent, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

/* ... or with a timed acquisition in it: dismissed. */
Test(lockgraph, two_cycle_one_thread_timed_is_dismissed)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    edge(&w, 2, A, B);
    edge(&w, 2, B, A);
    w.edges[w.nedges - 1].flags = LS_EDGE_TIMED;
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n + r.latent, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

/* An instance from two overlapping threads wins over a latent one. */
Test(lockgraph, overlapping_instance_beats_latent)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    edge(&w, 2, B, A);
    const struct ls_edge *ba = edge(&w, 3, B, A);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.latent, 0);
    cr_assert_eq(chosen(&r.f[0], B, A), ba);
    world_free(&w);
}

Test(lockgraph, gate_held_by_both_is_dismissed)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const uint32_t g[] = {G};
    edge_g(&w, 2, A, B, g, 1);
    edge_g(&w, 3, B, A, g, 1);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

Test(lockgraph, gate_held_by_one_side_is_reported)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const uint32_t g[] = {G};
    edge_g(&w, 2, A, B, g, 1);
    edge(&w, 3, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.dismissed, 0);
    assert_cycle(&r.f[0], (uint32_t[]){A, B}, 2);
    world_free(&w);
}

/* The gate is the 9th lock held on one side: past what the graph
 * remembers per pair, so the full check must still catch it. */
Test(lockgraph, gate_deep_in_a_big_held_set)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const uint32_t many[] = {21, 22, 23, 24, 25, 26, 27, 28, G}, g[] = {G};
    edge_g(&w, 2, A, B, many, 9);
    edge_g(&w, 3, B, A, g, 1);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

/* A gate held by only some instances of a pair: the others can deadlock. */
Test(lockgraph, gate_on_some_instances_only)
{
    struct world w;
    world_init(&w, 8);
    for (uint32_t t = 2; t <= 4; t++)
        spawn(&w, t);
    const uint32_t g[] = {G};
    edge_g(&w, 2, A, B, g, 1);
    edge_g(&w, 3, B, A, g, 1);
    const struct ls_edge *ba = edge(&w, 4, B, A);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(chosen(&r.f[0], B, A), ba);
    world_free(&w);
}

/* Different gates on each side do not serialize anything. */
Test(lockgraph, different_gates_are_reported)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const uint32_t g1[] = {G}, g2[] = {G + 1};
    edge_g(&w, 2, A, B, g1, 1);
    edge_g(&w, 3, B, A, g2, 1);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    world_free(&w);
}

Test(lockgraph, threads_that_cannot_overlap)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    reap(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    edge(&w, 3, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.latent, 1);
    cr_assert_eq(st.cycles, 1);
    cr_assert_eq(st.dismissed, 0);
    world_free(&w);
}

/* Main's own edge before it created the other thread cannot deadlock
 * with it; the same edge after the create can. */
Test(lockgraph, main_before_and_after_create)
{
    struct world w;
    world_init(&w, 8);
    const struct ls_edge *before = edge(&w, MAIN, A, B); /* at epoch 1 */
    spawn(&w, 2);                                        /* main: 1 -> 2 */
    edge(&w, 2, B, A);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.latent, 1);
    ls_hb_free(w.hb);
    w.hb = NULL;

    w.edges[w.nedges] = *before;
    w.edges[w.nedges].epoch = 2;
    ls_graph_add_edge(w.g, &w.edges[w.nedges]);
    const struct ls_edge *after = &w.edges[w.nedges++];
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(chosen(&r.f[0], A, B), after);
    world_free(&w);
}

/* A timed acquisition gives up by itself: no deadlock through it. */
Test(lockgraph, timed_edge_is_dismissed)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    w.edges[w.nedges - 1].flags = LS_EDGE_TIMED; /* read at search time */
    edge(&w, 3, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

Test(lockgraph, timed_edge_with_untimed_alternative)
{
    struct world w;
    world_init(&w, 8);
    for (uint32_t t = 2; t <= 4; t++)
        spawn(&w, t);
    edge(&w, 2, A, B);
    w.edges[w.nedges - 1].flags = LS_EDGE_TIMED | LS_EDGE_FROM_APPROX;
    const struct ls_edge *ab = edge(&w, 4, A, B);
    w.edges[w.nedges - 1].flags = LS_EDGE_FROM_APPROX;
    edge(&w, 3, B, A);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(chosen(&r.f[0], A, B), ab);
    world_free(&w);
}

/* A -> B from T2 and T3, B -> A only from T2: the first instance of A -> B
 * cannot be used, the second can. */
Test(lockgraph, needs_a_later_instance)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    const struct ls_edge *ab3 = edge(&w, 3, A, B);
    const struct ls_edge *ba2 = edge(&w, 2, B, A);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(chosen(&r.f[0], A, B), ab3);
    cr_assert_eq(chosen(&r.f[0], B, A), ba2);
    world_free(&w);
}

/* Same, with the B -> A pair first in the graph (so the search starts
 * there): the first B -> A instance is unusable. */
Test(lockgraph, needs_a_later_instance_of_the_first_edge)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    const uint32_t g[] = {G};
    edge_g(&w, 3, B, A, g, 1);
    const struct ls_edge *ba3 = edge(&w, 3, B, A);
    const struct ls_edge *ab2 = edge_g(&w, 2, A, B, g, 1);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(chosen(&r.f[0], B, A), ba3);
    cr_assert_eq(chosen(&r.f[0], A, B), ab2);
    world_free(&w);
}

/* ---- longer cycles -------------------------------------------------------- */

Test(lockgraph, three_cycle_reported_once)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    spawn(&w, 4);
    const struct ls_edge *ab = edge(&w, 2, A, B), *bc = edge(&w, 3, B, C),
                         *ca = edge(&w, 4, C, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 1);
    assert_cycle(&r.f[0], (uint32_t[]){A, B, C}, 3);
    cr_assert_eq(chosen(&r.f[0], A, B), ab);
    cr_assert_eq(chosen(&r.f[0], B, C), bc);
    cr_assert_eq(chosen(&r.f[0], C, A), ca);
    world_free(&w);
}

/* Three locks, two threads: every choice puts one thread in two edges, so
 * this run cannot deadlock; three threads running the code can. */
Test(lockgraph, three_cycle_two_threads_is_latent)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    edge(&w, 2, B, C);
    edge(&w, 3, C, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.latent, 1);
    cr_assert_eq(st.dismissed, 0);
    world_free(&w);
}

Test(lockgraph, five_cycle_reported_once)
{
    struct world w;
    world_init(&w, 8);
    const uint32_t locks[5] = {A, B, C, D, E};
    for (uint32_t i = 0; i < 5; i++) {
        spawn(&w, 2 + i);
        edge(&w, 2 + i, locks[i], locks[(i + 1) % 5]);
    }
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 1);
    assert_cycle(&r.f[0], locks, 5);
    world_free(&w);
}

Test(lockgraph, max_len)
{
    const uint32_t locks[5] = {A, B, C, D, E};
    for (int max_len = 2; max_len <= 6; max_len++) {
        struct world w;
        world_init(&w, 8);
        for (uint32_t i = 0; i < 5; i++) {
            spawn(&w, 2 + i);
            edge(&w, 2 + i, locks[i], locks[(i + 1) % 5]);
        }
        struct results r;
        struct ls_graph_stats st = run(&w, max_len, &r);
        cr_assert_eq(r.n, max_len >= 5 ? 1u : 0u, "max_len %d", max_len);
        cr_assert_eq(st.cycles, r.n, "max_len %d: a too-long cycle was counted", max_len);
        world_free(&w);
    }
}

/* A -> B -> C -> A plus the chord B -> A: two elementary cycles, but the
 * longer one holds all the locks of the shorter: only that one is
 * reported. */
Test(lockgraph, cycle_with_chord)
{
    struct world w;
    world_init(&w, 8);
    for (uint32_t t = 2; t <= 5; t++)
        spawn(&w, t);
    edge(&w, 2, A, B);
    edge(&w, 3, B, C);
    edge(&w, 4, C, A);
    edge(&w, 5, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 2);
    cr_assert_eq(st.covered, 1);
    assert_cycle(&r.f[0], (uint32_t[]){A, B}, 2);
    world_free(&w);
}

/* A latent short cycle does not hide a longer one that can deadlock now;
 * one that can deadlock hides a latent longer one. */
Test(lockgraph, superset_rule_is_by_strength)
{
    struct world w;
    world_init(&w, 8);
    for (uint32_t t = 2; t <= 4; t++)
        spawn(&w, t);
    edge(&w, 2, A, B);
    edge(&w, 2, B, A); /* A <=> B: latent */
    edge(&w, 3, B, C);
    edge(&w, 4, C, A); /* A -> B -> C -> A by three threads: real */
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.latent, 1);
    cr_assert_eq(r.n, 1);
    assert_cycle(&r.l[0], (uint32_t[]){A, B}, 2);
    assert_cycle(&r.f[0], (uint32_t[]){A, B, C}, 3);
    cr_assert_eq(st.covered, 0);
    world_free(&w);
}

/* A ring of 64 locks from 64 threads is found; one of 65 is not, and the
 * stats say that the length bound was reached. */
Test(lockgraph, ring_of_64_and_length_bound, .timeout = 20)
{
    for (uint32_t n = 64; n <= 65; n++) {
        struct world w;
        world_init(&w, n);
        for (uint32_t i = 0; i < n; i++) {
            spawn(&w, 2 + i);
            edge(&w, 2 + i, 1 + i, 1 + (i + 1) % n);
        }
        struct results r;
        struct ls_graph_stats st = run(&w, LS_MAX_CYCLE_LEN, &r);
        cr_assert_eq(r.n, n == 64 ? 1u : 0u, "ring of %u", n);
        cr_assert_eq(st.length_bound, n == 64 ? 0 : 1, "ring of %u", n);
        cr_assert_eq(st.budget_exhausted, 0);
        if (n == 64)
            cr_assert_eq(r.f[0].n, 16); /* what the test keeps of it */
        world_free(&w);
    }
}

/* ---- duplicates and independence ----------------------------------------- */

/* Dining philosophers: 3 threads take A then B, 3 take B then A.  Nine
 * thread pairs, one cycle. */
Test(lockgraph, many_thread_pairs_one_cycle)
{
    struct world w;
    world_init(&w, 16);
    for (uint32_t t = 2; t <= 7; t++)
        spawn(&w, t);
    for (uint32_t t = 2; t <= 4; t++)
        edge(&w, t, A, B);
    for (uint32_t t = 5; t <= 7; t++)
        edge(&w, t, B, A);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 1);
    assert_cycle(&r.f[0], (uint32_t[]){A, B}, 2);
    world_free(&w);
}

Test(lockgraph, two_disjoint_cycles)
{
    struct world w;
    world_init(&w, 8);
    for (uint32_t t = 2; t <= 5; t++)
        spawn(&w, t);
    edge(&w, 2, A, B);
    edge(&w, 3, B, A);
    edge(&w, 4, C, D);
    edge(&w, 5, D, C);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 2);
    struct found *ab = r.f[0].locks[0] == A || r.f[0].locks[0] == B ? &r.f[0] : &r.f[1];
    struct found *cd = ab == &r.f[0] ? &r.f[1] : &r.f[0];
    assert_cycle(ab, (uint32_t[]){A, B}, 2);
    assert_cycle(cd, (uint32_t[]){C, D}, 2);
    world_free(&w);
}

/* Self edges (recursive locking) are no cycles. */
Test(lockgraph, self_edge_ignored)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, A);
    edge(&w, 3, A, A);
    cr_assert_eq(ls_graph_nodes(w.g), 0);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.cycles, 0);
    world_free(&w);
}

Test(lockgraph, acyclic)
{
    struct world w;
    world_init(&w, 8);
    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    edge(&w, 3, A, B);
    edge(&w, 3, B, C);
    edge(&w, 2, A, C);
    cr_assert_eq(ls_graph_nodes(w.g), 3);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.cycles, 0);
    world_free(&w);
}

/* ---- scale ----------------------------------------------------------------- */

/* 2000 locks in a chain 1 -> 2 -> ... -> 2000 from T2, and 1001 -> 1000
 * from T3: one 2-cycle. */
Test(lockgraph, long_chain_one_back_edge, .timeout = 20)
{
    struct world w;
    world_init(&w, 2001);
    spawn(&w, 2);
    spawn(&w, 3);
    for (uint32_t l = 1; l < 2000; l++)
        edge(&w, 2, l, l + 1);
    const struct ls_edge *back = edge(&w, 3, 1001, 1000);
    cr_assert_eq(ls_graph_nodes(w.g), 2000);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(st.cycles, 1);
    cr_assert_eq(st.budget_exhausted, 0);
    assert_cycle(&r.f[0], (uint32_t[]){1000, 1001}, 2);
    cr_assert_eq(chosen(&r.f[0], 1001, 1000), back);
    world_free(&w);
}

/* 60 locks, every ordered pair an edge, from 8 concurrent threads: far too
 * many cycles to enumerate; the step budget must stop the search. */
Test(lockgraph, dense_graph_hits_budget, .timeout = 20)
{
    enum { N = 60, T = 8 };
    struct world w;
    world_init(&w, N * N);
    for (uint32_t t = 2; t < 2 + T; t++)
        spawn(&w, t);
    for (uint32_t i = 1; i <= N; i++)
        for (uint32_t j = 1; j <= N; j++)
            if (i != j)
                edge(&w, 2 + (i * N + j) % T, i, j);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(st.budget_exhausted, 1);
    cr_assert(st.step_bound || st.count_bound || st.assign_bound, "which bound, unsaid");
    cr_assert_gt(r.n, 0);
    world_free(&w);
}

/* 8 threads each take 8 locks in every order, always under one global
 * lock: 16064 elementary cycles, every one dismissed by the gate.  Proving
 * that must stay cheap: the gate is only checked on complete assignments,
 * so each cycle may try up to 8!/(8-k)! thread choices. */
Test(lockgraph, dense_graph_under_a_gate, .timeout = 20)
{
    enum { N = 8, T = 8 };
    struct world w;
    world_init(&w, N * N * T);
    for (uint32_t t = 2; t < 2 + T; t++)
        spawn(&w, t);
    const uint32_t g[] = {1000};
    for (uint32_t i = 1; i <= N; i++)
        for (uint32_t j = 1; j <= N; j++)
            for (uint32_t t = 2; i != j && t < 2 + T; t++)
                edge_g(&w, t, i, j, g, 1);
    struct results r;
    clock_t t0 = clock();
    struct ls_graph_stats st = run(&w, 8, &r);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_assert_eq(r.n, 0);
    cr_assert_gt(st.dismissed, 0);
    cr_assert_lt(secs, 10.0, "took %.2fs", secs);
    world_free(&w);
}

/* ---- degenerate input -------------------------------------------------------- */

Test(lockgraph, empty_graph_and_small_max_len)
{
    struct world w;
    world_init(&w, 8);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(st.cycles, 0);
    cr_assert_eq(st.budget_exhausted, 0);
    ls_hb_free(w.hb);
    w.hb = NULL;

    spawn(&w, 2);
    spawn(&w, 3);
    edge(&w, 2, A, B);
    edge(&w, 3, B, A);
    st = run(&w, 1, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.cycles, 0);
    world_free(&w);
    ls_graph_free(NULL);
}

/* Read locks both ways round: readers share, so the cycle cannot block --
 * unless both locks prefer writers and writers queue on them (a reader then
 * waits behind a writer that waits for the other reader).  One such lock is
 * not enough: the other hand-off still lets its reader in. */
static void read_read_cycle(struct world *w)
{
    spawn(w, 2);
    spawn(w, 3);
    struct ls_edge *a = (struct ls_edge *)edge(w, 2, 10, 20);
    struct ls_edge *b = (struct ls_edge *)edge(w, 3, 20, 10);
    a->flags = b->flags = LS_EDGE_FROM_READ | LS_EDGE_TO_READ;
}

Test(lockgraph, read_read_cycle_is_dismissed)
{
    struct world w;
    world_init(&w, 4);
    read_read_cycle(&w);
    struct results r;
    struct ls_graph_stats st = run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(st.dismissed, 1);
    world_free(&w);
}

Test(lockgraph, read_read_cycle_one_writer_queue_is_dismissed)
{
    struct world w;
    world_init(&w, 4);
    read_read_cycle(&w);
    ls_graph_writer_queued(w.g, 10);
    ls_graph_writer_queued(w.g, 99); /* not in the graph: ignored */
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 0);
    world_free(&w);
}

Test(lockgraph, read_read_cycle_writer_queues_is_reported)
{
    struct world w;
    world_init(&w, 4);
    read_read_cycle(&w);
    ls_graph_writer_queued(w.g, 10);
    ls_graph_writer_queued(w.g, 20);
    struct results r;
    run(&w, 8, &r);
    cr_assert_eq(r.n, 1);
    world_free(&w);
}
