/*
 * Renderers: each formats the analyzer's findings, nothing more.
 */
#ifndef LS_REPORTS_H
#define LS_REPORTS_H

#include <stdio.h>

#include "findings.h"

/* The terminal report: a ThreadSanitizer-style block per finding, then a
 * one-line total. */
void ls_report_text(FILE *out, const struct ls_report *r);
/* The JSON report (schema: docs/json-report.md). */
void ls_report_json(FILE *out, const struct ls_report *r);

#endif
