/*
 * The area of the intersection of two polygons without an overlay, for
 * overlay.c.
 *
 * GEOS's overlay builds a topology graph for every pair, about 100 us
 * each; two boundary sets generalised differently make nearly every
 * neighbouring pair cross.  The area alone needs less: by Green's
 * theorem the area of A n B is the signed sum, over the boundary of A
 * inside B and the boundary of B inside A (each ring oriented with its
 * polygon on the left), of (x1 y2 - x2 y1) / 2.  Each ring is walked
 * once, its in/out state toggled at each proper crossing of the other's
 * boundary.  Any degeneracy (a vertex on the other boundary, collinear
 * segments, a state that does not close) answers -1 and the pair goes to
 * GEOS instead, as does a result outside [0, min(area A, area B)].
 */
#include "overlay_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ov_rings_free(rings *r)
{
    free(r->xy);
    free(r->start);
    memset(r, 0, sizeof *r);
}

/* Append ring g, oriented counter-clockwise (shell) or clockwise (hole). */
static int ring_add(GEOSContextHandle_t h, const GEOSGeometry *g, int hole, rings *r, size_t *cap_pts,
                    size_t *cap_rings)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 4)
        return -1;
    size_t base = r->start[r->nrings];
    if (base + n > *cap_pts) {
        size_t cap = 2 * (base + n);
        double *v = realloc(r->xy, cap * 2 * sizeof *v);
        if (!v)
            return -1;
        r->xy = v;
        *cap_pts = cap;
    }
    if (r->nrings + 2 > *cap_rings) {
        size_t cap = 2 * (r->nrings + 2);
        size_t *v = realloc(r->start, cap * sizeof *v);
        if (!v)
            return -1;
        r->start = v;
        *cap_rings = cap;
    }
    double a2 = 0;
    for (unsigned int k = 0; k < n; k++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, k, &x, &y))
            return -1;
        r->xy[2 * (base + k)] = x;
        r->xy[2 * (base + k) + 1] = y;
        if (k)
            a2 += r->xy[2 * (base + k - 1)] * y - x * r->xy[2 * (base + k - 1) + 1];
    }
    if ((a2 > 0) == hole) { /* reverse */
        for (unsigned int k = 0; k < n / 2; k++) {
            double *p = r->xy + 2 * (base + k), *q = r->xy + 2 * (base + n - 1 - k), t;
            t = p[0], p[0] = q[0], q[0] = t;
            t = p[1], p[1] = q[1], q[1] = t;
        }
    }
    r->nrings++;
    r->start[r->nrings] = base + n;
    return 0;
}

void ov_rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, rings *r)
{
    size_t cap_pts = 0, cap_rings = 0;
    memset(r, 0, sizeof *r);
    r->ok = -1;
    if (!(r->start = calloc(1, sizeof *r->start)))
        return;
    cap_rings = 1;
    int np = GEOSGetNumGeometries_r(h, g);
    for (int k = 0; k < np; k++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, k);
        if (!p || GEOSGeomTypeId_r(h, p) != GEOS_POLYGON)
            return;
        const GEOSGeometry *e = GEOSGetExteriorRing_r(h, p);
        if (!e || ring_add(h, e, 0, r, &cap_pts, &cap_rings))
            return;
        int ni = GEOSGetNumInteriorRings_r(h, p);
        for (int j = 0; j < ni; j++) {
            const GEOSGeometry *in = GEOSGetInteriorRingN_r(h, p, j);
            if (!in || ring_add(h, in, 1, r, &cap_pts, &cap_rings))
                return;
        }
    }
    if (!r->nrings)
        return;
    r->box[0] = r->box[1] = INFINITY;
    r->box[2] = r->box[3] = -INFINITY;
    for (size_t k = 0; k < r->start[r->nrings]; k++) {
        r->box[0] = fmin(r->box[0], r->xy[2 * k]);
        r->box[1] = fmin(r->box[1], r->xy[2 * k + 1]);
        r->box[2] = fmax(r->box[2], r->xy[2 * k]);
        r->box[3] = fmax(r->box[3], r->xy[2 * k + 1]);
    }
    r->ok = 1;
}

/* min and max without libm's NaN rules, so that they inline in the
 * inner loop (no NaN reaches them) */
static inline double mn(double a, double b) { return a < b ? a : b; }
static inline double mx(double a, double b) { return a > b ? a : b; }

static double orient(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* 1 inside, 0 outside, -1 on the boundary (or too close to tell). */
static int point_in(const rings *q, double x, double y)
{
    int in = 0;
    for (size_t r = 0; r < q->nrings; r++)
        for (size_t k = q->start[r]; k + 1 < q->start[r + 1]; k++) {
            double x0 = q->xy[2 * k], y0 = q->xy[2 * k + 1], x1 = q->xy[2 * k + 2], y1 = q->xy[2 * k + 3];
            if ((y0 > y) != (y1 > y)) {
                double o = orient(x0, y0, x1, y1, x, y);
                if (o == 0)
                    return -1;
                if ((o > 0) == (y1 > y0))
                    in = !in;
            } else if (y0 == y && y1 == y && x >= fmin(x0, x1) && x <= fmax(x0, x1)) {
                return -1;
            }
        }
    return in;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Twice the signed area of P's boundary inside Q; NAN on a degeneracy.
 * ts is a scratch buffer. */
/* One segment of Q near P: its box and its index, sorted by minx. */
struct qseg {
    double x0, x1, y0, y1; /* box */
    size_t j;              /* first point of the segment in q->xy */
};

static int qseg_cmp(const void *a, const void *b)
{
    const qseg *x = a, *y = b;
    if (x->x0 != y->x0)
        return x->x0 < y->x0 ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* Twice the signed area of P's boundary inside Q; NAN on a degeneracy.
 * ts and qs are scratch buffers. */
static double inside_part(const rings *p, const rings *q, double **ts, size_t *cap_ts, qseg **qs, size_t *cap_qs)
{
    double sum = 0;
    const double *bq = q->box, *bp = p->box;
    /* Q's segments that can meet P at all (for a large zone against a
     * small one, a few of thousands), sorted by minx: a P segment then
     * looks only at those starting within the longest Q segment's width
     * to its left */
    size_t nq = 0;
    double wmax = 0;
    for (size_t rq = 0; rq < q->nrings; rq++)
        for (size_t j = q->start[rq]; j + 1 < q->start[rq + 1]; j++) {
            double u0 = q->xy[2 * j], v0 = q->xy[2 * j + 1], u1 = q->xy[2 * j + 2], v1 = q->xy[2 * j + 3];
            qseg e = {mn(u0, u1), mx(u0, u1), mn(v0, v1), mx(v0, v1), j};
            if (e.x1 < bp[0] || e.x0 > bp[2] || e.y1 < bp[1] || e.y0 > bp[3])
                continue;
            if (nq == *cap_qs) {
                size_t cap = *cap_qs ? 2 * *cap_qs : 64;
                qseg *v = realloc(*qs, cap * sizeof *v);
                if (!v)
                    return NAN;
                *qs = v;
                *cap_qs = cap;
            }
            (*qs)[nq++] = e;
            wmax = mx(wmax, e.x1 - e.x0);
        }
    if (nq > 1)
        qsort(*qs, nq, sizeof **qs, qseg_cmp);
    const qseg *Q = *qs;
    for (size_t r = 0; r < p->nrings; r++) {
        size_t s0 = p->start[r], s1 = p->start[r + 1];
        double fx = p->xy[2 * s0], fy = p->xy[2 * s0 + 1];
        int in = (fx < bq[0] || fx > bq[2] || fy < bq[1] || fy > bq[3]) ? 0 : point_in(q, fx, fy);
        if (in < 0)
            return NAN;
        int in0 = in;
        for (size_t k = s0; k + 1 < s1; k++) {
            double x0 = p->xy[2 * k], y0 = p->xy[2 * k + 1], x1 = p->xy[2 * k + 2], y1 = p->xy[2 * k + 3];
            double sx0 = mn(x0, x1), sx1 = mx(x0, x1), sy0 = mn(y0, y1), sy1 = mx(y0, y1);
            if (sx1 < bq[0] || sx0 > bq[2] || sy1 < bq[1] || sy0 > bq[3]) {
                if (in)
                    return NAN; /* inside Q yet outside its box: lost track */
                continue;
            }
            /* first Q segment with x0 >= sx0 - wmax */
            size_t lo = 0, hi = nq;
            double from_x = sx0 - wmax;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (Q[mid].x0 < from_x)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            size_t nt = 0;
            for (size_t c = lo; c < nq && Q[c].x0 <= sx1; c++) {
                if (Q[c].x1 < sx0 || Q[c].y1 < sy0 || Q[c].y0 > sy1)
                    continue;
                size_t j = Q[c].j;
                double u0 = q->xy[2 * j], v0 = q->xy[2 * j + 1], u1 = q->xy[2 * j + 2], v1 = q->xy[2 * j + 3];
                double o1 = orient(x0, y0, x1, y1, u0, v0), o2 = orient(x0, y0, x1, y1, u1, v1);
                double o3 = orient(u0, v0, u1, v1, x0, y0), o4 = orient(u0, v0, u1, v1, x1, y1);
                if (o1 == 0 || o2 == 0 || o3 == 0 || o4 == 0)
                    return NAN; /* touching or collinear (or near enough to be unsure): GEOS */
                if ((o1 > 0) == (o2 > 0) || (o3 > 0) == (o4 > 0))
                    continue;
                if (nt == *cap_ts) {
                    size_t cap = *cap_ts ? 2 * *cap_ts : 16;
                    double *v = realloc(*ts, cap * sizeof *v);
                    if (!v)
                        return NAN;
                    *ts = v;
                    *cap_ts = cap;
                }
                (*ts)[nt++] = o3 / (o3 - o4);
            }
            if (nt > 1)
                qsort(*ts, nt, sizeof **ts, dbl_cmp);
            double ax = x0, ay = y0;
            for (size_t c = 0; c <= nt; c++) {
                double bx = c < nt ? x0 + (*ts)[c] * (x1 - x0) : x1, by = c < nt ? y0 + (*ts)[c] * (y1 - y0) : y1;
                if (in)
                    sum += ax * by - bx * ay;
                ax = bx, ay = by;
                if (c < nt)
                    in = !in;
            }
        }
        if (in != in0)
            return NAN;
    }
    return sum;
}

/* Area of A n B from their rings, or -1 when it cannot be trusted. */
double ov_green_area(const rings *a, const rings *b, double area_a, double area_b, double **ts, size_t *cap_ts,
                     qseg **qs, size_t *cap_qs)
{
    if (a->ok != 1 || b->ok != 1)
        return -1;
    double s1 = inside_part(a, b, ts, cap_ts, qs, cap_qs);
    if (isnan(s1))
        return -1;
    double s2 = inside_part(b, a, ts, cap_ts, qs, cap_qs);
    if (isnan(s2))
        return -1;
    double ar = 0.5 * (s1 + s2), tol = 1e-9 * fmax(area_a, area_b) + 1e-6;
    if (ar < -tol || ar > fmin(area_a, area_b) + tol)
        return -1;
    return fmax(ar, 0);
}
