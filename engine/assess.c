/*
 * Assessment of localities (see assess.h): sums per locality, council and
 * Scotland in one pass per indicator column, then the interval, the two
 * comparisons and the flag of every cell, the plan rule, the guidance
 * checks, and the two CSV tables.
 */
#include "localities/assess.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Sums kept per locality (and council, and Scotland) per indicator. */
enum { S_W, S_X, S_XX, S_WW, S_USED, S_MISS, NSUM };

struct loc_assess {
    loc_ctx *ctx;
    const loc_zones *z;
    const loc_partition *p;
    loc_assess_opts o;
    size_t nloc, nind, ncouncil;
    loc_assess_cell *cells;  /* nloc * nind * 2 */
    size_t *poorer;          /* nloc * 2 */
    uint8_t *qualifies, *over, *cross;
    int8_t *discont;
    size_t nqualifying, ntests;
    char rule[512];
};

void loc_assess_opts_init(loc_assess_opts *o)
{
    memset(o, 0, sizeof *o);
    o->conf = 0.998;
    o->fdr = 0;
    o->min_effect_rel = 0.25;
    o->min_effect_abs = 0;
    o->min_zones = 3;
    o->min_denom = 100;
    o->plan_min_poorer = 8;
    o->max_pop = 10000;
}

void loc_assess_destroy(loc_assess *a)
{
    if (!a)
        return;
    loc_ctx *ctx = a->ctx;
    loc_free(ctx, a->cells);
    loc_free(ctx, a->poorer);
    loc_free(ctx, a->qualifies);
    loc_free(ctx, a->over);
    loc_free(ctx, a->cross);
    loc_free(ctx, a->discont);
    loc_free(ctx, a);
}

static int counts_type(loc_ind_type t) { return t == LOC_IND_PROPORTION || t == LOC_IND_RATE; }

/* Multiplier from the method's scale to the shown units. */
static double shown(const loc_indicator *ind)
{
    switch (ind->type) {
    case LOC_IND_PROPORTION:
    case LOC_IND_SHARE: return 100;
    case LOC_IND_RATE: return ind->per > 0 ? ind->per : 1;
    default: return 1;
    }
}

/* Add zone i's values of indicator j into the sums s[NSUM]. */
static void add_zone(const loc_indicator *ind, double v0, double v1, double *s)
{
    if (counts_type(ind->type)) {
        if (!isfinite(v0) || !isfinite(v1)) {
            s[S_MISS] += 1;
            return;
        }
        s[S_X] += v0;
        s[S_W] += v1;
    } else if (ind->type == LOC_IND_SHARE) {
        if (!isfinite(v0) || !isfinite(v1)) {
            s[S_MISS] += 1;
            return;
        }
        s[S_W] += v1;
        s[S_X] += v0 <= ind->threshold ? v1 : 0;
        s[S_WW] += v1 * v1;
    } else {
        if (!isfinite(v0) || !isfinite(v1)) {
            s[S_MISS] += 1;
            return;
        }
        if (!(v1 > 0))
            return; /* no weight: counted nowhere, as in loc_stats_wmean */
        s[S_W] += v1;
        s[S_X] += v1 * v0;
        s[S_XX] += v1 * v0 * v0;
        s[S_WW] += v1 * v1;
    }
    s[S_USED] += 1;
}

/* A weighted-mean summary from sums (see loc_wmean). */
static loc_wmean wmean_of(const double *s)
{
    loc_wmean m = {0};
    m.sum_w = s[S_W];
    m.n_used = (size_t)s[S_USED];
    m.n_missing = (size_t)s[S_MISS];
    if (!(s[S_W] > 0))
        return m;
    m.mean = s[S_X] / s[S_W];
    m.n_eff = s[S_WW] > 0 ? s[S_W] * s[S_W] / s[S_WW] : 0;
    double ss = s[S_XX] - s[S_X] * s[S_X] / s[S_W];
    double den = s[S_W] - s[S_WW] / s[S_W];
    if (m.n_used >= 2 && den > 0 && m.n_eff > 0) {
        double var = (ss > 0 ? ss : 0) / den;
        m.se = sqrt(var / m.n_eff);
    }
    return m;
}

static void scale_interval(loc_interval *v, double k)
{
    v->est *= k;
    v->low *= k;
    v->high *= k;
}

static const loc_interval NAN_INTERVAL = {NAN, NAN, NAN};

/*
 * One cell: the locality's sums loc[], the comparator's sums cmp[] (the
 * council less the locality, or Scotland).  vs_ref: the comparator is a
 * known reference value (Scotland), else an independent sample.
 */
static void assess_cell(const loc_assess_opts *o, const loc_indicator *ind, const double *loc, const double *cmp,
                        int vs_ref, loc_assess_cell *c)
{
    double k = shown(ind);
    c->est = NAN_INTERVAL;
    c->diff = NAN_INTERVAL;
    c->cmp_value = NAN;
    c->p = NAN;
    c->flag = LOC_FLAG_UNRELIABLE;
    c->zones_used = (size_t)loc[S_USED];
    c->sum_x = loc[S_X];
    c->sum_w = loc[S_W];
    c->zones_missing = (size_t)loc[S_MISS];
    int reliable = c->zones_used >= o->min_zones;
    loc_status st = LOC_OK, sd = LOC_OK;
    loc_interval diff = NAN_INTERVAL;
    double p = NAN;
    int tested = 1;
    if (ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_SHARE) {
        double x = loc[S_X], n = loc[S_W];
        if (x > n)
            x = n; /* a rounded count above its denominator */
        reliable = reliable && n >= o->min_denom;
        if (ind->type == LOC_IND_SHARE) {
            /* a whole zone is in the most deprived group or not: residents
             * are not independent draws, zones are.  The interval is
             * Wilson's on Kish's effective number of zones, which keeps
             * the proportion and widens the interval to the zones' */
            double ne = loc[S_WW] > 0 ? n * n / loc[S_WW] : 0;
            x = n > 0 ? x / n * ne : 0;
            n = ne;
        }
        st = loc_stats_wilson(x, n, o->conf, &c->est);
        double cx = cmp[S_X], cn = cmp[S_W];
        if (cx > cn)
            cx = cn;
        if (ind->type == LOC_IND_SHARE && !vs_ref) {
            double ne = cmp[S_WW] > 0 ? cn * cn / cmp[S_WW] : 0;
            cx = cn > 0 ? cx / cn * ne : 0;
            cn = ne;
        }
        if (!(cn > 0)) {
            sd = LOC_EDATA;
        } else if (vs_ref) {
            c->cmp_value = cx / cn;
            sd = st ? st : loc_stats_vs_ref(&c->est, c->cmp_value, &diff);
            if (!sd)
                loc_stats_prop_ref_p(x, n, c->cmp_value, &p);
        } else {
            c->cmp_value = cx / cn;
            sd = loc_stats_newcombe(x, n, cx, cn, o->conf, &diff);
            if (!sd)
                loc_stats_prop_diff_p(x, n, cx, cn, &p);
        }
    } else if (ind->type == LOC_IND_RATE) {
        double x = loc[S_X], e = loc[S_W];
        reliable = reliable && e >= o->min_denom;
        st = loc_stats_rate(x, e, o->conf, LOC_STATS_EXACT_BELOW, &c->est);
        double cx = cmp[S_X], ce = cmp[S_W];
        if (!(ce > 0)) {
            sd = LOC_EDATA;
        } else if (vs_ref) {
            c->cmp_value = cx / ce;
            sd = st ? st : loc_stats_vs_ref(&c->est, c->cmp_value, &diff);
            if (!sd)
                loc_stats_rate_ref_p(x, e, c->cmp_value, &p);
        } else {
            c->cmp_value = cx / ce;
            sd = loc_stats_rate_diff(x, e, cx, ce, o->conf, LOC_STATS_EXACT_BELOW, &diff);
            if (!sd)
                loc_stats_rate_cmp_p(x, e, cx, ce, &p);
        }
    } else {
        loc_wmean m = wmean_of(loc), mc = wmean_of(cmp);
        tested = ind->method == LOC_METHOD_NORMAL;
        st = m.n_used ? loc_stats_wmean_ci(&m, o->conf, &c->est) : LOC_EDATA;
        if (st == LOC_EDATA && m.n_used) {
            /* a mean with no spread to measure: reported, not tested */
            c->est = (loc_interval){m.mean, NAN, NAN};
        }
        if (!(mc.sum_w > 0)) {
            sd = LOC_EDATA;
        } else if (vs_ref) {
            c->cmp_value = mc.mean;
            sd = st ? st : loc_stats_vs_ref(&c->est, mc.mean, &diff);
            if (!sd)
                loc_stats_wmean_ref_p(&m, mc.mean, &p);
        } else {
            c->cmp_value = mc.mean;
            sd = st ? st : loc_stats_wmean_diff(&m, &mc, o->conf, &diff);
            if (!sd)
                loc_stats_wmean_diff_p(&m, &mc, &p);
        }
        if (!m.n_used)
            c->est = NAN_INTERVAL;
    }
    if (st && ind->type != LOC_IND_RATIO && ind->type != LOC_IND_MEAN)
        c->est = NAN_INTERVAL;
    if (!isnan(c->est.est))
        scale_interval(&c->est, k);
    c->cmp_value *= k;
    if (sd || !reliable) {
        c->flag = LOC_FLAG_UNRELIABLE;
        return;
    }
    scale_interval(&diff, k);
    c->p = p;
    if (!tested) {
        /* reported only: the spec names no method for this indicator */
        c->flag = LOC_FLAG_SAME;
        c->p = NAN;
        return;
    }
    c->diff = diff;
    double min_effect = fmax(o->min_effect_abs, o->min_effect_rel * fabs(c->cmp_value));
    c->flag = loc_stats_flag(&c->diff, ind->higher_is_worse, min_effect, true);
}

/* Per-locality, per-council and national sums, one column at a time. */
static loc_status fill_sums(loc_assess *a, double *ls, double *cs, double *ns)
{
    const loc_zones *z = a->z;
    const int32_t *lab = loc_partition_labels(a->p), *council = loc_zones_councils(z);
    size_t nrows = loc_zones_count(z);
    for (size_t j = 0; j < a->nind; j++) {
        const loc_indicator *ind = loc_zones_indicator(z, j);
        const double *c0 = loc_zones_column(z, j, 0), *c1 = loc_zones_column(z, j, 1);
        const uint32_t *order = loc_zones_rows_by_code(z); /* sums independent of the sources' row order */
        for (size_t r = 0; r < nrows; r++) {
            size_t i = order[r];
            double v0 = c0[i], v1 = c1 ? c1[i] : NAN;
            add_zone(ind, v0, v1, ns + j * NSUM);
            if (council[i] >= 0)
                add_zone(ind, v0, v1, cs + ((size_t)council[i] * a->nind + j) * NSUM);
            if (lab[i] >= 0)
                add_zone(ind, v0, v1, ls + ((size_t)lab[i] * a->nind + j) * NSUM);
        }
    }
    return LOC_OK;
}

/* Flags from Benjamini-Hochberg q-values over every tested cell. */
static loc_status apply_fdr(loc_assess *a)
{
    size_t n = a->nloc * a->nind * 2;
    double *q = loc_malloc(a->ctx, (n ? n : 1) * sizeof *q);
    if (!q)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++)
        q[k] = a->cells[k].flag == LOC_FLAG_UNRELIABLE || isnan(a->cells[k].diff.est) ? NAN : a->cells[k].p;
    loc_status st = loc_stats_bh(a->ctx, q, n, q);
    for (size_t k = 0; k < n && !st; k++) {
        loc_assess_cell *c = &a->cells[k];
        if (isnan(q[k]))
            continue;
        const loc_indicator *ind = loc_zones_indicator(a->z, (k / 2) % a->nind);
        double min_effect = fmax(a->o.min_effect_abs, a->o.min_effect_rel * fabs(c->cmp_value));
        c->flag = loc_stats_flag_p(c->diff.est, q[k], a->o.fdr, ind->higher_is_worse, min_effect, true);
    }
    loc_free(a->ctx, q);
    return st;
}

/* Guidance: over the ceiling, spanning councils, not contiguous. */
static loc_status guidance(loc_assess *a, const loc_graph *g, const uint32_t *rows)
{
    const loc_partition *p = a->p;
    for (size_t k = 0; k < a->nloc; k++) {
        a->over[k] = loc_partition_population(p, k) > a->o.max_pop;
        a->cross[k] = loc_partition_ncouncils_of(p, k) > 1;
        a->discont[k] = -1;
    }
    if (!g)
        return LOC_OK;
    size_t nn = loc_graph_count(g), nrows = loc_zones_count(a->z);
    const int32_t *lab = loc_partition_labels(p);
    int32_t *node_lab = loc_malloc(a->ctx, (nn ? nn : 1) * sizeof *node_lab);
    uint32_t *queue = loc_malloc(a->ctx, (nn ? nn : 1) * sizeof *queue);
    uint8_t *seen = loc_calloc(a->ctx, nn ? nn : 1, 1);
    size_t *left = loc_calloc(a->ctx, a->nloc ? a->nloc : 1, sizeof *left);
    loc_status st = LOC_ENOMEM;
    if (!node_lab || !queue || !seen || !left)
        goto done;
    for (size_t i = 0; i < nn; i++) {
        node_lab[i] = rows[i] < nrows ? lab[rows[i]] : -1;
        if (node_lab[i] >= 0)
            left[node_lab[i]]++;
    }
    /* one search per locality from its first node: discontiguous when it
     * does not reach every node of the locality */
    for (size_t s = 0; s < nn; s++) {
        int32_t k = node_lab[s];
        if (k < 0 || a->discont[k] >= 0)
            continue;
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)s;
        seen[s] = 1;
        while (head < tail) {
            uint32_t v = queue[head++];
            for (size_t e = 0; e < loc_graph_degree(g, v); e++) {
                uint32_t w = loc_graph_neighbours(g, v)[e];
                if (!seen[w] && node_lab[w] == k) {
                    seen[w] = 1;
                    queue[tail++] = w;
                }
            }
        }
        a->discont[k] = tail != left[k];
    }
    st = LOC_OK;
done:
    loc_free(a->ctx, node_lab);
    loc_free(a->ctx, queue);
    loc_free(a->ctx, seen);
    loc_free(a->ctx, left);
    return st;
}

/* Plan rule and counts. */
static void summarise(loc_assess *a)
{
    a->nqualifying = 0;
    a->ntests = 0;
    int has_share = 0;
    for (size_t j = 0; j < a->nind; j++)
        has_share |= loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE;
    for (size_t k = 0; k < a->nloc; k++) {
        int share_poorer = 0;
        for (int c = 0; c < 2; c++) {
            size_t n = 0;
            for (size_t j = 0; j < a->nind; j++) {
                const loc_assess_cell *cell = &a->cells[(k * a->nind + j) * 2 + (size_t)c];
                n += cell->flag == LOC_FLAG_POORER;
                a->ntests += cell->flag != LOC_FLAG_UNRELIABLE && !isnan(cell->diff.est);
                if (cell->flag == LOC_FLAG_POORER && loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE)
                    share_poorer = 1;
            }
            a->poorer[k * 2 + (size_t)c] = n;
        }
        a->qualifies[k] = share_poorer || a->poorer[2 * k] >= a->o.plan_min_poorer ||
                          a->poorer[2 * k + 1] >= a->o.plan_min_poorer;
        a->nqualifying += a->qualifies[k];
    }
    char eff[96];
    if (a->o.min_effect_rel > 0 && a->o.min_effect_abs > 0)
        snprintf(eff, sizeof eff, "by at least %g%% of the comparator and %g", 100 * a->o.min_effect_rel,
                 a->o.min_effect_abs);
    else if (a->o.min_effect_rel > 0)
        snprintf(eff, sizeof eff, "by at least %g%% of the comparator", 100 * a->o.min_effect_rel);
    else if (a->o.min_effect_abs > 0)
        snprintf(eff, sizeof eff, "by at least %g", a->o.min_effect_abs);
    else
        snprintf(eff, sizeof eff, "by any amount");
    char sig[96];
    if (a->o.fdr > 0)
        snprintf(sig, sizeof sig, "Benjamini-Hochberg q < %g over %zu tests", a->o.fdr, a->ntests);
    else
        snprintf(sig, sizeof sig, "%g%% intervals", 100 * a->o.conf);
    snprintf(a->rule, sizeof a->rule,
             "a locality plan is needed where the locality is significantly poorer (%s, %s) than the rest of its "
             "council area or than Scotland %s%s%zu or more indicators",
             sig, eff, has_share ? "on the deprivation share, or on " : "on ", "", a->o.plan_min_poorer);
}

loc_assess *loc_assess_run(loc_ctx *ctx, const loc_zones *z, const loc_partition *p, const loc_assess_opts *opts,
                           const loc_graph *graph, const uint32_t *rows)
{
    loc_assess_opts o;
    if (opts)
        o = *opts;
    else
        loc_assess_opts_init(&o);
    if (!(o.conf > 0 && o.conf < 1) || !(o.fdr >= 0 && o.fdr < 1) || !(o.min_effect_rel >= 0) ||
        !(o.min_effect_abs >= 0) || !(o.min_denom >= 0) || !(o.max_pop > 0)) {
        loc_error(ctx, LOC_EINVAL, "assess: confidence must lie between 0 and 1, the FDR in [0, 1), effects, "
                                   "denominators and the ceiling must not be negative");
        return NULL;
    }
    if (graph && !rows) {
        loc_error(ctx, LOC_EINVAL, "assess: a graph needs its zone rows");
        return NULL;
    }
    loc_assess *a = loc_calloc(ctx, 1, sizeof *a);
    if (!a)
        return NULL;
    a->ctx = ctx;
    a->z = z;
    a->p = p;
    a->o = o;
    a->nloc = loc_partition_count(p);
    a->nind = loc_zones_nindicators(z);
    a->ncouncil = loc_zones_ncouncils(z);
    size_t nl = a->nloc ? a->nloc : 1, ni = a->nind ? a->nind : 1;
    double *ls = loc_calloc(ctx, nl * ni * NSUM, sizeof *ls);
    double *cs = loc_calloc(ctx, (a->ncouncil ? a->ncouncil : 1) * ni * NSUM, sizeof *cs);
    double *ns = loc_calloc(ctx, ni * NSUM, sizeof *ns);
    if (!ls || !cs || !ns || !(a->cells = loc_calloc(ctx, nl * ni * 2, sizeof *a->cells)) ||
        !(a->poorer = loc_calloc(ctx, nl * 2, sizeof *a->poorer)) || !(a->qualifies = loc_calloc(ctx, nl, 1)) ||
        !(a->over = loc_calloc(ctx, nl, 1)) || !(a->cross = loc_calloc(ctx, nl, 1)) ||
        !(a->discont = loc_calloc(ctx, nl, 1)))
        goto fail;
    fill_sums(a, ls, cs, ns);
    for (size_t k = 0; k < a->nloc; k++) {
        int32_t c = loc_partition_council(p, k);
        for (size_t j = 0; j < a->nind; j++) {
            const loc_indicator *ind = loc_zones_indicator(z, j);
            const double *l = ls + (k * a->nind + j) * NSUM;
            double rest[NSUM];
            loc_assess_cell *cell = &a->cells[(k * a->nind + j) * 2];
            if (c >= 0) {
                const double *cc = cs + ((size_t)c * a->nind + j) * NSUM;
                for (int m = 0; m < NSUM; m++)
                    rest[m] = cc[m] - l[m];
                /* the rest must hold zones; round-off must not make one */
                if (rest[S_USED] < 0.5)
                    memset(rest, 0, sizeof rest);
                assess_cell(&a->o, ind, l, rest, 0, &cell[LOC_CMP_COUNCIL_REST]);
            } else {
                memset(rest, 0, sizeof rest);
                assess_cell(&a->o, ind, l, rest, 0, &cell[LOC_CMP_COUNCIL_REST]);
            }
            assess_cell(&a->o, ind, l, ns + j * NSUM, 1, &cell[LOC_CMP_SCOTLAND]);
        }
    }
    if (a->o.fdr > 0 && apply_fdr(a))
        goto fail;
    if (guidance(a, graph, rows))
        goto fail;
    summarise(a);
    loc_free(ctx, ls);
    loc_free(ctx, cs);
    loc_free(ctx, ns);
    return a;
fail:
    loc_free(ctx, ls);
    loc_free(ctx, cs);
    loc_free(ctx, ns);
    loc_assess_destroy(a);
    return NULL;
}

const loc_assess_opts *loc_assess_options(const loc_assess *a) { return &a->o; }

const loc_assess_cell *loc_assess_cell_get(const loc_assess *a, size_t k, size_t j, loc_comparator c)
{
    return &a->cells[(k * a->nind + j) * 2 + (size_t)c];
}

size_t loc_assess_poorer(const loc_assess *a, size_t k, loc_comparator c) { return a->poorer[2 * k + (size_t)c]; }
int loc_assess_qualifies(const loc_assess *a, size_t k) { return a->qualifies[k]; }
int loc_assess_over_ceiling(const loc_assess *a, size_t k) { return a->over[k]; }
int loc_assess_discontiguous(const loc_assess *a, size_t k) { return a->discont[k]; }
int loc_assess_crosses_council(const loc_assess *a, size_t k) { return a->cross[k]; }
size_t loc_assess_nqualifying(const loc_assess *a) { return a->nqualifying; }
const char *loc_assess_rule(const loc_assess *a) { return a->rule; }
size_t loc_assess_ntests(const loc_assess *a) { return a->ntests; }

/* ---------------------------------------------------------------------
 * Tables
 * --------------------------------------------------------------------- */

/* A number with 6 significant digits, or nothing when not finite. */
static int put_num(FILE *f, double v)
{
    if (!isfinite(v))
        return 0;
    if (v == 0)
        v = 0; /* no "-0" */
    return fprintf(f, "%.6g", v) < 0 ? EOF : 0;
}

/* A sum of counts or weights: every digit it has. */
static int put_sum(FILE *f, double v)
{
    if (!isfinite(v))
        return 0;
    return fprintf(f, "%.15g", v == 0 ? 0 : v) < 0 ? EOF : 0;
}

static const char *cmp_name(int c) { return c == LOC_CMP_COUNCIL_REST ? "council_rest" : "scotland"; }

loc_status loc_assess_write_indicators(loc_ctx *ctx, const loc_assess *a, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    FILE *f = af.f;
    if (fputs("locality_code,indicator,comparator,estimate,ci_low,ci_high,comparator_value,diff_low,diff_high,flag,"
              "p_value,numerator,denominator,zones_used,zones_missing\n",
              f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t k = 0; k < a->nloc && !st; k++)
        for (size_t j = 0; j < a->nind && !st; j++)
            for (int c = 0; c < 2 && !st; c++) {
                const loc_assess_cell *cell = loc_assess_cell_get(a, k, j, (loc_comparator)c);
                int bad = loc_put_csv_field(f, loc_partition_code(a->p, k)) == EOF || fputc(',', f) == EOF ||
                          loc_put_csv_field(f, loc_zones_indicator(a->z, j)->name) == EOF ||
                          fprintf(f, ",%s,", cmp_name(c)) < 0 || put_num(f, cell->est.est) || fputc(',', f) == EOF ||
                          put_num(f, cell->est.low) || fputc(',', f) == EOF || put_num(f, cell->est.high) ||
                          fputc(',', f) == EOF || put_num(f, cell->cmp_value) || fputc(',', f) == EOF ||
                          put_num(f, cell->diff.low) || fputc(',', f) == EOF || put_num(f, cell->diff.high) ||
                          fprintf(f, ",%s,", loc_stats_flag_name(cell->flag)) < 0 || put_num(f, cell->p) ||
                          fputc(',', f) == EOF || put_sum(f, cell->sum_x) || fputc(',', f) == EOF ||
                          put_sum(f, cell->sum_w) ||
                          fprintf(f, ",%zu,%zu\n", cell->zones_used, cell->zones_missing) < 0;
                if (bad)
                    st = loc_afile_failed(ctx, &af);
            }
    return loc_afile_close(ctx, &af, st);
}

loc_status loc_assess_write_localities(loc_ctx *ctx, const loc_assess *a, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    FILE *f = af.f;
    if (fputs("locality_code,locality_name,council_code,council_name,population,zones,poorer_council_rest,"
              "poorer_scotland,plan_required,over_ceiling,not_contiguous,crosses_council\n",
              f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t k = 0; k < a->nloc && !st; k++) {
        int32_t c = loc_partition_council(a->p, k);
        size_t nz;
        loc_partition_members(a->p, k, &nz);
        int bad = loc_put_csv_field(f, loc_partition_code(a->p, k)) == EOF || fputc(',', f) == EOF ||
                  loc_put_csv_field(f, loc_partition_name(a->p, k)) == EOF || fputc(',', f) == EOF ||
                  loc_put_csv_field(f, c >= 0 ? loc_zones_council_code(a->z, (size_t)c) : "") == EOF ||
                  fputc(',', f) == EOF ||
                  loc_put_csv_field(f, c >= 0 ? loc_zones_council_name(a->z, (size_t)c) : "") == EOF ||
                  fprintf(f, ",%.0f,%zu,%zu,%zu,%d,%d,", loc_partition_population(a->p, k), nz, a->poorer[2 * k],
                          a->poorer[2 * k + 1], a->qualifies[k], a->over[k]) < 0 ||
                  (a->discont[k] >= 0 ? fprintf(f, "%d", a->discont[k]) < 0 : 0) ||
                  fprintf(f, ",%d\n", a->cross[k]) < 0;
        if (bad)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}
