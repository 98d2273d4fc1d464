/*
 * Locality builder: partitions each council's zones into contiguous
 * localities under a population ceiling that respect natural communities.
 *
 * Every locality the builder returns lies in one council, is connected in
 * the contiguity graph (island links count), has at most max_pop residents
 * (a single zone or hard group above it becomes a locality of its own and
 * is reported) and at least min_pop wherever the council's geography
 * allows, never splits a hard group, and splits soft groups as little as
 * the objective allows.
 *
 * Objective, minimised (each term normalised so that the weights are
 * comparable across councils and data sets):
 *
 *   w_het     * H / H_total   within-locality heterogeneity: population-
 *                             weighted sum of squared deviations of the
 *                             standardised features from the locality mean,
 *                             over the study area's total (so the term is
 *                             1 - R^2 of the locality means)
 * + w_compact * C / C_total   boundary length between different localities
 *                             over the total boundary length between zones
 * + w_soft    * P / P_total   soft groups split: the soft groups that touch
 *                             two localities or more, over the number of
 *                             soft groups (1 - the share kept whole; once a
 *                             group is split, splitting it further is free,
 *                             so the splits gather and the rest stay whole)
 *
 * Method: hard groups are contracted into units; a construction seeds one
 * region per soft group (or per council) cut into connected pieces, splits
 * regions above the ceiling by cutting a minimum spanning tree of feature
 * dissimilarity, and merges regions below the floor into the neighbour
 * that costs least; then local search moves boundary units between
 * neighbouring localities of the same council: a greedy descent, then
 * several annealing starts run in parallel, each followed by descent.  A
 * move costs O(degree + features + soft groups of the unit); contiguity of
 * the locality a unit leaves is decided from the unit's neighbours when
 * they are linked around it, by a bounded search otherwise.  The result
 * depends on the seed and the number of starts, never on the thread count.
 *
 * Each council (each distinct area id, or council id without areas) is
 * built as a problem of its own: features standardised and the three terms
 * normalised over its zones, the graph among its zones only, its own
 * construction, descent and starts, with random streams from the seed
 * alone.  So a council's localities depend only on its zones, the graph
 * among them and the options, never on which other councils are in the
 * input; the councils' starts share the threads.
 */
#ifndef LOCALITIES_BUILDER_H
#define LOCALITIES_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "localities/graph.h"
#include "localities/partition.h"
#include "localities/zones.h"

#define LOC_BUILD_MAX_GROUPINGS 8

typedef struct loc_build_opts {
    double max_pop;    /* ceiling (default 10000) */
    double min_pop;    /* floor (default 2500); 0 for none */
    double w_het;      /* weight of heterogeneity (default 1) */
    double w_compact;  /* weight of compactness (default 0.1) */
    double w_soft;     /* weight of soft groups split (default 0.4) */
    uint64_t seed;     /* random seed (default 1) */
    int starts;        /* annealing starts after the greedy descent (default 4); 0 for descent only */
    int threads;       /* threads for the starts (default 2); never changes the result */
    int max_passes;    /* greedy passes over the units (default 100) */
    double anneal_moves; /* annealing moves per start, per unit (default 300) */
    /* Size control (0: off).  target_pop asks for localities near that many
     * residents, localities_per_council for about that many localities in
     * each council (a target of the council's residents over the count).
     * Either narrows a council's bounds to 0.7 to 1.3 times the target,
     * within max_pop and min_pop: the ceiling always holds, so a target
     * above it gives localities between 0.7 times the ceiling and the
     * ceiling. */
    double target_pop;
    size_t localities_per_council;
    /* Optional: localities wanted per council, indexed by the input's area
     * (or council) ids, nareas of them; a count above 0 overrides the two
     * above for that council.  Borrowed for the call. */
    const double *area_count;
    size_t nareas;
} loc_build_opts;

LOC_API void loc_build_opts_init(loc_build_opts *o);

/* A grouping to respect: group per node (-1: in no group), hard or soft. */
typedef struct loc_build_grouping {
    const int32_t *member;
    size_t ngroups;
    int hard;
    const char *label; /* for messages, e.g. "lookup.csv:iz11_code" */
} loc_build_grouping;

/*
 * The problem, over the graph's nodes 0..n-1.  pop per node (NaN counts as
 * 0); council per node (>= 0; the graph must have been built with the same
 * councils so that island links stay inside them); x is n * nfeat feature
 * values, row-major (node i's features at x[i * nfeat]), NaN where missing
 * (a missing value carries no weight); features are standardised by the
 * builder (population-weighted over each council's nodes).  codes (optional) names
 * nodes in messages.  All arrays are borrowed for the call.
 */
typedef struct loc_build_input {
    size_t n;
    const loc_graph *graph;
    const double *pop;
    const int32_t *council;
    const double *x;
    size_t nfeat;
    const loc_build_grouping *groupings;
    size_t ngroupings;
    const char *const *codes;
    /* Optional (NULL: council): the part of the input each node is built
     * in, as a problem of its own (>= 0).  When council holds nest regions
     * (council x ward), area holds the councils, so that a council's
     * localities are weighed over the whole council. */
    const int32_t *area;
} loc_build_input;

/* What the build did and how good the result is. */
typedef struct loc_build_stats {
    size_t localities;
    size_t units;              /* zones after contracting hard groups */
    size_t over_ceiling;       /* localities above max_pop (one unit each) */
    size_t under_floor;        /* localities below min_pop that no merge could fix */
    size_t hard_split_parts;   /* hard groups not connected in the graph (kept whole) */
    /* The objectives below are of the whole input (features standardised
     * and terms normalised over every council), for comparing runs; the
     * builder minimises each council's own. */
    double objective_construct;/* objective after the construction */
    double objective_greedy;   /* after the greedy descent */
    double objective;          /* final */
    double r2;                 /* 1 - H / H_total over all features */
    double compact_cut;        /* C / C_total */
    double soft_split;         /* P / P_total */
    uint64_t moves_evaluated;  /* candidate moves costed */
    uint64_t moves_made;
    uint64_t contiguity_searches; /* moves that needed a search to decide contiguity */
    uint64_t moves_remembered; /* of moves_evaluated: annealing moves whose heterogeneity (and
                                  boundary) change was remembered from an earlier costing, neither
                                  locality having changed since */
    uint64_t anneal_starts;    /* annealing starts run, over every council */
    uint64_t anneal_steps;     /* temperature steps they ran: at most 50 a start, which stops
                                  after a step in which it made no move */
    double t_construct_s, t_greedy_s, t_anneal_s; /* wall seconds per stage */
    int best_start;            /* -1: the greedy descent in every council; else the annealing
                                  start that won in most councils */
} loc_build_stats;

typedef struct loc_build_result loc_build_result;

/*
 * Build.  NULL with the error set: LOC_EINVAL for bad options or inputs
 * (negative population, node in no council, groups out of range),
 * LOC_ENOMEM.  Over-ceiling units, floors that cannot be met and hard
 * groups that are not contiguous are reported through the context's
 * report callback.  Free with loc_build_result_destroy.
 */
LOC_API loc_build_result *loc_build(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts);
LOC_API void loc_build_result_destroy(loc_build_result *r);

/* Locality per node (0..localities-1), borrowed.  Localities are numbered
 * by council in order of council id, then by their smallest node index,
 * so the numbering is stable. */
LOC_API const int32_t *loc_build_labels(const loc_build_result *r);
LOC_API size_t loc_build_count(const loc_build_result *r);
LOC_API const loc_build_stats *loc_build_stats_get(const loc_build_result *r);

/*
 * The result as a partition of a zone table: node i is zone row rows[i].
 * Locality codes are derived from each locality's zones (loc_codes_derive
 * in codes.h: the council code and a hash of the member zone codes), so
 * the same zones give the same code in every run.  A locality is named
 * after the group of `names` (a grouping over zone rows, such as
 * intermediate zones; may be NULL) holding most of its residents, whole
 * and alone.  Localities of one council that share a name each take the
 * compass point of their residents' centre seen from the centre of all of
 * them ("Kirkcaldy East"), from the node centroids xy (2 per node, x
 * easting and y northing; may be NULL); a name still repeated takes a
 * number from 2 ("Kirkcaldy North 2").  With no names, or a locality whose
 * zones have none, the council's name and the locality's number.  Free
 * with loc_partition_destroy.
 */
LOC_API loc_partition *loc_build_partition(loc_ctx *ctx, const loc_zones *z, const loc_build_result *r,
                                           const uint32_t *rows, const loc_grouping *names, const double *xy);

/*
 * Centroids of n zone geometries into xy (2 per zone: x, y; NaN for a NULL
 * or empty geometry), for loc_build_partition.  LOC_EGEOM with GEOS's
 * message when GEOS fails.
 */
LOC_API loc_status loc_build_centroids(loc_ctx *ctx, size_t n, const GEOSGeometry *const *geoms, double *xy);

/*
 * Share of the weighted variance of x explained by the locality means:
 * 1 - sum w (x - mean_locality)^2 / sum w (x - mean)^2, over the n items
 * with label >= 0, finite x and w > 0.  1 when there is no variance.
 */
LOC_API double loc_build_r2(size_t n, const double *x, const double *w, const int32_t *labels, size_t nloc);

/*
 * The objective of any labelling of the same problem, computed from
 * scratch (no incremental state), with its three normalised terms; for
 * tests and for comparing partitions.  labels[i] in 0..nloc-1 for every
 * node.  LOC_EINVAL on bad labels.
 */
LOC_API loc_status loc_build_evaluate(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts,
                                      const int32_t *labels, size_t nloc, double *objective, double *r2,
                                      double *compact_cut, double *soft_split);

/*
 * Incremental state, exposed for tests and benchmarks: start from labels,
 * cost and apply single-unit moves, read the objective kept incrementally.
 * With no hard groupings a unit is a node.
 */
typedef struct loc_build_state loc_build_state;
LOC_API loc_build_state *loc_build_state_create(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts,
                                                const int32_t *labels, size_t nloc);
LOC_API void loc_build_state_destroy(loc_build_state *s);
LOC_API double loc_build_state_objective(const loc_build_state *s);
/* Change in objective if node's unit moved to locality `to`. */
LOC_API double loc_build_state_delta(loc_build_state *s, size_t node, int32_t to);
/* 1 when the move keeps every rule (council, contiguity, bounds). */
LOC_API int loc_build_state_move_ok(loc_build_state *s, size_t node, int32_t to);
/* Apply the move (no checks). */
LOC_API void loc_build_state_apply(loc_build_state *s, size_t node, int32_t to);
LOC_API const int32_t *loc_build_state_labels(const loc_build_state *s, size_t *nloc);

#endif
