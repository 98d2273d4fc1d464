/*
 * What a build becomes for the rest of the pipeline: the R^2 of zone
 * values explained by locality means, the zones' centroids, and the
 * partition of the zone table with each locality's code (the council and
 * a digest of its zones, stable across runs) and name (the intermediate
 * zone holding most of its residents, with a compass suffix or a number
 * where a council would repeat one).
 */
#include "localities/builder.h"
#include "localities/codes.h"
#include "internal.h"
#include "build_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double loc_build_r2(size_t n, const double *x, const double *w, const int32_t *labels, size_t nloc)
{
    /* two passes over the items; the per-locality sums fit in a small
     * array allocated here with the C library, as this is a pure function */
    double *sw = calloc(nloc ? 2 * nloc : 1, sizeof *sw);
    if (!sw)
        return NAN;
    double tw = 0, tx = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (size_t)labels[i] >= nloc || !isfinite(x[i]) || !(w[i] > 0))
            continue;
        sw[2 * labels[i]] += w[i];
        sw[2 * labels[i] + 1] += w[i] * x[i];
        tw += w[i];
        tx += w[i] * x[i];
    }
    double mean = tw > 0 ? tx / tw : 0, sst = 0, ssw = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (size_t)labels[i] >= nloc || !isfinite(x[i]) || !(w[i] > 0))
            continue;
        double ml = sw[2 * labels[i] + 1] / sw[2 * labels[i]];
        sst += w[i] * (x[i] - mean) * (x[i] - mean);
        ssw += w[i] * (x[i] - ml) * (x[i] - ml);
    }
    free(sw);
    return sst > 0 ? 1 - ssw / sst : 1;
}

/* The name of the group holding most of locality k's residents into buf
 * ("" when none of its zones is in a named group): one place's name, as
 * people would say it, never names joined together. */
static void locality_name(const loc_partition *base, const loc_zones *z, const loc_grouping *names, size_t k,
                          char *buf, size_t size, double *gpop)
{
    buf[0] = 0;
    if (!names)
        return;
    size_t n;
    const uint32_t *m = loc_partition_members(base, k, &n);
    const double *pop = loc_zones_population(z);
    for (size_t i = 0; i < n; i++) {
        int32_t g = names->member[m[i]];
        double w = isnan(pop[m[i]]) ? 0 : pop[m[i]];
        if (g >= 0)
            gpop[g] += w + 1e-9; /* a zone with no residents still names */
    }
    int32_t g1 = -1;
    for (size_t i = 0; i < n; i++) {
        int32_t g = names->member[m[i]];
        if (g >= 0 && (g1 < 0 || gpop[g] > gpop[g1] || (gpop[g] == gpop[g1] && g < g1)))
            g1 = g;
    }
    if (g1 >= 0 && names->names[g1][0])
        snprintf(buf, size, "%s", names->names[g1]);
    for (size_t i = 0; i < n; i++)
        if (names->member[m[i]] >= 0)
            gpop[names->member[m[i]]] = 0;
}

/* Compass points by octant of the angle from east, counter-clockwise. */
static const char *const COMPASS[8] = {"East", "North East", "North", "North West",
                                       "West", "South West", "South", "South East"};

/* Residents-weighted sums of locality k's zone centroids into c: the sum
 * of weights, then of weight times x and times y (rows with no centroid
 * left out). */
static void add_centre(const loc_partition *base, const loc_zones *z, const double *row_xy, size_t k, double c[3])
{
    size_t n;
    const uint32_t *m = loc_partition_members(base, k, &n);
    const double *pop = loc_zones_population(z);
    for (size_t i = 0; i < n; i++) {
        const double *p = row_xy + 2 * (size_t)m[i];
        if (!isfinite(p[0]) || !isfinite(p[1]))
            continue;
        double w = (isnan(pop[m[i]]) ? 0 : pop[m[i]]) + 1e-9;
        c[0] += w;
        c[1] += w * p[0];
        c[2] += w * p[1];
    }
}

/* Replace name with "name suffix". */
static loc_status append_suffix(loc_ctx *ctx, char **name, const char *suffix)
{
    size_t len = strlen(*name) + strlen(suffix) + 2;
    char *s2 = loc_malloc(ctx, len);
    if (!s2)
        return LOC_ENOMEM;
    snprintf(s2, len, "%s %s", *name, suffix);
    loc_free(ctx, *name);
    *name = s2;
    return LOC_OK;
}

/* Localities first..last-1 (one council) that share a name each take the
 * compass point of their residents' centre from the centre of all of them
 * ("Kirkcaldy East"); needs zone centroids (row_xy, NULL for none). */
static loc_status compass_suffixes(loc_ctx *ctx, const loc_partition *base, const loc_zones *z, const double *row_xy,
                                   char **lnames, size_t first, size_t last)
{
    if (!row_xy)
        return LOC_OK;
    size_t m = last - first;
    int8_t *point = loc_malloc(ctx, (m ? m : 1) * sizeof *point);
    if (!point)
        return LOC_ENOMEM;
    for (size_t q = 0; q < m; q++)
        point[q] = -1;
    for (size_t l = first; l < last; l++) {
        if (point[l - first] >= 0)
            continue;
        double all[3] = {0, 0, 0};
        size_t sharing = 0;
        for (size_t q = l; q < last; q++)
            if (strcmp(lnames[q], lnames[l]) == 0) {
                add_centre(base, z, row_xy, q, all);
                sharing++;
            }
        if (sharing < 2 || !(all[0] > 0))
            continue;
        for (size_t q = l; q < last; q++) {
            if (strcmp(lnames[q], lnames[l]) != 0)
                continue;
            double c[3] = {0, 0, 0};
            add_centre(base, z, row_xy, q, c);
            double a = c[0] > 0 ? atan2(c[2] / c[0] - all[2] / all[0], c[1] / c[0] - all[1] / all[0]) : 0;
            point[q - first] = (int8_t)(((long)lround(a / (M_PI / 4)) % 8 + 8) % 8);
        }
    }
    loc_status st = LOC_OK;
    for (size_t q = 0; q < m && !st; q++)
        if (point[q] >= 0)
            st = append_suffix(ctx, &lnames[first + q], COMPASS[point[q]]);
    loc_free(ctx, point);
    return st;
}

/* The last resort: a name still repeated in the council takes the
 * smallest number from 2 that makes it unique ("Dunfermline North 2"). */
static loc_status number_repeats(loc_ctx *ctx, char **lnames, size_t first, size_t last)
{
    for (size_t l = first; l < last; l++) {
        int repeated = 0;
        for (size_t q = first; q < l && !repeated; q++)
            repeated = strcmp(lnames[q], lnames[l]) == 0;
        if (!repeated)
            continue;
        for (unsigned k = 2;; k++) {
            char num[16], cand[700];
            snprintf(num, sizeof num, "%u", k);
            snprintf(cand, sizeof cand, "%s %s", lnames[l], num);
            int taken = 0;
            for (size_t q = first; q < last && !taken; q++)
                taken = q != l && strcmp(lnames[q], cand) == 0;
            if (!taken) {
                if (append_suffix(ctx, &lnames[l], num))
                    return LOC_ENOMEM;
                break;
            }
        }
    }
    return LOC_OK;
}

loc_partition *loc_build_partition(loc_ctx *ctx, const loc_zones *z, const loc_build_result *r, const uint32_t *rows,
                                   const loc_grouping *names, const double *xy)
{
    loc_clear_error(ctx);
    size_t nrows = loc_zones_count(z), nloc = r->nloc;
    double *row_xy = NULL;
    int32_t *label = loc_malloc(ctx, (nrows ? nrows : 1) * sizeof *label);
    char **codes = loc_calloc(ctx, nloc ? nloc : 1, sizeof *codes);
    char **lnames = loc_calloc(ctx, nloc ? nloc : 1, sizeof *lnames);
    double *gpop = NULL;
    loc_partition *base = NULL, *out = NULL;
    int32_t *lcouncil = loc_malloc(ctx, (nloc ? nloc : 1) * sizeof *lcouncil);
    if (!label || !codes || !lnames || !lcouncil ||
        (names && !(gpop = loc_calloc(ctx, names->ngroups ? names->ngroups : 1, sizeof *gpop))))
        goto done;
    for (size_t i = 0; i < nrows; i++)
        label[i] = -1;
    /* the number of nodes is the number of labels the builder gave */
    for (size_t l = 0; l < nloc; l++)
        lcouncil[l] = -1;
    const int32_t *council = loc_zones_councils(z);
    /* rows has one entry per node of the build */
    size_t nodes = r->n;
    for (size_t i = 0; i < nodes; i++) {
        label[rows[i]] = r->labels[i];
        lcouncil[r->labels[i]] = council[rows[i]];
    }
    if (xy) {
        if (!(row_xy = loc_malloc(ctx, (nrows ? nrows : 1) * 2 * sizeof *row_xy)))
            goto done;
        for (size_t i = 0; i < 2 * nrows; i++)
            row_xy[i] = NAN;
        for (size_t i = 0; i < nodes; i++)
            memcpy(row_xy + 2 * (size_t)rows[i], xy + 2 * i, 2 * sizeof *xy);
    }
    /* a first partition with placeholder codes, to get members and
     * populations; then codes and names */
    char tmp[32];
    for (size_t l = 0; l < nloc; l++) {
        snprintf(tmp, sizeof tmp, "#%zu", l);
        if (!(codes[l] = loc_strdup(ctx, tmp)))
            goto done;
    }
    if (!(base = loc_partition_create(ctx, z, label, nloc, (const char *const *)codes, NULL)))
        goto done;
    size_t first = 0;
    while (first < nloc) {
        size_t last = first;
        while (last < nloc && lcouncil[last] == lcouncil[first])
            last++;
        const char *cc = lcouncil[first] >= 0 ? loc_zones_council_code(z, (size_t)lcouncil[first]) : "X";
        const char *cn = lcouncil[first] >= 0 ? loc_zones_council_name(z, (size_t)lcouncil[first]) : "";
        for (size_t l = first; l < last; l++) {
            char name[600];
            locality_name(base, z, names, l, name, sizeof name, gpop);
            if (!name[0])
                snprintf(name, sizeof name, "%s %zu", cn && cn[0] ? cn : cc, l - first + 1);
            if (!(lnames[l] = loc_strdup(ctx, name)))
                goto done;
        }
        /* a name shared within the council: a compass point, then a number */
        if (compass_suffixes(ctx, base, z, row_xy, lnames, first, last) || number_repeats(ctx, lnames, first, last))
            goto done;
        first = last;
    }
    /* codes from the members, so that they follow the localities and not
     * the builder's numbering (codes.h) */
    loc_codes_free(ctx, codes, nloc);
    codes = NULL;
    if (loc_codes_derive(ctx, base, &codes))
        goto done;
    out = loc_partition_create(ctx, z, label, nloc, (const char *const *)codes, (const char *const *)lnames);
done:
    if (!out && !loc_errcode(ctx))
        loc_error(ctx, LOC_ENOMEM, "build: out of memory");
    loc_partition_destroy(base);
    loc_codes_free(ctx, codes, nloc);
    for (size_t l = 0; lnames && l < nloc; l++)
        loc_free(ctx, lnames[l]);
    loc_free(ctx, lnames);
    loc_free(ctx, label);
    loc_free(ctx, lcouncil);
    loc_free(ctx, gpop);
    loc_free(ctx, row_xy);
    return out;
}

loc_status loc_build_centroids(loc_ctx *ctx, size_t n, const GEOSGeometry *const *geoms, double *xy)
{
    GEOSContextHandle_t h = loc_geos(ctx);
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = xy[2 * i + 1] = NAN;
        if (!geoms[i])
            continue;
        loc_lib_clear(ctx);
        GEOSGeometry *c = GEOSGetCentroid_r(h, geoms[i]);
        if (!c)
            return loc_error(ctx, LOC_EGEOM, "build: the centroid of zone %zu failed: %s", i, loc_lib_msg(ctx));
        int ok = GEOSisEmpty_r(h, c) == 0 && GEOSGeomGetX_r(h, c, &xy[2 * i]) == 1 && GEOSGeomGetY_r(h, c, &xy[2 * i + 1]) == 1;
        GEOSGeom_destroy_r(h, c);
        if (!ok)
            xy[2 * i] = xy[2 * i + 1] = NAN;
    }
    return LOC_OK;
}
