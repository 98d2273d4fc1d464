/*
 * The engine from several threads at once, as `batch` uses it: each
 * thread its own context, all starting together on a process that has not
 * touched GDAL yet.  GDAL's driver registration is not thread-safe, and
 * two runs registering at once crashed one batch in six; the engine now
 * registers once per process.  The threads read the embedded boundaries
 * and must all get the same 121 zones; then threads read different files
 * over and over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>

#include "localities/boundary.h"
#include "test_util.h"

#define NTHREADS 8

static pthread_barrier_t start;

typedef struct job {
    size_t zones;
    loc_status st;
} job;

static void *read_boundaries(void *arg)
{
    job *j = arg;
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx) {
        j->st = LOC_ENOMEM;
        return NULL;
    }
    pthread_barrier_wait(&start);
    loc_boundaries *b = loc_boundaries_read(ctx, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", NULL);
    j->st = b ? LOC_OK : loc_errcode(ctx);
    j->zones = b ? loc_boundaries_count(b) : 0;
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
    return NULL;
}

static void test_first_use_from_threads(void **state)
{
    (void)state;
    pthread_t t[NTHREADS];
    job jobs[NTHREADS] = {{0}};
    assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
    for (int k = 0; k < NTHREADS; k++)
        assert_int_equal(pthread_create(&t[k], NULL, read_boundaries, &jobs[k]), 0);
    for (int k = 0; k < NTHREADS; k++)
        pthread_join(t[k], NULL);
    pthread_barrier_destroy(&start);
    for (int k = 0; k < NTHREADS; k++) {
        assert_int_equal(jobs[k].st, LOC_OK);
        assert_int_equal(jobs[k].zones, 121);
    }
}

/* Reads of different files at once, again and again: the duplicate-code
 * check once sorted through a file-scope pointer that another thread's
 * read could swap for its own codes (a crash reading the 6,976 Scotland
 * zones beside the 121 of Stirling). */
typedef struct reader {
    const char *path;
    int times;
    size_t want;
    int bad;
} reader;

static void *read_repeatedly(void *arg)
{
    reader *rd = arg;
    loc_ctx *ctx = loc_ctx_create(NULL);
    for (int k = 0; ctx && k < rd->times; k++) {
        loc_boundaries *b = loc_boundaries_read(ctx, rd->path, NULL);
        rd->bad += !b || loc_boundaries_count(b) != rd->want;
        loc_boundaries_destroy(b);
    }
    rd->bad += !ctx;
    loc_ctx_destroy(ctx);
    return NULL;
}

static void test_different_files_at_once(void **state)
{
    (void)state;
    reader rd[4] = {{LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg", 4, 6976, 0},
                    {LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", 40, 121, 0},
                    {LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", 40, 121, 0},
                    {LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg", 4, 6976, 0}};
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        assert_int_equal(pthread_create(&t[k], NULL, read_repeatedly, &rd[k]), 0);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 4; k++)
        assert_int_equal(rd[k].bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_first_use_from_threads),
                                       cmocka_unit_test(test_different_files_at_once)};
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
