/*
 * Repair: keep the localities a CPP already has and change only what the
 * guidance requires (`build --from FILE`).
 *
 * Three rules, applied in order: a locality lies in one council (its
 * zones in other councils become localities of their own there); it is
 * contiguous in the graph (island links count: a detached part joins the
 * neighbouring locality of the same council it shares most boundary with,
 * or stands alone when it has none); and it has at most the ceiling of
 * residents (one over it is cut along a spanning tree of its zones, built
 * to keep zones with long shared boundaries together, into parts each
 * under the ceiling, recursively halving by population).  Every other
 * locality is left exactly as it was.
 */
#ifndef LOCALITIES_REPAIR_H
#define LOCALITIES_REPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "localities/graph.h"
#include "localities/partition.h"

/* What a repair changed. */
typedef struct loc_repair_stats {
    size_t given;          /* localities given */
    size_t kept;           /* of those, kept whole: exactly the same zones */
    size_t split;          /* cut because over the ceiling */
    size_t council_split;  /* split along council boundaries */
    size_t discontiguous;  /* not contiguous: detached parts moved or made their own */
    size_t parts_merged;   /* detached parts joined to a neighbouring locality */
    size_t out;            /* localities after the repair */
    size_t zones_moved;    /* zones now in another given locality (merged parts) */
    double pop_moved;      /* their residents */
    double pop_kept;       /* residents whose locality was kept whole */
    double pop_same_code;  /* residents whose locality still has its given code (kept, or the largest part) */
    double pop;            /* residents of the placed zones */
} loc_repair_stats;

/*
 * Repair partition given on graph g, whose node i is zone row rows[i] of
 * the partition's zone table (as cli_graph_only makes it).  Zones left out
 * of given stay out.  New localities are coded after the locality they
 * come from: the part with most residents keeps CODE and the others,
 * whether cut off, in another council or detached with no neighbour to
 * join, are "CODE-2", "CODE-3"... in a fixed order (council parts and lone
 * detached parts by their lowest graph node, then parts cut off, in the
 * order they are cut); names likewise get " (2)", " (3)"...  stats may be NULL.  The result does not depend on anything
 * but its inputs.  NULL with the error set (LOC_EINVAL for a ceiling not
 * above zero, LOC_ENOMEM).  Free with loc_partition_destroy.
 */
LOC_API loc_partition *loc_partition_repair(loc_ctx *ctx, const loc_partition *given, const loc_graph *g,
                                            const uint32_t *rows, double max_pop, loc_repair_stats *stats);

/*
 * repair.csv: header "zone_code,given_locality_code,locality_code,population",
 * one line per study zone whose locality code changed (cut off, split by
 * council, or joined to a neighbour), in zone-code order.  given and
 * repaired must share one zone table.  Atomic like zones.csv; LOC_EIO
 * naming the file.
 */
LOC_API loc_status loc_repair_write_changes_csv(loc_ctx *ctx, const loc_partition *given,
                                                const loc_partition *repaired, const char *path);

#endif
