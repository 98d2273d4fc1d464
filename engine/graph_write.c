/*
 * The contiguity graph's files: graph.csv (every edge with its length and
 * kind) and the GAL and GWT weights files GeoDa and PySAL read, each
 * written atomically.
 */
#include "graph_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Writers: temporary file in the same folder, renamed at the end
 * --------------------------------------------------------------------- */

loc_status loc_graph_write_csv(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    if (fputs("zone_a,zone_b,shared_len_m,kind\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t i = 0; !st && i < g->n; i++) {
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++) {
            if (g->adj[k] < i)
                continue;
            if (loc_put_csv_field(af.f, codes[i]) == EOF || fputc(',', af.f) == EOF
                || loc_put_csv_field(af.f, codes[g->adj[k]]) == EOF
                || loc_fprintf(af.f, ",%.2f,%s\n", g->len_m[k], loc_edge_kind_name((loc_edge_kind)g->kind[k])) < 0)
                st = loc_afile_failed(ctx, &af);
        }
    }
    return loc_afile_close(ctx, &af, st);
}

/* GAL and GWT split on white space, so a code holding any cannot be
 * written. */
static loc_status check_codes(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path)
{
    for (size_t i = 0; i < g->n; i++) {
        if (!codes[i][0])
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': zone %zu has an empty code", path, i);
        if (codes[i][strcspn(codes[i], " \t\r\n\v\f")])
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': zone code '%s' contains white space", path,
                             codes[i]);
    }
    return LOC_OK;
}

/* A header word: white space becomes '_', empty or NULL the default. */
static int put_word(FILE *f, const char *s, const char *dflt)
{
    if (!s || !*s)
        s = dflt;
    for (; *s; s++)
        if (fputc(strchr(" \t\r\n\v\f", *s) ? '_' : *s, f) == EOF)
            return EOF;
    return 0;
}

static loc_status write_header(loc_ctx *ctx, loc_afile *af, const loc_graph *g, const char *layer, const char *id_field)
{
    if (loc_fprintf(af->f, "0 %zu ", g->n) < 0 || put_word(af->f, layer, "unknown") == EOF || fputc(' ', af->f) == EOF
        || put_word(af->f, id_field, "id") == EOF || fputc('\n', af->f) == EOF)
        return loc_afile_failed(ctx, af);
    return LOC_OK;
}

loc_status loc_graph_write_gal(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                               const char *layer, const char *id_field)
{
    loc_afile af;
    loc_status st = check_codes(ctx, g, codes, path);
    if (st || (st = loc_afile_open(ctx, &af, path)))
        return st;
    st = write_header(ctx, &af, g, layer, id_field);
    for (size_t i = 0; !st && i < g->n; i++) {
        if (loc_fprintf(af.f, "%s %zu\n", codes[i], g->offsets[i + 1] - g->offsets[i]) < 0)
            st = loc_afile_failed(ctx, &af);
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++)
            if (loc_fprintf(af.f, k > g->offsets[i] ? " %s" : "%s", codes[g->adj[k]]) < 0)
                st = loc_afile_failed(ctx, &af);
        if (!st && fputc('\n', af.f) == EOF)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

loc_status loc_graph_write_gwt(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                               const char *layer, const char *id_field)
{
    loc_afile af;
    loc_status st = check_codes(ctx, g, codes, path);
    if (st || (st = loc_afile_open(ctx, &af, path)))
        return st;
    st = write_header(ctx, &af, g, layer, id_field);
    for (size_t i = 0; !st && i < g->n; i++)
        for (size_t k = g->offsets[i]; !st && k < g->offsets[i + 1]; k++)
            if (loc_fprintf(af.f, "%s %s %.2f\n", codes[i], codes[g->adj[k]], g->len_m[k]) < 0)
                st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}
