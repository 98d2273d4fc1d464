/*
 * Locality builder benchmark: all 6,976 Scottish 2011 data zones (SIMD
 * 2020v2 populations, income and employment rates as features,
 * intermediate zones soft, default options), and synthetic lattices of
 * about 7,000, 30,000 and 200,000 cells (about 780 residents a cell, a
 * smooth deprivation-like field plus noise, councils of 50 x 50 cells,
 * soft groups of 2 x 3 cells, as intermediate zones are about six data
 * zones).  Prints the median of the whole build and of each stage, the
 * moves costed per second, the result's quality and the peak resident
 * memory.  The graph is built once, outside the timing (bench_graph times
 * it).  For all of Scotland it also times the build of an ensemble
 * plan (run --ensemble: its own seed and soft weight).
 *
 * With BENCH_SEEDS=N it builds all of Scotland instead at seeds 1..N, for
 * the default soft weight (0.4) and two lighter ones (0.2, 0.1), and
 * prints every build's objective and time, then their mean, spread and
 * median: two builders' lines compared seed by seed measure what a change
 * to the search costs or gains in the objective, against the spread
 * between seeds.
 *
 * Usage: bench_build   (BENCH_REPS sets the repetitions; BENCH_THREADS the
 * threads, default 2; BENCH_LATTICES=0 times all of Scotland only;
 * BENCH_SEEDS=N the objective over N seeds)
 */
#include "harness.h"
#include "internal.h"
#include "localities/boundary.h"
#include "localities/builder.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"

#include <gdal.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct problem_data {
    size_t n;
    GEOSGeometry **owned; /* lattice geometries */
    const GEOSGeometry **geoms;
    loc_graph *graph;
    double *pop, *x;
    int32_t *council, *soft;
    size_t nsoft;
} problem_data;

/* The default options, with BENCH_THREADS's threads. */
static loc_build_opts bench_opts(void)
{
    loc_build_opts o;
    loc_build_opts_init(&o);
    const char *t = getenv("BENCH_THREADS");
    if (t)
        o.threads = atoi(t) > 0 ? atoi(t) : 1;
    return o;
}

/* One build timed in st; exits on failure. */
static loc_build_result *timed_build(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
                                     bench_stage *st)
{
    bench_start(st);
    loc_build_result *res = loc_build(ctx, in, o);
    bench_stop(st);
    if (!res) {
        fprintf(stderr, "bench_build: %s\n", loc_errmsg(ctx));
        exit(1);
    }
    return res;
}

static void run(loc_ctx *ctx, const problem_data *d, const char *label, int reps)
{
    loc_build_grouping gr = {d->soft, d->nsoft, 0, "soft"};
    loc_build_input in = {d->n, d->graph, d->pop, d->council, d->x, 2, &gr, 1, NULL, NULL};
    loc_build_opts o = bench_opts();
    bench_stage all, c, g, a;
    char l1[96], l2[96], l3[96];
    bench_stage_init(&all, label);
    snprintf(l1, sizeof l1, "  construction");
    snprintf(l2, sizeof l2, "  greedy descent");
    snprintf(l3, sizeof l3, "  annealing starts (%d, %d threads)", o.starts, o.threads);
    bench_stage_init(&c, l1);
    bench_stage_init(&g, l2);
    bench_stage_init(&a, l3);
    bench_set_items(&all, (double)d->n, "zones");
    loc_build_stats last = {0};
    for (int r = 0; r < reps; r++) {
        loc_build_result *res = timed_build(ctx, &in, &o, &all);
        last = *loc_build_stats_get(res);
        c.runs[c.n++] = last.t_construct_s;
        g.runs[g.n++] = last.t_greedy_s;
        a.runs[a.n++] = last.t_anneal_s;
        loc_build_result_destroy(res);
    }
    bench_report(&all);
    bench_report(&c);
    bench_report(&g);
    bench_report(&a);
    double secs = bench_median(&all);
    printf("  %zu localities, %zu units; R^2 %.3f, boundary cut %.3f, soft split %.3f; objective %.4f -> %.4f -> %.4f\n",
           last.localities, last.units, last.r2, last.compact_cut, last.soft_split, last.objective_construct,
           last.objective_greedy, last.objective);
    printf("  %llu moves costed (%.1f million a second of the whole build; %llu remembered), %llu made, "
           "%llu contiguity searches\n",
           (unsigned long long)last.moves_evaluated, secs > 0 ? (double)last.moves_evaluated / secs / 1e6 : 0,
           (unsigned long long)last.moves_remembered, (unsigned long long)last.moves_made,
           (unsigned long long)last.contiguity_searches);
    printf("  annealing: %llu starts ran %llu temperature steps (%.1f a start of at most 50; a start stops after a "
           "step with no move)\n",
           (unsigned long long)last.anneal_starts, (unsigned long long)last.anneal_steps,
           last.anneal_starts ? (double)last.anneal_steps / (double)last.anneal_starts : 0);
    printf("  peak resident memory so far %.1f MiB\n", bench_peak_rss_mib());
}

/* The build part of one ensemble plan (run --ensemble): the plan's own
 * seed and soft weight, spread from 0.2 to 0.6 as loc_ensemble_run does;
 * the plan's assessment is bench_assess's. */
static void run_plans(loc_ctx *ctx, const problem_data *d, int plans)
{
    loc_build_grouping gr = {d->soft, d->nsoft, 0, "soft"};
    loc_build_input in = {d->n, d->graph, d->pop, d->council, d->x, 2, &gr, 1, NULL, NULL};
    bench_stage st;
    bench_stage_init(&st, "  ensemble plan, build (time per plan)");
    for (int k = 0; k < plans; k++) {
        loc_build_opts o = bench_opts();
        o.seed += (uint64_t)k + 1;
        o.w_soft = 0.2 + 0.4 * (plans > 1 ? (double)k / (plans - 1) : 0.5);
        loc_build_result_destroy(timed_build(ctx, &in, &o, &st));
    }
    bench_report(&st);
}

/* All of Scotland at seeds 1..n for each of three soft weights: each
 * build's objective and time, then the mean and standard deviation of the
 * objective and the median time. */
static void seed_sweep(loc_ctx *ctx, const problem_data *d, int n)
{
    loc_build_grouping gr = {d->soft, d->nsoft, 0, "soft"};
    loc_build_input in = {d->n, d->graph, d->pop, d->council, d->x, 2, &gr, 1, NULL, NULL};
    static const double weights[] = {0.4, 0.2, 0.1};
    for (size_t w = 0; w < sizeof weights / sizeof *weights; w++) {
        bench_stage st;
        char label[64];
        snprintf(label, sizeof label, "  w_soft %.1f, build time", weights[w]);
        bench_stage_init(&st, label);
        double sum = 0, sum2 = 0;
        for (int seed = 1; seed <= n; seed++) {
            loc_build_opts o = bench_opts();
            o.seed = (uint64_t)seed;
            o.w_soft = weights[w];
            loc_build_result *res = timed_build(ctx, &in, &o, &st);
            double obj = loc_build_stats_get(res)->objective;
            printf("seed w_soft %.1f seed %d objective %.6f time %.1f ms\n", weights[w], seed, obj,
                   1e3 * st.runs[st.n - 1]);
            sum += obj;
            sum2 += obj * obj;
            loc_build_result_destroy(res);
        }
        double mean = sum / n, sd = n > 1 ? sqrt(fmax(0, (sum2 - n * mean * mean) / (n - 1))) : 0;
        printf("w_soft %.1f: objective mean %.6f, standard deviation %.6f over %d seeds\n", weights[w], mean, sd, n);
        bench_report(&st);
    }
}

static int scotland(loc_ctx *ctx, problem_data *d)
{
    const char *b = LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg";
    const char *ind = LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv";
    const char *lk = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    if (access(b, R_OK) || access(ind, R_OK) || access(lk, R_OK))
        return 0;
    GDALAllRegister();
    loc_boundaries *bd = loc_boundaries_read(ctx, b, NULL);
    loc_csv *csv = loc_csv_read(ctx, ind);
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    loc_lookup *l = loc_lookup_read(ctx, lk, NULL);
    if (!bd || !csv || !spec || !l) {
        fprintf(stderr, "bench_build: %s\n", loc_errmsg(ctx));
        exit(1);
    }
    const loc_lookup *ls[] = {l};
    loc_zones *z = loc_zones_join(ctx, bd, csv, spec, ls, 1, NULL, NULL);
    loc_grouping *iz = z ? loc_zones_grouping(ctx, z, l, "iz11_code") : NULL;
    if (!iz) {
        fprintf(stderr, "bench_build: %s\n", loc_errmsg(ctx));
        exit(1);
    }
    size_t nz = loc_zones_count(z);
    memset(d, 0, sizeof *d);
    d->geoms = malloc(nz * sizeof *d->geoms);
    d->pop = malloc(nz * sizeof *d->pop);
    d->x = malloc(2 * nz * sizeof *d->x);
    d->council = malloc(nz * sizeof *d->council);
    d->soft = malloc(nz * sizeof *d->soft);
    d->nsoft = iz->ngroups;
    size_t inc = 0, emp = 0;
    for (size_t k = 0; k < loc_zones_nindicators(z); k++) {
        if (!strcmp(loc_zones_indicator(z, k)->name, "income"))
            inc = k;
        if (!strcmp(loc_zones_indicator(z, k)->name, "employment"))
            emp = k;
    }
    for (size_t i = 0; i < nz; i++) {
        long bi = loc_zones_boundary(z, i);
        if (bi < 0 || !loc_zones_in_study(z, i))
            continue;
        size_t k = d->n++;
        d->geoms[k] = loc_boundaries_geom(bd, (size_t)bi);
        d->pop[k] = loc_zones_population(z)[i];
        d->council[k] = loc_zones_councils(z)[i];
        d->soft[k] = iz->member[i];
        const double *a0 = loc_zones_column(z, inc, 0), *a1 = loc_zones_column(z, inc, 1);
        const double *b0 = loc_zones_column(z, emp, 0), *b1 = loc_zones_column(z, emp, 1);
        d->x[2 * k] = a1[i] > 0 ? a0[i] / a1[i] : NAN;
        d->x[2 * k + 1] = b1[i] > 0 ? b0[i] / b1[i] : NAN;
    }
    d->graph = loc_graph_build(ctx, d->n, d->geoms, d->council, NULL);
    if (!d->graph) {
        fprintf(stderr, "bench_build: %s\n", loc_errmsg(ctx));
        exit(1);
    }
    loc_grouping_destroy(iz);
    loc_zones_destroy(z);
    loc_lookup_destroy(l);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    /* the geometries stay with bd, which the graph no longer needs */
    loc_boundaries_destroy(bd);
    free(d->geoms);
    d->geoms = NULL;
    return 1;
}

static void lattice(loc_ctx *ctx, problem_data *d, int rows, int cols)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    memset(d, 0, sizeof *d);
    d->n = (size_t)rows * (size_t)cols;
    d->owned = malloc(d->n * sizeof *d->owned);
    d->pop = malloc(d->n * sizeof *d->pop);
    d->x = malloc(2 * d->n * sizeof *d->x);
    d->council = malloc(d->n * sizeof *d->council);
    d->soft = malloc(d->n * sizeof *d->soft);
    uint64_t s = 42;
    int ccols = (cols + 49) / 50, scols = (cols + 2) / 3;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t i = (size_t)r * (size_t)cols + (size_t)c;
            GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
            double xs[5] = {c, c + 1, c + 1, c, c}, ys[5] = {r, r, r + 1, r + 1, r};
            for (int k = 0; k < 5; k++)
                GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, 100 * xs[k], 100 * ys[k]);
            d->owned[i] = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0;
            d->pop[i] = 500 + 560 * u;
            double field = 0.12 + 0.08 * sin(r * 0.11) * cos(c * 0.07) + 0.05 * sin((r + c) * 0.31);
            d->x[2 * i] = field + 0.03 * (u - 0.5);
            d->x[2 * i + 1] = 0.8 * field + 0.02 * (0.5 - u);
            d->council[i] = (r / 50) * ccols + c / 50;
            d->soft[i] = (int32_t)((r / 2) * scols + c / 3);
        }
    d->nsoft = (size_t)((rows + 1) / 2) * (size_t)scols;
    d->graph = loc_graph_build(ctx, d->n, (const GEOSGeometry *const *)d->owned, d->council, NULL);
    if (!d->graph) {
        fprintf(stderr, "bench_build: %s\n", loc_errmsg(ctx));
        exit(1);
    }
}

static void data_free(loc_ctx *ctx, problem_data *d)
{
    if (d->owned)
        for (size_t i = 0; i < d->n; i++)
            GEOSGeom_destroy_r(loc_geos(ctx), d->owned[i]);
    free(d->owned);
    loc_graph_destroy(d->graph);
    free(d->pop);
    free(d->x);
    free(d->council);
    free(d->soft);
}

int main(void)
{
    int reps = bench_reps(7);
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 1;
    problem_data d;
    const char *seeds = getenv("BENCH_SEEDS");
    if (seeds && atoi(seeds) > 0) {
        int n = atoi(seeds) < BENCH_MAX_RUNS ? atoi(seeds) : BENCH_MAX_RUNS;
        printf("locality builder, all of Scotland at seeds 1 to %d\n", n);
        if (scotland(ctx, &d)) {
            seed_sweep(ctx, &d, n);
            data_free(ctx, &d);
        }
        loc_ctx_destroy(ctx);
        return 0;
    }
    printf("locality builder, default options (ceiling 10,000, floor 2,500, soft groups), %d runs each\n", reps);
    if (scotland(ctx, &d)) {
        run(ctx, &d, "build: Scotland 2011 zones", reps);
        run_plans(ctx, &d, reps);
        data_free(ctx, &d);
    }
    static const struct {
        int rows, cols;
        const char *label;
        int reps;
    } lat[] = {{70, 100, "build: lattice 7,000", 0}, {150, 200, "build: lattice 30,000", 0},
               {400, 500, "build: lattice 200,000", 3}};
    const char *want_lattices = getenv("BENCH_LATTICES");
    for (size_t k = 0; k < sizeof lat / sizeof *lat && !(want_lattices && strcmp(want_lattices, "0") == 0); k++) {
        lattice(ctx, &d, lat[k].rows, lat[k].cols);
        run(ctx, &d, lat[k].label, lat[k].reps && lat[k].reps < reps ? lat[k].reps : reps);
        data_free(ctx, &d);
    }
    loc_ctx_destroy(ctx);
    return 0;
}
