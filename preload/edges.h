/*
 * The process's lock-order table (edges.c).
 *
 * One entry per (held lock, new lock) pair for the whole process, not one
 * per thread: each keeps up to LS_EDGE_CONTEXTS contexts (thread, epoch,
 * the other locks held, the modes and timeout), the ones written to the
 * trace, and counts the rest.  Lock-free: a pair is added with one CAS, a
 * context with another; the table grows by adding a larger level, which
 * never moves what is in the older ones.  Reached only when the thread's
 * own small cache of edges (locks.c) misses.
 *
 * The edges to write are kept in a small batch per thread and written as
 * one LS_REC_EDGES record when the context changes or the batch is full,
 * and by every flush of the writer (fork, exit, a deadlock, a fatal signal).
 */
#ifndef LS_EDGES_H
#define LS_EDGES_H

#include "shim.h"

/* What ls_pedge_note found. */
enum {
    LS_PEDGE_NEW = 0,         /* a new context of the pair: write the edge */
    LS_PEDGE_SEEN = 1,        /* the pair had this context already */
    LS_PEDGE_MORE = 2,        /* the pair's contexts are all taken: counted */
};

/* A context's signature: nonzero.  others: the hash of the other locks
 * held and the requested mode (the thread's held-set hash without the
 * pair's `from`). */
uint64_t ls_pedge_signature(uint32_t tid, uint32_t epoch, uint64_t others, int from_read,
                            int timed) LS_HIDDEN;

/* Looks the pair (from, to) up with context sig, adding either if new. */
int ls_pedge_note(uint32_t from, uint32_t to, uint64_t sig, uint32_t tid) LS_HIDDEN;

/* ls_pedge_note for thread t's plain context: it holds only `from`, in
 * write mode, and asks for `to` in write mode, untimed (sig is that
 * context's signature, others 0).  The thread's own dense filter answers
 * the pairs it noted already without the table. */
int ls_pedge_note_plain(struct ls_thread *t, uint32_t from, uint32_t to, uint64_t sig) LS_HIDDEN;

/* 1 if thread t's dense filter says that its plain context (as for
 * ls_pedge_note_plain) noted the pair (from, to) already: what
 * ls_pedge_note_plain would answer LS_PEDGE_SEEN to, without its
 * signature; 0: ask it. */
int ls_pedge_plain_seen(const struct ls_thread *t, uint32_t from, uint32_t to) LS_HIDDEN;

/* The frames and interned stack of an acquisition from ret at cfa that
 * makes new edges, kept from an earlier one by the same call in the same
 * function activation (its return addresses still where they were, as for
 * waits: wait_stacks.c), or from a new unwind once a call was seen twice;
 * NULL: take the stack the usual way. */
const struct ls_wait_site *ls_edge_site(struct ls_thread *t, uint64_t ret, uint64_t cfa) LS_HIDDEN;

/* ls_stack_intern(ips, n) through a per-thread memo of the last stack
 * interned for `which` (0: where the new lock is taken, 1: a held one). */
uint32_t ls_edge_stack(struct ls_thread *t, int which, const uint64_t *ips, int n) LS_HIDDEN;

/* The stack last made (ls_edge_from_keep) for a held lock acquired from
 * from_ret in the activation that now takes a lock with stack to_stack
 * (the held lock's return address, then to_stack's frames past its
 * first): 0 if it was not that one.  A loop that takes new pairs at the
 * same two places builds and interns it once, not at every pair. */
uint32_t ls_edge_from_memo(struct ls_thread *t, uint32_t to_stack, uint64_t from_ret) LS_HIDDEN;
void ls_edge_from_keep(struct ls_thread *t, uint32_t to_stack, uint64_t from_ret,
                       uint32_t from_stack) LS_HIDDEN;

/* Adds an edge to thread t's batch (which is written first if its context
 * differs or it is full). */
void ls_edge_batch_add(struct ls_thread *t, uint32_t from, uint32_t to, uint32_t from_stack,
                       uint32_t to_stack, uint32_t flags, const uint32_t *other,
                       uint32_t nother) LS_HIDDEN;

/* Writes thread t's batch (the thread is ending). */
void ls_edges_flush_thread(struct ls_thread *t) LS_HIDDEN;
/* Writes every thread's batch.  async: from a signal handler (a batch in
 * use by the interrupted code is left alone). */
void ls_edges_flush_all(int async) LS_HIDDEN;
/* Writes the final counts of the pairs with more contexts (at exit). */
void ls_edges_write_more(void) LS_HIDDEN;
/* In a forked child: the table and the batches were the parent's file's. */
void ls_edges_after_fork_child(void) LS_HIDDEN;

#endif
