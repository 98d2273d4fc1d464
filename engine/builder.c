/*
 * Locality builder: the outer loop (see builder.h for the rules and the
 * objective): starts in parallel, each council a problem of its own (see
 * "Councils as independent problems" below), the result.  The problem on
 * units is build_problem.c's, the construction build_construct.c's, the
 * search state and moves build_state.c's, the naming build_naming.c's.
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
 * Starts in parallel
 * --------------------------------------------------------------------- */

typedef struct start_job {
    loc_build_state *s;
    int32_t *best;
    uint32_t *order;
    uint64_t rng;
    double moves;
    double t0;     /* starting temperature */
    int passes;
    double obj;
    loc_status st;
} start_job;

#define MAX_START_THREADS 16

/* Every start of every council, taken one at a time by whichever thread
 * is free: each start is independent of the others, so which thread runs
 * it changes nothing in the result. */
typedef struct start_pool {
    start_job **jobs;       /* in the order they are taken: longest first */
    size_t njobs, next;     /* jobs; the next to take */
    pthread_mutex_t lock;   /* guards next */
} start_pool;

/* A thread running starts, with its memo of costed moves (lent to each
 * start in turn). */
typedef struct start_worker {
    start_pool *pool;
    move_memo *memo;
    uint32_t *lmod;
} start_worker;

static void run_job(start_job *j, const start_worker *w)
{
    double best_obj;
    bld_state_lend_memo(j->s, w->memo, w->lmod);
    j->st = bld_anneal(j->s, &j->rng, j->moves, j->t0, j->best, &best_obj);
    bld_state_lend_memo(j->s, NULL, NULL);
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
    const start_worker *w = arg;
    start_pool *pool = w->pool;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        size_t k = pool->next < pool->njobs ? pool->next++ : pool->njobs;
        pthread_mutex_unlock(&pool->lock);
        if (k == pool->njobs)
            return NULL;
        run_job(pool->jobs[k], w);
    }
}

/* Run every job on the nt workers' threads, the calling one (worker 0)
 * included; a thread that cannot be started leaves its share to the
 * others. */
static void run_starts(start_pool *pool, start_worker *workers, int nt)
{
    pthread_t tid[MAX_START_THREADS];
    int started[MAX_START_THREADS] = {0};
    pool->next = 0;
    for (int t = 1; t < nt; t++)
        started[t] = pthread_create(&tid[t], NULL, thread_main, &workers[t]) == 0;
    thread_main(&workers[0]);
    for (int t = 1; t < nt; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}

/* ---------------------------------------------------------------------
 * Result
 * --------------------------------------------------------------------- */

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
                       bld_node_name(p->in, p->members[p->mstart[u]], buf, sizeof buf),
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
                       bld_node_name(p->in, p->members[p->mstart[u]], buf, sizeof buf), parts);
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
    loc_status st = bld_problem_setup(&c->p, ctx, &c->in, o, &g);
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
    /* The starts' temperatures are scaled from the mean worsening of the
     * descent's result, the same for every start, so it is sampled once.
     * Starting at the mean worsening (scale 1) accepts about a third of
     * the worse moves.  The best scale depends on the weights: on the
     * Scotland data zones 1 did best with a light soft weight (0.1), 0.3
     * at 0.2 and 0.15-0.2 at 0.4, where nearly every move splits a group
     * and the mean worsening is mostly the split penalty, so the starts
     * run at different scales and the best result is kept. */
    uint64_t mrng = o->seed ^ 0x5A5A5A5A5A5AULL;
    rng_next(&mrng);
    double mean = bld_mean_worsening(c->s, &mrng);
    for (int k = 0; k < c->njobs; k++) {
        start_job *j = &c->jobs[k];
        j->rng = o->seed ^ (0xA5A5A5A5ULL * (uint64_t)(k + 1));
        rng_next(&j->rng);
        j->moves = o->anneal_moves * (double)p->nu;
        /* starts 0-3 at 1, 0.45, 0.2, 0.09 of the mean worsening, then again */
        j->t0 = pow(0.45, k % 4) * mean;
        j->passes = o->max_passes;
        if (!(j->s = bld_state_new(p, c->s->lab, c->nloc)) || !(j->best = loc_malloc(ctx, p->nu * sizeof *j->best)) ||
            !(j->order = loc_malloc(ctx, p->nu * sizeof *j->order)))
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
        st->moves_remembered += c->jobs[k].s->remembered;
        st->anneal_steps += c->jobs[k].s->steps;
        st->anneal_starts++;
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

/* nt workers for pool, each with a memo for the largest council that has
 * starts (its directed edges and its localities); LOC_ENOMEM. */
static loc_status make_workers(loc_ctx *ctx, const council_sub *subs, size_t nc, start_pool *pool,
                               start_worker *workers, int nt)
{
    size_t edges = 1, nloc = 1;
    for (size_t c = 0; c < nc; c++)
        if (subs[c].njobs > 0) {
            size_t e = subs[c].p.astart[subs[c].p.nu];
            edges = e > edges ? e : edges;
            nloc = subs[c].nloc > nloc ? subs[c].nloc : nloc;
        }
    for (int t = 0; t < nt; t++) {
        workers[t].pool = pool;
        if (!(workers[t].memo = loc_malloc(ctx, edges * sizeof *workers[t].memo)) ||
            !(workers[t].lmod = loc_malloc(ctx, nloc * sizeof *workers[t].lmod)))
            return LOC_ENOMEM;
    }
    return LOC_OK;
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
    int nt = threads < 1 ? 1 : threads > MAX_START_THREADS ? MAX_START_THREADS : threads;
    if ((size_t)nt > nj)
        nt = (int)nj;
    start_worker workers[MAX_START_THREADS] = {{0}};
    loc_status st = make_workers(ctx, subs, nc, &pool, workers, nt);
    if (!st && pthread_mutex_init(&pool.lock, NULL) != 0) {
        st = loc_error(ctx, LOC_ENOMEM, "build: cannot create a lock for the local search");
    } else if (!st) {
        run_starts(&pool, workers, nt);
        pthread_mutex_destroy(&pool.lock);
        for (size_t q = 0; q < nj && !st; q++)
            if (pool.jobs[q]->st)
                st = loc_error(ctx, pool.jobs[q]->st, "build: out of memory in the local search");
    }
    for (int t = 0; t < nt; t++) {
        loc_free(ctx, workers[t].memo);
        loc_free(ctx, workers[t].lmod);
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
