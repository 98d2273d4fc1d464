/*
 * Inputs far larger than any real one: a layer of more than a million
 * features and a single polygon of more than ten million vertices.  Each
 * must be refused with a message naming the file, the feature and the
 * limit, and the refusal must come before the engine makes its own copies
 * (memory stays within a small multiple of GDAL's one copy of the
 * feature).  The files are written by a child process so that the
 * parent's peak resident memory measures the reader alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "localities/boundary.h"
#include "test_util.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    return test_tmpdir_create(tmpdir, sizeof tmpdir, "limits");
}

static int remove_dir(void **state)
{
    (void)state;
    return test_tmpdir_remove(tmpdir);
}

/* Memory bounds mean nothing under valgrind or AddressSanitizer, whose
 * own bookkeeping is counted in the process's resident memory: there the
 * refusals are checked, the bounds only printed. */
static int memory_measurable(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 0;
#endif
#endif
    const char *p = getenv("LD_PRELOAD");
    return !getenv("LOC_UNDER_VALGRIND") && !(p && strstr(p, "vgpreload"));
}

/* Peak resident memory of this process so far, in MiB. */
static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* A FlatGeobuf layer 'zones' in EPSG:27700 with a DataZone field, no
 * spatial index (so the writer keeps nothing in memory). */
static GDALDatasetH create_fgb(const char *path, OGRLayerH *layer)
{
    GDALDriverH drv = GDALGetDriverByName("FlatGeobuf");
    if (!drv)
        return NULL;
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds)
        return NULL;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    char *opts[] = {"SPATIAL_INDEX=NO", NULL};
    *layer = GDALDatasetCreateLayer(ds, "zones", srs, wkbPolygon, opts);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("DataZone", OFTString);
    OGR_L_CreateField(*layer, fd, 1);
    OGR_Fld_Destroy(fd);
    return ds;
}

/* One polygon feature: a ring of n vertices (n >= 4) on a circle of
 * radius 1 km around (x, y). */
static int write_ring(OGRLayerH l, const char *code, double x, double y, long n)
{
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing), poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_SetPointCount(ring, (int)n);
    for (long i = 0; i < n - 1; i++) {
        double a = 6.283185307179586 * (double)i / (double)(n - 1);
        OGR_G_SetPoint_2D(ring, (int)i, x + 1000 * cos(a), y + 1000 * sin(a));
    }
    OGR_G_SetPoint_2D(ring, (int)(n - 1), x + 1000, y);
    OGR_G_AddGeometryDirectly(poly, ring);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGR_F_SetFieldString(f, 0, code);
    OGR_F_SetGeometryDirectly(f, poly);
    int rc = OGR_L_CreateFeature(l, f) == OGRERR_NONE ? 0 : -1;
    OGR_F_Destroy(f);
    return rc;
}

/* Write a layer of nfeat rings of nvert vertices each in a child process. */
static void write_in_child(const char *path, long nfeat, long nvert)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        OGRLayerH l = NULL;
        GDALDatasetH ds = create_fgb(path, &l);
        int rc = ds && l ? 0 : 1;
        char code[32];
        for (long i = 0; !rc && i < nfeat; i++) {
            snprintf(code, sizeof code, "Z%07ld", i);
            rc = write_ring(l, code, 100000 + 3000.0 * (double)(i % 100), 500000 + 3000.0 * (double)(i / 100), nvert);
        }
        if (ds)
            GDALClose(ds);
        _exit(rc);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void expect_refusal(const char *path, const char *want)
{
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_boundaries *b = loc_boundaries_read(ctx, path, NULL);
    assert_null(b);
    assert_int_equal(loc_errcode(ctx), LOC_ELIMIT);
    assert_string_equal(loc_errmsg(ctx), want);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
}

/* More than LOC_MAX_ZONES features: refused from the layer's own count,
 * before a single feature is read. */
static void test_too_many_features(void **state)
{
    (void)state;
    char path[300], want[600];
    snprintf(path, sizeof path, "%s/many.fgb", tmpdir);
    write_in_child(path, LOC_MAX_ZONES + 1, 4);
    double before = peak_mib();
    snprintf(want, sizeof want, "'%s' layer 'zones': %d features, more than the %d accepted", path,
             LOC_MAX_ZONES + 1, LOC_MAX_ZONES);
    expect_refusal(path, want);
    double grew = peak_mib() - before;
    printf("# %d features refused; peak resident memory grew %.1f MiB\n", LOC_MAX_ZONES + 1, grew);
    if (memory_measurable())
        assert_true(grew < 64);
    unlink(path);
}

/* One polygon of LOC_MAX_FEATURE_VERTICES + 1 vertices: refused on
 * GDAL's copy, before the WKB and GEOS copies. */
static void test_huge_polygon(void **state)
{
    (void)state;
    char path[300], want[600];
    snprintf(path, sizeof path, "%s/huge.fgb", tmpdir);
    long n = LOC_MAX_FEATURE_VERTICES + 1;
    write_in_child(path, 1, n);
    double before = peak_mib();
    snprintf(want, sizeof want, "'%s' feature 0 (zone 'Z0000000'): %ld vertices, more than the %d accepted", path, n,
             LOC_MAX_FEATURE_VERTICES);
    expect_refusal(path, want);
    double grew = peak_mib() - before, copy = (double)n * 16 / 1048576.0;
    printf("# %ld-vertex polygon refused; peak resident memory grew %.1f MiB (one copy of the coordinates is %.1f MiB)\n",
           n, grew, copy);
    /* GDAL's feature and the file's bytes; the engine's copies would add two more */
    if (memory_measurable())
        assert_true(grew < 2.5 * copy);
    unlink(path);
}

/* Just under the limit is read: the limit is where it says it is. */
static void test_large_polygon_accepted(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/large.fgb", tmpdir);
    write_in_child(path, 1, 1000000);
    test_alloc t;
    loc_ctx *ctx = test_ctx(&t);
    loc_boundaries *b = loc_boundaries_read(ctx, path, NULL);
    assert_non_null(b);
    assert_int_equal(loc_boundaries_count(b), 1);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
    assert_int_equal(t.live, 0);
    unlink(path);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_too_many_features),
        cmocka_unit_test(test_huge_polygon),
        cmocka_unit_test(test_large_polygon_accepted),
    };
    return test_exit(cmocka_run_group_tests(tests, setup_dir, remove_dir));
}
