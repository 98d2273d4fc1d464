/*
 * What stats.c takes from stats_dist.c (private to the engine): tails and
 * inverses of the normal, gamma and t distributions.
 */
#ifndef LOCALITIES_STATS_INTERNAL_H
#define LOCALITIES_STATS_INTERNAL_H

/* The z with upper tail alpha, computed from alpha itself. */
double st_z_upper(double alpha);

/* Two-sided normal p-value of a z statistic. */
double st_p_two_sided_z(double z);

/* P(a, x) and Q(a, x) for a > 0, x > 0 finite: the series for P where it
 * converges fast (x < a + 1), else the continued fraction for Q; the other
 * is 1 minus, which loses little since then it is the larger one.  The
 * exception is a < 1, where Q is already small at x = 1 (Q(0.01, 1) is
 * 0.002) and 1 - P would lose digits: there the fraction, which still
 * converges in a few dozen terms, takes over from x = 0.5. */
void st_gamma_pq(double a, double x, double *P, double *Q);

/*
 * The x with P(a, x) = p, Q(a, x) = q (p + q = 1, both given so that the
 * small one keeps its precision).  Halley's method on whichever tail is
 * smaller, inside a bracket [lo, hi] that every evaluation narrows; a step
 * that leaves the bracket is replaced by doubling (no upper bound yet) or
 * by bisection, in log space when the bracket spans orders of magnitude.
 */
double st_gamma_inv(double a, double p, double q);

/* The t > 0 with Pr[T > t] = alpha, 0 < alpha < 1/2.  Closed forms for
 * df 1 and 2; otherwise Newton's method from the Cornish-Fisher expansion
 * (Abramowitz & Stegun 26.7.5), bracketed like gamma_inv because the
 * expansion is poor for small df. */
double st_t_upper_inv(double alpha, double df);

/* Two-sided t p-value of a t statistic. */
double st_p_two_sided_t(double t, double df);

#endif
