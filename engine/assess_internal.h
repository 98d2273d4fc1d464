/*
 * What assess.c and assess_out.c share: the assessment's own layout (the
 * cells, the sums, the dispersion per indicator and comparator, the plan
 * rule's results) and the scale of shown units.  Private to the engine.
 */
#ifndef LOCALITIES_ASSESS_INTERNAL_H
#define LOCALITIES_ASSESS_INTERNAL_H

#include "localities/assess.h"

/* Sums kept per locality (and council, and Scotland) per indicator:
 * weights (denominators), values (counts), squares (x^2 / n for counts,
 * w v^2 for means), squared weights, zones used, missing, suppressed. */
enum { S_W, S_X, S_XX, S_WW, S_USED, S_MISS, S_SUP, NSUM };

/* The inputs of one comparison, method scale. */
typedef struct tin {
    double y, theta; /* the locality's value and the comparator's */
    double v0;       /* variance of y - theta under the null */
    double size;     /* the funnel's x */
    int ok;          /* 0 when the comparison cannot be made */
} tin;

struct loc_assess {
    loc_ctx *ctx;
    const loc_zones *z;
    const loc_partition *p;
    loc_assess_opts o;
    size_t nloc, nind, ncouncil;
    loc_assess_cell *cells;  /* nloc * nind * 2 */
    tin *tins;               /* the same shape: each cell's test inputs */
    double *ls, *cs, *ns;    /* sums: locality, council, Scotland */
    loc_assess_disp *disp;   /* nind * 2 */
    uint8_t *tested;         /* nind */
    double *a0;              /* nind: Scotland's null variance coefficient (v0 = a0 / size) */
    double *nat;             /* nind: Scotland's value, method scale */
    double *sd;              /* nind: zone-level standard deviation across Scotland, method scale */
    double *within;          /* nind: pooled zone-level variance inside the run's localities */
    double *zone_w;          /* nind: mean weight (denominator) of a contributing zone */
    double *effect;          /* nind: minimum effect, method scale, absolute (NaN: relative, see effect_rel) */
    double *effect_rel;      /* nind: relative minimum effect (share of the comparator) */
    size_t ndomains;
    const char **domains;    /* domain names (borrowed from the spec) */
    int32_t *domain_of;      /* nind: domain index, -1 for the share and untested indicators */
    size_t *poorer;          /* nloc * 2 */
    size_t *pdomains;        /* nloc * 2 */
    uint8_t *qualifies, *over, *cross, *share_poorer;
    int8_t *discont;
    char **reason;           /* nloc, "" when not qualifying */
    char **brief;            /* nloc: the reason in words for people, "" when not qualifying */
    size_t nqualifying, ntests;
    double zq;               /* decision quantile */
    char rule[768];
};

/* Multiplier from the method's scale to the shown units. */
static inline double loc_assess_shown(const loc_indicator *ind)
{
    switch (ind->type) {
    case LOC_IND_PROPORTION:
    case LOC_IND_SHARE: return 100;
    case LOC_IND_RATE: return ind->per > 0 ? ind->per : 1;
    default: return 1;
    }
}

/* Cell (k, j, c) of the assessment. */
static inline loc_assess_cell *as_cell_at(const loc_assess *a, size_t k, size_t j, int c)
{
    return &a->cells[(k * a->nind + j) * 2 + (size_t)c];
}

/* Domains in which locality k is poorer than comparator c (at least half
 * of a domain's tested indicators poorer); with out, their names appended
 * to the growing string (*fail set on an allocation failure)
 * (assess_reason.c). */
size_t as_poorer_domains(const loc_assess *a, size_t k, int c, char **out, size_t *len, size_t *cap, int *fail);
/* Locality k's reason and brief reason in words (assess_reason.c). */
loc_status as_make_reason(loc_assess *a, size_t k);

#endif
