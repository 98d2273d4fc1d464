/*
 * Why a locality needs a plan, in words (see assess.h): the reason for
 * the tables (the deprivation share, the domains and indicators poorer
 * than each comparator) and the brief one for a board paper, and the
 * count of poorer domains they rest on.
 */
#include "localities/assess.h"
#include "internal.h"
#include "assess_internal.h"

#include <stdio.h>
#include <string.h>

/* Append to a growing string; 0 on success. */
static int sappend(loc_ctx *ctx, char **s, size_t *len, size_t *cap, const char *t)
{
    size_t n = strlen(t);
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 128);
        while (nc < *len + n + 1)
            nc *= 2;
        char *ns = loc_realloc(ctx, *s, nc);
        if (!ns)
            return -1;
        *s = ns;
        *cap = nc;
    }
    memcpy(*s + *len, t, n + 1);
    *len += n;
    return 0;
}

/* Domains poorer for locality k against comparator c (count), and, with
 * out != NULL, their names and indicators appended for the reason. */
size_t as_poorer_domains(const loc_assess *a, size_t k, int c, char **out, size_t *len, size_t *cap, int *fail)
{
    size_t nd = 0;
    for (size_t d = 0; d < a->ndomains; d++) {
        size_t tested = 0, poorer = 0;
        for (size_t j = 0; j < a->nind; j++) {
            if (a->domain_of[j] != (int32_t)d)
                continue;
            loc_flag f = as_cell_at(a, k, j, c)->flag;
            tested += f != LOC_FLAG_UNRELIABLE;
            poorer += f == LOC_FLAG_POORER;
        }
        if (!tested || 2 * poorer < tested)
            continue;
        nd++;
        if (!out)
            continue;
        *fail |= sappend(a->ctx, out, len, cap, nd > 1 ? "; " : "") ||
                 sappend(a->ctx, out, len, cap, a->domains[d]) || sappend(a->ctx, out, len, cap, " (");
        int first = 1;
        for (size_t j = 0; j < a->nind; j++)
            if (a->domain_of[j] == (int32_t)d && as_cell_at(a, k, j, c)->flag == LOC_FLAG_POORER) {
                *fail |= sappend(a->ctx, out, len, cap, first ? "" : ", ") ||
                         sappend(a->ctx, out, len, cap, loc_zones_indicator(a->z, j)->name);
                first = 0;
            }
        *fail |= sappend(a->ctx, out, len, cap, ")");
    }
    return nd;
}

static const char *cmp_text(int c) { return c == LOC_CMP_COUNCIL_REST ? "the rest of the council" : "Scotland"; }

/* The domain names poorer for locality k against c, ", "-separated. */
static int domain_names(const loc_assess *a, size_t k, int c, char **out, size_t *len, size_t *cap)
{
    int fail = 0, first = 1;
    for (size_t d = 0; d < a->ndomains; d++) {
        size_t tested = 0, poorer = 0;
        for (size_t j = 0; j < a->nind; j++)
            if (a->domain_of[j] == (int32_t)d) {
                loc_flag f = as_cell_at(a, k, j, c)->flag;
                tested += f != LOC_FLAG_UNRELIABLE;
                poorer += f == LOC_FLAG_POORER;
            }
        if (!tested || 2 * poorer < tested)
            continue;
        fail |= sappend(a->ctx, out, len, cap, first ? "" : ", ") || sappend(a->ctx, out, len, cap, a->domains[d]);
        first = 0;
    }
    return fail;
}

/* Locality k's reason in words for a board paper: the routes, the
 * comparators and the domains, without the indicator names. */
static loc_status make_brief(loc_assess *a, size_t k)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    int fail = sappend(a->ctx, &s, &len, &cap, "");
    if (a->qualifies[k]) {
        int sh[2] = {0, 0};
        for (int c = 0; c < 2; c++)
            for (size_t j = 0; j < a->nind; j++)
                sh[c] |= loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE && as_cell_at(a, k, j, c)->flag == LOC_FLAG_POORER;
        int any = 0;
        if (sh[0] || sh[1]) {
            fail |= sappend(a->ctx, &s, &len, &cap, "more residents in Scotland's most deprived zones than ") ||
                    sappend(a->ctx, &s, &len, &cap, sh[0] && sh[1] ? "the rest of the council and Scotland"
                                                     : sh[0] ? "the rest of the council" : "Scotland");
            any = 1;
        }
        for (int c = 0; c < 2; c++) {
            size_t nd = a->pdomains[2 * k + (size_t)c];
            if (!nd || nd < a->o.plan_min_domains)
                continue;
            char t[96];
            snprintf(t, sizeof t, "%spoorer than %s in %zu domain%s (", any ? "; " : "", cmp_text(c), nd,
                     nd == 1 ? "" : "s");
            fail |= sappend(a->ctx, &s, &len, &cap, t) || domain_names(a, k, c, &s, &len, &cap) ||
                    sappend(a->ctx, &s, &len, &cap, ")");
            any = 1;
        }
        for (int c = 0; c < 2 && a->o.plan_min_poorer; c++)
            if (a->poorer[2 * k + (size_t)c] >= a->o.plan_min_poorer) {
                char t[96];
                snprintf(t, sizeof t, "%spoorer than %s on %zu indicators", any ? "; " : "", cmp_text(c),
                         a->poorer[2 * k + (size_t)c]);
                fail |= sappend(a->ctx, &s, &len, &cap, t);
                any = 1;
            }
    }
    if (fail) {
        loc_free(a->ctx, s);
        return LOC_ENOMEM;
    }
    a->brief[k] = s;
    return LOC_OK;
}

/* Locality k's reason: the share, then the domains, per comparator. */
loc_status as_make_reason(loc_assess *a, size_t k)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    int fail = sappend(a->ctx, &s, &len, &cap, "");
    if (a->qualifies[k]) {
        int any = 0;
        for (int c = 0; c < 2; c++)
            for (size_t j = 0; j < a->nind; j++)
                if (loc_zones_indicator(a->z, j)->type == LOC_IND_SHARE && as_cell_at(a, k, j, c)->flag == LOC_FLAG_POORER) {
                    char t[160];
                    snprintf(t, sizeof t, "%s%s poorer than %s", any ? "; " : "", loc_zones_indicator(a->z, j)->name,
                             cmp_text(c));
                    fail |= sappend(a->ctx, &s, &len, &cap, t);
                    any = 1;
                }
        for (int c = 0; c < 2; c++) {
            size_t nd = a->pdomains[2 * k + (size_t)c];
            if (nd < a->o.plan_min_domains || !nd)
                continue;
            char t[160];
            snprintf(t, sizeof t, "%s%zu domains poorer than %s: ", any ? "; " : "", nd, cmp_text(c));
            fail |= sappend(a->ctx, &s, &len, &cap, t);
            as_poorer_domains(a, k, c, &s, &len, &cap, &fail);
            any = 1;
        }
        for (int c = 0; c < 2 && a->o.plan_min_poorer; c++)
            if (a->poorer[2 * k + (size_t)c] >= a->o.plan_min_poorer) {
                char t[160];
                snprintf(t, sizeof t, "%s%zu indicators poorer than %s", any ? "; " : "", a->poorer[2 * k + (size_t)c],
                         cmp_text(c));
                fail |= sappend(a->ctx, &s, &len, &cap, t);
                any = 1;
            }
    }
    if (fail) {
        loc_free(a->ctx, s);
        return LOC_ENOMEM;
    }
    a->reason[k] = s;
    return make_brief(a, k);
}
