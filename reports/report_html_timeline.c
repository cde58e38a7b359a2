/*
 * A finding's timeline in the HTML report: inline SVG (no script, no
 * external resource), one row per thread involved, each row's holds (blue)
 * and waits (red) in lanes so that overlapping ones stay visible, over a
 * window that ends a little after the finding's moment and begins where
 * the threads' last few slices before it began.  The moment is a vertical
 * line (class tl-moment); a race's two accesses and a cycle's edges are
 * marked on their own rows (class tl-mark).  Times on the axis are relative
 * to the moment.
 */
#define _GNU_SOURCE
#include "escape.h"
#include "html_timeline.h"
#include "reports.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define WIDTH 920.0
#define LEFT 120.0            /* the thread labels' column */
#define RIGHT 16.0
#define LANE 17.0
#define TOP 30.0
#define SLICES_BEFORE 6       /* a row shows at least its last few slices before the moment */
#define MAX_ROWS 16
#define MAX_LANES 8

#define PF(...) fprintf(out, __VA_ARGS__)

struct row {
    const struct ls_ftrack *tk;
    uint64_t mark;            /* this thread's own moment (race access, cycle edge), or 0 */
    const char *mark_what;
};

static void add_row(struct row *rows, size_t *n, const struct ls_ftimeline *tl, uint32_t tid,
                    uint64_t mark, const char *what)
{
    const struct ls_ftrack *tk = ls_ftimeline_track(tl, tid);
    if (!tk)
        return;
    for (size_t i = 0; i < *n; i++)
        if (rows[i].tk == tk) {
            if (!rows[i].mark)
                rows[i].mark = mark, rows[i].mark_what = what;
            return;
        }
    if (*n < MAX_ROWS)
        rows[(*n)++] = (struct row){tk, mark, what};
}

static size_t rows_of(const struct ls_finding *f, const struct ls_ftimeline *tl,
                      struct row *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nwaiters; i++)
        add_row(rows, &n, tl, f->waiters[i].thread.tid, 0, NULL);
    for (size_t i = 0; i < f->nedges; i++)
        add_row(rows, &n, tl, f->edges[i].thread.tid, f->edges[i].at_ns,
                "takes the locks in this order");
    if (f->kind == LS_FIND_RACE)
        for (int k = 0; k < 2; k++)
            add_row(rows, &n, tl, f->access[k].thread.tid, f->access[k].at_ns,
                    f->access[k].write ? "writes" : "reads");
    return n;
}

static void fmt_dur(char *buf, size_t n, double ns)
{
    double a = ns < 0 ? -ns : ns;
    if (a >= 1e9)
        snprintf(buf, n, "%.3g s", ns / 1e9);
    else if (a >= 1e6)
        snprintf(buf, n, "%.3g ms", ns / 1e6);
    else if (a >= 1e3)
        snprintf(buf, n, "%.3g \xc2\xb5s", ns / 1e3);
    else
        snprintf(buf, n, "%.0f ns", ns);
}

/* The window: from where each row's last few slices before the moment
 * began, to a quarter of that span after it. */
static void window(const struct row *rows, size_t n, uint64_t at, uint64_t *b, uint64_t *e,
                   const struct ls_ftimeline *tl)
{
    uint64_t begin = at;
    for (size_t i = 0; i < n; i++) {
        const struct ls_ftrack *tk = rows[i].tk;
        size_t seen = 0;
        for (size_t k = tk->nslices; k-- > 0 && seen < SLICES_BEFORE;) {
            if (tk->slices[k].begin_ns > at)
                continue;
            seen++;
            if (tk->slices[k].begin_ns < begin)
                begin = tk->slices[k].begin_ns;
        }
        if (rows[i].mark && rows[i].mark < begin)
            begin = rows[i].mark;
    }
    uint64_t span = at - begin;
    if (span < 1000)
        span = 1000;
    uint64_t end = at + span / 4;
    if (end > tl->end_ns && tl->end_ns > at)
        end = tl->end_ns;
    if (end <= at)
        end = at + span / 4 + 1;
    if (begin == at)
        begin = at > span ? at - span : 0;
    *b = begin;
    *e = end;
}

struct placed {
    const struct ls_fslice *s;
    int lane;
};

/* Lanes: each slice in the lowest one free when it begins. */
static size_t place(const struct ls_ftrack *tk, uint64_t b, uint64_t e, struct placed *out,
                    int *nlanes)
{
    uint64_t lane_end[MAX_LANES] = {0};
    size_t n = 0;
    *nlanes = 1;
    for (size_t k = 0; k < tk->nslices; k++) {
        const struct ls_fslice *s = &tk->slices[k];
        if (s->end_ns < b || s->begin_ns > e)
            continue;
        int lane = 0;
        while (lane < MAX_LANES - 1 && lane_end[lane] > s->begin_ns)
            lane++;
        lane_end[lane] = s->end_ns > s->begin_ns ? s->end_ns : s->begin_ns + 1;
        if (lane + 1 > *nlanes)
            *nlanes = lane + 1;
        out[n++] = (struct placed){s, lane};
    }
    return n;
}

static double xof(uint64_t t, uint64_t b, uint64_t e)
{
    if (t < b)
        t = b;
    if (t > e)
        t = e;
    return LEFT + (WIDTH - LEFT - RIGHT) * (double)(t - b) / (double)(e - b);
}

static void slice_label(struct strbuf *sb, const struct ls_fslice *s)
{
    const char *obj = s->object ? s->object : "?";
    if (s->wait)
        sb_printf(sb, "waits (%s) %s", s->what, obj);
    else
        sb_printf(sb, "%s%s", !strcmp(s->what, "read hold") ? "reads " : "", obj);
}

static void draw_slice(FILE *out, const struct placed *p, double y, uint64_t b, uint64_t e,
                       uint64_t at)
{
    const struct ls_fslice *s = p->s;
    double x0 = xof(s->begin_ns, b, e), x1 = xof(s->end_ns, b, e);
    if (x1 - x0 < 1.5)
        x1 = x0 + 1.5;
    double yy = y + p->lane * LANE;
    struct strbuf sb, tip;
    sb_init(&sb);
    sb_init(&tip);
    slice_label(&sb, s);
    char d[32], rel[32];
    fmt_dur(d, sizeof d, (double)(s->end_ns - s->begin_ns));
    fmt_dur(rel, sizeof rel, (double)s->begin_ns - (double)at);
    sb_printf(&tip, "%s: %s%s, from %s%s", sb.buf, s->open_end ? "at least " : "", d,
              s->begin_ns >= at ? "+" : "", rel);
    if (s->open_begin)
        sb_adds(&tip, " (began before the first event recorded)");
    if (s->open_end)
        sb_adds(&tip, " (not over when the record ends)");
    PF("<g class=\"tl-%s\"><title>", s->wait ? "wait" : "hold");
    ls_esc_html(out, tip.buf);
    PF("</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" "
       "fill=\"%s\" stroke=\"%s\" stroke-width=\"0.8\"%s/>",
       x0, yy, x1 - x0, LANE - 3, s->wait ? "#fbd5d1" : "#d6e4fb",
       s->wait ? "#b42318" : "#2e5aac", s->wait ? " stroke-dasharray=\"3 2\"" : "");
    /* The name where it fits; the tooltip has it always. */
    double room = x1 - x0 - 6;
    size_t len = strlen(sb.buf);
    if (room > 24) {
        size_t fit = (size_t)(room / 6.8);
        PF("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#1d2330\">", x0 + 3,
           yy + LANE - 7);
        if (fit >= len) {
            ls_esc_html(out, sb.buf);
        } else {
            char *cut = xstrndup(sb.buf, fit > 1 ? fit - 1 : 0);
            /* not inside a UTF-8 sequence */
            size_t k = strlen(cut);
            while (k > 0 && ((unsigned char)cut[k - 1] & 0xC0) == 0x80)
                cut[--k] = 0;
            if (k > 0 && ((unsigned char)cut[k - 1] & 0xC0) == 0xC0)
                cut[--k] = 0;
            ls_esc_html(out, cut);
            fputs("\xe2\x80\xa6", out);
            free(cut);
        }
        fputs("</text>", out);
    }
    fputs("</g>", out);
    sb_free(&sb);
    sb_free(&tip);
}

static void axis(FILE *out, double y0, double y1, uint64_t b, uint64_t e, uint64_t at)
{
    double span = (double)(e - b);
    double step = 1;
    while (span / step > 8)
        step *= (span / step > 40) ? 10 : (span / step > 16 ? 5 : 2);
    /* ticks at whole steps from the moment */
    double first = -(double)(at - b);
    long k0 = (long)(first / step);
    for (long k = k0; (double)k * step <= (double)(e - at); k++) {
        double t = (double)at + (double)k * step;
        if (t < (double)b)
            continue;
        double x = xof((uint64_t)t, b, e);
        char lbl[32];
        if (k == 0)
            snprintf(lbl, sizeof lbl, "0");
        else {
            fmt_dur(lbl + 1, sizeof lbl - 1, (double)k * step);
            lbl[0] = k > 0 ? '+' : ' ';
        }
        PF("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d5dd\" "
           "stroke-width=\"0.6\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
           "text-anchor=\"middle\" fill=\"#667085\">%s</text>",
           x, y0, x, y1, x, y1 + 12, lbl[0] == ' ' ? lbl + 1 : lbl);
    }
}

void ls_html_timeline(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    const struct ls_ftimeline *tl = r->procs[f->proc].timeline;
    if (!tl || !f->at_ns)
        return;
    struct row rows[MAX_ROWS];
    size_t nrows = rows_of(f, tl, rows);
    if (!nrows)
        return;
    uint64_t b, e, at = f->at_ns;
    window(rows, nrows, at, &b, &e, tl);
    struct placed *pl[MAX_ROWS];
    size_t npl[MAX_ROWS];
    int lanes[MAX_ROWS];
    double height = TOP;
    for (size_t i = 0; i < nrows; i++) {
        pl[i] = xcalloc(rows[i].tk->nslices + 1, sizeof *pl[i]);
        npl[i] = place(rows[i].tk, b, e, pl[i], &lanes[i]);
        height += lanes[i] * LANE + 10;
    }
    double total = height + 20;
    const char *kind = ls_finding_kind_name(f->kind);
    PF("<figure class=\"timeline\" id=\"tl-%s\" style=\"margin:10px 0;overflow-x:auto\">"
       "<svg class=\"tl\" "
       "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%.0f\" height=\"%.0f\" "
       "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" aria-label=\"",
       f->id, WIDTH, total, WIDTH, total);
    ls_esc_html(out, "what the threads did around the ");
    ls_esc_html(out, kind);
    fputs("\">", out);
    axis(out, TOP - 6, height, b, e, at);
    double y = TOP;
    for (size_t i = 0; i < nrows; i++) {
        const struct ls_ftrack *tk = rows[i].tk;
        double rh = lanes[i] * LANE + 10;
        char lb[16];
        struct strbuf sb;
        sb_init(&sb);
        sb_adds(&sb, ls_rthread_label(tk->tid, lb));
        if (tk->name)
            sb_printf(&sb, " (%s)", tk->name);
        PF("<g class=\"tl-row\" data-tid=\"%u\"><rect x=\"0\" y=\"%.1f\" width=\"%.0f\" "
           "height=\"%.1f\" fill=\"%s\"/><text x=\"6\" y=\"%.1f\" font-size=\"12\" "
           "font-weight=\"600\" fill=\"#1d2330\">",
           tk->tid, y - 4, WIDTH, rh, i % 2 ? "#ffffff" : "#f6f7f9", y + 10);
        ls_esc_html(out, sb.buf);
        fputs("</text>", out);
        sb_free(&sb);
        if (tk->end_ns >= b && tk->begin_ns <= e) {
            /* the thread's life, as far as recorded */
            double l0 = xof(tk->begin_ns, b, e), l1 = xof(tk->ended ? tk->end_ns : e, b, e);
            PF("<line class=\"tl-life\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
               "stroke=\"#98a2b3\" stroke-width=\"1\"/>",
               l0, y + LANE / 2 - 1.5, l1, y + LANE / 2 - 1.5);
        }
        for (size_t k = 0; k < npl[i]; k++)
            draw_slice(out, &pl[i][k], y, b, e, at);
        if (rows[i].mark) {
            double x = xof(rows[i].mark, b, e);
            PF("<g class=\"tl-mark\"><title>");
            ls_esc_html(out, rows[i].mark_what);
            PF("</title><path d=\"M%.1f,%.1f l5,6 l-5,6 l-5,-6 z\" fill=\"#b42318\"/></g>", x,
               y - 3);
        }
        fputs("</g>", out);
        y += rh;
    }
    double mx = xof(at, b, e);
    PF("<g class=\"tl-moment\"><title>");
    ls_esc_html(out, ls_finding_title(f->kind));
    PF("</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b42318\" "
       "stroke-width=\"1.6\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"600\" "
       "text-anchor=\"%s\" fill=\"#b42318\">",
       mx, TOP - 14, mx, height, mx + (mx > WIDTH - 160 ? -4 : 4), TOP - 16,
       mx > WIDTH - 160 ? "end" : "start");
    ls_esc_html(out, kind);
    fputs("</text></g></svg><figcaption style=\"font-size:13px;color:#667085\">What ", out);
    fputs(nrows == 1 ? "the thread" : "the threads", out);
    fputs(" involved did around the moment of the finding (the red line", out);
    if (f->kind == LS_FIND_DEADLOCK || f->kind == LS_FIND_STALL)
        fputs(": the last of them began to wait", out);
    else if (f->kind == LS_FIND_RACE)
        fputs(": the later access; each access is marked on its thread", out);
    else if (f->kind == LS_FIND_LOCK_ORDER)
        fputs(": the last lock order of the cycle was first taken; each is marked on its "
              "thread",
              out);
    fputs("). Blue: a lock held; red, dashed: a blocking wait. Times are relative to the "
          "moment; hover over a slice for its length.",
          out);
    if (f->nlocks) {
        fputs(" Locks: ", out);
        for (size_t k = 0; k < f->nlocks; k++) {
            if (k)
                fputs(", ", out);
            fputs("<code>", out);
            ls_esc_html(out, f->locks[k].label);
            fputs("</code>", out);
        }
        fputs(".", out);
    }
    fputs("</figcaption></figure>", out);
    for (size_t i = 0; i < nrows; i++)
        free(pl[i]);
}
