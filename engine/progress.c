/*
 * Progress across releases (see include/localities/progress.h): the
 * targets file checked before the runs, then trajectories, statuses and
 * trends from the runs' own output tables.
 *
 * Working from the output tables (indicators.csv, localities.csv,
 * carried.csv) rather than from the assessment in memory keeps this module
 * apart from the runs: the batch runs its releases in parallel and each
 * frees its assessment when it has written it, and the tables carry every
 * figure needed (estimate, interval, comparator value, difference interval
 * and se).  A few thousand localities over three releases is a few tens of
 * thousands of hash look-ups, well under the batch's cost.
 */
#include "localities/progress.h"

#include "internal.h"
#include "localities/strmap.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REL 64
#define Z_NOISE 1.959963984540054 /* two-sided 95%: a change beyond it is not noise */

static const char *const MEASURES[3] = {"value", "gap_council", "gap_scotland"};
static const int HORIZON[3] = {1, 3, 10};

/* One release: its spec's view and, after the runs, its outputs. */
typedef struct rel {
    const char *name;
    int year;
    const loc_csv *spec;
    loc_strmap *ind;          /* indicator name -> spec row */
    long c_name, c_worse, c_cmp;
    const loc_csv *loc, *tab, *car; /* outputs, NULL when missing */
    loc_strmap *locrow;       /* locality code -> row of loc */
    loc_strmap *cell;         /* "code|indicator|comparator" -> row of tab */
    long t_est, t_lo, t_hi, t_cmp, t_dlo, t_dhi, t_se;
    double *most, *tot;       /* per row of loc: residents placed by most, all placed */
} rel;

/* One target row as given, before `*` and councils are expanded. */
typedef struct target {
    const char *who;      /* code, '*' or council code (borrowed from the targets table) */
    int kind;             /* 0 locality, 1 every plan locality, 2 council */
    const char *indicator;
    int measure;
    size_t baseline;
    int plan_year;
    double t[3];
    size_t line;
} target;

struct loc_progress {
    loc_ctx *ctx;
    rel r[MAX_REL];
    size_t nrel;
    const loc_csv *held;
    loc_strmap *loc_council; /* held locality code -> row of held (its council via c_council) */
    long h_loc, h_council;
    const char **codes;      /* held localities, first-seen order */
    size_t ncodes;
    target *tg;
    size_t ntg;
    loc_progress_row *rows;
    size_t nrows, cap;
    loc_arena *notes;        /* note strings and the cell map's keys */
};

const char *loc_progress_status_name(loc_progress_status s)
{
    static const char *const n[] = {"on_track", "off_track", "met", "too_early", "cannot_tell",
                                    "narrowed", "widened", "held"};
    return (unsigned)s < sizeof n / sizeof *n ? n[s] : "?";
}

int loc_progress_release_year(const char *name, const char *year_field)
{
    if (year_field && year_field[0]) {
        char *end;
        long y = strtol(year_field, &end, 10);
        while (*end == ' ')
            end++;
        return !*end && y >= 1000 && y <= 9999 ? (int)y : -1;
    }
    for (const char *s = name; s && *s; s++) {
        if (!isdigit((unsigned char)*s))
            continue;
        size_t n = 0;
        while (isdigit((unsigned char)s[n]))
            n++;
        if (n == 4)
            return atoi(s) > 0 ? (int)strtol(s, NULL, 10) : -1;
        s += n - 1;
    }
    return -1;
}

static const char *fld(const loc_csv *t, size_t r, long c) { return c >= 0 ? loc_csv_field(t, r, (size_t)c) : ""; }

/* A number or NaN (empty or not a number). */
static double num(const char *s)
{
    double v;
    return s[0] && loc_parse_number(s, &v) == LOC_NUM_OK ? v : NAN;
}

/* Row of the spec for indicator name in release k, -1 when absent. */
static long spec_row(const rel *r, const char *name) { return loc_strmap_get(r->ind, name); }

static int worse_higher(const rel *r, long row) { return strcmp(fld(r->spec, (size_t)row, r->c_worse), "lower") != 0; }

static const char *cmp_key(const rel *r, long row)
{
    const char *s = fld(r->spec, (size_t)row, r->c_cmp);
    while (*s == ' ')
        s++;
    return s;
}

/* The indicator of release k in the series of the baseline's indicator
 * (its comparable key), or NULL. */
static const char *in_release(const loc_progress *pr, size_t b, const char *indicator, size_t k)
{
    const rel *rb = &pr->r[b];
    long row = spec_row(rb, indicator);
    if (row < 0)
        return NULL;
    if (k == b)
        return indicator;
    const char *key = cmp_key(rb, row);
    if (!key[0])
        return NULL;
    const rel *rk = &pr->r[k];
    for (size_t i = 0; i < loc_csv_nrows(rk->spec); i++)
        if (strcmp(cmp_key(rk, (long)i), key) == 0)
            return fld(rk->spec, i, rk->c_name);
    return NULL;
}

void loc_progress_destroy(loc_progress *pr)
{
    if (!pr)
        return;
    loc_ctx *ctx = pr->ctx;
    for (size_t k = 0; k < pr->nrel; k++) {
        loc_strmap_destroy(pr->r[k].ind);
        loc_strmap_destroy(pr->r[k].locrow);
        loc_strmap_destroy(pr->r[k].cell);
        loc_free(ctx, pr->r[k].most);
        loc_free(ctx, pr->r[k].tot);
    }
    loc_strmap_destroy(pr->loc_council);
    loc_free(ctx, pr->codes);
    loc_free(ctx, pr->tg);
    loc_free(ctx, pr->rows);
    loc_arena_destroy(pr->notes);
    loc_free(ctx, pr);
}

/* Check one target row; LOC_EDATA naming the line. */
static loc_status read_target(loc_ctx *ctx, loc_progress *pr, const loc_csv *t, size_t r, const long *c, target *out)
{
    const char *file = loc_csv_name(t);
    size_t line = loc_csv_line(t, r);
    memset(out, 0, sizeof *out);
    out->line = line;
    out->who = fld(t, r, c[0]);
    if (!out->who[0])
        return loc_error(ctx, LOC_EDATA, "'%s' line %zu: no locality", file, line);
    if (strcmp(out->who, "*") == 0) {
        out->kind = 1;
    } else if (loc_strmap_get(pr->loc_council, out->who) >= 0) {
        out->kind = 0;
    } else {
        int council = 0;
        for (size_t i = 0; !council && i < loc_csv_nrows(pr->held); i++)
            council = strcmp(fld(pr->held, i, pr->h_council), out->who) == 0;
        if (!council)
            return loc_error(ctx, LOC_EDATA, "'%s' line %zu: unknown locality '%s' (not a held locality, '*' or a council code)",
                             file, line, out->who);
        out->kind = 2;
    }
    const char *bname = fld(t, r, c[2]);
    size_t b = pr->nrel;
    for (size_t k = 0; k < pr->nrel; k++)
        if (strcmp(pr->r[k].name, bname) == 0)
            b = k;
    if (b == pr->nrel)
        return loc_error(ctx, LOC_EDATA, "'%s' line %zu: unknown baseline release '%s'", file, line, bname);
    out->baseline = b;
    out->indicator = fld(t, r, c[1]);
    long srow = spec_row(&pr->r[b], out->indicator);
    /* a name from another release stands for its series in the baseline's */
    for (size_t k = 0; srow < 0 && k < pr->nrel; k++) {
        long row = spec_row(&pr->r[k], out->indicator);
        const char *key = row >= 0 ? cmp_key(&pr->r[k], row) : "";
        for (size_t i = 0; key[0] && srow < 0 && i < loc_csv_nrows(pr->r[b].spec); i++)
            if (strcmp(cmp_key(&pr->r[b], (long)i), key) == 0) {
                srow = (long)i;
                out->indicator = fld(pr->r[b].spec, i, pr->r[b].c_name);
            }
    }
    if (srow < 0)
        return loc_error(ctx, LOC_EDATA, "'%s' line %zu: unknown indicator '%s' (not in the spec of %s)", file, line,
                         out->indicator, bname);
    for (size_t k = b + 1; k < pr->nrel; k++)
        if (pr->r[k].year > pr->r[b].year && !in_release(pr, b, out->indicator, k))
            return loc_error(ctx, LOC_EDATA,
                             "'%s' line %zu: indicator '%s' cannot be followed from %s to %s (no matching 'comparable' key in "
                             "the specs)",
                             file, line, out->indicator, bname, pr->r[k].name);
    const char *m = fld(t, r, c[3]);
    out->measure = -1;
    for (int q = 0; q < 3; q++)
        if (strcmp(m, MEASURES[q]) == 0)
            out->measure = q;
    if (out->measure < 0)
        return loc_error(ctx, LOC_EDATA, "'%s' line %zu: measure must be value, gap_council or gap_scotland, not '%s'",
                         file, line, m);
    const char *py = fld(t, r, c[7]);
    out->plan_year = pr->r[b].year;
    if (py[0]) {
        double y = num(py);
        if (!(y >= 1000 && y <= 9999) || y != floor(y))
            return loc_error(ctx, LOC_EDATA, "'%s' line %zu: plan_year is not a year: '%s'", file, line, py);
        if ((int)y < pr->r[b].year)
            return loc_error(ctx, LOC_EDATA, "'%s' line %zu: plan_year %d is before the baseline %s (%d)", file, line,
                             (int)y, bname, pr->r[b].year);
        out->plan_year = (int)y;
    }
    int hiw = worse_higher(&pr->r[b], srow);
    int any = 0;
    double prev = NAN;
    int prev_h = 0;
    for (int h = 0; h < 3; h++) {
        const char *s = fld(t, r, c[4 + h]);
        out->t[h] = NAN;
        if (!s[0])
            continue;
        if (loc_parse_number(s, &out->t[h]) != LOC_NUM_OK || !isfinite(out->t[h]))
            return loc_error(ctx, LOC_EDATA, "'%s' line %zu: the %d-year target is not a number: '%s'", file, line,
                             HORIZON[h], s);
        if (!isnan(prev) && (hiw ? out->t[h] > prev : out->t[h] < prev))
            return loc_error(ctx, LOC_EDATA,
                             "'%s' line %zu: the %d-year target %g is worse than the %d-year target %g (a %s %s is worse)",
                             file, line, HORIZON[h], out->t[h], prev_h, prev, hiw ? "higher" : "lower", out->indicator);
        prev = out->t[h];
        prev_h = HORIZON[h];
        any = 1;
    }
    if (!any)
        return loc_error(ctx, LOC_EDATA, "'%s' line %zu: no target (give target_1y, target_3y or target_10y)", file, line);
    return LOC_OK;
}

loc_progress *loc_progress_create(loc_ctx *ctx, const loc_progress_release *rl, size_t nrel, const loc_csv *held,
                                  const loc_csv *targets)
{
    loc_progress *pr = NULL;
    if (!nrel || nrel > MAX_REL || !held) {
        loc_error(ctx, LOC_EINVAL, "progress needs 1 to %d releases and the held localities", MAX_REL);
        return NULL;
    }
    if (!(pr = loc_calloc(ctx, 1, sizeof *pr)))
        return NULL;
    pr->ctx = ctx;
    pr->held = held;
    if (!(pr->notes = loc_arena_create(ctx)))
        goto fail;
    for (size_t k = 0; k < nrel; k++) {
        rel *r = &pr->r[k];
        pr->nrel++;
        r->name = rl[k].name;
        r->year = rl[k].year;
        r->spec = rl[k].spec;
        r->c_name = loc_csv_column(r->spec, "name");
        r->c_worse = loc_csv_column(r->spec, "worse");
        r->c_cmp = loc_csv_column(r->spec, "comparable");
        if (r->c_name < 0) {
            loc_error(ctx, LOC_EDATA, "'%s': no column 'name'", loc_csv_name(r->spec));
            goto fail;
        }
        if (!(r->ind = loc_strmap_create(ctx, loc_csv_nrows(r->spec) + 1)))
            goto fail;
        for (size_t i = 0; i < loc_csv_nrows(r->spec); i++)
            if (loc_strmap_put(r->ind, fld(r->spec, i, r->c_name), (long)i, NULL))
                goto fail;
    }
    pr->h_loc = loc_csv_column(held, "locality_code");
    pr->h_council = loc_csv_column(held, "council_code");
    if (pr->h_loc < 0 || pr->h_council < 0) {
        loc_error(ctx, LOC_EDATA, "'%s': held localities need columns locality_code and council_code", loc_csv_name(held));
        goto fail;
    }
    size_t nh = loc_csv_nrows(held);
    if (!(pr->loc_council = loc_strmap_create(ctx, nh + 1)) || !(pr->codes = loc_calloc(ctx, nh + 1, sizeof *pr->codes)))
        goto fail;
    for (size_t i = 0; i < nh; i++) {
        long have;
        if (loc_strmap_put(pr->loc_council, fld(held, i, pr->h_loc), (long)i, &have))
            goto fail;
        if (have < 0)
            pr->codes[pr->ncodes++] = fld(held, i, pr->h_loc);
    }
    if (targets) {
        static const char *const cols[8] = {"locality", "indicator", "baseline", "measure",
                                            "target_1y", "target_3y", "target_10y", "plan_year"};
        long c[8];
        for (int q = 0; q < 8; q++) {
            c[q] = loc_csv_column(targets, cols[q]);
            if (q < 4 && c[q] < 0) {
                loc_error(ctx, LOC_EDATA, "'%s': no column '%s' (a targets file needs locality, indicator, baseline, "
                                          "measure and target_1y, target_3y or target_10y)",
                          loc_csv_name(targets), cols[q]);
                goto fail;
            }
        }
        if (!(pr->tg = loc_calloc(ctx, loc_csv_nrows(targets) + 1, sizeof *pr->tg)))
            goto fail;
        for (size_t i = 0; i < loc_csv_nrows(targets); i++) {
            if (read_target(ctx, pr, targets, i, c, &pr->tg[pr->ntg]))
                goto fail;
            pr->ntg++;
        }
    }
    return pr;
fail:
    loc_progress_destroy(pr);
    return NULL;
}

loc_status loc_progress_add_outputs(loc_ctx *ctx, loc_progress *pr, size_t k, const loc_csv *localities,
                                    const loc_csv *indicators, const loc_csv *carried)
{
    if (k >= pr->nrel || !localities || !indicators)
        return loc_error(ctx, LOC_EINVAL, "progress: no release %zu", k);
    rel *r = &pr->r[k];
    r->loc = localities;
    r->tab = indicators;
    r->car = carried;
    r->t_est = loc_csv_column(indicators, "estimate");
    r->t_lo = loc_csv_column(indicators, "ci_low");
    r->t_hi = loc_csv_column(indicators, "ci_high");
    r->t_cmp = loc_csv_column(indicators, "comparator_value");
    r->t_dlo = loc_csv_column(indicators, "diff_low");
    r->t_dhi = loc_csv_column(indicators, "diff_high");
    r->t_se = loc_csv_column(indicators, "se");
    long li = loc_csv_column(indicators, "locality_code"), ii = loc_csv_column(indicators, "indicator"),
         ci = loc_csv_column(indicators, "comparator"), ll = loc_csv_column(localities, "locality_code");
    if (r->t_est < 0 || r->t_se < 0 || r->t_cmp < 0 || li < 0 || ii < 0 || ci < 0 || ll < 0) {
        r->loc = r->tab = NULL;
        return loc_error(ctx, LOC_EDATA, "'%s': not an indicators.csv with se (or '%s' not a localities.csv)",
                         loc_csv_name(indicators), loc_csv_name(localities));
    }
    size_t nl = loc_csv_nrows(localities), nt = loc_csv_nrows(indicators);
    loc_strmap_destroy(r->locrow);
    loc_strmap_destroy(r->cell);
    loc_free(ctx, r->most);
    loc_free(ctx, r->tot);
    r->most = r->tot = NULL;
    if (!(r->locrow = loc_strmap_create(ctx, nl + 1)) || !(r->cell = loc_strmap_create(ctx, nt + 1)) ||
        !(r->most = loc_calloc(ctx, nl + 1, sizeof *r->most)) || !(r->tot = loc_calloc(ctx, nl + 1, sizeof *r->tot)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < nl; i++)
        if (loc_strmap_put(r->locrow, fld(localities, i, ll), (long)i, NULL))
            return LOC_ENOMEM;
    char key[512];
    for (size_t i = 0; i < nt; i++) {
        snprintf(key, sizeof key, "%s|%s|%s", fld(indicators, i, li), fld(indicators, i, ii), fld(indicators, i, ci));
        const char *kept = loc_arena_strdup(pr->notes, key); /* the map borrows its keys */
        if (!kept || loc_strmap_put(r->cell, kept, (long)i, NULL))
            return LOC_ENOMEM;
    }
    if (carried) {
        long cl = loc_csv_column(carried, "locality_code"), cp = loc_csv_column(carried, "placement"),
             cn = loc_csv_column(carried, "population");
        for (size_t i = 0; cl >= 0 && cp >= 0 && cn >= 0 && i < loc_csv_nrows(carried); i++) {
            long row = loc_strmap_get(r->locrow, fld(carried, i, cl));
            double pop = num(fld(carried, i, cn));
            if (row < 0 || isnan(pop))
                continue;
            r->tot[row] += pop;
            if (strcmp(fld(carried, i, cp), "most") == 0)
                r->most[row] += pop;
        }
    }
    return LOC_OK;
}

/* One measure of a locality in release k: value (or gap), interval, se.
 * 0 when the release, the locality or the cell is missing or unusable. */
typedef struct obs {
    double v, lo, hi, se;
} obs;

static int observe(const loc_progress *pr, size_t k, const char *code, const char *indicator, int measure, obs *o)
{
    const rel *r = &pr->r[k];
    if (!r->tab || !indicator)
        return 0;
    char key[512];
    snprintf(key, sizeof key, "%s|%s|%s", code, indicator, measure == 1 ? "council_rest" : "scotland");
    long row = loc_strmap_get(r->cell, key);
    if (row < 0)
        return 0;
    double est = num(fld(r->tab, (size_t)row, r->t_est)), se = num(fld(r->tab, (size_t)row, r->t_se));
    if (!isfinite(est) || !(se > 0))
        return 0;
    o->se = se;
    if (measure == 0) {
        o->v = est;
        o->lo = num(fld(r->tab, (size_t)row, r->t_lo));
        o->hi = num(fld(r->tab, (size_t)row, r->t_hi));
    } else {
        double cmp = num(fld(r->tab, (size_t)row, r->t_cmp));
        if (!isfinite(cmp))
            return 0;
        o->v = est - cmp;
        o->lo = num(fld(r->tab, (size_t)row, r->t_dlo));
        o->hi = num(fld(r->tab, (size_t)row, r->t_dhi));
    }
    return 1;
}

/* The target line at year y: straight between the baseline and each
 * target in turn, the last target after it. */
static double line_at(const target *t, double base, double y)
{
    double x0 = t->plan_year, v0 = base;
    for (int h = 0; h < 3; h++) {
        if (isnan(t->t[h]))
            continue;
        double x1 = t->plan_year + HORIZON[h];
        if (y <= x1)
            return v0 + (t->t[h] - v0) * (y - x0) / (x1 - x0);
        x0 = x1;
        v0 = t->t[h];
    }
    return v0;
}

static loc_status add_row(loc_progress *pr, const loc_progress_row *row)
{
    if (loc_grow(pr->ctx, (void **)&pr->rows, &pr->cap, pr->nrows + 1, sizeof *pr->rows))
        return LOC_ENOMEM;
    pr->rows[pr->nrows++] = *row;
    return LOC_OK;
}

static int plan_in(const loc_progress *pr, size_t k, const char *code)
{
    const rel *r = &pr->r[k];
    if (!r->loc)
        return 0;
    long row = loc_strmap_get(r->locrow, code);
    long c = loc_csv_column(r->loc, "plan_required");
    return row >= 0 && c >= 0 && strcmp(fld(r->loc, (size_t)row, c), "1") == 0;
}

/* Notes on the releases missing a value and those whose locality was
 * carried by most residents (its zones changed). */
static void describe(const loc_progress *pr, const char *code, const char *indicator, size_t b, int measure, char *buf,
                     size_t size)
{
    size_t len = strlen(buf);
    for (size_t k = 0; k < pr->nrel; k++) {
        obs o;
        const rel *r = &pr->r[k];
        if (!observe(pr, k, code, in_release(pr, b, indicator, k), measure, &o))
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%smissing in %s", len ? "; " : "", r->name);
        else {
            long row = loc_strmap_get(r->locrow, code);
            if (row >= 0 && r->most[row] > 0 && r->tot[row] > 0)
                len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
                                        "%s%s: %.0f%% of residents placed by most (zones changed)", len ? "; " : "",
                                        r->name, 100.0 * r->most[row] / r->tot[row]);
        }
        if (len >= size)
            break;
    }
}

static loc_status one_target(loc_progress *pr, const target *t, const char *code)
{
    loc_progress_row row;
    memset(&row, 0, sizeof row);
    row.locality = code;
    row.indicator = t->indicator;
    row.measure = t->measure;
    row.baseline = t->baseline;
    row.plan_year = t->plan_year;
    row.line = t->line;
    memcpy(row.target, t->t, sizeof row.target);
    row.latest = (size_t)-1;
    row.expected = row.change = row.change_se = NAN;
    char note[1024] = "";
    const rel *rb = &pr->r[t->baseline];
    int hiw = worse_higher(rb, spec_row(rb, t->indicator));
    double final = NAN;
    for (int h = 0; h < 3; h++)
        if (!isnan(t->t[h]))
            final = t->t[h];
    obs ob, ol;
    int later = 0;
    for (size_t k = 0; k < pr->nrel; k++) {
        if (pr->r[k].year <= t->plan_year || k == t->baseline)
            continue;
        later = 1;
        if (observe(pr, k, code, in_release(pr, t->baseline, t->indicator, k), t->measure, &ol) &&
            (row.latest == (size_t)-1 || pr->r[k].year > pr->r[row.latest].year))
            row.latest = k;
    }
    if (!observe(pr, t->baseline, code, t->indicator, t->measure, &ob)) {
        row.status = LOC_PROG_CANNOT_TELL;
        snprintf(note, sizeof note, "no baseline value");
    } else if ((hiw ? ob.v <= final : ob.v >= final) && row.latest == (size_t)-1) {
        row.status = LOC_PROG_MET;
        snprintf(note, sizeof note, "met at baseline");
    } else if ((hiw ? ob.v <= final : ob.v >= final)) {
        /* met at the baseline: still met, or lost since (beyond the noise or not) */
        observe(pr, row.latest, code, in_release(pr, t->baseline, t->indicator, row.latest), t->measure, &ol);
        row.change = ol.v - ob.v;
        row.change_se = sqrt(ob.se * ob.se + ol.se * ol.se);
        row.expected = final;
        double short_by = (ol.v - final) * (hiw ? 1.0 : -1.0);
        if (short_by <= 0) {
            row.status = LOC_PROG_MET;
            snprintf(note, sizeof note, "met at baseline and still met");
        } else if (row.change * (hiw ? 1.0 : -1.0) > Z_NOISE * row.change_se) {
            row.status = LOC_PROG_OFF_TRACK;
            snprintf(note, sizeof note, "met at baseline, lost since (worsened beyond the noise)");
        } else {
            row.status = LOC_PROG_CANNOT_TELL;
            snprintf(note, sizeof note, "met at baseline, short of it now within the noise");
        }
    } else if (!later) {
        row.status = LOC_PROG_TOO_EARLY;
        snprintf(note, sizeof note, "no release after %d", t->plan_year);
    } else if (row.latest == (size_t)-1) {
        row.status = LOC_PROG_CANNOT_TELL;
        snprintf(note, sizeof note, "no later value");
    } else {
        observe(pr, row.latest, code, in_release(pr, t->baseline, t->indicator, row.latest), t->measure, &ol);
        double sign = hiw ? 1.0 : -1.0; /* positive: worse */
        row.expected = line_at(t, ob.v, pr->r[row.latest].year);
        row.change = ol.v - ob.v;
        row.change_se = sqrt(ob.se * ob.se + ol.se * ol.se);
        double noise = Z_NOISE * row.change_se;
        double behind = (ol.v - row.expected) * sign, worsened = row.change * sign;
        if ((hiw ? ol.v <= final : ol.v >= final)) {
            row.status = LOC_PROG_MET;
        } else if (behind > noise) {
            row.status = LOC_PROG_OFF_TRACK;
            snprintf(note, sizeof note, "behind the target line by more than the noise");
        } else if (behind < -noise) {
            row.status = LOC_PROG_ON_TRACK;
            snprintf(note, sizeof note, "ahead of the target line by more than the noise");
        } else if (worsened < -noise) {
            row.status = LOC_PROG_ON_TRACK;
            snprintf(note, sizeof note, "improved beyond the noise, near the target line");
        } else if (worsened > noise) {
            row.status = LOC_PROG_OFF_TRACK;
            snprintf(note, sizeof note, "worsened beyond the noise");
        } else {
            row.status = LOC_PROG_CANNOT_TELL;
            snprintf(note, sizeof note, "the change lies within the noise");
        }
    }
    describe(pr, code, t->indicator, t->baseline, t->measure, note, sizeof note);
    if (!(row.note = loc_arena_strdup(pr->notes, note)))
        return LOC_ENOMEM;
    return add_row(pr, &row);
}

/* The gap to the rest of the council between the first and the last
 * release with outputs, for every comparable indicator of the first. */
static loc_status trends(loc_progress *pr)
{
    size_t first = pr->nrel, last = pr->nrel;
    for (size_t k = 0; k < pr->nrel; k++)
        if (pr->r[k].tab) {
            if (first == pr->nrel || pr->r[k].year < pr->r[first].year)
                first = k;
            if (last == pr->nrel || pr->r[k].year > pr->r[last].year)
                last = k;
        }
    if (first == pr->nrel || first == last)
        return LOC_OK;
    const rel *rf = &pr->r[first];
    for (size_t j = 0; j < loc_csv_nrows(rf->spec); j++) {
        if (!cmp_key(rf, (long)j)[0])
            continue;
        const char *ind = fld(rf->spec, j, rf->c_name);
        const char *ind_last = in_release(pr, first, ind, last);
        if (!ind_last)
            continue;
        for (size_t i = 0; i < pr->ncodes; i++) {
            loc_progress_row row;
            memset(&row, 0, sizeof row);
            row.is_trend = 1;
            row.locality = pr->codes[i];
            row.indicator = ind;
            row.measure = 1;
            row.baseline = first;
            row.plan_year = rf->year;
            row.target[0] = row.target[1] = row.target[2] = row.expected = row.change = row.change_se = NAN;
            row.latest = last;
            char note[1024] = "";
            obs a, z;
            if (!observe(pr, first, row.locality, ind, 1, &a) || !observe(pr, last, row.locality, ind_last, 1, &z)) {
                row.status = LOC_PROG_CANNOT_TELL;
            } else {
                row.change = z.v - a.v;
                row.change_se = sqrt(a.se * a.se + z.se * z.se);
                if (fabs(row.change) <= Z_NOISE * row.change_se)
                    row.status = LOC_PROG_HELD;
                else /* towards (or past) nought from the baseline's side: narrowed; away: widened */
                    row.status = (a.v > 0 && row.change < 0) || (a.v < 0 && row.change > 0) ? LOC_PROG_NARROWED
                                                                                          : LOC_PROG_WIDENED;
                if ((a.v > 0 && z.v < 0) || (a.v < 0 && z.v > 0))
                    snprintf(note, sizeof note, "the gap changed sign");
            }
            describe(pr, row.locality, ind, first, 1, note, sizeof note);
            if (!(row.note = loc_arena_strdup(pr->notes, note)) || add_row(pr, &row))
                return LOC_ENOMEM;
        }
    }
    return LOC_OK;
}

loc_status loc_progress_finish(loc_ctx *ctx, loc_progress *pr)
{
    (void)ctx;
    pr->nrows = 0;
    for (size_t g = 0; g < pr->ntg; g++) {
        const target *t = &pr->tg[g];
        if (t->kind == 0) {
            if (one_target(pr, t, t->who))
                return LOC_ENOMEM;
            continue;
        }
        for (size_t i = 0; i < pr->ncodes; i++) {
            const char *code = pr->codes[i];
            if (t->kind == 1 && !plan_in(pr, t->baseline, code))
                continue;
            if (t->kind == 2 &&
                strcmp(fld(pr->held, (size_t)loc_strmap_get(pr->loc_council, code), pr->h_council), t->who) != 0)
                continue;
            if (one_target(pr, t, code))
                return LOC_ENOMEM;
        }
    }
    return trends(pr);
}

size_t loc_progress_nrows(const loc_progress *pr) { return pr->nrows; }

const loc_progress_row *loc_progress_row_get(const loc_progress *pr, size_t i)
{
    return i < pr->nrows ? &pr->rows[i] : NULL;
}

void loc_progress_trend_counts(const loc_progress *pr, const char *indicator, int plan_only, size_t counts[4])
{
    counts[0] = counts[1] = counts[2] = counts[3] = 0;
    for (size_t i = 0; i < pr->nrows; i++) {
        const loc_progress_row *w = &pr->rows[i];
        if (!w->is_trend || strcmp(w->indicator, indicator) != 0 || (plan_only && !plan_in(pr, w->baseline, w->locality)))
            continue;
        counts[w->status == LOC_PROG_NARROWED ? 0 : w->status == LOC_PROG_WIDENED ? 1 : w->status == LOC_PROG_HELD ? 2 : 3]++;
    }
}

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        loc_fprintf(f, ",%.6g", v);
    else
        fputc(',', f);
}

loc_status loc_progress_write(loc_ctx *ctx, const loc_progress *pr, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    FILE *f = af.f;
    loc_fprintf(f, "kind,locality_code,locality_name,council_code,indicator,measure,baseline,plan_year,target_1y,target_3y,"
               "target_10y");
    for (size_t k = 0; k < pr->nrel; k++)
        for (int q = 0; q < 3; q++)
            loc_fprintf(f, ",%s_%s,%s_%s_low,%s_%s_high", pr->r[k].name, MEASURES[q], pr->r[k].name, MEASURES[q],
                    pr->r[k].name, MEASURES[q]);
    loc_fprintf(f, ",latest,expected,change,change_se,status,note\n");
    for (size_t i = 0; i < pr->nrows; i++) {
        const loc_progress_row *w = &pr->rows[i];
        const char *name = "";
        for (size_t k = 0; k < pr->nrel && !name[0]; k++) {
            const rel *r = &pr->r[k];
            long row = r->loc ? loc_strmap_get(r->locrow, w->locality) : -1;
            long c = r->loc ? loc_csv_column(r->loc, "locality_name") : -1;
            if (row >= 0 && c >= 0)
                name = fld(r->loc, (size_t)row, c);
        }
        fputs(w->is_trend ? "trend," : "target,", f);
        loc_put_csv_field(f, w->locality);
        fputc(',', f);
        loc_put_csv_field(f, name);
        fputc(',', f);
        loc_put_csv_field(f, fld(pr->held, (size_t)loc_strmap_get(pr->loc_council, w->locality), pr->h_council));
        fputc(',', f);
        loc_put_csv_field(f, w->indicator);
        loc_fprintf(f, ",%s,%s,%d", MEASURES[w->measure], pr->r[w->baseline].name, w->plan_year);
        for (int h = 0; h < 3; h++)
            put_num(f, w->target[h]);
        for (size_t k = 0; k < pr->nrel; k++) {
            const char *ind = in_release(pr, w->baseline, w->indicator, k);
            for (int q = 0; q < 3; q++) {
                obs o;
                if (observe(pr, k, w->locality, ind, q, &o)) {
                    put_num(f, o.v);
                    put_num(f, o.lo);
                    put_num(f, o.hi);
                } else {
                    fputs(",,,", f);
                }
            }
        }
        loc_fprintf(f, ",%s", w->latest < pr->nrel ? pr->r[w->latest].name : "");
        put_num(f, w->expected);
        put_num(f, w->change);
        put_num(f, w->change_se);
        loc_fprintf(f, ",%s,", loc_progress_status_name(w->status));
        loc_put_csv_field(f, w->note);
        if (fputc('\n', f) == EOF) {
            st = loc_afile_failed(ctx, &af);
            break;
        }
    }
    if (!st && ferror(f))
        st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}
