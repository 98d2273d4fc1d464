/*
 * The geographic files: the ones GDAL writes, so that mapping tools read
 * them as they read GDAL's: the GeoPackage through GDAL, the GeoJSON as the
 * driver's RFC 7946 mode writes it (WGS 84 longitude/latitude, six
 * decimals, no crs member, counter-clockwise exterior rings) but written
 * here directly, three times faster, and checked against the driver.  GDAL
 * creates its files itself, so atomicity is done here: the dataset is
 * created under a reserved temporary name in the output folder and renamed
 * over the final name only after GDALClose reported no error.  The
 * temporary-file helpers serve every writer (writers_internal.h).
 */
#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"
#include "writers_internal.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* =====================================================================
 * GDAL output: GeoJSON and GeoPackage
 * ===================================================================== */

/* One GDAL output in progress. */
typedef struct gout {
    loc_ctx *ctx;
    const char *path;      /* final path, borrowed */
    char *tmp;             /* temporary path, owned */
    GDALDatasetH ds;       /* open while writing */
    GEOSWKBWriter *wkb;    /* GEOS -> OGR through ISO WKB */
    loc_gdal_errors err;   /* GDAL's errors into ctx (the first failure kept) */
} gout;

/* ---------------------------------------------------------------------
 * Temporary files: every output is staged under a temporary name beside
 * its final one and renamed over it only when complete
 * --------------------------------------------------------------------- */

/* GDAL settings for creating an output, for the creating thread only (the
 * writers run side by side) and put back afterwards:
 * - no rollback journal for SQLite-based formats (GeoPackage): the file
 *   is a temporary, thrown away whole on any failure and renamed into
 *   place only when complete, so a journal (1.6 MB of writes for all of
 *   Scotland's) protects nothing;
 * - no check of the creation options, of which there are none: for the
 *   GeoPackage the check builds the driver's option list, which reads
 *   every tiling scheme GDAL ships and looks up its CRS in PROJ's
 *   database (54 ms of the writer's time under strace). */
static GDALDatasetH create_output(GDALDriverH drv, const char *tmp)
{
    static const char *const settings[][2] = {{"OGR_SQLITE_JOURNAL", "OFF"}, {"GDAL_VALIDATE_CREATION_OPTIONS", "NO"}};
    enum { N = sizeof settings / sizeof *settings };
    char *saved[N];
    for (size_t i = 0; i < N; i++) {
        const char *was = CPLGetThreadLocalConfigOption(settings[i][0], NULL);
        saved[i] = was ? CPLStrdup(was) : NULL;
        CPLSetThreadLocalConfigOption(settings[i][0], settings[i][1]);
    }
    GDALDatasetH ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    for (size_t i = 0; i < N; i++) {
        CPLSetThreadLocalConfigOption(settings[i][0], saved[i]);
        CPLFree(saved[i]);
    }
    return ds;
}

/* Reserve a temporary name for path and create the GDAL dataset there
 * (the reserved file is removed again for the driver to create). */
static loc_status gout_open(loc_ctx *ctx, gout *o, const char *driver, const char *path, const char *ext)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->path = path;
    loc_gdal_init();
    loc_gdal_errors_push(&o->err, ctx, 1);
    int fd;
    loc_status st = loc_afile_reserve(ctx, path, ext, &o->tmp, &fd);
    if (st)
        return st;
    close(fd);
    unlink(o->tmp);
    GDALDriverH drv = GDALGetDriverByName(driver);
    if (!drv)
        return loc_error(ctx, LOC_EIO, "cannot write '%s': GDAL has no %s driver", path, driver);
    loc_lib_clear(ctx);
    o->ds = create_output(drv, o->tmp);
    if (!o->ds)
        return loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, loc_lib_msg(ctx));
    if (!(o->wkb = GEOSWKBWriter_create_r(loc_geos(ctx))))
        return loc_error(ctx, LOC_EGEOM, "cannot write '%s': GEOS cannot create a WKB writer", path);
    GEOSWKBWriter_setByteOrder_r(loc_geos(ctx), o->wkb, GEOS_WKB_NDR);
    return LOC_OK;
}

/* Flush a closed file to disk: GDAL writes the GeoPackage with SQLite's
 * synchronous mode off, and a temporary must be on disk before it is
 * renamed into place, as every other output is.  0, or -1 with errno. */
static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* Close the dataset.  When st is LOC_OK and GDAL reported no failure, hand
 * the finished temporary, on disk, to *staged (owned by the caller);
 * otherwise remove it.  Returns the final status. */
static loc_status gout_close(gout *o, loc_status st, char **staged)
{
    loc_ctx *ctx = o->ctx;
    *staged = NULL;
    if (o->wkb)
        GEOSWKBWriter_destroy_r(loc_geos(ctx), o->wkb);
    if (o->ds) {
        if (!st)
            loc_lib_clear(ctx);
        GDALClose(o->ds);
        if (!st && o->err.failed)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", o->path, loc_lib_msg(ctx));
        if (!st && o->tmp && fsync_path(o->tmp) != 0)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", o->path, strerror(errno));
    }
    if (o->tmp) {
        if (st)
            loc_afile_discard(ctx, o->tmp);
        else
            *staged = o->tmp;
    }
    loc_gdal_errors_pop();
    return st;
}

/* Record a GDAL failure on o's path. */
static loc_status gout_fail(gout *o, const char *what)
{
    return loc_error(o->ctx, LOC_EIO, "cannot write '%s': %s: %s", o->path, what,
                     o->err.failed ? loc_lib_msg(o->ctx) : "GDAL error");
}

/* GEOS ring -> new OGR linear ring, its coordinates copied through *xy
 * (grown as needed); NULL on failure. */
static OGRGeometryH ogr_ring(loc_ctx *ctx, const GEOSGeometry *ring, double **xy, size_t *cap)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n > INT_MAX / 2 ||
        loc_grow(ctx, (void **)xy, cap, 2 * (size_t)n + 2, sizeof **xy) ||
        (n && !GEOSCoordSeq_copyToBuffer_r(h, cs, *xy, 0, 0)))
        return NULL;
    OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing);
    if (r)
        OGR_G_SetPoints(r, (int)n, *xy, 2 * sizeof **xy, *xy + 1, 2 * sizeof **xy, NULL, 0);
    return r;
}

/* GEOS polygon -> new OGR polygon; NULL on failure. */
static OGRGeometryH ogr_polygon(loc_ctx *ctx, const GEOSGeometry *pg, double **xy, size_t *cap)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    OGRGeometryH out = nh >= 0 ? OGR_G_CreateGeometry(wkbPolygon) : NULL;
    for (int i = -1; out && i < nh; i++) {
        OGRGeometryH r = ogr_ring(ctx, i < 0 ? GEOSGetExteriorRing_r(h, pg) : GEOSGetInteriorRingN_r(h, pg, i), xy, cap);
        if (!r || OGR_G_AddGeometryDirectly(out, r) != OGRERR_NONE) {
            if (r)
                OGR_G_DestroyGeometry(r);
            OGR_G_DestroyGeometry(out);
            out = NULL;
        }
    }
    return out;
}

/* A polygonal GEOS geometry (Polygon or MultiPolygon, as the dissolve and
 * the boundary reader make them) -> new OGR MultiPolygon, ring by ring:
 * the same geometry as through WKB, without GEOS's stream-based WKB
 * writer (31,000 instructions a zone, a fifth of the GeoPackage).  NULL
 * for any other type (the caller goes through WKB) or on failure. */
static OGRGeometryH ogr_multipolygon(loc_ctx *ctx, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    int type = GEOSGeomTypeId_r(h, g);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        return NULL;
    int n = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(h, g);
    OGRGeometryH out = n >= 0 ? OGR_G_CreateGeometry(wkbMultiPolygon) : NULL;
    double *xy = NULL;
    size_t cap = 0;
    for (int i = 0; out && i < n; i++) {
        const GEOSGeometry *pg = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, i);
        OGRGeometryH p = pg ? ogr_polygon(ctx, pg, &xy, &cap) : NULL;
        if (!p || OGR_G_AddGeometryDirectly(out, p) != OGRERR_NONE) {
            if (p)
                OGR_G_DestroyGeometry(p);
            OGR_G_DestroyGeometry(out);
            out = NULL;
        }
    }
    loc_free(ctx, xy);
    return out;
}

/* GEOS geometry -> new OGR MultiPolygon (NULL for an empty one, *st
 * unchanged).  On failure NULL with *st set. */
static OGRGeometryH to_ogr(gout *o, const GEOSGeometry *g, const char *what, loc_status *st)
{
    GEOSContextHandle_t h = loc_geos(o->ctx);
    if (GEOSisEmpty_r(h, g) == 1)
        return NULL;
    OGRGeometryH direct = ogr_multipolygon(o->ctx, g);
    if (direct)
        return direct;
    size_t size = 0;
    unsigned char *buf = GEOSWKBWriter_write_r(h, o->wkb, g, &size);
    if (!buf) {
        *st = loc_error(o->ctx, LOC_EGEOM, "cannot write '%s': GEOS cannot export %s", o->path, what);
        return NULL;
    }
    OGRGeometryH og = NULL;
    OGRErr e = OGR_G_CreateFromWkb(buf, NULL, &og, (int)size);
    GEOSFree_r(h, buf);
    if (e != OGRERR_NONE || !og) {
        *st = loc_error(o->ctx, LOC_EGEOM, "cannot write '%s': GDAL cannot read the geometry of %s", o->path, what);
        return NULL;
    }
    /* one geometry type per layer, as GeoPackage expects */
    return OGR_G_ForceToMultiPolygon(og);
}

/* Feature f with geometry g added to layer l (what names it in a message),
 * and destroyed; *st keeps the first failure. */
static void put_feature(gout *o, OGRLayerH l, OGRFeatureH f, const GEOSGeometry *g, const char *what, loc_status *st)
{
    OGRGeometryH og = to_ogr(o, g, what, st);
    if (og)
        OGR_F_SetGeometryDirectly(f, og);
    if (!*st && OGR_L_CreateFeature(l, f) != OGRERR_NONE)
        *st = gout_fail(o, what);
    OGR_F_Destroy(f);
}

static loc_status add_field(gout *o, OGRLayerH l, const char *name, OGRFieldType t)
{
    OGRFieldDefnH fd = OGR_Fld_Create(name, t);
    OGRErr e = OGR_L_CreateField(l, fd, TRUE);
    OGR_Fld_Destroy(fd);
    return e == OGRERR_NONE ? LOC_OK : gout_fail(o, name);
}

static OGRSpatialReferenceH bng(void)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (s && OSRImportFromEPSG(s, 27700) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    if (s)
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

/* The localities layer: fixed fields, attribute columns, one feature per
 * locality. */
static loc_status write_localities(gout *o, const loc_dissolved *d, const loc_attrs *a, char **lco, int id_field)
{
    loc_ctx *ctx = o->ctx;
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    loc_status st = LOC_OK;
    OGRSpatialReferenceH srs = bng();
    if (!srs)
        return loc_error(ctx, LOC_ECRS, "cannot write '%s': no definition of EPSG:27700", o->path);
    OGRLayerH l = GDALDatasetCreateLayer(o->ds, "localities", srs, wkbMultiPolygon, lco);
    OSRDestroySpatialReference(srs);
    if (!l)
        return gout_fail(o, "cannot create layer 'localities'");
    static const OGRFieldType types[LOC_WR_NFIXED] = {OFTString, OFTString,  OFTString, OFTString, OFTReal,
                                                OFTInteger, OFTReal, OFTReal,   OFTReal};
    for (size_t i = 0; i < LOC_WR_NFIXED && !st; i++)
        st = add_field(o, l, loc_wr_fixed_fields[i], types[i]);
    static const OGRFieldType atypes[] = {OFTReal, OFTInteger64, OFTString};
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t c = 0; c < na && !st; c++)
        st = add_field(o, l, loc_attrs_name(a, c), atypes[loc_attrs_type(a, c)]);
    /* the GeoJSON driver moves its ID_FIELD out of the properties, so the
     * feature id gets a copy of the code and "code" stays a property */
    int id_idx = (int)(LOC_WR_NFIXED + na);
    if (!st && id_field)
        st = add_field(o, l, "id", OFTString);
    if (st)
        return st;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    int tx = GDALDatasetStartTransaction(o->ds, FALSE) == OGRERR_NONE;
    for (size_t k = 0; k < d->n && !st; k++) {
        OGRFeatureH f = OGR_F_Create(defn);
        if (!f)
            return loc_error(ctx, LOC_ENOMEM, "cannot write '%s': out of memory", o->path);
        int32_t c = loc_partition_council(p, k);
        size_t nm;
        loc_partition_members(p, k, &nm);
        OGR_F_SetFieldString(f, 0, loc_partition_code(p, k));
        OGR_F_SetFieldString(f, 1, loc_partition_name(p, k));
        if (c >= 0) {
            OGR_F_SetFieldString(f, 2, loc_zones_council_code(z, (size_t)c));
            OGR_F_SetFieldString(f, 3, loc_zones_council_name(z, (size_t)c));
        } else {
            OGR_F_SetFieldNull(f, 2);
            OGR_F_SetFieldNull(f, 3);
        }
        OGR_F_SetFieldDouble(f, 4, loc_partition_population(p, k));
        OGR_F_SetFieldInteger(f, 5, (int)nm);
        double cpt = loc_dissolved_compactness(d, k);
        /* fixed decimals keep the files stable across platforms */
        OGR_F_SetFieldDouble(f, 6, round(d->area[k] / 1e3) / 1e3);
        OGR_F_SetFieldDouble(f, 7, round(d->perim[k]) / 1e3);
        if (isnan(cpt))
            OGR_F_SetFieldNull(f, 8);
        else
            OGR_F_SetFieldDouble(f, 8, round(cpt * 1e6) / 1e6);
        for (size_t col = 0; col < na; col++) {
            int fi = (int)(LOC_WR_NFIXED + col);
            if (loc_attrs_is_null(a, col, k))
                OGR_F_SetFieldNull(f, fi);
            else if (loc_attrs_type(a, col) == LOC_ATTR_REAL)
                OGR_F_SetFieldDouble(f, fi, loc_attrs_real(a, col, k));
            else if (loc_attrs_type(a, col) == LOC_ATTR_INT)
                OGR_F_SetFieldInteger64(f, fi, (GIntBig)loc_attrs_int(a, col, k));
            else
                OGR_F_SetFieldString(f, fi, loc_attrs_text(a, col, k));
        }
        if (id_field)
            OGR_F_SetFieldString(f, id_idx, loc_partition_code(p, k));
        char what[300];
        snprintf(what, sizeof what, "locality '%s'", loc_partition_code(p, k));
        put_feature(o, l, f, d->geoms[k], what, &st);
    }
    if (tx && GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE && !st)
        st = gout_fail(o, "layer 'localities'");
    return st;
}

/* The zones layer of the GeoPackage. */
static loc_status write_zones(gout *o, const loc_dissolved *d)
{
    loc_ctx *ctx = o->ctx;
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    const int32_t *label = loc_partition_labels(p), *council = loc_zones_councils(z);
    loc_status st = LOC_OK;
    OGRSpatialReferenceH srs = bng();
    if (!srs)
        return loc_error(ctx, LOC_ECRS, "cannot write '%s': no definition of EPSG:27700", o->path);
    OGRLayerH l = GDALDatasetCreateLayer(o->ds, "zones", srs, wkbMultiPolygon, NULL);
    OSRDestroySpatialReference(srs);
    if (!l)
        return gout_fail(o, "cannot create layer 'zones'");
    static const char *const names[] = {"zone_code", "zone_name", "locality_code", "council_code"};
    for (size_t i = 0; i < 4 && !st; i++)
        st = add_field(o, l, names[i], OFTString);
    if (st)
        return st;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    size_t nb = loc_boundaries_count(d->b);
    int tx = GDALDatasetStartTransaction(o->ds, FALSE) == OGRERR_NONE;
    for (size_t s = 0; s < loc_zones_nstudy(z) && !st; s++) {
        uint32_t i = loc_zones_study_by_code(z)[s]; /* the zone tables' order */
        long bi = loc_zones_boundary(z, i);
        if (bi < 0 || (size_t)bi >= nb)
            continue;
        OGRFeatureH f = OGR_F_Create(defn);
        if (!f)
            return loc_error(ctx, LOC_ENOMEM, "cannot write '%s': out of memory", o->path);
        OGR_F_SetFieldString(f, 0, loc_zones_code(z, i));
        OGR_F_SetFieldString(f, 1, loc_zones_name(z, i));
        if (label[i] >= 0)
            OGR_F_SetFieldString(f, 2, loc_partition_code(p, (size_t)label[i]));
        else
            OGR_F_SetFieldNull(f, 2);
        if (council[i] >= 0)
            OGR_F_SetFieldString(f, 3, loc_zones_council_code(z, (size_t)council[i]));
        else
            OGR_F_SetFieldNull(f, 3);
        char what[300];
        snprintf(what, sizeof what, "zone '%s'", loc_zones_code(z, i));
        put_feature(o, l, f, loc_boundaries_geom(d->b, (size_t)bi), what, &st);
    }
    if (tx && GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE && !st)
        st = gout_fail(o, "layer 'zones'");
    return st;
}

loc_status loc_wr_check_attrs(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const char *path)
{
    if (!d)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no localities", path);
    if (a && loc_attrs_nrows(a) != d->n)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': attribute table has %zu rows for %zu localities", path,
                         loc_attrs_nrows(a), d->n);
    return LOC_OK;
}

/* Write localities.geojson through GDAL's driver to a temporary beside
 * path; *tmp gets it.  The reference the direct writer below is checked
 * against. */
static loc_status stage_geojson_gdal(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                                     char **tmp)
{
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    if (st)
        return st;
    gout o;
    char **lco = NULL;
    if (!(st = gout_open(ctx, &o, "GeoJSON", path, ".geojson"))) {
        /* RFC7946 reprojects to WGS 84 lon/lat, drops crs, fixes winding */
        lco = CSLSetNameValue(lco, "RFC7946", "YES");
        lco = CSLSetNameValue(lco, "COORDINATE_PRECISION", "6");
        /* properties to 10 significant figures: the last digits of a
         * sum depend on the order it was taken in, and mean nothing */
        lco = CSLSetNameValue(lco, "SIGNIFICANT_FIGURES", "10");
        lco = CSLSetNameValue(lco, "ID_FIELD", "id");
        lco = CSLSetNameValue(lco, "ID_TYPE", "String");
        lco = CSLSetNameValue(lco, "WRITE_NAME", "NO");
        st = write_localities(&o, d, attrs, lco, 1);
    }
    CSLDestroy(lco);
    return gout_close(&o, st, tmp);
}

/* ---------------------------------------------------------------------
 * localities.geojson written directly
 *
 * GDAL's GeoJSON driver spends most of its time building a JSON tree per
 * feature and formatting numbers through C++ streams; the reprojection is
 * a few per cent.  This writer produces the driver's RFC 7946 file byte
 * for byte (tests compare the two on Stirling, the squares and all of
 * Scotland) at a fraction of the cost: every distinct vertex (neighbouring
 * localities share their boundaries) is reprojected once, with the same
 * GDAL coordinate transformation the driver builds, and formatted once.
 * The driver's conventions it keeps: json-c's spaced layout; coordinates
 * in fixed notation with six decimals, GDAL's trimming of round-off runs
 * and of trailing zeros (one kept); reals to ten significant figures with
 * ".0" on whole numbers; exterior rings counter-clockwise and holes
 * clockwise in longitude/latitude; strings escaped as json-c does with '/'
 * left alone; the id field moved out of the properties.
 * --------------------------------------------------------------------- */

/* s (a "%.Nf" text) rounded up by one in its last digit. */
static void text_roundup(char *s)
{
    int neg = s[0] == '-';
    char *d = s + neg;
    size_t n = strlen(d);
    for (size_t k = n; k-- > 0;) {
        if (d[k] == '.')
            continue;
        if (d[k] != '9') {
            d[k]++;
            return;
        }
        d[k] = '0';
    }
    /* every digit carried: a new leading 1 */
    memmove(d + 1, d, n + 1);
    d[0] = '1';
}

/* GDAL's clean-up of a fixed-notation text of more than ten characters: a
 * run of five zeros or nines before the last digit, or eight further in,
 * is taken for binary round-off and cut (nines rounded up). */
static void text_intelliround(char *s)
{
    size_t n = strlen(s);
    const char *dot = strchr(s, '.');
    if (!dot || strpbrk(s, "eE") || n <= 10)
        return;
    size_t idot = (size_t)(dot - s), before = idot - 1 - (s[0] == '-');
    int z5 = 1, n5 = 1;
    for (size_t k = 2; k <= 6; k++) {
        z5 &= s[n - k] == '0';
        n5 &= s[n - k] == '9';
    }
    int z8 = idot < n - 8 && s[n - 8] == '0' && s[n - 9] == '0';
    int n8 = idot < n - 9 && s[n - 8] == '9' && s[n - 9] == '9';
    for (size_t k = 3; k <= 7; k++) {
        z8 &= before >= k + 1 || s[n - k] == '0';
        n8 &= before >= k + 1 || s[n - k] == '9';
    }
    if (z5) {
        s[n - 1] = 0;
    } else if (z8) {
        s[n - 8] = 0;
    } else if (n5) {
        s[n - 6] = 0;
        text_roundup(s);
    } else if (n8) {
        s[n - 9] = 0;
        text_roundup(s);
    }
}

/* "%.6f" of v into buf without printf, for |v| < 1e6 when v * 1e6 is
 * clearly not half-way between two millionths: the product is then
 * within 2^-30 of the exact value, so rounding it rounds the exact value
 * as printf does.  0 when v is not such a number (printf decides). */
static int fixed6(char *buf, double v)
{
    if (!(fabs(v) < 1e6))
        return 0;
    double m = fabs(v) * 1e6, fl = floor(m), frac = m - fl;
    if (fabs(frac - 0.5) < 1e-6)
        return 0;
    uint64_t q = (uint64_t)fl + (frac > 0.5);
    char *p = buf;
    /* printf keeps the sign of a negative number that rounds to zero */
    if (signbit(v))
        *p++ = '-';
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + q % 10);
        q /= 10;
    } while (q);
    while (n < 7)
        digits[n++] = '0'; /* at least one digit before the point */
    while (n > 6)
        *p++ = digits[--n];
    *p++ = '.';
    while (n > 0)
        *p++ = digits[--n];
    *p = 0;
    return 1;
}

/* A coordinate as the driver writes it at six decimals: 55.93774,
 * -3.0.  buf holds at least 64 bytes. */
static size_t gj_coord(char *buf, double v)
{
    if (isinf(v))
        return (size_t)snprintf(buf, 64, v > 0 ? "inf" : "-inf");
    if (isnan(v))
        return (size_t)snprintf(buf, 64, "nan");
    if (fabs(v) > 1e50)
        return (size_t)snprintf(buf, 64, "%.17g", v);
    if (!fixed6(buf, v))
        snprintf(buf, 64, "%.6f", v);
    text_intelliround(buf);
    size_t n = strlen(buf);
    if (strchr(buf, '.')) {
        while (buf[n - 1] == '0')
            n--;
        if (buf[n - 1] == '.')
            buf[n++] = '0';
        buf[n] = 0;
    }
    return n;
}

/* A real property at ten significant figures, ".0" on whole numbers
 * (finite: callers leave out the others, as the driver does). */
static void gj_real(loc_obuf *f, double v)
{
    char buf[LOC_FMT_G_SIZE];
    loc_ob_put(f, buf, loc_fmt_g(buf, v, 10));
    if (!strchr(buf, '.') && !strchr(buf, 'e'))
        loc_ob_str(f, ".0");
}

/* ", name: v" for a finite v; nothing otherwise, as the driver leaves a
 * value JSON cannot hold out.  name needs no escaping. */
static void gj_member_real(loc_obuf *f, const char *name, double v)
{
    if (!isfinite(v))
        return;
    loc_ob_str(f, ", \"");
    loc_ob_str(f, name);
    loc_ob_str(f, "\": ");
    gj_real(f, v);
}

/* A JSON string as json-c writes it, '/' not escaped. */
static void gj_string(loc_obuf *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    loc_ob_char(f, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* a run that needs no escape in one write */
        size_t run = 0;
        while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run) {
            loc_ob_put(f, (const char *)p, run);
            p += run - 1;
            continue;
        }
        switch (*p) {
        case '\b': loc_ob_str(f, "\\b"); break;
        case '\n': loc_ob_str(f, "\\n"); break;
        case '\r': loc_ob_str(f, "\\r"); break;
        case '\t': loc_ob_str(f, "\\t"); break;
        case '\f': loc_ob_str(f, "\\f"); break;
        case '"': loc_ob_str(f, "\\\""); break;
        case '\\': loc_ob_str(f, "\\\\"); break;
        default:
            if (*p < 0x20)
                loc_ob_put(f, (const char[]){'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]}, 6);
            else
                loc_ob_char(f, *p);
        }
    }
    loc_ob_char(f, '"');
}

/* Every distinct vertex of the localities, reprojected and formatted once. */
typedef struct gj_verts {
    double *x, *y;          /* distinct vertices: BNG, then longitude and latitude */
    size_t n, cap_x, cap_y;
    uint32_t *tab;          /* hash table: index + 1, 0 empty */
    size_t tcap;
    uint32_t *seq;          /* vertex of each ring point, in writing order */
    size_t nseq, cap_seq;
    char *text;             /* "[ lon, lat ]" of each vertex, at text_at[v] */
    size_t *text_at;        /* n + 1 offsets */
    size_t ntext, cap_text;
} gj_verts;

static void gj_verts_free(loc_ctx *ctx, gj_verts *v)
{
    loc_free(ctx, v->x);
    loc_free(ctx, v->y);
    loc_free(ctx, v->tab);
    loc_free(ctx, v->seq);
    loc_free(ctx, v->text);
    loc_free(ctx, v->text_at);
}

/* Index of vertex (x, y), added when new; UINT32_MAX out of memory. */
static uint32_t gj_vertex(loc_ctx *ctx, gj_verts *v, double x, double y)
{
    size_t mask = v->tcap - 1, s = (size_t)loc_wr_mix64(loc_wr_coord_bits(x) * 31 + loc_wr_mix64(loc_wr_coord_bits(y))) & mask;
    for (; v->tab[s]; s = (s + 1) & mask)
        if (v->x[v->tab[s] - 1] == x && v->y[v->tab[s] - 1] == y)
            return v->tab[s] - 1;
    if (loc_grow(ctx, (void **)&v->x, &v->cap_x, v->n + 1, sizeof *v->x) ||
        loc_grow(ctx, (void **)&v->y, &v->cap_y, v->n + 1, sizeof *v->y))
        return UINT32_MAX;
    v->x[v->n] = x;
    v->y[v->n] = y;
    v->tab[s] = (uint32_t)++v->n;
    return (uint32_t)(v->n - 1);
}

/* Append every point of every ring of g, in GEOS order, to v->seq. */
static loc_status gj_collect(loc_ctx *ctx, gj_verts *v, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    int type = GEOSGeomTypeId_r(h, g);
    if (GEOSisEmpty_r(h, g) == 1)
        return LOC_OK;
    int np = type == GEOS_POLYGON ? 1 : type == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g) : -1;
    for (int i = 0; i < np; i++) {
        const GEOSGeometry *pg = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, i);
        int nh = pg ? GEOSGetNumInteriorRings_r(h, pg) : -1;
        if (nh < 0)
            return LOC_EGEOM;
        for (int r = -1; r < nh; r++) {
            const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, pg) : GEOSGetInteriorRingN_r(h, pg, r);
            const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
            unsigned n = 0;
            if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
                return LOC_EGEOM;
            if (loc_grow(ctx, (void **)&v->seq, &v->cap_seq, v->nseq + n, sizeof *v->seq))
                return LOC_ENOMEM;
            for (unsigned k = 0; k < n; k++) {
                double x, y;
                if (!GEOSCoordSeq_getXY_r(h, cs, k, &x, &y))
                    return LOC_EGEOM;
                if ((v->seq[v->nseq++] = gj_vertex(ctx, v, x, y)) == UINT32_MAX)
                    return LOC_ENOMEM;
            }
        }
    }
    return np < 0 ? LOC_EGEOM : LOC_OK;
}

/* The transformation the GeoJSON driver makes in RFC 7946 mode: British
 * National Grid to WGS 84, both in longitude/easting first order. */
static OGRCoordinateTransformationH gj_transform(void)
{
    OGRSpatialReferenceH src = bng(), dst = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    if (src && dst && OSRSetWellKnownGeogCS(dst, "WGS84") == OGRERR_NONE) {
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(src, dst);
    }
    if (src)
        OSRDestroySpatialReference(src);
    if (dst)
        OSRDestroySpatialReference(dst);
    return ct;
}

/* Reproject the distinct vertices and format each "[ lon, lat ]". */
static loc_status gj_project(loc_ctx *ctx, gj_verts *v, const char *path)
{
    OGRCoordinateTransformationH ct = gj_transform();
    if (!ct)
        return loc_error(ctx, LOC_ECRS, "cannot write '%s': no transformation from EPSG:27700 to WGS 84", path);
    int *ok = loc_calloc(ctx, v->n ? v->n : 1, sizeof *ok);
    loc_status st = LOC_OK;
    if (!ok)
        st = LOC_ENOMEM;
    else if (v->n && (v->n > INT_MAX || !OCTTransformEx(ct, (int)v->n, v->x, v->y, NULL, ok)))
        st = loc_error(ctx, LOC_ECRS, "cannot write '%s': GDAL cannot reproject to WGS 84", path);
    for (size_t i = 0; !st && i < v->n; i++)
        if (!ok[i])
            st = loc_error(ctx, LOC_ECRS, "cannot write '%s': GDAL cannot reproject (%.3f, %.3f) to WGS 84", path,
                           v->x[i], v->y[i]);
    loc_free(ctx, ok);
    OCTDestroyCoordinateTransformation(ct);
    if (st)
        return st;
    if (!(v->text_at = loc_malloc(ctx, (v->n + 1) * sizeof *v->text_at)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        char a[64], b[64];
        size_t na = gj_coord(a, v->x[i]), nb = gj_coord(b, v->y[i]);
        if (loc_grow(ctx, (void **)&v->text, &v->cap_text, v->ntext + na + nb + 8, 1))
            return LOC_ENOMEM;
        v->text_at[i] = v->ntext;
        char *t = v->text + v->ntext; /* "[ x, y ]" */
        memcpy(t, "[ ", 2);
        memcpy(t + 2, a, na);
        memcpy(t + 2 + na, ", ", 2);
        memcpy(t + 4 + na, b, nb);
        memcpy(t + 4 + na + nb, " ]", 3);
        v->ntext += na + nb + 6;
    }
    v->text_at[v->n] = v->ntext;
    return LOC_OK;
}

/* 1 when the ring of n points at seq runs clockwise in longitude/latitude
 * (twice its signed area is negative). */
static int gj_clockwise(const gj_verts *v, const uint32_t *seq, size_t n)
{
    double s = 0, x0 = v->x[seq[0]], y0 = v->y[seq[0]];
    for (size_t i = 1; i + 1 < n; i++)
        s += (v->x[seq[i]] - x0) * (v->y[seq[i + 1]] - y0) - (v->x[seq[i + 1]] - x0) * (v->y[seq[i]] - y0);
    return s < 0;
}

/* One ring, exterior counter-clockwise and holes clockwise. */
static void gj_ring(loc_obuf *f, const gj_verts *v, const uint32_t *seq, size_t n, int exterior)
{
    int flip = gj_clockwise(v, seq, n) == exterior;
    loc_ob_str(f, "[ ");
    for (size_t i = 0; i < n; i++) {
        uint32_t p = seq[flip ? n - 1 - i : i];
        if (i)
            loc_ob_str(f, ", ");
        loc_ob_put(f, v->text + v->text_at[p], v->text_at[p + 1] - v->text_at[p]);
    }
    loc_ob_str(f, " ]");
}

/* Polygon pg's rings, consuming their points from v->seq at *at. */
static void gj_polygon(loc_obuf *f, GEOSContextHandle_t h, const gj_verts *v, const GEOSGeometry *pg, size_t *at)
{
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    loc_ob_str(f, "[ ");
    for (int r = -1; r < nh; r++) {
        const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, pg) : GEOSGetInteriorRingN_r(h, pg, r);
        size_t n = (size_t)GEOSGetNumCoordinates_r(h, ring);
        if (r >= 0)
            loc_ob_str(f, ", ");
        gj_ring(f, v, v->seq + *at, n, r < 0);
        *at += n;
    }
    loc_ob_str(f, " ]");
}

/* The geometry member of locality k (null when empty). */
static void gj_geometry(loc_obuf *f, GEOSContextHandle_t h, const gj_verts *v, const GEOSGeometry *g, size_t *at)
{
    if (GEOSisEmpty_r(h, g) == 1) {
        loc_ob_str(f, "null");
        return;
    }
    if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON) {
        loc_ob_str(f, "{ \"type\": \"Polygon\", \"coordinates\": ");
        gj_polygon(f, h, v, g, at);
    } else {
        int n = GEOSGetNumGeometries_r(h, g);
        loc_ob_str(f, "{ \"type\": \"MultiPolygon\", \"coordinates\": [ ");
        for (int i = 0; i < n; i++) {
            if (i)
                loc_ob_str(f, ", ");
            gj_polygon(f, h, v, GEOSGetGeometryN_r(h, g, i), at);
        }
        loc_ob_str(f, " ]");
    }
    loc_ob_str(f, " }");
}

/* A text property, null when NULL. */
static void gj_text(loc_obuf *f, const char *s)
{
    if (s)
        gj_string(f, s);
    else
        loc_ob_str(f, "null");
}

/* Locality k's properties: the fixed fields, then every attribute. */
static void gj_properties(loc_obuf *f, const loc_dissolved *d, const loc_attrs *a, size_t k)
{
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    int32_t c = loc_partition_council(p, k);
    size_t nm;
    loc_partition_members(p, k, &nm);
    double cpt = loc_dissolved_compactness(d, k);
    loc_ob_str(f, "{ \"code\": ");
    gj_text(f, loc_partition_code(p, k));
    loc_ob_str(f, ", \"name\": ");
    gj_text(f, loc_partition_name(p, k));
    loc_ob_str(f, ", \"council_code\": ");
    gj_text(f, c >= 0 ? loc_zones_council_code(z, (size_t)c) : NULL);
    loc_ob_str(f, ", \"council_name\": ");
    gj_text(f, c >= 0 ? loc_zones_council_name(z, (size_t)c) : NULL);
    gj_member_real(f, "population", loc_partition_population(p, k));
    loc_ob_str(f, ", \"zones\": ");
    loc_ob_int(f, (int)nm);
    /* the same rounding as the GDAL writers' fields */
    gj_member_real(f, "area_km2", round(d->area[k] / 1e3) / 1e3);
    gj_member_real(f, "perimeter_km", round(d->perim[k]) / 1e3);
    if (isnan(cpt))
        loc_ob_str(f, ", \"compactness\": null");
    else
        gj_member_real(f, "compactness", round(cpt * 1e6) / 1e6);
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t col = 0; col < na; col++) {
        /* the driver leaves out an infinite value (JSON has none) */
        if (!loc_attrs_is_null(a, col, k) && loc_attrs_type(a, col) == LOC_ATTR_REAL &&
            !isfinite(loc_attrs_real(a, col, k)))
            continue;
        loc_ob_str(f, ", ");
        gj_string(f, loc_attrs_name(a, col));
        loc_ob_str(f, ": ");
        if (loc_attrs_is_null(a, col, k))
            loc_ob_str(f, "null");
        else if (loc_attrs_type(a, col) == LOC_ATTR_REAL)
            gj_real(f, loc_attrs_real(a, col, k));
        else if (loc_attrs_type(a, col) == LOC_ATTR_INT)
            loc_ob_int(f, (long long)loc_attrs_int(a, col, k));
        else
            gj_string(f, loc_attrs_text(a, col, k));
    }
    loc_ob_str(f, " }");
}

/* The whole FeatureCollection to f. */
static void gj_collection(loc_obuf *f, loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const gj_verts *v)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    size_t at = 0;
    loc_ob_str(f, "{\n\"type\": \"FeatureCollection\",\n\"features\": [\n");
    for (size_t k = 0; k < d->n; k++) {
        loc_ob_str(f, k ? ",\n{ \"type\": \"Feature\", \"id\": " : "{ \"type\": \"Feature\", \"id\": ");
        gj_string(f, loc_partition_code(d->p, k));
        loc_ob_str(f, ", \"properties\": ");
        gj_properties(f, d, a, k);
        loc_ob_str(f, ", \"geometry\": ");
        gj_geometry(f, h, v, d->geoms[k], &at);
        loc_ob_str(f, " }");
    }
    loc_ob_str(f, "\n]\n}\n");
}

/* Write localities.geojson directly to a temporary beside path; *tmp
 * gets it. */
loc_status loc_wr_stage_geojson(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                                char **tmp)
{
    gj_verts v;
    memset(&v, 0, sizeof v);
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    if (st)
        return st;
    loc_gdal_init();
    size_t points = 0;
    for (size_t k = 0; k < d->n; k++) {
        int np = GEOSGetNumCoordinates_r(loc_geos(ctx), d->geoms[k]);
        points += np > 0 ? (size_t)np : 0;
    }
    size_t talloc = 0;
    if (loc_wr_table_reset(ctx, &v.tab, &v.tcap, &talloc, points))
        st = LOC_ENOMEM;
    for (size_t k = 0; k < d->n && !st; k++)
        if ((st = gj_collect(ctx, &v, d->geoms[k])) == LOC_EGEOM)
            st = loc_error(ctx, LOC_EGEOM, "cannot write '%s': GEOS cannot read locality '%s'", path,
                           loc_partition_code(d->p, k));
    if (!st)
        st = gj_project(ctx, &v, path);
    loc_afile af;
    if (!st && !(st = loc_afile_open(ctx, &af, path))) {
        /* written through a buffer of its own: a feature is some 70 short
         * properties and hundreds of vertices, a stdio call each */
        loc_obuf *o = loc_malloc(ctx, sizeof *o);
        if (!o) {
            st = LOC_ENOMEM;
        } else {
            loc_ob_init(o, af.f);
            gj_collection(o, ctx, d, attrs, &v);
            if (loc_ob_flush(o) != 0)
                st = loc_afile_failed(ctx, &af);
            loc_free(ctx, o);
        }
        st = loc_afile_stage(ctx, &af, st, tmp);
    }
    gj_verts_free(ctx, &v);
    return st;
}

loc_status loc_wr_stage_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                             char **tmp)
{
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    if (st)
        return st;
    gout o;
    if (!(st = gout_open(ctx, &o, "GPKG", path, ".gpkg")) && !(st = write_localities(&o, d, attrs, NULL, 0)))
        st = write_zones(&o, d);
    return gout_close(&o, st, tmp);
}

loc_status loc_write_geojson(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = loc_wr_stage_geojson(ctx, d, attrs, path, &tmp);
    return st ? st : loc_afile_commit(ctx, tmp, path);
}

loc_status loc_write_geojson_gdal(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = stage_geojson_gdal(ctx, d, attrs, path, &tmp);
    return st ? st : loc_afile_commit(ctx, tmp, path);
}

loc_status loc_write_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = loc_wr_stage_gpkg(ctx, d, attrs, path, &tmp);
    return st ? st : loc_afile_commit(ctx, tmp, path);
}

