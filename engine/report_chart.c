/*
 * The report's charts of the decision: per tested indicator, the funnel
 * plot against Scotland (each locality's value against its funnel size,
 * with the limits that decide the flags) and the difference chart against
 * the rest of its council (each locality's own decision limit as a band
 * around zero), with a table of the points for screen readers.
 */
#include "report_internal.h"
#include "localities/stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    loc_fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"", PLOT_W,
            PLOT_H, PLOT_W, PLOT_H);
    rep_esc(f, alt);
    fputs("\">\n", f);
    loc_fprintf(f, "<defs><clipPath id=\"clip%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n",
            id, c->L, c->T, c->W, c->H);
    loc_fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", c->L,
            c->T, c->W, c->H);
    double ys = nice_step(c->ymax - c->ymin);
    /* ticks from whole multiples of the step, so that labels never show
     * accumulated rounding (14.999...) */
    int ydec = (int)fmax(0, -floor(log10(ys) + 1e-9));
    for (long i = (long)ceil(c->ymin / ys - 1e-9); (double)i * ys <= c->ymax + 1e-12; i++) {
        double v = (double)i * ys;
        loc_fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">", c->L, c->L + c->W, cy(c, v),
                cy(c, v), c->L - 4, cy(c, v) + 4);
        loc_fprintf(f, "%.*f</text>\n", ydec, fabs(v) < 1e-12 ? 0 : v);
    }
    double xs = nice_step(c->xmax);
    for (long i = 0; (double)i * xs <= c->xmax + 1e-9; i++) {
        double m = (double)i * xs;
        loc_fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">", cx(c, m), c->T + c->H + 16);
        rep_num(f, m);
        fputs("</text>\n", f);
    }
    loc_fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">", c->L + c->W / 2, PLOT_H - 6);
    rep_esc(f, xlabel);
    fputs("</text>\n", f);
    loc_fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">", 4.0, c->T - 8);
    rep_esc(f, alt);
    if (unit && *unit) {
        fputs(" (", f);
        rep_esc(f, unit[0] == ' ' ? unit + 1 : unit);
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
        loc_fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"/>\n", cx(c, x), cy(c, y));
        return;
    }
    /* kept short (the radius is in the style sheet): a report of all
     * Scotland draws some 44,000 of them */
    /* the unflagged, the most, take their colour from the style sheet */
    if (*cls || off)
        loc_fprintf(f, "<circle class=\"%s%s\" cx=\"%.0f\" cy=\"%.0f\"><title>", cls, off ? " off" : "", cx(c, x),
                cy(c, y));
    else
        loc_fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"><title>", cx(c, x), cy(c, y));
    rep_esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
    fputs(": ", f);
    rep_num(f, y);
    rep_esc(f, unit);
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
        rep_esc(f, loc_partition_name(r->d->p, k));
        fputs(" (", f);
        rep_esc(f, loc_partition_code(r->d->p, k));
        fputs(") ", f);
        rep_num(f, v[k]);
        rep_esc(f, unit);
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
        rep_num(f, fu->national);
        rep_esc(f, fu->unit);
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
    loc_fprintf(f, "<g clip-path=\"url(#clip%zu)\" fill=\"none\">\n", id);
    loc_fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W,
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
            loc_fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', cx(&c, m), cy(&c, v));
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
        loc_fprintf(f, "<p class=\"off\">%zu localit%s not tested (too few zones or residents).</p>\n", untested,
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
    loc_fprintf(f, "<g clip-path=\"url(#clip%zu)\">\n", id);
    loc_fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W, cy(&c, 0),
            cy(&c, 0));
    /* every band in one path: a report of all Scotland draws 22,000 */
    fputs("<path class=\"band\" d=\"", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_rest[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->diff[k]) && fu->size[k] > 0 &&
            isfinite(fu->limit[k]))
            loc_fprintf(f, "M%.0f %.0fV%.0f", cx(&c, fu->size[k]), cy(&c, -fu->limit[k]), cy(&c, fu->limit[k]));
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
    loc_fprintf(f, "<details><summary>%zu localit%s outside the limits on the worse side, %zu on the better side only"
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
            rep_put_anchor(r, k);
            fputs("\">", f);
            rep_esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
            fputs("</a></td><td>", f);
            rep_num(f, fu->value[k]);
            loc_fprintf(f, "</td><td>%s</td><td>", rep_flag_word(fu->flag_scotland[k] == LOC_FLAG_POORER ? 1
                                                                   : fu->flag_scotland[k] == LOC_FLAG_BETTER ? -1
                                                                                                              : 0));
            rep_num(f, fu->diff[k]);
            fputs("</td><td>", f);
            rep_num(f, fu->limit[k]);
            loc_fprintf(f, "</td><td>%s</td></tr>\n", rep_flag_word(fu->flag_rest[k] == LOC_FLAG_POORER ? 1
                                                           : fu->flag_rest[k] == LOC_FLAG_BETTER ? -1
                                                                                                 : 0));
        }
    fputs("</tbody></table></details>\n", f);
}

loc_status rep_put_funnel(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    loc_fprintf(f, "<figure class=\"funnel\" id=\"funnel-%zu\"", id + 1);
    if (fu->name) {
        fputs(" data-indicator=\"", f);
        rep_esc(f, fu->name);
        fputc('"', f);
    }
    fputs("><figcaption>", f);
    rep_esc(f, fu->label);
    fputs("</figcaption>\n", f);
    if (fu->note) {
        fputs("<p class=\"sub\">", f);
        rep_esc(f, fu->note);
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
