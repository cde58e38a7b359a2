/* Starts PROGRAM the way the first argument says and waits for it:
 *   spawn   posix_spawn (glibc's child execs where no wrapper sees it)
 *   spawnp  posix_spawnp, PROGRAM looked up in $PATH
 *   vfork   vfork, then execv in the child
 *   fork    fork, then execv in the child
 *   system  system() (a shell, which execs PROGRAM)
 * usage: pr_spawn HOW PROGRAM [ARGS...]; exits with PROGRAM's status. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pr_spawn spawn|spawnp|vfork|fork|system PROGRAM [ARGS...]\n");
        return 2;
    }
    const char *how = argv[1];
    char **args = argv + 2;
    pid_t pid = -1;
    int st = 0;
    if (!strcmp(how, "spawn") || !strcmp(how, "spawnp")) {
        int r = !strcmp(how, "spawn") ? posix_spawn(&pid, args[0], NULL, NULL, args, environ)
                                      : posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
        if (r != 0) {
            fprintf(stderr, "pr_spawn: cannot start %s\n", args[0]);
            return 127;
        }
    } else if (!strcmp(how, "vfork") || !strcmp(how, "fork")) {
        pid = !strcmp(how, "vfork") ? vfork() : fork();
        if (pid == 0) {
            execv(args[0], args);
            _exit(127);
        }
    } else if (!strcmp(how, "system")) {
        st = system(args[0]);
        printf("pr_spawn: %s done\n", how);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    } else {
        return 2;
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 1;
    printf("pr_spawn: %s done\n", how);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
