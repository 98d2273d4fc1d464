/*
 * Flag stability: how much a locality's plan flag depends on where its
 * lines fall.  An ensemble of alternative valid plans is built from the
 * same input (seeds base + 1 .. base + N; the soft-group weight spread
 * evenly over a stated range, by default 0.2 to 0.6 around the default
 * 0.4), each is assessed with the main run's options, and two things are
 * counted: per zone, the share of plans in which it lies in a locality
 * that needs a plan; per locality of the main plan, among the plans that
 * have a locality with similar members (a Jaccard index by residents of
 * at least one half with it), the share in which that locality's flag is
 * the main one's.  Every plan is built by loc_build, so each obeys the
 * same rules as the main plan.
 */
#ifndef LOCALITIES_ENSEMBLE_H
#define LOCALITIES_ENSEMBLE_H

#include <stddef.h>

#include "localities/assess.h"
#include "localities/builder.h"
#include "localities/partition.h"

typedef struct loc_ensemble_opts {
    size_t plans;        /* alternative plans (e.g. 50) */
    double w_soft_low;   /* soft-group weights spread from ... (default 0.2) */
    double w_soft_high;  /* ... to (default 0.6) */
} loc_ensemble_opts;

LOC_API void loc_ensemble_opts_init(loc_ensemble_opts *o);

typedef struct loc_ensemble loc_ensemble;

/*
 * Build and assess the plans.  in, base, rows as for loc_build and
 * loc_build_partition (node i is zone row rows[i]); ao the assessment
 * options of the main run; main and main_as the main plan and its
 * assessment.  NULL with the error set (LOC_EINVAL for no plans,
 * LOC_ENOMEM, or a build's or assessment's error).  Free with
 * loc_ensemble_destroy.
 */
LOC_API loc_ensemble *loc_ensemble_run(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *base,
                                       const loc_ensemble_opts *eo, const loc_zones *z, const uint32_t *rows,
                                       const loc_assess_opts *ao, const loc_partition *main,
                                       const loc_assess *main_as);
LOC_API void loc_ensemble_destroy(loc_ensemble *e);

LOC_API size_t loc_ensemble_plans(const loc_ensemble *e);
/* Per zone row: the share of plans in which it lies in a locality that
 * needs a plan; NaN for rows outside the study area.  Borrowed. */
LOC_API const double *loc_ensemble_zone_share(const loc_ensemble *e);
/* Main locality k: plans with a similar locality, and the share of those
 * in which its flag is the main one's (NaN when none). */
LOC_API size_t loc_ensemble_similar(const loc_ensemble *e, size_t k);
LOC_API double loc_ensemble_flag_holds(const loc_ensemble *e, size_t k);
/* Main locality k of main (the partition the ensemble was run with): the
 * residents-weighted mean of its zones' shares. */
LOC_API double loc_ensemble_locality_share(const loc_ensemble *e, const loc_partition *main, size_t k);

/*
 * ensemble_zones.csv (zone_code, locality_code, plan_required of the main
 * plan, share_of_plans_flagged) and ensemble_localities.csv
 * (locality_code, locality_name, plan_required, plans_similar,
 * flag_holds_share, residents_flagged_share: the residents-weighted mean
 * of its zones' shares), written atomically.  LOC_EIO naming the file.
 */
LOC_API loc_status loc_ensemble_write_csv(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main,
                                          const loc_assess *main_as, const char *zones_path,
                                          const char *localities_path);

/*
 * Append the ensemble's columns to a run's zones.csv (share_of_plans_flagged,
 * by zone_code) and localities.csv (plans_similar, flag_holds_share,
 * residents_flagged_share, by locality_code), rewriting each file
 * atomically with every other field as it was.  Rows whose key main does
 * not know get empty cells.  LOC_EPARSE or LOC_EIO naming the file.
 */
LOC_API loc_status loc_ensemble_append_columns(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main,
                                               const char *zones_csv, const char *localities_csv);

#endif
