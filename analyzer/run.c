/*
 * lockscope run: start the program with the shim preloaded, wait for it,
 * analyze what it (and every process it started) recorded, report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
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

static char *make_out_dir(const char *given)
{
    if (given) {
        if (mkdir(given, 0700) != 0 && errno != EEXIST)
            die("cannot create trace directory '%s': %s", given, strerror(errno));
        struct stat st;
        if (stat(given, &st) != 0 || !S_ISDIR(st.st_mode))
            die("trace directory '%s' is not a directory", given);
        char *abs = realpath(given, NULL);
        if (!abs)
            die("cannot resolve trace directory '%s': %s", given, strerror(errno));
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

static pid_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

int ls_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"json", required_argument, NULL, 'j'},
        {"exitcode", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *json = NULL;
    int exitcode = 66, c;
    opterr = 0;
    /* '+': stop at the program's name, its options are its own. */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j': json = optarg; break;
        case 'e': exitcode = ls_parse_exitcode(optarg); break;
        case 'h': execlp("lockscope", "lockscope", "--help", (char *)NULL); return 0;
        default: ls_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        ls_usage_error("run needs a program to run");
    char **prog = argv + optind;

    char *shim = find_shim();
    char *dir = make_out_dir(out);
    set_preload(shim);
    setenv("LOCKSCOPE_OUT", dir, 1);

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
    int status;
    if (WIFEXITED(wst)) {
        status = WEXITSTATUS(wst);
    } else {
        status = 128 + WTERMSIG(wst);
        fprintf(stderr, "lockscope: '%s' was killed by signal %d (%s)\n", prog[0],
                WTERMSIG(wst), strsignal(WTERMSIG(wst)));
    }
    if (WIFEXITED(wst) && status == 127) {
        /* exec failed (already said) or the program's own 127: the traces tell. */
    }
    struct ls_report r;
    char *dirs[] = {dir};
    if (ls_analyze(dirs, 1, json, &r) != 0) {
        ls_report_free(&r);
        fprintf(stderr, "lockscope: traces kept in '%s'\n", dir);
        return 2;
    }
    ls_report_text(stderr, &r);
    fprintf(stderr, "lockscope: traces in '%s'%s%s\n", dir, json ? ", JSON report in " : "",
            json ? json : "");
    int found = r.nfindings > 0;
    ls_report_free(&r);
    free(shim);
    free(dir);
    return found ? exitcode : status;
}
