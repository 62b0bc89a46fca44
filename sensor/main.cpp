// The in-container sensor (see sensor/README.md once it lands).
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("slim-sensor %s\n", SLIM_VERSION);
    return 0;
  }
  std::fprintf(stderr, "sensor: error: no command given (try --version)\n");
  return 2;
}
