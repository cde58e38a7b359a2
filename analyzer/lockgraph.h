/*
 * The lock-order graph and its cycles.
 *
 * Nodes are locks; an edge A -> B has one instance per recorded
 * acquisition context (thread, epoch, held set, stacks).  A cycle is
 * reported as one that can deadlock in this run if some choice of one
 * instance per edge satisfies all of:
 *   - every instance comes from a different thread,
 *   - the instances' threads can run at the same time (no create/join
 *     order between any two of the points, see hb.h),
 *   - no two of them were made holding one same lock (a "gate": it keeps
 *     those two threads from being inside the cycle at once),
 *   - none is a timed acquisition (it gives up by itself),
 *   - no lock of the cycle is asked for reading by one edge while the next
 *     edge holds it for reading (readers do not block readers), unless the
 *     lock prefers writers and writers ask for it (the reader can wait
 *     behind a queued writer that waits for the holder).
 * A cycle that fails only the first two (all its edges come from one thread,
 * or from threads that never ran at the same time) is reported as latent:
 * the code takes these locks in opposite orders, and it deadlocks the day
 * two threads run those orders at once.  The others are dismissed.
 *
 * Elementary cycles of 2..max_len locks are enumerated inside strongly
 * connected components only, shortest first, each once (rooted at its
 * smallest node).  A cycle whose locks include all the locks of one
 * already reported (as strongly: a latent one does not cover one that can
 * deadlock now) is not reported again.  Step and count budgets keep the
 * search bounded on large graphs; the stats say which bound was reached.
 */
#ifndef LS_LOCKGRAPH_H
#define LS_LOCKGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "hb.h"
#include "model.h"
#include "progress.h"

struct ls_graph;

struct ls_cycle {
    size_t n;                         /* number of locks = number of edges */
    const uint32_t *locks;            /* locks[i] -> locks[(i+1) % n] */
    const struct ls_edge *const *edges; /* the chosen instance of each edge */
    int latent;                       /* 1: only latent (see above) */
};

/* The longest cycle searched. */
#define LS_MAX_CYCLE_LEN 64

struct ls_graph_stats {
    size_t cycles;                    /* elementary cycles found */
    size_t reported;                  /* of which could deadlock (latent ones too) */
    size_t latent;                    /* of the reported, latent */
    size_t dismissed;                 /* of which could not */
    size_t covered;                   /* not reported: they hold a reported cycle's locks */
    int budget_exhausted;             /* the search stopped early (one of the next three) */
    int step_bound;                   /* the DFS step budget ran out */
    int count_bound;                  /* too many cycles to examine */
    int assign_bound;                 /* the instance-choice budget ran out, for all cycles */
    int length_bound;                 /* paths of max_len locks went on: longer cycles
                                         were not searched */
    int cycle_assign_bound;           /* some cycle's instance choices were not all tried:
                                         it may have been dismissed wrongly */
    int instance_bound;               /* an edge had more instances than are kept */
};

struct ls_graph *ls_graph_new(void);
void ls_graph_free(struct ls_graph *g);
/* The graph keeps a pointer to e: it must outlive the graph. */
void ls_graph_add_edge(struct ls_graph *g, const struct ls_edge *e);
/* Adds edges[0..n-1] (kept by pointer too), into a graph that has none
 * yet: cheaper than one by one.  pg (may be NULL) hears the progress. */
void ls_graph_add_edges(struct ls_graph *g, const struct ls_edge *edges, size_t n,
                        const struct ls_progress *pg);
size_t ls_graph_nodes(const struct ls_graph *g);
/* lock (a node already added) is a writer-preferring rwlock that writers
 * ask for with blocking calls: read-to-read hand-offs on it can block. */
void ls_graph_writer_queued(struct ls_graph *g, uint32_t lock);
/* The recording saw edge from -> to in more contexts than it kept. */
void ls_graph_edge_more(struct ls_graph *g, uint32_t from, uint32_t to);

typedef void (*ls_cycle_fn)(const struct ls_cycle *c, void *arg);
/* Calls fn for every cycle that can deadlock, or is latent.  2 <= max_len
 * <= LS_MAX_CYCLE_LEN. */
void ls_graph_cycles(struct ls_graph *g, struct ls_hb *hb, int max_len, ls_cycle_fn fn,
                     void *arg, struct ls_graph_stats *stats);

/* The check: adds a "lock-order-cycle" finding for every cycle in p that
 * can deadlock, a "lock-order-latent" one for every latent cycle, and its
 * scope entry ("lock-order", which says when a search bound was reached).  Returns the number
 * added.  pg (may be NULL) hears how the graph is built. */
size_t ls_check_lock_order(struct ls_process *p, size_t proc_index, struct ls_report *r,
                           const struct ls_progress *pg);

#endif
