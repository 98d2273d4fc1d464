/*
 * The engine's one sort of indices by their strings (loc_order_by_code):
 * zones in code order wherever an order must not follow the source's
 * (the boundary file's feature order, the join, the partition's members),
 * ties broken by index so that the order is total.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A code and its index, sorted together: the comparison then needs no
 * pointer to the codes outside its arguments. */
typedef struct code_idx {
    const char *code;
    uint32_t i;
} code_idx;

static int cmp_code_idx(const void *a, const void *b)
{
    const code_idx *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

loc_status loc_order_by_code(loc_ctx *ctx, const char *const *codes, size_t n, uint32_t *order)
{
    code_idx *ci = loc_malloc(ctx, (n ? n : 1) * sizeof *ci);
    if (!ci)
        return LOC_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ci[i] = (code_idx){codes[i], (uint32_t)i};
    qsort(ci, n, sizeof *ci, cmp_code_idx);
    for (size_t i = 0; i < n; i++)
        order[i] = ci[i].i;
    loc_free(ctx, ci);
    return LOC_OK;
}
