/*
 * Writers: localities.csv, and loc_write_outputs, which stages the
 * GeoJSON, the GeoPackage, the report and localities.csv before renaming
 * any, so that a run's outputs change together.  The writers themselves
 * are dissolve.c (polygons), attrs.c (the attribute table), vector.c
 * (GeoJSON, GeoPackage) and report.c (report.html, progress.html); what
 * they share is writers_internal.h.
 */
#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"
#include "writers_internal.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* =====================================================================
 * localities.csv
 * ===================================================================== */

/* A real for the CSV: fixed format so that the same inputs give the same
 * bytes; empty when null. */
static void csv_real(FILE *f, double v, const char *fmt)
{
    if (!isnan(v))
        fprintf(f, fmt, v);
}

/* The localities table as CSV to an open stream. */
static void put_localities_csv(FILE *f, const loc_dissolved *d, const loc_attrs *a)
{
    const loc_partition *p = d->p;
    const loc_zones *z = loc_partition_zones(p);
    size_t na = a ? loc_attrs_ncols(a) : 0;
    for (size_t i = 0; i < LOC_WR_NFIXED; i++)
        fprintf(f, "%s%s", i ? "," : "", loc_wr_fixed_fields[i]);
    for (size_t c = 0; c < na; c++) {
        fputc(',', f);
        loc_put_csv_field(f, loc_attrs_name(a, c));
    }
    fputc('\n', f);
    for (size_t k = 0; k < d->n; k++) {
        int32_t c = loc_partition_council(p, k);
        size_t nm;
        loc_partition_members(p, k, &nm);
        loc_put_csv_field(f, loc_partition_code(p, k));
        fputc(',', f);
        loc_put_csv_field(f, loc_partition_name(p, k));
        fputc(',', f);
        loc_put_csv_field(f, c >= 0 ? loc_zones_council_code(z, (size_t)c) : "");
        fputc(',', f);
        loc_put_csv_field(f, c >= 0 ? loc_zones_council_name(z, (size_t)c) : "");
        fprintf(f, ",%.0f,%zu,%.3f,%.3f,", loc_partition_population(p, k), nm, d->area[k] / 1e6, d->perim[k] / 1e3);
        csv_real(f, loc_dissolved_compactness(d, k), "%.6f");
        for (size_t col = 0; col < na; col++) {
            fputc(',', f);
            if (loc_attrs_is_null(a, col, k))
                continue;
            if (loc_attrs_type(a, col) == LOC_ATTR_REAL)
                csv_real(f, loc_attrs_real(a, col, k), "%.10g");
            else if (loc_attrs_type(a, col) == LOC_ATTR_INT)
                fprintf(f, "%lld", (long long)loc_attrs_int(a, col, k));
            else
                loc_put_csv_field(f, loc_attrs_text(a, col, k));
        }
        fputc('\n', f);
    }
}

/* Write localities.csv to a temporary beside path; *tmp gets it. */
static loc_status stage_localities_csv(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                                       const char *path, char **tmp)
{
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    int fd;
    if (st || (st = loc_wr_reserve_temp(ctx, path, "", tmp, &fd)))
        return st;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        close(fd);
    } else {
        put_localities_csv(f, d, attrs);
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        if (fclose(f) != 0 && !st)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (st) {
        loc_wr_discard_temp(ctx, *tmp);
        *tmp = NULL;
    }
    return st;
}

loc_status loc_write_localities_csv(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path)
{
    char *tmp;
    loc_status st = stage_localities_csv(ctx, d, attrs, path, &tmp);
    return st ? st : loc_wr_commit_temp(ctx, tmp, path);
}

/* =====================================================================
 * All outputs together
 * ===================================================================== */

loc_status loc_write_outputs(loc_ctx *ctx, const char *dir, const loc_dissolved *d, const loc_attrs *attrs,
                             const loc_report_opts *opts)
{
    static const char *const names[] = {"localities.geojson", "localities.gpkg", "report.html", "localities.csv"};
    enum { NOUT = sizeof names / sizeof *names };
    char *path[NOUT] = {NULL}, *tmp[NOUT] = {NULL};
    loc_status st = LOC_OK;
    for (size_t i = 0; i < NOUT && !st; i++) {
        size_t size = strlen(dir) + strlen(names[i]) + 2;
        if (!(path[i] = loc_malloc(ctx, size)))
            st = LOC_ENOMEM;
        else
            snprintf(path[i], size, "%s/%s", dir, names[i]);
    }
    /* every file complete under its temporary name before any is renamed */
    if (!st)
        st = loc_wr_stage_geojson(ctx, d, attrs, path[0], &tmp[0]);
    if (!st)
        st = loc_wr_stage_gpkg(ctx, d, attrs, path[1], &tmp[1]);
    if (!st)
        st = loc_wr_stage_report(ctx, d, attrs, opts, path[2], &tmp[2]);
    if (!st)
        st = stage_localities_csv(ctx, d, attrs, path[3], &tmp[3]);
    for (size_t i = 0; i < NOUT; i++) {
        if (!tmp[i])
            continue;
        if (st)
            loc_wr_discard_temp(ctx, tmp[i]);
        else
            st = loc_wr_commit_temp(ctx, tmp[i], path[i]);
        tmp[i] = NULL;
    }
    for (size_t i = 0; i < NOUT; i++)
        loc_free(ctx, path[i]);
    return st;
}

