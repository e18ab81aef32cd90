// Data-parallel training on libtorch's own c10d: a TCPStore for the rendezvous (rank 0 hosts it, as
// torchrun's MASTER_ADDR:MASTER_PORT) and ProcessGroupGloo for the collectives. Everything here throws
// ctorch::status_error; the extern "C" entry points at the end funnel through ctorch::guarded.

// Debian builds libtorch with Gloo, but the header only declares ProcessGroupGloo under this macro.
#define USE_C10D_GLOO 1

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "internal.hpp"

using ctorch::guarded;
using ctorch::require;
using ctorch::status_error;
using namespace std::chrono;

struct ct_group {
    std::string host;
    int port = 0;
    int rank = 0;
    int world = 1;
    milliseconds timeout{0};
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
    // Every rank counts up its own key in the store twice a second; a rank whose count stops is the lost one.
    std::thread heartbeat;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    // Set by a failed collective: the group is then abandoned, never torn down (teardown waits on the dead peer).
    std::atomic<bool> failed{false};
};

namespace {

constexpr auto kHeartbeatPeriod = milliseconds(500);
// Long enough for a live rank's heartbeat to advance several times, even on a loaded machine.
constexpr auto kHeartbeatWatch = milliseconds(2500);

std::string alive_key(int rank) { return "tunescore/alive/" + std::to_string(rank); }
std::string config_key(int rank) { return "tunescore/config/" + std::to_string(rank); }

std::string message_of(const std::exception &e) {
    if (auto c10 = dynamic_cast<const c10::Error *>(&e)) return c10->what_without_backtrace();
    return e.what();
}

std::string first_line(std::string text) {
    auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

c10::intrusive_ptr<c10d::TCPStore> connect_store(const std::string &host, int port, bool server, int world,
                                                 milliseconds timeout) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = server;
    options.numWorkers = world;
    // Missing ranks show up in the config-hash exchange, with a message naming them.
    options.waitWorkers = false;
    options.timeout = timeout;
    return c10::make_intrusive<c10d::TCPStore>(host, options);
}

void run_heartbeat(ct_group *group) {
    try {
        // A client of its own: the store's client is not meant to be shared between threads.
        auto store = connect_store(group->host, group->port, false, group->world, milliseconds(5000));
        std::unique_lock<std::mutex> lock(group->mutex);
        while (!group->stopping) {
            lock.unlock();
            store->add(alive_key(group->rank), 1);
            lock.lock();
            group->wake.wait_for(lock, kHeartbeatPeriod, [&] { return group->stopping; });
        }
    } catch (...) {
        // The store went away (rank 0 ended); the next collective reports it.
    }
}

std::vector<int64_t> heartbeats(const c10::intrusive_ptr<c10d::TCPStore> &store, int world) {
    std::vector<int64_t> counts;
    for (int r = 0; r < world; ++r) counts.push_back(store->add(alive_key(r), 0));
    return counts;
}

// Names the ranks whose heartbeat stopped, or says that the store itself (rank 0) is gone.
std::string lost_ranks(ct_group *group) {
    try {
        auto store = connect_store(group->host, group->port, false, group->world, milliseconds(3000));
        auto before = heartbeats(store, group->world);
        std::this_thread::sleep_for(kHeartbeatWatch);
        auto after = heartbeats(store, group->world);
        std::string lost;
        for (int r = 0; r < group->world; ++r)
            if (r != group->rank && after[r] == before[r]) lost += (lost.empty() ? "" : ", ") + std::to_string(r);
        if (lost.empty()) return "no rank's heartbeat stopped";
        return (lost.find(',') == std::string::npos ? "lost rank " : "lost ranks ") + lost + " (no heartbeat for " +
               std::to_string(kHeartbeatWatch.count() / 1000.0).substr(0, 3) + " s)";
    } catch (...) {
        return "lost rank 0 (its store at " + group->host + ":" + std::to_string(group->port) + " no longer answers)";
    }
}

void wait_all(ct_group *group, const char *what, std::vector<c10::intrusive_ptr<c10d::Work>> works) {
    for (auto &work : works) {
        try {
            work->wait();
        } catch (const std::exception &e) {
            group->failed = true;
            throw status_error(CT_PEER_LOST, "rank " + std::to_string(group->rank) + ": " + what + " failed, " +
                                                 lost_ranks(group) + " (gloo: " + first_line(message_of(e)) + ")");
        }
    }
}

void require_live(ct_group *group) {
    require(group != nullptr, "process group is missing");
    if (group->failed) throw status_error(CT_PEER_LOST, "the process group already failed: a rank is gone");
}

// Broadcasts tensors of any layout from rank 0: one flat message per dtype.
void broadcast_flat(ct_group *group, const std::vector<torch::Tensor> &tensors) {
    std::map<c10::ScalarType, std::vector<torch::Tensor>> by_type;
    for (const auto &t : tensors) by_type[t.scalar_type()].push_back(t);
    for (auto &[type, list] : by_type) {
        std::vector<torch::Tensor> flat_parts;
        for (const auto &t : list) flat_parts.push_back(t.detach().reshape(-1));
        std::vector<torch::Tensor> flat{torch::cat(flat_parts).contiguous()};
        c10d::BroadcastOptions options;
        options.rootRank = 0;
        wait_all(group, "broadcasting the parameters", {group->pg->broadcast(flat, options)});
        int64_t offset = 0;
        torch::NoGradGuard guard;
        for (auto &t : list) {
            t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
            offset += t.numel();
        }
    }
}

std::shared_ptr<::gloo::transport::Device> make_device(const std::string &host) {
    if (const char *name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name)
        return c10d::ProcessGroupGloo::createDeviceForInterface(name);
    // A group on one machine talks over loopback; the default device would resolve the host name, which a
    // container may map to an address no peer can reach.
    if (host == "127.0.0.1" || host == "localhost") return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

namespace ctorch {

void allreduce_gradients(ct_group *group, ct_model *model, double weight, int64_t bucket_bytes, double *values, int64_t n) {
    require_live(group);
    require(model != nullptr, "model is missing");
    require(n >= 0 && (n == 0 || values != nullptr), "values are missing");
    const int64_t bucket_floats = std::max<int64_t>(1, (bucket_bytes > 0 ? bucket_bytes : 25 << 20) / 4);
    const double scale = weight / group->world;
    torch::NoGradGuard guard;
    std::vector<torch::Tensor> grads;
    for (auto &p : model->net->parameters()) {
        auto &g = p.mutable_grad();
        // Every rank must send the same layout: a parameter the loss did not reach gets a zero gradient.
        if (!g.defined()) g = torch::zeros_like(p);
        grads.push_back(g);
    }
    // Buckets of consecutive gradients, flattened into one message each.
    std::vector<std::pair<size_t, size_t>> ranges;
    for (size_t start = 0, i = 0; i < grads.size(); start = i) {
        int64_t floats = 0;
        while (i < grads.size() && (i == start || floats + grads[i].numel() <= bucket_floats)) floats += grads[i++].numel();
        ranges.emplace_back(start, i);
    }
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (size_t b = 0; b < ranges.size(); ++b) {
        std::vector<torch::Tensor> parts;
        for (size_t i = ranges[b].first; i < ranges[b].second; ++i) parts.push_back(grads[i].reshape(-1).to(torch::kFloat32));
        if (b + 1 == ranges.size() && n > 0)
            parts.push_back(torch::from_blob(values, {n}, torch::kFloat64).to(torch::kFloat32));
        auto flat = torch::cat(parts).mul_(scale).contiguous();
        flats.push_back(flat);
        std::vector<torch::Tensor> message{flat};
        works.push_back(group->pg->allreduce(message));
    }
    wait_all(group, "averaging the gradients", works);
    for (size_t b = 0; b < ranges.size(); ++b) {
        int64_t offset = 0;
        for (size_t i = ranges[b].first; i < ranges[b].second; ++i) {
            grads[i].copy_(flats[b].narrow(0, offset, grads[i].numel()).view(grads[i].sizes()));
            offset += grads[i].numel();
        }
        if (b + 1 == ranges.size() && n > 0) {
            auto averaged = flats[b].narrow(0, offset, n).to(torch::kFloat64).contiguous();
            std::memcpy(values, averaged.data_ptr<double>(), sizeof(double) * size_t(n));
        }
    }
}

}  // namespace ctorch

extern "C" {

ct_group *ct_group_create(const ct_group_spec *spec, ct_error *err) {
    ct_group *result = nullptr;
    guarded(err, [&] {
        require(spec != nullptr && spec->master_addr != nullptr && *spec->master_addr, "MASTER_ADDR is missing");
        require(spec->world_size >= 1, "WORLD_SIZE must be at least 1, got " + std::to_string(spec->world_size));
        require(spec->rank >= 0 && spec->rank < spec->world_size,
                "RANK must be 0-" + std::to_string(spec->world_size - 1) + ", got " + std::to_string(spec->rank));
        require(spec->master_port > 0 && spec->master_port < 65536, "MASTER_PORT must be 1-65535, got " + std::to_string(spec->master_port));
        require(spec->timeout_ms > 0, "the group's timeout must be positive");
        auto group = std::make_unique<ct_group>();
        group->host = spec->master_addr;
        group->port = spec->master_port;
        group->rank = spec->rank;
        group->world = spec->world_size;
        group->timeout = milliseconds(spec->timeout_ms);
        const std::string where = group->host + ":" + std::to_string(group->port);
        const std::string seconds = std::to_string(spec->timeout_ms / 1000);
        try {
            group->store = connect_store(group->host, group->port, group->rank == 0, group->world, group->timeout);
        } catch (const std::exception &e) {
            throw status_error(CT_RENDEZVOUS, group->rank == 0
                ? "rank 0 cannot host the rendezvous store at " + where + " (MASTER_ADDR/MASTER_PORT; port taken?): " + first_line(message_of(e))
                : "rank " + std::to_string(group->rank) + " cannot reach the rendezvous store at " + where +
                      " within " + seconds + " s (MASTER_ADDR/MASTER_PORT; is rank 0 running?): " + first_line(message_of(e)));
        }
        // Ranks that train different configs would average gradients of different models: refuse before any step.
        const std::string hash = spec->config_hash ? spec->config_hash : "";
        group->store->set(config_key(group->rank), std::vector<uint8_t>(hash.begin(), hash.end()));
        std::vector<std::string> hashes;
        for (int r = 0; r < group->world; ++r) {
            try {
                auto theirs = group->store->get(config_key(r));
                hashes.emplace_back(theirs.begin(), theirs.end());
            } catch (const std::exception &e) {
                throw status_error(CT_RENDEZVOUS, "rank " + std::to_string(r) + " did not join the group at " + where + " within " + seconds +
                                                      " s: " + first_line(message_of(e)));
            }
        }
        // Rank 0 hosts the store: it stays until every rank has read every hash, so that all of them, not only the
        // first to notice, report a mismatch as such.
        group->store->add("tunescore/config-read", 1);
        if (group->rank == 0) {
            auto deadline = steady_clock::now() + group->timeout;
            while (group->store->add("tunescore/config-read", 0) < group->world) {
                if (steady_clock::now() > deadline)
                    throw status_error(CT_RENDEZVOUS, "not every rank read the others' config hashes within " + seconds + " s");
                std::this_thread::sleep_for(milliseconds(20));
            }
        }
        for (int r = 0; r < group->world; ++r)
            if (hashes[r] != hashes[0])
                throw status_error(CT_MISMATCH, "rank " + std::to_string(r) + "'s config differs from rank 0's (hash " + hashes[r] + " vs " +
                                                    hashes[0] + "): every rank must run the same config and --set overrides");
        auto options = c10d::ProcessGroupGloo::Options::create(group->timeout);
        options->devices.push_back(make_device(group->host));
        // One Gloo thread per rank: the collectives of a step run one after another, and the cores belong to training.
        options->threads = 1;
        try {
            auto prefixed = c10::make_intrusive<c10d::PrefixStore>("tunescore/gloo", group->store);
            group->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, group->rank, group->world, options);
        } catch (const std::exception &e) {
            throw status_error(CT_RENDEZVOUS, "rank " + std::to_string(group->rank) + " could not connect to every rank through " + where +
                                                  ": " + first_line(message_of(e)));
        }
        auto raw = group.get();
        group->heartbeat = std::thread([raw] { run_heartbeat(raw); });
        result = group.release();
    });
    return result;
}

void ct_group_free(ct_group *group) {
    if (!group) return;
    {
        std::lock_guard<std::mutex> lock(group->mutex);
        group->stopping = true;
    }
    group->wake.notify_all();
    if (group->heartbeat.joinable()) group->heartbeat.join();
    if (group->failed) {
        // Gloo's teardown waits for work involving the dead rank; the process is about to report and exit.
        group->pg.release();
        group->store.release();
        delete group;
        return;
    }
    try {
        group->pg.reset();
        group->store.reset();
    } catch (...) {}
    delete group;
}

int ct_group_rank(const ct_group *group) { return group ? group->rank : 0; }
int ct_group_world_size(const ct_group *group) { return group ? group->world : 1; }

int ct_group_broadcast_model(ct_group *group, ct_model *model, ct_error *err) {
    return guarded(err, [&] {
        require_live(group);
        require(model != nullptr, "model is missing");
        std::vector<torch::Tensor> tensors;
        for (auto &p : model->net->parameters()) tensors.push_back(p);
        for (auto &b : model->net->buffers()) tensors.push_back(b);
        broadcast_flat(group, tensors);
    });
}

int ct_group_allreduce_gradients(ct_group *group, ct_model *model, double weight, int64_t bucket_bytes,
                                 double *values, int64_t n, ct_error *err) {
    return guarded(err, [&] { ctorch::allreduce_gradients(group, model, weight, bucket_bytes, values, n); });
}

int ct_group_allreduce_sum(ct_group *group, double *values, int64_t n, ct_error *err) {
    return guarded(err, [&] {
        require_live(group);
        require(values != nullptr && n > 0, "values are missing");
        std::vector<torch::Tensor> message{torch::from_blob(values, {n}, torch::kFloat64).clone()};
        wait_all(group, "summing values", {group->pg->allreduce(message)});
        std::memcpy(values, message[0].data_ptr<double>(), sizeof(double) * size_t(n));
    });
}

int ct_group_barrier(ct_group *group, int64_t timeout_ms, ct_error *err) {
    return guarded(err, [&] {
        require_live(group);
        c10d::BarrierOptions options;
        options.timeout = timeout_ms > 0 ? milliseconds(timeout_ms) : group->timeout;
        wait_all(group, "waiting for every rank", {group->pg->barrier(options)});
    });
}

int ct_group_time_allreduce(ct_group *group, int64_t floats, int repeats, double *seconds, ct_error *err) {
    return guarded(err, [&] {
        require_live(group);
        require(floats > 0 && repeats > 0 && seconds != nullptr, "floats and repeats must be positive");
        std::vector<torch::Tensor> message{torch::ones({floats}, torch::kFloat32)};
        wait_all(group, "timing an all-reduce", {group->pg->allreduce(message)});
        auto start = steady_clock::now();
        for (int i = 0; i < repeats; ++i) wait_all(group, "timing an all-reduce", {group->pg->allreduce(message)});
        *seconds = duration<double>(steady_clock::now() - start).count() / repeats;
    });
}

uint64_t ct_model_parameter_checksum(const ct_model *model) {
    if (!model) return 0;
    try {
        uint64_t hash = 1469598103934665603ull;
        for (const auto &p : model->net->parameters()) {
            auto c = p.detach().contiguous();
            auto bytes = static_cast<const unsigned char *>(c.data_ptr());
            for (size_t i = 0, n = size_t(c.numel()) * c.element_size(); i < n; ++i) {
                hash ^= bytes[i];
                hash *= 1099511628211ull;
            }
        }
        return hash;
    } catch (...) {
        return 0;
    }
}

}  // extern "C"
