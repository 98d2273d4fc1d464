/*
 * Every file of a run written at once (see pipeline.h): each file one
 * job, the jobs shared by a few threads, each writing with a loc_ctx of
 * its own (its own GEOS and PROJ contexts and GDAL datasets) and reading
 * the run's results only.  The files are independent once the localities
 * are dissolved; the longest start first.  Staging the set and moving it
 * into place is the caller's.
 */
#include "localities/pipeline.h"
#include "localities/feasibility.h"
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static loc_status out_zones(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_partition_write_zones_csv(ctx, s->partition, path);
}

static loc_status out_localities(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_assess_write_localities(ctx, s->assess, path);
}

static loc_status out_indicators(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_assess_write_indicators(ctx, s->assess, path);
}

static loc_status out_dispersion(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_assess_write_dispersion(ctx, s->assess, path);
}

static loc_status out_graph_csv(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_graph_write_csv(ctx, s->problem->graph, s->problem->codes, path);
}

static loc_status out_graph_gal(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_graph_write_gal(ctx, s->problem->graph, s->problem->codes, path, loc_boundaries_layer(s->in->boundaries),
                               loc_boundaries_zone_field(s->in->boundaries));
}

static loc_status out_graph_gwt(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_graph_write_gwt(ctx, s->problem->graph, s->problem->codes, path, loc_boundaries_layer(s->in->boundaries),
                               loc_boundaries_zone_field(s->in->boundaries));
}

static loc_status out_geojson(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_write_geojson(ctx, s->dissolved, s->attrs, path);
}

static loc_status out_gpkg(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_write_gpkg(ctx, s->dissolved, s->attrs, path);
}

static loc_status out_report(loc_ctx *ctx, const loc_run *s, const char *path)
{
    return loc_run_write_report(ctx, s, path);
}

/* feasibility.csv, when the build made one (assess has none). */
static loc_status out_feasibility(loc_ctx *ctx, const loc_run *s, const char *path)
{
    const loc_problem *b = s->problem;
    if (!b->feasibility)
        return LOC_OK; /* nothing written: the commit skips it */
    return loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts, s->in->zones, path);
}

/* Every file of a run, in the order run.json and the summary list them. */
typedef struct out_job {
    const char *name;
    loc_status (*write)(loc_ctx *ctx, const loc_run *s, const char *path);
} out_job;

static const out_job OUT_JOBS[] = {
    {"zones.csv", out_zones},           {"localities.csv", out_localities}, {"indicators.csv", out_indicators},
    {"overdispersion.csv", out_dispersion}, {"graph.csv", out_graph_csv},   {"graph.gal", out_graph_gal},
    {"graph.gwt", out_graph_gwt},       {"localities.geojson", out_geojson}, {"localities.gpkg", out_gpkg},
    {"report.html", out_report},        {"feasibility.csv", out_feasibility},
};
enum { NOUT = sizeof OUT_JOBS / sizeof *OUT_JOBS };

/* The order the jobs start in: the longest first, so that the short ones
 * fill in beside them (all of Scotland, bench_run, each writer's own
 * time: GeoJSON 152 ms, GeoPackage 134, report 118, indicators.csv 47,
 * the rest 7 or less; on two threads the GeoJSON and the GeoPackage start
 * together and the report follows the GeoPackage). */
static const size_t START_ORDER[NOUT] = {7, 8, 9, 2, 6, 4, 0, 1, 5, 3, 10};

/* Writers at once by default: the machine's processors, at most 4 (two
 * already halve the writing; the GeoJSON alone bounds it). */
#define MAX_WRITERS 4

/* The jobs shared by the writer threads.  Each thread takes the next job
 * under the lock and writes it with its own loc_ctx (its own GEOS and
 * PROJ contexts, its own GDAL datasets); everything in run is only read. */
typedef struct out_pool {
    const loc_run *run;
    const char *const *paths;     /* per job, its file (NULL: not written) */
    loc_report_fn report;         /* the caller's report function and its data */
    void *report_ud;
    pthread_mutex_t lock;
    size_t next;                  /* next index into START_ORDER */
    size_t failed;                /* the first failed job in file order (NOUT: none): jobs after it in file
                                   * order are not started, those before it still are, so that the error
                                   * left is the same whatever the timing */
    loc_status st[NOUT];          /* per job: its status (LOC_OK when not run) */
    char err[NOUT][LOC_ERRMSG_MAX]; /* per job: its error message */
    double s[NOUT];               /* per job: seconds writing */
} out_pool;

/* The next job to write, or -1 when there are none left worth starting. */
static long take_job(out_pool *pl)
{
    long k = -1;
    pthread_mutex_lock(&pl->lock);
    while (k < 0 && pl->next < NOUT) {
        size_t j = START_ORDER[pl->next++];
        if (j < pl->failed)
            k = (long)j;
    }
    pthread_mutex_unlock(&pl->lock);
    return k;
}

/* Monotonic seconds. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Job k with its own context, reporting as the caller's does; its error
 * kept for the caller. */
static void run_job(out_pool *pl, size_t k)
{
    if (!pl->paths[k])
        return;
    loc_ctx *ctx = loc_ctx_create(NULL);
    double t0 = now_s();
    loc_status st = LOC_ENOMEM;
    if (ctx) {
        loc_ctx_set_report(ctx, pl->report, pl->report_ud);
        st = OUT_JOBS[k].write(ctx, pl->run, pl->paths[k]);
    }
    pl->s[k] = now_s() - t0;
    pl->st[k] = st;
    if (st)
        snprintf(pl->err[k], sizeof pl->err[k], "%s", ctx ? loc_errmsg(ctx) : "out of memory");
    loc_ctx_destroy(ctx);
    if (st) {
        pthread_mutex_lock(&pl->lock);
        if (k < pl->failed)
            pl->failed = k;
        pthread_mutex_unlock(&pl->lock);
    }
}

static void *writer_main(void *arg)
{
    out_pool *pl = arg;
    long k;
    while ((k = take_job(pl)) >= 0)
        run_job(pl, (size_t)k);
    return NULL;
}

const char *loc_run_file(size_t k) { return k < NOUT ? OUT_JOBS[k].name : NULL; }

loc_status loc_run_write(loc_ctx *ctx, const loc_run *r, const char *const *paths, int threads, double *seconds)
{
    out_pool *pl = loc_calloc(ctx, 1, sizeof *pl);
    if (!pl)
        return LOC_ENOMEM;
    loc_clear_error(ctx);
    pl->run = r;
    pl->failed = NOUT;
    pl->paths = paths;
    pl->report = ctx->report;
    pl->report_ud = ctx->report_ud;
    if (pthread_mutex_init(&pl->lock, NULL) != 0) {
        loc_free(ctx, pl);
        return loc_error(ctx, LOC_ENOMEM, "cannot start the writers: out of resources");
    }
    long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = n < 1 ? 1 : n > MAX_WRITERS ? MAX_WRITERS : (size_t)n, started = 0;
    pthread_t tid[MAX_WRITERS];
    /* this thread writes too; a thread that cannot start leaves its share
     * to the others */
    while (started + 1 < nthreads && pthread_create(&tid[started], NULL, writer_main, pl) == 0)
        started++;
    writer_main(pl);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&pl->lock);
    loc_status rc = LOC_OK;
    for (size_t k = 0; k < NOUT && !rc; k++)
        if (pl->st[k])
            rc = loc_error(ctx, pl->st[k], "%s", pl->err[k]);
    for (size_t k = 0; seconds && k < NOUT; k++)
        seconds[k] = pl->s[k];
    loc_free(ctx, pl);
    return rc;
}
