#include <iostream>

#include "calibration/probe/probe.h"

int main(int argc, char** argv) {
  return stormsim::probe::probe_main(argc, argv, std::cout, std::cerr);
}
