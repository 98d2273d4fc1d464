/*
 * Shared command-line plumbing: messages, the embedded default data, and
 * loading the inputs every command starts from.  The default data is found
 * through LOCALITIES_DATA, then beside the executable (../data and
 * ../share/localities), then in the source tree the binary was built from.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <unistd.h>

/* Set by `batch` in each run's thread, so that every message names its
 * run: "localities: [simd2016] error: ...". */
_Thread_local const char *cli_msg_prefix;

/* "localities: " or "localities: [run] " into buf. */
static const char *lead(char *buf, size_t size)
{
    if (cli_msg_prefix)
        snprintf(buf, size, CLI_PROG ": [%s] ", cli_msg_prefix);
    else
        snprintf(buf, size, CLI_PROG ": ");
    return buf;
}

/* One message line written with a single call, so that lines from runs
 * in parallel never interleave. */
static void emit(const char *kind, const char *fmt, va_list ap)
{
    char head[160], body[2048];
    vsnprintf(body, sizeof body, fmt, ap);
    fprintf(stderr, "%s%s%s\n", lead(head, sizeof head), kind, body);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("warning: ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '" CLI_PROG "%s%s --help' for more information.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

void cli_report(void *ud, loc_level level, const char *msg)
{
    const cli_args *a = ud;
    char head[160];
    if (a && a->msg_prefix)
        cli_msg_prefix = a->msg_prefix; /* the engine's writer threads report through here too */
    if (level == LOC_WARN)
        cli_warn("%s", msg);
    else if (level == LOC_DETAIL && (!a || !a->verbose || a->quiet))
        return;
    else if (!a || !a->quiet)
        fprintf(stderr, "%s%s\n", lead(head, sizeof head), msg);
}

int cli_fail(loc_ctx *ctx)
{
    char buf[8192];
    cli_error("%s", loc_errmsg(ctx)[0] ? loc_outset_unstaged(loc_errmsg(ctx), buf, sizeof buf)
                                       : loc_strstatus(loc_errcode(ctx)));
    return CLI_EXIT_DATA;
}

const char *cli_count(char *buf, size_t size, double v)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t n = strlen(digits), k = 0, start = digits[0] == '-';
    for (size_t i = 0; i < n && k + 2 < size; i++) {
        if (i > start && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------
 * Embedded default data
 * --------------------------------------------------------------------- */

static int is_dir_with(const char *dir, const char *file)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return 0; /* too long to be a folder we can use */
    return access(path, R_OK) == 0;
}

#define PROBE "specs/simd2020v2.csv"

/* The folder holding the default data, or NULL. */
static const char *data_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("LOCALITIES_DATA");
    if (env && *env)
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            const char *rel[] = {"/../data", "/../share/localities", "/data"};
            for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
                snprintf(found, sizeof found, "%s%s", exe, rel[i]);
                if (is_dir_with(found, PROBE))
                    return found;
            }
        }
    }
#ifdef LOC_DATA_DIR
    if (is_dir_with(LOC_DATA_DIR, PROBE))
        return LOC_DATA_DIR;
#endif
    return NULL;
}

/* data_dir() without "..": paths in messages should read cleanly. */
static const char *clean_data_dir(void)
{
    static char clean[PATH_MAX];
    const char *dir = data_dir();
    if (dir && realpath(dir, clean))
        return clean;
    return dir;
}

/* dir/rel in the args' own slot k: the path lives as long as the args
 * (a static ring of buffers was overwritten once more than its size of
 * paths had been handed out). */
static const char *data_path(cli_args *a, int k, const char *dir, const char *rel)
{
    char *p = a->default_paths[k];
    if (snprintf(p, sizeof a->default_paths[k], "%s/%s", dir, rel) >= (int)sizeof a->default_paths[k])
        p[0] = '\0'; /* never a truncated path: opening "" fails with a message */
    return p;
}

int cli_apply_defaults(cli_args *a)
{
    if (a->boundaries && a->indicators && a->spec)
        return CLI_EXIT_OK;
    const char *dir = clean_data_dir();
    if (!dir) {
        cli_error("the embedded default data was not found (looked for '%s' beside the program and in "
                  "LOCALITIES_DATA); give --boundaries, --indicators and --spec",
                  PROBE);
        return CLI_EXIT_DATA;
    }
    if (!a->boundaries) {
        a->boundaries = data_path(a, 0, dir, "stirling/dz2011_stirling.gpkg");
        a->defaults = 1;
        /* the embedded boundaries cover Stirling; the indicator file is
         * national, so the rest of Scotland serves as the comparator */
        if (!a->ncouncils)
            a->councils[a->ncouncils++] = "S12000030";
    }
    if (!a->indicators)
        a->indicators = data_path(a, 1, dir, "scotland/simd2020v2_withinds.csv");
    if (!a->spec)
        a->spec = data_path(a, 2, dir, "specs/simd2020v2.csv");
    if (!a->nlookups && !a->council_field)
        a->lookups[a->nlookups++] = data_path(a, 3, dir, "scotland/dz2011_iz2011_council_lookup.csv");
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * Loading
 * --------------------------------------------------------------------- */

int cli_load(loc_ctx *ctx, const cli_args *a, loc_inputs *in)
{
    loc_input_files f = {.boundaries = a->boundaries,
                         .boundary = {.layer = a->layer, .zone_field = a->zone_field, .assume_crs = a->crs},
                         .indicators = a->indicators,
                         .spec = a->spec,
                         .lookups = a->lookups,
                         .nlookups = a->nlookups,
                         .join = {.councils = a->councils, .ncouncils = a->ncouncils,
                                  .council_field = a->council_field, .strict = a->strict}};
    if (loc_inputs_load(ctx, &f, in) == LOC_OK)
        return CLI_EXIT_OK;
    int rc = cli_fail(ctx);
    if (in->indicators && in->spec && in->boundaries && in->nlookups == a->nlookups) {
        /* the join failed.  A council asked for on the embedded
         * boundaries, which are Stirling's: say so, and how to use all of
         * Scotland */
        int other = 0;
        for (size_t k = 0; k < a->ncouncils; k++)
            other |= strcasecmp(a->councils[k], "S12000030") != 0 && strcasecmp(a->councils[k], "Stirling") != 0;
        if (a->defaults && other)
            fprintf(stderr, CLI_PROG ": hint: the default boundaries cover Stirling (S12000030) only; for another "
                            "council give all of Scotland's: --boundaries data/scotland/dz2011_scotland_simplified.gpkg\n");
    }
    return rc;
}

