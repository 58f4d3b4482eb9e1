import Core
import Foundation
import NN

/// A fitted probe, kept to label new latents: the standardization of its training rows and its layers
/// (a linear softmax regression, or Linear-ReLU-Linear).
public struct ProbeModel {
  /// Latent dimension d.
  public let dim: Int
  public let classes: Int
  /// The training rows' per-column mean and standard deviation (std 0 -> 1).
  public let mean: [Double]  // [d]
  public let std: [Double]  // [d]
  let layers: [any Layer]

  /// The probe's logits' arg-max for every row of `features` [N, d].
  public func predict(_ features: [Float]) -> [Int] {
    let n = features.count / dim
    var labels = [Int](repeating: 0, count: n)
    let input = Tensor([0])  // [B, d]
    var start = 0
    while start < n {
      let rows = start..<min(start + 1024, n)
      let logits = forward(rows, of: features, input: input)  // [B, classes]
      for (i, row) in rows.enumerated() {
        let z = logits.data + i * classes
        var best = 0
        for k in 1..<classes where z[k] > z[best] { best = k }
        labels[row] = best
      }
      start = rows.upperBound
    }
    return labels
  }

  /// The logits [B, classes] of `rows` of `features` [N, d], standardized into `input`.
  func forward<Rows: Collection<Int>>(_ rows: Rows, of features: [Float], input: Tensor) -> Tensor {
    input.resize([rows.count, dim])
    for (i, row) in rows.enumerated() {
      for j in 0..<dim { input.data[i * dim + j] = Float((Double(features[row * dim + j]) - mean[j]) / std[j]) }
    }
    return layers.reduce(input) { $1.forward($0) }
  }

  /// The standardization of `features` [N, d] by rows `rows`: each column's mean and std (std 0 -> 1).
  static func standardization(_ features: [Float], dim d: Int, by rows: [Int]) -> (mean: [Double], std: [Double]) {
    var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
    for row in rows {
      for j in 0..<d {
        let v = Double(features[row * d + j])
        mean[j] += v
        square[j] += v * v
      }
    }
    let n = Double(max(rows.count, 1))
    let std = (0..<d).map { j -> Double in
      let variance = square[j] / n - (mean[j] / n) * (mean[j] / n)
      return variance > 1e-12 ? variance.squareRoot() : 1
    }
    return (mean.map { $0 / n }, std)
  }

  // MARK: - File

  /// The version written to a probe file's metadata; readers refuse any other.
  static let formatVersion = "1"

  /// Writes the probe as safetensors: `mean`, `std` (F64) and the layers' parameters (`layer0.weight`, ...),
  /// with `metadata` (what it was fitted on) plus its format, sizes and kind.
  public func save(to path: String, metadata: [String: String]) throws {
    let linears = layers.compactMap { $0 as? Linear }
    let parameters = linears.enumerated().flatMap { i, layer in
      [("layer\(i).weight", layer.weight.value)] + (layer.bias.map { [("layer\(i).bias", $0.value)] } ?? [])
    }
    var all = metadata
    all["format"] = "lam-probe"
    all["format_version"] = ProbeModel.formatVersion
    all["dim"] = String(dim)
    all["classes"] = String(classes)
    all["hidden"] = linears.count == 2 ? String(linears[0].outFeatures) : "0"
    try Safetensors.save(parameters: parameters.map { (name: $0.0, tensor: $0.1) },
                         extra: [StoredTensor(name: "mean", shape: [dim], doubles: mean),
                                 StoredTensor(name: "std", shape: [dim], doubles: std)],
                         metadata: all, to: path)
  }

  /// A probe written by `save`, checked: format, sizes within bounds, finite values, std > 0.
  public static func load(from path: String) throws -> (probe: ProbeModel, metadata: [String: String]) {
    let file = try Safetensors.read(from: path)
    let meta = file.metadata
    try Check.that(meta["format"] == "lam-probe" && meta["format_version"] == formatVersion, "metadata 'format'",
                   "a lam probe file (format lam-probe, version \(formatVersion))", file: path)
    func size(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
      guard let value = meta[key].flatMap({ Int($0) }), range.contains(value) else {
        throw LamError("\(path): metadata '\(key)': expected an integer in \(range.lowerBound)...\(range.upperBound), got \(meta[key] ?? "nothing")")
      }
      return value
    }
    let dim = try size("dim", 1...65_536), classes = try size("classes", 2...65_536), hidden = try size("hidden", 0...65_536)
    var rng = RNG(seed: 0)
    let layers: [any Layer] = hidden == 0
      ? [Linear(dim, classes, rng: &rng)]
      : [Linear(dim, hidden, rng: &rng), ReLU(), Linear(hidden, classes, rng: &rng)]
    let linears = layers.compactMap { $0 as? Linear }
    let named = linears.enumerated().flatMap { i, layer in
      [(name: "layer\(i).weight", tensor: layer.weight.value)] + (layer.bias.map { [(name: "layer\(i).bias", tensor: $0.value)] } ?? [])
    }
    try Safetensors.load(into: named, extra: ["mean", "std"], from: file, path: path)
    func vector(_ name: String) throws -> [Double] {
      let stored = file.tensors[name]!
      guard stored.dtype == .f64, stored.shape == [dim], let values = try? stored.doubles(), values.allSatisfy(\.isFinite) else {
        throw LamError("\(path): tensor '\(name)': expected \(dim) finite F64 values")
      }
      return values
    }
    let mean = try vector("mean"), std = try vector("std")
    try Check.that(std.allSatisfy { $0 > 0 }, "tensor 'std'", "values > 0", file: path)
    return (ProbeModel(dim: dim, classes: classes, mean: mean, std: std, layers: layers), meta)
  }
}
