/*
 * Internal interfaces of liblockscope.so, the preloaded shim.
 *
 * Rules every file here follows (the shim lives inside someone else's
 * program):
 *  - no malloc, no stdio, no locks of the program's kind: memory comes from
 *    mmap (ls_arena_alloc), output from write(2), mutual exclusion from
 *    ls_spin (never held across a call that can block on the program);
 *  - return values and errno of wrapped calls are the program's, untouched;
 *  - on any internal failure: ls_disable("what"), one warning, tracing off.
 */
#ifndef LS_SHIM_H
#define LS_SHIM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lockscope/trace.h"

#define LS_HIDDEN __attribute__((visibility("hidden")))
#define LS_TLS __attribute__((tls_model("initial-exec")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- real functions (shim.c) ---------------------------------------- */
struct ls_real {
    int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
    int (*mutex_destroy)(pthread_mutex_t *);
    int (*mutex_lock)(pthread_mutex_t *);
    int (*mutex_trylock)(pthread_mutex_t *);
    int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*mutex_unlock)(pthread_mutex_t *);
    int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*join)(pthread_t, void **);
    int (*tryjoin_np)(pthread_t, void **);
    int (*timedjoin_np)(pthread_t, void **, const struct timespec *);
    int (*clockjoin_np)(pthread_t, void **, clockid_t, const struct timespec *);
    int (*detach)(pthread_t);
    void (*exit)(void *) __attribute__((noreturn));
    int (*rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
    int (*rwlock_destroy)(pthread_rwlock_t *);
    int (*rwlock_rdlock)(pthread_rwlock_t *);
    int (*rwlock_wrlock)(pthread_rwlock_t *);
    int (*rwlock_tryrdlock)(pthread_rwlock_t *);
    int (*rwlock_trywrlock)(pthread_rwlock_t *);
    int (*rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*rwlock_unlock)(pthread_rwlock_t *);
    int (*spin_init)(pthread_spinlock_t *, int);
    int (*spin_destroy)(pthread_spinlock_t *);
    int (*spin_lock)(pthread_spinlock_t *);
    int (*spin_trylock)(pthread_spinlock_t *);
    int (*spin_unlock)(pthread_spinlock_t *);
    int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*sem_wait)(void *);
    int (*sem_trywait)(void *);
    int (*sem_timedwait)(void *, const struct timespec *);
    int (*sem_clockwait)(void *, clockid_t, const struct timespec *);
    int (*sem_post)(void *);
    int (*barrier_wait)(pthread_barrier_t *);
    int (*cond_signal)(pthread_cond_t *);
    int (*cond_broadcast)(pthread_cond_t *);
    int (*once)(pthread_once_t *, void (*)(void));
    int (*setname_np)(pthread_t, const char *);
    int (*cond_destroy)(pthread_cond_t *);
    int (*barrier_destroy)(pthread_barrier_t *);
    int (*sem_destroy)(void *);
    int (*cond_init)(pthread_cond_t *, const pthread_condattr_t *);
    int (*sem_init)(void *, int, unsigned int);
    int (*barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned int);
};
extern struct ls_real ls_real LS_HIDDEN;

/* Resolves every real symbol (idempotent, safe to call from any wrapper
 * before the constructor ran). */
void ls_resolve_real(void) LS_HIDDEN;

/* 1 while recording; 0 before init, after ls_disable, in set-uid processes. */
extern _Atomic int ls_active LS_HIDDEN;
void ls_disable(const char *what) LS_HIDDEN;
void ls_warn(const char *fmt, ...) LS_HIDDEN __attribute__((format(printf, 1, 2)));
void ls_init(void) LS_HIDDEN;

/* ---- options (options.c) -------------------------------------------- */
struct ls_options {
    char out_dir[4096];       /* out=; default $LOCKSCOPE_OUT or "." */
    int stack_depth;          /* stack_depth= frames kept per stack */
    int verbosity;            /* verbosity= */
    int enabled;              /* enable=0 turns the shim into a pass-through */
    int deadlock;             /* deadlock=exit|report|off: 2, 1, 0 */
    int deadlock_exitcode;    /* status a program ended for a deadlock exits with */
    int deadlock_check_ms;    /* how often a waiting thread looks for a cycle */
    int stall_ms;             /* every thread blocked this long: a stall (0: off) */
    int watch;                /* hardware watchpoints on global variables */
    int watch_rate;           /* traps a second a thread before a variable sits out */
    int watch_period_ms;      /* how long each variable is watched in a rotation */
    char watch_only[1024];    /* comma-separated names: watch only these globals */
    int watch_libs;           /* also the globals of the program's own shared libraries */
    int watch_decode;         /* decode the instruction behind each trap (0: measuring only) */
    int timeline;             /* events kept per thread for the timeline (0: off) */
    int profile;              /* the contention profile (0: not recorded) */
    int heap_sample;          /* 1 allocation in this many becomes a candidate (0: none) */
};
extern struct ls_options ls_opt LS_HIDDEN;
/* Parses LOCKSCOPE_OPTIONS (sanitizer syntax).  Returns 1 if help=1 was
 * given (the help has been printed). */
int ls_options_parse(const char *s) LS_HIDDEN;

/* ---- small utilities (shim.c) --------------------------------------- */
struct ls_spin { _Atomic int v; };
void ls_spin_lock(struct ls_spin *l) LS_HIDDEN;
void ls_spin_unlock(struct ls_spin *l) LS_HIDDEN;
int ls_spin_trylock(struct ls_spin *l) LS_HIDDEN;
/* Zeroed memory from mmap; never freed (until fork/exit).  NULL on failure. */
void *ls_arena_alloc(size_t n) LS_HIDDEN;
size_t ls_strlcpy(char *dst, const char *src, size_t n) LS_HIDDEN;
uint64_t ls_now_ns(void) LS_HIDDEN;

/* ---- trace writer (writer.c) ---------------------------------------- */
int ls_writer_open(void) LS_HIDDEN;
/* Appends one record; payload given as up to three pieces. */
void ls_writer_record(uint16_t type, const void *a, size_t alen, const void *b,
                      size_t blen, const void *c, size_t clen) LS_HIDDEN;
void ls_writer_flush(void) LS_HIDDEN;
/* The same from a signal handler: gives up (returns -1) when the buffer
 * stays busy. */
int ls_writer_record_try(uint16_t type, const void *a, size_t alen, const void *b,
                         size_t blen) LS_HIDDEN;
/* For a vfork child, which shares this memory but not the descriptors: the
 * record is appended if the buffer has room, and never flushed (a flush,
 * or reopening the file, would act on the child's descriptors).  -1 if
 * it did not fit. */
int ls_writer_append_only(uint16_t type, const void *a, size_t alen, const void *b,
                          size_t blen) LS_HIDDEN;
/* From a signal handler: flush if the buffer is not in use. */
void ls_writer_flush_async(void) LS_HIDDEN;
/* Writes the END record (once) and flushes. */
void ls_writer_end(int status, uint32_t flags) LS_HIDDEN;
void ls_writer_exec_failed(void) LS_HIDDEN;
/* 0 in a process that shares the shim's memory without owning its trace
 * (a vfork child): it must record nothing. */
int ls_writer_mine(void) LS_HIDDEN;
void ls_writer_after_fork_child(void) LS_HIDDEN;
void ls_writer_note(uint32_t code, const char *msg) LS_HIDDEN;
/* Bumped in a forked child: ids written under an older generation must be
 * written again into the child's own file. */
extern uint32_t ls_file_gen LS_HIDDEN;

/* ---- modules (modules.c) -------------------------------------------- */
void ls_modules_init(void) LS_HIDDEN;
/* Makes sure every address is covered by a recorded module; rescans the
 * loaded objects when one is not. */
void ls_modules_cover(const uint64_t *ips, int n) LS_HIDDEN;
void ls_modules_rewrite(void) LS_HIDDEN;
int ls_in_self(uintptr_t ip) LS_HIDDEN;
/* The program's path as /proc/self/exe gave it at start-up ("" if it
 * could not be read), and its length. */
const char *ls_exe_path(size_t *len) LS_HIDDEN;
/* 1 if addr lies in a loaded object recorded so far (its code or data);
 * never rescans, never takes the loader's lock. */
int ls_modules_have(uintptr_t addr) LS_HIDDEN;

/* ---- stacks (stacks.c) ---------------------------------------------- */
struct ls_frame_sp {
    uint64_t ip;              /* return address */
    uint64_t sp;              /* the frame's stack pointer at that call */
};
/* libunwind set up now (it is otherwise on the first stack taken): before
 * the watchpoints are armed, so that a trap handler never does it. */
void ls_stacks_ready(void) LS_HIDDEN;
/* Unwinds the calling thread, dropping the shim's own frames. */
int ls_unwind(struct ls_frame_sp *out, int max) LS_HIDDEN;
/* The process's one unwind at a time (stacks.c), for an unwind the shim
 * does itself: 1 if had (end it with ls_unwind_end), 0 if another thread
 * holds it still after a short spin.  ls_unwinding is set while held:
 * the signal masks libunwind sets then are not set. */
int ls_unwind_try_begin(void) LS_HIDDEN;
void ls_unwind_end(void) LS_HIDDEN;
extern __thread int ls_unwinding LS_HIDDEN LS_TLS;
/* The calling thread's return addresses, the shim's own left out: the
 * fast way, without stack pointers. */
int ls_backtrace(uint64_t *ips, int max) LS_HIDDEN;
/* 1 if both return addresses lie in the same function. */
int ls_same_function(uint64_t a, uint64_t b) LS_HIDDEN;
/* Interns a stack, writing its record the first time; returns its id. */
uint32_t ls_stack_intern(const uint64_t *ips, int depth) LS_HIDDEN;
uint32_t ls_stack_here(void) LS_HIDDEN;
/* A new stack id for these native frames, never shared (a Python stack's:
 * its Python frames make it distinct); writes its record. */
uint32_t ls_stack_fresh(const uint64_t *ips, int depth) LS_HIDDEN;
void ls_stacks_after_fork_child(void) LS_HIDDEN;

/* ---- threads (tls.c) ------------------------------------------------ */
#define LS_MAX_HELD 128

struct ls_lock;

/* 64 bytes: an entry's address is the held stack's plus a shift. */
struct ls_held {
    struct ls_lock *lk;
    uint32_t id;              /* lock id when acquired */
    uint32_t count;           /* recursion depth */
    uint64_t ret_ip;          /* return address of the acquiring call */
    uint64_t cfa;             /* caller's stack pointer at that call */
    uint32_t stack;           /* acquisition stack, captured lazily */
    uint16_t stack_gen;       /* ls_file_gen when `stack` was interned (compared with
                                 the whole of it: a file generation past 65535 only
                                 makes the stack taken again) */
    uint8_t read;             /* held for reading (rwlock) */
    uint8_t approx : 1;       /* stack's outer frames are approximate */
    uint8_t inherited : 1;    /* held since before fork (a forked child's copy) */
    uint64_t since_ns;        /* acquisition time, for a sampled hold; 0 if not sampled */
    uint64_t since_tick;      /* ls_coarse_ns at acquisition: a hold that outlasts a tick
                                 is timed at its release */
    uint64_t mix;             /* its share of the thread's heldhash */
};
_Static_assert(sizeof(struct ls_held) == 64, "held entries are 64 bytes");

struct ls_edge_slot { uint64_t key; uint64_t hh; };
struct ls_sl_table;

/* ---- happens-before (clock.c) ---------------------------------------- */
#define LS_VC_INLINE 8
struct ls_vclock {
    uint32_t *v;              /* indexed by thread id: inl, or arena memory */
    uint32_t n, cap;
    uint32_t inl[LS_VC_INLINE]; /* small clocks live here, next to their owner */
};

/* The clock of a synchronization object (or one side of it). */
struct ls_sync {
    /* read on every acquisition: first */
    uint32_t last_tid, last_epoch, last_version;
    uint32_t sl_gen;          /* a lock entry's w: its generation (synclife.c), in a hole */
    const struct ls_thread *last_thread;
    struct ls_vclock clk;     /* full clock, only once two threads met here */
};

/* ---- sampled accesses (access.c) --------------------------------------- */
#define LS_RING_SIZE 64 /* drained at the next call into the shim, or by the sampler */
#define LS_RING_VC 256
#define LS_RING_HELD 16
#define LS_RING_FRAMES 24
struct ls_ring_entry {
    uint64_t addr, watch_addr;
    uint32_t size, flags, watch_len, epoch, version, nvc, nheld, nips;
    uint32_t sync_lost;       /* LS_REC_ACCESS.sync_lost */
    uint32_t held[LS_RING_HELD];
    uint64_t ips[LS_RING_FRAMES];
    uint32_t vc[LS_RING_VC];
    uint64_t ns;              /* when, on the timeline's clock (0: timeline off) */
    uint32_t obj;             /* the dynamic candidate's object (LS_REC_ACCESS_OBJ), 0: a global */
};
struct ls_ring {
    _Atomic uint32_t head, tail;
    _Atomic int draining;
    uint32_t dropped, dropped_noted;
    uint32_t clock_written, clock_written_valid;
    struct ls_ring_entry e[LS_RING_SIZE];
};

/* An ownerless wait's stack, kept for the next wait from the same call at
 * the same stack depth (wait_stacks.c): the frames as unwound, and the
 * interned stack. */
#define LS_WAIT_SITES 2
struct ls_wait_site {
    uint64_t ret, cfa;
    uint32_t n, stack, gen, pad;
    struct ls_frame_sp f[LS_TRACE_MAX_FRAMES];
};

struct ls_thread {
    uint32_t tid;
    uint32_t epoch;           /* create/join epoch */
    uint32_t os_tid;
    uint32_t nheld;
    uint32_t overflow;        /* acquisitions not kept: held stack full */
    uint64_t heldhash;        /* xor of mixed ids of held locks */
    struct ls_held held[LS_MAX_HELD];
    /* seen (from, to, held-set) edges: open addressing, grows by mmap */
    struct ls_edge_slot *edges;
    uint32_t edge_cap, edge_count;
    /* edges waiting to be written (edges.c); kept when the state is reused */
    struct ls_edge_batch *edge_batch;
    int exited;
    /* set by the creating thread for the new one */
    void *(*start_fn)(void *);
    void *start_arg;
    uint32_t parent, parent_epoch, create_stack;
    _Atomic uint32_t life;    /* LS_LIFE_* */
    /* what the thread is blocked on, published only once it has to wait
     * (deadlock.c); read by other waiting threads */
    _Atomic uint32_t wait_kind; /* LS_WAIT_*, 0 = running */
    _Atomic uint32_t wait_gen;  /* bumped at every new wait */
    struct ls_lock *wait_lk;
    const void *wait_obj;     /* the mutex, rwlock, condvar, ... itself */
    struct ls_thread *wait_thread;
    uint64_t wait_since_ms;   /* CLOCK_MONOTONIC */
    uint64_t wait_until_ms;   /* a timed wait's deadline (CLOCK_MONOTONIC), 0: none */
    _Atomic uint32_t wait_stack; /* interned stack of the wait (ownerless waits), or 0 */
    _Atomic int wait_published;  /* wait_ips (or wait_stack and the held stacks) are set */
    uint32_t registry_slot;
    /* happens-before */
    struct ls_vclock vc;
    uint32_t vc_version;      /* bumped when an acquire taught the clock something */
    struct ls_ring *ring;     /* sampled accesses waiting to be written */
    _Atomic int ring_pending;
    _Atomic int in_trap;      /* inside the SIGTRAP handler right now */
    uint32_t hold_countdown;  /* acquisitions until the next sampled hold */
    uint64_t last_wait_ns;    /* how long the acquisition in progress waited */
    struct ls_tl *tl;         /* its timeline ring (timeline.c), NULL when off */
    /* misuse (misuse.c): the condvar, semaphore or barrier the thread is
     * inside a wait on (set before it counts as a waiter, cleared after it
     * no longer does), the call's site, and a condvar wait's mutex */
    _Atomic(const void *) in_obj;
    uint64_t in_ret;
    const void *in_mutex;
    /* a failed sem_post, recorded later: sem_post may run in a signal handler */
    uint64_t deferred_ret;
    const void *deferred_obj;
    int deferred_err;
    struct ls_sl_table *_Atomic sl; /* the objects it used since their init (synclife.c) */
    /* Cold, and last: the raw stack of the wait in progress, taken before
     * blocking (deadlock.c), read only by the watchdog. */
    uint32_t wait_nips;
    uint64_t wait_ips[LS_TRACE_MAX_FRAMES];
    /* the stack pointer of the call that set in_ret (its CFA), 0 unknown */
    uint64_t in_cfa;
    /* the stacks of the thread's last ownerless waits (wait_stacks.c) */
    uint32_t wait_site_next;
    struct ls_wait_site wait_sites[LS_WAIT_SITES];
    /* lock waits (wait_stacks.c): a call seen waiting once, and how often
     * kept frames were made for them and used */
    uint64_t lock_cand_ret, lock_cand_cfa;
    uint32_t lock_site_unwinds, lock_site_hits;
};
/* released: joined or detached; published: its creator is done with it
 * (pthread_create returned) */
enum { LS_LIFE_EXITED = 1, LS_LIFE_RELEASED = 2, LS_LIFE_PUBLISHED = 4 };

extern __thread struct ls_thread *ls_self LS_HIDDEN LS_TLS;
/* Set by a wrapper that calls another (C11 mtx_lock -> pthread_mutex_lock):
 * the program's own call site, for the inner one to record. */
extern __thread uint64_t ls_outer_ret LS_HIDDEN LS_TLS;
extern __thread uint64_t ls_outer_cfa LS_HIDDEN LS_TLS;
extern __thread int ls_guard LS_HIDDEN LS_TLS;

/* Thread-state lifecycle. */
/* A state for a thread about to be created (tid assigned), and its start
 * in that thread; ls_thread_new does both for the calling thread. */
struct ls_thread *ls_thread_alloc(void) LS_HIDDEN;
void ls_thread_start(struct ls_thread *t) LS_HIDDEN;
struct ls_thread *ls_thread_new(uint32_t parent, uint32_t parent_epoch,
                                uint32_t create_stack) LS_HIDDEN;
void ls_thread_finish(struct ls_thread *t, uint32_t exit_stack) LS_HIDDEN;
uint32_t ls_thread_next_tid(void) LS_HIDDEN;
/* How many threads were given an id so far (a count that only grows). */
uint32_t ls_thread_tids_given(void) LS_HIDDEN;
/* The thread will run no more program code through the shim: its state
 * may serve a new thread.  Sets ls_self to NULL and raises ls_guard so
 * that late calls (TLS destructors) pass straight through. */
void ls_thread_leave(struct ls_thread *t) LS_HIDDEN;
/* Sets a LS_LIFE_* bit; the state is recycled once all are set. */
void ls_thread_life(struct ls_thread *t, uint32_t bit) LS_HIDDEN;
/* One of the shim's own threads (watchdog, sampler, ticker): detached, with
 * every signal blocked (the program's signals must reach its own threads);
 * errno kept.  Returns pthread_create's result. */
int ls_shim_thread(pthread_t *th, size_t stack, void *(*fn)(void *)) LS_HIDDEN;
void ls_threads_init(void) LS_HIDDEN;
void ls_threads_map_after_fork_child(void) LS_HIDDEN;
/* The calling thread's state, created on first use for threads the shim
 * did not see start (created before it loaded, or by C11 thrd_create). */
struct ls_thread *ls_current_slow(void) LS_HIDDEN;
void ls_threads_after_fork_child(void) LS_HIDDEN;

/* ---- locks (locks.c) ------------------------------------------------ */
/* The fields every acquisition touches come first, to share one cache line
 * (the entry is a second memory access next to the program's own mutex). */
struct __attribute__((aligned(64))) ls_lock {
    _Atomic uintptr_t addr;
    _Atomic uint32_t id;      /* current generation's id; 0 = not yet assigned */
    uint32_t kind;            /* LS_LOCK_* */
    _Atomic uint64_t acquisitions;  /* profile: counted here, on the hot line */
    _Atomic uint64_t owner_changes;
    struct ls_sync w;         /* exclusive releases (mutex, write hold, spin), or all */
    struct ls_profile *prof;  /* the rest of the profile, once it was first needed */
    uint32_t written_gen;     /* ls_file_gen its record was written under */
    uint32_t init_stack;
    uint32_t first_stack;
    struct ls_spin spin;      /* guards id assignment and record writing; the clocks of
                                 objects released concurrently (read holds, condvars) */
    struct ls_sync rd;        /* rwlock: read holds released */
    _Atomic int waiters;      /* condvar, barrier, semaphore: threads waiting now */
    _Atomic uintptr_t cond_mutex; /* condvar: the mutex of its current waiters */
    /* writer-preferring rwlock: the id and file generation for which a
     * queued writer was recorded (LS_REC_WRITER_QUEUE) */
    _Atomic uint32_t writer_queue_id, writer_queue_gen;
    _Atomic uint32_t round;   /* barrier: threads released together (its count), 0 unknown */
    _Atomic int woken;        /* semaphore: of its waiters, those a post has released */
    /* (16 bits each, so that an entry stays 256 bytes: two pairs of lines) */
    _Atomic uint16_t py;      /* a semaphore in a CPython process: LS_PYSEM_* */
    _Atomic uint16_t py_named; /* its LS_REC_PYLOCK was written (the low bits of this
                                  file generation: a mismatch may only rewrite it) */
    _Atomic uint32_t py_tid;  /* a thread sentinel, once its thread ended: its id ... */
    struct ls_thread *_Atomic py_owner; /* ... the thread it stands for */
    _Atomic uint32_t py_epoch; /* ... its final epoch */
    _Atomic uint32_t py_joiner; /* ... the last thread that joined it (recorded) */
};
enum {
    LS_PYSEM_NONE = 0,        /* not a Python lock: a plain semaphore */
    LS_PYSEM_LOCK = 1,        /* threading.Lock / RLock */
    LS_PYSEM_SIGNAL = 2,      /* a Condition waiter, or posted by a non-holder */
    LS_PYSEM_SENTINEL = 3,    /* a thread's "alive" lock: waiting on it is a join */
};

/* The contention profile of a lock (profile.c).  Counters are updated by
 * the holder (exclusive holds) or atomically (read holds). */
#define LS_PROFILE_SITES 4
struct ls_profile {
    _Atomic uint64_t contended;
    _Atomic uint64_t wait_ns, wait_max_ns;
    _Atomic uint64_t hold_samples, hold_sampled_ns, hold_max_ns;
    _Atomic uint64_t long_holds, long_hold_ns, hold_slack_ns;
    struct ls_spin site_spin;
    struct {
        uint64_t ret;
        uint32_t stack;
        uint64_t waits, wait_ns;
    } sites[LS_PROFILE_SITES];
};

/* 1 if addr is a synchronization object the shim has seen. */
int ls_lock_known(const void *addr) LS_HIDDEN;

/* The lock table: open addressing over 2^LS_LOCK_TABLE_BITS entries,
 * reserved at first use and committed page by page as locks land. */
#define LS_LOCK_TABLE_BITS 20
extern struct ls_lock *ls_lock_table LS_HIDDEN;
struct ls_lock *ls_lock_get_slow(const void *addr, uint32_t kind) LS_HIDDEN;

/* A lock's home slot: its address in 8-byte words, modulo the table, so
 * that locks next to each other in memory (an array of mutexes, the locks of
 * neighbouring objects) have entries next to each other too: fewer pages and
 * cache lines for the same locks.  Collisions are resolved in locks.c. */
static inline uint32_t ls_lock_slot(uintptr_t addr)
{
    return (uint32_t)(addr >> 3) & ((1u << LS_LOCK_TABLE_BITS) - 1);
}

/* The lock at addr, created on first sight.  NULL if the table is full.
 * The table itself is the cache: a lock's entry is nearly always the first
 * one probed, and it is the line the acquisition needs next anyway. */
static inline struct ls_lock *ls_lock_at_home(const void *addr)
{
    struct ls_lock *tb = __atomic_load_n(&ls_lock_table, __ATOMIC_ACQUIRE);
    if (likely(tb)) {
        struct ls_lock *e = &tb[ls_lock_slot((uintptr_t)addr)];
        if (likely(atomic_load_explicit(&e->addr, memory_order_acquire) == (uintptr_t)addr))
            return e;
    }
    return NULL;
}

static inline struct ls_lock *ls_lock_get(struct ls_thread *t, const void *addr, uint32_t kind)
{
    (void)t;
    struct ls_lock *e = ls_lock_at_home(addr);
    return likely(e) ? e : ls_lock_get_slow(addr, kind);
}
void ls_lock_init_event(struct ls_lock *lk, uint32_t kind) LS_HIDDEN;
void ls_lock_destroy_event(struct ls_lock *lk) LS_HIDDEN;
/* Makes sure lock `id`'s record is in the current file. */
void ls_lock_ensure_written(struct ls_lock *lk) LS_HIDDEN;

/* Acquire protocol, called by every wrapper (hot.h):
 *   held = ls_acquire_pre(t, lk, flags, ret, cfa)   before the real call,
 *   ls_acquire_post(t, lk, flags, ret, cfa) after it succeeded,
 *   ls_release(t, lk) before the real unlock. */
enum { LS_ACQ_TRY = 1, LS_ACQ_TIMED = 2, LS_ACQ_READ = 4 };
enum { LS_HELD_WRITE = 1, LS_HELD_READ = 2 };
/* The held-stack entry of lk, or NULL. */
struct ls_held *ls_held_find(struct ls_thread *t, struct ls_lock *lk) LS_HIDDEN;
/* Records a misuse (LS_MISUSE_*) at the caller's site `ret`, once per rule
 * and site. */
void ls_misuse(struct ls_thread *t, uint32_t rule, struct ls_lock *lk, uint64_t ret,
               int result) LS_HIDDEN;
void ls_locks_after_fork_child(void) LS_HIDDEN;

/* ---- misuse (misuse.c) ------------------------------------------------- */
/* Set by a C11 wrapper around the pthread call it makes: the LS_CALL_* the
 * program made, for the pthread wrapper to name in a misuse record. */
extern __thread uint32_t ls_outer_call LS_HIDDEN LS_TLS;
struct ls_misuse_info {
    uint32_t rule;            /* LS_MISUSE_* */
    uint32_t call;            /* LS_CALL_* (ls_outer_call wins) */
    struct ls_lock *lk, *lk2; /* the object (may be a condvar, semaphore, ...), a second one */
    uint64_t ret;             /* the program's call site (ls_outer_ret wins) */
    int result;               /* errno value the call returned, 0 if n/a */
    int32_t value;
    uint32_t other_tid, other_stack; /* the other thread and where (0: none/unknown) */
    uint32_t tid, stack;      /* 0: the calling thread, here */
    uint64_t key;             /* once per (rule, key); 0: per (rule, site) */
};
void ls_misuse_ex(struct ls_thread *t, const struct ls_misuse_info *m) LS_HIDDEN;
/* A call returned an error that breaks what the program assumes. */
void ls_call_error(struct ls_thread *t, uint32_t call, struct ls_lock *lk, uint64_t ret,
                   int err) LS_HIDDEN;
/* The live thread other than self that holds lk (glibc's owner os_tid
 * first, if given, else the held stacks), and where it took it.  NULL if
 * none. */
/* 1 if t holds lk since before the fork that made this process: the
 * child may initialize it again (what pthread_atfork child handlers do). */
int ls_held_inherited(struct ls_thread *t, struct ls_lock *lk) LS_HIDDEN;
struct ls_thread *ls_holder_of(struct ls_thread *self, struct ls_lock *lk, uint32_t owner_os_tid,
                               uint32_t *stack) LS_HIDDEN;
/* 1 if a live traced thread has glibc thread id os_tid. */
int ls_os_tid_alive(uint32_t os_tid) LS_HIDDEN;
/* A live thread other than self inside a wait on obj (with a mutex other
 * than `not_mutex`, if given), and where it waits.  NULL if none. */
struct ls_thread *ls_waiter_on(struct ls_thread *self, const void *obj, const void *not_mutex,
                               uint32_t *stack) LS_HIDDEN;
/* Threads inside a wait on obj now (other than self). */
uint32_t ls_count_waiters(struct ls_thread *self, const void *obj) LS_HIDDEN;
/* Entering and leaving a wait on a condvar, semaphore or barrier. */
static inline void ls_in_wait_at(struct ls_thread *t, const void *obj, const void *mutex,
                                 uint64_t ret, uint64_t cfa)
{
    t->in_ret = ret;
    t->in_cfa = cfa;
    t->in_mutex = mutex;
    atomic_store_explicit(&t->in_obj, obj, memory_order_release);
}
static inline void ls_in_wait(struct ls_thread *t, const void *obj, const void *mutex,
                              uint64_t ret)
{
    ls_in_wait_at(t, obj, mutex, ret, 0);
}
static inline void ls_out_wait(struct ls_thread *t)
{
    atomic_store_explicit(&t->in_obj, NULL, memory_order_release);
}
/* A robust mutex was acquired with EOWNERDEAD in this process: unlocks
 * look for one left inconsistent. */
extern _Atomic int ls_owner_died LS_HIDDEN;
/* The first lock t holds that nobody else could be left waiting for
 * forever (robust mutexes are recovered by their next locker), or NULL. */
struct ls_held *ls_held_blocking(struct ls_thread *t) LS_HIDDEN;
/* In a forked child, before the registry forgets the parent's threads:
 * their waits are gone. */
void ls_misuse_after_fork_child(struct ls_thread *self) LS_HIDDEN;
/* At exit (exit(3), return from main): joinable threads never joined or
 * detached (wrap_thread.c). */
void ls_thread_leaks(void) LS_HIDDEN;
void ls_deferred_misuse(struct ls_thread *t) LS_HIDDEN;
/* The thread ends: a wait it was cancelled in no longer counts. */
void ls_misuse_thread_gone(struct ls_thread *t) LS_HIDDEN;

/* ---- live deadlocks (deadlock.c) ------------------------------------- */
void ls_registry_add(struct ls_thread *t) LS_HIDDEN;
void ls_registry_remove(struct ls_thread *t) LS_HIDDEN;
/* Calls fn(self, other) for every registered thread other than self. */
void ls_registry_each(struct ls_thread *self,
                      void (*fn)(struct ls_thread *self, const struct ls_thread *other)) LS_HIDDEN;
/* membarrier: every other live thread's clock joins t's. */
void ls_clock_join_all(struct ls_thread *t) LS_HIDDEN;
void ls_registry_after_fork_child(struct ls_thread *self) LS_HIDDEN;
/* The registry's slots (for scans; entries may change under the reader). */
uint32_t ls_registry_size(void) LS_HIDDEN;
struct ls_thread *ls_registry_slot(uint32_t i) LS_HIDDEN;
/* Traced threads alive now (at least 1); async-signal-safe. */
extern _Atomic uint32_t ls_live_count LS_HIDDEN;
static inline uint32_t ls_live_threads(void)
{
    uint32_t n = atomic_load_explicit(&ls_live_count, memory_order_relaxed);
    return n ? n : 1;
}
/* Publishing a wait: kind LS_WAIT_*, the lock (if any), the object, the
 * thread waited for (joins), and for a timed wait its deadline (NULL: none)
 * on clock clk.  Called only once the thread has to wait (its first try
 * failed); the thread then blocks in the real call, and the watchdog thread
 * (started by the first wait) looks for cycles and stalls among the
 * published waits.  Lock and join waits record their stack raw (no
 * syscall, no lock); ownerless waits intern theirs and their held locks'. */
void ls_wait_begin(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                   struct ls_thread *other) LS_HIDDEN;
void ls_wait_begin_timed(struct ls_thread *t, uint32_t kind, struct ls_lock *lk,
                         const void *obj, clockid_t clk, const struct timespec *abstime) LS_HIDDEN;
/* The wait in progress's stacks interned now, from the waiting thread (a
 * Python lock's wait: its Python stack, ls_site_stack, is known here only). */
void ls_wait_publish_stacks(struct ls_thread *t) LS_HIDDEN;
void ls_wait_end(struct ls_thread *t) LS_HIDDEN;
/* The blocking part of a mutex lock / pthread_join: published, then the
 * real blocking call.  Returns the real call's result. */
int ls_wait_mutex(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m, uint64_t ret,
                  uint64_t cfa) LS_HIDDEN;
int ls_wait_join(struct ls_thread *t, struct ls_thread *child, pthread_t th, void **ret) LS_HIDDEN;
/* A thread locking again a lock it holds where that never returns (plain
 * mutex; write lock over its own read lock): reported at once. */
void ls_self_deadlock(struct ls_thread *t, struct ls_lock *lk, const void *obj,
                      uint32_t kind) LS_HIDDEN;
void ls_deadlock_after_fork_child(void) LS_HIDDEN;
/* The program creates a thread: the watchdog starts (once). */
void ls_deadlock_thread_created(void) LS_HIDDEN;
/* The watchdog (started now if it is not yet) takes on the profile's
 * ticks, the first due at `due` (CLOCK_MONOTONIC ns),
 * woken for it if it would sleep past it; 0 if there is no watchdog
 * (deadlock=off, or it cannot be started). */
int ls_deadlock_take_ticks(uint64_t due) LS_HIDDEN;
/* At fork: remember the locks other threads hold (the child's copies of
 * them are never released). */
void ls_deadlock_before_fork(struct ls_thread *self) LS_HIDDEN;
void ls_deadlock_after_fork_parent(void) LS_HIDDEN;
/* Interns the stacks of the calling thread's held locks (if not yet) and
 * returns the id of its current stack (from locks.c). */
uint32_t ls_capture_wait_stacks(struct ls_thread *t) LS_HIDDEN;
/* The stacks of held locks not interned yet, from frames cur[0..n) of the
 * calling thread (locks.c). */
void ls_held_stacks_from(struct ls_thread *t, const struct ls_frame_sp *cur, int n) LS_HIDDEN;
/* ls_capture_wait_stacks for a wait called from ret with stack pointer
 * cfa: the thread's last stacks from that call, checked against the
 * return addresses on the stack, else a new unwind (wait_stacks.c). */
uint32_t ls_wait_stacks_at(struct ls_thread *t, uint64_t ret, uint64_t cfa) LS_HIDDEN;
/* The frames of a lock wait called from ret at cfa (the call's stack
 * pointer): those kept for a wait from the same call when they still hold,
 * or ones kept now for a call seen waiting before; NULL: none (unwind as
 * usual).  Lock waits then record their raw stack with no unwind either
 * (wait_stacks.c). */
const struct ls_wait_site *ls_lock_wait_site(struct ls_thread *t, uint64_t ret,
                                             uint64_t cfa) LS_HIDDEN;
/* 1 if the frames kept in site still describe a call from ret at cfa of
 * the calling thread (wait_stacks.c). */
int ls_wait_site_holds(const struct ls_wait_site *site, uint64_t ret, uint64_t cfa) LS_HIDDEN;

/* ---- CPython (python.c) ---------------------------------------------- */
/* _PyRuntime's bytes: the GIL's mutex and condvars, passed through. */
extern uintptr_t ls_py_rt_lo LS_HIDDEN;
extern size_t ls_py_rt_size LS_HIDDEN;
static inline int ls_py_internal(const void *p)
{
    return unlikely((uintptr_t)p - ls_py_rt_lo < ls_py_rt_size);
}
/* 1 in a CPython process whose Python locks the shim follows. */
extern int ls_py_on LS_HIDDEN;
/* Set while a Python-lock wrapper runs the generic machinery: the Python
 * stack to record as "here" instead of a native unwind (0: none). */
extern __thread uint32_t ls_site_stack LS_HIDDEN LS_TLS;
void ls_py_init(void) LS_HIDDEN;
/* The calling thread's Python stack if it holds the GIL, else 0. */
uint32_t ls_py_here(void) LS_HIDDEN;
void ls_py_after_fork_child(void) LS_HIDDEN;
/* The semaphore calls in a CPython process (python_sem.c; wrap_cond.c hands
 * them over). */
int ls_py_sem_init(void *s, int pshared, unsigned value) LS_HIDDEN;
int ls_py_sem_trywait(void *s, uint64_t ret, uint64_t cfa) LS_HIDDEN;
/* clk -1: sem_wait; else a timed wait on that clock */
int ls_py_sem_wait(void *s, int clk, const struct timespec *abst, uint64_t ret,
                   uint64_t cfa) LS_HIDDEN;
int ls_py_sem_post(void *s) LS_HIDDEN;
void ls_py_sem_destroy(void *s) LS_HIDDEN;
/* 1 if lk is a Python lock (held-at-exit is no misuse in Python). */
static inline int ls_lock_is_py(const struct ls_lock *lk)
{
    return lk->kind == LS_LOCK_PY || lk->kind == LS_LOCK_PY_RLOCK;
}

/* ---- happens-before (clock.c) ---------------------------------------- */
extern _Atomic int ls_clocks_on LS_HIDDEN;
/* Condvars, semaphores, barriers, once, annotations (locks.c): a release
 * joins into the object's clock, an acquire learns it.  The _async variant
 * never waits (for sem_post, which may run in a signal handler); it
 * returns -1 when it could not record. */
void ls_sync_release(struct ls_thread *t, const void *obj, uint32_t kind) LS_HIDDEN;
int ls_sync_release_async(struct ls_thread *t, const void *obj, uint32_t kind) LS_HIDDEN;
void ls_sync_acquire(struct ls_thread *t, const void *obj, uint32_t kind) LS_HIDDEN;
/* A new thread's clock: what its creator knew (parent may be NULL). */
void ls_clock_thread_start(struct ls_thread *t, const struct ls_thread *parent) LS_HIDDEN;
/* Release into an object many threads release into (caller serializes). */
void ls_clock_release_join(struct ls_thread *t, struct ls_sync *s) LS_HIDDEN;
/* pthread_join: everything the joined thread did happened before. */
void ls_clock_join_thread(struct ls_thread *t, const struct ls_thread *other) LS_HIDDEN;
void ls_clock_tick(struct ls_thread *t) LS_HIDDEN;

/* ---- sampled accesses (access.c, watch.c) ------------------------------ */
struct ls_ring *ls_ring_new(void) LS_HIDDEN;
/* An access [addr, addr + size) with LS_ACCESS_* flags, trapped by the
 * watchpoint on [watch_addr, + watch_len); from the SIGTRAP handler
 * (async-signal-safe). */
void ls_ring_push(struct ls_thread *t, uint64_t addr, uint32_t size, uint32_t flags,
                  uint64_t watch_addr, uint32_t watch_len, uint64_t pc,
                  void *ucontext, uint32_t obj) LS_HIDDEN;
/* Outside signal context: writes the thread's pending accesses. */
void ls_ring_drain(struct ls_thread *t) LS_HIDDEN;
void ls_ring_after_fork_child(struct ls_thread *t) LS_HIDDEN;
/* Every traced thread's pending accesses (at exit, before fork); settle:
 * first let trap handlers in other threads finish (at exit). */
void ls_rings_drain_all(int settle) LS_HIDDEN;
void ls_access_rings_drain_all(void) LS_HIDDEN;
void ls_watch_init(void) LS_HIDDEN;
void ls_watch_finish(void) LS_HIDDEN;
/* The program creates a thread: watching begins (once). */
void ls_watch_threads_start(void) LS_HIDDEN;
int ls_watching(void) LS_HIDDEN;
/* Python variables are watched (python_race.c). */
int ls_pyr_watching(void) LS_HIDDEN;
/* The calling thread woke up in a wait on one of the interpreter's own
 * condition variables (for the GIL): it runs Python code next. */
void ls_pyr_gil_woken(void) LS_HIDDEN;

/* ---- signals (signals.c) ------------------------------------------------
 * The shim holds a signal only while the program's disposition for it is
 * SIG_DFL and its default action ends the process (to flush the trace
 * first), and SIGTRAP while watching; whatever else the program installs
 * is installed for real. */
/* At start: the SIG_DFL dispositions whose default ends the process. */
void ls_signals_init(void) LS_HIDDEN;
/* From now on handler is SIGTRAP's; the program's disposition becomes a
 * record that ls_signals_chain_trap applies. */
void ls_signals_take_trap(void (*handler)(int, siginfo_t *, void *)) LS_HIDDEN;
/* Debug exceptions without a cause, ignored (see signals.c). */
uint32_t ls_signals_spurious_traps(void) LS_HIDDEN;
/* From that handler, for a SIGTRAP that is not a watchpoint's: does what the
 * program's disposition would have done (its handler with the mask and
 * flags it asked for, SIG_IGN, or death by SIGTRAP after the flush).  It
 * returns with the handler's mask set: the caller must return right away
 * (sigreturn restores the interrupted mask). */
void ls_signals_chain_trap(int sig, siginfo_t *si, void *uc) LS_HIDDEN;
void ls_signals_before_exec(void) LS_HIDDEN;
void ls_signals_exec_failed(void) LS_HIDDEN;
void ls_signals_after_fork_child(void) LS_HIDDEN;

/* ---- contention profile (profile.c) ------------------------------------ */
/* A lock was acquired (after the real call); waited_ns > 0 if the thread
 * had to wait that long, at call site ret. */
void ls_profile_acquired(struct ls_thread *t, struct ls_lock *lk, struct ls_held *h,
                         uint64_t waited_ns, uint64_t ret) LS_HIDDEN;
void ls_profile_released(struct ls_thread *t, struct ls_lock *lk, struct ls_held *h) LS_HIDDEN;
/* Writes every lock's profile (at exit) / one lock's (when destroyed). */
void ls_profile_write_all(void) LS_HIDDEN;
/* The coarse clock's ticker, started with the program's first thread
 * (profile=1), and again in a forked child's. */
void ls_profile_threads_start(void) LS_HIDDEN;
/* The ticker's tick, for the watchdog that carries it (deadlock.c): when
 * the next is due (CLOCK_MONOTONIC ns; 0: no ticks wanted), and one tick. */
uint64_t ls_profile_tick_due(void) LS_HIDDEN;
void ls_profile_tick(void) LS_HIDDEN;
void ls_profile_after_fork_child(void) LS_HIDDEN;
void ls_profile_write(struct ls_lock *lk) LS_HIDDEN;
/* A lock is destroyed: its profile is written and starts again. */
void ls_profile_destroyed(struct ls_lock *lk) LS_HIDDEN;
uint64_t ls_mono_ns(void) LS_HIDDEN;
/* Every lock entry in use (locks.c). */
void ls_locks_for_each(void (*fn)(struct ls_lock *)) LS_HIDDEN;

#endif
