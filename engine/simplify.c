/*
 * Coverage simplification for the report's maps: polygons that share
 * their boundaries vertex for vertex (the dissolved localities do: their
 * outlines are traced from the same zone segments) are simplified
 * together, so that a boundary two localities share is simplified once
 * and drawn the same on both sides, with no hairline gaps or overlaps
 * between neighbours where each outline simplified on its own would part.
 *
 * The rings are cut into arcs at their junctions: vertices with other
 * than two distinct neighbours over all the rings (where three localities
 * meet, or two touch at a point).  Each arc is simplified once with
 * Douglas-Peucker, its ends kept, walked from its lesser end so that both
 * sides get the same answer; a ring with no junction (an island, or an
 * enclave and the hole around it) is cut at its least vertex and the
 * vertex farthest from it.  A ring left with fewer than three vertices is
 * drawn as it was.  Douglas-Peucker does not stop two arcs from crossing
 * where they come within the tolerance of each other; at the report's
 * half a pixel that is out of sight, and GEOS's topology-preserving
 * simplifier, which prevents it, took four times as long as this whole
 * file does and still left the gaps between neighbours.
 */
#include "writers_internal.h"
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Vertices by exact coordinates, open addressing. */
typedef struct vtab {
    uint32_t *slot;   /* vertex id + 1, 0 empty */
    size_t mask;
    double *x, *y;
    uint32_t (*nb)[2];/* up to two distinct neighbours */
    uint8_t *nnb;     /* distinct neighbours seen, 3 meaning three or more */
    uint8_t *keep, *done;
    size_t n, cap;
} vtab;

/* The rings, as vertex ids without the closing repeat. */
typedef struct rings {
    uint32_t *v;
    size_t nv, vcap;
    size_t *start;    /* nring + 1 */
    size_t nring, rcap;
} rings;

typedef struct cs_state {
    loc_ctx *ctx;
    GEOSContextHandle_t h;
    double tol;
    vtab t;
    rings r;
    double *xy;       /* coordinate buffer, 2 per vertex */
    size_t xycap;
    uint32_t *arc;    /* one arc's vertex ids */
    size_t arccap;
    size_t (*stack)[2];
    size_t stackcap;
} cs_state;

static uint64_t hash_xy(double x, double y)
{
    uint64_t a, b;
    x += 0.0; /* -0 as 0: equal coordinates, equal hashes */
    y += 0.0;
    memcpy(&a, &x, sizeof a);
    memcpy(&b, &y, sizeof b);
    uint64_t z = a * 0x9E3779B97F4A7C15ULL ^ (b + 0xBF58476D1CE4E5B9ULL + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    return z ^ (z >> 31);
}

static int grow(loc_ctx *ctx, void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = loc_realloc(ctx, *p, c * size);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

static int vtab_rehash(cs_state *s, size_t want)
{
    vtab *t = &s->t;
    size_t size = 1024;
    while (size < 2 * want)
        size *= 2;
    uint32_t *slot = loc_calloc(s->ctx, size, sizeof *slot);
    if (!slot)
        return 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t at = hash_xy(t->x[i], t->y[i]) & (size - 1);
        while (slot[at])
            at = (at + 1) & (size - 1);
        slot[at] = (uint32_t)i + 1;
    }
    loc_free(s->ctx, t->slot);
    t->slot = slot;
    t->mask = size - 1;
    return 1;
}

/* The id of (x, y), a new one when first seen; UINT32_MAX when out of
 * memory. */
static uint32_t vertex_id(cs_state *s, double x, double y)
{
    vtab *t = &s->t;
    if (!t->slot || 2 * (t->n + 1) > t->mask + 1)
        if (!vtab_rehash(s, t->n + 1))
            return UINT32_MAX;
    size_t at = hash_xy(x, y) & t->mask;
    for (; t->slot[at]; at = (at + 1) & t->mask) {
        uint32_t i = t->slot[at] - 1;
        if (t->x[i] == x && t->y[i] == y)
            return i;
    }
    if (t->n == t->cap) {
        size_t c = t->cap ? 2 * t->cap : 1024;
        double *nx = loc_realloc(s->ctx, t->x, c * sizeof *nx);
        if (nx)
            t->x = nx;
        double *ny = loc_realloc(s->ctx, t->y, c * sizeof *ny);
        if (ny)
            t->y = ny;
        uint32_t(*nb)[2] = loc_realloc(s->ctx, t->nb, c * sizeof *nb);
        if (nb)
            t->nb = nb;
        uint8_t *nn = loc_realloc(s->ctx, t->nnb, c);
        if (nn)
            t->nnb = nn;
        if (!nx || !ny || !nb || !nn || t->n >= UINT32_MAX - 1)
            return UINT32_MAX;
        t->cap = c;
    }
    uint32_t id = (uint32_t)t->n++;
    t->x[id] = x;
    t->y[id] = y;
    t->nnb[id] = 0;
    t->slot[at] = id + 1;
    return id;
}

static void add_neighbour(vtab *t, uint32_t a, uint32_t b)
{
    uint8_t k = t->nnb[a];
    if (k >= 3 || (k >= 1 && t->nb[a][0] == b) || (k >= 2 && t->nb[a][1] == b))
        return;
    if (k < 2)
        t->nb[a][k] = b;
    t->nnb[a] = (uint8_t)(k + 1);
}

static loc_status build_failed(cs_state *s)
{
    return loc_error(s->ctx, LOC_EGEOM, "report: GEOS cannot build a simplified locality: %s", loc_lib_msg(s->ctx));
}

static loc_status fail(cs_state *s, const char *what)
{
    return loc_error(s->ctx, LOC_EGEOM, "report: GEOS cannot read a locality's %s: %s", what, loc_lib_msg(s->ctx));
}

/* One ring into the tables: ids without consecutive repeats or the
 * closing vertex, neighbours noted both ways. */
static loc_status add_ring(cs_state *s, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(s->h, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(s->h, cs, &n))
        return fail(s, "ring");
    if (!grow(s->ctx, (void **)&s->xy, &s->xycap, 2 * (size_t)n + 2, sizeof *s->xy) ||
        !grow(s->ctx, (void **)&s->r.v, &s->r.vcap, s->r.nv + n, sizeof *s->r.v) ||
        !grow(s->ctx, (void **)&s->r.start, &s->r.rcap, s->r.nring + 2, sizeof *s->r.start))
        return LOC_ENOMEM;
    if (n && !GEOSCoordSeq_copyToBuffer_r(s->h, cs, s->xy, 0, 0))
        return fail(s, "ring");
    size_t first = s->r.nv;
    s->r.start[s->r.nring] = first;
    for (unsigned i = 0; i < n; i++) {
        uint32_t id = vertex_id(s, s->xy[2 * i], s->xy[2 * i + 1]);
        if (id == UINT32_MAX)
            return LOC_ENOMEM;
        if (s->r.nv > first && s->r.v[s->r.nv - 1] == id)
            continue;
        s->r.v[s->r.nv++] = id;
    }
    if (s->r.nv - first > 1 && s->r.v[s->r.nv - 1] == s->r.v[first])
        s->r.nv--; /* the closing repeat */
    size_t m = s->r.nv - first;
    for (size_t i = 0; m > 1 && i < m; i++) {
        uint32_t a = s->r.v[first + i], b = s->r.v[first + (i + 1) % m];
        add_neighbour(&s->t, a, b);
        add_neighbour(&s->t, b, a);
    }
    s->r.nring++;
    s->r.start[s->r.nring] = s->r.nv;
    return LOC_OK;
}

/* Calls f on every ring of g in order (shell, holes; part by part). */
static loc_status each_ring(cs_state *s, const GEOSGeometry *g, loc_status (*f)(cs_state *, const GEOSGeometry *))
{
    int type = GEOSGeomTypeId_r(s->h, g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(s->h, g) == 1)
            return LOC_OK;
        const GEOSGeometry *ext = GEOSGetExteriorRing_r(s->h, g);
        int nh = GEOSGetNumInteriorRings_r(s->h, g);
        if (!ext || nh < 0)
            return fail(s, "polygon");
        loc_status st = f(s, ext);
        for (int i = 0; i < nh && !st; i++) {
            const GEOSGeometry *hole = GEOSGetInteriorRingN_r(s->h, g, i);
            st = hole ? f(s, hole) : fail(s, "polygon");
        }
        return st;
    }
    if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION)
        return loc_error(s->ctx, LOC_EGEOM, "report: a locality that is not polygonal (GEOS type %d)", type);
    int n = GEOSGetNumGeometries_r(s->h, g);
    if (n < 0)
        return fail(s, "parts");
    loc_status st = LOC_OK;
    for (int i = 0; i < n && !st; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(s->h, g, i);
        st = part ? each_ring(s, part, f) : fail(s, "parts");
    }
    return st;
}

/* a before b: x, then y. */
static int less_xy(const vtab *t, uint32_t a, uint32_t b)
{
    return t->x[a] < t->x[b] || (t->x[a] == t->x[b] && t->y[a] < t->y[b]);
}

/* Distance of p from the segment a-b. */
static double seg_dist(const vtab *t, uint32_t p, uint32_t a, uint32_t b)
{
    double ax = t->x[a], ay = t->y[a], dx = t->x[b] - ax, dy = t->y[b] - ay;
    double px = t->x[p] - ax, py = t->y[p] - ay, len2 = dx * dx + dy * dy;
    double u = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return hypot(px - u * dx, py - u * dy);
}

/* Douglas-Peucker on s->arc[0..m): the vertices kept marked in keep; the
 * ends always kept. */
static loc_status simplify_arc(cs_state *s, size_t m)
{
    vtab *t = &s->t;
    const uint32_t *a = s->arc;
    t->keep[a[0]] = t->keep[a[m - 1]] = 1;
    size_t top = 0;
    if (m < 3)
        return LOC_OK;
    if (!grow(s->ctx, (void **)&s->stack, &s->stackcap, m + 1, sizeof *s->stack))
        return LOC_ENOMEM;
    s->stack[top][0] = 0;
    s->stack[top++][1] = m - 1;
    while (top) {
        size_t i = s->stack[--top][0], j = s->stack[top][1], far = i;
        double best = s->tol;
        for (size_t k = i + 1; k < j; k++) {
            double d = seg_dist(t, a[k], a[i], a[j]);
            if (d > best) {
                best = d;
                far = k;
            }
        }
        if (far == i)
            continue;
        t->keep[a[far]] = 1;
        s->stack[top][0] = i; /* at most one more entry than was taken */
        s->stack[top++][1] = far;
        s->stack[top][0] = far;
        s->stack[top++][1] = j;
    }
    return LOC_OK;
}

/* The arc from ring position p to q (q after p, wrapping), walked from
 * its lesser end: as it is, or reversed. */
static loc_status take_arc(cs_state *s, const uint32_t *ring, size_t m, size_t p, size_t q)
{
    size_t len = (q + m - p) % m + 1;
    if (len == 1)
        len = m + 1; /* a whole loop from one junction back to it */
    if (!grow(s->ctx, (void **)&s->arc, &s->arccap, len, sizeof *s->arc))
        return LOC_ENOMEM;
    for (size_t i = 0; i < len; i++)
        s->arc[i] = ring[(p + i) % m];
    const vtab *t = &s->t;
    uint32_t a = s->arc[0], b = s->arc[len - 1];
    int flip = a == b ? len > 2 && less_xy(t, s->arc[len - 2], s->arc[1]) : less_xy(t, b, a);
    for (size_t i = 0; flip && i < len / 2; i++) {
        uint32_t x = s->arc[i];
        s->arc[i] = s->arc[len - 1 - i];
        s->arc[len - 1 - i] = x;
    }
    for (size_t i = 1; i + 1 < len; i++)
        s->t.done[s->arc[i]] = 1;
    return simplify_arc(s, len);
}

/* A ring with no junction: cut at its least vertex and the vertex
 * farthest from that, both halves from the least vertex. */
static loc_status loop_ring(cs_state *s, const uint32_t *ring, size_t m)
{
    const vtab *t = &s->t;
    size_t lo = 0, far = 0;
    for (size_t i = 1; i < m; i++)
        if (less_xy(t, ring[i], ring[lo]))
            lo = i;
    double best = -1;
    for (size_t i = 0; i < m; i++) {
        double d = hypot(t->x[ring[i]] - t->x[ring[lo]], t->y[ring[i]] - t->y[ring[lo]]);
        if (d > best || (d == best && less_xy(t, ring[i], ring[far]))) {
            best = d;
            far = i;
        }
    }
    s->t.done[ring[lo]] = s->t.done[ring[far]] = 1;
    loc_status st = take_arc(s, ring, m, lo, far);
    return st ? st : take_arc(s, ring, m, far, lo);
}

/* Mark the vertices kept: every junction, and what each arc keeps. */
static loc_status simplify_rings(cs_state *s)
{
    vtab *t = &s->t;
    for (size_t r = 0; r < s->r.nring; r++) {
        const uint32_t *ring = s->r.v + s->r.start[r];
        size_t m = s->r.start[r + 1] - s->r.start[r], first = m;
        if (m < 3)
            continue;
        for (size_t i = 0; i < m; i++)
            if (t->nnb[ring[i]] != 2) {
                t->keep[ring[i]] = 1;
                if (first == m)
                    first = i;
            }
        loc_status st = LOC_OK;
        if (first == m) {
            if (!t->done[ring[0]])
                st = loop_ring(s, ring, m);
        } else {
            for (size_t i = first, n = 0; n < m && !st;) {
                size_t j = (i + 1) % m;
                while (t->nnb[ring[j]] == 2)
                    j = (j + 1) % m;
                size_t next = (i + 1) % m;
                if (next != j && !t->done[ring[next]])
                    st = take_arc(s, ring, m, i, j);
                n += (j + m - i) % m ? (j + m - i) % m : m;
                i = j;
            }
        }
        if (st)
            return st;
    }
    return LOC_OK;
}

/* Ring number r rebuilt from the vertices kept; the ring as it was when
 * fewer than three are left.  NULL with *st set on a failure. */
static GEOSGeometry *kept_ring(cs_state *s, const GEOSGeometry *orig, size_t r, loc_status *st)
{
    const vtab *t = &s->t;
    const uint32_t *ring = s->r.v + s->r.start[r];
    size_t m = s->r.start[r + 1] - s->r.start[r], k = 0;
    if (!grow(s->ctx, (void **)&s->xy, &s->xycap, 2 * m + 2, sizeof *s->xy)) {
        *st = LOC_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < m; i++)
        if (t->keep[ring[i]]) {
            s->xy[2 * k] = t->x[ring[i]];
            s->xy[2 * k + 1] = t->y[ring[i]];
            k++;
        }
    GEOSGeometry *g = NULL;
    if (k < 3) {
        g = orig ? GEOSGeom_clone_r(s->h, orig) : NULL;
    } else {
        s->xy[2 * k] = s->xy[0];
        s->xy[2 * k + 1] = s->xy[1];
        GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(s->h, s->xy, (unsigned)k + 1, 0, 0);
        g = cs ? GEOSGeom_createLinearRing_r(s->h, cs) : NULL;
        if (cs && !g)
            GEOSCoordSeq_destroy_r(s->h, cs);
    }
    if (!g)
        *st = build_failed(s);
    return g;
}

/* g rebuilt from the kept vertices; *r counts the rings taken so far.
 * NULL with *st set on a failure. */
static GEOSGeometry *rebuild(cs_state *s, const GEOSGeometry *g, size_t *r, loc_status *st)
{
    GEOSContextHandle_t h = s->h;
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g) == 1) {
            GEOSGeometry *e = GEOSGeom_createEmptyPolygon_r(h);
            if (!e)
                *st = build_failed(s);
            return e;
        }
        int nh = GEOSGetNumInteriorRings_r(h, g);
        GEOSGeometry *shell = kept_ring(s, GEOSGetExteriorRing_r(h, g), (*r)++, st);
        GEOSGeometry **holes = nh > 0 ? loc_calloc(s->ctx, (size_t)nh, sizeof *holes) : NULL;
        if (nh > 0 && !holes && !*st)
            *st = LOC_ENOMEM;
        for (int i = 0; i < nh && !*st; i++)
            holes[i] = kept_ring(s, GEOSGetInteriorRingN_r(h, g, i), (*r)++, st);
        GEOSGeometry *pg = NULL;
        if (!*st && !(pg = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)(nh > 0 ? nh : 0))))
            *st = build_failed(s);
        if (!pg) {
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            for (int i = 0; i < nh && holes; i++)
                if (holes[i])
                    GEOSGeom_destroy_r(h, holes[i]);
        }
        loc_free(s->ctx, holes);
        return pg;
    }
    int n = GEOSGetNumGeometries_r(h, g);
    GEOSGeometry **parts = loc_calloc(s->ctx, n > 0 ? (size_t)n : 1, sizeof *parts);
    if (!parts) {
        *st = LOC_ENOMEM;
        return NULL;
    }
    for (int i = 0; i < n && !*st; i++)
        parts[i] = rebuild(s, GEOSGetGeometryN_r(h, g, i), r, st);
    GEOSGeometry *out = NULL;
    if (!*st && !(out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n)))
        *st = build_failed(s);
    if (!out)
        for (int i = 0; i < n; i++)
            if (parts[i])
                GEOSGeom_destroy_r(h, parts[i]);
    loc_free(s->ctx, parts);
    return out;
}

static void cs_free(cs_state *s)
{
    loc_free(s->ctx, s->t.slot);
    loc_free(s->ctx, s->t.x);
    loc_free(s->ctx, s->t.y);
    loc_free(s->ctx, s->t.nb);
    loc_free(s->ctx, s->t.nnb);
    loc_free(s->ctx, s->t.keep);
    loc_free(s->ctx, s->t.done);
    loc_free(s->ctx, s->r.v);
    loc_free(s->ctx, s->r.start);
    loc_free(s->ctx, s->xy);
    loc_free(s->ctx, s->arc);
    loc_free(s->ctx, s->stack);
}

loc_status loc_simplify_coverage(loc_ctx *ctx, const GEOSGeometry *const *geoms, size_t n, double tol,
                                 GEOSGeometry **out)
{
    cs_state s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.h = loc_geos(ctx);
    s.tol = tol;
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    loc_status st = LOC_OK;
    for (size_t i = 0; i < n && !st; i++)
        st = each_ring(&s, geoms[i], add_ring);
    if (!st && (!(s.t.keep = loc_calloc(ctx, s.t.n ? s.t.n : 1, 1)) || !(s.t.done = loc_calloc(ctx, s.t.n ? s.t.n : 1, 1))))
        st = LOC_ENOMEM;
    if (!st)
        st = simplify_rings(&s);
    size_t r = 0;
    for (size_t i = 0; i < n && !st; i++)
        out[i] = rebuild(&s, geoms[i], &r, &st);
    if (st)
        for (size_t i = 0; i < n; i++)
            if (out[i]) {
                GEOSGeom_destroy_r(s.h, out[i]);
                out[i] = NULL;
            }
    cs_free(&s);
    return st;
}
