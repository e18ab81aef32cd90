#include "networks.hpp"

#include <cmath>
#include <stdexcept>

namespace nn = torch::nn;

namespace ctorch {
namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

// ---------------------------------------------------------------------------------------------
// ResNet

struct ResidualBlockImpl : nn::Module {
    ResidualBlockImpl(int64_t in, int64_t width, int64_t stride, bool bottleneck) : bottleneck(bottleneck) {
        int64_t out = bottleneck ? width * 4 : width;
        if (bottleneck) {
            body = nn::Sequential(conv(in, width, 1, 1), nn::BatchNorm2d(width), nn::ReLU(true),
                                  conv(width, width, 3, stride), nn::BatchNorm2d(width), nn::ReLU(true),
                                  conv(width, out, 1, 1), nn::BatchNorm2d(out));
        } else {
            body = nn::Sequential(conv(in, width, 3, stride), nn::BatchNorm2d(width), nn::ReLU(true),
                                  conv(width, out, 3, 1), nn::BatchNorm2d(out));
        }
        register_module("body", body);
        if (stride != 1 || in != out) {
            shortcut = nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out));
            register_module("shortcut", shortcut);
        }
        out_channels = out;
    }
    torch::Tensor forward(const torch::Tensor &x) {
        auto identity = shortcut ? shortcut->forward(x) : x;
        return torch::relu(body->forward(x) + identity);
    }
    bool bottleneck;
    int64_t out_channels;
    nn::Sequential body{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(ResidualBlock);

struct ResNetSpec {
    std::vector<int64_t> blocks;
    std::vector<int64_t> widths;
    bool bottleneck;
    enum Stem { ImageNet, Small, StrideTwo, StrideTwoPool } stem;
};

struct ResNetImpl : EncoderImpl {
    ResNetImpl(const ResNetSpec &spec, int64_t in_channels) {
        int64_t width0 = spec.widths[0];
        switch (spec.stem) {
            case ResNetSpec::ImageNet:  // 7x7 stride 2 + max pool: ImageNet-sized inputs
                stem = nn::Sequential(conv(in_channels, width0, 7, 2), nn::BatchNorm2d(width0), nn::ReLU(true),
                                      nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
                break;
            case ResNetSpec::Small:  // 3x3 stride 1, no pool: 32x32 inputs keep their resolution
                stem = nn::Sequential(conv(in_channels, width0, 3, 1), nn::BatchNorm2d(width0), nn::ReLU(true));
                break;
            case ResNetSpec::StrideTwo:  // 3x3 stride 2: 128x128 spectrograms at a CPU budget
                stem = nn::Sequential(conv(in_channels, width0, 3, 2), nn::BatchNorm2d(width0), nn::ReLU(true));
                break;
            case ResNetSpec::StrideTwoPool:  // 3x3 stride 2 + 2x2 max pool: the first stage at a quarter of the cost
                stem = nn::Sequential(conv(in_channels, width0, 3, 2), nn::BatchNorm2d(width0), nn::ReLU(true),
                                      nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
                break;
        }
        register_module("stem", stem);
        stages = nn::Sequential();
        int64_t channels = width0;
        for (size_t s = 0; s < spec.blocks.size(); ++s) {
            for (int64_t b = 0; b < spec.blocks[s]; ++b) {
                int64_t stride = (b == 0 && s > 0) ? 2 : 1;
                auto block = ResidualBlock(channels, spec.widths[s], stride, spec.bottleneck);
                channels = block->out_channels;
                stages->push_back(block);
            }
        }
        register_module("stages", stages);
        feature_dim = channels;
    }
    torch::Tensor forward(const torch::Tensor &x) override {
        auto y = stages->forward(stem->forward(x));
        return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    }
    nn::Sequential stem{nullptr}, stages{nullptr};
};

ResNetSpec resnet_spec(int scale) {
    const std::vector<int64_t> widths{64, 128, 256, 512};
    switch (scale) {
        case 0: return {{2, 2, 2, 2}, widths, false, ResNetSpec::ImageNet};
        case 1: return {{3, 4, 6, 3}, widths, false, ResNetSpec::ImageNet};
        case 2: return {{3, 4, 6, 3}, widths, true, ResNetSpec::ImageNet};
        case 3: return {{3, 4, 23, 3}, widths, true, ResNetSpec::ImageNet};
        case 4: return {{3, 8, 36, 3}, widths, true, ResNetSpec::ImageNet};
        case 5: return {{2, 2, 2, 2}, widths, false, ResNetSpec::Small};
        default: throw std::invalid_argument("resnet scale must be 0-5, got " + std::to_string(scale));
    }
}

ResNetSpec small_resnet_spec(int scale) {
    const std::vector<int64_t> widths{32, 64, 128, 256};
    switch (scale) {
        case 0: return {{1, 1, 1, 1}, widths, false, ResNetSpec::StrideTwo};
        case 1: return {{1, 1, 1, 1}, widths, false, ResNetSpec::Small};
        case 2: return {{1, 1, 1, 1}, widths, false, ResNetSpec::StrideTwoPool};
        default: throw std::invalid_argument("small_resnet scale must be 0-2, got " + std::to_string(scale));
    }
}

// ---------------------------------------------------------------------------------------------
// EfficientNet (B0-B7 as in Tan & Le 2019; scale 8 = B0 for small inputs)

int64_t round_channels(double channels) {
    int64_t divisor = 8;
    int64_t rounded = std::max<int64_t>(divisor, (int64_t(channels + divisor / 2.0) / divisor) * divisor);
    if (rounded < 0.9 * channels) rounded += divisor;
    return rounded;
}

struct SqueezeExciteImpl : nn::Module {
    SqueezeExciteImpl(int64_t channels, int64_t squeezed) {
        reduce = register_module("reduce", nn::Conv2d(nn::Conv2dOptions(channels, squeezed, 1)));
        expand = register_module("expand", nn::Conv2d(nn::Conv2dOptions(squeezed, channels, 1)));
    }
    torch::Tensor forward(const torch::Tensor &x) {
        auto s = torch::adaptive_avg_pool2d(x, {1, 1});
        s = torch::sigmoid(expand->forward(torch::silu(reduce->forward(s))));
        return x * s;
    }
    nn::Conv2d reduce{nullptr}, expand{nullptr};
};
TORCH_MODULE(SqueezeExcite);

struct MBConvImpl : nn::Module {
    MBConvImpl(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride)
        : use_residual(stride == 1 && in == out) {
        int64_t hidden = in * expand_ratio;
        body = nn::Sequential();
        if (expand_ratio != 1) {
            body->push_back(conv(in, hidden, 1, 1));
            body->push_back(nn::BatchNorm2d(hidden));
            body->push_back(nn::SiLU());
        }
        body->push_back(conv(hidden, hidden, kernel, stride, hidden));
        body->push_back(nn::BatchNorm2d(hidden));
        body->push_back(nn::SiLU());
        body->push_back(SqueezeExcite(hidden, std::max<int64_t>(1, in / 4)));
        body->push_back(conv(hidden, out, 1, 1));
        body->push_back(nn::BatchNorm2d(out));
        register_module("body", body);
    }
    torch::Tensor forward(const torch::Tensor &x) {
        auto y = body->forward(x);
        return use_residual ? y + x : y;
    }
    bool use_residual;
    nn::Sequential body{nullptr};
};
TORCH_MODULE(MBConv);

struct EfficientNetImpl : EncoderImpl {
    EfficientNetImpl(int scale, int64_t in_channels) {
        static const double width_mult[] = {1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 1.0};
        static const double depth_mult[] = {1.0, 1.1, 1.2, 1.4, 1.8, 2.2, 2.6, 3.1, 1.0};
        if (scale < 0 || scale > 8) throw std::invalid_argument("efficientnet scale must be 0-8, got " + std::to_string(scale));
        bool small_input = scale == 8;
        double w = width_mult[scale], d = depth_mult[scale];
        struct Stage { int64_t expand, kernel, stride, out, repeats; };
        std::vector<Stage> stages_spec{{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                                       {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
        // The small-input variant keeps resolution: stride-1 stem and no downsampling in the
        // 192-channel stage (torchvision's features[6]), as the reference does for CIFAR.
        if (small_input) stages_spec[5].stride = 1;
        int64_t stem_out = round_channels(32 * w);
        stem = nn::Sequential(conv(in_channels, stem_out, 3, small_input ? 1 : 2), nn::BatchNorm2d(stem_out), nn::SiLU());
        register_module("stem", stem);
        blocks = nn::Sequential();
        int64_t channels = stem_out;
        for (const auto &s : stages_spec) {
            int64_t out = round_channels(s.out * w);
            int64_t repeats = int64_t(std::ceil(s.repeats * d));
            for (int64_t r = 0; r < repeats; ++r) {
                blocks->push_back(MBConv(channels, out, s.expand, s.kernel, r == 0 ? s.stride : 1));
                channels = out;
            }
        }
        register_module("blocks", blocks);
        int64_t head_out = round_channels(1280 * w);
        head = nn::Sequential(conv(channels, head_out, 1, 1), nn::BatchNorm2d(head_out), nn::SiLU());
        register_module("head", head);
        feature_dim = head_out;
    }
    torch::Tensor forward(const torch::Tensor &x) override {
        auto y = head->forward(blocks->forward(stem->forward(x)));
        return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    }
    nn::Sequential stem{nullptr}, blocks{nullptr}, head{nullptr};
};

}  // namespace

std::shared_ptr<EncoderImpl> make_encoder(const std::string &architecture, int scale, int64_t in_channels) {
    if (in_channels < 1) throw std::invalid_argument("in_channels must be at least 1");
    if (architecture == "resnet") return std::make_shared<ResNetImpl>(resnet_spec(scale), in_channels);
    if (architecture == "small_resnet") return std::make_shared<ResNetImpl>(small_resnet_spec(scale), in_channels);
    if (architecture == "efficientnet") return std::make_shared<EfficientNetImpl>(scale, in_channels);
    throw std::invalid_argument("unknown architecture '" + architecture + "' (resnet, efficientnet, small_resnet)");
}

CSINetImpl::CSINetImpl(std::shared_ptr<EncoderImpl> enc, int64_t num_shifts, int64_t num_classes,
                       int64_t projection_dim) {
    encoder = register_module("encoder", enc);
    int64_t f = encoder->feature_dim;
    projection = register_module("projection", nn::Sequential(nn::Linear(f, f), nn::ReLU(true), nn::Linear(f, projection_dim)));
    shift_head = register_module("shift_head", nn::Linear(f, std::max<int64_t>(1, num_shifts)));
    if (num_classes > 0) class_head = register_module("class_head", nn::Linear(f, num_classes));
}

CSINetImpl::Output CSINetImpl::forward(const torch::Tensor &x) {
    Output out;
    out.features = encoder->forward(x);
    out.projection = projection->forward(out.features);
    out.shift_logits = shift_head->forward(out.features);
    if (class_head) out.class_logits = class_head->forward(out.features);
    return out;
}

}  // namespace ctorch
