/*
 * Statistics: the distribution functions, intervals, tests and flags behind
 * the "significantly poorer outcomes" decision (see stats.h for the methods
 * and their sources).
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
 * - The exact Poisson limits and t intervals need the incomplete gamma and
 *   beta functions and their inverses.  The C library has neither, and the
 *   project takes no numerical library for four functions, so they are
 *   here: series and continued fractions (Lentz's method) for the
 *   functions, safeguarded Halley/Newton iteration for the inverses.  The
 *   prefactor x^a e^-x / Gamma(a) is computed from Stirling's series and a
 *   cancellation-free t - log(1 + t) when a is large, because the obvious
 *   a log x - x - lgamma(a) loses a digit per power of ten in a.
 *
 * - Confidence levels become z or t values through the upper tail
 *   probability (1 - conf) / 2 directly, never 1 - (1 - conf) / 2, so a
 *   99.9% level keeps its precision.
 *
 * - Nothing allocates except the Benjamini-Hochberg sort, which needs an
 *   index permutation and takes it from the context's allocator.
 */
#include "localities/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

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
static double z_upper(double alpha) { return -loc_stats_norm_quantile(alpha); }

/* Two-sided normal p-value of a z statistic. */
static double p_two_sided_z(double z) { return erfc(fabs(z) / SQRT2); }

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
static void gamma_pq(double a, double x, double *P, double *Q)
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
        gamma_pq(a, x, P, Q);
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
static double gamma_inv(double a, double p, double q)
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
        gamma_pq(a, x, &P, &Q);
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
    return gamma_inv(a, p, 1.0 - p);
}

double loc_stats_gamma_q_inv(double a, double q)
{
    if (!(a > 0.0) || isinf(a) || !(q >= 0.0 && q <= 1.0))
        return NAN;
    return gamma_inv(a, 1.0 - q, q);
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
static double t_upper_inv(double alpha, double df)
{
    if (df == 1.0)
        return tan(PI * (0.5 - alpha));
    if (df == 2.0)
        return (1.0 - 2.0 * alpha) / sqrt(2.0 * alpha * (1.0 - alpha));
    double z = z_upper(alpha);
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
    return p < 0.5 ? -t_upper_inv(p, df) : t_upper_inv(1.0 - p, df);
}

/* Two-sided t p-value of a t statistic. */
static double p_two_sided_t(double t, double df) { return 2.0 * t_upper(fabs(t), df); }

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
    wilson_limits(x, n, z_upper(0.5 * (1.0 - conf)), &out->low, &out->high);
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
    double z = z_upper(0.5 * (1.0 - conf));
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
    *p = p_two_sided_z((x - n * p0) / sqrt(var));
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
        *p = p_two_sided_z((x1 / n1 - x2 / n2) / sqrt(var));
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
        out->low = count == 0.0 ? 0.0 : gamma_inv(count, alpha2, 1.0 - alpha2);
        out->high = gamma_inv(count + 1.0, 1.0 - alpha2, alpha2);
    } else {
        double z = z_upper(alpha2);
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
    wilson_limits(o1, total, z_upper(0.5 * (1.0 - conf)), &pl, &ph);
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
    *p = p_two_sided_z((o1 - total * pi0) / sqrt(total * pi0 * (1.0 - pi0)));
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
    gamma_pq(count + 1.0, m, &P, &Q);
    double below = Q;
    double above = 1.0;
    if (count > 0.0) {
        gamma_pq(count, m, &P, &Q);
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
    double t = t_upper_inv(0.5 * (1.0 - conf), m->n_eff - 1.0);
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
    double half = se > 0.0 ? t_upper_inv(0.5 * (1.0 - conf), df) * se : 0.0;
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
    return p_two_sided_t(diff / se, df);
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
    double z = isinf(df) ? z_upper((1.0 - conf) / 2.0) : -loc_stats_t_quantile((1.0 - conf) / 2.0, df);
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
