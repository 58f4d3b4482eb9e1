import Core
import GridWorld
import LAM
import NN
import Probing
import Training

/// The model run over a list of transitions: z_e, the latent the FDM saw, and the predicted o'.
struct ModelOutputs {
  let indices: [Int]
  let dz: Int
  let frameSize: Int
  var encoded: [Float] = []  // [N, dz]
  var latent: [Float] = []  // [N, dz]
  var predicted: [Float] = []  // [N, C, H, W]

  /// Runs `model` (no noise, no codebook updates) over `indices` of `data` in batches of 256.
  init(model: LatentActionModel, data: Dataset, indices: [Int]) {
    self.indices = indices
    dz = model.config.bottleneck.dz
    frameSize = data.frameSize
    let o = Tensor([0]), next = Tensor([0])  // [B, C, H, W]
    var rng = RNG(seed: 0)
    for start in stride(from: 0, to: indices.count, by: 256) {
      data.gather(Array(indices[start..<min(start + 256, indices.count)]), o: o, next: next)
      let prediction = model.forward(o, next, training: false, rng: &rng)
      encoded += model.encoded.array
      latent += model.latent.array
      predicted += prediction.array
    }
  }

  func encoded(_ row: Int) -> ArraySlice<Float> { encoded[(row * dz)..<((row + 1) * dz)] }
}

/// A nearest-centroid classifier of z: one mean latent per class, fitted on one set and scored on another.
struct NearestCentroid {
  let classes: Int
  let centroids: [[Double]]  // [classes][dz], empty for a class never seen

  init(points: ModelOutputs, labels: [Int], classes: Int) {
    self.classes = classes
    var sums = [[Double]](repeating: [Double](repeating: 0, count: points.dz), count: classes)
    var counts = [Int](repeating: 0, count: classes)
    for (row, label) in labels.enumerated() {
      counts[label] += 1
      for (j, v) in points.encoded(row).enumerated() { sums[label][j] += Double(v) }
    }
    centroids = (0..<classes).map { k in counts[k] == 0 ? [] : sums[k].map { $0 / Double(counts[k]) } }
  }

  func predict(_ z: ArraySlice<Float>) -> Int {
    var best = 0, bestDistance = Double.infinity
    for (k, c) in centroids.enumerated() where !c.isEmpty {
      var d = 0.0
      for (j, v) in z.enumerated() { d += (Double(v) - c[j]) * (Double(v) - c[j]) }
      if d < bestDistance {
        bestDistance = d
        best = k
      }
    }
    return best
  }

  /// Counts [true][predicted] over `points` with true `labels`.
  func confusion(points: ModelOutputs, labels: [Int]) -> [[Int]] {
    var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    for (row, label) in labels.enumerated() { matrix[label][predict(points.encoded(row))] += 1 }
    return matrix
  }
}
