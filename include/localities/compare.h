/*
 * The same localities across releases (batch --hold-localities): each
 * release's results kept in memory as it finishes (its plan flags, poorer
 * counts, how its zones were carried, its key indicators), then one table
 * with the releases side by side and each locality's course: a plan in
 * every release that judged it, in some, or in none.  The releases are
 * compared from their assessments, never from the files they wrote.
 */
#ifndef LOCALITIES_COMPARE_H
#define LOCALITIES_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "localities/assess.h"
#include "localities/partition.h"

typedef struct loc_release loc_release;

/*
 * One release's results, copied (p, as and how may be freed afterwards):
 * per locality its code, name, plan flag, poorer counts and poorer
 * domains against each comparator, the share of its residents placed by
 * most residents of their mapped zones (how[] from the carry: NULL when
 * every zone was its own), and for each of the nkey key indicators (by
 * name; a name the release's spec lacks gives empty cells) the estimate
 * and the flag against Scotland.  as must assess p.  name is the
 * release's name, used in column names.  NULL with the error set.
 */
LOC_API loc_release *loc_release_create(loc_ctx *ctx, const char *name, const loc_partition *p, const loc_assess *as,
                                        const uint8_t *how, const char *const *key, size_t nkey);
/* Free.  NULL does nothing. */
LOC_API void loc_release_destroy(loc_release *r);
/* Localities in the release. */
LOC_API size_t loc_release_count(const loc_release *r);

/* A held locality's course over the releases. */
typedef enum loc_course {
    LOC_COURSE_NEVER = 0,      /* no release flagged it */
    LOC_COURSE_CHANGED = 1,    /* some did, some did not */
    LOC_COURSE_PERSISTENT = 2  /* every release that judged it flagged it */
} loc_course;

/* "never", "changed", "persistently_poorer". */
LOC_API const char *loc_course_name(loc_course c);

/* What the comparison found. */
typedef struct loc_compare_summary {
    size_t localities;          /* held localities in any release */
    size_t count[3];            /* by loc_course */
    char names[3][2048];        /* by loc_course: names, ", "-separated, in table order (cut short when long) */
} loc_compare_summary;

/*
 * comparison.csv: locality_code, locality_name, then per release R (in
 * the order given) R_plan_required, R_poorer_council_rest,
 * R_poorer_scotland, R_poorer_domains_council_rest,
 * R_poorer_domains_scotland, R_placed_by_most (4 significant digits) and
 * per key indicator K R_K, R_K_flag_scotland, then status (the course);
 * one row per locality in the order of first appearance (release by
 * release), cells empty where a release lacks the locality.  key[nkey]
 * must be the names every release was made with.  Atomic (temporary name,
 * renamed).  sum (may be NULL) gets the counts.  LOC_EIO naming path,
 * LOC_EINVAL for releases made with other key indicators, LOC_ENOMEM.
 */
LOC_API loc_status loc_compare_write_csv(loc_ctx *ctx, const loc_release *const *rel, size_t n,
                                         const char *const *key, size_t nkey, const char *path,
                                         loc_compare_summary *sum);

#endif
