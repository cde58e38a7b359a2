/*
 * exec*: the trace of the old program is finished (END, flushed) before the
 * image is replaced; the new program loads the shim again (LD_PRELOAD is
 * inherited) and writes a file of its own.  glibc's exec functions call
 * each other internally, past any interposition, so each is wrapped.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "timeline.h"
#include "wrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

static void before_exec(void)
{
    ls_signals_before_exec();
    if (atomic_load(&ls_active) && ls_writer_mine()) {
        ls_tl_write_all(0);
        ls_writer_end(-1, LS_END_EXEC);
    }
}

static void after_failed_exec(void)
{
    int saved = errno;
    ls_signals_exec_failed();
    if (atomic_load(&ls_active) && ls_writer_mine())
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
    before_exec();
    int r = real_execve(path, argv, envp);
    after_failed_exec();
    return r;
}

LS_EXPORT int execv(const char *path, char *const argv[])
{
    NEXT(execv, execv_fn);
    before_exec();
    int r = real_execv(path, argv);
    after_failed_exec();
    return r;
}

LS_EXPORT int execvp(const char *file, char *const argv[])
{
    NEXT(execvp, execv_fn);
    before_exec();
    int r = real_execvp(file, argv);
    after_failed_exec();
    return r;
}

LS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    NEXT(execvpe, execve_fn);
    before_exec();
    int r = real_execvpe(file, argv, envp);
    after_failed_exec();
    return r;
}

LS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    NEXT(fexecve, fexecve_fn);
    before_exec();
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
