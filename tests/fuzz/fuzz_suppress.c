/*
 * libFuzzer harness: suppression files (analyzer/suppress.h).
 *
 * The input is the text of a suppressions file, optionally followed by a
 * NUL and NUL-separated names (variable, function, source file, module,
 * lock name, lock label) that three hand-built findings carry: a data race,
 * a lock-order cycle and a misuse.  Every finding is matched against the
 * rules, and the suggested suppression line is checked against its
 * contract (suppress.h, docs/reports.md): it matches its finding, and
 * written into a suppressions file it parses into one rule that does.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which, then crash so that libFuzzer keeps the input. */
#define CHECK(cond, what)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_suppress: %s\n", what);                     \
            abort();                                                          \
        }                                                                     \
    } while (0)

enum { VAR, FUNCTION, FILE_, MODULE, LOCK, LABEL, NNAMES };

static const char *const default_names[NNAMES] = {
    "counter", "worker", "/src/app/counter_race.c", "/usr/bin/app", "noodle_lock",
    "mutex initialized at main (app.c:12)",
};

static void check_suggestion(const struct ls_finding *f)
{
    char *line = ls_supp_suggest(f);
    if (!line)
        return;
    const char *colon = strchr(line, ':');
    CHECK(colon, "ls_supp_suggest: no TYPE: in the suggested line");
    char *type = strndup(line, (size_t)(colon - line));
    CHECK(type && ls_supp_matches(type, colon + 1, f),
          "ls_supp_suggest: the suggested line does not match its finding");
    struct ls_suppressions s;
    memset(&s, 0, sizeof s);
    CHECK(ls_supp_parse(&s, line, "suggested.supp") == 0 && s.n == 1,
          "ls_supp_suggest: the suggested line is refused by ls_supp_parse");
    CHECK(strcmp(s.rules[0].text, line) == 0 && ls_supp_match(&s, f) == &s.rules[0],
          "ls_supp_suggest: the suggested line, parsed, does not suppress its finding");
    ls_supp_free(&s);
    free(type);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 2);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = text[size + 1] = 0;

    /* Names after the first NUL; missing ones keep their defaults. */
    const char *names[NNAMES];
    memcpy(names, default_names, sizeof names);
    size_t tlen = strlen(text);
    if (tlen < size) {
        const char *p = text + tlen + 1;
        for (int i = 0; i < NNAMES && p < text + size; i++) {
            names[i] = *p ? p : NULL;
            p += strlen(p) + 1;
        }
    }

    struct ls_suppressions s;
    memset(&s, 0, sizeof s);
    int rc = ls_supp_parse(&s, text, "fuzz.supp");
    CHECK(rc == 0 || rc == -1, "ls_supp_parse: returned neither 0 nor -1");
    for (size_t i = 0; i < s.n; i++) {
        const struct ls_supp_rule *r = &s.rules[i];
        CHECK(r->type && r->pattern && *r->pattern && r->text && r->file && r->line >= 1,
              "ls_supp_parse: a rule with a field missing");
        CHECK(!strcmp(r->type, "race") || !strcmp(r->type, "deadlock") ||
                  !strcmp(r->type, "misuse"),
              "ls_supp_parse: a rule of an unknown type");
        size_t tn = strlen(r->type), kn = r->kind ? strlen(r->kind) + 1 : 0;
        CHECK(!strncmp(r->text, r->type, tn) &&
                  (!r->kind || (r->text[tn] == '.' && !strncmp(r->text + tn + 1, r->kind,
                                                               kn - 1))) &&
                  r->text[tn + kn] == ':' && !strcmp(r->text + tn + kn + 1, r->pattern),
              "ls_supp_parse: the rule's text (shown in reports) is not TYPE[.KIND]:PATTERN");
    }

    struct ls_fframe frame = {
        .function = (char *)names[FUNCTION],
        .file = (char *)names[FILE_],
        .line = 7,
        .module = (char *)names[MODULE],
        .pc = 0x1234,
    };
    struct ls_fframe sysframe = {
        .function = (char *)"start_thread",
        .module = (char *)"/usr/lib/x86_64-linux-gnu/libc.so.6",
    };
    struct ls_fframe frames[2] = {frame, sysframe};
    struct ls_fstack stack = {2, frames};
    struct ls_flock lock = {
        .id = 1,
        .name = (char *)names[LOCK],
        .label = (char *)(names[LABEL] ? names[LABEL] : "a mutex"),
        .kind = "mutex",
        .site = stack,
    };
    struct ls_flock locks[2] = {lock, lock};
    locks[1].id = 2;
    locks[1].name = NULL;
    struct ls_fedge edges[2] = {
        {.from = 0, .to = 1, .thread = {.tid = 2}, .from_stack = stack, .to_stack = stack},
        {.from = 1, .to = 0, .thread = {.tid = 3}, .from_stack = stack, .to_stack = stack},
    };

    struct ls_finding race, cycle, misuse;
    memset(&race, 0, sizeof race);
    race.kind = LS_FIND_RACE;
    race.var.name = (char *)names[VAR];
    race.access[0].stack = stack;
    race.access[1].stack = stack;
    race.access[1].write = 1;
    race.summary = names[FILE_] ? &frames[0] : NULL;

    memset(&cycle, 0, sizeof cycle);
    cycle.kind = LS_FIND_LOCK_ORDER;
    cycle.nlocks = 2;
    cycle.locks = locks;
    cycle.nedges = 2;
    cycle.edges = edges;
    cycle.summary = race.summary;

    memset(&misuse, 0, sizeof misuse);
    misuse.kind = LS_FIND_MISUSE;
    misuse.rule = "errorcheck-relock";
    misuse.stack = stack;
    misuse.stack2 = stack;
    misuse.nlocks = 1;
    misuse.locks = locks;

    const struct ls_finding *all[] = {&race, &cycle, &misuse};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        struct ls_supp_rule *hit = ls_supp_match(&s, all[i]);
        CHECK(!hit || (hit >= s.rules && hit < s.rules + s.n),
              "ls_supp_match: returned something that is not a rule");
        check_suggestion(all[i]);
    }

    ls_supp_free(&s);
    free(text);
    return 0;
}
