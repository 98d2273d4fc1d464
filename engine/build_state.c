/*
 * The builder's search state and its moves (see builder.c for the
 * problem and the outer loop): a labelling of the units with incremental
 * sums per locality (population, feature sums, soft-group counts, shared
 * boundary), so that the change a move makes costs the unit's degree,
 * features and soft groups, never the locality's size; and the local
 * search on it, greedy descent and annealing.
 */
#include "localities/builder.h"
#include "internal.h"
#include "build_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Search state: a labelling of the units with incremental sums
 * --------------------------------------------------------------------- */



/* Soft counts: each soft group's (locality, count) list, scanned in
 * place.  A group touches few localities (an intermediate zone, about six
 * data zones, touches one to three), so a scan of its list costs less than
 * a hash probe and stays in one cache line. */

/* The slot of locality loc in group g's list, or the list's end. */
static size_t soft_find(const loc_build_state *s, uint32_t g, int32_t loc)
{
    size_t i = s->p->gstart[g], end = i + s->gtouch[g];
    while (i < end && s->gloc[i] != loc)
        i++;
    return i;
}

/* Add d to group g's count in loc; a count that falls to zero leaves the
 * list (the last entry fills its slot).  The list never outgrows its
 * slots: every locality in it holds at least one of the group's units. */
static void soft_add(loc_build_state *s, uint32_t g, int32_t loc, int32_t d)
{
    size_t i = soft_find(s, g, loc), end = s->p->gstart[g] + s->gtouch[g];
    if (i == end) {
        s->gloc[i] = loc;
        s->gcnt[i] = 0;
        s->gtouch[g]++;
    }
    s->gcnt[i] = (uint32_t)((int32_t)s->gcnt[i] + d);
    if (!s->gcnt[i]) {
        end = s->p->gstart[g] + --s->gtouch[g];
        s->gloc[i] = s->gloc[end];
        s->gcnt[i] = s->gcnt[end];
    }
}

void loc_build_state_destroy(loc_build_state *s)
{
    if (!s)
        return;
    loc_ctx *ctx = s->p->ctx;
    loc_free(ctx, s->lab);
    loc_free(ctx, s->node_lab);
    loc_free(ctx, s->lpop);
    loc_free(ctx, s->lcount);
    loc_free(ctx, s->lcouncil);
    loc_free(ctx, s->lf);
    loc_free(ctx, s->lh);
    loc_free(ctx, s->gloc);
    loc_free(ctx, s->gcnt);
    loc_free(ctx, s->gtouch);
    loc_free(ctx, s->stamp);
    loc_free(ctx, s->queue);
    loc_free(ctx, s->cand);
    loc_free(ctx, s->cand_len);
    if (s->owns_problem)
        bld_problem_free(&s->own);
    loc_free(ctx, s);
}

/* Recompute every sum from the unit labels. */
void bld_state_recompute(loc_build_state *s)
{
    const problem *p = s->p;
    size_t nf3 = p->nf * 3;
    memset(s->lpop, 0, s->nloc * sizeof *s->lpop);
    memset(s->lcount, 0, s->nloc * sizeof *s->lcount);
    memset(s->lf, 0, s->nloc * (nf3 ? nf3 : 1) * sizeof *s->lf);
    memset(s->gtouch, 0, p->ngroups_all * sizeof *s->gtouch);
    for (size_t u = 0; u < p->nu; u++) {
        int32_t l = s->lab[u];
        s->lpop[l] += p->upop[u];
        s->lcount[l]++;
        s->lcouncil[l] = p->ucouncil[u];
        const double *uf = p->uf + u * nf3;
        double *lf = s->lf + (size_t)l * nf3;
        for (size_t k = 0; k < nf3; k++)
            lf[k] += uf[k];
        for (size_t k = p->sstart[u]; k < p->sstart[u + 1]; k++)
            soft_add(s, p->sgid[k], l, (int32_t)p->scnt[k]);
    }
    s->H = 0;
    for (size_t l = 0; l < s->nloc; l++) {
        s->lh[l] = bld_loc_het(p, s->lf + l * nf3);
        s->H += s->lh[l];
    }
    s->C = 0;
    for (size_t u = 0; u < p->nu; u++)
        for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++)
            if (p->adj[e] > u && s->lab[p->adj[e]] != s->lab[u])
                s->C += p->alen[e];
    s->P = 0;
    for (size_t g = 0; g < p->ngroups_all; g++)
        s->P += s->gtouch[g] > 1;
    for (size_t i = 0; i < p->n; i++)
        s->node_lab[i] = s->lab[p->unit_of[i]];
}

double bld_state_objective(const loc_build_state *s)
{
    return s->p->kh * s->H + s->p->kc * s->C + s->p->ks * s->P;
}

/* A state over units; labels given per unit. */
loc_build_state *bld_state_new(const problem *p, const int32_t *ulab, size_t nloc)
{
    loc_ctx *ctx = p->ctx;
    loc_build_state *s = loc_calloc(ctx, 1, sizeof *s);
    if (!s)
        return NULL;
    s->p = p;
    s->nloc = nloc;
    size_t nu = p->nu ? p->nu : 1, nl = nloc ? nloc : 1, nf3 = p->nf ? p->nf * 3 : 1;
    size_t pairs = p->sstart[p->nu] ? p->sstart[p->nu] : 1, ng = p->ngroups_all ? p->ngroups_all : 1;
    if (!(s->lab = loc_malloc(ctx, nu * sizeof *s->lab)) ||
        !(s->node_lab = loc_malloc(ctx, (p->n ? p->n : 1) * sizeof *s->node_lab)) ||
        !(s->lpop = loc_malloc(ctx, nl * sizeof *s->lpop)) || !(s->lcount = loc_malloc(ctx, nl * sizeof *s->lcount)) ||
        !(s->lcouncil = loc_malloc(ctx, nl * sizeof *s->lcouncil)) ||
        !(s->lf = loc_malloc(ctx, nl * nf3 * sizeof *s->lf)) || !(s->lh = loc_malloc(ctx, nl * sizeof *s->lh)) ||
        !(s->gloc = loc_malloc(ctx, pairs * sizeof *s->gloc)) || !(s->gcnt = loc_malloc(ctx, pairs * sizeof *s->gcnt)) ||
        !(s->gtouch = loc_calloc(ctx, ng, sizeof *s->gtouch)) ||
        !(s->stamp = loc_calloc(ctx, nu, sizeof *s->stamp)) || !(s->queue = loc_malloc(ctx, nu * sizeof *s->queue)) ||
        !(s->cand = loc_malloc(ctx, nu * sizeof *s->cand)) || !(s->cand_len = loc_malloc(ctx, nu * sizeof *s->cand_len))) {
        loc_build_state_destroy(s);
        return NULL;
    }
    memcpy(s->lab, ulab, p->nu * sizeof *s->lab);
    bld_state_recompute(s);
    return s;
}

/* Forget every memoised move: tick 0, no locality changed, no entry
 * (B = -1 matches no locality). */
static void memo_clear(loc_build_state *s)
{
    const problem *p = s->p;
    memset(s->memo, 0xff, (p->astart[p->nu] ? p->astart[p->nu] : 1) * sizeof *s->memo);
    memset(s->lmod, 0, (s->nloc ? s->nloc : 1) * sizeof *s->lmod);
    s->tick = 0;
}

void bld_state_lend_memo(loc_build_state *s, move_memo *memo, uint32_t *lmod)
{
    s->memo = memo; /* cleared by bld_anneal as it starts */
    s->lmod = lmod;
}

static uint32_t next_stamp(loc_build_state *s)
{
    if (++s->cur == 0) {
        memset(s->stamp, 0, s->p->nu * sizeof *s->stamp);
        s->cur = 1;
    }
    return s->cur;
}

/* Heterogeneity change of taking unit u out of A and into B: the sums
 * over the features, nf of them (a constant when inlined from
 * delta_het, so that the loop unrolls; the same operations in the same
 * order whichever way it is compiled). */
static inline __attribute__((always_inline)) double het_sides(const double *uf, const double *fa, const double *fb,
                                                            size_t nf)
{
    double ha = 0, hb = 0;
    for (size_t k = 0; k < nf; k++) {
        const double *x = uf + 3 * k, *a = fa + 3 * k, *b = fb + 3 * k;
        double wa = a[0] - x[0], sa = a[1] - x[1], qa = a[2] - x[2];
        double wb = b[0] + x[0], sb = b[1] + x[1], qb = b[2] + x[2];
        if (wa > 1e-9 * a[0] && wa > 0)
            ha += qa - sa * sa / wa;
        if (wb > 0)
            hb += qb - sb * sb / wb;
    }
    return ha + hb;
}

static inline double delta_het(const loc_build_state *s, uint32_t u, int32_t A, int32_t B)
{
    const problem *p = s->p;
    size_t nf = p->nf;
    const double *uf = p->uf + (size_t)u * nf * 3, *fa = s->lf + (size_t)A * nf * 3, *fb = s->lf + (size_t)B * nf * 3;
    double h;
    switch (nf) { /* the default build has two features */
    case 1:
        h = het_sides(uf, fa, fb, 1);
        break;
    case 2:
        h = het_sides(uf, fa, fb, 2);
        break;
    default:
        h = het_sides(uf, fa, fb, nf);
        break;
    }
    return h - s->lh[A] - s->lh[B];
}

/* Soft-split change of moving unit u from A to B: a group counts once it
 * touches two localities or more, so splits gather in groups already
 * split and the rest stay whole (the share kept whole is what an analyst
 * reads). */
static inline double delta_soft(const loc_build_state *s, uint32_t u, int32_t A, int32_t B)
{
    const problem *p = s->p;
    double d = 0;
    for (size_t k = p->sstart[u]; k < p->sstart[u + 1]; k++) {
        uint32_t g = p->sgid[k], before = s->gtouch[g], ca = 0, cb = 0;
        /* one pass over the group's short list for both counts */
        for (size_t i = p->gstart[g], end = i + before; i < end; i++) {
            int32_t l = s->gloc[i];
            uint32_t c = s->gcnt[i];
            ca = l == A ? c : ca;
            cb = l == B ? c : cb;
        }
        uint32_t after = before - (ca == p->scnt[k]) + (cb == 0);
        d += (double)(after > 1) - (double)(before > 1);
    }
    return d;
}

/* Boundary length from u to localities A and B, in one pass over u's
 * edges (the compactness change of a move is their difference). */
static inline double len_diff(const loc_build_state *s, uint32_t u, int32_t A, int32_t B)
{
    const problem *p = s->p;
    double la = 0, lb = 0;
    /* without branches: which locality a neighbour is in is a coin toss
     * to the predictor, and adding an exact 0 leaves a sum as it was */
    for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
        int32_t l = s->lab[p->adj[e]];
        double w = p->alen[e];
        la += l == A ? w : 0.0;
        lb += l == B ? w : 0.0;
    }
    return la - lb;
}

static double bld_move_delta(loc_build_state *s, uint32_t u, int32_t B)
{
    const problem *p = s->p;
    int32_t A = s->lab[u];
    if (A == B)
        return 0;
    s->evaluated++;
    double d = p->kh * delta_het(s, u, A, B) + p->kc * len_diff(s, u, A, B);
    return p->sstart[u] == p->sstart[u + 1] ? d : d + p->ks * delta_soft(s, u, A, B);
}

/* Does locality A stay connected without unit u?  First the cheap test:
 * u's neighbours in A, linked among themselves; then a search of A from
 * one of them that stops as soon as all are reached. */
static int bld_stays_connected(loc_build_state *s, uint32_t u)
{
    const problem *p = s->p;
    int32_t A = s->lab[u];
    uint32_t mark = next_stamp(s);
    size_t nn = 0;
    uint32_t *nbr = s->cand; /* borrowed scratch: u's neighbours in A */
    for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
        uint32_t v = p->adj[e];
        if (s->lab[v] == A && s->stamp[v] != mark) {
            s->stamp[v] = mark;
            nbr[nn++] = v;
        }
    }
    if (nn <= 1)
        return 1;
    /* local: search among u's A-neighbours only */
    uint32_t local = next_stamp(s);
    size_t head = 0, tail = 0, reached = 0;
    s->queue[tail++] = nbr[0];
    s->stamp[nbr[0]] = local;
    while (head < tail) {
        uint32_t v = s->queue[head++];
        reached++;
        for (size_t e = p->astart[v]; e < p->astart[v + 1]; e++) {
            uint32_t w = p->adj[e];
            if (s->stamp[w] == mark) {
                s->stamp[w] = local;
                s->queue[tail++] = w;
            }
        }
    }
    if (reached == nn)
        return 1;
    /* full search of A without u, until every neighbour is reached */
    s->searches++;
    for (size_t k = 0; k < nn; k++)
        s->stamp[nbr[k]] = mark; /* 'mark' = a neighbour not yet reached */
    uint32_t seen = next_stamp(s);
    size_t left = nn;
    head = tail = 0;
    s->queue[tail++] = nbr[0];
    s->stamp[nbr[0]] = seen;
    left--;
    s->stamp[u] = seen; /* never enter u */
    while (head < tail && left) {
        uint32_t v = s->queue[head++];
        for (size_t e = p->astart[v]; e < p->astart[v + 1]; e++) {
            uint32_t w = p->adj[e];
            if (s->lab[w] != A || s->stamp[w] == seen)
                continue;
            if (s->stamp[w] == mark)
                left--;
            s->stamp[w] = seen;
            s->queue[tail++] = w;
        }
    }
    return left == 0;
}

/* Population and council rules for moving u from A to B. */
static inline int bld_bounds_ok(const loc_build_state *s, uint32_t u, int32_t B)
{
    const problem *p = s->p;
    int32_t A = s->lab[u];
    if (A == B || s->lcount[A] <= 1 || s->lcouncil[B] != p->ucouncil[u])
        return 0;
    if (s->lpop[B] + p->upop[u] > p->o.max_pop)
        return 0;
    /* the floor: A may not go below it, nor further below it */
    if (p->upop[u] > 0 && s->lpop[A] - p->upop[u] < p->o.min_pop)
        return 0;
    return 1;
}

static int bld_adjacent_to(const loc_build_state *s, uint32_t u, int32_t B)
{
    const problem *p = s->p;
    for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++)
        if (s->lab[p->adj[e]] == B)
            return 1;
    return 0;
}

static void bld_apply_move(loc_build_state *s, uint32_t u, int32_t B)
{
    const problem *p = s->p;
    int32_t A = s->lab[u];
    size_t nf3 = p->nf * 3;
    double dc = len_diff(s, u, A, B), dp = delta_soft(s, u, A, B);
    const double *uf = p->uf + (size_t)u * nf3;
    double *fa = s->lf + (size_t)A * nf3, *fb = s->lf + (size_t)B * nf3;
    for (size_t k = 0; k < nf3; k++) {
        fa[k] -= uf[k];
        fb[k] += uf[k];
    }
    s->H -= s->lh[A] + s->lh[B];
    s->lh[A] = bld_loc_het(p, fa);
    s->lh[B] = bld_loc_het(p, fb);
    s->H += s->lh[A] + s->lh[B];
    s->C += dc;
    s->P += dp;
    /* A's count first: a group leaving A frees its slot before B takes one */
    for (size_t k = p->sstart[u]; k < p->sstart[u + 1]; k++) {
        soft_add(s, p->sgid[k], A, -(int32_t)p->scnt[k]);
        soft_add(s, p->sgid[k], B, (int32_t)p->scnt[k]);
    }
    s->lpop[A] -= p->upop[u];
    s->lpop[B] += p->upop[u];
    s->lcount[A]--;
    s->lcount[B]++;
    s->lab[u] = B;
    for (size_t k = p->mstart[u]; k < p->mstart[u + 1]; k++)
        s->node_lab[p->members[k]] = B;
    s->made++;
    if (s->memo) {
        if (s->tick == UINT32_MAX)
            memo_clear(s);
        s->lmod[A] = s->lmod[B] = ++s->tick;
    }
}

/* ---------------------------------------------------------------------
 * Local search
 * --------------------------------------------------------------------- */

/* Candidate localities of u: its neighbours' localities in its council,
 * other than its own; deduplicated. */
static size_t candidates(loc_build_state *s, uint32_t u, uint32_t *out, size_t cap)
{
    const problem *p = s->p;
    int32_t A = s->lab[u];
    size_t nc = 0;
    for (size_t e = p->astart[u]; e < p->astart[u + 1]; e++) {
        int32_t l = s->lab[p->adj[e]];
        if (l == A || s->lcouncil[l] != p->ucouncil[u])
            continue;
        size_t k = 0;
        while (k < nc && out[k] != (uint32_t)l)
            k++;
        if (k == nc && nc < cap)
            out[nc++] = (uint32_t)l;
    }
    return nc;
}

/* Greedy descent: best improving move of each unit in a random order,
 * pass after pass, until a pass makes no move. */
loc_status bld_descend(loc_build_state *s, uint32_t *order, uint64_t *rng, int max_passes)
{
    const problem *p = s->p;
    uint32_t cand[64];
    for (int pass = 0; pass < max_passes; pass++) {
        size_t moved = 0;
        shuffle(order, p->nu, rng);
        for (size_t k = 0; k < p->nu; k++) {
            uint32_t u = order[k];
            int32_t A = s->lab[u];
            if (s->lcount[A] <= 1 || (p->upop[u] > 0 && s->lpop[A] - p->upop[u] < p->o.min_pop))
                continue;
            size_t nc = candidates(s, u, cand, sizeof cand / sizeof *cand);
            double best = -1e-12;
            int32_t bestB = -1;
            for (size_t c = 0; c < nc; c++) {
                int32_t B = (int32_t)cand[c];
                if (!bld_bounds_ok(s, u, B))
                    continue;
                double d = bld_move_delta(s, u, B);
                if (d < best) {
                    best = d;
                    bestB = B;
                }
            }
            if (bestB >= 0 && bld_stays_connected(s, u)) {
                bld_apply_move(s, u, bestB);
                moved++;
            }
        }
        if (!moved)
            break;
    }
    return LOC_OK;
}

/* The mean worsening of a sample of 2,000 random picks (a unit and one of
 * its neighbours' localities): what the starting temperature is scaled
 * from; 0 when no pick worsens. */
double bld_mean_worsening(loc_build_state *s, uint64_t *rng)
{
    const problem *p = s->p;
    double sum = 0;
    size_t cnt = 0;
    for (int t = 0; t < 2000; t++) {
        uint32_t u = rng_below(rng, (uint32_t)p->nu);
        size_t deg = p->astart[u + 1] - p->astart[u];
        if (!deg)
            continue;
        int32_t B = s->lab[p->adj[p->astart[u] + rng_below(rng, (uint32_t)deg)]];
        if (!bld_bounds_ok(s, u, B))
            continue;
        double d = bld_move_delta(s, u, B);
        if (d > 0) {
            sum += d;
            cnt++;
        }
    }
    return cnt ? sum / (double)cnt : 0;
}

/* The generator's blocks (build_internal.h, rng_stream): vectorised
 * where the processor has 64-bit vector multiplies (AVX-512DQ; not under
 * valgrind, which hides it), the same loop otherwise. */
#define RNG_FILL_BODY                                                                                                  \
    for (unsigned i = 0; i < RNG_BLOCK; i++) {                                                                         \
        uint64_t z = state + (uint64_t)(i + 1) * RNG_GAMMA;                                                            \
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;                                                                   \
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;                                                                   \
        buf[i] = z ^ (z >> 31);                                                                                        \
    }

static void rng_fill_plain(uint64_t state, uint64_t *restrict buf) { RNG_FILL_BODY }

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_RNG_FILL_WIDE 1
__attribute__((target("avx512f,avx512dq"))) static void rng_fill_wide(uint64_t state, uint64_t *restrict buf)
{
    RNG_FILL_BODY
}
#endif

static int rng_plain_only, memo_off;

void bld_memo_off(int on) { memo_off = on; }

void bld_rng_plain(int on) { rng_plain_only = on; }

void bld_rng_fill(uint64_t state, uint64_t *buf)
{
#ifdef HAVE_RNG_FILL_WIDE
    if (!rng_plain_only && __builtin_cpu_supports("avx512dq")) {
        rng_fill_wide(state, buf);
        return;
    }
#endif
    rng_fill_plain(state, buf);
}

/* Whether a worse move of u from A to B is turned down at temperature T,
 * drawing from r exactly as the plain test (delta, then one draw against
 * exp(-delta / T)) would.  The boundary term is added last: it is at
 * least minus u's whole boundary, so heterogeneity and soft splits alone
 * often show the move worse than 38 T, which only a zero draw accepts
 * (exp(-38) < 2^-54, below every draw but 0); then the draw is made as it
 * would be and the boundary pass over u's edges is skipped: the same
 * draws, the same moves, less work.  Both terms are remembered in the memo
 * slot of u's edge e and used again while neither A nor B has changed
 * since (the same sums give the same values, bit for bit); the soft term
 * is costed afresh, as a group's count in a third locality changes it. */
static int anneal_refuses(loc_build_state *s, rng_stream *r, uint32_t u, size_t e, int32_t A, int32_t B, double T)
{
    const problem *p = s->p;
    s->evaluated++;
    move_memo *m = &s->memo[e];
    int known = m->B == B && m->t >= s->lmod[A] && m->t >= s->lmod[B] && !memo_off;
    s->remembered += known;
    if (!known) {
        m->B = B;
        m->t = s->tick;
        m->dh = p->kh * delta_het(s, u, A, B);
        m->c = NAN;
    }
    int has_soft = p->sstart[u] != p->sstart[u + 1];
    double ds = has_soft ? p->ks * delta_soft(s, u, A, B) : 0;
    if (isnan(m->c)) {
        double dh = m->dh, cmax = p->kc * p->ulen[u];
        if (dh - cmax + ds > 38 * T + 1e-12 * (fabs(dh) + cmax + fabs(ds)))
            return rs_unit(r) > 0;
        m->c = dh + p->kc * len_diff(s, u, A, B);
    }
    double d = m->c;
    if (has_soft)
        d += ds;
    if (!(d > 0))
        return 0;
    double x = rs_unit(r);
    return d > 38 * T ? x > 0 : bld_draw_refuses(x, d / T);
}

/* One temperature step: per random picks (a unit and one of its
 * neighbours' localities) at temperature T; returns the moves made.  The
 * generator's state is copied into a local for the step so that it stays
 * in a register: most picks end after two draws and a few loads (they fall
 * inside a locality), so the draws are a large share of the step. */
static uint64_t anneal_step(loc_build_state *s, uint64_t *rng, size_t per, double T)
{
    const problem *p = s->p;
    rng_stream r;
    rs_open(&r, *rng);
    uint64_t made = s->made;
    uint32_t nu = (uint32_t)p->nu;
    for (size_t m = 0; m < per; m++) {
        uint32_t u = rs_below(&r, nu);
        size_t e0 = p->astart[u], deg = p->astart[u + 1] - e0;
        if (!deg)
            continue;
        size_t e = e0 + rs_below(&r, (uint32_t)deg);
        int32_t A = s->lab[u], B = s->lab[p->adj[e]];
        if (B == A || !bld_bounds_ok(s, u, B)) /* most picks are inside a locality */
            continue;
        if (anneal_refuses(s, &r, u, e, A, B, T) || !bld_stays_connected(s, u))
            continue;
        bld_apply_move(s, u, B);
    }
    *rng = rs_close(&r);
    return s->made - made;
}

/* Simulated annealing from t0: random boundary moves, a worse one
 * accepted with probability exp(-delta / T), T falling geometrically over
 * 50 steps to t0 / 1000.  The best labelling seen at the end of each step
 * is kept in best.  A start ends after a step in which it made no move:
 * it is frozen, the steps left are colder still, and the greedy descent
 * that follows it (run_job) makes the improving moves they would find.
 * On all of Scotland that saves a quarter of the annealing's time at a
 * cost in the objective a twentieth of the spread between seeds (README,
 * "When a start stops").  s must have a memo lent (bld_state_lend_memo). */
loc_status bld_anneal(loc_build_state *s, uint64_t *rng, double moves, double t0, int32_t *best, double *best_obj)
{
    const problem *p = s->p;
    /* best starts as the current labelling, whatever happens below */
    *best_obj = bld_state_objective(s);
    memcpy(best, s->lab, p->nu * sizeof *best);
    if (p->nu < 2 || moves < 1 || !(t0 > 0))
        return LOC_OK;
    memo_clear(s);
    double t1 = t0 * 1e-3;
    const int steps = 50;
    size_t per = (size_t)(moves / steps) + 1;
    double T = t0, cool = pow(t1 / t0, 1.0 / steps);
    for (int step = 0, moved = 1; step < steps && moved; step++, T *= cool) {
        moved = anneal_step(s, rng, per, T) > 0;
        s->steps++;
        double obj = bld_state_objective(s);
        if (obj < *best_obj) {
            *best_obj = obj;
            memcpy(best, s->lab, p->nu * sizeof *best);
        }
    }
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Evaluation and the exposed state
 * --------------------------------------------------------------------- */

/* The objective straight from node labels, without the unit machinery:
 * what a test compares the incremental state with. */
loc_status loc_build_evaluate(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts,
                              const int32_t *labels, size_t nloc, double *objective, double *r2, double *compact_cut,
                              double *soft_split)
{
    problem p;
    loc_status st = bld_problem_init(&p, ctx, in, opts);
    if (st)
        return st;
    size_t n = in->n, nf = in->nfeat;
    double *w = loc_calloc(ctx, (nloc ? nloc : 1) * (nf ? nf : 1) * 3, sizeof *w);
    if (!w) {
        bld_problem_free(&p);
        return LOC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= nloc) {
            st = loc_error(ctx, LOC_EINVAL, "build: label %ld out of range (%zu localities)", (long)labels[i], nloc);
            goto done;
        }
    /* heterogeneity from the unit sums per locality (units are additive) */
    for (size_t u = 0; u < p.nu; u++) {
        int32_t l = labels[p.members[p.mstart[u]]];
        for (size_t k = 0; k < nf * 3; k++)
            w[(size_t)l * nf * 3 + k] += p.uf[u * nf * 3 + k];
    }
    double H = 0, C = 0, P = 0;
    for (size_t l = 0; l < nloc; l++)
        H += bld_loc_het(&p, w + l * nf * 3);
    const loc_graph *g = in->graph;
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < loc_graph_degree(g, i); e++) {
            uint32_t j = loc_graph_neighbours(g, i)[e];
            if (j > i && labels[j] != labels[i])
                C += loc_graph_row_lengths(g, i)[e];
        }
    /* soft splits: distinct (group, locality) pairs minus groups */
    for (size_t gi = 0; gi < in->ngroupings; gi++) {
        const loc_build_grouping *gr = &in->groupings[gi];
        if (gr->hard)
            continue;
        keyed *k = loc_malloc(ctx, (n ? n : 1) * sizeof *k);
        if (!k) {
            st = LOC_ENOMEM;
            goto done;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (gr->member[i] >= 0)
                k[m++] = (keyed){(uint64_t)gr->member[i] << 32 | (uint32_t)labels[i], 0};
        qsort(k, m, sizeof *k, bld_cmp_keyed);
        /* a group is split when its run of sorted pairs holds two
         * localities */
        for (size_t i = 0; i < m;) {
            size_t j = i;
            int split = 0;
            while (j < m && k[j].key >> 32 == k[i].key >> 32) {
                split |= k[j].key != k[i].key;
                j++;
            }
            P += split;
            i = j;
        }
        loc_free(ctx, k);
    }
    if (objective)
        *objective = p.kh * H + p.kc * C + p.ks * P;
    if (r2)
        *r2 = p.htot > 0 ? 1 - H / p.htot : 1;
    if (compact_cut)
        *compact_cut = p.ctot > 0 ? C / p.ctot : 0;
    if (soft_split)
        *soft_split = p.ptot > 0 ? P / p.ptot : 0;
done:
    loc_free(ctx, w);
    bld_problem_free(&p);
    return st;
}

loc_build_state *loc_build_state_create(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts,
                                        const int32_t *labels, size_t nloc)
{
    problem p;
    if (bld_problem_init(&p, ctx, in, opts))
        return NULL;
    int32_t *ulab = loc_malloc(ctx, (p.nu ? p.nu : 1) * sizeof *ulab);
    loc_build_state *s = NULL;
    if (!ulab || bld_unit_labels(&p, labels, nloc, ulab)) {
        loc_free(ctx, ulab);
        bld_problem_free(&p);
        return NULL;
    }
    /* the state keeps its own copy of the problem */
    s = loc_calloc(ctx, 1, sizeof *s);
    if (!s) {
        loc_free(ctx, ulab);
        bld_problem_free(&p);
        return NULL;
    }
    s->own = p;
    loc_build_state *t = bld_state_new(&s->own, ulab, nloc);
    loc_free(ctx, ulab);
    if (!t) {
        bld_problem_free(&s->own);
        loc_free(ctx, s);
        return NULL;
    }
    /* move the problem into t */
    t->own = s->own;
    t->p = &t->own;
    t->owns_problem = 1;
    loc_free(ctx, s);
    return t;
}

double loc_build_state_objective(const loc_build_state *s) { return bld_state_objective(s); }

double loc_build_state_delta(loc_build_state *s, size_t node, int32_t to)
{
    return bld_move_delta(s, s->p->unit_of[node], to);
}

int loc_build_state_move_ok(loc_build_state *s, size_t node, int32_t to)
{
    uint32_t u = s->p->unit_of[node];
    if (to < 0 || (size_t)to >= s->nloc)
        return 0;
    return bld_bounds_ok(s, u, to) && bld_adjacent_to(s, u, to) && bld_stays_connected(s, u);
}

void loc_build_state_apply(loc_build_state *s, size_t node, int32_t to)
{
    uint32_t u = s->p->unit_of[node];
    if (s->lab[u] != to)
        bld_apply_move(s, u, to);
}

const int32_t *loc_build_state_labels(const loc_build_state *s, size_t *nloc)
{
    if (nloc)
        *nloc = s->nloc;
    return s->node_lab;
}

