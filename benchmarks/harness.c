/*
 * Benchmark harness implementation: monotonic timing, medians, peak RSS.
 * Medians, not means, because the machines are shared and noisy: one slow
 * run from a neighbour's job should not move the figure.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_stage_init(bench_stage *st, const char *name)
{
    memset(st, 0, sizeof *st);
    st->name = name;
}

void bench_set_items(bench_stage *st, double items, const char *unit)
{
    st->items = items;
    st->unit = unit;
}

void bench_start(bench_stage *st) { st->t0 = bench_now(); }

void bench_stop(bench_stage *st)
{
    if (st->n < BENCH_MAX_RUNS)
        st->runs[st->n++] = bench_now() - st->t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const bench_stage *st)
{
    if (!st->n)
        return 0;
    double sorted[BENCH_MAX_RUNS];
    memcpy(sorted, st->runs, st->n * sizeof *sorted);
    qsort(sorted, st->n, sizeof *sorted, cmp_double);
    return st->n % 2 ? sorted[st->n / 2] : 0.5 * (sorted[st->n / 2 - 1] + sorted[st->n / 2]);
}

void bench_report(const bench_stage *st)
{
    if (!st->n) {
        printf("%-32s no runs\n", st->name);
        return;
    }
    double lo = st->runs[0], hi = st->runs[0];
    for (size_t i = 1; i < st->n; i++) {
        if (st->runs[i] < lo) lo = st->runs[i];
        if (st->runs[i] > hi) hi = st->runs[i];
    }
    double med = bench_median(st);
    printf("%-32s median %9.3f ms  (min %.3f, max %.3f, %zu runs)", st->name, med * 1e3, lo * 1e3, hi * 1e3, st->n);
    if (st->items > 0 && med > 0)
        printf("  %.0f %s/s", st->items / med, st->unit ? st->unit : "items");
    printf("\n");
}

double bench_peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

int bench_reps(int dflt)
{
    const char *s = getenv("BENCH_REPS");
    int n = s ? atoi(s) : 0;
    return n > 0 && n <= BENCH_MAX_RUNS ? n : dflt;
}
