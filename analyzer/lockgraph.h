/*
 * The lock-order graph and its cycles.
 *
 * Nodes are locks; an edge A -> B has one instance per recorded
 * acquisition context (thread, epoch, held set, stacks).  A cycle is
 * reported only if some choice of one instance per edge can really
 * deadlock:
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
 * Elementary cycles of 2..max_len locks are enumerated inside strongly
 * connected components only, each once (rooted at its smallest node), with
 * a step budget that keeps the search bounded on large graphs.
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
};

struct ls_graph_stats {
    size_t cycles;                    /* elementary cycles found */
    size_t reported;                  /* of which could deadlock */
    size_t dismissed;                 /* of which could not */
    int budget_exhausted;             /* the search stopped early */
};

struct ls_graph *ls_graph_new(void);
void ls_graph_free(struct ls_graph *g);
/* The graph keeps a pointer to e: it must outlive the graph. */
void ls_graph_add_edge(struct ls_graph *g, const struct ls_edge *e);
size_t ls_graph_nodes(const struct ls_graph *g);
/* lock (a node already added) is a writer-preferring rwlock that writers
 * ask for with blocking calls: read-to-read hand-offs on it can block. */
void ls_graph_writer_queued(struct ls_graph *g, uint32_t lock);

typedef void (*ls_cycle_fn)(const struct ls_cycle *c, void *arg);
/* Calls fn for every cycle that can deadlock.  max_len >= 2. */
void ls_graph_cycles(struct ls_graph *g, struct ls_hb *hb, int max_len, ls_cycle_fn fn,
                     void *arg, struct ls_graph_stats *stats);

/* The check: adds a "lock-order-cycle" finding for every cycle in p that
 * can deadlock, and its scope entry ("lock-order").  Returns the number
 * added.  pg (may be NULL) hears how the graph is built. */
size_t ls_check_lock_order(struct ls_process *p, size_t proc_index, struct ls_report *r,
                           const struct ls_progress *pg);

#endif
