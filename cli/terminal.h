/*
 * What the command does differently on a terminal: colours in the text
 * report, and a progress line while it analyzes.  Neither ever reaches a
 * file or a pipe, and neither is known below the command: the analyzer
 * only reports its progress (analyzer/progress.h).
 */
#ifndef LS_TERMINAL_H
#define LS_TERMINAL_H

#include <stddef.h>
#include <stdint.h>

#include "progress.h"

/* Whether to colour what goes to fd, for --color=mode ("auto", "always",
 * "never"; NULL is auto).  auto: only on a terminal, not with NO_COLOR set
 * (to anything but ""), not when TERM is unset or "dumb".  always wins
 * over NO_COLOR (a flag given for this one run). */
int ls_term_color(const char *mode, int fd);
/* 1 if mode is one of the three, else 0. */
int ls_term_color_mode_ok(const char *mode);

/* The progress line on stderr: shown only when stderr is a terminal (and
 * TERM is not "dumb"), only once the analysis has lasted longer than half
 * a second, redrawn in place at most ten times a second, one line however
 * many traces there are, and erased when the analysis ends or before any
 * other message.  It uses only carriage returns and spaces: no escape
 * codes. */
struct ls_bar {
    int fd;                   /* -1: not drawing */
    uint64_t t0_ns, last_ns;  /* start of the analysis; the last drawing */
    uint64_t delay_ns;        /* no line before this much time has passed */
    size_t ntraces, trace;    /* trace: the one being analyzed, from 1 */
    uint64_t total_bytes, bytes_before, trace_bytes;
    enum ls_stage stage;
    uint64_t done, total;
    size_t shown;             /* characters of the line on screen, 0 if none */
};

void ls_bar_start(struct ls_bar *b, size_t ntraces, uint64_t total_bytes);
/* Trace i (from 0) of bytes bytes is next. */
void ls_bar_trace(struct ls_bar *b, size_t i, uint64_t bytes);
/* The analyzer's progress callback (arg: the bar). */
void ls_bar_progress(void *arg, enum ls_stage stage, uint64_t done, uint64_t total);
/* Erases the line and stops drawing. */
void ls_bar_end(struct ls_bar *b);

#endif
