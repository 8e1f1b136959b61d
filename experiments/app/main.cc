#include <iostream>

#include "experiments/app/cli.h"

int main(int argc, char** argv) {
  return stormsim::app::run_cli(argc, argv, std::cout, std::cerr);
}
