/*
 * Tests for the feasibility check: a council whose island is below the
 * floor, a zone above the ceiling, a hard group above the ceiling though
 * each of its zones is below it, a council below the floor; the rows'
 * order and numbers, the CSV with its reasons, refusals and allocation
 * failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/feasibility.h"
#include "test_util.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Unit squares (1 km) at (x, y). */
static GEOSGeometry *square(loc_ctx *ctx, double x, double y)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
    double xs[5] = {x, x + 1, x + 1, x, x}, ys[5] = {y, y, y + 1, y + 1, y};
    for (unsigned k = 0; k < 5; k++)
        GEOSCoordSeq_setXY_r(h, cs, k, 1000 * xs[k], 1000 * ys[k]);
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
}

/*
 * Council 0: zones 0-3 in a row (1,000, 1,000, 6,000 and 6,000 residents;
 * 2 and 3 one hard group of 12,000, above the ceiling though neither zone
 * is) and zone 4, an island 6 km away with 800 residents.  Council 1:
 * zones 5 and 6, 15,000 and 1,000 residents.  Council 2: zone 7, 900.
 */
typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    GEOSGeometry *g[8];
    loc_graph *graph;
    double pop[8];
    int32_t council[8], hard[8];
    const char *codes[8];
    loc_build_grouping gr;
    loc_build_input in;
    loc_build_opts o;
} fx;

static void fx_make(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    static const double xy[8][2] = {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {9, 0}, {0, 5}, {1, 5}, {0, 9}};
    static const double pop[8] = {1000, 1000, 6000, 6000, 800, 15000, 1000, 900};
    static const int32_t council[8] = {0, 0, 0, 0, 0, 1, 1, 2}, hard[8] = {-1, -1, 0, 0, -1, -1, -1, -1};
    static const char *const codes[8] = {"Z0", "Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7"};
    for (int i = 0; i < 8; i++) {
        f->g[i] = square(f->ctx, xy[i][0], xy[i][1]);
        f->pop[i] = pop[i];
        f->council[i] = council[i];
        f->hard[i] = hard[i];
        f->codes[i] = codes[i];
    }
    assert_non_null(f->graph = loc_graph_build(f->ctx, 8, (const GEOSGeometry *const *)f->g, f->council, NULL));
    f->gr = (loc_build_grouping){f->hard, 1, 1, "hard"};
    f->in = (loc_build_input){8, f->graph, f->pop, f->council, NULL, 0, &f->gr, 1, f->codes, NULL};
    loc_build_opts_init(&f->o);
}

static void fx_free(fx *f)
{
    loc_graph_destroy(f->graph);
    for (int i = 0; i < 8; i++)
        GEOSGeom_destroy_r(loc_geos(f->ctx), f->g[i]);
    loc_ctx_destroy(f->ctx);
    assert_int_equal(f->ta.live, 0);
}

static void test_rows(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    size_t n = 0;
    loc_feasibility *r = loc_feasibility_check(f.ctx, &f.in, &f.o, &n);
    assert_non_null(r);
    /* council 0 and its two parts, council 1, council 2 */
    assert_int_equal(n, 5);
    assert_int_equal(r[0].council, 0);
    assert_int_equal(r[0].component, 0);
    assert_int_equal(r[0].ncomponents, 2);
    assert_int_equal(r[0].zones, 5);
    assert_true(r[0].population == 14800);
    assert_true(r[0].largest_unit == 12000); /* the hard group */
    assert_int_equal(r[0].units_over_ceiling, 1);
    assert_true(r[0].floor_holds);
    assert_false(r[0].ceiling_holds);
    assert_int_equal(r[1].component, 1);
    assert_int_equal(r[1].zones, 4);
    assert_int_equal(r[1].first_node, 0);
    assert_int_equal(r[2].component, 2);
    assert_int_equal(r[2].zones, 1);
    assert_int_equal(r[2].first_node, 4);
    assert_false(r[2].floor_holds); /* the island, 800 < 2,500 */
    assert_true(r[2].ceiling_holds);
    assert_int_equal(r[3].council, 1);
    assert_int_equal(r[3].ncomponents, 1);
    assert_true(r[3].largest_unit == 15000);
    assert_int_equal(r[3].largest_node, 5);
    assert_false(r[3].ceiling_holds);
    assert_int_equal(r[4].council, 2);
    assert_false(r[4].floor_holds);
    /* the CSV */
    char path[] = "/tmp/feas-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(loc_feasibility_write_csv(f.ctx, r, n, &f.in, &f.o, NULL, path), LOC_OK);
    FILE *fp = fopen(path, "r");
    char buf[4096] = "";
    size_t got = fread(buf, 1, sizeof buf - 1, fp);
    buf[got] = 0;
    fclose(fp);
    unlink(path);
    assert_non_null(strstr(buf, "council_code,council_name,part,first_zone,zones,population,largest_unit,"));
    assert_non_null(strstr(buf, "0,council 0,council,Z0,5,14800,12000,Z2,1,yes,no,\"1 zone or hard group above "
                                "the ceiling of 10000 (largest: 'Z2', 12000 residents): each is a locality of its own\"\n"));
    assert_non_null(strstr(buf, "0,council 0,part 2 of 2,Z4,1,800,800,Z4,0,no,yes,\"this part has 800 residents, "
                                "below the floor of 2500: its locality must reach across the water (island link)\"\n"));
    assert_non_null(strstr(buf, "2,council 2,council,Z7,1,900,900,Z7,0,no,yes,\"the council has 900 residents, "
                                "below the floor of 2500\"\n"));
    assert_int_equal(loc_feasibility_write_csv(f.ctx, r, n, &f.in, &f.o, NULL, "/nonexistent-dir/f.csv"), LOC_EIO);
    loc_free(f.ctx, r);
    fx_free(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    size_t n = 7;
    loc_build_input bad = f.in;
    bad.n = 3;
    assert_null(loc_feasibility_check(f.ctx, &bad, NULL, &n));
    assert_int_equal(n, 0);
    assert_string_equal(loc_errmsg(f.ctx), "feasibility: missing or mismatched graph, population or councils");
    bad = f.in;
    int32_t c[8] = {0, 0, 0, 0, 0, 1, 1, -1};
    bad.council = c;
    assert_null(loc_feasibility_check(f.ctx, &bad, NULL, &n));
    assert_string_equal(loc_errmsg(f.ctx), "feasibility: zone 7 is in no council");
    fx_free(&f);
}

static void test_feasibility_alloc(void **state)
{
    (void)state;
    fx f;
    fx_make(&f);
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        size_t n;
        loc_feasibility *r = loc_feasibility_check(f.ctx, &f.in, &f.o, &n);
        f.ta.fail_after = -1;
        if (r) {
            loc_free(f.ctx, r);
            break;
        }
        assert_int_equal(loc_errcode(f.ctx), LOC_ENOMEM);
        assert_int_equal(f.ta.live, live);
    }
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_feasibility_alloc),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
