import Foundation

/// A fresh copy of Fixtures/dataset-v1, a dataset in format version 1 (64-bit checksums); returns its folder.
public func oldFormatDataset(_ name: String = #function) throws -> String {
  let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dataset-v1")
  let folder = makeTemporaryFolder(name) + "/ds-v1"
  try FileManager.default.copyItem(atPath: fixture.path, toPath: folder)
  return folder
}
