/*
 * The null experiment: how often the plan rule flags a locality when
 * nothing distinguishes the localities.
 *
 * Each shuffle permutes the zones' indicator values within each council
 * (every indicator of a zone moves together, so their correlations are
 * kept; council and national totals do not change), keeps the localities,
 * and runs the whole assessment on the shuffled values: overdispersion
 * estimation, tests, domains and the plan rule.  Under such a shuffle a
 * locality is a random set of its council's zones, so every plan it gets
 * is a false positive.  The share of localities flagged, averaged over the
 * shuffles, is the rule's error rate per locality; it is reported for
 * every domain threshold K at once (the tests do not depend on K), with
 * and without the deprivation-share route, so that a default can be read
 * off a stated error rate.  Deterministic for a given seed and number of
 * shuffles, whatever the thread count.
 */
#ifndef LOCALITIES_CALIBRATE_H
#define LOCALITIES_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include "localities/assess.h"

#define LOC_NULL_MAX_K 32 /* domain thresholds reported: K = 1 .. LOC_NULL_MAX_K */

typedef struct loc_null_result {
    size_t shuffles;          /* shuffles run */
    size_t localities;        /* localities per shuffle */
    size_t ndomains;          /* domains of the rule */
    /* mean share of localities flagged under the null: */
    double share_route;       /* by the deprivation share alone */
    double domains_k[LOC_NULL_MAX_K + 1];  /* by K or more domains alone (index K; [0] unused) */
    double plan_k[LOC_NULL_MAX_K + 1];     /* by the whole rule with K: share or K domains */
    double plan_k_max[LOC_NULL_MAX_K + 1]; /* the largest share of one shuffle, whole rule */
    double cell_poorer[2];    /* share of tested cells flagged poorer, per comparator */
    double cell_better[2];    /* share of tested cells flagged better, per comparator */
    double share_cmp[2];      /* share of localities poorer on the deprivation share, per comparator */
    double domains_cmp_k[2][LOC_NULL_MAX_K + 1]; /* by K or more domains against this comparator */
} loc_null_result;

/*
 * With across set, the values are shuffled across all of Scotland instead
 * (every zone with a council in one group): the null of both comparators,
 * where the within-council shuffle is the null of the council comparison
 * only (a random set of a deprived council's zones is still genuinely
 * poorer than Scotland).
 *
 * Run `shuffles` shuffled assessments of partition p over table z with
 * options opts (its value_rows is ignored), the shuffles drawn from seed,
 * on up to `threads` threads (each with its own context).  LOC_OK with out
 * filled; LOC_EINVAL for no shuffles or bad options (message on ctx);
 * LOC_ENOMEM.  The graph-based guidance checks are not run.
 */
LOC_API loc_status loc_null_experiment(loc_ctx *ctx, const loc_zones *z, const loc_partition *p,
                                       const loc_assess_opts *opts, size_t shuffles, uint64_t seed, int threads,
                                       int across, loc_null_result *out);

#endif
