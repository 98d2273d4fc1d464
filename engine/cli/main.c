/*
 * `localities`: entry point.  Parses the command line with one option table,
 * creates an engine context, hands over to the command, and turns the
 * outcome into an exit status.  Nothing else: every command's work is in
 * the engine, and its printing in cmd_<name>.c.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef LOC_JEMALLOC
/* The allocator's settings, read by jemalloc at its first call (the
 * documented malloc_conf symbol).  A run on all of Scotland touches about
 * 110 MB of fresh memory; at one page fault per 4 KiB page that is 22,000
 * faults, and on the virtual machines the tool is run and tested on a
 * fault costs about 10 microseconds, a sixth of the whole run.  With
 * transparent huge pages (thp:always: jemalloc asks the kernel for 2 MiB
 * pages where the system leaves it to the program, as Debian's kernels
 * do) the same run takes about 4,500 faults.  See CMakeLists.txt. */
const char *malloc_conf = "thp:always,metadata_thp:auto";
#endif

/* Commands, in the order --help lists them.  Add a command here. */
static const cli_command commands[] = {
    {"run", "the main job: build localities, assess them, write every output to --out",
     "  takes the build options (see 'build --help') and writes zones.csv, graph.csv, graph.gal and\n"
     "  graph.gwt into --out (default ./localities-out), all at once at the end of the run\n"
     "  --ensemble N        also build N alternative plans (seeds after --seed, --w-soft from 0.2 to 0.6),\n"
     "                      assess each, and write ensemble_zones.csv (per zone, the share of plans\n"
     "                      flagging it) and ensemble_localities.csv (per locality, how often its flag\n"
     "                      holds among plans with a locality of similar members)\n", cmd_run},
    {"info", "what the inputs hold: zones, councils, population, indicators, geometry",
     "  (no options of its own; see the common inputs)\n", cmd_info},
    {"graph", "contiguity graph of the study zones: graph.gal, graph.gwt, graph.csv in --out",
     "  --queen             zones touching at a point are neighbours too (default: rook)\n"
     "  --snap METRES|auto  boundaries running this close count as shared (default auto: 0.1 m on a\n"
     "                      clean coverage; boundaries drawn or simplified zone by zone get the\n"
     "                      tolerance at which the length running beside a neighbour stops growing,\n"
     "                      up to 50 m, and the run says what it chose)\n", cmd_graph},
    {"build", "zones -> localities: contiguous, within one council, under the ceiling; zones.csv in --out",
     "  --max-pop N         population ceiling (default 10000); a zone above it is a locality of its own\n"
     "  --min-pop N         population floor, met wherever the council's geography allows (default 2500)\n"
     "  --respect F:COL:K   respect the groups of lookup F's column COL: K hard (never split), soft\n"
     "                      (split as little as the objective allows) or nest (never crossed: every\n"
     "                      locality inside one group, for groups larger than a locality such as\n"
     "                      wards); repeatable; 'none' for no grouping.\n"
     "                      Default: the intermediate zones of a --lookup that has them, soft\n"
     "  --build-indicators A,B  spec indicators the localities should be alike in (default income,employment)\n"
     "  --w-het W, --w-compact W, --w-soft W  objective weights (defaults 1, 0.1, 0.4)\n"
     "  --seed N, --starts N, --threads N     search (defaults 1, 4, 2); the result depends on the seed\n"
     "                      and the starts, never on the threads\n"
     "  --queen, --snap METRES                as for graph\n"
     "  --target-pop N      localities as near N residents as the bounds and the geography allow: each\n"
     "                      council is built with bounds of 0.7 N to 1.3 N, within --min-pop and --max-pop\n"
     "  --localities-per-council N  about N localities in each council (its residents over N as the target),\n"
     "                      or a CSV file with columns council_code and localities: a count per council\n"
     "  --codes-from FILE   keep the codes of an earlier run's zones.csv (columns zone_code,\n"
     "                      locality_code) for every locality whose residents overlap one earlier\n"
     "                      locality by 90% or more (Jaccard index); others get codes from their zones\n"
     "  --from FILE         repair the localities of FILE (zone -> locality CSV, or polygons as for\n"
     "                      assess --localities; --locality-column as there) instead of building:\n"
     "                      split those crossing a council, move detached parts to the neighbour\n"
     "                      sharing most boundary, cut those over --max-pop along a spanning tree;\n"
     "                      leave the rest alone.  zones.csv and repair.csv in --out\n"
     "  --from-boundaries PATH  FILE lists other zones (a zones.csv on another geography) with these\n"
     "                      boundaries: each zone first joins the locality covering most of its area\n", cmd_build},
    {"assess", "statistics and guidance checks for localities a CPP already has (--localities FILE)",
     "  --localities PATH   zone -> locality CSV (a zone code column and a locality column), or any\n"
     "                      GDAL vector source of locality polygons: each zone joins the polygon\n"
     "                      covering most of its area; zones split between polygons go to zones_split.csv\n"
     "  --locality-column NAME  the locality column (default: the first after the zone column), or the\n"
     "                      polygons' code field (default: locality_code, code, locality)\n"
     "  --confidence LEVEL  confidence level of the decision (default 0.998, the funnel plot's outer limits)\n"
     "  --overdispersion M  zones (the default: the zones' spread inside localities, a design effect),\n"
     "                      multiplicative (Spiegelhalter's phi), additive (tau^2) or none\n"
     "  --min-effect R      smallest difference flagged, as a share of the comparator, for every\n"
     "                      indicator (default: each indicator's min_effect in the spec, else 0.25)\n"
     "  --min-effect-abs D  smallest absolute difference flagged, in the indicator's units, for every\n"
     "                      indicator (default: the spec's)\n"
     "  --fdr Q             decide by false discovery rate Q over every test instead (default off)\n"
     "  --fdr-method M      by (Benjamini-Yekutieli, any dependence; default) or bh (Benjamini-Hochberg)\n"
     "  --plan-domains K    domains poorer than one comparator that call for a plan (default 2)\n"
     "  --plan-min N        also call for a plan at N poorer indicators against one comparator (default off)\n"
     "  --spread localities|respected  run, calibrate: the zones' spread inside the localities (default) or\n"
     "                      inside the soft grouping the build respected (intermediate zones)\n"
     "  --max-pop N         the guidance ceiling the localities are checked against (default 10000)\n"
     "  writes what run writes (zones.csv, localities.csv, indicators.csv, overdispersion.csv, graph files,\n"
     "  localities.geojson, localities.gpkg, report.html) in --out, all at once at the end\n", cmd_assess},
    {"calibrate", "the null experiment: how often the plan rule flags localities when zone values are shuffled",
     "  builds the localities as 'run' does (or takes --localities FILE), assesses them, then assesses\n"
     "  --shuffles N shuffles of the zone values within each council (default 200) and prints, for\n"
     "  every domain threshold K, the share of localities flagged on the real data and under the null.\n"
     "  Takes the build and assess options; --seed also seeds the shuffles, --threads runs them in parallel\n", cmd_calibrate},
    {"batch", "several runs from a manifest CSV (one row per release), in parallel, each in its own folder",
     "  usage: localities batch MANIFEST.csv [--out DIR] [--jobs N] [--fail-fast]\n"
     "  manifest columns: name, boundaries, indicators, spec (required); lookups (';'-separated),\n"
     "  respect (';'-separated F:COL:hard|soft|nest), options (more options for the run, space-separated),\n"
     "  out (a folder name inside DIR; default the row's name).\n"
     "  Relative paths are taken from the manifest's folder.  A failed run is reported with its\n"
     "  manifest line and does not stop the others unless --fail-fast; exit status 0 only when all ran.\n"
     "  --jobs N            runs at a time (default 2)\n"
     "  --hold-localities PATH  assess these localities (a run's zones.csv) in every release instead of\n"
     "                      building; comparison.csv in DIR puts the releases side by side.  A row whose\n"
     "                      zones differ names a zone_map (columns zone_map, zone_map_from, zone_map_to;\n"
     "                      default the map's first two columns) to carry the localities across, or\n"
     "                      zone_map_boundaries, the held zones' boundaries: each zone then joins the\n"
     "                      held locality covering most of its area (exact at 99% of it, or with a\n"
     "                      zone_map_sliver_m column when the rest is a sliver that many metres wide;\n"
     "                      zone_map_weight residents: of its residents, by the held zones' population)\n"
     "  --hold-rule most|all  a zone whose mapped zones lie in several held localities joins the one\n"
     "                      holding most of their residents (most, the default: each held zone's\n"
     "                      residents shared among the zones mapping to it; a tie is left out) or is\n"
     "                      left out (all).  Each run writes carried.csv: how every zone was placed\n"
     "  --targets PATH      with --hold-localities: 1-, 3- and 10-year targets per locality and indicator;\n"
     "                      progress.csv in DIR gives each its trajectory and status, and every held\n"
     "                      locality's tested trend against the rest of its council (README: Progress)\n", cmd_batch},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

/* The command run when none is named. */
#define DEFAULT_COMMAND "run"

enum opt_id {
    O_BOUNDARIES, O_LAYER, O_ZONE_FIELD, O_CRS, O_INDICATORS, O_SPEC, O_LOOKUP, O_COUNCIL, O_COUNCIL_FIELD,
    O_OUT, O_STRICT, O_QUIET, O_HELP, O_VERSION, O_QUEEN, O_SNAP, O_MAX_POP, O_MIN_POP, O_SEED, O_THREADS,
    O_STARTS, O_W_HET, O_W_COMPACT, O_W_SOFT, O_BUILD_INDICATORS, O_RESPECT, O_JOBS, O_FAIL_FAST, O_LOCALITIES,
    O_LOCALITY_COLUMN, O_CONFIDENCE, O_FDR, O_MIN_EFFECT, O_MIN_EFFECT_ABS, O_PLAN_MIN, O_HOLD,
    O_HOLD_RULE, O_TARGETS, O_OVERDISPERSION, O_FDR_METHOD, O_PLAN_DOMAINS, O_SHUFFLES, O_SPREAD, O_FROM,
    O_FROM_BOUNDARIES, O_VERBOSE, O_CODES_FROM, O_TARGET_POP, O_PER_COUNCIL, O_ENSEMBLE
};

typedef struct cli_option {
    const char *name; /* long name without the dashes */
    int has_arg;      /* 1 when it takes a value */
    enum opt_id id;
    const char *arg;  /* value placeholder for help */
    const char *help;
} cli_option;

/* Sorted by name: looked up with bsearch. */
static const cli_option options[] = {
    {"boundaries", 1, O_BOUNDARIES, "PATH", "zone boundaries: any GDAL vector source"},
    {"build-indicators", 1, O_BUILD_INDICATORS, "A,B", "build: indicators the localities should be alike in"},
    {"codes-from", 1, O_CODES_FROM, "FILE", "build, run: keep the locality codes of an earlier zones.csv where a locality is nearly unchanged"},
    {"confidence", 1, O_CONFIDENCE, "LEVEL", "assess: confidence level of the decision (default 0.998)"},
    {"council", 1, O_COUNCIL, "CODE", "restrict the study area to a council (code or name; repeatable)"},
    {"council-field", 1, O_COUNCIL_FIELD, "NAME", "council column in a lookup, the boundaries or the indicators"},
    {"crs", 1, O_CRS, "CRS", "CRS of boundaries that declare none (e.g. EPSG:27700)"},
    {"ensemble", 1, O_ENSEMBLE, "N", "run: build and assess N alternative plans and report how stable each flag is"},
    {"fail-fast", 0, O_FAIL_FAST, NULL, "batch: stop at the first run that fails"},
    {"fdr", 1, O_FDR, "Q", "assess: decide by false discovery rate Q over all tests instead (default off)"},
    {"fdr-method", 1, O_FDR_METHOD, "by|bh", "assess: Benjamini-Yekutieli (default) or Benjamini-Hochberg"},
    {"from", 1, O_FROM, "FILE", "build: repair these localities (zone -> locality CSV or polygons) instead of building new ones"},
    {"from-boundaries", 1, O_FROM_BOUNDARIES, "PATH", "build --from: the boundaries of the zones FILE lists, when they are not --boundaries' zones (carried by area)"},
    {"help", 0, O_HELP, NULL, "show help and exit"},
    {"hold-localities", 1, O_HOLD, "PATH", "batch: assess these localities (a zones.csv) in every release"},
    {"hold-rule", 1, O_HOLD_RULE, "most|all", "batch: a zone mapped into several held localities joins the one with most residents (default) or none"},
    {"indicators", 1, O_INDICATORS, "PATH", "indicator CSV (e.g. a SIMD release)"},
    {"jobs", 1, O_JOBS, "N", "batch: runs at a time (default 2)"},
    {"layer", 1, O_LAYER, "NAME", "layer of the boundary source (default: the first)"},
    {"localities", 1, O_LOCALITIES, "PATH", "assess: the localities to assess: zone -> locality CSV or locality polygons"},
    {"localities-per-council", 1, O_PER_COUNCIL, "N|FILE", "build: about N localities in each council, or a count per council from a CSV (within the ceiling)"},
    {"locality-column", 1, O_LOCALITY_COLUMN, "NAME", "assess: locality column (or polygon code field) of --localities (default: the first)"},
    {"lookup", 1, O_LOOKUP, "PATH", "zone -> group CSV (repeatable)"},
    {"max-pop", 1, O_MAX_POP, "N", "build, assess: population ceiling of a locality (default 10000)"},
    {"min-effect", 1, O_MIN_EFFECT, "R", "assess: smallest difference flagged, share of the comparator, every indicator (default: the spec's)"},
    {"min-effect-abs", 1, O_MIN_EFFECT_ABS, "D", "assess: smallest absolute difference flagged, every indicator (default: the spec's)"},
    {"min-pop", 1, O_MIN_POP, "N", "build: population floor where geography allows (default 2500)"},
    {"out", 1, O_OUT, "DIR", "output folder (default ./localities-out)"},
    {"overdispersion", 1, O_OVERDISPERSION, "zones|multiplicative|additive|none", "assess: allowance for counts varying more than chance (default zones)"},
    {"plan-domains", 1, O_PLAN_DOMAINS, "K", "assess: domains poorer than one comparator that call for a plan (default 2)"},
    {"plan-min", 1, O_PLAN_MIN, "N", "assess: also a plan at N poorer indicators against one comparator (default off)"},
    {"queen", 0, O_QUEEN, NULL, "graph: zones touching at a point are neighbours too"},
    {"quiet", 0, O_QUIET, NULL, "print warnings and errors only"},
    {"respect", 1, O_RESPECT, "F:COL:hard|soft|nest", "build: respect the groups of lookup F column COL (repeatable)"},
    {"seed", 1, O_SEED, "N", "build: random seed (default 1)"},
    {"shuffles", 1, O_SHUFFLES, "N", "calibrate: shuffles of the null experiment (default 200)"},
    {"snap", 1, O_SNAP, "METRES|auto", "graph: boundaries this close count as shared (default auto)"},
    {"spec", 1, O_SPEC, "PATH", "indicator spec CSV (see data/specs/README.md)"},
    {"spread", 1, O_SPREAD, "localities|respected", "run, calibrate: where the zones' spread is taken (default localities)"},
    {"starts", 1, O_STARTS, "N", "build: annealing starts after the descent (default 4)"},
    {"strict", 0, O_STRICT, NULL, "treat partial coverage of the join as an error"},
    {"target-pop", 1, O_TARGET_POP, "N", "build: localities as near N residents as the ceiling and the geography allow"},
    {"targets", 1, O_TARGETS, "PATH", "batch: targets file for progress.csv (needs --hold-localities)"},
    {"threads", 1, O_THREADS, "N", "threads for the starts (default 2) and files written at once; never changes the result"},
    {"verbose", 0, O_VERBOSE, NULL, "print the details behind summary lines too (each island link)"},
    {"version", 0, O_VERSION, NULL, "print the version and exit"},
    {"w-compact", 1, O_W_COMPACT, "W", "build: weight of boundary length between localities (default 0.1)"},
    {"w-het", 1, O_W_HET, "W", "build: weight of within-locality heterogeneity (default 1)"},
    {"w-soft", 1, O_W_SOFT, "W", "build: weight of soft groups split (default 0.4)"},
    {"zone-field", 1, O_ZONE_FIELD, "NAME", "zone code field of the boundaries (default: detected)"},
};
#define NOPTIONS (sizeof options / sizeof *options)

/* Which commands use an option: one given to a command that would not use
 * it is refused rather than ignored. */
enum { C_INFO = 1, C_GRAPH = 2, C_BUILD = 4, C_RUN = 8, C_ASSESS = 16, C_BATCH = 32, C_CALIBRATE = 64, C_ALL = 127 };

static unsigned command_bit(const char *cmd)
{
    static const char *const names[] = {"info", "graph", "build", "run", "assess", "batch", "calibrate"};
    for (unsigned k = 0; k < sizeof names / sizeof *names; k++)
        if (strcmp(cmd, names[k]) == 0)
            return 1u << k;
    return C_ALL;
}

static unsigned option_commands(enum opt_id id)
{
    switch (id) {
    case O_BOUNDARIES: case O_LAYER: case O_ZONE_FIELD: case O_CRS: case O_INDICATORS: case O_SPEC: case O_LOOKUP:
    case O_COUNCIL: case O_COUNCIL_FIELD: case O_STRICT:
        return C_INFO | C_GRAPH | C_BUILD | C_RUN | C_ASSESS | C_CALIBRATE;
    case O_OUT:
        return C_GRAPH | C_BUILD | C_RUN | C_ASSESS | C_BATCH;
    case O_QUEEN: case O_SNAP:
        return C_GRAPH | C_BUILD | C_RUN | C_ASSESS | C_CALIBRATE;
    case O_MAX_POP: /* also assess's guidance ceiling */
        return C_BUILD | C_RUN | C_ASSESS | C_CALIBRATE;
    case O_MIN_POP: case O_SEED: case O_THREADS: case O_STARTS: case O_W_HET: case O_W_COMPACT:
    case O_W_SOFT: case O_BUILD_INDICATORS: case O_RESPECT:
        return C_BUILD | C_RUN | C_CALIBRATE;
    case O_CONFIDENCE: case O_FDR: case O_MIN_EFFECT: case O_MIN_EFFECT_ABS: case O_PLAN_MIN:
    case O_OVERDISPERSION: case O_FDR_METHOD: case O_PLAN_DOMAINS:
        return C_RUN | C_ASSESS | C_CALIBRATE;
    case O_SHUFFLES:
        return C_CALIBRATE;
    case O_SPREAD:
        return C_RUN | C_CALIBRATE;
    case O_LOCALITIES:
        return C_ASSESS | C_CALIBRATE;
    case O_LOCALITY_COLUMN: /* also the column or code field of build --from */
        return C_ASSESS | C_BUILD | C_CALIBRATE;
    case O_FROM: case O_FROM_BOUNDARIES:
        return C_BUILD;
    case O_CODES_FROM:
        return C_BUILD | C_RUN;
    case O_TARGET_POP: case O_PER_COUNCIL:
        return C_BUILD | C_RUN | C_CALIBRATE;
    case O_ENSEMBLE:
        return C_RUN;
    case O_JOBS: case O_FAIL_FAST: case O_HOLD: case O_HOLD_RULE: case O_TARGETS:
        return C_BATCH;
    case O_QUIET: case O_HELP: case O_VERSION: case O_VERBOSE:
        break;
    }
    return C_ALL;
}

static int cmp_option(const void *key, const void *elem)
{
    const char *k = key;
    const cli_option *o = elem;
    size_t n = strcspn(k, "=");
    int c = strncmp(k, o->name, n);
    return c ? c : (o->name[n] ? -1 : 0);
}

/* The options that commands in mask use. */
static void print_options(FILE *f, unsigned mask)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!(option_commands(options[i].id) & mask))
            continue;
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
                 options[i].arg ? options[i].arg : "");
        fprintf(f, "  %-24s %s\n", left, options[i].help);
    }
}

static void print_help(FILE *f)
{
    fprintf(f,
            "usage: " CLI_PROG " [COMMAND] [OPTIONS]\n\n"
            "Builds candidate locality-planning areas from Scottish data zones and says which\n"
            "experience significantly poorer outcomes (Community Empowerment (Scotland) Act 2015, Part 2).\n"
            "With no command it runs '" DEFAULT_COMMAND "' on the embedded default data (Stirling, SIMD 2020v2).\n\n"
            "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\noptions:\n");
    print_options(f, C_ALL);
    fprintf(f,
            "\nexit status:\n"
            "  %d  success\n  %d  data or run failure (the message names the file, line or feature)\n"
            "  %d  usage error\n\n"
            "'" CLI_PROG " COMMAND --help' shows a command's own options.\n",
            CLI_EXIT_OK, CLI_EXIT_DATA, CLI_EXIT_USAGE);
}

static void print_command_help(const cli_command *c)
{
    printf("usage: " CLI_PROG " %s [OPTIONS]\n\n%s\n\n%s options:\n%s\nall the options it takes:\n", c->name,
           c->summary, c->name, c->usage);
    print_options(stdout, command_bit(c->name));
}

static int add_repeat(const char **arr, size_t *n, const char *v, const char *opt)
{
    if (*n >= CLI_MAX_REPEAT)
        return cli_usage_error(NULL, "--%s given more than %d times", opt, CLI_MAX_REPEAT);
    arr[(*n)++] = v;
    return CLI_EXIT_OK;
}

static int set_option(cli_args *a, const cli_option *o, const char *v)
{
    switch (o->id) {
    case O_BOUNDARIES: a->boundaries = v; break;
    case O_LAYER: a->layer = v; break;
    case O_ZONE_FIELD: a->zone_field = v; break;
    case O_CRS: a->crs = v; break;
    case O_INDICATORS: a->indicators = v; break;
    case O_SPEC: a->spec = v; break;
    case O_LOOKUP: return add_repeat(a->lookups, &a->nlookups, v, o->name);
    case O_COUNCIL: return add_repeat(a->councils, &a->ncouncils, v, o->name);
    case O_COUNCIL_FIELD: a->council_field = v; break;
    case O_OUT: a->out = v; break;
    case O_STRICT: a->strict = 1; break;
    case O_QUIET: a->quiet = 1; break;
    case O_VERBOSE: a->verbose = 1; break;
    case O_HELP: a->help = 1; break;
    case O_VERSION: break;
    case O_QUEEN: a->queen = 1; break;
    case O_SNAP: a->snap = v; break;
    case O_MAX_POP: a->max_pop = v; break;
    case O_MIN_POP: a->min_pop = v; break;
    case O_SEED: a->seed = v; break;
    case O_THREADS: a->threads = v; break;
    case O_STARTS: a->starts = v; break;
    case O_W_HET: a->w_het = v; break;
    case O_W_COMPACT: a->w_compact = v; break;
    case O_W_SOFT: a->w_soft = v; break;
    case O_BUILD_INDICATORS: a->build_indicators = v; break;
    case O_RESPECT: return add_repeat(a->respect, &a->nrespect, v, o->name);
    case O_JOBS: a->jobs = v; break;
    case O_FAIL_FAST: a->fail_fast = 1; break;
    case O_LOCALITIES: a->localities = v; break;
    case O_LOCALITY_COLUMN: a->locality_column = v; break;
    case O_FROM: a->from = v; break;
    case O_CODES_FROM: a->codes_from = v; break;
    case O_TARGET_POP: a->target_pop = v; break;
    case O_PER_COUNCIL: a->per_council = v; break;
    case O_ENSEMBLE: a->ensemble = v; break;
    case O_FROM_BOUNDARIES: a->from_boundaries = v; break;
    case O_CONFIDENCE: a->confidence = v; break;
    case O_FDR: a->fdr = v; break;
    case O_MIN_EFFECT: a->min_effect = v; break;
    case O_MIN_EFFECT_ABS: a->min_effect_abs = v; break;
    case O_PLAN_MIN: a->plan_min = v; break;
    case O_OVERDISPERSION: a->overdispersion = v; break;
    case O_FDR_METHOD: a->fdr_method = v; break;
    case O_PLAN_DOMAINS: a->plan_domains = v; break;
    case O_SHUFFLES: a->shuffles = v; break;
    case O_SPREAD: a->spread = v; break;
    case O_HOLD: a->hold = v; break;
    case O_HOLD_RULE: a->hold_rule = v; break;
    case O_TARGETS: a->targets = v; break;
    }
    return CLI_EXIT_OK;
}

/* Parse argv[first..] into a.  "--name value" and "--name=value" both work. */
int cli_parse(int argc, char **argv, int first, cli_args *a, const char *cmd)
{
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0) {
            while (++i < argc)
                if (add_repeat(a->positional, &a->npositional, argv[i], "argument"))
                    return CLI_EXIT_USAGE;
            break;
        }
        if (strncmp(s, "--", 2) != 0 || !s[2]) {
            if (s[0] == '-' && s[1] == 'h' && !s[2]) {
                a->help = 1;
                continue;
            }
            if (s[0] == '-' && s[1])
                return cli_usage_error(cmd, "unknown option '%s'", s);
            if (add_repeat(a->positional, &a->npositional, s, "argument"))
                return CLI_EXIT_USAGE;
            continue;
        }
        const cli_option *o = bsearch(s + 2, options, NOPTIONS, sizeof *options, cmp_option);
        if (!o)
            return cli_usage_error(cmd, "unknown option '%s'", s);
        const char *used_by = cmd ? cmd : DEFAULT_COMMAND;
        if (!(option_commands(o->id) & command_bit(used_by)))
            return cli_usage_error(cmd, "--%s is not an option of '%s'%s", o->name, used_by,
                                   strcmp(used_by, "batch") == 0 ? " (a run's options go in the manifest's options column)"
                                                                 : "");
        const char *eq = strchr(s, '=');
        const char *v = NULL;
        if (o->has_arg) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else
                return cli_usage_error(cmd, "option '--%s' needs a value (%s)", o->name, o->arg);
            if (!*v)
                return cli_usage_error(cmd, "option '--%s' has an empty value", o->name);
        } else if (eq) {
            return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
        }
        if (o->id == O_VERSION) {
            printf(CLI_PROG " %s\n", LOC_VERSION);
            exit(CLI_EXIT_OK);
        }
        if (set_option(a, o, v))
            return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int run_main(int argc, char **argv)
{
    cli_args args = {0};
    int first = 1;
    const cli_command *cmd = NULL;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = find_command(argv[1]);
        if (!cmd)
            return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
        first = 2;
    }
    if (cli_parse(argc, argv, first, &args, cmd ? cmd->name : NULL))
        return CLI_EXIT_USAGE;
    if (args.help) {
        if (cmd)
            print_command_help(cmd);
        else
            print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (!cmd)
        cmd = find_command(DEFAULT_COMMAND);
    args.command = cmd->name;
    args.argc = argc;
    args.argv = argv;
    args.started = (long long)time(NULL);
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx) {
        cli_error("cannot start: out of memory");
        return CLI_EXIT_DATA;
    }
    loc_ctx_set_report(ctx, cli_report, &args);
    int rc = cmd->run(ctx, &args);
    loc_ctx_destroy(ctx);
    return rc;
}

#ifndef LOC_NO_MAIN /* the fuzz targets that link the CLI have libFuzzer's */
int main(int argc, char **argv)
{
    cli_terminal_init();
    cli_signals_init();
    errno = 0;
    int rc = run_main(argc, argv);
    /* an answer that could not be written (a full disk behind `> file`)
     * is a failure, not a success with the answer lost */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, CLI_PROG ": error: cannot write the output: %s\n", e ? strerror(e) : "write error");
        return rc ? rc : CLI_EXIT_DATA;
    }
    return rc;
}
#endif
