/*
 * lockscope run: start the program with the shim preloaded, wait for it,
 * analyze what it (and every process it started) recorded, report.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "globals.h"
#include "symbolize.h"
#include "reports.h"
#include "util.h"

/* The shim lives at a fixed place relative to this executable, both in the
 * build tree and once installed (LS_REL_SHIM); LOCKSCOPE_SHIM overrides. */
static char *find_shim(void)
{
    const char *env = getenv("LOCKSCOPE_SHIM");
    if (env && *env) {
        if (access(env, R_OK) != 0)
            die("cannot use LOCKSCOPE_SHIM '%s': %s", env, strerror(errno));
        return realpath(env, NULL);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("cannot find the lockscope executable: %s", strerror(errno));
    self[n] = 0;
    char *slash = strrchr(self, '/');
    *slash = 0;
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s/%s", self, LS_REL_SHIM);
    char *real = realpath(sb.buf, NULL);
    if (!real)
        die("cannot find the shim '%s': %s", sb.buf, strerror(errno));
    sb_free(&sb);
    return real;
}

/* A trace file's name as the shim writes it: lockscope.PID.trace or
 * lockscope.PID.N.trace. */
static int is_trace_name(const char *name)
{
    const char *p = name;
    if (strncmp(p, "lockscope.", 10) != 0)
        return 0;
    p += 10;
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
        if (!strcmp(p, ".trace"))
            return 1;
        if (*p++ != '.')
            return 0;
    }
    return 0;
}

/* The traces of an earlier run in the same directory would be reported
 * again with this run's: they go (nothing else in the directory does). */
static void remove_old_traces(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        die("cannot read trace directory '%s': %s", dir, strerror(errno));
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_trace_name(e->d_name))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0)
            die("cannot remove '%s/%s', a trace of an earlier run: %s", dir, e->d_name,
                strerror(errno));
        removed++;
    }
    closedir(d);
    if (removed)
        fprintf(stderr, "lockscope: removed %zu trace%s of an earlier run from '%s'\n", removed,
                removed == 1 ? "" : "s", dir);
}

/* Trace names are predictable (lockscope.PID.trace): in a directory that
 * someone else can write to (a shared /tmp, sticky or not), they could
 * create those names first, or replace the traces before they are read.
 * The shim refuses such a directory too (preload/writer.c); refusing it
 * here says so before the program is started.  The effective uid is the
 * one that owns what the shim creates. */
static void check_out_dir(const char *given, const struct stat *st)
{
    uid_t me = geteuid();
    if (st->st_uid != me)
        die("cannot use trace directory '%s': it belongs to uid %u, not to you (uid %u)", given,
            (unsigned)st->st_uid, (unsigned)me);
    if (st->st_mode & S_IWOTH)
        die("cannot use trace directory '%s': it is writable by other users (mode %04o)", given,
            (unsigned)(st->st_mode & 07777));
    if (st->st_mode & S_IWGRP)
        die("cannot use trace directory '%s': it is writable by its group (mode %04o)", given,
            (unsigned)(st->st_mode & 07777));
}

/* 0 if the shim can create its traces in abs, else the errno.  Trying is
 * the only test that holds for root and for read-only file systems alike. */
static int unwritable(const char *abs)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s/.lockscope-probe.XXXXXX", abs);
    int fd = mkstemp(sb.buf), err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        close(fd);
        unlink(sb.buf);
    }
    sb_free(&sb);
    return err;
}

/* Set when --out cannot take traces: the program then runs without the
 * shim, after one warning with the cause (rather than one from the shim in
 * every process, and a report that blames the programs). */
static int out_err;

static char *make_out_dir(const char *given)
{
    if (given) {
        if (mkdir(given, 0700) != 0 && errno != EEXIST)
            die("cannot create trace directory '%s': %s", given, strerror(errno));
        struct stat st;
        if (stat(given, &st) != 0 || !S_ISDIR(st.st_mode))
            die("trace directory '%s' is not a directory", given);
        check_out_dir(given, &st);
        char *abs = realpath(given, NULL);
        if (!abs)
            die("cannot resolve trace directory '%s': %s", given, strerror(errno));
        out_err = unwritable(abs);
        if (out_err)
            fprintf(stderr, "lockscope: warning: cannot create trace files in trace directory '%s': "
                            "%s; tracing disabled (the program runs untraced)\n",
                    given, strerror(out_err));
        else
            remove_old_traces(abs);
        return abs;
    }
    const char *tmp = getenv("TMPDIR");
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s/lockscope.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sb.buf))
        die("cannot create a trace directory in '%s': %s", tmp && *tmp ? tmp : "/tmp",
            strerror(errno));
    return sb_detach(&sb);
}

/* --timeline: the shim records the timeline, unless LOCKSCOPE_OPTIONS
 * already says how (timeline=N, 0 included). */
static void ask_timeline(void)
{
    const char *old = getenv("LOCKSCOPE_OPTIONS");
    for (const char *s = old; s && *s;) {
        while (*s == ':' || *s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!strncmp(s, "timeline=", 9))
            return;
        while (*s && *s != ':' && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
    }
    struct strbuf sb;
    sb_init(&sb);
    if (old && *old)
        sb_printf(&sb, "%s:", old);
    sb_adds(&sb, "timeline=4096");
    setenv("LOCKSCOPE_OPTIONS", sb.buf, 1);
    sb_free(&sb);
}

static void set_preload(const char *shim)
{
    const char *old = getenv("LD_PRELOAD");
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, shim);
    if (old && *old)
        sb_printf(&sb, ":%s", old);
    setenv("LD_PRELOAD", sb.buf, 1);
    sb_free(&sb);
}

/* With a hardware watchpoint armed anywhere in a thread, the CPU's fast
 * string instructions (rep stos, rep movs) go one element at a time: one
 * breakpoint on an unrelated global made glibc's memset of 8 MB twenty
 * times slower here (17 ms -> 305 ms for 100).  glibc uses them above a
 * few KB; the program is asked to use its vector loops instead, which
 * compute the same (GLIBC_TUNABLES, read when it starts, inherited by what
 * it runs), unless it set these thresholds itself. */
static void set_tunables(void)
{
    static const char *const keys[] = {"glibc.cpu.x86_rep_stosb_threshold",
                                       "glibc.cpu.x86_rep_movsb_threshold"};
    const char *old = getenv("GLIBC_TUNABLES");
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, old ? old : "");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!old || !strstr(old, keys[i]))
            sb_printf(&sb, "%s%s=1000000000000", sb.len ? ":" : "", keys[i]);
    setenv("GLIBC_TUNABLES", sb.buf, 1);
    sb_free(&sb);
}

/* Finds PROGRAM as execvp would; NULL if not found. */
static char *resolve_program(const char *prog)
{
    if (strchr(prog, '/'))
        return xstrdup(prog);
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/bin:/usr/bin";
    char *copy = xstrdup(path);
    char *found = NULL;
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s/%s", *d ? d : ".", prog);
        if (access(sb.buf, X_OK) == 0)
            found = sb_detach(&sb);
        else
            sb_free(&sb);
    }
    free(copy);
    return found;
}

/* What the program's globals are (globals.h), for the shim
 * (LOCKSCOPE_GLOBALS=EXE:list, format in preload/candidates.c): its _Atomic
 * globals are its own synchronization, followed so that data published
 * through them is not taken for a race; synchronization objects are never
 * watched; globals atomic instructions access are followed too; globals
 * the code writes are watched first.  The shim has no
 * DWARF reader and scans no code: the command reads the file once, here.
 * The list is kept well below what one environment string may hold. */
#define LS_GLOBALS_MAX (64u << 10)

static void set_globals(const char *path)
{
    char *real = path ? realpath(path, NULL) : NULL;
    /* A CPython interpreter: the shim watches no globals there (they are
     * the interpreter's, guarded by its GIL), and reading its large code
     * would cost more than a short script's whole run. */
    const char *base = real ? strrchr(real, '/') : NULL;
    if (base && strncmp(base + 1, "python", 6) == 0) {
        unsetenv("LOCKSCOPE_GLOBALS");
        free(real);
        return;
    }
    const struct ls_globals *g = real ? ls_globals_of(real) : NULL;
    char *hint = g ? ls_globals_hint(g, LS_GLOBALS_MAX) : NULL;
    if (hint && *hint) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s:%s", real, hint);
        setenv("LOCKSCOPE_GLOBALS", sb.buf, 1);
        sb_free(&sb);
    } else {
        unsetenv("LOCKSCOPE_GLOBALS");
    }
    free(hint);
    free(real);
}

/* Why the shim cannot be loaded into the program at path, or NULL if it
 * can (or the file is not an ELF executable, e.g. a script: its
 * interpreter is what runs). */
static const char *untraceable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    if (st.st_mode & S_ISUID)
        return "set-uid";
    if (st.st_mode & S_ISGID)
        return "set-gid";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    const char *why = NULL;
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
        !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
        (eh.e_type == ET_EXEC || eh.e_type == ET_DYN)) {
        int interp = 0, dynamic = 0;
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            off_t at = (off_t)(eh.e_phoff + i * sizeof ph);
            if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
                break;
            interp |= ph.p_type == PT_INTERP;
            dynamic |= ph.p_type == PT_DYNAMIC;
        }
        /* A shared library run as a program has neither; a static-pie
         * binary has PT_DYNAMIC but no interpreter. */
        if (!interp && (eh.e_type == ET_EXEC || dynamic))
            why = "statically linked";
    }
    close(fd);
    return why;
}

static char *join_command(char **argv)
{
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; argv[i]; i++) {
        if (i)
            sb_adds(&sb, " ");
        const char *a = argv[i];
        if (*a && !a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "-_./=:,+@%")]) {
            sb_adds(&sb, a);
            continue;
        }
        sb_adds(&sb, "'");
        for (; *a; a++) {
            if (*a == '\'')
                sb_adds(&sb, "'\\''");
            else
                sb_add(&sb, a, 1);
        }
        sb_adds(&sb, "'");
    }
    return sb_detach(&sb);
}

static pid_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void add_note(struct ls_report_ctx *ctx, char *note)
{
    ctx->notes = xrealloc(ctx->notes, (ctx->nnotes + 1) * sizeof *ctx->notes);
    ctx->notes[ctx->nnotes++] = note;
}

int ls_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"no-html", no_argument, NULL, LS_OPT_NO_HTML},
        LS_COMMON_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct ls_opts o;
    ls_opts_init(&o);
    const char *out = NULL;
    int c;
    opterr = 0;
    /* '+': stop at the program's name, its options are its own. */
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == LS_OPT_NO_HTML)
            o.no_html = 1;
        else if (!ls_opts_handle(&o, c, optarg, argv))
            ls_usage_error("unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc)
        ls_usage_error("run needs a program to run");
    char **prog = argv + optind;
    if (ls_opts_load(&o) != 0) {
        ls_opts_free(&o);
        return 2;
    }

    char *shim = find_shim();
    char *dir = make_out_dir(out);
    struct ls_report_ctx ctx = {.status = -1, .duration_s = -1};
    ctx.command = join_command(prog);
    char *resolved = resolve_program(prog[0]);
    const char *why = resolved ? untraceable(resolved) : NULL;
    if (why) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "'%s' is %s: the shim cannot be loaded into it, so it is not checked "
                       "(programs it starts are, if they are dynamically linked)",
                  prog[0], why);
        add_note(&ctx, sb_detach(&sb)); /* printed with the report */
    }
    set_globals(resolved);
    free(resolved);
    if (!out_err) {
        set_preload(shim);
        set_tunables();
        setenv("LOCKSCOPE_OUT", dir, 1);
    }
    if (o.timeline)
        ask_timeline();

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(NULL);
    child_pid = fork();
    if (child_pid < 0)
        die("cannot fork: %s", strerror(errno));
    if (child_pid == 0) {
        execvp(prog[0], prog);
        fprintf(stderr, "lockscope: error: cannot run '%s': %s\n", prog[0], strerror(errno));
        _exit(127);
    }
    /* Terminal signals reach the program directly (same process group);
     * a kill sent to lockscope itself is passed on. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTERM, forward_signal);
    signal(SIGHUP, forward_signal);
    int wst;
    while (waitpid(child_pid, &wst, 0) < 0) {
        if (errno != EINTR)
            die("cannot wait for '%s': %s", prog[0], strerror(errno));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ctx.duration_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int status;
    if (WIFEXITED(wst)) {
        status = WEXITSTATUS(wst);
    } else {
        status = 128 + WTERMSIG(wst);
        ctx.signal = WTERMSIG(wst);
        fprintf(stderr, "lockscope: '%s' was killed by signal %d (%s)\n", prog[0],
                WTERMSIG(wst), strsignal(WTERMSIG(wst)));
    }
    ctx.status = status;
    /* exec failed (already said) or the program's own 127: the traces tell. */
    struct ls_report r;
    char *dirs[] = {dir};
    if (out_err) {
        /* Nothing was traced; the reports say why, and are written. */
        memset(&r, 0, sizeof r);
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "no trace could be created in '%s' (%s): nothing was checked", dir,
                  strerror(out_err));
        add_note(&ctx, sb_detach(&sb));
    } else if (ls_analyze(dirs, 1, &r, &ctx) != 0) {
        ls_report_free(&r);
        ls_report_ctx_free(&ctx);
        ls_opts_free(&o);
        fprintf(stderr, "lockscope: traces kept in '%s'\n", dir);
        return 2;
    }
    int traced = 0;
    for (size_t i = 0; i < r.nprocs && !traced; i++)
        traced = r.procs[i].pid == (uint32_t)child_pid;
    if (!traced && !why && !out_err && !(WIFEXITED(wst) && status == 127)) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "'%s' wrote no trace: it was not checked (a statically linked or "
                       "set-uid program, or LD_PRELOAD was removed)",
                  prog[0]);
        add_note(&ctx, sb_detach(&sb));
    }
    if (!o.html && !o.no_html && !out_err) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s/report.html", dir);
        ctx.html_path = sb_detach(&sb);
    }
    if (!out_err)
        ctx.trace_dir = xstrdup(dir);
    int failing = ls_finish(&o, &r, &ctx, stderr);
    /* A program that failed by itself keeps its status: findings must not
     * hide a failing test suite.  One that lockscope ended for a deadlock
     * failed because of the finding. */
    int ended = 0;
    for (size_t i = 0; i < r.nfindings; i++)
        ended |= r.findings[i].ended;
    int own_failure = status != 0 && !ended && !o.exitcode_set;
    ls_report_free(&r);
    ls_report_ctx_free(&ctx);
    ls_opts_free(&o);
    free(shim);
    free(dir);
    if (failing < 0)
        return 2;
    return failing > 0 && !own_failure ? o.exitcode : status;
}
