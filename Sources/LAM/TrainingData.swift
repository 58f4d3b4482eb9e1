import Core
import NN

/// Transitions held as uint8 frames, turned into Float batches only when a batch is formed.
///
/// A transition (e, t) is the pair frames[e, t] -> frames[e, t + 1]; its flat index is e * T + t.
public struct TrainingData: Sendable {
  public let frame: FrameShape
  public let episodes: Int
  /// Transitions per episode (T).
  public let steps: Int
  /// Pixels per grid cell (the shift augmentation moves frames by whole cells).
  public let cellSize: Int
  public let frames: [UInt8]  // [E, T+1, C, H, W]
  public let actions: [Int]  // [E, T]
  public let exogenousChange: [Float]  // [E, T]

  public init(frame: FrameShape, episodes: Int, steps: Int, cellSize: Int, frames: [UInt8], actions: [Int],
              exogenousChange: [Float]) {
    precondition(frames.count == episodes * (steps + 1) * frame.size, "frames do not match [E, T+1, C, H, W]")
    precondition(actions.count == episodes * steps && exogenousChange.count == episodes * steps)
    self.frame = frame
    self.episodes = episodes
    self.steps = steps
    self.cellSize = cellSize
    self.frames = frames
    self.actions = actions
    self.exogenousChange = exogenousChange
  }

  /// Every transition of the given episodes, in order.
  public func transitions(of episodeList: [Int]) -> [Int] {
    episodeList.flatMap { e in (0..<steps).map { e * steps + $0 } }
  }

  /// Fills o and o' [N, C, H, W] with the transitions `indices` (values scaled to [0, 1]).
  public func gather(_ indices: UnsafeBufferPointer<Int>, o: Tensor, next: Tensor) {
    let size = frame.size
    let shape = [indices.count] + frame.dims
    o.resize(shape)
    next.resize(shape)
    let scale: Float = 1 / 255
    frames.withUnsafeBufferPointer { all in
      for (row, index) in indices.enumerated() {
        let (e, t) = index.quotientAndRemainder(dividingBy: steps)
        let src = all.baseAddress! + (e * (steps + 1) + t) * size
        let dstO = o.data + row * size, dstN = next.data + row * size
        for j in 0..<size {
          dstO[j] = Float(src[j]) * scale
          dstN[j] = Float(src[size + j]) * scale
        }
      }
    }
  }

  /// The mean absolute pixel difference of a transition: the cleaning score when the data has no
  /// ground-truth exogenous change (it counts the agent's own change too).
  public func frameDifference(_ index: Int) -> Float {
    let size = frame.size
    let (e, t) = index.quotientAndRemainder(dividingBy: steps)
    let base = (e * (steps + 1) + t) * size
    var sum = 0
    for j in 0..<size { sum += abs(Int(frames[base + j]) - Int(frames[base + size + j])) }
    return Float(sum) / Float(size) / 255
  }
}

/// Which episodes train, which validate, and which training episodes carry action labels.
public struct EpisodeSplit: Codable, Equatable, Sendable {
  public var train: [Int]
  public var validation: [Int]
  public var labelled: [Int]

  /// A seeded split: a random `valFraction` of the episodes (at least one, and at least one left to
  /// train) validate; a random `labelFraction` of the training episodes are labelled.
  public static func make(episodes: Int, valFraction: Double, labelFraction: Double, seed: UInt64) throws -> EpisodeSplit {
    try Check.that(episodes >= 2, "dataset episodes", "at least 2 episodes (one to train, one to validate), got \(episodes)")
    var rng = RNG(seed: seed ^ 0x5151_7E57)
    var order = Array(0..<episodes)
    rng.shuffle(&order)
    let nVal = min(max(1, Int((Double(episodes) * valFraction).rounded())), episodes - 1)
    let validation = Array(order.prefix(nVal)).sorted()
    let train = Array(order.dropFirst(nVal))
    let nLabelled = Int((Double(train.count) * labelFraction).rounded(.up))
    let labelled = Array(train.prefix(labelFraction > 0 ? max(1, nLabelled) : 0)).sorted()
    return EpisodeSplit(train: train.sorted(), validation: validation, labelled: labelled)
  }
}
