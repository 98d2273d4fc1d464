/*
 * Feasibility of the population bounds per council and per part of a
 * council (see feasibility.h).  Parts are the connected pieces of the
 * graph without its island links, inside one council; units are zones
 * joined by every hard grouping inside one council, as the builder
 * contracts them.  Both come from one union-find each, so the check costs
 * a few passes over the nodes and edges.
 */
#include "localities/feasibility.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Join so that the root is the smaller node: a set's root is its first
 * node, which orders the parts. */
static void join(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

static double node_pop(const loc_build_input *in, size_t i)
{
    return isnan(in->pop[i]) || in->pop[i] < 0 ? 0 : in->pop[i];
}

typedef struct pairkey {
    int64_t group, area;
    uint32_t node;
} pairkey;

static int cmp_pairkey(const void *a, const void *b)
{
    const pairkey *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->area != y->area)
        return x->area < y->area ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* Units: nodes of one area sharing a group of a hard grouping. */
static loc_status join_units(loc_ctx *ctx, const loc_build_input *in, const int32_t *area, uint32_t *unit)
{
    pairkey *k = loc_malloc(ctx, (in->n ? in->n : 1) * sizeof *k);
    if (!k)
        return LOC_ENOMEM;
    for (size_t g = 0; g < in->ngroupings; g++) {
        if (!in->groupings[g].hard)
            continue;
        size_t m = 0;
        for (size_t i = 0; i < in->n; i++)
            if (in->groupings[g].member[i] >= 0)
                k[m++] = (pairkey){in->groupings[g].member[i], area[i], (uint32_t)i};
        qsort(k, m, sizeof *k, cmp_pairkey);
        for (size_t q = 1; q < m; q++)
            if (k[q].group == k[q - 1].group && k[q].area == k[q - 1].area)
                join(unit, k[q - 1].node, k[q].node);
    }
    loc_free(ctx, k);
    return LOC_OK;
}

/* Parts: nodes of one area joined by edges other than island links. */
static void join_parts(const loc_build_input *in, const int32_t *area, uint32_t *part)
{
    const loc_graph *g = in->graph;
    for (size_t i = 0; i < in->n; i++)
        for (size_t e = 0; e < loc_graph_degree(g, i); e++) {
            uint32_t j = loc_graph_neighbours(g, i)[e];
            if (area[j] == area[i] && loc_graph_row_kinds(g, i)[e] != LOC_EDGE_ISLAND)
                join(part, (uint32_t)i, j);
        }
}

/* Add node i (of unit population upop, unit root u) to row r. */
static void add_node(loc_feasibility *r, const loc_build_input *in, size_t i, uint32_t u, const double *upop,
                     double max_pop)
{
    if (r->zones == 0)
        r->first_node = (uint32_t)i;
    r->zones++;
    r->population += node_pop(in, i);
    if (u == i) { /* each unit once, at its root */
        if (upop[u] > r->largest_unit) {
            r->largest_unit = upop[u];
            r->largest_node = u;
        }
        r->units_over_ceiling += upop[u] > max_pop;
    }
}

typedef struct nodekey {
    int32_t area;
    uint32_t part, node;
} nodekey;

static int cmp_nodekey(const void *a, const void *b)
{
    const nodekey *x = a, *y = b;
    if (x->area != y->area)
        return x->area < y->area ? -1 : 1;
    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* The rows from the parts and units: councils in order of id, each
 * followed by its parts when it has several. */
static loc_feasibility *make_rows(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *o,
                                  const int32_t *area, uint32_t *part, uint32_t *unit, const double *upop, size_t *nout)
{
    size_t n = in->n;
    nodekey *k = loc_malloc(ctx, (n ? n : 1) * sizeof *k);
    loc_feasibility *rows = loc_calloc(ctx, 2 * n + 1, sizeof *rows);
    if (!k || !rows) {
        loc_free(ctx, k);
        loc_free(ctx, rows);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        k[i] = (nodekey){area[i], find(part, (uint32_t)i), (uint32_t)i};
    qsort(k, n, sizeof *k, cmp_nodekey);
    size_t nr = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a, parts = 0;
        while (b < n && k[b].area == k[a].area) {
            parts += b == a || k[b].part != k[b - 1].part;
            b++;
        }
        loc_feasibility *c = &rows[nr++];
        c->council = k[a].area;
        c->ncomponents = parts;
        size_t comp = 0;
        for (size_t q = a; q < b; q++) {
            uint32_t i = k[q].node;
            add_node(c, in, i, find(unit, i), upop, o->max_pop);
            if (parts < 2)
                continue;
            if (q == a || k[q].part != k[q - 1].part) {
                rows[nr] = (loc_feasibility){c->council, ++comp, parts, 0, 0, 0, 0, 0, 0, 0, 0};
                nr++;
            }
            add_node(&rows[nr - 1], in, i, find(unit, i), upop, o->max_pop);
        }
        a = b;
    }
    for (size_t r = 0; r < nr; r++) {
        rows[r].floor_holds = rows[r].population >= o->min_pop;
        rows[r].ceiling_holds = rows[r].units_over_ceiling == 0;
    }
    loc_free(ctx, k);
    *nout = nr;
    return rows;
}

loc_feasibility *loc_feasibility_check(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *opts,
                                       size_t *nout)
{
    loc_build_opts o;
    if (opts)
        o = *opts;
    else
        loc_build_opts_init(&o);
    *nout = 0;
    if (!in || !in->graph || !in->pop || !in->council || loc_graph_count(in->graph) != in->n) {
        loc_error(ctx, LOC_EINVAL, "feasibility: missing or mismatched graph, population or councils");
        return NULL;
    }
    const int32_t *area = in->area ? in->area : in->council;
    for (size_t i = 0; i < in->n; i++)
        if (area[i] < 0) {
            loc_error(ctx, LOC_EINVAL, "feasibility: zone %zu is in no council", i);
            return NULL;
        }
    size_t n = in->n ? in->n : 1;
    uint32_t *part = loc_malloc(ctx, n * sizeof *part), *unit = loc_malloc(ctx, n * sizeof *unit);
    double *upop = loc_calloc(ctx, n, sizeof *upop);
    loc_feasibility *rows = NULL;
    if (!part || !unit || !upop)
        goto done;
    for (size_t i = 0; i < in->n; i++)
        part[i] = unit[i] = (uint32_t)i;
    if (join_units(ctx, in, area, unit))
        goto done;
    join_parts(in, area, part);
    for (size_t i = 0; i < in->n; i++)
        upop[find(unit, (uint32_t)i)] += node_pop(in, i);
    rows = make_rows(ctx, in, &o, area, part, unit, upop, nout);
done:
    loc_free(ctx, part);
    loc_free(ctx, unit);
    loc_free(ctx, upop);
    return rows;
}

static const char *node_code(const loc_build_input *in, uint32_t i, char *buf, size_t size)
{
    if (in->codes && in->codes[i])
        return in->codes[i];
    snprintf(buf, size, "#%u", i);
    return buf;
}

/* Why a row's bounds cannot hold, in words, into buf ("" when they do). */
static void why(const loc_feasibility *r, const loc_build_input *in, const loc_build_opts *o, char *buf, size_t size)
{
    char code[32];
    buf[0] = 0;
    size_t len = 0;
    if (!r->floor_holds)
        len += (size_t)snprintf(buf, size,
                                r->component ? "this part has %.0f residents, below the floor of %.0f: its locality "
                                               "must reach across the water (island link)"
                                             : "the council has %.0f residents, below the floor of %.0f",
                                r->population, o->min_pop);
    if (!r->ceiling_holds && len < size)
        snprintf(buf + len, size - len, "%s%zu zone%s or hard group%s above the ceiling of %.0f (largest: '%s', %.0f "
                 "residents): each is a locality of its own",
                 len ? "; " : "", r->units_over_ceiling, r->units_over_ceiling == 1 ? "" : "s",
                 r->units_over_ceiling == 1 ? "" : "s", o->max_pop, node_code(in, r->largest_node, code, sizeof code),
                 r->largest_unit);
}

loc_status loc_feasibility_write_csv(loc_ctx *ctx, const loc_feasibility *rows, size_t n, const loc_build_input *in,
                                     const loc_build_opts *opts, const loc_zones *z, const char *path)
{
    loc_build_opts o;
    if (opts)
        o = *opts;
    else
        loc_build_opts_init(&o);
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    int bad = fputs("council_code,council_name,part,first_zone,zones,population,largest_unit,largest_unit_zone,"
                    "units_over_ceiling,floor_holds,ceiling_holds,why\n",
                    af.f) == EOF;
    for (size_t r = 0; r < n && !bad; r++) {
        const loc_feasibility *f = &rows[r];
        char cc[32], cn[32], part[64], c1[32], c2[32], reason[1024];
        const char *code = z ? loc_zones_council_code(z, (size_t)f->council) : NULL;
        const char *name = z ? loc_zones_council_name(z, (size_t)f->council) : NULL;
        snprintf(cc, sizeof cc, "%ld", (long)f->council);
        snprintf(cn, sizeof cn, "council %ld", (long)f->council);
        if (f->component)
            snprintf(part, sizeof part, "part %zu of %zu", f->component, f->ncomponents);
        else
            snprintf(part, sizeof part, "council");
        why(f, in, &o, reason, sizeof reason);
        bad = loc_put_csv_field(af.f, code ? code : cc) == EOF || fputc(',', af.f) == EOF ||
              loc_put_csv_field(af.f, name ? name : cn) == EOF ||
              loc_fprintf(af.f, ",%s,", part) < 0 ||
              loc_put_csv_field(af.f, node_code(in, f->first_node, c1, sizeof c1)) == EOF ||
              loc_fprintf(af.f, ",%zu,%.0f,%.0f,", f->zones, f->population, f->largest_unit) < 0 ||
              loc_put_csv_field(af.f, node_code(in, f->largest_node, c2, sizeof c2)) == EOF ||
              loc_fprintf(af.f, ",%zu,%s,%s,", f->units_over_ceiling, f->floor_holds ? "yes" : "no",
                      f->ceiling_holds ? "yes" : "no") < 0 ||
              loc_put_csv_field(af.f, reason) == EOF || fputc('\n', af.f) == EOF;
    }
    if (bad)
        st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}
