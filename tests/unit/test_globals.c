/*
 * Unit tests for analyzer/globals_cache.c: what is kept between runs comes
 * back as it was, only for the same file, and a damaged, foreign or
 * unsafe entry is never used.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "globals.h"
#include "globals_cache.h"

static char dir[64], cache[96], prog[96];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ls-gcache-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cache, sizeof cache, "%s/cache", dir);
    cr_assert_eq(mkdir(cache, 0700), 0);
    snprintf(prog, sizeof prog, "%s/prog", dir);
    FILE *f = fopen(prog, "w");
    cr_assert_not_null(f);
    fputs("not really a program", f);
    fclose(f);
    setenv("LOCKSCOPE_CACHE_DIR", cache, 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static struct ls_gvar vars[] = {
    {0x4010, 8, "counter", LS_G_READ | LS_G_WRITE},
    {0x4020, 4, "flag", LS_G_ATOMIC_CODE | LS_G_READ},
    {0x4040, 64, "", 0},
};
static struct ls_grange atomics[] = {{0x4020, 4}, {0x4024, 1}};
static struct ls_gvar tls[] = {{0x10, 8, "slot", 0}};

static struct ls_globals sample(void)
{
    return (struct ls_globals){
        .vars = vars, .nvars = 3, .atomics = atomics, .natomics = 2, .code_scanned = 1,
        .tls = tls, .ntls = 1};
}

/* The one entry's path into out. */
static void entry(char *out, size_t n)
{
    DIR *d = opendir(cache);
    cr_assert_not_null(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "globals-", 8)) {
            snprintf(out, n, "%s/%s", cache, de->d_name);
            found++;
        }
    closedir(d);
    cr_assert_eq(found, 1, "%d entries", found);
}

TestSuite(gcache, .init = setup, .fini = teardown);

Test(gcache, round_trip)
{
    struct ls_globals g = sample(), back = {0};
    cr_assert_neq(ls_gcache_load(prog, &back), 0, "nothing is kept yet");
    ls_gcache_store(prog, &g);
    cr_assert_eq(ls_gcache_load(prog, &back), 0);
    cr_assert_eq(back.nvars, 3);
    cr_assert_eq(back.natomics, 2);
    cr_assert_eq(back.ntls, 1);
    cr_assert_eq(back.code_scanned, 1);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(back.vars[i].vaddr, vars[i].vaddr);
        cr_assert_eq(back.vars[i].size, vars[i].size);
        cr_assert_eq(back.vars[i].flags, vars[i].flags);
        cr_assert_str_eq(back.vars[i].name, vars[i].name);
    }
    cr_assert_eq(back.atomics[1].vaddr, 0x4024);
    cr_assert_eq(back.atomics[1].size, 1);
    cr_assert_str_eq(back.tls[0].name, "slot");
    /* and what the analyzer asks of it answers the same */
    cr_assert_eq(ls_globals_atomic_bytes(&back, 0x4022, 1), 1);
    cr_assert_eq(ls_globals_atomic_bytes(&back, 0x4010, 8), 0);
    cr_assert_str_eq(ls_globals_at(&back, 0x4014)->name, "counter");
}

Test(gcache, another_file_is_not_the_same)
{
    struct ls_globals g = sample(), back = {0};
    ls_gcache_store(prog, &g);
    /* rewritten: its size, times (and so its entry) are not the same */
    FILE *f = fopen(prog, "w");
    cr_assert_not_null(f);
    fputs("rebuilt, and longer than before", f);
    fclose(f);
    cr_assert_neq(ls_gcache_load(prog, &back), 0);
    char other[128];
    snprintf(other, sizeof other, "%s/other", dir);
    f = fopen(other, "w");
    fclose(f);
    cr_assert_neq(ls_gcache_load(other, &back), 0);
}

Test(gcache, damaged_entries_are_ignored)
{
    struct ls_globals g = sample();
    ls_gcache_store(prog, &g);
    char path[512];
    entry(path, sizeof path);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_gt(n, 40);
    /* every truncation, and every byte flipped: either refused, or (a flag
     * or an address changed) a consistent table; never a crash */
    for (size_t len = 0; len < n; len++) {
        f = fopen(path, "w");
        fwrite(buf, 1, len, f);
        fclose(f);
        struct ls_globals back = {0};
        cr_assert_neq(ls_gcache_load(prog, &back), 0, "a %zu-byte entry was used", len);
    }
    for (size_t at = 0; at < n; at++) {
        char copy[4096];
        memcpy(copy, buf, n);
        copy[at] ^= 0x5a;
        f = fopen(path, "w");
        fwrite(copy, 1, n, f);
        fclose(f);
        struct ls_globals back = {0};
        if (ls_gcache_load(prog, &back) == 0) {
            for (size_t i = 1; i < back.nvars; i++)
                cr_assert_gt(back.vars[i].vaddr, back.vars[i - 1].vaddr);
            cr_assert_leq(back.nvars, 3);
            cr_assert_leq(back.natomics, 2);
        }
    }
    /* a longer file (something appended) is not an entry either */
    f = fopen(path, "w");
    fwrite(buf, 1, n, f);
    fputs("more", f);
    fclose(f);
    struct ls_globals back = {0};
    cr_assert_neq(ls_gcache_load(prog, &back), 0);
}

Test(gcache, unsafe_or_no_directory)
{
    struct ls_globals g = sample(), back = {0};
    cr_assert_eq(chmod(cache, 0777), 0);
    ls_gcache_store(prog, &g);
    cr_assert_neq(ls_gcache_load(prog, &back), 0, "a directory others may write is not used");
    cr_assert_eq(chmod(cache, 0700), 0);
    ls_gcache_store(prog, &g);
    cr_assert_eq(ls_gcache_load(prog, &back), 0);
    setenv("LOCKSCOPE_CACHE_DIR", "", 1);
    struct ls_globals none = {0};
    cr_assert_neq(ls_gcache_load(prog, &none), 0, "an empty LOCKSCOPE_CACHE_DIR: no cache");
}

Test(gcache, bounded)
{
    struct ls_globals g = sample();
    char path[128];
    for (int i = 0; i < 600; i++) {
        snprintf(path, sizeof path, "%s/p%d", dir, i);
        FILE *f = fopen(path, "w");
        fprintf(f, "%d", i);
        fclose(f);
        ls_gcache_store(path, &g);
    }
    DIR *d = opendir(cache);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += !strncmp(de->d_name, "globals-", 8);
    closedir(d);
    cr_assert_leq(n, 512, "%d entries", n);
    cr_assert_gt(n, 300);
    /* the newest is still there */
    struct ls_globals back = {0};
    cr_assert_eq(ls_gcache_load(path, &back), 0);
}
