/*
 * Tests for the string -> index map: put and get, the existing value on a
 * repeated key, growth through many rehashes checked against a plain
 * array, sizing from the expected count, and borrowed keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/strmap.h"
#include "internal.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_put_get(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_strmap *m = loc_strmap_create(ctx, 0);
    assert_non_null(m);
    assert_int_equal(loc_strmap_count(m), 0);
    assert_int_equal(loc_strmap_get(m, "S01006506"), -1);

    long old = 99;
    assert_int_equal(loc_strmap_put(m, "S01006506", 0, &old), LOC_OK);
    assert_int_equal(old, -1);
    assert_int_equal(loc_strmap_put(m, "S01006507", 1, &old), LOC_OK);
    assert_int_equal(old, -1);
    assert_int_equal(loc_strmap_put(m, "", 2, NULL), LOC_OK);
    assert_int_equal(loc_strmap_count(m), 3);

    /* A repeated key keeps its first value and reports it. */
    assert_int_equal(loc_strmap_put(m, "S01006506", 7, &old), LOC_OK);
    assert_int_equal(old, 0);
    assert_int_equal(loc_strmap_put(m, "S01006507", 8, NULL), LOC_OK);
    assert_int_equal(loc_strmap_count(m), 3);
    assert_int_equal(loc_strmap_get(m, "S01006506"), 0);
    assert_int_equal(loc_strmap_get(m, "S01006507"), 1);
    assert_int_equal(loc_strmap_get(m, ""), 2);

    /* Keys compare by content, not by pointer, and exactly. */
    char copy[] = "S01006507";
    assert_int_equal(loc_strmap_get(m, copy), 1);
    assert_int_equal(loc_strmap_get(m, "s01006507"), -1);
    assert_int_equal(loc_strmap_get(m, "S0100650"), -1);
    assert_int_equal(loc_strmap_get(m, "S010065070"), -1);

    /* Negative and large values are stored as given. */
    assert_int_equal(loc_strmap_put(m, "neg", -5, &old), LOC_OK);
    assert_int_equal(loc_strmap_get(m, "neg"), -5);
    assert_int_equal(loc_strmap_put(m, "big", 1L << 40, &old), LOC_OK);
    assert_true(loc_strmap_get(m, "big") == 1L << 40);

    loc_strmap_destroy(m);
    loc_strmap_destroy(NULL);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

static void test_growth(void **state)
{
    (void)state;
    enum { N = 100000 };
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_arena *a = loc_arena_create(ctx);
    const char **keys = malloc(N * sizeof *keys);
    for (long i = 0; i < N; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "S%08ld", i * 7919 % 1000003);
        keys[i] = loc_arena_strdup(a, buf);
        assert_non_null(keys[i]);
    }

    loc_strmap *m = loc_strmap_create(ctx, 1);
    assert_non_null(m);
    long calls = t.calls;
    for (long i = 0; i < N; i++) {
        long old;
        assert_int_equal(loc_strmap_put(m, keys[i], i, &old), LOC_OK);
        assert_int_equal(old, -1);
        if ((i & (i + 1)) == 0 || i == N - 1) {
            /* at every power of two, all keys so far are still found */
            for (long j = 0; j <= i; j += 1 + i / 64)
                assert_int_equal(loc_strmap_get(m, keys[j]), j);
        }
    }
    /* 16 slots doubled while kept at most half full: 2^18 slots. */
    assert_int_equal(t.calls - calls, 14);
    assert_int_equal(loc_strmap_count(m), N);

    /* Against the reference: the array position of each key. */
    for (long i = 0; i < N; i++)
        assert_int_equal(loc_strmap_get(m, keys[i]), i);
    for (long i = 0; i < N; i++) {
        long old;
        assert_int_equal(loc_strmap_put(m, keys[i], -1, &old), LOC_OK);
        assert_int_equal(old, i);
    }
    assert_int_equal(loc_strmap_count(m), N);
    char absent[32];
    for (long i = 0; i < 1000; i++) {
        snprintf(absent, sizeof absent, "T%08ld", i);
        assert_int_equal(loc_strmap_get(m, absent), -1);
    }
    loc_strmap_destroy(m);

    /* Sized for the keys up front, it never grows. */
    m = loc_strmap_create(ctx, N);
    assert_non_null(m);
    calls = t.calls;
    for (long i = 0; i < N; i++)
        assert_int_equal(loc_strmap_put(m, keys[i], i, NULL), LOC_OK);
    assert_int_equal(t.calls, calls);
    assert_int_equal(loc_strmap_count(m), N);
    assert_int_equal(loc_strmap_get(m, keys[N / 2]), N / 2);
    loc_strmap_destroy(m);

    free(keys);
    loc_arena_destroy(a);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

static void test_enomem(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    t.fail_after = t.calls;
    assert_null(loc_strmap_create(ctx, 10));
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    t.fail_after = t.calls + 1; /* the map but not its slots */
    assert_null(loc_strmap_create(ctx, 10));
    assert_int_equal(t.live, 1);
    t.fail_after = -1;

    /* A failed rehash leaves the map as it was. */
    loc_strmap *m = loc_strmap_create(ctx, 0);
    char keys[8][4];
    for (int i = 0; i < 8; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        assert_int_equal(loc_strmap_put(m, keys[i], i, NULL), LOC_OK);
    }
    t.fail_after = t.calls;
    long old = 99;
    assert_int_equal(loc_strmap_put(m, "k8", 8, &old), LOC_ENOMEM);
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    assert_int_equal(loc_strmap_count(m), 8);
    assert_int_equal(loc_strmap_get(m, "k8"), -1);
    /* A repeated key needs no memory. */
    assert_int_equal(loc_strmap_put(m, keys[3], 30, &old), LOC_OK);
    assert_int_equal(old, 3);
    for (int i = 0; i < 8; i++)
        assert_int_equal(loc_strmap_get(m, keys[i]), i);
    t.fail_after = -1;
    assert_int_equal(loc_strmap_put(m, "k8", 8, &old), LOC_OK);
    assert_int_equal(old, -1);
    assert_int_equal(loc_strmap_get(m, "k8"), 8);
    loc_strmap_destroy(m);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

/* Indices in code order, equal codes by index; a failed allocation is
 * LOC_ENOMEM. */
static void test_order_by_code(void **state)
{
    (void)state;
    const char *codes[] = {"S02", "S01", "S03", "S01", ""};
    uint32_t order[5];
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    assert_int_equal(loc_order_by_code(ctx, codes, 5, order), LOC_OK);
    uint32_t want[] = {4, 1, 3, 0, 2};
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], want[i]);
    assert_int_equal(loc_order_by_code(ctx, codes, 0, order), LOC_OK);
    ta.fail_after = ta.calls;
    assert_int_equal(loc_order_by_code(ctx, codes, 5, order), LOC_ENOMEM);
    ta.fail_after = -1;
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_order_by_code),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_enomem),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
