/*
 * Writers benchmark: dissolve and write all of Scotland with the 1,279
 * intermediate zones (2011) as localities, the size of a national run.
 * Times the dissolve, the GeoJSON (written directly, and by GDAL's
 * driver for comparison), the GeoPackage, the HTML report and
 * the CSV separately and then as the one atomic set, and prints the checks a reader wants beside the times: the
 * sum of locality areas against the sum of zone areas, how many
 * localities needed the ordinary-union fallback, invalid results (must be
 * 0) and the size of each file.
 *
 * Usage: bench_writers [OUT_DIR]   (outputs kept there; default a
 * temporary folder, removed); BENCH_REPS sets the repetitions (default 5).
 */
#include "harness.h"
#include "internal.h"
#include "localities/writers.h"

#include <gdal.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *pick(const char *a, const char *b)
{
    return access(a, R_OK) == 0 ? a : b;
}

static void die(loc_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench_writers: %s: %s\n", what, loc_errmsg(ctx));
    exit(1);
}

static long long file_size(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (long long)s.st_size : -1;
}

/* 99.8% binomial limits around the national proportion, in per cent. */
static void binomial_limits(const void *ud, double x, double *lo, double *hi)
{
    double p = *(const double *)ud, h = x > 0 ? 3.090232306167813 * sqrt(p * (1 - p) / x) : NAN;
    *lo = 100 * (p - h);
    *hi = 100 * (p + h);
}

int main(int argc, char **argv)
{
    int reps = bench_reps(5);
    GDALAllRegister();
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 1;
    const char *bp = pick(LOC_SHARED_DIR "/boundaries/dz2011_scotland_simplified.gpkg",
                          LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg");
    const char *ip =
        pick(LOC_SHARED_DIR "/simd/simd2020v2_withinds.csv", LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv");
    const char *lp = pick(LOC_SHARED_DIR "/lookups/dz2011_iz2011_council_lookup.csv",
                          LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv");
    loc_boundaries *b = loc_boundaries_read(ctx, bp, NULL);
    if (!b)
        die(ctx, "boundaries");
    loc_csv *ind = loc_csv_read(ctx, ip);
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    loc_lookup *lk = loc_lookup_read(ctx, lp, NULL);
    if (!ind || !spec || !lk)
        die(ctx, "inputs");
    const loc_lookup *lks[] = {lk};
    loc_zones *z = loc_zones_join(ctx, b, ind, spec, lks, 1, NULL, NULL);
    if (!z)
        die(ctx, "join");
    loc_partition *p = loc_partition_from_lookup(ctx, z, lk, "iz11_code");
    if (!p)
        die(ctx, "partition");
    size_t nloc = loc_partition_count(p);

    char tmpl[] = "/tmp/bench-writers-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    if (!dir) {
        perror("bench_writers: mkdtemp");
        return 1;
    }
    char gj[4096], gp[4096], html[4096];
    snprintf(gj, sizeof gj, "%s/localities.geojson", dir);
    snprintf(gp, sizeof gp, "%s/localities.gpkg", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);

    bench_stage sd, sj, sjg, sg, sr, sa;
    bench_stage_init(&sd, "dissolve (coverage union)");
    bench_stage_init(&sj, "localities.geojson (RFC 7946)");
    bench_stage_init(&sjg, "the same by GDAL's driver");
    bench_stage_init(&sg, "localities.gpkg (2 layers)");
    bench_stage_init(&sr, "report.html");
    bench_stage_init(&sa, "all three as one set (loc_write_outputs)");
    bench_set_items(&sd, (double)nloc, "localities");
    loc_dissolved *d = NULL;
    for (int r = 0; r < reps; r++) {
        loc_dissolved_destroy(d);
        bench_start(&sd);
        d = loc_dissolve(ctx, p, b, NULL);
        bench_stop(&sd);
        if (!d)
            die(ctx, "dissolve");
    }

    /* attributes a statistics stage would supply: the income share and a
     * flag for localities above the national 99.8% funnel limit */
    size_t ki = 0;
    while (ki < loc_zones_nindicators(z) && strcmp(loc_zones_indicator(z, ki)->name, "income"))
        ki++;
    if (ki == loc_zones_nindicators(z)) {
        fprintf(stderr, "bench_writers: no income indicator in the spec\n");
        return 1;
    }
    const double *num = loc_zones_column(z, ki, 0), *den = loc_zones_column(z, ki, 1);
    double tn = 0, td = 0;
    for (size_t i = 0; i < loc_zones_count(z); i++)
        if (!isnan(num[i]) && !isnan(den[i])) {
            tn += num[i];
            td += den[i];
        }
    double national = tn / td;
    double *rate = malloc(nloc * sizeof *rate), *denom = malloc(nloc * sizeof *denom);
    loc_attrs *a = loc_attrs_create(ctx, nloc);
    if (!rate || !denom || !a || loc_attrs_add(ctx, a, "income_rate", LOC_ATTR_REAL, NULL) ||
        loc_attrs_add(ctx, a, "plan", LOC_ATTR_INT, NULL))
        die(ctx, "attributes");
    size_t flagged = 0;
    for (size_t k = 0; k < nloc; k++) {
        size_t nm;
        const uint32_t *m = loc_partition_members(p, k, &nm);
        double x = 0, y = 0;
        for (size_t i = 0; i < nm; i++)
            if (!isnan(num[m[i]]) && !isnan(den[m[i]])) {
                x += num[m[i]];
                y += den[m[i]];
            }
        rate[k] = y > 0 ? x / y : NAN;
        denom[k] = y;
        double lo, hi;
        binomial_limits(&national, y, &lo, &hi);
        int plan = 100 * rate[k] > hi;
        flagged += (size_t)plan;
        if (loc_attrs_set_real(ctx, a, 0, k, rate[k]) || loc_attrs_set_int(ctx, a, 1, k, plan))
            die(ctx, "attributes");
    }
    /* the report draws shown units: per cent */
    double *shown = malloc(nloc * sizeof *shown), *diff = malloc(nloc * sizeof *diff);
    double *lim = malloc(nloc * sizeof *lim);
    int *flag = malloc(nloc * sizeof *flag);
    if (!shown || !diff || !lim || !flag)
        die(ctx, "funnel");
    for (size_t k = 0; k < nloc; k++) {
        double lo, hi;
        binomial_limits(&national, denom[k], &lo, &hi);
        shown[k] = 100 * rate[k];
        diff[k] = shown[k] - 100 * national;
        lim[k] = hi - 100 * national;
        flag[k] = isnan(shown[k]) ? 3 : shown[k] > hi ? 1 : shown[k] < lo ? 2 : 0;
    }
    loc_funnel fu = {.label = "Income deprived people (% of total population)", .unit = "%",
                     .size_label = "residents", .worse = 1, .national = 100 * national, .value = shown,
                     .size = denom, .flag_scotland = flag, .limits = binomial_limits, .limits_ud = &national,
                     .diff = diff, .limit = lim, .flag_rest = flag};
    loc_kv settings[] = {{"localities", "2011 intermediate zones (iz11_code)"},
                         {"plan rule", "income share above the Scotland 99.8% funnel limit"}};
    loc_kv sources[] = {{"boundaries", bp}, {"indicators", ip}, {"lookup", lp}};
    loc_report_opts ro = {.title = "Scotland: intermediate zones as localities",
                          .flag_column = "plan",
                          .flag_label = "income share above the 99.8% limit",
                          .value_column = "income_rate",
                          .value_label = "income deprived (%)",
                          .value_scale = 100,
                          .funnels = &fu,
                          .nfunnels = 1,
                          .settings = settings,
                          .nsettings = 2,
                          .sources = sources,
                          .nsources = 3};

    for (int r = 0; r < reps; r++) {
        bench_start(&sj);
        if (loc_write_geojson(ctx, d, a, gj))
            die(ctx, "geojson");
        bench_stop(&sj);
        bench_start(&sjg);
        if (loc_write_geojson_gdal(ctx, d, a, gj))
            die(ctx, "geojson by GDAL");
        bench_stop(&sjg);
        bench_start(&sg);
        if (loc_write_gpkg(ctx, d, a, gp))
            die(ctx, "gpkg");
        bench_stop(&sg);
        bench_start(&sr);
        if (loc_write_report(ctx, d, a, &ro, html))
            die(ctx, "report");
        bench_stop(&sr);
        bench_start(&sa);
        if (loc_write_outputs(ctx, dir, d, a, &ro))
            die(ctx, "outputs");
        bench_stop(&sa);
    }

    GEOSContextHandle_t h = loc_geos(ctx);
    double zone_area = 0, loc_area = 0, worst = 0;
    size_t invalid = 0, holes = 0;
    for (size_t i = 0; i < loc_boundaries_count(b); i++) {
        double ar;
        GEOSArea_r(h, loc_boundaries_geom(b, i), &ar);
        zone_area += ar;
    }
    for (size_t k = 0; k < nloc; k++) {
        const GEOSGeometry *g = loc_dissolved_geom(d, k);
        invalid += GEOSisValid_r(h, g) != 1;
        loc_area += loc_dissolved_area_m2(d, k);
        double za = loc_dissolved_zone_area_m2(d, k);
        worst = fmax(worst, fabs(loc_dissolved_area_m2(d, k) - za) / za);
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            holes += (size_t)GEOSGetNumInteriorRings_r(h, GEOSGetGeometryN_r(h, g, i));
    }
    printf("writers: all of Scotland, %zu zones, %zu localities (intermediate zones), %d runs each\n",
           loc_boundaries_count(b), nloc, reps);
    bench_report(&sd);
    bench_report(&sj);
    bench_report(&sjg);
    bench_report(&sg);
    bench_report(&sr);
    bench_report(&sa);
    printf("dissolve + all three outputs: %.1f ms (medians)\n", 1e3 * (bench_median(&sd) + bench_median(&sa)));
    printf("areas: zones %.3f km2, localities %.3f km2, relative difference %.2e (worst locality %.2e)\n",
           zone_area / 1e6, loc_area / 1e6, (loc_area - zone_area) / zone_area, worst);
    printf("dissolve: %zu traced from segments, %zu invalid, %zu coverage-union fallbacks, %zu sliver holes filled, %zu holes kept, "
           "%zu zones without boundary\n", loc_dissolved_traced(d), invalid, loc_dissolved_fallbacks(d), loc_dissolved_slivers(d), holes,
           loc_dissolved_missing(d));
    printf("files: geojson %.1f MiB, gpkg %.1f MiB, report %.1f MiB; %zu localities flagged in the report\n",
           file_size(gj) / 1048576.0, file_size(gp) / 1048576.0, file_size(html) / 1048576.0, flagged);
    printf("peak resident memory: %.1f MiB\n", bench_peak_rss_mib());
    if (argc <= 1) {
        unlink(gj);
        unlink(gp);
        unlink(html);
        rmdir(dir);
    }
    loc_attrs_destroy(a);
    free(rate);
    free(shown);
    free(diff);
    free(lim);
    free(flag);
    free(denom);
    loc_dissolved_destroy(d);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
    return 0;
}
