#include "data/loading/loader.h"

#include "data/decode/image_decoder.h"
#include "data/loading/sampler.h"

#include "data/loading/log.h"

#include <algorithm>
#include <stdexcept>

namespace focal::data {

Batch to_device(const Batch& batch, const torch::Device& device) {
  return Batch{batch.images.to(device, /*non_blocking=*/true), batch.labels.to(device, /*non_blocking=*/true),
               batch.indices, batch.valid};
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       std::shared_ptr<const SampleTransform> transform, LoaderOptions options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), options_(std::move(options)) {
  if (!dataset_ || !transform_) throw std::invalid_argument("DataLoader: dataset and transform are required");
  if (options_.batch_size() < 1) throw std::invalid_argument("DataLoader: batch_size must be >= 1");
  if (options_.num_workers() < 0) throw std::invalid_argument("DataLoader: num_workers must be >= 0");
  if (options_.world_size() < 1 || options_.rank() < 0 || options_.rank() >= options_.world_size()) {
    throw std::invalid_argument("DataLoader: rank " + std::to_string(options_.rank()) +
                                " outside world size " + std::to_string(options_.world_size()));
  }
  if (dataset_->size() == 0) throw std::invalid_argument("DataLoader: the dataset is empty");
  pin_ = options_.pin_memory() && torch::cuda::is_available();
  num_samples_ = options_.exact_shares()
                     ? exact_share_size(dataset_->size(), options_.rank(), options_.world_size())
                     : samples_per_rank(dataset_->size(), options_.world_size(), options_.drop_last());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reset_locked(0, 0);
  }
  if (options_.num_workers() == 0)
    inline_decoder_ = std::make_unique<ImageDecoder>(options_.max_image_pixels());
  for (int64_t i = 0; i < options_.num_workers(); ++i) workers_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t DataLoader::num_samples() const { return num_samples_; }

int64_t DataLoader::batches_per_epoch() const {
  const int64_t b = options_.batch_size();
  const bool drop = options_.drop_last() && !options_.exact_shares();
  return drop ? num_samples_ / b : (num_samples_ + b - 1) / b;
}

int64_t DataLoader::batch_rows(int64_t batch) const {
  return std::min(options_.batch_size(), num_samples_ - batch * options_.batch_size());
}

std::vector<int64_t> DataLoader::epoch_indices(int64_t epoch) const {
  const auto order = dataset_->epoch_order(options_.seed(), epoch, options_.shuffle());
  if (options_.exact_shares()) return exact_share(order, options_.rank(), options_.world_size());
  return distributed_share(order, options_.rank(), options_.world_size(), options_.drop_last());
}

void DataLoader::reset_locked(int64_t epoch, int64_t first_batch) {
  if (first_batch < 0 || first_batch > batches_per_epoch()) {
    throw std::invalid_argument("DataLoader: batch " + std::to_string(first_batch) + " outside the epoch's " +
                                std::to_string(batches_per_epoch()) + " batches");
  }
  ++generation_;  // work in flight for the old position is dropped when it completes
  epoch_ = epoch;
  indices_ = std::make_shared<const std::vector<int64_t>>(epoch_indices(epoch));
  slots_.clear();
  next_return_ = first_batch;
  next_task_ = first_batch * options_.batch_size();
}

void DataLoader::set_epoch(int64_t epoch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Already at the start of this epoch: keep the prefetched work.
    if (epoch == epoch_ && next_return_ == 0) return;
    reset_locked(epoch, 0);
  }
  work_cv_.notify_all();
}

void DataLoader::restore(const LoaderState& s) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (s.epoch == epoch_ && s.next_batch == next_return_) return;
    reset_locked(s.epoch, s.next_batch);
  }
  work_cv_.notify_all();
}

LoaderState DataLoader::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return LoaderState{epoch_, next_return_};
}

int64_t DataLoader::skipped_files() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(bad_indices_.size());
}

void DataLoader::check_unreadable_share(int64_t unreadable) const {
  const int64_t n = dataset_->size();
  if (static_cast<double>(unreadable) <= options_.max_unreadable_share() * static_cast<double>(n)) return;
  throw std::runtime_error("data: " + std::to_string(unreadable) + " of the " + std::to_string(n) +
                           " files are unreadable, more than DATA.MAX_UNREADABLE_SHARE (" +
                           std::to_string(options_.max_unreadable_share()) +
                           ") allows: the data set is damaged (each file is named in the log above)");
}

DataLoader::Slot& DataLoader::slot_locked(int64_t batch) {
  auto it = slots_.find(batch);
  if (it != slots_.end()) return it->second;
  const auto shape = transform_->output_shape();
  const int64_t rows = batch_rows(batch);
  Slot s;
  s.images = torch::empty({rows, shape[0], shape[1], shape[2]},
                          torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(pin_));
  s.labels = torch::empty({rows}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(pin_));
  s.indices = torch::empty({rows}, torch::kInt64);
  s.valid = torch::ones({rows}, torch::kBool);
  s.remaining = rows;
  return slots_.emplace(batch, std::move(s)).first->second;
}

DataLoader::RowOut DataLoader::row_out(const Slot& slot, int64_t row, int64_t image_size) {
  return RowOut{slot.images.data_ptr<float>() + row * image_size, slot.labels.data_ptr<int64_t>() + row,
                slot.indices.data_ptr<int64_t>() + row, slot.valid.data_ptr<bool>() + row};
}

void DataLoader::produce(int64_t epoch, const std::vector<int64_t>& indices, int64_t pos,
                         ImageDecoder& decoder, const RowOut& out) {
  const int64_t n = dataset_->size();
  const int64_t index = indices[static_cast<size_t>(pos)];
  const uint64_t seed = sample_seed(options_.seed(), epoch, index);
  *out.index = index;
  *out.valid = true;
  float* image_out = out.image;
  int64_t* label_out = out.label;
  const int64_t attempts = options_.skip_unreadable() ? 0 : options_.max_substitutions();
  for (int64_t attempt = 0; attempt <= attempts; ++attempt) {
    // A replacement is the next sample in dataset order, with its own random stream.
    const int64_t candidate = (index + attempt) % n;
    Rng rng(attempt == 0 ? seed : combine_seed(seed, static_cast<uint64_t>(attempt)));
    try {
      const RawSample sample = dataset_->get(candidate);
      (*transform_)(sample, rng, decoder, image_out);
      *label_out = sample.label;
      return;
    } catch (const std::runtime_error& e) {  // DecodeError and I/O errors; logic errors propagate
      bool first_time;
      int64_t unreadable;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        first_time = bad_indices_.insert(candidate).second;
        unreadable = static_cast<int64_t>(bad_indices_.size());
      }
      if (first_time)
        log_warning("data: skipping unreadable sample " + dataset_->describe(candidate) + ": " + e.what());
      check_unreadable_share(unreadable);
    }
  }
  if (options_.skip_unreadable()) {
    const auto shape = transform_->output_shape();
    std::fill(image_out, image_out + shape[0] * shape[1] * shape[2], 0.0f);
    *label_out = -1;
    *out.valid = false;
    return;
  }
  throw std::runtime_error("data: " + std::to_string(options_.max_substitutions() + 1) +
                           " unreadable samples in a row from " + dataset_->describe(index));
}

void DataLoader::worker_loop() {
  ImageDecoder decoder(options_.max_image_pixels());
  const int64_t b = options_.batch_size();
  const auto shape = transform_->output_shape();
  const int64_t image_size = shape[0] * shape[1] * shape[2];
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] {
      return stop_ || (next_task_ < num_samples_ && next_task_ / b < batches_per_epoch() &&
                       next_task_ / b < next_return_ + std::max<int64_t>(1, options_.prefetch_batches()));
    });
    if (stop_) return;
    const int64_t task = next_task_++;
    const int64_t batch = task / b, row = task % b;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    const auto indices = indices_;
    const Slot buffers = slot_locked(batch);  // tensor handles: keep the buffers alive while unlocked
    lock.unlock();

    std::exception_ptr error;
    try {
      produce(epoch, *indices, task, decoder, row_out(buffers, row, image_size));
    } catch (...) {
      error = std::current_exception();
    }

    lock.lock();
    if (generation != generation_) continue;
    auto it = slots_.find(batch);
    if (it == slots_.end()) continue;
    if (error && !it->second.error) it->second.error = error;
    if (--it->second.remaining == 0) ready_cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_return_ >= batches_per_epoch()) return std::nullopt;
  const int64_t batch = next_return_;
  if (options_.num_workers() == 0) {
    Slot& slot = slot_locked(batch);
    const auto shape = transform_->output_shape();
    const int64_t image_size = shape[0] * shape[1] * shape[2];
    const int64_t first = batch * options_.batch_size();
    for (int64_t row = 0; row < slot.remaining; ++row) {
      lock.unlock();
      produce(epoch_, *indices_, first + row, *inline_decoder_, row_out(slot, row, image_size));
      lock.lock();
    }
    slot.remaining = 0;
    next_task_ = (batch + 1) * options_.batch_size();
  } else {
    ready_cv_.wait(lock, [&] {
      auto it = slots_.find(batch);
      return it != slots_.end() && it->second.remaining == 0;
    });
  }
  Slot slot = std::move(slots_.at(batch));
  slots_.erase(batch);
  ++next_return_;
  lock.unlock();
  work_cv_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return Batch{slot.images, slot.labels, slot.indices, slot.valid};
}

}  // namespace focal::data
