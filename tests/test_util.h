/*
 * Helpers shared by the cmocka programs: an allocator for loc_ctx that
 * counts live blocks and can fail every allocation after the first N, and a
 * driver that runs a constructor with N = 0, 1, 2, ... until it succeeds,
 * checking on the way that each failure is a clean LOC_ENOMEM that leaks
 * nothing.  Include after <cmocka.h>.
 */
#ifndef LOC_TEST_UTIL_H
#define LOC_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localities/ctx.h"

/* Tests that need the full Scotland files in ../shared (not committed)
 * skip without them and say so; the program then exits 77 when nothing
 * failed (test_exit), which ctest shows as Skipped.  Committed data (data/,
 * tests/) missing is a failure, never a skip. */
static int test_skips;
#define SKIP_WITHOUT_SHARED(path)                                                                                      \
    do {                                                                                                               \
        if (access((path), R_OK) != 0) {                                                                               \
            printf("SKIPPED: %s is not here (the full Scotland files of ../shared)\n", (path));                         \
            test_skips++;                                                                                              \
            skip();                                                                                                    \
        }                                                                                                              \
    } while (0)
#define REQUIRE_DATA(path)                                                                                             \
    do {                                                                                                               \
        if (access((path), R_OK) != 0)                                                                                 \
            fail_msg("committed data missing: %s", (path));                                                            \
    } while (0)
/* The exit status of a test program: cmocka's count of failures, else 77
 * when a test skipped, else 0. */
static inline int test_exit(int failed) { return failed ? failed : test_skips ? 77 : 0; }

/* State of the counting allocator. */
typedef struct test_alloc {
    long fail_after; /* allocations (and reallocations) allowed before failing; -1 never */
    long calls;      /* successful allocations and reallocations so far */
    long live;       /* blocks allocated and not yet freed */
    long failures;   /* allocations refused */
} test_alloc;

static void *alloc_realloc(void *ud, void *ptr, size_t size)
{
    test_alloc *t = ud;
    if (t->fail_after >= 0 && t->calls >= t->fail_after) {
        t->failures++;
        return NULL;
    }
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        return NULL;
    t->calls++;
    if (!ptr)
        t->live++;
    return p;
}

static void alloc_free(void *ud, void *ptr)
{
    test_alloc *t = ud;
    if (ptr) {
        t->live--;
        free(ptr);
    }
}

/* A context whose allocations go through t (which must outlive it). */
static inline loc_ctx *test_ctx(test_alloc *t)
{
    memset(t, 0, sizeof *t);
    t->fail_after = -1;
    loc_allocator a = {alloc_realloc, alloc_free, t};
    loc_ctx *ctx = loc_ctx_create(&a);
    assert_non_null(ctx);
    return ctx;
}

/*
 * Run make(ctx, arg) with the allocator failing after n allocations, for
 * n = 0, 1, 2, ... until it returns non-NULL.  Every failure must return
 * NULL with LOC_ENOMEM on the context, and nothing may stay allocated once
 * the object (on success) and the context are destroyed.  Returns the
 * number of allocations the successful run made.
 */
typedef void *(*test_make_fn)(loc_ctx *ctx, void *arg);
typedef void (*test_free_fn)(void *obj);

static inline long test_alloc_failures(test_make_fn make, test_free_fn destroy, void *arg)
{
    for (long n = 0; n < 100000; n++) {
        test_alloc t;
        loc_ctx *ctx = test_ctx(&t);
        long base = t.calls; /* the context itself */
        t.fail_after = base + n;
        void *obj = make(ctx, arg);
        if (obj) {
            long used = t.calls - base;
            assert_int_equal(t.failures, 0);
            assert_int_equal(loc_errcode(ctx), LOC_OK);
            destroy(obj);
            loc_ctx_destroy(ctx);
            assert_int_equal(t.live, 0);
            assert_true(n > 0); /* at least one failure was injected */
            return used;
        }
        if (loc_errcode(ctx) != LOC_ENOMEM || t.failures == 0)
            fail_msg("allocation %ld: error %d '%s' with %ld failures injected", n, (int)loc_errcode(ctx),
                     loc_errmsg(ctx), t.failures);
        loc_ctx_destroy(ctx);
        if (t.live != 0)
            fail_msg("allocation %ld failed: %ld blocks leaked", n, t.live);
    }
    fail_msg("constructor never succeeded");
    return -1;
}

/* A new empty folder $TMPDIR/loc_test_TAG_XXXXXX (or under /tmp) in dir;
 * 0 on success, -1 when it cannot be made. */
static inline int test_tmpdir_create(char *dir, size_t size, const char *tag)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, size, "%s/loc_test_%s_XXXXXX", base, tag);
    return mkdtemp(dir) ? 0 : -1;
}

/* Entries of dir but . and .. (names starting with a dot included); -1
 * when it cannot be read. */
static inline int test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Remove a folder made by test_tmpdir_create and everything in it. */
static inline int test_tmpdir_remove(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
