// What ctorch.cpp and distributed.cpp share: the model handle, the error funnel every entry point goes
// through, and the gradient all-reduce a training step calls.
#pragma once

#include <torch/torch.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "ctorch.h"
#include "networks.hpp"

struct ct_model {
    ctorch::CSINet net{nullptr};
    int64_t num_shifts = 0;
    int64_t num_classes = 0;
};

namespace ctorch {

/// An error that carries its ct_status code to the caller.
struct status_error : std::runtime_error {
    status_error(int code, const std::string &what) : std::runtime_error(what), code(code) {}
    int code;
};

inline void fill(ct_error *err, int code, const char *message) {
    if (!err) return;
    err->code = code;
    std::snprintf(err->message, sizeof(err->message), "%s", message);
}

/// Runs body and turns any exception into a status code and message: an exception must never unwind into Swift.
template <typename F>
int guarded(ct_error *err, F &&body) {
    try {
        body();
        if (err) { err->code = CT_OK; err->message[0] = 0; }
        return CT_OK;
    } catch (const status_error &e) {
        fill(err, e.code, e.what());
        return e.code;
    } catch (const std::invalid_argument &e) {
        fill(err, CT_INVALID_ARGUMENT, e.what());
        return CT_INVALID_ARGUMENT;
    } catch (const c10::Error &e) {
        fill(err, CT_ERROR, e.what_without_backtrace());
        return CT_ERROR;
    } catch (const std::exception &e) {
        fill(err, CT_ERROR, e.what());
        return CT_ERROR;
    } catch (...) {
        fill(err, CT_ERROR, "unknown C++ exception");
        return CT_ERROR;
    }
}

inline void require(bool condition, const std::string &message) {
    if (!condition) throw std::invalid_argument(message);
}

/// ct_group_allreduce_gradients without the error funnel (throws status_error).
void allreduce_gradients(ct_group *group, ct_model *model, double weight, int64_t bucket_bytes, double *values, int64_t n);

}  // namespace ctorch
