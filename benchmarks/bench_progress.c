/*
 * Progress benchmark: what `batch --hold-localities --targets` adds after
 * the runs, at the size of all of Scotland.  1,240 held localities in 32
 * councils over three releases, each release's indicators.csv with 30
 * indicators against two comparators (74,400 rows) and its localities.csv
 * and carried.csv (6,976 zones), built in memory with figures that vary by
 * locality; a targets file with `*` (every plan locality) on three
 * comparable indicators.  Times reading the nine tables, the statuses and
 * trends, and writing progress.csv, as the batch does; prints the median.
 *
 * Usage: bench_progress   (BENCH_REPS sets the repetitions)
 */
#include "harness.h"
#include "localities/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NLOC 1240
#define NIND 30
#define NZONE 6976

static void die(loc_ctx *ctx)
{
    fprintf(stderr, "bench_progress: %s\n", loc_errmsg(ctx));
    exit(1);
}

/* A growing text buffer. */
typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void put(buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (w >= 0 && (size_t)w < b->cap - b->n) {
            b->n += (size_t)w;
            return;
        }
        b->cap = b->cap ? 2 * b->cap : 1 << 20;
        if (!(b->s = realloc(b->s, b->cap))) {
            fprintf(stderr, "bench_progress: out of memory\n");
            exit(1);
        }
    }
}

int main(void)
{
    int reps = bench_reps(11);
    loc_ctx *ctx = loc_ctx_create(NULL);
    buf spec = {0}, held = {0}, tg = {0}, loc[3] = {{0}}, ind[3] = {{0}}, car[3] = {{0}};
    put(&spec, "name,worse,comparable\n");
    for (int j = 0; j < NIND; j++) { /* three comparable through every release, as in SIMD 2012-2020v2 */
        put(&spec, "ind%d,%s,", j, j % 7 == 3 ? "lower" : "higher");
        if (j < 3)
            put(&spec, "key%d", j);
        put(&spec, "\n");
    }
    put(&held, "zone_code,locality_code,locality_name,council_code\n");
    for (int z = 0; z < NZONE; z++)
        put(&held, "Z%05d,C%02d-L%04d,Place %d,C%02d\n", z, (z % NLOC) % 32, z % NLOC, z % NLOC, (z % NLOC) % 32);
    put(&tg, "locality,indicator,baseline,measure,target_1y,target_3y,target_10y\n"
             "*,ind0,r2012,value,,,5\n*,ind1,r2012,gap_council,,,0\n*,ind2,r2016,gap_scotland,,,0\n");
    for (int k = 0; k < 3; k++) {
        put(&loc[k], "locality_code,locality_name,council_code,plan_required\n");
        put(&ind[k], "locality_code,indicator,comparator,estimate,ci_low,ci_high,comparator_value,diff_low,diff_high,"
                     "flag,se\n");
        put(&car[k], "zone_code,locality_code,placement,population\n");
        for (int i = 0; i < NLOC; i++) {
            put(&loc[k], "C%02d-L%04d,Place %d,C%02d,%d\n", i % 32, i, i, i % 32, i % 4 == 0);
            for (int j = 0; j < NIND; j++) {
                double est = 10 + (i * 37 + j * 11 + k * 5) % 23, se = 1 + (i % 5) * 0.3;
                put(&ind[k], "C%02d-L%04d,ind%d,council_rest,%g,%g,%g,%g,%g,%g,same,%g\n", i % 32, i, j, est, est - 2,
                    est + 2, 12.0, est - 12 - 3 * se, est - 12 + 3 * se, se);
                put(&ind[k], "C%02d-L%04d,ind%d,scotland,%g,%g,%g,%g,%g,%g,same,%g\n", i % 32, i, j, est, est - 2,
                    est + 2, 14.0, est - 14 - 3 * se, est - 14 + 3 * se, se);
            }
        }
        for (int z = 0; z < NZONE; z++)
            put(&car[k], "Z%05d,C%02d-L%04d,%s,%d\n", z, (z % NLOC) % 32, z % NLOC, k == 0 && z % 9 == 0 ? "most" : "exact",
                700 + z % 300);
    }
    char dir[] = "/tmp/bench_progress_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_progress");
        return 1;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/progress.csv", dir);
    static const char *const names[3] = {"r2012", "r2016", "r2020v2"};
    bench_stage st;
    bench_stage_init(&st, "progress: 3 releases x 1,240 localities (read outputs, statuses, trends, write)");
    bench_set_items(&st, 3.0 * NLOC * NIND * 2, "cells");
    size_t rows = 0;
    for (int r = 0; r < reps; r++) {
        loc_csv *sp[3], *h, *t, *l[3], *in[3], *c[3];
        loc_progress_release rel[3];
        bench_start(&st);
        for (int k = 0; k < 3; k++) {
            if (!(sp[k] = loc_csv_parse(ctx, "spec.csv", spec.s, spec.n)))
                die(ctx);
            rel[k].name = names[k];
            rel[k].year = loc_progress_release_year(names[k], NULL);
            rel[k].spec = sp[k];
        }
        if (!(h = loc_csv_parse(ctx, "zones.csv", held.s, held.n)) || !(t = loc_csv_parse(ctx, "targets.csv", tg.s, tg.n)))
            die(ctx);
        loc_progress *pr = loc_progress_create(ctx, rel, 3, h, t);
        if (!pr)
            die(ctx);
        for (int k = 0; k < 3; k++) {
            if (!(l[k] = loc_csv_parse(ctx, "localities.csv", loc[k].s, loc[k].n)) ||
                !(in[k] = loc_csv_parse(ctx, "indicators.csv", ind[k].s, ind[k].n)) ||
                !(c[k] = loc_csv_parse(ctx, "carried.csv", car[k].s, car[k].n)) ||
                loc_progress_add_outputs(ctx, pr, (size_t)k, l[k], in[k], c[k]))
                die(ctx);
        }
        if (loc_progress_finish(ctx, pr) || loc_progress_write(ctx, pr, path))
            die(ctx);
        bench_stop(&st);
        rows = loc_progress_nrows(pr);
        loc_progress_destroy(pr);
        for (int k = 0; k < 3; k++) {
            loc_csv_destroy(sp[k]);
            loc_csv_destroy(l[k]);
            loc_csv_destroy(in[k]);
            loc_csv_destroy(c[k]);
        }
        loc_csv_destroy(h);
        loc_csv_destroy(t);
    }
    bench_report(&st);
    printf("progress.csv: %zu rows; peak RSS %.0f MiB\n", rows, bench_peak_rss_mib());
    remove(path);
    rmdir(dir);
    free(spec.s);
    free(held.s);
    free(tg.s);
    for (int k = 0; k < 3; k++) {
        free(loc[k].s);
        free(ind[k].s);
        free(car[k].s);
    }
    loc_ctx_destroy(ctx);
    return 0;
}
