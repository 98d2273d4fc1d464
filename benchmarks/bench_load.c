/*
 * Loading benchmark: all of Scotland (2011 data-zone boundaries, SIMD
 * 2020v2 indicators, spec, council lookup, join) against the time GDAL alone
 * needs to read the same boundaries (every feature and geometry fetched,
 * nothing converted).  The ratio says what our conversion, validation and
 * join cost on top of the unavoidable I/O.
 *
 * Usage: bench_load [DATA_DIR]   (default: the project's data/ folder)
 */
#include "harness.h"
#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"

#include <gdal.h>
#include <ogr_api.h>

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

/* GDAL alone: open, fetch every feature and its geometry, close. */
static size_t gdal_only(const char *path)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds)
        return 0;
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    size_t n = 0;
    while ((f = OGR_L_GetNextFeature(l))) {
        if (OGR_F_GetGeometryRef(f))
            n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return n;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : LOC_DATA_DIR;
    const char *bpath = join_path(dir, "scotland/dz2011_scotland_simplified.gpkg");
    const char *ipath = join_path(dir, "scotland/simd2020v2_withinds.csv");
    const char *spath = join_path(dir, "specs/simd2020v2.csv");
    const char *lpath = join_path(dir, "scotland/dz2011_iz2011_council_lookup.csv");
    int reps = bench_reps(7);
    GDALAllRegister();

    bench_stage gdal, bnd, csv, all;
    bench_stage_init(&gdal, "GDAL read only");
    bench_stage_init(&bnd, "boundaries (GDAL+GEOS+checks)");
    bench_stage_init(&csv, "indicators CSV");
    bench_stage_init(&all, "full load + join");
    size_t zones = 0;
    for (int r = 0; r < reps; r++) {
        bench_start(&gdal);
        zones = gdal_only(bpath);
        bench_stop(&gdal);

        loc_ctx *ctx = loc_ctx_create(NULL);
        bench_start(&bnd);
        loc_boundaries *b = loc_boundaries_read(ctx, bpath, NULL);
        bench_stop(&bnd);
        bench_start(&csv);
        loc_csv *ind = loc_csv_read(ctx, ipath);
        bench_stop(&csv);
        loc_boundaries_destroy(b);
        loc_csv_destroy(ind);

        bench_start(&all);
        b = loc_boundaries_read(ctx, bpath, NULL);
        ind = loc_csv_read(ctx, ipath);
        loc_spec *spec = loc_spec_read(ctx, spath);
        loc_lookup *lk = loc_lookup_read(ctx, lpath, NULL);
        const loc_lookup *lks[] = {lk};
        loc_zones *z = b && ind && spec && lk ? loc_zones_join(ctx, b, ind, spec, lks, 1, NULL, NULL) : NULL;
        bench_stop(&all);
        if (!z) {
            fprintf(stderr, "bench_load: %s\n", loc_errmsg(ctx));
            return 1;
        }
        loc_zones_destroy(z);
        loc_lookup_destroy(lk);
        loc_spec_destroy(spec);
        loc_csv_destroy(ind);
        loc_boundaries_destroy(b);
        loc_ctx_destroy(ctx);
    }
    printf("loading all of Scotland: %zu zones, %d runs each\n", zones, reps);
    bench_set_items(&gdal, (double)zones, "zones");
    bench_set_items(&bnd, (double)zones, "zones");
    bench_set_items(&all, (double)zones, "zones");
    bench_report(&gdal);
    bench_report(&bnd);
    bench_report(&csv);
    bench_report(&all);
    printf("ratio full load / GDAL read: %.2f\n", bench_median(&all) / bench_median(&gdal));
    printf("peak resident memory: %.1f MiB\n", bench_peak_rss_mib());
    return 0;
}
