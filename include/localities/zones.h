/*
 * Zone table: the join of boundaries, indicators, spec and lookups.
 *
 * One row per zone, stored as a structure of arrays: codes, names, council
 * index, population, a study-area flag, and each indicator's columns as
 * contiguous double arrays (missing values are NaN) so that the
 * aggregation loops run down memory.  Rows are the boundary zones in source
 * order, then the indicator rows that have no boundary.  Zones outside the
 * study area (the councils chosen with --council) stay in the table as
 * reference zones: they count towards the Scotland comparator and nothing
 * else.
 *
 * The join reports what it could not match (zones with a boundary but no
 * indicators and the reverse, missing populations) as warnings naming the
 * zones, or as errors in strict mode; duplicate codes and a join that
 * matches nothing are always errors.
 */
#ifndef LOCALITIES_ZONES_H
#define LOCALITIES_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"

typedef struct loc_join_opts {
    const char *const *councils; /* study-area councils, by code or name; NULL for all */
    size_t ncouncils;            /* entries in councils */
    const char *council_field;   /* council column in a lookup, the boundaries or the indicators; NULL detects */
    int strict;                  /* partial coverage is an error, not a warning */
} loc_join_opts;

/* What the join matched; counts of zones. */
typedef struct loc_coverage {
    size_t zones;              /* rows in the table */
    size_t study;              /* zones in the study area (boundary and chosen council) */
    size_t joined;             /* study zones with an indicator row */
    size_t boundary_only;      /* study zones with a boundary but no indicator row */
    size_t indicator_only;     /* indicator rows in the chosen councils with no usable boundary */
    size_t reference;          /* indicator rows outside the chosen councils */
    size_t excluded_geometry;  /* boundary features the reader excluded */
    size_t missing_population; /* study zones with no population value */
    size_t zero_population;    /* study zones with population 0 */
    size_t skipped_lines;      /* footnote or blank lines skipped in the indicator file */
} loc_coverage;

typedef struct loc_zones loc_zones;

/*
 * Join.  boundaries may be NULL (a table of indicator rows only, all in the
 * study area when no councils are chosen).  lookups may be NULL when
 * nlookups is 0.  The inputs are only read; the table copies what it keeps,
 * except geometries, which stay in `boundaries` (loc_zones_boundary gives
 * the index).  cov may be NULL.  Returns NULL with the context's error set:
 * LOC_EDATA for a missing column, a bad value (file, line, column named),
 * duplicate codes, an unknown council, a zone in no council, or a join that
 * matches nothing.  Free with loc_zones_destroy.
 */
LOC_API loc_zones *loc_zones_join(loc_ctx *ctx, const loc_boundaries *boundaries, const loc_csv *indicators,
                                  const loc_spec *spec, const loc_lookup *const *lookups, size_t nlookups,
                                  const loc_join_opts *opts, loc_coverage *cov);

/* Free the table.  NULL does nothing. */
LOC_API void loc_zones_destroy(loc_zones *z);

/* Rows. */
LOC_API size_t loc_zones_count(const loc_zones *z);
LOC_API const char *loc_zones_code(const loc_zones *z, size_t i);
LOC_API const char *loc_zones_name(const loc_zones *z, size_t i);
/* Row of a zone code, or -1. */
LOC_API long loc_zones_find(const loc_zones *z, const char *code);
/* Index of zone i in the boundaries, or -1 when it has none. */
LOC_API long loc_zones_boundary(const loc_zones *z, size_t i);
/* 1 when zone i is in the study area. */
LOC_API int loc_zones_in_study(const loc_zones *z, size_t i);
/* Study-area rows in table order (borrowed array of loc_zones_nstudy). */
LOC_API size_t loc_zones_nstudy(const loc_zones *z);
LOC_API const uint32_t *loc_zones_study(const loc_zones *z);
/* The same rows in zone-code order (borrowed): the order the graph, the
 * builder and the tables take them in, whatever order the sources had. */
LOC_API const uint32_t *loc_zones_study_by_code(const loc_zones *z);
/* Every row in zone-code order (borrowed, loc_zones_count long): the order
 * sums over zones are taken in. */
LOC_API const uint32_t *loc_zones_rows_by_code(const loc_zones *z);

/* Population per row (NaN when missing); borrowed, loc_zones_count long. */
LOC_API const double *loc_zones_population(const loc_zones *z);

/* Councils: per-row index (-1 when unknown), codes and names. */
LOC_API const int32_t *loc_zones_councils(const loc_zones *z);
LOC_API size_t loc_zones_ncouncils(const loc_zones *z);
LOC_API const char *loc_zones_council_code(const loc_zones *z, size_t c);
LOC_API const char *loc_zones_council_name(const loc_zones *z, size_t c);
/* Where the council came from, e.g. "'lookup.csv' column 'ltla20_code'". */
LOC_API const char *loc_zones_council_source(const loc_zones *z);

/* Indicators (in spec order) and their columns.  For proportion and rate,
 * column 0 is the numerator and 1 the denominator; for ratio, mean and
 * share, 0 is the value and 1 the weight.  Borrowed arrays of
 * loc_zones_count doubles, NaN where missing. */
LOC_API size_t loc_zones_nindicators(const loc_zones *z);
LOC_API const loc_indicator *loc_zones_indicator(const loc_zones *z, size_t k);
LOC_API const double *loc_zones_column(const loc_zones *z, size_t k, int which);
/* Study zones with a missing value (either column) for indicator k.  A
 * zone whose count cannot be a rate (proportion or rate with denominator
 * 0, or a proportion's numerator above its denominator) has both columns
 * NaN for that indicator and counts here; the join reports such zones once
 * per indicator (an error when strict). */
LOC_API size_t loc_zones_missing(const loc_zones *z, size_t k);
/* Rows whose numerator of indicator k was the suppression mark '*' and
 * holds the middle of the spec's `suppressed` range instead (1 per row,
 * borrowed, loc_zones_count long); NULL when the spec gives no range.
 * Every other missing mark stays NaN. */
LOC_API const uint8_t *loc_zones_suppressed(const loc_zones *z, size_t k);
LOC_API size_t loc_zones_nsuppressed(const loc_zones *z, size_t k);

/*
 * A grouping from a lookup column: each zone's group (-1 when the lookup
 * does not list the zone), group codes and names.  Free with
 * loc_grouping_destroy.  NULL with the context's error set when the column
 * does not exist.
 */
typedef struct loc_grouping {
    char *label;          /* "file:column" */
    size_t ngroups;       /* distinct groups */
    char **codes;         /* group codes */
    char **names;         /* group names ("" when the lookup has none) */
    int32_t *member;      /* per zone row: group index or -1 */
    size_t unlisted;      /* study zones the lookup does not list */
    loc_arena *strings;   /* owns label, codes and names */
    loc_ctx *ctx;         /* allocator owner */
} loc_grouping;

LOC_API loc_grouping *loc_zones_grouping(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup,
                                         const char *column);
LOC_API void loc_grouping_destroy(loc_grouping *g);

#endif
