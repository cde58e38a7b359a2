/*
 * The timeline: records as read (ls_tl_parse), then intervals per thread
 * and the moments of the findings (ls_tl_build).
 *
 * A thread's events arrive in order, in records that never overlap; the
 * ring may have lost some before a record (`lost`): then what was open
 * before the gap is closed at the last event before it (open_end), and
 * releases after it of holds it never saw begin at the first event after
 * it (open_begin).
 */
#define _GNU_SOURCE
#include "timeline.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ls_tl_model *model(struct ls_process *pr)
{
    if (!pr->timeline)
        pr->timeline = xcalloc(1, sizeof *pr->timeline);
    return pr->timeline;
}

static struct ls_tl_thread *thread_of(struct ls_tl_model *m, uint32_t tid)
{
    for (size_t i = m->nthreads; i-- > 0;)
        if (m->threads[i].tid == tid)
            return &m->threads[i];
    LS_GROW(m->threads, m->cap, m->nthreads + 1);
    struct ls_tl_thread *t = &m->threads[m->nthreads++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    return t;
}

int ls_tl_parse(struct ls_process *pr, uint16_t type, const void *p, size_t n, char *why,
                size_t whylen)
{
    if (type == LS_REC_TIMELINE_CLOCK) {
        struct ls_rec_timeline_clock c;
        if (n < sizeof c)
            return snprintf(why, whylen, "timeline clock record of %zu bytes is too short", n),
                   -1;
        memcpy(&c, p, sizeof c);
        struct ls_tl_model *m = model(pr);
        m->have_clock = 1;
        m->mono_ns = c.mono_ns;
        m->real_ns = c.real_ns;
        m->capacity = c.capacity;
        m->source = c.source;
        return 0;
    }
    if (type == LS_REC_ACCESS_TIME) {
        struct ls_rec_access_time a;
        if (n < sizeof a)
            return snprintf(why, whylen, "access time record of %zu bytes is too short", n), -1;
        memcpy(&a, p, sizeof a);
        /* Its access is the thread's latest one with that address. */
        for (size_t i = pr->naccesses, k = 0; i-- > 0 && k < 4096; k++) {
            struct ls_access_rec *x = &pr->accesses[i];
            if (x->tid == a.tid) {
                if (x->addr == a.addr && !x->ns)
                    x->ns = a.ns;
                break;
            }
        }
        return 0;
    }
    struct ls_rec_timeline r;
    if (n < sizeof r)
        return snprintf(why, whylen, "timeline record of %zu bytes is too short", n), -1;
    memcpy(&r, p, sizeof r);
    if (r.n > (n - sizeof r) / sizeof(struct ls_rec_tl_event))
        return snprintf(why, whylen, "timeline record: %u events do not fit in %zu bytes", r.n,
                        n),
               -1;
    struct ls_tl_thread *t = thread_of(model(pr), r.tid);
    if (r.n && t->n && r.first < t->next)
        return snprintf(why, whylen,
                        "timeline record: thread %u's events from %llu overlap earlier ones",
                        r.tid, (unsigned long long)r.first),
               -1;
    LS_GROW(t->ev, t->cap, t->n + r.n);
    const unsigned char *q = (const unsigned char *)p + sizeof r;
    for (uint32_t i = 0; i < r.n; i++) {
        struct ls_rec_tl_event e;
        memcpy(&e, q + (size_t)i * sizeof e, sizeof e);
        t->ev[t->n++] = (struct ls_tl_ev){e.ns, e.obj, e.what, e.arg,
                                          i == 0 && (r.lost || (t->next && r.first > t->next))};
    }
    if (r.n)
        t->next = r.first + r.n;
    t->lost += r.lost;
    return 0;
}

void ls_tl_model_free(struct ls_tl_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nthreads; i++)
        free(m->threads[i].ev);
    free(m->threads);
    free(m);
}

/* ---- intervals ---------------------------------------------------------- */

struct names {
    struct ls_process *p;
    size_t n, cap;
    struct {
        uint32_t id;
        char *label;
    } *v;
};

static const char *lock_name(struct names *nm, uint32_t id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < nm->n; i++)
        if (nm->v[i].id == id)
            return nm->v[i].label;
    struct ls_flock l;
    ls_flock_build(nm->p, id, &l);
    LS_GROW(nm->v, nm->cap, nm->n + 1);
    nm->v[nm->n].id = id;
    nm->v[nm->n].label = l.label;
    nm->n++;
    free(l.name);
    for (size_t k = 0; k < l.site.n; k++) {
        free(l.site.frames[k].function);
        free(l.site.frames[k].file);
        free(l.site.frames[k].module);
    }
    free(l.site.frames);
    return nm->v[nm->n - 1].label;
}

static const char *wait_what(uint32_t kind)
{
    switch (kind) {
    case LS_WAIT_LOCK: return "lock";
    case LS_WAIT_LOCK_READ: return "read-lock";
    case LS_WAIT_JOIN: return "join";
    case LS_WAIT_COND: return "condvar";
    case LS_WAIT_SEM: return "semaphore";
    case LS_WAIT_BARRIER: return "barrier";
    }
    return "wait";
}

struct open_hold {
    uint32_t id, depth;
    int read, open_begin;
    uint64_t since;
};

struct builder {
    struct names *nm;
    struct ls_ftrack *tk;
    size_t cap;
    struct open_hold *holds;
    size_t nholds, cap_holds;
    int in_wait, wait_open_begin;
    int seg_started;          /* the thread's start is in this gap-free stretch */
    uint32_t wait_kind, wait_obj;
    uint64_t wait_since;
};

static void add_slice(struct builder *b, int wait, const char *what, uint32_t id,
                      uint64_t begin, uint64_t end, int open_begin, int open_end)
{
    LS_GROW(b->tk->slices, b->cap, b->tk->nslices + 1);
    struct ls_fslice *s = &b->tk->slices[b->tk->nslices++];
    memset(s, 0, sizeof *s);
    s->wait = wait;
    s->what = what;
    s->id = id;
    if (wait && (!strcmp(what, "join"))) {
        char buf[32];
        struct strbuf sb;
        sb_init(&sb);
        ls_thread_label(&sb, id);
        snprintf(buf, sizeof buf, "%s", sb.buf ? sb.buf : "?");
        sb_free(&sb);
        s->object = xstrdup(buf);
    } else {
        const char *n = lock_name(b->nm, id);
        s->object = n ? xstrdup(n) : NULL;
    }
    s->begin_ns = begin;
    s->end_ns = end < begin ? begin : end;
    s->open_begin = open_begin;
    s->open_end = open_end;
}

/* Everything open ends at `at` (open_end: not seen to end). */
static void close_all(struct builder *b, uint64_t at, int open_end)
{
    for (size_t i = 0; i < b->nholds; i++) {
        struct open_hold *h = &b->holds[i];
        add_slice(b, 0, h->read ? "read hold" : "hold", h->id, h->since, at, h->open_begin,
                  open_end);
    }
    b->nholds = 0;
    if (b->in_wait)
        add_slice(b, 1, wait_what(b->wait_kind), b->wait_obj, b->wait_since, at,
                  b->wait_open_begin, open_end);
    b->in_wait = 0;
}

static void on_event(struct builder *b, const struct ls_tl_ev *e, uint64_t first_ns)
{
    switch (e->what) {
    case LS_TL_ACQUIRED:
        for (size_t i = 0; i < b->nholds; i++)
            if (b->holds[i].id == e->obj) {
                b->holds[i].depth++;
                return;
            }
        LS_GROW(b->holds, b->cap_holds, b->nholds + 1);
        b->holds[b->nholds++] = (struct open_hold){e->obj, 1, e->arg == 1, 0, e->ns};
        return;
    case LS_TL_RELEASED:
        for (size_t i = b->nholds; i-- > 0;) {
            struct open_hold *h = &b->holds[i];
            if (h->id != e->obj)
                continue;
            if (--h->depth > 0)
                return;
            add_slice(b, 0, h->read ? "read hold" : "hold", h->id, h->since, e->ns,
                      h->open_begin, 0);
            memmove(h, h + 1, (b->nholds - i - 1) * sizeof *h);
            b->nholds--;
            return;
        }
        /* Taken before the first event recorded (or never: a misuse). */
        if (e->obj && !b->seg_started)
            add_slice(b, 0, "hold", e->obj, first_ns, e->ns, 1, 0);
        return;
    case LS_TL_WAIT_BEGIN:
        if (b->in_wait) /* its end was lost */
            add_slice(b, 1, wait_what(b->wait_kind), b->wait_obj, b->wait_since, e->ns,
                      b->wait_open_begin, 1);
        b->in_wait = 1;
        b->wait_open_begin = 0;
        b->wait_kind = e->arg;
        b->wait_obj = e->obj;
        b->wait_since = e->ns;
        return;
    case LS_TL_WAIT_END:
        if (b->in_wait)
            add_slice(b, 1, wait_what(b->wait_kind), b->wait_obj, b->wait_since, e->ns,
                      b->wait_open_begin, 0);
        b->in_wait = 0;
        return;
    case LS_TL_THREAD_START:
        b->tk->started = 1;
        b->seg_started = 1;
        return;
    case LS_TL_THREAD_END:
        b->tk->ended = 1;
        close_all(b, e->ns, 0);
        return;
    }
}

static int by_begin(const void *a, const void *b)
{
    const struct ls_fslice *x = a, *y = b;
    if (x->begin_ns != y->begin_ns)
        return x->begin_ns < y->begin_ns ? -1 : 1;
    /* the longer (enclosing) one first */
    return x->end_ns > y->end_ns ? -1 : x->end_ns < y->end_ns;
}

static void build_track(struct names *nm, struct ls_process *p, const struct ls_tl_thread *t,
                        struct ls_ftrack *tk)
{
    memset(tk, 0, sizeof *tk);
    tk->tid = t->tid;
    const struct ls_thread_info *ti = ls_find_thread(p, t->tid);
    tk->name = ti && ti->name && ti->name[0] ? xstrdup(ti->name) : NULL;
    tk->events = t->n;
    tk->lost = t->lost;
    if (!t->n)
        return;
    tk->begin_ns = t->ev[0].ns;
    tk->end_ns = t->ev[t->n - 1].ns;
    struct builder b = {.nm = nm, .tk = tk};
    uint64_t segment_first = t->ev[0].ns;
    for (size_t i = 0; i < t->n; i++) {
        const struct ls_tl_ev *e = &t->ev[i];
        if (e->gap && i > 0) {
            close_all(&b, t->ev[i - 1].ns, 1);
            segment_first = e->ns;
            b.seg_started = 0;
        }
        on_event(&b, e, segment_first);
    }
    close_all(&b, tk->end_ns, 2); /* 2: open when the record ends (see ls_tl_build) */
    free(b.holds);
    if (tk->nslices > 1)
        qsort(tk->slices, tk->nslices, sizeof *tk->slices, by_begin);
}

/* ---- the moments of the findings ------------------------------------------ */

/* When thread tid first took `to` while holding `from`. */
static uint64_t edge_moment(const struct ls_ftimeline *tl, uint32_t tid, uint32_t from,
                            uint32_t to)
{
    const struct ls_ftrack *tk = ls_ftimeline_track(tl, tid);
    if (!tk)
        return 0;
    for (size_t i = 0; i < tk->nslices; i++) {
        const struct ls_fslice *s = &tk->slices[i];
        /* taken, or asked for (and waited) */
        if (s->id != to || (s->wait && strcmp(s->what, "lock") && strcmp(s->what, "read-lock")))
            continue;
        for (size_t j = 0; j < tk->nslices; j++) {
            const struct ls_fslice *h = &tk->slices[j];
            if (!h->wait && h->id == from && h->begin_ns <= s->begin_ns &&
                h->end_ns >= s->begin_ns)
                return s->begin_ns;
        }
    }
    return 0;
}

/* The latest blocking wait thread tid began. */
static uint64_t last_wait(const struct ls_ftimeline *tl, uint32_t tid)
{
    const struct ls_ftrack *tk = ls_ftimeline_track(tl, tid);
    uint64_t at = 0;
    for (size_t i = 0; tk && i < tk->nslices; i++)
        if (tk->slices[i].wait && tk->slices[i].begin_ns > at)
            at = tk->slices[i].begin_ns;
    return at;
}

static void moments(const struct ls_ftimeline *tl, struct ls_report *r, size_t proc,
                    size_t first)
{
    for (size_t i = first; i < r->nfindings; i++) {
        struct ls_finding *f = &r->findings[i];
        if (f->proc != proc)
            continue;
        uint64_t at = 0;
        switch (f->kind) {
        case LS_FIND_DEADLOCK:
        case LS_FIND_STALL:
            for (size_t k = 0; k < f->nwaiters; k++) {
                uint64_t w = last_wait(tl, f->waiters[k].thread.tid);
                if (w > at)
                    at = w;
            }
            break;
        case LS_FIND_RACE:
            at = f->access[0].at_ns > f->access[1].at_ns ? f->access[0].at_ns
                                                         : f->access[1].at_ns;
            break;
        case LS_FIND_LOCK_ORDER:
            for (size_t k = 0; k < f->nedges; k++) {
                struct ls_fedge *e = &f->edges[k];
                e->at_ns = edge_moment(tl, e->thread.tid, f->locks[e->from].id,
                                       f->locks[e->to].id);
                if (e->at_ns > at)
                    at = e->at_ns;
            }
            break;
        default:
            break;
        }
        f->at_ns = at;
    }
}

static int by_tid(const void *a, const void *b)
{
    const struct ls_ftrack *x = a, *y = b;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void ls_tl_build(struct ls_process *p, struct ls_report *r, size_t proc, size_t first)
{
    struct ls_tl_model *m = p->timeline;
    if (!m || !m->have_clock)
        return;
    struct ls_ftimeline *tl = xcalloc(1, sizeof *tl);
    tl->mono_ns = m->mono_ns;
    tl->real_ns = m->real_ns;
    tl->capacity = m->capacity;
    tl->source = m->source == LS_TL_SOURCE_TSC ? "tsc" : "clock_gettime";
    tl->ntracks = m->nthreads;
    tl->tracks = xcalloc(m->nthreads + 1, sizeof *tl->tracks);
    struct names nm = {.p = p};
    for (size_t i = 0; i < m->nthreads; i++) {
        build_track(&nm, p, &m->threads[i], &tl->tracks[i]);
        const struct ls_ftrack *tk = &tl->tracks[i];
        if (!tk->events)
            continue;
        if (!tl->begin_ns || tk->begin_ns < tl->begin_ns)
            tl->begin_ns = tk->begin_ns;
        if (tk->end_ns > tl->end_ns)
            tl->end_ns = tk->end_ns;
    }
    /* What was still held or waited for when the record ends lasted at
     * least until the process's last event (its end, if it ended). */
    uint64_t end = tl->end_ns;
    if (p->ended && p->end_ns > tl->real_ns && p->end_ns - tl->real_ns + tl->mono_ns > end)
        end = p->end_ns - tl->real_ns + tl->mono_ns;
    for (size_t i = 0; i < tl->ntracks; i++) {
        struct ls_ftrack *tk = &tl->tracks[i];
        for (size_t k = 0; k < tk->nslices; k++)
            if (tk->slices[k].open_end == 2) {
                tk->slices[k].end_ns = end;
                tk->slices[k].open_end = 1;
            }
    }
    tl->end_ns = end;
    for (size_t i = 0; i < nm.n; i++)
        free(nm.v[i].label);
    free(nm.v);
    if (tl->ntracks > 1)
        qsort(tl->tracks, tl->ntracks, sizeof *tl->tracks, by_tid);
    r->procs[proc].timeline = tl;
    moments(tl, r, proc, first);
}

const struct ls_ftrack *ls_ftimeline_track(const struct ls_ftimeline *t, uint32_t tid)
{
    for (size_t i = 0; t && i < t->ntracks; i++)
        if (t->tracks[i].tid == tid)
            return &t->tracks[i];
    return NULL;
}

void ls_ftimeline_free(struct ls_ftimeline *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ntracks; i++) {
        for (size_t k = 0; k < t->tracks[i].nslices; k++)
            free(t->tracks[i].slices[k].object);
        free(t->tracks[i].slices);
        free(t->tracks[i].name);
    }
    free(t->tracks);
    free(t);
}
