/*
 * Can the floor and the ceiling hold?  Before (or beside) a build, each
 * council and each part of it that the graph separates without island
 * links (an island, a peninsula cut off by water) is checked against the
 * population bounds: the ceiling cannot hold where a single zone or hard
 * group has more residents than it (such a unit is a locality of its own,
 * above the ceiling); the floor cannot hold for a council with fewer
 * residents than it, and a part below it can meet it only by reaching
 * across the water to another part (the island links the graph made).
 * The answer is a table, feasibility.csv, instead of log lines.
 */
#ifndef LOCALITIES_FEASIBILITY_H
#define LOCALITIES_FEASIBILITY_H

#include <stddef.h>
#include <stdint.h>

#include "localities/builder.h"
#include "localities/zones.h"

/* One council (component 0) or one of its parts (components 1..). */
typedef struct loc_feasibility {
    int32_t council;            /* the input's area (or council) id */
    size_t component;           /* 0: the whole council; else its part, in order of first node */
    size_t ncomponents;         /* parts of the council without island links */
    size_t zones;
    double population;
    uint32_t first_node;        /* the part's (or council's) first node, to name it */
    double largest_unit;        /* residents of its largest zone or hard group */
    uint32_t largest_node;      /* a node of that unit */
    size_t units_over_ceiling;  /* zones or hard groups above the ceiling */
    int floor_holds;            /* population >= the floor */
    int ceiling_holds;          /* no unit above the ceiling */
} loc_feasibility;

/*
 * The rows for a build's input and options (the same input loc_build
 * takes, checked the same way): per council in order of id, the council
 * then its parts when it has more than one.  *n receives the number of
 * rows.  Free with loc_free(ctx, rows).  NULL with the error set
 * (LOC_EINVAL for bad input, LOC_ENOMEM).
 */
LOC_API loc_feasibility *loc_feasibility_check(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
                                               size_t *n);

/*
 * Write the rows as CSV: council_code, council_name, part ("council" or
 * "part K of M"), first_zone, zones, population, largest_unit,
 * largest_unit_zone, units_over_ceiling, floor_holds, ceiling_holds
 * ("yes"/"no") and why (empty when both hold).  Council ids are rows of
 * the zone table's councils (loc_zones_council_code); zone codes come
 * from in->codes (node numbers without them).  Written atomically.
 * LOC_EIO naming the file.
 */
LOC_API loc_status loc_feasibility_write_csv(loc_ctx *ctx, const loc_feasibility *rows, size_t n,
                                             const loc_build_input *in, const loc_build_opts *o,
                                             const loc_zones *z, const char *path);

#endif
