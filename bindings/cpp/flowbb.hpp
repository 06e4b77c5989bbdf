// flowbb.hpp: header-only C++17 interface of libflowbb over the C interface
// in flowbb.h.
//
// Every class owns one C handle and frees it in its destructor; classes are
// move-only (copy a model explicitly with Model::clone()). Failed calls throw
// flowbb::Error, which carries the C status and the library's message.
// Thread safety is that of the C handles: const member functions of Model may
// run on several threads at once; a Coder or Trainer is used by one thread at
// a time (it may move between threads).
#ifndef FLOWBB_HPP
#define FLOWBB_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "flowbb.h"

namespace flowbb {

// A failed libflowbb call: what() is the library's message, status() the
// flowbb_status it returned.
class Error : public std::runtime_error {
  public:
    Error(flowbb_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    flowbb_status status() const noexcept { return status_; }

  private:
    flowbb_status status_;
};

namespace detail {

// Throws flowbb::Error for a failed status, taking over the error object.
inline void check(flowbb_status status, flowbb_error *error) {
    if (status == FLOWBB_OK) {
        return;
    }
    std::string message = error != nullptr
                              ? std::string(flowbb_error_message(error))
                              : std::string(flowbb_status_str(status));
    flowbb_error_free(error);
    throw Error(status, message);
}

// Calls a C function whose last argument is `flowbb_error **` and throws on
// failure.
template <typename F, typename... Args>
inline void call(F f, Args... args) {
    flowbb_error *error = nullptr;
    flowbb_status status = f(args..., &error);
    check(status, error);
}

// unique_ptr deleter calling the C `_free` function of a handle type.
template <typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T *)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

// Takes ownership of library-allocated bytes and copies them out.
inline std::vector<std::uint8_t> take_bytes(flowbb_bytes &bytes) {
    std::vector<std::uint8_t> out;
    try {
        out.assign(bytes.data, bytes.data + bytes.len);
    } catch (...) {
        flowbb_bytes_free(&bytes);
        throw;
    }
    flowbb_bytes_free(&bytes);
    return out;
}

} // namespace detail

// The library version ("MAJOR.MINOR.PATCH") of the loaded library.
inline std::string version() { return flowbb_version(); }

// The binary interface version of the loaded library; equals
// FLOWBB_ABI_VERSION when the header and the library agree.
inline std::uint32_t abi_version() noexcept { return flowbb_abi_version(); }

// A short English description of a status value.
inline std::string status_str(flowbb_status status) {
    return flowbb_status_str(status);
}

// An 8-bit image owned by the caller: rows from the top, channels of a pixel
// next to each other (RGB RGB ... or grayscale).
struct Image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    // 1 (grayscale) or 3 (RGB).
    std::uint32_t channels = 0;
    // width * height * channels bytes.
    std::vector<std::uint8_t> pixels;

    // A view for the C interface, valid while the image is unchanged.
    flowbb_image view() const noexcept {
        return flowbb_image{width, height, channels, pixels.data()};
    }

    bool operator==(const Image &o) const {
        return width == o.width && height == o.height &&
               channels == o.channels && pixels == o.pixels;
    }
    bool operator!=(const Image &o) const { return !(*this == o); }
};

namespace detail {

inline std::vector<flowbb_image> views(const std::vector<Image> &images) {
    std::vector<flowbb_image> out;
    out.reserve(images.size());
    for (const Image &im : images) {
        out.push_back(im.view());
    }
    return out;
}

// Copies the images of a C list and frees the list.
inline std::vector<Image> take_images(flowbb_image_list *list) {
    Handle<flowbb_image_list, flowbb_image_list_free> owner(list);
    std::vector<Image> out(flowbb_image_list_len(list));
    for (std::size_t i = 0; i < out.size(); ++i) {
        flowbb_image v;
        call(flowbb_image_list_get, static_cast<const flowbb_image_list *>(list),
             i, &v);
        out[i].width = v.width;
        out[i].height = v.height;
        out[i].channels = v.channels;
        out[i].pixels.assign(v.pixels, v.pixels + std::size_t(v.width) *
                                                      v.height * v.channels);
    }
    return out;
}

} // namespace detail

// A Flow++ model. Move-only; clone() makes another handle on the same
// weights. Const member functions may run on several threads at once.
class Model {
  public:
    // A model with freshly initialised weights drawn from `seed`: `config`
    // is a preset name ("tiny", "small", "cifar") or configuration JSON.
    static Model create(const std::string &config, std::uint64_t seed = 0) {
        flowbb_model *m = nullptr;
        detail::call(flowbb_model_new, config.c_str(), seed, &m);
        return Model(m);
    }

    // The model built into the library (3x32x32 tiles).
    static Model default_model() {
        flowbb_model *m = nullptr;
        detail::call(flowbb_model_default, &m);
        return Model(m);
    }

    // Loads a model file.
    static Model load(const std::string &path) {
        flowbb_model *m = nullptr;
        detail::call(flowbb_model_load, path.c_str(), &m);
        return Model(m);
    }

    // Reads a model from the bytes of a model file.
    static Model from_bytes(const std::vector<std::uint8_t> &bytes) {
        flowbb_model *m = nullptr;
        detail::call(flowbb_model_from_bytes, bytes.data(), bytes.size(), &m);
        return Model(m);
    }

    // Takes ownership of a C handle.
    explicit Model(flowbb_model *raw) noexcept : p_(raw) {}

    // Another handle on the same weights.
    Model clone() const {
        flowbb_model *m = flowbb_model_clone(p_.get());
        if (m == nullptr) {
            throw Error(FLOWBB_NULL_ARGUMENT, "cannot clone an empty model");
        }
        return Model(m);
    }

    void save(const std::string &path) const {
        detail::call(flowbb_model_save, get(), path.c_str());
    }

    std::vector<std::uint8_t> to_bytes() const {
        flowbb_bytes b{nullptr, 0};
        detail::call(flowbb_model_to_bytes, get(), &b);
        return detail::take_bytes(b);
    }

    // The configuration as JSON.
    std::string config_json() const {
        std::size_t needed = 0;
        flowbb_error *e = nullptr;
        flowbb_status s =
            flowbb_model_config_json(get(), nullptr, 0, &needed, &e);
        if (s != FLOWBB_BUFFER_TOO_SMALL) {
            detail::check(s, e);
        }
        flowbb_error_free(e);
        std::string text(needed, '\0');
        detail::call(flowbb_model_config_json, get(), &text[0], text.size(),
                     &needed);
        text.resize(needed - 1);
        return text;
    }

    // Tile shape: channels, height, width.
    struct Shape {
        std::uint32_t channels, height, width;
    };
    Shape tile_shape() const {
        Shape s{0, 0, 0};
        detail::call(flowbb_model_tile_shape, get(), &s.channels, &s.height,
                     &s.width);
        return s;
    }

    // Mean codelength bound of images of the tile shape, in bits per
    // dimension.
    double bpd(const std::vector<Image> &images) const {
        std::vector<flowbb_image> v = detail::views(images);
        double out = 0;
        detail::call(flowbb_model_bpd, get(), v.data(), v.size(), &out);
        return out;
    }

    // Draws `count` images at `temperature`.
    std::vector<Image> sample(std::size_t count, double temperature) const {
        flowbb_image_list *list = nullptr;
        detail::call(flowbb_model_sample, get(), count, temperature, &list);
        return detail::take_images(list);
    }

    const flowbb_model *get() const noexcept { return p_.get(); }
    // Gives up ownership of the C handle.
    flowbb_model *release() noexcept { return p_.release(); }

  private:
    detail::Handle<flowbb_model, flowbb_model_free> p_;
};

// Settings of a coder (see flowbb_coder_options in flowbb.h). Setters check
// their value and return *this for chaining.
class CoderOptions {
  public:
    CoderOptions() : p_(flowbb_coder_options_new()) {
        if (!p_) {
            throw Error(FLOWBB_PANIC, "cannot allocate coder options");
        }
    }
    CoderOptions &sigma_log2(std::int32_t v) {
        detail::call(flowbb_coder_options_set_sigma_log2, p_.get(), v);
        return *this;
    }
    CoderOptions &delta_log2(std::int32_t v) {
        detail::call(flowbb_coder_options_set_delta_log2, p_.get(), v);
        return *this;
    }
    CoderOptions &streams(std::uint32_t v) {
        detail::call(flowbb_coder_options_set_streams, p_.get(), v);
        return *this;
    }
    CoderOptions &batch_size(std::uint32_t v) {
        detail::call(flowbb_coder_options_set_batch_size, p_.get(), v);
        return *this;
    }
    CoderOptions &seed(std::uint64_t v) {
        detail::call(flowbb_coder_options_set_seed, p_.get(), v);
        return *this;
    }
    // A flowbb_algorithm value.
    CoderOptions &algorithm(flowbb_algorithm v) {
        detail::call(flowbb_coder_options_set_algorithm, p_.get(),
                     static_cast<std::int32_t>(v));
        return *this;
    }
    // Images per independent chunk; 0 codes all images in one chain.
    CoderOptions &chunk(std::uint32_t images) {
        detail::call(flowbb_coder_options_set_chunk, p_.get(), images);
        return *this;
    }
    CoderOptions &device(const std::string &name) {
        detail::call(flowbb_coder_options_set_device, p_.get(), name.c_str());
        return *this;
    }
    const flowbb_coder_options *get() const noexcept { return p_.get(); }

  private:
    detail::Handle<flowbb_coder_options, flowbb_coder_options_free> p_;
};

// Compresses images into archives and back with one model. Move-only; used
// by one thread at a time.
class Coder {
  public:
    explicit Coder(const Model &model,
                   const CoderOptions *options = nullptr) {
        flowbb_coder *c = nullptr;
        detail::call(flowbb_coder_new, model.get(),
                     options != nullptr ? options->get() : nullptr, &c);
        p_.reset(c);
    }
    Coder(const Model &model, const CoderOptions &options)
        : Coder(model, &options) {}

    // Compresses images into an archive; `stats`, when given, receives the
    // codelengths.
    std::vector<std::uint8_t>
    compress(const std::vector<Image> &images,
             flowbb_compress_stats *stats = nullptr) {
        std::vector<flowbb_image> v = detail::views(images);
        flowbb_bytes b{nullptr, 0};
        detail::call(flowbb_coder_compress_alloc, p_.get(),
                     static_cast<const flowbb_image *>(v.data()), v.size(), &b,
                     stats);
        return detail::take_bytes(b);
    }

    // Decompresses an archive made with this coder's model.
    std::vector<Image> decompress(const std::vector<std::uint8_t> &archive) {
        flowbb_image_list *list = nullptr;
        detail::call(flowbb_coder_decompress, p_.get(), archive.data(),
                     archive.size(), &list);
        return detail::take_images(list);
    }

    flowbb_coder *get() noexcept { return p_.get(); }

  private:
    detail::Handle<flowbb_coder, flowbb_coder_free> p_;
};

// Fits a model's weights to images. Move-only; used by one thread at a
// time.
class Trainer {
  public:
    // Called after each step; returns whether to go on.
    using Progress = std::function<bool(const flowbb_step_info &)>;

    // Starts from the weights of `model` with the settings in
    // `config_json` (fields override the defaults; "" keeps them all).
    explicit Trainer(const Model &model, const std::string &config_json = "") {
        flowbb_trainer *t = nullptr;
        detail::call(flowbb_trainer_new, model.get(),
                     config_json.empty() ? nullptr : config_json.c_str(), &t);
        p_.reset(t);
    }

    // Resumes from a checkpoint file.
    static Trainer load_checkpoint(const std::string &path) {
        flowbb_trainer *t = nullptr;
        detail::call(flowbb_trainer_load_checkpoint, path.c_str(), &t);
        return Trainer(t);
    }

    void add_images(const std::vector<Image> &images) {
        std::vector<flowbb_image> v = detail::views(images);
        detail::call(flowbb_trainer_add_images, p_.get(),
                     static_cast<const flowbb_image *>(v.data()), v.size());
    }
    void add_test_images(const std::vector<Image> &images) {
        std::vector<flowbb_image> v = detail::views(images);
        detail::call(flowbb_trainer_add_test_images, p_.get(),
                     static_cast<const flowbb_image *>(v.data()), v.size());
    }
    void add_folder(const std::string &path) {
        detail::call(flowbb_trainer_add_folder, p_.get(), path.c_str());
    }

    // Runs `steps` steps and returns what the last one did. When `progress`
    // returns false, throws Error with FLOWBB_CANCELLED (the steps done are
    // kept); an exception thrown by `progress` stops training and is
    // rethrown here.
    flowbb_step_info step(std::uint64_t steps, Progress progress = nullptr) {
        flowbb_step_info last{};
        Callback cb{&progress, nullptr};
        flowbb_error *e = nullptr;
        flowbb_status s = flowbb_trainer_step(
            p_.get(), steps, progress ? &Trainer::trampoline : nullptr, &cb,
            &last, &e);
        if (cb.exception) {
            flowbb_error_free(e);
            std::rethrow_exception(cb.exception);
        }
        detail::check(s, e);
        return last;
    }

    std::uint64_t steps_done() const noexcept {
        return flowbb_trainer_steps_done(p_.get());
    }

    // Mean codelength bound of the averaged weights on the test images, in
    // bits per dimension.
    double evaluate() {
        double bpd = 0;
        detail::call(flowbb_trainer_evaluate, p_.get(), &bpd);
        return bpd;
    }

    void save_checkpoint(const std::string &path) {
        detail::call(flowbb_trainer_save_checkpoint, p_.get(), path.c_str());
    }

    // A model holding the averaged (EMA) weights.
    Model export_model() {
        flowbb_model *m = nullptr;
        detail::call(flowbb_trainer_export_model, p_.get(), &m);
        return Model(m);
    }

    flowbb_trainer *get() noexcept { return p_.get(); }

  private:
    explicit Trainer(flowbb_trainer *raw) noexcept : p_(raw) {}

    struct Callback {
        Progress *progress;
        std::exception_ptr exception;
    };

    // No exception may cross the C frames of libflowbb: it is caught here
    // and rethrown by step().
    static bool trampoline(void *userdata,
                           const flowbb_step_info *info) noexcept {
        Callback *cb = static_cast<Callback *>(userdata);
        try {
            return (*cb->progress)(*info);
        } catch (...) {
            cb->exception = std::current_exception();
            return false;
        }
    }

    detail::Handle<flowbb_trainer, flowbb_trainer_free> p_;
};

// Reads what an archive holds without decoding it.
inline flowbb_archive_info
archive_info(const std::vector<std::uint8_t> &archive) {
    flowbb_archive_info info{};
    detail::call(flowbb_archive_info_read, archive.data(), archive.size(),
                 &info);
    return info;
}

} // namespace flowbb

#endif // FLOWBB_HPP
