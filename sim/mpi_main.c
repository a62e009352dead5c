/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_main.c - `sim-mpi sweep SWEEP.cfg -o OUT.h5 [...]` and
 * `sim-mpi calibrate [...]` under mpirun.
 *
 * calibrate: every rank runs `sim calibrate` with the same arguments;
 * rank k computes the particles i with i % K == k of each generation and
 * the ranks exchange them (MPI_Allreduce, MPI_BOR on bytes: each slot is
 * written by one rank), so every rank holds every particle and the
 * posterior is the same for every K.  Rank 0 alone prints and writes the
 * files (the posterior and its checkpoints).
 *
 * sweep:
 * Rank k of K runs the shard k/K of the sweep into OUT.h5.rank<k> (with
 * its own parts directory, so each rank resumes with --resume), then rank
 * 0 merges the K files into OUT.h5 with the same writer as a serial
 * sweep: the data are identical for every K.  A rank that fails is
 * reported with its runs, and nothing is merged; no rank waits forever on
 * a failed one (every rank reaches the same collective calls).  Its
 * options are those it shares with `sim sweep`, from the same table
 * (cmd_mpi_sweep_spec in sim/cmd/sweep.c).
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
#include "io/result/output.h"
#include "io/sweepfile.h"

/* OR the bytes of buf over the ranks, in place (each slot is filled by one
 * rank and zero on the others). */
static int share_bytes(void *ctx, unsigned char *buf, size_t bytes)
{
    (void)ctx;
    const size_t most = (size_t)1 << 30;
    for (size_t at = 0; at < bytes; at += most) {
        int n = (int)(bytes - at < most ? bytes - at : most);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + at, n, MPI_BYTE, MPI_BOR,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

/* `sim-mpi calibrate`: `sim calibrate` on every rank, the particles
 * shared; rank 0 speaks for all and its outcome is the program's. */
static int calibrate_main(int argc, char **argv, int rank, int size)
{
    static cmd_cluster cl; /* read by sim calibrate */
    cl = (cmd_cluster){.rank = rank, .size = size, .share = share_bytes};
    cmd_calibrate_cluster = &cl;
    if (rank != 0 && (!freopen("/dev/null", "w", stdout) ||
                      !freopen("/dev/null", "w", stderr)))
        return EXIT_RUNTIME;
    int rc = cmd_calibrate_spec.main(argc - 1, argv + 1);
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
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
static int lock_job(const cmd_args *a, int argc, char **argv, int size,
                    sweep_parts **pt)
{
    static const char *const where[] = {"configs/sweeps", "configs", NULL};
    char found[4096], err[1024];
    config_error ce;
    const char *file = cmd_find_file(a->operands[0], where, found, sizeof found);
    sweep_spec *s = sweep_load(file, &ce);
    if (!s)
        return EXIT_OK;
    char *command = cmd_history(argc, argv);
    if (!command) {
        sweep_free(s);
        cmd_error("sweep", "out of memory");
        return EXIT_RUNTIME;
    }
    parts_job job = {.path = a->output, .kind = "sim-mpi", .sweep_file = file,
                     .command = command, .hash = s->hash, .shard_i = 0,
                     .shard_n = size, .resume = a->resume};
    parts_status ps;
    *pt = parts_open(&job, 0, NULL, NULL, &ps, err, sizeof err);
    free(command);
    sweep_free(s);
    if (*pt)
        return EXIT_OK;
    cmd_error("sweep", "%s", err);
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
    cmd_program = "sim-mpi";
    if (argc >= 2 && strcmp(argv[1], "calibrate") == 0) {
        int rc = calibrate_main(argc, argv, rank, size);
        MPI_Finalize();
        return rc;
    }
    cmd_args a;
    cmd_args_init(&a);
    int parsed = -1;
    int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    /* every rank parses the same line; only rank 0 speaks */
    cmd_silent = rank != 0;
    if (argc >= 2 && strcmp(argv[1], "sweep") == 0) {
        parsed = cmd_parse(&cmd_mpi_sweep_spec, argc - 1, argv + 1, &a);
        if (parsed == 0 && !a.output) {
            cmd_error("sweep", "-o OUT.h5 is required (see 'sim-mpi sweep --help')");
            parsed = -1;
        }
    } else if (help) {
        if (rank == 0)
            cmd_usage(&cmd_mpi_sweep_spec, stdout);
        parsed = 1;
    } else {
        cmd_error(NULL, "the commands are sweep and calibrate: mpirun -n K sim-mpi "
                  "sweep SWEEP.cfg -o OUT.h5, or sim-mpi calibrate [SCENARIO.cfg] "
                  "--targets FILE (see 'sim-mpi sweep --help', 'sim calibrate "
                  "--help')");
    }
    cmd_silent = 0;
    if (parsed != 0) {
        cmd_args_free(&a);
        MPI_Finalize();
        return parsed > 0 ? EXIT_OK : EXIT_INPUT;
    }
    const char *out = a.output, *file = a.n_operands ? a.operands[0] : "";
    int quiet = a.quiet;
    /* OUT may be none of the files the sweep reads (every rank sees the
     * same files and refuses alike, before any collective call; rank 0
     * speaks) */
    static const char *const where[] = {"configs/sweeps", "configs", NULL};
    char found[4096];
    config_error ce;
    const char *sfile = cmd_find_file(file, where, found, sizeof found);
    sweep_spec *spec = sweep_load(sfile, &ce);
    const sim_config *scen = spec ? spec->cfg : NULL;
    cmd_silent = rank != 0;
    publish_inputs *inputs = cmd_inputs("sweep", &sfile, 1, &scen, scen ? 1 : 0);
    if (inputs && a.posterior && publish_inputs_add(inputs, a.posterior) < 0) {
        publish_inputs_free(inputs);
        inputs = NULL;
    }
    int refused = inputs ? cmd_check_output("sweep", out, inputs) : EXIT_RUNTIME;
    cmd_silent = 0;
    sweep_free(spec);
    /* this rank's shard: OUT.rankK, --shard k/K, quietly */
    char rank_out[4200], shard[32], suffix[32];
    snprintf(suffix, sizeof suffix, ".rank%d", rank);
    if (!refused && publish_sibling(out, suffix, rank_out, sizeof rank_out) < 0) {
        if (rank == 0)
            cmd_error("sweep", "%s: the path is too long", out);
        refused = EXIT_INPUT;
    }
    if (refused) {
        publish_inputs_free(inputs);
        cmd_args_free(&a);
        MPI_Finalize();
        return refused;
    }
    /* the whole job's lock, on OUT.parts/ (exp/shard.h), held by rank 0
     * until the merge is done: a second job on OUT is refused, naming this
     * one, and so is a --resume with another number of ranks */
    sweep_parts *job_lock = NULL;
    int lock_rc = EXIT_OK;
    if (rank == 0)
        lock_rc = lock_job(&a, argc, argv, size, &job_lock);
    MPI_Bcast(&lock_rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (lock_rc != EXIT_OK) {
        publish_inputs_free(inputs);
        cmd_args_free(&a);
        MPI_Finalize();
        return lock_rc;
    }
    snprintf(shard, sizeof shard, "%d/%d", rank, size);
    a.output = rank_out;
    a.shard = shard;
    a.quiet = 1;
    a.progress = 0;
    int rc = cmd_sweep_run(&a, argc - 1, argv + 1);
    int *all = rank == 0 ? calloc((size_t)size, sizeof *all) : NULL;
    MPI_Gather(&rc, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int final = EXIT_OK;
    if (rank == 0) {
        for (int k = 0; k < size; k++)
            if (all[k] != EXIT_OK) {
                char runs[512], sfx[32], kept[4200], parts[4300];
                shard_runs(file, k, size, runs, sizeof runs);
                snprintf(sfx, sizeof sfx, ".rank%d", k);
                if (publish_sibling(out, sfx, kept, sizeof kept) < 0 ||
                    publish_sibling(kept, ".parts", parts, sizeof parts) < 0)
                    snprintf(parts, sizeof parts, "%s.rank%d.parts", out, k);
                fprintf(stderr, "sim-mpi: rank %d of %d failed (exit %d) on its "
                        "runs %s; its finished runs are kept in "
                        "%s (go on with --resume)\n",
                        k, size, all[k], runs, parts);
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
        if (final == EXIT_OK)
            parts_finish(job_lock);
        else
            parts_close(job_lock); /* kept: go on with --resume */
    }
    MPI_Bcast(&final, 1, MPI_INT, 0, MPI_COMM_WORLD);
    publish_inputs_free(inputs);
    cmd_args_free(&a);
    MPI_Finalize();
    return final;
}
