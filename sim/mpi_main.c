/*
 * mpi_main.c - `sim-mpi sweep SWEEP.cfg -o OUT.h5 [...]` under mpirun.
 *
 * Rank k of K runs the shard k/K of the sweep into OUT.h5.rank<k> (with
 * its own parts directory, so each rank resumes with --resume), then rank
 * 0 merges the K files into OUT.h5 with the same writer as a serial
 * sweep: the data are identical for every K.  A rank that fails is
 * reported with its runs, and nothing is merged; no rank waits forever on
 * a failed one (every rank reaches the same collective calls).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cmd/cmd.h"
#include "exp/merge.h"
#include "exp/shard.h"
#include "exp/sweep.h"
#include "io/output.h"
#include "io/sweepfile.h"

static const char usage[] =
    "usage: mpirun -n K sim-mpi sweep SWEEP.cfg -o OUT.h5 [--jobs J] [--resume] [-q]\n"
    "\n"
    "Split a sweep's runs over the K ranks (rank k runs shard k/K of\n"
    "`sim sweep --shard`) and join them into OUT.h5; the data are those of\n"
    "`sim sweep` in one process.\n";

/* The sweep file among the arguments after "sweep" (options with a value
 * skipped), or "". */
static const char *sweep_file(int argc, char **argv)
{
    static const char *const valued[] = {"-o", "--jobs", "--checkpoint",
                                         "--shard"};
    for (int k = 2; k < argc; k++) {
        int skip = 0;
        for (size_t v = 0; v < sizeof valued / sizeof valued[0]; v++)
            skip |= strcmp(argv[k], valued[v]) == 0;
        if (skip)
            k++;
        else if (argv[k][0] != '-')
            return argv[k];
    }
    return "";
}

/* The runs of rank k's shard, as text, or "shard k/K". */
static void shard_runs(const char *file, int k, int size, char *buf, size_t len)
{
    config_error ce;
    char err[256];
    snprintf(buf, len, "shard %d/%d", k, size);
    sweep_spec *s = sweep_load(file, &ce);
    sweep_plan *pl = s ? sweep_plan_alloc(s, err, sizeof err) : NULL;
    if (pl)
        sweep_describe_shard(pl, sweep_block_runs(pl, size), k, size, buf, len);
    sweep_plan_free(pl);
    sweep_free(s);
}

/* Rank 0: take the job's lock on OUT.parts/.  EXIT_OK (*pt set, or NULL
 * when the sweep file does not load: each rank then reports it), or the
 * exit code after one line. */
static int lock_job(int argc, char **argv, const char *out, int size,
                    sweep_parts **pt)
{
    config_error ce;
    const char *file = sweep_file(argc, argv);
    sweep_spec *s = sweep_load(file, &ce);
    if (!s)
        return EXIT_OK;
    int resume = 0;
    for (int k = 0; k < argc; k++)
        resume |= strcmp(argv[k], "--resume") == 0;
    char *command = cmd_history(argc, argv), err[1024];
    if (!command) {
        sweep_free(s);
        fprintf(stderr, "sim-mpi: out of memory\n");
        return EXIT_RUNTIME;
    }
    parts_job job = {.path = out, .kind = "sim-mpi", .sweep_file = file,
                     .command = command, .hash = s->hash, .shard_i = 0,
                     .shard_n = size, .resume = resume};
    parts_status ps;
    *pt = parts_open(&job, 0, NULL, NULL, &ps, err, sizeof err);
    free(command);
    sweep_free(s);
    if (*pt)
        return EXIT_OK;
    fprintf(stderr, "sim-mpi: %s\n", err);
    return ps == PARTS_REFUSED ? EXIT_INPUT : EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
    output_library_init();
    gsl_set_error_handler_off();
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *out = NULL;
    int quiet = 0;
    for (int k = 2; k < argc; k++) {
        if (strcmp(argv[k], "-o") == 0 && k + 1 < argc)
            out = argv[k + 1];
        if (strcmp(argv[k], "-q") == 0)
            quiet = 1;
    }
    if (argc < 3 || strcmp(argv[1], "sweep") != 0 || !out) {
        if (rank == 0)
            fprintf(stderr, usage);
        MPI_Finalize();
        return EXIT_INPUT;
    }
    /* the whole job's lock, on OUT.parts/ (shard.h), held by rank 0 until
     * the merge is done: a second job on OUT is refused, naming this one,
     * and so is a --resume with another number of ranks */
    sweep_parts *job_lock = NULL;
    int lock_rc = EXIT_OK;
    if (rank == 0)
        lock_rc = lock_job(argc, argv, out, size, &job_lock);
    MPI_Bcast(&lock_rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (lock_rc != EXIT_OK) {
        MPI_Finalize();
        return lock_rc;
    }
    /* this rank's shard: the same arguments, -o OUT.rankK, --shard k/K */
    char rank_out[4200], shard[32];
    snprintf(rank_out, sizeof rank_out, "%s.rank%d", out, rank);
    snprintf(shard, sizeof shard, "%d/%d", rank, size);
    /* args[0] is the program: commands read argv[-1] for the history */
    char **args = calloc((size_t)argc + 5, sizeof *args);
    int n = 0;
    args[n++] = argv[0];
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-o") == 0 && k + 1 < argc) {
            k++;
            continue;
        }
        args[n++] = argv[k];
    }
    args[n++] = "-o";
    args[n++] = rank_out;
    args[n++] = "--shard";
    args[n++] = shard;
    args[n++] = "-q";
    int rc = cmd_sweep(n - 1, args + 1);
    free(args);
    int *all = rank == 0 ? calloc((size_t)size, sizeof *all) : NULL;
    MPI_Gather(&rc, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int final = EXIT_OK;
    if (rank == 0) {
        for (int k = 0; k < size; k++)
            if (all[k] != EXIT_OK) {
                char runs[512];
                shard_runs(sweep_file(argc, argv), k, size, runs, sizeof runs);
                fprintf(stderr, "sim-mpi: rank %d of %d failed (exit %d) on its "
                        "runs %s; its finished runs are kept in "
                        "%s.rank%d.parts (go on with --resume)\n",
                        k, size, all[k], runs, out, k);
                if (final == EXIT_OK || all[k] == EXIT_INPUT)
                    final = all[k];
            }
        if (final == EXIT_OK) {
            char **in = calloc((size_t)size, sizeof *in);
            char err[1024];
            for (int k = 0; in && k < size; k++) {
                in[k] = malloc(strlen(out) + 32);
                if (in[k])
                    sprintf(in[k], "%s.rank%d", out, k);
            }
            merge_opts mo = {.path = out, .history = "sim-mpi sweep",
                             .require_complete = 1};
            int written = 0;
            if (!in || merge_files((const char *const *)in, size, &mo, &written,
                                   err, sizeof err)) {
                fprintf(stderr, "sim-mpi: %s\n", in ? err : "out of memory");
                final = EXIT_RUNTIME;
            } else {
                for (int k = 0; k < size; k++)
                    unlink(in[k]);
                if (!quiet)
                    printf("sim-mpi: %d ranks, %d runs, written to %s\n", size,
                           written, out);
            }
            for (int k = 0; in && k < size; k++)
                free(in[k]);
            free(in);
        }
        free(all);
        if (final == EXIT_OK)
            parts_finish(job_lock);
        else
            parts_close(job_lock); /* kept: go on with --resume */
    }
    MPI_Bcast(&final, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return final;
}
