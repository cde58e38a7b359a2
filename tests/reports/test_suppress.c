/*
 * The suppression file: parsing (good lines, malformed lines reported with
 * their file and line), matching (kinds, globs over functions, files,
 * modules and locks), and the suggested line for a finding.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "fixtures.h"
#include "suppress.h"

static struct ls_suppressions s;
static struct ls_report r;

static void setup(void)
{
    memset(&s, 0, sizeof s);
    memset(&r, 0, sizeof r);
    fx_add_process(&r, 100, "./app --fast");
}

static void teardown(void)
{
    ls_supp_free(&s);
    ls_report_free(&r);
}

TestSuite(suppress, .init = setup, .fini = teardown, .timeout = 10);

Test(suppress, good_lines)
{
    const char *text = "# a comment\n"
                       "\n"
                       "deadlock:eat1\n"
                       "   race:counter_*   \n"
                       "misuse:legacy.c\r\n"
                       "\t# indented comment\n"
                       "deadlock:*/vendor/*";
    cr_assert_eq(ls_supp_parse(&s, text, "supp.txt"), 0);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.rules[0].type, "deadlock");
    cr_assert_str_eq(s.rules[0].pattern, "eat1");
    cr_assert_eq(s.rules[0].line, 3);
    cr_assert_str_eq(s.rules[1].text, "race:counter_*");
    cr_assert_eq(s.rules[1].line, 4);
    cr_assert_str_eq(s.rules[2].pattern, "legacy.c");
    cr_assert_eq(s.rules[2].line, 5);
    cr_assert_str_eq(s.rules[3].pattern, "*/vendor/*");
    cr_assert_eq(s.rules[3].line, 7, "a last line without a newline still counts");
    cr_assert_str_eq(s.rules[3].file, "supp.txt");
}

Test(suppress, empty_file)
{
    cr_assert_eq(ls_supp_parse(&s, "", "empty"), 0);
    cr_assert_eq(s.n, 0);
}

static void expect_error(const char *text, const char *needle)
{
    cr_redirect_stderr();
    cr_assert_eq(ls_supp_parse(&s, text, "my.supp"), -1, "accepted: %s", text);
    fflush(stderr);
    char buf[512] = {0};
    FILE *e = cr_get_redirected_stderr();
    size_t n = fread(buf, 1, sizeof buf - 1, e);
    buf[n] = 0;
    cr_assert(strstr(buf, needle) != NULL, "stderr '%s' lacks '%s'", buf, needle);
    cr_assert(strstr(buf, "lockscope: error: ") == buf, "not an error line: %s", buf);
}

Test(suppress, unknown_type_names_file_and_line)
{
    expect_error("deadlock:ok\n\nthread:foo\n", "'my.supp:3'");
}

Test(suppress, unknown_type_is_quoted)
{
    expect_error("mutex:foo\n", "unknown type (expected race, deadlock or misuse): 'mutex'");
}

Test(suppress, no_colon)
{
    expect_error("# header\neat1\n", "'my.supp:2': expected TYPE:PATTERN");
}

Test(suppress, empty_pattern)
{
    expect_error("race:\n", "'my.supp:1': empty pattern");
}

Test(suppress, spaces_in_pattern)
{
    expect_error("deadlock:a b\n", "'my.supp:1': a pattern has no spaces");
}

Test(suppress, unclosed_bracket)
{
    expect_error("race:x\nrace:[abc\n", "'my.supp:2': unclosed '['");
}

Test(suppress, stops_at_first_bad_line)
{
    cr_redirect_stderr();
    cr_assert_eq(ls_supp_parse(&s, "race:a\nbad\nrace:b\n", "f"), -1);
    cr_assert_eq(s.n, 1);
}

Test(suppress, load_missing_file)
{
    cr_redirect_stderr();
    cr_assert_eq(ls_supp_load(&s, "/nonexistent/dir/x.supp"), -1);
    fflush(stderr);
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
    buf[n] = 0;
    cr_assert(strstr(buf, "cannot open suppressions '/nonexistent/dir/x.supp'"), "%s", buf);
}

Test(suppress, types_cover_kinds)
{
    cr_assert(ls_supp_type_covers("deadlock", "lock-order-cycle"));
    cr_assert(ls_supp_type_covers("deadlock", "deadlock"));
    cr_assert(ls_supp_type_covers("deadlock", "stall"));
    cr_assert(!ls_supp_type_covers("deadlock", "misuse"));
    cr_assert(ls_supp_type_covers("race", "data-race"));
    cr_assert(!ls_supp_type_covers("race", "lock-order-cycle"));
    cr_assert(ls_supp_type_covers("misuse", "misuse"));
    cr_assert_str_eq(ls_supp_type_for("lock-order-cycle"), "deadlock");
    cr_assert_null(ls_supp_type_for("no-such-kind"));
}

Test(suppress, globs_match_functions_files_modules_locks)
{
    struct ls_finding *f =
        fx_cycle(&r, 0, "noodle_lock", "fork_lock", "eat1", "eat2", "/src/app/noodle.c", NULL);
    /* functions */
    cr_assert(ls_supp_matches("deadlock", "eat1", f));
    cr_assert(ls_supp_matches("deadlock", "eat?", f));
    cr_assert(!ls_supp_matches("deadlock", "eat", f), "a plain pattern matches whole names");
    cr_assert(ls_supp_matches("deadlock", "*at2", f));
    /* files: base name and full path; '*' crosses '/' */
    cr_assert(ls_supp_matches("deadlock", "noodle.c", f));
    cr_assert(ls_supp_matches("deadlock", "/src/app/*", f));
    cr_assert(ls_supp_matches("deadlock", "*/app/noodle.c", f));
    /* modules */
    cr_assert(ls_supp_matches("deadlock", "libc.so.*", f));
    /* locks */
    cr_assert(ls_supp_matches("deadlock", "fork_lock", f));
    cr_assert(ls_supp_matches("deadlock", "[fn]*_lock", f));
    /* wrong type */
    cr_assert(!ls_supp_matches("race", "eat1", f));
    cr_assert(!ls_supp_matches("misuse", "*", f));
    /* nothing */
    cr_assert(!ls_supp_matches("deadlock", "other.c", f));
}

Test(suppress, first_matching_rule_wins)
{
    struct ls_finding *f =
        fx_cycle(&r, 0, "noodle_lock", "fork_lock", "eat1", "eat2", "/src/app/noodle.c", NULL);
    cr_assert_eq(ls_supp_parse(&s, "race:eat1\ndeadlock:nothing\ndeadlock:eat2\ndeadlock:eat*\n",
                               "f"),
                 0);
    struct ls_supp_rule *rule = ls_supp_match(&s, f);
    cr_assert_not_null(rule);
    cr_assert_eq(rule->line, 3);
}

Test(suppress, deadlock_findings_match_wait_stacks)
{
    struct ls_finding *f = fx_deadlock(&r, 0, "/src/app/ring.c");
    cr_assert(ls_supp_matches("deadlock", "member", f));
    cr_assert(ls_supp_matches("deadlock", "ring_b", f));
    cr_assert(ls_supp_matches("deadlock", "ring.c", f));
}

Test(suppress, suggestion_silences_the_finding)
{
    struct ls_finding *f =
        fx_cycle(&r, 0, "noodle_lock", "fork_lock", "eat1", "eat2", "/src/app/noodle.c", NULL);
    char *line = ls_supp_suggest(f);
    cr_assert_not_null(line);
    cr_assert_str_eq(line, "deadlock.lock-order-cycle:eat1&fork_lock",
                     "the kind, the site's function and the lock asked for there");
    cr_assert_eq(ls_supp_parse(&s, line, "suggested"), 0, "the suggestion parses");
    cr_assert_not_null(ls_supp_match(&s, f));
    free(line);
}

Test(suppress, suggestion_quotes_glob_characters)
{
    struct ls_finding *f =
        fx_cycle(&r, 0, "a", "b", "operator[]", "g", "/src/x.cc", NULL);
    char *line = ls_supp_suggest(f);
    cr_assert_str_eq(line, "deadlock.lock-order-cycle:operator\\[]&b");
    const char *type = "deadlock.lock-order-cycle";
    cr_assert(ls_supp_matches(type, line + strlen(type) + 1, f));
    cr_assert(!ls_supp_matches("deadlock", "operator\\[]", fx_cycle(&r, 0, "a", "b", "operatorx",
                                                                    "g", "/src/x.cc", NULL)));
    free(line);
}

Test(suppress, suggestion_blanks_become_wildcards)
{
    struct ls_finding *f =
        fx_cycle(&r, 0, "noodle_lock", "fork_lock", "has space", "eat2", "/src/app/noodle.c",
                 NULL);
    char *line = ls_supp_suggest(f);
    cr_assert_str_eq(line, "deadlock.lock-order-cycle:has?space&fork_lock");
    cr_assert_eq(ls_supp_parse(&s, line, "suggested"), 0, "the suggestion parses");
    cr_assert_not_null(ls_supp_match(&s, f));
    free(line);
}

Test(suppress, races_match_variables_and_accesses)
{
    struct ls_finding *f = fx_race(&r, 0, "balance", "/src/bank.c", "balance_lock");
    cr_assert(ls_supp_matches("race", "balance", f));
    cr_assert(ls_supp_matches("race", "bal*", f));
    cr_assert(ls_supp_matches("race", "audit", f), "a function of an access stack");
    cr_assert(ls_supp_matches("race", "bank.c", f));
    cr_assert(ls_supp_matches("race", "balance_lock", f), "a lock held by an access");
    cr_assert(!ls_supp_matches("deadlock", "balance", f), "deadlock: does not cover races");
    char *line = ls_supp_suggest(f);
    cr_assert_str_eq(line, "race:deposit&balance", "a race is named by its site and variable");
    free(line);
}

/* ---- narrow rules: TYPE.KIND and A&B; suggestions at the finding's site ---- */

/* A misuse of rule `rule` on lock `lock`, made in frames fn[0..n) (fn[0]
 * innermost, of size[0] bytes of code), below __libc_start_call_main. */
static struct ls_finding *fx_misuse(const char *rule, const char *lock, size_t n,
                                    const char *const *fn, const uint64_t *size)
{
    struct ls_finding *f = ls_report_add(&r);
    f->kind = LS_FIND_MISUSE;
    f->severity = "warning";
    f->rule = rule;
    f->nlocks = 1;
    f->locks = xcalloc(1, sizeof *f->locks);
    fx_lock(&f->locks[0], 1, lock, "/src/app/app.c", 9);
    const char *fns[8], *files[8];
    int lines[8];
    for (size_t i = 0; i < n; i++) {
        fns[i] = fn[i];
        files[i] = "/src/app/app.c";
        lines[i] = 40 + (int)i * 10 + (int)strlen(fn[i]);
    }
    fns[n] = "__libc_start_call_main";
    files[n] = "../sysdeps/nptl/libc_start_call_main.h";
    lines[n] = 58;
    fx_stack(&f->stack, n + 1, fns, files, lines, "/opt/app/bin/app");
    free(f->stack.frames[n].module);
    f->stack.frames[n].module = xstrdup("/lib/x86_64-linux-gnu/libc.so.6");
    for (size_t i = 0; i < n; i++)
        f->stack.frames[i].func_size = size[i];
    f->summary = ls_fstack_user_frame(&f->stack);
    ls_finding_set_id(f);
    return f;
}

Test(suppress, kind_and_several_patterns)
{
    cr_assert_eq(ls_supp_parse(&s, "misuse.unlock-not-locked:caller_one&lock_one\n"
                                   "deadlock.lock-order-latent:eat\\&1\n",
                               "narrow.supp"),
                 0);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.rules[0].type, "misuse");
    cr_assert_str_eq(s.rules[0].kind, "unlock-not-locked");
    cr_assert_str_eq(s.rules[0].pattern, "caller_one&lock_one");
    cr_assert_str_eq(s.rules[0].text, "misuse.unlock-not-locked:caller_one&lock_one");
    cr_assert_str_eq(s.rules[1].kind, "lock-order-latent");

    const uint64_t sz[] = {14, 300, 200};
    struct ls_finding *one = fx_misuse("unlock-not-locked", "lock_one", 3,
                                       (const char *[]){"my_unlock", "caller_one", "main"}, sz);
    cr_assert(ls_supp_matches("misuse.unlock-not-locked", "caller_one&lock_one", one));
    cr_assert(ls_supp_matches("misuse", "caller_one&lock_one&my_unlock", one));
    cr_assert(!ls_supp_matches("misuse.destroy-locked", "caller_one", one), "another rule");
    cr_assert(!ls_supp_matches("misuse", "caller_one&lock_two", one), "every part must match");
    cr_assert(ls_supp_matches("misuse", "app.c:60", one), "BASENAME:LINE of a frame");
    cr_assert_eq(ls_supp_match(&s, one), &s.rules[0]);
    struct ls_finding *cycle =
        fx_cycle(&r, 0, "noodle_lock", "fork_lock", "eat1", "eat2", "/src/app/noodle.c", NULL);
    cr_assert(ls_supp_matches("deadlock.lock-order-cycle", "eat1", cycle));
    cr_assert(!ls_supp_matches("deadlock.lock-order-latent", "eat1", cycle));
}

Test(suppress, bad_kind_empty)
{
    expect_error("misuse.:x\n", "expected TYPE.KIND");
}

Test(suppress, bad_kind_uppercase)
{
    expect_error("misuse.Bad:x\n", "expected TYPE.KIND");
}

Test(suppress, bad_type_with_a_kind)
{
    expect_error("mutex.unlock-not-locked:x\n", "unknown type");
}

Test(suppress, empty_part_between)
{
    expect_error("race:a&&b\n", "an empty pattern next to '&'");
}

Test(suppress, empty_part_first)
{
    expect_error("race:&a\n", "an empty pattern next to '&'");
}

Test(suppress, empty_part_last)
{
    expect_error("race:a&\n", "an empty pattern next to '&'");
}

/* Two misuses through one thin wrapper from two callers: two ids, and each
 * suggested line names its caller and lock, hiding it and not the other. */
Test(suppress, wrapper_callers_are_the_sites)
{
    const uint64_t sz[] = {14, 300, 200};
    struct ls_finding *one = fx_misuse("unlock-not-locked", "lock_one", 3,
                                       (const char *[]){"my_unlock", "caller_one", "main"}, sz);
    struct ls_finding *two = fx_misuse("unlock-not-locked", "lock_one", 3,
                                       (const char *[]){"my_unlock", "caller_two", "main"}, sz);
    cr_assert_str_neq(one->id, two->id, "one lock, two callers through one wrapper");
    char *l1 = ls_supp_suggest(one), *l2 = ls_supp_suggest(two);
    cr_assert_str_eq(l1, "misuse.unlock-not-locked:caller_one&lock_one");
    cr_assert_str_eq(l2, "misuse.unlock-not-locked:caller_two&lock_one");
    cr_assert_eq(ls_supp_parse(&s, l1, "suggested"), 0);
    cr_assert_not_null(ls_supp_match(&s, one));
    cr_assert_null(ls_supp_match(&s, two), "the line for one hides the other");
    free(l1);
    free(l2);

    /* Not thin (bigger than LS_THIN_WRAPPER_BYTES): the function itself. */
    const uint64_t big[] = {LS_THIN_WRAPPER_BYTES + 1, 300, 200};
    struct ls_finding *own = fx_misuse("unlock-not-locked", "lock_one", 3,
                                       (const char *[]){"flush", "caller_one", "main"}, big);
    char *l3 = ls_supp_suggest(own);
    cr_assert_str_eq(l3, "misuse.unlock-not-locked:flush&lock_one");
    free(l3);
}

/* A misuse made in main itself: main names the whole program, its line
 * does not. */
Test(suppress, main_is_named_by_its_line)
{
    const uint64_t sz[] = {200};
    struct ls_finding *f =
        fx_misuse("destroy-locked", "lock_one", 1, (const char *[]){"main"}, sz);
    char *line = ls_supp_suggest(f);
    cr_assert_str_eq(line, "misuse.destroy-locked:app.c:44&lock_one");
    cr_assert(ls_supp_matches("misuse.destroy-locked", "app.c:44&lock_one", f));
    free(line);
    /* Through a thin wrapper called from main: main's line again. */
    const uint64_t sz2[] = {14, 200};
    struct ls_finding *g = fx_misuse("destroy-locked", "lock_one", 2,
                                     (const char *[]){"my_destroy", "main"}, sz2);
    line = ls_supp_suggest(g);
    cr_assert_str_eq(line, "misuse.destroy-locked:app.c:54&lock_one");
    free(line);
}

Test(suppress, ampersand_in_a_name_is_quoted)
{
    const uint64_t sz[] = {200, 200};
    struct ls_finding *f = fx_misuse("unlock-not-locked", "lock_one", 2,
                                     (const char *[]){"operator&", "main"}, sz);
    char *line = ls_supp_suggest(f);
    cr_assert_str_eq(line, "misuse.unlock-not-locked:operator\\&&lock_one");
    cr_assert_eq(ls_supp_parse(&s, line, "suggested"), 0);
    cr_assert_not_null(ls_supp_match(&s, f));
    free(line);
}

/* A thread that ends holding a lock ends in no code of the program's: the
 * id comes from the lock and where it was taken, not from the rule alone;
 * and the suggested line names that place. */
static struct ls_finding *fx_exit_holding(const char *lock, const char *fn, int line)
{
    struct ls_finding *f = ls_report_add(&r);
    f->kind = LS_FIND_MISUSE;
    f->severity = "warning";
    f->rule = "exit-holding-locks";
    f->nlocks = 1;
    f->locks = xcalloc(1, sizeof *f->locks);
    fx_lock(&f->locks[0], 1, lock, "/src/app/app.c", line);
    const char *fns[] = {"start_thread"}, *files[] = {NULL};
    int lines[] = {0};
    fx_stack(&f->stack, 1, fns, files, lines, "/lib/x86_64-linux-gnu/libc.so.6");
    fx_frame1(&f->stack2, fn, "/src/app/app.c", line, "/opt/app/bin/app");
    f->stack2_what = "the thread took the lock here";
    f->summary = ls_fstack_user_frame(&f->stack);
    ls_finding_set_id(f);
    return f;
}

Test(suppress, exit_holding_ids_from_their_sites)
{
    struct ls_finding *a = fx_exit_holding("left_lock", "worker_left", 10);
    struct ls_finding *b = fx_exit_holding("right_lock", "worker_right", 16);
    struct ls_finding *a2 = fx_exit_holding("left_lock", "worker_left", 10);
    struct ls_finding *c = fx_exit_holding("left_lock", "worker_left", 11);
    cr_assert_str_neq(a->id, b->id);
    cr_assert_str_neq(a->id, c->id, "the same lock taken at another line");
    cr_assert_str_eq(a->id, a2->id, "the same sites, the same id");
    char *line = ls_supp_suggest(a);
    cr_assert_str_eq(line, "misuse.exit-holding-locks:worker_left&left_lock");
    cr_assert(!ls_supp_matches("misuse.exit-holding-locks", "worker_left&left_lock", b));
    free(line);
}
