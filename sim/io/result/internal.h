/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - what the files of the result module share: the layout
 * (dimensions, the event table's columns), small checked HDF5 helpers
 * (h5.c), and the writer's, run buffer's and block's structures.  Not for
 * use outside sim/io/result/.
 */
#ifndef SIM_IO_RESULT_INTERNAL_H
#define SIM_IO_RESULT_INTERNAL_H

#include <stddef.h>

#include <hdf5.h>

#include "io/publish.h"
#include "io/result/output.h"
#include "io/result/reader.h"
#include "model/vars.h"

#if defined(__GNUC__)
#define RESULT_FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define RESULT_FMT(a, b)
#endif

#define RESULT_PROGRAM "bloc-sim"
#define N_VARS state_vars_len
#define CHUNK_MAX (1024.0 * 1024.0)   /* bytes: largest chunk            */
#define CHUNK_TARGET (256.0 * 1024.0) /* bytes: aim when grouping runs   */
#define RUN_CHUNK 4096                /* runs in a chunk of seed, point... */
#define EVENT_CHUNK 1024              /* rows per chunk of event columns */
#define EVENTS_GROUP "events"

/* ---- the layout ------------------------------------------------------------ */

/* The dimensions.  Every one is an HDF5 dimension scale; nv (the bounds of
 * time_bnds) and event have no coordinate variable (netCDF's "dimension
 * but not a variable"), event lives in the group `events`. */
enum {
    DIM_RUN, DIM_SCENARIO, DIM_TIME, DIM_AGENT, DIM_PARTNER, DIM_GOOD,
    DIM_ROUTE, DIM_PARAM, DIM_NV, DIM_EVENT, DIM_COUNT
};
extern const char *const result_dim_names[DIM_COUNT];
#define MAX_RANK 6 /* run, scenario, time, agent, partner, good */

/* The dimension of an axis of the variable table. */
int result_axis_dim(var_axis a);

/* The event table's columns, 1-D on the event dimension of the group. */
typedef enum { COL_INT, COL_DOUBLE, COL_STRING } col_type;
enum {
    EC_SCENARIO, EC_RUN, EC_STEP, EC_KIND, EC_ACTOR, EC_TARGET, EC_VALUE,
    EC_UNIT, EC_LABEL, EC_COUNT
};
typedef struct {
    const char *name;
    col_type type;
    const char *units; /* NULL for strings */
    const char *long_name;
} result_ev_col;
extern const result_ev_col result_ev_cols[EC_COUNT];

/* The global attributes this program writes (and its reader reads back),
 * NULL-terminated. */
extern const char *const result_known_attrs[];

/* ---- HDF5 helpers (h5.c) ----------------------------------------------------- */

/* The most telling line of the HDF5 error stack: the system's error message
 * when there is one, else the innermost description.  Clears the stack. */
void h5_reason(char *buf, size_t len);
/* A UTF-8 string type: variable length, or fixed `size` (attributes,
 * which netCDF reads as text).  -1 on failure. */
hid_t h5_string_type(size_t size);
/* The netCDF name of a dimension scale without a coordinate variable of
 * length len. */
void h5_dim_only_name(size_t len, char *buf, size_t buflen);
/* Is the scale name one of netCDF's "dimension but not a variable"? */
int h5_is_dim_only_name(const char *name);

/* ---- events kept in memory ------------------------------------------------------ */

/* An event waiting to be written, its label copied (owned). */
typedef struct {
    model_event ev;
    int scen, run; /* run: the slot */
    size_t seq;    /* order of arrival */
} kept_event;

/* Room in *arr (capacity *cap, doubling from 64) for `need` events.  0,
 * or -1 when memory is short (*arr unchanged). */
int kept_room(kept_event **arr, size_t *cap, size_t need);

/* ---- the writer ------------------------------------------------------------------ */

struct output {
    char *path;
    publish_file *pub;   /* the temporary, until published */
    const publish_inputs *inputs;
    char err[1024];
    char what[160];      /* "run 3" or "run 3 of scenario B", for messages */
    hid_t file, vstr, events;
    hid_t dxpl;          /* transfer: a small conversion buffer */
    hid_t coord[DIM_COUNT];
    hid_t step, time_bnds, good_unit, seed, param_unit;
    hid_t param_value, point; /* sweeps: (run, param) and (run) */
    int n_params;
    int max_block;       /* output_opts.runs_per_chunk */
    int block;           /* runs in a chunk of every record variable (0:
                          * a run is too large; see record_chunk) */
    hid_t var[STATE_VARS_MAX]; /* -1: not selected */
    hid_t col[EC_COUNT];
    /* fixed by output_open(); output_run_alloc() reads only these */
    int selected[STATE_VARS_MAX];
    size_t inner[STATE_VARS_MAX]; /* elements of one record of each variable */
    int n, g, nr, n_runs, n_rec, every;
    int n_scen;          /* scenarios; 1 without a scenario dimension */
    int scen_dim;        /* the file has a scenario dimension */
    char **scen_names;   /* [n_scen] with a scenario dimension */
    char *codes;         /* n agent codes, PARAM_NAME_MAX apart */
    int *labels;         /* [n_runs] the run coordinate */
    char **ev_units;     /* [p->n_events] unit of each scheduled event's value */
    char **ev_labels;    /* [p->n_events] their labels, to find the unit */
    int n_ev_specs;
    /* changed by writing only */
    unsigned char *written;    /* [n_scen * n_runs]: (scenario, run) done */
    unsigned long long *seeds; /* [n_runs] seed written for each run */
    int *seed_scen;            /* [n_runs] scenario that wrote it, -1: none */
    kept_event *kept;          /* events not yet in the file */
    size_t n_kept, cap_kept;
    size_t ev_rows;            /* event rows already in the file */
    size_t low;                /* (scenario, run) keys below are all written */
    size_t flushed_low;        /* low at the last flush */
    /* blocks of runs being filled by output_write_run (chunk.c) */
    output_block **pend;
    int n_pend, cap_pend;
    output_block *spare; /* a written block, for the next */
    /* blocks of one run (B = 1) are compressed straight from the run
     * buffer, one variable after the other, into one scratch buffer */
    struct libdeflate_compressor *z;
    unsigned char *scratch;
    size_t scratch_cap;
    unsigned char *blk_state;  /* [n_scen * blocks]: 0 none, 1 in memory,
                                * 2 in the file */
    int n_blocks;
    /* the single-run API */
    output_run *cur;     /* allocated at the first output_begin_run() */
    int run;             /* run being buffered, -1 between runs */
    unsigned long run_seed;
};

/* One run's records: buffers of the selected variables in one block. */
struct output_run {
    int n, g, nr, n_rec, every;
    const state_var *sv[STATE_VARS_MAX]; /* where each variable's values live */
    double *buf[STATE_VARS_MAX]; /* [n_rec * inner], NULL: not selected */
    size_t inner[STATE_VARS_MAX];
    double *block;
    size_t n_values;
    char err[256];
};

/* B runs' records of every selected variable, then compressed. */
struct output_block {
    int runs;                       /* runs in a block (o->block) */
    int n, g, nr, n_rec, every, n_runs, n_params;
    int selected[STATE_VARS_MAX];
    size_t per_run[STATE_VARS_MAX]; /* values of one run: n_rec * inner */
    double *data[STATE_VARS_MAX];   /* [runs * per_run] */
    unsigned char *packed[STATE_VARS_MAX]; /* the compressed chunk */
    size_t packed_len[STATE_VARS_MAX], packed_cap[STATE_VARS_MAX];
    int scen;                       /* its scenario (writer's blocks) */
    int index, first, count;        /* block, its first slot, slots in the file */
    unsigned char *filled;          /* [runs] */
    int n_filled;
    unsigned long long *seeds;      /* [runs] */
    int *points;                    /* [runs] */
    double *values;                 /* [runs * n_params] */
    kept_event *ev;                 /* the filled runs' events, labels owned */
    size_t n_ev, cap_ev;
    struct libdeflate_compressor *z;
    char err[256];
};

/* Writer helpers shared with chunk.c and copy.c (writer.c). */
RESULT_FMT(2, 3) int writer_fail(output *o, const char *fmt, ...);
RESULT_FMT(3, 4) int writer_fail_sys(output *o, int errnum, const char *fmt, ...);
int writer_write_slab(output *o, hid_t ds, const char *name, int rank,
                      const hsize_t *start, const hsize_t *count, hid_t mtype,
                      const void *buf);
/* Take events into the writer's kept list (labels copied when copy_labels,
 * else their ownership passes to the writer). */
int writer_keep_events(output *o, int scen, int run, const kept_event *ev,
                       size_t n, int copy_labels);
int writer_keep_model_events(output *o, int scen, int run,
                             const model_event *ev, int n_ev);
/* After runs were accepted: move `low` on and write the events that are
 * final when many are kept. */
int writer_advance(output *o);
/* Before HDF5 writes: room for its allocations (HDF5_WRITE_ROOM free),
 * else o->err says "out of memory".  0 or -1. */
int writer_room(output *o);

/* The open dataset of table variable v in a reader, -1 when absent
 * (reader.c). */
hid_t reader_var_dataset(const output_reader *r, size_t v);

/* Blocks (chunk.c). */
output_block *block_alloc_for(const output *o);
void block_start_scen(output_block *b, int scen, int index);
void block_drop_events(output_block *b);
int block_put_info(output_block *b, int slot, unsigned long seed,
                   const model_event *ev, int n_ev, int point,
                   const double *values);
/* Write b's packed chunks and its runs' seeds (points and values with
 * parameters); books and events are the caller's.  0 or -1. */
int block_write_data(output *o, output_block *b);
/* output_write_run's part: the run into its block in memory, which is
 * written when complete.  0 or -1. */
int pending_put(output *o, int scen, int slot, unsigned long seed,
                const output_run *r);
/* Every block still in memory, written (at close).  0 or -1. */
int pending_flush_all(output *o);
void pending_free(output *o);

#endif
