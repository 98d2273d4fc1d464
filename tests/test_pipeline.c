/*
 * Tests for the pipeline's engine API (pipeline.h) on the embedded
 * Stirling data: loading the inputs, the problem built as `localities
 * build` builds it (nodes, features, groupings respected by default and
 * asked for, nest regions, codes kept), the quality figures against what
 * they mean, every error a caller can meet (naming the file, the line or
 * the indicator), and allocation failures along the whole build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/pipeline.h"
#include "localities/stats.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STIRLING LOC_DATA_DIR "/stirling/"

static const char *const LOOKUPS[] = {STIRLING "lookup_stirling.csv"};

static loc_input_files stirling_files(void)
{
    REQUIRE_DATA(STIRLING "dz2011_stirling.gpkg");
    return (loc_input_files){.boundaries = STIRLING "dz2011_stirling.gpkg",
                             .indicators = STIRLING "simd2020v2_stirling.csv",
                             .spec = LOC_DATA_DIR "/specs/simd2020v2.csv",
                             .lookups = LOOKUPS,
                             .nlookups = 1};
}

static loc_problem_opts default_opts(void)
{
    loc_problem_opts o = {0};
    loc_graph_opts_init(&o.graph);
    loc_build_opts_init(&o.build);
    o.build.threads = 1;
    return o;
}

/* Warnings collected from the context. */
static char warnings[4096];
static void collect(void *ud, loc_level level, const char *msg)
{
    (void)ud;
    size_t len = strlen(warnings);
    if (level == LOC_WARN)
        snprintf(warnings + len, sizeof warnings - len, "%s\n", msg);
}

static void test_inputs_load(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    assert_int_equal(loc_zones_nstudy(in.zones), 121);
    assert_int_equal(in.coverage.joined, 121);
    assert_int_equal(in.nlookups, 1);
    size_t which[4];
    size_t n = loc_zones_indicators_with_role(in.zones, LOC_ROLE_BUILD, which, 4);
    assert_int_equal(n, 2); /* the spec's role build: income, employment */
    assert_string_equal(loc_zones_indicator(in.zones, which[0])->name, "income");
    assert_string_equal(loc_zones_indicator(in.zones, which[1])->name, "employment");
    loc_inputs_free(&in);
    loc_inputs_free(&in); /* zeroed: nothing */
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

static void test_inputs_errors(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_input_files f = stirling_files();
    loc_inputs in;
    f.indicators = STIRLING "no_such_file.csv";
    assert_int_not_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    assert_non_null(strstr(loc_errmsg(ctx), "no_such_file.csv"));
    assert_non_null(in.boundaries); /* what was read is kept, to be freed */
    loc_inputs_free(&in);
    f = stirling_files();
    f.nlookups = LOC_MAX_LOOKUPS + 1;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_EINVAL);
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
}

static void test_respect_name(void **state)
{
    (void)state;
    assert_string_equal(loc_respect_name(LOC_RESPECT_SOFT), "soft");
    assert_string_equal(loc_respect_name(LOC_RESPECT_HARD), "hard");
    assert_string_equal(loc_respect_name(LOC_RESPECT_NEST), "nest");
    assert_string_equal(loc_respect_name((loc_respect_kind)7), "?");
    assert_string_equal(loc_iz_columns[0], "iz11_code");
}

/* Every zone in exactly one locality, each within the ceiling, codes in
 * the council's name space. */
static void check_partition(const loc_problem *p, const loc_inputs *in)
{
    size_t nl = loc_partition_count(p->partition), zones = 0;
    assert_true(nl > 1);
    for (size_t l = 0; l < nl; l++) {
        size_t nz;
        loc_partition_members(p->partition, l, &nz);
        zones += nz;
        assert_true(loc_partition_population(p->partition, l) <= p->opts.max_pop);
        assert_memory_equal(loc_partition_code(p->partition, l), "S12000030-", 10);
    }
    assert_int_equal(zones, loc_zones_nstudy(in->zones));
}

static void test_problem_build_default(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    loc_problem_opts o = default_opts();
    loc_problem p;
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_int_equal(p.n, 121);
    assert_int_equal(p.nfeat, 2);
    assert_string_equal(p.feat_names, "income, employment");
    assert_int_equal(p.ngroupings, 1); /* intermediate zones by default */
    assert_true(p.default_respect);
    assert_int_equal(p.kind[0], LOC_RESPECT_SOFT);
    assert_null(p.region);
    assert_non_null(p.feasibility);
    check_partition(&p, &in);

    /* quality: R^2 of income between 0 and 1, and no better than the
     * zones themselves as groups (1); every intermediate zone counted */
    size_t nl = loc_build_count(p.result), which[2];
    loc_zones_indicators_with_role(in.zones, LOC_ROLE_BUILD, which, 2);
    double r2 = loc_problem_r2(&p, in.zones, which[0], loc_build_labels(p.result), nl);
    assert_true(r2 > 0.5 && r2 < 1);
    int32_t *own = malloc(p.n * sizeof *own);
    for (size_t i = 0; i < p.n; i++)
        own[i] = (int32_t)i;
    assert_float_equal(loc_problem_r2(&p, in.zones, which[0], own, p.n), 1.0, 1e-12);
    free(own);
    size_t whole, total, w0, t0;
    loc_problem_kept_whole(&p, 0, -1, &whole, &total);
    loc_problem_kept_whole(&p, 0, 0, &w0, &t0); /* Stirling is the only council */
    assert_int_equal(total, p.groupings[0]->ngroups);
    assert_true(whole > 0 && whole <= total);
    assert_int_equal(whole, w0);
    assert_int_equal(total, t0);
    assert_true(loc_problem_nested(&p, 0) <= nl);
    double pp = loc_problem_compactness(&p, 0);
    assert_true(pp > 0 && pp < 1);
    assert_true(isnan(loc_problem_compactness(&p, 5))); /* a council with no locality */
    assert_int_equal(loc_problem_islands(&p, 5), 0);

    /* the same problem twice: the same localities */
    loc_problem q;
    if (loc_problem_build(ctx, &in, &o, &q) != LOC_OK)
        fail_msg("%s", loc_errmsg(ctx));
    assert_int_equal(loc_build_count(q.result), nl);
    assert_memory_equal(loc_build_labels(q.result), loc_build_labels(p.result), p.n * sizeof(int32_t));
    loc_problem_free(&q);
    loc_problem_free(&p);
    loc_problem_free(&p); /* zeroed: nothing */
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

static void test_problem_respect(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    loc_problem_opts o = default_opts();
    loc_respect r[2] = {{STIRLING "ward_stirling.csv", "ward22_code", LOC_RESPECT_NEST},
                        {STIRLING "lookup_stirling.csv", "iz11_code", LOC_RESPECT_SOFT}};
    o.respect = r;
    o.nrespect = 2;
    loc_problem p;
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_int_equal(p.ngroupings, 2);
    assert_false(p.default_respect);
    assert_int_equal(p.nown, 1); /* the ward file read; the lookup borrowed from the inputs */
    assert_non_null(p.region);
    assert_true(p.nregions >= 7); /* Stirling's seven wards, parts cut apart counted once each */
    loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
    assert_int_equal(loc_problem_groupings(&p, gr), 1); /* the nest grouping is in the regions */
    assert_int_equal(loc_problem_nested(&p, 0), loc_build_count(p.result)); /* every locality in one ward */
    check_partition(&p, &in);
    loc_problem_free(&p);

    /* respect nothing */
    o = default_opts();
    o.respect_none = 1;
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_int_equal(p.ngroupings, 0);
    loc_problem_free(&p);

    /* the graph alone */
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    assert_int_equal(loc_problem_graph(ctx, &in, &go, &p), LOC_OK);
    assert_int_equal(p.n, 121);
    assert_int_equal(loc_graph_count(p.graph), 121);
    assert_null(p.result);
    assert_null(p.partition);
    loc_problem_free(&p);
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
}

/* A file in a fresh folder. */
static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_problem_errors(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    warnings[0] = 0;
    loc_ctx_set_report(ctx, collect, NULL);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    loc_problem p;

    loc_problem_opts o = default_opts();
    o.build_indicators = "income,nonesuch";
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_EINVAL);
    assert_non_null(strstr(loc_errmsg(ctx), "no indicator 'nonesuch'"));
    loc_problem_free(&p);

    o = default_opts();
    loc_respect r = {STIRLING "lookup_stirling.csv", "no_column", LOC_RESPECT_SOFT};
    o.respect = &r;
    o.nrespect = 1;
    assert_int_not_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_non_null(strstr(loc_errmsg(ctx), "no_column"));
    loc_problem_free(&p);

    r.path = STIRLING "missing_lookup.csv";
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "missing_lookup.csv"));
    loc_problem_free(&p);

    /* counts per council: an unknown council named with its line, a bad
     * count, a missing column; then a good file sets the target */
    char dir[512], path[600];
    assert_int_equal(test_tmpdir_create(dir, sizeof dir, "pipeline"), 0);
    snprintf(path, sizeof path, "%s/counts.csv", dir);
    o = default_opts();
    o.area_counts = path;
    write_file(path, "council_code,localities\nS12000030,20\nS99999999,3\n");
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_EDATA);
    assert_non_null(strstr(loc_errmsg(ctx), "line 3: no council 'S99999999'"));
    loc_problem_free(&p);
    write_file(path, "council_code,localities\nS12000030,0.5\n");
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_EDATA);
    assert_non_null(strstr(loc_errmsg(ctx), "line 2: localities must be a number"));
    loc_problem_free(&p);
    write_file(path, "council_code,count\nS12000030,10\n");
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_EPARSE);
    assert_non_null(strstr(loc_errmsg(ctx), "no column 'localities'"));
    loc_problem_free(&p);
    write_file(path, "council_code,localities\nS12000030,10\n");
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_non_null(p.area_count);
    size_t nl = loc_partition_count(p.partition);
    assert_true(nl >= 7 && nl <= 14); /* about ten, within 0.7 to 1.3 times the mean size */

    /* codes kept from the same localities' zones.csv: every one */
    char zones[600];
    snprintf(zones, sizeof zones, "%s/zones.csv", dir);
    assert_int_equal(loc_partition_write_zones_csv(ctx, p.partition, zones), LOC_OK);
    loc_problem q;
    o.codes_from = zones;
    if (loc_problem_build(ctx, &in, &o, &q) != LOC_OK)
        fail_msg("%s", loc_errmsg(ctx));
    assert_int_equal(q.codes_kept, nl);
    loc_problem_free(&q);
    loc_problem_free(&p);
    test_tmpdir_remove(dir);
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
}

/* Allocation failures along the whole build (every allocation for the
 * first 64, then every 97th): each a clean LOC_ENOMEM that leaks nothing. */
static void test_problem_alloc_failures(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    loc_problem_opts o = default_opts();
    long tried = 0;
    for (long n = 0;; n += n < 64 ? 1 : 97) {
        test_alloc ta;
        loc_ctx *c = test_ctx(&ta);
        ta.fail_after = ta.calls + n;
        loc_problem p;
        loc_status st = loc_problem_build(c, &in, &o, &p);
        loc_problem_free(&p);
        if (st == LOC_OK) {
            assert_int_equal(ta.failures, 0);
            loc_ctx_destroy(c);
            assert_int_equal(ta.live, 0);
            break;
        }
        if (st != LOC_ENOMEM)
            fail_msg("allocation %ld: error %d '%s'", n, (int)st, loc_errmsg(c));
        loc_ctx_destroy(c);
        if (ta.live)
            fail_msg("allocation %ld failed: %ld blocks leaked", n, ta.live);
        tried++;
    }
    assert_true(tried > 64);
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
}

/* A whole run on Stirling through the engine alone: assess, dissolve,
 * attributes, every file written at once; files left out when their path
 * is NULL; the first failing file in file order named. */
static void test_run_write(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_input_files f = stirling_files();
    loc_inputs in;
    assert_int_equal(loc_inputs_load(ctx, &f, &in), LOC_OK);
    loc_problem_opts o = default_opts();
    loc_problem p;
    assert_int_equal(loc_problem_build(ctx, &in, &o, &p), LOC_OK);
    assert_true(loc_problem_has_soft(&p));
    loc_assess_opts ao;
    loc_assess_opts_init(&ao);
    loc_assess *as = loc_assess_run(ctx, in.zones, p.partition, &ao, p.graph, p.rows);
    assert_non_null(as);
    loc_dissolved *d = loc_dissolve(ctx, p.partition, in.boundaries, NULL);
    assert_non_null(d);
    loc_attrs *t = loc_assess_attrs(ctx, as);
    assert_non_null(t);
    size_t nl = loc_partition_count(p.partition);
    assert_int_equal(loc_attrs_nrows(t), nl);
    long plan = loc_attrs_find(t, "plan_required"), inc = loc_attrs_find(t, "income_flag_scotland");
    assert_true(plan >= 0 && inc >= 0);
    assert_int_equal(loc_attrs_type(t, (size_t)plan), LOC_ATTR_INT);
    size_t ji = 0;
    while (strcmp(loc_zones_indicator(in.zones, ji)->name, "income") != 0)
        ji++;
    for (size_t l = 0; l < nl; l++) {
        assert_int_equal(loc_attrs_int(t, (size_t)plan, l), loc_assess_qualifies(as, l));
        const loc_assess_cell *c = loc_assess_cell_get(as, l, ji, LOC_CMP_SCOTLAND);
        assert_string_equal(loc_attrs_text(t, (size_t)inc, l), loc_stats_flag_name(c->flag));
    }
    loc_kv src[] = {{"boundaries", f.boundaries}};
    loc_run run = {&in, &p, p.partition, as, d, t, src, 1};

    char dir[512], paths[LOC_RUN_NFILES][600];
    const char *pp[LOC_RUN_NFILES];
    double secs[LOC_RUN_NFILES];
    assert_int_equal(test_tmpdir_create(dir, sizeof dir, "pipeline_run"), 0);
    for (size_t k = 0; k < LOC_RUN_NFILES; k++) {
        assert_non_null(loc_run_file(k));
        snprintf(paths[k], sizeof paths[k], "%s/%s", dir, loc_run_file(k));
        pp[k] = paths[k];
    }
    assert_null(loc_run_file(LOC_RUN_NFILES));
    assert_string_equal(loc_run_file(1), "localities.csv");
    pp[3] = NULL; /* overdispersion.csv left out */
    assert_int_equal(loc_run_write(ctx, &run, pp, 2, secs), LOC_OK);
    for (size_t k = 0; k < LOC_RUN_NFILES; k++) {
        FILE *fp = fopen(paths[k], "rb");
        if (k == 3) {
            assert_null(fp);
            continue;
        }
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        assert_true(ftell(fp) > 0);
        fclose(fp);
        assert_true(secs[k] >= 0);
    }
    /* the report alone: the same bytes (SOURCE_DATE_EPOCH fixes the date) */
    char again[700];
    snprintf(again, sizeof again, "%s/again.html", dir);
    assert_int_equal(loc_run_write_report(ctx, &run, again), LOC_OK);

    /* a file that cannot be written: the first in file order is named,
     * whichever thread met it first */
    char bad1[700], bad2[700];
    snprintf(bad1, sizeof bad1, "%s/missing/indicators.csv", dir);
    snprintf(bad2, sizeof bad2, "%s/missing/report.html", dir);
    pp[2] = bad1;
    pp[9] = bad2;
    assert_int_equal(loc_run_write(ctx, &run, pp, 4, NULL), LOC_EIO);
    if (!strstr(loc_errmsg(ctx), "missing/indicators.csv"))
        fail_msg("%s", loc_errmsg(ctx));
    assert_null(strstr(loc_errmsg(ctx), "report.html"));

    test_tmpdir_remove(dir);
    loc_attrs_destroy(t);
    loc_dissolved_destroy(d);
    loc_assess_destroy(as);
    loc_problem_free(&p);
    loc_inputs_free(&in);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_load),       cmocka_unit_test(test_inputs_errors),
        cmocka_unit_test(test_respect_name),      cmocka_unit_test(test_problem_build_default),
        cmocka_unit_test(test_problem_respect),   cmocka_unit_test(test_problem_errors),
        cmocka_unit_test(test_problem_alloc_failures), cmocka_unit_test(test_run_write),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
