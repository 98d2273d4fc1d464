/*
 * Tests for the null experiment (calibrate.h) on the real Stirling data,
 * intermediate zones as localities: the result does not hang on the thread
 * count, the shares are shares and fall as the domain threshold rises,
 * a within-council shuffle keeps each council's totals (so the Scotland
 * values of the shuffled assessments are the real ones), and bad calls are
 * refused with a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/calibrate.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

typedef struct fx {
    loc_ctx *ctx;
    loc_csv *csv;
    loc_spec *spec;
    loc_lookup *lk;
    loc_zones *z;
    loc_partition *p;
} fx;

static void load(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = loc_ctx_create(NULL);
    assert_non_null(f->csv = loc_csv_read(f->ctx, LOC_DATA_DIR "/stirling/simd2020v2_stirling.csv"));
    assert_non_null(f->spec = loc_spec_read(f->ctx, LOC_DATA_DIR "/specs/simd2020v2.csv"));
    assert_non_null(f->lk = loc_lookup_read(f->ctx, LOC_DATA_DIR "/stirling/lookup_stirling.csv", NULL));
    const loc_lookup *ls[] = {f->lk};
    assert_non_null(f->z = loc_zones_join(f->ctx, NULL, f->csv, f->spec, ls, 1, NULL, NULL));
    assert_non_null(f->p = loc_partition_from_lookup(f->ctx, f->z, f->lk, "iz11_code"));
}

static void unload(fx *f)
{
    loc_partition_destroy(f->p);
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->lk);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->csv);
    loc_ctx_destroy(f->ctx);
}

static void test_threads_and_shares(void **state)
{
    (void)state;
    fx f;
    load(&f);
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95; /* flags enough to see under the null on 24 localities */
    loc_null_result a, b;
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 30, 7, 1, 0, &a), LOC_OK);
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 30, 7, 2, 0, &b), LOC_OK);
    assert_int_equal(a.shuffles, 30);
    assert_int_equal(a.localities, 24);
    assert_int_equal(a.ndomains, 6);
    /* the same shuffles, whatever the threads */
    assert_memory_equal(&a, &b, sizeof a);
    for (size_t k = 1; k <= a.ndomains; k++) {
        assert_true(a.plan_k[k] >= 0 && a.plan_k[k] <= 1);
        assert_true(a.plan_k_max[k] >= a.plan_k[k]);
        if (k > 1)
            assert_true(a.plan_k[k] <= a.plan_k[k - 1] && a.domains_k[k] <= a.domains_k[k - 1]);
        /* the whole rule flags at least what either route does */
        assert_true(a.plan_k[k] + 1e-12 >= a.share_route && a.plan_k[k] + 1e-12 >= a.domains_k[k]);
    }
    assert_true(a.cell_poorer[0] > 0 && a.cell_poorer[0] < 0.2);
    /* another seed, other shuffles */
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 30, 8, 2, 0, &b), LOC_OK);
    assert_true(memcmp(&a, &b, sizeof a) != 0);
    unload(&f);
}

/* Stirling is one council: shuffling within it and across the table (all
 * of it Stirling here) draw from the same zones, so both nulls agree in
 * kind; the Scotland comparator's values stay the real ones because a
 * shuffle moves values between zones of the table only. */
static void test_scopes(void **state)
{
    (void)state;
    fx f;
    load(&f);
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    loc_null_result w, x;
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 20, 3, 2, 0, &w), LOC_OK);
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 20, 3, 2, 1, &x), LOC_OK);
    assert_memory_equal(&w, &x, sizeof w); /* one council: the same groups, the same shuffles */
    /* at the defaults the rule's error under the null stays small */
    assert_true(w.plan_k[o.plan_min_domains] <= 0.10);
    unload(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    fx f;
    load(&f);
    loc_null_result r;
    assert_int_equal(loc_null_experiment(f.ctx, f.z, f.p, NULL, 0, 1, 1, 0, &r), LOC_EINVAL);
    assert_string_equal(loc_errmsg(f.ctx), "null experiment: no shuffles asked for");
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 2;
    assert_int_not_equal(loc_null_experiment(f.ctx, f.z, f.p, &o, 5, 1, 1, 0, &r), LOC_OK);
    assert_non_null(strstr(loc_errmsg(f.ctx), "confidence must lie between 0 and 1"));
    unload(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_and_shares),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_refusals),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
