/*
 * Contiguity graph: shared boundaries found by hashing segments, gaps
 * bridged by a tolerance pass over what hashing left, islands linked.
 *
 * The invariant the rest of the engine relies on: the graph is symmetric
 * (b is in a's row exactly when a is in b's, with the same length and
 * kind), rows are sorted, and after linking every council's zones form one
 * connected part unless a link was refused by max_link_m.
 *
 * Construction runs in four passes, each close to linear in the number of
 * vertices V:
 *
 * 1. Exact pass.  Every ring segment is hashed on its endpoints, quantised
 *    to a millimetre and put in canonical order.  On a clean coverage two
 *    neighbours hold the same segment with identical vertices, so each
 *    shared segment meets its twin in the table and adds its length to the
 *    pair.  This decides everything on the Scottish data zones: hashing
 *    alone gives the 19,102 rook pairs that GEOS finds by intersecting
 *    boundaries pair by pair, and so it does for the 2001 zones, the
 *    intermediate zones, the wards and the HSCP localities in
 *    ../shared/data/scotland (checked while writing this module).
 *
 * 2. Queen pass (option).  Vertices are hashed the same way; zones sharing
 *    a vertex but no segment touch at a point.
 *
 * 3. Tolerance pass.  Boundaries simplified polygon by polygon no longer
 *    share vertices: each side of a shared boundary wanders by up to the
 *    simplification tolerance, leaving slivers and overlaps.  Only the
 *    segments hashing left unmatched can be part of such a gap (on a clean
 *    coverage that is just the coast and the national border), so only
 *    they enter this pass.  They are cut into chunks of a few consecutive
 *    segments, indexed in a GEOS STRtree, and each chunk is queried with
 *    its envelope grown by the tolerance: never every pair.  For a segment
 *    s of zone i and a nearby segment t of zone j, the part of s that runs
 *    *alongside* t counts: the part within the tolerance of t's line whose
 *    perpendicular foot falls inside t, weighted by the cosine of the
 *    angle between them.  The foot condition keeps two coastal segments
 *    that merely meet end to end at a junction from counting as shared; the
 *    cosine keeps two boundaries that cross near a corner from counting as
 *    more than a point.  The pair's snapped length is the mean of what
 *    i's segments measure along j and j's along i.  A pair the exact pass
 *    did not find is a rook neighbour when that length reaches
 *    MIN_SHARED_FACTOR tolerances, else (queen option) a point contact.  A
 *    pair the exact pass found keeps its exact length unless the snapped
 *    part is the larger (see merge_records).
 *
 * 4. Island linking.  Connected parts are counted within each council by
 *    union-find over the edges.  Every part but the largest looks for the
 *    nearest zone of its council outside itself (GEOS STRtree nearest
 *    neighbour with a distance callback that skips its own part and other
 *    councils, boundary-to-boundary distance by GEOSPreparedDistance); the
 *    links are made shortest first, skipping any whose ends have already
 *    been joined, and the round repeats (Boruvka) until each council is
 *    one part.  Links are reported, and never cross councils.
 *
 * The default tolerance, LOC_GRAPH_SNAP_M = 0.1 m, comes from the 2011
 * data zones (dz2011_scotland_simplified.gpkg), checked while writing this
 * module:
 *   - The published file is a clean coverage (topology-preserving
 *     simplification).  17 pairs of zones come within 5 m of each other
 *     without sharing a boundary.  16 are kept apart by a third zone that
 *     tapers between them; its segments match exactly and never reach the
 *     tolerance pass, so no tolerance joins them.  The 17th, S01007538 and
 *     S01007544 (Castle Douglas 05, Dalbeattie Rural 01), are two coasts
 *     crossing at 10 degrees 0.2 m apart with no zone between them (by the
 *     Urr Water south of Dalbeattie): any tolerance of 0.2 m or more makes
 *     them rook neighbours, which the topology says they are not.  Below
 *     0.2 m the graph equals the exact one (19,102 rook pairs, lengths
 *     unchanged).
 *   - Simplifying every zone on its own (GEOS TopologyPreserveSimplify at
 *     e metres, which opens slivers up to 2e wide) and snapping at e
 *     recovers the true pairs; moving every vertex of every zone on its own
 *     by up to d in x and y (independent digitising) needs a snap of 2d.
 *     Missed and false rook pairs, against the 19,102 of the published
 *     file, for the rook threshold MIN_SHARED_FACTOR = 0.5, 1 and 2:
 *
 *         simplified e = 1 m, snap 1      0 / 1     0 / 1     2 / 1
 *         simplified e = 5 m, snap 5      5 / 2    10 / 1    22 / 1
 *         simplified e = 20 m, snap 20   64 / 27  130 / 17  343 / 11
 *         moved d = 0.3 m, snap 0.6       0 / 327   0 / 182   0 / 61
 *         moved d = 3 m, snap 6           2 / 336   6 / 192  21 / 71
 *
 *     The false pairs of moved vertices are corner contacts (520 pairs
 *     meet only at a point) whose corners now overlap by up to 2d, as long
 *     as a true boundary that short: no threshold tells them apart.  One
 *     tolerance is the better choice for simplified boundaries, the
 *     published kind, at an equal count of errors overall.  The one false
 *     pair of light simplification is the Urr pair above.  Shared
 *     boundaries shorter than the tolerance are lost (114 true pairs share
 *     less than 20 m).
 * So the default bridges coordinate noise and non-noded vertices (a vertex
 * of one zone lying on a segment of its neighbour) without bridging any
 * real gap, and data simplified polygon by polygon needs a tolerance near
 * its simplification tolerance.  snap_auto (the default) finds it: see
 * choose_snap.  Measured with ogr2ogr -simplify 25 on the 2011 zones (the
 * zones simplified one by one, gaps and overlaps up to about 25 m), rook
 * pairs found of the 19,102 true ones and false pairs, by tolerance:
 *
 *     0.1 m 96.18% / 0.04%    10 m 98.63% / 0.05%    20 m 99.07% / 0.10%
 *       5 m 97.88% / 0.05%    15 m 98.95% / 0.08%    25 m 98.97% / 0.12%
 *                                                    40 m 98.28% / 0.23%
 *
 * and choose_snap picks 20 m.  Wider tolerances lose pairs again: a true
 * boundary shorter than MIN_SHARED_FACTOR tolerances becomes a point.
 */
#include "graph_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

const char *gr_zname(const build *b, size_t i, char *buf, size_t size)
{
    if (b->o.codes && b->o.codes[i])
        return b->o.codes[i];
    snprintf(buf, size, "#%zu", i);
    return buf;
}

int32_t gr_council_of(const build *b, size_t i)
{
    return b->cidx[i];
}

static uint64_t mix(uint64_t x)
{
    /* splitmix64 finaliser: cheap and spreads nearby grid coordinates */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_point(const int64_t *p)
{
    return mix((uint64_t)p[0] * 0x9e3779b97f4a7c15ULL ^ mix((uint64_t)p[1]));
}

loc_status gr_push_rec(build *b, uint32_t za, uint32_t zb, double len, uint8_t type)
{
    if (b->rc.n == b->rc.cap && loc_grow(b->ctx, (void **)&b->rc.r, &b->rc.cap, b->rc.n + 1, sizeof *b->rc.r))
        return LOC_ENOMEM;
    rec *r = &b->rc.r[b->rc.n++];
    if (za < zb) {
        r->a = za, r->b = zb;
    } else {
        r->a = zb, r->b = za;
        if (type == R_SNAP_A)
            type = R_SNAP_B;
    }
    r->len = len;
    r->type = type;
    return LOC_OK;
}

static size_t table_size(size_t items)
{
    size_t cap = 16;
    while (cap < 2 * items)
        cap *= 2;
    return cap;
}

uint32_t gr_uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Union by size; returns the new root. */
uint32_t gr_uf_union(uint32_t *parent, uint32_t *size, uint32_t x, uint32_t y)
{
    x = gr_uf_find(parent, x);
    y = gr_uf_find(parent, y);
    if (x == y)
        return x;
    if (size[x] < size[y] || (size[x] == size[y] && y < x)) {
        uint32_t t = x;
        x = y;
        y = t;
    }
    parent[y] = x;
    size[x] += size[y];
    return x;
}

/* ---------------------------------------------------------------------
 * Reading the rings
 * --------------------------------------------------------------------- */

static loc_status check_args(loc_ctx *ctx, size_t n, const GEOSGeometry *const *geoms, const loc_graph_opts *o)
{
    if (n && !geoms)
        return loc_error(ctx, LOC_EINVAL, "no geometries given for %zu zones", n);
    if (n >= NONE)
        return loc_error(ctx, LOC_ELIMIT, "too many zones for the graph (%zu)", n);
    if (!isfinite(o->snap_m) || o->snap_m < 0)
        return loc_error(ctx, LOC_EINVAL, "snapping tolerance must be a finite number of metres >= 0 (got %g)",
                         o->snap_m);
    if (!isfinite(o->max_link_m) || o->max_link_m < 0)
        return loc_error(ctx, LOC_EINVAL, "maximum island link must be a finite number of metres >= 0 (got %g)",
                         o->max_link_m);
    return LOC_OK;
}

static loc_status add_ring(build *b, const GEOSGeometry *ring, uint32_t z, double *perimeter)
{
    GEOSContextHandle_t h = b->h;
    const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned np = 0;
    char buf[32];
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &np))
        return loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read a ring: GEOS: %s", gr_zname(b, z, buf, sizeof buf),
                         loc_lib_msg(b->ctx));
    verts *v = &b->v;
    size_t start = v->n;
    if (np > v->cap - v->n) /* GEOS counted fewer coordinates than its rings hold */
        return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS gave an inconsistent vertex count",
                         gr_zname(b, z, buf, sizeof buf));
    for (unsigned k = 0; k < np; k++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, k, &x, &y))
            return loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read a vertex: GEOS: %s",
                             gr_zname(b, z, buf, sizeof buf), loc_lib_msg(b->ctx));
        if (!isfinite(x) || !isfinite(y) || fabs(x) > MAX_COORD || fabs(y) > MAX_COORD)
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s': coordinate out of range (%g, %g)",
                             gr_zname(b, z, buf, sizeof buf), x, y);
        size_t i = v->n++;
        v->xy[2 * i] = x;
        v->xy[2 * i + 1] = y;
        v->zone[i] = z;
        v->flags[i] = 0;
        if (i > start) {
            double dx = x - v->xy[2 * i - 2], dy = y - v->xy[2 * i - 1];
            if (dx != 0 || dy != 0) {
                v->flags[i - 1] = V_SEG;
                *perimeter += sqrt(dx * dx + dy * dy);
            }
        }
    }
    return LOC_OK;
}

static loc_status add_polygon(build *b, const GEOSGeometry *poly, uint32_t z, double *perimeter)
{
    loc_status st = add_ring(b, GEOSGetExteriorRing_r(b->h, poly), z, perimeter);
    int holes = GEOSGetNumInteriorRings_r(b->h, poly);
    char buf[32];
    if (!st && holes < 0)
        st = loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read its holes: GEOS: %s", gr_zname(b, z, buf, sizeof buf),
                       loc_lib_msg(b->ctx));
    for (int k = 0; !st && k < holes; k++)
        st = add_ring(b, GEOSGetInteriorRingN_r(b->h, poly, k), z, perimeter);
    return st;
}

/* Copy every ring's vertices into b->v and sum perimeters. */
static loc_status read_rings(build *b, double *perimeter)
{
    GEOSContextHandle_t h = b->h;
    size_t total = 0;
    char buf[32];
    for (size_t i = 0; i < b->n; i++) {
        const GEOSGeometry *g = b->geoms[i];
        if (!g)
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s' has no geometry", gr_zname(b, i, buf, sizeof buf));
        int type = GEOSGeomTypeId_r(h, g);
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
            char *name = GEOSGeomType_r(h, g);
            loc_error(b->ctx, LOC_EINVAL, "zone '%s': geometry is a %s, not a polygon", gr_zname(b, i, buf, sizeof buf),
                      name ? name : "geometry GEOS cannot name");
            GEOSFree_r(h, name);
            return LOC_EINVAL;
        }
        if (GEOSisEmpty_r(h, g) != 0)
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s': empty geometry", gr_zname(b, i, buf, sizeof buf));
        int nc = GEOSGetNumCoordinates_r(h, g);
        if (nc < 0)
            return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS: %s", gr_zname(b, i, buf, sizeof buf),
                             loc_lib_msg(b->ctx));
        total += (size_t)nc;
    }
    if (total >= (size_t)NONE - 1)
        return loc_error(b->ctx, LOC_ELIMIT, "too many boundary vertices for the graph (%zu)", total);
    verts *v = &b->v;
    size_t alloc = total ? total : 1;
    if (!(v->xy = loc_calloc(b->ctx, 2 * alloc, sizeof *v->xy)) || !(v->zone = loc_calloc(b->ctx, alloc, sizeof *v->zone))
        || !(v->flags = loc_calloc(b->ctx, alloc, sizeof *v->flags)))
        return LOC_ENOMEM;
    v->cap = total;
    for (size_t i = 0; i < b->n; i++) {
        const GEOSGeometry *g = b->geoms[i];
        loc_status st = LOC_OK;
        if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON) {
            st = add_polygon(b, g, (uint32_t)i, &perimeter[i]);
        } else {
            int parts = GEOSGetNumGeometries_r(h, g);
            if (parts < 0)
                return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS: %s", gr_zname(b, i, buf, sizeof buf),
                                 loc_lib_msg(b->ctx));
            for (int p = 0; !st && p < parts; p++) {
                const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
                if (!poly || GEOSisEmpty_r(h, poly) == 1)
                    continue;
                st = add_polygon(b, poly, (uint32_t)i, &perimeter[i]);
            }
        }
        if (st)
            return st;
    }
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Exact pass: segments hashed on their quantised, ordered endpoints
 * --------------------------------------------------------------------- */

/* Vertex k on the hashing grid.  Computed when needed rather than stored:
 * at 200,000 zones a stored copy would be a quarter of the peak memory. */
static void quantise(const verts *v, size_t k, int64_t q[2])
{
    q[0] = llround(v->xy[2 * k] * QUANT);
    q[1] = llround(v->xy[2 * k + 1] * QUANT);
}

/* Canonical key of the segment starting at vertex k: lower endpoint first. */
static void seg_key(const verts *v, uint32_t k, int64_t key[4])
{
    int64_t p[2], r[2];
    quantise(v, k, p);
    quantise(v, (size_t)k + 1, r);
    if (p[0] < r[0] || (p[0] == r[0] && p[1] <= r[1])) {
        key[0] = p[0], key[1] = p[1], key[2] = r[0], key[3] = r[1];
    } else {
        key[0] = r[0], key[1] = r[1], key[2] = p[0], key[3] = p[1];
    }
}

/* A hash table slot: the first segment of a group of identical ones, and
 * part of its hash so that most collisions are told apart without reading
 * the segment's vertices (random reads are what cost at 200,000 zones). */
typedef struct seg_slot {
    uint32_t head;   /* vertex + 1 of the group's first segment, 0 when empty */
    uint32_t check;  /* high half of the hash */
} seg_slot;

static loc_status exact_pass(build *b)
{
    verts *v = &b->v;
    size_t nseg = 0;
    for (size_t k = 0; k < v->n; k++)
        nseg += (v->flags[k] & V_SEG) != 0;
    size_t cap = table_size(nseg), mask = cap - 1;
    seg_slot *slot = loc_calloc(b->ctx, cap, sizeof *slot);
    uint32_t *next = loc_malloc(b->ctx, (v->n ? v->n : 1) * sizeof *next); /* next member of a group */
    loc_status st = LOC_OK;
    /* on a clean coverage about half the segments are shared */
    if (!slot || !next || loc_grow(b->ctx, (void **)&b->rc.r, &b->rc.cap, nseg / 2 + 1, sizeof *b->rc.r)) {
        st = LOC_ENOMEM;
        goto done;
    }
    for (uint32_t k = 0; k < v->n; k++) {
        if (!(v->flags[k] & V_SEG))
            continue;
        int64_t key[4], other[4];
        seg_key(v, k, key);
        if (key[0] == key[2] && key[1] == key[3])
            continue; /* shorter than the quantum: left to the tolerance pass */
        uint64_t hash = mix(hash_point(key) ^ (hash_point(key + 2) * 0xff51afd7ed558ccdULL));
        uint32_t check = (uint32_t)(hash >> 32);
        for (size_t hh = (size_t)hash & mask;; hh = (hh + 1) & mask) {
            seg_slot *sl = &slot[hh];
            if (!sl->head) {
                sl->head = k + 1;
                sl->check = check;
                next[k] = NONE;
                break;
            }
            if (sl->check != check)
                continue;
            uint32_t head = sl->head - 1;
            seg_key(v, head, other);
            if (memcmp(key, other, sizeof key) != 0)
                continue;
            /* Twins normally come in pairs; more (overlapping zones) give
             * every pair of distinct zones.  A zone meeting itself is no
             * neighbour of itself. */
            const double *p = &v->xy[2 * (size_t)k];
            double len = sqrt((p[2] - p[0]) * (p[2] - p[0]) + (p[3] - p[1]) * (p[3] - p[1]));
            for (uint32_t m = head; m != NONE; m = next[m]) {
                if (v->zone[m] == v->zone[k])
                    continue;
                if (!(v->flags[m] & V_MATCHED))
                    b->exact_m += len;
                if (!(v->flags[k] & V_MATCHED))
                    b->exact_m += len;
                v->flags[m] |= V_MATCHED;
                v->flags[k] |= V_MATCHED;
                if ((st = gr_push_rec(b, v->zone[m], v->zone[k], len, R_EXACT)))
                    goto done;
            }
            next[k] = next[head];
            next[head] = k;
            break;
        }
    }
done:
    loc_free(b->ctx, slot);
    loc_free(b->ctx, next);
    return st;
}

/* ---------------------------------------------------------------------
 * Queen pass: vertices hashed the same way
 * --------------------------------------------------------------------- */

static loc_status queen_pass(build *b)
{
    verts *v = &b->v;
    size_t cap = table_size(v->n), mask = cap - 1;
    uint32_t *slot = loc_calloc(b->ctx, cap, sizeof *slot);
    uint32_t *next = loc_malloc(b->ctx, (v->n ? v->n : 1) * sizeof *next);
    loc_status st = LOC_OK;
    if (!slot || !next) {
        st = LOC_ENOMEM;
        goto done;
    }
    for (uint32_t k = 0; k < v->n; k++) {
        /* every vertex that starts or ends a segment (a ring's closing
         * vertex repeats its first, which pairs the zone with itself) */
        if (!(v->flags[k] & V_SEG) && (k == 0 || !(v->flags[k - 1] & V_SEG)))
            continue;
        int64_t p[2], r[2];
        quantise(v, k, p);
        size_t hh = (size_t)hash_point(p) & mask;
        for (;;) {
            uint32_t s = slot[hh];
            if (!s) {
                slot[hh] = k + 1;
                next[k] = NONE;
                break;
            }
            quantise(v, s - 1, r);
            if (p[0] == r[0] && p[1] == r[1]) {
                next[k] = next[s - 1];
                next[s - 1] = k;
                break;
            }
            hh = (hh + 1) & mask;
        }
    }
    for (size_t hh = 0; hh < cap; hh++) {
        if (!slot[hh])
            continue;
        uint32_t head = slot[hh] - 1;
        for (uint32_t s = head; s != NONE; s = next[s])
            for (uint32_t t = next[s]; t != NONE; t = next[t])
                if (v->zone[s] != v->zone[t] && (st = gr_push_rec(b, v->zone[s], v->zone[t], 0, R_POINT)))
                    goto done;
    }
done:
    loc_free(b->ctx, slot);
    loc_free(b->ctx, next);
    return st;
}

/* ---------------------------------------------------------------------
 * Merging evidence into edges
 * --------------------------------------------------------------------- */

static int cmp_rec_b(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return (a->type > b->type) - (a->type < b->type);
}

loc_status gr_add_pair(build *b, uint32_t za, uint32_t zb, double len, double exact, uint8_t kind,
                           uint8_t snapped)
{
    if (b->npairs == b->pairs_cap
        && loc_grow(b->ctx, (void **)&b->pairs, &b->pairs_cap, b->npairs + 1, sizeof *b->pairs))
        return LOC_ENOMEM;
    b->pairs[b->npairs++] = (pair){za, zb, len, exact, kind, snapped};
    return LOC_OK;
}

/* Bucket the records by their first zone, sort each bucket by the second,
 * and decide each pair: sorted by (a, b) on return. */
static loc_status merge_records(build *b)
{
    size_t n = b->n, nr = b->rc.n;
    size_t *start = loc_calloc(b->ctx, n + 1, sizeof *start);
    rec *sorted = loc_malloc(b->ctx, (nr ? nr : 1) * sizeof *sorted);
    loc_status st = LOC_OK;
    if (!start || !sorted) {
        st = LOC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nr; i++)
        start[b->rc.r[i].a + 1]++;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    for (size_t i = 0; i < nr; i++)
        sorted[start[b->rc.r[i].a]++] = b->rc.r[i];
    /* start[a] now holds the end of bucket a; the unsorted copy can go */
    loc_free(b->ctx, b->rc.r);
    b->rc.r = NULL;
    b->rc.n = b->rc.cap = 0;
    double min_snap = MIN_SHARED_FACTOR * b->o.snap_m;
    for (size_t a = 0, lo = 0; a < n; a++) {
        size_t hi = start[a];
        if (hi - lo > 16) {
            qsort(sorted + lo, hi - lo, sizeof *sorted, cmp_rec_b);
        } else { /* most buckets hold a handful */
            for (size_t i = lo + 1; i < hi; i++) {
                rec x = sorted[i];
                size_t j = i;
                for (; j > lo && cmp_rec_b(&sorted[j - 1], &x) > 0; j--)
                    sorted[j] = sorted[j - 1];
                sorted[j] = x;
            }
        }
        for (size_t i = lo; i < hi;) {
            uint32_t zb = sorted[i].b;
            double exact = 0, sa = 0, sb = 0;
            int point = 0;
            for (; i < hi && sorted[i].b == zb; i++) {
                switch (sorted[i].type) {
                case R_EXACT: exact += sorted[i].len; break;
                case R_SNAP_A: sa += sorted[i].len; break;
                case R_SNAP_B: sb += sorted[i].len; break;
                default: point = 1;
                }
            }
            double snap = (sa + sb) / 2;
            /* A mostly exact boundary comes from a clean coverage, where
             * what runs alongside is a narrow inlet at its end, not more
             * boundary; a mostly snapped one from per-polygon
             * simplification, where the exact bits are coincidences. */
            if (exact > 0)
                st = gr_add_pair(b, (uint32_t)a, zb, snap > exact ? exact + snap : exact, exact, LOC_EDGE_ROOK, 0);
            else if (snap >= min_snap && snap > 0)
                st = gr_add_pair(b, (uint32_t)a, zb, snap, 0, LOC_EDGE_ROOK, 1);
            else if (b->o.queen && (point || snap > 0))
                st = gr_add_pair(b, (uint32_t)a, zb, 0, 0, LOC_EDGE_QUEEN, 0);
            if (st)
                goto done;
        }
        lo = hi;
    }
done:
    loc_free(b->ctx, start);
    loc_free(b->ctx, sorted);
    return st;
}

/* ---------------------------------------------------------------------
 * Compressed sparse rows
 * --------------------------------------------------------------------- */

static int cmp_pair(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static loc_status fill_csr(build *b, loc_graph *g)
{
    size_t n = b->n, m = 2 * b->npairs;
    if (g->nlinks) /* links were appended after the sorted pairs */
        qsort(b->pairs, b->npairs, sizeof *b->pairs, cmp_pair);
    if (!(g->offsets = loc_calloc(b->ctx, n + 1, sizeof *g->offsets))
        || !(g->adj = loc_malloc(b->ctx, (m ? m : 1) * sizeof *g->adj))
        || !(g->len_m = loc_malloc(b->ctx, (m ? m : 1) * sizeof *g->len_m))
        || !(g->kind = loc_malloc(b->ctx, m ? m : 1)))
        return LOC_ENOMEM;
    for (size_t e = 0; e < b->npairs; e++) {
        g->offsets[b->pairs[e].a + 1]++;
        g->offsets[b->pairs[e].b + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        g->offsets[i + 1] += g->offsets[i];
    /* Pairs sorted by (a, b) fill each row in order: a zone's smaller
     * neighbours arrive (as b) from earlier buckets before its own bucket
     * lists the larger ones. */
    for (size_t e = 0; e < b->npairs; e++) {
        const pair *p = &b->pairs[e];
        uint32_t ends[2] = {p->a, p->b};
        for (int s = 0; s < 2; s++) {
            size_t at = g->offsets[ends[s]]++;
            g->adj[at] = ends[!s];
            g->len_m[at] = p->len;
            g->kind[at] = p->kind;
        }
    }
    for (size_t i = n; i > 0; i--)
        g->offsets[i] = g->offsets[i - 1];
    g->offsets[0] = 0;

    loc_graph_stats *s = &g->stats;
    s->zones = n;
    s->edges = b->npairs;
    for (size_t e = 0; e < b->npairs; e++) {
        s->rook += b->pairs[e].kind == LOC_EDGE_ROOK;
        s->snapped += b->pairs[e].snapped;
        s->queen += b->pairs[e].kind == LOC_EDGE_QUEEN;
    }
    s->island_links = g->nlinks;
    for (size_t i = 0; i < n; i++) {
        size_t deg = g->offsets[i + 1] - g->offsets[i], own = 0;
        for (size_t k = g->offsets[i]; k < g->offsets[i + 1]; k++)
            own += g->kind[k] != LOC_EDGE_ISLAND;
        s->isolated += own == 0;
        if (deg > s->max_degree)
            s->max_degree = deg;
    }
    s->mean_degree = n ? 2.0 * (double)b->npairs / (double)n : 0;
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * API implementation
 * --------------------------------------------------------------------- */

void loc_graph_opts_init(loc_graph_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snap_m = LOC_GRAPH_SNAP_M;
    o->snap_auto = 1;
    o->link_islands = 1;
}

loc_graph *loc_graph_build(loc_ctx *ctx, size_t n, const GEOSGeometry *const *geoms, const int32_t *council,
                           const loc_graph_opts *opts)
{
    build b = {0};
    loc_graph *g = NULL;
    loc_status st;
    b.ctx = ctx;
    b.h = loc_geos(ctx);
    b.n = n;
    b.geoms = geoms;
    b.council = council;
    if (opts)
        b.o = *opts;
    else
        loc_graph_opts_init(&b.o);
    if ((st = check_args(ctx, n, geoms, &b.o)))
        goto done;
    if (!(g = loc_calloc(ctx, 1, sizeof *g))) {
        st = LOC_ENOMEM;
        goto done;
    }
    g->ctx = ctx;
    g->n = n;
    if ((st = gr_number_councils(&b, g)))
        goto done;
    if (!(g->perimeter_m = loc_calloc(ctx, n ? n : 1, sizeof *g->perimeter_m))) {
        st = LOC_ENOMEM;
        goto done;
    }
    if (!(g->area_m2 = loc_calloc(ctx, n ? n : 1, sizeof *g->area_m2))) {
        st = LOC_ENOMEM;
        goto done;
    }
    if ((st = read_rings(&b, g->perimeter_m)))
        goto done;
    /* read_rings has checked every geometry */
    for (size_t i = 0; i < n; i++)
        if (!GEOSArea_r(loc_geos(ctx), geoms[i], &g->area_m2[i])) {
            char buf[32];
            st = loc_error(ctx, LOC_EGEOM, "zone '%s': cannot measure its area: GEOS: %s", gr_zname(&b, i, buf, sizeof buf),
                           loc_lib_msg(ctx));
            goto done;
        }
    for (size_t i = 0; i < n; i++)
        b.boundary_m += g->perimeter_m[i];
    if ((st = exact_pass(&b)))
        goto done;
    if (b.o.snap_auto && (st = gr_choose_snap(&b)))
        goto done;
    if (b.o.queen && (st = queen_pass(&b)))
        goto done;
    if (b.o.snap_m > 0 && (st = gr_tolerance_pass(&b)))
        goto done;
    loc_free(ctx, b.v.xy); /* the rings are done with; linking measures the geometries */
    loc_free(ctx, b.v.zone);
    loc_free(ctx, b.v.flags);
    b.v.xy = NULL, b.v.zone = NULL, b.v.flags = NULL;
    if ((st = merge_records(&b)) || (st = gr_parts_and_links(&b, g)) || (st = fill_csr(&b, g)))
        goto done;
    g->stats.boundary_m = b.boundary_m;
    g->stats.exact_m = b.exact_m;
    g->stats.snap_m = b.o.snap_m;
    g->stats.snap_chosen = b.snap_chosen;
done:
    loc_free(ctx, b.v.xy);
    loc_free(ctx, b.v.zone);
    loc_free(ctx, b.v.flags);
    loc_free(ctx, b.rc.r);
    loc_free(ctx, b.pairs);
    loc_free(ctx, b.parent);
    loc_free(ctx, b.size);
    loc_free(ctx, b.cidx);
    if (st) {
        if (st == LOC_ENOMEM && loc_errcode(ctx) != LOC_ENOMEM)
            loc_error(ctx, LOC_ENOMEM, "out of memory building the contiguity graph");
        loc_graph_destroy(g);
        return NULL;
    }
    return g;
}

void loc_graph_destroy(loc_graph *g)
{
    if (!g)
        return;
    loc_ctx *ctx = g->ctx;
    loc_free(ctx, g->offsets);
    loc_free(ctx, g->adj);
    loc_free(ctx, g->len_m);
    loc_free(ctx, g->kind);
    loc_free(ctx, g->perimeter_m);
    loc_free(ctx, g->area_m2);
    loc_free(ctx, g->components);
    loc_free(ctx, g->council_ids);
    loc_free(ctx, g->links);
    loc_free(ctx, g);
}

size_t loc_graph_count(const loc_graph *g) { return g->n; }
const size_t *loc_graph_offsets(const loc_graph *g) { return g->offsets; }
const uint32_t *loc_graph_adjacency(const loc_graph *g) { return g->adj; }
const double *loc_graph_lengths(const loc_graph *g) { return g->len_m; }
const uint8_t *loc_graph_kinds(const loc_graph *g) { return g->kind; }
size_t loc_graph_degree(const loc_graph *g, size_t i) { return g->offsets[i + 1] - g->offsets[i]; }
const uint32_t *loc_graph_neighbours(const loc_graph *g, size_t i) { return g->adj + g->offsets[i]; }
const double *loc_graph_row_lengths(const loc_graph *g, size_t i) { return g->len_m + g->offsets[i]; }
const uint8_t *loc_graph_row_kinds(const loc_graph *g, size_t i) { return g->kind + g->offsets[i]; }
const double *loc_graph_perimeters(const loc_graph *g) { return g->perimeter_m; }
const double *loc_graph_areas(const loc_graph *g) { return g->area_m2; }
const loc_graph_stats *loc_graph_stats_get(const loc_graph *g) { return &g->stats; }
size_t loc_graph_ncouncils(const loc_graph *g) { return g->ncouncils; }
int32_t loc_graph_council_id(const loc_graph *g, size_t k) { return g->council_ids[k]; }

size_t loc_graph_components(const loc_graph *g, int32_t council)
{
    size_t lo = 0, hi = g->ncouncils;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->council_ids[mid] < council)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->ncouncils && g->council_ids[lo] == council ? g->components[lo] : 0;
}
size_t loc_graph_nlinks(const loc_graph *g) { return g->nlinks; }
const loc_graph_link *loc_graph_links(const loc_graph *g) { return g->links; }

double loc_graph_shared_len(const loc_graph *g, size_t a, size_t b, loc_edge_kind *kind)
{
    if (a >= g->n || b >= g->n)
        return -1;
    size_t lo = g->offsets[a], hi = g->offsets[a + 1];
    while (lo < hi) { /* rows are sorted */
        size_t mid = lo + (hi - lo) / 2;
        if (g->adj[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == g->offsets[a + 1] || g->adj[lo] != b)
        return -1;
    if (kind)
        *kind = (loc_edge_kind)g->kind[lo];
    return g->len_m[lo];
}

const char *loc_edge_kind_name(loc_edge_kind kind)
{
    switch (kind) {
    case LOC_EDGE_ROOK: return "rook";
    case LOC_EDGE_QUEEN: return "queen";
    case LOC_EDGE_ISLAND: return "island";
    }
    return "unknown";
}
