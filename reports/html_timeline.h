/*
 * The HTML report's timeline of a finding (report_html_timeline.c): inline
 * SVG, a row per thread involved, its lock holds and waits around the
 * finding's moment, the moment marked and the locks named.
 */
#ifndef LS_HTML_TIMELINE_H
#define LS_HTML_TIMELINE_H

#include <stdio.h>

#include "findings.h"

/* Writes <figure class="timeline" id="tl-ID"> for finding f, or nothing
 * when its process recorded no timeline or its moment is unknown. */
void ls_html_timeline(FILE *out, const struct ls_report *r, const struct ls_finding *f);

#endif
