/*
 * Boundary reader: GDAL/OGR in, reentrant GEOS out, EPSG:27700 throughout.
 *
 * Features are read once, in source order.  Each geometry goes OGR -> ISO
 * WKB -> GEOS, is reprojected point by point with PROJ when the source is
 * not already British National Grid, then checked: GEOS validity first
 * (published boundaries often nest an island's hole inside a loch's, which
 * GEOS calls invalid), MakeValid when needed, then only the polygonal part
 * is kept.  Anything that leaves no area is excluded and reported, never
 * dropped silently.  GDAL's error handler is pushed for the duration of the
 * read so that its messages land in the context, not on stderr.
 */
#include "localities/boundary.h"
#include "internal.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The zone code field: the names both readers know (LOC_ZONE_CODE_NAMES),
 * then a plain "code", which a boundary layer has for little else. */
static int detect_zone_field(OGRFeatureDefnH defn);
static const char *const name_fields[] = {"dz11_name", "dz22_name", "dz01_name", "DZ_NAME", "DataZoneName",
                                          "Name", "zone_name", "LSOA21NM", "LSOA11NM"};

struct loc_boundaries {
    loc_ctx *ctx;             /* GEOS context and allocator owner */
    loc_arena *strings;       /* codes, names, attributes, reasons */
    size_t n, cap;            /* zones kept, allocated */
    const char **codes;       /* zone codes */
    const char **names;       /* zone names ("" when none) */
    GEOSGeometry **geoms;     /* owned geometries, EPSG:27700 */
    size_t nattr;             /* attribute fields stored */
    const char **attr_names;  /* their names */
    const char ***attrs;      /* attrs[field][zone] */
    size_t attrs_cap;         /* zones allocated in each attrs[field] */
    size_t nexcl, excl_cap;   /* excluded zones, allocated */
    struct excluded {
        const char *code;     /* zone code ("" when the feature had none) */
        const char *reason;   /* why it was excluded */
    } *excl;
    size_t repaired;          /* geometries repaired with MakeValid */
    size_t vertices;          /* vertices of kept geometries */
    double bbox[4];           /* of kept geometries */
    int reprojected;          /* 1 when the source CRS was not EPSG:27700 */
    const char *path, *layer, *zone_field, *crs;
};

/* State for one read: GDAL handles, PROJ transform, GEOS WKB reader. */
typedef struct rd {
    loc_boundaries *b;
    loc_ctx *ctx;
    GEOSContextHandle_t gh;
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRFeatureDefnH defn;
    int zone_idx, name_idx;
    int *attr_idx;          /* per stored attribute: its field index, found once */
    PJ *transform;          /* NULL when no reprojection is needed */
    GEOSWKBReader *wkb;
    unsigned char *buf;     /* WKB buffer */
    size_t buf_cap;
    int transform_failed;
} rd;


/* ---------------------------------------------------------------------
 * Fields and CRS
 * --------------------------------------------------------------------- */

static int find_field(OGRFeatureDefnH defn, const char *name)
{
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n; i++)
        if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), name) == 0)
            return i;
    return -1;
}

static int detect_zone_field(OGRFeatureDefnH defn)
{
    char name[64];
    for (const char *s = LOC_ZONE_CODE_NAMES;;) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        snprintf(name, sizeof name, "%.*s", (int)len, s);
        int idx = find_field(defn, name);
        if (idx >= 0)
            return idx;
        if (!bar)
            return find_field(defn, "code");
        s = bar + 1;
    }
}

static loc_status pick_fields(rd *r, const loc_boundary_opts *o)
{
    loc_boundaries *b = r->b;
    if (o->zone_field) {
        r->zone_idx = find_field(r->defn, o->zone_field);
    } else {
        r->zone_idx = detect_zone_field(r->defn);
    }
    if (r->zone_idx < 0) {
        char list[512] = "";
        int n = OGR_FD_GetFieldCount(r->defn);
        for (int i = 0; i < n; i++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "",
                     OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(r->defn, i)));
        }
        if (n == 0) {
            /* GDAL opens a shapefile without its .dbf and gives it no fields */
            const char *drv = GDALGetDriverShortName(GDALGetDatasetDriver(r->ds));
            int shp = drv && strcmp(drv, "ESRI Shapefile") == 0;
            return loc_error(r->ctx, LOC_EDATA, "'%s' layer '%s': no attribute fields, so no zone codes%s", b->path,
                             b->layer, shp ? " (is the shapefile's .dbf file missing?)" : "");
        }
        if (o->zone_field)
            return loc_error(r->ctx, LOC_EDATA, "'%s' layer '%s': no field '%s' (fields: %s)", b->path, b->layer,
                             o->zone_field, n ? list : "none");
        return loc_error(r->ctx, LOC_EDATA,
                         "'%s' layer '%s': no zone code field found (fields: %s); name it with --zone-field",
                         b->path, b->layer, n ? list : "none");
    }
    b->zone_field = loc_arena_strdup(b->strings, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(r->defn, r->zone_idx)));
    r->name_idx = -1;
    if (o->name_field) {
        r->name_idx = find_field(r->defn, o->name_field);
        if (r->name_idx < 0)
            return loc_error(r->ctx, LOC_EDATA, "'%s' layer '%s': no field '%s'", b->path, b->layer, o->name_field);
    } else {
        for (size_t i = 0; r->name_idx < 0 && i < sizeof name_fields / sizeof *name_fields; i++)
            r->name_idx = find_field(r->defn, name_fields[i]);
    }
    return b->zone_field ? LOC_OK : LOC_ENOMEM;
}

static const char *crs_label(rd *r, OGRSpatialReferenceH srs)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    const char *name = OSRGetName(srs);
    char buf[256];
    if (auth && code)
        snprintf(buf, sizeof buf, "%s:%s (%s)", auth, code, name ? name : "unnamed");
    else
        snprintf(buf, sizeof buf, "%s", name ? name : "unnamed CRS");
    return loc_arena_strdup(r->b->strings, buf);
}

/* Decide whether to reproject, and build the PROJ transform if so. */
static loc_status setup_crs(rd *r, const loc_boundary_opts *o)
{
    loc_boundaries *b = r->b;
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(r->layer);
    OGRSpatialReferenceH assumed = NULL;
    PJ *src = NULL, *dst = NULL;
    loc_status st = LOC_OK;
    if (!srs) {
        if (!o->assume_crs)
            return loc_error(r->ctx, LOC_ECRS,
                             "'%s' layer '%s': the source has no coordinate reference system; state one with --crs (e.g. EPSG:27700)",
                             b->path, b->layer);
        assumed = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(assumed, o->assume_crs) != OGRERR_NONE) {
            OSRDestroySpatialReference(assumed);
            return loc_error(r->ctx, LOC_ECRS, "unknown coordinate reference system '%s'", o->assume_crs);
        }
        srs = assumed;
    }
    if (!(b->crs = crs_label(r, srs))) {
        st = LOC_ENOMEM;
        goto done;
    }
    char *wkt = NULL;
    const char *wkt_opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(srs, &wkt, wkt_opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        st = loc_error(r->ctx, LOC_ECRS, "'%s': cannot describe the source CRS", b->path);
        goto done;
    }
    loc_lib_clear(r->ctx);
    src = proj_create(loc_proj(r->ctx), wkt);
    CPLFree(wkt);
    dst = proj_create(loc_proj(r->ctx), "EPSG:27700");
    if (!src || !dst) {
        st = loc_error(r->ctx, LOC_ECRS, "'%s': PROJ cannot use the source CRS: %s", b->path, loc_lib_msg(r->ctx));
        goto done;
    }
    if (proj_is_equivalent_to(src, dst, PJ_COMP_EQUIVALENT))
        goto done;
    PJ *t = proj_create_crs_to_crs_from_pj(loc_proj(r->ctx), src, dst, NULL, NULL);
    if (!t) {
        st = loc_error(r->ctx, LOC_ECRS, "'%s': no transformation from %s to EPSG:27700: %s", b->path, b->crs,
                       loc_lib_msg(r->ctx));
        goto done;
    }
    r->transform = proj_normalize_for_visualization(loc_proj(r->ctx), t);
    proj_destroy(t);
    if (!r->transform) {
        st = loc_error(r->ctx, LOC_ECRS, "'%s': cannot normalise the transformation from %s", b->path, b->crs);
        goto done;
    }
    b->reprojected = 1;
done:
    proj_destroy(src);
    proj_destroy(dst);
    if (assumed)
        OSRDestroySpatialReference(assumed);
    return st;
}

/* ---------------------------------------------------------------------
 * Geometry
 * --------------------------------------------------------------------- */

static int transform_xy(double *x, double *y, void *ud)
{
    rd *r = ud;
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    c = proj_trans(r->transform, PJ_FWD, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y)) {
        r->transform_failed = 1;
        return 0;
    }
    *x = c.xy.x;
    *y = c.xy.y;
    return 1;
}

/* Keep only the polygons of g (which may be a collection).  Returns a new
 * geometry, or NULL with *st set; an empty result is a valid answer. */
static GEOSGeometry *polygonal_part(rd *r, const GEOSGeometry *g, loc_status *st)
{
    GEOSContextHandle_t h = r->gh;
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        return GEOSGeom_clone_r(h, g);
    int n = GEOSGetNumGeometries_r(h, g);
    GEOSGeometry **parts = loc_calloc(r->ctx, n > 0 ? (size_t)n * 4 : 1, sizeof *parts);
    if (!parts) {
        *st = LOC_ENOMEM;
        return NULL;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int t = GEOSGeomTypeId_r(h, p);
        if (t == GEOS_POLYGON) {
            parts[k++] = GEOSGeom_clone_r(h, p);
        } else if (t == GEOS_MULTIPOLYGON) {
            int m = GEOSGetNumGeometries_r(h, p);
            GEOSGeometry **more = loc_realloc(r->ctx, parts, (k + (size_t)m + (size_t)n) * sizeof *parts);
            if (!more) {
                for (size_t j = 0; j < k; j++)
                    GEOSGeom_destroy_r(h, parts[j]);
                loc_free(r->ctx, parts);
                *st = LOC_ENOMEM;
                return NULL;
            }
            parts = more;
            for (int j = 0; j < m; j++)
                parts[k++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, p, j));
        }
    }
    GEOSGeometry *out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)k);
    if (!out) {
        for (size_t j = 0; j < k; j++)
            GEOSGeom_destroy_r(h, parts[j]);
        *st = loc_error(r->ctx, LOC_EGEOM, "GEOS: %s", loc_lib_msg(r->ctx));
    }
    loc_free(r->ctx, parts);
    return out;
}

static loc_status exclude(rd *r, const char *code, long fid, const char *why)
{
    loc_boundaries *b = r->b;
    loc_report(r->ctx, LOC_WARN, "'%s' feature %ld (zone '%s'): %s; zone excluded", b->path, fid, code, why);
    if (loc_grow(r->ctx, (void **)&b->excl, &b->excl_cap, b->nexcl + 1, sizeof *b->excl))
        return LOC_ENOMEM;
    struct excluded *e = &b->excl[b->nexcl];
    e->code = loc_arena_strdup(b->strings, code);
    e->reason = loc_arena_strdup(b->strings, why);
    if (!e->code || !e->reason)
        return LOC_ENOMEM;
    b->nexcl++;
    return LOC_OK;
}

/* OGR geometry -> GEOS, 2D, linear.  Returns NULL with *st set on failure. */
static GEOSGeometry *to_geos(rd *r, OGRGeometryH og, long fid, loc_status *st)
{
    OGRGeometryH lin = NULL;
    if (OGR_G_HasCurveGeometry(og, 1)) {
        lin = OGR_G_GetLinearGeometry(og, 0, NULL);
        og = lin;
    }
    OGR_G_FlattenTo2D(og);
    size_t size = (size_t)OGR_G_WkbSize(og);
    GEOSGeometry *g = NULL;
    if (loc_grow(r->ctx, (void **)&r->buf, &r->buf_cap, size, 1)) {
        *st = LOC_ENOMEM;
        goto done;
    }
    if (OGR_G_ExportToIsoWkb(og, wkbNDR, r->buf) != OGRERR_NONE) {
        *st = loc_error(r->ctx, LOC_EGEOM, "'%s' feature %ld: cannot export the geometry", r->b->path, fid);
        goto done;
    }
    loc_lib_clear(r->ctx);
    g = GEOSWKBReader_read_r(r->gh, r->wkb, r->buf, size);
    if (!g)
        *st = loc_error(r->ctx, LOC_EGEOM, "'%s' feature %ld: GEOS cannot read the geometry: %s", r->b->path, fid,
                        loc_lib_msg(r->ctx));
done:
    if (lin)
        OGR_G_DestroyGeometry(lin);
    return g;
}

/*
 * Make g (owned) valid, polygonal and in EPSG:27700.  Returns the geometry
 * to keep, or NULL: with *st set on a hard failure, or with *why set when
 * the zone is to be excluded.
 */
static GEOSGeometry *clean(rd *r, GEOSGeometry *g, const char *code, long fid, loc_status *st, const char **why,
                           char **repaired)
{
    GEOSContextHandle_t h = r->gh;
    int npts = GEOSGetNumCoordinates_r(h, g);
    if (npts > LOC_MAX_FEATURE_VERTICES) {
        *st = loc_error(r->ctx, LOC_ELIMIT, "'%s' feature %ld (zone '%s'): %d vertices, more than the %d accepted",
                        r->b->path, fid, code, npts, LOC_MAX_FEATURE_VERTICES);
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    if (r->transform) {
        r->transform_failed = 0;
        GEOSGeometry *t = GEOSGeom_transformXY_r(h, g, transform_xy, r);
        GEOSGeom_destroy_r(h, g);
        if (!t) {
            *st = loc_error(r->ctx, LOC_ECRS,
                            "'%s' feature %ld (zone '%s'): coordinates cannot be projected from %s to EPSG:27700; "
                            "is the source CRS right?",
                            r->b->path, fid, code, r->b->crs);
            return NULL;
        }
        g = t;
    }
    char valid = GEOSisValid_r(h, g);
    if (valid == 2) {
        *st = loc_error(r->ctx, LOC_EGEOM, "'%s' feature %ld: GEOS validity check failed: %s", r->b->path, fid,
                        loc_lib_msg(r->ctx));
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    if (!valid) {
        char *reason = GEOSisValidReason_r(h, g);
        GEOSGeometry *fixed = GEOSMakeValid_r(h, g);
        GEOSGeom_destroy_r(h, g);
        if (!fixed) {
            *st = loc_error(r->ctx, LOC_EGEOM, "'%s' feature %ld (zone '%s'): invalid geometry (%s) that GEOS cannot repair",
                            r->b->path, fid, code, reason ? reason : "unknown reason");
            GEOSFree_r(h, reason);
            return NULL;
        }
        /* reported by the caller once the zone is known to be kept */
        *repaired = reason;
        g = fixed;
    }
    GEOSGeometry *poly = polygonal_part(r, g, st);
    GEOSGeom_destroy_r(h, g);
    if (!poly)
        return NULL;
    double area = 0;
    if (GEOSisEmpty_r(h, poly) == 1 || !GEOSArea_r(h, poly, &area) || !(area > 0))
        *why = "zero-area geometry";
    if (*why) {
        GEOSGeom_destroy_r(h, poly);
        return NULL;
    }
    return poly;
}

/* ---------------------------------------------------------------------
 * Features
 * --------------------------------------------------------------------- */

static loc_status grow_zones(rd *r)
{
    loc_boundaries *b = r->b;
    if (b->n < b->cap)
        return LOC_OK;
    size_t cap = b->cap ? b->cap * 2 : 1024;
    const char **codes = loc_realloc(r->ctx, b->codes, cap * sizeof *codes);
    if (!codes)
        return LOC_ENOMEM;
    b->codes = codes;
    const char **names = loc_realloc(r->ctx, b->names, cap * sizeof *names);
    if (!names)
        return LOC_ENOMEM;
    b->names = names;
    GEOSGeometry **geoms = loc_realloc(r->ctx, b->geoms, cap * sizeof *geoms);
    if (!geoms)
        return LOC_ENOMEM;
    b->geoms = geoms;
    for (size_t f = 0; f < b->nattr; f++) {
        const char **a = loc_realloc(r->ctx, b->attrs[f], cap * sizeof *a);
        if (!a)
            return LOC_ENOMEM;
        b->attrs[f] = a;
    }
    b->cap = cap;
    return LOC_OK;
}

static const char *field_text(rd *r, OGRFeatureH f, int idx)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return "";
    const char *s = OGR_F_GetFieldAsString(f, idx);
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    return loc_arena_strndup(r->b->strings, s, n);
}

static void extend_bbox(loc_boundaries *b, GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(h, g, &x0) || !GEOSGeom_getYMin_r(h, g, &y0) || !GEOSGeom_getXMax_r(h, g, &x1) ||
        !GEOSGeom_getYMax_r(h, g, &y1))
        return;
    if (b->n == 0 || x0 < b->bbox[0]) b->bbox[0] = x0;
    if (b->n == 0 || y0 < b->bbox[1]) b->bbox[1] = y0;
    if (b->n == 0 || x1 > b->bbox[2]) b->bbox[2] = x1;
    if (b->n == 0 || y1 > b->bbox[3]) b->bbox[3] = y1;
}

/* Vertices of an OGR geometry: the points of every ring and part. */
static size_t ogr_vertices(OGRGeometryH g)
{
    int parts = OGR_G_GetGeometryCount(g);
    if (parts == 0)
        return (size_t)OGR_G_GetPointCount(g);
    size_t n = 0;
    for (int i = 0; i < parts; i++)
        n += ogr_vertices(OGR_G_GetGeometryRef(g, i));
    return n;
}

static loc_status read_feature(rd *r, OGRFeatureH f)
{
    loc_boundaries *b = r->b;
    long fid = (long)OGR_F_GetFID(f);
    const char *code = field_text(r, f, r->zone_idx);
    if (!code)
        return LOC_ENOMEM;
    if (!*code)
        return exclude(r, "", fid, "no zone code");
    OGRGeometryH og = OGR_F_GetGeometryRef(f);
    if (!og || OGR_G_IsEmpty(og))
        return exclude(r, code, fid, og ? "empty geometry" : "no geometry");
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(og));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbCurvePolygon && t != wkbMultiSurface &&
        t != wkbGeometryCollection)
        return exclude(r, code, fid, "not a polygon");
    /* Counted on GDAL's copy, before the WKB and GEOS copies are made:
     * an oversized feature costs one copy, not three, before refusal. */
    size_t npts = OGR_G_HasCurveGeometry(og, 1) ? 0 : ogr_vertices(og); /* curves: counted once linear */
    if (npts > LOC_MAX_FEATURE_VERTICES)
        return loc_error(r->ctx, LOC_ELIMIT, "'%s' feature %ld (zone '%s'): %zu vertices, more than the %d accepted",
                         b->path, fid, code, npts, LOC_MAX_FEATURE_VERTICES);
    if (b->vertices + npts > LOC_MAX_TOTAL_VERTICES)
        return loc_error(r->ctx, LOC_ELIMIT,
                         "'%s' feature %ld (zone '%s'): more than %d vertices in the layer; simplify the boundaries first",
                         b->path, fid, code, LOC_MAX_TOTAL_VERTICES);
    loc_status st = LOC_OK;
    GEOSGeometry *g = to_geos(r, og, fid, &st);
    if (!g)
        return st;
    const char *why = NULL;
    char *repaired = NULL;
    g = clean(r, g, code, fid, &st, &why, &repaired);
    if (g && repaired) {
        loc_report(r->ctx, LOC_WARN, "'%s' feature %ld (zone '%s'): invalid geometry repaired (%s)", b->path, fid,
                   code, repaired);
        b->repaired++;
    }
    GEOSFree_r(r->gh, repaired);
    if (!g)
        return st ? st : exclude(r, code, fid, why);
    if ((st = grow_zones(r))) {
        GEOSGeom_destroy_r(r->gh, g);
        return st;
    }
    b->codes[b->n] = code;
    if (!(b->names[b->n] = field_text(r, f, r->name_idx))) {
        GEOSGeom_destroy_r(r->gh, g);
        return LOC_ENOMEM;
    }
    for (size_t a = 0; a < b->nattr; a++)
        if (!(b->attrs[a][b->n] = field_text(r, f, r->attr_idx[a]))) {
            GEOSGeom_destroy_r(r->gh, g); /* not yet owned: the zone is not counted */
            return LOC_ENOMEM;
        }
    size_t kept = (size_t)GEOSGetNumCoordinates_r(r->gh, g);
    if (b->vertices + kept > LOC_MAX_TOTAL_VERTICES) {
        /* curves are counted only once made linear, here */
        GEOSGeom_destroy_r(r->gh, g);
        return loc_error(r->ctx, LOC_ELIMIT,
                         "'%s' feature %ld (zone '%s'): more than %d vertices in the layer; simplify the boundaries first",
                         b->path, fid, code, LOC_MAX_TOTAL_VERTICES);
    }
    b->geoms[b->n] = g;
    b->vertices += kept;
    extend_bbox(b, r->gh, g);
    b->n++;
    return LOC_OK;
}

/* Duplicate codes: order the zones by code and compare neighbours. */
static loc_status check_duplicates(rd *r)
{
    loc_boundaries *b = r->b;
    uint32_t *idx = loc_malloc(r->ctx, (b->n ? b->n : 1) * sizeof *idx);
    if (!idx || loc_order_by_code(r->ctx, b->codes, b->n, idx)) {
        loc_free(r->ctx, idx);
        return LOC_ENOMEM;
    }
    loc_status st = LOC_OK;
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(b->codes[idx[i]], b->codes[idx[i - 1]]) == 0) {
            size_t x = idx[i] < idx[i - 1] ? idx[i] : idx[i - 1];
            size_t y = idx[i] < idx[i - 1] ? idx[i - 1] : idx[i];
            st = loc_error(r->ctx, LOC_EDATA, "'%s': duplicate zone code '%s' (zones %zu and %zu in file order)",
                           b->path, b->codes[x], x + 1, y + 1);
            break;
        }
    loc_free(r->ctx, idx);
    return st;
}

static loc_status setup_attrs(rd *r)
{
    loc_boundaries *b = r->b;
    int n = OGR_FD_GetFieldCount(r->defn);
    b->attr_names = loc_calloc(r->ctx, n > 0 ? (size_t)n : 1, sizeof *b->attr_names);
    b->attrs = loc_calloc(r->ctx, n > 0 ? (size_t)n : 1, sizeof *b->attrs);
    r->attr_idx = loc_calloc(r->ctx, n > 0 ? (size_t)n : 1, sizeof *r->attr_idx);
    if (!b->attr_names || !b->attrs || !r->attr_idx)
        return LOC_ENOMEM;
    for (int i = 0; i < n; i++) {
        if (i == r->zone_idx || i == r->name_idx)
            continue;
        b->attr_names[b->nattr] = loc_arena_strdup(b->strings, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(r->defn, i)));
        r->attr_idx[b->nattr] = i;
        if (!b->attr_names[b->nattr])
            return LOC_ENOMEM;
        b->nattr++;
    }
    return LOC_OK;
}

static loc_status open_layer(rd *r, const char *path, const loc_boundary_opts *o)
{
    loc_boundaries *b = r->b;
    loc_gdal_init();
    loc_lib_clear(r->ctx);
    r->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, NULL, NULL, NULL);
    if (!r->ds)
        return loc_error(r->ctx, LOC_EIO, "cannot open '%s' as a vector source: %s", path,
                         r->ctx->lib_msg[0] ? r->ctx->lib_msg : "unknown format or missing file");
    if (GDALDatasetGetLayerCount(r->ds) < 1)
        return loc_error(r->ctx, LOC_EDATA, "'%s': no vector layer", path);
    r->layer = o->layer ? GDALDatasetGetLayerByName(r->ds, o->layer) : GDALDatasetGetLayer(r->ds, 0);
    if (!r->layer)
        return loc_error(r->ctx, LOC_EDATA, "'%s': no layer named '%s'", path, o->layer);
    r->defn = OGR_L_GetLayerDefn(r->layer);
    b->layer = loc_arena_strdup(b->strings, OGR_L_GetName(r->layer));
    if (!b->layer)
        return LOC_ENOMEM;
    GIntBig count = OGR_L_GetFeatureCount(r->layer, 0);
    if (count > LOC_MAX_ZONES)
        return loc_error(r->ctx, LOC_ELIMIT, "'%s' layer '%s': %lld features, more than the %d accepted", path,
                         b->layer, (long long)count, LOC_MAX_ZONES);
    return LOC_OK;
}

/* Coordinates far outside Great Britain mean the stated CRS is wrong
 * (typically longitude/latitude labelled as British National Grid). */
static loc_status check_extent(rd *r)
{
    loc_boundaries *b = r->b;
    if (!b->n)
        return loc_error(r->ctx, LOC_EDATA, "'%s' layer '%s': no usable zone geometries", b->path, b->layer);
    const double *e = b->bbox;
    if (e[0] < -200000 || e[1] < -200000 || e[2] > 900000 || e[3] > 1500000 || (e[2] - e[0] < 100 && e[3] - e[1] < 100))
        return loc_error(r->ctx, LOC_ECRS,
                         "'%s' layer '%s': coordinates (%.0f, %.0f)-(%.0f, %.0f) in EPSG:27700 lie outside Great Britain; is the source CRS (%s) right?",
                         b->path, b->layer, e[0], e[1], e[2], e[3], b->crs);
    return LOC_OK;
}

/* Scotland in EPSG:27700, St Kilda to Muckle Flugga, the Mull of Galloway
 * to the Northern Isles, with a margin. */
static int in_scotland(double e, double n) { return e > -20000 && e < 480000 && n > 520000 && n < 1240000; }

/* A code in the form of a Scottish statistical geography (S and eight
 * digits: data zones S01, intermediate zones S02). */
static int scottish_code(const char *c)
{
    if (!c || c[0] != 'S' || strlen(c) != 9)
        return 0;
    for (int i = 1; i < 9; i++)
        if (c[i] < '0' || c[i] > '9')
            return 0;
    return 1;
}

/* Zones coded as Scottish that lie outside Scotland: the CRS is declared
 * but the coordinates are not in it, most often easting and northing
 * swapped (Stirling's zones then lie off Suffolk).  A warning naming how
 * many, the first, and the likely cause; the graph is unaffected (a swap
 * is a reflection) but every map would be wrong. */
static void check_scottish_extent(rd *r)
{
    loc_boundaries *b = r->b;
    size_t outside = 0, swapped = 0, first = 0;
    double fe = 0, fn = 0;
    for (size_t i = 0; i < b->n; i++) {
        double x0, y0, x1, y1;
        if (!scottish_code(b->codes[i]) || !GEOSGeom_getXMin_r(r->gh, b->geoms[i], &x0) ||
            !GEOSGeom_getYMin_r(r->gh, b->geoms[i], &y0) || !GEOSGeom_getXMax_r(r->gh, b->geoms[i], &x1) ||
            !GEOSGeom_getYMax_r(r->gh, b->geoms[i], &y1))
            continue;
        double e = (x0 + x1) / 2, n = (y0 + y1) / 2;
        if (in_scotland(e, n))
            continue;
        if (!outside++) {
            first = i;
            fe = e;
            fn = n;
        }
        swapped += in_scotland(n, e);
    }
    if (!outside)
        return;
    if (swapped * 2 > outside)
        loc_report(r->ctx, LOC_WARN,
                   "'%s': %zu zone%s coded as Scottish lie%s outside Scotland (the first, '%s', at easting %.0f, "
                   "northing %.0f); with the two swapped %s would lie in Scotland: are easting and northing "
                   "(x and y) swapped in the file?",
                   b->path, outside, outside == 1 ? "" : "s", outside == 1 ? "s" : "", b->codes[first], fe, fn,
                   swapped == outside ? "all" : "most");
    else
        loc_report(r->ctx, LOC_WARN,
                   "'%s': %zu zone%s coded as Scottish lie%s outside Scotland (the first, '%s', at easting %.0f, "
                   "northing %.0f in EPSG:27700); is the source CRS (%s) right?",
                   b->path, outside, outside == 1 ? "" : "s", outside == 1 ? "s" : "", b->codes[first], fe, fn, b->crs);
}

/* Overlapping zones.  Each zone's point on surface is looked up among the
 * other zones (a GEOS STRtree of their envelopes); a zone containing
 * another's point overlaps it by more than a sliver.  This finds copies
 * (two codes, one polygon) and zones drawn over one another, in about as
 * long as reading the file; overlaps along a boundary that reach no
 * interior point are the graph's business (snapping). */
typedef struct ov_query {
    size_t *hits;
    size_t n, cap;
} ov_query;

static void ov_collect(void *item, void *ud)
{
    ov_query *q = ud;
    if (q->n < q->cap)
        q->hits[q->n++] = (size_t)((uintptr_t)item - 1);
}

#define OV_SHOWN 10

/* Crossings of a ray from (x, y) towards +x with one ring. */
static unsigned ring_crossings(GEOSContextHandle_t h, const GEOSGeometry *ring, double x, double y)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0, c = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 4)
        return 0;
    double x0, y0, x1, y1;
    GEOSCoordSeq_getXY_r(h, cs, 0, &x0, &y0);
    for (unsigned k = 1; k < n; k++, x0 = x1, y0 = y1) {
        GEOSCoordSeq_getXY_r(h, cs, k, &x1, &y1);
        if ((y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0))
            c++;
    }
    return c;
}

/* 1 when (x, y) lies inside the polygonal g (even-odd over every ring of
 * every part).  GEOSContains would build g's whole topology for each of
 * about 20,000 tests on all of Scotland: ten times slower. */
static int inside(GEOSContextHandle_t h, const GEOSGeometry *g, double x, double y)
{
    unsigned c = 0;
    int np = GEOSGetNumGeometries_r(h, g);
    for (int p = 0; p < np; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
        c += ring_crossings(h, GEOSGetExteriorRing_r(h, poly), x, y);
        int nh = GEOSGetNumInteriorRings_r(h, poly);
        for (int k = 0; k < nh; k++)
            c += ring_crossings(h, GEOSGetInteriorRingN_r(h, poly, k), x, y);
    }
    return c & 1;
}

/* Report the overlap of zones i < j (once per pair). */
static void ov_report(rd *r, size_t i, size_t j, size_t *reported)
{
    loc_boundaries *b = r->b;
    GEOSContextHandle_t h = r->gh;
    if ((*reported)++ >= OV_SHOWN)
        return;
    if (GEOSEquals_r(h, b->geoms[i], b->geoms[j]) == 1) {
        loc_report(r->ctx, LOC_WARN, "'%s': zones '%s' and '%s' carry the same polygon (one copied under the other's code?)",
                   b->path, b->codes[i], b->codes[j]);
        return;
    }
    double shared = 0, ai = 0, aj = 0;
    GEOSGeometry *x = GEOSIntersection_r(h, b->geoms[i], b->geoms[j]);
    if (x) {
        GEOSArea_r(h, x, &shared);
        GEOSGeom_destroy_r(h, x);
    }
    GEOSArea_r(h, b->geoms[i], &ai);
    GEOSArea_r(h, b->geoms[j], &aj);
    double small = fmin(ai, aj);
    char area[64];
    if (shared >= 1e5)
        snprintf(area, sizeof area, "%.2f km\xc2\xb2", shared / 1e6);
    else
        snprintf(area, sizeof area, "%.0f m\xc2\xb2", shared);
    loc_report(r->ctx, LOC_WARN, "'%s': zones '%s' and '%s' overlap: %s shared, %.0f%% of the smaller", b->path,
               b->codes[i], b->codes[j], area, small > 0 ? 100 * shared / small : 0);
}

static loc_status check_overlaps(rd *r)
{
    loc_boundaries *b = r->b;
    GEOSContextHandle_t h = r->gh;
    if (b->n < 2)
        return LOC_OK;
    loc_status st = LOC_ENOMEM;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    GEOSGeometry **pts = loc_calloc(r->ctx, b->n, sizeof *pts);
    double *xy = loc_malloc(r->ctx, 2 * b->n * sizeof *xy);
    size_t hits[64], reported = 0;
    if (!tree || !pts || !xy)
        goto done;
    for (size_t i = 0; i < b->n; i++)
        GEOSSTRtree_insert_r(h, tree, b->geoms[i], (void *)(uintptr_t)(i + 1));
    for (size_t i = 0; i < b->n; i++) {
        xy[2 * i] = xy[2 * i + 1] = NAN; /* no point (GEOS failed on it): the zone is not tested */
        if ((pts[i] = GEOSPointOnSurface_r(h, b->geoms[i])) &&
            (!GEOSGeomGetX_r(h, pts[i], &xy[2 * i]) || !GEOSGeomGetY_r(h, pts[i], &xy[2 * i + 1])))
            xy[2 * i] = xy[2 * i + 1] = NAN;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (isnan(xy[2 * i]))
            continue;
        ov_query q = {hits, 0, sizeof hits / sizeof *hits};
        GEOSSTRtree_query_r(h, tree, pts[i], ov_collect, &q);
        for (size_t k = 0; k < q.n; k++) {
            size_t j = q.hits[k];
            if (j == i || !inside(h, b->geoms[j], xy[2 * i], xy[2 * i + 1]))
                continue;
            /* a pair whose both points fall in the other is reported from
             * the lower index only */
            if (j < i && !isnan(xy[2 * j]) && inside(h, b->geoms[i], xy[2 * j], xy[2 * j + 1]))
                continue;
            ov_report(r, i < j ? i : j, i < j ? j : i, &reported);
        }
    }
    if (reported > OV_SHOWN)
        loc_report(r->ctx, LOC_WARN, "'%s': %zu pairs of overlapping zones in all (the first %d above)", b->path,
                   reported, OV_SHOWN);
    st = LOC_OK;
done:
    if (pts)
        for (size_t i = 0; i < b->n; i++)
            if (pts[i])
                GEOSGeom_destroy_r(h, pts[i]);
    loc_free(r->ctx, pts);
    loc_free(r->ctx, xy);
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    return st;
}

loc_boundaries *loc_boundaries_read(loc_ctx *ctx, const char *path, const loc_boundary_opts *opts)
{
    loc_boundary_opts none = {0};
    const loc_boundary_opts *o = opts ? opts : &none;
    rd r = {.ctx = ctx, .gh = loc_geos(ctx)};
    loc_status st = LOC_ENOMEM;
    loc_boundaries *b = loc_calloc(ctx, 1, sizeof *b);
    if (!b)
        return NULL;
    r.b = b;
    b->ctx = ctx;
    loc_gdal_errors gerr; /* GDAL's errors into ctx, the latest kept */
    loc_gdal_errors_push(&gerr, ctx, 0);
    if (!(b->strings = loc_arena_create(ctx)) || !(b->path = loc_arena_strdup(b->strings, path)))
        goto done;
    if ((st = open_layer(&r, path, o)) || (st = pick_fields(&r, o)) || (st = setup_crs(&r, o)) ||
        (st = setup_attrs(&r)))
        goto done;
    if (!(r.wkb = GEOSWKBReader_create_r(r.gh))) {
        st = loc_error(ctx, LOC_EGEOM, "GEOS: cannot create a WKB reader");
        goto done;
    }
    OGR_L_ResetReading(r.layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(r.layer))) {
        st = read_feature(&r, f);
        OGR_F_Destroy(f);
        if (st)
            goto done;
        if (b->n + b->nexcl > LOC_MAX_ZONES) {
            st = loc_error(ctx, LOC_ELIMIT, "'%s': more than %d features", path, LOC_MAX_ZONES);
            goto done;
        }
    }
    if (r.ctx->lib_msg[0] && CPLGetLastErrorType() >= CE_Failure) {
        st = loc_error(ctx, LOC_EIO, "'%s': read error: %s", path, r.ctx->lib_msg);
        goto done;
    }
    if ((st = check_extent(&r)) || (st = check_duplicates(&r)))
        goto done;
    check_scottish_extent(&r);
    if ((st = check_overlaps(&r)))
        goto done;
done:
    loc_gdal_errors_pop();
    if (r.wkb)
        GEOSWKBReader_destroy_r(r.gh, r.wkb);
    if (r.transform)
        proj_destroy(r.transform);
    if (r.ds)
        GDALClose(r.ds);
    loc_free(ctx, r.buf);
    loc_free(ctx, r.attr_idx);
    if (st) {
        if (st == LOC_ENOMEM && loc_errcode(ctx) != LOC_ENOMEM)
            loc_error(ctx, LOC_ENOMEM, "out of memory reading '%s'", path);
        loc_boundaries_destroy(b);
        return NULL;
    }
    return b;
}

void loc_boundaries_destroy(loc_boundaries *b)
{
    if (!b)
        return;
    loc_ctx *ctx = b->ctx;
    for (size_t i = 0; i < b->n; i++)
        GEOSGeom_destroy_r(loc_geos(ctx), b->geoms[i]);
    for (size_t a = 0; a < b->nattr; a++)
        loc_free(ctx, b->attrs[a]);
    loc_free(ctx, b->attrs);
    loc_free(ctx, b->attr_names);
    loc_free(ctx, b->codes);
    loc_free(ctx, b->names);
    loc_free(ctx, b->geoms);
    loc_free(ctx, b->excl);
    loc_arena_destroy(b->strings);
    loc_free(ctx, b);
}

size_t loc_boundaries_count(const loc_boundaries *b) { return b->n; }
const char *loc_boundaries_code(const loc_boundaries *b, size_t i) { return b->codes[i]; }
const char *loc_boundaries_name(const loc_boundaries *b, size_t i) { return b->names[i]; }
const GEOSGeometry *loc_boundaries_geom(const loc_boundaries *b, size_t i) { return b->geoms[i]; }
const GEOSGeometry *const *loc_boundaries_geoms(const loc_boundaries *b)
{
    return (const GEOSGeometry *const *)b->geoms;
}
size_t loc_boundaries_repaired(const loc_boundaries *b) { return b->repaired; }
size_t loc_boundaries_excluded(const loc_boundaries *b) { return b->nexcl; }
const char *loc_boundaries_excluded_code(const loc_boundaries *b, size_t i) { return b->excl[i].code; }
const char *loc_boundaries_excluded_reason(const loc_boundaries *b, size_t i) { return b->excl[i].reason; }
const char *loc_boundaries_path(const loc_boundaries *b) { return b->path; }
const char *loc_boundaries_layer(const loc_boundaries *b) { return b->layer; }
const char *loc_boundaries_zone_field(const loc_boundaries *b) { return b->zone_field; }
const char *loc_boundaries_crs(const loc_boundaries *b) { return b->crs; }
int loc_boundaries_reprojected(const loc_boundaries *b) { return b->reprojected; }
size_t loc_boundaries_vertices(const loc_boundaries *b) { return b->vertices; }
void loc_boundaries_bbox(const loc_boundaries *b, double bbox[4]) { memcpy(bbox, b->bbox, sizeof b->bbox); }

const char *loc_boundaries_attr(const loc_boundaries *b, size_t i, const char *field)
{
    for (size_t a = 0; a < b->nattr; a++)
        if (strcasecmp(b->attr_names[a], field) == 0)
            return b->attrs[a][i];
    return NULL;
}
