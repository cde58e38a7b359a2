/*
 * Unit tests for analyzer/symbolize.c.  Runs tests/progs/sym_target, which
 * prints its own layout and a few addresses, and symbolizes those offline.
 * Expected lines come from the MARK comments in the target's source.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"

/* The build defines both as absolute paths; these are for a manual build. */
#ifndef SYM_TARGET_EXE
#define SYM_TARGET_EXE "/tmp/lockscope-sym/sym_target"
#endif
#ifndef SYM_TARGET_SRC
#define SYM_TARGET_SRC "/work/main/tests/progs/sym_target.c"
#endif

struct target {
    uint64_t bias, start, end, global, stat, strct, ret;
    uint8_t build_id[64];
    size_t build_id_len;
};

static struct target run_target(void)
{
    struct target t = { 0 };
    FILE *p = popen(SYM_TARGET_EXE, "r");
    cr_assert_not_null(p, "cannot run %s", SYM_TARGET_EXE);
    char key[32], val[160];
    int seen = 0;
    while (fscanf(p, "%31s %159s", key, val) == 2) {
        uint64_t v = strtoull(val, NULL, 16);
        seen++;
        if (!strcmp(key, "bias"))
            t.bias = v;
        else if (!strcmp(key, "start"))
            t.start = v;
        else if (!strcmp(key, "end"))
            t.end = v;
        else if (!strcmp(key, "global"))
            t.global = v;
        else if (!strcmp(key, "static"))
            t.stat = v;
        else if (!strcmp(key, "struct"))
            t.strct = v;
        else if (!strcmp(key, "ret"))
            t.ret = v;
        else if (!strcmp(key, "buildid"))
            for (size_t i = 0; val[2 * i] && val[2 * i + 1] && i < sizeof t.build_id; i++) {
                char byte[3] = { val[2 * i], val[2 * i + 1], 0 };
                t.build_id[i] = (uint8_t)strtoul(byte, NULL, 16);
                t.build_id_len = i + 1;
            }
        else
            seen--;
    }
    pclose(p);
    cr_assert_geq(seen, 6, "unexpected output from %s", SYM_TARGET_EXE);
    cr_assert(t.start < t.end && t.start <= t.ret && t.ret < t.end);
    return t;
}

static int marker_line(const char *marker)
{
    FILE *f = fopen(SYM_TARGET_SRC, "r");
    cr_assert_not_null(f, "cannot open %s", SYM_TARGET_SRC);
    char buf[512];
    int line = 0, found = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (strstr(buf, marker)) {
            found = line;
            break;
        }
    }
    fclose(f);
    cr_assert_gt(found, 0, "marker %s not found", marker);
    return found;
}

static struct ls_module_info target_module(const struct target *t)
{
    return (struct ls_module_info){
        .path = SYM_TARGET_EXE, .bias = t->bias, .start = t->start, .end = t->end,
    };
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Captures what the symbolizer writes to stderr between begin and end. */
struct capture {
    int saved;
    FILE *tmp;
};

static struct capture capture_begin(void)
{
    struct capture c;
    fflush(stderr);
    c.tmp = tmpfile();
    cr_assert_not_null(c.tmp);
    c.saved = dup(STDERR_FILENO);
    dup2(fileno(c.tmp), STDERR_FILENO);
    return c;
}

static char *capture_end(struct capture *c)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    long len = ftell(c->tmp);
    if (len < 0)
        len = 0;
    char *buf = calloc(1, (size_t)len + 1);
    rewind(c->tmp);
    size_t got = fread(buf, 1, (size_t)len, c->tmp);
    buf[got] = 0;
    fclose(c->tmp);
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void check_chain(const struct target *t, const struct ls_frame *fr, int n)
{
    cr_assert_eq(n, 2, "expected 2 frames, got %d", n);

    cr_assert_not_null(fr[0].function);
    cr_assert_str_eq(fr[0].function, "inlined_fn");
    cr_assert_not_null(fr[0].file);
    cr_assert_str_eq(base_name(fr[0].file), "sym_target.c");
    cr_assert_eq(fr[0].line, marker_line("/* MARK:inlined_call */"));
    cr_assert_eq(fr[0].inlined, 1);

    cr_assert_not_null(fr[1].function);
    cr_assert_str_eq(fr[1].function, "noinline_fn");
    cr_assert_not_null(fr[1].file);
    cr_assert_str_eq(base_name(fr[1].file), "sym_target.c");
    cr_assert_eq(fr[1].line, marker_line("/* MARK:outer_call */"));
    cr_assert_eq(fr[1].inlined, 0);

    for (int i = 0; i < n; i++) {
        cr_assert_eq(fr[i].pc, t->ret);
        cr_assert_not_null(fr[i].module);
        cr_assert_str_eq(fr[i].module, SYM_TARGET_EXE);
        cr_assert_eq(fr[i].module_offset, t->ret - t->bias);
    }
}

Test(symbolize, code_with_inlined_frames)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    cr_assert_not_null(s);
    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);

    struct ls_frame fr[8];
    int n = ls_sym_code(s, t.ret, fr, 8);
    check_chain(&t, fr, n);
    cr_assert(fr[0].file[0] == '/', "file should be absolute: %s", fr[0].file);

    /* Cached: same answer, same strings. */
    struct ls_frame again[8];
    cr_assert_eq(ls_sym_code(s, t.ret, again, 8), 2);
    cr_assert_eq(again[0].function, fr[0].function);
    cr_assert_eq(again[1].file, fr[1].file);
    ls_sym_free(s);
}

Test(symbolize, truncation_keeps_real_function)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);

    struct ls_frame fr[1];
    cr_assert_eq(ls_sym_code(s, t.ret, fr, 1), 1);
    cr_assert_str_eq(fr[0].function, "noinline_fn");
    cr_assert_eq(fr[0].line, marker_line("/* MARK:outer_call */"));
    cr_assert_eq(fr[0].inlined, 0);
    cr_assert_eq(ls_sym_code(s, t.ret, fr, 0), 0);
    ls_sym_free(s);
}

Test(symbolize, module_added_after_lookup)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_frame fr[8];
    cr_assert_eq(ls_sym_code(s, t.ret, fr, 8), 1);
    cr_assert_null(fr[0].function);
    cr_assert_null(fr[0].module);

    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);
    check_chain(&t, fr, ls_sym_code(s, t.ret, fr, 8));
    ls_sym_free(s);
}

Test(symbolize, data_symbols)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);

    uint64_t off = 99, size = 99;
    const char *name = ls_sym_data(s, t.global, &off, &size);
    cr_assert_not_null(name);
    cr_assert_str_eq(name, "target_global");
    cr_assert_eq(off, 8);
    cr_assert_eq(size, 16);

    name = ls_sym_data(s, t.stat, &off, &size);
    cr_assert_not_null(name);
    cr_assert_str_eq(name, "target_static");
    cr_assert_eq(off, 0);
    cr_assert_eq(size, sizeof(long));

    cr_assert_null(ls_sym_data(s, 0x1000, &off, &size));
    ls_sym_free(s);
}

/* The bytes of a global by name, from the debug information: array
 * elements, members, several dimensions, an offset inside a scalar. */
Test(symbolize, data_members)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);
    static const struct {
        int64_t off;         /* from &target_global[2] (t.global) or &target_struct */
        int in_struct;
        uint64_t size;
        const char *want;
    } cases[] = {
        {0, 0, 4, "target_global[2]"},
        {-8, 0, 8, "target_global[0..1]"},
        {-8, 0, 16, "target_global[0..3]"},
        {1, 0, 1, "target_global[2]+1"},
        {0, 1, 4, "target_struct.id"},
        {6, 1, 1, "target_struct.name[2]"},
        {10, 1, 2, "target_struct.flags"},
        {11, 1, 1, "target_struct.flags+1"},
        {16 + 5 * 8, 1, 8, "target_struct.grid[1][2]"},
        {0, 1, 40, "target_struct"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t a = (cases[i].in_struct ? t.strct : t.global) + (uint64_t)cases[i].off;
        char *got = ls_sym_data_member(s, a, cases[i].size);
        cr_assert_not_null(got, "no name for %s", cases[i].want);
        cr_assert_str_eq(got, cases[i].want);
        free(got);
    }
    char *st = ls_sym_data_member(s, t.stat, 8);
    cr_assert_str_eq(st, "target_static");
    free(st);
    cr_assert_null(ls_sym_data_member(s, 0x1000, 4));
    ls_sym_free(s);
}

Test(symbolize, address_outside_modules)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    cr_assert_eq(ls_sym_add_module(s, &m), 0);

    struct ls_frame fr[4];
    cr_assert_eq(ls_sym_code(s, 0x1000, fr, 4), 1);
    cr_assert_eq(fr[0].pc, 0x1000);
    cr_assert_null(fr[0].function);
    cr_assert_null(fr[0].file);
    cr_assert_null(fr[0].module);
    cr_assert_eq(fr[0].inlined, 0);

    cr_assert_eq(ls_sym_code(s, 0, fr, 4), 1);
    cr_assert_null(fr[0].module);
    ls_sym_free(s);
}

Test(symbolize, missing_module)
{
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = {
        .path = "/nonexistent/libnope.so", .bias = 0x7f0000000000,
        .start = 0x7f0000000000, .end = 0x7f0000010000,
    };
    struct capture c = capture_begin();
    int r1 = ls_sym_add_module(s, &m);
    int r2 = ls_sym_add_module(s, &m);
    m.bias = m.start = 0x7f1000000000;
    m.end = m.start + 0x10000;
    int r3 = ls_sym_add_module(s, &m);
    char *err = capture_end(&c);
    cr_assert_eq(r1, -1);
    cr_assert_eq(r2, -1);
    cr_assert_eq(r3, -1);
    cr_assert_eq(count(err, "lockscope: warning: cannot open module '/nonexistent/libnope.so': "), 1,
                 "stderr was: %s", err);
    cr_assert_eq(count(err, "; its frames stay unsymbolized\n"), 1, "stderr was: %s", err);
    free(err);

    struct ls_frame fr[4];
    cr_assert_eq(ls_sym_code(s, 0x7f0000001235, fr, 4), 1);
    cr_assert_null(fr[0].function);
    cr_assert_not_null(fr[0].module);
    cr_assert_str_eq(fr[0].module, "/nonexistent/libnope.so");
    cr_assert_eq(fr[0].module_offset, 0x1235);
    cr_assert_null(ls_sym_data(s, 0x7f0000001235, NULL, NULL));
    ls_sym_free(s);
}

Test(symbolize, non_elf_module)
{
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = { .path = SYM_TARGET_SRC, .start = 0x1000, .end = 0x2000 };
    struct capture c = capture_begin();
    cr_assert_eq(ls_sym_add_module(s, &m), -1);
    char *err = capture_end(&c);
    cr_assert_eq(count(err, "lockscope: warning: cannot open module '" SYM_TARGET_SRC "': "), 1,
                 "stderr was: %s", err);
    free(err);
    struct ls_frame fr[2];
    cr_assert_eq(ls_sym_code(s, 0x1800, fr, 2), 1);
    cr_assert_str_eq(fr[0].module, SYM_TARGET_SRC);
    ls_sym_free(s);
}

Test(symbolize, build_id_mismatch_warns_once)
{
    struct target t = run_target();
    struct ls_symbolizer *s = ls_sym_new();
    static const uint8_t wrong[] = { 0xde, 0xad, 0xbe, 0xef };
    struct ls_module_info m = target_module(&t);
    m.build_id = wrong;
    m.build_id_len = sizeof wrong;

    struct capture c = capture_begin();
    int r1 = ls_sym_add_module(s, &m);
    int r2 = ls_sym_add_module(s, &m);
    char *err = capture_end(&c);
    cr_assert_eq(r1, 0);
    cr_assert_eq(r2, 0);
    cr_assert_str_eq(err, "lockscope: warning: build-id of '" SYM_TARGET_EXE
                     "' does not match the trace; symbols may be wrong\n");
    free(err);

    /* Still used. */
    struct ls_frame fr[8];
    check_chain(&t, fr, ls_sym_code(s, t.ret, fr, 8));
    ls_sym_free(s);
}

Test(symbolize, build_id_match_is_silent)
{
    struct target t = run_target();
    cr_assert_gt(t.build_id_len, 0, "sym_target was built without a build-id");
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    m.build_id = t.build_id;
    m.build_id_len = t.build_id_len;

    struct capture c = capture_begin();
    cr_assert_eq(ls_sym_add_module(s, &m), 0);
    char *err = capture_end(&c);
    cr_assert_str_eq(err, "");
    free(err);
    ls_sym_free(s);
}

Test(symbolize, stripped_module)
{
    struct target t = run_target();
    char dir[] = "/tmp/ls-sym-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char stripped[sizeof dir + 16], cmd[512];
    snprintf(stripped, sizeof stripped, "%s/stripped", dir);
    snprintf(cmd, sizeof cmd, "objcopy --strip-all '%s' '%s' 2>/dev/null", SYM_TARGET_EXE, stripped);
    if (system(cmd) != 0) {
        rmdir(dir);
        cr_skip_test("objcopy is not available");
    }

    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = target_module(&t);
    m.path = stripped;
    cr_assert_eq(ls_sym_add_module(s, &m), 0);
    struct ls_frame fr[8];
    int n = ls_sym_code(s, t.ret, fr, 8);
    cr_assert_geq(n, 1);
    cr_assert_str_eq(fr[n - 1].module, stripped);
    cr_assert_eq(fr[n - 1].inlined, 0);
    cr_assert_eq(fr[n - 1].module_offset, t.ret - t.bias);
    (void)ls_sym_data(s, t.global, NULL, NULL);
    ls_sym_free(s);
    unlink(stripped);
    rmdir(dir);
}

Test(symbolize, null_and_empty)
{
    ls_sym_free(NULL);
    struct ls_symbolizer *s = ls_sym_new();
    struct ls_module_info m = { .path = NULL };
    cr_assert_eq(ls_sym_add_module(s, &m), -1);
    cr_assert_eq(ls_sym_add_module(s, NULL), -1);
    cr_assert_null(ls_sym_data(s, 0x1234, NULL, NULL));
    ls_sym_free(s);
}
