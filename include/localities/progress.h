/*
 * Progress across SIMD releases: targets, trajectories and trends for
 * localities held fixed over several releases (`batch --hold-localities`).
 *
 * The community planning guidance asks each locality plan for 1-, 3- and
 * 10-year targets and for plans kept up to date.  A targets file names,
 * per locality (a code, `*` for every plan locality, or a council code),
 * indicator and baseline release, the target for the value or for the gap
 * to the rest of the council or to Scotland.  It is checked before any run
 * starts (against the held localities and the releases' specs), so that a
 * bad file is refused with nothing written.  After the runs each target
 * gets its trajectory from the releases' indicators.csv and a status;
 * every held locality also gets a tested trend of its gap to the rest of
 * its council between the first and the last release.
 *
 * Only indicators whose spec rows share a `comparable` key are followed
 * across releases: the key names the series (the same definition), so an
 * indicator can change its column or name between releases and still be
 * followed, and one that changed its definition is not.
 *
 * The noise: every change is tested with the standard errors the
 * assessment cells carry (`se`: the difference's standard error under the
 * null, overdispersion included), the two releases' taken as independent:
 * se of a change = sqrt(se_first^2 + se_last^2).  A value's se is that of
 * its Scotland cell (Scotland's own variance is negligible beside a
 * locality's), a gap's that of its comparator's cell.
 */
#ifndef LOCALITIES_PROGRESS_H
#define LOCALITIES_PROGRESS_H

#include <stddef.h>

#include "localities/csv.h"
#include "localities/ctx.h"

/* One release of the batch, in manifest order.  Tables are borrowed and
 * must outlive the loc_progress. */
typedef struct loc_progress_release {
    const char *name;    /* manifest name (simd2012) */
    int year;            /* release year (see loc_progress_release_year) */
    const loc_csv *spec; /* the release's spec file as a table: name, worse, comparable */
} loc_progress_release;

typedef enum loc_progress_status {
    LOC_PROG_ON_TRACK = 0, /* at or ahead of the target line, or clearly improving within its noise */
    LOC_PROG_OFF_TRACK,    /* behind the target line by more than the noise, or clearly worse */
    LOC_PROG_MET,          /* the last target reached (possibly at the baseline already) */
    LOC_PROG_TOO_EARLY,    /* no release after the plan year */
    LOC_PROG_CANNOT_TELL,  /* the change lies within the noise, or a value is missing */
    LOC_PROG_NARROWED,     /* trends: the gap to the rest of the council closed, beyond the noise */
    LOC_PROG_WIDENED,      /* trends: it opened, beyond the noise */
    LOC_PROG_HELD          /* trends: within the noise */
} loc_progress_status;

LOC_API const char *loc_progress_status_name(loc_progress_status s);

/* The year of a release: year_field when it holds a year, otherwise the
 * first 4-digit number in name (simd2020v2 -> 2020); -1 when neither. */
LOC_API int loc_progress_release_year(const char *name, const char *year_field);

typedef struct loc_progress loc_progress;

/*
 * Check the targets file (NULL: trends only) against the releases and the
 * held localities (a zones.csv: locality_code, council_code).  NULL with
 * the error set (LOC_EDATA naming the file and line: an unknown locality,
 * council, indicator, release or measure, a malformed number, targets that
 * move the wrong way, a plan year before the baseline, an indicator not
 * comparable across the releases; LOC_ENOMEM).  Every argument is
 * borrowed and must outlive the result.  Free with loc_progress_destroy.
 */
LOC_API loc_progress *loc_progress_create(loc_ctx *ctx, const loc_progress_release *rel, size_t nrel,
                                          const loc_csv *held, const loc_csv *targets);
LOC_API void loc_progress_destroy(loc_progress *pr);

/* The outputs of release k (localities.csv, indicators.csv and, when not
 * NULL, carried.csv), borrowed until loc_progress_destroy.  A release
 * never given counts as missing.  LOC_EDATA when a table lacks a column. */
LOC_API loc_status loc_progress_add_outputs(loc_ctx *ctx, loc_progress *pr, size_t k, const loc_csv *localities,
                                            const loc_csv *indicators, const loc_csv *carried);

/* Work out every target's status and every trend.  LOC_ENOMEM. */
LOC_API loc_status loc_progress_finish(loc_ctx *ctx, loc_progress *pr);

/* After finish: rows of progress.csv (targets, then trends). */
typedef struct loc_progress_row {
    int is_trend;               /* 0 target, 1 trend */
    const char *locality;       /* locality code (borrowed) */
    const char *indicator;      /* indicator name in the baseline release */
    int measure;                /* 0 value, 1 gap_council, 2 gap_scotland */
    size_t baseline;            /* release index of the baseline */
    int plan_year;              /* the year the targets count from */
    double target[3];           /* 1-, 3-, 10-year targets, NaN when not set */
    size_t latest;              /* release compared with the baseline ((size_t)-1 when none) */
    double expected;            /* the target line at the latest release's year (NaN for trends) */
    double change, change_se;   /* latest less baseline, and its standard error */
    loc_progress_status status;
    const char *note;           /* why, in words (borrowed) */
    size_t line;                /* line of the targets file (0 for trends) */
} loc_progress_row;

LOC_API size_t loc_progress_nrows(const loc_progress *pr);
LOC_API const loc_progress_row *loc_progress_row_get(const loc_progress *pr, size_t i);

/* Trends of indicator name (the first release's) counted by status
 * (counts[0] narrowed, [1] widened, [2] held, [3] cannot tell) over the
 * localities needing a plan in the first release (plan_only) or all. */
LOC_API void loc_progress_trend_counts(const loc_progress *pr, const char *indicator, int plan_only, size_t counts[4]);

/*
 * progress.csv: kind,locality_code,locality_name,council_code,indicator,
 * measure,baseline,plan_year,target_1y,target_3y,target_10y, then per
 * release <r>_value,<r>_value_low,<r>_value_high,<r>_gap_council,
 * <r>_gap_council_low,<r>_gap_council_high,<r>_gap_scotland,
 * <r>_gap_scotland_low,<r>_gap_scotland_high, then latest,expected,
 * change,change_se,status,note.  Intervals are the assessment's (its
 * decision level).  Atomic.
 */
LOC_API loc_status loc_progress_write(loc_ctx *ctx, const loc_progress *pr, const char *path);

#endif
