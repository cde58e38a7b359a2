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

/* Memory [p, + n) is handed out (a sampled allocation): an object that
 * starts in it was freed where lockscope did not see it, and ends now. */
static inline void gone(void *p, size_t n)
{
    if (__builtin_expect(atomic_load_explicit(&ls_heap_live, memory_order_relaxed) != 0, 0)) {
        uint64_t a = (uint64_t)(uintptr_t)p, last = a + (n ? n : 1) - 1;
        int maybe = 0;
        if ((last >> 12) - (a >> 12) >= 64)
            maybe = 1; /* a large block: look */
        /* From the page before: a small block there may reach into p. */
        for (uint64_t pg = a - 4096; !maybe && (pg >> 12) <= (last >> 12); pg += 4096)
            maybe = ls_heap_page_has(pg);
        if (maybe) {
            int saved = errno;
            ls_objs_heap_gone(a, last + 1);
            errno = saved;
        }
    }
}

/* Before free or realloc of p: an object is the block itself (objects start
 * at their block's first byte). */
static inline void freeing(void *p)
{
    uint64_t a = (uint64_t)(uintptr_t)p;
    if (__builtin_expect(atomic_load_explicit(&ls_heap_live, memory_order_relaxed) != 0, 0) &&
        ls_heap_page_has(a)) {
        int saved = errno;
        ls_objs_heap_gone(a, a + (real_usable ? real_usable(p) : 1));
        errno = saved;
    }
}

/* The count ran out (or this thread has none yet: its first allocation
 * resolves the real functions). */
static __attribute__((noinline)) void *malloc_slow(size_t n)
{
    if (!READY())
        return boot_alloc(n);
    void *p = real_malloc(n);
    if (p) {
        gone(p, n);
        sample(p, n);
    }
    return p;
}

static __attribute__((noinline)) void *calloc_slow(size_t k, size_t n)
{
    if (!READY()) {
        size_t total;
        if (__builtin_mul_overflow(k, n, &total))
            return NULL;
        return boot_alloc(total); /* static: zeroed */
    }
    void *p = real_calloc(k, n);
    if (p) {
        gone(p, k * n);
        sample(p, k * n);
    }
    return p;
}

static __attribute__((noinline)) void free_slow(void *p)
{
    if (in_boot(p) || !READY())
        return; /* the static buffer's is never freed */
    freeing(p);
    real_free(p);
}

/* ---- the wrappers -------------------------------------------------------- */

/* The unsampled path: a thread-local decrement, then a tail call.  An
 * allocation is not checked against the objects: they end when their
 * block is freed, and every free, realloc and reallocarray comes here
 * (glibc's own calls included); a sampled allocation is checked. */
LS_EXPORT void *malloc(size_t n)
{
    if (__builtin_expect(--countdown > 0, 1))
        return real_malloc(n);
    return malloc_slow(n);
}

LS_EXPORT void *calloc(size_t k, size_t n)
{
    if (__builtin_expect(--countdown > 0, 1))
        return real_calloc(k, n);
    return calloc_slow(k, n);
}

/* The usual path: one compare, one load while no heap block is watched
 * (one more while some are), then a tail call. */
LS_EXPORT void free(void *p)
{
    if (__builtin_expect((uintptr_t)p - (uintptr_t)boot >= BOOT_SIZE, 1) &&
        __builtin_expect(real_free != NULL, 1) &&
        (__builtin_expect(atomic_load_explicit(&ls_heap_live, memory_order_relaxed) == 0, 1) ||
         !ls_heap_page_has((uint64_t)(uintptr_t)p))) {
        real_free(p);
        return;
    }
    free_slow(p);
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
    return real_realloc(p, n);
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
    return real_reallocarray(p, k, n);
}
