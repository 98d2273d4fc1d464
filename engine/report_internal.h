/*
 * What the parts of report.html share (private to the engine): the page
 * state, the growing strings path data is built in, the colours and
 * sizes, and the helpers each part calls: report_html.c (text and number
 * helpers), report_map.c (the maps), report_chart.c (the funnel plots and
 * difference charts), report.c (the tables, the profiles and the page),
 * report_progress.c (progress.html).
 */
#ifndef LOCALITIES_REPORT_INTERNAL_H
#define LOCALITIES_REPORT_INTERNAL_H

#include "localities/writers.h"
#include "internal.h"
#include "writers_internal.h"

#include <stdio.h>

#define MAP_W 460.0        /* map width in pixels */
#define MAP_MAX_H 520.0    /* map height limit in pixels */
#define PLOT_W 560.0       /* funnel plot size */
#define PLOT_H 340.0
#define NCLASS 7           /* sequential colour classes */

/* Sequential scale, light to dark (ColorBrewer YlGnBu, 7 classes). */
extern const char *const rep_seq_colours[NCLASS];
#define FLAG_ON "#d7301f"
#define FLAG_OFF "#d9d9d9"
#define NO_DATA "#ffffff"

/* State for one report. */
typedef struct rep {
    loc_ctx *ctx;
    FILE *f;                     /* temporary file being written */
    const loc_dissolved *d;
    const loc_attrs *a;
    const loc_report_opts *o;
    long flag_col, value_col;    /* attrs columns, -1 when none */
    double breaks[NCLASS + 1];   /* value_column class limits: quantiles over all localities, NaN when none */
    GEOSGeometry **simple;       /* per locality, simplified for the current map, owned */
    long reason_col;             /* attrs column of the reason, -1 when none */
    long *group;                 /* per locality: the number of its council's map, -1 when not drawn */
    double (*bb)[4];             /* per locality: its box on its council's map, pixels (x0, y0, x1, y1) */
    double (*lpt)[2];            /* per locality: its label's point, metres, once found */
    signed char *lpt_state;      /* per locality: 0 not yet sought, 1 found, -1 GEOS gave none */
    double (*gsize)[2];          /* per council map: width and height of the map proper, pixels */
    size_t ngroups;
    long (*flag_cols)[2];        /* per profile indicator: its flag columns against the rest of the
                                  * council and Scotland (-1 when none), found once, not per locality */
} rep;

/* A growing string from the context's allocator, for path data that is
 * written twice (the council map and the locality's profile). */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;
/* qsort order of doubles, ascending. */
int rep_cmp_double(const void *a, const void *b);
/* Locality k's council name ("several councils" when it spans more). */
const char *rep_council_name(const rep *r, size_t k);
/* s HTML-escaped (& < > " '); NULL writes nothing. */
void rep_esc(FILE *f, const char *s);
/* 1 when locality k's flag column is set (not null, not 0). */
int rep_flagged(const rep *r, size_t k);
/* v rounded to a whole number, with thousands separators. */
void rep_grouped(FILE *f, double v);
/* A number for people: whole numbers and those of 1,000 or more grouped
 * by thousands, under 1,000 one decimal (10 and up) or 3 significant
 * digits, an en dash for NaN. */
void rep_num(FILE *f, double v);
/* s's characters for inside a JSON string in a <script> element (< > &
 * and control characters as \u escapes). */
void rep_json_text(FILE *f, const char *s);
/* One SVG path command at a point given in tenths of a pixel. */
void rep_sb_point(rep *r, sbuf *b, char cmd, long qx, long qy);
/* Append n bytes to a growing string; a failure is remembered in
 * b->failed. */
void rep_sb_put(rep *r, sbuf *b, const char *s, size_t n);
/* The value column's class limits: quantiles over all localities. */
loc_status rep_value_breaks(rep *r);
/* The colour class of v: the last class whose lower limit it reaches
 * (-1: no data). */
int rep_value_class(const rep *r, double v);
/* Locality k's value in the value column, times value_scale (NaN none). */
double rep_value_of(const rep *r, size_t k);
/* The maps section: per council, by flag and by value (report_map.c). */
loc_status rep_put_maps(rep *r);
/* One indicator's funnel plot and difference chart (report_chart.c). */
loc_status rep_put_funnel(rep *r, const loc_funnel *fu, size_t id);
/* A locality's anchor, "p-" and its code (report.c). */
void rep_put_anchor(rep *r, size_t k);
/* "poorer" (fl > 0), "better" (fl < 0) or "" (report.c). */
const char *rep_flag_word(int fl);

/* The report's style sheet (report.c), which progress.html shares. */
extern const char rep_style_sheet[];

#endif
