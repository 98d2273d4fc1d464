/*
 * The report's maps: per council, its localities by plan flag and by the
 * value column, British National Grid metres shifted to the map's corner
 * and scaled to the SVG's pixels, paths simplified to about half a pixel
 * so that a council of many localities stays small; labels, insets for
 * islands, scale bars, legends and the attribution on every map.
 */
#include "report_internal.h"
#include "localities/stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_lib_msg(r->ctx));
    long px = 0, py = 0;
    for (unsigned i = 0; i + 1 < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y))
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a ring: %s", loc_lib_msg(r->ctx));
        /* tenths of a pixel: sharp at any zoom, short to write */
        long qx = lround((x - fr->x0) * fr->s * 10), qy = lround((fr->y1 - y) * fr->s * 10);
        if (i && qx == px && qy == py)
            continue;
        rep_sb_point(r, b, i ? 'L' : 'M', qx, qy);
        px = qx;
        py = qy;
    }
    rep_sb_put(r, b, "Z", 1);
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
        return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot read a polygon: %s", loc_lib_msg(r->ctx));
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
 * in map pixels.  0 when GEOS cannot give one.  Found once per locality
 * (its council's map and its close-up ask for it up to three times). */
static int label_point(rep *r, const frame *fr, size_t k, double *x, double *y)
{
    if (!r->lpt_state[k]) {
        GEOSContextHandle_t h = loc_geos(r->ctx);
        GEOSGeometry *pt = GEOSPointOnSurface_r(h, r->d->geoms[k]);
        int ok = pt && GEOSisEmpty_r(h, pt) == 0 && GEOSGeomGetX_r(h, pt, &r->lpt[k][0]) &&
                 GEOSGeomGetY_r(h, pt, &r->lpt[k][1]);
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        r->lpt_state[k] = ok ? 1 : -1;
    }
    if (r->lpt_state[k] < 0)
        return 0;
    *x = (r->lpt[k][0] - fr->x0) * fr->s;
    *y = (fr->y1 - r->lpt[k][1]) * fr->s;
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
    loc_fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#fff\"/>", y - 2, fr->w, credits_h(r) + 2);
    loc_fprintf(f, "<g class=\"scale\"><path d=\"M6 %.1fv4h%.1fv-4\"/><text x=\"%.1f\" y=\"%.1f\">", y + 2, px,
            10 + px, y + 7);
    if (len >= 1000)
        loc_fprintf(f, "%g km", len / 1000);
    else
        loc_fprintf(f, "%g m", len);
    fputs("</text></g>\n", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        loc_fprintf(f, "<text class=\"credit\" x=\"6\" y=\"%.1f\">", y + 19 + 9 * (double)i);
        rep_esc(f, r->o->attribution[i]);
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
            return loc_error(r->ctx, LOC_EGEOM, "report: GEOS cannot measure a locality: %s", loc_lib_msg(r->ctx));
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
    const GEOSGeometry **in = loc_malloc(r->ctx, n * sizeof *in);
    GEOSGeometry **out = loc_malloc(r->ctx, n * sizeof *out);
    loc_status st = in && out ? LOC_OK : LOC_ENOMEM;
    for (size_t i = 0; i < n && !st; i++)
        in[i] = r->d->geoms[list[i]];
    /* the council's localities together: a boundary two of them share is
     * simplified once, the same on both sides */
    if (!st && !(st = loc_simplify_coverage(r->ctx, in, n, tol, out)))
        for (size_t i = 0; i < n; i++)
            r->simple[list[i]] = out[i];
    loc_free(r->ctx, in);
    loc_free(r->ctx, out);
    return st;
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
    loc_fprintf(f, "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\" aria-label=\"", fr->w, hh, fr->w, hh);
    rep_esc(f, label);
    fputs("\">\n", f);
    if (!by_value)
        loc_fprintf(f, "<g id=\"cm-%ld\">\n", grp);
    for (size_t i = 0; i < n && !st; i++) {
        size_t k = list[i];
        const char *fill;
        if (by_value) {
            int c = rep_value_class(r, rep_value_of(r, k));
            fill = c < 0 ? NO_DATA : rep_seq_colours[c];
        } else {
            fill = rep_flagged(r, k) ? FLAG_ON : FLAG_OFF;
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
            loc_fprintf(f, "<path data-k=\"%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        else
            loc_fprintf(f, "<path id=\"lp-%zu\" fill=\"%s\" d=\"%s\"><title>", k, fill, b.s ? b.s : "");
        rep_esc(f, loc_partition_code(r->d->p, k));
        fputc(' ', f);
        rep_esc(f, loc_partition_name(r->d->p, k));
        if (by_value) {
            fputs(": ", f);
            rep_num(f, rep_value_of(r, k));
        } else if (r->flag_col >= 0) {
            fputs(rep_flagged(r, k) ? ": flagged" : ": not flagged", f);
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
        int show = rep_flagged(r, k) && placed;
        /* about 5.5 pixels a character at 10 px, centred; 11 px high */
        double hw = 2.75 * (double)strlen(name), box[4] = {x - hw, y - 10, x + hw, y + 2};
        for (size_t q = 0; q < np && show; q++)
            show = box[2] < placed[q][0] || box[0] > placed[q][2] || box[3] < placed[q][1] || box[1] > placed[q][3];
        if (show)
            memcpy(placed[np++], box, sizeof box);
        loc_fprintf(f, "<text class=\"lb%s\" x=\"%.0f\" y=\"%.0f\">", show ? "" : " o", x, y);
        rep_esc(f, name);
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
        loc_fprintf(f, "<span><i style=\"background:%s\"></i>locality</span>", FLAG_OFF);
    } else if (!by_value) {
        loc_fprintf(f, "<span><i style=\"background:%s\"></i>", FLAG_ON);
        rep_esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        loc_fprintf(f, "</span><span><i style=\"background:%s\"></i>not flagged</span>", FLAG_OFF);
    } else {
        fputs("<b>", f);
        rep_esc(f, r->o->value_label ? r->o->value_label : loc_attrs_name(r->a, (size_t)r->value_col));
        /* the title on a line of its own, the classes below it */
        loc_fprintf(f, "</b> (%d classes of about equal numbers of localities, all councils)<br>", NCLASS);
        for (int c = 0; c < NCLASS && !isnan(r->breaks[0]); c++) {
            /* classes emptied by tied values are left out of the legend */
            if (c > 0 && c + 1 < NCLASS && r->breaks[c] == r->breaks[c + 1])
                continue;
            loc_fprintf(f, "<span><i style=\"background:%s\"></i>", rep_seq_colours[c]);
            rep_num(f, r->breaks[c]);
            fputs("&ndash;", f);
            rep_num(f, r->breaks[c + 1]);
            fputs("</span>", f);
        }
        loc_fprintf(f, "<span><i style=\"background:%s\"></i>no value</span>", NO_DATA);
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
    qsort(areas, n, sizeof *areas, rep_cmp_double);
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
    loc_fprintf(f, "<svg class=\"map inset\" viewBox=\"%.1f %.1f %.1f %.1f\" width=\"%.0f\" height=\"%.0f\" "
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
            if ((rep_flagged(r, k) != 0) != (pass == 0) || r->group[k] != grp || !label_point(r, fr, k, &x, &y) ||
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
            loc_fprintf(f, "<text class=\"lb\" x=\"%.1f\" y=\"%.1f\">", x, y);
            rep_esc(f, name);
            fputs("</text>\n", f);
        }
    loc_free(r->ctx, placed);
    /* scale bar and credits in the zoomed frame's own units */
    frame z = {fr->x0 + x0 / fr->s, fr->y1 - y0 / fr->s, fr->s * zoom, fr->w, fr->h};
    loc_fprintf(f, "<g transform=\"translate(%.2f %.2f) scale(%.5f)\">", x0, y0, 1 / zoom);
    put_scale_and_credits(r, &z, fr->h + 2);
    fputs("</g></svg>\n<div class=\"legend\">Close-up of the densest part of the council, the localities named where "
          "the names fit"
          "</div></figure>\n", f);
}

/* Per council (and one group for localities spanning councils), its maps. */
loc_status rep_put_maps(rep *r)
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
            rep_esc(r->f, loc_zones_council_name(z, (size_t)c));
            fputs(" <small>", r->f);
            rep_esc(r->f, loc_zones_council_code(z, (size_t)c));
            fputs("</small>", r->f);
        } else {
            fputs("Localities spanning councils", r->f);
        }
        loc_fprintf(r->f, " <small>(%zu localit%s)</small></h3>\n<div class=\"maps\">\n", m, m == 1 ? "y" : "ies");
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
