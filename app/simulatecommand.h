#pragma once

// `gatehouse simulate SCENARIO.json [--target URL] [--report FILE.json]`: runs a scenario
// without a window, with a live progress line, and prints a summary at the end. Exit code 0
// when every threshold holds, 99 when one fails, 2 on a bad scenario or bad options, 1 when
// the run itself failed (e.g. the target does not answer).
namespace SimulateCommand {
int run(int argc, char **argv);
}
