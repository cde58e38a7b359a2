/*
 * The trace writer: one file per process, one buffer per process.
 *
 * Records are written only when something is new (a lock, an edge, a stack,
 * a thread), so a single buffer behind a spinlock is cheap enough and keeps
 * whole records together.  The buffer is flushed when full, before fork, at
 * exit and at fatal signals.
 */
#define _GNU_SOURCE
#include "edges.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUF_SIZE (256u << 10)

uint32_t ls_file_gen = 1;

static struct ls_spin spin;
static int fd = -1;
static char path[PATH_MAX + 64];
static char buf[BUF_SIZE];
static size_t used;
static int ended;
static pid_t owner_pid;       /* the process this file belongs to */
static dev_t file_dev;        /* identity of the trace file behind fd */
static ino_t file_ino;

/* The program may close every descriptor (closefrom, a daemon's start-up)
 * and open files of its own that get our number: before writing, check
 * that fd is still our file, and open it again (by path) if not.  Returns 0
 * if fd is ours. */
static int check_fd(void)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == file_dev && st.st_ino == file_ino)
        return 0;
    int nfd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0)
        return -1;
    if (fstat(nfd, &st) != 0 || st.st_dev != file_dev || st.st_ino != file_ino) {
        close(nfd);
        return -1;
    }
    /* Out of the way of the numbers programs reuse. */
    int high = fcntl(nfd, F_DUPFD_CLOEXEC, 512);
    if (high >= 0) {
        close(nfd);
        nfd = high;
    }
    fd = nfd;
    return 0;
}

/* The writer's own mask changes go to the kernel directly: the program's
 * pthread_sigmask wrapper may write a note, through the lock held here. */
static void own_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    syscall(SYS_rt_sigprocmask, how, set, old, (size_t)(_NSIG / 8));
}

/* Writes everything or fails; a file-size limit (ulimit -f) must not kill
 * the program with SIGXFSZ, so that signal is held back around the write. */
static int write_all(const char *p, size_t n)
{
    sigset_t xfsz, old;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    own_sigmask(SIG_BLOCK, &xfsz, &old);
    int err = 0;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    if (err == EFBIG) {
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    own_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

/* Caller holds spin. */
static void flush_locked(void)
{
    if (fd < 0 || used == 0)
        return;
    if (check_fd() != 0) {
        used = 0;
        fd = -1;
        atomic_store(&ls_active, 0);
        ls_warn("lockscope: warning: the program closed the trace '%s'; tracing disabled",
                path);
        return;
    }
    int err = write_all(buf, used);
    used = 0;
    if (err) {
        int saved = errno;
        close(fd);
        fd = -1;
        atomic_store(&ls_active, 0);
        ls_warn("lockscope: warning: cannot write trace '%s': %s; tracing disabled", path,
                strerror(err));
        errno = saved;
    }
}

static void append_locked(uint16_t type, const void *a, size_t alen, const void *b, size_t blen,
                          const void *c, size_t clen)
{
    size_t size = alen + blen + clen;
    size_t total = sizeof(struct ls_rec_header) + ((size + LS_TRACE_ALIGN - 1) & ~(size_t)(LS_TRACE_ALIGN - 1));
    if (fd < 0 || size > LS_TRACE_MAX_RECORD || total > BUF_SIZE)
        return;
    if (used + total > BUF_SIZE)
        flush_locked();
    if (fd < 0)
        return;
    struct ls_rec_header h = {.type = type, .flags = 0, .size = (uint32_t)size};
    char *p = buf + used;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    if (alen)
        memcpy(p, a, alen);
    p += alen;
    if (blen)
        memcpy(p, b, blen);
    p += blen;
    if (clen)
        memcpy(p, c, clen);
    p += clen;
    memset(p, 0, (size_t)(buf + used + total - p));
    used += total;
}

void ls_writer_record(uint16_t type, const void *a, size_t alen, const void *b, size_t blen,
                      const void *c, size_t clen)
{
    int saved = errno;
    ls_spin_lock(&spin);
    append_locked(type, a, alen, b, blen, c, clen);
    ls_spin_unlock(&spin);
    errno = saved;
}

int ls_writer_record_try(uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    for (int i = 0; i < 1000; i++) {
        if (ls_spin_trylock(&spin)) {
            append_locked(type, a, alen, b, blen, NULL, 0);
            ls_spin_unlock(&spin);
            return 0;
        }
        __builtin_ia32_pause();
    }
    return -1;
}

int ls_writer_append_only(uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    int saved = errno;
    size_t size = alen + blen;
    size_t total = sizeof(struct ls_rec_header) +
                   ((size + LS_TRACE_ALIGN - 1) & ~(size_t)(LS_TRACE_ALIGN - 1));
    ls_spin_lock(&spin);
    int ok = fd >= 0 && size <= LS_TRACE_MAX_RECORD && used + total <= BUF_SIZE;
    if (ok)
        append_locked(type, a, alen, b, blen, NULL, 0); /* room: no flush */
    ls_spin_unlock(&spin);
    errno = saved;
    return ok ? 0 : -1;
}

void ls_writer_flush(void)
{
    int saved = errno;
    ls_edges_flush_all(0);
    ls_spin_lock(&spin);
    flush_locked();
    ls_spin_unlock(&spin);
    errno = saved;
}

void ls_writer_flush_async(void)
{
    /* The interrupted code may hold the buffer; then a partial flush could
     * tear a record, so give up after a short wait. */
    ls_edges_flush_all(1);
    for (int i = 0; i < 1000; i++) {
        if (ls_spin_trylock(&spin)) {
            flush_locked();
            ls_spin_unlock(&spin);
            return;
        }
        __builtin_ia32_pause();
    }
}

void ls_writer_note(uint32_t code, const char *msg)
{
    struct ls_rec_note n = {.code = code, .msg_len = (uint32_t)strlen(msg)};
    ls_writer_record(LS_REC_NOTE, &n, sizeof n, msg, n.msg_len, NULL, 0);
}

/* /proc/self/cmdline: argv as NUL-separated strings. */
static size_t read_cmdline(char *out, size_t cap, uint32_t *argc)
{
    int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    *argc = 0;
    if (cfd >= 0) {
        ssize_t r;
        while (n < cap && (r = read(cfd, out + n, cap - n)) > 0)
            n += (size_t)r;
        close(cfd);
    }
    if (n == cap) { /* cut: end on a complete string */
        while (n > 0 && out[n - 1] != 0)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] == 0)
            (*argc)++;
    return n;
}

static void write_prologue(uint32_t parent_tid)
{
    static char cmd[16384];
    size_t el;
    const char *exe = ls_exe_path(&el);
    uint32_t argc;
    size_t cl = read_cmdline(cmd, sizeof cmd, &argc);
    struct ls_rec_process pr = {
        .pid = (uint32_t)getpid(),
        .ppid = (uint32_t)getppid(),
        .argc = argc,
        .exe_len = (uint32_t)el,
        .parent_tid = parent_tid,
    };
    ls_writer_record(LS_REC_PROCESS, &pr, sizeof pr, exe, (size_t)el, cmd, cl);
    ls_modules_rewrite();
    /* A watch turned off by an option: the reports must not claim it. */
    if (!ls_opt.deadlock)
        ls_writer_note(LS_NOTE_DEADLOCK_OFF, "live deadlocks and stalls were not watched "
                                             "(LOCKSCOPE_OPTIONS=deadlock=off)");
    else if (ls_opt.stall_ms == 0)
        ls_writer_note(LS_NOTE_STALL_OFF, "stalls were not watched (LOCKSCOPE_OPTIONS=stall_ms=0)");
}

/* Trace names are predictable (lockscope.PID.trace): in a directory that
 * someone else can write to (a shared /tmp, sticky or not) they could take
 * those names first, or replace a trace before it is read.  Such a
 * directory is refused, as `lockscope run --out` refuses it.  Returns the
 * directory, opened (O_PATH: it is only created in, never listed), or -1
 * after the one warning.  The effective uid owns what we create. */
static int open_out_dir(void)
{
    int dfd = open(ls_opt.out_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (dfd < 0 || fstat(dfd, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            ls_warn("lockscope: warning: trace directory '%s' does not exist; tracing disabled",
                    ls_opt.out_dir);
        else
            ls_warn("lockscope: warning: cannot open trace directory '%s': %s; tracing disabled",
                    ls_opt.out_dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    uid_t me = geteuid();
    char why[96] = "";
    if (st.st_uid != me)
        snprintf(why, sizeof why, "it belongs to uid %u, not to you (uid %u)",
                 (unsigned)st.st_uid, (unsigned)me);
    else if (st.st_mode & S_IWOTH)
        snprintf(why, sizeof why, "it is writable by other users (mode %04o)",
                 (unsigned)(st.st_mode & 07777));
    else if (st.st_mode & S_IWGRP)
        snprintf(why, sizeof why, "it is writable by its group (mode %04o)",
                 (unsigned)(st.st_mode & 07777));
    if (why[0]) {
        ls_warn("lockscope: warning: cannot use trace directory '%s': %s; tracing disabled",
                ls_opt.out_dir, why);
        close(dfd);
        return -1;
    }
    return dfd;
}

static int open_file(void)
{
    int dfd = open_out_dir();
    if (dfd < 0)
        return -1;
    int pid = getpid();
    /* Created in the directory just checked, whatever its path names now. */
    for (int n = 0; n < 1000; n++) {
        char name[64];
        if (n == 0)
            snprintf(name, sizeof name, "lockscope.%d.trace", pid);
        else
            snprintf(name, sizeof name, "lockscope.%d.%d.trace", pid, n);
        snprintf(path, sizeof path, "%s/%s", ls_opt.out_dir, name);
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND,
                    0600);
        if (fd >= 0)
            break;
        if (errno != EEXIST) {
            ls_warn("lockscope: warning: cannot create trace '%s': %s; tracing disabled", path,
                    strerror(errno));
            close(dfd);
            return -1;
        }
    }
    close(dfd);
    if (fd < 0)
        return -1;
    owner_pid = pid;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 512);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat fst;
    if (fstat(fd, &fst) == 0) {
        file_dev = fst.st_dev;
        file_ino = fst.st_ino;
    }
    struct ls_file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, LS_TRACE_MAGIC, sizeof LS_TRACE_MAGIC);
    h.version = LS_TRACE_VERSION;
    h.header_size = sizeof h;
    h.pid = (uint32_t)pid;
    h.ppid = (uint32_t)getppid();
    h.start_ns = ls_now_ns();
    if (write_all((const char *)&h, sizeof h) != 0) {
        ls_warn("lockscope: warning: cannot write trace '%s': %s; tracing disabled", path,
                strerror(errno));
        close(fd);
        fd = -1;
        return -1;
    }
    if (ls_opt.verbosity > 0)
        ls_warn("lockscope: tracing to '%s'", path);
    return 0;
}

int ls_writer_open(void)
{
    if (open_file() != 0)
        return -1;
    write_prologue(0);
    return 0;
}

int ls_writer_mine(void)
{
    /* A vfork child (posix_spawn, the gcc driver) shares our memory, fd and
     * buffer but is another process: it must not write into our file. */
    return getpid() == owner_pid;
}

void ls_writer_end(int status, uint32_t flags)
{
    ls_edges_flush_all(0);
    ls_spin_lock(&spin);
    if (!ended && fd >= 0) {
        struct ls_rec_end e = {.end_ns = ls_now_ns(), .status = status, .flags = flags};
        ended = 1;
        append_locked(LS_REC_END, &e, sizeof e, NULL, 0, NULL, 0);
    }
    flush_locked();
    ls_spin_unlock(&spin);
}

void ls_writer_exec_failed(void)
{
    ls_spin_lock(&spin);
    ended = 0;
    ls_spin_unlock(&spin);
    ls_writer_note(LS_NOTE_INFO, "exec failed; the process goes on");
}

/* In a forked child: the parent's unflushed records are the parent's (it
 * flushed before fork anyway); the child writes its own file. */
void ls_writer_after_fork_child(void)
{
    spin.v = 0;
    used = 0;
    ended = 0;
    if (fd >= 0)
        close(fd);
    fd = -1;
    if (open_file() != 0) {
        atomic_store(&ls_active, 0);
        return;
    }
    write_prologue(ls_self ? ls_self->tid : 0);
}
