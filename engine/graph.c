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
#include "localities/graph.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Coordinates are quantised to this many units per metre for hashing:
 * identical vertices always agree, and vertices a rounding error apart
 * mostly do; those that straddle a grid line fall to the tolerance pass. */
#define QUANT 1000.0
/* Largest coordinate accepted, so that quantised values fit an int64. */
#define MAX_COORD 1e12
/* Unmatched segments per chunk in the tolerance pass. */
#define CHUNK 8
/* A pair found only by the tolerance pass is a rook neighbour when it runs
 * alongside for at least this many tolerances; shorter contacts are points
 * (see the sweep in the opening comment). */
#define MIN_SHARED_FACTOR 1.0

#define NONE UINT32_MAX
/* snap_auto: boundaries are taken as unclean when this share of their
 * length runs beside another zone within LOC_GRAPH_SNAP_MAX_M without
 * sharing vertices (0.065% on the clean 2011 data zones, 0.41% when each
 * is simplified on its own at 1 m), and the tolerance is where one more step
 * of the ladder adds less than this share of that length. */
#define SNAP_UNCLEAN_SHARE 0.0025
#define SNAP_SETTLED_SHARE 0.05

/* Vertex flags. */
enum { V_SEG = 1, V_MATCHED = 2 };

/* Record types: evidence about one zone pair a < b, merged into edges. */
enum {
    R_EXACT,   /* a segment both hold */
    R_SNAP_A,  /* length of a's boundary running alongside b's */
    R_SNAP_B,  /* length of b's boundary running alongside a's */
    R_POINT    /* a shared vertex or a contact within the tolerance (queen) */
};

struct loc_graph {
    loc_ctx *ctx;            /* allocator owner */
    size_t n;                /* zones */
    size_t *offsets;         /* n + 1 row starts */
    uint32_t *adj;           /* neighbours, offsets[n] */
    double *len_m;           /* shared length per directed edge */
    uint8_t *kind;           /* loc_edge_kind per directed edge */
    double *perimeter_m;     /* per zone */
    double *area_m2;         /* per zone */
    size_t ncouncils;        /* distinct councils with zones */
    int32_t *council_ids;    /* their ids as the caller gave them, ascending */
    size_t *components;      /* parts per council before linking, by position in council_ids */
    size_t nlinks;           /* island links */
    loc_graph_link *links;   /* in the order made */
    loc_graph_stats stats;
};

/* Boundary vertices of all zones, ring after ring. */
typedef struct verts {
    size_t n, cap;     /* vertices stored, allocated */
    double *xy;        /* coordinates, 2 per vertex */
    uint32_t *zone;    /* owning zone */
    uint8_t *flags;    /* V_SEG: a segment starts here; V_MATCHED: hashing found its twin */
} verts;

/* Evidence about zones a < b. */
typedef struct rec {
    uint32_t a, b;
    double len;        /* metres of boundary (0 for R_POINT) */
    uint8_t type;      /* R_* */
} rec;

typedef struct recs {
    rec *r;
    size_t n, cap;
} recs;

/* A decided undirected edge. */
typedef struct pair {
    uint32_t a, b;     /* a < b */
    double len;        /* shared length in metres */
    double exact;      /* of which matched exactly by hashing */
    uint8_t kind;      /* loc_edge_kind */
    uint8_t snapped;   /* 1 when only the tolerance pass found it */
} pair;

/* Everything one build holds; freed at the end whatever happens. */
typedef struct build {
    loc_ctx *ctx;
    GEOSContextHandle_t h;
    size_t n;
    const GEOSGeometry *const *geoms;
    const int32_t *council;     /* as given; may be NULL */
    int32_t *cidx;              /* per zone: position of its council in the graph's council_ids, -1 none */
    loc_graph_opts o;
    verts v;
    recs rc;
    pair *pairs;
    size_t npairs, pairs_cap;
    double boundary_m, exact_m; /* boundary length, and of it matched exactly */
    int snap_chosen;            /* 1 when choose_snap set o.snap_m */
    uint32_t *parent;           /* union-find over zones */
    uint32_t *size;             /* part sizes at roots */
} build;

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

static const char *zname(const build *b, size_t i, char *buf, size_t size)
{
    if (b->o.codes && b->o.codes[i])
        return b->o.codes[i];
    snprintf(buf, size, "#%zu", i);
    return buf;
}

static int32_t council_of(const build *b, size_t i)
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

static loc_status push_rec(build *b, uint32_t za, uint32_t zb, double len, uint8_t type)
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

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Union by size; returns the new root. */
static uint32_t uf_union(uint32_t *parent, uint32_t *size, uint32_t x, uint32_t y)
{
    x = uf_find(parent, x);
    y = uf_find(parent, y);
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
        return loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read a ring: GEOS: %s", zname(b, z, buf, sizeof buf),
                         loc_lib_msg(b->ctx));
    verts *v = &b->v;
    size_t start = v->n;
    if (np > v->cap - v->n) /* GEOS counted fewer coordinates than its rings hold */
        return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS gave an inconsistent vertex count",
                         zname(b, z, buf, sizeof buf));
    for (unsigned k = 0; k < np; k++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, k, &x, &y))
            return loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read a vertex: GEOS: %s",
                             zname(b, z, buf, sizeof buf), loc_lib_msg(b->ctx));
        if (!isfinite(x) || !isfinite(y) || fabs(x) > MAX_COORD || fabs(y) > MAX_COORD)
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s': coordinate out of range (%g, %g)",
                             zname(b, z, buf, sizeof buf), x, y);
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
        st = loc_error(b->ctx, LOC_EGEOM, "zone '%s': cannot read its holes: GEOS: %s", zname(b, z, buf, sizeof buf),
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
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s' has no geometry", zname(b, i, buf, sizeof buf));
        int type = GEOSGeomTypeId_r(h, g);
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
            char *name = GEOSGeomType_r(h, g);
            loc_error(b->ctx, LOC_EINVAL, "zone '%s': geometry is a %s, not a polygon", zname(b, i, buf, sizeof buf),
                      name ? name : "geometry GEOS cannot name");
            GEOSFree_r(h, name);
            return LOC_EINVAL;
        }
        if (GEOSisEmpty_r(h, g) != 0)
            return loc_error(b->ctx, LOC_EINVAL, "zone '%s': empty geometry", zname(b, i, buf, sizeof buf));
        int nc = GEOSGetNumCoordinates_r(h, g);
        if (nc < 0)
            return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS: %s", zname(b, i, buf, sizeof buf),
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
                return loc_error(b->ctx, LOC_EGEOM, "zone '%s': GEOS: %s", zname(b, i, buf, sizeof buf),
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
                if ((st = push_rec(b, v->zone[m], v->zone[k], len, R_EXACT)))
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
                if (v->zone[s] != v->zone[t] && (st = push_rec(b, v->zone[s], v->zone[t], 0, R_POINT)))
                    goto done;
    }
done:
    loc_free(b->ctx, slot);
    loc_free(b->ctx, next);
    return st;
}

/* ---------------------------------------------------------------------
 * Tolerance pass over the segments hashing left unmatched
 * --------------------------------------------------------------------- */

typedef struct chunk {
    uint32_t first;           /* vertex of its first segment */
    uint32_t count;           /* consecutive segments */
    uint32_t zone;
    double x0, y0, x1, y1;    /* envelope */
} chunk;

/* Part of segment s near one segment of another zone. */
typedef struct near {
    uint32_t zone;            /* the other zone */
    double u0, u1;            /* parameters along s of the part alongside; u1 <= u0 when none */
    double w;                 /* |cos| of the angle between the segments */
} near;

typedef struct tol_state {
    build *b;
    chunk **hits;             /* chunks returned by a query */
    size_t nhits, hits_cap;
    double *cuts;             /* scratch: interval ends along one segment */
    size_t cuts_cap;
    int failed;               /* an allocation failed in the callback */
} tol_state;

static void collect_chunk(void *item, void *ud)
{
    tol_state *ts = ud;
    if (ts->failed)
        return;
    if (ts->nhits == ts->hits_cap
        && loc_grow(ts->b->ctx, (void **)&ts->hits, &ts->hits_cap, ts->nhits + 1, sizeof *ts->hits)) {
        ts->failed = 1;
        return;
    }
    ts->hits[ts->nhits++] = item;
}

/* Liang-Barsky step: keep the parameters u with p u <= q. */
static int clip(double p, double q, double *lo, double *hi)
{
    if (p == 0)
        return q >= 0;
    double r = q / p;
    if (p < 0) {
        if (r > *hi)
            return 0;
        if (r > *lo)
            *lo = r;
    } else {
        if (r < *lo)
            return 0;
        if (r < *hi)
            *hi = r;
    }
    return 1;
}

/*
 * The part of segment a-b (parameters lo..hi of a + u (b - a)) that runs
 * alongside segment p-q: within tol of p-q's line, with the perpendicular
 * foot inside p-q.  That is a clip of a-b against the rectangle p-q sweeps
 * when moved tol to either side.  *w receives |cos| of the angle between
 * the two.  Returns 0 when there is no such part.
 */
static int alongside(const double *a, const double *bb, const double *p, const double *q, double tol, double *lo,
                     double *hi, double *w)
{
    double dx = q[0] - p[0], dy = q[1] - p[1];
    double lt = sqrt(dx * dx + dy * dy);
    if (!(lt > 0))
        return 0;
    dx /= lt;
    dy /= lt;
    double au = (a[0] - p[0]) * dx + (a[1] - p[1]) * dy, av = (a[1] - p[1]) * dx - (a[0] - p[0]) * dy;
    double bu = (bb[0] - p[0]) * dx + (bb[1] - p[1]) * dy, bv = (bb[1] - p[1]) * dx - (bb[0] - p[0]) * dy;
    double du = bu - au, dv = bv - av;
    double ls = sqrt(du * du + dv * dv);
    *w = ls > 0 ? fabs(du) / ls : 0;
    *lo = 0;
    *hi = 1;
    return clip(-du, au, lo, hi) && clip(du, lt - au, lo, hi) && clip(-dv, av + tol, lo, hi)
        && clip(dv, tol - av, lo, hi) && *hi > *lo;
}

static double pt_seg_dist2(const double *p, const double *a, const double *bb)
{
    double dx = bb[0] - a[0], dy = bb[1] - a[1];
    double l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) {
        t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    double ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
    return ex * ex + ey * ey;
}

static double orient(const double *a, const double *bb, const double *c)
{
    return (bb[0] - a[0]) * (c[1] - a[1]) - (bb[1] - a[1]) * (c[0] - a[0]);
}

/* Whether segments a-b and p-q come within tol of each other. */
static int seg_within(const double *a, const double *bb, const double *p, const double *q, double tol)
{
    double o1 = orient(a, bb, p), o2 = orient(a, bb, q), o3 = orient(p, q, a), o4 = orient(p, q, bb);
    if (((o1 < 0 && o2 > 0) || (o1 > 0 && o2 < 0)) && ((o3 < 0 && o4 > 0) || (o3 > 0 && o4 < 0)))
        return 1;
    double t2 = tol * tol;
    return pt_seg_dist2(p, a, bb) <= t2 || pt_seg_dist2(q, a, bb) <= t2 || pt_seg_dist2(a, p, q) <= t2
        || pt_seg_dist2(bb, p, q) <= t2;
}

static int cmp_near(const void *x, const void *y)
{
    const near *a = x, *b = y;
    if (a->zone != b->zone)
        return a->zone < b->zone ? -1 : 1;
    return a->u0 < b->u0 ? -1 : a->u0 > b->u0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/*
 * Length (as a fraction of s) of the union of the parts of s alongside one
 * zone's segments x[0..m), each piece counted at the largest weight among
 * the parts covering it: s near two consecutive segments of the zone counts
 * once where they overlap.  The parts are few, so the quadratic sweep over
 * their ends is cheap.
 */
static loc_status union_weighted(loc_ctx *ctx, tol_state *ts, const near *x, size_t m, double *out)
{
    if (m == 1) {
        *out = x->u1 > x->u0 ? (x->u1 - x->u0) * x->w : 0;
        return LOC_OK;
    }
    if (loc_grow(ctx, (void **)&ts->cuts, &ts->cuts_cap, 2 * m, sizeof *ts->cuts))
        return LOC_ENOMEM;
    for (size_t k = 0; k < m; k++) {
        ts->cuts[2 * k] = x[k].u0;
        ts->cuts[2 * k + 1] = x[k].u1;
    }
    qsort(ts->cuts, 2 * m, sizeof *ts->cuts, cmp_double);
    double total = 0;
    for (size_t c = 0; c + 1 < 2 * m; c++) {
        double lo = ts->cuts[c], hi = ts->cuts[c + 1], mid = (lo + hi) / 2, w = 0;
        if (!(hi > lo))
            continue;
        for (size_t k = 0; k < m; k++)
            if (x[k].u0 <= mid && mid <= x[k].u1 && x[k].w > w)
                w = x[k].w;
        total += (hi - lo) * w;
    }
    *out = total;
    return LOC_OK;
}

/* A GEOS geometry with the given envelope, for the STRtree. */
static GEOSGeometry *box_geom(GEOSContextHandle_t h, double x0, double y0, double x1, double y1)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
    if (!cs)
        return NULL;
    if (!GEOSCoordSeq_setXY_r(h, cs, 0, x0, y0) || !GEOSCoordSeq_setXY_r(h, cs, 1, x1, y1)) {
        GEOSCoordSeq_destroy_r(h, cs);
        return NULL;
    }
    return GEOSGeom_createLineString_r(h, cs); /* takes cs, even on failure */
}

/* Measure segment s (vertex k of zone zi) against the candidate chunks and
 * emit what runs alongside each other zone. */
static loc_status measure_segment(build *b, tol_state *ts, uint32_t k, near **nb, size_t *nb_cap)
{
    const verts *v = &b->v;
    double tol = b->o.snap_m;
    const double *a = &v->xy[2 * (size_t)k], *e = a + 2;
    double sx0 = fmin(a[0], e[0]) - tol, sx1 = fmax(a[0], e[0]) + tol;
    double sy0 = fmin(a[1], e[1]) - tol, sy1 = fmax(a[1], e[1]) + tol;
    uint32_t zi = v->zone[k];
    size_t nn = 0;
    for (size_t c = 0; c < ts->nhits; c++) {
        const chunk *ch = ts->hits[c];
        if (ch->zone == zi || ch->x0 > sx1 || ch->x1 < sx0 || ch->y0 > sy1 || ch->y1 < sy0)
            continue;
        for (uint32_t t = ch->first; t < ch->first + ch->count; t++) {
            const double *p = &v->xy[2 * (size_t)t], *q = p + 2;
            if (fmin(p[0], q[0]) > sx1 || fmax(p[0], q[0]) < sx0 || fmin(p[1], q[1]) > sy1
                || fmax(p[1], q[1]) < sy0)
                continue;
            double lo, hi, w;
            int along = alongside(a, e, p, q, tol, &lo, &hi, &w);
            if (!along && !(b->o.queen && seg_within(a, e, p, q, tol)))
                continue;
            if (nn == *nb_cap && loc_grow(b->ctx, (void **)nb, nb_cap, nn + 1, sizeof **nb))
                return LOC_ENOMEM;
            (*nb)[nn++] = along ? (near){ch->zone, lo, hi, w} : (near){ch->zone, 0, 0, 0};
        }
    }
    if (!nn)
        return LOC_OK;
    qsort(*nb, nn, sizeof **nb, cmp_near);
    double slen = sqrt((e[0] - a[0]) * (e[0] - a[0]) + (e[1] - a[1]) * (e[1] - a[1]));
    for (size_t i = 0; i < nn;) {
        /* Each part counts by |cos|: two boundaries crossing at right
         * angles near a corner share nothing, two running parallel share
         * all. */
        uint32_t zj = (*nb)[i].zone;
        size_t j = i;
        while (j < nn && (*nb)[j].zone == zj)
            j++;
        double total;
        if (union_weighted(b->ctx, ts, *nb + i, j - i, &total))
            return LOC_ENOMEM;
        loc_status st = total > 0 ? push_rec(b, zi, zj, total * slen, R_SNAP_A) : LOC_OK;
        if (!st && b->o.queen)
            st = push_rec(b, zi, zj, 0, R_POINT);
        if (st)
            return st;
        i = j;
    }
    return LOC_OK;
}

static loc_status tolerance_pass(build *b)
{
    GEOSContextHandle_t h = b->h;
    const verts *v = &b->v;
    double tol = b->o.snap_m;
    chunk *chunks = NULL;
    size_t nchunks = 0, chunks_cap = 0, nb_cap = 0;
    near *nb = NULL;
    GEOSSTRtree *tree = NULL;
    tol_state ts = {b, NULL, 0, 0, NULL, 0, 0};
    loc_status st = LOC_OK;

    /* Chunks: runs of consecutive unmatched segments of one ring. */
    for (uint32_t k = 0; k < v->n; k++) {
        if ((v->flags[k] & (V_SEG | V_MATCHED)) != V_SEG)
            continue;
        chunk *last = nchunks ? &chunks[nchunks - 1] : NULL;
        const double *p = &v->xy[2 * (size_t)k], *q = p + 2;
        if (!last || last->first + last->count != k || last->count == CHUNK) {
            if (nchunks == chunks_cap
                && (st = loc_grow(b->ctx, (void **)&chunks, &chunks_cap, nchunks + 1, sizeof *chunks)))
                goto done;
            last = &chunks[nchunks++];
            *last = (chunk){k, 0, v->zone[k], p[0], p[1], p[0], p[1]};
        }
        last->count++;
        last->x0 = fmin(last->x0, fmin(p[0], q[0]));
        last->x1 = fmax(last->x1, fmax(p[0], q[0]));
        last->y0 = fmin(last->y0, fmin(p[1], q[1]));
        last->y1 = fmax(last->y1, fmax(p[1], q[1]));
    }
    if (nchunks < 2)
        goto done;
    if (!(tree = GEOSSTRtree_create_r(h, 10))) {
        st = loc_error(b->ctx, LOC_EGEOM, "GEOS cannot create a spatial index: %s", loc_lib_msg(b->ctx));
        goto done;
    }
    /* The envelope is copied into the tree (GEOS >= 3.9), so each box can
     * go at once. */
    for (size_t c = 0; c < nchunks; c++) {
        GEOSGeometry *g = box_geom(h, chunks[c].x0, chunks[c].y0, chunks[c].x1, chunks[c].y1);
        if (!g) {
            st = loc_error(b->ctx, LOC_EGEOM, "GEOS cannot build an envelope: %s", loc_lib_msg(b->ctx));
            goto done;
        }
        GEOSSTRtree_insert_r(h, tree, g, &chunks[c]);
        GEOSGeom_destroy_r(h, g);
    }
    for (size_t c = 0; c < nchunks; c++) {
        const chunk *ch = &chunks[c];
        GEOSGeometry *g = box_geom(h, ch->x0 - tol, ch->y0 - tol, ch->x1 + tol, ch->y1 + tol);
        if (!g) {
            st = loc_error(b->ctx, LOC_EGEOM, "GEOS cannot build an envelope: %s", loc_lib_msg(b->ctx));
            goto done;
        }
        ts.nhits = 0;
        GEOSSTRtree_query_r(h, tree, g, collect_chunk, &ts);
        GEOSGeom_destroy_r(h, g);
        if (ts.failed) {
            st = LOC_ENOMEM;
            goto done;
        }
        for (uint32_t k = ch->first; k < ch->first + ch->count; k++)
            if ((st = measure_segment(b, &ts, k, &nb, &nb_cap)))
                goto done;
    }
done:
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    loc_free(b->ctx, chunks);
    loc_free(b->ctx, nb);
    loc_free(b->ctx, ts.hits);
    loc_free(b->ctx, ts.cuts);
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

static loc_status add_pair(build *b, uint32_t za, uint32_t zb, double len, double exact, uint8_t kind,
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
                st = add_pair(b, (uint32_t)a, zb, snap > exact ? exact + snap : exact, exact, LOC_EDGE_ROOK, 0);
            else if (snap >= min_snap && snap > 0)
                st = add_pair(b, (uint32_t)a, zb, snap, 0, LOC_EDGE_ROOK, 1);
            else if (b->o.queen && (point || snap > 0))
                st = add_pair(b, (uint32_t)a, zb, 0, 0, LOC_EDGE_QUEEN, 0);
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
 * Parts and island links
 * --------------------------------------------------------------------- */

/* One line for all the island links made (each was a LOC_DETAIL line):
 * the all-Scotland graph has 26, too many for the screen of every run. */
static void report_links(build *b, const loc_graph *g)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < g->nlinks; i++) {
        lo = fmin(lo, g->links[i].dist_m);
        hi = fmax(hi, g->links[i].dist_m);
    }
    loc_report(b->ctx, LOC_INFO,
               "%zu island link%s join%s separate parts of councils, %.0f to %.0f m apart "
               "(each in graph.csv as kind 'island', and with --verbose)",
               g->nlinks, g->nlinks == 1 ? "" : "s", g->nlinks == 1 ? "s" : "", lo, hi);
}

typedef struct nearest_state {
    build *b;
    const GEOSPreparedGeometry **prep; /* per zone, prepared on first use as a candidate */
    const uint32_t *query;    /* the zone whose nearest outsider is sought */
    uint32_t root;            /* its part */
    double best;              /* smallest valid distance seen */
    uint32_t best_zone;       /* and its zone, NONE when none */
    int failed;               /* GEOS failed in the callback */
} nearest_state;

/* Distance between a part's zone and a candidate: the real boundary
 * distance for zones of the same council in another part, else a value
 * larger than any, so the search passes over them.  Returns 1 on success,
 * as GEOS expects. */
static int link_distance(const void *item1, const void *item2, double *dist, void *ud)
{
    nearest_state *ns = ud;
    build *b = ns->b;
    const uint32_t *other = item1 == ns->query ? item2 : item1;
    uint32_t q = *ns->query, z = *other;
    if (council_of(b, z) != council_of(b, q) || uf_find(b->parent, z) == ns->root) {
        *dist = DBL_MAX;
        return 1;
    }
    /* The same mainland zones are candidates for many island zones, so
     * each keeps its facet index (a prepared geometry) once built. */
    double d;
    if (!ns->prep[z] && !(ns->prep[z] = GEOSPrepare_r(b->h, b->geoms[z]))) {
        ns->failed = 1;
        return 0;
    }
    if (!GEOSPreparedDistance_r(b->h, ns->prep[z], b->geoms[q], &d)) {
        ns->failed = 1;
        return 0;
    }
    if (d < ns->best || (d == ns->best && z < ns->best_zone)) {
        ns->best = d;
        ns->best_zone = z;
    }
    *dist = d;
    return 1;
}

typedef struct link_cand {
    uint32_t root;            /* the part looking out */
    uint32_t from, to;        /* zones */
    double d;
} link_cand;

static int cmp_cand(const void *x, const void *y)
{
    const link_cand *a = x, *b = y;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return (a->to > b->to) - (a->to < b->to);
}

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* The distinct councils, ascending, and each zone's position among them:
 * callers may number councils as they like (a study area of one small
 * council keeps its index in the national list). */
static loc_status number_councils(build *b, loc_graph *g)
{
    size_t n = b->n, nc = 0;
    if (!(b->cidx = loc_malloc(b->ctx, (n ? n : 1) * sizeof *b->cidx))
        || !(g->council_ids = loc_malloc(b->ctx, (n ? n : 1) * sizeof *g->council_ids)))
        return LOC_ENOMEM;
    if (!b->council) {
        for (size_t i = 0; i < n; i++)
            b->cidx[i] = 0;
        g->council_ids[0] = 0;
        g->ncouncils = n ? 1 : 0;
        return LOC_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (b->council[i] >= 0)
            g->council_ids[nc++] = b->council[i];
    qsort(g->council_ids, nc, sizeof *g->council_ids, cmp_i32);
    size_t u = 0;
    for (size_t k = 0; k < nc; k++)
        if (!u || g->council_ids[u - 1] != g->council_ids[k])
            g->council_ids[u++] = g->council_ids[k];
    g->ncouncils = u;
    for (size_t i = 0; i < n; i++) {
        int32_t c = b->council[i];
        b->cidx[i] = -1;
        if (c < 0)
            continue;
        int32_t *hit = bsearch(&c, g->council_ids, u, sizeof *g->council_ids, cmp_i32);
        b->cidx[i] = (int32_t)(hit - g->council_ids);
    }
    return LOC_OK;
}

/* Count the parts of each council and, if asked, link them. */
static loc_status parts_and_links(build *b, loc_graph *g)
{
    GEOSContextHandle_t h = b->h;
    size_t n = b->n, nc = g->ncouncils;
    uint32_t *ids = NULL, *main_zone = NULL, *members = NULL, *cand_of = NULL;
    uint8_t *stranded = NULL, *apart = NULL;
    double *inner = NULL;
    const GEOSPreparedGeometry **prep = NULL;
    size_t nm = 0;
    link_cand *cands = NULL;
    GEOSSTRtree *tree = NULL;
    loc_status st = LOC_OK;
    char b1[32], b2[32];

    if (!(b->parent = loc_malloc(b->ctx, (n ? n : 1) * sizeof *b->parent))
        || !(b->size = loc_malloc(b->ctx, (n ? n : 1) * sizeof *b->size))
        || !(g->components = loc_calloc(b->ctx, nc ? nc : 1, sizeof *g->components))
        || !(main_zone = loc_malloc(b->ctx, (nc ? nc : 1) * sizeof *main_zone)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < n; i++)
        b->parent[i] = (uint32_t)i, b->size[i] = 1;
    for (size_t e = 0; e < b->npairs; e++) {
        const pair *p = &b->pairs[e];
        if (council_of(b, p->a) >= 0 && council_of(b, p->a) == council_of(b, p->b))
            uf_union(b->parent, b->size, p->a, p->b);
    }
    /* Parts per council, and each council's largest part (first zone wins
     * a tie, so the choice does not depend on the order of union). */
    for (size_t c = 0; c < nc; c++)
        main_zone[c] = NONE;
    for (size_t i = 0; i < n; i++) {
        int32_t c = council_of(b, i);
        if (c < 0)
            continue;
        uint32_t r = uf_find(b->parent, (uint32_t)i);
        if (r == i)
            g->components[c]++;
        if (main_zone[c] == NONE || b->size[r] > b->size[uf_find(b->parent, main_zone[c])])
            main_zone[c] = (uint32_t)i;
    }
    for (size_t c = 0; c < nc; c++) {
        g->stats.councils += g->components[c] > 0;
        g->stats.split_councils += g->components[c] > 1;
    }
    if (!b->o.link_islands || !g->stats.split_councils)
        goto count;

    /* Zones of split councils go into a tree for nearest-neighbour search. */
    if (!(ids = loc_malloc(b->ctx, n * sizeof *ids)) || !(members = loc_malloc(b->ctx, n * sizeof *members))
        || !(stranded = loc_calloc(b->ctx, n, 1)) || !(cands = loc_malloc(b->ctx, n * sizeof *cands))
        || !(cand_of = loc_malloc(b->ctx, n * sizeof *cand_of)) || !(prep = loc_calloc(b->ctx, n, sizeof *prep))
        || !(inner = loc_calloc(b->ctx, n, sizeof *inner))) {
        st = LOC_ENOMEM;
        goto done;
    }
    if (!(tree = GEOSSTRtree_create_r(h, 10))) {
        st = loc_error(b->ctx, LOC_EGEOM, "GEOS cannot create a spatial index: %s", loc_lib_msg(b->ctx));
        goto done;
    }
    /* A zone whose whole boundary is shared exactly with zones of its own
     * part lies inside the part: the part's nearest outsider is nearer to
     * some zone on its edge, so only those search. */
    for (size_t e = 0; e < b->npairs; e++) {
        const pair *p = &b->pairs[e];
        if (council_of(b, p->a) == council_of(b, p->b) && uf_find(b->parent, p->a) == uf_find(b->parent, p->b)) {
            inner[p->a] += p->exact;
            inner[p->b] += p->exact;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint32_t)i;
        cand_of[i] = NONE;
        int32_t c = council_of(b, i);
        if (c >= 0 && g->components[c] > 1) {
            if (inner[i] < g->perimeter_m[i] * (1 - 1e-9))
                members[nm++] = (uint32_t)i;
            GEOSSTRtree_insert_r(h, tree, b->geoms[i], &ids[i]);
        }
    }
    for (;;) {
        /* Each part outside its council's main part finds its nearest
         * outsider. */
        size_t ncand = 0;
        for (size_t m = 0; m < nm; m++) {
            uint32_t z = members[m], r = uf_find(b->parent, z);
            int32_t c = council_of(b, z);
            if (r == uf_find(b->parent, main_zone[c]) || stranded[r])
                continue;
            nearest_state ns = {b, prep, &ids[z], r, DBL_MAX, NONE, 0};
            loc_lib_clear(b->ctx);
            const void *hit = GEOSSTRtree_nearest_generic_r(h, tree, &ids[z], b->geoms[z], link_distance, &ns);
            if (!hit || ns.failed) {
                st = loc_error(b->ctx, LOC_EGEOM, "zone '%s': nearest-zone search failed: GEOS: %s",
                               zname(b, z, b1, sizeof b1), loc_lib_msg(b->ctx));
                goto done;
            }
            if (ns.best_zone == NONE)
                continue;
            /* keep the best candidate per part */
            link_cand lc = {r, z, ns.best_zone, ns.best};
            if (cand_of[r] == NONE) {
                cand_of[r] = (uint32_t)ncand;
                cands[ncand++] = lc;
            } else if (cmp_cand(&lc, &cands[cand_of[r]]) < 0) {
                cands[cand_of[r]] = lc;
            }
        }
        for (size_t k = 0; k < ncand; k++)
            cand_of[cands[k].root] = NONE;
        if (!ncand)
            break;
        qsort(cands, ncand, sizeof *cands, cmp_cand);
        size_t made = 0;
        for (size_t k = 0; k < ncand; k++) {
            const link_cand *lc = &cands[k];
            uint32_t ra = uf_find(b->parent, lc->from), rb = uf_find(b->parent, lc->to);
            if (ra == rb)
                continue;
            if (b->o.max_link_m > 0 && lc->d > b->o.max_link_m) {
                loc_report(b->ctx, LOC_WARN,
                           "island link not made: zone '%s' (part of %u zone%s) is %.0f m from zone '%s', beyond the %g m limit",
                           zname(b, lc->from, b1, sizeof b1), b->size[ra], b->size[ra] == 1 ? "" : "s", lc->d,
                           zname(b, lc->to, b2, sizeof b2), b->o.max_link_m);
                stranded[ra] = 1;
                continue;
            }
            loc_report(b->ctx, LOC_DETAIL, "island link: zone '%s' (part of %u zone%s) to zone '%s', %.0f m apart",
                       zname(b, lc->from, b1, sizeof b1), b->size[ra], b->size[ra] == 1 ? "" : "s",
                       zname(b, lc->to, b2, sizeof b2), lc->d);
            uint32_t za = lc->from < lc->to ? lc->from : lc->to, zb = lc->from ^ lc->to ^ za;
            if ((st = add_pair(b, za, zb, 0, 0, LOC_EDGE_ISLAND, 0)))
                goto done;
            if (g->nlinks % 16 == 0) {
                loc_graph_link *nl = loc_realloc(b->ctx, g->links, (g->nlinks + 16) * sizeof *nl);
                if (!nl) {
                    st = LOC_ENOMEM;
                    goto done;
                }
                g->links = nl;
            }
            g->links[g->nlinks++] = (loc_graph_link){za, zb, lc->d};
            /* a part joined by another searches again from all its zones */
            stranded[uf_union(b->parent, b->size, ra, rb)] = 0;
            made++;
        }
        if (!made)
            break;
    }
    if (g->nlinks)
        report_links(b, g);
count:
    if (!(apart = loc_calloc(b->ctx, nc ? nc : 1, 1))) {
        st = LOC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t c = council_of(b, i);
        if (c >= 0 && g->components[c] > 1 && !apart[c]
            && uf_find(b->parent, (uint32_t)i) != uf_find(b->parent, main_zone[c])) {
            apart[c] = 1;
            g->stats.unlinked++;
        }
    }
done:
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    for (size_t i = 0; prep && i < n; i++)
        if (prep[i])
            GEOSPreparedGeom_destroy_r(h, prep[i]);
    loc_free(b->ctx, prep);
    loc_free(b->ctx, inner);
    loc_free(b->ctx, ids);
    loc_free(b->ctx, members);
    loc_free(b->ctx, stranded);
    loc_free(b->ctx, cands);
    loc_free(b->ctx, cand_of);
    loc_free(b->ctx, apart);
    loc_free(b->ctx, main_zone);
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

/* ---------------------------------------------------------------------
 * Choosing the tolerance from the data
 * --------------------------------------------------------------------- */

/* Tolerances tried, in metres, and the probe: the widest gap bridged. */
static const double snap_ladder[] = {0.1, 0.5, 1, 2, 5, 10, 15, 20, 30, LOC_GRAPH_SNAP_MAX_M};
#define NLADDER (sizeof snap_ladder / sizeof *snap_ladder)

/* Boundary length that runs beside another zone's within tol without
 * sharing its vertices: the tolerance pass's evidence, measured and then
 * dropped. */
static loc_status near_length(build *b, double tol, double *out)
{
    size_t n0 = b->rc.n;
    double keep = b->o.snap_m, s = 0;
    b->o.snap_m = tol;
    loc_status st = tolerance_pass(b);
    for (size_t i = n0; i < b->rc.n; i++)
        s += b->rc.r[i].len;
    b->rc.n = n0;
    b->o.snap_m = keep;
    *out = s / 2; /* each side measured the other */
    return st;
}

/* snap_auto: a clean coverage keeps the tolerance given (the default
 * 0.1 m); boundaries drawn or simplified polygon by polygon get the
 * tolerance at which the length running beside a neighbour stops growing.
 * On the 2011 data zones (the opening comment has the sweep): clean,
 * 0.065% of the boundary runs beside another zone within 50 m (rivers,
 * narrow inlets); simplified zone by zone at 1, 5, 10 and 25 m, 0.41%,
 * 1.2%, 1.9% and 3.7%, and the share stops growing at 1, 5, 10 and 20 m.
 * Gaps that widen steadily up to the probe (zones missing between the
 * parts of a study area) never settle and keep the tolerance given. */
static loc_status choose_snap(build *b)
{
    double probe = 0, beside[NLADDER];
    loc_status st = near_length(b, LOC_GRAPH_SNAP_MAX_M, &probe);
    if (st || probe < SNAP_UNCLEAN_SHARE * b->boundary_m)
        return st; /* a clean coverage: the tolerance given */
    size_t k = 0;
    for (; k + 1 < NLADDER; k++) {
        if ((k == 0 && (st = near_length(b, snap_ladder[0], &beside[0]))) ||
            (st = near_length(b, snap_ladder[k + 1], &beside[k + 1])))
            return st;
        /* settled: most of the probe's length found, and the next step
         * adds little (a gap wider than every step so far grows nothing
         * until the tolerance reaches it) */
        if (beside[k] >= 0.5 * probe && beside[k + 1] - beside[k] < SNAP_SETTLED_SHARE * probe)
            break;
    }
    /* never settled: the gaps have no width of their own (a study area
     * with zones missing between its parts, coasts), not a coverage drawn
     * zone by zone; keep the tolerance given */
    if (k + 1 == NLADDER)
        return LOC_OK;
    double chosen = snap_ladder[k];
    if (chosen <= b->o.snap_m)
        return LOC_OK;
    loc_report(b->ctx, LOC_INFO,
               "the boundaries are not a clean coverage: %.1f%% of their length runs beside another zone's within "
               "%g m without sharing its vertices; snapping at %g m, where that share stops growing (%.2f%%; "
               "give --snap to choose)",
               100 * probe / b->boundary_m, LOC_GRAPH_SNAP_MAX_M, chosen, 100 * beside[k] / b->boundary_m);
    b->o.snap_m = chosen;
    b->snap_chosen = 1;
    return LOC_OK;
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
    if ((st = number_councils(&b, g)))
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
            st = loc_error(ctx, LOC_EGEOM, "zone '%s': cannot measure its area: GEOS: %s", zname(&b, i, buf, sizeof buf),
                           loc_lib_msg(ctx));
            goto done;
        }
    for (size_t i = 0; i < n; i++)
        b.boundary_m += g->perimeter_m[i];
    if ((st = exact_pass(&b)))
        goto done;
    if (b.o.snap_auto && (st = choose_snap(&b)))
        goto done;
    if (b.o.queen && (st = queen_pass(&b)))
        goto done;
    if (b.o.snap_m > 0 && (st = tolerance_pass(&b)))
        goto done;
    loc_free(ctx, b.v.xy); /* the rings are done with; linking measures the geometries */
    loc_free(ctx, b.v.zone);
    loc_free(ctx, b.v.flags);
    b.v.xy = NULL, b.v.zone = NULL, b.v.flags = NULL;
    if ((st = merge_records(&b)) || (st = parts_and_links(&b, g)) || (st = fill_csr(&b, g)))
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

/* ---------------------------------------------------------------------
 * Writers: temporary file in the same folder, renamed at the end
 * --------------------------------------------------------------------- */

loc_status loc_graph_write_csv(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    if (fputs("zone_a,zone_b,shared_len_m,kind\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t i = 0; !st && i < g->n; i++) {
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++) {
            if (g->adj[k] < i)
                continue;
            if (loc_put_csv_field(af.f, codes[i]) == EOF || fputc(',', af.f) == EOF
                || loc_put_csv_field(af.f, codes[g->adj[k]]) == EOF
                || fprintf(af.f, ",%.2f,%s\n", g->len_m[k], loc_edge_kind_name((loc_edge_kind)g->kind[k])) < 0)
                st = loc_afile_failed(ctx, &af);
        }
    }
    return loc_afile_close(ctx, &af, st);
}

/* GAL and GWT split on white space, so a code holding any cannot be
 * written. */
static loc_status check_codes(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path)
{
    for (size_t i = 0; i < g->n; i++) {
        if (!codes[i][0])
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': zone %zu has an empty code", path, i);
        if (codes[i][strcspn(codes[i], " \t\r\n\v\f")])
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': zone code '%s' contains white space", path,
                             codes[i]);
    }
    return LOC_OK;
}

/* A header word: white space becomes '_', empty or NULL the default. */
static int put_word(FILE *f, const char *s, const char *dflt)
{
    if (!s || !*s)
        s = dflt;
    for (; *s; s++)
        if (fputc(strchr(" \t\r\n\v\f", *s) ? '_' : *s, f) == EOF)
            return EOF;
    return 0;
}

static loc_status write_header(loc_ctx *ctx, loc_afile *af, const loc_graph *g, const char *layer, const char *id_field)
{
    if (fprintf(af->f, "0 %zu ", g->n) < 0 || put_word(af->f, layer, "unknown") == EOF || fputc(' ', af->f) == EOF
        || put_word(af->f, id_field, "id") == EOF || fputc('\n', af->f) == EOF)
        return loc_afile_failed(ctx, af);
    return LOC_OK;
}

loc_status loc_graph_write_gal(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                               const char *layer, const char *id_field)
{
    loc_afile af;
    loc_status st = check_codes(ctx, g, codes, path);
    if (st || (st = loc_afile_open(ctx, &af, path)))
        return st;
    st = write_header(ctx, &af, g, layer, id_field);
    for (size_t i = 0; !st && i < g->n; i++) {
        if (fprintf(af.f, "%s %zu\n", codes[i], g->offsets[i + 1] - g->offsets[i]) < 0)
            st = loc_afile_failed(ctx, &af);
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++)
            if (fprintf(af.f, k > g->offsets[i] ? " %s" : "%s", codes[g->adj[k]]) < 0)
                st = loc_afile_failed(ctx, &af);
        if (!st && fputc('\n', af.f) == EOF)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

loc_status loc_graph_write_gwt(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                               const char *layer, const char *id_field)
{
    loc_afile af;
    loc_status st = check_codes(ctx, g, codes, path);
    if (st || (st = loc_afile_open(ctx, &af, path)))
        return st;
    st = write_header(ctx, &af, g, layer, id_field);
    for (size_t i = 0; !st && i < g->n; i++)
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++)
            if (fprintf(af.f, "%s %s %.2f\n", codes[i], codes[g->adj[k]], g->len_m[k]) < 0)
                st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}
