// The in-container sensor (interface and report format: sensor/README.md). All logic lives in
// slim_sensor_core; this only hands over.
#include "sensor/commands.hpp"

int main(int argc, char** argv) {
  return slim::sensor::sensor_main(argc, argv);
}
