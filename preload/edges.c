/*
 * The process's lock-order table and the threads' edge batches (edges.h).
 */
#define _GNU_SOURCE
#include "edges.h"
#include "hot.h"

#include <string.h>
#include <sys/mman.h>

/* ---- contexts: a signature's small id ---------------------------------- */

/* Context ids fit the table's 16-bit slots; past the last one (or with the
 * id table full) contexts are not told apart and every edge is written. */
#define CTX_BITS 16
#define CTX_MAX 0xffffu
#define CTX_PROBES 64

struct ctx_slot {
    _Atomic uint64_t sig;
    _Atomic uint32_t id;      /* 0 while the thread that added sig assigns it */
    uint32_t reserved;
};

static struct ctx_slot *ctx_table;
static _Atomic uint32_t next_ctx = 1;
static struct ls_spin map_spin;

/* Reserved, not committed: pages appear as entries land in them. */
static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *table_once(void **slot, size_t bytes)
{
    void *t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (likely(t))
        return t;
    ls_spin_lock(&map_spin);
    if (!*slot)
        __atomic_store_n(slot, reserve(bytes), __ATOMIC_RELEASE);
    ls_spin_unlock(&map_spin);
    return *slot;
}

uint64_t ls_pedge_signature(uint32_t tid, uint32_t epoch, uint64_t others, int from_read,
                            int timed)
{
    uint64_t s = ls_mix64(((uint64_t)tid << 32) | epoch) ^
                 ls_mix64(others + (from_read ? 0x9E3779B97F4A7C15ULL : 0) +
                          (timed ? 0xC2B2AE3D27D4EB4FULL : 0));
    return s ? s : 1;
}

static uint32_t ctx_id(uint64_t sig)
{
    struct ctx_slot *tb = table_once((void **)&ctx_table, sizeof(struct ctx_slot) << CTX_BITS);
    if (!tb)
        return 0;
    uint32_t mask = (1u << CTX_BITS) - 1;
    for (uint32_t i = (uint32_t)ls_mix64(sig) & mask, n = 0; n < CTX_PROBES;
         i = (i + 1) & mask, n++) {
        struct ctx_slot *s = &tb[i];
        uint64_t cur = atomic_load_explicit(&s->sig, memory_order_acquire);
        if (cur == 0) {
            if (atomic_compare_exchange_strong(&s->sig, &cur, sig)) {
                uint32_t id = atomic_fetch_add(&next_ctx, 1);
                if (id > CTX_MAX)
                    id = UINT32_MAX;
                atomic_store_explicit(&s->id, id, memory_order_release);
                return id > CTX_MAX ? 0 : id;
            }
        }
        if (cur != sig)
            continue;
        /* Added by another thread, which assigns its id right after. */
        for (int spin = 0; spin < 100000; spin++) {
            uint32_t id = atomic_load_explicit(&s->id, memory_order_acquire);
            if (id)
                return id > CTX_MAX ? 0 : id;
            __builtin_ia32_pause();
        }
        return 0;
    }
    return 0;
}

/* ---- the pairs --------------------------------------------------------- */

/* One open-addressing table (linear probing), grown to twice its size by a
 * copy when three quarters full.  Lookups and insertions take no lock; the
 * thread that grows it does, against other growers only.  A pair or a
 * context added to the old table while it is copied is lost to the new one:
 * its edge is written again the next time it is seen (a duplicate record,
 * never a missing one).  The old table is not unmapped, as a thread may
 * still be reading it, only given back to the kernel (its pages read as
 * zeros: empty). */
#define FIRST_BITS 12
#define MAX_BITS 26
#define PAIR_PROBES 128

struct pair_slot {
    _Atomic uint64_t key;     /* from << 32 | to; 0: empty */
    _Atomic uint16_t ctx[LS_EDGE_CONTEXTS];
};
_Static_assert(sizeof(struct pair_slot) == 16, "pair slots are 16 bytes");

struct pair_table {
    struct pair_slot *s;
    uint32_t bits;
    /* written at each new pair: off the line every lookup reads */
    _Alignas(64) _Atomic uint32_t used;
};

/* Read by every lookup: a line of its own. */
static _Alignas(64) _Atomic(struct pair_table *) pairs;
static struct ls_spin grow_spin;

/* The pair's slot, or the empty slot where it goes (NULL: neither within
 * PAIR_PROBES). */
static struct pair_slot *probe(struct pair_table *tb, uint64_t key, uint64_t h)
{
    uint32_t mask = (1u << tb->bits) - 1;
    for (uint32_t i = (uint32_t)h & mask, n = 0; n < PAIR_PROBES; i = (i + 1) & mask, n++) {
        struct pair_slot *s = &tb->s[i];
        uint64_t cur = atomic_load_explicit(&s->key, memory_order_acquire);
        if (cur == key || cur == 0)
            return s;
    }
    return NULL;
}

/* Claims empty slot s (from probe) for key: s, or the slot another thread
 * put key in meanwhile, or NULL (the table is to grow, or s was taken by
 * another key: probe again). */
static struct pair_slot *claim(struct pair_table *tb, struct pair_slot *s, uint64_t key)
{
    /* The fill count is read only here, when a pair is new: it is written
     * at every new pair, and a line that every lookup read would move
     * between the CPUs at each one. */
    if (atomic_load_explicit(&tb->used, memory_order_relaxed) >= (3u << tb->bits) / 4)
        return NULL;
    uint64_t cur = 0;
    if (atomic_compare_exchange_strong(&s->key, &cur, key)) {
        atomic_fetch_add_explicit(&tb->used, 1, memory_order_relaxed);
        return s;
    }
    return cur == key ? s : NULL;
}

static struct pair_table *table_new(uint32_t bits)
{
    struct pair_table *tb = ls_arena_alloc(sizeof *tb + 64);
    if (tb) /* the arena aligns to 16 only */
        tb = (struct pair_table *)(((uintptr_t)tb + 63) & ~(uintptr_t)63);
    if (!tb)
        return NULL;
    tb->s = reserve(sizeof(struct pair_slot) << bits);
    if (!tb->s)
        return NULL;
    /* Lookups land anywhere in it: huge pages spare a TLB miss each. */
    if ((sizeof(struct pair_slot) << bits) >= (2u << 20))
        madvise(tb->s, sizeof(struct pair_slot) << bits, MADV_HUGEPAGE);
    tb->bits = bits;
    atomic_store(&tb->used, 0);
    return tb;
}

/* Replaces old (if it still is the table) by one twice its size. */
static void grow(struct pair_table *old)
{
    ls_spin_lock(&grow_spin);
    if (atomic_load(&pairs) == old) {
        struct pair_table *tb = table_new(old ? old->bits + 1 : FIRST_BITS);
        if (tb && old) {
            for (uint32_t i = 0; i < (1u << old->bits); i++) {
                struct pair_slot *o = &old->s[i];
                uint64_t key = atomic_load(&o->key);
                if (!key)
                    continue;
                struct pair_slot *n = probe(tb, key, ls_mix64(key));
                if (!n || (atomic_load(&n->key) != key && !claim(tb, n, key)))
                    continue;
                for (unsigned k = 0; k < LS_EDGE_CONTEXTS; k++)
                    atomic_store(&n->ctx[k], atomic_load(&o->ctx[k]));
            }
        }
        if (tb) {
            atomic_store_explicit(&pairs, tb, memory_order_release);
            if (old)
                madvise(old->s, sizeof(struct pair_slot) << old->bits, MADV_DONTNEED);
        }
    }
    ls_spin_unlock(&grow_spin);
}

/* The pair's slot, added if new; NULL if the table cannot grow. */
static struct pair_slot *pair_slot(uint64_t key)
{
    uint64_t h = ls_mix64(key);
    for (int tries = 0; tries < 8; tries++) {
        struct pair_table *tb = atomic_load_explicit(&pairs, memory_order_acquire);
        if (tb) {
            struct pair_slot *s = probe(tb, key, h);
            if (s && atomic_load_explicit(&s->key, memory_order_acquire) == key)
                return s;
            if (s && (s = claim(tb, s, key)) != NULL)
                return s;
            if (s == NULL && atomic_load_explicit(&tb->used, memory_order_relaxed) <
                                 (3u << tb->bits) / 4 &&
                tries < 4)
                continue; /* lost the slot to another key: probe again */
            if (tb->bits >= MAX_BITS)
                return NULL;
        }
        grow(tb);
    }
    return NULL;
}

/* ---- pairs with more contexts than are kept ----------------------------- */

#define MORE_BITS 16
#define MORE_PROBES 64

struct more_slot {
    _Atomic uint64_t key;
    _Atomic uint32_t count;
    uint32_t tid;             /* the first context not kept */
};

static struct more_slot *more_table;

static void write_more(uint64_t key, uint32_t tid, uint32_t count)
{
    struct ls_rec_edge_more r = {
        .from = (uint32_t)(key >> 32), .to = (uint32_t)key, .tid = tid, .count = count};
    ls_writer_record(LS_REC_EDGE_MORE, &r, sizeof r, NULL, 0, NULL, 0);
}

static void count_more(uint64_t key, uint32_t tid)
{
    struct more_slot *tb = table_once((void **)&more_table, sizeof(struct more_slot) << MORE_BITS);
    uint32_t mask = (1u << MORE_BITS) - 1;
    for (uint32_t i = (uint32_t)ls_mix64(key) & mask, n = 0; tb && n < MORE_PROBES;
         i = (i + 1) & mask, n++) {
        struct more_slot *s = &tb[i];
        uint64_t cur = atomic_load_explicit(&s->key, memory_order_acquire);
        if (cur == 0 && atomic_compare_exchange_strong(&s->key, &cur, key)) {
            s->tid = tid;
            atomic_fetch_add(&s->count, 1);
            write_more(key, tid, 1);
            return;
        }
        if (cur == key) {
            atomic_fetch_add(&s->count, 1);
            return;
        }
    }
    write_more(key, tid, 1); /* not counted: said each time */
}

void ls_edges_write_more(void)
{
    struct more_slot *tb = __atomic_load_n(&more_table, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; tb && i < (1u << MORE_BITS); i++) {
        uint64_t key = atomic_load(&tb[i].key);
        uint32_t n = atomic_load(&tb[i].count);
        if (key && n > 1)
            write_more(key, tb[i].tid, n);
    }
}

static int count_claim(uint32_t from, uint32_t to);

int ls_pedge_note(uint32_t from, uint32_t to, uint64_t sig, uint32_t tid)
{
    uint32_t c = ctx_id(sig);
    if (!c)
        return LS_PEDGE_NEW;
    uint64_t key = ((uint64_t)from << 32) | to;
    struct pair_slot *s = pair_slot(key);
    if (!s)
        return LS_PEDGE_NEW;
    for (unsigned i = 0; i < LS_EDGE_CONTEXTS; i++) {
        uint16_t cur = atomic_load_explicit(&s->ctx[i], memory_order_acquire);
        if (cur == 0 && atomic_compare_exchange_strong(&s->ctx[i], &cur, (uint16_t)c)) {
            if (count_claim(from, to) != 0)
                return LS_PEDGE_NEW;
            break; /* the pair's places went to plain contexts */
        }
        if (cur == c)
            return LS_PEDGE_SEEN;
    }
    count_more(key, tid);
    return LS_PEDGE_MORE;
}

/* ---- pairs of small ids: dense counts and per-thread filters ------------ */

/* Lock ids below DENSE_IDS (most programs have fewer locks) get two dense
 * structures that spare the pair table's random probes, which on a program
 * with hundreds of thousands of pairs miss the caches nearly every time:
 *  - the process's count of contexts written for each pair (a byte: the
 *    LS_EDGE_CONTEXTS cap holds whichever way a context is noted);
 *  - each thread's bit per pair noted in its plain context (holding only
 *    `from`, in write mode, not timed, at its current epoch): the context
 *    is the thread's own, so a clear bit means the context is new to the
 *    pair, a set one that it was noted.
 * Both are indexed so that 64 `from` ids that share their high bits sit
 * together for each `to`: a few hundred locks taken in pairs touch a
 * compact block rather than a page per lock. */
#define DENSE_BITS 12
#define DENSE_IDS (1u << DENSE_BITS)
#define DENSE_FILTERS 256     /* threads that get a filter */

static _Atomic uint8_t *pair_counts;
static _Atomic uint32_t nfilters;

static inline size_t dense_index(uint32_t from, uint32_t to)
{
    return ((size_t)(from >> 6) << (DENSE_BITS + 6)) | ((size_t)to << 6) | (from & 63);
}

/* Sparse tables: no huge pages, which would make the first byte written
 * anywhere cost 2 MB. */
static void *reserve_sparse(size_t bytes)
{
    void *p = reserve(bytes);
    if (p)
        madvise(p, bytes, MADV_NOHUGEPAGE);
    return p;
}

static _Atomic uint8_t *counts(void)
{
    _Atomic uint8_t *pc = __atomic_load_n(&pair_counts, __ATOMIC_ACQUIRE);
    if (likely(pc))
        return pc;
    ls_spin_lock(&map_spin);
    if (!pair_counts)
        __atomic_store_n(&pair_counts, reserve_sparse((size_t)DENSE_IDS * DENSE_IDS),
                         __ATOMIC_RELEASE);
    ls_spin_unlock(&map_spin);
    return pair_counts;
}

/* Claims one of the pair's LS_EDGE_CONTEXTS context places: 1 if there was
 * one left, 0 if not; -1 if the pair has no count (its ids are too large,
 * or the counts could not be mapped). */
static int count_claim(uint32_t from, uint32_t to)
{
    if (from >= DENSE_IDS || to >= DENSE_IDS)
        return -1;
    _Atomic uint8_t *pc = counts();
    if (!pc)
        return -1;
    _Atomic uint8_t *c = &pc[dense_index(from, to)];
    uint8_t cur = atomic_load_explicit(c, memory_order_relaxed);
    while (cur < LS_EDGE_CONTEXTS)
        if (atomic_compare_exchange_weak(c, &cur, (uint8_t)(cur + 1)))
            return 1;
    return 0;
}

/* A thread gets its filter once it noted this many plain contexts: one that
 * makes a few edges (most) costs no mapping and no page for it. */
#define DENSE_AFTER 256

struct dense_filter {
    uint64_t *bits;           /* DENSE_IDS * DENSE_IDS bits, reserved */
    uint64_t sig;             /* the context they are of */
    uint32_t tid, epoch;      /* ... the thread's then (ls_pedge_plain_seen) */
    uint32_t gen;             /* ls_file_gen they are of */
    uint32_t used;            /* a bit was set since they were cleared */
    uint32_t before;          /* plain contexts noted in the table before there were bits */
    /* ... the pairs of those that were new (or too many) in the table: their
     * bits are set when the bits come, so that no context is counted twice */
    uint64_t early_sig;
    uint32_t early_gen, nearly;
    struct ls_rec_edge_pair early[DENSE_AFTER + 1];
};



/* ---- the threads' batches ----------------------------------------------- */

#define BATCH_EDGES 128
#define MEMO_FRAMES 16

/* The last stacks a thread interned for its edges: a loop that takes new
 * pairs of locks at the same two places interns the same two stacks again
 * and again, each time through the stack table's lock. */
struct stack_memo {
    uint32_t id, gen, n;
    uint64_t ips[MEMO_FRAMES];
};

/* Where the thread's acquisitions that made new edges were called from: a
 * loop taking new pairs at one place unwinds once, not at every pair. */
#define EDGE_SITES 2
#define SITE_TRIES 64
struct edge_sites {
    struct ls_wait_site s[EDGE_SITES];
    uint32_t next;
    uint32_t unwinds, hits;   /* a thread whose sites do not hold stops making them */
    uint64_t cand_ret, cand_cfa; /* a call seen once without a site */
};

struct ls_edge_batch {
    struct ls_spin spin;
    uint32_t n;
    struct ls_rec_edges hdr;
    uint32_t other[LS_MAX_HELD];
    struct ls_rec_edge_pair e[BATCH_EDGES];
    struct stack_memo memo[2];
    struct {                  /* ls_edge_from_memo */
        uint64_t from_ret;
        uint32_t to_stack, from_stack, gen;
    } from_memo;
    struct dense_filter dense;
    struct edge_sites *sites; /* once a call repeated */
    uint64_t cand_ret, cand_cfa; /* until then: a call seen once */
    uint32_t stamp;           /* batch_writes when its first edge came */
    struct ls_edge_batch *next; /* every batch, for the flushes */
};

/* Batches written so far: a batch that another thread's writes have left
 * behind for a while is written by that thread (below), so that an edge
 * of a thread that stopped making new ones still reaches the file with
 * the records after it, as when every edge was written at once. */
static _Atomic uint32_t batch_writes;
#define STALE_WRITES 8

/* Caller holds b->spin.  async: in a signal handler, where the interrupted
 * code may hold the writer's lock: the batch is left if it cannot be had.
 * Ids below 65536 (nearly always) are written in half the space. */
static void batch_write(struct ls_edge_batch *b, int async)
{
    if (b->n == 0)
        return;
    uint32_t max = 0;
    for (uint32_t i = 0; i < b->n; i++)
        max |= b->e[i].from | b->e[i].to;
    b->hdr.n = (uint16_t)b->n;
    b->hdr.pair_bytes = max < 65536 ? 4 : 8;
    uint32_t rest[LS_MAX_HELD + 2 * BATCH_EDGES];
    size_t no = (size_t)b->hdr.nother * sizeof(uint32_t);
    size_t ne = (size_t)b->n * b->hdr.pair_bytes;
    memcpy(rest, b->other, no);
    if (b->hdr.pair_bytes == 4) {
        struct ls_rec_edge_pair16 *q = (struct ls_rec_edge_pair16 *)((char *)rest + no);
        for (uint32_t i = 0; i < b->n; i++)
            q[i] = (struct ls_rec_edge_pair16){(uint16_t)b->e[i].from, (uint16_t)b->e[i].to};
    } else {
        memcpy((char *)rest + no, b->e, ne);
    }
    if (async) {
        if (ls_writer_record_try(LS_REC_EDGES, &b->hdr, sizeof b->hdr, rest, no + ne) == 0)
            b->n = 0;
        return;
    }
    ls_writer_record(LS_REC_EDGES, &b->hdr, sizeof b->hdr, rest, no + ne, NULL, 0);
    b->n = 0;
    atomic_fetch_add_explicit(&batch_writes, 1, memory_order_relaxed);
}

static _Atomic(struct ls_edge_batch *) all_batches;

/* Writes the batches other threads left alone for STALE_WRITES of the
 * process's batch writes (those that can be had at once).  Caller holds
 * own->spin: the others are only tried. */
static void write_stale(struct ls_edge_batch *own)
{
    uint32_t now = atomic_load_explicit(&batch_writes, memory_order_relaxed);
    for (struct ls_edge_batch *b = atomic_load(&all_batches); b; b = b->next) {
        if (b == own || !__atomic_load_n(&b->n, __ATOMIC_RELAXED) ||
            now - __atomic_load_n(&b->stamp, __ATOMIC_RELAXED) < STALE_WRITES ||
            !ls_spin_trylock(&b->spin))
            continue;
        if (b->n && now - b->stamp >= STALE_WRITES)
            batch_write(b, 0);
        ls_spin_unlock(&b->spin);
    }
}

static struct ls_edge_batch *batch_of(struct ls_thread *t)
{
    if (likely(t->edge_batch))
        return t->edge_batch;
    struct ls_edge_batch *b = ls_arena_alloc(sizeof *b);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->next = atomic_load(&all_batches);
    while (!atomic_compare_exchange_weak(&all_batches, &b->next, b))
        ;
    t->edge_batch = b;
    return b;
}

/* Thread t's filter for its plain context sig, cleared if it was of another
 * context or file; NULL if it has none. */
static struct dense_filter *dense_of(struct ls_thread *t, uint64_t sig)
{
    /* (not made here: a thread whose edges all come too late to be written
     * has no batch, and needs none) */
    struct ls_edge_batch *b = t->edge_batch;
    if (!b)
        return NULL;
    struct dense_filter *f = &b->dense;
    const size_t bytes = (size_t)DENSE_IDS * DENSE_IDS / 8;
    if (unlikely(!f->bits)) {
        if (f->used == UINT32_MAX || f->before++ < DENSE_AFTER)
            return NULL; /* (refused once: not asked again) */
        if (atomic_fetch_add(&nfilters, 1) >= DENSE_FILTERS || !(f->bits = reserve_sparse(bytes))) {
            f->used = UINT32_MAX;
            return NULL;
        }
        f->sig = sig;
        f->tid = t->tid;
        f->epoch = t->epoch;
        f->gen = ls_file_gen;
        f->used = 0;
        if (f->early_sig == sig && f->early_gen == ls_file_gen)
            for (uint32_t k = 0; k < f->nearly; k++) {
                size_t i = dense_index(f->early[k].from, f->early[k].to);
                f->bits[i >> 6] |= 1ULL << (i & 63);
                f->used = 1;
            }
        f->nearly = 0;
    }
    if (unlikely(f->sig != sig || f->gen != ls_file_gen)) {
        if (f->used)
            madvise(f->bits, bytes, MADV_DONTNEED); /* reads as zeros again */
        f->sig = sig;
        f->tid = t->tid;
        f->epoch = t->epoch;
        f->gen = ls_file_gen;
        f->used = 0;
    }
    return f;
}

/* A plain context noted in the table (r: what it said) by a thread with no
 * filter yet: kept for the filter, if one may come. */
static void note_early(struct ls_thread *t, uint32_t from, uint32_t to, uint64_t sig, int r)
{
    /* (an edge to write needs the batch anyway) */
    struct ls_edge_batch *b = r == LS_PEDGE_NEW ? batch_of(t) : t->edge_batch;
    if (!b || b->dense.bits || b->dense.used == UINT32_MAX)
        return;
    struct dense_filter *f = &b->dense;
    if (f->early_sig != sig || f->early_gen != ls_file_gen) {
        f->early_sig = sig;
        f->early_gen = ls_file_gen;
        f->nearly = 0;
    }
    if (r == LS_PEDGE_SEEN) /* kept when it was new */
        return;
    if (f->nearly < DENSE_AFTER + 1)
        f->early[f->nearly++] = (struct ls_rec_edge_pair){from, to};
    else
        f->used = UINT32_MAX; /* cannot happen: no filter then, the table stays right */
}

int ls_pedge_note_plain(struct ls_thread *t, uint32_t from, uint32_t to, uint64_t sig)
{
    if (from >= DENSE_IDS || to >= DENSE_IDS)
        return ls_pedge_note(from, to, sig, t->tid);
    struct dense_filter *f = dense_of(t, sig);
    if (!f) {
        int r = ls_pedge_note(from, to, sig, t->tid);
        note_early(t, from, to, sig, r);
        return r;
    }
    size_t i = dense_index(from, to);
    uint64_t *w = &f->bits[i >> 6], m = 1ULL << (i & 63);
    if (*w & m)
        return LS_PEDGE_SEEN;
    *w |= m;
    f->used = 1;
    switch (count_claim(from, to)) {
    case 1:
        return LS_PEDGE_NEW;
    case 0:
        count_more(((uint64_t)from << 32) | to, t->tid);
        return LS_PEDGE_MORE;
    default: /* no counts: the table decides */
        return ls_pedge_note(from, to, sig, t->tid);
    }
}

int ls_pedge_plain_seen(const struct ls_thread *t, uint32_t from, uint32_t to)
{
    const struct ls_edge_batch *b = t->edge_batch;
    if (!b || from >= DENSE_IDS || to >= DENSE_IDS)
        return 0;
    /* (the plain signature is of the thread and epoch alone: the filter is
     * of the current one if they are the same, and then dense_of would
     * keep it as it is) */
    const struct dense_filter *f = &b->dense;
    if (!f->bits || f->gen != ls_file_gen || f->tid != t->tid || f->epoch != t->epoch)
        return 0;
    size_t i = dense_index(from, to);
    /* A clear bit is a claim of the pair's count next (count_claim): its
     * line, which another CPU wrote last, is asked for now rather than
     * after this miss. */
    _Atomic uint8_t *pc = __atomic_load_n(&pair_counts, __ATOMIC_RELAXED);
    if (pc)
        __builtin_prefetch((const void *)&pc[i]);
    return (int)((f->bits[i >> 6] >> (i & 63)) & 1);
}

const struct ls_wait_site *ls_edge_site(struct ls_thread *t, uint64_t ret, uint64_t cfa)
{
    struct ls_edge_batch *b = cfa ? batch_of(t) : NULL;
    if (!b)
        return NULL;
    struct edge_sites *es = b->sites;
    if (!es) {
        /* Made when the thread first makes new edges from one call twice
         * (the frames are a kilobyte). */
        if (b->cand_ret != ret || b->cand_cfa != cfa) {
            b->cand_ret = ret;
            b->cand_cfa = cfa;
            return NULL;
        }
        if (!(es = b->sites = ls_arena_alloc(sizeof *es)))
            return NULL;
        memset(es, 0, sizeof *es);
        es->cand_ret = ret;
        es->cand_cfa = cfa;
    }
    for (int i = 0; i < EDGE_SITES; i++)
        if (ls_wait_site_holds(&es->s[i], ret, cfa)) {
            es->hits++;
            return &es->s[i];
        }
    /* A step-by-step unwind (which the check needs: the stack pointers)
     * costs far more than the usual capture: only for a call seen again,
     * and not for a thread whose calls seldom repeat. */
    if (es->cand_ret != ret || es->cand_cfa != cfa ||
        (es->unwinds >= SITE_TRIES && es->hits < 4 * es->unwinds)) {
        es->cand_ret = ret;
        es->cand_cfa = cfa;
        return NULL;
    }
    es->cand_ret = es->cand_cfa = 0;
    es->unwinds++;
    struct ls_wait_site *site = &es->s[es->next++ % EDGE_SITES];
    site->n = 0;
    int n = ls_unwind(site->f, (int)LS_TRACE_MAX_FRAMES);
    /* Kept only when the unwind starts at the call (it always should). */
    if (n <= 0 || site->f[0].ip != ret || site->f[0].sp != cfa)
        return NULL;
    int kept = n < ls_opt.stack_depth ? n : ls_opt.stack_depth;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    for (int i = 0; i < kept; i++)
        ips[i] = site->f[i].ip;
    uint32_t id = ls_stack_intern(ips, kept);
    if (!id)
        return NULL;
    site->ret = ret;
    site->cfa = cfa;
    site->stack = id;
    site->gen = ls_file_gen;
    site->n = (uint32_t)n;
    return site;
}

uint32_t ls_edge_stack(struct ls_thread *t, int which, const uint64_t *ips, int n)
{
    struct ls_edge_batch *b = batch_of(t);
    if (!b || n <= 0 || n > MEMO_FRAMES)
        return ls_stack_intern(ips, n);
    struct stack_memo *m = &b->memo[which & 1];
    if (m->id && m->gen == ls_file_gen && m->n == (uint32_t)n &&
        memcmp(m->ips, ips, (size_t)n * sizeof *ips) == 0)
        return m->id;
    uint32_t id = ls_stack_intern(ips, n);
    m->id = id;
    m->gen = ls_file_gen;
    m->n = (uint32_t)n;
    memcpy(m->ips, ips, (size_t)n * sizeof *ips);
    return id;
}

uint32_t ls_edge_from_memo(struct ls_thread *t, uint32_t to_stack, uint64_t from_ret)
{
    struct ls_edge_batch *b = t->edge_batch;
    if (!b || !to_stack || b->from_memo.to_stack != to_stack ||
        b->from_memo.from_ret != from_ret || b->from_memo.gen != ls_file_gen)
        return 0;
    return b->from_memo.from_stack;
}

void ls_edge_from_keep(struct ls_thread *t, uint32_t to_stack, uint64_t from_ret,
                       uint32_t from_stack)
{
    struct ls_edge_batch *b = batch_of(t);
    if (!b || !to_stack || !from_stack)
        return;
    b->from_memo.to_stack = to_stack;
    b->from_memo.from_ret = from_ret;
    b->from_memo.from_stack = from_stack;
    b->from_memo.gen = ls_file_gen;
}

void ls_edge_batch_add(struct ls_thread *t, uint32_t from, uint32_t to, uint32_t from_stack,
                       uint32_t to_stack, uint32_t flags, const uint32_t *other, uint32_t nother)
{
    struct ls_edge_batch *b = batch_of(t);
    if (!b)
        return;
    ls_spin_lock(&b->spin);
    if (b->n && (b->hdr.tid != t->tid || b->hdr.epoch != t->epoch ||
                 b->hdr.from_stack != from_stack || b->hdr.to_stack != to_stack ||
                 b->hdr.flags != flags || b->hdr.nother != nother ||
                 memcmp(b->other, other, nother * sizeof *other) != 0))
        batch_write(b, 0);
    if (b->n == 0) {
        b->hdr = (struct ls_rec_edges){.tid = t->tid, .epoch = t->epoch,
                                       .from_stack = from_stack, .to_stack = to_stack,
                                       .flags = (uint16_t)flags, .nother = (uint16_t)nother};
        memcpy(b->other, other, nother * sizeof *other);
        b->stamp = atomic_load_explicit(&batch_writes, memory_order_relaxed);
    }
    b->e[b->n++] = (struct ls_rec_edge_pair){from, to};
    if (b->n == BATCH_EDGES) {
        batch_write(b, 0);
        write_stale(b);
    }
    ls_spin_unlock(&b->spin);
}

void ls_edges_flush_thread(struct ls_thread *t)
{
    struct ls_edge_batch *b = t->edge_batch;
    if (!b)
        return;
    ls_spin_lock(&b->spin);
    batch_write(b, 0);
    ls_spin_unlock(&b->spin);
}

void ls_edges_flush_all(int async)
{
    for (struct ls_edge_batch *b = atomic_load(&all_batches); b; b = b->next) {
        if (async) {
            if (!ls_spin_trylock(&b->spin))
                continue;
        } else {
            ls_spin_lock(&b->spin);
        }
        batch_write(b, async);
        ls_spin_unlock(&b->spin);
    }
}

void ls_edges_after_fork_child(void)
{
    /* Only the forking thread runs here, outside any of these locks. */
    map_spin.v = 0;
    grow_spin.v = 0;
    /* Written again into the child's file: a new, empty table. */
    struct pair_table *tb = atomic_exchange(&pairs, NULL);
    if (tb)
        munmap(tb->s, sizeof(struct pair_slot) << tb->bits);
    for (struct ls_edge_batch *b = atomic_load(&all_batches); b; b = b->next) {
        b->spin.v = 0;
        b->n = 0;
    }
    _Atomic uint8_t *pc = pair_counts;
    pair_counts = NULL;
    if (pc)
        munmap((void *)pc, (size_t)DENSE_IDS * DENSE_IDS);
    /* (the threads' filters are cleared at their next use: ls_file_gen) */
    /* Context ids stay: they are the same contexts, and never written. */
    struct more_slot *m = more_table;
    more_table = NULL;
    if (m)
        munmap(m, sizeof(struct more_slot) << MORE_BITS);
}
