/*
 * Tests for the statistics module against published worked values.
 *
 * Where a paper gives the number, the comment names the paper and table and
 * the tolerance is half a unit in its last printed digit.  Where no paper
 * gives it (deep tails, non-integer counts, the weighted means), the
 * expected value was computed independently in Python with mpmath 1.3.0 at
 * 40 significant digits, by a different route from the C code: Poisson
 * limits by bisection on the Poisson distribution function summed term by
 * term, t quantiles by bisection on mpmath's betainc, and so on.  Each such
 * comment says how.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localities/ctx.h"
#include "localities/stats.h"

/* ---------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* |got - want| <= tol, with the expression and values in the message. */
#define assert_near(got, want, tol) \
    check_near((got), (want), (tol), 0, #got, __FILE__, __LINE__)
/* |got - want| <= rel |want| */
#define assert_rel(got, want, rel) \
    check_near((got), (want), (rel), 1, #got, __FILE__, __LINE__)

static void check_near(double got, double want, double tol, int relative, const char *expr,
                       const char *file, int line)
{
    double lim = relative ? tol * fabs(want) : tol;
    if (!(fabs(got - want) <= lim) && !(got == want)) {
        print_error("%s = %.17g, expected %.17g (%s tolerance %g)\n", expr, got, want,
                    relative ? "relative" : "absolute", tol);
        _fail(file, line);
    }
}

/* The interval is (0, 0, 0): the documented failure output, NaN-free. */
static void assert_zeroed(const loc_interval *ci)
{
    assert_true(ci->est == 0.0 && ci->low == 0.0 && ci->high == 0.0);
}

#define CONF95 0.95

/* ---------------------------------------------------------------------
 * Normal distribution
 * --------------------------------------------------------------------- */

static void test_norm_quantile(void **state)
{
    (void)state;
    /* z(0.975) to 16 digits, the value every table rounds to 1.96 */
    assert_rel(loc_stats_norm_quantile(0.975), 1.959963984540054, 1e-15);
    assert_rel(loc_stats_norm_quantile(0.025), -1.959963984540054, 1e-15);
    assert_true(loc_stats_norm_quantile(0.5) == 0.0);
    /* mpmath: root of log(ncdf(-x)) = log(1e-10) */
    assert_rel(loc_stats_norm_quantile(1e-10), -6.3613409024040562, 1e-15);
    assert_true(isinf(loc_stats_norm_quantile(0.0)) && loc_stats_norm_quantile(0.0) < 0);
    assert_true(isinf(loc_stats_norm_quantile(1.0)) && loc_stats_norm_quantile(1.0) > 0);
    assert_true(isnan(loc_stats_norm_quantile(-0.1)));
    assert_true(isnan(loc_stats_norm_quantile(1.5)));
    assert_true(isnan(loc_stats_norm_quantile(NAN)));
    /* round trip through the distribution function */
    for (double p = 0.001; p < 1.0; p += 0.0123)
        assert_rel(loc_stats_norm_cdf(loc_stats_norm_quantile(p)), p, 1e-14);
}

static void test_norm_cdf(void **state)
{
    (void)state;
    assert_near(loc_stats_norm_cdf(1.959963984540054), 0.975, 1e-16);
    assert_true(loc_stats_norm_cdf(0.0) == 0.5);
    /* mpmath ncdf(-10): the lower tail keeps its relative accuracy */
    assert_rel(loc_stats_norm_cdf(-10.0), 7.6198530241605261e-24, 1e-14);
    assert_true(isnan(loc_stats_norm_cdf(NAN)));
}

/* ---------------------------------------------------------------------
 * Incomplete gamma and its inverse
 * --------------------------------------------------------------------- */

static void test_gamma(void **state)
{
    (void)state;
    /* closed forms: P(1, x) = 1 - e^-x, Q(1/2, x) = erfc(sqrt x) */
    assert_rel(loc_stats_gamma_p(1.0, 2.0), 1.0 - exp(-2.0), 1e-15);
    assert_rel(loc_stats_gamma_q(0.5, 3.0), erfc(sqrt(3.0)), 1e-13);
    /* mpmath gammainc(a, ..., regularized=True) */
    assert_rel(loc_stats_gamma_q(1000.0, 1100.0), 0.0010593232539299773, 1e-12);
    assert_rel(loc_stats_gamma_p(1000.0, 900.0), 0.00054990226571178292, 1e-12);
    assert_rel(loc_stats_gamma_p(3.5, 0.01), 8.530580469428508e-9, 1e-13);
    assert_true(loc_stats_gamma_p(2.0, 0.0) == 0.0);
    assert_true(loc_stats_gamma_q(2.0, INFINITY) == 0.0);
    assert_true(isnan(loc_stats_gamma_p(0.0, 1.0)));
    assert_true(isnan(loc_stats_gamma_p(-1.0, 1.0)));
    assert_true(isnan(loc_stats_gamma_q(1.0, -1.0)));
    assert_true(isnan(loc_stats_gamma_p(NAN, 1.0)));
    /* huge shapes (Wilson-Hilferty branch) against the asymptotic
     * P(a, a) = 1/2 + 1 / (3 sqrt(2 pi a)) + O(1/a); and the branch meets
     * the exact series smoothly at its threshold of 1e8 */
    const double two_pi = 6.283185307179586;
    assert_near(loc_stats_gamma_p(1e12, 1e12), 0.5 + 1.0 / (3.0 * sqrt(two_pi * 1e12)), 1e-11);
    assert_near(loc_stats_gamma_p(1e8, 1e8), 0.5 + 1.0 / (3.0 * sqrt(two_pi * 1e8)), 1e-9);
    assert_near(loc_stats_gamma_p(1.0000001e8, 1.0000001e8), loc_stats_gamma_p(1e8, 1e8), 1e-9);
    /* round trip in x: in p it is ill-conditioned, dP/dx x / P ~ 1e6 */
    assert_rel(loc_stats_gamma_p_inv(1e12, loc_stats_gamma_p(1e12, 0.999998e12)), 0.999998e12,
               1e-14);
    /* P + Q = 1 across both evaluation branches */
    for (double a = 0.05; a < 200.0; a *= 1.7)
        for (double x = 0.01; x < 400.0; x *= 2.3)
            assert_near(loc_stats_gamma_p(a, x) + loc_stats_gamma_q(a, x), 1.0, 1e-14);
}

static void test_gamma_inverse(void **state)
{
    (void)state;
    /* chi-square quantiles 2 P^-1(k/2, p): df 2 has the closed form
     * -2 log(1 - p); df 1 is z^2; df 10 at 0.95 is the table's 18.307
     * (mpmath bisection: 18.307038053275147) */
    assert_rel(2.0 * loc_stats_gamma_p_inv(1.0, 0.95), -2.0 * log(0.05), 1e-13);
    assert_rel(2.0 * loc_stats_gamma_p_inv(0.5, 0.95), 1.959963984540054 * 1.959963984540054,
               1e-13);
    assert_rel(2.0 * loc_stats_gamma_p_inv(5.0, 0.95), 18.307038053275147, 1e-13);
    /* mpmath bisection on gammainc */
    assert_rel(loc_stats_gamma_p_inv(100.0, 0.025), 81.36399125092314, 1e-13);
    assert_rel(loc_stats_gamma_q_inv(2.5, 1e-8), 22.897293561542283, 1e-13);
    /* round trips, small and large shape, both tails */
    const double as[] = {0.05, 0.5, 1.0, 3.0, 9.5, 10.0, 42.0, 1e3, 1e5};
    const double ps[] = {1e-12, 1e-4, 0.025, 0.5, 0.975, 0.9999};
    for (size_t i = 0; i < sizeof as / sizeof *as; i++) {
        for (size_t j = 0; j < sizeof ps / sizeof *ps; j++) {
            double x = loc_stats_gamma_p_inv(as[i], ps[j]);
            assert_rel(loc_stats_gamma_p(as[i], x), ps[j], 1e-11);
            x = loc_stats_gamma_q_inv(as[i], ps[j]);
            assert_rel(loc_stats_gamma_q(as[i], x), ps[j], 1e-11);
        }
    }
    assert_true(loc_stats_gamma_p_inv(3.0, 0.0) == 0.0);
    assert_true(isinf(loc_stats_gamma_p_inv(3.0, 1.0)));
    assert_true(isinf(loc_stats_gamma_q_inv(3.0, 0.0)));
    assert_true(isnan(loc_stats_gamma_p_inv(0.0, 0.5)));
    assert_true(isnan(loc_stats_gamma_p_inv(1.0, 1.5)));
    assert_true(isnan(loc_stats_gamma_q_inv(1.0, NAN)));
}

/* ---------------------------------------------------------------------
 * Student's t
 * --------------------------------------------------------------------- */

static void test_t(void **state)
{
    (void)state;
    /* two-sided 95% critical values; printed tables give 12.706, 4.303,
     * 3.182, 2.228, 2.042; digits from mpmath bisection on betainc */
    assert_rel(loc_stats_t_quantile(0.975, 1.0), 12.706204736174705, 1e-13);
    assert_rel(loc_stats_t_quantile(0.975, 2.0), 4.3026527297494639, 1e-13);
    assert_rel(loc_stats_t_quantile(0.975, 3.0), 3.1824463052837096, 1e-12);
    assert_rel(loc_stats_t_quantile(0.975, 10.0), 2.2281388519862747, 1e-12);
    assert_rel(loc_stats_t_quantile(0.975, 30.0), 2.0422724563012383, 1e-12);
    assert_rel(loc_stats_t_quantile(0.025, 2.5), -3.5746548420036832, 1e-12);
    assert_rel(loc_stats_t_cdf(2.0, 5.0), 0.94903026058507082, 1e-13);
    assert_rel(loc_stats_t_cdf(-1.5, 2.5), 0.12391822654314813, 1e-12);
    /* infinite df is the normal */
    assert_rel(loc_stats_t_quantile(0.975, INFINITY), 1.959963984540054, 1e-15);
    /* a tiny df still gives a finite, monotone answer */
    double t = loc_stats_t_quantile(0.975, 0.2);
    assert_true(isfinite(t) && t > 1e5);
    assert_rel(loc_stats_t_cdf(t, 0.2), 0.975, 1e-10);
    assert_true(loc_stats_t_quantile(0.5, 4.0) == 0.0);
    assert_true(isnan(loc_stats_t_quantile(0.975, 0.0)));
    assert_true(isnan(loc_stats_t_cdf(1.0, -2.0)));
    assert_true(isnan(loc_stats_t_quantile(NAN, 3.0)));
}

/* ---------------------------------------------------------------------
 * Proportions
 * --------------------------------------------------------------------- */

static void test_wilson_published(void **state)
{
    (void)state;
    /* Newcombe (1998a) Stat Med 17:857-872, Table I, method 3 (score
     * interval without continuity correction), 4 decimals */
    static const struct { double x, n, low, high; } t[] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        loc_interval ci;
        assert_int_equal(loc_stats_wilson(t[i].x, t[i].n, CONF95, &ci), LOC_OK);
        assert_near(ci.est, t[i].x / t[i].n, 1e-15);
        assert_near(ci.low, t[i].low, 5e-5);
        assert_near(ci.high, t[i].high, 5e-5);
    }
    /* full precision for 81/263 from the closed form in mpmath */
    loc_interval ci;
    loc_stats_wilson(81, 263, CONF95, &ci);
    assert_rel(ci.low, 0.25528851987827423, 1e-13);
    assert_rel(ci.high, 0.36620957698280007, 1e-13);
}

static void test_wilson_edges(void **state)
{
    (void)state;
    loc_interval ci;
    /* x == 0 and x == n: the far limit is exactly the boundary */
    assert_int_equal(loc_stats_wilson(0, 20, CONF95, &ci), LOC_OK);
    assert_true(ci.low == 0.0 && ci.est == 0.0);
    assert_int_equal(loc_stats_wilson(29, 29, CONF95, &ci), LOC_OK);
    assert_true(ci.high == 1.0 && ci.est == 1.0);
    assert_near(ci.low, 0.8830302015, 1e-10); /* 1 - (0/29 upper limit), mpmath */
    /* tiny denominators: 1 of 1, and non-integer 0.5 of 1.5 (mpmath) */
    assert_int_equal(loc_stats_wilson(1, 1, CONF95, &ci), LOC_OK);
    assert_rel(ci.low, 0.20654931437723739, 1e-13);
    assert_true(ci.high == 1.0);
    assert_int_equal(loc_stats_wilson(0.5, 1.5, CONF95, &ci), LOC_OK);
    assert_rel(ci.low, 0.035842224098249538, 1e-13);
    assert_rel(ci.high, 0.87055038945839215, 1e-13);
    /* n == 0 is undefined, not an error in the arguments */
    ci.est = NAN;
    assert_int_equal(loc_stats_wilson(0, 0, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    /* invalid arguments */
    assert_int_equal(loc_stats_wilson(5, 4, CONF95, &ci), LOC_EINVAL);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_wilson(-1, 4, CONF95, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(NAN, 4, CONF95, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(1, INFINITY, CONF95, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(1, 4, 1.0, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(1, 4, 0.0, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(1, 4, NAN, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_wilson(1, 4, CONF95, NULL), LOC_EINVAL);
    /* higher confidence, wider interval */
    loc_interval w99;
    loc_stats_wilson(15, 148, CONF95, &ci);
    loc_stats_wilson(15, 148, 0.99, &w99);
    assert_true(w99.low < ci.low && w99.high > ci.high);
}

static void test_newcombe_published(void **state)
{
    (void)state;
    /* Newcombe (1998b) Stat Med 17:873-890, Table II, method 10 (hybrid
     * score without continuity correction), 4 decimals.  For 6/7 - 2/7 the
     * value is (0.0582, 0.8062): the method-10 formula from the Wilson
     * limits (0.4869, 0.9743) and (0.0822, 0.6411) gives
     * 0.5714 - sqrt(0.3702^2 + 0.3554^2) = 0.0582 (mpmath:
     * 0.05822792748, 0.8062496375). */
    static const struct { double x1, n1, x2, n2, low, high; } t[] = {
        {56, 70, 48, 80, 0.0524, 0.3339},
        {9, 10, 3, 10, 0.1705, 0.8090},
        {6, 7, 2, 7, 0.0582, 0.8062},
        {5, 56, 0, 29, -0.0381, 0.1926},
        {0, 10, 0, 20, -0.1611, 0.2775},
        {0, 10, 0, 10, -0.2775, 0.2775},
        {10, 10, 0, 20, 0.6791, 1.0000},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        loc_interval ci;
        assert_int_equal(loc_stats_newcombe(t[i].x1, t[i].n1, t[i].x2, t[i].n2, CONF95, &ci),
                         LOC_OK);
        assert_near(ci.est, t[i].x1 / t[i].n1 - t[i].x2 / t[i].n2, 1e-15);
        assert_near(ci.low, t[i].low, 5e-5);
        assert_near(ci.high, t[i].high, 5e-5);
        assert_true(ci.low >= -1.0 && ci.high <= 1.0);
    }
}

static void test_newcombe_edges(void **state)
{
    (void)state;
    loc_interval ci;
    /* the extreme table: never outside [-1, 1], 1 reached exactly */
    assert_int_equal(loc_stats_newcombe(10, 10, 0, 10, CONF95, &ci), LOC_OK);
    assert_true(ci.high == 1.0 && ci.low > 0.0);
    assert_int_equal(loc_stats_newcombe(0, 10, 10, 10, CONF95, &ci), LOC_OK);
    assert_true(ci.low == -1.0 && ci.high < 0.0);
    /* a zero denominator on either side is undefined */
    ci.low = NAN;
    assert_int_equal(loc_stats_newcombe(3, 10, 0, 0, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_newcombe(0, 0, 3, 10, CONF95, &ci), LOC_EDATA);
    /* an invalid argument outranks an empty sample */
    assert_int_equal(loc_stats_newcombe(11, 10, 0, 0, CONF95, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_newcombe(1, 10, 1, 10, 2.0, &ci), LOC_EINVAL);
}

static void test_proportion_p(void **state)
{
    (void)state;
    double p = NAN;
    /* pooled z test of 56/70 vs 48/80 is Pearson's chi-square without
     * continuity correction: 150 (56*32 - 14*48)^2 / (70*80*104*46)
     * = 7.02341, p = erfc(sqrt(chi2 / 2)) (mpmath) */
    assert_int_equal(loc_stats_prop_diff_p(56, 70, 48, 80, &p), LOC_OK);
    assert_rel(p, 0.0080450813681965847, 1e-12);
    /* nothing to compare: all events or none in both */
    assert_int_equal(loc_stats_prop_diff_p(0, 10, 0, 20, &p), LOC_OK);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_prop_diff_p(10, 10, 20, 20, &p), LOC_OK);
    assert_true(p == 1.0);
    p = NAN;
    assert_int_equal(loc_stats_prop_diff_p(1, 0, 0, 20, &p), LOC_EINVAL);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_prop_diff_p(0, 0, 0, 20, &p), LOC_EDATA);
    assert_true(p == 1.0);

    /* score test of 15/148 against 0.2: z = (15 - 29.6) / sqrt(148 * 0.16)
     * = -3.0003 (mpmath erfc) */
    assert_int_equal(loc_stats_prop_ref_p(15, 148, 0.2, &p), LOC_OK);
    assert_rel(p, 0.002697301823639226, 1e-12);
    /* reference at a boundary */
    assert_int_equal(loc_stats_prop_ref_p(0, 10, 0.0, &p), LOC_OK);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_prop_ref_p(1, 10, 0.0, &p), LOC_OK);
    assert_true(p == 0.0);
    assert_int_equal(loc_stats_prop_ref_p(1, 10, 1.5, &p), LOC_EINVAL);
    assert_int_equal(loc_stats_prop_ref_p(0, 0, 0.5, &p), LOC_EDATA);
    assert_true(p == 1.0);
}

/* The score test and the Wilson interval are two faces of one inversion:
 * p < 0.05 exactly when the interval excludes p0. */
static void test_proportion_consistency(void **state)
{
    (void)state;
    for (double x = 0; x <= 40; x += 1) {
        loc_interval ci;
        loc_stats_wilson(x, 40, CONF95, &ci);
        for (double p0 = 0.01; p0 < 1.0; p0 += 0.0137) {
            double p;
            loc_stats_prop_ref_p(x, 40, p0, &p);
            bool excluded = p0 < ci.low || p0 > ci.high;
            /* skip the knife edge, where rounding decides */
            if (fabs(p - 0.05) > 1e-9)
                assert_int_equal(p < 0.05, excluded);
        }
    }
}

/* ---------------------------------------------------------------------
 * Rates
 * --------------------------------------------------------------------- */

static void test_poisson_exact(void **state)
{
    (void)state;
    /* exact (Garwood) 95% limits; printed tables give 0-3.689,
     * 0.0253-5.572, 4.795-18.39.  Digits from mpmath: bisection on the
     * Poisson distribution function summed term by term. */
    static const struct { double k, low, high; } t[] = {
        {0, 0.0, 3.688879454113936},
        {1, 0.02531780798428988, 5.571643390938899},
        {2, 0.2422092785439649, 7.224687667723961},
        {5, 1.623486390118421, 11.66833207932267},
        {9, 4.115373097378332, 17.08480345141917},
        {10, 4.795388696132434, 18.39035604201778},
        {100, 81.36399125092314, 121.6267937924264},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        loc_interval ci;
        assert_int_equal(loc_stats_poisson(t[i].k, CONF95, INFINITY, &ci), LOC_OK);
        assert_true(ci.est == t[i].k);
        if (t[i].low == 0.0)
            assert_true(ci.low == 0.0);
        else
            assert_rel(ci.low, t[i].low, 1e-12);
        assert_rel(ci.high, t[i].high, 1e-12);
    }
}

static void test_poisson_byar(void **state)
{
    (void)state;
    loc_interval ci;
    /* Byar's formula at 95% evaluated in mpmath.  For 10 it is not the
     * exact (4.7954, 18.3904) but (4.7874, 18.3915): 0.17% low at the
     * lower limit, which is why counts below 10 use the exact limits. */
    assert_int_equal(loc_stats_poisson(10, CONF95, 0.0, &ci), LOC_OK);
    assert_rel(ci.low, 4.787449913967562, 1e-13);
    assert_rel(ci.high, 18.39145860575648, 1e-13);
    assert_int_equal(loc_stats_poisson(100, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_OK);
    assert_rel(ci.low, 81.36210549052786, 1e-13);
    assert_rel(ci.high, 121.6279375792065, 1e-13);
    /* and within 0.2% of exact from the threshold on */
    for (double k = LOC_STATS_EXACT_BELOW; k < 500; k *= 1.3) {
        loc_interval b, e;
        loc_stats_poisson(k, CONF95, 0.0, &b);
        loc_stats_poisson(k, CONF95, INFINITY, &e);
        assert_rel(b.low, e.low, 2e-3);
        assert_rel(b.high, e.high, 2e-3);
    }
    /* the switch: 9 is exact, 10 is Byar, with the default threshold */
    assert_int_equal(loc_stats_poisson(9, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_OK);
    assert_rel(ci.low, 4.115373097378332, 1e-12);
    assert_int_equal(loc_stats_poisson(10, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_OK);
    assert_rel(ci.low, 4.787449913967562, 1e-13);
    /* Byar forced on zero and fractional counts: no negative limit */
    assert_int_equal(loc_stats_poisson(0, CONF95, 0.0, &ci), LOC_OK);
    assert_true(ci.low == 0.0 && ci.high > 0.0);
    assert_int_equal(loc_stats_poisson(0.3, CONF95, 0.0, &ci), LOC_OK);
    assert_true(ci.low == 0.0 && ci.high > 0.3);
    /* non-integer counts through the exact branch sit between neighbours */
    loc_interval lo, mid, hi;
    loc_stats_poisson(4, CONF95, INFINITY, &lo);
    loc_stats_poisson(4.5, CONF95, INFINITY, &mid);
    loc_stats_poisson(5, CONF95, INFINITY, &hi);
    assert_true(lo.low < mid.low && mid.low < hi.low);
    assert_true(lo.high < mid.high && mid.high < hi.high);
    /* invalid */
    ci.low = NAN;
    assert_int_equal(loc_stats_poisson(-1, CONF95, 10, &ci), LOC_EINVAL);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_poisson(1, CONF95, NAN, &ci), LOC_EINVAL);
    assert_int_equal(loc_stats_poisson(INFINITY, CONF95, 10, &ci), LOC_EINVAL);
}

static void test_rate(void **state)
{
    (void)state;
    loc_interval ci;
    assert_int_equal(loc_stats_rate(10, 2000, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_OK);
    assert_rel(ci.est, 0.005, 1e-15);
    assert_rel(ci.low, 4.787449913967562 / 2000, 1e-13);
    assert_rel(ci.high, 18.39145860575648 / 2000, 1e-13);
    /* zero events over a real population: a proper upper limit */
    assert_int_equal(loc_stats_rate(0, 1000, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_OK);
    assert_true(ci.est == 0.0 && ci.low == 0.0);
    assert_rel(ci.high, 3.688879454113936 / 1000, 1e-12);
    /* no exposure: undefined, no division */
    ci.high = NAN;
    assert_int_equal(loc_stats_rate(3, 0, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_rate(3, -5, CONF95, LOC_STATS_EXACT_BELOW, &ci), LOC_EINVAL);
    assert_zeroed(&ci);
}

static void test_rate_ratio(void **state)
{
    (void)state;
    loc_interval ci;
    /* 10 events in 1000 vs 20 in 4000: ratio 2.  Conditional on 30
     * events, pi = 10/30 with Wilson limits (pl, ph); R = pi 4000 /
     * ((1 - pi) 1000).  mpmath: (0.952364327, 4.200073319). */
    assert_int_equal(loc_stats_rate_ratio(10, 1000, 20, 4000, CONF95, &ci), LOC_OK);
    assert_rel(ci.est, 2.0, 1e-15);
    assert_rel(ci.low, 0.95236432700048971, 1e-12);
    assert_rel(ci.high, 4.2000733192077481, 1e-12);
    /* zero in the locality: ratio 0, finite upper limit */
    assert_int_equal(loc_stats_rate_ratio(0, 1000, 20, 4000, CONF95, &ci), LOC_OK);
    assert_true(ci.est == 0.0 && ci.low == 0.0 && isfinite(ci.high) && ci.high > 0.0);
    /* zero in the comparator: infinite ratio, finite lower limit */
    assert_int_equal(loc_stats_rate_ratio(5, 1000, 0, 4000, CONF95, &ci), LOC_OK);
    assert_true(isinf(ci.est) && isinf(ci.high) && isfinite(ci.low) && ci.low > 0.0);
    /* no events at all, or no exposure: undefined */
    ci.est = NAN;
    assert_int_equal(loc_stats_rate_ratio(0, 1000, 0, 4000, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_rate_ratio(1, 0, 1, 4000, CONF95, &ci), LOC_EDATA);
    assert_int_equal(loc_stats_rate_ratio(1, 10, -1, 4000, CONF95, &ci), LOC_EINVAL);

    /* p-value: z = (10 - 30 * 0.2) / sqrt(30 * 0.2 * 0.8) (mpmath erfc) */
    double p = NAN;
    assert_int_equal(loc_stats_rate_cmp_p(10, 1000, 20, 4000, &p), LOC_OK);
    assert_rel(p, 0.067889154861829062, 1e-12);
    assert_int_equal(loc_stats_rate_cmp_p(0, 1000, 0, 4000, &p), LOC_OK);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_rate_cmp_p(1, 0, 0, 4000, &p), LOC_EDATA);
    assert_true(p == 1.0);

    /* the test inverts the interval: p < 0.05 iff the ratio excludes 1 */
    for (double o1 = 0; o1 <= 30; o1 += 1) {
        loc_stats_rate_ratio(o1, 1000, 40, 4000, CONF95, &ci);
        loc_stats_rate_cmp_p(o1, 1000, 40, 4000, &p);
        if (fabs(p - 0.05) > 1e-9)
            assert_int_equal(p < 0.05, ci.low > 1.0 || ci.high < 1.0);
    }
}

static void test_rate_diff(void **state)
{
    (void)state;
    loc_interval ci;
    /* 3 in 1000 (exact limits) minus 40 in 10000 (Byar limits), combined
     * by MOVER; mpmath with the exact limits from summed Poisson terms */
    assert_int_equal(loc_stats_rate_diff(3, 1000, 40, 10000, CONF95, LOC_STATS_EXACT_BELOW, &ci),
                     LOC_OK);
    assert_near(ci.est, -0.001, 1e-17);
    assert_rel(ci.low, -0.0037864960437058231, 1e-11);
    assert_rel(ci.high, 0.0048793820611012159, 1e-11);
    /* zero events on both sides: finite, straddles 0 */
    assert_int_equal(loc_stats_rate_diff(0, 1000, 0, 5000, CONF95, LOC_STATS_EXACT_BELOW, &ci),
                     LOC_OK);
    assert_true(ci.est == 0.0 && ci.low < 0.0 && ci.high > 0.0);
    assert_true(isfinite(ci.low) && isfinite(ci.high));
    ci.est = NAN;
    assert_int_equal(loc_stats_rate_diff(1, 1000, 1, 0, CONF95, LOC_STATS_EXACT_BELOW, &ci),
                     LOC_EDATA);
    assert_zeroed(&ci);
}

static void test_rate_ref_p(void **state)
{
    (void)state;
    double p = NAN;
    /* 10 events where 1000 * 0.0045 = 4.5 were expected: twice the upper
     * tail Pr[X >= 10] = 0.0170927 (mpmath, Poisson terms summed) */
    assert_int_equal(loc_stats_rate_ref_p(10, 1000, 0.0045, &p), LOC_OK);
    assert_rel(p, 0.034185465798757108, 1e-11);
    /* 2 events: twice the lower tail Pr[X <= 2] */
    assert_int_equal(loc_stats_rate_ref_p(2, 1000, 0.0045, &p), LOC_OK);
    assert_rel(p, 0.34715614182007208, 1e-11);
    /* zero events: the lower tail is e^-m, the upper 1 */
    assert_int_equal(loc_stats_rate_ref_p(0, 1000, 0.0045, &p), LOC_OK);
    assert_rel(p, 2.0 * exp(-4.5), 1e-13);
    /* a count near its expectation is capped at 1 */
    assert_int_equal(loc_stats_rate_ref_p(4.5, 1000, 0.0045, &p), LOC_OK);
    assert_true(p == 1.0);
    /* zero reference rate */
    assert_int_equal(loc_stats_rate_ref_p(0, 1000, 0.0, &p), LOC_OK);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_rate_ref_p(1, 1000, 0.0, &p), LOC_OK);
    assert_true(p == 0.0);
    assert_int_equal(loc_stats_rate_ref_p(1, 0, 0.1, &p), LOC_EDATA);
    assert_true(p == 1.0);
    assert_int_equal(loc_stats_rate_ref_p(1, 10, -0.1, &p), LOC_EINVAL);
    assert_int_equal(loc_stats_rate_ref_p(1, 10, NAN, &p), LOC_EINVAL);
    /* consistent with the exact interval excluding the reference count */
    for (double k = 0; k < 25; k += 1) {
        loc_interval ci;
        loc_stats_poisson(k, CONF95, INFINITY, &ci);
        for (double m = 0.5; m < 40; m *= 1.21) {
            loc_stats_rate_ref_p(k, 1.0, m, &p);
            if (fabs(p - 0.05) > 1e-9)
                assert_int_equal(p < 0.05, m < ci.low || m > ci.high);
        }
    }
}

/* ---------------------------------------------------------------------
 * Weighted means
 * --------------------------------------------------------------------- */

static void test_wmean_equal_weights(void **state)
{
    (void)state;
    /* equal weights reduce to the textbook one-sample t interval:
     * 1, 2, 3, 4: mean 2.5, s = 1.2910, se = 0.6455, t(3) = 3.1824 */
    const double v[] = {1, 2, 3, 4};
    const double w[] = {7, 7, 7, 7};
    loc_wmean m;
    loc_interval ci;
    assert_int_equal(loc_stats_wmean(v, w, 4, &m), LOC_OK);
    assert_near(m.mean, 2.5, 1e-15);
    assert_near(m.n_eff, 4.0, 1e-14);
    assert_rel(m.se, 0.64549722436790281, 1e-14);
    assert_int_equal(m.n_used, 4);
    assert_int_equal(m.n_missing, 0);
    assert_int_equal(loc_stats_wmean_ci(&m, CONF95, &ci), LOC_OK);
    assert_rel(ci.low, 0.44573974323947797, 1e-11);
    assert_rel(ci.high, 4.554260256760522, 1e-11);
    double p;
    /* t = 2.5 / 0.6455 on 3 df, mpmath betainc */
    assert_int_equal(loc_stats_wmean_ref_p(&m, 0.0, &p), LOC_OK);
    assert_rel(p, 0.030466291662170991, 1e-11);
}

static void test_wmean_weighted(void **state)
{
    (void)state;
    /* values 10..40 with populations 100..400, one missing zone.  By hand:
     * mean 3000/100 = 30; n_eff = 1000^2 / 300000 = 3.333;
     * s^2 = 100000 / (1000 - 300) = 142.857; se = sqrt(s^2 / n_eff) =
     * 6.5465; t(0.975, 2.333) = 3.76412 (mpmath bisection on betainc) */
    const double v[] = {10, 20, NAN, 30, 40, INFINITY};
    const double w[] = {100, 200, 500, 300, 400, 50};
    loc_wmean m;
    loc_interval ci;
    assert_int_equal(loc_stats_wmean(v, w, 6, &m), LOC_OK);
    assert_near(m.mean, 30.0, 1e-13);
    assert_rel(m.n_eff, 10.0 / 3.0, 1e-14);
    assert_rel(m.se, 6.5465367070797714, 1e-13);
    assert_near(m.sum_w, 1000.0, 0);
    assert_int_equal(m.n_used, 4);
    assert_int_equal(m.n_missing, 2);
    assert_int_equal(loc_stats_wmean_ci(&m, CONF95, &ci), LOC_OK);
    assert_rel(ci.low, 5.3580301386454659, 1e-10);
    assert_rel(ci.high, 54.641969861354534, 1e-10);
}

static void test_wmean_edges(void **state)
{
    (void)state;
    loc_wmean m;
    loc_interval ci;
    double p;
    /* all missing: undefined, missing still counted */
    const double nan4[] = {NAN, NAN, NAN, NAN};
    const double w4[] = {1, 2, 3, 4};
    assert_int_equal(loc_stats_wmean(nan4, w4, 4, &m), LOC_EDATA);
    assert_true(m.mean == 0.0 && m.se == 0.0 && m.n_eff == 0.0);
    assert_int_equal(m.n_missing, 4);
    assert_int_equal(m.n_used, 0);
    assert_int_equal(loc_stats_wmean_ci(&m, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_wmean_ref_p(&m, 1.0, &p), LOC_EDATA);
    assert_true(p == 1.0);
    /* no zones at all */
    assert_int_equal(loc_stats_wmean(NULL, NULL, 0, &m), LOC_EDATA);
    /* one zone: a mean but no interval */
    const double one[] = {NAN, 5.0};
    const double wone[] = {1, 3};
    assert_int_equal(loc_stats_wmean(one, wone, 2, &m), LOC_OK);
    assert_true(m.mean == 5.0 && m.se == 0.0 && m.n_used == 1);
    assert_int_equal(loc_stats_wmean_ci(&m, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    /* zero-weight zones count nowhere */
    const double v3[] = {1, 100, 3};
    const double w3[] = {1, 0, 1};
    assert_int_equal(loc_stats_wmean(v3, w3, 3, &m), LOC_OK);
    assert_true(m.mean == 2.0 && m.n_used == 2 && m.n_missing == 0);
    /* identical values: a zero-width interval, p-values exact */
    const double same[] = {4, 4, 4};
    assert_int_equal(loc_stats_wmean(same, w4, 3, &m), LOC_OK);
    assert_int_equal(loc_stats_wmean_ci(&m, CONF95, &ci), LOC_OK);
    assert_true(ci.low == 4.0 && ci.high == 4.0);
    loc_stats_wmean_ref_p(&m, 4.0, &p);
    assert_true(p == 1.0);
    loc_stats_wmean_ref_p(&m, 3.0, &p);
    assert_true(p == 0.0);
    /* bad weights for a zone with a value */
    const double bw[] = {1, -2, 3};
    assert_int_equal(loc_stats_wmean(v3, bw, 3, &m), LOC_EINVAL);
    const double nw[] = {1, NAN, 3};
    assert_int_equal(loc_stats_wmean(v3, nw, 3, &m), LOC_EINVAL);
    /* ... but a bad weight on a missing value is not looked at */
    assert_int_equal(loc_stats_wmean(nan4, bw, 3, &m), LOC_EDATA);
    assert_int_equal(loc_stats_wmean(NULL, w4, 4, &m), LOC_EINVAL);
    assert_int_equal(loc_stats_wmean(v3, w3, 3, NULL), LOC_EINVAL);
}

static void test_wmean_diff(void **state)
{
    (void)state;
    /* equal weights reduce to Welch's textbook interval: 1..4 against
     * 2, 4, ..., 12: d = -4.5, se = 1.6583, Welch-Satterthwaite df =
     * 6.5947; mpmath with the t quantile by bisection on betainc */
    const double a[] = {1, 2, 3, 4};
    const double b[] = {2, 4, 6, 8, 10, 12};
    const double w[] = {1, 1, 1, 1, 1, 1};
    loc_wmean ma, mb;
    loc_interval ci;
    assert_int_equal(loc_stats_wmean(a, w, 4, &ma), LOC_OK);
    assert_int_equal(loc_stats_wmean(b, w, 6, &mb), LOC_OK);
    assert_int_equal(loc_stats_wmean_diff(&ma, &mb, CONF95, &ci), LOC_OK);
    assert_near(ci.est, -4.5, 1e-14);
    assert_rel(ci.low, -8.470676788343707, 1e-11);
    assert_rel(ci.high, -0.52932321165629302, 1e-11);
    double p;
    assert_int_equal(loc_stats_wmean_diff_p(&ma, &mb, &p), LOC_OK);
    assert_rel(p, 0.031824443780841513, 1e-10);
    /* one side without spread information */
    loc_wmean single;
    const double one[] = {3};
    loc_stats_wmean(one, w, 1, &single);
    ci.est = NAN;
    assert_int_equal(loc_stats_wmean_diff(&ma, &single, CONF95, &ci), LOC_EDATA);
    assert_zeroed(&ci);
    assert_int_equal(loc_stats_wmean_diff_p(&single, &mb, &p), LOC_EDATA);
    assert_true(p == 1.0);
}

/* ---------------------------------------------------------------------
 * Comparison with a reference, BH, flags
 * --------------------------------------------------------------------- */

static void test_vs_ref(void **state)
{
    (void)state;
    loc_interval ci = {0.30, 0.25, 0.36}, d;
    assert_int_equal(loc_stats_vs_ref(&ci, 0.2, &d), LOC_OK);
    assert_near(d.est, 0.10, 1e-15);
    assert_near(d.low, 0.05, 1e-15);
    assert_near(d.high, 0.16, 1e-15);
    assert_int_equal(loc_stats_flag(&d, true, 0.0, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_vs_ref(&ci, NAN, &d), LOC_EINVAL);
    assert_zeroed(&d);
    assert_int_equal(loc_stats_vs_ref(NULL, 0.2, &d), LOC_EINVAL);
}

static void test_bh(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_non_null(ctx);
    /* hand-worked: sorted 0.005, 0.01, 0.03, 0.04 -> 4p/rank = 0.02, 0.02,
     * 0.04, 0.04, already monotone */
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    double q[4];
    assert_int_equal(loc_stats_bh(ctx, p, 4, q), LOC_OK);
    assert_near(q[0], 0.02, 1e-16);
    assert_near(q[1], 0.04, 1e-16);
    assert_near(q[2], 0.04, 1e-16);
    assert_near(q[3], 0.02, 1e-16);

    /* NaN marks a test not run: same q-values, NaN passed through, and
     * in place (q == p) */
    double pn[] = {0.01, NAN, 0.04, 0.03, 0.005};
    assert_int_equal(loc_stats_bh(ctx, pn, 5, pn), LOC_OK);
    assert_near(pn[0], 0.02, 1e-16);
    assert_true(isnan(pn[1]));
    assert_near(pn[2], 0.04, 1e-16);
    assert_near(pn[3], 0.04, 1e-16);
    assert_near(pn[4], 0.02, 1e-16);

    /* Benjamini & Hochberg (1995) JRSS B 57:289-300, worked example: 15
     * p-values from a myocardial infarction trial; at q* = 0.05 the
     * procedure rejects the four smallest (Bonferroni only three).  The
     * q-value of the fourth is 15 * 0.0095 / 4; the fifth is
     * 15 * 0.0201 / 5, the smallest of 15 p(j) / j over j >= 5. */
    const double trial[] = {0.0201, 0.0001, 0.3240, 0.0004, 0.0459, 0.0019, 0.5719, 0.0095,
                            0.0278, 0.4262, 0.0298, 0.6528, 0.0344, 0.7590, 1.0000};
    double qt[15];
    assert_int_equal(loc_stats_bh(ctx, trial, 15, qt), LOC_OK);
    int rejected = 0;
    for (int i = 0; i < 15; i++)
        rejected += qt[i] <= 0.05;
    assert_int_equal(rejected, 4);
    assert_near(qt[7], 15 * 0.0095 / 4, 1e-15);
    assert_near(qt[0], 15 * 0.0201 / 5, 1e-15);
    assert_near(qt[14], 1.0, 0);
    for (int i = 0; i < 15; i++)
        assert_true(qt[i] >= trial[i]);

    /* ties get equal q-values whatever their order */
    const double tie[] = {0.02, 0.01, 0.02, 0.02};
    double qtie[4];
    assert_int_equal(loc_stats_bh(ctx, tie, 4, qtie), LOC_OK);
    assert_true(qtie[0] == qtie[2] && qtie[2] == qtie[3]);
    assert_near(qtie[0], 0.02, 1e-16);
    assert_near(qtie[1], 0.02, 1e-16);

    /* empty, all NaN */
    assert_int_equal(loc_stats_bh(ctx, NULL, 0, NULL), LOC_OK);
    double allnan[] = {NAN, NAN};
    assert_int_equal(loc_stats_bh(ctx, allnan, 2, allnan), LOC_OK);
    assert_true(isnan(allnan[0]) && isnan(allnan[1]));

    /* an impossible p-value: error message on the context, q all NaN */
    const double bad[] = {0.01, 1.5};
    double qb[2] = {0, 0};
    assert_int_equal(loc_stats_bh(ctx, bad, 2, qb), LOC_EINVAL);
    assert_true(isnan(qb[0]) && isnan(qb[1]));
    assert_int_equal(loc_errcode(ctx), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx),
                        "benjamini-hochberg: p-value 1 is outside [0, 1]: 1.5");
    loc_ctx_destroy(ctx);
}

/* An allocator that fails every allocation once armed. */
typedef struct fail_alloc {
    bool armed; /* fail from now on */
} fail_alloc;

static void *fail_realloc(void *ud, void *ptr, size_t size)
{
    fail_alloc *fa = ud;
    if (fa->armed)
        return NULL;
    return realloc(ptr, size ? size : 1);
}

static void fail_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

/* Benjamini-Yekutieli: the BH q-values times c(4) = 1 + 1/2 + 1/3 + 1/4 =
 * 25/12, capped at 1 (values from Python's numpy, same step-up). */
static void test_by(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    double q[4];
    assert_int_equal(loc_stats_by(ctx, p, 4, q), LOC_OK);
    assert_near(q[0], 0.02 * 25.0 / 12, 1e-15);
    assert_near(q[1], 0.04 * 25.0 / 12, 1e-15);
    assert_near(q[2], 0.04 * 25.0 / 12, 1e-15);
    assert_near(q[3], 0.02 * 25.0 / 12, 1e-15);
    const double big[] = {0.9, 0.8};
    assert_int_equal(loc_stats_by(ctx, big, 2, q), LOC_OK);
    assert_near(q[0], 1, 0);
    const double bad[] = {0.5, 1.5};
    assert_int_equal(loc_stats_by(ctx, bad, 2, q), LOC_EINVAL);
    assert_non_null(strstr(loc_errmsg(ctx), "benjamini-yekutieli: p-value 1 is outside [0, 1]"));
    loc_ctx_destroy(ctx);
}

/* The BCG vaccine trials (Colditz et al. 1994, JAMA 271:698; metafor's
 * dat.bcg): log relative risks and their variances from the 2 x 2 counts.
 * Without winsorising, z-scores about the inverse-variance mean give
 * Cochran's Q = 152.2330 and DerSimonian-Laird tau^2 = 0.3088, as
 * published (metafor, rma(method = "DL") on dat.bcg).  With Spiegelhalter's
 * 10% winsorisation phi = 5.336704118 and tau^2 = 0.1263310632 (computed
 * independently with numpy's type-7 quantiles). */
static void test_overdispersion(void **state)
{
    (void)state;
    static const int t[13][4] = {{4, 119, 11, 128},      {6, 300, 29, 274},      {3, 228, 11, 209},
                                 {62, 13536, 248, 12619}, {33, 5036, 47, 5761},   {180, 1361, 372, 1079},
                                 {8, 2537, 10, 619},      {505, 87886, 499, 87892}, {29, 7470, 45, 7232},
                                 {17, 1699, 65, 1600},    {186, 50448, 141, 27197}, {5, 2493, 3, 2338},
                                 {27, 16886, 29, 17825}};
    double y[13], v[13], z[13], sw = 0, swy = 0;
    for (int i = 0; i < 13; i++) {
        double a = t[i][0], b = t[i][1], c = t[i][2], d = t[i][3];
        y[i] = log((a / (a + b)) / (c / (c + d)));
        v[i] = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d);
        sw += 1 / v[i];
        swy += y[i] / v[i];
    }
    for (int i = 0; i < 13; i++)
        z[i] = (y[i] - swy / sw) / sqrt(v[i]);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_overdisp od;
    assert_int_equal(loc_stats_overdispersion(ctx, z, v, 13, 0, &od), LOC_OK);
    assert_int_equal(od.units, 13);
    assert_near(13 * od.phi, 152.2330, 5e-5);
    assert_near(od.tau2, 0.3088, 5e-5);
    assert_int_equal(loc_stats_overdispersion(ctx, z, v, 13, 0.1, &od), LOC_OK);
    assert_near(od.phi, 5.336704118, 1e-8);
    assert_near(od.tau2, 0.1263310632, 1e-9);
    /* no overdispersion: tau^2 is 0, never negative */
    const double z0[] = {0.1, -0.2, 0.3, -0.1}, v0[] = {1, 1, 1, 1};
    assert_int_equal(loc_stats_overdispersion(ctx, z0, v0, 4, 0.1, &od), LOC_OK);
    assert_true(od.tau2 == 0 && od.phi < 1);
    /* unusable units are skipped; too few is LOC_EDATA with phi 1 */
    const double zn[] = {NAN, 2, 1}, vn[] = {1, 0, 1};
    assert_int_equal(loc_stats_overdispersion(ctx, zn, vn, 3, 0.1, &od), LOC_EDATA);
    assert_true(od.phi == 1 && od.tau2 == 0);
    assert_int_equal(loc_stats_overdispersion(ctx, z, v, 13, 0.5, &od), LOC_EINVAL);
    assert_non_null(strstr(loc_errmsg(ctx), "winsorisation 0.5"));
    loc_ctx_destroy(ctx);
}

/* Bounded intervals: logit for [0, 100], log for [0, inf) (values from
 * Python: z = 1.959963985). */
static void test_bounded(void **state)
{
    (void)state;
    loc_interval r;
    assert_int_equal(loc_stats_bounded(30, 10, 0, 100, 0.95, INFINITY, &r), LOC_OK);
    assert_near(r.low, 14.422732872, 1e-8);
    assert_near(r.high, 52.149133085, 1e-8);
    assert_int_equal(loc_stats_bounded(3, 2, 0, INFINITY, 0.95, INFINITY, &r), LOC_OK);
    assert_near(r.low, 0.81218237223, 1e-9);
    assert_near(r.high, 11.081255033, 1e-8);
    /* unbounded: the normal interval; on a bound: clipped */
    assert_int_equal(loc_stats_bounded(3, 2, -INFINITY, INFINITY, 0.95, INFINITY, &r), LOC_OK);
    assert_near(r.low, 3 - 1.959963985 * 2, 1e-8);
    /* Student's t on 4 degrees of freedom: 2.776445105 (scipy) */
    assert_int_equal(loc_stats_bounded(3, 2, -INFINITY, INFINITY, 0.95, 4, &r), LOC_OK);
    assert_near(r.high, 3 + 2.776445105 * 2, 1e-7);
    assert_int_equal(loc_stats_bounded(3, 2, 0, 1, 0.95, 0, &r), LOC_EINVAL);
    assert_int_equal(loc_stats_bounded(0, 2, 0, 100, 0.95, INFINITY, &r), LOC_OK);
    assert_true(r.low == 0 && r.est == 0 && r.high > 0);
    assert_int_equal(loc_stats_bounded(1, 2, 5, 5, 0.95, INFINITY, &r), LOC_EINVAL);
    assert_int_equal(loc_stats_bounded(NAN, 2, 0, 1, 0.95, INFINITY, &r), LOC_EINVAL);
}

static void test_bh_enomem(void **state)
{
    (void)state;
    fail_alloc fa = {false};
    loc_allocator al = {fail_realloc, fail_free, &fa};
    loc_ctx *ctx = loc_ctx_create(&al);
    assert_non_null(ctx);
    fa.armed = true;
    const double p[] = {0.01, 0.02};
    double q[2] = {0, 0};
    assert_int_equal(loc_stats_bh(ctx, p, 2, q), LOC_ENOMEM);
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    assert_true(isnan(q[0]) && isnan(q[1]));
    fa.armed = false;
    assert_int_equal(loc_stats_bh(ctx, p, 2, q), LOC_OK);
    assert_near(q[0], 0.02, 1e-16);
    loc_ctx_destroy(ctx);
}

static void test_flag(void **state)
{
    (void)state;
    loc_interval d = {0.03, 0.01, 0.05};
    /* wholly above 0: poorer when higher is worse, better otherwise */
    assert_int_equal(loc_stats_flag(&d, true, 0.0, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_flag(&d, false, 0.0, true), LOC_FLAG_BETTER);
    /* wholly below 0 */
    loc_interval below = {-0.03, -0.05, -0.01};
    assert_int_equal(loc_stats_flag(&below, true, 0.0, true), LOC_FLAG_BETTER);
    assert_int_equal(loc_stats_flag(&below, false, 0.0, true), LOC_FLAG_POORER);
    /* straddling or touching 0 */
    loc_interval straddle = {0.01, -0.01, 0.03};
    assert_int_equal(loc_stats_flag(&straddle, true, 0.0, true), LOC_FLAG_SAME);
    loc_interval touch = {0.02, 0.0, 0.04};
    assert_int_equal(loc_stats_flag(&touch, true, 0.0, true), LOC_FLAG_SAME);
    /* minimum effect on the estimate: 0.03 is not 0.05 */
    assert_int_equal(loc_stats_flag(&d, true, 0.05, true), LOC_FLAG_SAME);
    assert_int_equal(loc_stats_flag(&d, true, 0.03, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_flag(&below, false, 0.03, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_flag(&d, true, NAN, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_flag(&d, true, -1.0, true), LOC_FLAG_POORER);
    /* unreliable: caller says so, or the interval is not one */
    assert_int_equal(loc_stats_flag(&d, true, 0.0, false), LOC_FLAG_UNRELIABLE);
    loc_interval nan_iv = {0.1, NAN, 0.2};
    assert_int_equal(loc_stats_flag(&nan_iv, true, 0.0, true), LOC_FLAG_UNRELIABLE);
    loc_interval inverted = {0.1, 0.3, 0.2};
    assert_int_equal(loc_stats_flag(&inverted, true, 0.0, true), LOC_FLAG_UNRELIABLE);
    assert_int_equal(loc_stats_flag(NULL, true, 0.0, true), LOC_FLAG_UNRELIABLE);
    /* a ratio flagged through vs_ref(ratio, 1): 2 (1.2, 3.1) is 20%+ higher */
    loc_interval ratio = {2.0, 1.2, 3.1}, shifted;
    loc_stats_vs_ref(&ratio, 1.0, &shifted);
    assert_int_equal(loc_stats_flag(&shifted, true, 0.1, true), LOC_FLAG_POORER);
    /* an infinite upper limit is still an interval */
    loc_interval inf_iv = {INFINITY, 0.5, INFINITY};
    assert_int_equal(loc_stats_flag(&inf_iv, true, 0.0, true), LOC_FLAG_POORER);
}

static void test_flag_p(void **state)
{
    (void)state;
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 0.05, true, 0.0, true), LOC_FLAG_POORER);
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 0.05, false, 0.0, true), LOC_FLAG_BETTER);
    assert_int_equal(loc_stats_flag_p(-0.03, 0.01, 0.05, true, 0.0, true), LOC_FLAG_BETTER);
    assert_int_equal(loc_stats_flag_p(0.03, 0.05, 0.05, true, 0.0, true), LOC_FLAG_SAME);
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 0.05, true, 0.04, true), LOC_FLAG_SAME);
    assert_int_equal(loc_stats_flag_p(0.0, 0.0, 0.05, true, 0.0, true), LOC_FLAG_SAME);
    assert_int_equal(loc_stats_flag_p(0.03, NAN, 0.05, true, 0.0, true), LOC_FLAG_UNRELIABLE);
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 0.05, true, 0.0, false), LOC_FLAG_UNRELIABLE);
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 0.0, true, 0.0, true), LOC_FLAG_UNRELIABLE);
    assert_int_equal(loc_stats_flag_p(0.03, 0.01, 1.0, true, 0.0, true), LOC_FLAG_UNRELIABLE);
}

static void test_flag_name(void **state)
{
    (void)state;
    /* the words indicators.csv uses (DESIGN.md, output names) */
    assert_string_equal(loc_stats_flag_name(LOC_FLAG_POORER), "poorer");
    assert_string_equal(loc_stats_flag_name(LOC_FLAG_BETTER), "better");
    assert_string_equal(loc_stats_flag_name(LOC_FLAG_SAME), "same");
    assert_string_equal(loc_stats_flag_name(LOC_FLAG_UNRELIABLE), "unreliable");
    assert_string_equal(loc_stats_flag_name((loc_flag)42), "unknown");
}

/* Every interval function, fed the degenerate inputs a real indicator file
 * produces, returns a status and a NaN-free output. */
static void test_no_nan_leaks(void **state)
{
    (void)state;
    const double bad[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            double a = bad[i], b = bad[j];
            loc_interval ci;
            double p;
            loc_stats_wilson(a, b, CONF95, &ci);
            assert_false(isnan(ci.est) || isnan(ci.low) || isnan(ci.high));
            loc_stats_newcombe(a, b, a, b, CONF95, &ci);
            assert_false(isnan(ci.est) || isnan(ci.low) || isnan(ci.high));
            loc_stats_rate(a, b, CONF95, LOC_STATS_EXACT_BELOW, &ci);
            assert_false(isnan(ci.est) || isnan(ci.low) || isnan(ci.high));
            loc_stats_rate_ratio(a, b, a, b, CONF95, &ci);
            assert_false(isnan(ci.est) || isnan(ci.low) || isnan(ci.high));
            loc_stats_rate_diff(a, b, a, b, CONF95, LOC_STATS_EXACT_BELOW, &ci);
            assert_false(isnan(ci.est) || isnan(ci.low) || isnan(ci.high));
            loc_stats_prop_ref_p(a, b, 0.5, &p);
            assert_false(isnan(p));
            loc_stats_prop_diff_p(a, b, a, b, &p);
            assert_false(isnan(p));
            loc_stats_rate_cmp_p(a, b, a, b, &p);
            assert_false(isnan(p));
            loc_stats_rate_ref_p(a, b, 0.1, &p);
            assert_false(isnan(p));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_quantile),
        cmocka_unit_test(test_norm_cdf),
        cmocka_unit_test(test_gamma),
        cmocka_unit_test(test_gamma_inverse),
        cmocka_unit_test(test_t),
        cmocka_unit_test(test_wilson_published),
        cmocka_unit_test(test_wilson_edges),
        cmocka_unit_test(test_newcombe_published),
        cmocka_unit_test(test_newcombe_edges),
        cmocka_unit_test(test_proportion_p),
        cmocka_unit_test(test_proportion_consistency),
        cmocka_unit_test(test_poisson_exact),
        cmocka_unit_test(test_poisson_byar),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_rate_ratio),
        cmocka_unit_test(test_rate_diff),
        cmocka_unit_test(test_rate_ref_p),
        cmocka_unit_test(test_wmean_equal_weights),
        cmocka_unit_test(test_wmean_weighted),
        cmocka_unit_test(test_wmean_edges),
        cmocka_unit_test(test_wmean_diff),
        cmocka_unit_test(test_vs_ref),
        cmocka_unit_test(test_bh),
        cmocka_unit_test(test_bh_enomem),
        cmocka_unit_test(test_by),
        cmocka_unit_test(test_overdispersion),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_flag),
        cmocka_unit_test(test_flag_p),
        cmocka_unit_test(test_flag_name),
        cmocka_unit_test(test_no_nan_leaks),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
