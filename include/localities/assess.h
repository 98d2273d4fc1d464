/*
 * Assessment: which localities experience significantly poorer outcomes
 * than the rest of their council area or than Scotland (Community
 * Empowerment (Scotland) Act 2015, section 9).
 *
 * For every locality x indicator of the spec: the locality's estimate and
 * confidence interval, and two comparisons: with the rest of its council
 * area (the locality itself excluded) and with Scotland (every zone of the
 * table, reference zones included).  Methods by indicator type:
 *
 *   proportion, share  Wilson interval; against the rest of the council
 *                      Newcombe's hybrid score interval of the
 *                      difference; against Scotland the Wilson interval
 *                      against the national proportion.  A share counts
 *                      the residents of zones whose value is at or below
 *                      the spec's threshold (SIMD quintile 1: the most
 *                      deprived 20% nationally).
 *   rate               Byar's approximation (exact Poisson below 10
 *                      events); the MOVER difference against the rest of
 *                      the council; the interval against the national
 *                      rate for Scotland.  Shown per the spec's `per`.
 *   ratio, mean        population-weighted mean of zone values with the
 *                      zone-level interval (Kish's effective size,
 *                      Student's t); Welch's difference for the rest of the
 *                      council.  Flagged only when the spec's method says
 *                      `normal`; otherwise reported with flag `same` and
 *                      no difference interval.
 *
 * One pass over the zones fills every locality's sums for every indicator;
 * council and national totals are summed once, and "the rest of the
 * council" is the council total less the locality.  Missing values are
 * left out and counted.  An estimate from fewer than min_zones zones or a
 * denominator below min_denom is `unreliable` and never flagged.
 *
 * The test: every comparison is a z-score (y - theta) / sqrt(V), y the
 * locality's value, theta the comparator's, V the variance of the
 * difference under the null that the locality is like its comparator
 * (binomial for proportions, Poisson for rates, the comparator's zone-level
 * spread over the effective number of zones for shares, ratios and
 * means), allowed for overdispersion as Spiegelhalter's funnel plots do:
 * phi or tau^2 estimated per indicator and comparator from the run's
 * localities (from its zones when fewer than od_min_units localities are
 * tested).  The difference interval is (y - theta) +- z sqrt(V) and the
 * p-value comes from the same z, so a flag can be read from either.
 *
 * Flags: `poorer` when the interval of the difference lies wholly on the
 * worse side (the spec's direction) and the difference is at least the
 * minimum effect (the spec's min_effect per indicator, else the run's),
 * `better` likewise, `same` otherwise.  With fdr > 0 the decision level is
 * the false discovery rate's (Benjamini-Hochberg or -Yekutieli over every
 * test of the run) and the intervals are printed at that level (the
 * false coverage rate intervals of Benjamini and Yekutieli 2005).
 *
 * A locality qualifies for a locality plan when it is poorer than the rest
 * of its council or than Scotland on the deprivation share (a share
 * indicator), or poorer than one comparator in at least plan_min_domains
 * domains; a domain is poorer when at least half of its tested indicators
 * are (an indicator with no domain is a domain of its own).
 */
#ifndef LOCALITIES_ASSESS_H
#define LOCALITIES_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "localities/graph.h"
#include "localities/partition.h"
#include "localities/stats.h"
#include "localities/zones.h"

typedef enum loc_comparator {
    LOC_CMP_COUNCIL_REST = 0, /* the rest of the locality's council area */
    LOC_CMP_SCOTLAND = 1      /* every zone of the table */
} loc_comparator;

/* How the comparisons allow for overdispersion (Spiegelhalter 2005). */
typedef enum loc_od_mode {
    LOC_OD_NONE = 0,       /* counts as independent draws (binomial, Poisson), zone means as a sample of zones */
    LOC_OD_MULTIPLICATIVE, /* null variance times phi, the winsorised mean squared z-score, when phi > 1 */
    LOC_OD_ADDITIVE,       /* null variance plus tau^2, the between-locality variance (random effects) */
    LOC_OD_ZONES           /* the zones' pooled spread inside localities over the effective number of zones:
                            * a design effect (quasi-likelihood dispersion), whatever the type */
} loc_od_mode;

/* Which false discovery rate procedure --fdr uses. */
typedef enum loc_fdr_method {
    LOC_FDR_BH = 0, /* Benjamini-Hochberg: independent or positively dependent tests */
    LOC_FDR_BY      /* Benjamini-Yekutieli: any dependence */
} loc_fdr_method;

typedef struct loc_assess_opts {
    double conf;            /* confidence level of the decision (default 0.998, the funnel's outer limits) */
    double fdr;             /* > 0: flag by q < fdr over every test instead of the confidence level (default 0) */
    loc_fdr_method fdr_method; /* BH or BY (default BY) */
    loc_od_mode od;         /* overdispersion allowance (default zones) */
    double winsor;          /* winsorisation of the z-scores for phi (default 0.1) */
    size_t od_min_units;    /* fewer tested localities: estimate from the zones instead (default 10) */
    int effects_from_spec;  /* 1: each indicator's spec min_effect where it has one (default 1) */
    double min_effect_rel;  /* minimum difference relative to the comparator where the spec gives none (0.25) */
    double min_effect_abs;  /* minimum absolute difference, shown units, where the spec gives none (0) */
    size_t min_zones;       /* fewer contributing zones: unreliable (default 3) */
    double min_denom;       /* smaller denominator (proportion, rate, share): unreliable (default 100) */
    size_t plan_min_domains;/* domains poorer against one comparator for a plan (default 2) */
    size_t plan_min_poorer; /* > 0: also a plan at this many poorer indicators against one comparator (default 0) */
    double max_pop;         /* guidance: population ceiling (default 10000) */
    const uint32_t *value_rows; /* NULL, or per zone row the row whose indicator values it takes (the null
                                 * experiment's shuffle); borrowed for the call */
    const int32_t *spread_group; /* NULL (the localities), or per zone row a group (-1 none) inside which the
                                  * zones' spread is taken for LOC_OD_ZONES: the natural communities a build
                                  * respected, since built localities are alike by construction; borrowed */
    size_t nspread_groups;       /* groups in spread_group */
} loc_assess_opts;

LOC_API void loc_assess_opts_init(loc_assess_opts *o);

/* One locality x indicator x comparator. */
typedef struct loc_assess_cell {
    loc_interval est;       /* the locality's estimate and interval (shown units), widened for overdispersion */
    double cmp_value;       /* the comparator's value (shown units) */
    loc_interval diff;      /* locality minus comparator at the decision's level; NaN when not tested */
    double p;               /* two-sided p-value of the same test (NaN when not tested) */
    double q;               /* false discovery rate q-value (NaN unless --fdr) */
    double se;              /* standard error of the difference under the null, overdispersion included */
    double limit;           /* the decision limit: flagged when |diff.est| > limit (shown units) */
    double effect;          /* the minimum effect applied (shown units) */
    double size;            /* the funnel's x: denominator, exposure or effective number of zones */
    loc_flag flag;
    double sum_x, sum_w;    /* the locality's sums: count and denominator (proportion, rate), deprived
                             * and all residents (share), weighted values and weights (ratio, mean) */
    size_t zones_used;      /* zones contributing the indicator */
    size_t zones_missing;   /* zones of the locality without a usable value */
    size_t zones_suppressed;/* contributing zones whose count was suppressed (taken at the range's middle) */
    int flag_sensitive;     /* 1 when the flag changes across the suppressed counts' range */
} loc_assess_cell;

/* The overdispersion found for one indicator and comparator. */
typedef struct loc_assess_disp {
    double phi;       /* winsorised mean squared z-score (1 when not estimated) */
    double tau2;      /* between-locality variance, method scale (0 when not estimated) */
    size_t units;     /* units it was estimated from */
    int from_zones;   /* 1 when estimated from zones (too few localities) */
} loc_assess_disp;

typedef struct loc_assess loc_assess;

/*
 * Assess every locality of p over every indicator of z.  graph, when not
 * NULL, is the contiguity graph of the study zones, node i being zone row
 * rows[i], for the guidance check of contiguity (otherwise not checked).
 * NULL with the error set (LOC_EINVAL bad options, LOC_ENOMEM).  Free
 * with loc_assess_destroy.
 */
LOC_API loc_assess *loc_assess_run(loc_ctx *ctx, const loc_zones *z, const loc_partition *p,
                                   const loc_assess_opts *opts, const loc_graph *graph, const uint32_t *rows);
LOC_API void loc_assess_destroy(loc_assess *a);

LOC_API const loc_assess_opts *loc_assess_options(const loc_assess *a);
/* The cell of locality k, indicator j, comparator c (borrowed). */
LOC_API const loc_assess_cell *loc_assess_cell_get(const loc_assess *a, size_t k, size_t j, loc_comparator c);
/* Indicators poorer against comparator c, and whether a plan is needed. */
LOC_API size_t loc_assess_poorer(const loc_assess *a, size_t k, loc_comparator c);
LOC_API int loc_assess_qualifies(const loc_assess *a, size_t k);
/* Domains poorer against comparator c; 1 when poorer on the deprivation
 * share against either comparator. */
LOC_API size_t loc_assess_poorer_domains(const loc_assess *a, size_t k, loc_comparator c);
LOC_API int loc_assess_share_poorer(const loc_assess *a, size_t k);
/* Why locality k qualifies, or "" (borrowed; valid until destroy). */
LOC_API const char *loc_assess_reason(const loc_assess *a, size_t k);
/* The same in words for people ("poorer than the rest of the council in 3
 * domains (income, employment, health)"), without indicator names. */
LOC_API const char *loc_assess_reason_brief(const loc_assess *a, size_t k);
/* Domains of the plan rule, in spec order of first appearance. */
LOC_API size_t loc_assess_ndomains(const loc_assess *a);
LOC_API const char *loc_assess_domain(const loc_assess *a, size_t d);
/* 1 when indicator j is tested (its flags can be poorer or better). */
LOC_API int loc_assess_tested(const loc_assess *a, size_t j);
/* Overdispersion of indicator j against comparator c. */
LOC_API const loc_assess_disp *loc_assess_dispersion(const loc_assess *a, size_t j, loc_comparator c);
/* The two-sided normal quantile the decision used (from conf, or the
 * false discovery rate's threshold). */
LOC_API double loc_assess_z(const loc_assess *a);
/*
 * The funnel against Scotland for indicator j: lower and upper decision
 * limits (shown units) at funnel size x (a cell's `size`).  A cell against
 * Scotland is poorer or better exactly when its estimate lies outside
 * these limits on that side.  NaN when the indicator is not tested.
 */
LOC_API void loc_assess_funnel(const loc_assess *a, size_t j, double x, double *lo, double *hi);
/* Guidance checks: population over the ceiling, not contiguous (-1 when
 * not checked), crossing a council boundary. */
LOC_API int loc_assess_over_ceiling(const loc_assess *a, size_t k);
LOC_API int loc_assess_discontiguous(const loc_assess *a, size_t k);
LOC_API int loc_assess_crosses_council(const loc_assess *a, size_t k);
/* Localities qualifying, and the rule as a sentence. */
LOC_API size_t loc_assess_nqualifying(const loc_assess *a);
LOC_API const char *loc_assess_rule(const loc_assess *a);
/* Tests run (cells other than unreliable or untested). */
LOC_API size_t loc_assess_ntests(const loc_assess *a);

/*
 * indicators.csv: locality_code,indicator,comparator,estimate,ci_low,
 * ci_high,comparator_value,diff_low,diff_high,flag,p_value,numerator,
 * denominator,zones_used,zones_missing,q_value,se,limit,min_effect,
 * funnel_size,zones_suppressed,flag_depends_on_suppressed, one row per cell in locality,
 * indicator, comparator order; estimates with 6 significant digits, the
 * locality's sums (sum_x, sum_w) in full, empty when not available.  localities.csv: one row per locality
 * with code, name, council, population, zones, poorer counts, the plan
 * flag and the guidance checks.  Atomic (temporary name, renamed).
 */
LOC_API loc_status loc_assess_write_indicators(loc_ctx *ctx, const loc_assess *a, const char *path);
LOC_API loc_status loc_assess_write_localities(loc_ctx *ctx, const loc_assess *a, const char *path);

/*
 * overdispersion.csv: one row per tested indicator x comparator:
 * indicator,comparator,method,units,from_zones,phi,tau2,within_sd,
 * dispersion_within,applied.  phi and tau2 are Spiegelhalter's, from the
 * localities' z-scores against the plain null variance (binomial, Poisson,
 * the comparator's zone spread), whatever the method deciding; tau2 and
 * within_sd (the zones' pooled spread inside localities) in shown units;
 * dispersion_within is that spread times the mean denominator of a zone
 * over the binomial (proportion) or Poisson (rate) variance at Scotland's
 * value: about the quasi-likelihood dispersion of zone counts about their
 * locality's rate (1 for independent draws); applied names the allowance used.  Atomic.
 */
LOC_API loc_status loc_assess_write_dispersion(loc_ctx *ctx, const loc_assess *a, const char *path);

#endif
