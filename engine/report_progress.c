/*
 * progress.html for a batch over releases: per locality, a small chart
 * per target and trend (the measure in each release with its interval,
 * the line to the targets), its status in words, the numbers in a table
 * beside it, and its plan flag in every release.
 */
#include "report_internal.h"
#include "localities/stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    loc_fprintf(f, "<svg class=\"pg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" aria-hidden=\"true\">", PW, PH,
            PW, PH);
    loc_fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#bbb\"/>", L, T, W, H);
    if (y0 < 0 && y1 > 0)
        loc_fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#888\" stroke-dasharray=\"2 2\"/>", L, GY(0), L + W);
    for (int yr = (int)ceil(x0); yr <= (int)x1; yr++)
        if (yr == (int)x0 || yr == (int)x1 || (yr - (int)x0) % 4 == 0)
            loc_fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%d</text>", GX(yr), PH - 6,
                    yr == (int)x1 ? "end" : yr == (int)x0 ? "start" : "middle", yr);
    loc_fprintf(f, "<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y1 - pad) + 4);
    rep_num(f, y1 - pad);
    loc_fprintf(f, "</text><text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y0 + pad) + 4);
    rep_num(f, y0 + pad);
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
                loc_fprintf(f, "<path class=\"tl\" d=\"M%.1f %.1fL%.1f %.1f\"/><circle class=\"tg\" cx=\"%.1f\" cy=\"%.1f\"/>",
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
            loc_fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', GX(years[k]), GY(v));
    }
    fputs("\"/>", f);
    for (size_t k = 0; k < nrel; k++) {
        double v = pcell(t, r, pc->v[0][k]), lo = pcell(t, r, pc->v[1][k]), hi = pcell(t, r, pc->v[2][k]);
        if (!isfinite(v))
            continue;
        if (isfinite(lo) && isfinite(hi))
            loc_fprintf(f, "<path class=\"ci\" d=\"M%.1f %.1fV%.1f\"/>", GX(years[k]), GY(lo), GY(hi));
        loc_fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\"/>", GX(years[k]), GY(v));
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
            rep_esc(f, releases[k]);
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
    fputs(rep_style_sheet, f);
    fputs(".prow{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin:.4em 0}"
          "svg.pg{max-width:100%;height:auto}svg.pg .vl{fill:none;stroke:#225ea8;stroke-width:1.5}"
          "svg.pg .ci{stroke:#225ea8;stroke-width:3;stroke-opacity:.35}svg.pg .pt{r:3.5px;fill:#225ea8}"
          "svg.pg .tl{stroke:#b2182b;stroke-dasharray:4 3;fill:none}svg.pg .tg{r:3px;fill:#fff;stroke:#b2182b}"
          "span.st{font-weight:bold}section.loc{border-top:1px solid #ccc;content-visibility:auto;"
          "contain-intrinsic-size:auto 400px}\n</style>\n</head>\n<body>\n", f);
    fputs("<header class=\"tb\"><h1>Progress across releases</h1><p>Releases: ", f);
    for (size_t k = 0; k < nrel; k++) {
        fputs(k ? ", " : "", f);
        rep_esc(f, releases[k]);
        loc_fprintf(f, " (%d)", years[k]);
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
        rep_esc(f, cn >= 0 && loc_csv_field(t, r, (size_t)cn)[0] ? loc_csv_field(t, r, (size_t)cn) : code);
        fputs(" <small>", f);
        rep_esc(f, code);
        fputs("</small></h3>\n", f);
        put_plan_flags(f, cmp, code, releases, nrel);
        for (size_t q = r; q < n; q++) {
            if (done[q] || strcmp(loc_csv_field(t, q, (size_t)cl), code))
                continue;
            done[q] = 1;
            int m = measure_of(loc_csv_field(t, q, (size_t)cm));
            int trend = !strcmp(loc_csv_field(t, q, (size_t)ck), "trend");
            fputs("<div class=\"prow\"><div><p><b>", f);
            rep_esc(f, loc_csv_field(t, q, (size_t)ci));
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
                rep_esc(f, loc_csv_field(t, q, (size_t)cnote));
            }
            fputs("</p></div><table class=\"data\"><thead><tr><th>Release</th><th>Value</th><th>Interval</th></tr>"
                  "</thead><tbody>", f);
            for (size_t k = 0; k < nrel; k++) {
                fputs("<tr><td>", f);
                rep_esc(f, releases[k]);
                fputs("</td><td class=\"n\">", f);
                rep_num(f, pcell(t, q, pc[m].v[0][k]));
                fputs("</td><td class=\"n\">", f);
                rep_num(f, pcell(t, q, pc[m].v[1][k]));
                fputs("&ndash;", f);
                rep_num(f, pcell(t, q, pc[m].v[2][k]));
                fputs("</td></tr>", f);
            }
            for (int i = 0; i < 3 && !trend; i++) {
                double tv = pcell(t, q, ct[i]);
                if (!isfinite(tv))
                    continue;
                static const char *const when[3] = {"target, 1 year", "target, 3 years", "target, 10 years"};
                loc_fprintf(f, "<tr><td>%s</td><td class=\"n\">", when[i]);
                rep_num(f, tv);
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
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    st = put_progress_page(ctx, af.f, progress, comparison, releases, years, nrel);
    return loc_afile_close(ctx, &af, st);
}
