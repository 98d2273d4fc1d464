/*
 * The command line's side of an output set (the engine's loc_outset,
 * outset.h, does the staging and the commit): run.json's record made from
 * the command's arguments, the engine's errors printed, and the signals.
 * SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken by a
 * thread of their own, which waits for a commit under way, has every open
 * staging folder removed (and an output folder the run created and left
 * empty) and exits with 128 + the signal.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* run.json's record of a command: its line, start and inputs. */
static void record_of(const cli_args *a, loc_run_record *r)
{
    memset(r, 0, sizeof *r);
    r->argc = a->argc;
    r->argv = a->argv;
    r->command = a->command;
    r->started = a->started;
    const loc_run_input fixed[] = {{"boundaries", a->boundaries}, {"indicators", a->indicators}, {"spec", a->spec}};
    for (size_t k = 0; k < 3; k++)
        r->inputs[r->ninputs++] = fixed[k];
    for (size_t k = 0; k < a->nlookups && r->ninputs < 38; k++)
        r->inputs[r->ninputs++] = (loc_run_input){"lookup", a->lookups[k]};
    r->inputs[r->ninputs++] = (loc_run_input){"localities", a->localities};
    r->inputs[r->ninputs++] = (loc_run_input){"hold-localities", a->hold};
}

int cli_stage_open(loc_ctx *ctx, loc_outset *s, const char *out, const cli_args *args)
{
    loc_run_record rec;
    if (args)
        record_of(args, &rec);
    return loc_outset_open(ctx, s, out, args ? &rec : NULL) ? cli_fail(ctx) : CLI_EXIT_OK;
}

int cli_stage_commit(loc_outset *s) { return loc_outset_commit(s) ? cli_fail(s->ctx) : CLI_EXIT_OK; }

/* ---------------------------------------------------------------------
 * Signals
 * --------------------------------------------------------------------- */

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    if (sigwait(set, &sig) != 0)
        return NULL;
    loc_outset_stop_all(); /* after a commit under way */
    fprintf(stderr, CLI_PROG ": stopped by signal %d (%s); no output written\n", sig, strsignal(sig));
    fflush(stderr);
    _exit(128 + sig);
}

void cli_signals_init(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return;
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, signal_thread, &set) != 0)
        pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* default actions rather than none */
    pthread_attr_destroy(&at);
}
