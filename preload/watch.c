/*
 * Memory accesses without recompiling: hardware watchpoints.
 *
 * Candidates are the main executable's global data objects (symbols of
 * writable, allocated, non-TLS sections, with a size), less copy-relocated
 * library objects and the synchronization objects: those the shim has seen,
 * and those `lockscope run` found by their type in the debug information
 * (LOCKSCOPE_GLOBALS, below).  Each slot is one read-write debug register:
 * the instruction that made the access is decoded (trap.c), which tells a
 * read from a write, so x86-64's four registers watch four windows at once.
 * A window is an aligned 1, 2, 4 or 8 bytes of a candidate; a larger object
 * is watched one window after the other, a turn each.
 *
 * The events are opened in the first thread with inherit, so every thread
 * created afterwards has them, and retargeted in all threads at once with
 * PERF_EVENT_IOC_MODIFY_ATTRIBUTES.  With more windows than slots, a
 * sampler thread rotates them: the first turn lasts 1 ms, each next one
 * twice as long, up to watch_period_ms, so that a program that lives for
 * milliseconds still has each of its globals watched.  Candidates the
 * program's code writes come first in the rotation, then those it only
 * reads, then those its code never names.
 *
 * Traps are budgeted as token buckets: every fifth of a turn, the sampled
 * slots share watch_rate traps a second for each thread that can run at
 * once (no more than the CPUs the program may use), and a bucket holds at
 * most 100 ms of half of it (what each of two variables had).  A slot whose bucket is empty sits out until
 * the next refill (the rest of its turn when the program has many
 * threads).  So a hot global cannot slow the program down without bound,
 * however many threads touch it, while a short burst is sampled in full.
 *
 * Nothing of this costs a process that never starts a thread more than
 * opening the events: candidates are found, and the decoder loaded, when
 * the program creates its first thread.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event with sigtrap (Linux 5.13) */
#endif

#define MAX_CANDIDATES 65536
#define MAX_CODE_RANGES 64
#define YOUNG_NS 1000000L  /* the first turn */
#define WINDOWS 5          /* refills in a turn */
#define BUCKET_MS 100      /* a bucket holds this much of its share at most */

/* Re-arming a slot moves its watchpoints in every thread (an interrupt to
 * each CPU running one, and traps keep coming until all took it): with no
 * more threads than this, a benched slot is re-armed at the next refill,
 * with more only at the next turn. */
#define CHEAP_REARM_THREADS 16

struct ls_cand *ls_cands;
uint32_t ls_ncands;
struct ls_slot ls_slots[LS_WATCH_SLOTS];
int ls_nslots;
struct ls_code_range ls_code[MAX_CODE_RANGES];
int ls_ncode;
struct ls_watch_counts ls_wcount;
int ls_decode_on;
_Atomic int ls_sync_incomplete;

static uint32_t *order;       /* candidates in rotation order */
static _Atomic int watching;
static uint32_t nsync;        /* _Atomic globals followed (not counting 'x' ones) */
static long dummy_target[LS_WATCH_SLOTS]; /* where an idle slot points */
static struct sigaction prev_trap;
static uint32_t ncpus = 1;    /* CPUs the program may run on */

_Atomic int ls_watch_pending_threads;

/* ---- what `lockscope run` found in the program ---------------------------- */

/* LOCKSCOPE_GLOBALS="EXE:a4010,s4040,x4080,r4100,u4200": globals of EXE by
 * ELF virtual address, each with what the debug information and the code
 * say of it: a = C11 _Atomic (followed as synchronization), s = a
 * synchronization object by its type (pthread_once_t, sem_t, ...: never
 * watched), x = atomic instructions of the code access it (followed as
 * synchronization while two slots stay for sampling), r = the code only
 * reads it, u = the code never names it.  The others are written by the
 * code.  Another program (exec'd later) does not match and gets none. */
struct hint {
    uint64_t vaddr;
    char cls;
};
static struct hint *hints;
static uint32_t nhints;

static int hint_cmp(const void *a, const void *b)
{
    const struct hint *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static void load_hints(const char *exe)
{
    const char *v = getenv("LOCKSCOPE_GLOBALS");
    if (!v)
        return;
    const char *colon = strrchr(v, ':');
    if (!colon || (size_t)(colon - v) != strlen(exe) || memcmp(v, exe, (size_t)(colon - v)))
        return;
    uint32_t n = 1;
    for (const char *p = colon + 1; *p; p++)
        n += *p == ',';
    hints = ls_arena_alloc((size_t)n * sizeof *hints);
    if (!hints)
        return;
    for (const char *p = colon + 1; *p && nhints < n;) {
        char cls = *p++;
        char *end;
        uint64_t a = strtoull(p, &end, 16);
        if (end != p && strchr("asxru", cls) && cls)
            hints[nhints++] = (struct hint){a, cls};
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            break;
    }
    if (nhints)
        qsort(hints, nhints, sizeof *hints, hint_cmp);
}

static char hint_of(uint64_t vaddr)
{
    uint32_t lo = 0, hi = nhints;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hints[mid].vaddr < vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nhints && hints[lo].vaddr == vaddr ? hints[lo].cls : 0;
}

/* ---- candidates ---------------------------------------------------------- */

static int is_copy_reloc(const unsigned char *base, const Elf64_Shdr *sh, int nsh, uint64_t value)
{
    for (int i = 0; i < nsh; i++) {
        if (sh[i].sh_type != SHT_RELA || sh[i].sh_entsize != sizeof(Elf64_Rela))
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(base + sh[i].sh_offset);
        size_t n = sh[i].sh_size / sizeof *r;
        for (size_t k = 0; k < n; k++)
            if (ELF64_R_TYPE(r[k].r_info) == R_X86_64_COPY && r[k].r_offset == value)
                return 1;
    }
    return 0;
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

static int skip_name(const char *name)
{
    /* Start-up and runtime objects of the toolchain, not the program's. */
    static const char *const names[] = {"completed.0", "__dso_handle", "__TMC_END__",
                                        "_IO_stdin_used", "__data_start", "data_start"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

static void find_candidates_in(const char *file, uint64_t bias, int main_program)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return;
    }
    const unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return;
    size_t size = (size_t)st.st_size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
    int nsh = eh->e_shnum;
    const Elf64_Shdr *symtab = NULL;
    for (int i = 0; i < nsh; i++)
        if (sh[i].sh_type == SHT_SYMTAB)
            symtab = &sh[i];
    if (!symtab)
        for (int i = 0; i < nsh; i++)
            if (sh[i].sh_type == SHT_DYNSYM)
                symtab = &sh[i];
    if (!symtab || symtab->sh_link >= (uint32_t)nsh ||
        symtab->sh_offset + symtab->sh_size > size)
        goto out;
    const Elf64_Shdr *strtab = &sh[symtab->sh_link];
    if (strtab->sh_offset + strtab->sh_size > size)
        goto out;
    const Elf64_Sym *syms = (const Elf64_Sym *)(base + symtab->sh_offset);
    size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);
    if (!ls_cands)
        ls_cands = ls_arena_alloc(MAX_CANDIDATES * sizeof *ls_cands);
    if (!ls_cands)
        goto out;
    for (size_t i = 0; i < nsyms && ls_ncands < MAX_CANDIDATES; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_OBJECT || s->st_size == 0 ||
            s->st_shndx == SHN_UNDEF || s->st_shndx >= nsh)
            continue;
        const Elf64_Shdr *sec = &sh[s->st_shndx];
        if (!(sec->sh_flags & SHF_WRITE) || !(sec->sh_flags & SHF_ALLOC) ||
            (sec->sh_flags & SHF_TLS))
            continue;
        if (s->st_name >= strtab->sh_size)
            continue;
        const char *name = (const char *)base + strtab->sh_offset + s->st_name;
        char cls = main_program ? hint_of(s->st_value) : 0;
        if (cls == 's' || skip_name(name))
            continue;
        if (ls_opt.watch_only[0] && !in_list(ls_opt.watch_only, name) && cls != 'a')
            continue;
        if (is_copy_reloc(base, sh, nsh, s->st_value))
            continue;
        struct ls_cand *c = &ls_cands[ls_ncands++];
        c->addr = s->st_value + bias;
        c->size = s->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s->st_size;
        c->sync = cls == 'a' ? 1 : cls == 'x' ? 2 : 0;
        c->tier = cls == 'r' ? LS_TIER_READ : cls == 'u' ? LS_TIER_UNREFERENCED : LS_TIER_WRITTEN;
    }
out:
    munmap((void *)base, size);
}

static int cand_cmp(const void *a, const void *b)
{
    const struct ls_cand *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->size > y->size ? -1 : x->size < y->size; /* the larger first */
}

static int order_cmp(const void *a, const void *b)
{
    const struct ls_cand *x = &ls_cands[*(const uint32_t *)a], *y = &ls_cands[*(const uint32_t *)b];
    if (x->tier != y->tier)
        return x->tier - y->tier;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sorted by address (the handler looks owners up), one per address, and
 * the rotation order by tier. */
static void index_candidates(void)
{
    if (ls_ncands == 0)
        return;
    qsort(ls_cands, ls_ncands, sizeof *ls_cands, cand_cmp);
    uint32_t n = 0;
    for (uint32_t i = 0; i < ls_ncands; i++)
        if (n == 0 || ls_cands[i].addr != ls_cands[n - 1].addr)
            ls_cands[n++] = ls_cands[i];
    ls_ncands = n;
    order = ls_arena_alloc((size_t)n * sizeof *order);
    if (!order) {
        ls_ncands = 0;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    qsort(order, n, sizeof *order, order_cmp);
}

int ls_cand_at(uint64_t addr)
{
    uint32_t lo = 0, hi = ls_ncands;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ls_cands[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct ls_cand *c = &ls_cands[lo - 1];
    return addr - c->addr < c->size ? (int)(lo - 1) : -1;
}

/* The window of c at offset off: an aligned 1, 2, 4 or 8 bytes inside it. */
static uint32_t window_len(const struct ls_cand *c, uint32_t off)
{
    uint64_t a = c->addr + off;
    uint32_t len = 8;
    while (len > 1 && ((a & (len - 1)) || (uint64_t)off + len > c->size))
        len /= 2;
    return len;
}

/* ---- perf events ----------------------------------------------------------- */

static void fill_attr(struct perf_event_attr *a, uint64_t addr, uint32_t len, uint64_t tag)
{
    memset(a, 0, sizeof *a);
    a->type = PERF_TYPE_BREAKPOINT;
    a->size = sizeof *a;
    a->bp_type = HW_BREAKPOINT_RW;
    a->bp_addr = addr;
    a->bp_len = len == 1 ? HW_BREAKPOINT_LEN_1 : len == 2 ? HW_BREAKPOINT_LEN_2
                : len == 4 ? HW_BREAKPOINT_LEN_4 : HW_BREAKPOINT_LEN_8;
    a->sample_period = 1;
    a->exclude_kernel = 1;
    a->exclude_hv = 1;
    a->sigtrap = 1;
    a->remove_on_exec = 1;
    a->inherit = 1;
    a->inherit_thread = 1;
    a->sig_data = tag;
}

uint64_t ls_tag_of(int slot, uint32_t gen)
{
    return LS_TAG_MAGIC | (uint64_t)slot | (uint64_t)gen << 32;
}

/* Points slot s at [addr, + len) of candidate ci (-1: at nothing) under a
 * new generation, written down before the move so that a trap of the new
 * window always finds it. */
static void point(int s, int ci, uint32_t off, uint64_t addr, uint32_t len)
{
    struct ls_slot *sl = &ls_slots[s];
    (void)off;
    uint32_t gen = atomic_load(&sl->gen) + 1;
    struct ls_window *w = &sl->hist[gen % LS_WATCH_HIST];
    atomic_store(&w->gen, 0);
    atomic_store(&w->cand, ci);
    atomic_store(&w->addr, addr);
    atomic_store(&w->len, len);
    atomic_store(&w->gen, gen);
    struct perf_event_attr a;
    fill_attr(&a, addr, len, ls_tag_of(s, gen));
    ioctl(sl->fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a);
    atomic_store(&sl->gen, gen);
}

/* From a trap handler: the sampler may be moving the slot right now (then
 * it is being re-armed anyway). */
void ls_slot_bench(int s)
{
    if (!ls_spin_trylock(&ls_slots[s].move))
        return;
    /* At a variable of ours nobody touches. */
    atomic_store(&ls_slots[s].benched, 1);
    point(s, -1, 0, (uint64_t)(uintptr_t)&dummy_target[s], 8);
    ls_spin_unlock(&ls_slots[s].move);
}

/* ---- arming and rotation ------------------------------------------------- */

static int eligible(uint32_t i)
{
    return !atomic_load(&ls_cands[i].dropped) &&
           !ls_lock_known((const void *)(uintptr_t)ls_cands[i].addr);
}

static void arm(int s, int ci, uint32_t off)
{
    struct ls_slot *sl = &ls_slots[s];
    ls_spin_lock(&sl->move);
    atomic_store(&sl->first_tid, 0);
    atomic_store(&sl->shared, 0);
    if (ci < 0) {
        atomic_store(&sl->cand, -1);
        point(s, -1, 0, (uint64_t)(uintptr_t)&dummy_target[s], 8);
    } else {
        const struct ls_cand *c = &ls_cands[ci];
        point(s, ci, off, c->addr + off, window_len(c, off));
        atomic_store(&sl->cand, ci);
        atomic_store(&sl->off, off);
    }
    atomic_store(&sl->benched, 0);
    ls_spin_unlock(&sl->move);
}

static uint32_t next_cand;
static int assigned;          /* the sampling slots have been given windows once */

/* Windows of the eligible sampled candidates, counted up to limit + 1. */
static uint32_t windows_up_to(uint32_t limit)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < ls_ncands && w <= limit; i++) {
        if (ls_cands[i].sync || !eligible(i))
            continue;
        for (uint32_t off = 0; off < ls_cands[i].size && w <= limit;
             off += window_len(&ls_cands[i], off))
            w++;
    }
    return w;
}

static void rotate(void)
{
    int sampling = 0;
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync) {
            /* Never moved; re-armed if its bucket ran dry. */
            if (atomic_load(&ls_slots[s].benched))
                arm(s, atomic_load(&ls_slots[s].cand), 0);
        } else {
            sampling++;
        }
    }
    /* When every window fits, each keeps its slot (moving it would lose
     * the traps in between); a benched one gets it back. */
    if (assigned && windows_up_to((uint32_t)sampling) <= (uint32_t)sampling) {
        for (int s = 0; s < ls_nslots; s++)
            if (!ls_slots[s].sync && atomic_load(&ls_slots[s].benched)) {
                int ci = atomic_load(&ls_slots[s].cand);
                arm(s, ci >= 0 && eligible((uint32_t)ci) ? ci : -1,
                    atomic_load(&ls_slots[s].off));
            }
        return;
    }
    /* One window of each of the next candidates, in rotation order; with
     * fewer candidates than slots, more windows of the same ones. */
    int taken_c[LS_WATCH_SLOTS];
    uint32_t taken_off[LS_WATCH_SLOTS];
    int ntaken = 0;
    for (uint32_t tries = 0; tries < ls_ncands && ntaken < sampling; tries++) {
        uint32_t c = order[next_cand++ % ls_ncands];
        int busy = 0;
        for (int k = 0; k < ntaken; k++)
            busy |= taken_c[k] == (int)c;
        if (busy || ls_cands[c].sync || !eligible(c))
            continue;
        taken_c[ntaken] = (int)c;
        taken_off[ntaken++] = ls_cands[c].cursor;
    }
    for (int k = 0; k < ntaken; k++) {
        struct ls_cand *c = &ls_cands[taken_c[k]];
        uint32_t next = c->cursor + window_len(c, c->cursor);
        c->cursor = next >= c->size ? 0 : next;
    }
    for (int added = 1, nfirst = ntaken; added && ntaken < sampling;) {
        added = 0;
        for (int k = 0; k < nfirst && ntaken < sampling; k++) {
            struct ls_cand *c = &ls_cands[taken_c[k]];
            int busy = 0;
            for (int j = 0; j < ntaken; j++)
                busy |= taken_c[j] == taken_c[k] && taken_off[j] == c->cursor;
            if (busy)
                continue;
            taken_c[ntaken] = taken_c[k];
            taken_off[ntaken++] = c->cursor;
            uint32_t next = c->cursor + window_len(c, c->cursor);
            c->cursor = next >= c->size ? 0 : next;
            added = 1;
        }
    }
    int k = 0;
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync)
            continue;
        if (k < ntaken) {
            arm(s, taken_c[k], taken_off[k]);
            k++;
        } else {
            arm(s, -1, 0);
        }
    }
    assigned = 1;
}

/* The share of a slot's bucket at a refill of dt_ns, and its capacity.
 * The sampled slots share watch_rate a second for each thread that can run
 * at once (no more than there are CPUs); an _Atomic global followed as
 * synchronization has half of it for each live thread to itself: benching
 * it loses happens-before. */
static uint64_t rate_of(int s, int sampled)
{
    uint32_t threads = ls_live_threads();
    if (ls_slots[s].sync)
        return (uint64_t)ls_opt.watch_rate / 2 * threads;
    if (threads > ncpus)
        threads = ncpus;
    return (uint64_t)ls_opt.watch_rate * threads / (uint64_t)(sampled ? sampled : 1);
}

static int sampled_slots(void)
{
    int n = 0;
    for (int s = 0; s < ls_nslots; s++)
        n += !ls_slots[s].sync && atomic_load(&ls_slots[s].cand) >= 0;
    return n;
}

/* A sampled slot's bucket holds BUCKET_MS of half the budget whatever the
 * share: a short burst on one variable is sampled in full, as when two
 * variables shared the registers, while the rate over time stays the
 * process's. */
static int32_t cap_of(int s, int sampled)
{
    uint64_t rate = ls_slots[s].sync ? rate_of(s, sampled) : rate_of(s, 2);
    uint64_t c = rate * BUCKET_MS / 1000;
    return c < 4 ? 4 : c > INT32_MAX ? INT32_MAX : (int32_t)c;
}

/* Nanotokens carried from refill to refill (the sampler alone touches them). */
static uint64_t credit[LS_WATCH_SLOTS];

/* Every slot's bucket gains its share of dt_ns (a handler's decrement
 * racing with this may be lost: one trap more or less), and a slot whose
 * bucket one thread spent alone is armed again on the same window, while
 * that is cheap: that thread does not keep the others unsampled for the
 * rest of the turn.  (A bucket several threads spent has sampled them
 * already; moving its watchpoints again so soon would cost more than it
 * gives.) */
static void refill(long dt_ns)
{
    int rearm = ls_live_threads() <= CHEAP_REARM_THREADS;
    int sampled = sampled_slots();
    for (int s = 0; s < ls_nslots; s++) {
        credit[s] += rate_of(s, sampled) * (uint64_t)dt_ns;
        int32_t add = (int32_t)(credit[s] / 1000000000u);
        credit[s] %= 1000000000u;
        int32_t cap = cap_of(s, sampled);
        int32_t cur = atomic_load(&ls_slots[s].tokens);
        int64_t next = (int64_t)(cur < 0 ? 0 : cur) + add;
        atomic_store(&ls_slots[s].tokens, next > cap ? cap : (int32_t)next);
        int ci = atomic_load(&ls_slots[s].cand);
        if (rearm && atomic_load(&ls_slots[s].benched) && !atomic_load(&ls_slots[s].shared) &&
            ci >= 0 && (ls_slots[s].sync || eligible((uint32_t)ci)))
            arm(s, ci, ls_slots[s].sync ? 0 : atomic_load(&ls_slots[s].off));
    }
}

static void *sampler_main(void *arg)
{
    ls_guard = 1;
    long full = (long)ls_opt.watch_period_ms * 1000000L;
    long turn = YOUNG_NS < full ? YOUNG_NS : full;
    for (;;) {
        long tick = turn / WINDOWS;
        struct timespec ts = {tick / 1000000000L, tick % 1000000000L};
        for (int w = 0; w < WINDOWS; w++) {
            nanosleep(&ts, NULL);
            refill(tick);
        }
        rotate();
        turn = turn * 2 < full ? turn * 2 : full;
    }
    return arg;
}

static void start_sampler(void)
{
    sigset_t all, old;
    sigfillset(&all);
    ls_guard++; /* our own mask: not the program's, whatever it contains */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 128 * 1024);
    pthread_t th;
    ls_real.create(&th, &a, sampler_main, NULL);
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ls_guard--;
}

/* ---- the trap ------------------------------------------------------------ */

static void chain_trap(int sig, siginfo_t *si, void *uc)
{
    if (prev_trap.sa_flags & SA_SIGINFO) {
        if (prev_trap.sa_sigaction)
            prev_trap.sa_sigaction(sig, si, uc);
        return;
    }
    if (prev_trap.sa_handler == SIG_IGN)
        return;
    if (prev_trap.sa_handler != SIG_DFL) {
        prev_trap.sa_handler(sig);
        return;
    }
    signal(SIGTRAP, SIG_DFL);
    raise(SIGTRAP);
}

void ls_watch_chain(int sig, siginfo_t *si, void *uc)
{
    chain_trap(sig, si, uc);
}

void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv);
void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv)
{
    uint64_t tag = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
    if (si->si_code != TRAP_PERF || (tag & LS_TAG_MASK) != LS_TAG_MAGIC) {
        chain_trap(sig, si, ucv);
        return;
    }
    ls_trap_handler(sig, si, ucv);
}

/* ---- status ---------------------------------------------------------------- */

static uint32_t last_status;

static void record_status(uint32_t status, const char *msg)
{
    last_status = status;
    struct ls_rec_watch w = {
        .status = status,
        .candidates = ls_ncands,
        .slots = (uint32_t)ls_nslots,
        .classify = (uint32_t)ls_decode_on,
        .msg_len = (uint32_t)strlen(msg),
        .sync = nsync | (atomic_load(&ls_sync_incomplete) ? LS_WATCH_SYNC_INCOMPLETE : 0),
        .traps = atomic_load(&ls_wcount.traps),
        .exact = atomic_load(&ls_wcount.exact),
        .inexact = atomic_load(&ls_wcount.inexact),
        .no_access = atomic_load(&ls_wcount.no_access),
        .undecoded = atomic_load(&ls_wcount.undecoded),
        .foreign = atomic_load(&ls_wcount.foreign),
        .stray = atomic_load(&ls_wcount.stray),
        .atomic = atomic_load(&ls_wcount.atomic),
        .limited = atomic_load(&ls_wcount.limited),
    };
    ls_writer_record(LS_REC_WATCH, &w, sizeof w, msg, w.msg_len, NULL, 0);
}

/* ---- the program's objects ------------------------------------------------- */

static void add_code_range(struct dl_phdr_info *info)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    const uint8_t *eh = NULL;
    uint64_t eh_len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = (const uint8_t *)(uintptr_t)(info->dlpi_addr + ph->p_vaddr);
            eh_len = ph->p_memsz;
        }
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
    }
    if (hi && ls_ncode < MAX_CODE_RANGES)
        ls_code[ls_ncode++] = (struct ls_code_range){lo, hi, eh, eh_len};
}

/* The system's own libraries synchronize with what the shim already sees
 * (or are the shim's): their globals are not the program's. */
static int system_library(const char *path)
{
    static const char *const skip[] = {"/libc.so", "/libm.so", "/ld-linux", "/libpthread",
                                       "/libdl.so", "/librt.so", "/libunwind", "/liblzma",
                                       "/libstdc++", "/libgcc_s", "linux-vdso", "liblockscope",
                                       "/libZydis"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strstr(path, skip[i]))
            return 1;
    return 0;
}

static int find_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
    int *first = arg;
    if (*first) {
        /* The first object is the main program. */
        *first = 0;
        char exe[1024];
        ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[el > 0 ? el : 0] = 0;
        load_hints(exe);
        add_code_range(info);
        find_candidates_in("/proc/self/exe", info->dlpi_addr, 1);
        return 0;
    }
    if (!ls_opt.watch_libs || !info->dlpi_name || !*info->dlpi_name ||
        system_library(info->dlpi_name))
        return 0;
    add_code_range(info);
    find_candidates_in(info->dlpi_name, info->dlpi_addr, 0);
    return 0;
}

/* _Atomic globals get slots of their own, for the whole run: their
 * accesses are the program's synchronization and none may be missed.  One
 * slot stays for sampling the others.  Globals that atomic instructions
 * access (a flag set with __atomic_exchange_n, a counter bumped with lock
 * add) are followed the same way while two slots stay for sampling; the
 * others are sampled like any variable (their atomic accesses still
 * synchronize while watched). */
static void assign_sync_slots(void)
{
    uint32_t want = 0;
    for (uint32_t i = 0; i < ls_ncands; i++)
        want += ls_cands[i].sync == 1;
    int s = 0;
    for (int kind = 1; kind <= 2; kind++)
        for (uint32_t i = 0; i < ls_ncands; i++) {
            if (ls_cands[i].sync != kind)
                continue;
            if (s >= ls_nslots - (kind == 1 ? 1 : 2)) {
                if (kind == 2)
                    ls_cands[i].sync = 0;
                continue;
            }
            ls_slots[s].sync = kind;
            arm(s, (int)i, 0);
            s++;
            nsync += kind == 1;
        }
    if (nsync < want)
        atomic_store(&ls_sync_incomplete, 1);
}

/* At exit: what became of the traps, how following the _Atomic globals went. */
void ls_watch_finish(void)
{
    if (atomic_load(&watching))
        record_status(last_status, "");
}

static void refused(const char *why)
{
    char msg[200];
    snprintf(msg, sizeof msg, "the kernel refused hardware watchpoints (%s)", why);
    ls_warn("lockscope: %s; data races are not checked, lock checks go on", msg);
    record_status(LS_WATCH_REFUSED, msg);
}

void ls_watch_init(void)
{
    if (!ls_opt.watch) {
        record_status(LS_WATCH_OFF, "turned off (LOCKSCOPE_OPTIONS=watch=0)");
        return;
    }
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0)
        ncpus = (uint32_t)CPU_COUNT(&cpus);
    /* Opened here, in the first thread, so that every thread inherits them.
     * Fewer than four (a debugger holds some) still watch. */
    int err = 0;
    for (int s = 0; s < LS_WATCH_SLOTS; s++) {
        struct perf_event_attr a;
        fill_attr(&a, (uint64_t)(uintptr_t)&dummy_target[s], 8, ls_tag_of(s, 0));
        int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            err = errno;
            break;
        }
        ls_slots[ls_nslots].fd = fd;
        atomic_store(&ls_slots[ls_nslots].cand, -1);
        ls_nslots++;
    }
    if (ls_nslots == 0) {
        refused(strerror(err));
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = ls_watch_on_trap;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ls_guard++;
    sigaction(SIGTRAP, &sa, &prev_trap);
    ls_guard--;
    record_status(LS_WATCH_ON, "");
    atomic_store(&watching, 1);
    /* Armed when the program starts its first thread: before that nothing
     * can race, and a single-threaded program keeps glibc's fast paths
     * (our sampler thread would make it multi-threaded). */
}

/* The program's globals, the decoder, the memory the handler needs: found
 * when the first thread starts.  0 if watching goes on. */
static int prepare(void)
{
    int first = 1;
    dl_iterate_phdr(find_objects, &first);
    index_candidates();
    if (ls_ncands == 0) {
        record_status(LS_WATCH_NONE, "the program has no global variables to watch");
        return -1;
    }
    ls_decode_on = ls_opt.watch_decode && ls_decode_load() == 0;
    if (ls_opt.watch_decode && !ls_decode_on)
        ls_warn("lockscope: warning: the instruction decoder (libZydis.so.4.0) cannot be "
                "loaded; sampled accesses are counted but races are not judged");
    if (ls_trap_init() != 0) {
        ls_warn("lockscope: warning: no memory for the watchpoints; data races are not checked");
        return -1;
    }
    return 0;
}

void ls_watch_threads_start(void)
{
    static _Atomic int started;
    if (!atomic_load(&watching) || atomic_exchange(&started, 1))
        return;
    ls_guard++;
    if (prepare() != 0) {
        atomic_store(&watching, 0);
        ls_guard--;
        return;
    }
    assign_sync_slots();
    int sampled = 0;
    for (int s = 0; s < ls_nslots; s++)
        sampled += !ls_slots[s].sync;
    for (int s = 0; s < ls_nslots; s++) /* full buckets to start with */
        atomic_store(&ls_slots[s].tokens, cap_of(s, sampled));
    rotate();
    record_status(LS_WATCH_ON, "");
    start_sampler();
    ls_guard--;
}

int ls_watching(void)
{
    return atomic_load_explicit(&watching, memory_order_relaxed);
}

/* The program replaces our SIGTRAP handler: keep ours, chain to theirs. */
int ls_watch_sigaction(const struct sigaction *act, struct sigaction *old)
{
    if (!atomic_load(&watching))
        return 0;
    if (old)
        *old = prev_trap;
    if (act)
        prev_trap = *act;
    return 1;
}
