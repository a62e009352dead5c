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
#include "exp/sweep.h"
#include "io/result/output.h"
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
    /* OUT may be none of the files the sweep reads (every rank sees the
     * same files and refuses alike, before any collective call) */
    config_error ce;
    sweep_spec *spec = sweep_load(sweep_file(argc, argv), &ce);
    const char *read[2] = {sweep_file(argc, argv), spec ? spec->scenario : NULL};
    publish_inputs *inputs = cmd_inputs("sim-mpi", read, 2);
    int refused = inputs ? cmd_check_output("sim-mpi", out, inputs) : EXIT_RUNTIME;
    sweep_free(spec);
    if (refused) {
        publish_inputs_free(inputs);
        MPI_Finalize();
        return refused;
    }
    /* this rank's shard: the same arguments, -o OUT.rankK, --shard k/K */
    char rank_out[4200], shard[32], suffix[32];
    snprintf(suffix, sizeof suffix, ".rank%d", rank);
    if (publish_sibling(out, suffix, rank_out, sizeof rank_out) < 0) {
        if (rank == 0)
            fprintf(stderr, "sim-mpi: %s: the path is too long\n", out);
        publish_inputs_free(inputs);
        MPI_Finalize();
        return EXIT_INPUT;
    }
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
                char sfx[32];
                snprintf(sfx, sizeof sfx, ".rank%d", k);
                in[k] = malloc(4200);
                if (in[k] && publish_sibling(out, sfx, in[k], 4200) < 0)
                    in[k][0] = '\0';
                if (in[k])
                    publish_inputs_add(inputs, in[k]);
            }
            char *history = cmd_history(argc, argv);
            merge_opts mo = {.path = out,
                             .history = history ? history : "sim-mpi sweep",
                             .require_complete = 1, .inputs = inputs};
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
            free(history);
        }
        free(all);
    }
    MPI_Bcast(&final, 1, MPI_INT, 0, MPI_COMM_WORLD);
    publish_inputs_free(inputs);
    MPI_Finalize();
    return final;
}
