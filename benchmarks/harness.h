/*
 * Benchmark harness: time named stages over repeated runs with a monotonic
 * clock, print median, spread and peak resident memory.  Benchmarks are
 * programs, never tests: they print figures for people to compare.
 *
 * Usage:
 *   bench_stage st;
 *   bench_stage_init(&st, "load boundaries");
 *   for (int i = 0; i < reps; i++) {
 *       bench_start(&st);  ...work...  bench_stop(&st);
 *   }
 *   bench_report(&st);  // prints one line
 */
#ifndef LOCALITIES_BENCH_HARNESS_H
#define LOCALITIES_BENCH_HARNESS_H

#include <stddef.h>

#define BENCH_MAX_RUNS 1000

typedef struct bench_stage {
    const char *name;              /* printed label */
    double runs[BENCH_MAX_RUNS];   /* seconds per run */
    size_t n;                      /* runs recorded */
    double t0;                     /* start of the current run */
    double items;                  /* work items per run, for a rate; 0 for none */
    const char *unit;              /* name of the items ("zones") */
} bench_stage;

/* Monotonic seconds. */
double bench_now(void);

void bench_stage_init(bench_stage *st, const char *name);
/* Report items per second as well, e.g. bench_set_items(&st, 6976, "zones"). */
void bench_set_items(bench_stage *st, double items, const char *unit);
void bench_start(bench_stage *st);
void bench_stop(bench_stage *st);

/* Median of the recorded runs (0 when none). */
double bench_median(const bench_stage *st);

/* Print "name: median X ms (min A, max B, n runs) [rate]" to stdout. */
void bench_report(const bench_stage *st);

/* Peak resident set size of this process, in MiB (from getrusage). */
double bench_peak_rss_mib(void);

/* Repetitions from the environment (BENCH_REPS), else dflt. */
int bench_reps(int dflt);

#endif
