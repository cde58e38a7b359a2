#define _GNU_SOURCE
#include "terminal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Shown only past this (LOCKSCOPE_PROGRESS_DELAY, in ms, changes it),
 * redrawn at most this often. */
#define BAR_DELAY_NS 500000000u
#define BAR_PERIOD_NS 100000000u
#define BAR_WIDTH 20

static int dumb_terminal(void)
{
    const char *term = getenv("TERM");
    return !term || !*term || !strcmp(term, "dumb");
}

int ls_term_color_mode_ok(const char *mode)
{
    return !strcmp(mode, "auto") || !strcmp(mode, "always") || !strcmp(mode, "never");
}

int ls_term_color(const char *mode, int fd)
{
    if (mode && !strcmp(mode, "always"))
        return 1;
    if (mode && !strcmp(mode, "never"))
        return 0;
    const char *no = getenv("NO_COLOR");
    if (no && *no)
        return 0;
    return !dumb_terminal() && isatty(fd);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return; /* a progress line is not worth more */
        s += w;
        n -= (size_t)w;
    }
}

static void erase(struct ls_bar *b)
{
    if (b->fd < 0 || !b->shown)
        return;
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, "\r");
    for (size_t i = 0; i < b->shown; i++)
        sb_adds(&sb, " ");
    sb_adds(&sb, "\r");
    write_all(b->fd, sb.buf, sb.len);
    sb_free(&sb);
    b->shown = 0;
}

/* Before the analyzer prints a warning or an error. */
static void erase_hook(void *arg)
{
    erase(arg);
}

void ls_bar_start(struct ls_bar *b, size_t ntraces, uint64_t total_bytes)
{
    memset(b, 0, sizeof *b);
    b->fd = isatty(2) && !dumb_terminal() ? 2 : -1;
    b->t0_ns = now_ns();
    b->delay_ns = BAR_DELAY_NS;
    const char *d = getenv("LOCKSCOPE_PROGRESS_DELAY");
    if (d && *d) {
        char *end;
        unsigned long ms = strtoul(d, &end, 10);
        if (!*end && ms <= 3600000ul)
            b->delay_ns = (uint64_t)ms * 1000000u;
    }
    b->ntraces = ntraces;
    b->total_bytes = total_bytes;
    if (b->fd >= 0)
        ls_set_message_hook(erase_hook, b);
}

void ls_bar_trace(struct ls_bar *b, size_t i, uint64_t bytes)
{
    b->bytes_before += i ? b->trace_bytes : 0;
    b->trace = i + 1;
    b->trace_bytes = bytes;
    b->stage = LS_STAGE_READ;
    b->done = b->total = 0;
}

/* How far into one trace a stage is, from 0 to 1: decoding and building
 * the lock-order graph take most of the time. */
static double stage_fraction(enum ls_stage s, uint64_t done, uint64_t total)
{
    static const double start[] = {
        [LS_STAGE_READ] = 0.0,       [LS_STAGE_PARSE] = 0.1,  [LS_STAGE_DEADLOCKS] = 0.3,
        [LS_STAGE_LOCK_GRAPH] = 0.3, [LS_STAGE_CYCLES] = 0.85, [LS_STAGE_MISUSE] = 0.9,
        [LS_STAGE_RACES] = 0.9,      [LS_STAGE_PROFILE] = 0.98,
    };
    size_t n = sizeof start / sizeof start[0];
    if ((size_t)s >= n)
        return 1.0;
    double lo = start[s], hi = 1.0;
    for (size_t k = (size_t)s + 1; k < n; k++) {
        if (start[k] > lo) {
            hi = start[k];
            break;
        }
    }
    double part = total ? (double)done / (double)total : 0.0;
    return lo + (hi - lo) * (part > 1.0 ? 1.0 : part);
}

static void sb_bytes(struct strbuf *sb, uint64_t n)
{
    if (n >= 1000000)
        sb_printf(sb, "%.1f MB", (double)n / 1e6);
    else
        sb_printf(sb, "%.0f KB", (double)n / 1e3);
}

static size_t columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void draw(struct ls_bar *b)
{
    double f = stage_fraction(b->stage, b->done, b->total);
    double all = b->total_bytes
                     ? ((double)b->bytes_before + f * (double)b->trace_bytes) /
                           (double)b->total_bytes
                     : ((double)(b->trace ? b->trace - 1 : 0) + f) / (double)b->ntraces;
    if (all > 1.0)
        all = 1.0;
    uint64_t read = b->bytes_before +
                    (b->stage == LS_STAGE_READ ? b->done : b->trace_bytes);
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, "\rlockscope: [");
    size_t fill = (size_t)(all * BAR_WIDTH + 0.5);
    for (size_t i = 0; i < BAR_WIDTH; i++)
        sb_adds(&sb, i < fill ? "=" : " ");
    sb_printf(&sb, "] trace %zu of %zu, ", b->trace, b->ntraces);
    sb_bytes(&sb, read);
    sb_adds(&sb, " of ");
    sb_bytes(&sb, b->total_bytes);
    sb_printf(&sb, " read: %s", ls_stage_name(b->stage));
    if (b->total)
        sb_printf(&sb, " %.0f%%", 100.0 * (double)b->done / (double)b->total);
    /* Never wider than the terminal: a wrapped line could not be redrawn. */
    size_t width = columns(b->fd) - 1, len = sb.len - 1;
    if (len > width) {
        sb.len = width + 1;
        sb.buf[sb.len] = 0;
        len = width;
    }
    for (size_t i = len; i < b->shown; i++)
        sb_adds(&sb, " ");
    write_all(b->fd, sb.buf, sb.len);
    b->shown = len > b->shown ? len : b->shown;
    sb_free(&sb);
}

void ls_bar_progress(void *arg, enum ls_stage stage, uint64_t done, uint64_t total)
{
    struct ls_bar *b = arg;
    b->stage = stage;
    b->done = done;
    b->total = total;
    if (b->fd < 0)
        return;
    uint64_t t = now_ns();
    if (t - b->t0_ns < b->delay_ns || (b->last_ns && t - b->last_ns < BAR_PERIOD_NS))
        return;
    b->last_ns = t;
    draw(b);
}

void ls_bar_end(struct ls_bar *b)
{
    erase(b);
    if (b->fd >= 0)
        ls_set_message_hook(NULL, NULL);
    b->fd = -1;
}
