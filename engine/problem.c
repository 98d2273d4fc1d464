/*
 * The builder's problem from loaded inputs (see pipeline.h): the graph's
 * nodes (study zones with a polygon, in zone-code order), the features
 * (the spec's building indicators as zone rates), the groupings to
 * respect (lookup columns, the intermediate zones by default), nest
 * groupings turned into regions the builder treats as councils, the
 * contiguity graph, the build itself, the feasibility of the bounds, the
 * named partition with codes kept from an earlier run; then the figures
 * that judge a build.  Everything `localities build` computes lives here,
 * so that a program linking the engine gets the same localities.
 */
#include "localities/pipeline.h"
#include "localities/codes.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const loc_iz_columns[] = {"iz11_code", "IZcode", "IntZone", "InterZone", "iz_code", "iz01_code", NULL};

const char *loc_respect_name(loc_respect_kind kind)
{
    static const char *const word[] = {"soft", "hard", "nest"};
    return (unsigned)kind < 3 ? word[kind] : "?";
}

void loc_problem_free(loc_problem *p)
{
    loc_ctx *ctx = p->ctx;
    if (!ctx) {
        memset(p, 0, sizeof *p);
        return;
    }
    loc_free(ctx, p->area_count);
    loc_free(ctx, p->feasibility);
    for (size_t k = 0; k < p->ngroupings; k++) {
        loc_grouping_destroy(p->groupings[k]);
        loc_free(ctx, p->member[k]);
    }
    for (size_t k = 0; k < p->nown; k++)
        loc_lookup_destroy(p->own_lookups[k]);
    loc_partition_destroy(p->partition);
    loc_build_result_destroy(p->result);
    loc_graph_destroy(p->graph);
    loc_free(ctx, p->rows);
    loc_free(ctx, p->geoms);
    loc_free(ctx, p->codes);
    loc_free(ctx, p->council);
    loc_free(ctx, p->region);
    loc_free(ctx, p->pop);
    loc_free(ctx, p->x);
    memset(p, 0, sizeof *p);
}

/* An array of n items (at least one, so that an empty problem is not an
 * allocation failure). */
static void *alloc_n(loc_ctx *ctx, size_t n, size_t size) { return loc_malloc(ctx, (n ? n : 1) * size); }

/* The study zones that have a polygon, in zone-code order: the graph's nodes. */
static loc_status make_nodes(loc_ctx *ctx, const loc_inputs *in, loc_problem *p)
{
    const loc_zones *z = in->zones;
    size_t ns = loc_zones_nstudy(z);
    if (!(p->rows = alloc_n(ctx, ns, sizeof *p->rows)) || !(p->geoms = alloc_n(ctx, ns, sizeof *p->geoms)) ||
        !(p->codes = alloc_n(ctx, ns, sizeof *p->codes)) || !(p->council = alloc_n(ctx, ns, sizeof *p->council)) ||
        !(p->pop = alloc_n(ctx, ns, sizeof *p->pop)))
        return LOC_ENOMEM;
    const double *pop = loc_zones_population(z);
    /* Nodes in zone-code order, not the source's feature order: the same
     * zones give the same graph and localities whatever the file format
     * (a FlatGeobuf with a spatial index stores its features in space
     * order) or the order of the rows. */
    const uint32_t *by_code = loc_zones_study_by_code(z);
    for (size_t s = 0; s < ns; s++) {
        uint32_t row = by_code[s];
        long bi = loc_zones_boundary(z, row);
        if (bi < 0) {
            p->no_boundary++;
            continue;
        }
        p->rows[p->n] = row;
        p->geoms[p->n] = loc_boundaries_geom(in->boundaries, (size_t)bi);
        p->codes[p->n] = loc_zones_code(z, row);
        p->council[p->n] = loc_zones_councils(z)[row];
        p->pop[p->n] = isnan(pop[row]) ? 0 : pop[row];
        p->n++;
    }
    if (p->no_boundary)
        loc_report(ctx, LOC_WARN, "%zu study zone%s ha%s no boundary and cannot be placed in a locality",
                   p->no_boundary, p->no_boundary == 1 ? "" : "s", p->no_boundary == 1 ? "s" : "ve");
    if (!p->n)
        return loc_error(ctx, LOC_EDATA, "no study zone has a boundary: nothing to build");
    return LOC_OK;
}

/* The indicators named in list (comma-separated) into chosen[64]. */
static loc_status named_indicators(loc_ctx *ctx, const loc_inputs *in, const char *list, size_t *chosen, size_t *nc)
{
    const loc_zones *z = in->zones;
    size_t ni = loc_zones_nindicators(z);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    *nc = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < ni && strcmp(loc_zones_indicator(z, k)->name, tok) != 0)
            k++;
        if (k == ni)
            return loc_error(ctx, LOC_EINVAL, "--build-indicators: the spec '%s' has no indicator '%s'",
                             loc_spec_name(in->spec), tok);
        if (*nc < 64)
            chosen[(*nc)++] = k;
    }
    return LOC_OK;
}

/* Features: the chosen indicators (default the spec's role `build`, else
 * its first two proportions), as zone values: rates for counts, values
 * otherwise. */
static loc_status make_features(loc_ctx *ctx, const loc_problem_opts *o, const loc_inputs *in, loc_problem *p)
{
    const loc_zones *z = in->zones;
    size_t chosen[64], nc = 0;
    if (o->build_indicators) {
        loc_status st = named_indicators(ctx, in, o->build_indicators, chosen, &nc);
        if (st)
            return st;
    } else {
        nc = loc_zones_indicators_with_role(z, LOC_ROLE_BUILD, chosen, 64);
    }
    p->nfeat = nc;
    p->feat_names[0] = 0;
    for (size_t f = 0; f < nc; f++) {
        p->feat[f] = chosen[f];
        size_t len = strlen(p->feat_names);
        snprintf(p->feat_names + len, sizeof p->feat_names - len, "%s%s", f ? ", " : "",
                 loc_zones_indicator(z, chosen[f])->name);
    }
    if (!(p->x = alloc_n(ctx, p->n * nc, sizeof *p->x)))
        return LOC_ENOMEM;
    for (size_t f = 0; f < nc; f++) {
        const loc_indicator *ind = loc_zones_indicator(z, chosen[f]);
        const double *c0 = loc_zones_column(z, chosen[f], 0), *c1 = loc_zones_column(z, chosen[f], 1);
        int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
        for (size_t i = 0; i < p->n; i++) {
            uint32_t r = p->rows[i];
            p->x[i * nc + f] = counts ? (c1[r] > 0 ? c0[r] / c1[r] : NAN) : c0[r];
        }
    }
    return LOC_OK;
}

/* A loaded lookup by path, or one read now (kept in p). */
static const loc_lookup *lookup_for(loc_ctx *ctx, const loc_inputs *in, loc_problem *p, const char *path)
{
    for (size_t k = 0; k < in->nlookups; k++)
        if (strcmp(loc_lookup_path(in->lookups[k]), path) == 0)
            return in->lookups[k];
    for (size_t k = 0; k < p->nown; k++)
        if (strcmp(loc_lookup_path(p->own_lookups[k]), path) == 0)
            return p->own_lookups[k];
    if (p->nown >= LOC_MAX_LOOKUPS) {
        loc_error(ctx, LOC_EINVAL, "at most %d lookups can be respected", LOC_MAX_LOOKUPS);
        return NULL;
    }
    loc_lookup *l = loc_lookup_read(ctx, path, NULL);
    if (l)
        p->own_lookups[p->nown++] = l;
    return l;
}

/* One grouping over the nodes from a lookup column. */
static loc_status add_grouping(loc_ctx *ctx, const loc_inputs *in, loc_problem *p, const loc_lookup *l,
                               const char *column, loc_respect_kind kind)
{
    if (p->ngroupings >= LOC_BUILD_MAX_GROUPINGS)
        return loc_error(ctx, LOC_EINVAL, "at most %d groupings can be respected", LOC_BUILD_MAX_GROUPINGS);
    loc_grouping *g = loc_zones_grouping(ctx, in->zones, l, column);
    if (!g)
        return loc_errcode(ctx);
    size_t k = p->ngroupings++;
    p->groupings[k] = g;
    p->kind[k] = kind;
    if (!(p->member[k] = alloc_n(ctx, p->n, sizeof *p->member[k])))
        return LOC_ENOMEM;
    size_t unlisted = 0;
    for (size_t i = 0; i < p->n; i++) {
        p->member[k][i] = g->member[p->rows[i]];
        unlisted += p->member[k][i] < 0;
    }
    if (unlisted)
        loc_report(ctx, LOC_WARN, "'%s': %zu zone%s in no group; %s", g->label, unlisted, unlisted == 1 ? "" : "s",
                   kind == LOC_RESPECT_NEST   ? "together, per council, they form one more group"
                   : kind == LOC_RESPECT_HARD ? "each is a group of its own"
                                              : "they count as groups of their own");
    return LOC_OK;
}

/* The groupings asked for, or the intermediate zones by default. */
static loc_status make_groupings(loc_ctx *ctx, const loc_problem_opts *o, const loc_inputs *in, loc_problem *p)
{
    if (o->respect_none)
        return LOC_OK;
    for (size_t r = 0; r < o->nrespect; r++) {
        const loc_lookup *l = lookup_for(ctx, in, p, o->respect[r].path);
        loc_status st = l ? add_grouping(ctx, in, p, l, o->respect[r].column, o->respect[r].kind) : loc_errcode(ctx);
        if (st)
            return st;
    }
    if (o->nrespect)
        return LOC_OK;
    /* default: intermediate zones, soft, from a lookup that has them */
    for (size_t k = 0; k < in->nlookups; k++)
        for (size_t c = 0; loc_iz_columns[c]; c++)
            if (loc_lookup_col(in->lookups[k], loc_iz_columns[c]) >= 0) {
                p->default_respect = 1;
                return add_grouping(ctx, in, p, in->lookups[k], loc_iz_columns[c], LOC_RESPECT_SOFT);
            }
    return LOC_OK;
}

typedef struct region_key {
    int32_t council;
    int32_t group[LOC_BUILD_MAX_GROUPINGS]; /* per nest grouping, -1 none */
    uint32_t node;
} region_key;

static int cmp_region(const void *pa, const void *pb)
{
    const region_key *x = pa, *y = pb;
    if (x->council != y->council)
        return x->council < y->council ? -1 : 1;
    for (size_t k = 0; k < LOC_BUILD_MAX_GROUPINGS; k++) /* slots past the nest groupings hold -1 */
        if (x->group[k] != y->group[k])
            return x->group[k] < y->group[k] ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* With nest groupings, the builder's "councils" are the (council, group)
 * pairs, numbered council by council so that locality codes still run
 * through each council; the graph then links each pair's separate parts
 * (a ward cut by water) within it.  p->region stays NULL without them. */
static loc_status make_regions(loc_ctx *ctx, loc_problem *p)
{
    size_t nn = 0, idx[LOC_BUILD_MAX_GROUPINGS];
    for (size_t k = 0; k < p->ngroupings; k++)
        if (p->kind[k] == LOC_RESPECT_NEST)
            idx[nn++] = k;
    if (!nn)
        return LOC_OK;
    region_key *key = alloc_n(ctx, p->n, sizeof *key);
    if (!key || !(p->region = alloc_n(ctx, p->n, sizeof *p->region))) {
        loc_free(ctx, key);
        return LOC_ENOMEM;
    }
    for (size_t i = 0; i < p->n; i++) {
        key[i].council = p->council[i];
        for (size_t q = 0; q < LOC_BUILD_MAX_GROUPINGS; q++)
            key[i].group[q] = q < nn ? p->member[idx[q]][i] : -1;
        key[i].node = (uint32_t)i;
    }
    qsort(key, p->n, sizeof *key, cmp_region);
    int32_t id = -1;
    for (size_t i = 0; i < p->n; i++) {
        int fresh = i == 0 || key[i].council != key[i - 1].council;
        for (size_t q = 0; q < nn && !fresh; q++)
            fresh = key[i].group[q] != key[i - 1].group[q];
        id += fresh;
        p->region[key[i].node] = id;
    }
    p->nregions = (size_t)id + 1;
    loc_free(ctx, key);
    return LOC_OK;
}

/* area_counts: a CSV with columns council_code (or the first column) and
 * localities, one council a row; a council not listed keeps the defaults.
 * Into p->area_count, by council row. */
static loc_status read_area_counts(loc_ctx *ctx, const char *path, const loc_inputs *in, loc_problem *p)
{
    const loc_zones *z = in->zones;
    loc_csv *csv = loc_csv_read(ctx, path);
    if (!csv)
        return loc_errcode(ctx);
    loc_status st = LOC_OK;
    long cc = loc_csv_column(csv, "council_code"), nc = loc_csv_column(csv, "localities");
    if (cc < 0)
        cc = 0;
    if (nc < 0)
        st = loc_error(ctx, LOC_EPARSE, "'%s': no column 'localities' (the number of localities wanted in each council)",
                       path);
    else if (!(p->area_count = loc_calloc(ctx, loc_zones_ncouncils(z) + 1, sizeof *p->area_count)))
        st = LOC_ENOMEM;
    for (size_t r = 0; !st && r < loc_csv_nrows(csv); r++) {
        const char *code = loc_csv_field(csv, r, (size_t)cc), *v = loc_csv_field(csv, r, (size_t)nc);
        size_t c = 0;
        while (c < loc_zones_ncouncils(z) && strcmp(loc_zones_council_code(z, c), code) != 0)
            c++;
        char *end;
        double d = strtod(v, &end);
        if (c == loc_zones_ncouncils(z))
            st = loc_error(ctx, LOC_EDATA, "'%s' line %zu: no council '%s' in the data", path, loc_csv_line(csv, r),
                           code);
        else if (end == v || *end || !(d >= 1 && d <= 1e6))
            st = loc_error(ctx, LOC_EDATA, "'%s' line %zu: localities must be a number from 1 to 1000000, not '%s'",
                           path, loc_csv_line(csv, r), v);
        else
            p->area_count[c] = d;
    }
    loc_csv_destroy(csv);
    return st;
}

size_t loc_problem_groupings(const loc_problem *p, loc_build_grouping *gr)
{
    size_t ng = 0;
    for (size_t k = 0; k < p->ngroupings; k++)
        if (p->kind[k] != LOC_RESPECT_NEST) /* nest groupings are in the regions already */
            gr[ng++] = (loc_build_grouping){p->member[k], p->groupings[k]->ngroups, p->kind[k] == LOC_RESPECT_HARD,
                                            p->groupings[k]->label};
    return ng;
}

int loc_problem_has_soft(const loc_problem *p)
{
    for (size_t k = 0; k < p->ngroupings; k++)
        if (p->kind[k] == LOC_RESPECT_SOFT)
            return 1;
    return 0;
}

loc_status loc_problem_graph(loc_ctx *ctx, const loc_inputs *in, const loc_graph_opts *go, loc_problem *p)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    loc_clear_error(ctx);
    loc_status st = make_nodes(ctx, in, p);
    if (st)
        return st;
    loc_graph_opts g = *go;
    g.codes = p->codes;
    return (p->graph = loc_graph_build(ctx, p->n, p->geoms, p->council, &g)) ? LOC_OK : loc_errcode(ctx);
}

/* The first grouping that has names: what localities are named after. */
static const loc_grouping *naming_grouping(const loc_problem *p)
{
    for (size_t k = 0; k < p->ngroupings; k++)
        for (size_t g = 0; g < p->groupings[k]->ngroups; g++)
            if (p->groupings[k]->names[g][0])
                return p->groupings[k];
    return NULL;
}

/* The named partition of the zone table, zone centroids telling
 * localities that share a name apart ("Kirkcaldy East"). */
static loc_status name_localities(loc_ctx *ctx, const loc_inputs *in, loc_problem *p)
{
    double *xy = alloc_n(ctx, p->n, 2 * sizeof *xy);
    if (!xy)
        return LOC_ENOMEM;
    loc_status st = loc_build_centroids(ctx, p->n, p->geoms, xy);
    if (!st && !(p->partition = loc_build_partition(ctx, in->zones, p->result, p->rows, naming_grouping(p), xy)))
        st = loc_errcode(ctx);
    loc_free(ctx, xy);
    return st;
}

/* codes_from: the codes of an earlier zones.csv kept where a locality is
 * nearly unchanged. */
static loc_status keep_codes(loc_ctx *ctx, const char *path, const loc_inputs *in, loc_problem *p)
{
    loc_lookup *l = loc_lookup_read(ctx, path, "zone_code");
    loc_grouping *g = l ? loc_zones_grouping(ctx, in->zones, l, "locality_code") : NULL;
    loc_partition *kept = g ? loc_codes_keep(ctx, p->partition, g, LOC_KEEP_CODE_OVERLAP, &p->codes_kept) : NULL;
    loc_grouping_destroy(g);
    loc_lookup_destroy(l);
    if (!kept)
        return loc_errcode(ctx);
    loc_partition_destroy(p->partition);
    p->partition = kept;
    return LOC_OK;
}

loc_status loc_problem_build(loc_ctx *ctx, const loc_inputs *in, const loc_problem_opts *o, loc_problem *p)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    loc_clear_error(ctx);
    loc_status st;
    if ((st = make_nodes(ctx, in, p)) || (st = make_features(ctx, o, in, p)) || (st = make_groupings(ctx, o, in, p)) ||
        (st = make_regions(ctx, p)))
        return st;
    p->opts = o->build;
    if (o->area_counts) {
        if ((st = read_area_counts(ctx, o->area_counts, in, p)))
            return st;
        p->opts.area_count = p->area_count;
        p->opts.nareas = loc_zones_ncouncils(in->zones);
    }
    const int32_t *part = p->region ? p->region : p->council;
    loc_graph_opts go = o->graph;
    go.codes = p->codes;
    if (!(p->graph = loc_graph_build(ctx, p->n, p->geoms, part, &go)))
        return loc_errcode(ctx);
    loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
    size_t ng = loc_problem_groupings(p, gr);
    p->input = (loc_build_input){p->n, p->graph, p->pop, part, p->x, p->nfeat, gr, ng, p->codes, NULL};
    p->input.area = p->region ? p->council : NULL; /* nest regions are built council by council */
    if (!(p->result = loc_build(ctx, &p->input, &p->opts)))
        return loc_errcode(ctx);
    /* whether the bounds can hold, per council and part, while the hard
     * groups are at hand */
    p->feasibility = loc_feasibility_check(ctx, &p->input, &p->opts, &p->nfeasibility);
    p->input.groupings = NULL; /* gr lives on this stack frame only */
    if (!p->feasibility)
        return loc_errcode(ctx);
    if ((st = name_localities(ctx, in, p)))
        return st;
    return o->codes_from ? keep_codes(ctx, o->codes_from, in, p) : LOC_OK;
}

/* ---------------------------------------------------------------------
 * The build's quality
 * --------------------------------------------------------------------- */

void loc_problem_kept_whole(const loc_problem *p, size_t k, int32_t council, size_t *whole, size_t *total)
{
    const loc_grouping *g = p->groupings[k];
    const int32_t *lab = loc_build_labels(p->result);
    int32_t *first = loc_malloc(p->ctx, (g->ngroups ? g->ngroups : 1) * sizeof *first);
    uint8_t *split = loc_calloc(p->ctx, g->ngroups ? g->ngroups : 1, 1);
    *whole = *total = 0;
    if (!first || !split) {
        loc_free(p->ctx, first);
        loc_free(p->ctx, split);
        return;
    }
    for (size_t q = 0; q < g->ngroups; q++)
        first[q] = -1;
    for (size_t i = 0; i < p->n; i++) {
        int32_t m = p->member[k][i];
        if (m < 0 || (council >= 0 && p->council[i] != council))
            continue;
        if (first[m] < 0)
            first[m] = lab[i];
        else if (first[m] != lab[i])
            split[m] = 1;
    }
    for (size_t q = 0; q < g->ngroups; q++)
        if (first[q] >= 0) {
            (*total)++;
            *whole += !split[q];
        }
    loc_free(p->ctx, first);
    loc_free(p->ctx, split);
}

/* A locality's perimeter is its zones' perimeters less twice the boundary
 * they share. */
double loc_problem_compactness(const loc_problem *p, int32_t council)
{
    size_t nl = loc_build_count(p->result);
    const int32_t *lab = loc_build_labels(p->result);
    double *A = loc_calloc(p->ctx, nl ? nl : 1, sizeof *A), *P = loc_calloc(p->ctx, nl ? nl : 1, sizeof *P);
    if (!A || !P) {
        loc_free(p->ctx, A);
        loc_free(p->ctx, P);
        return NAN;
    }
    const double *per = loc_graph_perimeters(p->graph), *area = loc_graph_areas(p->graph);
    for (size_t i = 0; i < p->n; i++) {
        A[lab[i]] += area[i];
        P[lab[i]] += per[i];
        for (size_t e = 0; e < loc_graph_degree(p->graph, i); e++) {
            uint32_t j = loc_graph_neighbours(p->graph, i)[e];
            if (lab[j] == lab[i])
                P[lab[i]] -= loc_graph_row_lengths(p->graph, i)[e]; /* each side once: twice in all */
        }
    }
    double sum = 0;
    size_t cnt = 0;
    for (size_t l = 0; l < nl; l++) {
        if (loc_partition_council(p->partition, l) != council || !(P[l] > 0))
            continue;
        sum += 4 * M_PI * A[l] / (P[l] * P[l]);
        cnt++;
    }
    loc_free(p->ctx, A);
    loc_free(p->ctx, P);
    return cnt ? sum / (double)cnt : NAN;
}

double loc_problem_r2(const loc_problem *p, const loc_zones *z, size_t k, const int32_t *labels, size_t nl)
{
    const double *c0 = loc_zones_column(z, k, 0), *c1 = loc_zones_column(z, k, 1);
    double *x = loc_malloc(p->ctx, (p->n ? p->n : 1) * sizeof *x), *w = loc_malloc(p->ctx, (p->n ? p->n : 1) * sizeof *w);
    double r2 = NAN;
    if (x && w && c0 && c1) {
        for (size_t i = 0; i < p->n; i++) {
            uint32_t r = p->rows[i];
            x[i] = c1[r] > 0 ? c0[r] / c1[r] : NAN;
            w[i] = p->pop[i];
        }
        r2 = loc_build_r2(p->n, x, w, labels, nl);
    }
    loc_free(p->ctx, x);
    loc_free(p->ctx, w);
    return r2;
}

size_t loc_problem_nested(const loc_problem *p, size_t k)
{
    size_t nl = loc_build_count(p->result), ok = 0;
    const int32_t *lab = loc_build_labels(p->result);
    int32_t *grp = loc_malloc(p->ctx, (nl ? nl : 1) * sizeof *grp);
    uint8_t *mixed = loc_calloc(p->ctx, nl ? nl : 1, 1), *seen = loc_calloc(p->ctx, nl ? nl : 1, 1);
    if (grp && mixed && seen) {
        for (size_t i = 0; i < p->n; i++) {
            int32_t l = lab[i], m = p->member[k][i];
            if (!seen[l]) {
                seen[l] = 1;
                grp[l] = m;
            } else if (grp[l] != m) {
                mixed[l] = 1;
            }
        }
        for (size_t l = 0; l < nl; l++)
            ok += seen[l] && !mixed[l];
    }
    loc_free(p->ctx, grp);
    loc_free(p->ctx, mixed);
    loc_free(p->ctx, seen);
    return ok;
}

size_t loc_problem_islands(const loc_problem *p, int32_t council)
{
    const int32_t *lab = loc_build_labels(p->result);
    size_t islands = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t e = 0; e < loc_graph_degree(p->graph, i); e++) {
            uint32_t j = loc_graph_neighbours(p->graph, i)[e];
            if (j > i && p->council[i] == council && lab[j] == lab[i] &&
                loc_graph_row_kinds(p->graph, i)[e] == LOC_EDGE_ISLAND)
                islands++;
        }
    return islands;
}
