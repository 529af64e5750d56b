// Processes working on one run (MPI ranks). Without MPI, or when capplan is not
// started by an MPI launcher (mpirun, srun), the run is one process of rank 0.
//
// Every reduction here is exact (integer sums, min, max), so the reduced
// statistics, and so the output files, are the same bytes for any rank count.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace capplan {

class Communicator {
 public:
  // The world communicator; initialises MPI on first use when the process was
  // started by an MPI launcher. Call finalize() before exiting.
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  // This process's rank among the ranks on its node (selects its GPU).
  int local_rank() const { return local_rank_; }
  std::string processor_name() const;

  // Element-wise sum / min / max onto rank 0 (other ranks' vectors are left unspecified).
  void sum_to_root(std::vector<std::uint64_t>& values) const;
  void min_to_root(std::vector<double>& values) const;
  void max_to_root(std::vector<double>& values) const;
  // Every rank's doubles, concatenated in rank order, on rank 0 (empty elsewhere).
  std::vector<double> gather_doubles_to_root(const std::vector<double>& values) const;
  // Rank 0's flag on every rank.
  bool broadcast_flag(bool flag) const;
  // Every rank's string, in rank order, on rank 0 (empty elsewhere).
  std::vector<std::string> gather_to_root(const std::string& text) const;

  // Agreement after a phase in which any rank may have failed: every rank passes
  // its exit code (0 = fine) and message; all ranks get the lowest failing
  // rank's code and message, prefixed with its rank when there are several.
  std::pair<int, std::string> agree(int exit_code, const std::string& message) const;

  void finalize();

 private:
  Communicator();
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  bool initialized_ = false;
};

// Trials [first, first + count) that `rank` of `ranks` simulates: contiguous
// blocks whose sizes differ by at most one.
std::pair<std::uint64_t, std::uint64_t> trial_share(std::uint64_t trials, int rank, int ranks);

}  // namespace capplan
