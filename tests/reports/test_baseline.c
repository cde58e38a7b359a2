/*
 * Baselines: the ids of an earlier JSON report, read with a strict parser.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <string.h>

#include "baseline.h"

static struct ls_baseline b;

static void setup(void)
{
    memset(&b, 0, sizeof b);
}

static void teardown(void)
{
    ls_baseline_free(&b);
}

TestSuite(baseline, .init = setup, .fini = teardown, .timeout = 10);

static int parse(const char *text)
{
    return ls_baseline_parse(&b, text, strlen(text), "old.json");
}

static const char good[] =
    "{\"tool\":\"lockscope\",\"version\":\"0.1.0\",\"schema_version\":1,"
    "\"processes\":[{\"index\":0,\"pid\":5,\"exe\":\"/a\\u00e9\\ud83d\\ude00\"}],"
    "\"findings\":[\n"
    "{\"id\":\"LS-0000000000000001\",\"kind\":\"lock-order-cycle\",\"edges\":[{\"thread\":{\"id\":2,"
    "\"name\":null}}],\"x\":[1,-2.5e3,true,false,null,{}],\"related\":\"LS-ffff\"},\n"
    "{\"kind\":\"deadlock\",\"id\":\"LS-0000000000000002\"}],\n"
    "\"summary\":{\"findings\":2,\"id\":\"not-a-finding\"}}\n";

Test(baseline, reads_finding_ids_only)
{
    cr_assert_eq(parse(good), 0);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(b.ids[0], "LS-0000000000000001");
    cr_assert_str_eq(b.ids[1], "LS-0000000000000002");
    cr_assert(ls_baseline_has(&b, "LS-0000000000000002"));
    cr_assert(!ls_baseline_has(&b, "LS-ffff"));
    cr_assert(!ls_baseline_has(&b, "not-a-finding"));
    cr_assert_eq(ls_baseline_gone(&b), 1, "one id not seen again");
}

Test(baseline, empty_findings)
{
    cr_assert_eq(parse("{\"tool\":\"lockscope\",\"findings\":[]}"), 0);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(ls_baseline_gone(&b), 0);
}

static void expect_error(const char *text, const char *needle)
{
    cr_redirect_stderr();
    cr_assert_eq(parse(text), -1, "accepted: %s", text);
    fflush(stderr);
    char buf[512] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
    buf[n] = 0;
    cr_assert(strstr(buf, "cannot use baseline 'old.json'") != NULL, "%s", buf);
    cr_assert(strstr(buf, needle) != NULL, "stderr '%s' lacks '%s'", buf, needle);
}

Test(baseline, empty_file)
{
    expect_error("  \n", "the file is empty");
}

Test(baseline, not_json)
{
    expect_error("lockscope: 1 finding\n", "no JSON object");
}

Test(baseline, truncated)
{
    expect_error("{\"tool\":\"lockscope\",\"findings\":[{\"id\":\"LS-1\"", "invalid JSON at offset");
}

Test(baseline, trailing_garbage)
{
    expect_error("{\"tool\":\"lockscope\",\"findings\":[]} x", "text after the JSON object");
}

Test(baseline, bad_escape)
{
    expect_error("{\"tool\":\"lock\\qscope\",\"findings\":[]}", "bad escape");
}

Test(baseline, other_tool)
{
    expect_error("{\"version\":\"2.1.0\",\"runs\":[]}", "not a lockscope JSON report");
}

Test(baseline, findings_not_array)
{
    expect_error("{\"tool\":\"lockscope\",\"findings\":{}}", "\"findings\" is not an array");
}

Test(baseline, load_missing)
{
    cr_redirect_stderr();
    cr_assert_eq(ls_baseline_load(&b, "/nonexistent/old.json"), -1);
}
