/*
 * Progress lines on stderr while a command runs: one line per stage that
 * rewrites itself on a terminal, plain "localities: [k/n] ..." lines
 * otherwise (with the batch run's name when there is one), nothing with
 * --quiet; and, for bench_run, the seconds each stage and each file took.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const cli_args *a, int stages)
{
    memset(p, 0, sizeof *p);
    p->quiet = a->quiet;
    p->tty = isatty(2) && !cli_msg_prefix; /* runs of a batch share the terminal */
    p->stages = stages;
    p->times = a->times;
    if (p->times) {
        /* keep the caller's step callback, clear the figures */
        void (*on_step)(void *, size_t) = p->times->on_step;
        void *ud = p->times->ud;
        memset(p->times, 0, sizeof *p->times);
        p->times->on_step = on_step;
        p->times->ud = ud;
    }
    p->t0 = p->t_step = cli_now();
}

/* Close the current step's time (bench_run's stage table). */
static void time_step(cli_progress *p)
{
    double now = cli_now();
    if (p->times && p->stage > 0 && (size_t)p->stage <= CLI_MAX_TIMES) {
        p->times->step[p->stage - 1] = now - p->t_step;
        p->times->nsteps = (size_t)p->stage;
        if (p->times->on_step)
            p->times->on_step(p->times->ud, (size_t)p->stage - 1);
    }
    p->t_step = cli_now();
}

void cli_time_file(cli_progress *p, const char *name, double s)
{
    if (p->times && p->times->nfiles < CLI_MAX_TIMES) {
        p->times->file[p->times->nfiles] = name;
        p->times->file_s[p->times->nfiles++] = s;
    }
}

void cli_step(cli_progress *p, const char *fmt, ...)
{
    time_step(p);
    if (p->quiet) {
        p->stage++;
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - p->t0;
    p->stage++;
    if (p->tty)
        fprintf(stderr, "\r\033[K[%d/%d %5.1fs] %s", p->stage, p->stages, t, msg);
    else if (cli_msg_prefix)
        fprintf(stderr, CLI_PROG ": [%s] [%d/%d] %s\n", cli_msg_prefix, p->stage, p->stages, msg);
    else
        fprintf(stderr, CLI_PROG ": [%d/%d] %s\n", p->stage, p->stages, msg);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    time_step(p);
    if (!p->quiet && p->tty)
        fprintf(stderr, "\r\033[K");
}

