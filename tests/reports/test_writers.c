/*
 * The writers on hand-built reports: HTML, SARIF, JUnit, JSON and text,
 * rendered into memory and checked for structure and escaping.  (The
 * end-to-end tests validate real reports with a JSON schema, an XML parser
 * and a browser.)
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "reports.h"
#include "sha256.h"

#define PAYLOAD "<img src=x onerror=alert(1)>"
#define PAYLOAD_HTML "&lt;img src=x onerror=alert(1)&gt;"

static struct ls_report r;
static struct ls_report_ctx c;

static void setup(void)
{
    memset(&r, 0, sizeof r);
    memset(&c, 0, sizeof c);
    c.status = 0;
    c.duration_s = 1.5;
}

static void teardown(void)
{
    ls_report_free(&r);
    ls_report_ctx_free(&c);
}

TestSuite(writers, .init = setup, .fini = teardown, .timeout = 20);

typedef void (*renderer)(FILE *, const struct ls_report *, const struct ls_report_ctx *);

static char *render(renderer fn, const struct ls_report_ctx *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    fn(f, &r, ctx);
    fclose(f);
    return buf;
}

/* Removes the SGR escape sequences from s, in place. */
static void strip_escapes(char *s)
{
    char *o = s;
    for (const char *p = s; *p;) {
        if (*p == '\033') {
            p += strcspn(p, "m") + 1;
            continue;
        }
        *o++ = *p++;
    }
    *o = 0;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Two processes, the second with a hostile command line; a cycle in each
 * (the second with hostile names), and a deadlock. */
static void build(void)
{
    fx_add_process(&r, 100, "./app --fast");
    fx_add_process(&r, 200, "./child '" PAYLOAD "'");
    fx_cycle(&r, 0, "noodle_lock", "fork_lock", "eat1", "eat2", "/src/app/noodle.c", NULL);
    fx_cycle(&r, 1, "mutex initialized at f (" PAYLOAD ".c:3)", "b", "g", "h",
             "/src/" PAYLOAD "/x.c", PAYLOAD);
    fx_deadlock(&r, 1, LS_TEST_SRC_DIR "/fixtures.h");
    c.command = xstrdup("./app --fast");
    c.nfx = r.nfindings;
    c.fx = xcalloc(c.nfx, sizeof *c.fx);
    for (size_t i = 0; i < c.nfx; i++) {
        c.fx[i].suppress = xstrdup(i == 1 ? "deadlock:g" : "deadlock:eat1");
        c.fx[i].fails = 1;
    }
    c.npx = r.nprocs;
    c.px = xcalloc(c.npx, sizeof *c.px);
    c.px[1].exit_status = 0;
    c.px[1].notes = xcalloc(1, sizeof(char *));
    c.px[1].notes[0] = xstrdup("note about " PAYLOAD);
    c.px[1].nnotes = 1;
    /* What each process's checks covered (the analyzer sets these). */
    for (size_t i = 0; i < r.nprocs; i++)
        ls_scope_set(&r.procs[i], "lock-order", "lock-order cycles", LS_SCOPE_CHECKED,
                     "2 locks and 2 lock-order edges searched");
    ls_scope_set(&r.procs[0], "data-race", "data races on global variables", LS_SCOPE_CHECKED,
                 "12 accesses sampled");
    ls_scope_set(&r.procs[1], "data-race", "data races on global variables",
                 LS_SCOPE_NOT_CHECKED, "the kernel refused hardware watchpoints (" PAYLOAD ")");
    ls_scope_set(&r.procs[1], "timeline", "a per-thread timeline", LS_SCOPE_NOT_CHECKED,
                 "not recorded: no timing in the trace");
    c.fail_on_all = 1;
    c.failing = c.nfx;
    c.srcroot = xstrdup("/src");
}

Test(writers, html_escapes_and_structure)
{
    build();
    char *h = render(ls_report_html, &c);
    cr_assert(strstr(h, "<!DOCTYPE html>") == h);
    cr_assert_null(strstr(h, PAYLOAD), "a raw payload reached the page");
    cr_assert_null(strstr(h, "<img"), "an <img> tag in the page");
    cr_assert(count(h, PAYLOAD_HTML) >= 5, "the payload is shown, escaped");
    /* One article per finding, anchored by id. */
    for (size_t i = 0; i < r.nfindings; i++) {
        char want[64];
        snprintf(want, sizeof want, "<article class=\"finding\" id=\"%s\"", r.findings[i].id);
        cr_assert_not_null(strstr(h, want), "%s", want);
    }
    cr_assert_eq(count(h, "<article class=\"finding\""), 3);
    /* Drawings: both cycles and the deadlock. */
    cr_assert_eq(count(h, "<figure class=\"graph\"><svg"), 3);
    cr_assert_eq(count(h, "<g class=\"node lock\">"), 6);
    /* Which process each finding is in. */
    cr_assert_not_null(strstr(h, "in process 200: <code>./child &#39;" PAYLOAD_HTML "&#39;</code>"));
    /* The summary says what was not checked. */
    cr_assert_not_null(strstr(h, "a per-thread timeline"));
    cr_assert_not_null(strstr(h, "deadlock:eat1"));
    /* The source around a readable frame, its line highlighted. */
    cr_assert_not_null(strstr(h, "<span class=\"l hit\"><span class=\"ln\">50</span>"));
    /* No external resources. */
    cr_assert_null(strstr(h, "src=\"http"));
    cr_assert_null(strstr(h, "href=\"http"));
    free(h);
}

Test(writers, html_csp_allows_exactly_its_script)
{
    build();
    char *h = render(ls_report_html, &c);
    char *open = strstr(h, "<script>");
    cr_assert_not_null(open);
    open += strlen("<script>");
    char *close = strstr(open, "</script>");
    cr_assert_not_null(close);
    cr_assert_eq(count(h, "<script"), 1, "one script only");
    uint8_t d[32];
    char b64[48], want[80];
    ls_sha256(open, (size_t)(close - open), d);
    ls_base64(d, sizeof d, b64);
    snprintf(want, sizeof want, "script-src 'sha256-%s'", b64);
    cr_assert_not_null(strstr(h, want), "CSP lacks %s", want);
    cr_assert_not_null(strstr(h, "default-src 'none'"));
    free(h);
}

Test(writers, html_without_findings_or_context)
{
    fx_add_process(&r, 7, "./clean");
    char *h = render(ls_report_html, NULL);
    cr_assert_not_null(strstr(h, "id=\"no-findings\""));
    cr_assert_not_null(strstr(h, "<span id=\"finding-count\">0</span>"));
    /* No fixed text: with no scope recorded, nothing is claimed either way. */
    cr_assert_not_null(strstr(h, "<ul class=\"notes\" id=\"checked\"></ul>"));
    cr_assert_null(strstr(h, "timeline"));
    free(h);
}

/* The "checked / not checked" lists come from what each process's checks
 * recorded: merged where they agree, per process where they do not. */
Test(writers, scope_lists_from_the_processes)
{
    build();
    char *h = render(ls_report_html, &c);
    const char *chk = strstr(h, "id=\"checked\">"), *not = strstr(h, "id=\"not-checked\">");
    cr_assert(chk && not && chk < not);
    cr_assert_not_null(strstr(chk, "<li data-check=\"lock-order\" data-state=\"checked\">"
                                   "lock-order cycles: 2 locks and 2 lock-order edges searched "
                                   "(every process)"));
    const char *race_ok = strstr(chk, "data-check=\"data-race\" data-state=\"checked\"");
    const char *race_no = strstr(not, "data-check=\"data-race\" data-state=\"not-checked\"");
    cr_assert(race_ok && race_ok < not, "process 100's races are listed as checked");
    cr_assert_not_null(race_no, "process 200's races are listed as not checked");
    cr_assert_not_null(strstr(race_no, "the kernel refused hardware watchpoints (" PAYLOAD_HTML
                                       ") (1 of 2 processes)"));
    cr_assert_null(strstr(h, "C11"));
    free(h);

    char *j = render(ls_report_json, &c);
    cr_assert_not_null(strstr(j, "\"scope\":[{\"check\":\"lock-order\",\"title\":\"lock-order "
                                 "cycles\",\"state\":\"checked\",\"detail\":\"2 locks and 2 "
                                 "lock-order edges searched\"}"));
    cr_assert_not_null(strstr(j, "{\"check\":\"data-race\",\"title\":\"data races on global "
                                 "variables\",\"state\":\"not-checked\""));
    cr_assert_not_null(strstr(j, "\"checked\":[\"lock-order cycles: 2 locks and 2 lock-order "
                                 "edges searched (every process)\",\"data races on global "
                                 "variables: 12 accesses sampled (1 of 2 processes)\"],"
                                 "\"not_checked\":[\"data races on global variables: the kernel "
                                 "refused hardware watchpoints (" PAYLOAD));
    free(j);

    char *sf = render(ls_report_sarif, &c);
    cr_assert_not_null(strstr(sf, "Not checked: a per-thread timeline: not recorded"));
    free(sf);
}

Test(writers, html_baseline_badges)
{
    build();
    c.baseline_file = xstrdup("old.json");
    c.fx[0].baseline = LS_BASELINE_KNOWN;
    c.fx[0].fails = 0;
    c.fx[1].baseline = LS_BASELINE_NEW;
    c.fx[2].baseline = LS_BASELINE_NEW;
    char *h = render(ls_report_html, &c);
    cr_assert_eq(count(h, "data-baseline=\"known\""), 1);
    cr_assert_eq(count(h, "data-baseline=\"new\""), 2);
    cr_assert_not_null(strstr(h, "id=\"new-only\""));
    free(h);
}

Test(writers, sarif_shape)
{
    build();
    c.baseline_file = xstrdup("old.json");
    c.fx[0].baseline = LS_BASELINE_KNOWN;
    char *s = render(ls_report_sarif, &c);
    cr_assert_not_null(strstr(s, "\"version\":\"2.1.0\""));
    cr_assert_not_null(strstr(s, "\"rules\":[{\"id\":\"lock-order-cycle\""));
    cr_assert_eq(count(s, "\"ruleId\":"), 3);
    cr_assert_not_null(strstr(s, "\"uri\":\"app/noodle.c\",\"uriBaseId\":\"SRCROOT\""));
    cr_assert_not_null(strstr(s, "\"SRCROOT\":{\"uri\":\"file:///src/\"}"));
    /* The hostile directory is percent-encoded in the URI. */
    cr_assert_not_null(strstr(s, "\"uri\":\"%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/x.c\""));
    cr_assert_eq(count(s, "\"codeFlows\":"), 3);
    cr_assert_eq(count(s, "\"relatedLocations\":"), 3);
    char want[80];
    snprintf(want, sizeof want, "\"lockscopeFindingId/v1\":\"%s\"", r.findings[0].id);
    cr_assert_not_null(strstr(s, want));
    cr_assert_not_null(strstr(s, "\"baselineState\":\"unchanged\""));
    cr_assert_null(strstr(s, PAYLOAD), "JSON strings escape '<'");
    free(s);
}

/* Source paths as compilers write them ("build/../src"): normalized, so
 * that code scanning matches them to the repository's files. */
Test(writers, sarif_paths_normalized)
{
    fx_add_process(&r, 300, "./grid");
    fx_race(&r, 0, "cells", "/src/build/../app/./race.c", NULL);
    fx_race(&r, 0, "other", "/elsewhere/../src//lib/x.c", NULL);
    fx_race(&r, 0, "rel", "./obj/../../up/y.c", NULL);
    c.srcroot = xstrdup("/src/./");
    char *s = render(ls_report_sarif, &c);
    cr_assert_not_null(strstr(s, "\"uri\":\"app/race.c\",\"uriBaseId\":\"SRCROOT\""), "%s", s);
    cr_assert_not_null(strstr(s, "\"uri\":\"lib/x.c\",\"uriBaseId\":\"SRCROOT\""));
    cr_assert_not_null(strstr(s, "\"uri\":\"../up/y.c\""), "%s", s);
    cr_assert_null(strstr(s, "/./"));
    cr_assert_null(strstr(s, "build/.."));
    free(s);
}

Test(writers, junit_shape)
{
    build();
    c.fx[0].fails = 0;
    c.fx[0].baseline = LS_BASELINE_KNOWN;
    c.baseline_file = xstrdup("old.json");
    char *j = render(ls_report_junit, &c);
    cr_assert(strstr(j, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ") == j);
    cr_assert_not_null(strstr(j, "<testsuites name=\"lockscope\" tests=\"2\" failures=\"1\""));
    cr_assert_eq(count(j, "<testcase "), 2);
    cr_assert_eq(count(j, "<failure "), 1, "process 100's finding is known");
    cr_assert_not_null(strstr(j, "name=\"./child &#39;" PAYLOAD_HTML "&#39;\""));
    cr_assert_null(strstr(j, PAYLOAD));
    cr_assert_not_null(strstr(j, r.findings[1].id));
    cr_assert_not_null(strstr(j, "known (in the baseline): "));
    free(j);
}

Test(writers, junit_without_processes_is_skipped)
{
    c.command = xstrdup("./static-prog");
    c.notes = xcalloc(1, sizeof(char *));
    c.notes[0] = xstrdup("'./static-prog' is statically linked");
    c.nnotes = 1;
    char *j = render(ls_report_junit, &c);
    cr_assert_not_null(strstr(j, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""));
    cr_assert_not_null(strstr(j, "<skipped message=\"&#39;./static-prog&#39; is statically linked\"/>"));
    free(j);
}

Test(writers, json_gating_fields)
{
    build();
    c.supp_file = xstrdup("s.supp");
    c.nsupps = 1;
    c.supps = xcalloc(1, sizeof *c.supps);
    c.supps[0] = (struct ls_rsupp){xstrdup("deadlock:zzz"), xstrdup("s.supp"), 4, 2};
    c.suppressed = 2;
    c.suppressed_by_kind[c.nsuppressed_kinds++] = (struct ls_rcount){"lock-order-cycle", 2};
    char *s = render(ls_report_json, &c);
    cr_assert_not_null(strstr(s, "\"suppression\":\"deadlock:eat1\",\"baseline\":null,\"fails\":true"));
    cr_assert_not_null(strstr(s, "\"suppressions\":{\"file\":\"s.supp\",\"suppressed\":2,"
                                 "\"by_kind\":{\"lock-order-cycle\":2,"));
    cr_assert_not_null(strstr(s, "{\"file\":\"s.supp\",\"line\":4,\"text\":\"deadlock:zzz\","
                                 "\"matched\":2}"));
    cr_assert_not_null(strstr(s, "\"run\":{\"command\":\"./app --fast\",\"exit_status\":0,"
                                 "\"duration_seconds\":1.500"));
    free(s);
}

Test(writers, text_suppression_line_follows_each_finding)
{
    build();
    char *t = render(ls_report_text, &c);
    /* Each block: SUMMARY line, then the suppression line, then the rule. */
    cr_assert_eq(count(t, "  Suppress it with this line in a --suppressions file: "), 3);
    const char *p = t;
    for (size_t i = 0; i < 3; i++) {
        p = strstr(p, "\nSUMMARY: ");
        cr_assert_not_null(p);
        const char *supp = strstr(p, "Suppress it with this line");
        const char *rule = strstr(p, "==================");
        cr_assert(supp && rule && supp < rule, "finding %zu: the line is not in its block", i);
        p = rule;
    }
    free(t);
}

Test(writers, race_in_every_format)
{
    fx_add_process(&r, 300, "./bank");
    fx_race(&r, 0, "balance", LS_TEST_SRC_DIR "/fixtures.h", "balance_lock");
    char *h = render(ls_report_html, NULL);
    cr_assert_not_null(strstr(h, "<h4>Write of balance (8 bytes at 0x5555000010) by T1, "
                                 "holding no lock</h4>"));
    cr_assert_not_null(strstr(h, "<h4>Conflicting read of balance (8 bytes at 0x5555000010) by "
                                 "T2, holding balance_lock</h4>"));
    cr_assert_null(strstr(h, "<figure class=\"graph\">"), "no drawing for a race");
    free(h);
    char *s = render(ls_report_sarif, NULL);
    cr_assert_not_null(strstr(s, "\"ruleId\":\"data-race\""));
    cr_assert_eq(count(s, "\"kinds\":[\"memory\"]"), 2, "one memory step per access");
    cr_assert_not_null(strstr(s, "T1 writes balance holding no lock"));
    free(s);
    char *j = render(ls_report_junit, NULL);
    cr_assert_not_null(strstr(j, "T2 reads balance:"));
    free(j);
}

/* Colour only when the command asks for it, and only in the text report. */
Test(writers, text_colours_only_when_asked)
{
    build();
    char *plain = render(ls_report_text, &c);
    cr_assert_null(strchr(plain, '\033'), "escape codes without colour");
    c.color = 1;
    char *t = render(ls_report_text, &c);
    cr_assert_not_null(strstr(t, "\033[1m\033[31mWARNING: lockscope: lock-order-inversion"));
    cr_assert_not_null(strstr(t, "\033[1mSUMMARY: lockscope: "));
    cr_assert_not_null(strstr(t, "\033[1m\033[35mnoodle_lock\033[0m"));
    cr_assert_not_null(strstr(t, "\033[1m\033[36m"), "thread descriptions in cyan");
    /* Without the escape codes, the coloured report is the plain one. */
    strip_escapes(t);
    cr_assert_str_eq(t, plain);
    /* The other formats never colour. */
    renderer others[] = {ls_report_html, ls_report_json, ls_report_sarif, ls_report_junit};
    for (size_t i = 0; i < 4; i++) {
        char *s = render(others[i], &c);
        cr_assert_null(strchr(s, '\033'), "escape codes in format %zu", i);
        free(s);
    }
    free(t);
    free(plain);
}

/* The last line: findings by kind, suppressed, and where everything went. */
Test(writers, text_last_line_says_it_all)
{
    build();
    c.suppressed = 2;
    c.status = 1;
    c.trace_dir = xstrdup("/tmp/t");
    c.written[c.nwritten++] = (struct ls_rwritten){"HTML", "/tmp/t/report.html"};
    c.written[c.nwritten++] = (struct ls_rwritten){"JUnit", "out.xml"};
    char *t = render(ls_report_text, &c);
    size_t n = strlen(t);
    cr_assert(n > 1 && t[n - 1] == '\n');
    t[n - 1] = 0;
    const char *last = strrchr(t, '\n') + 1;
    cr_assert_str_eq(last, "lockscope: 3 findings (2 lock-order-cycle, 1 deadlock), 2 "
                           "suppressed; the program exited with status 1; traces in '/tmp/t'; HTML report in "
                           "'/tmp/t/report.html'; JUnit report in 'out.xml'");
    free(t);
    ls_report_free(&r);
    fx_add_process(&r, 9, "./clean");
    t = render(ls_report_text, NULL);
    cr_assert_not_null(strstr(t, "\nlockscope: 0 findings, 0 suppressed\n"));
    free(t);
}

/* The bytes of a race, as decoded: their size and what the debug
 * information calls them (or their offset), in every format. */
Test(writers, race_bytes_in_every_format)
{
    fx_add_process(&r, 300, "./grid");
    struct ls_finding *f = fx_race(&r, 0, "cells", LS_TEST_SRC_DIR "/fixtures.h", NULL);
    struct ls_finding *g = fx_race(&r, 0, "buf", LS_TEST_SRC_DIR "/fixtures.h", NULL);
    for (int i = 0; i < 2; i++) {
        struct ls_faccess *a = &f->access[i];
        free(a->where);
        a->where = xstrdup("cells[2]");
        a->addr = 0x5555000018;
        a->size = 4;
        a->offset = 8;
        a = &g->access[i];
        free(a->where);
        a->where = xstrdup("offset 8 of buf");
        a->addr = 0x5555000018;
        a->size = i ? 8 : 1;
        a->offset = 8;
    }
    f->access[0].read = 1; /* a read-modify-write */
    g->access[1].inexact = 1;
    char *t = render(ls_report_text, NULL);
    cr_assert_not_null(strstr(t, "Read-modify-write of size 4 at 0x5555000018 (cells[2]) by thread T1"));
    cr_assert_not_null(strstr(t, "Conflicting read of size 4 at 0x5555000018 (cells[2]) by thread T2"));
    cr_assert_not_null(strstr(t, "Write of size 1 at 0x5555000018 (offset 8 of buf) by thread T1"));
    cr_assert_not_null(strstr(t, "Conflicting read of some of the 8 bytes at 0x5555000018 "
                                 "(offset 8 of buf; its address could not be computed) by thread T2"));
    /* In colour: the access blue, the bytes it touched green, not one other byte changed. */
    char *pt = render(ls_report_text, &c);
    c.color = 1;
    char *ct = render(ls_report_text, &c);
    cr_assert_not_null(strstr(ct, "  \033[1m\033[34mRead-modify-write of size 4 at 0x5555000018 ("
                                  "\033[0m\033[1m\033[32mcells[2]\033[0m\033[1m\033[34m) by "
                                  "thread T1\033[0m, holding no lock:"));
    cr_assert_not_null(strstr(ct, "\033[1m\033[32moffset 8 of buf\033[0m\033[1m\033[34m; its "
                                  "address could not be computed) by thread T2"));
    cr_assert_not_null(strstr(ct, "\033[1m\033[32mLocation is global 'cells' of size 8 at "
                                  "0x5555000010.\033[0m"));
    strip_escapes(ct);
    cr_assert_str_eq(ct, pt, "the coloured report without its escape codes is the plain one");
    free(ct);
    free(pt);
    c.color = 0;
    free(t);
    char *h = render(ls_report_html, NULL);
    cr_assert_not_null(strstr(h, "<h4>Read-modify-write of cells[2] (4 bytes at 0x5555000018)"));
    cr_assert_not_null(strstr(h, "<h4>Write of offset 8 of buf (1 bytes at 0x5555000018)"));
    free(h);
    char *j = render(ls_report_json, NULL);
    cr_assert_not_null(strstr(j, "{\"kind\":\"write\",\"read_modify_write\":true,"
                                 "\"address\":\"0x5555000018\",\"size\":4,\"offset\":8,"
                                 "\"where\":\"cells[2]\",\"address_computed\":true,\"watched\":0,"));
    cr_assert_not_null(strstr(j, "\"size\":8,\"offset\":8,\"where\":\"offset 8 of buf\","
                                 "\"address_computed\":false,"));
    cr_assert_not_null(strstr(j, "\"variable\":{\"name\":\"cells\",\"address\":\"0x5555000018\","
                                 "\"size\":8,\"offset\":8,\"watched\":0,"
                                 "\"start\":\"0x5555000010\",\"location\":\"global\"}"));
    free(j);
    char *s = render(ls_report_sarif, NULL);
    cr_assert_not_null(strstr(s, "T1 writes cells[2] holding no lock"));
    cr_assert_not_null(strstr(s, "T1 writes offset 8 of buf holding no lock"));
    free(s);
    char *u = render(ls_report_junit, NULL);
    cr_assert_not_null(strstr(u, "T2 reads cells[2]:"));
    cr_assert_not_null(strstr(u, "T2 reads offset 8 of buf:"));
    free(u);
}
