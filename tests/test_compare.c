/*
 * Tests for the comparison across releases (compare.h) on the embedded
 * Stirling data: two releases of the same localities judged by different
 * rules, a locality only one release has, a key indicator one spec lacks;
 * the table's header, cells and courses checked against the assessments
 * themselves; refusals, a file that cannot be written, and allocation
 * failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/compare.h"
#include "localities/csv.h"
#include "localities/pipeline.h"
#include "localities/stats.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STIRLING LOC_DATA_DIR "/stirling/"

static const char *const LOOKUPS[] = {STIRLING "lookup_stirling.csv"};
static const char *const KEY[] = {"income", "nonesuch"};

typedef struct fx {
    loc_ctx *ctx;
    loc_inputs in;
    loc_problem p;
    loc_partition *half;  /* the localities with the first one left out */
    loc_assess *a, *b, *h;
} fx;

static void fx_make(fx *f)
{
    memset(f, 0, sizeof *f);
    REQUIRE_DATA(STIRLING "dz2011_stirling.gpkg");
    f->ctx = loc_ctx_create(NULL);
    loc_input_files files = {.boundaries = STIRLING "dz2011_stirling.gpkg",
                             .indicators = STIRLING "simd2020v2_stirling.csv",
                             .spec = LOC_DATA_DIR "/specs/simd2020v2.csv",
                             .lookups = LOOKUPS,
                             .nlookups = 1};
    assert_int_equal(loc_inputs_load(f->ctx, &files, &f->in), LOC_OK);
    loc_problem_opts o = {0};
    loc_graph_opts_init(&o.graph);
    loc_build_opts_init(&o.build);
    o.build.threads = 1;
    assert_int_equal(loc_problem_build(f->ctx, &f->in, &o, &f->p), LOC_OK);
    loc_assess_opts ao;
    loc_assess_opts_init(&ao);
    assert_non_null(f->a = loc_assess_run(f->ctx, f->in.zones, f->p.partition, &ao, f->p.graph, f->p.rows));
    ao.conf = 0.5; /* a looser rule: more flags */
    assert_non_null(f->b = loc_assess_run(f->ctx, f->in.zones, f->p.partition, &ao, f->p.graph, f->p.rows));
    /* the same localities but the first: its zones left out */
    const int32_t *lab = loc_partition_labels(f->p.partition);
    size_t nz = loc_zones_count(f->in.zones), nl = loc_partition_count(f->p.partition);
    int32_t *l2 = malloc(nz * sizeof *l2);
    const char **codes = malloc(nl * sizeof *codes), **names = malloc(nl * sizeof *names);
    for (size_t i = 0; i < nz; i++)
        l2[i] = lab[i] <= 0 ? -1 : lab[i] - 1;
    for (size_t k = 1; k < nl; k++) {
        codes[k - 1] = loc_partition_code(f->p.partition, k);
        names[k - 1] = loc_partition_name(f->p.partition, k);
    }
    f->half = loc_partition_create(f->ctx, f->in.zones, l2, nl - 1, codes, names);
    assert_non_null(f->half);
    free(l2);
    free(codes);
    free(names);
    loc_assess_opts_init(&ao);
    assert_non_null(f->h = loc_assess_run(f->ctx, f->in.zones, f->half, &ao, f->p.graph, f->p.rows));
}

static void fx_free(fx *f)
{
    loc_assess_destroy(f->a);
    loc_assess_destroy(f->b);
    loc_assess_destroy(f->h);
    loc_partition_destroy(f->half);
    loc_problem_free(&f->p);
    loc_inputs_free(&f->in);
    loc_ctx_destroy(f->ctx);
}

static size_t find_col(const loc_csv *c, const char *name)
{
    long k = loc_csv_column(c, name);
    if (k < 0)
        fail_msg("no column %s", name);
    return (size_t)k;
}

static void test_compare_table(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    const loc_partition *p = f.p.partition;
    size_t nl = loc_partition_count(p);
    loc_release *ra = loc_release_create(f.ctx, "strict", p, f.a, NULL, KEY, 2);
    loc_release *rb = loc_release_create(f.ctx, "loose", p, f.b, NULL, KEY, 2);
    loc_release *rh = loc_release_create(f.ctx, "part", f.half, f.h, NULL, KEY, 2);
    assert_non_null(ra);
    assert_non_null(rb);
    assert_non_null(rh);
    assert_int_equal(loc_release_count(ra), nl);
    assert_int_equal(loc_release_count(rh), nl - 1);

    char dir[512], path[600];
    assert_int_equal(test_tmpdir_create(dir, sizeof dir, "compare"), 0);
    snprintf(path, sizeof path, "%s/comparison.csv", dir);
    const loc_release *rel[] = {rh, ra, rb};
    loc_compare_summary sum;
    assert_int_equal(loc_compare_write_csv(f.ctx, rel, 3, KEY, 2, path, &sum), LOC_OK);
    assert_int_equal(sum.localities, nl);
    assert_int_equal(sum.count[0] + sum.count[1] + sum.count[2], nl);

    loc_csv *c = loc_csv_read(f.ctx, path);
    assert_non_null(c);
    assert_int_equal(loc_csv_ncols(c), 2 + 3 * (6 + 2 * 2) + 1);
    assert_int_equal(loc_csv_nrows(c), nl);
    /* rows in the order of first appearance: the part's first, then the
     * locality only the whole release has */
    assert_string_equal(loc_csv_field(c, nl - 1, 0), loc_partition_code(p, 0));
    size_t sp = find_col(c, "strict_plan_required"), lp = find_col(c, "loose_plan_required"),
           pp = find_col(c, "part_plan_required"), st = find_col(c, "status"),
           si = find_col(c, "strict_income"), sf = find_col(c, "strict_income_flag_scotland"),
           sn = find_col(c, "strict_nonesuch"), spc = find_col(c, "strict_poorer_council_rest"),
           spm = find_col(c, "strict_placed_by_most");
    assert_string_equal(loc_csv_field(c, nl - 1, pp), ""); /* the part lacks it */
    size_t ji = 0;
    while (strcmp(loc_zones_indicator(f.in.zones, ji)->name, "income") != 0)
        ji++;
    size_t flagged_strict = 0, flagged_loose = 0;
    for (size_t r = 0; r < nl; r++) {
        long k = loc_partition_find(p, loc_csv_field(c, r, 0));
        assert_true(k >= 0);
        int a = loc_assess_qualifies(f.a, (size_t)k), b = loc_assess_qualifies(f.b, (size_t)k);
        assert_int_equal(atoi(loc_csv_field(c, r, sp)), a);
        assert_int_equal(atoi(loc_csv_field(c, r, lp)), b);
        flagged_strict += a;
        flagged_loose += b;
        assert_int_equal((size_t)atoi(loc_csv_field(c, r, spc)), loc_assess_poorer(f.a, (size_t)k, LOC_CMP_COUNCIL_REST));
        const loc_assess_cell *cell = loc_assess_cell_get(f.a, (size_t)k, ji, LOC_CMP_SCOTLAND);
        assert_float_equal(atof(loc_csv_field(c, r, si)), cell->est.est, 1e-5 * fabs(cell->est.est) + 1e-9);
        assert_string_equal(loc_csv_field(c, r, sf), loc_stats_flag_name(cell->flag));
        assert_string_equal(loc_csv_field(c, r, sn), ""); /* not in the spec */
        assert_string_equal(loc_csv_field(c, r, spm), "0"); /* every zone its own: none by most */
        /* the course from the releases that judged it */
        int yes = 0, no = 0;
        for (int q = 0; q < 3; q++) {
            const char *v = loc_csv_field(c, r, q == 0 ? pp : q == 1 ? sp : lp);
            yes += v[0] == '1';
            no += v[0] == '0';
        }
        const char *want = yes && !no ? "persistently_poorer" : yes ? "changed" : "never";
        assert_string_equal(loc_csv_field(c, r, st), want);
    }
    assert_true(flagged_loose >= flagged_strict); /* the looser rule flags at least as many */
    assert_true(sum.count[LOC_COURSE_CHANGED] > 0 || flagged_loose == flagged_strict);
    loc_csv_destroy(c);

    /* refusals: other key indicators; a folder that is not there */
    assert_int_equal(loc_compare_write_csv(f.ctx, rel, 3, KEY, 1, path, NULL), LOC_EINVAL);
    assert_non_null(strstr(loc_errmsg(f.ctx), "part"));
    snprintf(path, sizeof path, "%s/missing/comparison.csv", dir);
    assert_int_equal(loc_compare_write_csv(f.ctx, rel, 3, KEY, 2, path, NULL), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(f.ctx), "missing/comparison.csv"));
    const char *many[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    assert_null(loc_release_create(f.ctx, "x", p, f.a, NULL, many, 9));
    assert_int_equal(loc_errcode(f.ctx), LOC_EINVAL);
    assert_string_equal(loc_course_name(LOC_COURSE_NEVER), "never");
    assert_string_equal(loc_course_name(LOC_COURSE_CHANGED), "changed");
    assert_string_equal(loc_course_name(LOC_COURSE_PERSISTENT), "persistently_poorer");

    test_tmpdir_remove(dir);
    loc_release_destroy(ra);
    loc_release_destroy(rb);
    loc_release_destroy(rh);
    loc_release_destroy(NULL);
    fx_free(&f);
}

/* Residents placed by most: the share of the locality's residents. */
static void test_compare_placed_by_most(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    const loc_partition *p = f.p.partition;
    size_t nz = loc_zones_count(f.in.zones);
    uint8_t *how = calloc(nz, 1);
    const int32_t *lab = loc_partition_labels(p);
    const double *pop = loc_zones_population(f.in.zones);
    /* in locality 0, its first zone placed by most */
    size_t nm;
    const uint32_t *mem = loc_partition_members(p, 0, &nm);
    for (size_t i = 0; i < nz; i++)
        how[i] = lab[i] >= 0 ? LOC_PLACED_EXACT : LOC_PLACED_NOT_STUDY;
    how[mem[0]] = LOC_PLACED_MOST;
    double total = 0;
    for (size_t q = 0; q < nm; q++)
        total += pop[mem[q]];
    loc_release *r = loc_release_create(f.ctx, "r", p, f.a, how, KEY, 1);
    assert_non_null(r);
    char dir[512], path[600], want[32];
    assert_int_equal(test_tmpdir_create(dir, sizeof dir, "compare_most"), 0);
    snprintf(path, sizeof path, "%s/c.csv", dir);
    const loc_release *rel[] = {r};
    assert_int_equal(loc_compare_write_csv(f.ctx, rel, 1, KEY, 1, path, NULL), LOC_OK);
    loc_csv *c = loc_csv_read(f.ctx, path);
    assert_non_null(c);
    snprintf(want, sizeof want, "%.4g", pop[mem[0]] / total);
    assert_string_equal(loc_csv_field(c, 0, find_col(c, "r_placed_by_most")), want);
    assert_string_equal(loc_csv_field(c, 1, find_col(c, "r_placed_by_most")), "0");
    loc_csv_destroy(c);
    test_tmpdir_remove(dir);
    loc_release_destroy(r);
    free(how);
    fx_free(&f);
}

/* Allocation failures in loc_release_create: each a clean LOC_ENOMEM. */
static fx *alloc_fx;
static void *make_release(loc_ctx *ctx, void *arg)
{
    (void)arg;
    return loc_release_create(ctx, "r", alloc_fx->p.partition, alloc_fx->a, NULL, KEY, 2);
}
static void free_release(void *r) { loc_release_destroy(r); }

static void test_compare_alloc_failures(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    alloc_fx = &f;
    assert_true(test_alloc_failures(make_release, free_release, NULL) > 5);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_table),
        cmocka_unit_test(test_compare_placed_by_most),
        cmocka_unit_test(test_compare_alloc_failures),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
