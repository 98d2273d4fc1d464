/*
 * Tests for the repair of given localities: one locality over the ceiling
 * cut along its spanning tree, a detached part joined to the neighbour
 * (ties to the lower locality), a locality across two councils split, one
 * left alone; the statistics, repair.csv, a bad ceiling, allocation
 * failures.  Zones are 100 m squares in a row, so every answer is known.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/repair.h"
#include "localities/boundary.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n";

/* Z1..Z9 in a row.  A = Z1-Z3 (12,000: over), B = Z4 and Z6 (detached
 * by Z5), C = Z5, D = Z7 (council C1) and Z8 (C2), E = Z9. */
static const char IND[] = "Data_Zone,Total_population,income_count\n"
                          "Z1,4000,1\nZ2,4000,1\nZ3,4000,1\nZ4,3000,1\nZ5,2000,1\nZ6,1000,1\nZ7,2000,1\n"
                          "Z8,1000,1\nZ9,500,1\n";
static const char COUNCILS[] = "dz11_code,ca_code,ca_name\nZ1,C1,One\nZ2,C1,One\nZ3,C1,One\nZ4,C1,One\n"
                               "Z5,C1,One\nZ6,C1,One\nZ7,C1,One\nZ8,C2,Two\nZ9,C2,Two\n";
static const char GIVEN[] = "dz11_code,loc\nZ1,A\nZ2,A\nZ3,A\nZ4,B\nZ5,C\nZ6,B\nZ7,D\nZ8,D\nZ9,E\n";

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_boundaries *b;
    loc_lookup *councils, *given_lk;
    loc_zones *z;
    loc_graph *g;
    loc_partition *given;
    uint32_t rows[9];
    char path[64];
} fx;

static void fx_load(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    snprintf(f->path, sizeof f->path, "/tmp/test_repair_XXXXXX.geojson");
    int fd = mkstemps(f->path, 8);
    assert_true(fd >= 0);
    FILE *o = fdopen(fd, "w");
    assert_non_null(o);
    fprintf(o, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
               "\"urn:ogc:def:crs:EPSG::27700\"}},\"features\":[");
    for (int k = 0; k < 9; k++) {
        double x0 = 300000 + 100 * k, x1 = x0 + 100, y0 = 700000, y1 = 700100;
        fprintf(o,
                "%s{\"type\":\"Feature\",\"properties\":{\"DataZone\":\"Z%d\"},\"geometry\":{\"type\":\"Polygon\","
                "\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f]]]}}",
                k ? "," : "", k + 1, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    }
    fprintf(o, "]}\n");
    fclose(o);
    assert_non_null(f->b = loc_boundaries_read(f->ctx, f->path, NULL));
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", IND, strlen(IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    assert_non_null(f->councils = loc_lookup_parse(f->ctx, "councils.csv", COUNCILS, strlen(COUNCILS), NULL));
    assert_non_null(f->given_lk = loc_lookup_parse(f->ctx, "given.csv", GIVEN, strlen(GIVEN), NULL));
    const loc_lookup *l[] = {f->councils};
    loc_join_opts jo = {0};
    assert_non_null(f->z = loc_zones_join(f->ctx, f->b, f->ind, f->spec, l, 1, &jo, NULL));
    assert_non_null(f->given = loc_partition_from_lookup(f->ctx, f->z, f->given_lk, "loc"));
    const GEOSGeometry *geoms[9];
    int32_t council[9];
    for (int k = 0; k < 9; k++) {
        char code[8];
        snprintf(code, sizeof code, "Z%d", k + 1);
        long r = loc_zones_find(f->z, code);
        assert_true(r >= 0);
        f->rows[k] = (uint32_t)r;
        geoms[k] = loc_boundaries_geom(f->b, (size_t)loc_zones_boundary(f->z, (size_t)r));
        council[k] = loc_zones_councils(f->z)[r];
    }
    assert_non_null(f->g = loc_graph_build(f->ctx, 9, geoms, council, NULL));
}

static void fx_free(fx *f)
{
    loc_partition_destroy(f->given);
    loc_graph_destroy(f->g);
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->councils);
    loc_lookup_destroy(f->given_lk);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_boundaries_destroy(f->b);
    loc_ctx_destroy(f->ctx);
    unlink(f->path);
    assert_int_equal(f->ta.live, 0);
}

static const char *code_of(const loc_partition *p, const loc_zones *z, const char *zone)
{
    int32_t l = loc_partition_labels(p)[loc_zones_find(z, zone)];
    return l >= 0 ? loc_partition_code(p, (size_t)l) : "";
}

static void test_repair_rules(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    loc_repair_stats s;
    loc_partition *p = loc_partition_repair(f.ctx, f.given, f.g, f.rows, 10000, &s);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 7);
    /* A: the path Z1-Z2-Z3 cut nearest 6,000 each side (a tie: the lower
     * node's subtree, Z2-Z3, is cut off); the larger part keeps A */
    assert_string_equal(code_of(p, f.z, "Z1"), "A-2");
    assert_string_equal(code_of(p, f.z, "Z2"), "A");
    assert_string_equal(code_of(p, f.z, "Z3"), "A");
    /* B: Z6 detached; its neighbours C (Z5) and D (Z7) share 100 m each: C */
    assert_string_equal(code_of(p, f.z, "Z4"), "B");
    assert_string_equal(code_of(p, f.z, "Z6"), "C");
    assert_string_equal(code_of(p, f.z, "Z5"), "C");
    /* D: the larger council part keeps the code */
    assert_string_equal(code_of(p, f.z, "Z7"), "D");
    assert_string_equal(code_of(p, f.z, "Z8"), "D-2");
    assert_string_equal(code_of(p, f.z, "Z9"), "E");
    assert_int_equal(s.given, 5);
    assert_int_equal(s.kept, 1);
    assert_int_equal(s.split, 1);
    assert_int_equal(s.council_split, 1);
    assert_int_equal(s.discontiguous, 1);
    assert_int_equal(s.parts_merged, 1);
    assert_int_equal(s.out, 7);
    assert_int_equal(s.zones_moved, 1);
    assert_true(fabs(s.pop_moved - 1000) < 1e-9);
    assert_true(fabs(s.pop_kept - 500) < 1e-9);
    assert_true(fabs(s.pop - 21500) < 1e-9);
    assert_true(fabs(s.pop_same_code - 15500) < 1e-9);
    for (size_t k = 0; k < loc_partition_count(p); k++) {
        assert_true(loc_partition_population(p, k) <= 10000);
        assert_int_equal(loc_partition_ncouncils_of(p, k), 1);
    }
    /* repair.csv: the zones whose code changed */
    char out[64];
    snprintf(out, sizeof out, "/tmp/test_repair_%d.csv", (int)getpid());
    assert_int_equal(loc_repair_write_changes_csv(f.ctx, f.given, p, out), LOC_OK);
    FILE *in = fopen(out, "r");
    assert_non_null(in);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, in);
    text[n] = 0;
    fclose(in);
    unlink(out);
    assert_string_equal(text, "zone_code,given_locality_code,locality_code,population\n"
                              "Z1,A,A-2,4000\nZ6,B,C,1000\nZ8,D,D-2,1000\n");
    assert_int_equal(loc_repair_write_changes_csv(f.ctx, f.given, p, "/no/such/folder/repair.csv"), LOC_EIO);
    loc_partition_destroy(p);
    /* a ceiling above everything: only the council and contiguity rules */
    assert_non_null(p = loc_partition_repair(f.ctx, f.given, f.g, f.rows, 1e9, &s));
    assert_string_equal(code_of(p, f.z, "Z1"), "A");
    assert_int_equal(s.split, 0);
    assert_int_equal(s.out, 6);
    loc_partition_destroy(p);
    /* refused */
    assert_null(loc_partition_repair(f.ctx, f.given, f.g, f.rows, 0, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EINVAL);
    assert_string_equal(loc_errmsg(f.ctx), "repair: the ceiling must be above zero");
    fx_free(&f);
}

static fx *enomem_fx;

static void *make_repair(loc_ctx *ctx, void *arg)
{
    (void)arg;
    return loc_partition_repair(ctx, enomem_fx->given, enomem_fx->g, enomem_fx->rows, 10000, NULL);
}

static void free_repair(void *p) { loc_partition_destroy(p); }

static void test_repair_enomem(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    enomem_fx = &f;
    assert_true(test_alloc_failures(make_repair, free_repair, NULL) > 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repair_rules),
        cmocka_unit_test(test_repair_enomem),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
