/*
 * Repair benchmark: the 130 health and social care partnership localities
 * (a zone -> locality lookup over the 2011 data zones of all Scotland)
 * repaired to the guidance: split by council, detached parts moved, those
 * over 10,000 residents cut.  Timed: the repair alone, on a graph built
 * once (the graph is bench_graph's concern).
 *
 * Usage: bench_repair HSCP_LOOKUP [DATA_DIR]   (lookup column hscp_locality_code;
 *        DATA_DIR default: the project's data/ folder)
 */
#include "harness.h"
#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/graph.h"
#include "localities/lookup.h"
#include "localities/partition.h"
#include "localities/repair.h"
#include "localities/spec.h"
#include "localities/zones.h"

#include <stdio.h>
#include <stdlib.h>

static char *join_path(const char *dir, const char *rel)
{
    static char buf[4][4096];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 4096, "%s/%s", dir, rel);
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_repair HSCP_LOOKUP [DATA_DIR]\n");
        return 2;
    }
    const char *dir = argc > 2 ? argv[2] : LOC_DATA_DIR;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, join_path(dir, "scotland/dz2011_scotland_simplified.gpkg"), NULL);
    loc_csv *ind = loc_csv_read(ctx, join_path(dir, "scotland/simd2020v2_withinds.csv"));
    loc_spec *spec = loc_spec_read(ctx, join_path(dir, "specs/simd2020v2.csv"));
    loc_lookup *lk = loc_lookup_read(ctx, join_path(dir, "scotland/dz2011_iz2011_council_lookup.csv"), NULL);
    loc_lookup *hscp = loc_lookup_read(ctx, argv[1], NULL);
    const loc_lookup *lks[] = {lk};
    loc_zones *z = b && ind && spec && lk && hscp ? loc_zones_join(ctx, b, ind, spec, lks, 1, NULL, NULL) : NULL;
    loc_partition *given = z ? loc_partition_from_lookup(ctx, z, hscp, "hscp_locality_code") : NULL;
    if (!given) {
        fprintf(stderr, "bench_repair: %s\n", loc_errmsg(ctx));
        return 1;
    }
    /* graph nodes: study zones with a polygon */
    size_t ns = loc_zones_nstudy(z), n = 0;
    const uint32_t *study = loc_zones_study(z);
    uint32_t *rows = malloc(ns * sizeof *rows);
    const GEOSGeometry **geoms = malloc(ns * sizeof *geoms);
    int32_t *council = malloc(ns * sizeof *council);
    for (size_t k = 0; k < ns; k++) {
        long bi = loc_zones_boundary(z, study[k]);
        if (bi < 0)
            continue;
        rows[n] = study[k];
        geoms[n] = loc_boundaries_geom(b, (size_t)bi);
        council[n++] = loc_zones_councils(z)[study[k]];
    }
    loc_graph *g = loc_graph_build(ctx, n, geoms, council, NULL);
    if (!g) {
        fprintf(stderr, "bench_repair: %s\n", loc_errmsg(ctx));
        return 1;
    }
    bench_stage st;
    bench_stage_init(&st, "repair");
    bench_set_items(&st, (double)n, "zones");
    loc_repair_stats rs;
    int reps = bench_reps(7);
    for (int r = 0; r < reps; r++) {
        bench_start(&st);
        loc_partition *p = loc_partition_repair(ctx, given, g, rows, 10000, &rs);
        bench_stop(&st);
        if (!p) {
            fprintf(stderr, "bench_repair: %s\n", loc_errmsg(ctx));
            return 1;
        }
        loc_partition_destroy(p);
    }
    printf("%zu given localities over %zu zones -> %zu; %zu kept whole, %zu cut, %zu split by council, "
           "%zu not contiguous\n",
           rs.given, n, rs.out, rs.kept, rs.split, rs.council_split, rs.discontiguous);
    bench_report(&st);
    loc_graph_destroy(g);
    free(rows);
    free(geoms);
    free(council);
    loc_partition_destroy(given);
    loc_zones_destroy(z);
    loc_lookup_destroy(hscp);
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
    return 0;
}
