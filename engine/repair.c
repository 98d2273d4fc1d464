/*
 * Repair of given localities (`build --from`): council, contiguity and
 * ceiling, in that order, each touching only the localities that break
 * it.
 *
 * Everything works on graph nodes with a group id per node.  Groups start
 * as (given locality, council) pairs; connected components inside each
 * group (by the graph's edges, island links included) find detached
 * parts; the part with most residents keeps the group, the others join
 * the neighbouring group sharing most boundary with them.  Only then are
 * groups over the ceiling cut, along a maximum spanning tree of their
 * internal edges weighted by shared boundary length: cutting one tree
 * edge leaves two connected parts, and a tree that prefers long shared
 * boundaries puts the cuts where zones touch least.  Each cut halves by
 * population toward ceil(pop / ceiling) parts, so parts come out about
 * equal.  Work is O(edges log edges) for the whole country; no step looks
 * at a locality that keeps the rules.
 */
#include "localities/repair.h"

#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct edge {
    uint32_t a, b;
    double len;
} edge;

static int edge_cmp(const void *pa, const void *pb)
{
    const edge *x = pa, *y = pb;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* Sort key: (given locality, council, node). */
typedef struct nkey {
    int32_t loc, council;
    uint32_t node;
} nkey;

static int nkey_cmp(const void *pa, const void *pb)
{
    const nkey *x = pa, *y = pb;
    if (x->loc != y->loc)
        return x->loc < y->loc ? -1 : 1;
    if (x->council != y->council)
        return x->council < y->council ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

loc_partition *loc_partition_repair(loc_ctx *ctx, const loc_partition *given, const loc_graph *g,
                                    const uint32_t *rows, double max_pop, loc_repair_stats *stats)
{
    if (!(max_pop > 0)) {
        loc_error(ctx, LOC_EINVAL, "repair: the ceiling must be above zero");
        return NULL;
    }
    const loc_zones *z = loc_partition_zones(given);
    const int32_t *lab0 = loc_partition_labels(given);
    const int32_t *zc = loc_zones_councils(z);
    const double *zpop = loc_zones_population(z);
    size_t n = loc_graph_count(g), nz = loc_zones_count(z), ngiven = loc_partition_count(given);
    const size_t *off = loc_graph_offsets(g);
    const uint32_t *adj = loc_graph_adjacency(g);
    const double *len = loc_graph_lengths(g);
    nkey *keys = loc_malloc(ctx, (n ? n : 1) * sizeof *keys);
    int32_t *grp = loc_malloc(ctx, (n ? n : 1) * sizeof *grp);      /* group of each node, -1 none */
    int32_t *comp = loc_malloc(ctx, (n ? n : 1) * sizeof *comp);    /* component of each node */
    uint32_t *stack = loc_malloc(ctx, (n ? n : 1) * sizeof *stack);
    double *pop = loc_malloc(ctx, (n ? n : 1) * sizeof *pop);
    int32_t *label = loc_malloc(ctx, (nz ? nz : 1) * sizeof *label);
    /* per group (at most n): origin locality, council, residents, main component */
    int32_t *g_loc = loc_malloc(ctx, (n ? n : 1) * sizeof *g_loc);
    int32_t *g_council = loc_malloc(ctx, (n ? n : 1) * sizeof *g_council);
    double *g_pop = loc_calloc(ctx, n ? n : 1, sizeof *g_pop);
    int32_t *g_main = loc_malloc(ctx, (n ? n : 1) * sizeof *g_main);
    double *c_pop = loc_calloc(ctx, n ? n : 1, sizeof *c_pop);
    int32_t *c_grp = loc_malloc(ctx, (n ? n : 1) * sizeof *c_grp);
    uint32_t *uf = loc_malloc(ctx, (n ? n : 1) * sizeof *uf);
    int32_t *part = loc_malloc(ctx, (n ? n : 1) * sizeof *part);
    edge *edges = NULL;
    size_t cap_edges = 0;
    char **codes = NULL;
    const char **names = NULL;
    size_t nparts = 0, cap_parts = 0;
    int32_t *p_grp = NULL;
    loc_arena *arena = loc_arena_create(ctx);
    loc_partition *out = NULL;
    loc_repair_stats s;
    memset(&s, 0, sizeof s);
    s.given = ngiven;
    if (!keys || !grp || !comp || !stack || !pop || !label || !g_loc || !g_council || !g_pop || !g_main || !c_pop ||
        !c_grp || !uf || !part || !arena)
        goto done;
    for (size_t i = 0; i < n; i++) {
        int32_t l = lab0[rows[i]];
        keys[i] = (nkey){l, zc ? zc[rows[i]] : 0, (uint32_t)i};
        pop[i] = isnan(zpop[rows[i]]) ? 0 : zpop[rows[i]];
        grp[i] = -1;
        comp[i] = -1;
    }
    qsort(keys, n, sizeof *keys, nkey_cmp);
    /* 1. groups: (given locality, council) */
    size_t ngrp = 0;
    for (size_t k = 0; k < n; k++) {
        if (keys[k].loc < 0)
            continue;
        if (k == 0 || keys[k].loc != keys[k - 1].loc || keys[k].council != keys[k - 1].council || ngrp == 0) {
            g_loc[ngrp] = keys[k].loc;
            g_council[ngrp] = keys[k].council;
            ngrp++;
        }
        grp[keys[k].node] = (int32_t)(ngrp - 1);
        g_pop[ngrp - 1] += pop[keys[k].node];
    }
    /* 2. components inside each group */
    size_t ncomp = 0;
    for (size_t i = 0; i < n; i++) {
        if (grp[i] < 0 || comp[i] >= 0)
            continue;
        size_t top = 0;
        stack[top++] = (uint32_t)i;
        comp[i] = (int32_t)ncomp;
        c_grp[ncomp] = grp[i];
        while (top) {
            uint32_t u = stack[--top];
            c_pop[ncomp] += pop[u];
            for (size_t e = off[u]; e < off[u + 1]; e++) {
                uint32_t v = adj[e];
                if (grp[v] == grp[u] && comp[v] < 0) {
                    comp[v] = (int32_t)ncomp;
                    stack[top++] = v;
                }
            }
        }
        ncomp++;
    }
    for (size_t q = 0; q < ngrp; q++)
        g_main[q] = -1;
    for (size_t c = 0; c < ncomp; c++) {
        int32_t q = c_grp[c];
        if (g_main[q] < 0 || c_pop[c] > c_pop[g_main[q]]) /* ties: the first found (lowest node) */
            g_main[q] = (int32_t)c;
    }
    /* which given localities broke which rule */
    uint8_t *broke = loc_calloc(ctx, ngiven ? ngiven : 1, 2);
    if (!broke)
        goto done;
    for (size_t q = 1; q < ngrp; q++)
        if (g_loc[q] == g_loc[q - 1])
            broke[2 * (size_t)g_loc[q]] = 1; /* in two councils */
    /* detached parts: join the neighbouring group (same council, its main
     * component) sharing most boundary; island links count a little */
    int32_t *c_to = loc_malloc(ctx, (ncomp ? ncomp : 1) * sizeof *c_to);
    if (!c_to) {
        loc_free(ctx, broke);
        goto done;
    }
    for (size_t c = 0; c < ncomp; c++)
        c_to[c] = c_grp[c];
    for (size_t c = 0; c < ncomp; c++) {
        int32_t q = c_grp[c];
        if (g_main[q] == (int32_t)c)
            continue;
        broke[2 * (size_t)g_loc[q] + 1] = 1;
        /* neighbours of the component's nodes: a linear scan of its
         * nodes (components are small; found again through comp[]) */
        int32_t best = -1;
        double best_len = 0;
        /* accumulate per neighbour group in a small list */
        enum { MAXN = 64 };
        int32_t ng[MAXN];
        double nl[MAXN];
        size_t nn = 0;
        size_t top = 0;
        for (size_t i = 0; i < n; i++)
            if (comp[i] == (int32_t)c)
                stack[top++] = (uint32_t)i;
        for (size_t t = 0; t < top; t++) {
            uint32_t u = stack[t];
            for (size_t e = off[u]; e < off[u + 1]; e++) {
                uint32_t v = adj[e];
                if (grp[v] < 0 || grp[v] == q || comp[v] != g_main[grp[v]] || g_council[grp[v]] != g_council[q])
                    continue;
                double w = len[e] > 0 ? len[e] : 1e-6;
                size_t a = 0;
                while (a < nn && ng[a] != grp[v])
                    a++;
                if (a == nn && nn < MAXN) {
                    ng[nn] = grp[v];
                    nl[nn++] = 0;
                }
                if (a < nn)
                    nl[a] += w;
            }
        }
        for (size_t a = 0; a < nn; a++)
            if (nl[a] > best_len || (nl[a] == best_len && best >= 0 && ng[a] < best)) {
                best = ng[a];
                best_len = nl[a];
            }
        if (best >= 0) {
            c_to[c] = best;
            s.parts_merged++;
            for (size_t t = 0; t < top; t++) {
                s.zones_moved++;
                s.pop_moved += pop[stack[t]];
            }
        } else {
            c_to[c] = -2 - (int32_t)c; /* a locality of its own */
        }
    }
    /* 3. parts: one per group (main components and parts joined to it)
     * and one per detached part standing alone; then cut those over the
     * ceiling. part[i] is the node's part. */
    int32_t *g_part = loc_malloc(ctx, (ngrp ? ngrp : 1) * sizeof *g_part);
    int32_t *c_part = loc_malloc(ctx, (ncomp ? ncomp : 1) * sizeof *c_part);
    if (!g_part || !c_part) {
        loc_free(ctx, g_part);
        loc_free(ctx, c_part);
        loc_free(ctx, c_to);
        loc_free(ctx, broke);
        goto done;
    }
    for (size_t q = 0; q < ngrp; q++)
        g_part[q] = -1;
    for (size_t c = 0; c < ncomp; c++)
        c_part[c] = -1;
    int fail = 0;
#define NEW_PART(grpid)                                                                                                \
    do {                                                                                                               \
        if (loc_grow(ctx, (void **)&p_grp, &cap_parts, nparts + 1, sizeof *p_grp)) {                                  \
            fail = 1;                                                                                                  \
            break;                                                                                                     \
        }                                                                                                              \
        p_grp[nparts++] = (grpid);                                                                                     \
    } while (0)
    for (size_t i = 0; i < n && !fail; i++) {
        part[i] = -1;
        if (grp[i] < 0)
            continue;
        int32_t c = comp[i], to = c_to[c];
        if (to >= 0) {
            if (g_part[to] < 0) {
                NEW_PART(to);
                g_part[to] = (int32_t)nparts - 1;
            }
            part[i] = g_part[to];
        } else {
            if (c_part[c] < 0) {
                NEW_PART(c_grp[c]);
                c_part[c] = (int32_t)nparts - 1;
            }
            part[i] = c_part[c];
        }
    }
    loc_free(ctx, g_part);
    loc_free(ctx, c_part);
    loc_free(ctx, c_to);
    if (fail) {
        loc_free(ctx, broke);
        goto done;
    }
    /* cut parts over the ceiling: spanning tree of each part's edges */
    size_t nbase = nparts;
    double *p_pop = NULL;
    size_t cap_ppop = 0;
    if (loc_grow(ctx, (void **)&p_pop, &cap_ppop, nparts + 1, sizeof *p_pop)) {
        loc_free(ctx, broke);
        goto done;
    }
    memset(p_pop, 0, nparts * sizeof *p_pop);
    for (size_t i = 0; i < n; i++)
        if (part[i] >= 0)
            p_pop[part[i]] += pop[i];
    /* tree adjacency for all parts at once: Kruskal over every edge
     * inside a part, longest shared boundary first */
    size_t ne = 0;
    for (size_t u = 0; u < n; u++)
        for (size_t e = off[u]; e < off[u + 1]; e++) {
            uint32_t v = adj[e];
            if (u < v && part[u] >= 0 && part[u] == part[v] && p_pop[part[u]] > max_pop) {
                if (loc_grow(ctx, (void **)&edges, &cap_edges, ne + 1, sizeof *edges)) {
                    loc_free(ctx, p_pop);
                    loc_free(ctx, broke);
                    goto done;
                }
                edges[ne++] = (edge){(uint32_t)u, v, len[e]};
            }
        }
    if (ne)
        qsort(edges, ne, sizeof *edges, edge_cmp);
    for (size_t i = 0; i < n; i++)
        uf[i] = (uint32_t)i;
    size_t nt = 0;
    for (size_t k = 0; k < ne; k++) {
        uint32_t ra = uf_find(uf, edges[k].a), rb = uf_find(uf, edges[k].b);
        if (ra == rb)
            continue;
        uf[ra] = rb;
        edges[nt++] = edges[k];
    }
    /* tree adjacency in compressed rows */
    size_t *toff = loc_calloc(ctx, n + 1, sizeof *toff);
    uint32_t *tadj = loc_malloc(ctx, (2 * nt + 1) * sizeof *tadj);
    uint8_t *tcut = loc_calloc(ctx, 2 * nt + 1, 1);
    uint32_t *order = loc_malloc(ctx, (n ? n : 1) * sizeof *order);
    int32_t *parent = loc_malloc(ctx, (n ? n : 1) * sizeof *parent);
    size_t *pedge = loc_malloc(ctx, (n ? n : 1) * sizeof *pedge);
    double *sub = loc_malloc(ctx, (n ? n : 1) * sizeof *sub);
    uint32_t *queue = NULL;
    size_t cap_queue = 0, nqueue = 0;
    if (!toff || !tadj || !tcut || !order || !parent || !pedge || !sub) {
        fail = 1;
        goto cut_done;
    }
    for (size_t k = 0; k < nt; k++) {
        toff[edges[k].a + 1]++;
        toff[edges[k].b + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        toff[i + 1] += toff[i];
    {
        size_t *fill = loc_malloc(ctx, (n ? n : 1) * sizeof *fill);
        if (!fill) {
            fail = 1;
            goto cut_done;
        }
        memcpy(fill, toff, n * sizeof *fill);
        for (size_t k = 0; k < nt; k++) {
            tadj[fill[edges[k].a]++] = edges[k].b;
            tadj[fill[edges[k].b]++] = edges[k].a;
        }
        loc_free(ctx, fill);
    }
    /* a queue of parts to cut, each by its lowest node (the root) */
    for (size_t p = 0; p < nparts; p++)
        if (p_pop[p] > max_pop) {
            for (size_t i = 0; i < n; i++)
                if (part[i] == (int32_t)p) {
                    if (loc_grow(ctx, (void **)&queue, &cap_queue, nqueue + 1, sizeof *queue)) {
                        fail = 1;
                        goto cut_done;
                    }
                    queue[nqueue++] = (uint32_t)i;
                    break;
                }
        }
    for (size_t qi = 0; qi < nqueue; qi++) {
        uint32_t root = queue[qi];
        int32_t p = part[root];
        /* walk the part's tree from its root (uncut tree edges only) */
        size_t no = 0;
        order[no++] = root;
        parent[root] = -1;
        for (size_t t = 0; t < no; t++) {
            uint32_t u = order[t];
            for (size_t e = toff[u]; e < toff[u + 1]; e++) {
                uint32_t v = tadj[e];
                if (tcut[e] || part[v] != p || (parent[u] >= 0 && v == (uint32_t)parent[u]))
                    continue;
                parent[v] = (int32_t)u;
                pedge[v] = e;
                order[no++] = v;
            }
        }
        if (no < 2)
            continue; /* one zone over the ceiling: its own locality, as the guidance allows */
        for (size_t t = no; t-- > 0;) {
            uint32_t u = order[t];
            sub[u] = pop[u];
            for (size_t e = toff[u]; e < toff[u + 1]; e++) {
                uint32_t v = tadj[e];
                if (!tcut[e] && part[v] == p && parent[v] == (int32_t)u)
                    sub[u] += sub[v];
            }
        }
        double total = sub[root];
        double k = ceil(total / max_pop), target = total * floor(k / 2) / k;
        uint32_t bestv = 0;
        double bestc = INFINITY;
        for (size_t t = 1; t < no; t++) {
            uint32_t v = order[t];
            double c = fmin(fabs(sub[v] - target), fabs(total - sub[v] - target));
            if (c < bestc || (c == bestc && v < bestv)) {
                bestc = c;
                bestv = v;
            }
        }
        /* cut bestv from its parent: both directions of the tree edge */
        uint32_t pu = (uint32_t)parent[bestv];
        tcut[pedge[bestv]] = 1;
        for (size_t e = toff[bestv]; e < toff[bestv + 1]; e++)
            if (tadj[e] == pu)
                tcut[e] = 1;
        if (loc_grow(ctx, (void **)&p_grp, &cap_parts, nparts + 1, sizeof *p_grp) ||
            loc_grow(ctx, (void **)&p_pop, &cap_ppop, nparts + 1, sizeof *p_pop)) {
            fail = 1;
            goto cut_done;
        }
        int32_t np = (int32_t)nparts++;
        p_grp[np] = p_grp[p];
        /* the subtree of bestv becomes part np */
        size_t top = 0;
        stack[top++] = bestv;
        p_pop[np] = 0;
        uint32_t newroot = bestv;
        while (top) {
            uint32_t u = stack[--top];
            part[u] = np;
            p_pop[np] += pop[u];
            if (u < newroot)
                newroot = u;
            for (size_t e = toff[u]; e < toff[u + 1]; e++)
                if (!tcut[e] && part[tadj[e]] == p)
                    stack[top++] = tadj[e];
        }
        p_pop[p] -= p_pop[np];
        uint32_t oldroot = root; /* still the lowest of part p?  it stays in p (never in the cut subtree) */
        if (loc_grow(ctx, (void **)&queue, &cap_queue, nqueue + 2, sizeof *queue)) {
            fail = 1;
            goto cut_done;
        }
        if (p_pop[p] > max_pop)
            queue[nqueue++] = oldroot;
        if (p_pop[np] > max_pop)
            queue[nqueue++] = newroot;
    }
cut_done:
    loc_free(ctx, toff);
    loc_free(ctx, tadj);
    loc_free(ctx, tcut);
    loc_free(ctx, order);
    loc_free(ctx, parent);
    loc_free(ctx, pedge);
    loc_free(ctx, sub);
    loc_free(ctx, queue);
    if (fail) {
        loc_free(ctx, p_pop);
        loc_free(ctx, broke);
        goto done;
    }
    for (size_t p = nbase; p < nparts; p++)
        broke[2 * (size_t)g_loc[p_grp[p]]] |= 2; /* over the ceiling: cut */
    /* 4. codes: per given locality, its part with most residents keeps
     * the code (the main council's); the others are numbered in part order */
    if (!(codes = loc_calloc(ctx, nparts ? nparts : 1, sizeof *codes)) ||
        !(names = loc_calloc(ctx, nparts ? nparts : 1, sizeof *names))) {
        loc_free(ctx, p_pop);
        loc_free(ctx, broke);
        goto done;
    }
    {
        int32_t *keep = loc_malloc(ctx, (ngiven ? ngiven : 1) * sizeof *keep);
        int32_t *num = loc_calloc(ctx, ngiven ? ngiven : 1, sizeof *num);
        if (!keep || !num) {
            loc_free(ctx, keep);
            loc_free(ctx, num);
            loc_free(ctx, p_pop);
            loc_free(ctx, broke);
            goto done;
        }
        for (size_t l = 0; l < ngiven; l++)
            keep[l] = -1;
        for (size_t p = 0; p < nparts; p++) {
            int32_t l = g_loc[p_grp[p]];
            if (keep[l] < 0 || p_pop[p] > p_pop[keep[l]])
                keep[l] = (int32_t)p;
        }
        for (size_t p = 0; p < nparts && !fail; p++) {
            int32_t l = g_loc[p_grp[p]];
            const char *lc = loc_partition_code(given, (size_t)l), *ln = loc_partition_name(given, (size_t)l);
            char buf[512], nbuf[512];
            if (keep[l] == (int32_t)p) {
                snprintf(buf, sizeof buf, "%s", lc);
                snprintf(nbuf, sizeof nbuf, "%s", ln);
            } else {
                num[l]++;
                snprintf(buf, sizeof buf, "%s-%d", lc, num[l] + 1);
                snprintf(nbuf, sizeof nbuf, "%s%s(%d)", ln, ln[0] ? " " : "", num[l] + 1);
            }
            if (!(codes[p] = loc_arena_strdup(arena, buf)) || !(names[p] = loc_arena_strdup(arena, nbuf)))
                fail = 1;
        }
        loc_free(ctx, keep);
        loc_free(ctx, num);
    }
    if (fail) {
        loc_free(ctx, p_pop);
        loc_free(ctx, broke);
        goto done;
    }
    for (size_t i = 0; i < nz; i++)
        label[i] = -1;
    for (size_t i = 0; i < n; i++)
        if (part[i] >= 0)
            label[rows[i]] = part[i];
    out = loc_partition_create(ctx, z, label, nparts, (const char *const *)codes, names);
    if (out) {
        /* kept whole: no rule broken and nothing joined to it */
        uint8_t *gained = loc_calloc(ctx, ngiven ? ngiven : 1, 1);
        if (!gained) {
            loc_partition_destroy(out);
            out = NULL;
        } else {
            for (size_t i = 0; i < n; i++)
                if (part[i] >= 0 && g_loc[p_grp[part[i]]] != lab0[rows[i]])
                    gained[g_loc[p_grp[part[i]]]] = 1;
            for (size_t l = 0; l < ngiven; l++) {
                s.council_split += broke[2 * l] & 1;
                s.split += (broke[2 * l] & 2) != 0;
                s.discontiguous += broke[2 * l + 1] != 0;
            }
            for (size_t i = 0; i < n; i++) {
                int32_t l = lab0[rows[i]];
                if (l < 0)
                    continue;
                s.pop += pop[i];
                int whole = !broke[2 * (size_t)l] && !broke[2 * (size_t)l + 1] && !gained[l];
                if (whole)
                    s.pop_kept += pop[i];
                if (part[i] >= 0 && strcmp(loc_partition_code(out, (size_t)part[i]),
                                           loc_partition_code(given, (size_t)l)) == 0)
                    s.pop_same_code += pop[i];
            }
            for (size_t l = 0; l < ngiven; l++)
                s.kept += !broke[2 * l] && !broke[2 * l + 1] && !gained[l];
            s.out = nparts;
            loc_free(ctx, gained);
        }
    }
    loc_free(ctx, p_pop);
    loc_free(ctx, broke);
    if (out && stats)
        *stats = s;
done:
    loc_free(ctx, keys);
    loc_free(ctx, grp);
    loc_free(ctx, comp);
    loc_free(ctx, stack);
    loc_free(ctx, pop);
    loc_free(ctx, label);
    loc_free(ctx, g_loc);
    loc_free(ctx, g_council);
    loc_free(ctx, g_pop);
    loc_free(ctx, g_main);
    loc_free(ctx, c_pop);
    loc_free(ctx, c_grp);
    loc_free(ctx, uf);
    loc_free(ctx, part);
    loc_free(ctx, edges);
    loc_free(ctx, codes);
    loc_free(ctx, names);
    loc_free(ctx, p_grp);
    loc_arena_destroy(arena);
    return out;
}

loc_status loc_repair_write_changes_csv(loc_ctx *ctx, const loc_partition *given, const loc_partition *repaired,
                                        const char *path)
{
    const loc_zones *z = loc_partition_zones(given);
    if (loc_partition_zones(repaired) != z)
        return loc_error(ctx, LOC_EINVAL, "repair: the two partitions refer to different zone tables");
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    const int32_t *a = loc_partition_labels(given), *b = loc_partition_labels(repaired);
    const double *pop = loc_zones_population(z);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *rows = loc_zones_study_by_code(z);
    if (fputs("zone_code,given_locality_code,locality_code,population\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t k = 0; k < ns && !st; k++) {
        uint32_t i = rows[k];
        const char *ca = a[i] >= 0 ? loc_partition_code(given, (size_t)a[i]) : "";
        const char *cb = b[i] >= 0 ? loc_partition_code(repaired, (size_t)b[i]) : "";
        if (strcmp(ca, cb) == 0)
            continue;
        char num[64] = "";
        if (!isnan(pop[i]))
            snprintf(num, sizeof num, "%.0f", pop[i]);
        if (loc_put_csv_field(af.f, loc_zones_code(z, i)) == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, ca) == EOF || fputc(',', af.f) == EOF || loc_put_csv_field(af.f, cb) == EOF ||
            loc_fprintf(af.f, ",%s\n", num) < 0)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}
