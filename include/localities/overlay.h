/*
 * Overlay: how the polygons of one set share out among the polygons of
 * another, by area.
 *
 * Two uses.  Localities kept as polygons (a council's locality boundaries)
 * become a partition of the zone table: each zone goes to the locality
 * polygon covering most of its area.  And localities held on one zone
 * geography are carried onto another (2011 data zones onto 2001 ones):
 * each zone of the new set goes to the held locality covering most of its
 * area.  Both need the same thing: for every polygon of the first set, the
 * polygons of the second it overlaps and the area of each overlap.  That
 * is an STRtree over the second set, a prepared-geometry test that skips
 * the common case of one polygon lying inside another without computing
 * the intersection, and GEOS intersection only for real boundary
 * crossings.  Everything is in EPSG:27700 square metres.
 */
#ifndef LOCALITIES_OVERLAY_H
#define LOCALITIES_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/partition.h"
#include "localities/zones.h"

typedef struct loc_overlay loc_overlay;

/*
 * Overlay from[0..nfrom) on to[0..nto): for each from polygon, every to
 * polygon whose intersection with it has positive area, and that area.
 * Geometries are borrowed (polygonal, valid, in metres, from ctx's GEOS
 * context) and need not outlive the result.  NULL with the error set:
 * LOC_EGEOM naming the from and to indices when GEOS fails on a pair,
 * LOC_ENOMEM.  Free with loc_overlay_destroy.
 */
LOC_API loc_overlay *loc_overlay_create(loc_ctx *ctx, const GEOSGeometry *const *from, size_t nfrom,
                                        const GEOSGeometry *const *to, size_t nto);

/* Free.  NULL does nothing. */
LOC_API void loc_overlay_destroy(loc_overlay *o);

/* Polygons of the from set. */
LOC_API size_t loc_overlay_count(const loc_overlay *o);
/* Area of from polygon i in square metres. */
LOC_API double loc_overlay_area_m2(const loc_overlay *o, size_t i);
/* The pieces of from polygon i: *to gets the to indices and *area_m2 the
 * areas of the overlaps (both borrowed, valid while o lives), largest
 * first, equal areas by to index.  Returns the number of pieces. */
LOC_API size_t loc_overlay_pieces(const loc_overlay *o, size_t i, const uint32_t **to, const double **area_m2);

/* ---------------------------------------------------------------------
 * Zones placed in locality polygons (`assess --localities POLYGONS`)
 * --------------------------------------------------------------------- */

/* Placed approximately: a zone with less than this share of its area in
 * the locality it was given. */
#define LOC_EXACT_SHARE 0.99

/* Where one zone went. */
typedef struct loc_zone_place {
    int32_t first;   /* locality (partition index) covering most of the zone, or -1 */
    int32_t second;  /* the next largest, or -1 */
    double share1;   /* share of the zone's area in first (0..1) */
    double share2;   /* share in second */
} loc_zone_place;

/* What a placement did with the study zones. */
typedef struct loc_place_stats {
    size_t zones, approx, unplaced;       /* study zones placed; below LOC_EXACT_SHARE; in no polygon */
    double area_m2, approx_area_m2;       /* area of the placed zones; the part of it outside their locality */
    double pop, approx_pop;               /* residents of the placed zones; of those placed approximately */
} loc_place_stats;

/*
 * Localities from polygons: each study zone with a boundary (in zb, the
 * boundaries z was joined with) goes to the polygon of polys covering most
 * of its area; the polygon's code (polys' code field) and name become the
 * locality's.  Polygons that receive no zone are left out and reported as
 * one warning.  Study zones that no polygon overlaps are left out (one
 * warning).  Overlapping locality polygons are an error: LOC_EDATA naming
 * the file and the two polygons' codes, when some zone has more than 1% of
 * its area in two polygons at once.  No zone placed at all is LOC_EDATA.
 * place (may be NULL; loc_zones_count long) gets each row's placement
 * (first -1 for rows not placed); stats (may be NULL) the totals.  NULL
 * with the error set; free with loc_partition_destroy.
 */
LOC_API loc_partition *loc_partition_from_polygons(loc_ctx *ctx, const loc_zones *z, const loc_boundaries *zb,
                                                   const loc_boundaries *polys, loc_zone_place *place,
                                                   loc_place_stats *stats);

/*
 * zones_split.csv: header "zone_code,locality_code,share,second_locality_code,
 * second_share,population", one line per study zone with less than
 * LOC_EXACT_SHARE of its area in its locality, in zone-code order, shares
 * to four decimals.  Atomic like zones.csv.  LOC_EIO naming the file.
 */
LOC_API loc_status loc_write_zones_split_csv(loc_ctx *ctx, const loc_partition *p, const loc_zone_place *place,
                                             const char *path);

/* ---------------------------------------------------------------------
 * Localities carried between zone geographies by area
 * --------------------------------------------------------------------- */

/* How loc_partition_carry_overlay weighs and labels. */
typedef struct loc_carry_overlay_opts {
    double sliver_m;  /* also exact when the rest of the zone is a sliver no wider than this on average
                         (its area over the zone's perimeter); 0 for the share alone */
    int by_residents; /* weigh each piece by the residents of the held zone it lies in (held's population
                         column spread evenly over that zone's area), so that shares are of residents */
} loc_carry_overlay_opts;

/*
 * Carry held localities onto this table's zones by overlaying the two
 * boundary sets (`batch --hold-localities` with a zone_map_boundaries
 * column, `build --from-boundaries`): held is a run's zones.csv on the old
 * zones (zone_code, locality_code, locality_name and population when
 * present), held_b those zones' boundaries, zb the boundaries z was joined
 * with.  Each study zone goes to the held locality covering most of its
 * area (of its residents, with opts->by_residents): LOC_PLACED_EXACT when
 * that is at least LOC_EXACT_SHARE of it, or when the rest of the zone is
 * a sliver at most opts->sliver_m wide (two boundary sets generalised
 * differently disagree along every shared line by about their
 * tolerances), LOC_PLACED_MOST otherwise (under LOC_CARRY_ALL such a zone
 * is left out as LOC_PLACED_TIE, as is an exact tie under either rule),
 * LOC_PLACED_NONE when no held locality overlaps it.  opts may be NULL
 * (the share of area alone).  stats and how as for loc_partition_carry
 * (same meanings, so carried.csv and the comparison read them unchanged);
 * held localities that receive no zone are dropped and reported.  NULL
 * with the error set: a missing column (population too with
 * by_residents), GEOS failure, nothing placed (LOC_EDATA), a negative
 * sliver width (LOC_EINVAL).
 */
LOC_API loc_partition *loc_partition_carry_overlay(loc_ctx *ctx, const loc_zones *z, const loc_boundaries *zb,
                                                   const loc_csv *held, const loc_boundaries *held_b,
                                                   const loc_carry_overlay_opts *opts, loc_carry_rule rule,
                                                   loc_carry_stats *stats, uint8_t *how);

#endif
