/*
 * What every wrapper starts with.
 */
#ifndef LS_WRAP_H
#define LS_WRAP_H

#include "shim.h"

#define LS_EXPORT __attribute__((visibility("default")))

/* A wrapper may run before the constructor (another library's constructor
 * locking a mutex): resolve on demand. */
#define LS_ENSURE_REAL(fn)                                                         \
    do {                                                                           \
        if (unlikely(!ls_real.fn))                                                 \
            ls_resolve_real();                                                     \
    } while (0)

/* The calling thread's state if this call is to be traced, else NULL
 * (before init, after ls_disable, or nested inside the shim). */
static inline struct ls_thread *ls_enter(void)
{
    struct ls_thread *t = ls_self;
    if (likely(t != NULL)) {
        if (likely(!ls_guard && atomic_load_explicit(&ls_active, memory_order_relaxed))) {
            if (unlikely(atomic_load_explicit(&t->ring_pending, memory_order_relaxed)))
                ls_ring_drain(t);
            return t;
        }
        return NULL;
    }
    return ls_current_slow();
}

#endif
