/*
 * The contiguity graph's fourth pass (graph.c's opening comment): parts
 * counted within each council by union-find over the edges, then every
 * part but the largest linked to the nearest zone of its council outside
 * it, shortest links first, round after round until each council is one
 * part; links reported, never across councils.
 */
#include "graph_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (gr_council_of(b, z) != gr_council_of(b, q) || gr_uf_find(b->parent, z) == ns->root) {
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
loc_status gr_number_councils(build *b, loc_graph *g)
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
loc_status gr_parts_and_links(build *b, loc_graph *g)
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
        if (gr_council_of(b, p->a) >= 0 && gr_council_of(b, p->a) == gr_council_of(b, p->b))
            gr_uf_union(b->parent, b->size, p->a, p->b);
    }
    /* Parts per council, and each council's largest part (first zone wins
     * a tie, so the choice does not depend on the order of union). */
    for (size_t c = 0; c < nc; c++)
        main_zone[c] = NONE;
    for (size_t i = 0; i < n; i++) {
        int32_t c = gr_council_of(b, i);
        if (c < 0)
            continue;
        uint32_t r = gr_uf_find(b->parent, (uint32_t)i);
        if (r == i)
            g->components[c]++;
        if (main_zone[c] == NONE || b->size[r] > b->size[gr_uf_find(b->parent, main_zone[c])])
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
        if (gr_council_of(b, p->a) == gr_council_of(b, p->b) && gr_uf_find(b->parent, p->a) == gr_uf_find(b->parent, p->b)) {
            inner[p->a] += p->exact;
            inner[p->b] += p->exact;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint32_t)i;
        cand_of[i] = NONE;
        int32_t c = gr_council_of(b, i);
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
            uint32_t z = members[m], r = gr_uf_find(b->parent, z);
            int32_t c = gr_council_of(b, z);
            if (r == gr_uf_find(b->parent, main_zone[c]) || stranded[r])
                continue;
            nearest_state ns = {b, prep, &ids[z], r, DBL_MAX, NONE, 0};
            loc_lib_clear(b->ctx);
            const void *hit = GEOSSTRtree_nearest_generic_r(h, tree, &ids[z], b->geoms[z], link_distance, &ns);
            if (!hit || ns.failed) {
                st = loc_error(b->ctx, LOC_EGEOM, "zone '%s': nearest-zone search failed: GEOS: %s",
                               gr_zname(b, z, b1, sizeof b1), loc_lib_msg(b->ctx));
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
            uint32_t ra = gr_uf_find(b->parent, lc->from), rb = gr_uf_find(b->parent, lc->to);
            if (ra == rb)
                continue;
            if (b->o.max_link_m > 0 && lc->d > b->o.max_link_m) {
                loc_report(b->ctx, LOC_WARN,
                           "island link not made: zone '%s' (part of %u zone%s) is %.0f m from zone '%s', beyond the %g m limit",
                           gr_zname(b, lc->from, b1, sizeof b1), b->size[ra], b->size[ra] == 1 ? "" : "s", lc->d,
                           gr_zname(b, lc->to, b2, sizeof b2), b->o.max_link_m);
                stranded[ra] = 1;
                continue;
            }
            loc_report(b->ctx, LOC_DETAIL, "island link: zone '%s' (part of %u zone%s) to zone '%s', %.0f m apart",
                       gr_zname(b, lc->from, b1, sizeof b1), b->size[ra], b->size[ra] == 1 ? "" : "s",
                       gr_zname(b, lc->to, b2, sizeof b2), lc->d);
            uint32_t za = lc->from < lc->to ? lc->from : lc->to, zb = lc->from ^ lc->to ^ za;
            if ((st = gr_add_pair(b, za, zb, 0, 0, LOC_EDGE_ISLAND, 0)))
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
            stranded[gr_uf_union(b->parent, b->size, ra, rb)] = 0;
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
        int32_t c = gr_council_of(b, i);
        if (c >= 0 && g->components[c] > 1 && !apart[c]
            && gr_uf_find(b->parent, (uint32_t)i) != gr_uf_find(b->parent, main_zone[c])) {
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
