/*
 * The null experiment (see calibrate.h).  Shuffle s uses its own random
 * stream (splitmix64 of seed and s), so the result is the same for any
 * thread count; threads take shuffles in turn and each owns a context,
 * because a context's allocator and error slot are not shared between
 * threads.  Each shuffle's counts go to its own slot and are summed in
 * shuffle order at the end.
 */
#include "localities/calibrate.h"
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define MAX_THREADS 16

/* Counts of one shuffle. */
typedef struct shuffle_counts {
    size_t share, domains[LOC_NULL_MAX_K + 1], plan[LOC_NULL_MAX_K + 1];
    size_t tested[2], poorer[2], better[2], share_cmp[2], domains_cmp[2][LOC_NULL_MAX_K + 1];
    int status; /* loc_status of the shuffle's assessment */
} shuffle_counts;

typedef struct job {
    const loc_zones *z;
    const loc_partition *p;
    const loc_assess_opts *opts;
    size_t shuffles, first, step;
    uint64_t seed;
    const uint32_t *rows_by_council; /* zone rows grouped by council */
    const size_t *council_start;     /* ncouncil + 1 offsets into rows_by_council */
    size_t ncouncil;
    shuffle_counts *counts;
} job;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias. */
static size_t below(uint64_t *s, size_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = splitmix64(s);
    while (r >= lim);
    return (size_t)(r % n);
}

/* value_rows for shuffle number k: a Fisher-Yates permutation of each
 * council's rows; rows of no council keep their own values. */
static void make_shuffle(const job *j, size_t k, uint32_t *vr, uint32_t *tmp)
{
    size_t n = loc_zones_count(j->z);
    for (size_t i = 0; i < n; i++)
        vr[i] = (uint32_t)i;
    uint64_t s = j->seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(k + 1));
    for (size_t c = 0; c < j->ncouncil; c++) {
        size_t a = j->council_start[c], m = j->council_start[c + 1] - a;
        memcpy(tmp, j->rows_by_council + a, m * sizeof *tmp);
        for (size_t i = m; i > 1; i--) {
            size_t r = below(&s, i);
            uint32_t t = tmp[i - 1];
            tmp[i - 1] = tmp[r];
            tmp[r] = t;
        }
        for (size_t i = 0; i < m; i++)
            vr[j->rows_by_council[a + i]] = tmp[i];
    }
}

static void count_shuffle(const loc_assess *as, const loc_zones *z, size_t nloc, shuffle_counts *c)
{
    size_t nind = loc_zones_nindicators(z);
    for (size_t k = 0; k < nloc; k++) {
        int share = loc_assess_share_poorer(as, k);
        size_t d = loc_assess_poorer_domains(as, k, LOC_CMP_COUNCIL_REST);
        size_t d2 = loc_assess_poorer_domains(as, k, LOC_CMP_SCOTLAND);
        if (d2 > d)
            d = d2;
        c->share += share;
        size_t dc[2] = {loc_assess_poorer_domains(as, k, LOC_CMP_COUNCIL_REST),
                        loc_assess_poorer_domains(as, k, LOC_CMP_SCOTLAND)};
        for (size_t kk = 1; kk <= LOC_NULL_MAX_K; kk++) {
            c->domains[kk] += d >= kk;
            c->plan[kk] += share || d >= kk;
            for (int cmp = 0; cmp < 2; cmp++)
                c->domains_cmp[cmp][kk] += dc[cmp] >= kk;
        }
        int sc[2] = {0, 0};
        for (size_t jj = 0; jj < nind; jj++)
            for (int cmp = 0; cmp < 2; cmp++) {
                const loc_assess_cell *cell = loc_assess_cell_get(as, k, jj, (loc_comparator)cmp);
                if (!loc_assess_tested(as, jj) || cell->flag == LOC_FLAG_UNRELIABLE)
                    continue;
                c->tested[cmp]++;
                c->poorer[cmp] += cell->flag == LOC_FLAG_POORER;
                c->better[cmp] += cell->flag == LOC_FLAG_BETTER;
                if (loc_zones_indicator(z, jj)->type == LOC_IND_SHARE && cell->flag == LOC_FLAG_POORER)
                    sc[cmp] = 1;
            }
        c->share_cmp[0] += (size_t)sc[0];
        c->share_cmp[1] += (size_t)sc[1];
    }
}

static void *run_job(void *arg)
{
    job *j = arg;
    loc_ctx *ctx = loc_ctx_create(NULL);
    size_t n = loc_zones_count(j->z);
    uint32_t *vr = ctx ? loc_malloc(ctx, (n ? n : 1) * sizeof *vr) : NULL;
    uint32_t *tmp = ctx ? loc_malloc(ctx, (n ? n : 1) * sizeof *tmp) : NULL;
    for (size_t k = j->first; k < j->shuffles; k += j->step) {
        shuffle_counts *c = &j->counts[k];
        if (!vr || !tmp) {
            c->status = LOC_ENOMEM;
            continue;
        }
        make_shuffle(j, k, vr, tmp);
        loc_assess_opts o = *j->opts;
        o.value_rows = vr;
        loc_assess *as = loc_assess_run(ctx, j->z, j->p, &o, NULL, NULL);
        if (!as) {
            c->status = loc_errcode(ctx) ? loc_errcode(ctx) : LOC_ENOMEM;
            continue;
        }
        count_shuffle(as, j->z, loc_partition_count(j->p), c);
        loc_assess_destroy(as);
    }
    if (ctx) {
        loc_free(ctx, vr);
        loc_free(ctx, tmp);
        loc_ctx_destroy(ctx);
    } else {
        for (size_t k = j->first; k < j->shuffles; k += j->step)
            j->counts[k].status = LOC_ENOMEM;
    }
    return NULL;
}

loc_status loc_null_experiment(loc_ctx *ctx, const loc_zones *z, const loc_partition *p,
                               const loc_assess_opts *opts, size_t shuffles, uint64_t seed, int threads,
                               int across, loc_null_result *out)
{
    memset(out, 0, sizeof *out);
    if (!shuffles)
        return loc_error(ctx, LOC_EINVAL, "null experiment: no shuffles asked for");
    loc_assess_opts o;
    if (opts)
        o = *opts;
    else
        loc_assess_opts_init(&o);
    o.value_rows = NULL;
    /* the options are checked once here, on the caller's context */
    loc_assess *probe = loc_assess_run(ctx, z, p, &o, NULL, NULL);
    if (!probe)
        return loc_errcode(ctx);
    out->ndomains = loc_assess_ndomains(probe);
    loc_assess_destroy(probe);
    size_t n = loc_zones_count(z), nc = loc_zones_ncouncils(z);
    const int32_t *council = loc_zones_councils(z);
    const uint32_t *order = loc_zones_rows_by_code(z);
    uint32_t *rows = loc_malloc(ctx, (n ? n : 1) * sizeof *rows);
    size_t *start = loc_calloc(ctx, nc + 2, sizeof *start);
    shuffle_counts *counts = loc_calloc(ctx, shuffles, sizeof *counts);
    loc_status st = LOC_ENOMEM;
    if (!rows || !start || !counts)
        goto done;
    /* rows grouped by council, each group in zone-code order, so that a
     * shuffle does not hang on the sources' row order */
    size_t ngroups = across ? (nc ? 1 : 0) : nc;
#define GROUP(i) (across ? 0 : (size_t)council[i])
    for (size_t i = 0; i < n; i++)
        if (council[i] >= 0)
            start[GROUP(i) + 1]++;
    for (size_t c = 0; c < ngroups; c++)
        start[c + 1] += start[c];
    {
        size_t *fill = loc_malloc(ctx, (nc ? nc : 1) * sizeof *fill);
        if (!fill)
            goto done;
        memcpy(fill, start, ngroups * sizeof *fill);
        for (size_t r = 0; r < n; r++) {
            size_t i = order[r];
            if (council[i] >= 0)
                rows[fill[GROUP(i)]++] = (uint32_t)i;
        }
#undef GROUP
        loc_free(ctx, fill);
    }
    if (threads < 1)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if ((size_t)threads > shuffles)
        threads = (int)shuffles;
    job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){z, p, &o, shuffles, (size_t)t, (size_t)threads, seed, rows, start, ngroups, counts};
        started[t] = t > 0 && pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0;
        if (t > 0 && !started[t])
            run_job(&jobs[t]); /* no thread to be had: do its share here */
    }
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    size_t nloc = loc_partition_count(p), tested[2] = {0, 0}, poorer[2] = {0, 0}, better[2] = {0, 0};
    out->shuffles = shuffles;
    out->localities = nloc;
    double denom = (double)(nloc ? nloc : 1);
    for (size_t k = 0; k < shuffles; k++) {
        const shuffle_counts *c = &counts[k];
        if (c->status) {
            st = loc_error(ctx, (loc_status)c->status, "null experiment: shuffle %zu failed", k + 1);
            goto done;
        }
        out->share_route += (double)c->share / denom;
        for (size_t kk = 1; kk <= LOC_NULL_MAX_K; kk++) {
            out->domains_k[kk] += (double)c->domains[kk] / denom;
            out->plan_k[kk] += (double)c->plan[kk] / denom;
            if ((double)c->plan[kk] / denom > out->plan_k_max[kk])
                out->plan_k_max[kk] = (double)c->plan[kk] / denom;
        }
        for (int cmp = 0; cmp < 2; cmp++) {
            tested[cmp] += c->tested[cmp];
            poorer[cmp] += c->poorer[cmp];
            better[cmp] += c->better[cmp];
            out->share_cmp[cmp] += (double)c->share_cmp[cmp] / denom / (double)shuffles;
            for (size_t kk = 1; kk <= LOC_NULL_MAX_K; kk++)
                out->domains_cmp_k[cmp][kk] += (double)c->domains_cmp[cmp][kk] / denom / (double)shuffles;
        }
    }
    out->share_route /= (double)shuffles;
    for (size_t kk = 1; kk <= LOC_NULL_MAX_K; kk++) {
        out->domains_k[kk] /= (double)shuffles;
        out->plan_k[kk] /= (double)shuffles;
    }
    for (int cmp = 0; cmp < 2; cmp++) {
        out->cell_poorer[cmp] = tested[cmp] ? (double)poorer[cmp] / (double)tested[cmp] : 0;
        out->cell_better[cmp] = tested[cmp] ? (double)better[cmp] / (double)tested[cmp] : 0;
    }
    st = LOC_OK;
done:
    loc_free(ctx, rows);
    loc_free(ctx, start);
    loc_free(ctx, counts);
    return st;
}
