/*
 * The SARIF 2.1.0 report, shaped for GitHub code scanning: one rule per
 * finding kind, one result per finding with its primary location (the
 * summary frame), relatedLocations for the other side of the story, a
 * codeFlow with one threadFlow per thread involved, the full stacks, and
 * partialFingerprints carrying the stable finding id.  Source paths under
 * the source root become URIs relative to the SRCROOT base id.
 */
#define _GNU_SOURCE
#include "escape.h"
#include "jsonw.h"
#include "reports.h"

#include <stdlib.h>
#include <string.h>

#ifndef LS_VERSION
#define LS_VERSION "0"
#endif

struct sarif {
    struct ls_jsonw w;
    const struct ls_report *r;
    const struct ls_report_ctx *c;
    const char *srcroot;      /* absolute, without a trailing '/'; NULL if none */
};

struct rule_text {
    const char *kind, *name, *full, *help, *tag;
};

static const struct rule_text rule_texts[] = {
    {"lock-order-cycle", "LockOrderCycle",
     "Threads take the same locks in different orders, so they can deadlock.",
     "Each thread in the cycle holds one lock while it waits for the next. Make every thread "
     "take these locks in one global order, or take them under one outer lock.",
     "deadlock"},
    {"lock-order-latent", "LatentLockOrderInversion",
     "The code takes the same locks in opposite orders; in this run no two threads did so at "
     "the same time.",
     "Latent: one thread (or threads that never overlapped) took these locks in both orders. "
     "The day two threads run those orders at once, they deadlock. Take the locks in one "
     "global order everywhere.",
     "deadlock"},
    {"deadlock", "Deadlock", "Threads waited for each other while the program ran.",
     "The shim saw the threads blocked on each other; lockscope ended the program. Fix the lock "
     "order, or the join, that closes the cycle.",
     "deadlock"},
    {"stall", "Stall", "Every thread of a process was blocked with nothing left to wake it.",
     "All threads waited on condition variables, semaphores, barriers or joins that no running "
     "thread could end.",
     "deadlock"},
    {"misuse", "PthreadMisuse", "A pthread call was used in a way its specification forbids.",
     "The rule named in the result says which call and why.", "correctness"},
    {"data-race", "DataRace",
     "Two threads accessed the same variable without synchronization, at least one writing.",
     "Protect the variable with a lock, or make the accesses atomic.", "data-race"},
};

static const struct rule_text *rule_text(const char *kind)
{
    for (size_t i = 0; i < sizeof rule_texts / sizeof rule_texts[0]; i++)
        if (!strcmp(rule_texts[i].kind, kind))
            return &rule_texts[i];
    return NULL;
}

static void text_msg(struct sarif *s, const char *key, const char *text)
{
    ls_jw_obj(&s->w, key);
    ls_jw_str(&s->w, "text", text);
    ls_jw_end(&s->w);
}

static void rules(struct sarif *s, enum ls_finding_kind *kinds, size_t nk)
{
    ls_jw_arr(&s->w, "rules");
    for (size_t k = 0; k < nk; k++) {
        const char *kind = ls_finding_kind_name(kinds[k]);
        const struct rule_text *t = rule_text(kind);
        ls_jw_obj(&s->w, NULL);
        ls_jw_str(&s->w, "id", kind);
        ls_jw_str(&s->w, "name", t ? t->name : kind);
        text_msg(s, "shortDescription", ls_finding_title(kinds[k]));
        text_msg(s, "fullDescription", t ? t->full : ls_finding_title(kinds[k]));
        text_msg(s, "help", t ? t->help : ls_finding_title(kinds[k]));
        int warn = kinds[k] == LS_FIND_LOCK_ORDER_LATENT;
        ls_jw_obj(&s->w, "defaultConfiguration");
        ls_jw_str(&s->w, "level", warn ? "warning" : "error");
        ls_jw_end(&s->w);
        ls_jw_obj(&s->w, "properties");
        ls_jw_arr(&s->w, "tags");
        ls_jw_str(&s->w, NULL, "concurrency");
        if (t)
            ls_jw_str(&s->w, NULL, t->tag);
        ls_jw_end(&s->w);
        ls_jw_str(&s->w, "precision", "high");
        ls_jw_str(&s->w, "problem.severity", warn ? "warning" : "error");
        ls_jw_end(&s->w);
        ls_jw_end(&s->w);
    }
    ls_jw_end(&s->w);
}

/* A path with its "." and ".." segments and doubled slashes taken out, the
 * way code scanning compares paths with the repository's (lexically: the
 * compiler's "build/../src/x.c" is "src/x.c").  A ".." above the start of a
 * relative path is kept. */
static char *normalized(const char *path)
{
    size_t n = strlen(path);
    char *out = xmalloc(n + 2);
    size_t len = 0, floor = 0;
    int abs = path[0] == '/';
    if (abs)
        out[len++] = '/';
    floor = len;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t sl = e ? (size_t)(e - p) : strlen(p);
        if (sl == 0)
            break;
        if (sl == 1 && p[0] == '.') {
            /* nothing */
        } else if (sl == 2 && p[0] == '.' && p[1] == '.' && len > floor) {
            while (len > floor && out[len - 1] != '/')
                len--;
            if (len > floor)
                len--; /* the slash before the dropped segment */
        } else if (sl == 2 && p[0] == '.' && p[1] == '.' && abs) {
            /* "/.." is "/" */
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, p, sl);
            len += sl;
            if (sl == 2 && p[0] == '.' && p[1] == '.')
                floor = len; /* a leading ".." of a relative path stays */
        }
        p += sl;
    }
    if (len == 0)
        out[len++] = '.';
    out[len] = 0;
    return out;
}

/* The artifact location of a source path: relative to SRCROOT when it is
 * under it, a file:// URI when absolute, else the path as a relative URI. */
static void artifact(struct sarif *s, const char *raw)
{
    struct strbuf sb;
    sb_init(&sb);
    char *path = normalized(raw);
    size_t n = s->srcroot ? strlen(s->srcroot) : 0;
    int under = n && !strncmp(path, s->srcroot, n) && path[n] == '/';
    ls_jw_obj(&s->w, "artifactLocation");
    if (under) {
        ls_esc_uri_sb(&sb, path + n + 1);
        ls_jw_str(&s->w, "uri", sb.buf ? sb.buf : "");
        ls_jw_str(&s->w, "uriBaseId", "SRCROOT");
    } else if (path[0] == '/') {
        sb_adds(&sb, "file://");
        ls_esc_uri_sb(&sb, path);
        ls_jw_str(&s->w, "uri", sb.buf);
    } else {
        const char *p = path;
        while (!strncmp(p, "./", 2))
            p += 2;
        ls_esc_uri_sb(&sb, p);
        ls_jw_str(&s->w, "uri", sb.buf ? sb.buf : "");
    }
    ls_jw_end(&s->w);
    sb_free(&sb);
    free(path);
}

/* A location object for a frame, with an optional message and id (-1:
 * none).  key: member name, or NULL inside an array. */
static void location(struct sarif *s, const char *key, const struct ls_fframe *f, const char *msg,
                     int id)
{
    ls_jw_obj(&s->w, key);
    if (id >= 0)
        ls_jw_int(&s->w, "id", id);
    if (f && f->file) {
        ls_jw_obj(&s->w, "physicalLocation");
        artifact(s, f->file);
        if (f->line > 0) {
            ls_jw_obj(&s->w, "region");
            ls_jw_int(&s->w, "startLine", f->line);
            if (f->column > 0)
                ls_jw_int(&s->w, "startColumn", f->column);
            ls_jw_end(&s->w);
        }
        ls_jw_end(&s->w);
    }
    if (f && f->function) {
        ls_jw_arr(&s->w, "logicalLocations");
        ls_jw_obj(&s->w, NULL);
        ls_jw_str(&s->w, "name", f->function);
        ls_jw_str(&s->w, "kind", "function");
        ls_jw_end(&s->w);
        ls_jw_end(&s->w);
    }
    if (msg)
        text_msg(s, "message", msg);
    else if (f && !f->file && !f->function) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s+0x%llx", f->module ? ls_basename(f->module) : "?",
                  (unsigned long long)f->module_offset);
        text_msg(s, "message", sb.buf);
        sb_free(&sb);
    }
    ls_jw_end(&s->w);
}

static const struct ls_fframe *user_frame(const struct ls_fstack *st)
{
    const struct ls_fframe *f = ls_fstack_user_frame(st);
    return f && f->file ? f : NULL;
}

static void thread_str(struct strbuf *sb, const struct ls_fthread *t)
{
    char b[16];
    sb_adds(sb, ls_rthread_label(t->tid, b));
    if (t->name)
        sb_printf(sb, " \"%s\"", t->name);
}

/* One "story line" of a finding: a place in one thread's life, with the
 * stack it was at and what happened there. */
struct step {
    const struct ls_fthread *thread;
    const struct ls_fstack *stack;
    char *msg;
    const char *kind;         /* threadFlowLocation kind: "acquire", "lock", "call" */
};

#define MAX_STEPS 96

struct story {
    struct step s[MAX_STEPS];
    size_t n;
};

static void step(struct story *st, const struct ls_fthread *t, const struct ls_fstack *stack,
                 const char *kind, struct strbuf *msg)
{
    if (st->n == MAX_STEPS) {
        sb_free(msg);
        return;
    }
    st->s[st->n++] = (struct step){t, stack, sb_detach(msg), kind};
}

static void build_story(struct story *st, const struct ls_finding *f)
{
    memset(st, 0, sizeof *st);
    struct strbuf sb;
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        sb_init(&sb);
        thread_str(&sb, &e->thread);
        sb_printf(&sb, " acquires %s", f->locks[e->from].label);
        step(st, &e->thread, &e->from_stack, "acquire", &sb);
        sb_init(&sb);
        thread_str(&sb, &e->thread);
        sb_printf(&sb, " requests %s while holding %s", f->locks[e->to].label,
                  f->locks[e->from].label);
        step(st, &e->thread, &e->to_stack, "lock", &sb);
    }
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        for (size_t j = 0; j < w->nheld; j++) {
            sb_init(&sb);
            thread_str(&sb, &w->thread);
            sb_printf(&sb, " acquires %s", f->locks[w->held[j].lock].label);
            step(st, &w->thread, &w->held[j].stack, "acquire", &sb);
        }
        sb_init(&sb);
        thread_str(&sb, &w->thread);
        ls_describe_wait(&sb, f, w);
        step(st, &w->thread, &w->wait_stack, "lock", &sb);
    }
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        if (!a->stack.n)
            continue;
        sb_init(&sb);
        thread_str(&sb, &a->thread);
        sb_printf(&sb, " %s %s", a->write ? "writes" : "reads",
                  a->where ? a->where : f->var.name ? f->var.name : "it");
        if (a->nheld == 0)
            sb_adds(&sb, " holding no lock");
        step(st, &a->thread, &a->stack, "memory", &sb);
    }
    if (f->stack2.n) {
        sb_init(&sb);
        sb_adds(&sb, f->stack2_what ? f->stack2_what : "before that");
        if (sb.len)
            sb.buf[0] = (char)(sb.buf[0] >= 'a' && sb.buf[0] <= 'z' ? sb.buf[0] - 32 : sb.buf[0]);
        step(st, f->other.tid ? &f->other : &f->thread, &f->stack2, "acquire", &sb);
    }
    if (f->stack.n) {
        sb_init(&sb);
        thread_str(&sb, &f->thread);
        sb_printf(&sb, " calls here%s%s", f->rule ? " (rule " : "", f->rule ? f->rule : "");
        if (f->rule)
            sb_adds(&sb, ")");
        step(st, &f->thread, &f->stack, "call", &sb);
    }
}

static void free_story(struct story *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->s[i].msg);
}

static void related(struct sarif *s, const struct story *st, const struct ls_fframe *primary)
{
    int any = 0, id = 1;
    for (size_t i = 0; i < st->n; i++) {
        const struct ls_fframe *f = user_frame(st->s[i].stack);
        if (!f || f == primary)
            continue;
        if (!any)
            ls_jw_arr(&s->w, "relatedLocations");
        any = 1;
        location(s, NULL, f, st->s[i].msg, id++);
    }
    if (any)
        ls_jw_end(&s->w);
}

static void stack_obj(struct sarif *s, const struct step *sp)
{
    ls_jw_obj(&s->w, "stack");
    text_msg(s, "message", sp->msg);
    ls_jw_arr(&s->w, "frames");
    for (size_t i = 0; i < sp->stack->n; i++) {
        const struct ls_fframe *f = &sp->stack->frames[i];
        ls_jw_obj(&s->w, NULL);
        location(s, "location", f, NULL, -1);
        if (f->module)
            ls_jw_str(&s->w, "module", ls_basename(f->module));
        if (sp->thread && sp->thread->tid)
            ls_jw_int(&s->w, "threadId", sp->thread->tid);
        ls_jw_end(&s->w);
    }
    ls_jw_end(&s->w);
    ls_jw_end(&s->w);
}

static void code_flows(struct sarif *s, const struct story *st)
{
    /* One threadFlow per thread, in the order threads first appear. */
    uint32_t tids[MAX_STEPS];
    size_t nt = 0;
    for (size_t i = 0; i < st->n; i++) {
        uint32_t t = st->s[i].thread ? st->s[i].thread->tid : 0;
        size_t j = 0;
        while (j < nt && tids[j] != t)
            j++;
        if (j == nt && user_frame(st->s[i].stack))
            tids[nt++] = t;
    }
    if (!nt)
        return;
    ls_jw_arr(&s->w, "codeFlows");
    ls_jw_obj(&s->w, NULL);
    text_msg(s, "message", nt > 1 ? "What each thread did" : "What the thread did");
    ls_jw_arr(&s->w, "threadFlows");
    int order = 0;
    for (size_t t = 0; t < nt; t++) {
        ls_jw_obj(&s->w, NULL);
        const struct ls_fthread *th = NULL;
        for (size_t i = 0; i < st->n && !th; i++)
            if (st->s[i].thread && st->s[i].thread->tid == tids[t])
                th = st->s[i].thread;
        struct strbuf sb;
        sb_init(&sb);
        if (th)
            thread_str(&sb, th);
        else
            sb_adds(&sb, "thread");
        char id[16];
        ls_jw_str(&s->w, "id", th ? ls_rthread_label(th->tid, id) : "?");
        text_msg(s, "message", sb.buf);
        sb_free(&sb);
        ls_jw_arr(&s->w, "locations");
        for (size_t i = 0; i < st->n; i++) {
            const struct step *sp = &st->s[i];
            const struct ls_fframe *f = user_frame(sp->stack);
            if (!f || (sp->thread ? sp->thread->tid : 0) != tids[t])
                continue;
            ls_jw_obj(&s->w, NULL);
            location(s, "location", f, sp->msg, -1);
            stack_obj(s, sp);
            ls_jw_arr(&s->w, "kinds");
            ls_jw_str(&s->w, NULL, sp->kind);
            ls_jw_end(&s->w);
            ls_jw_int(&s->w, "nestingLevel", 0);
            ls_jw_int(&s->w, "executionOrder", order++);
            ls_jw_str(&s->w, "importance",
                      !strcmp(sp->kind, "acquire") ? "important" : "essential");
            ls_jw_end(&s->w);
        }
        ls_jw_end(&s->w);
        ls_jw_end(&s->w);
    }
    ls_jw_end(&s->w);
    ls_jw_end(&s->w);
    ls_jw_end(&s->w);
}

static void result_message(struct strbuf *sb, const struct sarif *s, const struct ls_finding *f)
{
    sb_adds(sb, ls_finding_title(f->kind));
    if (f->nedges && f->nlocks) {
        sb_adds(sb, ": ");
        for (size_t i = 0; i < f->nlocks; i++)
            sb_printf(sb, "%s => ", f->locks[i].label);
        sb_adds(sb, f->locks[0].label);
    }
    sb_adds(sb, ". ");
    if (f->reason)
        sb_printf(sb, "%s ", f->reason);
    const struct ls_fprocess *p = &s->r->procs[f->proc];
    sb_printf(sb, "In process %u: %s", p->pid, ls_rproc_command(p));
}

static void result(struct sarif *s, size_t idx, size_t rule_index)
{
    const struct ls_finding *f = &s->r->findings[idx];
    const struct ls_rfinding *x = s->c && idx < s->c->nfx ? &s->c->fx[idx] : NULL;
    const struct ls_fprocess *p = &s->r->procs[f->proc];
    struct ls_jsonw *w = &s->w;
    ls_jw_obj(w, NULL);
    ls_jw_str(w, "ruleId", ls_finding_kind_name(f->kind));
    ls_jw_int(w, "ruleIndex", (long long)rule_index);
    ls_jw_str(w, "level", f->severity && !strcmp(f->severity, "warning") ? "warning" : "error");
    ls_jw_str(w, "kind", "fail");
    struct strbuf sb;
    sb_init(&sb);
    result_message(&sb, s, f);
    text_msg(s, "message", sb.buf);
    sb_free(&sb);
    const struct ls_fframe *primary = ls_rprimary(f);
    ls_jw_arr(w, "locations");
    if (primary) {
        location(s, NULL, primary, NULL, -1);
    } else {
        /* Nothing symbolized with a source file: point at the program. */
        ls_jw_obj(w, NULL);
        ls_jw_obj(w, "physicalLocation");
        artifact(s, p->exe && *p->exe ? p->exe : "unknown");
        ls_jw_end(w);
        ls_jw_end(w);
    }
    ls_jw_end(w);
    struct story st;
    build_story(&st, f);
    related(s, &st, primary);
    code_flows(s, &st);
    free_story(&st);
    ls_jw_obj(w, "partialFingerprints");
    ls_jw_str(w, "lockscopeFindingId/v1", f->id);
    ls_jw_end(w);
    if (x && x->baseline != LS_BASELINE_NONE)
        ls_jw_str(w, "baselineState", x->baseline == LS_BASELINE_NEW ? "new" : "unchanged");
    ls_jw_obj(w, "properties");
    ls_jw_str(w, "id", f->id);
    ls_jw_str(w, "kind", ls_finding_kind_name(f->kind));
    ls_jw_int(w, "process", (long long)f->proc);
    ls_jw_int(w, "pid", p->pid);
    ls_jw_str(w, "command", ls_rproc_command(p));
    ls_jw_bool(w, "fails", !x || x->fails);
    if (x && x->suppress)
        ls_jw_str(w, "suppression", x->suppress);
    if (f->related[0])
        ls_jw_str(w, "related", f->related);
    ls_jw_end(w);
    ls_jw_end(w);
}

void ls_report_sarif(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    struct sarif s = {.r = r, .c = c};
    ls_jw_init(&s.w, out);
    char *root = NULL;
    if (c && c->srcroot && c->srcroot[0] == '/') {
        root = normalized(c->srcroot);
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
            root[--n] = 0;
        s.srcroot = n > 1 ? root : NULL;
    }
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST);
    struct ls_jsonw *w = &s.w;

    ls_jw_obj(w, NULL);
    ls_jw_str(w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    ls_jw_str(w, "version", "2.1.0");
    ls_jw_arr(w, "runs");
    ls_jw_obj(w, NULL);
    ls_jw_obj(w, "tool");
    ls_jw_obj(w, "driver");
    ls_jw_str(w, "name", "lockscope");
    ls_jw_str(w, "version", LS_VERSION);
    ls_jw_str(w, "semanticVersion", LS_VERSION);
    rules(&s, kinds, nk);
    ls_jw_end(w);
    ls_jw_end(w);

    ls_jw_arr(w, "invocations");
    ls_jw_obj(w, NULL);
    ls_jw_bool(w, "executionSuccessful", 1);
    struct ls_rscope *lines;
    size_t nlines = ls_rscope_lines(r, &lines);
    size_t nnot = 0;
    for (size_t i = 0; i < nlines; i++)
        nnot += lines[i].state == LS_SCOPE_NOT_CHECKED;
    if ((c && c->nnotes) || nnot) {
        ls_jw_arr(w, "toolExecutionNotifications");
        for (size_t i = 0; c && i < c->nnotes; i++) {
            ls_jw_obj(w, NULL);
            text_msg(&s, "message", c->notes[i]);
            ls_jw_str(w, "level", "warning");
            ls_jw_end(w);
        }
        for (size_t i = 0; i < nlines; i++) {
            if (lines[i].state != LS_SCOPE_NOT_CHECKED)
                continue;
            ls_jw_obj(w, NULL);
            struct strbuf sb;
            sb_init(&sb);
            sb_printf(&sb, "Not checked: %s", lines[i].text);
            text_msg(&s, "message", sb.buf);
            sb_free(&sb);
            ls_jw_str(w, "level", "note");
            ls_jw_end(w);
        }
        ls_jw_end(w);
    }
    ls_rscope_free(lines, nlines);
    ls_jw_end(w);
    ls_jw_end(w);

    if (s.srcroot) {
        struct strbuf sb;
        sb_init(&sb);
        sb_adds(&sb, "file://");
        ls_esc_uri_sb(&sb, s.srcroot);
        sb_adds(&sb, "/");
        ls_jw_obj(w, "originalUriBaseIds");
        ls_jw_obj(w, "SRCROOT");
        ls_jw_str(w, "uri", sb.buf);
        ls_jw_end(w);
        ls_jw_end(w);
        sb_free(&sb);
    }

    ls_jw_arr(w, "results");
    for (size_t i = 0; i < r->nfindings; i++) {
        size_t ri = 0;
        while (ri < nk && kinds[ri] != r->findings[i].kind)
            ri++;
        result(&s, i, ri);
    }
    ls_jw_end(w);

    ls_jw_obj(w, "properties");
    if (c && c->command)
        ls_jw_str(w, "command", c->command);
    ls_jw_arr(w, "processes");
    for (size_t i = 0; i < r->nprocs; i++) {
        ls_jw_obj(w, NULL);
        ls_jw_int(w, "index", (long long)i);
        ls_jw_int(w, "pid", r->procs[i].pid);
        ls_jw_int(w, "ppid", r->procs[i].ppid);
        ls_jw_str(w, "command", ls_rproc_command(&r->procs[i]));
        ls_jw_end(w);
    }
    ls_jw_end(w);
    ls_jw_int(w, "suppressed", c ? (long long)c->suppressed : 0);
    if (c && c->supp_file) {
        ls_jw_str(w, "suppressionsFile", c->supp_file);
        ls_jw_arr(w, "suppressionRules");
        for (size_t i = 0; i < c->nsupps; i++) {
            ls_jw_obj(w, NULL);
            ls_jw_str(w, "text", c->supps[i].text);
            ls_jw_int(w, "line", c->supps[i].line);
            ls_jw_int(w, "matched", (long long)c->supps[i].hits);
            ls_jw_end(w);
        }
        ls_jw_end(w);
    }
    if (c && c->baseline_file) {
        ls_jw_str(w, "baselineFile", c->baseline_file);
        ls_jw_int(w, "baselineGone", (long long)c->baseline_gone);
    }
    ls_jw_int(w, "failing", c ? (long long)c->failing : (long long)r->nfindings);
    ls_jw_end(w);

    ls_jw_end(w);
    ls_jw_end(w);
    ls_jw_end(w);
    free(root);
}
