/*
 * Locality builder: construction and local search (see builder.h for the
 * rules and the objective).  Each council is a problem of its own (see
 * "Councils as independent problems" below).
 *
 * The work happens on units: a unit is a node, or a hard group's nodes in
 * one council contracted into one.  Each unit carries its population, its
 * feature sums (weight W, weighted sum S, weighted sum of squares Q per
 * feature, so that a locality's heterogeneity is sum_f Q - S^2 / W), its
 * soft-group memberships and its edges to other units with the summed
 * shared boundary length.  The construction makes regions, the local search
 * moves units; both keep these sums additive so that every change costs
 * the unit's degree, features and soft groups, never the locality's size.
 */
#include "localities/builder.h"
#include "localities/codes.h"
#include "internal.h"
#include "build_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void loc_build_opts_init(loc_build_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_pop = 10000;
    o->min_pop = 2500;
    o->w_het = 1;
    o->w_compact = 0.1;
    o->w_soft = 0.4;
    o->seed = 1;
    o->starts = 4;
    o->threads = 2;
    o->max_passes = 100;
    o->anneal_moves = 300;
    o->target_pop = 0;
    o->localities_per_council = 0;
    o->area_count = NULL;
    o->nareas = 0;
}

/* ---------------------------------------------------------------------
 * The problem on units
 * --------------------------------------------------------------------- */


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
    loc_free(ctx, p->sstart);
    loc_free(ctx, p->skey);
    loc_free(ctx, p->scnt);
    loc_free(ctx, p->sgid);
    memset(p, 0, sizeof *p);
}

static const char *node_name(const loc_build_input *in, size_t i, char *buf, size_t size)
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
            return loc_error(ctx, LOC_EINVAL, "build: zone '%s' is in no council", node_name(in, i, buf, sizeof buf));
        if (in->pop[i] < 0 || isinf(in->pop[i]))
            return loc_error(ctx, LOC_EINVAL, "build: zone '%s' has population %g", node_name(in, i, buf, sizeof buf),
                             in->pop[i]);
    }
    for (size_t k = 0; k < in->ngroupings; k++)
        for (size_t i = 0; i < in->n; i++) {
            int32_t g = in->groupings[k].member[i];
            if (g < -1 || (g >= 0 && (size_t)g >= in->groupings[k].ngroups))
                return loc_error(ctx, LOC_EINVAL, "build: zone '%s' has group %ld in '%s' (%zu groups)",
                                 node_name(in, i, buf, sizeof buf), (long)g,
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
        !(p->adj = loc_malloc(ctx, cap * sizeof *p->adj)) || !(p->alen = loc_malloc(ctx, cap * sizeof *p->alen)))
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
static loc_status problem_setup(problem *p, loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
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
    return problem_setup(p, ctx, in, &opts, &g);
}

/* ---------------------------------------------------------------------
 * Starts in parallel
 * --------------------------------------------------------------------- */

typedef struct start_job {
    loc_build_state *s;
    int32_t *best;
    uint32_t *order;
    uint64_t rng;
    double moves;
    double tscale; /* starting temperature, as a share of the mean worsening */
    int passes;
    double obj;
    loc_status st;
} start_job;

/* Every start of every council, taken one at a time by whichever thread
 * is free: each start is independent of the others, so which thread runs
 * it changes nothing in the result. */
typedef struct start_pool {
    start_job **jobs;       /* in the order they are taken: longest first */
    size_t njobs, next;     /* jobs; the next to take */
    pthread_mutex_t lock;   /* guards next */
} start_pool;

static void run_job(start_job *j)
{
    double best_obj;
    j->st = bld_anneal(j->s, &j->rng, j->moves, j->tscale, j->best, &best_obj);
    if (j->st)
        return;
    /* descend from the best labelling seen */
    memcpy(j->s->lab, j->best, j->s->p->nu * sizeof *j->best);
    bld_state_recompute(j->s);
    if ((j->st = bld_descend(j->s, j->order, &j->rng, j->passes)))
        return;
    bld_state_recompute(j->s); /* exact objective, free of drift */
    j->obj = bld_state_objective(j->s);
}

static void *thread_main(void *arg)
{
    start_pool *pool = arg;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        size_t k = pool->next < pool->njobs ? pool->next++ : pool->njobs;
        pthread_mutex_unlock(&pool->lock);
        if (k == pool->njobs)
            return NULL;
        run_job(pool->jobs[k]);
    }
}

/* Run every job on up to nthreads threads, the calling one included; a
 * thread that cannot be started leaves its share to the others. */
static void run_starts(start_pool *pool, int nthreads)
{
    enum { MAXT = 16 };
    pthread_t tid[MAXT];
    int started[MAXT] = {0};
    int nt = nthreads > MAXT ? MAXT : nthreads;
    pool->next = 0;
    for (int t = 1; t < nt && (size_t)t < pool->njobs; t++)
        started[t] = pthread_create(&tid[t], NULL, thread_main, pool) == 0;
    thread_main(pool);
    for (int t = 1; t < nt; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}

/* ---------------------------------------------------------------------
 * Result
 * --------------------------------------------------------------------- */

struct loc_build_result {
    loc_ctx *ctx;
    size_t n;           /* nodes */
    int32_t *labels;
    size_t nloc;
    loc_build_stats stats;
};

void loc_build_result_destroy(loc_build_result *r)
{
    if (!r)
        return;
    loc_free(r->ctx, r->labels);
    loc_free(r->ctx, r);
}

const int32_t *loc_build_labels(const loc_build_result *r) { return r->labels; }
size_t loc_build_count(const loc_build_result *r) { return r->nloc; }
const loc_build_stats *loc_build_stats_get(const loc_build_result *r) { return &r->stats; }

typedef struct lockey {
    int32_t council;
    uint32_t first;
    int32_t old;
} lockey;

static int cmp_lockey(const void *a, const void *b)
{
    const lockey *x = a, *y = b;
    if (x->council != y->council)
        return x->council < y->council ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* Number localities by council, then smallest node; fill node labels. */
static loc_status renumber(const problem *p, const int32_t *ulab, size_t nloc, int32_t *labels)
{
    loc_ctx *ctx = p->ctx;
    lockey *k = loc_malloc(ctx, (nloc ? nloc : 1) * sizeof *k);
    int32_t *map = loc_malloc(ctx, (nloc ? nloc : 1) * sizeof *map);
    if (!k || !map) {
        loc_free(ctx, k);
        loc_free(ctx, map);
        return LOC_ENOMEM;
    }
    for (size_t l = 0; l < nloc; l++)
        k[l] = (lockey){0, UINT32_MAX, (int32_t)l};
    for (size_t i = 0; i < p->n; i++) {
        int32_t l = ulab[p->unit_of[i]];
        if ((uint32_t)i < k[l].first) {
            k[l].first = (uint32_t)i;
            k[l].council = p->in->council[i];
        }
    }
    qsort(k, nloc, sizeof *k, cmp_lockey);
    for (size_t l = 0; l < nloc; l++)
        map[k[l].old] = (int32_t)l;
    for (size_t i = 0; i < p->n; i++)
        labels[i] = map[ulab[p->unit_of[i]]];
    loc_free(ctx, k);
    loc_free(ctx, map);
    return LOC_OK;
}

/* Warnings an analyst must see: units over the ceiling, localities left
 * under the floor, hard groups not contiguous. */
static void report_result(const problem *p, const loc_build_state *s, loc_build_stats *st)
{
    loc_ctx *ctx = p->ctx;
    char buf[32];
    for (size_t l = 0; l < s->nloc; l++) {
        if (s->lpop[l] > p->o.max_pop) {
            st->over_ceiling++;
            size_t u = 0;
            while (s->lab[u] != (int32_t)l)
                u++;
            loc_report(ctx, LOC_WARN, "zone '%s'%s has %.0f residents, above the ceiling of %.0f: it is a locality on its own",
                       node_name(p->in, p->members[p->mstart[u]], buf, sizeof buf),
                       p->mstart[u + 1] - p->mstart[u] > 1 ? " and its hard group" : "", s->lpop[l], p->o.max_pop);
        } else if (s->lpop[l] < p->o.min_pop) {
            st->under_floor++;
        }
    }
    if (st->under_floor)
        loc_report(ctx, LOC_WARN,
                   "%zu localit%s below the floor of %.0f residents: no neighbour in the council could take %s without "
                   "passing the ceiling",
                   st->under_floor, st->under_floor == 1 ? "y stays" : "ies stay", p->o.min_pop,
                   st->under_floor == 1 ? "it" : "them");
}

/* Hard groups whose nodes are not connected within the group. */
static loc_status report_hard_parts(const problem *p, loc_build_stats *st)
{
    loc_ctx *ctx = p->ctx;
    const csr *g = &p->g;
    uint32_t *parent = loc_malloc(ctx, (p->n ? p->n : 1) * sizeof *parent);
    if (!parent)
        return LOC_ENOMEM;
    for (size_t i = 0; i < p->n; i++)
        parent[i] = (uint32_t)i;
    for (size_t i = 0; i < p->n; i++)
        for (size_t e = g->off[i]; e < g->off[i + 1]; e++) {
            uint32_t j = g->adj[e];
            if (p->unit_of[j] == p->unit_of[i] && g->kind[e] != LOC_EDGE_ISLAND) {
                uint32_t a = uf_find(parent, (uint32_t)i), b = uf_find(parent, j);
                if (a != b)
                    parent[a] = b;
            }
        }
    char buf[32];
    for (size_t u = 0; u < p->nu; u++) {
        size_t parts = 0;
        for (size_t k = p->mstart[u]; k < p->mstart[u + 1]; k++)
            parts += uf_find(parent, p->members[k]) == p->members[k];
        if (parts > 1) {
            st->hard_split_parts++;
            loc_report(ctx, LOC_INFO,
                       "hard group of zone '%s' is in %zu parts by land: kept whole, its parts joined across the water",
                       node_name(p->in, p->members[p->mstart[u]], buf, sizeof buf), parts);
        }
    }
    loc_free(ctx, parent);
    return LOC_OK;
}


/* ---------------------------------------------------------------------
 * Councils as independent problems
 *
 * Localities never cross a council (nor a nest region: whatever the
 * caller's council ids separate), so each council is built on its own:
 * its nodes numbered in the caller's order, its groups renumbered in
 * theirs, the graph among its nodes only, its own standardisation and
 * normalisers, its own construction, descent and annealing starts, whose
 * random streams come from the seed alone.  A council's localities then
 * depend on its zones, the graph among them and the settings, never on
 * which other councils are in the run or on the threads.
 * --------------------------------------------------------------------- */

typedef struct council_sub {
    loc_build_input in;          /* the council's nodes as a problem of their own */
    loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
    uint32_t *node;              /* sub node -> the caller's node */
    double *pop, *x;
    int32_t *council;
    int32_t *member[LOC_BUILD_MAX_GROUPINGS]; /* groups renumbered 0.. in the caller's order */
    const char **codes;
    size_t *off;                 /* the graph among the council's nodes */
    uint32_t *adj;
    double *len;
    uint8_t *kind;
    problem p;
    int ready;                   /* p was set up, and must be freed */
    loc_build_state *s;
    int32_t *ulab_construct;     /* unit labels after the construction */
    int32_t *ulab_greedy;        /* and after the descent */
    uint32_t *order;
    size_t nloc;
    start_job *jobs;
    int njobs;
    int best_start;              /* -1: the descent; else the start kept */
    double t_descent_s;          /* wall seconds of the greedy descent */
    loc_build_opts o;            /* the options, bounds narrowed to a target size */
} council_sub;

static void sub_free(loc_ctx *ctx, council_sub *c)
{
    if (c->jobs)
        for (int k = 0; k < c->njobs; k++) {
            loc_build_state_destroy(c->jobs[k].s);
            loc_free(ctx, c->jobs[k].best);
            loc_free(ctx, c->jobs[k].order);
        }
    loc_free(ctx, c->jobs);
    loc_build_state_destroy(c->s);
    loc_free(ctx, c->ulab_construct);
    loc_free(ctx, c->ulab_greedy);
    loc_free(ctx, c->order);
    if (c->ready)
        bld_problem_free(&c->p);
    loc_free(ctx, c->node);
    loc_free(ctx, c->pop);
    loc_free(ctx, c->x);
    loc_free(ctx, c->council);
    for (size_t k = 0; k < LOC_BUILD_MAX_GROUPINGS; k++)
        loc_free(ctx, c->member[k]);
    loc_free(ctx, (void *)c->codes);
    loc_free(ctx, c->off);
    loc_free(ctx, c->adj);
    loc_free(ctx, c->len);
    loc_free(ctx, c->kind);
    memset(c, 0, sizeof *c);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Grouping k over the council's nodes, its groups numbered 0.. in the
 * order of the caller's ids.  gmap: the caller's groups -> -1, left so. */
static loc_status sub_grouping(loc_ctx *ctx, const loc_build_input *in, council_sub *c, size_t k, int32_t *gmap)
{
    const int32_t *mem = in->groupings[k].member;
    size_t m = c->in.n, ng = 0;
    int32_t *ids = loc_malloc(ctx, (m ? m : 1) * sizeof *ids);
    if (!ids || !(c->member[k] = loc_malloc(ctx, (m ? m : 1) * sizeof *c->member[k]))) {
        loc_free(ctx, ids);
        return LOC_ENOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        int32_t g = mem[c->node[i]];
        if (g >= 0 && gmap[g] < 0) {
            gmap[g] = 0;
            ids[ng++] = g;
        }
    }
    qsort(ids, ng, sizeof *ids, cmp_i32);
    for (size_t r = 0; r < ng; r++)
        gmap[ids[r]] = (int32_t)r;
    for (size_t i = 0; i < m; i++) {
        int32_t g = mem[c->node[i]];
        c->member[k][i] = g >= 0 ? gmap[g] : -1;
    }
    for (size_t r = 0; r < ng; r++)
        gmap[ids[r]] = -1;
    loc_free(ctx, ids);
    c->gr[k] = in->groupings[k];
    c->gr[k].member = c->member[k];
    c->gr[k].ngroups = ng;
    return LOC_OK;
}

/* Council ids (nest regions, in an area) renumbered 0.. in the caller's
 * order, so that the other councils of the input leave no trace. */
static loc_status sub_councils(loc_ctx *ctx, council_sub *c)
{
    size_t m = c->in.n, nd = 0;
    int32_t *ids = loc_malloc(ctx, (m ? m : 1) * sizeof *ids);
    if (!ids)
        return LOC_ENOMEM;
    memcpy(ids, c->council, m * sizeof *ids);
    qsort(ids, m, sizeof *ids, cmp_i32);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || ids[i] != ids[nd - 1])
            ids[nd++] = ids[i];
    for (size_t i = 0; i < m; i++)
        c->council[i] = (int32_t)((const int32_t *)bsearch(&c->council[i], ids, nd, sizeof *ids, cmp_i32) - ids);
    loc_free(ctx, ids);
    return LOC_OK;
}

/* The graph among the council's nodes.  sub_of: the caller's node -> its
 * number in the council, UINT32_MAX for nodes of other councils.  Rows
 * stay ascending, as the caller's are, so the search sees the same order
 * whichever councils are in the run. */
static loc_status sub_graph(loc_ctx *ctx, const csr *g, council_sub *c, const uint32_t *sub_of)
{
    size_t m = c->in.n, ne = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t e = g->off[c->node[i]]; e < g->off[c->node[i] + 1]; e++)
            ne += sub_of[g->adj[e]] != UINT32_MAX;
    if (!(c->off = loc_malloc(ctx, (m + 1) * sizeof *c->off)) ||
        !(c->adj = loc_malloc(ctx, (ne ? ne : 1) * sizeof *c->adj)) ||
        !(c->len = loc_malloc(ctx, (ne ? ne : 1) * sizeof *c->len)) ||
        !(c->kind = loc_malloc(ctx, (ne ? ne : 1) * sizeof *c->kind)))
        return LOC_ENOMEM;
    ne = 0;
    for (size_t i = 0; i < m; i++) {
        c->off[i] = ne;
        for (size_t e = g->off[c->node[i]]; e < g->off[c->node[i] + 1]; e++) {
            uint32_t j = sub_of[g->adj[e]];
            if (j == UINT32_MAX)
                continue;
            c->adj[ne] = j;
            c->len[ne] = g->len[e];
            c->kind[ne++] = g->kind[e];
        }
    }
    c->off[m] = ne;
    return LOC_OK;
}

/* The council's part of the caller's input: nodes[0..m) ascending. */
static loc_status sub_extract(loc_ctx *ctx, const problem *gp, const uint32_t *nodes, size_t m, council_sub *c,
                              uint32_t *sub_of, int32_t *gmap)
{
    const loc_build_input *in = gp->in;
    size_t nf = in->nfeat, mm = m ? m : 1;
    loc_status st = LOC_ENOMEM;
    if (!(c->node = loc_malloc(ctx, mm * sizeof *c->node)) || !(c->pop = loc_malloc(ctx, mm * sizeof *c->pop)) ||
        !(c->council = loc_malloc(ctx, mm * sizeof *c->council)) ||
        !(c->x = loc_malloc(ctx, mm * (nf ? nf : 1) * sizeof *c->x)) ||
        (in->codes && !(c->codes = loc_malloc(ctx, mm * sizeof *c->codes))))
        return st;
    for (size_t i = 0; i < m; i++) {
        uint32_t v = nodes[i];
        c->node[i] = v;
        sub_of[v] = (uint32_t)i;
        c->pop[i] = in->pop[v];
        c->council[i] = in->council[v];
        if (nf)
            memcpy(c->x + i * nf, in->x + (size_t)v * nf, nf * sizeof *c->x);
        if (c->codes)
            c->codes[i] = in->codes[v];
    }
    c->in = (loc_build_input){m, NULL, c->pop, c->council, nf ? c->x : NULL, nf, c->gr, in->ngroupings,
                              c->codes ? (const char *const *)c->codes : NULL, NULL};
    st = sub_councils(ctx, c);
    if (!st)
        st = sub_graph(ctx, &gp->g, c, sub_of);
    for (size_t k = 0; !st && k < in->ngroupings; k++)
        st = sub_grouping(ctx, in, c, k, gmap);
    for (size_t i = 0; i < m; i++)
        sub_of[nodes[i]] = UINT32_MAX;
    return st;
}

/* Construction and greedy descent of one council, and its annealing
 * starts made ready to run. */
static loc_status sub_prepare(loc_ctx *ctx, council_sub *c, const loc_build_opts *o)
{
    csr g = {c->off, c->adj, c->len, c->kind};
    loc_status st = problem_setup(&c->p, ctx, &c->in, o, &g);
    if (st)
        return st;
    c->ready = 1;
    const problem *p = &c->p;
    size_t nu = p->nu ? p->nu : 1;
    if (!(c->ulab_construct = loc_malloc(ctx, nu * sizeof *c->ulab_construct)) ||
        !(c->ulab_greedy = loc_malloc(ctx, nu * sizeof *c->ulab_greedy)) ||
        !(c->order = loc_malloc(ctx, nu * sizeof *c->order)))
        return LOC_ENOMEM;
    if ((st = bld_construct(p, c->ulab_construct, &c->nloc)))
        return st;
    if (!(c->s = bld_state_new(p, c->ulab_construct, c->nloc)))
        return LOC_ENOMEM;
    for (size_t u = 0; u < p->nu; u++)
        c->order[u] = (uint32_t)u;
    uint64_t rng = o->seed;
    double t0 = now_s();
    if ((st = bld_descend(c->s, c->order, &rng, o->max_passes)))
        return st;
    bld_state_recompute(c->s);
    c->t_descent_s = now_s() - t0;
    memcpy(c->ulab_greedy, c->s->lab, p->nu * sizeof *c->ulab_greedy);
    c->best_start = -1;
    if (o->starts <= 0 || p->nu < 2)
        return LOC_OK;
    c->njobs = o->starts;
    if (!(c->jobs = loc_calloc(ctx, (size_t)c->njobs, sizeof *c->jobs)))
        return LOC_ENOMEM;
    for (int k = 0; k < c->njobs; k++) {
        start_job *j = &c->jobs[k];
        j->rng = o->seed ^ (0xA5A5A5A5ULL * (uint64_t)(k + 1));
        rng_next(&j->rng);
        j->moves = o->anneal_moves * (double)p->nu;
        /* starts 0-3 at 1, 0.45, 0.2, 0.09 of the mean worsening, then again */
        j->tscale = pow(0.45, k % 4);
        j->passes = o->max_passes;
        if (!(j->s = bld_state_new(p, c->s->lab, c->nloc)) || !(j->best = loc_malloc(ctx, p->nu * sizeof *j->best)) ||
            !(j->order = loc_malloc(ctx, p->nu * sizeof *j->order)) ||
            bld_state_reserve(j->s, p->n * (c->in.ngroupings + 1)))
            return LOC_ENOMEM;
        memcpy(j->order, c->order, p->nu * sizeof *c->order);
    }
    return LOC_OK;
}

/* Keep the best of the descent and the starts (the earliest on a tie). */
static void sub_choose(council_sub *c, loc_build_stats *st)
{
    double best = bld_state_objective(c->s);
    st->moves_evaluated += c->s->evaluated;
    st->moves_made += c->s->made;
    st->contiguity_searches += c->s->searches;
    for (int k = 0; k < c->njobs; k++) {
        if (c->jobs[k].obj < best) {
            best = c->jobs[k].obj;
            c->best_start = k;
        }
        st->moves_evaluated += c->jobs[k].s->evaluated;
        st->moves_made += c->jobs[k].s->made;
        st->contiguity_searches += c->jobs[k].s->searches;
    }
    if (c->best_start >= 0) {
        memcpy(c->s->lab, c->jobs[c->best_start].s->lab, c->p.nu * sizeof *c->s->lab);
        bld_state_recompute(c->s);
    }
}

/* Node labels of the caller's problem from a council's unit labels, its
 * localities numbered from base. */
static void sub_node_labels(const council_sub *c, const int32_t *ulab, int32_t base, int32_t *labels)
{
    for (size_t i = 0; i < c->in.n; i++)
        labels[c->node[i]] = base + ulab[c->p.unit_of[i]];
}

/* The caller's nodes grouped by area (or council) id, ascending, each
 * group in node order: nodes[cstart[c]..cstart[c + 1]). */
static loc_status split_councils(loc_ctx *ctx, const loc_build_input *in, uint32_t **nodes, size_t **cstart,
                                 size_t *nc)
{
    size_t n = in->n;
    keyed *k = loc_malloc(ctx, (n ? n : 1) * sizeof *k);
    *nodes = loc_malloc(ctx, (n ? n : 1) * sizeof **nodes);
    *cstart = loc_malloc(ctx, (n + 1) * sizeof **cstart);
    if (!k || !*nodes || !*cstart) {
        loc_free(ctx, k);
        return LOC_ENOMEM;
    }
    const int32_t *part = in->area ? in->area : in->council;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){(uint64_t)(uint32_t)part[i], (uint32_t)i};
    qsort(k, n, sizeof *k, bld_cmp_keyed);
    *nc = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || k[i].key != k[i - 1].key)
            (*cstart)[(*nc)++] = i;
        (*nodes)[i] = k[i].node;
    }
    (*cstart)[*nc] = n;
    loc_free(ctx, k);
    return LOC_OK;
}

/* Jobs ordered longest first (ties in council and start order), so that
 * the last to finish are short. */
typedef struct job_ref {
    double moves;
    size_t idx;
    start_job *job;
} job_ref;

static int cmp_job_ref(const void *a, const void *b)
{
    const job_ref *x = a, *y = b;
    if (x->moves != y->moves)
        return x->moves > y->moves ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Every council's starts on the threads; LOC_ENOMEM when one ran out. */
static loc_status run_all_starts(loc_ctx *ctx, council_sub *subs, size_t nc, int threads)
{
    size_t nj = 0;
    for (size_t c = 0; c < nc; c++)
        nj += (size_t)subs[c].njobs;
    if (!nj)
        return LOC_OK;
    job_ref *refs = loc_malloc(ctx, nj * sizeof *refs);
    start_pool pool = {0};
    if (!refs || !(pool.jobs = loc_malloc(ctx, nj * sizeof *pool.jobs))) {
        loc_free(ctx, refs);
        return LOC_ENOMEM;
    }
    nj = 0;
    for (size_t c = 0; c < nc; c++)
        for (int k = 0; k < subs[c].njobs; k++, nj++)
            refs[nj] = (job_ref){subs[c].jobs[k].moves, nj, &subs[c].jobs[k]};
    qsort(refs, nj, sizeof *refs, cmp_job_ref);
    for (size_t q = 0; q < nj; q++)
        pool.jobs[q] = refs[q].job;
    pool.njobs = nj;
    loc_status st = LOC_OK;
    if (pthread_mutex_init(&pool.lock, NULL) != 0) {
        st = loc_error(ctx, LOC_ENOMEM, "build: cannot create a lock for the local search");
    } else {
        run_starts(&pool, threads);
        pthread_mutex_destroy(&pool.lock);
        for (size_t q = 0; q < nj && !st; q++)
            if (pool.jobs[q]->st)
                st = loc_error(ctx, pool.jobs[q]->st, "build: out of memory in the local search");
    }
    loc_free(ctx, refs);
    loc_free(ctx, pool.jobs);
    return st;
}

/* Bounds around a target size: wide enough that a construction from
 * intermediate zones of 3,000 to 6,000 residents can reach it by splitting
 * and merging, narrow enough that the sizes gather near it. */
#define TARGET_LOW 0.7
#define TARGET_HIGH 1.3

/* The options council c is built with: the caller's, its bounds narrowed
 * around a target size when one is asked for (by residents, or by a count
 * of localities in each council), the ceiling and floor still holding. */
static loc_status council_opts(loc_ctx *ctx, const loc_build_opts *o, council_sub *c, int32_t area)
{
    c->o = *o;
    double t = o->target_pop, count = (double)o->localities_per_council;
    if (o->area_count && area >= 0 && (size_t)area < o->nareas && o->area_count[area] > 0)
        count = o->area_count[area];
    if (count > 0) {
        double pop = 0;
        for (size_t i = 0; i < c->in.n; i++)
            pop += isnan(c->pop[i]) ? 0 : c->pop[i];
        t = pop / count;
    }
    if (!(t > 0))
        return LOC_OK;
    if (!isfinite(t))
        return loc_error(ctx, LOC_EINVAL, "build: the target size must be a finite number of residents");
    c->o.max_pop = fmin(o->max_pop, TARGET_HIGH * t);
    c->o.min_pop = fmin(fmax(o->min_pop, TARGET_LOW * t), TARGET_LOW * c->o.max_pop);
    return LOC_OK;
}

/* Every council set apart and made ready, one after another (the
 * construction and the descent are a few milliseconds on all of Scotland;
 * the starts are where the time goes). */
static loc_status prepare_councils(loc_ctx *ctx, const problem *gp, council_sub **subs_out, size_t *nc_out)
{
    uint32_t *nodes = NULL, *sub_of = NULL;
    size_t *cstart = NULL, nc = 0, maxg = 1;
    int32_t *gmap = NULL;
    council_sub *subs = NULL;
    const loc_build_input *in = gp->in;
    loc_status st = split_councils(ctx, in, &nodes, &cstart, &nc);
    if (st)
        goto done;
    for (size_t k = 0; k < in->ngroupings; k++)
        if (in->groupings[k].ngroups > maxg)
            maxg = in->groupings[k].ngroups;
    st = LOC_ENOMEM;
    if (!(sub_of = loc_malloc(ctx, (in->n ? in->n : 1) * sizeof *sub_of)) ||
        !(gmap = loc_malloc(ctx, maxg * sizeof *gmap)) || !(subs = loc_calloc(ctx, nc ? nc : 1, sizeof *subs)))
        goto done;
    for (size_t i = 0; i < in->n; i++)
        sub_of[i] = UINT32_MAX;
    for (size_t g = 0; g < maxg; g++)
        gmap[g] = -1;
    st = LOC_OK;
    for (size_t c = 0; c < nc && !st; c++)
        if (!(st = sub_extract(ctx, gp, nodes + cstart[c], cstart[c + 1] - cstart[c], &subs[c], sub_of, gmap)) &&
            !(st = council_opts(ctx, &gp->o, &subs[c], (in->area ? in->area : in->council)[nodes[cstart[c]]])))
            st = sub_prepare(ctx, &subs[c], &subs[c].o);
done:
    loc_free(ctx, nodes);
    loc_free(ctx, cstart);
    loc_free(ctx, sub_of);
    loc_free(ctx, gmap);
    *subs_out = subs;
    *nc_out = nc;
    return st;
}

/* The start that won in most councils (the earliest on a tie); -1 when
 * the descent was kept everywhere. */
static int most_winning_start(const council_sub *subs, size_t nc, int starts)
{
    int best = -1;
    size_t best_wins = 0;
    for (int k = 0; k < starts; k++) {
        size_t wins = 0;
        for (size_t c = 0; c < nc; c++)
            wins += subs[c].best_start == k;
        if (wins > best_wins) {
            best_wins = wins;
            best = k;
        }
    }
    return best;
}

/* One stage's objective over the whole study area: the councils' unit
 * labels, taken through node labels into the caller's problem. */
static loc_status whole_objective(const problem *gp, loc_build_state *gs, const council_sub *subs, size_t nc,
                                  int stage, int32_t *labels, double *obj)
{
    int32_t base = 0;
    for (size_t c = 0; c < nc; c++) {
        const int32_t *ulab = stage == 0 ? subs[c].ulab_construct : stage == 1 ? subs[c].ulab_greedy : subs[c].s->lab;
        sub_node_labels(&subs[c], ulab, base, labels);
        base += (int32_t)subs[c].nloc;
    }
    loc_status st = bld_unit_labels(gp, labels, gs->nloc, gs->lab);
    if (st)
        return st;
    bld_state_recompute(gs);
    *obj = bld_state_objective(gs);
    return LOC_OK;
}

loc_build_result *loc_build(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts)
{
    /* an earlier call's error must not stand for this one's (the failure
     * path below reads loc_errcode to tell its own error from none) */
    loc_clear_error(ctx);
    problem gp;
    if (bld_problem_init(&gp, ctx, in, opts))
        return NULL;
    loc_build_result *res = NULL;
    loc_build_state *gs = NULL;
    council_sub *subs = NULL;
    int32_t *labels = NULL, *ulab = NULL;
    size_t nc = 0, nloc = 0;
    loc_build_stats st = {0};
    st.units = gp.nu;
    double t0 = now_s();
    if (prepare_councils(ctx, &gp, &subs, &nc))
        goto fail;
    for (size_t c = 0; c < nc; c++)
        nloc += subs[c].nloc;
    double t1 = now_s();
    for (size_t c = 0; c < nc; c++)
        st.t_greedy_s += subs[c].t_descent_s;
    st.t_construct_s = t1 - t0 - st.t_greedy_s;
    if (run_all_starts(ctx, subs, nc, gp.o.threads))
        goto fail;
    for (size_t c = 0; c < nc; c++)
        sub_choose(&subs[c], &st);
    st.t_anneal_s = now_s() - t1;
    st.best_start = most_winning_start(subs, nc, gp.o.starts);
    if (!(labels = loc_malloc(ctx, (gp.n ? gp.n : 1) * sizeof *labels)) ||
        !(ulab = loc_calloc(ctx, gp.nu ? gp.nu : 1, sizeof *ulab)) || !(gs = bld_state_new(&gp, ulab, nloc)) ||
        report_hard_parts(&gp, &st) || whole_objective(&gp, gs, subs, nc, 0, labels, &st.objective_construct) ||
        whole_objective(&gp, gs, subs, nc, 1, labels, &st.objective_greedy) ||
        whole_objective(&gp, gs, subs, nc, 2, labels, &st.objective))
        goto fail;
    st.r2 = gp.htot > 0 ? 1 - gs->H / gp.htot : 1;
    st.compact_cut = gp.ctot > 0 ? gs->C / gp.ctot : 0;
    st.soft_split = gp.ptot > 0 ? gs->P / gp.ptot : 0;
    st.localities = nloc;
    report_result(&gp, gs, &st);
    if (!(res = loc_calloc(ctx, 1, sizeof *res)))
        goto fail;
    res->ctx = ctx;
    res->n = gp.n;
    res->nloc = nloc;
    res->stats = st;
    if (!(res->labels = loc_malloc(ctx, (gp.n ? gp.n : 1) * sizeof *res->labels)) ||
        renumber(&gp, gs->lab, nloc, res->labels))
        goto fail;
    goto done;
fail:
    if (!loc_errcode(ctx))
        loc_error(ctx, LOC_ENOMEM, "build: out of memory");
    loc_build_result_destroy(res);
    res = NULL;
done:
    for (size_t c = 0; subs && c < nc; c++)
        sub_free(ctx, &subs[c]);
    loc_free(ctx, subs);
    loc_build_state_destroy(gs);
    loc_free(ctx, labels);
    loc_free(ctx, ulab);
    bld_problem_free(&gp);
    return res;
}

/* Unit labels from node labels; LOC_EINVAL when a hard unit is split. */
loc_status bld_unit_labels(const problem *p, const int32_t *labels, size_t nloc, int32_t *ulab)
{
    for (size_t u = 0; u < p->nu; u++) {
        int32_t l = labels[p->members[p->mstart[u]]];
        for (size_t k = p->mstart[u]; k < p->mstart[u + 1]; k++)
            if (labels[p->members[k]] != l)
                return loc_error(p->ctx, LOC_EINVAL, "build: labels split a hard group");
        if (l < 0 || (size_t)l >= nloc)
            return loc_error(p->ctx, LOC_EINVAL, "build: label %ld out of range (%zu localities)", (long)l, nloc);
        ulab[u] = l;
    }
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Quality and the partition
 * --------------------------------------------------------------------- */

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
