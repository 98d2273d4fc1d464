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

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/spec.h"
#include "localities/zones.h"

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
    int help;                     /* --help */
    int queen;                    /* --queen */
    const char *snap;             /* --snap METRES */
    const char *positional[CLI_MAX_REPEAT]; /* arguments that are not options */
    size_t npositional;
    int defaults;                 /* 1 when the embedded default data is used */
} cli_args;

/* Everything loaded for a command; free with cli_inputs_free. */
typedef struct cli_inputs {
    loc_boundaries *boundaries;
    loc_csv *indicators;
    loc_spec *spec;
    loc_lookup *lookups[CLI_MAX_REPEAT];
    size_t nlookups;
    loc_zones *zones;
    loc_coverage coverage;
} cli_inputs;

/* A command: name, one-line summary, usage text and entry point. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;  /* options specific to the command, shown by COMMAND --help */
    int (*run)(loc_ctx *ctx, cli_args *args);
} cli_command;

/* Program name for messages. */
#define CLI_PROG "localities"

/* Messages on stderr, one line each, prefixed with the program name. */
void cli_error(const char *fmt, ...) LOC_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) LOC_PRINTF(1, 2);
/* A usage error: message, hint to run --help, returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) LOC_PRINTF(2, 3);

/* The engine's diagnostics to stderr (warnings always, info unless quiet). */
void cli_report(void *ud, loc_level level, const char *msg);

/* Fill in the embedded default data where the user gave no inputs.
 * Returns CLI_EXIT_OK or CLI_EXIT_DATA (default data not found). */
int cli_apply_defaults(cli_args *args);

/* Load boundaries, indicators, spec and lookups and join them; prints the
 * engine's error and returns CLI_EXIT_DATA on failure. */
int cli_load(loc_ctx *ctx, const cli_args *args, cli_inputs *in);
void cli_inputs_free(cli_inputs *in);

/* Print the error held by ctx and return CLI_EXIT_DATA. */
int cli_fail(loc_ctx *ctx);

/* Thousands-separated integer into buf (for readable counts). */
const char *cli_count(char *buf, size_t size, double v);

/* Commands. */
int cmd_info(loc_ctx *ctx, cli_args *args);
int cmd_graph(loc_ctx *ctx, cli_args *args);

#endif
