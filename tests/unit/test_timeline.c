/*
 * The timeline's records as read and turned into holds and waits
 * (analyzer/timeline.c): nesting or not, recursion, waits, what was open
 * when the record ends, events lost in the ring, malformed records, and the
 * moment of a deadlock.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "model.h"
#include "timeline.h"

static unsigned char buf[1 << 16];
static size_t len;

static void add(const void *p, size_t n)
{
    cr_assert_lt(len + n, sizeof buf);
    memcpy(buf + len, p, n);
    len += n;
}

static void rec(uint16_t type, const void *a, size_t an, const void *b, size_t bn)
{
    struct ls_rec_header h = {.type = type, .size = (uint32_t)(an + bn)};
    add(&h, sizeof h);
    add(a, an);
    if (bn)
        add(b, bn);
    static const unsigned char zero[8];
    add(zero, (8 - len % 8) % 8);
}

static void start(void)
{
    len = 0;
    struct ls_file_header h = {.version = LS_TRACE_VERSION, .header_size = sizeof h, .pid = 7};
    memcpy(h.magic, LS_TRACE_MAGIC, sizeof h.magic);
    add(&h, sizeof h);
    struct ls_rec_timeline_clock c = {.mono_ns = 1000, .real_ns = 5000000, .capacity = 64,
                                      .source = LS_TL_SOURCE_TSC};
    rec(LS_REC_TIMELINE_CLOCK, &c, sizeof c, NULL, 0);
}

static void events(uint32_t tid, uint64_t first, uint64_t lost, const struct ls_rec_tl_event *e,
                   uint32_t n)
{
    struct ls_rec_timeline r = {.tid = tid, .n = n, .first = first, .lost = lost};
    rec(LS_REC_TIMELINE, &r, sizeof r, e, n * sizeof *e);
}

#define EV(t, w, o, a) {.ns = (t), .obj = (o), .what = LS_TL_##w, .arg = (a)}

static struct ls_process *proc;
static struct ls_report rep;

static const struct ls_ftimeline *build(void)
{
    char err[256];
    cr_assert_eq(ls_trace_parse(buf, len, &proc, err, sizeof err), 0, "%s", err);
    ls_process_index(proc);
    memset(&rep, 0, sizeof rep);
    size_t i = ls_report_add_process(&rep, proc);
    ls_tl_build(proc, &rep, i, 0);
    cr_assert_not_null(rep.procs[i].timeline);
    return rep.procs[i].timeline;
}

static void done(void)
{
    if (proc)
        ls_process_free(proc);
    proc = NULL;
    ls_report_free(&rep);
}

TestSuite(timeline, .fini = done);

static const struct ls_fslice *slice(const struct ls_ftrack *tk, int wait, uint32_t id,
                                     size_t nth)
{
    for (size_t i = 0; i < tk->nslices; i++)
        if (tk->slices[i].wait == wait && tk->slices[i].id == id && nth-- == 0)
            return &tk->slices[i];
    return NULL;
}

Test(timeline, holds_that_do_not_nest_and_recursion)
{
    start();
    const struct ls_rec_tl_event e[] = {
        EV(100, THREAD_START, 0, 0), EV(110, ACQUIRED, 1, 0), EV(120, ACQUIRED, 2, 0),
        EV(130, RELEASED, 1, 0),     EV(140, RELEASED, 2, 0), EV(150, ACQUIRED, 3, 0),
        EV(160, ACQUIRED, 3, 0),     EV(170, RELEASED, 3, 0), EV(180, RELEASED, 3, 0),
        EV(190, ACQUIRED, 4, 1),     EV(200, RELEASED, 4, 0), EV(210, THREAD_END, 0, 0),
    };
    events(2, 0, 0, e, sizeof e / sizeof e[0]);
    const struct ls_ftimeline *tl = build();
    cr_assert_eq(tl->ntracks, 1);
    const struct ls_ftrack *tk = &tl->tracks[0];
    cr_assert(tk->started && tk->ended);
    cr_assert_eq(tk->nslices, 4);
    const struct ls_fslice *a = slice(tk, 0, 1, 0), *b = slice(tk, 0, 2, 0);
    cr_assert(a && b);
    cr_assert_eq(a->begin_ns, 110);
    cr_assert_eq(a->end_ns, 130);
    cr_assert_eq(b->begin_ns, 120);
    cr_assert_eq(b->end_ns, 140);
    const struct ls_fslice *r = slice(tk, 0, 3, 0);
    cr_assert_eq(r->begin_ns, 150, "a recursive hold is one slice, outermost");
    cr_assert_eq(r->end_ns, 180);
    cr_assert_null(slice(tk, 0, 3, 1));
    cr_assert_str_eq(slice(tk, 0, 4, 0)->what, "read hold");
    cr_assert_str_eq(a->object, "lock #1");
    cr_assert_eq(tl->mono_ns, 1000);
    cr_assert_eq(tl->real_ns, 5000000);
}

Test(timeline, waits_and_what_is_open_at_the_end)
{
    start();
    const struct ls_rec_tl_event t1[] = {
        EV(100, THREAD_START, 0, 0), EV(110, ACQUIRED, 1, 0),
        EV(120, WAIT_BEGIN, 2, LS_WAIT_LOCK),
    };
    const struct ls_rec_tl_event t2[] = {
        EV(105, THREAD_START, 0, 0), EV(115, ACQUIRED, 2, 0),
        EV(130, WAIT_BEGIN, 1, LS_WAIT_LOCK), EV(131, WAIT_END, 0, 0),
        EV(140, WAIT_BEGIN, 1, LS_WAIT_LOCK),
    };
    const struct ls_rec_tl_event t0[] = {
        EV(90, THREAD_START, 0, 0), EV(95, WAIT_BEGIN, 2, LS_WAIT_JOIN),
        EV(96, WAIT_BEGIN, 5, LS_WAIT_SEM),
    };
    events(2, 0, 0, t1, 3);
    events(3, 0, 0, t2, 5);
    events(1, 0, 0, t0, 3);
    const struct ls_ftimeline *tl = build();
    cr_assert_eq(tl->ntracks, 3);
    cr_assert_eq(tl->tracks[0].tid, 1, "tracks by thread id");
    const struct ls_ftrack *a = ls_ftimeline_track(tl, 2), *b = ls_ftimeline_track(tl, 3);
    const struct ls_fslice *w = slice(a, 1, 2, 0);
    cr_assert_str_eq(w->what, "lock");
    cr_assert(w->open_end);
    cr_assert_eq(w->end_ns, 140, "open to the process's last event");
    cr_assert(slice(a, 0, 1, 0)->open_end);
    cr_assert_eq(slice(b, 1, 1, 0)->end_ns, 131);
    cr_assert_not(slice(b, 1, 1, 0)->open_end);
    cr_assert(slice(b, 1, 1, 1)->open_end);
    const struct ls_ftrack *m = ls_ftimeline_track(tl, 1);
    const struct ls_fslice *j = slice(m, 1, 2, 0);
    cr_assert_str_eq(j->what, "join");
    cr_assert_str_eq(j->object, "T1");
    cr_assert(j->open_end, "a wait whose end was lost ends at the next one");
    cr_assert_eq(j->end_ns, 96);
    cr_assert_str_eq(slice(m, 1, 5, 0)->what, "semaphore");
}

Test(timeline, lost_events)
{
    start();
    /* The ring lost events 0..9: a release of a lock taken before them is a
     * hold since the first event kept; a gap later closes what was open. */
    const struct ls_rec_tl_event r1[] = {EV(200, RELEASED, 1, 0), EV(210, ACQUIRED, 2, 0)};
    const struct ls_rec_tl_event r2[] = {EV(300, RELEASED, 2, 0), EV(310, RELEASED, 3, 0)};
    events(2, 10, 10, r1, 2);
    events(2, 20, 8, r2, 2);
    const struct ls_ftimeline *tl = build();
    const struct ls_ftrack *tk = &tl->tracks[0];
    cr_assert_eq(tk->lost, 18);
    cr_assert_eq(tk->events, 4);
    const struct ls_fslice *h1 = slice(tk, 0, 1, 0);
    cr_assert(h1 && h1->open_begin);
    cr_assert_eq(h1->begin_ns, 200);
    const struct ls_fslice *h2 = slice(tk, 0, 2, 0);
    cr_assert(h2 && h2->open_end, "closed at the gap");
    cr_assert_eq(h2->end_ns, 210);
    cr_assert(slice(tk, 0, 3, 0)->open_begin);
    cr_assert_eq(slice(tk, 0, 2, 1)->begin_ns, 300, "after the gap: taken before it");
}

Test(timeline, malformed)
{
    start();
    struct ls_rec_timeline r = {.tid = 2, .n = 1000, .first = 0};
    rec(LS_REC_TIMELINE, &r, sizeof r, NULL, 0);
    char err[256];
    struct ls_process *p = NULL;
    cr_assert_eq(ls_trace_parse(buf, len, &p, err, sizeof err), -1);
    cr_assert(strstr(err, "1000 events do not fit"), "%s", err);

    start();
    const struct ls_rec_tl_event e[] = {EV(1, ACQUIRED, 1, 0), EV(2, RELEASED, 1, 0)};
    events(2, 0, 0, e, 2);
    events(2, 1, 0, e, 2);
    cr_assert_eq(ls_trace_parse(buf, len, &p, err, sizeof err), -1);
    cr_assert(strstr(err, "overlap"), "%s", err);
}

Test(timeline, access_times)
{
    start();
    struct ls_rec_access a = {.tid = 2, .addr = 0x1000, .size = 4, .flags = LS_ACCESS_WRITE};
    rec(LS_REC_ACCESS, &a, sizeof a, NULL, 0);
    struct ls_rec_access b = {.tid = 3, .addr = 0x1000, .size = 4};
    rec(LS_REC_ACCESS, &b, sizeof b, NULL, 0);
    struct ls_rec_access_time at = {.tid = 2, .addr = 0x1000, .ns = 777};
    rec(LS_REC_ACCESS_TIME, &at, sizeof at, NULL, 0);
    char err[256];
    cr_assert_eq(ls_trace_parse(buf, len, &proc, err, sizeof err), 0, "%s", err);
    cr_assert_eq(proc->naccesses, 2);
    cr_assert_eq(proc->accesses[0].ns, 777, "the thread's latest access");
    cr_assert_eq(proc->accesses[1].ns, 0);
}

Test(timeline, no_records_no_timeline)
{
    start();
    len = sizeof(struct ls_file_header);
    char err[256];
    cr_assert_eq(ls_trace_parse(buf, len, &proc, err, sizeof err), 0, "%s", err);
    memset(&rep, 0, sizeof rep);
    size_t i = ls_report_add_process(&rep, proc);
    ls_tl_build(proc, &rep, i, 0);
    cr_assert_null(rep.procs[i].timeline);
}
