/*
 * Hardware watchpoints: what watch.c (candidates, slots, rotation) and
 * trap.c (the SIGTRAP handler) share.  Internal to the shim.
 *
 * Each slot is one read-write debug register, moved from variable to
 * variable with PERF_EVENT_IOC_MODIFY_ATTRIBUTES.  Every move gives the
 * slot a new generation, which travels in the event's sig_data (the
 * kernel copies it on modification) and so comes back in each trap's
 * si_perf_data: a trap is matched with the window that was armed when it
 * fired, never with the one the slot holds by the time the handler runs.
 */
#ifndef LS_WATCH_H
#define LS_WATCH_H

#include "hot.h"
#include "decode.h"
#include <string.h>

#define LS_WATCH_SLOTS 4      /* x86-64 has four debug registers a thread */
#define LS_WATCH_HIST 16      /* windows remembered per slot, by generation */

/* Tags (sig_data): "LS" in bits 16-31, the slot in bits 0-7, the
 * generation in bits 32-63. */
#define LS_TAG_MAGIC 0x4c530000ull
#define LS_TAG_MASK 0xffff0000ull

enum { LS_TIER_WRITTEN = 0, LS_TIER_READ = 1, LS_TIER_UNREFERENCED = 2 };

struct ls_cand {
    uint64_t addr;
    uint32_t size;            /* the object's size */
    uint32_t cursor;          /* offset of the window it is watched at next */
    uint8_t sync;             /* followed as synchronization: 1 an _Atomic global, 2 one
                                 atomic instructions access (if a slot is free) */
    uint8_t tier;             /* LS_TIER_*: the program's code writes it, only reads it, ... */
    uint8_t pad[2];
    _Atomic int dropped;      /* turned out to be a sync object, or only libc touches it */
    _Atomic uint32_t foreign; /* traps in a row from outside the program's code */
};

/* What a slot watched under one generation. */
struct ls_window {
    _Atomic uint32_t gen;     /* the generation this entry describes */
    _Atomic int cand;         /* -1: nothing (a benched or empty slot) */
    _Atomic uint64_t addr;
    _Atomic uint32_t len;
    _Atomic uint32_t obj;     /* a dynamic candidate's object id when armed (0: a global) */
};

struct ls_slot {
    int fd;
    _Atomic int cand;         /* watched now, -1 if none */
    _Atomic uint32_t off;     /* at this offset of it */
    _Atomic uint32_t gen;
    struct ls_window hist[LS_WATCH_HIST];
    _Atomic int32_t tokens;   /* traps it may still take (token bucket) */
    _Atomic int benched;      /* set aside until the next refill or turn */
    _Atomic uint32_t first_tid; /* the thread of its first trap since armed */
    _Atomic int shared;       /* another thread trapped since armed */
    _Atomic int wrote;        /* a trap since armed was a write */
    _Atomic int met;          /* trapped this turn, shared and written since armed */
    int sync;                 /* given to a followed global for the whole run (its kind) */
    _Atomic int lost;         /* a followed _Atomic global's: benched, accesses unseen */
    struct ls_sync clock;     /* that global's clock */
    struct ls_spin spin;      /* guards the clock */
    struct ls_spin move;      /* guards moving the watchpoint (generation, history) */
};

/* Dynamic candidates (objects.c): memory besides the globals, watched while
 * it lives.  Their indices, as slots and windows hold them, start at
 * LS_DYN_BASE; entry i of ls_dyn is candidate LS_DYN_BASE + i.  An entry is
 * one object while `obj` keeps its id: freeing the block sets it to 0
 * (and disarms the slots on it) before the memory goes back, and a trap
 * whose window was armed for another id is not the object's. */
#define LS_DYN_BASE 0x40000000
#define LS_DYN_MAX 64
struct ls_dyn {
    struct ls_cand c;
    _Atomic uint32_t obj;     /* the object's id (LS_REC_OBJECT), 0: entry free */
    uint16_t kind;            /* LS_OBJ_* */
    uint16_t via;             /* LS_OBJ_VIA_* */
    uint32_t owner;           /* stack, TLS: the thread whose memory it is */
    uint64_t global;          /* heap: a global seen pointing to it (0: none yet) */
    uint32_t hot_off;         /* its window kept for trapping (sampler only) */
    uint32_t hot_turns;       /* turns it has been kept */
    uint32_t fresh_turns;     /* turns left that start it from its first window */
};
extern struct ls_dyn ls_dyn[LS_DYN_MAX] LS_HIDDEN;
extern _Atomic uint32_t ls_dyn_live LS_HIDDEN;  /* entries in use */

/* The candidate of index ci (a global or a dynamic one), NULL if none. */
static inline struct ls_cand *ls_cand_get(int ci);
/* A dynamic candidate's current object id (0: a global, or gone). */
static inline uint32_t ls_cand_obj(int ci)
{
    return ci >= LS_DYN_BASE && ci < LS_DYN_BASE + LS_DYN_MAX
               ? atomic_load(&ls_dyn[ci - LS_DYN_BASE].obj)
               : 0;
}

/* Code whose accesses count, and where its functions start. */
struct ls_code_range {
    uint64_t lo, hi;
    const uint8_t *eh_hdr;    /* PT_GNU_EH_FRAME, NULL if none */
    uint64_t eh_len;
};

struct ls_watch_counts {
    _Atomic uint64_t traps, exact, inexact, no_access, undecoded, foreign, stray, atomic,
        limited;
};

extern struct ls_cand *ls_cands LS_HIDDEN;   /* by address */
extern uint32_t ls_ncands LS_HIDDEN;
extern uint32_t *ls_cand_order LS_HIDDEN;    /* their rotation order: by tier, then address */
extern struct ls_slot ls_slots[LS_WATCH_SLOTS] LS_HIDDEN;
extern int ls_nslots LS_HIDDEN;
extern struct ls_code_range ls_code[] LS_HIDDEN;
extern int ls_ncode LS_HIDDEN;
extern struct ls_watch_counts ls_wcount LS_HIDDEN;
extern int ls_decode_on LS_HIDDEN;       /* watch_decode (option) and the decoder loaded */
extern _Atomic int ls_sync_incomplete LS_HIDDEN;
/* Where the followed _Atomic globals stand, for each sampled access: the
 * traps of theirs the rate limit let pass unseen (a count), and how many
 * of their slots are benched now.  An access pair is judged only when
 * neither was made while one was benched and no trap went unseen between
 * them: any happens-before the program had between them is then known. */
extern _Atomic uint32_t ls_sync_lost_seq LS_HIDDEN;
extern _Atomic int ls_sync_benched LS_HIDDEN;
/* The value for an access made now (LS_REC_ACCESS.sync_lost). */
uint32_t ls_sync_lost_now(void) LS_HIDDEN;

static inline struct ls_cand *ls_cand_get(int ci)
{
    if (ci >= 0 && (uint32_t)ci < ls_ncands)
        return &ls_cands[ci];
    if (ci >= LS_DYN_BASE && ci < LS_DYN_BASE + LS_DYN_MAX)
        return &ls_dyn[ci - LS_DYN_BASE].c;
    return NULL;
}

/* wrap_c11.c: the argument the program gave (thrd_create's, not the
 * block lockscope passes on to pthread_create). */
const void *ls_c11_arg(void *(*fn)(void *), const void *arg) LS_HIDDEN;
/* The start routine the program gave (a C11 thread's own function). */
const void *ls_c11_start(void *(*fn)(void *), const void *arg) LS_HIDDEN;

/* objects.c */
/* A new thread is handed arg by thread t: what it points to becomes a
 * candidate (heap block, t's stack or TLS, a global), watched at once.
 * tid: the new thread's; stack: where it was created; start: its start
 * routine (recorded with the object, for the names of its fields). */
void ls_objs_thread_arg(struct ls_thread *t, const void *arg, const void *start, uint32_t tid,
                        uint32_t stack) LS_HIDDEN;
/* The sampler arms a global pointer's window: the heap block it points to
 * (if any) becomes a candidate. */
void ls_objs_from_global(uint64_t global, uint64_t value) LS_HIDDEN;
/* Thread t ends: its stack and TLS objects are gone. */
void ls_objs_thread_end(struct ls_thread *t) LS_HIDDEN;
/* Heap block [p, + usable) of a sampled allocation of size n. */
void ls_objs_heap_sampled(void *p, size_t n, size_t usable, int young) LS_HIDDEN;
/* [p, + n) is freed or handed out again: objects in it end, their slots
 * disarmed, before the memory goes back. */
void ls_objs_heap_gone(uint64_t lo, uint64_t hi) LS_HIDDEN;
/* The attributes of a hardware watchpoint on len (1, 2, 4, 8) bytes at
 * addr: reads and writes, in user space, a SIGTRAP with sig_data tag at
 * every hit, inherited by new threads, gone at exec.  An idle slot's event
 * is disabled (idle != 0): see ls_watch_fill_attr. */
struct perf_event_attr;
void ls_watch_fill_attr(struct perf_event_attr *a, uint64_t addr, uint32_t len, uint64_t tag,
                        int idle) LS_HIDDEN;
/* A sync object was initialized at [addr, + size): a heap block that is
 * only that is no candidate. */
void ls_objs_sync_object(uint64_t addr, uint64_t size) LS_HIDDEN;
/* Heap objects live, and how many start in each page (hashed): an
 * allocation or free whose pages count none never looks further.  Every
 * heap object starts at its block's first byte. */
#define LS_HEAP_PAGES 4096
extern _Atomic uint32_t ls_heap_live LS_HIDDEN;
extern _Atomic uint8_t ls_heap_pages[LS_HEAP_PAGES] LS_HIDDEN;
static inline int ls_heap_page_has(uint64_t a)
{
    return atomic_load_explicit(&ls_heap_pages[(a >> 12) & (LS_HEAP_PAGES - 1)],
                                memory_order_relaxed) != 0;
}
/* watch.c: point sampling slots at dynamic candidate ci now, from byte off
 * of it (a new thread's argument); disarm every slot on ci (it is gone). */
void ls_watch_dyn_now(int ci, uint32_t off) LS_HIDDEN;
/* The same, on sampling slots that watch nothing only. */
void ls_watch_dyn_idle(int ci, uint32_t off) LS_HIDDEN;
void ls_watch_dyn_gone(int ci) LS_HIDDEN;

/* candidates.c */
/* The main program's TLS variable holding offset off of its TLS block: its
 * offset, and *size (0: none). */
uint64_t ls_tls_var_at(uint64_t off, uint64_t *size) LS_HIDDEN;
void ls_objs_after_fork_child(void) LS_HIDDEN;
/* The program's candidates and code ranges (when its first thread starts). */
void ls_cands_find(void) LS_HIDDEN;

/* watch.c */
uint64_t ls_tag_of(int slot, uint32_t gen) LS_HIDDEN;
/* Points slot s at nothing (the rate limit); from the handler too. */
void ls_slot_bench(int s) LS_HIDDEN;
/* The candidate whose bytes hold addr, or -1 (binary search; candidates.c). */
int ls_cand_at(uint64_t addr) LS_HIDDEN;

/* watch_cost.c: the turns of rest that an armed turn of turn_ns costs
 * (0: it cost little; armed 0: the turn ending was a rest, only counted). */
#define LS_WATCH_COST_PERMILLE 20  /* what the armed turns may cost, of their time */
#define LS_WATCH_COST_YOUNG_PERMILLE 100 /* the same in the young turns */
#define LS_WATCH_COST_RESTS_MAX 15
void ls_watch_cost_start(void) LS_HIDDEN;
int ls_watch_cost_rests(long turn_ns, int armed, int permille) LS_HIDDEN;

/* trap.c */
/* Memory for the decode cache and the atomics' clocks; 0 on success. */
int ls_trap_init(void) LS_HIDDEN;
void ls_trap_handler(int sig, siginfo_t *si, void *uc) LS_HIDDEN;

/* A watchpoint's SIGTRAP delivered late: the thread had SIGTRAP blocked
 * when the access trapped (in a handler of the program's whose mask holds
 * every signal), so the kernel queued it (Linux 6.0 flags it so) and the
 * context it comes with is not the access's, only where the thread was
 * when it took it. */
#define LS_TRAP_PERF_FLAG_ASYNC 1u
static inline int ls_trap_async(const siginfo_t *si)
{
    /* si_perf_flags: after si_addr, the event's sig_data and type */
    uint32_t flags;
    memcpy(&flags, (const char *)&si->si_addr + sizeof(void *) + 8 + 4, sizeof flags);
    return (flags & LS_TRAP_PERF_FLAG_ASYNC) != 0;
}

#endif
