/*
 * The streaming JSON writer (jsonw.h).
 */
#include "jsonw.h"
#include "escape.h"

void ls_jw_init(struct ls_jsonw *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    w->count[0] = 0;
}

static void member(struct ls_jsonw *w, const char *key)
{
    if (w->count[w->depth]++)
        fputc(',', w->out);
    if (key) {
        ls_esc_json(w->out, key);
        fputc(':', w->out);
    }
}

static void open_(struct ls_jsonw *w, const char *key, char o, char c)
{
    member(w, key);
    fputc(o, w->out);
    if (w->depth + 1 < LS_JSONW_DEPTH) {
        w->depth++;
        w->count[w->depth] = 0;
        w->close[w->depth] = c;
    }
}

void ls_jw_obj(struct ls_jsonw *w, const char *key)
{
    open_(w, key, '{', '}');
}

void ls_jw_arr(struct ls_jsonw *w, const char *key)
{
    open_(w, key, '[', ']');
}

void ls_jw_end(struct ls_jsonw *w)
{
    if (w->depth == 0)
        return;
    fputc(w->close[w->depth], w->out);
    w->depth--;
    if (w->depth == 0)
        fputc('\n', w->out);
}

void ls_jw_str(struct ls_jsonw *w, const char *key, const char *v)
{
    member(w, key);
    ls_esc_json(w->out, v);
}

void ls_jw_int(struct ls_jsonw *w, const char *key, long long v)
{
    member(w, key);
    fprintf(w->out, "%lld", v);
}

void ls_jw_bool(struct ls_jsonw *w, const char *key, int v)
{
    member(w, key);
    fputs(v ? "true" : "false", w->out);
}
