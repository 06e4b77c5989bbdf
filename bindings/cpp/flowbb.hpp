// flowbb.hpp: header-only C++17 interface of libflowbb over the C interface
// in flowbb.h.
//
// Every class owns one C handle and frees it in its destructor; classes are
// move-only (copy a model explicitly with Model::clone()). Failed calls throw
// flowbb::Error, which carries the C status and the library's message.
// Thread safety is that of the C handles: const member functions of Model may
// run on several threads at once; a Coder or Trainer is used by one thread at
// a time.
#ifndef FLOWBB_HPP
#define FLOWBB_HPP

#include <cstddef>
#include <cstdint>
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

} // namespace flowbb

#endif // FLOWBB_HPP
