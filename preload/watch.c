/*
 * Memory accesses without recompiling: hardware watchpoints.
 *
 * Candidates are the main executable's global data objects (symbols of
 * writable, allocated, non-TLS sections, with a size), less copy-relocated
 * library objects and the synchronization objects the shim has seen.  Each
 * watched variable takes two debug registers: a read-write breakpoint and a
 * write-only one, so that a trap tells a read from a write (a write fires
 * both; which of the two signals arrives is checked once at start, see
 * calibrate()).  x86-64 has four registers a thread: two variables at a time.
 *
 * The events are opened in the first thread with inherit, so every thread
 * created afterwards has them, and retargeted in all threads at once with
 * PERF_EVENT_IOC_MODIFY_ATTRIBUTES.  With more candidates than slots, a
 * sampler thread rotates them every watch_period_ms.  Traps are budgeted
 * per slot, as a token bucket: every fifth of a turn it gains watch_rate a
 * second for each thread that can run at once (no more than the CPUs the
 * program may use), and it holds at most ten such refills.  A slot whose
 * bucket is empty sits out until the next refill (the rest of its turn
 * when the program has many threads).  So a hot global cannot
 * slow the program down without bound, however many threads touch it,
 * while a short burst (a program that runs for milliseconds) is sampled in
 * full.
 *
 * A trap arrives as a synchronous SIGTRAP in the accessing thread.  The
 * handler is async-signal-safe: it copies the thread's clock, held locks and
 * return addresses into a per-thread ring, and the thread itself (or the
 * process at exit) turns ring entries into trace records later.
 */
#define _GNU_SOURCE
#include "hot.h"

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
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event with sigtrap (Linux 5.13) */
#endif

#define SLOTS 2
#define TAG_MAGIC 0x4c530000UL /* "LS" in the upper half: our traps */
#define MAX_CANDIDATES 65536

struct candidate {
    uint64_t addr;
    uint32_t len;             /* 1, 2, 4 or 8: what a debug register can cover */
    uint32_t size;            /* the object's size */
    _Atomic int dropped;      /* turned out to be a sync object */
    int sync;                 /* an _Atomic global: followed as synchronization */
    _Atomic uint32_t foreign; /* traps in a row from outside the program's code */
};

static struct candidate *cands;
static uint32_t ncands;

struct slot {
    int fd_rw, fd_w;
    _Atomic int cand;         /* index watched, -1 if none */
    _Atomic int32_t tokens;   /* traps it may still take (token bucket) */
    _Atomic int benched;      /* set aside for the rest of its turn */
    _Atomic uint32_t first_tid; /* the thread of its first trap since armed */
    _Atomic int shared;       /* another thread trapped since armed */
    int sync;                 /* permanently given to an _Atomic global */
    struct ls_sync clock;     /* that global's clock */
    struct ls_spin spin;
};

static struct slot slots[SLOTS];
static int w_first;           /* 1: the write-only event must be opened first */
static int classify = 1;      /* reads and writes are told apart */
static _Atomic int watching;
static uint32_t nsync;        /* _Atomic globals followed */
static _Atomic int sync_incomplete;
static char sync_names[4096];
static long dummy_target[SLOTS]; /* where a benched slot points */

_Atomic int ls_watch_pending_threads;

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

/* LOCKSCOPE_SYNC_VARS="EXE:name,name": the _Atomic globals `lockscope run`
 * found in the debug information of the program it started.  Another
 * program (exec'd later) does not match and gets none. */
static void load_sync_names(const char *exe)
{
    const char *v = getenv("LOCKSCOPE_SYNC_VARS");
    if (!v)
        return;
    const char *colon = strrchr(v, ':');
    if (!colon || (size_t)(colon - v) != strlen(exe) || memcmp(v, exe, (size_t)(colon - v)))
        return;
    ls_strlcpy(sync_names, colon + 1, sizeof sync_names);
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

static int is_sync_name(const char *name)
{
    return sync_names[0] && in_list(sync_names, name);
}

/* watch_only=a,b,c: is name one of them? */
static int wanted(const char *name)
{
    return !ls_opt.watch_only[0] || in_list(ls_opt.watch_only, name) || is_sync_name(name);
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

static void find_candidates_in(const char *file, uint64_t bias)
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
    if (!cands)
        cands = ls_arena_alloc(MAX_CANDIDATES * sizeof *cands);
    if (!cands)
        goto out;
    for (size_t i = 0; i < nsyms && ncands < MAX_CANDIDATES; i++) {
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
        if (skip_name(name) || !wanted(name) || is_copy_reloc(base, sh, nsh, s->st_value))
            continue;
        uint64_t addr = s->st_value + bias;
        /* A debug register watches an aligned 1, 2, 4 or 8 bytes. */
        uint32_t len = s->st_size >= 8 ? 8 : s->st_size >= 4 ? 4 : s->st_size >= 2 ? 2 : 1;
        while (len > 1 && (addr & (len - 1)))
            len /= 2;
        cands[ncands].addr = addr;
        cands[ncands].len = len;
        cands[ncands].size = (uint32_t)s->st_size;
        cands[ncands].sync = is_sync_name(name);
        ncands++;
    }
out:
    munmap((void *)base, size);
}

/* ---- perf events ----------------------------------------------------------- */

static void fill_attr(struct perf_event_attr *a, uint64_t addr, uint32_t len, int write_only,
                      uint64_t tag)
{
    memset(a, 0, sizeof *a);
    a->type = PERF_TYPE_BREAKPOINT;
    a->size = sizeof *a;
    a->bp_type = write_only ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW;
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

static int open_bp(uint64_t addr, uint32_t len, int write_only, uint64_t tag)
{
    struct perf_event_attr a;
    fill_attr(&a, addr, len, write_only, tag);
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int retarget(int fd, uint64_t addr, uint32_t len, int write_only, uint64_t tag)
{
    struct perf_event_attr a;
    fill_attr(&a, addr, len, write_only, tag);
    return ioctl(fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a);
}

static uint64_t tag_of(int slot, int write_only)
{
    return TAG_MAGIC | ((uint64_t)slot << 1) | (write_only ? 1 : 0);
}

/* Which of the two signals of a write arrives depends on the order the
 * events were opened in: find an order where it is the write-only one. */
static volatile long calib_var;
static volatile unsigned long calib_seen;

static void calib_handler(int sig, siginfo_t *si, void *uc)
{
    calib_seen = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
}

static int calibrate(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = calib_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ls_signals_real_action(SIGTRAP, &sa, &old);
    int result = -1;
    for (int order = 0; order < 2 && result < 0; order++) {
        int a, b;
        if (order == 0) {
            a = open_bp((uint64_t)(uintptr_t)&calib_var, 8, 0, 2);
            b = open_bp((uint64_t)(uintptr_t)&calib_var, 8, 1, 1);
        } else {
            b = open_bp((uint64_t)(uintptr_t)&calib_var, 8, 1, 1);
            a = open_bp((uint64_t)(uintptr_t)&calib_var, 8, 0, 2);
        }
        if (a < 0 || b < 0) {
            int e = errno;
            if (a >= 0)
                close(a);
            if (b >= 0)
                close(b);
            ls_signals_real_action(SIGTRAP, &old, NULL);
            errno = e;
            return -2;
        }
        calib_seen = 0;
        calib_var = 1;
        int write_ok = calib_seen == 1;
        calib_seen = 0;
        (void)calib_var;
        int read_ok = calib_seen == 2;
        if (write_ok && read_ok)
            result = order; /* 0: RW first; 1: W first */
        close(a);
        close(b);
    }
    ls_signals_real_action(SIGTRAP, &old, NULL);
    return result;
}

/* ---- the trap ------------------------------------------------------------ */

/* Code ranges whose accesses count: the program's, and with watch_libs=1
 * those of the libraries whose globals are watched. */
#define MAX_CODE_RANGES 64
static struct {
    uint64_t lo, hi;
} code[MAX_CODE_RANGES];
static int ncode;

static int program_code(uint64_t pc)
{
    for (int i = 0; i < ncode; i++)
        if (pc >= code[i].lo && pc < code[i].hi)
            return 1;
    return 0;
}

static uint32_t ncpus = 1;    /* CPUs the program may run on */

#define WINDOWS 5  /* refills in a turn */
#define BURST 10   /* refills a bucket holds at most */

/* Re-arming a slot moves its watchpoints in every thread (an interrupt to
 * each CPU running one, and traps keep coming until all took it): with no
 * more threads than this, a benched slot is re-armed at the next refill,
 * with more only at the next turn. */
#define CHEAP_REARM_THREADS 16

/* What a slot's bucket gains at each refill, for `threads` threads.  An
 * _Atomic global followed as synchronization counts every thread: benching
 * it loses happens-before, so it gets the larger budget. */
static int32_t refill_for(int s, uint32_t threads)
{
    if (!slots[s].sync && threads > ncpus)
        threads = ncpus;
    uint64_t b = (uint64_t)ls_opt.watch_rate * (uint64_t)ls_opt.watch_period_ms * threads /
                 (1000u * WINDOWS);
    return b < 4 ? 4 : b > INT32_MAX / BURST ? INT32_MAX / BURST : (int32_t)b;
}

static int32_t refill_budget(int s)
{
    return refill_for(s, ls_live_threads());
}

/* A bucket holds BURST refills of as many threads as there are CPUs (or
 * now live, for a sync slot): the same whether the program is between
 * phases with one thread or not. */
static int32_t bucket_size(int s)
{
    uint32_t live = ls_live_threads();
    return refill_for(s, live > ncpus ? live : ncpus) * BURST;
}

static void bench_slot(int s)
{
    /* Point both events at a variable of ours nobody touches. */
    atomic_store(&slots[s].benched, 1);
    retarget(slots[s].fd_rw, (uint64_t)(uintptr_t)&dummy_target[s], 8, 0, tag_of(s, 0));
    retarget(slots[s].fd_w, (uint64_t)(uintptr_t)&dummy_target[s], 8, 1, tag_of(s, 1));
}

void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv);
void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv)
{
    uint64_t tag = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
    if (si->si_code != TRAP_PERF || (tag & 0xffff0000UL) != TAG_MAGIC) {
        ls_signals_chain_trap(sig, si, ucv);
        return;
    }
    int saved = errno;
    int s = (int)((tag >> 1) & 0x7fff);
    int write_bp = (int)(tag & 1);
    if (s >= SLOTS)
        goto done;
    int ci = atomic_load(&slots[s].cand);
    struct ls_thread *t = ls_self;
    if (ci < 0 || !t || ls_guard || atomic_load(&slots[s].benched))
        goto done;
    /* The rate limit: a variable trapping too often sits out its turn. */
    uint32_t first = atomic_load_explicit(&slots[s].first_tid, memory_order_relaxed);
    if (first == 0)
        atomic_compare_exchange_strong(&slots[s].first_tid, &first, t->tid);
    else if (first != t->tid && !atomic_load_explicit(&slots[s].shared, memory_order_relaxed))
        atomic_store(&slots[s].shared, 1);
    if (atomic_fetch_sub(&slots[s].tokens, 1) <= 0) {
        if (slots[s].sync)
            atomic_store(&sync_incomplete, 1); /* its synchronization is lost from here */
        bench_slot(s);
        goto done;
    }
    if (slots[s].sync) {
        /* An _Atomic global: a store releases (an atomic read-modify-write
         * also acquires), a load acquires.  Only program code reaches here,
         * never the shim's, so the thread's clock is not half-updated. */
        ls_spin_lock(&slots[s].spin);
        ls_clock_acquire(t, &slots[s].clock);
        if (write_bp || !classify)
            ls_clock_release_join(t, &slots[s].clock);
        ls_spin_unlock(&slots[s].spin);
        goto done;
    }
    ucontext_t *uc = ucv;
    uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    /* Accesses from the C library (the program's mutexes touched inside
     * pthread_mutex_lock, memcpy into a global) are not the program's code.
     * A variable only the library touches (a mutex, a buffer) is dropped:
     * its traps would cost and never count. */
    if (!program_code(pc)) {
        if (atomic_fetch_add(&cands[ci].foreign, 1) >= 32 && !slots[s].sync) {
            atomic_store(&cands[ci].dropped, 1);
            bench_slot(s);
        }
        goto done;
    }
    atomic_store_explicit(&cands[ci].foreign, 0, memory_order_relaxed);
    /* The unwinder may take a lock of its own: that is ours, not the
     * program's, and must go straight through. */
    ls_guard++;
    atomic_store(&t->in_trap, 1);
    ls_ring_push(t, &cands[ci], cands[ci].addr, cands[ci].len,
                 classify ? (write_bp ? LS_ACCESS_WRITE : 0) : LS_ACCESS_KIND_UNKNOWN, pc, uc);
    atomic_store(&t->in_trap, 0);
    ls_guard--;
done:
    errno = saved;
}

/* ---- arming and rotation ------------------------------------------------- */

static uint32_t next_cand;

static int eligible(uint32_t i)
{
    return !atomic_load(&cands[i].dropped) && !ls_lock_known((const void *)(uintptr_t)cands[i].addr);
}

static void arm(int s, int ci)
{
    atomic_store(&slots[s].first_tid, 0);
    atomic_store(&slots[s].shared, 0);
    if (ci >= 0 && slots[s].sync) {
        /* keep the index: a sync slot is never "empty" for the handler */
        retarget(slots[s].fd_rw, cands[ci].addr, cands[ci].len, 0, tag_of(s, 0));
        retarget(slots[s].fd_w, cands[ci].addr, cands[ci].len, 1, tag_of(s, 1));
        atomic_store(&slots[s].benched, 0);
        return;
    }
    atomic_store(&slots[s].cand, -1);
    uint64_t addr = ci >= 0 ? cands[ci].addr : (uint64_t)(uintptr_t)&dummy_target[s];
    uint32_t len = ci >= 0 ? cands[ci].len : 8;
    retarget(slots[s].fd_rw, addr, len, 0, tag_of(s, 0));
    retarget(slots[s].fd_w, addr, len, 1, tag_of(s, 1));
    atomic_store(&slots[s].benched, 0);
    atomic_store(&slots[s].cand, ci);
}

static void rotate(void)
{
    for (int s = 0; s < SLOTS; s++) {
        if (slots[s].sync) {
            /* Never moved; re-armed if its bucket ran dry. */
            if (atomic_load(&slots[s].benched))
                arm(s, atomic_load(&slots[s].cand));
            continue;
        }
        int cur = atomic_load(&slots[s].cand);
        /* With no more candidates than slots, a variable keeps its slot
         * (moving it would lose the traps in between); a benched one gets
         * it back at the next turn. */
        if (ncands <= SLOTS && cur >= 0 && !atomic_load(&slots[s].benched))
            continue;
        int ci = -1;
        for (uint32_t tries = 0; tries < ncands; tries++) {
            uint32_t c = next_cand++ % ncands;
            if (cands[c].sync)
                continue;
            int busy = 0;
            for (int o = 0; o < SLOTS; o++)
                busy |= o != s && atomic_load(&slots[o].cand) == (int)c;
            if (!busy && eligible(c)) {
                ci = (int)c;
                break;
            }
        }
        arm(s, ci);
    }
}

/* Every slot's bucket gains its refill (a handler's decrement racing with
 * this may be lost: one trap more or less), and a slot whose bucket one
 * thread spent alone is armed again on the same variable, while that is
 * cheap: that thread does not keep the others unsampled for the rest of the
 * turn.  (A bucket several threads spent has sampled them already; moving
 * its watchpoints again so soon would cost more than it gives.) */
static void refill(void)
{
    int rearm = ls_live_threads() <= CHEAP_REARM_THREADS;
    for (int s = 0; s < SLOTS; s++) {
        int32_t b = refill_budget(s), cap = bucket_size(s);
        int32_t cur = atomic_load(&slots[s].tokens);
        int32_t next = (cur < 0 ? 0 : cur) + b;
        atomic_store(&slots[s].tokens, next > cap ? cap : next);
        int ci = atomic_load(&slots[s].cand);
        if (rearm && atomic_load(&slots[s].benched) && !atomic_load(&slots[s].shared) &&
            ci >= 0 && (slots[s].sync || eligible((uint32_t)ci)))
            arm(s, ci);
    }
}

static void *sampler_main(void *arg)
{
    ls_guard = 1;
    long window_ns = (long)ls_opt.watch_period_ms * 1000000L / WINDOWS;
    struct timespec ts = {window_ns / 1000000000L, window_ns % 1000000000L};
    for (unsigned w = 1;; w++) {
        nanosleep(&ts, NULL);
        if (!atomic_load(&watching))
            continue;
        refill();
        if (w % WINDOWS == 0)
            rotate();
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

static uint32_t last_status;

static void record_status(uint32_t status, const char *msg)
{
    last_status = status;
    struct ls_rec_watch w = {
        .status = status,
        .candidates = ncands,
        .slots = SLOTS,
        .classify = (uint32_t)classify,
        .msg_len = (uint32_t)strlen(msg),
        .sync = nsync | (atomic_load(&sync_incomplete) ? LS_WATCH_SYNC_INCOMPLETE : 0),
    };
    ls_writer_record(LS_REC_WATCH, &w, sizeof w, msg, w.msg_len, NULL, 0);
}

static void add_code_range(struct dl_phdr_info *info)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
    }
    if (hi && ncode < MAX_CODE_RANGES) {
        code[ncode].lo = lo;
        code[ncode].hi = hi;
        ncode++;
    }
}

/* The system's own libraries synchronize with what the shim already sees
 * (or are the shim's): their globals are not the program's. */
static int system_library(const char *path)
{
    static const char *const skip[] = {"/libc.so", "/libm.so", "/ld-linux", "/libpthread",
                                       "/libdl.so", "/librt.so", "/libunwind", "/liblzma",
                                       "/libstdc++", "/libgcc_s", "linux-vdso", "liblockscope"};
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
        load_sync_names(exe);
        add_code_range(info);
        find_candidates_in("/proc/self/exe", info->dlpi_addr);
        return 0;
    }
    if (!ls_opt.watch_libs || !info->dlpi_name || !*info->dlpi_name ||
        system_library(info->dlpi_name))
        return 0;
    add_code_range(info);
    find_candidates_in(info->dlpi_name, info->dlpi_addr);
    return 0;
}

/* _Atomic globals get slots of their own, for the whole run: their
 * accesses are the program's synchronization and none may be missed.  One
 * slot stays for sampling the others. */
static void assign_sync_slots(void)
{
    uint32_t want = 0;
    for (uint32_t i = 0; i < ncands; i++)
        want += cands[i].sync;
    int s = 0;
    for (uint32_t i = 0; i < ncands && s < SLOTS - 1; i++) {
        if (!cands[i].sync)
            continue;
        slots[s].sync = 1;
        arm(s, (int)i);
        atomic_store(&slots[s].cand, (int)i);
        s++;
        nsync++;
    }
    if (nsync < want)
        atomic_store(&sync_incomplete, 1);
}

/* At exit: how following the _Atomic globals went. */
void ls_watch_finish(void)
{
    if (atomic_load(&watching) && nsync)
        record_status(last_status, "");
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
    int first = 1;
    dl_iterate_phdr(find_objects, &first);
    if (ncands == 0) {
        record_status(LS_WATCH_NONE, "the program has no global variables to watch");
        return;
    }
    int order = calibrate();
    if (order == -2) {
        char msg[200];
        snprintf(msg, sizeof msg, "the kernel refused hardware watchpoints (%s)", strerror(errno));
        ls_warn("lockscope: %s; data races are not checked, lock checks go on", msg);
        record_status(LS_WATCH_REFUSED, msg);
        return;
    }
    if (order < 0)
        classify = 0; /* reads and writes cannot be told apart here */
    w_first = order == 1;
    for (int s = 0; s < SLOTS; s++) {
        uint64_t d = (uint64_t)(uintptr_t)&dummy_target[s];
        if (w_first) {
            slots[s].fd_w = open_bp(d, 8, 1, tag_of(s, 1));
            slots[s].fd_rw = open_bp(d, 8, 0, tag_of(s, 0));
        } else {
            slots[s].fd_rw = open_bp(d, 8, 0, tag_of(s, 0));
            slots[s].fd_w = open_bp(d, 8, 1, tag_of(s, 1));
        }
        if (slots[s].fd_rw < 0 || slots[s].fd_w < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "the kernel refused hardware watchpoints (%s)",
                     strerror(errno));
            ls_warn("lockscope: %s; data races are not checked, lock checks go on", msg);
            record_status(LS_WATCH_REFUSED, msg);
            return;
        }
        atomic_store(&slots[s].cand, -1);
    }
    ls_signals_take_trap(ls_watch_on_trap);
    record_status(LS_WATCH_ON, "");
    atomic_store(&watching, 1);
    /* Armed when the program starts its first thread: before that nothing
     * can race, and a single-threaded program keeps glibc's fast paths
     * (our sampler thread would make it multi-threaded). */
}

void ls_watch_threads_start(void)
{
    static _Atomic int started;
    if (!atomic_load(&watching) || atomic_exchange(&started, 1))
        return;
    assign_sync_slots();
    for (int s = 0; s < SLOTS; s++) /* full buckets to start with */
        atomic_store(&slots[s].tokens, bucket_size(s));
    rotate();
    start_sampler();
}

int ls_watching(void)
{
    return atomic_load_explicit(&watching, memory_order_relaxed);
}
