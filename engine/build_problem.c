/*
 * The builder's problem on units (see builder.c's opening comment): the
 * caller's input checked, hard groups contracted into units, each unit's
 * population, feature sums, soft-group memberships and edges with their
 * summed shared length, and the objective's scale factors.  Councils'
 * sub-problems (builder.c) are set up the same way.
 */
#include "localities/builder.h"
#include "internal.h"
#include "build_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static csr csr_of_graph(const loc_graph *g)
{
    return (csr){loc_graph_offsets(g), loc_graph_adjacency(g), loc_graph_lengths(g), loc_graph_kinds(g)};
}


void bld_problem_free(problem *p)
{
    loc_ctx *ctx = p->ctx;
    loc_free(ctx, p->unit_of);
    loc_free(ctx, p->mstart);
    loc_free(ctx, p->members);
    loc_free(ctx, p->upop);
    loc_free(ctx, p->ucouncil);
    loc_free(ctx, p->uf);
    loc_free(ctx, p->astart);
    loc_free(ctx, p->adj);
    loc_free(ctx, p->alen);
    loc_free(ctx, p->ulen);
    loc_free(ctx, p->sstart);
    loc_free(ctx, p->skey);
    loc_free(ctx, p->scnt);
    loc_free(ctx, p->sgid);
    loc_free(ctx, p->gstart);
    memset(p, 0, sizeof *p);
}

const char *bld_node_name(const loc_build_input *in, size_t i, char *buf, size_t size)
{
    if (in->codes && in->codes[i])
        return in->codes[i];
    snprintf(buf, size, "#%zu", i);
    return buf;
}

static loc_status check_input(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o)
{
    if (!in || !in->graph || !in->pop || !in->council || (in->nfeat && !in->x))
        return loc_error(ctx, LOC_EINVAL, "build: missing graph, population, councils or features");
    if (loc_graph_count(in->graph) != in->n)
        return loc_error(ctx, LOC_EINVAL, "build: the graph has %zu zones, the input %zu", loc_graph_count(in->graph),
                         in->n);
    if (in->n > 0x3FFFFFFF)
        return loc_error(ctx, LOC_ELIMIT, "build: %zu zones is more than the builder accepts", in->n);
    if (in->ngroupings > LOC_BUILD_MAX_GROUPINGS)
        return loc_error(ctx, LOC_EINVAL, "build: at most %d groupings", LOC_BUILD_MAX_GROUPINGS);
    if (!(o->max_pop > 0) || !isfinite(o->max_pop) || !(o->min_pop >= 0) || o->min_pop > o->max_pop)
        return loc_error(ctx, LOC_EINVAL, "build: population bounds must satisfy 0 <= min (%g) <= max (%g)",
                         o->min_pop, o->max_pop);
    if (!(o->w_het >= 0) || !(o->w_compact >= 0) || !(o->w_soft >= 0) || !isfinite(o->w_het + o->w_compact + o->w_soft))
        return loc_error(ctx, LOC_EINVAL, "build: weights must be finite and not negative");
    if (o->starts < 0 || o->threads < 1 || o->max_passes < 0 || !(o->anneal_moves >= 0))
        return loc_error(ctx, LOC_EINVAL, "build: starts, passes and moves must not be negative, threads at least 1");
    char buf[32];
    for (size_t i = 0; i < in->n; i++) {
        if (in->council[i] < 0 || (in->area && in->area[i] < 0))
            return loc_error(ctx, LOC_EINVAL, "build: zone '%s' is in no council", bld_node_name(in, i, buf, sizeof buf));
        if (in->pop[i] < 0 || isinf(in->pop[i]))
            return loc_error(ctx, LOC_EINVAL, "build: zone '%s' has population %g", bld_node_name(in, i, buf, sizeof buf),
                             in->pop[i]);
    }
    for (size_t k = 0; k < in->ngroupings; k++)
        for (size_t i = 0; i < in->n; i++) {
            int32_t g = in->groupings[k].member[i];
            if (g < -1 || (g >= 0 && (size_t)g >= in->groupings[k].ngroups))
                return loc_error(ctx, LOC_EINVAL, "build: zone '%s' has group %ld in '%s' (%zu groups)",
                                 bld_node_name(in, i, buf, sizeof buf), (long)g,
                                 in->groupings[k].label ? in->groupings[k].label : "grouping", in->groupings[k].ngroups);
        }
    return LOC_OK;
}


int bld_cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Units: nodes sharing council and every hard group (a node in no hard
 * group of a grouping is a unit on its own for it).  Ids in order of the
 * smallest node. */
static loc_status make_units(problem *p)
{
    loc_ctx *ctx = p->ctx;
    const loc_build_input *in = p->in;
    size_t n = p->n;
    keyed *k = loc_malloc(ctx, (n ? n : 1) * sizeof *k);
    uint32_t *first = loc_malloc(ctx, (n ? n : 1) * sizeof *first);
    if (!k || !first || !(p->unit_of = loc_malloc(ctx, (n ? n : 1) * sizeof *p->unit_of))) {
        loc_free(ctx, k);
        loc_free(ctx, first);
        return LOC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        p->unit_of[i] = (uint32_t)in->council[i];
    for (size_t g = 0; g < in->ngroupings; g++) {
        if (!in->groupings[g].hard)
            continue;
        uint64_t span = (uint64_t)in->groupings[g].ngroups + n;
        for (size_t i = 0; i < n; i++) {
            int32_t m = in->groupings[g].member[i];
            uint64_t sub = m >= 0 ? (uint64_t)m : in->groupings[g].ngroups + i;
            k[i].key = (uint64_t)p->unit_of[i] * span + sub;
            k[i].node = (uint32_t)i;
        }
        qsort(k, n, sizeof *k, bld_cmp_keyed);
        uint32_t id = 0;
        for (size_t i = 0; i < n; i++) {
            if (i && k[i].key != k[i - 1].key)
                id++;
            p->unit_of[k[i].node] = id;
        }
    }
    /* renumber by smallest node: first[old id] = new id */
    size_t nu = 0;
    for (size_t i = 0; i < n; i++)
        first[i] = UINT32_MAX;
    int any_hard = 0;
    for (size_t g = 0; g < in->ngroupings; g++)
        any_hard |= in->groupings[g].hard;
    for (size_t i = 0; i < n; i++) {
        uint32_t old = any_hard ? p->unit_of[i] : (uint32_t)i;
        if (first[old] == UINT32_MAX)
            first[old] = (uint32_t)nu++;
        p->unit_of[i] = first[old];
    }
    loc_free(ctx, k);
    loc_free(ctx, first);
    p->nu = nu;
    if (!(p->mstart = loc_calloc(ctx, nu + 1, sizeof *p->mstart)) ||
        !(p->members = loc_malloc(ctx, (n ? n : 1) * sizeof *p->members)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < n; i++)
        p->mstart[p->unit_of[i] + 1]++;
    for (size_t u = 0; u < nu; u++)
        p->mstart[u + 1] += p->mstart[u];
    size_t *fill = loc_malloc(ctx, (nu ? nu : 1) * sizeof *fill);
    if (!fill)
        return LOC_ENOMEM;
    memcpy(fill, p->mstart, nu * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        p->members[fill[p->unit_of[i]]++] = (uint32_t)i;
    loc_free(ctx, fill);
    return LOC_OK;
}

/* Standardised features summed per unit. */
static loc_status make_features(problem *p)
{
    loc_ctx *ctx = p->ctx;
    const loc_build_input *in = p->in;
    size_t nf = p->nf, n = p->n;
    if (!(p->upop = loc_calloc(ctx, p->nu ? p->nu : 1, sizeof *p->upop)) ||
        !(p->ucouncil = loc_malloc(ctx, (p->nu ? p->nu : 1) * sizeof *p->ucouncil)) ||
        !(p->uf = loc_calloc(ctx, (p->nu ? p->nu : 1) * (nf ? nf : 1) * 3, sizeof *p->uf)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        double w = isnan(in->pop[i]) ? 0 : in->pop[i];
        p->upop[p->unit_of[i]] += w;
        p->ucouncil[p->unit_of[i]] = in->council[i];
    }
    p->htot = 0;
    for (size_t f = 0; f < nf; f++) {
        double sw = 0, sx = 0;
        for (size_t i = 0; i < n; i++) {
            double x = in->x[i * nf + f], w = isnan(in->pop[i]) ? 0 : in->pop[i];
            if (!isnan(x) && isfinite(x) && w > 0) {
                sw += w;
                sx += w * x;
            }
        }
        double mean = sw > 0 ? sx / sw : 0, ss = 0;
        for (size_t i = 0; i < n; i++) {
            double x = in->x[i * nf + f], w = isnan(in->pop[i]) ? 0 : in->pop[i];
            if (!isnan(x) && isfinite(x) && w > 0)
                ss += w * (x - mean) * (x - mean);
        }
        double sd = sw > 0 ? sqrt(ss / sw) : 0;
        for (size_t i = 0; i < n; i++) {
            double x = in->x[i * nf + f], w = isnan(in->pop[i]) ? 0 : in->pop[i];
            if (isnan(x) || !isfinite(x) || !(w > 0))
                continue;
            double z = sd > 0 ? (x - mean) / sd : 0;
            double *s = p->uf + ((size_t)p->unit_of[i] * nf + f) * 3;
            s[0] += w;
            s[1] += w * z;
            s[2] += w * z * z;
            p->htot += w * z * z;
        }
    }
    return LOC_OK;
}

/* Unit edges: every graph edge between different units, lengths summed. */
static loc_status make_edges(problem *p)
{
    loc_ctx *ctx = p->ctx;
    const csr *g = &p->g;
    size_t nu = p->nu, cap = g->off[p->n] + 1, m = 0;
    uint32_t *pos = loc_malloc(ctx, (nu ? nu : 1) * sizeof *pos);
    uint32_t *owner = loc_malloc(ctx, (nu ? nu : 1) * sizeof *owner);
    loc_status st = LOC_ENOMEM;
    if (!pos || !owner || !(p->astart = loc_calloc(ctx, nu + 1, sizeof *p->astart)) ||
        !(p->adj = loc_malloc(ctx, cap * sizeof *p->adj)) || !(p->alen = loc_malloc(ctx, cap * sizeof *p->alen)) ||
        !(p->ulen = loc_calloc(ctx, nu ? nu : 1, sizeof *p->ulen)))
        goto done;
    for (size_t u = 0; u < nu; u++)
        owner[u] = UINT32_MAX;
    p->ctot = 0;
    for (size_t u = 0; u < nu; u++) {
        p->astart[u] = m;
        for (size_t k = p->mstart[u]; k < p->mstart[u + 1]; k++) {
            uint32_t i = p->members[k];
            const uint32_t *nb = g->adj + g->off[i];
            const double *len = g->len + g->off[i];
            for (size_t e = 0; e < g->off[i + 1] - g->off[i]; e++) {
                uint32_t v = p->unit_of[nb[e]];
                if (v == u)
                    continue;
                if (owner[v] != u) {
                    owner[v] = (uint32_t)u;
                    pos[v] = (uint32_t)m;
                    p->adj[m] = v;
                    p->alen[m] = 0;
                    m++;
                }
                p->alen[pos[v]] += len[e];
                if (v > u)
                    p->ctot += len[e];
            }
        }
    }
    p->astart[nu] = m;
    for (size_t u = 0; u < nu; u++)
        for (size_t e = p->astart[u]; e < m && e < p->astart[u + 1]; e++)
            p->ulen[u] += p->alen[e];
    st = LOC_OK;
done:
    loc_free(ctx, pos);
    loc_free(ctx, owner);
    return st;
}

/* Soft memberships per unit: (grouping, group) with node counts. */
static loc_status make_soft(problem *p)
{
    loc_ctx *ctx = p->ctx;
    const loc_build_input *in = p->in;
    size_t cap = 0;
    for (size_t g = 0; g < in->ngroupings; g++)
        cap += !in->groupings[g].hard;
    cap = cap * p->n + 1;
    if (!(p->sstart = loc_calloc(ctx, p->nu + 1, sizeof *p->sstart)) ||
        !(p->skey = loc_malloc(ctx, cap * sizeof *p->skey)) || !(p->scnt = loc_malloc(ctx, cap * sizeof *p->scnt)) ||
        !(p->sgid = loc_malloc(ctx, cap * sizeof *p->sgid)))
        return LOC_ENOMEM;
    size_t goff[LOC_BUILD_MAX_GROUPINGS + 1] = {0}, m = 0;
    for (size_t g = 0; g < in->ngroupings; g++)
        goff[g + 1] = goff[g] + (in->groupings[g].hard ? 0 : in->groupings[g].ngroups);
    p->ngroups_all = goff[in->ngroupings];
    for (size_t u = 0; u < p->nu; u++) {
        p->sstart[u] = m;
        for (size_t k = p->mstart[u]; k < p->mstart[u + 1]; k++) {
            uint32_t i = p->members[k];
            for (size_t g = 0; g < in->ngroupings; g++) {
                int32_t grp = in->groupings[g].member[i];
                if (in->groupings[g].hard || grp < 0)
                    continue;
                uint64_t key = (uint64_t)g << 32 | (uint32_t)grp;
                size_t s = p->sstart[u];
                while (s < m && p->skey[s] != key)
                    s++;
                if (s == m) {
                    p->skey[m] = key;
                    p->sgid[m] = (uint32_t)(goff[g] + (size_t)grp);
                    p->scnt[m++] = 0;
                }
                p->scnt[s]++;
            }
        }
    }
    p->sstart[p->nu] = m;
    /* room per group for the localities it can touch: one per unit in it */
    if (!(p->gstart = loc_calloc(ctx, p->ngroups_all + 1, sizeof *p->gstart)))
        return LOC_ENOMEM;
    for (size_t k = 0; k < m; k++)
        p->gstart[p->sgid[k] + 1]++;
    for (size_t g = 0; g < p->ngroups_all; g++)
        p->gstart[g + 1] += p->gstart[g];
    /* soft groups that have a node */
    p->nsoftgroups = 0;
    for (size_t g = 0; g < in->ngroupings; g++) {
        if (in->groupings[g].hard)
            continue;
        uint8_t *seen = loc_calloc(ctx, in->groupings[g].ngroups + 1, 1);
        if (!seen)
            return LOC_ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
            int32_t grp = in->groupings[g].member[i];
            if (grp >= 0 && !seen[grp]) {
                seen[grp] = 1;
                p->nsoftgroups++;
            }
        }
        loc_free(ctx, seen);
    }
    return LOC_OK;
}

/* The problem on in's nodes over graph g, from inputs already checked. */
loc_status bld_problem_setup(problem *p, loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
                             const csr *g)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->in = in;
    p->o = *o;
    p->g = *g;
    loc_status st;
    p->n = in->n;
    p->nf = in->nfeat;
    if ((st = make_units(p)) || (st = make_features(p)) || (st = make_edges(p)) || (st = make_soft(p))) {
        bld_problem_free(p);
        return st;
    }
    p->ptot = (double)p->nsoftgroups;
    p->kh = p->htot > 0 ? p->o.w_het / p->htot : 0;
    p->kc = p->ctot > 0 ? p->o.w_compact / p->ctot : 0;
    p->ks = p->ptot > 0 ? p->o.w_soft / p->ptot : 0;
    return LOC_OK;
}

/* The problem on the caller's input: checked, over the caller's graph. */
loc_status bld_problem_init(problem *p, loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o)
{
    loc_build_opts opts;
    if (o)
        opts = *o;
    else
        loc_build_opts_init(&opts);
    memset(p, 0, sizeof *p);
    loc_status st = check_input(ctx, in, &opts);
    if (st)
        return st;
    csr g = csr_of_graph(in->graph);
    return bld_problem_setup(p, ctx, in, &opts, &g);
}
