/*
 * The pipeline as one engine API: the inputs a run loads (boundaries,
 * spec, indicators, lookups, joined into the zone table); the builder's
 * problem made from them (the graph's nodes, the features, the groupings
 * to respect, the graph, the build, the feasibility check, the named
 * partition, codes kept from an earlier run) with the figures that judge
 * a build (R^2, groups kept whole, compactness); and, once the localities
 * are assessed (loc_assess_run) and dissolved (loc_dissolve), every file
 * of a run written at once.  A program linking the engine reproduces
 * `localities build` with loc_inputs_load and loc_problem_build, and
 * `localities run` with loc_assess_run, loc_dissolve and loc_run_write;
 * the command line only parses options, stages the folder and prints.
 */
#ifndef LOCALITIES_PIPELINE_H
#define LOCALITIES_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "localities/boundary.h"
#include "localities/builder.h"
#include "localities/csv.h"
#include "localities/feasibility.h"
#include "localities/graph.h"
#include "localities/lookup.h"
#include "localities/partition.h"
#include "localities/spec.h"
#include "localities/zones.h"
#include "localities/assess.h"
#include "localities/writers.h"

/* Lookups one problem can read or borrow. */
#define LOC_MAX_LOOKUPS 32

/* ---------------------------------------------------------------------
 * Inputs
 * --------------------------------------------------------------------- */

/* Where the inputs are and how to read and join them. */
typedef struct loc_input_files {
    const char *boundaries;           /* any GDAL vector source of zones */
    loc_boundary_opts boundary;       /* its layer, zone field, assumed CRS */
    const char *indicators;           /* the indicator CSV */
    const char *spec;                 /* its spec CSV */
    const char *const *lookups;       /* zone -> group lookups, joined in order */
    size_t nlookups;                  /* at most LOC_MAX_LOOKUPS */
    loc_join_opts join;               /* study councils, council field, strict */
} loc_input_files;

/* Everything loaded for a run; free with loc_inputs_free. */
typedef struct loc_inputs {
    loc_boundaries *boundaries;
    loc_csv *indicators;
    loc_spec *spec;
    loc_lookup *lookups[LOC_MAX_LOOKUPS];
    size_t nlookups;
    loc_zones *zones;
    loc_coverage coverage;            /* what the join matched and missed */
} loc_inputs;

/* Read and join every input; on failure the error names the file and in
 * is to be freed all the same (what was read is kept there). */
LOC_API loc_status loc_inputs_load(loc_ctx *ctx, const loc_input_files *files, loc_inputs *in);
/* Free and zero.  A zeroed in does nothing. */
LOC_API void loc_inputs_free(loc_inputs *in);

/* The indicators of the zone table with a spec role (LOC_ROLE_*), or the
 * spec's defaults for it (loc_indicators_with_role), as indicator
 * indices into out[max]; their number (0 also when out of memory). */
LOC_API size_t loc_zones_indicators_with_role(const loc_zones *z, unsigned role, size_t *out, size_t max);

/* ---------------------------------------------------------------------
 * The builder's problem
 * --------------------------------------------------------------------- */

/* How a respected grouping binds: soft (split as little as the objective
 * allows), hard (never split: each group in one locality) or nest (never
 * crossed: each locality in one group, as localities nest in councils). */
typedef enum loc_respect_kind { LOC_RESPECT_SOFT = 0, LOC_RESPECT_HARD = 1, LOC_RESPECT_NEST = 2 } loc_respect_kind;

/* "soft", "hard" or "nest". */
LOC_API const char *loc_respect_name(loc_respect_kind kind);

/* A grouping to respect: a column of a lookup file. */
typedef struct loc_respect {
    const char *path;       /* the lookup (one of the inputs' when the path is the same, else read) */
    const char *column;     /* its group column */
    loc_respect_kind kind;
} loc_respect;

/* Lookup columns taken as intermediate zones when nothing is said of
 * what to respect (NULL-terminated). */
LOC_API extern const char *const loc_iz_columns[];

typedef struct loc_problem_opts {
    loc_graph_opts graph;             /* loc_graph_opts_init's, with the command's changes */
    loc_build_opts build;             /* loc_build_opts_init's, with the command's changes */
    const char *build_indicators;     /* comma-separated indicator names; NULL: the spec's role build */
    const loc_respect *respect;       /* groupings to respect, in order; none: intermediate zones, soft, from the
                                       * first input lookup that has a column of loc_iz_columns */
    size_t nrespect;
    int respect_none;                 /* 1: respect nothing, not even the default */
    const char *area_counts;          /* CSV council_code (or first column), localities: counts per council */
    const char *codes_from;           /* an earlier zones.csv whose codes nearly unchanged localities keep */
} loc_problem_opts;

/* Share of residents two localities must have in common (Jaccard) for a
 * locality to keep an earlier code: high enough that a locality that lost
 * or gained a zone or two keeps it, and above one half, so that the match
 * is one to one. */
#define LOC_KEEP_CODE_OVERLAP 0.9

/*
 * The problem and what building it made.  Every field is the engine's:
 * read them, never change them.  Node i is study zone rows[i] (the study
 * zones that have a polygon, in zone-code order, so that the same zones
 * give the same graph whatever the file format or row order).
 */
typedef struct loc_problem {
    loc_ctx *ctx;                 /* the owner of every array */
    size_t n;                     /* nodes */
    uint32_t *rows;               /* node -> zone row */
    const GEOSGeometry **geoms;   /* node -> polygon (borrowed from the boundaries) */
    const char **codes;           /* node -> zone code (borrowed from the zone table) */
    int32_t *council;             /* node -> council row */
    int32_t *region;              /* with nest groupings: node -> (council, groups) region; else NULL */
    size_t nregions;
    double *pop;                  /* node -> residents (0 when unknown) */
    double *x;                    /* n * nfeat feature values: rates for counts, values otherwise */
    size_t nfeat;
    size_t feat[64];              /* indicator index of each feature */
    char feat_names[1024];        /* "a, b" */
    size_t no_boundary;           /* study zones with no polygon (reported, in no locality) */
    loc_grouping *groupings[LOC_BUILD_MAX_GROUPINGS];
    int32_t *member[LOC_BUILD_MAX_GROUPINGS]; /* per node: its group, -1 none */
    loc_respect_kind kind[LOC_BUILD_MAX_GROUPINGS];
    size_t ngroupings;
    int default_respect;          /* the intermediate zones were taken by default */
    loc_lookup *own_lookups[LOC_MAX_LOOKUPS]; /* lookups read for the respected groupings */
    size_t nown;
    loc_graph *graph;
    loc_build_input input;        /* its groupings are NULL after the build (see loc_problem_groupings) */
    loc_build_opts opts;
    loc_build_result *result;     /* NULL for loc_problem_graph */
    loc_partition *partition;     /* the named localities over the zone table; NULL for loc_problem_graph */
    size_t codes_kept;            /* codes_from: localities that kept an earlier code */
    loc_feasibility *feasibility; /* per council and part: can the bounds hold */
    size_t nfeasibility;
    double *area_count;           /* area_counts: count per council row, 0 none; else NULL */
} loc_problem;

/* The nodes and their contiguity graph only (for assessing given
 * localities): p zeroed first.  On failure p is to be freed all the same. */
LOC_API loc_status loc_problem_graph(loc_ctx *ctx, const loc_inputs *in, const loc_graph_opts *go, loc_problem *p);

/*
 * Nodes, features, groupings, regions, graph, build, feasibility and the
 * named partition (with codes kept from opts->codes_from): `localities
 * build` without its printing.  Warnings (zones without a boundary, zones
 * in no group) go to ctx's report function.  p zeroed first; on failure
 * the error is set and p is to be freed all the same.
 */
LOC_API loc_status loc_problem_build(loc_ctx *ctx, const loc_inputs *in, const loc_problem_opts *opts, loc_problem *p);

/* Free and zero.  A zeroed p does nothing. */
LOC_API void loc_problem_free(loc_problem *p);

/* The groupings the builder respects (nest ones excluded: they are in the
 * regions) into gr[LOC_BUILD_MAX_GROUPINGS], borrowing p's arrays; their
 * number. */
LOC_API size_t loc_problem_groupings(const loc_problem *p, loc_build_grouping *gr);

/* 1 when a soft grouping is respected (hard and nest ones are kept by
 * construction, so only soft ones have a share kept whole to report). */
LOC_API int loc_problem_has_soft(const loc_problem *p);

/* ---------------------------------------------------------------------
 * The build's quality
 * --------------------------------------------------------------------- */

/* R^2 of indicator k's zone rates explained by group means, the groups
 * given per node (labels[n], nl groups); NaN when it cannot be had. */
LOC_API double loc_problem_r2(const loc_problem *p, const loc_zones *z, size_t k, const int32_t *labels, size_t nl);
/* Groups of grouping k kept whole (all their nodes in one locality), of
 * those with a node; in council (a row) only when council >= 0. */
LOC_API void loc_problem_kept_whole(const loc_problem *p, size_t k, int32_t council, size_t *whole, size_t *total);
/* Localities whose nodes all lie in one group of grouping k (nodes in no
 * group count as one more group). */
LOC_API size_t loc_problem_nested(const loc_problem *p, size_t k);
/* Mean Polsby-Popper compactness (4 pi A / P^2) of council's localities
 * from the graph's areas, perimeters and shared lengths; NaN for none. */
LOC_API double loc_problem_compactness(const loc_problem *p, int32_t council);
/* Island links (LOC_EDGE_ISLAND) inside council's localities. */
LOC_API size_t loc_problem_islands(const loc_problem *p, int32_t council);

/* ---------------------------------------------------------------------
 * A run's files
 * --------------------------------------------------------------------- */

/* The per-locality columns the maps and the report carry, from an
 * assessment: plan_required, the poorer counts, the guidance checks,
 * share_poorer, the poorer domains, plan_reason and plan_reason_brief,
 * then per indicator NAME, NAME_low, NAME_high, NAME_council_rest,
 * NAME_scotland (REAL) and NAME_flag_council_rest, NAME_flag_scotland
 * (TEXT).  NULL with the error set. */
LOC_API loc_attrs *loc_assess_attrs(loc_ctx *ctx, const loc_assess *as);

/* Everything a run's files are made from (borrowed, only read: several
 * threads read it at once). */
typedef struct loc_run {
    const loc_inputs *in;
    const loc_problem *problem;     /* the graph; the build when result is set (NULL: the localities were given) */
    const loc_partition *partition; /* the localities */
    const loc_assess *assess;
    const loc_dissolved *dissolved; /* their polygons */
    const loc_attrs *attrs;         /* loc_assess_attrs's columns, and any more */
    const loc_kv *sources;          /* the report's data sources (file paths) */
    size_t nsources;
} loc_run;

/* The files of a run, in the order run.json and summaries list them:
 * zones.csv, localities.csv, indicators.csv, overdispersion.csv,
 * graph.csv, graph.gal, graph.gwt, localities.geojson, localities.gpkg,
 * report.html, feasibility.csv (only when the localities were built). */
#define LOC_RUN_NFILES 11
LOC_API const char *loc_run_file(size_t k);

/*
 * report.html of a run: maps by the plan flag and by the spec's `map`
 * indicator, a funnel plot and a difference chart per tested indicator,
 * the profiles, the feasibility section when the bounds cannot hold
 * somewhere, the build's settings and quality (or the given localities'
 * ceiling), the plan rule and the sources.  Dated by SOURCE_DATE_EPOCH
 * when set, else now.  Errors as loc_write_report's.
 */
LOC_API loc_status loc_run_write_report(loc_ctx *ctx, const loc_run *r, const char *path);

/*
 * Every file of a run: file k (loc_run_file) to paths[k] (NULL: not
 * written), up to threads at once (0: the processors, at most 4), each
 * writer with a context of its own (its own GEOS and PROJ contexts and
 * GDAL datasets) that reports through ctx's report function.  Each file
 * is atomic on its own; a set that changes as one is the caller's staging
 * folder.  On failure the error of the first failing file in file order
 * is left in ctx: the files before it in that order are still written
 * and those after it are not started, so that the message is the same
 * whatever the timing.  seconds[k] (may be NULL) gets each file's
 * writing time.
 */
LOC_API loc_status loc_run_write(loc_ctx *ctx, const loc_run *r, const char *const *paths, int threads,
                                 double *seconds);

#endif
