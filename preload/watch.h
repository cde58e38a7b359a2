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
    int sync;                 /* given to a followed global for the whole run (its kind) */
    _Atomic int lost;         /* a followed _Atomic global's: benched, accesses unseen */
    struct ls_sync clock;     /* that global's clock */
    struct ls_spin spin;      /* guards the clock */
    struct ls_spin move;      /* guards moving the watchpoint (generation, history) */
};

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

/* candidates.c */
/* The program's candidates and code ranges (when its first thread starts). */
void ls_cands_find(void) LS_HIDDEN;

/* watch.c */
uint64_t ls_tag_of(int slot, uint32_t gen) LS_HIDDEN;
/* Points slot s at nothing (the rate limit); from the handler too. */
void ls_slot_bench(int s) LS_HIDDEN;
/* The candidate whose bytes hold addr, or -1 (binary search; candidates.c). */
int ls_cand_at(uint64_t addr) LS_HIDDEN;

/* trap.c */
/* Memory for the decode cache and the atomics' clocks; 0 on success. */
int ls_trap_init(void) LS_HIDDEN;
void ls_trap_handler(int sig, siginfo_t *si, void *uc) LS_HIDDEN;

#endif
