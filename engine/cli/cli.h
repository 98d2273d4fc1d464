/*
 * Shared pieces of the `localities` command-line tool: the option table,
 * the inputs every command loads, exit codes and messages.  Each command
 * lives in its own cmd_<name>.c and is listed in main.c's command table.
 * No analysis happens here: commands call the engine and print.
 */
#ifndef LOCALITIES_CLI_H
#define LOCALITIES_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "localities/assess.h"
#include "localities/boundary.h"
#include "localities/builder.h"
#include "localities/feasibility.h"
#include "localities/graph.h"
#include "localities/partition.h"
#include "localities/writers.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"
#include "localities/pipeline.h"
#include "localities/outset.h"

/* Exit statuses, listed in --help. */
enum cli_exit {
    CLI_EXIT_OK = 0,    /* success */
    CLI_EXIT_DATA = 1,  /* data or run failure */
    CLI_EXIT_USAGE = 2  /* usage error */
};

#define CLI_MAX_REPEAT 32

/* Options, parsed once for every command. */
typedef struct cli_args {
    const char *boundaries;       /* --boundaries */
    const char *layer;            /* --layer */
    const char *zone_field;       /* --zone-field */
    const char *crs;              /* --crs */
    const char *indicators;       /* --indicators */
    const char *spec;             /* --spec */
    const char *lookups[CLI_MAX_REPEAT]; /* --lookup, repeatable */
    size_t nlookups;
    const char *councils[CLI_MAX_REPEAT]; /* --council, repeatable */
    size_t ncouncils;
    const char *council_field;    /* --council-field */
    const char *out;              /* --out */
    int strict;                   /* --strict */
    int quiet;                    /* --quiet: warnings only */
    int verbose;                  /* --verbose: the details behind summary lines too */
    int help;                     /* --help */
    int queen;                    /* --queen */
    const char *snap;             /* --snap METRES */
    const char *command;          /* the command's name, for messages */
    const char *msg_prefix;       /* a batch run's name: cli_report's messages carry it from any thread */
    int argc;                     /* the command line, for run.json (0 for a batch row) */
    char **argv;
    long long started;            /* when the command started, seconds since 1970 (0: unknown) */
    /* build (strings, parsed by the command so that messages name it) */
    const char *max_pop, *min_pop, *seed, *threads, *starts;
    const char *w_het, *w_compact, *w_soft;
    const char *build_indicators; /* --build-indicators a,b */
    const char *respect[CLI_MAX_REPEAT]; /* --respect FILE:COLUMN:hard|soft */
    size_t nrespect;
    /* assess */
    const char *localities;       /* --localities FILE */
    const char *locality_column;  /* --locality-column NAME */
    const char *from;             /* build --from FILE: repair these localities */
    const char *from_boundaries;  /* build --from-boundaries PATH: FILE's zones are these (carry by area) */
    const char *codes_from;       /* build, run --codes-from FILE: an earlier zones.csv whose codes to keep */
    const char *target_pop;       /* build --target-pop N */
    const char *per_council;      /* build --localities-per-council N */
    const char *ensemble;         /* run --ensemble N: alternative plans for flag stability */
    const char *confidence, *fdr, *min_effect, *min_effect_abs, *plan_min;
    const char *overdispersion, *fdr_method, *plan_domains, *shuffles, *spread;
    /* batch */
    const char *jobs;             /* --jobs N */
    int fail_fast;                /* --fail-fast */
    const char *hold;             /* --hold-localities FILE */
    const char *hold_rule;        /* --hold-rule most|all */
    const char *targets;          /* --targets FILE (batch progress) */
    const char *positional[CLI_MAX_REPEAT]; /* arguments that are not options */
    size_t npositional;
    int defaults;                 /* 1 when the embedded default data is used */
    char default_paths[4][4096];  /* the embedded data's paths, filled by cli_apply_defaults */
    struct cli_times *times;      /* bench_run: filled with each stage's seconds; NULL otherwise */
} cli_args;

/* A command: name, one-line summary, usage text and entry point. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;  /* options specific to the command, shown by COMMAND --help */
    int (*run)(loc_ctx *ctx, cli_args *args);
} cli_command;

/* Program name for messages. */
#define CLI_PROG "localities"

/* Messages on stderr, one line each, prefixed with the program name (and
 * with cli_msg_prefix in brackets when set: the run of a batch). */
extern _Thread_local const char *cli_msg_prefix;
void cli_error(const char *fmt, ...) LOC_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) LOC_PRINTF(1, 2);
/* A usage error: message, hint to run --help, returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) LOC_PRINTF(2, 3);
/* Replace stdout and stderr by streams that show control characters
 * escaped (terminal.c); called first thing in main. */
void cli_terminal_init(void);

/* The engine's diagnostics to stderr (warnings always, info unless quiet). */
void cli_report(void *ud, loc_level level, const char *msg);

/* Fill in the embedded default data where the user gave no inputs.
 * Returns CLI_EXIT_OK or CLI_EXIT_DATA (default data not found). */
int cli_apply_defaults(cli_args *args);

/* Load boundaries, indicators, spec and lookups and join them
 * (loc_inputs_load); prints the engine's error and returns CLI_EXIT_DATA
 * on failure, in to be freed with loc_inputs_free either way. */
int cli_load(loc_ctx *ctx, const cli_args *args, loc_inputs *in);

/* Print the error held by ctx and return CLI_EXIT_DATA. */
int cli_fail(loc_ctx *ctx);

/* A batch manifest held in memory, read as `batch` reads one (columns,
 * every row, names and folders), for the fuzz target: the status
 * manifest reading gives (0 when usable), or -2 when a run's folder would
 * lie outside the batch folder or two runs share one; *nruns the rows
 * accepted.  Messages go to stderr as in a batch. */
int cli_manifest_check(const char *name, const void *buf, size_t len, size_t *nruns);

/* Batch progress (batch_progress.c): the targets file checked against the
 * held localities and the releases' specs before any run (an exit status,
 * the error printed; *out NULL and a note when a release has no year and
 * there are no targets), then progress.csv from the runs' outputs. */
typedef struct cli_targets cli_targets;
int cli_progress_prepare(loc_ctx *ctx, int quiet, const char *hold, const char *targets, size_t n, const char *const *names,
                         const int *years, const char *const *specs, cli_targets **out);
int cli_progress_finish(loc_ctx *ctx, cli_targets *cp, const char *const *outs, const int *ok, const char *out_root);
void cli_progress_free(cli_targets *cp);

/* Thousands-separated integer into buf (for readable counts). */
const char *cli_count(char *buf, size_t size, double v);

/* --respect's groupings, their strings held for loc_problem_opts. */
typedef struct cli_respect {
    loc_respect r[CLI_MAX_REPEAT];
    char path[CLI_MAX_REPEAT][4096], column[CLI_MAX_REPEAT][256];
} cli_respect;
/* The build's options into the engine's problem options (options.c),
 * po's strings held in rb; a usage error printed on a bad one. */
int cli_problem_opts(const cli_args *args, cli_respect *rb, loc_problem_opts *po);
/* The build's summary on stdout: localities, sizes per council, quality
 * (summary.c); path is the zones.csv written. */
void cli_print_build(const cli_args *args, const loc_inputs *in, const loc_problem *b, const char *path);

/* Graph and build from loaded inputs.  Prints the error and returns an
 * exit status on failure; b is to be freed either way. */
int cli_build(loc_ctx *ctx, const cli_args *args, const loc_inputs *in, loc_problem *b);
/* feasibility.csv at path (nothing when the localities were not built). */
int cli_write_feasibility(loc_ctx *ctx, const loc_inputs *in, const loc_problem *b, const char *path);
/* The summary line on bounds that cannot hold (nothing when they all can). */
void cli_print_feasibility(FILE *f, const loc_problem *b);
/* The summary line of --codes-from (nothing without it). */
void cli_print_codes_kept(FILE *f, const char *codes_from, const loc_problem *b);
/* The build options of ARGS checked without loading anything (numbers,
 * bounds, --respect syntax): a usage slip is refused at once. */
int cli_build_check(const cli_args *args);

/* Only the nodes and the graph of cli_build (for `assess`). */
int cli_graph_only(loc_ctx *ctx, const cli_args *args, const loc_inputs *in, loc_problem *b);

/* A number option within [lo, hi]; usage error otherwise. */
int cli_number(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out);

/* The output folder, created when missing (its parent must exist). */
int cli_make_out_dir(const char *dir);
/* --snap into graph options: absent or "auto" leaves the tolerance to the
 * data (snap_auto), a number fixes it.  Prints a usage error. */
int cli_snap_opts(const cli_args *a, loc_graph_opts *go);

/* Seconds per stage of one run, for bench_run (NULL in the tool): step[k]
 * is the time from progress step k+1 to the next (or to the end), and
 * file[] the time each output took to write, named by its file. */
#define CLI_MAX_TIMES 32
typedef struct cli_times {
    double step[CLI_MAX_TIMES];     /* per progress step, seconds */
    size_t nsteps;
    const char *file[CLI_MAX_TIMES]; /* output file names (static strings) */
    double file_s[CLI_MAX_TIMES];   /* seconds writing each */
    size_t nfiles;
    void (*on_step)(void *ud, size_t step); /* called as step (0-based) ends; may be NULL */
    void *ud;                       /* for on_step */
} cli_times;

/* Progress lines on stderr: rewritten in place on a terminal, plain
 * "localities: [k/n] ..." lines otherwise, nothing with --quiet. */
typedef struct cli_progress {
    int quiet, tty, stage, stages;
    double t0;
    double t_step;                 /* when the current step began */
    cli_times *times;              /* stage times wanted (args->times), or NULL */
} cli_progress;
void cli_progress_init(cli_progress *p, const cli_args *a, int stages);
/* Monotonic seconds. */
double cli_now(void);
/* Note that writing file name took s seconds (when p->times is set). */
void cli_time_file(cli_progress *p, const char *name, double s);
void cli_step(cli_progress *p, const char *fmt, ...) LOC_PRINTF(2, 3);
void cli_progress_done(cli_progress *p);

/* A run's outputs as one set (the engine's loc_outset, outset.h, in
 * stage.c): opened with run.json's record made from args (NULL: no
 * run.json), committed; each prints the engine's error and returns an exit
 * status on failure. */
int cli_stage_open(loc_ctx *ctx, loc_outset *s, const char *out, const cli_args *args);
int cli_stage_commit(loc_outset *s);
/* Block SIGINT, SIGTERM and SIGHUP and handle them in a thread of their
 * own that removes every open staging folder (waiting for a commit under
 * way to finish) and exits with 128 + the signal; called first in main,
 * before any thread starts. */
void cli_signals_init(void);

/* More files for cli_write_outputs: write is called with the open stage
 * (name each file with loc_outset_path) and returns a loc_status with the
 * error set in ctx. */
typedef struct cli_extra_writer {
    loc_status (*write)(loc_ctx *ctx, void *ud, loc_outset *st);
    void *ud;
    /* optional: more locality attributes for the GeoJSON and GeoPackage */
    loc_status (*attrs)(loc_ctx *ctx, void *ud, loc_attrs *t);
} cli_extra_writer;

/*
 * Every output `run` writes, shared by `run` and `assess` (one writer, one
 * staging and commit path): dissolve p's localities, then zones.csv,
 * localities.csv, indicators.csv, graph.csv/.gal/.gwt, localities.geojson,
 * localities.gpkg and report.html (and extra's files; extra may be NULL)
 * into a staging folder st opened in out, committed when all are complete.
 * b gives the graph and, for `run`, the build result (the report's build
 * settings); b->result NULL means the localities were given (`assess`).
 * Progress steps: dissolving, writing, moving.  Prints the error and
 * returns an exit status on failure; the caller aborts st then.
 */
int cli_write_outputs(loc_ctx *ctx, const cli_args *args, const loc_inputs *in, const loc_problem *b,
                      const loc_partition *p, const loc_assess *as, const char *out, cli_progress *pr,
                      loc_outset *st, const cli_extra_writer *extra);

/* Assessment options from the command line; usage error on a bad one. */
int cli_assess_opts(const cli_args *args, loc_assess_opts *o);
/* With --spread respected, the zones' spread for the assessment of built
 * localities is taken inside the first soft grouping the build respected
 * (the intermediate zones by default), when there is one: sets o's spread
 * groups from b.  Otherwise (localities, the default) nothing. */
void cli_spread_groups(const cli_args *a, const loc_problem *b, loc_assess_opts *o);
/* The assessment's summary: the rule, counts, qualifying localities and
 * guidance checks. */
void cli_print_assessment(FILE *f, const loc_inputs *in, const loc_partition *p, const loc_assess *as);

/* The whole of `run` into folder out, its summary printed to summary:
 * shared with `batch`.  Inputs must have been completed with
 * cli_apply_defaults. */
int cli_run_pipeline(loc_ctx *ctx, cli_args *args, const char *out, FILE *summary);

/* Parse options argv[first..] into args (the option table of main.c). */
int cli_parse(int argc, char **argv, int first, cli_args *args, const char *cmd);

/* Given localities (assess --localities, build --from): 1 when path looks
 * like a vector source of polygons rather than a zone -> locality CSV. */
int cli_looks_like_polygons(const char *path);
/* Locality polygons from path, their code field --locality-column or a
 * common name; NULL with the error set in ctx. */
loc_boundaries *cli_read_locality_polygons(loc_ctx *ctx, const cli_args *args, const char *path);

/* build --from FILE (engine/cli/cmd_repair.c). */
int cmd_build_from(loc_ctx *ctx, cli_args *args);

/* Commands. */
int cmd_info(loc_ctx *ctx, cli_args *args);
int cmd_graph(loc_ctx *ctx, cli_args *args);
int cmd_build(loc_ctx *ctx, cli_args *args);
int cmd_run(loc_ctx *ctx, cli_args *args);
int cmd_batch(loc_ctx *ctx, cli_args *args);
int cmd_assess(loc_ctx *ctx, cli_args *args);
int cmd_calibrate(loc_ctx *ctx, cli_args *args);

#endif
