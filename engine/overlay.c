/*
 * Overlay of two polygon sets, and what is built from it: zones placed in
 * locality polygons, and localities carried between zone geographies.
 *
 * The overlay's invariant: for every from polygon, its pieces are the to
 * polygons it shares positive area with, stored in one compressed array
 * (offsets per from polygon), largest piece first, equal areas by to
 * index.  Candidates come from an STRtree of the to set; a prepared
 * geometry answers "covers" (the piece is the whole from polygon: most
 * zones inside their own locality polygon) and "intersects at all".  Two
 * zone sets generalised differently (2001 against 2011 data zones) make
 * nearly every neighbouring pair cross, 41,139 pairs, and GEOS's overlay
 * costs about 100 us a pair: so the area of a crossing pair comes from a
 * walk of both boundaries (Green's theorem, overlay_area.c), and GEOS intersects
 * only pairs the walk cannot trust (shared or touching boundaries, as
 * between zones and their own dissolved localities).  The from polygons
 * are shared out among threads; a piece depends on its pair alone, so the
 * result is the same for any thread count.
 */
#include "localities/overlay.h"

#include "internal.h"
#include "carry_internal.h"
#include "overlay_internal.h"
#include "localities/strmap.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Threads for one overlay, at most (one per online processor). */
#define LOC_OVERLAY_MAX_THREADS 8

struct loc_overlay {
    loc_ctx *ctx;
    size_t nfrom;
    double *from_area;   /* area of each from polygon, m2 */
    size_t *off;         /* nfrom + 1 offsets into to/area */
    uint32_t *to;        /* to index of each piece */
    double *area;        /* area of each piece, m2 */
};

/* ---------------------------------------------------------------------
 * Overlay
 * --------------------------------------------------------------------- */

typedef struct cand_list {
    uint32_t *v;
    size_t n, cap;
    int oom;
} cand_list;

static void collect(void *item, void *ud)
{
    cand_list *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        uint32_t *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (uint32_t)(uintptr_t)item;
}

typedef struct piece {
    uint32_t to;
    double area;
} piece;

static int piece_cmp(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    if (x->area != y->area)
        return x->area > y->area ? -1 : 1;
    return x->to < y->to ? -1 : x->to > y->to;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Area of the intersection of a and b, or -1 when GEOS fails even on a
 * snapped retry (a topology exception between two simplified polygons). */
static double inter_area(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b)
{
    /* (Clipping both to their common envelope first, GEOSClipByRect,
     * saved nothing measurable and can return overlapping parts: not
     * used.) */
    GEOSGeometry *g = GEOSIntersection_r(h, a, b);
    if (!g)
        g = GEOSIntersectionPrec_r(h, a, b, 0.01); /* a centimetre grid */
    if (!g)
        return -1;
    double ar = 0;
    int ok = GEOSArea_r(h, g, &ar);
    GEOSGeom_destroy_r(h, g);
    return ok ? ar : -1;
}


/* One thread's share of the from polygons, [lo, hi): its own GEOS
 * context (a context is not to be shared between threads), its own
 * prepared geometries of the to polygons, made on first use (GEOS builds
 * a prepared geometry's indexes lazily, so one cannot be shared either),
 * and its pieces, in from order.  Plain malloc here: the context's
 * allocator hooks need not be thread-safe. */
typedef struct worker {
    const GEOSGeometry *const *from, *const *to;
    size_t lo, hi, nto;
    GEOSSTRtree *tree;         /* shared, built before the threads start */
    double *from_area;         /* shared array, each thread its own range */
    size_t *npieces;           /* per from polygon */
    piece *pcs;                /* this range's pieces, in from order */
    size_t n, cap;
    int err;                   /* 0, or 1 GEOS failure (at bad_from, bad_to), 2 out of memory */
    size_t bad_from, bad_to;
    size_t fast, slow;         /* pairs measured by ring walk, by GEOS */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    GEOSContextHandle_t h = GEOS_init_r();
    const GEOSPreparedGeometry **prep = calloc(w->nto ? w->nto : 1, sizeof *prep);
    rings *trings = calloc(w->nto ? w->nto : 1, sizeof *trings), fr;
    double *ts = NULL, *to_area = calloc(w->nto ? w->nto : 1, sizeof *to_area);
    size_t cap_ts = 0, cap_qs = 0;
    qseg *qs = NULL;
    cand_list cand = {0};
    memset(&fr, 0, sizeof fr);
    if (!h || !prep || !trings || !to_area) {
        w->err = 2;
        goto done;
    }
    for (size_t i = w->lo; i < w->hi; i++) {
        const GEOSGeometry *g = w->from[i];
        if (!GEOSArea_r(h, g, &w->from_area[i])) {
            w->err = 1;
            w->bad_from = i;
            w->bad_to = (size_t)-1;
            goto done;
        }
        ov_rings_free(&fr);
        ov_rings_read(h, g, &fr);
        cand.n = 0;
        GEOSSTRtree_query_r(h, w->tree, g, collect, &cand);
        if (cand.oom) {
            w->err = 2;
            goto done;
        }
        /* the tree's order is its own; index order keeps the result
         * independent of it */
        if (cand.n)
            qsort(cand.v, cand.n, sizeof *cand.v, u32_cmp);
        size_t first = w->n;
        for (size_t c = 0; c < cand.n; c++) {
            uint32_t j = cand.v[c];
            double ar;
            if (!prep[j] && !(prep[j] = GEOSPrepare_r(h, w->to[j]))) {
                w->err = 1;
                w->bad_from = i;
                w->bad_to = j;
                goto done;
            }
            char covers = GEOSPreparedCovers_r(h, prep[j], g);
            if (covers == 1) {
                ar = w->from_area[i];
            } else {
                char hit = covers == 0 ? GEOSPreparedIntersects_r(h, prep[j], g) : 2;
                if (hit == 0)
                    continue;
                ar = -1;
                if (hit == 1) {
                    if (!trings[j].ok) {
                        ov_rings_read(h, w->to[j], &trings[j]);
                        if (!GEOSArea_r(h, w->to[j], &to_area[j]))
                            trings[j].ok = -1;
                    }
                    ar = ov_green_area(&fr, &trings[j], w->from_area[i], to_area[j], &ts, &cap_ts, &qs, &cap_qs);
                    if (ar >= 0)
                        w->fast++;
                    else {
                        w->slow++;
                        ar = inter_area(h, g, w->to[j]);
                    }
                }
                if (ar < 0) {
                    w->err = 1;
                    w->bad_from = i;
                    w->bad_to = j;
                    goto done;
                }
            }
            if (!(ar > 0))
                continue;
            if (w->n == w->cap) {
                size_t cap = w->cap ? 2 * w->cap : 1024;
                piece *v = realloc(w->pcs, cap * sizeof *v);
                if (!v) {
                    w->err = 2;
                    goto done;
                }
                w->pcs = v;
                w->cap = cap;
            }
            w->pcs[w->n++] = (piece){j, ar};
        }
        if (w->n > first)
            qsort(w->pcs + first, w->n - first, sizeof *w->pcs, piece_cmp);
        w->npieces[i] = w->n - first;
    }
done:
    if (prep)
        for (size_t j = 0; j < w->nto; j++)
            if (prep[j])
                GEOSPreparedGeom_destroy_r(h, prep[j]);
    free(prep);
    if (trings)
        for (size_t j = 0; j < w->nto; j++)
            ov_rings_free(&trings[j]);
    free(trings);
    ov_rings_free(&fr);
    free(ts);
    free(qs);
    free(to_area);
    free(cand.v);
    if (h)
        GEOS_finish_r(h);
    return NULL;
}

static void ignore(void *item, void *ud)
{
    (void)item;
    (void)ud;
}

loc_overlay *loc_overlay_create(loc_ctx *ctx, const GEOSGeometry *const *from, size_t nfrom,
                                const GEOSGeometry *const *to, size_t nto)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    loc_overlay *o = loc_calloc(ctx, 1, sizeof *o);
    GEOSSTRtree *tree = NULL;
    size_t *npieces = NULL;
    worker w[LOC_OVERLAY_MAX_THREADS];
    pthread_t tid[LOC_OVERLAY_MAX_THREADS];
    int nw = 0, ok = 0;
    memset(w, 0, sizeof w);
    if (!o)
        return NULL;
    o->ctx = ctx;
    o->nfrom = nfrom;
    if (!(o->from_area = loc_calloc(ctx, nfrom ? nfrom : 1, sizeof *o->from_area)) ||
        !(o->off = loc_calloc(ctx, nfrom + 1, sizeof *o->off)) ||
        !(npieces = loc_calloc(ctx, nfrom ? nfrom : 1, sizeof *npieces)))
        goto done;
    loc_lib_clear(ctx);
    if (!(tree = GEOSSTRtree_create_r(h, 10))) {
        loc_error(ctx, LOC_EGEOM, "overlay: cannot create a spatial index: %s", loc_lib_msg(ctx));
        goto done;
    }
    for (size_t j = 0; j < nto; j++)
        GEOSSTRtree_insert_r(h, tree, to[j], (void *)(uintptr_t)j);
    /* the tree is built on its first query: build it here, before it is
     * shared */
    if (nto)
        GEOSSTRtree_query_r(h, tree, to[0], ignore, NULL);
    /* Threads: the pieces of one from polygon depend on nothing else, so
     * the result is the same for any count; small inputs take one. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    nw = nfrom < 512 ? 1 : (int)(ncpu < 1 ? 1 : ncpu > LOC_OVERLAY_MAX_THREADS ? LOC_OVERLAY_MAX_THREADS : ncpu);
    for (int t = 0; t < nw; t++) {
        w[t].from = from;
        w[t].to = to;
        w[t].nto = nto;
        w[t].lo = nfrom * (size_t)t / (size_t)nw;
        w[t].hi = nfrom * (size_t)(t + 1) / (size_t)nw;
        w[t].tree = tree;
        w[t].from_area = o->from_area;
        w[t].npieces = npieces;
    }
    int started = 1;
    for (int t = 1; t < nw; t++, started++)
        if (pthread_create(&tid[t], NULL, work, &w[t]) != 0)
            break;
    work(&w[0]);
    for (int t = started; t < nw; t++)
        work(&w[t]); /* a thread that could not start: its share here */
    for (int t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    size_t total = 0;
    for (int t = 0; t < nw; t++) {
        if (w[t].err == 2) {
            loc_error(ctx, LOC_ENOMEM, "out of memory");
            goto done;
        }
        if (w[t].err == 1) {
            if (w[t].bad_to == (size_t)-1)
                loc_error(ctx, LOC_EGEOM, "overlay: polygon %zu of the first set: GEOS cannot measure it",
                          w[t].bad_from);
            else
                loc_error(ctx, LOC_EGEOM, "overlay: polygons %zu and %zu: GEOS cannot intersect them", w[t].bad_from,
                          w[t].bad_to);
            goto done;
        }
        total += w[t].n;
    }
    for (size_t i = 0; i < nfrom; i++)
        o->off[i + 1] = o->off[i] + npieces[i];
    if (!(o->to = loc_malloc(ctx, (total ? total : 1) * sizeof *o->to)) ||
        !(o->area = loc_malloc(ctx, (total ? total : 1) * sizeof *o->area)))
        goto done;
    size_t k = 0;
    for (int t = 0; t < nw; t++)
        for (size_t q = 0; q < w[t].n; q++, k++) {
            o->to[k] = w[t].pcs[q].to;
            o->area[k] = w[t].pcs[q].area;
        }
    ok = 1;
done:
    for (int t = 0; t < nw; t++)
        free(w[t].pcs);
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    loc_free(ctx, npieces);
    if (!ok) {
        loc_overlay_destroy(o);
        return NULL;
    }
    return o;
}

void loc_overlay_destroy(loc_overlay *o)
{
    if (!o)
        return;
    loc_ctx *ctx = o->ctx;
    loc_free(ctx, o->from_area);
    loc_free(ctx, o->off);
    loc_free(ctx, o->to);
    loc_free(ctx, o->area);
    loc_free(ctx, o);
}

size_t loc_overlay_count(const loc_overlay *o) { return o->nfrom; }

double loc_overlay_area_m2(const loc_overlay *o, size_t i) { return i < o->nfrom ? o->from_area[i] : NAN; }

size_t loc_overlay_pieces(const loc_overlay *o, size_t i, const uint32_t **to, const double **area_m2)
{
    if (i >= o->nfrom) {
        *to = NULL;
        *area_m2 = NULL;
        return 0;
    }
    *to = o->to + o->off[i];
    *area_m2 = o->area + o->off[i];
    return o->off[i + 1] - o->off[i];
}

/* ---------------------------------------------------------------------
 * Zones placed in locality polygons
 * --------------------------------------------------------------------- */

/* Up to five codes of a list for a warning: "a, b, c and 4 more". */
static void list_codes(char *buf, size_t size, const char *code, size_t *shown)
{
    size_t len = strlen(buf);
    if (*shown < 5)
        snprintf(buf + len, size - len, "%s'%s'", *shown ? ", " : "", code);
    (*shown)++;
}

loc_partition *loc_partition_from_polygons(loc_ctx *ctx, const loc_zones *z, const loc_boundaries *zb,
                                           const loc_boundaries *polys, loc_zone_place *place,
                                           loc_place_stats *stats)
{
    size_t nz = loc_zones_count(z), ns = loc_zones_nstudy(z), np = loc_boundaries_count(polys);
    const uint32_t *study = loc_zones_study_by_code(z);
    const double *pop = loc_zones_population(z);
    const GEOSGeometry **from = NULL;
    uint32_t *from_row = NULL;
    int32_t *poly_label = NULL, *label = NULL;
    loc_zone_place *pl = NULL;
    const char **codes = NULL, **names = NULL;
    loc_overlay *o = NULL;
    loc_partition *p = NULL;
    loc_place_stats s;
    memset(&s, 0, sizeof s);
    if (np == 0) {
        loc_error(ctx, LOC_EDATA, "'%s': no locality polygons", loc_boundaries_path(polys));
        return NULL;
    }
    if (!(from = loc_malloc(ctx, (ns ? ns : 1) * sizeof *from)) ||
        !(from_row = loc_malloc(ctx, (ns ? ns : 1) * sizeof *from_row)) ||
        !(poly_label = loc_malloc(ctx, np * sizeof *poly_label)) ||
        !(label = loc_malloc(ctx, (nz ? nz : 1) * sizeof *label)) ||
        !(pl = loc_malloc(ctx, (nz ? nz : 1) * sizeof *pl)) || !(codes = loc_calloc(ctx, np, sizeof *codes)) ||
        !(names = loc_calloc(ctx, np, sizeof *names)))
        goto done;
    size_t nfrom = 0;
    for (size_t i = 0; i < nz; i++) {
        label[i] = -1;
        pl[i] = (loc_zone_place){-1, -1, 0, 0};
    }
    for (size_t k = 0; k < ns; k++) {
        long bi = loc_zones_boundary(z, study[k]);
        if (bi < 0 || (size_t)bi >= loc_boundaries_count(zb))
            continue;
        from[nfrom] = loc_boundaries_geom(zb, (size_t)bi);
        from_row[nfrom++] = study[k];
    }
    if (!(o = loc_overlay_create(ctx, from, nfrom, loc_boundaries_geoms(polys), np)))
        goto done;
    /* Pass 1: overlaps, then each zone's largest piece; polygons keep
     * their source order among the localities that receive a zone. */
    for (size_t j = 0; j < np; j++)
        poly_label[j] = -1;
    for (size_t f = 0; f < nfrom; f++) {
        const uint32_t *to;
        const double *ar;
        size_t n = loc_overlay_pieces(o, f, &to, &ar);
        double za = loc_overlay_area_m2(o, f);
        if (n >= 2 && ar[1] > 0.01 * za) {
            /* two polygons each hold more than 1% of the zone: either they
             * overlap there or they share the zone; overlap when the
             * pieces add up to more than the zone */
            double sum = 0;
            for (size_t k = 0; k < n; k++)
                sum += ar[k];
            if (sum > 1.01 * za) {
                loc_error(ctx, LOC_EDATA,
                          "'%s': locality polygons overlap: '%s' and '%s' both cover zone '%s' (%.0f%% more "
                          "than its area)",
                          loc_boundaries_path(polys), loc_boundaries_code(polys, to[0]),
                          loc_boundaries_code(polys, to[1]), loc_zones_code(z, from_row[f]),
                          100 * (sum / za - 1));
                goto done;
            }
        }
        if (n == 0)
            continue;
        poly_label[to[0]] = 0;
        loc_zone_place *q = &pl[from_row[f]];
        q->first = (int32_t)to[0];
        q->share1 = za > 0 ? fmin(1, ar[0] / za) : 1;
        if (n >= 2) {
            q->second = (int32_t)to[1];
            q->share2 = za > 0 ? fmin(1, ar[1] / za) : 0;
        }
    }
    size_t nloc = 0, empty = 0;
    char buf[512] = "";
    size_t shown = 0;
    for (size_t j = 0; j < np; j++) {
        if (poly_label[j] < 0) {
            empty++;
            continue;
        }
        poly_label[j] = (int32_t)nloc;
        codes[nloc] = loc_boundaries_code(polys, j);
        names[nloc] = loc_boundaries_name(polys, j);
        nloc++;
    }
    if (!nloc) {
        loc_error(ctx, LOC_EDATA, "'%s': no study zone lies in any of its %zu locality polygons",
                  loc_boundaries_path(polys), np);
        goto done;
    }
    if (empty) {
        for (size_t j = 0; j < np; j++)
            if (poly_label[j] < 0)
                list_codes(buf, sizeof buf, loc_boundaries_code(polys, j), &shown);
        loc_report(ctx, LOC_WARN, "'%s': %zu locality polygon%s hold%s most of no study zone and %s left out: %s%s",
                   loc_boundaries_path(polys), empty, empty == 1 ? "" : "s", empty == 1 ? "s" : "",
                   empty == 1 ? "is" : "are", buf, empty > 5 ? " and more" : "");
    }
    /* Pass 2: labels in partition indices, and the totals. */
    for (size_t f = 0; f < nfrom; f++) {
        uint32_t i = from_row[f];
        loc_zone_place *q = &pl[i];
        if (q->first < 0)
            continue;
        q->first = poly_label[q->first];
        q->second = q->second >= 0 ? poly_label[q->second] : -1;
        label[i] = q->first;
        double za = loc_overlay_area_m2(o, f), zp = isnan(pop[i]) ? 0 : pop[i];
        s.zones++;
        s.area_m2 += za;
        s.pop += zp;
        s.approx_area_m2 += za * (1 - q->share1);
        if (q->share1 < LOC_EXACT_SHARE) {
            s.approx++;
            s.approx_pop += zp;
        }
    }
    s.unplaced = ns - s.zones;
    if (s.unplaced) {
        buf[0] = 0;
        shown = 0;
        for (size_t k = 0; k < ns; k++)
            if (label[study[k]] < 0)
                list_codes(buf, sizeof buf, loc_zones_code(z, study[k]), &shown);
        loc_report(ctx, LOC_WARN, "'%s': %zu study zone%s in no locality polygon (or with no boundary), left out: %s%s",
                   loc_boundaries_path(polys), s.unplaced, s.unplaced == 1 ? "" : "s", buf,
                   s.unplaced > 5 ? " and more" : "");
    }
    p = loc_partition_create(ctx, z, label, nloc, codes, names);
    if (p && place)
        memcpy(place, pl, nz * sizeof *pl);
    if (p && stats)
        *stats = s;
done:
    loc_overlay_destroy(o);
    loc_free(ctx, from);
    loc_free(ctx, from_row);
    loc_free(ctx, poly_label);
    loc_free(ctx, label);
    loc_free(ctx, pl);
    loc_free(ctx, codes);
    loc_free(ctx, names);
    return p;
}

loc_status loc_write_zones_split_csv(loc_ctx *ctx, const loc_partition *p, const loc_zone_place *place,
                                     const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    const loc_zones *z = loc_partition_zones(p);
    const double *pop = loc_zones_population(z);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *rows = loc_zones_study_by_code(z);
    if (fputs("zone_code,locality_code,share,second_locality_code,second_share,population\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t s = 0; s < ns && !st; s++) {
        const loc_zone_place *q = &place[rows[s]];
        if (q->first < 0 || q->share1 >= LOC_EXACT_SHARE)
            continue;
        char num[64];
        if (isnan(pop[rows[s]]))
            num[0] = 0;
        else
            snprintf(num, sizeof num, "%.0f", pop[rows[s]]);
        if (loc_put_csv_field(af.f, loc_zones_code(z, rows[s])) == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, loc_partition_code(p, (size_t)q->first)) == EOF ||
            loc_fprintf(af.f, ",%.4f,", q->share1) < 0 ||
            loc_put_csv_field(af.f, q->second >= 0 ? loc_partition_code(p, (size_t)q->second) : "") == EOF ||
            loc_fprintf(af.f, ",%.4f,%s\n", q->second >= 0 ? q->share2 : 0.0, num) < 0)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

/* ---------------------------------------------------------------------
 * Localities carried between zone geographies by area
 * --------------------------------------------------------------------- */

/* A held locality's share of one zone: weight (area or residents) and
 * area. */
typedef struct lacc {
    uint32_t loc;
    double w, area;
} lacc;

static int lacc_cmp(const void *pa, const void *pb)
{
    const lacc *x = pa, *y = pb;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return x->loc < y->loc ? -1 : x->loc > y->loc;
}

/* 1 when outside_m2, spread along geometry g's perimeter, is no wider
 * than sliver_m. */
static int sliver_exact(loc_ctx *ctx, const GEOSGeometry *g, double outside_m2, double sliver_m)
{
    double per = 0;
    return GEOSLength_r(loc_geos(ctx), g, &per) && per > 0 && outside_m2 / per <= sliver_m;
}

loc_partition *loc_partition_carry_overlay(loc_ctx *ctx, const loc_zones *z, const loc_boundaries *zb,
                                           const loc_csv *held, const loc_boundaries *held_b,
                                           const loc_carry_overlay_opts *opts, loc_carry_rule rule,
                                           loc_carry_stats *stats, uint8_t *how)
{
    double sliver_m = opts ? opts->sliver_m : 0;
    int by_res = opts && opts->by_residents;
    if (!(sliver_m >= 0)) {
        loc_error(ctx, LOC_EINVAL, "carry: the sliver width must be 0 or more, not %g", sliver_m);
        return NULL;
    }
    long hz = loc_csv_column(held, "zone_code"), hl = loc_csv_column(held, "locality_code");
    long hn = loc_csv_column(held, "locality_name");
    long hp = loc_csv_column(held, "population");
    if (hz < 0 || hl < 0 || (by_res && hp < 0)) {
        loc_error(ctx, LOC_EDATA, "'%s': no column '%s'%s", loc_csv_name(held),
                  hz < 0 ? "zone_code" : hl < 0 ? "locality_code" : "population",
                  hz < 0 || hl < 0 ? "" : " (needed to weigh by residents)");
        return NULL;
    }
    size_t nh = loc_csv_nrows(held), nz = loc_zones_count(z), nb = loc_boundaries_count(held_b);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *study = loc_zones_study_by_code(z);
    loc_strmap *zone_loc = loc_strmap_create(ctx, nh), *loc_index = loc_strmap_create(ctx, 256);
    const char **codes = loc_calloc(ctx, nh ? nh : 1, sizeof *codes);
    const char **names = loc_calloc(ctx, nh ? nh : 1, sizeof *names);
    int32_t *bloc = loc_malloc(ctx, (nb ? nb : 1) * sizeof *bloc);
    int32_t *label = loc_malloc(ctx, (nz ? nz : 1) * sizeof *label);
    uint8_t *hw = loc_malloc(ctx, nz ? nz : 1);
    const GEOSGeometry **from = loc_malloc(ctx, (ns ? ns : 1) * sizeof *from);
    uint32_t *from_row = loc_malloc(ctx, (ns ? ns : 1) * sizeof *from_row);
    lacc *acc = NULL;
    double *dens = NULL;
    size_t cap_acc = 0;
    loc_overlay *o = NULL;
    loc_partition *p = NULL;
    size_t nloc = 0;
    if (!zone_loc || !loc_index || !codes || !names || !bloc || !label || !hw || !from || !from_row)
        goto done;
    /* held: zone code -> locality index, localities in order of first
     * appearance */
    for (size_t r = 0; r < nh; r++) {
        const char *lc = loc_csv_field(held, r, (size_t)hl);
        if (!lc[0])
            continue; /* a zone the held run left out */
        long k = loc_strmap_get(loc_index, lc);
        if (k < 0) {
            k = (long)nloc;
            codes[nloc] = lc;
            names[nloc] = hn >= 0 ? loc_csv_field(held, r, (size_t)hn) : "";
            if (loc_strmap_put(loc_index, lc, k, NULL))
                goto done;
            nloc++;
        }
        if (loc_strmap_put(zone_loc, loc_csv_field(held, r, (size_t)hz), k, NULL))
            goto done;
    }
    for (size_t j = 0; j < nb; j++)
        bloc[j] = (int32_t)loc_strmap_get(zone_loc, loc_boundaries_code(held_b, j));
    /* residents per square metre of each held zone: its population
     * spread evenly over its polygon */
    if (by_res) {
        loc_strmap *zone_row = loc_strmap_create(ctx, nh);
        if (!zone_row || !(dens = loc_calloc(ctx, nb ? nb : 1, sizeof *dens))) {
            loc_strmap_destroy(zone_row);
            goto done;
        }
        for (size_t r = 0; r < nh; r++)
            if (loc_strmap_put(zone_row, loc_csv_field(held, r, (size_t)hz), (long)r, NULL)) {
                loc_strmap_destroy(zone_row);
                goto done;
            }
        for (size_t j = 0; j < nb; j++) {
            long r = loc_strmap_get(zone_row, loc_boundaries_code(held_b, j));
            double pv = 0, ar = 0;
            if (r >= 0 && loc_parse_number(loc_csv_field(held, (size_t)r, (size_t)hp), &pv) == LOC_NUM_OK && pv > 0 &&
                GEOSArea_r(loc_geos(ctx), loc_boundaries_geom(held_b, j), &ar) && ar > 0)
                dens[j] = pv / ar;
        }
        loc_strmap_destroy(zone_row);
    }
    size_t nfrom = 0;
    for (size_t i = 0; i < nz; i++) {
        label[i] = -1;
        hw[i] = loc_zones_in_study(z, i) ? LOC_PLACED_NONE : LOC_PLACED_NOT_STUDY;
    }
    for (size_t k = 0; k < ns; k++) {
        long bi = loc_zones_boundary(z, study[k]);
        if (bi < 0 || (size_t)bi >= loc_boundaries_count(zb))
            continue;
        from[nfrom] = loc_boundaries_geom(zb, (size_t)bi);
        from_row[nfrom++] = study[k];
    }
    if (!(o = loc_overlay_create(ctx, from, nfrom, loc_boundaries_geoms(held_b), nb)))
        goto done;
    for (size_t f = 0; f < nfrom; f++) {
        const uint32_t *to;
        const double *ar;
        size_t n = loc_overlay_pieces(o, f, &to, &ar), na = 0;
        if (loc_grow(ctx, (void **)&acc, &cap_acc, n + 1, sizeof *acc))
            goto done;
        /* weight (area, or residents) and area per held locality (few
         * pieces: a linear scan); total over every piece */
        double total = 0;
        for (size_t k = 0; k < n; k++) {
            double wk = by_res ? ar[k] * dens[to[k]] : ar[k];
            total += wk;
            int32_t l = bloc[to[k]];
            if (l < 0)
                continue;
            size_t a = 0;
            while (a < na && acc[a].loc != (uint32_t)l)
                a++;
            if (a == na)
                acc[na++] = (lacc){(uint32_t)l, 0, 0};
            acc[a].w += wk;
            acc[a].area += ar[k];
        }
        uint32_t i = from_row[f];
        double za = loc_overlay_area_m2(o, f);
        if (by_res && !(total > 0)) { /* nobody lives in any piece: by area */
            total = za;
            for (size_t a = 0; a < na; a++)
                acc[a].w = acc[a].area;
        } else if (!by_res) {
            total = za;
        }
        if (!na)
            continue;
        qsort(acc, na, sizeof *acc, lacc_cmp);
        if (na >= 2 && acc[1].w == acc[0].w) {
            hw[i] = LOC_PLACED_TIE;
        } else if (acc[0].w >= LOC_EXACT_SHARE * total ||
                   (sliver_m > 0 && sliver_exact(ctx, from[f], za - acc[0].area, sliver_m))) {
            hw[i] = LOC_PLACED_EXACT;
            label[i] = (int32_t)acc[0].loc;
        } else if (rule == LOC_CARRY_ALL) {
            hw[i] = LOC_PLACED_TIE;
        } else {
            hw[i] = LOC_PLACED_MOST;
            label[i] = (int32_t)acc[0].loc;
        }
    }
    /* drop localities that received no zone, renumbering the rest */
    size_t kept, dropped;
    const char *first_dropped;
    if (loc_carry_drop_empty(ctx, label, nz, codes, names, nloc, &kept, &dropped, &first_dropped))
        goto done;
    loc_carry_stats cs = loc_carry_tally(z, hw);
    if (!kept) {
        loc_error(ctx, LOC_EDATA, "'%s': none of its localities could be placed on these zones: the boundaries "
                  "'%s' overlap none of the study zones", loc_csv_name(held), loc_boundaries_path(held_b));
        goto done;
    }
    if (cs.unplaced)
        loc_report(ctx, LOC_WARN, "%zu study zones (%.0f residents) left out: no held locality covers most of "
                   "their area (see carried.csv)", cs.unplaced, cs.unplaced_pop);
    if (dropped)
        loc_report(ctx, LOC_WARN, "%zu held localit%s receive%s no zone, starting with '%s'", dropped,
                   dropped == 1 ? "y" : "ies", dropped == 1 ? "s" : "", first_dropped);
    if (!(p = loc_partition_create(ctx, z, label, kept, codes, names)))
        goto done;
    if (stats)
        *stats = cs;
    if (how)
        memcpy(how, hw, nz);
done:
    loc_overlay_destroy(o);
    loc_strmap_destroy(zone_loc);
    loc_strmap_destroy(loc_index);
    loc_free(ctx, codes);
    loc_free(ctx, names);
    loc_free(ctx, bloc);
    loc_free(ctx, label);
    loc_free(ctx, hw);
    loc_free(ctx, from);
    loc_free(ctx, from_row);
    loc_free(ctx, acc);
    loc_free(ctx, dens);
    return p;
}
