/*
 * The HTML report: one self-contained page (no network, no external assets)
 * that a person opens from disk.  A summary of the run, then one section per
 * finding (id = the finding's id, so it can be linked) with a drawing of the
 * locks and threads involved (inline SVG), every stack, and the source lines
 * around each frame when the source file is readable.
 *
 * Everything that comes from the program goes through ls_esc_html().  As a
 * second line of defence the page's Content-Security-Policy allows no
 * network access and only its own script (by hash), so markup that slipped
 * through could neither load anything nor run script.
 */
#define _GNU_SOURCE
#include "escape.h"
#include "html/assets.h"
#include "html_timeline.h"
#include "reports.h"
#include "sha256.h"
#include "source.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef LS_VERSION
#define LS_VERSION "0"
#endif

#define SRC_CONTEXT 3

struct html {
    FILE *out;
    const struct ls_report *r;
    const struct ls_report_ctx *c;
    struct ls_source *src;
};

static void esc(struct html *h, const char *s)
{
    ls_esc_html(h->out, s);
}

static void put(struct html *h, const char *s)
{
    fputs(s, h->out);
}

#define PF(h, ...) fprintf((h)->out, __VA_ARGS__)

static void thread_text(struct strbuf *sb, const struct ls_fthread *t)
{
    char b[16];
    sb_adds(sb, ls_rthread_label(t->tid, b));
    if (t->name)
        sb_printf(sb, " \"%s\"", t->name);
}

static const char *kind_of(const struct ls_finding *f)
{
    return ls_finding_kind_name(f->kind);
}

/* ---------------------------------------------------------------- stacks */

static int is_system(const struct ls_fframe *f)
{
    const char *m = f->module;
    return !m || !strncmp(m, "/lib/", 5) || !strncmp(m, "/lib64/", 7) ||
           !strncmp(m, "/usr/lib/", 9) || !strncmp(m, "/usr/lib64/", 11);
}

static void source_block(struct html *h, const struct ls_fframe *f)
{
    int first, last;
    const char *const *lines;
    if (ls_source_lines(h->src, f->file, f->line, SRC_CONTEXT, &first, &last, &lines) != 0)
        return;
    put(h, "<pre class=\"src\">");
    for (int i = first; i <= last; i++) {
        PF(h, "<span class=\"l%s\"><span class=\"ln\">%d</span>", i == f->line ? " hit" : "", i);
        esc(h, lines[i - first]);
        put(h, "</span>");
    }
    put(h, "</pre>");
}

static int has_source(struct html *h, const struct ls_fframe *f)
{
    int first, last;
    const char *const *lines;
    return f->file && ls_source_lines(h->src, f->file, f->line, 0, &first, &last, &lines) == 0;
}

static void frame_line(struct html *h, size_t i, const struct ls_fframe *f)
{
    PF(h, "<span class=\"n\">#%zu</span><code class=\"fn\">", i);
    esc(h, f->function ? f->function : "<unknown>");
    put(h, "</code>");
    if (f->file) {
        put(h, " <code class=\"loc\">");
        esc(h, f->file);
        PF(h, ":%d", f->line);
        if (f->column > 0)
            PF(h, ":%d", f->column);
        put(h, "</code>");
    }
    if (f->python)
        return; /* a Python frame: no module, no address */
    put(h, " <code class=\"mod\">(");
    if (f->module) {
        esc(h, ls_basename(f->module));
        PF(h, "+0x%llx", (unsigned long long)f->module_offset);
    } else {
        PF(h, "0x%llx", (unsigned long long)f->pc);
    }
    put(h, ")</code>");
    if (f->inlined)
        put(h, " <span class=\"mute\">[inlined]</span>");
}

static void stack_html(struct html *h, const struct ls_fstack *s)
{
    if (s->n == 0) {
        put(h, "<p class=\"mute\">No stack recorded.</p>");
        return;
    }
    const struct ls_fframe *user = ls_fstack_user_frame(s);
    put(h, "<ol class=\"stack\">");
    size_t folded = 0;
    for (size_t i = 0; i < s->n; i++)
        folded += s->frames[i].collapsed != 0;
    int folding = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct ls_fframe *f = &s->frames[i];
        /* The interpreter's native frames under Python ones: folded. */
        if (f->collapsed && !folding) {
            PF(h, "<li class=\"sys\"><details><summary>%zu native frame%s of the "
                  "interpreter</summary><ol class=\"stack\" start=\"%zu\">",
               folded, folded == 1 ? "" : "s", i);
            folding = 1;
        }
        PF(h, "<li%s>", is_system(f) && !f->python ? " class=\"sys\"" : "");
        if (has_source(h, f)) {
            PF(h, "<details%s><summary>", f == user ? " open" : "");
            frame_line(h, i, f);
            put(h, "</summary>");
            source_block(h, f);
            put(h, "</details>");
        } else {
            frame_line(h, i, f);
        }
        put(h, "</li>");
    }
    if (folding)
        put(h, "</ol></details></li>");
    put(h, "</ol>");
}

static void heading(struct html *h, const char *level, const char *text)
{
    PF(h, "<%s>", level);
    esc(h, text);
    PF(h, "</%s>", level);
}

/* ------------------------------------------------------------------ graph */

#define G_MAX_NODES 24
#define G_MAX_EDGES 24

struct gnode {
    char *label;
    int thread;               /* a thread (joined / waiting) rather than a lock */
    double x, y, w, hh;
};

struct gedge {
    size_t from, to;
    char *line1, *line2;
};

struct graph {
    struct gnode n[G_MAX_NODES];
    size_t nn;
    struct gedge e[G_MAX_EDGES];
    size_t ne;
};

static size_t gnode(struct graph *g, const char *label, int thread)
{
    for (size_t i = 0; i < g->nn; i++)
        if (g->n[i].thread == thread && !strcmp(g->n[i].label, label))
            return i;
    if (g->nn == G_MAX_NODES)
        return G_MAX_NODES - 1;
    g->n[g->nn].label = xstrdup(label);
    g->n[g->nn].thread = thread;
    return g->nn++;
}

static void site_text(struct strbuf *sb, const struct ls_fstack *s)
{
    const struct ls_fframe *f = ls_fstack_user_frame(s);
    if (!f) {
        sb_adds(sb, "no stack");
        return;
    }
    sb_adds(sb, f->function ? f->function : "??");
    if (f->file)
        sb_printf(sb, " %s:%d", ls_basename(f->file), f->line);
}

static void gedge(struct graph *g, size_t from, size_t to, const struct ls_fthread *t,
                  const char *verb, const struct ls_fstack *where)
{
    if (g->ne == G_MAX_EDGES || from >= g->nn || to >= g->nn)
        return;
    struct strbuf a, b;
    sb_init(&a);
    sb_init(&b);
    thread_text(&a, t);
    if (verb)
        sb_printf(&a, " %s", verb);
    site_text(&b, where);
    g->e[g->ne++] = (struct gedge){from, to, sb_detach(&a), sb_detach(&b)};
}

static size_t thread_node(struct graph *g, uint32_t tid)
{
    char b[16];
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "thread %s", ls_rthread_label(tid, b));
    size_t i = gnode(g, sb.buf, 1);
    sb_free(&sb);
    return i;
}

static void build_graph(struct graph *g, const struct ls_finding *f)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < f->nlocks && i < G_MAX_NODES; i++)
        g->n[g->nn++] = (struct gnode){.label = xstrdup(f->locks[i].label)};
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        gedge(g, e->from, e->to, &e->thread, "requests", &e->to_stack);
    }
    /* A wait-for drawing: each waiting thread is an arrow from what it holds
     * (the lock someone else waits for, if any) to what it waits for. */
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        size_t to;
        const char *wait = w->wait ? w->wait : "lock";
        if (!strcmp(wait, "exited"))
            continue; /* gone: its orphaned lock is drawn by whoever waits for it */
        if (w->join || !strcmp(wait, "join")) {
            to = thread_node(g, w->waits_on);
        } else if (w->lock != SIZE_MAX && (!strcmp(wait, "lock") || !strcmp(wait, "read-lock"))) {
            to = w->lock;
        } else {
            /* A condition variable, semaphore or barrier: nobody owns it,
             * so it is drawn as a round box of its own. */
            struct strbuf sb;
            sb_init(&sb);
            sb_adds(&sb, wait);
            if (w->lock != SIZE_MAX)
                sb_printf(&sb, " with %s", f->locks[w->lock].label);
            to = gnode(g, sb.buf, 1);
            sb_free(&sb);
        }
        size_t from = SIZE_MAX;
        for (size_t j = 0; j < w->nheld && from == SIZE_MAX; j++)
            for (size_t k = 0; k < f->nwaiters; k++)
                if (k != i && f->waiters[k].lock == w->held[j].lock)
                    from = w->held[j].lock;
        if (from == SIZE_MAX && w->nheld)
            from = w->held[0].lock;
        if (from == SIZE_MAX)
            from = thread_node(g, w->thread.tid);
        const char *verb = w->join ? "joins" : w->lock != SIZE_MAX && w->lock == from ? "relocks"
                                                                                      : "waits";
        gedge(g, from, to, &w->thread, verb, &w->wait_stack);
    }
    /* Draw only what an arrow touches (a condvar's mutex need not be). */
    size_t map[G_MAX_NODES], kept = 0;
    for (size_t i = 0; i < g->nn; i++) {
        int used = 0;
        for (size_t j = 0; j < g->ne && !used; j++)
            used = g->e[j].from == i || g->e[j].to == i;
        if (!used) {
            free(g->n[i].label);
            map[i] = SIZE_MAX;
            continue;
        }
        map[i] = kept;
        g->n[kept++] = g->n[i];
    }
    g->nn = kept;
    for (size_t j = 0; j < g->ne; j++) {
        g->e[j].from = map[g->e[j].from];
        g->e[j].to = map[g->e[j].to];
    }
}

static void free_graph(struct graph *g)
{
    for (size_t i = 0; i < g->nn; i++)
        free(g->n[i].label);
    for (size_t i = 0; i < g->ne; i++) {
        free(g->e[i].line1);
        free(g->e[i].line2);
    }
}

#define CHAR_W 7.3
#define NODE_H 30.0
#define MAX_LABEL 44

static size_t label_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* Byte offset of the n-th character of s (UTF-8). */
static size_t char_offset(const char *s, size_t n)
{
    size_t i = 0;
    while (s[i] && n) {
        i++;
        while ((s[i] & 0xc0) == 0x80)
            i++;
        n--;
    }
    return i;
}

/* Cuts a label to MAX_LABEL characters, keeping its start and its end (a
 * site's line number tells two locks apart): "mutex init...x.c:52)". */
static char *short_label(const char *s)
{
    size_t len = label_len(s);
    if (len <= MAX_LABEL)
        return xstrdup(s);
    size_t head = (MAX_LABEL - 3) / 2, tail = MAX_LABEL - 3 - head;
    struct strbuf sb;
    sb_init(&sb);
    sb_add(&sb, s, char_offset(s, head));
    sb_adds(&sb, "...");
    sb_adds(&sb, s + char_offset(s, len - tail));
    return sb_detach(&sb);
}

/* Where the segment from the centre of n towards (tx, ty) leaves its box. */
static void border(const struct gnode *n, double tx, double ty, double *x, double *y)
{
    double dx = tx - n->x, dy = ty - n->y;
    double hw = n->w / 2 + 3, hh = n->hh + 3;
    double sx = dx != 0 ? hw / fabs(dx) : 1e9, sy = dy != 0 ? hh / fabs(dy) : 1e9;
    double t = sx < sy ? sx : sy;
    if (t > 1)
        t = 1;
    *x = n->x + dx * t;
    *y = n->y + dy * t;
}

static void svg_text(struct html *h, double x, double y, const char *anchor, const char *cls,
                     const char *s)
{
    PF(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s%s>", x, y, anchor,
       cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    esc(h, s);
    put(h, "</text>");
}

/* The drawn shape of one edge: a quadratic curve (or a loop back to the
 * same node), and where its two label lines go. */
struct gpath {
    double x0, y0, qx, qy, q2x, q2y, x1, y1; /* q2: second control point of a loop */
    int loop;
    double lx, ly;            /* baseline of the first label line */
    double lw;                /* label width */
};

struct bbox {
    double x0, y0, x1, y1;
};

static void grow_box(struct bbox *b, double x0, double y0, double x1, double y1)
{
    b->x0 = x0 < b->x0 ? x0 : b->x0;
    b->y0 = y0 < b->y0 ? y0 : b->y0;
    b->x1 = x1 > b->x1 ? x1 : b->x1;
    b->y1 = y1 > b->y1 ? y1 : b->y1;
}

static void layout(struct graph *g, struct gpath *gp, struct bbox *box)
{
    size_t n = g->nn;
    double maxw = 0, maxl = 0;
    for (size_t i = 0; i < n; i++) {
        char *s = short_label(g->n[i].label);
        g->n[i].w = (double)label_len(s) * CHAR_W + 24;
        g->n[i].hh = NODE_H / 2;
        free(s);
        maxw = g->n[i].w > maxw ? g->n[i].w : maxw;
    }
    for (size_t i = 0; i < g->ne; i++) {
        double a = (double)label_len(g->e[i].line1), b = (double)label_len(g->e[i].line2);
        gp[i].lw = (a > b ? a : b) * CHAR_W;
        maxl = gp[i].lw > maxl ? gp[i].lw : maxl;
    }
    /* Nodes on a circle, the first on the left; two nodes side by side far
     * enough apart for the labels between them. */
    double R = n == 1 ? 0 : n == 2 ? (maxl > 160 ? maxl : 160) / 2 + maxw / 2 + 20
                                   : 70 + 26.0 * (double)n + maxw * 0.45;
    for (size_t i = 0; i < n; i++) {
        double a = M_PI + 2 * M_PI * (double)i / (double)n;
        g->n[i].x = R * cos(a);
        g->n[i].y = n == 2 ? 0 : R * sin(a);
    }
    box->x0 = box->y0 = 1e9;
    box->x1 = box->y1 = -1e9;
    for (size_t i = 0; i < n; i++)
        grow_box(box, g->n[i].x - g->n[i].w / 2, g->n[i].y - g->n[i].hh,
                 g->n[i].x + g->n[i].w / 2, g->n[i].y + g->n[i].hh);
    for (size_t i = 0; i < g->ne; i++) {
        const struct gedge *e = &g->e[i];
        const struct gnode *a = &g->n[e->from < n ? e->from : 0], *b = &g->n[e->to < n ? e->to : 0];
        struct gpath *p = &gp[i];
        if (a == b) {
            double x = a->x, y = a->y - a->hh;
            *p = (struct gpath){x - 14, y, x - 60, y - 70, x + 60, y - 70, x + 14, y, 1,
                                x, y - 76, p->lw};
        } else {
            size_t dup = 0;
            for (size_t j = 0; j < i; j++)
                dup += g->e[j].from == e->from && g->e[j].to == e->to;
            double mx = (a->x + b->x) / 2, my = (a->y + b->y) / 2;
            double dx = b->x - a->x, dy = b->y - a->y, len = sqrt(dx * dx + dy * dy);
            double nx = dy / len, ny = -dx / len;
            /* Bend away from the centre of the circle, unless an arrow goes
             * back the other way (then the two bend to opposite sides). */
            int back = 0;
            for (size_t j = 0; j < g->ne; j++)
                back |= g->e[j].from == e->to && g->e[j].to == e->from;
            if (n >= 3 && !back && nx * mx + ny * my < 0)
                nx = -nx, ny = -ny;
            double bend = (n == 2 ? 60 : 34) + 30 * (double)dup;
            p->loop = 0;
            p->qx = mx + nx * bend;
            p->qy = my + ny * bend;
            border(a, p->qx, p->qy, &p->x0, &p->y0);
            border(b, p->qx, p->qy, &p->x1, &p->y1);
            /* The label box sits just outside the curve's apex: its centre
             * goes along the normal by the box's half extent that way. */
            double ax = 0.25 * p->x0 + 0.5 * p->qx + 0.25 * p->x1;
            double ay = 0.25 * p->y0 + 0.5 * p->qy + 0.25 * p->y1;
            double ext = p->lw / 2 * fabs(nx) + 16 * fabs(ny) + 6;
            p->lx = ax + nx * ext;
            p->ly = ay + ny * ext - 3;
        }
        grow_box(box, p->lx - p->lw / 2, p->ly - 13, p->lx + p->lw / 2, p->ly + 19);
        grow_box(box, p->qx, p->qy, p->qx, p->qy);
    }
}

static void graph_svg(struct html *h, const struct ls_finding *f)
{
    struct graph g;
    build_graph(&g, f);
    if (g.ne == 0 || g.nn == 0) {
        free_graph(&g);
        return;
    }
    struct gpath gp[G_MAX_EDGES];
    struct bbox box;
    layout(&g, gp, &box);
    size_t n = g.nn;
    double m = 14, W = box.x1 - box.x0 + 2 * m, H = box.y1 - box.y0 + 2 * m;
    PF(h, "<figure class=\"graph\"><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
          "width=\"%.0f\" height=\"%.0f\" viewBox=\"%.1f %.1f %.1f %.1f\" aria-label=\"",
       W, H, box.x0 - m, box.y0 - m, W, H);
    esc(h, ls_finding_title(f->kind));
    PF(h, "\"><defs><marker id=\"arrow-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
          "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
          "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#b42318\"/></marker></defs>",
       f->id);
    for (size_t i = 0; i < g.ne; i++) {
        const struct gedge *e = &g.e[i];
        const struct gpath *p = &gp[i];
        PF(h, "<g class=\"edge\" data-from=\"%zu\" data-to=\"%zu\">", e->from, e->to);
        if (p->loop)
            PF(h, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\"", p->x0, p->y0, p->qx,
               p->qy, p->q2x, p->q2y, p->x1, p->y1);
        else
            PF(h, "<path d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\"", p->x0, p->y0, p->qx, p->qy,
               p->x1, p->y1);
        PF(h, " fill=\"none\" stroke=\"#b42318\" stroke-width=\"2\" "
              "marker-end=\"url(#arrow-%s)\"/>",
           f->id);
        PF(h, "<g style=\"paint-order:stroke;stroke:#fff;stroke-width:4px\">");
        svg_text(h, p->lx, p->ly, "middle", "t", e->line1);
        svg_text(h, p->lx, p->ly + 15, "middle", "s", e->line2);
        put(h, "</g></g>");
    }
    for (size_t i = 0; i < n; i++) {
        const struct gnode *nd = &g.n[i];
        char *sl = short_label(nd->label);
        PF(h, "<g class=\"node%s\"><title>", nd->thread ? " thread" : " lock");
        esc(h, nd->label);
        PF(h, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"%d\" "
              "fill=\"%s\" stroke=\"#1d2330\" stroke-width=\"1.2\"/>",
           nd->x - nd->w / 2, nd->y - nd->hh, nd->w, 2 * nd->hh, nd->thread ? 14 : 4,
           nd->thread ? "#fef0c7" : "#e8eefb");
        svg_text(h, nd->x, nd->y + 4, "middle", NULL, sl);
        put(h, "</g>");
        free(sl);
    }
    put(h, "</svg><figcaption>");
    if (f->nedges)
        put(h, "Locks are boxes. An arrow A &#8594; B: a thread held A when it asked for B "
               "(labelled with the thread, and where it asked). A cycle of arrows is a set of "
               "threads that can wait for each other forever.");
    else
        put(h, "Each arrow is a blocked thread: from what it holds to what it waits for "
               "(labelled with the thread, and where it waits). Round boxes are threads.");
    put(h, "</figcaption></figure>");
    free_graph(&g);
}

/* --------------------------------------------------------------- findings */

static void thread_heading(struct html *h, const char *prefix, const struct ls_fthread *t,
                           const char *suffix)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, prefix);
    thread_text(&sb, t);
    sb_adds(&sb, suffix);
    heading(h, "h4", sb.buf);
    sb_free(&sb);
}

static void threads_section(struct html *h, const struct ls_fthread *const *ts, size_t n)
{
    if (!n)
        return;
    heading(h, "h4", "Threads");
    for (size_t i = 0; i < n; i++) {
        const struct ls_fthread *t = ts[i];
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= ts[j]->tid == t->tid;
        if (seen)
            continue;
        struct strbuf sb;
        sb_init(&sb);
        thread_text(&sb, t);
        char b[16];
        if (t->tid == 1) {
            sb_adds(&sb, ": the process's first thread");
            put(h, "<p>");
            esc(h, sb.buf);
            put(h, "</p>");
        } else {
            sb_printf(&sb, " (tid %u), created by %s at:", t->os_tid,
                      t->parent ? ls_rthread_label(t->parent, b) : "an unknown thread");
            put(h, "<p>");
            esc(h, sb.buf);
            put(h, "</p>");
            stack_html(h, &t->created_at);
        }
        sb_free(&sb);
    }
}

static void locks_section(struct html *h, const struct ls_finding *f)
{
    if (!f->nlocks)
        return;
    heading(h, "h4", "Locks");
    for (size_t i = 0; i < f->nlocks; i++) {
        const struct ls_flock *l = &f->locks[i];
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s: %s at 0x%llx", l->label, l->kind ? l->kind : "lock",
                  (unsigned long long)l->addr);
        if (l->site.n == 0)
            sb_adds(&sb, ", statically initialized");
        else
            sb_printf(&sb, ", %s at:", l->site_is_init ? "initialized" : "first locked");
        put(h, "<p>");
        esc(h, sb.buf);
        put(h, "</p>");
        sb_free(&sb);
        if (l->site.n)
            stack_html(h, &l->site);
    }
}

static void edges_section(struct html *h, const struct ls_finding *f)
{
    const struct ls_fthread *ts[64];
    size_t nts = 0;
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        const struct ls_flock *from = &f->locks[e->from], *to = &f->locks[e->to];
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s ", i == 0 ? "First," : "Then,");
        thread_text(&sb, &e->thread);
        sb_printf(&sb, " requests %s while holding %s%s", to->label, from->label,
                  e->timed ? " (with a timeout)" : "");
        heading(h, "h4", sb.buf);
        sb_free(&sb);
        put(h, "<p class=\"mute\">Where it requested ");
        esc(h, to->label);
        put(h, ":</p>");
        stack_html(h, &e->to_stack);
        put(h, "<p class=\"mute\">Where it had acquired ");
        esc(h, from->label);
        put(h, e->from_approx ? " (outer frames: where its caller was later):</p>" : ":</p>");
        stack_html(h, &e->from_stack);
        if (nts < 64)
            ts[nts++] = &e->thread;
    }
    locks_section(h, f);
    threads_section(h, ts, nts);
}

static void waiters_section(struct html *h, const struct ls_finding *f)
{
    const struct ls_fthread *ts[64];
    size_t nts = 0;
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        struct strbuf sb;
        sb_init(&sb);
        thread_text(&sb, &w->thread);
        ls_describe_wait(&sb, f, w);
        heading(h, "h4", sb.buf);
        sb_free(&sb);
        put(h, "<p class=\"mute\">Where it waits:</p>");
        stack_html(h, &w->wait_stack);
        for (size_t j = 0; j < w->nheld; j++) {
            put(h, "<p class=\"mute\">It holds ");
            esc(h, f->locks[w->held[j].lock].label);
            put(h, ", acquired here:</p>");
            stack_html(h, &w->held[j].stack);
        }
        if (nts < 64)
            ts[nts++] = &w->thread;
    }
    locks_section(h, f);
    threads_section(h, ts, nts);
}

static void race_section(struct html *h, const struct ls_finding *f)
{
    const struct ls_fthread *ts[2];
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        struct strbuf sb;
        sb_init(&sb);
        const char *kind = a->write ? (a->read ? "read-modify-write" : "write") : "read";
        if (i == 0)
            sb_printf(&sb, "%c%s", kind[0] - 'a' + 'A', kind + 1);
        else
            sb_printf(&sb, "Conflicting %s", kind);
        if (a->inexact)
            sb_printf(&sb, " of %s (some of %llu bytes at 0x%llx: its address could not be "
                           "computed)",
                      a->where, (unsigned long long)a->size, (unsigned long long)a->addr);
        else
            sb_printf(&sb, " of %s (%llu bytes at 0x%llx)", a->where, (unsigned long long)a->size,
                      (unsigned long long)a->addr);
        sb_adds(&sb, " by ");
        thread_text(&sb, &a->thread);
        if (a->nheld == 0) {
            sb_adds(&sb, ", holding no lock");
        } else {
            sb_adds(&sb, ", holding ");
            for (size_t j = 0; j < a->nheld; j++)
                sb_printf(&sb, "%s%s", j ? ", " : "", f->locks[a->held[j]].label);
        }
        heading(h, "h4", sb.buf);
        sb_free(&sb);
        stack_html(h, &a->stack);
        ts[i] = &a->thread;
    }
    if (f->var.description) {
        struct strbuf sb;
        sb_init(&sb);
        if (f->var.field)
            sb_printf(&sb, "Location is `%s`, in %s", f->var.field, f->var.description);
        else
            sb_printf(&sb, "Location is %s", f->var.description);
        sb_adds(&sb, f->var.alloc_stack.n ? " at:" : ".");
        put(h, "<p>");
        esc(h, sb.buf);
        put(h, "</p>");
        sb_free(&sb);
        if (f->var.alloc_stack.n)
            stack_html(h, &f->var.alloc_stack);
    } else if (f->var.name) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "The variable: global '%s' of %llu bytes at 0x%llx.", f->var.name,
                  (unsigned long long)f->var.size, (unsigned long long)f->var.addr);
        put(h, "<p>");
        esc(h, sb.buf);
        put(h, "</p>");
        sb_free(&sb);
    }
    locks_section(h, f);
    threads_section(h, ts, 2);
}

static void call_section(struct html *h, const struct ls_finding *f)
{
    if (f->rule) {
        put(h, "<p>Rule: <code>");
        esc(h, f->rule);
        put(h, "</code></p>");
    }
    thread_heading(h, "In ", &f->thread, ", here:");
    stack_html(h, &f->stack);
    if (f->stack2.n) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s, %s:", f->other.tid ? "Meanwhile" : "Before that",
                  f->stack2_what ? f->stack2_what : "here");
        heading(h, "h4", sb.buf);
        sb_free(&sb);
        stack_html(h, &f->stack2);
    }
    if (f->nlocks && !f->nedges && !f->nwaiters)
        locks_section(h, f);
    /* the thread that made the call, and the other one involved */
    const struct ls_fthread *ts[2];
    size_t n = 0;
    if (f->thread.tid > 1)
        ts[n++] = &f->thread;
    if (f->other.tid > 1)
        ts[n++] = &f->other;
    threads_section(h, ts, n);
}

static void finding_html(struct html *h, size_t idx)
{
    const struct ls_finding *f = &h->r->findings[idx];
    const struct ls_rfinding *x = h->c && idx < h->c->nfx ? &h->c->fx[idx] : NULL;
    const struct ls_fprocess *p = &h->r->procs[f->proc];
    const char *base = !x || x->baseline == LS_BASELINE_NONE ? "none"
                       : x->baseline == LS_BASELINE_NEW      ? "new"
                                                             : "known";
    PF(h, "<article class=\"finding\" id=\"%s\" data-kind=\"", f->id);
    esc(h, kind_of(f));
    PF(h, "\" data-baseline=\"%s\" data-fails=\"%d\">", base, !x || x->fails);
    PF(h, "<h3><a class=\"anchor\" href=\"#%s\" title=\"link to this finding\">#</a>", f->id);
    esc(h, ls_finding_title(f->kind));
    put(h, "<span class=\"badge kind\">");
    esc(h, kind_of(f));
    PF(h, "</span><span class=\"badge %s\">", f->severity ? f->severity : "error");
    esc(h, f->severity ? f->severity : "error");
    put(h, "</span>");
    if (x && x->baseline == LS_BASELINE_NEW)
        put(h, "<span class=\"badge new\" title=\"not in the baseline\">new</span>");
    else if (x && x->baseline == LS_BASELINE_KNOWN)
        put(h, "<span class=\"badge known\" title=\"in the baseline\">known</span>");
    if (!x || x->fails)
        put(h, "<span class=\"badge fails\">fails the run</span>");
    else
        put(h, "<span class=\"badge passes\">does not fail the run</span>");
    PF(h, "</h3><p class=\"where\">Id <code>%s</code> &#183; in process %u: <code>", f->id,
       p->pid);
    esc(h, ls_rproc_command(p));
    put(h, "</code>");
    if (f->summary) {
        put(h, " &#183; at <code>");
        esc(h, f->summary->function ? f->summary->function : "<unknown>");
        if (f->summary->file) {
            put(h, " ");
            esc(h, f->summary->file);
            PF(h, ":%d", f->summary->line);
        }
        put(h, "</code>");
    }
    put(h, "</p>");
    if (f->reason) {
        put(h, "<p class=\"reason\">");
        esc(h, f->reason);
        put(h, "</p>");
    }
    if (f->related[0]) {
        const char *what = f->nedges ? "It happened in this run: see the deadlock "
                                     : "The same locks form the lock-order cycle ";
        PF(h, "<p>%s<a href=\"#%s\">%s</a>.</p>", what, f->related, f->related);
    }
    graph_svg(h, f);
    ls_html_timeline(h->out, h->r, f);
    if (f->nedges)
        edges_section(h, f);
    else if (f->nwaiters)
        waiters_section(h, f);
    else if (f->var.name || f->access[0].stack.n)
        race_section(h, f);
    else
        call_section(h, f);
    if (x && x->suppress) {
        put(h, "<p class=\"supp\">To suppress it, add this line to a <code>--suppressions</code> "
               "file: <code>");
        esc(h, x->suppress);
        put(h, "</code></p>");
    }
    put(h, "</article>\n");
}

/* ---------------------------------------------------------------- summary */

/* The program `lockscope run` started (its first word), not whichever
 * process's trace sorts first (a /usr/bin/time in front of a suite). */
static const char *program_of(const struct html *h)
{
    static char first[256];
    if (h->c && h->c->command && *h->c->command) {
        size_t n = strcspn(h->c->command, " ");
        if (n >= sizeof first)
            n = sizeof first - 1;
        memcpy(first, h->c->command, n);
        first[n] = 0;
        return first;
    }
    for (size_t i = 0; i < h->r->nprocs; i++)
        if (ls_rparent(h->r, h->c, i) < 0 && h->r->procs[i].exe && *h->r->procs[i].exe)
            return h->r->procs[i].exe;
    if (h->r->nprocs && h->r->procs[0].exe && *h->r->procs[0].exe)
        return h->r->procs[0].exe;
    return h->r->nprocs ? ls_rproc_command(&h->r->procs[0]) : "(no program)";
}

static void kv_text(struct html *h, const char *k, const char *v, int code)
{
    PF(h, "<tr><th>%s</th><td>%s", k, code ? "<code>" : "");
    esc(h, v);
    PF(h, "%s</td></tr>", code ? "</code>" : "");
}

static size_t count_kind(const struct ls_report *r, enum ls_finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        n += r->findings[i].kind == k;
    return n;
}

static size_t suppressed_of(const struct ls_report_ctx *c, const char *kind)
{
    if (!c)
        return 0;
    for (size_t i = 0; i < c->nsuppressed_kinds; i++)
        if (!strcmp(c->suppressed_by_kind[i].kind, kind))
            return c->suppressed_by_kind[i].n;
    return 0;
}

static int kind_fails(const struct ls_report_ctx *c, const char *kind)
{
    if ((!c || c->fail_on_all) && ls_kind_fails_by_default(kind))
        return 1;
    if (!c)
        return 0;
    for (size_t i = 0; i < c->nfail_on; i++)
        if (!strcmp(c->fail_on[i], kind))
            return 1;
    return 0;
}

/* One line of the scope lists; with several processes, each one's own
 * entry is a click away. */
static void scope_line(struct html *h, const struct ls_rscope *l)
{
    PF(h, "<li data-check=\"%s\" data-state=\"%s\">", l->check, ls_scope_state_name(l->state));
    esc(h, l->text);
    if (h->r->nprocs > 1) {
        put(h, "<details><summary>per process</summary><ul>");
        for (size_t k = 0; k < l->nprocs; k++) {
            const struct ls_fprocess *p = &h->r->procs[l->procs[k]];
            PF(h, "<li>%u <code>", p->pid);
            esc(h, ls_rproc_command(p));
            put(h, "</code>: ");
            esc(h, ls_rscope_entry(h->r, l, k)->detail);
            put(h, "</li>");
        }
        put(h, "</ul></details>");
    }
    put(h, "</li>");
}

static void summary(struct html *h)
{
    const struct ls_report *r = h->r;
    const struct ls_report_ctx *c = h->c;
    size_t threads = 0, locks = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        threads += r->procs[i].nthreads;
        locks += r->procs[i].nlocks;
    }
    put(h, "<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">");
    kv_text(h, "Program", program_of(h), 1);
    const char *cmd = c && c->command ? c->command
                      : r->nprocs    ? ls_rproc_command(&r->procs[0])
                                     : "";
    kv_text(h, "Command line", cmd, 1);
    char buf[96];
    if (c && c->duration_s >= 0)
        snprintf(buf, sizeof buf, "%.2f s", c->duration_s);
    else
        snprintf(buf, sizeof buf, "unknown");
    kv_text(h, "Duration", buf, 0);
    if (c && c->status >= 0) {
        snprintf(buf, sizeof buf, "%d", c->status);
        kv_text(h, "Program's exit status", buf, 0);
    }
    snprintf(buf, sizeof buf, "%zu", r->nprocs);
    kv_text(h, "Processes", buf, 0);
    snprintf(buf, sizeof buf, "%zu", threads);
    kv_text(h, "Threads", buf, 0);
    snprintf(buf, sizeof buf, "%zu", locks);
    kv_text(h, "Locks", buf, 0);
    struct ls_rcoverage cov;
    ls_rcoverage(r, &cov);
    if (cov.threaded) {
        char line[200];
        snprintf(line, sizeof line, "%s%zu of %zu process%s with threads watched, %zu access%s "
                                    "sampled",
                 cov.hardly ? "hardly checked: " : "", cov.watched, cov.threaded,
                 cov.threaded == 1 ? "" : "es", cov.accesses, cov.accesses == 1 ? "" : "es");
        kv_text(h, "Race checking", line, 0);
    }
    PF(h, "<tr><th>Findings</th><td><span id=\"finding-count\">%zu</span> finding%s", r->nfindings,
       r->nfindings == 1 ? "" : "s");
    if (c) {
        PF(h, "; <span id=\"failing-count\">%zu</span> fail%s the run", c->failing,
           c->failing == 1 ? "s" : "");
        if (c->suppressed)
            PF(h, "; %zu suppressed", c->suppressed);
    }
    if (r->dismissed_cycles)
        PF(h, "; %zu lock-order cycle%s dismissed (one thread, a common gate lock, or threads "
              "that never overlap)",
           r->dismissed_cycles, r->dismissed_cycles == 1 ? "" : "s");
    put(h, "</td></tr></table>");

    put(h, "<h3>Findings by kind</h3><table class=\"grid\" id=\"by-kind\"><tr><th>Kind</th>"
           "<th>Title</th><th>Found</th><th>Suppressed</th><th>Fails the run</th></tr>");
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST);
    for (size_t k = 0; k < nk; k++) {
        const char *name = ls_finding_kind_name(kinds[k]);
        put(h, "<tr><td><code>");
        esc(h, name);
        put(h, "</code></td><td>");
        esc(h, ls_finding_title(kinds[k]));
        PF(h, "</td><td>%zu</td><td>%zu</td><td>%s</td></tr>", count_kind(r, kinds[k]),
           suppressed_of(c, name), kind_fails(c, name) ? "yes" : "no (--fail-on)");
    }
    put(h, "</table>");

    /* Every finding, a click away: with a thousand processes the findings
     * must not sit under the process list. */
    if (r->nfindings) {
        put(h, "<h3>The findings</h3><ol id=\"finding-links\">");
        for (size_t i = 0; i < r->nfindings; i++) {
            const struct ls_finding *f = &r->findings[i];
            const struct ls_fframe *at = ls_rprimary(f);
            PF(h, "<li><a href=\"#%s\">", f->id);
            esc(h, ls_finding_title(f->kind));
            put(h, "</a>");
            if (at && at->file) {
                put(h, " <code>");
                esc(h, ls_basename(at->file));
                PF(h, ":%d</code>", at->line);
                if (at->function) {
                    put(h, " in <code>");
                    esc(h, at->function);
                    put(h, "</code>");
                }
            }
            if (f->nseen > 1)
                PF(h, " (seen in %zu processes)", f->nseen);
            put(h, "</li>");
        }
        put(h, "</ol>");
    }

    struct ls_rscope *lines;
    size_t nlines = ls_rscope_lines(r, &lines);
    put(h, "<h3>Checked</h3><ul class=\"notes\" id=\"checked\">");
    for (size_t i = 0; i < nlines; i++)
        if (lines[i].state != LS_SCOPE_NOT_CHECKED)
            scope_line(h, &lines[i]);
    put(h, "</ul>");
    put(h, "<h3>Not checked, not recorded</h3><ul class=\"notes\" id=\"not-checked\">");
    size_t left_out = c ? c->nnotes : 0;
    for (size_t i = 0; i < nlines; i++)
        if (lines[i].state == LS_SCOPE_NOT_CHECKED) {
            scope_line(h, &lines[i]);
            left_out++;
        }
    if (!left_out)
        put(h, "<li class=\"none\">nothing: every check listed above ran</li>");
    ls_rscope_free(lines, nlines);
    for (size_t i = 0; c && i < c->nnotes; i++) {
        put(h, "<li class=\"note\">");
        esc(h, c->notes[i]);
        put(h, "</li>");
    }
    put(h, "</ul>");

    if (c && c->supp_file) {
        put(h, "<h3>Suppressions</h3><p>From <code>");
        esc(h, c->supp_file);
        PF(h, "</code>: %zu finding%s suppressed (counted here, not shown).</p>", c->suppressed,
           c->suppressed == 1 ? "" : "s");
        put(h, "<table class=\"grid\" id=\"suppressions\"><tr><th>Line</th><th>Rule</th>"
               "<th>Matched</th></tr>");
        for (size_t i = 0; i < c->nsupps; i++) {
            PF(h, "<tr><td>%d</td><td><code>", c->supps[i].line);
            esc(h, c->supps[i].text);
            PF(h, "</code></td><td>%zu</td></tr>", c->supps[i].hits);
        }
        put(h, "</table>");
    }
    if (c && c->baseline_file) {
        put(h, "<h3>Baseline</h3><p>Compared with <code>");
        esc(h, c->baseline_file);
        PF(h, "</code>: %zu new, %zu known, %zu gone. Only new findings fail the run.</p>",
           c->baseline_new, c->baseline_known, c->baseline_gone);
    }

    put(h, "</section>\n");
}

/* After the findings, collapsed (open when there are few), with a search
 * box the script shows. */
static void processes(struct html *h)
{
    const struct ls_report *r = h->r;
    const struct ls_report_ctx *c = h->c;
    PF(h, "<section id=\"process-list\"><details%s><summary><h2>Processes (%zu)</h2></summary>",
       r->nprocs <= 10 ? " open" : "", r->nprocs);
    put(h, "<p id=\"process-search\" hidden><label>Search: <input type=\"search\" "
           "id=\"process-filter\" placeholder=\"pid, command, test\"></label> "
           "<span id=\"process-shown\" class=\"mute\"></span></p>");
    put(h, "<table class=\"grid\" id=\"processes\"><tr><th>PID</th>"
           "<th>Parent</th><th>Command line</th><th>Test</th><th>Threads</th><th>Locks</th>"
           "<th>Findings</th><th>Ended</th><th>Notes</th></tr>");
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_fprocess *p = &r->procs[i];
        const struct ls_rproc *x = c && i < c->npx ? &c->px[i] : NULL;
        size_t nf = 0;
        for (size_t j = 0; j < r->nfindings; j++)
            for (size_t k = 0; k < r->findings[j].nseen; k++)
                nf += r->findings[j].seen[k].proc == i;
        PF(h, "<tr><td>%u</td><td>%u</td><td><code>", p->pid, p->ppid);
        esc(h, ls_rproc_command(p));
        put(h, "</code></td><td>");
        char *test = NULL;
        if (ls_rtest(r, c, i, &test) != i)
            esc(h, test);
        free(test);
        PF(h, "</td><td>%zu</td><td>%zu</td><td>%zu</td><td>", p->nthreads, p->nlocks, nf);
        if (x && x->execed)
            put(h, "exec'd another program");
        else if (p->ended && x && x->exit_status >= 0)
            PF(h, "exit status %d", x->exit_status);
        else
            put(h, p->ended ? "yes" : "no (killed, crashed or still running)");
        put(h, "</td><td>");
        for (size_t j = 0; x && j < x->nnotes; j++) {
            put(h, j ? "<br>" : "");
            esc(h, x->notes[j]);
        }
        put(h, "</td></tr>");
    }
    put(h, "</table></details></section>\n");
}

static void filters(struct html *h)
{
    const struct ls_report *r = h->r;
    /* Shown by the script: without it every finding is visible anyway. */
    put(h, "<div id=\"filters\" hidden>Show: ");
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST);
    for (size_t k = 0; k < nk; k++) {
        size_t n = count_kind(r, kinds[k]);
        if (!n)
            continue;
        const char *name = ls_finding_kind_name(kinds[k]);
        put(h, "<label><input type=\"checkbox\" checked data-kind=\"");
        esc(h, name);
        put(h, "\"> ");
        esc(h, name);
        PF(h, " (%zu)</label>", n);
    }
    if (h->c && h->c->baseline_file)
        put(h, "<label><input type=\"checkbox\" id=\"new-only\"> only new findings</label>");
    put(h, "</div><p id=\"shown\" class=\"mute\"></p>");
}

void ls_report_html(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    struct html h = {out, r, c, ls_source_new()};
    uint8_t digest[32];
    char b64[48];
    ls_sha256(ls_html_script, ls_html_script_len, digest);
    ls_base64(digest, sizeof digest, b64);

    put(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    PF(&h, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'sha256-%s'; img-src data:; "
           "base-uri 'none'; form-action 'none'\">\n",
       b64);
    put(&h, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"lockscope " LS_VERSION "\">\n<title>");
    PF(&h, "lockscope: %zu finding%s &#8212; ", r->nfindings, r->nfindings == 1 ? "" : "s");
    esc(&h, ls_basename(program_of(&h)));
    put(&h, "</title>\n<style>\n");
    fwrite(ls_html_style, 1, ls_html_style_len, out);
    put(&h, "</style></head>\n<body>\n<header class=\"top\"><h1>lockscope report</h1><p>");
    esc(&h, c && c->command ? c->command : program_of(&h));
    put(&h, "</p></header>\n<main>\n");
    summary(&h);
    PF(&h, "<section id=\"findings\"><h2>Findings</h2>\n");
    if (r->nfindings == 0) {
        put(&h, "<p id=\"no-findings\">Nothing was found");
        if (c && c->suppressed)
            PF(&h, " (%zu finding%s suppressed)", c->suppressed, c->suppressed == 1 ? "" : "s");
        put(&h, ".</p>");
    } else {
        filters(&h);
    }
    for (size_t i = 0; i < r->nfindings; i++)
        finding_html(&h, i);
    put(&h, "</section>\n");
    processes(&h);
    put(&h, "</main>\n<footer>Written by lockscope " LS_VERSION
            ". Finding ids are stable across runs: link to a finding with "
            "<code>report.html#ID</code>.</footer>\n<script>");
    /* The page's only script (html/report.js): filters by kind (and
     * new/known), reveals a linked finding.  It reads nothing from the
     * program; the CSP above allows it by the hash of these bytes. */
    fwrite(ls_html_script, 1, ls_html_script_len, out);
    put(&h, "</script>\n</body></html>\n");
    ls_source_free(h.src);
}
