/*
 * Statistics: estimates, confidence intervals, tests and flags for the
 * "significantly poorer outcomes" decision.
 *
 * Everything here is a pure function of its arguments: no I/O, no global
 * state, no allocation (except the false discovery rate adjustments and
 * loc_stats_overdispersion, which borrow the context's allocator for a
 * sort and record their argument errors on it), so every function is safe
 * to call from any thread that owns its context.  The statistics stage of the pipeline calls these once per
 * locality x indicator x comparator and turns the results into rows of
 * indicators.csv; the methods are the ones DESIGN.md names:
 *
 *   proportion  Wilson score interval; difference from the rest of the
 *               council by Newcombe's hybrid score interval; pooled z
 *               test; against Scotland by the score test.
 *   rate        Byar's approximation to the Poisson interval, the exact
 *               (Garwood) interval below a count threshold; ratio of two
 *               rates by the conditional binomial (Wilson) interval;
 *               difference of two rates by the MOVER construction.
 *   mean        population-weighted mean of zone values, interval from
 *               the zone-level spread with Kish's effective sample size and
 *               Student's t; Welch's interval for a difference; an interval
 *               kept inside the values the indicator can take (logit or log
 *               scale, loc_stats_bounded).
 *   overdispersion  Spiegelhalter (2005), "Funnel plots for comparing
 *               institutional performance", Stat Med 24:1185-1202, and
 *               "Handling over-dispersion of performance indicators", Qual
 *               Saf Health Care 14:347-351: the multiplicative factor phi,
 *               the mean of the squared z-scores winsorised at 10%, and the
 *               additive between-unit variance tau^2 of DerSimonian & Laird
 *               (1986) computed from it.
 *   multiple tests  Benjamini & Hochberg (1995); Benjamini & Yekutieli
 *               (2001), valid under any dependence.
 *
 * Counts are doubles: published counts are sometimes rounded or modelled
 * (non-integer), and every method below is defined for real counts.
 *
 * Status convention for functions returning loc_status:
 *   LOC_OK      outputs hold the result;
 *   LOC_EINVAL  an argument is outside its domain: a confidence level not
 *               strictly between 0 and 1, a NaN, infinite or negative count
 *               or denominator, a numerator above its denominator, a NULL
 *               output pointer;
 *   LOC_EDATA   the arguments are valid but the quantity is undefined for
 *               them: a zero denominator, no usable zones, too little
 *               spread information for an interval.
 * On any status other than LOC_OK every output is still written, with
 * zeros (p-values with 1, "no evidence"), so a caller that forgets to check
 * never spreads NaN; it must not report those values as estimates.  None of
 * these functions records anything on a loc_ctx: the caller knows which
 * locality and indicator it was working on and writes the message.
 *
 * Scalar distribution functions (loc_stats_norm_*, _gamma_*, _t_*) return
 * NaN for arguments outside their domain, as the C library's do.
 */
#ifndef LOCALITIES_STATS_H
#define LOCALITIES_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "localities/ctx.h"

/* Counts below this use the exact Poisson interval, counts at or above it
 * Byar's approximation, whose limits are then within 0.2% of the exact ones
 * at 95% confidence (0.7% at 99%, 2% at 99.9%; less as counts grow). */
#define LOC_STATS_EXACT_BELOW 10.0

/* A point estimate and its two-sided confidence interval, low <= est <= high
 * (except that est may be +inf for a ratio with a zero denominator count). */
typedef struct loc_interval {
    double est;  /* point estimate */
    double low;  /* lower confidence limit */
    double high; /* upper confidence limit */
} loc_interval;

/* ---------------------------------------------------------------------
 * Distributions
 * --------------------------------------------------------------------- */

/* Standard normal distribution function Phi(x), from erfc so that the
 * lower tail keeps full relative accuracy.  NaN for NaN. */
LOC_API double loc_stats_norm_cdf(double x);

/* Inverse of Phi (Wichura's algorithm AS 241, relative error about 1e-16).
 * -inf for p == 0, +inf for p == 1, NaN for p outside [0, 1] or NaN. */
LOC_API double loc_stats_norm_quantile(double p);

/* Regularised incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a)
 * and Q(a, x) = 1 - P(a, x).  The smaller tail is computed directly (not as
 * 1 - the other), so it keeps a relative accuracy of about 1e-13, except
 * Q for a < 1 and x < 0.5, which is 1 - P (absolute error about 1e-16).
 * Above a = 1e8 both use the Wilson-Hilferty approximation (absolute error
 * about 1e-9), because the exact series grows as sqrt(a) terms.
 * NaN when a <= 0, x < 0 or either is NaN; x = +inf gives P = 1. */
LOC_API double loc_stats_gamma_p(double a, double x);
LOC_API double loc_stats_gamma_q(double a, double x);

/* Inverses in x: the x >= 0 with P(a, x) = p, resp. Q(a, x) = q, to about
 * 1e-13 relative (Wilson-Hilferty above a = 1e8, as above).  P^-1(a, 0) = 0, P^-1(a, 1) = +inf (and the reverse for
 * Q).  NaN when a <= 0 or the probability is outside [0, 1] or NaN.
 * The chi-square quantile with k degrees of freedom is
 * 2 * loc_stats_gamma_p_inv(k / 2, p). */
LOC_API double loc_stats_gamma_p_inv(double a, double p);
LOC_API double loc_stats_gamma_q_inv(double a, double q);

/* Student's t distribution function with df > 0 degrees of freedom (real
 * df allowed; +inf gives the normal), to about 1e-11 relative (the
 * incomplete beta continued fraction loses digits for df above 1e4).
 * NaN when df <= 0 or either is NaN. */
LOC_API double loc_stats_t_cdf(double t, double df);

/* Inverse of loc_stats_t_cdf, to about 1e-11 relative.  -inf for p == 0,
 * +inf for p == 1, NaN when df <= 0 or p is outside [0, 1] or NaN. */
LOC_API double loc_stats_t_quantile(double p, double df);

/* ---------------------------------------------------------------------
 * Proportions (x events out of n, 0 <= x <= n)
 * --------------------------------------------------------------------- */

/*
 * Wilson score interval for x / n at confidence level conf (e.g. 0.95),
 * without continuity correction (Wilson 1927; Newcombe 1998a, method 3).
 * Unlike the Wald interval it stays inside [0, 1] and is not degenerate
 * at x = 0 or x = n: low is exactly 0 when x == 0 and high exactly 1 when
 * x == n.  LOC_EDATA when n == 0; LOC_EINVAL as in the file comment.
 */
LOC_API loc_status loc_stats_wilson(double x, double n, double conf, loc_interval *out);

/*
 * Newcombe's hybrid score interval for p1 - p2 = x1/n1 - x2/n2 from two
 * independent samples (Newcombe 1998b, method 10): the Wilson limits of
 * each proportion combined by the square-and-add (MOVER) rule.  Never
 * leaves [-1, 1].  LOC_EDATA when n1 or n2 is 0.
 */
LOC_API loc_status loc_stats_newcombe(double x1, double n1, double x2, double n2, double conf,
                                      loc_interval *out);

/*
 * Two-sided p-value of the score test of x / n against a fixed proportion
 * p0 (Scotland): z = (x - n p0) / sqrt(n p0 (1 - p0)).  This is the test
 * the Wilson interval inverts, so p < 1 - conf exactly when the Wilson
 * interval excludes p0.  With p0 of 0 or 1 the test is exact: p = 1 when
 * x / n equals p0, else 0.  LOC_EDATA when n == 0; LOC_EINVAL when p0 is
 * outside [0, 1].  On failure *p = 1.
 */
LOC_API loc_status loc_stats_prop_ref_p(double x, double n, double p0, double *p);

/*
 * Two-sided p-value of the pooled z test of p1 == p2 (the Pearson
 * chi-square test without continuity correction of the 2 x 2 table).
 * p = 1 when both samples are all events or all non-events.  LOC_EDATA
 * when n1 or n2 is 0.  On failure *p = 1.
 */
LOC_API loc_status loc_stats_prop_diff_p(double x1, double n1, double x2, double n2, double *p);

/* ---------------------------------------------------------------------
 * Rates (a Poisson count over an exposure: population or person-years)
 * --------------------------------------------------------------------- */

/*
 * Interval for the mean of a Poisson count.  Below exact_below (pass
 * LOC_STATS_EXACT_BELOW; 0 for always Byar, INFINITY for always exact) the
 * exact interval of Garwood (1936) from gamma quantiles:
 *   low = P^-1(count, alpha/2) (0 when count == 0),
 *   high = Q^-1(count + 1, alpha/2);
 * otherwise Byar's approximation (as given by Breslow & Day 1987,
 * Statistical Methods in Cancer Research vol. II):
 *   low = c (1 - 1/(9c) - z/(3 sqrt c))^3,
 *   high = (c+1) (1 - 1/(9(c+1)) + z/(3 sqrt(c+1)))^3.
 * LOC_EINVAL for a negative or non-finite count or exact_below NaN.
 */
LOC_API loc_status loc_stats_poisson(double count, double conf, double exact_below, loc_interval *out);

/*
 * Rate count / exposure with the loc_stats_poisson interval divided by the
 * exposure (multiply by 1000 or 100000 for "per ..." yourself).  LOC_EDATA
 * when exposure == 0.
 */
LOC_API loc_status loc_stats_rate(double count, double exposure, double conf, double exact_below,
                                  loc_interval *out);

/*
 * Ratio of two rates (o1/e1) / (o2/e2) by the conditional binomial method:
 * given o1 + o2, o1 is binomial with probability pi = R e1 / (R e1 + e2),
 * R the true ratio; the Wilson interval (pl, ph) for pi maps to
 * R = pi e2 / ((1 - pi) e1).  Exact in the conditioning, and inverts the
 * score test of loc_stats_rate_cmp_p.  est and high are +inf when o2 == 0
 * (and o1 > 0); est and low are 0 when o1 == 0.  LOC_EDATA when o1 + o2
 * is 0 or an exposure is 0.
 * To flag on the ratio, pass loc_stats_vs_ref(ratio, 1.0) to the flag
 * helper: the shifted interval excludes 0 exactly when the ratio excludes 1.
 */
LOC_API loc_status loc_stats_rate_ratio(double o1, double e1, double o2, double e2, double conf,
                                        loc_interval *out);

/*
 * Difference of two rates o1/e1 - o2/e2, by the MOVER construction (Zou &
 * Donner 2008; the same square-and-add rule as Newcombe's method 10) from
 * each rate's loc_stats_rate interval with the given exact_below.  Finite
 * even with zero counts.  LOC_EDATA when an exposure is 0.
 */
LOC_API loc_status loc_stats_rate_diff(double o1, double e1, double o2, double e2, double conf,
                                       double exact_below, loc_interval *out);

/*
 * Two-sided p-value comparing two rates: the score test of the
 * conditional binomial, z = (o1 - N pi0) / sqrt(N pi0 (1 - pi0)) with
 * N = o1 + o2 and pi0 = e1 / (e1 + e2).  p = 1 when o1 + o2 == 0 (no
 * events carry no evidence).  LOC_EDATA when an exposure is 0.  On
 * failure *p = 1.
 */
LOC_API loc_status loc_stats_rate_cmp_p(double o1, double e1, double o2, double e2, double *p);

/*
 * Two-sided exact Poisson p-value of count against a fixed reference rate
 * (Scotland): with m = ref_rate * exposure expected events,
 * p = min(1, 2 min(Pr[X <= count], Pr[X >= count])), X ~ Poisson(m),
 * the tails from the incomplete gamma function (real counts allowed).
 * This is the test the exact interval inverts.  LOC_EDATA when exposure
 * is 0; LOC_EINVAL when ref_rate is negative or not finite.  On failure
 * *p = 1.
 */
LOC_API loc_status loc_stats_rate_ref_p(double count, double exposure, double ref_rate, double *p);

/* ---------------------------------------------------------------------
 * Population-weighted means of zone values (indicators with no counts)
 * --------------------------------------------------------------------- */

/*
 * Summary of zone values for a weighted mean.  Zones are treated as a
 * sample from the locality's population of zones: the variance of the
 * weighted mean is s^2 / n_eff, with s^2 the unbiased weighted variance
 * sum w (v - m)^2 / (sum w - sum w^2 / sum w) and n_eff Kish's effective
 * sample size (sum w)^2 / sum w^2; intervals use Student's t with
 * n_eff - 1 degrees of freedom.
 */
typedef struct loc_wmean {
    double mean;      /* weighted mean of the used zones; 0 when none */
    double se;        /* standard error of mean; 0 when fewer than 2 zones used */
    double n_eff;     /* Kish effective number of zones; 0 when none */
    double sum_w;     /* total weight of the used zones */
    size_t n_used;    /* zones with a finite value and a weight > 0 */
    size_t n_missing; /* zones skipped because their value is NaN or infinite */
} loc_wmean;

/*
 * Summarise n zone values v[] with weights w[] (populations).  A zone
 * whose value is NaN or infinite is skipped and counted in n_missing; a
 * zone with weight 0 is skipped and counted nowhere.  LOC_EINVAL when a
 * zone with a finite value has a negative, NaN or infinite weight, or
 * when v or w is NULL with n > 0; LOC_EDATA when no zone is used (all
 * missing, n == 0): out then holds zeros and the missing count.
 */
LOC_API loc_status loc_stats_wmean(const double *v, const double *w, size_t n, loc_wmean *out);

/* Interval mean +- t(n_eff - 1) se.  LOC_EDATA when fewer than 2 zones
 * were used or n_eff <= 1 (no spread to estimate), est still = mean. */
LOC_API loc_status loc_stats_wmean_ci(const loc_wmean *m, double conf, loc_interval *out);

/* Interval for a->mean - b->mean, independent samples, Welch's standard
 * error and Welch-Satterthwaite degrees of freedom.  LOC_EDATA when
 * either side has no interval (see loc_stats_wmean_ci). */
LOC_API loc_status loc_stats_wmean_diff(const loc_wmean *a, const loc_wmean *b, double conf,
                                        loc_interval *out);

/* Two-sided t-test p-values for the mean against a fixed reference and
 * for the Welch difference; p = 1 when the standard error is 0 and the
 * means agree, 0 when it is 0 and they differ.  LOC_EDATA as for the
 * intervals; on failure *p = 1. */
LOC_API loc_status loc_stats_wmean_ref_p(const loc_wmean *m, double ref, double *p);
LOC_API loc_status loc_stats_wmean_diff_p(const loc_wmean *a, const loc_wmean *b, double *p);

/* ---------------------------------------------------------------------
 * Comparison, multiple testing, flags
 * --------------------------------------------------------------------- */

/*
 * Difference of an estimate from a fixed reference value (Scotland),
 * treating the reference as known: diff = ci - ref, limit by limit.  The
 * comparison is significant when diff excludes 0, i.e. ci excludes ref.
 * LOC_EINVAL when ref is not finite or an argument is NULL.
 */
LOC_API loc_status loc_stats_vs_ref(const loc_interval *ci, double ref, loc_interval *diff);

/*
 * Benjamini-Hochberg adjusted p-values (q-values) of the n p-values p[]
 * into q[] (q may be p).  NaN p-values mark tests not run: they are left
 * out of the family (not counted in n) and come back as NaN.  Ties get
 * equal q-values; the sort is O(n log n) and breaks ties by position, so
 * the result does not depend on the C library's qsort.  Scratch memory
 * comes from ctx's allocator.  Returns LOC_EINVAL (message on ctx) when a
 * p-value is outside [0, 1] or an array is NULL with n > 0, LOC_ENOMEM
 * when the scratch cannot be had; on failure every q[i] is NaN, which
 * never flags anything.
 */
LOC_API loc_status loc_stats_bh(loc_ctx *ctx, const double *p, size_t n, double *q);

/*
 * Benjamini-Yekutieli adjusted p-values: as loc_stats_bh with every q
 * multiplied by c(m) = 1 + 1/2 + ... + 1/m (m the tests counted), capped
 * at 1.  Controls the false discovery rate under any dependence between
 * the tests, which the assessment needs: every locality of a council lies
 * in every other's comparator.  Errors as loc_stats_bh.
 */
LOC_API loc_status loc_stats_by(loc_ctx *ctx, const double *p, size_t n, double *q);

/* ---------------------------------------------------------------------
 * Overdispersion (Spiegelhalter 2005)
 * --------------------------------------------------------------------- */

/* What the z-scores of a set of units say about their spread. */
typedef struct loc_overdisp {
    double phi;   /* mean of the winsorised squared z-scores; about 1 without overdispersion */
    double tau2;  /* between-unit variance (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w = 1 / v0,
                   * 0 when I phi <= I - 1; in the units of v0 */
    size_t units; /* I, the z-scores used */
} loc_overdisp;

/*
 * Estimate overdispersion from n z-scores z[i] = (y_i - target_i) /
 * sqrt(v0[i]), v0[i] each unit's variance under the null.  Units with a
 * non-finite z or a v0 that is not finite and positive are skipped.  The
 * z-scores are winsorised at the winsor and 1 - winsor quantiles (linear
 * interpolation, R's type 7; Spiegelhalter uses 0.1; 0 for none) before
 * phi is taken; tau2 then follows as above.  With winsor 0 and z-scores
 * taken about the inverse-variance weighted mean, I phi is Cochran's Q and
 * tau2 DerSimonian and Laird's estimate.  Scratch memory from ctx.
 * LOC_EDATA (out: phi 1, tau2 0) when fewer than 2 units are usable;
 * LOC_EINVAL when winsor is outside [0, 0.5) or an array is NULL with
 * n > 0; LOC_ENOMEM.
 */
LOC_API loc_status loc_stats_overdispersion(loc_ctx *ctx, const double *z, const double *v0, size_t n,
                                            double winsor, loc_overdisp *out);

/*
 * Interval for a mean est with standard error se that stays inside the
 * values the quantity can take, [lower, upper] (either may be infinite):
 * normal on the logit scale of (est - lower) / (upper - lower) when both
 * are finite, on the log scale of the distance to the one finite bound
 * otherwise, with the delta-method standard error, and mapped back; the
 * plain normal interval when both are infinite or est lies on a bound
 * (then clipped to the bounds).  The quantile is Student's t with df
 * degrees of freedom (INFINITY for the normal).  LOC_EINVAL for a
 * non-finite est or se, se < 0, lower >= upper, NaN bounds, df <= 0 or a
 * bad conf.
 */
LOC_API loc_status loc_stats_bounded(double est, double se, double lower, double upper, double conf,
                                     double df, loc_interval *out);

/* The flag of one locality x indicator x comparator (indicators.csv). */
typedef enum loc_flag {
    LOC_FLAG_SAME = 0,   /* no significant difference (or smaller than the minimum effect) */
    LOC_FLAG_POORER,     /* significantly worse than the comparator */
    LOC_FLAG_BETTER,     /* significantly better than the comparator */
    LOC_FLAG_UNRELIABLE  /* the caller judged the estimate unreliable, or no interval */
} loc_flag;

/*
 * Flag from the interval of the difference (locality minus comparator):
 * POORER when the whole interval lies on the worse side of 0 (above it
 * when higher_is_worse) and |diff->est| >= min_effect; BETTER likewise on
 * the better side; SAME otherwise.  min_effect is absolute, in the units
 * of the difference; 0, negative or NaN mean no minimum.  UNRELIABLE when
 * reliable is false (the caller's rule: e.g. the interval function did not
 * return LOC_OK, or the count or population is below its minimum), diff
 * is NULL, a member is NaN or low > high.  An interval touching 0 is SAME.
 */
LOC_API loc_flag loc_stats_flag(const loc_interval *diff, bool higher_is_worse, double min_effect,
                                bool reliable);

/*
 * Flag from a p-value (typically a Benjamini-Hochberg q-value) and the
 * estimated difference: significant when p < alpha, on the side given by
 * the sign of diff_est, and subject to |diff_est| >= min_effect as above.
 * UNRELIABLE when reliable is false, p or diff_est is NaN, or alpha is not
 * strictly between 0 and 1.
 */
LOC_API loc_flag loc_stats_flag_p(double diff_est, double p, double alpha, bool higher_is_worse,
                                  double min_effect, bool reliable);

/* The flag's name in indicators.csv: "poorer", "better", "same",
 * "unreliable" ("unknown" for a value outside the enum).  Static string. */
LOC_API const char *loc_stats_flag_name(loc_flag f);

#endif
