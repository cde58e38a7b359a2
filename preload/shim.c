/*
 * liblockscope.so: start-up, real-symbol resolution, shutdown, fork, and
 * the few utilities every part of the shim uses (signals: signals.c).
 */
#define _GNU_SOURCE
#include "edges.h"
#include "shim.h"
#include "synclife.h"
#include "watch.h"
#include "timeline.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ls_real ls_real;
_Atomic int ls_active;

/* glibc's own aliases of the mutex entry points.  Used only while dlsym is
 * still resolving (dlsym may allocate, and a program's malloc may lock):
 * they reach libc without going through the dynamic symbol lookup. */
extern int __pthread_mutex_lock(pthread_mutex_t *);
extern int __pthread_mutex_unlock(pthread_mutex_t *);
extern int __pthread_mutex_trylock(pthread_mutex_t *);
extern int __pthread_mutex_init(pthread_mutex_t *, const pthread_mutexattr_t *);
extern int __pthread_mutex_destroy(pthread_mutex_t *);

static void *next_sym(const char *name, void *fallback)
{
    void *p = dlsym(RTLD_NEXT, name);
    return p ? p : fallback;
}

/* pthread_cond_* exist in two versions; programs linked against glibc
 * 2.3.2 or later use the newer one, and so must we. */
static void *next_cond(const char *name)
{
    void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
    return p ? p : dlsym(RTLD_NEXT, name);
}

void ls_resolve_real(void)
{
    static _Atomic int state; /* 0 not yet, 1 in progress, 2 done */
    if (atomic_load_explicit(&state, memory_order_acquire) == 2)
        return;
    /* Bootstrap values first: a lock taken while dlsym runs below lands on
     * these instead of a NULL pointer. */
    if (!ls_real.mutex_lock) {
        ls_real.mutex_lock = __pthread_mutex_lock;
        ls_real.mutex_unlock = __pthread_mutex_unlock;
        ls_real.mutex_trylock = __pthread_mutex_trylock;
        ls_real.mutex_init = __pthread_mutex_init;
        ls_real.mutex_destroy = __pthread_mutex_destroy;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&state, &expected, 1))
        return; /* another thread (or a nested call) is resolving */
    struct ls_real r;
    r.mutex_init = next_sym("pthread_mutex_init", __pthread_mutex_init);
    r.mutex_destroy = next_sym("pthread_mutex_destroy", __pthread_mutex_destroy);
    r.mutex_lock = next_sym("pthread_mutex_lock", __pthread_mutex_lock);
    r.mutex_trylock = next_sym("pthread_mutex_trylock", __pthread_mutex_trylock);
    r.mutex_unlock = next_sym("pthread_mutex_unlock", __pthread_mutex_unlock);
    r.mutex_timedlock = next_sym("pthread_mutex_timedlock", NULL);
    r.mutex_clocklock = next_sym("pthread_mutex_clocklock", NULL);
    r.create = next_sym("pthread_create", NULL);
    r.join = next_sym("pthread_join", NULL);
    r.tryjoin_np = next_sym("pthread_tryjoin_np", NULL);
    r.timedjoin_np = next_sym("pthread_timedjoin_np", NULL);
    r.clockjoin_np = next_sym("pthread_clockjoin_np", NULL);
    r.detach = next_sym("pthread_detach", NULL);
    r.exit = next_sym("pthread_exit", NULL);
    r.rwlock_init = next_sym("pthread_rwlock_init", NULL);
    r.rwlock_destroy = next_sym("pthread_rwlock_destroy", NULL);
    r.rwlock_rdlock = next_sym("pthread_rwlock_rdlock", NULL);
    r.rwlock_wrlock = next_sym("pthread_rwlock_wrlock", NULL);
    r.rwlock_tryrdlock = next_sym("pthread_rwlock_tryrdlock", NULL);
    r.rwlock_trywrlock = next_sym("pthread_rwlock_trywrlock", NULL);
    r.rwlock_timedrdlock = next_sym("pthread_rwlock_timedrdlock", NULL);
    r.rwlock_timedwrlock = next_sym("pthread_rwlock_timedwrlock", NULL);
    r.rwlock_clockrdlock = next_sym("pthread_rwlock_clockrdlock", NULL);
    r.rwlock_clockwrlock = next_sym("pthread_rwlock_clockwrlock", NULL);
    r.rwlock_unlock = next_sym("pthread_rwlock_unlock", NULL);
    r.spin_init = next_sym("pthread_spin_init", NULL);
    r.spin_destroy = next_sym("pthread_spin_destroy", NULL);
    r.spin_lock = next_sym("pthread_spin_lock", NULL);
    r.spin_trylock = next_sym("pthread_spin_trylock", NULL);
    r.spin_unlock = next_sym("pthread_spin_unlock", NULL);
    r.cond_wait = next_cond("pthread_cond_wait");
    r.cond_timedwait = next_cond("pthread_cond_timedwait");
    r.cond_clockwait = next_sym("pthread_cond_clockwait", NULL);
    r.sem_wait = next_sym("sem_wait", NULL);
    r.sem_trywait = next_sym("sem_trywait", NULL);
    r.barrier_wait = next_sym("pthread_barrier_wait", NULL);
    r.sem_timedwait = next_sym("sem_timedwait", NULL);
    r.sem_clockwait = next_sym("sem_clockwait", NULL);
    r.sem_post = next_sym("sem_post", NULL);
    r.cond_signal = next_cond("pthread_cond_signal");
    r.cond_broadcast = next_cond("pthread_cond_broadcast");
    r.once = next_sym("pthread_once", NULL);
    r.setname_np = next_sym("pthread_setname_np", NULL);
    r.cond_destroy = next_cond("pthread_cond_destroy");
    r.barrier_destroy = next_sym("pthread_barrier_destroy", NULL);
    r.sem_destroy = next_sym("sem_destroy", NULL);
    r.cond_init = next_cond("pthread_cond_init");
    r.sem_init = next_sym("sem_init", NULL);
    r.barrier_init = next_sym("pthread_barrier_init", NULL);
    ls_real = r;
    atomic_store_explicit(&state, 2, memory_order_release);
    if (!r.create || !r.join || !r.exit || !r.mutex_timedlock || !r.rwlock_rdlock ||
        !r.spin_lock || !r.cond_wait || !r.cond_timedwait || !r.sem_wait || !r.barrier_wait ||
        !r.sem_post || !r.cond_signal || !r.cond_broadcast || !r.once || !r.sem_timedwait ||
        !r.setname_np || !r.cond_destroy || !r.barrier_destroy || !r.sem_destroy ||
        !r.cond_init || !r.sem_init || !r.barrier_init)
        ls_disable("cannot resolve the pthread functions");
}

void ls_warn(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    int saved = errno;
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
    errno = saved;
}

void ls_disable(const char *what)
{
    static _Atomic int once;
    atomic_store(&ls_active, 0);
    if (atomic_exchange(&once, 1))
        return;
    ls_warn("lockscope: warning: %s; tracing disabled", what);
    ls_writer_note(LS_NOTE_DISABLED, what);
    ls_writer_flush();
}

void ls_spin_lock(struct ls_spin *l)
{
    for (int i = 0;; i++) {
        int z = 0;
        if (atomic_compare_exchange_weak_explicit(&l->v, &z, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        if (i > 64)
            sched_yield();
        else
            __builtin_ia32_pause();
    }
}

int ls_spin_trylock(struct ls_spin *l)
{
    int z = 0;
    return atomic_compare_exchange_strong_explicit(&l->v, &z, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

void ls_spin_unlock(struct ls_spin *l)
{
    atomic_store_explicit(&l->v, 0, memory_order_release);
}

/* A bump allocator over mmap'd chunks: the shim must not call malloc (the
 * program's malloc may take the very lock being wrapped). */
static struct ls_spin arena_spin;
static char *arena_cur, *arena_end;

void *ls_arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > (1u << 20)) {
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    ls_spin_lock(&arena_spin);
    if ((size_t)(arena_end - arena_cur) < n) {
        size_t chunk = 4u << 20;
        void *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            ls_spin_unlock(&arena_spin);
            return NULL;
        }
        arena_cur = p;
        arena_end = arena_cur + chunk;
    }
    void *r = arena_cur;
    arena_cur += n;
    ls_spin_unlock(&arena_spin);
    return r;
}

size_t ls_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return len;
}

uint64_t ls_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- descriptors of our own --------------------------------------------
 * libunwind keeps a pipe to test addresses, and when a read on it fails it
 * closes the two descriptor numbers it remembers and opens a new pipe.  A
 * program that closed every descriptor (closefrom) and opened files of its
 * own would see those files closed under it.  The pipes libunwind makes on
 * the shim's behalf are moved far above the numbers programs reuse. */
static int move_high(int fd)
{
    struct rlimit rl;
    int floor = 4096;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)floor + 64)
        floor = rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 3;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int pipe2(int fds[2], int flags) __attribute__((visibility("default")));
int pipe2(int fds[2], int flags)
{
    static int (*real)(int *, int);
    if (!real)
        real = dlsym(RTLD_NEXT, "pipe2");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int r = real(fds, flags);
    if (r == 0 && ls_guard) {
        int saved = errno;
        fds[0] = move_high(fds[0]);
        fds[1] = move_high(fds[1]);
        errno = saved;
    }
    return r;
}

/* ---- fork ------------------------------------------------------------- */
static void before_fork(void)
{
    if (atomic_load(&ls_active)) {
        ls_deadlock_before_fork(ls_self);
        ls_rings_drain_all(0);
        ls_writer_flush();
    }
}

static void after_fork_parent(void)
{
    ls_deadlock_after_fork_parent();
}

static void after_fork_child(void)
{
    ls_signals_after_fork_child();
    if (!atomic_load(&ls_active))
        return;
    ls_misuse_after_fork_child(ls_self);
    ls_sl_after_fork_child(ls_self);
    ls_file_gen++;
    ls_stacks_after_fork_child();
    ls_objs_after_fork_child();
    ls_locks_after_fork_child();
    ls_edges_after_fork_child();
    ls_threads_map_after_fork_child();
    ls_deadlock_after_fork_child();
    ls_writer_after_fork_child();
    ls_threads_after_fork_child();
    ls_tl_after_fork_child(ls_self);
    ls_profile_after_fork_child();
    ls_py_after_fork_child();
}

/* ---- start and end ---------------------------------------------------- */
static int exit_status = -1;

static void at_exit_flush(void)
{
    if (!atomic_load(&ls_active))
        return;
    ls_guard++;
    /* Runs from atexit and again from the destructor: the summaries once. */
    static _Atomic int summarized;
    if (!atomic_exchange(&summarized, 1)) {
        struct ls_thread *t = ls_self;
        struct ls_held *h = t && t->nheld ? ls_held_blocking(t) : NULL;
        if (h)
            ls_misuse(t, LS_MISUSE_PROCESS_EXIT_HOLDING, h->lk, h->ret_ip, 0);
        ls_deferred_misuse(t);
        ls_thread_leaks();
        ls_profile_write_all();
        ls_edges_write_more();
        ls_watch_finish();
    }
    ls_rings_drain_all(1);
    ls_writer_end(exit_status, 0);
    ls_guard--;
}

/* exit(3) passes through here so the END record can carry the status. */
void exit(int status) __attribute__((noreturn, visibility("default")));
void exit(int status)
{
    static void (*real_exit)(int) __attribute__((noreturn));
    if (!real_exit)
        real_exit = dlsym(RTLD_NEXT, "exit");
    exit_status = status;
    real_exit(status);
}

/* _exit skips atexit handlers and stdio, and must go on doing so; only the
 * trace's own buffer is written out (a forked child commonly ends this way). */
void _exit(int status) __attribute__((noreturn, visibility("default")));
void _exit(int status)
{
    static void (*real__exit)(int) __attribute__((noreturn));
    if (!real__exit)
        real__exit = dlsym(RTLD_NEXT, "_exit");
    if (atomic_load(&ls_active) && ls_writer_mine()) {
        ls_guard++;
        ls_rings_drain_all(1);
        ls_writer_end(status, 0);
    }
    if (real__exit)
        real__exit(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

void _Exit(int status) __attribute__((noreturn, visibility("default")));
void _Exit(int status)
{
    _exit(status);
}

void ls_init(void)
{
    static _Atomic int done;
    if (atomic_exchange(&done, 1))
        return;
    ls_guard++;
    ls_resolve_real();
    /* Set-uid and other secure-execution processes are left alone. */
    if (getauxval(AT_SECURE)) {
        ls_guard--;
        return;
    }
    if (ls_options_parse(getenv("LOCKSCOPE_OPTIONS")) || !ls_opt.enabled) {
        ls_guard--;
        return;
    }
    ls_modules_init();
    if (ls_writer_open() != 0) {
        ls_guard--;
        return;
    }
    ls_threads_init();
    if (!ls_thread_new(0, 0, 0)) {
        ls_guard--;
        ls_disable("cannot allocate thread state");
        return;
    }
    ls_signals_init();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    atexit(at_exit_flush);
    ls_py_init();
    atomic_store(&ls_active, 1);
    ls_watch_init();
    ls_guard--;
}

__attribute__((constructor(101))) static void ls_constructor(void)
{
    ls_init();
}

__attribute__((destructor)) static void ls_destructor(void)
{
    at_exit_flush();
}
