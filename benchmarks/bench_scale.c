/*
 * Scale benchmark: the whole `run` pipeline (load, graph and build,
 * assess, dissolve, every file, commit) on a synthetic geography of
 * 200,000 zones, about the 189,000 output areas of England and Wales,
 * printing the time and the peak resident memory of each stage.
 *
 * The zones are a jittered lattice: a grid of 250 m cells whose corners
 * are each moved by up to a fifth of a cell, the same way for every cell
 * that shares the corner, so that the zones form a clean coverage of
 * irregular quadrilaterals (rook neighbours along edges, four zones at
 * each corner) the way published boundaries do.  Councils are blocks of
 * 100 x 50 cells, intermediate zones blocks of 4 x 4; every zone has a
 * population of 400 to 1,200 and values for all 28 indicators of the
 * SIMD 2020v2 spec, drawn from a fixed generator with a smooth spatial
 * trend, so that the localities and the flags have something to find.
 *
 * The graph is also timed alone, on the inputs loaded again after the
 * run, to split the build step (which builds it inside) in two.
 *
 * Peak memory per stage is the high-water mark of the process's resident
 * set during that stage (Linux: /proc/self/status VmHWM, reset through
 * /proc/self/clear_refs as each stage ends); it includes everything still
 * alive from earlier stages.
 *
 * Usage: bench_scale [ZONES [OUT_DIR]]  (default 200000; the synthetic
 * inputs and outputs go to a temporary folder, removed unless OUT_DIR).
 */
#include "harness.h"
#include "cli.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CELL_M 250.0        /* lattice spacing */
#define COUNCIL_COLS 100    /* council blocks, in cells */
#define COUNCIL_ROWS 50
#define IZ_CELLS 4          /* intermediate zone blocks, in cells */

/* The steps cli_run_pipeline reports, in order. */
static const char *const STEP_NAMES[] = {"load", "graph + build", "assess", "dissolve + attributes",
                                         "write (all files)", "commit"};
enum { NSTEPS = sizeof STEP_NAMES / sizeof *STEP_NAMES };

/* A reproducible number in [0, 1) from two integers and a stream. */
static double noise(uint64_t a, uint64_t b, uint64_t stream)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL ^ stream << 40;
    x ^= x >> 31;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 29;
    return (double)(x >> 11) / 9007199254740992.0;
}

/* Corner (i, j) of the lattice, moved the same way for every cell. */
static void corner(long i, long j, double *x, double *y)
{
    *x = 200000.0 + (double)i * CELL_M + (noise((uint64_t)i, (uint64_t)j, 1) - 0.5) * 0.4 * CELL_M;
    *y = 600000.0 + (double)j * CELL_M + (noise((uint64_t)i, (uint64_t)j, 2) - 0.5) * 0.4 * CELL_M;
}

/* The zones as a GeoPackage in British National Grid. */
static int write_zones(const char *path, long cols, long rows)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (!ds)
        return 1;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "zones", srs, wkbPolygon, NULL);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("DataZone", OFTString);
    int rc = !l || OGR_L_CreateField(l, fd, 1) != OGRERR_NONE;
    OGR_Fld_Destroy(fd);
    GDALDatasetStartTransaction(ds, 0);
    for (long j = 0; j < rows && !rc; j++)
        for (long i = 0; i < cols && !rc; i++) {
            char code[32];
            snprintf(code, sizeof code, "Z%07ld", j * cols + i);
            OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing), poly = OGR_G_CreateGeometry(wkbPolygon);
            static const int di[] = {0, 1, 1, 0, 0}, dj[] = {0, 0, 1, 1, 0};
            for (int k = 0; k < 5; k++) {
                double x, y;
                corner(i + di[k], j + dj[k], &x, &y);
                OGR_G_AddPoint_2D(ring, x, y);
            }
            OGR_G_AddGeometryDirectly(poly, ring);
            OGR_F_SetFieldString(f, 0, code);
            OGR_F_SetGeometryDirectly(f, poly);
            rc = OGR_L_CreateFeature(l, f) != OGRERR_NONE;
            OGR_F_Destroy(f);
        }
    GDALDatasetCommitTransaction(ds);
    GDALClose(ds);
    return rc;
}

/* Council and intermediate zone of cell (i, j). */
static long council_of(long i, long j, long cols)
{
    return (j / COUNCIL_ROWS) * ((cols + COUNCIL_COLS - 1) / COUNCIL_COLS) + i / COUNCIL_COLS;
}

static long iz_of(long i, long j, long cols)
{
    return (j / IZ_CELLS) * ((cols + IZ_CELLS - 1) / IZ_CELLS) + i / IZ_CELLS;
}

/* The zone -> intermediate zone -> council lookup. */
static int write_lookup(const char *path, long cols, long rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fputs("dz11_code,iz11_code,iz11_name,ltla20_code,ltla20_name\n", f);
    for (long j = 0; j < rows; j++)
        for (long i = 0; i < cols; i++) {
            long c = council_of(i, j, cols), z = iz_of(i, j, cols);
            fprintf(f, "Z%07ld,I%06ld,Area %ld,C%03ld,Council %ld\n", j * cols + i, z, z, c, c);
        }
    return fclose(f) != 0;
}

/* The indicator columns the SIMD 2020v2 spec reads besides the counts. */
static const char *const VALUES[] = {"CIF",         "ALCOHOL",      "DRUG",          "SMR",           "EMERG",
                                     "DEPRESS",     "LBWT",         "Attendance",    "Attainment",    "no_qualifications",
                                     "not_participating", "University", "drive_petrol", "drive_GP",   "drive_post",
                                     "drive_primary", "drive_retail", "drive_secondary", "PT_GP",       "PT_post",
                                     "PT_retail",   "broadband"};
enum { NVALUES = sizeof VALUES / sizeof *VALUES };

/* One zone's indicator row: deprivation follows a smooth trend across
 * the map plus noise, and the counts follow it. */
static void indicator_row(FILE *f, long i, long j, long cols)
{
    uint64_t id = (uint64_t)(j * cols + i);
    double trend = 0.5 + 0.35 * sin((double)i / 37.0) * cos((double)j / 23.0);
    double dep = fmin(0.95, fmax(0.01, trend * (0.6 + 0.8 * noise(id, 0, 3))));
    long pop = 400 + (long)(800 * noise(id, 0, 4)), work = pop * 6 / 10;
    int quintile = 1 + (int)((1 - dep) * 5 > 4.999 ? 4 : (1 - dep) * 5);
    fprintf(f, "Z%07ld,C%03ld,%ld,%ld,%d", (long)id, council_of(i, j, cols), pop, work, quintile);
    fprintf(f, ",%ld,%ld,%ld,%ld,%ld", (long)(pop * dep * 0.3), (long)(work * dep * 0.25),
            (long)(pop * dep * 0.05 * noise(id, 0, 5)), (long)(pop * dep * 0.2), (long)(pop * 0.02 * noise(id, 0, 6)));
    for (int k = 0; k < NVALUES; k++) {
        double v = 100 * (0.5 + dep) * (0.8 + 0.4 * noise(id, (uint64_t)k, 7));
        /* the spec bounds percentages to 0..100 */
        fprintf(f, ",%.3f", fmin(v, 99.0));
    }
    fputc('\n', f);
}

static int write_indicators(const char *path, long cols, long rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fputs("Data_Zone,Council_area,Total_population,Working_Age_population,SIMD2020v2_Quintile,"
          "income_count,employment_count,crime_count,overcrowded_count,nocentralheating_count", f);
    for (int k = 0; k < NVALUES; k++)
        fprintf(f, ",%s", VALUES[k]);
    fputc('\n', f);
    for (long j = 0; j < rows; j++)
        for (long i = 0; i < cols; i++)
            indicator_row(f, i, j, cols);
    return fclose(f) != 0;
}

/* Peak resident memory since the last reset, in MiB (0 when unknown). */
static double hwm_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib / 1024;
}

/* Start a new high-water mark (Linux 4.0 and later). */
static void hwm_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

typedef struct step_mem {
    double peak_mib[CLI_MAX_TIMES];
} step_mem;

static void on_step(void *ud, size_t step)
{
    step_mem *m = ud;
    if (step < CLI_MAX_TIMES)
        m->peak_mib[step] = hwm_mib();
    hwm_reset();
}

/* The graph alone on the same inputs, loaded again (the build step
 * builds it inside): its seconds. */
static double graph_seconds(loc_ctx *ctx, cli_args *a)
{
    loc_inputs in;
    loc_problem b;
    double t = 0;
    if (cli_load(ctx, a, &in) == 0) {
        double t0 = bench_now();
        if (cli_graph_only(ctx, a, &in, &b) == 0)
            t = bench_now() - t0;
        loc_problem_free(&b);
    }
    loc_inputs_free(&in);
    return t;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[8192];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                if (unlink(p) != 0)
                    remove_dir(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    long zones = argc > 1 ? atol(argv[1]) : 200000;
    if (zones < 100) {
        fprintf(stderr, "bench_scale: at least 100 zones\n");
        return 2;
    }
    /* a lattice about twice as wide as high */
    long rows = (long)floor(sqrt((double)zones / 2)), cols = (zones + rows - 1) / rows;
    GDALAllRegister();
    char tmpl[] = "/tmp/bench-scale-XXXXXX";
    const char *dir = argc > 2 ? argv[2] : mkdtemp(tmpl);
    if (!dir) {
        perror("bench_scale: mkdtemp");
        return 1;
    }
    char zp[4200], ip[4200], lp[4200], out[4200];
    snprintf(zp, sizeof zp, "%s/zones.gpkg", dir);
    snprintf(ip, sizeof ip, "%s/indicators.csv", dir);
    snprintf(lp, sizeof lp, "%s/lookup.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    double t0 = bench_now();
    unlink(zp);
    if (write_zones(zp, cols, rows) || write_lookup(lp, cols, rows) || write_indicators(ip, cols, rows)) {
        fprintf(stderr, "bench_scale: cannot write the synthetic inputs in '%s'\n", dir);
        return 1;
    }
    printf("scale: %ld zones (%ld x %ld jittered lattice, %ld councils), inputs made in %.1f s\n", rows * cols, cols,
           rows, council_of(cols - 1, rows - 1, cols) + 1, bench_now() - t0);

    loc_ctx *ctx = loc_ctx_create(NULL);
    FILE *devnull = fopen("/dev/null", "w");
    if (!ctx || !devnull)
        return 1;
    cli_args a;
    memset(&a, 0, sizeof a);
    a.boundaries = zp;
    a.indicators = ip;
    a.spec = LOC_DATA_DIR "/specs/simd2020v2.csv";
    a.lookups[a.nlookups++] = lp;
    a.command = "run";
    a.quiet = 1;
    cli_times times;
    step_mem mem;
    memset(&times, 0, sizeof times);
    memset(&mem, 0, sizeof mem);
    times.on_step = on_step;
    times.ud = &mem;
    a.times = &times;
    hwm_reset();
    double start_mib = hwm_mib(), t1 = bench_now();
    int rc = cli_run_pipeline(ctx, &a, out, devnull);
    double total = bench_now() - t1;
    if (rc) {
        fprintf(stderr, "bench_scale: the run failed (exit %d)\n", rc);
        return 1;
    }
    double peak = start_mib;
    for (size_t k = 0; k < times.nsteps && k < CLI_MAX_TIMES; k++)
        peak = fmax(peak, mem.peak_mib[k]);
    printf("whole run: %.1f s, %.1f us per zone; peak resident memory %.0f MiB (%.0f MiB before it began: "
           "%.1f KiB per zone)\n", total, 1e6 * total / (double)(rows * cols), peak, start_mib,
           1024 * (peak - start_mib) / (double)(rows * cols));
    double g = graph_seconds(ctx, &a);
    printf("  %-26s %10s %12s\n", "stage", "seconds", "peak MiB");
    for (size_t k = 0; k < NSTEPS && k < times.nsteps; k++) {
        printf("  %-26s %10.2f %12.0f\n", STEP_NAMES[k], times.step[k], mem.peak_mib[k]);
        if (k == 1)
            printf("    %-24s %10.2f\n    %-24s %10.2f\n", "of which the graph", g, "the build", times.step[k] - g);
    }
    printf("files (each writer's own time, written concurrently):\n");
    for (size_t k = 0; k < times.nfiles; k++)
        printf("  %-26s %10.2f\n", times.file[k], times.file_s[k]);
    fclose(devnull);
    loc_ctx_destroy(ctx);
    if (argc <= 2)
        remove_dir(dir);
    return 0;
}
