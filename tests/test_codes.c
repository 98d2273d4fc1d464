/*
 * Tests for locality codes: derived from member zones (the same zones give
 * the same code whatever the numbering; a council's codes widen together
 * on a collision), kept from an earlier run by residents' overlap (an
 * unchanged locality keeps its code, one zone moved keeps the codes of
 * localities that stay nearly the same, a threshold refuses the rest),
 * bad thresholds and allocation failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/codes.h"
#include "localities/sha256.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n";

/* Residents: Z1 1000, Z2 50, Z3 500 in C1; Z4 700, Z5 300, Z6 0 in C2. */
static const char IND[] = "Data_Zone,Total_population,income_count\n"
                          "Z1,1000,100\nZ2,50,5\nZ3,500,50\nZ4,700,70\nZ5,300,30\nZ6,0,0\n";

static const char COUNCILS[] = "dz11_code,ca_code,ca_name\nZ1,C1,Alpha\nZ2,C1,Alpha\nZ3,C1,Alpha\n"
                               "Z4,C2,Beta\nZ5,C2,Beta\nZ6,C2,Beta\n";

/* An earlier run: A = {Z1, Z2}, B = {Z3}, C = {Z4, Z5, Z6}. */
static const char EARLIER[] = "zone_code,locality_code,locality_name\nZ1,C1-aaaaaa,A\nZ2,C1-aaaaaa,A\n"
                              "Z3,C1-bbbbbb,B\nZ4,C2-cccccc,C\nZ5,C2-cccccc,C\nZ6,C2-cccccc,C\n";

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *councils, *earlier;
    loc_zones *z;
    loc_grouping *g;
} fx;

static void fx_load(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", IND, strlen(IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    assert_non_null(f->councils = loc_lookup_parse(f->ctx, "councils.csv", COUNCILS, strlen(COUNCILS), NULL));
    assert_non_null(f->earlier = loc_lookup_parse(f->ctx, "zones.csv", EARLIER, strlen(EARLIER), "zone_code"));
    const loc_lookup *l[] = {f->councils};
    loc_join_opts o = {0};
    assert_non_null(f->z = loc_zones_join(f->ctx, NULL, f->ind, f->spec, l, 1, &o, NULL));
    assert_non_null(f->g = loc_zones_grouping(f->ctx, f->z, f->earlier, "locality_code"));
}

static void fx_free(fx *f)
{
    loc_grouping_destroy(f->g);
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->councils);
    loc_lookup_destroy(f->earlier);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_ctx_destroy(f->ctx);
    assert_int_equal(f->ta.live, 0);
}

/* A partition from a locality per zone code Z1..Z6. */
static loc_partition *make(fx *f, const int32_t byzone[6], size_t nloc)
{
    int32_t label[6];
    const char *codes[6] = {"p0", "p1", "p2", "p3", "p4", "p5"};
    for (size_t i = 0; i < loc_zones_count(f->z); i++) {
        const char *code = loc_zones_code(f->z, i);
        label[i] = byzone[code[1] - '1'];
    }
    return loc_partition_create(f->ctx, f->z, label, nloc, codes, NULL);
}

static void expect_code(const char *council, const char *members, const char *got)
{
    char hex[65], want[32];
    loc_sha256_hex(members, strlen(members), hex);
    snprintf(want, sizeof want, "%s-%.6s", council, hex);
    assert_string_equal(got, want);
}

static void test_derive(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    const int32_t a[6] = {0, 0, 1, 2, 2, 2}, b[6] = {2, 2, 0, 1, 1, 1};
    loc_partition *pa = make(&f, a, 3), *pb = make(&f, b, 3);
    assert_non_null(pa);
    assert_non_null(pb);
    char **ca = NULL, **cb = NULL;
    assert_int_equal(loc_codes_derive(f.ctx, pa, &ca), LOC_OK);
    assert_int_equal(loc_codes_derive(f.ctx, pb, &cb), LOC_OK);
    expect_code("C1", "Z1\nZ2\n", ca[0]);
    expect_code("C1", "Z3\n", ca[1]);
    expect_code("C2", "Z4\nZ5\nZ6\n", ca[2]);
    /* the same localities numbered otherwise: the same codes */
    assert_string_equal(cb[2], ca[0]);
    assert_string_equal(cb[0], ca[1]);
    assert_string_equal(cb[1], ca[2]);
    loc_codes_free(f.ctx, ca, 3);
    loc_codes_free(f.ctx, cb, 3);
    loc_codes_free(f.ctx, NULL, 0);
    loc_partition_destroy(pa);
    loc_partition_destroy(pb);
    fx_free(&f);
}

static void test_keep(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    /* unchanged: every code kept */
    const int32_t same[6] = {0, 0, 1, 2, 2, 2};
    loc_partition *p = make(&f, same, 3), *k = NULL;
    size_t kept = 0;
    assert_non_null(k = loc_codes_keep(f.ctx, p, f.g, 0.9, &kept));
    assert_int_equal(kept, 3);
    assert_string_equal(loc_partition_code(k, 0), "C1-aaaaaa");
    assert_string_equal(loc_partition_code(k, 1), "C1-bbbbbb");
    assert_string_equal(loc_partition_code(k, 2), "C2-cccccc");
    loc_partition_destroy(k);
    loc_partition_destroy(p);
    /* Z2 (50 residents) moved from A to B: A' = {Z1} overlaps A by
     * 1000 / 1050 = 0.95, B' = {Z2, Z3} overlaps B by 500 / 550 = 0.91;
     * C untouched */
    const int32_t moved[6] = {0, 1, 1, 2, 2, 2};
    p = make(&f, moved, 3);
    assert_non_null(k = loc_codes_keep(f.ctx, p, f.g, 0.9, &kept));
    assert_int_equal(kept, 3);
    assert_string_equal(loc_partition_code(k, 0), "C1-aaaaaa");
    assert_string_equal(loc_partition_code(k, 1), "C1-bbbbbb");
    assert_string_equal(loc_partition_code(k, 2), "C2-cccccc");
    loc_partition_destroy(k);
    /* at 0.95 B' changed too much: its own code stays */
    assert_non_null(k = loc_codes_keep(f.ctx, p, f.g, 0.95, &kept));
    assert_int_equal(kept, 2);
    assert_string_equal(loc_partition_code(k, 0), "C1-aaaaaa");
    assert_string_equal(loc_partition_code(k, 1), "p1");
    assert_string_equal(loc_partition_code(k, 2), "C2-cccccc");
    loc_partition_destroy(k);
    /* thresholds that would not be one to one, or impossible */
    assert_null(loc_codes_keep(f.ctx, p, f.g, 0.5, &kept));
    assert_int_equal(loc_errcode(f.ctx), LOC_EINVAL);
    assert_string_equal(loc_errmsg(f.ctx), "the overlap that keeps a code must be above 0.5 and at most 1, not 0.5");
    assert_null(loc_codes_keep(f.ctx, p, f.g, 1.5, NULL));
    loc_partition_destroy(p);
    fx_free(&f);
}

static void test_codes_alloc(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    const int32_t moved[6] = {0, 1, 1, 2, 2, 2};
    loc_partition *p = make(&f, moved, 3);
    for (long n = 0;; n++) {
        f.ta.fail_after = f.ta.calls + n;
        long live = f.ta.live;
        char **codes = NULL;
        loc_status st = loc_codes_derive(f.ctx, p, &codes);
        f.ta.fail_after = -1;
        if (st == LOC_OK) {
            loc_codes_free(f.ctx, codes, 3);
            break;
        }
        assert_int_equal(st, LOC_ENOMEM);
        assert_null(codes);
        assert_int_equal(f.ta.live, live);
    }
    for (long n = 0;; n++) {
        f.ta.fail_after = f.ta.calls + n;
        long live = f.ta.live;
        loc_partition *k = loc_codes_keep(f.ctx, p, f.g, 0.9, NULL);
        f.ta.fail_after = -1;
        if (k) {
            loc_partition_destroy(k);
            break;
        }
        assert_int_equal(loc_errcode(f.ctx), LOC_ENOMEM);
        assert_int_equal(f.ta.live, live);
    }
    loc_partition_destroy(p);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_keep),
        cmocka_unit_test(test_codes_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
