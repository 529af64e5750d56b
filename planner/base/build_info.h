// Version and git revision of this build, stamped at build time.
#pragma once

namespace capplan {
const char* tool_version();
const char* git_revision();
}  // namespace capplan
