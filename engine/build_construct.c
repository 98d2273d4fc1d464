/*
 * The builder's construction (see builder.c): regions grown from seeds
 * over the graph inside each council, those above the ceiling split along
 * their least costly lines, those below the floor merged into the
 * neighbour they are most alike, giving the first labelling the search
 * then improves.
 */
#include "localities/builder.h"
#include "internal.h"
#include "build_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Construction
 * --------------------------------------------------------------------- */

typedef struct regions {
    size_t nr;
    int32_t *of;        /* unit -> region */
    uint32_t *head, *tail, *next, *size; /* member lists per region */
    double *pop;
    double *f;          /* nr * nf * 3 */
    int32_t *council;
    uint8_t *alive;
} regions;

static void regions_free(loc_ctx *ctx, regions *r)
{
    loc_free(ctx, r->of);
    loc_free(ctx, r->head);
    loc_free(ctx, r->tail);
    loc_free(ctx, r->next);
    loc_free(ctx, r->size);
    loc_free(ctx, r->pop);
    loc_free(ctx, r->f);
    loc_free(ctx, r->council);
    loc_free(ctx, r->alive);
}

static loc_status regions_alloc(loc_ctx *ctx, regions *r, size_t nu, size_t nf)
{
    size_t m = nu ? nu : 1;
    memset(r, 0, sizeof *r);
    if (!(r->of = loc_malloc(ctx, m * sizeof *r->of)) || !(r->head = loc_malloc(ctx, m * sizeof *r->head)) ||
        !(r->tail = loc_malloc(ctx, m * sizeof *r->tail)) || !(r->next = loc_malloc(ctx, m * sizeof *r->next)) ||
        !(r->size = loc_calloc(ctx, m, sizeof *r->size)) || !(r->pop = loc_calloc(ctx, m, sizeof *r->pop)) ||
        !(r->f = loc_calloc(ctx, m * (nf ? nf * 3 : 1), sizeof *r->f)) ||
        !(r->council = loc_malloc(ctx, m * sizeof *r->council)) || !(r->alive = loc_calloc(ctx, m, 1)))
        return LOC_ENOMEM;
    return LOC_OK;
}

/* Start a new region and return its id. */
static int32_t region_new(regions *r, int32_t council)
{
    int32_t id = (int32_t)r->nr++;
    r->head[id] = r->tail[id] = UINT32_MAX;
    r->size[id] = 0;
    r->pop[id] = 0;
    r->council[id] = council;
    r->alive[id] = 1;
    return id;
}

static void region_add(regions *r, const problem *p, int32_t id, uint32_t u)
{
    r->of[u] = id;
    r->next[u] = UINT32_MAX;
    if (r->tail[id] == UINT32_MAX)
        r->head[id] = u;
    else
        r->next[r->tail[id]] = u;
    r->tail[id] = u;
    r->size[id]++;
    r->pop[id] += p->upop[u];
    size_t nf3 = p->nf * 3;
    for (size_t k = 0; k < nf3; k++)
        r->f[(size_t)id * nf3 + k] += p->uf[(size_t)u * nf3 + k];
}

/* Seed regions: connected pieces of (council, first soft group) in the
 * unit graph; with no soft grouping, connected pieces of each council. */
static loc_status seed_regions(const problem *p, regions *r, uint32_t *queue)
{
    const loc_build_input *in = p->in;
    long soft = -1;
    for (size_t g = 0; g < in->ngroupings && soft < 0; g++)
        if (!in->groupings[g].hard)
            soft = (long)g;
    /* a unit's key: its council and the soft group of its first node */
    for (size_t u = 0; u < p->nu; u++)
        r->of[u] = -1;
    for (size_t u0 = 0; u0 < p->nu; u0++) {
        if (r->of[u0] >= 0)
            continue;
        int32_t c = p->ucouncil[u0];
        int32_t grp = soft >= 0 ? in->groupings[soft].member[p->members[p->mstart[u0]]] : 0;
        int32_t id = region_new(r, c);
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)u0;
        region_add(r, p, id, (uint32_t)u0);
        while (head < tail) {
            uint32_t u = queue[head++];
            if (grp < 0)
                break; /* a unit in no soft group seeds a region of its own */
            for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
                uint32_t v = p->adj[e];
                if (r->of[v] >= 0 || p->ucouncil[v] != c)
                    continue;
                if (soft >= 0 && in->groupings[soft].member[p->members[p->mstart[v]]] != grp)
                    continue;
                region_add(r, p, id, v);
                queue[tail++] = v;
            }
        }
    }
    return LOC_OK;
}

typedef struct wedge {
    double w;
    uint32_t a, b;
} wedge;

static int cmp_wedge(const void *x, const void *y)
{
    const wedge *a = x, *b = y;
    if (a->w != b->w)
        return a->w < b->w ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Dissimilarity of two units: squared distance of their feature means. */
static double dissim(const problem *p, uint32_t a, uint32_t b)
{
    double d = 0;
    const double *fa = p->uf + (size_t)a * p->nf * 3, *fb = p->uf + (size_t)b * p->nf * 3;
    for (size_t k = 0; k < p->nf; k++) {
        double ma = fa[3 * k] > 0 ? fa[3 * k + 1] / fa[3 * k] : 0;
        double mb = fb[3 * k] > 0 ? fb[3 * k + 1] / fb[3 * k] : 0;
        d += (ma - mb) * (ma - mb);
    }
    return d;
}

/* Scratch for splitting regions. */
typedef struct split_ws {
    uint32_t *list, *parent_uf, *tparent, *order, *tstart, *tadj, *local;
    double *sub;
    wedge *edges;
    size_t edges_cap;
} split_ws;

/*
 * Split region id in two by cutting one edge of a minimum spanning tree of
 * its units (weights: feature dissimilarity), so both parts are connected.
 * The cut leaves the fewest parts needed, keeps both parts above the floor
 * where it can, and among such cuts takes the most dissimilar edge.
 * Returns the new region's id, or -1 when the region cannot be split.
 */
static int32_t split_region(loc_ctx *ctx, const problem *p, regions *r, int32_t id, split_ws *ws, loc_status *st)
{
    size_t m = 0;
    for (uint32_t u = r->head[id]; u != UINT32_MAX; u = r->next[u]) {
        ws->local[u] = (uint32_t)m;
        ws->list[m++] = u;
    }
    if (m < 2)
        return -1;
    /* internal edges, once each */
    size_t ne = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t u = ws->list[i];
        for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
            uint32_t v = p->adj[e];
            if (r->of[v] != id || v < u)
                continue;
            if (ne == ws->edges_cap && loc_grow(ctx, (void **)&ws->edges, &ws->edges_cap, ne + 1, sizeof *ws->edges)) {
                *st = LOC_ENOMEM;
                return -1;
            }
            ws->edges[ne++] = (wedge){dissim(p, u, v), ws->local[u], ws->local[v]};
        }
    }
    qsort(ws->edges, ne, sizeof *ws->edges, cmp_wedge);
    for (size_t i = 0; i < m; i++)
        ws->parent_uf[i] = (uint32_t)i;
    /* Kruskal: tree edges kept at the front of ws->edges */
    size_t nt = 0;
    for (size_t k = 0; k < ne; k++) {
        uint32_t a = uf_find(ws->parent_uf, ws->edges[k].a), b = uf_find(ws->parent_uf, ws->edges[k].b);
        if (a == b)
            continue;
        ws->parent_uf[a] = b;
        ws->edges[nt++] = ws->edges[k];
    }
    if (nt + 1 != m)
        return -1; /* not connected: should not happen for a region */
    /* tree adjacency (CSR over local ids) */
    memset(ws->tstart, 0, (m + 1) * sizeof *ws->tstart);
    for (size_t k = 0; k < nt; k++) {
        ws->tstart[ws->edges[k].a + 1]++;
        ws->tstart[ws->edges[k].b + 1]++;
    }
    for (size_t i = 0; i < m; i++)
        ws->tstart[i + 1] += ws->tstart[i];
    for (size_t i = 0; i < m; i++)
        ws->order[i] = ws->tstart[i]; /* fill positions */
    for (size_t k = 0; k < nt; k++) {
        ws->tadj[ws->order[ws->edges[k].a]++] = ws->edges[k].b;
        ws->tadj[ws->order[ws->edges[k].b]++] = ws->edges[k].a;
    }
    /* BFS order from local 0, subtree populations bottom-up */
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < m; i++)
        ws->tparent[i] = UINT32_MAX;
    ws->order[tail++] = 0;
    ws->tparent[0] = 0;
    while (head < tail) {
        uint32_t v = ws->order[head++];
        for (size_t k = ws->tstart[v]; k < ws->tstart[v + 1]; k++) {
            uint32_t w = ws->tadj[k];
            if (ws->tparent[w] == UINT32_MAX) {
                ws->tparent[w] = v;
                ws->order[tail++] = w;
            }
        }
    }
    for (size_t i = 0; i < m; i++)
        ws->sub[i] = p->upop[ws->list[i]];
    for (size_t i = m; i-- > 1;) {
        uint32_t v = ws->order[i];
        ws->sub[ws->tparent[v]] += ws->sub[v];
    }
    double P = r->pop[id], mx = p->o.max_pop, mn = p->o.min_pop;
    double need = ceil(P / mx);
    /* best cut: among cuts that need no extra part, prefer both sides
     * above the floor, then the most dissimilar edge among cuts at least
     * half as balanced as the most balanced one (so that repeated splits
     * halve the region and the whole stays O(n log n)); fall back to the
     * most balanced cut */
    long best = -1, balanced = -1;
    double best_bal = -1, feas_bal[2] = {-1, -1};
    for (size_t i = 1; i < m; i++) {
        uint32_t v = ws->order[i];
        double s = ws->sub[v], rest = P - s, bal = fmin(s, rest) / P;
        if (bal > best_bal) {
            best_bal = bal;
            balanced = (long)v;
        }
        if (ceil(s / mx) + ceil(rest / mx) > need && need >= 1)
            continue;
        int floor_ok = s >= mn && rest >= mn;
        if (bal > feas_bal[floor_ok])
            feas_bal[floor_ok] = bal;
    }
    int want_floor = feas_bal[1] >= 0;
    double thresh = 0.5 * feas_bal[want_floor], best_w = -1;
    for (size_t i = 1; i < m && feas_bal[want_floor] >= 0; i++) {
        uint32_t v = ws->order[i];
        double s = ws->sub[v], rest = P - s, bal = fmin(s, rest) / P;
        if (ceil(s / mx) + ceil(rest / mx) > need && need >= 1)
            continue;
        if ((s >= mn && rest >= mn) != want_floor || bal < thresh)
            continue;
        double w = dissim(p, ws->list[v], ws->list[ws->tparent[v]]);
        if (w > best_w) {
            best_w = w;
            best = (long)v;
        }
    }
    if (best < 0)
        best = balanced;
    if (best < 0)
        return -1;
    /* the subtree of best becomes the new region: mark it by walking the
     * BFS order (a node is in the subtree when its parent is) */
    uint32_t root = (uint32_t)best;
    for (size_t i = 0; i < m; i++)
        ws->parent_uf[i] = 0; /* reuse: 1 = in the subtree */
    ws->parent_uf[root] = 1;
    for (size_t i = 1; i < m; i++) {
        uint32_t v = ws->order[i];
        if (v != root && ws->parent_uf[ws->tparent[v]])
            ws->parent_uf[v] = 1;
    }
    int32_t nid = region_new(r, r->council[id]);
    /* rebuild both regions' lists and sums */
    r->head[id] = r->tail[id] = UINT32_MAX;
    r->size[id] = 0;
    r->pop[id] = 0;
    memset(r->f + (size_t)id * p->nf * 3, 0, p->nf * 3 * sizeof *r->f);
    for (size_t i = 0; i < m; i++)
        region_add(r, p, ws->parent_uf[i] ? nid : id, ws->list[i]);
    return nid;
}

/* Split every region above the ceiling until none is (a single unit above
 * it cannot be split). */
static loc_status split_oversized(loc_ctx *ctx, const problem *p, regions *r)
{
    split_ws ws = {0};
    size_t m = p->nu ? p->nu : 1;
    loc_status st = LOC_ENOMEM;
    if (!(ws.list = loc_malloc(ctx, m * sizeof *ws.list)) || !(ws.parent_uf = loc_malloc(ctx, m * sizeof *ws.parent_uf)) ||
        !(ws.tparent = loc_malloc(ctx, m * sizeof *ws.tparent)) || !(ws.order = loc_malloc(ctx, m * sizeof *ws.order)) ||
        !(ws.tstart = loc_malloc(ctx, (m + 1) * sizeof *ws.tstart)) ||
        !(ws.tadj = loc_malloc(ctx, 2 * m * sizeof *ws.tadj)) || !(ws.local = loc_malloc(ctx, m * sizeof *ws.local)) ||
        !(ws.sub = loc_malloc(ctx, m * sizeof *ws.sub)))
        goto done;
    st = LOC_OK;
    for (size_t id = 0; id < r->nr; id++) {
        /* a region can be split more than once: loop on it until it fits */
        while (r->pop[id] > p->o.max_pop && r->size[id] > 1) {
            if (split_region(ctx, p, r, (int32_t)id, &ws, &st) < 0)
                break;
        }
        if (st)
            break;
    }
done:
    loc_free(ctx, ws.list);
    loc_free(ctx, ws.parent_uf);
    loc_free(ctx, ws.tparent);
    loc_free(ctx, ws.order);
    loc_free(ctx, ws.tstart);
    loc_free(ctx, ws.tadj);
    loc_free(ctx, ws.local);
    loc_free(ctx, ws.sub);
    loc_free(ctx, ws.edges);
    return st;
}

/* Heap of regions by population (smallest first), lazily invalidated. */
typedef struct heap_item {
    double pop;
    int32_t id;
} heap_item;

static int heap_less(const heap_item *a, const heap_item *b)
{
    return a->pop < b->pop || (a->pop == b->pop && a->id < b->id);
}

static void heap_push(heap_item *h, size_t *n, heap_item x)
{
    size_t i = (*n)++;
    while (i && heap_less(&x, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static heap_item heap_pop(heap_item *h, size_t *n)
{
    heap_item top = h[0], x = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && heap_less(&h[c + 1], &h[c]))
            c++;
        if (!heap_less(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = x;
    return top;
}

/* Merge regions below the floor, smallest first, each into the
 * neighbouring region of its council that raises the objective least
 * without passing the ceiling. */
static loc_status merge_undersized(loc_ctx *ctx, const problem *p, regions *r)
{
    if (p->o.min_pop <= 0)
        return LOC_OK;
    size_t nf3 = p->nf * 3, cap = r->nr + 1, nh = 0;
    heap_item *h = loc_malloc(ctx, 2 * cap * sizeof *h + sizeof *h);
    double *shared = loc_calloc(ctx, cap, sizeof *shared);
    int32_t *nbrs = loc_malloc(ctx, cap * sizeof *nbrs);
    uint32_t *gmark = NULL;
    double *tmp = loc_malloc(ctx, (nf3 ? nf3 : 1) * sizeof *tmp);
    size_t total_groups = 0;
    const loc_build_input *in = p->in;
    for (size_t g = 0; g < in->ngroupings; g++)
        total_groups += in->groupings[g].hard ? 0 : in->groupings[g].ngroups;
    size_t *goff = loc_calloc(ctx, in->ngroupings + 1, sizeof *goff);
    loc_status st = LOC_ENOMEM;
    if (!h || !shared || !nbrs || !tmp || !goff || !(gmark = loc_calloc(ctx, total_groups + 1, sizeof *gmark)))
        goto done;
    for (size_t g = 0, o = 0; g < in->ngroupings; g++) {
        goff[g] = o;
        o += in->groupings[g].hard ? 0 : in->groupings[g].ngroups;
    }
    for (size_t id = 0; id < r->nr; id++)
        if (r->alive[id] && r->pop[id] < p->o.min_pop)
            heap_push(h, &nh, (heap_item){r->pop[id], (int32_t)id});
    uint32_t gstamp = 0;
    while (nh) {
        heap_item it = heap_pop(h, &nh);
        int32_t a = it.id;
        if (!r->alive[a] || r->pop[a] != it.pop || r->pop[a] >= p->o.min_pop)
            continue;
        /* neighbouring regions and the boundary shared with each */
        size_t nn = 0;
        for (uint32_t u = r->head[a]; u != UINT32_MAX; u = r->next[u])
            for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
                int32_t b = r->of[p->adj[e]];
                if (b == a || r->council[b] != r->council[a])
                    continue;
                if (shared[b] == 0) {
                    nbrs[nn++] = b;
                    shared[b] = 1e-300; /* present, even with a zero-length island link */
                }
                shared[b] += p->alen[e];
            }
        /* soft groups present in a */
        if (++gstamp == 0) {
            memset(gmark, 0, (total_groups + 1) * sizeof *gmark);
            gstamp = 1;
        }
        for (uint32_t u = r->head[a]; u != UINT32_MAX; u = r->next[u])
            for (size_t k = p->sstart[u]; k < p->sstart[u + 1]; k++)
                gmark[goff[p->skey[k] >> 32] + (uint32_t)p->skey[k]] = gstamp;
        double ha = bld_loc_het(p, r->f + (size_t)a * nf3), best = INFINITY;
        int32_t bestb = -1;
        for (size_t k = 0; k < nn; k++) {
            int32_t b = nbrs[k];
            if (r->pop[a] + r->pop[b] > p->o.max_pop)
                continue;
            const double *fb = r->f + (size_t)b * nf3;
            for (size_t q = 0; q < nf3; q++)
                tmp[q] = r->f[(size_t)a * nf3 + q] + fb[q];
            double dh = bld_loc_het(p, tmp) - ha - bld_loc_het(p, fb);
            double common = 0;
            for (uint32_t u = r->head[b]; u != UINT32_MAX; u = r->next[u])
                for (size_t q = p->sstart[u]; q < p->sstart[u + 1]; q++) {
                    size_t gi = goff[p->skey[q] >> 32] + (uint32_t)p->skey[q];
                    if (gmark[gi] == gstamp) {
                        gmark[gi] = gstamp - 1 ? gstamp - 1 : UINT32_MAX; /* count each group once */
                        common += 1;
                    }
                }
            /* restore the marks taken by this neighbour */
            for (uint32_t u = r->head[a]; u != UINT32_MAX; u = r->next[u])
                for (size_t q = p->sstart[u]; q < p->sstart[u + 1]; q++)
                    gmark[goff[p->skey[q] >> 32] + (uint32_t)p->skey[q]] = gstamp;
            double cost = p->kh * dh - p->kc * shared[b] - p->ks * common;
            if (cost < best || (cost == best && b < bestb)) {
                best = cost;
                bestb = b;
            }
        }
        for (size_t k = 0; k < nn; k++)
            shared[nbrs[k]] = 0;
        if (bestb < 0)
            continue; /* stays below the floor: reported later */
        /* merge a into bestb */
        int32_t b = bestb;
        for (uint32_t u = r->head[a]; u != UINT32_MAX; u = r->next[u])
            r->of[u] = b;
        r->next[r->tail[b]] = r->head[a];
        r->tail[b] = r->tail[a];
        r->size[b] += r->size[a];
        r->pop[b] += r->pop[a];
        for (size_t q = 0; q < nf3; q++)
            r->f[(size_t)b * nf3 + q] += r->f[(size_t)a * nf3 + q];
        r->alive[a] = 0;
        if (r->pop[b] < p->o.min_pop)
            heap_push(h, &nh, (heap_item){r->pop[b], b});
    }
    st = LOC_OK;
done:
    loc_free(ctx, h);
    loc_free(ctx, shared);
    loc_free(ctx, nbrs);
    loc_free(ctx, gmark);
    loc_free(ctx, tmp);
    loc_free(ctx, goff);
    return st;
}

/* Construction: unit labels in 0..nloc-1. */
loc_status bld_construct(const problem *p, int32_t *ulab, size_t *nloc)
{
    loc_ctx *ctx = p->ctx;
    regions r;
    uint32_t *queue = NULL;
    int32_t *newid = NULL;
    loc_status st = regions_alloc(ctx, &r, p->nu * 2 + 1, p->nf);
    if (st)
        goto done;
    st = LOC_ENOMEM;
    if (!(queue = loc_malloc(ctx, (p->nu ? p->nu : 1) * sizeof *queue)) ||
        !(newid = loc_malloc(ctx, (p->nu * 2 + 1) * sizeof *newid)))
        goto done;
    if ((st = seed_regions(p, &r, queue)) || (st = split_oversized(ctx, p, &r)) || (st = merge_undersized(ctx, p, &r)))
        goto done;
    size_t k = 0;
    for (size_t id = 0; id < r.nr; id++)
        newid[id] = r.alive[id] ? (int32_t)k++ : -1;
    for (size_t u = 0; u < p->nu; u++)
        ulab[u] = newid[r.of[u]];
    *nloc = k;
done:
    regions_free(ctx, &r);
    loc_free(ctx, queue);
    loc_free(ctx, newid);
    return st;
}

