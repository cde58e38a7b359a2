/*
 * lockscope annotations: tell lockscope about synchronization it cannot see
 * by itself (atomics, lock-free queues, hand-written futexes).
 *
 *   lockscope_happens_before(&flag);  // in the thread that publishes
 *   atomic_store_explicit(&flag, 1, memory_order_release);
 *
 *   while (!atomic_load_explicit(&flag, memory_order_acquire)) ;
 *   lockscope_happens_after(&flag);   // in the thread that consumes
 *
 * Everything the first thread did before happens_before(addr) is then
 * ordered before everything the second does after happens_after(addr).
 *
 * Nothing to link: the functions are weak references, resolved to
 * liblockscope.so when the program runs under lockscope, and no-ops (one
 * test of a null pointer) when it does not.
 */
#ifndef LOCKSCOPE_ANNOTATE_H
#define LOCKSCOPE_ANNOTATE_H

#ifdef __cplusplus
extern "C" {
#endif

void __lockscope_happens_before(const volatile void *addr) __attribute__((weak));
void __lockscope_happens_after(const volatile void *addr) __attribute__((weak));

static inline void lockscope_happens_before(const volatile void *addr)
{
    if (__lockscope_happens_before)
        __lockscope_happens_before(addr);
}

static inline void lockscope_happens_after(const volatile void *addr)
{
    if (__lockscope_happens_after)
        __lockscope_happens_after(addr);
}

#ifdef __cplusplus
}
#endif

#endif
