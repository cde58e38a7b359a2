/*
 * The allocator's wrappers: sampled heap blocks become watch candidates
 * (objects.c), and a block stops being one before its memory goes back.
 *
 * Sampling is GWP-ASan's: each thread counts down its allocations and
 * takes one when the count runs out (then draws the next count, heap_sample
 * on average); the first YOUNG allocations of the process are always taken.
 * An allocation that is not taken costs a thread-local decrement; a free
 * or realloc, one load while no heap block is watched, two compares more
 * while some are.  Nothing here locks on that path, allocates, or makes a
 * system call.
 *
 * The real functions are the next definitions (dlsym(RTLD_NEXT)): another
 * allocator preloaded after lockscope, or linked into the program, keeps
 * its blocks.  dlsym itself allocates: while a thread resolves, its
 * allocations come from a static buffer, never freed.
 */
#define _GNU_SOURCE
#include "watch.h"
#include "wrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <string.h>

#define YOUNG 8              /* allocations of a young process always taken */
#define BOOT_SIZE (64 << 10) /* for allocations while dlsym resolves */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static size_t (*real_usable)(void *);

static _Alignas(16) char boot[BOOT_SIZE];
static _Atomic size_t boot_used;
static __thread int resolving;
static __thread int32_t countdown;  /* allocations until the next is taken */
static __thread uint64_t rng;
static _Atomic int young_left = YOUNG;

static int in_boot(const void *p)
{
    return (const char *)p >= boot && (const char *)p < boot + BOOT_SIZE;
}

/* A block of the static buffer: 16 bytes of size before it. */
static void *boot_alloc(size_t n)
{
    size_t need = (n + 31) & ~(size_t)15;
    size_t at = atomic_fetch_add(&boot_used, need);
    if (at + need > BOOT_SIZE)
        return NULL;
    *(size_t *)(boot + at) = n;
    return boot + at + 16;
}

static int resolve(void)
{
    resolving++;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_reallocarray = dlsym(RTLD_NEXT, "reallocarray");
    real_free = dlsym(RTLD_NEXT, "free");
    real_usable = dlsym(RTLD_NEXT, "malloc_usable_size");
    void *m = dlsym(RTLD_NEXT, "malloc");
    resolving--;
    if (m && real_calloc && real_realloc && real_free)
        __atomic_store_n(&real_malloc, (void *(*)(size_t))m, __ATOMIC_RELEASE);
    return real_malloc ? 0 : -1;
}

#define READY() (__builtin_expect(real_malloc != NULL, 1) || (!resolving && resolve() == 0))

/* ---- sampling ------------------------------------------------------------ */

static uint32_t next_count(void)
{
    if (!rng)
        rng = ((uint64_t)(uintptr_t)&rng * 0x9e3779b97f4a7c15ull) | 1;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    /* Uniform in [1, 2N - 1]: N on average. */
    uint32_t n = (uint32_t)ls_opt.heap_sample;
    return n <= 1 ? 1 : 1 + (uint32_t)(rng % (2u * n - 1));
}

/* The count ran out: take this block, perhaps, and draw the next count. */
static __attribute__((noinline)) void sample(void *p, size_t n)
{
    if (!ls_opt.heap_sample || !p || !atomic_load(&ls_active) || !ls_watching() || ls_guard ||
        ls_py_on) {
        /* Not started yet: look again at the next one (the first few of
         * the process are taken once it has); or a moment of the shim's own. */
        static _Atomic int early = 4096;
        int again = !atomic_load(&ls_active) && atomic_fetch_sub(&early, 1) > 0;
        countdown = !ls_opt.heap_sample ? INT32_MAX : again ? 1 : (int32_t)next_count();
        return;
    }
    int young = atomic_load(&young_left) > 0 && atomic_fetch_sub(&young_left, 1) > 0;
    countdown = young ? 1 : (int32_t)next_count();
    ls_guard++;
    int saved = errno;
    ls_objs_heap_sampled(p, n, real_usable ? real_usable(p) : n, young);
    errno = saved;
    ls_guard--;
}

/* Memory [p, + n) is handed out or goes back: a watched object in it ends. */
static inline void gone(void *p, size_t n)
{
    uint64_t a = (uint64_t)(uintptr_t)p;
    if (__builtin_expect(atomic_load_explicit(&ls_heap_live, memory_order_relaxed) != 0, 0) &&
        a < atomic_load(&ls_heap_hi) && a + n > atomic_load(&ls_heap_lo)) {
        int saved = errno;
        ls_objs_heap_gone(a, a + n);
        errno = saved;
    }
}

/* Before free or realloc of p: the block's bytes. */
static inline void freeing(void *p)
{
    uint64_t a = (uint64_t)(uintptr_t)p;
    if (__builtin_expect(atomic_load_explicit(&ls_heap_live, memory_order_relaxed) != 0, 0) &&
        a < atomic_load(&ls_heap_hi))
        gone(p, real_usable ? real_usable(p) : 1);
}

static inline void *allocated(void *p, size_t n)
{
    if (p) {
        gone(p, n ? n : 1);
        if (__builtin_expect(--countdown <= 0, 0))
            sample(p, n);
    }
    return p;
}

/* ---- the wrappers -------------------------------------------------------- */

LS_EXPORT void *malloc(size_t n)
{
    if (!READY())
        return boot_alloc(n);
    return allocated(real_malloc(n), n);
}

LS_EXPORT void *calloc(size_t k, size_t n)
{
    if (!READY()) {
        size_t total;
        if (__builtin_mul_overflow(k, n, &total))
            return NULL;
        return boot_alloc(total); /* static: zeroed */
    }
    return allocated(real_calloc(k, n), k * n);
}

LS_EXPORT void free(void *p)
{
    if (!p || in_boot(p))
        return;
    if (!READY())
        return; /* cannot happen: p came from the real allocator */
    freeing(p);
    real_free(p);
}

LS_EXPORT void *realloc(void *p, size_t n)
{
    if (!READY())
        return NULL;
    if (p && in_boot(p)) {
        size_t old = *(const size_t *)((const char *)p - 16);
        void *q = real_malloc(n);
        if (q)
            memcpy(q, p, old < n ? old : n);
        return q;
    }
    /* Moved or not, the block is another object from here. */
    if (p)
        freeing(p);
    void *q = real_realloc(p, n);
    if (q)
        gone(q, n ? n : 1);
    return q;
}

LS_EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
    size_t total;
    if (__builtin_mul_overflow(k, n, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!READY() || !real_reallocarray || in_boot(p))
        return realloc(p, total);
    if (p)
        freeing(p);
    void *q = real_reallocarray(p, k, n);
    if (q)
        gone(q, total ? total : 1);
    return q;
}
