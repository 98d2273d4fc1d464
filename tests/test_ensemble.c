/*
 * Tests for flag stability: an ensemble of alternative plans on the real
 * Stirling zones (data/), assessed as the main run is: every zone's share
 * is a whole number of plans over the plans and absent outside the study
 * area, the similar plans per locality are counted, the CSV files are
 * written whole, and bad options are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/ensemble.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"
#include "internal.h"

#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct real {
    loc_ctx *ctx;
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lk;
    loc_zones *z;
    loc_graph *g;
    size_t n;
    uint32_t *rows;
    const GEOSGeometry **geoms;
    int32_t *council, *iz;
    double *pop, *x;
    loc_grouping *izg;
} real;

static int real_load(real *r, const char *bpath)
{
    const char *ind = LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv";
    const char *lk = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    if (access(bpath, R_OK) || access(ind, R_OK) || access(lk, R_OK))
        return 0;
    GDALAllRegister();
    memset(r, 0, sizeof *r);
    r->ctx = loc_ctx_create(NULL);
    assert_non_null(r->b = loc_boundaries_read(r->ctx, bpath, NULL));
    assert_non_null(r->ind = loc_csv_read(r->ctx, ind));
    assert_non_null(r->spec = loc_spec_read(r->ctx, LOC_DATA_DIR "/specs/simd2020v2.csv"));
    assert_non_null(r->lk = loc_lookup_read(r->ctx, lk, NULL));
    const loc_lookup *ls[] = {r->lk};
    assert_non_null(r->z = loc_zones_join(r->ctx, r->b, r->ind, r->spec, ls, 1, NULL, NULL));
    assert_non_null(r->izg = loc_zones_grouping(r->ctx, r->z, r->lk, "iz11_code"));
    size_t nz = loc_zones_count(r->z);
    r->rows = malloc(nz * sizeof *r->rows);
    r->geoms = malloc(nz * sizeof *r->geoms);
    r->council = malloc(nz * sizeof *r->council);
    r->iz = malloc(nz * sizeof *r->iz);
    r->pop = malloc(nz * sizeof *r->pop);
    r->x = malloc(2 * nz * sizeof *r->x);
    long inc = -1, emp = -1;
    for (size_t k = 0; k < loc_zones_nindicators(r->z); k++) {
        if (!strcmp(loc_zones_indicator(r->z, k)->name, "income"))
            inc = (long)k;
        if (!strcmp(loc_zones_indicator(r->z, k)->name, "employment"))
            emp = (long)k;
    }
    assert_true(inc >= 0 && emp >= 0);
    for (size_t i = 0; i < nz; i++) {
        long bi = loc_zones_boundary(r->z, i);
        if (!loc_zones_in_study(r->z, i) || bi < 0)
            continue;
        size_t k = r->n++;
        r->rows[k] = (uint32_t)i;
        r->geoms[k] = loc_boundaries_geom(r->b, (size_t)bi);
        r->council[k] = loc_zones_councils(r->z)[i];
        r->iz[k] = r->izg->member[i];
        r->pop[k] = loc_zones_population(r->z)[i];
        const double *n0 = loc_zones_column(r->z, (size_t)inc, 0), *d0 = loc_zones_column(r->z, (size_t)inc, 1);
        const double *n1 = loc_zones_column(r->z, (size_t)emp, 0), *d1 = loc_zones_column(r->z, (size_t)emp, 1);
        r->x[2 * k] = d0[i] > 0 ? n0[i] / d0[i] : NAN;
        r->x[2 * k + 1] = d1[i] > 0 ? n1[i] / d1[i] : NAN;
    }
    assert_non_null(r->g = loc_graph_build(r->ctx, r->n, r->geoms, r->council, NULL));
    return 1;
}

static void real_free(real *r)
{
    loc_graph_destroy(r->g);
    loc_grouping_destroy(r->izg);
    loc_zones_destroy(r->z);
    loc_lookup_destroy(r->lk);
    loc_spec_destroy(r->spec);
    loc_csv_destroy(r->ind);
    loc_boundaries_destroy(r->b);
    free(r->rows);
    free(r->geoms);
    free(r->council);
    free(r->iz);
    free(r->pop);
    free(r->x);
    loc_ctx_destroy(r->ctx);
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_stirling_ensemble(void **state)
{
    (void)state;
    real r = {0};
    REQUIRE_DATA(LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg");
    if (!real_load(&r, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg"))
        fail_msg("cannot load the committed Stirling data");
    loc_build_grouping gr = {r.iz, r.izg->ngroups, 0, "iz11_code"};
    loc_build_input in = {r.n, r.g, r.pop, r.council, r.x, 2, &gr, 1, NULL, NULL};
    loc_build_opts o;
    loc_build_opts_init(&o);
    loc_build_result *res = loc_build(r.ctx, &in, &o);
    assert_non_null(res);
    loc_partition *p = loc_build_partition(r.ctx, r.z, res, r.rows, r.izg, NULL);
    assert_non_null(p);
    loc_assess_opts ao;
    loc_assess_opts_init(&ao);
    loc_assess *as = loc_assess_run(r.ctx, r.z, p, &ao, NULL, r.rows);
    assert_non_null(as);
    loc_ensemble_opts eo;
    loc_ensemble_opts_init(&eo);
    assert_int_equal(eo.plans, 50);
    eo.plans = 4;
    loc_ensemble *e = loc_ensemble_run(r.ctx, &in, &o, &eo, r.z, r.rows, &ao, p, as);
    assert_non_null(e);
    assert_int_equal(loc_ensemble_plans(e), 4);
    const double *share = loc_ensemble_zone_share(e);
    size_t in_study = 0, flagged = 0;
    for (size_t i = 0; i < loc_zones_count(r.z); i++) {
        if (loc_partition_labels(p)[i] < 0) {
            assert_true(isnan(share[i]));
            continue;
        }
        in_study++;
        assert_true(share[i] >= 0 && share[i] <= 1);
        assert_true(fabs(share[i] * 4 - round(share[i] * 4)) < 1e-9);
        flagged += share[i] > 0;
    }
    assert_int_equal(in_study, r.n);
    assert_true(flagged > 0); /* Raploch, Cowie... are flagged in some plan */
    for (size_t k = 0; k < loc_partition_count(p); k++) {
        assert_true(loc_ensemble_similar(e, k) <= 4);
        double h = loc_ensemble_flag_holds(e, k);
        assert_true(loc_ensemble_similar(e, k) ? h >= 0 && h <= 1 : isnan(h));
        /* the locality's share is its zones' shares weighted by residents */
        size_t n;
        const uint32_t *m = loc_partition_members(p, k, &n);
        double w = 0, sum = 0;
        for (size_t i = 0; i < n; i++) {
            double pw = loc_zones_population(r.z)[m[i]] + 1e-9;
            w += pw;
            sum += pw * share[m[i]];
        }
        assert_true(fabs(loc_ensemble_locality_share(e, p, k) - sum / w) < 1e-12);
    }
    char dir[] = "/tmp/ens-XXXXXX", zp[64], lp[64];
    assert_non_null(mkdtemp(dir));
    snprintf(zp, sizeof zp, "%s/z.csv", dir);
    snprintf(lp, sizeof lp, "%s/l.csv", dir);
    assert_int_equal(loc_ensemble_write_csv(r.ctx, e, p, as, zp, lp), LOC_OK);
    assert_int_equal(count_lines(zp), r.n + 1);
    assert_int_equal(count_lines(lp), loc_partition_count(p) + 1);
    /* the columns appended to a run's zones.csv and localities.csv */
    assert_int_equal(loc_partition_write_zones_csv(r.ctx, p, zp), LOC_OK);
    assert_int_equal(loc_assess_write_localities(r.ctx, as, lp), LOC_OK);
    assert_int_equal(loc_ensemble_append_columns(r.ctx, e, p, zp, lp), LOC_OK);
    assert_int_equal(count_lines(zp), r.n + 1);
    assert_int_equal(count_lines(lp), loc_partition_count(p) + 1);
    FILE *f = fopen(zp, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "zone_code,locality_code,locality_name,council_code,population,share_of_plans_flagged\n");
    f = fopen(lp, "r");
    char big[8192];
    assert_non_null(fgets(big, sizeof big, f));
    fclose(f);
    assert_non_null(strstr(big, ",plans_similar,flag_holds_share,residents_flagged_share\n"));
    /* a file without the key column */
    assert_int_equal(loc_ensemble_append_columns(r.ctx, e, p, lp, zp), LOC_EPARSE);
    assert_int_equal(loc_ensemble_append_columns(r.ctx, e, p, "/nonexistent-dir/z.csv", lp), LOC_EIO);
    unlink(zp);
    unlink(lp);
    rmdir(dir);
    assert_int_equal(loc_ensemble_write_csv(r.ctx, e, p, as, "/nonexistent-dir/z.csv", lp), LOC_EIO);
    print_message("Stirling, 4 plans: %zu of %zu zones flagged in some plan\n", flagged, in_study);
    loc_ensemble_destroy(e);
    /* refusals */
    eo.plans = 0;
    assert_null(loc_ensemble_run(r.ctx, &in, &o, &eo, r.z, r.rows, &ao, p, as));
    assert_string_equal(loc_errmsg(r.ctx), "ensemble: at least one plan and soft weights 0 <= low <= high are needed");
    eo.plans = 2;
    eo.w_soft_low = 0.5;
    eo.w_soft_high = 0.1;
    assert_null(loc_ensemble_run(r.ctx, &in, &o, &eo, r.z, r.rows, &ao, p, as));
    loc_ensemble_destroy(NULL);
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_build_result_destroy(res);
    real_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stirling_ensemble),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
