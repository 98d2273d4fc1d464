/*
 * Statistics: the intervals, tests and flags behind the "significantly
 * poorer outcomes" decision (see stats.h for the methods and their
 * sources); the distribution functions they rest on are stats_dist.c's.
 *
 * Facts that shaped the code:
 *
 * - Small numbers matter most.  A locality of 5,000 people has single-digit
 *   counts for rarer outcomes, and a council's rest-of-area comparator can
 *   have zero events.  So every interval is one that behaves at 0 and at
 *   n (score intervals, exact Poisson limits), boundaries are set exactly
 *   rather than left to rounding, and invalid or empty input gives a status
 *   with zeroed outputs instead of NaN.
 *
 * - Confidence levels become z or t values through the upper tail
 *   probability (1 - conf) / 2 directly, never 1 - (1 - conf) / 2, so a
 *   99.9% level keeps its precision.
 *
 * - Nothing allocates except the Benjamini-Hochberg sort, which needs an
 *   index permutation and takes it from the context's allocator.
 */
#include "localities/stats.h"
#include "stats_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>


/* ---------------------------------------------------------------------
 * Private helpers: argument checks
 * --------------------------------------------------------------------- */

/* A usable count or denominator: finite and not negative. */
static bool ok_count(double x) { return isfinite(x) && x >= 0.0; }

/* A usable confidence level: strictly between 0 and 1. */
static bool ok_conf(double conf) { return conf > 0.0 && conf < 1.0; }

static void zero_interval(loc_interval *out)
{
    out->est = 0.0;
    out->low = 0.0;
    out->high = 0.0;
}

/* ---------------------------------------------------------------------
 * Proportions
 * --------------------------------------------------------------------- */

/* Wilson limits for valid x <= n, n > 0 and z > 0.  Written as
 * (2x + z^2 -+ z sqrt(z^2 + 4x(n-x)/n)) / (2(n + z^2)) so the limit at an
 * end comes out as the end itself, then pinned there against rounding. */
static void wilson_limits(double x, double n, double z, double *low, double *high)
{
    double z2 = z * z;
    double root = z * sqrt(z2 + 4.0 * x * (n - x) / n);
    double den = 2.0 * (n + z2);
    double lo = (2.0 * x + z2 - root) / den;
    double hi = (2.0 * x + z2 + root) / den;
    *low = x == 0.0 ? 0.0 : fmax(lo, 0.0);
    *high = x == n ? 1.0 : fmin(hi, 1.0);
}

/* Shared checks for x out of n. */
static loc_status check_prop(double x, double n)
{
    if (!ok_count(x) || !ok_count(n) || x > n)
        return LOC_EINVAL;
    if (n == 0.0)
        return LOC_EDATA;
    return LOC_OK;
}

loc_status loc_stats_wilson(double x, double n, double conf, loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_conf(conf))
        return LOC_EINVAL;
    loc_status st = check_prop(x, n);
    if (st != LOC_OK)
        return st;
    out->est = x / n;
    wilson_limits(x, n, st_z_upper(0.5 * (1.0 - conf)), &out->low, &out->high);
    return LOC_OK;
}

loc_status loc_stats_newcombe(double x1, double n1, double x2, double n2, double conf,
                              loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_conf(conf))
        return LOC_EINVAL;
    loc_status st1 = check_prop(x1, n1), st2 = check_prop(x2, n2);
    if (st1 == LOC_EINVAL || st2 == LOC_EINVAL)
        return LOC_EINVAL;
    if (st1 != LOC_OK || st2 != LOC_OK)
        return LOC_EDATA;
    double z = st_z_upper(0.5 * (1.0 - conf));
    double p1 = x1 / n1, p2 = x2 / n2, l1, u1, l2, u2;
    wilson_limits(x1, n1, z, &l1, &u1);
    wilson_limits(x2, n2, z, &l2, &u2);
    double d = p1 - p2;
    out->est = d;
    out->low = fmax(d - hypot(p1 - l1, u2 - p2), -1.0);
    out->high = fmin(d + hypot(u1 - p1, p2 - l2), 1.0);
    return LOC_OK;
}

loc_status loc_stats_prop_ref_p(double x, double n, double p0, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    if (!(p0 >= 0.0 && p0 <= 1.0))
        return LOC_EINVAL;
    loc_status st = check_prop(x, n);
    if (st != LOC_OK)
        return st;
    double var = n * p0 * (1.0 - p0);
    if (var == 0.0) {
        /* the null leaves no room for variation: any departure refutes it */
        *p = x / n == p0 ? 1.0 : 0.0;
        return LOC_OK;
    }
    *p = st_p_two_sided_z((x - n * p0) / sqrt(var));
    return LOC_OK;
}

loc_status loc_stats_prop_diff_p(double x1, double n1, double x2, double n2, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    loc_status st1 = check_prop(x1, n1), st2 = check_prop(x2, n2);
    if (st1 == LOC_EINVAL || st2 == LOC_EINVAL)
        return LOC_EINVAL;
    if (st1 != LOC_OK || st2 != LOC_OK)
        return LOC_EDATA;
    double pooled = (x1 + x2) / (n1 + n2);
    double var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if (var > 0.0)
        *p = st_p_two_sided_z((x1 / n1 - x2 / n2) / sqrt(var));
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Rates
 * --------------------------------------------------------------------- */

loc_status loc_stats_poisson(double count, double conf, double exact_below, loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_conf(conf) || !ok_count(count) || isnan(exact_below))
        return LOC_EINVAL;
    double alpha2 = 0.5 * (1.0 - conf);
    out->est = count;
    if (count < exact_below) {
        out->low = count == 0.0 ? 0.0 : st_gamma_inv(count, alpha2, 1.0 - alpha2);
        out->high = st_gamma_inv(count + 1.0, 1.0 - alpha2, alpha2);
    } else {
        double z = st_z_upper(alpha2);
        double c1 = count + 1.0;
        double wl = count > 0.0 ? 1.0 - 1.0 / (9.0 * count) - z / (3.0 * sqrt(count)) : 0.0;
        double wh = 1.0 - 1.0 / (9.0 * c1) + z / (3.0 * sqrt(c1));
        /* the cube goes negative only for counts well below 1, where the
         * exact interval should have been asked for */
        out->low = wl > 0.0 ? count * wl * wl * wl : 0.0;
        out->high = c1 * wh * wh * wh;
    }
    return LOC_OK;
}

loc_status loc_stats_rate(double count, double exposure, double conf, double exact_below,
                          loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_count(exposure))
        return LOC_EINVAL;
    loc_status st = loc_stats_poisson(count, conf, exact_below, out);
    if (st != LOC_OK)
        return st;
    if (exposure == 0.0) {
        zero_interval(out);
        return LOC_EDATA;
    }
    out->est /= exposure;
    out->low /= exposure;
    out->high /= exposure;
    return LOC_OK;
}

/* Checks shared by the two-rate functions. */
static loc_status check_two_rates(double o1, double e1, double o2, double e2)
{
    if (!ok_count(o1) || !ok_count(e1) || !ok_count(o2) || !ok_count(e2))
        return LOC_EINVAL;
    if (e1 == 0.0 || e2 == 0.0)
        return LOC_EDATA;
    return LOC_OK;
}

/* pi e2 / ((1 - pi) e1): the rate ratio whose conditional probability of
 * an event falling in group 1 is pi. */
static double ratio_of_pi(double pi, double e1, double e2)
{
    if (pi >= 1.0)
        return INFINITY;
    return pi * e2 / ((1.0 - pi) * e1);
}

loc_status loc_stats_rate_ratio(double o1, double e1, double o2, double e2, double conf,
                                loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_conf(conf))
        return LOC_EINVAL;
    loc_status st = check_two_rates(o1, e1, o2, e2);
    if (st != LOC_OK)
        return st;
    double total = o1 + o2;
    if (total == 0.0)
        return LOC_EDATA;
    double pl, ph;
    wilson_limits(o1, total, st_z_upper(0.5 * (1.0 - conf)), &pl, &ph);
    out->est = o2 == 0.0 ? INFINITY : (o1 / e1) / (o2 / e2);
    out->low = ratio_of_pi(pl, e1, e2);
    out->high = ratio_of_pi(ph, e1, e2);
    return LOC_OK;
}

loc_status loc_stats_rate_diff(double o1, double e1, double o2, double e2, double conf,
                               double exact_below, loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!ok_conf(conf) || isnan(exact_below))
        return LOC_EINVAL;
    loc_status st = check_two_rates(o1, e1, o2, e2);
    if (st != LOC_OK)
        return st;
    loc_interval r1, r2;
    loc_stats_rate(o1, e1, conf, exact_below, &r1);
    loc_stats_rate(o2, e2, conf, exact_below, &r2);
    double d = r1.est - r2.est;
    out->est = d;
    out->low = d - hypot(r1.est - r1.low, r2.high - r2.est);
    out->high = d + hypot(r1.high - r1.est, r2.est - r2.low);
    return LOC_OK;
}

loc_status loc_stats_rate_cmp_p(double o1, double e1, double o2, double e2, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    loc_status st = check_two_rates(o1, e1, o2, e2);
    if (st != LOC_OK)
        return st;
    double total = o1 + o2;
    if (total == 0.0)
        return LOC_OK;
    double pi0 = e1 / (e1 + e2);
    *p = st_p_two_sided_z((o1 - total * pi0) / sqrt(total * pi0 * (1.0 - pi0)));
    return LOC_OK;
}

loc_status loc_stats_rate_ref_p(double count, double exposure, double ref_rate, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    if (!ok_count(count) || !ok_count(exposure) || !ok_count(ref_rate))
        return LOC_EINVAL;
    if (exposure == 0.0)
        return LOC_EDATA;
    double m = ref_rate * exposure;
    if (isinf(m))
        return LOC_EINVAL;
    if (m == 0.0) {
        *p = count == 0.0 ? 1.0 : 0.0;
        return LOC_OK;
    }
    /* Pr[X <= c] = Q(c + 1, m); Pr[X >= c] = P(c, m), 1 at c = 0 */
    double P, Q;
    st_gamma_pq(count + 1.0, m, &P, &Q);
    double below = Q;
    double above = 1.0;
    if (count > 0.0) {
        st_gamma_pq(count, m, &P, &Q);
        above = P;
    }
    *p = fmin(1.0, 2.0 * fmin(below, above));
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Weighted means
 * --------------------------------------------------------------------- */

loc_status loc_stats_wmean(const double *v, const double *w, size_t n, loc_wmean *out)
{
    if (!out)
        return LOC_EINVAL;
    *out = (loc_wmean){0};
    if (n > 0 && (!v || !w))
        return LOC_EINVAL;
    /* first pass: totals, and the argument checks */
    double sw = 0.0, sw2 = 0.0, swv = 0.0;
    size_t used = 0, missing = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            missing++;
            continue;
        }
        if (!(w[i] >= 0.0) || isinf(w[i])) {
            *out = (loc_wmean){0};
            return LOC_EINVAL;
        }
        if (w[i] == 0.0)
            continue;
        used++;
        sw += w[i];
        sw2 += w[i] * w[i];
        swv += w[i] * v[i];
    }
    out->n_missing = missing;
    if (used == 0)
        return LOC_EDATA;
    double mean = swv / sw;
    /* second pass: the spread about the mean, not sum w v^2 - m^2 sum w,
     * which cancels badly for indicators with a large common offset */
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i]) && w[i] > 0.0) {
            double dv = v[i] - mean;
            ss += w[i] * dv * dv;
        }
    }
    out->mean = mean;
    out->sum_w = sw;
    out->n_used = used;
    out->n_eff = sw * sw / sw2;
    /* sum w - sum w^2 / sum w, written through n_eff so that it is
     * positive exactly when n_eff > 1, the test for having an interval */
    if (used >= 2 && out->n_eff > 1.0) {
        double denom = sw * (out->n_eff - 1.0) / out->n_eff;
        out->se = sqrt(ss / denom / out->n_eff);
    }
    return LOC_OK;
}

/* Whether m has the spread information an interval needs. */
static bool wmean_has_ci(const loc_wmean *m)
{
    return m->n_used >= 2 && m->n_eff > 1.0 && isfinite(m->se) && m->se >= 0.0;
}

loc_status loc_stats_wmean_ci(const loc_wmean *m, double conf, loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!m || !ok_conf(conf))
        return LOC_EINVAL;
    if (!wmean_has_ci(m))
        return LOC_EDATA;
    double t = st_t_upper_inv(0.5 * (1.0 - conf), m->n_eff - 1.0);
    out->est = m->mean;
    out->low = m->mean - t * m->se;
    out->high = m->mean + t * m->se;
    return LOC_OK;
}

/* Welch's standard error and Welch-Satterthwaite degrees of freedom. */
static void welch(const loc_wmean *a, const loc_wmean *b, double *se, double *df)
{
    double va = a->se * a->se, vb = b->se * b->se;
    double v = va + vb;
    *se = sqrt(v);
    double den = va * va / (a->n_eff - 1.0) + vb * vb / (b->n_eff - 1.0);
    *df = den > 0.0 ? v * v / den : INFINITY;
}

loc_status loc_stats_wmean_diff(const loc_wmean *a, const loc_wmean *b, double conf,
                                loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!a || !b || !ok_conf(conf))
        return LOC_EINVAL;
    if (!wmean_has_ci(a) || !wmean_has_ci(b))
        return LOC_EDATA;
    double se, df;
    welch(a, b, &se, &df);
    double d = a->mean - b->mean;
    double half = se > 0.0 ? st_t_upper_inv(0.5 * (1.0 - conf), df) * se : 0.0;
    out->est = d;
    out->low = d - half;
    out->high = d + half;
    return LOC_OK;
}

/* p-value of a t statistic (est - null) / se, with se == 0 settled. */
static double t_test_p(double diff, double se, double df)
{
    if (se == 0.0)
        return diff == 0.0 ? 1.0 : 0.0;
    return st_p_two_sided_t(diff / se, df);
}

loc_status loc_stats_wmean_ref_p(const loc_wmean *m, double ref, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    if (!m || !isfinite(ref))
        return LOC_EINVAL;
    if (!wmean_has_ci(m))
        return LOC_EDATA;
    *p = t_test_p(m->mean - ref, m->se, m->n_eff - 1.0);
    return LOC_OK;
}

loc_status loc_stats_wmean_diff_p(const loc_wmean *a, const loc_wmean *b, double *p)
{
    if (!p)
        return LOC_EINVAL;
    *p = 1.0;
    if (!a || !b)
        return LOC_EINVAL;
    if (!wmean_has_ci(a) || !wmean_has_ci(b))
        return LOC_EDATA;
    double se, df;
    welch(a, b, &se, &df);
    *p = t_test_p(a->mean - b->mean, se, df);
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Comparison, multiple testing, flags
 * --------------------------------------------------------------------- */

loc_status loc_stats_vs_ref(const loc_interval *ci, double ref, loc_interval *diff)
{
    if (!diff)
        return LOC_EINVAL;
    zero_interval(diff);
    if (!ci || !isfinite(ref))
        return LOC_EINVAL;
    diff->est = ci->est - ref;
    diff->low = ci->low - ref;
    diff->high = ci->high - ref;
    return LOC_OK;
}

/* One p-value and where it came from, for the BH sort. */
typedef struct ranked_p {
    double p;     /* the p-value, never NaN here */
    size_t index; /* its position in the caller's array */
} ranked_p;

/* Ascending p, ties by position: a total order, so any correct sort gives
 * the same permutation. */
static int cmp_ranked(const void *va, const void *vb)
{
    const ranked_p *a = va, *b = vb;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/*
 * Step-up false discovery rate adjustment, as adjusted p-values (R's
 * p.adjust "BH" and "BY"): with m tests and p(1) <= ... <= p(m),
 * q(i) = min over j >= i of min(1, c m p(j) / j), filled from the largest
 * p down; c = 1 for Benjamini & Hochberg (1995), c = 1 + 1/2 + ... + 1/m
 * for Benjamini & Yekutieli (2001), whose control holds under any
 * dependence between the tests.
 */
static loc_status fdr_adjust(loc_ctx *ctx, const char *who, const double *p, size_t n, double *q, int by)
{
    if (n == 0)
        return LOC_OK;
    if (!p || !q) {
        if (q)
            for (size_t i = 0; i < n; i++)
                q[i] = NAN;
        return loc_error(ctx, LOC_EINVAL, "%s: no p-value array", who);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i]))
            continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
            double bad = p[i];
            for (size_t j = 0; j < n; j++)
                q[j] = NAN;
            return loc_error(ctx, LOC_EINVAL, "%s: p-value %zu is outside [0, 1]: %g", who, i, bad);
        }
        m++;
    }
    ranked_p *r = NULL;
    if (m > 0) {
        r = loc_calloc(ctx, m, sizeof *r);
        if (!r) {
            for (size_t j = 0; j < n; j++)
                q[j] = NAN;
            return LOC_ENOMEM;
        }
    }
    /* copy out before writing q, which may be p */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            r[k++] = (ranked_p){p[i], i};
    for (size_t i = 0; i < n; i++)
        q[i] = NAN;
    if (m > 0)
        qsort(r, m, sizeof *r, cmp_ranked);
    double c = 1.0;
    if (by) {
        c = 0.0;
        for (size_t i = m; i > 0; i--) /* smallest terms first, for accuracy */
            c += 1.0 / (double)i;
    }
    double run = 1.0;
    for (size_t j = m; j > 0; j--) {
        double adj = c * r[j - 1].p * (double)m / (double)j;
        if (adj < run)
            run = adj;
        q[r[j - 1].index] = run;
    }
    loc_free(ctx, r);
    return LOC_OK;
}

loc_status loc_stats_bh(loc_ctx *ctx, const double *p, size_t n, double *q)
{
    return fdr_adjust(ctx, "benjamini-hochberg", p, n, q, 0);
}

loc_status loc_stats_by(loc_ctx *ctx, const double *p, size_t n, double *q)
{
    return fdr_adjust(ctx, "benjamini-yekutieli", p, n, q, 1);
}

/* ---------------------------------------------------------------------
 * Overdispersion
 * --------------------------------------------------------------------- */

static int cmp_double(const void *va, const void *vb)
{
    double a = *(const double *)va, b = *(const double *)vb;
    return (a > b) - (a < b);
}

/* Quantile q of sorted x[0..n-1] by linear interpolation between order
 * statistics (Hyndman & Fan type 7, R's default). */
static double quantile7(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

loc_status loc_stats_overdispersion(loc_ctx *ctx, const double *z, const double *v0, size_t n, double winsor,
                                    loc_overdisp *out)
{
    if (!out)
        return LOC_EINVAL;
    *out = (loc_overdisp){1.0, 0.0, 0};
    if (n && (!z || !v0))
        return loc_error(ctx, LOC_EINVAL, "overdispersion: no z-score or variance array");
    if (!(winsor >= 0.0 && winsor < 0.5))
        return loc_error(ctx, LOC_EINVAL, "overdispersion: winsorisation %g is outside [0, 0.5)", winsor);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += isfinite(z[i]) && isfinite(v0[i]) && v0[i] > 0.0;
    if (m < 2)
        return LOC_EDATA;
    double *s = loc_malloc(ctx, m * sizeof *s);
    if (!s)
        return LOC_ENOMEM;
    size_t k = 0;
    double sw = 0.0, sww = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(z[i]) && isfinite(v0[i]) && v0[i] > 0.0) {
            s[k++] = z[i];
            sw += 1.0 / v0[i];
            sww += 1.0 / (v0[i] * v0[i]);
        }
    double lo = -INFINITY, hi = INFINITY;
    if (winsor > 0.0) {
        qsort(s, m, sizeof *s, cmp_double);
        lo = quantile7(s, m, winsor);
        hi = quantile7(s, m, 1.0 - winsor);
    }
    /* summed in the caller's order (the sort only gave the cut points), so
     * the result does not hang on the sort's order of equal values */
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(z[i]) && isfinite(v0[i]) && v0[i] > 0.0) {
            double w = fmin(fmax(z[i], lo), hi);
            ss += w * w;
        }
    loc_free(ctx, s);
    out->units = m;
    out->phi = ss / (double)m;
    double den = sw - sww / sw;
    double excess = ss - (double)(m - 1);
    out->tau2 = excess > 0.0 && den > 0.0 ? excess / den : 0.0;
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Bounded intervals for means
 * --------------------------------------------------------------------- */

loc_status loc_stats_bounded(double est, double se, double lower, double upper, double conf, double df,
                             loc_interval *out)
{
    if (!out)
        return LOC_EINVAL;
    zero_interval(out);
    if (!isfinite(est) || !isfinite(se) || se < 0.0 || !ok_conf(conf) || isnan(lower) || isnan(upper) ||
        lower >= upper || !(df > 0))
        return LOC_EINVAL;
    double z = isinf(df) ? st_z_upper((1.0 - conf) / 2.0) : -loc_stats_t_quantile((1.0 - conf) / 2.0, df);
    out->est = est;
    int has_lo = isfinite(lower), has_hi = isfinite(upper);
    if (has_lo && has_hi && est > lower && est < upper) {
        /* logit of the position between the bounds, delta-method
         * standard error, mapped back */
        double w = upper - lower, u = (est - lower) / w;
        double lt = log(u / (1.0 - u)), st = se / (w * u * (1.0 - u));
        out->low = lower + w / (1.0 + exp(-(lt - z * st)));
        out->high = lower + w / (1.0 + exp(-(lt + z * st)));
    } else if (has_lo && !has_hi && est > lower) {
        double lt = log(est - lower), st = se / (est - lower);
        out->low = lower + exp(lt - z * st);
        out->high = lower + exp(lt + z * st);
    } else if (has_hi && !has_lo && est < upper) {
        double lt = log(upper - est), st = se / (upper - est);
        out->low = upper - exp(lt + z * st);
        out->high = upper - exp(lt - z * st);
    } else {
        /* unbounded, or the estimate on a bound: the normal interval,
         * kept inside the bounds */
        out->low = est - z * se;
        out->high = est + z * se;
    }
    if (has_lo && out->low < lower)
        out->low = lower;
    if (has_hi && out->high > upper)
        out->high = upper;
    if (out->low > est)
        out->low = est;
    if (out->high < est)
        out->high = est;
    return LOC_OK;
}

/* The flag for a significant difference on side `higher` of zero. */
static loc_flag side_flag(bool higher, bool higher_is_worse)
{
    return higher == higher_is_worse ? LOC_FLAG_POORER : LOC_FLAG_BETTER;
}

loc_flag loc_stats_flag(const loc_interval *diff, bool higher_is_worse, double min_effect,
                        bool reliable)
{
    if (!reliable || !diff || isnan(diff->est) || isnan(diff->low) || isnan(diff->high)
        || diff->low > diff->high)
        return LOC_FLAG_UNRELIABLE;
    double eff = min_effect > 0.0 ? min_effect : 0.0;
    if (diff->low > 0.0 && diff->est >= eff)
        return side_flag(true, higher_is_worse);
    if (diff->high < 0.0 && -diff->est >= eff)
        return side_flag(false, higher_is_worse);
    return LOC_FLAG_SAME;
}

loc_flag loc_stats_flag_p(double diff_est, double p, double alpha, bool higher_is_worse,
                          double min_effect, bool reliable)
{
    if (!reliable || isnan(p) || isnan(diff_est) || !ok_conf(alpha))
        return LOC_FLAG_UNRELIABLE;
    double eff = min_effect > 0.0 ? min_effect : 0.0;
    if (p < alpha && diff_est != 0.0 && fabs(diff_est) >= eff)
        return side_flag(diff_est > 0.0, higher_is_worse);
    return LOC_FLAG_SAME;
}

const char *loc_stats_flag_name(loc_flag f)
{
    switch (f) {
    case LOC_FLAG_SAME: return "same";
    case LOC_FLAG_POORER: return "poorer";
    case LOC_FLAG_BETTER: return "better";
    case LOC_FLAG_UNRELIABLE: return "unreliable";
    }
    return "unknown";
}
