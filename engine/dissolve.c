/*
 * Dissolve: one polygon per locality from its member zones.  Published
 * boundaries are a clean coverage (neighbours share identical vertices):
 * a locality's outline is then its zones' segments that no other member
 * holds, and tracing them into rings (see "Outline traced from the zones'
 * own segments") gives what GEOS coverage union gives, about ten times
 * faster; GEOS coverage union takes over for any locality the trace cannot
 * explain.  Boundaries simplified zone by zone are not a coverage:
 * coverage union then throws (GEOS checks that the area is preserved) and
 * ordinary union takes over, which leaves the thin gaps between
 * neighbours as holes; holes narrower on average than the sliver width
 * (LOC_SLIVER_WIDTH_M, or the simplification tolerance the caller passes)
 * are such gaps and are filled.
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
#include <pthread.h>
#include <stdint.h>
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
    return loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot rebuild the union: %s", code, loc_lib_msg(ctx));
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
    size_t vcap;         /* slots in use, a power of two */
    size_t valloc;       /* slots allocated */
    uint32_t *seg;       /* directed segments: from and to vertex, 2 per segment */
    uint8_t *dead;       /* per segment: matched with its reverse */
    size_t ns, cap_seg, cap_dead;
    uint32_t *stab;      /* segment hash table: index + 1, 0 for empty */
    size_t scap, salloc;
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

loc_status loc_wr_table_reset(loc_ctx *ctx, uint32_t **tab, size_t *cap, size_t *alloc, size_t n)
{
    size_t want = 16;
    while (want < 2 * n)
        want *= 2;
    if (want > *alloc) {
        loc_free(ctx, *tab);
        *cap = *alloc = 0;
        if (!(*tab = loc_calloc(ctx, want, sizeof **tab)))
            return LOC_ENOMEM;
        *alloc = want;
    } else {
        /* only the slots this set will use: a large locality early on
         * must not make every later one clear its whole table */
        memset(*tab, 0, want * sizeof **tab);
    }
    *cap = want;
    return LOC_OK;
}

/* The index of vertex (x, y), added when new; UINT32_MAX when memory ran out. */
static uint32_t vertex_id(loc_ctx *ctx, trace *t, double x, double y)
{
    uint64_t bx = loc_wr_coord_bits(x), by = loc_wr_coord_bits(y);
    size_t mask = t->vcap - 1, s = (size_t)loc_wr_mix64(bx * 31 + loc_wr_mix64(by)) & mask;
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
    size_t mask = t->scap - 1, s = (size_t)loc_wr_mix64(((uint64_t)a << 32) | b) & mask;
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
    if (loc_wr_table_reset(ctx, &t->vtab, &t->vcap, &t->valloc, points) ||
        loc_wr_table_reset(ctx, &t->stab, &t->scap, &t->salloc, points))
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
            loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot read its zones: %s", code, loc_lib_msg(ctx));
            goto done;
        }
    loc_lib_clear(ctx);
    /* the collection takes the parts, also when it fails */
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
    np = 0;
    if (!coll) {
        loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot collect its zones: %s", code, loc_lib_msg(ctx));
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
        loc_lib_clear(ctx);
        if (!(u = GEOSUnaryUnion_r(h, coll)))
            loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS union failed: %s", code, loc_lib_msg(ctx));
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
                          loc_partition_code(d->p, k), loc_lib_msg(d->ctx));
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
                           loc_zones_code(z, m[i]), loc_lib_msg(ctx));
            goto done;
        }
        d->zone_area[k] += a;
        parts[np++] = g;
    }
    if (np == 0) {
        if (!(d->geoms[k] = GEOSGeom_createEmptyPolygon_r(h)))
            st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS: %s", code, loc_lib_msg(ctx));
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
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS validity check failed: %s", code, loc_lib_msg(ctx));
        goto done;
    }
    if (!ok) {
        /* filling a sliver can make a hole touch the shell twice; repair */
        if (!(fixed = GEOSMakeValid_r(h, d->geoms[k]))) {
            st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot repair the union: %s", code, loc_lib_msg(ctx));
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
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot normalise the union: %s", code, loc_lib_msg(ctx));
        goto done;
    }
    if (!GEOSArea_r(h, d->geoms[k], &d->area[k]) || !GEOSLength_r(h, d->geoms[k], &d->perim[k]) ||
        !warm_envelopes(h, d->geoms[k]))
        st = loc_error(ctx, LOC_EGEOM, "locality '%s': GEOS cannot measure the union: %s", code, loc_lib_msg(ctx));
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
    opts->threads = 0;
}

/* Several threads dissolving localities: each takes the next locality
 * from a shared counter, in increasing order, with a copy of the result
 * that has its own context (GEOS handle, error message) and counters and
 * writes only the slots of the localities it takes.  A worker stops at its
 * first failure; every locality handed out is dissolved, so the failure
 * with the lowest index among the workers' is the first in locality
 * order, the one a single thread would have reported. */
typedef struct dissolve_pool {
    loc_dissolved *d;
    size_t next;                /* atomic: the next locality to take */
    int stop;                   /* atomic: a worker failed, hand out no more */
} dissolve_pool;

typedef struct dissolve_worker {
    dissolve_pool *pool;
    loc_dissolved part;         /* *pool->d with this worker's context and counters */
    size_t failed_at;           /* the locality that failed, or SIZE_MAX */
    loc_status st;
} dissolve_worker;

static void *dissolve_worker_main(void *arg)
{
    dissolve_worker *w = arg;
    trace t;
    memset(&t, 0, sizeof t);
    w->failed_at = SIZE_MAX;
    w->st = LOC_OK;
    for (;;) {
        if (__atomic_load_n(&w->pool->stop, __ATOMIC_RELAXED))
            break;
        size_t k = __atomic_fetch_add(&w->pool->next, 1, __ATOMIC_RELAXED);
        if (k >= w->part.n)
            break;
        if ((w->st = dissolve_one(&w->part, &t, k))) {
            if (!loc_errcode(w->part.ctx))
                loc_error(w->part.ctx, w->st, "out of memory");
            w->failed_at = k;
            __atomic_store_n(&w->pool->stop, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    trace_free(w->part.ctx, &t);
    return NULL;
}

/* Dissolve every locality of d with nthreads workers (the caller's thread
 * one of them); LOC_OK, or the first failure's status with its message in
 * d->ctx. */
static loc_status dissolve_all(loc_dissolved *d, size_t nthreads)
{
    dissolve_pool pool = {d, 0, 0};
    dissolve_worker w[8];
    pthread_t tid[8];
    size_t made = 0, started = 0;
    loc_status st = LOC_OK;
    for (; made < nthreads; made++) {
        w[made].pool = &pool;
        w[made].part = *d;
        w[made].part.fallbacks = w[made].part.missing = w[made].part.slivers = w[made].part.traced = 0;
        if (made > 0 && !(w[made].part.ctx = loc_ctx_create(NULL)))
            break;
    }
    while (started + 1 < made && pthread_create(&tid[started], NULL, dissolve_worker_main, &w[started + 1]) == 0)
        started++;
    dissolve_worker_main(&w[0]);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    /* workers never started (no thread to be had) leave their part to
     * the caller's thread: it ran until the counter was spent */
    size_t first = SIZE_MAX, at = 0;
    for (size_t i = 0; i < started + 1; i++) {
        d->fallbacks += w[i].part.fallbacks;
        d->missing += w[i].part.missing;
        d->slivers += w[i].part.slivers;
        d->traced += w[i].part.traced;
        if (w[i].failed_at < first) {
            first = w[i].failed_at;
            at = i;
        }
    }
    if (first != SIZE_MAX) {
        st = w[at].st;
        if (at > 0)
            loc_error(d->ctx, loc_errcode(w[at].part.ctx), "%s", loc_errmsg(w[at].part.ctx));
    }
    for (size_t i = 1; i < made; i++)
        loc_ctx_destroy(w[i].part.ctx);
    return st;
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
    long nt = opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = nt < 1 ? 1 : nt > 8 ? 8 : (size_t)nt;
    if (opts->threads <= 0 && nthreads > d->n / 64 + 1) /* a few localities: not worth a thread */
        nthreads = d->n / 64 + 1;
    if (dissolve_all(d, nthreads))
        goto fail;
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

