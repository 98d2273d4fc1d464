/*
 * Assessment of localities (see assess.h): sums per locality, council and
 * Scotland in one pass per indicator column, then the interval, the two
 * comparisons and the flag of every cell, the plan rule, the guidance
 * checks.  Its tables, the writers' attribute columns and the report's
 * funnels are assess_out.c's.
 */
#include "localities/assess.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assess_internal.h"

void loc_assess_opts_init(loc_assess_opts *o)
{
    memset(o, 0, sizeof *o);
    o->conf = 0.998;
    o->fdr = 0;
    o->fdr_method = LOC_FDR_BY;
    o->od = LOC_OD_ZONES;
    o->winsor = 0.1;
    o->od_min_units = 10;
    o->effects_from_spec = 1;
    o->min_effect_rel = 0.25;
    o->min_effect_abs = 0;
    o->min_zones = 3;
    o->min_denom = 100;
    o->plan_min_domains = 2;
    o->plan_min_poorer = 0;
    o->max_pop = 10000;
}

void loc_assess_destroy(loc_assess *a)
{
    if (!a)
        return;
    loc_ctx *ctx = a->ctx;
    for (size_t k = 0; k < a->nloc; k++) {
        if (a->reason)
            loc_free(ctx, a->reason[k]);
        if (a->brief)
            loc_free(ctx, a->brief[k]);
    }
    void *arrays[] = {a->cells, a->tins, a->ls, a->cs, a->ns, a->disp, a->tested, a->a0, a->nat, a->sd, a->within, a->zone_w,
                      a->effect, a->effect_rel, a->domains, a->domain_of, a->poorer, a->pdomains, a->qualifies,
                      a->over, a->cross, a->share_poorer, a->discont, a->reason, a->brief};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        loc_free(ctx, arrays[i]);
    loc_free(ctx, a);
}

static int counts_type(loc_ind_type t) { return t == LOC_IND_PROPORTION || t == LOC_IND_RATE; }


/* Tested: proportions, rates and shares always; ratios and means when the
 * spec's method says normal. */
static int is_tested(const loc_indicator *ind)
{
    if (ind->type == LOC_IND_RATIO || ind->type == LOC_IND_MEAN)
        return ind->method == LOC_METHOD_NORMAL;
    return 1;
}

/* Add zone i's values of indicator j into the sums s[NSUM]. */
static void add_zone(const loc_indicator *ind, double v0, double v1, int sup, double *s)
{
    if (!isfinite(v0) || !isfinite(v1)) {
        s[S_MISS] += 1;
        return;
    }
    if (counts_type(ind->type)) {
        if (!(v1 > 0))
            return; /* the join leaves such zones out; kept for a table built by hand */
        s[S_X] += v0;
        s[S_W] += v1;
        s[S_XX] += v0 * v0 / v1;
        s[S_WW] += v1 * v1;
        s[S_SUP] += sup;
    } else {
        if (!(v1 > 0))
            return; /* no weight: counted nowhere, as in loc_stats_wmean */
        double d = ind->type == LOC_IND_SHARE ? (v0 <= ind->threshold) : v0;
        s[S_W] += v1;
        s[S_X] += v1 * d;
        s[S_XX] += v1 * d * d;
        s[S_WW] += v1 * v1;
    }
    s[S_USED] += 1;
}

/* Weighted zone-level variance of the sums' zones: the unbiased weighted
 * variance for values, the weighted variance of zone rates for counts. */
static double zone_var(const loc_indicator *ind, const double *s)
{
    if (!(s[S_W] > 0) || s[S_USED] < 2)
        return NAN;
    double ss = s[S_XX] - s[S_X] * s[S_X] / s[S_W];
    if (ss < 0)
        ss = 0;
    if (counts_type(ind->type))
        return ss / s[S_W];
    double den = s[S_W] - s[S_WW] / s[S_W];
    return den > 0 ? ss / den : NAN;
}

/* Kish's effective number of zones of the sums. */
static double n_eff(const double *s) { return s[S_WW] > 0 ? s[S_W] * s[S_W] / s[S_WW] : 0; }

static double value_of(const double *s) { return s[S_W] > 0 ? s[S_X] / s[S_W] : NAN; }

/*
 * The comparison of a locality's sums loc[] with its comparator's cmp[]:
 * Scotland (vs_ref, which holds the locality) or the rest of the council.
 * sd2 is the zone-level variance the null uses for shares, ratios and
 * means: Scotland's, or the council's for the rest of the council.
 */
static tin test_inputs(const loc_indicator *ind, const double *loc, const double *cmp, int vs_ref, double sd2,
                       double within)
{
    tin t = {NAN, NAN, NAN, NAN, 0};
    t.y = value_of(loc);
    t.theta = value_of(cmp);
    if (isnan(t.y) || isnan(t.theta))
        return t;
    if (!isnan(within)) {
        /* the zone-level design effect: the locality's value is a weighted
         * mean of its zones' values (rates weighted by their denominators),
         * whose spread inside localities is `within` */
        double e1 = n_eff(loc), e2 = n_eff(cmp);
        t.size = e1;
        if (!(e1 > 0) || !(e2 > 0))
            return t;
        t.v0 = vs_ref ? within / e1 : within * (1 / e1 + 1 / e2);
        t.ok = isfinite(t.v0);
        return t;
    }
    if (counts_type(ind->type)) {
        double n1 = loc[S_W], n2 = cmp[S_W];
        t.size = n1;
        double pbar = vs_ref ? t.theta : (loc[S_X] + cmp[S_X]) / (n1 + n2);
        double a = ind->type == LOC_IND_PROPORTION ? pbar * (1 - pbar) : pbar;
        if (a < 0)
            a = 0;
        t.v0 = vs_ref ? a / n1 : a * (1 / n1 + 1 / n2);
    } else {
        double e1 = n_eff(loc), e2 = n_eff(cmp);
        t.size = e1;
        if (!(e1 > 0) || !(e2 > 0) || isnan(sd2))
            return t;
        t.v0 = vs_ref ? sd2 / e1 : sd2 * (1 / e1 + 1 / e2);
    }
    t.ok = isfinite(t.v0);
    return t;
}

/* The variance of the difference with the overdispersion allowance. */
static double adjusted_var(const loc_assess_opts *o, const loc_assess_disp *d, double v0)
{
    switch (o->od) {
    case LOC_OD_ZONES: return v0; /* the zone-level variance is the allowance */
    case LOC_OD_MULTIPLICATIVE: return d->phi > 1 ? v0 * d->phi : v0;
    case LOC_OD_ADDITIVE: return v0 + d->tau2;
    default: return v0;
    }
}

/* The minimum effect of indicator j against a comparator value theta
 * (method scale). */
static double effect_of(const loc_assess *a, size_t j, double theta)
{
    double abs_e = a->effect[j], rel = a->effect_rel[j] * fabs(theta);
    return fmax(isnan(abs_e) ? 0 : abs_e, isnan(rel) ? 0 : rel);
}

/* Decide one comparison at quantile z: the difference interval, the
 * p-value and the flag. */
static loc_flag decide(const loc_assess *a, size_t j, const tin *t, const loc_assess_disp *d, double z,
                       loc_interval *diff, double *p, double *se)
{
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    double v = adjusted_var(&a->o, d, t->v0);
    *se = sqrt(v > 0 ? v : 0);
    double dd = t->y - t->theta;
    *diff = (loc_interval){dd, dd - z * *se, dd + z * *se};
    *p = *se > 0 ? erfc(fabs(dd) / *se / M_SQRT2) : (dd == 0 ? 1 : 0);
    return loc_stats_flag(diff, ind->higher_is_worse, effect_of(a, j, t->theta), true);
}

static void scale_interval(loc_interval *v, double k)
{
    v->est *= k;
    v->low *= k;
    v->high *= k;
}

static const loc_interval NAN_INTERVAL = {NAN, NAN, NAN};

static double *sums(const loc_assess *a, const double *base, size_t row, size_t j)
{
    return (double *)base + (row * a->nind + j) * NSUM;
}

/* The rest of locality k's council for indicator j into rest[]. */
static void rest_of(const loc_assess *a, size_t k, size_t j, double *rest)
{
    int32_t c = loc_partition_council(a->p, k);
    memset(rest, 0, NSUM * sizeof *rest);
    if (c < 0)
        return;
    const double *cc = sums(a, a->cs, (size_t)c, j), *l = sums(a, a->ls, k, j);
    for (int m = 0; m < NSUM; m++)
        rest[m] = cc[m] - l[m];
    /* the rest must hold zones; round-off must not make one */
    if (rest[S_USED] < 0.5)
        memset(rest, 0, NSUM * sizeof *rest);
}

/* Locality k's test inputs against comparator c for indicator j, with
 * every suppressed count of the locality moved by dl and of the
 * comparator by dc (0, 0 for the estimate itself). */
static tin cell_inputs(const loc_assess *a, size_t k, size_t j, int c, double dl, double dc, int base)
{
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    double l[NSUM], cmp[NSUM];
    memcpy(l, sums(a, a->ls, k, j), sizeof l);
    double sd2 = a->sd[j] * a->sd[j];
    if (c == LOC_CMP_COUNCIL_REST) {
        rest_of(a, k, j, cmp);
        int32_t ci = loc_partition_council(a->p, k);
        if (ci >= 0 && !counts_type(ind->type))
            sd2 = zone_var(ind, sums(a, a->cs, (size_t)ci, j));
    } else {
        memcpy(cmp, sums(a, a->ns, 0, j), sizeof cmp);
    }
    if (dl != 0 || dc != 0) {
        /* Scotland holds the locality: its own shift moves Scotland too */
        double own = c == LOC_CMP_SCOTLAND ? l[S_SUP] * dl : 0;
        l[S_X] += l[S_SUP] * dl;
        cmp[S_X] += own + (cmp[S_SUP] - (c == LOC_CMP_SCOTLAND ? l[S_SUP] : 0)) * dc;
        if (l[S_X] < 0)
            l[S_X] = 0;
        if (cmp[S_X] < 0)
            cmp[S_X] = 0;
    }
    double within = !base && a->o.od == LOC_OD_ZONES ? a->within[j] : NAN;
    return test_inputs(ind, l, cmp, c == LOC_CMP_SCOTLAND, sd2, within);
}

/* Per-locality, per-council and national sums, one column at a time. */
static void fill_sums(loc_assess *a)
{
    const loc_zones *z = a->z;
    const int32_t *lab = loc_partition_labels(a->p), *council = loc_zones_councils(z);
    size_t nrows = loc_zones_count(z);
    const uint32_t *order = loc_zones_rows_by_code(z); /* sums independent of the sources' row order */
    const uint32_t *vr = a->o.value_rows;
    for (size_t j = 0; j < a->nind; j++) {
        const loc_indicator *ind = loc_zones_indicator(z, j);
        const double *c0 = loc_zones_column(z, j, 0), *c1 = loc_zones_column(z, j, 1);
        const uint8_t *sup = loc_zones_suppressed(z, j);
        for (size_t r = 0; r < nrows; r++) {
            size_t i = order[r], v = vr ? vr[i] : i;
            double v0 = c0[v], v1 = c1 ? c1[v] : NAN;
            int s = sup ? sup[v] : 0;
            add_zone(ind, v0, v1, s, a->ns + j * NSUM);
            if (council[i] >= 0)
                add_zone(ind, v0, v1, s, sums(a, a->cs, (size_t)council[i], j));
            if (lab[i] >= 0)
                add_zone(ind, v0, v1, s, sums(a, a->ls, (size_t)lab[i], j));
        }
    }
}

/* Scotland's value, null-variance coefficient, zone spread and minimum
 * effect per indicator. */
static void indicator_constants(loc_assess *a)
{
    for (size_t j = 0; j < a->nind; j++) {
        const loc_indicator *ind = loc_zones_indicator(a->z, j);
        const double *n = a->ns + j * NSUM;
        double th = value_of(n), var = zone_var(ind, n);
        a->nat[j] = th;
        a->sd[j] = sqrt(var);
        a->tested[j] = is_tested(ind);
        a->a0[j] = ind->type == LOC_IND_PROPORTION ? th * (1 - th)
                   : ind->type == LOC_IND_RATE     ? th
                                                   : var;
        double k = loc_assess_shown(ind);
        a->effect[j] = NAN;
        a->effect_rel[j] = NAN;
        if (a->o.effects_from_spec && ind->effect_kind != LOC_EFFECT_DEFAULT) {
            if (ind->effect_kind == LOC_EFFECT_ABS)
                a->effect[j] = ind->effect / k;
            else if (ind->effect_kind == LOC_EFFECT_REL)
                a->effect_rel[j] = ind->effect;
            else
                a->effect[j] = ind->effect * a->sd[j];
        } else {
            a->effect[j] = a->o.min_effect_abs / k;
            a->effect_rel[j] = a->o.min_effect_rel;
        }
    }
}

/* Whether a cell is reliable: enough contributing zones and denominator. */
static int reliable(const loc_assess *a, const loc_indicator *ind, const double *l)
{
    if (l[S_USED] < (double)a->o.min_zones)
        return 0;
    if (ind->type != LOC_IND_RATIO && ind->type != LOC_IND_MEAN && l[S_W] < a->o.min_denom)
        return 0;
    return 1;
}

/* The test inputs of every cell. */
static void all_inputs(loc_assess *a, int base)
{
    for (size_t k = 0; k < a->nloc; k++)
        for (size_t j = 0; j < a->nind; j++)
            for (int c = 0; c < 2; c++)
                a->tins[(k * a->nind + j) * 2 + (size_t)c] = cell_inputs(a, k, j, c, 0, 0, base);
}

/* Per indicator, the pooled zone-level variance inside the run's
 * localities (unbiased weighted, over localities of two or more zones):
 * the quasi-likelihood dispersion of the zones about their locality's
 * value, on the indicator's own scale.  With spread groups (the natural
 * communities a build respected), the spread is taken inside those
 * instead: the builder makes its localities alike in the indicators it
 * builds on, and their own spread would understate the noise. */
static loc_status within_variance(loc_assess *a)
{
    size_t ng = a->o.spread_group ? a->o.nspread_groups : 0;
    double *gs = ng ? loc_calloc(a->ctx, ng * NSUM, sizeof *gs) : NULL;
    if (ng && !gs)
        return LOC_ENOMEM;
    const int32_t *lab = loc_partition_labels(a->p);
    const uint32_t *order = loc_zones_rows_by_code(a->z);
    size_t nrows = loc_zones_count(a->z);
    for (size_t j = 0; j < a->nind; j++) {
        const loc_indicator *ind = loc_zones_indicator(a->z, j);
        double ss = 0, den = 0, tw = 0, tz = 0;
        const double *src = a->ls;
        size_t nunits = a->nloc;
        if (ng) {
            const double *c0 = loc_zones_column(a->z, j, 0), *c1 = loc_zones_column(a->z, j, 1);
            memset(gs, 0, ng * NSUM * sizeof *gs);
            for (size_t r = 0; r < nrows; r++) {
                size_t i = order[r], v = a->o.value_rows ? a->o.value_rows[i] : i;
                int32_t g = a->o.spread_group[i];
                if (lab[i] < 0 || g < 0 || (size_t)g >= ng)
                    continue;
                add_zone(ind, c0[v], c1 ? c1[v] : NAN, 0, gs + (size_t)g * NSUM);
            }
            src = gs;
            nunits = ng;
        }
        for (size_t k = 0; k < nunits; k++) {
            const double *l = src + (k * (ng ? 1 : a->nind) + (ng ? 0 : j)) * NSUM;
            tw += l[S_W];
            tz += l[S_USED];
            if (l[S_USED] < 2 || !(l[S_W] > 0))
                continue;
            double d = l[S_XX] - l[S_X] * l[S_X] / l[S_W];
            ss += d > 0 ? d : 0;
            den += l[S_W] - l[S_WW] / l[S_W];
        }
        a->within[j] = den > 0 ? ss / den : NAN;
        a->zone_w[j] = tz > 0 ? tw / tz : NAN;
    }
    loc_free(a->ctx, gs);
    return LOC_OK;
}

/* Overdispersion of indicator j against comparator c: from the tested,
 * reliable localities, or from the zones when too few. */
static loc_status estimate_disp(loc_assess *a, size_t j, int c, double *zs, double *vs)
{
    loc_assess_disp *d = &a->disp[j * 2 + (size_t)c];
    *d = (loc_assess_disp){1, 0, 0, 0};
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    if (!a->tested[j])
        return LOC_OK;
    size_t m = 0;
    for (size_t k = 0; k < a->nloc; k++) {
        const tin *t = &a->tins[(k * a->nind + j) * 2 + (size_t)c];
        if (!t->ok || !(t->v0 > 0) || !reliable(a, ind, sums(a, a->ls, k, j)))
            continue;
        zs[m] = (t->y - t->theta) / sqrt(t->v0);
        vs[m++] = t->v0;
    }
    if (m < a->o.od_min_units) {
        /* too few localities to see their spread: each study zone as a
         * unit against its comparator.  Zones spread more between
         * themselves than localities do, so tau^2 from zones is the
         * larger, and the flags the fewer */
        m = 0;
        const loc_zones *z = a->z;
        const double *c0 = loc_zones_column(z, j, 0), *c1 = loc_zones_column(z, j, 1);
        const int32_t *council = loc_zones_councils(z), *lab = loc_partition_labels(a->p);
        size_t nrows = loc_zones_count(z);
        for (size_t i = 0; i < nrows; i++) {
            size_t v = a->o.value_rows ? a->o.value_rows[i] : i;
            if (lab[i] < 0 || council[i] < 0 || !isfinite(c0[v]) || !c1 || !isfinite(c1[v]) || !(c1[v] > 0))
                continue;
            double one[NSUM] = {0};
            add_zone(ind, c0[v], c1[v], 0, one);
            const double *cmp = c == LOC_CMP_SCOTLAND ? a->ns + j * NSUM : sums(a, a->cs, (size_t)council[i], j);
            double sd2 = c == LOC_CMP_SCOTLAND ? a->sd[j] * a->sd[j] : zone_var(ind, cmp);
            tin t = test_inputs(ind, one, cmp, 1, sd2, NAN);
            if (!t.ok || !(t.v0 > 0))
                continue;
            zs[m] = (t.y - t.theta) / sqrt(t.v0);
            vs[m++] = t.v0;
        }
        d->from_zones = 1;
    }
    loc_overdisp od;
    loc_status st = loc_stats_overdispersion(a->ctx, zs, vs, m, a->o.winsor, &od);
    if (st == LOC_EDATA)
        return LOC_OK;
    if (st)
        return st;
    d->phi = od.phi;
    d->tau2 = od.tau2;
    d->units = od.units;
    return LOC_OK;
}

/* The locality's own interval, widened by the overdispersion the
 * comparison with Scotland found (v / v0 as a design effect). */
static void own_interval(const loc_assess *a, size_t k, size_t j, const tin *ts, loc_assess_cell *cell)
{
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    const double *l = sums(a, a->ls, k, j);
    cell->est = NAN_INTERVAL;
    if (!(l[S_W] > 0))
        return;
    double deff = 1;
    tin base = a->o.od == LOC_OD_ZONES ? cell_inputs(a, k, j, LOC_CMP_SCOTLAND, 0, 0, 1) : *ts;
    if (a->tested[j] && ts->ok && base.ok && base.v0 > 0)
        deff = adjusted_var(&a->o, &a->disp[j * 2 + LOC_CMP_SCOTLAND], ts->v0) / base.v0;
    if (!(deff >= 1) || !isfinite(deff))
        deff = 1;
    loc_status st;
    if (ind->type == LOC_IND_PROPORTION) {
        double x = fmin(l[S_X], l[S_W]);
        st = loc_stats_wilson(x / deff, l[S_W] / deff, a->o.conf, &cell->est);
    } else if (ind->type == LOC_IND_RATE) {
        st = loc_stats_rate(l[S_X] / deff, l[S_W] / deff, a->o.conf, LOC_STATS_EXACT_BELOW, &cell->est);
    } else if (ind->type == LOC_IND_SHARE) {
        /* a whole zone is in the most deprived group or not: residents are
         * not independent draws, zones are (Kish's effective number) */
        double ne = n_eff(l) / deff, sh = l[S_X] / l[S_W];
        st = loc_stats_wilson(sh * ne, ne, a->o.conf, &cell->est);
    } else {
        /* the mean of a sample of the council's zones: the council's
         * zone-level spread over the effective number of zones, on a
         * scale that keeps the interval inside the indicator's range */
        int32_t ci = loc_partition_council(a->p, k);
        double var = ci >= 0 ? zone_var(ind, sums(a, a->cs, (size_t)ci, j)) : NAN;
        if (isnan(var))
            var = a->sd[j] * a->sd[j];
        double ne = n_eff(l), m = l[S_X] / l[S_W];
        double se = ne > 0 && isfinite(var) ? sqrt(deff * var / ne) : NAN;
        if (isnan(se)) {
            cell->est = (loc_interval){m, NAN, NAN};
            return;
        }
        double lo = ind->lower, hi = ind->upper;
        if (!(lo < hi))
            lo = -INFINITY, hi = INFINITY;
        /* Student's t on the effective number of zones less one: zone
         * values are skewed (hospital stays for drug misuse most), and a
         * mean of a few of them is further from normal than its
         * variance says; the coverage test on Stirling's zones measures it */
        st = loc_stats_bounded(m, se, lo, hi, a->o.conf, ne > 2 ? ne - 1 : 1, &cell->est);
    }
    if (st)
        cell->est = NAN_INTERVAL;
}

/* Fill cell (k, j, c) from its inputs at the decision quantile. */
static void fill_cell(loc_assess *a, size_t k, size_t j, int c, int again)
{
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    loc_assess_cell *cell = as_cell_at(a, k, j, c);
    const tin *t = &a->tins[(k * a->nind + j) * 2 + (size_t)c];
    const tin *ts = &a->tins[(k * a->nind + j) * 2 + LOC_CMP_SCOTLAND];
    const double *l = sums(a, a->ls, k, j);
    double kk = loc_assess_shown(ind);
    cell->diff = NAN_INTERVAL;
    cell->p = cell->q = cell->se = cell->limit = cell->effect = NAN;
    cell->flag = LOC_FLAG_UNRELIABLE;
    cell->flag_sensitive = 0;
    cell->sum_x = l[S_X];
    cell->sum_w = l[S_W];
    cell->zones_used = (size_t)l[S_USED];
    cell->zones_missing = (size_t)l[S_MISS];
    cell->zones_suppressed = (size_t)l[S_SUP];
    cell->size = t->size;
    cell->cmp_value = t->theta * kk;
    if (!again) {
        /* the locality's own interval does not hang on the decision level */
        own_interval(a, k, j, ts, cell);
        if (!isnan(cell->est.est))
            scale_interval(&cell->est, kk);
    }
    if (!t->ok || !reliable(a, ind, l))
        return;
    if (!a->tested[j]) {
        /* reported only: the spec names no method for this indicator */
        cell->flag = LOC_FLAG_SAME;
        return;
    }
    const loc_assess_disp *d = &a->disp[j * 2 + (size_t)c];
    loc_interval diff;
    double p, se;
    cell->flag = decide(a, j, t, d, a->zq, &diff, &p, &se);
    scale_interval(&diff, kk);
    cell->diff = diff;
    cell->p = p;
    cell->se = se * kk;
    cell->effect = effect_of(a, j, t->theta) * kk;
    cell->limit = fmax(a->zq * cell->se, cell->effect);
    /* a suppressed count stands for a range: the flag at both ends of it */
    double rest[NSUM];
    if (c == LOC_CMP_COUNCIL_REST)
        rest_of(a, k, j, rest);
    double csup = c == LOC_CMP_SCOTLAND ? a->ns[j * NSUM + S_SUP] : rest[S_SUP];
    if (!isnan(ind->supp_low) && (l[S_SUP] > 0 || csup > 0)) {
        double mid = (ind->supp_low + ind->supp_high) / 2;
        double lo = ind->supp_low - mid, hi = ind->supp_high - mid;
        for (int e = 0; e < 2; e++) {
            tin te = cell_inputs(a, k, j, c, e ? hi : lo, e ? lo : hi, 0);
            loc_interval dx;
            double px, sx;
            if (te.ok && decide(a, j, &te, d, a->zq, &dx, &px, &sx) != cell->flag)
                cell->flag_sensitive = 1;
        }
    }
}

/* The decision quantile from the false discovery rate: every tested cell's
 * p-value at the plain level first, the step-up procedure over them all,
 * and the level at which it stops (Benjamini & Yekutieli 2005: intervals
 * at 1 - R q / m, R the rejections, cover at the false coverage rate q). */
static loc_status fdr_level(loc_assess *a)
{
    size_t n = a->nloc * a->nind * 2;
    double *q = loc_malloc(a->ctx, (n ? n : 1) * sizeof *q);
    if (!q)
        return LOC_ENOMEM;
    size_t m = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = a->cells[i].flag == LOC_FLAG_UNRELIABLE || isnan(a->cells[i].p) ? NAN : a->cells[i].p;
        m += !isnan(q[i]);
    }
    loc_status st = a->o.fdr_method == LOC_FDR_BY ? loc_stats_by(a->ctx, q, n, q) : loc_stats_bh(a->ctx, q, n, q);
    for (size_t i = 0; i < n && !st; i++) {
        a->cells[i].q = q[i];
        r += !isnan(q[i]) && q[i] < a->o.fdr;
    }
    loc_free(a->ctx, q);
    if (st)
        return st;
    double c = 1;
    if (a->o.fdr_method == LOC_FDR_BY) {
        c = 0;
        for (size_t i = m; i > 0; i--)
            c += 1.0 / (double)i;
    }
    double alpha = (r ? (double)r : 1.0) * a->o.fdr / ((double)(m ? m : 1) * c);
    a->zq = -loc_stats_norm_quantile(alpha / 2);
    return LOC_OK;
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

/* Domains: each indicator's spec domain, or its own name when it has
 * none; the share and untested indicators stay out of the domain rule. */
static loc_status find_domains(loc_assess *a)
{
    a->ndomains = 0;
    for (size_t j = 0; j < a->nind; j++) {
        const loc_indicator *ind = loc_zones_indicator(a->z, j);
        a->domain_of[j] = -1;
        if (!a->tested[j] || ind->type == LOC_IND_SHARE)
            continue;
        const char *name = ind->domain ? ind->domain : ind->name;
        size_t d = 0;
        while (d < a->ndomains && strcmp(a->domains[d], name) != 0)
            d++;
        if (d == a->ndomains)
            a->domains[a->ndomains++] = name;
        a->domain_of[j] = (int32_t)d;
    }
    return LOC_OK;
}

/* Plan rule and counts. */
static loc_status summarise(loc_assess *a)
{
    a->nqualifying = 0;
    a->ntests = 0;
    int has_share = 0;
    for (size_t j = 0; j < a->nind; j++)
        has_share |= loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE && a->tested[j];
    for (size_t k = 0; k < a->nloc; k++) {
        int share_poorer = 0;
        for (int c = 0; c < 2; c++) {
            size_t n = 0;
            for (size_t j = 0; j < a->nind; j++) {
                const loc_assess_cell *cell = as_cell_at(a, k, j, c);
                n += cell->flag == LOC_FLAG_POORER;
                a->ntests += cell->flag != LOC_FLAG_UNRELIABLE && !isnan(cell->diff.est);
                if (cell->flag == LOC_FLAG_POORER && loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE)
                    share_poorer = 1;
            }
            a->poorer[k * 2 + (size_t)c] = n;
            a->pdomains[k * 2 + (size_t)c] = as_poorer_domains(a, k, c, NULL, NULL, NULL, NULL);
        }
        a->share_poorer[k] = (uint8_t)share_poorer;
        int by_domains = a->o.plan_min_domains > 0 && (a->pdomains[2 * k] >= a->o.plan_min_domains ||
                                                       a->pdomains[2 * k + 1] >= a->o.plan_min_domains);
        int by_count = a->o.plan_min_poorer > 0 && (a->poorer[2 * k] >= a->o.plan_min_poorer ||
                                                    a->poorer[2 * k + 1] >= a->o.plan_min_poorer);
        a->qualifies[k] = share_poorer || by_domains || by_count;
        a->nqualifying += a->qualifies[k];
        if (as_make_reason(a, k))
            return LOC_ENOMEM;
    }
    char sig[160];
    if (a->o.fdr > 0)
        snprintf(sig, sizeof sig, "%s false discovery rate %g over %zu tests",
                 a->o.fdr_method == LOC_FDR_BY ? "Benjamini-Yekutieli" : "Benjamini-Hochberg", a->o.fdr, a->ntests);
    else
        snprintf(sig, sizeof sig, "%g%% intervals", 100 * a->o.conf);
    static const char *const od_text[] = {"no overdispersion allowance",
                                          "overdispersion as a multiplicative factor (phi)",
                                          "overdispersion as between-locality variance (tau^2)",
                                          "overdispersion as the zones' spread inside localities"};
    char dom[160] = "";
    if (a->o.plan_min_domains)
        snprintf(dom, sizeof dom, "%s in at least %zu of its %zu domains", has_share ? ", or" : "",
                 a->o.plan_min_domains, a->ndomains);
    char cnt[96] = "";
    if (a->o.plan_min_poorer)
        snprintf(cnt, sizeof cnt, "%s on at least %zu indicators", has_share || a->o.plan_min_domains ? ", or" : "",
                 a->o.plan_min_poorer);
    snprintf(a->rule, sizeof a->rule,
             "a locality plan is needed where the locality is significantly poorer (%s, %s, each indicator's minimum "
             "effect) than the rest of its council area or than Scotland%s%s%s; a domain is poorer when at least "
             "half of its tested indicators are",
             sig, od_text[a->o.od], has_share ? " on the deprivation share" : "", dom, cnt);
    return LOC_OK;
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
        !(o.min_effect_abs >= 0) || !(o.min_denom >= 0) || !(o.max_pop > 0) || !(o.winsor >= 0 && o.winsor < 0.5) ||
        (unsigned)o.od > LOC_OD_ZONES || (unsigned)o.fdr_method > LOC_FDR_BY) {
        loc_error(ctx, LOC_EINVAL, "assess: confidence must lie between 0 and 1, the FDR in [0, 1), winsorisation "
                                   "in [0, 0.5), effects, denominators and the ceiling must not be negative");
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
    a->o.value_rows = NULL; /* borrowed for this call only */
    a->nloc = loc_partition_count(p);
    a->nind = loc_zones_nindicators(z);
    a->ncouncil = loc_zones_ncouncils(z);
    size_t nl = a->nloc ? a->nloc : 1, ni = a->nind ? a->nind : 1, ncells = nl * ni * 2;
    size_t nunits = loc_zones_count(z) > nl ? loc_zones_count(z) : nl;
    double *zs = loc_malloc(ctx, nunits * sizeof *zs), *vs = loc_malloc(ctx, nunits * sizeof *vs);
    if (!zs || !vs || !(a->ls = loc_calloc(ctx, nl * ni * NSUM, sizeof *a->ls)) ||
        !(a->cs = loc_calloc(ctx, (a->ncouncil ? a->ncouncil : 1) * ni * NSUM, sizeof *a->cs)) ||
        !(a->ns = loc_calloc(ctx, ni * NSUM, sizeof *a->ns)) || !(a->cells = loc_calloc(ctx, ncells, sizeof *a->cells)) ||
        !(a->tins = loc_calloc(ctx, ncells, sizeof *a->tins)) || !(a->disp = loc_calloc(ctx, ni * 2, sizeof *a->disp)) ||
        !(a->tested = loc_calloc(ctx, ni, 1)) || !(a->a0 = loc_calloc(ctx, ni, sizeof *a->a0)) ||
        !(a->nat = loc_calloc(ctx, ni, sizeof *a->nat)) || !(a->sd = loc_calloc(ctx, ni, sizeof *a->sd)) ||
        !(a->within = loc_calloc(ctx, ni, sizeof *a->within)) || !(a->zone_w = loc_calloc(ctx, ni, sizeof *a->zone_w)) ||
        !(a->effect = loc_calloc(ctx, ni, sizeof *a->effect)) ||
        !(a->effect_rel = loc_calloc(ctx, ni, sizeof *a->effect_rel)) ||
        !(a->domains = loc_calloc(ctx, ni, sizeof *a->domains)) ||
        !(a->domain_of = loc_calloc(ctx, ni, sizeof *a->domain_of)) ||
        !(a->poorer = loc_calloc(ctx, nl * 2, sizeof *a->poorer)) ||
        !(a->pdomains = loc_calloc(ctx, nl * 2, sizeof *a->pdomains)) || !(a->qualifies = loc_calloc(ctx, nl, 1)) ||
        !(a->over = loc_calloc(ctx, nl, 1)) || !(a->cross = loc_calloc(ctx, nl, 1)) ||
        !(a->share_poorer = loc_calloc(ctx, nl, 1)) || !(a->discont = loc_calloc(ctx, nl, 1)) ||
        !(a->reason = loc_calloc(ctx, nl, sizeof *a->reason)) || !(a->brief = loc_calloc(ctx, nl, sizeof *a->brief)))
        goto fail;
    a->o.value_rows = o.value_rows;
    fill_sums(a);
    indicator_constants(a);
    if (within_variance(a))
        goto fail;
    /* phi and tau^2 from the plain null variances, in every mode: the
     * outputs report them whichever allowance decides */
    all_inputs(a, 1);
    for (size_t j = 0; j < a->nind; j++)
        for (int c = 0; c < 2; c++)
            if (estimate_disp(a, j, c, zs, vs))
                goto fail;
    if (a->o.od == LOC_OD_ZONES)
        all_inputs(a, 0);
    a->zq = -loc_stats_norm_quantile((1 - a->o.conf) / 2);
    for (size_t k = 0; k < a->nloc; k++)
        for (size_t j = 0; j < a->nind; j++)
            for (int c = 0; c < 2; c++)
                fill_cell(a, k, j, c, 0);
    if (a->o.fdr > 0) {
        /* the level from every test's p-value, then every cell again at it */
        if (fdr_level(a))
            goto fail;
        for (size_t k = 0; k < a->nloc; k++)
            for (size_t j = 0; j < a->nind; j++)
                for (int c = 0; c < 2; c++) {
                    double q = as_cell_at(a, k, j, c)->q;
                    fill_cell(a, k, j, c, 1);
                    as_cell_at(a, k, j, c)->q = q;
                }
    }
    a->o.value_rows = NULL;
    a->o.spread_group = NULL; /* borrowed for this call only */
    if (find_domains(a) || guidance(a, graph, rows) || summarise(a))
        goto fail;
    loc_free(ctx, zs);
    loc_free(ctx, vs);
    return a;
fail:
    loc_free(ctx, zs);
    loc_free(ctx, vs);
    loc_assess_destroy(a);
    return NULL;
}

const loc_assess_opts *loc_assess_options(const loc_assess *a) { return &a->o; }

const loc_assess_cell *loc_assess_cell_get(const loc_assess *a, size_t k, size_t j, loc_comparator c)
{
    return &a->cells[(k * a->nind + j) * 2 + (size_t)c];
}

size_t loc_assess_poorer_domains(const loc_assess *a, size_t k, loc_comparator c)
{
    return a->pdomains[2 * k + (size_t)c];
}
int loc_assess_share_poorer(const loc_assess *a, size_t k) { return a->share_poorer[k]; }
const char *loc_assess_reason(const loc_assess *a, size_t k) { return a->reason[k] ? a->reason[k] : ""; }
const char *loc_assess_reason_brief(const loc_assess *a, size_t k) { return a->brief[k] ? a->brief[k] : ""; }
size_t loc_assess_ndomains(const loc_assess *a) { return a->ndomains; }
const char *loc_assess_domain(const loc_assess *a, size_t d) { return a->domains[d]; }
int loc_assess_tested(const loc_assess *a, size_t j) { return a->tested[j]; }
const loc_assess_disp *loc_assess_dispersion(const loc_assess *a, size_t j, loc_comparator c)
{
    return &a->disp[j * 2 + (size_t)c];
}
double loc_assess_z(const loc_assess *a) { return a->zq; }

void loc_assess_funnel(const loc_assess *a, size_t j, double x, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (!a->tested[j] || !(x > 0) || isnan(a->nat[j]) || isnan(a->a0[j]))
        return;
    const loc_indicator *ind = loc_zones_indicator(a->z, j);
    double k = loc_assess_shown(ind), v0 = (a->o.od == LOC_OD_ZONES ? a->within[j] : a->a0[j]) / x;
    double v = adjusted_var(&a->o, &a->disp[j * 2 + LOC_CMP_SCOTLAND], v0 > 0 ? v0 : 0);
    double half = fmax(a->zq * sqrt(v), effect_of(a, j, a->nat[j]));
    *lo = (a->nat[j] - half) * k;
    *hi = (a->nat[j] + half) * k;
    /* no value lies beyond what the indicator can take, so neither does a
     * limit that matters: kept inside for the picture */
    double lower = ind->type == LOC_IND_RATIO || ind->type == LOC_IND_MEAN ? ind->lower : 0;
    double upper = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_SHARE ? 100
                   : ind->type == LOC_IND_RATIO || ind->type == LOC_IND_MEAN ? ind->upper
                                                                            : INFINITY;
    if (*lo < lower)
        *lo = lower;
    if (*hi > upper)
        *hi = upper;
}

size_t loc_assess_poorer(const loc_assess *a, size_t k, loc_comparator c) { return a->poorer[2 * k + (size_t)c]; }
int loc_assess_qualifies(const loc_assess *a, size_t k) { return a->qualifies[k]; }
int loc_assess_over_ceiling(const loc_assess *a, size_t k) { return a->over[k]; }
int loc_assess_discontiguous(const loc_assess *a, size_t k) { return a->discont[k]; }
int loc_assess_crosses_council(const loc_assess *a, size_t k) { return a->cross[k]; }
size_t loc_assess_nqualifying(const loc_assess *a) { return a->nqualifying; }
const char *loc_assess_rule(const loc_assess *a) { return a->rule; }
size_t loc_assess_ntests(const loc_assess *a) { return a->ntests; }
