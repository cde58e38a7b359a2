/*
 * Dynamic watch candidates: memory besides the globals, watched while it
 * lives (watch.h, struct ls_dyn).
 *
 * - What a new thread's argument points to: a heap block (its usable size;
 *   the size asked for when the allocation was sampled), a window of the
 *   creating thread's stack (ARG_WINDOW bytes from the argument, not past
 *   the stack's top), the creator's TLS (the variable, else a window of its
 *   module's block), or a global (its symbol).
 * - What the argument's first words point to, one level deep: a heap
 *   block or a window of the creator's stack (a struct of pointers to the
 *   shared state handed to each thread; C++'s std::thread state, which
 *   holds the callable's bound arguments).
 * - The heap block a watched global pointer points to, read when the
 *   sampler arms the pointer.
 * - Sampled allocations (heap.c).
 *
 * A heap object ends before its memory goes back: free and realloc of a
 * block holding it, and an allocation overlapping it (a block freed where
 * lockscope does not see it, inside libc), mark it gone and disarm the
 * slots on it first.  A stack or TLS object ends with its thread.  Each
 * object has an id of its own, written with its accesses: two accesses
 * to two objects are never a race, whatever their addresses.
 *
 * The table is small and fixed (LS_DYN_MAX entries, LS_HEAP_MAX of them
 * heap blocks); a candidate that does not fit is not watched.  It changes
 * under a spinlock, only when an object comes or goes; the allocator's
 * fast path reads three words (heap.c).
 */
#define _GNU_SOURCE
#include "watch.h"

#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define ARG_WINDOW 64   /* bytes of a stack (or unnamed TLS) argument watched */
#define ARG_FOLLOW 64   /* bytes of the argument read for pointers to follow */
#define ARG_FOLLOW_MAX 4 /* blocks followed from one argument at most */
#define LS_HEAP_MAX 48  /* heap objects at once */

struct ls_dyn ls_dyn[LS_DYN_MAX];
_Atomic uint32_t ls_dyn_live;
_Atomic uint32_t ls_heap_live;
_Atomic uint8_t ls_heap_pages[LS_HEAP_PAGES];

static struct ls_spin table_spin;
/* A forked child shares the parent's watchpoints (the events' file
 * descriptors): moving them would move the parent's.  Its objects are
 * left alone, and it makes no new ones. */
static int forked;
static _Atomic uint32_t next_obj = 1;
static uint8_t reserved[LS_DYN_MAX]; /* in use, or being disarmed (table_spin) */
static uint32_t nheap;                /* heap entries reserved (table_spin) */

/* Reads n bytes at addr without faulting (it need not be mapped). */
static int peek(uint64_t addr, void *out, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)(uintptr_t)addr, n};
    return syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L) == (long)n
               ? 0
               : -1;
}

/* An object starts in page (table_spin held; a count of 255 stays: the
 * allocator then looks further on that page, which is only slower). */
static void page_count(uint64_t addr, int delta)
{
    _Atomic uint8_t *c = &ls_heap_pages[(addr >> 12) & (LS_HEAP_PAGES - 1)];
    uint8_t v = atomic_load(c);
    if (v == 255)
        return;
    atomic_store(c, (uint8_t)(v + delta));
}

/* The live entry of kind at exactly addr, or -1 (table_spin held).  A
 * thread's stack or TLS object also stands for the addresses inside it
 * (&arr[1] after &arr[0]): one object, whose accesses all pair. */
static int find_at(uint64_t addr, int kind, uint32_t owner)
{
    for (int i = 0; i < LS_DYN_MAX; i++) {
        const struct ls_dyn *d = &ls_dyn[i];
        if (!reserved[i] || !atomic_load(&d->obj) || d->kind != kind)
            continue;
        if (d->c.addr == addr ||
            ((kind == LS_OBJ_STACK || kind == LS_OBJ_TLS) && d->owner == owner &&
             addr >= d->c.addr && addr < d->c.addr + d->c.size))
            return i;
    }
    return -1;
}

static void full_once(void)
{
    static _Atomic int noted;
    if (!atomic_exchange(&noted, 1))
        ls_writer_note(LS_NOTE_OBJECTS_FULL,
                       "more heap blocks and thread arguments than lockscope watches at once "
                       "(64, 48 of them heap blocks): some were not watched");
}

/* A new object in a free entry; its record written.  The candidate index,
 * or -1 (the table full). */
static int add(struct ls_rec_object *r, uint32_t owner)
{
    ls_spin_lock(&table_spin);
    int i = find_at(r->addr, r->kind, owner);
    if (i >= 0) {
        ls_spin_unlock(&table_spin);
        return LS_DYN_BASE + i; /* the same memory handed to another thread */
    }
    for (i = 0; i < LS_DYN_MAX && reserved[i]; i++)
        ;
    if (i == LS_DYN_MAX || (r->kind == LS_OBJ_HEAP && nheap >= LS_HEAP_MAX)) {
        ls_spin_unlock(&table_spin);
        full_once();
        return -1;
    }
    reserved[i] = 1;
    nheap += r->kind == LS_OBJ_HEAP;
    struct ls_dyn *d = &ls_dyn[i];
    d->c.addr = r->addr;
    d->c.size = r->size > UINT32_MAX ? UINT32_MAX : (uint32_t)r->size;
    d->c.cursor = 0;
    d->hot_off = UINT32_MAX;
    d->hot_turns = 0;
    d->fresh_turns = 6;
    d->c.sync = 0;
    d->c.tier = LS_TIER_WRITTEN;
    atomic_store(&d->c.dropped, 0);
    atomic_store(&d->c.foreign, 0);
    d->kind = r->kind;
    d->via = r->via;
    d->owner = owner;
    d->global = r->via == LS_OBJ_VIA_GLOBAL ? r->via_addr : 0;
    r->id = atomic_fetch_add(&next_obj, 1);
    atomic_store(&d->obj, r->id);
    atomic_fetch_add(&ls_dyn_live, 1);
    if (r->kind == LS_OBJ_HEAP) {
        page_count(r->addr, 1);
        atomic_fetch_add(&ls_heap_live, 1);
    }
    ls_spin_unlock(&table_spin);
    ls_writer_record(LS_REC_OBJECT, r, sizeof *r, NULL, 0, NULL, 0);
    return LS_DYN_BASE + i;
}

/* Marks the entries whose object satisfies the test gone (table_spin
 * held); their ids in ids[]. */
static int mark_gone(int (*test)(const struct ls_dyn *, uint64_t, uint64_t), uint64_t x,
                     uint64_t y, uint8_t *gone, uint32_t *ids)
{
    int n = 0;
    for (int i = 0; i < LS_DYN_MAX; i++) {
        gone[i] = 0;
        uint32_t id = atomic_load(&ls_dyn[i].obj);
        if (!reserved[i] || !id || !test(&ls_dyn[i], x, y))
            continue;
        atomic_store(&ls_dyn[i].obj, 0);
        atomic_fetch_sub(&ls_dyn_live, 1);
        if (ls_dyn[i].kind == LS_OBJ_HEAP) {
            page_count(ls_dyn[i].c.addr, -1);
            atomic_fetch_sub(&ls_heap_live, 1);
        }
        ids[i] = id;
        gone[i] = 1;
        n++;
    }
    return n;
}

static void end_where(int (*test)(const struct ls_dyn *, uint64_t, uint64_t), uint64_t x,
                      uint64_t y)
{
    uint8_t gone[LS_DYN_MAX];
    uint32_t ids[LS_DYN_MAX];
    ls_guard++;
    ls_spin_lock(&table_spin);
    int n = mark_gone(test, x, y, gone, ids);
    ls_spin_unlock(&table_spin);
    if (!n) {
        ls_guard--;
        return;
    }
    struct ls_thread *t = ls_self;
    uint32_t tid = t ? t->tid : 0;
    for (int i = 0; i < LS_DYN_MAX; i++) {
        if (!gone[i])
            continue;
        ls_watch_dyn_gone(LS_DYN_BASE + i);
        struct ls_rec_object_end e = {.id = ids[i], .tid = tid};
        ls_writer_record(LS_REC_OBJECT_END, &e, sizeof e, NULL, 0, NULL, 0);
    }
    ls_spin_lock(&table_spin);
    for (int i = 0; i < LS_DYN_MAX; i++)
        if (gone[i]) {
            nheap -= ls_dyn[i].kind == LS_OBJ_HEAP;
            reserved[i] = 0;
        }
    ls_spin_unlock(&table_spin);
    ls_guard--;
}

static int heap_overlaps(const struct ls_dyn *d, uint64_t lo, uint64_t hi)
{
    return d->kind == LS_OBJ_HEAP && d->c.addr < hi && lo < d->c.addr + d->c.size;
}

void ls_objs_heap_gone(uint64_t lo, uint64_t hi)
{
    if (forked)
        return;
    end_where(heap_overlaps, lo, hi);
}

/* A heap block that holds a synchronization object and nothing else (a
 * mutex malloc'ed on its own): its bytes are touched only by the calls
 * lockscope follows, so it is no candidate, and its watch goes back to
 * the others. */
static int just_sync(const struct ls_dyn *d, uint64_t x, uint64_t n)
{
    return d->kind == LS_OBJ_HEAP && d->c.addr == x && d->c.size <= n + 8;
}

void ls_objs_sync_object(uint64_t addr, uint64_t size)
{
    if (forked || !atomic_load(&ls_heap_live))
        return;
    end_where(just_sync, addr, size);
}

static int owned_by(const struct ls_dyn *d, uint64_t tid, uint64_t unused)
{
    (void)unused;
    return (d->kind == LS_OBJ_STACK || d->kind == LS_OBJ_TLS) && d->owner == tid;
}

void ls_objs_thread_end(struct ls_thread *t)
{
    if (t && !forked && atomic_load(&ls_dyn_live))
        end_where(owned_by, t->tid, 0);
}

/* ---- what memory is ------------------------------------------------------ */

static void here(void)
{
}

/* glibc's allocator (the only one whose chunk headers are read here),
 * reached through lockscope's wrappers: a program with an allocator of its
 * own frees its blocks where lockscope would not see it. */
static int glibc_malloc(void)
{
    static int known, glibc;
    if (!known) {
        void *next = dlsym(RTLD_NEXT, "malloc");
        void *libc = dlsym(RTLD_DEFAULT, "__libc_malloc");
        void *used = dlsym(RTLD_DEFAULT, "malloc");
        Dl_info a, b;
        glibc = next && next == libc && used && dladdr(used, &a) &&
                dladdr((void *)(uintptr_t)here, &b) && a.dli_fbase == b.dli_fbase;
        known = 1;
    }
    return glibc;
}

/* p is the start of a block in use of glibc's heap, with *usable bytes: its
 * chunk header and the next chunk's say so (read without faulting). */
static int heap_block(uint64_t p, uint64_t *usable)
{
    if (!p || (p & 15) || p < 65536 || !glibc_malloc())
        return 0;
    uint64_t hdr;
    if (peek(p - 8, &hdr, 8) != 0)
        return 0;
    uint64_t csize = hdr & ~7ull;
    if (csize < 32 || csize > (1ull << 32) || (csize & 15))
        return 0;
    if (!(hdr & 2)) {
        /* Not mmapped: the next chunk's PREV_INUSE says this one is taken. */
        uint64_t next;
        if (peek(p - 8 + csize, &next, 8) != 0 || !(next & 1) || (next & ~7ull) < 16)
            return 0;
    } else if (peek(p - 16 + csize - 8, &hdr, 8) != 0) {
        return 0;
    }
    size_t u = malloc_usable_size((void *)(uintptr_t)p);
    if (u < 8 || u > csize)
        return 0;
    *usable = u;
    return 1;
}

/* The calling thread's stack, found once per thread. */
static __thread uint64_t stack_lo, stack_hi;

static int on_my_stack(uint64_t a, uint64_t *hi)
{
    if (!stack_hi) {
        pthread_attr_t at;
        void *base;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &at) != 0)
            return 0;
        if (pthread_attr_getstack(&at, &base, &size) == 0) {
            stack_lo = (uint64_t)(uintptr_t)base;
            stack_hi = stack_lo + size;
        }
        pthread_attr_destroy(&at);
        if (!stack_hi)
            return 0;
    }
    *hi = stack_hi;
    return a >= stack_lo && a < stack_hi;
}

struct tls_find {
    uint64_t a, block, end;
    int nth, main_program;
};

static int find_tls(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct tls_find *f = arg;
    int nth = f->nth++;
    if (!info->dlpi_tls_data)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS)
            continue;
        uint64_t lo = (uint64_t)(uintptr_t)info->dlpi_tls_data, hi = lo + ph->p_memsz;
        if (f->a >= lo && f->a < hi) {
            f->block = lo;
            f->end = hi;
            f->main_program = nth == 0;
            return 1;
        }
    }
    return 0;
}

static uint64_t clip(uint64_t a, uint64_t end, uint64_t want)
{
    return end - a < want ? end - a : want;
}

/* ---- where candidates come from --------------------------------------- */

/* The heap or stack-window candidate holding a (the table's index), or -1. */
static int dyn_holding(uint64_t a)
{
    int ci = -1;
    ls_spin_lock(&table_spin);
    for (int i = 0; i < LS_DYN_MAX && ci < 0; i++)
        if (reserved[i] && atomic_load(&ls_dyn[i].obj) &&
            (ls_dyn[i].kind == LS_OBJ_HEAP || ls_dyn[i].kind == LS_OBJ_STACK) &&
            a >= ls_dyn[i].c.addr && a < ls_dyn[i].c.addr + ls_dyn[i].c.size)
            ci = LS_DYN_BASE + i;
    ls_spin_unlock(&table_spin);
    return ci;
}

/* Which argument's object led to each candidate followed from one. */
static int followed_from[LS_DYN_MAX];

/* The memory the words of an argument [a, + n) point to (the argument's
 * candidate: from): the start of a heap block in use, or, from a heap
 * block (whose extent is the argument's), the creator's stack too; a
 * window of the stack holds the frame's other words, and pointers to the
 * stack among them are mostly the frame's own.  Read without faulting; a
 * word that is no such pointer (a count, a vtable, a string) is passed
 * over, and so is memory watched already.  Such memory takes the slots
 * that watch nothing at once (the thread may be done with it before the
 * sampler's next turn), never the argument's. */
static void follow_arg(struct ls_thread *t, int from, uint64_t a, uint64_t n, int from_heap,
                       uint32_t tid, uint32_t stack)
{
    int added = 0;
    n = n < ARG_FOLLOW ? n : ARG_FOLLOW;
    uint64_t first = (8 - (a & 7)) & 7, words[ARG_FOLLOW / 8] = {0};
    size_t nwords = n > first ? (size_t)(n - first) / 8 : 0;
    /* one read for all the words (each on its own if that fails) */
    int whole = nwords && peek(a + first, words, nwords * 8) == 0;
    for (size_t w = 0; w < nwords && added < ARG_FOLLOW_MAX; w++) {
        uint64_t off = first + 8 * w, v = words[w], hi, usable;
        if ((!whole && peek(a + off, &v, sizeof v) != 0) || v < 65536 || (v & 7) ||
            (v >= a && v < a + n) || ls_cand_at(v) >= 0)
            continue;
        int known = dyn_holding(v);
        if (known >= 0) {
            /* Memory another thread's argument led to as well: shared
             * state, the likeliest place for their race, watched again
             * now (the same argument seen again is no news). */
            const struct ls_cand *k = ls_cand_get(known);
            if (known != from && followed_from[known - LS_DYN_BASE] != from && k)
                ls_watch_dyn_now(known, v >= k->addr ? (uint32_t)(v - k->addr) : 0);
            added++;
            continue;
        }
        struct ls_rec_object r = {.via = LS_OBJ_VIA_ARG_PTR, .addr = v, .tid = t->tid,
                                  .arg_tid = tid, .stack = stack, .via_addr = a + off};
        if (heap_block(v, &usable)) {
            r.kind = LS_OBJ_HEAP;
            r.size = usable;
        } else if (from_heap && on_my_stack(v, &hi)) {
            r.kind = LS_OBJ_STACK;
            r.size = clip(v, hi, ARG_WINDOW);
        } else {
            continue;
        }
        int ci = add(&r, t->tid);
        if (ci >= 0) {
            followed_from[ci - LS_DYN_BASE] = from;
            ls_watch_dyn_idle(ci, 0);
            added++;
        }
    }
}

void ls_objs_thread_arg(struct ls_thread *t, const void *arg, const void *start, uint32_t tid,
                        uint32_t stack)
{
    uint64_t a = (uint64_t)(uintptr_t)arg;
    if (forked || !ls_watching() || a < 65536)
        return;
    struct ls_rec_object r = {.via = LS_OBJ_VIA_ARG, .addr = a, .tid = t->tid, .arg_tid = tid,
                              .stack = stack};
    uint64_t hi, usable;
    int ci = -1;
    int g = ls_cand_at(a);
    struct tls_find tf = {a, 0, 0, 0, 0};
    if (g >= 0) {
        /* A global: its own symbol, its own name. */
        r.kind = LS_OBJ_GLOBAL;
        r.addr = ls_cands[g].addr;
        r.size = ls_cands[g].size;
    } else if (dl_iterate_phdr(find_tls, &tf)) {
        r.kind = LS_OBJ_TLS;
        r.via_addr = tf.block;
        uint64_t off = a - tf.block, vsize = 0;
        uint64_t vstart = tf.main_program ? ls_tls_var_at(off, &vsize) : 0;
        if (vsize) {
            r.addr = tf.block + vstart;
            r.size = vsize;
        }
        else
            r.size = clip(a, tf.end, ARG_WINDOW);
    } else if (on_my_stack(a, &hi)) {
        r.kind = LS_OBJ_STACK;
        r.size = clip(a, hi, ARG_WINDOW);
    } else {
        /* A sampled block holding it is watched already: now. */
        ls_spin_lock(&table_spin);
        for (int i = 0; i < LS_DYN_MAX && ci < 0; i++)
            if (reserved[i] && atomic_load(&ls_dyn[i].obj) && ls_dyn[i].kind == LS_OBJ_HEAP &&
                a >= ls_dyn[i].c.addr && a < ls_dyn[i].c.addr + ls_dyn[i].c.size)
                ci = LS_DYN_BASE + i;
        ls_spin_unlock(&table_spin);
        if (ci < 0) {
            if (!heap_block(a, &usable))
                return; /* memory lockscope cannot tell the extent of */
            r.kind = LS_OBJ_HEAP;
            r.size = usable;
        }
    }
    if (ci < 0)
        ci = add(&r, t->tid);
    const struct ls_cand *c = ls_cand_get(ci);
    /* Which start routine the object is handed to: its parameter's or
     * locals' type names the object's fields. */
    struct ls_rec_thread_arg ta = {tid, ls_cand_obj(ci), a, (uint64_t)(uintptr_t)start};
    if (ta.obj && r.kind != LS_OBJ_GLOBAL)
        ls_writer_record(LS_REC_THREAD_ARG, &ta, sizeof ta, NULL, 0, NULL, 0);
    if (c)
        ls_watch_dyn_now(ci, a >= c->addr && a - c->addr < c->size ? (uint32_t)(a - c->addr) : 0);
    /* After the argument: what it points to. */
    if (c && r.kind != LS_OBJ_GLOBAL && r.kind != LS_OBJ_TLS && a >= c->addr)
        follow_arg(t, ci, a, c->addr + c->size - a, ls_dyn[ci - LS_DYN_BASE].kind == LS_OBJ_HEAP,
                   tid, stack);
}

void ls_objs_from_global(uint64_t global, uint64_t value)
{
    uint64_t usable;
    if (forked || ls_cand_at(value) >= 0)
        return;
    ls_spin_lock(&table_spin);
    int known = 0;
    struct ls_rec_object_global note = {0, 0, global};
    for (int i = 0; i < LS_DYN_MAX && !known; i++) {
        known = reserved[i] && atomic_load(&ls_dyn[i].obj) && ls_dyn[i].kind == LS_OBJ_HEAP &&
                value >= ls_dyn[i].c.addr && value < ls_dyn[i].c.addr + ls_dyn[i].c.size;
        /* A sampled block: which global points to it names its fields. */
        if (known && value == ls_dyn[i].c.addr && !ls_dyn[i].global) {
            ls_dyn[i].global = global;
            note.id = atomic_load(&ls_dyn[i].obj);
        }
    }
    ls_spin_unlock(&table_spin);
    if (note.id)
        ls_writer_record(LS_REC_OBJECT_GLOBAL, &note, sizeof note, NULL, 0, NULL, 0);
    if (known || !heap_block(value, &usable))
        return;
    struct ls_rec_object r = {.kind = LS_OBJ_HEAP, .via = LS_OBJ_VIA_GLOBAL, .addr = value,
                              .size = usable, .via_addr = global};
    add(&r, 0);
}

void ls_objs_heap_sampled(void *p, size_t n, size_t usable, int young)
{
    if (forked)
        return;
    struct ls_thread *t = ls_self;
    struct ls_rec_object r = {.kind = LS_OBJ_HEAP,
                              .via = young ? LS_OBJ_VIA_YOUNG : LS_OBJ_VIA_SAMPLED,
                              .addr = (uint64_t)(uintptr_t)p,
                              .size = n ? n : 1,
                              .tid = t ? t->tid : 0,
                              .alloc_stack = ls_stack_here(),
                              .alloc_size = n};
    (void)usable;
    add(&r, r.tid);
}

void ls_objs_after_fork_child(void)
{
    atomic_store(&table_spin.v, 0);
    forked = 1;
    atomic_store(&ls_heap_live, 0);
}
