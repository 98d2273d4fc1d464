/*
 * Whole-run benchmark: `localities run` on all of Scotland (6,976 zones,
 * SIMD 2020v2, the default settings), timed in this process through the
 * tool's own pipeline (cli_run_pipeline, the code `run` calls), against
 * GDAL's own read of the same boundaries into memory (the Memory driver,
 * what `ogr2ogr -f Memory` does).  The ratio of the two medians is the
 * figure issue 17 sets a goal for (10 or less); the stage table says
 * where the time goes.
 *
 * The stage table comes from the timed runs themselves: the progress
 * steps (load, graph and build, assess, dissolve, writing, commit) and
 * one line per output file.  The graph alone is timed separately, on the
 * same loaded inputs, because the build step builds it inside; "build"
 * in the table is the step less that median.  Each file's time is the
 * time its writer took; when the writers run concurrently their sum is
 * more than the writing step's wall time.  Each repetition also runs with
 * --threads 1 (one build thread, one writer), so that the writers'
 * speed-up is measured under the same load as the run it is compared
 * with.
 *
 * Last, when ogr2ogr is on the PATH, both again as processes, the way
 * issue 17 first measured them (27 times): the tool beside this program
 * against `ogr2ogr -f Memory`, start-up included on both sides.
 *
 * Usage: bench_run [BOUNDARIES [OUT_DIR]]  (default: the embedded
 * all-Scotland boundaries; outputs in a temporary folder, removed).
 * BENCH_REPS sets the repetitions (default 3).
 */
#include "harness.h"
#include "cli.h"

#include <gdal.h>
#include <gdal_utils.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The steps cli_run_pipeline reports, in order. */
static const char *const STEP_NAMES[] = {"load", "graph + build", "assess", "dissolve + attributes",
                                         "write (all files)", "commit"};
enum { NSTEPS = sizeof STEP_NAMES / sizeof *STEP_NAMES };

/* GDAL alone: copy every feature of the boundaries into a Memory
 * dataset, as `ogr2ogr -f Memory` does.  0 on success. */
static int gdal_read(const char *path)
{
    GDALDatasetH src = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!src)
        return 1;
    char *argv[] = {"-f", "Memory", NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    int err = 0;
    GDALDatasetH mem = o ? GDALVectorTranslate("", NULL, 1, &src, o, &err) : NULL;
    GDALVectorTranslateOptionsFree(o);
    int rc = !mem || err;
    if (mem)
        GDALClose(mem);
    GDALClose(src);
    return rc;
}

/* Run argv as a process with its output discarded; 0 when it ran and
 * exited 0. */
static int run_process(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 1;
    return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

/* The tool beside this program (both are built in the same folder). */
static int tool_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 16);
    if (n <= 0)
        return 1;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        return 1;
    strcpy(slash + 1, "localities");
    return access(buf, X_OK) != 0;
}

/* Both as processes, as issue 17 measured them: `localities run` against
 * `ogr2ogr -f Memory` (start-up and GDAL's driver registration
 * included on both sides).  Prints nothing when either is missing. */
static void process_ratio(const char *bp, const char *out, int reps)
{
    char tool[4096];
    char *run[] = {tool, "run", "--quiet", "--boundaries", (char *)bp, "--out", (char *)out, NULL};
    char *ogr[] = {"ogr2ogr", "-f", "Memory", "mem", (char *)bp, NULL};
    bench_stage sr, so;
    bench_stage_init(&sr, "localities run (process)");
    bench_stage_init(&so, "ogr2ogr -f Memory (process)");
    if (tool_path(tool, sizeof tool))
        return;
    for (int r = 0; r < reps; r++) {
        bench_start(&so);
        if (run_process(ogr))
            return;
        bench_stop(&so);
        bench_start(&sr);
        if (run_process(run))
            return;
        bench_stop(&sr);
    }
    bench_report(&so);
    bench_report(&sr);
    printf("ratio as processes (issue 17's measure): %.1f\n", bench_median(&sr) / bench_median(&so));
}

/* Remove dir's files and dir (outputs of a run; one level). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[8192];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

/* The graph alone, on inputs loaded once: its median in seconds. */
static double graph_median(loc_ctx *ctx, cli_args *a, int reps)
{
    loc_inputs in;
    bench_stage st;
    bench_stage_init(&st, "graph alone");
    if (cli_load(ctx, a, &in)) {
        loc_inputs_free(&in);
        return 0;
    }
    for (int r = 0; r < reps; r++) {
        loc_problem b;
        bench_start(&st);
        int rc = cli_graph_only(ctx, a, &in, &b);
        bench_stop(&st);
        loc_problem_free(&b);
        if (rc)
            break;
    }
    loc_inputs_free(&in);
    return bench_median(&st);
}

static void print_row(const char *name, const bench_stage *st)
{
    printf("  %-26s %9.1f ms\n", name, 1e3 * bench_median(st));
}

int main(int argc, char **argv)
{
    int reps = bench_reps(3);
    GDALAllRegister();
    const char *bp = argc > 1 ? argv[1] : LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg";
    char tmpl[] = "/tmp/bench-run-XXXXXX";
    const char *out = argc > 2 ? argv[2] : mkdtemp(tmpl);
    if (!out) {
        perror("bench_run: mkdtemp");
        return 1;
    }
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 1;
    cli_args a;
    memset(&a, 0, sizeof a);
    a.boundaries = bp;
    a.command = "run";
    a.quiet = 1;
    if (cli_apply_defaults(&a))
        return 1;
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull)
        return 1;

    bench_stage gdal, run, run1, write1, steps[NSTEPS], files[CLI_MAX_TIMES];
    const char *file_names[CLI_MAX_TIMES] = {0};
    size_t nfiles = 0;
    bench_stage_init(&gdal, "GDAL read into memory");
    bench_stage_init(&run, "localities run");
    bench_stage_init(&run1, "localities run --threads 1");
    bench_stage_init(&write1, "write, one thread");
    for (size_t k = 0; k < NSTEPS; k++)
        bench_stage_init(&steps[k], STEP_NAMES[k]);
    for (size_t k = 0; k < CLI_MAX_TIMES; k++)
        bench_stage_init(&files[k], "");
    for (int r = 0; r < reps; r++) {
        bench_start(&gdal);
        if (gdal_read(bp)) {
            fprintf(stderr, "bench_run: GDAL cannot read '%s'\n", bp);
            return 1;
        }
        bench_stop(&gdal);
        cli_times times;
        memset(&times, 0, sizeof times);
        a.times = &times;
        bench_start(&run);
        int rc = cli_run_pipeline(ctx, &a, out, devnull);
        bench_stop(&run);
        a.times = NULL;
        if (rc) {
            fprintf(stderr, "bench_run: the run failed (exit %d)\n", rc);
            return 1;
        }
        for (size_t k = 0; k < NSTEPS && k < times.nsteps; k++)
            steps[k].runs[steps[k].n++] = times.step[k];
        /* the same run with one thread throughout, for the writers'
         * speed-up under the same load */
        a.times = &times;
        a.threads = "1";
        bench_start(&run1);
        rc = cli_run_pipeline(ctx, &a, out, devnull);
        bench_stop(&run1);
        a.times = NULL;
        a.threads = NULL;
        if (rc) {
            fprintf(stderr, "bench_run: the run with one thread failed (exit %d)\n", rc);
            return 1;
        }
        if (times.nsteps > 4)
            write1.runs[write1.n++] = times.step[4];
        nfiles = times.nfiles;
        for (size_t k = 0; k < nfiles; k++) {
            file_names[k] = times.file[k];
            files[k].runs[files[k].n++] = times.file_s[k];
        }
    }
    double g = graph_median(ctx, &a, reps);

    printf("run: all of Scotland from '%s', %d runs, medians\n", bp, reps);
    bench_report(&gdal);
    bench_report(&run);
    bench_report(&run1);
    printf("ratio run / GDAL read: %.1f\n", bench_median(&run) / bench_median(&gdal));
    printf("stages:\n");
    print_row(STEP_NAMES[0], &steps[0]);
    printf("  %-26s %9.1f ms\n", "graph (alone)", 1e3 * g);
    printf("  %-26s %9.1f ms\n", "build (less the graph)", 1e3 * (bench_median(&steps[1]) - g));
    for (size_t k = 2; k < NSTEPS; k++)
        print_row(STEP_NAMES[k], &steps[k]);
    print_row("write, --threads 1", &write1);
    printf("files (each writer's own time):\n");
    for (size_t k = 0; k < nfiles; k++)
        print_row(file_names[k], &files[k]);
    printf("peak resident memory: %.1f MiB\n", bench_peak_rss_mib());
    process_ratio(bp, out, reps);
    fclose(devnull);
    if (argc <= 2)
        remove_dir(out);
    loc_ctx_destroy(ctx);
    return 0;
}
