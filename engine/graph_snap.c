/*
 * The contiguity graph's tolerance pass (the third pass of graph.c's
 * opening comment): the segments hashing left unmatched, cut into chunks
 * in a GEOS STRtree, each measured against the nearby segments of other
 * zones for the part that runs alongside; and --snap auto, the tolerance
 * chosen from how much boundary runs beside another zone without sharing
 * vertices.
 */
#include "graph_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        loc_status st = total > 0 ? gr_push_rec(b, zi, zj, total * slen, R_SNAP_A) : LOC_OK;
        if (!st && b->o.queen)
            st = gr_push_rec(b, zi, zj, 0, R_POINT);
        if (st)
            return st;
        i = j;
    }
    return LOC_OK;
}

loc_status gr_tolerance_pass(build *b)
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
    loc_status st = gr_tolerance_pass(b);
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
 * On the 2011 data zones (graph.c's opening comment has the sweep): clean,
 * 0.065% of the boundary runs beside another zone within 50 m (rivers,
 * narrow inlets); simplified zone by zone at 1, 5, 10 and 25 m, 0.41%,
 * 1.2%, 1.9% and 3.7%, and the share stops growing at 1, 5, 10 and 20 m.
 * Gaps that widen steadily up to the probe (zones missing between the
 * parts of a study area) never settle and keep the tolerance given. */
loc_status gr_choose_snap(build *b)
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
