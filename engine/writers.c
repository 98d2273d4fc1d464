/*
 * Writers: dissolve, attribute table, GeoJSON, GeoPackage and the HTML
 * report.
 *
 * The dissolve runs once per locality over its member zones.  Published
 * boundaries are a clean coverage (neighbours share identical vertices):
 * a locality's outline is then its zones' segments that no other member
 * holds, and tracing them into rings (see "Outline traced from the zones'
 * own segments") gives what GEOS coverage union gives, about ten times
 * faster; GEOS coverage union takes over for any locality the trace cannot
 * explain.  Boundaries simplified
 * zone by zone are not a coverage: coverage union then throws (GEOS checks
 * that the area is preserved) and ordinary union takes over, which leaves
 * the thin gaps between neighbours as holes; holes narrower on average
 * than the sliver width (LOC_SLIVER_WIDTH_M, or the simplification
 * tolerance the caller passes) are such gaps and are filled.
 *
 * The geographic files are the ones GDAL writes, so that mapping tools
 * read them as they read GDAL's: the GeoPackage through GDAL, the GeoJSON
 * as the driver's RFC 7946 mode writes it (WGS 84 longitude/latitude, six
 * decimals, no crs member, counter-clockwise exterior rings) but written
 * here directly, three times faster, and checked against the driver.
 * GDAL creates its files itself, so atomicity is done here: the dataset is
 * created under a reserved temporary name in the output folder and renamed
 * over the final name only after GDALClose reported no error.  Each writer
 * stages its file that way and then commits it; loc_write_outputs stages
 * all four before committing any, so a run's outputs change together.
 *
 * The report is plain HTML with inline SVG, an inline style sheet and one
 * small inline script (zoom, the indicator selector, SVG downloads; the
 * page is whole without it): no fonts, images or scripts to fetch, so it
 * opens anywhere, offline.  Map
 * coordinates are British National Grid metres shifted to the map's
 * corner and scaled to the SVG's pixels, with paths simplified to about
 * half a pixel so that a council of many localities stays small.
 */
#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"

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
 * Dissolve
 * ===================================================================== */

struct loc_dissolved {
    loc_ctx *ctx;                 /* GEOS context and allocator owner */
    const loc_partition *p;       /* borrowed */
    const loc_boundaries *b;      /* borrowed */
    size_t n;                     /* localities */
    GEOSGeometry **geoms;         /* per locality, owned, EPSG:27700 */
    double *area, *perim;         /* per locality, m2 and m */
    double *zone_area;            /* per locality: sum of member zone areas */
    size_t fallbacks;             /* localities dissolved with ordinary union */
    size_t missing;               /* member zones without a boundary */
    size_t slivers;               /* sliver holes filled */
    double sliver_m;              /* holes narrower than this on average are filled */
    size_t traced;                /* localities whose outline was traced from segments */
    int geos_only;                /* 1: GEOS unions every locality, nothing traced */
};

void loc_dissolved_destroy(loc_dissolved *d)
{
    if (!d)
        return;
    loc_ctx *ctx = d->ctx;
    if (d->geoms)
        for (size_t k = 0; k < d->n; k++)
            if (d->geoms[k])
                GEOSGeom_destroy_r(loc_geos(ctx), d->geoms[k]);
    loc_free(ctx, d->geoms);
    loc_free(ctx, d->area);
    loc_free(ctx, d->perim);
    loc_free(ctx, d->zone_area);
    loc_free(ctx, d);
}

/* A ring is a sliver when its mean width 2A/P is below the threshold. */
static int is_sliver(GEOSContextHandle_t h, const GEOSGeometry *ring, double width_m)
{
    double len = 0, area = 0;
    GEOSGeometry *poly = NULL;
    GEOSGeometry *shell = GEOSGeom_clone_r(h, ring);
    if (!shell)
        return 0;
    /* a ring has no area in GEOS; make it a polygon's shell to measure it */
    if (!(poly = GEOSGeom_createPolygon_r(h, shell, NULL, 0)))
        return 0;
    int ok = GEOSArea_r(h, poly, &area) && GEOSLength_r(h, poly, &len);
    GEOSGeom_destroy_r(h, poly);
    return ok && len > 0 && 2 * area / len < width_m;
}

/* Polygon pg without its sliver holes (a new geometry), or NULL. */
static GEOSGeometry *drop_slivers(loc_dissolved *d, const GEOSGeometry *pg)
{
    GEOSContextHandle_t h = loc_geos(d->ctx);
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    if (nh < 0)
        return NULL;
    if (nh == 0)
        return GEOSGeom_clone_r(h, pg);
    GEOSGeometry **holes = loc_calloc(d->ctx, (size_t)nh, sizeof *holes);
    GEOSGeometry *shell = NULL, *out = NULL;
    size_t kept = 0;
    if (!holes)
        return NULL;
    for (int i = 0; i < nh; i++) {
        const GEOSGeometry *r = GEOSGetInteriorRingN_r(h, pg, i);
        if (!r)
            goto done;
        if (d->sliver_m > 0 && is_sliver(h, r, d->sliver_m)) {
            d->slivers++;
            continue;
        }
        if (!(holes[kept] = GEOSGeom_clone_r(h, r)))
            goto done;
        kept++;
    }
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(h, pg);
    if (!ext || !(shell = GEOSGeom_clone_r(h, ext)))
        goto done;
    /* createPolygon takes the shell and holes, also when it fails */
    out = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)kept);
    shell = NULL;
    kept = 0;
done:
    for (size_t i = 0; i < kept; i++)
        GEOSGeom_destroy_r(h, holes[i]);
    if (shell)
        GEOSGeom_destroy_r(h, shell);
    loc_free(d->ctx, holes);
    return out;
}

/* Append the polygons of g (recursing into collections), each without
 * its sliver holes, to *parts.  Lines and points a union or repair leaves
 * have no area and are dropped. */
static loc_status collect_polygons(loc_dissolved *d, const GEOSGeometry *g, GEOSGeometry ***parts, size_t *k,
                                   size_t *cap)
{
    GEOSContextHandle_t h = loc_geos(d->ctx);
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g) == 1)
            return LOC_OK;
        if (loc_grow(d->ctx, (void **)parts, cap, *k + 1, sizeof **parts))
            return LOC_ENOMEM;
        if (!((*parts)[*k] = drop_slivers(d, g)))
            return LOC_EGEOM;
        (*k)++;
        return LOC_OK;
    }
    if (t != GEOS_MULTIPOLYGON && t != GEOS_GEOMETRYCOLLECTION)
        return t < 0 ? LOC_EGEOM : LOC_OK;
    int n = GEOSGetNumGeometries_r(h, g);
    if (n < 0)
        return LOC_EGEOM;
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *m = GEOSGetGeometryN_r(h, g, i);
        loc_status st = m ? collect_polygons(d, m, parts, k, cap) : LOC_EGEOM;
        if (st)
            return st;
    }
    return LOC_OK;
}

/* The polygons of g (not owned) without sliver holes, as one Polygon or
 * MultiPolygon (an empty Polygon when there are none).  NULL on failure,
 * with LOC_ENOMEM set when memory ran out. */
static GEOSGeometry *clean_union(loc_dissolved *d, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = loc_geos(d->ctx);
    GEOSGeometry **parts = NULL, *out = NULL;
    size_t k = 0, cap = 0;
    if (collect_polygons(d, g, &parts, &k, &cap))
        goto done;
    if (k == 1) {
        out = parts[0];
        k = 0;
    } else if (k == 0) {
        out = GEOSGeom_createEmptyPolygon_r(h);
    } else {
        /* takes the parts, also when it fails */
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)k);
        k = 0;
    }
done:
    for (size_t i = 0; i < k; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    loc_free(d->ctx, parts);
    return out;
}

/* clean_union failed: out of memory, or GEOS. */
static loc_status rebuild_failed(loc_ctx *ctx, const char *code)
{
    if (loc_errcode(ctx) == LOC_ENOMEM)
        return LOC_ENOMEM;
    return loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot rebuild the union: %s", code, loc_geos_msg(ctx));
}

/* ---------------------------------------------------------------------
 * Outline traced from the zones' own segments
 *
 * On a clean coverage two neighbouring zones hold each shared segment
 * with identical end points, walked in opposite directions once every
 * shell runs counter-clockwise and every hole clockwise.  A locality's
 * outline is then the set of its zones' directed segments whose reverse
 * no other member holds, and following them from vertex to vertex closes
 * its rings: counter-clockwise ones are shells, clockwise ones holes.
 * This is what GEOS coverage union computes, in one pass over the
 * vertices with a hash table instead of a noded graph.  Anything the
 * match cannot explain (a segment used twice the same way or three times,
 * a vertex where the outline meets itself, an unclosed walk, a repeated
 * vertex, a hole in no shell) sends the locality to GEOS, as does a
 * result GEOS finds invalid or whose area differs from its zones'.
 * --------------------------------------------------------------------- */

/* Scratch space for tracing, reused from locality to locality. */
typedef struct trace {
    double *xy;          /* distinct vertices, x and y */
    size_t nv, cap_xy;
    uint32_t *vtab;      /* vertex hash table: index + 1, 0 for empty */
    size_t vcap;         /* slots, a power of two */
    uint32_t *seg;       /* directed segments: from and to vertex, 2 per segment */
    uint8_t *dead;       /* per segment: matched with its reverse */
    size_t ns, cap_seg, cap_dead;
    uint32_t *stab;      /* segment hash table: index + 1, 0 for empty */
    size_t scap;
    uint32_t *next;      /* per vertex: the outline segment leaving it, or UINT32_MAX */
    uint8_t *seen;       /* per vertex: visited by the ring walk */
    size_t cap_next, cap_seen;
    uint32_t *ring;      /* the vertices of the rings, each ring closed */
    size_t nring, cap_ring;
    size_t *ring_at;     /* start of each ring in ring[], and one past the end */
    size_t nrings, cap_at;
} trace;

static void trace_free(loc_ctx *ctx, trace *t)
{
    loc_free(ctx, t->xy);
    loc_free(ctx, t->vtab);
    loc_free(ctx, t->seg);
    loc_free(ctx, t->dead);
    loc_free(ctx, t->stab);
    loc_free(ctx, t->next);
    loc_free(ctx, t->seen);
    loc_free(ctx, t->ring);
    loc_free(ctx, t->ring_at);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* Bits of a coordinate, with -0 as 0, so that equal numbers hash alike. */
static uint64_t coord_bits(double v)
{
    uint64_t u;
    if (v == 0)
        v = 0;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* A zeroed table of at least 2 * n slots (a power of two). */
static loc_status table_reset(loc_ctx *ctx, uint32_t **tab, size_t *cap, size_t n)
{
    size_t want = 16;
    while (want < 2 * n)
        want *= 2;
    if (want > *cap) {
        loc_free(ctx, *tab);
        *cap = 0;
        if (!(*tab = loc_calloc(ctx, want, sizeof **tab)))
            return LOC_ENOMEM;
        *cap = want;
    } else {
        memset(*tab, 0, *cap * sizeof **tab);
    }
    return LOC_OK;
}

/* The index of vertex (x, y), added when new; UINT32_MAX when memory ran out. */
static uint32_t vertex_id(loc_ctx *ctx, trace *t, double x, double y)
{
    uint64_t bx = coord_bits(x), by = coord_bits(y);
    size_t mask = t->vcap - 1, s = (size_t)mix64(bx * 31 + mix64(by)) & mask;
    for (; t->vtab[s]; s = (s + 1) & mask) {
        const double *p = t->xy + 2 * (t->vtab[s] - 1);
        if (p[0] == x && p[1] == y)
            return t->vtab[s] - 1;
    }
    if (loc_grow(ctx, (void **)&t->xy, &t->cap_xy, 2 * t->nv + 2, sizeof *t->xy))
        return UINT32_MAX;
    t->xy[2 * t->nv] = x;
    t->xy[2 * t->nv + 1] = y;
    t->vtab[s] = (uint32_t)++t->nv;
    return (uint32_t)(t->nv - 1);
}

/* The slot holding segment a -> b, or the empty slot where it would go. */
static size_t seg_slot(const trace *t, uint32_t a, uint32_t b)
{
    size_t mask = t->scap - 1, s = (size_t)mix64(((uint64_t)a << 32) | b) & mask;
    for (; t->stab[s]; s = (s + 1) & mask) {
        const uint32_t *e = t->seg + 2 * (t->stab[s] - 1);
        if (e[0] == a && e[1] == b)
            break;
    }
    return s;
}

/* Add segment a -> b: it cancels an unmatched b -> a; a segment seen
 * before either way round (three uses, or two the same way) cannot be
 * explained.  1 explained, 0 not, -1 out of memory. */
static int add_segment(loc_ctx *ctx, trace *t, uint32_t a, uint32_t b)
{
    size_t r = seg_slot(t, b, a);
    if (t->stab[r]) {
        if (t->dead[t->stab[r] - 1])
            return 0;
        t->dead[t->stab[r] - 1] = 1;
        /* the pair is matched: a third use of a -> b would find b -> a dead */
        return 1;
    }
    size_t s = seg_slot(t, a, b);
    if (t->stab[s])
        return 0;
    if (loc_grow(ctx, (void **)&t->seg, &t->cap_seg, 2 * t->ns + 2, sizeof *t->seg) ||
        loc_grow(ctx, (void **)&t->dead, &t->cap_dead, t->ns + 1, sizeof *t->dead))
        return -1;
    t->seg[2 * t->ns] = a;
    t->seg[2 * t->ns + 1] = b;
    t->dead[t->ns] = 0;
    t->stab[s] = (uint32_t)++t->ns;
    return 1;
}

/* Add one ring's segments, walked counter-clockwise when ccw, else
 * clockwise.  1 explained, 0 not, -1 out of memory or GEOS failure. */
static int add_ring(loc_ctx *ctx, trace *t, const GEOSGeometry *ring, int ccw, uint32_t **ids, size_t *cap_ids)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
        return -1;
    if (n < 4)
        return 0;
    if (loc_grow(ctx, (void **)ids, cap_ids, n, sizeof **ids))
        return -1;
    double area2 = 0, x0 = 0, y0 = 0, px = 0, py = 0;
    for (unsigned i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y))
            return -1;
        if (i == 0) {
            x0 = x;
            y0 = y;
        } else {
            area2 += (px - x0) * (y - y0) - (x - x0) * (py - y0);
        }
        px = x;
        py = y;
        if (((*ids)[i] = vertex_id(ctx, t, x, y)) == UINT32_MAX)
            return -1;
    }
    if (!(area2 != 0) || (*ids)[0] != (*ids)[n - 1])
        return 0;
    int flip = (area2 > 0) != (ccw != 0);
    for (unsigned i = 0; i + 1 < n; i++) {
        uint32_t a = (*ids)[flip ? n - 1 - i : i], b = (*ids)[flip ? n - 2 - i : i + 1];
        if (a == b)
            return 0; /* a repeated vertex: leave it to GEOS */
        int r = add_segment(ctx, t, a, b);
        if (r != 1)
            return r;
    }
    return 1;
}

/* Add every ring of zone polygon or multipolygon g: shells
 * counter-clockwise, holes clockwise.  As add_ring. */
static int add_zone(loc_ctx *ctx, trace *t, const GEOSGeometry *g, uint32_t **ids, size_t *cap_ids)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    int type = GEOSGeomTypeId_r(h, g);
    int np = type == GEOS_POLYGON ? 1 : type == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g) : -1;
    if (np < 0)
        return type < 0 ? -1 : 0;
    for (int i = 0; i < np; i++) {
        const GEOSGeometry *pg = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, i);
        int nh = pg ? GEOSGetNumInteriorRings_r(h, pg) : -1;
        const GEOSGeometry *ext = pg ? GEOSGetExteriorRing_r(h, pg) : NULL;
        if (nh < 0 || !ext)
            return -1;
        int r = add_ring(ctx, t, ext, 1, ids, cap_ids);
        for (int k = 0; k < nh && r == 1; k++) {
            const GEOSGeometry *hole = GEOSGetInteriorRingN_r(h, pg, k);
            r = hole ? add_ring(ctx, t, hole, 0, ids, cap_ids) : -1;
        }
        if (r != 1)
            return r;
    }
    return 1;
}

/* Close the rings of the unmatched segments into t->ring.  1 when every
 * outline vertex has one segment in and one out, 0 otherwise, -1 out of
 * memory. */
static int walk_rings(loc_ctx *ctx, trace *t)
{
    if (loc_grow(ctx, (void **)&t->next, &t->cap_next, t->nv ? t->nv : 1, sizeof *t->next) ||
        loc_grow(ctx, (void **)&t->seen, &t->cap_seen, t->nv ? t->nv : 1, sizeof *t->seen))
        return -1;
    for (size_t v = 0; v < t->nv; v++) {
        t->next[v] = UINT32_MAX;
        t->seen[v] = 0;
    }
    for (size_t e = 0; e < t->ns; e++) {
        if (t->dead[e])
            continue;
        uint32_t a = t->seg[2 * e];
        if (t->next[a] != UINT32_MAX)
            return 0; /* the outline meets itself at a: GEOS decides how to split */
        t->next[a] = t->seg[2 * e + 1];
    }
    t->nring = t->nrings = 0;
    for (size_t e = 0; e < t->ns; e++) {
        uint32_t start = t->seg[2 * e];
        if (t->dead[e] || t->seen[start])
            continue;
        if (loc_grow(ctx, (void **)&t->ring_at, &t->cap_at, t->nrings + 2, sizeof *t->ring_at))
            return -1;
        t->ring_at[t->nrings++] = t->nring;
        uint32_t v = start;
        do {
            if (t->seen[v] || t->next[v] == UINT32_MAX)
                return 0; /* two segments into one vertex, or an open chain */
            t->seen[v] = 1;
            if (loc_grow(ctx, (void **)&t->ring, &t->cap_ring, t->nring + 2, sizeof *t->ring))
                return -1;
            t->ring[t->nring++] = v;
            v = t->next[v];
        } while (v != start);
        t->ring[t->nring++] = start;
        t->ring_at[t->nrings] = t->nring;
    }
    return 1;
}

/* Twice the signed area of ring r (positive counter-clockwise). */
static double ring_area2(const trace *t, size_t r)
{
    const uint32_t *v = t->ring + t->ring_at[r];
    size_t n = t->ring_at[r + 1] - t->ring_at[r];
    const double *o = t->xy + 2 * v[0];
    double s = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        const double *p = t->xy + 2 * v[i], *q = t->xy + 2 * v[i + 1];
        s += (p[0] - o[0]) * (q[1] - o[1]) - (q[0] - o[0]) * (p[1] - o[1]);
    }
    return s;
}

/* 1 when (x, y) is inside ring r (even-odd rule; the point is a vertex of
 * another ring, never on this one when the outline has no shared vertex). */
static int ring_contains(const trace *t, size_t r, double x, double y)
{
    const uint32_t *v = t->ring + t->ring_at[r];
    size_t n = t->ring_at[r + 1] - t->ring_at[r];
    int in = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        const double *p = t->xy + 2 * v[i], *q = t->xy + 2 * v[i + 1];
        if ((p[1] > y) != (q[1] > y) && x < p[0] + (y - p[1]) * (q[0] - p[0]) / (q[1] - p[1]))
            in = !in;
    }
    return in;
}

/* Ring r as a GEOS linear ring, or NULL. */
static GEOSGeometry *ring_geom(GEOSContextHandle_t h, const trace *t, size_t r)
{
    const uint32_t *v = t->ring + t->ring_at[r];
    size_t n = t->ring_at[r + 1] - t->ring_at[r];
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    if (!cs)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!GEOSCoordSeq_setXY_r(h, cs, (unsigned)i, t->xy[2 * v[i]], t->xy[2 * v[i] + 1])) {
            GEOSCoordSeq_destroy_r(h, cs);
            return NULL;
        }
    return GEOSGeom_createLinearRing_r(h, cs); /* takes cs, also when it fails */
}

/* Shell s with the holes assigned to it (owner[h] == s), or NULL. */
static GEOSGeometry *shell_polygon(GEOSContextHandle_t h, loc_ctx *ctx, const trace *t, size_t s,
                                   const size_t *owner)
{
    size_t nh = 0;
    for (size_t r = 0; r < t->nrings; r++)
        nh += owner[r] == s && r != s;
    GEOSGeometry **holes = loc_calloc(ctx, nh ? nh : 1, sizeof *holes), *shell = NULL, *out = NULL;
    size_t k = 0;
    if (!holes)
        return NULL;
    for (size_t r = 0; r < t->nrings; r++)
        if (owner[r] == s && r != s) {
            if (!(holes[k] = ring_geom(h, t, r)))
                goto done;
            k++;
        }
    if (!(shell = ring_geom(h, t, s)))
        goto done;
    /* takes the shell and holes, also when it fails */
    out = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)k);
    k = 0;
done:
    for (size_t i = 0; i < k; i++)
        GEOSGeom_destroy_r(h, holes[i]);
    loc_free(ctx, holes);
    return out;
}

/* Each ring's shell: itself for a shell, the smallest shell around it
 * for a hole.  1, or 0 for a hole in no shell. */
static int assign_holes(const trace *t, const double *area2, size_t *owner)
{
    size_t nshell = 0, only = 0;
    for (size_t r = 0; r < t->nrings; r++)
        if (area2[r] > 0) {
            owner[r] = r;
            nshell++;
            only = r;
        }
    for (size_t r = 0; r < t->nrings; r++) {
        if (area2[r] > 0)
            continue;
        if (nshell == 1) {
            owner[r] = only;
            continue;
        }
        const double *p = t->xy + 2 * t->ring[t->ring_at[r]];
        size_t best = SIZE_MAX;
        for (size_t s = 0; s < t->nrings; s++)
            if (area2[s] > 0 && ring_contains(t, s, p[0], p[1]) && (best == SIZE_MAX || area2[s] < area2[best]))
                best = s;
        if (best == SIZE_MAX)
            return 0;
        owner[r] = best;
    }
    return nshell > 0;
}

/* The outline's polygons from the closed rings: a Polygon, or a
 * MultiPolygon of several.  NULL with *why 0 when a hole lies in no shell,
 * -1 on failure. */
static GEOSGeometry *rings_to_geom(loc_ctx *ctx, const trace *t, int *why)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    size_t n = t->nrings ? t->nrings : 1, np = 0;
    double *area2 = loc_malloc(ctx, n * sizeof *area2);
    size_t *owner = loc_malloc(ctx, n * sizeof *owner);
    GEOSGeometry **parts = loc_calloc(ctx, n, sizeof *parts), *out = NULL;
    *why = -1;
    if (!area2 || !owner || !parts)
        goto done;
    for (size_t r = 0; r < t->nrings; r++)
        area2[r] = ring_area2(t, r);
    if (!assign_holes(t, area2, owner)) {
        *why = 0;
        goto done;
    }
    for (size_t s = 0; s < t->nrings; s++)
        if (area2[s] > 0) {
            if (!(parts[np] = shell_polygon(h, ctx, t, s, owner)))
                goto done;
            np++;
        }
    if (np == 1) {
        out = parts[0];
        np = 0;
    } else {
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)np); /* takes the parts */
        np = 0;
    }
done:
    for (size_t i = 0; i < np; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    loc_free(ctx, parts);
    loc_free(ctx, owner);
    loc_free(ctx, area2);
    return out;
}

/* Locality outline from its zones' geometries g[0..n): NULL with *why 0
 * when the segment match cannot explain it (GEOS is to take over), -1 on
 * failure (LOC_ENOMEM set when memory ran out). */
static GEOSGeometry *trace_outline(loc_ctx *ctx, trace *t, const GEOSGeometry *const *g, size_t n, int *why)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    uint32_t *ids = NULL;
    size_t cap_ids = 0, points = 0;
    GEOSGeometry *out = NULL;
    *why = -1;
    for (size_t i = 0; i < n; i++) {
        int np = GEOSGetNumCoordinates_r(h, g[i]);
        if (np < 0)
            return NULL;
        points += (size_t)np;
    }
    if (table_reset(ctx, &t->vtab, &t->vcap, points) || table_reset(ctx, &t->stab, &t->scap, points))
        return NULL;
    t->nv = t->ns = 0;
    int r = 1;
    for (size_t i = 0; i < n && r == 1; i++)
        r = add_zone(ctx, t, g[i], &ids, &cap_ids);
    if (r == 1)
        r = walk_rings(ctx, t);
    if (r == 1 && t->nrings)
        out = rings_to_geom(ctx, t, why);
    else
        *why = r < 0 ? -1 : 0;
    loc_free(ctx, ids);
    return out;
}

/* 1 when union u of locality k is valid and keeps its zones' area: GEOS
 * checks the area itself for a coverage union, and validity catches a
 * coverage with overlaps, which can come out self-intersecting. */
static int union_kept(loc_dissolved *d, size_t k, const GEOSGeometry *u)
{
    GEOSContextHandle_t h = loc_geos(d->ctx);
    double a = 0;
    return GEOSisValid_r(h, u) == 1 && GEOSArea_r(h, u, &a) &&
           fabs(a - d->zone_area[k]) <= 1e-9 * d->zone_area[k] + 1e-6;
}

/* Union of the zones g[0..n) (borrowed) by GEOS: coverage union when
 * they form a clean coverage (valid, area kept), ordinary union otherwise
 * (counted in fallbacks).  NULL with the error set. */
static GEOSGeometry *geos_union(loc_dissolved *d, size_t k, const GEOSGeometry *const *g, size_t n, int *valid)
{
    loc_ctx *ctx = d->ctx;
    GEOSContextHandle_t h = loc_geos(ctx);
    const char *code = loc_partition_code(d->p, k);
    GEOSGeometry **parts = loc_malloc(ctx, (n ? n : 1) * sizeof *parts), *coll = NULL, *u = NULL;
    size_t np = 0;
    *valid = 0;
    if (!parts)
        return NULL;
    for (; np < n; np++)
        if (!(parts[np] = GEOSGeom_clone_r(h, g[np]))) {
            loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot read its zones: %s", code, loc_geos_msg(ctx));
            goto done;
        }
    loc_geos_clear(ctx);
    /* the collection takes the parts, also when it fails */
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
    np = 0;
    if (!coll) {
        loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot collect its zones: %s", code, loc_geos_msg(ctx));
        goto done;
    }
    u = GEOSCoverageUnion_r(h, coll);
    if (u && !union_kept(d, k, u)) {
        GEOSGeom_destroy_r(h, u);
        u = NULL;
    }
    if (u) {
        *valid = 1;
    } else {
        d->fallbacks++;
        loc_geos_clear(ctx);
        if (!(u = GEOSUnaryUnion_r(h, coll)))
            loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS union failed: %s", code, loc_geos_msg(ctx));
    }
done:
    for (size_t i = 0; i < np; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    loc_free(ctx, parts);
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    return u;
}

/* The union of locality k's zones g[0..n) (borrowed): traced from their
 * segments when the match explains it and GEOS finds the result valid
 * with the zones' area, else GEOS's union.  *valid is 1 when the result
 * is known valid.  NULL with the error set. */
static GEOSGeometry *zones_union(loc_dissolved *d, trace *t, size_t k, const GEOSGeometry *const *g, size_t n,
                                 int *valid)
{
    GEOSContextHandle_t h = loc_geos(d->ctx);
    if (!d->geos_only) {
        int why = 0;
        GEOSGeometry *u = trace_outline(d->ctx, t, g, n, &why);
        if (!u && why < 0) {
            if (loc_errcode(d->ctx) != LOC_ENOMEM)
                loc_error(d->ctx, LOC_EGEOM, "locality '%s': GEOS cannot trace its outline: %s",
                          loc_partition_code(d->p, k), loc_geos_msg(d->ctx));
            return NULL;
        }
        if (u && union_kept(d, k, u)) {
            d->traced++;
            *valid = 1;
            return u;
        }
        if (u)
            GEOSGeom_destroy_r(h, u);
    }
    return geos_union(d, k, g, n, valid);
}

/* Ask g, its polygons and their rings for their envelopes.  GEOS may
 * compute an envelope on first use and keep it; doing that here, in the
 * thread that made the geometry, leaves nothing to write for the writers
 * that later read it from several threads at once.  0 on a GEOS failure. */
static int warm_envelopes(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double v;
    int type = GEOSGeomTypeId_r(h, g);
    if (GEOSisEmpty_r(h, g) != 0)
        return type >= 0;
    if (!GEOSGeom_getXMin_r(h, g, &v))
        return 0;
    if (type == GEOS_MULTIPOLYGON) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++) {
            const GEOSGeometry *pg = GEOSGetGeometryN_r(h, g, i);
            if (!pg || !warm_envelopes(h, pg))
                return 0;
        }
        return n >= 0;
    }
    if (type != GEOS_POLYGON)
        return type >= 0;
    int nh = GEOSGetNumInteriorRings_r(h, g);
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(h, g);
    if (nh < 0 || !ext || !GEOSGeom_getXMin_r(h, ext, &v))
        return 0;
    for (int i = 0; i < nh; i++) {
        const GEOSGeometry *r = GEOSGetInteriorRingN_r(h, g, i);
        if (!r || !GEOSGeom_getXMin_r(h, r, &v))
            return 0;
    }
    return 1;
}

/* Dissolve locality k into d->geoms[k]. */
static loc_status dissolve_one(loc_dissolved *d, trace *t, size_t k)
{
    loc_ctx *ctx = d->ctx;
    GEOSContextHandle_t h = loc_geos(ctx);
    const loc_zones *z = loc_partition_zones(d->p);
    size_t nm;
    const uint32_t *m = loc_partition_members(d->p, k, &nm);
    const char *code = loc_partition_code(d->p, k);
    size_t nb = loc_boundaries_count(d->b), np = 0;
    const GEOSGeometry **parts = loc_malloc(ctx, (nm ? nm : 1) * sizeof *parts);
    GEOSGeometry *u = NULL, *fixed = NULL;
    loc_status st = LOC_OK;
    if (!parts)
        return LOC_ENOMEM;
    for (size_t i = 0; i < nm; i++) {
        long bi = loc_zones_boundary(z, m[i]);
        if (bi < 0) {
            d->missing++;
            continue;
        }
        if ((size_t)bi >= nb) {
            st = loc_error(ctx, LOC_EINVAL, "zone '%s': boundary %ld out of range (%zu boundaries); "
                           "are these the boundaries the zones were joined with?", loc_zones_code(z, m[i]), bi, nb);
            goto done;
        }
        const GEOSGeometry *g = loc_boundaries_geom(d->b, (size_t)bi);
        double a = 0;
        if (!GEOSArea_r(h, g, &a)) {
            st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot read zone '%s': %s", code,
                           loc_zones_code(z, m[i]), loc_geos_msg(ctx));
            goto done;
        }
        d->zone_area[k] += a;
        parts[np++] = g;
    }
    if (np == 0) {
        if (!(d->geoms[k] = GEOSGeom_createEmptyPolygon_r(h)))
            st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS: %s", code, loc_geos_msg(ctx));
        goto done;
    }
    int valid = 0;
    if (!(u = zones_union(d, t, k, parts, np, &valid))) {
        st = loc_errcode(ctx) == LOC_ENOMEM ? LOC_ENOMEM : LOC_EGEOM;
        goto done;
    }
    size_t slivers = d->slivers;
    if (!(d->geoms[k] = clean_union(d, u))) {
        st = rebuild_failed(ctx, code);
        goto done;
    }
    /* a union known valid stays so when no sliver was filled */
    char ok = valid && d->slivers == slivers ? 1 : GEOSisValid_r(h, d->geoms[k]);
    if (ok == 2) {
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS validity check failed: %s", code, loc_geos_msg(ctx));
        goto done;
    }
    if (!ok) {
        /* filling a sliver can make a hole touch the shell twice; repair */
        if (!(fixed = GEOSMakeValid_r(h, d->geoms[k]))) {
            st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot repair the union: %s", code, loc_geos_msg(ctx));
            goto done;
        }
        GEOSGeom_destroy_r(h, d->geoms[k]);
        size_t before = d->slivers;
        d->geoms[k] = clean_union(d, fixed);
        d->slivers = before;
        if (!d->geoms[k]) {
            st = rebuild_failed(ctx, code);
            goto done;
        }
    }
    /* normal form (rings and parts in a fixed order, each ring from its
     * least vertex): the union's starting vertex otherwise follows the
     * order the zones were stored in */
    if (GEOSNormalize_r(h, d->geoms[k]) != 0) {
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot normalise the union: %s", code, loc_geos_msg(ctx));
        goto done;
    }
    if (!GEOSArea_r(h, d->geoms[k], &d->area[k]) || !GEOSLength_r(h, d->geoms[k], &d->perim[k]) ||
        !warm_envelopes(h, d->geoms[k]))
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot measure the union: %s", code, loc_geos_msg(ctx));
done:
    loc_free(ctx, parts);
    if (u)
        GEOSGeom_destroy_r(h, u);
    if (fixed)
        GEOSGeom_destroy_r(h, fixed);
    return st;
}

void loc_dissolve_opts_init(loc_dissolve_opts *opts)
{
    opts->sliver_m = LOC_SLIVER_WIDTH_M;
    opts->geos_only = 0;
}

loc_dissolved *loc_dissolve(loc_ctx *ctx, const loc_partition *p, const loc_boundaries *b,
                            const loc_dissolve_opts *opts)
{
    loc_dissolve_opts defaults;
    loc_dissolve_opts_init(&defaults);
    if (!opts)
        opts = &defaults;
    if (!p || !b) {
        loc_error(ctx, LOC_EINVAL, "dissolve: missing partition or boundaries");
        return NULL;
    }
    if (!(opts->sliver_m >= 0)) {
        loc_error(ctx, LOC_EINVAL, "dissolve: sliver width %g m is not a length", opts->sliver_m);
        return NULL;
    }
    loc_clear_error(ctx);
    loc_dissolved *d = loc_calloc(ctx, 1, sizeof *d);
    if (!d)
        return NULL;
    d->ctx = ctx;
    d->p = p;
    d->b = b;
    d->sliver_m = opts->sliver_m;
    d->geos_only = opts->geos_only;
    d->n = loc_partition_count(p);
    size_t n = d->n ? d->n : 1;
    if (!(d->geoms = loc_calloc(ctx, n, sizeof *d->geoms)) || !(d->area = loc_calloc(ctx, n, sizeof *d->area)) ||
        !(d->perim = loc_calloc(ctx, n, sizeof *d->perim)) ||
        !(d->zone_area = loc_calloc(ctx, n, sizeof *d->zone_area)))
        goto fail;
    trace t;
    memset(&t, 0, sizeof t);
    for (size_t k = 0; k < d->n; k++)
        if (dissolve_one(d, &t, k)) {
            trace_free(ctx, &t);
            goto fail;
        }
    trace_free(ctx, &t);
    return d;
fail:
    loc_dissolved_destroy(d);
    return NULL;
}

const loc_partition *loc_dissolved_partition(const loc_dissolved *d) { return d->p; }
const loc_boundaries *loc_dissolved_boundaries(const loc_dissolved *d) { return d->b; }
size_t loc_dissolved_count(const loc_dissolved *d) { return d->n; }
const GEOSGeometry *loc_dissolved_geom(const loc_dissolved *d, size_t k) { return d->geoms[k]; }
double loc_dissolved_area_m2(const loc_dissolved *d, size_t k) { return d->area[k]; }
double loc_dissolved_perimeter_m(const loc_dissolved *d, size_t k) { return d->perim[k]; }
double loc_dissolved_zone_area_m2(const loc_dissolved *d, size_t k) { return d->zone_area[k]; }
size_t loc_dissolved_fallbacks(const loc_dissolved *d) { return d->fallbacks; }
size_t loc_dissolved_missing(const loc_dissolved *d) { return d->missing; }
size_t loc_dissolved_slivers(const loc_dissolved *d) { return d->slivers; }
size_t loc_dissolved_traced(const loc_dissolved *d) { return d->traced; }

double loc_dissolved_compactness(const loc_dissolved *d, size_t k)
{
    double p = d->perim[k];
    return p > 0 ? 4 * M_PI * d->area[k] / (p * p) : NAN;
}

/* =====================================================================
 * Attribute table
 * ===================================================================== */

struct attr_col {
    char *name;            /* owned */
    loc_attr_type type;
    double *real;          /* LOC_ATTR_REAL: nrows values */
    int64_t *ints;         /* LOC_ATTR_INT: nrows values */
    char **text;           /* LOC_ATTR_TEXT: nrows owned strings or NULL */
    unsigned char *null;   /* nrows flags, 1 while unset */
};

struct loc_attrs {
    loc_ctx *ctx;          /* allocator owner */
    size_t nrows;          /* localities */
    size_t ncols, cap;     /* columns, allocated */
    struct attr_col *cols;
};

/* The writers' own fields, which attribute columns may not shadow. */
static const char *const fixed_fields[] = {"code",  "name",     "council_code", "council_name", "population",
                                           "zones", "area_km2", "perimeter_km", "compactness"};
#define NFIXED (sizeof fixed_fields / sizeof *fixed_fields)

loc_attrs *loc_attrs_create(loc_ctx *ctx, size_t nrows)
{
    loc_attrs *a = loc_calloc(ctx, 1, sizeof *a);
    if (!a)
        return NULL;
    a->ctx = ctx;
    a->nrows = nrows;
    return a;
}

static void free_col(loc_ctx *ctx, struct attr_col *c, size_t nrows)
{
    if (c->text)
        for (size_t r = 0; r < nrows; r++)
            loc_free(ctx, c->text[r]);
    loc_free(ctx, c->name);
    loc_free(ctx, c->real);
    loc_free(ctx, c->ints);
    loc_free(ctx, c->text);
    loc_free(ctx, c->null);
}

void loc_attrs_destroy(loc_attrs *a)
{
    if (!a)
        return;
    for (size_t c = 0; c < a->ncols; c++)
        free_col(a->ctx, &a->cols[c], a->nrows);
    loc_free(a->ctx, a->cols);
    loc_free(a->ctx, a);
}

long loc_attrs_find(const loc_attrs *a, const char *name)
{
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, name) == 0)
            return (long)c;
    return -1;
}

loc_status loc_attrs_add(loc_ctx *ctx, loc_attrs *a, const char *name, loc_attr_type type, size_t *col)
{
    if (!name || !*name)
        return loc_error(ctx, LOC_EINVAL, "attribute column with no name");
    if (type != LOC_ATTR_REAL && type != LOC_ATTR_INT && type != LOC_ATTR_TEXT)
        return loc_error(ctx, LOC_EINVAL, "attribute column '%s': unknown type %d", name, (int)type);
    for (size_t i = 0; i <= NFIXED; i++)
        if (strcmp(i < NFIXED ? fixed_fields[i] : "id", name) == 0)
            return loc_error(ctx, LOC_EINVAL, "attribute column '%s' would hide the writers' own field", name);
    if (loc_attrs_find(a, name) >= 0)
        return loc_error(ctx, LOC_EINVAL, "attribute column '%s' added twice", name);
    if (loc_grow(ctx, (void **)&a->cols, &a->cap, a->ncols + 1, sizeof *a->cols))
        return LOC_ENOMEM;
    struct attr_col c = {.type = type};
    size_t n = a->nrows ? a->nrows : 1;
    int ok = (c.name = loc_strdup(ctx, name)) && (c.null = loc_malloc(ctx, n));
    if (ok && type == LOC_ATTR_REAL)
        ok = (c.real = loc_malloc(ctx, n * sizeof *c.real)) != NULL;
    else if (ok && type == LOC_ATTR_INT)
        ok = (c.ints = loc_calloc(ctx, n, sizeof *c.ints)) != NULL;
    else if (ok)
        ok = (c.text = loc_calloc(ctx, n, sizeof *c.text)) != NULL;
    if (!ok) {
        free_col(ctx, &c, 0);
        return LOC_ENOMEM;
    }
    memset(c.null, 1, n);
    if (c.real)
        for (size_t r = 0; r < n; r++)
            c.real[r] = NAN;
    a->cols[a->ncols] = c;
    if (col)
        *col = a->ncols;
    a->ncols++;
    return LOC_OK;
}

/* The column to set, or NULL with the error set. */
static struct attr_col *cell(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, loc_attr_type type)
{
    static const char *const names[] = {"real", "int", "text"};
    if (col >= a->ncols) {
        loc_error(ctx, LOC_EINVAL, "attribute column %zu out of range (%zu columns)", col, a->ncols);
        return NULL;
    }
    struct attr_col *c = &a->cols[col];
    if (row >= a->nrows) {
        loc_error(ctx, LOC_EINVAL, "attribute column '%s': row %zu out of range (%zu rows)", c->name, row, a->nrows);
        return NULL;
    }
    if (c->type != type) {
        loc_error(ctx, LOC_EINVAL, "attribute column '%s' holds %s values, not %s", c->name, names[c->type],
                  names[type]);
        return NULL;
    }
    return c;
}

loc_status loc_attrs_set_real(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, double v)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_REAL);
    if (!c)
        return loc_errcode(ctx);
    c->real[row] = v;
    c->null[row] = isnan(v) != 0;
    return LOC_OK;
}

loc_status loc_attrs_set_int(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, int64_t v)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_INT);
    if (!c)
        return loc_errcode(ctx);
    c->ints[row] = v;
    c->null[row] = 0;
    return LOC_OK;
}

loc_status loc_attrs_set_text(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, const char *s)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_TEXT);
    if (!c)
        return loc_errcode(ctx);
    char *copy = NULL;
    if (s && !(copy = loc_strdup(ctx, s)))
        return LOC_ENOMEM;
    loc_free(ctx, c->text[row]);
    c->text[row] = copy;
    c->null[row] = copy == NULL;
    return LOC_OK;
}

size_t loc_attrs_nrows(const loc_attrs *a) { return a->nrows; }
size_t loc_attrs_ncols(const loc_attrs *a) { return a->ncols; }
const char *loc_attrs_name(const loc_attrs *a, size_t col) { return a->cols[col].name; }
loc_attr_type loc_attrs_type(const loc_attrs *a, size_t col) { return a->cols[col].type; }
int loc_attrs_is_null(const loc_attrs *a, size_t col, size_t row) { return a->cols[col].null[row]; }

double loc_attrs_real(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_REAL && !c->null[row] ? c->real[row] : NAN;
}

int64_t loc_attrs_int(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_INT && !c->null[row] ? c->ints[row] : 0;
}

const char *loc_attrs_text(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_TEXT ? c->text[row] : NULL;
}

/* =====================================================================
 * GDAL output: GeoJSON and GeoPackage
 * ===================================================================== */

/* Error-handler state: the first GDAL failure message lands in the
 * context's message buffer and sets failed. */
typedef struct gdal_err {
    loc_ctx *ctx;
    int failed;
} gdal_err;

/* 1 when a GDAL message says the disk is full in a driver's own words
 * (SQLite's "database or disk is full" inside an SQL statement, for the
 * GeoPackage), so that the user reads the cause, not the statement. */
static int disk_full(const char *msg)
{
    return msg && (strstr(msg, "disk is full") || strstr(msg, "No space left") || strstr(msg, "no space left"));
}

static void cpl_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    gdal_err *e = CPLGetErrorHandlerUserData();
    if (e && cls >= CE_Failure && !e->failed) {
        e->failed = 1;
        snprintf(e->ctx->geos_msg, sizeof e->ctx->geos_msg, "%s", disk_full(msg) ? "no space left on device" : msg);
    }
}

/* One GDAL output in progress. */
typedef struct gout {
    loc_ctx *ctx;
    const char *path;      /* final path, borrowed */
    char *tmp;             /* temporary path, owned */
    GDALDatasetH ds;       /* open while writing */
    GEOSWKBWriter *wkb;    /* GEOS -> OGR through ISO WKB */
    gdal_err err;          /* pushed handler state */
} gout;

/* ---------------------------------------------------------------------
 * Temporary files: every output is staged under a temporary name beside
 * its final one and renamed over it only when complete
 * --------------------------------------------------------------------- */

/*
 * Create a new temporary file beside path, named path.tmpPID.N + ext (GDAL
 * drivers look at the extension), with O_EXCL so that no one else's file
 * is ever written through.  *tmp (owned, loc_free) and *fd are set.  An
 * unwritable folder gets a plain "cannot write" message here rather than
 * a driver's.
 */
static loc_status reserve_temp(loc_ctx *ctx, const char *path, const char *ext, char **tmp, int *fd)
{
    size_t size = strlen(path) + strlen(ext) + 48;
    *fd = -1;
    if (!(*tmp = loc_malloc(ctx, size)))
        return LOC_ENOMEM;
    for (int attempt = 0; attempt < 100 && *fd < 0; attempt++) {
        snprintf(*tmp, size, "%s.tmp%ld.%d%s", path, (long)getpid(), attempt, ext);
        *fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (*fd < 0 && errno != EEXIST)
            break;
    }
    if (*fd >= 0)
        return LOC_OK;
    loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    loc_free(ctx, *tmp);
    *tmp = NULL;
    return LOC_EIO;
}

/* Remove a temporary and whatever SQLite left beside it.  A stack
 * buffer: an allocation failing here would replace the error being
 * reported with LOC_ENOMEM. */
static void remove_temp(const char *tmp)
{
    static const char *const extra[] = {"", "-journal", "-wal", "-shm"};
    char name[4200];
    for (size_t i = 0; tmp && i < sizeof extra / sizeof *extra; i++)
        if ((size_t)snprintf(name, sizeof name, "%s%s", tmp, extra[i]) < sizeof name)
            unlink(name);
}

/* Rename a staged file over path (removing it when that fails) and free
 * the name. */
static loc_status commit_temp(loc_ctx *ctx, char *tmp, const char *path)
{
    loc_status st = LOC_OK;
    if (rename(tmp, path) != 0) {
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        remove_temp(tmp);
    }
    loc_free(ctx, tmp);
    return st;
}

/* Remove a staged file and free the name. */
static void discard_temp(loc_ctx *ctx, char *tmp)
{
    remove_temp(tmp);
    loc_free(ctx, tmp);
}

/* Reserve a temporary name for path and create the GDAL dataset there
 * (the reserved file is removed again for the driver to create). */
static loc_status gout_open(loc_ctx *ctx, gout *o, const char *driver, const char *path, const char *ext)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->path = path;
    o->err.ctx = ctx;
    loc_gdal_init();
    CPLPushErrorHandlerEx(cpl_handler, &o->err);
    int fd;
    loc_status st = reserve_temp(ctx, path, ext, &o->tmp, &fd);
    if (st)
        return st;
    close(fd);
    unlink(o->tmp);
    GDALDriverH drv = GDALGetDriverByName(driver);
    if (!drv)
        return loc_error(ctx, LOC_EIO, "cannot write '%s': GDAL has no %s driver", path, driver);
    loc_geos_clear(ctx);
    o->ds = GDALCreate(drv, o->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!o->ds)
        return loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, loc_geos_msg(ctx));
    if (!(o->wkb = GEOSWKBWriter_create_r(loc_geos(ctx))))
        return loc_error(ctx, LOC_EGEOM, "cannot write '%s': GEOS cannot create a WKB writer", path);
    GEOSWKBWriter_setByteOrder_r(loc_geos(ctx), o->wkb, GEOS_WKB_NDR);
    return LOC_OK;
}

/* Close the dataset.  When st is LOC_OK and GDAL reported no failure, hand
 * the finished temporary to *staged (owned by the caller); otherwise
 * remove it.  Returns the final status. */
static loc_status gout_close(gout *o, loc_status st, char **staged)
{
    loc_ctx *ctx = o->ctx;
    *staged = NULL;
    if (o->wkb)
        GEOSWKBWriter_destroy_r(loc_geos(ctx), o->wkb);
    if (o->ds) {
        if (!st)
            loc_geos_clear(ctx);
        GDALClose(o->ds);
        if (!st && o->err.failed)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", o->path, loc_geos_msg(ctx));
    }
    if (o->tmp) {
        if (st)
            discard_temp(ctx, o->tmp);
        else
            *staged = o->tmp;
    }
    CPLPopErrorHandler();
    return st;
}

/* Record a GDAL failure on o's path. */
static loc_status gout_fail(gout *o, const char *what)
{
    return loc_error(o->ctx, LOC_EIO, "cannot write '%s': %s: %s", o->path, what,
                     o->err.failed ? loc_geos_msg(o->ctx) : "GDAL error");
}

/* GEOS geometry -> new OGR MultiPolygon (NULL for an empty one, *st
 * unchanged).  On failure NULL with *st set. */
static OGRGeometryH to_ogr(gout *o, const GEOSGeometry *g, const char *what, loc_status *st)
{
    GEOSContextHandle_t h = loc_geos(o->ctx);
    if (GEOSisEmpty_r(h, g) == 1)
        return NULL;
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
    static const OGRFieldType types[NFIXED] = {OFTString, OFTString,  OFTString, OFTString, OFTReal,
                                                OFTInteger, OFTReal, OFTReal,   OFTReal};
    for (size_t i = 0; i < NFIXED && !st; i++)
        st = add_field(o, l, fixed_fields[i], types[i]);
    static const OGRFieldType atypes[] = {OFTReal, OFTInteger64, OFTString};
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t c = 0; c < na && !st; c++)
        st = add_field(o, l, loc_attrs_name(a, c), atypes[loc_attrs_type(a, c)]);
    /* the GeoJSON driver moves its ID_FIELD out of the properties, so the
     * feature id gets a copy of the code and "code" stays a property */
    int id_idx = (int)(NFIXED + na);
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
            int fi = (int)(NFIXED + col);
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
        OGRGeometryH g = to_ogr(o, d->geoms[k], what, &st);
        if (g)
            OGR_F_SetGeometryDirectly(f, g);
        if (!st && OGR_L_CreateFeature(l, f) != OGRERR_NONE)
            st = gout_fail(o, what);
        OGR_F_Destroy(f);
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
        OGRGeometryH g = to_ogr(o, loc_boundaries_geom(d->b, (size_t)bi), what, &st);
        if (g)
            OGR_F_SetGeometryDirectly(f, g);
        if (!st && OGR_L_CreateFeature(l, f) != OGRERR_NONE)
            st = gout_fail(o, what);
        OGR_F_Destroy(f);
    }
    if (tx && GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE && !st)
        st = gout_fail(o, "layer 'zones'");
    return st;
}

static loc_status check_attrs(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const char *path)
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
    loc_status st = check_attrs(ctx, d, attrs, path);
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
static void gj_real(FILE *f, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", v);
    fputs(buf, f);
    if (!strchr(buf, '.') && !strchr(buf, 'e'))
        fputs(".0", f);
}

/* ", name: v" for a finite v; nothing otherwise, as the driver leaves a
 * value JSON cannot hold out.  name needs no escaping. */
static void gj_member_real(FILE *f, const char *name, double v)
{
    if (!isfinite(v))
        return;
    fprintf(f, ", \"%s\": ", name);
    gj_real(f, v);
}

/* A JSON string as json-c writes it, '/' not escaped. */
static void gj_string(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* a run that needs no escape in one write */
        size_t run = 0;
        while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run) {
            fwrite(p, 1, run, f);
            p += run - 1;
            continue;
        }
        switch (*p) {
        case '\b': fputs("\\b", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\f': fputs("\\f", f); break;
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
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
    size_t mask = v->tcap - 1, s = (size_t)mix64(coord_bits(x) * 31 + mix64(coord_bits(y))) & mask;
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
        v->ntext += (size_t)sprintf(v->text + v->ntext, "[ %s, %s ]", a, b);
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
static void gj_ring(FILE *f, const gj_verts *v, const uint32_t *seq, size_t n, int exterior)
{
    int flip = gj_clockwise(v, seq, n) == exterior;
    fputs("[ ", f);
    for (size_t i = 0; i < n; i++) {
        uint32_t p = seq[flip ? n - 1 - i : i];
        if (i)
            fputs(", ", f);
        fwrite(v->text + v->text_at[p], 1, v->text_at[p + 1] - v->text_at[p], f);
    }
    fputs(" ]", f);
}

/* Polygon pg's rings, consuming their points from v->seq at *at. */
static void gj_polygon(FILE *f, GEOSContextHandle_t h, const gj_verts *v, const GEOSGeometry *pg, size_t *at)
{
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    fputs("[ ", f);
    for (int r = -1; r < nh; r++) {
        const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, pg) : GEOSGetInteriorRingN_r(h, pg, r);
        size_t n = (size_t)GEOSGetNumCoordinates_r(h, ring);
        if (r >= 0)
            fputs(", ", f);
        gj_ring(f, v, v->seq + *at, n, r < 0);
        *at += n;
    }
    fputs(" ]", f);
}

/* The geometry member of locality k (null when empty). */
static void gj_geometry(FILE *f, GEOSContextHandle_t h, const gj_verts *v, const GEOSGeometry *g, size_t *at)
{
    if (GEOSisEmpty_r(h, g) == 1) {
        fputs("null", f);
        return;
    }
    if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON) {
        fputs("{ \"type\": \"Polygon\", \"coordinates\": ", f);
        gj_polygon(f, h, v, g, at);
    } else {
        int n = GEOSGetNumGeometries_r(h, g);
        fputs("{ \"type\": \"MultiPolygon\", \"coordinates\": [ ", f);
        for (int i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            gj_polygon(f, h, v, GEOSGetGeometryN_r(h, g, i), at);
        }
        fputs(" ]", f);
    }
    fputs(" }", f);
}

/* A text property, null when NULL. */
static void gj_text(FILE *f, const char *s)
{
    if (s)
        gj_string(f, s);
    else
        fputs("null", f);
}

/* Locality k's properties: the fixed fields, then every attribute. */
static void gj_properties(FILE *f, const loc_dissolved *d, const loc_attrs *a, size_t k)
{
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    int32_t c = loc_partition_council(p, k);
    size_t nm;
    loc_partition_members(p, k, &nm);
    double cpt = loc_dissolved_compactness(d, k);
    fputs("{ \"code\": ", f);
    gj_text(f, loc_partition_code(p, k));
    fputs(", \"name\": ", f);
    gj_text(f, loc_partition_name(p, k));
    fputs(", \"council_code\": ", f);
    gj_text(f, c >= 0 ? loc_zones_council_code(z, (size_t)c) : NULL);
    fputs(", \"council_name\": ", f);
    gj_text(f, c >= 0 ? loc_zones_council_name(z, (size_t)c) : NULL);
    gj_member_real(f, "population", loc_partition_population(p, k));
    fprintf(f, ", \"zones\": %d", (int)nm);
    /* the same rounding as the GDAL writers' fields */
    gj_member_real(f, "area_km2", round(d->area[k] / 1e3) / 1e3);
    gj_member_real(f, "perimeter_km", round(d->perim[k]) / 1e3);
    if (isnan(cpt))
        fputs(", \"compactness\": null", f);
    else
        gj_member_real(f, "compactness", round(cpt * 1e6) / 1e6);
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t col = 0; col < na; col++) {
        /* the driver leaves out an infinite value (JSON has none) */
        if (!loc_attrs_is_null(a, col, k) && loc_attrs_type(a, col) == LOC_ATTR_REAL &&
            !isfinite(loc_attrs_real(a, col, k)))
            continue;
        fputs(", ", f);
        gj_string(f, loc_attrs_name(a, col));
        fputs(": ", f);
        if (loc_attrs_is_null(a, col, k))
            fputs("null", f);
        else if (loc_attrs_type(a, col) == LOC_ATTR_REAL)
            gj_real(f, loc_attrs_real(a, col, k));
        else if (loc_attrs_type(a, col) == LOC_ATTR_INT)
            fprintf(f, "%lld", (long long)loc_attrs_int(a, col, k));
        else
            gj_string(f, loc_attrs_text(a, col, k));
    }
    fputs(" }", f);
}

/* The whole FeatureCollection to f. */
static void gj_collection(FILE *f, loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const gj_verts *v)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    size_t at = 0;
    fputs("{\n\"type\": \"FeatureCollection\",\n\"features\": [\n", f);
    for (size_t k = 0; k < d->n; k++) {
        fputs(k ? ",\n{ \"type\": \"Feature\", \"id\": " : "{ \"type\": \"Feature\", \"id\": ", f);
        gj_string(f, loc_partition_code(d->p, k));
        fputs(", \"properties\": ", f);
        gj_properties(f, d, a, k);
        fputs(", \"geometry\": ", f);
        gj_geometry(f, h, v, d->geoms[k], &at);
        fputs(" }", f);
    }
    fputs("\n]\n}\n", f);
}

/* Write localities.geojson directly to a temporary beside path; *tmp
 * gets it. */
static loc_status stage_geojson(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                                char **tmp)
{
    gj_verts v;
    FILE *f = NULL;
    int fd = -1;
    memset(&v, 0, sizeof v);
    *tmp = NULL;
    loc_status st = check_attrs(ctx, d, attrs, path);
    if (st)
        return st;
    loc_gdal_init();
    size_t points = 0;
    for (size_t k = 0; k < d->n; k++) {
        int np = GEOSGetNumCoordinates_r(loc_geos(ctx), d->geoms[k]);
        points += np > 0 ? (size_t)np : 0;
    }
    if (table_reset(ctx, &v.tab, &v.tcap, points))
        st = LOC_ENOMEM;
    for (size_t k = 0; k < d->n && !st; k++)
        if ((st = gj_collect(ctx, &v, d->geoms[k])) == LOC_EGEOM)
            st = loc_error(ctx, LOC_EGEOM, "cannot write '%s': GEOS cannot read locality '%s'", path,
                           loc_partition_code(d->p, k));
    if (!st)
        st = gj_project(ctx, &v, path);
    if (!st)
        st = reserve_temp(ctx, path, "", tmp, &fd);
    if (!st && !(f = fdopen(fd, "w")))
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (f) {
        fd = -1;
        setvbuf(f, NULL, _IOFBF, 1 << 20);
        gj_collection(f, ctx, d, attrs, &v);
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        if (fclose(f) != 0 && !st)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    if (st && *tmp) {
        discard_temp(ctx, *tmp);
        *tmp = NULL;
    }
    gj_verts_free(ctx, &v);
    return st;
}

static loc_status stage_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                             char **tmp)
{
    *tmp = NULL;
    loc_status st = check_attrs(ctx, d, attrs, path);
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
    loc_status st = stage_geojson(ctx, d, attrs, path, &tmp);
    return st ? st : commit_temp(ctx, tmp, path);
}

loc_status loc_write_geojson_gdal(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = stage_geojson_gdal(ctx, d, attrs, path, &tmp);
    return st ? st : commit_temp(ctx, tmp, path);
}

loc_status loc_write_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = stage_gpkg(ctx, d, attrs, path, &tmp);
    return st ? st : commit_temp(ctx, tmp, path);
}

/* =====================================================================
 * HTML report
 * ===================================================================== */

#define MAP_W 460.0        /* map width in pixels */
#define MAP_MAX_H 520.0    /* map height limit in pixels */
#define PLOT_W 560.0       /* funnel plot size */
#define PLOT_H 340.0
#define NCLASS 7           /* sequential colour classes */

/* Sequential scale, light to dark (ColorBrewer YlGnBu, 7 classes). */
static const char *const seq_colours[NCLASS] = {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4",
                                                "#1d91c0", "#225ea8", "#0c2c84"};
#define FLAG_ON "#d7301f"
#define FLAG_OFF "#d9d9d9"
#define NO_DATA "#ffffff"

/* State for one report. */
typedef struct rep {
    loc_ctx *ctx;
    FILE *f;                     /* temporary file being written */
    const loc_dissolved *d;
    const loc_attrs *a;
    const loc_report_opts *o;
    long flag_col, value_col;    /* attrs columns, -1 when none */
    double breaks[NCLASS + 1];   /* value_column class limits: quantiles over all localities, NaN when none */
    GEOSGeometry **simple;       /* per locality, simplified for the current map, owned */
    long reason_col;             /* attrs column of the reason, -1 when none */
    long *group;                 /* per locality: the number of its council's map, -1 when not drawn */
    double (*bb)[4];             /* per locality: its box on its council's map, pixels (x0, y0, x1, y1) */
    double (*gsize)[2];          /* per council map: width and height of the map proper, pixels */
    size_t ngroups;
    long (*flag_cols)[2];        /* per profile indicator: its flag columns against the rest of the
                                  * council and Scotland (-1 when none), found once, not per locality */
} rep;

/* A growing string from the context's allocator, for path data that is
 * written twice (the council map and the locality's profile). */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(rep *r, sbuf *b, const char *fmt, ...) LOC_PRINTF(3, 4);
static void sb_printf(rep *r, sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (int tries = 0; tries < 2; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *ns = loc_realloc(r->ctx, b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* Append n bytes. */
static void sb_put(rep *r, sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n >= b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + n)
            cap *= 2;
        char *ns = loc_realloc(r->ctx, b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* q tenths as "%.1f" prints q / 10.0 (the same text: a double that near
 * a tenth rounds back to it), at p; returns the end.  The maps write
 * hundreds of thousands of these, and printf's general path is most of
 * the report's time. */
static char *put_tenths(char *p, long q)
{
    char digits[24];
    size_t n = 0;
    unsigned long u = q < 0 ? 0UL - (unsigned long)q : (unsigned long)q;
    if (q < 0)
        *p++ = '-';
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n == 1)
        digits[n++] = '0'; /* the units digit of 0.x */
    while (n > 1)
        *p++ = digits[--n];
    *p++ = '.';
    *p++ = digits[0];
    return p;
}

/* One path point, cmd ('M' or 'L') then x and y in tenths of a pixel, as
 * "%c%.1f %.1f" writes it. */
static void sb_point(rep *r, sbuf *b, char cmd, long qx, long qy)
{
    char buf[64], *p = buf;
    *p++ = cmd;
    p = put_tenths(p, qx);
    *p++ = ' ';
    p = put_tenths(p, qy);
    sb_put(r, b, buf, (size_t)(p - buf));
}

/* Text with &, <, >, " and ' escaped, so any string is safe in element
 * content and in quoted attributes alike. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Text inside a JSON string inside a <script> element: quotes,
 * backslashes and control characters escaped, and '<' as \u003c so that
 * no "</script>" can end the element early. */
static void put_json_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* A whole number with its thousands grouped by commas (as the report's
 * readers write them; no locale involved). */
static void grouped(FILE *f, double v)
{
    char d[64];
    int n = snprintf(d, sizeof d, "%.0f", fabs(v));
    if (n <= 0 || n >= (int)sizeof d) {
        fprintf(f, "%.0f", v);
        return;
    }
    if (v < 0 && strcmp(d, "0") != 0)
        fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            fputc(',', f);
        fputc(d[i], f);
    }
}

/* A number for people: whole numbers grouped by thousands, and fixed
 * decimals that depend only on the size. */
static void num(FILE *f, double v)
{
    if (isnan(v))
        fputs("&ndash;", f);
    else if (fabs(v) >= 1000 || v == floor(v))
        grouped(f, v);
    else if (fabs(v) >= 10)
        fprintf(f, "%.1f", v);
    else
        fprintf(f, "%.3g", v);
}

static const char *council_name(const rep *r, size_t k)
{
    int32_t c = loc_partition_council(r->d->p, k);
    return c >= 0 ? loc_zones_council_name(loc_partition_zones(r->d->p), (size_t)c) : "several councils";
}

static double value_of(const rep *r, size_t k)
{
    if (r->value_col < 0)
        return NAN;
    return loc_attrs_real(r->a, (size_t)r->value_col, k) * (r->o->value_scale ? r->o->value_scale : 1);
}

static int flagged(const rep *r, size_t k)
{
    return r->flag_col >= 0 && !loc_attrs_is_null(r->a, (size_t)r->flag_col, k) &&
           loc_attrs_int(r->a, (size_t)r->flag_col, k) != 0;
}

/* The class of v: the last class whose lower limit it reaches. */
static int value_class(const rep *r, double v)
{
    if (isnan(v) || isnan(r->breaks[0]))
        return -1;
    int c = 0;
    while (c + 1 < NCLASS && v >= r->breaks[c + 1])
        c++;
    return c;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile classes: indicator values are skewed (most localities near
 * the middle, a few far out), and equal-interval classes would paint
 * nearly every locality one colour.  Each class holds about 1/NCLASS of
 * the localities, so neighbouring colours always mean a real ranking. */
static loc_status value_breaks(rep *r)
{
    size_t m = 0, n = r->d->n;
    for (int c = 0; c <= NCLASS; c++)
        r->breaks[c] = NAN;
    if (r->value_col < 0)
        return LOC_OK;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        double x = value_of(r, k);
        if (!isnan(x))
            v[m++] = x;
    }
    if (m) {
        qsort(v, m, sizeof *v, cmp_double);
        for (int c = 0; c <= NCLASS; c++)
            r->breaks[c] = v[(size_t)c * (m - 1) / NCLASS];
    }
    loc_free(r->ctx, v);
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Maps
 * --------------------------------------------------------------------- */

/* Map frame: BNG metres to pixels. */
typedef struct frame {
    double x0, y1;   /* west and north edges, metres */
    double s;        /* pixels per metre */
    double w, h;     /* pixels */
} frame;

/* One ring as a closed subpath, dropping points that round onto the
 * previous one. */
static loc_status put_ring(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *ring)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_geos_msg(r->ctx));
    long px = 0, py = 0;
    for (unsigned i = 0; i + 1 < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_geos_msg(r->ctx));
        /* tenths of a pixel: sharp at any zoom, short to write */
        long qx = lround((x - fr->x0) * fr->s * 10), qy = lround((fr->y1 - y) * fr->s * 10);
        if (i && qx == px && qy == py)
            continue;
        sb_point(r, b, i ? 'L' : 'M', qx, qy);
        px = qx;
        py = qy;
    }
    sb_printf(r, b, "Z");
    return b->failed ? LOC_ENOMEM : LOC_OK;
}

static loc_status put_polygon(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *pg)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    if (GEOSisEmpty_r(h, pg) == 1)
        return LOC_OK;
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(h, pg);
    int nh = GEOSGetNumInteriorRings_r(h, pg);
    if (!ext || nh < 0)
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a polygon: %s", loc_geos_msg(r->ctx));
    loc_status st = put_ring(r, b, fr, ext);
    for (int i = 0; i < nh && !st; i++) {
        const GEOSGeometry *hole = GEOSGetInteriorRingN_r(h, pg, i);
        st = hole ? put_ring(r, b, fr, hole) : LOC_EGEOM;
    }
    return st;
}

/* A locality's path data (polygons, or the parts of a multipolygon). */
static loc_status put_geometry(rep *r, sbuf *b, const frame *fr, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON)
        return put_polygon(r, b, fr, g);
    int n = GEOSGetNumGeometries_r(h, g);
    loc_status st = n < 0 ? LOC_EGEOM : LOC_OK;
    for (int i = 0; i < n && !st; i++) {
        const GEOSGeometry *pg = GEOSGetGeometryN_r(h, g, i);
        st = pg ? put_polygon(r, b, fr, pg) : LOC_EGEOM;
    }
    return st;
}

/* A label's place: a point inside the locality (GEOS point on surface),
 * in map pixels.  0 when GEOS cannot give one. */
static int label_point(rep *r, const frame *fr, size_t k, double *x, double *y)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    GEOSGeometry *pt = GEOSPointOnSurface_r(h, r->d->geoms[k]);
    int ok = pt && GEOSisEmpty_r(h, pt) == 0 && GEOSGeomGetX_r(h, pt, x) && GEOSGeomGetY_r(h, pt, y);
    if (pt)
        GEOSGeom_destroy_r(h, pt);
    if (!ok)
        return 0;
    *x = (*x - fr->x0) * fr->s;
    *y = (fr->y1 - *y) * fr->s;
    return 1;
}

static double credits_h(const rep *r);

/* A scale bar of a round length near a fifth of the map's width, and the
 * attribution lines, under the map at y. */
static void put_scale_and_credits(rep *r, const frame *fr, double y)
{
    FILE *f = r->f;
    double want = fr->w / 5 / fr->s, p = pow(10, floor(log10(want))), m = want / p;
    double len = p * (m < 2 ? 1 : m < 5 ? 2 : 5), px = len * fr->s;
    /* on a white strip: in a close-up the map runs on beneath it */
    fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#fff\"/>", y - 2, fr->w, credits_h(r) + 2);
    fprintf(f, "<g class=\"scale\"><path d=\"M6 %.1fv4h%.1fv-4\"/><text x=\"%.1f\" y=\"%.1f\">", y + 2, px,
            10 + px, y + 7);
    if (len >= 1000)
        fprintf(f, "%g km", len / 1000);
    else
        fprintf(f, "%g m", len);
    fputs("</text></g>\n", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        fprintf(f, "<text class=\"credit\" x=\"6\" y=\"%.1f\">", y + 19 + 9 * (double)i);
        esc(f, r->o->attribution[i]);
        fputs("</text>\n", f);
    }
}

/* Frame and simplified geometries for the localities in list. */
static loc_status prepare_map(rep *r, const size_t *list, size_t n, frame *fr)
{
    GEOSContextHandle_t h = loc_geos(r->ctx);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *g = r->d->geoms[list[i]];
        double a, b, c, e;
        if (GEOSisEmpty_r(h, g) == 1)
            continue;
        if (!GEOSGeom_getXMin_r(h, g, &a) || !GEOSGeom_getYMin_r(h, g, &b) || !GEOSGeom_getXMax_r(h, g, &c) ||
            !GEOSGeom_getYMax_r(h, g, &e))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot measure a locality: %s", loc_geos_msg(r->ctx));
        x0 = fmin(x0, a);
        y0 = fmin(y0, b);
        x1 = fmax(x1, c);
        y1 = fmax(y1, e);
    }
    if (!(x1 > x0) || !(y1 > y0)) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    double pad = 0.02 * fmax(x1 - x0, y1 - y0);
    x0 -= pad;
    y0 -= pad;
    x1 += pad;
    y1 += pad;
    fr->s = fmin(MAP_W / (x1 - x0), MAP_MAX_H / (y1 - y0));
    fr->x0 = x0;
    fr->y1 = y1;
    fr->w = ceil((x1 - x0) * fr->s);
    fr->h = ceil((y1 - y0) * fr->s);
    /* half a pixel: finer detail is invisible and only makes the file big */
    double tol = 0.5 / fr->s;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i];
        loc_geos_clear(r->ctx);
        if (!(r->simple[k] = GEOSTopologyPreserveSimplify_r(h, r->d->geoms[k], tol)))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot simplify locality '%s': %s",
                             loc_partition_code(r->d->p, k), loc_geos_msg(r->ctx));
    }
    return LOC_OK;
}

static void release_map(rep *r, const size_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r->simple[list[i]]) {
            GEOSGeom_destroy_r(loc_geos(r->ctx), r->simple[list[i]]);
            r->simple[list[i]] = NULL;
        }
}

/* The height under a map for its scale bar and attribution lines. */
static double credits_h(const rep *r) { return 14 + 9 * (double)r->o->nattribution; }

/* One map: by flag (by_value 0) or by value class.  The flag map's paths
 * sit in a group named after the council's map, so that each locality's
 * profile can show the same map with the locality picked out; flagged
 * localities are labelled, the others carry labels shown only when the
 * reader zooms in. */
static loc_status put_map(rep *r, const size_t *list, size_t n, const frame *fr, int by_value, const char *label,
                          long grp)
{
    FILE *f = r->f;
    loc_status st = LOC_OK;
    double hh = fr->h + credits_h(r);
    fprintf(f, "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\" aria-label=\"", fr->w, hh, fr->w, hh);
    esc(f, label);
    fputs("\">\n", f);
    if (!by_value)
        fprintf(f, "<g id=\"cm-%ld\">\n", grp);
    for (size_t i = 0; i < n && !st; i++) {
        size_t k = list[i];
        const char *fill;
        if (by_value) {
            int c = value_class(r, value_of(r, k));
            fill = c < 0 ? NO_DATA : seq_colours[c];
        } else {
            fill = flagged(r, k) ? FLAG_ON : FLAG_OFF;
        }
        sbuf b = {0};
        st = put_geometry(r, &b, fr, r->simple[k]);
        if (!st && b.failed)
            st = LOC_ENOMEM;
        if (st) {
            loc_free(r->ctx, b.s);
            break;
        }
        if (by_value)
            fprintf(f, "<path data-k=\"%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        else
            fprintf(f, "<path id=\"lp-%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        esc(f, loc_partition_code(r->d->p, k));
        fputc(' ', f);
        esc(f, loc_partition_name(r->d->p, k));
        if (by_value) {
            fputs(": ", f);
            num(f, value_of(r, k));
        } else if (r->flag_col >= 0) {
            fputs(flagged(r, k) ? ": flagged" : ": not flagged", f);
        }
        fputs("</title></path>\n", f);
        if (!by_value && r->group) {
            r->group[k] = grp; /* the profile shows this map */
            GEOSContextHandle_t h = loc_geos(r->ctx);
            double a, b2, c2, e;
            if (GEOSGeom_getXMin_r(h, r->simple[k], &a) && GEOSGeom_getYMin_r(h, r->simple[k], &b2) &&
                GEOSGeom_getXMax_r(h, r->simple[k], &c2) && GEOSGeom_getYMax_r(h, r->simple[k], &e)) {
                r->bb[k][0] = (a - fr->x0) * fr->s;
                r->bb[k][1] = (fr->y1 - e) * fr->s;
                r->bb[k][2] = (c2 - fr->x0) * fr->s;
                r->bb[k][3] = (fr->y1 - b2) * fr->s;
            }
        }
        loc_free(r->ctx, b.s);
    }
    if (!by_value)
        fputs("</g>\n", f);
    /* labels over the shapes: the flagged where they do not overlap one
     * already placed (greedy, in list order), every other one only on
     * zooming in, when there is room */
    double (*placed)[4] = by_value ? NULL : loc_malloc(r->ctx, (n ? n : 1) * sizeof *placed);
    size_t np = 0;
    for (size_t i = 0; i < n && !st && !by_value; i++) {
        size_t k = list[i];
        double x, y;
        if (!label_point(r, fr, k, &x, &y))
            continue;
        const char *name =
            loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k);
        int show = flagged(r, k) && placed;
        /* about 5.5 pixels a character at 10 px, centred; 11 px high */
        double hw = 2.75 * (double)strlen(name), box[4] = {x - hw, y - 10, x + hw, y + 2};
        for (size_t q = 0; q < np && show; q++)
            show = box[2] < placed[q][0] || box[0] > placed[q][2] || box[3] < placed[q][1] || box[1] > placed[q][3];
        if (show)
            memcpy(placed[np++], box, sizeof box);
        fprintf(f, "<text class=\"lb%s\" x=\"%.0f\" y=\"%.0f\">", show ? "" : " o", x, y);
        esc(f, name);
        fputs("</text>\n", f);
    }
    loc_free(r->ctx, placed);
    put_scale_and_credits(r, fr, fr->h + 2);
    fputs("</svg>\n", f);
    return st;
}

static void put_legends(rep *r, int by_value)
{
    FILE *f = r->f;
    fputs(by_value ? "<div class=\"legend vl\">" : "<div class=\"legend\">", f);
    if (!by_value && r->flag_col < 0) {
        fprintf(f, "<span><i style=\"background:%s\"></i>locality</span>", FLAG_OFF);
    } else if (!by_value) {
        fprintf(f, "<span><i style=\"background:%s\"></i>", FLAG_ON);
        esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        fprintf(f, "</span><span><i style=\"background:%s\"></i>not flagged</span>", FLAG_OFF);
    } else {
        fputs("<b>", f);
        esc(f, r->o->value_label ? r->o->value_label : loc_attrs_name(r->a, (size_t)r->value_col));
        /* the title on a line of its own, the classes below it */
        fprintf(f, "</b> (%d classes of about equal numbers of localities, all councils)<br>", NCLASS);
        for (int c = 0; c < NCLASS && !isnan(r->breaks[0]); c++) {
            /* classes emptied by tied values are left out of the legend */
            if (c > 0 && c + 1 < NCLASS && r->breaks[c] == r->breaks[c + 1])
                continue;
            fprintf(f, "<span><i style=\"background:%s\"></i>", seq_colours[c]);
            num(f, r->breaks[c]);
            fputs("&ndash;", f);
            num(f, r->breaks[c + 1]);
            fputs("</span>", f);
        }
        fprintf(f, "<span><i style=\"background:%s\"></i>no value</span>", NO_DATA);
    }
    fputs("</div>\n", f);
}

/* A close-up of the council's densest part, for print: where its
 * smallest localities (a third of them, at least two, and the flagged
 * ones among them) would be specks on the whole map, the same map again by
 * reference with a zoomed view box, every locality labelled, its own
 * scale bar and the attribution.  Costs labels only: the shapes are the
 * council map's. */
static void put_inset(rep *r, const size_t *list, size_t n, const frame *fr, long grp)
{
    if (n < 4)
        return;
    double *areas = loc_malloc(r->ctx, n * sizeof *areas);
    if (!areas)
        return;
    for (size_t i = 0; i < n; i++)
        areas[i] = r->d->area[list[i]];
    qsort(areas, n, sizeof *areas, cmp_double);
    double cut = areas[n / 3];
    loc_free(r->ctx, areas);
    /* the densest cluster of small localities: the small one with most
     * small ones within a sixth of the map's width, and those around it */
    double rad = fmax(fr->w, fr->h) / 6;
    size_t best = (size_t)-1, bestn = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i], c = 0;
        if (r->d->area[k] > cut || r->group[k] != grp)
            continue;
        double kx = (r->bb[k][0] + r->bb[k][2]) / 2, ky = (r->bb[k][1] + r->bb[k][3]) / 2;
        for (size_t j = 0; j < n; j++) {
            size_t q = list[j];
            if (r->d->area[q] > cut || r->group[q] != grp)
                continue;
            double qx = (r->bb[q][0] + r->bb[q][2]) / 2, qy = (r->bb[q][1] + r->bb[q][3]) / 2;
            c += hypot(qx - kx, qy - ky) <= rad;
        }
        if (c > bestn) {
            bestn = c;
            best = k;
        }
    }
    if (best == (size_t)-1)
        return;
    double bx = (r->bb[best][0] + r->bb[best][2]) / 2, by = (r->bb[best][1] + r->bb[best][3]) / 2;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    size_t in = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = list[i];
        if (r->d->area[k] > cut || r->group[k] != grp)
            continue;
        if (hypot((r->bb[k][0] + r->bb[k][2]) / 2 - bx, (r->bb[k][1] + r->bb[k][3]) / 2 - by) > rad)
            continue;
        x0 = fmin(x0, r->bb[k][0]);
        y0 = fmin(y0, r->bb[k][1]);
        x1 = fmax(x1, r->bb[k][2]);
        y1 = fmax(y1, r->bb[k][3]);
        in++;
    }
    if (in < 3 || !(x1 > x0) || !(y1 > y0))
        return;
    /* worth it only when the area is small on the whole map */
    double w = x1 - x0, h = y1 - y0;
    if (w > 0.45 * fr->w || h > 0.45 * fr->h)
        return;
    double pad = 0.15 * fmax(w, h);
    x0 -= pad;
    y0 -= pad;
    w += 2 * pad;
    h += 2 * pad;
    /* the map's own shape, so the inset sits beside it at the same size */
    if (w / h < fr->w / fr->h) {
        double nw = h * fr->w / fr->h;
        x0 -= (nw - w) / 2;
        w = nw;
    } else {
        double nh = w * fr->h / fr->w;
        y0 -= (nh - h) / 2;
        h = nh;
    }
    double zoom = fr->w / w, lb = 10 / zoom;
    FILE *f = r->f;
    fputs("<figure>", f);
    fprintf(f, "<svg class=\"map inset\" viewBox=\"%.1f %.1f %.1f %.1f\" width=\"%.0f\" height=\"%.0f\" "
               "style=\"--lb:%.2fpx\" role=\"img\" aria-label=\"close-up of the densest localities\">"
               "<use href=\"#cm-%ld\" stroke=\"#555\" stroke-width=\"%.3f\"/>\n",
            x0, y0, w, h + credits_h(r) / zoom, fr->w, fr->h + credits_h(r), lb, grp, 0.8 / zoom);
    /* names where they fit: the flagged first, then the others, each
     * skipped when it would overlap one placed (all are named on hover) */
    double (*placed)[4] = loc_malloc(r->ctx, n * sizeof *placed);
    size_t np = 0;
    for (int pass = 0; pass < 2 && placed; pass++)
        for (size_t i = 0; i < n; i++) {
            size_t k = list[i];
            double x, y;
            if ((flagged(r, k) != 0) != (pass == 0) || r->group[k] != grp || !label_point(r, fr, k, &x, &y) ||
                x < x0 || x > x0 + w || y < y0 || y > y0 + h)
                continue;
            const char *name =
                loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k);
            double hw = 2.75 * (double)strlen(name) / zoom, box[4] = {x - hw, y - 10 / zoom, x + hw, y + 2 / zoom};
            int fits = 1;
            for (size_t q = 0; q < np && fits; q++)
                fits = box[2] < placed[q][0] || box[0] > placed[q][2] || box[3] < placed[q][1] || box[1] > placed[q][3];
            if (!fits)
                continue;
            memcpy(placed[np++], box, sizeof box);
            fprintf(f, "<text class=\"lb\" x=\"%.1f\" y=\"%.1f\">", x, y);
            esc(f, name);
            fputs("</text>\n", f);
        }
    loc_free(r->ctx, placed);
    /* scale bar and credits in the zoomed frame's own units */
    frame z = {fr->x0 + x0 / fr->s, fr->y1 - y0 / fr->s, fr->s * zoom, fr->w, fr->h};
    fprintf(f, "<g transform=\"translate(%.2f %.2f) scale(%.5f)\">", x0, y0, 1 / zoom);
    put_scale_and_credits(r, &z, fr->h + 2);
    fputs("</g></svg>\n<div class=\"legend\">Close-up of the densest part of the council, the localities named where "
          "the names fit"
          "</div></figure>\n", f);
}

/* Per council (and one group for localities spanning councils), its maps. */
static loc_status put_maps(rep *r)
{
    const loc_zones *z = loc_partition_zones(r->d->p);
    size_t nc = loc_zones_ncouncils(z), n = r->d->n;
    size_t *list = loc_malloc(r->ctx, (n ? n : 1) * sizeof *list);
    loc_status st = LOC_OK;
    if (!list)
        return LOC_ENOMEM;
    if (r->flag_col < 0 && r->value_col < 0)
        fputs("<p>No flag or indicator column was chosen; the maps show the localities only.</p>\n", r->f);
    for (long c = 0; c <= (long)nc && !st; c++) {
        /* c == nc: localities spanning councils, or with none */
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            int32_t kc = loc_partition_council(r->d->p, k);
            if ((c < (long)nc && kc == c) || (c == (long)nc && kc < 0))
                list[m++] = k;
        }
        if (!m)
            continue;
        frame fr;
        if ((st = prepare_map(r, list, m, &fr)))
            break;
        if (r->gsize && (size_t)c < r->ngroups) {
            r->gsize[c][0] = fr.w;
            r->gsize[c][1] = fr.h;
        }
        fputs("<section class=\"council\"><h3>", r->f);
        if (c < (long)nc) {
            esc(r->f, loc_zones_council_name(z, (size_t)c));
            fputs(" <small>", r->f);
            esc(r->f, loc_zones_council_code(z, (size_t)c));
            fputs("</small>", r->f);
        } else {
            fputs("Localities spanning councils", r->f);
        }
        fprintf(r->f, " <small>(%zu localit%s)</small></h3>\n<div class=\"maps\">\n", m, m == 1 ? "y" : "ies");
        if (r->flag_col >= 0 || r->value_col < 0) {
            fputs("<figure>", r->f);
            st = put_map(r, list, m, &fr, 0, "localities by flag", c);
            put_legends(r, 0);
            fputs("</figure>\n", r->f);
        }
        if (!st && r->value_col >= 0) {
            fputs("<figure>", r->f);
            st = put_map(r, list, m, &fr, 1, "localities by indicator", c);
            put_legends(r, 1);
            fputs("</figure>\n", r->f);
        }
        if (!st && (r->flag_col >= 0 || r->value_col < 0))
            put_inset(r, list, m, &fr, c);
        fputs("</div></section>\n", r->f);
        release_map(r, list, m);
    }
    loc_free(r->ctx, list);
    return st;
}

/* ---------------------------------------------------------------------
 * Funnel plots
 * --------------------------------------------------------------------- */

/* A round step near span / 5 for axis ticks. */
static double nice_step(double span)
{
    if (!(span > 0))
        return 1;
    double raw = span / 5, p = pow(10, floor(log10(raw))), m = raw / p;
    return p * (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10);
}

/* A point's class from its flag. */
static const char *flag_class(int flag)
{
    return flag == LOC_FLAG_POORER ? "worse" : flag == LOC_FLAG_BETTER ? "better" : "";
}

static int cmp_double_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The y range of a chart: the 2nd to the 98th percentile of the points,
 * widened to the other values that must show (limits, centre), so that a
 * single extreme point does not flatten the rest; points beyond are drawn
 * on the edge and named under the chart. */
static void y_range(rep *r, const double *v, size_t n, double *lo, double *hi)
{
    double *s = loc_malloc(r->ctx, (n ? n : 1) * sizeof *s);
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k]))
            (s ? (void)(s[m] = v[k]) : (void)0), m++;
    if (!s || !m) {
        loc_free(r->ctx, s);
        return;
    }
    qsort(s, m, sizeof *s, cmp_double_asc);
    size_t a = m >= 50 ? m / 50 : 0, b = m >= 50 ? m - 1 - m / 50 : m - 1;
    *lo = fmin(*lo, s[a]);
    *hi = fmax(*hi, s[b]);
    loc_free(r->ctx, s);
}

/* Axes and frame of a chart; the y ticks in shown units. */
typedef struct chart {
    double L, R, T, B, W, H;  /* margins and plot size */
    double xmax, ymin, ymax;  /* data range */
} chart;

static double cx(const chart *c, double x) { return c->L + x / c->xmax * c->W; }
static double cy(const chart *c, double y)
{
    double v = c->T + (c->ymax - y) / (c->ymax - c->ymin) * c->H;
    return fmin(fmax(v, c->T), c->T + c->H);
}

static void put_frame(rep *r, const chart *c, size_t id, const char *xlabel, const char *unit, const char *alt)
{
    FILE *f = r->f;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"", PLOT_W,
            PLOT_H, PLOT_W, PLOT_H);
    esc(f, alt);
    fputs("\">\n", f);
    fprintf(f, "<defs><clipPath id=\"clip%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n",
            id, c->L, c->T, c->W, c->H);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", c->L,
            c->T, c->W, c->H);
    double ys = nice_step(c->ymax - c->ymin);
    /* ticks from whole multiples of the step, so that labels never show
     * accumulated rounding (14.999...) */
    int ydec = (int)fmax(0, -floor(log10(ys) + 1e-9));
    for (long i = (long)ceil(c->ymin / ys - 1e-9); (double)i * ys <= c->ymax + 1e-12; i++) {
        double v = (double)i * ys;
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">", c->L, c->L + c->W, cy(c, v),
                cy(c, v), c->L - 4, cy(c, v) + 4);
        fprintf(f, "%.*f</text>\n", ydec, fabs(v) < 1e-12 ? 0 : v);
    }
    double xs = nice_step(c->xmax);
    for (long i = 0; (double)i * xs <= c->xmax + 1e-9; i++) {
        double m = (double)i * xs;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">", cx(c, m), c->T + c->H + 16);
        num(f, m);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">", c->L + c->W / 2, PLOT_H - 6);
    esc(f, xlabel);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">", 4.0, c->T - 8);
    esc(f, alt);
    if (unit && *unit) {
        fputs(" (", f);
        esc(f, unit[0] == ' ' ? unit + 1 : unit);
        fputc(')', f);
    }
    fputs("</text>\n", f);
}

/* One point: a circle with its locality and value as a tooltip, marked
 * off-scale when clipped to the frame. */
static void put_point(rep *r, const chart *c, size_t k, double x, double y, const char *cls, const char *unit,
                      int named)
{
    FILE *f = r->f;
    int off = y > c->ymax || y < c->ymin;
    if (!named && !*cls && !off) {
        /* the council chart's unflagged points: named on the Scotland
         * chart beside it, so a big report stays small */
        fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"/>\n", cx(c, x), cy(c, y));
        return;
    }
    /* kept short (the radius is in the style sheet): a report of all
     * Scotland draws some 44,000 of them */
    /* the unflagged, the most, take their colour from the style sheet */
    if (*cls || off)
        fprintf(f, "<circle class=\"%s%s\" cx=\"%.0f\" cy=\"%.0f\"><title>", cls, off ? " off" : "", cx(c, x),
                cy(c, y));
    else
        fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\"><title>", cx(c, x), cy(c, y));
    esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
    fputs(": ", f);
    num(f, y);
    esc(f, unit);
    fputs("</title></circle>\n", f);
}

/* Points beyond the frame, named under the chart. */
static void put_off_scale(rep *r, const double *v, const double *x, const int *flag, size_t n, const chart *c,
                          const char *unit)
{
    FILE *f = r->f;
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        if (flag[k] == LOC_FLAG_UNRELIABLE || !isfinite(v[k]) || !(x[k] > 0) || (v[k] <= c->ymax && v[k] >= c->ymin))
            continue;
        fputs(any ? "; " : "<p class=\"off\">Off the scale, drawn on its edge: ", f);
        esc(f, loc_partition_name(r->d->p, k));
        fputs(" (", f);
        esc(f, loc_partition_code(r->d->p, k));
        fputs(") ", f);
        num(f, v[k]);
        esc(f, unit);
        any = 1;
    }
    if (any)
        fputs("</p>\n", f);
}

static void put_legend(rep *r, const loc_funnel *fu, int rest)
{
    FILE *f = r->f;
    fputs("<div class=\"legend\">", f);
    if (rest)
        fputs("<span><i class=\"band\"></i>the locality's decision limit</span>", f);
    else {
        fputs("<span><i class=\"ln\" style=\"border-color:#333\"></i>Scotland ", f);
        num(f, fu->national);
        esc(f, fu->unit);
        fputs("</span><span><i class=\"ln\" style=\"border-color:#b2182b\"></i>decision limits</span>", f);
    }
    fputs("<span><i class=\"dot worse\"></i>significantly poorer</span>"
          "<span><i class=\"dot better\"></i>significantly better</span>"
          "<span><i class=\"dot in\"></i>neither</span></div>\n", f);
}

/* Against Scotland: the funnel plot with the decision limits. */
static loc_status put_funnel_scotland(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    size_t n = r->d->n, shown = 0, untested = 0;
    chart c = {56, 16, 24, 44, 0, 0, 0, INFINITY, -INFINITY};
    c.W = PLOT_W - c.L - c.R;
    c.H = PLOT_H - c.T - c.B;
    for (size_t k = 0; k < n; k++) {
        if (fu->flag_scotland[k] == LOC_FLAG_UNRELIABLE || isnan(fu->value[k]) || !(fu->size[k] > 0)) {
            untested++;
            continue;
        }
        shown++;
        c.xmax = fmax(c.xmax, fu->size[k]);
    }
    fputs("<div><p class=\"sub\">Against Scotland</p>\n", f);
    if (!shown || isnan(fu->national)) {
        fputs("<p>No locality was tested on this indicator.</p></div>\n", f);
        return LOC_OK;
    }
    double lo, hi;
    fu->limits(fu->limits_ud, c.xmax * 0.25, &lo, &hi);
    c.ymin = fmin(fu->national, isfinite(lo) ? lo : fu->national);
    c.ymax = fmax(fu->national, isfinite(hi) ? hi : fu->national);
    y_range(r, fu->value, n, &c.ymin, &c.ymax);
    double pad = 0.05 * (c.ymax - c.ymin > 0 ? c.ymax - c.ymin : fabs(c.ymax) + 1e-9);
    c.ymin -= pad;
    c.ymax += pad;
    c.xmax *= 1.05;
    put_frame(r, &c, id, fu->size_label ? fu->size_label : "size", fu->unit, "value");
    fprintf(f, "<g clip-path=\"url(#clip%zu)\" fill=\"none\">\n", id);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W,
            cy(&c, fu->national), cy(&c, fu->national));
    /* the limits, sampled on a grid dense near zero where they curve most */
    for (int side = 0; side < 2; side++) {
        fputs("<path stroke=\"#b2182b\" d=\"", f);
        int pen = 0;
        for (int i = 1; i <= 160; i++) {
            double m = c.xmax * pow(i / 160.0, 2);
            fu->limits(fu->limits_ud, m, &lo, &hi);
            double v = side ? hi : lo;
            if (!isfinite(v))
                continue;
            fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', cx(&c, m), cy(&c, v));
        }
        fputs("\"/>\n", f);
    }
    fputs("</g>\n<g>\n", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_scotland[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->value[k]) && fu->size[k] > 0)
            put_point(r, &c, k, fu->size[k], fu->value[k], flag_class(fu->flag_scotland[k]), fu->unit, 1);
    fputs("</g>\n</svg>\n", f);
    put_legend(r, fu, 0);
    put_off_scale(r, fu->value, fu->size, fu->flag_scotland, n, &c, fu->unit);
    if (untested)
        fprintf(f, "<p class=\"off\">%zu localit%s not tested (too few zones or residents).</p>\n", untested,
                untested == 1 ? "y" : "ies");
    fputs("</div>\n", f);
    return LOC_OK;
}

/* Against the rest of the council: each locality's difference with its
 * own decision limit as a band around zero. */
static loc_status put_funnel_rest(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    size_t n = r->d->n, shown = 0;
    chart c = {56, 16, 24, 44, 0, 0, 0, 0, 0};
    c.W = PLOT_W - c.L - c.R;
    c.H = PLOT_H - c.T - c.B;
    double *bands = loc_malloc(r->ctx, 2 * (n ? n : 1) * sizeof *bands);
    if (!bands)
        return LOC_ENOMEM;
    size_t nb = 0;
    for (size_t k = 0; k < n; k++) {
        if (fu->flag_rest[k] == LOC_FLAG_UNRELIABLE || isnan(fu->diff[k]) || !(fu->size[k] > 0))
            continue;
        shown++;
        c.xmax = fmax(c.xmax, fu->size[k]);
        if (isfinite(fu->limit[k])) {
            bands[nb++] = fu->limit[k];
            bands[nb++] = -fu->limit[k];
        }
    }
    fputs("<div><p class=\"sub\">Against the rest of the council</p>\n", f);
    if (!shown) {
        loc_free(r->ctx, bands);
        fputs("<p>No locality was tested on this indicator.</p></div>\n", f);
        return LOC_OK;
    }
    y_range(r, fu->diff, n, &c.ymin, &c.ymax);
    y_range(r, bands, nb, &c.ymin, &c.ymax);
    loc_free(r->ctx, bands);
    double pad = 0.05 * (c.ymax - c.ymin > 0 ? c.ymax - c.ymin : 1);
    c.ymin -= pad;
    c.ymax += pad;
    c.xmax *= 1.05;
    put_frame(r, &c, id, fu->size_label ? fu->size_label : "size", fu->unit, "difference");
    fprintf(f, "<g clip-path=\"url(#clip%zu)\">\n", id);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", c.L, c.L + c.W, cy(&c, 0),
            cy(&c, 0));
    /* every band in one path: a report of all Scotland draws 22,000 */
    fputs("<path class=\"band\" d=\"", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_rest[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->diff[k]) && fu->size[k] > 0 &&
            isfinite(fu->limit[k]))
            fprintf(f, "M%.0f %.0fV%.0f", cx(&c, fu->size[k]), cy(&c, -fu->limit[k]), cy(&c, fu->limit[k]));
    fputs("\"/>\n", f);
    fputs("</g>\n<g>\n", f);
    for (size_t k = 0; k < n; k++)
        if (fu->flag_rest[k] != LOC_FLAG_UNRELIABLE && !isnan(fu->diff[k]) && fu->size[k] > 0)
            put_point(r, &c, k, fu->size[k], fu->diff[k], flag_class(fu->flag_rest[k]), fu->unit, 0);
    fputs("</g>\n</svg>\n", f);
    put_legend(r, fu, 1);
    put_off_scale(r, fu->diff, fu->size, fu->flag_rest, n, &c, fu->unit);
    fputs("</div>\n", f);
    return LOC_OK;
}

static const char *flag_word(int fl);
static void put_anchor(rep *r, size_t k);

/* The charts' numbers for those who cannot see them, and the outliers
 * named: every locality outside the limits, with its value, difference
 * and limit, in a table behind a summary line. */
static void put_funnel_table(rep *r, const loc_funnel *fu)
{
    FILE *f = r->f;
    size_t n = r->d->n, np = 0, nb = 0;
    for (size_t k = 0; k < n; k++) {
        np += fu->flag_scotland[k] == LOC_FLAG_POORER || fu->flag_rest[k] == LOC_FLAG_POORER;
        nb += (fu->flag_scotland[k] == LOC_FLAG_BETTER || fu->flag_rest[k] == LOC_FLAG_BETTER) &&
              fu->flag_scotland[k] != LOC_FLAG_POORER && fu->flag_rest[k] != LOC_FLAG_POORER;
    }
    fprintf(f, "<details><summary>%zu localit%s outside the limits on the worse side, %zu on the better side only"
               "</summary>\n",
            np, np == 1 ? "y" : "ies", nb);
    if (!np && !nb) {
        fputs("<p>None.</p></details>\n", f);
        return;
    }
    fputs("<table class=\"data ft\"><thead><tr><th>Locality</th><th>Value</th><th>Against Scotland</th>"
          "<th>Difference from the rest of the council</th><th>Its limit</th><th>Against the council</th></tr></thead>"
          "<tbody>\n", f);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n; k++) {
            int poor = fu->flag_scotland[k] == LOC_FLAG_POORER || fu->flag_rest[k] == LOC_FLAG_POORER;
            int good = fu->flag_scotland[k] == LOC_FLAG_BETTER || fu->flag_rest[k] == LOC_FLAG_BETTER;
            if (pass == 0 ? !poor : (poor || !good))
                continue;
            fputs("<tr><td><a href=\"#", f);
            put_anchor(r, k);
            fputs("\">", f);
            esc(f, loc_partition_name(r->d->p, k)[0] ? loc_partition_name(r->d->p, k) : loc_partition_code(r->d->p, k));
            fputs("</a></td><td>", f);
            num(f, fu->value[k]);
            fprintf(f, "</td><td>%s</td><td>", flag_word(fu->flag_scotland[k] == LOC_FLAG_POORER ? 1
                                                                   : fu->flag_scotland[k] == LOC_FLAG_BETTER ? -1
                                                                                                              : 0));
            num(f, fu->diff[k]);
            fputs("</td><td>", f);
            num(f, fu->limit[k]);
            fprintf(f, "</td><td>%s</td></tr>\n", flag_word(fu->flag_rest[k] == LOC_FLAG_POORER ? 1
                                                           : fu->flag_rest[k] == LOC_FLAG_BETTER ? -1
                                                                                                 : 0));
        }
    fputs("</tbody></table></details>\n", f);
}

static loc_status put_funnel(rep *r, const loc_funnel *fu, size_t id)
{
    FILE *f = r->f;
    fprintf(f, "<figure class=\"funnel\" id=\"funnel-%zu\"", id + 1);
    if (fu->name) {
        fputs(" data-indicator=\"", f);
        esc(f, fu->name);
        fputc('"', f);
    }
    fputs("><figcaption>", f);
    esc(f, fu->label);
    fputs("</figcaption>\n", f);
    if (fu->note) {
        fputs("<p class=\"sub\">", f);
        esc(f, fu->note);
        fputs("</p>\n", f);
    }
    fputs("<div class=\"pair\">\n", f);
    loc_status st = put_funnel_scotland(r, fu, 2 * id);
    if (!st)
        st = put_funnel_rest(r, fu, 2 * id + 1);
    fputs("</div>\n", f);
    put_funnel_table(r, fu);
    fputs("</figure>\n", f);
    return st;
}

/* ---------------------------------------------------------------------
 * Tables and page
 * --------------------------------------------------------------------- */

/* attrs column NAME + suffix, or -1. */
static long ind_col(const rep *r, const char *name, const char *suffix)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", name, suffix);
    return r->a ? loc_attrs_find(r->a, buf) : -1;
}

/* A flag column's value for locality k: 1 poorer, -1 better, 0 otherwise. */
static int flag_at(const rep *r, long col, size_t k)
{
    if (col < 0 || loc_attrs_type(r->a, (size_t)col) != LOC_ATTR_TEXT || loc_attrs_is_null(r->a, (size_t)col, k))
        return 0;
    const char *t = loc_attrs_text(r->a, (size_t)col, k);
    return !strcmp(t, "poorer") ? 1 : !strcmp(t, "better") ? -1 : 0;
}

/* Poorer cells of locality k against each comparator, over the
 * profile's indicators. */
static void poorer_counts(const rep *r, size_t k, size_t *rest, size_t *scot)
{
    *rest = *scot = 0;
    for (size_t j = 0; j < r->o->nindicators; j++) {
        *rest += flag_at(r, r->flag_cols[j][0], k) == 1;
        *scot += flag_at(r, r->flag_cols[j][1], k) == 1;
    }
}

/* Find the profile indicators' flag columns (by name, so once per report:
 * per locality it was a fifth of the report's time on all of Scotland). */
static loc_status find_flag_cols(rep *r)
{
    size_t n = r->o->nindicators;
    if (!(r->flag_cols = loc_malloc(r->ctx, (n ? n : 1) * sizeof *r->flag_cols)))
        return LOC_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        const char *nm = r->o->indicators[j].name;
        r->flag_cols[j][0] = ind_col(r, nm, "_flag_council_rest");
        r->flag_cols[j][1] = ind_col(r, nm, "_flag_scotland");
    }
    return LOC_OK;
}

static const char *reason_of(const rep *r, size_t k)
{
    if (r->reason_col < 0 || loc_attrs_is_null(r->a, (size_t)r->reason_col, k))
        return "";
    return loc_attrs_text(r->a, (size_t)r->reason_col, k);
}

/* Severity order: flagged first, then most poorer cells, then by code. */
typedef struct sev {
    int flag;         /* 1 when flagged */
    size_t poorer;    /* poorer cells against both comparators */
    const char *code; /* locality code */
    size_t k;         /* locality */
} sev;

static int cmp_severity(const void *va, const void *vb)
{
    const sev *a = va, *b = vb;
    if (a->flag != b->flag)
        return b->flag - a->flag;
    if (a->poorer != b->poorer)
        return a->poorer < b->poorer ? 1 : -1;
    return strcmp(a->code, b->code);
}

/* A locality's anchor: its code, which the characters of an HTML id
 * allow as it is (codes are plain). */
static void put_anchor(rep *r, size_t k)
{
    fputs("p-", r->f);
    esc(r->f, loc_partition_code(r->d->p, k));
}

/* The table for people: one row per locality, the most severe first,
 * with the reason; every wide column stays in localities.csv. */
static loc_status put_tables(rep *r)
{
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t n = r->d->n, nf = 0;
    sev *order = loc_malloc(r->ctx, (n ? n : 1) * sizeof *order);
    if (!order)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        size_t pr, ps;
        poorer_counts(r, k, &pr, &ps);
        order[k] = (sev){flagged(r, k) != 0, pr + ps, loc_partition_code(p, k), k};
        nf += order[k].flag;
    }
    qsort(order, n, sizeof *order, cmp_severity); /* codes are unique: a total order */
    fputs("<h2 id=\"localities\">Localities</h2>\n", f);
    if (r->flag_col >= 0) {
        fprintf(f, "<p>%zu of %zu localities: ", nf, n);
        esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        fputs(". The most severe first: flagged localities, then by the number of indicators on which the "
              "locality is significantly poorer. Every column of the assessment is in <code>localities.csv</code> "
              "and <code>indicators.csv</code>.</p>\n", f);
    }
    fputs("<table class=\"data people\"><thead><tr><th scope=\"col\">Locality</th><th scope=\"col\">Council</th>"
          "<th scope=\"col\" class=\"n\">Residents</th><th scope=\"col\" class=\"n\">Zones</th>"
          "<th scope=\"col\">Plan</th><th scope=\"col\">Why</th><th scope=\"col\" class=\"n\">Poorer than the rest of "
          "the council</th><th scope=\"col\" class=\"n\">Poorer than Scotland</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i].k, nm, pr, ps;
        loc_partition_members(p, k, &nm);
        poorer_counts(r, k, &pr, &ps);
        fprintf(f, "<tr%s><td><a href=\"#", flagged(r, k) ? " class=\"flag\"" : "");
        put_anchor(r, k);
        fputs("\">", f);
        esc(f, loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k));
        fputs("</a> <small>", f);
        esc(f, loc_partition_code(p, k));
        fputs("</small></td><td>", f);
        esc(f, council_name(r, k));
        fputs("</td><td class=\"n\">", f);
        num(f, loc_partition_population(p, k));
        fprintf(f, "</td><td class=\"n\">%zu</td><td>%s</td><td class=\"why\">", nm,
                r->flag_col < 0 ? "&ndash;" : flagged(r, k) ? "<b>required</b>" : "no");
        esc(f, reason_of(r, k));
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n", pr, ps);
    }
    fputs("</tbody></table>\n", f);
    loc_free(r->ctx, order);
    return LOC_OK;
}

/* Spine charts: per indicator, the spread of the localities' values
 * around Scotland's (lightest: lowest to highest, darker: the middle
 * half), worse to the left, as the public-health profiles draw them. */
typedef struct spine {
    double scot, half;   /* Scotland's value, and the largest distance from it */
    int worse;           /* 1 higher is worse */
    long v, rest, sc, fr, fs; /* attrs columns */
} spine;

static double spine_x(const spine *sp, double v)
{
    double t = (v - sp->scot) / sp->half;
    return 100 - 95 * (sp->worse > 0 ? t : -t);
}

static loc_status prepare_spines(rep *r, spine *sp)
{
    size_t n = r->d->n;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    FILE *f = r->f;
    fputs("<style>\n", f);
    for (size_t j = 0; j < r->o->nindicators; j++) {
        const loc_report_indicator *in = &r->o->indicators[j];
        spine *s = &sp[j];
        s->v = ind_col(r, in->name, "");
        s->rest = ind_col(r, in->name, "_council_rest");
        s->sc = ind_col(r, in->name, "_scotland");
        s->fr = ind_col(r, in->name, "_flag_council_rest");
        s->fs = ind_col(r, in->name, "_flag_scotland");
        s->worse = in->worse;
        s->scot = NAN;
        size_t m = 0;
        for (size_t k = 0; k < n && s->v >= 0; k++) {
            double x = loc_attrs_real(r->a, (size_t)s->v, k);
            if (isfinite(x))
                v[m++] = x;
            if (isnan(s->scot) && s->sc >= 0 && isfinite(loc_attrs_real(r->a, (size_t)s->sc, k)))
                s->scot = loc_attrs_real(r->a, (size_t)s->sc, k);
        }
        if (!m || isnan(s->scot)) {
            s->half = NAN;
            continue;
        }
        qsort(v, m, sizeof *v, cmp_double);
        double lo = v[0], hi = v[m - 1], q1 = v[(m - 1) / 4], q3 = v[3 * (m - 1) / 4];
        s->half = fmax(fmax(fabs(lo - s->scot), fabs(hi - s->scot)), 1e-12);
        double a = spine_x(s, lo), b = spine_x(s, hi), c = spine_x(s, q1), d = spine_x(s, q3);
        /* the bars as background gradients of the cell: no element per
         * row but the two markers, so 1,240 profiles stay light */
        double xa = fmin(a, b) / 2, xb = fmax(a, b) / 2, xc = fmin(c, d) / 2, xd = fmax(c, d) / 2;
        fprintf(f, "td.j%zu{background:linear-gradient(#000,#000) no-repeat 50%% 0/1px 100%%,linear-gradient(to right,"
                   "transparent %.1f%%,#e0e0e0 %.1f%%,#e0e0e0 %.1f%%,#a8a8a8 %.1f%%,#a8a8a8 %.1f%%,#e0e0e0 %.1f%%,"
                   "#e0e0e0 %.1f%%,transparent %.1f%%) no-repeat 0 50%%/100%% 8px}\n",
                j, xa, xa, xc, xc, fmax(xd, xc + 0.5), fmax(xd, xc + 0.5), fmax(xb, xa + 0.5), fmax(xb, xa + 0.5));
    }
    fputs("</style>\n", f);
    loc_free(r->ctx, v);
    return LOC_OK;
}

static const char *flag_word(int fl)
{
    return fl > 0 ? "poorer" : fl < 0 ? "better" : "";
}

/* An indicator's label up to its first parenthesis: "Income deprived
 * people (% of total population)" reads "Income deprived people". */
static const char *short_label(const loc_report_indicator *in, char *buf, size_t size)
{
    const char *l = in->label ? in->label : in->name;
    const char *par = strstr(l, " (");
    size_t n = par && par > l ? (size_t)(par - l) : strlen(l);
    if (n >= size)
        n = size - 1;
    memcpy(buf, l, n);
    buf[n] = 0;
    return buf;
}

/* One locality's profile. */
static void put_profile(rep *r, size_t k, const spine *sp)
{
    char lbuf[160];
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t nm;
    loc_partition_members(p, k, &nm);
    const char *name = loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k);
    fputs("<section class=\"profile\" id=\"", f);
    put_anchor(r, k);
    fputs("\"><h3>", f);
    esc(f, name);
    fputs(" <small>", f);
    esc(f, loc_partition_code(p, k));
    fputs("</small></h3>\n<p>", f);
    esc(f, council_name(r, k));
    fputs(" &middot; ", f);
    num(f, loc_partition_population(p, k));
    fprintf(f, " residents &middot; %zu zones &middot; %.1f km&sup2;</p>\n", nm, r->d->area[k] / 1e6);
    if (r->flag_col >= 0) {
        fputs(flagged(r, k) ? "<p class=\"why flag\"><b>Locality plan required.</b> " : "<p class=\"why\">Not flagged. ",
              f);
        esc(f, reason_of(r, k));
        fputs("</p>\n", f);
    }
    fputs("<div class=\"pf\">", f);
    if (r->group && r->group[k] >= 0) {
        /* the council's map and the locality's own path over it, both by
         * reference: the stroke is the highlight, the fill the same */
        const double *g = r->gsize[r->group[k]];
        fprintf(f, "<svg class=\"pmap\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", g[0], g[1]);
        esc(f, name);
        fputs(" on the map of ", f);
        esc(f, council_name(r, k));
        fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\".5\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"2.5\"/></svg>",
                r->group[k], k);
        /* and a close-up: the same map, the view box around the locality */
        const double *b = r->bb[k];
        double w = fmax(b[2] - b[0], 4), h = fmax(b[3] - b[1], 4), side = fmax(w, h) * 1.6;
        double cxp = (b[0] + b[2]) / 2, cyp = (b[1] + b[3]) / 2;
        fprintf(f, "<svg class=\"pmap\" viewBox=\"%.1f %.1f %.1f %.1f\" role=\"img\" aria-label=\"close-up of ",
                cxp - side / 2, cyp - side / 2, side, side);
        esc(f, name);
        fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\"%.3f\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"%.3f\"/></svg>",
                r->group[k], .8 * side / 260, k, 2.5 * side / 260);
    }
    if (r->o->nindicators) {
        fputs("<table class=\"spine\"><thead><tr><th>Indicator</th><th>Locality</th><th>Rest of council</th>"
              "<th>Scotland</th><th>vs council</th><th>vs Scotland</th><th>worse &larr; &rarr; better</th>"
              "</tr></thead><tbody>\n", f);
        for (size_t j = 0; j < r->o->nindicators; j++) {
            const loc_report_indicator *in = &r->o->indicators[j];
            const spine *s = &sp[j];
            double v = s->v >= 0 ? loc_attrs_real(r->a, (size_t)s->v, k) : NAN;
            double rest = s->rest >= 0 ? loc_attrs_real(r->a, (size_t)s->rest, k) : NAN;
            int fr = flag_at(r, s->fr, k), fs = flag_at(r, s->fs, k);
            /* rows kept short: a profile per locality of all Scotland must fit */
            fputs("<tr><th>", f);
            esc(f, short_label(in, lbuf, sizeof lbuf));
            fputs("</th><td>", f);
            num(f, v);
            esc(f, isnan(v) ? NULL : in->unit);
            fputs("</td><td>", f);
            num(f, rest);
            fputs("</td><td>", f);
            num(f, s->scot);
            fputs("</td>", f);
            for (int c = 0; c < 2; c++) {
                int fl = c ? fs : fr;
                if (!in->tested) {
                    fputs(c ? "" : "<td colspan=\"2\">not tested</td>", f);
                } else if (fl)
                    fprintf(f, "<td class=\"f%d\">%s</td>", fl, flag_word(fl));
                else
                    fputs("<td></td>", f);
            }
            /* a spine for the tested indicators; the others are described
             * by their numbers alone */
            if (in->tested && !isnan(s->half) && isfinite(v)) {
                fprintf(f, "<td class=\"sp j%zu\">", j);
                if (isfinite(rest))
                    fprintf(f, "<u style=\"left:%.0f%%\"></u>", fmin(fmax(spine_x(s, rest), 2), 198) / 2);
                fprintf(f, "<i class=\"s%d\" style=\"left:%.0f%%\"></i>", fs, fmin(fmax(spine_x(s, v), 5), 195) / 2);
            } else {
                fputs("<td>", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>", f);
    }
    fputs("</div></section>\n", f);
}

static loc_status put_profiles(rep *r)
{
    if (!r->o->nindicators && !r->group)
        return LOC_OK;
    FILE *f = r->f;
    fputs("<h2 id=\"profiles\">Locality profiles</h2>\n<p>One section per locality: its place on its council's map "
          "(outlined in black), its facts and the reason it needs a plan or not, and every indicator against the "
          "rest of its council and Scotland. In each spine chart the black line is Scotland, the light bar the "
          "range of the localities of this report and the darker bar their middle half, worse to the left; the "
          "circle is the locality (red significantly poorer than Scotland, blue better, white neither, grey not "
          "tested) and the black diamond the rest of its council.</p>\n", f);
    spine *sp = loc_calloc(r->ctx, r->o->nindicators ? r->o->nindicators : 1, sizeof *sp);
    if (!sp)
        return LOC_ENOMEM;
    loc_status st = prepare_spines(r, sp);
    for (size_t k = 0; k < r->d->n && !st; k++)
        put_profile(r, k, sp);
    loc_free(r->ctx, sp);
    return st;
}

static void put_kv(FILE *f, const char *title, const char *id, const loc_kv *kv, size_t n)
{
    fprintf(f, "<h2 id=\"%s\">%s</h2>\n", id, title);
    if (!n) {
        fputs("<p>None given.</p>\n", f);
        return;
    }
    fputs("<table class=\"kv\"><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th>", f);
        esc(f, kv[i].key);
        fputs("</th><td>", f);
        esc(f, kv[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* The page's one script, inline: zoom and pan on the maps (buttons for
 * the keyboard, the wheel and dragging for the mouse; every locality
 * named once zoomed in), the indicator the second maps show (every
 * indicator of the report, coloured in seven classes of about equal
 * numbers of localities, the legend in its units), and each map and chart
 * downloadable as SVG.  Without scripts the page is whole: income is
 * mapped and the maps are fixed. */
static const char SCRIPT[] =
    "(function(){\n"
    "var COL=['#ffffcc','#c7e9b4','#7fcdbb','#41b6c4','#1d91c0','#225ea8','#0c2c84'];\n"
    "function btn(t,l,f){var b=document.createElement('button');b.type='button';b.textContent=t;"
    "b.setAttribute('aria-label',l);b.onclick=f;return b;}\n"
    "document.querySelectorAll('svg.map:not(.inset)').forEach(function(svg){\n"
    " var v0=svg.getAttribute('viewBox').split(' ').map(Number),v=v0.slice();\n"
    " function set(){svg.setAttribute('viewBox',v.join(' '));var z=v0[2]/v[2];"
    "svg.classList.toggle('zoomed',z>=2);svg.style.setProperty('--lb',(10/z).toFixed(2)+'px');}\n"
    " function zoom(f,cx,cy){var w=Math.min(v0[2],Math.max(v0[2]/40,v[2]/f)),h=w*v0[3]/v0[2];"
    "if(cx===undefined){cx=v[0]+v[2]/2;cy=v[1]+v[3]/2;}"
    "v=[cx-(cx-v[0])*w/v[2],cy-(cy-v[1])*h/v[3],w,h];set();}\n"
    " var c=document.createElement('div');c.className='ctl';"
    "c.appendChild(btn('+','zoom in',function(){zoom(2);}));c.appendChild(btn('\\u2212','zoom out',function(){zoom(0.5);}));"
    "c.appendChild(btn('reset','show the whole council',function(){v=v0.slice();set();}));"
    "c.appendChild(btn('SVG','download this map as SVG',function(){save(svg,'map');}));svg.after(c);\n"
    " svg.addEventListener('wheel',function(e){e.preventDefault();var r=svg.getBoundingClientRect();"
    "zoom(e.deltaY<0?1.25:0.8,v[0]+(e.clientX-r.left)/r.width*v[2],v[1]+(e.clientY-r.top)/r.height*v[3]);},{passive:false});\n"
    " var d=null;svg.addEventListener('pointerdown',function(e){d=[e.clientX,e.clientY,v[0],v[1]];});"
    "window.addEventListener('pointerup',function(){d=null;});"
    "svg.addEventListener('pointermove',function(e){if(!d)return;var r=svg.getBoundingClientRect();"
    "v[0]=d[2]-(e.clientX-d[0])/r.width*v[2];v[1]=d[3]-(e.clientY-d[1])/r.height*v[3];set();});\n"
    "});\n"
    "function save(svg,name){var c=svg.cloneNode(true),NS=svg.namespaceURI;c.setAttribute('xmlns',NS);"
    "var st=document.createElementNS(NS,'style');st.textContent=document.querySelector('style').textContent;"
    "c.insertBefore(st,c.firstChild);var a=document.createElement('a');"
    "a.href=URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(c)],{type:'image/svg+xml'}));"
    "a.download=name+'.svg';document.body.appendChild(a);a.click();a.remove();}\n"
    "document.querySelectorAll('figure.funnel').forEach(function(fg){var s=fg.querySelectorAll('svg');"
    "var c=document.createElement('div');c.className='ctl';"
    "s.forEach(function(x,i){c.appendChild(btn('SVG '+(i?'(council)':'(Scotland)'),'download this chart as SVG',"
    "function(){save(x,(fg.dataset.indicator||'chart')+(i?'-council':'-scotland'));}));});fg.appendChild(c);});\n"
    "var el=document.getElementById('ind-data');if(!el)return;var D=JSON.parse(el.textContent);\n"
    "var sel=document.createElement('select');sel.id='ind-select';"
    "D.ind.forEach(function(x,j){var o=document.createElement('option');o.value=j;o.textContent=x.l;"
    "if(x.n===D.cur)o.selected=true;sel.appendChild(o);});\n"
    "var lab=document.createElement('label');lab.textContent='Indicator on the second maps: ';lab.appendChild(sel);"
    "var p=document.createElement('p');p.className='ctl';p.appendChild(lab);"
    "document.getElementById('maps').after(p);\n"
    "function fmt(x){return Math.abs(x)>=1000||x===Math.floor(x)?Math.round(x).toLocaleString('en-GB'):"
    "Math.abs(x)>=10?x.toFixed(1):x.toPrecision(3);}\n"
    "sel.onchange=function(){var j=+sel.value,x=D.ind[j],vals=D.v[j],s=vals.filter(function(a){return a!==null;})"
    ".sort(function(a,b){return a-b;}),br=[];for(var c=0;c<=7;c++)br.push(s.length?s[Math.floor(c*(s.length-1)/7)]:NaN);\n"
    " document.querySelectorAll('path[data-k]').forEach(function(p){var a=vals[+p.dataset.k],c=-1;"
    "if(a!==null&&s.length){c=0;while(c+1<7&&a>=br[c+1])c++;}p.setAttribute('fill',c<0?'#fff':COL[c]);"
    "var t=p.querySelector('title');t.textContent=t.textContent.replace(/: .*$/,': '+(a===null?'no value':fmt(a)+(x.u||'')));});\n"
    " document.querySelectorAll('.legend.vl').forEach(function(lg){var h='<b></b> (7 classes of about equal numbers of "
    "localities, all councils)<br>';for(var c=0;c<7&&s.length;c++){if(c>0&&c+1<7&&br[c]===br[c+1])continue;"
    "h+='<span><i style=\"background:'+COL[c]+'\"></i>'+fmt(br[c])+'\\u2013'+fmt(br[c+1])+'</span>';}"
    "lg.innerHTML=h+'<span><i style=\"background:#fff\"></i>no value</span>';lg.querySelector('b').textContent=x.l;});};\n"
    "})();\n";

/* The selector's measure j: the profiles' indicators, then map_extra. */
static const loc_report_indicator *map_measure(const rep *r, size_t j)
{
    return j < r->o->nindicators ? &r->o->indicators[j] : &r->o->map_extra[j - r->o->nindicators];
}

/* The report's own tables (opts->tables), each a section. */
static void put_extra_tables(rep *r)
{
    FILE *f = r->f;
    for (size_t t = 0; t < r->o->ntables; t++) {
        const loc_report_table *tb = &r->o->tables[t];
        fprintf(f, "<h2 id=\"");
        esc(f, tb->id);
        fputs("\">", f);
        esc(f, tb->title);
        fputs("</h2>\n", f);
        if (tb->intro) {
            fputs("<p>", f);
            esc(f, tb->intro);
            fputs("</p>\n", f);
        }
        if (!tb->nrows)
            continue;
        fputs("<table class=\"data people\"><thead><tr>", f);
        for (size_t c = 0; c < tb->ncols; c++) {
            fputs("<th scope=\"col\">", f);
            esc(f, tb->head[c]);
            fputs("</th>", f);
        }
        fputs("</tr></thead><tbody>\n", f);
        for (size_t i = 0; i < tb->nrows; i++) {
            fputs("<tr>", f);
            for (size_t c = 0; c < tb->ncols; c++) {
                fputs("<td>", f);
                esc(f, tb->cells[i * tb->ncols + c]);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
}

/* The values behind the indicator selector, as JSON (NaN as null). */
static void put_map_data(rep *r)
{
    FILE *f = r->f;
    if (!(r->o->nindicators + r->o->nmap_extra) || r->value_col < 0)
        return;
    fputs("<script type=\"application/json\" id=\"ind-data\">{\"cur\":\"", f);
    put_json_text(f, loc_attrs_name(r->a, (size_t)r->value_col));
    fputs("\",\"ind\":[", f);
    size_t shown = 0;
    size_t nall = r->o->nindicators + r->o->nmap_extra;
    for (size_t j = 0; j < nall; j++) {
        const loc_report_indicator *in = map_measure(r, j);
        if (ind_col(r, in->name, "") < 0)
            continue;
        fputs(shown++ ? ",{\"n\":\"" : "{\"n\":\"", f);
        put_json_text(f, in->name);
        fputs("\",\"l\":\"", f);
        put_json_text(f, in->label ? in->label : in->name);
        fputs("\",\"u\":\"", f);
        put_json_text(f, in->unit ? in->unit : "");
        fputs("\"}", f);
    }
    fputs("],\"v\":[", f);
    shown = 0;
    for (size_t j = 0; j < nall; j++) {
        long col = ind_col(r, map_measure(r, j)->name, "");
        if (col < 0)
            continue;
        fputs(shown++ ? ",[" : "[", f);
        for (size_t k = 0; k < r->d->n; k++) {
            double v = loc_attrs_real(r->a, (size_t)col, k);
            if (k)
                fputc(',', f);
            if (isfinite(v))
                fprintf(f, "%.6g", v);
            else
                fputs("null", f);
        }
        fputc(']', f);
    }
    fputs("]}</script>\n", f);
}

static const char STYLE_SHEET[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}\n"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
    "h3 small,h1 small{color:#666;font-weight:normal}\n"
    ".maps{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:1em}.pair>div{flex:1 1 420px;max-width:560px}"
    ".pair svg{width:100%;height:auto}\n"
    "svg.map path{stroke:#555;stroke-width:.6;stroke-linejoin:round;fill-rule:evenodd;vector-effect:non-scaling-stroke}\n"
    "svg.map path:hover{stroke:#000;stroke-width:1.5}\n"
    ".legend{font-size:.8em;margin:.3em 0;max-width:560px}.legend span{display:inline-block;margin-right:.8em}\n"
    ".legend i{display:inline-block;width:.9em;height:.9em;border:1px solid #888;vertical-align:middle;"
    "margin-right:.25em}\n"
    ".legend i.ln{width:1.4em;height:0;border:0;border-top:2px solid}.legend i.ln.dash{border-top-style:dashed}\n"
    ".legend i.dot{border-radius:50%}\n"
    ".pair circle{r:3.5px;fill:#bdbdbd;stroke:#666}i.in{background:#bdbdbd}\n"
    ".pair circle.worse,i.worse{fill:#b2182b;background:#b2182b;stroke:#333}\n"
    ".pair circle.better,i.better{fill:#2166ac;background:#2166ac;stroke:#333}\n"
    "circle.off{stroke-dasharray:2 1;stroke-width:2}\n"
    "path.band{fill:none;stroke:#9e9e9e;stroke-width:3;stroke-opacity:.45}.legend i.band{width:.35em;background:#bdbdbd;"
    "border:0}\n"
    "p.sub{margin:.2em 0;color:#444;font-size:.9em}p.off{font-size:.8em;color:#555;max-width:560px}\n"
    "text.tick{font-size:11px;fill:#444}text.axis{font-size:12px;fill:#222}\n"
    "figcaption{font-weight:bold;margin:.5em 0}\n"
    "table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .5em;border-bottom:1px solid #e4e4e4;"
    "text-align:left}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.flag td{background:#fde0dd}\n"
    ".scroll{overflow-x:auto}table.kv th{font-weight:normal;color:#555}\n"
    "table.people{width:100%}table.people thead th{position:sticky;top:0;background:#fff;"
    "box-shadow:0 1px 0 #999;vertical-align:bottom}td.why{max-width:34em;font-size:.95em}table.people small{white-space:nowrap}\n"
    "text.lb{font-size:var(--lb,10px);fill:#111;text-anchor:middle;paint-order:stroke;stroke:#fff;"
    "stroke-width:calc(var(--lb,10px)*.3);"
    "stroke-linejoin:round;pointer-events:none}text.lb.o{display:none}svg.zoomed text.lb.o{display:inline}\n"
    ".scale path{fill:none;stroke:#222}.scale text,text.credit{font-size:8px;fill:#444}\n"
    "header.tb{border-bottom:2px solid #222;margin-bottom:1em}header.tb p{margin:.3em 0}\n"
    "section.profile{border-top:1px solid #ccc;margin-top:1.2em}section.profile h3{margin:.6em 0 .2em}\n"
    ".pf{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}svg.pmap{width:260px;height:auto;"
    "border:1px solid #ccc}path.hl{fill:none;stroke:#000;stroke-width:2.5}\n"
    "table.spine caption{text-align:left;font-weight:bold;margin-bottom:.3em}table.spine svg{width:200px;"
    "height:14px;display:block}table.spine td:nth-child(2),table.spine td:nth-child(3),table.spine td:nth-child(4)"
    "{text-align:right;font-variant-numeric:tabular-nums}\n"
    "table.ft td:nth-child(2),table.ft td:nth-child(4),table.ft td:nth-child(5){text-align:right}\n"
    "td.sp{position:relative;width:200px;min-width:200px;height:14px;padding:0;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}td.sp i,td.sp u{position:absolute;top:50%;box-sizing:border-box}"
    "td.sp i{width:10px;height:10px;margin:-5px 0 0 -5px;border-radius:50%;border:1px solid #333}"
    "td.sp u{width:8px;height:8px;margin:-4px 0 0 -4px;background:#000;transform:rotate(45deg)}\n"
    "td.f1{color:#b2182b;font-weight:bold}td.f-1{color:#2166ac}"
    "i.s1{background:#b2182b}i.s-1{background:#2166ac}i.s0{background:#fff}"
    "\n"
    /* a report of all Scotland holds 1,240 profiles and 36 charts of 1,240
     * points: the browser lays out only what is on screen */
    "section.profile,figure.funnel,section.council{content-visibility:auto;contain-intrinsic-size:auto 700px}\n"
    ".ctl{margin:.2em 0 .6em}.ctl button{font:inherit;font-size:.8em;margin-right:.3em;padding:.1em .5em}\n"
    "svg.map:not(.inset){cursor:grab;touch-action:none}\n"
    "p.why.flag{background:#fde0dd;padding:.3em .5em}footer{margin-top:2em;font-size:.8em;color:#444;"
    "border-top:1px solid #ccc}\n"
    "@media print{@page{size:A4 portrait;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:9.5pt}"
    "nav,.ctl{display:none}section.council,section.profile,h2{break-before:page}figure,.pair>div,tr{break-inside:avoid}"
    "thead{display:table-header-group}table.people thead th{position:static;box-shadow:none}"
    ".pair>div{flex:1 1 100%}svg{max-width:100%;height:auto}td.why{max-width:none}}\n";

/* The councils the report covers: their names when few, else a count. */
static void put_scope(rep *r)
{
    const loc_zones *z = loc_partition_zones(r->d->p);
    size_t nc = loc_zones_ncouncils(z), used = 0;
    uint8_t *seen = loc_calloc(r->ctx, nc ? nc : 1, 1);
    if (!seen)
        return;
    for (size_t k = 0; k < r->d->n; k++) {
        int32_t c = loc_partition_council(r->d->p, k);
        if (c >= 0 && !seen[c]) {
            seen[c] = 1;
            used++;
        }
    }
    if (used && used <= 3) {
        size_t shown = 0;
        for (size_t c = 0; c < nc; c++)
            if (seen[c]) {
                fputs(shown++ ? ", " : "", r->f);
                esc(r->f, loc_zones_council_name(z, c));
            }
        fputs(": ", r->f);
    } else if (used) {
        fprintf(r->f, "%zu council areas: ", used);
    }
    loc_free(r->ctx, seen);
}

static loc_status put_page(rep *r)
{
    FILE *f = r->f;
    const char *title = r->o->title ? r->o->title : "Localities";
    size_t nflag = 0;
    double pop = 0;
    for (size_t k = 0; k < r->d->n; k++) {
        nflag += flagged(r, k) != 0;
        pop += loc_partition_population(r->d->p, k);
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    esc(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header class=\"tb\"><h1>", STYLE_SHEET);
    esc(f, title);
    fputs("</h1>\n<p>", f);
    put_scope(r);
    grouped(f, (double)r->d->n);
    fputs(" localities, ", f);
    grouped(f, pop);
    fputs(" residents", f);
    if (r->flag_col >= 0)
        fprintf(f, "; %zu flagged", nflag);
    fputc('.', f);
    if (r->o->date) {
        fputs(" ", f);
        esc(f, r->o->date);
        fputc('.', f);
    }
    fputs("</p>\n", f);
    if (r->o->nsources) {
        fputs("<p>Data: ", f);
        for (size_t i = 0; i < r->o->nsources; i++) {
            fputs(i ? "; " : "", f);
            esc(f, r->o->sources[i].key);
            fputs(" <code>", f);
            /* the file's name: its folder belongs to the machine, and the
             * full path is in the sources table below */
            const char *v = r->o->sources[i].value ? r->o->sources[i].value : "";
            const char *slash = strrchr(v, '/');
            esc(f, slash ? slash + 1 : v);
            fputs("</code>", f);
        }
        fputs(".</p>\n", f);
    }
    fputs("</header>\n<nav><p><a href=\"#maps\">Maps</a> &middot; <a href=\"#funnels\">Funnel plots</a> &middot; "
          "<a href=\"#localities\">Localities</a> &middot; <a href=\"#profiles\">Profiles</a> &middot; "
          "<a href=\"#settings\">Settings</a></p></nav>\n", f);
    fputs("<h2 id=\"maps\">Maps</h2>\n", f);
    loc_status st = put_maps(r);
    if (st)
        return st;
    fputs("<h2 id=\"funnels\">Funnel plots</h2>\n", f);
    if (!r->o->nfunnels)
        fputs("<p>No indicator was chosen for funnel plots.</p>\n", f);
    else
        fputs("<p>One figure per tested indicator.  Left, against Scotland: each point is a locality, the "
              "black line Scotland's value and the red lines the decision limits; a point outside them is "
              "flagged significantly poorer (or better), and every flag is a point outside them.  Right, against "
              "the rest of its council: each point is a locality's difference from the rest of its council, the "
              "grey band its own decision limit; a point beyond its band is flagged.</p>\n<div>\n", f);
    for (size_t i = 0; i < r->o->nfunnels && !st; i++)
        st = put_funnel(r, &r->o->funnels[i], i);
    if (r->o->nfunnels)
        fputs("</div>\n", f);
    if (st)
        return st;
    if ((st = put_tables(r)) || (st = put_profiles(r)))
        return st;
    put_extra_tables(r);
    put_kv(f, "Settings", "settings", r->o->settings, r->o->nsettings);
    put_kv(f, "Data sources", "sources", r->o->sources, r->o->nsources);
    put_map_data(r);
    fprintf(f, "<script>\n%s</script>\n", SCRIPT);
    fputs("<footer>", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        fputs("<p>", f);
        esc(f, r->o->attribution[i]);
        fputs("</p>", f);
    }
    fputs("<p>Written by Localities " LOC_VERSION ".</p></footer>\n</body>\n</html>\n", f);
    return LOC_OK;
}

/* Resolve a named column of the wanted type. */
static loc_status report_column(loc_ctx *ctx, const loc_attrs *a, const char *name, loc_attr_type type, long *col,
                                const char *path)
{
    *col = -1;
    if (!name)
        return LOC_OK;
    if (!a || (*col = loc_attrs_find(a, name)) < 0)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no attribute column '%s'", path, name);
    if (loc_attrs_type(a, (size_t)*col) != type)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': attribute column '%s' is not %s", path, name,
                         type == LOC_ATTR_INT ? "an integer flag" : "a real value");
    return LOC_OK;
}

/* Free what the report state owns. */
static void free_rep(rep *r)
{
    loc_free(r->ctx, r->group);
    loc_free(r->ctx, r->bb);
    r->bb = NULL;
    loc_free(r->ctx, r->gsize);
    loc_free(r->ctx, r->simple);
    loc_free(r->ctx, r->flag_cols);
    r->group = NULL;
    r->gsize = NULL;
    r->simple = NULL;
    r->flag_cols = NULL;
}

/* Write report.html to a temporary beside path; *tmp gets it. */
static loc_status stage_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                               const loc_report_opts *opts, const char *path, char **tmp)
{
    loc_report_opts none = {0};
    rep r = {.ctx = ctx, .d = d, .a = attrs, .o = opts ? opts : &none};
    *tmp = NULL;
    loc_status st = check_attrs(ctx, d, attrs, path);
    if (st || (st = report_column(ctx, attrs, r.o->flag_column, LOC_ATTR_INT, &r.flag_col, path)) ||
        (st = report_column(ctx, attrs, r.o->value_column, LOC_ATTR_REAL, &r.value_col, path)))
        return st;
    for (size_t i = 0; i < r.o->nfunnels; i++) {
        const loc_funnel *fu = &r.o->funnels[i];
        if (!fu->value || !fu->size || !fu->flag_scotland || !fu->limits || !fu->diff || !fu->limit ||
            !fu->flag_rest)
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': funnel plot %zu lacks values, sizes, flags or limits",
                             path, i + 1);
    }
    if ((st = value_breaks(&r)))
        return st;
    if ((st = report_column(ctx, attrs, r.o->reason_column, LOC_ATTR_TEXT, &r.reason_col, path)))
        return st;
    size_t ng = loc_zones_ncouncils(loc_partition_zones(d->p)) + 1;
    r.ngroups = ng;
    if (!(r.simple = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.simple)) ||
        !(r.group = loc_malloc(ctx, (d->n ? d->n : 1) * sizeof *r.group)) ||
        !(r.bb = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.bb)) ||
        !(r.gsize = loc_calloc(ctx, ng, sizeof *r.gsize)) || find_flag_cols(&r)) {
        free_rep(&r);
        return LOC_ENOMEM;
    }
    for (size_t k = 0; k < d->n; k++)
        r.group[k] = -1;
    int fd;
    if (!(st = reserve_temp(ctx, path, "", tmp, &fd))) {
        if (!(r.f = fdopen(fd, "w"))) {
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
            close(fd);
        } else {
            st = put_page(&r);
            /* flushed and on disk before anyone renames it into place */
            if (!st && (fflush(r.f) != 0 || ferror(r.f) || fsync(fileno(r.f)) != 0))
                st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
            if (fclose(r.f) != 0 && !st)
                st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        }
        if (st) {
            discard_temp(ctx, *tmp);
            *tmp = NULL;
        }
    }
    for (size_t k = 0; k < d->n; k++)
        if (r.simple[k])
            GEOSGeom_destroy_r(loc_geos(ctx), r.simple[k]);
    free_rep(&r);
    return st;
}

loc_status loc_write_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                            const loc_report_opts *opts, const char *path)
{
    char *tmp;
    loc_status st = stage_report(ctx, d, attrs, opts, path, &tmp);
    return st ? st : commit_temp(ctx, tmp, path);
}

/* =====================================================================
 * localities.csv
 * ===================================================================== */

/* A real for the CSV: fixed format so that the same inputs give the same
 * bytes; empty when null. */
static void csv_real(FILE *f, double v, const char *fmt)
{
    if (!isnan(v))
        fprintf(f, fmt, v);
}

/* The localities table as CSV to an open stream. */
static void put_localities_csv(FILE *f, const loc_dissolved *d, const loc_attrs *a)
{
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t i = 0; i < NFIXED; i++)
        fprintf(f, "%s%s", i ? "," : "", fixed_fields[i]);
    for (size_t c = 0; c < na; c++) {
        fputc(',', f);
        loc_put_csv_field(f, loc_attrs_name(a, c));
    }
    fputc('\n', f);
    for (size_t k = 0; k < d->n; k++) {
        int32_t c = loc_partition_council(p, k);
        size_t nm;
        loc_partition_members(p, k, &nm);
        loc_put_csv_field(f, loc_partition_code(p, k));
        fputc(',', f);
        loc_put_csv_field(f, loc_partition_name(p, k));
        fputc(',', f);
        loc_put_csv_field(f, c >= 0 ? loc_zones_council_code(z, (size_t)c) : "");
        fputc(',', f);
        loc_put_csv_field(f, c >= 0 ? loc_zones_council_name(z, (size_t)c) : "");
        fprintf(f, ",%.0f,%zu,%.3f,%.3f,", loc_partition_population(p, k), nm, d->area[k] / 1e6, d->perim[k] / 1e3);
        csv_real(f, loc_dissolved_compactness(d, k), "%.6f");
        for (size_t col = 0; col < na; col++) {
            fputc(',', f);
            if (loc_attrs_is_null(a, col, k))
                continue;
            if (loc_attrs_type(a, col) == LOC_ATTR_REAL)
                csv_real(f, loc_attrs_real(a, col, k), "%.10g");
            else if (loc_attrs_type(a, col) == LOC_ATTR_INT)
                fprintf(f, "%lld", (long long)loc_attrs_int(a, col, k));
            else
                loc_put_csv_field(f, loc_attrs_text(a, col, k));
        }
        fputc('\n', f);
    }
}

/* Write localities.csv to a temporary beside path; *tmp gets it. */
static loc_status stage_localities_csv(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                                       const char *path, char **tmp)
{
    *tmp = NULL;
    loc_status st = check_attrs(ctx, d, attrs, path);
    int fd;
    if (st || (st = reserve_temp(ctx, path, "", tmp, &fd)))
        return st;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        close(fd);
    } else {
        put_localities_csv(f, d, attrs);
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        if (fclose(f) != 0 && !st)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (st) {
        discard_temp(ctx, *tmp);
        *tmp = NULL;
    }
    return st;
}

loc_status loc_write_localities_csv(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = stage_localities_csv(ctx, d, attrs, path, &tmp);
    return st ? st : commit_temp(ctx, tmp, path);
}

/* =====================================================================
 * All outputs together
 * ===================================================================== */

loc_status loc_write_outputs(loc_ctx *ctx, const char *dir, const loc_dissolved *d, const loc_attrs *attrs,
                             const loc_report_opts *opts)
{
    static const char *const names[] = {"localities.geojson", "localities.gpkg", "report.html", "localities.csv"};
    enum { NOUT = sizeof names / sizeof *names };
    char *path[NOUT] = {NULL}, *tmp[NOUT] = {NULL};
    loc_status st = LOC_OK;
    for (size_t i = 0; i < NOUT && !st; i++) {
        size_t size = strlen(dir) + strlen(names[i]) + 2;
        if (!(path[i] = loc_malloc(ctx, size)))
            st = LOC_ENOMEM;
        else
            snprintf(path[i], size, "%s/%s", dir, names[i]);
    }
    /* every file complete under its temporary name before any is renamed */
    if (!st)
        st = stage_geojson(ctx, d, attrs, path[0], &tmp[0]);
    if (!st)
        st = stage_gpkg(ctx, d, attrs, path[1], &tmp[1]);
    if (!st)
        st = stage_report(ctx, d, attrs, opts, path[2], &tmp[2]);
    if (!st)
        st = stage_localities_csv(ctx, d, attrs, path[3], &tmp[3]);
    for (size_t i = 0; i < NOUT; i++) {
        if (!tmp[i])
            continue;
        if (st)
            discard_temp(ctx, tmp[i]);
        else
            st = commit_temp(ctx, tmp[i], path[i]);
        tmp[i] = NULL;
    }
    for (size_t i = 0; i < NOUT; i++)
        loc_free(ctx, path[i]);
    return st;
}

/* =====================================================================
 * Progress report
 * ===================================================================== */

#define PW 300.0 /* one progress chart */
#define PH 120.0

/* A progress table's cell as a number (NaN when empty or not one). */
static double pcell(const loc_csv *t, size_t r, long col)
{
    double v;
    if (col < 0 || loc_parse_number(loc_csv_field(t, r, (size_t)col), &v) != LOC_NUM_OK)
        return NAN;
    return v;
}

/* The columns of one measure in every release. */
typedef struct prog_cols {
    long v[3][64]; /* [value, low, high][release] */
} prog_cols;

static const char *const MEASURES[3] = {"value", "gap_council", "gap_scotland"};
static const char *const MEASURE_TEXT[3] = {"the value", "the gap to the rest of the council", "the gap to Scotland"};

static int measure_of(const char *m)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(m, MEASURES[i]))
            return i;
    return 0;
}

/* One row's chart: each release's value and interval, joined; the target
 * line from the baseline to the targets at the plan year + 1, 3 and 10. */
static void put_progress_chart(FILE *f, const loc_csv *t, size_t r, const prog_cols *pc, int m, const int *years,
                               size_t nrel, long cbase, long cplan, const long *ctarget, const char *const *releases)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    double tv[3], tx[3];
    int plan = (int)pcell(t, r, cplan);
    long bcol = -1;
    const char *base = cbase >= 0 ? loc_csv_field(t, r, (size_t)cbase) : "";
    for (size_t k = 0; k < nrel; k++) {
        x0 = fmin(x0, years[k]);
        x1 = fmax(x1, years[k]);
        for (int q = 0; q < 3; q++) {
            double v = pcell(t, r, pc->v[q][k]);
            if (isfinite(v)) {
                y0 = fmin(y0, v);
                y1 = fmax(y1, v);
            }
        }
        if (!strcmp(releases[k], base))
            bcol = pc->v[0][k];
    }
    static const int add[3] = {1, 3, 10};
    for (int i = 0; i < 3; i++) {
        tv[i] = pcell(t, r, ctarget[i]);
        tx[i] = plan + add[i];
        if (isfinite(tv[i]) && plan > 0) {
            x1 = fmax(x1, tx[i]);
            y0 = fmin(y0, tv[i]);
            y1 = fmax(y1, tv[i]);
        }
    }
    if (!isfinite(y0) || !isfinite(x0)) {
        fputs("<p>No value in any release.</p>", f);
        return;
    }
    if (x1 <= x0)
        x1 = x0 + 1;
    double pad = (y1 - y0) > 0 ? 0.08 * (y1 - y0) : fmax(fabs(y1) * 0.1, 1);
    y0 -= pad;
    y1 += pad;
    const double L = 40, R = 8, T = 8, B = 22, W = PW - L - R, H = PH - T - B;
#define GX(x) (L + ((x) - x0) / (x1 - x0) * W)
#define GY(y) (T + (y1 - (y)) / (y1 - y0) * H)
    fprintf(f, "<svg class=\"pg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" aria-hidden=\"true\">", PW, PH,
            PW, PH);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#bbb\"/>", L, T, W, H);
    if (y0 < 0 && y1 > 0)
        fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#888\" stroke-dasharray=\"2 2\"/>", L, GY(0), L + W);
    for (int yr = (int)ceil(x0); yr <= (int)x1; yr++)
        if (yr == (int)x0 || yr == (int)x1 || (yr - (int)x0) % 4 == 0)
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%d</text>", GX(yr), PH - 6,
                    yr == (int)x1 ? "end" : yr == (int)x0 ? "start" : "middle", yr);
    fprintf(f, "<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y1 - pad) + 4);
    num(f, y1 - pad);
    fprintf(f, "</text><text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 3, GY(y0 + pad) + 4);
    num(f, y0 + pad);
    fputs("</text>", f);
    /* the target line: from the baseline's value */
    (void)m;
    if (bcol >= 0 && plan > 0) {
        double bv = pcell(t, r, bcol);
        if (isfinite(bv)) {
            double px = plan, py = bv;
            for (int i = 0; i < 3; i++) {
                if (!isfinite(tv[i]))
                    continue;
                fprintf(f, "<path class=\"tl\" d=\"M%.1f %.1fL%.1f %.1f\"/><circle class=\"tg\" cx=\"%.1f\" cy=\"%.1f\"/>",
                        GX(px), GY(py), GX(tx[i]), GY(tv[i]), GX(tx[i]), GY(tv[i]));
                px = tx[i];
                py = tv[i];
            }
        }
    }
    /* the releases: intervals, points, joined */
    int pen = 0;
    fputs("<path class=\"vl\" d=\"", f);
    for (size_t k = 0; k < nrel; k++) {
        double v = pcell(t, r, pc->v[0][k]);
        if (isfinite(v))
            fprintf(f, "%c%.1f %.1f", pen++ ? 'L' : 'M', GX(years[k]), GY(v));
    }
    fputs("\"/>", f);
    for (size_t k = 0; k < nrel; k++) {
        double v = pcell(t, r, pc->v[0][k]), lo = pcell(t, r, pc->v[1][k]), hi = pcell(t, r, pc->v[2][k]);
        if (!isfinite(v))
            continue;
        if (isfinite(lo) && isfinite(hi))
            fprintf(f, "<path class=\"ci\" d=\"M%.1f %.1fV%.1f\"/>", GX(years[k]), GY(lo), GY(hi));
        fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\"/>", GX(years[k]), GY(v));
    }
    fputs("</svg>", f);
#undef GX
#undef GY
}

/* The plan flag of locality code in each release, from comparison.csv. */
static void put_plan_flags(FILE *f, const loc_csv *cmp, const char *code, const char *const *releases, size_t nrel)
{
    long cc = cmp ? loc_csv_column(cmp, "locality_code") : -1;
    if (cc < 0)
        return;
    for (size_t r = 0; r < loc_csv_nrows(cmp); r++) {
        if (strcmp(loc_csv_field(cmp, r, (size_t)cc), code))
            continue;
        fputs("<p>Locality plan required: ", f);
        int any = 0;
        for (size_t k = 0; k < nrel; k++) {
            char col[256];
            snprintf(col, sizeof col, "%s_plan_required", releases[k]);
            long c = loc_csv_column(cmp, col);
            if (c < 0)
                continue;
            const char *v = loc_csv_field(cmp, r, (size_t)c);
            fputs(any++ ? "; " : "", f);
            esc(f, releases[k]);
            fputs(!strcmp(v, "1") ? " <b>yes</b>" : !strcmp(v, "0") ? " no" : " &ndash;", f);
        }
        fputs(".</p>\n", f);
        return;
    }
}

static loc_status put_progress_page(loc_ctx *ctx, FILE *f, const loc_csv *t, const loc_csv *cmp,
                                    const char *const *releases, const int *years, size_t nrel)
{
    long ck = loc_csv_column(t, "kind"), cl = loc_csv_column(t, "locality_code"), cn = loc_csv_column(t, "locality_name"),
         ci = loc_csv_column(t, "indicator"), cm = loc_csv_column(t, "measure"), cb = loc_csv_column(t, "baseline"),
         cp = loc_csv_column(t, "plan_year"), cs = loc_csv_column(t, "status"), cnote = loc_csv_column(t, "note");
    long ct[3] = {loc_csv_column(t, "target_1y"), loc_csv_column(t, "target_3y"), loc_csv_column(t, "target_10y")};
    if (ck < 0 || cl < 0 || ci < 0 || cm < 0 || cs < 0)
        return loc_error(ctx, LOC_EINVAL, "progress report: the table lacks kind, locality_code, indicator, measure "
                                          "or status");
    if (nrel > 64)
        nrel = 64;
    prog_cols pc[3];
    static const char *const sfx[3] = {"", "_low", "_high"};
    for (int m = 0; m < 3; m++)
        for (size_t k = 0; k < nrel; k++)
            for (int q = 0; q < 3; q++) {
                char name[256];
                snprintf(name, sizeof name, "%s_%s%s", releases[k], MEASURES[m], sfx[q]);
                pc[m].v[q][k] = loc_csv_column(t, name);
            }
    size_t n = loc_csv_nrows(t);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Progress across releases"
          "</title>\n<style>\n", f);
    fputs(STYLE_SHEET, f);
    fputs(".prow{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin:.4em 0}"
          "svg.pg{max-width:100%;height:auto}svg.pg .vl{fill:none;stroke:#225ea8;stroke-width:1.5}"
          "svg.pg .ci{stroke:#225ea8;stroke-width:3;stroke-opacity:.35}svg.pg .pt{r:3.5px;fill:#225ea8}"
          "svg.pg .tl{stroke:#b2182b;stroke-dasharray:4 3;fill:none}svg.pg .tg{r:3px;fill:#fff;stroke:#b2182b}"
          "span.st{font-weight:bold}section.loc{border-top:1px solid #ccc;content-visibility:auto;"
          "contain-intrinsic-size:auto 400px}\n</style>\n</head>\n<body>\n", f);
    fputs("<header class=\"tb\"><h1>Progress across releases</h1><p>Releases: ", f);
    for (size_t k = 0; k < nrel; k++) {
        fputs(k ? ", " : "", f);
        esc(f, releases[k]);
        fprintf(f, " (%d)", years[k]);
    }
    fputs(".</p></header>\n<p>Per locality, each target and trend: the measure in each release (blue, with its interval "
          "at the assessment's decision level), and for a target the line from the baseline to the 1-, 3- and "
          "10-year targets (red). A trend compares the gap to the rest of the council between the first and the last "
          "release against the noise of both; a status of <i>cannot tell</i> means the change lies within it.</p>\n",
          f);
    /* localities in order of first appearance: targets come first in the table */
    uint8_t *done = loc_calloc(ctx, n ? n : 1, 1);
    if (!done)
        return LOC_ENOMEM;
    for (size_t r = 0; r < n; r++) {
        if (done[r])
            continue;
        const char *code = loc_csv_field(t, r, (size_t)cl);
        fputs("<section class=\"loc\"><h3>", f);
        esc(f, cn >= 0 && loc_csv_field(t, r, (size_t)cn)[0] ? loc_csv_field(t, r, (size_t)cn) : code);
        fputs(" <small>", f);
        esc(f, code);
        fputs("</small></h3>\n", f);
        put_plan_flags(f, cmp, code, releases, nrel);
        for (size_t q = r; q < n; q++) {
            if (done[q] || strcmp(loc_csv_field(t, q, (size_t)cl), code))
                continue;
            done[q] = 1;
            int m = measure_of(loc_csv_field(t, q, (size_t)cm));
            int trend = !strcmp(loc_csv_field(t, q, (size_t)ck), "trend");
            fputs("<div class=\"prow\"><div><p><b>", f);
            esc(f, loc_csv_field(t, q, (size_t)ci));
            fputs("</b>: ", f);
            fputs(MEASURE_TEXT[m], f);
            fputs(trend ? " (trend)" : " (target)", f);
            fputs("</p>", f);
            put_progress_chart(f, t, q, &pc[m], m, years, nrel, cb, cp, ct, releases);
            fputs("<p><span class=\"st\">", f);
            const char *stt = loc_csv_field(t, q, (size_t)cs);
            for (const char *c = stt; *c; c++)
                fputc(*c == '_' ? ' ' : *c, f);
            fputs("</span>", f);
            if (cnote >= 0 && loc_csv_field(t, q, (size_t)cnote)[0]) {
                fputs(": ", f);
                esc(f, loc_csv_field(t, q, (size_t)cnote));
            }
            fputs("</p></div><table class=\"data\"><thead><tr><th>Release</th><th>Value</th><th>Interval</th></tr>"
                  "</thead><tbody>", f);
            for (size_t k = 0; k < nrel; k++) {
                fputs("<tr><td>", f);
                esc(f, releases[k]);
                fputs("</td><td class=\"n\">", f);
                num(f, pcell(t, q, pc[m].v[0][k]));
                fputs("</td><td class=\"n\">", f);
                num(f, pcell(t, q, pc[m].v[1][k]));
                fputs("&ndash;", f);
                num(f, pcell(t, q, pc[m].v[2][k]));
                fputs("</td></tr>", f);
            }
            for (int i = 0; i < 3 && !trend; i++) {
                double tv = pcell(t, q, ct[i]);
                if (!isfinite(tv))
                    continue;
                static const char *const when[3] = {"target, 1 year", "target, 3 years", "target, 10 years"};
                fprintf(f, "<tr><td>%s</td><td class=\"n\">", when[i]);
                num(f, tv);
                fputs("</td><td></td></tr>", f);
            }
            fputs("</tbody></table></div>\n", f);
        }
        fputs("</section>\n", f);
    }
    loc_free(ctx, done);
    fputs("<footer><p>Written by Localities " LOC_VERSION ".</p></footer>\n</body>\n</html>\n", f);
    return LOC_OK;
}

loc_status loc_write_progress_report(loc_ctx *ctx, const loc_csv *progress, const loc_csv *comparison,
                                     const char *const *releases, const int *years, size_t nrel, const char *path)
{
    if (!progress || (nrel && (!releases || !years)))
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no progress table or releases", path);
    char *tmp = NULL;
    int fd;
    loc_status st = reserve_temp(ctx, path, "", &tmp, &fd);
    if (st)
        return st;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        discard_temp(ctx, tmp);
        return loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    st = put_progress_page(ctx, f, progress, comparison, releases, years, nrel);
    if (!st && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (fclose(f) != 0 && !st)
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (st) {
        discard_temp(ctx, tmp);
        return st;
    }
    return commit_temp(ctx, tmp, path);
}
