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
 * Flags: `poorer` when the interval of the difference lies wholly on the
 * worse side (the spec's direction) and the difference is at least the
 * minimum effect, `better` likewise, `same` otherwise.  With fdr > 0 the
 * flags come instead from Benjamini-Hochberg q-values over every test of
 * the run (q < fdr).  A locality qualifies for a locality plan when it is
 * poorer than the rest of its council or than Scotland on a share
 * indicator (the deprivation share), or on at least plan_min_poorer
 * indicators against one comparator.
 */
#ifndef LOCALITIES_ASSESS_H
#define LOCALITIES_ASSESS_H

#include <stddef.h>

#include "localities/graph.h"
#include "localities/partition.h"
#include "localities/stats.h"
#include "localities/zones.h"

typedef enum loc_comparator {
    LOC_CMP_COUNCIL_REST = 0, /* the rest of the locality's council area */
    LOC_CMP_SCOTLAND = 1      /* every zone of the table */
} loc_comparator;

typedef struct loc_assess_opts {
    double conf;            /* confidence level (default 0.998) */
    double fdr;             /* > 0: flag by Benjamini-Hochberg q < fdr instead of the intervals (default 0) */
    double min_effect_rel;  /* minimum difference relative to the comparator value (default 0.25) */
    double min_effect_abs;  /* minimum absolute difference, in the indicator's shown units (default 0) */
    size_t min_zones;       /* fewer usable zones: unreliable (default 3) */
    double min_denom;       /* smaller denominator (proportion, rate, share): unreliable (default 100) */
    size_t plan_min_poorer; /* indicators poorer against one comparator for a plan (default 8) */
    double max_pop;         /* guidance: population ceiling (default 10000) */
} loc_assess_opts;

LOC_API void loc_assess_opts_init(loc_assess_opts *o);

/* One locality x indicator x comparator. */
typedef struct loc_assess_cell {
    loc_interval est;       /* the locality's estimate and interval (shown units) */
    double cmp_value;       /* the comparator's value (shown units) */
    loc_interval diff;      /* locality minus comparator; NaN when not tested */
    double p;               /* two-sided p-value (NaN when not tested) */
    loc_flag flag;
    double sum_x, sum_w;    /* the locality's sums: count and denominator (proportion, rate), deprived
                             * and all residents (share), weighted values and weights (ratio, mean) */
    size_t zones_used;      /* zones with the indicator's values */
    size_t zones_missing;   /* zones of the locality without them */
} loc_assess_cell;

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
 * denominator,zones_used,zones_missing, one row per cell in locality,
 * indicator, comparator order; estimates with 6 significant digits, the
 * locality's sums (sum_x, sum_w) in full, empty when not available.  localities.csv: one row per locality
 * with code, name, council, population, zones, poorer counts, the plan
 * flag and the guidance checks.  Atomic (temporary name, renamed).
 */
LOC_API loc_status loc_assess_write_indicators(loc_ctx *ctx, const loc_assess *a, const char *path);
LOC_API loc_status loc_assess_write_localities(loc_ctx *ctx, const loc_assess *a, const char *path);

#endif
