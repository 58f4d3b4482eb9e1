import Core
import Foundation
import Training

/// The JSON file `lam encode` and `lam label` write beside their .npy output (FILE.npy -> FILE.json): which
/// run, checkpoint and dataset the numbers came from.
public struct InferenceRecord: Codable, Equatable, Sendable {
  /// "lam-encoding" or "lam-labels".
  public var format: String
  /// The run folder, absolute.
  public var run: String
  public var checkpointStep: Int
  /// The dataset folder, absolute, and its content hash.
  public var data: String
  public var dataContentHash: String
  /// Whether the dataset is the one the run was trained on.
  public var trainingData: Bool
  /// "pre-quantization" (z_e) or "quantized" (z): the latent encoded, or the one the labels came from.
  public var latent: String
  /// The .npy files written, by role: "z_e", "codes", "predicted", "labels".
  public var files: [String: String]
  /// `lam label` only: where the labels came from ("head", "codes" or "probe"), and against the dataset's
  /// true actions, their accuracy and the ceiling any predictor can reach.
  public var source: String?
  public var accuracy: Double?
  public var ceiling: Double?

  enum CodingKeys: String, CodingKey {
    case format, run, data, latent, files, source, accuracy, ceiling
    case checkpointStep = "checkpoint_step", dataContentHash = "data_content_hash", trainingData = "training_data"
  }

  /// A record of `run` (the run folder `runDir`, the dataset `data`) with absolute paths.
  public init(format: String, run opened: RunData.Opened, runDir: String, data: String, latent: String,
              files: [String: String]) {
    self.format = format
    run = Files.canonicalPath(runDir)
    checkpointStep = opened.step
    self.data = Files.canonicalPath(data)
    dataContentHash = opened.dataHash
    trainingData = opened.isTrainingData
    self.latent = latent
    self.files = files.mapValues(Files.canonicalPath)
  }

  /// The record's path for an output .npy file: FILE.npy -> FILE.json (FILE -> FILE.json without the suffix).
  public static func path(for npy: String) -> String {
    (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + ".json"
  }

  /// Whether `head` (a file's first bytes) starts like a record lam wrote: a JSON object (its replacement
  /// with --force is refused otherwise).
  public static func looksLikeRecord(_ head: Data) -> Bool {
    head.first == UInt8(ascii: "{")
  }
}
