/*
 * The HTML reports: report.html for a run (maps, funnel plots, tables,
 * a profile per locality) and progress.html for a batch.  Plain HTML with
 * inline SVG, an inline style sheet and one small inline script (zoom, the
 * indicator selector, SVG downloads; the page is whole without it): no
 * fonts, images or scripts to fetch, so it opens anywhere, offline.  Map
 * coordinates are British National Grid metres shifted to the map's
 * corner and scaled to the SVG's pixels, with paths simplified to about
 * half a pixel so that a council of many localities stays small.
 */
#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"
#include "writers_internal.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* =====================================================================
 * HTML report
 * ===================================================================== */

#define MAP_W 460.0        /* map width in pixels */
#define MAP_MAX_H 520.0    /* map height limit in pixels */
#define PLOT_W 560.0       /* funnel plot size */
#define PLOT_H 340.0
#define NCLASS 7           /* sequential colour classes */

/* Sequential scale, light to dark (ColorBrewer YlGnBu, 7 classes). */
static const char *const seq_colours[NCLASS] = {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4",
                                                "#1d91c0", "#225ea8", "#0c2c84"};
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

static void sb_printf(rep *r, sbuf *b, const char *fmt, ...) LOC_PRINTF(3, 4);
static void sb_printf(rep *r, sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (int tries = 0; tries < 2; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *ns = loc_realloc(r->ctx, b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* Append n bytes. */
static void sb_put(rep *r, sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n >= b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + n)
            cap *= 2;
        char *ns = loc_realloc(r->ctx, b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* q tenths as "%.1f" prints q / 10.0 (the same text: a double that near
 * a tenth rounds back to it), at p; returns the end.  The maps write
 * hundreds of thousands of these, and printf's general path is most of
 * the report's time. */
static char *put_tenths(char *p, long q)
{
    char digits[24];
    size_t n = 0;
    unsigned long u = q < 0 ? 0UL - (unsigned long)q : (unsigned long)q;
    if (q < 0)
        *p++ = '-';
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n == 1)
        digits[n++] = '0'; /* the units digit of 0.x */
    while (n > 1)
        *p++ = digits[--n];
    *p++ = '.';
    *p++ = digits[0];
    return p;
}

/* One path point, cmd ('M' or 'L') then x and y in tenths of a pixel, as
 * "%c%.1f %.1f" writes it. */
static void sb_point(rep *r, sbuf *b, char cmd, long qx, long qy)
{
    char buf[64], *p = buf;
    *p++ = cmd;
    p = put_tenths(p, qx);
    *p++ = ' ';
    p = put_tenths(p, qy);
    sb_put(r, b, buf, (size_t)(p - buf));
}

/* Text with &, <, >, " and ' escaped, so any string is safe in element
 * content and in quoted attributes alike. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Text inside a JSON string inside a <script> element: quotes,
 * backslashes and control characters escaped, and '<' as \u003c so that
 * no "</script>" can end the element early. */
static void put_json_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* A whole number with its thousands grouped by commas (as the report's
 * readers write them; no locale involved). */
static void grouped(FILE *f, double v)
{
    char d[64];
    int n = snprintf(d, sizeof d, "%.0f", fabs(v));
    if (n <= 0 || n >= (int)sizeof d) {
        fprintf(f, "%.0f", v);
        return;
    }
    if (v < 0 && strcmp(d, "0") != 0)
        fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            fputc(',', f);
        fputc(d[i], f);
    }
}

/* A number for people: whole numbers grouped by thousands, and fixed
 * decimals that depend only on the size. */
static void num(FILE *f, double v)
{
    if (isnan(v))
        fputs("&ndash;", f);
    else if (fabs(v) >= 1000 || v == floor(v))
        grouped(f, v);
    else if (fabs(v) >= 10)
        fprintf(f, "%.1f", v);
    else
        fprintf(f, "%.3g", v);
}

static const char *council_name(const rep *r, size_t k)
{
    int32_t c = loc_partition_council(r->d->p, k);
    return c >= 0 ? loc_zones_council_name(loc_partition_zones(r->d->p), (size_t)c) : "several councils";
}

static double value_of(const rep *r, size_t k)
{
    if (r->value_col < 0)
        return NAN;
    return loc_attrs_real(r->a, (size_t)r->value_col, k) * (r->o->value_scale ? r->o->value_scale : 1);
}

static int flagged(const rep *r, size_t k)
{
    return r->flag_col >= 0 && !loc_attrs_is_null(r->a, (size_t)r->flag_col, k) &&
           loc_attrs_int(r->a, (size_t)r->flag_col, k) != 0;
}

/* The class of v: the last class whose lower limit it reaches. */
static int value_class(const rep *r, double v)
{
    if (isnan(v) || isnan(r->breaks[0]))
        return -1;
    int c = 0;
    while (c + 1 < NCLASS && v >= r->breaks[c + 1])
        c++;
    return c;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile classes: indicator values are skewed (most localities near
 * the middle, a few far out), and equal-interval classes would paint
 * nearly every locality one colour.  Each class holds about 1/NCLASS of
 * the localities, so neighbouring colours always mean a real ranking. */
static loc_status value_breaks(rep *r)
{
    size_t m = 0, n = r->d->n;
    for (int c = 0; c <= NCLASS; c++)
        r->breaks[c] = NAN;
    if (r->value_col < 0)
        return LOC_OK;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        double x = value_of(r, k);
        if (!isnan(x))
            v[m++] = x;
    }
    if (m) {
        qsort(v, m, sizeof *v, cmp_double);
        for (int c = 0; c <= NCLASS; c++)
            r->breaks[c] = v[(size_t)c * (m - 1) / NCLASS];
    }
    loc_free(r->ctx, v);
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Maps
 * --------------------------------------------------------------------- */

/* Map frame: BNG metres to pixels. */
typedef struct frame {
    double x0, y1;   /* west and north edges, metres */
    double s;        /* pixels per metre */
    double w, h;     /* pixels */
} frame;

/* One ring as a closed subpath, dropping points that round onto the
 * previous one. */
static loc_status put_ring(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *ring)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_lib_msg(r->ctx));
    long px = 0, py = 0;
    for (unsigned i = 0; i + 1 < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_lib_msg(r->ctx));
        /* tenths of a pixel: sharp at any zoom, short to write */
        long qx = lround((x - fr->x0) * fr->s * 10), qy = lround((fr->y1 - y) * fr->s * 10);
        if (i && qx == px && qy == py)
            continue;
        sb_point(r, b, i ? 'L' : 'M', qx, qy);
        px = qx;
        py = qy;
    }
    sb_printf(r, b, "Z");
    return b->failed ? LOC_ENOMEM : LOC_OK;
}

static loc_status put_polygon(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *pg)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    if (GEOSisEmpty_r(h, pg) == 1)
        return LOC_OK;
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(h, pg);
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    if (!ext || nh < 0)
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a polygon: %s", loc_lib_msg(r->ctx));
    loc_status st = put_ring(r, b, fr, ext);
    for (int i = 0; i < nh && !st; i++) {
        const GEOSGeometry *hole = GEOSGetInteriorRingN_r(h, pg, i);
        st = hole ? put_ring(r, b, fr, hole) : LOC_EGEOM;
    }
    return st;
}

/* A locality's path data (polygons, or the parts of a multipolygon). */
static loc_status put_geometry(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON)
        return put_polygon(r, b, fr, g);
    int n = GEOSGetNumGeometries_r(h, g);
    loc_status st = n < 0 ? LOC_EGEOM : LOC_OK;
    for (int i = 0; i < n && !st; i++) {
        const GEOSGeometry *pg = GEOSGetGeometryN_r(h, g, i);
        st = pg ? put_polygon(r, b, fr, pg) : LOC_EGEOM;
    }
    return st;
}

/* A label's place: a point inside the locality (GEOS point on surface),
 * in map pixels.  0 when GEOS cannot give one. */
static int label_point(rep *r, const frame *fr, size_t k, double *x, double *y)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    GEOSGeometry *pt = GEOSPointOnSurface_r(h, r->d->geoms[k]);
    int ok = pt && GEOSisEmpty_r(h, pt) == 0 && GEOSGeomGetX_r(h, pt, x) && GEOSGeomGetY_r(h, pt, y);
    if (pt)
        GEOSGeom_destroy_r(h, pt);
    if (!ok)
        return 0;
    *x = (*x - fr->x0) * fr->s;
    *y = (fr->y1 - *y) * fr->s;
    return 1;
}

static double credits_h(const rep *r);

/* A scale bar of a round length near a fifth of the map's width, and the
 * attribution lines, under the map at y. */
static void put_scale_and_credits(rep *r, const frame *fr, double y)
{
    FILE *f = r->f;
    double want = fr->w / 5 / fr->s, p = pow(10, floor(log10(want))), m = want / p;
    double len = p * (m < 2 ? 1 : m < 5 ? 2 : 5), px = len * fr->s;
    /* on a white strip: in a close-up the map runs on beneath it */
    fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#fff\"/>", y - 2, fr->w, credits_h(r) + 2);
    fprintf(f, "<g class=\"scale\"><path d=\"M6 %.1fv4h%.1fv-4\"/><text x=\"%.1f\" y=\"%.1f\">", y + 2, px,
            10 + px, y + 7);
    if (len >= 1000)
        fprintf(f, "%g km", len / 1000);
    else
        fprintf(f, "%g m", len);
    fputs("</text></g>\n", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        fprintf(f, "<text class=\"credit\" x=\"6\" y=\"%.1f\">", y + 19 + 9 * (double)i);
        esc(f, r->o->attribution[i]);
        fputs("</text>\n", f);
    }
}

/* Frame and simplified geometries for the localities in list. */
static loc_status prepare_map(rep *r, const size_t *list, size_t n, frame *fr)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *g = r->d->geoms[list[i]];
        double a, b, c, e;
        if (GEOSisEmpty_r(h, g) == 1)
            continue;
        if (!GEOSGeom_getXMin_r(h, g, &a) || !GEOSGeom_getYMin_r(h, g, &b) || !GEOSGeom_getXMax_r(h, g, &c) ||
            !GEOSGeom_getYMax_r(h, g, &e))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot measure a locality: %s", loc_lib_msg(r->ctx));
        x0 = fmin(x0, a);
        y0 = fmin(y0, b);
        x1 = fmax(x1, c);
        y1 = fmax(y1, e);
    }
    if (!(x1 > x0) || !(y1 > y0)) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    double pad = 0.02 * fmax(x1 - x0, y1 - y0);
    x0 -= pad;
    y0 -= pad;
    x1 += pad;
    y1 += pad;
    fr->s = fmin(MAP_W / (x1 - x0), MAP_MAX_H / (y1 - y0));
    fr->x0 = x0;
    fr->y1 = y1;
    fr->w = ceil((x1 - x0) * fr->s);
    fr->h = ceil((y1 - y0) * fr->s);
    /* half a pixel: finer detail is invisible and only makes the file big */
    double tol = 0.5 / fr->s;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i];
        loc_lib_clear(r->ctx);
        if (!(r->simple[k] = GEOSTopologyPreserveSimplify_r(h, r->d->geoms[k], tol)))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot simplify locality '%s': %s",
                             loc_partition_code(r->d->p, k), loc_lib_msg(r->ctx));
    }
    return LOC_OK;
}

static void release_map(rep *r, const size_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r->simple[list[i]]) {
            GEOSGeom_destroy_r(loc_geos(r->ctx), r->simple[list[i]]);
            r->simple[list[i]] = NULL;
        }
}

/* The height under a map for its scale bar and attribution lines. */
static double credits_h(const rep *r) { return 14 + 9 * (double)r->o->nattribution; }

/* One map: by flag (by_value 0) or by value class.  The flag map's paths
 * sit in a group named after the council's map, so that each locality's
 * profile can show the same map with the locality picked out; flagged
 * localities are labelled, the others carry labels shown only when the
 * reader zooms in. */
static loc_status put_map(rep *r, const size_t *list, size_t n, const frame *fr, int by_value, const char *label,
                          long grp)
{
    FILE *f = r->f;
    loc_status st = LOC_OK;
    double hh = fr->h + credits_h(r);
    fprintf(f, "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\" aria-label=\"", fr->w, hh, fr->w, hh);
    esc(f, label);
    fputs("\">\n", f);
    if (!by_value)
        fprintf(f, "<g id=\"cm-%ld\">\n", grp);
    for (size_t i = 0; i < n && !st; i++) {
        size_t k = list[i];
        const char *fill;
        if (by_value) {
            int c = value_class(r, value_of(r, k));
            fill = c < 0 ? NO_DATA : seq_colours[c];
        } else {
            fill = flagged(r, k) ? FLAG_ON : FLAG_OFF;
        }
        sbuf b = {0};
        st = put_geometry(r, &b, fr, r->simple[k]);
        if (!st && b.failed)
            st = LOC_ENOMEM;
        if (st) {
            loc_free(r->ctx, b.s);
            break;
        }
        if (by_value)
            fprintf(f, "<path data-k=\"%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        else
            fprintf(f, "<path id=\"lp-%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        esc(f, loc_partition_code(r->d->p, k));
        fputc(' ', f);
        esc(f, loc_partition_name(r->d->p, k));
        if (by_value) {
            fputs(": ", f);
            num(f, value_of(r, k));
        } else if (r->flag_col >= 0) {
            fputs(flagged(r, k) ? ": flagged" : ": not flagged", f);
        }
        fputs("</title></path>\n", f);
        if (!by_value && r->group) {
            r->group[k] = grp; /* the profile shows this map */
            GEOSContextHandle_t h = loc_geos(r->ctx);
            double a, b2, c2, e;
            if (GEOSGeom_getXMin_r(h, r->simple[k], &a) && GEOSGeom_getYMin_r(h, r->simple[k], &b2) &&
                GEOSGeom_getXMax_r(h, r->simple[k], &c2) && GEOSGeom_getYMax_r(h, r->simple[k], &e)) {
                r->bb[k][0] = (a - fr->x0) * fr->s;
                r->bb[k][1] = (fr->y1 - e) * fr->s;
                r->bb[k][2] = (c2 - fr->x0) * fr->s;
                r->bb[k][3] = (fr->y1 - b2) * fr->s;
            }
        }
        loc_free(r->ctx, b.s);
    }
    if (!by_value)
        fputs("</g>\n", f);
    /* labels over the shapes: the flagged where they do not overlap one
     * already placed (greedy, in list order), every other one only on
     * zooming in, when there is room */
    double (*placed)[4] = by_value ? NULL : loc_malloc(r->ctx, (n ? n : 1) * sizeof *placed);
    size_t np = 0;
    for (size_t i = 0; i < n && !st && !by_value; i++) {
        size_t k = list[i];
        double x, y;
        if (!label_point(r, fr, k, &x, &y))
            continue;
        const char *name =
            loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k);
        int show = flagged(r, k) && placed;
        /* about 5.5 pixels a character at 10 px, centred; 11 px high */
        double hw = 2.75 * (double)strlen(name), box[4] = {x - hw, y - 10, x + hw, y + 2};
        for (size_t q = 0; q < np && show; q++)
            show = box[2] < placed[q][0] || box[0] > placed[q][2] || box[3] < placed[q][1] || box[1] > placed[q][3];
        if (show)
            memcpy(placed[np++], box, sizeof box);
        fprintf(f, "<text class=\"lb%s\" x=\"%.0f\" y=\"%.0f\">", show ? "" : " o", x, y);
        esc(f, name);
        fputs("</text>\n", f);
    }
    loc_free(r->ctx, placed);
    put_scale_and_credits(r, fr, fr->h + 2);
    fputs("</svg>\n", f);
    return st;
}

static void put_legends(rep *r, int by_value)
{
    FILE *f = r->f;
    fputs(by_value ? "<div class=\"legend vl\">" : "<div class=\"legend\">", f);
    if (!by_value && r->flag_col < 0) {
        fprintf(f, "<span><i style=\"background:%s\"></i>locality</span>", FLAG_OFF);
    } else if (!by_value) {
        fprintf(f, "<span><i style=\"background:%s\"></i>", FLAG_ON);
        esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        fprintf(f, "</span><span><i style=\"background:%s\"></i>not flagged</span>", FLAG_OFF);
    } else {
        fputs("<b>", f);
        esc(f, r->o->value_label ? r->o->value_label : loc_attrs_name(r->a, (size_t)r->value_col));
        /* the title on a line of its own, the classes below it */
        fprintf(f, "</b> (%d classes of about equal numbers of localities, all councils)<br>", NCLASS);
        for (int c = 0; c < NCLASS && !isnan(r->breaks[0]); c++) {
            /* classes emptied by tied values are left out of the legend */
            if (c > 0 && c + 1 < NCLASS && r->breaks[c] == r->breaks[c + 1])
                continue;
            fprintf(f, "<span><i style=\"background:%s\"></i>", seq_colours[c]);
            num(f, r->breaks[c]);
            fputs("&ndash;", f);
            num(f, r->breaks[c + 1]);
            fputs("</span>", f);
        }
        fprintf(f, "<span><i style=\"background:%s\"></i>no value</span>", NO_DATA);
    }
    fputs("</div>\n", f);
}

/* A close-up of the council's densest part, for print: where its
 * smallest localities (a third of them, at least two, and the flagged
 * ones among them) would be specks on the whole map, the same map again by
 * reference with a zoomed view box, every locality labelled, its own
 * scale bar and the attribution.  Costs labels only: the shapes are the
 * council map's. */
static void put_inset(rep *r, const size_t *list, size_t n, const frame *fr, long grp)
{
    if (n < 4)
        return;
    double *areas = loc_malloc(r->ctx, n * sizeof *areas);
    if (!areas)
        return;
    for (size_t i = 0; i < n; i++)
        areas[i] = r->d->area[list[i]];
    qsort(areas, n, sizeof *areas, cmp_double);
    double cut = areas[n / 3];
    loc_free(r->ctx, areas);
    /* the densest cluster of small localities: the small one with most
     * small ones within a sixth of the map's width, and those around it */
    double rad = fmax(fr->w, fr->h) / 6;
    size_t best = (size_t)-1, bestn = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i], c = 0;
        if (r->d->area[k] > cut || r->group[k] != grp)
            continue;
        double kx = (r->bb[k][0] + r->bb[k][2]) / 2, ky = (r->bb[k][1] + r->bb[k][3]) / 2;
        for (size_t j = 0; j < n; j++) {
            size_t q = list[j];
            if (r->d->area[q] > cut || r->group[q] != grp)
                continue;
            double qx = (r->bb[q][0] + r->bb[q][2]) / 2, qy = (r->bb[q][1] + r->bb[q][3]) / 2;
            c += hypot(qx - kx, qy - ky) <= rad;
        }
        if (c > bestn) {
            bestn = c;
            best = k;
        }
    }
    if (best == (size_t)-1)
        return;
    double bx = (r->bb[best][0] + r->bb[best][2]) / 2, by = (r->bb[best][1] + r->bb[best][3]) / 2;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    size_t in = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i];
        if (r->d->area[k] > cut || r->group[k] != grp)
            continue;
        if (hypot((r->bb[k][0] + r->bb[k][2]) / 2 - bx, (r->bb[k][1] + r->bb[k][3]) / 2 - by) > rad)
            continue;
        x0 = fmin(x0, r->bb[k][0]);
        y0 = fmin(y0, r->bb[k][1]);
        x1 = fmax(x1, r->bb[k][2]);
        y1 = fmax(y1, r->bb[k][3]);
        in++;
    }
    if (in < 3 || !(x1 > x0) || !(y1 > y0))
        return;
    /* worth it only when the area is small on the whole map */
    double w = x1 - x0, h = y1 - y0;
    if (w > 0.45 * fr->w || h > 0.45 * fr->h)
        return;
    double pad = 0.15 * fmax(w, h);
    x0 -= pad;
    y0 -= pad;
    w += 2 * pad;
    h += 2 * pad;
    /* the map's own shape, so the inset sits beside it at the same size */
    if (w / h < fr->w / fr->h) {
        double nw = h * fr->w / fr->h;
        x0 -= (nw - w) / 2;
        w = nw;
    } else {
        double nh = w * fr->h / fr->w;
        y0 -= (nh - h) / 2;
        h = nh;
    }
    double zoom = fr->w / w, lb = 10 / zoom;
    FILE *f = r->f;
    fputs("<figure>", f);
    fprintf(f, "<svg class=\"map inset\" viewBox=\"%.1f %.1f %.1f %.1f\" width=\"%.0f\" height=\"%.0f\" "
               "style=\"--lb:%.2fpx\" role=\"img\" aria-label=\"close-up of the densest localities\">"
               "<use href=\"#cm-%ld\" stroke=\"#555\" stroke-width=\"%.3f\"/>\n",
            x0, y0, w, h + credits_h(r) / zoom, fr->w, fr->h + credits_h(r), lb, grp, 0.8 / zoom);
    /* names where they fit: the flagged first, then the others, each
     * skipped when it would overlap one placed (all are named on hover) */
    double (*placed)[4] = loc_malloc(r->ctx, n * sizeof *placed);
    size_t np = 0;
    for (int pass = 0; pass < 2 && placed; pass++)
        for (size_t i = 0; i < n; i++) {
            size_t k = list[i];
            double x, y;
            if ((flagged(r, k) != 0) != (pass == 0) || r->group[k] != grp || !label_point(r, fr, k, &x, &y) ||
                x < x0 || x > x0 + w || y < y0 || y > y0 + h)
                continue;
            const char *name =
                loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k);
            double hw = 2.75 * (double)strlen(name) / zoom, box[4] = {x - hw, y - 10 / zoom, x + hw, y + 2 / zoom};
            int fits = 1;
            for (size_t q = 0; q < np && fits; q++)
                fits = box[2] < placed[q][0] || box[0] > placed[q][2] || box[3] < placed[q][1] || box[1] > placed[q][3];
            if (!fits)
                continue;
            memcpy(placed[np++], box, sizeof box);
            fprintf(f, "<text class=\"lb\" x=\"%.1f\" y=\"%.1f\">", x, y);
            esc(f, name);
            fputs("</text>\n", f);
        }
    loc_free(r->ctx, placed);
    /* scale bar and credits in the zoomed frame's own units */
    frame z = {fr->x0 + x0 / fr->s, fr->y1 - y0 / fr->s, fr->s * zoom, fr->w, fr->h};
    fprintf(f, "<g transform=\"translate(%.2f %.2f) scale(%.5f)\">", x0, y0, 1 / zoom);
    put_scale_and_credits(r, &z, fr->h + 2);
    fputs("</g></svg>\n<div class=\"legend\">Close-up of the densest part of the council, the localities named where "
          "the names fit"
          "</div></figure>\n", f);
}

/* Per council (and one group for localities spanning councils), its maps. */
static loc_status put_maps(rep *r)
{
    const loc_zones *z = loc_partition_zones(r->d->p);
    size_t nc = loc_zones_ncouncils(z), n = r->d->n;
    size_t *list = loc_malloc(r->ctx, (n ? n : 1) * sizeof *list);
    loc_status st = LOC_OK;
    if (!list)
        return LOC_ENOMEM;
    if (r->flag_col < 0 && r->value_col < 0)
        fputs("<p>No flag or indicator column was chosen; the maps show the localities only.</p>\n", r->f);
    for (long c = 0; c <= (long)nc && !st; c++) {
        /* c == nc: localities spanning councils, or with none */
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            int32_t kc = loc_partition_council(r->d->p, k);
            if ((c < (long)nc && kc == c) || (c == (long)nc && kc < 0))
                list[m++] = k;
        }
        if (!m)
            continue;
        frame fr;
        if ((st = prepare_map(r, list, m, &fr)))
            break;
        if (r->gsize && (size_t)c < r->ngroups) {
            r->gsize[c][0] = fr.w;
            r->gsize[c][1] = fr.h;
        }
        fputs("<section class=\"council\"><h3>", r->f);
        if (c < (long)nc) {
            esc(r->f, loc_zones_council_name(z, (size_t)c));
            fputs(" <small>", r->f);
            esc(r->f, loc_zones_council_code(z, (size_t)c));
            fputs("</small>", r->f);
        } else {
            fputs("Localities spanning councils", r->f);
        }
        fprintf(r->f, " <small>(%zu localit%s)</small></h3>\n<div class=\"maps\">\n", m, m == 1 ? "y" : "ies");
        if (r->flag_col >= 0 || r->value_col < 0) {
            fputs("<figure>", r->f);
            st = put_map(r, list, m, &fr, 0, "localities by flag", c);
            put_legends(r, 0);
            fputs("</figure>\n", r->f);
        }
        if (!st && r->value_col >= 0) {
            fputs("<figure>", r->f);
            st = put_map(r, list, m, &fr, 1, "localities by indicator", c);
            put_legends(r, 1);
            fputs("</figure>\n", r->f);
        }
        if (!st && (r->flag_col >= 0 || r->value_col < 0))
            put_inset(r, list, m, &fr, c);
        fputs("</div></section>\n", r->f);
        release_map(r, list, m);
    }
    loc_free(r->ctx, list);
    return st;
}

/* ---------------------------------------------------------------------
 * Funnel plots
 * --------------------------------------------------------------------- */

/* A round step near span / 5 for axis ticks. */
static double nice_step(double span)
{
    if (!(span > 0))
        return 1;
    double raw = span / 5, p = pow(10, floor(log10(raw))), m = raw / p;
    return p * (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10);
}

/* A point's class from its flag. */
static const char *flag_class(int flag)
{
    return flag == LOC_FLAG_POORER ? "worse" : flag == LOC_FLAG_BETTER ? "better" : "";
}

static int cmp_double_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The y range of a chart: the 2nd to the 98th percentile of the points,
 * widened to the other values that must show (limits, centre), so that a
 * single extreme point does not flatten the rest; points beyond are drawn
 * on the edge and named under the chart. */
static void y_range(rep *r, const double *v, size_t n, double *lo, double *hi)
{
    double *s = loc_malloc(r->ctx, (n ? n : 1) * sizeof *s);
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k]))
            (s ? (void)(s[m] = v[k]) : (void)0), m++;
    if (!s || !m) {
        loc_free(r->ctx, s);
        return;
    }
    qsort(s, m, sizeof *s, cmp_double_asc);
    size_t a = m >= 50 ? m / 50 : 0, b = m >= 50 ? m - 1 - m / 50 : m - 1;
    *lo = fmin(*lo, s[a]);
    *hi = fmax(*hi, s[b]);
    loc_free(r->ctx, s);
}

/* Axes and frame of a chart; the y ticks in shown units. */
typedef struct chart {
    double L, R, T, B, W, H;  /* margins and plot size */
    double xmax, ymin, ymax;  /* data range */
} chart;

static double cx(const chart *c, double x) { return c->L + x / c->xmax * c->W; }
static double cy(const chart *c, double y)
{
    double v = c->T + (c->ymax - y) / (c->ymax - c->ymin) * c->H;
    return fmin(fmax(v, c->T), c->T + c->H);
}

static void put_frame(rep *r, const chart *c, size_t id, const char *xlabel, const char *unit, const char *alt)
{
    FILE *f = r->f;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"", PLOT_W,
            PLOT_H, PLOT_W, PLOT_H);
    esc(f, alt);
    fputs("\">\n", f);
    fprintf(f, "<defs><clipPath id=\"clip%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n",
            id, c->L, c->T, c->W, c->H);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", c->L,
            c->T, c->W, c->H);
    double ys = nice_step(c->ymax - c->ymin);
    /* ticks from whole multiples of the step, so that labels never show
     * accumulated rounding (14.999...) */
    int ydec = (int)fmax(0, -floor(log10(ys) + 1e-9));
    for (long i = (long)ceil(c->ymin / ys - 1e-9); (double)i * ys <= c->ymax + 1e-12; i++) {
        double v = (double)i * ys;
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">", c->L, c->L + c->W, cy(c, v),
                cy(c, v), c->L - 4, cy(c, v) + 4);
        fprintf(f, "%.*f</text>\n", ydec, fabs(v) < 1e-12 ? 0 : v);
    }
    double xs = nice_step(c->xmax);
    for (long i = 0; (double)i * xs <= c->xmax + 1e-9; i++) {
        double m = (double)i * xs;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">", cx(c, m), c->T + c->H + 16);
        num(f, m);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">", c->L + c->W / 2, PLOT_H - 6);
    esc(f, xlabel);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">", 4.0, c->T - 8);
    esc(f, alt);
    if (unit && *unit) {
        fputs(" (", f);
        esc(f, unit[0] == ' ' ? unit + 1 : unit);
        fputc(')', f);
    }
    fputs("</text>\n", f);
}

/* One point: a circle with its locality and value as a tooltip, marked
 * off-scale when clipped to the frame. */
static void put_point(rep *r, const chart *c, size_t k, double x, double y, const char *cls, const char *unit,
                      int named)
{
    FILE *f = r->f;
    int off = y > c->ymax || y < c->ymin;
    if (!named && !*cls && !off) {
        /* the council chart's unflagged points: named on the Scotland
         * chart beside it, so a big report stays small */
        fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"/>\n", cx(c, x), cy(c, y));
        return;
    }
    /* kept short (the radius is in the style sheet): a report of all
     * Scotland draws some 44,000 of them */
    /* the unflagged, the most, take their colour from the style sheet */
    if (*cls || off)
        fprintf(f, "<circle class=\"%s%s\" cx=\"%.0f\" cy=\"%.0f\"><title>", cls, off ? " off" : "", cx(c, x),
                cy(c, y));
    else
        fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"><title>", cx(c, x), cy(c, y));
    esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
    fputs(": ", f);
    num(f, y);
    esc(f, unit);
    fputs("</title></circle>\n", f);
}

/* Points beyond the frame, named under the chart. */
static void put_off_scale(rep *r, const double *v, const double *x, const int *flag, size_t n, const chart *c,
                          const char *unit)
{
    FILE *f = r->f;
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        if (flag[k] == LOC_FLAG_UNRELIABLE || !isfinite(v[k]) || !(x[k] > 0) || (v[k] <= c->ymax && v[k] >= c->ymin))
            continue;
        fputs(any ? "; " : "<p class=\"off\">Off the scale, drawn on its edge: ", f);
        esc(f, loc_partition_name(r->d->p, k));
        fputs(" (", f);
        esc(f, loc_partition_code(r->d->p, k));
        fputs(") ", f);
        num(f, v[k]);
        esc(f, unit);
        any = 1;
    }
    if (any)
        fputs("</p>\n", f);
}

static void put_legend(rep *r, const loc_funnel *fu, int rest)
{
    FILE *f = r->f;
    fputs("<div class=\"legend\">", f);
    if (rest)
        fputs("<span><i class=\"band\"></i>the locality's decision limit</span>", f);
    else {
        fputs("<span><i class=\"ln\" style=\"border-color:#333\"></i>Scotland ", f);
        num(f, fu->national);
        esc(f, fu->unit);
        fputs("</span><span><i class=\"ln\" style=\"border-color:#b2182b\"></i>decision limits</span>", f);
    }
    fputs("<span><i class=\"dot worse\"></i>significantly poorer</span>"
          "<span><i class=\"dot better\"></i>significantly better</span>"
          "<span><i class=\"dot in\"></i>neither</span></div>\n", f);
}

/* Against Scotland: the funnel plot with the decision limits. */
static loc_status put_funnel_scotland(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    size_t n = r->d->n, shown = 0, untested = 0;
    chart c = {56, 16, 24, 44, 0, 0, 0, INFINITY, -INFINITY};
    c.W = PLOT_W - c.L - c.R;
    c.H = PLOT_H - c.T - c.B;
    for (size_t k = 0; k < n; k++) {
        if (fu->flag_scotland[k] == LOC_FLAG_UNRELIABLE || isnan(fu->value[k]) || !(fu->size[k] > 0)) {
            untested++;
            continue;
        }
        shown++;
        c.xmax = fmax(c.xmax, fu->size[k]);
    }
    fputs("<div><p class=\"sub\">Against Scotland</p>\n", f);
    if (!shown || isnan(fu->national)) {
        fputs("<p>No locality was tested on this indicator.</p></div>\n", f);
        return LOC_OK;
    }
    double lo, hi;
    fu->limits(fu->limits_ud, c.xmax * 0.25, &lo, &hi);
    c.ymin = fmin(fu->national, isfinite(lo) ? lo : fu->national);
    c.ymax = fmax(fu->national, isfinite(hi) ? hi : fu->national);
    y_range(r, fu->value, n, &c.ymin, &c.ymax);
    double pad = 0.05 * (c.ymax - c.ymin > 0 ? c.ymax - c.ymin : fabs(c.ymax) + 1e-9);
    c.ymin -= pad;
    c.ymax += pad;
    c.xmax *= 1.05;
    put_frame(r, &c, id, fu->size_label ? fu->size_label : "size", fu->unit, "value");
    fprintf(f, "<g clip-path=\"url(#clip%zu)\" fill=\"none\">\n", id);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W,
            cy(&c, fu->national), cy(&c, fu->national));
    /* the limits, sampled on a grid dense near zero where they curve most */
    for (int side = 0; side < 2; side++) {
        fputs("<path stroke=\"#b2182b\" d=\"", f);
        int pen = 0;
        for (int i = 1; i <= 160; i++) {
            double m = c.xmax * pow(i / 160.0, 2);
            fu->limits(fu->limits_ud, m, &lo, &hi);
            double v = side ? hi : lo;
            if (!isfinite(v))
                continue;
            fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', cx(&c, m), cy(&c, v));
        }
        fputs("\"/>\n", f);
    }
    fputs("</g>\n<g>\n", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_scotland[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->value[k]) && fu->size[k] > 0)
            put_point(r, &c, k, fu->size[k], fu->value[k], flag_class(fu->flag_scotland[k]), fu->unit, 1);
    fputs("</g>\n</svg>\n", f);
    put_legend(r, fu, 0);
    put_off_scale(r, fu->value, fu->size, fu->flag_scotland, n, &c, fu->unit);
    if (untested)
        fprintf(f, "<p class=\"off\">%zu localit%s not tested (too few zones or residents).</p>\n", untested,
                untested == 1 ? "y" : "ies");
    fputs("</div>\n", f);
    return LOC_OK;
}

/* Against the rest of the council: each locality's difference with its
 * own decision limit as a band around zero. */
static loc_status put_funnel_rest(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    size_t n = r->d->n, shown = 0;
    chart c = {56, 16, 24, 44, 0, 0, 0, 0, 0};
    c.W = PLOT_W - c.L - c.R;
    c.H = PLOT_H - c.T - c.B;
    double *bands = loc_malloc(r->ctx, 2 * (n ? n : 1) * sizeof *bands);
    if (!bands)
        return LOC_ENOMEM;
    size_t nb = 0;
    for (size_t k = 0; k < n; k++) {
        if (fu->flag_rest[k] == LOC_FLAG_UNRELIABLE || isnan(fu->diff[k]) || !(fu->size[k] > 0))
            continue;
        shown++;
        c.xmax = fmax(c.xmax, fu->size[k]);
        if (isfinite(fu->limit[k])) {
            bands[nb++] = fu->limit[k];
            bands[nb++] = -fu->limit[k];
        }
    }
    fputs("<div><p class=\"sub\">Against the rest of the council</p>\n", f);
    if (!shown) {
        loc_free(r->ctx, bands);
        fputs("<p>No locality was tested on this indicator.</p></div>\n", f);
        return LOC_OK;
    }
    y_range(r, fu->diff, n, &c.ymin, &c.ymax);
    y_range(r, bands, nb, &c.ymin, &c.ymax);
    loc_free(r->ctx, bands);
    double pad = 0.05 * (c.ymax - c.ymin > 0 ? c.ymax - c.ymin : 1);
    c.ymin -= pad;
    c.ymax += pad;
    c.xmax *= 1.05;
    put_frame(r, &c, id, fu->size_label ? fu->size_label : "size", fu->unit, "difference");
    fprintf(f, "<g clip-path=\"url(#clip%zu)\">\n", id);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W, cy(&c, 0),
            cy(&c, 0));
    /* every band in one path: a report of all Scotland draws 22,000 */
    fputs("<path class=\"band\" d=\"", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_rest[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->diff[k]) && fu->size[k] > 0 &&
            isfinite(fu->limit[k]))
            fprintf(f, "M%.0f %.0fV%.0f", cx(&c, fu->size[k]), cy(&c, -fu->limit[k]), cy(&c, fu->limit[k]));
    fputs("\"/>\n", f);
    fputs("</g>\n<g>\n", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_rest[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->diff[k]) && fu->size[k] > 0)
            put_point(r, &c, k, fu->size[k], fu->diff[k], flag_class(fu->flag_rest[k]), fu->unit, 0);
    fputs("</g>\n</svg>\n", f);
    put_legend(r, fu, 1);
    put_off_scale(r, fu->diff, fu->size, fu->flag_rest, n, &c, fu->unit);
    fputs("</div>\n", f);
    return LOC_OK;
}

static const char *flag_word(int fl);
static void put_anchor(rep *r, size_t k);

/* The charts' numbers for those who cannot see them, and the outliers
 * named: every locality outside the limits, with its value, difference
 * and limit, in a table behind a summary line. */
static void put_funnel_table(rep *r, const loc_funnel *fu)
{
    FILE *f = r->f;
    size_t n = r->d->n, np = 0, nb = 0;
    for (size_t k = 0; k < n; k++) {
        np += fu->flag_scotland[k] == LOC_FLAG_POORER || fu->flag_rest[k] == LOC_FLAG_POORER;
        nb += (fu->flag_scotland[k] == LOC_FLAG_BETTER || fu->flag_rest[k] == LOC_FLAG_BETTER) &&
              fu->flag_scotland[k] != LOC_FLAG_POORER && fu->flag_rest[k] != LOC_FLAG_POORER;
    }
    fprintf(f, "<details><summary>%zu localit%s outside the limits on the worse side, %zu on the better side only"
               "</summary>\n",
            np, np == 1 ? "y" : "ies", nb);
    if (!np && !nb) {
        fputs("<p>None.</p></details>\n", f);
        return;
    }
    fputs("<table class=\"data ft\"><thead><tr><th>Locality</th><th>Value</th><th>Against Scotland</th>"
          "<th>Difference from the rest of the council</th><th>Its limit</th><th>Against the council</th></tr></thead>"
          "<tbody>\n", f);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n; k++) {
            int poor = fu->flag_scotland[k] == LOC_FLAG_POORER || fu->flag_rest[k] == LOC_FLAG_POORER;
            int good = fu->flag_scotland[k] == LOC_FLAG_BETTER || fu->flag_rest[k] == LOC_FLAG_BETTER;
            if (pass == 0 ? !poor : (poor || !good))
                continue;
            fputs("<tr><td><a href=\"#", f);
            put_anchor(r, k);
            fputs("\">", f);
            esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
            fputs("</a></td><td>", f);
            num(f, fu->value[k]);
            fprintf(f, "</td><td>%s</td><td>", flag_word(fu->flag_scotland[k] == LOC_FLAG_POORER ? 1
                                                                   : fu->flag_scotland[k] == LOC_FLAG_BETTER ? -1
                                                                                                              : 0));
            num(f, fu->diff[k]);
            fputs("</td><td>", f);
            num(f, fu->limit[k]);
            fprintf(f, "</td><td>%s</td></tr>\n", flag_word(fu->flag_rest[k] == LOC_FLAG_POORER ? 1
                                                           : fu->flag_rest[k] == LOC_FLAG_BETTER ? -1
                                                                                                 : 0));
        }
    fputs("</tbody></table></details>\n", f);
}

static loc_status put_funnel(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    fprintf(f, "<figure class=\"funnel\" id=\"funnel-%zu\"", id + 1);
    if (fu->name) {
        fputs(" data-indicator=\"", f);
        esc(f, fu->name);
        fputc('"', f);
    }
    fputs("><figcaption>", f);
    esc(f, fu->label);
    fputs("</figcaption>\n", f);
    if (fu->note) {
        fputs("<p class=\"sub\">", f);
        esc(f, fu->note);
        fputs("</p>\n", f);
    }
    fputs("<div class=\"pair\">\n", f);
    loc_status st = put_funnel_scotland(r, fu, 2 * id);
    if (!st)
        st = put_funnel_rest(r, fu, 2 * id + 1);
    fputs("</div>\n", f);
    put_funnel_table(r, fu);
    fputs("</figure>\n", f);
    return st;
}

/* ---------------------------------------------------------------------
 * Tables and page
 * --------------------------------------------------------------------- */

/* attrs column NAME + suffix, or -1. */
static long ind_col(const rep *r, const char *name, const char *suffix)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", name, suffix);
    return r->a ? loc_attrs_find(r->a, buf) : -1;
}

/* A flag column's value for locality k: 1 poorer, -1 better, 0 otherwise. */
static int flag_at(const rep *r, long col, size_t k)
{
    if (col < 0 || loc_attrs_type(r->a, (size_t)col) != LOC_ATTR_TEXT || loc_attrs_is_null(r->a, (size_t)col, k))
        return 0;
    const char *t = loc_attrs_text(r->a, (size_t)col, k);
    return !strcmp(t, "poorer") ? 1 : !strcmp(t, "better") ? -1 : 0;
}

/* Poorer cells of locality k against each comparator, over the
 * profile's indicators. */
static void poorer_counts(const rep *r, size_t k, size_t *rest, size_t *scot)
{
    *rest = *scot = 0;
    for (size_t j = 0; j < r->o->nindicators; j++) {
        *rest += flag_at(r, r->flag_cols[j][0], k) == 1;
        *scot += flag_at(r, r->flag_cols[j][1], k) == 1;
    }
}

/* Find the profile indicators' flag columns (by name, so once per report:
 * per locality it was a fifth of the report's time on all of Scotland). */
static loc_status find_flag_cols(rep *r)
{
    size_t n = r->o->nindicators;
    if (!(r->flag_cols = loc_malloc(r->ctx, (n ? n : 1) * sizeof *r->flag_cols)))
        return LOC_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        const char *nm = r->o->indicators[j].name;
        r->flag_cols[j][0] = ind_col(r, nm, "_flag_council_rest");
        r->flag_cols[j][1] = ind_col(r, nm, "_flag_scotland");
    }
    return LOC_OK;
}

static const char *reason_of(const rep *r, size_t k)
{
    if (r->reason_col < 0 || loc_attrs_is_null(r->a, (size_t)r->reason_col, k))
        return "";
    return loc_attrs_text(r->a, (size_t)r->reason_col, k);
}

/* Severity order: flagged first, then most poorer cells, then by code. */
typedef struct sev {
    int flag;         /* 1 when flagged */
    size_t poorer;    /* poorer cells against both comparators */
    const char *code; /* locality code */
    size_t k;         /* locality */
} sev;

static int cmp_severity(const void *va, const void *vb)
{
    const sev *a = va, *b = vb;
    if (a->flag != b->flag)
        return b->flag - a->flag;
    if (a->poorer != b->poorer)
        return a->poorer < b->poorer ? 1 : -1;
    return strcmp(a->code, b->code);
}

/* A locality's anchor: its code, which the characters of an HTML id
 * allow as it is (codes are plain). */
static void put_anchor(rep *r, size_t k)
{
    fputs("p-", r->f);
    esc(r->f, loc_partition_code(r->d->p, k));
}

/* The table for people: one row per locality, the most severe first,
 * with the reason; every wide column stays in localities.csv. */
static loc_status put_tables(rep *r)
{
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t n = r->d->n, nf = 0;
    sev *order = loc_malloc(r->ctx, (n ? n : 1) * sizeof *order);
    if (!order)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        size_t pr, ps;
        poorer_counts(r, k, &pr, &ps);
        order[k] = (sev){flagged(r, k) != 0, pr + ps, loc_partition_code(p, k), k};
        nf += order[k].flag;
    }
    qsort(order, n, sizeof *order, cmp_severity); /* codes are unique: a total order */
    fputs("<h2 id=\"localities\">Localities</h2>\n", f);
    if (r->flag_col >= 0) {
        fprintf(f, "<p>%zu of %zu localities: ", nf, n);
        esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        fputs(". The most severe first: flagged localities, then by the number of indicators on which the "
              "locality is significantly poorer. Every column of the assessment is in <code>localities.csv</code> "
              "and <code>indicators.csv</code>.</p>\n", f);
    }
    fputs("<table class=\"data people\"><thead><tr><th scope=\"col\">Locality</th><th scope=\"col\">Council</th>"
          "<th scope=\"col\" class=\"n\">Residents</th><th scope=\"col\" class=\"n\">Zones</th>"
          "<th scope=\"col\">Plan</th><th scope=\"col\">Why</th><th scope=\"col\" class=\"n\">Poorer than the rest of "
          "the council</th><th scope=\"col\" class=\"n\">Poorer than Scotland</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i].k, nm, pr, ps;
        loc_partition_members(p, k, &nm);
        poorer_counts(r, k, &pr, &ps);
        fprintf(f, "<tr%s><td><a href=\"#", flagged(r, k) ? " class=\"flag\"" : "");
        put_anchor(r, k);
        fputs("\">", f);
        esc(f, loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k));
        fputs("</a> <small>", f);
        esc(f, loc_partition_code(p, k));
        fputs("</small></td><td>", f);
        esc(f, council_name(r, k));
        fputs("</td><td class=\"n\">", f);
        num(f, loc_partition_population(p, k));
        fprintf(f, "</td><td class=\"n\">%zu</td><td>%s</td><td class=\"why\">", nm,
                r->flag_col < 0 ? "&ndash;" : flagged(r, k) ? "<b>required</b>" : "no");
        esc(f, reason_of(r, k));
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n", pr, ps);
    }
    fputs("</tbody></table>\n", f);
    loc_free(r->ctx, order);
    return LOC_OK;
}

/* Spine charts: per indicator, the spread of the localities' values
 * around Scotland's (lightest: lowest to highest, darker: the middle
 * half), worse to the left, as the public-health profiles draw them. */
typedef struct spine {
    double scot, half;   /* Scotland's value, and the largest distance from it */
    int worse;           /* 1 higher is worse */
    long v, rest, sc, fr, fs; /* attrs columns */
} spine;

static double spine_x(const spine *sp, double v)
{
    double t = (v - sp->scot) / sp->half;
    return 100 - 95 * (sp->worse > 0 ? t : -t);
}

static loc_status prepare_spines(rep *r, spine *sp)
{
    size_t n = r->d->n;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    FILE *f = r->f;
    fputs("<style>\n", f);
    for (size_t j = 0; j < r->o->nindicators; j++) {
        const loc_report_indicator *in = &r->o->indicators[j];
        spine *s = &sp[j];
        s->v = ind_col(r, in->name, "");
        s->rest = ind_col(r, in->name, "_council_rest");
        s->sc = ind_col(r, in->name, "_scotland");
        s->fr = ind_col(r, in->name, "_flag_council_rest");
        s->fs = ind_col(r, in->name, "_flag_scotland");
        s->worse = in->worse;
        s->scot = NAN;
        size_t m = 0;
        for (size_t k = 0; k < n && s->v >= 0; k++) {
            double x = loc_attrs_real(r->a, (size_t)s->v, k);
            if (isfinite(x))
                v[m++] = x;
            if (isnan(s->scot) && s->sc >= 0 && isfinite(loc_attrs_real(r->a, (size_t)s->sc, k)))
                s->scot = loc_attrs_real(r->a, (size_t)s->sc, k);
        }
        if (!m || isnan(s->scot)) {
            s->half = NAN;
            continue;
        }
        qsort(v, m, sizeof *v, cmp_double);
        double lo = v[0], hi = v[m - 1], q1 = v[(m - 1) / 4], q3 = v[3 * (m - 1) / 4];
        s->half = fmax(fmax(fabs(lo - s->scot), fabs(hi - s->scot)), 1e-12);
        double a = spine_x(s, lo), b = spine_x(s, hi), c = spine_x(s, q1), d = spine_x(s, q3);
        /* the bars as background gradients of the cell: no element per
         * row but the two markers, so 1,240 profiles stay light */
        double xa = fmin(a, b) / 2, xb = fmax(a, b) / 2, xc = fmin(c, d) / 2, xd = fmax(c, d) / 2;
        fprintf(f, "td.j%zu{background:linear-gradient(#000,#000) no-repeat 50%% 0/1px 100%%,linear-gradient(to right,"
                   "transparent %.1f%%,#e0e0e0 %.1f%%,#e0e0e0 %.1f%%,#a8a8a8 %.1f%%,#a8a8a8 %.1f%%,#e0e0e0 %.1f%%,"
                   "#e0e0e0 %.1f%%,transparent %.1f%%) no-repeat 0 50%%/100%% 8px}\n",
                j, xa, xa, xc, xc, fmax(xd, xc + 0.5), fmax(xd, xc + 0.5), fmax(xb, xa + 0.5), fmax(xb, xa + 0.5));
    }
    fputs("</style>\n", f);
    loc_free(r->ctx, v);
    return LOC_OK;
}

static const char *flag_word(int fl)
{
    return fl > 0 ? "poorer" : fl < 0 ? "better" : "";
}

/* An indicator's label up to its first parenthesis: "Income deprived
 * people (% of total population)" reads "Income deprived people". */
static const char *short_label(const loc_report_indicator *in, char *buf, size_t size)
{
    const char *l = in->label ? in->label : in->name;
    const char *par = strstr(l, " (");
    size_t n = par && par > l ? (size_t)(par - l) : strlen(l);
    if (n >= size)
        n = size - 1;
    memcpy(buf, l, n);
    buf[n] = 0;
    return buf;
}

/* One locality's profile. */
static void put_profile(rep *r, size_t k, const spine *sp)
{
    char lbuf[160];
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t nm;
    loc_partition_members(p, k, &nm);
    const char *name = loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k);
    fputs("<section class=\"profile\" id=\"", f);
    put_anchor(r, k);
    fputs("\"><h3>", f);
    esc(f, name);
    fputs(" <small>", f);
    esc(f, loc_partition_code(p, k));
    fputs("</small></h3>\n<p>", f);
    esc(f, council_name(r, k));
    fputs(" &middot; ", f);
    num(f, loc_partition_population(p, k));
    fprintf(f, " residents &middot; %zu zones &middot; %.1f km&sup2;</p>\n", nm, r->d->area[k] / 1e6);
    if (r->flag_col >= 0) {
        fputs(flagged(r, k) ? "<p class=\"why flag\"><b>Locality plan required.</b> " : "<p class=\"why\">Not flagged. ",
              f);
        esc(f, reason_of(r, k));
        fputs("</p>\n", f);
    }
    fputs("<div class=\"pf\">", f);
    if (r->group && r->group[k] >= 0) {
        /* the council's map and the locality's own path over it, both by
         * reference: the stroke is the highlight, the fill the same */
        const double *g = r->gsize[r->group[k]];
        fprintf(f, "<svg class=\"pmap\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", g[0], g[1]);
        esc(f, name);
        fputs(" on the map of ", f);
        esc(f, council_name(r, k));
        fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\".5\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"2.5\"/></svg>",
                r->group[k], k);
        /* and a close-up: the same map, the view box around the locality */
        const double *b = r->bb[k];
        double w = fmax(b[2] - b[0], 4), h = fmax(b[3] - b[1], 4), side = fmax(w, h) * 1.6;
        double cxp = (b[0] + b[2]) / 2, cyp = (b[1] + b[3]) / 2;
        fprintf(f, "<svg class=\"pmap\" viewBox=\"%.1f %.1f %.1f %.1f\" role=\"img\" aria-label=\"close-up of ",
                cxp - side / 2, cyp - side / 2, side, side);
        esc(f, name);
        fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\"%.3f\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"%.3f\"/></svg>",
                r->group[k], .8 * side / 260, k, 2.5 * side / 260);
    }
    if (r->o->nindicators) {
        fputs("<table class=\"spine\"><thead><tr><th>Indicator</th><th>Locality</th><th>Rest of council</th>"
              "<th>Scotland</th><th>vs council</th><th>vs Scotland</th><th>worse &larr; &rarr; better</th>"
              "</tr></thead><tbody>\n", f);
        for (size_t j = 0; j < r->o->nindicators; j++) {
            const loc_report_indicator *in = &r->o->indicators[j];
            const spine *s = &sp[j];
            double v = s->v >= 0 ? loc_attrs_real(r->a, (size_t)s->v, k) : NAN;
            double rest = s->rest >= 0 ? loc_attrs_real(r->a, (size_t)s->rest, k) : NAN;
            int fr = flag_at(r, s->fr, k), fs = flag_at(r, s->fs, k);
            /* rows kept short: a profile per locality of all Scotland must fit */
            fputs("<tr><th>", f);
            esc(f, short_label(in, lbuf, sizeof lbuf));
            fputs("</th><td>", f);
            num(f, v);
            esc(f, isnan(v) ? NULL : in->unit);
            fputs("</td><td>", f);
            num(f, rest);
            fputs("</td><td>", f);
            num(f, s->scot);
            fputs("</td>", f);
            for (int c = 0; c < 2; c++) {
                int fl = c ? fs : fr;
                if (!in->tested) {
                    fputs(c ? "" : "<td colspan=\"2\">not tested</td>", f);
                } else if (fl)
                    fprintf(f, "<td class=\"f%d\">%s</td>", fl, flag_word(fl));
                else
                    fputs("<td></td>", f);
            }
            /* a spine for the tested indicators; the others are described
             * by their numbers alone */
            if (in->tested && !isnan(s->half) && isfinite(v)) {
                fprintf(f, "<td class=\"sp j%zu\">", j);
                if (isfinite(rest))
                    fprintf(f, "<u style=\"left:%.0f%%\"></u>", fmin(fmax(spine_x(s, rest), 2), 198) / 2);
                fprintf(f, "<i class=\"s%d\" style=\"left:%.0f%%\"></i>", fs, fmin(fmax(spine_x(s, v), 5), 195) / 2);
            } else {
                fputs("<td>", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>", f);
    }
    fputs("</div></section>\n", f);
}

static loc_status put_profiles(rep *r)
{
    if (!r->o->nindicators && !r->group)
        return LOC_OK;
    FILE *f = r->f;
    fputs("<h2 id=\"profiles\">Locality profiles</h2>\n<p>One section per locality: its place on its council's map "
          "(outlined in black), its facts and the reason it needs a plan or not, and every indicator against the "
          "rest of its council and Scotland. In each spine chart the black line is Scotland, the light bar the "
          "range of the localities of this report and the darker bar their middle half, worse to the left; the "
          "circle is the locality (red significantly poorer than Scotland, blue better, white neither, grey not "
          "tested) and the black diamond the rest of its council.</p>\n", f);
    spine *sp = loc_calloc(r->ctx, r->o->nindicators ? r->o->nindicators : 1, sizeof *sp);
    if (!sp)
        return LOC_ENOMEM;
    loc_status st = prepare_spines(r, sp);
    for (size_t k = 0; k < r->d->n && !st; k++)
        put_profile(r, k, sp);
    loc_free(r->ctx, sp);
    return st;
}

static void put_kv(FILE *f, const char *title, const char *id, const loc_kv *kv, size_t n)
{
    fprintf(f, "<h2 id=\"%s\">%s</h2>\n", id, title);
    if (!n) {
        fputs("<p>None given.</p>\n", f);
        return;
    }
    fputs("<table class=\"kv\"><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th>", f);
        esc(f, kv[i].key);
        fputs("</th><td>", f);
        esc(f, kv[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* The page's one script, inline: zoom and pan on the maps (buttons for
 * the keyboard, the wheel and dragging for the mouse; every locality
 * named once zoomed in), the indicator the second maps show (every
 * indicator of the report, coloured in seven classes of about equal
 * numbers of localities, the legend in its units), and each map and chart
 * downloadable as SVG.  Without scripts the page is whole: income is
 * mapped and the maps are fixed. */
static const char SCRIPT[] =
    "(function(){\n"
    "var COL=['#ffffcc','#c7e9b4','#7fcdbb','#41b6c4','#1d91c0','#225ea8','#0c2c84'];\n"
    "function btn(t,l,f){var b=document.createElement('button');b.type='button';b.textContent=t;"
    "b.setAttribute('aria-label',l);b.onclick=f;return b;}\n"
    "document.querySelectorAll('svg.map:not(.inset)').forEach(function(svg){\n"
    " var v0=svg.getAttribute('viewBox').split(' ').map(Number),v=v0.slice();\n"
    " function set(){svg.setAttribute('viewBox',v.join(' '));var z=v0[2]/v[2];"
    "svg.classList.toggle('zoomed',z>=2);svg.style.setProperty('--lb',(10/z).toFixed(2)+'px');}\n"
    " function zoom(f,cx,cy){var w=Math.min(v0[2],Math.max(v0[2]/40,v[2]/f)),h=w*v0[3]/v0[2];"
    "if(cx===undefined){cx=v[0]+v[2]/2;cy=v[1]+v[3]/2;}"
    "v=[cx-(cx-v[0])*w/v[2],cy-(cy-v[1])*h/v[3],w,h];set();}\n"
    " var c=document.createElement('div');c.className='ctl';"
    "c.appendChild(btn('+','zoom in',function(){zoom(2);}));c.appendChild(btn('\\u2212','zoom out',function(){zoom(0.5);}));"
    "c.appendChild(btn('reset','show the whole council',function(){v=v0.slice();set();}));"
    "c.appendChild(btn('SVG','download this map as SVG',function(){save(svg,'map');}));svg.after(c);\n"
    " svg.addEventListener('wheel',function(e){e.preventDefault();var r=svg.getBoundingClientRect();"
    "zoom(e.deltaY<0?1.25:0.8,v[0]+(e.clientX-r.left)/r.width*v[2],v[1]+(e.clientY-r.top)/r.height*v[3]);},{passive:false});\n"
    " var d=null;svg.addEventListener('pointerdown',function(e){d=[e.clientX,e.clientY,v[0],v[1]];});"
    "window.addEventListener('pointerup',function(){d=null;});"
    "svg.addEventListener('pointermove',function(e){if(!d)return;var r=svg.getBoundingClientRect();"
    "v[0]=d[2]-(e.clientX-d[0])/r.width*v[2];v[1]=d[3]-(e.clientY-d[1])/r.height*v[3];set();});\n"
    "});\n"
    "function save(svg,name){var c=svg.cloneNode(true),NS=svg.namespaceURI;c.setAttribute('xmlns',NS);"
    "var st=document.createElementNS(NS,'style');st.textContent=document.querySelector('style').textContent;"
    "c.insertBefore(st,c.firstChild);var a=document.createElement('a');"
    "a.href=URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(c)],{type:'image/svg+xml'}));"
    "a.download=name+'.svg';document.body.appendChild(a);a.click();a.remove();}\n"
    "document.querySelectorAll('figure.funnel').forEach(function(fg){var s=fg.querySelectorAll('svg');"
    "var c=document.createElement('div');c.className='ctl';"
    "s.forEach(function(x,i){c.appendChild(btn('SVG '+(i?'(council)':'(Scotland)'),'download this chart as SVG',"
    "function(){save(x,(fg.dataset.indicator||'chart')+(i?'-council':'-scotland'));}));});fg.appendChild(c);});\n"
    "var el=document.getElementById('ind-data');if(!el)return;var D=JSON.parse(el.textContent);\n"
    "var sel=document.createElement('select');sel.id='ind-select';"
    "D.ind.forEach(function(x,j){var o=document.createElement('option');o.value=j;o.textContent=x.l;"
    "if(x.n===D.cur)o.selected=true;sel.appendChild(o);});\n"
    "var lab=document.createElement('label');lab.textContent='Indicator on the second maps: ';lab.appendChild(sel);"
    "var p=document.createElement('p');p.className='ctl';p.appendChild(lab);"
    "document.getElementById('maps').after(p);\n"
    "function fmt(x){return Math.abs(x)>=1000||x===Math.floor(x)?Math.round(x).toLocaleString('en-GB'):"
    "Math.abs(x)>=10?x.toFixed(1):x.toPrecision(3);}\n"
    "sel.onchange=function(){var j=+sel.value,x=D.ind[j],vals=D.v[j],s=vals.filter(function(a){return a!==null;})"
    ".sort(function(a,b){return a-b;}),br=[];for(var c=0;c<=7;c++)br.push(s.length?s[Math.floor(c*(s.length-1)/7)]:NaN);\n"
    " document.querySelectorAll('path[data-k]').forEach(function(p){var a=vals[+p.dataset.k],c=-1;"
    "if(a!==null&&s.length){c=0;while(c+1<7&&a>=br[c+1])c++;}p.setAttribute('fill',c<0?'#fff':COL[c]);"
    "var t=p.querySelector('title');t.textContent=t.textContent.replace(/: .*$/,': '+(a===null?'no value':fmt(a)+(x.u||'')));});\n"
    " document.querySelectorAll('.legend.vl').forEach(function(lg){var h='<b></b> (7 classes of about equal numbers of "
    "localities, all councils)<br>';for(var c=0;c<7&&s.length;c++){if(c>0&&c+1<7&&br[c]===br[c+1])continue;"
    "h+='<span><i style=\"background:'+COL[c]+'\"></i>'+fmt(br[c])+'\\u2013'+fmt(br[c+1])+'</span>';}"
    "lg.innerHTML=h+'<span><i style=\"background:#fff\"></i>no value</span>';lg.querySelector('b').textContent=x.l;});};\n"
    "})();\n";

/* The selector's measure j: the profiles' indicators, then map_extra. */
static const loc_report_indicator *map_measure(const rep *r, size_t j)
{
    return j < r->o->nindicators ? &r->o->indicators[j] : &r->o->map_extra[j - r->o->nindicators];
}

/* The report's own tables (opts->tables), each a section. */
static void put_extra_tables(rep *r)
{
    FILE *f = r->f;
    for (size_t t = 0; t < r->o->ntables; t++) {
        const loc_report_table *tb = &r->o->tables[t];
        fprintf(f, "<h2 id=\"");
        esc(f, tb->id);
        fputs("\">", f);
        esc(f, tb->title);
        fputs("</h2>\n", f);
        if (tb->intro) {
            fputs("<p>", f);
            esc(f, tb->intro);
            fputs("</p>\n", f);
        }
        if (!tb->nrows)
            continue;
        fputs("<table class=\"data people\"><thead><tr>", f);
        for (size_t c = 0; c < tb->ncols; c++) {
            fputs("<th scope=\"col\">", f);
            esc(f, tb->head[c]);
            fputs("</th>", f);
        }
        fputs("</tr></thead><tbody>\n", f);
        for (size_t i = 0; i < tb->nrows; i++) {
            fputs("<tr>", f);
            for (size_t c = 0; c < tb->ncols; c++) {
                fputs("<td>", f);
                esc(f, tb->cells[i * tb->ncols + c]);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
}

/* The values behind the indicator selector, as JSON (NaN as null). */
static void put_map_data(rep *r)
{
    FILE *f = r->f;
    if (!(r->o->nindicators + r->o->nmap_extra) || r->value_col < 0)
        return;
    fputs("<script type=\"application/json\" id=\"ind-data\">{\"cur\":\"", f);
    put_json_text(f, loc_attrs_name(r->a, (size_t)r->value_col));
    fputs("\",\"ind\":[", f);
    size_t shown = 0;
    size_t nall = r->o->nindicators + r->o->nmap_extra;
    for (size_t j = 0; j < nall; j++) {
        const loc_report_indicator *in = map_measure(r, j);
        if (ind_col(r, in->name, "") < 0)
            continue;
        fputs(shown++ ? ",{\"n\":\"" : "{\"n\":\"", f);
        put_json_text(f, in->name);
        fputs("\",\"l\":\"", f);
        put_json_text(f, in->label ? in->label : in->name);
        fputs("\",\"u\":\"", f);
        put_json_text(f, in->unit ? in->unit : "");
        fputs("\"}", f);
    }
    fputs("],\"v\":[", f);
    shown = 0;
    for (size_t j = 0; j < nall; j++) {
        long col = ind_col(r, map_measure(r, j)->name, "");
        if (col < 0)
            continue;
        fputs(shown++ ? ",[" : "[", f);
        for (size_t k = 0; k < r->d->n; k++) {
            double v = loc_attrs_real(r->a, (size_t)col, k);
            if (k)
                fputc(',', f);
            if (isfinite(v))
                fprintf(f, "%.6g", v);
            else
                fputs("null", f);
        }
        fputc(']', f);
    }
    fputs("]}</script>\n", f);
}

static const char STYLE_SHEET[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}\n"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
    "h3 small,h1 small{color:#666;font-weight:normal}\n"
    ".maps{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:1em}.pair>div{flex:1 1 420px;max-width:560px}"
    ".pair svg{width:100%;height:auto}\n"
    "svg.map path{stroke:#555;stroke-width:.6;stroke-linejoin:round;fill-rule:evenodd;vector-effect:non-scaling-stroke}\n"
    "svg.map path:hover{stroke:#000;stroke-width:1.5}\n"
    ".legend{font-size:.8em;margin:.3em 0;max-width:560px}.legend span{display:inline-block;margin-right:.8em}\n"
    ".legend i{display:inline-block;width:.9em;height:.9em;border:1px solid #888;vertical-align:middle;"
    "margin-right:.25em}\n"
    ".legend i.ln{width:1.4em;height:0;border:0;border-top:2px solid}.legend i.ln.dash{border-top-style:dashed}\n"
    ".legend i.dot{border-radius:50%}\n"
    ".pair circle{r:3.5px;fill:#bdbdbd;stroke:#666}i.in{background:#bdbdbd}\n"
    ".pair circle.worse,i.worse{fill:#b2182b;background:#b2182b;stroke:#333}\n"
    ".pair circle.better,i.better{fill:#2166ac;background:#2166ac;stroke:#333}\n"
    "circle.off{stroke-dasharray:2 1;stroke-width:2}\n"
    "path.band{fill:none;stroke:#9e9e9e;stroke-width:3;stroke-opacity:.45}.legend i.band{width:.35em;background:#bdbdbd;"
    "border:0}\n"
    "p.sub{margin:.2em 0;color:#444;font-size:.9em}p.off{font-size:.8em;color:#555;max-width:560px}\n"
    "text.tick{font-size:11px;fill:#444}text.axis{font-size:12px;fill:#222}\n"
    "figcaption{font-weight:bold;margin:.5em 0}\n"
    "table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .5em;border-bottom:1px solid #e4e4e4;"
    "text-align:left}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.flag td{background:#fde0dd}\n"
    ".scroll{overflow-x:auto}table.kv th{font-weight:normal;color:#555}\n"
    "table.people{width:100%}table.people thead th{position:sticky;top:0;background:#fff;"
    "box-shadow:0 1px 0 #999;vertical-align:bottom}td.why{max-width:34em;font-size:.95em}table.people small{white-space:nowrap}\n"
    "text.lb{font-size:var(--lb,10px);fill:#111;text-anchor:middle;paint-order:stroke;stroke:#fff;"
    "stroke-width:calc(var(--lb,10px)*.3);"
    "stroke-linejoin:round;pointer-events:none}text.lb.o{display:none}svg.zoomed text.lb.o{display:inline}\n"
    ".scale path{fill:none;stroke:#222}.scale text,text.credit{font-size:8px;fill:#444}\n"
    "header.tb{border-bottom:2px solid #222;margin-bottom:1em}header.tb p{margin:.3em 0}\n"
    "section.profile{border-top:1px solid #ccc;margin-top:1.2em}section.profile h3{margin:.6em 0 .2em}\n"
    ".pf{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}svg.pmap{width:260px;height:auto;"
    "border:1px solid #ccc}path.hl{fill:none;stroke:#000;stroke-width:2.5}\n"
    "table.spine caption{text-align:left;font-weight:bold;margin-bottom:.3em}table.spine svg{width:200px;"
    "height:14px;display:block}table.spine td:nth-child(2),table.spine td:nth-child(3),table.spine td:nth-child(4)"
    "{text-align:right;font-variant-numeric:tabular-nums}\n"
    "table.ft td:nth-child(2),table.ft td:nth-child(4),table.ft td:nth-child(5){text-align:right}\n"
    "td.sp{position:relative;width:200px;min-width:200px;height:14px;padding:0;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}td.sp i,td.sp u{position:absolute;top:50%;box-sizing:border-box}"
    "td.sp i{width:10px;height:10px;margin:-5px 0 0 -5px;border-radius:50%;border:1px solid #333}"
    "td.sp u{width:8px;height:8px;margin:-4px 0 0 -4px;background:#000;transform:rotate(45deg)}\n"
    "td.f1{color:#b2182b;font-weight:bold}td.f-1{color:#2166ac}"
    "i.s1{background:#b2182b}i.s-1{background:#2166ac}i.s0{background:#fff}"
    "\n"
    /* a report of all Scotland holds 1,240 profiles and 36 charts of 1,240
     * points: the browser lays out only what is on screen */
    "section.profile,figure.funnel,section.council{content-visibility:auto;contain-intrinsic-size:auto 700px}\n"
    ".ctl{margin:.2em 0 .6em}.ctl button{font:inherit;font-size:.8em;margin-right:.3em;padding:.1em .5em}\n"
    "svg.map:not(.inset){cursor:grab;touch-action:none}\n"
    "p.why.flag{background:#fde0dd;padding:.3em .5em}footer{margin-top:2em;font-size:.8em;color:#444;"
    "border-top:1px solid #ccc}\n"
    "@media print{@page{size:A4 portrait;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:9.5pt}"
    "nav,.ctl{display:none}section.council,section.profile,h2{break-before:page}figure,.pair>div,tr{break-inside:avoid}"
    "thead{display:table-header-group}table.people thead th{position:static;box-shadow:none}"
    ".pair>div{flex:1 1 100%}svg{max-width:100%;height:auto}td.why{max-width:none}}\n";

/* The councils the report covers: their names when few, else a count. */
static void put_scope(rep *r)
{
    const loc_zones *z = loc_partition_zones(r->d->p);
    size_t nc = loc_zones_ncouncils(z), used = 0;
    uint8_t *seen = loc_calloc(r->ctx, nc ? nc : 1, 1);
    if (!seen)
        return;
    for (size_t k = 0; k < r->d->n; k++) {
        int32_t c = loc_partition_council(r->d->p, k);
        if (c >= 0 && !seen[c]) {
            seen[c] = 1;
            used++;
        }
    }
    if (used && used <= 3) {
        size_t shown = 0;
        for (size_t c = 0; c < nc; c++)
            if (seen[c]) {
                fputs(shown++ ? ", " : "", r->f);
                esc(r->f, loc_zones_council_name(z, c));
            }
        fputs(": ", r->f);
    } else if (used) {
        fprintf(r->f, "%zu council areas: ", used);
    }
    loc_free(r->ctx, seen);
}

static loc_status put_page(rep *r)
{
    FILE *f = r->f;
    const char *title = r->o->title ? r->o->title : "Localities";
    size_t nflag = 0;
    double pop = 0;
    for (size_t k = 0; k < r->d->n; k++) {
        nflag += flagged(r, k) != 0;
        pop += loc_partition_population(r->d->p, k);
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    esc(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header class=\"tb\"><h1>", STYLE_SHEET);
    esc(f, title);
    fputs("</h1>\n<p>", f);
    put_scope(r);
    grouped(f, (double)r->d->n);
    fputs(" localities, ", f);
    grouped(f, pop);
    fputs(" residents", f);
    if (r->flag_col >= 0)
        fprintf(f, "; %zu flagged", nflag);
    fputc('.', f);
    if (r->o->date) {
        fputs(" ", f);
        esc(f, r->o->date);
        fputc('.', f);
    }
    fputs("</p>\n", f);
    if (r->o->nsources) {
        fputs("<p>Data: ", f);
        for (size_t i = 0; i < r->o->nsources; i++) {
            fputs(i ? "; " : "", f);
            esc(f, r->o->sources[i].key);
            fputs(" <code>", f);
            /* the file's name: its folder belongs to the machine, and the
             * full path is in the sources table below */
            const char *v = r->o->sources[i].value ? r->o->sources[i].value : "";
            const char *slash = strrchr(v, '/');
            esc(f, slash ? slash + 1 : v);
            fputs("</code>", f);
        }
        fputs(".</p>\n", f);
    }
    fputs("</header>\n<nav><p><a href=\"#maps\">Maps</a> &middot; <a href=\"#funnels\">Funnel plots</a> &middot; "
          "<a href=\"#localities\">Localities</a> &middot; <a href=\"#profiles\">Profiles</a> &middot; "
          "<a href=\"#settings\">Settings</a></p></nav>\n", f);
    fputs("<h2 id=\"maps\">Maps</h2>\n", f);
    loc_status st = put_maps(r);
    if (st)
        return st;
    fputs("<h2 id=\"funnels\">Funnel plots</h2>\n", f);
    if (!r->o->nfunnels)
        fputs("<p>No indicator was chosen for funnel plots.</p>\n", f);
    else
        fputs("<p>One figure per tested indicator.  Left, against Scotland: each point is a locality, the "
              "black line Scotland's value and the red lines the decision limits; a point outside them is "
              "flagged significantly poorer (or better), and every flag is a point outside them.  Right, against "
              "the rest of its council: each point is a locality's difference from the rest of its council, the "
              "grey band its own decision limit; a point beyond its band is flagged.</p>\n<div>\n", f);
    for (size_t i = 0; i < r->o->nfunnels && !st; i++)
        st = put_funnel(r, &r->o->funnels[i], i);
    if (r->o->nfunnels)
        fputs("</div>\n", f);
    if (st)
        return st;
    if ((st = put_tables(r)) || (st = put_profiles(r)))
        return st;
    put_extra_tables(r);
    put_kv(f, "Settings", "settings", r->o->settings, r->o->nsettings);
    put_kv(f, "Data sources", "sources", r->o->sources, r->o->nsources);
    put_map_data(r);
    fprintf(f, "<script>\n%s</script>\n", SCRIPT);
    fputs("<footer>", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        fputs("<p>", f);
        esc(f, r->o->attribution[i]);
        fputs("</p>", f);
    }
    fputs("<p>Written by Localities " LOC_VERSION ".</p></footer>\n</body>\n</html>\n", f);
    return LOC_OK;
}

/* Resolve a named column of the wanted type. */
static loc_status report_column(loc_ctx *ctx, const loc_attrs *a, const char *name, loc_attr_type type, long *col,
                                const char *path)
{
    *col = -1;
    if (!name)
        return LOC_OK;
    if (!a || (*col = loc_attrs_find(a, name)) < 0)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no attribute column '%s'", path, name);
    if (loc_attrs_type(a, (size_t)*col) != type)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': attribute column '%s' is not %s", path, name,
                         type == LOC_ATTR_INT ? "an integer flag" : "a real value");
    return LOC_OK;
}

/* Free what the report state owns. */
static void free_rep(rep *r)
{
    loc_free(r->ctx, r->group);
    loc_free(r->ctx, r->bb);
    r->bb = NULL;
    loc_free(r->ctx, r->gsize);
    loc_free(r->ctx, r->simple);
    loc_free(r->ctx, r->flag_cols);
    r->group = NULL;
    r->gsize = NULL;
    r->simple = NULL;
    r->flag_cols = NULL;
}

/* Write report.html to a temporary beside path; *tmp gets it. */
loc_status loc_wr_stage_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                               const loc_report_opts *opts, const char *path, char **tmp)
{
    loc_report_opts none = {0};
    rep r = {.ctx = ctx, .d = d, .a = attrs, .o = opts ? opts : &none};
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    if (st || (st = report_column(ctx, attrs, r.o->flag_column, LOC_ATTR_INT, &r.flag_col, path)) ||
        (st = report_column(ctx, attrs, r.o->value_column, LOC_ATTR_REAL, &r.value_col, path)))
        return st;
    for (size_t i = 0; i < r.o->nfunnels; i++) {
        const loc_funnel *fu = &r.o->funnels[i];
        if (!fu->value || !fu->size || !fu->flag_scotland || !fu->limits || !fu->diff || !fu->limit ||
            !fu->flag_rest)
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': funnel plot %zu lacks values, sizes, flags or limits",
                             path, i + 1);
    }
    if ((st = value_breaks(&r)))
        return st;
    if ((st = report_column(ctx, attrs, r.o->reason_column, LOC_ATTR_TEXT, &r.reason_col, path)))
        return st;
    size_t ng = loc_zones_ncouncils(loc_partition_zones(d->p)) + 1;
    r.ngroups = ng;
    if (!(r.simple = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.simple)) ||
        !(r.group = loc_malloc(ctx, (d->n ? d->n : 1) * sizeof *r.group)) ||
        !(r.bb = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.bb)) ||
        !(r.gsize = loc_calloc(ctx, ng, sizeof *r.gsize)) || find_flag_cols(&r)) {
        free_rep(&r);
        return LOC_ENOMEM;
    }
    for (size_t k = 0; k < d->n; k++)
        r.group[k] = -1;
    int fd;
    if (!(st = loc_wr_reserve_temp(ctx, path, "", tmp, &fd))) {
        if (!(r.f = fdopen(fd, "w"))) {
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
            close(fd);
        } else {
            st = put_page(&r);
            /* flushed and on disk before anyone renames it into place */
            if (!st && (fflush(r.f) != 0 || ferror(r.f) || fsync(fileno(r.f)) != 0))
                st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
            if (fclose(r.f) != 0 && !st)
                st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        }
        if (st) {
            loc_wr_discard_temp(ctx, *tmp);
            *tmp = NULL;
        }
    }
    for (size_t k = 0; k < d->n; k++)
        if (r.simple[k])
            GEOSGeom_destroy_r(loc_geos(ctx), r.simple[k]);
    free_rep(&r);
    return st;
}

loc_status loc_write_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                            const loc_report_opts *opts, const char *path)
{
    char *tmp;
    loc_status st = loc_wr_stage_report(ctx, d, attrs, opts, path, &tmp);
    return st ? st : loc_wr_commit_temp(ctx, tmp, path);
}

/* =====================================================================
 * Progress report
 * ===================================================================== */

#define PW 300.0 /* one progress chart */
#define PH 120.0

/* A progress table's cell as a number (NaN when empty or not one). */
static double pcell(const loc_csv *t, size_t r, long col)
{
    double v;
    if (col < 0 || loc_parse_number(loc_csv_field(t, r, (size_t)col), &v) != LOC_NUM_OK)
        return NAN;
    return v;
}

/* The columns of one measure in every release. */
typedef struct prog_cols {
    long v[3][64]; /* [value, low, high][release] */
} prog_cols;

static const char *const MEASURES[3] = {"value", "gap_council", "gap_scotland"};
static const char *const MEASURE_TEXT[3] = {"the value", "the gap to the rest of the council", "the gap to Scotland"};

static int measure_of(const char *m)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(m, MEASURES[i]))
            return i;
    return 0;
}

/* One row's chart: each release's value and interval, joined; the target
 * line from the baseline to the targets at the plan year + 1, 3 and 10. */
static void put_progress_chart(FILE *f, const loc_csv *t, size_t r, const prog_cols *pc, int m, const int *years,
                               size_t nrel, long cbase, long cplan, const long *ctarget, const char *const *releases)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    double tv[3], tx[3];
    int plan = (int)pcell(t, r, cplan);
    long bcol = -1;
    const char *base = cbase >= 0 ? loc_csv_field(t, r, (size_t)cbase) : "";
    for (size_t k = 0; k < nrel; k++) {
        x0 = fmin(x0, years[k]);
        x1 = fmax(x1, years[k]);
        for (int q = 0; q < 3; q++) {
            double v = pcell(t, r, pc->v[q][k]);
            if (isfinite(v)) {
                y0 = fmin(y0, v);
                y1 = fmax(y1, v);
            }
        }
        if (!strcmp(releases[k], base))
            bcol = pc->v[0][k];
    }
    static const int add[3] = {1, 3, 10};
    for (int i = 0; i < 3; i++) {
        tv[i] = pcell(t, r, ctarget[i]);
        tx[i] = plan + add[i];
        if (isfinite(tv[i]) && plan > 0) {
            x1 = fmax(x1, tx[i]);
            y0 = fmin(y0, tv[i]);
            y1 = fmax(y1, tv[i]);
        }
    }
    if (!isfinite(y0) || !isfinite(x0)) {
        fputs("<p>No value in any release.</p>", f);
        return;
    }
    if (x1 <= x0)
        x1 = x0 + 1;
    double pad = (y1 - y0) > 0 ? 0.08 * (y1 - y0) : fmax(fabs(y1) * 0.1, 1);
    y0 -= pad;
    y1 += pad;
    const double L = 40, R = 8, T = 8, B = 22, W = PW - L - R, H = PH - T - B;
#define GX(x) (L + ((x) - x0) / (x1 - x0) * W)
#define GY(y) (T + (y1 - (y)) / (y1 - y0) * H)
    fprintf(f, "<svg class=\"pg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" aria-hidden=\"true\">", PW, PH,
            PW, PH);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#bbb\"/>", L, T, W, H);
    if (y0 < 0 && y1 > 0)
        fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#888\" stroke-dasharray=\"2 2\"/>", L, GY(0), L + W);
    for (int yr = (int)ceil(x0); yr <= (int)x1; yr++)
        if (yr == (int)x0 || yr == (int)x1 || (yr - (int)x0) % 4 == 0)
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%d</text>", GX(yr), PH - 6,
                    yr == (int)x1 ? "end" : yr == (int)x0 ? "start" : "middle", yr);
    fprintf(f, "<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y1 - pad) + 4);
    num(f, y1 - pad);
    fprintf(f, "</text><text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y0 + pad) + 4);
    num(f, y0 + pad);
    fputs("</text>", f);
    /* the target line: from the baseline's value */
    (void)m;
    if (bcol >= 0 && plan > 0) {
        double bv = pcell(t, r, bcol);
        if (isfinite(bv)) {
            double px = plan, py = bv;
            for (int i = 0; i < 3; i++) {
                if (!isfinite(tv[i]))
                    continue;
                fprintf(f, "<path class=\"tl\" d=\"M%.1f %.1fL%.1f %.1f\"/><circle class=\"tg\" cx=\"%.1f\" cy=\"%.1f\"/>",
                        GX(px), GY(py), GX(tx[i]), GY(tv[i]), GX(tx[i]), GY(tv[i]));
                px = tx[i];
                py = tv[i];
            }
        }
    }
    /* the releases: intervals, points, joined */
    int pen = 0;
    fputs("<path class=\"vl\" d=\"", f);
    for (size_t k = 0; k < nrel; k++) {
        double v = pcell(t, r, pc->v[0][k]);
        if (isfinite(v))
            fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', GX(years[k]), GY(v));
    }
    fputs("\"/>", f);
    for (size_t k = 0; k < nrel; k++) {
        double v = pcell(t, r, pc->v[0][k]), lo = pcell(t, r, pc->v[1][k]), hi = pcell(t, r, pc->v[2][k]);
        if (!isfinite(v))
            continue;
        if (isfinite(lo) && isfinite(hi))
            fprintf(f, "<path class=\"ci\" d=\"M%.1f %.1fV%.1f\"/>", GX(years[k]), GY(lo), GY(hi));
        fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\"/>", GX(years[k]), GY(v));
    }
    fputs("</svg>", f);
#undef GX
#undef GY
}

/* The plan flag of locality code in each release, from comparison.csv. */
static void put_plan_flags(FILE *f, const loc_csv *cmp, const char *code, const char *const *releases, size_t nrel)
{
    long cc = cmp ? loc_csv_column(cmp, "locality_code") : -1;
    if (cc < 0)
        return;
    for (size_t r = 0; r < loc_csv_nrows(cmp); r++) {
        if (strcmp(loc_csv_field(cmp, r, (size_t)cc), code))
            continue;
        fputs("<p>Locality plan required: ", f);
        int any = 0;
        for (size_t k = 0; k < nrel; k++) {
            char col[256];
            snprintf(col, sizeof col, "%s_plan_required", releases[k]);
            long c = loc_csv_column(cmp, col);
            if (c < 0)
                continue;
            const char *v = loc_csv_field(cmp, r, (size_t)c);
            fputs(any++ ? "; " : "", f);
            esc(f, releases[k]);
            fputs(!strcmp(v, "1") ? " <b>yes</b>" : !strcmp(v, "0") ? " no" : " &ndash;", f);
        }
        fputs(".</p>\n", f);
        return;
    }
}

static loc_status put_progress_page(loc_ctx *ctx, FILE *f, const loc_csv *t, const loc_csv *cmp,
                                    const char *const *releases, const int *years, size_t nrel)
{
    long ck = loc_csv_column(t, "kind"), cl = loc_csv_column(t, "locality_code"), cn = loc_csv_column(t, "locality_name"),
         ci = loc_csv_column(t, "indicator"), cm = loc_csv_column(t, "measure"), cb = loc_csv_column(t, "baseline"),
         cp = loc_csv_column(t, "plan_year"), cs = loc_csv_column(t, "status"), cnote = loc_csv_column(t, "note");
    long ct[3] = {loc_csv_column(t, "target_1y"), loc_csv_column(t, "target_3y"), loc_csv_column(t, "target_10y")};
    if (ck < 0 || cl < 0 || ci < 0 || cm < 0 || cs < 0)
        return loc_error(ctx, LOC_EINVAL, "progress report: the table lacks kind, locality_code, indicator, measure "
                                          "or status");
    if (nrel > 64)
        nrel = 64;
    prog_cols pc[3];
    static const char *const sfx[3] = {"", "_low", "_high"};
    for (int m = 0; m < 3; m++)
        for (size_t k = 0; k < nrel; k++)
            for (int q = 0; q < 3; q++) {
                char name[256];
                snprintf(name, sizeof name, "%s_%s%s", releases[k], MEASURES[m], sfx[q]);
                pc[m].v[q][k] = loc_csv_column(t, name);
            }
    size_t n = loc_csv_nrows(t);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Progress across releases"
          "</title>\n<style>\n", f);
    fputs(STYLE_SHEET, f);
    fputs(".prow{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin:.4em 0}"
          "svg.pg{max-width:100%;height:auto}svg.pg .vl{fill:none;stroke:#225ea8;stroke-width:1.5}"
          "svg.pg .ci{stroke:#225ea8;stroke-width:3;stroke-opacity:.35}svg.pg .pt{r:3.5px;fill:#225ea8}"
          "svg.pg .tl{stroke:#b2182b;stroke-dasharray:4 3;fill:none}svg.pg .tg{r:3px;fill:#fff;stroke:#b2182b}"
          "span.st{font-weight:bold}section.loc{border-top:1px solid #ccc;content-visibility:auto;"
          "contain-intrinsic-size:auto 400px}\n</style>\n</head>\n<body>\n", f);
    fputs("<header class=\"tb\"><h1>Progress across releases</h1><p>Releases: ", f);
    for (size_t k = 0; k < nrel; k++) {
        fputs(k ? ", " : "", f);
        esc(f, releases[k]);
        fprintf(f, " (%d)", years[k]);
    }
    fputs(".</p></header>\n<p>Per locality, each target and trend: the measure in each release (blue, with its interval "
          "at the assessment's decision level), and for a target the line from the baseline to the 1-, 3- and "
          "10-year targets (red). A trend compares the gap to the rest of the council between the first and the last "
          "release against the noise of both; a status of <i>cannot tell</i> means the change lies within it.</p>\n",
          f);
    /* localities in order of first appearance: targets come first in the table */
    uint8_t *done = loc_calloc(ctx, n ? n : 1, 1);
    if (!done)
        return LOC_ENOMEM;
    for (size_t r = 0; r < n; r++) {
        if (done[r])
            continue;
        const char *code = loc_csv_field(t, r, (size_t)cl);
        fputs("<section class=\"loc\"><h3>", f);
        esc(f, cn >= 0 && loc_csv_field(t, r, (size_t)cn)[0] ? loc_csv_field(t, r, (size_t)cn) : code);
        fputs(" <small>", f);
        esc(f, code);
        fputs("</small></h3>\n", f);
        put_plan_flags(f, cmp, code, releases, nrel);
        for (size_t q = r; q < n; q++) {
            if (done[q] || strcmp(loc_csv_field(t, q, (size_t)cl), code))
                continue;
            done[q] = 1;
            int m = measure_of(loc_csv_field(t, q, (size_t)cm));
            int trend = !strcmp(loc_csv_field(t, q, (size_t)ck), "trend");
            fputs("<div class=\"prow\"><div><p><b>", f);
            esc(f, loc_csv_field(t, q, (size_t)ci));
            fputs("</b>: ", f);
            fputs(MEASURE_TEXT[m], f);
            fputs(trend ? " (trend)" : " (target)", f);
            fputs("</p>", f);
            put_progress_chart(f, t, q, &pc[m], m, years, nrel, cb, cp, ct, releases);
            fputs("<p><span class=\"st\">", f);
            const char *stt = loc_csv_field(t, q, (size_t)cs);
            for (const char *c = stt; *c; c++)
                fputc(*c == '_' ? ' ' : *c, f);
            fputs("</span>", f);
            if (cnote >= 0 && loc_csv_field(t, q, (size_t)cnote)[0]) {
                fputs(": ", f);
                esc(f, loc_csv_field(t, q, (size_t)cnote));
            }
            fputs("</p></div><table class=\"data\"><thead><tr><th>Release</th><th>Value</th><th>Interval</th></tr>"
                  "</thead><tbody>", f);
            for (size_t k = 0; k < nrel; k++) {
                fputs("<tr><td>", f);
                esc(f, releases[k]);
                fputs("</td><td class=\"n\">", f);
                num(f, pcell(t, q, pc[m].v[0][k]));
                fputs("</td><td class=\"n\">", f);
                num(f, pcell(t, q, pc[m].v[1][k]));
                fputs("&ndash;", f);
                num(f, pcell(t, q, pc[m].v[2][k]));
                fputs("</td></tr>", f);
            }
            for (int i = 0; i < 3 && !trend; i++) {
                double tv = pcell(t, q, ct[i]);
                if (!isfinite(tv))
                    continue;
                static const char *const when[3] = {"target, 1 year", "target, 3 years", "target, 10 years"};
                fprintf(f, "<tr><td>%s</td><td class=\"n\">", when[i]);
                num(f, tv);
                fputs("</td><td></td></tr>", f);
            }
            fputs("</tbody></table></div>\n", f);
        }
        fputs("</section>\n", f);
    }
    loc_free(ctx, done);
    fputs("<footer><p>Written by Localities " LOC_VERSION ".</p></footer>\n</body>\n</html>\n", f);
    return LOC_OK;
}

loc_status loc_write_progress_report(loc_ctx *ctx, const loc_csv *progress, const loc_csv *comparison,
                                     const char *const *releases, const int *years, size_t nrel, const char *path)
{
    if (!progress || (nrel && (!releases || !years)))
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no progress table or releases", path);
    char *tmp = NULL;
    int fd;
    loc_status st = loc_wr_reserve_temp(ctx, path, "", &tmp, &fd);
    if (st)
        return st;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        loc_wr_discard_temp(ctx, tmp);
        return loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    st = put_progress_page(ctx, f, progress, comparison, releases, years, nrel);
    if (!st && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (fclose(f) != 0 && !st)
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (st) {
        loc_wr_discard_temp(ctx, tmp);
        return st;
    }
    return loc_wr_commit_temp(ctx, tmp, path);
}
