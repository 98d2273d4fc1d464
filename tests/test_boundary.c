/*
 * Tests for the boundary reader: the embedded GeoPackage, sources written
 * on the fly with GDAL (Shapefile with and without a CRS, GeoJSON in WGS 84)
 * holding the awkward cases (bow-tie, empty, null, point and zero-area
 * geometries, duplicate codes), truncated shapefiles, and the full Scotland
 * files when ../shared is present.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/boundary.h"
#include "localities/lookup.h"
#include "internal.h"
#include "test_util.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

typedef struct msgs {
    char text[8192];
    int nwarn;
} msgs;

static void collect(void *ud, loc_level level, const char *msg)
{
    msgs *m = ud;
    if (level == LOC_WARN)
        m->nwarn++;
    size_t len = strlen(m->text);
    snprintf(m->text + len, sizeof m->text - len, "%s\n", msg);
}

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    if (test_tmpdir_create(tmpdir, sizeof tmpdir, "boundary"))
        return -1;
    GDALAllRegister();
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    return test_tmpdir_remove(tmpdir);
}

typedef struct feat {
    const char *code;
    const char *wkt; /* NULL for a null geometry */
} feat;

/* Write features to a new vector file; epsg 0 writes no CRS. */
static const char *src_field = "DataZone"; /* the zone code field write_source writes */

static const char *write_source(const char *name, const char *driver, int epsg, const feat *f, size_t n)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    GDALDriverH drv = GDALGetDriverByName(driver);
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRLayerH l = GDALDatasetCreateLayer(ds, "zones", srs, wkbUnknown, NULL);
    assert_non_null(l);
    OGRFieldDefnH fd = OGR_Fld_Create(src_field, OFTString);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    for (size_t i = 0; i < n; i++) {
        OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(ft, 0, f[i].code);
        if (f[i].wkt) {
            OGRGeometryH g = NULL;
            char *w = (char *)f[i].wkt;
            assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
            OGR_F_SetGeometryDirectly(ft, g);
        }
        assert_int_equal(OGR_L_CreateFeature(l, ft), OGRERR_NONE);
        OGR_F_Destroy(ft);
    }
    if (srs)
        OSRDestroySpatialReference(srs);
    GDALClose(ds);
    return path;
}

/* A 1 km square with its lower-left corner at (x, y) in British National Grid. */
static char *square(char *buf, double x, double y)
{
    sprintf(buf, "POLYGON ((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y, x + 1000, y, x + 1000,
            y + 1000, x, y + 1000, x, y);
    return buf;
}

static void test_embedded_stirling(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 121);
    assert_string_equal(loc_boundaries_zone_field(b), "dz11_code");
    assert_string_equal(loc_boundaries_layer(b), "dz2011");
    assert_string_equal(loc_boundaries_code(b, 0), "S01013001");
    assert_true(strlen(loc_boundaries_name(b, 0)) > 0);
    assert_int_equal(loc_boundaries_reprojected(b), 0);
    assert_int_equal(loc_boundaries_repaired(b), 0);
    assert_int_equal(loc_boundaries_excluded(b), 0);
    assert_int_equal(loc_boundaries_vertices(b), 6980);
    assert_non_null(strstr(loc_boundaries_crs(b), "EPSG:27700"));
    double bb[4];
    loc_boundaries_bbox(b, bb);
    /* Stirling lies between Loch Lomond and the Forth: about 224-288 km E, 676-742 km N */
    assert_true(bb[0] > 223000 && bb[0] < 224500);
    assert_true(bb[3] > 741000 && bb[3] < 742500);
    double area_total = 0;
    for (size_t i = 0; i < loc_boundaries_count(b); i++) {
        double a;
        assert_int_equal(GEOSArea_r(loc_geos(ctx), loc_boundaries_geom(b, i), &a), 1);
        area_total += a;
    }
    /* Stirling council area is about 2,187 km2 */
    assert_true(area_total > 2.1e9 && area_total < 2.3e9);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

static void test_awkward_geometries(void **state)
{
    (void)state;
    char s1[200], s2[200];
    feat f[] = {
        {"Z1", square(s1, 300000, 700000)},
        {"Z2", "POLYGON ((301000 700000,302000 701000,302000 700000,301000 701000,301000 700000))"}, /* bow-tie */
        {"Z3", "POLYGON EMPTY"},
        {"Z4", NULL},
        {"Z5", "POINT (300500 700500)"},
        {"Z6", "POLYGON ((303000 700000,304000 700000,305000 700000,303000 700000))"}, /* zero area */
        {"Z7", square(s2, 305000, 700000)},
        {"", "POLYGON ((306000 700000,307000 700000,307000 701000,306000 700000))"},
    };
    const char *path = write_source("awkward.gpkg", "GPKG", 27700, f, sizeof f / sizeof *f);
    loc_ctx *ctx = loc_ctx_create(NULL);
    msgs m = {{0}, 0};
    loc_ctx_set_report(ctx, collect, &m);
    loc_boundaries *b = loc_boundaries_read(ctx, path, NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 3);
    assert_string_equal(loc_boundaries_code(b, 0), "Z1");
    assert_string_equal(loc_boundaries_code(b, 1), "Z2");
    assert_string_equal(loc_boundaries_code(b, 2), "Z7");
    assert_int_equal(loc_boundaries_repaired(b), 1);
    assert_int_equal(GEOSisValid_r(loc_geos(ctx), loc_boundaries_geom(b, 1)), 1);
    double a;
    GEOSArea_r(loc_geos(ctx), loc_boundaries_geom(b, 1), &a);
    assert_true(fabs(a - 500000) < 1); /* two triangles of 250,000 m2 */
    assert_int_equal(loc_boundaries_excluded(b), 5);
    assert_string_equal(loc_boundaries_excluded_code(b, 0), "Z3");
    assert_string_equal(loc_boundaries_excluded_reason(b, 0), "empty geometry");
    assert_string_equal(loc_boundaries_excluded_code(b, 1), "Z4");
    assert_string_equal(loc_boundaries_excluded_reason(b, 1), "no geometry");
    assert_string_equal(loc_boundaries_excluded_reason(b, 2), "not a polygon");
    assert_string_equal(loc_boundaries_excluded_code(b, 3), "Z6");
    assert_string_equal(loc_boundaries_excluded_reason(b, 3), "zero-area geometry");
    assert_string_equal(loc_boundaries_excluded_reason(b, 4), "no zone code");
    assert_int_equal(m.nwarn, 6); /* GeoPackage feature ids start at 1 */
    assert_non_null(strstr(m.text, "feature 2 (zone 'Z2'): invalid geometry repaired (Self-intersection[301500 700500])"));
    assert_non_null(strstr(m.text, "feature 4 (zone 'Z4'): no geometry; zone excluded"));
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

static void test_no_crs(void **state)
{
    (void)state;
    char s1[200];
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    const char *path = write_source("nocrs.shp", "ESRI Shapefile", 0, f, 1);
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    assert_int_equal(loc_errcode(ctx), LOC_ECRS);
    char want[600];
    snprintf(want, sizeof want,
             "'%s' layer 'nocrs': the source has no coordinate reference system; state one with --crs (e.g. EPSG:27700)",
             path);
    assert_string_equal(loc_errmsg(ctx), want);
    loc_boundary_opts o = {.assume_crs = "EPSG:27700"};
    loc_boundaries *b = loc_boundaries_read(ctx, path, &o);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 1);
    assert_int_equal(loc_boundaries_reprojected(b), 0);
    loc_boundaries_destroy(b);
    o.assume_crs = "EPSG:999999";
    assert_null(loc_boundaries_read(ctx, path, &o));
    assert_string_equal(loc_errmsg(ctx), "unknown coordinate reference system 'EPSG:999999'");
    loc_ctx_destroy(ctx);
}

static void test_wrong_crs(void **state)
{
    (void)state;
    char s1[200];
    /* British National Grid coordinates labelled as Web Mercator: they land off Africa */
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    const char *path = write_source("wrongcrs.shp", "ESRI Shapefile", 3857, f, 1);
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    assert_int_equal(loc_errcode(ctx), LOC_ECRS);
    assert_non_null(strstr(loc_errmsg(ctx), "lie outside Great Britain; is the source CRS (EPSG:3857"));
    loc_ctx_destroy(ctx);
}

/* A geographic CRS with coordinates in metres (GeoJSON without a crs
 * member is WGS 84 by definition): the first feature is refused, naming
 * the CRS. */
static void test_geographic_metres(void **state)
{
    (void)state;
    char s1[200];
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    const char *path = write_source("metres.geojson", "GeoJSON", 4326, f, 1);
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    assert_int_equal(loc_errcode(ctx), LOC_ECRS);
    char want[700];
    snprintf(want, sizeof want,
             "'%s' feature 0 (zone 'A'): coordinates cannot be projected from EPSG:4326 (WGS 84) to EPSG:27700; "
             "is the source CRS right?",
             path);
    assert_string_equal(loc_errmsg(ctx), want);
    loc_ctx_destroy(ctx);
}

static void test_reprojection(void **state)
{
    (void)state;
    /* Stirling Castle area: the same square in WGS 84 and in British National Grid */
    feat f[] = {{"W", "POLYGON ((-3.95 56.10,-3.93 56.10,-3.93 56.12,-3.95 56.12,-3.95 56.10))"}};
    const char *path = write_source("wgs84.geojson", "GeoJSON", 4326, f, 1);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, path, NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_reprojected(b), 1);
    double bb[4];
    loc_boundaries_bbox(b, bb);
    /* gdaltransform -s_srs EPSG:4326 -t_srs EPSG:27700 puts the corner -3.95 56.10 at
     * 278,800.7 E 691,405.2 N and -3.93 56.10 at 691,370 N; the bbox takes the minima */
    assert_true(fabs(bb[0] - 278801) < 5);
    assert_true(fabs(bb[1] - 691370) < 5);
    double a;
    GEOSArea_r(loc_geos(ctx), loc_boundaries_geom(b, 0), &a);
    /* 0.02 deg lon x 0.02 deg lat at 56.1 N: about 1.244 km x 2.226 km */
    assert_true(a > 2.6e6 && a < 2.95e6);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

static void test_duplicate_codes(void **state)
{
    (void)state;
    char s1[200], s2[200], s3[200];
    feat f[] = {{"A", square(s1, 300000, 700000)}, {"B", square(s2, 301000, 700000)}, {"A", square(s3, 302000, 700000)}};
    const char *path = write_source("dup.gpkg", "GPKG", 27700, f, 3);
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    char want[600];
    snprintf(want, sizeof want, "'%s': duplicate zone code 'A' (zones 1 and 3 in file order)", path);
    assert_string_equal(loc_errmsg(ctx), want);
    assert_int_equal(loc_errcode(ctx), LOC_EDATA);
    loc_ctx_destroy(ctx);
}

static void test_fields(void **state)
{
    (void)state;
    char s1[200];
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    const char *path = write_source("fields.gpkg", "GPKG", 27700, f, 1);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundary_opts o = {.zone_field = "dz_code"};
    assert_null(loc_boundaries_read(ctx, path, &o));
    char want[600];
    snprintf(want, sizeof want, "'%s' layer 'zones': no field 'dz_code' (fields: 'DataZone')", path);
    assert_string_equal(loc_errmsg(ctx), want);
    o.zone_field = "datazone"; /* case does not matter */
    loc_boundaries *b = loc_boundaries_read(ctx, path, &o);
    assert_non_null(b);
    loc_boundaries_destroy(b);
    o.zone_field = NULL;
    o.layer = "nope";
    assert_null(loc_boundaries_read(ctx, path, &o));
    snprintf(want, sizeof want, "'%s': no layer named 'nope'", path);
    assert_string_equal(loc_errmsg(ctx), want);
    loc_ctx_destroy(ctx);
}

/* Every zone code name is detected by both readers: the boundary field
 * and the lookup column. */
static void test_zone_code_names(void **state)
{
    (void)state;
    char s1[200], name[64], csv[128], file[96];
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    loc_ctx *ctx = loc_ctx_create(NULL);
    int k = 0;
    for (const char *s = LOC_ZONE_CODE_NAMES;; k++) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        snprintf(name, sizeof name, "%.*s", (int)len, s);
        src_field = name;
        snprintf(file, sizeof file, "names%d.geojson", k);
        const char *path = write_source(file, "GeoJSON", 27700, f, 1);
        loc_boundaries *b = loc_boundaries_read(ctx, path, NULL);
        assert_non_null(b);
        assert_string_equal(loc_boundaries_zone_field(b), name);
        loc_boundaries_destroy(b);
        snprintf(csv, sizeof csv, "%s,group\nA,G\n", name);
        loc_lookup *l = loc_lookup_parse(ctx, "names.csv", csv, strlen(csv), NULL);
        assert_non_null(l);
        assert_string_equal(loc_lookup_zone_column(l), name);
        loc_lookup_destroy(l);
        if (!bar)
            break;
        s = bar + 1;
    }
    src_field = "DataZone";
    loc_ctx_destroy(ctx);
}

static void test_missing_and_truncated(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    assert_null(loc_boundaries_read(ctx, "no/such/file.gpkg", NULL));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "cannot open 'no/such/file.gpkg' as a vector source"));

    char s1[200], p[600];
    feat f[] = {{"A", square(s1, 300000, 700000)}};
    const char *path = write_source("trunc.shp", "ESRI Shapefile", 27700, f, 1);
    snprintf(p, sizeof p, "%s/trunc.shx", tmpdir);
    assert_int_equal(unlink(p), 0);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "trunc.shx"));

    path = write_source("nodbf.shp", "ESRI Shapefile", 27700, f, 1);
    snprintf(p, sizeof p, "%s/nodbf.dbf", tmpdir);
    assert_int_equal(unlink(p), 0);
    assert_null(loc_boundaries_read(ctx, path, NULL));
    char want[700];
    snprintf(want, sizeof want,
             "'%s' layer 'nodbf': no attribute fields, so no zone codes (is the shapefile's .dbf file missing?)", path);
    assert_string_equal(loc_errmsg(ctx), want);
    assert_int_equal(loc_errcode(ctx), LOC_EDATA);

    /* a text file is not a vector source */
    snprintf(p, sizeof p, "%s/not.gpkg", tmpdir);
    FILE *fp = fopen(p, "w");
    fputs("hello\n", fp);
    fclose(fp);
    assert_null(loc_boundaries_read(ctx, p, NULL));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    loc_ctx_destroy(ctx);
}

static void test_scotland(void **state)
{
    (void)state;
    const char *p11 = LOC_SHARED_DIR "/boundaries/dz2011_scotland_simplified.gpkg";
    const char *p01 = LOC_SHARED_DIR "/boundaries/dz2001_scotland_martinjc.gpkg";
    SKIP_WITHOUT_SHARED(p11);
    SKIP_WITHOUT_SHARED(p01);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, p11, NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 6976);
    assert_int_equal(loc_boundaries_vertices(b), 267787);
    double total = 0;
    for (size_t i = 0; i < loc_boundaries_count(b); i++) {
        double a;
        GEOSArea_r(loc_geos(ctx), loc_boundaries_geom(b, i), &a);
        total += a;
    }
    /* shared README: total area 77,919.6 km2 */
    assert_true(fabs(total / 1e6 - 77919.6) < 0.5);
    loc_boundaries_destroy(b);
    b = loc_boundaries_read(ctx, p01, NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 6500);
    assert_string_equal(loc_boundaries_zone_field(b), "DZ_CODE");
    assert_string_equal(loc_boundaries_attr(b, 0, "la_code_2014") ? "ok" : "none", "ok");
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

/* Allocation failures at every point of a read that repairs, excludes and
 * keeps zones with attributes: each is LOC_ENOMEM and leaks nothing (GEOS
 * geometries are checked by valgrind and the sanitizer build). */
static void *make_boundaries(loc_ctx *ctx, void *arg) { return loc_boundaries_read(ctx, arg, NULL); }
static void free_boundaries(void *b) { loc_boundaries_destroy(b); }

static void test_enomem(void **state)
{
    (void)state;
    char s1[200], s2[200];
    feat f[] = {
        {"Z1", square(s1, 300000, 700000)},
        {"Z2", "POLYGON ((301000 700000,302000 701000,302000 700000,301000 701000,301000 700000))"}, /* bow-tie */
        {"Z3", "POLYGON EMPTY"},
        {"Z6", "POLYGON ((303000 700000,304000 700000,305000 700000,303000 700000))"}, /* zero area */
        {"Z7", square(s2, 305000, 700000)},
    };
    const char *path = write_source("enomem.gpkg", "GPKG", 27700, f, sizeof f / sizeof *f);
    char copy[512];
    snprintf(copy, sizeof copy, "%s", path);
    long used = test_alloc_failures(make_boundaries, free_boundaries, copy);
    assert_true(used >= 8);
    /* and again through a reprojection */
    feat w[] = {{"W", "POLYGON ((-3.95 56.10,-3.93 56.10,-3.93 56.12,-3.95 56.12,-3.95 56.10))"}};
    path = write_source("enomem.geojson", "GeoJSON", 4326, w, 1);
    snprintf(copy, sizeof copy, "%s", path);
    test_alloc_failures(make_boundaries, free_boundaries, copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_stirling), cmocka_unit_test(test_awkward_geometries),
        cmocka_unit_test(test_no_crs),            cmocka_unit_test(test_wrong_crs),
        cmocka_unit_test(test_reprojection),      cmocka_unit_test(test_duplicate_codes),
        cmocka_unit_test(test_zone_code_names), cmocka_unit_test(test_fields),            cmocka_unit_test(test_missing_and_truncated),
        cmocka_unit_test(test_geographic_metres), cmocka_unit_test(test_enomem),
        cmocka_unit_test(test_scotland),
    };
    return test_exit(cmocka_run_group_tests(tests, setup_dir, remove_dir));
}
