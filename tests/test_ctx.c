/*
 * Tests for the engine context: creation and destruction, the last error
 * and its formatting, the diagnostics callback, the allocation helpers
 * (overflow checks, loc_grow), the string arena, and allocation failures
 * injected through the allocator hooks into every constructor of the
 * low-level modules (table reader, spec reader, lookup, string map).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/strmap.h"
#include "internal.h"
#include "test_util.h"

#include <cpl_error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Context and errors
 * --------------------------------------------------------------------- */

static void test_create_destroy(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_non_null(ctx);
    assert_int_equal(loc_errcode(ctx), LOC_OK);
    assert_string_equal(loc_errmsg(ctx), "");
    assert_non_null(loc_geos(ctx));
    assert_non_null(loc_proj(ctx));
    loc_ctx_destroy(ctx);
    loc_ctx_destroy(NULL);
}

static void test_create_with_allocator(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    assert_int_equal(t.live, 1); /* the context itself */
    void *p = loc_malloc(ctx, 10);
    assert_non_null(p);
    assert_int_equal(t.live, 2);
    loc_free(ctx, p);
    loc_free(ctx, NULL);
    assert_int_equal(t.live, 1);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);

    /* An allocator with a hook missing falls back to the C library's. */
    test_alloc u = {.fail_after = -1};
    loc_allocator half = {alloc_realloc, NULL, &u};
    ctx = loc_ctx_create(&half);
    assert_non_null(ctx);
    p = loc_malloc(ctx, 10);
    assert_non_null(p);
    assert_int_equal(u.calls, 0);
    loc_free(ctx, p);
    loc_ctx_destroy(ctx);

    /* The context itself cannot be allocated. */
    u.fail_after = 0;
    loc_allocator none = {alloc_realloc, alloc_free, &u};
    assert_null(loc_ctx_create(&none));
    assert_int_equal(u.failures, 1);
    assert_int_equal(u.live, 0);
}

static void test_error(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_int_equal(loc_error(ctx, LOC_EDATA, "'%s' line %zu: population is not a number: '%s'", "dz.csv",
                               (size_t)812, "n/a"),
                     LOC_EDATA);
    assert_int_equal(loc_errcode(ctx), LOC_EDATA);
    assert_string_equal(loc_errmsg(ctx), "'dz.csv' line 812: population is not a number: 'n/a'");

    /* A later error replaces the earlier one. */
    assert_int_equal(loc_error(ctx, LOC_EIO, "cannot open '%s'", "x"), LOC_EIO);
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_string_equal(loc_errmsg(ctx), "cannot open 'x'");

    loc_clear_error(ctx);
    assert_int_equal(loc_errcode(ctx), LOC_OK);
    assert_string_equal(loc_errmsg(ctx), "");

    /* Long messages are truncated to the buffer, NUL-terminated. */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    loc_error(ctx, LOC_ELIMIT, "%s", big);
    assert_int_equal(strlen(loc_errmsg(ctx)), LOC_ERRMSG_MAX - 1);
    assert_int_equal(loc_errcode(ctx), LOC_ELIMIT);
    loc_ctx_destroy(ctx);
}

static void test_strstatus(void **state)
{
    (void)state;
    assert_string_equal(loc_strstatus(LOC_OK), "ok");
    assert_string_equal(loc_strstatus(LOC_ENOMEM), "out of memory");
    assert_string_equal(loc_strstatus(LOC_EIO), "input/output error");
    assert_string_equal(loc_strstatus(LOC_EPARSE), "malformed input");
    assert_string_equal(loc_strstatus(LOC_EDATA), "invalid data");
    assert_string_equal(loc_strstatus(LOC_EGEOM), "geometry error");
    assert_string_equal(loc_strstatus(LOC_ECRS), "coordinate reference system error");
    assert_string_equal(loc_strstatus(LOC_ELIMIT), "input too large");
    assert_string_equal(loc_strstatus(LOC_EINVAL), "invalid argument");
    assert_string_equal(loc_strstatus((loc_status)99), "unknown status");
}

typedef struct reports {
    int n;
    loc_level level[4];
    char msg[4][LOC_ERRMSG_MAX];
} reports;

static void collect(void *ud, loc_level level, const char *msg)
{
    reports *r = ud;
    if (r->n < 4) {
        r->level[r->n] = level;
        snprintf(r->msg[r->n], sizeof r->msg[r->n], "%s", msg);
    }
    r->n++;
}

static void test_report(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    /* Without a callback, diagnostics are dropped. */
    loc_report(ctx, LOC_WARN, "dropped %d", 1);

    reports r = {0};
    loc_ctx_set_report(ctx, collect, &r);
    loc_report(ctx, LOC_WARN, "zone '%s' repaired", "S01006506");
    loc_report(ctx, LOC_INFO, "%d zones read", 6976);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.level[0], LOC_WARN);
    assert_string_equal(r.msg[0], "zone 'S01006506' repaired");
    assert_int_equal(r.level[1], LOC_INFO);
    assert_string_equal(r.msg[1], "6976 zones read");
    /* Reports do not touch the last error. */
    assert_int_equal(loc_errcode(ctx), LOC_OK);

    loc_ctx_set_report(ctx, NULL, NULL);
    loc_report(ctx, LOC_WARN, "dropped again");
    assert_int_equal(r.n, 2);
    loc_ctx_destroy(ctx);
}

/* ---------------------------------------------------------------------
 * Allocation helpers
 * --------------------------------------------------------------------- */

static void test_calloc_overflow(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    long calls = t.calls;
    assert_null(loc_calloc(ctx, SIZE_MAX / 2, 4));
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    char expect[128];
    snprintf(expect, sizeof expect, "out of memory (%zu x 4 bytes)", SIZE_MAX / 2);
    assert_string_equal(loc_errmsg(ctx), expect);
    assert_int_equal(t.calls, calls); /* refused before reaching the allocator */

    loc_clear_error(ctx);
    unsigned char *p = loc_calloc(ctx, 7, 3);
    assert_non_null(p);
    for (int i = 0; i < 21; i++)
        assert_int_equal(p[i], 0);
    loc_free(ctx, p);
    /* Zero elements is a valid, freeable allocation. */
    p = loc_calloc(ctx, 0, 8);
    assert_non_null(p);
    loc_free(ctx, p);

    /* An allocator failure sets the error with the size. */
    t.fail_after = t.calls;
    assert_null(loc_malloc(ctx, 100));
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    assert_string_equal(loc_errmsg(ctx), "out of memory (100 bytes)");
    assert_null(loc_calloc(ctx, 10, 10));
    assert_string_equal(loc_errmsg(ctx), "out of memory (100 bytes)");
    assert_null(loc_strdup(ctx, "abc"));
    assert_string_equal(loc_errmsg(ctx), "out of memory (4 bytes)");
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

static void alloc_realloc_strdup(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    char *s = loc_strdup(ctx, "hello");
    assert_string_equal(s, "hello");
    char *p = loc_realloc(ctx, s, 1000);
    assert_non_null(p);
    assert_string_equal(p, "hello");
    t.fail_after = t.calls;
    assert_null(loc_realloc(ctx, p, 2000));
    assert_string_equal(loc_errmsg(ctx), "out of memory (2000 bytes)");
    assert_string_equal(p, "hello"); /* still valid */
    loc_free(ctx, p);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

static void test_grow(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    int *arr = NULL;
    size_t cap = 0;
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, 1, sizeof *arr), LOC_OK);
    assert_int_equal(cap, 16);
    for (int i = 0; i < 16; i++)
        arr[i] = i;
    long calls = t.calls;
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, 16, sizeof *arr), LOC_OK);
    assert_int_equal(t.calls, calls); /* no allocation when big enough */
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, 17, sizeof *arr), LOC_OK);
    assert_int_equal(cap, 32);
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, 100, sizeof *arr), LOC_OK);
    assert_int_equal(cap, 128);
    for (int i = 0; i < 16; i++)
        assert_int_equal(arr[i], i);

    /* Failure leaves the array and capacity unchanged. */
    int *before = arr;
    t.fail_after = t.calls;
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, 129, sizeof *arr), LOC_ENOMEM);
    assert_ptr_equal(arr, before);
    assert_int_equal(cap, 128);
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    assert_string_equal(loc_errmsg(ctx), "out of memory (1024 bytes)");
    t.fail_after = -1;

    /* A size that would overflow is refused before allocating. */
    calls = t.calls;
    assert_int_equal(loc_grow(ctx, (void **)&arr, &cap, SIZE_MAX / 4, 8), LOC_ENOMEM);
    char expect[128];
    snprintf(expect, sizeof expect, "out of memory (array of %zu)", SIZE_MAX / 4);
    assert_string_equal(loc_errmsg(ctx), expect);
    assert_int_equal(t.calls, calls);
    assert_int_equal(cap, 128);
    loc_free(ctx, arr);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

/* ---------------------------------------------------------------------
 * Arena
 * --------------------------------------------------------------------- */

static void test_arena(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_arena *a = loc_arena_create(ctx);
    assert_non_null(a);
    assert_int_equal(loc_arena_bytes(a), 0);

    /* Many small strings: all kept, none moved. */
    enum { N = 20000 };
    char **ptrs = malloc(N * sizeof *ptrs);
    for (int i = 0; i < N; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "S%08d", i);
        ptrs[i] = loc_arena_strdup(a, buf);
        assert_non_null(ptrs[i]);
    }
    for (int i = 0; i < N; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "S%08d", i);
        assert_string_equal(ptrs[i], buf);
    }
    /* 20000 x 10 bytes fill four 64 KiB blocks. */
    size_t bytes = loc_arena_bytes(a);
    size_t header = bytes / 4 - 65536;
    assert_int_equal(bytes, 4 * (65536 + header));
    assert_true(header > 0 && header <= 64);
    assert_int_equal(t.live, 1 + 1 + 4); /* context, arena, blocks */

    /* A string larger than a block gets a block of its own, and the
     * current block keeps filling. */
    size_t big_len = 200000;
    char *big = malloc(big_len + 1);
    memset(big, 'z', big_len);
    big[big_len] = '\0';
    char *s = loc_arena_strndup(a, big, big_len);
    assert_non_null(s);
    assert_memory_equal(s, big, big_len + 1);
    assert_int_equal(loc_arena_bytes(a), bytes + header + big_len + 1);
    bytes = loc_arena_bytes(a);
    char *small = loc_arena_strdup(a, "after");
    assert_string_equal(small, "after");
    assert_int_equal(loc_arena_bytes(a), bytes);
    assert_ptr_equal(small, ptrs[N - 1] + 10); /* right after the last small string */

    /* strndup copies exactly len bytes, embedded text after ignored. */
    assert_string_equal(loc_arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(loc_arena_strdup(a, ""), "");

    /* Allocation failure: NULL, error set, arena still usable. */
    t.fail_after = t.calls;
    assert_null(loc_arena_strndup(a, big, big_len));
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    t.fail_after = -1;
    assert_string_equal(loc_arena_strdup(a, "still"), "still");
    for (int i = 0; i < N; i++)
        assert_int_equal(ptrs[i][0], 'S');

    loc_arena_destroy(a);
    loc_arena_destroy(NULL);
    assert_int_equal(t.live, 1);
    free(big);
    free(ptrs);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

static void test_arena_big_first(void **state)
{
    (void)state;
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_arena *a = loc_arena_create(ctx);
    char big[70000];
    memset(big, 'q', sizeof big);
    char *s = loc_arena_strndup(a, big, sizeof big);
    assert_non_null(s);
    assert_int_equal(s[sizeof big], '\0');
    size_t header = loc_arena_bytes(a) - (sizeof big + 1);
    assert_true(header > 0 && header <= 64);
    char *x = loc_arena_strdup(a, "x");
    assert_string_equal(x, "x");
    assert_int_equal(loc_arena_bytes(a), 2 * header + sizeof big + 1 + 65536);
    assert_int_equal(s[0], 'q');
    loc_arena_destroy(a);
    t.fail_after = t.calls;
    assert_null(loc_arena_create(ctx));
    assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

/* ---------------------------------------------------------------------
 * Allocation failures in every constructor
 * --------------------------------------------------------------------- */

static const char csv_text[] =
    "\xEF\xBB\xBF" "code,name,value\r\n"
    "S01,\"Alpha, North\",\"4,726\"\r\n"
    "S02,\"Beta \"\"B\"\"\",8%\r\n"
    "S03,\"Gamma\nline two\",1\r\n"
    ",,\r\n"
    "# footnote\r\n";

/* csv_text followed by enough rows to grow every array several times. */
static char csv_big[4096];

static void *make_csv(loc_ctx *ctx, void *arg)
{
    (void)arg;
    return loc_csv_parse(ctx, "t.csv", csv_big, strlen(csv_big));
}

static void free_csv(void *p) { loc_csv_destroy(p); }

static void test_enomem_csv(void **state)
{
    (void)state;
    size_t k = (size_t)snprintf(csv_big, sizeof csv_big, "%s", csv_text);
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(csv_big + k, sizeof csv_big - k, "R%d,,%d\n", i, i);
    assert_true(k < sizeof csv_big - 1);
    long used = test_alloc_failures(make_csv, free_csv, NULL);
    assert_true(used >= 10); /* table, name, and growth of text, cells and lines */
}

static const char spec_text[] =
    "name,label,type,numerator,denominator,value,weight,threshold,per,worse,method\n"
    "zone,Data zone,zone,,,Data_Zone,,,,,\n"
    "population,Total population,population,,,Total_population,,,,,\n"
    "council,Council area,council,,,Council_area,,,,,\n"
    "income,Income deprived,proportion,income_count,Total_population,,,,,higher,\n"
    "crime,\"Crimes per 10,000\",rate,crime_count,Total_population,,,,10000,higher,\n"
    "smr,SMR,ratio,,,SMR,Total_population,,,higher,normal\n"
    "gp,Drive time,mean,,,drive_GP,,,,higher,none\n"
    "q1,Most deprived,share,,,Quintile,,1,,higher,\n";

static void *make_spec(loc_ctx *ctx, void *arg)
{
    (void)arg;
    return loc_spec_parse(ctx, "s.csv", spec_text, sizeof spec_text - 1);
}

static void free_spec(void *p) { loc_spec_destroy(p); }

static void test_enomem_spec(void **state)
{
    (void)state;
    test_alloc_failures(make_spec, free_spec, NULL);
}

static const char lookup_text[] =
    "dz11_code,iz11_code,iz11_name\n"
    "S01,S02A,North\n"
    "S02,S02A,North\n"
    "S01,S02A,North\n"
    "S03,S02B,South\n";

static void *make_lookup(loc_ctx *ctx, void *arg)
{
    return loc_lookup_parse(ctx, "l.csv", lookup_text, sizeof lookup_text - 1, arg);
}

static void free_lookup(void *p) { loc_lookup_destroy(p); }

static void test_enomem_lookup(void **state)
{
    (void)state;
    test_alloc_failures(make_lookup, free_lookup, NULL);
    test_alloc_failures(make_lookup, free_lookup, "x|DZ11_CODE");
}

/* A map filled with enough keys to rehash several times; each put is
 * checked, and the map is returned only when every put succeeded. */
static char strmap_keys[200][8];

static void *make_strmap(loc_ctx *ctx, void *arg)
{
    (void)arg;
    loc_strmap *m = loc_strmap_create(ctx, 4);
    if (!m)
        return NULL;
    for (long i = 0; i < 200; i++) {
        long old = 99;
        if (loc_strmap_put(m, strmap_keys[i], i, &old) != LOC_OK) {
            assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
            /* the failed key is absent, earlier keys intact */
            assert_int_equal(loc_strmap_get(m, strmap_keys[i]), -1);
            assert_int_equal(loc_strmap_count(m), (size_t)i);
            for (long j = 0; j < i; j++)
                assert_int_equal(loc_strmap_get(m, strmap_keys[j]), j);
            loc_strmap_destroy(m);
            return NULL;
        }
        assert_int_equal(old, -1);
    }
    return m;
}

static void free_strmap(void *p) { loc_strmap_destroy(p); }

static void test_enomem_strmap(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++)
        snprintf(strmap_keys[i], sizeof strmap_keys[i], "k%d", i);
    long used = test_alloc_failures(make_strmap, free_strmap, NULL);
    assert_true(used >= 5); /* map, slots, and rehashes */
}

static void test_enomem_arena(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        test_alloc t;
        loc_ctx *ctx = test_ctx(&t);
        t.fail_after = t.calls + n;
        loc_arena *a = loc_arena_create(ctx);
        int ok = a != NULL;
        for (int i = 0; ok && i < 3; i++)
            ok = loc_arena_strndup(a, "0123456789", i == 1 ? 10 : 3) != NULL;
        char big[70000] = {0};
        if (ok)
            ok = loc_arena_strndup(a, big, sizeof big) != NULL;
        if (!ok)
            assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
        loc_arena_destroy(a);
        loc_ctx_destroy(ctx);
        assert_int_equal(t.live, 0);
        if (ok) {
            assert_int_equal(n, 3); /* arena, one block, the big block */
            break;
        }
    }
}

/* The GDAL bridge: failures land in the context's library message (the
 * first or the latest), a full disk in SQLite's words becomes the cause,
 * warnings are not failures, and pop restores GDAL's own handler. */
static void test_gdal_errors(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_non_null(ctx);
    loc_gdal_init();
    loc_gdal_errors e;
    loc_lib_clear(ctx);
    loc_gdal_errors_push(&e, ctx, 1);
    CPLError(CE_Warning, CPLE_AppDefined, "only a warning");
    assert_int_equal(e.failed, 0);
    CPLError(CE_Failure, CPLE_AppDefined, "sqlite3_exec(INSERT INTO t VALUES (1)) failed: database or disk is full");
    CPLError(CE_Failure, CPLE_AppDefined, "a second failure");
    loc_gdal_errors_pop();
    assert_int_equal(e.failed, 1);
    assert_string_equal(loc_lib_msg(ctx), "no space left on device");
    loc_gdal_errors_push(&e, ctx, 0);
    CPLError(CE_Failure, CPLE_AppDefined, "first");
    CPLError(CE_Failure, CPLE_AppDefined, "latest");
    loc_gdal_errors_pop();
    assert_string_equal(loc_lib_msg(ctx), "latest");
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_destroy),
        cmocka_unit_test(test_gdal_errors),
        cmocka_unit_test(test_create_with_allocator),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_strstatus),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_calloc_overflow),
        cmocka_unit_test(alloc_realloc_strdup),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_arena_big_first),
        cmocka_unit_test(test_enomem_csv),
        cmocka_unit_test(test_enomem_spec),
        cmocka_unit_test(test_enomem_lookup),
        cmocka_unit_test(test_enomem_strmap),
        cmocka_unit_test(test_enomem_arena),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
