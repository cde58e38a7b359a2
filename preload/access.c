/*
 * Sampled accesses: a per-thread ring filled by the SIGTRAP handler
 * (async-signal-safe: no lock, no allocation) and drained into trace
 * records outside signal context: by the thread itself at its next call
 * into the shim, when it ends, and by the process at exit and before fork.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "timeline.h"
#include "watch.h"

#include <string.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

struct ls_ring *ls_ring_new(void)
{
    return ls_arena_alloc(sizeof(struct ls_ring));
}

/* Return addresses from the interrupted context: frame 0 is the instruction
 * after the access (symbolized at -1, like every other frame). */
static int unwind_from(ucontext_t *uc, uint64_t pc, uint64_t *ips, int max)
{
    int n = 0;
    ips[n++] = pc;
    unw_cursor_t cur;
    if (!ls_unwind_try_begin())
        return n;
    if (unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) != 0) {
        ls_unwind_end();
        return n;
    }
    for (int steps = 0; n < max && steps < 64; steps++) {
        if (unw_step(&cur) <= 0)
            break;
        unw_word_t ip;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0)
            break;
        if (ls_in_self(ip))
            continue;
        ips[n++] = ip;
    }
    ls_unwind_end();
    return n;
}

void ls_ring_push(struct ls_thread *t, uint64_t addr, uint32_t size, uint32_t flags,
                  uint64_t watch_addr, uint32_t watch_len, uint64_t pc, void *ucv,
                  uint32_t obj)
{
    struct ls_ring *r = t->ring;
    if (!r)
        return;
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail >= LS_RING_SIZE) {
        r->dropped++;
        return;
    }
    struct ls_ring_entry *e = &r->e[head % LS_RING_SIZE];
    e->addr = addr;
    e->size = size;
    e->flags = flags;
    e->watch_addr = watch_addr;
    e->watch_len = watch_len;
    e->sync_lost = ls_sync_lost_now();
    e->epoch = t->vc.v ? t->vc.v[t->tid] : 0;
    e->version = t->vc_version;
    uint32_t n = t->vc.n;
    if (!t->vc.v || n > LS_RING_VC) {
        e->nvc = 0; /* not recordable: the analyzer will not judge this access */
    } else {
        memcpy(e->vc, t->vc.v, n * sizeof(uint32_t));
        e->nvc = n;
    }
    uint32_t nh = t->nheld < LS_RING_HELD ? t->nheld : LS_RING_HELD;
    for (uint32_t i = 0; i < nh; i++)
        e->held[i] = t->held[i].id;
    e->nheld = nh;
    e->nips = (uint32_t)unwind_from(ucv, pc, e->ips, ls_opt.stack_depth < LS_RING_FRAMES
                                                          ? ls_opt.stack_depth
                                                          : LS_RING_FRAMES);
    e->ns = t->tl ? ls_tl_now_ns() : 0;
    e->obj = obj;
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    atomic_store_explicit(&t->ring_pending, 1, memory_order_relaxed);
}

void ls_ring_drain(struct ls_thread *t)
{
    struct ls_ring *r = t->ring;
    if (!r || atomic_exchange(&r->draining, 1))
        return;
    atomic_store_explicit(&t->ring_pending, 0, memory_order_relaxed);
    ls_guard++;
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    for (uint32_t tail = atomic_load(&r->tail); tail != head; tail++) {
        struct ls_ring_entry *e = &r->e[tail % LS_RING_SIZE];
        if (e->nvc && (r->clock_written != e->version || !r->clock_written_valid)) {
            struct ls_rec_clock c = {.tid = t->tid, .version = e->version, .n = e->nvc};
            ls_writer_record(LS_REC_CLOCK, &c, sizeof c, e->vc, e->nvc * sizeof(uint32_t), NULL,
                             0);
            r->clock_written = e->version;
            r->clock_written_valid = 1;
        }
        struct ls_rec_access a = {
            .tid = t->tid,
            .epoch = e->epoch,
            .clock_version = e->nvc ? e->version : 0,
            .flags = e->flags,
            .addr = e->addr,
            .size = e->size,
            .stack = ls_stack_intern(e->ips, (int)e->nips),
            .watch_addr = e->watch_addr,
            .watch_len = e->watch_len,
            .nheld = e->nheld,
            .sync_lost = e->sync_lost,
        };
        ls_writer_record(LS_REC_ACCESS, &a, sizeof a, e->held, e->nheld * sizeof(uint32_t), NULL,
                         0);
        if (e->obj) {
            struct ls_rec_access_obj ao = {.tid = t->tid, .obj = e->obj, .addr = e->addr};
            ls_writer_record(LS_REC_ACCESS_OBJ, &ao, sizeof ao, NULL, 0, NULL, 0);
        }
        if (e->ns) {
            struct ls_rec_access_time at = {.tid = t->tid, .addr = e->addr, .ns = e->ns};
            ls_writer_record(LS_REC_ACCESS_TIME, &at, sizeof at, NULL, 0, NULL, 0);
        }
        atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    }
    if (r->dropped && !r->dropped_noted) {
        r->dropped_noted = 1;
        ls_writer_note(LS_NOTE_DROPPED, "a thread trapped faster than its access ring drained; "
                                        "some sampled accesses were dropped");
    }
    ls_guard--;
    atomic_store(&r->draining, 0);
}

void ls_ring_after_fork_child(struct ls_thread *t)
{
    if (t && t->ring) {
        t->ring->draining = 0;
        t->ring->clock_written_valid = 0;
    }
}
