/*
 * Signals: the dispositions the shim takes, and every way the program sets
 * its own.
 *
 * The shim needs a handler of its own for two things:
 *  - when a signal's default action ends the process (every signal whose
 *    default is to terminate or to dump core, real-time signals included),
 *    the trace must be flushed first;
 *  - the watchpoints deliver SIGTRAP (watch.c), which must reach the shim
 *    whatever the program installs.
 *
 * The model.  For a signal whose default ends the process, the shim owns
 * only the program's SIG_DFL: while the program leaves (or sets) SIG_DFL,
 * the shim's handler is installed, and it does what SIG_DFL would have
 * done after flushing the trace: SIG_DFL is put back and the signal is sent
 * again, with the same siginfo, so the process dies of it (same wait
 * status, same core dump).  A handler or SIG_IGN the program installs is
 * installed for real, so the kernel gives it exactly the semantics it asked
 * for (mask, SA_RESTART, SA_RESETHAND, alternate stack, siginfo); its
 * exit() or _exit() flushes the trace like any other.  When it sets SIG_DFL
 * again, the shim takes the signal back.  (Chaining from a handler of ours
 * instead would change what the program's handler sees: its mask, whether a
 * system call it interrupts returns EINTR, the stack it runs on.)
 *
 * SIGTRAP while watching is the exception: the watchpoints' handler stays
 * in place, the program's disposition is a record here, and a SIGTRAP that
 * is not a watchpoint's is given to it by hand the way the kernel would
 * (ls_signals_chain_trap): its mask and SA_NODEFER, SA_RESETHAND, siginfo
 * and the interrupted context, SA_ONSTACK, SIG_IGN (a trap instruction
 * kills even then), SIG_DFL (death by SIGTRAP, after the flush).
 *
 * What the program reads back (the old action of sigaction, what signal()
 * returns) is what the kernel would give it: the action it set, with the
 * flags the kernel keeps and glibc's restorer.
 *
 * glibc's signal(), sysv_signal(), sigset(), sigignore() and siginterrupt()
 * call its sigaction internally, past any interposition, so each is wrapped
 * here on top of the shim's sigaction.  A raw rt_sigaction system call is
 * not seen.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "timeline.h"
#include "wrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <unistd.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SA_UNSUPPORTED
#define SA_UNSUPPORTED 0x00000400
#endif
#ifndef SA_EXPOSE_TAGBITS
#define SA_EXPOSE_TAGBITS 0x00000800
#endif
#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31) /* linux/signal.h; not in glibc's headers */
#endif

/* The flags Linux 5.11 and later keep; unknown ones read back cleared. */
#define KNOWN_FLAGS                                                                          \
    (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |     \
     (int)SA_RESETHAND | SA_EXPOSE_TAGBITS | SA_RESTORER)

enum mode {
    MODE_REAL, /* the program's disposition is the kernel's */
    MODE_DFL,  /* the program's is SIG_DFL; the flush handler is installed */
    MODE_TRAP, /* SIGTRAP while watching: the watchpoints' handler is installed */
};

struct disp {
    enum mode mode;
    struct sigaction virt; /* MODE_DFL, MODE_TRAP: the program's action, as read back */
};

typedef void (*full_handler)(int, siginfo_t *, void *);

static struct disp tab[_NSIG];
static struct ls_spin tab_spin; /* taken with every signal blocked */
static int owning;              /* SIG_DFL dispositions are taken */
static pid_t owner_pid;         /* a vfork child has its own dispositions, not ours */
static int rtmin = 34, rtmax = 64;
static full_handler trap_handler;
static sigset_t sigintr; /* siginterrupt(sig, 1): signal() installs without SA_RESTART */
static int kept_flags = KNOWN_FLAGS;
static void (*libc_restorer)(void);
static int probed;

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static int real_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!real_sigaction)
        real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    if (!real_sigaction) {
        errno = ENOSYS;
        return -1;
    }
    return real_sigaction(sig, act, old);
}

/* The kernel's mask, without glibc's filtering of its own signals (the
 * shim restores exactly what it saved). */
static void raw_mask(const sigset_t *set, sigset_t *old)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, _NSIG / 8);
}

static void lock_table(sigset_t *saved)
{
    sigset_t all;
    memset(&all, 0xff, sizeof all);
    raw_mask(&all, saved);
    ls_spin_lock(&tab_spin);
}

static void unlock_table(const sigset_t *saved)
{
    ls_spin_unlock(&tab_spin);
    raw_mask(saved, NULL);
}

static int is_internal(int sig)
{
    return sig >= 32 && sig < rtmin; /* glibc's own: thread cancellation, setxid */
}

static int fatal_by_default(int sig)
{
    switch (sig) {
    case SIGKILL: case SIGSTOP: /* cannot be caught */
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH: /* ignored by default */
    case SIGTSTP: case SIGTTIN: case SIGTTOU: /* stop by default */
        return 0;
    }
    return sig >= 1 && sig <= rtmax && !is_internal(sig);
}

/* What the kernel would give back for act, set through glibc. */
static void as_read_back(const struct sigaction *act, struct sigaction *out)
{
    *out = *act;
    out->sa_flags = (act->sa_flags | SA_RESTORER) & kept_flags;
    out->sa_restorer = libc_restorer;
    sigdelset(&out->sa_mask, SIGKILL);
    sigdelset(&out->sa_mask, SIGSTOP);
}

/* Installs one of the shim's handlers (old: the action it replaces, from
 * the kernel).  The first time, also learns what the kernel keeps of the
 * flags (kernels before 5.11 keep unknown bits) and glibc's restorer, for
 * as_read_back. */
static int install_own(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (probed)
        return real_action(sig, act, old);
    struct sigaction probe = *act, back;
    probe.sa_flags |= SA_UNSUPPORTED;
    if (real_action(sig, &probe, old) != 0 || real_action(sig, act, &back) != 0)
        return -1;
    if (back.sa_flags & SA_UNSUPPORTED)
        kept_flags = ~0;
    libc_restorer = back.sa_restorer;
    probed = 1;
    return 0;
}

/* ---- dying of a signal ------------------------------------------------ */

/* The default action, after the flush: SIG_DFL back in place and the
 * signal sent again to this thread with its own siginfo.  It is blocked
 * while a handler of ours runs, so it takes effect as the handler returns,
 * in the context it interrupted (a fault is reported where it happened). */
static void die_of(int sig, siginfo_t *si)
{
    ls_guard++; /* the writer's own mask changes are not the program's */
    ls_tl_write_all(1);
    ls_writer_flush_async();
    ls_guard--;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_action(sig, &dfl, NULL);
    pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
    if (!si || syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, si) != 0)
        syscall(SYS_tgkill, pid, tid, sig);
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    die_of(sig, si);
    errno = saved;
}

static void flush_action(int sig, struct sigaction *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sa_sigaction = on_fatal;
    /* A stack overflow can only be reported from the alternate stack; any
     * other signal stays on the thread's stack, however small the
     * program's alternate stack is. */
    sa->sa_flags = SA_SIGINFO | (sig == SIGSEGV || sig == SIGBUS ? SA_ONSTACK : 0);
    sigfillset(&sa->sa_mask);
}

/* Caller holds the table.  sig is SIG_DFL in the kernel and for the program
 * (whose action, as read back, is virt). */
static int take_dfl(int sig, const struct sigaction *virt, struct sigaction *old)
{
    struct sigaction sa;
    flush_action(sig, &sa);
    if (install_own(sig, &sa, old) != 0)
        return -1;
    tab[sig].virt = *virt;
    tab[sig].mode = MODE_DFL;
    return 0;
}

/* The old action exactly as it was, through the kernel directly (glibc's
 * sigaction would add its restorer and SA_RESTORER to it). */
static void put_back(int sig, const struct sigaction *old)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
    } k;
    k.handler = (void *)old->sa_handler;
    k.flags = (unsigned long)(unsigned int)old->sa_flags;
    k.restorer = (void *)old->sa_restorer;
    memcpy(&k.mask, &old->sa_mask, sizeof k.mask);
    syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask);
}

/* At start-up, with every signal blocked and the table held: the shim's
 * handler for sig if the program's disposition is SIG_DFL.  Installed
 * first and undone if the old action was another (a program started with
 * a signal ignored keeps it ignored): one system call a signal, not two
 * (a read, then the install), for the 60 signals of a start. */
static void take_if_dfl(int sig)
{
    struct sigaction sa, cur;
    flush_action(sig, &sa);
    if (install_own(sig, &sa, &cur) != 0)
        return;
    if (cur.sa_handler != SIG_DFL) {
        put_back(sig, &cur);
        return;
    }
    tab[sig].virt = cur;
    tab[sig].mode = MODE_DFL;
}

/* ---- SIGTRAP while watching ------------------------------------------- */

static int is_handler(void (*h)(int))
{
    return h != SIG_DFL && h != SIG_IGN;
}

/* Caller holds the table.  SA_RESTART follows the program's handler (it
 * only matters for a SIGTRAP sent by another process: the watchpoints'
 * traps never interrupt a system call). */
static void install_trap(void)
{
    const struct sigaction *v = &tab[SIGTRAP].virt;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = trap_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER |
                  (is_handler(v->sa_handler) ? (v->sa_flags & SA_RESTART) : SA_RESTART);
    sigemptyset(&sa.sa_mask);
    install_own(SIGTRAP, &sa, NULL);
}

void ls_signals_take_trap(void (*handler)(int, siginfo_t *, void *))
{
    sigset_t saved;
    lock_table(&saved);
    struct disp *d = &tab[SIGTRAP];
    if (d->mode == MODE_REAL && real_action(SIGTRAP, NULL, &d->virt) != 0) {
        unlock_table(&saved);
        return;
    }
    trap_handler = handler;
    d->mode = MODE_TRAP;
    install_trap();
    unlock_table(&saved);
}

/* fn(sig, si, uc) on the stack that ends at top (an alternate stack). */
void ls_signals_call_on(full_handler fn, int sig, siginfo_t *si, void *uc, void *top) LS_HIDDEN;
__asm__(".pushsection .text\n"
        ".globl ls_signals_call_on\n"
        ".hidden ls_signals_call_on\n"
        ".type ls_signals_call_on, @function\n"
        "ls_signals_call_on:\n"
        ".cfi_startproc\n"
        "    push %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "    mov %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "    mov %rdi, %rax\n"
        "    mov %esi, %edi\n"
        "    mov %rdx, %rsi\n"
        "    mov %rcx, %rdx\n"
        "    mov %r8, %rsp\n"
        "    and $-16, %rsp\n"
        "    call *%rax\n"
        "    mov %rbp, %rsp\n"
        "    pop %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size ls_signals_call_on, .-ls_signals_call_on\n"
        ".popsection\n");

/* A handler installed without SA_SIGINFO still gets the siginfo and
 * context pointers from the kernel on x86-64; so it does here. */
static void call_handler(const struct sigaction *a, int sig, siginfo_t *si, void *uc)
{
    full_handler fn = a->sa_flags & SA_SIGINFO ? a->sa_sigaction
                                               : (full_handler)(void *)a->sa_handler;
    stack_t ss;
    if ((a->sa_flags & SA_ONSTACK) && sigaltstack(NULL, &ss) == 0 && ss.ss_size &&
        !(ss.ss_flags & (SS_DISABLE | SS_ONSTACK))) {
        if (ss.ss_flags & SS_AUTODISARM) {
            /* restored from the context at sigreturn, as the kernel does */
            stack_t off = {.ss_flags = SS_DISABLE};
            sigaltstack(&off, NULL);
        }
        ls_signals_call_on(fn, sig, si, uc, (char *)ss.ss_sp + ss.ss_size);
        return;
    }
    fn(sig, si, uc);
}

/* A debug exception that names no cause.  With the shim's watchpoints armed
 * the kernel can deliver one: a data breakpoint hit whose status the CPU
 * (or the hypervisor under it) did not keep comes as "icebp" (TRAP_BRKPT),
 * one whose slot was being moved as TRAP_HWBKPT; on a VM here zstd -T2 was
 * killed by such a SIGTRAP in about 1 run in 10, after a plain read of a
 * watched word.  The access is done (the trap comes after it): the program
 * goes on as if nothing happened.  Only an icebp instruction (0xF1, just
 * before the resume address) is the program's own, and neither code can
 * come from a debugger (it would have stopped the thread first). */
static _Atomic uint32_t spurious_traps;

static int spurious_trap(int sig, const siginfo_t *si, const ucontext_t *uc)
{
    if (sig != SIGTRAP || !trap_handler ||
        (si->si_code != TRAP_BRKPT && si->si_code != TRAP_HWBKPT))
        return 0;
    const unsigned char *pc = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
    if (si->si_code == TRAP_BRKPT && pc && pc[-1] == 0xF1)
        return 0;
    atomic_fetch_add_explicit(&spurious_traps, 1, memory_order_relaxed);
    return 1;
}

uint32_t ls_signals_spurious_traps(void)
{
    return atomic_load(&spurious_traps);
}

void ls_signals_chain_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    if (spurious_trap(sig, si, uc))
        return;
    sigset_t saved;
    lock_table(&saved);
    struct sigaction a = tab[sig].virt;
    /* A trap instruction or a debug exception is forced on the thread: even
     * ignored it kills (the kernel resets the disposition to SIG_DFL). */
    int forced = si->si_code > 0 && si->si_code != TRAP_PERF;
    if (a.sa_handler == SIG_IGN && forced)
        a.sa_handler = tab[sig].virt.sa_handler = SIG_DFL;
    else if (is_handler(a.sa_handler) && (a.sa_flags & SA_RESETHAND))
        tab[sig].virt.sa_handler = SIG_DFL;
    ls_spin_unlock(&tab_spin);
    /* Every signal stays blocked until the handler's mask is set: the mask
     * to go back to is in the context, restored at sigreturn. */
    if (a.sa_handler == SIG_IGN)
        return;
    if (a.sa_handler == SIG_DFL) {
        die_of(sig, si);
        return;
    }
    sigset_t m = uc->uc_sigmask;
    sigorset(&m, &m, &a.sa_mask);
    if (!(a.sa_flags & SA_NODEFER))
        sigaddset(&m, sig);
    raw_mask(&m, NULL);
    call_handler(&a, sig, si, uc);
}

/* A program that ignores SIGTRAP keeps it ignored across exec. */
void ls_signals_before_exec(void)
{
    if (tab[SIGTRAP].mode != MODE_TRAP || tab[SIGTRAP].virt.sa_handler != SIG_IGN)
        return;
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    real_action(SIGTRAP, &ign, NULL);
}

void ls_signals_exec_failed(void)
{
    if (tab[SIGTRAP].mode != MODE_TRAP)
        return;
    sigset_t saved;
    lock_table(&saved);
    install_trap();
    unlock_table(&saved);
}

/* ---- the program's sigaction ------------------------------------------ */

static int do_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig < 1 || sig >= _NSIG || (tab[sig].mode == MODE_REAL && !owning) ||
        getpid() != owner_pid)
        return real_action(sig, act, old);
    int saved_errno = errno;
    struct sigaction want; /* act and old may be one object */
    if (act)
        want = *act;
    sigset_t saved;
    lock_table(&saved);
    struct disp *d = &tab[sig];
    int r = 0;
    if (d->mode == MODE_REAL) {
        if (act && want.sa_handler == SIG_DFL && owning && fatal_by_default(sig)) {
            struct sigaction v;
            as_read_back(&want, &v);
            r = take_dfl(sig, &v, old);
        } else {
            r = real_action(sig, act ? &want : NULL, old);
        }
    } else {
        struct sigaction prev = d->virt;
        if (act && d->mode == MODE_DFL && want.sa_handler != SIG_DFL) {
            r = real_action(sig, &want, NULL);
            if (r == 0)
                d->mode = MODE_REAL;
        } else if (act) {
            as_read_back(&want, &d->virt);
            if (d->mode == MODE_TRAP)
                install_trap();
        }
        if (r == 0 && old)
            *old = prev;
    }
    unlock_table(&saved);
    if (r == 0)
        errno = saved_errno;
    return r;
}

LS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return do_sigaction(sig, act, old);
}

/* Not declared by <signal.h> (__sigaction) or not for this standard. */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
__sighandler_t bsd_signal(int sig, __sighandler_t handler);

LS_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return do_sigaction(sig, act, old);
}

/* ---- the other ways to set a handler (as glibc 2.36 does them) --------- */

/* handler with flags, the signal itself masked while it runs if mask_self;
 * returns the previous handler. */
static __sighandler_t simple_action(int sig, __sighandler_t handler, int flags, int mask_self)
{
    struct sigaction act, oact;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    sigemptyset(&act.sa_mask);
    if (mask_self)
        sigaddset(&act.sa_mask, sig);
    act.sa_flags = flags;
    if (do_sigaction(sig, &act, &oact) < 0)
        return SIG_ERR;
    return oact.sa_handler;
}

static __sighandler_t bsd_style(int sig, __sighandler_t handler)
{
    if (handler == SIG_ERR || sig < 1 || sig >= _NSIG || is_internal(sig)) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return simple_action(sig, handler, sigismember(&sigintr, sig) == 1 ? 0 : SA_RESTART, 1);
}

LS_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
    return bsd_style(sig, handler);
}

LS_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
    return bsd_style(sig, handler);
}

LS_EXPORT __sighandler_t ssignal(int sig, __sighandler_t handler)
{
    return bsd_style(sig, handler);
}

/* One-shot, not masked, system calls interrupted. */
static __sighandler_t sysv_style(int sig, __sighandler_t handler)
{
    if (handler == SIG_ERR || sig < 1 || sig >= _NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return simple_action(sig, handler, (int)(SA_ONESHOT | SA_NOMASK | SA_INTERRUPT) & ~SA_RESTART,
                         0);
}

LS_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
    return sysv_style(sig, handler);
}

LS_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t handler)
{
    return sysv_style(sig, handler);
}

LS_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
    sigset_t set, oset;
    sigemptyset(&set);
    if (sigaddset(&set, sig) < 0)
        return SIG_ERR;
    if (disp == SIG_HOLD) {
        struct sigaction oact;
        if (sigprocmask(SIG_BLOCK, &set, &oset) < 0)
            return SIG_ERR;
        if (sigismember(&oset, sig) == 1)
            return SIG_HOLD;
        if (do_sigaction(sig, NULL, &oact) < 0)
            return SIG_ERR;
        return oact.sa_handler;
    }
    __sighandler_t prev = simple_action(sig, disp, 0, 0);
    if (prev == SIG_ERR || sigprocmask(SIG_UNBLOCK, &set, &oset) < 0)
        return SIG_ERR;
    return sigismember(&oset, sig) == 1 ? SIG_HOLD : prev;
}

LS_EXPORT int sigignore(int sig)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = SIG_IGN;
    sigemptyset(&act.sa_mask);
    return do_sigaction(sig, &act, NULL);
}

LS_EXPORT int siginterrupt(int sig, int interrupt)
{
    struct sigaction action;
    if (do_sigaction(sig, NULL, &action) < 0)
        return -1;
    if (interrupt) {
        sigaddset(&sigintr, sig);
        action.sa_flags &= ~SA_RESTART;
    } else {
        sigdelset(&sigintr, sig);
        action.sa_flags |= SA_RESTART;
    }
    return do_sigaction(sig, &action, NULL) < 0 ? -1 : 0;
}

/* ---- signal masks -------------------------------------------------------
 * Watchpoint traps arrive as SIGTRAP in the accessing thread.  A thread
 * that blocks every signal (servers often leave signals to one thread)
 * would keep trapping in the kernel with the signal never delivered, every
 * access paying for it: SIGTRAP, a synchronous signal nobody can route
 * elsewhere anyway, is left unblocked while watchpoints are on. */
static int keep_trap(int how, const sigset_t *set, sigset_t *copy)
{
    if (!set || how == SIG_UNBLOCK || ls_guard || !(ls_watching() || ls_pyr_watching()) ||
        sigismember(set, SIGTRAP) != 1)
        return 0;
    *copy = *set;
    sigdelset(copy, SIGTRAP);
    static _Atomic int noted;
    if (!atomic_exchange(&noted, 1))
        ls_writer_note(LS_NOTE_INFO, "the program blocks SIGTRAP; it is left unblocked for "
                                     "the watchpoints");
    return 1;
}

/* Where libunwind is mapped (its lowest and highest loaded address), found
 * once at start: the masks below are told from a program's by their
 * caller's address alone.  dladdr there cost ~2 ms of a short Python
 * script (a symbol-table scan per call) and takes the loader's lock. */
static uintptr_t unwinder_lo, unwinder_hi;

static int find_unwinder(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t want = (uintptr_t)arg, lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    if (want < lo || want >= hi)
        return 0;
    unwinder_lo = lo;
    unwinder_hi = hi;
    return 1;
}

/* libunwind's masks around dl_iterate_phdr, while the shim unwinds
 * (stacks.c says why they are not needed then): the mask is left as it is,
 * and so is what libunwind restores afterwards. */
static int unwinder_mask(const void *caller, sigset_t *old)
{
    if (!ls_unwinding)
        return 0;
    /* libunwind's own call, not a signal handler's of the program that
     * interrupted the unwind */
    uintptr_t c = (uintptr_t)caller;
    if (c < unwinder_lo || c >= unwinder_hi)
        return 0;
    if (old)
        sigemptyset(old);
    return 1;
}

LS_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (unwinder_mask(__builtin_return_address(0), old))
        return 0;
    static int (*real)(int, const sigset_t *, sigset_t *);
    if (!real)
        real = dlsym(RTLD_NEXT, "pthread_sigmask");
    if (!real)
        return ENOSYS;
    sigset_t copy;
    return real(how, keep_trap(how, set, &copy) ? &copy : set, old);
}

LS_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (unwinder_mask(__builtin_return_address(0), old))
        return 0;
    static int (*real)(int, const sigset_t *, sigset_t *);
    if (!real)
        real = dlsym(RTLD_NEXT, "sigprocmask");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    sigset_t copy;
    return real(how, keep_trap(how, set, &copy) ? &copy : set, old);
}

/* ---- start and fork ---------------------------------------------------- */

void ls_signals_init(void)
{
    int saved_errno = errno;
    real_action(0, NULL, NULL); /* resolve now, not in a handler */
    errno = saved_errno;
    rtmin = SIGRTMIN;
    rtmax = SIGRTMAX < _NSIG ? SIGRTMAX : _NSIG - 1;
    owner_pid = getpid();
    if (!unwinder_hi)
        dl_iterate_phdr(find_unwinder, (void *)(uintptr_t)unw_backtrace);
    /* A namespace's init is not killed by a signal it leaves at SIG_DFL:
     * a handler would make such a signal arrive. */
    owning = owner_pid != 1;
    if (!owning)
        return;
    sigset_t saved;
    lock_table(&saved);
    for (int sig = 1; sig <= rtmax; sig++)
        if (fatal_by_default(sig))
            take_if_dfl(sig);
    unlock_table(&saved);
}

void ls_signals_after_fork_child(void)
{
    tab_spin.v = 0;
    owner_pid = getpid();
}
