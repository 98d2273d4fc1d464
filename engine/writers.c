/*
 * Writers: loc_write_outputs, which writes the GeoJSON, the GeoPackage
 * and the report as one output set (outset.h), so that they change
 * together.  The writers themselves are dissolve.c (polygons), attrs.c
 * (the attribute table), vector.c (GeoJSON, GeoPackage) and report.c
 * (report.html, progress.html); what they share is writers_internal.h.
 * The localities table is the assessment's (loc_assess_write_localities),
 * the one localities.csv the engine writes.
 */
#include "localities/writers.h"
#include "localities/outset.h"
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
#include <sys/stat.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* =====================================================================
 * All outputs together
 * ===================================================================== */

loc_status loc_write_outputs(loc_ctx *ctx, const char *dir, const loc_dissolved *d, const loc_attrs *attrs,
                             const loc_report_opts *opts)
{
    struct stat sb;
    int e = stat(dir, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
    if (e) /* the folder must exist: this makes none */
        return loc_error(ctx, LOC_EIO, "cannot write '%s/localities.geojson': %s", dir, strerror(e));
    loc_outset s;
    loc_status st = loc_outset_open(ctx, &s, dir, NULL);
    if (!st)
        st = loc_write_geojson(ctx, d, attrs, loc_outset_path(&s, "localities.geojson"));
    if (!st)
        st = loc_write_gpkg(ctx, d, attrs, loc_outset_path(&s, "localities.gpkg"));
    if (!st)
        st = loc_write_report(ctx, d, attrs, opts, loc_outset_path(&s, "report.html"));
    return st ? loc_outset_fail(&s, st) : loc_outset_commit(&s);
}
