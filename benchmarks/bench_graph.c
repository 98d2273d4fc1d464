/*
 * Contiguity graph benchmark: the build on all 6,976 Scottish 2011 data
 * zones (with their councils, so island linking runs as in a real run), and
 * on synthetic lattices of about 7,000, 30,000 and 200,000 square cells, to
 * show how the time grows with the zone count.  A lattice is a clean
 * coverage with no islands: it measures the hashing passes alone, the part
 * that must stay close to linear.
 *
 * Memory: the engine's own peak (every allocation goes through a counting
 * allocator on the context) and the process's peak resident size, which
 * also holds the input geometries and GEOS.
 *
 * Usage: bench_graph [SCOTLAND_DIR]   (default ../shared/data/scotland,
 * else the project's data/scotland); BENCH_REPS sets the repetitions.
 */
#include "harness.h"
#include "internal.h"
#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/graph.h"
#include "localities/strmap.h"

#include <gdal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Counting allocator: a size header in front of every block. */
typedef struct meter {
    size_t now, peak;
} meter;

typedef union hdr {
    size_t size;
    max_align_t align;
} hdr;

static void *meter_realloc(void *ud, void *ptr, size_t size)
{
    meter *m = ud;
    hdr *old = ptr ? (hdr *)ptr - 1 : NULL;
    size_t was = old ? old->size : 0;
    hdr *h = realloc(old, sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    m->now += size - was;
    if (m->now > m->peak)
        m->peak = m->now;
    return h + 1;
}

static void meter_free(void *ud, void *ptr)
{
    meter *m = ud;
    if (!ptr)
        return;
    hdr *h = (hdr *)ptr - 1;
    m->now -= h->size;
    free(h);
}

static double mib(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

/* Time reps builds; returns the graph of the last one (caller frees). */
static loc_graph *time_builds(loc_ctx *ctx, meter *m, bench_stage *st, size_t n, const GEOSGeometry *const *g,
                              const int32_t *council, int reps, size_t *peak)
{
    loc_graph *last = NULL;
    *peak = 0;
    for (int r = 0; r < reps; r++) {
        loc_graph_destroy(last);
        size_t base = m->now;
        m->peak = m->now;
        bench_start(st);
        last = loc_graph_build(ctx, n, g, council, NULL);
        bench_stop(st);
        if (!last) {
            fprintf(stderr, "bench_graph: %s\n", loc_errmsg(ctx));
            exit(1);
        }
        if (m->peak - base > *peak)
            *peak = m->peak - base;
    }
    return last;
}

static void print_graph(const loc_graph *g, size_t peak)
{
    const loc_graph_stats *s = loc_graph_stats_get(g);
    printf("  %zu edges (%zu rook, %zu island links), mean degree %.2f, max %zu; engine peak %.1f MiB\n", s->edges,
           s->rook, s->island_links, s->mean_degree, s->max_degree, mib(peak));
}

static const char *pick(const char *a, const char *b)
{
    return access(a, R_OK) == 0 ? a : b;
}

static void scotland(loc_ctx *ctx, meter *m, const char *dir, int reps)
{
    char bpath[4096], lpath[4096];
    if (dir) {
        snprintf(bpath, sizeof bpath, "%s/boundaries/dz2011_scotland_simplified.gpkg", dir);
        snprintf(lpath, sizeof lpath, "%s/lookups/dz2011_iz2011_council_lookup.csv", dir);
    } else {
        snprintf(bpath, sizeof bpath, "%s",
                 pick(LOC_SHARED_DIR "/boundaries/dz2011_scotland_simplified.gpkg",
                      LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg"));
        snprintf(lpath, sizeof lpath, "%s",
                 pick(LOC_SHARED_DIR "/lookups/dz2011_iz2011_council_lookup.csv",
                      LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv"));
    }
    loc_boundaries *b = loc_boundaries_read(ctx, bpath, NULL);
    loc_csv *lk = b ? loc_csv_read(ctx, lpath) : NULL;
    if (!lk) {
        fprintf(stderr, "bench_graph: %s\n", loc_errmsg(ctx));
        exit(1);
    }
    size_t n = loc_boundaries_count(b);
    long cz = loc_csv_column(lk, "dz11_code"), cc = loc_csv_column(lk, "ltla20_code");
    loc_strmap *rows = loc_strmap_create(ctx, n), *cmap = loc_strmap_create(ctx, 64);
    int32_t *council = malloc(n * sizeof *council);
    if (cz < 0 || cc < 0 || !rows || !cmap || !council) {
        fprintf(stderr, "bench_graph: cannot read councils from '%s'\n", lpath);
        exit(1);
    }
    for (size_t r = 0; r < loc_csv_nrows(lk); r++)
        loc_strmap_put(rows, loc_csv_field(lk, r, cz), (long)r, NULL);
    long nc = 0;
    for (size_t i = 0; i < n; i++) {
        long r = loc_strmap_get(rows, loc_boundaries_code(b, i)), have = -1;
        if (r >= 0)
            loc_strmap_put(cmap, loc_csv_field(lk, (size_t)r, cc), nc, &have);
        council[i] = r < 0 ? -1 : (int32_t)(have >= 0 ? have : nc++);
    }

    bench_stage st;
    bench_stage_init(&st, "graph: Scotland 2011 zones");
    bench_set_items(&st, (double)n, "zones");
    size_t peak;
    loc_graph *g = time_builds(ctx, m, &st, n, loc_boundaries_geoms(b), council, reps, &peak);
    bench_report(&st);
    printf("  %zu zones, %zu vertices, %ld councils; ", n, loc_boundaries_vertices(b), nc);
    print_graph(g, peak);
    loc_graph_destroy(g);
    free(council);
    loc_strmap_destroy(rows);
    loc_strmap_destroy(cmap);
    loc_csv_destroy(lk);
    loc_boundaries_destroy(b);
}

/* A rows x cols lattice of 100 m squares, built directly from coordinates. */
static GEOSGeometry **make_lattice(GEOSContextHandle_t h, int rows, int cols)
{
    GEOSGeometry **g = malloc((size_t)rows * (size_t)cols * sizeof *g);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double x = 100.0 * c, y = 100.0 * r;
            GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
            double xy[5][2] = {{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}};
            for (unsigned k = 0; k < 5; k++)
                GEOSCoordSeq_setXY_r(h, cs, k, xy[k][0], xy[k][1]);
            GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
            g[(size_t)r * (size_t)cols + (size_t)c] = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
        }
    return g;
}

static void lattice(loc_ctx *ctx, meter *m, int rows, int cols, int reps, const char *label)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    size_t n = (size_t)rows * (size_t)cols;
    GEOSGeometry **g = make_lattice(h, rows, cols);
    bench_stage st;
    bench_stage_init(&st, label);
    bench_set_items(&st, (double)n, "zones");
    size_t peak;
    loc_graph *gr = time_builds(ctx, m, &st, n, (const GEOSGeometry *const *)g, NULL, reps, &peak);
    bench_report(&st);
    printf("  %zu cells (%d x %d); ", n, rows, cols);
    print_graph(gr, peak);
    printf("  per zone: %.2f us\n", 1e6 * bench_median(&st) / (double)n);
    loc_graph_destroy(gr);
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(h, g[i]);
    free(g);
}

int main(int argc, char **argv)
{
    int reps = bench_reps(11);
    GDALAllRegister();
    meter m = {0, 0};
    loc_allocator a = {meter_realloc, meter_free, &m};
    loc_ctx *ctx = loc_ctx_create(&a);
    if (!ctx) {
        fprintf(stderr, "bench_graph: cannot create a context\n");
        return 1;
    }
    printf("contiguity graph build, default options (rook, snap %.1f m, islands linked), %d runs each\n",
           LOC_GRAPH_SNAP_M, reps);
    scotland(ctx, &m, argc > 1 ? argv[1] : NULL, reps);
    printf("peak resident memory after Scotland: %.1f MiB\n", bench_peak_rss_mib());
    lattice(ctx, &m, 70, 100, reps, "graph: lattice 7,000");
    lattice(ctx, &m, 150, 200, reps, "graph: lattice 30,000");
    lattice(ctx, &m, 400, 500, reps < 5 ? reps : 5, "graph: lattice 200,000");
    printf("peak resident memory: %.1f MiB\n", bench_peak_rss_mib());
    loc_ctx_destroy(ctx);
    return 0;
}
