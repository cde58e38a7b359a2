#define _GNU_SOURCE
#include "lockgraph.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Bounds that keep the search fast on graphs of thousands of locks: DFS
 * steps, instance-assignment steps per cycle and in all, cycles examined. */
#define CYCLE_STEP_BUDGET 4000000u
#define ASSIGN_STEP_BUDGET 20000u
#define TOTAL_ASSIGN_BUDGET 20000000u
#define MAX_CYCLES 200000u
#define MAX_INSTANCES 256
#define MAX_ALWAYS 8

#define NIL UINT32_MAX

/* One (from, to) pair of locks.  Its instances are a chain, in the order
 * added, through the graph's next[]; the pairs live in one array. */
struct pair {
    int from, to;             /* node indexes */
    uint32_t head, tail;      /* first and last instance, NIL if none */
    /* locks held by every instance (always_off: in the graph's always
     * pool): a cycle whose pairs all share one is dismissed without trying
     * instance combinations */
    uint32_t always_off;
    uint16_t n;               /* instances kept (at most MAX_INSTANCES) */
    uint8_t nalways;
    uint8_t dropped;          /* more instances than are kept were seen (here, or by the
                                 recording: ls_graph_edge_more) */
};

struct node {
    uint32_t lock;
    int writer_queued;        /* a writer-preferring rwlock writers wait for */
    struct pair **out;        /* into the graph's outs, once finished */
    size_t nout;
    /* Tarjan */
    int index, low, on_stack, comp;
};

/* Open addressing, slots hold index + 1 (0: empty). */
struct index {
    uint32_t *slot;
    uint32_t mask, used;
};

struct ls_graph {
    struct node *nodes;
    size_t n, cap;
    struct index node_index;  /* lock id -> node, for ids from NODE_DIRECT */
    uint32_t *node_direct;    /* lock id -> node + 1 (0: none), for ids below NODE_DIRECT */
    uint32_t ndirect;
    struct pair *pairs;
    size_t npairs, cap_pairs;
    struct index pair_index;  /* (from, to) -> pair */
    /* the instances: base[i] (ls_graph_add_edges) or ptrs[i] */
    const struct ls_edge *base;
    const struct ls_edge **ptrs;
    uint32_t *next;           /* instance chains */
    size_t ninst, cap_inst;
    uint32_t *always;
    size_t nalways_pool, cap_always;
    struct pair **outs;       /* the nodes' out lists, built by finish() */
};

static inline const struct ls_edge *inst_at(const struct ls_graph *g, uint32_t i)
{
    return g->base ? &g->base[i] : g->ptrs[i];
}

static inline const uint32_t *always_of(const struct ls_graph *g, const struct pair *p)
{
    return g->always + p->always_off;
}

static inline uint32_t mix32(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

struct ls_graph *ls_graph_new(void)
{
    return xcalloc(1, sizeof(struct ls_graph));
}

void ls_graph_free(struct ls_graph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->node_index.slot);
    free(g->node_direct);
    free(g->pairs);
    free(g->pair_index.slot);
    free(g->ptrs);
    free(g->next);
    free(g->always);
    free(g->outs);
    free(g);
}

size_t ls_graph_nodes(const struct ls_graph *g)
{
    return g->n;
}

static uint64_t node_key(const struct ls_graph *g, uint32_t v)
{
    return g->nodes[v].lock;
}

static uint64_t pair_key(const struct ls_graph *g, uint32_t v)
{
    return ((uint64_t)(uint32_t)g->pairs[v].from << 32) | (uint32_t)g->pairs[v].to;
}

/* The slot of key in ix (its value, or the empty slot where it goes).
 * Inlined: key_of is then a direct load, not a call per probe. */
static inline __attribute__((always_inline)) uint32_t *index_slot(const struct ls_graph *g, const struct index *ix, uint64_t key,
                            uint64_t (*key_of)(const struct ls_graph *, uint32_t))
{
    for (uint32_t i = mix32(key) & ix->mask;; i = (i + 1) & ix->mask) {
        uint32_t v = ix->slot[i];
        if (v == 0 || key_of(g, v - 1) == key)
            return &ix->slot[i];
    }
}

/* Room for one more entry (at most half full). */
static void index_reserve(const struct ls_graph *g, struct index *ix,
                          uint64_t (*key_of)(const struct ls_graph *, uint32_t))
{
    if (ix->slot && (ix->used + 1) * 2 <= ix->mask + 1)
        return;
    struct index old = *ix;
    uint32_t size = old.slot ? (old.mask + 1) * 2 : 1024;
    ix->slot = xcalloc(size, sizeof *ix->slot);
    ix->mask = size - 1;
    for (uint32_t i = 0; old.slot && i <= old.mask; i++)
        if (old.slot[i])
            *index_slot(g, ix, key_of(g, old.slot[i] - 1), key_of) = old.slot[i];
    free(old.slot);
}

/* The shim numbers locks from 1 up: ids below this (nearly all) index an
 * array (at most 4 bytes an id) rather than the hash index, which every
 * edge instance probes twice. */
#define NODE_DIRECT (1u << 22)

static inline int node_find(const struct ls_graph *g, uint32_t lock)
{
    if (lock < NODE_DIRECT)
        return lock < g->ndirect ? (int)g->node_direct[lock] - 1 : -1;
    if (!g->node_index.slot)
        return -1;
    uint32_t v = *index_slot(g, &g->node_index, lock, node_key);
    return v ? (int)v - 1 : -1;
}

static int node_of(struct ls_graph *g, uint32_t lock)
{
    int v = node_find(g, lock);
    if (v >= 0)
        return v;
    if (lock < NODE_DIRECT) {
        if (lock >= g->ndirect) {
            uint32_t n = g->ndirect ? g->ndirect : 1024;
            while (n <= lock)
                n *= 2;
            g->node_direct = xrealloc(g->node_direct, (size_t)n * sizeof *g->node_direct);
            memset(g->node_direct + g->ndirect, 0, (size_t)(n - g->ndirect) * sizeof *g->node_direct);
            g->ndirect = n;
        }
    } else {
        index_reserve(g, &g->node_index, node_key);
    }
    LS_GROW(g->nodes, g->cap, g->n + 1);
    struct node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->lock = lock;
    if (lock < NODE_DIRECT) {
        g->node_direct[lock] = (uint32_t)g->n + 1;
    } else {
        *index_slot(g, &g->node_index, lock, node_key) = (uint32_t)g->n + 1;
        g->node_index.used++;
    }
    return (int)g->n++;
}

void ls_graph_writer_queued(struct ls_graph *g, uint32_t lock)
{
    int v = node_find(g, lock);
    if (v >= 0)
        g->nodes[v].writer_queued = 1;
}

static int lock_writer_queued(struct ls_graph *g, uint32_t lock)
{
    int v = node_find(g, lock);
    return v >= 0 && g->nodes[v].writer_queued;
}

static int contains(const uint32_t *a, uint32_t n, uint32_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i] == x)
            return 1;
    return 0;
}

static struct pair *pair_find(const struct ls_graph *g, int a, int b)
{
    if (!g->pair_index.slot)
        return NULL;
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint32_t v = *index_slot(g, &g->pair_index, key, pair_key);
    return v ? &g->pairs[v - 1] : NULL;
}

static struct pair *pair_of(struct ls_graph *g, int a, int b)
{
    struct pair *p = pair_find(g, a, b);
    if (p)
        return p;
    free(g->outs); /* the out lists are built again */
    g->outs = NULL;
    index_reserve(g, &g->pair_index, pair_key);
    LS_GROW(g->pairs, g->cap_pairs, g->npairs + 1);
    p = &g->pairs[g->npairs];
    *p = (struct pair){.from = a, .to = b, .head = NIL, .tail = NIL};
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    *index_slot(g, &g->pair_index, key, pair_key) = (uint32_t)g->npairs + 1;
    g->pair_index.used++;
    g->npairs++;
    return p;
}

/* Adds instance i (inst_at(g, i) is set) to its pair. */
static void add_instance(struct ls_graph *g, uint32_t i)
{
    const struct ls_edge *e = inst_at(g, i);
    g->next[i] = NIL;
    if (e->from == e->to)
        return;
    int a = node_of(g, e->from), b = node_of(g, e->to);
    struct pair *p = pair_of(g, a, b);
    if (p->head == NIL && !p->dropped) {
        p->always_off = (uint32_t)g->nalways_pool;
        uint32_t k = e->nheld < MAX_ALWAYS ? e->nheld : MAX_ALWAYS;
        if (k) {
            LS_GROW(g->always, g->cap_always, g->nalways_pool + k);
            memcpy(g->always + g->nalways_pool, e->held, k * sizeof(uint32_t));
            g->nalways_pool += k;
        }
        p->nalways = (uint8_t)k;
    } else if (p->nalways) { /* (none yet: the pool may not exist) */
        uint32_t *al = g->always + p->always_off;
        int k = 0;
        for (int j = 0; j < p->nalways; j++)
            if (contains(e->held, e->nheld, al[j]))
                al[k++] = al[j];
        p->nalways = (uint8_t)k;
    }
    if (p->n < MAX_INSTANCES) {
        if (p->tail == NIL)
            p->head = i;
        else
            g->next[p->tail] = i;
        p->tail = i;
        p->n++;
    } else {
        p->dropped = 1;
    }
}

/* With hundreds of thousands of pairs, each instance's index slot, pair,
 * chain tail and always-held list are cache misses, each waiting for the
 * one before: the loop asks for the slot of the instance 3 *
 * PREFETCH_AHEAD further (stage 0), for the pair of the one 2 *
 * PREFETCH_AHEAD further, whose slot has come meanwhile (stage 1), and for
 * the tail and list of the one PREFETCH_AHEAD further (stage 2).  Hints
 * only: nothing is changed. */
#define PREFETCH_AHEAD 8
#define PRESIZE_MAX (1u << 23) /* instances: an index of up to 32 MB */

static inline void prefetch_pair(const struct ls_graph *g, const struct ls_edge *e, int stage)
{
    int a = e->from < NODE_DIRECT ? node_find(g, e->from) : -1;
    int b = e->to < NODE_DIRECT ? node_find(g, e->to) : -1;
    if (a < 0 || b < 0 || !g->pair_index.slot)
        return;
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    const uint32_t *slot = &g->pair_index.slot[mix32(key) & g->pair_index.mask];
    if (stage == 0) {
        __builtin_prefetch(slot);
        return;
    }
    uint32_t v = *slot;
    if (!v)
        return;
    const struct pair *p = &g->pairs[v - 1];
    if (stage == 1) {
        __builtin_prefetch(p);
        return;
    }
    if (p->from == a && p->to == b) {
        if (p->tail != NIL)
            __builtin_prefetch(&g->next[p->tail]);
        if (p->nalways)
            __builtin_prefetch(always_of(g, p));
    }
}

void ls_graph_add_edge(struct ls_graph *g, const struct ls_edge *e)
{
    if (g->base)
        BUG("ls_graph_add_edge after ls_graph_add_edges");
    LS_GROW(g->ptrs, g->cap_inst, g->ninst + 1);
    g->next = xrealloc(g->next, g->cap_inst * sizeof *g->next);
    g->ptrs[g->ninst] = e;
    add_instance(g, (uint32_t)g->ninst++);
}

/* A pair index of a slot for each of n instances, at once: growing it as
 * the pairs come rehashes every pair, each a cache miss, once a doubling.
 * (index_reserve still grows it past half full.) */
static void presize(struct ls_graph *g, size_t n)
{
    if (g->npairs || n < 1024 || n > PRESIZE_MAX)
        return;
    uint32_t size = 1024;
    while (size < n)
        size *= 2;
    free(g->pair_index.slot);
    g->pair_index.slot = xcalloc(size, sizeof *g->pair_index.slot);
    g->pair_index.mask = size - 1;
    g->pair_index.used = 0;
}

void ls_graph_add_edges(struct ls_graph *g, const struct ls_edge *edges, size_t n,
                        const struct ls_progress *pg)
{
    if (g->ninst || n >= NIL) {
        for (size_t i = 0; i < n; i++)
            ls_graph_add_edge(g, &edges[i]);
        return;
    }
    g->base = edges;
    g->next = xmalloc((n + 1) * sizeof *g->next);
    g->ninst = n;
    presize(g, n);
    for (size_t i = 0; i < n; i++) {
        if (i % 65536 == 0)
            ls_progress(pg, LS_STAGE_LOCK_GRAPH, i, n);
        for (int stage = 0; stage < 3; stage++)
            if (i + PREFETCH_AHEAD * (3 - stage) < n)
                prefetch_pair(g, &edges[i + PREFETCH_AHEAD * (3 - stage)], stage);
        add_instance(g, (uint32_t)i);
    }
}

void ls_graph_edge_more(struct ls_graph *g, uint32_t from, uint32_t to)
{
    int a = node_find(g, from), b = node_find(g, to);
    struct pair *p = a >= 0 && b >= 0 ? pair_find(g, a, b) : NULL;
    if (p)
        p->dropped = 1;
}

/* The nodes' out lists, once the pairs stopped moving. */
static void finish(struct ls_graph *g)
{
    if (g->outs || !g->npairs)
        return;
    g->outs = xmalloc(g->npairs * sizeof *g->outs);
    for (size_t v = 0; v < g->n; v++)
        g->nodes[v].nout = 0;
    for (size_t i = 0; i < g->npairs; i++)
        g->nodes[g->pairs[i].from].nout++;
    size_t off = 0;
    for (size_t v = 0; v < g->n; v++) {
        g->nodes[v].out = g->outs + off;
        off += g->nodes[v].nout;
        g->nodes[v].nout = 0;
    }
    for (size_t i = 0; i < g->npairs; i++) {
        struct node *nd = &g->nodes[g->pairs[i].from];
        nd->out[nd->nout++] = &g->pairs[i];
    }
}

/* Strongly connected components (iterative Tarjan): a cycle lies inside
 * one, and most lock graphs have none bigger than a single lock. */
static void components(struct ls_graph *g)
{
    size_t n = g->n;
    int *stack = xmalloc((n + 1) * sizeof *stack);
    int *call = xmalloc((n + 1) * sizeof *call);
    size_t *pos = xcalloc(n + 1, sizeof *pos);
    size_t sp = 0, cp = 0;
    int index = 0, comp = 0;
    for (size_t i = 0; i < n; i++)
        g->nodes[i].index = -1;
    for (size_t root = 0; root < n; root++) {
        if (g->nodes[root].index >= 0)
            continue;
        call[cp++] = (int)root;
        g->nodes[root].index = g->nodes[root].low = index++;
        stack[sp++] = (int)root;
        g->nodes[root].on_stack = 1;
        pos[root] = 0;
        while (cp > 0) {
            int v = call[cp - 1];
            struct node *nv = &g->nodes[v];
            if (pos[v] < nv->nout) {
                int w = nv->out[pos[v]++]->to;
                struct node *nw = &g->nodes[w];
                if (nw->index < 0) {
                    nw->index = nw->low = index++;
                    stack[sp++] = w;
                    nw->on_stack = 1;
                    pos[w] = 0;
                    call[cp++] = w;
                } else if (nw->on_stack && nw->index < nv->low) {
                    nv->low = nw->index;
                }
                continue;
            }
            if (nv->low == nv->index) {
                int w;
                do {
                    w = stack[--sp];
                    g->nodes[w].on_stack = 0;
                    g->nodes[w].comp = comp;
                } while (w != v);
                comp++;
            }
            cp--;
            if (cp > 0) {
                struct node *parent = &g->nodes[call[cp - 1]];
                if (nv->low < parent->low)
                    parent->low = nv->low;
            }
        }
    }
    free(stack);
    free(call);
    free(pos);
}

struct search {
    struct ls_graph *g;
    struct ls_hb *hb;
    int max_len;
    ls_cycle_fn fn;
    void *arg;
    struct ls_graph_stats *stats;
    size_t steps;
    /* current path */
    int *path;
    struct pair **ppath;
    char *on_path;
    int len;
    int longer;               /* this pass had a path of max_len locks that went on to
                                 a lock not on it: longer cycles may exist */
    /* assignment */
    const struct ls_edge **chosen;
    uint32_t *locks;
    size_t assign_steps;
    size_t total_assign_steps;
    /* the node sets of the cycles reported, for the superset rule */
    int *sets;                /* node indexes, set after set */
    size_t nsets_nodes, sets_cap;
    struct reported_set {
        size_t off, n;
        int latent;
        long next;            /* the next set with the same first node, -1 */
    } *reported;
    size_t nreported, reported_cap;
    long *sets_at;            /* per node: the last set whose first node it is, -1 */
};

/* Two instances whose threads held the same lock at the time cannot be
 * inside one deadlock together: that lock keeps them apart (a gate).  The
 * check is pairwise: a gate shared by any two edges of a cycle is enough. */
static int share_a_lock(const struct ls_edge *a, const struct ls_edge *b)
{
    for (uint32_t i = 0; i < a->nheld; i++)
        if (contains(b->held, b->nheld, a->held[i]))
            return 1;
    return 0;
}

/* Edge a asks for lock L, edge b holds L while asking for the next one.  If
 * a asks for a read hold and b holds L for reading, a is not blocked by b
 * (readers share; glibc's default rwlocks prefer readers) -- unless L
 * prefers writers and writers queue on it: a reader then waits behind a
 * queued writer, which waits for b. */
static int shared_hand_off(struct ls_graph *g, const struct ls_edge *a, const struct ls_edge *b)
{
    return (a->flags & LS_EDGE_TO_READ) && (b->flags & LS_EDGE_FROM_READ) &&
           !lock_writer_queued(g, a->to);
}

/* Chooses one instance per edge of the cycle, from k on.  strict: the
 * instances must come from threads that can run at the same time (a
 * deadlock of this run); else only the gates, timeouts and read holds
 * count (a latent inversion). */
static int assign(struct search *s, int k, int strict)
{
    if (++s->assign_steps > ASSIGN_STEP_BUDGET) {
        s->stats->cycle_assign_bound = 1;
        return 0;
    }
    if (++s->total_assign_steps > TOTAL_ASSIGN_BUDGET) {
        s->stats->budget_exhausted = 1;
        s->stats->assign_bound = 1;
        return 0;
    }
    if (k == s->len)
        return !shared_hand_off(s->g, s->chosen[s->len - 1], s->chosen[0]);
    struct pair *p = s->ppath[k];
    for (uint32_t i = p->head; i != NIL; i = s->g->next[i]) {
        const struct ls_edge *e = inst_at(s->g, i);
        /* A timed acquisition gives up by itself: it cannot hold a
         * deadlock together for good. */
        if (e->flags & LS_EDGE_TIMED)
            continue;
        if (k > 0 && shared_hand_off(s->g, s->chosen[k - 1], e))
            continue;
        int ok = 1;
        for (int j = 0; j < k && ok; j++)
            ok = !share_a_lock(s->chosen[j], e) &&
                 (!strict || ls_hb_concurrent(s->hb, s->chosen[j]->tid, s->chosen[j]->epoch,
                                              e->tid, e->epoch));
        if (!ok)
            continue;
        s->chosen[k] = e;
        if (assign(s, k + 1, strict))
            return 1;
    }
    return 0;
}

/* Two edges of the cycle whose every instance holds one same lock: no
 * choice of instances can avoid that gate. */
static int always_gated(const struct search *s)
{
    for (int a = 0; a < s->len; a++) {
        const struct pair *pa = s->ppath[a];
        for (int i = 0; i < pa->nalways; i++)
            for (int b = a + 1; b < s->len; b++)
                if (contains(always_of(s->g, s->ppath[b]), s->ppath[b]->nalways,
                             always_of(s->g, pa)[i]))
                    return 1;
    }
    return 0;
}

/* The strongest cycle reported so far whose locks are all on the current
 * path: 2 one that can deadlock, 1 a latent one, 0 none. */
static int covered_by(const struct search *s)
{
    int best = 0;
    /* A set on the path has its first node (its smallest) on it. */
    for (int k = 0; k < s->len && best < 2; k++) {
        for (long i = s->sets_at[s->path[k]]; i >= 0 && best < 2; i = s->reported[i].next) {
            const struct reported_set *r = &s->reported[i];
            if (r->n > (size_t)s->len)
                continue;
            size_t j = 1;
            while (j < r->n && s->on_path[s->sets[r->off + j]])
                j++;
            if (j == r->n && (r->latent ? 1 : 2) > best)
                best = r->latent ? 1 : 2;
        }
    }
    return best;
}

static void remember(struct search *s, int latent)
{
    LS_GROW(s->sets, s->sets_cap, s->nsets_nodes + (size_t)s->len);
    LS_GROW(s->reported, s->reported_cap, s->nreported + 1);
    int first = s->path[0]; /* the root: the cycle's smallest node */
    s->reported[s->nreported] =
        (struct reported_set){s->nsets_nodes, (size_t)s->len, latent, s->sets_at[first]};
    s->sets_at[first] = (long)s->nreported++;
    for (int i = 0; i < s->len; i++)
        s->sets[s->nsets_nodes++] = s->path[i];
}

static void found_cycle(struct search *s)
{
    s->stats->cycles++;
    if (s->stats->cycles >= MAX_CYCLES) {
        s->stats->budget_exhausted = 1;
        s->stats->count_bound = 1;
    }
    int cover = covered_by(s);
    if (cover == 2) {
        s->stats->covered++;
        return;
    }
    if (always_gated(s)) {
        s->stats->dismissed++;
        return;
    }
    s->assign_steps = 0;
    int latent = 0;
    if (!assign(s, 0, 1)) {
        s->assign_steps = 0;
        if (cover == 1) {
            s->stats->covered++;
            return;
        }
        if (!assign(s, 0, 0)) {
            s->stats->dismissed++;
            /* an instance not kept might have made it one */
            for (int i = 0; i < s->len; i++)
                s->stats->instance_bound |= s->ppath[i]->dropped;
            return;
        }
        latent = 1;
        /* an instance not kept might have made it one that can deadlock */
        for (int i = 0; i < s->len; i++)
            s->stats->instance_bound |= s->ppath[i]->dropped;
    }
    for (int i = 0; i < s->len; i++)
        s->locks[i] = s->g->nodes[s->path[i]].lock;
    struct ls_cycle c = {(size_t)s->len, s->locks, s->chosen, latent};
    s->stats->reported++;
    s->stats->latent += (size_t)latent;
    remember(s, latent);
    s->fn(&c, s->arg);
}

/* Pair p always shares a held lock with a pair already on the path: no
 * cycle through both can deadlock, so the search need not go on this way
 * (in a deeply nested lock graph this prunes nearly everything). */
static int gated_with_path(const struct search *s, const struct pair *p, int upto)
{
    for (int j = 0; j < upto; j++) {
        const struct pair *q = s->ppath[j];
        for (int i = 0; i < p->nalways; i++)
            if (contains(always_of(s->g, q), q->nalways, always_of(s->g, p)[i]))
                return 1;
    }
    return 0;
}

/* Simple paths from the root through nodes greater than it, in its
 * component; each elementary cycle is found exactly once. */
static void dfs(struct search *s, int root, int v)
{
    struct node *nv = &s->g->nodes[v];
    for (size_t i = 0; i < nv->nout; i++) {
        if (s->stats->budget_exhausted)
            return;
        if (++s->steps > CYCLE_STEP_BUDGET) {
            s->stats->budget_exhausted = 1;
            s->stats->step_bound = 1;
            return;
        }
        struct pair *p = nv->out[i];
        int w = p->to;
        if (s->g->nodes[w].comp != s->g->nodes[root].comp)
            continue;
        if (w == root) {
            if (s->len == s->max_len) { /* each length in its own pass */
                s->ppath[s->len - 1] = p;
                if (gated_with_path(s, p, s->len - 1)) {
                    s->stats->cycles++;
                    s->stats->dismissed++;
                } else {
                    found_cycle(s);
                }
            }
            continue;
        }
        if (w < root || s->on_path[w])
            continue;
        if (s->len >= s->max_len) {
            s->longer = 1;
            continue;
        }
        if (gated_with_path(s, p, s->len - 1))
            continue;
        s->ppath[s->len - 1] = p;
        s->path[s->len++] = w;
        s->on_path[w] = 1;
        dfs(s, root, w);
        s->on_path[w] = 0;
        s->len--;
    }
}

void ls_graph_cycles(struct ls_graph *g, struct ls_hb *hb, int max_len, ls_cycle_fn fn,
                     void *arg, struct ls_graph_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (max_len > LS_MAX_CYCLE_LEN)
        max_len = LS_MAX_CYCLE_LEN;
    if (g->n < 2 || max_len < 2)
        return;
    finish(g);
    components(g);
    /* Components with a single lock hold no cycle. */
    size_t *size = xcalloc(g->n, sizeof *size);
    for (size_t i = 0; i < g->n; i++)
        size[g->nodes[i].comp]++;
    struct search s = {
        .g = g, .hb = hb, .max_len = max_len, .fn = fn, .arg = arg, .stats = stats,
        .path = xmalloc((size_t)(max_len + 1) * sizeof(int)),
        .ppath = xmalloc((size_t)(max_len + 1) * sizeof(struct pair *)),
        .on_path = xcalloc(g->n, 1),
        .chosen = xmalloc((size_t)(max_len + 1) * sizeof(struct ls_edge *)),
        .locks = xmalloc((size_t)(max_len + 1) * sizeof(uint32_t)),
        .sets_at = xmalloc(g->n * sizeof(long)),
    };
    for (size_t i = 0; i < g->n; i++)
        s.sets_at[i] = -1;
    /* Shortest cycles first (two locks, then three, ...): in a dense graph
     * the budget runs out on long paths, never before the short, likeliest
     * deadlocks are seen; and a short cycle is reported before the longer
     * ones through its locks.  When no path of len locks goes on to another
     * lock, no cycle is longer: the search ends there. */
    int more = 1;
    for (int len = 2; len <= max_len && more && !stats->budget_exhausted; len++) {
        s.max_len = len;
        s.longer = 0;
        for (size_t r = 0; r < g->n && !stats->budget_exhausted; r++) {
            if (size[g->nodes[r].comp] < 2)
                continue;
            s.len = 1;
            s.path[0] = (int)r;
            s.on_path[r] = 1;
            dfs(&s, (int)r, (int)r);
            s.on_path[r] = 0;
        }
        more = s.longer;
    }
    if (more && !stats->budget_exhausted)
        stats->length_bound = 1;
    free(s.sets);
    free(s.reported);
    free(s.sets_at);
    free(size);
    free(s.path);
    free(s.ppath);
    free(s.on_path);
    free(s.chosen);
    free(s.locks);
}

/* ---- the check ---------------------------------------------------------- */

struct check_ctx {
    struct ls_process *p;
    size_t proc;
    struct ls_report *r;
    size_t added;
    size_t interpreter;       /* latent cycles inside the Python interpreter's library */
};

/* A frame of the Python interpreter's own library (threading.py,
 * multiprocessing/, ...), not of the program or a package it installed. */
static int stdlib_frame(const struct ls_fframe *f)
{
    return f && f->python && f->file && strstr(f->file, "/lib/python3") &&
           !strstr(f->file, "-packages/");
}

/* Every acquisition of the cycle was made by the interpreter's library:
 * CPython's threading module takes its own locks in two orders (after a
 * fork, _after_fork holds _active_limbo_lock while it takes the thread's
 * new _tstate_lock), which the program can neither cause nor change. */
static int in_interpreter(const struct ls_finding *f)
{
    for (size_t i = 0; i < f->nedges; i++)
        if (!stdlib_frame(f->edges[i].to_stack.n ? &f->edges[i].to_stack.frames[0] : NULL))
            return 0;
    return f->nedges > 0;
}

static void thread_label(struct strbuf *sb, const struct ls_fthread *t)
{
    if (t->tid == 1)
        sb_adds(sb, "the main thread");
    else
        sb_printf(sb, "T%u", t->tid - 1);
}

static char *explain(const struct ls_finding *f, int latent)
{
    struct strbuf sb;
    sb_init(&sb);
    if (latent)
        sb_adds(&sb, "Latent: no two threads took these locks in opposite orders at the same "
                     "time in this run; it deadlocks when they do. ");
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        if (i)
            sb_adds(&sb, i + 1 == f->nedges ? ", and " : ", ");
        struct strbuf t;
        sb_init(&t);
        thread_label(&t, &e->thread);
        sb_printf(&sb, latent ? "%s held %s while it waited for %s"
                              : "%s can hold %s while it waits for %s",
                  t.buf, f->locks[e->from].label, f->locks[e->to].label);
        sb_free(&t);
    }
    if (!latent) {
        sb_adds(&sb, ". These threads can run at the same time (none of them is created after "
                     "another is joined), and no lock is held across all of these "
                     "acquisitions, so nothing keeps them apart.");
        return sb_detach(&sb);
    }
    int one = 1;
    for (size_t i = 1; i < f->nedges; i++)
        one &= f->edges[i].thread.tid == f->edges[0].thread.tid;
    if (one)
        sb_adds(&sb, ": one thread, at different times, so this run could not deadlock.");
    else
        sb_adds(&sb, ", but never while the other threads of the cycle ran (one had ended and "
                     "been joined, or was not created yet), so this run could not deadlock.");
    sb_adds(&sb, " No lock is held across all of these acquisitions: two threads that run "
                 "these orders at once each hold one lock and wait for the other's. Take the "
                 "locks in one order everywhere.");
    return sb_detach(&sb);
}

static void on_cycle(const struct ls_cycle *c, void *arg)
{
    struct check_ctx *ctx = arg;
    struct ls_finding *f = ls_report_add(ctx->r);
    f->kind = c->latent ? LS_FIND_LOCK_ORDER_LATENT : LS_FIND_LOCK_ORDER;
    f->severity = c->latent ? "warning" : "error";
    f->proc = ctx->proc;
    f->nlocks = c->n;
    f->locks = xcalloc(c->n, sizeof *f->locks);
    f->nedges = c->n;
    f->edges = xcalloc(c->n, sizeof *f->edges);
    for (size_t i = 0; i < c->n; i++)
        ls_flock_build(ctx->p, c->locks[i], &f->locks[i]);
    for (size_t i = 0; i < c->n; i++) {
        const struct ls_edge *e = c->edges[i];
        struct ls_fedge *fe = &f->edges[i];
        fe->from = i;
        fe->to = (i + 1) % c->n;
        ls_fthread_build(ctx->p, e->tid, &fe->thread);
        ls_fstack_build(ctx->p, e->from_stack, &fe->from_stack);
        ls_fstack_build(ctx->p, e->to_stack, &fe->to_stack);
        fe->from_approx = (e->flags & LS_EDGE_FROM_APPROX) != 0;
        fe->timed = (e->flags & LS_EDGE_TIMED) != 0;
    }
    if (c->latent && in_interpreter(f)) {
        ls_report_pop(ctx->r);
        ctx->interpreter++;
        return;
    }
    f->summary = ls_fstack_user_frame(&f->edges[0].to_stack);
    f->reason = explain(f, c->latent);
    /* A read-to-read hand-off kept only because the lock prefers writers. */
    for (size_t i = 0; i < c->n; i++) {
        const struct ls_edge *e = c->edges[i];
        int queued = 0;
        for (size_t k = 0; k < ctx->p->nwriter_queued && !queued; k++)
            queued = ctx->p->writer_queued[k] == e->to;
        if (!queued || !(e->flags & LS_EDGE_TO_READ))
            continue;
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s %s prefers writers, and writers wait for it: a read request waits "
                       "behind a queued writer, which waits for the threads that hold it for "
                       "reading.",
                  f->reason, f->locks[(i + 1) % c->n].label);
        free(f->reason);
        f->reason = sb_detach(&sb);
        break;
    }
    ls_finding_set_id(f);
    ctx->added++;
}

struct label_entry {
    uint32_t id;
    char *label;
    UT_hash_handle hh;
};

static const char *label_of(struct label_entry **cache, struct ls_process *p, uint32_t id)
{
    struct label_entry *e;
    HASH_FIND(hh, *cache, &id, sizeof id, e);
    if (e)
        return e->label;
    struct ls_flock l;
    ls_flock_build(p, id, &l);
    e = xmalloc(sizeof *e);
    e->id = id;
    e->label = l.label;
    l.label = NULL;
    free(l.name);
    for (size_t i = 0; i < l.site.n; i++) {
        free(l.site.frames[i].function);
        free(l.site.frames[i].file);
        free(l.site.frames[i].module);
    }
    free(l.site.frames);
    HASH_ADD(hh, *cache, id, sizeof e->id, e);
    return e->label;
}

/* The lock order the process showed, for the reports: what a correct
 * program's locking implies can be checked there, not only cycles. */
static void summarize_order(struct ls_graph *g, struct ls_process *p, struct ls_fprocess *fp)
{
    struct label_entry *cache = NULL;
    size_t cap = 0;
    for (size_t pi = 0; pi < g->npairs; pi++) {
        const struct pair *q = &g->pairs[pi];
        if (fp->norder == LS_MAX_ORDER_PAIRS) {
            fp->order_truncated = 1;
            break;
        }
        LS_GROW(fp->order, cap, fp->norder + 1);
        struct ls_forder *o = &fp->order[fp->norder++];
        o->from = xstrdup(label_of(&cache, p, g->nodes[q->from].lock));
        o->to = xstrdup(label_of(&cache, p, g->nodes[q->to].lock));
        o->instances = q->n;
        for (uint32_t i = q->head; i != NIL; i = g->next[i]) {
            o->from_read |= (inst_at(g, i)->flags & LS_EDGE_FROM_READ) != 0;
            o->to_read |= (inst_at(g, i)->flags & LS_EDGE_TO_READ) != 0;
        }
    }
    struct label_entry *e, *te;
    HASH_ITER(hh, cache, e, te) {
        HASH_DEL(cache, e);
        free(e->label);
        free(e);
    }
}

/* Which search bound was reached and what may be missing; NULL if none.
 * Caller frees. */
static char *bounds_reached(const struct ls_graph_stats *st)
{
    struct strbuf sb;
    sb_init(&sb);
    if (st->step_bound)
        sb_printf(&sb, "the search stopped at its step budget (%u steps): cycles not yet "
                       "reached, the longer ones first, may be missing",
                  CYCLE_STEP_BUDGET);
    if (st->count_bound)
        sb_printf(&sb, "%sthe search stopped after examining %u cycles: others may be missing",
                  sb.len ? "; " : "", MAX_CYCLES);
    if (st->assign_bound)
        sb_printf(&sb, "%sthe search stopped when %u choices of edge instances had been "
                       "tried: cycles not yet examined may be missing",
                  sb.len ? "; " : "", TOTAL_ASSIGN_BUDGET);
    if (st->length_bound)
        sb_printf(&sb, "%scycles longer than %d locks were not searched", sb.len ? "; " : "",
                  LS_MAX_CYCLE_LEN);
    if (st->cycle_assign_bound)
        sb_printf(&sb, "%sfor some cycle not every choice of edge instances was tried (%u at "
                       "most each): it may have been dismissed wrongly",
                  sb.len ? "; " : "", ASSIGN_STEP_BUDGET);
    if (st->instance_bound)
        sb_printf(&sb, "%snot every instance of a lock-order edge was kept (the recording keeps "
                       "%u contexts of each, the analysis %d instances): a cycle through one "
                       "not kept may be missing",
                  sb.len ? "; " : "", LS_EDGE_CONTEXTS, MAX_INSTANCES);
    if (!sb.len) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

/* Notes of the shim that mean some locks or acquisitions are missing. */
static const char *lost_locks(const struct ls_process *p)
{
    for (size_t i = 0; i < p->nnotes; i++) {
        const char *m = p->notes[i].msg ? p->notes[i].msg : "";
        if (p->notes[i].code == LS_NOTE_DISABLED)
            return "recording stopped before the process ended";
        if (p->notes[i].code == LS_NOTE_DROPPED &&
            (strstr(m, "lock table") || strstr(m, "held-lock")))
            return m;
    }
    return NULL;
}

size_t ls_check_lock_order(struct ls_process *p, size_t proc_index, struct ls_report *r,
                           const struct ls_progress *pg)
{
    struct ls_graph *g = ls_graph_new();
    ls_graph_add_edges(g, p->edges, p->nedges, pg);
    for (size_t i = 0; i < p->nwriter_queued; i++)
        ls_graph_writer_queued(g, p->writer_queued[i]);
    for (size_t i = 0; i < p->nedge_more; i++)
        ls_graph_edge_more(g, p->edge_more[i].from, p->edge_more[i].to);
    ls_progress(pg, LS_STAGE_CYCLES, 0, 0);
    struct ls_hb *hb = ls_hb_new(p);
    struct check_ctx ctx = {p, proc_index, r, 0, 0};
    struct ls_graph_stats st;
    ls_graph_cycles(g, hb, LS_MAX_CYCLE_LEN, on_cycle, &ctx, &st);
    /* The interpreter's own latent cycles count as dismissed. */
    st.latent -= ctx.interpreter < st.latent ? ctx.interpreter : st.latent;
    st.dismissed += ctx.interpreter;
    struct ls_fprocess *fp = &r->procs[proc_index];
    summarize_order(g, p, fp);
    r->dismissed_cycles += st.dismissed;
    const char *title = "lock-order cycles (potential deadlocks)";
    const char *lost = lost_locks(p);
    char *bound = bounds_reached(&st);
    if (bound) {
        warning("lock-order search in '%s': %s", p->trace_path ? p->trace_path : "trace",
                bound);
        ls_scope_set(fp, "lock-order", title, LS_SCOPE_PARTIAL,
                     "%zu locks and %zu lock-order edges searched (%zu cycle%s, %zu reported, "
                     "%zu latent, %zu dismissed), but %s",
                     p->nlocks, p->nedges, st.cycles, st.cycles == 1 ? "" : "s", st.reported,
                     st.latent, st.dismissed, bound);
        free(bound);
    } else if (lost) {
        ls_scope_set(fp, "lock-order", title, LS_SCOPE_PARTIAL,
                     "%zu locks and %zu lock-order edges searched, but not every lock was "
                     "recorded (%s)",
                     p->nlocks, p->nedges, lost);
    } else if (p->nedges == 0) {
        ls_scope_set(fp, "lock-order", title, LS_SCOPE_CHECKED,
                     "%zu lock%s, never one taken while another was held: no cycle", p->nlocks,
                     p->nlocks == 1 ? "" : "s");
    } else {
        ls_scope_set(fp, "lock-order", title, LS_SCOPE_CHECKED,
                     "%zu locks and %zu lock-order edges searched: %zu cycle%s, %zu of them "
                     "dismissed, %zu latent (all cycles of up to %d locks)",
                     p->nlocks, p->nedges, st.cycles, st.cycles == 1 ? "" : "s", st.dismissed,
                     st.latent, LS_MAX_CYCLE_LEN);
    }
    ls_hb_free(hb);
    ls_graph_free(g);
    return ctx.added;
}
