/*
 * Tests for the writers: the dissolve on hand-made squares (areas, holes,
 * a multipolygon, a sliver gap that is not a clean coverage) and on
 * Stirling's real zones with intermediate zones as localities; the
 * attribute table; GeoJSON and GeoPackage reopened with GDAL (feature
 * counts, coordinates inside Scotland in longitude/latitude, no crs
 * member, ring orientation, layers and SRS); atomicity (missing folder,
 * a failure mid-write, a failed rename, allocation failures: an earlier
 * file stays untouched and nothing is left behind); and the HTML report
 * (balanced tags, escaping, no network references, funnel limits); and
 * the writers' reusable hash table (sized to each set, cleared only as far
 * as it is used, reallocated only to grow).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"
#include "writers_internal.h"
#include "report_internal.h"
#include "test_util.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Fixtures
 * --------------------------------------------------------------------- */

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n";

/* 3 x 3 grid of 1 km squares (Z5 the centre), a square far off (Z10),
 * and four rectangles around a 0.5 m gap (S1..S4). */
static const char *const SQ_CODES[] = {"Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7",
                                       "Z8", "Z9", "Z10", "S1", "S2", "S3", "S4"};
static const double SQ_BOX[][4] = {
    {300000, 700000, 301000, 701000}, {301000, 700000, 302000, 701000}, {302000, 700000, 303000, 701000},
    {300000, 701000, 301000, 702000}, {301000, 701000, 302000, 702000}, {302000, 701000, 303000, 702000},
    {300000, 702000, 301000, 703000}, {301000, 702000, 302000, 703000}, {302000, 702000, 303000, 703000},
    {310000, 700000, 311000, 701000}, {320000, 700000, 321000, 701000}, {321000.5, 700000, 322000, 701000},
    {320000, 701000, 322000, 701500}, {320000, 699500, 322000, 700000}};
#define NSQ 14

static const char SQ_IND[] = "Data_Zone,Total_population,income_count\n"
                             "Z1,100,10\nZ2,100,10\nZ3,100,10\nZ4,100,10\nZ5,400,100\nZ6,100,10\nZ7,100,10\n"
                             "Z8,100,10\nZ9,100,10\nZ10,50,5\nS1,300,30\nS2,300,60\nS3,300,30\nS4,300,30\n";
static const char SQ_COUNCILS[] = "dz11_code,ca_code,ca_name\nZ1,C1,Alpha\nZ2,C1,Alpha\nZ3,C1,Alpha\nZ4,C1,Alpha\n"
                                  "Z5,C1,Alpha\nZ6,C1,Alpha\nZ7,C1,Alpha\nZ8,C1,Alpha\nZ9,C1,Alpha\nZ10,C1,Alpha\n"
                                  "S1,C2,Beta & <Gamma>\nS2,C2,Beta & <Gamma>\nS3,C2,Beta & <Gamma>\n"
                                  "S4,C2,Beta & <Gamma>\n";
static const char SQ_LOCS[] = "dz11_code,loc_code,loc_name\nZ1,RING,\"Ring \"\"quoted\"\" <b>\"\nZ2,RING,\nZ3,RING,\n"
                              "Z4,RING,\nZ5,CORE,Core\nZ6,RING,\nZ7,RING,\nZ8,RING,\nZ9,RING,\nZ10,RING,\n"
                              "S1,GAP,Gap\nS2,GAP,Gap\nS3,GAP,Gap\nS4,GAP,Gap\n";

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    char dir[64];            /* scratch folder, removed at the end */
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *councils, *locs;
    loc_zones *z;
    loc_partition *p;
} fx;

static void path_in(const fx *f, char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", f->dir, name);
}

/* Entries of a folder other than . and .. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat s;
        if (stat(p, &s) == 0 && S_ISDIR(s.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void put_file(const char *path, const char *text)
{
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    fputs(text, o);
    fclose(o);
}

/* Whole file as a NUL-terminated string (free with free). */
static char *slurp(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, in), (size_t)n);
    s[n] = 0;
    fclose(in);
    if (len)
        *len = (size_t)n;
    return s;
}

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0, w = strlen(what);
    for (const char *p = strstr(s, what); p; p = strstr(p + w, what))
        n++;
    return n;
}

/* The squares as a GeoJSON source in British National Grid. */
static void write_squares(const char *path)
{
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    fputs("{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
          "\"urn:ogc:def:crs:EPSG::27700\"}},\"features\":[\n", o);
    for (int i = 0; i < NSQ; i++) {
        const double *b = SQ_BOX[i];
        fprintf(o, "%s{\"type\":\"Feature\",\"properties\":{\"DataZone\":\"%s\"},\"geometry\":{\"type\":\"Polygon\","
                   "\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f]]]}}\n",
                i ? "," : "", SQ_CODES[i], b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3], b[0], b[1]);
    }
    fputs("]}\n", o);
    fclose(o);
}

static void fx_squares(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    snprintf(f->dir, sizeof f->dir, "/tmp/loc-writers-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char src[128];
    path_in(f, src, sizeof src, "squares.geojson");
    write_squares(src);
    assert_non_null(f->b = loc_boundaries_read(f->ctx, src, NULL));
    unlink(src);
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", SQ_IND, strlen(SQ_IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    assert_non_null(f->councils = loc_lookup_parse(f->ctx, "councils.csv", SQ_COUNCILS, strlen(SQ_COUNCILS), NULL));
    assert_non_null(f->locs = loc_lookup_parse(f->ctx, "locs.csv", SQ_LOCS, strlen(SQ_LOCS), NULL));
    const loc_lookup *l[] = {f->councils};
    assert_non_null(f->z = loc_zones_join(f->ctx, f->b, f->ind, f->spec, l, 1, NULL, NULL));
    assert_non_null(f->p = loc_partition_from_lookup(f->ctx, f->z, f->locs, "loc_code"));
}

/* Stirling: 121 zones, intermediate zones as the 24 localities. */
static int fx_stirling(fx *f)
{
    const char *bp = LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg";
    const char *ip = LOC_DATA_DIR "/stirling/simd2020v2_stirling.csv";
    const char *lp = LOC_DATA_DIR "/stirling/lookup_stirling.csv";
    if (access(bp, R_OK) || access(ip, R_OK) || access(lp, R_OK))
        return 0;
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    snprintf(f->dir, sizeof f->dir, "/tmp/loc-writers-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_non_null(f->b = loc_boundaries_read(f->ctx, bp, NULL));
    assert_non_null(f->ind = loc_csv_read(f->ctx, ip));
    assert_non_null(f->spec = loc_spec_read(f->ctx, LOC_DATA_DIR "/specs/simd2020v2.csv"));
    assert_non_null(f->locs = loc_lookup_read(f->ctx, lp, NULL));
    const loc_lookup *l[] = {f->locs};
    assert_non_null(f->z = loc_zones_join(f->ctx, f->b, f->ind, f->spec, l, 1, NULL, NULL));
    assert_non_null(f->p = loc_partition_from_lookup(f->ctx, f->z, f->locs, "iz11_code"));
    return 1;
}

static void fx_free(fx *f)
{
    loc_partition_destroy(f->p);
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->councils);
    loc_lookup_destroy(f->locs);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_boundaries_destroy(f->b);
    loc_ctx_destroy(f->ctx);
    assert_int_equal(f->ta.live, 0);
    remove_tree(f->dir);
}

static size_t loc_index(const fx *f, const char *code)
{
    long k = loc_partition_find(f->p, code);
    assert_true(k >= 0);
    return (size_t)k;
}

/* ---------------------------------------------------------------------
 * Dissolve
 * --------------------------------------------------------------------- */

static void assert_same_geom(loc_ctx *ctx, const GEOSGeometry *g, const char *wkt)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *want = GEOSWKTReader_read_r(h, r, wkt);
    assert_non_null(want);
    assert_int_equal(GEOSEquals_r(h, g, want), 1);
    GEOSGeom_destroy_r(h, want);
    GEOSWKTReader_destroy_r(h, r);
}

/* The report's escapes, written a run of plain characters at a time:
 * every special character escaped wherever it falls (first, last,
 * doubled, alone) and the plain text between them whole. */
static char *escaped(void (*esc)(FILE *, const char *), const char *s)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    esc(f, s);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* Each case's input through esc gives its expected text. */
static void check_escapes(void (*esc)(FILE *, const char *), const char *const (*cases)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *t = escaped(esc, cases[i][0]);
        assert_string_equal(t, cases[i][1]);
        free(t);
    }
}

static void test_report_escapes(void **state)
{
    (void)state;
    static const char *const html[][2] = {
        {"Kirkcaldy", "Kirkcaldy"},
        {"", ""},
        {"<b>\"Fife\" & 'Tay'</b>", "&lt;b&gt;&quot;Fife&quot; &amp; &#39;Tay&#39;&lt;/b&gt;"},
        {"&&", "&amp;&amp;"},
        {"a>", "a&gt;"},
        {"Eilean Siar \xc3\xa9", "Eilean Siar \xc3\xa9"},
    };
    check_escapes(rep_esc, html, sizeof html / sizeof *html);
    static const char *const json[][2] = {
        {"Stirling", "Stirling"},
        {"", ""},
        {"say \"hi\"\\", "say \\\"hi\\\"\\\\"},
        {"</script>", "\\u003c/script\\u003e"},
        {"a&b\tc\n", "a\\u0026b\\u0009c\\u000a"},
        {"\x01x", "\\u0001x"},
    };
    check_escapes(rep_json_text, json, sizeof json / sizeof *json);
}

static void test_dissolve_squares(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GEOSContextHandle_t h = loc_geos(f.ctx);
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    assert_non_null(d);
    assert_ptr_equal(loc_dissolved_partition(d), f.p);
    assert_ptr_equal(loc_dissolved_boundaries(d), f.b);
    assert_int_equal(loc_dissolved_count(d), 3);
    assert_int_equal(loc_dissolved_missing(d), 0);
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(GEOSisValid_r(h, loc_dissolved_geom(d, k)), 1);

    /* the ring of eight squares and a square far off: 9 km2, one hole */
    size_t ring = loc_index(&f, "RING");
    const GEOSGeometry *g = loc_dissolved_geom(d, ring);
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSGetNumGeometries_r(h, g), 2);
    assert_true(fabs(loc_dissolved_area_m2(d, ring) - 9e6) < 1e-3);
    assert_true(fabs(loc_dissolved_zone_area_m2(d, ring) - 9e6) < 1e-3);
    /* outer 12 km, hole 4 km, far square 4 km */
    assert_true(fabs(loc_dissolved_perimeter_m(d, ring) - 20000) < 1e-6);
    assert_same_geom(f.ctx, g,
                     "MULTIPOLYGON(((300000 700000,303000 700000,303000 703000,300000 703000,300000 700000),"
                     "(301000 701000,301000 702000,302000 702000,302000 701000,301000 701000)),"
                     "((310000 700000,311000 700000,311000 701000,310000 701000,310000 700000)))");

    /* the centre square: Polsby-Popper of a square is pi / 4 */
    size_t core = loc_index(&f, "CORE");
    assert_true(fabs(loc_dissolved_area_m2(d, core) - 1e6) < 1e-6);
    assert_true(fabs(loc_dissolved_compactness(d, core) - M_PI / 4) < 1e-12);
    assert_same_geom(f.ctx, loc_dissolved_geom(d, core),
                     "POLYGON((301000 701000,302000 701000,302000 702000,301000 702000,301000 701000))");

    /* four rectangles round a 0.5 m gap: no coverage, so ordinary union,
     * and the gap is a sliver hole, filled */
    size_t gap = loc_index(&f, "GAP");
    g = loc_dissolved_geom(d, gap);
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_POLYGON);
    assert_int_equal(GEOSGetNumInteriorRings_r(h, g), 0);
    assert_true(fabs(loc_dissolved_zone_area_m2(d, gap) - 3999500) < 1e-3);
    assert_true(fabs(loc_dissolved_area_m2(d, gap) - 4e6) < 1e-3);
    assert_int_equal(loc_dissolved_slivers(d), 1);
    assert_int_equal(loc_dissolved_fallbacks(d), 1);
    loc_dissolved_destroy(d);
    loc_dissolved_destroy(NULL);
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Coverage simplification (the report's maps)
 * --------------------------------------------------------------------- */

/* A polygon from a closed ring of n points (x, y pairs, first not repeated). */
static GEOSGeometry *ring_polygon(GEOSContextHandle_t h, const double *xy, size_t n, GEOSGeometry *hole)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n + 1, 2);
    for (size_t i = 0; i <= n; i++)
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)i, xy[2 * (i % n)], xy[2 * (i % n) + 1]);
    GEOSGeometry *holes[1] = {hole};
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), hole ? holes : NULL, hole ? 1 : 0);
}

/* Every vertex of g's rings, as (x, y) pairs into xy (room for cap). */
static size_t ring_vertices(GEOSContextHandle_t h, const GEOSGeometry *ring, double *xy, size_t cap)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(h, cs, &n);
    assert_true(n <= cap);
    for (unsigned i = 0; i < n; i++)
        GEOSCoordSeq_getXY_r(h, cs, i, &xy[2 * i], &xy[2 * i + 1]);
    return n;
}

/* Two squares side by side whose shared edge wanders by less than the
 * tolerance: both keep exactly the same vertices along it (the shared
 * edge straightened the same on both sides) and the outer edges' wiggles
 * go; an island far from both keeps its shape; one smaller than the
 * tolerance is drawn as it was; a square with a square hole and the
 * square filling the hole (an enclave) get the same ring both ways. */
static void test_simplify_coverage(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    GEOSContextHandle_t h = loc_geos(ctx);
    double shared[2 * 21], a[2 * 60], b[2 * 60];
    size_t na = 0, nb = 0;
    for (int i = 0; i <= 20; i++) { /* x = 100 +- 0.3, y from 0 up to 100 */
        shared[2 * i] = 100 + (i % 2 ? 0.3 : -0.2) * (i > 0 && i < 20);
        shared[2 * i + 1] = 5.0 * i;
    }
    /* a: (0,0) -> shared up -> (0,100), its west side wiggling */
    a[2 * na] = 0, a[2 * na++ + 1] = 0;
    for (int i = 0; i <= 20; i++)
        a[2 * na] = shared[2 * i], a[2 * na++ + 1] = shared[2 * i + 1];
    a[2 * na] = 0, a[2 * na++ + 1] = 100;
    for (int i = 19; i >= 1; i--)
        a[2 * na] = (i % 2) * 0.4, a[2 * na++ + 1] = 5.0 * i;
    /* b: shared down, then east */
    for (int i = 20; i >= 0; i--)
        b[2 * nb] = shared[2 * i], b[2 * nb++ + 1] = shared[2 * i + 1];
    b[2 * nb] = 200, b[2 * nb++ + 1] = 0;
    b[2 * nb] = 200, b[2 * nb++ + 1] = 100;
    double island[] = {500, 500, 600, 500, 600, 600, 550, 600.4, 500, 600};
    double speck[] = {900, 900, 900.5, 900, 900.5, 900.5, 900, 900.5};
    double outer[] = {1000, 0, 1100, 0, 1100, 100, 1000, 100}, inner[] = {1040, 40, 1040, 60, 1060, 60, 1060, 40};
    GEOSCoordSequence *hc = GEOSCoordSeq_create_r(h, 5, 2);
    for (unsigned i = 0; i < 5; i++)
        GEOSCoordSeq_setXY_r(h, hc, i, inner[2 * (i % 4)], inner[2 * (i % 4) + 1]);
    double fill[] = {1040, 40, 1060, 40, 1060, 60, 1040, 60};
    const GEOSGeometry *in[6] = {ring_polygon(h, a, na, NULL),       ring_polygon(h, b, nb, NULL),
                                 ring_polygon(h, island, 5, NULL),   ring_polygon(h, speck, 4, NULL),
                                 ring_polygon(h, outer, 4, GEOSGeom_createLinearRing_r(h, hc)),
                                 ring_polygon(h, fill, 4, NULL)};
    GEOSGeometry *out[6];
    assert_int_equal(loc_simplify_coverage(ctx, in, 6, 1.0, out), LOC_OK);
    double va[2 * 64], vb[2 * 64];
    size_t ka = ring_vertices(h, GEOSGetExteriorRing_r(h, out[0]), va, 64);
    size_t kb = ring_vertices(h, GEOSGetExteriorRing_r(h, out[1]), vb, 64);
    /* the squares' corners only: the wiggles are all under 1 m */
    assert_int_equal(ka, 5);
    assert_int_equal(kb, 5);
    size_t on_a = 0, on_b = 0;
    for (size_t i = 0; i < ka; i++)
        on_a += va[2 * i] > 99 && va[2 * i] < 101;
    for (size_t i = 0; i < kb; i++)
        on_b += vb[2 * i] > 99 && vb[2 * i] < 101;
    assert_int_equal(on_a, 2 + (va[0] > 99 && va[0] < 101)); /* the closing repeat counts twice */
    assert_int_equal(on_b, 2 + (vb[0] > 99 && vb[0] < 101));
    for (size_t i = 0; i < ka; i++) { /* every vertex a keeps on the shared edge, b keeps too */
        if (!(va[2 * i] > 99 && va[2 * i] < 101))
            continue;
        int found = 0;
        for (size_t j = 0; j < kb; j++)
            found |= va[2 * i] == vb[2 * j] && va[2 * i + 1] == vb[2 * j + 1];
        assert_true(found);
    }
    double u;
    GEOSGeometry *both = GEOSUnion_r(h, out[0], out[1]);
    double a0, a1;
    GEOSArea_r(h, out[0], &a0);
    GEOSArea_r(h, out[1], &a1);
    GEOSArea_r(h, both, &u);
    assert_true(fabs(u - (a0 + a1)) < 1e-6); /* no overlap */
    assert_true(fabs(u - 200 * 100) < 1e-6); /* no gap */
    GEOSGeom_destroy_r(h, both);
    /* the island keeps its corners, its 0.4 m bump goes */
    assert_int_equal(GEOSGetNumCoordinates_r(h, out[2]), 5);
    /* the speck is drawn as it was */
    assert_int_equal(GEOSEqualsExact_r(h, out[3], in[3], 0), 1);
    /* the enclave and its hole: the same four corners */
    double vh[2 * 8], vf[2 * 8];
    size_t kh = ring_vertices(h, GEOSGetInteriorRingN_r(h, out[4], 0), vh, 8);
    size_t kf = ring_vertices(h, GEOSGetExteriorRing_r(h, out[5]), vf, 8);
    assert_int_equal(kh, 5);
    assert_int_equal(kf, 5);
    for (int i = 0; i < 6; i++) {
        GEOSGeom_destroy_r(h, (GEOSGeometry *)in[i]);
        GEOSGeom_destroy_r(h, out[i]);
    }
    loc_ctx_destroy(ctx);
}

/* All of Stirling's localities simplified together at 65 m (the
 * report's half a pixel on Stirling's map): every vertex kept is one of
 * the originals, fewer are kept, and no gap or overlap opens between
 * neighbours: the parts (made valid: Douglas-Peucker may cross a ring
 * over itself within the tolerance) add up to their union within a
 * millionth, and it covers what the originals covered within 10^-4.
 * Each simplified on its own, as GEOS's topology-preserving simplifier
 * did for the report, the parts overlap by 1.2 10^-4 of the area and
 * leave gaps of 1.9 10^-4 (printed, not tested: that is GEOS's affair). */
static double union_gap(GEOSContextHandle_t h, GEOSGeometry **g, size_t n, double *sum)
{
    GEOSGeometry *valid[64];
    *sum = 0;
    for (size_t k = 0; k < n; k++) {
        double a = 0;
        assert_non_null(valid[k] = GEOSMakeValid_r(h, g[k]));
        assert_int_equal(GEOSArea_r(h, valid[k], &a), 1);
        *sum += a;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, valid, (unsigned)n);
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    assert_non_null(u);
    double ua = 0;
    assert_int_equal(GEOSArea_r(h, u, &ua), 1);
    GEOSGeom_destroy_r(h, u);
    GEOSGeom_destroy_r(h, coll);
    return ua;
}

static void test_simplify_stirling(void **state)
{
    (void)state;
    fx f;
    if (!fx_stirling(&f))
        fail_msg("committed Stirling data missing under " LOC_DATA_DIR "/stirling");
    GEOSContextHandle_t h = loc_geos(f.ctx);
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    assert_non_null(d);
    size_t n = loc_dissolved_count(d);
    const GEOSGeometry *in[64];
    GEOSGeometry *out[64], *alone[64];
    assert_true(n <= 64);
    for (size_t k = 0; k < n; k++)
        in[k] = loc_dissolved_geom(d, k);
    assert_int_equal(loc_simplify_coverage(f.ctx, in, n, 65, out), LOC_OK);
    double orig = 0;
    int before = 0, after = 0;
    for (size_t k = 0; k < n; k++) {
        double a;
        assert_int_equal(GEOSArea_r(h, in[k], &a), 1);
        orig += a;
        before += GEOSGetNumCoordinates_r(h, in[k]);
        after += GEOSGetNumCoordinates_r(h, out[k]);
        GEOSGeometry *pts = GEOSGeom_extractUniquePoints_r(h, out[k]), *all = GEOSGeom_extractUniquePoints_r(h, in[k]);
        GEOSGeometry *extra = GEOSDifference_r(h, pts, all);
        assert_int_equal(GEOSisEmpty_r(h, extra), 1);
        GEOSGeom_destroy_r(h, pts);
        GEOSGeom_destroy_r(h, all);
        GEOSGeom_destroy_r(h, extra);
        assert_non_null(alone[k] = GEOSTopologyPreserveSimplify_r(h, in[k], 65));
    }
    double sum, ua = union_gap(h, out, n, &sum), sum1, ua1 = union_gap(h, alone, n, &sum1);
    print_message("Stirling at 65 m: %d -> %d vertices; together: parts %.0f m2, union %.0f m2; each alone: parts "
                  "%.0f m2, union %.0f m2; originals %.0f m2\n",
                  before, after, sum, ua, sum1, ua1, orig);
    assert_true(after < before * 3 / 4);
    assert_true(fabs(ua - sum) <= 1e-6 * sum);
    assert_true(fabs(ua - orig) <= 1e-4 * orig);
    for (size_t k = 0; k < n; k++) {
        GEOSGeom_destroy_r(h, out[k]);
        GEOSGeom_destroy_r(h, alone[k]);
    }
    loc_dissolved_destroy(d);
    fx_free(&f);
}

static void test_dissolve_errors(void **state)
{
    (void)state;
    fx f, s;
    fx_squares(&f);
    assert_null(loc_dissolve(f.ctx, NULL, f.b, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EINVAL);
    assert_string_equal(loc_errmsg(f.ctx), "dissolve: missing partition or boundaries");
    if (fx_stirling(&s)) {
        /* boundaries that are not the ones the zones were joined with */
        assert_null(loc_dissolve(s.ctx, s.p, f.b, NULL));
        assert_int_equal(loc_errcode(s.ctx), LOC_EINVAL);
        assert_non_null(strstr(loc_errmsg(s.ctx), "out of range (14 boundaries); are these the boundaries"));
        /* many localities fail: with any number of threads the message is
         * the first failing locality's, as with one */
        loc_dissolve_opts o;
        loc_dissolve_opts_init(&o);
        o.threads = 1;
        assert_null(loc_dissolve(s.ctx, s.p, f.b, &o));
        char one[512];
        snprintf(one, sizeof one, "%s", loc_errmsg(s.ctx));
        for (int round = 0; round < 20; round++) {
            o.threads = 2 + round % 3;
            assert_null(loc_dissolve(s.ctx, s.p, f.b, &o));
            assert_int_equal(loc_errcode(s.ctx), LOC_EINVAL);
            assert_string_equal(loc_errmsg(s.ctx), one);
        }
        fx_free(&s);
    }
    /* allocation failures: each a clean LOC_ENOMEM, nothing leaked */
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
        f.ta.fail_after = -1;
        if (d) {
            assert_true(k > 0);
            loc_dissolved_destroy(d);
            break;
        }
        assert_int_equal(loc_errcode(f.ctx), LOC_ENOMEM);
        assert_int_equal(f.ta.live, live);
    }
    fx_free(&f);
}

static void test_dissolve_stirling(void **state)
{
    (void)state;
    fx f;
    if (!fx_stirling(&f))
        fail_msg("committed Stirling data missing under " LOC_DATA_DIR "/stirling");
    GEOSContextHandle_t h = loc_geos(f.ctx);
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    assert_non_null(d);
    assert_int_equal(loc_dissolved_count(d), 24);
    double zones = 0, locs = 0;
    for (size_t i = 0; i < loc_boundaries_count(f.b); i++) {
        double a;
        assert_int_equal(GEOSArea_r(h, loc_boundaries_geom(f.b, i), &a), 1);
        zones += a;
    }
    for (size_t k = 0; k < 24; k++) {
        const GEOSGeometry *g = loc_dissolved_geom(d, k);
        assert_int_equal(GEOSisValid_r(h, g), 1);
        assert_int_equal(GEOSisEmpty_r(h, g), 0);
        double c = loc_dissolved_compactness(d, k);
        assert_true(c > 0 && c <= 1);
        locs += loc_dissolved_area_m2(d, k);
    }
    print_message("Stirling: zones %.6f km2, localities %.6f km2 (%.2e relative), %zu coverage-union fallbacks, "
                  "%zu slivers filled\n", zones / 1e6, locs / 1e6, (locs - zones) / zones,
                  loc_dissolved_fallbacks(d), loc_dissolved_slivers(d));
    assert_true(fabs(locs - zones) <= 1e-3 * zones);
    /* several threads give the same polygons, measures and counts */
    loc_dissolve_opts o;
    loc_dissolve_opts_init(&o);
    o.threads = 3;
    loc_dissolved *d3 = loc_dissolve(f.ctx, f.p, f.b, &o);
    assert_non_null(d3);
    for (size_t k = 0; k < 24; k++) {
        assert_int_equal(GEOSEqualsExact_r(h, loc_dissolved_geom(d, k), loc_dissolved_geom(d3, k), 0), 1);
        assert_true(loc_dissolved_area_m2(d, k) == loc_dissolved_area_m2(d3, k));
        assert_true(loc_dissolved_perimeter_m(d, k) == loc_dissolved_perimeter_m(d3, k));
        assert_true(loc_dissolved_zone_area_m2(d, k) == loc_dissolved_zone_area_m2(d3, k));
    }
    assert_int_equal(loc_dissolved_fallbacks(d3), loc_dissolved_fallbacks(d));
    assert_int_equal(loc_dissolved_slivers(d3), loc_dissolved_slivers(d));
    assert_int_equal(loc_dissolved_traced(d3), loc_dissolved_traced(d));
    assert_int_equal(loc_dissolved_missing(d3), loc_dissolved_missing(d));
    loc_dissolved_destroy(d3);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

/* The direct GeoJSON writer and GDAL's driver write the same bytes for
 * d and a (a may be NULL). */
static void assert_geojson_as_gdal(fx *f, const loc_dissolved *d, const loc_attrs *a)
{
    char direct[128], gdal[128];
    path_in(f, direct, sizeof direct, "direct.geojson");
    path_in(f, gdal, sizeof gdal, "gdal.geojson");
    assert_int_equal(loc_write_geojson(f->ctx, d, a, direct), LOC_OK);
    assert_int_equal(loc_write_geojson_gdal(f->ctx, d, a, gdal), LOC_OK);
    size_t n1, n2;
    char *x = slurp(direct, &n1), *y = slurp(gdal, &n2);
    if (n1 != n2 || memcmp(x, y, n1)) {
        size_t i = 0;
        while (i < n1 && i < n2 && x[i] == y[i])
            i++;
        print_message("first difference at byte %zu:\n  direct %.80s\n  GDAL   %.80s\n", i, x + (i > 40 ? i - 40 : 0),
                      y + (i > 40 ? i - 40 : 0));
    }
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, n1);
    free(x);
    free(y);
    unlink(direct);
    unlink(gdal);
}

/* Dissolve p both ways, traced and by GEOS alone, and check that every
 * locality comes out the same: coordinates in the same order after
 * normalisation, area and perimeter to the last bit.  Returns the
 * localities traced. */
static size_t assert_traced_same(loc_ctx *ctx, const loc_partition *p, const loc_boundaries *b)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    loc_dissolve_opts o;
    loc_dissolve_opts_init(&o);
    assert_int_equal(o.geos_only, 0);
    loc_dissolved *traced = loc_dissolve(ctx, p, b, &o);
    o.geos_only = 1;
    loc_dissolved *geos = loc_dissolve(ctx, p, b, &o);
    assert_non_null(traced);
    assert_non_null(geos);
    assert_int_equal(loc_dissolved_traced(geos), 0);
    for (size_t k = 0; k < loc_dissolved_count(traced); k++) {
        const GEOSGeometry *a = loc_dissolved_geom(traced, k), *g = loc_dissolved_geom(geos, k);
        assert_int_equal(GEOSGeomTypeId_r(h, a), GEOSGeomTypeId_r(h, g));
        assert_int_equal(GEOSEqualsExact_r(h, a, g, 0), 1);
        assert_true(loc_dissolved_area_m2(traced, k) == loc_dissolved_area_m2(geos, k));
        assert_true(loc_dissolved_perimeter_m(traced, k) == loc_dissolved_perimeter_m(geos, k));
        assert_true(loc_dissolved_zone_area_m2(traced, k) == loc_dissolved_zone_area_m2(geos, k));
    }
    assert_int_equal(loc_dissolved_fallbacks(traced), loc_dissolved_fallbacks(geos));
    assert_int_equal(loc_dissolved_slivers(traced), loc_dissolved_slivers(geos));
    size_t n = loc_dissolved_traced(traced);
    loc_dissolved_destroy(traced);
    loc_dissolved_destroy(geos);
    return n;
}

/* Outlines traced from the zones' segments equal GEOS's unions: on the
 * squares (a ring with a hole and a far part, traced; the gap, not a
 * coverage, left to GEOS), on localities whose zones touch only at a
 * corner (left to GEOS, which decides how to split), on Stirling and on
 * all of Scotland's intermediate zones. */
static void test_dissolve_traced(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    assert_int_equal(assert_traced_same(f.ctx, f.p, f.b), 2);
    /* Z1 and Z5, and the ring without them, meet at corners only */
    static const char PINCH[] = "dz11_code,loc_code\nZ1,PINCH\nZ5,PINCH\nZ2,REST\nZ3,REST\nZ4,REST\nZ6,REST\n"
                                "Z7,REST\nZ8,REST\nZ9,REST\nZ10,FAR\nS1,GAP\nS2,GAP\nS3,GAP\nS4,GAP\n";
    loc_lookup *l = loc_lookup_parse(f.ctx, "pinch.csv", PINCH, strlen(PINCH), NULL);
    assert_non_null(l);
    loc_partition *p = loc_partition_from_lookup(f.ctx, f.z, l, "loc_code");
    assert_non_null(p);
    assert_int_equal(assert_traced_same(f.ctx, p, f.b), 1); /* FAR only */
    loc_dissolved *d = loc_dissolve(f.ctx, p, f.b, NULL);
    assert_non_null(d);
    const GEOSGeometry *g = loc_dissolved_geom(d, (size_t)loc_partition_find(p, "PINCH"));
    assert_int_equal(GEOSGeomTypeId_r(loc_geos(f.ctx), g), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSGetNumGeometries_r(loc_geos(f.ctx), g), 2);
    loc_dissolved_destroy(d);
    loc_partition_destroy(p);
    loc_lookup_destroy(l);
    fx_free(&f);

    if (fx_stirling(&f)) {
        size_t n = assert_traced_same(f.ctx, f.p, f.b);
        print_message("Stirling: %zu of %zu localities traced\n", n, loc_partition_count(f.p));
        assert_true(n > 0);
        fx_free(&f);
    }
    const char *bp = LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg";
    const char *lp = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    if (access(bp, R_OK) || access(lp, R_OK))
        return;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, bp, NULL);
    loc_lookup *lk = loc_lookup_read(ctx, lp, NULL);
    assert_non_null(b);
    assert_non_null(lk);
    const loc_lookup *lks[] = {lk};
    loc_csv *ind = loc_csv_read(ctx, LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv");
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    assert_non_null(ind);
    assert_non_null(spec);
    loc_zones *z = loc_zones_join(ctx, b, ind, spec, lks, 1, NULL, NULL);
    assert_non_null(z);
    p = loc_partition_from_lookup(ctx, z, lk, "iz11_code");
    assert_non_null(p);
    size_t n = assert_traced_same(ctx, p, b);
    print_message("Scotland: %zu of %zu intermediate zones traced\n", n, loc_partition_count(p));
    assert_true(n > 0.99 * (double)loc_partition_count(p));
    /* and the GeoJSON written directly is GDAL's, byte for byte */
    fx tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.ctx = ctx;
    snprintf(tmp.dir, sizeof tmp.dir, "/tmp/loc-writers-XXXXXX");
    assert_non_null(mkdtemp(tmp.dir));
    loc_dissolved *dz = loc_dissolve(ctx, p, b, NULL);
    assert_non_null(dz);
    assert_geojson_as_gdal(&tmp, dz, NULL);
    loc_dissolved_destroy(dz);
    remove_tree(tmp.dir);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    loc_lookup_destroy(lk);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

/* Holes in all localities' polygons. */
static size_t count_holes(loc_ctx *ctx, const loc_dissolved *d)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    size_t holes = 0;
    for (size_t k = 0; k < loc_dissolved_count(d); k++) {
        const GEOSGeometry *g = loc_dissolved_geom(d, k);
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            holes += (size_t)GEOSGetNumInteriorRings_r(h, GEOSGetGeometryN_r(h, g, i));
    }
    return holes;
}

/* Stirling simplified zone by zone (as a per-feature simplifier would,
 * with no shared topology): no longer a coverage, so ordinary union runs,
 * and the gaps come out as holes unless the sliver width matches the
 * simplification tolerance, when exactly the real holes remain. */
static void test_dissolve_simplified(void **state)
{
    (void)state;
    fx f;
    if (!fx_stirling(&f))
        fail_msg("committed Stirling data missing under " LOC_DATA_DIR "/stirling");
    GDALAllRegister();
    loc_dissolved *exact = loc_dissolve(f.ctx, f.p, f.b, NULL);
    assert_non_null(exact);
    size_t real_holes = count_holes(f.ctx, exact);
    assert_int_equal(loc_dissolved_fallbacks(exact), 0);
    assert_int_equal(loc_dissolved_slivers(exact), 0);

    char simp[128];
    path_in(&f, simp, sizeof simp, "simplified.gpkg");
    GDALDatasetH in = GDALOpenEx(LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    GDALDatasetH out = GDALCreate(GDALGetDriverByName("GPKG"), simp, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(in);
    assert_non_null(out);
    OGRLayerH li = GDALDatasetGetLayer(in, 0);
    OGRLayerH lo = GDALDatasetCreateLayer(out, "zones", OGR_L_GetSpatialRef(li), wkbMultiPolygon, NULL);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(li);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        assert_int_equal(OGR_L_CreateField(lo, OGR_FD_GetFieldDefn(defn, i), 1), OGRERR_NONE);
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(li))) {
        OGRFeatureH o = OGR_F_Create(OGR_L_GetLayerDefn(lo));
        OGR_F_SetFrom(o, ft, 1);
        OGR_F_SetGeometryDirectly(o, OGR_G_ForceToMultiPolygon(OGR_G_SimplifyPreserveTopology(
                                         OGR_F_GetGeometryRef(ft), 10.0)));
        assert_int_equal(OGR_L_CreateFeature(lo, o), OGRERR_NONE);
        OGR_F_Destroy(o);
        OGR_F_Destroy(ft);
    }
    GDALClose(out);
    GDALClose(in);

    loc_boundaries *b = loc_boundaries_read(f.ctx, simp, NULL);
    assert_non_null(b);
    const loc_lookup *l[] = {f.locs};
    loc_zones *z = loc_zones_join(f.ctx, b, f.ind, f.spec, l, 1, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(f.ctx, z, f.locs, "iz11_code");
    assert_non_null(p);
    loc_dissolve_opts o;
    loc_dissolve_opts_init(&o);
    assert_true(o.sliver_m == LOC_SLIVER_WIDTH_M);
    loc_dissolved *dflt = loc_dissolve(f.ctx, p, b, &o);
    o.sliver_m = 10;
    loc_dissolved *tuned = loc_dissolve(f.ctx, p, b, &o);
    o.sliver_m = 0;
    loc_dissolved *none = loc_dissolve(f.ctx, p, b, &o);
    assert_non_null(dflt);
    assert_non_null(tuned);
    assert_non_null(none);
    assert_true(loc_dissolved_fallbacks(tuned) > 0);
    assert_int_equal(loc_dissolved_slivers(none), 0);
    size_t hd = count_holes(f.ctx, dflt), ht = count_holes(f.ctx, tuned), hn = count_holes(f.ctx, none);
    print_message("simplified 10 m: %zu fallbacks; holes %zu exact, %zu unfilled, %zu at 1 m, %zu at 10 m\n",
                  loc_dissolved_fallbacks(tuned), real_holes, hn, hd, ht);
    assert_true(hn >= hd && hd > ht);
    assert_int_equal(ht, real_holes);
    double za = 0, la = 0;
    for (size_t k = 0; k < loc_dissolved_count(tuned); k++) {
        assert_int_equal(GEOSisValid_r(loc_geos(f.ctx), loc_dissolved_geom(tuned, k)), 1);
        za += loc_dissolved_zone_area_m2(tuned, k);
        la += loc_dissolved_area_m2(tuned, k);
    }
    assert_true(fabs(la - za) <= 1e-3 * za);
    o.sliver_m = -1;
    assert_null(loc_dissolve(f.ctx, p, b, &o));
    assert_string_equal(loc_errmsg(f.ctx), "dissolve: sliver width -1 m is not a length");
    loc_dissolved_destroy(dflt);
    loc_dissolved_destroy(tuned);
    loc_dissolved_destroy(none);
    loc_dissolved_destroy(exact);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_boundaries_destroy(b);
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Attribute table
 * --------------------------------------------------------------------- */

static void test_attrs(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    loc_attrs *a = loc_attrs_create(ctx, 3);
    assert_non_null(a);
    size_t cr, ci, ct;
    assert_int_equal(loc_attrs_add(ctx, a, "rate", LOC_ATTR_REAL, &cr), LOC_OK);
    assert_int_equal(loc_attrs_add(ctx, a, "plan", LOC_ATTR_INT, &ci), LOC_OK);
    assert_int_equal(loc_attrs_add(ctx, a, "flag", LOC_ATTR_TEXT, &ct), LOC_OK);
    assert_int_equal(loc_attrs_ncols(a), 3);
    assert_int_equal(loc_attrs_nrows(a), 3);
    assert_string_equal(loc_attrs_name(a, ci), "plan");
    assert_int_equal(loc_attrs_type(a, ct), LOC_ATTR_TEXT);
    assert_int_equal(loc_attrs_find(a, "flag"), 2);
    assert_int_equal(loc_attrs_find(a, "nope"), -1);
    /* cells start null */
    assert_true(loc_attrs_is_null(a, cr, 0) && isnan(loc_attrs_real(a, cr, 0)));
    assert_true(loc_attrs_is_null(a, ci, 0) && loc_attrs_int(a, ci, 0) == 0);
    assert_null(loc_attrs_text(a, ct, 0));
    assert_int_equal(loc_attrs_set_real(ctx, a, cr, 1, 0.25), LOC_OK);
    assert_int_equal(loc_attrs_set_int(ctx, a, ci, 2, 1), LOC_OK);
    assert_int_equal(loc_attrs_set_text(ctx, a, ct, 0, "poorer"), LOC_OK);
    assert_int_equal(loc_attrs_set_text(ctx, a, ct, 0, "same"), LOC_OK); /* replaces */
    assert_true(loc_attrs_real(a, cr, 1) == 0.25 && !loc_attrs_is_null(a, cr, 1));
    assert_true(loc_attrs_int(a, ci, 2) == 1 && !loc_attrs_is_null(a, ci, 2));
    assert_string_equal(loc_attrs_text(a, ct, 0), "same");
    assert_int_equal(loc_attrs_set_real(ctx, a, cr, 1, NAN), LOC_OK);
    assert_true(loc_attrs_is_null(a, cr, 1));
    assert_int_equal(loc_attrs_set_text(ctx, a, ct, 0, NULL), LOC_OK);
    assert_true(loc_attrs_is_null(a, ct, 0));
    /* reading a column as another type gives the null value */
    assert_true(isnan(loc_attrs_real(a, ci, 2)) && loc_attrs_int(a, cr, 1) == 0 && !loc_attrs_text(a, cr, 1));

    /* refusals */
    assert_int_equal(loc_attrs_add(ctx, a, "rate", LOC_ATTR_REAL, NULL), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 'rate' added twice");
    assert_int_equal(loc_attrs_add(ctx, a, "population", LOC_ATTR_REAL, NULL), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 'population' would hide the writers' own field");
    assert_int_equal(loc_attrs_add(ctx, a, "", LOC_ATTR_REAL, NULL), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column with no name");
    assert_int_equal(loc_attrs_add(ctx, a, "x", (loc_attr_type)7, NULL), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 'x': unknown type 7");
    assert_int_equal(loc_attrs_set_int(ctx, a, cr, 0, 1), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 'rate' holds real values, not int");
    assert_int_equal(loc_attrs_set_real(ctx, a, cr, 3, 1), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 'rate': row 3 out of range (3 rows)");
    assert_int_equal(loc_attrs_set_text(ctx, a, 9, 0, "x"), LOC_EINVAL);
    assert_string_equal(loc_errmsg(ctx), "attribute column 9 out of range (3 columns)");
    loc_attrs_destroy(a);
    loc_attrs_destroy(NULL);

    /* allocation failures while adding columns and text */
    for (long k = 0;; k++) {
        a = loc_attrs_create(ctx, 4);
        ta.fail_after = ta.calls + k;
        loc_status st = a ? LOC_OK : LOC_ENOMEM;
        for (int c = 0; c < 3 && !st; c++) {
            char name[8];
            snprintf(name, sizeof name, "c%d", c);
            st = loc_attrs_add(ctx, a, name, (loc_attr_type)c, NULL);
        }
        if (!st)
            st = loc_attrs_set_text(ctx, a, 2, 1, "text");
        ta.fail_after = -1;
        loc_attrs_destroy(a);
        assert_int_equal(ta.live, 1); /* the context */
        if (!st)
            break;
        assert_int_equal(st, LOC_ENOMEM);
    }
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

/* Attributes a statistics stage might add: a rate, a plan flag, a label. */
static loc_attrs *some_attrs(fx *f)
{
    size_t n = loc_partition_count(f->p);
    loc_attrs *a = loc_attrs_create(f->ctx, n);
    assert_non_null(a);
    assert_int_equal(loc_attrs_add(f->ctx, a, "income_rate", LOC_ATTR_REAL, NULL), LOC_OK);
    assert_int_equal(loc_attrs_add(f->ctx, a, "plan", LOC_ATTR_INT, NULL), LOC_OK);
    assert_int_equal(loc_attrs_add(f->ctx, a, "income_flag", LOC_ATTR_TEXT, NULL), LOC_OK);
    size_t ind = 0;
    while (ind < loc_zones_nindicators(f->z) && strcmp(loc_zones_indicator(f->z, ind)->name, "income"))
        ind++;
    assert_true(ind < loc_zones_nindicators(f->z));
    const double *num = loc_zones_column(f->z, ind, 0), *den = loc_zones_column(f->z, ind, 1);
    for (size_t k = 0; k < n; k++) {
        size_t nm;
        const uint32_t *m = loc_partition_members(f->p, k, &nm);
        double x = 0, y = 0;
        for (size_t i = 0; i < nm; i++)
            if (!isnan(num[m[i]]) && !isnan(den[m[i]])) {
                x += num[m[i]];
                y += den[m[i]];
            }
        double rate = y > 0 ? round(x / y * 1e4) / 1e4 : NAN;
        assert_int_equal(loc_attrs_set_real(f->ctx, a, 0, k, rate), LOC_OK);
        assert_int_equal(loc_attrs_set_int(f->ctx, a, 1, k, rate > 0.15), LOC_OK);
        assert_int_equal(loc_attrs_set_text(f->ctx, a, 2, k, rate > 0.15 ? "poorer" : "same"), LOC_OK);
    }
    return a;
}

/* ---------------------------------------------------------------------
 * GeoJSON and GeoPackage
 * --------------------------------------------------------------------- */

/* Twice the signed area of an OGR ring (positive counter-clockwise). */
static double ring_area2(OGRGeometryH ring)
{
    int n = OGR_G_GetPointCount(ring);
    double s = 0;
    for (int i = 0; i + 1 < n; i++)
        s += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) - OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
    return s;
}

/* Longest run of digits after a decimal point anywhere in s. */
static int max_decimals(const char *s)
{
    int best = 0;
    for (const char *p = s; *p; p++)
        if (*p == '.' && p > s && p[-1] >= '0' && p[-1] <= '9') {
            int n = 0;
            while (p[1 + n] >= '0' && p[1 + n] <= '9')
                n++;
            if (n > best)
                best = n;
        }
    return best;
}

static void check_geojson(const char *path, size_t nloc, const char *first_code)
{
    char *text = slurp(path, NULL);
    assert_null(strstr(text, "\"crs\""));
    assert_true(max_decimals(text) <= 6);
    char want[64];
    snprintf(want, sizeof want, "\"id\": \"%s\"", first_code);
    assert_non_null(strstr(text, want));
    free(text);

    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), (GIntBig)nloc);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    int fcode = OGR_FD_GetFieldIndex(defn, "code"), fpop = OGR_FD_GetFieldIndex(defn, "population");
    assert_true(fcode >= 0 && fpop >= 0);
    assert_true(OGR_FD_GetFieldIndex(defn, "council_name") >= 0 && OGR_FD_GetFieldIndex(defn, "zones") >= 0);
    OGRFeatureH ft;
    size_t seen = 0, holes = 0;
    while ((ft = OGR_L_GetNextFeature(l))) {
        if (seen == 0)
            assert_string_equal(OGR_F_GetFieldAsString(ft, fcode), first_code);
        OGRGeometryH g = OGR_F_GetGeometryRef(ft);
        assert_non_null(g);
        OGREnvelope e;
        OGR_G_GetEnvelope(g, &e);
        assert_true(e.MinX >= -9 && e.MaxX <= 0 && e.MinY >= 54.5 && e.MaxY <= 61);
        int np = OGR_G_GetGeometryCount(g);
        for (int i = 0; i < np; i++) {
            OGRGeometryH pg = wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPolygon ? g : OGR_G_GetGeometryRef(g, i);
            int nr = OGR_G_GetGeometryCount(pg);
            assert_true(ring_area2(OGR_G_GetGeometryRef(pg, 0)) > 0); /* exterior counter-clockwise */
            for (int j = 1; j < nr; j++, holes++)
                assert_true(ring_area2(OGR_G_GetGeometryRef(pg, j)) < 0); /* holes clockwise */
            if (pg == g)
                break;
        }
        OGR_F_Destroy(ft);
        seen++;
    }
    print_message("GeoJSON '%s': %zu features, %zu holes checked\n", path, seen, holes);
    assert_int_equal(seen, nloc);
    GDALClose(ds);
}

/* Layers, counts and SRS of a written GeoPackage. */
static void check_gpkg_counts(const char *path, size_t nloc, size_t nzones)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(GDALDatasetGetLayerCount(ds), 2);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "localities"), zl = GDALDatasetGetLayerByName(ds, "zones");
    assert_non_null(l);
    assert_non_null(zl);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), (GIntBig)nloc);
    assert_int_equal(OGR_L_GetFeatureCount(zl, 1), (GIntBig)nzones);
    for (int i = 0; i < 2; i++) {
        OGRSpatialReferenceH s = OGR_L_GetSpatialRef(i ? zl : l);
        assert_non_null(s);
        assert_string_equal(OSRGetAuthorityCode(s, NULL), "27700");
    }
    GDALClose(ds);
}

static void check_gpkg(const char *path, size_t nloc, size_t nzones)
{
    check_gpkg_counts(path, nloc, nzones);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH zl = GDALDatasetGetLayerByName(ds, "zones");
    int floc = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(zl), "locality_code");
    assert_true(floc >= 0);
    OGRFeatureH ft = OGR_L_GetNextFeature(zl);
    assert_non_null(ft);
    assert_true(OGR_F_IsFieldSetAndNotNull(ft, floc));
    OGR_F_Destroy(ft);
    GDALClose(ds);
}

/* localities.geojson written directly equals the GDAL driver's file: the
 * squares with awkward values (escapes, control characters, a slash,
 * non-ASCII, nulls, a NaN, infinities the driver leaves out, large and
 * tiny reals, 64-bit integers, an empty locality's null geometry),
 * Stirling and all of Scotland's intermediate zones. */
static void test_geojson_direct(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GDALAllRegister();
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    assert_non_null(d);
    assert_geojson_as_gdal(&f, d, NULL);
    loc_attrs *a = loc_attrs_create(f.ctx, 3);
    assert_non_null(a);
    assert_int_equal(loc_attrs_add(f.ctx, a, "x", LOC_ATTR_REAL, NULL), LOC_OK);
    assert_int_equal(loc_attrs_add(f.ctx, a, "n", LOC_ATTR_INT, NULL), LOC_OK);
    assert_int_equal(loc_attrs_add(f.ctx, a, "t/\"q\"", LOC_ATTR_TEXT, NULL), LOC_OK);
    static const double xs[] = {1e-7, INFINITY, 12345678901.5};
    static const int64_t ns[] = {INT64_MAX, -1, 0};
    static const char *const ts[] = {"a/b \\ \"c\"\t\n\x01\x1b\x7f", "Baile \xc3\x80ite", NULL};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(loc_attrs_set_real(f.ctx, a, 0, k, xs[k]), LOC_OK);
        assert_int_equal(loc_attrs_set_int(f.ctx, a, 1, k, ns[k]), LOC_OK);
        assert_int_equal(loc_attrs_set_text(f.ctx, a, 2, k, ts[k]), LOC_OK);
    }
    assert_geojson_as_gdal(&f, d, a);
    assert_int_equal(loc_attrs_set_real(f.ctx, a, 0, 0, -INFINITY), LOC_OK);
    assert_int_equal(loc_attrs_set_real(f.ctx, a, 0, 1, 4.0), LOC_OK);
    assert_int_equal(loc_attrs_set_real(f.ctx, a, 0, 2, -0.5e300), LOC_OK);
    assert_geojson_as_gdal(&f, d, a);
    loc_attrs_destroy(a);
    loc_dissolved_destroy(d);
    /* zones joined without boundaries: empty localities, null geometries */
    const loc_lookup *l[] = {f.councils};
    loc_zones *z = loc_zones_join(f.ctx, NULL, f.ind, f.spec, l, 1, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(f.ctx, z, f.locs, "loc_code");
    assert_non_null(p);
    d = loc_dissolve(f.ctx, p, f.b, NULL);
    assert_non_null(d);
    assert_geojson_as_gdal(&f, d, NULL);
    loc_dissolved_destroy(d);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    fx_free(&f);

    if (fx_stirling(&f)) {
        d = loc_dissolve(f.ctx, f.p, f.b, NULL);
        assert_non_null(d);
        assert_geojson_as_gdal(&f, d, NULL);
        loc_dissolved_destroy(d);
        fx_free(&f);
    }
}

static void test_geo_squares(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GDALAllRegister();
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    loc_attrs *a = some_attrs(&f);
    char gj[128], gp[128];
    path_in(&f, gj, sizeof gj, "localities.geojson");
    path_in(&f, gp, sizeof gp, "localities.gpkg");
    assert_int_equal(loc_write_geojson(f.ctx, d, a, gj), LOC_OK);
    /* the writer's own GDAL settings (no journal, no option check) are
     * put back: a caller's stays, an unset one stays unset */
    CPLSetThreadLocalConfigOption("OGR_SQLITE_JOURNAL", "TRUNCATE");
    assert_int_equal(loc_write_gpkg(f.ctx, d, a, gp), LOC_OK);
    assert_string_equal(CPLGetThreadLocalConfigOption("OGR_SQLITE_JOURNAL", "unset"), "TRUNCATE");
    assert_string_equal(CPLGetThreadLocalConfigOption("GDAL_VALIDATE_CREATION_OPTIONS", "unset"), "unset");
    CPLSetThreadLocalConfigOption("OGR_SQLITE_JOURNAL", NULL);
    assert_int_equal(test_count_entries(f.dir), 2); /* no temporaries left */
    check_geojson(gj, 3, "RING");
    check_gpkg(gp, 3, 14);
    /* the attribute columns and their nulls */
    char *text = slurp(gj, NULL);
    assert_non_null(strstr(text, "\"plan\": 1"));
    assert_non_null(strstr(text, "\"income_flag\": \"poorer\""));
    assert_non_null(strstr(text, "\"income_rate\": 0.25"));
    assert_non_null(strstr(text, "\"name\": \"Ring \\\"quoted\\\" <b>\""));
    free(text);
    /* the same inputs give the same bytes */
    char again[128];
    path_in(&f, again, sizeof again, "again.geojson");
    assert_int_equal(loc_write_geojson(f.ctx, d, a, again), LOC_OK);
    size_t n1, n2;
    char *x = slurp(gj, &n1), *y = slurp(again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, n1);
    free(x);
    free(y);
    /* without attributes */
    assert_int_equal(loc_write_geojson(f.ctx, d, NULL, gj), LOC_OK);
    check_geojson(gj, 3, "RING");
    loc_attrs_destroy(a);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

static void test_geo_stirling(void **state)
{
    (void)state;
    fx f;
    if (!fx_stirling(&f))
        fail_msg("committed Stirling data missing under " LOC_DATA_DIR "/stirling");
    GDALAllRegister();
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    loc_attrs *a = some_attrs(&f);
    char gj[128], gp[128];
    path_in(&f, gj, sizeof gj, "localities.geojson");
    path_in(&f, gp, sizeof gp, "localities.gpkg");
    assert_int_equal(loc_write_geojson(f.ctx, d, a, gj), LOC_OK);
    assert_int_equal(loc_write_gpkg(f.ctx, d, a, gp), LOC_OK);
    check_geojson(gj, 24, loc_partition_code(f.p, 0));
    check_gpkg(gp, 24, 121);
    /* the GeoPackage areas are the dissolve's, in metres */
    GDALDatasetH ds = GDALOpenEx(gp, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "localities");
    OGRFeatureH ft = OGR_L_GetNextFeature(l);
    double area = OGR_G_Area(OGR_F_GetGeometryRef(ft));
    assert_true(fabs(area - loc_dissolved_area_m2(d, 0)) < 1e-3);
    OGR_F_Destroy(ft);
    GDALClose(ds);
    const char *keep = getenv("LOC_KEEP_OUTPUT");
    if (keep) {
        /* for the RFC 7946 validator run by hand (see the closing note) */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "cp %s %s/stirling.geojson", gj, keep);
        assert_int_equal(system(cmd), 0);
    }
    loc_attrs_destroy(a);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Atomicity
 * --------------------------------------------------------------------- */

typedef loc_status (*writer_fn)(loc_ctx *, const loc_dissolved *, const loc_attrs *, const char *);

static loc_status write_report_plain(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const char *path)
{
    return loc_write_report(ctx, d, a, NULL, path);
}

static void test_atomic(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GDALAllRegister();
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    loc_attrs *a = some_attrs(&f);
    static const writer_fn writers[] = {loc_write_geojson, loc_write_gpkg, write_report_plain};
    static const char *const names[] = {"localities.geojson", "localities.gpkg", "report.html"};
    char path[256], msg[512];
    for (int w = 0; w < 3; w++) {
        /* a folder that does not exist */
        snprintf(path, sizeof path, "/nonexistent-dir/%s", names[w]);
        assert_int_equal(writers[w](f.ctx, d, a, path), LOC_EIO);
        snprintf(msg, sizeof msg, "cannot write '%s': No such file or directory", path);
        assert_string_equal(loc_errmsg(f.ctx), msg);
        /* a folder that is a file */
        path_in(&f, path, sizeof path, "plain");
        put_file(path, "x");
        path_in(&f, path, sizeof path, "plain/out");
        assert_int_equal(writers[w](f.ctx, d, a, path), LOC_EIO);
        snprintf(msg, sizeof msg, "cannot write '%s': Not a directory", path);
        assert_string_equal(loc_errmsg(f.ctx), msg);
        /* the final name is a folder: the rename fails after a full
         * write, and the temporary goes */
        path_in(&f, path, sizeof path, names[w]);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(writers[w](f.ctx, d, a, path), LOC_EIO);
        assert_non_null(strstr(loc_errmsg(f.ctx), "cannot write '"));
        assert_int_equal(test_count_entries(f.dir), 2); /* plain and the folder */
        rmdir(path);
        /* an earlier output survives a refused write */
        put_file(path, "previous output");
        loc_attrs *wrong = loc_attrs_create(f.ctx, 2);
        assert_int_equal(writers[w](f.ctx, d, wrong, path), LOC_EINVAL);
        snprintf(msg, sizeof msg, "cannot write '%s': attribute table has 2 rows for 3 localities", path);
        assert_string_equal(loc_errmsg(f.ctx), msg);
        loc_attrs_destroy(wrong);
        char *text = slurp(path, NULL);
        assert_string_equal(text, "previous output");
        free(text);
        path_in(&f, path, sizeof path, "plain");
        unlink(path);
        path_in(&f, path, sizeof path, names[w]);
        unlink(path);
    }

    /* a folder without write permission (root writes anyway) */
    if (geteuid() != 0) {
        char ro[128];
        path_in(&f, ro, sizeof ro, "readonly");
        assert_int_equal(mkdir(ro, 0500), 0);
        for (int w = 0; w < 3; w++) {
            snprintf(path, sizeof path, "%s/%s", ro, names[w]);
            assert_int_equal(writers[w](f.ctx, d, a, path), LOC_EIO);
            snprintf(msg, sizeof msg, "cannot write '%s': Permission denied", path);
            assert_string_equal(loc_errmsg(f.ctx), msg);
        }
        rmdir(ro);
    }

    /* a failure inside GDAL, after the dataset was created: the
     * GeoPackage driver refuses a field named like its id column */
    path_in(&f, path, sizeof path, "localities.gpkg");
    put_file(path, "previous output");
    loc_attrs *bad = loc_attrs_create(f.ctx, 3);
    assert_int_equal(loc_attrs_add(f.ctx, bad, "fid", LOC_ATTR_TEXT, NULL), LOC_OK);
    assert_int_equal(loc_write_gpkg(f.ctx, d, bad, path), LOC_EIO);
    print_message("GeoPackage failure: %s\n", loc_errmsg(f.ctx));
    snprintf(msg, sizeof msg, "cannot write '%s': fid: ", path);
    assert_memory_equal(loc_errmsg(f.ctx), msg, strlen(msg));
    char *text = slurp(path, NULL);
    assert_string_equal(text, "previous output");
    free(text);
    assert_int_equal(test_count_entries(f.dir), 1);
    loc_attrs_destroy(bad);

    /* allocation failures in the report: the earlier report stays */
    path_in(&f, path, sizeof path, "report.html");
    put_file(path, "previous output");
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_status st = loc_write_report(f.ctx, d, a, NULL, path);
        f.ta.fail_after = -1;
        assert_int_equal(f.ta.live, live);
        if (!st)
            break;
        assert_int_equal(st, LOC_ENOMEM);
        text = slurp(path, NULL);
        assert_string_equal(text, "previous output");
        free(text);
        assert_int_equal(test_count_entries(f.dir), 2);
    }

    /* allocation failures in the GeoJSON written directly: likewise */
    path_in(&f, path, sizeof path, "localities.geojson");
    put_file(path, "previous output");
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_status st = loc_write_geojson(f.ctx, d, a, path);
        f.ta.fail_after = -1;
        assert_int_equal(f.ta.live, live);
        if (!st)
            break;
        assert_int_equal(st, LOC_ENOMEM);
        text = slurp(path, NULL);
        assert_string_equal(text, "previous output");
        free(text);
        assert_int_equal(test_count_entries(f.dir), 3);
    }
    loc_attrs_destroy(a);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Report
 * --------------------------------------------------------------------- */

/* Test limits: 10 +- 30 / sqrt(x), in shown units. */
static void test_limits(const void *ud, double x, double *lo, double *hi)
{
    double c = *(const double *)ud;
    *lo = c - 30 / sqrt(x);
    *hi = c + 30 / sqrt(x);
}

static const char *const CREDITS[] = {"Contains OS data <test>"};

/* Report inputs for a fixture: flag, value map, a funnel on the income
 * rate, settings with markup that must come out escaped. */
typedef struct report_in {
    loc_attrs *a;
    double *rate, *pop, *diff, *limit, centre;
    int *flag_s, *flag_r;
    loc_funnel funnel[2];
    loc_kv settings[3], sources[1];
    loc_report_opts o;
} report_in;

static void report_inputs(fx *f, report_in *in)
{
    size_t n = loc_partition_count(f->p);
    memset(in, 0, sizeof *in);
    in->a = some_attrs(f);
    in->rate = malloc(n * sizeof *in->rate);
    in->pop = malloc(n * sizeof *in->pop);
    in->diff = malloc(n * sizeof *in->diff);
    in->limit = malloc(n * sizeof *in->limit);
    in->flag_s = malloc(n * sizeof *in->flag_s);
    in->flag_r = malloc(n * sizeof *in->flag_r);
    in->centre = 12.1;
    for (size_t k = 0; k < n; k++) {
        in->rate[k] = 100 * loc_attrs_real(in->a, 0, k);
        in->pop[k] = loc_partition_population(f->p, k);
        double lo, hi;
        test_limits(&in->centre, in->pop[k], &lo, &hi);
        in->flag_s[k] = in->rate[k] > hi ? LOC_FLAG_POORER : in->rate[k] < lo ? LOC_FLAG_BETTER : LOC_FLAG_SAME;
        in->diff[k] = in->rate[k] - in->centre;
        in->limit[k] = 5;
        in->flag_r[k] = fabs(in->diff[k]) <= 5 ? LOC_FLAG_SAME : in->diff[k] > 0 ? LOC_FLAG_POORER : LOC_FLAG_BETTER;
    }
    in->funnel[0] = (loc_funnel){.label = "Income deprived <share>", .unit = "%", .size_label = "residents",
                                 .note = "limits <made up>", .worse = 1, .national = in->centre, .value = in->rate,
                                 .size = in->pop, .flag_scotland = in->flag_s, .limits = test_limits,
                                 .limits_ud = &in->centre, .diff = in->diff, .limit = in->limit,
                                 .flag_rest = in->flag_r};
    in->funnel[1] = in->funnel[0];
    in->funnel[1].label = "Income, as a rate";
    in->funnel[1].unit = " per 1,000";
    in->settings[0] = (loc_kv){"max population", "10000"};
    in->settings[1] = (loc_kv){"rule", "<script>alert('x')</script> & more"};
    in->settings[2] = (loc_kv){"confidence", "95%"};
    in->sources[0] = (loc_kv){"boundaries", "dz2011 \"simplified\".gpkg"};
    in->o = (loc_report_opts){.title = "Test <report>",
                              .flag_column = "plan",
                              .flag_label = "qualifies for a plan",
                              .value_column = "income_rate",
                              .value_label = "income deprived (%)",
                              .value_scale = 100,
                              .funnels = in->funnel,
                              .nfunnels = 2,
                              .settings = in->settings,
                              .nsettings = 3,
                              .sources = in->sources,
                              .nsources = 1,
                              .attribution = CREDITS,
                              .nattribution = 1};
}

static void free_inputs(report_in *in)
{
    loc_attrs_destroy(in->a);
    free(in->rate);
    free(in->pop);
    free(in->diff);
    free(in->limit);
    free(in->flag_s);
    free(in->flag_r);
}

/* Tags open and close in pairs, in order, for the elements whose nesting
 * matters to a browser: a minimal stack check. */
static void check_balanced(const char *html)
{
    static const char *const tags[] = {"svg", "table", "tr", "figure", "section", "div", "g", "title", "path",
                                       "thead", "tbody", "html", "body", "head", "style", "p", "h1", "h2", "h3"};
    const char *stack[4096];
    size_t depth = 0;
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " >/\n");
        size_t t;
        for (t = 0; t < sizeof tags / sizeof *tags; t++)
            if (strlen(tags[t]) == len && strncmp(tags[t], name, len) == 0)
                break;
        if (t == sizeof tags / sizeof *tags)
            continue;
        const char *end = strchr(p, '>');
        assert_non_null(end);
        if (end[-1] == '/')
            continue; /* self-closing */
        if (!closing) {
            assert_true(depth < 4096);
            stack[depth++] = tags[t];
        } else {
            if (depth == 0 || stack[depth - 1] != tags[t])
                fail_msg("unbalanced </%s> at offset %ld (open: %s)", tags[t], (long)(p - html),
                         depth ? stack[depth - 1] : "none");
            depth--;
        }
    }
    assert_int_equal(depth, 0);
}

static void check_report(const char *path, size_t nloc)
{
    char *html = slurp(path, NULL);
    check_balanced(html);
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    /* one inline script and its JSON data at most, nothing fetched */
    assert_null(strstr(html, "<script src"));
    assert_true(count_of(html, "<script") <= 2);
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "url(http"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert_non_null(strstr(html, "<title>Test &lt;report&gt;</title>"));
    assert_non_null(strstr(html, "Income deprived &lt;share&gt;"));
    assert_non_null(strstr(html, "dz2011 &quot;simplified&quot;.gpkg"));
    assert_non_null(strstr(html, "limits &lt;made up&gt;"));
    /* every point coloured by the flag it was given: as many flagged
     * points as flags, in both charts of both funnels */
    assert_true(count_of(html, "<circle") == 4 * nloc);
    assert_non_null(strstr(html, "Income, as a rate"));
    assert_true(count_of(html, "<svg") >= 6);
    /* one row per locality in the table for people, and a profile each */
    const char *all = strstr(html, "<table class=\"data people\">");
    assert_non_null(all);
    const char *end = strstr(all, "</table>");
    assert_non_null(end);
    size_t rows = 0;
    for (const char *q = strstr(all, "<tr"); q && q < end; q = strstr(q + 3, "<tr"))
        rows++;
    assert_int_equal(rows - 1, nloc);
    assert_int_equal(count_of(html, "<section class=\"profile\""), nloc);
    free(html);
}

static void test_report_squares(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    report_in in;
    report_inputs(&f, &in);
    char path[128];
    path_in(&f, path, sizeof path, "report.html");
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &in.o, path), LOC_OK);
    check_report(path, 3);
    char *html = slurp(path, NULL);
    assert_non_null(strstr(html, "Ring &quot;quoted&quot; &lt;b&gt;"));
    assert_null(strstr(html, "Ring \"quoted\""));
    assert_non_null(strstr(html, "Beta &amp; &lt;Gamma&gt;"));
    assert_int_equal(count_of(html, "<path data-k=") + count_of(html, "<path id=\"lp-"), 6); /* 3 localities, 2 maps */
    /* each profile shows its locality on its council's map by reference */
    assert_non_null(strstr(html, "<use href=\"#cm-"));
    assert_int_equal(count_of(html, "<use href=\"#lp-"), 6); /* the council view and the close-up */
    /* the attribution on every map, and the scale bar */
    size_t maps = count_of(html, "<svg class=\"map\"");
    assert_true(maps >= 2);
    assert_int_equal(count_of(html, "<g class=\"scale\">"), maps);
    assert_int_equal(count_of(html, "<text class=\"credit\""), maps);
    assert_non_null(strstr(html, "Contains OS data &lt;test&gt;"));
    assert_non_null(strstr(html, "<footer><p>Contains OS data &lt;test&gt;"));
    assert_int_equal(count_of(html, "<tr class=\"flag\">"), 1); /* CORE 0.25; RING 0.10, GAP 0.125 */
    size_t worse = 0;
    for (size_t k = 0; k < 3; k++)
        worse += (size_t)(in.flag_s[k] == LOC_FLAG_POORER) + (size_t)(in.flag_r[k] == LOC_FLAG_POORER);
    assert_int_equal(count_of(html, "<circle class=\"worse"), 2 * worse);
    free(html);

    /* the same inputs give the same bytes */
    char again[128];
    path_in(&f, again, sizeof again, "again.html");
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &in.o, again), LOC_OK);
    size_t n1, n2;
    char *x = slurp(path, &n1), *y = slurp(again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, n1);
    free(x);
    free(y);

    /* a table of its own and an extra measure for the maps' selector */
    static const char *const th[2] = {"Council", "Why <not>"};
    static const char *const tc[4] = {"Alpha", "below the floor", "Beta & co", "a zone <above>"};
    loc_report_table tb = {"feas", "Floor & ceiling", "Intro <p>", 2, 2, th, tc};
    loc_report_indicator extra = {"income_rate", "Stability <share>", NULL, 1, 0};
    in.o.tables = &tb;
    in.o.ntables = 1;
    in.o.map_extra = &extra;
    in.o.nmap_extra = 1;
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &in.o, path), LOC_OK);
    html = slurp(path, NULL);
    check_balanced(html);
    assert_non_null(strstr(html, "<h2 id=\"feas\">Floor &amp; ceiling</h2>\n<p>Intro &lt;p&gt;</p>"));
    assert_non_null(strstr(html, "<th scope=\"col\">Why &lt;not&gt;</th>"));
    assert_non_null(strstr(html, "<td>Beta &amp; co</td><td>a zone &lt;above&gt;</td>"));
    assert_non_null(strstr(html, "\"n\":\"income_rate\""));
    free(html);
    in.o.tables = NULL;
    in.o.ntables = 0;
    in.o.map_extra = NULL;
    in.o.nmap_extra = 0;

    /* no options: maps without colours, nothing else */
    assert_int_equal(loc_write_report(f.ctx, d, NULL, NULL, path), LOC_OK);
    html = slurp(path, NULL);
    check_balanced(html);
    assert_non_null(strstr(html, "No indicator was chosen for funnel plots."));
    assert_non_null(strstr(html, "the maps show the localities only"));
    assert_null(strstr(html, "locality plan required"));
    free(html);

    /* refusals */
    loc_report_opts o = in.o;
    o.flag_column = "nope";
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &o, path), LOC_EINVAL);
    char msg[256];
    snprintf(msg, sizeof msg, "cannot write '%s': no attribute column 'nope'", path);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    o.flag_column = "income_rate";
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &o, path), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': attribute column 'income_rate' is not an integer flag", path);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    o = in.o;
    o.value_column = "plan";
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &o, path), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': attribute column 'plan' is not a real value", path);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    o = in.o;
    loc_funnel bad = in.funnel[0];
    bad.size = NULL;
    o.funnels = &bad;
    o.nfunnels = 1;
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &o, path), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': funnel plot 1 lacks values, sizes, flags or limits", path);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    assert_int_equal(loc_write_report(f.ctx, NULL, NULL, NULL, path), LOC_EINVAL);
    free_inputs(&in);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

static void test_report_stirling(void **state)
{
    (void)state;
    fx f;
    if (!fx_stirling(&f))
        fail_msg("committed Stirling data missing under " LOC_DATA_DIR "/stirling");
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    report_in in;
    report_inputs(&f, &in);
    char path[256];
    const char *keep = getenv("LOC_KEEP_OUTPUT");
    if (keep)
        snprintf(path, sizeof path, "%s/report.html", keep); /* for scripts/check_report.sh */
    else
        path_in(&f, path, sizeof path, "report.html");
    assert_int_equal(loc_write_report(f.ctx, d, in.a, &in.o, path), LOC_OK);
    check_report(path, 24);
    struct stat s;
    assert_int_equal(stat(path, &s), 0);
    print_message("Stirling report: %lld bytes\n", (long long)s.st_size);
    free_inputs(&in);
    loc_dissolved_destroy(d);
    fx_free(&f);
}

/* Zones joined without boundaries: every locality is empty, and the
 * writers still write every feature (with no geometry). */
static void test_no_boundaries(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GDALAllRegister();
    const loc_lookup *l[] = {f.councils};
    loc_zones *z = loc_zones_join(f.ctx, NULL, f.ind, f.spec, l, 1, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(f.ctx, z, f.locs, "loc_code");
    assert_non_null(p);
    loc_dissolved *d = loc_dissolve(f.ctx, p, f.b, NULL);
    assert_non_null(d);
    assert_int_equal(loc_dissolved_missing(d), NSQ);
    for (size_t k = 0; k < loc_dissolved_count(d); k++) {
        assert_int_equal(GEOSisEmpty_r(loc_geos(f.ctx), loc_dissolved_geom(d, k)), 1);
        assert_true(loc_dissolved_area_m2(d, k) == 0 && isnan(loc_dissolved_compactness(d, k)));
    }
    char gj[128], gp[128], html[128];
    path_in(&f, gj, sizeof gj, "localities.geojson");
    path_in(&f, gp, sizeof gp, "localities.gpkg");
    path_in(&f, html, sizeof html, "report.html");
    assert_int_equal(loc_write_geojson(f.ctx, d, NULL, gj), LOC_OK);
    char *text = slurp(gj, NULL);
    assert_int_equal(count_of(text, "\"geometry\": null"), 3);
    free(text);
    assert_int_equal(loc_write_gpkg(f.ctx, d, NULL, gp), LOC_OK);
    check_gpkg_counts(gp, 3, 0);
    assert_int_equal(loc_write_report(f.ctx, d, NULL, NULL, html), LOC_OK);
    text = slurp(html, NULL);
    check_balanced(text);
    free(text);
    loc_dissolved_destroy(d);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    fx_free(&f);
}

/* The three files as one set: a failure anywhere leaves all three
 * earlier outputs as they were, and the folder's other files kept. */
static void test_outputs_set(void **state)
{
    (void)state;
    fx f;
    fx_squares(&f);
    GDALAllRegister();
    loc_dissolved *d = loc_dissolve(f.ctx, f.p, f.b, NULL);
    loc_attrs *a = some_attrs(&f);
    static const char *const names[] = {"localities.geojson", "localities.gpkg", "report.html", "notes.txt"};
    char path[4][128], msg[256];
    for (int i = 0; i < 4; i++) {
        path_in(&f, path[i], sizeof path[i], names[i]);
        put_file(path[i], "previous output");
    }
    /* the report fails after the GeoJSON and GeoPackage were complete;
     * the message names the file in the folder, not in the staging one */
    loc_report_opts o = {.flag_column = "nope"};
    assert_int_equal(loc_write_outputs(f.ctx, f.dir, d, a, &o), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': no attribute column 'nope'", path[2]);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    for (int i = 0; i < 4; i++) {
        char *text = slurp(path[i], NULL);
        assert_string_equal(text, "previous output");
        free(text);
    }
    assert_int_equal(test_count_entries(f.dir), 4);
    assert_int_equal(loc_write_outputs(f.ctx, "/nonexistent-dir", d, a, NULL), LOC_EIO);
    assert_string_equal(loc_errmsg(f.ctx),
                        "cannot write '/nonexistent-dir/localities.geojson': No such file or directory");
    assert_int_equal(loc_write_outputs(f.ctx, path[3], d, a, NULL), LOC_EIO); /* a file, not a folder */
    /* allocation failures at every point */
    o.flag_column = "plan";
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_status st = loc_write_outputs(f.ctx, f.dir, d, a, &o);
        f.ta.fail_after = -1;
        assert_int_equal(f.ta.live, live);
        assert_int_equal(test_count_entries(f.dir), 4);
        if (!st)
            break;
        assert_int_equal(st, LOC_ENOMEM);
        for (int i = 0; i < 4; i++) {
            char *text = slurp(path[i], NULL);
            assert_string_equal(text, "previous output");
            free(text);
        }
    }
    check_geojson(path[0], 3, "RING");
    check_gpkg(path[1], 3, 14);
    char *html = slurp(path[2], NULL);
    check_balanced(html);
    free(html);
    char *notes = slurp(path[3], NULL);
    assert_string_equal(notes, "previous output"); /* the user's file kept */
    free(notes);
    loc_attrs_destroy(a);
    loc_dissolved_destroy(d);
    fx_free(&f);
}


/* progress.html from a hand-made progress table: a chart and a table per
 * row, the target line, statuses in words, localities grouped; refusals. */
static void test_progress_report(void **state)
{
    (void)state;
    static const char T[] =
        "kind,locality_code,locality_name,council_code,indicator,measure,baseline,plan_year,target_1y,target_3y,"
        "target_10y,r12_value,r12_value_low,r12_value_high,r12_gap_council,r12_gap_council_low,r12_gap_council_high,"
        "r12_gap_scotland,r12_gap_scotland_low,r12_gap_scotland_high,r20_value,r20_value_low,r20_value_high,"
        "r20_gap_council,r20_gap_council_low,r20_gap_council_high,r20_gap_scotland,r20_gap_scotland_low,"
        "r20_gap_scotland_high,latest,expected,change,change_se,status,note\n"
        "target,L1,<Town>,C1,income,value,r12,2012,30,,20,36,30,42,10,8,12,12,10,14,29,24,34,6,4,8,9,7,11,r20,29.5,-7,3,"
        "on_track,at or ahead of the line\n"
        "trend,L2,Village,C1,income,gap_council,r12,2012,,,,10,8,12,2,1,3,1,0,2,11,9,13,3,2,4,2,1,3,r20,,1,1.5,held,"
        "within the noise\n"
        "trend,L1,<Town>,C1,income,gap_council,r12,2012,,,,36,30,42,10,8,12,12,10,14,29,24,34,6,4,8,9,7,11,r20,,-4,1.2,"
        "narrowed,\n";
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *t = loc_csv_parse(ctx, "progress.csv", T, strlen(T));
    assert_non_null(t);
    char dir[] = "/tmp/loc-prog-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/progress.html", dir);
    const char *rel[] = {"r12", "r20"};
    const int years[] = {2012, 2020};
    static const char C[] = "locality_code,locality_name,r12_plan_required,r20_plan_required,status\n"
                            "L1,<Town>,1,0,changed\n";
    loc_csv *cmp = loc_csv_parse(ctx, "comparison.csv", C, strlen(C));
    assert_int_equal(loc_write_progress_report(ctx, t, cmp, rel, years, 2, path), LOC_OK);
    loc_csv_destroy(cmp);
    char *html = slurp(path, NULL);
    check_balanced(html);
    assert_int_equal(count_of(html, "<svg class=\"pg\""), 3);
    assert_int_equal(count_of(html, "<section class=\"loc\">"), 2); /* L1's two rows together */
    assert_non_null(strstr(html, "&lt;Town&gt;"));
    assert_non_null(strstr(html, "on track</span>: at or ahead of the line"));
    assert_non_null(strstr(html, "class=\"tl\"")); /* the target line */
    assert_non_null(strstr(html, "<td>target, 10 years</td>"));
    assert_non_null(strstr(html, "Locality plan required: r12 <b>yes</b>; r20 no."));
    assert_true(strstr(html, "Village") > strstr(html, "narrowed")); /* L1's trend beside its target */
    free(html);
    /* a table without the needed columns is refused */
    static const char BAD[] = "locality_code,indicator\nL1,income\n";
    loc_csv *b = loc_csv_parse(ctx, "bad.csv", BAD, strlen(BAD));
    assert_int_equal(loc_write_progress_report(ctx, b, NULL, rel, years, 2, path), LOC_EINVAL);
    assert_non_null(strstr(loc_errmsg(ctx), "progress report: the table lacks"));
    loc_csv_destroy(b);
    unlink(path);
    rmdir(dir);
    loc_csv_destroy(t);
    loc_ctx_destroy(ctx);
}

static void test_table_reset(void **state)
{
    (void)state;
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    uint32_t *tab = NULL;
    size_t cap = 0, alloc = 0;
    assert_int_equal(loc_wr_table_reset(ctx, &tab, &cap, &alloc, 100), LOC_OK);
    assert_int_equal(cap, 256);
    assert_int_equal(alloc, 256);
    for (size_t i = 0; i < cap; i++)
        assert_int_equal(tab[i], 0);
    for (size_t i = 0; i < cap; i++)
        tab[i] = 7;
    uint32_t *was = tab;
    /* a small set: the same block, 16 slots in use and cleared */
    assert_int_equal(loc_wr_table_reset(ctx, &tab, &cap, &alloc, 3), LOC_OK);
    assert_ptr_equal(tab, was);
    assert_int_equal(cap, 16);
    assert_int_equal(alloc, 256);
    for (size_t i = 0; i < cap; i++)
        assert_int_equal(tab[i], 0);
    /* back up to the allocated size: all of it cleared again */
    assert_int_equal(loc_wr_table_reset(ctx, &tab, &cap, &alloc, 128), LOC_OK);
    assert_ptr_equal(tab, was);
    assert_int_equal(cap, 256);
    for (size_t i = 0; i < cap; i++)
        assert_int_equal(tab[i], 0);
    /* larger: a new, zeroed block */
    assert_int_equal(loc_wr_table_reset(ctx, &tab, &cap, &alloc, 1000), LOC_OK);
    assert_int_equal(cap, 2048);
    assert_int_equal(alloc, 2048);
    for (size_t i = 0; i < cap; i++)
        assert_int_equal(tab[i], 0);
    loc_free(ctx, tab);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_reset),
        cmocka_unit_test(test_progress_report),
        cmocka_unit_test(test_report_escapes), cmocka_unit_test(test_simplify_coverage),
        cmocka_unit_test(test_simplify_stirling), cmocka_unit_test(test_dissolve_squares), cmocka_unit_test(test_dissolve_errors),
        cmocka_unit_test(test_dissolve_stirling), cmocka_unit_test(test_dissolve_traced), cmocka_unit_test(test_attrs),
        cmocka_unit_test(test_geojson_direct),
        cmocka_unit_test(test_geo_squares),      cmocka_unit_test(test_geo_stirling),
        cmocka_unit_test(test_atomic),           cmocka_unit_test(test_report_squares),   cmocka_unit_test(test_report_stirling),
        cmocka_unit_test(test_no_boundaries),    cmocka_unit_test(test_outputs_set),
        cmocka_unit_test(test_dissolve_simplified), 
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
