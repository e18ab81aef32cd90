// Encoders (ResNet, EfficientNet, a CPU-sized ResNet) and the CSI heads on top of them.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ctorch {

/// An encoder maps N x C x H x W to pooled features N x F.
struct EncoderImpl : torch::nn::Module {
    virtual torch::Tensor forward(const torch::Tensor &x) = 0;
    int64_t feature_dim = 0;
};

/// Builds the encoder named by architecture and scale; throws std::invalid_argument for unknown ones.
std::shared_ptr<EncoderImpl> make_encoder(const std::string &architecture, int scale, int64_t in_channels);

/// Encoder plus CSI's projection, shift and (optional) class heads.
struct CSINetImpl : torch::nn::Module {
    CSINetImpl(std::shared_ptr<EncoderImpl> encoder, int64_t num_shifts, int64_t num_classes,
               int64_t projection_dim);

    struct Output {
        torch::Tensor features, projection, shift_logits, class_logits;
    };
    Output forward(const torch::Tensor &x);

    std::shared_ptr<EncoderImpl> encoder;
    torch::nn::Sequential projection{nullptr};
    torch::nn::Linear shift_head{nullptr};
    torch::nn::Linear class_head{nullptr};
};
TORCH_MODULE(CSINet);

}  // namespace ctorch
