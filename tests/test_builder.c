/*
 * Tests for the locality builder: lattices with a known optimal partition,
 * every rule checked independently of the builder's own bookkeeping
 * (council, contiguity by search of the graph, ceiling and floor, hard
 * groups whole), the incremental objective against a full recomputation
 * after many random moves, results identical whatever the thread count,
 * the local search improving on the construction, refusals, R^2 and the
 * naming of localities, and the real data: Stirling, and all of Scotland
 * with intermediate zones soft and hard.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "localities/builder.h"
#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"
#include "internal.h"
#include "build_internal.h"

#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * A lattice problem: rows x cols unit squares, one council
 * --------------------------------------------------------------------- */

typedef struct lat {
    loc_ctx *ctx;
    size_t n;
    GEOSGeometry **g;
    loc_graph *graph;
    double *pop, *x;
    int32_t *council;
    int nwarn;
    char msgs[4096];
} lat;

static void collect(void *ud, loc_level level, const char *msg)
{
    lat *l = ud;
    if (level == LOC_WARN)
        l->nwarn++;
    size_t len = strlen(l->msgs);
    snprintf(l->msgs + len, sizeof l->msgs - len, "%s\n", msg);
}

/* Columns col0..col0+cols-1 of a lattice of unit squares (1 km), in
 * row-major order. */
static void lat_make_part(lat *l, int rows, int cols, int col0)
{
    memset(l, 0, sizeof *l);
    l->ctx = loc_ctx_create(NULL);
    loc_ctx_set_report(l->ctx, collect, l);
    GEOSContextHandle_t h = loc_geos(l->ctx);
    l->n = (size_t)rows * (size_t)cols;
    l->g = calloc(l->n, sizeof *l->g);
    l->pop = calloc(l->n, sizeof *l->pop);
    l->x = calloc(l->n, sizeof *l->x);
    l->council = calloc(l->n, sizeof *l->council);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
            double xs[5] = {col0 + c, col0 + c + 1, col0 + c + 1, col0 + c, col0 + c}, ys[5] = {r, r, r + 1, r + 1, r};
            for (int k = 0; k < 5; k++)
                GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, 1000 * xs[k], 1000 * ys[k]);
            GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
            l->g[(size_t)r * (size_t)cols + (size_t)c] = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
        }
}

static void lat_make(lat *l, int rows, int cols)
{
    lat_make_part(l, rows, cols, 0);
    l->graph = loc_graph_build(l->ctx, l->n, (const GEOSGeometry *const *)l->g, l->council, NULL);
    assert_non_null(l->graph);
}

static void lat_free(lat *l)
{
    for (size_t i = 0; i < l->n; i++)
        GEOSGeom_destroy_r(loc_geos(l->ctx), l->g[i]);
    loc_graph_destroy(l->graph);
    free(l->g);
    free(l->pop);
    free(l->x);
    free(l->council);
    loc_ctx_destroy(l->ctx);
}

static loc_build_input lat_input(lat *l, const loc_build_grouping *gr, size_t ngr)
{
    return (loc_build_input){l->n, l->graph, l->pop, l->council, l->x, 1, gr, ngr, NULL, NULL};
}

/* ---------------------------------------------------------------------
 * The rules, checked from the labels and the graph alone
 * --------------------------------------------------------------------- */

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static void join(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    if (a != b)
        parent[a] = b;
}

static void check_rules(const loc_build_input *in, const loc_build_opts *o, const int32_t *lab, size_t nloc,
                        int expect_floor)
{
    size_t n = in->n;
    double *pop = calloc(nloc, sizeof *pop);
    size_t *count = calloc(nloc, sizeof *count);
    int32_t *council = malloc(nloc * sizeof *council);
    for (size_t l = 0; l < nloc; l++)
        council[l] = -1;
    for (size_t i = 0; i < n; i++) {
        assert_true(lab[i] >= 0 && (size_t)lab[i] < nloc);
        pop[lab[i]] += isnan(in->pop[i]) ? 0 : in->pop[i];
        count[lab[i]]++;
        if (council[lab[i]] < 0)
            council[lab[i]] = in->council[i];
        if (council[lab[i]] != in->council[i])
            fail_msg("locality %d spans councils %d and %d", lab[i], council[lab[i]], in->council[i]);
    }
    /* contiguity: the graph's edges inside a locality join all of its
     * zones; a hard group kept whole counts as joined (its parts may lie
     * on different islands) */
    uint32_t *parent = malloc(n * sizeof *parent);
    for (size_t i = 0; i < n; i++)
        parent[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < loc_graph_degree(in->graph, i); e++) {
            uint32_t j = loc_graph_neighbours(in->graph, i)[e];
            if (lab[j] == lab[i])
                join(parent, (uint32_t)i, j);
        }
    for (size_t g = 0; g < in->ngroupings; g++) {
        if (!in->groupings[g].hard)
            continue;
        long *first = malloc(in->groupings[g].ngroups * sizeof *first);
        for (size_t k = 0; k < in->groupings[g].ngroups; k++)
            first[k] = -1;
        for (size_t i = 0; i < n; i++) {
            int32_t m = in->groupings[g].member[i];
            if (m < 0)
                continue;
            if (first[m] < 0)
                first[m] = (long)i;
            else if (lab[first[m]] == lab[i])
                join(parent, (uint32_t)first[m], (uint32_t)i);
        }
        free(first);
    }
    long *root = malloc(nloc * sizeof *root);
    for (size_t l = 0; l < nloc; l++)
        root[l] = -1;
    for (size_t i = 0; i < n; i++) {
        long r = (long)find(parent, (uint32_t)i);
        if (root[lab[i]] < 0)
            root[lab[i]] = r;
        else if (root[lab[i]] != r)
            fail_msg("locality %d is not connected (zone %zu)", lab[i], i);
    }
    free(root);
    free(parent);
    /* ceiling: only a single zone (or hard group) above it */
    for (size_t l = 0; l < nloc; l++) {
        assert_true(count[l] > 0);
        if (pop[l] > o->max_pop) {
            /* all its zones share every hard group */
            size_t first = 0;
            while (lab[first] != (int32_t)l)
                first++;
            for (size_t i = first; i < n; i++) {
                if (lab[i] != (int32_t)l)
                    continue;
                int same = i == first;
                for (size_t g = 0; g < in->ngroupings && !same; g++)
                    if (in->groupings[g].hard && in->groupings[g].member[i] >= 0 &&
                        in->groupings[g].member[i] == in->groupings[g].member[first])
                        same = 1;
                if (!same)
                    fail_msg("locality %zu has %.0f residents and more than one unit", l, pop[l]);
            }
        }
        if (expect_floor && pop[l] < o->min_pop)
            fail_msg("locality %zu has %.0f residents, below the floor", l, pop[l]);
    }
    /* hard groups whole */
    for (size_t g = 0; g < in->ngroupings; g++) {
        if (!in->groupings[g].hard)
            continue;
        int32_t *where = malloc(in->groupings[g].ngroups * sizeof *where);
        for (size_t k = 0; k < in->groupings[g].ngroups; k++)
            where[k] = -1;
        for (size_t i = 0; i < n; i++) {
            int32_t m = in->groupings[g].member[i];
            if (m < 0)
                continue;
            if (where[m] < 0)
                where[m] = lab[i];
            else if (where[m] != lab[i])
                fail_msg("hard group %d split", m);
        }
        free(where);
    }
    free(pop);
    free(count);
    free(council);
}

/* ---------------------------------------------------------------------
 * Lattices
 * --------------------------------------------------------------------- */

/* 4 x 4 cells, each 2 x 2 quadrant with its own value, 1,000 residents a
 * cell and localities of exactly 4,000: the quadrants are the only
 * partition with no heterogeneity at all. */
/* Allocation failures: the graph and the build of a 4 x 4 lattice made in
 * a context whose allocator fails after n allocations, n = 0, 1, 2, ...;
 * every failure is a clean LOC_ENOMEM that leaks nothing (one thread: the
 * counting allocator is not thread-safe, and the result does not depend
 * on the threads). */
static void *make_build(loc_ctx *ctx, void *arg)
{
    lat *l = arg;
    /* a stale error from an earlier call: the build must not mistake it
     * for its own, on failure or on success */
    loc_error(ctx, LOC_EDATA, "an earlier call's error");
    loc_graph *g = loc_graph_build(ctx, l->n, (const GEOSGeometry *const *)l->g, l->council, NULL);
    if (!g)
        return NULL;
    loc_build_input in = {l->n, g, l->pop, l->council, l->x, 1, NULL, 0, NULL, NULL};
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = o.min_pop = 4000;
    o.threads = 1;
    loc_build_result *r = loc_build(ctx, &in, &o);
    loc_graph_destroy(g);
    return r;
}

static void free_build(void *r) { loc_build_result_destroy(r); }

static void test_build_alloc_failures(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 4, 4);
    for (size_t i = 0; i < l.n; i++) {
        l.pop[i] = 1000;
        l.x[i] = (double)(i % 4 >= 2) + 2.0 * (double)(i / 4 >= 2);
    }
    long used = test_alloc_failures(make_build, free_build, &l);
    assert_true(used > 10);
    lat_free(&l);
}

static void test_quadrants(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 4, 4);
    for (size_t i = 0; i < l.n; i++) {
        int r = (int)(i / 4), c = (int)(i % 4);
        l.pop[i] = 1000;
        l.x[i] = (r >= 2) * 2 + (c >= 2);
    }
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = o.min_pop = 4000;
    loc_build_input in = lat_input(&l, NULL, 0);
    loc_build_result *r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    assert_int_equal(loc_build_count(r), 4);
    const int32_t *lab = loc_build_labels(r);
    check_rules(&in, &o, lab, 4, 1);
    for (size_t i = 0; i < l.n; i++)
        for (size_t j = 0; j < l.n; j++)
            assert_int_equal(lab[i] == lab[j], l.x[i] == l.x[j]);
    assert_true(fabs(loc_build_stats_get(r)->r2 - 1) < 1e-12);
    /* numbered by smallest zone: the bottom-left quadrant first */
    assert_int_equal(lab[0], 0);
    loc_build_result_destroy(r);
    lat_free(&l);
}

/* 6 x 6 lattice, value rising to the right, a soft grouping of columns
 * pairs: the objective must keep the column pairs (3 localities of 12 cells
 * each, pop 1,200, ceiling 1,200). */
static void test_soft_columns(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 6, 6);
    int32_t *grp = malloc(l.n * sizeof *grp);
    for (size_t i = 0; i < l.n; i++) {
        l.pop[i] = 100;
        l.x[i] = (double)(i % 6) / 2;
        grp[i] = (int32_t)((i % 6) / 2);
    }
    loc_build_grouping gr = {grp, 3, 0, "columns"};
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 1200;
    o.min_pop = 1200;
    loc_build_input in = lat_input(&l, &gr, 1);
    loc_build_result *r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    assert_int_equal(loc_build_count(r), 3);
    check_rules(&in, &o, loc_build_labels(r), 3, 1);
    assert_true(loc_build_stats_get(r)->soft_split == 0);
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(loc_build_labels(r)[i], grp[i]);
    loc_build_result_destroy(r);
    free(grp);
    lat_free(&l);
}

/* A zone above the ceiling is a locality of its own and is reported; a
 * zone with no residents is still assigned. */
static void test_ceiling_and_empty(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 3, 3);
    for (size_t i = 0; i < l.n; i++) {
        l.pop[i] = 1000;
        l.x[i] = (double)i;
    }
    l.pop[4] = 20000; /* the centre */
    l.pop[0] = 0;
    l.pop[8] = NAN;
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 3000;
    o.min_pop = 1000;
    loc_build_input in = lat_input(&l, NULL, 0);
    loc_build_result *r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    check_rules(&in, &o, loc_build_labels(r), loc_build_count(r), 0);
    const int32_t *lab = loc_build_labels(r);
    for (size_t i = 0; i < l.n; i++)
        if (i != 4)
            assert_int_not_equal(lab[i], lab[4]);
    assert_int_equal(loc_build_stats_get(r)->over_ceiling, 1);
    assert_non_null(strstr(l.msgs, "zone '#4' has 20000 residents, above the ceiling of 3000"));
    loc_build_result_destroy(r);
    lat_free(&l);
}

static void test_errors(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 2, 2);
    loc_build_opts o;
    loc_build_opts_init(&o);
    loc_build_input in = lat_input(&l, NULL, 0);
    o.min_pop = 20000;
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: population bounds must satisfy 0 <= min (20000) <= max (10000)");
    loc_build_opts_init(&o);
    o.w_soft = -1;
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: weights must be finite and not negative");
    loc_build_opts_init(&o);
    l.pop[1] = -5;
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: zone '#1' has population -5");
    l.pop[1] = 0;
    l.council[2] = -1;
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: zone '#2' is in no council");
    l.council[2] = 0;
    int32_t grp[4] = {0, 0, 7, 0};
    loc_build_grouping gr = {grp, 2, 1, "g.csv:col"};
    in = lat_input(&l, &gr, 1);
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: zone '#2' has group 7 in 'g.csv:col' (2 groups)");
    in.n = 3;
    assert_null(loc_build(l.ctx, &in, &o));
    assert_string_equal(loc_errmsg(l.ctx), "build: the graph has 4 zones, the input 3");
    lat_free(&l);
}

static void test_r2(void **state)
{
    (void)state;
    /* two localities {1,3} and {10,12}, mean 6.5: total SS 5.5^2 + 3.5^2 +
     * 3.5^2 + 5.5^2 = 85, within 4 * 1^2 = 4, so R^2 = 1 - 4/85; the
     * weightless 99 is left out */
    double x[] = {1, 3, 10, 12, 99}, w[] = {1, 1, 1, 1, 0};
    int32_t lab[] = {0, 0, 1, 1, 1};
    assert_true(fabs(loc_build_r2(5, x, w, lab, 2) - (1 - 4.0 / 85)) < 1e-12);
    double same[] = {2, 2, 2};
    int32_t one[] = {0, 0, 0};
    assert_true(loc_build_r2(3, same, w, one, 1) == 1);
}

/* ---------------------------------------------------------------------
 * Incremental state against full recomputation
 * --------------------------------------------------------------------- */

static void test_incremental(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 12, 12);
    int32_t *grp = malloc(l.n * sizeof *grp), *lab = malloc(l.n * sizeof *lab);
    uint64_t seed = 7;
    for (size_t i = 0; i < l.n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        l.pop[i] = 50 + (double)(seed >> 57);
        l.x[i] = (double)((seed >> 33) % 1000) / 100;
        int r = (int)(i / 12), c = (int)(i % 12);
        grp[i] = (int32_t)((r / 3) * 4 + c / 3); /* 16 blocks of 3 x 3 */
        lab[i] = (int32_t)((r / 6) * 2 + c / 6);  /* 4 blocks of 6 x 6 */
    }
    if (l.n > 0)
        l.x[5] = NAN; /* a missing value carries no weight */
    loc_build_grouping gr = {grp, l.n, 0, "zones"};
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 1e9;
    o.min_pop = 0;
    o.w_compact = 0.7;
    o.w_soft = 0.3;
    loc_build_input in = lat_input(&l, &gr, 1);
    loc_build_state *s = loc_build_state_create(l.ctx, &in, &o, lab, 4);
    assert_non_null(s);
    size_t made = 0;
    for (int t = 0; t < 5000; t++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t i = (size_t)(seed >> 33) % l.n;
        int32_t to = (int32_t)((seed >> 20) % 4);
        if (!loc_build_state_move_ok(s, i, to))
            continue;
        double before = loc_build_state_objective(s), d = loc_build_state_delta(s, i, to);
        loc_build_state_apply(s, i, to);
        made++;
        assert_true(fabs(loc_build_state_objective(s) - (before + d)) < 1e-9);
        if (t % 250 == 0) {
            double full;
            size_t nl;
            const int32_t *cur = loc_build_state_labels(s, &nl);
            assert_int_equal(loc_build_evaluate(l.ctx, &in, &o, cur, nl, &full, NULL, NULL, NULL), LOC_OK);
            if (fabs(full - loc_build_state_objective(s)) > 1e-9)
                fail_msg("after %zu moves: incremental %.15g, full %.15g", made, loc_build_state_objective(s), full);
        }
    }
    assert_true(made > 500);
    size_t nl;
    const int32_t *cur = loc_build_state_labels(s, &nl);
    double full;
    assert_int_equal(loc_build_evaluate(l.ctx, &in, &o, cur, nl, &full, NULL, NULL, NULL), LOC_OK);
    assert_true(fabs(full - loc_build_state_objective(s)) < 1e-9);
    check_rules(&in, &o, cur, nl, 0); /* moves checked by move_ok keep every locality connected */
    print_message("incremental objective: %zu random moves, matches the full recomputation\n", made);
    loc_build_state_destroy(s);
    free(grp);
    free(lab);
    lat_free(&l);
}

/* Same seed, any thread count: the same labels. */
/* The context's allocator is not thread-safe (ctx.h): the starts' worker
 * threads must never reach it.  An allocator that notes any call from a
 * thread other than the one that made the context, a build on three
 * threads with a soft grouping (the soft counts' table is the one that
 * could grow during the search). */
typedef struct thread_alloc {
    pthread_t owner;
    int foreign;
} thread_alloc;

static void *ta_realloc(void *ud, void *ptr, size_t size)
{
    thread_alloc *t = ud;
    if (!pthread_equal(pthread_self(), t->owner))
        t->foreign++;
    return realloc(ptr, size ? size : 1);
}

static void ta_free(void *ud, void *ptr)
{
    thread_alloc *t = ud;
    if (ptr && !pthread_equal(pthread_self(), t->owner))
        t->foreign++;
    free(ptr);
}

static void test_threads_allocator(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 16, 16);
    int32_t *grp = malloc(l.n * sizeof *grp);
    uint64_t seed = 7;
    for (size_t i = 0; i < l.n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        l.pop[i] = 300 + (double)(seed >> 56);
        l.x[i] = cos((double)i * 0.21);
        grp[i] = (int32_t)i; /* every zone a soft group of its own: many (group, locality) pairs */
    }
    thread_alloc ta = {pthread_self(), 0};
    loc_allocator al = {ta_realloc, ta_free, &ta};
    loc_ctx *ctx = loc_ctx_create(&al);
    assert_non_null(ctx);
    loc_graph *g = loc_graph_build(ctx, l.n, (const GEOSGeometry *const *)l.g, l.council, NULL);
    assert_non_null(g);
    loc_build_grouping gr = {grp, l.n, 0, "zones"};
    loc_build_input in = {l.n, g, l.pop, l.council, l.x, 1, &gr, 1, NULL, NULL};
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 3000;
    o.min_pop = 1500;
    o.starts = 6;
    o.threads = 3;
    o.anneal_moves = 20000; /* long enough for the soft table to fill with zero counts */
    loc_build_result *r = loc_build(ctx, &in, &o);
    assert_non_null(r);
    assert_int_equal(ta.foreign, 0);
    loc_build_result_destroy(r);
    loc_graph_destroy(g);
    loc_ctx_destroy(ctx);
    free(grp);
    lat_free(&l);
}

static void test_threads(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 20, 20);
    uint64_t seed = 3;
    for (size_t i = 0; i < l.n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        l.pop[i] = 300 + (double)(seed >> 55);
        l.x[i] = sin((double)i * 0.37) + (double)(i / 20) * 0.1;
    }
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 4000;
    o.min_pop = 2000;
    o.starts = 5;
    loc_build_input in = lat_input(&l, NULL, 0);
    o.threads = 1;
    loc_build_result *a = loc_build(l.ctx, &in, &o);
    o.threads = 3;
    loc_build_result *b = loc_build(l.ctx, &in, &o);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(loc_build_count(a), loc_build_count(b));
    assert_memory_equal(loc_build_labels(a), loc_build_labels(b), l.n * sizeof(int32_t));
    check_rules(&in, &o, loc_build_labels(a), loc_build_count(a), 0);
    const loc_build_stats *s = loc_build_stats_get(a);
    print_message("20 x 20 lattice: %zu localities, %zu below the floor; %llu annealing steps in %llu starts\n",
                  loc_build_count(a), s->under_floor, (unsigned long long)s->anneal_steps,
                  (unsigned long long)s->anneal_starts);
    /* one council, five starts; each runs a step at least, and the cold
     * ones freeze (a step with no move) before their 50 */
    assert_int_equal(s->anneal_starts, 5);
    assert_true(s->anneal_steps >= 5 && s->anneal_steps < 5 * 50);
    assert_int_equal(s->anneal_steps, loc_build_stats_get(b)->anneal_steps);
    assert_true(s->objective <= s->objective_greedy + 1e-12);
    assert_true(s->objective_greedy <= s->objective_construct + 1e-12);
    assert_true(s->objective < s->objective_construct);
    loc_build_result_destroy(a);
    loc_build_result_destroy(b);
    lat_free(&l);
}

/* A cell's residents and value, and its 2 x 2 soft group, from its place
 * in the 12 x 12 lattice alone, so that a part of the lattice carries the
 * same data. */
static void cell_data(int r, int c, double *pop, double *x, int32_t *group)
{
    uint64_t h = (uint64_t)(r * 131 + c * 7919 + 17) * 0x9E3779B97F4A7C15ULL;
    *pop = 300 + (double)(h >> 55);
    *x = sin(r * 0.7 + c * 0.31) + (double)((h >> 20) & 255) / 512;
    *group = (int32_t)((r / 2) * 6 + c / 2);
}

/* A council's localities depend on its zones alone: a 12 x 12 lattice in
 * three councils of four columns built whole with two threads, and each
 * council built alone (its own council id) with one thread, put every
 * council's cells in the same localities, numbered the same way. */
static void test_council_independence(void **state)
{
    (void)state;
    enum { ROWS = 12, COLS = 12, W = 4 };
    lat all;
    lat_make_part(&all, ROWS, COLS, 0);
    int32_t grp[ROWS * COLS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            size_t i = (size_t)r * COLS + (size_t)c;
            cell_data(r, c, &all.pop[i], &all.x[i], &grp[i]);
            all.council[i] = c / W;
        }
    all.graph = loc_graph_build(all.ctx, all.n, (const GEOSGeometry *const *)all.g, all.council, NULL);
    assert_non_null(all.graph);
    loc_build_grouping gr = {grp, (ROWS / 2) * (COLS / 2), 0, "blocks"};
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 4000;
    o.min_pop = 1500;
    o.threads = 2;
    loc_build_input in = lat_input(&all, &gr, 1);
    loc_build_result *whole = loc_build(all.ctx, &in, &o);
    assert_non_null(whole);
    const int32_t *lw = loc_build_labels(whole);
    for (int k = 0; k < COLS / W; k++) {
        lat one;
        lat_make_part(&one, ROWS, W, k * W);
        int32_t g1[ROWS * W];
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < W; c++) {
                size_t i = (size_t)r * W + (size_t)c;
                cell_data(r, k * W + c, &one.pop[i], &one.x[i], &g1[i]);
                one.council[i] = 7;
            }
        one.graph = loc_graph_build(one.ctx, one.n, (const GEOSGeometry *const *)one.g, one.council, NULL);
        assert_non_null(one.graph);
        loc_build_grouping gr1 = {g1, (ROWS / 2) * (COLS / 2), 0, "blocks"};
        loc_build_input in1 = lat_input(&one, &gr1, 1);
        o.threads = 1;
        loc_build_result *alone = loc_build(one.ctx, &in1, &o);
        o.threads = 2;
        assert_non_null(alone);
        const int32_t *la = loc_build_labels(alone);
        int32_t base = lw[(size_t)k * W]; /* the council's first locality in the whole build */
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < W; c++)
                assert_int_equal(lw[(size_t)r * COLS + (size_t)(k * W + c)] - base, la[(size_t)r * W + (size_t)c]);
        loc_build_result_destroy(alone);
        lat_free(&one);
    }
    print_message("12 x 12 lattice, 3 councils: %zu localities, each council the same built alone\n",
                  loc_build_count(whole));
    loc_build_result_destroy(whole);
    lat_free(&all);
}

/* Size control: a 20 x 20 lattice of 500 residents a cell (200,000 in
 * all) in two councils, built for about 5 localities a council and for
 * localities near 8,000 residents: the counts and sizes follow, the
 * ceiling still holds. */
static void test_size_control(void **state)
{
    (void)state;
    lat l;
    lat_make_part(&l, 20, 20, 0);
    for (size_t i = 0; i < l.n; i++) {
        l.pop[i] = 500;
        l.x[i] = sin((double)i * 0.37);
        l.council[i] = (int32_t)((i % 20) / 10);
    }
    l.graph = loc_graph_build(l.ctx, l.n, (const GEOSGeometry *const *)l.g, l.council, NULL);
    assert_non_null(l.graph);
    loc_build_input in = lat_input(&l, NULL, 0);
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 30000;
    o.min_pop = 0;
    o.localities_per_council = 5; /* 100,000 residents a council: a target of 20,000 */
    loc_build_result *r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    size_t nl = loc_build_count(r);
    print_message("5 a council asked: %zu localities in 2 councils\n", nl);
    assert_true(nl >= 8 && nl <= 14);
    check_rules(&in, &o, loc_build_labels(r), nl, 0);
    loc_build_result_destroy(r);
    o.localities_per_council = 0;
    o.target_pop = 8000;
    r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    nl = loc_build_count(r);
    double *pop = calloc(nl, sizeof *pop);
    for (size_t i = 0; i < l.n; i++)
        pop[loc_build_labels(r)[i]] += l.pop[i];
    for (size_t k = 0; k < nl; k++)
        assert_true(pop[k] <= 1.3 * 8000 + 1e-9);
    print_message("8,000 residents asked: %zu localities (200,000 residents)\n", nl);
    assert_true(nl >= 20 && nl <= 36);
    free(pop);
    loc_build_result_destroy(r);
    /* counts per council: 4 in council 0, 8 in council 1 */
    const double counts[2] = {4, 8};
    o.target_pop = 0;
    o.area_count = counts;
    o.nareas = 2;
    r = loc_build(l.ctx, &in, &o);
    assert_non_null(r);
    size_t per[2] = {0, 0};
    nl = loc_build_count(r);
    int32_t *seen = calloc(nl, sizeof *seen);
    for (size_t i = 0; i < l.n; i++)
        if (!seen[loc_build_labels(r)[i]]++)
            per[l.council[i]]++;
    print_message("4 and 8 asked: %zu and %zu localities\n", per[0], per[1]);
    assert_true(per[0] >= 4 && per[0] <= 5);
    assert_true(per[1] >= 6 && per[1] <= 12);
    free(seen);
    loc_build_result_destroy(r);
    lat_free(&l);
}

/* ---------------------------------------------------------------------
 * Real data
 * --------------------------------------------------------------------- */

typedef struct real {
    loc_ctx *ctx;
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lk;
    loc_zones *z;
    loc_graph *g;
    size_t n;
    uint32_t *rows;
    const GEOSGeometry **geoms;
    int32_t *council, *iz;
    double *pop, *x;
    loc_grouping *izg;
} real;

static int real_load(real *r, const char *bpath)
{
    const char *ind = LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv";
    const char *lk = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    if (access(bpath, R_OK) || access(ind, R_OK) || access(lk, R_OK))
        return 0;
    GDALAllRegister();
    memset(r, 0, sizeof *r);
    r->ctx = loc_ctx_create(NULL);
    assert_non_null(r->b = loc_boundaries_read(r->ctx, bpath, NULL));
    assert_non_null(r->ind = loc_csv_read(r->ctx, ind));
    assert_non_null(r->spec = loc_spec_read(r->ctx, LOC_DATA_DIR "/specs/simd2020v2.csv"));
    assert_non_null(r->lk = loc_lookup_read(r->ctx, lk, NULL));
    const loc_lookup *ls[] = {r->lk};
    assert_non_null(r->z = loc_zones_join(r->ctx, r->b, r->ind, r->spec, ls, 1, NULL, NULL));
    assert_non_null(r->izg = loc_zones_grouping(r->ctx, r->z, r->lk, "iz11_code"));
    size_t nz = loc_zones_count(r->z);
    r->rows = malloc(nz * sizeof *r->rows);
    r->geoms = malloc(nz * sizeof *r->geoms);
    r->council = malloc(nz * sizeof *r->council);
    r->iz = malloc(nz * sizeof *r->iz);
    r->pop = malloc(nz * sizeof *r->pop);
    r->x = malloc(2 * nz * sizeof *r->x);
    long inc = -1, emp = -1;
    for (size_t k = 0; k < loc_zones_nindicators(r->z); k++) {
        if (!strcmp(loc_zones_indicator(r->z, k)->name, "income"))
            inc = (long)k;
        if (!strcmp(loc_zones_indicator(r->z, k)->name, "employment"))
            emp = (long)k;
    }
    assert_true(inc >= 0 && emp >= 0);
    for (size_t i = 0; i < nz; i++) {
        long bi = loc_zones_boundary(r->z, i);
        if (!loc_zones_in_study(r->z, i) || bi < 0)
            continue;
        size_t k = r->n++;
        r->rows[k] = (uint32_t)i;
        r->geoms[k] = loc_boundaries_geom(r->b, (size_t)bi);
        r->council[k] = loc_zones_councils(r->z)[i];
        r->iz[k] = r->izg->member[i];
        r->pop[k] = loc_zones_population(r->z)[i];
        const double *n0 = loc_zones_column(r->z, (size_t)inc, 0), *d0 = loc_zones_column(r->z, (size_t)inc, 1);
        const double *n1 = loc_zones_column(r->z, (size_t)emp, 0), *d1 = loc_zones_column(r->z, (size_t)emp, 1);
        r->x[2 * k] = d0[i] > 0 ? n0[i] / d0[i] : NAN;
        r->x[2 * k + 1] = d1[i] > 0 ? n1[i] / d1[i] : NAN;
    }
    assert_non_null(r->g = loc_graph_build(r->ctx, r->n, r->geoms, r->council, NULL));
    return 1;
}

static void real_free(real *r)
{
    loc_graph_destroy(r->g);
    loc_grouping_destroy(r->izg);
    loc_zones_destroy(r->z);
    loc_lookup_destroy(r->lk);
    loc_spec_destroy(r->spec);
    loc_csv_destroy(r->ind);
    loc_boundaries_destroy(r->b);
    free(r->rows);
    free(r->geoms);
    free(r->council);
    free(r->iz);
    free(r->pop);
    free(r->x);
    loc_ctx_destroy(r->ctx);
}

/* Every zone assigned once, every rule kept, intermediate zones mostly
 * whole when soft and all whole when hard. */
static void scotland_case(real *r, int hard, const char *what)
{
    loc_build_grouping gr = {r->iz, r->izg->ngroups, hard, "iz11_code"};
    loc_build_input in = {r->n, r->g, r->pop, r->council, r->x, 2, &gr, 1, NULL, NULL};
    loc_build_opts o;
    loc_build_opts_init(&o);
    loc_build_result *res = loc_build(r->ctx, &in, &o);
    assert_non_null(res);
    const loc_build_stats *s = loc_build_stats_get(res);
    check_rules(&in, &o, loc_build_labels(res), loc_build_count(res), 0);
    /* below the floor only where the builder says so */
    size_t nl = loc_build_count(res), under = 0;
    double *pop = calloc(nl, sizeof *pop);
    for (size_t i = 0; i < r->n; i++)
        pop[loc_build_labels(res)[i]] += isnan(r->pop[i]) ? 0 : r->pop[i];
    for (size_t l = 0; l < nl; l++)
        under += pop[l] < o.min_pop;
    assert_int_equal(under, s->under_floor);
    free(pop);
    /* intermediate zones kept whole */
    size_t whole = 0, total = 0;
    for (size_t g = 0; g < r->izg->ngroups; g++) {
        int32_t where = -1;
        int split = 0, any = 0;
        for (size_t i = 0; i < r->n; i++)
            if (r->iz[i] == (int32_t)g) {
                any = 1;
                if (where < 0)
                    where = loc_build_labels(res)[i];
                else if (where != loc_build_labels(res)[i])
                    split = 1;
            }
        total += any;
        whole += any && !split;
    }
    double share = (double)whole / (double)total;
    if (hard)
        assert_int_equal(whole, total);
    else
        assert_true(share > 0.5);
    assert_true(s->objective <= s->objective_construct);
    print_message("%s: %zu localities, R^2 %.3f, %zu of %zu intermediate zones whole, %zu under the floor, %.3f s\n",
                  what, nl, s->r2, whole, total, s->under_floor, s->t_construct_s + s->t_greedy_s + s->t_anneal_s);
    loc_build_result_destroy(res);
}

static void test_scotland(void **state)
{
    (void)state;
    real r;
    REQUIRE_DATA(LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg");
    if (!real_load(&r, LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg"))
        fail_msg("cannot load the committed all-Scotland data");
    assert_int_equal(r.n, 6976);
    scotland_case(&r, 0, "Scotland, intermediate zones soft");
    scotland_case(&r, 1, "Scotland, intermediate zones hard");
    real_free(&r);
}

/* All of Scotland: no name repeated within a council, each the name of
 * one of its intermediate zones, and the shared ones told apart by
 * compass points first. */
static void test_scotland_names(void **state)
{
    (void)state;
    real r = {0};
    REQUIRE_DATA(LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg");
    if (!real_load(&r, LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg"))
        fail_msg("cannot load the committed all-Scotland data");
    loc_build_grouping gr = {r.iz, r.izg->ngroups, 0, "iz11_code"};
    loc_build_input in = {r.n, r.g, r.pop, r.council, r.x, 2, &gr, 1, NULL, NULL};
    loc_build_result *res = loc_build(r.ctx, &in, NULL);
    assert_non_null(res);
    double *xy = malloc(2 * r.n * sizeof *xy);
    assert_int_equal(loc_build_centroids(r.ctx, r.n, r.geoms, xy), LOC_OK);
    loc_partition *p = loc_build_partition(r.ctx, r.z, res, r.rows, r.izg, xy);
    assert_non_null(p);
    size_t nl = loc_partition_count(p), compass = 0, numbered = 0;
    for (size_t l = 0; l < nl; l++) {
        const char *name = loc_partition_name(p, l);
        /* one of its intermediate zones' names, whole, then perhaps a suffix */
        size_t nm;
        const uint32_t *m = loc_partition_members(p, l, &nm);
        int one = 0;
        for (size_t i = 0; i < nm && !one; i++) {
            int32_t g = r.izg->member[m[i]];
            size_t len = g >= 0 ? strlen(r.izg->names[g]) : 0;
            one = g >= 0 && strncmp(name, r.izg->names[g], len) == 0 && (name[len] == 0 || name[len] == ' ');
        }
        if (!one)
            fail_msg("'%s' is not the name of one of its intermediate zones", name);
        for (size_t q = 0; q < l; q++)
            if (loc_partition_council(p, q) == loc_partition_council(p, l) &&
                strcmp(loc_partition_name(p, q), name) == 0)
                fail_msg("'%s' twice in one council", name);
        const char *last = strrchr(name, ' ');
        if (last && (strcmp(last, " East") == 0 || strcmp(last, " West") == 0 || strcmp(last, " North") == 0 ||
                     strcmp(last, " South") == 0))
            compass++;
        if (last && strspn(last + 1, "0123456789") == strlen(last + 1))
            numbered++;
    }
    print_message("Scotland: %zu localities, %zu names ending in a compass point, %zu numbered\n", nl, compass,
                  numbered);
    assert_true(compass > 0);
    free(xy);
    loc_partition_destroy(p);
    loc_build_result_destroy(res);
    real_free(&r);
}

/* One build with the annealing's memo and one costing every move afresh
 * (bld_memo_off): the same labels and the same search, move for move;
 * and the memo answered at least share of the annealing's costings. */
static void memo_case(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o, double share,
                      const char *what)
{
    loc_build_result *a = loc_build(ctx, in, o);
    bld_memo_off(1);
    loc_build_result *b = loc_build(ctx, in, o);
    bld_memo_off(0);
    assert_non_null(a);
    assert_non_null(b);
    const loc_build_stats *sa = loc_build_stats_get(a), *sb = loc_build_stats_get(b);
    assert_int_equal(loc_build_count(a), loc_build_count(b));
    assert_memory_equal(loc_build_labels(a), loc_build_labels(b), in->n * sizeof(int32_t));
    assert_true(sa->objective == sb->objective);
    assert_int_equal(sa->moves_evaluated, sb->moves_evaluated);
    assert_int_equal(sa->moves_made, sb->moves_made);
    assert_int_equal(sa->contiguity_searches, sb->contiguity_searches);
    assert_int_equal(sb->moves_remembered, 0);
    print_message("%s: %llu of %llu costed moves remembered\n", what, (unsigned long long)sa->moves_remembered,
                  (unsigned long long)sa->moves_evaluated);
    assert_true((double)sa->moves_remembered >= share * (double)sa->moves_evaluated);
    loc_build_result_destroy(a);
    loc_build_result_destroy(b);
}

/* The memo of costed moves changes nothing but the time: on a 20 x 20
 * lattice with 2 x 2 soft groups (the soft term is costed afresh, the
 * rest remembered), hot and cold starts; and on Stirling's data zones
 * with intermediate zones soft, the default build. */
static void test_anneal_memo(void **state)
{
    (void)state;
    lat l;
    lat_make(&l, 20, 20);
    int32_t *grp = malloc(l.n * sizeof *grp);
    for (size_t i = 0; i < l.n; i++) {
        size_t r = i / 20, c = i % 20;
        l.pop[i] = 300 + (double)((i * 2654435761u) >> 24 & 255);
        l.x[i] = sin((double)i * 0.37) + (double)r * 0.1;
        grp[i] = (int32_t)((r / 2) * 10 + c / 2);
    }
    loc_build_grouping gr = {grp, 100, 0, "blocks"};
    loc_build_input in = lat_input(&l, &gr, 1);
    loc_build_opts o;
    loc_build_opts_init(&o);
    o.max_pop = 4000;
    o.min_pop = 2000;
    o.starts = 5; /* the fifth runs hot again */
    o.threads = 2;
    memo_case(l.ctx, &in, &o, 0.3, "20 x 20 lattice");
    free(grp);
    lat_free(&l);

    real r;
    REQUIRE_DATA(LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg");
    if (!real_load(&r, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg"))
        fail_msg("cannot load the committed Stirling data");
    loc_build_grouping rg = {r.iz, r.izg->ngroups, 0, "iz11_code"};
    loc_build_input rin = {r.n, r.g, r.pop, r.council, r.x, 2, &rg, 1, NULL, NULL};
    loc_build_opts_init(&o);
    memo_case(r.ctx, &rin, &o, 0.3, "Stirling");
    real_free(&r);
}

/* Stirling: the partition's codes and names. */
static void test_stirling_partition(void **state)
{
    (void)state;
    real r;
    REQUIRE_DATA(LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg");
    if (!real_load(&r, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg"))
        fail_msg("cannot load the committed Stirling data");
    loc_build_grouping gr = {r.iz, r.izg->ngroups, 0, "iz11_code"};
    loc_build_input in = {r.n, r.g, r.pop, r.council, r.x, 2, &gr, 1, NULL, NULL};
    loc_build_result *res = loc_build(r.ctx, &in, NULL);
    assert_non_null(res);
    double *xy = malloc(2 * r.n * sizeof *xy);
    assert_int_equal(loc_build_centroids(r.ctx, r.n, r.geoms, xy), LOC_OK);
    for (size_t i = 0; i < r.n; i++) /* British National Grid, inside Stirling */
        assert_true(xy[2 * i] > 200000 && xy[2 * i] < 300000 && xy[2 * i + 1] > 650000 && xy[2 * i + 1] < 750000);
    /* no geometry: no centroid */
    const GEOSGeometry *none[2] = {NULL, r.geoms[0]};
    double two[4];
    assert_int_equal(loc_build_centroids(r.ctx, 2, none, two), LOC_OK);
    assert_true(isnan(two[0]) && isnan(two[1]) && two[2] == xy[0] && two[3] == xy[1]);
    loc_partition *p = loc_build_partition(r.ctx, r.z, res, r.rows, r.izg, xy);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), loc_build_count(res));
    double total = 0;
    for (size_t l = 0; l < loc_partition_count(p); l++) {
        /* codes: the council's and six hex digits of the members' hash */
        const char *code = loc_partition_code(p, l);
        assert_int_equal(strlen(code), strlen("S12000030-") + 6);
        assert_memory_equal(code, "S12000030-", 10);
        assert_int_equal(strspn(code + 10, "0123456789abcdef"), 6);
        /* names: one place's name, never joined, never repeated */
        assert_true(strlen(loc_partition_name(p, l)) > 0);
        assert_null(strstr(loc_partition_name(p, l), " & "));
        for (size_t q = 0; q < l; q++) {
            assert_string_not_equal(loc_partition_name(p, l), loc_partition_name(p, q));
            assert_string_not_equal(code, loc_partition_code(p, q));
        }
        total += loc_partition_population(p, l);
    }
    free(xy);
    double want = 0;
    for (size_t i = 0; i < r.n; i++)
        want += r.pop[i];
    assert_true(fabs(total - want) < 1e-6);
    print_message("Stirling: %zu localities, first '%s'\n", loc_partition_count(p), loc_partition_name(p, 0));
    loc_partition_destroy(p);
    loc_build_result_destroy(res);
    real_free(&r);
}

/* ---------------------------------------------------------------------
 * The annealing loop's draws
 * --------------------------------------------------------------------- */

/* The block stream hands out exactly rng_next's draws, with both ways of
 * filling a block, and its closing state is rng_next's after as many
 * draws, wherever the stream stops (inside a block, at its end, before
 * the first). */
static void check_stream(uint64_t seed)
{
    static const size_t stops[] = {0, 1, 2, 63, 64, 65, 127, 128, 129, 1000};
    for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
        uint64_t plain = seed;
        rng_stream q;
        rs_open(&q, seed);
        for (size_t i = 0; i < stops[k]; i++)
            assert_true(rs_next(&q) == rng_next(&plain));
        assert_true(rs_close(&q) == plain);
    }
    /* the helpers draw as rng_below and rng_unit do */
    uint64_t plain = seed;
    rng_stream q;
    rs_open(&q, seed);
    for (uint32_t i = 1; i < 3000; i++) {
        assert_int_equal(rs_below(&q, i), rng_below(&plain, i));
        assert_true(rs_unit(&q) == rng_unit(&plain));
    }
    assert_true(rs_close(&q) == plain);
}

static void test_rng_stream(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0, 1, 42, 0xA5A5A5A5ULL, UINT64_MAX, UINT64_MAX - RNG_GAMMA};
    for (int plain = 0; plain < 2; plain++) {
        bld_rng_plain(plain);
        for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++)
            check_stream(seeds[i]);
    }
    bld_rng_plain(0);
}

/* bld_draw_refuses(x, z) answers x >= exp(-z) for every draw: random
 * draws, the draws next to exp(-z) (a few ulps either side, where a bound
 * with too thin a margin would answer wrongly) and the ends, over z from
 * 10^-12 to 38. */
static void test_draw_refuses(void **state)
{
    (void)state;
    uint64_t r = 7;
    size_t shortcut = 0, n = 0;
    for (int i = 0; i < 400000; i++) {
        double z = exp(log(1e-12) + rng_unit(&r) * (log(38.0) - log(1e-12)));
        if (i % 4 == 0)
            z = 38 * rng_unit(&r) + 1e-12;
        double e = exp(-z);
        double xs[12] = {rng_unit(&r), e, nextafter(e, 0), nextafter(e, 2), 0, 1 - 0x1p-53, e * (1 + 1e-15),
                         e * (1 - 1e-15), e * (1 + 1e-12), e * (1 - 1e-12), 1 - z, 1 / (1 + z + 0.5 * z * z)};
        for (int k = 0; k < 12; k++) {
            double x = xs[k];
            if (!(x >= 0 && x < 1))
                continue;
            assert_int_equal(bld_draw_refuses(x, z), x >= exp(-z));
            n++;
        }
        double x = rng_unit(&r);
        double z2 = z * z;
        shortcut += x * (1 + z + 0.5 * z2) > 1 + 1e-12 || x < 1 - z + 0.5 * z2 - z2 * z / 6 - 1e-12;
    }
    /* the point of it: most random draws are answered by the bounds */
    assert_true(shortcut > 400000 * 9 / 10);
    print_message("draw test: %zu comparisons, %.1f%% of random draws answered by the bounds\n", n,
                  100.0 * (double)shortcut / 400000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quadrants),   cmocka_unit_test(test_soft_columns),
        cmocka_unit_test(test_ceiling_and_empty), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_r2),          cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_threads),     cmocka_unit_test(test_council_independence),
        cmocka_unit_test(test_size_control), cmocka_unit_test(test_scotland),
        cmocka_unit_test(test_stirling_partition), cmocka_unit_test(test_scotland_names),
        cmocka_unit_test(test_build_alloc_failures), cmocka_unit_test(test_threads_allocator),
        cmocka_unit_test(test_rng_stream),  cmocka_unit_test(test_draw_refuses),
        cmocka_unit_test(test_anneal_memo),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
