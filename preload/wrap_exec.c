/*
 * exec* and posix_spawn*: the trace of the old program is finished (END,
 * flushed) before the image is replaced; the new program loads the shim
 * again (LD_PRELOAD is inherited) and writes a file of its own.  glibc's
 * exec functions call each other internally, past any interposition, so
 * each is wrapped.
 *
 * Each program started is written down first (LS_REC_EXEC: its path, the
 * process that runs it): one that then writes no trace (statically linked,
 * set-uid) is named by its own path in the report, however it was started:
 * exec in this process, exec in a vfork child (which shares our memory and
 * so writes into our buffer, under its lock, as a thread would; it must
 * not flush or end our file), or posix_spawn, whose child execs inside
 * glibc where no wrapper sees it.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "timeline.h"
#include "wrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note_start(uint32_t how, pid_t pid, uint64_t t, const char *path, int mine)
{
    if (!atomic_load(&ls_active) || !path)
        return;
    size_t n = strnlen(path, 4096);
    struct ls_rec_exec e = {.pid = (uint32_t)pid, .how = how, .time_ns = t,
                            .path_len = (uint32_t)n};
    if (mine)
        ls_writer_record(LS_REC_EXEC, &e, sizeof e, path, n, NULL, 0);
    else
        ls_writer_append_only(LS_REC_EXEC, &e, sizeof e, path, n);
}

/* The program execvp and posix_spawnp will run: file itself if it names a
 * path, else the first executable of that name in $PATH (as glibc searches
 * it), else file as given. */
static const char *search_path(const char *file, char *buf, size_t cap)
{
    if (!file || !*file || strchr(file, '/'))
        return file;
    const char *p = getenv("PATH");
    if (!p)
        p = "/bin:/usr/bin";
    size_t fl = strlen(file);
    while (*p) {
        const char *e = strchr(p, ':');
        size_t dl = e ? (size_t)(e - p) : strlen(p);
        if (dl + 1 + fl < cap) {
            if (dl == 0) {
                memcpy(buf, file, fl + 1); /* an empty entry: the current directory */
            } else {
                memcpy(buf, p, dl);
                buf[dl] = '/';
                memcpy(buf + dl + 1, file, fl + 1);
            }
            if (access(buf, X_OK) == 0)
                return buf;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return file;
}

static void before_exec(const char *path)
{
    int saved = errno;
    ls_signals_before_exec();
    int mine = ls_writer_mine();
    note_start(mine ? LS_EXEC_SELF : LS_EXEC_VFORK, getpid(), ls_now_ns(), path, mine);
    if (atomic_load(&ls_active) && mine) {
        ls_tl_write_all(0);
        ls_writer_end(-1, LS_END_EXEC);
    }
    errno = saved;
}

static void after_failed_exec(void)
{
    int saved = errno;
    ls_signals_exec_failed();
    int mine = ls_writer_mine();
    note_start(LS_EXEC_FAILED, getpid(), ls_now_ns(), "", mine);
    if (atomic_load(&ls_active) && mine)
        ls_writer_exec_failed();
    errno = saved;
}

#define NEXT(name, type)                                                           \
    static type real_##name;                                                       \
    if (!real_##name)                                                              \
        real_##name = (type)dlsym(RTLD_NEXT, #name);                               \
    if (!real_##name) {                                                            \
        errno = ENOSYS;                                                            \
        return -1;                                                                 \
    }

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

LS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    NEXT(execve, execve_fn);
    before_exec(path);
    int r = real_execve(path, argv, envp);
    after_failed_exec();
    return r;
}

LS_EXPORT int execv(const char *path, char *const argv[])
{
    NEXT(execv, execv_fn);
    before_exec(path);
    int r = real_execv(path, argv);
    after_failed_exec();
    return r;
}

LS_EXPORT int execvp(const char *file, char *const argv[])
{
    NEXT(execvp, execv_fn);
    char buf[4096];
    before_exec(search_path(file, buf, sizeof buf));
    int r = real_execvp(file, argv);
    after_failed_exec();
    return r;
}

LS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    NEXT(execvpe, execve_fn);
    char buf[4096];
    before_exec(search_path(file, buf, sizeof buf));
    int r = real_execvpe(file, argv, envp);
    after_failed_exec();
    return r;
}

LS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    NEXT(fexecve, fexecve_fn);
    char proc[64], buf[4096];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    before_exec(n > 0 ? buf : proc);
    int r = real_fexecve(fd, argv, envp);
    after_failed_exec();
    return r;
}

/* The execl family: collect the variadic arguments, then go through the
 * wrappers above. */
#define MAX_ARGS 4096
#define COLLECT(arg0, last_is_envp)                                                \
    char *argv[MAX_ARGS + 1];                                                      \
    char *const *envp = NULL;                                                      \
    int argc = 0;                                                                  \
    va_list ap;                                                                    \
    va_start(ap, arg0);                                                            \
    argv[argc++] = (char *)(arg0);                                                 \
    while (argv[argc - 1] != NULL) {                                               \
        if (argc == MAX_ARGS) {                                                    \
            va_end(ap);                                                            \
            errno = E2BIG;                                                         \
            return -1;                                                             \
        }                                                                          \
        argv[argc++] = va_arg(ap, char *);                                         \
    }                                                                              \
    if (last_is_envp)                                                              \
        envp = va_arg(ap, char *const *);                                          \
    va_end(ap);                                                                    \
    (void)envp;

LS_EXPORT int execl(const char *path, const char *arg, ...)
{
    COLLECT(arg, 0);
    return execv(path, argv);
}

LS_EXPORT int execlp(const char *file, const char *arg, ...)
{
    COLLECT(arg, 0);
    return execvp(file, argv);
}

LS_EXPORT int execle(const char *path, const char *arg, ...)
{
    COLLECT(arg, 1);
    return execve(path, argv, envp);
}

/* posix_spawn*: the child execs inside glibc, seen by no wrapper; noted
 * here once the call returned (the time taken before it, so that a trace
 * the child wrote, however soon, is known to be its). */
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);

LS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    static spawn_fn real;
    if (!real)
        real = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
    if (!real)
        return ENOSYS;
    uint64_t t = ls_now_ns();
    pid_t child = 0;
    int r = real(&child, path, fa, attr, argv, envp);
    if (pid)
        *pid = child;
    if (r == 0) {
        int saved = errno;
        note_start(LS_EXEC_SPAWN, child, t, path, 1);
        errno = saved;
    }
    return r;
}

LS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    static spawn_fn real;
    if (!real)
        real = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawnp");
    if (!real)
        return ENOSYS;
    uint64_t t = ls_now_ns();
    pid_t child = 0;
    int r = real(&child, file, fa, attr, argv, envp);
    if (pid)
        *pid = child;
    if (r == 0) {
        int saved = errno;
        char buf[4096];
        note_start(LS_EXEC_SPAWN, child, t, search_path(file, buf, sizeof buf), 1);
        errno = saved;
    }
    return r;
}
