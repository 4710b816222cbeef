#pragma once

// `gatehouse <tool> ...`: offline commands that work on a data directory without serving.
namespace ToolCommands {
bool isToolCommand(const char *name);
int run(int argc, char **argv);
}
