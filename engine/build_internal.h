/*
 * What the builder's files share (builder.c: the problem, councils and the
 * result; build_state.c: the search state, moves and local search;
 * build_construct.c: the construction) and nothing else sees: the small
 * tools (a clock, the random generator, union-find), the problem on units
 * and the search state, and the functions one file calls in another.
 */
#ifndef LOCALITIES_BUILD_INTERNAL_H
#define LOCALITIES_BUILD_INTERNAL_H

#include "localities/builder.h"
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>


/* ---------------------------------------------------------------------
 * Small tools
 * --------------------------------------------------------------------- */

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* splitmix64: seeds and a small fast generator in one. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

static inline uint32_t rng_below(uint64_t *s, uint32_t n) { return (uint32_t)(((rng_next(s) >> 32) * n) >> 32); }

/* splitmix64's stream drawn ahead in blocks: its n-th draw is a function
 * of the state plus n times its increment, so a block is computed at once
 * (bld_rng_fill, vectorised where it can be) and handed out in order; the
 * state afterwards is the state plus the draws handed out, so every draw
 * is the one rng_next would give and a stream can stop anywhere.  The
 * annealing loop draws two or three numbers a pick and most picks end
 * after them: drawn one at a time they were a fifth of its instructions. */
#define RNG_BLOCK 64
#define RNG_GAMMA 0x9E3779B97F4A7C15ULL
typedef struct rng_stream {
    uint64_t next_state; /* the state before the next block's first draw */
    unsigned pos;        /* draws of buf handed out */
    uint64_t buf[RNG_BLOCK];
} rng_stream;

/* buf[i] = the (i + 1)-th draw after state (build_state.c). */
void bld_rng_fill(uint64_t state, uint64_t *buf);
/* Tests: 1 fills blocks with the plain loop even where the vectorised
 * one runs, so that both are compared with rng_next. */
void bld_rng_plain(int on);
/* Tests: 1 makes the annealing cost every move afresh, as if its memo
 * (bld_state_lend_memo) never held the move, so that both are compared. */
void bld_memo_off(int on);

static inline void rs_open(rng_stream *q, uint64_t state)
{
    q->next_state = state;
    q->pos = RNG_BLOCK;
}

static inline uint64_t rs_next(rng_stream *q)
{
    if (q->pos == RNG_BLOCK) {
        bld_rng_fill(q->next_state, q->buf);
        q->next_state += RNG_BLOCK * RNG_GAMMA;
        q->pos = 0;
    }
    return q->buf[q->pos++];
}

/* The state after the draws handed out, as if drawn one by one. */
static inline uint64_t rs_close(const rng_stream *q)
{
    return q->next_state - (uint64_t)(RNG_BLOCK - q->pos) * RNG_GAMMA;
}

static inline uint32_t rs_below(rng_stream *q, uint32_t n) { return (uint32_t)(((rs_next(q) >> 32) * n) >> 32); }

static inline double rs_unit(rng_stream *q) { return (double)(rs_next(q) >> 11) * (1.0 / 9007199254740992.0); }

/* x >= exp(-z) for 0 < z <= 38, as exp itself would answer, mostly
 * without it: 1 - z + z^2/2 - z^3/6 <= exp(-z) <= 1 / (1 + z + z^2/2), and
 * a draw clear of either bound by far more than the rounding of the bounds
 * and of exp (a few parts in 10^16) is answered by the bound; exp is
 * called for the draws between the bounds (about 7% of draws at z = 1,
 * 12% at z = 3, 2% at z = 10, fewer below 1). */
static inline int bld_draw_refuses(double x, double z)
{
    double z2 = z * z;
    if (x * (1 + z + 0.5 * z2) > 1 + 1e-12)
        return 1;
    if (x < 1 - z + 0.5 * z2 - z2 * z * (1.0 / 6) - 1e-12)
        return 0;
    return x >= exp(-z);
}

static inline void shuffle(uint32_t *a, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        uint32_t j = rng_below(s, (uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static inline uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}


/* The graph as compressed rows: the caller's graph, or a council's part of
 * it with its own numbering (see council_sub). */
typedef struct csr {
    const size_t *off;      /* n + 1 row starts */
    const uint32_t *adj;    /* neighbours, ascending in each row */
    const double *len;      /* shared length per directed edge */
    const uint8_t *kind;    /* loc_edge_kind per directed edge */
} csr;

typedef struct problem {
    loc_ctx *ctx;
    const loc_build_input *in;
    csr g;                  /* the graph of in's nodes */
    loc_build_opts o;
    size_t n, nu, nf;
    uint32_t *unit_of;      /* node -> unit */
    size_t *mstart;         /* unit -> nodes, CSR */
    uint32_t *members;
    double *upop;
    int32_t *ucouncil;
    double *uf;             /* nu * nf * 3: W, S, Q */
    size_t *astart;         /* unit edges, CSR */
    uint32_t *adj;
    double *alen;
    double *ulen;           /* per unit: its whole boundary with other units (sum of alen) */
    size_t *sstart;         /* unit soft memberships, CSR */
    uint64_t *skey;         /* grouping << 32 | group */
    uint32_t *scnt;         /* nodes of the unit in that group */
    uint32_t *sgid;         /* the group's index over every soft grouping */
    size_t ngroups_all;     /* soft groups over every soft grouping (ids of sgid) */
    size_t *gstart;         /* per soft group, its slots in a state's (locality, count) lists: one per unit in
                               it, as many as the localities it can touch (ngroups_all + 1 starts) */
    size_t nsoftgroups;     /* soft groups with a node: P_total */
    double htot, ctot, ptot;
    double kh, kc, ks;      /* weight / normaliser per term */
} problem;

struct loc_build_state {
    const problem *p;
    problem own;            /* filled when the state was created on its own */
    int owns_problem;
    size_t nloc;
    int32_t *lab;           /* per unit */
    int32_t *node_lab;      /* per node, kept for loc_build_state_labels */
    double *lpop;
    uint32_t *lcount;
    int32_t *lcouncil;
    double *lf;             /* nloc * nf * 3 */
    double *lh;             /* heterogeneity per locality */
    /* soft counts: per soft group, the localities it touches with its
     * nodes in each, in slots gstart[g].. of the problem, gtouch[g] of them
     * in use (no zero counts kept); small lists scanned in place, never
     * grown, so that the starts' threads never reach the allocator */
    int32_t *gloc;
    uint32_t *gcnt;
    uint32_t *gtouch;       /* per soft group: localities it touches */
    double H, C, P;         /* raw terms; P: soft groups split */
    uint32_t *stamp, cur;   /* per unit, for searches */
    uint32_t *queue;
    uint32_t *cand;         /* candidate localities of a move */
    double *cand_len;
    uint64_t evaluated, made, searches, remembered, steps;
    /* The annealing's memo of costed moves, lent for one annealing
     * (bld_state_lend_memo; NULL otherwise): per directed edge of a unit,
     * the last move costed through it, kept while neither locality has
     * changed since */
    struct move_memo *memo;
    uint32_t *lmod;         /* per locality: the tick of its last change */
    uint32_t tick;          /* moves made since the memo was cleared */
};

/* A move of unit u (the edge's tail) to locality B, costed at tick t:
 * dh, its heterogeneity term (weighted); c, dh plus its boundary term, or
 * NAN where the boundary was not needed to turn it down. */
typedef struct move_memo {
    int32_t B;
    uint32_t t;
    double dh, c;
} move_memo;

/* A node with a sort key (bld_cmp_keyed orders by key, then node). */
typedef struct keyed {
    uint64_t key;
    uint32_t node;
} keyed;

/* builder.c */
void bld_problem_free(problem *p);
loc_status bld_problem_init(problem *p, loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o);
int bld_cmp_keyed(const void *a, const void *b);
/* Unit labels from node labels; LOC_EINVAL when a hard unit is split. */
loc_status bld_unit_labels(const problem *p, const int32_t *labels, size_t nloc, int32_t *ulab);

/* build_state.c: the search state and its moves, the local search, and
 * the state as the public API exposes it (loc_build_state_*, evaluation) */
/* A locality's heterogeneity from its feature sums (W, S, Q per feature):
 * sum over features of Q - S^2 / W.  Inline: the construction and the
 * moves call it for every candidate. */
static inline double bld_loc_het(const problem *p, const double *f)
{
    double h = 0;
    for (size_t k = 0; k < p->nf; k++, f += 3)
        if (f[0] > 0)
            h += f[2] - f[1] * f[1] / f[0];
    return h;
}
void bld_state_recompute(loc_build_state *s);
double bld_state_objective(const loc_build_state *s);
loc_build_state *bld_state_new(const problem *p, const int32_t *ulab, size_t nloc);
/* Lend s a memo of costed moves for bld_anneal: memo for at least its
 * problem's directed edges (astart[nu]), lmod for its localities; NULLs
 * take them back.  Each thread has one, sized for the largest council
 * and made before the threads start, so that they never reach the
 * allocator and the memory is the threads', not every start's. */
void bld_state_lend_memo(loc_build_state *s, struct move_memo *memo, uint32_t *lmod);
loc_status bld_descend(loc_build_state *s, uint32_t *order, uint64_t *rng, int max_passes);
/* The mean worsening of 2,000 random moves from s (the annealing's
 * temperatures are scaled from it); 0 when none worsens. */
double bld_mean_worsening(loc_build_state *s, uint64_t *rng);
loc_status bld_anneal(loc_build_state *s, uint64_t *rng, double moves, double t0, int32_t *best, double *best_obj);

/* build_construct.c: the first labelling */
loc_status bld_construct(const problem *p, int32_t *ulab, size_t *nloc);

/* The problem on in's nodes over graph g, from inputs already checked
 * (build_problem.c). */
loc_status bld_problem_setup(problem *p, loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
                             const csr *g);
/* Node i's zone code for messages, or "#i" (in buf). */
const char *bld_node_name(const loc_build_input *in, size_t i, char *buf, size_t size);

/* A build's result (builder.c makes it, build_naming.c names it). */
struct loc_build_result {
    loc_ctx *ctx;
    size_t n;           /* nodes */
    int32_t *labels;
    size_t nloc;
    loc_build_stats stats;
};

#endif
