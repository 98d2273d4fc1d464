/*
 * Assessment benchmark: every SIMD 2020v2 indicator (28) for all of
 * Scotland with the 1,279 intermediate zones as localities, against the
 * rest of the council and Scotland: 71,624 cells.  Times the analysis
 * alone (the sums pass, every interval and flag, the plan rule), with and
 * without false discovery rate control, and the two CSV tables; prints
 * medians and cells per second.  Then the null experiment: 200 shuffles
 * of the zone values within councils on two threads (BENCH_NULL sets the
 * shuffles; 0 skips it), timed once.
 *
 * Usage: bench_assess   (BENCH_REPS sets the repetitions)
 */
#include "harness.h"
#include "localities/assess.h"
#include "localities/calibrate.h"
#include "localities/boundary.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void die(loc_ctx *ctx)
{
    fprintf(stderr, "bench_assess: %s\n", loc_errmsg(ctx));
    exit(1);
}

int main(void)
{
    const char *ind = LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv";
    const char *lk = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    if (access(ind, R_OK) || access(lk, R_OK)) {
        fprintf(stderr, "bench_assess: no data in " LOC_DATA_DIR "/scotland\n");
        return 1;
    }
    int reps = bench_reps(21);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *csv = loc_csv_read(ctx, ind);
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    loc_lookup *l = loc_lookup_read(ctx, lk, NULL);
    if (!csv || !spec || !l)
        die(ctx);
    const loc_lookup *ls[] = {l};
    loc_zones *z = loc_zones_join(ctx, NULL, csv, spec, ls, 1, NULL, NULL);
    loc_partition *p = z ? loc_partition_from_lookup(ctx, z, l, "iz11_code") : NULL;
    if (!p)
        die(ctx);
    size_t cells = loc_partition_count(p) * loc_zones_nindicators(z) * 2;
    printf("assessment: %zu localities x %zu indicators x 2 comparators = %zu cells, %d runs\n",
           loc_partition_count(p), loc_zones_nindicators(z), cells, reps);
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    bench_stage a, f, w;
    bench_stage_init(&a, "assess (intervals)");
    bench_stage_init(&f, "assess (BY FDR 0.05)");
    bench_stage_init(&w, "write both tables");
    bench_set_items(&a, (double)cells, "cells");
    bench_set_items(&f, (double)cells, "cells");
    char dir[] = "/tmp/bench-assess-XXXXXX", p1[64], p2[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(p1, sizeof p1, "%s/indicators.csv", dir);
    snprintf(p2, sizeof p2, "%s/localities.csv", dir);
    size_t tests = 0, qual = 0;
    for (int r = 0; r < reps; r++) {
        o.fdr = 0;
        bench_start(&a);
        loc_assess *as = loc_assess_run(ctx, z, p, &o, NULL, NULL);
        bench_stop(&a);
        if (!as)
            die(ctx);
        tests = loc_assess_ntests(as);
        qual = loc_assess_nqualifying(as);
        bench_start(&w);
        if (loc_assess_write_indicators(ctx, as, p1) || loc_assess_write_localities(ctx, as, p2))
            die(ctx);
        bench_stop(&w);
        loc_assess_destroy(as);
        o.fdr = 0.05;
        bench_start(&f);
        as = loc_assess_run(ctx, z, p, &o, NULL, NULL);
        bench_stop(&f);
        if (!as)
            die(ctx);
        loc_assess_destroy(as);
    }
    bench_report(&a);
    bench_report(&f);
    bench_report(&w);
    printf("  %zu tests run (the rest unreliable or reported only), %zu localities qualify; %.1f million tests/s\n",
           tests, qual, bench_median(&a) > 0 ? (double)tests / bench_median(&a) / 1e6 : 0);
    const char *env = getenv("BENCH_NULL");
    size_t shuffles = env ? (size_t)strtoul(env, NULL, 10) : 200;
    if (shuffles) {
        loc_null_result nr;
        bench_stage n;
        bench_stage_init(&n, "null experiment");
        bench_set_items(&n, (double)shuffles, "shuffles");
        o.fdr = 0;
        bench_start(&n);
        if (loc_null_experiment(ctx, z, p, &o, shuffles, 1, 2, 0, &nr))
            die(ctx);
        bench_stop(&n);
        bench_report(&n);
        printf("  %zu shuffles within councils, two threads: %.2f%% of localities flagged under the null\n",
               shuffles, 100 * nr.plan_k[o.plan_min_domains]);
    }
    printf("peak resident memory: %.1f MiB\n", bench_peak_rss_mib());
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(l);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    loc_ctx_destroy(ctx);
    return 0;
}
