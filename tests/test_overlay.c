/*
 * Tests for the overlay: piece areas and their order on squares whose
 * answer is known, polygons that only touch, allocation failures; zones
 * placed in locality polygons (largest share, second share, zones in no
 * polygon, polygons holding no zone, the totals, zones_split.csv) and the
 * refusal of overlapping locality polygons.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/overlay.h"
#include "internal.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A box in British National Grid metres, offset into Scotland. */
static GEOSGeometry *box(loc_ctx *ctx, double x0, double y0, double x1, double y1)
{
    const double X = 300000, Y = 700000;
    return GEOSGeom_createRectangle_r(loc_geos(ctx), X + x0, Y + y0, X + x1, Y + y1);
}

static void test_overlay_pieces(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    GEOSContextHandle_t h = loc_geos(ctx);
    /* from: two 10 x 10 squares side by side, and one far away that
     * touches nothing; to: a 15-wide box covering the first square and
     * half the second, the rest of the second, and a box that only
     * touches the first square's left edge */
    GEOSGeometry *from[3] = {box(ctx, 0, 0, 10, 10), box(ctx, 10, 0, 20, 10), box(ctx, 100, 100, 110, 110)};
    GEOSGeometry *to[3] = {box(ctx, -5, -5, 15, 15), box(ctx, 15, 0, 30, 10), box(ctx, -20, 0, -5, 10)};
    loc_overlay *o = loc_overlay_create(ctx, (const GEOSGeometry *const *)from, 3, (const GEOSGeometry *const *)to, 3);
    assert_non_null(o);
    assert_int_equal(loc_overlay_count(o), 3);
    const uint32_t *t;
    const double *ar;
    assert_int_equal(loc_overlay_pieces(o, 0, &t, &ar), 1);
    assert_int_equal(t[0], 0);
    assert_true(fabs(ar[0] - 100) < 1e-9);
    assert_true(fabs(loc_overlay_area_m2(o, 0) - 100) < 1e-9);
    /* equal halves: by to index */
    assert_int_equal(loc_overlay_pieces(o, 1, &t, &ar), 2);
    assert_int_equal(t[0], 0);
    assert_int_equal(t[1], 1);
    assert_true(fabs(ar[0] - 50) < 1e-9 && fabs(ar[1] - 50) < 1e-9);
    assert_int_equal(loc_overlay_pieces(o, 2, &t, &ar), 0);
    assert_int_equal(loc_overlay_pieces(o, 3, &t, &ar), 0);
    assert_null(t);
    assert_true(isnan(loc_overlay_area_m2(o, 3)));
    loc_overlay_destroy(o);
    loc_overlay_destroy(NULL);
    /* largest first when the areas differ */
    GEOSGeom_destroy_r(h, to[0]);
    to[0] = box(ctx, -5, -5, 12, 15); /* 2 of the second square's 10 columns */
    o = loc_overlay_create(ctx, (const GEOSGeometry *const *)from, 3, (const GEOSGeometry *const *)to, 3);
    assert_non_null(o);
    assert_int_equal(loc_overlay_pieces(o, 1, &t, &ar), 2);
    assert_int_equal(t[0], 1);
    assert_true(fabs(ar[0] - 50) < 1e-9 && fabs(ar[1] - 20) < 1e-9);
    loc_overlay_destroy(o);
    /* empty sets */
    o = loc_overlay_create(ctx, NULL, 0, NULL, 0);
    assert_non_null(o);
    assert_int_equal(loc_overlay_count(o), 0);
    loc_overlay_destroy(o);
    for (int k = 0; k < 3; k++) {
        GEOSGeom_destroy_r(h, from[k]);
        GEOSGeom_destroy_r(h, to[k]);
    }
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}


/* Enough polygons for the overlay to share them out among threads (512
 * or more): a 30 x 30 grid of 10 m squares over the same grid shifted
 * 5 m each way, so every inner square has four 25 m2 pieces. */
static void test_overlay_many(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    GEOSContextHandle_t h = loc_geos(ctx);
    enum { N = 30 };
    GEOSGeometry *from[N * N], *to[N * N];
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            from[y * N + x] = box(ctx, 10 * x, 10 * y, 10 * x + 10, 10 * y + 10);
            to[y * N + x] = box(ctx, 10 * x + 5, 10 * y + 5, 10 * x + 15, 10 * y + 15);
        }
    loc_overlay *o =
        loc_overlay_create(ctx, (const GEOSGeometry *const *)from, N * N, (const GEOSGeometry *const *)to, N * N);
    assert_non_null(o);
    for (int y = 1; y < N; y++)
        for (int x = 1; x < N; x++) {
            const uint32_t *t;
            const double *ar;
            assert_int_equal(loc_overlay_pieces(o, (size_t)(y * N + x), &t, &ar), 4);
            /* equal areas: by to index */
            assert_int_equal(t[0], (y - 1) * N + x - 1);
            assert_int_equal(t[1], (y - 1) * N + x);
            assert_int_equal(t[2], y * N + x - 1);
            assert_int_equal(t[3], y * N + x);
            for (int k = 0; k < 4; k++)
                assert_true(fabs(ar[k] - 25) < 1e-9);
        }
    loc_overlay_destroy(o);
    for (int k = 0; k < N * N; k++) {
        GEOSGeom_destroy_r(h, from[k]);
        GEOSGeom_destroy_r(h, to[k]);
    }
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}


/* The overlay's own intersection areas (a ring walk, GEOS only on a
 * degenerate pair) against GEOS's intersection, on irregular polygons
 * with holes: star-shaped 40-gons with pseudo-random radii, holes in
 * every third, over a second such set offset and rotated. */
static GEOSGeometry *star(loc_ctx *ctx, double cx, double cy, double r, unsigned *seed, int hole)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    enum { K = 40 };
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, K + 1, 2);
    for (int k = 0; k <= K; k++) {
        double a = 2 * 3.14159265358979 * (k % K) / K + 0.1 * cx;
        *seed = *seed * 1103515245u + 12345u;
        double rr = k == K ? 0 : r * (0.7 + 0.3 * ((*seed >> 16) % 1000) / 1000.0);
        static double first;
        if (k == 0)
            first = rr;
        if (k == K)
            rr = first;
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, 300000 + cx + rr * cos(a), 700000 + cy + rr * sin(a));
    }
    GEOSGeometry *shell = GEOSGeom_createLinearRing_r(h, cs), *holes[1];
    if (!hole)
        return GEOSGeom_createPolygon_r(h, shell, NULL, 0);
    GEOSCoordSequence *hs = GEOSCoordSeq_create_r(h, 5, 2);
    double q = 0.2 * r;
    double xy[5][2] = {{-q, -q}, {-q, q}, {q, q}, {q, -q}, {-q, -q}};
    for (int k = 0; k < 5; k++)
        GEOSCoordSeq_setXY_r(h, hs, (unsigned)k, 300000 + cx + xy[k][0] + 0.123, 700000 + cy + xy[k][1] + 0.321);
    holes[0] = GEOSGeom_createLinearRing_r(h, hs);
    return GEOSGeom_createPolygon_r(h, shell, holes, 1);
}

static void test_overlay_against_geos(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    GEOSContextHandle_t h = loc_geos(ctx);
    enum { N = 12 };
    GEOSGeometry *from[N * N], *to[N * N];
    unsigned seed = 7;
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            from[y * N + x] = star(ctx, 100.0 * x, 100.0 * y, 60, &seed, (x + y) % 3 == 0);
            to[y * N + x] = star(ctx, 100.0 * x + 37.3, 100.0 * y + 51.7, 70, &seed, (x + 2 * y) % 3 == 0);
        }
    for (int k = 0; k < N * N; k++)
        assert_int_equal(GEOSisValid_r(h, from[k]) == 1 && GEOSisValid_r(h, to[k]) == 1, 1);
    loc_overlay *o =
        loc_overlay_create(ctx, (const GEOSGeometry *const *)from, N * N, (const GEOSGeometry *const *)to, N * N);
    assert_non_null(o);
    size_t checked = 0;
    for (int i = 0; i < N * N; i++) {
        const uint32_t *t;
        const double *ar;
        size_t n = loc_overlay_pieces(o, (size_t)i, &t, &ar);
        double sum = 0;
        for (size_t k = 0; k < n; k++) {
            GEOSGeometry *g = GEOSIntersection_r(h, from[i], to[t[k]]);
            double ref = 0;
            assert_non_null(g);
            assert_int_equal(GEOSArea_r(h, g, &ref), 1);
            GEOSGeom_destroy_r(h, g);
            assert_true(fabs(ar[k] - ref) < 1e-6 * (1 + ref));
            sum += ref;
            checked++;
        }
        /* and no piece missed: the pieces add up to GEOS's intersection
         * with every to polygon */
        double all = 0;
        for (int j = 0; j < N * N; j++) {
            GEOSGeometry *g = GEOSIntersection_r(h, from[i], to[j]);
            double a = 0;
            GEOSArea_r(h, g, &a);
            GEOSGeom_destroy_r(h, g);
            all += a;
        }
        assert_true(fabs(all - sum) < 1e-6 * (1 + all));
    }
    assert_true(checked > 2 * N * N);
    loc_overlay_destroy(o);
    for (int k = 0; k < N * N; k++) {
        GEOSGeom_destroy_r(h, from[k]);
        GEOSGeom_destroy_r(h, to[k]);
    }
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

typedef struct sets {
    GEOSGeometry *from[4], *to[3];
} sets;

static void *make_overlay(loc_ctx *ctx, void *arg)
{
    sets *s = arg;
    GEOSContextHandle_t h = loc_geos(ctx);
    for (int k = 0; k < 4; k++)
        s->from[k] = box(ctx, 10 * k, 0, 10 * k + 10, 10);
    for (int k = 0; k < 3; k++)
        s->to[k] = box(ctx, 13 * k, -1, 13 * k + 13, 11);
    loc_overlay *o =
        loc_overlay_create(ctx, (const GEOSGeometry *const *)s->from, 4, (const GEOSGeometry *const *)s->to, 3);
    for (int k = 0; k < 4; k++)
        GEOSGeom_destroy_r(h, s->from[k]);
    for (int k = 0; k < 3; k++)
        GEOSGeom_destroy_r(h, s->to[k]);
    return o;
}

static void free_overlay(void *o) { loc_overlay_destroy(o); }

static void test_overlay_enomem(void **state)
{
    (void)state;
    sets s;
    assert_true(test_alloc_failures(make_overlay, free_overlay, &s) > 0);
}

/* ---------------------------------------------------------------------
 * Zones placed in locality polygons
 * --------------------------------------------------------------------- */

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n";

static const char IND[] = "Data_Zone,Total_population,income_count\n"
                          "Z1,1000,100\nZ2,500,50\nZ3,200,20\nZ4,300,30\nZ5,700,70\n";

/* A GeoJSON FeatureCollection in EPSG:27700 of boxes (x0 y0 x1 y1 in
 * metres from the offset) with a code field; written to a temporary file
 * whose path goes to path. */
static void write_boxes(char *path, size_t size, const char *field, const char *const *codes, const double (*b)[4],
                        size_t n)
{
    snprintf(path, size, "/tmp/test_overlay_XXXXXX.geojson");
    int fd = mkstemps(path, 8);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
               "\"urn:ogc:def:crs:EPSG::27700\"}},\"features\":[");
    for (size_t k = 0; k < n; k++) {
        double x0 = 300000 + b[k][0], y0 = 700000 + b[k][1], x1 = 300000 + b[k][2], y1 = 700000 + b[k][3];
        fprintf(f,
                "%s{\"type\":\"Feature\",\"properties\":{\"%s\":\"%s\"},\"geometry\":{\"type\":\"Polygon\","
                "\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f]]]}}",
                k ? "," : "", field, codes[k], x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    }
    fprintf(f, "]}\n");
    fclose(f);
}

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_boundaries *zb;
    loc_lookup *councils;
    loc_zones *z;
    char zpath[64];
    char warn[2048];
} fx;

static void collect(void *ud, loc_level level, const char *msg)
{
    fx *f = ud;
    size_t len = strlen(f->warn);
    if (level == LOC_WARN)
        snprintf(f->warn + len, sizeof f->warn - len, "%s\n", msg);
}

/* Zones Z1..Z5: 100 m squares in a row at x = 0, 100, ..., 400. */
static void fx_load(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    loc_ctx_set_report(f->ctx, collect, f);
    static const char *const codes[] = {"Z1", "Z2", "Z3", "Z4", "Z5"};
    double b[5][4];
    for (int k = 0; k < 5; k++) {
        b[k][0] = 100 * k;
        b[k][1] = 0;
        b[k][2] = 100 * k + 100;
        b[k][3] = 100;
    }
    write_boxes(f->zpath, sizeof f->zpath, "DataZone", codes, (const double (*)[4])b, 5);
    assert_non_null(f->zb = loc_boundaries_read(f->ctx, f->zpath, NULL));
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", IND, strlen(IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    static const char COUNCILS[] = "dz11_code,ca_code,ca_name\nZ1,C1,Alpha\nZ2,C1,Alpha\nZ3,C1,Alpha\n"
                                   "Z4,C1,Alpha\nZ5,C1,Alpha\n";
    assert_non_null(f->councils = loc_lookup_parse(f->ctx, "councils.csv", COUNCILS, strlen(COUNCILS), NULL));
    const loc_lookup *l[] = {f->councils};
    loc_join_opts o = {0};
    f->z = loc_zones_join(f->ctx, f->zb, f->ind, f->spec, l, 1, &o, NULL);
    if (!f->z)
        fprintf(stderr, "join: %s\n", loc_errmsg(f->ctx));
    assert_non_null(f->z);
    f->warn[0] = 0;
}

static void fx_free(fx *f)
{
    loc_zones_destroy(f->z);
    loc_boundaries_destroy(f->zb);
    loc_lookup_destroy(f->councils);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_ctx_destroy(f->ctx);
    unlink(f->zpath);
    assert_int_equal(f->ta.live, 0);
}

static void test_from_polygons(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    /* East holds Z1, Z2 and 70% of Z3; West 30% of Z3 and Z4; Z5 lies in
     * no polygon; Empty holds most of no zone */
    static const char *const codes[] = {"Empty", "East", "West"};
    static const double b[3][4] = {{-50, 0, -10, 100}, {0, 0, 270, 100}, {270, 0, 400, 100}};
    char lpath[64];
    write_boxes(lpath, sizeof lpath, "code", codes, b, 3);
    loc_boundaries *polys = loc_boundaries_read(f.ctx, lpath, &(loc_boundary_opts){.zone_field = "code"});
    assert_non_null(polys);
    loc_zone_place place[5];
    loc_place_stats s;
    loc_partition *p = loc_partition_from_polygons(f.ctx, f.z, f.zb, polys, place, &s);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 2);
    assert_string_equal(loc_partition_code(p, 0), "East");
    assert_string_equal(loc_partition_code(p, 1), "West");
    long z3 = loc_zones_find(f.z, "Z3"), z5 = loc_zones_find(f.z, "Z5");
    assert_int_equal(place[z3].first, 0);
    assert_int_equal(place[z3].second, 1);
    assert_true(fabs(place[z3].share1 - 0.7) < 1e-9 && fabs(place[z3].share2 - 0.3) < 1e-9);
    assert_int_equal(place[z5].first, -1);
    assert_int_equal(loc_partition_labels(p)[z5], -1);
    assert_int_equal(loc_partition_labels(p)[loc_zones_find(f.z, "Z4")], 1);
    assert_int_equal(s.zones, 4);
    assert_int_equal(s.approx, 1);
    assert_int_equal(s.unplaced, 1);
    assert_true(fabs(s.pop - 2000) < 1e-9 && fabs(s.approx_pop - 200) < 1e-9);
    assert_true(fabs(s.area_m2 - 40000) < 1e-6 && fabs(s.approx_area_m2 - 3000) < 1e-6);
    assert_non_null(strstr(f.warn, "1 locality polygon holds most of no study zone and is left out: 'Empty'"));
    assert_non_null(strstr(f.warn, "1 study zone in no locality polygon (or with no boundary), left out: 'Z5'"));
    /* zones_split.csv */
    char out[64];
    snprintf(out, sizeof out, "/tmp/test_overlay_split_%d.csv", (int)getpid());
    assert_int_equal(loc_write_zones_split_csv(f.ctx, p, place, out), LOC_OK);
    FILE *in = fopen(out, "r");
    assert_non_null(in);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, in);
    text[n] = 0;
    fclose(in);
    unlink(out);
    assert_string_equal(text, "zone_code,locality_code,share,second_locality_code,second_share,population\n"
                              "Z3,East,0.7000,West,0.3000,200\n");
    assert_int_equal(loc_write_zones_split_csv(f.ctx, p, place, "/no/such/folder/zones_split.csv"), LOC_EIO);
    loc_partition_destroy(p);
    loc_boundaries_destroy(polys);
    unlink(lpath);
    fx_free(&f);
}

static void test_from_polygons_refused(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    /* A and B overlap over half of Z2 */
    static const char *const codes[] = {"A", "B"};
    static const double b[2][4] = {{0, 0, 200, 100}, {150, 0, 500, 100}};
    char lpath[64];
    write_boxes(lpath, sizeof lpath, "code", codes, b, 2);
    loc_boundaries *polys = loc_boundaries_read(f.ctx, lpath, &(loc_boundary_opts){.zone_field = "code"});
    assert_non_null(polys);
    assert_null(loc_partition_from_polygons(f.ctx, f.z, f.zb, polys, NULL, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EDATA);
    char want[256];
    snprintf(want, sizeof want,
             "'%s': locality polygons overlap: 'A' and 'B' both cover zone 'Z2' (50%% more than its area)", lpath);
    assert_string_equal(loc_errmsg(f.ctx), want);
    loc_boundaries_destroy(polys);
    unlink(lpath);
    /* polygons far from every zone */
    static const double far[2][4] = {{5000, 5000, 5100, 5100}, {6000, 6000, 6100, 6100}};
    write_boxes(lpath, sizeof lpath, "code", codes, far, 2);
    assert_non_null(polys = loc_boundaries_read(f.ctx, lpath, &(loc_boundary_opts){.zone_field = "code"}));
    assert_null(loc_partition_from_polygons(f.ctx, f.z, f.zb, polys, NULL, NULL));
    snprintf(want, sizeof want, "'%s': no study zone lies in any of its 2 locality polygons", lpath);
    assert_string_equal(loc_errmsg(f.ctx), want);
    loc_boundaries_destroy(polys);
    unlink(lpath);
    fx_free(&f);
}


static void test_carry_overlay(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    /* held zones H1 (x 0..160) in L1 and H2 (160..500) in L2: Z2 has 60%
     * of its area in L1; H3 is in no held locality */
    static const char *const codes[] = {"H1", "H2", "H3"};
    static const double b[3][4] = {{0, 0, 160, 100}, {160, 0, 500, 100}, {600, 0, 700, 100}};
    char hpath[64];
    write_boxes(hpath, sizeof hpath, "code", codes, b, 3);
    loc_boundaries *hb = loc_boundaries_read(f.ctx, hpath, &(loc_boundary_opts){.zone_field = "code"});
    assert_non_null(hb);
    static const char HELD[] = "zone_code,locality_code,locality_name\nH1,L1,One\nH2,L2,Two\nH3,,\n";
    loc_csv *held = loc_csv_parse(f.ctx, "held.csv", HELD, strlen(HELD));
    assert_non_null(held);
    loc_carry_stats cs;
    uint8_t how[5];
    loc_partition *p = loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, NULL, LOC_CARRY_MOST, &cs, how);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 2);
    long z1 = loc_zones_find(f.z, "Z1"), z2 = loc_zones_find(f.z, "Z2"), z5 = loc_zones_find(f.z, "Z5");
    assert_string_equal(loc_partition_code(p, (size_t)loc_partition_labels(p)[z1]), "L1");
    assert_string_equal(loc_partition_code(p, (size_t)loc_partition_labels(p)[z2]), "L1");
    assert_string_equal(loc_partition_name(p, (size_t)loc_partition_labels(p)[z2]), "One");
    assert_string_equal(loc_partition_code(p, (size_t)loc_partition_labels(p)[z5]), "L2");
    assert_int_equal(how[z1], LOC_PLACED_EXACT);
    assert_int_equal(how[z2], LOC_PLACED_MOST);
    assert_int_equal(cs.exact, 4);
    assert_int_equal(cs.most, 1);
    assert_int_equal(cs.unplaced, 0);
    assert_true(fabs(cs.most_pop - 500) < 1e-9);
    loc_partition_destroy(p);
    /* the 40 m x 100 m outside Z2 spread along its 400 m perimeter is 10 m wide */
    assert_non_null(p = loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, &(loc_carry_overlay_opts){.sliver_m = 10}, LOC_CARRY_MOST, &cs, how));
    assert_int_equal(how[z2], LOC_PLACED_EXACT);
    assert_int_equal(cs.exact, 5);
    loc_partition_destroy(p);
    assert_non_null(p = loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, &(loc_carry_overlay_opts){.sliver_m = 9.9}, LOC_CARRY_MOST, &cs, how));
    assert_int_equal(how[z2], LOC_PLACED_MOST);
    loc_partition_destroy(p);
    /* all: Z2 is left out */
    f.warn[0] = 0;
    assert_non_null(p = loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, NULL, LOC_CARRY_ALL, &cs, how));
    assert_int_equal(how[z2], LOC_PLACED_TIE);
    assert_int_equal(loc_partition_labels(p)[z2], -1);
    assert_int_equal(cs.unplaced, 1);
    assert_non_null(strstr(f.warn, "1 study zones (500 residents) left out"));
    loc_partition_destroy(p);
    /* by residents: H1 holds 160 residents on 16,000 m2, H2 1,360 on
     * 34,000: Z2's 6,000 m2 in H1 hold 60, its 4,000 m2 in H2 160 */
    static const char HELD_POP[] = "zone_code,locality_code,population\nH1,L1,160\nH2,L2,1360\nH3,,5\n";
    loc_csv *heldp = loc_csv_parse(f.ctx, "heldp.csv", HELD_POP, strlen(HELD_POP));
    assert_non_null(heldp);
    loc_carry_overlay_opts ro = {.by_residents = 1};
    assert_non_null(p = loc_partition_carry_overlay(f.ctx, f.z, f.zb, heldp, hb, &ro, LOC_CARRY_MOST, &cs, how));
    assert_string_equal(loc_partition_code(p, (size_t)loc_partition_labels(p)[z2]), "L2");
    assert_int_equal(how[z2], LOC_PLACED_MOST);
    assert_int_equal(how[z1], LOC_PLACED_EXACT);
    loc_partition_destroy(p);
    loc_csv_destroy(heldp);
    /* refused: no population to weigh by */
    assert_null(loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, &ro, LOC_CARRY_MOST, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "'held.csv': no column 'population' (needed to weigh by residents)");
    /* refused */
    assert_null(loc_partition_carry_overlay(f.ctx, f.z, f.zb, held, hb, &(loc_carry_overlay_opts){.sliver_m = -1}, LOC_CARRY_MOST, NULL, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EINVAL);
    static const char BAD[] = "zone,locality_code\nH1,L1\n";
    loc_csv *bad = loc_csv_parse(f.ctx, "bad.csv", BAD, strlen(BAD));
    assert_null(loc_partition_carry_overlay(f.ctx, f.z, f.zb, bad, hb, NULL, LOC_CARRY_MOST, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "'bad.csv': no column 'zone_code'");
    loc_csv_destroy(bad);
    loc_csv_destroy(held);
    loc_boundaries_destroy(hb);
    unlink(hpath);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_pieces),
        cmocka_unit_test(test_overlay_many),
        cmocka_unit_test(test_overlay_against_geos),
        cmocka_unit_test(test_overlay_enomem),
        cmocka_unit_test(test_from_polygons),
        cmocka_unit_test(test_from_polygons_refused),
        cmocka_unit_test(test_carry_overlay),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
