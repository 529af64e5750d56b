#include "planner/base/parallel.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#if defined(CAPPLAN_HAVE_MPI)
#include <mpi.h>
#endif

namespace capplan {

namespace {

// True when an MPI launcher started this process (Open MPI's mpirun, PMI or
// PMIx launchers such as Slurm's srun, MPICH's hydra).
bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(variable)) return true;
  }
  return false;
}

#if defined(CAPPLAN_HAVE_MPI)
// MPI counts are ints: large vectors go in chunks.
constexpr std::size_t kChunk = std::size_t(1) << 26;

template <typename T>
void reduce_chunks(std::vector<T>& values, MPI_Datatype type, MPI_Op op) {
  for (std::size_t offset = 0; offset < values.size(); offset += kChunk) {
    const int count = static_cast<int>(std::min(kChunk, values.size() - offset));
    void* data = values.data() + offset;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
      MPI_Reduce(MPI_IN_PLACE, data, count, type, op, 0, MPI_COMM_WORLD);
    } else {
      MPI_Reduce(data, nullptr, count, type, op, 0, MPI_COMM_WORLD);
    }
  }
}
#endif

}  // namespace

Communicator::Communicator() {
#if defined(CAPPLAN_HAVE_MPI)
  if (launched_by_mpi()) {
    int already = 0;
    MPI_Initialized(&already);
    if (!already) MPI_Init(nullptr, nullptr);
    initialized_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
  }
#else
  (void)launched_by_mpi;
#endif
}

Communicator& Communicator::world() {
  static Communicator instance;
  return instance;
}

std::string Communicator::processor_name() const {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void Communicator::sum_to_root(std::vector<std::uint64_t>& values) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) reduce_chunks(values, MPI_UINT64_T, MPI_SUM);
#else
  (void)values;
#endif
}

void Communicator::min_to_root(std::vector<double>& values) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) reduce_chunks(values, MPI_DOUBLE, MPI_MIN);
#else
  (void)values;
#endif
}

void Communicator::max_to_root(std::vector<double>& values) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) reduce_chunks(values, MPI_DOUBLE, MPI_MAX);
#else
  (void)values;
#endif
}

#if defined(CAPPLAN_HAVE_MPI)
namespace {
// Every rank's `values` on rank 0, concatenated in rank order; `lengths` gets each rank's count.
template <typename T>
std::vector<T> gather_values(const T* values, int length, MPI_Datatype type, int rank, int size,
                             std::vector<int>& lengths) {
  lengths.assign(static_cast<std::size_t>(size), 0);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(size), 0);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::vector<T> all(static_cast<std::size_t>(rank == 0 ? total : 0));
  MPI_Gatherv(values, length, type, all.data(), lengths.data(), offsets.data(), type, 0, MPI_COMM_WORLD);
  return all;
}
}  // namespace
#endif

std::vector<std::string> Communicator::gather_to_root(const std::string& text) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) {
    std::vector<int> lengths;
    const std::vector<char> all =
        gather_values(text.data(), static_cast<int>(text.size()), MPI_CHAR, rank_, size_, lengths);
    std::vector<std::string> texts;
    std::size_t offset = 0;
    for (int r = 0; rank_ == 0 && r < size_; ++r) {
      const std::size_t length = static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)]);
      texts.emplace_back(all.data() + offset, length);
      offset += length;
    }
    return texts;
  }
#endif
  return {text};
}

std::vector<double> Communicator::gather_doubles_to_root(const std::vector<double>& values) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) {
    std::vector<int> lengths;
    return gather_values(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, rank_, size_, lengths);
  }
#endif
  return values;
}

bool Communicator::broadcast_flag(bool flag) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) {
    int value = flag ? 1 : 0;
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value != 0;
  }
#endif
  return flag;
}

std::pair<int, std::string> Communicator::agree(int exit_code, const std::string& message) const {
#if defined(CAPPLAN_HAVE_MPI)
  if (size_ > 1) {
    // The lowest failing rank speaks for the job.
    const int mine = exit_code != 0 ? rank_ : INT_MAX;
    int first = INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX) return {0, ""};
    int code = exit_code;
    MPI_Bcast(&code, 1, MPI_INT, first, MPI_COMM_WORLD);
    int length = static_cast<int>(message.size());
    MPI_Bcast(&length, 1, MPI_INT, first, MPI_COMM_WORLD);
    std::string text = rank_ == first ? message : std::string(static_cast<std::size_t>(length), '\0');
    MPI_Bcast(text.data(), length, MPI_CHAR, first, MPI_COMM_WORLD);
    return {code, "rank " + std::to_string(first) + ": " + text};
  }
#endif
  return {exit_code, message};
}

void Communicator::finalize() {
#if defined(CAPPLAN_HAVE_MPI)
  if (initialized_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
    initialized_ = false;
  }
#endif
}

std::pair<std::uint64_t, std::uint64_t> trial_share(std::uint64_t trials, int rank, int ranks) {
  // trials < 2^32 and ranks < 2^31, so the products fit in 64 bits.
  const std::uint64_t first = trials * static_cast<std::uint64_t>(rank) / static_cast<std::uint64_t>(ranks);
  const std::uint64_t next = trials * static_cast<std::uint64_t>(rank + 1) / static_cast<std::uint64_t>(ranks);
  return {first, next - first};
}

}  // namespace capplan
