// Second translation unit of header_cpp (see header_cpp.cpp).
#include "flowbb.hpp"

#include <string>

std::string version_from_second_unit() { return flowbb::version(); }
