/*
 * The distribution functions under the statistics (stats.c): the normal
 * quantile, the regularised incomplete gamma and beta functions, Student's
 * t and their inverses.
 *
 * The exact Poisson limits and t intervals need the incomplete gamma and
 * beta functions and their inverses.  The C library has neither, and the
 * project takes no numerical library for four functions, so they are
 * here: series and continued fractions (Lentz's method) for the
 * functions, safeguarded Halley/Newton iteration for the inverses.  The
 * prefactor x^a e^-x / Gamma(a) is computed from Stirling's series and a
 * cancellation-free t - log(1 + t) when a is large, because the obvious
 * a log x - x - lgamma(a) loses a digit per power of ten in a.
 */
#include "localities/stats.h"
#include "stats_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* M_PI and M_SQRT2 are not C11, and the build asks only for POSIX. */
#define PI 3.14159265358979323846
#define SQRT2 1.41421356237309504880

/* Lentz's method replaces zero denominators by this. */
#define TINY 1e-300

/* Iteration caps.  The series and continued fractions need about
 * 9 sqrt(a) terms at worst, 90,000 at GAMMA_WH_ABOVE; the cap keeps absurd
 * arguments finite in time. */
#define MAX_TERMS 300000
#define MAX_ROOT_STEPS 400

/* Shapes above this use the Wilson-Hilferty approximation instead of the
 * series and fraction, whose length grows as sqrt(a).  Its error is O(1/a),
 * about 1e-9 here; no count in population data comes near. */
#define GAMMA_WH_ABOVE 1e8

/* ---------------------------------------------------------------------
 * Normal distribution
 * --------------------------------------------------------------------- */

double loc_stats_norm_cdf(double x)
{
    return 0.5 * erfc(-x / SQRT2);
}

/* Evaluate the polynomial c[0] + c[1] r + ... + c[7] r^7. */
static double poly8(const double *c, double r)
{
    double s = c[7];
    for (int i = 6; i >= 0; i--)
        s = s * r + c[i];
    return s;
}

/*
 * Wichura (1988), Algorithm AS 241 (PPND16), Applied Statistics 37:477-484:
 * rational approximations of degree 7 in three regions: |p - 1/2| <= 0.425,
 * then r = sqrt(-log(tail)) up to 5 and beyond.
 */
double loc_stats_norm_quantile(double p)
{
    static const double a[8] = {
        3.3871328727963666080e+00, 1.3314166789178437745e+02, 1.9715909503065514427e+03,
        1.3731693765509461125e+04, 4.5921953931549871457e+04, 6.7265770927008700853e+04,
        3.3430575583588128105e+04, 2.5090809287301226727e+03};
    static const double b[8] = {
        1.0, 4.2313330701600911252e+01, 6.8718700749205790830e+02, 5.3941960214247511077e+03,
        2.1213794301586595867e+04, 3.9307895800092710610e+04, 2.8729085735721942674e+04,
        5.2264952788528545610e+03};
    static const double c[8] = {
        1.42343711074968357734e+00, 4.63033784615654529590e+00, 5.76949722146069140550e+00,
        3.64784832476320460504e+00, 1.27045825245236838258e+00, 2.41780725177450611770e-01,
        2.27238449892691845833e-02, 7.74545014278341407640e-04};
    static const double d[8] = {
        1.0, 2.05319162663775882187e+00, 1.67638483018380384940e+00, 6.89767334985100004550e-01,
        1.48103976427480074590e-01, 1.51986665636164571966e-02, 5.47593808499534494600e-04,
        1.05075007164441684324e-09};
    static const double e[8] = {
        6.65790464350110377720e+00, 5.46378491116411436990e+00, 1.78482653991729133580e+00,
        2.96560571828504891230e-01, 2.65321895265761230930e-02, 1.24266094738807843860e-03,
        2.71155556874348757815e-05, 2.01033439929228813265e-07};
    static const double f[8] = {
        1.0, 5.99832206555887937690e-01, 1.36929880922735805310e-01, 1.48753612908506148525e-02,
        7.86869131145613259100e-04, 1.84631831751005468180e-05, 1.42151175831644588870e-07,
        2.04426310338993978564e-15};

    if (!(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * poly8(a, r) / poly8(b, r);
    }
    double r = sqrt(-log(q < 0.0 ? p : 1.0 - p));
    double x;
    if (r <= 5.0) {
        r -= 1.6;
        x = poly8(c, r) / poly8(d, r);
    } else {
        r -= 5.0;
        x = poly8(e, r) / poly8(f, r);
    }
    return q < 0.0 ? -x : x;
}

/* The z with upper tail alpha, computed from alpha itself. */
double st_z_upper(double alpha) { return -loc_stats_norm_quantile(alpha); }

/* Two-sided normal p-value of a z statistic. */
double st_p_two_sided_z(double z) { return erfc(fabs(z) / SQRT2); }

/* ---------------------------------------------------------------------
 * Incomplete gamma function
 * --------------------------------------------------------------------- */

/* log |Gamma(x)| without lgamma's write to the global signgam, which two
 * assessments in parallel (batch) would race on. */
static double log_gamma(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

/* lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2) for a >= 10, by
 * Stirling's series; the first omitted term is below 1e-15. */
static double stirling_corr(double a)
{
    double r = 1.0 / a, r2 = r * r;
    return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680
           + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360))))));
}

/* t - log(1 + t) for t > -1, without cancellation near t = 0: with
 * u = t / (2 + t), log(1 + t) = 2 atanh(u), and t - 2u = t u, leaving
 * t u - 2 (u^3/3 + u^5/5 + ...), every term small where t is. */
static double t_minus_log1p(double t)
{
    if (fabs(t) >= 0.5)
        return t - log1p(t);
    double u = t / (2.0 + t), u2 = u * u;
    double pw = u * u2, s = 0.0;
    for (int k = 3; k < 200; k += 2) {
        double term = pw / k;
        s += term;
        if (fabs(term) <= 1e-17 * fabs(s))
            break;
        pw *= u2;
    }
    return t * u - 2.0 * s;
}

/* log(x^a e^-x / Gamma(a)), x > 0: the factor shared by the series and
 * the continued fraction, and the density of the gamma(a) distribution
 * times x.  For large a this is -a g(x/a - 1) + log(a / 2pi) / 2 - corr(a)
 * with g(t) = t - log(1 + t), which has no large terms to cancel. */
static double gamma_log_prefix(double a, double x)
{
    if (a < 10.0)
        return a * log(x) - x - log_gamma(a);
    double t = (x - a) / a;
    double core = fabs(t) < 0.5 ? -a * t_minus_log1p(t)
                                : a * log(x / a) - (x - a); /* 1 + t would lose digits of x/a */
    return core + 0.5 * log(a / (2.0 * PI)) - stirling_corr(a);
}

/* P(a, x) and Q(a, x) for a > 0, x > 0 finite: the series for P where it
 * converges fast (x < a + 1), else the continued fraction for Q; the other
 * is 1 minus, which loses little since then it is the larger one.  The
 * exception is a < 1, where Q is already small at x = 1 (Q(0.01, 1) is
 * 0.002) and 1 - P would lose digits: there the fraction, which still
 * converges in a few dozen terms, takes over from x = 0.5. */
void st_gamma_pq(double a, double x, double *P, double *Q)
{
    if (a > GAMMA_WH_ABOVE) {
        /* (x/a)^(1/3) is close to normal, mean 1 - 1/(9a), variance 1/(9a);
         * (x/a)^(1/3) - 1 is formed without cancellation since s is tiny */
        double s = 1.0 / (9.0 * a);
        double z = (expm1(log1p((x - a) / a) / 3.0) + s) / sqrt(s);
        *P = 0.5 * erfc(-z / SQRT2);
        *Q = 0.5 * erfc(z / SQRT2);
        return;
    }
    double lp = gamma_log_prefix(a, x);
    if (x < a + 1.0 && !(a < 1.0 && x >= 0.5)) {
        /* P = prefix * sum_{n>=0} x^n / (a (a+1) ... (a+n)) */
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < MAX_TERMS; n++) {
            term *= x / (a + n);
            sum += term;
            if (term <= sum * 1e-17)
                break;
        }
        double p = exp(lp) * sum;
        if (p > 1.0)
            p = 1.0;
        *P = p;
        *Q = 1.0 - p;
    } else {
        /* Q = prefix / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))),
         * evaluated by Lentz's method. */
        double bn = x + 1.0 - a;
        double c = 1.0 / TINY, d = 1.0 / bn, h = d;
        for (int n = 1; n < MAX_TERMS; n++) {
            double an = -n * (n - a);
            bn += 2.0;
            d = an * d + bn;
            if (fabs(d) < TINY)
                d = TINY;
            c = bn + an / c;
            if (fabs(c) < TINY)
                c = TINY;
            d = 1.0 / d;
            double delta = d * c;
            h *= delta;
            if (fabs(delta - 1.0) <= 1e-16)
                break;
        }
        double q = exp(lp) * h;
        if (q > 1.0)
            q = 1.0;
        *Q = q;
        *P = 1.0 - q;
    }
}

/* Both tails with the edge cases settled; false for invalid arguments. */
static bool gamma_tails(double a, double x, double *P, double *Q)
{
    if (!(a > 0.0) || !(x >= 0.0) || isinf(a))
        return false;
    if (x == 0.0) {
        *P = 0.0;
        *Q = 1.0;
    } else if (isinf(x)) {
        *P = 1.0;
        *Q = 0.0;
    } else {
        st_gamma_pq(a, x, P, Q);
    }
    return true;
}

double loc_stats_gamma_p(double a, double x)
{
    double P, Q;
    return gamma_tails(a, x, &P, &Q) ? P : NAN;
}

double loc_stats_gamma_q(double a, double x)
{
    double P, Q;
    return gamma_tails(a, x, &P, &Q) ? Q : NAN;
}

/* The safeguard of the bracketed root searches (gamma_inv, t_upper_inv):
 * the step proposed (NaN for none) when it stays inside the bracket
 * [lo, hi] that every evaluation narrows, else grow times x while there is
 * no upper bound yet, else bisection (in log space when the bracket spans
 * orders of magnitude); *done when the step or the bracket has shrunk to
 * rounding, with the root returned. */
static double safeguard(double x, double next, double lo, double hi, double grow, bool *done)
{
    if (!(next > lo && next < hi)) {
        if (isinf(hi))
            next = grow * x;
        else if (lo > 0.0 && hi > 4.0 * lo)
            next = sqrt(lo * hi);
        else
            next = 0.5 * (lo + hi);
    }
    if (fabs(next - x) <= 4.0 * DBL_EPSILON * next) {
        *done = true;
        return next;
    }
    if (isfinite(hi) && hi - lo <= 4.0 * DBL_EPSILON * hi) {
        *done = true;
        return 0.5 * (lo + hi);
    }
    return next;
}

/* A starting point for the inverse: Wilson-Hilferty's cube-root normal
 * approximation when a > 1, else the leading term of whichever tail is
 * small (P ~ x^a / Gamma(a+1) near 0, Q ~ x^(a-1) e^-x / Gamma(a) far
 * out).  It only needs to be in the right region; the iteration is
 * bracketed. */
static double gamma_inv_start(double a, double p, double q)
{
    if (a > 1.0) {
        double z = p < q ? loc_stats_norm_quantile(p) : -loc_stats_norm_quantile(q);
        double s = 1.0 / (9.0 * a);
        double w = 1.0 - s + z * sqrt(s);
        if (w > 0.1)
            return a * w * w * w;
    }
    double lo = exp((log(p) + log_gamma(a + 1.0)) / a);
    if (lo < 1.0 || p < q)
        return lo > 0.0 ? lo : DBL_MIN;
    double hi = -log(q) - log_gamma(a);
    return hi > 1.0 ? hi : 1.0;
}

/*
 * The x with P(a, x) = p, Q(a, x) = q (p + q = 1, both given so that the
 * small one keeps its precision).  Halley's method on whichever tail is
 * smaller, inside a bracket [lo, hi] that every evaluation narrows; a step
 * that leaves the bracket is replaced by doubling (no upper bound yet) or
 * by bisection, in log space when the bracket spans orders of magnitude.
 */
double st_gamma_inv(double a, double p, double q)
{
    if (p <= 0.0)
        return 0.0;
    if (q <= 0.0)
        return INFINITY;
    if (a > GAMMA_WH_ABOVE) {
        /* the exact inverse of gamma_pq's approximation there */
        double z = p < q ? loc_stats_norm_quantile(p) : -loc_stats_norm_quantile(q);
        double s = 1.0 / (9.0 * a);
        double w = 1.0 - s + z * sqrt(s);
        return w > 0.0 ? a * w * w * w : 0.0;
    }
    bool lower = p <= q;
    double x = gamma_inv_start(a, p, q);
    double lo = 0.0, hi = INFINITY;
    for (int it = 0; it < MAX_ROOT_STEPS; it++) {
        double P, Q;
        st_gamma_pq(a, x, &P, &Q);
        /* f increases with x in both cases */
        double fx = lower ? P - p : q - Q;
        if (fx == 0.0)
            return x;
        if (fx < 0.0)
            lo = x;
        else
            hi = x;
        double dens = exp(gamma_log_prefix(a, x)) / x; /* dP/dx */
        double next = NAN;
        if (dens > 0.0 && isfinite(dens)) {
            double step = fx / dens;
            double corr = 1.0 - 0.5 * step * ((a - 1.0) / x - 1.0);
            next = x - (corr > 0.5 ? step / corr : step);
        }
        bool done = false;
        x = safeguard(x, next, lo, hi, 2.0, &done);
        if (done)
            return x;
    }
    return x;
}

double loc_stats_gamma_p_inv(double a, double p)
{
    if (!(a > 0.0) || isinf(a) || !(p >= 0.0 && p <= 1.0))
        return NAN;
    return st_gamma_inv(a, p, 1.0 - p);
}

double loc_stats_gamma_q_inv(double a, double q)
{
    if (!(a > 0.0) || isinf(a) || !(q >= 0.0 && q <= 1.0))
        return NAN;
    return st_gamma_inv(a, 1.0 - q, q);
}

/* ---------------------------------------------------------------------
 * Incomplete beta function and Student's t
 * --------------------------------------------------------------------- */

/* lgamma(a + b) - lgamma(a), kept accurate when a is large against b
 * (the t distribution's a = df/2, b = 1/2). */
static double lgamma_ratio(double a, double b)
{
    if (a < 10.0)
        return log_gamma(a + b) - log_gamma(a);
    return (a - 0.5) * log1p(b / a) + b * log(a + b) - b + stirling_corr(a + b) - stirling_corr(a);
}

/* Continued fraction for I_x(a, b) / (x^a y^b / (a B(a, b))) (DLMF 8.17.22),
 * by Lentz's method; converges fast for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < TINY)
        d = TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < MAX_TERMS; m++) {
        /* even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)) */
        double num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        if (fabs(d) < TINY)
            d = TINY;
        c = 1.0 + num / c;
        if (fabs(c) < TINY)
            c = TINY;
        d = 1.0 / d;
        h *= d * c;
        /* odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) */
        num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        if (fabs(d) < TINY)
            d = TINY;
        c = 1.0 + num / c;
        if (fabs(c) < TINY)
            c = TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) <= 1e-16)
            break;
    }
    return h;
}

/* I_x(a, b) with y = 1 - x passed separately (so that whichever of x, y is
 * tiny keeps its digits) and its logarithms lx, ly.  Uses the symmetry
 * I_x(a, b) = 1 - I_y(b, a) to stay where the fraction converges. */
static double beta_inc(double a, double b, double x, double y, double lx, double ly)
{
    if (x <= 0.0)
        return 0.0;
    if (y <= 0.0)
        return 1.0;
    /* log B(a, b) with the large argument handled by lgamma_ratio */
    double big = a > b ? a : b, small = a > b ? b : a;
    double lbeta = log_gamma(small) - lgamma_ratio(big, small);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(a * lx + b * ly - lbeta - log(a)) * beta_cf(a, b, x);
    return 1.0 - exp(a * lx + b * ly - lbeta - log(b)) * beta_cf(b, a, y);
}

/* Upper tail Pr[T > t] for t >= 0: I_{df/(df+t^2)}(df/2, 1/2) / 2. */
static double t_upper(double t, double df)
{
    if (isinf(t))
        return 0.0;
    if (df > 1e12)
        return 0.5 * erfc(t / SQRT2);
    double t2 = t * t;
    double x = df / (df + t2), y = t2 / (df + t2);
    double lx = -log1p(t2 / df), ly = log(t2) - log(df + t2);
    return 0.5 * beta_inc(0.5 * df, 0.5, x, y, lx, ly);
}

/* Density of t at t. */
static double t_density(double t, double df)
{
    double h = 0.5 * df;
    return exp(lgamma_ratio(h, 0.5) - 0.5 * log(df * PI) - (h + 0.5) * log1p(t * t / df));
}

double loc_stats_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(df))
        return loc_stats_norm_cdf(t);
    double up = t_upper(fabs(t), df);
    return t < 0.0 ? up : 1.0 - up;
}

/* The t > 0 with Pr[T > t] = alpha, 0 < alpha < 1/2.  Closed forms for
 * df 1 and 2; otherwise Newton's method from the Cornish-Fisher expansion
 * (Abramowitz & Stegun 26.7.5), bracketed like gamma_inv because the
 * expansion is poor for small df. */
double st_t_upper_inv(double alpha, double df)
{
    if (df == 1.0)
        return tan(PI * (0.5 - alpha));
    if (df == 2.0)
        return (1.0 - 2.0 * alpha) / sqrt(2.0 * alpha * (1.0 - alpha));
    double z = st_z_upper(alpha);
    if (isinf(df) || df > 1e12)
        return z;
    double z2 = z * z;
    double g1 = (z2 + 1.0) * z / 4.0;
    double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    double t = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
    if (!(t > 0.0) || !isfinite(t))
        t = z > 0.0 ? z : 1.0;
    double lo = 0.0, hi = INFINITY;
    for (int it = 0; it < MAX_ROOT_STEPS; it++) {
        double fx = t_upper(t, df) - alpha; /* decreasing in t */
        if (fx == 0.0)
            return t;
        if (fx > 0.0)
            lo = t;
        else
            hi = t;
        double dens = t_density(t, df);
        double next = dens > 0.0 ? t + fx / dens : NAN;
        bool done = false;
        t = safeguard(t, next, lo, hi, 4.0, &done);
        if (done)
            return t;
    }
    return t;
}

/* st_t_upper_inv through a small cache of recent (alpha, df) pairs, one
 * per thread: an assessment asks for the same quantile for every
 * indicator of a locality whose zones all have values (the effective
 * number of zones, so df, is the same), and each answer costs a Newton
 * search over the incomplete beta function.  The same arguments give the
 * same bits, so the cache changes no result. */
static double t_upper_inv_memo(double alpha, double df)
{
    enum { SLOTS = 64 };
    static _Thread_local struct {
        double alpha, df, t;
    } memo[SLOTS];
    uint64_t a, d;
    memcpy(&a, &alpha, sizeof a);
    memcpy(&d, &df, sizeof d);
    uint64_t hsh = (a ^ (d * UINT64_C(0x9e3779b97f4a7c15))) * UINT64_C(0xff51afd7ed558ccd);
    size_t i = (size_t)(hsh >> 58);
    if (memo[i].df == df && memo[i].alpha == alpha) /* an empty slot has df 0 */
        return memo[i].t;
    double t = st_t_upper_inv(alpha, df);
    memo[i].alpha = alpha;
    memo[i].df = df;
    memo[i].t = t;
    return t;
}

double loc_stats_t_quantile(double p, double df)
{
    if (!(p >= 0.0 && p <= 1.0) || !(df > 0.0))
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    if (p == 0.5)
        return 0.0;
    if (isinf(df))
        return loc_stats_norm_quantile(p);
    return p < 0.5 ? -t_upper_inv_memo(p, df) : t_upper_inv_memo(1.0 - p, df);
}

/* Two-sided t p-value of a t statistic. */
double st_p_two_sided_t(double t, double df) { return 2.0 * t_upper(fabs(t), df); }
