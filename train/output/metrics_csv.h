#pragma once
// metrics.csv: one row per epoch, with a header, written whole to a temporary file and renamed so that a
// reader never sees half a row. A resumed run reads the rows back and continues the same file.
#include "train/output/epoch_record.h"

#include <filesystem>
#include <string>
#include <vector>

namespace focal::train {

// The header, in column order.
const std::vector<std::string>& metrics_csv_columns();
void write_metrics_csv(const std::filesystem::path& path, const std::vector<EpochRecord>& records);
// The rows of an existing file (empty when the file does not exist); throws naming the file and line when
// a row is malformed.
std::vector<EpochRecord> read_metrics_csv(const std::filesystem::path& path);

}  // namespace focal::train
