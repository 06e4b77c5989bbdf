// roundtrip: compresses a PPM or PGM image into a libflowbb archive with the
// C++ interface, reads the archive back, and checks that the decoded image
// is the original, bit for bit.
//
//   roundtrip_cpp MODEL INPUT.ppm ARCHIVE.fbb OUTPUT.ppm
//
// MODEL is "default" for the model built into the library, a model file, or
// the name of a preset ("tiny", "small") for a model with untrained weights.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "flowbb.hpp"
#include "ppm.h"

namespace {

flowbb::Image read_image(const char *path) {
    ppm_image raw;
    if (ppm_read(path, &raw) != 0) {
        throw std::runtime_error(std::string("cannot read ") + path);
    }
    flowbb::Image im;
    im.width = raw.width;
    im.height = raw.height;
    im.channels = raw.channels;
    im.pixels.assign(raw.pixels, raw.pixels + std::size_t(raw.width) *
                                                  raw.height * raw.channels);
    std::free(raw.pixels);
    return im;
}

flowbb::Model open_model(const std::string &name) {
    if (name == "default") {
        return flowbb::Model::default_model();
    }
    if (std::ifstream(name).good()) {
        return flowbb::Model::load(name);
    }
    return flowbb::Model::create(name);
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 5) {
        std::cerr << "usage: " << argv[0]
                  << " MODEL INPUT.ppm ARCHIVE OUTPUT.ppm\n";
        return 2;
    }
    try {
        flowbb::Image input = read_image(argv[2]);
        flowbb::Model model = open_model(argv[1]);
        flowbb::Coder coder(model);

        flowbb_compress_stats stats{};
        std::vector<std::uint8_t> archive = coder.compress({input}, &stats);
        std::ofstream(argv[3], std::ios::binary)
            .write(reinterpret_cast<const char *>(archive.data()),
                   static_cast<std::streamsize>(archive.size()));
        std::cout << argv[3] << ": " << archive.size() << " bytes, net "
                  << stats.bpd << " bits per dimension (model bound "
                  << stats.model_bpd << ")\n";

        std::ifstream in(argv[3], std::ios::binary);
        std::vector<std::uint8_t> stored((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
        std::vector<flowbb::Image> decoded = coder.decompress(stored);
        const flowbb::Image &out = decoded.at(0);
        if (ppm_write(argv[4], out.width, out.height, out.channels,
                      out.pixels.data()) != 0) {
            return 1;
        }
        if (out != input) {
            std::cerr << argv[4] << " differs from " << argv[2] << "\n";
            return 1;
        }
        std::cout << argv[4] << ": identical to " << argv[2] << "\n";
    } catch (const flowbb::Error &e) {
        std::cerr << "libflowbb: " << e.what() << " (status " << e.status()
                  << ")\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
