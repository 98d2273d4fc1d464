/*
 * Overlay benchmark: the 2001 data zones (6,505 polygons) over the 2011
 * data zones (6,976), the overlay that carries localities between the two
 * geographies, timed without the reading of either file.
 *
 * Usage: bench_overlay DZ2001_BOUNDARIES DZ2011_BOUNDARIES
 */
#include "harness.h"
#include "localities/boundary.h"
#include "localities/overlay.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_overlay DZ2001_BOUNDARIES DZ2011_BOUNDARIES\n");
        return 2;
    }
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *a = ctx ? loc_boundaries_read(ctx, argv[1], NULL) : NULL;
    loc_boundaries *b = a ? loc_boundaries_read(ctx, argv[2], NULL) : NULL;
    if (!b) {
        fprintf(stderr, "bench_overlay: %s\n", ctx ? loc_errmsg(ctx) : "out of memory");
        return 1;
    }
    size_t na = loc_boundaries_count(a), nb = loc_boundaries_count(b);
    bench_stage st;
    bench_stage_init(&st, "overlay");
    bench_set_items(&st, (double)na, "polygons");
    size_t pieces = 0;
    int reps = bench_reps(3);
    for (int r = 0; r < reps; r++) {
        bench_start(&st);
        loc_overlay *o = loc_overlay_create(ctx, loc_boundaries_geoms(a), na, loc_boundaries_geoms(b), nb);
        bench_stop(&st);
        if (!o) {
            fprintf(stderr, "bench_overlay: %s\n", loc_errmsg(ctx));
            return 1;
        }
        pieces = 0;
        for (size_t i = 0; i < na; i++) {
            const uint32_t *t;
            const double *ar;
            pieces += loc_overlay_pieces(o, i, &t, &ar);
        }
        loc_overlay_destroy(o);
    }
    printf("%zu x %zu polygons (%zu and %zu vertices), %zu pieces\n", na, nb, loc_boundaries_vertices(a),
           loc_boundaries_vertices(b), pieces);
    bench_report(&st);
    loc_boundaries_destroy(a);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
    return 0;
}
