// Writing output files: a run's result set as one unit (the complete previous
// set or the complete new one, never a mix), single files atomically, and never
// through a symlink planted at a temporary name. Hashing inputs for the run
// record.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace capplan {

// Writes a file's content into `out`, piece by piece (a big table row by row,
// so that it is never whole in memory).
using ContentWriter = std::function<void(std::ostream& out)>;

// A file to write: its name and its content, given whole or by a writer.
struct OutputFile {
  OutputFile(std::string name, std::string content);
  OutputFile(std::string name, ContentWriter write);
  std::string name;
  ContentWriter write;
};

using OutputFiles = std::vector<OutputFile>;

// The marker file capplan writes into every result set it publishes.
extern const char* const kResultSetMarker;

// Publishes `files` as the whole content of the directory `directory` (plus the
// marker file; each file streamed to disk as it is produced). Under an exclusive lock (flock on
// `<directory>.capplan-lock`, beside it) the files go into a fresh private sibling `<directory>.capplan-new-XXXXXX`,
// each created with O_EXCL|O_NOFOLLOW and fsync'd; `finish` (if given) may add
// files to that sibling (charts); the sibling then replaces `directory` with
// one renameat2(RENAME_EXCHANGE) (fallback where unsupported: `directory` is
// renamed away first, so it is briefly absent but never mixed) and the old set
// is removed. Leftover siblings of killed runs are removed first. An existing
// `directory` holding anything capplan does not write (a name outside its
// tables, charts, summary.md, marker and temporaries, or a symlink) is refused
// with a UsageError and left untouched.
// Throws RuntimeFailure naming the path on any I/O error, leaving the previous set.
void write_result_set(const std::string& directory, const OutputFiles& files,
                      const std::function<void(const std::string& staging)>& finish = {});

// Throws the UsageError write_result_set would for `directory`, so that a
// command can refuse before it simulates (write_result_set checks again).
void check_result_set_target(const std::string& directory);

// Updates the existing directory `directory` under the same lock as
// write_result_set: removes temporaries and chart work folders that killed
// processes left there, calls `make` (which may move files in, each with one
// rename) and writes the files it returns, each atomically (exclusive
// temporary, fsync, rename).
void update_result_set(const std::string& directory, const std::function<OutputFiles()>& make);

// Creates the new file `path` with `content` (O_CREAT|O_EXCL|O_NOFOLLOW, mode
// 0644 less the umask), written through a 256 KiB buffer, and fsyncs it;
// fails if anything, a symlink included, is already there.
void write_new_file(const std::string& path, const ContentWriter& content);
void write_new_file(const std::string& path, const std::string& content);

// Writes `content` to the file at `path` (its folder created if needed) through
// an exclusive temporary `.<name>.capplan-tmp-<pid>-XXXXXX` beside it, fsync'd
// and renamed over `path`. Temporaries of dead processes there are removed.
void write_file_atomically(const std::string& path, const std::string& content);

// Hex SHA-256 of `bytes` (OpenSSL EVP).
std::string sha256_hex(const std::string& bytes);

}  // namespace capplan
