/*
 * ctorch.h: the whole contract between Swift and libtorch.
 *
 * Plain C only: opaque handles, status codes and an error buffer. Every entry point catches every
 * C++ exception and turns it into CT_ERROR plus a message, because an exception that crossed into
 * Swift would abort the process.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_OK = 0,
    CT_ERROR = 1,         /* libtorch threw: message holds its text */
    CT_INVALID_ARGUMENT = 2,
    CT_IO = 3,            /* a file could not be read or written */
    CT_MISMATCH = 4,      /* a checkpoint does not fit the network it is loaded into; ranks disagree on the config */
    CT_PEER_LOST = 5,     /* a rank of the process group died or stopped answering: message names it */
    CT_RENDEZVOUS = 6     /* the group could not form: store unreachable, port taken, a rank never came */
} ct_status;

/** Filled by a call that fails. */
typedef struct {
    int code;
    char message[1024];
} ct_error;

typedef struct ct_model ct_model;
typedef struct ct_optimizer ct_optimizer;
/** A data-parallel process group (c10d over Gloo); see the end of this header. */
typedef struct ct_group ct_group;

/** Which network to build. */
typedef struct {
    const char *architecture;   /* "resnet", "efficientnet" or "small_resnet" */
    int scale;                  /* resnet 0-5, efficientnet 0-8, small_resnet 0-1 */
    int in_channels;
    int num_shifts;             /* shift head outputs (D) */
    int num_classes;            /* class head outputs; 0 = no class head */
    int projection_dim;         /* 128 in CSI */
} ct_model_spec;

/** Threads for intra-op parallelism. n <= 0 keeps the current setting. */
void ct_set_num_threads(int n);
int ct_get_num_threads(void);
/** Seeds libtorch's generator (weight initialisation, dropout). */
void ct_manual_seed(uint64_t seed);

ct_model *ct_model_create(const ct_model_spec *spec, ct_error *err);
void ct_model_free(ct_model *model);
/** Width of the pooled features F. */
int64_t ct_model_feature_dim(const ct_model *model);
int64_t ct_model_parameter_count(const ct_model *model);

/**
 * Inference (eval mode, no gradient) on n items of shape c x h x w.
 * Any output pointer may be NULL. features: n x F, projection: n x projection_dim,
 * shift_logits: n x num_shifts.
 */
int ct_model_forward(ct_model *model, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                     float *features, float *projection, float *shift_logits, ct_error *err);

typedef enum { CT_OPT_ADAMW = 0, CT_OPT_SGD = 1, CT_OPT_LARS = 2 } ct_optimizer_kind;

/** Weight decay applies to weights of convolutions and linear layers, never to BatchNorm or biases. */
ct_optimizer *ct_optimizer_create(ct_model *model, ct_optimizer_kind kind, double lr, double weight_decay,
                                  double momentum, ct_error *err);
void ct_optimizer_free(ct_optimizer *opt);
void ct_optimizer_set_lr(ct_optimizer *opt, double lr);

/** Weights of the loss terms, and the NT-Xent temperature. A term whose weight is 0 is not computed. */
typedef struct {
    double weight_sim;
    double weight_shift;
    double weight_cls;
    double weight_norm;
    double temperature;
} ct_loss_config;

/** Loss values of one step. */
typedef struct {
    double total;
    double sim;
    double shift;
    double cls;
    double norm;
} ct_losses;

/**
 * One optimisation step on a batch in CSI's shift-major layout: n = 2 * D * B items, index j*B + b,
 * first half view 1, second half view 2, positives i <-> i + n/2.
 * shift_labels: n labels in [0, D). class_labels: n labels or NULL (class loss then skipped).
 * group: NULL trains alone. Otherwise the gradients are averaged over the group's ranks between the
 * backward pass and the update (ct_group_allreduce_gradients, with grad_weight), and out receives the
 * losses averaged over the ranks the same way; every rank must call it the same number of times.
 */
int ct_train_step(ct_model *model, ct_optimizer *opt, const float *input, int64_t n, int64_t c, int64_t h,
                  int64_t w, const int64_t *shift_labels, const int64_t *class_labels,
                  const ct_loss_config *loss, ct_group *group, double grad_weight, ct_losses *out, ct_error *err);

/** Same losses without a step (eval mode, no gradient): the validation loss. */
int ct_eval_loss(ct_model *model, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                 const int64_t *shift_labels, const int64_t *class_labels, const ct_loss_config *loss,
                 ct_losses *out, ct_error *err);

/**
 * For each of n queries (n x d), the largest dot product with any of m keys (m x d): CSI's
 * nearest-training-feature similarity. best receives n values.
 */
int ct_max_dot(const float *queries, int64_t n, const float *keys, int64_t m, int64_t d, float *best, ct_error *err);

/** NT-Xent of n embeddings of width d (positives i <-> i + n/2), for tests. */
int ct_nt_xent(const float *z, int64_t n, int64_t d, double temperature, double *out, ct_error *err);

/**
 * Writes model (and optimiser, if not NULL) plus a metadata string to path. The caller writes to a
 * temporary path and renames, so a killed process never leaves half a checkpoint.
 */
int ct_checkpoint_save(ct_model *model, ct_optimizer *opt, const char *path, const char *metadata,
                       ct_error *err);
/**
 * Reads a checkpoint into model (and opt, if not NULL). The metadata string is copied into
 * metadata (size capacity, NUL-terminated); its full length goes to metadata_len.
 */
int ct_checkpoint_load(ct_model *model, ct_optimizer *opt, const char *path, char *metadata,
                       size_t capacity, size_t *metadata_len, ct_error *err);
/** Reads only the metadata string of a checkpoint. */
int ct_checkpoint_read_metadata(const char *path, char *metadata, size_t capacity, size_t *metadata_len,
                                ct_error *err);

/* ---- Data-parallel training: c10d's ProcessGroupGloo over a TCPStore ----
 *
 * Every rank calls the collectives below in the same order. Each one fails (never hangs) when a rank
 * is gone: Gloo reports a closed connection at once, a silent rank after timeout_ms. The failure is
 * CT_PEER_LOST with a message naming the lost rank(s), found through a heartbeat each rank keeps in
 * the store. A group that failed is abandoned, not torn down, by ct_group_free (tearing down waits on
 * the dead peer).
 */

/** Where and how to meet: torchrun's MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE. */
typedef struct {
    const char *master_addr;
    int master_port;            /* rank 0 hosts the store here; 0 < port < 65536 */
    int rank;
    int world_size;
    int64_t timeout_ms;         /* rendezvous and every collective */
    const char *config_hash;    /* must be equal on every rank, else CT_MISMATCH naming the ranks */
} ct_group_spec;

ct_group *ct_group_create(const ct_group_spec *spec, ct_error *err);
void ct_group_free(ct_group *group);
int ct_group_rank(const ct_group *group);
int ct_group_world_size(const ct_group *group);

/** Copies rank 0's parameters and buffers into every rank's model. */
int ct_group_broadcast_model(ct_group *group, ct_model *model, ct_error *err);

/**
 * Averages the parameters' gradients over the ranks, in buckets of at most bucket_bytes (<= 0: 25 MB)
 * so a step sends a few large messages. Each rank's gradients are weighted by weight (its items over the
 * mean items per rank; 1 when every rank had the same batch size). values (n doubles, may be NULL)
 * ride along in the last bucket and come back averaged with the same weights.
 */
int ct_group_allreduce_gradients(ct_group *group, ct_model *model, double weight, int64_t bucket_bytes,
                                 double *values, int64_t n, ct_error *err);

/** Sums n doubles over the ranks in place. */
int ct_group_allreduce_sum(ct_group *group, double *values, int64_t n, ct_error *err);

/** Waits for every rank, up to timeout_ms (<= 0: the group's timeout): after work rank 0 does alone. */
int ct_group_barrier(ct_group *group, int64_t timeout_ms, ct_error *err);

/** Seconds one all-reduce of `floats` floats takes, the mean of `repeats` after one warm-up. */
int ct_group_time_allreduce(ct_group *group, int64_t floats, int repeats, double *seconds, ct_error *err);

/** FNV-1a over the bytes of every parameter, in order: equal on ranks whose parameters are identical. */
uint64_t ct_model_parameter_checksum(const ct_model *model);

#ifdef __cplusplus
}
#endif

#endif
